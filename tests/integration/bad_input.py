#!/usr/bin/python3
"""Bad input: a clear error, never a crash, hang or silent wrong answer.

Every case runs `dusk query` against one `dusk local --workers 2` cluster,
reached like a remote one, and checks that the command fails (exit 1, or 2
for a malformed expression) with a message naming the file, the line, the
column or the peer -- or, where pandas answers (a header-only file, a type
that widens late), that dusk gives pandas' answer.  A query that takes
longer than 30 s is a hang.  After every case the cluster must still answer
a good query correctly and must not have lost a process (the nanny restarts
a crashed worker, so the cluster log is read for deaths and sanitizer
reports too).

Run by ctest with Debian's /usr/bin/python3 (python3-pandas for the cases
that compare with pandas):
  bad_input.py --bin BUILD/bin --work DIR [--only SUBSTRING]

Prints "ok NAME" or "FAIL NAME: why" per case and a closing
'N passed, N failed' line; exits nonzero on any failure.  The cluster's
stderr is kept in DIR/cluster.log.
"""
import argparse
import csv
import io
import math
import os
import random
import re
import select
import shutil
import subprocess
import sys
import time

# seconds; longer is a hang (scaled for the sanitizer build by ctest)
QUERY_TIMEOUT = 30 * int(os.environ.get("DUSK_TEST_TIMEOUT_SCALE", "1"))
# In the stderr of `dusk query`: signs of a crash, not of an error message.
CRASH_WORDS = ("Sanitizer", "Segmentation", "Aborted", "double free")
# In the cluster's stderr: a process died or a sanitizer spoke.
CLUSTER_BAD = re.compile(r"killed by signal|exited with status|"
                         r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|"
                         r"runtime error:|Segmentation fault|double free|"
                         r"Aborted")
SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|"
                       r"runtime error:")
# The line under an echoed expression that points at the mistake.
CARET = re.compile(r"(?m)^ *\^ *$")
# The rows scanned by the scheduler's sample (scheduler/query.c
# SAMPLE_BYTES): a bad line past it is found by a worker's scan instead.
SAMPLE_BYTES = 256 << 10
GOOD_ROWS = 1000
NWORKERS = 2


# ---- the files ------------------------------------------------------------

def read_lines(path):
    with open(path, newline="") as f:
        return f.read().split("\n")[:-1]


def write_lines(path, lines, encoding="utf-8"):
    with open(path, "wb") as f:
        for line in lines:
            f.write(line.encode(encoding) if isinstance(line, str) else line)
            f.write(b"\n")


def offset_of_line(lines, n):
    """Byte offset where 1-based line n starts."""
    return sum(len(l.encode("latin-1")) + 1 for l in lines[:n - 1])


def gen_fhv(bin_dir, path, rows, seed):
    subprocess.run([os.path.join(bin_dir, "dusk-gen-fhv"), path, str(rows),
                    "--seed", str(seed)], check=True)


class Files:
    """Every input the cases read, made once; line numbers are 1-based with
    the header on line 1.  "small" files go wrong inside the scheduler's
    sample, "big" ones past it, where a worker's range scan finds it."""

    def __init__(self, bin_dir, work):
        self.bin = bin_dir
        self.work = work
        p = self.path
        gen_fhv(bin_dir, p("good.csv"), GOOD_ROWS, 1)
        gen_fhv(bin_dir, p("small.csv"), 50, 2)
        gen_fhv(bin_dir, p("big.csv"), 20000, 3)
        small = read_lines(p("small.csv"))
        big = read_lines(p("big.csv"))
        self.header = small[0].split(",")
        assert "PULocationID" in self.header
        self.big_line = 15000
        if offset_of_line(big, self.big_line) <= SAMPLE_BYTES + 4096:
            raise SystemExit("big.csv too small to put a line past the sample")

        open(p("empty.csv"), "wb").close()
        write_lines(p("header_only.csv"), small[:1])
        os.makedirs(p("a_directory.csv"), exist_ok=True)
        fifo = p("a_fifo.csv")
        if not os.path.exists(fifo):
            os.mkfifo(fifo)
        write_lines(p("blank_only.csv"), ["", "  ", "\t", ""])

        # Ragged rows: one field too many, one too few.
        self.ragged = {}
        for size, lines, at in (("small", small, 4), ("big", big,
                                                      self.big_line)):
            ls = list(lines)
            ls[at - 1] += ",extra"
            write_lines(p(f"ragged_extra_{size}.csv"), ls)
            self.ragged[("extra", size)] = (at, 8)
            ls = list(lines)
            ls[at] = ls[at].rsplit(",", 1)[0]
            write_lines(p(f"ragged_missing_{size}.csv"), ls)
            self.ragged[("missing", size)] = (at + 1, 6)

        # Invalid UTF-8 (a lone 0xFF 0xFE) in dispatching_base_num.
        self.utf8_line = {"small": 3, "big": self.big_line}
        for size, lines in (("small", small), ("big", big)):
            ls = [l.encode() for l in lines]
            at = self.utf8_line[size]
            f = ls[at - 1].split(b",")
            f[1] = b"\xff\xfe" + f[1]
            ls[at - 1] = b",".join(f)
            write_lines(p(f"bad_utf8_{size}.csv"), ls)

        # Binary garbage: after a header line, and on its own.
        rnd = random.Random(20240607)
        garbage = bytes(rnd.getrandbits(8) for _ in range(4096))
        assert b"\0" in garbage
        with open(p("garbage_after_header.csv"), "wb") as f:
            f.write(b"a,b,c\n" + garbage)
        with open(p("garbage.csv"), "wb") as f:
            f.write(garbage)

        # A quoted field still open at the end of the file (the last line).
        self.unterminated_line = {}
        for size, lines in (("small", small), ("big", big)):
            f = lines[-1].split(",")
            f[1] = '"' + f[1]
            write_lines(p(f"unterminated_{size}.csv"), lines + [",".join(f)])
            self.unterminated_line[size] = len(lines) + 1

        # A 2 MiB unquoted field (the cap is 1 MiB).
        self.long_line = {"small": 4, "big": self.big_line}
        for size, lines in (("small", small), ("big", big)):
            ls = list(lines)
            at = self.long_line[size]
            f = ls[at - 1].split(",")
            f[1] = "B" * (2 << 20)
            ls[at - 1] = ",".join(f)
            write_lines(p(f"long_field_{size}.csv"), ls)

        # Text after the closing quote of a quoted field ("5'10"x, which
        # pandas reads as 5'10x and dusk refuses) past the sample.  A quote
        # inside an unquoted field is data, as in pandas: tests/pandas.
        ls = list(big)
        f = ls[self.big_line - 1].split(",")
        f[1] = "\"5'10\"x" + f[1]
        ls[self.big_line - 1] = ",".join(f)
        write_lines(p("stray_quote_big.csv"), ls)

        # A string column with one null, past the sample: fillna(0) makes
        # it an object column of strings and the number 0 (pandas).
        ls = list(big)
        f = ls[self.big_line - 1].split(",")
        f[1] = ""
        ls[self.big_line - 1] = ",".join(f)
        write_lines(p("late_null_big.csv"), ls)

        # A pickup_datetime pandas' parse_dates reads (another spelling, a
        # time zone) and dusk's datetime columns do not, in the sample and
        # past it: an error naming the line, not a text column.
        self.date_line = {"small": 3, "big": self.big_line}
        self.date_values = {"form": "2021/02/05 10:00:00",
                            "tz": "2021-02-05 10:00:00Z"}
        for size, lines in (("small", small), ("big", big)):
            for kind, value in self.date_values.items():
                ls = list(lines)
                at = self.date_line[size]
                f = ls[at - 1].split(",")
                f[2] = value
                ls[at - 1] = ",".join(f)
                write_lines(p(f"date_{kind}_{size}.csv"), ls)

        # Two files of one glob with different headers.
        os.makedirs(p("mixed"), exist_ok=True)
        write_lines(p("mixed/part1.csv"), small)
        write_lines(p("mixed/part2.csv"),
                    [small[0].replace("PULocationID", "PUlocationid")]
                    + small[1:])

        # An int column that turns to text at data row 50,000 of 60,000.
        rnd = random.Random(17)
        rows = ["k,x,y"]
        for i in range(60000):
            x = str(rnd.randint(-1000, 1000))
            if i == 49999:
                x = "abc"
            rows.append(f"k{rnd.randint(0, 9)},{x},{rnd.randint(0, 5)}")
        write_lines(p("widen_late.csv"), rows)


        with open(p("wrong.token"), "w") as f:
            f.write("0123456789abcdef0123456789abcdef\n")

    def path(self, name):
        return os.path.join(self.work, name)


# ---- the cluster ----------------------------------------------------------

class Cluster:
    def __init__(self, bin_dir, work):
        self.dusk = os.path.join(bin_dir, "dusk")
        self.log_path = os.path.join(work, "cluster.log")
        self.log = open(self.log_path, "w")
        self.log_pos = 0
        self.proc = subprocess.Popen([self.dusk, "local", "--workers",
                                      str(NWORKERS)],
                                     stdout=subprocess.PIPE,
                                     stderr=self.log)
        # Raw reads: a buffered reader would hide lines from select().
        info, buf = {}, b""
        deadline = time.monotonic() + 60
        fd = self.proc.stdout.fileno()
        while "token-file" not in info:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.stop()
                raise SystemExit("dusk local did not announce itself")
            chunk = os.read(fd, 4096)
            if not chunk:
                self.stop()
                raise SystemExit("dusk local exited: see " + self.log_path)
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                k, _, v = line.decode().strip().partition(" ")
                info[k] = v
        self.addr = info["scheduler"]
        self.token_file = info["token-file"]
        self.scheduler_pid = self.nanny_pid = None
        self.workers = {}  # worker number -> pid

    def read_log(self):
        """New cluster log text since the last call."""
        with open(self.log_path, "rb") as f:
            f.seek(self.log_pos)
            data = f.read()
        self.log_pos += len(data)
        return data.decode("utf-8", "replace")

    def note_pids(self, text):
        for m in re.finditer(r"^(\d+):S .* listening on", text, re.M):
            self.scheduler_pid = int(m.group(1))
        for m in re.finditer(r"^(\d+):\w .* nanny running", text, re.M):
            self.nanny_pid = int(m.group(1))
        new = []
        for m in re.finditer(r"worker (\d+) registered: .* pid (\d+)", text):
            self.workers[int(m.group(1))] = int(m.group(2))
            if len(self.workers) > NWORKERS:  # the nanny replaced one
                new.append(f"worker {m.group(1)} (pid {m.group(2)}) joined")
        return new

    def query(self, expr, blocksize=None, fmt="csv", token_file="default",
              timeout=QUERY_TIMEOUT):
        cmd = [self.dusk, "query", "--scheduler", self.addr]
        if token_file == "default":
            token_file = self.token_file
        if token_file is not None:
            cmd += ["--token-file", token_file]
        if fmt:
            cmd += ["--format", fmt]
        if blocksize:
            cmd += ["--blocksize", blocksize]
        env = dict(os.environ)
        env.pop("DUSK_TOKEN", None)
        return subprocess.run(cmd + [expr], capture_output=True,
                              encoding="utf-8", errors="replace",
                              timeout=timeout, env=env)

    def popen_query(self, expr, blocksize=None, fmt="csv"):
        cmd = [self.dusk, "query", "--scheduler", self.addr, "--token-file",
               self.token_file, "--format", fmt]
        if blocksize:
            cmd += ["--blocksize", blocksize]
        return subprocess.Popen(cmd + [expr], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, encoding="utf-8",
                                errors="replace")

    def worker_bytes_read(self):
        """Bytes the live workers have read (rchar), for timing case 14b."""
        total = 0
        for pid in self.workers.values():
            try:
                with open(f"/proc/{pid}/io") as f:
                    for line in f:
                        if line.startswith("rchar:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total

    def health(self, good_path):
        """None, or why the cluster is no longer sound."""
        problems = []
        try:
            r = self.query(f'len(read_csv("{good_path}"))')
            got = r.stdout.strip().splitlines()
            if r.returncode != 0:
                problems.append(f"good query failed (exit {r.returncode}): "
                                f"{r.stderr.strip()[:200]}")
            elif not got or got[-1].split(",")[-1] != str(GOOD_ROWS):
                problems.append(f"good query answered {r.stdout!r}, "
                                f"want {GOOD_ROWS} rows")
        except subprocess.TimeoutExpired:
            problems.append("good query hung")
        text = self.read_log()
        problems += self.note_pids(text)
        for line in text.splitlines():
            if CLUSTER_BAD.search(line):
                problems.append("cluster log: " + line.strip()[:200])
        if self.proc.poll() is not None:
            problems.append(f"dusk local exited with {self.proc.returncode}")
        return "; ".join(problems) if problems else None

    def alive(self):
        """None, or which cluster processes are gone."""
        gone = []
        procs = [("dusk local", self.proc.pid),
                 ("scheduler", self.scheduler_pid),
                 ("nanny", self.nanny_pid)]
        procs += [(f"worker {n}", pid) for n, pid in self.workers.items()]
        for what, pid in procs:
            if pid is None:
                gone.append(f"{what}: pid unknown (not in the log)")
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                state = "gone"
            if state in ("gone", "Z", "X"):
                gone.append(f"{what} pid {pid} is {state}")
        return "; ".join(gone) if gone else None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ---- checks ---------------------------------------------------------------

def problems_common(r):
    p = []
    if r.returncode < 0:
        p.append(f"crashed by signal {-r.returncode}")
    for w in CRASH_WORDS:
        if w in r.stderr:
            p.append(f"stderr mentions {w!r}")
    return p


def expect_error(r, fragments=(), patterns=(), codes=(1, 2), absent=()):
    """None when r failed cleanly with every fragment (a literal) and
    pattern (a regex) in its stderr, else why not."""
    p = problems_common(r)
    if r.returncode == 0:
        return f"exit 0, no error; output {r.stdout.strip()[:300]!r}"
    if r.returncode not in codes:
        p.append(f"exit {r.returncode}, want {' or '.join(map(str, codes))}")
    msg = r.stderr
    if not msg.strip():
        p.append("no message on stderr")
    if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", msg):
        p.append("raw control bytes in the message")
    if "(null)" in msg:
        p.append("'(null)' in the message")
    for f in fragments:
        if f not in msg:
            p.append(f"message lacks {f!r}")
    for pat in patterns:
        if not re.search(pat, msg):
            p.append(f"message does not match /{pat}/")
    for a in absent:
        if a in msg:
            p.append(f"message has {a!r}")
    if p:
        return "; ".join(p) + f"; stderr: {msg.strip()[:400]!r}"
    return None


def expect_ok(r):
    p = problems_common(r)
    if r.returncode != 0:
        p.append(f"exit {r.returncode}: {r.stderr.strip()[:400]!r}")
    return "; ".join(p) if p else None


def cell_equal(x, y):
    if x == y:
        return True
    try:
        fx, fy = float(x), float(y)
    except ValueError:
        return False
    if math.isnan(fx) and math.isnan(fy):
        return True
    return math.isclose(fx, fy, rel_tol=1e-9, abs_tol=1e-9)


def compare_csv(got, want):
    g = list(csv.reader(io.StringIO(got)))
    w = list(csv.reader(io.StringIO(want)))
    if not g:
        return "empty output"
    if g[0] != w[0]:
        return f"header {g[0]} != pandas {w[0]}"
    if len(g) != len(w):
        return f"{len(g) - 1} rows, pandas has {len(w) - 1}"
    for i, (gr, wr) in enumerate(zip(g[1:], w[1:])):
        if len(gr) != len(wr) or not all(map(cell_equal, gr, wr)):
            return f"row {i}: {gr} != pandas {wr}"
    return None


def pandas():
    import pandas as pd  # only the cases that compare answers need it
    import warnings
    warnings.simplefilter("ignore", FutureWarning)
    return pd


class Note(str):
    """A passing case's remark, printed on its "ok" line."""


def line_re(n):
    return rf"\bline {n}\b"


# ---- the cases ------------------------------------------------------------

def cases(cl, F):
    p = F.path
    big_line = F.big_line
    out = []

    def case(name):
        def add(fn):
            out.append((name, fn))
            return fn
        return add

    def err(expr, fragments=(), patterns=(), blocksize=None, codes=(1, 2),
            absent=()):
        return lambda: expect_error(cl.query(expr, blocksize=blocksize),
                                    fragments, patterns, codes, absent)

    # 1-3, 8: files that are not there or not CSV files.
    path = p("does-not-exist.csv")
    case("missing file")(err(f'len(read_csv("{path}"))',
                             [path, "No such file"]))
    pattern = p("nothing-matches-*.csv")
    case("glob matching nothing")(err(f'len(read_csv("{pattern}"))',
                                      [pattern]))
    path = p("empty.csv")
    case("empty file")(err(f'len(read_csv("{path}"))', [path, "empty"]))
    path = p("a_directory.csv")
    case("directory as path")(err(f'len(read_csv("{path}"))',
                                  [path, "is a directory"]))
    path = p("a_fifo.csv")  # opening it to read would block: a hang
    case("fifo as path")(err(f'len(read_csv("{path}"))', [path]))
    path = p("blank_only.csv")
    case("only blank lines")(err(f'len(read_csv("{path}"))', [path]))

    # 4: a header and no rows is an empty frame, not an error.
    hpath = p("header_only.csv")

    @case("header only: len is 0")
    def _():
        r = cl.query(f'len(read_csv("{hpath}"))')
        why = expect_ok(r)
        if why is None and r.stdout.strip().splitlines()[-1:] != ["0,0"]:
            why = f"output {r.stdout!r}, want len 0"
        return why

    @case("header only: groupby count is empty, as in pandas")
    def _():
        r = cl.query(f'read_csv("{hpath}").groupby("PULocationID").count()')
        return expect_ok(r) or compare_csv(
            r.stdout,
            pandas().read_csv(hpath).groupby("PULocationID").count().to_csv())

    # 5: ragged rows, in the sample and past it.
    for kind in ("extra", "missing"):
        for size in ("small", "big"):
            line, got = F.ragged[(kind, size)]
            path = p(f"ragged_{kind}_{size}.csv")
            where = "in the sample" if size == "small" else "past the sample"
            case(f"ragged row ({kind} field, {where})")(err(
                f'len(read_csv("{path}"))', [path],
                [line_re(line), rf"\b{got}\b.*\b7\b|\b7\b.*\b{got}\b",
                 "field"], blocksize="64KB"))

    # A ragged row met by to_csv's counting scans (which read no column):
    # the same error, and no part file is written.
    line, got = F.ragged[("extra", "big")]
    path = p("ragged_extra_big.csv")
    outdir = p("ragged_to_csv_out")

    @case("ragged row past the sample, to_csv (64KB ranges)")
    def _():
        shutil.rmtree(outdir, ignore_errors=True)
        why = expect_error(cl.query(f'read_csv("{path}").to_csv("{outdir}")',
                                    blocksize="64KB"),
                           [path], [line_re(line), "field"], (1, 2), ())
        if why is None and os.path.isdir(outdir) and os.listdir(outdir):
            why = f"part files written: {sorted(os.listdir(outdir))[:3]}"
        return why

    # fillna with another kind of value than a column's makes pandas hold
    # it as an object column (numbers and strings): what pandas computes
    # differently there, or refuses, is refused with the column named.
    small = p("small.csv")
    late = p("late_null_big.csv")
    obj = "object column"
    for name, expr, frags in (
            ("groupby key", f'read_csv("{small}").fillna("N")'
                            f'.groupby("SR_Flag").count()',
             ["'SR_Flag'", obj, "grouping by it"]),
            ("value_counts", f'read_csv("{small}").fillna("N")'
                             f'["SR_Flag"].value_counts()',
             ["'SR_Flag'", obj, "counting its values"]),
            ("query comparison", f'read_csv("{small}").fillna("N")'
                                 f'.query("SR_Flag == 1")',
             ["'SR_Flag'", obj, "comparing"]),
            ("max", f'read_csv("{small}").fillna("N").groupby("PULocationID")'
                    f'.agg({{"SR_Flag": "max"}})',
             ["'SR_Flag'", obj, "its max"]),
            ("describe of a datetime column",
             f'read_csv("{small}", parse_dates=["pickup_datetime"])'
             f'["pickup_datetime"].describe()',
             ["describe", "'pickup_datetime'", "min()", "quantile"]),
            # pandas raises on a var of datetimes or timedeltas
            ("var of a timedelta column",
             f'read_csv("{small}", parse_dates=["pickup_datetime", '
             f'"dropoff_datetime"]).assign(d="dropoff_datetime - '
             f'pickup_datetime")["d"].var()',
             ["var", "'d'", "timedelta64[ns]", "pandas refuses it too",
              "std()"]),
            ("var of a datetime column",
             f'read_csv("{small}", parse_dates=["pickup_datetime"])'
             f'["pickup_datetime"].var()',
             ["var", "'pickup_datetime'", "datetime64[ns]",
              "pandas refuses it too"]),
            ("describe of the column", f'read_csv("{small}").fillna("N")'
                                       f'["SR_Flag"].describe()',
             ["describe", "'SR_Flag'", obj, "describing it"]),
            ("describe with no number column left",
             f'read_csv("{small}", usecols=["SR_Flag", "hvfhs_license_num"])'
             f'.fillna("N").describe()',
             ["describe", "no number column", 'df["col"].describe()']),
            ("string column filled with 0, null past the sample",
             f'read_csv("{late}").fillna(0)'
             f'.groupby("dispatching_base_num").size()',
             ["'dispatching_base_num'", obj, "grouping by it"])):
        case(f"fillna mixing kinds: {name}")(err(expr, frags,
                                                 blocksize="64KB"))

    # parse_dates meeting a value pandas reads as a date-time in a form
    # dusk's datetime columns do not (ISO only, no time zone): refused,
    # naming the line and column, in the sample or past it, by a query
    # reading the column.
    for size in ("small", "big"):
        for kind, value in F.date_values.items():
            path = p(f"date_{kind}_{size}.csv")
            where = "in the sample" if size == "small" else "past the sample"
            case(f"parse_dates value pandas reads ({kind}, {where})")(err(
                f'read_csv("{path}", parse_dates=["pickup_datetime"])'
                f'["pickup_datetime"].max()',
                [path, "column 'pickup_datetime'", f"'{value}'",
                 "dusk's datetime columns read ISO", "without parse_dates"]
                + ["tz-aware"] * (kind == "tz"),
                [line_re(F.date_line[size])], blocksize="64KB"))

    # 6: invalid UTF-8 in a string column; the query names no column, so
    # the name can only come from the message.
    for size in ("small", "big"):
        path = p(f"bad_utf8_{size}.csv")
        where = "in the sample" if size == "small" else "past the sample"
        case(f"invalid UTF-8 ({where})")(err(
            f'read_csv("{path}").groupby("hvfhs_license_num").count()',
            [path, "dispatching_base_num"], [line_re(F.utf8_line[size])]))

    # 7: binary garbage.
    path = p("garbage_after_header.csv")
    case("binary garbage after a header")(err(
        f'read_csv("{path}").groupby("a").count()', [path]))
    path = p("garbage.csv")
    case("binary garbage, no header")(err(f'len(read_csv("{path}"))',
                                          [path]))

    # 9: an unknown column, wherever a column is named.  The file has a
    # ragged row past the sample, so a plan that ran anyway would fail
    # differently.
    path = p("ragged_extra_big.csv")
    base = f'read_csv("{path}")'
    typo = ["unknown column 'PULocatonID'", "did you mean 'PULocationID'"]
    for name, expr in (
            ("query", f'{base}.query("PULocatonID > 3")'),
            ("groupby", f'{base}.groupby("PULocatonID").count()'),
            ("select", f'{base}[["PULocatonID", "DOLocationID"]]'),
            ("fillna", f'{base}.fillna({{"PULocatonID": 0}})'),
            ("value_counts", f'{base}["PULocatonID"].value_counts()'),
            ("agg", f'{base}.groupby("SR_Flag").agg({{"PULocatonID": '
                    f'"sum"}})'),
            ("usecols", f'read_csv("{path}", usecols=["PULocatonID"])'),
            ("dtype", f'read_csv("{path}", dtype={{"PULocatonID": '
                      f'"int64"}})'),
            ("parse_dates", f'read_csv("{path}", '
                            f'parse_dates=["PULocatonID"])')):
        case(f"unknown column in {name}")(err(
            expr, typo + [f"read_csv {name}"] * (name in ("dtype",
                                                          "parse_dates")),
            absent=["fields"]))

    # Inputs of a concat with other columns: pandas' union of them, each
    # input's missing values where it lacks one (one of its columns
    # widening to text late).
    a, b = p("small.csv"), p("widen_late.csv")

    @case("concat of files with other columns: pandas' union")
    def _(a=a, b=b):
        r = cl.query(f'concat([read_csv("{a}"), read_csv("{b}")])'
                     f'.groupby("y").count()')
        pd = pandas()
        want = pd.concat([pd.read_csv(a), pd.read_csv(b)]).groupby("y").count()
        return expect_ok(r) or compare_csv(r.stdout, want.to_csv())

    # An explicit dtype the data does not fit: pandas raises ValueError;
    # the type must not be widened behind the user's back.
    case("explicit dtype the values do not fit")(err(
        f'read_csv("{a}", dtype={{"dispatching_base_num": "int64"}})'
        f'.groupby("dispatching_base_num").count()',
        [a, "dispatching_base_num"], [line_re(2)]))

    # 10: sum/mean of a string column, known from the sample or widened
    # to string late.
    path = p("small.csv")
    case("sum of a string column")(err(
        f'read_csv("{path}").groupby("PULocationID")'
        f'["dispatching_base_num"].sum()', ["'dispatching_base_num'"]))
    case("mean of a string column")(err(
        f'read_csv("{path}").groupby("PULocationID")'
        f'.agg({{"dispatching_base_num": "mean"}})',
        ["'dispatching_base_num'"]))
    wpath = p("widen_late.csv")
    case("sum of a column that turns string late")(err(
        f'read_csv("{wpath}").groupby("k").agg({{"x": "sum"}})', ["'x'"],
        blocksize="64KB"))

    @case("disk full while writing to_csv")
    def _():
        # A 256 KiB tmpfs for the output (root only; say so otherwise): the
        # query must fail naming the file and the cause, and leave no
        # temporary file and no part file that is cut short.
        full = p("full_disk")
        os.makedirs(full, exist_ok=True)
        if os.geteuid() != 0:
            print("     (skipped: mounting a small tmpfs needs root)")
            return None
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs",
                        full], check=True)
        try:
            r = cl.query(f'read_csv("{p("big.csv")}").to_csv("{full}/out")',
                         blocksize="64KB")
            why = expect_error(r, [f"{full}/out", "No space left"])
            if why:
                return why
            # Scans of other partitions were canceled when the query
            # failed; they remove their temporary files as they stop, so
            # wait (bounded) for that rather than look at once.
            deadline = time.monotonic() + 15
            while True:
                names = os.listdir(os.path.join(full, "out"))
                left = [n for n in names if n.endswith(".tmp")]
                if not left or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            if left:
                return f"temporary files left behind: {left[:3]}"
            for n in names:
                with open(os.path.join(full, "out", n), "rb") as f:
                    data = f.read()
                if not data.endswith(b"\n"):
                    return f"{n} is cut short but looks finished"
            return None
        finally:
            subprocess.run(["umount", full], check=False)

    @case("groupby sum after a column turns string late")
    def _():
        # pandas 1.5 drops the column that is no longer numeric, as dusk
        # does for one the sample shows as text; an error naming it would
        # do too.
        r = cl.query(f'read_csv("{wpath}").groupby("k").sum()',
                     blocksize="64KB")
        if r.returncode == 0:
            return expect_ok(r) or compare_csv(
                r.stdout,
                pandas().read_csv(wpath).groupby("k").sum().to_csv())
        return expect_error(r, ["'x'"])

    # 11: malformed expressions: exit 2 and a caret under the mistake.
    g = p("good.csv")
    for name, expr in (
            ("unclosed call", f'read_csv("{g}").groupby("PULocationID"'
                              f'.count()'),
            ("unclosed string", f'read_csv("{g}).count()'),
            ("unquoted path", f'read_csv({g})'),
            ("unknown method", f'read_csv("{g}").frobnicate()'),
            ("dangling operator", f'read_csv("{g}").query("PULocationID >")'),
            ("extra parenthesis", f'len(read_csv("{g}")))'),
            ("bad blocksize", f'read_csv("{g}", blocksize="banana")'),
            ("number out of range", f'read_csv("{g}").head('
                                    f'99999999999999999999)'),
            ("not a query", "SELECT * FROM fhv")):
        case(f"syntax error: {name}")(err(expr, patterns=[CARET.pattern],
                                          codes=(2,)))

    # 12: a quoted field still open at the end of the file.
    for size in ("small", "big"):
        path = p(f"unterminated_{size}.csv")
        where = "in the sample" if size == "small" else "past the sample"
        case(f"unterminated quote at end of file ({where})")(err(
            f'len(read_csv("{path}"))', [path],
            [line_re(F.unterminated_line[size])]))

    # 13: a field over the 1 MiB cap.
    for size in ("small", "big"):
        path = p(f"long_field_{size}.csv")
        where = "in the sample" if size == "small" else "past the sample"
        case(f"2 MiB field ({where})")(err(
            f'read_csv("{path}").groupby("hvfhs_license_num").count()',
            [path], [line_re(F.long_line[size])],
            absent=["out of memory"]))

    # Text after a closing quote past the sample, with ranges small enough
    # that later ones guess their quote state wrong.
    path = p("stray_quote_big.csv")
    case("text after a closing quote (1KB ranges)")(err(
        f'len(read_csv("{path}"))', [path, "after the closing quote"],
        [line_re(big_line)], blocksize="1KB"))

    # 14: the file shrinks under the query.
    shrink = p("shrinking.csv")

    @case("file truncated mid-record while read")
    def _():
        gen_fhv(F.bin, shrink, 3000000, 14)
        try:
            size = os.path.getsize(shrink)
            t0 = time.monotonic()
            q = cl.popen_query(
                f'read_csv("{shrink}").groupby("PULocationID").count()',
                blocksize="1MB")
            while time.monotonic() - t0 < 0.2 and q.poll() is None:
                time.sleep(0.005)
            os.truncate(shrink, size // 2)
            try:
                stdout, stderr = q.communicate(timeout=QUERY_TIMEOUT)
            except subprocess.TimeoutExpired:
                q.kill()
                q.communicate()
                return "hang: no answer in 30 s"
            r = subprocess.CompletedProcess(q.args, q.returncode, stdout,
                                            stderr)
            if r.returncode == 0:
                why = expect_ok(r)
                return why or Note("outcome: exit 0")
            return expect_error(r, [shrink]) or Note(
                "outcome: " + stderr.strip()[:200])
        finally:
            os.unlink(shrink)

    @case("file truncated at a line end while read: no mixed answer")
    def _():
        # Cut at the line end nearest half the file once the workers have
        # read 60% of it: ranges past the cut that ran already counted
        # their rows, the rest find nothing.  Acceptable: an error naming
        # the file, or the row count of the whole file or of the half.
        gen_fhv(F.bin, shrink, 3000000, 15)
        try:
            size = os.path.getsize(shrink)
            with open(shrink, "rb") as f:
                f.seek(size // 2)
                cut = size // 2 + f.read(1 << 16).index(b"\n") + 1
                f.seek(0)
                lines, left = 0, cut
                while left > 0:
                    b = f.read(min(left, 1 << 22))
                    lines += b.count(b"\n")
                    left -= len(b)
            full, half = 3000000, lines - 1
            base = cl.worker_bytes_read()
            q = cl.popen_query(f'len(read_csv("{shrink}"))', blocksize="1MB")
            cut_done = False
            deadline = time.monotonic() + QUERY_TIMEOUT
            while q.poll() is None and time.monotonic() < deadline:
                if cl.worker_bytes_read() - base >= size * 0.6:
                    os.truncate(shrink, cut)
                    cut_done = True
                    break
                time.sleep(0.002)
            try:
                stdout, stderr = q.communicate(
                    timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                q.kill()
                q.communicate()
                return "hang: no answer in 30 s"
            r = subprocess.CompletedProcess(q.args, q.returncode, stdout,
                                            stderr)
            if r.returncode != 0:
                return expect_error(r, [shrink]) or Note(
                    "outcome: " + stderr.strip()[:200])
            why = expect_ok(r)
            if why:
                return why
            got = stdout.strip().splitlines()[-1].split(",")[-1]
            if not cut_done:
                if got != str(full):
                    return f"len {got} of an untouched file, want {full}"
                return Note("inconclusive: the query ended before the cut")
            if got not in (str(full), str(half)):
                return (f"silent wrong answer: exit 0 with len {got}; the "
                        f"file had {full} rows, {half} after the cut")
            return Note(f"outcome: exit 0, len {got}")
        finally:
            os.unlink(shrink)

    # 15: a glob whose files disagree on the header.
    a, b = p("mixed/part1.csv"), p("mixed/part2.csv")
    case("header differs within a glob")(err(
        f'len(read_csv("{p("mixed")}/*.csv"))', [a, b]))

    # 16: the wrong token, or none.
    hostport = cl.addr.split("://")[-1]
    for name, token_file, words in (
            ("wrong token", p("wrong.token"), ["wrong token"]),
            ("no token", None, ["no token"])):
        case(f"authentication: {name}")(
            lambda tf=token_file, w=words: expect_error(
                cl.query(f'len(read_csv("{g}"))', token_file=tf),
                ["authentication failed", hostport] + w))
    case("authentication: token file missing")(
        lambda tf=p("no-such.token"): expect_error(
            cl.query(f'len(read_csv("{g}"))', token_file=tf), [tf]))

    # 17: a type that widens late gives pandas' exact answer.
    @case("int column turning string at row 50,000 (64KB ranges)")
    def _():
        r = cl.query(f'read_csv("{wpath}").groupby("k").count()',
                     blocksize="64KB")
        return expect_ok(r) or compare_csv(
            r.stdout, pandas().read_csv(wpath).groupby("k").count().to_csv())

    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", default=None)
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    F = Files(a.bin, work)
    cl = Cluster(a.bin, work)
    passed = failed = 0
    t_start = time.monotonic()
    try:
        why = cl.health(F.path("good.csv"))
        if why:
            raise SystemExit("cluster not sound before the first case: " +
                             why)
        for name, fn in cases(cl, F):
            if a.only and a.only not in name:
                continue
            t0 = time.monotonic()
            try:
                why = fn()
            except subprocess.TimeoutExpired as e:
                why = f"hang: no answer in {e.timeout:.0f} s"
            health = cl.health(F.path("good.csv"))
            if health:
                why = (why + "; " if why and not isinstance(why, Note)
                       else "") + "after it: " + health
            if why is None or isinstance(why, Note):
                passed += 1
                note = f"; {why}" if why else ""
                print(f"ok   {name} ({time.monotonic() - t0:.1f} s{note})")
            else:
                failed += 1
                print(f"FAIL {name}: {why}")
            sys.stdout.flush()
        why = cl.alive()
        if why is None:
            passed += 1
            print("ok   cluster processes alive at the end")
        else:
            failed += 1
            print(f"FAIL cluster processes alive at the end: {why}")
    finally:
        cl.stop()
    # Reports written at shutdown (leaks) or not seen by a case, each with
    # the first frames in our code.
    lines = cl.read_log().splitlines()
    for i, line in enumerate(lines):
        if SANITIZER.search(line):
            failed += 1
            frames = []
            for f in lines[i + 1:i + 80]:
                if SANITIZER.search(f) or f.startswith("SUMMARY") or \
                        (frames and not f.strip()):
                    break
                m = re.search(r" in (\S+) (\S*/(?:proto|scheduler|worker|"
                              r"client)/\S+)", f)
                if m and len(frames) < 4:
                    frames.append(f"{m.group(1)} {m.group(2)}")
            print(f"FAIL sanitizer report in {cl.log_path}: {line[:200]}"
                  + (" at " + " <- ".join(frames) if frames else ""))
    print(f"({time.monotonic() - t_start:.1f} s)")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
