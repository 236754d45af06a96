#!/usr/bin/python3
"""Shuffles across hosts: the scheduler (and the client) on one host, a
worker on each of two more - network namespaces of this test's own on one
bridge (10.79.0.0/24).  Each shuffle moves rows between the workers over
their data ports, host to host: a shuffle merge's rows (how="outer"), a
groupby's split_out, a whole-frame sort and a shuffle merge's len() are
pandas' answers; and the merge is still exact when one worker host's link
is cut in the middle of it (the scheduler times the worker out and the
lost parts are made again on the other host).  What that host sends is
capped (tc's token bucket) so the query is still running when the cut
comes.

The files sit on the one filesystem every namespace shares (as an NFS
mount would on real hosts).  The client is Python (dusk.Client with the
address and token), run inside the scheduler's namespace.

Needs root, `ip netns` and `tc`; otherwise it says so and exits 77
(ctest's skip).  Every namespace, link and process is removed at the end.

  multihost_shuffle.py --bin BUILD/bin --work DIR"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from netns import Net, unusable  # noqa: E402
from testprocs import TIMEOUT, Failed, check, ready, stop_all  # noqa: E402,E501

HOSTS = {"sched": "10.79.0.1", "h1": "10.79.0.2", "h2": "10.79.0.3"}

# The client's queries: each prints "ok <what>" or raises.  argv: the
# scheduler's address, the token file, the two data files, the phase
# ("exact": every shuffle; "cut": the merge alone, for the cut).
CLIENT = r'''
import sys
import pandas as pd
import pandas.testing as pdt
import dusk
import dusk.dataframe as dd

address, token, f1, f2, phase = sys.argv[1:6]
with dusk.Client(address, token_file=token, timeout=30):
    a = dd.read_csv(f1, blocksize="64KB")
    b = dd.read_csv(f2, blocksize="64KB")
    pa, pb = pd.read_csv(f1), pd.read_csv(f2)
    on = ["PULocationID", "DOLocationID"]
    if phase == "cut":
        got = len(a.merge(b, on=on, broadcast=False))
        assert got == len(pa.merge(pb, on=on)), got
        print("ok the merge's len with a worker host cut:", got, flush=True)
        sys.exit(0)
    m = a[a.SR_Flag == 1].merge(b[["PULocationID", "DOLocationID",
                                   "hvfhs_license_num"]], on=on,
                                how="outer")
    want = pa[pa.SR_Flag == 1].merge(pb[["PULocationID", "DOLocationID",
                                         "hvfhs_license_num"]], on=on,
                                     how="outer")
    pdt.assert_frame_equal(m.compute(), want)
    pdt.assert_frame_equal(m.tail(25), want.tail(25))
    print("ok an outer merge's rows in pandas' order:", len(want),
          flush=True)
    got = a.groupby(on).dispatching_base_num.count(split_out=4).compute()
    pdt.assert_series_equal(got, pa.groupby(on).dispatching_base_num.count())
    print("ok a groupby's split_out=4:", len(got), "groups", flush=True)
    cols = ["DOLocationID", "pickup_datetime", "PULocationID"]
    got = a[cols].sort_values(cols[:2]).compute()
    pdt.assert_frame_equal(got, pa[cols].sort_values(cols[:2]))
    print("ok a whole-frame sort:", len(got), "rows", flush=True)
    got = len(a.merge(b, on=on, broadcast=False))
    assert got == len(pa.merge(pb, on=on)), got
    print("ok a shuffle merge's len:", got, flush=True)
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    why = unusable(("ip", "tc"))
    if why is not None:
        print(f"SKIP: {why} (three hosts in network namespaces)")
        return 77
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    files = []
    for month, rows in ((2, 30000), (3, 24000)):
        path = os.path.join(a.work, f"fhv_{month}.csv")
        subprocess.run([os.path.join(a.bin, "dusk-gen-fhv"), path, str(rows),
                        "--seed", str(month), "--month", str(month)],
                       check=True, capture_output=True)
        files.append(path)
    client_py = os.path.join(a.work, "client.py")
    with open(client_py, "w") as f:
        f.write(CLIENT)
    token = os.path.join(a.work, "token")
    with open(os.open(token, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(os.urandom(16).hex())
    env = dict(os.environ, PYTHONPATH=os.path.join(a.bin, "..", "python"))
    net = Net(HOSTS, "dsh")
    procs = []
    log = open(os.path.join(a.work, "daemons.log"), "ab")
    try:
        net.up()
        r, w = os.pipe()
        sched = subprocess.Popen(net.ns_of("sched") + [
            os.path.join(a.bin, "dusk-scheduler"), "--host", HOSTS["sched"],
            "--port", "0", "--token-file", token, "--ready-fd", str(w),
            "--worker-timeout-ms", "1500", "--heartbeat-ms", "100",
            "--log-level", "warn"], pass_fds=(w,),
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
                str(w), "--log-level", "warn"], pass_fds=(w,),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            os.close(w)
            procs.append(wp)
            ready(wp, r, f"dusk-worker on {host}")
            os.close(r)

        def client(phase):
            return subprocess.Popen(
                net.ns_of("sched") + [sys.executable, client_py, address,
                                      token, *files, phase],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)

        def scanned():
            """Each worker host's bytes scanned, by its address's host."""
            out = subprocess.run(
                net.ns_of("sched") + [os.path.join(a.bin, "dusk"), "stats",
                                      "--scheduler", address,
                                      "--token-file", token],
                capture_output=True, text=True, timeout=TIMEOUT, check=True)
            return {w["addr"].split(":")[0]: w["bytes_scanned"]
                    for w in json.loads(out.stdout)["worker_list"]}

        # 1. Every shuffle across the hosts, against pandas.
        c = client("exact")
        out, err = c.communicate(timeout=4 * TIMEOUT)
        print(out, end="")
        check(c.returncode == 0, f"the queries across hosts: {err[-3000:]}")
        check(out.count("ok ") == 4, f"four queries: {out!r}")
        seen = scanned()
        check(all(seen.get(HOSTS[h], 0) > 0 for h in ("h1", "h2")),
              f"both worker hosts scanned: {seen}")

        # 2. h2's link cut while the merge runs: slowed so it is still
        # running once h2 has scanned its first ranges for it.
        before = scanned().get(HOSTS["h2"], 0)
        net.slow("h2", "2mbit")
        c = client("cut")
        deadline = time.monotonic() + TIMEOUT
        while scanned().get(HOSTS["h2"], 0) == before:
            check(time.monotonic() < deadline and c.poll() is None,
                  "h2 scanned nothing before the merge ended")
            time.sleep(0.05)
        check(c.poll() is None, "the merge ended before the cut")
        net.cut("h2")
        out, err = c.communicate(timeout=4 * TIMEOUT)
        print(out, end="")
        check(c.returncode == 0, f"the merge with h2 cut: {err[-3000:]}")
        print("ok h2's link cut mid-shuffle: the merge is still exact")
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
