#!/usr/bin/python3
"""fake_s3.py - a small, fast, strict fake of Amazon S3's read API, for dusk's tests.

    /usr/bin/python3 tests/s3/fake_s3.py --root DIR [--host 127.0.0.1] [--port 0]
        [--region us-east-1] [--bucket-region BUCKET=REGION ...]
        [--access-key AK --secret-key SK [--session-token T]]
        [--anon-bucket BUCKET ...] [--max-keys-cap N] [--md5-limit BYTES]
        [--log-limit N] [--exit-on-stdin-eof] [--verbose]

Buckets are the subdirectories of DIR; an object's key is its file's path under
the bucket directory, "/"-separated.  Files are read at request time, so a test
may add, rewrite or delete them while the server runs.  Once listening, the
server prints exactly one line "READY <port>" on stdout and flushes (port 0
picks a free port); it serves until SIGTERM/SIGINT, or until stdin reaches EOF
with --exit-on-stdin-eof.  The default credentials are AWS's documented example
pair (AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY).

What it fakes, as S3 does it
  * Path-style /<bucket>/<key> and virtual-hosted "Host: <bucket>.<anything>"
    (when the host's first label is an existing bucket and it isn't an IP).
  * SigV4 (AWS4-HMAC-SHA256) in the Authorization header, or presigned in the
    query (X-Amz-Algorithm/Credential/Date/Expires/SignedHeaders/Signature).
    S3's canonicalisation: the canonical URI is the raw path as sent (never
    normalised or double-encoded); query pairs are decoded, re-encoded with
    RFC 3986's unreserved set and sorted.  x-amz-date must be within 15 minutes;
    x-amz-content-sha256 is required (a hex value must be the body's sha256);
    host and every x-amz-* header sent must be signed; the session token, when
    configured, must be sent as x-amz-security-token.  Errors:
    SignatureDoesNotMatch (403, with <CanonicalRequest> and <StringToSign>),
    InvalidAccessKeyId (403), AuthorizationHeaderMalformed (400, <Region> and
    x-amz-bucket-region, for a signature scoped to the wrong region),
    RequestTimeTooSkewed (403), ExpiredToken (400, credentials replaced through
    the control API), InvalidToken (400), AccessDenied (403: no signature on a
    bucket that is not an --anon-bucket; unsigned x-amz-* headers).
  * Every response about a bucket carries x-amz-bucket-region.  HEAD /<bucket>
    answers 200, or 301 when the signature's region is not the bucket's.
    GET /<bucket>?location answers the LocationConstraint; GET / lists buckets.
  * GET/HEAD object: ETag (quoted md5 of the content; files over --md5-limit,
    default 64 MiB, get a multipart-style "<md5 of size,mtime,inode>-<parts>"
    ETag, as large objects uploaded in parts have in S3 - do not assume an ETag
    is an md5), Last-Modified, Content-Length, Accept-Ranges: bytes.  One range
    per request: bytes=a-b, bytes=a-, bytes=-n -> 206 with Content-Range;
    unsatisfiable -> 416 InvalidRange; a malformed or multi-range Range header
    is ignored (200, whole object), as S3 does.  If-Match / If-Unmodified-Since
    -> 412 PreconditionFailed, If-None-Match / If-Modified-Since -> 304, with
    S3's precedence.  Missing key 404 NoSuchKey (<Key>), missing bucket 404
    NoSuchBucket.  Bodies are sent with sendfile.
  * ListObjectsV2 (list-type=2): prefix, delimiter (CommonPrefixes), max-keys
    (default and maximum 1000, further capped by --max-keys-cap so tests can
    force tiny pages: the answer then holds fewer keys than MaxKeys, which S3
    may also do), continuation-token (opaque, always contains "+", "/" and "=",
    so a client that does not URL-encode it gets 400 InvalidArgument),
    start-after, encoding-type=url (form-encoded keys: space -> "+"),
    fetch-owner ignored.  Keys sorted in UTF-8 binary order, XML-escaped.
    ListObjects (v1: marker, NextMarker) is there too.
  * Errors are S3's XML <Error><Code/><Message/>...<Resource/><RequestId/>
    <HostId/></Error>, Content-Type application/xml (no body on HEAD).
  * HTTP/1.1 keep-alive, Content-Length on every response (but 304).

What it does not fake
  Writes of any kind (PUT/POST/DELETE answer 501 NotImplemented), versioning,
  ACLs and policies, SigV2, chunked (STREAMING-*) payload signatures, SSE,
  checksums, TLS (put a TLS proxy in front if needed), redirects to other
  endpoints (301/400 carry the region, never a new endpoint), object metadata
  other than what the file system has.

Control API (same port, unsigned, loopback clients only; JSON in and out)
  POST   /__control/faults       add rules: a JSON list (or one object) of
           {"kind": K,
            "method": "GET" | "HEAD" | "*" (default "*"),
            "key": glob over "<bucket>/<key>" (list rules: over "<bucket>";
                   default "*"),
            "list": false | true (true: match ListObjects(V2) requests instead
                   of object requests; HEAD <bucket> only matches list rules
                   whose method is "HEAD"),
            "count": N (matching requests it hits before it is spent; default
                   1; -1 = forever),
            "range_only": true (only requests with a Range header),
            "from_offset": k (only ranged requests starting at byte k or
                   later: past the header and sample a planner reads),
            "after_bytes": k, "seconds": s, ...}
         The first armed matching rule applies, after authentication passed.
         kinds:
           slowdown       503 SlowDown (S3's throttling)
           internal       500 InternalError
           throttle       429 TooManyRequests (generic HTTP throttling)
           error          any "status", "code", "message"
                          (these four take "retry_after": a Retry-After header)
           expired_token  400 ExpiredToken
           wrong_region   as if the bucket were in "region" (default: another
                          one): 400 AuthorizationHeaderMalformed with <Region>
                          and x-amz-bucket-region; 301 for HEAD bucket
           ok_error       200 with an <Error><Code>InternalError</Code> body
           delay          sleep "seconds", then answer normally
           truncate       headers with the full Content-Length, after_bytes of
                          the body, then close the connection
           stall          after_bytes of the body, sleep "seconds", then the
                          rest (or close, with "close": true)
           ignore_range   a ranged GET answered 200 with the whole object
                          (only ranged requests match it)
           reset          TCP RST and no response; with after_bytes: after the
                          headers and after_bytes of the body
         truncate, stall and ignore_range with method "*" do not match HEAD.
  GET    /__control/faults       the rules still armed (with "remaining")
  DELETE /__control/faults       clear all rules
  GET    /__control/log          the S3 requests so far (last --log-limit,
           default 100000), oldest first: [{"seq", "time" (arrival),
           "end" (the response's last byte),
           "conn" (client "ip:port": equal for requests on one connection),
           "method", "path" (raw), "query" (raw), "params" (decoded dict),
           "headers" (lower-case names), "range" (the Range header or null),
           "status" (0: reset, no response), "code" (S3 error code or null),
           "bytes" (body bytes sent), "fault" (kind or null), "anonymous",
           "error" (only when the connection failed mid-response)}]
           A request is logged just before its response's last write, so a
           client that has read a whole response finds it in the log.
  DELETE /__control/log          clear the log
  POST   /__control/credentials  {"access_key", "secret_key", "session_token"}
           (or AccessKeyId/SecretAccessKey/Token): replaces the accepted
           credentials; requests signed with the replaced ones get 400
           ExpiredToken, as rotated role credentials do
  GET    /__control/health       {"ok": true}

Notes for client authors (what real S3, and this fake, insist on)
  * libcurl's CURLOPT_AWS_SIGV4 (curl 7.88, Debian 12) neither adds
    x-amz-content-sha256 (set it: "UNSIGNED-PAYLOAD" or the empty body's
    sha256) nor sorts the query string: send query parameters already sorted
    and percent-encoded (RFC 3986 unreserved set), or the signature fails.
  * "+" in a query string means a space: encode continuation tokens.
  * The canonical URI is the path exactly as sent: percent-encode keys once,
    the same way in the URL and in what you sign.
"""

import argparse
import base64
import collections
import datetime
import email.utils
import fnmatch
import hashlib
import hmac
import http.server
import ipaddress
import json
import mimetypes
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape as _xml_escape

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_SKEW = 15 * 60
DEFAULT_AK = "AKIAIOSFODNN7EXAMPLE"
DEFAULT_SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# Continuation tokens: base64 of this prefix + entry, padded so the text
# always holds "+", "/" and "=" (clients must URL-encode them).
TOKEN_MAGIC = b"\xfb\xff\xbf"  # base64 "+/+/"
CONTROL = "/__control/"


def xml_escape(s):
    return _xml_escape(str(s), {'"': "&quot;", "'": "&apos;"})


def ukey(s):
    """Sort key: S3 sorts keys in UTF-8 binary order."""
    return s.encode("utf-8", "surrogateescape")


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


def iso_date(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def uri_encode(s):
    return urllib.parse.quote(s, safe="-_.~")


def canonical_query(raw_query, drop=()):
    """S3's canonical query string: decode each pair, re-encode, sort."""
    pairs = []
    for part in raw_query.split("&") if raw_query else ():
        if not part:
            continue
        k, _, v = part.partition("=")
        k = urllib.parse.unquote_plus(k)
        if k in drop:
            continue
        pairs.append((uri_encode(k), uri_encode(urllib.parse.unquote_plus(v))))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def sigv4_key(secret, date, region, service):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def is_loopback(addr):
    try:
        ip = ipaddress.ip_address(addr)
        if ip.version == 6 and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return ip.is_loopback
    except ValueError:
        return False


class S3Error(Exception):
    def __init__(self, status, code, message, headers=(), **extra):
        super().__init__(code)
        self.status, self.code, self.message = status, code, message
        self.headers = list(headers)
        self.extra = extra


class Abort(Exception):
    """The response was already sent (or deliberately not sent)."""


class State:
    """What the control API changes, shared by all handler threads."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.root = os.path.abspath(args.root)
        self.region = args.region
        self.bucket_regions = dict(args.bucket_region)
        self.anon = set(args.anon_bucket)
        self.max_keys_cap = args.max_keys_cap
        self.md5_limit = args.md5_limit
        self.verbose = args.verbose
        self.creds = (args.access_key, args.secret_key, args.session_token)
        self.old_keys, self.old_tokens = set(), set()
        self.faults = []
        self.log = collections.deque(maxlen=args.log_limit)
        self.seq = 0
        self.etags = {}

    def set_creds(self, ak, sk, token):
        with self.lock:
            oak, _, otok = self.creds
            if oak != ak:
                self.old_keys.add(oak)
            if otok and otok != token:
                self.old_tokens.add(otok)
            self.old_keys.discard(ak)
            self.creds = (ak, sk, token)

    def take_fault(self, method, target, is_list, ranged, explicit=False,
                   range_start=None):
        """The first armed rule matching the request (and spend one of its hits).
        explicit: only rules naming the method match (HEAD bucket: list rules
        with "method": "HEAD")."""
        with self.lock:
            for rule in self.faults:
                if rule["remaining"] == 0:
                    continue
                if rule["method"] != method and (explicit or rule["method"] != "*"):
                    continue
                if bool(rule.get("list")) != is_list:
                    continue
                if (rule.get("range_only") or rule["kind"] == "ignore_range") and not ranged:
                    continue
                if "from_offset" in rule and (range_start is None or
                                              range_start < rule["from_offset"]):
                    continue
                if method == "HEAD" and rule["method"] == "*" and rule["kind"] in BODY_FAULTS:
                    continue
                if not fnmatch.fnmatchcase(target, rule.get("key", "*")):
                    continue
                if rule["remaining"] > 0:
                    rule["remaining"] -= 1
                return dict(rule)
            self.faults = [r for r in self.faults if r["remaining"] != 0]
        return None

    def etag(self, path, st):
        sig = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        hit = self.etags.get(path)
        if hit and hit[0] == sig:
            return hit[1]
        if st.st_size > self.md5_limit:
            parts = -(-st.st_size // (8 << 20))
            tag = hashlib.md5(repr(sig).encode()).hexdigest() + f"-{parts}"
        else:
            h = hashlib.md5()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            tag = h.hexdigest()
        tag = f'"{tag}"'
        self.etags[path] = (sig, tag)
        return tag

    def bucket_region(self, bucket):
        return self.bucket_regions.get(bucket, self.region)


BODY_FAULTS = {"truncate", "stall", "ignore_range"}  # "method": "*" does not match HEAD for these
FAULT_KINDS = {"slowdown", "internal", "throttle", "error", "truncate", "stall",
               "delay", "reset", "ok_error", "expired_token", "ignore_range",
               "wrong_region"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AmazonS3"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def version_string(self):
        return self.server_version

    # ------------------------------------------------------------ plumbing
    def log_message(self, fmt, *args):
        if self.server.state.verbose:
            sys.stderr.write("fake_s3: %s %s\n" % (self.address_string(), fmt % args))

    def send_response(self, code, message=None):
        self.status = code
        super().send_response(code, message)

    def do_GET(self):
        self.dispatch()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return b""
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = 0
        return self.rfile.read(n) if n > 0 else b""

    def dispatch(self):
        st = self.server.state
        self.status, self.code, self.sent, self.fault = None, None, 0, None
        self.bucket_region = None
        self.anonymous = False
        self.request_id = os.urandom(8).hex().upper()
        self.body = self.read_body()
        # http.server decodes the request line as latin-1: recover the bytes
        target = self.path.encode("latin-1").decode("utf-8", "surrogateescape")
        raw_path, _, self.raw_query = target.partition("?")
        self.raw_path = raw_path or "/"
        if self.raw_path.startswith(CONTROL):
            self.logged = True  # control requests are not logged
            return self.control()
        self.params = dict(urllib.parse.parse_qsl(self.raw_query, keep_blank_values=True))
        self.logged = False
        self.entry = {"time": time.time(), "conn": "%s:%s" % self.client_address[:2],
                 "method": self.command, "path": self.raw_path,
                 "query": self.raw_query, "params": self.params,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "range": self.headers.get("Range")}
        try:
            try:
                self.route()
            except S3Error as e:
                self.send_error_xml(e)
        except Abort:
            pass
        except OSError as e:  # the client went away (or was reset by a fault)
            self.close_connection = True
            with st.lock:
                self.entry.update(bytes=self.sent, error=str(e))
        finally:
            self.commit()

    def commit(self, pending=0):
        """Put the request in the log, counting `pending` body bytes about to be sent.
        Called just before a response's last write, so that a client that has seen
        the whole response also finds it in the log."""
        if self.logged:
            return
        self.logged = True
        st = self.server.state
        with st.lock:
            st.seq += 1
            self.entry.update(seq=st.seq, status=self.status, code=self.code, bytes=self.sent + pending,
                              fault=self.fault, anonymous=self.anonymous, end=time.time())
            st.log.append(self.entry)

    # ------------------------------------------------------------ responses
    def common_headers(self):
        self.send_header("x-amz-request-id", self.request_id)
        self.send_header("x-amz-id-2", base64.b64encode(self.request_id.encode() * 3).decode())
        if self.bucket_region:
            self.send_header("x-amz-bucket-region", self.bucket_region)

    def send_bytes(self, status, body, ctype="application/xml", headers=()):
        self.send_response(status)
        self.common_headers()
        for k, v in headers:
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body) if self.command != "HEAD" else 0))
        if self.command == "HEAD" or not body or status == 304:
            self.commit()
            self.end_headers()
            return
        self.end_headers()
        self.commit(len(body))
        self.wfile.write(body)
        self.sent += len(body)

    def error_xml(self, code, message, **extra):
        items = [f"<Code>{xml_escape(code)}</Code>", f"<Message>{xml_escape(message)}</Message>"]
        items += [f"<{k}>{xml_escape(v)}</{k}>" for k, v in extra.items() if v is not None]
        items += [f"<Resource>{xml_escape(self.raw_path)}</Resource>",
                  f"<RequestId>{self.request_id}</RequestId>",
                  f"<HostId>{base64.b64encode(self.request_id.encode() * 3).decode()}</HostId>"]
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>%s</Error>' % "".join(items)).encode("utf-8", "replace")

    def send_error_xml(self, e):
        self.code = e.code
        self.send_bytes(e.status, self.error_xml(e.code, e.message, **e.extra), headers=e.headers)

    def send_xml(self, body_text, status=200):
        self.send_bytes(status, ('<?xml version="1.0" encoding="UTF-8"?>\n' + body_text).encode("utf-8", "replace"))

    # ------------------------------------------------------------ routing
    def route(self):
        st = self.server.state
        bucket, key = self.split_target()
        if bucket is None:
            if self.command != "GET":
                raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
            self.authenticate(None, any_region=True)
            return self.list_buckets()
        bdir = os.path.join(st.root, bucket)
        if not bucket or "/" in bucket or bucket in (".", "..") or not os.path.isdir(bdir):
            self.authenticate(bucket, any_region=True, allow_anon=True)
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)
        self.bucket_region = st.bucket_region(bucket)
        if self.command not in ("GET", "HEAD"):
            raise S3Error(501, "NotImplemented", "A header you provided implies functionality that is not implemented",
                          Header="method " + self.command)
        head_bucket = key == "" and self.command == "HEAD"
        sig_region = self.authenticate(bucket, head_bucket=head_bucket)
        if key == "":
            if head_bucket:
                if sig_region and sig_region != self.bucket_region:
                    return self.send_bytes(301, b"")
                fault = self.fault_for(bucket, True, explicit=True)
                if fault and self.simple_fault(fault, True):
                    return
                return self.send_bytes(200, b"")
            if "location" in self.params:
                return self.get_location()
            fault = self.fault_for(bucket, True)
            if fault and self.simple_fault(fault, head_bucket):
                return
            return self.list_objects(bucket, bdir, v2=self.params.get("list-type") == "2", fault=fault)
        for sub in ("acl", "tagging", "torrent", "legal-hold", "retention", "attributes", "uploadId"):
            if sub in self.params:
                raise S3Error(501, "NotImplemented", "A header you provided implies functionality that is not implemented",
                              Header=sub)
        fault = self.fault_for(bucket + "/" + key, False)
        if fault and self.simple_fault(fault, False):
            return
        return self.get_object(bucket, bdir, key, fault)

    def split_target(self):
        """(bucket, key) from the path (path-style) or the Host (virtual-hosted)."""
        path = urllib.parse.unquote(self.raw_path)
        host = (self.headers.get("Host") or "").strip()
        hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else ""
        if hostname and "." in hostname:
            try:
                ipaddress.ip_address(hostname)
            except ValueError:
                first = hostname.split(".", 1)[0]
                if first and os.path.isdir(os.path.join(self.server.state.root, first)):
                    return first, path[1:]
        if path in ("", "/"):
            return None, None
        bucket, _, key = path[1:].partition("/")
        return bucket, key

    def fault_for(self, target, is_list, explicit=False):
        m = re.match(r"bytes=(\d+)-", self.headers.get("Range") or "")
        f = self.server.state.take_fault(self.command, target, is_list,
                                         "Range" in self.headers, explicit,
                                         int(m.group(1)) if m else None)
        if f:
            self.fault = f["kind"]
        return f

    def simple_fault(self, f, head_bucket):
        """Faults that replace the whole response; True if one was sent."""
        kind = f["kind"]
        extra = [("Retry-After", str(f["retry_after"]))] if "retry_after" in f else []
        if kind == "delay":
            time.sleep(float(f.get("seconds", 1)))
            return False
        if kind == "slowdown":
            raise S3Error(503, "SlowDown", "Please reduce your request rate.", headers=extra)
        if kind == "internal":
            raise S3Error(500, "InternalError", "We encountered an internal error. Please try again.", headers=extra)
        if kind == "throttle":
            raise S3Error(429, "TooManyRequests", "Too many requests, please slow down.", headers=extra)
        if kind == "error":
            raise S3Error(int(f.get("status", 500)), f.get("code", "InternalError"),
                          f.get("message", "Injected error."), headers=extra)
        if kind == "expired_token":
            raise S3Error(400, "ExpiredToken", "The provided token has expired.")
        if kind == "wrong_region":
            other = f.get("region") or ("eu-west-1" if self.bucket_region != "eu-west-1" else "us-west-2")
            self.bucket_region = other
            if head_bucket:
                self.send_bytes(301, b"")
                return True
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the region '%s' is wrong; expecting '%s'"
                          % (self.sig_region or self.server.state.region, other), Region=other)
        if kind == "ok_error":
            body = self.error_xml("InternalError", "We encountered an internal error. Please try again.")
            self.send_bytes(200, body)
            return True
        if kind == "reset" and f.get("after_bytes") is None:
            self.status = 0
            self.reset()
        return False

    def reset(self):
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.commit()
        sock.close()
        self.close_connection = True
        raise Abort()

    # ------------------------------------------------------------ auth
    def authenticate(self, bucket, head_bucket=False, any_region=False, allow_anon=False):
        """Check SigV4; return the signature's region (None if anonymous)."""
        st = self.server.state
        self.sig_region = None
        h = self.headers
        auth = h.get("Authorization")
        presigned = auth is None and "X-Amz-Algorithm" in self.params
        if auth is None and "AWSAccessKeyId" in self.params and "Signature" in self.params:
            raise S3Error(400, "InvalidRequest", "The authorization mechanism you have provided is not supported. "
                          "Please use AWS4-HMAC-SHA256.")
        if auth is None and not presigned:
            self.anonymous = True
            if allow_anon or bucket in st.anon:
                return None
            raise S3Error(403, "AccessDenied", "Access Denied")
        if presigned:
            p = self.params
            if p.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
                raise S3Error(400, "AuthorizationQueryParametersError",
                              "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
            try:
                cred, signed, sig = p["X-Amz-Credential"], p["X-Amz-SignedHeaders"], p["X-Amz-Signature"]
                amz_date = p["X-Amz-Date"]
                expires = int(p["X-Amz-Expires"])
            except (KeyError, ValueError):
                raise S3Error(400, "AuthorizationQueryParametersError",
                              "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                              "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
            token = p.get("X-Amz-Security-Token")
            payload = "UNSIGNED-PAYLOAD"
        else:
            if auth.startswith("AWS "):
                raise S3Error(400, "InvalidRequest", "The authorization mechanism you have provided is not supported. "
                              "Please use AWS4-HMAC-SHA256.")
            algo, _, rest = auth.strip().partition(" ")
            if algo != "AWS4-HMAC-SHA256":
                raise S3Error(400, "InvalidArgument", "Unsupported Authorization Type",
                              ArgumentName="Authorization", ArgumentValue=auth)
            fields = {}
            for part in rest.split(","):
                k, _, v = part.strip().partition("=")
                fields[k] = v
            try:
                cred, signed, sig = fields["Credential"], fields["SignedHeaders"], fields["Signature"]
            except KeyError:
                raise S3Error(400, "AuthorizationHeaderMalformed",
                              "The authorization header is malformed; the authorization header requires three "
                              "components: Credential, SignedHeaders, and Signature.")
            amz_date = h.get("x-amz-date")
            token = h.get("x-amz-security-token")
            payload = h.get("x-amz-content-sha256")
            expires = None
        scope = cred.split("/")
        if len(scope) != 5:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the Credential is mal-formed; "
                          "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        ak, sdate, region, service, term = scope
        cur_ak, secret, cur_token = st.creds
        if ak != cur_ak:
            if ak in st.old_keys:
                raise S3Error(400, "ExpiredToken", "The provided token has expired.")
            raise S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.",
                          AWSAccessKeyId=ak)
        if not amz_date:
            raise S3Error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
        try:
            t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            raise S3Error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
        now = time.time()
        if presigned:
            if now > t + expires:
                raise S3Error(403, "AccessDenied", "Request has expired", Expires=iso_date(t + expires),
                              ServerTime=iso_date(now))
        elif abs(now - t) > MAX_SKEW:
            raise S3Error(403, "RequestTimeTooSkewed",
                          "The difference between the request time and the current time is too large.",
                          RequestTime=amz_date, ServerTime=iso_date(now), MaxAllowedSkewMilliseconds=MAX_SKEW * 1000)
        if sdate != amz_date[:8]:
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; Invalid credential "
                          "date \"%s\". This date is not the same as X-Amz-Date: \"%s\"." % (sdate, amz_date[:8]))
        if service != "s3" or term != "aws4_request":
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; incorrect "
                          "service \"%s\". This endpoint belongs to \"s3\"." % service)
        self.sig_region = region
        want = self.bucket_region or st.region
        if not any_region and region != want and not head_bucket:
            self.bucket_region = want
            if presigned:
                raise S3Error(400, "AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter; "
                              "the region '%s' is wrong; expecting '%s'" % (region, want), Region=want)
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; the region '%s' "
                          "is wrong; expecting '%s'" % (region, want), Region=want)
        if payload is None:
            raise S3Error(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        names = signed.split(";")
        if "host" not in names:
            raise S3Error(403, "AccessDenied", "There were headers present in the request which were not signed",
                          HeadersNotSigned="host")
        present = {k.lower() for k in h.keys()}
        unsigned = sorted(n for n in present if n.startswith("x-amz-") and n not in names)
        if unsigned:
            raise S3Error(403, "AccessDenied", "There were headers present in the request which were not signed",
                          HeadersNotSigned=", ".join(unsigned))
        canon_headers = "".join("%s:%s\n" % (n, ",".join(" ".join(v.split()) for v in (h.get_all(n) or [])))
                                for n in sorted(names))
        query = canonical_query(self.raw_query, drop=("X-Amz-Signature",) if presigned else ())
        creq = "\n".join([self.command, self.raw_path, query, canon_headers, ";".join(sorted(names)), payload])
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, "/".join(scope[1:]),
                         hashlib.sha256(creq.encode("utf-8", "surrogateescape")).hexdigest()])
        want_sig = hmac.new(sigv4_key(secret, sdate, region, service), sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want_sig, sig):
            raise S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the "
                          "signature you provided. Check your key and signing method.",
                          AWSAccessKeyId=ak, StringToSign=sts, SignatureProvided=sig,
                          StringToSignBytes=" ".join("%02x" % b for b in sts.encode()),
                          CanonicalRequest=creq,
                          CanonicalRequestBytes=" ".join("%02x" % b for b in creq.encode("utf-8", "surrogateescape")))
        if cur_token:
            if token is None:
                raise S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our "
                              "records.", AWSAccessKeyId=ak)
            if token != cur_token:
                if token in st.old_tokens:
                    raise S3Error(400, "ExpiredToken", "The provided token has expired.")
                raise S3Error(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        elif token is not None:
            raise S3Error(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        if len(payload) == 64 and all(c in "0123456789abcdef" for c in payload):
            got = hashlib.sha256(self.body).hexdigest()
            if got != payload:
                raise S3Error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not "
                              "match what was computed.", ClientComputedContentSHA256=payload,
                              S3ComputedContentSHA256=got)
        elif payload != "UNSIGNED-PAYLOAD" and not payload.startswith("STREAMING-"):
            raise S3Error(400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                          "STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a valid sha256 value.",
                          ArgumentName="x-amz-content-sha256", ArgumentValue=payload)
        return region

    # ------------------------------------------------------------ buckets
    def list_buckets(self):
        st = self.server.state
        items = []
        for name in sorted(os.listdir(st.root), key=ukey):
            p = os.path.join(st.root, name)
            if os.path.isdir(p):
                items.append("<Bucket><Name>%s</Name><CreationDate>%s</CreationDate></Bucket>"
                             % (xml_escape(name), iso_date(os.stat(p).st_mtime)))
        self.send_xml('<ListAllMyBucketsResult xmlns="%s"><Owner><ID>%s</ID><DisplayName>fake</DisplayName></Owner>'
                      "<Buckets>%s</Buckets></ListAllMyBucketsResult>" % (S3_NS, "f" * 64, "".join(items)))

    def get_location(self):
        r = self.bucket_region
        self.send_xml('<LocationConstraint xmlns="%s">%s</LocationConstraint>'
                      % (S3_NS, "" if r == "us-east-1" else xml_escape(r)))

    @staticmethod
    def make_token(kind, name):
        raw = TOKEN_MAGIC + kind.encode() + name.encode("utf-8", "surrogateescape")
        raw += b"\0" * ((1 - len(raw)) % 3)  # len % 3 == 1: ends in "=="
        return base64.b64encode(raw).decode()

    @staticmethod
    def read_token(tok):
        try:
            raw = base64.b64decode(tok.encode(), validate=True)
        except (ValueError, UnicodeEncodeError):
            raw = b""
        if not raw.startswith(TOKEN_MAGIC) or raw[3:4] not in (b"k", b"p"):
            raise S3Error(400, "InvalidArgument", "The continuation token provided is incorrect",
                          ArgumentName="continuation-token", ArgumentValue=tok)
        return raw[3:4].decode(), raw[4:].rstrip(b"\0").decode("utf-8", "surrogateescape")

    def list_objects(self, bucket, bdir, v2, fault):
        st = self.server.state
        p = self.params
        prefix, delim = p.get("prefix", ""), p.get("delimiter", "")
        enc = p.get("encoding-type")
        if enc not in (None, "url"):
            raise S3Error(400, "InvalidArgument", "Invalid Encoding Method specified in Request",
                          ArgumentName="encoding-type", ArgumentValue=enc)
        try:
            max_keys = int(p.get("max-keys", "1000"))
            if max_keys < 0:
                raise ValueError
        except ValueError:
            raise S3Error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range",
                          ArgumentName="max-keys", ArgumentValue=p.get("max-keys"))
        max_keys = min(max_keys, 1000)
        limit = max_keys if st.max_keys_cap is None else min(max_keys, st.max_keys_cap)
        after_key = after_prefix = None
        token = p.get("continuation-token") if v2 else None
        if token is not None:
            kind, name = self.read_token(token)
            if kind == "k":
                after_key = ukey(name)
            else:
                after_prefix = name
        elif v2 and "start-after" in p:
            after_key = ukey(p["start-after"])
        elif not v2 and "marker" in p:
            after_key = ukey(p["marker"])

        keys = []
        for dirpath, dirnames, filenames in os.walk(bdir, followlinks=True):
            rel = os.path.relpath(dirpath, bdir)
            rel = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            if not rel.startswith(prefix) and not prefix.startswith(rel):
                dirnames[:] = []
                continue
            for fn in filenames:
                k = rel + fn
                if k.startswith(prefix):
                    keys.append((ukey(k), k, os.path.join(dirpath, fn)))
        keys.sort()

        entries, truncated, last_cp = [], False, None
        for kb, k, path in keys:
            if after_key is not None and kb <= after_key:
                continue
            if after_prefix is not None and (k.startswith(after_prefix) or kb <= ukey(after_prefix)):
                continue
            if delim:
                i = k.find(delim, len(prefix))
                if i >= 0:
                    cp = k[:i + len(delim)]
                    if cp == last_cp:
                        continue
                    if len(entries) >= limit:
                        truncated = True
                        break
                    entries.append(("p", cp, None))
                    last_cp = cp
                    continue
            if len(entries) >= limit:
                truncated = limit > 0
                break
            entries.append(("k", k, path))

        e = (lambda s: urllib.parse.quote_plus(s, safe="/")) if enc == "url" else (lambda s: s)
        out = ['<ListBucketResult xmlns="%s">' % S3_NS, "<Name>%s</Name>" % xml_escape(bucket),
               "<Prefix>%s</Prefix>" % xml_escape(e(prefix))]
        if v2:
            out.append("<KeyCount>%d</KeyCount>" % len(entries))
            if token is not None:
                out.append("<ContinuationToken>%s</ContinuationToken>" % xml_escape(token))
            if truncated:
                kind, name, _ = entries[-1]
                out.append("<NextContinuationToken>%s</NextContinuationToken>"
                           % xml_escape(self.make_token(kind, name)))
            if "start-after" in p:
                out.append("<StartAfter>%s</StartAfter>" % xml_escape(e(p["start-after"])))
        else:
            out.append("<Marker>%s</Marker>" % xml_escape(e(p.get("marker", ""))))
            if truncated and delim:
                out.append("<NextMarker>%s</NextMarker>" % xml_escape(e(entries[-1][1])))
        out.append("<MaxKeys>%d</MaxKeys>" % max_keys)
        if delim:
            out.append("<Delimiter>%s</Delimiter>" % xml_escape(e(delim)))
        out.append("<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false"))
        cps = []
        for kind, name, path in entries:
            if kind == "p":
                cps.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % xml_escape(e(name)))
                continue
            try:
                s = os.stat(path)
            except OSError:
                continue
            out.append("<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>%s</ETag><Size>%d</Size>"
                       "<StorageClass>STANDARD</StorageClass></Contents>"
                       % (xml_escape(e(name)), iso_date(s.st_mtime), xml_escape(st.etag(path, s)), s.st_size))
        out += cps
        if enc:
            out.append("<EncodingType>url</EncodingType>")
        out.append("</ListBucketResult>")
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + "".join(out)).encode("utf-8", "surrogateescape")
        self.send_body_faulty(200, [("Content-Type", "application/xml")], body, 0, len(body), fault)

    # ------------------------------------------------------------ objects
    def get_object(self, bucket, bdir, key, fault):
        st = self.server.state
        parts = key.split("/")
        path = None
        if "\0" not in key and not any(x in ("", ".", "..") for x in parts):
            path = os.path.join(bdir, *parts)
        try:
            f = open(path, "rb") if path else None
            if f is not None and not os.path.isfile(path):
                f.close()
                f = None
        except OSError:
            f = None
        if f is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
        with f:
            s = os.fstat(f.fileno())
            size, mtime = s.st_size, int(s.st_mtime)
            etag = st.etag(path, s)
            meta = [("ETag", etag), ("Last-Modified", http_date(mtime)), ("Accept-Ranges", "bytes")]
            self.check_conditions(etag, mtime, meta)
            start, end, status = 0, size, 200
            rng = self.headers.get("Range")
            if rng is not None and not (fault and fault["kind"] == "ignore_range"):
                r = parse_range(rng, size)
                if r == "unsatisfiable":
                    raise S3Error(416, "InvalidRange", "The requested range is not satisfiable",
                                  headers=[("Content-Range", "bytes */%d" % size)],
                                  RangeRequested=rng, ActualObjectSize=size)
                if r is not None:
                    start, end, status = r[0], r[1] + 1, 206
                    meta.append(("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size)))
            ctype = mimetypes.guess_type(key)[0] or "binary/octet-stream"
            self.send_body_faulty(status, [("Content-Type", ctype)] + meta, f, start, end, fault)

    def check_conditions(self, etag, mtime, meta):
        h = self.headers

        def matches(header):
            tags = [t.strip() for t in header.split(",")]
            return any(t == "*" or t.removeprefix("W/") == etag or t.strip('"') == etag.strip('"') for t in tags)

        def since(name):
            v = h.get(name)
            try:
                return email.utils.parsedate_to_datetime(v).timestamp() if v else None
            except (TypeError, ValueError):
                return None

        im, inm = h.get("If-Match"), h.get("If-None-Match")
        ius, ims = since("If-Unmodified-Since"), since("If-Modified-Since")
        if (im is not None and not matches(im)) or (im is None and ius is not None and mtime > ius):
            raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                          Condition="If-Match" if im is not None else "If-Unmodified-Since")
        if (inm is not None and matches(inm)) or (inm is None and ims is not None and mtime <= ims):
            self.send_bytes(304, b"", headers=meta)
            raise Abort()

    def send_body_faulty(self, status, headers, src, start, end, fault):
        """Send headers + body [start, end) of src (bytes or a file), applying a body fault."""
        length = end - start
        self.send_response(status)
        self.common_headers()
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(length))
        kind = fault["kind"] if fault else None
        if kind == "truncate" or (kind == "stall" and fault.get("close")):
            self.send_header("Connection", "close")
        if self.command == "HEAD" or length == 0:
            if kind != "reset":
                self.commit()
            self.end_headers()
            if kind == "reset":
                self.reset()
            return
        self.end_headers()
        cut = 0
        if kind in ("truncate", "stall", "reset"):
            cut = max(0, min(length, int(fault.get("after_bytes") or 0)))
            self.send_range(src, start, start + cut)
            if kind == "reset":
                self.reset()
            if kind == "stall":
                time.sleep(float(fault.get("seconds", 1)))
            if kind == "truncate" or fault.get("close"):
                self.commit()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
        self.commit(end - start - cut)
        self.send_range(src, start + cut, end)

    def send_range(self, src, start, end):
        if end <= start:
            return
        if isinstance(src, bytes):
            self.wfile.write(src[start:end])
            self.sent += end - start
            return
        # socket.sendfile: zero-copy os.sendfile, and it copes with timeouts
        self.sent += self.connection.sendfile(src, start, end - start)

    # ------------------------------------------------------------ control
    def control(self):
        st = self.server.state
        self.bucket_region = None
        if not is_loopback(self.client_address[0]):
            return self.send_bytes(403, b'{"error": "control API is loopback-only"}', "application/json")
        what = self.raw_path[len(CONTROL):].rstrip("/")
        m = self.command
        try:
            data = json.loads(self.body) if self.body.strip() else None
        except ValueError as e:
            return self.send_json({"error": "bad JSON: %s" % e}, 400)
        if what == "health":
            return self.send_json({"ok": True})
        if what == "log":
            with st.lock:
                if m == "DELETE":
                    st.log.clear()
                    return self.send_json({"ok": True})
                body = json.dumps(list(st.log))
            return self.send_bytes(200, body.encode(), "application/json")
        if what == "faults":
            with st.lock:
                if m == "DELETE":
                    st.faults.clear()
                    return self.send_json({"ok": True})
                if m == "GET":
                    return self.send_json([r for r in st.faults if r["remaining"] != 0])
            if m == "POST":
                rules = data if isinstance(data, list) else [data]
                norm = []
                for r in rules:
                    if not isinstance(r, dict) or r.get("kind") not in FAULT_KINDS:
                        return self.send_json({"error": "bad rule %r; kinds: %s" % (r, sorted(FAULT_KINDS))}, 400)
                    r = dict(r)
                    r["method"] = (r.get("method") or "*").upper()
                    r.setdefault("key", "*")
                    c = r.get("count", 1)
                    r["remaining"] = -1 if c is None or c < 0 else int(c)
                    norm.append(r)
                with st.lock:
                    st.faults.extend(norm)
                return self.send_json({"ok": True, "added": len(norm)})
        if what == "credentials" and m == "POST" and isinstance(data, dict):
            ak = data.get("access_key", data.get("AccessKeyId"))
            sk = data.get("secret_key", data.get("SecretAccessKey"))
            tok = data.get("session_token", data.get("Token"))
            if not ak or not sk:
                return self.send_json({"error": "need access_key and secret_key"}, 400)
            st.set_creds(ak, sk, tok or None)
            return self.send_json({"ok": True})
        return self.send_json({"error": "unknown control request %s %s" % (m, self.raw_path)}, 404)

    def send_json(self, obj, status=200):
        self.send_bytes(status, json.dumps(obj).encode(), "application/json")


def parse_range(value, size):
    """(first, last) inclusive, None to ignore the header, or "unsatisfiable"."""
    unit, _, spec = value.strip().partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None
    a, sep, b = spec.strip().partition("-")
    a, b = a.strip(), b.strip()
    if not sep or not (a.isdigit() or a == "") or not (b.isdigit() or b == "") or (a == "" and b == ""):
        return None
    if a == "":
        n = int(b)
        if n == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - n), size - 1
    first = int(a)
    if b and int(b) < first:
        return None
    if first >= size:
        return "unsatisfiable"
    last = int(b) if b else size - 1
    return first, min(last, size - 1)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def serve(handler, state, args):
    """Bind, print READY <port>, serve until SIGTERM/SIGINT or stdin EOF."""
    cls = Server
    if ":" in args.host:
        cls = type("Server6", (Server,), {"address_family": socket.AF_INET6})
    httpd = cls((args.host, args.port), handler)
    httpd.state = state

    def stop(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:
        def watch():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except (OSError, ValueError):
                pass
            stop()
        threading.Thread(target=watch, daemon=True).start()
    sys.stdout.write("READY %d\n" % httpd.server_address[1])
    sys.stdout.flush()
    try:
        httpd.serve_forever(poll_interval=0.1)
    finally:
        httpd.server_close()


def add_common_args(ap):
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--access-key", default=DEFAULT_AK)
    ap.add_argument("--secret-key", default=DEFAULT_SK)
    ap.add_argument("--session-token", default=None)
    ap.add_argument("--exit-on-stdin-eof", action="store_true")
    ap.add_argument("--verbose", action="store_true")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True)
    add_common_args(ap)

    def bucket_region(v):
        b, sep, r = v.partition("=")
        if not sep or not b or not r:
            raise argparse.ArgumentTypeError("expected BUCKET=REGION")
        return b, r

    ap.add_argument("--bucket-region", type=bucket_region, action="append", default=[])
    ap.add_argument("--anon-bucket", action="append", default=[])
    ap.add_argument("--max-keys-cap", type=int, default=None)
    ap.add_argument("--md5-limit", type=int, default=64 << 20)
    ap.add_argument("--log-limit", type=int, default=100000, help="requests kept in the control log")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.root):
        ap.error("--root %s is not a directory" % args.root)
    serve(Handler, State(args), args)


if __name__ == "__main__":
    main()
