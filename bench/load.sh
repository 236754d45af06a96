#!/usr/bin/env bash
# bench/load.sh - the scheduler under issue 5's load, full size: 100
# concurrent clients running small checked jobs, a 1M-task tree reduction,
# and 50 worker slots registering and leaving in a loop, all at once.
# Prints dusk-load's JSON line per run: heartbeat round trips (p50/p99/max,
# measured by the workers, aggregated by the scheduler), the scheduler's RSS,
# job latencies, registrations.  Every answer is checked exactly and every
# process must exit 0 (run it on the sanitizer build for a long leak soak:
# DUSK_BUILD=build-asan).
#
#   bench/load.sh [--runs 1] [--kill]     --kill: every 5th leave is SIGKILL
#                                          (with --max-retries 20)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=1 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --kill) extra+=(--kill-every 5 --max-retries 20); shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
if [ -n "${DUSK_BUILD:-}" ]; then bin=$DUSK_BUILD/bin; else ./run.sh build >/dev/null; bin=build/bin; fi
for r in $(seq "$runs"); do
  "$bin"/dusk-load --clients 100 --queries 4 --graph-tasks 1000001 \
      --churn 50 --lifetime-ms 1000 ${extra[@]+"${extra[@]}"}
done
