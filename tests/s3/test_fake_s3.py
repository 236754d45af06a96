"""Checks fake_s3.py and fake_credentials.py against real clients.

    /usr/bin/python3 -m pytest -q tests/s3/test_fake_s3.py

botocore's S3 client, the awscli, curl's --aws-sigv4 (the libcurl signer dusk
uses) and plain http.client requests signed with botocore's S3SigV4Auth.  Each
server is a subprocess started on port 0; the tests wait for its "READY <port>"
line and kill it by pid when done.
"""

import datetime
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

botocore = pytest.importorskip("botocore")
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.config  # noqa: E402
import botocore.credentials  # noqa: E402
import botocore.exceptions  # noqa: E402
import botocore.session  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
AK, SK = "AKIAFAKEDUSKTEST0001", "fake/secret+key=dusk0001"
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
DATA_KEYS = ["a.csv", "b c&d.csv", "dir/<x>\"y'.csv", "p+q=r.csv", "z\u00fcrich.csv"]
NUMS = b"".join(b"%d,%d\n" % (i, i * i) for i in range(20000))


def start(script, *args):
    """Start a server script; return (Popen, port) once it printed READY."""
    p = subprocess.Popen([sys.executable, os.path.join(HERE, script), *args], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()  # blocks until READY, or "" if the server died
    if not line.startswith("READY "):
        p.kill()
        raise RuntimeError("%s did not start: %r %s" % (script, line, p.stderr.read()))
    return p, int(line.split()[1])


def stop(p):
    p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("s3root")
    for k in DATA_KEYS:
        f = r / "data" / k
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(("contents of %s\n" % k).encode())
    (r / "misc").mkdir()
    (r / "misc" / "nums.csv").write_bytes(NUMS)
    (r / "pub").mkdir()
    (r / "pub" / "open.csv").write_bytes(b"x\n1\n")
    (r / "eu").mkdir()
    (r / "eu" / "e.csv").write_bytes(b"e\n2\n")
    return r


@pytest.fixture(scope="module")
def server(root):
    p, port = start("fake_s3.py", "--root", str(root), "--access-key", AK, "--secret-key", SK,
                    "--anon-bucket", "pub", "--bucket-region", "eu=eu-west-1")
    yield port
    stop(p)


@pytest.fixture(autouse=True)
def clean(request):
    if "server" in request.fixturenames:
        port = request.getfixturevalue("server")
        control(port, "DELETE", "faults")
        control(port, "DELETE", "log")
    yield


def control(port, method, what, data=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, "/__control/" + what, body=None if data is None else json.dumps(data))
    r = c.getresponse()
    body = r.read()
    c.close()
    assert r.status == 200, body
    return json.loads(body)


def client(port, region="us-east-1", ak=AK, sk=SK, token=None, **cfg):
    return botocore.session.get_session().create_client(
        "s3", endpoint_url="http://127.0.0.1:%d" % port, region_name=region, aws_access_key_id=ak,
        aws_secret_access_key=sk, aws_session_token=token,
        config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}, **cfg))


def sign(port, method, path, headers=None, region="us-east-1", ak=AK, sk=SK, token=None, when=None, host=None):
    """Headers for a request signed with botocore's S3SigV4Auth (at time `when`)."""
    url = "http://%s%s" % (host or "127.0.0.1:%d" % port, path)
    req = botocore.awsrequest.AWSRequest(method=method, url=url, headers=dict(headers or {}))
    auth = botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(ak, sk, token), "s3", region)
    if when is None:
        auth.add_auth(req)
    else:  # add_auth with a chosen timestamp instead of now
        req.context["timestamp"] = when.strftime(botocore.auth.SIGV4_TIMESTAMP)
        auth._modify_request_before_signing(req)
        sts = auth.string_to_sign(req, auth.canonical_request(req))
        auth._inject_signature_to_request(req, auth.signature(sts, req))
    h = dict(req.headers.items())
    if host:
        h["Host"] = host
    return h


def raw(port, method, path, headers=None, signed=True, conn=None, **kw):
    """(status, headers, body) of one request over http.client."""
    h = sign(port, method, path, headers, **kw) if signed else dict(headers or {})
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, headers=h)
    r = c.getresponse()
    body = r.read()
    if conn is None:
        c.close()
    return r.status, r, body


def err_code(body):
    e = ET.fromstring(body)
    assert e.tag == "Error"
    return e.findtext("Code")


def log(port):
    return control(port, "GET", "log")


# ---------------------------------------------------------------- botocore


def test_get_object_range_and_head(server):
    s3 = client(server)
    r = s3.get_object(Bucket="misc", Key="nums.csv", Range="bytes=10-29")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["ContentRange"] == "bytes 10-29/%d" % len(NUMS)
    assert r["Body"].read() == NUMS[10:30]
    h = s3.head_object(Bucket="misc", Key="nums.csv")
    assert h["ContentLength"] == len(NUMS)
    assert h["ETag"] == '"%s"' % hashlib.md5(NUMS).hexdigest()
    assert h["AcceptRanges"] == "bytes"
    assert abs(h["LastModified"].timestamp() - time.time()) < 600
    assert h["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert s3.get_object(Bucket="data", Key="z\u00fcrich.csv")["Body"].read() == "contents of z\u00fcrich.csv\n".encode()


def test_list_objects_v2_paging_special_keys(server):
    s3 = client(server)
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="data", PaginationConfig={"PageSize": 2}))
    assert [p["KeyCount"] for p in pages] == [2, 2, 1]
    keys = [o["Key"] for p in pages for o in p["Contents"]]
    assert keys == sorted(DATA_KEYS, key=lambda k: k.encode()) == sorted(keys)
    assert all(p["IsTruncated"] for p in pages[:-1]) and not pages[-1]["IsTruncated"]
    for p in pages[:-1]:
        tok = p["NextContinuationToken"]
        assert "+" in tok and "/" in tok and "=" in tok
    o = pages[0]["Contents"][0]
    assert o["ETag"] == '"%s"' % hashlib.md5(b"contents of a.csv\n").hexdigest()
    assert o["Size"] == len("contents of a.csv\n") and o["StorageClass"] == "STANDARD"
    # delimiter and prefix
    r = s3.list_objects_v2(Bucket="data", Delimiter="/")
    assert [c["Prefix"] for c in r["CommonPrefixes"]] == ["dir/"]
    assert "dir/<x>\"y'.csv" not in [o["Key"] for o in r["Contents"]] and r["KeyCount"] == 5
    r = s3.list_objects_v2(Bucket="data", Prefix="dir/", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["dir/<x>\"y'.csv"]
    r = s3.list_objects_v2(Bucket="data", StartAfter="b c&d.csv")
    assert [o["Key"] for o in r["Contents"]] == DATA_KEYS[2:]
    # every page request of the paginator is in the log, tokens URL-encoded
    lists = [e for e in log(server) if e["params"].get("list-type") == "2"]
    assert "continuation-token=" in lists[1]["query"] and "%2B" in lists[1]["query"]


def test_conditional_and_errors(server):
    s3 = client(server)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket="misc", Key="nums.csv", IfMatch='"0123"')
    assert e.value.response["Error"]["Code"] == "PreconditionFailed"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    etag = s3.head_object(Bucket="misc", Key="nums.csv")["ETag"]
    assert s3.get_object(Bucket="misc", Key="nums.csv", IfMatch=etag, Range="bytes=0-1")["Body"].read() == b"0,"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket="misc", Key="nums.csv", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket="data", Key="nope.csv")
    assert e.value.response["Error"]["Code"] == "NoSuchKey" and e.value.response["Error"]["Key"] == "nope.csv"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.list_objects_v2(Bucket="nobucket")
    assert e.value.response["Error"]["Code"] == "NoSuchBucket"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(server, sk="wrong").get_object(Bucket="data", Key="a.csv")
    err = e.value.response["Error"]
    assert err["Code"] == "SignatureDoesNotMatch"
    assert err["CanonicalRequest"].startswith("GET\n/data/a.csv\n\nhost:127.0.0.1:%d\n" % server)
    assert err["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(server, ak="AKIAUNKNOWN").get_object(Bucket="data", Key="a.csv")
    assert e.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    if_match = [e["headers"].get("if-match") for e in log(server) if e["method"] == "GET"]
    assert '"0123"' in if_match and etag in if_match


def test_region_redirect(server):
    # botocore follows the 400 AuthorizationHeaderMalformed <Region> to eu-west-1
    s3 = client(server, region="us-west-2")
    assert s3.get_object(Bucket="eu", Key="e.csv")["Body"].read() == b"e\n2\n"
    first = [e for e in log(server) if e["path"] == "/eu/e.csv"][0]
    assert first["code"] == "AuthorizationHeaderMalformed"
    st, r, body = raw(server, "GET", "/eu/e.csv", region="us-east-1")
    assert st == 400 and err_code(body) == "AuthorizationHeaderMalformed"
    assert ET.fromstring(body).findtext("Region") == "eu-west-1" == r.getheader("x-amz-bucket-region")
    st, r, _ = raw(server, "HEAD", "/eu", region="us-east-1")
    assert st == 301 and r.getheader("x-amz-bucket-region") == "eu-west-1"
    st, r, _ = raw(server, "HEAD", "/eu", region="eu-west-1")
    assert st == 200 and r.getheader("x-amz-bucket-region") == "eu-west-1"


def test_presigned_url(server):
    url = client(server, signature_version="s3v4").generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "p+q=r.csv"},
                                                ExpiresIn=60)
    assert urllib.request.urlopen(url, timeout=10).read() == b"contents of p+q=r.csv\n"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url.replace("X-Amz-Expires=60", "X-Amz-Expires=61"), timeout=10)
    assert e.value.code == 403 and err_code(e.value.read()) == "SignatureDoesNotMatch"


# ---------------------------------------------------------------- awscli, curl

def aws_env(port, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION="us-east-1", HOME=str(tmp_path),
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    return env


@pytest.mark.skipif(not os.path.exists("/usr/bin/aws"), reason="no /usr/bin/aws")
def test_awscli(server, tmp_path):
    env = aws_env(server, tmp_path)
    base = ["/usr/bin/aws", "--endpoint-url", "http://127.0.0.1:%d" % server, "s3"]
    out = subprocess.run(base + ["ls", "s3://data/"], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "PRE dir/" in out.stdout and "z\u00fcrich.csv" in out.stdout and "b c&d.csv" in out.stdout
    out = subprocess.run(base + ["cp", "s3://misc/nums.csv", "-"], env=env, capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == NUMS


@pytest.mark.skipif(not shutil.which("curl"), reason="no curl")
def test_curl_sigv4(server):
    """libcurl's signer (dusk's) - it needs x-amz-content-sha256 set by hand, and curl 7.88 signs the
    query string as given, so the client must send it sorted and encoded."""
    base = ["curl", "-s", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "%s:%s" % (AK, SK),
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-o", "-", "-w", "\n%{http_code}"]
    url = "http://127.0.0.1:%d" % server
    out = subprocess.run(base + ["-r", "5-9", url + "/misc/nums.csv"], capture_output=True, timeout=10).stdout
    assert out == NUMS[5:10] + b"\n206"
    out = subprocess.run(base + [url + "/data?list-type=2&max-keys=2&prefix=d"], capture_output=True,
                         timeout=10).stdout
    assert out.endswith(b"\n200") and b"<Key>dir/&lt;x&gt;&quot;y&apos;.csv</Key>" in out
    out = subprocess.run(base[:-6] + ["-w", "\n%{http_code}", url + "/data/a.csv"], capture_output=True,
                         timeout=10).stdout
    assert out.endswith(b"\n400") and b"x-amz-content-sha256" in out


# ---------------------------------------------------------------- raw protocol


def test_ranges(server):
    n = len(NUMS)
    for rng, status, first, last in [("bytes=0-9", 206, 0, 9), ("bytes=%d-" % (n - 5), 206, n - 5, n - 1),
                                     ("bytes=-7", 206, n - 7, n - 1), ("bytes=10-99999999", 206, 10, n - 1),
                                     ("bytes=0-1,5-6", 200, 0, n - 1), ("bytes=9-3", 200, 0, n - 1)]:
        st, r, body = raw(server, "GET", "/misc/nums.csv", {"Range": rng})
        assert (st, body) == (status, NUMS[first:last + 1]), rng
        assert int(r.getheader("Content-Length")) == last - first + 1
        if st == 206:
            assert r.getheader("Content-Range") == "bytes %d-%d/%d" % (first, last, n)
    for rng in ("bytes=%d-" % n, "bytes=-0"):
        st, r, body = raw(server, "GET", "/misc/nums.csv", {"Range": rng})
        assert st == 416 and err_code(body) == "InvalidRange" and r.getheader("Content-Range") == "bytes */%d" % n
    st, r, body = raw(server, "HEAD", "/misc/missing.csv")
    assert (st, body, r.getheader("x-amz-bucket-region")) == (404, b"", "us-east-1")
    st, r, body = raw(server, "HEAD", "/misc/nums.csv", {"Range": "bytes=0-9"})
    assert st == 206 and body == b"" and r.getheader("Content-Length") == "10"


def test_listing_xml(server):
    st, r, body = raw(server, "GET", "/data?encoding-type=url&list-type=2&max-keys=3")
    assert st == 200 and r.getheader("Content-Type") == "application/xml"
    assert b"<ETag>&quot;" in body
    x = ET.fromstring(body)
    assert x.tag == NS + "ListBucketResult"
    assert [k.text for k in x.iter(NS + "Key")] == ["a.csv", "b+c%26d.csv", "dir/%3Cx%3E%22y%27.csv"]
    assert x.findtext(NS + "IsTruncated") == "true" and x.findtext(NS + "KeyCount") == "3"
    assert x.findtext(NS + "MaxKeys") == "3" and x.findtext(NS + "Name") == "data"
    tok = x.findtext(NS + "NextContinuationToken")
    q = "continuation-token=%s&list-type=2" % urllib.parse.quote(tok, safe="")
    st, r, body = raw(server, "GET", "/data?" + q)
    x = ET.fromstring(body)
    assert [k.text for k in x.iter(NS + "Key")] == DATA_KEYS[3:]
    assert x.findtext(NS + "ContinuationToken") == tok and x.findtext(NS + "IsTruncated") == "false"
    assert x.find(NS + "Contents").findtext(NS + "LastModified").endswith(".000Z")
    # a token sent without URL-encoding is refused: "+" in a query means " " (the signature, over the
    # decoded pairs, is fine)
    h = sign(server, "GET", "/data?continuation-token=%s&list-type=2" % urllib.parse.quote(tok.replace("+", " "), safe=""))
    st, r, body = raw(server, "GET", "/data?continuation-token=%s&list-type=2" % tok, h, signed=False)
    assert st == 400 and err_code(body) == "InvalidArgument"


def test_anonymous_and_vhost(server):
    st, r, body = raw(server, "GET", "/pub/open.csv", signed=False)
    assert (st, body) == (200, b"x\n1\n")
    st, r, body = raw(server, "GET", "/data/a.csv", signed=False)
    assert st == 403 and err_code(body) == "AccessDenied" and r.getheader("Content-Type") == "application/xml"
    entry = log(server)[-1]
    assert entry["anonymous"] and entry["status"] == 403
    host = "data.s3.fake.test:%d" % server
    st, r, body = raw(server, "GET", "/a.csv", host=host)
    assert (st, body) == (200, b"contents of a.csv\n")


def test_keepalive_and_log(server):
    c = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    for rng in ("bytes=0-99", "bytes=100-199"):
        assert raw(server, "GET", "/misc/nums.csv", {"Range": rng}, conn=c)[0] == 206
    assert raw(server, "GET", "/data/missing", conn=c)[0] == 404
    c.close()
    entries = log(server)
    assert len({e["conn"] for e in entries}) == 1
    assert [(e["range"], e["status"], e["bytes"]) for e in entries[:2]] == [("bytes=0-99", 206, 100),
                                                                           ("bytes=100-199", 206, 100)]
    assert entries[2]["code"] == "NoSuchKey"
    assert entries[0]["headers"]["x-amz-content-sha256"] and entries[0]["method"] == "GET"
    control(server, "DELETE", "log")
    assert log(server) == []


def test_auth_rules(server):
    old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    st, r, body = raw(server, "GET", "/data/a.csv", when=old)
    assert st == 403 and err_code(body) == "RequestTimeTooSkewed"
    h = sign(server, "GET", "/data/a.csv")
    del h["X-Amz-Content-SHA256"]
    st, r, body = raw(server, "GET", "/data/a.csv", h, signed=False)
    assert st == 400 and err_code(body) == "InvalidRequest"
    h = sign(server, "GET", "/data/a.csv")
    h["x-amz-meta-late"] = "added after signing"
    st, r, body = raw(server, "GET", "/data/a.csv", h, signed=False)
    assert st == 403 and err_code(body) == "AccessDenied" and b"x-amz-meta-late" in body
    # the canonical URI is the path as sent: a differently-encoded path does not verify
    h = sign(server, "GET", "/data/p%2Bq%3Dr.csv")
    assert raw(server, "GET", "/data/p%2Bq%3Dr.csv", h, signed=False)[0] == 200
    st, r, body = raw(server, "GET", "/data/p+q=r.csv", h, signed=False)
    assert st == 403 and err_code(body) == "SignatureDoesNotMatch"
    # ... while query pairs are canonicalised (decoded, re-encoded, sorted)
    h = sign(server, "GET", "/data?list-type=2&prefix=dir%2F")
    assert raw(server, "GET", "/data?prefix=dir/&list-type=2", h, signed=False)[0] == 200


def test_credentials_rotation_and_session_token(root):
    p, port = start("fake_s3.py", "--root", str(root), "--access-key", AK, "--secret-key", SK,
                    "--session-token", "tok1")
    try:
        assert raw(port, "GET", "/data/a.csv", token="tok1")[0] == 200
        st, r, body = raw(port, "GET", "/data/a.csv", token="other")
        assert st == 400 and err_code(body) == "InvalidToken"
        control(port, "POST", "credentials", {"access_key": "ASIANEW", "secret_key": "new", "session_token": "tok2"})
        st, r, body = raw(port, "GET", "/data/a.csv", token="tok1")
        assert st == 400 and err_code(body) == "ExpiredToken"
        s3 = client(port, ak="ASIANEW", sk="new", token="tok2")
        assert s3.get_object(Bucket="data", Key="a.csv")["Body"].read() == b"contents of a.csv\n"
    finally:
        stop(p)


def test_max_keys_cap_and_v1_listing(root):
    p, port = start("fake_s3.py", "--root", str(root), "--access-key", AK, "--secret-key", SK, "--max-keys-cap", "2")
    try:
        s3 = client(port)
        pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="data"))
        assert [(p["KeyCount"], p["MaxKeys"]) for p in pages] == [(2, 1000), (2, 1000), (1, 1000)]
        assert [o["Key"] for p in pages for o in p["Contents"]] == DATA_KEYS
        pages = list(s3.get_paginator("list_objects").paginate(Bucket="data", Delimiter="/"))
        assert [o["Key"] for p in pages for o in p.get("Contents", [])] == [k for k in DATA_KEYS if "/" not in k]
        assert [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])] == ["dir/"]
    finally:
        stop(p)


def test_exit_on_stdin_eof(root):
    p, port = start("fake_s3.py", "--root", str(root), "--exit-on-stdin-eof")
    p.stdin.close()
    assert p.wait(5) == 0


# ---------------------------------------------------------------- faults


def faults(port, *rules):
    control(port, "POST", "faults", list(rules))


def test_fault_status_kinds(server):
    for kind, status, code in [("slowdown", 503, "SlowDown"), ("internal", 500, "InternalError"),
                               ("throttle", 429, "TooManyRequests"), ("expired_token", 400, "ExpiredToken")]:
        faults(server, {"kind": kind, "method": "GET", "key": "misc/*"})
        st, r, body = raw(server, "GET", "/misc/nums.csv")
        assert (st, err_code(body)) == (status, code), kind
        assert raw(server, "GET", "/misc/nums.csv")[0] == 200  # count 1: spent
    faults(server, {"kind": "error", "status": 503, "code": "ServiceUnavailable", "retry_after": 2, "count": 2})
    for _ in range(2):
        st, r, body = raw(server, "GET", "/misc/nums.csv")
        assert (st, err_code(body), r.getheader("Retry-After")) == (503, "ServiceUnavailable", "2")
    assert raw(server, "GET", "/misc/nums.csv")[0] == 200
    # method / key / list filters
    faults(server, {"kind": "internal", "method": "HEAD", "key": "data/a.csv"},
           {"kind": "slowdown", "list": True, "key": "data"})
    assert raw(server, "GET", "/data/a.csv")[0] == 200
    assert raw(server, "HEAD", "/misc/nums.csv")[0] == 200
    assert raw(server, "HEAD", "/data/a.csv")[0] == 500
    assert raw(server, "GET", "/misc?list-type=2")[0] == 200
    st, r, body = raw(server, "GET", "/data?list-type=2")
    assert (st, err_code(body)) == (503, "SlowDown")
    assert [e["fault"] for e in log(server)][-5:] == [None, None, "internal", None, "slowdown"]
    assert control(server, "GET", "faults") == []


def test_fault_ok_error_and_wrong_region_and_ignore_range(server):
    faults(server, {"kind": "ok_error"})
    st, r, body = raw(server, "GET", "/misc/nums.csv", {"Range": "bytes=0-9"})
    assert st == 200 and err_code(body) == "InternalError"
    faults(server, {"kind": "ignore_range"})
    st, r, body = raw(server, "GET", "/misc/nums.csv", {"Range": "bytes=0-9"})
    assert (st, body, r.getheader("Content-Range")) == (200, NUMS, None)
    faults(server, {"kind": "wrong_region", "region": "ap-south-1"})
    st, r, body = raw(server, "GET", "/misc/nums.csv")
    assert st == 400 and err_code(body) == "AuthorizationHeaderMalformed"
    assert ET.fromstring(body).findtext("Region") == "ap-south-1" == r.getheader("x-amz-bucket-region")
    faults(server, {"kind": "wrong_region", "list": True, "method": "HEAD"})
    st, r, _ = raw(server, "HEAD", "/misc")
    assert st == 301 and r.getheader("x-amz-bucket-region") == "eu-west-1"
    faults(server, {"kind": "delay", "seconds": 0.3})
    t = time.monotonic()
    assert raw(server, "GET", "/data/a.csv")[0] == 200 and time.monotonic() - t >= 0.3


def test_fault_truncate_stall_reset(server):
    faults(server, {"kind": "truncate", "after_bytes": 1000})
    c = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    c.request("GET", "/misc/nums.csv", headers=sign(server, "GET", "/misc/nums.csv"))
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Length") == str(len(NUMS))
    with pytest.raises(http.client.IncompleteRead) as e:
        r.read()
    assert e.value.partial == NUMS[:1000]
    c.close()
    faults(server, {"kind": "stall", "after_bytes": 10, "seconds": 0.4, "range_only": True})
    t = time.monotonic()
    st, r, body = raw(server, "GET", "/misc/nums.csv", {"Range": "bytes=0-4999"})
    assert (st, body) == (206, NUMS[:5000]) and time.monotonic() - t >= 0.4
    faults(server, {"kind": "stall", "after_bytes": 10, "seconds": 0.1, "close": True})
    with pytest.raises(http.client.IncompleteRead):
        raw(server, "GET", "/misc/nums.csv")
    faults(server, {"kind": "reset"})
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        raw(server, "GET", "/misc/nums.csv")
    faults(server, {"kind": "reset", "after_bytes": 100})
    with pytest.raises((ConnectionResetError, http.client.IncompleteRead)):
        raw(server, "GET", "/misc/nums.csv")
    assert raw(server, "GET", "/misc/nums.csv")[0] == 200
    # body faults with method "*" wait for a GET: a HEAD does not spend them
    faults(server, {"kind": "truncate", "after_bytes": 0})
    assert raw(server, "HEAD", "/misc/nums.csv")[0] == 200
    with pytest.raises(http.client.IncompleteRead):
        raw(server, "GET", "/misc/nums.csv")
    kinds = [(e["fault"], e["bytes"]) for e in log(server)]
    assert kinds[:2] == [("truncate", 1000), ("stall", 5000)]


def test_control_loopback_only_and_bad_rules(server):
    c = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    c.request("POST", "/__control/faults", body=json.dumps([{"kind": "nonsense"}]))
    r = c.getresponse()
    assert r.status == 400 and b"kinds" in r.read()


# ---------------------------------------------------------------- credential endpoints


@pytest.fixture
def cred_env(monkeypatch, tmp_path):
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    return monkeypatch


def test_imds(root, cred_env):
    p, port = start("fake_credentials.py", "--imds", "--access-key", "ASIAIMDS", "--secret-key", "imds-secret",
                    "--session-token", "imds-token", "--region", "eu-west-1")
    s3p, s3port = start("fake_s3.py", "--root", str(root), "--access-key", "ASIAIMDS", "--secret-key",
                        "imds-secret", "--session-token", "imds-token", "--bucket-region", "eu=eu-west-1")
    try:
        base = "http://127.0.0.1:%d" % port
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base + "/latest/meta-data/iam/security-credentials/", timeout=5)
        assert e.value.code == 401
        req = urllib.request.Request(base + "/latest/api/token", method="PUT",
                                     headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        tok = urllib.request.urlopen(req, timeout=5).read().decode()
        get = lambda path: urllib.request.urlopen(urllib.request.Request(  # noqa: E731
            base + path, headers={"X-aws-ec2-metadata-token": tok}), timeout=5).read().decode()
        role = get("/latest/meta-data/iam/security-credentials/")
        doc = json.loads(get("/latest/meta-data/iam/security-credentials/" + role))
        assert doc["Code"] == "Success" and doc["Type"] == "AWS-HMAC" and doc["Token"] == "imds-token"
        assert doc["Expiration"].endswith("Z") and get("/latest/meta-data/placement/region") == "eu-west-1"
        # botocore's own IMDS provider, then the credentials on fake S3
        cred_env.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", base + "/")
        sess = botocore.session.Session()
        c = sess.get_credentials().get_frozen_credentials()
        assert (c.access_key, c.secret_key, c.token) == ("ASIAIMDS", "imds-secret", "imds-token")
        s3 = client(s3port, region="eu-west-1", ak=c.access_key, sk=c.secret_key, token=c.token)
        assert s3.get_object(Bucket="eu", Key="e.csv")["Body"].read() == b"e\n2\n"
        # rotation
        control(port, "POST", "credentials", {"access_key": "ASIAROTATED"})
        assert json.loads(get("/latest/meta-data/iam/security-credentials/" + role))["AccessKeyId"] == "ASIAROTATED"
    finally:
        stop(p)
        stop(s3p)


def test_container(cred_env):
    p, port = start("fake_credentials.py", "--container", "--auth-token", "Bearer xyz", "--expires-in", "900")
    try:
        url = "http://127.0.0.1:%d/v2/credentials/fake" % port
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url, timeout=5)
        assert e.value.code == 401
        cred_env.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url)
        cred_env.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer xyz")
        c = botocore.session.Session().get_credentials()
        assert c.access_key == "AKIAIOSFODNN7EXAMPLE" and c.token
        entries = control(port, "GET", "log")
        assert entries[-1]["headers"]["authorization"] == "Bearer xyz" and entries[-1]["status"] == 200
    finally:
        stop(p)
