"""dusk.dataframe - lazy dataframes over CSV files, with Dask's API.

    import dusk.dataframe as dd
    df = dd.read_csv("fhvhv_*.csv")
    df[(df.PULocationID > 200) & (df.SR_Flag == 1)].head(10)
    df.fillna(0).groupby("PULocationID").count().compute()

Every method builds a plan through libdusk (the same builders as the C API
and the `dusk` CLI); nothing runs until compute(), head(), len() or
to_csv().  Results are pandas objects equal to what pandas computes on the
same files (dtypes and index included); without pandas installed they are
dicts of lists.

Boolean masks are written as pandas' query language (`df.x > 3` becomes
the query "`x` > 3"), so a mask may only select rows of the frame it was
made from.  What dusk cannot do raises NotImplementedError naming it.
"""
import glob as _glob
import itertools
import math
import os

from . import _core
from . import default_client
from ._result import to_pandas, meta_frame, _LEVEL_SEP

__all__ = ["read_csv", "concat", "to_datetime", "DataFrame", "Series",
           "Scalar", "from_expression"]


def _parse_size(blocksize):
    """Dask's blocksize: an int of bytes, None (the default) or "64MB"."""
    if blocksize is None or blocksize == "default":
        return 0
    if isinstance(blocksize, bool):
        raise TypeError("blocksize must be a number of bytes or a size string")
    if isinstance(blocksize, int):
        if blocksize <= 0:
            raise ValueError("blocksize must be positive")
        return blocksize
    if isinstance(blocksize, str):
        s = blocksize.strip().upper().replace(" ", "")
        units = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30),
                 ("TIB", 1 << 40), ("KB", 10**3), ("MB", 10**6),
                 ("GB", 10**9), ("TB", 10**12), ("B", 1)]
        for unit, mult in units:
            if s.endswith(unit):
                try:
                    n = float(s[:-len(unit)])
                except ValueError:
                    break
                if not (n > 0) or math.isinf(n):
                    break
                return max(1, int(n * mult))
        try:
            return _parse_size(int(s))
        except ValueError:
            pass
        raise ValueError(f"blocksize {blocksize!r} is not a size "
                         "(an int of bytes or e.g. '64MB', '16MiB')")
    raise TypeError("blocksize must be a number of bytes or a size string")


def _expand(path):
    """A path, glob or list as absolute paths (checked here for local
    files, as Dask does at read_csv time: a missing file is a
    FileNotFoundError now, not at compute)."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if isinstance(path, str):
        paths = [path]
    elif isinstance(path, (list, tuple)) and all(
            isinstance(p, (str, os.PathLike)) for p in path):
        paths = [os.fspath(p) for p in path]
    else:
        raise TypeError("read_csv takes a path, a glob or a list of them")
    if not paths:
        raise ValueError("read_csv: no paths")
    out = []
    for p in paths:
        if "://" in p:
            scheme = p.split("://")[0].lower()
            if scheme not in ("s3", "http", "https"):
                raise NotImplementedError(
                    f"read_csv: {scheme}:// paths are not supported (s3://, "
                    "http:// and https:// are)")
            out.append(p)  # the scheduler lists and checks it
            continue
        p = os.path.abspath(os.path.expanduser(p))
        if any(ch in p for ch in "*?["):
            matches = sorted(_glob.glob(p))
            if not matches:
                raise FileNotFoundError(f"{p}: no file matches")
            out.append(p)  # the scheduler expands it the same way
        elif not os.path.exists(p):
            raise FileNotFoundError(f"{p}: No such file or directory")
        else:
            out.append(p)
    return out


def _npartitions(paths, blocksize):
    """Partitions as the scheduler cuts them: ceil(size / blocksize) per
    file (at least one), over the files matched now."""
    bs = blocksize or (64 << 20)
    n = 0
    for p in paths:
        files = sorted(_glob.glob(p)) if any(c in p for c in "*?[") else [p]
        for f in files:
            try:
                size = os.path.getsize(f)
            except OSError:
                return None
            n += max(1, -(-size // bs))
    return n


# numpy's int and bool spellings hold no missing value: a read meeting
# one fails as pandas' raises; pandas' nullable Int64 and boolean hold it.
_DTYPE_NAMES = {
    "int64": "int64", "int": "int64", "Int64": "Int64", "int32": "int64",
    "float64": "float64", "float": "float64", "float32": "float64",
    "bool": "bool", "boolean": "boolean",
    "str": "str", "object": "str", "string": "str",
}


def _dtype_name(t):
    if isinstance(t, type):
        t = {int: "int64", float: "float64", bool: "bool", str: "str",
             object: "str"}.get(t, t.__name__)
    name = str(t)
    if name not in _DTYPE_NAMES:
        raise NotImplementedError(
            f"read_csv: dtype {name!r} (dusk reads int64, float64, bool "
            "and str/object columns)")
    return _DTYPE_NAMES[name]


def read_csv(urlpath, blocksize="default", usecols=None, dtype=None,
             sep=",", parse_dates=None, storage_options=None, **kwargs):
    """A lazy frame over CSV files: a path, a glob ("fhv_*.csv") or a list
    of them.  blocksize is the partition size (bytes or "64MB"), usecols
    a list of columns to read, dtype a dict of column -> type, sep one
    character, parse_dates a list of columns read as datetime64[ns] (ISO
    dates and times, "2021-04-01 18:06:26"; a value that is no date-time
    leaves the column text, as in pandas, and one pandas reads as a
    date-time in another form or with a time zone, which dusk does not, is
    a NotImplementedError naming its line).  Paths may be URLs: s3://bucket/key (a glob
    lists the bucket), http:// and https://; each worker reads its own
    byte ranges from the store.  storage_options={"anon": True} reads a
    public bucket without credentials (others are found as the AWS SDKs
    find them, on each worker).  Other pandas options raise
    NotImplementedError."""
    delimiter = kwargs.pop("delimiter", None)
    if delimiter is not None:
        sep = delimiter
    for k in list(kwargs):
        if k in ("assume_missing", "sample") or (k == "header" and
                                                  kwargs[k] in (0, "infer")):
            kwargs.pop(k)
    if kwargs:
        raise NotImplementedError(
            "read_csv: dusk does not support " + ", ".join(sorted(kwargs)))
    paths = _expand(urlpath)
    bs = _parse_size(blocksize)
    if usecols is not None:
        usecols = list(usecols)
        if not all(isinstance(c, str) for c in usecols):
            raise NotImplementedError("read_csv: usecols by name only")
    dt = None
    if dtype is not None:
        if not isinstance(dtype, dict):
            raise NotImplementedError(
                "read_csv: dtype must be a dict of column -> type")
        dt = {str(k): _dtype_name(v) for k, v in dtype.items()}
    if parse_dates not in (None, False):
        if parse_dates is True or not all(isinstance(c, str)
                                          for c in parse_dates):
            raise NotImplementedError(
                "read_csv: parse_dates as a list of column names")
        dt = dict(dt or {})
        dt.update({c: "datetime64[ns]" for c in parse_dates})
    if not isinstance(sep, str) or len(sep) != 1:
        raise NotImplementedError("read_csv: sep must be one character")
    storage_options = dict(storage_options or {})
    anon = bool(storage_options.pop("anon", False))
    if storage_options:
        raise NotImplementedError(
            "read_csv: storage_options supports only anon (credentials come "
            "from the environment, ~/.aws or the instance role): not " +
            ", ".join(sorted(storage_options)))
    frame = _core.read_csv(paths, bs, usecols, dt, sep, anon)
    return DataFrame(frame, _npartitions(paths, bs))


def concat(dfs, axis=0, join="outer", interleave_partitions=False,
           ignore_index=False, **kwargs):
    """Rows of dfs one after another (axis=0), as dask.dataframe.concat."""
    if axis not in (0, "index"):
        raise NotImplementedError("concat: only axis=0")
    if ignore_index:
        raise NotImplementedError("concat: ignore_index=True")
    if kwargs:
        raise NotImplementedError(
            "concat: dusk does not support " + ", ".join(sorted(kwargs)))
    dfs = list(dfs)
    if not dfs or not all(isinstance(d, DataFrame) for d in dfs):
        raise TypeError("concat takes a non-empty list of dusk DataFrames")
    for d in dfs:
        d._need_open("concat")
    parts = [d._npartitions for d in dfs]
    n = None if any(p is None for p in parts) else sum(parts)
    return DataFrame(_core.concat([d._frame for d in dfs]), n)


def merge(left, right, how="inner", on=None, left_on=None, right_on=None,
          suffixes=("_x", "_y"), **kwargs):
    """pandas' merge(left, right, ...): left.merge(right, ...)."""
    if not isinstance(left, DataFrame):
        raise TypeError("merge: left is not a dusk DataFrame")
    return left.merge(right, how=how, on=on, left_on=left_on,
                      right_on=right_on, suffixes=suffixes, **kwargs)


def _merge_keys(keys, what):
    if keys is None:
        return None
    keys = [keys] if isinstance(keys, str) else list(keys)
    if not keys or not all(isinstance(k, str) for k in keys):
        raise NotImplementedError(
            f"merge: {what} must be a column name or a list of them")
    return keys


def to_datetime(arg, errors="raise", dayfirst=False, yearfirst=False,
                utc=None, format=None, **kwargs):
    """dask.dataframe.to_datetime of a text column (or expression) holding
    ISO date-times (YYYY-MM-DD[ HH:MM[:SS[.f]]], what parse_dates reads),
    lazily: datetime64[ns], NaT for an empty value; another value is an
    error naming it (errors="raise", as pandas) or NaT ("coerce")."""
    if not isinstance(arg, (Series, Expr)):
        raise NotImplementedError("to_datetime of a dusk column or "
                                  "expression (pandas' for other values)")
    if dayfirst or yearfirst or utc or kwargs:
        raise NotImplementedError("to_datetime: dayfirst, yearfirst, utc "
                                  "and other options")
    if format is not None and format not in ("%Y-%m-%d %H:%M:%S",
                                             "%Y-%m-%d", "ISO8601"):
        raise NotImplementedError(
            f"to_datetime: format {format!r}; ISO date-times only")
    if errors not in ("raise", "coerce"):
        raise NotImplementedError(
            "to_datetime: errors='ignore' (it would leave a text column)")
    e = arg._expr() if isinstance(arg, Series) else arg
    extra = ', errors="coerce"' if errors == "coerce" else ""
    return Expr(e._df, f"to_datetime({e._text}{extra})", False)


def from_expression(expression):
    """A frame from the dusk CLI's query language, e.g.
    from_expression('read_csv("a.csv").groupby("k").count()')."""
    return _Lazy._wrap(_core.parse(expression))


# ---- expressions (boolean masks and arithmetic) ---------------------------

def _literal(v):
    if isinstance(v, Scalar):  # a lazy scalar stands as its value
        v = v.compute()
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise NotImplementedError(
                "comparing with NaN or inf (use .isnull() / .notnull())")
        return repr(v)
    if isinstance(v, str):
        out = v.replace("\\", "\\\\").replace('"', '\\"').replace(
            "\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        return '"' + out + '"'
    import datetime
    if isinstance(v, datetime.datetime):  # pandas' Timestamp (and NaT) too
        if v != v:  # NaT
            raise NotImplementedError(
                "comparing with NaT (use .isnull() / .notnull())")
        if v.tzinfo is not None:
            raise NotImplementedError("time zones in a datetime literal")
        # A datetime value, not text: pandas subtracts a Timestamp from a
        # datetime column (a timedelta) where it refuses a string.
        return f"to_datetime({_literal(v.isoformat(sep=' '))})"
    if isinstance(v, datetime.timedelta):  # pandas' Timedelta too
        return f"to_timedelta({_literal(_timedelta_text(v))})"
    if isinstance(v, datetime.date):
        # a date, as .dt.date gives (a date-time string would compare as
        # the day's midnight, where pandas finds no datetime equal to it)
        return f"to_datetime({_literal(v.isoformat())}).dt.date"
    try:
        import numpy as np
        if isinstance(v, np.datetime64):
            return "to_datetime(" + _literal(
                "NaT" if np.isnat(v) else
                str(np.datetime_as_string(v, unit="ns"))) + ")"
        if isinstance(v, np.timedelta64):
            return "to_timedelta(" + _literal(
                "NaT" if np.isnat(v) else _timedelta_text(
                    int(v.astype("timedelta64[ns]").astype("int64")))) + ")"
        if isinstance(v, np.generic):
            return _literal(v.item())
    except ImportError:
        pass
    if v is None:
        raise NotImplementedError(
            "comparing with None (use .isnull() / .notnull())")
    raise NotImplementedError(
        f"a {type(v).__name__} in an expression (numbers, str and bool)")


# The strings pandas' Timestamp() and Timedelta() read as NaT
# (df/fieldparse.c is_nat_text).
_NAT_TEXT = frozenset(["", "NaT", "nat", "NAT", "nan", "NaN", "NAN"])


def _is_nat_value(v):
    """pandas' NaT, a NaT numpy datetime64 / timedelta64."""
    import datetime
    if isinstance(v, (datetime.datetime, datetime.timedelta)):
        return v != v
    try:
        import numpy as np
        if isinstance(v, (np.datetime64, np.timedelta64)):
            return bool(np.isnat(v))
    except ImportError:
        pass
    return False


def _timedelta_text(v):
    """A timedelta (or int nanoseconds) as pandas prints a Timedelta,
    "0 days 00:05:00", "-1 days +23:59:59.5": the text the engine's
    to_timedelta reads back exactly."""
    if not isinstance(v, int):
        ns = getattr(v, "value", None)  # pandas' Timedelta: nanoseconds
        if not isinstance(ns, int):
            if v != v:  # NaT
                return "NaT"
            ns = ((v.days * 86400 + v.seconds) * 10**6 +
                  v.microseconds) * 1000
        v = ns
    days, rest = divmod(v, 86400 * 10**9)  # rest >= 0, as pandas shows it
    secs, frac = divmod(rest, 10**9)
    return (f"{days} days {'+' if days < 0 else ''}{secs // 3600:02d}:"
            f"{secs // 60 % 60:02d}:{secs % 60:02d}" +
            (f".{frac:09d}" if frac else ""))


class _MissingCounts:
    """df.isna() of a lazy frame: its column reductions.  Each gives a lazy
    Series (.compute()) indexed by column, as pandas' df.isna().sum()."""

    __slots__ = ("_df",)

    def __init__(self, df):
        self._df = df

    def _per_column(self, how):
        counts = self._df._reduce("count", None)
        df = self._df

        def finish(nonnull):
            n = len(df)
            return how(n - nonnull.astype("int64"), n)
        return counts._with_finish(finish)

    def sum(self, axis=0, **kw):
        """Missing values per column."""
        _check_reduce_args("sum", dict(kw, axis=axis))
        return self._per_column(lambda miss, n: miss)

    def mean(self, axis=0, **kw):
        """The share of missing values per column."""
        _check_reduce_args("mean", dict(kw, axis=axis))
        return self._per_column(lambda miss, n: miss / n if n else
                                miss.astype("float64") * float("nan"))

    def any(self, axis=0, **kw):
        if axis not in (0, "index") or kw:
            raise NotImplementedError("isna().any(): axis=0 only")
        return self._per_column(lambda miss, n: miss > 0)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotImplementedError(
            f"isna().{name}: dusk has isna().sum(), .mean() and .any()")


def _write_result_csv(result, filename, kwargs):
    """to_csv of a computed result (an aggregation's, or rows dusk gathers;
    computed at once, as Dask's to_csv runs): written by pandas' to_csv
    (with its options) as the one part of a one-partition frame -
    filename/0.part, or filename with its * as 0.  Returns [the file]."""
    d = os.path.abspath(os.fspath(filename))
    name = "0.part"
    if "*" in os.path.basename(d):
        d, name = os.path.dirname(d), os.path.basename(d).replace("*", "0")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    result.to_csv(path, **kwargs)
    return [path]


def _no_attribute(kind, name):
    """The error for a missing attribute: NotImplementedError naming it
    when pandas' own type has it (dusk does not run it yet), else
    AttributeError as Python's."""
    try:
        import pandas as pd
        from pandas.core.groupby import DataFrameGroupBy
        ptype = {"DataFrame": pd.DataFrame, "Series": pd.Series,
                 "GroupBy": DataFrameGroupBy}[kind]
        known = hasattr(ptype, name)
    except ImportError:
        known = False
    if known:
        return NotImplementedError(
            f"{kind}.{name}: pandas has it, dusk does not run it (yet); "
            "compute() a result and go on in pandas (the README's "
            "Dataframes section lists what dusk runs)")
    return AttributeError(f"'{kind}' object has no attribute {name!r}")


def _seed(random_state):
    """A 64-bit seed from pandas' random_state: an int as it is, a numpy
    RandomState or Generator drawn from, None fresh from the OS."""
    import numbers
    if random_state is None:
        import random
        return random.SystemRandom().getrandbits(64)
    if isinstance(random_state, numbers.Integral) and \
            not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError("random_state must be >= 0")
        return int(random_state) & (2 ** 64 - 1)
    import numpy as np
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2 ** 32, dtype=np.uint64))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2 ** 64, dtype=np.uint64))
    raise TypeError("random_state must be an int, a numpy RandomState or "
                    "Generator, or None")


def _column_ref(name):
    if "`" in name or "\n" in name:
        raise NotImplementedError(
            f"column name {name!r} cannot be written in a query")
    return "`" + name + "`"


def _resolve_at(expr, local_dict, global_dict):
    """expr with each @name outside quotes replaced by that variable's
    value as a literal (a list or tuple as several, for `in`)."""
    import re
    out, i, n = [], 0, len(expr)
    while i < n:
        c = expr[i]
        if c in "'\"`":
            j = i + 1
            while j < n and expr[j] != c:
                j += 2 if expr[j] == "\\" else 1
            out.append(expr[i:j + 1])
            i = j + 1
            continue
        if c == "@":
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", expr[i + 1:])
            if not m:
                raise ValueError(f"query: '@' without a name at {i}")
            name = m.group(0)
            if name in local_dict:
                v = local_dict[name]
            elif name in global_dict:
                v = global_dict[name]
            else:
                raise KeyError(f"query: no variable @{name}")
            if isinstance(v, (list, tuple, set, frozenset)):
                out.append("[" + ", ".join(_literal(x) for x in v) + "]")
            else:
                out.append(_literal(v))
            i += 1 + len(name)
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _isin_text(text, values):
    """values as pandas' isin: a condition that holds where the value is
    one of them (False for none)."""
    if isinstance(values, (str, bytes)):
        raise TypeError("isin takes a list of values, not a str")
    values = list(values)
    vals = [v for v in values if not (isinstance(v, float) and v != v)]
    # a NaN among them matches the missing values, as in pandas (None
    # matches none of a file's: pandas holds them as NaN)
    parts = [f"({text} == {_literal(v)})" for v in vals if v is not None]
    if len(vals) < len(values):
        parts.append(f"({text}).isnull()")
    if not parts:
        return "False"
    return "(" + " or ".join(parts) + ")"


class _StringAccessor:
    """.str of a text column: lazy expressions for len(), the literal
    tests startswith and endswith, contains / match / fullmatch with
    regular expressions (missing where the value is, as pandas' default
    na: a filter leaves those rows out; na=True / False fill them), and
    the text-valued lower(), upper(), strip() / lstrip() / rstrip() and
    slice() (or .str[a:b])."""

    __slots__ = ("_df", "_text")

    def __init__(self, df, text):
        self._df = df
        self._text = text

    def _call(self, name, arg=None, boolean=True):
        a = "" if arg is None else _literal(arg)
        return Expr(self._df, f"({self._text}).str.{name}({a})", boolean)

    @staticmethod
    def _pattern(name, pat):
        if not isinstance(pat, str):
            raise TypeError(f"str.{name}: the pattern must be a str "
                            "(tuples of prefixes are not supported)")
        return pat

    def _na(self, name, na, test):
        """test (a bool expression, missing where the value is) with
        pandas' na: None or NaN keep the missing values (an object column
        of True, False and NaN, as pandas makes it; a filter leaves them
        out), True or False stand in for them (a bool column)."""
        if na is None or (isinstance(na, float) and math.isnan(na)):
            return test
        if type(na).__name__ == "bool_":  # numpy's
            na = bool(na)
        if na is True:
            text = f"(({self._text}).isnull() or {test._text})"
        elif na is False:
            text = f"(({self._text}).notnull() and {test._text})"
        else:
            raise NotImplementedError(
                f"str.{name}(na={na!r}): na is True, False or None (NaN) "
                "in dusk (pandas' other values make an object column)")
        return Expr(self._df, text, True)

    def len(self):
        return self._call("len", boolean=False)

    def lower(self):
        """Python's str.lower() of each value (a capital sigma, whose
        lower case depends on its place, is refused)."""
        return self._call("lower", boolean=False)

    def upper(self):
        """Python's str.upper() of each value ("ß" becomes "SS")."""
        return self._call("upper", boolean=False)

    def _strip(self, name, to_strip):
        if to_strip is not None and not isinstance(to_strip, str):
            raise TypeError(f"str.{name}: to_strip is a str or None")
        return self._call(name, to_strip, boolean=False)

    def strip(self, to_strip=None):
        """Whitespace (Python's str.isspace), or the characters of
        to_strip, taken from both ends."""
        return self._strip("strip", to_strip)

    def lstrip(self, to_strip=None):
        return self._strip("lstrip", to_strip)

    def rstrip(self, to_strip=None):
        return self._strip("rstrip", to_strip)

    def slice(self, start=None, stop=None, step=None):
        """Python's value[start:stop:step], over characters."""
        for b in (start, stop, step):
            if b is not None and (isinstance(b, bool) or
                                  not isinstance(b, int)):
                raise TypeError("str.slice: start, stop and step are ints "
                                "or None")
        if step == 0:
            raise ValueError("slice step cannot be zero")
        a = ", ".join("None" if b is None else str(b)
                      for b in (start, stop, step))
        return Expr(self._df, f"({self._text}).str.slice({a})", False)

    def __getitem__(self, key):
        """.str[1:3] is .str.slice(1, 3); .str[i] is not supported."""
        if not isinstance(key, slice):
            raise NotImplementedError(
                ".str[i] (one character) is not supported; "
                ".str[i:i + 1] gives it as text")
        return self.slice(key.start, key.stop, key.step)

    def startswith(self, pat, na=None):
        return self._na("startswith", na, self._call(
            "startswith", self._pattern("startswith", pat)))

    def endswith(self, pat, na=None):
        return self._na("endswith", na, self._call(
            "endswith", self._pattern("endswith", pat)))

    def _regex(self, name, pat, case, flags, na, extra="", regex=True):
        import re
        if isinstance(pat, re.Pattern):
            flags |= pat.flags
            pat = pat.pattern
        # re.UNICODE is every str pattern's default (PCRE2 runs with UCP);
        # the rest are PCRE2's inline flags of the same letters.
        inline = {re.MULTILINE: "m", re.DOTALL: "s", re.VERBOSE: "x"}
        other = flags & ~(re.IGNORECASE | re.UNICODE | sum(inline))
        if other:
            raise NotImplementedError(
                f"str.{name}: flags {re.RegexFlag(other)!r} (supported: "
                "IGNORECASE, MULTILINE, DOTALL, VERBOSE)")
        pat = self._pattern(name, pat)
        letters = "".join(c for f, c in inline.items() if flags & f)
        if letters and regex:
            pat = f"(?{letters})" + pat
        # pandas ignores flags when regex=False: case= alone decides
        caseless = not case or (regex and bool(flags & re.IGNORECASE))
        a = _literal(pat) + extra + (", case=False" if caseless else "")
        return self._na(name, na, Expr(
            self._df, f"({self._text}).str.{name}({a})", True))

    def contains(self, pat, case=True, flags=0, na=None, regex=True):
        """Python's re.search of pat (regex=True, pandas' default: PCRE2
        with Python's dialect), or the literal text (regex=False);
        case=False or flags=re.IGNORECASE ignore case."""
        return self._regex("contains", pat, case, flags, na,
                           "" if regex else ", regex=False", regex)

    def match(self, pat, case=True, flags=0, na=None):
        """re.match: the pattern at the start of each value."""
        return self._regex("match", pat, case, flags, na)

    def fullmatch(self, pat, case=True, flags=0, na=None):
        """re.fullmatch: the pattern over the whole value."""
        return self._regex("fullmatch", pat, case, flags, na)


class _DatetimeAccessor:
    """.dt of a datetime (or timedelta) column or expression: lazy
    expressions for the calendar fields, total_seconds() and rounding to
    a fixed frequency."""

    __slots__ = ("_df", "_text")

    def __init__(self, df, text):
        self._df = df
        self._text = text

    def _field(self, name):
        return Expr(self._df, f"({self._text}).dt.{name}", False)

    year = property(lambda self: self._field("year"))
    month = property(lambda self: self._field("month"))
    day = property(lambda self: self._field("day"))
    hour = property(lambda self: self._field("hour"))
    minute = property(lambda self: self._field("minute"))
    second = property(lambda self: self._field("second"))
    dayofweek = property(lambda self: self._field("dayofweek"))
    weekday = dayofweek
    day_of_week = dayofweek
    dayofyear = property(lambda self: self._field("dayofyear"))
    day_of_year = dayofyear
    # the day, as pandas' object column of datetime.date (NaT for NaT)
    date = property(lambda self: self._field("date"))

    def total_seconds(self):
        return self._field("total_seconds")

    def _round(self, how, freq, ambiguous, nonexistent):
        if ambiguous != "raise" or nonexistent != "raise":
            raise NotImplementedError(
                f"dt.{how}: ambiguous= and nonexistent= (no time zones)")
        if not isinstance(freq, str):  # a Timedelta or a fixed offset
            import pandas as pd
            try:
                freq = f"{pd.Timedelta(freq).value}N"
            except (TypeError, ValueError) as e:
                raise ValueError(f"dt.{how}: {freq!r} is not a fixed "
                                 "frequency") from e
        return self._field(f"{how}({_literal(freq)})")

    def floor(self, freq, ambiguous="raise", nonexistent="raise"):
        """Rounded down to a fixed frequency ("H", "15min", "D")."""
        return self._round("floor", freq, ambiguous, nonexistent)

    def ceil(self, freq, ambiguous="raise", nonexistent="raise"):
        return self._round("ceil", freq, ambiguous, nonexistent)

    def round(self, freq, ambiguous="raise", nonexistent="raise"):
        """To the nearest multiple of freq, halves to even, as pandas."""
        return self._round("round", freq, ambiguous, nonexistent)

    def normalize(self):
        """Midnight of each datetime: floor("D")."""
        return self._field("normalize()")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotImplementedError(
            f".dt.{name}: dusk has year, month, day, hour, minute, second, "
            "dayofweek, dayofyear, total_seconds(), floor, ceil, round and "
            "normalize()")


class Expr:
    """A lazy expression over the columns of one frame: what a comparison
    or arithmetic of Series gives.  Used as a mask: df[expr]."""

    __slots__ = ("_df", "_text", "_boolean")
    # A numpy scalar on the left (np.datetime64(...) - df.t, np.int64(2)
    # * df.x) then defers to our reflected operators, as with a Python
    # number, rather than asking for our values.
    __array_ufunc__ = None

    def __init__(self, df, text, boolean):
        self._df = df
        self._text = text
        self._boolean = boolean

    def _other(self, o):
        if isinstance(o, (Series, Expr)):
            if o._df is not self._df:
                raise NotImplementedError(
                    "an expression combining columns of different frames")
            return o._text
        return _literal(o)

    def _bin(self, op, o, boolean=False, reverse=False):
        a, b = self._text, self._other(o)
        if reverse:
            a, b = b, a
        return Expr(self._df, f"({a} {op} {b})", boolean)

    def _cmp(self, op, o):
        """A comparison as pandas' masks answer it.  With NaT they differ
        from its query(), which the expression language follows (README):
        a mask finds NaT equal to nothing (!= everything), where a query
        string's 'NaT' == is isnull.  So a NaT value is a constant mask of
        this side (but numpy's typed NaT ordered against the other kind,
        which pandas refuses, is refused as a typed value), and a NaT
        string ("NaT", "") is written so that a datetime side gets the
        mask's answer and a text side compares the text, as pandas
        does."""
        a = self._text
        typed = type(o).__module__ == "numpy"  # np.datetime64 / timedelta64
        if _is_nat_value(o) and not (typed and op not in ("==", "!=")):
            both = "|" if op == "!=" else "&"
            return Expr(self._df,
                        f"({a}.isnull() {both} {a}.notnull())", True)
        if isinstance(o, str) and o.strip() in _NAT_TEXT:
            b = _literal(o)
            if op == "!=":
                return Expr(self._df, f"(({a} != {b}) | {a}.isnull())", True)
            return Expr(self._df, f"(({a} {op} {b}) & {a}.notnull())", True)
        return self._bin(op, o, True)

    def __eq__(self, o): return self._cmp("==", o)
    def __ne__(self, o): return self._cmp("!=", o)
    def __lt__(self, o): return self._cmp("<", o)
    def __le__(self, o): return self._cmp("<=", o)
    def __gt__(self, o): return self._cmp(">", o)
    def __ge__(self, o): return self._cmp(">=", o)
    def __add__(self, o): return self._bin("+", o)
    def __radd__(self, o): return self._bin("+", o, reverse=True)
    def __sub__(self, o): return self._bin("-", o)
    def __rsub__(self, o): return self._bin("-", o, reverse=True)
    def __mul__(self, o): return self._bin("*", o)
    def __rmul__(self, o): return self._bin("*", o, reverse=True)
    def __truediv__(self, o): return self._bin("/", o)
    def __rtruediv__(self, o): return self._bin("/", o, reverse=True)
    def __mod__(self, o): return self._bin("%", o)
    def __rmod__(self, o): return self._bin("%", o, reverse=True)
    def __floordiv__(self, o): return self._bin("//", o)
    def __rfloordiv__(self, o): return self._bin("//", o, reverse=True)
    def __pow__(self, o): return self._bin("**", o)
    def __rpow__(self, o): return self._bin("**", o, reverse=True)

    def __neg__(self):
        return Expr(self._df, f"(-{self._text})", False)

    def _logic(self, op, o, reverse=False):
        if not isinstance(o, (Expr, Series)):
            raise TypeError(f"{op} combines masks (comparisons)")
        return self._bin(op, o, True, reverse)

    def __and__(self, o): return self._logic("and", o)
    def __rand__(self, o): return self._logic("and", o, True)
    def __or__(self, o): return self._logic("or", o)
    def __ror__(self, o): return self._logic("or", o, True)

    def __invert__(self):
        return Expr(self._df, f"(not {self._text})", True)

    def __bool__(self):
        raise ValueError(
            "the truth value of a lazy dusk expression is ambiguous: use "
            "& | ~ instead of and/or/not, and df[mask] to filter")

    __hash__ = None

    @property
    def dt(self):
        return _DatetimeAccessor(self._df, self._text)

    @property
    def str(self):
        return _StringAccessor(self._df, self._text)

    def isin(self, values):
        return Expr(self._df, _isin_text(self._text, values), True)

    def __abs__(self):
        return Expr(self._df, f"abs({self._text})", False)

    def abs(self):
        return abs(self)

    def between(self, left, right, inclusive="both"):
        """left <= x <= right (inclusive "both", "neither", "left" or
        "right", as pandas 1.5)."""
        ops = {"both": (">=", "<="), "neither": (">", "<"),
               "left": (">=", "<"), "right": (">", "<=")}
        if inclusive not in ops:
            raise ValueError("Inclusive has to be either string of 'both',"
                             "'left', 'right', or 'neither'.")
        lo, hi = ops[inclusive]
        return self._bin(lo, left, True) & self._bin(hi, right, True)

    def round(self, decimals=0):
        """numpy's round (half to even), as pandas' Series.round."""
        if not isinstance(decimals, int) or isinstance(decimals, bool) or \
                not -18 <= decimals <= 18:
            raise ValueError("round: decimals is a whole number from -18 "
                             "to 18")
        return Expr(self._df, f"round({self._text}, {decimals})", False)

    def __round__(self, ndigits=None):
        return self.round(ndigits or 0)

    def astype(self, dtype):
        """float64 or int64 (pandas refuses an int of NaN, so does dusk)."""
        kind = getattr(dtype, "__name__", None) if isinstance(dtype, type) \
            else str(dtype)
        kind = {"float": "float64", "float64": "float64", "int": "int64",
                "int64": "int64"}.get(kind)
        if kind is None:
            raise NotImplementedError(
                f"astype({dtype!r}): float64 and int64 are supported")
        return Expr(self._df, f'({self._text}).astype("{kind}")', False)

    def clip(self, lower=None, upper=None):
        """Values below lower become lower, above upper upper (numbers;
        NaN stays NaN)."""
        parts = [f"{k}={_literal(v)}" for k, v in (("lower", lower),
                                                  ("upper", upper))
                 if v is not None]
        if not parts:
            return self
        return Expr(self._df, f"({self._text}).clip({', '.join(parts)})",
                    False)

    def _where(self, how, cond, other, inplace, axis, level):
        if inplace or axis is not None or level is not None:
            raise NotImplementedError(f"{how}: inplace, axis, level")
        if callable(cond) or callable(other):
            raise NotImplementedError(f"{how}: callables")
        if isinstance(cond, Series):
            cond = cond._expr()
        if not isinstance(cond, Expr):
            raise TypeError(f"{how}: the condition must be a boolean "
                            "expression of the frame (e.g. df.x > 0)")
        na = other is None or (isinstance(other, float) and
                               math.isnan(other))
        o = "None" if na else self._other(other)
        return Expr(self._df,
                    f"({self._text}).{how}({cond._text}, {o})", False)

    def where(self, cond, other=float("nan"), inplace=False, axis=None,
              level=None):
        """The values where cond holds, other (NaN) elsewhere."""
        return self._where("where", cond, other, inplace, axis, level)

    def mask(self, cond, other=float("nan"), inplace=False, axis=None,
             level=None):
        """The values where cond does not hold, other (NaN) elsewhere."""
        return self._where("mask", cond, other, inplace, axis, level)

    def isnull(self):
        return Expr(self._df, f"({self._text}).isnull()", True)

    def notnull(self):
        return Expr(self._df, f"({self._text}).notnull()", True)

    isna, notna = isnull, notnull

    def __repr__(self):
        return f"<dusk expression: {self._text}>"

    # What a pandas Series does with the values (reductions, value_counts,
    # compute, ...): done on the expression as a column of its frame.
    _AS_SERIES = frozenset((
        "sum", "mean", "min", "max", "count", "std", "var", "nunique",
        "unique", "median", "quantile", "describe", "value_counts",
        "compute", "head", "tail", "nlargest", "nsmallest", "fillna",
        "sort_values", "drop_duplicates", "sample", "to_frame", "any",
        "all", "dropna"))

    def _series(self):
        """The expression as a column of its frame, hidden (assigned under
        a name of its own), whose results are named as pandas names the
        Series once computed (_public): after a method's receiver
        (df.t.dt.hour is "t") or the one column it reads, else unnamed."""
        col = _hidden_column(self._text)
        return self._df.assign(**{col: self})[col]

    def __getattr__(self, attr):
        if attr.startswith("_") or attr not in Expr._AS_SERIES:
            raise AttributeError(
                f"'Expr' object has no attribute {attr!r} (a dusk "
                "expression: compare, combine, .dt, .str, or reduce it)")
        return getattr(self._series(), attr)


# An expression reduces (and groups) as a hidden column of its frame.  The
# engine's messages name that column; these put the expression back in
# their place, as the user wrote it, and its results take pandas' name.
_HIDDEN = {}  # expression text -> hidden column name
# hidden column name -> (expression text, as shown, pandas' Series name)
_HIDDEN_NAMES = {}
_HIDDEN_COUNT = itertools.count()


def _pandas_name(text):
    """The name pandas gives the Series of an expression: its method's
    receiver (df.x.where(...), df.t.dt.date are "x", "t"), else the one
    column it reads (None for several)."""
    import re
    head = re.match(r"\(`((?:[^`]|``)*)`\)\.", text)
    cols = {m.replace("``", "`") for m in
            re.findall(r"`((?:[^`]|``)*)`", text)}
    return head.group(1).replace("``", "`") if head else \
        cols.pop() if len(cols) == 1 else None


def _shown(text):
    """An expression's query text as a person writes it: `x` as x where
    the name needs no quoting; string literals as they are."""
    import keyword
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':  # a literal, with \ escapes: kept
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif c == "`":  # a name, `` inside for a backtick
            j = i + 1
            while j < n and (text[j] != "`" or text[j + 1:j + 2] == "`"):
                j += 2 if text[j] == "`" else 1
            name = text[i + 1:j].replace("``", "`")
            plain = name.isidentifier() and not keyword.iskeyword(name)
            if plain and out[-1:] == ["("] and text[j + 1:j + 3] == ").":
                out.pop()  # (`s`).str.len() as s.str.len()
                j += 1
            out.append(name if plain else text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _hidden_column(text):
    """The hidden column that holds the expression text (one per text)."""
    if text not in _HIDDEN:
        name = f"__dusk_expr{next(_HIDDEN_COUNT)}"
        _HIDDEN[text] = name
        _HIDDEN_NAMES[name] = (text, _shown(text), _pandas_name(text))
    return _HIDDEN[text]


def _public(result):
    """A computed Series of a hidden expression column named as pandas
    names it."""
    name = getattr(result, "name", None) \
        if type(result).__name__ == "Series" else None
    if isinstance(name, str) and name in _HIDDEN_NAMES:
        result.name = _HIDDEN_NAMES[name][2]
    return result


def _user_words(e):
    """e's message with each hidden expression column replaced by the
    expression it holds: "cannot mean the timedelta64[ns] expression
    (t2 - t)", "(g + s): arithmetic on string ..." (the engine's
    assign(__dusk_expr0="...") prefix dropped).  The exception keeps its
    type; the message is changed in place."""
    import re
    if not e.args or not isinstance(e.args[0], str) or \
            "__dusk_expr" not in e.args[0]:
        return
    msg = e.args[0]
    for name in set(re.findall(r"__dusk_expr\d+", msg)):
        text, shown, _ = _HIDDEN_NAMES.get(name,
                                           (None, "the expression", None))
        if text is not None:  # the scheduler's assign(NAME="TEXT"): why
            msg = msg.replace(f'assign({name}="{text[:200]}"): ',
                              f"{shown}: ")
        msg = re.sub(f"column '{name}'(?!\\d)",
                     lambda m: "expression " + shown, msg)
        msg = re.sub(f"{name}(?!\\d)", lambda m: shown, msg)
    e.args = (msg,) + e.args[1:]


def _run(client, frame, timeout=None):
    """client._compute_table(frame), with the user's own words in its
    errors (_user_words)."""
    try:
        return client._compute_table(frame, timeout)
    except Exception as e:
        _user_words(e)
        raise


# ---- expressions over a computed result -----------------------------------

class ResultColumn:
    """A column of a computed result (after groupby, value_counts, ...) or
    an expression over its columns: r.total / r.n, s / s.sum(), r.n > 10.
    The result is small, so pandas computes these on it once it arrives,
    with pandas' own semantics; compute() runs the result and applies them.
    Every piece must come from the same result."""

    __slots__ = ("_owner", "_fn")

    def __init__(self, owner, fn):
        # The result as it is now (a later r["c"] = ... changes r, not the
        # pieces taken before), whose compute() feeds fn.
        if not isinstance(owner, _Snapshot):
            snap = _Snapshot()
            snap.lazy = type(owner).__new__(type(owner))
            snap.lazy.__dict__.update(owner.__dict__)
            owner = snap
        self._owner = owner
        self._fn = fn        # pandas result -> Series (or scalar)

    def _of(self, other):
        if isinstance(other, Series) and (other._shape in _Lazy._RESULTS or
                                          other._in_pandas):
            other = other._expr()
        if isinstance(other, ResultColumn):
            a, b = self._owner.lazy, other._owner.lazy
            if a._frame is not b._frame or a._finish is not b._finish:
                raise NotImplementedError(
                    "an expression over two different results (or one "
                    "result before and after a filter or assign): "
                    "compute() them and combine them in pandas")
            return other._fn
        if isinstance(other, Scalar):  # computed with the result
            return lambda r: other.compute()
        if isinstance(other, (Series, Expr, _Lazy)):
            raise NotImplementedError(
                "combining a result with a whole frame's column: compute() "
                "the result first")
        return lambda r: other

    def _op(self, other, op, reverse=False):
        f, g = self._fn, self._of(other)
        if reverse:
            return ResultColumn(self._owner, lambda r: op(g(r), f(r)))
        return ResultColumn(self._owner, lambda r: op(f(r), g(r)))

    def _args(self, args, kwargs):
        """Arguments that are pieces of the same result, evaluated on it
        (r.total.add(r.n), x.where(cond)); the rest as they are."""
        def one(v):
            if isinstance(v, (ResultColumn, Series, Scalar)):
                return self._of(v)
            return lambda r, v=v: v
        fa = [one(v) for v in args]
        fk = {k: one(v) for k, v in kwargs.items()}
        return lambda r: ([g(r) for g in fa], {k: g(r) for k, g in fk.items()})

    def _map(self, method, *args, **kwargs):
        f, ev = self._fn, self._args(args, kwargs)

        def apply(r):
            a, k = ev(r)
            return getattr(f(r), method)(*a, **k)
        return ResultColumn(self._owner, apply)

    def compute(self, client=None, timeout=None):
        return self._fn(self._owner.lazy.compute(client=client,
                                                 timeout=timeout))

    def to_csv(self, filename, **kwargs):
        """Written at once (a result's to_csv, see DataFrame.to_csv)."""
        return _write_result_csv(self.compute(), filename, kwargs)

    def __getattr__(self, name):
        # any other pandas attribute or method (r.n.nunique(), r.t.str,
        # r.shape), taken on the computed value
        if name.startswith("_"):
            raise AttributeError(name)
        f = self._fn
        return ResultColumn(self._owner, lambda r: getattr(f(r), name))

    def __call__(self, *args, **kwargs):
        f, ev = self._fn, self._args(args, kwargs)

        def call(r):
            a, k = ev(r)
            return f(r)(*a, **k)
        return ResultColumn(self._owner, call)

    def __repr__(self):
        return "<dusk expression over a result: call .compute()>"

    def __bool__(self):
        raise TypeError("a dusk result expression is lazy: compute() it, or "
                        "use & | ~ to combine conditions")

    # reductions of a result column (a scalar once computed)
    def sum(self, *a, **k): return self._map("sum", *a, **k)
    def mean(self, *a, **k): return self._map("mean", *a, **k)
    def min(self, *a, **k): return self._map("min", *a, **k)
    def max(self, *a, **k): return self._map("max", *a, **k)
    def count(self, *a, **k): return self._map("count", *a, **k)
    def std(self, *a, **k): return self._map("std", *a, **k)
    def median(self, *a, **k): return self._map("median", *a, **k)
    # elementwise
    def round(self, *a, **k): return self._map("round", *a, **k)
    def abs(self): return self._map("abs")
    def isin(self, values): return self._map("isin", values)
    def isnull(self): return self._map("isnull")
    def notnull(self): return self._map("notnull")
    isna, notna = isnull, notnull
    def fillna(self, *a, **k): return self._map("fillna", *a, **k)
    def astype(self, *a, **k): return self._map("astype", *a, **k)
    def clip(self, *a, **k): return self._map("clip", *a, **k)
    def cumsum(self, *a, **k): return self._map("cumsum", *a, **k)
    def rank(self, *a, **k): return self._map("rank", *a, **k)


class _Snapshot:
    """The result a ResultColumn computes from, as it was taken."""
    __slots__ = ("lazy",)


def _result_ops():
    import operator as o
    binary = {"add": o.add, "sub": o.sub, "mul": o.mul, "truediv": o.truediv,
              "floordiv": o.floordiv, "mod": o.mod, "pow": o.pow,
              "and": o.and_, "or": o.or_}
    for name, op in binary.items():
        setattr(ResultColumn, f"__{name}__",
                lambda self, other, op=op: self._op(other, op))
        setattr(ResultColumn, f"__r{name}__",
                lambda self, other, op=op: self._op(other, op, True))
    for name, op in {"eq": o.eq, "ne": o.ne, "lt": o.lt, "le": o.le,
                     "gt": o.gt, "ge": o.ge}.items():
        setattr(ResultColumn, f"__{name}__",
                lambda self, other, op=op: self._op(other, op))
    ResultColumn.__neg__ = lambda self: self._map("__neg__")
    ResultColumn.__invert__ = lambda self: self._map("__invert__")
    ResultColumn.__abs__ = lambda self: self._map("abs")
    ResultColumn.__hash__ = None


_result_ops()


# ---- lazy scalars -----------------------------------------------------------

class Scalar:
    """A lazy scalar, as Dask's dd.Scalar: a column's reduction (df.x.sum(),
    df.x.quantile(0.9), (df.x * 2).mean()) or arithmetic and comparisons
    of them with numbers and other lazy scalars ((s - m) / n stays lazy).
    compute() runs the reductions it holds (a query each) and gives what
    pandas gives: a numpy scalar (a Timestamp or Timedelta for
    datetimes).  As Dask's, it has no truth value, float(), int() or
    round() before compute() (TypeError), and numpy (np.asarray) computes
    it.  In an expression of a frame's columns (df[df.x > df.x.mean()],
    df.x - df.x.mean(), fillna({"x": df.x.mean()})) it is computed when
    the expression is built and stands there as its value."""

    __slots__ = ("_parts", "_fn", "_what")

    def __init__(self, parts, fn, what):
        self._parts = parts  # the lazy results whose values fn combines
        self._fn = fn        # [their computed values] -> the value
        self._what = what    # how it reads, for repr

    @classmethod
    def _of(cls, lazy, what):
        """The lazy one-value result lazy (a reduction's) as a Scalar."""
        return cls([lazy], lambda v: v[0], what)

    def compute(self, client=None, timeout=None, **kwargs):
        """The value, as pandas computes it (runs the reductions)."""
        return self._fn([p.compute(client=client, timeout=timeout, **kwargs)
                         for p in self._parts])

    def _bin(self, other, op, sym, reverse=False):
        if isinstance(other, Scalar):
            n, f, g = len(self._parts), self._fn, other._fn
            parts = self._parts + other._parts
            a, b = (lambda v: f(v[:n])), (lambda v: g(v[n:]))
            wo = other._what
        elif isinstance(other, (Series, Expr, ResultColumn, _Lazy)):
            return NotImplemented  # theirs: a column (or result) expression
        elif _plain_scalar(other):
            parts, f = self._parts, self._fn
            a, b = (lambda v: f(v)), (lambda v: other)
            wo = repr(other)
        else:
            return NotImplemented
        if reverse:
            a, b = b, a
            w = f"({wo} {sym} {self._what})"
        else:
            w = f"({self._what} {sym} {wo})"
        return Scalar(parts, lambda v: op(a(v), b(v)), w)

    def _unary(self, op, sym):
        f = self._fn
        return Scalar(self._parts, lambda v: op(f(v)), f"{sym}{self._what}")

    def __neg__(self):
        return self._unary(lambda x: -x, "-")

    def __pos__(self):
        return self._unary(lambda x: +x, "+")

    def __abs__(self):
        return self._unary(abs, "abs ")

    def __invert__(self):
        return self._unary(lambda x: ~x, "~")

    def __bool__(self):
        raise TypeError(
            f"the truth value of a lazy dusk Scalar {self._what} is "
            "unknown until computed (as Dask's): compute() it first, e.g. "
            "if s.compute() > 0:")

    def _eager(self, kind, more=""):
        raise TypeError(
            f"{kind}() of a lazy dusk Scalar {self._what} (as Dask's, it "
            f"has no value before compute()): {kind}(s.compute(){more})")

    def __float__(self):
        self._eager("float")

    def __int__(self):
        self._eager("int")

    def __complex__(self):
        self._eager("complex")

    def __round__(self, ndigits=None):
        self._eager("round", "" if ndigits is None else f", {ndigits}")

    def __array__(self, dtype=None):
        # numpy asks for the value (np.asarray(s), np.float64(1) + s), as
        # of Dask's Scalar: computed
        import numpy as np
        return np.asarray(self.compute(), dtype=dtype)

    __hash__ = object.__hash__

    def __repr__(self):
        return f"<dusk Scalar {self._what}: lazy, call .compute()>"


def _plain_scalar(v):
    """A value a lazy scalar combines with: a number, bool, datetime or
    timedelta (numpy's and pandas' too), or a str."""
    import datetime
    import numbers
    if isinstance(v, (numbers.Number, str, datetime.datetime,
                      datetime.date, datetime.timedelta)):
        return True
    return type(v).__module__ == "numpy" and hasattr(v, "dtype") and \
        getattr(v, "ndim", 1) == 0


def _scalar_ops():
    import operator as o
    ops = {"add": (o.add, "+"), "sub": (o.sub, "-"), "mul": (o.mul, "*"),
           "truediv": (o.truediv, "/"), "floordiv": (o.floordiv, "//"),
           "mod": (o.mod, "%"), "pow": (o.pow, "**"), "and": (o.and_, "&"),
           "or": (o.or_, "|"), "xor": (o.xor, "^")}
    for name, (op, sym) in ops.items():
        setattr(Scalar, f"__{name}__", lambda self, other, op=op, sym=sym:
                self._bin(other, op, sym))
        setattr(Scalar, f"__r{name}__", lambda self, other, op=op, sym=sym:
                self._bin(other, op, sym, True))
    for name, op, sym in (("eq", o.eq, "=="), ("ne", o.ne, "!="),
                          ("lt", o.lt, "<"), ("le", o.le, "<="),
                          ("gt", o.gt, ">"), ("ge", o.ge, ">=")):
        setattr(Scalar, f"__{name}__", lambda self, other, op=op, sym=sym:
                self._bin(other, op, sym))


_scalar_ops()


# ---- lazy frames ----------------------------------------------------------

class _Lazy:
    """What DataFrame and Series share: a plan, and how its result looks."""

    # _shape: "frame" (rows, open to more steps) or a terminal result kind:
    # "agg" (groupby frame), "agg_series", "value_counts", "describe",
    # "to_csv".
    def __init__(self, frame, npartitions=None, shape="frame", name=None):
        self._frame = frame
        self._npartitions = npartitions
        self._shape = shape
        self._name = name
        self._meta_cache = None
        # pandas -> pandas, applied to the (small) computed result: column
        # labels of several functions per column, as_index=False, ...
        self._finish = None
        self._in_pandas = False  # a step ran in pandas: the rest do too

    @staticmethod
    def _wrap(frame):
        return DataFrame(frame, None, "parsed")

    def __bool__(self):
        raise ValueError(
            f"The truth value of a {type(self).__name__} is ambiguous (as "
            "in pandas); dusk frames are lazy too: compute() first")

    # numpy scalars on the left defer to the reflected operators (Expr)
    __array_ufunc__ = None

    def __array__(self, dtype=None):
        # numpy and pandas functions (pd.to_datetime(df.t)) ask for values
        raise NotImplementedError(
            f"a lazy dusk {type(self).__name__} holds no values to hand to "
            "numpy or pandas: use dusk's own (dd.to_datetime(df.col), "
            "df.col.astype(...)) or compute() it first")

    def _need_open(self, step):
        if self._shape in ("sorted_rows", "sorted_column"):
            raise NotImplementedError(
                f"{step} after sort_values of a whole frame: dusk sorts a "
                "whole frame's rows to compute() them (gathered and sorted "
                "by one task), to write them (to_csv: range-partitioned), "
                "or for head(n) / tail(n); steps in between go before the "
                "sort_values")
        if self._shape != "frame":
            raise NotImplementedError(
                f"{step} after {self._shape.replace('_', ' ')}: dusk runs "
                "one aggregation last; compute() it and go on in pandas")

    def _client(self, client):
        return client if client is not None else default_client()

    def compute(self, client=None, timeout=None, **kwargs):
        """Runs the plan on the cluster; returns pandas objects."""
        if kwargs:
            raise NotImplementedError(
                "compute: dusk does not support " + ", ".join(sorted(kwargs)))
        table = _run(self._client(client), self._frame, timeout)
        # a whole frame sorted: every row, gathered and sorted by the
        # final task
        shape = {"sorted_rows": "frame",
                 "sorted_column": "column"}.get(self._shape, self._shape)
        return _public(self._finished(to_pandas(table, shape, self._name)))

    def _finished(self, result):
        return self._finish(result) if self._finish is not None else result

    def persist(self, client=None, timeout=None, **kwargs):
        # DataFrame overrides this for a frame of rows
        raise NotImplementedError(
            f"persist of a {self._shape.replace('_', ' ')}: dusk persists a "
            "frame of rows (df.persist(), then select or aggregate); "
            "compute() a result instead")

    def _with_finish(self, finish):
        self._finish = finish
        return self

    @property
    def npartitions(self):
        return self._npartitions

    # -- steps on a computed result (groupby, value_counts, head(compute=
    # False)): the cluster's final task runs them on the small result.
    _RESULTS = ("agg", "agg_series", "agg_size", "value_counts", "frame_rows",
                "sorted_rows", "sorted_column")

    def _result_to_csv(self, filename, kwargs):
        return _write_result_csv(self.compute(), filename, kwargs)

    def _need_result(self, step):
        if self._shape not in self._RESULTS:
            raise NotImplementedError(
                f"{step} of a whole frame's rows is a shuffle, which dusk "
                "does not do yet; it applies to a result (after groupby, "
                "value_counts or head)")

    def _result_step(self, frame):
        out = type(self)._from_result(self, frame)
        out._finish = self._finish
        return out

    def _local(self, step, kind=None):
        """A copy whose computed result then goes through step in pandas
        (an expression, filter or assign on a result).  Every step after
        one runs in pandas too: the cluster's would run before it."""
        prev = self._finish
        out = type(self).__new__(kind or type(self))
        out.__dict__.update(self.__dict__)
        out._finish = (lambda r: step(prev(r))) if prev else step
        out._in_pandas = True
        return out

    def reset_index(self, level=None, drop=False, name=None, inplace=False,
                    col_level=0, col_fill="", allow_duplicates=False,
                    names=None):
        """pandas' reset_index of a computed result (after groupby,
        value_counts, head, ...): the keys become columns (name= names a
        Series' values), applied to the small result as it arrives; every
        step after it runs there too, in pandas (the result is small)."""
        if level is not None or inplace or names is not None or \
                allow_duplicates:
            raise NotImplementedError(
                "reset_index: level, inplace, names, allow_duplicates")
        if self._shape in ("frame", "column", "parsed"):
            raise NotImplementedError(
                "reset_index of a whole frame: its index is each row's "
                "number in its file; compute() a result first")
        prev = self._finish

        def finish(r):
            r = prev(r) if prev is not None else r
            if hasattr(r, "to_frame") and name is not None:  # a Series
                return r.reset_index(drop=drop, name=name)
            return r.reset_index(drop=drop)
        if isinstance(self, Series) and not drop:  # pandas: a DataFrame
            out = DataFrame(self._frame, None, self._shape, self._name)
        else:
            out = type(self).__new__(type(self))
            out.__dict__.update(self.__dict__)
        out._finish = finish
        out._in_pandas = True
        return out

    def _sort_keys(self, by, ascending):
        if by is None:
            by = []
        elif isinstance(by, (str, tuple)):
            by = [by]
        else:
            by = list(by)
        # a (column, function) label of agg({"x": [...]}): the engine's
        # two-level name
        by = [_LEVEL_SEP.join(str(x) for x in b) if isinstance(b, tuple)
              else b for b in by]
        if isinstance(ascending, (list, tuple)):
            asc = [bool(a) for a in ascending]
            if len(asc) != max(len(by), 1):
                raise ValueError(
                    f"Length of ascending ({len(asc)}) != length of by "
                    f"({len(by)})")
        else:
            asc = [bool(ascending)]
        return by, asc

    def _then(self, step):
        """A whole-frame reduction's Series (one value per column) is
        sorted or cut by pandas once computed: it is as small as the frame
        is wide."""
        prev = self._finish
        out = Series(None, self._name, self._frame, self._shape)
        out._finish = (lambda r: step(prev(r))) if prev else step
        return out

    def _sorted(self, by, ascending, kind, na_position, ignore_index, key):
        if self._in_pandas:  # pandas' sort, with every option it takes
            opts = dict(ascending=ascending, kind=kind,
                        na_position=na_position, ignore_index=ignore_index,
                        key=key)

            def step(r):
                return r.sort_values(**opts) if by is None else \
                    r.sort_values(by, **opts)
            return self._local(step)
        if self._shape == "reduce_frame":
            return self._then(lambda r: r.sort_values(
                ascending=ascending, kind=kind, na_position=na_position))
        if na_position != "last" or ignore_index or key is not None:
            raise NotImplementedError(
                "sort_values: na_position='first', ignore_index, key")
        if kind not in (None, "stable", "mergesort", "quicksort"):
            raise ValueError(f"sort_values: unknown kind {kind!r}")
        # pandas' default quicksort orders one column's ties as numpy does;
        # the cluster reproduces that order (several columns: stable)
        kind = kind or "quicksort"
        if self._shape in ("frame", "column"):
            # A whole frame's rows: only head(n) of it runs (a top-k).
            if self._shape == "column":
                by = [self.name]
            by, asc = self._sort_keys(by, ascending)
            src = self._frame if self._shape == "frame" else \
                self._column_frame()
            return type(self)._from_result(
                self, src.sort_values(by, asc, kind),
                "sorted_rows" if self._shape == "frame" else "sorted_column")
        self._need_result("sort_values")
        by, asc = self._sort_keys(by, ascending)
        return self._result_step(self._frame.sort_values(by, asc, kind))

    def _ranked(self, n, columns, largest):
        if self._in_pandas:
            k = _count(n, "n")
            if columns is None:
                return self._local(lambda r: r.nlargest(k) if largest
                                   else r.nsmallest(k))
            return self._local(lambda r: r.nlargest(k, columns) if largest
                               else r.nsmallest(k, columns))
        if self._shape == "reduce_frame":
            k = _count(n, "n")
            return self._then(lambda r: r.nlargest(k) if largest
                              else r.nsmallest(k))
        if self._shape in ("frame", "column"):
            # A distributed top-k: each scan keeps its best n rows.
            by, _ = self._sort_keys(
                columns if self._shape == "frame" else [self.name], True)
            src = self._frame if self._shape == "frame" else \
                self._column_frame()
            return type(self)._from_result(
                self, src.nlargest(_count(n, "n"), by, largest),
                "frame_rows" if self._shape == "frame" else "agg_series")
        self._need_result("nlargest" if largest else "nsmallest")
        by, _ = self._sort_keys(columns, True)
        frame = self._frame.sort_values(by, [not largest] * max(len(by), 1),
                                        "stable")
        return self._result_step(frame.head(_count(n, "n")))

    def _result_rows(self, n, tail):
        if self._shape == "reduce_frame" or self._in_pandas:
            k = _count(n, "tail" if tail else "head")
            r = self.compute()
            return r.tail(k) if tail else r.head(k)
        src = self._column_frame() if self._shape == "column" else self._frame
        frame = src.tail(_count(n, "tail")) if tail else \
            src.head(_count(n, "head"))
        shape = {"frame": "frame", "sorted_rows": "frame",
                 "sorted_column": "column"}.get(self._shape, self._shape)
        return _public(self._finished(_compute_now(frame, shape,
                                                   self._name)))


def _index_keys(other):
    """set_index's keys as a list of column names."""
    if isinstance(other, str):
        return [other]
    if isinstance(other, (list, tuple)) and other and \
            all(isinstance(k, str) for k in other):
        return list(other)
    if isinstance(other, Series) and other._shape == "column" and \
            isinstance(other._name, str):
        return [other._name]
    raise NotImplementedError(
        "set_index: a column name or a list of them (dusk indexes by "
        "columns of the frame)")


def sorted_names(names):
    return sorted(str(n) for n in names)


def _checked_divisions(divisions):
    """divisions as Dask checks them: a list of 2 to 257 values, sorted,
    unique but for the last two; as a tuple."""
    if isinstance(divisions, (str, bytes)) or \
            not hasattr(divisions, "__len__"):
        raise TypeError("divisions: a list or tuple of index values")
    divs = tuple(divisions)
    if not 2 <= len(divs) <= 257:
        raise ValueError(f"divisions: {len(divs)} values (2 to 257: one "
                         "more than the partitions)")
    for v in divs:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            raise ValueError("divisions: no value may be None or NaN")
    try:
        ordered = list(divs) == sorted(divs)
    except TypeError as e:
        raise TypeError(f"divisions: values of one type ({e})") from None
    if not ordered:
        raise ValueError("New division must be sorted")
    if len(set(divs[:-1])) != len(divs) - 1:
        raise ValueError("New division must be unique, except for the last "
                         "element")
    return divs


def _division_args(values):
    """Index values as the core takes them: all ints, all floats or all
    strs (datetimes as ints of nanoseconds, bools as 0 and 1; ints among
    floats become floats); the worker types them as the index column."""
    import numpy as np
    import pandas as pd
    out = []
    for v in values:
        if isinstance(v, (pd.Timestamp, np.datetime64)) or \
                type(v).__name__ in ("datetime", "date"):
            out.append(int(pd.Timestamp(v).value))
        elif isinstance(v, (pd.Timedelta, np.timedelta64)) or \
                type(v).__name__ == "timedelta":
            out.append(int(pd.Timedelta(v).value))
        elif isinstance(v, (bool, np.bool_, int, np.integer)):
            out.append(int(v))
        elif isinstance(v, (float, np.floating)):
            out.append(float(v))
        elif isinstance(v, str):
            out.append(v)
        else:
            raise TypeError(f"divisions: {v!r} is no int, float, str, bool "
                            "or datetime")
    if any(isinstance(v, float) for v in out) and \
            all(isinstance(v, (int, float)) for v in out):
        out = [float(v) for v in out]
    return out


class _Partitions:
    """DataFrame.partitions of a set_index frame."""

    def __init__(self, df):
        self._df = df

    def __len__(self):
        return self._df.npartitions

    def __getitem__(self, key):
        n = self._df.npartitions
        if isinstance(key, slice):
            lo, hi, step = key.indices(n)
            if step != 1 or lo >= hi:
                raise NotImplementedError(
                    "partitions[a:b]: a contiguous, non-empty run")
        elif isinstance(key, (int,)) and not isinstance(key, bool):
            if not -n <= key < n:
                raise IndexError(f"partition {key} of {n}")
            lo = key % n
            hi = lo + 1
        else:
            raise NotImplementedError(
                "partitions[i] or partitions[a:b] (a list of them is not "
                "contiguous)")
        return self._df._index_rows(lo, hi)


class _IndexLoc:
    """DataFrame.loc of a set_index frame (DataFrame.loc)."""

    def __init__(self, df):
        self._df = df

    def __getitem__(self, key):
        base, keys, drop = self._df._index_of
        if isinstance(key, tuple):
            raise NotImplementedError(
                "loc[rows, columns]: select the columns with [[...]] after")
        if len(keys) != 1:
            raise NotImplementedError(
                "loc of a set_index of several columns (a MultiIndex)")
        col = base[keys[0]]
        if isinstance(key, slice):
            if key.step is not None:
                raise NotImplementedError("loc with a slice step")
            mask = None
            if key.start is not None:
                mask = col >= key.start
            if key.stop is not None:
                upper = col <= key.stop
                mask = upper if mask is None else mask & upper
            elif mask is not None:
                # pandas slices the sorted index by position: an open end
                # runs on through the nulls sorted last
                mask = mask | col.isnull()
            rows = base if mask is None else base[mask]
        elif isinstance(key, list):
            if not key:
                raise KeyError("loc[[]]: no labels")
            rows = base[col.isin(key)]
        elif isinstance(key, (_Lazy, Expr)):
            raise NotImplementedError(
                "loc with a mask: filter with df[mask] before set_index")
        else:
            rows = base[col == key]
        return rows.set_index(keys, drop=drop)


class DataFrame(_Lazy):
    """A lazy dataframe.  See the module's documentation."""

    # set_index of a whole frame: (the frame before, keys, drop), for loc
    _index_of = None
    # its divisions (Dask's), when given or once computed
    _divisions = None

    def __init__(self, frame, npartitions=None, shape="frame", name=None):
        super().__init__(frame, npartitions, shape, name)

    # -- structure, without computing the data
    def _meta(self):
        """An empty pandas frame with this frame's columns and dtypes (the
        scheduler reads the headers and a sample: a head(0) query)."""
        if self._meta_cache is None:
            if self._shape != "frame":
                raise NotImplementedError(
                    "columns of an aggregation's result before computing it")
            table = _run(default_client(), self._frame.head(0))
            self._meta_cache = meta_frame(table)
        return self._meta_cache

    @property
    def columns(self):
        return self._meta().columns

    @property
    def dtypes(self):
        return self._meta().dtypes

    @property
    def _meta_nonempty(self):
        return self._meta()

    def __dir__(self):
        out = set(super().__dir__())
        try:
            out.update(c for c in self.columns if isinstance(c, str) and
                       c.isidentifier())
        except Exception:  # no client yet: plain attributes only
            pass
        return sorted(out)

    def _structure(self):
        n = self._npartitions
        return ("?" if n is None else str(n)), self._meta()

    def __repr__(self):
        if self._shape != "frame":
            return f"<dusk {self._shape.replace('_', ' ')}: call .compute()>"
        try:
            n, meta = self._structure()
        except Exception as e:  # no client: say so instead of failing repr
            return f"<dusk DataFrame (structure unknown: {e})>"
        width = max([len(str(c)) for c in meta.columns] + [4])
        lines = ["Dusk DataFrame Structure:",
                 " " * 16 + "  ".join(str(c).rjust(width) for c in meta.columns),
                 f"npartitions={n}".ljust(16) +
                 "  ".join(str(t).rjust(width) for t in meta.dtypes),
                 "Dusk Name: read_csv, lazy (nothing computed)"]
        return "\n".join(lines)

    def _repr_html_(self):
        from html import escape
        if self._shape != "frame":
            return f"<div>{escape(repr(self))}</div>"
        try:
            n, meta = self._structure()
        except Exception as e:
            return f"<div>dusk DataFrame (structure unknown: {escape(str(e))})</div>"
        head = "".join(f"<th>{escape(str(c))}</th>" for c in meta.columns)
        types = "".join(f"<td>{escape(str(t))}</td>" for t in meta.dtypes)
        return ("<div><strong>Dusk DataFrame Structure:</strong>"
                f"<table border='1' class='dataframe'><thead><tr><th></th>{head}"
                f"</tr></thead><tbody><tr><th>npartitions={escape(n)}</th>"
                f"{types}</tr></tbody></table>"
                "<div>lazy: nothing computed</div></div>")

    # -- selection
    def _on_result(self):
        return self._shape in _Lazy._RESULTS or self._in_pandas

    def _result_getitem(self, key):
        """r["col"], r[["a", "b"]] and r[condition] of a computed
        result, in pandas once it arrives."""
        if isinstance(key, str):
            return ResultColumn(self, lambda r: r[key])
        if isinstance(key, list):
            return self._local(lambda r: r[key])
        if isinstance(key, Series) and key._shape in _Lazy._RESULTS:
            key = key._expr()
        if isinstance(key, ResultColumn):
            cond = ResultColumn(self, lambda r: r)._of(key)
            return self._local(lambda r: r[cond(r)])
        raise TypeError("a result is indexed by a column name, a list of "
                        "them, or a condition on its columns")

    def __getitem__(self, key):
        if self._on_result():
            return self._result_getitem(key)
        self._need_open("selecting")
        if isinstance(key, str):
            return Series(self, key)
        if isinstance(key, list):
            if not all(isinstance(k, str) for k in key):
                raise NotImplementedError("selecting columns by name only")
            return DataFrame(self._frame.select(key), self._npartitions)
        if isinstance(key, (Expr, Series)):
            if key._df is not self:
                raise NotImplementedError(
                    "a mask made from another frame: build it from this "
                    "frame's columns (dusk masks are query expressions)")
            if isinstance(key, Series):
                text = key._text  # a bool column
            elif not key._boolean:
                raise TypeError("a mask must be a comparison or a bool column")
            else:
                text = key._text
            return DataFrame(self._frame.query(text), self._npartitions)
        if isinstance(key, slice):
            raise NotImplementedError("row slices (use head())")
        raise TypeError(f"cannot index a dusk DataFrame with {type(key).__name__}")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._shape == "frame":
            # a plan the scheduler refuses (an ill-typed assign) says why
            if name in self.columns:
                return Series(self, name)
        elif self._on_result() and name.isidentifier():
            # a result column (checked by pandas once computed)
            return ResultColumn(self, lambda r: getattr(r, name))
        raise _no_attribute("DataFrame", name)

    def _result_value(self, value):
        if callable(value) and not isinstance(value, ResultColumn):
            value = value(self)
        if isinstance(value, Series) and value._shape in _Lazy._RESULTS:
            value = value._expr()
        return ResultColumn(self, lambda r: r)._of(value)

    def _value_text(self, name, value, owners=None):
        """An assign value as query-language text: an expression or column
        of this frame (or of owners), a callable given this frame, or a
        scalar."""
        if callable(value) and not isinstance(value, (Series, Expr)):
            value = value(self)
        if isinstance(value, (Series, Expr)):
            if value._df is not self and value._df not in (owners or ()):
                raise NotImplementedError(
                    f"assigning {name!r} from another frame's columns (a "
                    "step such as fillna makes a new frame: apply it to "
                    "this one first, df.fillna({...}).assign(...))")
            if isinstance(value, Series) and value._shape != "column":
                raise NotImplementedError(
                    f"assigning {name!r} from an aggregation result")
            return value._text
        return _literal(value)

    def assign(self, **kwargs):
        """New or replaced columns computed from each row, in order (a
        later one may use an earlier one; a callable gets the frame so
        far), as pandas' assign."""
        if self._on_result():  # pandas assigns on the computed result
            fns = {k: self._result_value(v) for k, v in kwargs.items()}
            return self._local(lambda r: r.assign(
                **{k: (lambda f: lambda rr: f(rr))(f) for k, f in
                   fns.items()}))
        self._need_open("assign")
        cur = self
        for name, value in kwargs.items():
            text = cur._value_text(name, value, (self,))
            cur = DataFrame(cur._frame.assign(name, text), self._npartitions)
        return cur

    def __setitem__(self, key, value):
        """df["name"] = expression: this frame gains (or replaces) the
        column, as in pandas and Dask."""
        if self._on_result():
            f = self._result_value(value)
            done = self._local(lambda r: r.assign(**{key: f(r)}))
            self.__dict__.update(done.__dict__)
            return
        self._need_open("assigning a column")
        if not isinstance(key, str):
            raise NotImplementedError("assigning columns by one name only")
        self._frame = self._frame.assign(key, self._value_text(key, value))
        self._meta_cache = None

    def eval(self, expr, inplace=False, **kwargs):
        """eval("name = expression"): a derived column (a bare expression
        without a name is not supported)."""
        if kwargs or inplace:
            raise NotImplementedError("eval: only eval(\"name = expr\")")
        self._need_open("eval")
        name, sep, rest = expr.partition("=")
        name = name.strip()
        if not sep or rest.startswith("=") or not name.isidentifier():
            raise NotImplementedError(
                "eval of a bare expression; write eval(\"name = expr\")")
        return DataFrame(self._frame.assign(name, rest.strip()),
                         self._npartitions)

    def __len__(self):
        if self._on_result():  # the result's rows, computed (as Dask's len)
            return len(self.compute())
        self._need_open("len")
        table = _run(default_client(), self._frame.len())
        return to_pandas(table, "len", None)

    def __iter__(self):
        return iter(self.columns)

    # -- row-wise steps
    def fillna(self, value=None, method=None, axis=None, inplace=False,
               limit=None, downcast=None):
        """fillna(scalar) or fillna({column: scalar})."""
        self._need_open("fillna")
        if method is not None or limit is not None or downcast is not None:
            raise NotImplementedError("fillna: only value= is supported")
        if axis not in (None, 0, "index", "rows"):
            raise NotImplementedError("fillna: only axis=0")
        if inplace:
            raise NotImplementedError("fillna: inplace=True (frames are lazy)")
        if isinstance(value, dict):
            frame = self._frame
            for col, v in value.items():
                frame = frame.fillna(self._fill_value(v, str(col)), str(col))
            return DataFrame(frame, self._npartitions)
        if value is None:
            raise ValueError("fillna needs a value")
        return DataFrame(self._frame.fillna(self._fill_value(value, None)),
                         self._npartitions)

    def _fill_value(self, v, col):
        """A fill value as the engine takes it.  A string fills a datetime
        column as the ISO date-time it holds (pandas' Timestamp); so does
        a Timestamp (or datetime, numpy datetime64) of a datetime column
        named in a dict, written in ISO."""
        import datetime
        if isinstance(v, Scalar):
            v = v.compute()
        if type(v).__name__ != "datetime64":  # numpy's: its .item() is ns
            v = _scalar(v)
        if type(v).__name__ == "datetime64" or \
                isinstance(v, datetime.datetime):
            ts = _pd().Timestamp(v)
            if col is None or self.dtypes.get(col) is None or \
                    self.dtypes[col].kind != "M" or ts.tzinfo is not None:
                raise NotImplementedError(
                    "fillna with a Timestamp: of a datetime64[ns] column by "
                    "name, without a time zone (fillna({\"t\": ts}))")
            return ts.isoformat(sep=" ")
        return v

    def query(self, expr, local_dict=None, global_dict=None, **kwargs):
        """Rows where expr holds, in pandas' query language; @name is the
        caller's variable name (or local_dict's), as in pandas."""
        if self._on_result():  # pandas' own query, on the computed result
            import sys
            caller = sys._getframe(1)
            lv = dict(caller.f_locals if local_dict is None else local_dict)
            gv = caller.f_globals if global_dict is None else global_dict
            return self._local(lambda r: r.query(
                expr, local_dict=lv, global_dict=gv, **kwargs))
        self._need_open("query")
        if kwargs:
            raise NotImplementedError(
                "query: dusk does not support " + ", ".join(sorted(kwargs)))
        if not isinstance(expr, str):
            raise TypeError("query takes a string")
        if "@" in expr:
            import sys
            caller = sys._getframe(1)
            expr = _resolve_at(expr, local_dict if local_dict is not None
                               else caller.f_locals,
                               global_dict if global_dict is not None
                               else caller.f_globals)
        return DataFrame(self._frame.query(expr), self._npartitions)

    def rename(self, columns=None, mapper=None, axis=None, inplace=False,
               errors="ignore", **kwargs):
        """Columns renamed (a dict old -> new, or a function), keeping their
        places; on a computed result (after groupby, ...) pandas renames it
        once computed."""
        if kwargs or inplace or (axis not in (None, 1, "columns")):
            raise NotImplementedError(
                "rename: only columns= (or a mapper with axis='columns')")
        columns = columns if columns is not None else mapper
        if columns is None:
            return self
        if self._shape != "frame":
            prev = self._finish
            out = DataFrame(self._frame, None, self._shape, self._name)
            out._finish = lambda r: (prev(r) if prev else r).rename(
                columns=columns, errors=errors)
            out._in_pandas = True  # the steps after it see the new names
            return out
        names = list(self.columns)
        new = [columns(c) if callable(columns) else columns.get(c, c)
               for c in names]
        if errors == "raise" and not callable(columns):
            missing = [c for c in columns if c not in names]
            if missing:
                raise KeyError(f"{missing} not found in axis")
        if not all(isinstance(c, str) for c in new) or len(set(new)) != \
                len(new):
            raise NotImplementedError(
                "rename: new names must be distinct strings")
        pairs = [(o, nn) for o, nn in zip(names, new) if o != nn]
        if not pairs:
            return self
        return DataFrame(self._frame.rename([o for o, _ in pairs],
                                            [nn for _, nn in pairs]),
                         self._npartitions)

    def merge(self, right, how="inner", on=None, left_on=None,
              right_on=None, left_index=False, right_index=False,
              sort=False, suffixes=("_x", "_y"), copy=True, indicator=False,
              validate=None, broadcast=None, shuffle=None, npartitions=None):
        """pandas' merge.  A broadcast join when how is "inner" or "left"
        and the right side is small (at most 64 MiB of CSV): rows as
        pandas 1.5 gives them for how="left" (the left's order, each left
        row's matches in the right's order).  Otherwise (how "right" or
        "outer", what shows an inner merge's order - its rows, to_csv,
        a sort's head, drop_duplicates, first / last, value_counts' ties
        - a larger right side, or Dask's broadcast=False) a shuffle join:
        both sides hash-partitioned by key, each part joined by a task of
        its own; its rows (compute, head, tail, after a filter too, sorted,
        written with to_csv) come in pandas 1.5's order and labels, and
        aggregations of it (groupby, len, reductions) are exact.
        broadcast=True insists on the broadcast join."""
        self._need_open("merge")
        if not isinstance(right, DataFrame):
            raise NotImplementedError(
                "merge: right must be a dusk DataFrame (read_csv the "
                "small side too)")
        right._need_open("merge")
        if left_index or right_index or sort or indicator or validate:
            raise NotImplementedError(
                "merge: left_index, right_index, sort, indicator and "
                "validate are not supported")
        if how not in ("inner", "left", "right", "outer"):
            raise ValueError(f"merge: how must be inner, left, right or "
                             f"outer, not {how!r}")
        on, lk, rk = (_merge_keys(on, "on"), _merge_keys(left_on, "left_on"),
                      _merge_keys(right_on, "right_on"))
        if on is not None and (lk is not None or rk is not None):
            raise ValueError('Can only pass argument "on" OR "left_on" and '
                             '"right_on", not a combination of both.')
        if on is not None:
            lk = rk = on
        if lk is None or rk is None:
            raise NotImplementedError(
                "merge needs keys: on= or left_on= and right_on= (dusk "
                "does not guess common columns)")
        if len(lk) != len(rk):
            raise ValueError("len(right_on) must equal len(left_on)")
        sx = list(suffixes)
        if len(sx) != 2 or not all(isinstance(x, str) for x in sx):
            raise NotImplementedError("merge: suffixes must be two strings")
        if shuffle not in (None, "tasks", "p2p") or npartitions is not None:
            raise NotImplementedError(
                "merge: shuffle= and npartitions= (dusk picks the parts)")
        if broadcast not in (None, True, False):
            raise NotImplementedError("merge: broadcast is True, False or "
                                      "None (a broadcast fraction is Dask's)")
        frame = self._frame.merge(right._frame, how, lk, rk, sx)
        frame.merge_broadcast(broadcast)
        return DataFrame(frame,
                         self._npartitions)

    def join(self, other, on=None, how="left", lsuffix="", rsuffix="",
             sort=False, validate=None, npartitions=None, shuffle=None):
        """pandas' DataFrame.join where other is a dusk frame's
        set_index(keys).

        join(other, on=cols): each row with other's rows whose index
        equals its on columns, keeping this frame's row labels (repeated
        for a row met twice, as pandas') and columns, then other's (its
        index not among them); lsuffix / rsuffix mark the names both
        hold (pandas refuses overlapping names without them).  how="left"
        gives every row in its order; "inner" keeps the rows met, "right"
        / "outer" add other's rows no row meets (labelled NaN), in pandas
        1.5's order (inner and outer grouped by key, keys as they first
        appear here; right by other's rows) - a shuffle join, whose rows
        compute, head, tail, sort, drop_duplicates, aggregate and write
        with to_csv.
        how="left" is a broadcast join when other
        is at most 64 MiB of CSV (the lookup tables join is for), a
        shuffle join past that, its rows labelled the same way.

        Without on=, of this frame's set_index too: index on index, any
        how, the frames' merge on their keys (a broadcast or a shuffle
        join, as merge picks), set_index again - rows as pandas gives
        them, since both frames are in index order (see _join_indexes)."""
        if isinstance(other, (list, tuple)):
            raise NotImplementedError(
                "join of a list of frames: join them one at a time")
        if not isinstance(other, DataFrame) or other._index_of is None:
            raise NotImplementedError(
                "join: other must be a dusk frame's set_index(col) (a "
                "frame's rows are labelled by their place in their file, "
                "which no key matches); or merge on columns")
        if sort or validate is not None or npartitions is not None or \
                shuffle not in (None, "tasks", "p2p"):
            raise NotImplementedError(
                "join: sort, validate, npartitions and shuffle are not "
                "supported")
        if how not in ("left", "right", "outer", "inner", "cross"):
            raise ValueError(f"join: how must be left, right, outer, inner "
                             f"or cross, not {how!r}")
        if on is None:
            return self._join_indexes(other, how, lsuffix, rsuffix)
        self._need_open("join")
        if how == "cross":
            raise NotImplementedError(
                'join how="cross" on columns: merge(how="cross") is not '
                "supported either")
        base, rkeys, rdrop = other._index_of
        on = [on] if isinstance(on, str) else list(on)
        if len(on) != len(rkeys):
            raise ValueError("len(left_on) must equal the number of levels "
                             'in the index of "right"')
        lcols = list(self.columns)
        rcols = [c for c in base.columns if not (rdrop and c in rkeys)]
        overlap = [c for c in lcols if c in rcols]
        kept = [k for k in rkeys if not rdrop and k in lcols]
        if kept:
            raise NotImplementedError(
                f"join: other's index {kept[0]!r} is also its column "
                "(set_index(drop=False)) and one of this frame's, where "
                "pandas 1.5 adds a key column of its own; set_index with "
                "drop=True, or merge on columns")
        if overlap and not lsuffix and not rsuffix:
            import pandas as pd
            raise ValueError("columns overlap but no suffix specified: "
                             f"{pd.Index(overlap)}")
        # other's index as hidden key columns, dropped after the merge;
        # how right / outer: named as the on= columns, so each is a key
        # kept once - pandas puts other's key there where only other has
        # the row
        hidden = [f"__dusk_join{i}" for i in range(len(rkeys))]
        if how in ("right", "outer"):
            clash = [o for o in on if o in rcols]
            if clash:
                raise NotImplementedError(
                    f"join how={how!r} on {clash[0]!r}, which other has as a "
                    "column too: pandas puts other's key in this frame's "
                    f"{clash[0]!r} column; rename one first, or merge on "
                    "columns")
            hidden = list(on)
        right = base.assign(**{h: base[k] for h, k in zip(hidden, rkeys)})[
            rcols + hidden]
        frame = self._frame.merge(right._frame, how, on, hidden,
                                  [lsuffix, rsuffix])
        frame.merge_join()
        names = [c + lsuffix if c in overlap else c for c in lcols] + \
            [c + rsuffix if c in overlap else c for c in rcols]
        return DataFrame(frame, self._npartitions)[names]

    def _join_indexes(self, other, how, lsuffix, rsuffix):
        """join of two set_index frames on their indexes (join without
        on=).  pandas joins two indexes as a merge on their keys, and
        gives the rows sorted by key where the indexes are not unique and
        sorted (the left's order otherwise).  A dusk set_index frame is in
        index order (ties in file order, nulls last), so its rows are
        pandas' either way: the frames before set_index merged on the
        keys - left rows in file order, each with its right rows in file
        order (how="right": right rows, each with its left rows) - then
        set_index on the key again, whose sort is stable.  An outer or
        right join's index holds the right's key where the left has
        none, as the merge's key column on=."""
        if self._index_of is None:
            raise NotImplementedError(
                "join without on= of a frame with no set_index: its rows "
                "are labelled by their place in their file, which no key "
                "of other's index matches; set_index(col) this frame too, "
                "or join(other, on=col)")
        if how == "cross":
            raise NotImplementedError(
                'join how="cross" of two indexes: merge(how="cross") is '
                "not supported either")
        lbase, lkeys, ldrop = self._index_of
        rbase, rkeys, rdrop = other._index_of
        if not ldrop or not rdrop:
            raise NotImplementedError(
                "join of two indexes where one is also a column "
                "(set_index(drop=False)): set_index with drop=True, or "
                "merge on columns")
        if lkeys != rkeys and len(lkeys) == 1 and len(rkeys) == 1:
            raise NotImplementedError(
                f"join of the indexes {lkeys[0]!r} and {rkeys[0]!r}: pandas "
                "names the result's index None (inner, outer, or a key "
                "repeated on either side; else the kept side's name), "
                "which a dusk set_index frame cannot; set_index on columns "
                "of the same name (rename one first), or merge on columns")
        if sorted(lkeys) != sorted(rkeys):
            raise NotImplementedError(
                f"join of the index levels {lkeys} and {rkeys}: dusk joins "
                "indexes of the same level names (pandas joins a "
                "MultiIndex on the levels both have)")
        lcols = [c for c in lbase.columns if c not in lkeys]
        rcols = [c for c in rbase.columns if c not in rkeys]
        overlap = [c for c in lcols if c in rcols]
        if overlap and not lsuffix and not rsuffix:
            import pandas as pd
            raise ValueError("columns overlap but no suffix specified: "
                             f"{pd.Index(overlap)}")
        # pandas joins two indexes in their common dtype: an int index
        # against a float one is float64 (as a merge's key is only for
        # some hows); text against numbers matches nothing there
        ltypes, rtypes = lbase.dtypes, rbase.dtypes
        for k in lkeys:
            lt, rt = str(ltypes[k]), str(rtypes[k])
            if {lt, rt} == {"int64", "float64"}:
                # both: a float64 side may be ints with a null, which the
                # engine holds as ints
                lbase = lbase.assign(**{k: lbase[k].astype("float64")})
                rbase = rbase.assign(**{k: rbase[k].astype("float64")})
            elif (lt == "object") != (rt == "object"):
                raise NotImplementedError(
                    f"join of the {lt} index {k!r} with a {rt} one: pandas "
                    "matches no row (an object index), which dusk does not "
                    "reproduce; convert one with astype first")
        left, right = lbase[lcols + lkeys], rbase[rcols + lkeys]
        frame = left._frame.merge(right._frame, how, lkeys, lkeys,
                                  [lsuffix, rsuffix])
        return DataFrame(frame, self._npartitions).set_index(lkeys)

    def dropna(self, how="any", subset=None, thresh=None, axis=0,
               inplace=False, ignore_index=False):
        """Rows without nulls (how="any") or not all null (how="all") in
        subset (every column by default)."""
        self._need_open("dropna")
        if thresh is not None or axis not in (0, "index") or inplace or \
                ignore_index:
            raise NotImplementedError(
                "dropna: thresh, axis=1, inplace, ignore_index")
        if how not in ("any", "all"):
            raise ValueError(f"invalid how option: {how}")
        cols = list(self.columns) if subset is None else \
            [subset] if isinstance(subset, str) else list(subset)
        if not cols:
            return self
        join = " and " if how == "any" else " or "
        text = join.join(f"{_column_ref(c)}.notnull()" for c in cols)
        return DataFrame(self._frame.query(text), self._npartitions)

    def groupby(self, by=None, dropna=True, sort=None, as_index=True,
                observed=None, group_keys=None, level=None, **kwargs):
        if self._index_of is not None:
            return self._groupby_indexed(by, level, dropna, sort, as_index,
                                         observed, group_keys, kwargs)
        if level is not None:
            raise NotImplementedError(
                "groupby(level=): a dusk frame's index levels are the "
                "columns of a set_index; set_index(col).groupby(level=0), "
                "or groupby the column")
        if by is None:
            raise TypeError("You have to supply one of 'by' and 'level'")
        self._need_open("groupby")
        if kwargs:
            raise NotImplementedError(
                "groupby: dusk does not support " + ", ".join(sorted(kwargs)))
        if sort is not None and not sort:
            raise NotImplementedError(
                "groupby(sort=False): dusk gives the groups sorted by key "
                "(pandas' default); sort_values() on the result orders "
                "them otherwise")
        keys = [by] if isinstance(by, (str, Expr, Series)) else list(by) \
            if isinstance(by, (list, tuple)) else None
        if keys is None or not keys:
            raise NotImplementedError(
                "groupby by column names or expressions of this frame")
        # An expression key (df.t.dt.date, df.x // 10) is grouped by as a
        # derived column, and its level named as pandas names it: after
        # the one column it reads (None for several).
        names, renames, derived = [], {}, {}
        for i, k in enumerate(keys):
            if isinstance(k, Series) and k._shape == "column" and \
                    k._df is self:
                k = k.name  # a column passed as a Series: its name
            if isinstance(k, str):
                names.append(k)
                continue
            if not isinstance(k, (Expr, Series)) or k._df is not self:
                raise NotImplementedError(
                    "groupby by column names or expressions of this frame")
            # hidden, named after the expression in messages (_user_words)
            tmp = _hidden_column(k._text)
            if tmp in derived:  # the same expression twice
                tmp = f"__dusk_key{i}"
            derived[tmp] = k
            names.append(tmp)
            renames[tmp] = _pandas_name(k._text)
        frame = self.assign(**derived) if derived else self
        return GroupBy(frame, names, as_index=as_index, dropna=bool(dropna),
                       renames=renames)

    @staticmethod
    def _from_result(old, frame, shape=None):
        return DataFrame(frame, None, shape or old._shape, old._name)

    def sort_values(self, by, ascending=True, inplace=False, kind=None,
                    na_position="last", ignore_index=False, key=None):
        """A result's rows ordered by columns: stable (ties keep their
        order, as pandas' kind="stable"), nulls last."""
        if inplace:
            raise NotImplementedError("sort_values(inplace=True)")
        if by is None or (not isinstance(by, str) and not list(by)):
            raise ValueError("sort_values of a frame needs by=")
        return self._sorted(by, ascending, kind, na_position, ignore_index,
                            key)

    def set_index(self, other, drop=True, sorted=False, npartitions=None,
                  divisions=None, inplace=False, sort=True, **kwargs):
        """Dask's set_index of a whole frame: the rows sorted by the new
        index (ties in file order, nulls last: pandas'
        set_index(other).sort_index(kind="stable")).  compute() gathers
        them (one task sorts them all, as sort_values does); head(n) and
        tail(n) are a top-k; to_csv(dir) writes them range-partitioned
        with the index as each file's first column; loc[a:b] and loc[x]
        select by index value (a filter before the sort).  Of a computed
        result (after groupby, head, ...), pandas' set_index (no sort).
        sorted=True (the data already in index order) needs nothing else:
        the sort checks it anyway.

        The range partitions, as Dask's: divisions=[d0, ..., dn] (sorted,
        unique but for the last two) gives n partitions, partition i the
        index values in [d_i, d_i+1), the last its upper bound and the
        nulls too; npartitions=n (1 to 256) cuts n of them at samples of
        the data (default: one per scan, 2 to 16).  .divisions then
        gives the boundaries (computed once, reading the index column:
        the least value, the cuts, the greatest), .npartitions their
        number, get_partition(i) / partitions[i] a partition's rows, and
        to_csv writes one file per partition.  A value outside given
        divisions fails to_csv with an error naming it."""
        if inplace:
            raise NotImplementedError("set_index(inplace=True)")
        if kwargs:
            raise NotImplementedError(
                "set_index: " + ", ".join(sorted_names(kwargs)) +
                " (dusk takes drop=, sorted=, npartitions= and divisions=)")
        if npartitions == "auto":
            npartitions = None
        if not sort:
            raise NotImplementedError(
                "set_index(sort=False): dusk's set_index of a whole frame "
                "sorts by the new index, as Dask's default; compute() then "
                "set_index in pandas for the file order")
        keys = _index_keys(other)
        if (npartitions is not None or divisions is not None) and \
                (self._in_pandas or self._shape in self._RESULTS):
            raise NotImplementedError(
                "set_index: npartitions= and divisions= cut a whole frame's "
                "rows; a computed result is one pandas frame")
        if self._in_pandas:
            return self._local(lambda r: r.set_index(keys, drop=drop))
        if self._shape in self._RESULTS:
            # a computed result's rows (or a sort_values'), relabeled in
            # their order: pandas' set_index
            return self._result_step(self._frame.set_index(keys, bool(drop)))
        self._need_open("set_index")
        frame = self._frame.set_index(keys, bool(drop))
        given = None
        if divisions is not None:
            if len(keys) != 1:
                raise NotImplementedError(
                    "set_index: divisions= of several columns (a "
                    "MultiIndex); npartitions= cuts them")
            given = _checked_divisions(divisions)
            if npartitions is not None and npartitions != len(given) - 1:
                raise ValueError(
                    f"set_index: npartitions={npartitions} with "
                    f"{len(given)} divisions ({len(given) - 1} partitions)")
            frame = frame.set_divisions(_division_args(given))
        elif npartitions is not None:
            if isinstance(npartitions, bool) or \
                    not isinstance(npartitions, int) or \
                    not 1 <= npartitions <= 256:
                raise ValueError(
                    f"set_index: npartitions={npartitions!r} (an int, 1 to "
                    "256)")
            frame = frame.npartitions(npartitions)
        out = DataFrame(frame, npartitions, "sorted_rows", self._name)
        out._index_of = (self, keys, bool(drop))
        out._divisions = given
        return out

    def _groupby_indexed(self, by, level, dropna, sort, as_index, observed,
                         group_keys, kwargs):
        """groupby of a set_index frame, as pandas': by its index levels
        (level=0, level="name", or the index's name as a key) or its
        columns.  The groups do not hang on the sort, so it is the frame
        before set_index grouped (its index columns left out of the
        aggregated ones); but a group's rows are in index order in
        pandas, so first / last and value_counts' ties - which follow
        the rows' order - are refused unless every index level is a
        key (then each group's rows keep their file order)."""
        base, ikeys, drop = self._index_of
        if level is not None:
            if by is not None:
                raise TypeError("groupby: give by= or level=, not both")
            keys, multi = [], len(ikeys) > 1
            levels = level if isinstance(level, (list, tuple)) else [level]
            if not levels:
                raise ValueError("No group keys passed!")
            if len(levels) > 1 and not multi:  # pandas' errors, as pandas'
                raise ValueError("multiple levels only valid with "
                                 "MultiIndex")
            for lv in levels:
                if isinstance(lv, int) and not isinstance(lv, bool):
                    if not multi and lv not in (0, -1):
                        raise ValueError("level > 0 or level < -1 only "
                                         "valid with MultiIndex")
                    if lv < -len(ikeys):
                        raise IndexError(
                            f"Too many levels: Index has only {len(ikeys)} "
                            f"levels, {lv} is not a valid level number")
                    if lv >= len(ikeys):
                        raise IndexError(
                            f"Too many levels: Index has only {len(ikeys)} "
                            f"levels, not {lv + 1}")
                    keys.append(ikeys[lv])
                elif lv in ikeys:
                    keys.append(lv)
                elif multi:
                    raise KeyError(f"Level {lv} not found")
                else:
                    raise ValueError(f"level name {lv} is not the name of "
                                     "the index")
            if not drop:
                raise NotImplementedError(
                    "groupby(level=) after set_index(drop=False): pandas "
                    "also aggregates the column the index copies; "
                    "groupby the column instead")
        elif by is None:
            raise TypeError("You have to supply one of 'by' and 'level'")
        else:
            keys = [by] if isinstance(by, str) else list(by) \
                if isinstance(by, (list, tuple)) else None
            if keys == []:
                raise ValueError("No group keys passed!")
            if keys is None or not all(isinstance(k, str) for k in keys):
                raise NotImplementedError(
                    "groupby of a set_index frame: by column or index "
                    "names, or level=")
            for k in keys:
                if k in ikeys and not drop:
                    raise ValueError(f"'{k}' is both an index level and a "
                                     "column label, which is ambiguous.")
        if not as_index and any(k in ikeys for k in keys):
            raise NotImplementedError(
                "groupby(..., as_index=False) of a set_index frame by its "
                "index: pandas leaves index levels out of the result's "
                "columns; group with as_index=True and reset_index()")
        cols = [c for c in base.columns
                if not (drop and c in ikeys and c not in keys)]
        frame = base[cols] if len(cols) < len(base.columns) else base
        g = frame.groupby(keys, dropna=dropna, sort=sort, as_index=as_index,
                          observed=observed, group_keys=group_keys, **kwargs)
        if not set(ikeys) <= set(keys):
            g._order_note = (
                "groupby of a set_index frame by keys that leave out its "
                f"index {', '.join(ikeys)}: pandas holds each group's rows in "
                "index order, which first / last and value_counts' ties "
                "follow; groupby the frame before set_index for file order")
        return g

    # -- a set_index frame's partitions (Dask's divisions)
    @property
    def known_divisions(self):
        """Whether the partitions' index bounds are known: after
        set_index (computed on first use when not given)."""
        return self._index_of is not None

    @property
    def divisions(self):
        """The partitions' index bounds, as Dask's: after set_index
        (d0, ..., dn), partition i holding the index values in
        [d_i, d_i+1) (the last its upper bound and the nulls);
        computed once when not given (reading the index column: the
        least value, the cuts, the greatest).  Otherwise unknown: None
        for each, as Dask's read_csv."""
        if self._index_of is None:
            n = self.npartitions
            return (None,) * ((n if n is not None else 0) + 1)
        if self._divisions is None:
            if len(self._index_of[1]) != 1:
                raise NotImplementedError(
                    "divisions of a set_index of several columns (a "
                    "MultiIndex)")
            table = _run(default_client(), self._frame.divisions())
            values = to_pandas(table, "frame", None).iloc[:, 0].tolist()
            self._divisions = tuple(values) if values else (None, None)
        return self._divisions

    @property
    def npartitions(self):
        """The partitions; of a set_index frame, its divisions' (computed
        when not given, as Dask's); of a set_index of several columns,
        the npartitions= given (None: cut by samples as it is written)."""
        if self._index_of is None:
            return self._npartitions
        if len(self._index_of[1]) != 1 and self._divisions is None:
            return self._npartitions
        return len(self.divisions) - 1

    def get_partition(self, n):
        """Partition n of a set_index frame (Dask's): the rows whose index
        lies in its divisions, sorted, with those divisions.  A row whose
        index lies outside given divisions is in no partition (to_csv
        refuses it, naming it)."""
        return self.partitions[n]

    @property
    def partitions(self):
        """partitions[i] and partitions[a:b] (contiguous) of a set_index
        frame: their rows, sorted by the index."""
        if self._index_of is None:
            raise NotImplementedError(
                "partitions of a frame before set_index: dusk's partitions "
                "are byte ranges of the files, cut by the scheduler; "
                "set_index(col) first")
        return _Partitions(self)

    def _index_rows(self, lo, hi):
        """Partitions lo..hi-1 of this set_index frame (0 <= lo < hi <=
        npartitions): its base's rows whose index lies in their bounds,
        set_index again with those divisions."""
        base, keys, drop = self._index_of
        divs = self.divisions
        n = len(divs) - 1
        if divs[0] is None:  # no index value at all: one partition of nulls
            return base[base[keys[0]].isnull()].set_index(keys, drop=drop)
        col = base[keys[0]]
        mask = col >= divs[lo]
        if hi < n:
            mask = mask & (col < divs[hi])
        else:
            mask = (mask & (col <= divs[n])) | col.isnull()
        out = base[mask].set_index(keys, drop=drop)
        bounds = list(divs[lo:hi + 1])
        out._divisions = tuple(bounds)
        out._frame = out._frame.set_divisions(_division_args(bounds))
        return out

    @property
    def loc(self):
        """loc[x], loc[a:b] (both ends included, either may be None) and
        loc[[x, y]] on a set_index frame's index, as Dask's: a DataFrame of
        the rows whose index value matches, sorted by it."""
        if self._index_of is None:
            raise NotImplementedError(
                "loc: a dusk frame's rows are labelled by their place in "
                "their file; set_index(col) first, or filter with "
                "df[df.col == x]")
        return _IndexLoc(self)

    def nlargest(self, n, columns, keep="first"):
        if keep != "first":
            raise NotImplementedError("nlargest(keep=...) other than 'first'")
        return self._ranked(n, columns, True)

    def nsmallest(self, n, columns, keep="first"):
        if keep != "first":
            raise NotImplementedError("nsmallest(keep=...) other than 'first'")
        return self._ranked(n, columns, False)

    def tail(self, n=5, compute=True):
        """The last n rows: of the files (each scan keeps its last n), or
        of a result."""
        if self._shape != "frame":
            self._need_result("tail")
        return self._result_rows(n, True)

    # -- results
    def head(self, n=5, npartitions=1, compute=True):
        """The first n rows as a pandas DataFrame (scanning on past
        partitions until n rows are found, also after a filter); of a
        result (after groupby, ...), its first n rows."""
        if self._shape in self._RESULTS:
            return self._result_rows(n, False)
        self._need_open("head")
        if not compute:
            return DataFrame(self._frame.head(int(n)), None, "frame_rows")
        return _compute_now(self._frame.head(_count(n, "head")), "frame", None)

    def describe(self, percentiles=None, include=None, exclude=None,
                 datetime_is_numeric=False):
        """pandas' describe(): count, mean, std, min, the percentiles
        (25/50/75% unless given; exact, where Dask approximates) and max
        of the number columns, in two scans with bounded memory.
        include= / exclude= pick the columns as pandas does (its
        select_dtypes; "all" for every column): a text or bool column
        gives count / unique / top / freq, from its value counts."""
        self._need_open("describe")
        if datetime_is_numeric:
            raise NotImplementedError(
                "describe: datetime_is_numeric (describe of datetime "
                "columns); use min(), max() and quantile()")
        qs = _describe_percentiles(percentiles)
        meta = self._meta()
        # number columns, timedeltas among them (pandas' Timedelta rows)
        num = [c for c, t in meta.dtypes.items() if t.kind in "iufm"]
        if include is None and exclude is None:
            if num:  # every number column: one query
                return DataFrame(self._frame.describe(qs), None,
                                 "describe")._with_finish(_timedelta_rows)
            cols = list(meta.columns)  # none: every column, as pandas
        elif isinstance(include, str) and include == "all":
            if exclude is not None:
                raise ValueError("exclude must be None when include is 'all'")
            cols = list(meta.columns)
        else:
            cols = list(meta.select_dtypes(include=include,
                                           exclude=exclude).columns)
        if not cols:
            raise ValueError("No objects to concatenate")
        if any(meta.dtypes[c].kind == "M" for c in cols):
            raise NotImplementedError(
                "describe of datetime columns (pandas 1.5 warns it will "
                "change); use min(), max() and quantile()")
        return self._describe_columns(cols, [c for c in cols if c in num],
                                      qs)

    def _describe_columns(self, cols, num, qs):
        """describe(include=...) of cols: the number columns' statistics in
        one query, each other column's count / unique / top / freq from its
        value counts, side by side in pandas' row order (the shorter
        description's rows first)."""
        import pandas as pd

        def assemble(numeric, done):
            parts = dict(done)
            for c in cols:
                if c not in parts:
                    parts[c] = _timedelta_rows(numeric)[c] if c in num else \
                        Series(self, c).describe().compute()
            order = []
            for rows in sorted((parts[c].index for c in cols), key=len):
                order += [i for i in rows if i not in order]
            out = pd.concat([parts[c] for c in cols], axis=1)
            return out.reindex(order)
        if num:
            frame = self._frame.select(num).describe(qs)
            return DataFrame(frame, None, "describe")._with_finish(
                lambda r: assemble(r, {}))
        first = Series(self, cols[0]).describe()  # one query is this frame
        return DataFrame(first._frame, None, "value_counts",
                         cols[0])._with_finish(
            lambda counts: assemble(None, {cols[0]: first._finish(counts)}))

    def quantile(self, q=0.5, axis=0, numeric_only=None,
                 interpolation="linear", method="single"):
        """Exact quantiles of the number columns (pandas' linear
        interpolation; numeric_only=False adds datetime and timedelta
        columns) in two scans with bounded memory; lazy: .compute() gives
        a Series named q for one q, else a DataFrame indexed by q."""
        _quantile_args(axis, interpolation, method)
        self._need_open("quantile")
        qs, one = _quantiles(q)
        cols = []
        if numeric_only is False:
            dtypes = self.dtypes
            bad = [c for c, t in dtypes.items() if t.kind not in "iufmM"]
            if bad:
                raise TypeError(
                    f"quantile: column {bad[0]!r} is {dtypes[bad[0]]}, not "
                    "numbers or datetimes")
            cols = list(dtypes.index)
        frame = self._frame.quantile(cols, qs)
        if one:
            return Series(None, None, frame, "quantile")._with_finish(
                lambda r: _quantile_row(r, qs[0]))
        return DataFrame(frame, None, "quantile")._with_finish(
            _quantile_frame)

    def median(self, axis=None, skipna=True, numeric_only=None, **kw):
        """Exact medians of the number and bool columns, as pandas 1.5's
        default takes them (numeric_only=True leaves the bools out);
        lazy: .compute()."""
        _check_reduce_args("median", dict(kw, axis=axis, skipna=skipna))
        self._need_open("median")
        frame = self._frame.quantile([], [0.5], True)
        drop = []
        if numeric_only:
            drop = [c for c, t in self.dtypes.items() if t.kind in "bO"]
        return Series(None, None, frame, "quantile")._with_finish(
            lambda r: _quantile_row(r, None).drop(drop, errors="ignore"))

    def to_csv(self, filename, **kwargs):
        """Writes one CSV file per partition into the directory filename
        (as Dask's "dir/*.part"); returns the list of files written.  Of
        a sorted frame, the files are its rows in order, range-partitioned
        by the sort keys (each part sorted by a task of its own; ties in
        file order, as kind="stable")."""
        if self._shape not in ("frame", "sorted_rows", "sorted_column") and \
                self._on_result():
            return self._result_to_csv(filename, kwargs)
        if self._shape != "sorted_rows":
            self._need_open("to_csv")
        if kwargs:
            raise NotImplementedError(
                "to_csv: dusk does not support " + ", ".join(sorted(kwargs)))
        d = os.path.abspath(os.fspath(filename))
        if "*" in os.path.basename(d):
            d = os.path.dirname(d)
        frame = self._frame
        if self._index_of is not None and self._divisions is not None and \
                self._divisions[0] is not None:
            # one file per partition of .divisions
            frame = frame.set_divisions(_division_args(self._divisions))
        return _compute_now(frame.to_csv(d), "to_csv", None)

    def drop_duplicates(self, subset=None, keep="first", inplace=False,
                        ignore_index=False, split_every=None,
                        split_out=None, **kwargs):
        """The first row of each distinct value of subset (of whole rows
        when None), in file order, exact over the whole frame (pandas'
        keep="first"); lazy: .compute().  Each scan keeps one row per key
        it meets: memory grows with the distinct keys, not the rows."""
        if keep != "first" or inplace or ignore_index or kwargs:
            raise NotImplementedError(
                "drop_duplicates: only keep='first', without inplace or "
                "ignore_index")
        self._need_open("drop_duplicates")
        cols = [] if subset is None else \
            [subset] if isinstance(subset, str) else list(subset)
        return DataFrame(self._frame.drop_duplicates(cols), None,
                         "frame_rows")

    def sample(self, n=None, frac=None, replace=False, weights=None,
               random_state=None, axis=None, ignore_index=False):
        """A random sample: each row kept with probability frac, decided
        by a hash of (random_state, its partition, its row), so the same
        random_state and blocksize give the same rows on any cluster
        (None: a fresh draw each call, as pandas).  Unlike pandas the rows
        keep their file order and their number is frac times the rows on
        average (Dask's sample is approximate too); lazy."""
        self._need_open("sample")
        if n is not None or frac is None:
            raise NotImplementedError(
                "sample(n=) needs the frame's length first; use frac=")
        if replace or weights is not None or ignore_index or \
                axis not in (None, 0, "index", "rows"):
            raise NotImplementedError(
                "sample: replace, weights, ignore_index and axis=1")
        if not 0 <= frac <= 1:
            raise ValueError("Replace has to be set to `True` when "
                             "upsampling the population `frac` > 1."
                             if frac > 1 else "frac must be >= 0")
        return DataFrame(self._frame.sample(float(frac),
                                            _seed(random_state)),
                         self._npartitions)

    def persist(self, client=None, timeout=None, **kwargs):
        """Reads the files once - every column, parsed - into partitions
        the workers keep in memory, and returns a frame of the same rows
        that reads them: queries on it (and on frames made from it) skip
        the CSV parse.  As in Dask, the partitions live while a frame made
        from the result does; unpersist() or client.cancel(frame) releases
        them at once.  The steps after read_csv (filters, assigns) still
        run in each query."""
        if kwargs:
            raise NotImplementedError(
                "persist: dusk does not support " + ", ".join(sorted(kwargs)))
        self._need_open("persist")
        c = self._client(client)
        c._flush_releases()
        try:
            frame, key, rows = c._conn.persist(self._frame, timeout)
        except Exception as e:
            _user_words(e)
            raise
        frame.keep(_Persisted(c, key, rows))
        out = DataFrame(frame, self._npartitions)
        out._meta_cache = self._meta_cache
        return out

    def unpersist(self):
        """Releases the partitions this frame's reads were persisted in
        (queries on frames that read them fail from then on)."""
        key = self._frame.persisted()
        if key is not None:
            _Persisted.release(key)
        return self

    def repartition(self, *args, **kwargs):
        raise NotImplementedError("repartition")

    def _reduce(self, fn, numeric_only=None, **kw):
        _check_reduce_args(fn, kw)
        self._need_open(fn)
        if numeric_only:
            cols = [c for c, t in self.dtypes.items()
                    if t.kind in "iufb"]
            if not cols:
                raise ValueError(f"{fn}: no numeric column")
        else:
            cols = [None]  # every column the function applies to
        frame = self._frame.reduce(cols, [fn] * len(cols))
        return Series(None, None, frame, "reduce_frame")

    def count(self, axis=None, numeric_only=False, **kw):
        """Non-null values per column (lazy: .compute())."""
        return self._reduce("count", numeric_only, axis=axis, **kw)

    def isna(self):
        """Which values are missing, for pandas' df.isna().sum() /
        .mean() / .any(): per column, from the non-null counts and the
        row count (two light queries; no mask is materialised)."""
        self._need_open("isna")
        return _MissingCounts(self)
    isnull = isna

    def sum(self, axis=None, skipna=True, numeric_only=None, min_count=0,
            **kw):
        """Sums of the columns as pandas 1.5's default (numeric_only=None)
        gives them: numbers and bools summed, a text column's strings
        concatenated in file order when it holds no missing value, and
        left out when it does (and datetimes), with pandas'
        FutureWarning when a column is left out; numeric_only=True sums
        the number and bool columns alone.  Lazy: .compute()."""
        out = self._reduce("sum", numeric_only, axis=axis, skipna=skipna,
                           min_count=min_count, **kw)
        if numeric_only is not None:
            return out
        ncols = len(self.columns)

        def warn_dropped(r):
            if len(r) < ncols:
                import warnings
                warnings.warn(_NUMERIC_ONLY_WARNING.format("sum"),
                              FutureWarning, stacklevel=3)
            return r
        return out._with_finish(warn_dropped)

    def mean(self, axis=None, skipna=True, numeric_only=None, **kw):
        return self._reduce("mean", numeric_only, axis=axis, skipna=skipna,
                            **kw)

    def min(self, axis=None, skipna=True, numeric_only=None, **kw):
        return self._reduce("min", numeric_only, axis=axis, skipna=skipna,
                            **kw)

    def max(self, axis=None, skipna=True, numeric_only=None, **kw):
        return self._reduce("max", numeric_only, axis=axis, skipna=skipna,
                            **kw)

    def std(self, axis=None, skipna=True, ddof=1, numeric_only=None, **kw):
        return self._reduce("std", numeric_only, axis=axis, skipna=skipna,
                            ddof=ddof, **kw)

    def var(self, axis=None, skipna=True, ddof=1, numeric_only=None, **kw):
        return self._reduce("var", numeric_only, axis=axis, skipna=skipna,
                            ddof=ddof, **kw)

    def nunique(self, axis=0, dropna=True, **kw):
        return self._reduce("nunique", None, axis=axis, dropna=dropna, **kw)


def _timedelta_rows(frame):
    """describe's result with each timedelta column as pandas' object
    column: the count an int, the other rows Timedeltas (NaT for none).
    The cluster sends such a column as the text pandas prints for each
    value (a text column; a number column stays float64)."""
    import pandas as pd
    out = frame.copy()
    for c in frame.columns:
        if frame[c].dtype != object:
            continue
        out[c] = pd.Series(
            [int(v) if i == "count" else
             pd.NaT if pd.isna(v) else pd.Timedelta(v)
             for i, v in zip(frame.index, frame[c])],
            index=frame.index, dtype=object, name=c)
    return out


def _describe_percentiles(percentiles):
    """describe's percentiles as pandas refines them: None for its 25, 50
    and 75%, else in [0, 1], 0.5 among them, sorted and distinct."""
    if percentiles is None:
        return None
    qs = [float(q) for q in percentiles]
    if not all(0 <= q <= 1 for q in qs):
        raise ValueError(
            "percentiles should all be in the interval [0, 1]. Try "
            f"{[q / 100 for q in qs]} instead.")
    if 0.5 not in qs:
        qs.append(0.5)
    if len(set(qs)) < len(qs):
        raise ValueError("percentiles cannot contain duplicates")
    return sorted(qs)


def _quantiles(q):
    """The list of quantiles q gives, and whether it was one number."""
    one = not isinstance(q, (list, tuple, range)) and \
        not hasattr(q, "__array__")
    qs = [float(q)] if one else [float(x) for x in q]
    if not qs or any(not 0.0 <= x <= 1.0 for x in qs):
        raise ValueError(
            "percentiles should all be in the interval [0, 1]. Try "
            f"{[x / 100 for x in qs] if qs else 0.5} instead.")
    return qs, one


def _quantile_args(axis, interpolation, method):
    if axis not in (0, "index", None):
        raise NotImplementedError("quantile(axis=1)")
    if interpolation != "linear" or method != "single":
        raise NotImplementedError(
            "quantile: only interpolation='linear' (pandas' default)")


def _na_as_nan(v):
    """pandas' scalar quantile of no value: NaN, even of an Int64."""
    return float("nan") if v is _pd().NA else v


def _masked_quantiles(values):
    """Quantiles of an Int64 column as pandas 1.5 gives them: Int64 when
    every one is integral, else Float64 (NA where there was no value)."""
    import numpy as np
    values = np.asarray(values, dtype=np.float64)
    out = _pd().array(values, dtype="Float64")
    ok = ~np.isnan(values)
    if ok.any() and (values[ok] == np.round(values[ok])).all():
        return out.astype("Int64")
    return out


def _quantile_frame(r):
    r.index = _pd().Index([float(x) for x in r.index])
    r.columns.name = None
    return r


def _quantile_row(r, name):
    row = r.iloc[0].copy()
    row.name = name
    return row


def _pd():
    import pandas
    return pandas


# pandas 1.5's warning when a reduction's default (numeric_only=None)
# leaves a column out
_NUMERIC_ONLY_WARNING = (
    "The default value of numeric_only in DataFrame.{} is deprecated. In a "
    "future version, it will default to False. In addition, specifying "
    "'numeric_only=None' is deprecated. Select only valid columns or "
    "specify the value of numeric_only to silence this warning.")


# A column read as pandas' nullable Int64 or boolean (read_csv dtype=), or
# computed from one, comes back as pandas' nullable arrays; value_counts()
# of one (its values as the index) is made so here.

def _nullable_array(values):
    """values (pandas' nullable array already, or a numpy array of ints,
    floats with NaN, bools or objects with NaN) as pandas' IntegerArray
    or BooleanArray."""
    import numpy as np
    arrays = _pd().arrays
    if isinstance(values, (arrays.IntegerArray, arrays.FloatingArray,
                           arrays.BooleanArray)):
        return values
    values = np.asarray(values)
    boolean = values.dtype == bool or (
        values.dtype == object and
        all(isinstance(v, (bool, np.bool_)) for v in values if v == v))
    return _pd().array(values, dtype="boolean" if boolean else "Int64")


def _nullable_counts(r):
    """value_counts of a nullable column as pandas 1.5 returns it: the
    values an Index of the nullable dtype, the counts Int64 (Float64
    when normalized); the same columns once reset_index made them a
    frame (pandas' "index" and the counts)."""
    pd = _pd()

    def counts(s):
        return s.astype({"i": "Int64", "f": "Float64"}[s.dtype.kind]) \
            if s.dtype.kind in "if" else s
    if isinstance(r, pd.Series):
        r = counts(r)
        r.index = pd.Index(_nullable_array(r.index.array),
                           name=r.index.name)
    elif isinstance(r, pd.DataFrame) and "index" in r.columns:
        r = r.copy()
        for c in r.columns:
            r[c] = _nullable_array(r[c].array) if c == "index" \
                else counts(r[c])
    return r


def _check_reduce_args(fn, kw):
    """What dusk's reductions do: over rows (axis 0), skipping nulls, with
    ddof=1 and min_count=0; other values raise NotImplementedError."""
    kw.pop("split_every", None)  # Dask's tree width: dusk picks its own
    bad = []
    if kw.pop("axis", None) not in (None, 0, "index", "rows"):
        bad.append("axis=1")
    if kw.pop("skipna", True) is not True:
        bad.append("skipna=False")
    if kw.pop("dropna", True) is not True:
        bad.append("dropna=False")
    if kw.pop("ddof", 1) != 1:
        bad.append("ddof other than 1")
    if kw.pop("min_count", 0) != 0:
        bad.append("min_count")
    bad += sorted(kw)
    if bad:
        raise NotImplementedError(f"{fn}: dusk does not support "
                                  + ", ".join(bad))


def _scalar(v):
    if isinstance(v, Scalar):  # a lazy scalar stands as its value
        v = v.compute()
    try:
        import numpy as np
        if isinstance(v, np.generic):
            v = v.item()
    except ImportError:
        pass
    return v


class _Persisted:
    """A persist query's partitions, held on the cluster (the query's key,
    counted like a Future's) while a frame that reads them lives: every
    frame made from a persisted one holds this handle (Frame.keep)."""

    _live = {}  # key -> client, for unpersist() by key

    def __init__(self, client, key, rows):
        self.client = client
        self.key = key
        self.rows = rows
        client._ref(key)
        _Persisted._live[key] = client

    def __del__(self):
        c = getattr(self, "client", None)
        if c is not None and _Persisted._live.get(self.key) is c:
            _Persisted._live.pop(self.key, None)
            c._unref(self.key)

    @staticmethod
    def release(key):
        c = _Persisted._live.pop(key, None)
        if c is not None:
            c._unref(key)
            c._flush_releases()


def _count(n, what):
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{what} needs a whole number of rows (>= 0)")
    return n


def _compute_now(frame, shape, name, client=None):
    table = _run(default_client() if client is None else client, frame)
    return to_pandas(table, shape, name)


class Series(_Lazy):
    """One column of a lazy frame (or a lazy aggregation result)."""

    def __init__(self, df, name, frame=None, shape="column"):
        super().__init__(frame if frame is not None else df._frame,
                         df._npartitions if df is not None else None, shape,
                         name)
        self._df = df
        self.name = name

    @property
    def _text(self):
        return _column_ref(self.name)

    def _expr(self):
        if self._shape in _Lazy._RESULTS or self._in_pandas:
            return ResultColumn(self, lambda r: r)
        return Expr(self._df, self._text, False)

    def to_csv(self, filename, **kwargs):
        """Of a computed result (groupby(...).x.sum(), value_counts()):
        written at once, as DataFrame.to_csv writes a result."""
        if self._shape in _Lazy._RESULTS and \
                self._shape not in ("sorted_rows", "sorted_column") or \
                self._in_pandas:
            return self._result_to_csv(filename, kwargs)
        raise _no_attribute("Series", "to_csv")

    def __getattr__(self, name):
        # any other pandas attribute or method of a result (s.idxmax(),
        # s.index), taken on the computed value
        if not name.startswith("_") and (self._shape in _Lazy._RESULTS or
                                         self._in_pandas):
            return getattr(self._expr(), name)
        if name.startswith("_"):
            raise AttributeError(name)
        raise _no_attribute("Series", name)

    def __getitem__(self, key):
        """s[condition] of a computed result (s[s > 10]), in pandas once
        it arrives."""
        if not (self._shape in _Lazy._RESULTS or self._in_pandas):
            raise NotImplementedError(
                "indexing a whole frame's column; filter the frame "
                "(df[df.x > 0].x) or compute a result first")
        cond = self._expr()._of(key)
        return self._local(lambda r: r[cond(r)])

    def __eq__(self, o): return self._expr() == o
    def __ne__(self, o): return self._expr() != o
    def __lt__(self, o): return self._expr() < o
    def __le__(self, o): return self._expr() <= o
    def __gt__(self, o): return self._expr() > o
    def __ge__(self, o): return self._expr() >= o
    def __add__(self, o): return self._expr() + o
    def __radd__(self, o): return o + self._expr()
    def __sub__(self, o): return self._expr() - o
    def __rsub__(self, o): return self._expr().__rsub__(o)
    def __mul__(self, o): return self._expr() * o
    def __rmul__(self, o): return self._expr().__rmul__(o)
    def __truediv__(self, o): return self._expr() / o
    def __rtruediv__(self, o): return self._expr().__rtruediv__(o)
    def __mod__(self, o): return self._expr() % o
    def __rmod__(self, o): return self._expr().__rmod__(o)
    def __floordiv__(self, o): return self._expr() // o
    def __rfloordiv__(self, o): return self._expr().__rfloordiv__(o)
    def __pow__(self, o): return self._expr() ** o
    def __rpow__(self, o): return self._expr().__rpow__(o)
    def __neg__(self): return -self._expr()
    def _cond(self):
        if self._shape in _Lazy._RESULTS or self._in_pandas:
            return self._expr()
        return Expr(self._df, self._text, True)

    def __and__(self, o): return self._cond() & o
    def __or__(self, o): return self._cond() | o
    def __invert__(self): return ~self._cond()
    __hash__ = None

    def __bool__(self):
        raise ValueError("the truth value of a lazy dusk Series is ambiguous")

    def isnull(self): return self._expr().isnull()
    def notnull(self): return self._expr().notnull()
    def __abs__(self): return abs(self._expr())
    def abs(self): return abs(self._expr())

    def between(self, left, right, inclusive="both"):
        return self._expr().between(left, right, inclusive)
    def isin(self, values): return self._expr().isin(values)
    def round(self, decimals=0): return self._expr().round(decimals)
    def astype(self, dtype): return self._expr().astype(dtype)

    def clip(self, lower=None, upper=None):
        return self._expr().clip(lower, upper)

    def where(self, cond, other=float("nan"), **kw):
        return self._expr().where(cond, other, **kw)

    def mask(self, cond, other=float("nan"), **kw):
        return self._expr().mask(cond, other, **kw)
    def __round__(self, ndigits=None): return self._expr().round(ndigits or 0)

    @property
    def dt(self):
        if self._shape != "column":
            raise NotImplementedError(".dt of an aggregation result")
        return _DatetimeAccessor(self._df, self._text)

    @property
    def str(self):
        if self._shape != "column":
            raise NotImplementedError(".str of an aggregation result")
        return _StringAccessor(self._df, self._text)
    isna, notna = isnull, notnull

    def _column_frame(self):
        if self._shape != "column":
            raise NotImplementedError(
                f"this operation on a {self._shape.replace('_', ' ')} result")
        return self._df._frame.select([self.name])

    def describe(self, percentiles=None, include=None, exclude=None,
                 datetime_is_numeric=False):
        """pandas' Series.describe(): count, mean, std, min, the
        percentiles (25/50/75% unless given; exact) and max of a number
        column; count, unique, top and freq of a text or bool column (its
        value counts: when several values share the highest count, top is
        one of them, as pandas documents).  include= and exclude= are
        pandas' for frames: a Series ignores them, as pandas' does."""
        import pandas as pd
        if self._shape != "column":
            raise NotImplementedError("describe of an aggregation result")
        qs = _describe_percentiles(percentiles)
        kind = self._df.dtypes[self.name].kind
        if kind in "iufm":  # a timedelta: pandas' Timedelta rows
            frame = self._df._frame.select([self.name]).describe(qs)
            return DataFrame(frame, None, "describe")._with_finish(
                lambda r: _timedelta_rows(r)[self.name])
        if kind == "M" or datetime_is_numeric:
            raise NotImplementedError(
                "describe of a datetime column (pandas 1.5 warns it will "
                "change); use min(), max() and quantile()")
        name = self.name

        def summary(counts):
            top = counts.index[0] if len(counts) else float("nan")
            freq = counts.iloc[0] if len(counts) else float("nan")
            return pd.Series([int(counts.sum()), len(counts), top, freq],
                             index=["count", "unique", "top", "freq"],
                             name=name, dtype=object)
        return Series(None, name, self._df._frame.value_counts(name),
                      "value_counts")._with_finish(summary)

    def value_counts(self, sort=True, ascending=False, normalize=False,
                     dropna=True, split_every=None, split_out=None):
        """pandas' value_counts; Dask's split_out=n hash-partitions the
        values into n parts, each counted by a task of its own (for
        millions of distinct values: the answer is the same, and the
        scheduler splits one that large without asking)."""
        if not sort or ascending:
            raise NotImplementedError(
                "value_counts: only the default sort (largest first)")
        if self._shape != "column":
            raise NotImplementedError("value_counts of an aggregation result")
        if split_out is not None and (
                isinstance(split_out, bool) or not isinstance(split_out, int)
                or not 1 <= split_out <= 256):
            raise ValueError("split_out: a number of parts from 1 to 256")
        masked = self._df._frame.masked(self.name)
        frame = self._df._frame.value_counts(self.name)
        if not dropna:  # the missing values are counted too, as a value
            frame = frame.dropna_keys(False)
        if normalize:  # shares of the values counted, as pandas 1.5
            frame = frame.normalize_counts()
        if split_out is not None and split_out > 1:
            frame = frame.split_out(split_out)
        out = Series(None, self.name, frame, "value_counts")
        return out._with_finish(_nullable_counts) if masked else out

    def fillna(self, value):
        if self._shape != "column":
            raise NotImplementedError("fillna of an aggregation result")
        return Series(self._df.fillna({self.name: value}), self.name)

    def dropna(self, axis=0, inplace=False, how=None):
        """The column's values without its nulls (the frame's rows where
        it has one are left out)."""
        if self._shape != "column" or inplace or axis not in (0, "index"):
            raise NotImplementedError(
                "dropna of a frame's column (no inplace, axis 0)")
        return Series(self._df.dropna(subset=[self.name]), self.name)

    def sample(self, n=None, frac=None, replace=False, weights=None,
               random_state=None, axis=None, ignore_index=False):
        """DataFrame.sample of the column (same rows for the same
        random_state)."""
        if self._shape != "column":
            raise NotImplementedError("sample of an aggregation result")
        return Series(self._df.sample(n, frac, replace, weights,
                                      random_state, axis, ignore_index),
                      self.name)

    def head(self, n=5, npartitions=1, compute=True):
        if self._shape in self._RESULTS or self._shape == "reduce_frame":
            return self._result_rows(n, False)
        return _public(_compute_now(
            self._column_frame().head(_count(n, "head")), "column",
            self.name))

    def tail(self, n=5, compute=True):
        """The last n values: of the column, or of a result."""
        if self._shape not in ("reduce_frame", "column"):
            self._need_result("tail")
        return self._result_rows(n, True)

    @staticmethod
    def _from_result(old, frame, shape=None):
        return Series(None, old.name, frame, shape or old._shape)

    def sort_values(self, ascending=True, inplace=False, kind=None,
                    na_position="last", ignore_index=False, key=None):
        """A result's values in order: stable (ties keep their order, as
        pandas' kind="stable"), nulls last."""
        if inplace:
            raise NotImplementedError("sort_values(inplace=True)")
        return self._sorted(None, ascending, kind, na_position, ignore_index,
                            key)

    def nlargest(self, n=5, keep="first"):
        if keep != "first":
            raise NotImplementedError("nlargest(keep=...) other than 'first'")
        return self._ranked(n, None, True)

    def nsmallest(self, n=5, keep="first"):
        if keep != "first":
            raise NotImplementedError("nsmallest(keep=...) other than 'first'")
        return self._ranked(n, None, False)

    def compute(self, client=None, timeout=None, **kwargs):
        if self._shape == "column":
            if kwargs:
                raise NotImplementedError("compute options")
            table = _run(self._client(client), self._column_frame(),
                         timeout)
            return _public(self._finished(to_pandas(table, "column",
                                                    self.name)))
        return super().compute(client, timeout, **kwargs)

    def __len__(self):
        if self._shape in _Lazy._RESULTS or self._in_pandas:
            return len(self.compute())  # a result's rows, computed
        table = _run(default_client(), self._column_frame().len())
        return to_pandas(table, "len", None)

    def __repr__(self):
        if self._shape == "column" and self.name in _HIDDEN_NAMES:
            return f"<dusk Series of {_HIDDEN_NAMES[self.name][1]}: lazy>"
        if self._shape == "column":
            return f"<dusk Series {self.name!r}: lazy>"
        return f"<dusk {self._shape.replace('_', ' ')} of {self.name!r}: call .compute()>"

    def _reduce(self, fn, **kw):
        if self._shape in _Lazy._RESULTS or self._in_pandas:
            # of a computed result: pandas' own, once it arrives
            return self._expr()._map(fn, **kw)
        _check_reduce_args(fn, kw)
        if self._shape != "column":
            raise NotImplementedError(
                f"{fn} of a {self._shape.replace('_', ' ')} result; "
                "compute() it and go on in pandas")
        frame = self._df._frame.reduce([self.name], [fn])
        return Scalar._of(Series(None, self.name, frame, "reduce_column"),
                          f"{self._shown()}.{fn}()")

    def _shown(self):
        """The column (or hidden expression) as the user wrote it."""
        return _HIDDEN_NAMES[self.name][1] if self.name in _HIDDEN_NAMES \
            else self.name

    def sum(self, axis=None, skipna=True, min_count=0, **kw):
        """The column's sum (lazy: .compute() gives the number)."""
        return self._reduce("sum", axis=axis, skipna=skipna,
                            min_count=min_count, **kw)

    def mean(self, axis=None, skipna=True, **kw):
        return self._reduce("mean", axis=axis, skipna=skipna, **kw)

    def min(self, axis=None, skipna=True, **kw):
        return self._reduce("min", axis=axis, skipna=skipna, **kw)

    def max(self, axis=None, skipna=True, **kw):
        return self._reduce("max", axis=axis, skipna=skipna, **kw)

    def std(self, axis=None, skipna=True, ddof=1, **kw):
        return self._reduce("std", axis=axis, skipna=skipna, ddof=ddof, **kw)

    def var(self, axis=None, skipna=True, ddof=1, **kw):
        return self._reduce("var", axis=axis, skipna=skipna, ddof=ddof, **kw)

    def count(self, **kw):
        return self._reduce("count", **kw)

    def nunique(self, dropna=True, **kw):
        return self._reduce("nunique", dropna=dropna, **kw)

    def unique(self, **kwargs):
        """The distinct values in order of appearance, NaN included, as
        pandas' Series.unique(); lazy (.compute() gives the numpy array or
        pandas' DatetimeArray, as pandas returns)."""
        if kwargs:
            raise NotImplementedError("unique: " + ", ".join(sorted(kwargs)))
        if self._shape == "column" and self._df._frame.masked(self.name):
            # pandas' Int64 / boolean column: its IntegerArray /
            # BooleanArray
            return self.drop_duplicates()._with_finish(
                lambda s: _nullable_array(s.unique()))
        return self.drop_duplicates()._with_finish(lambda s: s.unique())

    def drop_duplicates(self, keep="first", inplace=False, **kwargs):
        """The first occurrence of each value, in file order (lazy)."""
        if keep != "first" or inplace or kwargs:
            raise NotImplementedError(
                "drop_duplicates: only keep='first', without inplace")
        if self._shape != "column":
            raise NotImplementedError("drop_duplicates of a result")
        return Series(None, self.name,
                      self._column_frame().drop_duplicates([]), "agg_series")

    def quantile(self, q=0.5, interpolation="linear"):
        """Exact quantiles of a number, datetime or timedelta column, in
        two scans; lazy: .compute() gives a scalar for one q (NaN / NaT on
        no values), else a Series indexed by q."""
        _quantile_args(0, interpolation, "single")
        if self._shape != "column":
            raise NotImplementedError(
                f"quantile of a {self._shape.replace('_', ' ')} result; "
                "compute() it and go on in pandas")
        qs, one = _quantiles(q)
        name = self.name
        frame = self._df._frame.quantile([name], qs)
        out = Series(None, name, frame, "quantile")
        cast = _masked_quantiles if self._df._frame.masked(name) and \
            str(self._df.dtypes.get(name)) == "Int64" else (lambda v: v)
        if one:
            return Scalar._of(
                out._with_finish(lambda r: _na_as_nan(
                    cast(r.iloc[:1, 0].values)[0])),
                f"{self._shown()}.quantile({qs[0]!r})")
        return out._with_finish(lambda r: _pd().Series(
            cast(r.iloc[:, 0].values), index=_pd().Index(qs), name=name))

    def median(self, axis=None, skipna=True, **kw):
        """The column's exact median (lazy: .compute() gives the number)."""
        _check_reduce_args("median", dict(kw, axis=axis, skipna=skipna))
        if self._shape != "column":
            raise NotImplementedError(
                f"median of a {self._shape.replace('_', ' ')} result; "
                "compute() it and go on in pandas")
        frame = self._df._frame.quantile([self.name], [0.5], True)
        return Scalar._of(Series(None, self.name, frame, "quantile")
                          ._with_finish(lambda r: r.iloc[0, 0]),
                          f"{self._shown()}.median()")


_AGGS = ("count", "size", "sum", "mean", "min", "max", "std", "var",
         "nunique", "first", "last", "median", "quantile")


def _value_level_codes(r):
    """A grouped value_counts' last index level as pandas builds it: the
    values factorized, a missing one the code -1 rather than a level."""
    import pandas as pd
    idx = r.index
    if not isinstance(idx, pd.MultiIndex):
        return r
    codes, uniques = pd.factorize(idx.get_level_values(-1), sort=True)
    r.index = pd.MultiIndex(levels=list(idx.levels[:-1]) + [uniques],
                            codes=list(idx.codes[:-1]) + [codes],
                            names=idx.names, verify_integrity=False)
    return r


class GroupBy:
    """df.groupby(keys): aggregations give lazy results (compute() them)."""

    def __init__(self, df, keys, columns=None, series=False, as_index=True,
                 dropna=True, renames=None):
        self._df = df
        self._keys = keys
        self._renames = renames or {}  # expression keys: tmp -> pandas' name
        self._columns = columns  # None = every non-key column
        self._series = series    # selected with ["col"]: a Series result
        self._as_index = as_index
        self._dropna = dropna    # False: a missing key is a group (last)
        self._split_out = 1      # Dask's split_out: groups in n hash parts
        # why the rows' order in a group is not the file's (a set_index
        # frame grouped by other keys): first / last, value_counts refused
        self._order_note = None

    def _so(self, split_out):
        """This groupby with Dask's split_out=n: its groups hash-partitioned
        into n parts, each merged by a task of its own (for millions of
        groups; the answer is the same)."""
        if split_out is None or split_out == 1:
            return self
        if isinstance(split_out, bool) or not isinstance(split_out, int) \
                or not 1 <= split_out <= 256:
            raise ValueError("split_out: a number of parts from 1 to 256")
        g = GroupBy(self._df, self._keys, self._columns, self._series,
                    self._as_index, self._dropna, self._renames)
        g._split_out = split_out
        g._order_note = self._order_note
        return g

    def __getitem__(self, key):
        if isinstance(key, str):
            g = GroupBy(self._df, self._keys, [key], True, self._as_index,
                        self._dropna, self._renames)
        elif isinstance(key, list) and all(isinstance(k, str) for k in key):
            g = GroupBy(self._df, self._keys, list(key), False,
                        self._as_index, self._dropna, self._renames)
        else:
            raise TypeError("select groupby columns by name")
        g._split_out = self._split_out
        g._order_note = self._order_note
        return g

    def _order_free(self, fns):
        """Refuses fns that follow the rows' order where a group's rows
        are not in file order (_order_note)."""
        for fn in fns:
            if self._order_note is not None and fn in ("first", "last",
                                                       "value_counts"):
                raise NotImplementedError(f"{fn}: {self._order_note}")

    def _named(self, out):
        """Expression keys' levels (or columns, as_index=False) named as
        pandas names them, as the result arrives."""
        if not self._renames:
            return out
        m, as_index = self._renames, self._as_index

        size = out._shape == "agg_size"

        def name(r):
            if not as_index and size:  # size() keeps every key, named
                return r.rename(columns={k: v for k, v in m.items()
                                         if v is not None})
            if not as_index:  # pandas inserts only keys that are columns
                return r.drop(columns=list(m),
                              level=0 if r.columns.nlevels > 1 else None)
            if r.index.nlevels > 1:
                return r.rename_axis(index=[m.get(n, n)
                                            for n in r.index.names])
            return r.rename_axis(index=m.get(r.index.name, r.index.name))
        prev = out._finish
        out._finish = (lambda r: name(prev(r))) if prev else name
        return out

    def _grouped(self, cols, fns, labels=None):
        self._order_free(fns)
        frame = self._df._frame.groupby(self._keys, cols, fns, labels)
        if self._split_out > 1 and self._keys:
            frame = frame.split_out(self._split_out)
        return frame if self._dropna else frame.dropna_keys(False)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        # The frame's columns, found as df.col finds them: a plan the
        # scheduler refuses (an ill-typed assign, a concat of frames that
        # do not line up) raises its own error here, as g["col"] would at
        # compute - not "no attribute", which hid it.
        if name in self._df.columns:
            return self[name]
        raise _no_attribute("GroupBy", name)

    def _flat(self, out):
        """as_index=False: the keys become columns, as pandas does."""
        if self._as_index:
            return out
        # the keys become columns in pandas, as the result arrives; the
        # steps after it (sort_values("size")) run there too
        if isinstance(out, DataFrame):
            prev = out._finish
            out = out._with_finish(
                lambda r: (prev(r) if prev else r).reset_index())
        else:
            name = "size" if out._shape == "agg_size" else None
            out = DataFrame(out._frame, None, out._shape, out._name) \
                ._with_finish(lambda r: r.reset_index(name=name) if name
                              else r.reset_index())
        out._in_pandas = True
        return out

    def _agg(self, fn, q=None):
        if fn == "size":
            # pandas names the count after the column of a Series
            # selection (g["x"].size()), and leaves it unnamed otherwise
            frame = self._grouped([None], ["size"])
            name = self._columns[0] if self._series else None
            return self._named(self._flat(Series(None, name, frame,
                                                 "agg_size")))
        cols = self._columns if self._columns is not None else [None]
        frame = self._grouped(cols, [fn] * len(cols))
        if q is not None:
            frame = frame.quantile_q(q)
        if self._series:
            return self._named(self._flat(Series(None, self._columns[0],
                                                 frame, "agg_series")))
        return self._named(self._flat(DataFrame(frame, None, "agg")))

    def count(self, split_out=None): return self._so(split_out)._agg("count")
    def size(self, split_out=None): return self._so(split_out)._agg("size")

    def sum(self, numeric_only=None, split_out=None):
        return self._so(split_out)._agg("sum")

    def mean(self, numeric_only=None, split_out=None):
        return self._so(split_out)._agg("mean")

    def min(self, numeric_only=None, split_out=None):
        return self._so(split_out)._agg("min")

    def max(self, numeric_only=None, split_out=None):
        return self._so(split_out)._agg("max")

    def std(self, ddof=1, numeric_only=None):
        if ddof != 1:
            raise NotImplementedError("groupby std with ddof other than 1")
        return self._agg("std")

    def var(self, ddof=1, numeric_only=None):
        if ddof != 1:
            raise NotImplementedError("groupby var with ddof other than 1")
        return self._agg("var")

    def nunique(self, dropna=True):
        if not dropna:
            raise NotImplementedError(
                "groupby nunique(dropna=False): dusk counts the distinct "
                "values without the missing ones (dropna=True)")
        return self._agg("nunique")

    def median(self, numeric_only=None):
        """Each group's exact median (pandas' groupby median) of the
        number columns."""
        return self._agg("median")

    def quantile(self, q=0.5, interpolation="linear", numeric_only=None):
        """Each group's exact quantile q (one float), with pandas'
        linear interpolation."""
        import numbers
        if interpolation != "linear":
            raise NotImplementedError(
                "groupby quantile: interpolation='linear' only")
        if isinstance(q, bool) or not isinstance(q, numbers.Real):
            raise NotImplementedError(
                "groupby quantile: one q at a time (a list is not "
                "supported)")
        if not 0 <= q <= 1:
            raise ValueError("quantile: q must be between 0 and 1")
        return self._agg("quantile", float(q))

    def first(self, numeric_only=False, min_count=-1):
        """Each group's first non-null value of every column, in file
        order."""
        self._defaults("first", numeric_only, min_count)
        return self._bools_again(self._agg("first"))

    def last(self, numeric_only=False, min_count=-1):
        """Each group's last non-null value of every column."""
        self._defaults("last", numeric_only, min_count)
        return self._bools_again(self._agg("last"))

    def _bools_again(self, out):
        """A bool column with a null in its file is pandas' object column
        of bools and NaN, and so is its first / last by group (the
        engine marks it).  pandas 1.5 infers a frame's first() / last()
        again (DataFrameGroupBy's, or as_index=False), so such a column
        is bool there when every group has a value; a SeriesGroupBy's
        stays object."""
        if self._series and self._as_index:
            return out
        prev = out._finish

        def infer(r):
            import pandas as pd
            r = prev(r) if prev else r
            for c in r.columns:
                if r[c].dtype == object and pd.api.types.infer_dtype(
                        r[c], skipna=False) == "boolean":
                    r[c] = r[c].astype(bool)
            return r
        return out._with_finish(infer)

    def value_counts(self, normalize=False, sort=True, ascending=False,
                     bins=None, dropna=True, split_every=None,
                     split_out=None):
        """groupby(keys)["col"].value_counts(): each group's values
        counted, largest first, in pandas 1.5's order (as_index=False:
        keys, values and a "count" - normalized, "proportion" - column).
        Dask's split_out=n puts the groups in n hash parts, each counted
        by a task of its own (not with as_index=False, whose counts pandas
        sorts across the groups)."""
        if split_out is not None and split_out != 1:
            if not self._as_index:
                raise NotImplementedError(
                    "groupby(as_index=False) value_counts with split_out: "
                    "pandas sorts its counts across the groups")
            return self._so(split_out).value_counts(
                normalize, sort, ascending, bins, dropna, split_every)
        if not self._series:
            raise NotImplementedError(
                "value_counts of a groupby needs one column: "
                "groupby(keys)[\"col\"].value_counts()")
        if not sort or ascending or bins is not None:
            raise NotImplementedError(
                "groupby value_counts: only the default sort (largest "
                "first), without bins")
        self._order_free(["value_counts"])
        col = self._columns[0]
        frame = self._df._frame.groupby_value_counts(
            self._keys, col, self._dropna, self._as_index)
        if not dropna:  # the column's missing values are counted too
            frame = frame.dropna_keys(False)
        if normalize:  # shares of each group
            frame = frame.normalize_counts()
        if self._split_out > 1:
            frame = frame.split_out(self._split_out)
        out = Series(None, col, frame, "agg_series")._with_finish(
            _value_level_codes)
        if not self._as_index:
            name = "proportion" if normalize else "count"
            out = DataFrame(out._frame, None, out._shape, out._name) \
                ._with_finish(lambda r: r.rename(name).reset_index())
            out._in_pandas = True
        return self._named(out)

    @staticmethod
    def _defaults(fn, numeric_only, min_count):
        if numeric_only or min_count != -1:
            raise NotImplementedError(
                f"groupby {fn} with numeric_only or min_count")

    def _value_columns(self, fn):
        """The columns a function over "every column" takes, by dtype."""
        if self._columns is not None:
            return list(self._columns)
        numeric = fn in ("sum", "mean", "std", "var", "median")
        return [c for c, t in self._df.dtypes.items() if c not in self._keys
                and (not numeric or t.kind in "iufb")]

    def _several(self, cols, fns, labels):
        """One aggregate per (column, function), labelled as pandas
        labels them (a MultiIndex of (column, function), or names)."""
        for f in fns:
            if f not in _AGGS:
                raise NotImplementedError(f"groupby aggregate {f!r}")
        # the engine names the result columns (a two-level label joined by
        # _LEVEL_SEP), so steps after it (sort_values("total")) see them
        names = [_LEVEL_SEP.join(str(x) for x in lab)
                 if isinstance(lab, tuple) else str(lab) for lab in labels]
        frame = self._grouped(cols, fns, names)
        return self._named(self._flat(DataFrame(frame, None, "agg")))

    def agg(self, arg=None, split_out=None, **named):
        """agg("sum"), agg(["sum", "mean"]), agg({"col": "fn" or [fns]}),
        or named aggregation agg(total=("col", "fn")); split_out=n as
        Dask's (the groups in n hash parts)."""
        if split_out not in (None, 1):
            return self._so(split_out).agg(arg, **named)
        import pandas as pd
        if named:
            if arg is not None:
                raise TypeError("agg takes functions or names=(col, fn)")
            cols, fns = [], []
            for out, spec in named.items():
                if not (isinstance(spec, tuple) and len(spec) == 2):
                    raise TypeError(f"{out}=: expected (column, function)")
                cols.append(str(spec[0]))
                fns.append(spec[1])
            return self._several(cols, fns, pd.Index(list(named)))
        if isinstance(arg, str):
            if arg not in _AGGS:
                raise NotImplementedError(f"groupby aggregate {arg!r}")
            return self._agg(arg)
        if isinstance(arg, (list, tuple)) and self._columns is None:
            # every column: the engine lists the columns each function
            # applies to, pandas' (column, function) order and labels
            for f in arg:
                if f not in _AGGS:
                    raise NotImplementedError(f"groupby aggregate {f!r}")
            frame = self._grouped([None] * len(arg), list(arg),
                                  [_LEVEL_SEP] * len(arg))
            return self._named(self._flat(DataFrame(frame, None, "agg")))
        if isinstance(arg, (list, tuple)):
            cols, fns, labels = [], [], []
            for c in self._value_columns(None):
                for f in arg:
                    if f in ("sum", "mean", "std", "var", "median") and \
                            self._df.dtypes[c].kind not in "iufb":
                        continue
                    cols.append(c)
                    fns.append(f)
                    labels.append((c, f))
            if self._series:  # df.groupby(k)["x"].agg([...]): fn labels
                return self._several(cols, fns, pd.Index(fns))
            return self._several(cols, fns, pd.MultiIndex.from_tuples(labels))
        if isinstance(arg, dict):
            cols, fns, labels = [], [], []
            lists = any(isinstance(f, (list, tuple)) for f in arg.values())
            for c, f in arg.items():
                for fn in (f if isinstance(f, (list, tuple)) else [f]):
                    cols.append(str(c))
                    fns.append(fn)
                    labels.append((str(c), fn))
            if not lists:
                frame = self._grouped(cols, fns)
                return self._named(self._flat(DataFrame(frame, None, "agg")))
            return self._several(cols, fns, pd.MultiIndex.from_tuples(labels))
        raise NotImplementedError(
            "agg takes a function name, a list of them, a dict or "
            "name=(column, function)")

    aggregate = agg
