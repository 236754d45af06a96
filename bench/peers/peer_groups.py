#!/usr/bin/python3
"""dusk's and Dask's side of bench/groups.py, 2 workers x 1 thread, over
pickup_datetime (~2.4M distinct values a month):

  size          groupby("pickup_datetime").size(split_out=SPLIT)
  value_counts  ["pickup_datetime"].value_counts(split_out=SPLIT)
  nunique       ["pickup_datetime"].nunique() - no split_out in Dask's
                or pandas' API: dusk's SPLIT > 1 runs its workers with
                --memory-limit 400MB, under which the scheduler splits
                the values itself (its estimate passes a quarter of it)

Prints one JSON line: {"system", "groups", "rows", "max"} (nunique:
groups only, rows and max 0).

  /usr/bin/python3 bench/peers/peer_groups.py {dusk|dask} A.csv SPLIT QUERY
"""
import json
import sys


def query(df, q, split):
    col = df["pickup_datetime"]
    if q == "size":
        return df.groupby("pickup_datetime").size(split_out=split)
    if q == "value_counts":
        return col.value_counts(split_out=split)
    return col.nunique()


def main():
    system, a, split = sys.argv[1], sys.argv[2], int(sys.argv[3])
    q = sys.argv[4] if len(sys.argv) > 4 else "size"
    if system == "dusk":
        import dusk
        import dusk.dataframe as dd
        limit = "400MB" if q == "nunique" and split > 1 else "auto"
        with dusk.LocalCluster(n_workers=2, memory_limit=limit) as cluster, \
                dusk.Client(cluster):
            s = query(dd.read_csv(a), q, split).compute()
    else:
        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster
        dtypes = {"PULocationID": "float64", "DOLocationID": "float64",
                  "SR_Flag": "float64"}
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, \
                Client(cluster):
            s = query(dd.read_csv(a, dtype=dtypes), q, split).compute()
    if q == "nunique":
        print(json.dumps({"system": system, "groups": int(s), "rows": 0,
                          "max": 0}))
        return
    print(json.dumps({"system": system, "groups": int(len(s)),
                      "rows": int(s.sum()), "max": int(s.max())}))


if __name__ == "__main__":
    main()
