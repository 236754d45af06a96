#!/usr/bin/python3
"""The cost of losing a worker mid-query.

  bench/recovery.py --bin BUILD/bin --file FHV.csv [--runs 5] [--at 0.3,0.6]

Runs groupby("PULocationID").count() over FILE on one running 2-worker
cluster (`dusk local`), first undisturbed, then with one worker SIGKILLed
at each given fraction of the undisturbed time.  Reports the medians, the
extra time each kill cost, and what redoing the lost work alone would cost
(the killed worker's in-flight partitions, estimated as
partitions_in_flight x the time of one partition), and checks every answer
equals the undisturbed one.  Anchor from the issue: Dask took 21.8 s and
25.4 s against 17.7 s undisturbed for kills at 6 s and 14 s.
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--at", default="0.3,0.6")
    a = ap.parse_args()
    dusk = os.path.join(a.bin, "dusk")
    local = subprocess.Popen([dusk, "local", "--workers", "2"],
                             stdout=subprocess.PIPE, text=True)
    info = {}
    for line in local.stdout:
        k, _, v = line.strip().partition(" ")
        info[k] = v
        if k == "token-file":
            break
    expr = f'read_csv("{a.file}").groupby("PULocationID").count()'
    base = [dusk, "query", "--scheduler", info["scheduler"], "--token-file",
            info["token-file"], "--format", "csv", expr]

    def worker_pids():
        # The nanny is the dusk-worker child of `dusk local`; workers are
        # its children.
        out = subprocess.run(["ps", "-eo", "pid,ppid,comm"],
                             capture_output=True, text=True).stdout
        rows = [l.split() for l in out.splitlines()[1:]]
        nanny = [int(p) for p, pp, c in rows
                 if int(pp) == local.pid and c == "dusk-worker"]
        return [int(p) for p, pp, c in rows
                if nanny and int(pp) == nanny[0] and c == "dusk-worker"]

    def run(kill_after=None):
        killed = []
        if kill_after is not None:
            def killer():
                time.sleep(kill_after)
                pids = worker_pids()
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
            th = threading.Thread(target=killer)
            th.start()
        t0 = time.perf_counter()
        r = subprocess.run(base, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if kill_after is not None:
            th.join()
        if r.returncode != 0:
            sys.exit(f"query failed: {r.stderr[-500:]}")
        return wall, r.stdout, bool(killed)

    def wait_two_workers():
        deadline = time.monotonic() + 30
        while len(worker_pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)

    try:
        run()  # warm the page cache
        undisturbed = [run() for _ in range(a.runs)]
        ref = undisturbed[0][1]
        med = statistics.median(w for w, _, _ in undisturbed)
        size = os.path.getsize(a.file)
        parts = max(1, -(-size // (64 << 20)))
        per_part = med * 2 / parts  # two workers share the partitions
        print(f"undisturbed: median {med:.3f} s over {a.runs} runs "
              f"({parts} partitions, ~{per_part * 1000:.0f} ms each)")
        for frac in [float(x) for x in a.at.split(",")]:
            walls, same = [], True
            for _ in range(a.runs):
                wait_two_workers()
                w, out, killed = run(kill_after=med * frac)
                walls.append(w)
                same &= out == ref
            dm = statistics.median(walls)
            # A worker holds its running partition plus a short queue:
            # redoing that much is the floor of what a loss can cost.
            print(f"kill at {frac:.0%} ({med * frac:.2f} s): median "
                  f"{dm:.3f} s, +{dm - med:.3f} s; redoing 1-2 in-flight "
                  f"partitions costs ~{per_part:.2f}-{2 * per_part:.2f} s; "
                  f"answers {'all exact' if same else 'DIFFER'}")
    finally:
        local.terminate()
        try:
            local.wait(timeout=20)
        except subprocess.TimeoutExpired:
            local.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
