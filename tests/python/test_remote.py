"""read_csv over HTTP(S) and S3, compared with pandas on the same local
file: nginx (Debian's nginx-light, with Range, over http and over https
with a self-signed certificate), a plain server that ignores Range
(Python's http.server), and the fake S3 of tests/s3/fake_s3.py (SigV4
checked, listings paged, faults injected).

Every server is started here on loopback and stopped by its process id;
each one is ready when it answers (nginx, http.server) or says READY
(fake S3), never after a sleep.  The workers trust the test certificate
through DUSK_CA_BUNDLE, set before the cluster starts."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pandas as pd
import pytest

import dusk
import dusk.dataframe as dd
from conftest import BIN, SCALE

HERE = os.path.dirname(os.path.abspath(__file__))
NGINX = "/usr/sbin/nginx"


def free_port():
    """A port free now (nginx cannot be told to pick one itself); the
    server's start is retried if another process takes it meanwhile."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, seconds=20, context=None):
    """Polls url until it answers (any HTTP status) or proc exits."""
    deadline = time.monotonic() + seconds * SCALE
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=2, context=context)
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not answer within {seconds * SCALE} s")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The served folder: a taxi-shaped file with quoted newlines and
    nulls, and a small one."""
    d = tmp_path_factory.mktemp("site")
    subprocess.run([os.path.join(BIN, "dusk-gen-fhv"), str(d / "trips.csv"),
                    "60000", "--seed", "3", "--quoted"], check=True)
    with open(d / "small.csv", "w") as f:
        f.write("k,v,t\n")
        for i in range(500):
            f.write(f"{i % 7},{'' if i % 11 == 0 else i * 0.5},\"t{i}\"\n")
    return d


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", str(d / "key.pem"), "-out",
                    str(d / "cert.pem"), "-days", "2", "-subj",
                    "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return d


@pytest.fixture(scope="module")
def nginx(site, cert, tmp_path_factory):
    """nginx serving site over http and https; yields (http, https) base
    URLs."""
    if not os.path.exists(NGINX):
        pytest.skip("nginx-light is not installed (run.sh installs it)")
    d = tmp_path_factory.mktemp("nginx")
    for attempt in range(5):
        hp, sp, np = free_port(), free_port(), free_port()
        conf = d / "nginx.conf"
        # As root, nginx's workers would switch to www-data, which cannot
        # read pytest's private temporary folders.
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 256; }}
http {{
  access_log {d}/access.log;
  log_format pins '$request_uri $status ius=[$http_if_unmodified_since] '
                  'im=[$http_if_match]';
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  server {{ listen 127.0.0.1:{hp}; root {site}; }}
  server {{ listen 127.0.0.1:{np}; root {site}; etag off;
           access_log {d}/pins.log pins; }}
  server {{
    listen 127.0.0.1:{sp} ssl;
    ssl_certificate {cert}/cert.pem;
    ssl_certificate_key {cert}/key.pem;
    root {site};
  }}
}}
""")
        proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(d)],
                                stderr=subprocess.PIPE)
        if wait_http(f"http://127.0.0.1:{hp}/small.csv", proc):
            break
        stop(proc)  # a port was taken meanwhile: try others
    else:
        raise AssertionError("nginx did not start")
    yield (f"http://127.0.0.1:{hp}", f"https://127.0.0.1:{sp}", d,
           f"http://127.0.0.1:{np}")
    stop(proc)


@pytest.fixture(scope="module")
def plain(site):
    """Python's http.server: no Range support, no Accept-Ranges."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port),
                             "--bind", "127.0.0.1", "--directory",
                             str(site)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/small.csv", proc)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


FAKE_S3 = os.path.join(HERE, "..", "s3", "fake_s3.py")
AK, SK = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture(scope="module")
def s3(site, tmp_path_factory):
    """The fake S3 over a root of buckets: "bkt" (private; trips.csv, and
    dir/ with three files whose names need encoding), "pub" (anonymous
    reads) and "eu" (in eu-west-1).  Listings come two keys a page.
    Yields (endpoint, root, control(path, body=None))."""
    root = tmp_path_factory.mktemp("s3root")
    for b in ("bkt/dir", "pub", "eu"):
        (root / b).mkdir(parents=True)
    shutil.copy(site / "trips.csv", root / "bkt" / "trips.csv")
    shutil.copy(site / "trips.csv", root / "pub" / "trips.csv")
    shutil.copy(site / "trips.csv", root / "eu" / "trips.csv")
    lines = (site / "trips.csv").read_text().splitlines(keepends=True)
    for i, name in enumerate(["a.csv", "b c+d.csv", "\u00e9t\u00e9.csv"]):
        (root / "bkt" / "dir" / name).write_text(
            lines[0] + "".join(lines[1 + i * 5000:1 + (i + 1) * 5000]))
    (root / "bkt" / "dir" / "notes.txt").write_text("not a csv\n")
    # keys XML 1.0 cannot carry (a control byte), or must escape
    (root / "bkt" / "odd").mkdir()
    for i, name in enumerate(["a\x01b.csv", "c&d <e>.csv", "f+g h%41.csv"]):
        (root / "bkt" / "odd" / name).write_text(f"k,v\n{i},{i * 10}\n"
                                                 f"{i + 1},{i}\n")
    proc = subprocess.Popen(
        [sys.executable, FAKE_S3, "--root", str(root), "--port", "0",
         "--anon-bucket", "pub", "--bucket-region", "eu=eu-west-1",
         "--max-keys-cap", "2", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # the READY handshake
    assert line.startswith("READY "), line
    endpoint = f"http://127.0.0.1:{line.split()[1]}"

    def control(path, body=None, method=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(endpoint + "/__control/" + path,
                                     data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    yield endpoint, root, control
    proc.stdin.close()
    stop(proc)


@pytest.fixture(scope="module")
def client(cert, s3):
    # The daemons inherit the environment: they trust the test certificate,
    # reach the fake S3 with its example keys, and give up on a stalled
    # transfer after 1.5 s (30 s by default) with short backoffs.
    env = {"DUSK_CA_BUNDLE": str(cert / "cert.pem"),
           "AWS_ENDPOINT_URL": s3[0], "AWS_ACCESS_KEY_ID": AK,
           "AWS_SECRET_ACCESS_KEY": SK, "AWS_REGION": "us-east-1",
           "DUSK_HTTP_STALL_MS": "1500", "DUSK_HTTP_BACKOFF_MS": "10"}
    for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL_S3",
              "AWS_DEFAULT_REGION"):
        os.environ.pop(k, None)
    os.environ.update(env)
    with dusk.LocalCluster(n_workers=2) as cl, dusk.Client(cl) as c:
        yield c


def same(a, b):
    pd.testing.assert_frame_equal(a.reset_index(drop=True),
                                  b.reset_index(drop=True),
                                  check_dtype=True)


QUERIES = [
    ("groupby size", lambda d: d.groupby("PULocationID").size()),
    ("filter mean", lambda d: d[d.DOLocationID > 100].groupby(
        "hvfhs_license_num").PULocationID.mean()),
    ("count", lambda d: d.count()),
    ("head", lambda d: d.head(7)),
]


def check_queries(url, local, blocksize):
    pdf = pd.read_csv(local)
    for name, q in QUERIES:
        got = q(dd.read_csv(url, blocksize=blocksize))
        got = got.compute() if hasattr(got, "compute") else got
        want = q(pdf)
        if isinstance(want, pd.Series):
            pd.testing.assert_series_equal(got, want, check_names=False,
                                           obj=name)
        else:
            same(got, want)


@pytest.mark.parametrize("blocksize", ["64KB", "default"])
def test_http_parity(client, nginx, site, blocksize):
    check_queries(nginx[0] + "/trips.csv", site / "trips.csv", blocksize)


def test_https_parity(client, nginx, site):
    check_queries(nginx[1] + "/trips.csv", site / "trips.csv", "64KB")


def test_http_reads_ranges_not_the_whole_file(client, nginx, site):
    """Each scan asks for its own byte range: the bytes served add up to
    about the file once (plus the header, the sample and the short reads
    past each range's end), never once per partition."""
    log = nginx[2] / "access.log"
    before = log.stat().st_size
    size = (site / "trips.csv").stat().st_size
    dd.read_csv(nginx[0] + "/trips.csv", blocksize="256KB").groupby(
        "PULocationID").size().compute()
    lines = log.read_text()[before:].splitlines()
    gets = [ln for ln in lines if '"GET /trips.csv' in ln]
    sent = sum(int(ln.split('" ')[1].split()[1]) for ln in gets)
    statuses = {ln.split('" ')[1].split()[0] for ln in gets}
    assert statuses == {"206"}, statuses
    assert len(gets) >= size // (256 << 10)
    assert sent < 2 * size, (sent, size)


def test_http_without_etag_pins_last_modified(client, nginx, site):
    """A server that gives no ETag (nginx with etag off) has every ranged
    GET pinned with If-Unmodified-Since, the Last-Modified it listed."""
    check_queries(nginx[3] + "/trips.csv", site / "trips.csv", "256KB")
    lines = [ln for ln in (nginx[2] / "pins.log").read_text().splitlines()
             if ln.startswith("/trips.csv 206")]
    # (nginx logs an absent header as "-")
    assert lines and all("ius=[-]" not in ln and "im=[-]" in ln
                         for ln in lines), lines[:3]


def test_plain_server_without_ranges(client, plain, site):
    """A server that ignores Range is read as one range, as pandas would
    read it, and gives pandas' answer."""
    check_queries(plain + "/trips.csv", site / "trips.csv", "64KB")


def test_http_errors_name_the_url(client, nginx):
    with pytest.raises(Exception, match=r"missing\.csv.*not found"):
        dd.read_csv(nginx[0] + "/missing.csv").head()
    with pytest.raises(Exception, match=r"127\.0\.0\.1:\d+/: HEAD: HTTP status 403"):
        dd.read_csv(nginx[0] + "/").head()


# ---- S3 ---------------------------------------------------------------------


def s3_log(control):
    return [e for e in control("log") if not e["path"].startswith("/__")]


@pytest.mark.parametrize("blocksize", ["64KB", "default"])
def test_s3_parity(client, s3, site, blocksize):
    check_queries("s3://bkt/trips.csv", site / "trips.csv", blocksize)


def test_s3_glob_lists_pages_and_pins_versions(client, s3):
    """A glob lists the bucket page by page (two keys a page here, with
    continuation tokens that need encoding), matches as glob(3) does (not
    notes.txt), reads keys that need encoding, asks no HEAD per object, and
    pins every ranged GET to the listed ETag."""
    endpoint, root, control = s3
    control("log", method="DELETE")
    got = dd.read_csv("s3://bkt/dir/*.csv", blocksize="64KB").groupby(
        "PULocationID").size().compute()
    files = sorted((root / "bkt" / "dir").glob("*.csv"))
    want = pd.concat([pd.read_csv(f) for f in files]).groupby(
        "PULocationID").size()
    pd.testing.assert_series_equal(got, want, check_names=False)
    log = s3_log(control)
    lists = [e for e in log if e["params"].get("list-type") == "2"]
    # four keys (with notes.txt), two a page
    assert len(lists) == 2 and all(e["status"] == 200 for e in lists)
    assert lists[1]["params"].get("continuation-token")
    objects = [e for e in log if e["path"].startswith("/bkt/dir/")]
    assert not [e for e in objects if e["method"] == "HEAD"]
    assert objects and all(e["method"] == "GET" and e["range"] and
                           e["headers"].get("if-match") for e in objects)
    assert {e["status"] for e in objects} == {206}


def test_s3_keys_of_any_bytes(client, s3):
    """Listings ask for url-encoded keys (encoding-type=url), so a key
    holding a byte XML cannot carry, or '&', '<', '+', '%', is listed,
    matched and read as itself."""
    _, root, control = s3
    control("faults", method="DELETE")
    files = sorted((root / "bkt" / "odd").iterdir())
    want = pd.concat([pd.read_csv(f) for f in files])
    got = dd.read_csv("s3://bkt/odd/*.csv").compute()
    pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                  want.reset_index(drop=True))


def test_s3_anonymous_and_region(client, s3, site):
    check_queries("s3://pub/trips.csv", site / "trips.csv", "64KB")
    got = dd.read_csv("s3://pub/trips.csv", storage_options={"anon": True},
                      blocksize="64KB").groupby("PULocationID").size()
    want = pd.read_csv(site / "trips.csv").groupby("PULocationID").size()
    pd.testing.assert_series_equal(got.compute(), want, check_names=False)
    # eu is in eu-west-1 while the daemons say us-east-1: the scheduler
    # and each worker's streams sign again for the region S3 names.
    check_queries("s3://eu/trips.csv", site / "trips.csv", "64KB")


@pytest.mark.parametrize("fault", [
    {"kind": "slowdown", "count": 3},
    {"kind": "internal", "count": 2},
    {"kind": "throttle", "count": 2},
    {"kind": "truncate", "after_bytes": 5000, "count": 2},
    {"kind": "reset", "after_bytes": 3000, "count": 2},
    {"kind": "reset", "count": 1},
    {"kind": "stall", "after_bytes": 2000, "seconds": 4, "close": True,
     "count": 1},
    {"kind": "expired_token", "count": 1},
])
def test_s3_faults_are_retried_exactly(client, s3, site, fault):
    """Each fault hits ranged GETs of the object; the scans retry from the
    last byte received and the answer is still pandas'."""
    _, _, control = s3
    control("faults", method="DELETE")
    control("log", method="DELETE")
    control("faults", [dict(fault, method="GET", key="bkt/trips.csv",
                            range_only=True)])
    check_queries("s3://bkt/trips.csv", site / "trips.csv", "256KB")
    assert control("faults") == []  # every fault was met
    # The server logs a request as its response ends, which for a stall
    # comes after the client has given up on it.
    deadline = time.monotonic() + 15 * SCALE
    while True:
        hit = [e for e in s3_log(control) if e["fault"] == fault["kind"]]
        if len(hit) >= fault["count"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(hit) == fault["count"], hit


def test_s3_prefetch_streams_the_next_range_early(client, s3, site):
    """A worker given a scan while another runs starts its GET at once: with
    every GET answered 0.3 s late, more streams are in flight than the two
    workers run scans (each scan streams one at a time), and the answers
    are still pandas'."""
    _, _, control = s3
    control("faults", method="DELETE")
    control("log", method="DELETE")
    control("faults", [{"kind": "delay", "seconds": 0.3, "count": -1,
                        "key": "bkt/trips.csv", "range_only": True}])
    check_queries("s3://bkt/trips.csv", site / "trips.csv", "256KB")
    control("faults", method="DELETE")
    gets = [e for e in s3_log(control)
            if e["path"] == "/bkt/trips.csv" and e["method"] == "GET"]
    events = sorted([(e["time"], 1) for e in gets] +
                    [(e["end"], -1) for e in gets])
    most = now = 0
    for _, d in events:
        now += d
        most = max(most, now)
    assert most > 2, f"at most {most} GETs in flight"


def test_s3_listing_faults(client, s3):
    """A listing answered 503, or 200 with an error document, is asked
    again."""
    _, root, control = s3
    control("faults", method="DELETE")
    control("faults", [{"kind": "ok_error", "list": True, "key": "bkt"},
                       {"kind": "slowdown", "list": True, "key": "bkt"}])
    n = len(dd.read_csv("s3://bkt/dir/*.csv"))
    assert n == sum(len(pd.read_csv(f))
                    for f in (root / "bkt" / "dir").glob("*.csv"))
    assert control("faults") == []


def test_s3_refusals_name_the_object(client, s3):
    _, _, control = s3
    control("faults", method="DELETE")
    with pytest.raises(Exception, match=r"s3://bkt/missing\.csv: not found"):
        dd.read_csv("s3://bkt/missing.csv").head()
    with pytest.raises(Exception, match=r"no such bucket 'nobucket'"):
        dd.read_csv("s3://nobucket/*.csv").head()
    with pytest.raises(Exception, match="no files match 's3://bkt/dir/z"):
        dd.read_csv("s3://bkt/dir/z*.csv").head()
    with pytest.raises(Exception, match="names a prefix"):
        dd.read_csv("s3://bkt/dir/").head()
    with pytest.raises(Exception, match="anon=True sends no credentials"):
        dd.read_csv("s3://bkt/trips.csv",
                    storage_options={"anon": True}).head()
    # A server that says it serves ranges but sends the whole object.
    control("faults", [{"kind": "ignore_range", "key": "bkt/trips.csv",
                        "count": -1}])
    with pytest.raises(Exception, match=r"whole object \(200\)"):
        dd.read_csv("s3://bkt/trips.csv", blocksize="256KB").PULocationID.sum(
            ).compute()
    control("faults", method="DELETE")
    # The scheduler may list it, a worker may not read it: the error names
    # the worker and its host.
    control("faults", [{"kind": "error", "status": 403,
                        "code": "AccessDenied", "key": "bkt/trips.csv",
                        "from_offset": 1 << 20, "count": -1}])
    with pytest.raises(Exception, match=r"403 AccessDenied.*\(on worker "
                       r"\S+, host \S+\)"):
        dd.read_csv("s3://bkt/trips.csv", blocksize="256KB").PULocationID.sum(
            ).compute()
    control("faults", method="DELETE")
    # The object changed after it was listed: If-Match fails.
    control("faults", [{"kind": "error", "status": 412,
                        "code": "PreconditionFailed", "key": "bkt/trips.csv",
                        "range_only": True, "count": -1}])
    with pytest.raises(Exception, match="changed during the query"):
        dd.read_csv("s3://bkt/trips.csv", blocksize="256KB").PULocationID.sum(
            ).compute()
    control("faults", method="DELETE")
