#!/usr/bin/python3
"""The command lines of dusk, dusk-scheduler and dusk-worker.

- --help (of every program and every dusk command) prints the whole help
  to stdout, nothing to stderr, and exits 0.  The daemons' help lists every
  entry of their config table -- read here from the C sources, so an entry
  added there is checked without touching this file -- with its whole help
  text, its default and its allowed range; dusk's lists the options of its
  own option table that the command takes, and the parser agrees: an
  option a command's help leaves out is refused by that command.
- --version prints "PROG X.Y.Z (protocol N)", X.Y.Z being
  DUSK_VERSION_MAJOR/MINOR/PATCH of client/dusk.h (the one place the release
  is set) and N DUSK_PROTO_VERSION.
- An unknown option, a missing or bad value, an unknown command: exit 2,
  nothing on stdout, a message on stderr naming the option.
- `dusk query --scheduler` run from another directory than the daemons'
  reads the relative path in the client's directory.
- `dusk stats` answers at once, also with no worker, and lists each
  worker's address and pid.
- `dusk ssh` (the script deploy/ssh/dusk-ssh, found next to dusk): its
  help and each command's, reached as `dusk help ssh` too, and its
  refusals, as above (its cluster is tested by ssh.py).

Run by ctest:  cli.py --bin BUILD/bin --work DIR
Prints "ok NAME" or "FAIL NAME: why" per case, exits nonzero on a failure.
"""
import argparse
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# seconds for one command; longer is a hang (scaled for the sanitizer build)
TIMEOUT = 60 * int(os.environ.get("DUSK_TEST_TIMEOUT_SCALE", "1"))
WIDTH = 79
UNKNOWN = "--no-such-option"


# ---- the sources ----------------------------------------------------------

def source(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def c_strings(text):
    """The concatenated value of the C string literals in text."""
    out = []
    for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', text, re.S):
        out.append(lit.encode().decode("unicode_escape"))
    return "".join(out)


def split_top(text):
    """Splits at commas outside parentheses and string literals."""
    parts, depth, cur, i = [], 0, [], 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            m = re.compile(r'"(?:[^"\\]|\\.)*"', re.S).match(text, i)
            cur.append(m.group(0))
            i = m.end()
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def c_int(expr):
    """The value of an integer constant like 4096, -1 or 1 << 20."""
    if not re.fullmatch(r"[0-9\s<>()+\-*uUlL]+", expr):
        raise ValueError(f"not a constant: {expr}")
    return int(eval(re.sub(r"(?<=\d)[uUlL]+", "", expr), {}, {}))


def config_table(rel, name):
    """[(flag, type, default or None, min, max, help)] of a daemon's table."""
    text = source(rel)
    m = re.search(re.escape(name) + r"\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    if m is None:
        raise SystemExit(f"{rel}: no {name}")
    entries = []
    for e in re.finditer(r'\{\s*("(?:[^"\\]|\\.)*")\s*,\s*DUSK_CFG_(\w+)\s*,'
                         r'(.*?)\}\s*,', m.group(1), re.S):
        rest = split_top(e.group(3))
        default = None if rest[0] == "NULL" else c_strings(rest[0])
        entries.append((c_strings(e.group(1)), e.group(2), default,
                        c_int(rest[1]), c_int(rest[2]),
                        c_strings(",".join(rest[4:]))))
    if not entries:
        raise SystemExit(f"{rel}: {name} has no entries")
    return entries


def cli_tables():
    """The dusk CLI's commands [(name, bit)] and options
    [(flag, placeholder, {command names})]; a flag taking no value (NULL
    in the table) has the placeholder ""."""
    text = source("client/dusk_cli.c")
    commands = re.findall(r'\{"([a-z ]+)", (CMD_[A-Z]+),', text)
    names = {bit: name for name, bit in commands}
    options = []
    for flag, arg, bits in re.findall(
            r'\{OPT_\w+, "([a-z-]+)", (?:"([^"]*)"|NULL),\s*([A-Z_|\s]+),',
            text):
        bits = [b.strip() for b in bits.split("|")]
        cmds = set(names.values()) if "CMD_ALL" in bits else \
            {names[b] for b in bits}
        options.append((flag, arg, cmds))
    if not commands or not options:
        raise SystemExit("client/dusk_cli.c: cannot read its tables")
    return [name for name, _ in commands], options


def release():
    header = source("client/dusk.h")
    parts = [re.search(r"#define DUSK_VERSION_%s (\d+)" % part, header).group(1)
             for part in ("MAJOR", "MINOR", "PATCH")]
    p = re.search(r"#define DUSK_PROTO_VERSION (\d+)", source("proto/wire.h"))
    return ".".join(parts), p.group(1)


# ---- running --------------------------------------------------------------

class Failed(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Failed(why)


def words(text):
    return " ".join(text.split())


class Programs:
    def __init__(self, bin_dir):
        self.bin = os.path.abspath(bin_dir)

    def run(self, prog, *args, cwd=None):
        return subprocess.run([os.path.join(self.bin, prog), *args],
                              capture_output=True, text=True, cwd=cwd,
                              timeout=TIMEOUT, stdin=subprocess.DEVNULL)

    def ok(self, prog, *args):
        """stdout of a command that must exit 0 with nothing on stderr."""
        r = self.run(prog, *args)
        cmd = " ".join((prog,) + args)
        check(r.returncode == 0,
              f"{cmd}: exit {r.returncode}, stderr {r.stderr!r}")
        check(r.stderr == "", f"{cmd}: stderr {r.stderr!r}")
        check(r.stdout.endswith("\n"), f"{cmd}: no final newline")
        return r.stdout

    def refused(self, prog, *args, says=()):
        """stderr of a command that must exit 2 with nothing on stdout."""
        r = self.run(prog, *args)
        cmd = " ".join((prog,) + args)
        check(r.returncode == 2,
              f"{cmd}: exit {r.returncode}, stderr {r.stderr!r}")
        check(r.stdout == "", f"{cmd}: stdout {r.stdout!r}")
        for s in says:
            check(s in r.stderr, f"{cmd}: {s!r} not in stderr {r.stderr!r}")
        return r.stderr


def assert_help_layout(cmd, text, first):
    check(text.startswith(first), f"{cmd}: starts {text[:60]!r}")
    for line in text.split("\n"):
        check(len(line) <= WIDTH, f"{cmd}: a line of {len(line)} columns: "
                                  f"{line!r}")


def items(text):
    """The option flags a help lists, in order."""
    return re.findall(r"(?m)^  (--[a-z-]+)", text)


# ---- the cases ------------------------------------------------------------

def case_versions(p):
    version, proto = release()
    for prog, args in (("dusk", ["--version"]), ("dusk", ["version"]),
                       ("dusk", ["query", "--version"]),
                       ("dusk-scheduler", ["--version"]),
                       ("dusk-worker", ["--version"])):
        out = p.ok(prog, *args)
        want = f"{prog} {version} (protocol {proto})\n"
        check(out == want, f"{prog} {' '.join(args)}: {out!r}, want {want!r}")


def case_daemon_help(p):
    for prog, rel, table, first in (
            ("dusk-scheduler", "scheduler/scheduler.c",
             "dusk_scheduler_config_table", "usage: dusk-scheduler"),
            ("dusk-worker", "worker/worker.c", "dusk_worker_config_table",
             "usage: dusk-worker tcp://HOST:PORT")):
        entries = config_table(rel, table)
        for args in (["--help"], ["-h"], ["--port", "1", "--help"]):
            out = p.ok(prog, *args)
            assert_help_layout(prog, out, first)
            flat = words(out)
            listed = items(out)
            want = [f"--{e[0]}" for e in entries] + ["--help", "--version"]
            check(listed == want, f"{prog} --help lists {listed}, the table "
                                  f"and --help/--version are {want}")
            for flag, typ, default, lo, hi, help_text in entries:
                check(words(help_text) in flat,
                      f"{prog} --help: the help of --{flag} is not whole: "
                      f"{help_text!r}")
                if default is not None:
                    check(f"(default {words(default) or chr(34) * 2}" in flat,
                          f"{prog} --help: no default {default!r} for --{flag}")
                if typ in ("INT", "RANGE"):
                    check(f"allowed {lo}..{hi})" in flat,
                          f"{prog} --help: no range {lo}..{hi} for --{flag}")
            # The last entry's help is followed by its default and the two
            # built-in items: nothing was cut after it.
            check(out.rstrip("\n").endswith("print the version and exit"),
                  f"{prog} --help ends {out[-80:]!r}")


def case_daemon_refusals(p):
    for prog in ("dusk-scheduler", "dusk-worker"):
        p.refused(prog, UNKNOWN, says=(f"'{UNKNOWN}'",))
        p.refused(prog, f"{UNKNOWN}=3", says=(f"'{UNKNOWN}'",))
        p.refused(prog, "--port", says=("--port needs a value",))
        p.refused(prog, "--port", "70000", says=("--port", "[0, 65535]"))
        p.refused(prog, "--port", "x", says=("--port", "not an integer"))
    # The worker's --port takes a range A-B: refused when empty, starting
    # at 0, or holding fewer ports than the nanny has workers.
    sched = "tcp://127.0.0.1:1"
    p.refused("dusk-worker", sched, "--port", "9001-9000",
              says=("--port", "empty range"))
    p.refused("dusk-worker", sched, "--port", "9000-70000",
              says=("--port", "[0, 65535]"))
    p.refused("dusk-worker", sched, "--port", "0-9", says=("start at 1",))
    p.refused("dusk-worker", sched, "--nworkers", "3", "--port", "9000-9001",
              says=("holds 2 ports for 3 workers",))
    p.refused("dusk-worker", sched, "--nworkers", "2", "--port", "9000",
              says=("one port for 2 workers",))
    p.refused("dusk-scheduler", "stray", says=("'stray'",))
    # --autoscale: the flags that go with it, durations in seconds.
    p.refused("dusk-scheduler", "--autoscale", "true",
              says=("--autoscale needs --max-workers",))
    p.refused("dusk-scheduler", "--max-workers", "3",
              says=("need --autoscale",))
    p.refused("dusk-scheduler", "--autoscale", "true", "--max-workers", "2",
              "--min-workers", "3", says=("--min-workers 3 is above",))
    p.refused("dusk-scheduler", "--autoscale", "true", "--max-workers", "0",
              says=("--max-workers 0",))
    p.refused("dusk-scheduler", "--autoscale", " ", "--max-workers", "2",
              says=("empty command",))
    p.refused("dusk-scheduler", "--autoscale-interval", "1m",
              says=("--autoscale-interval", "not a number of seconds"))
    p.refused("dusk-scheduler", "--autoscale-interval", "0.01",
              says=("--autoscale-interval", "[0.05, 3600]"))
    p.refused("dusk-worker", sched, "--host-id", "a b",
              says=("--host-id", "'a b'"))
    p.refused("dusk-worker", sched, "--host-id", "x" * 128,
              says=("--host-id",))
    p.refused("dusk-worker", says=("usage: dusk-worker",))
    # --memory-limit: a size or auto, refused before any worker starts.
    for bad, why in (("lots", "is not a size"), ("0", "less than one byte"),
                     ("4 GB ", "is not a size"),
                     ("9000PiB", "is more than")):
        p.refused("dusk-worker", sched, "--memory-limit", bad,
                  says=(f"--memory-limit: '{bad}'", why))
        p.refused("dusk-worker", sched, "--nworkers", "2", "--memory-limit",
                  bad, says=(f"--memory-limit: '{bad}'", why))


def case_dusk_help(p):
    commands, options = cli_tables()
    out = p.ok("dusk", "--help")
    assert_help_layout("dusk --help", out, "usage: dusk COMMAND")
    check(p.ok("dusk", "-h") == out and p.ok("dusk", "help") == out,
          "dusk -h / dusk help differ from dusk --help")
    for c in commands:
        check(re.search(rf"(?m)^  {re.escape(c)}\b", out),
              f"dusk --help does not list the command {c!r}")
    want = [f"--{flag}" for flag, _, _ in options] + ["--help", "--version"]
    check(items(out) == want, f"dusk --help lists {items(out)}, want {want}")
    for c in commands:
        argv = c.split() + ["--help"]
        text = p.ok("dusk", *argv)
        assert_help_layout(f"dusk {c} --help", text, f"usage: dusk {c} ")
        check(p.ok("dusk", "help", c.split()[0]) == text,
              f"dusk help {c} differs from dusk {c} --help")
        takes = [f"--{f}" for f, _, cmds in options if c in cmds]
        check(items(text) == takes + ["--help", "--version"],
              f"dusk {c} --help lists {items(text)}, the table {takes}")
        for flag, arg, cmds in options:
            if c in cmds and arg == "":
                # A flag: known to the parser, refused with a value.
                p.refused("dusk", *c.split(), f"--{flag}=1",
                          says=(f"--{flag} takes no value",))
            elif c in cmds:
                # Known to the parser: only the value is missing.
                p.refused("dusk", *c.split(), f"--{flag}",
                          says=(f"--{flag} needs a value",))
            else:
                p.refused("dusk", *c.split(), f"--{flag}", "1",
                          says=(f"--{flag} does not apply to {c}",))
    check(p.ok("dusk", "bench", "--help") == p.ok("dusk", "bench", "tasks",
                                                  "--help"),
          "dusk bench --help differs from dusk bench tasks --help")


def case_dusk_refusals(p):
    commands, _ = cli_tables()
    for c in commands:
        p.refused("dusk", *c.split(), UNKNOWN, says=(f"'{UNKNOWN}'",))
        p.refused("dusk", *c.split(), f"{UNKNOWN}=1", says=(f"'{UNKNOWN}'",))
        p.refused("dusk", *c.split(), "-x", says=("'-x'",))
    p.refused("dusk", says=("usage: dusk",))
    p.refused("dusk", UNKNOWN, says=(f"'{UNKNOWN}'",))
    p.refused("dusk", "frobnicate", says=("unknown command 'frobnicate'",))
    p.refused("dusk", "bench", says=("which benchmark",))
    p.refused("dusk", "bench", "nope", says=("'nope'",))
    p.refused("dusk", "local", "stray", says=("'stray'",))
    p.refused("dusk", "query", "--workers", "0", says=("--workers", "1..1024"))
    p.refused("dusk", "query", "--format", "xml", says=("'xml'",))
    for size in ("lots", "0", "-1MB", "nan", "inf", "1e30GB", "16XB"):
        p.refused("dusk", "query", "--blocksize", size, says=(f"'{size}'",))
    p.refused("dusk", "bench", "tasks", "--shape", "star", says=("'star'",))
    p.refused("dusk", "query", "len(read_csv('a'))", "len(read_csv('b'))",
              says=("second expression",))


class Daemons:
    """dusk-scheduler and one dusk-worker started in `cwd`."""

    def __init__(self, bin_dir, cwd, log_path):
        self.procs = []
        self.log = open(log_path, "ab")
        r, w = os.pipe()
        try:
            self.procs.append(subprocess.Popen(
                [os.path.join(bin_dir, "dusk-scheduler"), "--port", "0",
                 "--ready-fd", str(w), "--log-level", "warn"],
                cwd=cwd, pass_fds=(w,), stdin=subprocess.DEVNULL,
                stdout=self.log, stderr=self.log))
            os.close(w)
            w = -1
            line = b""
            deadline = time.monotonic() + TIMEOUT
            while not line.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([r], [], [], left)[0]:
                    raise Failed("dusk-scheduler did not announce READY")
                chunk = os.read(r, 64)
                if not chunk:
                    raise Failed("dusk-scheduler exited before READY")
                line += chunk
            m = re.match(rb"READY (\d+)\n", line)
            check(m is not None, f"READY line {line!r}")
            self.address = f"tcp://127.0.0.1:{int(m.group(1))}"
            self.procs.append(subprocess.Popen(
                [os.path.join(bin_dir, "dusk-worker"), self.address,
                 "--log-level", "warn"],
                cwd=cwd, stdin=subprocess.DEVNULL, stdout=self.log,
                stderr=self.log))
        except BaseException:
            self.stop()
            raise
        finally:
            os.close(r)
            if w >= 0:
                os.close(w)

    def stop(self):
        """SIGTERM, then SIGKILL after a bound; workers first."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs = []
        self.log.close()


def write_rows(path, rows):
    with open(path, "w") as f:
        f.write("x\n" + "".join(f"{i}\n" for i in range(rows)))


def case_query_reads_the_clients_file(p, work):
    daemon_dir = os.path.join(work, "daemon")
    client_dir = os.path.join(work, "client")
    for d in (daemon_dir, client_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    write_rows(os.path.join(daemon_dir, "a.csv"), 5)
    write_rows(os.path.join(client_dir, "a.csv"), 2)
    write_rows(os.path.join(daemon_dir, "a1.csv"), 7)
    write_rows(os.path.join(client_dir, "a2.csv"), 3)
    daemons = Daemons(p.bin, daemon_dir, os.path.join(work, "daemons.log"))
    try:
        for expr, want in (('len(read_csv("a.csv"))', 2),
                           ('len(read_csv("a*.csv"))', 5)):
            r = p.run("dusk", "query", "--scheduler", daemons.address,
                      "--format", "csv", expr, cwd=client_dir)
            check(r.returncode == 0, f"dusk query {expr}: exit "
                                     f"{r.returncode}: {r.stderr!r}")
            check(r.stdout == f",len\n0,{want}\n",
                  f"dusk query {expr} from another directory than the "
                  f"daemons': {r.stdout!r}, want {want} rows")
    finally:
        daemons.stop()


def case_query_merge(p, work):
    """dusk query's .merge() on a LocalCluster: pandas' text for a left
    merge (one-to-many, null keys, suffixes; several partitions), and the
    refusals' messages."""
    import pandas as pd
    d = os.path.join(work, "merge")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "l.csv"), "w") as f:
        f.write("k,v,s\n" + "".join(
            f"{'' if i % 7 == 3 else i % 5},{i},s{i % 3}\n" for i in range(300)))
    with open(os.path.join(d, "r.csv"), "w") as f:
        f.write("k,v,w\n2,a,1\n1,b,2\n2,c,3\n,d,4\n9,e,5\n")
    pl = pd.read_csv(os.path.join(d, "l.csv"))
    pr = pd.read_csv(os.path.join(d, "r.csv"))

    def like_pandas(expr, want):
        """dusk query EXPR --format csv prints pandas' to_csv of want."""
        r = p.run("dusk", "query", "--workers", "2", "--format", "csv", expr,
                  cwd=d)
        check(r.returncode == 0 and r.stdout == want.to_csv(),
              f"dusk query {expr}: exit {r.returncode}, {r.stderr!r}, "
              f"{r.stdout[:300]!r}, pandas {want.to_csv()[:300]!r}")

    merged = 'read_csv("l.csv", blocksize=512).merge(read_csv("r.csv"), '
    like_pandas(merged + 'on="k", how="left", suffixes=("_l", "_r"))'
                '.head(200)', pl.merge(pr, on="k", how="left",
                                       suffixes=("_l", "_r")).head(200))
    # an outer merge's rows (a shuffle join) in pandas' order and labels
    outer = pl.merge(pr, on="k", how="outer")
    like_pandas(merged + 'on="k", how="outer").tail(40)', outer.tail(40))
    # ... and after a filter, each kept row under its label in the merge
    like_pandas(merged + 'on="k", how="outer").query("w > 3")',
                outer.query("w > 3"))
    for expr, msg in (
            ('read_csv("l.csv").merge(read_csv("r.csv"), left_on="k", '
             'right_on="w2")', "unknown column 'w2'; did you mean 'w'?"),
            ('read_csv("l.csv").merge(read_csv("r.csv"), left_on="s", '
             'right_on="w")', "merge on object and int64 columns")):
        r = p.run("dusk", "query", "--workers", "1", expr, cwd=d)
        check(r.returncode != 0 and msg in r.stderr,
              f"dusk query {expr}: exit {r.returncode}, {r.stderr!r}")


def case_stats(p, work):
    """One JSON line at once - also before any worker registered, and
    after the last one left - with each worker's address and pid."""
    daemons = Daemons(p.bin, work, os.path.join(work, "stats.log"))
    try:
        addr = daemons.address
        worker = daemons.procs[1]
        deadline = time.monotonic() + TIMEOUT
        for want in (1, 0):
            while True:
                t0 = time.monotonic()
                st = json.loads(p.ok("dusk", "stats", "--scheduler", addr))
                check(time.monotonic() - t0 < 5, "dusk stats waited for "
                      f"{time.monotonic() - t0:.1f} s")
                # (two requests: a worker may come or go between them)
                if st["workers"] == want == len(st["worker_list"]):
                    break
                check(time.monotonic() < deadline, f"stats: {st}, want "
                      f"{want} workers")
                time.sleep(0.05)
            check(re.fullmatch(r"http://127\.0\.0\.1:\d+/",
                               st.get("dashboard", "")),
                  f"stats without the dashboard's link: {st}")
            if want == 1:
                w = st["worker_list"][0]
                check(w["pid"] == worker.pid and
                      re.fullmatch(r"127\.0\.0\.1:\d+", w["addr"]),
                      f"worker_list: {st['worker_list']}, the worker is pid "
                      f"{worker.pid}")
                worker.terminate()
                worker.wait(timeout=TIMEOUT)
    finally:
        daemons.stop()


def case_ssh_cli(p):
    """dusk ssh's help and refusals; the script comes from dusk's folder."""
    check(os.access(os.path.join(p.bin, "dusk-ssh"), os.X_OK),
          "dusk-ssh is not next to dusk")
    top = p.ok("dusk", "--help")
    check(re.search(r"(?m)^  ssh up\|status\|down ", top),
          "dusk --help does not list ssh")
    out = p.ok("dusk", "ssh", "--help")
    assert_help_layout("dusk ssh --help", out, "usage: dusk ssh up ")
    check(p.ok("dusk", "help", "ssh") == out, "dusk help ssh differs")
    version, proto = release()
    check(p.ok("dusk", "ssh", "--version") == f"dusk {version} (protocol "
          f"{proto})\n", "dusk ssh --version")
    for c in ("up", "status", "down"):
        text = p.ok("dusk", "ssh", c, "--help")
        assert_help_layout(f"dusk ssh {c} --help", text,
                           f"usage: dusk ssh {c} ")
        check("--cluster" in items(text), f"dusk ssh {c}: no --cluster")
        p.refused("dusk", "ssh", c, UNKNOWN, says=(f"'{UNKNOWN}'",))
        p.refused("dusk", "ssh", c, "stray", says=("'stray'",))
        p.refused("dusk", "ssh", c, "--cluster", says=("--cluster needs "
                                                       "a value",))
        p.refused("dusk", "ssh", c, "--cluster", "../x",
                  says=("--cluster '../x'",))
    up = p.ok("dusk", "ssh", "up", "--help")
    for flag in ("--hosts", "--scheduler", "--nworkers", "--token-file",
                 "--port", "--death-timeout", "--keep-binaries", "-i", "-u"):
        check(re.search(rf"(?m)^  {re.escape(flag)}\b", up),
              f"dusk ssh up --help does not list {flag}")
    p.refused("dusk", "ssh", says=("usage: dusk ssh",))
    p.refused("dusk", "ssh", "sideways", says=("'sideways'",))
    p.refused("dusk", "ssh", "up", says=("--hosts is required",))
    p.refused("dusk", "ssh", "up", "--hosts", "a,-oProxyCommand=x",
              says=("'-oProxyCommand=x' is not a host name",))
    p.refused("dusk", "ssh", "up", "--hosts", "a,a", says=("twice",))
    p.refused("dusk", "ssh", "up", "--hosts", "a", "--port", "70000",
              says=("--port '70000'", "0..65535"))
    p.refused("dusk", "ssh", "up", "--hosts", "a", "--nworkers", "0",
              says=("--nworkers '0'",))
    p.refused("dusk", "ssh", "up", "--hosts", "a", "-i", "/no/such/key",
              says=("-i /no/such/key",))


def case_death_timeout(p, work):
    """--death-timeout: a worker (and a nanny of workers) whose scheduler
    is gone - never there, or killed - exits with status 3 on its own,
    and is not restarted; without the flag it waits."""
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    worker = os.path.join(p.bin, "dusk-worker")
    for extra in ([], ["--nworkers", "2"]):
        t0 = time.monotonic()
        r = subprocess.run([worker, dead, "--death-timeout", "1",
                            "--reconnect-max-ms", "100", "--log-level",
                            "warn", *extra], capture_output=True, text=True,
                           timeout=TIMEOUT)
        check(r.returncode == 3, f"dusk-worker {extra} exit {r.returncode}: "
                                 f"{r.stderr[-300:]!r}")
        check("--death-timeout" in r.stderr, r.stderr[-300:])
        check(time.monotonic() - t0 < 10, "it took too long to give up")
    daemons = Daemons(p.bin, work, os.path.join(work, "death.log"))
    r_fd, w_fd = os.pipe()
    lone = subprocess.Popen([worker, daemons.address, "--death-timeout", "1",
                             "--ready-fd", str(w_fd), "--log-level", "warn"],
                            pass_fds=(w_fd,), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(w_fd)
    waiting = subprocess.Popen([worker, daemons.address, "--log-level",
                                "error"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        # registered (READY), so it is the loss that starts the count
        check(select.select([r_fd], [], [], TIMEOUT)[0] and
              os.read(r_fd, 64).startswith(b"READY "), "no READY")
        daemons.procs[0].kill()  # the scheduler goes away
        daemons.procs[0].wait()
        check(lone.wait(timeout=TIMEOUT) == 3, "the worker did not give up")
        check(waiting.poll() is None, "a worker without the flag left")
    finally:
        os.close(r_fd)
        for proc in (lone, waiting):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        daemons.stop()


def run_cases(cases):
    """Runs [(name, fn())], printing "ok NAME" or "FAIL NAME: why" for
    each and the tally; the exit status (1 after a failure)."""
    failed = 0
    for name, fn in cases:
        try:
            fn()
            print(f"ok {name}")
        except (Failed, subprocess.TimeoutExpired) as e:
            failed += 1
            print(f"FAIL {name}: {e}")
        except Exception as e:  # a broken case is a failure, not a crash
            failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    p = Programs(args.bin)
    cases = [
        ("versions", lambda: case_versions(p)),
        ("daemon_help", lambda: case_daemon_help(p)),
        ("daemon_refusals", lambda: case_daemon_refusals(p)),
        ("dusk_help", lambda: case_dusk_help(p)),
        ("dusk_refusals", lambda: case_dusk_refusals(p)),
        ("query_reads_the_clients_file",
         lambda: case_query_reads_the_clients_file(p, args.work)),
        ("query_merge", lambda: case_query_merge(p, args.work)),
        ("stats", lambda: case_stats(p, args.work)),
        ("ssh_cli", lambda: case_ssh_cli(p)),
        ("death_timeout", lambda: case_death_timeout(p, args.work)),
    ]
    return run_cases(cases)


if __name__ == "__main__":
    sys.exit(main())
