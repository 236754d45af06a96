"""Fixtures for the Python package's tests (run by ctest through
tests/CMakeLists.txt: `python3 -m pytest tests/python` with PYTHONPATH at
build/python and DUSK_BIN at build/bin).

One LocalCluster (2 workers) serves the module's tests; data files are
generated once per session: FHVHV-shaped files from dusk-gen-fhv (quoted
fields holding commas, doubled quotes and newlines) and a file of our own
with nulls in every kind of column, early and late."""
import os
import random
import signal
import subprocess
import threading
import time

import pytest

import dusk

BIN = os.environ.get("DUSK_BIN") or os.path.join(
    os.path.dirname(dusk.__file__), "bin")
# Hang limits scale with sanitizer builds (see tests/CMakeLists.txt).
SCALE = int(os.environ.get("DUSK_TEST_TIMEOUT_SCALE", "1"))
# The block sizes the suites' `bs` fixtures read at: a small one (many
# partitions; DUSK_TEST_SMALL_BLOCKSIZE, 8KB under the sanitizers, else
# 1KB), 64KB, and the default (one partition for a small file).  The
# sanitizer pass (DUSK_TEST_SANITIZED) leaves 64KB out: it is there for
# memory errors and undefined behaviour, which the many partitions of the
# small size and the single one of the default reach on the same code
# paths, and 64KB cost a third of that pass's Python time; the plain pass
# runs all three.
_SIZES = [(os.environ.get("DUSK_TEST_SMALL_BLOCKSIZE", "1KB"), "small"),
          ("64KB", "64KB"), (None, "default")]
if os.environ.get("DUSK_TEST_SANITIZED"):
    _SIZES = [s for s in _SIZES if s[1] != "64KB"]
BLOCKSIZES = [size for size, _ in _SIZES]
BLOCKSIZE_IDS = [name for _, name in _SIZES]


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    gen = os.path.join(BIN, "dusk-gen-fhv")
    for name, rows, seed, month in (("feb", 4000, 2, 2), ("apr", 3000, 4, 4)):
        subprocess.run([gen, str(d / f"fhvhv_{name}.csv"), str(rows),
                        "--seed", str(seed), "--month", str(month),
                        "--quoted"], check=True)
    write_mixed(d / "mixed.csv", 3000, seed=5)
    write_late_null(d / "late.csv")
    write_dates(d / "dates.csv", 2500, seed=7)
    return d


def write_dates(path, rows, seed):
    """Datetime columns as the taxi files hold them, with empty fields
    (NaT), fractions of a second, dates before 1970, a leap day, and a
    quoted field with a newline in another column: start, end (the trip's
    end, after start), day (dates alone), k (a key), note (text)."""
    import datetime
    rnd = random.Random(seed)
    base = datetime.datetime(2021, 2, 27)
    with open(path, "w", newline="") as f:
        f.write("start,end,day,k,note\n")
        for i in range(rows):
            t = base + datetime.timedelta(seconds=rnd.randint(0, 86400 * 5))
            if i % 97 == 5:
                t = datetime.datetime(1969, 12, 31, 23, 59, 58)
            dur = datetime.timedelta(seconds=rnd.randint(0, 7200),
                                     microseconds=(rnd.randint(0, 999) * 1000
                                                   if i % 13 == 0 else 0))
            start = "" if i % 41 == 3 else t.strftime("%Y-%m-%d %H:%M:%S")
            end = "" if i % 53 == 7 else (t + dur).isoformat(sep=" ")
            day = "" if i % 29 == 1 else (t.date()).isoformat()
            note = '"two\nlines"' if i % 31 == 0 else "n"
            f.write(f"{start},{end},{day},{rnd.randint(0, 4)},{note}\n")


def write_mixed(path, rows, seed):
    """Columns of every kind with nulls: k (int key, nulls), x (int, nulls),
    y (float, nulls), flag (bool, nulls), name (text with separators,
    quotes and newlines, nulls), clean (int, never null)."""
    rnd = random.Random(seed)
    with open(path, "w", newline="") as f:
        f.write("k,x,y,flag,name,clean\n")
        for i in range(rows):
            k = "" if i % 37 == 5 else str(rnd.randint(0, 9))
            x = "" if i % 11 == 3 else str(rnd.randint(-500, 500))
            y = "" if i % 13 == 7 else repr(rnd.uniform(-10, 10))
            flag = "" if i % 17 == 2 else rnd.choice(["True", "False"])
            name = rnd.choice(["red", "green", "", "blue, dark", 'say "hi"',
                               "two\nlines", "ünï"])
            if any(ch in name for ch in ',"\n'):
                name = '"' + name.replace('"', '""') + '"'
            f.write(f"{k},{x},{y},{flag},{name},{rnd.randint(0, 99)}\n")


def write_late_null(path):
    """An int column whose only null lies far past the scheduler's sample
    (the first 256 KiB): pandas still reads the column as float64."""
    with open(path, "w") as f:
        f.write("g,v,pad\n")
        for i in range(12000):
            v = "" if i == 11000 else str(i % 7)
            f.write(f"{i % 5},{v},{'p' * 40}\n")


@pytest.fixture(scope="module")
def cluster():
    with dusk.LocalCluster(n_workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    with dusk.Client(cluster) as c:
        yield c


def while_a_worker_is_stopped(watch, query, until, then=None, timeout=60):
    """Runs query() in a thread while the cluster's first worker is stopped
    (SIGSTOP), so the tasks it was handed keep the query from finishing;
    once until() holds (polled, the query still running) runs then(),
    resumes the worker and returns query()'s value (or raises its error).
    watch: a client other than the query's, whose connection waits on the
    query."""
    blocker = watch.scheduler_info()["workers"][0]["pid"]
    out = {}

    def run():
        try:
            out["value"] = query()
        except BaseException as e:  # raised below, in the test's thread
            out["error"] = e
    os.kill(blocker, signal.SIGSTOP)
    th = threading.Thread(target=run)
    try:
        th.start()
        end = time.monotonic() + timeout
        while not until():
            assert th.is_alive(), "the query ended before the moment came"
            assert time.monotonic() < end, "timed out waiting for the moment"
            time.sleep(0.02)
        assert th.is_alive()  # mid-query: the stopped worker holds tasks
        if then is not None:
            then()
    finally:
        os.kill(blocker, signal.SIGCONT)
    th.join(120 * SCALE)
    assert not th.is_alive()
    if "error" in out:
        raise out["error"]
    return out["value"]


def written(files):
    """to_csv's part files as one CSV text: the first header, then every
    file's rows."""
    text = []
    for i, f in enumerate(files):
        with open(f, newline="") as fh:
            content = fh.read()
        text.append(content if i == 0 else content.split("\n", 1)[1])
    return "".join(text)


def spill_files(d):
    """The files in the workers' spill directories under d."""
    return [f for sub in os.listdir(d) for f in os.listdir(os.path.join(d, sub))]


def holds_keys(watch, pid, n):
    """Whether worker pid holds at least n results (from heartbeats)."""
    return any(w["pid"] == pid and w["keys"] >= n
               for w in watch.scheduler_info()["workers"])
