#!/usr/bin/python3
"""The progress bar of `dusk query` (client/dusk_cli.c, progress_bar).

A query is held past the bar's 0.5 s delay without depending on the
machine's speed: the one worker is stopped (SIGSTOP) before the query is
submitted and continued only once the bar was seen - or, where no bar
must appear, after 1.5 s, so the query did run long enough to show one.

- On a terminal (stdout and stderr on a pseudo-terminal): the bar appears
  (tasks, CSV bytes scanned, rate, elapsed), every drawn line fits the
  terminal's width less one column (100: with the bar; 60: the text
  alone), and once the query ends it is erased: the screen, replayed from
  the bytes written ("\\r", "\\033[K", "\\n"), holds the result and no
  bar; a query failing after the bar showed leaves the error alone on the
  screen, and so does one interrupted by ^C (SIGINT), cancelled.
- --no-progress on a terminal: no bar.
- stdout and stderr on pipes: nothing on stderr.
- --progress on a pipe: the bar, no escape codes, its final state kept
  with every task done and a newline.

Run by ctest:  progress.py --bin BUILD/bin --work DIR
Prints "ok NAME" or "FAIL NAME: why" per case, exits nonzero on a failure.
"""
import argparse
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli import TIMEOUT, Daemons, Failed, check, run_cases  # noqa: E402

NARROW, WIDE = 60, 100  # terminal widths: without and with room for a bar
ROWS = 20000
BLOCKSIZE = "64KB"
EXPR = 'len(read_csv("trips.csv"))'
BAR = re.compile(r"\d+/\d+ tasks \| [\d.]+ [kMGT]?B of [\d.]+ [kMGT]?B "
                 r"scanned \| [\d.]+ [kMGT]?B/s \| [\d.]+ s")


def screen(data):
    """The lines a terminal shows after data: "\\r" returns to column 0,
    "\\033[K" clears to the end of the line, "\\n" starts a new one (the
    pty adds "\\r" before it)."""
    lines, cur, col, i = [], [], 0, 0
    while i < len(data):
        if data.startswith("\033[K", i):
            del cur[col:]
            i += 3
            continue
        ch = data[i]
        if ch == "\r":
            col = 0
        elif ch == "\n":
            lines.append("".join(cur))
            cur, col = [], 0
        else:
            if col < len(cur):
                cur[col] = ch
            else:
                cur.append(ch)
            col += 1
        i += 1
    lines.append("".join(cur))
    return lines


class Query:
    """`dusk query --scheduler ADDR [extra] EXPR` in work, its stderr (and
    with tty, its stdout) on a pseudo-terminal of tty columns, else
    both on pipes.  read_until() collects what it writes."""

    def __init__(self, bin_dir, work, address, extra, tty, expr):
        self.out = b""
        self.err = b""
        argv = [os.path.join(bin_dir, "dusk"), "query", "--scheduler",
                address, "--blocksize", BLOCKSIZE, "--format", "csv",
                *extra, expr]
        if tty:
            self.master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ,
                        struct.pack("HHHH", 24, tty, 0, 0))
            self.proc = subprocess.Popen(argv, cwd=work,
                                         stdin=subprocess.DEVNULL,
                                         stdout=slave, stderr=slave)
            os.close(slave)
            self.fds = {self.master: "err"}
        else:
            self.master = None
            self.proc = subprocess.Popen(argv, cwd=work,
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE)
            self.fds = {self.proc.stdout.fileno(): "out",
                        self.proc.stderr.fileno(): "err"}

    def read_until(self, done, limit):
        """Reads until done() or every stream is closed, for at most limit
        seconds (a hang limit, not a measure)."""
        deadline = time.monotonic() + limit
        while self.fds and not done():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for fd in select.select(list(self.fds), [], [], left)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the pty's last writer is gone
                    chunk = b""
                if not chunk:
                    del self.fds[fd]
                elif self.fds[fd] == "out":
                    self.out += chunk
                else:
                    self.err += chunk

    def finish(self):
        self.read_until(lambda: False, TIMEOUT)
        rc = self.proc.wait(timeout=TIMEOUT)
        if self.master is not None:
            os.close(self.master)
        else:
            self.proc.stdout.close()
            self.proc.stderr.close()
        return rc, self.out.decode(), self.err.decode()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run_held(bin_dir, work, daemons, extra, tty, wait_for_bar, expr=EXPR):
    """Runs the query (on a terminal of tty columns, on pipes when tty is
    0) with the worker stopped until the bar showed (when
    wait_for_bar) or for 1.5 s; returns (exit status, stdout, stderr)."""
    worker = daemons.procs[1].pid
    os.kill(worker, signal.SIGSTOP)
    q = None
    try:
        q = Query(bin_dir, work, daemons.address, extra, tty, expr)
        if wait_for_bar:
            q.read_until(lambda: b" tasks | " in q.err, TIMEOUT)
            check(b" tasks | " in q.err,
                  f"no bar while the worker is stopped: {q.err!r}")
        else:
            q.read_until(lambda: False, 1.5)
        os.kill(worker, signal.SIGCONT)
        return q.finish()
    finally:
        os.kill(worker, signal.SIGCONT)
        if q is not None:
            q.kill()


def registered(bin_dir, address):
    """Waits until the worker registered: stopped before, the query would
    wait for a worker instead of running."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        r = subprocess.run([os.path.join(bin_dir, "dusk"), "stats",
                            "--scheduler", address], capture_output=True,
                           text=True, timeout=TIMEOUT)
        if r.returncode == 0 and json.loads(r.stdout)["workers"] == 1:
            return
        if time.monotonic() > deadline:
            raise Failed(f"the worker did not register: {r.stdout!r} "
                         f"{r.stderr!r}")
        time.sleep(0.05)


def check_result(text, what):
    check(f",len\n0,{ROWS}\n" in text.replace("\r\n", "\n"),
          f"{what}: no result {ROWS} in {text!r}")


def drawn_lines(out):
    """The bar's lines among what was written to a terminal."""
    return [s for s in re.split(r"\r\033\[K|\r|\n", out) if " tasks | " in s]


def case_terminal(bin_dir, work, daemons):
    """A terminal with room: the bar itself ("[###...]") and its text."""
    rc, _, out = run_held(bin_dir, work, daemons, [], WIDE, True)
    check(rc == 0, f"exit {rc}: {out!r}")
    drawn = drawn_lines(out)
    check(drawn, f"no bar in {out!r}")
    check(all(re.match(r"\[[#.]{10,30}\] ", s) and BAR.search(s)
              for s in drawn), f"a bar without its bar, bytes, rate or "
                               f"elapsed: {drawn}")
    check(all(len(s) <= WIDE - 1 for s in drawn),
          f"a bar wider than {WIDE - 1} columns: {drawn}")
    # Erased before the result: the screen shows the result alone.
    shown = [line for line in screen(out) if line]
    check(shown == [",len", f"0,{ROWS}"], f"the screen at the end: {shown} "
                                          f"(written: {out!r})")
    check_result(out, "terminal")


def case_error(bin_dir, work, daemons):
    """A query failing after the bar showed: the bar is erased before the
    error, which the screen shows alone."""
    with open(os.path.join(work, "bad.csv"), "w") as f:
        f.write("x\n" + "".join(f"{i}\n" for i in range(ROWS)) + "oops\n")
    rc, _, out = run_held(bin_dir, work, daemons, [], NARROW, True,
                          'read_csv("bad.csv", dtype={"x": "int64"})'
                          '["x"].sum()')
    check(rc == 1, f"exit {rc}: {out!r}")
    # A narrow terminal: the text alone, cut to fit.
    drawn = drawn_lines(out)
    check(drawn and all(len(s) <= NARROW - 1 for s in drawn),
          f"no bar, or one wider than {NARROW - 1} columns: {drawn}")
    shown = [line for line in screen(out) if line]
    check(len(shown) == 1 and shown[0].startswith("dusk: ") and
          "'oops'" in shown[0], f"the screen at the end: {shown} "
                                f"(written: {out!r})")


def case_interrupt(bin_dir, work, daemons):
    """^C (SIGINT) while the bar shows: the query is cancelled, the bar
    erased, and the screen holds one line saying so; exit 130."""
    worker = daemons.procs[1].pid
    os.kill(worker, signal.SIGSTOP)
    q = None
    try:
        q = Query(bin_dir, work, daemons.address, [], WIDE, EXPR)
        q.read_until(lambda: b" tasks | " in q.err, TIMEOUT)
        check(b" tasks | " in q.err, f"no bar: {q.err!r}")
        q.proc.send_signal(signal.SIGINT)
        rc, _, out = q.finish()
    finally:
        os.kill(worker, signal.SIGCONT)
        if q is not None:
            q.kill()
    check(rc == 130, f"exit {rc} after SIGINT: {out!r}")
    shown = [line for line in screen(out) if line]
    check(shown == ["dusk: interrupted, the query cancelled"],
          f"the screen at the end: {shown} (written: {out!r})")
    # The cluster stays usable.
    rc, out, err = run_held(bin_dir, work, daemons, [], 0, False)
    check(rc == 0 and out == f",len\n0,{ROWS}\n", f"after the cancel: "
                                                  f"exit {rc}, {out!r}")


def case_no_progress(bin_dir, work, daemons):
    rc, _, out = run_held(bin_dir, work, daemons, ["--no-progress"], WIDE,
                          False)
    check(rc == 0, f"exit {rc}: {out!r}")
    check("tasks" not in out and "\033" not in out,
          f"--no-progress on a terminal drew: {out!r}")
    check_result(out, "--no-progress")


def case_pipe(bin_dir, work, daemons):
    rc, out, err = run_held(bin_dir, work, daemons, [], 0, False)
    check(rc == 0 and err == "", f"on pipes: exit {rc}, stderr {err!r}")
    check(out == f",len\n0,{ROWS}\n", f"on pipes: stdout {out!r}")
    # --no-progress after --progress: the last one wins.
    rc, out, err = run_held(bin_dir, work, daemons,
                            ["--progress", "--no-progress"], 0, False)
    check(rc == 0 and err == "", f"--no-progress last: stderr {err!r}")


def case_forced_on_pipe(bin_dir, work, daemons):
    rc, out, err = run_held(bin_dir, work, daemons, ["--progress"], 0,
                            True)
    check(rc == 0, f"exit {rc}: {err!r}")
    check(out == f",len\n0,{ROWS}\n", f"--progress: stdout {out!r}")
    check("\033" not in err, f"escape codes off a terminal: {err!r}")
    check(err.endswith("\n") and err.count("\n") == 1,
          f"--progress on a pipe: not one final line: {err!r}")
    final = err.rstrip("\n").split("\r")[-1]
    m = re.search(r"(\d+)/(\d+) tasks \| ([\d.]+ [kMGT]?B) of "
                  r"([\d.]+ [kMGT]?B) scanned", final)
    check(m and m.group(1) == m.group(2) and int(m.group(2)) > 1 and
          m.group(3) == m.group(4) and BAR.search(final),
          f"the final state is not all done: {final!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    bin_dir = os.path.abspath(args.bin)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    # Several partitions of 64 kB: "tasks 0/N" while the worker is stopped.
    subprocess.run([os.path.join(bin_dir, "dusk-gen-fhv"),
                    os.path.join(work, "trips.csv"), str(ROWS), "--seed",
                    "3"], check=True, timeout=TIMEOUT)
    daemons = Daemons(bin_dir, work, os.path.join(work, "daemons.log"))
    try:
        registered(bin_dir, daemons.address)
        return run_cases([
            (name, lambda fn=fn: fn(bin_dir, work, daemons))
            for name, fn in (("terminal", case_terminal),
                             ("error", case_error),
                             ("interrupt", case_interrupt),
                             ("no_progress", case_no_progress),
                             ("pipe", case_pipe),
                             ("forced_on_pipe", case_forced_on_pipe))])
    finally:
        daemons.stop()


if __name__ == "__main__":
    sys.exit(main())
