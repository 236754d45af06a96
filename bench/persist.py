#!/usr/bin/python3
"""persist() (issue 14): repeated queries on a frame held in memory, dusk
side by side with Dask (persist), DuckDB (an in-memory table) and Polars (a
DataFrame) in one run.  Each system loads the file once - dusk's persist()
parses it into partitions its workers keep - then runs
groupby("PULocationID").count() against it --queries times.

  /usr/bin/python3 bench/persist.py --build build-release --file data/fhv_1x.csv
      [--queries 10] [--systems dusk,duckdb,polars,dask]

Each system is one fresh process tree (dusk: the Python package with a
2-worker LocalCluster; Dask: 2 workers x 1 thread, with the dtype hints it
needs; DuckDB and Polars: node, 2 threads).  Printed: the load time, the
median query time (and its ratio to dusk's), the tree's peak RSS sampled
from outside every 20 ms, and whether each answer equals dusk's.  Numbers
only, never assertions."""
import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from memory import run_sampled  # noqa: E402


def command(system, a, n):
    if system in ("dusk", "dask"):
        return ["/usr/bin/python3", os.path.join(HERE, "peers", "peer_persist.py"),
                system, a, str(n)]
    return ["node", os.path.join(HERE, "peers", "peer_persist.mjs"), system, a,
            str(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--file", required=True)
    ap.add_argument("--queries", type=int, default=10)
    ap.add_argument("--systems", default="dusk,duckdb,polars,dask")
    args = ap.parse_args()
    env = dict(os.environ)
    root = os.path.dirname(HERE)
    env["PYTHONPATH"] = os.path.join(root, args.build, "python")
    env["DUSK_BIN"] = os.path.join(root, args.build, "bin")
    results = {}
    for system in args.systems.split(","):
        wall, peak, _, out, rc = run_sampled(command(system, args.file,
                                                     args.queries), env=env)
        if rc != 0:
            print(f"{system}: failed (exit {rc})")
            continue
        r = json.loads(out.strip().splitlines()[-1])
        r["peak_mib"] = peak
        r["wall_s"] = wall
        results[system] = r
    base = results.get("dusk")
    print(f"{args.file}: load once, then groupby(\"PULocationID\").count() "
          f"x {args.queries}")
    print("| system | load | query (median) | x dusk | peak RSS | answer |")
    print("|---|---|---|---|---|---|")
    for system, r in results.items():
        med = statistics.median(r["query_s"])
        ratio = (f"{med / statistics.median(base['query_s']):.1f}x"
                 if base else "")
        same = ("=" if base is None or r["groups"] == base["groups"]
                else "DIFFERS")
        print(f"| {system} | {r['load_s']:.2f} s | {med * 1000:.0f} ms | "
              f"{ratio} | {r['peak_mib']:,.0f} MiB | {same} |")


if __name__ == "__main__":
    main()
