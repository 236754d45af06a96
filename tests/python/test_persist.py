"""persist(): a frame's ranges parsed once into partitions the workers
keep, read by later queries instead of the CSV.  Every query on a
persisted frame is checked against the same query on the files and
against pandas 1.5, at partition sizes of 1 KB, 64 KB and the default, on
data with nulls, quoted separators and newlines and a date-time column.
Then what makes it persist rather than re-read: a query still answers
from the partitions after the file is truncated; unpersist(),
client.cancel() and dropping the last frame release them (a query after
an explicit release fails, saying so); a worker killed while holding
partitions leaves the answers exact (they are parsed again)."""
import gc
import os
import random
import shutil
import signal
import time

import pandas as pd
import pandas.testing as pdt
import pytest

import dusk
import dusk.dataframe as dd
from conftest import BLOCKSIZE_IDS, BLOCKSIZES, spill_files


@pytest.fixture(params=BLOCKSIZES, ids=BLOCKSIZE_IDS)
def bs(request):
    return request.param


def write_trips(path, rows, seed):
    """PULocationID (int, nulls), base (text), t (date-times, some
    missing), fare (float), note (separators, quotes, newlines)."""
    rnd = random.Random(seed)
    with open(path, "w", newline="") as f:
        f.write("PULocationID,base,t,fare,note\n")
        for i in range(rows):
            loc = "" if i % 13 == 5 else str(rnd.randint(1, 40))
            base = rnd.choice(["B01", "B02", "B03", ""])
            t = "" if i % 17 == 2 else (
                f"2021-04-{rnd.randint(1, 30):02d} "
                f"{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:00")
            note = rnd.choice(["ok", "late, rainy", 'say "hi"', "two\nlines",
                               ""])
            if any(ch in note for ch in ',"\n'):
                note = '"' + note.replace('"', '""') + '"'
            f.write(f"{loc},{base},{t},{rnd.uniform(0, 60):.2f},{note}\n")


@pytest.fixture(scope="module")
def trips(tmp_path_factory):
    d = tmp_path_factory.mktemp("persist")
    path = d / "trips.csv"
    write_trips(path, 4000, seed=5)
    return str(path)


def read(path, bs):
    kw = {"parse_dates": ["t"]}
    if bs:
        kw["blocksize"] = bs
    return dd.read_csv(path, **kw)


QUERIES = {
    "groupby_count": lambda d: d.groupby("PULocationID").count(),
    "size_top": lambda d: d.groupby("base").size()
    .sort_values(ascending=False).head(3),
    "filter_head": lambda d: d.fillna({"PULocationID": 0})
    .query("PULocationID > 30")
    .head(10, compute=False),
    "value_counts": lambda d: d["note"].value_counts(),
    "assign_hour_mean": lambda d: d.assign(h=d.t.dt.hour)
    .groupby("h")["fare"].mean(),
    "describe": lambda d: d.describe(),
    "nlargest": lambda d: d.nlargest(5, "fare"),
    "drop_duplicates": lambda d: d.drop_duplicates(["PULocationID", "base"]),
    "len": len,
}


def run(q, frame):
    r = q(frame)
    return r.compute() if hasattr(r, "compute") else r


def assert_same(got, want):
    if isinstance(got, pd.DataFrame):
        pdt.assert_frame_equal(got, want)
    elif isinstance(got, pd.Series):
        pdt.assert_series_equal(got, want)
    else:
        assert got == want


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_persisted_answers_as_files_and_pandas(client, trips, bs, name):
    df = read(trips, bs)
    p = df.persist()
    pdf = pd.read_csv(trips, parse_dates=["t"])
    q = QUERIES[name]
    from_partitions = run(q, p)
    assert_same(from_partitions, run(q, df))
    if name not in ("describe", "filter_head"):
        # describe of a datetime column and head's int-with-nulls columns
        # are compared with pandas by the parity suites; here the point
        # is that partitions answer as the files do
        assert_same(from_partitions, run(q, pdf))
    p.unpersist()


def test_persist_reads_partitions_not_the_file(client, trips, tmp_path):
    path = tmp_path / "copy.csv"
    shutil.copy(trips, path)
    df = read(str(path), "16KB")
    want = df.groupby("base").fare.sum().compute()
    p = df.persist()
    # The partitions are what was read: the file may change or go.
    with open(path, "r+") as f:
        f.truncate(100)
    pdt.assert_series_equal(p.groupby("base").fare.sum().compute(), want)
    os.unlink(path)
    pdt.assert_series_equal(p.groupby("base").fare.sum().compute(), want)
    with pytest.raises(Exception):
        df.groupby("base").fare.sum().compute()


def test_steps_after_persist_and_merge_of_persisted(client, trips):
    df = read(trips, "8KB").persist()
    pdf = pd.read_csv(trips, parse_dates=["t"])
    got = df.query("fare > 20").assign(c=lambda d: d.fare * 2) \
        .groupby("base").c.sum()
    want = pdf.query("fare > 20").assign(c=lambda d: d.fare * 2) \
        .groupby("base").c.sum()
    pdt.assert_series_equal(got.compute(), want)
    zones = pd.DataFrame({"PULocationID": range(1, 41),
                          "zone": [f"z{i % 7}" for i in range(1, 41)]})
    zpath = os.path.join(os.path.dirname(trips), "zones.csv")
    zones.to_csv(zpath, index=False)
    z = dd.read_csv(zpath).persist()
    got = df.merge(z, on="PULocationID").groupby("zone").size().compute()
    want = pdf.merge(zones, on="PULocationID").groupby("zone").size()
    pdt.assert_series_equal(got, want)
    both = dd.concat([df, read(trips, "8KB")])
    assert len(both) == 2 * len(pdf)


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
def test_persist_of_a_shuffle_merge(client, trips, tmp_path, how):
    """persist() of a shuffle merge (broadcast=False, or how right /
    outer) keeps both sides' partitions and runs the merge in each later
    query, as after any persisted read: rows in pandas' order, a groupby,
    a filtered head - with both files gone."""
    left, right = tmp_path / "trips.csv", tmp_path / "zones.csv"
    shutil.copy(trips, left)
    pd.DataFrame({"PULocationID": range(1, 60, 2),
                  "zone": [f"z{i % 7}" for i in range(1, 60, 2)]}).to_csv(
        right, index=False)
    pl, pr = pd.read_csv(left, parse_dates=["t"]), pd.read_csv(right)
    want = pl.merge(pr, on="PULocationID", how=how)
    m = read(str(left), "8KB").merge(dd.read_csv(str(right)),
                                     on="PULocationID", how=how,
                                     broadcast=False).persist()
    os.unlink(left)
    os.unlink(right)
    pdt.assert_frame_equal(m.compute(), want)
    pdt.assert_series_equal(m.groupby("zone").fare.sum().compute(),
                            want.groupby("zone").fare.sum())
    pdt.assert_frame_equal(m[m.fare > 20].head(9),
                           want[want.fare > 20].head(9))
    m.unpersist()


def test_unpersist_and_cancel_release(client, trips):
    df = read(trips, "8KB")
    p = df.persist()
    derived = p.query("fare > 10")
    assert len(derived) == len(df.query("fare > 10"))
    p.unpersist()
    with pytest.raises(Exception, match="no longer held"):
        len(derived)
    p = df.persist()
    client.cancel(p)
    with pytest.raises(Exception, match="no longer held"):
        p.groupby("base").size().compute()


def worker_keys(client):
    return sum(w["keys"] for w in client.scheduler_info()["workers"])


def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_dropping_the_last_frame_releases(client, trips):
    gc.collect()
    client._flush_releases()
    wait_until(lambda: worker_keys(client) == 0, 10, "no keys at the start")
    p = read(trips, "8KB").persist()
    d = p.query("fare > 1")
    wait_until(lambda: worker_keys(client) > 0, 10, "partitions held")
    del p
    gc.collect()
    assert len(d) > 0  # d still holds them
    del d
    gc.collect()
    client._flush_releases()
    wait_until(lambda: worker_keys(client) == 0, 10,
               "partitions released with the last frame")


def test_worker_killed_holding_partitions(trips):
    with dusk.LocalCluster(n_workers=2) as cluster, \
            dusk.Client(cluster) as c:
        df = read(trips, "4KB")
        want = df.groupby("base").fare.sum().compute(client=c)
        p = df.persist(client=c)
        victim = c.scheduler_info()["workers"][0]["pid"]
        os.kill(victim, signal.SIGKILL)
        got = p.groupby("base").fare.sum().compute(client=c)
        pdt.assert_series_equal(got, want)
        # and again, once the lost partitions were parsed anew
        pdt.assert_series_equal(
            p.groupby("base").fare.sum().compute(client=c), want)


def test_persist_refuses_results(client, trips):
    with pytest.raises(NotImplementedError, match="persist"):
        read(trips, None).groupby("base").size().persist()


def test_partitions_spill_past_the_memory_limit(trips, tmp_path):
    """Workers of 1 MB hold the persisted partitions mostly on disk (past
    70% of the limit, least recently used first), read them back for each
    query, and leave nothing behind."""
    big = tmp_path / "big.csv"
    write_trips(big, 40000, seed=9)
    spill = tmp_path / "spill"
    spill.mkdir()
    with dusk.LocalCluster(n_workers=2, memory_limit="1MB",
                           local_directory=spill) as cluster, \
            dusk.Client(cluster) as c:
        df = read(str(big), "64KB")
        want = df.groupby("base").fare.sum().compute(client=c)
        p = df.persist(client=c)
        assert len(spill_files(spill)) > 0
        for _ in range(2):
            pdt.assert_series_equal(
                p.groupby("base").fare.sum().compute(client=c), want)
        pdt.assert_series_equal(
            p.groupby("base").fare.sum().compute(client=c),
            pd.read_csv(big).groupby("base").fare.sum())
        p.unpersist()
        wait_until(lambda: not spill_files(spill), 10, "spill files removed")
    assert os.listdir(spill) == []  # the private directories too


FULL_DISK = r'''
import sys, dusk, dusk.dataframe as dd
with dusk.LocalCluster(n_workers=1, memory_limit="1MB",
                       local_directory=sys.argv[2]) as cl, \
        dusk.Client(cl) as c:
    try:
        dd.read_csv(sys.argv[1], blocksize="64KB").persist(client=c)
    except Exception as e:
        print("ERROR", e)
    else:
        print("PERSISTED")
    # the cluster still answers
    print("ROWS", len(dd.read_csv(sys.argv[1])))
'''


def test_spill_that_fails_is_a_clear_error(tmp_path):
    """A spill the disk refuses (here a file size limit: EFBIG, what a full
    disk's ENOSPC looks like to the worker) fails the persist with the
    worker's reason, keeps nothing, and the cluster goes on."""
    import resource
    import subprocess
    import sys
    big = tmp_path / "big.csv"
    write_trips(big, 40000, seed=9)
    spill = tmp_path / "spill"
    spill.mkdir()

    def limit_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))

    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.run([sys.executable, "-c", FULL_DISK, str(big),
                        str(spill)], capture_output=True, text=True,
                       timeout=120, preexec_fn=limit_files, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "ERROR" in p.stdout, p.stdout
    assert "--memory-limit" in p.stdout and "spilling" in p.stdout
    assert "File too large" in p.stdout
    assert f"ROWS {len(pd.read_csv(big))}" in p.stdout
    assert spill_files(spill) == []
