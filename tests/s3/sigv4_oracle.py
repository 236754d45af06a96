#!/usr/bin/python3
"""dusk's SigV4 signer (store/sigv4.c) against botocore's, byte for byte.

Generates a few hundred random S3 requests - keys with spaces, unicode,
+ = & ? % ~ * quotes and dot segments; ListObjectsV2 queries with special
prefixes and base64 continuation tokens; Range, If-Match and other
headers, session tokens, unsigned and signed payloads; virtual-hosted,
path-style and MinIO-style (http, a port) endpoints - and signs each:

- with dusk, through bin/sigv4_tool (tests/s3/sigv4_tool.c), which gets
  the raw bucket and key and encodes the path itself, as dusk's S3 client
  will;
- with botocore's S3SigV4Auth at the same fixed time, given the URL built
  the way botocore's S3 client builds it (the key percent-encoded with '/'
  and '~' kept) and the query as parameters.

The canonical request, the string to sign and the Authorization header
must be equal, and so must the URL's path.  Then the URL exactly as dusk
will send it (its signed path and canonical query) is signed by botocore
once more, which must give the same Authorization again: what dusk signs
is what it sends.

botocore sets X-Amz-Date, X-Amz-Content-SHA256 and X-Amz-Security-Token
itself and derives Host from the URL; dusk's request description lists
them, with the same values, so both sign the same header set.

Run by ctest:  sigv4_oracle.py --bin BUILD/bin --work DIR
Needs Debian's python3-botocore; fails with a message without it.
"""
import argparse
import base64
import datetime
import hashlib
import os
import random
import subprocess
import sys
import types
from unittest import mock

try:
    import botocore.auth
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.utils import percent_encode
except ImportError as e:
    sys.exit("sigv4_oracle: botocore is missing (%s): install Debian's "
             "python3-botocore (apt-get install python3-botocore)" % e)

TIMEOUT = 120 * int(os.environ.get("DUSK_TEST_TIMEOUT_SCALE", "1"))

# ---- random requests ------------------------------------------------------

KEY_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "-._~ +=&?%*'\"!$()/,:;@[]#^`{}|<>\\"
    "\u00e9\u00fc\u00df\u65e5\u672c\u20ac\U0001f600\u0416")
KEY_PIECES = ["..", ".", "//", "%20", "%", "a+b", "x=y&z", "~user",
              "caf\u00e9", "d\u00e9j\u00e0 vu", "data.csv", "part-0001.csv"]
REGIONS = ["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1",
           "auto"]
BUCKETS = ["examplebucket", "my-bucket", "dusk.data.2024", "b1"]


def rand_text(rng, chars, lo, hi):
    return "".join(rng.choice(chars) for _ in range(rng.randint(lo, hi)))


def rand_key(rng):
    parts = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.3:
            parts.append(rng.choice(KEY_PIECES))
        else:
            parts.append(rand_text(rng, KEY_CHARS, 1, 16))
    key = "/".join(parts)
    return key if rng.random() < 0.9 else key + "/"


def rand_b64(rng, lo, hi):
    raw = bytes(rng.randrange(256) for _ in range(rng.randint(lo, hi)))
    return base64.b64encode(raw).decode()


def rand_spaces(rng):
    """A header value's whitespace: spaces and tabs, the only whitespace
    HTTP allows in a field value (others are refused by dusk)."""
    return rand_text(rng, " \t", 0, 3)


def rand_case(rng, name):
    return rng.choice([name, name.lower(), name.upper(), name.title()])


def list_query(rng):
    q = [("list-type", "2")]
    if rng.random() < 0.8:
        q.append(("prefix", rand_key(rng)[:rng.randint(0, 20)]))
    if rng.random() < 0.5:
        q.append(("delimiter", rng.choice(["/", "%", "+", " "])))
    if rng.random() < 0.5:
        q.append(("continuation-token", rand_b64(rng, 10, 80)))
    if rng.random() < 0.5:
        q.append(("max-keys", str(rng.randint(0, 1000))))
    if rng.random() < 0.3:
        q.append(("start-after", rand_key(rng)))
    if rng.random() < 0.3:
        q.append(("encoding-type", "url"))
    if rng.random() < 0.2:
        q.append(("fetch-owner", rng.choice(["true", ""])))
    rng.shuffle(q)
    return q


def object_query(rng):
    q = []
    if rng.random() < 0.2:
        q.append(("versionId", rand_b64(rng, 8, 24)))
    if rng.random() < 0.2:
        q.append(("partNumber", str(rng.randint(1, 10000))))
    if rng.random() < 0.2:
        q.append(("response-content-type", "text/csv; charset=utf-8"))
    if rng.random() < 0.2:
        q.append(("response-content-disposition",
                  'attachment; filename="%s"' % rand_key(rng)))
    if rng.random() < 0.1:
        q.append((rng.choice(["acl", "tagging", "attributes"]), ""))
    if rng.random() < 0.1:
        # A repeated name: sorted by value.
        q += [("x-id", rand_text(rng, KEY_CHARS, 0, 5)) for _ in range(2)]
    if rng.random() < 0.05:
        q.append((rand_text(rng, KEY_CHARS, 1, 8),
                  rand_text(rng, KEY_CHARS, 0, 8)))
    rng.shuffle(q)
    return q


def user_headers(rng):
    """Headers the caller adds: (name, value) pairs, names in any case."""
    h = []
    if rng.random() < 0.6:
        start = rng.randint(0, 1 << 30)
        end = "" if rng.random() < 0.2 else str(start + rng.randint(0, 1 << 20))
        h.append((rand_case(rng, "Range"), "bytes=%d-%s" % (start, end)))
    if rng.random() < 0.3:
        h.append((rand_case(rng, "If-Match"),
                  '"%032x"' % rng.getrandbits(128)))
    if rng.random() < 0.2:
        h.append((rand_case(rng, "If-None-Match"), '"a", W/"b c"'))
    if rng.random() < 0.2:
        h.append((rand_case(rng, "If-Modified-Since"),
                  "Wed, 21 Oct 2015 07:28:00 GMT"))
    if rng.random() < 0.2:
        h.append((rand_case(rng, "x-amz-request-payer"), "requester"))
    if rng.random() < 0.2:
        h.append(("x-amz-expected-bucket-owner",
                  str(rng.randint(10 ** 11, 10 ** 12 - 1))))
    if rng.random() < 0.1:
        h.append(("x-amz-checksum-mode", "ENABLED"))
    if rng.random() < 0.3:
        # Leading, trailing and inner runs of spaces and tabs: trimmed.
        words = [rand_text(rng, "abcXYZ019\"'=,;:\u00e9", 1, 6)
                 for _ in range(rng.randint(1, 4))]
        value = rand_spaces(rng) + "".join(
            w + (" " + rand_spaces(rng) if i + 1 < len(words) else "")
            for i, w in enumerate(words)) + rand_spaces(rng)
        h.append(("X-Amz-Meta-Note", value))
    if rng.random() < 0.1:
        # One name twice: signed once, values joined by ',' in order.
        # (Both signers get the headers in one order, shuffled or not.)
        h += [("x-amz-meta-dup", rand_text(rng, "abc ", 1, 5)),
              ("X-Amz-Meta-Dup", rand_text(rng, "xyz", 1, 5))]
    rng.shuffle(h)
    return h


def rand_request(rng, i):
    region = rng.choice(REGIONS)
    bucket = rng.choice(BUCKETS)
    style = rng.choice(["virtual", "path", "minio"])
    listing = rng.random() < 0.3
    key = "" if listing else rand_key(rng)
    method = rng.choice(["GET"] * 6 + ["HEAD", "PUT", "POST"])
    if listing:
        method = "GET"
    if style == "virtual":
        scheme, host, prefix = "https", "%s.s3.%s.amazonaws.com" % (
            bucket, region), ""
    elif style == "path":
        scheme, host, prefix = "https", "s3.%s.amazonaws.com" % region, \
            "/" + bucket
    else:
        scheme, host, prefix = "http", "127.0.0.1:9000", "/" + bucket
    body = None
    if method in ("PUT", "POST"):
        body = rand_text(rng, KEY_CHARS + "\n", 0, 64).encode()
    return {
        "index": i,
        "method": method,
        "scheme": scheme,
        "host": host,
        "region": region,
        "raw_path": prefix + "/" + key if (key or not prefix) else prefix,
        "bucket_prefix": prefix,
        "key": key,
        "query": list_query(rng) if listing else object_query(rng),
        "headers": user_headers(rng),
        "body": body,
        # UNSIGNED-PAYLOAD or the body's SHA-256 (of b"" for no body).
        "unsigned": rng.random() < 0.4,
        "access": rand_text(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 20, 20),
        "secret": rand_b64(rng, 30, 30),
        "token": rand_b64(rng, 60, 300) if rng.random() < 0.5 else None,
        "time": rng.randint(946684800, 4102444799),  # 2000 to 2099
    }


# ---- dusk -----------------------------------------------------------------

def hx(s):
    return (s.encode() if isinstance(s, str) else s).hex()


def amz_date(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def payload_hash(r):
    if r["unsigned"]:
        return "UNSIGNED-PAYLOAD"
    return hashlib.sha256(r["body"] or b"").hexdigest()


def tool_block(r):
    """The request as sigv4_tool reads it: every header botocore will sign,
    including the four botocore adds itself."""
    lines = ["access " + hx(r["access"]), "secret " + hx(r["secret"]),
             "region " + hx(r["region"]), "service " + hx("s3"),
             "time %d" % r["time"], "method " + hx(r["method"]),
             "key " + hx(r["raw_path"])]
    if r["token"]:
        lines.append("token " + hx(r["token"]))
    for name, value in r["query"]:
        lines.append("query %s %s" % (hx(name), hx(value)))
    headers = [("Host", r["host"]), ("X-Amz-Date", amz_date(r["time"])),
               ("X-Amz-Content-SHA256", payload_hash(r))]
    if r["token"]:
        headers.append(("X-Amz-Security-Token", r["token"]))
    for name, value in headers + r["headers"]:
        lines.append("header %s %s" % (hx(name), hx(value)))
    lines.append("unsigned" if r["unsigned"] else "body " + hx(r["body"] or b""))
    lines.append("sign")
    return "\n".join(lines) + "\n"


def run_tool(tool, requests):
    """Signs every request with one run of the tool; a dict per request."""
    stdin = "".join(tool_block(r) for r in requests)
    proc = subprocess.run([tool], input=stdin.encode(), capture_output=True,
                          timeout=TIMEOUT)
    if proc.returncode != 0:
        sys.exit("sigv4_oracle: %s exited %d: %s" % (
            tool, proc.returncode, proc.stderr.decode(errors="replace")))
    results, cur = [], {}
    for line in proc.stdout.decode().splitlines():
        if line == "end":
            results.append(cur)
            cur = {}
            continue
        tag, _, rest = line.partition(" ")
        if tag == "error":
            code, _, msg = rest.partition(" ")
            cur["error"] = "%s: %s" % (code, bytes.fromhex(msg).decode(
                errors="replace"))
        else:
            cur[tag] = bytes.fromhex(rest).decode("utf-8")
    if len(results) != len(requests):
        sys.exit("sigv4_oracle: %d requests, %d answers" % (
            len(requests), len(results)))
    return results


# ---- botocore -------------------------------------------------------------

class RecordingAuth(S3SigV4Auth):
    """S3SigV4Auth that keeps the strings it signed."""

    def canonical_request(self, request):
        self.creq = super().canonical_request(request)
        return self.creq

    def string_to_sign(self, request, canonical_request):
        self.sts = super().string_to_sign(request, canonical_request)
        return self.sts


def fixed_clock(t):
    """A stand-in for botocore.auth's datetime module whose clock reads t:
    add_auth takes its timestamp from datetime.datetime.utcnow() (newer
    botocore: datetime.datetime.now(datetime.timezone.utc))."""
    when = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)

    class Clock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when.replace(tzinfo=None)

        @classmethod
        def now(cls, tz=None):
            return when if tz is not None else when.replace(tzinfo=None)

    return types.SimpleNamespace(datetime=Clock, timezone=datetime.timezone)


def botocore_path(r):
    """The path botocore's S3 client sends: the bucket (path-style) and the
    key percent-encoded with '/' and '~' kept (serialize.py's greedy
    label {Key+})."""
    path = r["bucket_prefix"]
    if r["key"] or not path:
        path += "/" + percent_encode(r["key"], safe="/~")
    return path


def botocore_sign(r, path, params):
    url = "%s://%s%s" % (r["scheme"], r["host"], path)
    req = AWSRequest(method=r["method"], url=url, data=r["body"],
                     params=params)
    for name, value in r["headers"]:
        req.headers[name] = value  # appends: repeated names stay repeated
    if r["unsigned"]:
        req.context["client_config"] = Config(
            s3={"payload_signing_enabled": False})
    creds = Credentials(r["access"], r["secret"], r["token"])
    auth = RecordingAuth(creds, "s3", r["region"])
    with mock.patch.object(botocore.auth, "datetime", fixed_clock(r["time"])):
        auth.add_auth(req)
    return {"creq": auth.creq, "sts": auth.sts,
            "authz": req.headers["Authorization"]}


# ---- the comparison -------------------------------------------------------

def compare(r, dusk):
    """A list of differences between dusk's and botocore's signing of r."""
    if "error" in dusk:
        return ["dusk refused it: " + dusk["error"]]
    diffs = []
    boto = botocore_sign(r, botocore_path(r), list(r["query"]))
    for field in ("creq", "sts", "authz"):
        if dusk[field] != boto[field]:
            diffs.append("%s differs:\n--- dusk\n%s\n--- botocore\n%s" % (
                field, dusk[field], boto[field]))
    path, _, query = dusk["url"].partition("?")
    if path != botocore_path(r):
        diffs.append("URL path %r, botocore's %r" % (path, botocore_path(r)))
    # The URL dusk sends, signed by botocore as it stands.
    again = botocore_sign(r, dusk["url"], None)
    if again["authz"] != dusk["authz"]:
        diffs.append("the URL as sent (%s) signs differently:\n%s" % (
            dusk["url"], again["creq"]))
    return diffs


# What the random requests held, for the summary line.
COVERAGE = [
    ("listings", lambda r: ("list-type", "2") in r["query"]),
    ("keys with non-ASCII bytes", lambda r: not r["key"].isascii()),
    ("keys with '.' or '..' segments or '//'",
     lambda r: any(s in ("", ".", "..") for s in r["key"].split("/")[:-1])),
    ("continuation tokens", lambda r: any(
        n == "continuation-token" for n, _ in r["query"])),
    ("repeated query names", lambda r: len({n for n, _ in r["query"]})
     < len(r["query"])),
    ("ranges", lambda r: any(n.lower() == "range" for n, _ in r["headers"])),
    ("session tokens", lambda r: r["token"] is not None),
    ("unsigned payloads", lambda r: r["unsigned"]),
    ("bodies", lambda r: r["body"] is not None),
    ("http endpoints with a port", lambda r: r["scheme"] == "http"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="folder of sigv4_tool")
    ap.add_argument("--work", help="scratch folder (unused)")
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--seed", type=int, default=20150830)
    args = ap.parse_args()

    tool = os.path.join(args.bin, "sigv4_tool")
    if not os.access(tool, os.X_OK):
        sys.exit("sigv4_oracle: %s is missing: build the tests first" % tool)
    rng = random.Random(args.seed)
    requests = [rand_request(rng, i) for i in range(args.count)]
    answers = run_tool(tool, requests)
    failed = 0
    for r, dusk in zip(requests, answers):
        diffs = compare(r, dusk)
        if diffs:
            failed += 1
            if failed <= 5:
                print("FAIL request %d: %s %s%s query=%r headers=%r" % (
                    r["index"], r["method"], r["host"], r["raw_path"],
                    r["query"], r["headers"]))
                for d in diffs:
                    print("  " + d.replace("\n", "\n  "))
    matched = len(requests) - failed
    print("sigv4 oracle: of these, %s" % ", ".join(
        "%d %s" % (sum(1 for r in requests if test(r)), what)
        for what, test in COVERAGE))
    print("sigv4 oracle: %d of %d random S3 requests signed as botocore %s "
          "signs them (seed %d)" % (matched, len(requests),
                                     botocore.__version__, args.seed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
