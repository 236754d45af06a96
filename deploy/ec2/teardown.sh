#!/bin/bash
# teardown.sh - removes a dusk cluster that launch.sh made on EC2
# (deploy/README.md, "EC2"): terminates every instance tagged
# dusk:cluster=NAME and waits until they are gone, then deletes the
# security group(s) tagged so (a group cannot go while an instance uses
# it) and the token parameter /dusk/NAME/token.  Nothing else is touched:
# instances are found by their tag alone.  Running it again, or on a
# half-made cluster, removes what is left.
#
#   deploy/ec2/teardown.sh --cluster NAME [--region REGION]
#                          [--endpoint-url URL] [--no-wait]
#
# --no-wait terminates the instances and returns, leaving the group and
# the parameter (run it again later to remove them).  Uses Debian's awscli
# (/usr/bin/aws; AWS=... for another); --endpoint-url goes to every call.
set -euo pipefail

AWS=${AWS:-/usr/bin/aws}

die() {
  echo "teardown.sh: $*" >&2
  exit 2
}

cluster='' region='' endpoint='' wait=1
while [ $# -gt 0 ]; do
  case $1 in
    --help | -h) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --no-wait) wait=0; shift; continue ;;
    --cluster | --region | --endpoint-url) [ $# -ge 2 ] || die "$1 needs a value" ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  case $1 in
    --cluster) cluster=$2 ;;
    --region) region=$2 ;;
    --endpoint-url) endpoint=$2 ;;
  esac
  shift 2
done
[[ $cluster =~ ^[A-Za-z0-9][A-Za-z0-9-]{0,31}$ ]] ||
  die "--cluster: '$cluster' is not 1-32 letters, digits and '-'"
if [ -z "$region" ]; then
  region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$("$AWS" configure get region 2> /dev/null || true)}}
fi
[[ $region =~ ^[a-z]{2}(-[a-z0-9]+)+$ ]] || die "--region: '$region' is not a region (give --region)"
aws_opts=(--region "$region" --output text)
[ -z "$endpoint" ] || aws_opts+=(--endpoint-url "$endpoint")
aws_() { "$AWS" "${aws_opts[@]}" "$@"; }
tag="Name=tag:dusk:cluster,Values=$cluster"

# An autoscaling scheduler (launch.sh --autoscale) may start workers until
# it is gone itself, after the instances were listed: so list again once
# those terminated, until none is left (the group cannot go before).
# (Each answer is taken whole before it is split: a failed call stops here.)
for round in 1 2 3 4 5 last; do
  out=$(aws_ ec2 describe-instances --filters "$tag" \
    "Name=instance-state-name,Values=pending,running,shutting-down,stopping,stopped" \
    --query 'Reservations[].Instances[].InstanceId')
  read -r -d '' -a ids <<< "$out" || true # every page's line
  [ ${#ids[@]} -gt 0 ] || break
  [ "$round" != last ] || die "instances of $cluster keep appearing (${ids[*]}): what starts them?"
  echo "terminating ${#ids[@]} instance(s) of $cluster: ${ids[*]}"
  aws_ ec2 terminate-instances --instance-ids "${ids[@]}" > /dev/null
  if [ "$wait" = 0 ]; then
    echo "not waiting (--no-wait): run teardown.sh again to remove the security group and the token"
    exit 0
  fi
  aws_ ec2 wait instance-terminated --instance-ids "${ids[@]}"
done

out=$(aws_ ec2 describe-security-groups --filters "$tag" --query 'SecurityGroups[].GroupId')
read -ra groups <<< "$out"
for g in "${groups[@]}"; do
  echo "deleting security group $g"
  aws_ ec2 delete-security-group --group-id "$g"
done

param=/dusk/$cluster/token
if out=$(aws_ ssm delete-parameter --name "$param" 2>&1); then
  echo "deleted the parameter $param"
elif [[ $out == *ParameterNotFound* ]]; then
  echo "no parameter $param (already deleted)"
else
  echo "$out" >&2
  exit 1
fi
echo "cluster $cluster removed"
