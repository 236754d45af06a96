"""groupby(...).agg(..., split_out=n), Dask's way to many groups: the
groups are hash-partitioned into n parts, each merged and finished by a
task of its own, then gathered in key order.  Checked against the same
query without split_out and against pandas 1.5, at partition sizes of
1 KB, 64 KB and the default, on data with null keys (dropna=False too),
text, float and bool keys, every aggregate kind, many groups, as_index=
False and post steps; a column's and a groupby's value_counts(split_out=n)
too; and the
graph really is split (the performance report lists df_split and
df_gather tasks), by itself when the sample says the groups are many."""
import os
import random
import re
import signal

import pandas as pd
import pandas.testing as pdt
import pytest

import dusk
import dusk.dataframe as dd
from conftest import (BLOCKSIZE_IDS, BLOCKSIZES, holds_keys,
                      while_a_worker_is_stopped)


@pytest.fixture(params=BLOCKSIZES, ids=BLOCKSIZE_IDS)
def bs(request):
    return request.param


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """k (int, nulls), name (text, nulls), f (float key, nulls), flag
    (bool), id (many distinct values), x (int, nulls), y (float)."""
    rnd = random.Random(17)
    path = tmp_path_factory.mktemp("split") / "d.csv"
    with open(path, "w", newline="") as f:
        f.write("k,name,f,flag,id,x,y\n")
        for i in range(6000):
            k = "" if i % 19 == 3 else str(rnd.randint(0, 40))
            name = rnd.choice(["a", "b, c", 'q"r', "", "zz", "ünï"])
            if any(ch in name for ch in ',"'):
                name = '"' + name.replace('"', '""') + '"'
            fk = "" if i % 23 == 5 else str(rnd.choice([0.5, -1.25, 3.0]))
            flag = rnd.choice(["True", "False"])
            x = "" if i % 13 == 7 else str(rnd.randint(-100, 100))
            f.write(f"{k},{name},{fk},{flag},{rnd.randint(0, 3000)},{x},"
                    f"{rnd.uniform(-5, 5)!r}\n")
    return str(path)


def read(path, bs):
    return dd.read_csv(path, blocksize=bs) if bs else dd.read_csv(path)


CASES = {
    "count_int_key": lambda d, kw: d.groupby("k").count(**kw),
    "size_text_key_dropna": lambda d, kw: d.groupby("name", dropna=False)
    .size(**kw),
    "sum_two_keys": lambda d, kw: d.groupby(["k", "name"])[["x", "y"]]
    .sum(**kw),
    "float_key_mean": lambda d, kw: d.groupby("f", dropna=False)["y"]
    .mean(**kw),
    "bool_key_max": lambda d, kw: d.groupby("flag")[["x", "y"]].max(**kw),
    "many_groups_agg": lambda d, kw: d.groupby("id").agg(
        {"x": ["sum", "std", "nunique"], "y": ["median", "first"]}, **kw),
    "named": lambda d, kw: d.groupby(["id", "flag"]).agg(
        total=("x", "sum"), n=("y", "count"), **kw),
    "as_index_false": lambda d, kw: d.groupby("k", as_index=False)
    .x.sum(**kw),
    "then_top": lambda d, kw: d.groupby("id").size(**kw)
    .sort_values(ascending=False).head(7),
    # A column's value_counts: its values hash-partitioned, then sorted by
    # count in pandas' order (ties as pandas breaks them, from where each
    # value first appears) - the same answer as one tree.
    "vc_int_nulls": lambda d, kw: d.k.value_counts(**kw),
    "vc_int_keep_na": lambda d, kw: d.k.value_counts(dropna=False, **kw),
    "vc_text_keep_na": lambda d, kw: d.name.value_counts(dropna=False, **kw),
    "vc_float": lambda d, kw: d.f.value_counts(**kw),
    "vc_bool": lambda d, kw: d.flag.value_counts(**kw),
    "vc_many_values": lambda d, kw: d.id.value_counts(**kw),
    "vc_normalize": lambda d, kw: d.id.value_counts(normalize=True, **kw),
    "vc_then_head": lambda d, kw: d.x.value_counts(**kw).head(6),
    "vc_filtered": lambda d, kw: d[d.y > 0].id.value_counts(**kw),
    # a groupby's value_counts: its groups hash-partitioned (each whole in
    # a part, its values sorted by count there), gathered in group order
    "gvc_int_groups": lambda d, kw: d.groupby("k").name.value_counts(**kw),
    "gvc_many_values": lambda d, kw: d.groupby("flag").id.value_counts(
        **kw),
    "gvc_null_groups_and_values": lambda d, kw: d.groupby(
        "name", dropna=False).k.value_counts(dropna=False, **kw),
    "gvc_two_keys_normalize": lambda d, kw: d.groupby(
        ["flag", "f"]).k.value_counts(normalize=True, **kw),
    "gvc_then_head": lambda d, kw: d.groupby("k").x.value_counts(
        **kw).head(9),
}


def run(r):
    return r.compute() if hasattr(r, "compute") else r


def same(a, b):
    if isinstance(a, pd.DataFrame):
        pdt.assert_frame_equal(a, b)
    else:
        pdt.assert_series_equal(a, b)


@pytest.mark.parametrize("name", sorted(CASES))
def test_split_out_answers_as_one_tree_and_pandas(client, data, bs, name):
    q = CASES[name]
    df = read(data, bs)
    got = run(q(df, {"split_out": 5}))
    same(got, run(q(df, {})))
    want = q(pd.read_csv(data), {})
    if name == "then_top":  # sizes tie: pandas' order among them is its own
        assert list(got.values) == list(want.values)
        return
    same(got, want)


def test_split_out_drops_a_column_one_group_cannot_take(client, tmp_path):
    """pandas' groupby.min() drops a text column from the whole answer when
    one group holds text and a missing value; with split_out only the part
    holding that group leaves it out, and the gather keeps what every part
    has (it failed on the mismatch)."""
    path = tmp_path / "pairs.csv"
    with open(path, "w") as f:
        f.write("id,t,v\n")
        for i in range(6000):
            f.write(f"{i // 2},{'' if i == 4001 else 'x'},{i % 7}\n")
    df, pdf = dd.read_csv(str(path), blocksize="16KB"), pd.read_csv(path)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the nuisance drop
        want = pdf.groupby("id").min()
    assert list(want.columns) == ["v"]
    same(df.groupby("id").min(split_out=4).compute(), want)


def test_grouped_value_counts_split_out_refusals(client, data):
    df = read(data, None)
    with pytest.raises(NotImplementedError, match="as_index=False"):
        df.groupby("k", as_index=False).name.value_counts(split_out=3)
    with pytest.raises(ValueError, match="split_out: a number of parts"):
        df.groupby("k").name.value_counts(split_out=0)


def test_value_counts_split_out_nullable(client, data, bs):
    """An Int64 column's value_counts(dropna=False): its <NA> counted,
    pandas' nullable dtype kept through the parts."""
    df = dd.read_csv(data, blocksize=bs, dtype={"x": "Int64"}) if bs else \
        dd.read_csv(data, dtype={"x": "Int64"})
    pdf = pd.read_csv(data, dtype={"x": "Int64"})
    for kw in ({}, {"dropna": False}):
        got = df.x.value_counts(split_out=3, **kw).compute()
        same(got, pdf.x.value_counts(**kw))


def test_split_out_graph_is_split(client, data, tmp_path):
    df = read(data, "16KB")
    report = tmp_path / "r.html"
    with dusk.performance_report(filename=report):
        got = df.groupby("id").x.sum(split_out=4).compute()
    html = report.read_text()

    def keys(op):
        return set(re.findall(r'data-key="([^"]*)"[^>]*data-op="%s"' % op,
                              html))
    gather = keys("df_gather")
    assert len(gather) == 1
    query = next(iter(gather))  # the last attempt's final key (a rerun's
    # tasks are in the report too)

    def of_query(op):
        return {k for k in keys(op) if k.startswith(query + "/")}
    assert len(of_query("df_scan")) > 1
    assert len(of_query("df_split")) == 4 * len(of_query("df_scan"))
    assert len(of_query("df_final")) == 4
    pdt.assert_series_equal(got, pd.read_csv(data).groupby("id").x.sum())
    with dusk.performance_report(filename=tmp_path / "vc.html"):
        got = df.id.value_counts(split_out=3).compute()
    assert ops_of(tmp_path / "vc.html") == {"df_split", "df_gather"}
    pdt.assert_series_equal(got, pd.read_csv(data).id.value_counts())


def test_split_out_refusals(client, data):
    df = read(data, None)
    with pytest.raises(ValueError, match="split_out"):
        df.groupby("k").count(split_out=0)
    with pytest.raises(ValueError, match="split_out"):
        df.groupby("k").count(split_out=1000)
    with pytest.raises(ValueError, match="split_out"):
        df.k.value_counts(split_out=0)


def test_worker_killed_mid_shuffle(data):
    """A worker SIGKILLed while it holds scan partials and parts of the
    shuffle: the scheduler recomputes what it held from lineage (the lost
    scans and splits only, not the whole shuffle) and the answer stays
    exact.  A second worker is stopped (SIGSTOP) for the duration, so the
    tasks it was handed keep the query from finishing before the kill."""
    with dusk.LocalCluster(n_workers=3) as cluster, \
            dusk.Client(cluster) as c, \
            dusk.Client(cluster, set_as_default=False) as watch:
        df = read(data, "2KB")
        q = df.groupby("id").agg({"x": ["sum", "count"], "y": "max"},
                                 split_out=4)
        want = pd.read_csv(data).groupby("id").agg(
            {"x": ["sum", "count"], "y": "max"})
        victim = watch.scheduler_info()["workers"][1]["pid"]
        got = while_a_worker_is_stopped(
            watch, lambda: q.compute(client=c),
            until=lambda: holds_keys(watch, victim, 3),
            then=lambda: os.kill(victim, signal.SIGKILL))
        same(got, want)
        # and again, on the restarted worker and the others
        same(q.compute(client=c), want)


def ops_of(report):
    html = report.read_text()
    return {op for op in ("df_split", "df_gather")
            if f'data-op="{op}"' in html}


def write_unique_ids(path, keys):
    """60,000 rows: id (nearly unique text), k (an int of `keys` values),
    v (a float)."""
    rnd = random.Random(5)
    with open(path, "w") as f:
        f.write("id,k,v\n")
        for _ in range(60000):
            f.write(f"u{rnd.randint(0, 10**9)},{rnd.randint(0, keys - 1)},"
                    f"{rnd.random()!r}\n")


def wait_for_limits(c):
    """The workers' memory limits arrive with their first heartbeats."""
    import time
    deadline = time.monotonic() + 30
    while any(not w["memory_limit_bytes"]
              for w in c.scheduler_info()["workers"]):
        assert time.monotonic() < deadline, c.scheduler_info()
        time.sleep(0.02)


def test_many_groups_after_a_merge_split_without_asking(tmp_path):
    """After a merge a group key that is one side's column holds no value
    that side's file does not (a merge repeats or drops rows), so that
    side's sample speaks for the groups: a nearly unique left key is split
    after a broadcast and after a shuffle merge, a ten-value right column
    is not, and neither is a key made by a step.  (An outer or right
    merge's key kept once holds both sides' keys: not estimated.)  Every
    answer is pandas'."""
    left, right = tmp_path / "l.csv", tmp_path / "r.csv"
    write_unique_ids(left, 100)
    with open(right, "w") as f:
        f.write("k,w\n")
        for k in range(0, 120, 2):
            f.write(f"{k},{k % 10}\n")
    pl, pr = pd.read_csv(left), pd.read_csv(right)
    with dusk.LocalCluster(n_workers=2, memory_limit="2MB") as cluster, \
            dusk.Client(cluster) as c:
        wait_for_limits(c)
        dl, dr = dd.read_csv(str(left), blocksize="64KB"), \
            dd.read_csv(str(right))
        cases = [  # (name, query of (left, right), split by itself)
            ("broadcast, a left key", lambda a, b: a.merge(b, on="k").groupby(
                "id").v.agg(["sum", "count"]), True),
            ("shuffle, a left key", lambda a, b: a.merge(
                b, on="k", how="outer").groupby("id").v.sum(), True),
            ("shuffle, value_counts", lambda a, b: a.merge(
                b, on="k", how="right").id.value_counts(), True),
            ("broadcast, nunique", lambda a, b: a.merge(
                b, on="k", how="left").id.nunique(), True),
            ("a right column of ten values", lambda a, b: a.merge(
                b, on="k", how="outer").groupby("w").v.sum(), False),
            ("a key made by a step", lambda a, b: a.merge(
                b, on="k").assign(j=lambda d: d.v * 1e6).groupby(
                "j").k.sum(), False),
        ]
        for i, (name, q, split) in enumerate(cases):
            report = tmp_path / f"m{i}.html"
            with dusk.performance_report(filename=report):
                got = q(dl, dr).compute()
            assert ops_of(report) == ({"df_split", "df_gather"} if split
                                      else set()), name
            want = q(pl, pr)
            if isinstance(want, pd.DataFrame):
                pdt.assert_frame_equal(got, want, obj=name)
            elif isinstance(want, pd.Series):
                pdt.assert_series_equal(got, want, obj=name)
            else:
                assert got == want, name


def test_many_groups_split_out_without_asking(tmp_path):
    """The scheduler estimates a groupby's state from its sample (distinct
    keys per sampled row, times the rows the file holds): past a quarter
    of the workers' memory limit it splits the groups itself.  On 2 MB
    workers a nearly unique key is split and a ten-value key is not; both
    answers are pandas'."""
    path = tmp_path / "u.csv"
    write_unique_ids(path, 10)
    pdf = pd.read_csv(path)
    with dusk.LocalCluster(n_workers=2, memory_limit="2MB") as cluster, \
            dusk.Client(cluster) as c:
        wait_for_limits(c)
        df = dd.read_csv(str(path), blocksize="64KB")
        with dusk.performance_report(filename=tmp_path / "many.html"):
            got = df.groupby("id").v.agg(["sum", "count"]).compute()
        assert ops_of(tmp_path / "many.html") == {"df_split", "df_gather"}
        pdt.assert_frame_equal(got,
                               pdf.groupby("id").v.agg(["sum", "count"]))
        # a column's value_counts of as many values: split the same way
        with dusk.performance_report(filename=tmp_path / "vc.html"):
            got = df.id.value_counts().compute()
        assert ops_of(tmp_path / "vc.html") == {"df_split", "df_gather"}
        pdt.assert_series_equal(got, pdf.id.value_counts())
        with dusk.performance_report(filename=tmp_path / "vc10.html"):
            got = df.k.value_counts().compute()
        assert ops_of(tmp_path / "vc10.html") == set()
        pdt.assert_series_equal(got, pdf.k.value_counts())
        # a groupby's value_counts of as many (group, value) pairs: split
        # by the groups, each part finishing whole groups; as_index=False
        # (pandas sorts those counts across the groups) keeps the tree
        with dusk.performance_report(filename=tmp_path / "gvc.html"):
            got = df.groupby("k").id.value_counts().compute()
        assert ops_of(tmp_path / "gvc.html") == {"df_split", "df_gather"}
        pdt.assert_series_equal(got, pdf.groupby("k").id.value_counts())
        with dusk.performance_report(filename=tmp_path / "gvcn.html"):
            got = df.groupby("id").k.value_counts(normalize=True).compute()
        assert ops_of(tmp_path / "gvcn.html") == {"df_split", "df_gather"}
        pdt.assert_series_equal(
            got, pdf.groupby("id").k.value_counts(normalize=True))
        with dusk.performance_report(filename=tmp_path / "gvcf.html"):
            got = df.groupby("k", as_index=False).id.value_counts().compute()
        assert ops_of(tmp_path / "gvcf.html") == set()
        pdt.assert_frame_equal(
            got, pdf.groupby("k", as_index=False).id.value_counts())
        with dusk.performance_report(filename=tmp_path / "gvc10.html"):
            got = df.groupby("k").k.value_counts().compute()
        assert ops_of(tmp_path / "gvc10.html") == set()
        pdt.assert_series_equal(got, pdf.groupby("k").k.value_counts())
        # nunique of as many values: each part counts the values that
        # hash to it, and the counts add up
        with dusk.performance_report(filename=tmp_path / "nu.html"):
            got = df.id.nunique().compute()
        assert ops_of(tmp_path / "nu.html") == {"df_split", "df_gather"}
        assert got == pdf.id.nunique()
        with dusk.performance_report(filename=tmp_path / "nu2.html"):
            got = df[["id", "v", "k"]].nunique().compute()
        assert ops_of(tmp_path / "nu2.html") == {"df_split", "df_gather"}
        pdt.assert_series_equal(got, pdf[["id", "v", "k"]].nunique())
        got = df[df.k > 4].v.nunique().compute()
        assert got == pdf[pdf.k > 4].v.nunique()
        with dusk.performance_report(filename=tmp_path / "nu10.html"):
            got = df.k.nunique().compute()
        assert ops_of(tmp_path / "nu10.html") == set()
        assert got == pdf.k.nunique()
        with dusk.performance_report(filename=tmp_path / "few.html"):
            got = df.groupby("k").v.sum().compute()
        assert ops_of(tmp_path / "few.html") == set()
        pdt.assert_series_equal(got, pdf.groupby("k").v.sum())
        # a key made by a step has no sample to go by: the tree
        with dusk.performance_report(filename=tmp_path / "made.html"):
            got = df.assign(j=df.v * 1e6).groupby("j").k.sum().compute()
        assert ops_of(tmp_path / "made.html") == set()
        pdt.assert_series_equal(
            got, pdf.assign(j=pdf.v * 1e6).groupby("j").k.sum())
