"""set_index of a whole frame, as Dask's: the rows sorted by the new index
(ties in file order, nulls last), so every answer equals pandas'
set_index(keys).sort_index(kind="stable") - computed, head / tail (a
top-k), loc by index value, and to_csv range-partitioned with the index
first in every file, byte for byte.  Of a computed result, pandas'
set_index (no sort).  Checked at partition sizes of 1 KB (8 KB under the
sanitizers), 64 KB and the default, on keys with ties and nulls of every
kind."""
import os

import pandas as pd
import pandas.testing as pdt
import pytest

import dusk.dataframe as dd
from conftest import BLOCKSIZE_IDS, BLOCKSIZES
from test_sort import data, read, written  # noqa: F401 (data: a fixture)


@pytest.fixture(params=BLOCKSIZES, ids=BLOCKSIZE_IDS)
def bs(request):
    return request.param


def pandas_frame(path, **kw):
    return pd.read_csv(path, parse_dates=["t"], **kw)


def indexed(pdf, keys, drop=True):
    """pandas' answer for dusk's set_index: sorted by the index, ties in
    file order, nulls last."""
    return pdf.set_index(keys, drop=drop).sort_index(kind="stable",
                                                     na_position="last")


# key kinds: int with nulls (float64 in pandas), float with NaN, text with
# quotes / newlines / nulls, bool, datetime with NaT, two keys, a derived
# key, after a filter, drop=False
KEYS = {
    "int_nulls": ("k", True),
    "float_nan": ("f", True),
    "text": ("name", True),
    "bool": ("flag", True),
    "datetime": ("t", True),
    "two_keys": (["name", "x"], True),
    "keep_column": ("x", False),
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_set_index_like_pandas(client, data, bs, name):
    keys, drop = KEYS[name]
    got = read(data, bs).set_index(keys, drop=drop).compute()
    pdt.assert_frame_equal(got, indexed(pandas_frame(data), keys, drop))


def test_steps_before_and_after(client, data, bs):
    """Row steps go before the set_index; selections after it keep the
    index."""
    df = read(data, bs)
    pdf = pandas_frame(data)
    got = df[df.x > 2].assign(y=lambda d: d.u * 2).set_index("y")[
        ["name", "k"]]
    want = indexed(pdf[pdf.x > 2].assign(y=pdf.u * 2), "y")[["name", "k"]]
    pdt.assert_frame_equal(got.compute(), want)


@pytest.mark.parametrize("keys", ["k", "name", ["flag", "x"]])
def test_head_and_tail(client, data, keys):
    """head(n) is the sorted frame's top-k, tail(n) its last rows."""
    df = read(data, "8KB").set_index(keys)
    want = indexed(pandas_frame(data), keys)
    for n in (1, 7, 300):
        pdt.assert_frame_equal(df.head(n), want.head(n))
        pdt.assert_frame_equal(df.tail(n), want.tail(n))


def test_loc(client, data, bs):
    """loc by index value: a label, a list, a slice with both ends
    included, open ends, and a label no row has."""
    df = read(data, bs).set_index("k")
    want = indexed(pandas_frame(data), "k")
    pdt.assert_frame_equal(df.loc[5].compute(), want.loc[[5]])
    pdt.assert_frame_equal(df.loc[[3, 9]].compute(),
                           want[want.index.isin([3, 9])])
    pdt.assert_frame_equal(df.loc[2:6].compute(), want.loc[2:6])
    pdt.assert_frame_equal(df.loc[:1].compute(), want.loc[:1])
    pdt.assert_frame_equal(df.loc[11:].compute(), want.loc[11:])
    assert len(df.loc[100].compute()) == 0
    by_text = read(data, bs).set_index("name")
    pdt.assert_frame_equal(by_text.loc["b, c":"zz"].compute(),
                           indexed(pandas_frame(data), "name")
                           .loc["b, c":"zz"])


@pytest.mark.parametrize("keys", ["k", "name", ["flag", "t"]])
def test_to_csv_like_pandas(client, data, bs, keys, tmp_path):
    """The files in order are pandas' set_index frame written by its
    to_csv, byte for byte: the index columns first."""
    files = read(data, bs).set_index(keys).to_csv(str(tmp_path / "out"))
    assert files == sorted(files) and len(files) >= 2
    want = indexed(pandas_frame(data, float_precision="round_trip"), keys)
    assert written(files) == want.to_csv()


def test_of_a_computed_result(client, data):
    """After a groupby (a result): pandas' set_index, rows in their
    order."""
    df = read(data, "8KB")
    pdf = pandas_frame(data)
    got = df.groupby("name").u.sum().reset_index().set_index("u")
    want = pdf.groupby("name").u.sum().reset_index().set_index("u")
    pdt.assert_frame_equal(got.compute(), want)
    got = df.sort_values("u").set_index("name").compute()
    pdt.assert_frame_equal(got, pdf.sort_values("u").set_index("name"))


def test_refusals(client, data):
    df = read(data, None)
    with pytest.raises(Exception, match="set_index: unknown column 'nope'"):
        df.set_index("nope").compute()
    with pytest.raises(NotImplementedError, match="sort=False"):
        df.set_index("k", sort=False)
    with pytest.raises(NotImplementedError, match="inplace"):
        df.set_index("k", inplace=True)
    with pytest.raises(NotImplementedError, match="npartitions= and "
                       "divisions="):
        df.set_index("k", shuffle="tasks")
    with pytest.raises(NotImplementedError, match="set_index"):
        df.loc[3]
    with pytest.raises(NotImplementedError, match="MultiIndex"):
        df.set_index(["k", "x"]).loc[3]


GROUPBYS = {
    "by a column": lambda d: d.set_index("k").groupby("x").sum(
        numeric_only=True),
    "level=0": lambda d: d.set_index("k").groupby(level=0).agg(
        {"x": ["sum", "first", "last"], "name": "first"}),
    "level by name": lambda d: d.set_index("name").groupby(
        level="name").x.max(),
    "the index's name as a key": lambda d: d.set_index("k").groupby(
        "k").f.count(),
    "the index and a column": lambda d: d.set_index("k").groupby(
        ["k", "flag"]).x.first(),
    "one level of two": lambda d: d.set_index(["k", "flag"]).groupby(
        level=1).x.sum(),
    "value_counts by level": lambda d: d.set_index("k").groupby(
        level=0).name.value_counts(),
    "dropna=False, size": lambda d: d.set_index("k").groupby(
        level=0, dropna=False).size(),
}


@pytest.mark.parametrize("name", sorted(GROUPBYS))
def test_groupby_of_a_set_index_frame(client, data, bs, name):
    """groupby of a set_index frame, by its index (level=, the index's
    name) or its columns, as pandas groups the indexed frame: the index
    columns are no longer aggregated, first / last and value_counts
    follow each group's rows, in file order when every index level is a
    key (the sort keeps ties in file order)."""
    q = GROUPBYS[name]
    got, want = q(read(data, bs)), q(pandas_frame(data))
    got = got.compute()
    (pdt.assert_frame_equal if isinstance(want, pd.DataFrame)
     else pdt.assert_series_equal)(got, want)


def test_groupby_of_a_set_index_frame_refusals(client, data):
    df, pdf = read(data, None), pandas_frame(data)
    # a group's rows in index order, not the file's: refused
    for run in (lambda d: d.set_index("k").groupby("x").first(),
                lambda d: d.set_index("k").groupby("x").name.value_counts(),
                lambda d: d.set_index(["k", "x"]).groupby(level=0).agg(
                    {"f": "last"})):
        with pytest.raises(NotImplementedError, match="index order"):
            run(df)
    # pandas' own errors, as pandas raises them
    for run, err in ((lambda d: d.set_index("k", drop=False).groupby("k"),
                      ValueError),
                     (lambda d: d.set_index("k").groupby(level=1), ValueError),
                     (lambda d: d.set_index("k").groupby(level="zz"),
                      ValueError),
                     (lambda d: d.set_index("k").groupby(level=[0, 0]),
                      ValueError),
                     (lambda d: d.set_index(["k", "x"]).groupby(level=2),
                      IndexError),
                     (lambda d: d.set_index(["k", "x"]).groupby(level=-3),
                      IndexError),
                     (lambda d: d.set_index("k").groupby(level=[]),
                      ValueError),
                     (lambda d: d.set_index(["k", "x"]).groupby(level="zz"),
                      KeyError),
                     (lambda d: d.set_index("k").groupby(), TypeError)):
        with pytest.raises(err) as want:
            run(pdf)
        with pytest.raises(err, match=str(want.value.args[0])):
            run(df)
    with pytest.raises(NotImplementedError, match="set_index"):
        df.groupby(level=0)
    with pytest.raises(NotImplementedError, match="as_index=False"):
        df.set_index("k").groupby(level=0, as_index=False)
    # by a column, as_index=False is pandas' (the index is no key)
    pdt.assert_frame_equal(
        df.set_index("k").groupby("x", as_index=False).f.sum().compute(),
        pdf.set_index("k").groupby("x", as_index=False).f.sum())


def test_cli(data):
    """The dusk CLI prints a set_index frame as pandas prints it."""
    import subprocess
    import sys
    bindir = os.environ["DUSK_BIN"]
    out = subprocess.run(
        [os.path.join(bindir, "dusk"), "query", "--workers", "2",
         "--format", "csv",
         f'read_csv("{data}", parse_dates=["t"]).set_index("k").head(20)'],
        capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    want = indexed(pandas_frame(data, float_precision="round_trip"),
                   "k").head(20)
    assert out.stdout == want.to_csv(), (out.stdout, sys.argv)
