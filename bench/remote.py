#!/usr/bin/python3
"""read_csv where the data lives: the same groupby count over one file read
from the local disk, from the fake S3 (tests/s3/fake_s3.py, signed
requests, on loopback) and from nginx over http, side by side in one run.

  /usr/bin/python3 bench/remote.py --build build-release --file data/fhv_1x.csv
      [--runs 5] [--query 'groupby("PULocationID").size()']

Each run is `dusk query --workers 2` (its own LocalCluster); wall time and
the process tree's peak RSS are measured from outside (the servers are
not in the tree).  Medians are printed with the ratio to the local read;
every answer is checked against the local one.  On one 2-core machine the
server shares the cores with the two workers, so the ratio is an upper
bound of what a separate store (S3 itself) costs.  Numbers only, never
assertions."""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from memory import run_sampled  # noqa: E402

FAKE_S3 = os.path.join(HERE, "..", "tests", "s3", "fake_s3.py")
AK, SK = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_s3(root):
    p = subprocess.Popen([sys.executable, FAKE_S3, "--root", root, "--port",
                          "0", "--exit-on-stdin-eof"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("READY "):
        sys.exit("fake_s3 did not start")
    return p, f"http://127.0.0.1:{line.split()[1]}"


def start_nginx(root, work):
    port = free_port()
    conf = os.path.join(work, "nginx.conf")
    user = "user root;" if os.geteuid() == 0 else ""
    with open(conf, "w") as f:
        f.write(f"""{user}
daemon off; worker_processes 1; pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 64; }}
http {{ access_log off; sendfile on;
  client_body_temp_path {work}/b; proxy_temp_path {work}/p;
  fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}
""")
    p = subprocess.Popen(["/usr/sbin/nginx", "-c", conf, "-p", work])
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):  # until it answers (it binds a port we chose)
        try:
            urllib.request.urlopen(url + "/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.025)
    return p, url


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--file", default="data/fhv_1x.csv")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--query", default='groupby("PULocationID").size()')
    a = ap.parse_args()
    dusk = os.path.join(a.build, "bin", "dusk")
    path = os.path.abspath(a.file)
    size = os.path.getsize(path)
    work = tempfile.mkdtemp(prefix="dusk-remote-bench-")
    root = os.path.join(work, "root")
    os.makedirs(os.path.join(root, "b"))
    os.symlink(path, os.path.join(root, "b", "f.csv"))
    s3, endpoint = start_s3(root)
    ngx, nurl = start_nginx(os.path.join(root, "b"), work)
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID=AK,
               AWS_SECRET_ACCESS_KEY=SK, AWS_REGION="us-east-1")
    sources = [("local", path), ("s3", "s3://b/f.csv"),
               ("http", nurl + "/f.csv")]
    times = {k: [] for k, _ in sources}
    mem = {k: [] for k, _ in sources}
    answers = {}
    try:
        for r in range(a.runs):
            for name, src in sources:  # interleaved: noise hits all alike
                q = f'read_csv("{src}").{a.query}'
                wall, peak, _, out, rc = run_sampled(
                    [dusk, "query", "--workers", "2", "--format", "csv", q],
                    env=env)
                if rc != 0:
                    sys.exit(f"{name}: dusk failed")
                times[name].append(wall)
                mem[name].append(peak)
                answers.setdefault(name, out)
    finally:
        s3.stdin.close()
        for p in (s3, ngx):
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)
    print(f"file: {path} ({size / 1e9:.2f} GB), query: {a.query}, "
          f"{a.runs} runs each, interleaved")
    base = statistics.median(times["local"])
    print(f"{'source':8} {'median s':>9} {'min s':>7} {'GB/s':>6} "
          f"{'x local':>8} {'peak MiB':>9}  same answer")
    for name, _ in sources:
        med = statistics.median(times[name])
        print(f"{name:8} {med:9.2f} {min(times[name]):7.2f} "
              f"{size / 1e9 / med:6.2f} {med / base:8.2f} "
              f"{statistics.median(mem[name]):9.0f}  "
              f"{answers[name] == answers['local']}")


if __name__ == "__main__":
    main()
