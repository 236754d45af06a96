#!/usr/bin/python3
"""The taxi notebook's cells in one fresh process, for bench/python.py:

  /usr/bin/python3 bench/peers/notebook_cells.py {dusk|dask} APR.csv FEB.csv

dusk: `from dusk import LocalCluster, Client; import dusk.dataframe as dd`
(PYTHONPATH must reach the package).  dask: Debian's Dask with the dtype
hints it needs to read the files at all, 2 worker processes x 1 thread.
Prints one JSON line: seconds per cell, and a digest of the answers so the
driver can check both systems agree."""
import json
import sys
import time


def main():
    # Dask's worker processes start by spawn, which imports this file
    # again: everything runs under the __main__ guard.
    system, apr_path, feb_path = sys.argv[1], sys.argv[2], sys.argv[3]
    cells = {}
    t = time.perf_counter()
    if system == "dusk":
        from dusk import LocalCluster, Client
        import dusk.dataframe as dd
        cluster = LocalCluster()
        client = Client(cluster)
        read = dd.read_csv
    else:
        from dask.distributed import LocalCluster, Client
        import dask.dataframe as dd
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        hints = {"PULocationID": "float64", "DOLocationID": "float64",
                 "SR_Flag": "float64"}
        read = lambda p: dd.read_csv(p, dtype=hints)  # noqa: E731
    cells["start"] = time.perf_counter() - t


    def cell(name, fn):
        start = time.perf_counter()
        out = fn()
        cells[name] = time.perf_counter() - start
        return out


    apr = cell("read_csv", lambda: read(apr_path))
    feb = read(feb_path)
    both = cell("concat", lambda: dd.concat([feb, apr], axis=0))
    clean = cell("fillna", lambda: apr.fillna(value=0))
    head = cell("head5", lambda: clean.head(5))
    counts = cell("groupby_count", lambda: clean.groupby("PULocationID").count()
                  .compute())
    top = cell("filter_head10", lambda: clean[clean.PULocationID > 200].head(10))
    client.close()
    cluster.close()
    cells["total"] = time.perf_counter() - t
    digest = {
        "head_DOLocationID": [int(x) for x in head["DOLocationID"]],
        "groups": len(counts),
        "count_sum": int(counts["hvfhs_license_num"].sum()),
        "top_index": [int(i) for i in top.index],
    }
    print(json.dumps({"system": system, "cells": cells, "digest": digest}))


if __name__ == "__main__":
    main()
