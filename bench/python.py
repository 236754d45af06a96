#!/usr/bin/python3
"""The Python package's benchmark: the notebook's cells through dusk's
Python API, the same queries through the dusk CLI, and the same cells on
Dask, side by side in one run, plus the package's own costs.

  /usr/bin/python3 bench/python.py --build build --data DIR [--runs 3]
                                   [--dask-runs 1] [--no-dask]

DIR holds the two 1.34 GB months bench/taxi.sh generates (fhv_1x.csv as
April, fhv_1x_b.csv as February; --apr/--feb name others).  Every run is a
fresh process tree; peak RSS is sampled every 20 ms over the whole tree
(the Python process plus the cluster's processes).  Figures are medians.
Also measured in one dusk process: import + LocalCluster() + Client();
converting a 1M-row, 7-column result to pandas; 10,000 client.submit calls
plus a gather (and Dask's rate for the same on fewer tasks).  Prints a
table; numbers only, never assertions."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from memory import proc_tree, rss_kb  # noqa: E402


def run_tree(cmd, env=None):
    """Runs cmd, sampling the RSS of its process tree; returns (stdout,
    wall seconds, peak MiB)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    peak = 0
    while p.poll() is None:
        peak = max(peak, sum(rss_kb(x) for x in proc_tree(p.pid)))
        time.sleep(0.02)
    out, err = p.communicate()
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    return out, wall, peak / 1024


def median(xs):
    return statistics.median(xs) if xs else float("nan")


MICRO = r"""
import json, sys, time
t0 = time.perf_counter()
import dusk
cluster = dusk.LocalCluster(); client = dusk.Client(cluster)
ready = time.perf_counter() - t0
import dusk.dataframe as dd
from dusk._result import to_pandas
frame = dd.read_csv(sys.argv[1])._frame.head(1_000_000)
table = client._conn.compute(frame)
t = time.perf_counter(); df = to_pandas(table, "frame", None)
convert = time.perf_counter() - t
assert df.shape == (1_000_000, 7)
t = time.perf_counter()
futs = [client.submit("add", i) for i in range(10_000)]
vals = client.gather(futs)
submit = time.perf_counter() - t
assert vals[-1] == 9999
t = time.perf_counter()
vals = client.gather(client.map("add", range(10_000)))
mapped = time.perf_counter() - t
client.close(); cluster.close()
print(json.dumps({"ready": ready, "convert": convert, "submit": submit,
                  "map": mapped}))
"""

DASK_SUBMIT = r"""
import json, time
from dask.distributed import LocalCluster, Client
def add(x): return x
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                       dashboard_address=None)
client = Client(cluster)
n = 2000
t = time.perf_counter()
futs = [client.submit(add, i, pure=False) for i in range(n)]
vals = client.gather(futs)
dt = time.perf_counter() - t
client.close(); cluster.close()
print(json.dumps({"n": n, "submit": dt}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--data", required=True)
    ap.add_argument("--apr")
    ap.add_argument("--feb")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dask-runs", type=int, default=1)
    ap.add_argument("--no-dask", action="store_true")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    apr = a.apr or os.path.join(a.data, "fhv_1x.csv")
    feb = a.feb or os.path.join(a.data, "fhv_1x_b.csv")
    env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"))
    cells_py = os.path.join(HERE, "peers", "notebook_cells.py")
    py = "/usr/bin/python3"

    results = {}
    for system, runs in (("dusk", a.runs), ("dask", 0 if a.no_dask else a.dask_runs)):
        for i in range(runs):
            out, wall, peak = run_tree([py, cells_py, system, apr, feb], env)
            r = json.loads(out.strip().splitlines()[-1])
            r["wall"], r["peak"] = wall, peak
            results.setdefault(system, []).append(r)
            print(f"  {system} run {i + 1}/{runs}: {wall:.2f} s, peak "
                  f"{peak:.0f} MiB, cells " + ", ".join(
                      f"{k} {v:.3f}" for k, v in r["cells"].items()),
                  flush=True)
    if "dask" in results and results["dask"][0]["digest"] != results["dusk"][0]["digest"]:
        print("  ANSWERS DIFFER:", results["dusk"][0]["digest"],
              results["dask"][0]["digest"])

    # The CLI: each query its own `dusk query` (its own LocalCluster).
    dusk_bin = os.path.join(build, "bin", "dusk")
    cli_queries = {
        "head5": f'read_csv("{apr}").fillna(0).head(5)',
        "groupby_count": f'read_csv("{apr}").fillna(0).groupby("PULocationID").count()',
        "filter_head10": f'read_csv("{apr}").fillna(0).query("PULocationID > 200").head(10)',
    }
    cli = {}
    for name, q in cli_queries.items():
        for _ in range(a.runs):
            _, wall, peak = run_tree([dusk_bin, "query", q])
            cli.setdefault(name, []).append((wall, peak))

    out, _, _ = run_tree([py, "-c", MICRO, apr], env)
    micro = json.loads(out.strip().splitlines()[-1])
    dask_rate = None
    if not a.no_dask:
        out, _, _ = run_tree([py, "-c", DASK_SUBMIT])
        d = json.loads(out.strip().splitlines()[-1])
        dask_rate = d["n"] / d["submit"]

    print()
    print("notebook cells on a %.2f GB file (medians, seconds):" %
          (os.path.getsize(apr) / 1e9))
    names = ["start", "read_csv", "concat", "fillna", "head5", "groupby_count",
             "filter_head10", "total"]
    header = f"  {'cell':16} {'dusk (Python)':>14} {'dusk CLI':>10}"
    if "dask" in results:
        header += f" {'Dask':>10} {'Dask/dusk':>10}"
    print(header)
    for n in names:
        d = median([r["cells"][n] for r in results["dusk"]])
        c = median([w for w, _ in cli[n]]) if n in cli else None
        line = f"  {n:16} {d:14.3f} {('%.3f' % c) if c is not None else '-':>10}"
        if "dask" in results:
            k = median([r["cells"][n] for r in results["dask"]])
            line += f" {k:10.3f} {(k / d) if d > 0.001 else float('nan'):10.1f}"
        print(line)
    cli_total = sum(median([w for w, _ in cli[n]]) for n in cli)
    py_queries = sum(median([r["cells"][n] for r in results["dusk"]]) for n in cli)
    print(f"  the three queries: Python {py_queries:.3f} s (one cluster) vs "
          f"CLI {cli_total:.3f} s (a cluster each): {py_queries / cli_total:.2f}x")
    print(f"  peak RSS, Python process + cluster: dusk "
          f"{median([r['peak'] for r in results['dusk']]):.0f} MiB"
          + (f", Dask {median([r['peak'] for r in results['dask']]):.0f} MiB"
             if "dask" in results else "")
          + f"; CLI groupby {median([p for _, p in cli['groupby_count']]):.0f} MiB")
    print(f"  import dusk + LocalCluster() + Client(): {micro['ready'] * 1000:.0f} ms")
    print(f"  1M rows x 7 columns to pandas: {micro['convert'] * 1000:.0f} ms")
    print(f"  10,000 client.submit + gather: {10000 / micro['submit']:,.0f} tasks/s; "
          f"client.map: {10000 / micro['map']:,.0f} tasks/s"
          + (f"; Dask submit + gather: {dask_rate:,.0f} tasks/s" if dask_rate else ""))


if __name__ == "__main__":
    main()
