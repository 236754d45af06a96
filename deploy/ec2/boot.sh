#!/bin/bash
# boot.sh - the first boot of a dusk instance on EC2 (deploy/README.md,
# "EC2").  launch.sh puts this file, the role's systemd unit from
# deploy/systemd and ec2.env (what launch.sh was told) in the user-data
# under /usr/local/lib/dusk-ec2/; cloud-init's runcmd runs it as root.
#
#   1. installs the libraries dusk links and the awscli (apt-get);
#   2. fetches the cluster's token from SSM Parameter Store with the
#      instance role (the awscli finds the role's credentials through
#      IMDSv2) into /etc/dusk/token, mode 0600: it is never in the
#      user-data, on a command line or in the environment;
#   3. downloads the dusk binaries (DUSK_URL: s3:// with the instance role,
#      or https://; DUSK_SHA256 checks them) into /usr/local/bin;
#   4. installs the hardened unit and its env file: the scheduler listens
#      on DUSK_SCHEDULER_PORT; workers name the scheduler, take data ports
#      from DUSK_WORKER_PORTS, run with --death-timeout and with --host-id
#      the instance's id (IMDSv2), by which an autoscaling scheduler knows
#      the host of each worker; a drop-in powers a worker host off once its
#      nanny exits with status 3 (no scheduler for that long), which
#      terminates it (InstanceInitiatedShutdownBehavior=terminate);
#      a scheduler with DUSK_AUTOSCALE=MIN-MAX gets a drop-in that adds
#      --autoscale with the provider the user-data wrote, --min-workers,
#      --max-workers, and --autoscale-contact: its private address
#      (IMDSv2), which the workers it starts dial (also the provider
#      configuration's scheduler-host, for running it by hand);
#   5. systemctl enable --now.
# A failed boot powers the instance off too, after DUSK_FAIL_GRACE_MIN
# minutes to read /var/log/cloud-init-output.log: nothing is left running
# that nobody uses.
#
# For tests only: DUSK_ROOT (a folder standing for /), DUSK_SSM_ENDPOINT_URL
# and DUSK_S3_ENDPOINT_URL (the awscli's --endpoint-url for those services)
# come from the environment.
set -euo pipefail

root=${DUSK_ROOT:-}
lib=$root/usr/local/lib/dusk-ec2
DUSK_FAIL_GRACE_MIN=10

log() { printf 'dusk-ec2: %s\n' "$*" >&2; }

failed() {
  log "boot failed (line $1, status $2); powering off in $DUSK_FAIL_GRACE_MIN minutes"
  shutdown -h "+$DUSK_FAIL_GRACE_MIN" "dusk: boot failed" || true
  exit "$2"
}
trap 'failed "$LINENO" "$?"' ERR

# shellcheck source=/dev/null
. "$lib/ec2.env"
for v in DUSK_ROLE DUSK_REGION DUSK_TOKEN_PARAMETER DUSK_URL; do
  if [ -z "${!v:-}" ]; then log "ec2.env sets no $v"; false; fi
done
: "${DUSK_SCHEDULER_PORT:=8786}" "${DUSK_WORKER_PORTS:=9000-9099}"
: "${DUSK_DEATH_TIMEOUT:=600}"

# Runs "$@" up to 5 times, 5 s apart: the network, IMDS or SSM may not be
# answering yet this early in a boot.
retry() {
  local i
  for i in 1 2 3 4 5; do
    "$@" && return 0
    [ "$i" = 5 ] || sleep 5
  done
  return 1
}

case $DUSK_ROLE in
  scheduler | worker) ;;
  *) log "DUSK_ROLE=$DUSK_ROLE is not scheduler or worker"; false ;;
esac
if [ "$DUSK_ROLE" = worker ] && [ -z "${DUSK_SCHEDULER_HOST:-}" ]; then
  log "ec2.env names no DUSK_SCHEDULER_HOST"; false
fi
autoscale=()
if [ "$DUSK_ROLE" = scheduler ] && [ -n "${DUSK_AUTOSCALE:-}" ]; then
  if ! [[ $DUSK_AUTOSCALE =~ ^([0-9]{1,3})-([0-9]{1,3})$ ]]; then
    log "DUSK_AUTOSCALE=$DUSK_AUTOSCALE is not MIN-MAX"; false
  fi
  autoscale=(--min-workers "${BASH_REMATCH[1]}" --max-workers "${BASH_REMATCH[2]}")
  for f in provider common.sh provider.conf dusk-worker.service; do
    if [ ! -s "$lib/$f" ]; then log "DUSK_AUTOSCALE, but the user-data wrote no $f"; false; fi
  done
fi
export AWS_DEFAULT_REGION=$DUSK_REGION AWS_REGION=$DUSK_REGION

log "installing packages"
export DEBIAN_FRONTEND=noninteractive
retry apt-get update -q
retry apt-get install -y -q --no-install-recommends awscli ca-certificates curl \
  libuv1 libmsgpackc2 libcsv3 libpcre2-8-0 libssl3 libcurl4 libexpat1 libmicrohttpd12

ssm=(ssm)
[ -z "${DUSK_SSM_ENDPOINT_URL:-}" ] || ssm=(--endpoint-url "$DUSK_SSM_ENDPOINT_URL" ssm)
s3=(s3)
[ -z "${DUSK_S3_ENDPOINT_URL:-}" ] || s3=(--endpoint-url "$DUSK_S3_ENDPOINT_URL" s3)

# imds PATH: meta-data/PATH of this instance, through IMDSv2 (a session
# token PUT first: the instances require it).
imds() {
  local t
  t=$(curl -fsS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
    http://169.254.169.254/latest/api/token) &&
    curl -fsS -m 5 -H "X-aws-ec2-metadata-token: $t" "http://169.254.169.254/latest/meta-data/$1"
}

log "fetching the token ($DUSK_TOKEN_PARAMETER) with the instance role"
install -d -m 0700 "$root/etc/dusk"
token=$root/etc/dusk/token
fetch_token() {
  (umask 077 && aws "${ssm[@]}" get-parameter --name "$DUSK_TOKEN_PARAMETER" \
    --with-decryption --query Parameter.Value --output text > "$token.new") ||
    { rm -f "$token.new"; return 1; }
}
retry fetch_token
if [ ! -s "$token.new" ]; then log "the token parameter is empty"; false; fi
chmod 0600 "$token.new"
mv -f "$token.new" "$token"

log "installing dusk from $DUSK_URL"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case $DUSK_URL in
  s3://*) retry aws "${s3[@]}" cp --only-show-errors "$DUSK_URL" "$work/dusk.tar.gz" ;;
  https://* | http://*) retry curl -fsSL -o "$work/dusk.tar.gz" "$DUSK_URL" ;;
  *) log "DUSK_URL $DUSK_URL is not s3:// or https://"; false ;;
esac
if [ -n "${DUSK_SHA256:-}" ]; then
  echo "$DUSK_SHA256  $work/dusk.tar.gz" | sha256sum -c --quiet -
fi
mkdir "$work/x"
tar -xzf "$work/dusk.tar.gz" -C "$work/x"
install -d "$root/usr/local/bin"
for b in dusk-scheduler dusk-worker dusk; do
  src=$(find "$work/x" -path "*/bin/$b" -type f -print -quit)
  if [ -z "$src" ]; then
    [ "$b" = dusk ] && continue # the CLI is for people; the daemons are not optional
    log "$DUSK_URL holds no bin/$b"; false
  fi
  install -m 0755 "$src" "$root/usr/local/bin/$b"
done

log "installing dusk-$DUSK_ROLE.service"
units=$root/etc/systemd/system
install -d "$units"
install -m 0644 "$lib/dusk-$DUSK_ROLE.service" "$units/dusk-$DUSK_ROLE.service"
if [ "$DUSK_ROLE" = scheduler ]; then
  # A later --port wins over the unit's own --port 8786.
  printf 'DUSK_SCHEDULER_ARGS=--port %s\nAWS_REGION=%s\n' \
    "$DUSK_SCHEDULER_PORT" "$DUSK_REGION" > "$root/etc/dusk/scheduler.env"
  if [ ${#autoscale[@]} -gt 0 ]; then
    ip=$(retry imds local-ipv4)
    if ! [[ $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then log "IMDS gave no private address ('$ip')"; false; fi
    sed -i '/^scheduler-host=/d' "$lib/provider.conf"
    echo "scheduler-host=$ip" >> "$lib/provider.conf"
    autoscale+=(--autoscale-contact "tcp://$ip:$DUSK_SCHEDULER_PORT")
    # The command has a space, which systemd's $DUSK_SCHEDULER_ARGS would
    # split: the drop-in repeats the unit's own ExecStart (read from it, so
    # the two cannot drift) with the flags after it, quoted.
    execstart=$(sed -n 's/^ExecStart=//p' "$units/dusk-scheduler.service")
    if [ -z "$execstart" ]; then log "dusk-scheduler.service has no ExecStart="; false; fi
    install -d "$units/dusk-scheduler.service.d"
    printf '%s\n' '# deploy/ec2/boot.sh: the scheduler starts and stops worker instances (DUSK_AUTOSCALE).' \
      '[Service]' 'ExecStart=' \
      "ExecStart=$execstart --autoscale \"/usr/local/lib/dusk-ec2/provider --config /usr/local/lib/dusk-ec2/provider.conf\" ${autoscale[*]}" \
      > "$units/dusk-scheduler.service.d/ec2-autoscale.conf"
  fi
else
  # The instance's id names this host to the scheduler (--host-id): an
  # autoscaling scheduler matches the workers that register to the hosts
  # its provider started by it.
  host_id=$(retry imds instance-id)
  if ! [[ $host_id =~ ^i-[0-9a-f]{8,32}$ ]]; then log "IMDS gave no instance id ('$host_id')"; false; fi
  # The unit's --death-timeout 600 is overridden by the later one here.
  printf 'DUSK_SCHEDULER=tcp://%s:%s\nDUSK_WORKER_ARGS=--port %s --death-timeout %s --host-id %s\nAWS_REGION=%s\n' \
    "$DUSK_SCHEDULER_HOST" "$DUSK_SCHEDULER_PORT" "$DUSK_WORKER_PORTS" \
    "$DUSK_DEATH_TIMEOUT" "$host_id" "$DUSK_REGION" > "$root/etc/dusk/worker.env"
  # The nanny exits with status 3 (not restarted: RestartPreventExitStatus)
  # once every worker has had no scheduler for --death-timeout; then this
  # host has nothing left to do.  "+": the sandbox of the unit does not
  # apply to this command, which may power the machine off.
  cat > "$lib/worker-stopped" << 'EOF'
#!/bin/sh
# dusk-worker.service's ExecStopPost (deploy/ec2/boot.sh): systemd sets
# EXIT_CODE and EXIT_STATUS; status 3 means the scheduler is gone.
if [ "${EXIT_CODE:-}" = exited ] && [ "${EXIT_STATUS:-}" = 3 ]; then
  echo "dusk-ec2: every worker lost its scheduler (--death-timeout): powering off" >&2
  exec shutdown -h now "dusk: the scheduler is gone"
fi
EOF
  chmod 0755 "$lib/worker-stopped"
  install -d "$units/dusk-worker.service.d"
  printf '%s\n' '# deploy/ec2/boot.sh: power off (and so terminate) once the scheduler is gone.' \
    '[Service]' 'ExecStopPost=+/usr/local/lib/dusk-ec2/worker-stopped' \
    > "$units/dusk-worker.service.d/ec2.conf"
fi

systemctl daemon-reload
systemctl enable --now "dusk-$DUSK_ROLE.service"
log "dusk-$DUSK_ROLE is running (cluster ${DUSK_CLUSTER:-?})"
