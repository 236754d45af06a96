#!/usr/bin/python3
"""Issue 11's queries - the pandas vocabulary of real analysis - on one
FHVHV file, dusk side by side with DuckDB, Polars and Dask in one run:

  hour_size      read_csv(A, parse_dates=[pickup]).assign(hour=pickup.dt.hour)
                 .groupby("hour").size()
  duration_mean  (dropoff - pickup).dt.total_seconds() mean by PULocationID
  top10          groupby("PULocationID").size().sort_values(ascending=False)
                 .head(10)
  nlargest       read_csv(A, parse_dates=[pickup]).nlargest(10, pickup): a
                 whole-file top-k (DuckDB ORDER BY ... LIMIT, Polars
                 sort().head(), Dask nlargest); the 10 pickup times
                 (epoch seconds) are compared
  drop_dups      drop_duplicates(["PULocationID", "DOLocationID"]) of the
                 whole file, full rows (DuckDB DISTINCT ON, Polars
                 unique(keep="first", maintainOrder), Dask drop_duplicates):
                 the number of rows kept is compared
  median_by      the exact median trip duration (seconds) by PULocationID:
                 groupby(...)["secs"].median() (DuckDB median, Polars
                 median, Dask's groupby median)
  day_size       rows per pickup day: groupby(pickup_datetime.dt.date)
                 .size() (DuckDB CAST(... AS DATE), Polars dt.date())
  describe       describe() of the number columns: count, mean, std, min,
                 25%, 50%, 75%, max (exact: DuckDB's quantile_cont, Polars'
                 linear quantile; Dask's describe approximates the
                 percentiles, so its answer shows as differing)

Issue 14's queries, whose data moves between workers:

  sort_rows      read_csv(A, parse_dates=[pickup]).query("PULocationID < 27")
                 .sort_values(pickup): a whole frame's sort of about 10% of
                 the file, every row delivered (dusk prints it --format csv;
                 DuckDB ORDER BY, its rows materialised in node; Polars
                 filter + sort; Dask sort_values - its p2p shuffle when
                 pyarrow imports, else its task shuffle; the peer says which):
                 the row count and the first and last 5 pickup times (epoch
                 seconds) are compared, and dusk's pickup column is checked
                 to be in order
  drop_dups3     drop_duplicates(["dispatching_base_num", "PULocationID",
                 "DOLocationID"]) of the whole file, full rows, as drop_dups:
                 the number of rows kept is compared
  sort_head      read_csv(A, parse_dates=[pickup]).sort_values(pickup)
                 .head(10) (dusk: a distributed top-k; DuckDB ORDER BY ...
                 LIMIT 10, Polars sort().head(10), Dask sort_values().head(10)
                 - a real sort, not nsmallest): the 10 pickup times
  sort_csv       the whole file sorted by pickup_datetime and written as
                 CSV (dusk: sort_values().to_csv(dir), range-partitioned;
                 DuckDB COPY (... ORDER BY) TO, Polars sort().writeCSV,
                 Dask sort_values().to_csv(dir/*.part)): rows written and
                 the first and last 5 pickup times, read off the files

  merge_sort_csv merge_csv's merge sorted by pickup_datetime and written
                 (dusk: a shuffle join range-partitioned into files, each
                 row labelled by its place in the merge; DuckDB COPY (...
                 JOIN ... ORDER BY) TO, Polars join().sort().writeCSV, Dask
                 merge().sort_values().to_csv): as sort_csv, the rows and
                 the first and last 5 pickups read off the files

  divisions      read_csv(A, parse_dates=[pickup]).set_index(pickup)
                 .divisions: the index bounds of 16 range partitions - the
                 least and greatest pickup and the cuts between (dusk: one
                 read of the column, each scan sampled with its exact
                 bounds; Dask: set_index, which computes them from the
                 column's approximate quantiles; DuckDB: min, max and
                 quantile_disc of the column; Polars the same, quantile
                 "lower"): the least and greatest pickup (epoch seconds)
                 are compared, as the cuts between are each system's own

  merge_csv      the file merged with the 265-row zone lookup (pandas'
                 default how="inner", PULocationID = LocationID) and the
                 whole result written as CSV (dusk: to_csv(dir) - a shuffle
                 join, as pandas 1.5 orders an inner merge's rows by key;
                 DuckDB COPY (... JOIN ...) TO, Polars join().writeCSV, Dask
                 merge().to_csv(dir/*.part)): the rows written, read off
                 the files, are compared.  Only dusk's files are pandas'
                 to_csv of the merge, rows in pandas' order and labelled;
                 the peers write their join's order.  The lookup is
                 generated beside the file (bench/taxi.py ensure_zones).

  merge_months   two months merged on (PULocationID, DOLocationID, pickup
                 hour) and counted: len(A.assign(h).merge(B.assign(h),
                 on=[...])) (--file2 B; dusk: a shuffle merge, both sides
                 past the broadcast limit; DuckDB count(*) of the JOIN,
                 Polars join then len, Dask merge(shuffle="tasks") then
                 len): the count is compared

  /usr/bin/python3 bench/vocab.py --build build --file data/fhv_1x.csv
      [--file2 data/fhv_mar.csv] [--runs 3] [--dask-runs 1]
      [--systems dusk,duckdb,polars,dask] [--cgroup]

--cgroup runs each system inside a fresh 4 GiB memory cgroup without swap
(the notebook instance the brief is about), printing the cgroup's peak
and whether the OOM killer ended the run; the system "pandas" (plain
pandas, every row in memory: bench/peers/peer_vocab_pandas.py) answers
merge_months only, to show where it stops.

Each run is a fresh process tree (dusk: `dusk query --workers 2`, its own
LocalCluster; DuckDB / Polars: node with 2 threads; Dask: 2 workers x 1
thread); wall time and the tree's peak RSS (sampled every 20 ms) are
measured from outside; medians are printed with the ratio to dusk, and
every system's answer is checked against dusk's.  Numbers only, never
assertions.  bench/taxi.sh generates the file (--rows 21500000)."""
import argparse
import csv
import datetime
import io
import json
import math
import os
import re
import shutil
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from memory import make_cgroup, run_sampled  # noqa: E402

QUERIES = ["hour_size", "duration_mean", "top10", "nlargest", "drop_dups",
           "describe", "median_by", "day_size", "sort_rows", "drop_dups3",
           "sort_head", "sort_csv", "divisions", "merge_months",
           "merge_csv", "merge_sort_csv"]
# the queries that write files into OUT_DIR (answered off the files)
WRITING = ("sort_csv", "merge_csv", "merge_sort_csv")
NUMS = ["PULocationID", "DOLocationID", "SR_Flag"]
STATS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")


def dusk_expr(q, a):
    dates = f'read_csv("{a}", parse_dates=["pickup_datetime", "dropoff_datetime"])'
    b = os.environ.get("BENCH_FILE2", a)
    hour = '.assign(h="pickup_datetime.dt.hour")'
    return {
        "merge_months": f'len(read_csv("{a}", parse_dates=["pickup_datetime"])'
                        f'{hour}.merge(read_csv("{b}", parse_dates='
                        f'["pickup_datetime"]){hour}, on=["PULocationID", '
                        '"DOLocationID", "h"]))',
        "hour_size": f'read_csv("{a}", parse_dates=["pickup_datetime"])'
                     '.assign(hour="pickup_datetime.dt.hour")'
                     '.groupby("hour").size()',
        "duration_mean": dates + '.assign(secs="(dropoff_datetime - '
                         'pickup_datetime).dt.total_seconds()")'
                         '.groupby("PULocationID")["secs"].mean()',
        "top10": f'read_csv("{a}").groupby("PULocationID").size()'
                 '.sort_values(ascending=False).head(10)',
        "describe": f'read_csv("{a}").describe()',
        "median_by": dates + '.assign(secs="(dropoff_datetime - '
                     'pickup_datetime).dt.total_seconds()")'
                     '.groupby("PULocationID")["secs"].median()',
        "day_size": f'read_csv("{a}", parse_dates=["pickup_datetime"])'
                    '.assign(day="pickup_datetime.dt.date")'
                    '.groupby("day").size()',
        "nlargest": f'read_csv("{a}", parse_dates=["pickup_datetime"])'
                    '.nlargest(10, "pickup_datetime")',
        "drop_dups": f'read_csv("{a}").drop_duplicates(["PULocationID", '
                     '"DOLocationID"])',
        "sort_rows": f'read_csv("{a}", parse_dates=["pickup_datetime"])'
                     '.query("PULocationID < 27")'
                     '.sort_values("pickup_datetime")',
        "drop_dups3": f'read_csv("{a}").drop_duplicates(['
                      '"dispatching_base_num", "PULocationID", '
                      '"DOLocationID"])',
        "sort_head": f'read_csv("{a}", parse_dates=["pickup_datetime"])'
                     '.sort_values("pickup_datetime").head(10)',
        "sort_csv": f'read_csv("{a}", parse_dates=["pickup_datetime"])'
                    f'.sort_values("pickup_datetime").to_csv("{OUT_DIR}")',
        "merge_csv": f'read_csv("{a}").merge(read_csv("{zones_path(a)}"), '
                     'left_on="PULocationID", right_on="LocationID")'
                     f'.to_csv("{OUT_DIR}")',
        "merge_sort_csv": f'read_csv("{a}", parse_dates=["pickup_datetime"])'
                          f'.merge(read_csv("{zones_path(a)}"), '
                          'left_on="PULocationID", right_on="LocationID")'
                          '.sort_values("pickup_datetime")'
                          f'.to_csv("{OUT_DIR}")',
        "divisions": f'read_csv("{a}", parse_dates=["pickup_datetime"])'
                     '.set_index("pickup_datetime", npartitions=16)'
                     '.divisions',
    }[q]


def zones_path(a):
    """merge_csv's zone lookup, beside the taxi file."""
    return os.path.join(os.path.dirname(os.path.abspath(a)),
                        "taxi_zone_lookup.csv")


# sort_csv writes the whole file sorted: every system into this directory
# (emptied before each run, removed after), the harness reads the answer
# off the files (written_answer).
OUT_DIR = os.path.join(os.environ.get("BENCH_OUT", "/tmp"),
                       "dusk-bench-sorted")


# sort_rows prints ~2M rows on the 1.34 GB file: as CSV (~150 MB) rather
# than JSON (3x the bytes, slower to format and to load here).  The table
# format is no option: like pandas it shows only the first and last rows.
CSV_QUERIES = ("sort_rows",)
# Queries whose answer compared is the number of rows: dusk's CLI gathers
# and decodes every row, as DuckDB's rows are read into node and Polars'
# frame is collected, and prints the frame as pandas does, whose footer
# "[n rows x m columns]" gives the count (JSON would also charge dusk for
# writing 117 MB through a pipe and Python for reading it, which no peer
# does).
COUNTED_QUERIES = ("drop_dups", "drop_dups3")


def command(system, q, a, build):
    if system == "dusk":
        fmt = ("csv" if q in CSV_QUERIES else
               "table" if q in COUNTED_QUERIES else "json")
        return [os.path.join(build, "bin", "dusk"), "query", "--workers", "2",
                "--format", fmt, dusk_expr(q, a)]
    if system in ("dask", "pandas"):
        return ["/usr/bin/python3", os.path.join(
            HERE, "peers", f"peer_vocab_{system}.py"), q, a]
    return ["node", os.path.join(HERE, "peers", "peer_vocab.mjs"), system, q,
            a]


def epoch(iso):
    """'YYYY-MM-DD HH:MM:SS' (naive, taken as UTC) -> epoch seconds; the
    empty string or None (NaT) -> None."""
    if not iso:
        return None
    return int(datetime.datetime.fromisoformat(iso)
               .replace(tzinfo=datetime.timezone.utc).timestamp())


def sorted_rows_answer(out):
    """dusk's CSV of sort_rows -> [rows, first 5, last 5 pickup epochs], as
    the peers answer; None when the pickup column is out of order (NaT
    last, as pandas' na_position="last"), so every peer shows as !=."""
    rd = csv.reader(io.StringIO(out))
    col = next(rd).index("pickup_datetime")
    times = [r[col] for r in rd]
    n_set = len(times) - times.count("")
    # fixed-width ISO strings order as the times they spell
    if any(t == "" for t in times[:n_set]) or \
            any(times[i] > times[i + 1] for i in range(n_set - 1)):
        print("  sort_rows dusk: pickup_datetime NOT in order", flush=True)
        return None
    return [len(times), [epoch(t) for t in times[:5]],
            [epoch(t) for t in times[-5:]]]


def written_answer():
    """sort_csv's files (in name order: dusk's and Dask's parts number
    them in the frame's order) -> [rows, first 5 pickups, last 5], read
    off the files: rows from their newlines (the taxi files quote no
    newline), pickups from their first and last lines."""
    files = sorted(os.path.join(OUT_DIR, f) for f in os.listdir(OUT_DIR)
                   if not f.startswith("."))
    rows, first, last = 0, [], []
    for f in files:
        with open(f, "rb") as fh:
            header = fh.readline().decode()
            col = next(csv.reader([header])).index("pickup_datetime")
            lines = fh.read().decode().splitlines()
        rows += len(lines)
        vals = [next(csv.reader([ln]))[col] for ln in lines[:5] + lines[-5:]]
        if len(first) < 5:
            first += vals[:min(5, len(lines))][:5 - len(first)]
        if lines:
            last = (last + vals[-min(5, len(lines)):])[-5:]
    return [rows, [epoch(t) for t in first], [epoch(t) for t in last]]


def dusk_answer(q, out):
    if q in ("sort_csv", "merge_sort_csv"):
        return written_answer()
    if q == "merge_csv":
        return written_answer()[0]
    if q in CSV_QUERIES:
        return sorted_rows_answer(out)
    if q in COUNTED_QUERIES:
        m = re.search(r"\[(\d+) rows x \d+ columns\]\s*$", out)
        return int(m.group(1)) if m else None
    recs = json.loads(out)
    rows = [list(r.values()) for r in recs]
    if q == "merge_months":  # [{"len": n}]
        return recs[0]["len"]
    if q in ("nlargest", "sort_head"):  # ISO date-times -> epoch seconds
        return [epoch(r["pickup_datetime"]) for r in recs]
    if q == "divisions":  # the bounds: the least and greatest pickup
        return [epoch(recs[0]["pickup_datetime"]),
                epoch(recs[-1]["pickup_datetime"])]
    if q == "describe":
        by = {r[0]: r[1:] for r in rows}
        return [by[s][i] for i in range(len(NUMS)) for s in STATS]
    return rows


def close(x, y):
    if isinstance(x, list):
        return isinstance(y, list) and len(x) == len(y) and \
            all(close(a, b) for a, b in zip(x, y))
    try:
        fx, fy = float(x), float(y)
    except (TypeError, ValueError):
        return x == y
    return math.isclose(fx, fy, rel_tol=1e-9, abs_tol=1e-9) or \
        (math.isnan(fx) and math.isnan(fy))


def run_one(cmd, env, confine):
    """One fresh process tree: (wall s, peak tree RSS MiB, stdout, exit
    code, a note).  With confine, inside a new 4 GiB memory cgroup (no
    swap), the note giving its peak (page cache included) and, for a
    SIGKILL, that the OOM killer ended it."""
    if not confine:
        wall, peak, _, out, rc = run_sampled(cmd, env=env)
        return wall, peak, out, rc, ""
    procs, peak_file, cleanup = make_cgroup(4 << 30)

    def enter():
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    try:
        wall, peak, _, out, rc = run_sampled(cmd, preexec=enter, env=env)
        try:
            with open(peak_file) as f:
                cg = f", cgroup peak {int(f.read()) / (1 << 20):.0f} MiB"
        except OSError:
            cg = ""
    finally:
        cleanup()
    return wall, peak, out, rc, cg + (", OOM-killed" if rc == -9 else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--file", required=True)
    ap.add_argument("--file2", help="merge_months' second month")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dask-runs", type=int, default=1)
    ap.add_argument("--systems", default="dusk,duckdb,polars,dask")
    ap.add_argument("--queries", default=",".join(QUERIES))
    ap.add_argument("--cgroup", action="store_true",
                    help="run every system inside a 4 GiB memory cgroup "
                    "(the 2 vCPU / 4 GiB notebook); also prints the "
                    "cgroup's peak and whether the OOM killer ended a run")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    path = os.path.abspath(a.file)
    systems = a.systems.split(",")
    env = dict(os.environ, POLARS_MAX_THREADS="2", BENCH_THREADS="2")
    if a.file2:
        env["BENCH_FILE2"] = os.environ["BENCH_FILE2"] = \
            os.path.abspath(a.file2)
    if {"merge_csv", "merge_sort_csv"} & set(a.queries.split(",")):
        from taxi import ensure_zones
        if not os.path.exists(zones_path(path)):
            ensure_zones(zones_path(path))
        env["BENCH_ZONES"] = zones_path(path)
    res = {}
    for q in a.queries.split(","):
        for s in systems:
            runs = a.dask_runs if s == "dask" else a.runs
            for i in range(runs):
                if q in WRITING:
                    shutil.rmtree(OUT_DIR, ignore_errors=True)
                    os.makedirs(OUT_DIR)
                wall, peak, out, rc, confined = run_one(
                    command(s, q, path, build),
                    dict(env, BENCH_OUT_DIR=OUT_DIR), a.cgroup)
                r = res.setdefault((q, s), {"wall": [], "peak": [],
                                            "answer": None})
                if rc != 0:  # its stderr went to ours
                    print(f"  {q} {s}: FAILED (exit {rc}{confined}) after "
                          f"{wall:.2f} s, {peak:.0f} MiB", flush=True)
                    r["failed"] = (
                        "OOM-killed" if confined.endswith("OOM-killed")
                        else f"exit {rc}") + f" at {wall:.0f}s"
                    break
                r["wall"].append(wall)
                r["peak"].append(peak)
                line = {} if s == "dusk" else \
                    json.loads(out.strip().splitlines()[-1])
                r["answer"] = dusk_answer(q, out) if s == "dusk" else \
                    written_answer() if q in ("sort_csv",
                                              "merge_sort_csv") else \
                    written_answer()[0] if q == "merge_csv" else \
                    line["answer"]
                if q in WRITING:
                    shutil.rmtree(OUT_DIR, ignore_errors=True)
                # Dask's sorts say which shuffle they used
                how = f", shuffle: {line['shuffle']}" if "shuffle" in line \
                    else ""
                print(f"  {q} {s} run {i + 1}/{runs}: {wall:.2f} s, "
                      f"{peak:.0f} MiB{how}{confined}", flush=True)
    print()
    print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1e9:.2f} GB; "
          "medians; ratio = system / dusk (wall)")
    print(f"  {'query':14} " + " ".join(f"{s:>22}" for s in systems))
    for q in a.queries.split(","):
        d = res.get((q, "dusk"))
        dw = statistics.median(d["wall"]) if d and d["wall"] else float("nan")
        cells = []
        for s in systems:
            r = res.get((q, s))
            if r is None or not r["wall"]:
                why = "failed" if r is None else r.get("failed", "failed")
                cells.append(f"{why[:22]:>22}")
                continue
            w = statistics.median(r["wall"])
            m = statistics.median(r["peak"])
            # (without dusk in the run there is nothing to compare with)
            same = "" if s == "dusk" or d is None or \
                close(r["answer"], d["answer"]) else " !="
            cells.append(f"{w:7.2f}s {m:5.0f}MiB {w / dw:5.1f}x{same}"
                         .rjust(22))
        print(f"  {q:14} " + " ".join(cells))
    print("  (!= : the answer differs from dusk's)")


if __name__ == "__main__":
    main()
