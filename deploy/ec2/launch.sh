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
prog=launch.sh
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$here/common.sh"

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
  --autoscale MIN-MAX      no fixed workers: the scheduler starts and stops
                           worker instances itself (dusk-scheduler
                           --autoscale with deploy/ec2/provider), between
                           MIN (0..100) and MAX (1..100) of them; its
                           instance profile needs the EC2 permissions of
                           deploy/README.md, "Autoscaling on EC2"
  --scheduler-profile P    the scheduler's instance profile (default
                           --instance-profile); with --autoscale, one whose
                           role may also start and stop the workers
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

# The settings common.sh does not hold (it holds the workers' and the
# cluster's, with their defaults).
workers='' stype='' sprofile='' vpc='' cidr='' kms='' print=''
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
    --workers) workers=$v ;;
    --autoscale) autoscale=$v ;;
    --scheduler-type) stype=$v ;;
    --scheduler-profile) sprofile=$v ;;
    --vpc-id) vpc=$v ;;
    --client-cidr) cidr=$v ;;
    --kms-key-id) kms=$v ;;
    --print-user-data) print=$v ;;
    *) set_setting "${opt#--}" "$v" || die "unknown option '$opt' (try --help)" ;;
  esac
done

# Everything given ends up in tags, names, a shell file or a YAML block:
# each value is checked against what it may hold.
default_region
check_settings --
if [ -n "$autoscale" ]; then
  amin=${autoscale%%-*} amax=${autoscale#*-}
  if [[ $autoscale != *-* ]] || ! between "$amin" 0 100 || ! between "$amax" 1 100 ||
    [ "$amin" -gt "$amax" ]; then
    die "--autoscale: '$autoscale' is not MIN-MAX with 0 <= MIN <= MAX, 1 <= MAX <= 100"
  fi
  # The scheduler starts every worker then: fixed ones beside them would
  # be hosts its autoscaler counts (they carry the same tags) but did not ask for.
  [ -z "$workers" ] || die "--workers and --autoscale: give one (with --autoscale the scheduler starts the workers)"
fi
[ -n "$workers" ] || workers=2
between "$workers" 1 100 || die "--workers: '$workers' is not 1..100"
[ -z "$cidr" ] || matches "$cidr" '^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$' ||
  die "--client-cidr: '$cidr' is not an IPv4 CIDR"
for pair in "scheduler-type:$stype" "scheduler-profile:$sprofile" "vpc-id:$vpc" "kms-key-id:$kms"; do
  matches "${pair#*:}" '^[A-Za-z0-9._:/@+=,-]*$' || die "--${pair%%:*}: '${pair#*:}' holds characters it may not"
done
[ -n "$stype" ] || stype=$itype
param=/dusk/$cluster/token

# The user-data (common.sh's user_data): a scheduler's with --autoscale
# names the group, so what it prints has a placeholder for it.
if [ -n "$print" ]; then
  case $print in
    scheduler) [ -n "$sg" ] || sg='sg-GROUP'; user_data scheduler "" ;;
    worker) user_data worker "${sched_host:-SCHEDULER-PRIVATE-IP}" ;;
    *) die "--print-user-data: '$print' is not scheduler or worker" ;;
  esac
  exit 0
fi
[ -n "$ami" ] || die "--image-id is required (a Debian 12 AMI)"
[ -n "$profile" ] || die "--instance-profile is required (deploy/README.md says what its role needs)"
[ -n "$sprofile" ] || sprofile=$profile

aws_setup

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

user_data scheduler "" > "$work/scheduler.yaml"
out=$(run_instances scheduler "$stype" "$sprofile" 1 "$work/scheduler.yaml")
read -r sid sip <<< "$out"
made="$made, the scheduler $sid"
matches "$sip" '^[0-9.]+$' || die "the scheduler $sid has no private address ('$sip')"
if [ -n "$autoscale" ]; then
  wids="started by the scheduler, $amin to $amax (there: $LIB/provider --config $LIB/provider.conf list)"
else
  user_data worker "$sip" > "$work/worker.yaml"
  wids=$(run_instances worker "$itype" "$profile" "$workers" "$work/worker.yaml" | cut -f1 | paste -sd ' ')
  made="$made and workers $wids"
fi

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
