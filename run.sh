#!/usr/bin/env bash
# run.sh - set up, build and run dusk on a fresh Debian 12 machine.
#
#   ./run.sh demo        build, generate two FHVHV-shaped files, run the
#                        north-star queries on a LocalCluster
#   ./run.sh test        build and run the whole test suite (ctest)
#   ./run.sh test-asan   the same suite built with ASan + UBSan
#   ./run.sh test-install  build, install into a temporary prefix, and
#                        build and run examples/hello_dusk.c against it
#                        with pkg-config
#   ./run.sh fuzz [SECS] run each libFuzzer target for SECS (needs clang)
#   ./run.sh install-python  build and install the Python package for
#                        /usr/bin/python3 (the demo does it too)
#   ./run.sh build       just build (into build/)
#   ./run.sh build-release  build Release with -Werror (into build-release/),
#                        no tests: -O3 finds warnings the test builds miss
#   ./run.sh bench ...   dusk bench tasks ... (see README)
#
# Missing Debian packages are installed with apt-get when run as root.
set -euo pipefail
cd "$(dirname "$0")"

# What building and the demo need (python3-dev: the Python package's
# extension; pandas: the Python results; libmicrohttpd-dev: the scheduler's
# HTTP endpoint), and what the tests add.
PACKAGES="build-essential cmake pkg-config libuv1-dev libmsgpack-dev libcsv-dev libpcre2-dev check libssl-dev openssl libcurl4-openssl-dev libexpat1-dev libmicrohttpd-dev python3-dev python3-numpy python3-pandas"
# python3-botocore and awscli: the clients the SigV4 signer and the fake
# S3 are checked against; nginx-light: the https server with Range;
# systemd: systemd-analyze, which checks deploy/systemd's units;
# openssh-server: the sshd that `dusk ssh` is tested against (the test starts
# its own, in network namespaces); shellcheck: checks deploy/ssh/dusk-ssh
# and deploy/ec2's scripts; cloud-init (for `cloud-init schema` only: see
# below) checks deploy/ec2's user-data; prometheus (for promtool only)
# checks the scheduler's /metrics; chromium (headless) loads the dashboard
# page in tests/integration/dashboard_page.py.
TEST_PACKAGES="python3-pytest python3-nbclient python3-nbformat python3-ipykernel python3-venv python3-wheel python3-setuptools python3-botocore awscli nginx-light systemd openssh-server shellcheck cloud-init prometheus chromium"

ensure_packages() {
  local missing=()
  for p in $PACKAGES ${EXTRA_PACKAGES:-}; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: missing packages: ${missing[*]}; install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "run.sh: installing ${missing[*]}" >&2
  # The tests start their own sshd and nginx, and want prometheus only for
  # promtool: a policy-rc.d for the length
  # of the install (unless one is there) keeps Debian from starting theirs
  # as services now (it still enables them for the next boot).
  local policy=/usr/sbin/policy-rc.d made=0 rc=0
  if [ ! -e "$policy" ]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    trap 'rm -f /usr/sbin/policy-rc.d; exit 130' INT TERM
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made=1
  fi
  # cloud-init is here only for `cloud-init schema`: it must never configure
  # this machine.  Its boot-time generator does nothing while
  # /etc/cloud/cloud-init.disabled exists, made before the package is
  # installed; the units the package enables are disabled after.
  local cloud_init=0
  case " ${missing[*]} " in
    *" cloud-init "*) cloud_init=1; mkdir -p /etc/cloud; touch /etc/cloud/cloud-init.disabled ;;
  esac
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || rc=$?
  [ "$rc" -ne 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 || rc=$?
  if [ "$cloud_init" = 1 ]; then
    systemctl disable cloud-init-local.service cloud-init.service cloud-config.service \
      cloud-final.service cloud-init-hotplugd.socket > /dev/null 2>&1 || true
  fi
  if [ "$made" -eq 1 ]; then
    rm -f "$policy"
    trap - EXIT INT TERM
  fi
  return "$rc"
}

# build DIR [cmake options...]
build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

# Installs the built Python package (build/python/dusk, with the daemons it
# starts) into /usr/bin/python3's site directory for local packages
# (/usr/local/lib/python3.X/dist-packages) when root; otherwise sets
# pythonpath for this run and says how to install.
install_python() {
  if [ "$(id -u)" -eq 0 ]; then
    cmake --install build --component python >/dev/null
    echo "run.sh: installed the Python package 'dusk' for /usr/bin/python3 ($(sed -n 's/^DUSK_PYTHON_SITEDIR:PATH=//p' build/CMakeCache.txt))"
  else
    pythonpath=$PWD/build/python
    echo "run.sh: not root, so the Python package is used from build/python; install it with: sudo cmake --install build --component python"
  fi
}

cmd=${1:-help}
[ $# -gt 0 ] && shift
case "$cmd" in
  demo)
    # The north-star workload (docs/architecture.md) on two generated FHVHV-shaped
    # files: DUSK_DEMO_ROWS rows each (default 3M, ~190 MB a file).
    ensure_packages
    build build -DDUSK_WERROR=ON >/dev/null
    rows=${DUSK_DEMO_ROWS:-3000000}
    mkdir -p data
    for m in feb:2 apr:4; do
      f="data/fhvhv_${m%%:*}.csv"
      if [ ! -s "$f" ]; then
        echo "generating $f ($rows rows)"
        build/bin/dusk-gen-fhv "$f" "$rows" --month "${m##*:}" --seed "${m##*:}"
      fi
    done
    TIMEFORMAT='  wall %R s'
    for q in \
      'read_csv("data/fhvhv_apr.csv").fillna(0).groupby("PULocationID").count()' \
      'read_csv("data/fhvhv_apr.csv").fillna({"SR_Flag": 0}).query("PULocationID > 200").head(10)' \
      'concat([read_csv("data/fhvhv_feb.csv"), read_csv("data/fhvhv_apr.csv")]).groupby("PULocationID").count()' \
      'len(concat([read_csv("data/fhvhv_feb.csv"), read_csv("data/fhvhv_apr.csv")]))'; do
      echo
      echo "\$ dusk query '$q'"
      time build/bin/dusk query "$q"
    done
    echo
    echo "task graphs:"
    build/bin/dusk demo "$@"
    echo
    install_python
    echo "the same from Python (examples/taxi.py, the cells of examples/taxi.ipynb):"
    (cd /tmp && PYTHONPATH=${pythonpath:-} /usr/bin/python3 "$OLDPWD/examples/taxi.py" "$OLDPWD/data")
    ;;
  install-python)
    # The Python package for Debian's /usr/bin/python3 (import dusk from
    # any directory and from a Jupyter kernel).
    ensure_packages
    build build -DDUSK_WERROR=ON >/dev/null
    install_python
    ;;
  test)
    EXTRA_PACKAGES=$TEST_PACKAGES ensure_packages
    build build -DDUSK_WERROR=ON
    cd build && exec ctest --output-on-failure -j 2 "$@"
    ;;
  test-asan)
    EXTRA_PACKAGES=$TEST_PACKAGES ensure_packages
    build build-asan -DDUSK_WERROR=ON -DDUSK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    cd build-asan
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    exec ctest --output-on-failure -j 2 "$@"
    ;;
  test-install)
    # libdusk as an installed library (tests/install/test_install.sh):
    # headers alone, exports, examples/hello_dusk.c shared and static, and
    # the installed CLI, all from a fresh `cmake --install` prefix; then
    # the Python package: `pip install ./python` into a fresh venv.
    EXTRA_PACKAGES=$TEST_PACKAGES ensure_packages
    build build -DDUSK_WERROR=ON >/dev/null
    DUSK_TEST_PIP=1 exec tests/install/test_install.sh build .
    ;;
  fuzz)
    # Each libFuzzer target for SECONDS (default 30), from a copy of its
    # committed corpus; needs clang and its runtime (clang, libclang-rt-dev).
    ensure_packages
    secs=${1:-30}
    if ! command -v clang >/dev/null 2>&1; then
      echo "run.sh fuzz: clang not installed (apt-get install clang libclang-rt-dev); skipped" >&2
      exit 0
    fi
    CC=clang build build-fuzz -DDUSK_FUZZ=ON -DDUSK_PYTHON=OFF -DDUSK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DDUSK_TESTS=ON >/dev/null
    for t in frames query csv; do
      work=$(mktemp -d)
      cp tests/fuzz/corpus/$t/* "$work"/
      echo "fuzzing $t for ${secs}s"
      # A fixed seed (DUSK_FUZZ_SEED, default 1) makes a CI run reproducible.
      build-fuzz/bin/fuzz_$t -seed="${DUSK_FUZZ_SEED:-1}" -max_total_time="$secs" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=0 "$work" 2>&1 | tail -3
      st=${PIPESTATUS[0]}
      rm -rf "$work"
      [ "$st" -eq 0 ] || { echo "run.sh fuzz: $t found a failure (see above)" >&2; exit 1; }
    done
    ;;
  build)
    ensure_packages
    build build -DDUSK_WERROR=ON
    ;;
  build-release)
    # The optimiser's flow analysis (-Wmaybe-uninitialized,
    # -Wformat-truncation, -Wuse-after-free) sees more at -O3 than the test
    # builds do; CI keeps this configuration warning-free too.
    ensure_packages
    build build-release -DDUSK_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
    ;;
  bench)
    ensure_packages
    build build -DDUSK_WERROR=ON >/dev/null
    exec build/bin/dusk bench "$@"
    ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
