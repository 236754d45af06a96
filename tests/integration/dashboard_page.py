#!/usr/bin/python3
"""The dashboard page (/ of dusk-scheduler, docs/dashboard.md) in a real
browser: headless Chromium (Debian's chromium package).

A scheduler without a token (loopback) and two workers run a dataframe
query over a CSV that a local HTTP server serves slowly (each range
request waits DELAY_S), so the query runs for a while and its progress
moves; queries run back to back until the browser part is over.  Chromium
loads / twice (--dump-dom, after a virtual-time budget in which the page
polls /status); each DOM must show both workers (by pid) with what their
heartbeats report (CPU %, a memory meter of RSS against the limit, bytes
scanned), a query's progress bars with the scan rate, and task-stream
items, and the second must differ from the first (newer task events,
other progress, more bytes scanned by the workers).  A worker is then killed: a
third load must list its removal with the reason.  Then the page on a scheduler
with a token must show its login form and the 401, and keep polling.

Every process it starts is stopped by pid (Chromium's helpers are in its
process group).  Without chromium it exits 77 (skipped) saying so.

  dashboard_page.py --bin BUILD/bin --work DIR [--screenshots DIR]

With --screenshots, the first load and the one after the kill are also
saved as dashboard-1.png and dashboard-2.png there (docs/ has them, for
the README)."""
import argparse
import html
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request

# The endpoint test's helpers: Scheduler starts one on free ports with a
# --ready-fd handshake and stops it by pid.
from dashboard import TIMEOUT, Failed, Scheduler, check

DELAY_S = 0.15          # per range request of the slow CSV server
BLOCKSIZE = "64KiB"     # ~190 partitions of the 12 MB file
ROWS = 200000
TOKEN = "dashboard-page-test-token-0123456789"
MEMORY_LIMIT = "256MiB"  # each worker's (RSS is tens of MiB, more in ASan)


def stop(proc, group=False):
    """SIGTERM (to its process group if group), SIGKILL after TIMEOUT:
    its exit status."""
    if proc.poll() is not None:
        return proc.returncode
    sig = signal.SIGTERM
    for _ in range(2):
        try:
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            return proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            sig = signal.SIGKILL
    return proc.wait()


class SlowRanges(http.server.BaseHTTPRequestHandler):
    """Serves one file with HEAD and ranged GETs; each GET waits DELAY_S
    first, which is what keeps the query running."""
    path_on_disk = None
    stopping = threading.Event()

    def log_message(self, *args):
        pass

    def head(self):
        size = os.path.getsize(self.path_on_disk)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", '"v1"')
        return size

    def do_HEAD(self):
        self.send_response(200)
        size = self.head()
        self.send_header("Content-Length", str(size))
        self.end_headers()

    def do_GET(self):
        self.stopping.wait(DELAY_S)
        size = os.path.getsize(self.path_on_disk)
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        lo, hi = (int(m[1]), int(m[2]) if m[2] else size - 1) if m \
            else (0, size - 1)
        hi = min(hi, size - 1)
        self.send_response(206 if m else 200)
        self.head()
        if m:
            self.send_header("Content-Range", f"bytes {lo}-{hi}/{size}")
        self.send_header("Content-Length", str(hi - lo + 1))
        self.end_headers()
        with open(self.path_on_disk, "rb") as f:
            f.seek(lo)
            try:
                self.wfile.write(f.read(hi - lo + 1))
            except (BrokenPipeError, ConnectionResetError):
                pass  # a query stopped (or its worker killed) mid-read


def status(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status",
                                timeout=TIMEOUT) as r:
        return json.load(r)


def chromium(a, browser, url, name, screenshot=None):
    """The DOM of url after the page ran for a 4 s virtual-time budget
    (it polls /status once a second meanwhile); with screenshot, a
    1400x900 PNG of it too (a second load)."""
    profile = os.path.join(a.work, "chromium-profile")
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu",
              "--no-first-run", "--disable-extensions",
              "--user-data-dir=" + profile, "--virtual-time-budget=4000",
              "--window-size=1400,900", "--hide-scrollbars"]
    outs = []
    jobs = [common + ["--dump-dom", url]]
    if screenshot:
        jobs.append(common + ["--screenshot=" + screenshot, url])
    for args in jobs:
        with open(os.path.join(a.work, name + ".err"), "ab") as err:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                    stderr=err, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            stop(proc, group=True)
            raise Failed(f"chromium did not finish {url} in {TIMEOUT} s")
        finally:
            stop(proc, group=True)  # its helpers, if any outlived it
        check(proc.returncode == 0, f"chromium exited {proc.returncode} on "
              f"{url} (see {name}.err)")
        outs.append(out.decode(errors="replace"))
    return outs[0]


def dom_facts(dom):
    """What the page shows: worker pids, queries' (key, tasks done),
    task-event seqs, polls made; per worker its CPU %, RSS and bytes
    scanned, and its memory meter (RSS, limit); the byte rates the
    queries' bars give."""
    rows = re.findall(r'<tr data-worker="\d+" data-pid="(\d+)" '
                      r'data-cpu="([^"]*)" data-rss="(\d+)" '
                      r'data-scanned="(\d+)">(.*?)</tr>', dom)
    pids = {int(r[0]) for r in rows}
    workers = {int(r[0]): {"cpu": float(r[1]), "rss": int(r[2]),
                           "scanned": int(r[3]),
                           "meter": [tuple(map(int, m)) for m in re.findall(
                               r'role="meter" aria-valuenow="(\d+)" '
                               r'aria-valuemin="0" aria-valuemax="(\d+)"',
                               r[4])]}
               for r in rows}
    rates = re.findall(r'scanned, [0-9.]+ (?:B|KiB|MiB|GiB)/s', dom)
    queries = re.findall(r'<div class="query" data-key="([^"]*)" '
                         r'data-tasks-done="(\d+)"', dom)
    bars = len(re.findall(r'role="progressbar"', dom))
    seqs = set(map(int, re.findall(r'<div class="task" data-seq="(\d+)"',
                                   dom)))
    polls = re.search(r'<body data-polls="(\d+)"', dom)
    return {"pids": pids, "queries": set(queries), "bars": bars,
            "seqs": seqs, "polls": int(polls[1]) if polls else 0,
            "workers": workers, "rates": rates}


def check_workers(n, facts):
    """Each worker row has its heartbeat figures: a CPU %, one memory
    meter whose RSS is above 0 and below the limit, bytes scanned."""
    for pid, w in facts["workers"].items():
        check(w["cpu"] >= 0 and len(w["meter"]) == 1,
              f"{n} load: worker {pid}: {w}")
        rss, limit = w["meter"][0]
        check(0 < rss == w["rss"] < limit,
              f"{n} load: worker {pid}'s memory meter {rss} of {limit}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--screenshots")
    a = ap.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("SKIP: chromium is not installed (Debian's chromium package: "
              "apt-get install chromium); the page was not loaded")
        return 77
    os.makedirs(a.work, exist_ok=True)
    csv = os.path.join(a.work, "fhv.csv")
    subprocess.run([os.path.join(a.bin, "dusk-gen-fhv"), csv, str(ROWS)],
                   check=True, stdout=subprocess.DEVNULL, timeout=TIMEOUT)
    SlowRanges.path_on_disk = csv
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowRanges)
    server.daemon_threads = True
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/fhv.csv"

    procs = []
    queries_done = threading.Event()
    query_lock = threading.Lock()
    query_proc = [None]
    query_codes = []

    def run_queries(address):
        # Back to back, so one is nearly always running while the browser
        # loads the page; each must succeed.
        while not queries_done.is_set():
            with query_lock:
                if queries_done.is_set():
                    return
                query_proc[0] = subprocess.Popen(
                    [os.path.join(a.bin, "dusk"), "query", "--scheduler",
                     address, "--blocksize", BLOCKSIZE, "--format", "csv",
                     f'read_csv("{url}").groupby("PULocationID").count()'],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=open(os.path.join(a.work, "query.err"), "ab"))
            query_codes.append(query_proc[0].wait())

    runner = None
    try:
        sched = Scheduler(a, "scheduler", "--dashboard-port", "0",
                          "--heartbeat-ms", "100")
        procs.append(sched)
        port, dash = sched.port, sched.dashboard
        pids = set()
        for i in range(2):
            w = subprocess.Popen(
                [os.path.join(a.bin, "dusk-worker"),
                 f"tcp://127.0.0.1:{port}", "--nworkers", "1",
                 # a limit the memory meter shows visibly filled
                 "--memory-limit", MEMORY_LIMIT],
                stdin=subprocess.DEVNULL,
                stdout=open(os.path.join(a.work, f"worker{i}.log"), "ab"),
                stderr=subprocess.STDOUT)
            procs.append(w)
        # Readiness: both registered (the pids /status gives are the
        # processes that registered: --nworkers 1 may run one under a nanny).
        for _ in range(TIMEOUT * 20):
            st = status(dash)
            if len(st["workers"]) == 2:
                break
            queries_done.wait(0.05)
        check(len(st["workers"]) == 2, f"workers never registered: {st}")
        pids = {w["pid"] for w in st["workers"]}

        runner = threading.Thread(target=run_queries,
                                  args=(f"tcp://127.0.0.1:{port}",))
        runner.start()
        for _ in range(TIMEOUT * 20):
            st = status(dash)
            if st["queries"] and st["queries"][0]["state"] == "running" \
                    and st["events"]["tasks"]:
                break
            queries_done.wait(0.05)
        check(st["queries"], f"no query running: {st}")

        page = f"http://127.0.0.1:{dash}/"
        shots = a.screenshots
        first = second = None
        def scanned_by(facts):
            return sum(w["scanned"] for w in facts["workers"].values())
        # A load may fall between two queries, or before any scan has
        # finished (a worker reports the bytes of its finished scans): up
        # to 10 tries for each.
        for attempt in range(10):
            first = dom_facts(chromium(
                a, browser, page, "chromium-1",
                shots and os.path.join(shots, "dashboard-1.png")))
            if first["queries"] and first["seqs"] and scanned_by(first) > 0:
                break
        for attempt in range(10):
            second = dom_facts(chromium(a, browser, page, "chromium-2"))
            if second["queries"] and second["seqs"] and \
                    max(second["seqs"]) > max(first["seqs"]) and \
                    scanned_by(second) > scanned_by(first):
                break
        for n, facts in (("first", first), ("second", second)):
            check(facts["pids"] == pids,
                  f"{n} load: worker pids {facts['pids']}, not {pids}")
            check(facts["queries"] and facts["bars"] >= 2,
                  f"{n} load: no query progress bar: {facts}")
            check(facts["seqs"], f"{n} load: no task-stream items")
            check(facts["polls"] >= 2, f"{n} load: {facts['polls']} polls")
            check_workers(n, facts)
            check(facts["rates"], f"{n} load: no scan rate on the bars")
        check(max(second["seqs"]) > max(first["seqs"]),
              "the task stream did not move between the loads")
        check(second["queries"] != first["queries"],
              f"the progress did not move: {first['queries']}")
        scanned = [scanned_by(f) for f in (first, second)]
        check(0 < scanned[0] < scanned[1],
              f"bytes scanned by the workers: {scanned[0]} then {scanned[1]}")

        # A worker killed mid-query: the page lists its removal with the
        # reason (the queries go on, on the other worker).
        # The registered pid is a child of a dusk-worker we started (its
        # nanny, which may start another): checked before it is killed.
        victim = min(pids)
        with open(f"/proc/{victim}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        check(ppid in {w.pid for w in procs[1:]},
              f"worker pid {victim} is not a child of ours (parent {ppid})")
        os.kill(victim, signal.SIGKILL)
        for _ in range(TIMEOUT * 20):
            st = status(dash)
            gone = [f for f in st["events"]["failures"]
                    if f["kind"] == "worker-removed"]
            if gone:
                break
            queries_done.wait(0.05)
        check(gone, f"no worker-removed event: {st['events']['failures']}")
        dom = chromium(a, browser, page, "chromium-3",
                       shots and os.path.join(shots, "dashboard-2.png"))
        rows = re.findall(r'<tr data-seq="\d+">(.*?)</tr>', dom)
        check(any("worker-removed" in r and str(gone[0]["worker"]) in r and
                  gone[0]["reason"] and
                  html.escape(gone[0]["reason"], quote=False) in r
                  for r in rows),
              f"the removal {gone[0]} is not listed: {rows}")

        # The page against a scheduler that wants a token: the login form,
        # the 401 said, and polling goes on (more than one poll).
        token_file = os.path.join(a.work, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        locked = Scheduler(a, "locked", "--dashboard-port", "0",
                           "--token-file", token_file)
        procs.append(locked)
        dom = chromium(a, browser, f"http://127.0.0.1:{locked.dashboard}/",
                       "chromium-401")
        facts = dom_facts(dom)
        check(re.search(r'<form id="login" method="post" action="/login">',
                        dom), "the login form is hidden on a 401")
        check(re.search(r'<div id="error">[^<]*401[^<]*retrying', dom),
              "the 401 is not shown")
        check(facts["polls"] >= 2,
              f"the page stopped polling after a 401 ({facts['polls']})")
        locked.stop_cleanly()
        # An orderly stop (also no leak or error under the sanitizers).
        with query_lock:
            queries_done.set()
            if query_proc[0] is not None:
                stop(query_proc[0])
        runner.join()
        runner = None
        sched.stop_cleanly()
    except Failed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        with query_lock:
            queries_done.set()
            if query_proc[0] is not None:
                stop(query_proc[0])
        if runner is not None:
            runner.join()
        for p in reversed(procs):
            if isinstance(p, Scheduler):
                p.stop()
            else:
                stop(p)
        SlowRanges.stopping.set()
        server.shutdown()
        server.server_close()
    bad = [c for c in query_codes[:-1] if c != 0]
    if bad:
        print(f"FAIL: queries exited {query_codes} (see query.err)",
              file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
