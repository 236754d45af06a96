#!/usr/bin/python3
"""bench/taxi.py - dusk beside Dask, pandas, DuckDB and Polars on the
FHVHV-shaped taxi queries, in one run on the same warm files.  Normally run
through bench/taxi.sh (which builds dusk and installs the peers first):

  /usr/bin/python3 bench/taxi.py --bin BUILD/bin [--rows 21500000] [--runs 3]
      [--systems dusk,dask,pandas,duckdb,polars] [--queries groupby,filter_head,concat_groupby,len]
      [--data DIR] [--timeout 600] [--mem-cap-mib N] [--results DIR]

Queries (pandas spelling; every system computes the same answer):
  groupby         read_csv(A).groupby("PULocationID").count()
  filter_head     read_csv(A).fillna(0).query("PULocationID > 200").head(10)
  concat_groupby  concat([read_csv(A), read_csv(B)]).groupby("PULocationID").count()
  len             len(read_csv(A))
  merge_groupby   read_csv(A).merge(read_csv(Z), left_on="PULocationID",
                  right_on="LocationID").groupby("Borough").size()
                  (Z: a 265-row taxi zone lookup, generated like the real
                  taxi+_zone_lookup.csv: LocationID,Borough,Zone,service_zone)

Method: every run is a fresh process tree, end to end (cluster start for
dusk and Dask, imports for pandas, node runtime start for DuckDB and
Polars), timed from spawn to exit.  The inputs are read once before each
system's runs of a query (warm page cache).  While a run goes, /proc is
polled every 20 ms for every process of its tree (ppid chains from the
launched pid, plus its session), and the VmRSS of all of them is summed;
the peak of that sum is the run's peak RSS.  A run past --timeout is
killed ("timeout"); one whose tree passes --mem-cap-mib is killed before
the OOM killer picks a victim ("memcap").  A failed run (those two, a
non-zero exit or unreadable output) ends that system's runs of that query.
Each run also logs its tree's CPU time and the CPU time the rest of the
machine used meanwhile, so a run disturbed by other work shows.  Each
answer is checked against dusk's (groups and every group's counts, the
head rows, len against the rows generated); a disagreement is printed as
MISMATCH.  Timings are reported, never asserted.

Results: a table on stdout, and results/taxi-<timestamp>.csv and .png (plus
taxi-latest.csv/.png) under bench/ unless --results says otherwise.
"""
import argparse
import csv
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
PY = "/usr/bin/python3"          # Debian's python3 (pandas, dask, distributed)
SYSTEMS = ["dusk", "dask", "pandas", "duckdb", "polars", "dusk_libcsv"]
# dusk_libcsv: dusk with its vectorised CSV fast path off (libcsv only), to
# show both parsers; not in the default --systems.
QUERIES = ["groupby", "fillna_groupby", "filter_head", "concat_groupby", "len",
           "merge_groupby"]
FULL_ROWS = 21500000             # one FHVHV month, ~1.34 GB
SEED_A, MONTH_A = 7, 2
SEED_B, MONTH_B = 8, 4

PANDAS_TEXT = {
    "groupby": 'read_csv(A).groupby("PULocationID").count()',
    "fillna_groupby": 'read_csv(A).fillna(0).groupby("PULocationID").count()',
    "filter_head": 'read_csv(A).fillna(0).query("PULocationID > 200").head(10)',
    "concat_groupby": 'concat([read_csv(A), read_csv(B)]).groupby("PULocationID").count()',
    "len": "len(read_csv(A))",
    "merge_groupby": 'read_csv(A).merge(read_csv(Z), left_on="PULocationID", '
                     'right_on="LocationID").groupby("Borough").size()',
}


def log(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- sampling

class TreeSampler(threading.Thread):
    """Polls /proc every `interval` s for the process tree under `root` and
    keeps the peak of the summed VmRSS (statm resident pages)."""

    def __init__(self, root, interval=0.02, cap_bytes=None, on_cap=None):
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.cap = cap_bytes
        self.on_cap = on_cap
        self.members = {root}
        self.known = {root: True}     # pid -> in tree (forgotten when it exits)
        self.peak = 0
        self.max_procs = 1
        self.capped = False
        self.page = os.sysconf("SC_PAGE_SIZE")
        self._halt = threading.Event()

    def _scan(self):
        live = set()
        new = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            live.add(pid)
            if pid in self.known:
                continue
            try:
                with open("/proc/%d/stat" % pid, "rb") as f:
                    st = f.read()
            except OSError:
                continue
            rest = st[st.rindex(b")") + 2:].split()
            # state ppid pgrp session ...
            new[pid] = (int(rest[1]), int(rest[2]), int(rest[3]))
        for pid in [p for p in self.known if p not in live]:
            del self.known[pid]
            self.members.discard(pid)
        changed = True
        while changed:
            changed = False
            for pid, (ppid, pgrp, sid) in list(new.items()):
                if ppid in self.members or pgrp == self.root or sid == self.root:
                    self.members.add(pid)
                    self.known[pid] = True
                    del new[pid]
                    changed = True
        for pid in new:
            self.known[pid] = False
        total = 0
        for pid in list(self.members):
            try:
                with open("/proc/%d/statm" % pid, "rb") as f:
                    total += int(f.read().split()[1]) * self.page
            except (OSError, IndexError, ValueError):
                pass
        self.peak = max(self.peak, total)
        self.max_procs = max(self.max_procs, len(self.members))
        if self.cap and total > self.cap and not self.capped:
            self.capped = True
            self.on_cap()

    def run(self):
        while not self._halt.is_set():
            try:
                self._scan()
            except Exception as e:  # never let the sampler kill the bench
                log("  (sampler: %s)" % e)
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join()


def kill_tree(pid, members=()):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    for p in members:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


CURRENT = {}   # the run in flight, killed if the driver is interrupted


def on_signal(signum, _frame):
    if CURRENT:
        kill_tree(CURRENT["pid"], list(CURRENT["sampler"].members))
    log("\ninterrupted (signal %d): the run in flight was killed" % signum)
    sys.exit(128 + signum)


def cpu_busy_s():
    """CPU seconds spent by the whole machine so far (all cores, not idle)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def run_once(cmd, env, timeout, cap_bytes):
    """One end-to-end run -> dict(status, wall, peak, procs, cpu, others, stdout, stderr).

    cpu is the tree's CPU time (wait4's rusage: the launched process and the
    children it waited for); others is what the rest of the machine burnt
    meanwhile (busy time in /proc/stat minus cpu), a sign of a noisy run."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    busy0 = cpu_busy_s()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                            env=env, start_new_session=True)
    sampler = TreeSampler(proc.pid, cap_bytes=cap_bytes,
                          on_cap=lambda: kill_tree(proc.pid, list(sampler.members)))
    CURRENT.update(pid=proc.pid, sampler=sampler)
    sampler.start()
    timer = threading.Timer(timeout, lambda: kill_tree(proc.pid, list(sampler.members)))
    timer.daemon = True
    timer.start()
    _, wstatus, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    busy = cpu_busy_s() - busy0
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(wstatus)
    rc = proc.returncode
    if sampler.capped:
        status = "memcap"
    elif wall >= timeout and rc < 0:
        status = "timeout"
    elif rc != 0:
        status = "error(rc=%d)" % rc
    else:
        status = "ok"
    sampler.stop()
    CURRENT.clear()
    # anything of the tree still alive after the launched process exited
    kill_tree(proc.pid, [p for p in sampler.members if p != proc.pid])
    out.seek(0)
    err.seek(0)
    cpu = ru.ru_utime + ru.ru_stime
    return {"status": status, "wall": wall, "peak": sampler.peak,
            "procs": sampler.max_procs, "cpu": cpu, "others": max(0.0, busy - cpu),
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace")}


# ---------------------------------------------------------------- systems

def dusk_expr(q, a, b):
    ra = 'read_csv("%s")' % a
    return {
        "groupby": ra + '.groupby("PULocationID").count()',
        "fillna_groupby": ra + '.fillna(0).groupby("PULocationID").count()',
        "filter_head": ra + '.fillna(0).query("PULocationID > 200").head(10)',
        "concat_groupby": 'concat([%s, read_csv("%s")]).groupby("PULocationID").count()' % (ra, b),
        "len": "len(%s)" % ra,
        "merge_groupby": ra + '.merge(read_csv("%s"), left_on="PULocationID", '
                         'right_on="LocationID").groupby("Borough").size()' % b,
    }[q]


def command(system, q, a, b, bindir):
    if system in ("dusk", "dusk_libcsv"):
        return [os.path.join(bindir, "dusk"), "query", "--workers", "2", "--format", "json",
                dusk_expr(q, a, b)]
    if system in ("dask", "pandas"):
        return [PY, os.path.join(PEERS, "peer_%s.py" % system), q, a, b]
    return ["node", os.path.join(PEERS, "peer_%s.mjs" % system), q, a, b]


def parse_answer(system, q, stdout):
    """-> normalised answer {"result_rows", "groups"|"head"|"len"}."""
    if system not in ("dusk", "dusk_libcsv"):
        line = [l for l in stdout.splitlines() if l.startswith("{")][-1]
        return json.loads(line)   # {"system", "query", "inner_s", ...answer}
    rows = json.loads(stdout)
    if q == "merge_groupby":
        return {"result_rows": len(rows),
                "groups": {r["Borough"]: [int(r["0"]), int(r["0"])] for r in rows}}
    if q in ("groupby", "fillna_groupby", "concat_groupby"):
        g = {}
        for r in rows:
            k = r["PULocationID"]
            if k is None:
                continue
            if isinstance(k, float) and k.is_integer():
                k = int(k)
            g[str(k)] = [int(r["hvfhs_license_num"]), int(r["SR_Flag"] or 0)]
        return {"result_rows": len(rows), "groups": g}
    if q == "filter_head":
        return {"result_rows": len(rows),
                "head": [[int(r["PULocationID"]), int(r["DOLocationID"])] for r in rows],
                "index": [int(r[""]) for r in rows if "" in r]}
    return {"result_rows": 1, "len": int(rows[0]["len"])}


def same_answer(x, y):
    """Two runs' answers, ignoring timing and labels."""
    drop = ("inner_s", "system", "query")
    return {k: v for k, v in x.items() if k not in drop} == {k: v for k, v in y.items() if k not in drop}


def compare(q, ans, ref, ref_name, expect_len):
    """-> 'ok ...' or 'MISMATCH ...' (ans vs the reference answer)."""
    if q == "len":
        if expect_len is not None and ans["len"] != expect_len:
            return "MISMATCH: len %d, the files hold %d rows" % (ans["len"], expect_len)
        if ref is not None and ans["len"] != ref["len"]:
            return "MISMATCH: len %d vs %s %d" % (ans["len"], ref_name, ref["len"])
        return "ok (len %d)" % ans["len"]
    if ref is None:
        return "unchecked (no reference answer)"
    if q == "filter_head":
        if ans["result_rows"] != ref["result_rows"]:
            return "MISMATCH: %d rows vs %s %d" % (ans["result_rows"], ref_name, ref["result_rows"])
        if ans["head"] != ref["head"]:
            i = next(i for i, (x, y) in enumerate(zip(ans["head"], ref["head"])) if x != y)
            return "MISMATCH: row %d (PU,DO)=%s vs %s %s" % (i, ans["head"][i], ref_name, ref["head"][i])
        if ans.get("index") and ref.get("index") and ans["index"] != ref["index"]:
            return "MISMATCH: index %s vs %s %s" % (ans["index"][:3], ref_name, ref["index"][:3])
        return "ok (%d rows, same PU/DO)" % ans["result_rows"]
    ga, gr = ans["groups"], ref["groups"]
    if len(ga) != len(gr):
        return "MISMATCH: %d groups vs %s %d" % (len(ga), ref_name, len(gr))
    bad = [k for k in gr if ga.get(k) != gr[k]]
    if bad:
        k = bad[0]
        return "MISMATCH: %d keys differ, e.g. %s: %s vs %s %s" % (len(bad), k, ga.get(k), ref_name, gr[k])
    return "ok (%d groups, all counts equal)" % len(ga)


def probe(system, bindir):
    """-> None if usable, else the reason it is skipped."""
    if system in ("dusk", "dusk_libcsv"):
        exe = os.path.join(bindir, "dusk")
        return None if os.access(exe, os.X_OK) else "no %s (build dusk or pass --build)" % exe
    if system in ("pandas", "dask"):
        mod = "pandas" if system == "pandas" else "dask.dataframe, distributed"
        if not os.access(PY, os.X_OK):
            return "%s not found" % PY
        r = subprocess.run([PY, "-c", "import " + mod], capture_output=True, text=True)
        if r.returncode:
            pkg = "python3-pandas" if system == "pandas" else "python3-dask python3-distributed"
            return "%s cannot import %s (apt-get install %s): %s" % (
                PY, mod, pkg, r.stderr.strip().splitlines()[-1:] or "")
        return None
    if not shutil.which("node"):
        return "node not found (apt-get install nodejs npm)"
    mod = "@duckdb/node-api" if system == "duckdb" else "nodejs-polars"
    r = subprocess.run(["node", "--input-type=module", "-e", "await import(%s)" % json.dumps(mod)],
                       cwd=HERE, capture_output=True, text=True)
    if r.returncode:
        tail = (r.stderr.strip().splitlines() or ["?"])[-1]
        return "node cannot load %s under bench/ (bench/taxi.sh runs `npm i -E ...`): %s" % (mod, tail)
    return None


def versions(systems, bindir):
    v = {}
    if "dusk" in systems:
        r = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        v["dusk"] = "binaries in %s; repo HEAD %s" % (bindir, r.stdout.strip() or "?")
    for s, mod in (("pandas", "pandas"), ("dask", "dask")):
        if s in systems:
            r = subprocess.run([PY, "-c", "import %s; print(%s.__version__)" % (mod, mod)],
                               capture_output=True, text=True)
            v[s] = r.stdout.strip() or "?"
    for s, pkg in (("duckdb", "@duckdb/node-api"), ("polars", "nodejs-polars")):
        if s in systems:
            try:
                with open(os.path.join(HERE, "node_modules", pkg, "package.json")) as f:
                    v[s] = "%s %s" % (pkg, json.load(f)["version"])
            except OSError:
                v[s] = "?"
    return v


# ---------------------------------------------------------------- data

def ensure_zones(path):
    """The zone lookup's shape: LocationID 1..265, a Borough (a few
    missing, as "Unknown"'s row has none), a Zone holding commas, a
    service_zone; deterministic."""
    boroughs = ["Manhattan", "Queens", "Brooklyn", "Bronx", "Staten Island", "EWR"]
    with open(path + ".tmp", "w", newline="") as f:
        f.write("LocationID,Borough,Zone,service_zone\n")
        for i in range(1, 266):
            b = "" if i % 88 == 0 else boroughs[(i * 7) % len(boroughs)]
            f.write('%d,%s,"Zone %d, part %d",%s\n' % (
                i, b, i, i % 3, "Yellow Zone" if i % 4 == 0 else "Boro Zone"))
    os.replace(path + ".tmp", path)


def data_files(d, rows):
    base = "fhv_1x" if rows == FULL_ROWS else "fhv_%d" % rows
    return os.path.join(d, base + ".csv"), os.path.join(d, base + "_b.csv")


def warm(path):
    """Read the file once (like cat > /dev/null); -> data rows (newlines - header)."""
    n = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            buf = f.read(16 << 20)
            if not buf:
                break
            n += buf.count(b"\n")
    return n - 1


def ensure_data(bindir, path, rows, seed, month):
    if os.path.exists(path):
        have = warm(path)
        if have == rows:
            log("data: %s (%d rows, %.0f MB) reused" % (path, rows, os.path.getsize(path) / 1e6))
            return
        log("data: %s holds %d rows, not %d: generating it again" % (path, have, rows))
    gen = os.path.join(bindir, "dusk-gen-fhv")
    log("data: generating %s (%d rows, seed %d, month %d)" % (path, rows, seed, month))
    tmp = path + ".tmp"
    subprocess.run([gen, tmp, str(rows), "--seed", str(seed), "--month", str(month)], check=True)
    os.replace(tmp, path)


# ---------------------------------------------------------------- report

def fmt_s(x):
    return "%.2f" % x if x < 100 else "%.0f" % x


def write_chart(png, results, systems, queries, title, fail_notes):
    if not shutil.which("gnuplot"):
        log("chart skipped: gnuplot not found (apt-get install gnuplot-nox)")
        return False
    tmp = tempfile.mkdtemp(prefix="taxi-chart-")
    dat = os.path.join(tmp, "taxi.dat")
    with open(dat, "w") as f:
        for key in ("median", "peak_mib"):
            for q in queries:
                f.write(q + " " + " ".join(
                    ("%.4g" % results[(s, q)][key]) if results.get((s, q), {}).get(key) else "?"
                    for s in systems) + "\n")
            f.write("\n\n")
    colors = {"dusk": "#1f77b4", "dask": "#ff7f0e", "pandas": "#2ca02c", "duckdb": "#d62728", "polars": "#9467bd",
              "dusk_libcsv": "#8c564b"}
    n = len(systems)

    def plots(idx, fmt):
        bars = ["'%s' index %d using %d%s title '%s' lc rgb '%s'" % (
            dat, idx, i + 2, ":xtic(1)" if i == 0 else "", s, colors.get(s, "gray"))
            for i, s in enumerate(systems)]
        # value labels over the bars: bar i of a cluster sits at x + (i - (n-1)/2) / (n + gap)
        labels = ["'%s' index %d using ($0 + %g):%d:(sprintf('%s', column(%d))) with labels "
                  "offset 0,0.7 font ',8' notitle" % (dat, idx, (i - (n - 1) / 2.0) / (n + 1), i + 2, fmt, i + 2)
                  for i in range(n)]
        return ", ".join(bars + labels)
    # a run that failed leaves its bar out: say why where the bar would be
    fail_labels = "\n".join(
        "set label %d \"%s\" at first %g, graph 0.03 rotate by 90 left font ',9' tc rgb '%s'" % (
            100 + k, results[(s, q)]["status"].replace('"', "'"),
            qi + (si - (n - 1) / 2.0) / (n + 1), colors.get(s, "gray"))
        for k, (qi, q, si, s) in enumerate(
            (qi, q, si, s) for qi, q in enumerate(queries) for si, s in enumerate(systems)
            if (s, q) in results and not results[(s, q)].get("median")))
    note = ("missing bar: " + "; ".join(fail_notes)) if fail_notes else ""
    gp = """
set terminal pngcairo noenhanced size 1300,900 font ',10'
set output '%s'
set multiplot layout 2,1 title "%s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set datafile missing '?'
set key outside right top
set grid ytics
set logscale y
set yrange [*:*]
set xrange [-0.6:%g]
set ylabel 'wall time, s (median, log scale)'
set label 1 "%s" at screen 0.01, screen 0.012 font ',9'
%s
plot %s
unset label
set bmargin 4
set ylabel 'peak RSS of the process tree, MiB (log scale)'
plot %s
unset multiplot
""" % (png, title.replace('"', "'"), len(queries) - 0.4, note.replace('"', "'"), fail_labels,
       plots(0, "%.3g"), plots(1, "%.0f"))
    script = os.path.join(tmp, "taxi.gp")
    with open(script, "w") as f:
        f.write(gp)
    r = subprocess.run(["gnuplot", script], capture_output=True, text=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if r.returncode or not os.path.exists(png):
        log("chart failed: gnuplot: %s" % r.stderr.strip()[-500:])
        return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="dusk build's bin/ folder (dusk, dusk-gen-fhv)")
    ap.add_argument("--rows", type=int, default=FULL_ROWS, help="rows per file (default %(default)s, ~1.34 GB)")
    ap.add_argument("--runs", type=int, default=3, help="runs per system and query (median reported)")
    ap.add_argument("--systems", default=",".join(s for s in SYSTEMS if s != "dusk_libcsv"))
    ap.add_argument("--queries", default=",".join(QUERIES))
    ap.add_argument("--data", default=os.path.join(os.path.dirname(HERE), "data"),
                    help="folder for the generated CSV files (default: the repo's data/, gitignored)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run (default 600)")
    ap.add_argument("--mem-cap-mib", type=float, default=None,
                    help="kill a run whose process tree passes this summed RSS "
                         "(default: 90%% of MemAvailable at start)")
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    a = ap.parse_args()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    systems = [s.strip() for s in a.systems.split(",") if s.strip()]
    queries = [q.strip() for q in a.queries.split(",") if q.strip()]
    for s in systems:
        if s not in SYSTEMS:
            sys.exit("unknown system %r (known: %s)" % (s, ",".join(SYSTEMS)))
    for q in queries:
        if q not in QUERIES:
            sys.exit("unknown query %r (known: %s)" % (q, ",".join(QUERIES)))
    if a.runs < 1:
        sys.exit("--runs must be >= 1")
    bindir = os.path.abspath(a.bin)
    if a.mem_cap_mib is None:
        with open("/proc/meminfo") as f:
            avail_kib = next(int(l.split()[1]) for l in f if l.startswith("MemAvailable:"))
        a.mem_cap_mib = 0.9 * avail_kib / 1024
    cap_bytes = int(a.mem_cap_mib * 1024 * 1024)

    os.makedirs(a.data, exist_ok=True)
    fa, fb = data_files(os.path.abspath(a.data), a.rows)
    ensure_data(bindir, fa, a.rows, SEED_A, MONTH_A)
    if "concat_groupby" in queries:
        ensure_data(bindir, fb, a.rows, SEED_B, MONTH_B)
    fz = os.path.join(os.path.abspath(a.data), "taxi_zone_lookup.csv")
    if "merge_groupby" in queries:
        ensure_zones(fz)
    mb_a = os.path.getsize(fa) / 1e6
    mb_b = os.path.getsize(fb) / 1e6 if os.path.exists(fb) else 0.0

    skipped = {}
    for s in systems:
        why = probe(s, bindir)
        if why:
            skipped[s] = why
            log("SKIP %s: %s" % (s, why))
    active = [s for s in systems if s not in skipped]
    vers = versions(active, bindir)

    log("")
    log("dusk taxi benchmark: %d rows per file (%.0f MB), %d runs per system and query, "
        "timeout %.0f s, memory cap %.0f MiB" % (a.rows, mb_a, a.runs, a.timeout, a.mem_cap_mib))
    log("  A = %s%s" % (fa, "\n  B = %s" % fb if "concat_groupby" in queries else ""))
    log("  every run is a fresh process tree, end to end: LocalCluster start for dusk and Dask,")
    log("  imports for pandas, node runtime start for DuckDB and Polars; inputs read once")
    log("  (cat > /dev/null) before each system's runs of a query, so the page cache is warm.")
    log("  systems: " + "; ".join(
        "%s (%s)" % (s, d) for s, d in (
            ("dusk", "LocalCluster, 2 workers"), ("dask", "LocalCluster 2 workers x 1 thread, processes"),
            ("pandas", "1 process"), ("duckdb", "SET threads=2"), ("polars", "POLARS_MAX_THREADS=2"),
            ("dusk_libcsv", "dusk with DUSK_CSV_FASTPATH=0"))
        if s in active))
    log("  versions: " + ", ".join("%s %s" % (s, vers.get(s, "?")) for s in active))
    if "dask" in active:
        log("  Dask: dd.read_csv(dtype={PULocationID, DOLocationID, SR_Flag: float64}) - without these")
        log("    hints Dask's 256 kB sample infers int64 and the compute stops on the later nulls.")
    if "duckdb" in active:
        log("  DuckDB SQL (read_csv_auto, datetimes as VARCHAR like the others; see peers/peer_duckdb.mjs):")
        log("    groupby: SELECT PULocationID, count(COLUMNS(* EXCLUDE (PULocationID))) ... WHERE PULocationID IS NOT NULL GROUP BY ALL")
        log("    filter_head: SELECT * REPLACE (COALESCE(PULocationID,0) AS PULocationID, COALESCE(DOLocationID,0) ...,")
        log("                 COALESCE(SR_Flag,0) ...) ... WHERE COALESCE(PULocationID,0) > 200 LIMIT 10")
        log("    concat_groupby: the groupby over read_csv_auto(['A','B']); len: SELECT count(*)")
    log("")

    results = {}
    answers = {}
    others_total, timed_total = [0.0], [0.0]
    for q in queries:
        inputs = [fa, fb] if q == "concat_groupby" else [fa, fz] \
            if q == "merge_groupby" else [fa]
        expect_rows = a.rows * (2 if q == "concat_groupby" else 1)
        in_mb = mb_a + (mb_b if q == "concat_groupby" else 0)
        log("== %s: %s" % (q, PANDAS_TEXT[q]))
        for s in active:
            for f in inputs:
                warm(f)
            env = dict(os.environ)
            if s == "polars":
                env["POLARS_MAX_THREADS"] = "2"
            if s == "dusk_libcsv":
                env["DUSK_CSV_FASTPATH"] = "0"
            cmd = command(s, q, fa, fz if q == "merge_groupby" else fb, bindir)
            walls, peaks, status, ans = [], [], "ok", None
            answer_check = ""
            for i in range(a.runs):
                r = run_once(cmd, env, a.timeout, cap_bytes)
                peaks.append(r["peak"])
                if r["status"] == "ok":
                    try:
                        this = parse_answer(s, q, r["stdout"])
                    except Exception as e:
                        r["status"] = "bad output (%s)" % e
                if r["status"] != "ok":
                    status = r["status"]
                    tail = " | ".join(r["stderr"].strip().splitlines()[-3:])
                    log("  %-7s run %d/%d: %s after %.1f s, peak %.0f MiB%s" % (
                        s, i + 1, a.runs, status.upper(), r["wall"], r["peak"] / 2**20,
                        (": " + tail[-300:]) if tail and status.startswith(("error", "bad")) else ""))
                    if i + 1 < a.runs:
                        log("  %-7s (its remaining runs of %s skipped)" % (s, q))
                    walls.append(r["wall"])
                    break
                walls.append(r["wall"])
                if ans is None:
                    ans = this
                elif same_answer(this, ans) is False and not answer_check:
                    answer_check = "MISMATCH: runs disagree"
                log("  %-7s run %d/%d: %7.2f s  peak %7.0f MiB  %d procs  cpu %6.1f s%s  other procs' cpu %.1f s" % (
                    s, i + 1, a.runs, r["wall"], r["peak"] / 2**20, r["procs"], r["cpu"],
                    ("  (in-process %.2f s)" % this["inner_s"]) if "inner_s" in this else "",
                    r["others"]))
                others_total[0] += r["others"]
                timed_total[0] += r["wall"]
            ok_walls = walls if status == "ok" else []
            med = statistics.median(ok_walls) if ok_walls else None
            results[(s, q)] = {
                "status": status, "walls": walls, "median": med,
                "peak_mib": max(peaks) / 2**20 if peaks else None,
                "in_mb": in_mb, "rows": expect_rows, "check": answer_check,
            }
            answers[(s, q)] = ans
        # answer checks against dusk (or the first system that answered)
        ref_sys = "dusk" if answers.get(("dusk", q)) else next(
            (s for s in active if answers.get((s, q))), None)
        ref = answers.get((ref_sys, q)) if ref_sys else None
        for s in active:
            res = results[(s, q)]
            if res["status"] != "ok":
                res["check"] = res["status"]
                continue
            if res["check"]:
                continue
            chk = compare(q, answers[(s, q)], ref if s != ref_sys else None, ref_sys, expect_rows)
            if s == ref_sys and chk.startswith("unchecked"):
                a_ = answers[(s, q)]
                chk = "reference (%s)" % ("%d groups" % len(a_["groups"]) if "groups" in a_
                                          else "%d rows" % a_["result_rows"])
            elif s == ref_sys and chk.startswith("ok"):
                chk = "reference, " + chk
            res["check"] = chk
        log("")

    # ------------------------------------------------------------ report
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    os.makedirs(a.results, exist_ok=True)
    csv_path = os.path.join(a.results, "taxi-%s.csv" % stamp)
    png_path = os.path.join(a.results, "taxi-%s.png" % stamp)
    header = ["system", "query", "rows", "file_mb", "wall_median_s", "walls", "mb_per_s",
              "peak_rss_mib", "ratio_to_dusk", "answer_check"]
    table = []
    fail_notes = []
    for q in queries:
        dmed = results.get(("dusk", q), {}).get("median")
        for s in active:
            r = results[(s, q)]
            med = r["median"]
            ratio = (med / dmed) if (med and dmed) else None
            if med is None:
                fail_notes.append("%s %s %s" % (s, q, r["status"]))
            table.append({
                "system": s, "query": q, "rows": r["rows"], "file_mb": "%.1f" % r["in_mb"],
                "wall_median_s": "%.3f" % med if med is not None else r["status"],
                # a failed run is written STATUS@seconds-until-it-was-stopped
                "walls": ";".join(
                    ("%.3f" % w) if (r["status"] == "ok" or i + 1 < len(r["walls"]))
                    else "%s@%.1f" % (r["status"], w) for i, w in enumerate(r["walls"])),
                "mb_per_s": "%.1f" % (r["in_mb"] / med) if med else "",
                "peak_rss_mib": "%.0f" % r["peak_mib"] if r["peak_mib"] is not None else "",
                "ratio_to_dusk": "%.2f" % ratio if ratio is not None else "",
                "answer_check": r["check"],
            })
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(table)
    shutil.copyfile(csv_path, os.path.join(a.results, "taxi-latest.csv"))

    title = "dusk vs peers: FHVHV-shaped CSV, %d rows (%.0f MB) per file, median of %d fresh runs, 2 workers/threads" % (
        a.rows, mb_a, a.runs)
    if write_chart(png_path, results, active, queries, title, fail_notes):
        shutil.copyfile(png_path, os.path.join(a.results, "taxi-latest.png"))
    else:
        png_path = None

    log("Results (wall = spawn to exit of a fresh process tree, median of %d runs; MB/s = input MB / wall;" % a.runs)
    log("peak RSS = max over runs of the summed VmRSS of every process in the tree, polled every 20 ms;")
    log("x dusk = wall / dusk's wall, > 1 is slower than dusk):")
    cols = [("query", 14), ("system", 7), ("input MB", 9), ("wall s", 9), ("runs s", 24),
            ("MB/s", 8), ("peak MiB", 9), ("x dusk", 7), ("answer", 0)]
    line = "  ".join(("%-*s" % (w, n)) if i < 2 or i == len(cols) - 1 or n == "runs s" else ("%*s" % (w, n))
                     for i, (n, w) in enumerate(cols))
    log(line)
    log("-" * min(140, len(line) + 30))
    prev_q = None
    for t in table:
        if prev_q is not None and t["query"] != prev_q:
            log("")
        prev_q = t["query"]
        med = t["wall_median_s"]
        try:
            med = fmt_s(float(med))
        except ValueError:
            pass
        runs_s = ", ".join(fmt_s(float(x)) if x[0].isdigit() else x for x in t["walls"].split(";") if x)
        vals = [t["query"], t["system"], t["file_mb"], med, runs_s, t["mb_per_s"] or "-",
                t["peak_rss_mib"] or "-", ("%sx" % t["ratio_to_dusk"]) if t["ratio_to_dusk"] else "-",
                ("!! " if t["answer_check"].startswith("MISMATCH") else "") + t["answer_check"]]
        log("  ".join(("%-*s" % (w, v)) if i < 2 or i == len(cols) - 1 or cols[i][0] == "runs s"
                      else ("%*s" % (w, v)) for i, ((n, w), v) in enumerate(zip(cols, vals))))
    mism = [t for t in table if t["answer_check"].startswith("MISMATCH")]
    if mism:
        log("")
        log("!! %d ANSWER MISMATCH(ES): %s" % (len(mism), "; ".join(
            "%s %s: %s" % (t["system"], t["query"], t["answer_check"]) for t in mism)))
    for s, why in skipped.items():
        log("skipped %s: %s" % (s, why))
    if timed_total[0]:
        log("noise: other processes used %.0f CPU-s during %.0f s of timed runs (%.0f%% of %d cores)" % (
            others_total[0], timed_total[0], 100 * others_total[0] / (timed_total[0] * os.cpu_count()),
            os.cpu_count()))
    log("")
    log("wrote %s%s (and taxi-latest.*)" % (csv_path, (" and " + png_path) if png_path else ""))


if __name__ == "__main__":
    main()
