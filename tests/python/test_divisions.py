"""A set_index frame's partitions, as Dask's divisions: computed from the
data (the least index value, cuts at samples, the greatest), or given with
divisions= / cut into npartitions=; get_partition(i) and partitions[a:b]
give a partition's rows, and to_csv writes one file per partition - each
checked against pandas' set_index(col).sort_index(kind="stable") cut at
the same bounds (partition i: index in [d_i, d_i+1), the last its upper
bound and the nulls).  A value outside given divisions fails the write,
naming it; bad divisions are refused before anything runs."""
import os

import pandas as pd
import pandas.testing as pdt
import pytest

import dusk.dataframe as dd
# data, bs: fixtures (a frame with ties and nulls of every kind; the
# partition sizes)
from test_sort import bs, data, read, written  # noqa: F401


def pandas_frame(path, **kw):
    return pd.read_csv(path, parse_dates=["t"], float_precision="round_trip",
                       **kw)


def indexed(pdf, key):
    return pdf.set_index(key).sort_index(kind="stable", na_position="last")


def partition(want, divs, i):
    """pandas' rows of partition i of divs (want: sorted by its index)."""
    n = len(divs) - 1

    def inside(v):
        if pd.isna(v):
            return i == n - 1
        return divs[i] <= v and (v < divs[i + 1] if i < n - 1 else
                                 v <= divs[n])
    return want[[inside(v) for v in want.index]]


# int with nulls and many ties, unique floats, text, datetime with NaT,
# int without nulls, bool
KEYS = ["k", "u", "name", "t", "x", "flag"]


@pytest.mark.parametrize("key", KEYS)
def test_computed_divisions(client, data, bs, key):
    """The bounds are the data's least and greatest non-null index values,
    sorted, unique but for the last; the partitions cut there hold every
    row once, each equal to pandas' rows between those bounds."""
    pdf = pandas_frame(data)
    want = indexed(pdf, key)
    s = read(data, bs).set_index(key)
    assert s.known_divisions
    divs = s.divisions
    values = pdf[key].dropna()
    assert divs[0] == values.min() and divs[-1] == values.max()
    assert list(divs) == sorted(divs)
    assert len(set(divs[:-1])) == len(divs) - 1
    assert s.npartitions == len(divs) - 1 >= 1
    parts = [s.get_partition(i).compute() for i in range(s.npartitions)]
    for i, got in enumerate(parts):
        pdt.assert_frame_equal(got, partition(want, divs, i))
    pdt.assert_frame_equal(pd.concat(parts), want)


@pytest.mark.parametrize("key", ["k", "name", "t", "flag"])
def test_to_csv_writes_the_partitions(client, data, key, tmp_path):
    """After .divisions, to_csv writes one file per partition, each
    pandas' to_csv of that partition, byte for byte."""
    s = read(data, "8KB").set_index(key, npartitions=5)
    divs = s.divisions
    files = s.to_csv(str(tmp_path / "out"))
    assert len(files) == s.npartitions == len(divs) - 1
    want = indexed(pandas_frame(data), key)
    for i, f in enumerate(files):
        with open(f, newline="") as fh:
            assert fh.read() == partition(want, divs, i).to_csv()
    assert written(files) == want.to_csv()


@pytest.mark.parametrize("n", [1, 3, 7])
def test_npartitions(client, data, n, tmp_path):
    """npartitions=n: to_csv writes n files (some may be empty when
    values repeat) whose rows in order are the frame; .divisions has at
    most n partitions (a repeated cut kept once, as Dask's)."""
    s = read(data, "8KB").set_index("u", npartitions=n)
    files = s.to_csv(str(tmp_path / "out"))
    assert len(files) == n
    want = indexed(pandas_frame(data), "u")
    assert written(files) == want.to_csv()
    assert s.npartitions == n  # u is unique: no cut repeats
    few = read(data, "8KB").set_index("flag", npartitions=7)
    assert few.divisions == (False, True, True)
    assert few.npartitions == 2


def test_given_divisions(client, data, bs, tmp_path):
    """divisions= as given: the files cut there; ints, floats into an int
    key (rounded to the ints the bounds hold), strings, datetimes as
    Timestamps or strings."""
    pdf = pandas_frame(data)
    cases = [
        ("x", [-9, -3, 0, 4, 9]),
        ("x", [-9.5, -2.5, 3.5, 9.0]),
        ("name", ["", "b, c", "q", "ünï"]),
        ("t", [pd.Timestamp("2021-01-10 10:00:00"), pd.Timestamp("2021-02-01"),
               pd.Timestamp("2021-03-12 10:00:00")]),
        ("t", ["2021-01-10 10:00", "2021-02-11", "2021-03-12 10:00"]),
        ("u", [0.0, 0.25, 0.5, 1.0]),
        ("flag", [False, True, True]),
    ]
    for i, (key, divs) in enumerate(cases):
        s = read(data, bs).set_index(key, divisions=divs)
        assert s.divisions == tuple(divs)
        assert s.npartitions == len(divs) - 1
        want = indexed(pdf, key)
        bounds = [pd.Timestamp(d) for d in divs] if key == "t" else divs
        files = s.to_csv(str(tmp_path / f"out{i}"))
        assert len(files) == len(divs) - 1
        for j, f in enumerate(files):
            assert len(pd.read_csv(f)) == len(partition(want, bounds, j)), \
                (key, j)
        pdt.assert_frame_equal(s.get_partition(1).compute(),
                               partition(want, bounds, 1))
        pdt.assert_frame_equal(s.compute(), want)


def test_partitions_slices(client, data):
    """partitions[a:b] is the run of partitions a..b-1, with their
    divisions; negative indices count from the end."""
    s = read(data, "8KB").set_index("x", divisions=[-9, -5, 0, 5, 9])
    want = indexed(pandas_frame(data), "x")
    mid = s.partitions[1:3]
    assert mid.divisions == (-5, 0, 5)
    pdt.assert_frame_equal(mid.compute(), want[(want.index >= -5) &
                                               (want.index < 5)])
    pdt.assert_frame_equal(s.partitions[-1].compute(),
                           want[want.index >= 5])
    assert len(s.partitions) == 4
    with pytest.raises(IndexError):
        s.partitions[4]


def test_outside_the_divisions(client, data, tmp_path):
    """A value outside given divisions fails the write, naming the column,
    the value and the bounds; nothing is left half-written as an
    answer."""
    s = read(data, "8KB").set_index("x", divisions=[-5, 0, 5])
    with pytest.raises(Exception, match=r"column 'x' holds -?\d+, outside "
                       r"the divisions -5 to 5"):
        s.to_csv(str(tmp_path / "out"))
    s = read(data, "8KB").set_index(
        "t", divisions=["2021-01-11", "2021-02-01", "2021-03-31"])
    with pytest.raises(Exception, match="column 't' holds '2021-01-10 "
                       "10:00:00', outside the divisions"):
        s.to_csv(str(tmp_path / "out2"))


def test_no_index_value(client, data):
    """No non-null index value: one partition, of the nulls, bounds
    unknown; no row at all, the same."""
    df = read(data, "8KB")
    pdf = pandas_frame(data)
    s = df[df.k.isnull()].set_index("k")
    assert s.divisions == (None, None)
    assert s.npartitions == 1
    got = s.get_partition(0).compute()
    assert len(got) == int(pdf.k.isnull().sum()) > 0
    pdt.assert_frame_equal(got, indexed(pdf[pdf.k.isnull()], "k"))
    s = df[df.x > 100].set_index("x")
    assert s.divisions == (None, None)
    assert len(s.get_partition(0).compute()) == 0


def test_a_timedelta_index(client, data, tmp_path):
    """A derived timedelta index: its divisions are Timedeltas, and they
    cut its partitions and files."""
    df = read(data, "8KB")
    pdf = pandas_frame(data)
    start = pd.Timestamp("2021-01-10")
    s = df.assign(d=df.t - start).set_index("d", npartitions=3)
    want = indexed(pdf.assign(d=pdf.t - start), "d")
    divs = s.divisions
    assert all(isinstance(d, pd.Timedelta) for d in divs)
    assert divs[0] == want.index.min() and divs[-1] == want.index.max()
    pdt.assert_frame_equal(s.get_partition(1).compute(),
                           partition(want, divs, 1))
    assert len(s.to_csv(str(tmp_path / "out"))) == len(divs) - 1


def test_other_frames(client, data):
    """Before set_index the divisions are unknown, as Dask's read_csv."""
    df = read(data, "8KB")
    assert not df.known_divisions
    assert df.divisions == (None,) * (df.npartitions + 1)
    with pytest.raises(NotImplementedError, match="set_index"):
        df.partitions[0]


def test_refusals(client, data, tmp_path):
    df = read(data, None)
    with pytest.raises(ValueError, match="must be sorted"):
        df.set_index("x", divisions=[0, 5, 2])
    with pytest.raises(ValueError, match="unique, except for the last"):
        df.set_index("x", divisions=[0, 0, 5])
    df.set_index("x", divisions=[0, 5, 5])  # the last two may repeat
    with pytest.raises(ValueError, match="None or NaN"):
        df.set_index("u", divisions=[0.0, float("nan")])
    with pytest.raises(ValueError, match="2 to 257"):
        df.set_index("x", divisions=[0])
    with pytest.raises(TypeError, match="one type"):
        df.set_index("x", divisions=[0, "a"])
    with pytest.raises(ValueError, match="npartitions=3 with 3 divisions"):
        df.set_index("x", divisions=[0, 1, 2], npartitions=3)
    for n in (0, 257, 2.5, True):
        with pytest.raises(ValueError, match="npartitions"):
            df.set_index("x", npartitions=n)
    with pytest.raises(NotImplementedError, match="several columns"):
        df.set_index(["x", "k"], divisions=[0, 1])
    with pytest.raises(NotImplementedError, match="several columns"):
        df.set_index(["x", "k"]).divisions
    with pytest.raises(NotImplementedError, match="computed result"):
        df.groupby("x").u.sum().reset_index().set_index("u", npartitions=2)
    with pytest.raises(Exception, match="division 0 .a string. does not fit "
                       "column 'x' .int64."):
        df.set_index("x", divisions=["a", "b"]).to_csv(str(tmp_path / "o"))
    with pytest.raises(Exception, match="does not fit column 't' "
                       r".datetime64\[ns\]."):
        df.set_index("t", divisions=[1.5, 2.5]).to_csv(str(tmp_path / "o"))
    with pytest.raises(Exception, match="does not fit column 'name'"):
        df.set_index("name", divisions=[1, 2]).to_csv(str(tmp_path / "o"))


def test_cli(data, tmp_path):
    """The dusk CLI: set_index(npartitions=, divisions=) and .divisions;
    a partition count out of range refused where it is typed."""
    import subprocess
    dusk_bin = os.path.join(os.environ["DUSK_BIN"], "dusk")

    def run(expr):
        return subprocess.run([dusk_bin, "query", "--workers", "2",
                               "--format", "csv", expr],
                              capture_output=True, text=True, timeout=120,
                              check=False)
    src = f'read_csv("{data}", parse_dates=["t"], blocksize="8KB")'
    out = run(src + '.set_index("x", npartitions=3).divisions')
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == ",x" and lines[1] == "0,-9" and lines[-1].endswith(",9")
    assert 2 <= len(lines) - 2 <= 3
    out = run(src + '.set_index("x", divisions=[-9, -1.5, 4, 9])'
              f'.to_csv("{tmp_path / "out"}")')
    assert out.returncode == 0, out.stderr
    want = indexed(pandas_frame(data), "x")
    counts = [int(line.rsplit(",", 1)[1])
              for line in out.stdout.splitlines()[1:]]
    assert counts == [len(partition(want, [-9, -1, 4, 9], j))
                      for j in range(3)]
    out = run(src + '.set_index("x", divisions=[-5, 5]).to_csv('
              f'"{tmp_path / "out2"}")')
    assert out.returncode != 0 and "outside the divisions -5 to 5" in \
        out.stderr
    out = run(src + '.set_index("x", npartitions=300)')
    assert out.returncode != 0 and "npartitions: an int, 1 to 256" in \
        out.stderr


def test_a_key_widened_on_the_way(client, tmp_path):
    """An int key holding a float past the scheduler's sample: the
    divisions query's final checks every scan's range as a final does, so
    the column is widened and read again, and the bounds are pandas'
    (floats); a quoted newline in every seventh row crosses the ranges."""
    import random
    rnd = random.Random(3)
    path = tmp_path / "widen.csv"
    with open(path, "w") as f:
        f.write("k,s\n")
        for i in range(3000):
            k = "2.5" if i == 2500 else "101" if i == 2900 else \
                str(rnd.randint(3, 100))
            f.write(f'{k},"a\nb"\n' if i % 7 == 0 else f"{k},x\n")
    s = dd.read_csv(str(path), blocksize="2KB").set_index("k")
    divs = s.divisions
    assert divs[0] == 2.5 and divs[-1] == 101.0
    assert all(isinstance(d, float) for d in divs)
    want = pd.read_csv(path).set_index("k").sort_index(kind="stable")
    pdt.assert_frame_equal(
        pd.concat(s.get_partition(i).compute()
                  for i in range(s.npartitions)), want)


def test_of_a_persisted_frame(client, data):
    """A persisted frame's divisions are the files' (its scans sample
    their kept partitions alike)."""
    df = read(data, "8KB")
    kept = df.persist()
    try:
        assert kept.set_index("t", npartitions=3).divisions == \
            df.set_index("t", npartitions=3).divisions
        pdt.assert_frame_equal(
            kept.set_index("t", npartitions=3).get_partition(2).compute(),
            df.set_index("t", npartitions=3).get_partition(2).compute())
    finally:
        kept.unpersist()
