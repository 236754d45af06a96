#!/usr/bin/env bash
# deploy/systemd's units: `systemd-analyze verify` prints nothing, and
# `systemd-analyze security --offline=true` rates each one's exposure at
# 2.0 or less (0 is a sandbox, 10 a root shell).  Copies of the units name
# the built binaries (verify checks that ExecStart exists).
#   tests/deploy_systemd.sh BIN_DIR
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (Debian's systemd package)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for unit in dusk-scheduler dusk-worker; do
  sed "s|/usr/local/bin/|$bin/|" "$here/deploy/systemd/$unit.service" \
    > "$work/$unit.service"
  out=$(cd "$work" && systemd-analyze verify "./$unit.service" 2>&1) || true
  if [ -n "$out" ]; then
    echo "FAIL $unit: systemd-analyze verify says:"; echo "$out"; fail=1
  fi
  level=$(cd "$work" && systemd-analyze security --offline=true \
            "./$unit.service" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
  if [ -z "$level" ]; then
    echo "FAIL $unit: no exposure level"; fail=1
  elif awk "BEGIN { exit !($level > 2.0) }"; then
    echo "FAIL $unit: exposure $level > 2.0"; fail=1
  else
    echo "ok $unit: verify clean, exposure $level"
  fi
done
exit $fail
