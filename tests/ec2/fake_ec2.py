#!/usr/bin/python3
"""fake_ec2.py - a small, strict fake of EC2's Query API and SSM Parameter
Store's JSON API on one port, for deploy/ec2's tests.

    /usr/bin/python3 tests/ec2/fake_ec2.py [--host 127.0.0.1] [--port 0]
        [--region us-east-1] [--access-key AK --secret-key SK
        [--session-token T]] [--exit-on-stdin-eof] [--verbose]

Same start-up protocol as tests/s3/fake_s3.py: prints "READY <port>" once
listening, serves until SIGTERM/SIGINT (or stdin EOF with
--exit-on-stdin-eof).  Point the awscli at it with --endpoint-url
http://127.0.0.1:PORT for both `aws ec2` and `aws ssm`; the two are told
apart as AWS tells them: SSM requests carry X-Amz-Target: AmazonSSM.<Op>
and a JSON body, EC2 requests a form-encoded Action=<Op>&... body.

Every request must be signed with SigV4 (AWS4-HMAC-SHA256 in the
Authorization header) by the configured key for service "ec2" or "ssm",
with the session token as X-Amz-Security-Token when one is configured; the
signature is checked over the body's sha256, as botocore signs these
services.  Failures answer AuthFailure (EC2) / UnrecognizedClientException,
InvalidSignatureException (SSM).  The default key is fake_s3.py's.

EC2 (Version 2016-11-15; XML answers, errors as
<Response><Errors><Error><Code/><Message/></Error></Errors>):
  RunInstances      ImageId, MinCount/MaxCount (1 <= Min <= Max <= 100:
                    Max are started, or fewer - at least Min - within the
                    capacity left, else InsufficientInstanceCapacity and
                    none), InstanceType, UserData
                    (base64, at most 16384 bytes decoded, as EC2 limits it),
                    IamInstanceProfile.Name/Arn, SecurityGroupId.N (must
                    exist), SubnetId, KeyName, MetadataOptions.*,
                    InstanceInitiatedShutdownBehavior (stop | terminate),
                    TagSpecification.N (instance, volume), ClientToken
                    (a retry with the same token gets the same reservation).
                    Instances start "pending", with a private address in
                    10.0.0.0/16 (data only: nothing is ever sent there).
  DescribeInstances InstanceId.N, Filter.N (tag:KEY, tag-key,
                    instance-state-name, instance-id, instance.group-id),
                    MaxResults (5..1000, not with InstanceId) and NextToken:
                    a page holds at most MaxResults (or the control API's
                    page size) reservations, the next token where more
                    follow.  Each call moves pending -> running and
                    shutting-down -> terminated; terminated instances stay
                    listed.
  TerminateInstances InstanceId.N -> shutting-down; an unknown id fails
                    the whole call (InvalidInstanceID.NotFound).
  CreateSecurityGroup GroupName, GroupDescription, VpcId,
                    TagSpecification (security-group); a duplicate name in a
                    VPC is InvalidGroup.Duplicate.
  AuthorizeSecurityGroupIngress GroupId, IpPermissions.N (IpProtocol,
                    FromPort, ToPort, Groups.M.GroupId, IpRanges.M.CidrIp);
                    a rule already there is InvalidPermission.Duplicate.
  DescribeSecurityGroups GroupId.N, GroupName.N, Filter.N (tag:KEY, tag-key,
                    group-name, group-id, vpc-id).
  DeleteSecurityGroup GroupId: DependencyViolation while an instance that
                    is not terminated uses it.
  CreateTags        ResourceId.N, Tag.N.Key/Value.
  DescribeSubnets   SubnetId.N: every subnet-* id exists, in vpc-0fake0001.
SSM (JSON 1.1; errors as {"__type", "message"} with status 400):
  PutParameter      Name, Value, Type (String | StringList | SecureString),
                    KeyId, Overwrite, Tags, Description: ParameterAlreadyExists
                    without Overwrite; Tags with Overwrite is a
                    ValidationException, as in SSM.
  GetParameter      Name, WithDecryption: a SecureString's value without it
                    is an opaque "ciphertext" (as SSM returns the encrypted
                    blob); ParameterNotFound.
  DeleteParameter   Name; ParameterNotFound.
Anything else is InvalidAction (EC2) / UnknownOperationException (SSM).

Control API (same port, unsigned, loopback clients only; JSON in and out):
  GET    /__control/log      [{"seq", "time", "service" ("ec2" | "ssm"),
           "action", "params" (EC2: the form's flat key -> value; SSM: the
           JSON body), "access_key", "session_token", "region", "status",
           "code" (error code or null)}], oldest first
  DELETE /__control/log
  GET    /__control/state    {"instances": {...}, "groups": {...},
           "parameters": {...}} as the fake holds them (user data in base64)
  POST   /__control/instances [{"tags": {"k": "v"}, "state": "running"}]:
           adds instances made elsewhere (e.g. another cluster's); answers
           their ids
  POST   /__control/parameters {"name", "value", "type"}: adds a parameter
  POST   /__control/groups {"name", "vpc"}: adds a security group; answers
           its id
  POST   /__control/capacity {"instances": N | null}: RunInstances may start
           N more instances (null: no limit, the default)
  POST   /__control/paging {"page_size": N | null}: DescribeInstances answers
           at most N reservations a page even without MaxResults (null: all)
  POST   /__control/faults [{"action", "code", "message", "status",
           "count"}]: the next count (default 1; -1 forever) calls of action
           fail with that error (status default 400) before doing anything
  DELETE /__control/faults
  POST   /__control/after [{"action", "tags", "state", "count"}]: after the
           next count (default 1) successful calls of action, an instance
           with those tags appears (as one an autoscaler starts meanwhile)
  GET    /__control/health   {"ok": true}
"""

import argparse
import base64
import datetime
import fnmatch
import hashlib
import hmac
import http.server
import itertools
import json
import os
import sys
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "s3"))
import fake_s3  # noqa: E402  (serve(), add_common_args(), is_loopback(), sigv4_key())

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
OWNER = "123456789012"
DEFAULT_VPC = "vpc-0fake0001"
USER_DATA_MAX = 16384
STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48,
               "stopping": 64, "stopped": 80}


class ApiError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(code)
        self.code, self.message, self.status = code, message, status


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def unflatten(flat):
    """EC2's flattened form ("A.1.B.2.C" = v) as nested dicts; numbered
    levels become lists in index order."""
    root = {}
    for key, value in flat.items():
        node, parts = root, key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ApiError("InvalidParameterValue", "%s is both a value and a list" % key)
        node[parts[-1]] = value

    def fix(node):
        if not isinstance(node, dict):
            return node
        if node and all(k.isdigit() for k in node):
            return [fix(node[k]) for k in sorted(node, key=int)]
        return {k: fix(v) for k, v in node.items()}
    return fix(root)


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def tags_of(spec_list, resource):
    tags = {}
    for spec in as_list(spec_list):
        if spec.get("ResourceType") == resource:
            for t in as_list(spec.get("Tag")):
                tags[t["Key"]] = t.get("Value", "")
    return tags


def tag_set(tags):
    return "<tagSet>%s</tagSet>" % "".join(
        "<item><key>%s</key><value>%s</value></item>" % (escape(k), escape(v)) for k, v in tags.items())


def match_filters(obj, filters, fields):
    """EC2's filters: every filter must match (values OR'ed); fields maps a
    filter name to the object's value(s)."""
    for f in filters:
        name, values = f.get("Name", ""), as_list(f.get("Value"))
        if name.startswith("tag:"):
            have = obj["tags"].get(name[4:])
            ok = have is not None and any(fnmatch_ec2(have, v) for v in values)
        elif name == "tag-key":
            ok = any(v in obj["tags"] for v in values)
        elif name in fields:
            have = fields[name](obj)
            have = have if isinstance(have, list) else [have]
            ok = any(fnmatch_ec2(h, v) for h in have for v in values)
        else:
            raise ApiError("InvalidParameterValue", "The filter '%s' is invalid" % name)
        if not ok:
            return False
    return True


def fnmatch_ec2(have, pattern):
    """EC2's filter values take * and ? wildcards."""
    return fnmatch.fnmatchcase(str(have), pattern)


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.verbose = args.verbose
        self.creds = (args.access_key, args.secret_key, args.session_token)
        self.instances = {}
        self.groups = {}
        self.parameters = {}
        self.tokens = {}  # RunInstances ClientToken -> response
        self.capacity = None  # instances RunInstances may still start
        self.page_size = None  # DescribeInstances' page without MaxResults
        self.faults = []
        self.after = []
        self.log = []
        self.seq = 0
        self.ids = itertools.count(1)

    def new_id(self, prefix):
        return "%s-0%016x" % (prefix, next(self.ids) * 0x1000193)

    def add_instance(self, image, itype, tags, groups, **extra):
        n = len(self.instances) + 1
        iid = self.new_id("i")
        inst = {"id": iid, "image": image, "type": itype, "state": "pending", "tags": dict(tags),
                "groups": list(groups), "private_ip": "10.0.%d.%d" % (n // 250, 4 + n % 250),
                "launch_time": time.time()}
        inst.update(extra)
        self.instances[iid] = inst
        return inst


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-ec2"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        if self.server.state.verbose:
            sys.stderr.write("fake_ec2: %s\n" % (fmt % args))

    def do_GET(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(n) if n > 0 else b""
        path, _, self.raw_query = self.path.partition("?")
        if path.startswith(fake_s3.CONTROL):
            return self.control(path[len(fake_s3.CONTROL):].rstrip("/"))
        target = self.headers.get("X-Amz-Target", "")
        service = "ssm" if target.startswith("AmazonSSM.") else "ec2"
        entry = {"time": time.time(), "service": service, "action": None, "params": None,
                 "access_key": None, "session_token": None, "region": None, "code": None}
        try:
            if service == "ssm":
                entry["action"] = target[len("AmazonSSM."):]
                try:
                    entry["params"] = json.loads(self.body or b"{}")
                except ValueError:
                    raise ApiError("SerializationException", "the body is not JSON")
            else:
                form = self.body.decode("utf-8") if self.command == "POST" else self.raw_query
                entry["params"] = dict(urllib.parse.parse_qsl(form, keep_blank_values=True))
                entry["action"] = entry["params"].get("Action")
            self.authenticate(service, entry)
            with st.lock:
                if service == "ssm":
                    status, body = 200, json.dumps(self.ssm(entry["action"], entry["params"]))
                else:
                    status, body = 200, self.ec2(entry["action"], entry["params"])
        except ApiError as e:
            entry["code"] = e.code
            status = e.status
            if service == "ssm":
                body = json.dumps({"__type": e.code, "message": e.message})
            else:
                body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                        "<Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s"
                        "</RequestID></Response>" % (escape(e.code), escape(e.message), os.urandom(8).hex()))
        entry["status"] = status
        with st.lock:
            st.seq += 1
            entry["seq"] = st.seq
            st.log.append(entry)
        ctype = "application/x-amz-json-1.1" if service == "ssm" else "text/xml;charset=UTF-8"
        self.send(status, body.encode(), ctype)

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def send(self, status, data, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", os.urandom(8).hex())
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    # ------------------------------------------------------------ SigV4
    def authenticate(self, service, entry):
        st = self.server.state
        ssm = service == "ssm"

        def deny(code_ec2, code_ssm, message):
            raise ApiError(code_ssm if ssm else code_ec2, message, 400 if ssm else 401)
        auth = self.headers.get("Authorization") or ""
        algo, _, rest = auth.strip().partition(" ")
        if algo != "AWS4-HMAC-SHA256":
            deny("AuthFailure", "MissingAuthenticationTokenException", "Request is missing a SigV4 Authorization")
        fields = dict(p.strip().partition("=")[::2] for p in rest.split(","))
        try:
            cred, signed, sig = fields["Credential"], fields["SignedHeaders"], fields["Signature"]
            ak, sdate, region, svc, term = cred.split("/")
        except (KeyError, ValueError):
            deny("AuthFailure", "IncompleteSignatureException", "malformed Authorization")
        entry["access_key"], entry["region"] = ak, region
        entry["session_token"] = self.headers.get("X-Amz-Security-Token")
        cur_ak, secret, cur_token = st.creds
        if ak != cur_ak:
            deny("AuthFailure", "UnrecognizedClientException", "The security token included in the request is invalid.")
        if svc != service or term != "aws4_request":
            deny("AuthFailure", "InvalidSignatureException", "Credential should be scoped to service '%s'" % service)
        amz_date = self.headers.get("X-Amz-Date") or ""
        try:
            t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            deny("AuthFailure", "IncompleteSignatureException", "X-Amz-Date is missing or malformed")
        if abs(time.time() - t) > fake_s3.MAX_SKEW or sdate != amz_date[:8]:
            deny("AuthFailure", "InvalidSignatureException", "Signature expired or dated otherwise")
        names = signed.split(";")
        present = {k.lower() for k in self.headers.keys()}
        if "host" not in names or any(n.startswith("x-amz-") and n not in names for n in present):
            deny("AuthFailure", "InvalidSignatureException", "host and every x-amz-* header must be signed")
        canon_headers = "".join("%s:%s\n" % (n, ",".join(" ".join(v.split()) for v in (self.headers.get_all(n) or [])))
                                for n in sorted(names))
        path = self.path.partition("?")[0] or "/"
        creq = "\n".join([self.command, path, fake_s3.canonical_query(self.raw_query), canon_headers,
                          ";".join(sorted(names)), hashlib.sha256(self.body).hexdigest()])
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, "/".join([sdate, region, svc, term]),
                         hashlib.sha256(creq.encode()).hexdigest()])
        want = hmac.new(fake_s3.sigv4_key(secret, sdate, region, svc), sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            deny("AuthFailure", "InvalidSignatureException", "The request signature we calculated does not match")
        if (entry["session_token"] or None) != (cur_token or None):
            deny("AuthFailure", "UnrecognizedClientException", "The security token included in the request is invalid.")

    # ------------------------------------------------------------ EC2
    def ec2(self, action, flat):
        st = self.server.state
        p = unflatten({k: v for k, v in flat.items() if k not in ("Action", "Version")})
        fn = getattr(self, "ec2_" + (action or ""), None)
        if fn is None:
            raise ApiError("InvalidAction", "The action %s is not valid for this web service." % action)
        if flat.get("Version") != "2016-11-15":
            raise ApiError("InvalidParameterValue", "Version %s is not 2016-11-15" % flat.get("Version"))
        for f in st.faults:
            if f.get("action") == action and f["count"] != 0:
                f["count"] -= f["count"] > 0
                raise ApiError(f.get("code", "InternalError"), f.get("message", "injected failure"),
                               int(f.get("status", 400)))
        inner = fn(st, p)
        for a in st.after:
            if a.get("action") == action and a["count"] != 0:
                a["count"] -= a["count"] > 0
                st.add_instance("ami-0elsewhere", "t3.micro", a.get("tags", {}), [])["state"] = a.get("state", "pending")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s"><requestId>%s</requestId>%s'
                '</%sResponse>' % (action, EC2_NS, os.urandom(8).hex(), inner, action))

    @staticmethod
    def instance_xml(i):
        groups = "".join("<item><groupId>%s</groupId><groupName>%s</groupName></item>" % (g, g) for g in i["groups"])
        prof = ""
        if i.get("profile"):
            prof = "<iamInstanceProfile><arn>arn:aws:iam::%s:instance-profile/%s</arn><id>AIPAFAKE</id>" \
                   "</iamInstanceProfile>" % (OWNER, escape(i["profile"]))
        meta = "".join("<%s>%s</%s>" % (k[0].lower() + k[1:], escape(str(v)), k[0].lower() + k[1:])
                       for k, v in i.get("metadata", {}).items())
        return ("<item><instanceId>%s</instanceId><imageId>%s</imageId><instanceState><code>%d</code><name>%s</name>"
                "</instanceState><privateDnsName>ip-%s.ec2.internal</privateDnsName><privateIpAddress>%s"
                "</privateIpAddress><instanceType>%s</instanceType><launchTime>%s</launchTime>"
                "<placement><availabilityZone>us-east-1a</availabilityZone></placement><subnetId>%s</subnetId>"
                "<vpcId>%s</vpcId><groupSet>%s</groupSet>%s%s<metadataOptions>%s</metadataOptions></item>"
                % (i["id"], escape(i["image"]), STATE_CODES[i["state"]], i["state"], i["private_ip"].replace(".", "-"),
                   i["private_ip"], escape(i["type"]), iso(i["launch_time"]), escape(i.get("subnet") or "subnet-0fake1"),
                   DEFAULT_VPC, groups, prof, tag_set(i["tags"]), meta))

    def ec2_RunInstances(self, st, p):
        token = p.get("ClientToken")
        if token and token in st.tokens:
            return st.tokens[token]
        if not p.get("ImageId", "").startswith("ami-"):
            raise ApiError("InvalidAMIID.Malformed", "Invalid id: \"%s\"" % p.get("ImageId", ""))
        try:
            lo, hi = int(p["MinCount"]), int(p["MaxCount"])
            assert 1 <= lo <= hi <= 100
        except (KeyError, ValueError, AssertionError):
            raise ApiError("InvalidParameterValue", "MinCount and MaxCount must be 1 <= MinCount <= MaxCount")
        user_data = p.get("UserData", "")
        try:
            raw = base64.b64decode(user_data, validate=True)
        except ValueError:
            raise ApiError("InvalidParameterValue", "Invalid BASE64 encoding of user data.")
        if len(raw) > USER_DATA_MAX:
            raise ApiError("InvalidParameterValue", "User data is limited to 16384 bytes")
        groups = as_list(p.get("SecurityGroupId"))
        for g in groups:
            if g not in st.groups:
                raise ApiError("InvalidGroup.NotFound", "The security group '%s' does not exist" % g)
        behaviour = p.get("InstanceInitiatedShutdownBehavior", "stop")
        if behaviour not in ("stop", "terminate"):
            raise ApiError("InvalidParameterValue", "InstanceInitiatedShutdownBehavior: %s" % behaviour)
        meta = p.get("MetadataOptions", {})
        if meta.get("HttpTokens", "optional") not in ("optional", "required"):
            raise ApiError("InvalidParameterValue", "HttpTokens: %s" % meta.get("HttpTokens"))
        prof = p.get("IamInstanceProfile", {})
        profile = prof.get("Name") or (prof.get("Arn") or "").rpartition("/")[2] or None
        tags = tags_of(p.get("TagSpecification"), "instance")
        n = hi if st.capacity is None else min(hi, st.capacity)
        if n < lo:
            raise ApiError("InsufficientInstanceCapacity",
                           "We currently do not have sufficient capacity for %d instances (%d left)" % (lo, n), 500)
        if st.capacity is not None:
            st.capacity -= n
        made = [st.add_instance(p["ImageId"], p.get("InstanceType", "m1.small"), tags, groups, subnet=p.get("SubnetId"),
                                profile=profile, metadata=meta, shutdown_behavior=behaviour, user_data=user_data,
                                key_name=p.get("KeyName"), volume_tags=tags_of(p.get("TagSpecification"), "volume"))
                for _ in range(n)]
        resp = ("<reservationId>r-0%s</reservationId><ownerId>%s</ownerId><groupSet/><instancesSet>%s</instancesSet>"
                % (os.urandom(8).hex(), OWNER, "".join(self.instance_xml(i) for i in made)))
        if token:
            st.tokens[token] = resp
        return resp

    def ec2_DescribeInstances(self, st, p):
        ids = as_list(p.get("InstanceId"))
        for i in ids:
            if i not in st.instances:
                raise ApiError("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist" % i)
        limit = st.page_size
        if "MaxResults" in p:
            if ids:
                raise ApiError("InvalidParameterCombination",
                               "The parameter instancesSet cannot be used with the parameter maxResults")
            try:
                limit = int(p["MaxResults"])
                assert 5 <= limit <= 1000
            except (ValueError, AssertionError):
                raise ApiError("InvalidParameterValue", "MaxResults must be 5..1000: %s" % p["MaxResults"])
        # The token names the request it continues and the place in it: a
        # token given to another request is refused, as EC2 refuses it.
        query = hashlib.sha256(json.dumps([ids, p.get("Filter")], sort_keys=True).encode()).hexdigest()[:16]
        start = 0
        if p.get("NextToken"):
            try:
                q, _, off = base64.b64decode(p["NextToken"], validate=True).decode().partition(":")
                assert q == query
                start = int(off)
            except (ValueError, AssertionError, UnicodeDecodeError):
                raise ApiError("InvalidParameterValue", "Invalid NextToken: %s" % p["NextToken"])
        fields = {"instance-state-name": lambda i: i["state"], "instance-id": lambda i: i["id"],
                  "instance.group-id": lambda i: i["groups"], "image-id": lambda i: i["image"]}
        out = []
        for inst in st.instances.values():
            # Time passes between calls: each one moves instances along.
            inst["state"] = {"pending": "running", "shutting-down": "terminated"}.get(inst["state"], inst["state"])
            if ids and inst["id"] not in ids:
                continue
            if match_filters(inst, as_list(p.get("Filter")), fields):
                out.append(inst)
        token = ""
        if limit is not None and len(out) > start + limit:
            token = "<nextToken>%s</nextToken>" % base64.b64encode(("%s:%d" % (query, start + limit)).encode()).decode()
        page = out[start:] if limit is None else out[start:start + limit]
        return "<reservationSet>%s</reservationSet>%s" % ("".join(
            "<item><reservationId>r-0%s</reservationId><ownerId>%s</ownerId><groupSet/><instancesSet>%s"
            "</instancesSet></item>" % (i["id"][2:], OWNER, self.instance_xml(i)) for i in page), token)

    def ec2_TerminateInstances(self, st, p):
        ids = as_list(p.get("InstanceId"))
        if not ids:
            raise ApiError("MissingParameter", "The request must contain the parameter InstanceId")
        for i in ids:
            if i not in st.instances:
                raise ApiError("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist" % i)
        items = []
        for i in ids:
            inst = st.instances[i]
            prev = inst["state"]
            if prev != "terminated":
                inst["state"] = "shutting-down"
            items.append("<item><instanceId>%s</instanceId><currentState><code>%d</code><name>%s</name></currentState>"
                         "<previousState><code>%d</code><name>%s</name></previousState></item>"
                         % (i, STATE_CODES[inst["state"]], inst["state"], STATE_CODES[prev], prev))
        return "<instancesSet>%s</instancesSet>" % "".join(items)

    def ec2_CreateSecurityGroup(self, st, p):
        name, desc = p.get("GroupName"), p.get("GroupDescription")
        if not name or not desc:
            raise ApiError("MissingParameter", "GroupName and GroupDescription are required")
        vpc = p.get("VpcId", DEFAULT_VPC)
        if any(g["name"] == name and g["vpc"] == vpc for g in st.groups.values()):
            raise ApiError("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'" % (name, vpc))
        gid = st.new_id("sg")
        st.groups[gid] = {"id": gid, "name": name, "description": desc, "vpc": vpc,
                          "tags": tags_of(p.get("TagSpecification"), "security-group"), "ingress": []}
        return "<return>true</return><groupId>%s</groupId>%s" % (gid, tag_set(st.groups[gid]["tags"]))

    def group(self, st, gid):
        if gid not in st.groups:
            raise ApiError("InvalidGroup.NotFound", "The security group '%s' does not exist" % gid)
        return st.groups[gid]

    def ec2_AuthorizeSecurityGroupIngress(self, st, p):
        g = self.group(st, p.get("GroupId"))
        perms = as_list(p.get("IpPermissions"))
        if not perms:
            raise ApiError("MissingParameter", "IpPermissions is required")
        rules = []
        for perm in perms:
            for src in as_list(perm.get("Groups")):
                self.group(st, src.get("GroupId"))
                rules.append({"protocol": perm.get("IpProtocol"), "from": int(perm["FromPort"]),
                              "to": int(perm["ToPort"]), "group": src["GroupId"]})
            for src in as_list(perm.get("IpRanges")):
                rules.append({"protocol": perm.get("IpProtocol"), "from": int(perm["FromPort"]),
                              "to": int(perm["ToPort"]), "cidr": src["CidrIp"]})
        for r in rules:
            if r in g["ingress"]:
                raise ApiError("InvalidPermission.Duplicate", "the specified rule already exists")
            if not 0 <= r["from"] <= r["to"] <= 65535:
                raise ApiError("InvalidParameterValue", "bad port range %d-%d" % (r["from"], r["to"]))
        g["ingress"].extend(rules)
        return "<return>true</return>"

    def ec2_DescribeSecurityGroups(self, st, p):
        ids, names = as_list(p.get("GroupId")), as_list(p.get("GroupName"))
        for i in ids:
            self.group(st, i)
        fields = {"group-name": lambda g: g["name"], "group-id": lambda g: g["id"], "vpc-id": lambda g: g["vpc"]}
        out = [g for g in st.groups.values() if (not ids or g["id"] in ids) and (not names or g["name"] in names)
               and match_filters(g, as_list(p.get("Filter")), fields)]

        def perms(g):
            items = []
            for r in g["ingress"]:
                src = ("<groups><item><groupId>%s</groupId><userId>%s</userId></item></groups><ipRanges/>"
                       % (r["group"], OWNER)) if "group" in r else \
                      "<groups/><ipRanges><item><cidrIp>%s</cidrIp></item></ipRanges>" % escape(r["cidr"])
                items.append("<item><ipProtocol>%s</ipProtocol><fromPort>%d</fromPort><toPort>%d</toPort>%s</item>"
                             % (escape(r["protocol"]), r["from"], r["to"], src))
            return "".join(items)
        return "<securityGroupInfo>%s</securityGroupInfo>" % "".join(
            "<item><ownerId>%s</ownerId><groupId>%s</groupId><groupName>%s</groupName><groupDescription>%s"
            "</groupDescription><vpcId>%s</vpcId><ipPermissions>%s</ipPermissions>%s</item>"
            % (OWNER, g["id"], escape(g["name"]), escape(g["description"]), g["vpc"], perms(g), tag_set(g["tags"]))
            for g in out)

    def ec2_DeleteSecurityGroup(self, st, p):
        g = self.group(st, p.get("GroupId"))
        users = [i["id"] for i in st.instances.values() if g["id"] in i["groups"] and i["state"] != "terminated"]
        if users:
            raise ApiError("DependencyViolation", "resource %s has a dependent object (%s)" % (g["id"], users[0]))
        del st.groups[g["id"]]
        return "<return>true</return>"

    def ec2_CreateTags(self, st, p):
        tags = {t["Key"]: t.get("Value", "") for t in as_list(p.get("Tag"))}
        for rid in as_list(p.get("ResourceId")):
            obj = st.instances.get(rid) or st.groups.get(rid)
            if obj is None:
                raise ApiError("InvalidID", "The ID '%s' is not valid" % rid)
            obj["tags"].update(tags)
        return "<return>true</return>"

    def ec2_DescribeSubnets(self, st, p):
        ids = as_list(p.get("SubnetId"))
        for s in ids:
            if not s.startswith("subnet-"):
                raise ApiError("InvalidSubnetID.Malformed", "Invalid id: \"%s\"" % s)
        return "<subnetSet>%s</subnetSet>" % "".join(
            "<item><subnetId>%s</subnetId><vpcId>%s</vpcId><state>available</state><cidrBlock>10.0.0.0/16"
            "</cidrBlock></item>" % (escape(s), DEFAULT_VPC) for s in ids)

    # ------------------------------------------------------------ SSM
    def ssm(self, action, body):
        st = self.server.state
        if not isinstance(body, dict):
            raise ApiError("SerializationException", "the body is not a JSON object")
        name = body.get("Name")
        if action in ("PutParameter", "GetParameter", "DeleteParameter") and not isinstance(name, str):
            raise ApiError("ValidationException", "Name is required")
        if action == "PutParameter":
            ptype, value = body.get("Type", "String"), body.get("Value")
            if ptype not in ("String", "StringList", "SecureString") or not isinstance(value, str) or not value:
                raise ApiError("ValidationException", "Type and a non-empty Value are required")
            if body.get("Tags") and body.get("Overwrite"):
                raise ApiError("ValidationException", "Invalid request: tags and overwrite can't be used together.")
            old = st.parameters.get(name)
            if old is not None and not body.get("Overwrite"):
                raise ApiError("ParameterAlreadyExists", "The parameter already exists.")
            version = old["version"] + 1 if old else 1
            st.parameters[name] = {"name": name, "type": ptype, "value": value, "version": version,
                                   "key_id": body.get("KeyId") or ("alias/aws/ssm" if ptype == "SecureString" else None),
                                   "tags": {t["Key"]: t["Value"] for t in body.get("Tags") or []},
                                   "modified": time.time()}
            return {"Version": version, "Tier": "Standard"}
        if action == "GetParameter":
            prm = st.parameters.get(name)
            if prm is None:
                raise ApiError("ParameterNotFound", "")
            value = prm["value"]
            if prm["type"] == "SecureString" and not body.get("WithDecryption"):
                value = base64.b64encode(b"ciphertext:" + hashlib.sha256(value.encode()).digest()).decode()
            return {"Parameter": {"Name": name, "Type": prm["type"], "Value": value, "Version": prm["version"],
                                  "LastModifiedDate": prm["modified"], "DataType": "text",
                                  "ARN": "arn:aws:ssm:%s:%s:parameter%s" % (st.args.region, OWNER, name)}}
        if action == "DeleteParameter":
            if st.parameters.pop(name, None) is None:
                raise ApiError("ParameterNotFound", "")
            return {}
        raise ApiError("UnknownOperationException", "unknown operation %s" % action)

    # ------------------------------------------------------------ control
    def control(self, what):
        st = self.server.state
        if not fake_s3.is_loopback(self.client_address[0]):
            return self.send(403, b'{"error": "loopback only"}', "application/json")
        try:
            data = json.loads(self.body) if self.body.strip() else None
        except ValueError as e:
            return self.send(400, json.dumps({"error": str(e)}).encode(), "application/json")
        with st.lock:
            if what == "log" and self.command == "GET":
                out = st.log
            elif what == "log" and self.command == "DELETE":
                st.log.clear()
                out = {"ok": True}
            elif what == "state" and self.command == "GET":
                out = {"instances": st.instances, "groups": st.groups, "parameters": st.parameters}
            elif what == "instances" and self.command == "POST":
                out = [st.add_instance("ami-0elsewhere", "t3.micro", d.get("tags", {}), [], )["id"]
                       for d in as_list(data)]
                for iid, d in zip(out, as_list(data)):
                    st.instances[iid]["state"] = d.get("state", "running")
            elif what == "groups" and self.command == "POST" and isinstance(data, dict):
                gid = st.new_id("sg")
                st.groups[gid] = {"id": gid, "name": data["name"], "description": data["name"],
                                  "vpc": data.get("vpc", DEFAULT_VPC), "tags": {}, "ingress": []}
                out = gid
            elif what == "capacity" and self.command == "POST" and isinstance(data, dict):
                st.capacity = data.get("instances")
                out = {"ok": True}
            elif what == "paging" and self.command == "POST" and isinstance(data, dict):
                st.page_size = data.get("page_size")
                out = {"ok": True}
            elif what == "faults" and self.command == "POST":
                st.faults.extend(dict(f, count=f.get("count", 1)) for f in as_list(data))
                out = {"ok": True}
            elif what == "after" and self.command == "POST":
                st.after.extend(dict(a, count=a.get("count", 1)) for a in as_list(data))
                out = {"ok": True}
            elif what == "faults" and self.command == "DELETE":
                st.faults.clear()
                out = {"ok": True}
            elif what == "parameters" and self.command == "POST" and isinstance(data, dict):
                st.parameters[data["name"]] = {"name": data["name"], "type": data.get("type", "SecureString"),
                                               "value": data["value"], "version": 1, "key_id": None, "tags": {},
                                               "modified": time.time()}
                out = {"ok": True}
            elif what == "health":
                out = {"ok": True}
            else:
                return self.send(404, b'{"error": "unknown control request"}', "application/json")
            body = json.dumps(out).encode()
        self.send(200, body, "application/json")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fake_s3.add_common_args(ap)
    args = ap.parse_args(argv)
    fake_s3.serve(Handler, State(args), args)


if __name__ == "__main__":
    main()
