"""dusk.dataframe against pandas: every operation, on generated data with
nulls and quoted newlines, at partition sizes of 1 KB, 64 KB and the
default, compared with pandas.testing's default checks (values, dtypes,
index and names)."""
import warnings
import glob
import os
import re

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import dusk
import dusk.dataframe as dd
from conftest import BLOCKSIZE_IDS, BLOCKSIZES


# The smallest blocksize (conftest.BLOCKSIZES) splits the test files into
# the most partitions (and combine levels).
@pytest.fixture(params=BLOCKSIZES, ids=BLOCKSIZE_IDS)
def bs(request):
    return request.param


def fhv(data_dir, *names):
    return [str(data_dir / f"fhvhv_{n}.csv") for n in names]


def read(path, bs):
    return dd.read_csv(path, blocksize=bs) if bs else dd.read_csv(path)


def sort_vc(s):
    """value_counts: pandas orders ties arbitrarily; compare sorted."""
    return s.reset_index().sort_values(list(s.reset_index().columns)) \
        .reset_index(drop=True)


# ---- reading and rows ------------------------------------------------------

def test_head_and_whole_frame(client, data_dir, bs):
    path = str(data_dir / "mixed.csv")
    df = read(path, bs)
    pd_df = pd.read_csv(path)
    pdt.assert_frame_equal(df.head(), pd_df.head())
    pdt.assert_frame_equal(df.head(17), pd_df.head(17))
    pdt.assert_frame_equal(df.compute(), pd_df)


def test_columns_and_dtypes_without_computing(client, data_dir):
    path = str(data_dir / "mixed.csv")
    df = dd.read_csv(path)
    pd_df = pd.read_csv(path)
    assert list(df.columns) == list(pd_df.columns)
    pdt.assert_series_equal(df.dtypes, pd_df.dtypes)
    assert df.npartitions == 1
    assert dd.read_csv(path, blocksize=1000).npartitions == \
        -(-os.path.getsize(path) // 1000)


def test_late_null_makes_the_column_float(client, data_dir, bs):
    path = str(data_dir / "late.csv")
    df, pd_df = read(path, bs), pd.read_csv(path)
    pdt.assert_frame_equal(df.groupby("g").sum().compute(),
                           pd_df.groupby("g").sum())
    pdt.assert_frame_equal(df[df.g == 3].compute(), pd_df[pd_df.g == 3])
    # head() reads only until it has its rows: a null beyond them and
    # beyond the scheduler's sample goes unseen, so the dtype is the one
    # known so far (README, "Python"); the values are pandas'.
    got, want = df[df.g == 3].head(4), pd_df[pd_df.g == 3].head(4)
    pdt.assert_frame_equal(got, want, check_dtype=bs is None)


def test_concat_groupby_count(client, data_dir, bs):
    a, b = fhv(data_dir, "feb", "apr")
    both = dd.concat([read(a, bs), read(b, bs)], axis=0)
    pd_both = pd.concat([pd.read_csv(a), pd.read_csv(b)], axis=0)
    pdt.assert_frame_equal(both.groupby("PULocationID").count().compute(),
                           pd_both.groupby("PULocationID").count())
    assert len(both) == len(pd_both)
    assert isinstance(len(both), int)
    pdt.assert_frame_equal(both.head(3), pd_both.head(3))


def test_concat_aligns_columns_by_name(client, data_dir, tmp_path, bs):
    """pandas' concat aligns its frames by column name: a file whose
    columns come in another order gives rows in the first frame's order,
    each value under its name, in every row result (whole rows, head,
    tail, top-k, drop_duplicates, sample, to_csv's parts) and in
    aggregations.  The second file holds the first's fields with the
    columns reversed (the same text: pandas' own to_csv would change
    some floats' last digit, as its parser rounds them), so a value under
    the wrong name shows, and a row of both files is a duplicate only
    when aligned."""
    import csv
    path = str(data_dir / "mixed.csv")
    other = str(tmp_path / "reversed.csv")
    with open(path, newline="") as f, open(other, "w", newline="") as g:
        w = csv.writer(g, lineterminator="\n")
        for row in csv.reader(f):
            w.writerow(row[::-1])
    p1, p2 = pd.read_csv(path), pd.read_csv(other)
    both = dd.concat([read(path, bs), read(other, bs)])
    p = pd.concat([p1, p2])
    pdt.assert_frame_equal(both.compute(), p)
    pdt.assert_frame_equal(both.head(5), p.head(5))
    pdt.assert_frame_equal(both.tail(5), p.tail(5))
    pdt.assert_frame_equal(both.nlargest(4, "y").compute(),
                           p.nlargest(4, "y"))
    pdt.assert_frame_equal(both.drop_duplicates().compute(),
                           p.drop_duplicates())
    pdt.assert_frame_equal(both.drop_duplicates(["k", "x"]).compute(),
                           p.drop_duplicates(["k", "x"]))
    pdt.assert_frame_equal(both.sample(frac=1.0, random_state=3).compute(),
                           p)
    pdt.assert_frame_equal(both.query("clean > 50")[["name", "k"]].compute(),
                           p.query("clean > 50")[["name", "k"]])
    pdt.assert_frame_equal(both.groupby("k")[["x", "y", "clean"]].sum()
                           .compute(),
                           p.groupby("k")[["x", "y", "clean"]].sum())
    # three inputs, nested, each order differing
    third = dd.concat([read(other, bs), both])
    pdt.assert_frame_equal(third.head(3), pd.concat([p2, p]).head(3))
    files = both.to_csv(str(tmp_path / "out"))
    headers = {open(f).readline() for f in files}
    assert headers == {"," + ",".join(p1.columns) + "\n"}
    back = pd.concat([pd.read_csv(f, index_col=0) for f in sorted(files)])
    pdt.assert_frame_equal(back, p, check_dtype=False, check_index_type=False)


def test_concat_of_frames_with_other_columns(client, data_dir, tmp_path, bs):
    """pandas' concat of frames whose columns differ is their union: the
    first frame's columns, then the new ones, and missing values where a
    frame lacks one (an int column then float64, a bool one object), in
    rows, dtypes, aggregations, describe, drop_duplicates and to_csv.  The
    second file holds some of the first's columns in another order and
    one of its own."""
    import csv
    path = str(data_dir / "mixed.csv")
    other = str(tmp_path / "other.csv")
    with open(path, newline="") as f, open(other, "w", newline="") as g:
        w = csv.writer(g, lineterminator="\n")
        for i, row in enumerate(csv.reader(f)):
            k, x, y, flag, name, clean = row
            w.writerow([clean, name, k, "extra" if i == 0 else i % 5])
    p1, p2 = pd.read_csv(path), pd.read_csv(other)
    for d, p in ((dd.concat([read(path, bs), read(other, bs)]),
                  pd.concat([p1, p2])),
                 (dd.concat([read(other, bs), read(path, bs)]),
                  pd.concat([p2, p1]))):
        pdt.assert_frame_equal(d.compute(), p)
        assert list(d.columns) == list(p.columns)
        pdt.assert_series_equal(d.dtypes, p.dtypes)
        pdt.assert_frame_equal(d.head(4), p.head(4))
        pdt.assert_frame_equal(d.groupby("k")[["x", "extra", "clean"]].sum()
                               .compute(),
                               p.groupby("k")[["x", "extra", "clean"]].sum())
        pdt.assert_series_equal(d.count().compute(), p.count())
        pdt.assert_frame_equal(d.describe().compute(), p.describe())
        pdt.assert_frame_equal(d.drop_duplicates(["extra", "k"]).compute(),
                               p.drop_duplicates(["extra", "k"]))
        pdt.assert_frame_equal(d.query("extra > 2").compute(),
                               p.query("extra > 2"))
    d = dd.concat([read(path, bs), read(other, bs)])
    files = d.to_csv(str(tmp_path / "out"))
    headers = {open(f).readline() for f in files}
    assert headers == {"," + ",".join(pd.concat([p1, p2]).columns) + "\n"}
    back = pd.concat([pd.read_csv(f, index_col=0) for f in sorted(files)])
    pdt.assert_frame_equal(back, pd.concat([p1, p2]), check_dtype=False,
                           check_index_type=False)


def test_fillna_groupby_and_filter_head(client, data_dir, bs):
    (apr,) = fhv(data_dir, "apr")
    clean, pd_clean = read(apr, bs).fillna(value=0), pd.read_csv(apr).fillna(value=0)
    pdt.assert_frame_equal(clean.head(5), pd_clean.head(5))
    pdt.assert_frame_equal(clean.groupby("PULocationID").count().compute(),
                           pd_clean.groupby("PULocationID").count())
    pdt.assert_frame_equal(clean[clean.PULocationID > 200].head(10),
                           pd_clean[pd_clean.PULocationID > 200].head(10))


def test_masks(client, data_dir, bs):
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    cases = [
        (df[(df.k > 3) & (df.x < 0)], p[(p.k > 3) & (p.x < 0)]),
        (df[(df.k == 1) | (df.y >= 2.5)], p[(p.k == 1) | (p.y >= 2.5)]),
        (df[~(df.x > 0)], p[~(p.x > 0)]),
        (df[df.name == "blue, dark"], p[p.name == "blue, dark"]),
        (df[df["name"] != "red"], p[p["name"] != "red"]),
        (df[df.x.isnull()], p[p.x.isnull()]),
        (df[df.name.notnull() & (df.clean % 3 == 0)],
         p[p.name.notnull() & (p.clean % 3 == 0)]),
        (df[df.x + df.clean > 100], p[p.x + p.clean > 100]),
        (df[df.flag == True], p[p.flag == True]),  # noqa: E712
    ]
    for lazy, want in cases:
        pdt.assert_frame_equal(lazy.compute(), want)
    pdt.assert_frame_equal(df[df.x > 450].head(3), p[p.x > 450].head(3))


def test_query_and_fillna_dict(client, data_dir, bs):
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    got = df.fillna({"x": 0, "name": "none"}).query(
        "x > 100 and name != 'red'").head(25)
    want = p.fillna({"x": 0, "name": "none"}).query(
        "x > 100 and name != 'red'").head(25)
    pdt.assert_frame_equal(got, want)


def test_column_selection(client, data_dir, bs):
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    pdt.assert_frame_equal(df[["name", "x"]].compute(), p[["name", "x"]])
    pdt.assert_series_equal(df["y"].compute(), p["y"])
    pdt.assert_series_equal(df.k.head(7), p.k.head(7))


@pytest.mark.parametrize("fn", ["count", "size", "sum", "mean", "min", "max",
                                "std", "var", "nunique", "first", "last"])
def test_groupby_aggregations(client, data_dir, bs, fn):
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    numeric = df[["k", "x", "y", "clean"]]
    pnum = p[["k", "x", "y", "clean"]]
    got = getattr(numeric.groupby("k"), fn)().compute()
    want = getattr(pnum.groupby("k"), fn)()
    if fn == "size":
        pdt.assert_series_equal(got, want)
    else:
        pdt.assert_frame_equal(got, want)
    if fn != "size":
        pdt.assert_series_equal(getattr(df.groupby("k")["x"], fn)().compute(),
                                getattr(p.groupby("k")["x"], fn)())


def test_groupby_first_and_last(client, data_dir, bs):
    """first()/last(): each group's first and last non-null value in file
    order, across partitions, of every kind of column (text, bools,
    datetimes), also through agg and after a filter; not a whole-frame
    reduction (pandas' DataFrame.first(offset) selects by time)."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    for fn in ("first", "last"):
        pdt.assert_frame_equal(getattr(df.groupby("k"), fn)().compute(),
                               getattr(p.groupby("k"), fn)())
        pdt.assert_frame_equal(
            getattr(df.query("clean > 10").groupby(["flag", "k"]), fn)()
            .compute(),
            getattr(p.query("clean > 10").groupby(["flag", "k"]), fn)())
    pdt.assert_frame_equal(
        df.groupby("k").agg({"name": ["first", "last"], "y": "first"})
        .compute(),
        p.groupby("k").agg({"name": ["first", "last"], "y": "first"}))
    pdt.assert_frame_equal(
        df.groupby("k").agg(a=("x", "last"), b=("name", "first")).compute(),
        p.groupby("k").agg(a=("x", "last"), b=("name", "first")))
    dpath = str(data_dir / "dates.csv")
    dfd = dd.read_csv(dpath, blocksize=bs, parse_dates=DATES) if bs else \
        dd.read_csv(dpath, parse_dates=DATES)
    pd_ = pd.read_csv(dpath, parse_dates=DATES)
    pdt.assert_frame_equal(dfd.groupby("k").first().compute(),
                           pd_.groupby("k").first())
    pdt.assert_frame_equal(
        dfd.assign(trip=dfd.end - dfd.start).groupby("k").last().compute(),
        pd_.assign(trip=pd_.end - pd_.start).groupby("k").last())
    with pytest.raises(ValueError, match="unknown reduction 'first'"):
        df._frame.reduce([None], ["first"])


def test_groupby_median_and_quantile(client, data_dir, bs, tmp_path):
    """groupby median() and quantile(q): exact, pandas' midpoint for an
    even count and its groupby linear interpolation, over int, float
    (NaN, -0.0) and derived columns, several keys, dropna=False, through
    agg lists, dicts and named aggregation, after filters and as a
    Series; datetimes (pandas 1.5 counts NaT as the smallest value) are
    refused, naming the column; bools are pandas' floats of 0 and 1, left
    out of every column's median where the file holds a null (pandas'
    object column)."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    nums = ["x", "y", "clean"]
    # every number column (text left out as pandas does; the bool column
    # 'flag' holds a null: pandas' object column, left out too)
    sel = ["k", "name"] + nums
    pdt.assert_frame_equal(df[sel].groupby("k").median().compute(),
                           p[sel].groupby("k").median(numeric_only=True))
    pdt.assert_frame_equal(df.groupby("k").median().compute(),
                           p.groupby("k").median())
    pdt.assert_frame_equal(df.groupby("k").quantile(0.3).compute(),
                           p.groupby("k").quantile(0.3))
    # a bool column without nulls: floats of 0 and 1
    fb, pb = df.assign(big=df.clean > 20), p.assign(big=p.clean > 20)
    for q in (0.25, 0.5):
        pdt.assert_series_equal(fb.groupby("k").big.quantile(q).compute(),
                                pb.groupby("k").big.quantile(q))
    pdt.assert_frame_equal(fb.groupby("k")[["big", "x"]].median().compute(),
                           pb.groupby("k")[["big", "x"]].median())
    for q in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0, 1 / 3):
        pdt.assert_frame_equal(
            df.groupby("k")[nums].quantile(q).compute(),
            p.groupby("k")[nums].quantile(q), obj=f"q={q}")
    pdt.assert_frame_equal(
        df.groupby(["flag", "k"], dropna=False)[nums].median().compute(),
        p.groupby(["flag", "k"], dropna=False)[nums].median())
    pdt.assert_series_equal(
        df.query("clean > 20").groupby("name").y.quantile(0.75).compute(),
        p.query("clean > 20").groupby("name").y.quantile(0.75))
    got = df.assign(z=df.x * df.clean - 3).groupby("k")
    want = p.assign(z=p.x * p.clean - 3).groupby("k")
    pdt.assert_series_equal(got.z.median().compute(), want.z.median())
    pdt.assert_frame_equal(
        got.agg({"z": ["median", "mean"], "y": "median"}).compute(),
        want.agg({"z": ["median", "mean"], "y": "median"}))
    pdt.assert_frame_equal(
        got.agg(m=("z", "median"), q=("y", "quantile")).compute(),
        want.agg(m=("z", "median"), q=("y", "quantile")))
    pdt.assert_frame_equal(
        df.groupby("k", as_index=False)[["x"]].median().compute(),
        p.groupby("k", as_index=False)[["x"]].median())
    # many equal values and large ints: counts, not copies; int64 exact
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write("k,v\n")
        for i in range(3000):
            f.write(f"{i % 3},{(i * 7919) % 11 if i % 5 else 2**62 + i}\n")
    bd, bp = read(str(big), bs), pd.read_csv(str(big))
    for q in (0.2, 0.5, 0.97):
        pdt.assert_series_equal(bd.groupby("k").v.quantile(q).compute(),
                                bp.groupby("k").v.quantile(q))
    pdt.assert_series_equal(bd.groupby("k").v.median().compute(),
                            bp.groupby("k").v.median())
    # named, the bool column with a null: a float median, as pandas; its
    # quantile pandas refuses (an object column)
    pdt.assert_series_equal(df.groupby("k").flag.median().compute(),
                            p.groupby("k").flag.median())
    with pytest.raises((TypeError, dusk.TaskError),
                       match="quantile of the bool column 'flag'"):
        df.groupby("k").flag.quantile(0.5).compute()
    dpath = str(data_dir / "dates.csv")
    dfd = dd.read_csv(dpath, parse_dates=DATES)
    with pytest.raises(TypeError, match="NaT as the smallest"):
        dfd.groupby("k")[DATES[0]].median().compute()
    with pytest.raises(NotImplementedError, match="one q at a time"):
        df.groupby("k").x.quantile([0.25, 0.75])


@pytest.mark.parametrize("sel", ['.agg("size")', '[["x"]].size()',
                                 '[["x", "y"]].size()', '["x"].size()',
                                 '["x"].agg("size")',
                                 '[["x", "y"]].agg("size")'])
def test_groupby_size_naming(client, data_dir, bs, sel):
    """size() counts rows: pandas names the Series after the column of a
    Series selection only, and the column "size" with as_index=False."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    pdt.assert_series_equal(eval(f'df.groupby("k"){sel}').compute(),
                            eval(f'p.groupby("k"){sel}'))
    pdt.assert_frame_equal(
        eval(f'df.groupby("k", as_index=False){sel}').compute(),
        eval(f'p.groupby("k", as_index=False){sel}'))


def test_groupby_and_value_counts_dropna_false(client, data_dir, bs):
    """dropna=False: rows with a missing key (an empty int, text, bool or
    float field) are a group of their own, sorted last, through every
    aggregation, several keys and value_counts (normalize too)."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    for key in ("k", "name", "flag", "y", ["k", "flag"], ["flag", "name"]):
        pdt.assert_series_equal(
            df.groupby(key, dropna=False).size().compute(),
            p.groupby(key, dropna=False).size())
        pdt.assert_frame_equal(
            df.groupby(key, dropna=False)[["x", "clean"]].sum().compute(),
            p.groupby(key, dropna=False)[["x", "clean"]].sum())
    pdt.assert_frame_equal(
        df.groupby("k", dropna=False).agg({"x": ["min", "count"],
                                           "name": "first"}).compute(),
        p.groupby("k", dropna=False).agg({"x": ["min", "count"],
                                          "name": "first"}))
    pdt.assert_frame_equal(
        df.groupby("flag", dropna=False, as_index=False).clean.mean()
        .compute(),
        p.groupby("flag", dropna=False, as_index=False).clean.mean())
    for col in ("k", "name", "flag", "y"):
        for norm in (False, True):
            got = df[col].value_counts(dropna=False, normalize=norm).compute()
            want = p[col].value_counts(dropna=False, normalize=norm)
            # ties too in pandas' order (first appearance, then numpy's
            # quicksort of the counts)
            pdt.assert_series_equal(got, want)
    with pytest.raises(ValueError, match="dropna= applies to a groupby"):
        df._frame.dropna_keys(False)


def test_groupby_sums_of_a_bool_with_nulls(client, data_dir, bs):
    """A bool column with a null in its file is pandas' object column:
    every column's groupby sum, mean, std and var leave it out, a named
    mean is pandas' float, and a named sum (pandas: 2, False or 0 in one
    object column) is refused."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    assert p.flag.dtype == object
    for fn in ("sum", "mean", "std", "var"):
        pdt.assert_frame_equal(
            getattr(df[["k", "flag", "x"]].groupby("k"), fn)().compute(),
            getattr(p[["k", "flag", "x"]].groupby("k"), fn)())
    pdt.assert_series_equal(df.groupby("k").flag.mean().compute(),
                            p.groupby("k").flag.mean().astype(float))
    with pytest.raises((TypeError, dusk.TaskError),
                       match="sum of the bool column 'flag' by group"):
        df.groupby("k").flag.sum().compute()


def test_groupby_first_of_a_bool_with_nulls(client, data_dir, bs):
    """first / last of a bool column with a null in its file (pandas'
    object column of bools and NaN) by group: object from a
    SeriesGroupBy and from agg(), while min / max give bool, and a frame's
    first() / last() (or as_index=False) is inferred again - bool where
    every group has a value, as pandas 1.5 gives."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    assert p.flag.dtype == object
    for fn in ("first", "last", "min", "max"):
        pdt.assert_series_equal(getattr(df.groupby("k").flag, fn)().compute(),
                                getattr(p.groupby("k").flag, fn)(), obj=fn)
    for q in (lambda d: d.groupby("k").agg({"flag": ["first", "min"]}),
              lambda d: d.groupby("k").agg(f=("flag", "last")),
              lambda d: d.groupby("k").flag.agg(["first", "last"]),
              lambda d: d[["k", "flag", "x"]].groupby("k").first(),
              lambda d: d.groupby("k")[["flag", "x"]].last(),
              lambda d: d.groupby("k", as_index=False).flag.first()):
        want = q(p)
        got = q(df).compute()
        pdt.assert_frame_equal(got, want)
    assert (p[["k", "flag"]].groupby("k").first().flag.dtype == bool and
            p.groupby("k").flag.first().dtype == object)  # as pandas 1.5


def test_groupby_agg_and_several_keys(client, data_dir, bs):
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    spec = {"x": "sum", "y": "mean", "clean": "max"}
    pdt.assert_frame_equal(df.groupby("k").agg(spec).compute(),
                           p.groupby("k").agg(spec))
    pdt.assert_frame_equal(
        df.groupby(["k", "flag"])[["x", "clean"]].sum().compute(),
        p.groupby(["k", "flag"])[["x", "clean"]].sum())


def test_value_counts(client, data_dir, bs):
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    for col in ("name", "k", "flag"):
        got, want = df[col].value_counts().compute(), p[col].value_counts()
        # ties in pandas' order too; a bool column with nulls is pandas'
        # object column, whose counted values keep that index dtype
        pdt.assert_series_equal(got, want, check_index_type=col != "flag")
        assert list(got.index) == list(want.index)


def test_groupby_value_counts(client, data_dir, bs):
    """SeriesGroupBy.value_counts in pandas 1.5's exact order: each group's
    values sorted (a missing one first), then stably by count; with
    as_index=False pandas' other path (numpy's quicksort of all counts,
    then stably by key); dropna= of the groupby and of value_counts,
    normalize= as shares of each group."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    for key, col in (("k", "name"), ("flag", "k"), (["k", "flag"], "name"),
                     ("name", "y")):
        for gdrop in (True, False):
            for vdrop in (True, False):
                for norm in (False, True):
                    got = df.groupby(key, dropna=gdrop)[col].value_counts(
                        normalize=norm, dropna=vdrop).compute()
                    want = p.groupby(key, dropna=gdrop)[col].value_counts(
                        normalize=norm, dropna=vdrop)
                    pdt.assert_series_equal(got, want)
                    got = df.groupby(key, dropna=gdrop, as_index=False)[
                        col].value_counts(normalize=norm,
                                          dropna=vdrop).compute()
                    want = p.groupby(key, dropna=gdrop, as_index=False)[
                        col].value_counts(normalize=norm, dropna=vdrop)
                    pdt.assert_frame_equal(got, want)
    # a step on the result: the largest counts of all groups
    pdt.assert_series_equal(
        df.groupby("k")["name"].value_counts().sort_values(
            ascending=False).head(5),
        p.groupby("k")["name"].value_counts().sort_values(
            ascending=False).head(5))
    with pytest.raises(NotImplementedError, match="one column"):
        df.groupby("k").value_counts()


def test_describe(client, data_dir, bs):
    """Every row of pandas' describe(), the 25/50/75% exact (two scans)."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    pdt.assert_frame_equal(df.describe().compute(), p.describe())
    pdt.assert_frame_equal(df.query("x > 3").describe().compute(),
                           p.query("x > 3").describe())
    pdt.assert_frame_equal(
        df.describe(percentiles=[0.25, 0.5, 0.75]).compute(), p.describe())


def test_describe_percentiles_include_exclude(client, data_dir, bs):
    """describe(percentiles=) of a frame and a column: pandas' rows and
    labels ("10%", "33.3%", "29.0%"), 0.5 always among them; include= and
    exclude= pick the columns as pandas' select_dtypes; a Series ignores
    include and exclude, a text column the percentiles, as pandas."""
    import random
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    rnd = random.Random(11)
    sets = [[0.1, 0.9], [0.333, 0.29], [], [0.5], [0, 1], (0.05,),
            [0.001, 0.999], np.array([0.01, 0.99]), [0.125, 0.875],
            [0.07, 0.5, 0.9999], [1 / 3, 2 / 3]]
    sets += [[round(rnd.random(), rnd.randint(1, 5)) for _ in range(3)]
             for _ in range(6)]
    for qs in sets:
        what = f"percentiles={qs!r}"
        pdt.assert_frame_equal(df.describe(percentiles=qs).compute(),
                               p.describe(percentiles=qs), obj=what)
        pdt.assert_series_equal(df.y.describe(percentiles=qs).compute(),
                                p.y.describe(percentiles=qs), obj=what)
    pdt.assert_series_equal(
        (df.x * 2).describe(percentiles=[0.1]).compute(),
        (p.x * 2).describe(percentiles=[0.1]))
    for kw in ({"include": "all", "percentiles": [0.1, 0.9]},
               {"include": "all"}, {"include": ["object"]},
               {"include": "O"}, {"include": [np.number]},
               {"include": ["int64"], "percentiles": [0.2]},
               {"exclude": ["object"]}, {"exclude": [np.number]},
               {"include": [np.number, "object"], "exclude": ["float64"]}):
        pdt.assert_frame_equal(df.describe(**kw).compute(),
                               p.describe(**kw), obj=repr(kw))
    # a Series: include / exclude ignored, a text one's percentiles too
    for col in ("x", "name"):
        pdt.assert_series_equal(
            df[col].describe(include="object", exclude=[np.number],
                             percentiles=[0.3]).compute(),
            p[col].describe(include="object", exclude=[np.number],
                            percentiles=[0.3]))
    for bad in ([1.5], [0.5, 0.5], [0.2, 0.2]):
        for f in (p.describe, p.x.describe, p.name.describe,
                  df.describe, df.x.describe, df.name.describe):
            with pytest.raises(ValueError, match="percentiles"):
                f(percentiles=bad)
    with pytest.raises(ValueError, match="exclude must be None"):
        df.describe(include="all", exclude=["object"])
    with pytest.raises(NotImplementedError, match="datetime_is_numeric"):
        df.describe(datetime_is_numeric=True)


QS = [0, 0.001, 0.1, 0.25, 1 / 3, 0.5, 0.75, 0.9, 0.999, 1]


def test_quantile_and_median(client, data_dir, bs):
    """Exact quantiles with pandas' linear interpolation: of the number
    columns (a Series named q, or a frame indexed by q), of a column (a
    scalar, or a Series), medians; NaN where nothing is left."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    pdt.assert_frame_equal(df.quantile(QS).compute(),
                           p.quantile(QS, numeric_only=True))
    pdt.assert_series_equal(df.quantile(0.3).compute(),
                            p.quantile(0.3, numeric_only=True))
    pdt.assert_series_equal(df.median(numeric_only=True).compute(),
                            p.median(numeric_only=True))
    with warnings.catch_warnings():  # pandas 1.5 warns of text columns
        warnings.simplefilter("ignore", FutureWarning)
        want = p.median()  # its default takes bools as numbers
    pdt.assert_series_equal(df.median().compute(), want)
    # pandas' default float parser (xstrtod) can miss the correctly rounded
    # double by an ulp, where dusk's does not: scalars compare to 1e-15.
    for col in ("k", "x", "y", "clean"):
        assert df[col].median().compute() == pytest.approx(p[col].median(),
                                                           rel=1e-15)
        assert df[col].quantile(0.9).compute() == pytest.approx(
            p[col].quantile(0.9), rel=1e-15)
        pdt.assert_series_equal(df[col].quantile(QS).compute(),
                                p[col].quantile(QS))
    f = df.query("x > 3")
    pdt.assert_series_equal(f.y.quantile([0.2, 0.8]).compute(),
                            p.query("x > 3").y.quantile([0.2, 0.8]))
    empty = df.query("x > 1000000000")
    assert np.isnan(empty.y.median().compute())
    pdt.assert_series_equal(empty.median(numeric_only=True).compute(),
                            p.query("x > 1000000000").median(numeric_only=True))


def test_whole_frame_top_k(client, data_dir, bs):
    """nlargest / nsmallest (keep="first": ties in file order, nulls
    last), sort_values(...).head(n) and tail(n) of whole
    files are distributed top-k queries: exact against pandas (stable
    sorts, as dusk's are), also after a filter and on string keys."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    for n in (0, 1, 7, 40):
        pdt.assert_frame_equal(df.nlargest(n, "y").compute(),
                               p.nlargest(n, "y"))
        pdt.assert_frame_equal(df.nsmallest(n, ["k", "x"]).compute(),
                               p.nsmallest(n, ["k", "x"]))
        pdt.assert_frame_equal(df.tail(n), p.tail(n))
    # Fewer non-null keys than n: pandas fills with the null rows.
    few = "clean > 97"
    pdt.assert_frame_equal(df.query(few).nlargest(40, "x").compute(),
                           p.query(few).nlargest(40, "x"))
    for by, asc in (("y", True), (["k", "clean"], [False, True]),
                    ("name", False), ("flag", True)):
        pdt.assert_frame_equal(
            df.sort_values(by, ascending=asc).head(25),
            p.sort_values(by, ascending=asc, kind="stable").head(25))
    q = "x > 3"
    pdt.assert_frame_equal(df.query(q).nlargest(9, "clean").compute(),
                           p.query(q).nlargest(9, "clean"))
    pdt.assert_series_equal(df.y.nsmallest(6).compute(), p.y.nsmallest(6))
    pdt.assert_series_equal(df.x.tail(8), p.x.tail(8))
    pdt.assert_series_equal(df.y.sort_values(ascending=False).head(4),
                            p.y.sort_values(ascending=False,
                                            kind="stable").head(4))
    # the whole sort, computed: gathered and sorted (test_sort.py)
    pdt.assert_frame_equal(df.sort_values("x").compute(),
                           p.sort_values("x"))
    with pytest.raises(KeyError, match="clean"):
        df.nlargest(3, "claen").compute()


def test_drop_duplicates_of_many_keys_is_a_hash_shuffle(client, tmp_path):
    """A subset's key round over many partitions is cut by key hash into
    parts (split, picks, one positions table per part), so no task holds
    every distinct key; the rows kept are still pandas' first rows, in
    file order, with pandas' labels - on mostly distinct text, int and
    float keys with nulls."""
    import random
    rnd = random.Random(4)
    path = tmp_path / "many.csv"
    with open(path, "w") as f:
        f.write("a,b,c,v\n")
        for i in range(6000):
            a = rnd.choice(["x", "y", "z", ""])
            b = "" if i % 97 == 5 else rnd.randint(0, 400)
            # -0.0 is 0.0 as a key (pandas): the splits hash them alike
            c = "" if i % 89 == 3 else "-0.0" if i % 13 == 1 else \
                rnd.randint(0, 3) / 2
            f.write(f"{a},{b},{c},{i}\n")
    df, p = dd.read_csv(str(path), blocksize="4KB"), pd.read_csv(path)
    report = tmp_path / "r.html"
    with dusk.performance_report(filename=report):
        got = df.drop_duplicates(["a", "b", "c"]).compute()
    pdt.assert_frame_equal(got, p.drop_duplicates(["a", "b", "c"]))
    html = report.read_text()
    assert html.count('data-op="df_bounds"') >= 2, "one positions table"
    for op in ("df_split", "df_pick"):
        assert f'data-op="{op}"' in html, op
    for subset in (["b"], ["c", "a"], ["b", "v"]):
        pdt.assert_frame_equal(df.drop_duplicates(subset).compute(),
                               p.drop_duplicates(subset))
    pdt.assert_frame_equal(df.drop_duplicates("b").tail(4),
                           p.drop_duplicates("b").tail(4))
    # Every key twice, far apart, once with 0.0 and once with -0.0: the
    # same key to pandas, which keeps the first.
    signed = tmp_path / "signed.csv"
    with open(signed, "w") as f:
        f.write("x,c,v\n")
        for i in range(6000):
            f.write(f"{i % 3000},{'-0.0' if i >= 3000 else '0.0'},{i}\n")
    df, p = dd.read_csv(str(signed), blocksize="4KB"), pd.read_csv(signed)
    with dusk.performance_report(filename=report):
        got = df.drop_duplicates(["x", "c"]).compute()
    assert 'data-op="df_split"' in report.read_text()
    assert len(got) == 3000
    pdt.assert_frame_equal(got, p.drop_duplicates(["x", "c"]))
    # Partials of more keys than a merge looks up at once (4096): the
    # combines and each part's positions merge them a chunk at a time.
    big = tmp_path / "more.csv"
    with open(big, "w") as f:
        f.write("a,b,c,v\n")
        for i in range(60000):
            a = "" if i % 101 == 7 else f"s{rnd.randint(0, 40)}"
            f.write(f"{a},{rnd.randint(0, 3000)},{rnd.randint(0, 1)},{i}\n")
    df, p = dd.read_csv(str(big), blocksize="48KB"), pd.read_csv(big)
    assert df.npartitions >= 16
    pdt.assert_frame_equal(df.drop_duplicates(["a", "b", "c"]).compute(),
                           p.drop_duplicates(["a", "b", "c"]))
    # More distinct strings in a scan (and in a merge) than a key coder
    # numbers (keycode.h: 65536): keys with strings met after that are
    # looked up by their bytes, the earlier ones by their codes.
    wide = tmp_path / "wide.csv"
    with open(wide, "w") as f:
        f.write("s,n,v\n")
        for i in range(136000):
            f.write(f"k{i},{i % 3},{i}\n")
        for i in range(4000):
            j = rnd.randint(0, 135999)
            f.write(f"k{j},{j % 3 if i % 2 else 7},{136000 + i}\n")
    df, p = dd.read_csv(str(wide), blocksize="1MB"), pd.read_csv(wide)
    assert df.npartitions >= 2
    got = df.drop_duplicates(["s", "n"]).compute()
    assert len(got) > 136000
    pdt.assert_frame_equal(got, p.drop_duplicates(["s", "n"]))


def test_drop_duplicates(client, data_dir, bs):
    """The first row of each distinct key in file order, with pandas' row
    labels, over every partition: subsets of every kind of column (nulls
    and NaN are keys like any value), whole rows, after a filter and a
    derived column, and of a column."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    for subset in ("k", ["k", "flag"], ["name"], ["y"], ["flag", "name"]):
        pdt.assert_frame_equal(df.drop_duplicates(subset).compute(),
                               p.drop_duplicates(subset))
    pdt.assert_frame_equal(df[["k", "flag"]].drop_duplicates().compute(),
                           p[["k", "flag"]].drop_duplicates())
    pdt.assert_frame_equal(df.drop_duplicates().compute(),
                           p.drop_duplicates())
    pdt.assert_frame_equal(
        df.query("x > 0").eval("m = clean % 7")
        .drop_duplicates(subset=["m", "k"]).compute(),
        p.query("x > 0").assign(m=lambda d: d.clean % 7)
        .drop_duplicates(subset=["m", "k"]))
    pdt.assert_series_equal(df.name.drop_duplicates().compute(),
                            p.name.drop_duplicates())
    for col in ("k", "y", "name", "flag"):
        got, want = df[col].unique().compute(), p[col].unique()
        pdt.assert_series_equal(pd.Series(got), pd.Series(want),
                                check_dtype=False, obj=col)
    pdt.assert_frame_equal(
        df.drop_duplicates("k").sort_values("clean").head(3),
        p.drop_duplicates("k").sort_values("clean").head(3))
    # A filter leaving a batch (here every batch) without rows.
    pdt.assert_frame_equal(
        df.query("clean > 1000").drop_duplicates("k").compute(),
        p.query("clean > 1000").drop_duplicates("k"))
    pdt.assert_frame_equal(
        df.sample(frac=0.0, random_state=1).drop_duplicates(["k"]).compute(),
        p.iloc[:0].drop_duplicates(["k"]))
    with pytest.raises(NotImplementedError, match="keep"):
        df.drop_duplicates("k", keep="last")
    with pytest.raises(KeyError, match="nope"):
        df.drop_duplicates(["nope"]).compute()


def test_top_k_trims_within_a_scan(client, tmp_path):
    """Many rows and heavy ties in one partition: each scan trims its
    candidates many times, and the rows that tie the n-th best must still
    come out in file order (pandas' keep="first")."""
    path = tmp_path / "ties.csv"
    rows = ["key,t,v"] + [
        f"{(i * 7919) % 13},2021-04-27 23:59:{(i * 31) % 60:02d},{i}"
        for i in range(40000)]
    path.write_text("\n".join(rows) + "\n")
    for bs in ("100KB", None):
        df = read(str(path), bs) if bs else dd.read_csv(str(path),
                                                          parse_dates=["t"])
        if bs:
            df = dd.read_csv(str(path), blocksize=bs, parse_dates=["t"])
        p = pd.read_csv(path, parse_dates=["t"])
        for n in (1, 5, 3000, 9000):
            pdt.assert_frame_equal(df.nlargest(n, "key").compute(),
                                   p.nlargest(n, "key"))
            pdt.assert_frame_equal(df.nsmallest(n, ["t", "key"]).compute(),
                                   p.nsmallest(n, ["t", "key"]))
            pdt.assert_frame_equal(df.nlargest(n, "t").compute(),
                                   p.nlargest(n, "t"))


def test_quantile_refusals(client, data_dir):
    df = dd.read_csv(str(data_dir / "mixed.csv"))
    with pytest.raises(ValueError, match=r"interval \[0, 1\]"):
        df.x.quantile(1.5)
    with pytest.raises(ValueError, match=r"interval \[0, 1\]"):
        df.quantile([0.5, -0.1])
    with pytest.raises(NotImplementedError, match="linear"):
        df.x.quantile(0.5, interpolation="nearest")
    with pytest.raises(RuntimeError, match="name.*is text|string"):
        df.name.median().compute()
    with pytest.raises(TypeError, match="not numbers"):
        df.quantile(0.5, numeric_only=False)


def test_to_csv_round_trip(client, data_dir, tmp_path, bs):
    path = str(data_dir / "mixed.csv")
    files = read(path, bs).query("x > 0").to_csv(str(tmp_path / "out"))
    assert files and all(os.path.exists(f) for f in files)
    assert sorted(files) == sorted(glob.glob(str(tmp_path / "out" / "*")))
    back = pd.concat([pd.read_csv(f, index_col=0) for f in sorted(files)])
    p = pd.read_csv(path).query("x > 0")
    pdt.assert_frame_equal(back, p, check_dtype=False)
    assert len(back) == len(p)


def test_to_csv_of_results_writes_at_once(client, data_dir, tmp_path):
    """to_csv of a computed result - a groupby's Series or frame, a result
    column, drop_duplicates' rows - runs at once, as Dask's does (it was
    a lazy pandas step that wrote nothing until computed): one part file,
    pandas' to_csv of the result with its options.  A whole frame's
    column is refused by name."""
    path = str(data_dir / "mixed.csv")
    df, pdf = dd.read_csv(path), pd.read_csv(path)
    cases = [  # (dusk's, pandas', to_csv options, target)
        (df.groupby("k").x.sum(), pdf.groupby("k").x.sum(), {}, "s"),
        (df.groupby("k").agg({"x": ["sum", "max"]}),
         pdf.groupby("k").agg({"x": ["sum", "max"]}), {"index": False},
         "f/part-*.csv"),
        (df.groupby("k").agg(n=("x", "count")).n,
         pdf.groupby("k").agg(n=("x", "count")).n, {"header": False}, "c"),
        (df.drop_duplicates(["k"]), pdf.drop_duplicates(["k"]), {}, "d"),
    ]
    for got, want, kw, target in cases:
        files = got.to_csv(str(tmp_path / target), **kw)
        assert files == [str(tmp_path / target.replace("*", "0"))
                         if "*" in target else str(tmp_path / target /
                                                   "0.part")]
        with open(files[0]) as f:
            assert f.read() == want.to_csv(**kw), target
    with pytest.raises(NotImplementedError, match="Series.to_csv"):
        df.x.to_csv(str(tmp_path / "col"))


def test_to_csv_writes_datetimes_as_pandas(client, data_dir, tmp_path, bs):
    """Datetimes, timedeltas and dates are written as pandas writes them
    ("2021-02-27 10:00:00.500", "0 days 00:21:24", "2021-02-27"), not as
    nanoseconds: each file as pandas writes its rows (one precision per
    column and file, as Dask's to_csv writes each partition)."""
    path = str(data_dir / "dates.csv")
    df = dd.read_csv(path, blocksize=bs, parse_dates=DATES) if bs else \
        dd.read_csv(path, parse_dates=DATES)
    p = pd.read_csv(path, parse_dates=DATES)
    df = df.assign(trip=df.end - df.start, d=df.start.dt.date)
    p = p.assign(trip=p.end - p.start, d=p.start.dt.date)
    files = sorted(df.to_csv(str(tmp_path / "out")))
    assert files
    for f in files:
        text = open(f).read()
        labels = pd.read_csv(f, index_col=0).index
        assert text == p.loc[labels].to_csv(), f"{f} differs"
    assert sum(len(pd.read_csv(f)) for f in files) == len(p)
    if bs is None:  # pandas' chunks of 100000 // columns rows, one file
        frac = tmp_path / "frac.csv"
        with open(frac, "w") as f:
            f.write("t,x\n")
            for i in range(40000):
                tail = ".5" if i == 39999 else ""
                f.write(f"2021-01-01 10:00:{i % 60:02d}{tail},{i}\n")
        out = dd.read_csv(str(frac), parse_dates=["t"],
                          blocksize="64MB").to_csv(str(tmp_path / "frac"))
        assert len(out) == 1
        assert open(out[0]).read() == pd.read_csv(
            str(frac), parse_dates=["t"]).to_csv()


# ---- lazy structure and errors ---------------------------------------------

def test_repr_is_lazy_structure(client, data_dir):
    df = dd.read_csv(str(data_dir / "mixed.csv"), blocksize="1KB")
    text = repr(df)
    assert "npartitions=" in text and "flag" in text and "float64" in text
    html = df._repr_html_()
    assert "<table" in html and "npartitions" in html
    agg = df.groupby("k").count()
    assert "compute" in repr(agg)


def test_errors_are_python_exceptions(client, data_dir):
    path = str(data_dir / "mixed.csv")
    df = dd.read_csv(path)
    with pytest.raises(KeyError, match="did you mean 'k'"):
        df.groupby("kk").count().compute()
    with pytest.raises(KeyError, match="unknown column"):
        df[["x", "nope"]].compute()
    with pytest.raises(ValueError, match=r"(?s)x >> 2.*\^"):
        df.query("x >> 2")
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        dd.read_csv(str(data_dir / "nope.csv"))
    with pytest.raises(FileNotFoundError, match="no file matches"):
        dd.read_csv(str(data_dir / "zzz*.csv"))
    with pytest.raises(NotImplementedError, match="repartition"):
        df.repartition(npartitions=2)
    with pytest.raises(NotImplementedError, match="after agg"):
        df.groupby("k").count().fillna(0)
    with pytest.raises(NotImplementedError, match="gs:// paths"):
        dd.read_csv("gs://bucket/key.csv")
    with pytest.raises(NotImplementedError, match="storage_options"):
        dd.read_csv("s3://bucket/key.csv", storage_options={"key": "AK"})
    with pytest.raises(NotImplementedError, match="another frame"):
        other = dd.read_csv(path)
        df[other.x > 1]
    with pytest.raises(ValueError, match="ambiguous"):
        bool(df.x > 1)
    with pytest.raises(AttributeError):
        df.no_such_column


def test_from_expression_matches_builders(client, data_dir):
    path = str(data_dir / "mixed.csv")
    expr = dd.from_expression(
        f'read_csv("{path}").fillna(0).groupby("k").count()')
    pdt.assert_frame_equal(
        expr.compute(), dd.read_csv(path).fillna(0).groupby("k").count().compute())


def test_read_csv_options(client, data_dir, tmp_path, bs):
    path = str(data_dir / "mixed.csv")
    cols = ["name", "x", "k"]
    pdt.assert_frame_equal(dd.read_csv(path, usecols=cols, blocksize=bs or "64MB")
                           .compute(), pd.read_csv(path, usecols=cols))
    pdt.assert_frame_equal(
        dd.read_csv(path, dtype={"clean": "float64", "k": float},
                    blocksize=bs or "64MB").head(20),
        pd.read_csv(path, dtype={"clean": "float64", "k": float}).head(20))
    pdt.assert_frame_equal(
        dd.read_csv(path, dtype={"clean": str}).groupby("clean").count()
        .compute(),
        pd.read_csv(path, dtype={"clean": str}).groupby("clean").count())
    semi = tmp_path / "semi.csv"
    pd.read_csv(path).to_csv(semi, sep=";", index=False)
    pdt.assert_frame_equal(dd.read_csv(str(semi), sep=";").compute(),
                           pd.read_csv(semi, sep=";"))
    # A glob and a list read the same rows as concat.
    pattern = str(data_dir / "fhvhv_*.csv")
    files = sorted(glob.glob(pattern))
    want = pd.concat([pd.read_csv(f) for f in files])
    pdt.assert_frame_equal(dd.read_csv(pattern).compute(), want)
    pdt.assert_frame_equal(dd.read_csv(files).compute(), want)
    with pytest.raises(NotImplementedError, match="date_format"):
        dd.read_csv(path, date_format="%Y")
    with pytest.raises(NotImplementedError, match="parse_dates"):
        dd.read_csv(path, parse_dates=True)
    with pytest.raises(ValueError, match="blocksize"):
        dd.read_csv(path, blocksize="lots")


def test_read_csv_numpy_dtype_refuses_missing_values(client, tmp_path, bs):
    """read_csv(dtype={"n": "int64"}) (or int, int32, bool) of a column
    with a missing value fails as pandas' read_csv raises, naming the
    file, line and column - among the scheduler's first rows (at submit)
    and past them (by the scan that meets it, at every partition size) -
    whether or not a step reads the column; pandas' nullable Int64 and
    boolean keep the missing values as before, and a column the dtype
    does not reach (usecols) is not checked."""
    path = str(tmp_path / "late.csv")
    with open(path, "w") as f:
        f.write("k,n,b\n")
        for i in range(60000):  # past the scheduler's 256 KiB sample
            n = "" if i == 55000 else str(i)
            f.write(f"{i % 7},{n},{'' if i == 3 else 'True'}\n")
    early = str(tmp_path / "early.csv")
    with open(early, "w") as f:
        f.write("k,n\n1,5\n2,\n3,7\n")

    def read_(p, **kw):
        return dd.read_csv(p, blocksize=bs, **kw) if bs else \
            dd.read_csv(p, **kw)
    for dtype in ("int64", "int", "int32", int):
        with pytest.raises(ValueError) as e:
            pd.read_csv(path, dtype={"n": dtype})
        assert "Integer column has NA values" in str(e.value)
        with pytest.raises(ValueError, match=r"late\.csv line 55002, "
                           r"column 'n': .*Integer column has NA values"):
            read_(path, dtype={"n": dtype}).groupby("k")["n"].sum().compute()
    with pytest.raises(ValueError, match=r"late\.csv line 55002, column 'n'"):
        read_(path, dtype={"n": "int64"}).k.sum().compute()
    with pytest.raises(ValueError, match=r"early\.csv line 3, column 'n': "
                       r".*Integer column has NA values"):
        read_(early, dtype={"n": "int64"}).compute()
    with pytest.raises(ValueError, match=r"line 5, column 'b': .*Bool column "
                       r"has NA values"):
        read_(path, dtype={"b": "bool"}).compute()
    # pandas' nullable types (tests/python/test_nullable.py), no missing
    # value, and usecols without it
    got = read_(path, dtype={"n": "Int64", "b": "boolean"}).compute()
    want = pd.read_csv(path, dtype={"n": "Int64", "b": "boolean"})
    pdt.assert_frame_equal(got, want)
    pdt.assert_frame_equal(read_(path, dtype={"k": "int64"}).compute(),
                           pd.read_csv(path, dtype={"k": "int64"}))
    pdt.assert_frame_equal(
        sort_vc(read_(path, usecols=["k"], dtype={"n": "int64"}).k
                .value_counts().compute()),
        sort_vc(pd.read_csv(path, usecols=["k"], dtype={"n": "int64"}).k
                .value_counts()))


def test_nullable_unique_and_value_counts(client, data_dir, bs):
    """unique() and value_counts() of a column read as pandas' nullable
    Int64 or boolean give what pandas gives: an IntegerArray /
    BooleanArray, and counts over an Index of that dtype (Int64 counts,
    Float64 shares) - through a filter and a head of the counts too, and
    through rename, assign and merge, which keep the dtype in pandas; of
    numpy columns numpy's arrays of pandas' dtypes (an int column with
    nulls float64, a bool one object)."""
    path = str(data_dir / "mixed.csv")
    dtype = {"x": "Int64", "flag": "boolean", "clean": "Int64"}
    df = dd.read_csv(path, blocksize=bs, dtype=dtype) if bs else \
        dd.read_csv(path, dtype=dtype)
    p = pd.read_csv(path, dtype=dtype)
    for col in ("x", "flag", "clean"):
        got, want = df[col].unique().compute(), p[col].unique()
        assert type(got) is type(want) and got.dtype == want.dtype, col
        pdt.assert_extension_array_equal(got, want)
        got = df.query("clean > 50")[col].unique().compute()
        pdt.assert_extension_array_equal(
            got, p.query("clean > 50", engine="python")[col].unique())
        for kw in ({}, {"dropna": False}, {"normalize": True},
                   {"dropna": False, "normalize": True}):
            pdt.assert_series_equal(df[col].value_counts(**kw).compute(),
                                    p[col].value_counts(**kw), obj=col)
        pdt.assert_series_equal(
            df[col].value_counts(dropna=False).head(3),
            p[col].value_counts(dropna=False).head(3))
        pdt.assert_frame_equal(
            df[col].value_counts(dropna=False).reset_index().compute(),
            p[col].value_counts(dropna=False).reset_index())
    # pandas keeps the nullable dtype through rename, an assign of
    # another column or of a copy, and a merge
    right = str(data_dir / "mixed_right.csv")
    with open(right, "w") as f:
        f.write("k,v,x\n0,3,1\n1,,2\n2,4,1\n3,5,\n")
    steps = [
        lambda d: d.rename(columns={"x": "z"})["z"],
        lambda d: d.assign(q=d.clean + 1)["x"],
        lambda d: d.assign(q=d.x)["q"],
        lambda d: d.rename(columns={"flag": "f"})["f"],
        lambda d: d.merge(
            (pd if isinstance(d, pd.DataFrame) else dd).read_csv(
                right, dtype={"v": "Int64"}), on="k", how="left")["v"],
        lambda d: d.merge(
            (pd if isinstance(d, pd.DataFrame) else dd).read_csv(right),
            on="k", how="left")["x_x"],
    ]
    for i, step in enumerate(steps):
        pdt.assert_series_equal(
            step(df).value_counts(dropna=False).compute(),
            step(p).value_counts(dropna=False), obj=f"step {i}")
        pdt.assert_extension_array_equal(step(df).unique().compute(),
                                         step(p).unique())
    p = pd.read_csv(path)
    for col in ("x", "flag", "clean", "name", "y"):
        got, want = read(path, bs)[col].unique().compute(), p[col].unique()
        assert type(got) is np.ndarray and got.dtype == want.dtype, col
        pdt.assert_series_equal(pd.Series(got), pd.Series(want), obj=col)


def test_results_without_pandas(data_dir):
    """Without numpy and pandas the package still works: frames come back
    as dicts of lists, series as dicts, len as an int."""
    import subprocess
    import sys
    import textwrap
    code = textwrap.dedent(f"""
        import sys
        sys.modules["numpy"] = None    # as if not installed
        sys.modules["pandas"] = None
        import dusk, dusk.dataframe as dd
        with dusk.Client(dusk.LocalCluster(n_workers=1)) as c:
            df = dd.read_csv({str(data_dir / 'mixed.csv')!r})
            print(repr(df.head(2)))
            print(repr(df.groupby("k")["clean"].max().compute()))
            print(repr(df["flag"].value_counts().compute()))
            print(len(df))
            c.cluster.close()
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    p = pd.read_csv(str(data_dir / "mixed.csv"))
    head = eval(lines[0], {"nan": float("nan")})
    assert head["clean"] == list(p["clean"].head(2))
    assert head["x"] == [None if pd.isna(v) else int(v) for v in p["x"].head(2)]
    assert eval(lines[1]) == {int(k): int(v) for k, v in
                              p.groupby("k")["clean"].max().items()}
    assert eval(lines[2]) == {bool(k): int(v) for k, v in
                              p["flag"].value_counts().items()}
    assert int(lines[3]) == len(p)


def test_table_columns_fill_numpy_arrays(client, data_dir):
    """The extension stores a column straight into a numpy array of the
    dtype pandas holds it in, and refuses an array it cannot fill."""
    path = str(data_dir / "mixed.csv")
    table = client._conn.compute(dd.read_csv(path)._frame.head(3000))
    pd_df = pd.read_csv(path)
    nrows, ncols, nindex = table.shape
    names = [table.column(i, np.nan)[0] for i in range(ncols)]
    for i in range(nindex, ncols):
        name = names[i]
        want = pd_df[name].to_numpy()
        out = np.empty(nrows, dtype=want.dtype)
        got = table.column(i, np.nan, out)
        assert got[2] is out
        pdt.assert_series_equal(pd.Series(out), pd.Series(want))
    with pytest.raises(ValueError, match="contiguous array of 3000"):
        table.column(nindex, np.nan, np.empty(2999, dtype=object))
    with pytest.raises(ValueError, match="contiguous array"):
        table.column(nindex, np.nan, np.empty(3000, dtype=np.int32))
    with pytest.raises(ValueError, match="contiguous"):
        table.column(nindex, np.nan, np.empty((3000, 2), dtype=object)[:, 0])
    string_col = next(i for i in range(nindex, ncols)
                      if table.column_type(i) == "string")
    with pytest.raises(ValueError, match="string column cannot be stored"):
        table.column(string_col, np.nan, np.empty(3000, dtype=np.float64))


# ---- steps on a computed result --------------------------------------------

def test_sort_and_top_after_groupby(client, data_dir, bs):
    """The notebook move: groupby(...).size().sort_values(...).head(n), and
    nlargest / nsmallest / tail / multi-column sorts on results, equal to
    pandas' default sort (one column: numpy's quicksort order of ties;
    several: stable), nulls last."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    pdt.assert_series_equal(
        df.groupby("clean").size().sort_values(ascending=False).head(10),
        p.groupby("clean").size().sort_values(ascending=False,
).head(10))
    pdt.assert_series_equal(
        df.groupby("clean").size().sort_values().compute(),
        p.groupby("clean").size().sort_values())
    pdt.assert_series_equal(df.groupby("clean").size().nlargest(7).compute(),
                            p.groupby("clean").size().nlargest(7))
    pdt.assert_series_equal(df.groupby("clean")["x"].sum().nsmallest(4).compute(),
                            p.groupby("clean")["x"].sum().nsmallest(4))
    pdt.assert_series_equal(df.groupby("clean")["y"].max().tail(3),
                            p.groupby("clean")["y"].max().tail(3))
    agg = {"x": "sum", "y": "mean", "clean": "min"}
    got = df.groupby(["k", "flag"]).agg(agg)
    want = p.groupby(["k", "flag"]).agg(agg)
    pdt.assert_frame_equal(
        got.sort_values(["clean", "x"], ascending=[True, False]).compute(),
        want.sort_values(["clean", "x"], ascending=[True, False],
                         kind="stable"))
    pdt.assert_frame_equal(got.nlargest(5, "y").compute(), want.nlargest(5, "y"))
    pdt.assert_frame_equal(got.sort_values("y").head(4),
                           want.sort_values("y", kind="stable").head(4))
    # A group whose values are all null sorts last both ways, as NaN does.
    pdt.assert_series_equal(
        df.groupby("k")["y"].min().sort_values(ascending=False).compute(),
        p.groupby("k")["y"].min().sort_values(ascending=False))
    # Rows of a head() sort too.
    pdt.assert_frame_equal(
        df.head(40, compute=False).sort_values("clean").compute(),
        p.head(40).sort_values("clean"))


def test_arithmetic_and_filters_on_results(client, data_dir, bs):
    """A computed result chains on as a pandas frame: arithmetic between
    its columns and with scalars, reductions of them (s / s.sum()),
    filters r[r.n > 10] and query, assign and r["c"] = ..., and then
    sort_values / nlargest / head, all equal to pandas; pieces of two
    different results are refused."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)

    def steps(f):
        r = f.groupby("k").agg(total=("x", "sum"), n=("x", "count"),
                               top=("y", "max"))
        r["share"] = r.n / r.n.sum()
        r = r.assign(avg=r.total / r.n, big=lambda t: t.total * 2 - 1)
        return r[(r.n > 250) & ~(r.top < 0)].sort_values("avg",
                                                           ascending=False)
    got, want = steps(df), steps(p)
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_frame_equal(got.head(3), want.head(3))
    pdt.assert_frame_equal(got.nlargest(2, "share").compute(),
                           want.nlargest(2, "share"))
    pdt.assert_series_equal((got.avg.round(2) + 1).compute(),
                            want.avg.round(2) + 1)
    s, ps = df.groupby("clean").size(), p.groupby("clean").size()
    pdt.assert_series_equal((s / s.sum()).compute(), ps / ps.sum())
    pdt.assert_series_equal(s[s > s.mean()].compute(), ps[ps > ps.mean()])
    pdt.assert_series_equal(
        s[s > 20].sort_values(ascending=False).head(5),
        ps[ps > 20].sort_values(ascending=False).head(5))
    assert (s.max() - s.min()).compute() == ps.max() - ps.min()
    v, pv = df.name.value_counts(), p.name.value_counts()
    pdt.assert_series_equal((v * 100 / v.sum()).round(1).compute(),
                            (pv * 100 / pv.sum()).round(1))
    lim = 30
    pdt.assert_frame_equal(
        df.groupby("k").agg(n=("x", "count")).query("n > @lim").compute(),
        p.groupby("k").agg(n=("x", "count")).query("n > @lim"))
    # len, shape and any other pandas method of a result, computed
    dd_, pd_ = df.drop_duplicates(["k", "flag"]), p.drop_duplicates(
        ["k", "flag"])
    assert len(dd_) == len(pd_)
    assert dd_.shape.compute() == pd_.shape
    assert dd_.k.nunique().compute() == pd_.k.nunique()
    assert got.n.quantile(0.5).compute() == want.n.quantile(0.5)
    pdt.assert_series_equal(dd_.name.str.upper().compute(),
                            pd_.name.str.upper())
    # pieces of the result as it was when taken; arguments that are
    # pieces are evaluated on the result; pandas' sort options
    r = df.groupby("k").agg(total=("x", "sum"), n=("x", "count"))
    pr = p.groupby("k").agg(total=("x", "sum"), n=("x", "count"))
    pdt.assert_series_equal(r.total.add(r.n).compute(), pr.total.add(pr.n))
    pdt.assert_series_equal(r.total.where(r.n > 300).compute(),
                            pr.total.where(pr.n > 300))
    before, pbefore = r.n, pr.n.copy()
    r["n"] = r.n * 10
    pr["n"] = pr.n * 10
    pdt.assert_series_equal(before.compute(), pbefore)
    pdt.assert_frame_equal(
        r[r.n > 0].sort_values("n", ignore_index=True).compute(),
        pr[pr.n > 0].sort_values("n", ignore_index=True))
    with pytest.raises(NotImplementedError, match="before and after"):
        (before / r.n).compute()
    with pytest.raises(NotImplementedError, match="two different results"):
        s[s > 30] / s.sum()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(r)
    assert len(s) == len(ps)
    assert s.idxmax().compute() == ps.idxmax()
    assert list(s.index.compute()) == list(ps.index)
    pdt.assert_series_equal((~(s > 30) & (s < 60)).compute(),
                            ~(ps > 30) & (ps < 60))
    with pytest.raises(NotImplementedError, match="two different results"):
        s / df.groupby("k").size()
    with pytest.raises(NotImplementedError, match="whole frame's column"):
        s / df.x


def test_result_steps_refused_clearly(client, data_dir):
    df = dd.read_csv(str(data_dir / "mixed.csv"))
    # the whole sort, computed: gathered and sorted (test_sort.py)
    pdt.assert_frame_equal(df.sort_values("x").compute(),
                           pd.read_csv(str(data_dir / "mixed.csv"))
                           .sort_values("x"))
    with pytest.raises(KeyError, match="unknown column 'nope'"):
        df.groupby("k").sum().sort_values("nope").compute()
    with pytest.raises(ValueError, match="Length of ascending"):
        df.groupby("k").sum().sort_values(["x", "y"], ascending=[True])
    out = dusk.dataframe.from_expression(
        f'read_csv("{data_dir / "mixed.csv"}").groupby("k").size()'
        '.sort_values(ascending=False).head(3)').compute()
    assert len(out) == 3


# ---- whole-frame and column reductions --------------------------------------

REDUCTIONS = ["count", "sum", "mean", "min", "max", "std", "var", "nunique"]


@pytest.mark.parametrize("fn", REDUCTIONS)
def test_frame_and_column_reductions(client, data_dir, bs, fn):
    """df.fn() and df["x"].fn() against pandas: a Series indexed by the
    column names with pandas' dtype, and numpy scalars; text columns are
    left out of sums and moments as pandas drops them (numeric_only)."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    numeric = ["k", "x", "y", "clean"]
    if fn in ("count", "nunique"):
        want = getattr(p, fn)()
        got = getattr(df, fn)().compute()
    else:
        want = getattr(p[numeric], fn)()
        got = getattr(df, fn)(numeric_only=True).compute()
        pdt.assert_series_equal(getattr(df[numeric], fn)().compute(), want)
    pdt.assert_series_equal(got, want)
    for col in ("x", "y", "clean", "flag", "name"):
        if col in ("flag", "name") and fn in ("sum", "mean", "std", "var"):
            continue  # with NaN: pandas raises (test_frame_sum_of_text_...)
        if col in ("flag", "name") and fn in ("min", "max"):
            continue  # object with NaN in pandas: its min raises TypeError
        g = getattr(df[col], fn)().compute()
        w = getattr(p[col], fn)()
        if isinstance(w, float):
            assert g == pytest.approx(w, rel=1e-9, nan_ok=True), (col, g, w)
        else:
            assert g == w, (col, g, w)
        assert type(g) == type(w) or (np.issubdtype(type(g), np.number)
                                      and np.issubdtype(type(w), np.number)), (col, type(g), type(w))


def test_std_var_of_infinities_and_overflow(client, tmp_path, bs):
    """std and var as pandas gives them where values are infinite (NaN:
    its deviations meet inf - inf) or where finite values' squared
    deviations overflow (inf), never 0: of a column, a frame, a groupby
    (both at every partition) and in describe.  Group A is plain, B holds
    an inf mid-way, C +-1e300 and 1, D a -inf first; column y has no
    infinity at all."""
    path = str(tmp_path / "inf.csv")
    with open(path, "w") as f:
        f.write("g,x,y\n")
        for i in range(400):
            g = "ABCD"[i % 4]
            x = {"A": f"{i % 7 + 0.5}", "B": "inf" if i == 201 else f"{i % 5}",
                 "C": ("1e300", "-1e300", "1")[i // 4 % 3],
                 "D": "-inf" if i == 3 else f"{i % 3}"}[g]
            f.write(f"{g},{x},{i % 11}\n")
    df, p = read(path, bs), pd.read_csv(path)
    for fn in ("std", "var"):
        for rows in ("ABCD", "A", "B", "C", "D", "AC"):
            sub, psub = df[df.g.isin(list(rows))], p[p.g.isin(list(rows))]
            got, want = getattr(sub.x, fn)().compute(), getattr(psub.x, fn)()
            assert got == pytest.approx(want, rel=1e-9, nan_ok=True), \
                (fn, rows, got, want)
        pdt.assert_series_equal(getattr(df, fn)(numeric_only=True).compute(),
                                getattr(p, fn)(numeric_only=True))
        pdt.assert_frame_equal(getattr(df.groupby("g"), fn)().compute(),
                               getattr(p.groupby("g"), fn)())
    pdt.assert_frame_equal(df.describe().compute(), p.describe())
    pdt.assert_frame_equal(df[df.g == "B"].describe().compute(),
                           p[p.g == "B"].describe())


def test_std_var_of_large_offsets_across_partitions(client, tmp_path, bs):
    """3000 values of 1e12 + 0..10 in up to ~50 partitions: std and var as
    pandas', to 1e-12, where merging partitions' rounded means had lost
    4e-7.  A column's, a frame's and describe's are pandas' nanvar, whose
    mean rounded to a double puts it 1e-10 off the exact answer; a
    groupby's is the exact one: pandas' groupby runs a mean rounded at
    every value (Welford), 1e-5 off it here, which no merge of partitions
    can reproduce."""
    import random
    from fractions import Fraction
    rnd = random.Random(4)
    path = str(tmp_path / "big.csv")
    with open(path, "w") as f:
        f.write("g,x\n")
        for i in range(3000):
            f.write(f"{'AB'[rnd.randint(0, 1)]},{10**12 + rnd.randint(0, 10)}\n")
    df, p = read(path, bs), pd.read_csv(path)
    for fn in ("std", "var"):
        assert getattr(df.x, fn)().compute() == \
            pytest.approx(getattr(p.x, fn)(), rel=1e-12)
        assert getattr(df, fn)(numeric_only=True).compute()["x"] == \
            pytest.approx(getattr(p, fn)(numeric_only=True)["x"], rel=1e-12)
    assert df.describe().compute().loc["std", "x"] == \
        pytest.approx(p.describe().loc["std", "x"], rel=1e-12)
    got = df.groupby("g").x.var().compute()
    pdt.assert_series_equal(got, p.groupby("g").x.var(), rtol=1e-4)
    for g, xs in p.groupby("g").x:
        v = [Fraction(int(x)) for x in xs]
        mean = sum(v) / len(v)
        exact = float(sum((x - mean) ** 2 for x in v) / (len(v) - 1))
        assert got[g] == pytest.approx(exact, rel=1e-12), g


def test_group_sums_of_infinities(client, tmp_path, bs):
    """pandas 1.5's groupby sum and mean are Kahan sums in file order: a
    group's infinity gives inf only as its last value; two infinities (of
    either sign) or one with a value after it give NaN.  The whole
    column's sum is numpy's (inf, or NaN for both signs).  Groups spread
    over partitions, so partials merge the rule by file position."""
    import random
    rnd = random.Random(11)
    path = tmp_path / "infs.csv"
    # k 0: one inf last; 1: one inf early; 2: inf and -inf; 3: finite;
    # 4: -inf last with nulls after; 5: two infs; 6: only nulls and inf
    last = {k: max(i for i in range(3000) if i % 7 == k) for k in range(7)}
    infs = {(0, last[0]): "inf", (1, 8): "inf", (2, 9): "-inf",
            (2, 2000): "inf", (4, last[4] - 21): "-inf", (5, 12): "inf",
            (5, last[5] - 7): "inf", (6, 1504): "inf"}
    rows = []
    for i in range(3000):
        k = i % 7
        x = infs.get((k, i), repr(rnd.uniform(-5, 5)))
        if (k == 4 and i > last[4] - 21) or (k == 6 and (k, i) not in infs):
            x = ""
        rows.append(f"{k},{x},{i % 3 == 0}\n")
    path.write_text("k,x,b\n" + "".join(rows))
    d = dd.read_csv(str(path), blocksize=bs) if bs else \
        dd.read_csv(str(path))
    p = pd.read_csv(path)
    for fn in ("sum", "mean"):
        pdt.assert_series_equal(getattr(d.groupby("k").x, fn)().compute(),
                                getattr(p.groupby("k").x, fn)())
        pdt.assert_frame_equal(
            getattr(d.groupby("b"), fn)().compute(),
            getattr(p.groupby("b"), fn)())
        pdt.assert_frame_equal(
            d.groupby("k").agg({"x": [fn, "count"]}).compute(),
            p.groupby("k").agg({"x": [fn, "count"]}))
    assert np.isnan(d.x.sum().compute()) and np.isnan(p.x.sum())
    for k in (0, 1, 4, 6):  # one infinity: numpy's sum, whatever its place
        got, want = d[d.k == k].x.sum().compute(), p[p.k == k].x.sum()
        assert np.isinf(want) and got == want


def test_reductions_of_nothing(client, data_dir):
    """No row left: pandas' sum and count are 0, the rest NaN."""
    path = str(data_dir / "mixed.csv")
    df = dd.read_csv(path).query("clean > 1000")
    p = pd.read_csv(path).query("clean > 1000")
    for fn in REDUCTIONS:
        g, w = getattr(df.y, fn)().compute(), getattr(p.y, fn)()
        assert (g == w) or (np.isnan(g) and np.isnan(w)), (fn, g, w)
    pdt.assert_series_equal(df[["x", "clean"]].sum().compute(),
                            p[["x", "clean"]].sum())


def test_frame_sum_of_text_columns(client, tmp_path, bs):
    """df.sum() as pandas 1.5's default (numeric_only=None) gives it: a
    text column without a missing value summed as its strings
    concatenated in file order (across every partition), one with a
    missing value left out with pandas' FutureWarning (and none when
    nothing is left out), no row or no string at all 0; a column's own
    sum of text the string; numeric_only=True the numbers alone."""
    path = str(tmp_path / "text.csv")
    rnd = np.random.default_rng(4)
    with open(path, "w") as f:
        f.write("k,x,name,tag\n")
        for i in range(3000):
            name = "" if i % 97 == 5 else f"n{rnd.integers(0, 50)}"
            f.write(f"k{i % 7},{rnd.integers(-9, 99)},{name},t{i % 3}\n")
    df = dd.read_csv(path, blocksize=bs) if bs else dd.read_csv(path)
    p = pd.read_csv(path)

    def both(f):
        with warnings.catch_warnings(record=True) as w1:
            warnings.simplefilter("always")
            got = f(df).compute()
        with warnings.catch_warnings(record=True) as w2:
            warnings.simplefilter("always")
            want = f(p)
        assert [(w.category, str(w.message)) for w in w1] == \
            [(w.category, str(w.message)) for w in w2]
        return got, want
    for f in (lambda d: d.sum(), lambda d: d[["k", "tag"]].sum(),
              lambda d: d[["name"]].sum(), lambda d: d[["x", "name"]].sum(),
              lambda d: d.query("x > 1000")[["x", "tag"]].sum(),
              lambda d: d.sum(numeric_only=True)):
        got, want = both(f)
        pdt.assert_series_equal(got, want)
    assert df.query("x == 7").tag.sum().compute() == \
        p.query("x == 7").tag.sum()


def test_frame_sum_of_text_is_bounded(client, tmp_path):
    """A text column whose strings concatenated pass 64 MiB is a clear
    error naming it, not a worker growing without bound; its numbers
    alone still sum."""
    path = str(tmp_path / "big_text.csv")
    line = "1," + "x" * 1000 + "\n"
    with open(path, "w") as f:
        f.write("n,s\n")
        for _ in range(68):
            f.write(line * 1000)  # 68,000 rows: about 68 MB of text
    df = dd.read_csv(path, blocksize="16MB")
    with pytest.raises((ValueError, dusk.TaskError),
                       match="sum of the text column 's': its strings "
                       "concatenated pass 64 MiB"):
        df.sum().compute()
    assert df.sum(numeric_only=True).compute()["n"] == 68000


def test_reductions_refuse_what_they_cannot(client, data_dir):
    df = dd.read_csv(str(data_dir / "mixed.csv"))
    with pytest.raises(NotImplementedError, match="axis=1"):
        df.sum(axis=1)
    with pytest.raises(NotImplementedError, match="skipna=False"):
        df.x.mean(skipna=False)
    with pytest.raises(NotImplementedError, match="ddof"):
        df.y.std(ddof=0)
    # pandas raises TypeError adding a missing value to a string
    with pytest.raises((TypeError, dusk.TaskError),
                       match="sum of the text column .name.: it "
                       "holds a missing value"):
        df.name.sum().compute()
    assert "x.sum()" in repr(df.x.sum())


# ---- derived columns ---------------------------------------------------------

def test_assign_derived_columns(client, data_dir, bs):
    """assign / df[name] = / eval: new and replaced columns, usable in
    filters, groupby keys and aggregates after, equal to pandas (an int
    expression over a column with nulls is float64, as pandas holds it)."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    got = df.assign(s=df.x + df.clean, r=df.clean % 7, half=df.y / 2,
                    pos=df.x > 0, one=1, tag="t", k=df.k * 10)
    want = p.assign(s=p.x + p.clean, r=p.clean % 7, half=p.y / 2,
                    pos=p.x > 0, one=1, tag="t", k=p.k * 10)
    pdt.assert_frame_equal(got.compute(), want)
    # A callable sees the frame so far.
    pdt.assert_frame_equal(
        df.assign(a=df.clean * 2, b=lambda d: d.a + 1).compute(),
        p.assign(a=p.clean * 2, b=lambda d: d.a + 1))
    # Used after: a filter, a key, aggregates.
    pdt.assert_frame_equal(got[got.r == 3].compute(), want[want.r == 3])
    # A text column replaced after a filter (the final's replay of the
    # assigns once read a freed list here: the sanitizer pass catches it)
    kept, pkept = df[df.x > 0], p[p.x > 0]
    pdt.assert_frame_equal(
        kept.assign(name=kept.k).compute(), pkept.assign(name=pkept.k))
    pdt.assert_series_equal(got.groupby("r")["s"].sum().compute(),
                            want.groupby("r")["s"].sum())
    pdt.assert_frame_equal(got.groupby("pos")[["half", "s"]].mean().compute(),
                           want.groupby("pos")[["half", "s"]].mean())
    pdt.assert_series_equal(got.s.max().compute() if False else
                            got[["s"]].max().compute(), want[["s"]].max())
    # df[name] = ... changes this frame, as in pandas and Dask.
    d2, p2 = read(path, bs), pd.read_csv(path)
    d2["clean"] = d2.clean - 50
    p2["clean"] = p2.clean - 50
    d2["neg"] = d2.clean < 0
    p2["neg"] = p2.clean < 0
    pdt.assert_frame_equal(d2.compute(), p2)
    pdt.assert_frame_equal(
        df.eval("w = clean * 3 + 1").query("w > 100").compute(),
        p.eval("w = clean * 3 + 1").query("w > 100"))


def test_floordiv_and_power(client, data_dir, bs):
    """// and ** as pandas computes them: floor division toward -inf, int
    powers int64 (float64 where the column has nulls), float powers;
    usable in filters and groupby keys; an int to a negative int power is
    refused as numpy refuses it."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    got = df.assign(a=df.clean // 7, b=df.y // 0.5, c=df.clean ** 2,
                    d=df.y ** 2, e=2 ** (df.clean % 5), f=df.x // -3,
                    g=df.x ** 3, h=df.clean ** 0.5, i=-2 ** 2)
    want = p.assign(a=p.clean // 7, b=p.y // 0.5, c=p.clean ** 2,
                    d=p.y ** 2, e=2 ** (p.clean % 5), f=p.x // -3,
                    g=p.x ** 3, h=p.clean ** 0.5, i=-2 ** 2)
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_frame_equal(df.eval("q = clean // 7 - x ** 2").compute(),
                           p.eval("q = clean // 7 - x ** 2",
                                  engine="python"))
    pdt.assert_frame_equal(df.query("clean // 10 == 3").compute(),
                           p.query("clean // 10 == 3", engine="python"))
    pdt.assert_series_equal(
        df.assign(d=df.clean // 25).groupby("d").size().compute(),
        p.assign(d=p.clean // 25).groupby("d").size())
    with pytest.raises(ValueError, match="negative integer powers"):
        df.assign(z=df.clean ** -1).compute()


def test_power_of_a_missing_value(client, data_dir, bs):
    """numpy's pow makes NaN ** 0 and 1 ** NaN 1.0, and a missing value
    is pandas' NaN (an int column holding one is float64): such rows are
    1.0, not missing - of int and float columns with nulls, literals and
    computed values - and count, sum and filter as 1."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)

    def powers(d):
        return d.assign(a=d.x ** 0, b=d.y ** 0, c=1 ** d.k, d=1.0 ** d.y,
                        e=d.x ** (d.clean % 2), f=d.k ** (d.x * 0),
                        g=(d.clean % 3 - 1) ** d.y, h=d.x ** d.y)
    pdt.assert_frame_equal(powers(df).compute(), powers(p))
    for col in ("a", "e", "f", "g"):
        assert powers(df)[col].count().compute() == powers(p)[col].count()
        assert powers(df)[col].sum().compute() == \
            pytest.approx(powers(p)[col].sum(), rel=1e-12)
    pdt.assert_frame_equal(df.query("x ** 0 == 1").compute(),
                           p.query("x ** 0 == 1", engine="python"))
    pdt.assert_frame_equal(df.eval("z = k ** (x * 0)").compute(),
                           p.eval("z = k ** (x * 0)", engine="python"))


def test_str_methods(client, data_dir, bs):
    """.str.startswith / endswith / contains with a literal pattern (null
    values left out of a filter, pandas' na=False) and .str.len() (UTF-8
    characters; NaN for nulls), in masks, query strings and assign, on
    text holding separators, quotes, newlines and non-ASCII letters."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    cases = [(df.name.str.startswith("blue"),
              p.name.str.startswith("blue", na=False)),
             (df.name.str.endswith("n"), p.name.str.endswith("n", na=False)),
             (df.name.str.contains(", d"),
              p.name.str.contains(", d", na=False)),
             (df.name.str.contains('"hi"', regex=False),
              p.name.str.contains('"hi"', regex=False, na=False)),
             (df.name.str.contains("\n", regex=False) & (df.x > 0),
              p.name.str.contains("\n", regex=False, na=False) & (p.x > 0))]
    for got, want in cases:
        pdt.assert_frame_equal(df[got].compute(), p[want])
    pdt.assert_frame_equal(
        df.query('name.str.startswith("ü") or name.str.len() > 9').compute(),
        p[p.name.str.startswith("ü", na=False) | (p.name.str.len() > 9)])
    pdt.assert_frame_equal(df.assign(n=df.name.str.len()).compute(),
                           p.assign(n=p.name.str.len()))
    # A text fill before the derivation leaves no null (int64 in pandas);
    # one after it does (float64); a fill of another column changes nothing.
    for fill_first in ({"name": "?"}, {"name": "?", "x": 0}, {"y": 0.5}):
        f, pf = df.fillna(fill_first), p.fillna(fill_first)
        got = f.assign(n=f.name.str.len()).compute()
        pdt.assert_frame_equal(got, pf.assign(n=pf.name.str.len()))
    pdt.assert_frame_equal(
        df.assign(n=df.name.str.len()).fillna({"name": "?"}).compute(),
        p.assign(n=p.name.str.len()).fillna({"name": "?"}))
    # derived text columns filled with text: int64 after, float64 before
    for f, pf in ((df, p), (df.assign(name=df.name.str.lower()),
                            p.assign(name=p.name.str.lower()))):
        g = f.assign(u=f.name.str.upper(), c=f.name).fillna({"u": "?"})
        pg = pf.assign(u=pf.name.str.upper(), c=pf.name).fillna({"u": "?"})
        pdt.assert_frame_equal(
            g.assign(lu=g.u.str.len(), lc=g.c.str.len()).compute(),
            pg.assign(lu=pg.u.str.len(), lc=pg.c.str.len()))
    pdt.assert_series_equal(
        df[df.name.str.contains("e")].groupby("k").size().compute(),
        p[p.name.str.contains("e", na=False)].groupby("k").size())
    with pytest.raises(TypeError, match="needs a text column"):
        df[df.x.str.startswith("1")].compute()


def test_str_text_methods(client, data_dir, bs, tmp_path):
    """The text-valued .str methods equal pandas': lower/upper with
    Python's Unicode mappings (ß to SS, İ to i̇, Cyrillic, Greek without a
    capital sigma), strip/lstrip/rstrip of Unicode whitespace or given
    characters, slice and .str[a:b] with negative bounds and steps; nulls
    stay null; usable in filters, group keys and further .str calls.  A
    capital sigma in lower() is refused, naming the value."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)

    def derive(f):
        n = f.name.str
        return f.assign(lo=n.lower(), up=n.upper(), st=n.strip(),
                        ls=n.lstrip("rgb"), rs=n.rstrip("ned"),
                        sl=n.slice(1, -1), rv=n.slice(None, None, -1),
                        s2=n.slice(step=2), gi=n[:2], neg=n[-3:],
                        back=n.slice(-1, 0, -2))
    pdt.assert_frame_equal(derive(df).compute(), derive(p))
    pdt.assert_series_equal(
        df.assign(u=df.name.str.upper()).groupby("u").size().compute(),
        p.assign(u=p.name.str.upper()).groupby("u").size())
    pdt.assert_frame_equal(
        df[df.name.str.upper().str.startswith("GR")].compute(),
        p[p.name.str.upper().str.startswith("GR", na=False)])
    pdt.assert_frame_equal(
        df.query('name.str.strip("r").str.len() == 3').compute(),
        p[p.name.str.strip("r").str.len() == 3])
    u = tmp_path / "unicode.csv"
    u.write_text("k,t\n1,  Straße \n2,ÜBER\n3,\n4,\"x,İy\"\n"
                 "5,\u00a0\u2003ǅemo\u3000\n6,ŉ ﬃ ǰ\n7,Привет Мир\n"
                 "8,ἀλφα ᾳ\n9,\x1c\tab\x1f\n", encoding="utf-8")
    ud, up = read(str(u), bs), pd.read_csv(str(u))
    pdt.assert_frame_equal(derive_text(ud).compute(), derive_text(up))
    sig = tmp_path / "sigma.csv"
    sig.write_text("t\nok\nΟΔΟΣ\n", encoding="utf-8")
    sd = dd.read_csv(str(sig))
    with pytest.raises(NotImplementedError,
                       match="'ΟΔΟΣ' holds a capital sigma"):
        sd.assign(x=sd.t.str.lower()).compute()
    pdt.assert_frame_equal(sd.assign(x=sd.t.str.upper()).compute(),
                           pd.read_csv(str(sig)).assign(
                               x=lambda f: f.t.str.upper()))
    with pytest.raises(ValueError, match="step cannot be zero"):
        df.name.str.slice(step=0)
    with pytest.raises(NotImplementedError, match=r"\.str\[i\]"):
        df.name.str[0]


def test_str_case_all_of_unicode(client, tmp_path):
    """lower() and upper() of every Unicode character (surrogates, C0
    controls and the CSV's own separators aside; the capital sigma, which
    lower() refuses, apart) equal Python's, through pandas."""
    chars = [chr(c) for c in range(0x20, 0x110000)
             if not 0xD800 <= c < 0xE000 and chr(c) not in ',"\x7f\u03a3'
             and chr(c) not in "\x85\u2028\u2029"]
    path = tmp_path / "unicode_all.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("t\n")
        for i in range(0, len(chars), 700):
            f.write("<" + "".join(chars[i:i + 700]) + ">\n")
    df, p = dd.read_csv(str(path)), pd.read_csv(str(path))
    assert len(p) == (len(chars) + 699) // 700
    got = df.assign(lo=df.t.str.lower(), up=df.t.str.upper()).compute()
    pdt.assert_frame_equal(got, p.assign(lo=p.t.str.lower(),
                                         up=p.t.str.upper()))


def derive_text(f):
    t = f.t.str
    return f.assign(lo=t.lower(), up=t.upper(), st=t.strip(),
                    ls=t.lstrip(), rs=t.rstrip(), s=t.slice(1, 4),
                    rv=t[::-1])


def test_str_regular_expressions(client, data_dir, bs):
    """.str.contains (regex=True, pandas' default), .str.match and
    .str.fullmatch with Python's re dialect: classes, anchors, \\d and \\w
    over non-ASCII letters, alternation, lazy quantifiers, look-arounds,
    named groups, \\Z, newlines inside values, case=False and
    flags=re.IGNORECASE, literal case-insensitive search; a bad pattern is
    a ValueError naming it."""
    import re
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    pats = ["^b.*k$", "r(e|ee)n", "\\w{3}$", "^[^,]+$", "\\s", "e.*?e",
            "(?<=t)w", "(?P<x>e)(?P=x)", "s\\Z", "^two$", "\\bdark",
            "[ü]n", "^$", "\\d"]
    for pat in pats:
        for got, want in (
                (df.name.str.contains(pat), p.name.str.contains(pat,
                                                                na=False)),
                (df.name.str.match(pat), p.name.str.match(pat, na=False)),
                (df.name.str.fullmatch(pat),
                 p.name.str.fullmatch(pat, na=False))):
            pdt.assert_frame_equal(df[got].compute(), p[want], obj=pat)
    for got, want in (
            (df.name.str.contains("RED|Blue", case=False),
             p.name.str.contains("RED|Blue", case=False, na=False)),
            (df.name.str.contains("GREEN", flags=re.IGNORECASE),
             p.name.str.contains("GREEN", flags=re.IGNORECASE, na=False)),
            (df.name.str.contains("SAY \"", case=False, regex=False),
             p.name.str.contains('SAY "', case=False, regex=False,
                                 na=False)),
            (df.name.str.match(re.compile("ÜN", re.IGNORECASE)),
             p.name.str.match(re.compile("ÜN", re.IGNORECASE), na=False)),
            (df.name.str.contains("^lines$", flags=re.M),
             p.name.str.contains("^lines$", flags=re.M, na=False)),
            (df.name.str.contains(re.compile("o.l", re.S)),
             p.name.str.contains(re.compile("o.l", re.S), na=False)),
            (df.name.str.fullmatch("r e d  # a colour", flags=re.X | re.I),
             p.name.str.fullmatch("r e d  # a colour", flags=re.X | re.I,
                                  na=False)),
            (df.name.str.contains("o\nl", regex=False, flags=re.S),
             p.name.str.contains("o\nl", regex=False, flags=re.S,
                                 na=False)),
            (df.name.str.contains("red", regex=False, flags=re.I),
             p.name.str.contains("red", regex=False, flags=re.I,
                                 na=False)),
            (df.name.str.fullmatch("a{,}|b{,2}lue.*|[[:]+"),
             p.name.str.fullmatch("a{,}|b{,2}lue.*|[[:]+", na=False))):
        assert want.sum() > 0  # each case selects rows
        pdt.assert_frame_equal(df[got].compute(), p[want])
    pdt.assert_frame_equal(
        df.query('name.str.contains("^(red|green)$") and x > 0').compute(),
        p.query('name.str.contains("^(red|green)$", na=False) and x > 0'))
    pdt.assert_series_equal(
        df[df.name.str.fullmatch("[a-z]+")].groupby("k").size().compute(),
        p[p.name.str.fullmatch("[a-z]+", na=False)].groupby("k").size())
    with pytest.raises(ValueError, match="regular expression 'a\\('"):
        df[df.name.str.contains("a(")].compute()
    with pytest.raises(NotImplementedError, match="flags re.ASCII"):
        df.name.str.contains("a", flags=re.A)


def test_str_na_fills_missing_values(client, data_dir, bs, tmp_path):
    """na= of the .str tests, as pandas: None (the default) keeps a
    missing value's NaN (an object column), True and False stand in for
    it (a bool column) in values, reductions, groupby keys and filters."""
    import re
    (tmp_path / "s.csv").write_text("s,v\napple,1\n,2\nkiwi,3\nbanana,4\n")
    small = str(tmp_path / "s.csv")
    d, p = read(small, bs), pd.read_csv(small)
    got = d.s.str.contains("a", na=False).compute()
    pdt.assert_series_equal(got, p.s.str.contains("a", na=False))
    assert got.tolist() == [True, False, False, True]
    assert d.s.str.contains("a", na=False).mean().compute() == 0.5
    pdt.assert_series_equal(
        d.groupby(d.s.str.startswith("a", na=False)).v.sum().compute(),
        p.groupby(p.s.str.startswith("a", na=False)).v.sum())
    pdt.assert_series_equal(d.s.str.contains("a").compute(),
                            p.s.str.contains("a"))  # NaN: object
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    for name, args, kw in (("contains", ("e",), {}),
                           ("contains", ("E",), {"case": False}),
                           ("contains", (", d",), {"regex": False}),
                           ("startswith", ("b",), {}),
                           ("endswith", ("n",), {}),
                           ("match", ("[a-z]+",), {}),
                           ("fullmatch", ("RED",), {"flags": re.I})):
        for na in (True, False, np.bool_(False), None, float("nan")):
            got = getattr(df.name.str, name)(*args, na=na, **kw)
            want = getattr(p.name.str, name)(*args, na=na, **kw)
            what = f"{name}{args} na={na!r}"
            pdt.assert_series_equal(got.compute(), want, obj=what)
            if na is None or na != na:
                continue
            pdt.assert_frame_equal(df[got].compute(), p[want], obj=what)
            pdt.assert_frame_equal(df[~got].compute(), p[~want], obj=what)
            assert got.sum().compute() == want.sum(), what
            pdt.assert_series_equal(df.groupby(got).x.sum().compute(),
                                    p.groupby(want).x.sum(), obj=what)
    low = df.name.str.upper().str.contains("E", na=True)
    pdt.assert_series_equal(
        low.compute(), p.name.str.upper().str.contains("E", na=True))
    with pytest.raises(NotImplementedError, match="na='x'"):
        df.name.str.contains("e", na="x")


def test_round(client, data_dir, bs):
    """round(decimals) as numpy rounds (half to even, negative decimals
    too), on float and int columns with nulls, in assign and filters."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    cols = ["r2", "r0", "rn", "xi", "xn", "rb"]
    got = df.assign(r2=df.y.round(2), r0=df.y.round(), rn=(df.y * 1000)
                    .round(-2), xi=df.x.round(1), xn=df.x.round(-1),
                    rb=round(df.clean / 2)).compute()
    want = p.assign(r2=p.y.round(2), r0=p.y.round(), rn=(p.y * 1000)
                    .round(-2), xi=p.x.round(1), xn=p.x.round(-1),
                    rb=round(p.clean / 2))
    pdt.assert_frame_equal(got[cols], want[cols], check_exact=True)
    pdt.assert_frame_equal(df[df.y.round(1) == 2.5].compute(),
                           p[p.y.round(1) == 2.5])
    with pytest.raises(ValueError, match="decimals"):
        df.y.round(1.5)


def test_astype_and_clip(client, data_dir, bs):
    """astype(float / int) and clip(lower, upper) as pandas gives them,
    and astype(int) of a column with NaN refused as pandas refuses it."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    got = df.assign(a=df.clean.astype(float), b=(df.clean * 2.7).astype(int),
                    c=df.y.clip(-2.5, 3), d=df.clean.clip(upper=50),
                    e=df.clean.clip(10, 20.5), f=df.x.clip(lower=0))
    want = p.assign(a=p.clean.astype(float), b=(p.clean * 2.7).astype(int),
                    c=p.y.clip(-2.5, 3), d=p.clean.clip(upper=50),
                    e=p.clean.clip(10, 20.5), f=p.x.clip(lower=0))
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_frame_equal(df.query("y.clip(0, 1) == 1").compute(),
                           p[p.y.clip(0, 1) == 1])
    for inc in ("both", "neither", "left", "right"):
        pdt.assert_frame_equal(
            df[df.clean.between(10, 20, inclusive=inc)].compute(),
            p[p.clean.between(10, 20, inclusive=inc)])
    pdt.assert_frame_equal(df.assign(a=(df.y - 1).abs()).compute(),
                           p.assign(a=(p.y - 1).abs()))
    with pytest.raises(ValueError, match="cannot be an int64"):
        df.assign(z=df.y.astype(int)).compute()
    with pytest.raises(NotImplementedError, match="float64 and int64"):
        df.y.astype("category")


def test_assign_errors(client, data_dir):
    df = dd.read_csv(str(data_dir / "mixed.csv"))
    other = dd.read_csv(str(data_dir / "mixed.csv"))
    with pytest.raises(KeyError, match="unknown column .*cleen.*did you mean"):
        df.eval("z = cleen + 1").compute()
    with pytest.raises(NotImplementedError, match="another frame"):
        df.assign(z=other.clean)
    with pytest.raises(NotImplementedError, match="bare expression"):
        df.eval("clean + 1")
    with pytest.raises(ValueError):
        df.eval("z = clean +").compute()
    with pytest.raises((TypeError, ValueError), match="name"):
        df.assign(z=df.name * 2).compute()


# ---- datetimes --------------------------------------------------------------

DATES = ["start", "end", "day"]


def test_dt_date_and_expression_keys(client, data_dir, bs):
    """.dt.date is pandas' object column of datetime.date (NaT kept),
    as a value, a group key (also straight from the expression:
    groupby(df.start.dt.date)), value_counts' values, first/last by group;
    groupby by any expression names its level after the column it reads
    and leaves it out with as_index=False, as pandas does; comparing a
    date with text is refused (pandas finds no date equal to text), and
    so are min/max of dates (pandas fails on NaT there)."""
    path = str(data_dir / "dates.csv")
    df = dd.read_csv(path, blocksize=bs, parse_dates=DATES) if bs else \
        dd.read_csv(path, parse_dates=DATES)
    p = pd.read_csv(path, parse_dates=DATES)
    got = df.assign(d=df.start.dt.date, e=df.end.dt.date)
    want = p.assign(d=p.start.dt.date, e=p.end.dt.date)
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_series_equal(got.groupby("d").size().compute(),
                            want.groupby("d").size())
    pdt.assert_series_equal(got.d.value_counts().compute(),
                            want.d.value_counts())
    pdt.assert_frame_equal(
        got.groupby("k").agg({"e": ["first", "last"]}).compute(),
        want.groupby("k").agg({"e": ["first", "last"]}))
    pdt.assert_frame_equal(
        df.groupby([df.start.dt.date, "k"]).agg(n=("note", "count"))
        .compute(),
        p.groupby([p.start.dt.date, "k"]).agg(n=("note", "count")))
    pdt.assert_series_equal(
        df.groupby(df.end.dt.hour).size().sort_values(ascending=False)
        .head(3),
        p.groupby(p.end.dt.hour).size().sort_values(ascending=False,
).head(3))
    pdt.assert_frame_equal(
        df.groupby([df.start.dt.dayofweek, "k"], as_index=False)
        .agg({"end": "max"}).compute(),
        p.groupby([p.start.dt.dayofweek, "k"], as_index=False)
        .agg({"end": "max"}))
    pdt.assert_series_equal(
        df.groupby((df.end - df.start).dt.total_seconds() // 3600).size()
        .compute(),
        p.groupby((p.end - p.start).dt.total_seconds() // 3600).size())
    with pytest.raises(TypeError, match="compares with another"):
        got[got.d == "2021-03-01"].compute()
    # datetime.date values compare with dates, as in pandas (in a mask,
    # isin, query's @name); a datetime against a date is refused where
    # pandas finds none equal (and refuses < and >)
    import datetime as _dt
    day = want.d.dropna().iloc[len(want) // 2]
    assert isinstance(day, _dt.date)
    for op in ("==", ">=", "<", "!="):
        pdt.assert_frame_equal(eval(f"got[got.d {op} day]").compute(),
                               eval(f"want[want.d {op} day]"))
    pdt.assert_frame_equal(got[got.d.isin([day])].compute(),
                           want[want.d.isin([day])])
    pdt.assert_frame_equal(got.query("d == @day").compute(),
                           want.query("d == @day"))
    pdt.assert_frame_equal(got.assign(x=day).compute(), want.assign(x=day))
    with pytest.raises(TypeError, match="cannot compare datetime64"):
        got[got.start == day].compute()
    # nunique of a derived (date) column; min/max of dates refused (pandas
    # fails on NaT there); keys: a column as a Series is its name, several
    # expressions at once, size() keeps an expression key
    pdt.assert_series_equal(got.groupby("k").d.nunique().compute(),
                            want.groupby("k").d.nunique())
    # dates stay objects when only NaT is left; a missing date key is NaN
    pdt.assert_frame_equal(got[got.d.isnull()].compute(),
                           want[want.d.isnull()])
    pdt.assert_series_equal(
        got.groupby(["d", "k"], dropna=False).size().compute(),
        want.groupby(["d", "k"], dropna=False).size())
    pdt.assert_series_equal(got.groupby("e", dropna=False).size().compute(),
                            want.groupby("e", dropna=False).size())
    with pytest.raises(TypeError, match="max of the date column 'd'"):
        got.groupby("k").d.max().compute()
    pdt.assert_frame_equal(df.groupby(df.k).agg({"end": "max"}).compute(),
                           p.groupby(p.k).agg({"end": "max"}))
    pdt.assert_series_equal(
        df.groupby([df.start.dt.date, df.k % 2]).size().compute(),
        p.groupby([p.start.dt.date, p.k % 2]).size())
    pdt.assert_frame_equal(
        df.groupby(df.end.dt.hour, as_index=False).size().compute(),
        p.groupby(p.end.dt.hour, as_index=False).size())
    pdt.assert_frame_equal(got[got.d == got.e].compute(),
                           want[want.d == want.e])


def test_parse_dates_and_dt(client, data_dir, bs):
    """read_csv(parse_dates=) gives datetime64[ns] columns (NaT for empty
    fields); .dt fields, datetime - datetime timedeltas and total_seconds,
    comparisons with date strings and Timestamps, min/max and groupby on
    datetimes and their parts: all equal to pandas."""
    path = str(data_dir / "dates.csv")
    df = read(path, bs) if bs is None else dd.read_csv(path, blocksize=bs,
                                                        parse_dates=DATES)
    if bs is None:
        df = dd.read_csv(path, parse_dates=DATES)
    p = pd.read_csv(path, parse_dates=DATES)
    pdt.assert_series_equal(df.dtypes, p.dtypes)
    pdt.assert_frame_equal(df.compute(), p)
    got = df.assign(hour=df.start.dt.hour, dow=df.start.dt.dayofweek,
                    y=df.day.dt.year, doy=df.start.dt.dayofyear,
                    trip=df.end - df.start,
                    secs=(df.end - df.start).dt.total_seconds())
    want = p.assign(hour=p.start.dt.hour, dow=p.start.dt.dayofweek,
                    y=p.day.dt.year, doy=p.start.dt.dayofyear,
                    trip=p.end - p.start,
                    secs=(p.end - p.start).dt.total_seconds())
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_series_equal(got.groupby("hour").size().compute(),
                            want.groupby("hour").size())
    pdt.assert_frame_equal(got.groupby("k")[["start", "trip"]].max().compute(),
                           want.groupby("k")[["start", "trip"]].max())
    pdt.assert_series_equal(got.groupby("dow").secs.mean().compute(),
                            want.groupby("dow").secs.mean())
    pdt.assert_frame_equal(df[df.start >= "2021-03-01"].compute(),
                           p[p.start >= "2021-03-01"])
    pdt.assert_frame_equal(
        df[(df.end < pd.Timestamp("2021-02-28 12:00")) | df.day.isnull()]
        .compute(),
        p[(p.end < pd.Timestamp("2021-02-28 12:00")) | p.day.isnull()])
    pdt.assert_frame_equal(df.query("day == '2021-02-28'").compute(),
                           p.query("day == '2021-02-28'"))
    assert df.start.min().compute() == p.start.min()
    assert got.trip.max().compute() == want.trip.max()
    pdt.assert_series_equal(df.day.value_counts().compute().sort_index(),
                            p.day.value_counts().sort_index())
    # Quantiles of datetimes and timedeltas: interpolated on nanoseconds as
    # pandas does (through float64), NaT-free.
    for q in (0.5, [0.1, 1 / 3, 0.5, 0.95]):
        w = p.start.quantile(q)
        g = df.start.quantile(q).compute()
        if isinstance(w, pd.Series):
            pdt.assert_series_equal(g, w)
        else:
            assert g == w
    pdt.assert_series_equal(got.trip.quantile([0.25, 0.6]).compute(),
                            want.trip.quantile([0.25, 0.6]))
    assert got.trip.median().compute() == want.trip.median()


def test_time_differences_past_int64_raise(client, tmp_path):
    """A datetime difference or a timedelta sum past int64 nanoseconds is
    pandas' OverflowError, never a wrapped value; one within range and the
    rows beside it still compute."""
    path = tmp_path / "far.csv"
    path.write_text("a,b\n2200-01-01,1700-01-01\n2000-01-01,1999-01-01\n"
                    "2200-01-01,2010-01-01\n")
    df = dd.read_csv(str(path), parse_dates=["a", "b"])
    p = pd.read_csv(str(path), parse_dates=["a", "b"])
    with pytest.raises(OverflowError):
        p.a - p.b
    with pytest.raises((OverflowError, dusk.TaskError),
                       match="past int64 nanoseconds"):
        (df.a - df.b).compute()
    # 190 years fit; twice that does not (a timedelta sum).
    near, pnear = df[df.b > "1900-01-01"], p[p.b > "1900-01-01"]
    pdt.assert_series_equal((near.a - near.b).compute(), pnear.a - pnear.b)
    with pytest.raises(OverflowError):
        (pnear.a - pnear.b) + (pnear.a - pnear.b)
    with pytest.raises((OverflowError, dusk.TaskError),
                       match="past int64 nanoseconds"):
        ((near.a - near.b) + (near.a - near.b)).compute()


def test_timedelta_sums_and_means(client, data_dir, bs):
    """A timedelta column's sum and mean are timedeltas, as pandas gives
    them: the frame's and by group, alone and in agg lists, over groups of
    NaT only (sum 0 days, mean NaT), and of negative durations (the mean
    truncated toward zero, as pandas casts its float mean back)."""
    path = str(data_dir / "dates.csv")
    df = dd.read_csv(path, blocksize=bs, parse_dates=DATES) if bs else \
        dd.read_csv(path, parse_dates=DATES)
    p = pd.read_csv(path, parse_dates=DATES)
    df = df.assign(dur=df.end - df.start, back=df.start - df.end)
    p = p.assign(dur=p.end - p.start, back=p.start - p.end)
    for col in ("dur", "back"):
        assert df[col].sum().compute() == p[col].sum()
        assert df[col].mean().compute() == p[col].mean()
        pdt.assert_series_equal(df.groupby("k")[col].sum().compute(),
                                p.groupby("k")[col].sum())
        pdt.assert_series_equal(df.groupby("k")[col].mean().compute(),
                                p.groupby("k")[col].mean())
    pdt.assert_frame_equal(
        df.groupby("k").agg({"dur": ["sum", "mean"], "back": "mean"})
        .compute(),
        p.groupby("k").agg({"dur": ["sum", "mean"], "back": "mean"}))
    pdt.assert_frame_equal(
        df.groupby("k").agg(total=("dur", "sum"), avg=("back", "mean"))
        .compute(),
        p.groupby("k").agg(total=("dur", "sum"), avg=("back", "mean")))
    # Groups whose durations are all NaT.
    nat, pnat = df[df.end.isnull()], p[p.end.isnull()]
    pdt.assert_series_equal(nat.groupby("k").dur.sum().compute(),
                            pnat.groupby("k").dur.sum())
    pdt.assert_series_equal(nat.groupby("k").dur.mean().compute(),
                            pnat.groupby("k").dur.mean())
    assert nat.dur.sum().compute() == pnat.dur.sum()
    assert pd.isna(nat.dur.mean().compute()) and pd.isna(pnat.dur.mean())
    # Every-column aggregates leave timedeltas out, as pandas 1.5 does.
    pdt.assert_frame_equal(
        df.assign(one=1)[["k", "dur", "one"]].groupby("k").sum().compute(),
        p.assign(one=1)[["k", "dur", "one"]].groupby("k").sum())
    # A whole frame's sum, mean and median take them (datetimes left out,
    # and text but for the sum, which concatenates a text column without
    # a missing value).
    untext = p[[c for c in p.columns if p[c].dtype.kind != "O"]]
    for fn in ("sum", "mean", "median"):  # (text: README, reductions)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            got = getattr(df, fn)().compute()
            want = getattr(p if fn == "sum" else untext, fn)()
        assert list(got.index) == list(want.index), fn
        assert list(got.values) == list(want.values), fn


def test_timedelta_describe_and_time_std(client, data_dir, bs):
    """describe() of a timedelta column (alone, beside number columns,
    all NaT, a single value): pandas' object column, the count an int and
    the rest Timedeltas to the nanosecond (std truncated as pandas casts
    it back; NaT of one value).  std() of datetimes and timedeltas is a
    Timedelta, a frame's an object Series; var() of them is refused as
    pandas refuses it, and a frame's var leaves them out."""
    path = str(data_dir / "dates.csv")
    df = dd.read_csv(path, blocksize=bs, parse_dates=DATES) if bs else \
        dd.read_csv(path, parse_dates=DATES)
    p = pd.read_csv(path, parse_dates=DATES)
    df = df.assign(dur=df.end - df.start, back=df.start - df.end)
    p = p.assign(dur=p.end - p.start, back=p.start - p.end)
    one = p.start.iloc[0]  # a single row: its std is NaT
    assert (p.start == one).sum() == 1
    for d, w in ((df, p), (df[df.end.isnull()], p[p.end.isnull()]),
                 (df[df.start == one], p[p.start == one])):
        pdt.assert_frame_equal(d.describe().compute(), w.describe())
        for col in ("dur", "back"):
            pdt.assert_series_equal(d[col].describe().compute(),
                                    w[col].describe())
    pdt.assert_frame_equal(df.describe(percentiles=[0.1, 0.9]).compute(),
                           p.describe(percentiles=[0.1, 0.9]))
    pdt.assert_frame_equal(df[["note", "dur"]].describe().compute(),
                           p[["note", "dur"]].describe())
    for col in ("dur", "back"):
        assert df[col].std().compute() == p[col].std(), col
    pdt.assert_series_equal(df[["k", "dur", "back"]].std().compute(),
                            p[["k", "dur", "back"]].std())
    # A datetime's nanoseconds pass 2^53: pandas' float std of them holds
    # its own rounding (its pairwise sums' order), which dusk's equals to
    # the last bit or two (README).
    got, want = df[["k", "start"]].std().compute(), p[["k", "start"]].std()
    assert got.dtype == want.dtype == object
    assert got.k == pytest.approx(want.k, rel=1e-12)
    for g, w in ((got.start, want.start),
                 (df.start.std().compute(), p.start.std())):
        assert isinstance(g, pd.Timedelta)
        assert abs(g.value - w.value) <= w.value * 2.0 ** -50, (g, w)
    pdt.assert_series_equal(df[["k", "dur"]].var().compute(),
                            p[["k", "dur"]].var(numeric_only=True))
    for col in ("dur", "start"):
        with pytest.raises(TypeError, match=f"var: cannot var the .* column "
                           f"'{col}' .*pandas refuses it too"):
            df[col].var().compute()
    # A std past int64 nanoseconds: pandas' "overflow in timedelta
    # operation", in describe too.
    big = data_dir / "big_timedelta.csv"
    big.write_text("t,u\n1970-01-01,2250-01-01\n2250-01-01,1970-01-01\n")
    b = dd.read_csv(str(big), parse_dates=["t", "u"])
    b = b.assign(d=b.u - b.t)
    pb = pd.read_csv(str(big), parse_dates=["t", "u"])
    pb = pb.assign(d=pb.u - pb.t)
    for what in (lambda x: x.d.std(), lambda x: x.d.describe()):
        with pytest.raises(ValueError, match="overflow in timedelta"):
            what(pb)
        with pytest.raises((TypeError, dusk.TaskError),
                           match="'d'.*overflow in timedelta operation"):
            what(b).compute()
    # A whole frame's std is NaT there instead: pandas checks a scalar
    # result only, and its frame's float array casts to NaT.
    with np.errstate(invalid="ignore"):  # pandas' own cast to NaT
        want_d, want_all = pb[["d"]].std(), pb.std()
    pdt.assert_series_equal(b[["d"]].std().compute(), want_d)
    pdt.assert_series_equal(b.std().compute(), want_all)


def test_datetime_literals(client, data_dir, bs):
    """Comparisons with partial date strings read as pandas'
    Timestamp(text) reads them ("2021-03" is March 1st), Timestamps and
    datetimes as values (a datetime column minus one is a timedelta),
    Timedeltas and timedelta strings against timedelta columns, and a
    timedelta scaled by a number: all equal to pandas, NaT and empty
    fields included."""
    import datetime
    path = str(data_dir / "dates.csv")
    df = dd.read_csv(path, blocksize=bs, parse_dates=DATES) if bs else \
        dd.read_csv(path, parse_dates=DATES)
    p = pd.read_csv(path, parse_dates=DATES)
    df = df.assign(dur=df.end - df.start)
    p = p.assign(dur=p.end - p.start)

    def same(f):
        pdt.assert_frame_equal(f(df).compute(), f(p))

    for lit in ("2021", "2021-03", "2021-3", "2021-02-28", "20210228",
                "2021-02-28 10", "2021-02-28T10", "2021-02-28 10:00",
                "2021-02-28T10:00:00.5", " 2021-02-28 23:09:41 ",
                # dateutil's spellings, month first
                "Feb 28 2021", "February 28, 2021 10:30 PM", "28-Feb-2021",
                "02/28/2021 10:00 AM", "2021/03/01", "Mar 2021"):
        same(lambda d: d[d.start >= lit])
        same(lambda d: d[d.day < lit])
        same(lambda d: d.query(f"end != '{lit}'"))
        same(lambda d: d.query(f"'{lit}' <= start"))
    # forms dusk does not read (a two-digit year, a weekday) are refused
    # naming the literal and the forms it reads
    for lit in ("12/31/21", "Sunday, Feb 28 2021"):
        with pytest.raises(TypeError, match=f"'{lit}' is not a date-time "
                           "dusk reads.*'Apr 15 2021'"):
            df[df.start >= lit].compute()
    for ts in (pd.Timestamp("2021-03-01 10:00:00.5"),
               pd.Timestamp("2021-02-28 12:00:00.000000001"),
               datetime.datetime(2021, 3, 1, 10), np.datetime64("2021-03-01")):
        same(lambda d: d[d.start > ts])
        same(lambda d: d.assign(a=d.start - ts, b=ts - d.end,
                                c=d.start.where(d.k > 2, ts)))
    for td in (pd.Timedelta(minutes=5), datetime.timedelta(seconds=90),
               pd.Timedelta("-1 days +23:59:59.999999999"),
               np.timedelta64(1500, "ms")):
        same(lambda d: d[d.dur > td])
        same(lambda d: d.assign(a=d.start + td, b=d.end - td, c=d.dur - td,
                                e=d.dur / td))
        # (pandas' own query fails there: numexpr has no timedelta)
        pdt.assert_frame_equal(
            df.query("dur <= @td", local_dict={"td": td}).compute(),
            p[p.dur <= td])
    for lit in ("00:05:00", "5min", "1h30m", "0.5 hours", "1 days 00:00:01",
                "90 s"):
        same(lambda d: d[d.dur > lit])
    # NaT: pandas' masks find it equal to nothing (!= everything), its
    # query() and eval() read 'NaT' == as isnull: each answered as pandas
    for lit in ("NaT", "", "nat", pd.NaT, np.datetime64("NaT"),
                np.timedelta64("NaT")):
        for op in ("==", "!=", "<", ">="):
            for col in ("start", "dur"):
                mask = lambda d: d[eval(f"d.{col} {op} lit",
                                        {"d": d, "lit": lit})]
                if op in ("<", ">=") and isinstance(
                        lit, (np.datetime64, np.timedelta64)) and \
                        isinstance(lit, np.datetime64) == (col == "dur"):
                    # a NaT of the other kind, ordered: pandas refuses
                    with pytest.raises(TypeError):
                        mask(p)
                    with pytest.raises(TypeError):
                        mask(df).compute()
                    continue
                same(mask)
    def same_query(q):  # pandas' numexpr has no timedelta: its python
        pdt.assert_frame_equal(df.query(q).compute(),
                               p.query(q, engine="python"))

    for lit in ("NaT", "", "NAN"):
        for op in ("==", "!=", "<", ">="):
            same_query(f"start {op} '{lit}'")
            same_query(f"dur {op} '{lit}'")
        same(lambda d: d.eval(f"x = (end - start) != '{lit}'"))
        same_query(f"start == '{lit}' or dur > '{lit}'")
    for k in (2, -3, 1.5, -0.3, 0, 0.0):
        same(lambda d: d.assign(a=d.dur * k, b=k * d.dur, c=d.dur / k,
                                e=d.dur // k))
    same(lambda d: d.assign(a=d.dur * d.k, b=d.dur / d.k))


def test_to_datetime(client, data_dir, bs, tmp_path):
    """dd.to_datetime of text columns holding ISO date-times: pandas'
    values (NaT for empty), usable with .dt, in filters and group keys;
    a value that is no date-time is an error naming it, or NaT with
    errors="coerce"."""
    path = str(data_dir / "dates.csv")
    df = dd.read_csv(path, blocksize=bs) if bs else dd.read_csv(path)
    p = pd.read_csv(path)
    got = df.assign(s=dd.to_datetime(df.start), e=dd.to_datetime(df.end))
    want = p.assign(s=pd.to_datetime(p.start), e=pd.to_datetime(p.end))
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_series_equal(
        got.assign(h=got.s.dt.hour).groupby("h").size().compute(),
        want.assign(h=want.s.dt.hour).groupby("h").size())
    pdt.assert_frame_equal(
        df[dd.to_datetime(df.day) >= "2021-03-01"].compute(),
        p[pd.to_datetime(p.day) >= "2021-03-01"])
    bad = tmp_path / "bad.csv"
    bad.write_text("t,v\n2021-01-01 10:00:00,1\nsoon,2\n,3\n")
    b, pb = dd.read_csv(str(bad)), pd.read_csv(str(bad))
    with pytest.raises(ValueError, match="'soon' is not an ISO date-time"):
        b.assign(x=dd.to_datetime(b.t)).compute()
    pdt.assert_frame_equal(
        b.assign(x=dd.to_datetime(b.t, errors="coerce")).compute(),
        pb.assign(x=pd.to_datetime(pb.t, errors="coerce")))
    # pandas reads other forms (and offsets, as tz-aware) where dusk reads
    # ISO only: coerce refuses them rather than answer NaT.
    for other in ("2021/01/05", "2021-01-05T10:00:00Z", "5 Jan 2021",
                  "today", "\uff12\uff10\uff12\uff11-\uff10\uff11-"
                  "\uff10\uff15"):
        o = tmp_path / "other.csv"
        o.write_text(f"t,v\n2021-01-01 10:00:00,1\nn/a,2\n{other},3\n")
        assert not pd.isna(pd.to_datetime(pd.read_csv(str(o)).t,
                                          errors="coerce")[2])
        ob = dd.read_csv(str(o))
        with pytest.raises(ValueError, match=f"'{other}' is not an ISO"):
            ob.assign(x=dd.to_datetime(ob.t, errors="coerce")).compute()


# Values pandas' parse_dates reads as date-times and dusk's datetime
# columns do not (ISO only, no time zone): other spellings, the ends of
# datetime64[ns], NaT, and ISO date-times with a time zone (tz-aware).
PANDAS_DATES = ["2021/01/05", "Jan 5 2021", "04/15/2021 6:00 PM", "2021-1-5",
                "20210105", "1677-12-01", "NaT"]
PANDAS_TZ_DATES = ["2021-01-05 10:00:00Z", "2021-01-05 10:00:00+00:00",
                   "2021-01-05T10:00:00 UTC", "2021-01-05 10:00-05:00"]


def test_parse_dates_refuses_what_pandas_reads_otherwise(client, tmp_path):
    """A parse_dates column holding a value pandas reads as a date-time in
    a form dusk's columns do not is an error naming the file, line and
    column - first row or past the sample - not the text column dusk would
    otherwise give; a value that is no date at all ("soon") leaves the
    column text, as pandas leaves it."""
    def refused(path, line, value, **kw):
        with pytest.raises(NotImplementedError, match=(
                re.escape(f"{path} line {line}, column 't': ") +
                r".*parse_dates: pandas reads " + re.escape(f"'{value}'") +
                r".*dusk's datetime columns read ISO YYYY-MM-DD\[ "
                r"HH:MM\[:SS\[\.f\]\]\] only .*without parse_dates")) as e:
            dd.read_csv(path, parse_dates=["t"], **kw).compute()
        return str(e.value)

    iso = [f"2021-01-{1 + i % 28:02d} 10:00:{i % 60:02d},{i}\n"
           for i in range(15000)]
    for value in PANDAS_DATES + PANDAS_TZ_DATES:
        tz = value in PANDAS_TZ_DATES
        first = tmp_path / "first.csv"
        first.write_text(f"t,v\n{value},1\n{value},2\n")
        p = pd.read_csv(first, parse_dates=["t"])
        assert str(p.t.dtype).startswith("datetime64[ns"), (value, p.t.dtype)
        assert str(p.t.dtype) != "datetime64[ns]" if tz else \
            str(p.t.dtype) == "datetime64[ns]", (value, p.t.dtype)
        why = refused(str(first), 2, value)
        assert ("tz-aware" in why) == tz, why
        # late: in a later partition (1KB), and past the sample (64KB)
        for rows, bs in ((200, "1KB"), (15000, "64KB")):
            late = tmp_path / f"late{rows}.csv"
            late.write_text("t,v\n" + "".join(iso[:rows]) + f"{value},-1\n")
            if not tz:  # (naive ISO rows and one offset: pandas' object)
                assert str(pd.read_csv(late, parse_dates=["t"]).t.dtype) \
                    == "datetime64[ns]", value
            refused(str(late), rows + 2, value, blocksize=bs)

    def same(path, bs):
        got = dd.read_csv(str(path), parse_dates=["t"], blocksize=bs) \
            if bs else dd.read_csv(str(path), parse_dates=["t"])
        want = pd.read_csv(path, parse_dates=["t"])
        assert want.t.dtype == object
        pdt.assert_frame_equal(got.compute(), want)

    # No date at all: text, as pandas leaves it, wherever it is.
    for rows, bs in ((0, None), (200, "1KB"), (15000, "64KB")):
        for bad in ("soon", "n.a.", "2021-01-05 10:00:00+00:00:00"):
            path = tmp_path / "text.csv"
            path.write_text("t,v\n" + "".join(iso[:rows]) + f"{bad},-1\n")
            same(path, bs)
    # Such a value where the sample also holds one of pandas' other forms
    # (before it or after): pandas' object column, and so dusk's text.
    for a, b in (("2021/01/05", "soon"), ("soon", "2021-01-05 10:00:00Z")):
        path = tmp_path / "mixed.csv"
        path.write_text(f"t,v\n{a},1\n" + "".join(iso[:200]) + f"{b},2\n")
        same(path, "1KB")


IMPOSSIBLE = ["2019-02-30 11:00:00", "2019-02-29", "2019-13-01",
              "2019-00-10", "2019-01-32 10:00", "2019-04-31T10:00:00",
              "2019-01-01 24:00:00", "2019-01-01 23:60:00",
              "2019-01-01 23:59:60", "0000-01-01", "1600-05-05",
              "3000-01-01", "1677-09-20", "2262-04-12"]


def test_to_datetime_of_impossible_dates(client, tmp_path, bs):
    """ISO-shaped values that are no date-time (February 30, month 13,
    hour 24, a year past datetime64[ns]): NaT with errors="coerce" as
    pandas gives, and with errors="raise" a ValueError saying so (not
    that pandas might read it); a date of 1677 or 2262, which pandas
    reads and dusk does not, is refused either way."""
    path = tmp_path / "impossible.csv"
    path.write_text("t,v\n2019-04-15 10:00:00,0\n" + "".join(
        f"{t},{i}\n" for i, t in enumerate(IMPOSSIBLE, 1)) +
        ",99\n2020-02-29 12:00:00,100\nnot a date,101\n")
    df, p = read(str(path), bs), pd.read_csv(path)
    pdt.assert_frame_equal(
        df.assign(x=dd.to_datetime(df.t, errors="coerce")).compute(),
        p.assign(x=pd.to_datetime(p.t, errors="coerce")))
    pdt.assert_series_equal(
        df.groupby(dd.to_datetime(df.t, errors="coerce").isnull()).v.sum()
        .compute(),
        p.groupby(pd.to_datetime(p.t, errors="coerce").isnull()).v.sum())
    for t in IMPOSSIBLE:
        with pytest.raises(ValueError):
            pd.to_datetime(pd.Series([t]))
        one = df.query(f"v == {IMPOSSIBLE.index(t) + 1}")
        with pytest.raises(ValueError) as err:
            one.assign(x=dd.to_datetime(one.t)).compute()
        assert f"'{t}' is no date-time" in str(err.value), str(err.value)
        assert "may read it" not in str(err.value)
    edge = tmp_path / "edge.csv"
    edge.write_text("t\n1677-12-31\n")
    e = dd.read_csv(str(edge))
    assert pd.to_datetime(pd.read_csv(edge).t, errors="coerce").notna().all()
    for errors in ("raise", "coerce"):
        with pytest.raises(NotImplementedError, match="years 1678-2261"):
            e.assign(x=dd.to_datetime(e.t, errors=errors)).compute()


def test_fillna_datetime_with_iso_text(client, data_dir, bs):
    """fillna of a datetime64[ns] column with a string holding an ISO
    date-time (or a Timestamp, datetime, numpy datetime64 or lazy scalar
    of one): pandas' Timestamp there, the column still datetime64[ns];
    a string that is no ISO date-time is refused, saying so (pandas makes
    an object column of it, or reads another form of date)."""
    import datetime
    path = str(data_dir / "dates.csv")
    df = dd.read_csv(path, blocksize=bs, parse_dates=DATES) if bs else \
        dd.read_csv(path, parse_dates=DATES)
    p = pd.read_csv(path, parse_dates=DATES)
    for fill in ({"start": "2021-03-01"},
                 {"end": "2021-03-01 10:30:00.5", "day": "2021-03-01T08:00"},
                 {"start": pd.Timestamp("2021-03-01 12:00:00.000000001")},
                 {"end": datetime.datetime(2021, 3, 1, 9, 15)},
                 {"day": np.datetime64("2021-03-02")},
                 {"start": "2021-03-01", "note": "none"}):
        got = df.fillna(fill)
        want = p.fillna(fill)
        pdt.assert_frame_equal(got.compute(), want, obj=repr(fill))
        c = list(fill)[0]
        pdt.assert_series_equal(
            got.groupby(got[c].dt.hour).k.sum().compute(),
            want.groupby(want[c].dt.hour).k.sum(), obj=repr(fill))
    pdt.assert_frame_equal(df.fillna({"start": df.start.max()}).compute(),
                           p.fillna({"start": p.start.max()}))
    pdt.assert_series_equal(df.start.fillna("2021-03-01").compute(),
                            p.start.fillna("2021-03-01"))
    for cols in (DATES, ["start", "k", "note"]):
        pdt.assert_frame_equal(df[cols].fillna("2021-03-01").compute(),
                               p[cols].fillna("2021-03-01"))
    for bad in ("soon", "2021-02-30", "1/5/2021"):
        assert p.fillna({"start": bad}).start.isna().sum() == 0
        with pytest.raises(Exception, match=f"'{bad}' is no ISO date-time"):
            df.fillna({"start": bad}).compute()
    with pytest.raises(NotImplementedError, match="Timestamp"):
        df.fillna({"note": pd.Timestamp("2021-03-01")})


def test_dt_floor_ceil_round(client, data_dir, bs):
    """.dt.floor/ceil/round to fixed frequencies and normalize() of
    datetimes and timedeltas (NaT stays NaT, round halves to even), used
    as values, group keys and filters: all equal to pandas."""
    path = str(data_dir / "dates.csv")
    df = dd.read_csv(path, blocksize=bs, parse_dates=DATES) if bs else \
        dd.read_csv(path, parse_dates=DATES)
    p = pd.read_csv(path, parse_dates=DATES)
    freqs = ("H", "15min", "D", "2H", "90S", "T", "s", "L")

    def derive(f, mod):
        cols = {}
        for i, fr in enumerate(freqs):
            cols[f"fl{i}"] = f.start.dt.floor(fr)
            cols[f"ce{i}"] = f.end.dt.ceil(fr)
            cols[f"ro{i}"] = f.start.dt.round(fr)
        cols["td"] = (f.end - f.start).dt.floor("T")
        cols["tdr"] = (f.end - f.start).dt.round("H")
        cols["norm"] = f.day.dt.normalize()
        cols["off"] = f.start.dt.floor(mod.Timedelta(minutes=20))
        return f.assign(**cols)

    got, want = derive(df, pd), derive(p, pd)
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_series_equal(got.groupby("fl0").size().compute(),
                            want.groupby("fl0").size())
    pdt.assert_frame_equal(
        got[got.ce2 > "2021-03-01"][["k", "ce2"]].compute(),
        want[want.ce2 > "2021-03-01"][["k", "ce2"]])
    with pytest.raises(ValueError, match="calendar"):
        df.assign(x=df.start.dt.floor("M")).compute()
    with pytest.raises(ValueError, match="not a frequency"):
        df.assign(x=df.start.dt.ceil("fortnight")).compute()
    with pytest.raises(TypeError, match="fixed frequency"):
        df.assign(x=df.k.dt.floor("H")).compute()


def test_series_describe(client, data_dir, bs):
    """Series.describe(): number columns as pandas' (exact percentiles),
    text and bool columns as count / unique / top / freq."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    for col in ("x", "y", "clean"):
        pdt.assert_series_equal(df[col].describe().compute(),
                                p[col].describe())
    for col in ("name", "flag"):
        got, want = df[col].describe().compute(), p[col].describe()
        assert list(got.index) == list(want.index) == \
            ["count", "unique", "top", "freq"]
        assert got["count"] == want["count"] and \
            got["unique"] == want["unique"] and got["freq"] == want["freq"]
        counts = p[col].value_counts()
        assert got["top"] in set(counts[counts == counts.max()].index)
        assert got.name == want.name and got.dtype == want.dtype
    # Frames: text columns alone, include="object" and include="all" (the
    # top of a tie may differ, as pandas documents: checked for a tie).
    for got, want, pf in (
            (df[["name", "flag"]].describe(), p[["name", "flag"]].describe(),
             p),
            (df.describe(include="object"), p.describe(include="object"), p),
            (df.describe(include="all"), p.describe(include="all"), p)):
        got = got.compute()
        assert list(got.index) == list(want.index)
        assert list(got.columns) == list(want.columns)
        for c in want.columns:
            if "top" in want.index and not pd.isna(want.at["top", c]):
                counts = pf[c].value_counts()
                assert got.at["top", c] in \
                    set(counts[counts == counts.max()].index)
                got.at["top", c] = want.at["top", c]
        pdt.assert_frame_equal(got, want)


def test_reset_index_of_results(client, data_dir, bs):
    """reset_index() of a computed result as pandas' (name= for a
    Series), after the cluster's steps; steps after it run in pandas on
    the result; a whole frame's is refused clearly."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    pdt.assert_frame_equal(
        df.groupby("k").size().reset_index(name="n").compute(),
        p.groupby("k").size().reset_index(name="n"))
    pdt.assert_frame_equal(
        df.groupby(["k", "flag"]).clean.sum().nlargest(4).reset_index()
        .compute(),
        p.groupby(["k", "flag"]).clean.sum().nlargest(4).reset_index())
    pdt.assert_frame_equal(
        df.groupby("k").agg({"x": "max"}).reset_index().compute(),
        p.groupby("k").agg({"x": "max"}).reset_index())
    pdt.assert_frame_equal(
        df.name.value_counts().reset_index(drop=True).compute().to_frame(),
        p.name.value_counts().reset_index(drop=True).to_frame())
    # steps after it run in pandas on the computed result
    pdt.assert_frame_equal(
        df.groupby("k").size().reset_index(name="n").sort_values("n")
        .compute(),
        p.groupby("k").size().reset_index(name="n").sort_values("n"))
    with pytest.raises(NotImplementedError, match="whole frame"):
        df.reset_index()


def test_isna_sum_mean_any(client, data_dir, bs):
    """df.isna().sum() / .mean() / .any() (and isnull): pandas' missing
    value counts per column, of every kind of column, after a filter."""
    for name, dates in (("mixed.csv", None), ("dates.csv", DATES)):
        path = str(data_dir / name)
        df = dd.read_csv(path, blocksize=bs, parse_dates=dates) if bs else \
            dd.read_csv(path, parse_dates=dates)
        p = pd.read_csv(path, parse_dates=dates)
        pdt.assert_series_equal(df.isna().sum().compute(), p.isna().sum())
        pdt.assert_series_equal(df.isnull().mean().compute(),
                                p.isnull().mean())
        pdt.assert_series_equal(df.isna().any().compute(), p.isna().any())
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    pdt.assert_series_equal(df[df.clean > 50].isna().sum().compute(),
                            p[p.clean > 50].isna().sum())
    with pytest.raises(NotImplementedError, match="isna"):
        df.isna().max()


def test_sample(client, data_dir, bs):
    """sample(frac, random_state): the rows are pandas' own rows under
    their labels, in file order; the same seed gives the same rows, other
    seeds others; about frac of them; frac 0 and 1 are exact; later steps
    run on the sample."""
    import numpy as np
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    got = df.sample(frac=0.3, random_state=7).compute()
    pdt.assert_frame_equal(got, p.loc[got.index])
    assert got.index.is_monotonic_increasing
    n = len(p)
    assert abs(len(got) - 0.3 * n) < 5 * (0.3 * 0.7 * n) ** 0.5
    again = df.sample(frac=0.3, random_state=7).compute()
    pdt.assert_frame_equal(got, again)
    other = df.sample(frac=0.3, random_state=8).compute()
    assert not got.index.equals(other.index)
    assert len(df.sample(frac=0.0, random_state=1).compute()) == 0
    pdt.assert_frame_equal(df.sample(frac=1.0).compute(), p)
    sub = df.sample(frac=0.5, random_state=np.random.RandomState(3))
    want = p.loc[sub.compute().index]
    pdt.assert_series_equal(sub.groupby("k").clean.sum().compute(),
                            want.groupby("k").clean.sum())
    pdt.assert_series_equal(df.x.sample(frac=0.3, random_state=7).compute(),
                            p.x.loc[got.index])
    with pytest.raises(ValueError, match="upsampling"):
        df.sample(frac=1.5)
    with pytest.raises(NotImplementedError, match="use frac="):
        df.sample(n=3)


def test_where_and_mask(client, data_dir, bs):
    """Series.where / mask with pandas' dtypes: NaN (NaT) by default, an
    int other (or a float holding an int, 0.0) keeps ints, another float
    or NaN makes floats, another column as
    other, bools and datetimes; usable as group keys and filters."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)

    def derive(f):
        return f.assign(a=f.clean.where(f.clean > 50),
                        b=f.clean.where(f.clean % 3 == 0, -1),
                        c=f.x.mask(f.k == 2, 0.5),
                        d=f.y.where(f.y > 0, f.clean),
                        e=(f.clean * 2).mask(f.flag == True, other=7),
                        g=f.flag.where(f.k > 1, False),
                        h=f.clean.where(f.flag),
                        i=f.clean.mask(f.clean > 50, 0.0),
                        j=f.clean.where(f.clean > 50, -2.5),
                        m=f.clean.where(f.clean > 50, 2.0 ** 63))
    got, want = derive(df), derive(p)
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_series_equal(got.groupby("b").size().compute(),
                            want.groupby("b").size())
    pdt.assert_frame_equal(got[got.a.notnull()].compute(),
                           want[want.a.notnull()])
    dpath = str(data_dir / "dates.csv")
    dfd = dd.read_csv(dpath, blocksize=bs, parse_dates=DATES) if bs else \
        dd.read_csv(dpath, parse_dates=DATES)
    pd_ = pd.read_csv(dpath, parse_dates=DATES)
    pdt.assert_series_equal(
        dfd.assign(w=dfd.start.where(dfd.k > 2)).w.compute(),
        pd_.assign(w=pd_.start.where(pd_.k > 2)).w)
    with pytest.raises(TypeError, match="where/mask of a string"):
        df.assign(z=df.name.where(df.k > 1)).compute()
    with pytest.raises(TypeError, match="two kinds"):
        df.assign(z=df.clean.where(df.k > 1, True)).compute()
    for big in (1e300, -1e19, 2.0 ** 64):  # pandas: object
        assert p.clean.where(p.k > 1, big).dtype == object
        with pytest.raises(TypeError, match="where/mask with"):
            df.assign(z=df.clean.where(df.k > 1, big)).compute()


def test_datetime_errors(client, data_dir, tmp_path):
    # A value that is no date-time leaves the column text, as in pandas;
    # .dt on it is then a clear error.
    bad = tmp_path / "bad.csv"
    bad.write_text("t,v\n2021-01-01 10:00:00,1\n2021-02-30 00:00:00,2\n")
    got = dd.read_csv(str(bad), parse_dates=["t"], blocksize=40)
    pdt.assert_frame_equal(got.compute(),
                           pd.read_csv(str(bad), parse_dates=["t"]))
    with pytest.raises(TypeError, match="dt.hour of string"):
        got.assign(h=got.t.dt.hour).compute()
    df = dd.read_csv(str(data_dir / "dates.csv"), parse_dates=DATES)
    with pytest.raises(TypeError, match="cannot compare datetime64"):
        df[df.start > 5].compute()
    with pytest.raises(TypeError, match="'soon' is not a date-time dusk "
                       "reads .ISO forms: YYYY, YYYY-MM"):
        df[df.start > "soon"].compute()
    # forms pandas also reads beyond dateutil's common ones (dateforms.h)
    # are refused, naming the ones dusk reads; so are a time zone,
    # February 30 and pandas' month unit
    for lit in ("02/28/21", "Sun Feb 28 2021", "2021-02-28T10:00Z"):
        with pytest.raises(TypeError, match="not a date-time dusk reads"):
            df[df.start > lit].compute()
    with pytest.raises(TypeError, match="no such date-time"):
        df.query("start > '2021-02-30'").compute()
    dur = df.assign(d=df.end - df.start)
    for lit in ("1M", "5", "P1DT2H"):
        with pytest.raises(TypeError, match="not a timedelta dusk reads "
                           ".pandas' Timedelta forms"):
            dur[dur.d > lit].compute()
    text = dd.read_csv(str(data_dir / "dates.csv"))  # no parse_dates
    with pytest.raises(TypeError, match="dt.hour of string"):
        text.assign(h=text.start.dt.hour).compute()
    with pytest.raises(NotImplementedError, match="tz_localize"):
        df.start.dt.tz_localize


# ---- more of pandas' vocabulary ----------------------------------------------

def test_groupby_several_functions_and_as_index(client, data_dir, bs):
    """agg with lists, dicts of lists and named aggregation (pandas'
    column labels), as_index=False, value_counts(normalize=True)."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    num = ["k", "x", "y", "clean"]
    pdt.assert_frame_equal(
        df.groupby("k").agg({"x": ["min", "max"], "y": "mean"}).compute(),
        p.groupby("k").agg({"x": ["min", "max"], "y": "mean"}))
    pdt.assert_frame_equal(
        df.groupby("k").agg(total=("x", "sum"), n=("name", "count"),
                            spread=("y", "std")).compute(),
        p.groupby("k").agg(total=("x", "sum"), n=("name", "count"),
                           spread=("y", "std")))
    pdt.assert_frame_equal(df.groupby("k")["y"].agg(["sum", "var"]).compute(),
                           p.groupby("k")["y"].agg(["sum", "var"]))
    pdt.assert_frame_equal(df[num].groupby("k").agg(["count", "max"]).compute(),
                           p[num].groupby("k").agg(["count", "max"]))
    # every column: pandas drops a text column whole when one function
    # of the list needs numbers, and concatenates text for sum (refused)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        want = p.groupby("k").agg(["count", "mean"])
    pdt.assert_frame_equal(df.groupby("k").agg(["count", "mean"]).compute(),
                           want)
    with pytest.raises(Exception, match="sums the text column 'name'.*"
                                        "concatenating"):
        df.groupby("k").agg(["sum", "min"]).compute()
    pdt.assert_frame_equal(
        df.groupby("flag", as_index=False)["clean"].sum().compute(),
        p.groupby("flag", as_index=False)["clean"].sum())
    pdt.assert_frame_equal(df.groupby(["k", "flag"], as_index=False).size()
                           .compute(),
                           p.groupby(["k", "flag"], as_index=False).size())
    pdt.assert_frame_equal(df[num].groupby("k", as_index=False).mean()
                           .compute(),
                           p[num].groupby("k", as_index=False).mean())
    got = df["k"].value_counts(normalize=True).compute()
    want = p["k"].value_counts(normalize=True)
    pdt.assert_series_equal(got.sort_index(), want.sort_index())
    # size among other functions: the group's rows, per column
    for e in ('X.groupby("k").agg(n=("x", "size"), m=("x", "count"))',
              'X.groupby("k").agg({"x": ["size", "count"]})',
              'X.groupby("k")[["x", "y"]].agg(["size", "count"])',
              'X.groupby("k")[num].agg(["size", "count"])'):
        pdt.assert_frame_equal(eval(e, {"X": df, "num": num}).compute(),
                               eval(e, {"X": p, "num": num}))
    with pytest.raises(NotImplementedError, match="nunique.dropna=False"):
        df.groupby("k").name.nunique(dropna=False)
    with pytest.raises(NotImplementedError, match="sort=False"):
        df.groupby("k", sort=False).size()
    # shares of every value counted, whatever steps follow
    pdt.assert_series_equal(
        df["name"].value_counts(normalize=True, dropna=False).head(2),
        p["name"].value_counts(normalize=True, dropna=False).head(2))
    pdt.assert_series_equal(
        df["flag"].value_counts(normalize=True).nsmallest(1).compute(),
        p["flag"].value_counts(normalize=True).nsmallest(1))


def test_isin_dropna_and_query_variables(client, data_dir, bs):
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    pdt.assert_frame_equal(df[df.k.isin([1, 3, 5])].compute(),
                           p[p.k.isin([1, 3, 5])])
    pdt.assert_frame_equal(df[~df.name.isin(["red", "ünï"])].compute(),
                           p[~p.name.isin(["red", "ünï"])])
    pdt.assert_frame_equal(df[df.k.isin([])].compute(), p[p.k.isin([])])
    # a NaN or None in the list matches the missing values
    for vals in ([np.nan], [3, np.nan], [None, "red"]):
        col = "name" if None in vals else "y" if vals == [np.nan] else "k"
        pdt.assert_frame_equal(df[df[col].isin(vals)].compute(),
                               p[p[col].isin(vals)])
    pdt.assert_frame_equal(df.dropna().compute(), p.dropna())
    pdt.assert_frame_equal(df.dropna(subset=["x", "flag"]).compute(),
                           p.dropna(subset=["x", "flag"]))
    pdt.assert_frame_equal(df.dropna(how="all", subset=["x", "y"]).compute(),
                           p.dropna(how="all", subset=["x", "y"]))
    low, names = -100, ["red", "blue, dark"]
    pdt.assert_frame_equal(
        df.query("x > @low and name in @names").compute(),
        p.query("x > @low and name in @names"))
    pdt.assert_frame_equal(
        df.query("k not in [1, 2] and clean < @low + 150").compute(),
        p.query("k not in [1, 2] and clean < @low + 150"))
    with pytest.raises(KeyError, match="nope"):
        df.query("x > @nope")


def test_steps_on_a_frame_reduction(client, data_dir):
    """df.sum() is one value per column: pandas' sort / top-n / head on it
    run once it is computed."""
    path = str(data_dir / "mixed.csv")
    df, p = dd.read_csv(path), pd.read_csv(path)
    num = ["k", "x", "y", "clean"]
    pdt.assert_series_equal(df[num].sum().sort_values().compute(),
                            p[num].sum().sort_values())
    pdt.assert_series_equal(df[num].mean().nlargest(2).compute(),
                            p[num].mean().nlargest(2))
    pdt.assert_series_equal(df.count().head(3), p.count().head(3))
    pdt.assert_series_equal(df.count().tail(2), p.count().tail(2))


def test_rename(client, data_dir, bs, tmp_path):
    """rename(columns=) keeps the columns' places; later steps see the new
    names; a computed result is renamed by pandas."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    m = {"x": "ex", "k": "key"}
    got, want = df.rename(columns=m), p.rename(columns=m)
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_series_equal(got.dtypes, want.dtypes)
    pdt.assert_frame_equal(got[got.ex > 0].groupby("key")[["ex"]].sum()
                           .compute(),
                           want[want.ex > 0].groupby("key")[["ex"]].sum())
    pdt.assert_frame_equal(df.rename(columns=str.upper).compute(),
                           p.rename(columns=str.upper))
    # A swap: each new name is another's old one.
    swap = {"x": "y", "y": "x"}
    got, want = df.rename(columns=swap), p.rename(columns=swap)
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_series_equal(got.dtypes, want.dtypes)
    pdt.assert_frame_equal(
        df.groupby("k")[["x", "y"]].max().rename(columns={"x": "top"})
        .compute(),
        p.groupby("k")[["x", "y"]].max().rename(columns={"x": "top"}))
    # the swap's hidden copies never take a name a column has or gets
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b,__dusk_rename_0,__dusk_rename_1\n1,2,3,4\n5,6,7,8\n")
    for m in ({"a": "b", "b": "a"}, {"a": "b", "b": "__dusk_rename_2"},
              {"a": "b", "b": "a", "__dusk_rename_0": "__dusk_rename_1",
               "__dusk_rename_1": "__dusk_rename_0"}):
        pdt.assert_frame_equal(read(str(odd), bs).rename(columns=m).compute(),
                               pd.read_csv(odd).rename(columns=m))
    with pytest.raises(KeyError, match="nope"):
        df.rename(columns={"nope": "n"}, errors="raise")


def test_computed_nan_is_missing(client, data_dir, bs):
    """A NaN an expression computes (a negative's square root, 0 / 0) is
    missing, as pandas holds it: count, sum, mean, isna, dropna, fillna
    and groupby all skip or fill it; an int's // 0 is refused (pandas' inf
    turns the column float64), while 0 // 0 and % 0 are NaN."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    d, w = df.assign(v=df.y ** 0.5, z=df.clean * 0 / 0), \
        p.assign(v=p.y ** 0.5, z=p.clean * 0 / 0)
    for fn in ("count", "sum", "mean", "min", "max", "nunique"):
        assert getattr(d.v, fn)().compute() == pytest.approx(
            getattr(w.v, fn)()), fn
    assert d.z.count().compute() == 0
    pdt.assert_series_equal(d.isna().sum().compute(), w.isna().sum())
    assert len(d.dropna(subset=["v"])) == len(w.dropna(subset=["v"]))
    assert d.fillna({"v": 0}).v.sum().compute() == pytest.approx(
        w.fillna({"v": 0}).v.sum())
    pdt.assert_frame_equal(d.groupby("k")[["v"]].agg(["sum", "count"])
                           .compute(),
                           w.groupby("k")[["v"]].agg(["sum", "count"]))
    pdt.assert_frame_equal(
        df.assign(m=df.clean % 0, q=(df.clean * 0) // 0).compute(),
        p.assign(m=p.clean % 0, q=(p.clean * 0) // 0))
    with pytest.raises(dusk.TaskError, match=r"astype\(float\) // y"):
        df.assign(q=(df.clean + 1) // 0).compute()


LIMIT = 100


def test_steps_after_labels_reset_and_rename(client, data_dir, bs):
    """Steps on a result see its columns as pandas names them: named
    aggregation and (column, function) labels, as_index=False's keys and
    "size", reset_index(name=), rename; row labels are kept as pandas
    keeps them."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    lim = 100
    for e in ('X.groupby("k").agg(n=("x", "count"), t=("y", "sum"))'
              '.sort_values("n")',
              'X.groupby("k").agg(n=("x", "count"), t=("y", "sum"))'
              '.nlargest(2, "t")',
              'X.groupby("k", as_index=False).agg(n=("x", "count"))'
              '.sort_values("n")',
              'X.groupby("k").agg({"x": ["min", "max"]})'
              '.sort_values(("x", "max"))',
              'X.groupby("k").agg(n=("x", "count"))'
              '.rename(columns={"n": "m"}).sort_values("m")',
              'X.groupby("k", as_index=False).size().sort_values("size")',
              'X.groupby("k").size().reset_index(name="n")'
              '.sort_values("n", ascending=False)',
              'X.groupby("k").size().reset_index(name="n").nlargest(3, "n")',
              'X.groupby("k").size().reset_index(name="n")'
              '.query("n > @lim")',
              'X.groupby("k").size().reset_index(name="n")'
              '.query("n > @LIMIT")',
              'X.groupby("k", as_index=False).size().nlargest(3, "size")'):
        got = eval(e, globals(), {"X": df, "lim": lim})
        got = got.compute() if hasattr(got, "compute") else got
        pdt.assert_frame_equal(got, eval(e, globals(), {"X": p, "lim": lim}))
    pdt.assert_frame_equal(df.groupby("k", as_index=False).size().tail(3),
                           p.groupby("k", as_index=False).size().tail(3))


def test_expressions_reduce_as_series(client, data_dir, bs):
    """An expression (df.x * 2, df.y.isnull(), df.name.str.len()) does
    what a pandas Series does with its values - sum, mean, value_counts,
    compute, ... - named as pandas names it (after the one column it
    reads, else unnamed)."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    for e in ("(X.clean * 2).sum()", "X.y.isnull().sum()",
              "(X.clean > 50).mean()", "X.name.str.len().mean()",
              "(X.x + X.clean).max()", "(X.clean // 7).nunique()"):
        got, want = eval(e, {"X": df}), eval(e, {"X": p})
        got = got.compute() if hasattr(got, "compute") else got
        assert got == pytest.approx(want), e
    pdt.assert_series_equal(
        (df.clean % 7).value_counts().compute().sort_index(),
        (p.clean % 7).value_counts().sort_index())
    pdt.assert_series_equal((df.x + df.clean).compute(), p.x + p.clean)
    pdt.assert_series_equal((df.clean * 2).compute(), p.clean * 2)
    with pytest.raises(AttributeError, match="no attribute 'frobnicate'"):
        (df.clean * 2).frobnicate()


def test_lazy_scalars(client, data_dir, bs):
    """A column's reduction is a lazy scalar, as Dask's dd.Scalar:
    arithmetic and comparisons with numbers and other lazy scalars stay
    lazy and compute to pandas' value; in an expression of the frame's
    columns (a filter, assign, where, fillna, a groupby key) it stands as
    its value; float(), int(), round() and bool() refuse as Dask's,
    numpy computes it."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    for e in ("X.x.sum() + 1", "1 + X.x.sum()", "X.clean.sum() * 2 - 3",
              "X.x.mean() - X.x.std()", "(X.y.max() - X.y.min()) / 2",
              "X.x.isna().sum() / len(X)", "X.y.isnull().mean() * 100",
              "-X.x.sum()", "abs(X.x.min())", "X.clean.sum() // 7",
              "X.clean.sum() % 7", "2 ** (X.clean.max() // 20)",
              "X.x.sum() > 3", "X.x.mean() == X.x.mean()",
              "X.x.count() / X.x.nunique()", "X.y.quantile(0.9) - "
              "X.y.median()", "X.name.str.len().max() + 1",
              "(X.x * 2).sum() / X.x.sum()", "np.float64(0.5) * X.y.sum()",
              "X.clean.sum() & 1", "X.x.sum() + np.int64(2)"):
        got = eval(e, {"X": df, "np": np})
        want = eval(e, {"X": p, "np": np})
        assert isinstance(got, dd.Scalar) or "np." in e, e
        if isinstance(got, dd.Scalar):
            got = got.compute()
        assert got == pytest.approx(want, rel=1e-12), (e, got, want)
        assert np.asarray(got).dtype == np.asarray(want).dtype, e
    for e in ("X[X.x > X.x.mean()]", "X[X.x.mean() < X.x]",
              "X[(X.y - X.y.mean()).abs() < X.y.std()]",
              "X.assign(z=(X.clean - X.clean.mean()) / X.clean.std())",
              "X.assign(m=X.clean.max())",
              "X.fillna({'x': X.x.median(), 'y': X.y.mean()})",
              "X[X.clean.between(X.clean.quantile(0.25), "
              "X.clean.quantile(0.75))]",
              "X.assign(w=X.y.where(X.y > 0, X.y.mean()))",
              "X.assign(c=X.y.clip(lower=X.y.quantile(0.1)))"):
        pdt.assert_frame_equal(eval(e, {"X": df}).compute(),
                               eval(e, {"X": p}), obj=e)
    pdt.assert_series_equal(
        df.groupby(df.clean > df.clean.mean()).x.sum().compute(),
        p.groupby(p.clean > p.clean.mean()).x.sum())
    m = df.clean.mean()
    pdt.assert_frame_equal(df.query("clean > @m").compute(),
                           p.query("clean > @m", local_dict={
                               "m": p.clean.mean()}))
    # with a result: computed as the result arrives
    pdt.assert_series_equal(
        (df.groupby("k").clean.sum() / df.clean.sum()).compute(),
        p.groupby("k").clean.sum() / p.clean.sum())
    s = df.x.sum()
    assert np.asarray(s) == p.x.sum()
    for f in (bool, float, int, round, lambda v: round(v, 2)):
        with pytest.raises(TypeError, match="compute"):
            f(s)
    with pytest.raises(TypeError):
        s + [1]
    assert client.compute(df.x.sum() + 1) == p.x.sum() + 1
    dates = dd.read_csv(str(data_dir / "dates.csv"), parse_dates=DATES)
    pdates = pd.read_csv(data_dir / "dates.csv", parse_dates=DATES)
    assert (dates.start.max() - dates.start.min()).compute() == \
        pdates.start.max() - pdates.start.min()
    pdt.assert_frame_equal(
        dates[dates.start > dates.start.median()].compute(),
        pdates[pdates.start > pdates.start.median()])


def test_pandas_methods_dusk_lacks_say_so(client, data_dir):
    """A pandas method dusk does not run is a NotImplementedError naming
    it; a name pandas does not have either is an AttributeError; a plan
    the scheduler refuses says why, even through an attribute."""
    import re
    df = read(str(data_dir / "mixed.csv"), None)
    for get in (lambda: df.iloc, lambda: df.clean.agg,
                lambda: df.groupby("k").transform):
        with pytest.raises(NotImplementedError, match="pandas has it"):
            get()
    with pytest.raises(NotImplementedError, match="set_index"):
        df.loc  # by index value: of a set_index frame only
    with pytest.raises(AttributeError, match="frobnicate"):
        df.frobnicate
    with pytest.raises(NotImplementedError, match="dd.to_datetime"):
        pd.to_datetime(df.name)
    with pytest.raises(TypeError, match="arithmetic on string"):
        df.assign(v=df.name + 1).v
    with pytest.raises(TypeError, match="arithmetic on string"):
        df.assign(v=df.name + 1).groupby("k").v
    # g.col and g["col"] fail alike, with the plan's own error (an int
    # // 0, an int to a negative power), never "no attribute"
    for frame, col in ((df.assign(v=df.k // df.clean), "v"),
                       (df.assign(w=df.k ** -1), "w")):
        with pytest.raises(Exception) as item:
            frame.groupby("k")[col].sum().compute()
        assert not isinstance(item.value, AttributeError)
        with pytest.raises(type(item.value),
                           match=re.escape(str(item.value)[-30:])):
            getattr(frame.groupby("k"), col).sum().compute()
    pdt.assert_series_equal(df.y.dropna().compute(),
                            pd.read_csv(data_dir / "mixed.csv").y.dropna())


def test_errors_name_the_expression(client, data_dir):
    """An unnamed expression reduces as a hidden column; an error about it
    names the expression as written ("(x + name)"), never the hidden
    column - where pandas raises too (TypeError), and where dusk alone
    refuses (a timedelta's mean)."""
    df = read(str(data_dir / "mixed.csv"), None)
    p = pd.read_csv(data_dir / "mixed.csv")
    for e, shown in (("(X.x + X.name).sum()", "(x + name)"),
                     ("(X.x * 2 + X.name).compute()", "((x * 2) + name)"),
                     ("(X.name.str.len() - X.name).max()",
                      "(name.str.len() - name)"),
                     ("X.groupby(X.k + X.name).x.sum()", "(k + name)")):
        with pytest.raises(TypeError):
            eval(e, {"X": p})
        with pytest.raises(TypeError) as err:
            got = eval(e, {"X": df})
            got.compute() if hasattr(got, "compute") else got
        assert shown in str(err.value) and "__dusk" not in str(err.value), \
            (e, str(err.value))
    dates = dd.read_csv(str(data_dir / "dates.csv"), parse_dates=DATES)
    pdates = pd.read_csv(data_dir / "dates.csv", parse_dates=DATES)
    for fn in ("mean", "sum", "std"):
        try:
            got = getattr(dates.end - dates.start, fn)().compute()
        except TypeError as err:  # not run by dusk: says which values
            assert "expression (end - start)" in str(err), str(err)
            assert "__dusk" not in str(err), str(err)
        else:
            assert got == getattr(pdates.end - pdates.start, fn)()


def test_min_max_of_text_with_nulls(client, data_dir, bs):
    """pandas cannot compare text with NaN: min / max of every column leave
    out a text column where a group holds both, and one the user names
    raises (TypeError there, a clear error here)."""
    path = str(data_dir / "mixed.csv")
    df, p = read(path, bs), pd.read_csv(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for e in ('X.groupby("k").min()', 'X.groupby("k").max()',
                  'X.groupby("k").agg(["min", "max"])',
                  'X.groupby("flag").min()'):
            pdt.assert_frame_equal(eval(e, {"X": df}).compute(),
                                   eval(e, {"X": p}))
        pdt.assert_series_equal(df.min().compute(), p.min())
    for e in ('X.name.min()', 'X.groupby("k").name.max()',
              'X.groupby("k").agg({"name": "min"})'):
        with pytest.raises(TypeError):
            eval(e, {"X": p})
        with pytest.raises((TypeError, dusk.TaskError),
                           match="text and a missing"):
            eval(e, {"X": df}).compute()


@pytest.mark.parametrize("blocksize", ["1KB", None])
def test_derived_column_dtype_follows_the_rows_it_is_computed_on(
        client, tmp_path, blocksize):
    """pandas decides a derived column's dtype by the rows it is computed
    on: str.len() after the missing strings were filtered out is int64,
    before it is float64; arithmetic on an int column that holds a missing
    value in the file is float64 whatever the filter."""
    path = tmp_path / "m.csv"
    with open(path, "w") as f:
        f.write("s,b,x\n")
        for i in range(400):
            s = "" if i % 7 == 3 else "w" * (i % 5 + 1)
            x = "" if i % 11 == 5 else str(i % 9)
            f.write(f"{s},{i % 4},{x}\n")
    d = dd.read_csv(str(path), blocksize=blocksize)
    p = pd.read_csv(path)
    f, g = d[d.s.notnull()], p[p.s.notnull()]
    pdt.assert_series_equal(f.assign(L=f.s.str.len()).groupby("b").L.max()
                            .compute(),
                            g.assign(L=g.s.str.len()).groupby("b").L.max())
    pdt.assert_frame_equal(f.assign(L=f.s.str.len()).head(5),
                           g.assign(L=g.s.str.len()).head(5))
    t, u = d.assign(L=d.s.str.len()), p.assign(L=p.s.str.len())
    pdt.assert_series_equal(t[t.b > 0].groupby("b").L.max().compute(),
                            u[u.b > 0].groupby("b").L.max())
    f, g = d[d.b > 1], p[p.b > 1]
    pdt.assert_series_equal(f.assign(y=f.x * 2).groupby("b").y.sum()
                            .compute(),
                            g.assign(y=g.x * 2).groupby("b").y.sum())
    f, g = d[d.x.notnull()], p[p.x.notnull()]
    pdt.assert_frame_equal(f.assign(y=f.x * 2).head(3),
                           g.assign(y=g.x * 2).head(3))


def test_median_of_bool_columns(client, tmp_path):
    """pandas' median() takes a bool column as 0 / 1 (also one holding a
    missing value, an object column there); its quantile() of a bool
    column raises, and dusk refuses it too."""
    for rows in (["1,True,10", "1,False,20", "2,,30", "2,True,40"],
                 ["1,True,10", "1,False,20", "2,False,30", "2,True,40"]):
        path = tmp_path / "flags.csv"
        path.write_text("k,flag,n\n" + "\n".join(rows) + "\n")
        d, p = dd.read_csv(str(path), blocksize="16B"), pd.read_csv(path)
        assert d.flag.median().compute() == p.flag.median()
        pdt.assert_series_equal(d.median().compute(), p.median())
    with pytest.raises(Exception, match="bool's median"):
        d.flag.quantile(0.5).compute()
