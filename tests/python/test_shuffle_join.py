"""The shuffle merge: how="right" / "outer", an inner merge's rows, a right
side past the broadcast join's 64 MiB, or Dask's broadcast=False.  Both
sides are hash-partitioned by key and each part joined by a task of its
own; each part orders its rows by pandas' order groups and the final puts
them in pandas' order.  Its rows (compute, head, tail) and every
aggregation of it are compared with pandas' at blocksizes that cut both
sides into many partitions, on int, float, text, multi-column and null
keys, with steps before and after the merge, and a worker killed
mid-shuffle."""
import os
import random
import signal

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import dusk
import dusk.dataframe as dd
from conftest import (BLOCKSIZE_IDS, BLOCKSIZES, holds_keys, spill_files,
                      while_a_worker_is_stopped, written)
from test_divisions import partition

HOWS = ["inner", "left", "right", "outer"]


@pytest.fixture(params=BLOCKSIZES, ids=BLOCKSIZE_IDS)
def bs(request):
    return request.param


def quoted(s):
    return '"' + s.replace('"', '""') + '"' if any(
        c in s for c in ',"\n') else s


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    """left: k (int key with nulls), s (text key: separators, quotes,
    newlines, nulls), v (int), x (float, also on the right: suffixed);
    right: k, s, k2 (the k values as floats), w (int), name, x.  Keys
    overlap in part, repeat on both sides (many-to-many) and hold nulls,
    which pandas 1.5 matches with each other."""
    d = tmp_path_factory.mktemp("shuffle")
    rnd = random.Random(7)
    texts = ["a", "b, c", 'say "hi"', "two\nlines", "ünï", "", "zz"]
    left, right = d / "left.csv", d / "right.csv"
    with open(left, "w", newline="") as f:
        f.write("k,s,v,x\n")
        for i in range(3000):
            k = "" if i % 41 == 3 else str(rnd.randint(0, 60))
            s = rnd.choice(texts)
            x = "" if i % 13 == 1 else repr(rnd.uniform(-5, 5))
            f.write(f"{k},{quoted(s)},{rnd.randint(-99, 99)},{x}\n")
    with open(right, "w", newline="") as f:
        f.write("k,s,k2,w,name,x\n")
        for i in range(700):
            kv = rnd.randint(30, 90)
            k = "" if i % 53 == 7 else str(kv)
            s = rnd.choice(texts[2:] + ["only right"])
            f.write(f"{k},{quoted(s)},{float(kv)},{rnd.randint(0, 9)},"
                    f"{quoted(rnd.choice(texts))},{rnd.uniform(0, 1)!r}\n")
    return str(left), str(right)


def read(path, bs):
    return dd.read_csv(path, blocksize=bs) if bs else dd.read_csv(path)


def both(sides, bs):
    lp, rp = sides
    return (read(lp, bs), read(rp, bs)), (pd.read_csv(lp), pd.read_csv(rp))


def steps_before_and_after(l, r, how, mg):
    l2 = l[l.v > -50]
    l2 = l2.assign(v2=l2.v * 2)
    m = mg(l2, r[r.w < 8], on="k", how=how)
    m = m.assign(t=m.v2 + m.w)
    return m[m.t > 0].groupby("w").t.agg(["sum", "min", "max", "nunique"])


# Each query as a function of (left, right, how, merge) on dusk's or
# pandas' frames (the same code runs on both; merge is the side's merge).
QUERIES = {
    "size by key": lambda l, r, how, mg: mg(
        l, r, on="k", how=how).groupby("k").size(),
    "sums by key": lambda l, r, how, mg: mg(
        l, r, on="k", how=how).groupby("k")[["v", "w"]].sum(),
    "means by right column": lambda l, r, how, mg: mg(
        l, r, on="k", how=how).groupby("w").v.mean(),
    "suffixed columns": lambda l, r, how, mg: mg(
        l, r, on="k", how=how).groupby("k")[["x_x", "x_y"]].max(),
    "two keys": lambda l, r, how, mg: mg(
        l, r, on=["k", "s"], how=how).groupby("s").w.agg(["sum", "count"]),
    "text key": lambda l, r, how, mg: mg(
        l, r, on="s", how=how).groupby("s").size(),
    "int against float key": lambda l, r, how, mg: mg(
        l, r, left_on="k", right_on="k2", how=how).groupby("k2").v.sum(),
    "steps before and after": steps_before_and_after,
    "groups with missing keys": lambda l, r, how, mg: mg(
        l, r, on="k", how=how).groupby("name", dropna=False).v.count(),
    "a column's sum": lambda l, r, how, mg: mg(
        l, r, on="k", how=how).w.sum(),
    "a frame's means": lambda l, r, how, mg: mg(
        l, r, on="k", how=how)[["v", "w", "x_y"]].mean(),
}


def compare(got, want, what):
    if isinstance(want, pd.DataFrame):
        pdt.assert_frame_equal(got, want, obj=what)
    elif isinstance(want, pd.Series):
        pdt.assert_series_equal(got, want, obj=what)
    else:
        assert got == pytest.approx(want, rel=1e-12, nan_ok=True), what


def shuffled(a, b, **kw):
    """dusk's merge as a shuffle join, whatever the sizes and how."""
    return a.merge(b, broadcast=False, **kw)


def plain(a, b, **kw):
    return a.merge(b, **kw)


@pytest.mark.parametrize("how", HOWS)
def test_aggregations_match_pandas(client, sides, bs, how):
    (l, r), (pl, pr) = both(sides, bs)
    for name, q in QUERIES.items():
        compare(q(l, r, how, shuffled).compute(), q(pl, pr, how, plain),
                f"{name} ({how})")
    assert len(shuffled(l, r, on="k", how=how)) == \
        len(pl.merge(pr, on="k", how=how))
    if how in ("right", "outer"):  # a shuffle join without being asked
        compare(QUERIES["sums by key"](l, r, how, plain).compute(),
                QUERIES["sums by key"](pl, pr, how, plain), how)


# Frames of merged rows, as functions of (left, right, how, merge): keys of
# every kind, steps before the merge and row-keeping steps after it.
ROWS = {
    "int key with nulls": lambda l, r, how, mg: mg(l, r, on="k", how=how),
    "text key": lambda l, r, how, mg: mg(
        l[["s", "v"]], r[["s", "w", "name"]], on="s", how=how),
    "two keys": lambda l, r, how, mg: mg(l, r, on=["k", "s"], how=how),
    "int against float key": lambda l, r, how, mg: mg(
        l, r, left_on="k", right_on="k2", how=how),
    # one key column of ints (no nulls) against floats: pandas' key is
    # float64 for right and outer (a right-only row's float), int64 else
    "int against float key, kept once": lambda l, r, how, mg: mg(
        l[["v", "s"]], r[["k2", "w"]].rename(columns={"k2": "v"}), on="v",
        how=how),
    "steps before and after": lambda l, r, how, mg: (lambda m: m.assign(
        t=m.v * 2 + m.w).rename(columns={"name": "who"})[
            ["t", "k", "who", "x_y"]].fillna({"who": "-"}))(
        mg(l[l.v > -50].assign(v2=lambda d: d.v + 1), r[r.w < 8], on="k",
           how=how)),
}


@pytest.mark.parametrize("how", HOWS)
def test_rows_match_pandas(client, sides, bs, how):
    """compute(), head(n) and tail(n) of a shuffle merge: pandas' rows in
    pandas 1.5's order - left: the left's rows, each with its matches in
    the right's order; right: the right's, each with its left matches;
    inner and outer: grouped by key, keys as they first appear on the
    left (outer: then those only the right has, as they first appear
    there) - labelled 0.. as pandas labels them."""
    (l, r), (pl, pr) = both(sides, bs)
    for name, q in ROWS.items():
        m, want = q(l, r, how, shuffled), q(pl, pr, how, plain)
        what = f"{name} ({how})"
        compare(m.compute(), want, what)
        # heads and tails of two kinds (each query is a whole shuffle:
        # kept few for the sanitizer pass)
        ns = {"int key with nulls": (1, 7, 300),
              "steps before and after": (7,)}.get(name, ())
        for n in ns:
            compare(m.head(n), want.head(n), f"{what}: head({n})")
            compare(m.tail(n), want.tail(n), f"{what}: tail({n})")
    # unasked: right and outer always shuffle, an inner merge's rows too
    want = pl.merge(pr, on="k", how=how)
    compare(l.merge(r, on="k", how=how).head(50), want.head(50), how)


@pytest.mark.parametrize("how", HOWS)
def test_to_csv_matches_pandas(client, sides, bs, how, tmp_path):
    """to_csv of a shuffle merge: a count round of the joins, cuts of the
    merge's order into runs of equal rows, the joins again with their rows
    cut by run, a file per run: the files, read in order, are pandas'
    to_csv of the merged frame byte for byte - rows in pandas' order,
    labelled by their places, also after a filter (labels kept).  pandas
    reads the files with float_precision="round_trip", dusk's parse (its
    default parser can be an ulp off, which a file's text shows)."""
    (l, r), _ = both(sides, bs)
    pl, pr = (pd.read_csv(p, float_precision="round_trip") for p in sides)
    queries = dict(ROWS)
    queries["a filter after the merge"] = lambda l, r, how, mg: (
        lambda m: m[(m.v > 20) | m.w.isna()])(mg(l, r, on="k", how=how))
    for i, (name, q) in enumerate(queries.items()):
        d = tmp_path / f"out{i}"
        files = q(l, r, how, shuffled).to_csv(str(d))
        want = q(pl, pr, how, plain)
        assert files == sorted(files) and len(files) >= 2, name
        assert sorted(os.listdir(d)) == [os.path.basename(f) for f in files]
        assert written(files) == want.to_csv(), f"{name} ({how})"
        if name == "int key with nulls":
            # runs of equal rows: no file holds more than one row over
            # another, whatever a key's group spans
            sizes = [len(pd.read_csv(f)) for f in files]
            assert max(sizes) - min(sizes) <= 1, sizes
    if how == "inner":
        # the default inner merge of a small right side writes the same
        # way: its order is the shuffle join's
        files = plain(l, r, on="k").to_csv(str(tmp_path / "auto"))
        assert written(files) == pl.merge(pr, on="k").to_csv()


# Row-dropping steps after a shuffle merge, as functions of the merged
# frame m (dusk's or pandas'): pandas keeps each surviving row's label,
# its place in the whole merge.
FILTERS = {
    "a filter": lambda m: m[m.v > 20],
    "a filter on the right's column": lambda m: m[(m.w % 3 == 0) | (m.v < -90)],
    "dropna": lambda m: m.dropna(),
    "dropna of a subset, then a query": lambda m: m.dropna(
        subset=["name"]).query("v < 0"),
    "a filter that keeps nothing": lambda m: m[m.v > 1000],
    "a filter, an assign, a filter": lambda m: (lambda f: f[f.t > 3])(
        m[m.w > 2].assign(t=lambda d: d.w * 2)),
}


@pytest.mark.parametrize("how", HOWS)
def test_rows_after_a_filter_match_pandas(client, sides, bs, how):
    """Rows a filter or dropna after a shuffle merge keeps, with their
    labels in the whole merge as pandas gives them: the parts send the
    sizes of their order groups and the final counts the rows a survivor
    follows.  compute(), head(n) and tail(n), on one and two keys."""
    (l, r), (pl, pr) = both(sides, bs)
    for on in ("k", ["k", "s"]):
        m = shuffled(l, r, on=on, how=how)
        pm = pl.merge(pr, on=on, how=how)
        for name, f in FILTERS.items():
            what = f"{name} (on={on}, {how})"
            got, want = f(m), f(pm)
            compare(got.compute(), want, what)
            if name == "a filter":
                for n in (1, 9, 400):
                    compare(got.head(n), want.head(n), f"{what}: head({n})")
                    compare(got.tail(n), want.tail(n), f"{what}: tail({n})")
                assert len(got) == len(want), what


@pytest.mark.parametrize("how", HOWS)
def test_order_bound_aggregations_match_pandas(client, sides, bs, how):
    """Aggregations whose answer hangs on where rows are in the merge:
    groupby first / last (the first non-null in the merge's row order)
    and value_counts (ties in order of first appearance), also after a
    filter - each row ordered by its (order group, place) across the
    parts."""
    (l, r), (pl, pr) = both(sides, bs)
    m, pm = shuffled(l, r, on="k", how=how), pl.merge(pr, on="k", how=how)
    queries = {
        "first / last by key": lambda d: d.groupby("k").agg(
            {"v": ["first", "last"], "name": "first", "x_y": "last"}),
        "first by a right column": lambda d: d.groupby("w")[
            ["v", "s_x"]].first(),
        "last after a filter": lambda d: d[d.v > 0].groupby("s_y").v.last(),
        "value_counts of a left column": lambda d: d.s_x.value_counts(),
        "value_counts of a right column": lambda d: d.w.value_counts(),
        "value_counts with nulls": lambda d: d.name.value_counts(
            dropna=False),
        "value_counts normalized, filtered": lambda d: d[
            d.v % 2 == 0].k.value_counts(normalize=True),
        "value_counts of two keys": lambda d: d.groupby("w").s_y.
        value_counts(),
        "a text column's describe (top: ties by first row)": lambda d:
        d.s_x.describe(),
    }
    for name, q in queries.items():
        compare(q(m).compute(), q(pm), f"{name} ({how})")
    # the same with split_out: the joins' partials cut by the groups' hash
    # into parts merged apart, each group keeping its first rows' places
    split = {
        "first / last / sum by key": lambda d, **kw: d.groupby("k").agg(
            {"v": ["first", "last", "sum"], "name": "first"}, **kw),
        "value_counts with nulls": lambda d, **kw: d.name.value_counts(
            dropna=False, **kw),
        "value_counts of many values": lambda d, **kw: d.v.value_counts(
            **kw),
        "a groupby's value_counts": lambda d, **kw: d.groupby(
            "w").s_y.value_counts(**kw),
    }
    for name, q in split.items():
        compare(q(m, split_out=3).compute(), q(pm),
                f"{name}, split_out=3 ({how})")


@pytest.mark.parametrize("how", HOWS)
def test_quantiles_and_describe_match_pandas(client, sides, bs, how):
    """Exact quantiles of a shuffle merge: two rounds of the joins (the
    first summarises, the second counts in the bounds' windows) over the
    same picks - also after a filter, of a right column with right-only
    nulls, and a whole frame's describe()."""
    (l, r), (pl, pr) = both(sides, bs)
    m, pm = shuffled(l, r, on="k", how=how), pl.merge(pr, on="k", how=how)
    queries = {
        "describe": lambda d: d.describe(),
        "describe of a selection, filtered": lambda d: d[d.v > 10][
            ["w", "x_x"]].describe(percentiles=[0.1, 0.33]),
        "a column's median": lambda d: d.w.median(),
        "a column's quantiles": lambda d: d.x_y.quantile([0.05, 0.5, 0.99]),
        "a frame's quantile": lambda d: d[["v", "w"]].quantile(0.7),
        "after a derived column": lambda d: d.assign(
            t=d.v * 2 + d.w).t.quantile(0.25),
    }
    for name, q in queries.items():
        got = q(m)
        compare(got.compute() if hasattr(got, "compute") else got, q(pm),
                f"{name} ({how})")


@pytest.mark.parametrize("how", HOWS)
def test_drop_duplicates_match_pandas(client, sides, bs, how):
    """drop_duplicates keeps each key's first row in the merge's order:
    a join meets a key's rows out of that order (inner and outer groups
    by key, right by right row), so it keeps the best (group, place) so
    far, and the combines and the final keep the first again across the
    parts; the rows keep their labels in the whole merge."""
    (l, r), (pl, pr) = both(sides, bs)
    m, pm = shuffled(l, r, on="k", how=how), pl.merge(pr, on="k", how=how)
    queries = {
        "whole rows": lambda d: d.drop_duplicates(),
        "a left column": lambda d: d.drop_duplicates("s_x"),
        "a right column": lambda d: d.drop_duplicates(["w"]),
        "columns of both sides": lambda d: d.drop_duplicates(["s_y", "v"]),
        "the key and a right column": lambda d: d.drop_duplicates(
            ["k", "name"]),
        "after a filter": lambda d: d[d.v > 0].drop_duplicates(["w"]),
        "its head": lambda d: d.drop_duplicates(["s_x", "w"]).head(7),
    }
    for name, q in queries.items():
        got = q(m)
        compare(got.compute() if hasattr(got, "compute") else got, q(pm),
                f"{name} ({how})")
    assert len(m.drop_duplicates(["s_x", "w"])) == \
        len(pm.drop_duplicates(["s_x", "w"]))
    # the default inner merge of a small right side: its rows' order is
    # the shuffle join's, so drop_duplicates runs as one too
    if how == "inner":
        compare(plain(l, r, on="k").drop_duplicates("w").compute(),
                pl.merge(pr, on="k").drop_duplicates("w"), "inner, auto")


@pytest.mark.parametrize("how", HOWS)
def test_sorted_rows_match_pandas(client, sides, bs, how):
    """sort_values(by).head(n), nlargest and nsmallest of a shuffle merge:
    each part keeps its best n by the keys, then (order group, place),
    so ties fall in the merge's row order (kind="stable"), and the rows
    keep their labels in the whole merge.  A whole sort_values and
    set_index of it: gathered in the merge's order, then sorted."""
    (l, r), (pl, pr) = both(sides, bs)
    m, pm = shuffled(l, r, on="k", how=how), pl.merge(pr, on="k", how=how)
    for n in (1, 25, 5000):
        for by, asc in (("v", True), (["w", "s_x"], [False, True]),
                        ("x_y", False)):
            compare(m.sort_values(by, ascending=asc).head(n),
                    pm.sort_values(by, ascending=asc, kind="stable").head(n),
                    f"sort_values({by}).head({n}) ({how})")
    # the whole frame sorted (gathered, then pandas' sort) and set_index:
    # the merge's rows in its order and labels first
    compare(m.sort_values(["w", "s_x"], ascending=[False, True]).compute(),
            pm.sort_values(["w", "s_x"], ascending=[False, True]), how)
    compare(m[m.v > 0].sort_values("x_y").compute(),
            pm[pm.v > 0].sort_values("x_y"), how)
    compare(m.set_index("v").compute(),
            pm.set_index("v").sort_index(kind="stable"), how)
    compare(m.nlargest(7, "w").compute(), pm.nlargest(7, "w"), how)
    compare(m[m.v < 0].nsmallest(7, ["x_x", "v"]).compute(),
            pm[pm.v < 0].nsmallest(7, ["x_x", "v"]), how)


@pytest.mark.parametrize("how", HOWS)
def test_sorted_to_csv_matches_pandas(client, sides, bs, how, tmp_path):
    """A sort of a shuffle merge written by to_csv: the joins' rows
    range-partitioned as a frame's scans' are, each file's rows labelled
    by their places in the whole merge (every join's group lists reach
    every part), ties in the merge's order: the files, read in order, are
    pandas' stable sort's to_csv byte for byte - also after a filter, and
    a set_index (the index written first)."""
    (l, r), _ = both(sides, bs)
    pl, pr = (pd.read_csv(p, float_precision="round_trip") for p in sides)
    m, pm = shuffled(l, r, on="k", how=how), pl.merge(pr, on="k", how=how)
    cases = {
        "two keys": (
            lambda f: f.sort_values(["w", "s_x"], ascending=[False, True]),
            lambda f: f.sort_values(["w", "s_x"], ascending=[False, True],
                                    kind="stable")),
        "after a filter": (
            lambda f: f[f.v > 0].sort_values("x_y"),
            lambda f: f[f.v > 0].sort_values("x_y", kind="stable")),
        "set_index": (
            lambda f: f.set_index("v"),
            lambda f: f.set_index("v").sort_index(kind="stable")),
    }
    for i, (name, (ours, theirs)) in enumerate(cases.items()):
        files = ours(m).to_csv(str(tmp_path / f"out{i}"))
        assert len(files) >= 2, name
        assert written(files) == theirs(pm).to_csv(), f"{name} ({how})"


@pytest.mark.parametrize("how", HOWS)
def test_divisions_match_pandas(client, sides, bs, how, tmp_path):
    """A set_index's divisions of a shuffle merge: each join samples its
    rows as a scan does, with their exact least and greatest index; the
    partitions cut there and the files to_csv writes per partition are
    pandas' sorted set_index cut at the same bounds."""
    (l, r), _ = both(sides, bs)
    pl, pr = (pd.read_csv(p, float_precision="round_trip") for p in sides)
    m, pm = shuffled(l, r, on="k", how=how), pl.merge(pr, on="k", how=how)
    s = m.set_index("v", npartitions=3)
    divs = s.divisions
    values = pm.v.dropna()
    assert divs[0] == values.min() and divs[-1] == values.max(), divs
    assert list(divs) == sorted(divs) and s.npartitions == len(divs) - 1
    want = pm.set_index("v").sort_index(kind="stable", na_position="last")
    pdt.assert_frame_equal(s.get_partition(0).compute(),
                           partition(want, divs, 0))
    files = s.to_csv(str(tmp_path / "out"))
    assert len(files) == s.npartitions
    for i, f in enumerate(files):
        with open(f, newline="") as fh:
            assert fh.read() == partition(want, divs, i).to_csv(), (how, i)


def test_text_sums(client, tmp_path):
    """pandas sums a text column by joining its strings in the frame's
    row order, which a shuffle merge's parts do not share: refused where
    strings would be joined (it was silently in the parts' order), and
    as pandas where they are not - a column with a missing value left out
    of a whole frame's sum (or its sum refused, as pandas raises)."""
    lp, rp = tmp_path / "l.csv", tmp_path / "r.csv"
    lp.write_text("k,a,t\n" + "".join(f"{i % 9},{i},x{i}\n"
                                      for i in range(400)))
    rp.write_text("k,b,u\n" + "".join(
        f"{i % 11},{i},{'' if i % 5 == 0 else f'y{i}'}\n" for i in range(60)))
    l, r = dd.read_csv(str(lp), blocksize="1KB"), dd.read_csv(str(rp))
    pl, pr = pd.read_csv(lp), pd.read_csv(rp)
    for how in HOWS:
        m, pm = shuffled(l, r, on="k", how=how), pl.merge(pr, on="k", how=how)
        if how in ("inner", "left"):  # t without a missing value
            for run in (lambda: m.t.sum().compute(),
                        lambda: m[["a", "t"]].sum().compute()):
                with pytest.raises(dusk.DuskError, match=r"sum of the text "
                                   r"column 't' of a shuffle merge"):
                    run()
        else:  # right-only rows leave t missing: as pandas
            with pytest.raises(dusk.DuskError, match="missing value"):
                m.t.sum().compute()
            with pytest.warns(FutureWarning):
                want = pm[["a", "t"]].sum()
            with pytest.warns(FutureWarning):
                compare(m[["a", "t"]].sum().compute(), want, how)
        # u holds a missing value: pandas leaves it out of a frame's sum
        with pytest.warns(FutureWarning):
            want = pm[["b", "u"]].sum()
        with pytest.warns(FutureWarning):
            compare(m[["b", "u"]].sum().compute(), want, how)


def test_rows_of_many_to_many_keys(client, tmp_path):
    """Keys repeated hundreds of times on both sides (the expanding join),
    across many left partitions, against pandas, all four ways."""
    lp, rp = tmp_path / "l.csv", tmp_path / "r.csv"
    rnd = random.Random(11)
    lp.write_text("k,a\n" + "".join(
        f"{rnd.choice(['x', 'y', 'z', 'q', ''])},{i}\n" for i in range(2000)))
    rp.write_text("k,b\n" + "".join(
        f"{rnd.choice(['y', 'x', 'w', ''])},{i}\n" for i in range(150)))
    l, r = dd.read_csv(str(lp), blocksize="2KB"), dd.read_csv(str(rp))
    pl, pr = pd.read_csv(lp), pd.read_csv(rp)
    for how in HOWS:
        m, want = l.merge(r, on="k", how=how), pl.merge(pr, on="k", how=how)
        compare(m.compute(), want, how)
        compare(m.head(1000), want.head(1000), how)
        compare(m.tail(5), want.tail(5), how)
        # a filter inside groups of hundreds of rows: labels skip the rest
        f, fw = m[(m.a + m.b) % 7 == 0], want[(want.a + want.b) % 7 == 0]
        compare(f.compute(), fw, f"{how}, filtered")
        compare(f.tail(30), fw.tail(30), f"{how}, filtered")


def test_a_key_with_more_rows_than_a_batch(client, tmp_path):
    """A right-only key (and the null key) with more right rows than a
    batch holds (16384), and a left key matching as many: the rows no
    left row met go on a batch at a time - all four ways, against
    pandas."""
    lp, rp = tmp_path / "l.csv", tmp_path / "r.csv"
    lp.write_text("k,a\n" + "".join(f"{k},{i}\n" for i, k in enumerate(
        ["x", "y", "x", "", "w"] * 3)))
    rp.write_text("k,b\n" + "".join(
        f"{'z' if i % 3 else ('' if i % 2 else 'x')},{i}\n"
        for i in range(60000)))
    l, r = dd.read_csv(str(lp)), dd.read_csv(str(rp), blocksize="256KB")
    pl, pr = pd.read_csv(lp), pd.read_csv(rp)
    for how in HOWS:
        m, want = l.merge(r, on="k", how=how, broadcast=False), \
            pl.merge(pr, on="k", how=how)
        assert len(m) == len(want), how
        compare(m.groupby("k", dropna=False).b.agg(["sum", "count"])
                .compute(), want.groupby("k", dropna=False).b.agg(
                    ["sum", "count"]), how)
        compare(m.tail(20), want.tail(20), how)


def test_right_only_rows_make_pandas_dtypes(client, tmp_path, bs):
    """Right rows no left row meets hold missing values in the left's
    columns: an int column there is float64 and a bool one object, as
    pandas makes them, and an on= key kept once takes the right's value."""
    lp, rp = tmp_path / "l.csv", tmp_path / "r.csv"
    lp.write_text("k,n,flag\n" + "".join(
        f"{i % 7},{i},{'True' if i % 2 else 'False'}\n" for i in range(400)))
    rp.write_text("k,m\n" + "".join(f"{i % 11},{i}\n" for i in range(300)))
    l, r = read(str(lp), bs), read(str(rp), bs)
    pl, pr = pd.read_csv(lp), pd.read_csv(rp)
    for how in HOWS:
        got = l.merge(r, on="k", how=how, broadcast=False)
        want = pl.merge(pr, on="k", how=how)
        compare(got.groupby("k")[["n", "m"]].sum().compute(),
                want.groupby("k")[["n", "m"]].sum(), how)
        compare(got.groupby("k").n.max().compute(),
                want.groupby("k").n.max(), how)
        compare(got.groupby("m").flag.count().compute(),
                want.groupby("m").flag.count(), how)
        compare(got.n.min().compute(), want.n.min(), how)
        # filled and cast back to int: int64, as pandas (no null is left)
        compare(got.n.fillna(0).astype("int64").compute(),
                want.n.fillna(0).astype("int64"), how)


def test_a_derived_key_kept_once_keeps_its_dtype(client, tmp_path, bs):
    """An on= key an assign makes on the left (k2 = k * 1), kept once by
    a right / outer merge: the right-only rows give it the right's keys,
    so it is int64 as in pandas while k itself turns float64 - unless the
    left file's k has an empty field, which makes k2 float64 before the
    merge.  (The join's null marks for k once reached k2 through its
    expression, and k2 came back float64.)"""
    lp, np_, rp = tmp_path / "l.csv", tmp_path / "ln.csv", tmp_path / "r.csv"
    lp.write_text("k,v\n" + "".join(f"{i % 9},{i}\n" for i in range(300)))
    np_.write_text("k,v\n" + "".join(
        f"{'' if i % 37 == 5 else i % 9},{i}\n" for i in range(300)))
    rp.write_text("k2,w\n" + "".join(f"{i % 14},{i}\n" for i in range(200)))
    r, pr = read(str(rp), bs), pd.read_csv(rp)
    for path in (lp, np_):
        l, pl = read(str(path), bs), pd.read_csv(path)
        for how in HOWS:
            what = f"{path.name} {how}"
            got = l.assign(k2=l.k * 1).merge(r, on="k2", how=how,
                                             broadcast=False)
            want = pl.assign(k2=pl.k * 1).merge(pr, on="k2", how=how)
            assert dict(got.compute().dtypes) == dict(want.dtypes), what
            compare(got.groupby("k2")[["v", "w"]].sum().compute(),
                    want.groupby("k2")[["v", "w"]].sum(), what)
            compare(got.k2.value_counts().sort_index().compute(),
                    want.k2.value_counts().sort_index(), what)
            # after a filter on the left, as the scans report it
            lf, plf = l[l.v > 100], pl[pl.v > 100]
            got = lf.assign(k2=lf.k * 1).merge(r, on="k2", how=how,
                                               broadcast=False)
            want = plf.assign(k2=plf.k * 1).merge(pr, on="k2", how=how)
            compare(got.groupby("k2").w.sum().compute(),
                    want.groupby("k2").w.sum(), what + " filtered")

def test_refusals(client, sides, tmp_path):
    (l, r), _ = both(sides, None)
    m = l.merge(r, on="k", how="outer")
    # rows after a sample, or what goes by their places (first / last,
    # value_counts' ties): it keeps a row by its place in the merge
    for run in (lambda: m.sample(frac=0.5).compute(),
                lambda: m[m.v > 0].sample(frac=0.5, random_state=1).head(),
                lambda: m.sample(frac=0.5).w.value_counts().compute(),
                lambda: m.sample(frac=0.5).groupby("k").v.first().compute(),
                lambda: m.sample(frac=0.5).nlargest(3, "v").compute(),
                lambda: m.sample(frac=0.5).drop_duplicates("w").compute(),
                lambda: m.sample(frac=0.5).to_csv(str(tmp_path / "smp"))):
        with pytest.raises(dusk.DuskError, match=r"of a shuffle merge "
                           r"\(how=\"outer\"\) after a sample.*"
                           r"sample the frames before the merge"):
            run()
    assert 0 < len(m.sample(frac=0.5)) < len(m)  # an order-free count
    # a frame's meta (head(0)) is not refused: columns and dtypes - also
    # of a selection, whose unselected right columns the shuffle leaves
    # unread (the meta's broadcast join of no rows once missed them)
    want = pd.read_csv(sides[0]).merge(pd.read_csv(sides[1]), on="k",
                                       how="outer")
    assert list(m.columns) == list(want.columns)
    for cols in (["v", "w"], ["s_y"], ["v", "name"]):
        assert list(m[cols].dtypes.index) == cols
        assert list(m[cols].head(0).columns) == cols
    with pytest.raises(dusk.DuskError, match="with broadcast=True"):
        len(l.merge(r, on="k", how="outer", broadcast=True))
    with pytest.raises(NotImplementedError, match="broadcast is True"):
        l.merge(r, on="k", broadcast=0.5)


def test_cli(sides):
    """The CLI's merge(..., how="outer") and broadcast=False."""
    import json
    import subprocess
    lp, rp = sides
    for how, extra in (("outer", ""), ("inner", ", broadcast=False")):
        out = subprocess.run(
            [os.path.join(os.environ["DUSK_BIN"], "dusk"), "query",
             "--workers", "2", "--format", "json",
             f'read_csv("{lp}", blocksize="2KB").merge(read_csv("{rp}"), '
             f'on="k", how="{how}"{extra}).groupby("w")["v"].sum()'],
            capture_output=True, text=True, timeout=120, check=True)
        got = {r["w"]: r["v"] for r in json.loads(out.stdout)}
        want = pd.read_csv(lp).merge(pd.read_csv(rp), on="k",
                                     how=how).groupby("w").v.sum()
        assert got == dict(want.items()), how


def test_worker_killed_mid_shuffle(sides):
    """A worker SIGKILLed while it holds scans' rows and parts of the
    shuffle: what it held is recomputed from lineage and the answer stays
    pandas'.  A second worker is stopped meanwhile, so the query cannot
    finish before the kill."""
    lp, rp = sides
    with dusk.LocalCluster(n_workers=3) as cluster, \
            dusk.Client(cluster) as c, \
            dusk.Client(cluster, set_as_default=False) as watch:
        q = read(lp, "2KB").merge(read(rp, "1KB"), on="k", how="outer") \
            .groupby("w")[["v", "x_x"]].sum()
        want = pd.read_csv(lp).merge(pd.read_csv(rp), on="k", how="outer") \
            .groupby("w")[["v", "x_x"]].sum()
        victim = watch.scheduler_info()["workers"][1]["pid"]
        got = while_a_worker_is_stopped(
            watch, lambda: q.compute(client=c),
            until=lambda: holds_keys(watch, victim, 3),
            then=lambda: os.kill(victim, signal.SIGKILL))
        pdt.assert_frame_equal(got, want)
        pdt.assert_frame_equal(q.compute(client=c), want)


def test_shuffle_spills_past_a_tiny_memory_limit(tmp_path):
    """Workers of 1 MB: the scans' rows, the splits, the picks and the
    right parts go to disk past 70% of the limit (seen while the query
    waits on a stopped worker) and are read back for the joins; the
    answer is pandas' and nothing is left in the spill directory."""
    import time
    lp, rp = tmp_path / "l.csv", tmp_path / "r.csv"
    rnd = random.Random(5)
    with open(lp, "w") as f:
        f.write("k,v,name\n")
        for i in range(30000):
            f.write(f"{rnd.randint(0, 499)},{rnd.randint(-9, 9)},"
                    f"n{rnd.randint(0, 999)}\n")
    with open(rp, "w") as f:
        f.write("k,w\n")
        for i in range(8000):
            f.write(f"{rnd.randint(200, 799)},{rnd.randint(0, 5)}\n")
    spill = tmp_path / "spill"
    spill.mkdir()

    def spilled():
        return spill_files(spill)
    want = pd.read_csv(lp).merge(pd.read_csv(rp), on="k", how="outer") \
        .groupby("w")[["v", "k"]].sum()
    with dusk.LocalCluster(n_workers=3, memory_limit="1MB",
                           local_directory=spill) as cluster, \
            dusk.Client(cluster), \
            dusk.Client(cluster, set_as_default=False) as watch:
        got = while_a_worker_is_stopped(
            watch, lambda: read(str(lp), "32KB").merge(
                read(str(rp), "16KB"), on="k", how="outer")
            .groupby("w")[["v", "k"]].sum().compute(),
            until=spilled)
        pdt.assert_frame_equal(got, want)
        end = time.monotonic() + 10
        while spilled() and time.monotonic() < end:
            time.sleep(0.05)
        assert not spilled()
