#!/usr/bin/python3
"""A cluster over four hosts reads S3: the scheduler (and the client) on
one, a worker on each of two more, the fake S3 on a fourth - network
namespaces of this test's own on one bridge (10.78.0.0/24), nothing in
the machine's own namespace but the bridge's.  A query over S3 across the
hosts gives pandas' answer, and still does when one worker host's link is
cut in the middle of it (the scheduler times the worker out and reruns
its tasks on the other).

Needs root and `ip netns`; otherwise it says so and exits 77 (ctest's
skip).  Every namespace, link and process is removed at the end.

  multihost_s3.py --bin BUILD/bin --work DIR"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from netns import Net, unusable  # noqa: E402
from testprocs import TIMEOUT, Failed, check, ready, stop_all  # noqa: E402,E501

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_S3 = os.path.join(HERE, "..", "s3", "fake_s3.py")
AK, SK = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
HOSTS = {"sched": "10.78.0.1", "h1": "10.78.0.2", "h2": "10.78.0.3",
         "s3": "10.78.0.4"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    why = unusable()
    if why is not None:
        print(f"SKIP: {why} (four hosts in network namespaces)")
        return 77
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(os.path.join(a.work, "root", "bkt"))
    data = os.path.join(a.work, "root", "bkt", "trips.csv")
    subprocess.run([os.path.join(a.bin, "dusk-gen-fhv"), data, "40000",
                    "--seed", "9", "--quoted"], check=True,
                   capture_output=True)
    want = pd.read_csv(data).groupby("PULocationID").size()
    token = os.path.join(a.work, "token")
    with open(os.open(token, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(os.urandom(16).hex())
    net = Net(HOSTS, "dmh")
    procs = []
    log = open(os.path.join(a.work, "daemons.log"), "ab")
    try:
        net.up()
        # The fake S3 on its host (all addresses: the test reaches its
        # control API from inside, over loopback).
        r, w = os.pipe()
        s3 = subprocess.Popen(net.ns_of("s3") + [
            sys.executable, FAKE_S3, "--root", os.path.join(a.work, "root"),
            "--host", "0.0.0.0", "--port", "0", "--exit-on-stdin-eof"],
            stdin=subprocess.PIPE, stdout=w, stderr=log)
        os.close(w)
        procs.append(s3)
        s3_port = ready(s3, r, "fake_s3")
        os.close(r)
        env = dict(os.environ, AWS_ENDPOINT_URL=f"http://{HOSTS['s3']}:"
                   f"{s3_port}", AWS_ACCESS_KEY_ID=AK,
                   AWS_SECRET_ACCESS_KEY=SK, AWS_REGION="us-east-1",
                   DUSK_HTTP_STALL_MS="2000")

        def control(path, body=None, method="GET"):
            code = ("import json,sys,urllib.request as u;"
                    f"q=u.Request('http://127.0.0.1:{s3_port}/__control/"
                    f"{path}',data=sys.stdin.buffer.read() or None,"
                    f"method='{method}');"
                    "print(u.urlopen(q,timeout=10).read().decode())")
            out = subprocess.run(net.ns_of("s3") + [sys.executable, "-c",
                                                    code],
                                 input=json.dumps(body).encode()
                                 if body is not None else b"",
                                 capture_output=True, check=True).stdout
            return json.loads(out or b"null")

        r, w = os.pipe()
        sched = subprocess.Popen(net.ns_of("sched") + [
            os.path.join(a.bin, "dusk-scheduler"), "--host", HOSTS["sched"],
            "--port", "0", "--token-file", token, "--ready-fd", str(w),
            "--worker-timeout-ms", "1500", "--log-level", "warn"],
            pass_fds=(w,), env=env,  # it lists the bucket: credentials too
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(w)
        procs.append(sched)
        port = ready(sched, r, "dusk-scheduler")
        os.close(r)
        address = f"tcp://{HOSTS['sched']}:{port}"
        for host in ("h1", "h2"):
            r, w = os.pipe()
            wp = subprocess.Popen(net.ns_of(host) + [
                os.path.join(a.bin, "dusk-worker"), address, "--token-file",
                token, "--host", HOSTS[host], "--name", host, "--ready-fd",
                str(w), "--log-level", "warn"], pass_fds=(w,), env=env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            os.close(w)
            procs.append(wp)
            ready(wp, r, f"dusk-worker on {host}")
            os.close(r)

        def query(background=False):
            cmd = net.ns_of("sched") + [
                os.path.join(a.bin, "dusk"), "query", "--scheduler", address,
                "--token-file", token, "--format", "csv",
                'read_csv("s3://bkt/trips.csv", blocksize="128KB")'
                '.groupby("PULocationID").size()']
            if background:
                return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
            return subprocess.run(cmd, env=env, capture_output=True,
                                  text=True, timeout=TIMEOUT)

        def exact(out, what):
            lines = out.strip().splitlines()[1:]
            got = {float(k): int(v) for k, v in (x.split(",") for x in lines)}
            check(got == {float(k): int(v) for k, v in want.items()},
                  f"{what}: not pandas' answer")

        # 1. Across hosts, exact; both workers read from S3 themselves.
        res = query()
        check(res.returncode == 0, f"query failed: {res.stderr}")
        exact(res.stdout, "across hosts")
        peers = {e["conn"].split(":")[0] for e in control("log")
                 if e["path"].startswith("/bkt/")}
        check({HOSTS["h1"], HOSTS["h2"]} <= peers,
              f"both workers read from S3: {peers}")
        print("ok query over S3 across hosts is exact; S3 saw", sorted(peers))

        # 2. h2's link cut mid-query: every GET is slowed so the query is
        # still running when h2 has read something.
        control("log", method="DELETE")
        control("faults", [{"kind": "delay", "seconds": 0.15, "count": -1,
                            "key": "bkt/trips.csv", "range_only": True}],
                method="POST")
        bg = query(background=True)
        deadline = time.monotonic() + TIMEOUT
        while not any(e["conn"].startswith(HOSTS["h2"] + ":")
                      for e in control("log")):
            check(time.monotonic() < deadline and bg.poll() is None,
                  "h2 never read before the query ended")
            time.sleep(0.05)
        net.cut("h2")
        out, err = bg.communicate(timeout=TIMEOUT)
        check(bg.returncode == 0, f"query with h2 cut failed: {err}")
        exact(out, "with h2's link cut mid-query")
        print("ok h2's link cut mid-query: the answer is still exact")
        control("faults", method="DELETE")
        return 0
    except Failed as e:
        print(f"FAIL {e}")
        return 1
    finally:
        stop_all(procs)
        log.close()
        net.down()


if __name__ == "__main__":
    sys.exit(main())
