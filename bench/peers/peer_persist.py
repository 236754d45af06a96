#!/usr/bin/python3
"""dusk's and Dask's side of bench/persist.py: persist the file in the
cluster's memory once, then run groupby("PULocationID").count() against it
RUNS times, 2 workers x 1 thread.  Prints one JSON line: {"system",
"load_s", "query_s": [...], "groups": {key: [count of hvfhs_license_num,
count of SR_Flag]}, "rss_mib": the workers' RSS after the load (dusk: from
the scheduler's heartbeat figures)}.

  /usr/bin/python3 bench/peers/peer_persist.py {dusk|dask} A.csv RUNS
"""
import json
import sys
import time


def groups_of(frame):
    return {str(int(k)): [int(r["hvfhs_license_num"]), int(r["SR_Flag"])]
            for k, r in frame.iterrows()}


def timed_queries(df, runs):
    """The query `runs` times on persisted df: (seconds each, last answer)."""
    times, g = [], None
    for _ in range(runs):
        t = time.perf_counter()
        g = df.groupby("PULocationID").count().compute()
        times.append(time.perf_counter() - t)
    return times, g


def run_dusk(a, runs):
    import dusk
    import dusk.dataframe as dd
    with dusk.LocalCluster(n_workers=2) as cluster, dusk.Client(cluster) as c:
        t = time.perf_counter()
        df = dd.read_csv(a).persist()
        load = time.perf_counter() - t
        times, g = timed_queries(df, runs)
        time.sleep(1.2)  # one heartbeat: the workers' RSS with the partitions
        rss = sum(w["rss_bytes"] for w in c.scheduler_info()["workers"])
        return load, times, groups_of(g), rss / 2**20


def run_dask(a, runs):
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster
    dtypes = {"PULocationID": "float64", "DOLocationID": "float64",
              "SR_Flag": "float64"}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, \
            Client(cluster) as c:
        t = time.perf_counter()
        df = dd.read_csv(a, dtype=dtypes).persist()
        from dask.distributed import wait
        wait(df)
        load = time.perf_counter() - t
        times, g = timed_queries(df, runs)
        rss = sum(w["metrics"]["memory"] for w in
                  c.scheduler_info()["workers"].values())
        return load, times, groups_of(g), rss / 2**20


def main():
    system, a, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    load, times, groups, rss = (run_dusk if system == "dusk" else run_dask)(
        a, runs)
    print(json.dumps({"system": system, "load_s": load, "query_s": times,
                      "groups": groups, "rss_mib": rss}))


if __name__ == "__main__":
    main()
