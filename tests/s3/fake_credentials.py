#!/usr/bin/python3
"""fake_credentials.py - fake AWS credential endpoints for dusk's tests.

    /usr/bin/python3 tests/s3/fake_credentials.py (--imds | --container)
        [--host 127.0.0.1] [--port 0] [--region us-east-1]
        [--access-key AK] [--secret-key SK] [--session-token T]
        [--expires-in SECONDS] [--role NAME] [--allow-imdsv1]
        [--instance-id ID] [--local-ipv4 ADDR]
        [--path /v2/credentials/fake] [--auth-token TOKEN]
        [--exit-on-stdin-eof] [--verbose]

Same start-up protocol as fake_s3.py: prints "READY <port>" once listening,
serves until SIGTERM/SIGINT (or stdin EOF with --exit-on-stdin-eof).  The
credentials issued default to fake_s3.py's defaults plus a session token, so
the two agree out of the box; pass the same --access-key/--secret-key/
--session-token to both otherwise.

--imds: EC2's instance metadata service, IMDSv2 (point a client at it with
  AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PORT/).
  PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds (1-21600)
    -> a token (400 without the header; a PUT carrying X-Forwarded-For -> 403)
  every GET needs X-aws-ec2-metadata-token: a live token, else 401
    (--allow-imdsv1: no token header is accepted, an invalid one still 401s)
  GET /latest/meta-data/iam/security-credentials/        -> role name
  GET /latest/meta-data/iam/security-credentials/<role>  -> {"Code": "Success",
      "LastUpdated", "Type": "AWS-HMAC", "AccessKeyId", "SecretAccessKey",
      "Token", "Expiration"}  (404 for another role)
  GET /latest/meta-data/placement/region, .../placement/availability-zone,
      .../instance-id, .../local-ipv4 (--instance-id, --local-ipv4),
      /latest/dynamic/instance-identity/document
--container: ECS / EKS pod identity container credentials (point a client at it
  with AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT<path>).
  GET <path> -> {"AccessKeyId", "SecretAccessKey", "Token", "Expiration",
      "RoleArn"}; with --auth-token the request's Authorization header must
      equal it (else 401); other paths 404.

Expiration is the issue time + --expires-in (default 3600 s); once passed, the
same keys are re-issued with a new expiration.  Control API (loopback only):
  POST   /__control/credentials {"access_key", "secret_key", "session_token",
           "expires_in"} (each optional): issue new credentials from now on
  POST   /__control/faults [{"status": 500, "count": 1, "path": glob}]: the next
           count requests whose path matches answer status (count -1: forever)
  DELETE /__control/faults
  GET    /__control/log    [{"time", "method", "path", "headers", "status"}]
  DELETE /__control/log
"""

import argparse
import fnmatch
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_s3  # noqa: E402  (serve(), add_common_args(), is_loopback())


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class CredState:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.issue(args.access_key, args.secret_key, args.session_token, args.expires_in)
        self.tokens = {}
        self.faults = []
        self.log = []
        self.verbose = args.verbose

    def issue(self, ak, sk, token, expires_in):
        self.creds = {"AccessKeyId": ak, "SecretAccessKey": sk, "Token": token}
        self.expires_in = expires_in
        self.issued = time.time()

    def current(self):
        with self.lock:
            now = time.time()
            if now >= self.issued + self.expires_in:
                self.issued = now
            return dict(self.creds, Expiration=iso(self.issued + self.expires_in), LastUpdated=iso(self.issued))


class CredHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-credentials"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, fmt, *args):
        if self.server.state.verbose:
            sys.stderr.write("fake_credentials: %s\n" % (fmt % args))

    def reply(self, status, body, ctype="text/plain", headers=()):
        if isinstance(body, (dict, list)):
            body, ctype = json.dumps(body), "application/json"
        data = body.encode()
        self.status = status
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(n) if n > 0 else b""
        self.status = None
        path = self.path.partition("?")[0]
        if path.startswith(fake_s3.CONTROL):
            return self.control(path[len(fake_s3.CONTROL):].rstrip("/"))
        try:
            with st.lock:
                for f in st.faults:
                    if f["remaining"] != 0 and fnmatch.fnmatchcase(path, f.get("path", "*")):
                        f["remaining"] -= f["remaining"] > 0
                        self.reply(int(f.get("status", 500)), "injected failure\n")
                        return
            if st.args.imds:
                self.imds(path)
            else:
                self.container(path)
        finally:
            with st.lock:
                st.log.append({"time": time.time(), "method": self.command, "path": self.path,
                               "headers": {k.lower(): v for k, v in self.headers.items()},
                               "status": self.status})

    do_PUT = do_HEAD = do_POST = do_DELETE = do_GET

    def imds(self, path):
        st, a = self.server.state, self.server.state.args
        if self.command == "PUT" and path == "/latest/api/token":
            if "X-Forwarded-For" in self.headers:
                return self.reply(403, "Forbidden\n")
            try:
                ttl = int(self.headers["X-aws-ec2-metadata-token-ttl-seconds"])
                assert 1 <= ttl <= 21600
            except (KeyError, TypeError, ValueError, AssertionError):
                return self.reply(400, "Bad Request\n")
            tok = "AQAEA" + os.urandom(24).hex()
            with st.lock:
                st.tokens[tok] = time.time() + ttl
            return self.reply(200, tok, headers=[("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))])
        if self.command not in ("GET", "HEAD"):
            return self.reply(405, "Method Not Allowed\n")
        tok = self.headers.get("X-aws-ec2-metadata-token")
        if tok is None and not a.allow_imdsv1 or tok is not None and st.tokens.get(tok, 0) < time.time():
            return self.reply(401, "Unauthorized\n")
        base = "/latest/meta-data/iam/security-credentials"
        if path in (base, base + "/"):
            return self.reply(200, a.role)
        if path.startswith(base + "/"):
            if path[len(base) + 1:] != a.role:
                return self.reply(404, "Not Found\n")
            c = st.current()
            return self.reply(200, json.dumps(dict(Code="Success", LastUpdated=c.pop("LastUpdated"), Type="AWS-HMAC",
                                                   **c), indent=2))
        if path == "/latest/meta-data/placement/region":
            return self.reply(200, a.region)
        if path == "/latest/meta-data/placement/availability-zone":
            return self.reply(200, a.region + "a")
        if path == "/latest/meta-data/instance-id":
            return self.reply(200, a.instance_id)
        if path == "/latest/meta-data/local-ipv4":
            return self.reply(200, a.local_ipv4)
        if path == "/latest/dynamic/instance-identity/document":
            return self.reply(200, json.dumps({"region": a.region, "availabilityZone": a.region + "a",
                                               "instanceId": a.instance_id, "privateIp": a.local_ipv4,
                                               "accountId": "123456789012"}))
        return self.reply(404, "Not Found\n")

    def container(self, path):
        st, a = self.server.state, self.server.state.args
        if path != a.path:
            return self.reply(404, {"code": "NotFound", "message": "no credentials at %s" % path})
        if a.auth_token is not None and self.headers.get("Authorization") != a.auth_token:
            return self.reply(401, {"code": "AccessDenied", "message": "bad or missing Authorization"})
        c = st.current()
        c.pop("LastUpdated")
        return self.reply(200, dict(c, RoleArn="arn:aws:iam::123456789012:role/%s" % a.role))

    def control(self, what):
        st = self.server.state
        if not fake_s3.is_loopback(self.client_address[0]):
            return self.reply(403, {"error": "loopback only"})
        try:
            data = json.loads(self.body) if self.body.strip() else None
        except ValueError as e:
            return self.reply(400, {"error": str(e)})
        with st.lock:
            if what == "credentials" and self.command == "POST" and isinstance(data, dict):
                old = st.creds
                st.issue(data.get("access_key", old["AccessKeyId"]), data.get("secret_key", old["SecretAccessKey"]),
                         data.get("session_token", old["Token"]), data.get("expires_in", st.expires_in))
                return self.reply(200, {"ok": True})
            if what == "faults" and self.command == "POST":
                for f in data if isinstance(data, list) else [data]:
                    f = dict(f)
                    c = f.get("count", 1)
                    f["remaining"] = -1 if c is None or c < 0 else int(c)
                    st.faults.append(f)
                return self.reply(200, {"ok": True})
            if what in ("faults", "log") and self.command == "DELETE":
                getattr(st, what).clear()
                return self.reply(200, {"ok": True})
            if what == "log" and self.command == "GET":
                return self.reply(200, json.dumps(st.log), "application/json")
        return self.reply(404, {"error": "unknown control request"})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--imds", action="store_true")
    mode.add_argument("--container", action="store_true")
    fake_s3.add_common_args(ap)
    ap.set_defaults(session_token="FQoGZXIvYXdzEFAKE//////////SESSION+TOKEN=")
    ap.add_argument("--expires-in", type=float, default=3600)
    ap.add_argument("--role", default="dusk-test-role")
    ap.add_argument("--allow-imdsv1", action="store_true")
    ap.add_argument("--instance-id", default="i-0fa4e000000000000")
    ap.add_argument("--local-ipv4", default="10.0.0.5")
    ap.add_argument("--path", default="/v2/credentials/fake")
    ap.add_argument("--auth-token", default=None)
    args = ap.parse_args(argv)
    fake_s3.serve(CredHandler, CredState(args), args)


if __name__ == "__main__":
    main()
