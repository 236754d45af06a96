#!/usr/bin/python3
"""Dask's side of bench/taxi.py: one query on a fresh Dask LocalCluster of
2 worker processes x 1 thread (Debian's python3-dask + python3-distributed,
run with /usr/bin/python3).  Cluster start and shutdown are inside the
driver's wall time.

  /usr/bin/python3 bench/peers/peer_dask.py {groupby|fillna_groupby|filter_head|concat_groupby|len|merge_groupby} A.csv [B.csv]

dd.read_csv needs dtype hints: it infers dtypes from the first 256 kB only,
and PULocationID is all-integer there but has nulls later (and SR_Flag is
almost always empty), so without them the compute stops with a dtype
mismatch.  Default blocksize (64 MB), like dusk's 64 MiB ranges.
"""
import os
import time

import dask.dataframe as dd
from dask.distributed import Client, LocalCluster

from common import args, emit, groups_of, sizes_of

DTYPES = {"PULocationID": "float64", "DOLocationID": "float64", "SR_Flag": "float64"}


def main():
    q, a, b = args()
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                           processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        rd = lambda f: dd.read_csv(f, dtype=DTYPES)
        if q == "groupby":
            r = rd(a).groupby("PULocationID").count().compute()
            emit("dask", q, len(r), time.perf_counter() - t0, groups=groups_of(r))
        elif q == "fillna_groupby":
            r = rd(a).fillna(0).groupby("PULocationID").count().compute()
            emit("dask", q, len(r), time.perf_counter() - t0, groups=groups_of(r))
        elif q == "filter_head":
            r = rd(a).fillna(0).query("PULocationID > 200").head(10)
            emit("dask", q, len(r), time.perf_counter() - t0,
                 head=[[int(x), int(y)] for x, y in zip(r["PULocationID"], r["DOLocationID"])],
                 index=[int(i) for i in r.index])
        elif q == "concat_groupby":
            r = dd.concat([rd(a), rd(b)]).groupby("PULocationID").count().compute()
            emit("dask", q, len(r), time.perf_counter() - t0, groups=groups_of(r))
        elif q == "merge_groupby":
            # the zone lookup is one small partition: Dask broadcasts it
            r = rd(a).merge(dd.read_csv(b), left_on="PULocationID",
                            right_on="LocationID").groupby("Borough").size()
            r = r.compute()
            emit("dask", q, len(r), time.perf_counter() - t0, groups=sizes_of(r))
        else:
            n = len(rd(a))
            emit("dask", q, 1, time.perf_counter() - t0, len=n)
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
