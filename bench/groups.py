#!/usr/bin/python3
"""Many groups (issue 14): rows per pickup second of one FHVHV month,
groupby("pickup_datetime").size() - about 2.4M groups - with dusk's tree
(split_out=1) and its hash shuffle (split_out=4), beside Dask
(split_out=4), DuckDB and Polars, in one run; --query value_counts the
same as a column's value_counts, --query nunique its distinct count.

  /usr/bin/python3 bench/groups.py --build build-release --file data/fhv_1x.csv
      [--runs 3] [--systems dusk1,dusk4,duckdb,polars,dask]
      [--query size|value_counts|nunique]

Each run is a fresh process tree; wall time, the tree's peak RSS (sampled
every 20 ms) and the largest single process's peak are measured from
outside; medians are printed with the ratio to dusk's shuffle, and each
answer (groups, rows, largest group) is checked against it.  Numbers
only, never assertions."""
import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from memory import run_sampled  # noqa: E402

KEYS = ("groups", "rows", "max")
QUERIES = {"size": 'groupby("pickup_datetime").size()',
           "value_counts": 'pickup_datetime.value_counts()',
           "nunique": "pickup_datetime.nunique() (dusk4: 400 MB workers, "
                      "split by the scheduler)"}


def command(system, a, query):
    if system.startswith("dusk") or system == "dask":
        split = system[4:] if system.startswith("dusk") else "4"
        return ["/usr/bin/python3", os.path.join(HERE, "peers",
                                                 "peer_groups.py"),
                "dusk" if system.startswith("dusk") else "dask", a, split,
                query]
    return ["node", os.path.join(HERE, "peers", "peer_groups.mjs"), system, a,
            query]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--file", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--systems", default="dusk1,dusk4,duckdb,polars,dask")
    ap.add_argument("--query", default="size",
                    choices=("size", "value_counts", "nunique"))
    args = ap.parse_args()
    root = os.path.dirname(HERE)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(root, args.build, "python")
    env["DUSK_BIN"] = os.path.join(root, args.build, "bin")
    rows = {}
    for system in args.systems.split(","):
        walls, peaks, procs, answer = [], [], [], None
        for _ in range(args.runs if system != "dask" else 1):
            wall, peak, per, out, rc = run_sampled(command(system, args.file,
                                                           args.query),
                                                   env=env)
            if rc != 0:
                print(f"{system}: failed (exit {rc})")
                break
            walls.append(wall)
            peaks.append(peak)
            procs.append(max(per.values()))
            answer = json.loads(out.strip().splitlines()[-1])
        if walls:
            rows[system] = (statistics.median(walls), max(peaks), max(procs),
                            answer)
    base = rows.get("dusk4")
    print(f"{args.file}: {QUERIES[args.query]}, medians of {args.runs} "
          "(Dask 1)")
    print("| system | wall | x dusk (split_out=4) | tree peak | largest "
          "process | groups | answer |")
    print("|---|---|---|---|---|---|---|")
    for system, (wall, peak, proc, ans) in rows.items():
        ratio = f"{wall / base[0]:.1f}x" if base else ""
        same = ("=" if base is None or
                all(ans[k] == base[3][k] for k in KEYS) else "DIFFERS")
        print(f"| {system} | {wall:.2f} s | {ratio} | {peak:,.0f} MiB | "
              f"{proc:,.0f} MiB | {ans['groups']:,} | {same} |")


if __name__ == "__main__":
    main()
