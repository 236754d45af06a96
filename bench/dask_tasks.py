#!/usr/bin/python3
"""Dask's side of `bench/tasks.sh`: the same three task-graph shapes as
`dusk bench tasks`, on a Dask LocalCluster of N workers x 1 thread, printing
the same JSON line.  Run with Debian's /usr/bin/python3 (python3-distributed).

  /usr/bin/python3 bench/dask_tasks.py --shape independent|tree|chain --tasks M
"""
import argparse
import json
import statistics
import time

from dask.distributed import Client, LocalCluster


def inc_add(i):
    """A trivial task: returns its argument."""
    return i


def add(a, b):
    return a + b


def add1(x):
    return x + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="independent",
                    choices=["independent", "tree", "chain"])
    ap.add_argument("--tasks", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1,
                           processes=True, dashboard_address=None)
    client = Client(cluster)
    out = {"system": "dask", "shape": a.shape, "workers": a.workers}
    try:
        if a.shape == "independent":
            t0 = time.perf_counter()
            futs = client.map(inc_add, range(a.tasks), pure=False)
            total = sum(client.gather(futs))
            secs = time.perf_counter() - t0
            assert total == a.tasks * (a.tasks - 1) // 2
            ntasks = a.tasks
        elif a.shape == "tree":
            leaves = (a.tasks + 1) // 2
            t0 = time.perf_counter()
            level = client.map(inc_add, range(leaves), pure=False)
            ntasks = leaves
            while len(level) > 1:
                nxt = []
                for i in range(0, len(level), 2):
                    if i + 1 < len(level):
                        nxt.append(client.submit(add, level[i], level[i + 1],
                                                 pure=False))
                    else:
                        nxt.append(level[i])  # odd one out moves up
                ntasks += sum(1 for i in range(0, len(level), 2)
                              if i + 1 < len(level))
                level = nxt
            total = level[0].result()
            secs = time.perf_counter() - t0
            assert total == leaves * (leaves - 1) // 2
        else:
            rts = []
            t0 = time.perf_counter()
            prev = client.submit(inc_add, 0, pure=False)
            prev.result()
            for _ in range(a.tasks - 1):
                s = time.perf_counter()
                prev = client.submit(add1, prev, pure=False)
                prev.result()
                rts.append(time.perf_counter() - s)
            secs = time.perf_counter() - t0
            assert prev.result() == a.tasks - 1
            ntasks = a.tasks
            out["roundtrip_us_p50"] = round(statistics.median(rts) * 1e6, 1)
        out.update(tasks=ntasks, seconds=round(secs, 4),
                   tasks_per_sec=round(ntasks / secs))
        print(json.dumps(out), flush=True)
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
