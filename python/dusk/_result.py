"""Result tables (dusk._core.Table) as the pandas objects pandas itself
would give for the same computation: dtypes as pandas' read_csv makes them
(an integer column with a null anywhere in the file is float64, a bool
column with a null is object, text is object with NaN for missing values),
group keys as the index under their names, value_counts as a Series named
after its column, len as an int.

Without numpy/pandas, results are plain Python: a dict of column -> list
for frames, a dict of index -> value for series, an int for len."""
import math

try:
    import numpy as np
    import pandas as pd
except ImportError:  # results as plain Python
    np = pd = None

_NAN = math.nan


# pandas' nullable dtypes (dusk.h dusk_table_column_pandas_dtype): the
# numpy dtype of their values, the fill of a null, their array type.
_MASKED = {} if pd is None else {
    "Int64": (np.int64, 0, pd.arrays.IntegerArray),
    "Float64": (np.float64, 0.0, pd.arrays.FloatingArray),
    "boolean": (bool, False, pd.arrays.BooleanArray),
}


def _values(a):
    """A column's values for a frame or Series: numpy's, or pandas'
    nullable array as it is."""
    return a if isinstance(a, pd.api.extensions.ExtensionArray) else \
        np.asarray(a)


def _numpy(a):
    """A nullable array's values as numpy holds them (ints and bools as
    such, float64 with NaN where one holds NA); numpy's as they are."""
    if not isinstance(a, tuple(m[2] for m in _MASKED.values())):
        return a
    if a.isna().any():
        return a.to_numpy(dtype=np.float64, na_value=np.nan)
    return a.to_numpy(dtype=a.dtype.numpy_dtype)


def _array(table, i):
    """Column i as the numpy array pandas would hold it in, filled by the
    extension in one pass (ints widened to float64 and nulls as NaN where
    pandas' dtype says so)."""
    nrows = table.shape[0]
    typ = table.column_type(i)
    # The engine knows whether the file's column held a null anywhere it
    # read, which decides pandas' dtype (dusk.h: pandas_dtype).
    pdt = table.pandas_dtype(i)
    if typ in ("datetime64[ns]", "timedelta64[ns]", "date"):
        arr = np.empty(nrows, dtype=np.int64)  # NaT where null
        name, _, _, _ = table.column(i, _NAN, arr)
        arr = arr.view("m8[ns]" if typ[0] == "t" else "M8[ns]")
        if typ == "date":  # pandas' .dt.date: datetime.date objects, NaT
            # (marked _Dates: pandas would read an array of NaT alone back
            # as datetime64, so the builders keep it object)
            return name, pd.Series(arr).dt.date.to_numpy(
                dtype=object).view(_Dates)
        return name, arr
    if pdt in _MASKED:  # pandas' nullable arrays: values and a mask
        arr = np.empty(nrows, dtype=_MASKED[pdt][0])
        name, _, _, valid = table.column(i, _MASKED[pdt][1], arr)
        mask = np.zeros(nrows, dtype=bool) if valid is None else \
            np.frombuffer(valid, dtype=np.uint8) == 0
        return name, _MASKED[pdt][2](arr, mask)
    dtype = {"string": object, "bool": object if pdt == "object" else bool,
             "int64": np.float64 if pdt == "float64" else np.int64,
             "float64": np.float64}[typ]
    arr = np.empty(nrows, dtype=dtype)
    name, _, _, valid = table.column(i, _NAN, arr)
    if valid is not None and dtype is np.int64:
        # pandas_dtype said int64 but the table holds a null (it cannot,
        # by its contract; kept honest rather than silently zero).
        raise ValueError(f"column {name!r} has nulls but an int64 dtype")
    return name, arr


if np is not None:
    class _Dates(np.ndarray):
        """An object array of datetime.date values (.dt.date), which the
        builders keep of object dtype."""
else:
    _Dates = None


def _plain_column(table, i):
    name, typ, values, valid = table.column(i, None)
    if typ == "string":
        return name, list(values)
    import array
    import datetime
    code = {"int64": "q", "float64": "d", "bool": "B"}.get(typ, "q")
    out = array.array(code, values).tolist()
    if typ == "bool":
        out = [bool(v) for v in out]
    elif typ == "datetime64[ns]":  # microsecond precision in plain Python
        epoch = datetime.datetime(1970, 1, 1)
        out = [epoch + datetime.timedelta(microseconds=v // 1000) for v in out]
    elif typ == "date":
        epoch = datetime.date(1970, 1, 1)
        out = [epoch + datetime.timedelta(days=v // 86400000000000)
               for v in out]
    elif typ == "timedelta64[ns]":
        out = [datetime.timedelta(microseconds=v // 1000) for v in out]
    if valid is not None:
        out = [v if ok else None for v, ok in zip(out, valid)]
    return name, out


def _index(table, cols, nan_level=True):
    """The pandas index of a table's index columns (row labels, group
    keys, value_counts values, describe's statistic names).  nan_level:
    a missing key is a NaN value of its MultiIndex level, as groupby
    (dropna=False) gives it; else it is coded -1, as set_index gives."""
    if not cols:
        return None
    if len(cols) == 1:
        name, arr = cols[0]
        return _key_index(arr, name or None)
    mi = pd.MultiIndex.from_arrays([a for _, a in cols],
                                   names=[n or None for n, _ in cols])
    if nan_level and any((c == -1).any() for c in mi.codes):
        # A missing group key (groupby(dropna=False)): pandas keeps NaN as
        # a value of its level, where from_arrays codes it -1.
        levels, codes = [], []
        for lev, code in zip(mi.levels, mi.codes):
            if (code == -1).any():
                code = code.copy()
                code[code == -1] = len(lev)
                lev = lev.insert(len(lev), float("nan"))  # NaT for dates
            levels.append(lev)
            codes.append(code)
        mi = pd.MultiIndex(levels=levels, codes=codes, names=mi.names)
    return mi


def _key_index(arr, name, na=None):
    """An index of key values.  Dates stay objects, their missing key NaN
    as pandas' groupby(dropna=False) gives it (value_counts keeps NaT:
    na=pd.NaT)."""
    if isinstance(arr, _Dates):
        missing = np.nan if na is None else na
        vals = np.array([missing if v is pd.NaT else v
                         for v in np.asarray(arr)], dtype=object)
        return pd.Index(vals, name=name, dtype=object)
    if getattr(arr, "dtype", None) == object and len(arr) and \
            pd.isna(arr).all():
        # text keys stay text even when every one is missing
        return pd.Index(arr, name=name, dtype=object)
    return pd.Index(arr, name=name)


# Between the two levels of a result column's label (dusk.h's
# DUSK_LABEL_LEVEL_SEP).
_LEVEL_SEP = "\x1f"


def _frame(index, cols):
    # copy=False keeps each column its own block: consolidating same-dtype
    # columns would copy every one of them (pandas does it later if needed).
    df = pd.DataFrame({i: _values(a) for i, (_, a) in enumerate(cols)},
                      index=index, copy=False)
    for i, (_, a) in enumerate(cols):
        if isinstance(a, _Dates) and df[i].dtype != object:
            df[i] = df[i].astype(object)  # NaT alone read as datetime64
    names = [n for n, _ in cols]
    if any(_LEVEL_SEP in n for n in names):
        # (column, function) labels, as pandas' agg(["sum", "mean"]): a
        # plain name among them is (name, "")
        df.columns = pd.MultiIndex.from_tuples(
            [tuple(n.split(_LEVEL_SEP, 1)) if _LEVEL_SEP in n else (n, "")
             for n in names])
    else:
        df.columns = pd.Index(names, dtype=object)
    return df


def to_pandas(table, shape, name):
    """The pandas result of a computation whose plan ends in `shape` (see
    dataframe._Lazy); name is the Series name where one is selected."""
    nrows, ncols, nindex = table.shape
    if shape == "len":
        _, _, values, _ = table.column(ncols - 1, None)
        return int.from_bytes(values[:8], "little", signed=True)
    if pd is None:
        return _to_plain(table, shape, name)
    if shape == "to_csv":
        files = [table.column(i, None) for i in range(ncols)]
        for n, typ, values, _ in files:
            if n == "file":
                return list(values)
        raise ValueError("to_csv returned no file list")
    cols = [_array(table, i) for i in range(ncols)]
    # a frame's index columns are a set_index's keys (or the row labels)
    index = _index(table, cols[:nindex], nan_level=shape != "frame")
    values = cols[nindex:]
    if index is None:
        index = pd.RangeIndex(nrows)
    if shape == "value_counts":
        (_, counts), = values
        idx = _key_index(cols[0][1], None, pd.NaT)
        return pd.Series(counts, index=idx, name=name)
    if shape == "agg_size":
        (_, counts), = values
        return pd.Series(counts, index=index, name=name)
    if shape == "reduce_column":
        # A whole column's reduction: a numpy scalar, as pandas returns
        # (NaN where nothing was left to reduce).
        (_, v), = values
        if v.dtype.kind == "M":  # pandas' scalars for datetimes
            return pd.Timestamp(v[0])
        if v.dtype.kind == "m":
            return pd.Timedelta(v[0])
        return v[0]
    if shape == "reduce_frame":
        # One value per column, a Series indexed by the column names with
        # the dtype pandas gives such a row (int64, float64 or object).
        # (pandas' nullable columns give numpy's values there too)
        row = _frame(pd.RangeIndex(1), [(n, _numpy(a)) for n, a in values])\
            .iloc[0]
        row.name = None
        return row
    if shape in ("agg_series", "column"):
        (_, v), = values
        return pd.Series(_values(v), index=index, name=name,
                         dtype=object if isinstance(v, _Dates) else None)
    return _frame(index, values)


def _to_plain(table, shape, name):
    nrows, ncols, nindex = table.shape
    cols = [_plain_column(table, i) for i in range(ncols)]
    if shape == "to_csv":
        return dict(cols).get("file", [])
    if shape in ("value_counts", "agg_size", "agg_series", "column"):
        keys = list(zip(*[c for _, c in cols[:nindex]])) if nindex else \
            [(i,) for i in range(nrows)]
        keys = [k[0] if len(k) == 1 else k for k in keys]
        return dict(zip(keys, cols[-1][1]))
    return {n: c for n, c in cols}


def meta_frame(table):
    """An empty pandas frame with a head(0) table's columns and dtypes."""
    if pd is None:
        raise NotImplementedError("columns and dtypes need pandas")
    nrows, ncols, nindex = table.shape
    cols = [_array(table, i) for i in range(ncols)][nindex:]
    return _frame(pd.RangeIndex(0), cols)
