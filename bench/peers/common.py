"""Shared bits of the Python peers of bench/taxi.py (pandas, Dask).

Every peer prints ONE JSON line on stdout describing its answer, so the
work cannot be optimised away and the driver can compare answers:
  {"system", "query", "result_rows",
   "groups": {key: [count of first column, count of SR_Flag]}   (groupby;
             merge_groupby: {Borough: [size, size]})
   "head":   [[PULocationID, DOLocationID], ...]                 (filter_head)
   "len":    N                                                    (len)
   "inner_s": seconds from after imports to the answer (info only)}
"""
import json
import math
import sys

QUERIES = ("groupby", "fillna_groupby", "filter_head", "concat_groupby", "len",
           "merge_groupby")


def args():
    if len(sys.argv) < 3 or sys.argv[1] not in QUERIES:
        sys.exit("usage: %s {%s} FILE_A [FILE_B]" % (sys.argv[0], "|".join(QUERIES)))
    q, a = sys.argv[1], sys.argv[2]
    b = sys.argv[3] if len(sys.argv) > 3 else None
    if q in ("concat_groupby", "merge_groupby") and b is None:
        sys.exit("%s needs FILE_B" % q)
    return q, a, b


def _key(k):
    if isinstance(k, float):
        if math.isnan(k):
            return None
        if k.is_integer():
            k = int(k)
    return str(k)


def groups_of(pdf):
    """pandas groupby(...).count() frame (index = key) -> {key: [c0, SR_Flag]}."""
    first = pdf.columns[0]
    return {_key(k): [int(r[first]), int(r["SR_Flag"])] for k, r in pdf.iterrows()}


def sizes_of(series):
    """groupby(...).size() Series -> {key: [size, size]} (the groups' shape)."""
    return {_key(k): [int(v), int(v)] for k, v in series.items()}


def emit(system, query, result_rows, inner_s, **kw):
    out = {"system": system, "query": query, "result_rows": int(result_rows),
           "inner_s": round(inner_s, 3)}
    out.update(kw)
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
