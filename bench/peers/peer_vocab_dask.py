#!/usr/bin/python3
"""Dask's side of bench/vocab.py: one of issue 11's queries on a fresh
LocalCluster of 2 worker processes x 1 thread (cluster start inside the
wall time), printing {"system", "query", "answer"} as peer_vocab.mjs does.

  /usr/bin/python3 bench/peers/peer_vocab_dask.py QUERY A.csv

dd.read_csv needs the dtype hints peer_dask.py explains."""
import json
import sys

import dask.dataframe as dd
from dask.distributed import Client, LocalCluster

DTYPES = {"PULocationID": "float64", "DOLocationID": "float64",
          "SR_Flag": "float64"}
NUMS = ["PULocationID", "DOLocationID", "SR_Flag"]


def main():
    q, a = sys.argv[1], sys.argv[2]
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    try:
        df = dd.read_csv(a, dtype=DTYPES,
                         parse_dates=["pickup_datetime", "dropoff_datetime"])
        if q == "hour_size":
            r = df.groupby(df.pickup_datetime.dt.hour).size().compute()
            ans = [[int(k), int(v)] for k, v in sorted(r.items())]
        elif q in ("duration_mean", "median_by"):
            secs = (df.dropoff_datetime - df.pickup_datetime).dt.total_seconds()
            g = df.assign(secs=secs).groupby("PULocationID").secs
            r = (g.median(shuffle="tasks") if q == "median_by"
                 else g.mean()).compute()
            ans = [[int(k), float(v)] for k, v in sorted(r.items())]
        elif q == "day_size":
            r = df.groupby(df.pickup_datetime.dt.date).size().compute()
            ans = [[str(k), int(v)] for k, v in sorted(r.items())]
        elif q == "drop_dups":
            ans = len(df.drop_duplicates(
                subset=["PULocationID", "DOLocationID"]).compute())
        elif q == "nlargest":
            r = df.nlargest(10, "pickup_datetime").compute()
            ans = [int(v) // 10**9 for v in
                   r.pickup_datetime.astype("int64")]
        elif q == "top10":
            r = df.groupby("PULocationID").size().compute()
            ans = sorted(([int(k), int(v)] for k, v in r.items()),
                         key=lambda kv: (-kv[1], kv[0]))[:10]
        else:
            r = df[NUMS].describe().compute()
            # Dask's percentiles are approximate (t-digest / partition
            # percentiles merged), so its answer differs from the exact one.
            ans = [float(r.loc[s, c]) for c in NUMS
                   for s in ("count", "mean", "std", "min", "25%", "50%",
                             "75%", "max")]
        print(json.dumps({"system": "dask", "query": q, "answer": ans}))
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
