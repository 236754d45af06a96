#!/usr/bin/python3
"""Dask's side of bench/vocab.py: one of issue 11's or 14's queries on a
fresh LocalCluster of 2 worker processes x 1 thread (cluster start inside
the wall time), printing {"system", "query", "answer"} as peer_vocab.mjs
does; the sorts (sort_rows, sort_head) add "shuffle": the method they ran.

  /usr/bin/python3 bench/peers/peer_vocab_dask.py QUERY A.csv

dd.read_csv needs the dtype hints peer_dask.py explains."""
import json
import os
import sys

import dask
import dask.dataframe as dd
import pandas as pd
from dask.distributed import Client, LocalCluster

DTYPES = {"PULocationID": "float64", "DOLocationID": "float64",
          "SR_Flag": "float64"}
NUMS = ["PULocationID", "DOLocationID", "SR_Flag"]
KEYS3 = ["dispatching_base_num", "PULocationID", "DOLocationID"]


def shuffle_method():
    """Dask's p2p shuffle (the one issue 14 measures against) when it can
    run: in this dask (2022.12) it needs pyarrow, which Debian does not
    package, and sort_values ignores a shuffle= argument, so the method is
    set through dask.config.  Without pyarrow: "tasks", the default a
    distributed Client sets."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return "tasks"
    return "p2p"


def epochs(ts):
    """datetime64[ns] Series -> epoch seconds, NaT -> None."""
    return [None if v is pd.NaT else v.value // 10**9 for v in ts]


def main():
    q, a = sys.argv[1], sys.argv[2]
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    extra = {}
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
        elif q == "merge_months":
            b = dd.read_csv(os.environ.get("BENCH_FILE2", a), dtype=DTYPES,
                            parse_dates=["pickup_datetime",
                                         "dropoff_datetime"])
            keys = ["PULocationID", "DOLocationID", "h"]
            sides = [f.assign(h=f.pickup_datetime.dt.hour)[keys]
                     for f in (df, b)]
            ans = len(sides[0].merge(sides[1], on=keys,
                                     shuffle=shuffle_method()))
        elif q == "drop_dups3":
            ans = len(df.drop_duplicates(subset=KEYS3).compute())
        elif q == "merge_csv":  # the harness reads the answer off the files
            z = dd.read_csv(os.environ["BENCH_ZONES"])
            out = os.path.join(os.environ["BENCH_OUT_DIR"], "*.part")
            df.merge(z, left_on="PULocationID", right_on="LocationID").to_csv(
                out, name_function=lambda i: f"{i:06d}")
            ans = None
        elif q == "merge_sort_csv":  # the harness reads the answer off the files
            how = shuffle_method()
            z = dd.read_csv(os.environ["BENCH_ZONES"])
            with dask.config.set(shuffle=how):
                out = os.path.join(os.environ["BENCH_OUT_DIR"], "*.part")
                df.merge(z, left_on="PULocationID", right_on="LocationID") \
                    .sort_values("pickup_datetime").to_csv(
                        out, name_function=lambda i: f"{i:06d}")
            ans = None
            extra["shuffle"] = how
        elif q == "sort_csv":  # the harness reads the answer off the files
            how = shuffle_method()
            with dask.config.set(shuffle=how):
                out = os.path.join(os.environ["BENCH_OUT_DIR"], "*.part")
                df.sort_values("pickup_datetime").to_csv(
                    out, name_function=lambda i: f"{i:06d}")
            ans = None
            extra["shuffle"] = how
        elif q in ("sort_rows", "sort_head"):
            how = shuffle_method()
            with dask.config.set(shuffle=how):
                if q == "sort_rows":
                    t = df[df.PULocationID < 27].sort_values(
                        "pickup_datetime").compute().pickup_datetime
                    ans = [len(t), epochs(t.head(5)), epochs(t.tail(5))]
                else:  # a real sort, then its first partition's head
                    t = df.sort_values("pickup_datetime").head(
                        10).pickup_datetime
                    ans = epochs(t)
            # one partition (a small file) sorts in place, no shuffle
            extra["shuffle"] = how if df.npartitions > 1 else \
                "none (1 partition)"
        elif q == "divisions":  # set_index computes them (this dask)
            divs = df.set_index("pickup_datetime", npartitions=16).divisions
            ans = [divs[0].value // 10**9, divs[-1].value // 10**9]
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
        print(json.dumps({"system": "dask", "query": q, "answer": ans,
                          **extra}))
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
