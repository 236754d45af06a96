#!/usr/bin/env bash
# run.sh - set up, build and run dusk on a fresh Debian 12 machine.
#
#   ./run.sh demo        build, start a LocalCluster, run the demo job
#   ./run.sh test        build and run the whole test suite (ctest)
#   ./run.sh test-asan   the same suite built with ASan + UBSan
#   ./run.sh build       just build (into build/)
#   ./run.sh bench ...   dusk bench tasks ... (see README)
#
# Missing Debian packages are installed with apt-get when run as root.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES="build-essential cmake pkg-config libuv1-dev libmsgpack-dev libcsv-dev check libssl-dev"

ensure_packages() {
  local missing=()
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: missing packages: ${missing[*]}; install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "run.sh: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
}

# build DIR [cmake options...]
build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

cmd=${1:-help}
[ $# -gt 0 ] && shift
case "$cmd" in
  demo)
    ensure_packages
    build build -DDUSK_WERROR=ON >/dev/null
    exec build/bin/dusk demo "$@"
    ;;
  test)
    ensure_packages
    build build -DDUSK_WERROR=ON
    cd build && exec ctest --output-on-failure -j 2 "$@"
    ;;
  test-asan)
    ensure_packages
    build build-asan -DDUSK_WERROR=ON -DDUSK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    cd build-asan
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    exec ctest --output-on-failure -j 2 "$@"
    ;;
  build)
    ensure_packages
    build build -DDUSK_WERROR=ON
    ;;
  bench)
    ensure_packages
    build build -DDUSK_WERROR=ON >/dev/null
    exec build/bin/dusk bench "$@"
    ;;
  *)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
