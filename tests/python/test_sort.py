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
import signal
import time

import pandas as pd
import pandas.testing as pdt
import pytest

import dusk
import dusk.dataframe as dd
from conftest import (BLOCKSIZE_IDS, BLOCKSIZES, holds_keys, spill_files,
                      while_a_worker_is_stopped, written)


@pytest.fixture(params=BLOCKSIZES, ids=BLOCKSIZE_IDS)
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
    with pytest.raises(NotImplementedError, match="before the sort_values"):
        df.sort_values("k").groupby("x").size()
    with pytest.raises(Exception, match="nope"):
        df.sort_values("nope").compute()


# ---- sort_values(...).to_csv(dir): range-partitioned ------------------------

WRITES = {
    "int_nulls": lambda d: d.sort_values("k"),
    "int_desc": lambda d: d.sort_values("k", ascending=False),
    "float_nan": lambda d: d.sort_values("f", ascending=False),
    "text": lambda d: d.sort_values("name"),
    "bool": lambda d: d.sort_values("flag"),
    "datetime": lambda d: d.sort_values("t"),
    "two_keys": lambda d: d.sort_values(["name", "x"],
                                        ascending=[False, True]),
    "after_filter": lambda d: d[d.x > 0].sort_values("u"),
    "derived": lambda d: d.assign(y=d.x * d.x - d.k).sort_values("y"),
}



@pytest.mark.parametrize("name", sorted(WRITES))
def test_sorted_to_csv_like_pandas(client, data, bs, name, tmp_path):
    """The files in order are pandas' sorted frame written by its to_csv,
    byte for byte (ties in file order: kind="stable")."""
    q = WRITES[name]
    files = q(read(data, bs)).to_csv(str(tmp_path / "out"))
    assert files == sorted(files) and len(files) >= 2
    # (round_trip: pandas' default float parser can be an ulp off the
    # text, which its to_csv then writes in 17 digits)
    want = q(pd.read_csv(data, parse_dates=["t"],
                         float_precision="round_trip"))
    by, asc = STABLE[name]
    # dusk writes ties in file order: pandas' kind="stable" of the same
    stable = want.sort_index().sort_values(by, ascending=asc, kind="stable")
    assert written(files) == stable.to_csv()


# the sort keys of WRITES, for pandas' stable sort of the same rows
STABLE = {"int_nulls": ("k", True), "int_desc": ("k", False),
          "float_nan": ("f", False), "text": ("name", True),
          "bool": ("flag", True), "datetime": ("t", True),
          "two_keys": (["name", "x"], [False, True]),
          "after_filter": ("u", True), "derived": ("y", True)}


def test_sorted_to_csv_parts_are_balanced(client, data, tmp_path):
    """The cuts come from the data: on a key of many values no part holds
    more than three times its share, and the graph is the range shuffle
    (samples, cuts, one split per scan, picks)."""
    report = tmp_path / "r.html"
    with dusk.performance_report(filename=report):
        files = read(data, "16KB").sort_values("u").to_csv(
            str(tmp_path / "out"))
    sizes = [len(pd.read_csv(f)) for f in files]
    assert sum(sizes) == 5000 and len(files) == 16
    assert max(sizes) <= 3 * 5000 / len(files), sizes
    html = report.read_text()
    for op in ("df_sample", "df_cuts", "df_split", "df_pick", "df_gather"):
        assert f'data-op="{op}"' in html, op
    # up to 64 scans each part's final merges its picks itself: a combine
    # would only copy the part's rows once more
    assert 2 <= html.count('data-op="df_scan"') <= 64
    assert 'data-op="df_combine"' not in html


def test_sorted_to_csv_of_many_scans_combines_first(client, data, tmp_path):
    """Past 64 scans a part's picks go through a combine tree (bounding a
    task's inputs), with the same files."""
    report = tmp_path / "r.html"
    with dusk.performance_report(filename=report):
        files = read(data, "1KB").sort_values("u").to_csv(
            str(tmp_path / "out"))
    html = report.read_text()
    assert html.count('data-op="df_scan"') > 64
    assert 'data-op="df_combine"' in html
    want = pd.read_csv(data, parse_dates=["t"], float_precision="round_trip")
    assert written(files) == want.sort_values("u", kind="stable").to_csv()


def test_sorted_to_csv_one_value(client, tmp_path):
    """Every key equal: one part holds every row (equal keys share a part),
    the others are written empty (a header), and the whole is still the
    frame in file order."""
    path = tmp_path / "same.csv"
    pd.DataFrame({"k": [7] * 300, "v": range(300)}).to_csv(path, index=False)
    files = dd.read_csv(str(path), blocksize="1KB").sort_values("k").to_csv(
        str(tmp_path / "out"))
    assert written(files) == pd.read_csv(path).sort_values(
        "k", kind="stable").to_csv()
    assert sorted(len(pd.read_csv(f)) for f in files)[-1] == 300


def test_sorted_to_csv_one_range(client, tmp_path):
    """A file of one range still goes through two parts."""
    path = tmp_path / "small.csv"
    pd.DataFrame({"k": [3, 1, 2, None, 1], "v": list("abcde")}).to_csv(
        path, index=False)
    files = dd.read_csv(str(path)).sort_values("k", ascending=False).to_csv(
        str(tmp_path / "out"))
    assert len(files) == 2
    assert written(files) == pd.read_csv(path).sort_values(
        "k", ascending=False, kind="stable").to_csv()


def test_worker_killed_mid_sorted_write(data, tmp_path):
    """A worker SIGKILLed while it holds the range shuffle's partials,
    splits and picks (a second worker stopped meanwhile, so the query
    cannot have finished): what it held is recomputed from lineage and
    the files are still pandas' sorted frame."""
    with dusk.LocalCluster(n_workers=3) as cluster, \
            dusk.Client(cluster), \
            dusk.Client(cluster, set_as_default=False) as watch:
        # (to_csv runs on c, the default client)
        q = read(data, "4KB").sort_values("u")
        want = pd.read_csv(data, parse_dates=["t"],
                           float_precision="round_trip").sort_values(
                               "u", kind="stable").to_csv()
        victim = watch.scheduler_info()["workers"][1]["pid"]
        files = while_a_worker_is_stopped(
            watch, lambda: q.to_csv(str(tmp_path / "out")),
            until=lambda: holds_keys(watch, victim, 3),
            then=lambda: os.kill(victim, signal.SIGKILL))
        assert written(files) == want


def test_sorted_write_spills_past_a_tiny_memory_limit(tmp_path):
    """Workers of 1 MB: the shuffle's partials, splits and picks go to
    disk past 70% of the limit (seen while the query waits on a stopped
    worker), are read back for the tasks that need them, and the files
    are pandas' sorted frame; nothing is left in the spill directory."""
    big = tmp_path / "big.csv"
    rnd = random.Random(3)
    with open(big, "w") as f:
        f.write("k,name,u\n")
        for i in range(30000):
            f.write(f"{rnd.randint(0, 99)},n{rnd.randint(0, 999)},"
                    f"{rnd.random()!r}\n")
    spill = tmp_path / "spill"
    spill.mkdir()

    def spilled():
        return spill_files(spill)
    with dusk.LocalCluster(n_workers=3, memory_limit="1MB",
                           local_directory=spill) as cluster, \
            dusk.Client(cluster), \
            dusk.Client(cluster, set_as_default=False) as watch:
        files = while_a_worker_is_stopped(
            watch, lambda: dd.read_csv(str(big), blocksize="32KB")
            .sort_values(["k", "u"]).to_csv(str(tmp_path / "out")),
            until=spilled)
        assert written(files) == pd.read_csv(
            big, float_precision="round_trip").sort_values(
                ["k", "u"]).to_csv()
        end = time.monotonic() + 10
        while spilled() and time.monotonic() < end:
            time.sleep(0.05)
        assert not spilled()
