#!/bin/bash
# launch.sh - a dusk cluster on EC2: one scheduler instance and N worker
# instances in a security group of their own, the token in SSM Parameter
# Store (deploy/README.md, "EC2").  `launch.sh --help` lists the options;
# teardown.sh --cluster NAME removes everything this made.
#
# Every instance, volume and the security group is tagged dusk:cluster=NAME
# (instances also dusk:role=scheduler|worker); the token is the SecureString
# parameter /dusk/NAME/token, which the instances read with their instance
# role at boot (boot.sh) - it is not in the user-data.  Instances require
# IMDSv2 (HttpTokens=required) and terminate when they power off: workers
# power off once their scheduler has been gone for --death-timeout.
#
# Uses Debian's awscli (/usr/bin/aws; AWS=... for another) with the
# caller's credentials; --endpoint-url goes to every EC2 and SSM call.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
AWS=${AWS:-/usr/bin/aws}
LIB=/usr/local/lib/dusk-ec2 # where the user-data puts boot.sh and its files
USER_DATA_MAX=16384         # EC2's limit, before base64

usage() {
  cat << 'EOF'
usage: launch.sh --cluster NAME --image-id AMI --instance-profile PROFILE
                 --dusk-url URL [options]

Starts a dusk scheduler and --workers worker instances on EC2 (a Debian 12
AMI), in a new security group that opens the scheduler's port and the
workers' data ports to members of the group only.  The cluster's token goes
to SSM Parameter Store as the SecureString /dusk/NAME/token; instances fetch
it at boot with their instance role.  teardown.sh --cluster NAME undoes it.

  --cluster NAME           letters, digits and '-' (at most 32): names and
                           tags everything (dusk:cluster=NAME)
  --image-id AMI           a Debian 12 AMI for the region
  --instance-profile P     the instances' IAM instance profile (name or ARN);
                           its role needs ssm:GetParameter on the token,
                           kms:Decrypt, and s3:GetObject / s3:ListBucket on
                           the data and on --dusk-url (deploy/README.md)
  --dusk-url URL           s3://BUCKET/KEY or https://... of a .tar.gz of a
                           `cmake --install` prefix (bin/dusk-scheduler,
                           bin/dusk-worker, bin/dusk)
  --dusk-sha256 HEX        the tarball's sha256, checked on every instance
  --workers N              worker instances, 1..100 (default 2)
  --instance-type TYPE     the workers' type (default m6i.large)
  --scheduler-type TYPE    the scheduler's type (default --instance-type)
  --subnet-id SUBNET       the subnet (default: the default VPC's)
  --vpc-id VPC             the security group's VPC (default: the subnet's,
                           else the default VPC)
  --key-name KEY           an EC2 key pair (no rule opens SSH: add your own)
  --client-cidr CIDR       also open both port ranges to CIDR, for a client
                           outside the group (the token is still required)
  --scheduler-port PORT    the scheduler's port (default 8786)
  --worker-ports A-B       workers' data ports: each takes the first free
                           one (default 9000-9099; at least one per vCPU)
  --death-timeout SECONDS  a worker host whose scheduler is gone this long
                           powers off, and so terminates (default 600)
  --kms-key-id KEY         the KMS key of the token (default alias/aws/ssm)
  --region REGION          default: the awscli's configured region
  --endpoint-url URL       send every EC2 and SSM call there (a test's fake)
  --print-user-data ROLE   print ROLE's (scheduler | worker) user-data and
                           exit, calling nothing; a worker's names
                           --scheduler-host ADDR, or a placeholder
  --help                   this text
EOF
}

made='' # what this launch made so far, for the message of a failure
die() {
  echo "launch.sh: $*" >&2
  leftovers
  exit 2
}
leftovers() {
  [ -z "$made" ] || echo "launch.sh: failed after making $made; teardown.sh --cluster $cluster --region $region removes them" >&2
}

cluster='' ami='' profile='' url='' sha256='' workers=2 itype=m6i.large
stype='' subnet='' vpc='' key='' cidr='' sport=8786 wports=9000-9099
death=600 kms='' region='' endpoint='' print='' sched_host=''
while [ $# -gt 0 ]; do
  opt=$1
  case $opt in
    --help | -h) usage; exit 0 ;;
    --*) [ $# -ge 2 ] || die "$opt needs a value" ;;
    *) die "unexpected argument '$opt' (try --help)" ;;
  esac
  v=$2
  shift 2
  case $opt in
    --cluster) cluster=$v ;;
    --image-id) ami=$v ;;
    --instance-profile) profile=$v ;;
    --dusk-url) url=$v ;;
    --dusk-sha256) sha256=$v ;;
    --workers) workers=$v ;;
    --instance-type) itype=$v ;;
    --scheduler-type) stype=$v ;;
    --subnet-id) subnet=$v ;;
    --vpc-id) vpc=$v ;;
    --key-name) key=$v ;;
    --client-cidr) cidr=$v ;;
    --scheduler-port) sport=$v ;;
    --worker-ports) wports=$v ;;
    --death-timeout) death=$v ;;
    --kms-key-id) kms=$v ;;
    --region) region=$v ;;
    --endpoint-url) endpoint=$v ;;
    --print-user-data) print=$v ;;
    --scheduler-host) sched_host=$v ;;
    *) die "unknown option '$opt' (try --help)" ;;
  esac
done

# Everything given ends up in tags, names, a shell file or a YAML block:
# each value is checked against what it may hold.
matches() { [[ $1 =~ $2 ]]; }
matches "$cluster" '^[A-Za-z0-9][A-Za-z0-9-]{0,31}$' ||
  die "--cluster: '$cluster' is not 1-32 letters, digits and '-'"
matches "$url" '^(s3://[a-z0-9][a-z0-9.-]*/|https?://)[A-Za-z0-9._~:/?#@!$&()*+,;=%-]+$' ||
  die "--dusk-url: '$url' is not an s3:// or https:// URL"
[ -z "$sha256" ] || matches "$sha256" '^[0-9a-f]{64}$' || die "--dusk-sha256: not 64 hex digits"
between() { # VALUE LO HI: an integer within [LO, HI]
  matches "$1" '^[0-9]{1,9}$' && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}
between "$workers" 1 100 || die "--workers: '$workers' is not 1..100"
between "$sport" 1 65535 || die "--scheduler-port: '$sport' is not 1..65535"
wlo=${wports%-*} whi=${wports#*-}
if ! between "$wlo" 1 65535 || ! between "$whi" "$wlo" 65535; then
  die "--worker-ports: '$wports' is not a range A-B of ports"
fi
if between "$sport" "$wlo" "$whi"; then
  die "--scheduler-port $sport is inside --worker-ports $wports"
fi
between "$death" 1 31536000 || die "--death-timeout: '$death' is not 1..31536000 seconds"
[ -z "$cidr" ] || matches "$cidr" '^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$' ||
  die "--client-cidr: '$cidr' is not an IPv4 CIDR"
for pair in "image-id:$ami" "instance-profile:$profile" "instance-type:$itype" \
  "scheduler-type:$stype" "subnet-id:$subnet" "vpc-id:$vpc" "key-name:$key" \
  "kms-key-id:$kms" "scheduler-host:$sched_host"; do
  matches "${pair#*:}" '^[A-Za-z0-9._:/@+=,-]*$' || die "--${pair%%:*}: '${pair#*:}' holds characters it may not"
done
[ -n "$stype" ] || stype=$itype
if [ -z "$region" ]; then
  region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$("$AWS" configure get region 2> /dev/null || true)}}
fi
matches "$region" '^[a-z]{2}(-[a-z0-9]+)+$' || die "--region: '$region' is not a region (give --region)"
param=/dusk/$cluster/token

# The user-data of ROLE: #cloud-config that writes boot.sh, the role's unit
# from deploy/systemd and ec2.env (what this launch was told) under $LIB,
# then runs boot.sh.  No secret: the token stays in SSM.
file_entry() { # PATH MODE < CONTENT
  printf '  - path: %s\n    owner: root:root\n    permissions: "%s"\n    content: |\n' "$1" "$2"
  sed 's/^/      /'
}
ec2_env() { # ROLE SCHEDULER_HOST
  echo "# What deploy/ec2/launch.sh was told; boot.sh reads it."
  printf '%s=%q\n' DUSK_ROLE "$1" DUSK_CLUSTER "$cluster" DUSK_REGION "$region" \
    DUSK_TOKEN_PARAMETER "$param" DUSK_URL "$url" DUSK_SHA256 "$sha256" \
    DUSK_SCHEDULER_HOST "$2" DUSK_SCHEDULER_PORT "$sport" \
    DUSK_WORKER_PORTS "$wports" DUSK_DEATH_TIMEOUT "$death"
}
user_data() { # ROLE SCHEDULER_HOST
  echo "#cloud-config"
  echo "# dusk cluster $cluster, $1 (deploy/ec2/launch.sh).  The token is not"
  echo "# here: boot.sh fetches it from SSM with the instance role."
  echo "write_files:"
  ec2_env "$1" "$2" | file_entry "$LIB/ec2.env" 0644
  file_entry "$LIB/boot.sh" 0755 < "$here/boot.sh"
  file_entry "$LIB/dusk-$1.service" 0644 < "$here/../systemd/dusk-$1.service"
  echo "runcmd:"
  echo "  - [$LIB/boot.sh]"
}

if [ -n "$print" ]; then
  case $print in
    scheduler) user_data scheduler "" ;;
    worker) user_data worker "${sched_host:-SCHEDULER-PRIVATE-IP}" ;;
    *) die "--print-user-data: '$print' is not scheduler or worker" ;;
  esac
  exit 0
fi
[ -n "$ami" ] || die "--image-id is required (a Debian 12 AMI)"
[ -n "$profile" ] || die "--instance-profile is required (deploy/README.md says what its role needs)"

aws_opts=(--region "$region")
[ -z "$endpoint" ] || aws_opts+=(--endpoint-url "$endpoint")
aws_() { "$AWS" "${aws_opts[@]}" "$@"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap leftovers ERR

# One cluster per name: teardown.sh finds everything by its tag.
live=$(aws_ ec2 describe-instances --output text \
  --filters "Name=tag:dusk:cluster,Values=$cluster" \
  "Name=instance-state-name,Values=pending,running,stopping,stopped" \
  --query 'Reservations[].Instances[].InstanceId')
[ -z "$live" ] || die "cluster $cluster already has instances (${live//$'\t'/ }): teardown.sh --cluster $cluster first"

# The token: 32 random bytes in hex, to SSM through a file of mode 0600
# (never on a command line, where ps would show it).
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/token")
kms_opt=()
[ -z "$kms" ] || kms_opt=(--key-id "$kms")
aws_ ssm put-parameter --name "$param" --type SecureString --value "file://$work/token" \
  "${kms_opt[@]}" --description "dusk cluster $cluster: the token of its scheduler and workers" \
  --tags "Key=dusk:cluster,Value=$cluster" > /dev/null
rm -f "$work/token"
made="the parameter $param"

# The security group: the scheduler's port and the workers' data ports,
# from members of the group only (and --client-cidr).  Outbound stays open
# (S3, SSM, Debian's mirrors).
if [ -z "$vpc" ] && [ -n "$subnet" ]; then
  vpc=$(aws_ ec2 describe-subnets --subnet-ids "$subnet" --query 'Subnets[0].VpcId' --output text)
fi
vpc_opt=()
[ -z "$vpc" ] || vpc_opt=(--vpc-id "$vpc")
sg=$(aws_ ec2 create-security-group --group-name "dusk-$cluster" "${vpc_opt[@]}" \
  --description "dusk cluster $cluster: scheduler and worker ports, from this group only" \
  --tag-specifications "ResourceType=security-group,Tags=[{Key=dusk:cluster,Value=$cluster},{Key=Name,Value=dusk-$cluster}]" \
  --query GroupId --output text)
made="$made and the security group $sg"
perms=("IpProtocol=tcp,FromPort=$sport,ToPort=$sport,UserIdGroupPairs=[{GroupId=$sg,Description=dusk-scheduler}]"
  "IpProtocol=tcp,FromPort=$wlo,ToPort=$whi,UserIdGroupPairs=[{GroupId=$sg,Description=dusk-worker-data}]")
if [ -n "$cidr" ]; then
  perms+=("IpProtocol=tcp,FromPort=$sport,ToPort=$sport,IpRanges=[{CidrIp=$cidr,Description=dusk-client}]"
    "IpProtocol=tcp,FromPort=$wlo,ToPort=$whi,IpRanges=[{CidrIp=$cidr,Description=dusk-client}]")
fi
aws_ ec2 authorize-security-group-ingress --group-id "$sg" --ip-permissions "${perms[@]}" > /dev/null

# run_instances ROLE TYPE COUNT USER_DATA_FILE: prints "ID IP" lines.
run_instances() {
  local tags="{Key=dusk:cluster,Value=$cluster},{Key=dusk:role,Value=$1},{Key=Name,Value=dusk-$cluster-$1}"
  local prof=Name=$profile extra=()
  [[ $profile != arn:* ]] || prof=Arn=$profile
  [ -z "$subnet" ] || extra+=(--subnet-id "$subnet")
  [ -z "$key" ] || extra+=(--key-name "$key")
  [ "$(wc -c < "$4")" -le "$USER_DATA_MAX" ] || die "the $1 user-data is over $USER_DATA_MAX bytes"
  aws_ ec2 run-instances --image-id "$ami" --instance-type "$2" --count "$3" \
    --iam-instance-profile "$prof" --security-group-ids "$sg" "${extra[@]}" \
    --metadata-options HttpTokens=required,HttpEndpoint=enabled,HttpPutResponseHopLimit=1 \
    --instance-initiated-shutdown-behavior terminate \
    --tag-specifications "ResourceType=instance,Tags=[$tags]" "ResourceType=volume,Tags=[$tags]" \
    --user-data "file://$4" \
    --query 'Instances[].[InstanceId,PrivateIpAddress]' --output text
}

user_data scheduler "" > "$work/scheduler.yaml"
out=$(run_instances scheduler "$stype" 1 "$work/scheduler.yaml")
read -r sid sip <<< "$out"
made="$made, the scheduler $sid"
matches "$sip" '^[0-9.]+$' || die "the scheduler $sid has no private address ('$sip')"
user_data worker "$sip" > "$work/worker.yaml"
wids=$(run_instances worker "$itype" "$workers" "$work/worker.yaml" | cut -f1 | paste -sd ' ')
made="$made and workers $wids"

cat << EOF
dusk cluster $cluster ($region):
  scheduler  $sid at tcp://$sip:$sport
  workers    $wids
  token      the SecureString $param (instances read it with their role)
  network    security group $sg: tcp $sport and $wports from members of the group${cidr:+ and $cidr}
  lifetime   a worker host whose scheduler is gone for ${death}s powers off and terminates
From the scheduler host (SSM Session Manager or SSH), as root:
  dusk query --scheduler tcp://127.0.0.1:$sport --token-file /etc/dusk/token 'read_csv("s3://BUCKET/*.csv").describe()'
Remove it all with: $here/teardown.sh --cluster $cluster --region $region
EOF
