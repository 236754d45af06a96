#!/usr/bin/python3
"""What the scheduler's HTTP endpoint costs a running query (issue 13).

  bench/dashboard.py --bin BUILD/bin --data DIR [--rows 5000000] [--runs 7]

Generates an FHVHV-shaped file (dusk-gen-fhv), starts a scheduler and a
nanny of 2 workers, and times groupby("PULocationID").count() over it in
four conditions, interleaved run by run so drift hits all alike:

  off      dusk-scheduler --no-dashboard
  idle     the endpoint on, nobody asking (the loop still renders a
           snapshot every 500 ms)
  polled   20 requests/s of /status and /metrics (a few browser tabs and a
           Prometheus scrape; the issue's "dashboard open")
  flood    two threads asking as fast as they can (bounded: 1000 requests
           each per run) from a process of their own at nice 0: on a 2-vCPU
           machine this measures mostly the flooding client's own CPU taken
           from the workers
  flood19  the same client at nice 19, closer to a flood from another host
           (whose CPU is not ours): what serving costs the query

Prints the median and the best wall per condition and their difference
from "off" (the best is the steadier figure on a shared machine).  Numbers,
never assertions on time.
"""
import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time

TOKEN = "bench-dashboard-token"


class Cluster:
    def __init__(self, a, dashboard):
        r, w = os.pipe()
        args = [os.path.join(a.bin, "dusk-scheduler"), "--port", "0",
                "--ready-fd", str(w), "--token-file", a.token_file,
                "--log-level", "warn"]
        args += ["--dashboard-port", "0"] if dashboard else ["--no-dashboard"]
        self.sched = subprocess.Popen(args, pass_fds=(w,),
                                      stdin=subprocess.DEVNULL)
        os.close(w)
        data = b""
        while True:
            chunk = os.read(r, 256)
            if not chunk:
                break
            data += chunk
        os.close(r)
        lines = data.decode().split("\n")
        self.port = int(lines[0].split()[1])
        self.dashboard = (int(lines[1].split()[1])
                          if dashboard and lines[1] else None)
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.nanny = subprocess.Popen(
            [os.path.join(a.bin, "dusk-worker"), self.address, "--token-file",
             a.token_file, "--nworkers", "2", "--log-level", "warn"],
            stdin=subprocess.DEVNULL)

    def stop(self):
        for p in (self.nanny, self.sched):
            p.terminate()
            p.wait()


def ask(port, stop, per_second, limit):
    """Requests /status and /metrics until stop is set (per_second of them,
    or as fast as possible when None), at most limit."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    hdrs = {"Authorization": "Bearer " + TOKEN}
    n = 0
    while not stop.is_set() and n < limit:
        conn.request("GET", "/status" if n % 2 == 0 else "/metrics",
                     headers=hdrs)
        r = conn.getresponse()
        r.read()
        n += 1
        if per_second:
            stop.wait(1 / per_second)
    conn.close()
    return n


def flooder(port):
    """The flood's own process: asks until stdin closes, prints the count."""
    stop = threading.Event()
    counts = []
    threads = [threading.Thread(target=lambda: counts.append(
        ask(port, stop, None, 1000))) for _ in range(2)]
    for t in threads:
        t.start()
    sys.stdin.read()
    stop.set()
    for t in threads:
        t.join()
    print(sum(counts))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--flooder":
        return flooder(int(sys.argv[2]))
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--verbose", action="store_true",
                    help="print every run's wall")
    a = ap.parse_args()
    os.makedirs(a.data, exist_ok=True)
    sys.path.insert(0, os.path.join(a.bin, "..", "python"))
    import dusk
    import dusk.dataframe as dd

    csv = os.path.join(a.data, f"fhv_{a.rows}.csv")
    if not os.path.exists(csv):
        subprocess.run([os.path.join(a.bin, "dusk-gen-fhv"), csv,
                        str(a.rows)], check=True)
    a.token_file = os.path.join(a.data, "bench-token")
    with open(a.token_file, "w") as f:
        f.write(TOKEN)

    clusters = {"off": Cluster(a, False), "on": Cluster(a, True)}
    clients = {k: dusk.Client(c.address, token_file=a.token_file,
                              set_as_default=False)
               for k, c in clusters.items()}
    for c in clients.values():
        c.wait_for_workers(2)
    times = {k: [] for k in ("off", "idle", "polled", "flood", "flood19")}
    requests = {"polled": 0, "flood": 0, "flood19": 0}

    def run(cond):
        client = clients["off" if cond == "off" else "on"]
        frame = dd.read_csv(csv)
        stop = threading.Event()
        asker, counts, flood = None, [], None
        if cond == "polled":
            asker = threading.Thread(target=lambda: counts.append(ask(
                clusters["on"].dashboard, stop, 20, 10**9)))
            asker.start()
        elif cond.startswith("flood"):
            nice = 19 if cond == "flood19" else 0
            flood = subprocess.Popen(
                [sys.executable, __file__, "--flooder",
                 str(clusters["on"].dashboard)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True,
                preexec_fn=lambda: os.nice(nice))
        t0 = time.perf_counter()
        got = frame.groupby("PULocationID").count().compute(client=client)
        wall = time.perf_counter() - t0
        stop.set()
        if asker is not None:
            asker.join()
        if flood is not None:
            out, _ = flood.communicate("")
            counts.append(int(out))
        if cond in requests:
            requests[cond] += sum(counts)
        return wall, got

    reference = None
    for i in range(a.runs + 1):
        for cond in times:
            wall, got = run(cond)
            if reference is None:
                reference = got
            elif not got.equals(reference):
                sys.exit(f"{cond}: a different answer")
            if i > 0:  # the first round warms the page cache
                times[cond].append(wall)
            if a.verbose:
                print(f"round {i} {cond}: {wall:.3f} s", flush=True)
    for c in clients.values():
        c.close()
    for c in clusters.values():
        c.stop()

    base = statistics.median(times["off"])
    size = os.path.getsize(csv) / 1e9
    print(f"groupby count over {a.rows:,} rows ({size:.2f} GB), "
          f"2 workers, median of {a.runs} runs")
    best = min(times["off"])
    print("| condition | median wall | vs off | best wall | vs off | "
          "requests served |")
    print("|---|---|---|---|---|---|")
    for cond, ts in times.items():
        med, low = statistics.median(ts), min(ts)
        served = requests.get(cond)
        print(f"| {cond} | {med:.3f} s | {100 * (med / base - 1):+.1f}% | "
              f"{low:.3f} s | {100 * (low / best - 1):+.1f}% | "
              f"{served if served is not None else '-'} |")


if __name__ == "__main__":
    main()
