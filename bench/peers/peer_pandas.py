#!/usr/bin/python3
"""pandas' side of bench/taxi.py: one query on one or two CSV files, in one
process (imports included in the driver's wall time).  Run with Debian's
/usr/bin/python3.

  /usr/bin/python3 bench/peers/peer_pandas.py {groupby|fillna_groupby|filter_head|concat_groupby|len|merge_groupby} A.csv [B.csv]

Plain pd.read_csv (C engine, inferred dtypes, all columns) then the same
operations as the dusk expression.
"""
import time

import pandas as pd

from common import args, emit, groups_of, sizes_of

q, a, b = args()
t0 = time.perf_counter()
if q == "groupby":
    r = pd.read_csv(a).groupby("PULocationID").count()
    emit("pandas", q, len(r), time.perf_counter() - t0, groups=groups_of(r))
elif q == "fillna_groupby":
    r = pd.read_csv(a).fillna(0).groupby("PULocationID").count()
    emit("pandas", q, len(r), time.perf_counter() - t0, groups=groups_of(r))
elif q == "filter_head":
    r = pd.read_csv(a).fillna(0).query("PULocationID > 200").head(10)
    emit("pandas", q, len(r), time.perf_counter() - t0,
         head=[[int(x), int(y)] for x, y in zip(r["PULocationID"], r["DOLocationID"])],
         index=[int(i) for i in r.index])
elif q == "concat_groupby":
    r = pd.concat([pd.read_csv(a), pd.read_csv(b)]).groupby("PULocationID").count()
    emit("pandas", q, len(r), time.perf_counter() - t0, groups=groups_of(r))
elif q == "merge_groupby":
    r = pd.read_csv(a).merge(pd.read_csv(b), left_on="PULocationID",
                             right_on="LocationID").groupby("Borough").size()
    emit("pandas", q, len(r), time.perf_counter() - t0, groups=sizes_of(r))
else:
    n = len(pd.read_csv(a))
    emit("pandas", q, 1, time.perf_counter() - t0, len=n)
