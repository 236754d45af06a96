#!/usr/bin/env bash
# bench/tasks.sh - scheduler throughput and latency, dusk beside Dask, in one
# run on this machine.  Prints each run's JSON line, then a table of medians.
#
#   bench/tasks.sh [--runs 3] [--tasks 100000] [--dask-tasks 5000] [--no-dask]
#
# dusk runs on a LocalCluster of 2 workers (`dusk bench tasks`); Dask on a
# LocalCluster of 2 workers x 1 thread (Debian's python3-distributed, run by
# /usr/bin/python3).  Dask is given fewer tasks because it runs ~600 tasks/s
# here: rates are per second, so the sizes need not match.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 tasks=100000 chain=10000 dask_tasks=5000 dask=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --tasks) tasks=$2; shift 2 ;;
    --dask-tasks) dask_tasks=$2; shift 2 ;;
    --no-dask) dask=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# DUSK_BUILD names an existing build folder; otherwise build/ is (re)built.
if [ -n "${DUSK_BUILD:-}" ]; then bin=$DUSK_BUILD/bin; else ./run.sh build >/dev/null; bin=build/bin; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for shape in independent tree chain; do
  n=$tasks; [ $shape = chain ] && n=$chain
  for r in $(seq "$runs"); do
    line=$("$bin"/dusk bench tasks --workers 2 --tasks "$n" --shape "$shape")
    echo "dusk $line"; echo "dusk $line" >> "$out"
  done
done
if [ $dask = 1 ]; then
  if /usr/bin/python3 -c 'import distributed' 2>/dev/null; then
    for shape in independent tree chain; do
      n=$dask_tasks; [ $shape = chain ] && n=$((dask_tasks / 5))
      for r in $(seq "$runs"); do
        line=$(/usr/bin/python3 bench/dask_tasks.py --shape "$shape" --tasks "$n" 2>/dev/null)
        echo "dask $line"; echo "dask $line" >> "$out"
      done
    done
  else
    echo "Dask skipped: /usr/bin/python3 cannot import distributed (apt-get install python3-distributed)" >&2
  fi
fi
python3 - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    system, js = line.split(" ", 1)
    d = json.loads(js)
    rows.setdefault((system, d["shape"]), []).append(d)
print("\n%-8s %-12s %8s %14s %16s" % ("system", "shape", "tasks", "tasks/s (med)", "roundtrip p50 us"))
med = {}
for (system, shape), ds in sorted(rows.items()):
    tps = statistics.median(d["tasks_per_sec"] for d in ds)
    rt = [d["roundtrip_us_p50"] for d in ds if "roundtrip_us_p50" in d]
    med[(system, shape)] = (tps, statistics.median(rt) if rt else None)
    print("%-8s %-12s %8d %14.0f %16s" % (system, shape, ds[0]["tasks"], tps,
          "%.1f" % statistics.median(rt) if rt else "-"))
for shape in ("independent", "tree", "chain"):
    if ("dask", shape) in med and ("dusk", shape) in med:
        r = med[("dusk", shape)][0] / med[("dask", shape)][0]
        extra = ""
        if shape == "chain" and med[("dask", shape)][1] and med[("dusk", shape)][1]:
            extra = ", round trip %.0fx shorter" % (med[("dask", shape)][1] / med[("dusk", shape)][1])
        print("dusk/dask %-12s throughput %.0fx%s" % (shape, r, extra))
PY
