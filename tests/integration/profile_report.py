#!/usr/bin/python3
"""`dusk query --profile REPORT.html` (client/profile.c, scheduler/profile.c).

A groupby over a generated CSV of many partitions runs on the CLI's own
LocalCluster of 2 workers (the real daemons, port 0, their READY
handshake), and the report is read back with html.parser:

- every task of the query appears once in the timeline (each scan of the
  file's ranges, then the tail), as many as the totals say were recorded
  and submitted;
- each task's times are in order, ready <= sent <= start <= end <= done,
  all within the query's wall time;
- the bytes the scans read add up to the file's size less its header, in
  the tasks, the totals and the workers' table;
- both workers ran tasks and have a row (deterministic: the LocalCluster
  waits for both to register, and the scheduler sends a worker at most
  --worker-queue, 4, tasks until it knows their run time, so of 8 or more
  scans ready at once each worker gets some);
- the query's text and plan (a path holding & < > ') come back exact
  through the escaping, and the raw HTML holds none of them unescaped;
- the file is self-contained: no script, no external reference.

And --profile with a path that cannot be written (a missing folder, a
folder) fails before running anything, naming the path, exit 1.

Run by ctest:  profile_report.py --bin BUILD/bin --work DIR
"""
import argparse
import html.parser
import math
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli import TIMEOUT, Failed, check, run_cases  # noqa: E402

BLOCKSIZE = 65536
ROWS = 60000


class Report(html.parser.HTMLParser):
    """What the checks read from a report: the task bars' data, the
    totals, the workers' rows, the query text and plan, and every tag."""

    def __init__(self):
        super().__init__()
        self.tasks, self.sections, self.workers, self.tags = [], [], [], []
        self.totals = {}
        self.pre = {}
        self._pre = None
        self._th = None
        self._in_th = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        cls = a.get("class", "")
        if tag == "rect" and cls == "task":
            self.tasks.append(a)
        elif tag == "section":
            self.sections.append(a)
        elif tag == "tr" and "data-worker" in a:
            self.workers.append(a)
        elif tag == "pre":
            self._pre = cls
            self.pre[cls] = ""
        elif tag == "th":
            self._in_th = True
            self._th = ""
        elif tag == "td" and self._th is not None:
            self.totals.setdefault(self._th, a)

    def handle_endtag(self, tag):
        if tag == "pre":
            self._pre = None
        elif tag == "th":
            self._in_th = False
        elif tag == "tr":
            self._th = None

    def handle_data(self, data):
        if self._pre is not None:
            self.pre[self._pre] += data
        if self._in_th:
            self._th += data


def run_dusk(bin_dir, args, cwd):
    """`dusk ARGS` in its own process group (its LocalCluster's daemons
    too), killed whole if it outlives the hang limit."""
    proc = subprocess.Popen([os.path.join(bin_dir, "dusk")] + args, cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise Failed(f"dusk {' '.join(args)} did not finish in {TIMEOUT} s")
    return proc.returncode, out.decode(), err.decode()


def write_csv(path):
    header = "g,x,s\n"
    with open(path, "w") as f:
        f.write(header)
        for i in range(ROWS):
            f.write(f"{i % 13},{(i * 7919) % 1000 / 10},v{i % 3}\n")
    return len(header)


def case_report(bin_dir, work):
    folder = os.path.join(work, "a&b<c>'d")
    os.makedirs(folder, exist_ok=True)
    csv = os.path.join(folder, "trips.csv")
    header = write_csv(csv)
    size = os.path.getsize(csv)
    report = os.path.join(work, "report.html")
    if os.path.exists(report):
        os.unlink(report)
    expr = f'read_csv("{csv}").groupby("g").sum()'
    rc, out, err = run_dusk(bin_dir, ["query", "--workers", "2",
                                      "--blocksize", str(BLOCKSIZE),
                                      "--no-progress", "--profile", report,
                                      expr], work)
    check(rc == 0, f"exit {rc}: {err}")
    check(out.strip() != "", "no result printed")
    with open(report, encoding="utf-8") as f:
        raw = f.read()
    r = Report()
    r.feed(raw)
    r.close()

    # Self-contained, and everything from data escaped.
    for tag, a in r.tags:
        check(tag not in ("script", "link", "img", "iframe", "object"),
              f"<{tag}> in a self-contained report")
        for name in ("src", "href"):
            check(name not in a, f"<{tag} {name}=...> in the report")
    check("<c>'d" not in raw, "the path's < > ' are not escaped")
    check(r.pre.get("query-text") == expr,
          f"query text {r.pre.get('query-text')!r}")
    check(csv in r.pre.get("plan", ""), f"plan {r.pre.get('plan')!r}")

    # Every task once: each range's scan, and the tail.
    check(len(r.sections) == 1, f"{len(r.sections)} query sections")
    wall = int(r.sections[0]["data-wall-us"])
    keys = [t["data-key"] for t in r.tasks]
    check(len(keys) == len(set(keys)), "a task appears twice")
    nscans = math.ceil(size / BLOCKSIZE)
    check(nscans >= 8, f"only {nscans} partitions")
    scans = sorted(k for k in keys if "/scan-" in k)
    want = sorted(f"/scan-0-{i}" for i in range(nscans))
    check([k[k.rindex("/"):] for k in scans] == want,
          f"scans {scans} for {nscans} ranges")
    check(all(t["data-op"] == "df_scan" for t in r.tasks
              if "/scan-" in t["data-key"]), "a scan's op is not df_scan")
    finals = [t for t in r.tasks if t["data-op"] == "df_final"]
    check(len(finals) == 1, f"{len(finals)} df_final tasks")
    check(len(keys) == int(r.sections[0]["data-tasks"]),
          "the section's task count differs from its bars")
    tasks_td = r.totals.get("tasks", {})
    check(tasks_td.get("data-n") == str(len(keys)),
          f"totals say {tasks_td} tasks, the timeline has {len(keys)}")

    # Times in order, within the wall time.
    for t in r.tasks:
        times = [int(t[f"data-{n}-us"])
                 for n in ("ready", "sent", "start", "end", "done")]
        check(times == sorted(times) and times[-1] <= wall,
              f"{t['data-key']}: times {times}, wall {wall}")
    final_done = int(finals[0]["data-done-us"])
    check(all(int(t["data-done-us"]) <= final_done for t in r.tasks),
          "a task finished after the final one")

    # Bytes: the scans read the file less its header.
    scanned = sum(int(t["data-scan-bytes"]) for t in r.tasks)
    check(scanned == size - header,
          f"scans read {scanned} bytes of a {size}-byte file "
          f"with a {header}-byte header")
    check(r.totals.get("bytes scanned", {}).get("data-bytes") == str(scanned),
          f"totals' bytes scanned {r.totals.get('bytes scanned')}")
    check(all(int(t["data-result-bytes"]) > 0 for t in r.tasks),
          "a task without result bytes")

    # Both workers ran tasks, and each has a row adding up the same bytes.
    workers = {t["data-worker"] for t in r.tasks}
    check(len(workers) == 2, f"tasks ran on workers {workers}")
    check({w["data-worker"] for w in r.workers} == workers,
          f"worker rows {r.workers}")
    check(r.totals.get("workers", {}).get("data-n") == "2",
          f"totals' workers {r.totals.get('workers')}")
    check(raw.count('data-bytes="') >= 3, "no per-worker bytes")


def case_unwritable(bin_dir, work):
    csv = os.path.join(work, "small.csv")
    with open(csv, "w") as f:
        f.write("g\n1\n")
    for path in (os.path.join(work, "no-such-folder", "r.html"), work):
        rc, out, err = run_dusk(bin_dir, ["query", "--workers", "1",
                                          "--profile", path,
                                          f'len(read_csv("{csv}"))'], work)
        check(rc == 1, f"--profile {path}: exit {rc}")
        check(f"cannot write the report to {path}" in err,
              f"--profile {path}: stderr {err!r}")
        check(out == "", f"--profile {path}: ran the query: {out!r}")
    check(not os.path.exists(os.path.join(work, "no-such-folder")),
          "a folder was created")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    return run_cases([
        ("report", lambda: case_report(args.bin, args.work)),
        ("unwritable", lambda: case_unwritable(args.bin, args.work)),
    ])


if __name__ == "__main__":
    sys.exit(main())
