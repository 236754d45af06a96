#!/usr/bin/python3
"""`dusk ssh up / status / down` against real sshd, on test hosts that are
network namespaces.

Three namespaces hang off a bridge of the test's own (a free 10.77.N.0/24,
the root side .1), each by a veth pair: hosts .2 and .3, and .4, whose
policy routing refuses TCP to the scheduler's port (a firewall's REJECT).
A bridge rather than a routed veth pair per host, so workers on two hosts
reach each other (results move between them) without turning on IP
forwarding for the whole machine.  Each host runs Debian's /usr/sbin/sshd
-D with a host key, a config of its own and its own home directory (sshd's
SetEnv HOME), so each has its own ~/.dusk as a separate machine would; the
client side uses a key of the test's, a known_hosts file and an ssh config
of its own (StrictHostKeyChecking yes).  The namespaces share the file
system, so one CSV file is on every host.

- `up` refuses a host that does not answer ssh (.9: nothing there), a host
  that cannot reach the scheduler's port (.4), and, with
  --keep-binaries, a host whose ~/.dusk/bin/dusk-worker says another
  version; each is named with its reason, and nothing runs afterwards
  (no dusk process, no state, no binary copied).
- A nanny that exits at once: `up` names the host with the end of its
  log and stops what it had started.
- `up --hosts .2,.3 --scheduler local` prints the table (arch, workers
  registered / per CPU, the nanny's pid, running), the nannies run inside
  their namespaces, the token reached each host with mode 0600 and a
  replaced binary is ours; queries run through the cluster; `status`
  prints the same table and the scheduler's view.
- `down` stops everything and no dusk process is left in any namespace.
- `--scheduler .3 --hosts .2 --port 0`: the scheduler runs in .3's
  namespace, a query runs, `down` stops both.
- Throughout, a sampler reads every process's command line (and
  environment) and the token never appears in one.

Everything it creates - namespaces, bridge, veths, sshd and dusk processes -
is removed in a finally block.  Skipped (exit 77) without root, ip netns,
or openssh-server.

Run by ctest:  ssh.py --bin BUILD/bin --work DIR
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

SKIP = 77
SCALE = int(os.environ.get("DUSK_TEST_TIMEOUT_SCALE", "1"))
TIMEOUT = 60 * SCALE  # one command; longer is a hang
SSHD = "/usr/sbin/sshd"


class Failed(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Failed(why)


def run(*argv, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", TIMEOUT)
    return subprocess.run(list(argv), **kw)


def sh(*argv):
    r = run(*argv)
    if r.returncode != 0:
        raise Failed(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr}")
    return r.stdout


def why_skip():
    """What is missing of root, ip netns, sshd, ssh and perl, or None."""
    if os.geteuid() != 0:
        return "not root"
    if shutil.which("ip") is None or run("ip", "netns", "list").returncode:
        return "no ip netns (iproute2)"
    if not os.access(SSHD, os.X_OK):
        return f"no {SSHD} (apt-get install openssh-server)"
    for tool in ("ssh", "ssh-keygen", "perl"):
        if shutil.which(tool) is None:
            return f"no {tool}"
    return None


# ---- processes -------------------------------------------------------------

def processes():
    """{pid: (argv, state)} of every live process (zombies left out)."""
    out = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{p}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out[int(p)] = ([a.decode(errors="replace") for a in argv if a],
                           state)
    return out


def dusk_processes(work):
    """pid -> argv of every dusk-scheduler and dusk-worker of this test
    (one naming a path under work: its binary, or its token file).  The
    namespaces share the pid namespace, so this sees all hosts; other dusk
    processes of the machine are none of the test's business."""
    return {pid: argv for pid, (argv, _) in processes().items()
            if argv and os.path.basename(argv[0]) in
            ("dusk-scheduler", "dusk-worker") and
            any(work in a for a in argv)}


class TokenWatch(threading.Thread):
    """Reads every process's command line and environment every 20 ms;
    remembers any that holds a token (each one the token file has held:
    every `up` makes a new one)."""

    def __init__(self, token_path):
        super().__init__(daemon=True)
        self.token_path = token_path
        self.tokens = set()
        self.seen = []
        self.scans = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                with open(self.token_path, "rb") as f:
                    t = f.read().strip()
                if t:
                    self.tokens.add(t)
            except OSError:
                pass
            if self.tokens:
                for p in os.listdir("/proc"):
                    if not p.isdigit():
                        continue
                    for what in ("cmdline", "environ"):
                        try:
                            with open(f"/proc/{p}/{what}", "rb") as f:
                                data = f.read()
                        except OSError:
                            continue
                        if any(t in data for t in self.tokens):
                            self.seen.append((p, what, data[:200]))
                self.scans += 1
            self.stop.wait(0.02)


# ---- the test hosts --------------------------------------------------------

class Net:
    """A bridge with a free 10.77.N.0/24 (.1 here) and namespaces on it,
    each with sshd; everything removed by close()."""

    def __init__(self, work):
        self.work = work
        self.tag = str(os.getpid())
        self.bridge = f"dskb{self.tag}"
        self.namespaces = []
        self.links = []
        self.sshd = {}
        self.made_run_sshd = False
        used = sh("ip", "-4", "-o", "addr")
        for n in list(range(os.getpid() % 200, 250)) + list(range(0, 250)):
            if f"10.77.{n}." not in used:
                break
        self.net = f"10.77.{n}"
        self.root_ip = f"{self.net}.1"

    def addr(self, i):
        return f"{self.net}.{i}"

    def setup_bridge(self):
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        self.links.append(self.bridge)
        sh("ip", "addr", "add", f"{self.root_ip}/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")

    def add_host(self, i):
        ns = f"dusk-ssh-{self.tag}-{i}"
        sh("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        outer, inner = f"dsk{self.tag}h{i}", "eth0"
        sh("ip", "link", "add", outer, "type", "veth", "peer", "name",
           f"dsk{self.tag}p{i}")
        self.links.append(outer)
        sh("ip", "link", "set", f"dsk{self.tag}p{i}", "netns", ns, "name",
           inner)
        sh("ip", "link", "set", outer, "master", self.bridge, "up")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add",
           f"{self.addr(i)}/24", "dev", inner)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", inner, "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        return ns

    def start_sshd(self, i, ns, authorized_keys):
        """sshd -D inside ns on ADDR:22 with a host key of its own and
        HOME=<work>/home-I; returns the known_hosts line."""
        d = os.path.join(self.work, f"sshd-{i}")
        os.makedirs(d)
        home = os.path.join(self.work, f"home-{i}")
        os.makedirs(home)
        key = os.path.join(d, "host_key")
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
        cfg = os.path.join(d, "sshd_config")
        with open(cfg, "w") as f:
            f.write(f"""ListenAddress {self.addr(i)}:22
HostKey {key}
PidFile none
AuthorizedKeysFile {authorized_keys}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
SetEnv HOME={home}
LogLevel ERROR
""")
        if not os.path.isdir("/run/sshd"):  # its privilege separation dir
            os.makedirs("/run/sshd", mode=0o755)
            self.made_run_sshd = True
        log = open(os.path.join(d, "sshd.log"), "ab")
        p = subprocess.Popen(["ip", "netns", "exec", ns, SSHD, "-D", "-e",
                              "-f", cfg], stdin=subprocess.DEVNULL,
                             stdout=log, stderr=log)
        log.close()
        self.sshd[i] = p
        # sshd -D announces nothing: connect until it accepts, bounded.
        deadline = time.monotonic() + 10 * SCALE
        while True:
            check(p.poll() is None, f"sshd {self.addr(i)} exited: "
                  f"{open(os.path.join(d, 'sshd.log')).read()}")
            try:
                socket.create_connection((self.addr(i), 22), 1).close()
                break
            except OSError:
                check(time.monotonic() < deadline,
                      f"sshd {self.addr(i)} does not accept connections")
                time.sleep(0.05)
        with open(key + ".pub") as f:
            return f"{self.addr(i)} {f.read().strip()}\n"

    def close(self):
        """Stops sshd, deletes everything; returns the pids it found left
        in a namespace after sshd stopped (there should be none)."""
        left = []
        for i, p in self.sshd.items():
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for ns in self.namespaces:
            # anything left in a namespace (there should be nothing)
            for pid in run("ip", "netns", "pids", ns).stdout.split():
                left.append(pid)
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            run("ip", "netns", "del", ns)
        for link in reversed(self.links):
            run("ip", "link", "del", link)
        if self.made_run_sshd:
            shutil.rmtree("/run/sshd", ignore_errors=True)
        return left


# ---- the cases ---------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    reason = why_skip()
    if reason:
        print(f"SKIP: needs root and ip netns / sshd: {reason}")
        return SKIP
    bin_dir = os.path.abspath(args.bin)
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    before = set(dusk_processes(work))
    net = Net(work)
    failed = 0
    watch = None
    try:
        net.setup_bridge()
        client_key = os.path.join(work, "client_key")
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", client_key)
        authorized = os.path.join(work, "authorized_keys")
        shutil.copy(client_key + ".pub", authorized)
        known = ""
        nss = {}
        for i in (2, 3, 4):
            nss[i] = net.add_host(i)
            known += net.start_sshd(i, nss[i], authorized)
        known_hosts = os.path.join(work, "known_hosts")
        with open(known_hosts, "w") as f:
            f.write(known)
        ssh_config = os.path.join(work, "ssh_config")
        with open(ssh_config, "w") as f:
            f.write(f"Host *\n  UserKnownHostsFile {known_hosts}\n"
                    "  GlobalKnownHostsFile /dev/null\n"
                    "  StrictHostKeyChecking yes\n  IdentitiesOnly yes\n")
        # The scheduler's port: free here, below the ephemeral range (so no
        # ssh connection's own port is ever it).
        port = None
        for cand in range(20000 + os.getpid() % 9000, 32000):
            with socket.socket() as s:
                try:
                    s.bind(("0.0.0.0", cand))
                    port = cand
                    break
                except OSError:
                    continue
        # host .4 refuses TCP to the scheduler's port, as a firewall would
        sh("ip", "netns", "exec", nss[4], "ip", "rule", "add", "ipproto",
           "tcp", "dport", str(port), "unreachable")
        local_home = os.path.join(work, "home-local")
        os.makedirs(local_home)
        env = dict(os.environ, HOME=local_home)
        a, b, c, nobody = (net.addr(i) for i in (2, 3, 4, 9))
        cluster_dir = os.path.join(local_home, ".dusk", "clusters", "t")
        token_path = os.path.join(cluster_dir, "token")
        watch = TokenWatch(token_path)
        watch.start()
        csv = os.path.join(work, "x.csv")
        with open(csv, "w") as f:
            f.write("k,v\n" + "".join(f"{i % 7},{i}\n" for i in range(2000)))

        def dusk_ssh(*argv):
            return run(os.path.join(bin_dir, "dusk"), "ssh", *argv, env=env,
                       timeout=TIMEOUT * 2)

        ssh_opts = ["-i", client_key, "-u", "root", "-F", ssh_config,
                    "--connect-timeout", "5"]
        up_opts = ["--scheduler", "local", "--port", str(port),
                   "--cluster", "t", "--death-timeout", "30", *ssh_opts]

        def nothing_runs(what):
            left = {p: v for p, v in dusk_processes(work).items()
                    if p not in before}
            check(not left, f"{what}: dusk processes left: {left}")
            check(not os.path.exists(os.path.join(cluster_dir, "state")),
                  f"{what}: a state file was left")

        def refused(hosts, says, extra=()):
            r = dusk_ssh("up", "--hosts", hosts, *up_opts, *extra)
            check(r.returncode == 1, f"up --hosts {hosts}: exit "
                  f"{r.returncode}: {r.stdout} {r.stderr}")
            for s in says:
                check(s in r.stderr, f"up --hosts {hosts}: {s!r} not in "
                      f"{r.stderr!r}")
            nothing_runs(f"up --hosts {hosts}")
            print(r.stderr, end="")
            return r.stderr

        def case_unreachable():
            err = refused(f"{a},{nobody}", [f"{nobody}: ssh:"])
            check(f"{a}:" not in err, f"{a} named: {err!r}")
            check(not os.path.exists(os.path.join(work, "home-2", ".dusk",
                                                  "bin")),
                  "binaries copied although a host failed its check")

        def case_no_port():
            err = refused(f"{a},{c}", [f"{c}: does not reach the "
                                       f"scheduler's port",
                                       f"{net.root_ip}:{port}"])
            check(f"{a}:" not in err, f"{a} named: {err!r}")

        fake = os.path.join(work, "home-3", ".dusk", "bin", "dusk-worker")

        def case_keep_binaries():
            os.makedirs(os.path.dirname(fake))
            with open(fake, "w") as f:
                f.write("#!/bin/sh\necho 'dusk-worker 0.0.1 (protocol 1)'\n")
            os.chmod(fake, 0o755)
            refused(f"{a},{b}", [f"{b}: its ~/.dusk/bin/dusk-worker says "
                                 "'dusk-worker 0.0.1 (protocol 1)'",
                                 "--keep-binaries"],
                    extra=["--keep-binaries"])

        def case_worker_cannot_start():
            """A nanny that exits at once (a stand-in with our version,
            kept by --keep-binaries): up names the host with the end of its
            log, stops what it started - the scheduler and the other
            host's workers - and leaves nothing behind."""
            version = sh(os.path.join(bin_dir, "dusk-worker"), "--version")
            with open(fake, "w") as f:
                f.write(f"#!/bin/sh\nif [ \"$1\" = --version ]; then "
                        f"echo '{version.strip()}'; exit 0; fi\n"
                        "echo 'stand-in worker: cannot start' >&2\n"
                        "exit 1\n")
            refused(f"{a},{b}", [f"{b}: the workers exited",
                                 "stand-in worker: cannot start",
                                 "stopping what was started",
                                 f"{a}: stopped {ncpu + 1} worker processes",
                                 "scheduler (local): stopped"],
                    extra=["--keep-binaries"])
            check(not os.path.exists(token_path), "the token was kept")

        ncpu = os.sysconf("SC_NPROCESSORS_ONLN")
        arch = os.uname().machine
        state = {}

        def table(out):
            rows = {}
            for line in out.splitlines():
                f = line.split(None, 4)
                if len(f) == 5 and f[0] in (a, b):
                    rows[f[0]] = f
            check(set(rows) == {a, b}, f"no row for each host in {out!r}")
            for h, f in rows.items():
                check(f[1] == arch and f[2] == f"{ncpu}/{ncpu}" and
                      f[3].isdigit() and f[4] == "running",
                      f"the row of {h}: {f}")
            return rows

        def case_up():
            t0 = time.monotonic()
            r = dusk_ssh("up", "--hosts", f"{a},{b}", *up_opts)
            check(r.returncode == 0, f"up: exit {r.returncode}: {r.stdout} "
                  f"{r.stderr}")
            print(r.stdout, end="")
            print(f"(up took {time.monotonic() - t0:.1f} s)")
            rows = table(r.stdout)
            check(re.search(r"(?m)^HOST +ARCH +WORKERS +PID +STATUS$",
                            r.stdout), f"no header in {r.stdout!r}")
            for h, i in ((a, 2), (b, 3)):
                pid = rows[h][3]
                inside = run("ip", "netns", "pids", nss[i]).stdout.split()
                check(pid in inside, f"{h}'s nanny {pid} is not in its "
                      f"namespace ({inside})")
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                check(argv[0].decode() == os.path.join(
                    work, f"home-{i}", ".dusk", "bin", "dusk-worker"),
                    f"{h}'s nanny runs {argv[0]}")
                tok = os.path.join(work, f"home-{i}", ".dusk", "run", "t", h,
                                   "token")
                check(os.stat(tok).st_mode & 0o777 == 0o600,
                      f"{tok}: mode {oct(os.stat(tok).st_mode)}")
                with open(tok) as f1, open(token_path) as f2:
                    check(f1.read() == f2.read(), f"{tok} differs")
                state[h] = pid
            with open(fake, "rb") as f1, \
                    open(os.path.join(bin_dir, "dusk-worker"), "rb") as f2:
                check(f1.read() == f2.read(), "the other dusk-worker on "
                      f"{b} was not replaced")
            check(os.stat(token_path).st_mode & 0o777 == 0o600,
                  "the local token is not 0600")

        def case_query():
            r = run(os.path.join(bin_dir, "dusk"), "query", "--scheduler",
                    f"tcp://127.0.0.1:{port}", "--token-file", token_path,
                    "--format", "csv", "--blocksize", "2KB",
                    f'read_csv("{csv}").groupby("k")["v"].count()')
            check(r.returncode == 0, f"query: {r.stderr}")
            lines = r.stdout.strip().splitlines()
            got = {ln.split(",")[0]: ln.split(",")[1] for ln in lines[1:]}
            want = {str(k): str(len(range(k, 2000, 7))) for k in range(7)}
            check(got == want, f"query: {r.stdout!r}")
            r = run(os.path.join(bin_dir, "dusk"), "query", "--scheduler",
                    f"tcp://127.0.0.1:{port}", "--token-file", token_path,
                    "--format", "csv", f'len(read_csv("{csv}"))')
            check(r.returncode == 0 and r.stdout == ",len\n0,2000\n",
                  f"len: {r.stdout!r} {r.stderr!r}")

        def case_status():
            r = dusk_ssh("status", "--cluster", "t")
            check(r.returncode == 0, f"status: exit {r.returncode}: "
                  f"{r.stdout} {r.stderr}")
            print(r.stdout, end="")
            rows = table(r.stdout)
            for h in (a, b):
                check(rows[h][3] == state[h], f"status: {h}'s pid "
                      f"{rows[h][3]}, up said {state[h]}")
            check(f"the scheduler's view: {2 * ncpu} workers registered"
                  in r.stdout, f"status: no scheduler's view: {r.stdout!r}")

        def case_down():
            r = dusk_ssh("down", "--cluster", "t")
            check(r.returncode == 0, f"down: exit {r.returncode}: "
                  f"{r.stdout} {r.stderr}")
            print(r.stdout, end="")
            for h in (a, b):
                check(f"{h}: stopped {ncpu + 1} worker processes" in
                      r.stdout, f"down: {h} not stopped: {r.stdout!r}")
            check("scheduler (local): stopped" in r.stdout, r.stdout)
            nothing_runs("down")
            for i in (2, 3, 4):
                inside = set(run("ip", "netns", "pids", nss[i]).stdout.split())
                check(inside == {str(net.sshd[i].pid)},
                      f"namespace {i}: processes {inside} besides sshd "
                      f"{net.sshd[i].pid}")
            check(not os.path.exists(token_path), "the token was kept")
            r = dusk_ssh("status", "--cluster", "t")
            check(r.returncode == 1 and "no cluster 't'" in r.stderr,
                  f"status after down: {r.returncode} {r.stderr!r}")

        def case_remote_scheduler():
            """--scheduler HOST: dusk-scheduler copied there and started
            in its namespace; a query through it; down stops both."""
            r = dusk_ssh("up", "--hosts", a, "--scheduler", b, "--port", "0",
                         "--nworkers", "1", "--cluster", "t", *ssh_opts)
            check(r.returncode == 0, f"up: exit {r.returncode}: {r.stdout} "
                  f"{r.stderr}")
            print(r.stdout, end="")
            m = re.search(r"scheduler: on (\S+), pid (\d+), running; clients "
                          r"use (tcp://\S+) ", r.stdout)
            check(m and m.group(1) == b, f"no scheduler line: {r.stdout!r}")
            inside = run("ip", "netns", "pids", nss[3]).stdout.split()
            check(m.group(2) in inside, f"the scheduler {m.group(2)} is not "
                  f"in {b}'s namespace")
            r = run(os.path.join(bin_dir, "dusk"), "query", "--scheduler",
                    m.group(3), "--token-file", token_path, "--format", "csv",
                    f'len(read_csv("{csv}"))')
            check(r.returncode == 0 and r.stdout == ",len\n0,2000\n",
                  f"len: {r.stdout!r} {r.stderr!r}")
            r = dusk_ssh("down", "--cluster", "t")
            check(r.returncode == 0 and f"scheduler ({b}): stopped" in
                  r.stdout, f"down: {r.returncode} {r.stdout} {r.stderr}")
            nothing_runs("down")

        cases = [("refuses_unreachable_host", case_unreachable),
                 ("refuses_host_without_the_port", case_no_port),
                 ("keep_binaries_refuses_another_version",
                  case_keep_binaries),
                 ("worker_cannot_start", case_worker_cannot_start),
                 ("up", case_up), ("query", case_query),
                 ("status", case_status), ("down", case_down),
                 ("remote_scheduler", case_remote_scheduler)]
        passed = set()
        for name, fn in cases:
            if name in ("query", "status", "down") and "up" not in passed:
                failed += 1
                print(f"FAIL {name}: not run, as up failed", flush=True)
                continue
            try:
                fn()
                passed.add(name)
                print(f"ok {name}", flush=True)
            except (Failed, subprocess.TimeoutExpired) as e:
                failed += 1
                print(f"FAIL {name}: {e}", flush=True)
            except Exception as e:  # a broken case is a failure, not a crash
                failed += 1
                print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        watch.stop.set()
        watch.join()
        if watch.seen or watch.scans == 0:
            failed += 1
            print(f"FAIL token_never_on_a_command_line: {watch.scans} scans, "
                  f"seen in {watch.seen[:3]}")
        else:
            print(f"ok token_never_on_a_command_line ({watch.scans} scans "
                  "of every process)")
    finally:
        if watch is not None:
            watch.stop.set()
        # whatever the cases left: dusk processes started here, by pid
        for pid in dusk_processes(work):
            if pid not in before:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        ns_pids = net.close()
    if ns_pids:
        failed += 1
        print(f"FAIL nothing_left_in_the_namespaces: {ns_pids}")
    left = {p: v for p, v in dusk_processes(work).items() if p not in before}
    if left:
        failed += 1
        print(f"FAIL nothing_left: {left}")
    ns_left = [ns for ns in net.namespaces
               if ns in run("ip", "netns", "list").stdout]
    links = run("ip", "-o", "link").stdout
    if ns_left or f"dsk{net.tag}" in links or net.bridge in links:
        failed += 1
        print(f"FAIL cleanup: namespaces {ns_left}, links left")
    print(f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
