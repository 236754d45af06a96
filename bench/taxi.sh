#!/usr/bin/env bash
# bench/taxi.sh - the taxi dataframe benchmark in one command: generate the
# FHVHV-shaped data at a chosen size and run dusk (LocalCluster, 2 workers),
# Dask (2 workers x 1 thread), pandas, DuckDB and Polars (2 threads) side by
# side on the same warm files; print a table and write a CSV and a PNG chart
# under bench/results/.
#
#   bench/taxi.sh [--rows 21500000] [--runs 3] [--systems dusk,dask,pandas,duckdb,polars]
#                 [--queries groupby,filter_head,concat_groupby,len,merge_groupby] [--data DIR]
#                 [--build DIR] [--timeout 600] [--mem-cap-mib N] [--vocab]
#
# --vocab then runs bench/vocab.py (issue 11's pandas vocabulary: hour of
# pickup, trip durations, top 10, nlargest, drop_duplicates, exact
# describe) on the 1x file against DuckDB, Polars and Dask.
# --rows is per file (21.5M rows ~ 1.34 GB; the concat query reads two such
# files).  --data defaults to the repo's data/ (gitignored); files there are
# reused when they hold the right number of rows.  --build names an existing
# dusk build folder (its bin/ is used); without it `./run.sh build` builds
# build/.  Everything else is passed to bench/taxi.py (see its --help).
#
# Before running, this script installs what the peers need when it can:
# the npm packages under bench/ (`npm i -E ...`), Debian's python3-pandas,
# python3-dask and python3-distributed, and gnuplot-nox for the chart (apt-get,
# as root).  A peer that cannot be installed is skipped with a message.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD

build="" systems="dusk,dask,pandas,duckdb,polars" vocab=0 data=$root/data
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --build=*) build=${1#--build=}; shift ;;
    --systems) systems=$2; pass+=("$1" "$2"); shift 2 ;;
    --systems=*) systems=${1#--systems=}; pass+=("$1"); shift ;;
    --data) data=$2; pass+=("$1" "$2"); shift 2 ;;
    --data=*) data=${1#--data=}; pass+=("$1"); shift ;;
    --vocab) vocab=1; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) pass+=("$1"); shift ;;
  esac
done
has() { case ",$systems," in *,"$1",*) return 0 ;; *) return 1 ;; esac; }

# --- dusk
if [ -n "$build" ]; then
  bin=$(cd "$build" && pwd)/bin
else
  echo "taxi.sh: building dusk (./run.sh build)"
  ./run.sh build >/dev/null || { echo "taxi.sh: ./run.sh build failed" >&2; exit 1; }
  bin=$root/build/bin
fi
[ -x "$bin/dusk" ] && [ -x "$bin/dusk-gen-fhv" ] || { echo "taxi.sh: no dusk / dusk-gen-fhv in $bin" >&2; exit 1; }

# --- Debian packages (only as root; otherwise say what to install)
apt_updated=0
apt_install() {  # apt_install PKG... ; returns non-zero when it could not
  if [ "$(id -u)" -ne 0 ]; then
    echo "taxi.sh: missing Debian packages $*; as root: apt-get install -y $*" >&2
    return 1
  fi
  if [ $apt_updated = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
    apt_updated=1
  fi
  echo "taxi.sh: apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1
}
missing_pkgs() {
  local p out=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
  done
  echo "${out[@]:-}"
}
if has pandas || has dask; then
  want="python3-pandas"; has dask && want="$want python3-dask python3-distributed"
  m=$(missing_pkgs $want)
  if [ -n "$m" ] && ! /usr/bin/python3 -c 'import pandas, dask.dataframe, distributed' 2>/dev/null; then
    apt_install $m || echo "taxi.sh: could not install $m; the peers that need them are skipped" >&2
  fi
fi
if ! command -v gnuplot >/dev/null; then
  apt_install gnuplot-nox || echo "taxi.sh: gnuplot unavailable: the chart is skipped" >&2
fi

# --- npm packages under bench/ (DuckDB, Polars)
if has duckdb || has polars; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm || echo "taxi.sh: node/npm unavailable: DuckDB and Polars are skipped" >&2
  fi
  if command -v node >/dev/null && command -v npm >/dev/null; then
    ok=$(cd bench && node -e '
      const want = {"@duckdb/node-api": "1.5.6-r.1", "nodejs-polars": "0.25.2", "nodejs-polars-linux-x64-gnu": "0.25.2"};
      let ok = 1;
      for (const [p, v] of Object.entries(want)) {
        try { if (require("./node_modules/" + p + "/package.json").version !== v) ok = 0; } catch { ok = 0; }
      }
      console.log(ok)' 2>/dev/null)
    if [ "$ok" != 1 ]; then
      echo "taxi.sh: installing the npm packages under bench/"
      (cd bench && npm i -E --no-audit --no-fund @duckdb/node-api@1.5.6-r.1 nodejs-polars@0.25.2 nodejs-polars-linux-x64-gnu@0.25.2) ||
        echo "taxi.sh: npm i failed: DuckDB and/or Polars will be skipped" >&2
    fi
  fi
fi

/usr/bin/python3 bench/taxi.py --bin "$bin" "${pass[@]}" || exit
if [ "$vocab" = 1 ]; then
  /usr/bin/python3 bench/vocab.py --build "$(dirname "$bin")" \
    --file "$data/fhv_1x.csv"
fi
