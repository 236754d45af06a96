#!/usr/bin/python3
"""pandas' side of bench/vocab.py, for the queries a notebook user would
first try in plain pandas: merge_months (both months read whole, the hour
assigned, merged on the three keys, the rows counted).  Prints
{"system", "query", "answer"} as the other peers do.  One process, every
row in memory: the point of running it is to show where that stops
(bench/vocab.py --cgroup runs it inside the 4 GiB memory cgroup).

  /usr/bin/python3 bench/peers/peer_vocab_pandas.py merge_months A.csv"""
import json
import os
import sys

import pandas as pd


def main():
    q, a = sys.argv[1], sys.argv[2]
    if q != "merge_months":
        sys.exit(f"peer_vocab_pandas: no query {q!r} (only merge_months)")
    keys = ["PULocationID", "DOLocationID", "h"]
    sides = []
    for path in (a, os.environ.get("BENCH_FILE2", a)):
        f = pd.read_csv(path, parse_dates=["pickup_datetime"])
        sides.append(f.assign(h=f.pickup_datetime.dt.hour))
    ans = len(sides[0].merge(sides[1], on=keys))
    print(json.dumps({"system": "pandas", "query": q, "answer": ans}))


if __name__ == "__main__":
    main()
