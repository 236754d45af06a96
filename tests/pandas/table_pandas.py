#!/usr/bin/python3
"""table_pandas.py SPEC OUT - what pandas prints for the tables in SPEC.

check_table writes SPEC, a JSON list of tables:
  {"nindex": k, "nrows": n,
   "cols": [{"name": <hex of UTF-8>, "type": "int64" | "float64" | "bool"
             | "string", "values": [...]}]}
with values as JSON ints, float.hex() strings, JSON bools or hex of UTF-8
bytes, and null for a missing value.  Each table becomes the DataFrame
dusk's writers stand for (int and bool columns with a null become pandas'
nullable "Int64" / "boolean", strings are object columns with NaN for
missing values, the first k columns become the index), and OUT receives,
per table, "<csv bytes> <text bytes>\n" followed by DataFrame.to_csv() and
what print(df) writes, both UTF-8.

Exit status 3 means pandas cannot be imported, so the caller skips the
comparison.  Run it with COLUMNS=80 so print() assumes an 80-column
terminal whatever the caller's terminal is.
"""
import io
import json
import sys

try:
    import numpy as np
    import pandas as pd
except ImportError:
    sys.exit(3)


def column(spec):
    kind, values = spec["type"], spec["values"]
    nulls = any(v is None for v in values)
    if kind == "int64":
        if nulls:
            return pd.array(values, dtype="Int64")
        return np.array(values, dtype=np.int64)
    if kind == "float64":
        return np.array(
            [np.nan if v is None else float.fromhex(v) for v in values],
            dtype=np.float64,
        )
    if kind == "bool":
        if nulls:
            return pd.array(values, dtype="boolean")
        return np.array(values, dtype=bool)
    if kind == "string":
        out = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            out[i] = np.nan if v is None else bytes.fromhex(v).decode("utf-8")
        return out
    raise ValueError(f"unknown column type {kind!r}")


def two_level_frame(spec, names):
    """Data column names holding \\x1f are two-level labels (dusk's
    DUSK_LEVEL_SEP): pandas' MultiIndex of columns, a plain name among
    them being (name, "")."""
    k = spec["nindex"]
    cols = [column(c) for c in spec["cols"]]
    df = pd.DataFrame(index=pd.RangeIndex(spec["nrows"]))
    for i in range(k, len(cols)):
        df[i] = cols[i]
    df.columns = pd.MultiIndex.from_tuples(
        [tuple(n.split("\x1f", 1)) if "\x1f" in n else (n, "")
         for n in names[k:]])
    if k > 0:
        idx = pd.DataFrame(index=pd.RangeIndex(spec["nrows"]))
        for i in range(k):
            idx[i] = cols[i]
        idx.columns = pd.Index(names[:k], dtype=object)
        df.index = idx.set_index(names[:k]).index
    return df


def frame(spec):
    names = [bytes.fromhex(c["name"]).decode("utf-8") for c in spec["cols"]]
    if any("\x1f" in n for n in names[spec["nindex"]:]):
        return two_level_frame(spec, names)
    df = pd.DataFrame(index=pd.RangeIndex(spec["nrows"]))
    for i, c in enumerate(spec["cols"]):
        df[i] = column(c)
    df.columns = pd.Index(names, dtype=object)
    if spec["nindex"] > 0:
        df = df.set_index(names[: spec["nindex"]])
    return df


def main():
    with open(sys.argv[1], "rb") as f:
        specs = json.load(f)
    with open(sys.argv[2], "wb") as out:
        for spec in specs:
            df = frame(spec)
            csv = df.to_csv().encode("utf-8")
            buf = io.StringIO()
            print(df, file=buf)
            text = buf.getvalue().encode("utf-8")
            out.write(f"{len(csv)} {len(text)}\n".encode("ascii"))
            out.write(csv)
            out.write(text)


if __name__ == "__main__":
    main()
