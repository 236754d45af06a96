#!/usr/bin/python3
"""The taxi notebook's cells (examples/taxi.ipynb) as a script: Dask's
code with dusk's imports, timed.  ./run.sh demo runs it on the generated
months; `python3 examples/taxi.py DIR` reads DIR/fhvhv_{feb,apr}.csv."""
import os
import sys
import time

t0 = time.perf_counter()
from dusk import LocalCluster, Client  # noqa: E402
import dusk.dataframe as dd  # noqa: E402


def timed(label, fn):
    start = time.perf_counter()
    out = fn()
    print(f"--- {label}: {time.perf_counter() - start:.3f} s")
    return out


data = sys.argv[1] if len(sys.argv) > 1 else "data"
cluster = LocalCluster()
client = Client(cluster)
print(f"--- import + LocalCluster + Client: {time.perf_counter() - t0:.3f} s "
      f"({cluster})")
apr = dd.read_csv(os.path.join(data, "fhvhv_apr.csv"))
feb = dd.read_csv(os.path.join(data, "fhvhv_feb.csv"))
both = dd.concat([feb, apr], axis=0)
clean = apr.fillna(value=0)
print(timed("clean.head(5)", lambda: clean.head(5)))
print(timed('clean.groupby("PULocationID").count().compute()',
            lambda: clean.groupby("PULocationID").count().compute()))
print(timed("clean[clean.PULocationID > 200].head(10)",
            lambda: clean[clean.PULocationID > 200].head(10)))
print(timed('both.groupby("PULocationID").count().compute()',
            lambda: both.groupby("PULocationID").count().compute()))
print(timed("len(both)", lambda: len(both)))
client.close()
cluster.close()
