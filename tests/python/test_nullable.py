"""pandas' nullable dtypes: a column read with dtype "Int64" or "boolean"
is pandas' IntegerArray / BooleanArray, and everything pandas computes
from one keeps a nullable dtype - arithmetic (Int64, Float64 where the
result is float), comparisons and & | ~ (boolean, <NA> where an operand
is NA: Kleene's logic), sums, minima and means by group, whole-column
reductions - against pandas at every blocksize of the suite.  Nulls of
such a column are NA: a comparison with one is NA (not numpy's False),
which a groupby drops and a filter does not keep."""
import os

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import dusk
import dusk.dataframe as dd
from conftest import BLOCKSIZE_IDS, BLOCKSIZES

DTYPE = {"x": "Int64", "flag": "boolean", "clean": "Int64"}


@pytest.fixture(params=BLOCKSIZES, ids=BLOCKSIZE_IDS)
def bs(request):
    return request.param


@pytest.fixture(scope="module")
def frames(data_dir):
    path = str(data_dir / "mixed.csv")
    return path, pd.read_csv(path, dtype=DTYPE)


def read(path, bs, **kw):
    return dd.read_csv(path, blocksize=bs, **kw) if bs else \
        dd.read_csv(path, **kw)


# Each derived column as a function of the frame (pandas' or dusk's: the
# same code runs on both).
DERIVED = {
    "plus": lambda d: d.x + 1,
    "minus_float": lambda d: d.x - 0.25 - d.clean,
    "times": lambda d: d.x * 3,
    "times_float": lambda d: d.x * 1.5,
    "div": lambda d: d.x / 4,
    "floordiv": lambda d: d.x // 7,
    "mod": lambda d: d.x % 7,
    "pow": lambda d: d.x ** 2,
    "neg": lambda d: -d.x,
    "abs": lambda d: abs(d.x),
    "clip": lambda d: d.x.clip(-100, 100),
    "two": lambda d: d.x + d.clean,
    "gt": lambda d: d.x > 10,
    "eq": lambda d: d.x == d.clean,
    "ne": lambda d: d.x != 3,
    "and": lambda d: (d.x > 0) & (d.clean < 50),
    "or": lambda d: (d.x > 0) | (d.clean < 50),
    "not": lambda d: ~(d.x > 0),
    "flag_and": lambda d: d.flag & (d.clean > 20),
    "flag_or": lambda d: d.flag | (d.clean > 20),
    "flag_not": lambda d: ~d.flag,
    "isna": lambda d: d.x.isna(),
    "astype_float": lambda d: d.x.astype(float),
}


def test_read_keeps_the_nullable_dtypes(client, frames, bs):
    """compute(), head(), a filter, a column: IntegerArray and
    BooleanArray with <NA>, as pandas' read_csv(dtype=) gives."""
    path, p = frames
    df = read(path, bs, dtype=DTYPE)
    pdt.assert_frame_equal(df.compute(), p)
    pdt.assert_frame_equal(df.head(40), p.head(40))
    pdt.assert_frame_equal(df[df.x > 100].compute(),
                           p[p.x > 100])
    pdt.assert_series_equal(df.x.compute(), p.x)
    pdt.assert_series_equal(df.flag.compute(), p.flag)
    pdt.assert_frame_equal(df.query("clean > 50").compute(),
                           p.query("clean > 50", engine="python"))


@pytest.mark.parametrize("name", sorted(DERIVED))
def test_derived_columns(client, frames, bs, name):
    """Each derived column has pandas' dtype and values, NA included."""
    path, p = frames
    f = DERIVED[name]
    df = read(path, bs, dtype=DTYPE)
    got = df.assign(z=f(df)).compute()
    want = p.assign(z=f(p))
    pdt.assert_frame_equal(got, want)


@pytest.mark.parametrize("name", ["gt", "and", "or", "not", "flag_and",
                                  "flag_or"])
def test_na_conditions(client, frames, bs, name):
    """A condition that is NA keeps no row in a filter, is dropped as a
    group key, and is left out of a count, sum and mean, as pandas'."""
    path, p = frames
    f = DERIVED[name]
    df = read(path, bs, dtype=DTYPE)
    pdt.assert_frame_equal(df[f(df)].compute(), p[f(p)])
    pdt.assert_series_equal(df.groupby(f(df)).size().compute(),
                            p.groupby(f(p)).size())
    pdt.assert_series_equal(
        df.assign(c=f(df)).groupby("c").clean.sum().compute(),
        p.assign(c=f(p)).groupby("c").clean.sum())
    cond = df.assign(c=f(df)).c
    want = p.assign(c=f(p)).c
    assert cond.count().compute() == want.count()
    assert cond.sum().compute() == want.sum()
    assert cond.mean().compute() == pytest.approx(want.mean(), rel=1e-12)


AGGS = ["sum", "min", "max", "mean", "median", "first", "last", "count",
        "size", "nunique", "std", "var"]


def test_groupby_aggregates(client, frames, bs):
    """By group: sum, min, max, first, last Int64; mean and median
    Float64; the counts, std and var numpy's, as pandas 1.5 gives."""
    path, p = frames
    df = read(path, bs, dtype=DTYPE)
    for agg in AGGS:
        pdt.assert_series_equal(
            getattr(df.groupby("k").x, agg)().compute(),
            getattr(p.groupby("k").x, agg)(), obj=agg)
    pdt.assert_frame_equal(df.groupby("k").x.agg(AGGS).compute(),
                           p.groupby("k").x.agg(AGGS))
    for agg in ("min", "max", "first", "last", "count"):
        pdt.assert_series_equal(
            getattr(df.groupby("k").flag, agg)().compute(),
            getattr(p.groupby("k").flag, agg)(), obj="flag " + agg)
    # a derived nullable column by group
    pdt.assert_series_equal(
        df.assign(z=df.x * 2).groupby("k").z.sum().compute(),
        p.assign(z=p.x * 2).groupby("k").z.sum())
    pdt.assert_series_equal(
        df.assign(z=df.x / 2).groupby("k").z.mean().compute(),
        p.assign(z=p.x / 2).groupby("k").z.mean())


def test_grouped_value_counts_keep_nullable_levels(client, frames, bs):
    """A groupby's value_counts of an Int64 or boolean column: that
    level keeps its nullable dtype (it came back float64 / object), with
    <NA> counted under dropna=False; an Int64 key's level too."""
    path, p = frames
    df = read(path, bs, dtype=DTYPE)
    for key, col in (("k", "x"), ("k", "flag"), ("x", "k"), ("flag", "x")):
        for kw in ({}, {"dropna": False}, {"normalize": True}):
            pdt.assert_series_equal(
                df.groupby(key)[col].value_counts(**kw).compute(),
                p.groupby(key)[col].value_counts(**kw),
                obj=f"{key} {col} {kw}")
    pdt.assert_series_equal(
        df.groupby("k").x.value_counts(split_out=3).compute(),
        p.groupby("k").x.value_counts())


def test_nullable_group_keys(client, frames, bs):
    """An Int64 or boolean key: an index of that dtype, NA dropped, or
    kept with dropna=False."""
    path, p = frames
    df = read(path, bs, dtype=DTYPE)
    for key in ("x", "flag"):
        pdt.assert_series_equal(df.groupby(key).size().compute(),
                                p.groupby(key).size(), obj=key)
        pdt.assert_series_equal(df.groupby(key).clean.sum().compute(),
                                p.groupby(key).clean.sum(), obj=key)
    pdt.assert_series_equal(
        df.groupby("flag", dropna=False).clean.sum().compute(),
        p.groupby("flag", dropna=False).clean.sum())


def test_column_reductions(client, frames, bs):
    """A column's sum, min, max are ints (numpy's int64 scalar), mean and
    median floats; an all-NA column's min is <NA>; a frame's sum keeps
    the ints as ints."""
    path, p = frames
    df = read(path, bs, dtype=DTYPE)
    for fn in ("sum", "min", "max", "mean", "median", "count", "std"):
        got, want = getattr(df.x, fn)().compute(), getattr(p.x, fn)()
        assert type(got) is type(want), fn
        assert got == pytest.approx(want, rel=1e-12), fn
    assert df.flag.sum().compute() == p.flag.sum()
    for q in (0.5, 0.1, 0.37, [0.25, 0.5, 0.75], [0.1, 0.5]):
        got, want = df.x.quantile(q).compute(), p.x.quantile(q)
        if isinstance(want, pd.Series):
            pdt.assert_series_equal(got, want)
        else:
            assert type(got) is type(want) and got == want, q
    for col in ("x", "flag"):
        pdt.assert_series_equal(df[col].value_counts(dropna=False).compute(),
                                p[col].value_counts(dropna=False))
    z, pz = df.assign(z=df.x / 4).z, p.assign(z=p.x / 4).z
    pdt.assert_series_equal(z.value_counts(dropna=False).compute(),
                            pz.value_counts(dropna=False))
    pdt.assert_extension_array_equal(z.unique().compute(), pz.unique())
    pdt.assert_frame_equal(df.describe().compute(), p.describe())
    pdt.assert_series_equal(df.x.describe().compute(), p.x.describe())
    empty = df[df.x > 10_000].x
    assert np.isnan(empty.quantile(0.5).compute())
    assert empty.min().compute() is pd.NA
    assert p[p.x > 10_000].x.min() is pd.NA
    pdt.assert_series_equal(df[["x", "clean"]].sum().compute(),
                            p[["x", "clean"]].sum())


def test_sorts_and_heads(client, frames, bs):
    """Rows sorted by or taken from a nullable column keep its dtype."""
    path, p = frames
    df = read(path, bs, dtype=DTYPE)
    pdt.assert_frame_equal(df.sort_values("x", kind="stable").compute(),
                           p.sort_values("x", kind="stable"))
    pdt.assert_frame_equal(df.nlargest(7, "clean").compute(),
                           p.nlargest(7, "clean"))
    pdt.assert_frame_equal(df.fillna({"x": 0}).compute(),
                           p.fillna({"x": 0}))
    pdt.assert_frame_equal(df.tail(9), p.tail(9))
    pdt.assert_frame_equal(df.drop_duplicates(["k"]).compute(),
                           p.drop_duplicates(["k"]))


def test_printed_as_pandas_prints(client, frames, tmp_path):
    """The CLI's and repr's text: Int64 ints, Float64 floats each
    formatted alone, boolean True/False, all with <NA>."""
    path, p = frames
    df = read(path, None, dtype=DTYPE)
    q = df.assign(h=df.x / 3, g=df.x > 0, d=df.x * 2).head(25)
    w = p.assign(h=p.x / 3, g=p.x > 0, d=p.x * 2).head(25)
    assert repr(q) == repr(w)
    small = tmp_path / "s.csv"
    small.write_text("k,a,f\n1,5,true\n2,,false\n1,7,\n3,-8,true\n")
    ps = pd.read_csv(small, dtype={"a": "Int64", "f": "boolean"})
    want = str(ps.assign(b=ps.a / 2, c=ps.a > 5, d=ps.a + 1,
                         e=(ps.a > 5) | (ps.k == 3), g=~(ps.a > 5)))
    import subprocess
    out = subprocess.run(
        [os.path.join(os.environ["DUSK_BIN"], "dusk"), "query", "--workers",
         "1", f'read_csv("{small}", dtype={{"a": "Int64", "f": "boolean"}})'
         '.assign(b="a / 2", c="a > 5", d="a + 1", '
         'e="(a > 5) | (k == 3)", g="~(a > 5)")'],
        capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.rstrip("\n") == want
