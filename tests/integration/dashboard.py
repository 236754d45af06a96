#!/usr/bin/python3
"""The scheduler's HTTP endpoint (--dashboard-port, docs/dashboard.md)
against a real dusk-scheduler and dusk-worker on free ports:

- /health, /status (the documented schema, events included; its numbers
  follow work that runs and is canceled; ?since=N), /metrics (values, and
  `promtool check metrics`); / (the page: no token needed, nothing from
  elsewhere; dashboard_page.py runs it in a browser);
- what workers report in their heartbeats, in /status and /metrics: a
  task running, RSS above 0 and below the --memory-limit given, CPU time
  that grows with work, bytes scanned equal to the CSV bytes the queries
  read, the scheduler's bytes-scanned total and graph latencies; and
  --memory-limit auto: the machine's memory (or its cgroup v2 limit)
  divided by a nanny's workers;
- the token: 401 without it or with a wrong one, 200 with the bearer
  header or with the cookie of POST /login; a forged cookie is refused;
- 404 and 405; malformed requests (garbage, a huge header, an unknown
  method, HTTP/0.9, an oversized login body) get a 4xx or a closed
  connection, and connections held open past the connection limit are
  refused, while the scheduler keeps scheduling;
- a flood of 2000 requests from four threads during a dataframe query,
  whose answer is still right;
- a taken --dashboard-port falls back to a free one with a warning,
  --no-dashboard serves nothing, and a scheduler without a token serves
  /status to anyone on loopback.

Every process it starts is stopped by pid.  If promtool (Debian's
prometheus package) is missing, everything else still runs and the test
then exits 77 (skipped) saying so.

  dashboard.py --bin BUILD/bin --work DIR"""
import argparse
import http.client
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import time

SCALE = int(os.environ.get("DUSK_TEST_TIMEOUT_SCALE", "1"))
TIMEOUT = 60 * SCALE
TOKEN = "dashboard-test-token-0123456789abcdef"


class Failed(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Failed(why)


class Scheduler:
    """dusk-scheduler with --ready-fd: its READY and DASHBOARD ports."""

    def __init__(self, a, name, *args):
        self.log_path = os.path.join(a.work, f"{name}.log")
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            [os.path.join(a.bin, "dusk-scheduler"), "--port", "0",
             "--ready-fd", str(w), *args], pass_fds=(w,),
            stdin=subprocess.DEVNULL, stdout=open(self.log_path, "ab"),
            stderr=subprocess.STDOUT)
        os.close(w)
        data = b""
        try:
            # The scheduler writes its lines at once and closes the pipe.
            while True:
                if not select.select([r], [], [], TIMEOUT)[0]:
                    raise Failed(f"{name}: no READY within {TIMEOUT} s")
                chunk = os.read(r, 256)
                if not chunk:
                    break
                data += chunk
        finally:
            os.close(r)
        lines = data.decode().splitlines()
        check(lines and lines[0].startswith("READY "),
              f"{name}: announced {data!r} (see {self.log_path})")
        self.port = int(lines[0].split()[1])
        self.dashboard = None
        for line in lines[1:]:
            check(line.startswith("DASHBOARD "), f"{name}: line {line!r}")
            self.dashboard = int(line.split()[1])
        self.address = f"tcp://127.0.0.1:{self.port}"

    def alive(self):
        return self.proc.poll() is None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM, then SIGKILL after TIMEOUT: its exit status (0 for an
        orderly stop, also under the sanitizers: no leak, no error)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def stop_cleanly(self):
        rc = self.stop()
        check(rc == 0, f"{self.log_path}: the scheduler exited {rc}")


def request(port, path, method="GET", headers=None, body=None,
            source="127.0.0.1"):
    """(status, headers dict (lower-case names), body bytes), sent from
    the loopback address source."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT,
                                      source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


BEARER = {"Authorization": "Bearer " + TOKEN}


def status(port):
    code, hdrs, body = request(port, "/status", headers=BEARER)
    check(code == 200, f"/status: {code} {body!r}")
    check(hdrs.get("content-type") == "application/json",
          f"/status content type {hdrs.get('content-type')}")
    return json.loads(body)


def metrics(port):
    code, hdrs, body = request(port, "/metrics", headers=BEARER)
    check(code == 200, f"/metrics: {code} {body!r}")
    check(hdrs.get("content-type", "").startswith(
        "text/plain; version=0.0.4"), f"/metrics content type {hdrs}")
    return body.decode()


def metric_values(text):
    """{'name{labels}': float} of the samples in text."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def wait_for(what, cond, port):
    """Polls /status until cond(status) holds: the status."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        st = status(port)
        if cond(st):
            return st
        if time.monotonic() > deadline:
            raise Failed(f"{what}: last /status {json.dumps(st)}")
        time.sleep(0.05)


# ---- the documented schema (docs/dashboard.md) --------------------------

SCHEDULER_FIELDS = {"address": str, "uptime_s": float, "rss_bytes": int,
                    "peak_rss_bytes": int, "clients": int, "workers": int,
                    "tasks": dict, "tasks_finished_total": int,
                    "tasks_erred_total": int, "bytes_scanned_total": int,
                    "heartbeat_rtt_us": dict}
WORKER_FIELDS = {"id": int, "host_id": str, "addr": str, "name": str,
                 "pid": int, "processing": int, "capacity": int, "keys": int,
                 "bytes": int, "leaving": bool, "tasks_running": int,
                 "cpu_percent": float, "cpu_seconds": float,
                 "rss_bytes": int, "memory_limit_bytes": int,
                 "bytes_scanned": int}
LIMIT = 3 << 30  # the --memory-limit of the test's worker (3GiB)
QUERY_FIELDS = {"key": str, "client": int, "state": str, "tasks_done": int,
                "tasks_total": int, "bytes_done": int, "bytes_total": int,
                "elapsed_s": float}
GRAPH_FIELDS = {"client": int, "tasks_done": int, "tasks_total": int,
                "elapsed_s": float}
EVENTS_FIELDS = {"next": int, "tasks": list, "failures": list}
TASK_EVENT_FIELDS = {"seq": int, "worker": int, "start_s": float,
                     "end_s": float, "op": str}
FAILURE_FIELDS = {"seq": int, "time_s": float, "kind": str, "worker": int,
                  "addr": str, "what": str, "reason": str}
STATES = ["waiting", "ready", "processing", "memory", "erred", "released"]


def fields(obj, spec, what):
    check(isinstance(obj, dict) and set(obj) == set(spec),
          f"{what}: keys {sorted(obj) if isinstance(obj, dict) else obj} "
          f"are not {sorted(spec)}")
    for k, t in spec.items():
        ok = isinstance(obj[k], (int, float)) if t is float else \
            isinstance(obj[k], t) and not (t is int and isinstance(obj[k], bool))
        check(ok, f"{what}.{k} = {obj[k]!r} is not {t.__name__}")


def check_schema(st, sched):
    check(set(st) == {"scheduler", "workers", "queries", "graphs",
                      "autoscale", "events"}, f"/status keys {sorted(st)}")
    fields(st["events"], EVENTS_FIELDS, "events")
    seqs = []
    for e in st["events"]["tasks"]:
        fields(e, TASK_EVENT_FIELDS, "task event")
        check(e["start_s"] <= e["end_s"] and e["op"], f"task event {e}")
        seqs.append(e["seq"])
    check(len(seqs) <= 2000, f"{len(seqs)} task events kept")
    for e in st["events"]["failures"]:
        fields(e, FAILURE_FIELDS, "failure event")
        check(e["kind"] in ("task-erred", "worker-removed"), f"failure {e}")
        seqs.append(e["seq"])
    check(len(st["events"]["failures"]) <= 100, "over 100 failures kept")
    check(len(set(seqs)) == len(seqs) and
          all(0 < q < st["events"]["next"] for q in seqs),
          f"event seqs {sorted(seqs)} (next {st['events']['next']})")
    fields(st["scheduler"], SCHEDULER_FIELDS, "scheduler")
    check(st["scheduler"]["address"] == sched.address,
          f"address {st['scheduler']['address']} is not {sched.address}")
    check(sorted(st["scheduler"]["tasks"]) == sorted(STATES),
          f"task states {st['scheduler']['tasks']}")
    fields(st["scheduler"]["heartbeat_rtt_us"],
           {"samples": int, "p50": int, "p99": int, "max": int},
           "heartbeat_rtt_us")
    for w in st["workers"]:
        fields(w, WORKER_FIELDS, "worker")
        check(0 <= w["tasks_running"] <= 1 and w["cpu_percent"] >= 0 and
              w["cpu_seconds"] >= 0 and w["bytes_scanned"] >= 0,
              f"worker figures {w}")
    for q in st["queries"]:
        fields(q, QUERY_FIELDS, "query")
        check(q["state"] in ("sampling", "running"), f"query {q}")
    for g in st["graphs"]:
        fields(g, GRAPH_FIELDS, "graph")
        check(0 <= g["tasks_done"] < g["tasks_total"], f"graph {g}")
    check(st["autoscale"] is None, f"autoscale {st['autoscale']}")


# ---- the parts ------------------------------------------------------------

def auth_and_routes(port):
    code, _, body = request(port, "/health")
    check(code == 200 and body == b"ok\n", f"/health: {code} {body!r}")
    # The page holds no data: it needs no token, and loads nothing from
    # elsewhere (its CSP forbids it; no URL with a scheme in it either).
    code, hdrs, body = request(port, "/")
    check(code == 200 and hdrs.get("content-type", "").startswith(
        "text/html") and b"/status?since=" in body,
        f"/: {code} {hdrs} {body[:200]!r}")
    check("default-src 'none'" in hdrs.get("content-security-policy", "")
          and b"http://" not in body and b"https://" not in body,
          f"/ may load from elsewhere: {hdrs}")
    for path in ("/status", "/metrics"):
        code, hdrs, _ = request(port, path)
        check(code == 401 and "bearer" in hdrs.get(
            "www-authenticate", "").lower(), f"{path} without token: {code}")
        code, _, _ = request(port, path,
                             headers={"Authorization": "Bearer wrong"})
        check(code == 401, f"{path} with a wrong token: {code}")
        code, _, _ = request(port, path, headers={
            "Authorization": "Bearer " + TOKEN + "x"})
        check(code == 401, f"{path} with a longer token: {code}")
        code, _, _ = request(port, path, headers=BEARER)
        check(code == 200, f"{path} with the token: {code}")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    code, hdrs, _ = request(port, "/login", "POST", form, "token=nope")
    check(code == 401 and "set-cookie" not in hdrs,
          f"login with a wrong token: {code} {hdrs}")
    code, hdrs, _ = request(port, "/login", "POST", form, "token=" + TOKEN)
    cookie = hdrs.get("set-cookie", "")
    check(code == 200 and cookie.startswith("dusk_session=") and
          "HttpOnly" in cookie, f"login: {code} {hdrs}")
    session = cookie.split(";")[0]
    code, _, body = request(port, "/status", headers={"Cookie": session})
    check(code == 200 and json.loads(body)["scheduler"],
          f"/status with the session cookie: {code}")
    # The same cookie with its signature's last digit changed, and with a
    # later expiry under the old signature.
    value = session.split("=", 1)[1]
    forged = value[:-1] + ("0" if value[-1] != "0" else "1")
    later = "f" + value[1:]
    for bad in (forged, later, "x", value + "0"):
        code, _, _ = request(port, "/status",
                             headers={"Cookie": "dusk_session=" + bad})
        check(code == 401, f"/status with cookie {bad!r}: {code}")
    code, _, _ = request(port, "/login", "POST", {"Content-Type": "text/plain"},
                         TOKEN)
    check(code == 415, f"login with a text body: {code}")
    code, _, _ = request(port, "/login", "POST", form,
                         "token=" + "a" * 20000)
    check(code == 413, f"login with a 20 kB body: {code}")
    code, _, _ = request(port, "/login", "POST", form,
                         "token=&token=" + TOKEN)
    check(code == 400, f"login with two token fields: {code}")
    wrong_tokens_are_limited(port, form, session)
    code, _, _ = request(port, "/nope", headers=BEARER)
    check(code == 404, f"/nope: {code}")
    for method, path in (("POST", "/status"), ("DELETE", "/metrics"),
                         ("PUT", "/health"), ("GET", "/login")):
        code, hdrs, _ = request(port, path, method, BEARER)
        check(code == 405 and "allow" in hdrs,
              f"{method} {path}: {code} {hdrs}")


def wrong_tokens_are_limited(port, form, session):
    """From one address (127.0.0.9, so the other checks' address keeps its
    tries), wrong tokens are answered 401 ten times, then 429 with a
    Retry-After - even the right token, which is not compared then - while
    a logged-in browser there keeps its session."""
    src = "127.0.0.9"
    for i in range(10):
        code, _, _ = request(port, "/status", headers={
            "Authorization": "Bearer wrong"}, source=src)
        check(code == 401, f"wrong token {i + 1} from {src}: {code}")
    for how in ("bearer", "login"):
        if how == "bearer":
            code, hdrs, _ = request(port, "/status", headers=BEARER,
                                    source=src)
        else:
            code, hdrs, _ = request(port, "/login", "POST", form,
                                    "token=" + TOKEN, source=src)
        check(code == 429 and 1 <= int(hdrs.get("retry-after", "0")) <= 6,
              f"the right token ({how}) after 10 wrong ones: {code} {hdrs}")
    code, _, _ = request(port, "/status", headers={"Cookie": session},
                         source=src)
    check(code == 200, f"a session from the limited address: {code}")
    code, _, _ = request(port, "/status", headers=BEARER)
    check(code == 200, f"the token from another address: {code}")


def raw(port, data, read=True):
    """Sends data on a fresh connection: the status line answered, or ''
    when the server closed the connection without one."""
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # cut off mid-request: a refusal too
        if not read:
            return ""
        got = b""
        try:
            while b"\r\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except ConnectionResetError:
            pass
        return got.split(b"\r\n", 1)[0].decode(errors="replace")
    finally:
        s.close()


def refused(line):
    """A 4xx or 5xx status line, or no answer at all."""
    if line == "":
        return True
    parts = line.split()
    return len(parts) >= 2 and parts[1][:1] in ("4", "5")


def malformed(port, sched, client):
    cases = {
        "garbage": b"\x00\xff\x16\x03\x01 not http at all\r\n\r\n",
        "huge header": (b"GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " +
                        b"a" * 100000 + b"\r\n\r\n"),
        "many headers": (b"GET /status HTTP/1.1\r\nHost: x\r\n" +
                         b"".join(b"X-%d: y\r\n" % i for i in range(5000)) +
                         b"\r\n"),
        "unknown method": b"BREW /status HTTP/1.1\r\nHost: x\r\n\r\n",
        "no version": b"GET /status\r\n\r\n",
        "bad version": b"GET /status HTTP/7.3\r\nHost: x\r\n\r\n",
        "space in path": b"GET /sta tus HTTP/1.1\r\nHost: x\r\n\r\n",
        "bad content-length": (b"POST /login HTTP/1.1\r\nHost: x\r\n"
                               b"Content-Length: -5\r\n\r\n"),
        "huge content-length": (b"POST /login HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Type: application/x-www-form-"
                                b"urlencoded\r\nContent-Length: "
                                b"99999999999\r\n\r\ntoken="),
        "no host": b"GET /status HTTP/1.1\r\n\r\n",
    }
    for what, data in cases.items():
        line = raw(port, data)
        check(refused(line), f"{what}: answered {line!r}")
    # A chunked login body past the limit: cut, never buffered whole.
    line = raw(port, b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: "
               b"application/x-www-form-urlencoded\r\nTransfer-Encoding: "
               b"chunked\r\n\r\n" + b"4000\r\n" + b"a" * 0x4000 + b"\r\n" +
               b"4000\r\n" + b"a" * 0x4000 + b"\r\n0\r\n\r\n")
    check(refused(line), f"chunked 32 kB login: answered {line!r}")
    # Connections held open past the limit (64): the extra ones are
    # refused, and the scheduler's loop keeps scheduling meanwhile.
    held = []
    try:
        for _ in range(80):
            s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            s.sendall(b"GET /status HTTP/1.1\r\n")  # never finished
            held.append(s)
        check(client.submit("add", 5, pure=False).result() == 5,
              "a task while HTTP connections are held open")
        # Seen from another loopback address: 127.0.0.1 holds its quarter
        # of the limit (16), and this request is the 17th connection.
        wait_connections(port, 17, "the held connections accepted",
                         source="127.0.0.2", at_most=17)
    finally:
        for s in held:
            s.close()
    check(sched.alive(), "the scheduler died of malformed requests")
    # Every slot released before the flood: the flood's refusals would
    # otherwise be the held connections' leftovers.
    wait_connections(port, 1, "the held connections released")


def wait_connections(port, want, what, source="127.0.0.1", at_most=None):
    """Polls dusk_dashboard_connections (the connections open, the asking
    one included) until it is want; fails past TIMEOUT or above at_most."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        got = None
        try:
            code, _, body = request(port, "/metrics", headers=BEARER,
                                    source=source)
            if code == 200:
                got = metric_values(body.decode())[
                    "dusk_dashboard_connections"]
        except OSError:
            pass  # refused at the limit: not released yet
        if got == want:
            return
        check(at_most is None or got is None or got <= at_most,
              f"{what}: {got} connections open, expected {want}")
        check(time.monotonic() < deadline,
              f"{what}: {got} connections open after {TIMEOUT} s, "
              f"expected {want}")
        time.sleep(0.02)


def flood(port, n_threads=4, per_thread=500):
    """n_threads x per_thread requests: a dict of outcomes."""
    paths = [("/status", BEARER), ("/metrics", BEARER), ("/health", {}),
             ("/status", {}), ("/nope", BEARER)]
    outcomes = {}
    lock = threading.Lock()

    def run(t):
        conn = None
        for i in range(per_thread):
            path, hdrs = paths[(i + t) % len(paths)]
            # A kept-alive connection the server closed while idle (its
            # --dashboard-timeout) fails the next request: as any HTTP
            # client does for a GET, retry that once on a fresh one.
            for attempt in (0, 1):
                fresh = conn is None
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(
                            "127.0.0.1", port, timeout=TIMEOUT)
                    conn.request("GET", path, headers=hdrs)
                    r = conn.getresponse()
                    r.read()
                    key = (path, bool(hdrs), r.status)
                    if r.will_close:
                        conn.close()
                        conn = None
                    break
                except (OSError, http.client.HTTPException) as e:
                    key = (path, bool(hdrs), type(e).__name__)
                    if conn is not None:
                        conn.close()
                    conn = None
                    if fresh:
                        break
            with lock:
                outcomes[key] = outcomes.get(key, 0) + 1
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in
               range(n_threads)]
    for t in threads:
        t.start()
    return threads, outcomes


def tls_part(a, started, token_file):
    """With --tls-*, HTTPS with the scheduler's certificate; bound to every
    interface (off loopback), the token is still required."""
    import ssl
    pki = os.path.join(a.work, "pki")
    os.makedirs(pki, exist_ok=True)
    ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    for cmd in (f"openssl req -x509 {ec} -keyout ca.key -out ca.pem "
                "-days 3650 -subj /CN=ca",
                f"openssl req {ec} -keyout node.key -out node.csr "
                "-subj /CN=node",
                "openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key "
                "-CAcreateserial -out node.pem -days 3650"):
        subprocess.run(cmd, shell=True, check=True, cwd=pki,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sched = Scheduler(a, "tls", "--host", "0.0.0.0", "--token-file",
                      token_file, "--dashboard-port", "0",
                      "--tls-cert", os.path.join(pki, "node.pem"),
                      "--tls-key", os.path.join(pki, "node.key"),
                      "--tls-ca", os.path.join(pki, "ca.pem"))
    started.append(sched)
    check(sched.dashboard is not None and
          f"dashboard on https://0.0.0.0:{sched.dashboard}/status" in
          sched.log(), "no https dashboard logged")
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
    ctx.check_hostname = False  # the node certificate names no address

    def get(path, headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", sched.dashboard,
                                           timeout=TIMEOUT, context=ctx)
        try:
            conn.request("GET", path, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    check(get("/health") == (200, b"ok\n"), "https /health")
    check(get("/status")[0] == 401, "https /status without the token")
    code, body = get("/status", BEARER)
    check(code == 200 and json.loads(body)["scheduler"]["address"] ==
          f"tcp://0.0.0.0:{sched.port}", f"https /status with the token: "
          f"{code} {body[:200]!r}")
    line = raw(sched.dashboard, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    check(not line.startswith("HTTP/1.1 200"), f"plain HTTP got {line!r}")
    # TLS 1.2 and 1.3 only, as the cluster port: 1.0 and 1.1 are refused
    # (openssl's client offers them at security level 0).
    for flag, ok in (("-tls1_2", True), ("-tls1_3", True),
                     ("-tls1_1", False), ("-tls1", False)):
        r = subprocess.run(["openssl", "s_client", flag, "-cipher",
                            "DEFAULT@SECLEVEL=0", "-connect",
                            f"127.0.0.1:{sched.dashboard}"],
                           input=b"", capture_output=True, timeout=TIMEOUT)
        shook = r.returncode == 0 and b"Cipher is (NONE)" not in r.stdout
        check(shook == ok, f"openssl s_client {flag}: handshake "
              f"{'made' if shook else 'refused'}")
    sched.stop_cleanly()


def listening_on(port):
    """The IPv4 address a TCP socket listens on at port (/proc/net/tcp),
    or None."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:
                return ".".join(str(int(addr[i:i + 2], 16))
                                for i in (6, 4, 2, 0))
    return None


def exposure_part(a, started, token_file):
    """Off loopback without TLS the token would cross the network in the
    clear: the endpoint listens on 127.0.0.1 only (and says so), unless
    --dashboard-insecure.  Without a token (a loopback scheduler) only
    requests for localhost are served: a page the user opens cannot read
    /status through a name of its own pointed at 127.0.0.1."""
    sched = Scheduler(a, "plain-off-loopback", "--host", "0.0.0.0",
                      "--token-file", token_file, "--dashboard-port", "0")
    started.append(sched)
    check(listening_on(sched.dashboard) == "127.0.0.1" and
          "serving it on 127.0.0.1 only" in sched.log(),
          f"plain HTTP off loopback listens on "
          f"{listening_on(sched.dashboard)}")
    sched.stop_cleanly()
    sched = Scheduler(a, "insecure", "--host", "0.0.0.0", "--token-file",
                      token_file, "--dashboard-port", "0",
                      "--dashboard-insecure")
    started.append(sched)
    check(listening_on(sched.dashboard) == "0.0.0.0",
          "--dashboard-insecure did not serve on --host")
    sched.stop_cleanly()
    sched = Scheduler(a, "no-token", "--dashboard-port", "0")
    started.append(sched)
    port = sched.dashboard
    for host, want in ((f"127.0.0.1:{port}", 200), (f"localhost:{port}", 200),
                       ("LOCALHOST", 200), (f"[::1]:{port}", 200),
                       (f"evil.example:{port}", 421), ("127.0.0.1.evil", 421),
                       ("[::1].evil", 421), ("10.0.0.1", 421)):
        code = request(port, "/status", headers={"Host": host})[0]
        check(code == want, f"/status with Host {host}: {code}, not {want}")
    check(request(port, "/health", headers={"Host": "evil.example"})[0] ==
          200, "/health (no data) refused for another Host")
    sched.stop_cleanly()


def machine_memory():
    """What --memory-limit auto shares out: MemTotal, or the lowest cgroup
    v2 memory.max of this process's cgroup and its ancestors."""
    with open("/proc/meminfo") as f:
        total = next(int(line.split()[1]) * 1024 for line in f
                     if line.startswith("MemTotal:"))
    with open("/proc/self/cgroup") as f:
        v2 = [line[3:].strip() for line in f if line.startswith("0::/")]
    parts = v2[0].strip("/").split("/") if v2 and v2[0] != "/" else []
    for i in range(len(parts), 0, -1):
        try:
            with open(os.path.join("/sys/fs/cgroup", *parts[:i],
                                   "memory.max")) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


def worker_metric(m, name, wid):
    """The sample of a per-worker metric for worker wid: its value and
    labels."""
    hits = [(k, v) for k, v in m.items()
            if k.startswith(f'{name}{{worker="{wid}",host="127.0.0.1",'
                            f'addr="127.0.0.1:')]
    check(len(hits) == 1, f"{name} of worker {wid}: {hits}")
    return hits[0][1]


def heartbeat_figures(a, port, sched, token_file, csv, st_before):
    """After the queries of the flood (two whole scans of csv, and the
    one worker's CPU time then): the figures the worker's heartbeats
    report, in /status and /metrics; then a nanny of two workers with
    --memory-limit auto."""
    header = len("x,g\n")
    scanned = 2 * (os.path.getsize(csv) - header)
    st = wait_for(f"{scanned} bytes scanned reported",
                  lambda s: s["workers"][0]["bytes_scanned"] == scanned and
                  s["scheduler"]["bytes_scanned_total"] == scanned, port)
    check_schema(st, sched)
    w, w0 = st["workers"][0], st_before["workers"][0]
    check(0 < w["rss_bytes"] < w["memory_limit_bytes"] == LIMIT,
          f"RSS {w['rss_bytes']} of the limit {w['memory_limit_bytes']}")
    check(w["cpu_seconds"] > w0["cpu_seconds"],
          f"CPU time {w0['cpu_seconds']} s before the queries, "
          f"{w['cpu_seconds']} after")
    text = metrics(port)
    m = metric_values(text)
    wid = w["id"]
    check(m["dusk_bytes_scanned_total"] == scanned and
          worker_metric(m, "dusk_worker_bytes_scanned_total", wid) ==
          scanned, f"bytes scanned in /metrics: {text}")
    check(0 < worker_metric(m, "dusk_worker_rss_bytes", wid) < LIMIT and
          worker_metric(m, "dusk_worker_memory_limit_bytes", wid) == LIMIT,
          "dusk_worker_rss_bytes / dusk_worker_memory_limit_bytes")
    # The same heartbeat or a later one (/status rounds to ms).
    cpu = worker_metric(m, "dusk_worker_cpu_seconds_total", wid)
    check(cpu >= w["cpu_seconds"] - 0.0005 and cpu > 0,
          f"dusk_worker_cpu_seconds_total {cpu}, /status {w['cpu_seconds']}")
    worker_metric(m, "dusk_worker_tasks_running", wid)
    # Two queries and two tasks waited for (the adds) at least.
    check(m["dusk_graph_latency_seconds_count"] >= 4 and
          m['dusk_graph_latency_seconds_bucket{le="+Inf"}'] ==
          m["dusk_graph_latency_seconds_count"] and
          m["dusk_graph_latency_seconds_sum"] > 0,
          "the graph latency histogram")
    promtool = shutil.which("promtool")
    if promtool is not None:
        r = subprocess.run([promtool, "check", "metrics"], input=text,
                           capture_output=True, text=True, timeout=TIMEOUT)
        check(r.returncode == 0,
              f"promtool check metrics: {r.stdout}{r.stderr}\n{text}")

    # --memory-limit auto under a nanny of two: each gets half of what
    # this machine (or its cgroup) allows.
    nanny = subprocess.Popen(
        [os.path.join(a.bin, "dusk-worker"), sched.address, "--token-file",
         token_file, "--nworkers", "2"], stdin=subprocess.DEVNULL,
        stdout=open(os.path.join(a.work, "nanny.log"), "ab"),
        stderr=subprocess.STDOUT)
    try:
        st = wait_for("the nanny's two workers report",
                      lambda s: len(s["workers"]) == 3 and
                      all(x["rss_bytes"] > 0 for x in s["workers"]), port)
        want = machine_memory() // 2
        limits = [x["memory_limit_bytes"] for x in st["workers"]
                  if x["id"] != wid]
        check(limits == [want, want],
              f"--memory-limit auto of 2 workers: {limits}, not {want}")
    finally:
        nanny.terminate()
        nanny.wait(TIMEOUT)
    wait_for("the nanny's workers leave",
             lambda s: len(s["workers"]) == 1, port)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    sys.path.insert(0, os.path.join(a.bin, "..", "python"))
    import dusk
    import dusk.dataframe as dd

    token_file = os.path.join(a.work, "token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    csv = os.path.join(a.work, "numbers.csv")
    n_rows = 200000
    with open(csv, "w") as f:
        f.write("x,g\n")
        f.writelines(f"{i},{i % 7}\n" for i in range(n_rows))

    started = []
    try:
        sched = Scheduler(a, "scheduler", "--token-file", token_file,
                          "--dashboard-port", "0", "--heartbeat-ms", "50",
                          # garbage libmicrohttpd cannot frame waits for the
                          # idle timeout: keep that short here
                          "--dashboard-timeout", "2",
                          # libmicrohttpd's own reasons (a refusal at the
                          # connection limit) reach the log shown on failure
                          "--log-level", "debug")
        started.append(sched)
        check(sched.dashboard is not None and sched.dashboard > 0,
              "no DASHBOARD line")
        port = sched.dashboard
        check(f"dashboard on http://127.0.0.1:{port}/status" in sched.log(),
              "the dashboard's URL is not logged")
        worker = subprocess.Popen(
            [os.path.join(a.bin, "dusk-worker"), sched.address,
             "--token-file", token_file, "--nworkers", "1",
             "--memory-limit", "3GiB"],
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(a.work, "worker.log"), "ab"),
            stderr=subprocess.STDOUT)
        started.append(worker)

        auth_and_routes(port)
        st = wait_for("the worker registers",
                      lambda s: len(s["workers"]) == 1, port)
        check_schema(st, sched)
        w = st["workers"][0]
        check(w["pid"] > 0 and w["addr"].startswith("127.0.0.1:"),
              f"worker {w}")

        # Work that holds the worker until canceled: /status follows it.
        client = dusk.Client(sched.address, token_file=token_file)
        futures = client.map("sleep_ms", [300, 600000, 600000], pure=False)
        st = wait_for("tasks processing",
                      lambda s: s["scheduler"]["tasks"]["processing"] >= 1
                      and s["workers"][0]["processing"] >= 1
                      and s["workers"][0]["tasks_running"] == 1
                      and s["scheduler"]["clients"] == 1, port)
        check_schema(st, sched)
        m = metric_values(metrics(port))
        check(m.get("dusk_tasks{state=\"processing\"}", 0) >= 1,
              "dusk_tasks{state=processing} while tasks run")
        check(m.get("dusk_clients") == 1 and m.get("dusk_workers") == 1,
              f"dusk_clients / dusk_workers: {m}")
        # The client's graph: its progress bar in /status (the first
        # sleep is short: one of three done).
        st = wait_for("the graph's progress", lambda s: len(s["graphs"]) == 1
                      and s["graphs"][0]["tasks_done"] == 1, port)
        check(st["graphs"][0]["tasks_total"] == 3,
              f"graphs while 2 of 3 tasks of one client run: {st['graphs']}")
        wid = st["workers"][0]["id"]
        check(any(k.startswith(f'dusk_worker_processing{{worker="{wid}"')
                  and v >= 1 for k, v in m.items()),
              "dusk_worker_processing of the busy worker")
        before = st["scheduler"]["tasks_finished_total"]
        for f in futures:
            f.cancel()
        del futures
        wait_for("tasks canceled",
                 lambda s: s["scheduler"]["tasks"]["processing"] == 0
                 and s["workers"][0]["processing"] == 0
                 and s["graphs"] == [], port)
        check(client.submit("add", 3, pure=False).result() == 3,
              "add after the cancel")
        st = wait_for("a finished task counted",
                      lambda s: s["scheduler"]["tasks_finished_total"] >
                      before, port)
        # ... and in the task stream, from the worker that ran it; a
        # cursor past it leaves it out.
        check_schema(st, sched)
        adds = [e for e in st["events"]["tasks"] if e["op"] == "add"]
        check(adds and adds[-1]["worker"] == wid, f"events {st['events']}")
        code, _, body = request(
            port, f"/status?since={adds[-1]['seq'] + 1}", headers=BEARER)
        later = json.loads(body)["events"]["tasks"]
        check(code == 200 and all(e["seq"] > adds[-1]["seq"] for e in later),
              f"?since={adds[-1]['seq'] + 1}: {code} {later}")
        code, _, body = request(port, "/status?since=x1", headers=BEARER)
        check(code == 200 and json.loads(body)["events"]["tasks"],
              f"?since=x1 (malformed: everything): {code}")
        st = wait_for("heartbeat round trips",
                      lambda s: s["scheduler"]["heartbeat_rtt_us"]
                      ["samples"] > 0, port)
        check(st["scheduler"]["uptime_s"] > 0 and
              st["scheduler"]["rss_bytes"] > 0, f"scheduler {st}")

        text = metrics(port)
        m = metric_values(text)
        check(m["dusk_heartbeat_rtt_seconds_count"] > 0 and
              m['dusk_heartbeat_rtt_seconds_bucket{le="+Inf"}'] ==
              m["dusk_heartbeat_rtt_seconds_count"],
              "the round-trip histogram's +Inf bucket is its count")
        check(m["dusk_tasks_finished_total"] > 0, "dusk_tasks_finished_total")
        promtool = shutil.which("promtool")
        if promtool is not None:
            r = subprocess.run([promtool, "check", "metrics"], input=text,
                               capture_output=True, text=True,
                               timeout=TIMEOUT)
            check(r.returncode == 0,
                  f"promtool check metrics: {r.stdout}{r.stderr}\n{text}")

        malformed(port, sched, client)

        # The flood runs while a query of 49 partitions does.
        before = status(port)
        check(before["scheduler"]["bytes_scanned_total"] == 0 and
              before["workers"][0]["bytes_scanned"] == 0,
              f"bytes scanned before any scan: {before}")
        threads, outcomes = flood(port)
        frame = dd.read_csv(csv, blocksize=32768)
        total = frame["x"].sum().compute()
        counts = frame.groupby("g").count().compute()
        for t in threads:
            t.join()
        check(int(total) == n_rows * (n_rows - 1) // 2, f"sum {total}")
        check(sorted(counts["x"].tolist()) ==
              sorted([n_rows // 7 + (1 if g < n_rows % 7 else 0)
                      for g in range(7)]), f"counts {counts}")
        expected = {("/status", True): 200, ("/metrics", True): 200,
                    ("/health", False): 200, ("/status", False): 401,
                    ("/nope", True): 404}
        for (path, auth, got), n in outcomes.items():
            check(expected[(path, auth)] == got,
                  f"flood: {n} x {path} (auth {auth}) gave {got}: "
                  f"{outcomes}")
        check(sum(outcomes.values()) == 2000, f"flood outcomes {outcomes}")
        check(sched.alive() and worker.poll() is None,
              "a process died in the flood")
        # 2 x 49 scans at least (the snapshot is up to 500 ms old).
        wait_for("the queries' tasks counted",
                 lambda s: s["scheduler"]["tasks_finished_total"] >= 98,
                 port)
        heartbeat_figures(a, port, sched, token_file, csv, before)
        # ... and through the Python Client.
        info = client.scheduler_info()["workers"]
        check(len(info) == 1 and info[0]["memory_limit_bytes"] == LIMIT and
              0 < info[0]["rss_bytes"] < LIMIT and
              info[0]["bytes_scanned"] > 0 and info[0]["cpu_percent"] >= 0 and
              info[0]["tasks_running"] in (0, 1),
              f"Client.scheduler_info() workers: {info}")
        client.close()

        # The port is taken: a free one, with a warning.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            busy = taken.getsockname()[1]
            other = Scheduler(a, "fallback", "--dashboard-port", str(busy))
            started.append(other)
            check(other.dashboard not in (None, busy),
                  f"dashboard port {other.dashboard} (taken: {busy})")
            check(f"port {busy} is already in use" in other.log(),
                  "no warning about the taken port")
            # No token (loopback): /status is open.
            code, _, body = request(other.dashboard, "/status")
            check(code == 200 and json.loads(body)["workers"] == [],
                  f"/status without a token configured: {code}")
            other.stop_cleanly()
        tls_part(a, started, token_file)
        exposure_part(a, started, token_file)
        off = Scheduler(a, "off", "--no-dashboard")
        started.append(off)
        check(off.dashboard is None, "--no-dashboard announced a dashboard")
        check("dashboard on" not in off.log(), "--no-dashboard logs one")
        off.stop_cleanly()
        sched.stop_cleanly()
    except Failed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        for p in started:
            if isinstance(p, Scheduler):
                print(f"--- {p.log_path}\n{p.log()[-3000:]}", file=sys.stderr)
        return 1
    finally:
        for p in reversed(started):
            if isinstance(p, Scheduler):
                p.stop()
            elif p.poll() is None:
                p.terminate()
                try:
                    p.wait(TIMEOUT)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    if shutil.which("promtool") is None:
        print("SKIP: promtool is not installed (Debian's prometheus "
              "package): /metrics was not linted; everything else passed")
        return 77
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
