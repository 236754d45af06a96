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
Also measured, in --runs fresh dusk processes: import + LocalCluster() +
Client(); converting a 1M-row, 7-column result to pandas (the FHVHV head,
and an all-numeric file the benchmark writes into DIR), beside two floors
for the same frame in the same process (unpickling it, as Dask's client
does with a gathered result, and writing as many bytes of new memory);
10,000 client.submit calls plus a gather (and Dask's rate for the same on
fewer tasks).  Prints a
table; numbers only, never assertions."""
import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from memory import run_sampled  # noqa: E402


def run_tree(cmd, env=None):
    """Runs cmd, sampling the RSS of its process tree; returns (stdout,
    wall seconds, peak MiB); a failure ends the benchmark."""
    wall, peak, _, out, rc = run_sampled(cmd, env=env)
    if rc != 0:
        sys.exit(f"{' '.join(cmd)} failed")
    return out, wall, peak


def median(xs):
    return statistics.median(xs) if xs else float("nan")


MICRO = r"""
import json, pickle, sys, time
t0 = time.perf_counter()
import dusk
cluster = dusk.LocalCluster(); client = dusk.Client(cluster)
ready = time.perf_counter() - t0
import numpy as np
import dusk.dataframe as dd
from dusk._result import to_pandas

def convert(path):
    table = client._conn.compute(dd.read_csv(path)._frame.head(1_000_000))
    t = time.perf_counter(); df = to_pandas(table, "frame", None)
    took = time.perf_counter() - t
    assert df.shape == (1_000_000, 7), df.shape
    return df, took

df, convert_fhv = convert(sys.argv[1])
# What the same frame costs any client that builds it in this process:
# unpickling it (what Dask's client does with a gathered pandas result),
# and writing as many bytes of new memory as the frame holds.
blob = pickle.dumps(df, protocol=5)
nbytes = int(df.memory_usage(deep=True).sum())
del df
t = time.perf_counter(); df = pickle.loads(blob); unpickle = time.perf_counter() - t
del df, blob
t = time.perf_counter(); mem = np.ones(nbytes, dtype=np.uint8)
fresh = time.perf_counter() - t
del mem
df, convert_num = convert(sys.argv[2])
del df
t = time.perf_counter()
futs = [client.submit("add", i) for i in range(10_000)]
vals = client.gather(futs)
submit = time.perf_counter() - t
assert vals[-1] == 9999
t = time.perf_counter()
vals = client.gather(client.map("add", range(10_000)))
mapped = time.perf_counter() - t
client.close(); cluster.close()
print(json.dumps({"ready": ready, "convert": convert_fhv, "unpickle": unpickle,
                  "fresh": fresh, "mib": nbytes / 2**20,
                  "convert_numeric": convert_num, "submit": submit,
                  "map": mapped}))
"""


def numeric_csv(path, rows=1_000_000):
    """A 1M-row file of 7 numeric columns (ints, ints with nulls, floats),
    the all-numbers counterpart of the FHVHV head."""
    if os.path.exists(path):
        return path
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(7)
    cols = {}
    for i in range(7):
        if i % 3 == 0:
            cols[f"i{i}"] = rng.integers(0, 10**6, rows)
        elif i % 3 == 1:
            v = rng.integers(0, 300, rows).astype(float)
            v[rng.random(rows) < 0.05] = np.nan
            cols[f"n{i}"] = v
        else:
            cols[f"f{i}"] = rng.random(rows).round(6)
    pd.DataFrame(cols).to_csv(path + ".tmp", index=False)
    os.rename(path + ".tmp", path)
    return path


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


def run_micro(py, fhv, a, env):
    """The package's own costs, medians over --runs fresh processes (each
    process's memory is new, as a notebook's first result's is)."""
    numeric = numeric_csv(os.path.join(a.data, "numeric_1m.csv"))
    micros = []
    for _ in range(a.runs):
        out, _, _ = run_tree([py, "-c", MICRO, fhv, numeric], env)
        micros.append(json.loads(out.strip().splitlines()[-1]))
    return {k: median([m[k] for m in micros]) for k in micros[0]}


def print_micro(micro, dask_rate):
    print(f"  import dusk + LocalCluster() + Client(): {micro['ready'] * 1000:.0f} ms")
    print(f"  1M rows x 7 columns to pandas (FHVHV head, 4 text columns, "
          f"{micro['mib']:.0f} MiB in pandas): {micro['convert'] * 1000:.0f} ms;"
          f" pickle.loads of the same frame {micro['unpickle'] * 1000:.0f} ms;"
          f" writing {micro['mib']:.0f} MiB of new memory "
          f"{micro['fresh'] * 1000:.0f} ms")
    print(f"  1M rows x 7 numeric columns to pandas: "
          f"{micro['convert_numeric'] * 1000:.0f} ms")
    print(f"  10,000 client.submit + gather: {10000 / micro['submit']:,.0f} tasks/s; "
          f"client.map: {10000 / micro['map']:,.0f} tasks/s"
          + (f"; Dask submit + gather: {dask_rate:,.0f} tasks/s" if dask_rate else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--data", required=True)
    ap.add_argument("--apr")
    ap.add_argument("--feb")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dask-runs", type=int, default=1)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--micro-only", action="store_true",
                    help="only the package's own costs (start, conversion, "
                    "submit); --apr is then any FHVHV file of >= 1M rows")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    apr = a.apr or os.path.join(a.data, "fhv_1x.csv")
    feb = a.feb or os.path.join(a.data, "fhv_1x_b.csv")
    env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"))
    cells_py = os.path.join(HERE, "peers", "notebook_cells.py")
    py = "/usr/bin/python3"
    if a.micro_only:
        print_micro(run_micro(py, apr, a, env), None)
        return

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

    micro = run_micro(py, apr, a, env)
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
    print_micro(micro, dask_rate)


if __name__ == "__main__":
    main()
