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
        hp, sp = free_port(), free_port()
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
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  server {{ listen 127.0.0.1:{hp}; root {site}; }}
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
    yield f"http://127.0.0.1:{hp}", f"https://127.0.0.1:{sp}", d
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


@pytest.fixture(scope="module")
def client(cert):
    # The daemons inherit this: they trust the test certificate.
    os.environ["DUSK_CA_BUNDLE"] = str(cert / "cert.pem")
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


def test_plain_server_without_ranges(client, plain, site):
    """A server that ignores Range is read as one range, as pandas would
    read it, and gives pandas' answer."""
    check_queries(plain + "/trips.csv", site / "trips.csv", "64KB")


def test_http_errors_name_the_url(client, nginx):
    with pytest.raises(Exception, match=r"missing\.csv.*not found"):
        dd.read_csv(nginx[0] + "/missing.csv").head()
    with pytest.raises(Exception, match=r"127\.0\.0\.1:\d+/: HEAD: HTTP status 403"):
        dd.read_csv(nginx[0] + "/").head()
