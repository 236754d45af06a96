#!/usr/bin/python3
"""dusk's and Dask's side of bench/groups.py: rows per pickup second
(groupby("pickup_datetime").size(), ~2.4M groups a month), 2 workers x 1
thread, split_out as given.  Prints one JSON line: {"system", "groups",
"rows", "max"}.

  /usr/bin/python3 bench/peers/peer_groups.py {dusk|dask} A.csv SPLIT_OUT
"""
import json
import sys


def main():
    system, a, split = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if system == "dusk":
        import dusk
        import dusk.dataframe as dd
        with dusk.LocalCluster(n_workers=2) as cluster, \
                dusk.Client(cluster):
            s = dd.read_csv(a).groupby("pickup_datetime").size(
                split_out=split).compute()
    else:
        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster
        dtypes = {"PULocationID": "float64", "DOLocationID": "float64",
                  "SR_Flag": "float64"}
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, \
                Client(cluster):
            s = dd.read_csv(a, dtype=dtypes).groupby("pickup_datetime") \
                .size(split_out=split).compute()
    print(json.dumps({"system": system, "groups": int(len(s)),
                      "rows": int(s.sum()), "max": int(s.max())}))


if __name__ == "__main__":
    main()
