"""sort_values of a whole frame, computed: every row gathered by the final
task and sorted there, in pandas 1.5's exact order - by one column its
default kind="quicksort" leaves ties where numpy 1.24's quicksort does
(df/npsort.c replays it), by several columns (or kind="stable") ties keep
file order.  Checked against pandas at partition sizes of 1 KB, 64 KB and
the default, on keys with many ties and nulls of every kind (int, float
with NaN, text, bool, datetime), after filters and with steps after the
sort; and the same tie order for sorts of computed results (groupby
sizes).  head(n) after a sort stays a top-k (ties in file order)."""
import os
import random

import pandas as pd
import pandas.testing as pdt
import pytest

import dusk.dataframe as dd

BLOCKSIZES = [os.environ.get("DUSK_TEST_SMALL_BLOCKSIZE", "1KB"), "64KB",
              None]


@pytest.fixture(params=BLOCKSIZES, ids=["small", "64KB", "default"])
def bs(request):
    return request.param


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """k (int, few values, nulls), f (float, NaN), name (text with commas,
    quotes and newlines, nulls), flag (bool), t (datetime, NaT), x (int
    without nulls), u (unique float)."""
    rnd = random.Random(29)
    path = tmp_path_factory.mktemp("sort") / "d.csv"
    with open(path, "w", newline="") as f:
        f.write("k,f,name,flag,t,x,u\n")
        for i in range(5000):
            k = "" if i % 17 == 4 else str(rnd.randint(0, 12))
            fv = "" if i % 29 == 1 else str(rnd.choice([0.5, -2.0, 7.25]))
            name = rnd.choice(["a", "b, c", 'q"r', "", "zz", "line\nbreak",
                               "ünï"])
            if any(ch in name for ch in ',"\n'):
                name = '"' + name.replace('"', '""') + '"'
            flag = rnd.choice(["True", "False"])
            t = "" if i % 31 == 2 else \
                f"2021-0{rnd.randint(1, 3)}-1{rnd.randint(0, 2)} 10:00:00"
            f.write(f"{k},{fv},{name},{flag},{t},{rnd.randint(-9, 9)},"
                    f"{rnd.random()!r}\n")
    return str(path)


def read(path, bs):
    kw = {"parse_dates": ["t"]}
    return dd.read_csv(path, blocksize=bs, **kw) if bs else \
        dd.read_csv(path, **kw)


CASES = {
    "int_ties": lambda d: d.sort_values("k"),
    "int_desc": lambda d: d.sort_values("k", ascending=False),
    "float_nan": lambda d: d.sort_values("f"),
    "float_nan_desc": lambda d: d.sort_values("f", ascending=False),
    "text": lambda d: d.sort_values("name"),
    "text_desc": lambda d: d.sort_values("name", ascending=False),
    "bool": lambda d: d.sort_values("flag"),
    "datetime": lambda d: d.sort_values("t", ascending=False),
    "unique": lambda d: d.sort_values("u"),
    "two_keys": lambda d: d.sort_values(["k", "name"],
                                        ascending=[False, True]),
    "stable": lambda d: d.sort_values("x", kind="stable"),
    "mergesort": lambda d: d.sort_values("x", ascending=False,
                                         kind="mergesort"),
    "after_filter": lambda d: d[d.x > 2].sort_values("k"),
    "then_select": lambda d: d.sort_values("x")[["name", "u"]],
    "then_tail": lambda d: d.sort_values("x").tail(9),
    "series": lambda d: d["x"].sort_values(),
    "series_desc": lambda d: d["f"].sort_values(ascending=False),
    "by_derived": lambda d: d.assign(y=d.x * d.x).sort_values("y"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sort_like_pandas(client, data, bs, name):
    q = CASES[name]
    got = q(read(data, bs))
    got = got.compute() if hasattr(got, "compute") else got  # tail: eager
    want = q(pd.read_csv(data, parse_dates=["t"]))
    if isinstance(want, pd.Series):
        pdt.assert_series_equal(got, want)
    else:
        pdt.assert_frame_equal(got, want)


def test_quicksort_ties_are_not_file_order(client, data):
    """The case the exact order matters for: numpy's quicksort moves tied
    rows, so a stable sort would give another (valid, but not pandas')
    frame."""
    pdf = pd.read_csv(data, parse_dates=["t"])
    quick = pdf.sort_values("x")
    assert not quick.index.equals(pdf.sort_values("x", kind="stable").index)
    got = read(data, "1KB").sort_values("x").compute()
    pdt.assert_index_equal(got.index, quick.index)


def test_result_sort_ties_like_pandas(client, data, bs):
    """A computed result's sort (a post step) orders ties as pandas too:
    many groups of equal sizes."""
    df = read(data, bs)
    pdf = pd.read_csv(data, parse_dates=["t"])
    got = df.groupby(["k", "x"]).size().sort_values().compute()
    want = pdf.groupby(["k", "x"]).size().sort_values()
    pdt.assert_series_equal(got, want)
    got = df.groupby("x").u.sum().sort_values(ascending=False).compute()
    pdt.assert_series_equal(got,
                            pdf.groupby("x").u.sum().sort_values(
                                ascending=False))


def test_head_after_sort_is_a_top_k(client, data):
    """sort_values(...).head(n) keeps its distributed top-k: on a unique
    key it is pandas' answer; ties come in file order (kind="stable")."""
    df = read(data, "1KB")
    pdf = pd.read_csv(data, parse_dates=["t"])
    pdt.assert_frame_equal(df.sort_values("u").head(8),
                           pdf.sort_values("u").head(8))
    pdt.assert_frame_equal(df.sort_values("k").head(8),
                           pdf.sort_values("k", kind="stable").head(8))


def test_refusals(client, data):
    df = read(data, None)
    with pytest.raises(ValueError, match="kind"):
        df.sort_values("k", kind="heapsort")
    with pytest.raises(NotImplementedError, match="range-partitioned"):
        df.sort_values("k").to_csv("/tmp/never-written")
    with pytest.raises(Exception, match="nope"):
        df.sort_values("nope").compute()
