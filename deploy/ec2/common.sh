# shellcheck shell=bash
# common.sh - what launch.sh and provider share; sourced, never run
# (deploy/README.md, "EC2" and "Autoscaling on EC2"): the settings of a
# cluster's instances and their checks, the user-data of a role, the
# provider's configuration file, the awscli's calls, and RunInstances of
# instances of a role.  Keeping them here is what makes a worker that the
# scheduler's autoscaler starts (provider up) the same as one launch.sh
# starts: same tags, user-data, IMDSv2 options, profile, group and subnet.
#
# The sourcing script sets `prog` (its name, for messages) and defines
# `die MESSAGE...` (prints it and exits non-zero); it fills the settings
# below (set_setting), calls check_settings, then aws_setup before aws_.
# On an instance this file sits in $LIB next to boot.sh, provider and the
# units; in a checkout, in deploy/ec2 with the units in ../systemd.

: "${prog:?common.sh: the script that sources it sets prog}"
AWS=${AWS:-/usr/bin/aws}
LIB=/usr/local/lib/dusk-ec2 # where the user-data puts boot.sh and its files
USER_DATA_MAX=16384         # EC2's limit, before base64
ec2_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The settings, with launch.sh's defaults.  sg and sched_host are set by
# their users (launch.sh makes the group; the provider's configuration
# names it); autoscale (MIN-MAX) only by launch.sh.
cluster='' ami='' profile='' url='' sha256='' itype=m6i.large subnet='' key=''
sport=8786 wports=9000-9099 death=600 region='' endpoint='' sched_host=''
sg='' autoscale=''

# set_setting NAME VALUE: NAME is launch.sh's option without "--", and a
# key of the provider's configuration; returns 1 for another NAME.
set_setting() {
  case $1 in
    cluster) cluster=$2 ;;
    image-id) ami=$2 ;;
    instance-profile) profile=$2 ;;
    dusk-url) url=$2 ;;
    dusk-sha256) sha256=$2 ;;
    instance-type) itype=$2 ;;
    subnet-id) subnet=$2 ;;
    key-name) key=$2 ;;
    scheduler-port) sport=$2 ;;
    worker-ports) wports=$2 ;;
    death-timeout) death=$2 ;;
    region) region=$2 ;;
    endpoint-url) endpoint=$2 ;;
    scheduler-host) sched_host=$2 ;;
    *) return 1 ;;
  esac
}

matches() { [[ $1 =~ $2 ]]; }
between() { # VALUE LO HI: an integer within [LO, HI]
  matches "$1" '^[0-9]{1,9}$' && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

# The region of the awscli's own configuration when none was given.
default_region() {
  if [ -z "$region" ]; then
    region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$("$AWS" configure get region 2> /dev/null || true)}}
  fi
}

# check_settings LABEL: every shared setting against what it may hold (each
# ends up in tags, names, a shell file or a YAML block); LABEL prefixes the
# setting's name in a refusal ("--" for options, "FILE: " for a file).
# Sets wlo and whi, the worker port range's ends.
check_settings() {
  local l=$1 pair
  matches "$cluster" '^[A-Za-z0-9][A-Za-z0-9-]{0,31}$' ||
    die "${l}cluster: '$cluster' is not 1-32 letters, digits and '-'"
  matches "$url" '^(s3://[a-z0-9][a-z0-9.-]*/|https?://)[A-Za-z0-9._~:/?#@!$&()*+,;=%-]+$' ||
    die "${l}dusk-url: '$url' is not an s3:// or https:// URL"
  [ -z "$sha256" ] || matches "$sha256" '^[0-9a-f]{64}$' || die "${l}dusk-sha256: not 64 hex digits"
  between "$sport" 1 65535 || die "${l}scheduler-port: '$sport' is not 1..65535"
  wlo=${wports%-*} whi=${wports#*-}
  if ! between "$wlo" 1 65535 || ! between "$whi" "$wlo" 65535; then
    die "${l}worker-ports: '$wports' is not a range A-B of ports"
  fi
  if between "$sport" "$wlo" "$whi"; then
    die "${l}scheduler-port $sport is inside ${l}worker-ports $wports"
  fi
  between "$death" 1 31536000 || die "${l}death-timeout: '$death' is not 1..31536000 seconds"
  for pair in "image-id:$ami" "instance-profile:$profile" "instance-type:$itype" \
    "subnet-id:$subnet" "key-name:$key" "scheduler-host:$sched_host" "security-group-id:$sg"; do
    matches "${pair#*:}" '^[A-Za-z0-9._:/@+=,-]*$' || die "${l}${pair%%:*}: '${pair#*:}' holds characters it may not"
  done
  [ -z "$endpoint" ] || matches "$endpoint" '^https?://[A-Za-z0-9._:/-]+$' ||
    die "${l}endpoint-url: '$endpoint' is not an http(s) URL"
  matches "$region" '^[a-z]{2}(-[a-z0-9]+)+$' || die "${l}region: '$region' is not a region"
}

# ------------------------------------------------------------- user-data
# The user-data of ROLE: #cloud-config that writes boot.sh, the role's unit
# from deploy/systemd and ec2.env (what launch.sh was told) under $LIB,
# then runs boot.sh.  No secret: the token stays in SSM.  A scheduler with
# autoscale also gets the provider, this file, the workers' unit and the
# provider's configuration (run_instances gzips what is over EC2's 16 KB).

unit_path() { # ROLE: deploy/systemd's unit, or the copy next to this file on an instance
  if [ -f "$ec2_dir/dusk-$1.service" ]; then
    echo "$ec2_dir/dusk-$1.service"
  else
    echo "$ec2_dir/../systemd/dusk-$1.service"
  fi
}
file_entry() { # PATH MODE < CONTENT
  printf '  - path: %s\n    owner: root:root\n    permissions: "%s"\n    content: |\n' "$1" "$2"
  sed 's/^/      /'
}
ec2_env() { # ROLE SCHEDULER_HOST
  echo "# What deploy/ec2/launch.sh was told; boot.sh reads it."
  printf '%s=%q\n' DUSK_ROLE "$1" DUSK_CLUSTER "$cluster" DUSK_REGION "$region" \
    DUSK_TOKEN_PARAMETER "/dusk/$cluster/token" DUSK_URL "$url" DUSK_SHA256 "$sha256" \
    DUSK_SCHEDULER_HOST "$2" DUSK_SCHEDULER_PORT "$sport" \
    DUSK_WORKER_PORTS "$wports" DUSK_DEATH_TIMEOUT "$death"
  if [ "$1" = scheduler ] && [ -n "$autoscale" ]; then
    printf '%s=%q\n' DUSK_AUTOSCALE "$autoscale"
  fi
}
# The provider's configuration: KEY=VALUE lines (keys as set_setting's, and
# security-group-id), read by the provider, never sourced; every value was
# checked by check_settings, so none holds a newline.  boot.sh adds
# scheduler-host (the scheduler's private address) on the instance.
provider_conf() {
  echo "# The EC2 autoscaling provider of dusk cluster $cluster (deploy/ec2/provider"
  echo "# --config): the workers it starts are those launch.sh would start."
  printf '%s=%s\n' cluster "$cluster" region "$region" endpoint-url "$endpoint" \
    image-id "$ami" instance-type "$itype" instance-profile "$profile" \
    security-group-id "$sg" subnet-id "$subnet" key-name "$key" dusk-url "$url" \
    dusk-sha256 "$sha256" scheduler-port "$sport" worker-ports "$wports" \
    death-timeout "$death"
}
user_data() { # ROLE SCHEDULER_HOST
  echo "#cloud-config"
  echo "# dusk cluster $cluster, $1 (deploy/ec2/launch.sh).  The token is not"
  echo "# here: boot.sh fetches it from SSM with the instance role."
  echo "write_files:"
  ec2_env "$1" "$2" | file_entry "$LIB/ec2.env" 0644
  file_entry "$LIB/boot.sh" 0755 < "$ec2_dir/boot.sh"
  file_entry "$LIB/dusk-$1.service" 0644 < "$(unit_path "$1")"
  if [ "$1" = scheduler ] && [ -n "$autoscale" ]; then
    provider_conf | file_entry "$LIB/provider.conf" 0644
    file_entry "$LIB/provider" 0755 < "$ec2_dir/provider"
    file_entry "$LIB/common.sh" 0644 < "$ec2_dir/common.sh"
    file_entry "$LIB/dusk-worker.service" 0644 < "$(unit_path worker)"
  fi
  echo "runcmd:"
  echo "  - [$LIB/boot.sh]"
}

# ------------------------------------------------------------- the awscli
aws_setup() {
  aws_opts=(--region "$region")
  [ -z "$endpoint" ] || aws_opts+=(--endpoint-url "$endpoint")
}
# aws_ SERVICE COMMAND ARGS...: the awscli with the region and endpoint; a
# failure says which call failed (the awscli's own message may not, e.g.
# when the endpoint cannot be reached) and returns its status.
aws_() {
  local rc=0
  "$AWS" "${aws_opts[@]}" "$@" || rc=$?
  [ "$rc" = 0 ] || echo "$prog: aws $1 $2 failed (exit status $rc)" >&2
  return "$rc"
}

# run_instances ROLE TYPE PROFILE COUNT USER_DATA_FILE: instances of ROLE
# (tagged dusk:cluster, dusk:role and Name, on the instance and its
# volumes), IMDSv2 only, terminated when they power off; COUNT is N or
# MIN:MAX (the awscli's --count).  Prints "ID IP" lines, one an instance.
# User-data over EC2's 16 KB goes gzipped (cloud-init inflates it; the
# limit is on the bytes sent), else as it is, readable in EC2's console.
# The awscli sends a ClientToken of its own, so its retries of a request
# that timed out start no second set.
run_instances() {
  local tags="{Key=dusk:cluster,Value=$cluster},{Key=dusk:role,Value=$1},{Key=Name,Value=dusk-$cluster-$1}"
  local prof=Name=$3 extra=() ud=file://$5
  [[ $3 != arn:* ]] || prof=Arn=$3
  [ -z "$subnet" ] || extra+=(--subnet-id "$subnet")
  [ -z "$key" ] || extra+=(--key-name "$key")
  if [ "$(wc -c < "$5")" -gt "$USER_DATA_MAX" ]; then
    gzip -9nc "$5" > "$5.gz"
    [ "$(wc -c < "$5.gz")" -le "$USER_DATA_MAX" ] || die "the $1 user-data is over $USER_DATA_MAX bytes, even gzipped"
    ud=fileb://$5.gz
  fi
  aws_ ec2 run-instances --image-id "$ami" --instance-type "$2" --count "$4" \
    --iam-instance-profile "$prof" --security-group-ids "$sg" "${extra[@]}" \
    --metadata-options HttpTokens=required,HttpEndpoint=enabled,HttpPutResponseHopLimit=1 \
    --instance-initiated-shutdown-behavior terminate \
    --tag-specifications "ResourceType=instance,Tags=[$tags]" "ResourceType=volume,Tags=[$tags]" \
    --user-data "$ud" \
    --query 'Instances[].[InstanceId,PrivateIpAddress]' --output text
}
