#!/usr/bin/python3
"""dusk-scheduler --autoscale against a fake cloud: hosts are network
namespaces (tests/autoscale/netns_provider.py) that boot after a delay,
one `up` call fails and one host never boots.  The scheduler sits in a
namespace of its own on the same bridge; this test joins it (setns) to
drive the load and sample `stats` every 0.2 s.

What must hold, from the samples and the provider's journal:
  - the minimum is met at start; under load the cluster grows to the
    maximum and never past it, pending hosts included;
  - no duplicate launches while hosts are pending: every launch is
    accounted for by the target, the failed call and the host that never
    booted (stopped after the boot timeout and replaced);
  - an oscillating load (bursts with short idle gaps), once the cluster
    has settled to it, does not flap: it never both starts and stops hosts;
  - when idle, it shrinks back to the minimum, one host at a time only
    after the wait; a host started behind its back is adopted (`list`)
    and, being surplus, stopped;
  - SIGTERM to the scheduler stops every host: no namespace, no worker.
The samples are printed as a table of targets and hosts over time.

Needs root and `ip netns`; otherwise it says so and exits 77.

  autoscale.py --bin BUILD/bin --work DIR"""
import argparse
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

from testprocs import TIMEOUT, Failed, alive, check, ready  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROVIDER = os.path.join(HERE, "..", "autoscale", "netns_provider.py")
SUBNET = "10.79.0"
SCHED_ADDR = f"{SUBNET}.1"
MIN, MAX = 1, 3


def sh(*args):
    subprocess.run(args, check=True, capture_output=True)


CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    """Moves this thread (and the threads it starts later) into the
    network namespace fd (os.setns is Python 3.12's; Debian 12 has 3.11)."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def our_namespaces(tag):
    out = subprocess.run(["ip", "netns", "list"], capture_output=True,
                         text=True).stdout
    return sorted(l.split()[0] for l in out.splitlines()
                  if l.startswith(tag + "-"))


class Sampler(threading.Thread):
    """stats() every 0.2 s on a connection of its own."""

    def __init__(self, client):
        super().__init__(daemon=True)
        self.client, self.rows, self.stop, self.t0 = client, [], False, 0
        self.phase = "start"
        self.lock = threading.Lock()

    def run(self):
        self.t0 = time.monotonic()
        while not self.stop:
            st = self.client._conn.stats()
            a = st.get("autoscale") or {}
            with self.lock:
                self.rows.append(dict(t=time.monotonic() - self.t0,
                                      phase=self.phase,
                                      workers=st["workers"], **a))
            time.sleep(0.2)

    def last(self):
        with self.lock:
            return dict(self.rows[-1]) if self.rows else {}

    def wait(self, cond, what, limit=TIMEOUT):
        """Until a sample taken from now on satisfies cond."""
        deadline = time.monotonic() + limit
        with self.lock:
            n = len(self.rows)
        while time.monotonic() < deadline:
            with self.lock:
                rows = self.rows[n:]
                n = len(self.rows)
            if any(cond(r) for r in rows):
                return
            time.sleep(0.05)
        raise Failed(f"{what}: not within {limit} s; last sample "
                     f"{self.last()}")

    def table(self):
        """The samples where something changed."""
        keys = ("phase", "target", "pending", "running", "closing",
                "workers", "launched", "stopped")
        out = ["   t s  phase        work s  target pending running "
               "closing workers launched stopped"]
        prev = None
        for r in self.rows:
            cur = tuple(r.get(k) for k in keys)
            if cur == prev:
                continue
            prev = cur
            out.append(f"{r['t']:6.1f}  {r['phase']:<11} "
                       f"{r.get('work_ms', 0) / 1000:7.1f} "
                       f"{r.get('target', 0):7d} {r.get('pending', 0):7d} "
                       f"{r.get('running', 0):7d} {r.get('closing', 0):7d} "
                       f"{r['workers']:7d} {r.get('launched', 0):8d} "
                       f"{r.get('stopped', 0):7d}")
        return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0 or shutil.which("ip") is None or subprocess.run(
            ["ip", "netns", "list"], capture_output=True).returncode != 0 \
            or not hasattr(_libc, "setns"):
        print("SKIP: needs root, ip netns and setns(2) (hosts are network "
              "namespaces)")
        return 77
    sys.path.insert(0, os.path.join(a.bin, "..", "python"))
    import dusk

    shutil.rmtree(a.work, ignore_errors=True)
    state = os.path.join(a.work, "provider")
    os.makedirs(state)
    token = os.path.join(a.work, "token")
    with open(os.open(token, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(os.urandom(16).hex())
    tag = f"das{os.getpid() % 100000}"
    switch, sched_ns = f"{tag}-sw", f"{tag}-sched"
    made = []
    root_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
    log = open(os.path.join(a.work, "daemons.log"), "ab")
    sched = None
    journal_path = os.path.join(state, "state.json")
    provider = (f"/usr/bin/python3 {PROVIDER} --state {state} --tag {tag} "
                f"--switch {switch} --subnet {SUBNET} "
                f"--worker {os.path.join(a.bin, 'dusk-worker')} "
                f"--boot-delay 1 --fail-ups 2 --never-boot 3")
    sampler = None
    try:
        # The switch, and the scheduler's host on it.
        for ns in (switch, sched_ns):
            sh("ip", "netns", "add", ns)
            made.append(ns)
        sw = ["ip", "netns", "exec", switch]
        sh(*sw, "ip", "link", "add", "br0", "type", "bridge")
        sh(*sw, "ip", "link", "set", "br0", "up")
        sh("ip", "link", "add", f"{tag}s", "type", "veth", "peer", "name",
           f"{tag}t")
        sh("ip", "link", "set", f"{tag}s", "netns", sched_ns)
        sh("ip", "link", "set", f"{tag}t", "netns", switch)
        sh(*sw, "ip", "link", "set", f"{tag}t", "master", "br0")
        sh(*sw, "ip", "link", "set", f"{tag}t", "up")
        inns = ["ip", "netns", "exec", sched_ns]
        sh(*inns, "ip", "link", "set", "lo", "up")
        sh(*inns, "ip", "addr", "add", f"{SCHED_ADDR}/24", "dev", f"{tag}s")
        sh(*inns, "ip", "link", "set", f"{tag}s", "up")

        r, w = os.pipe()
        sched = subprocess.Popen(inns + [
            os.path.join(a.bin, "dusk-scheduler"), "--host", SCHED_ADDR,
            "--port", "0", "--token-file", token, "--ready-fd", str(w),
            "--autoscale", provider, "--min-workers", str(MIN),
            "--max-workers", str(MAX), "--autoscale-interval", "0.2",
            "--autoscale-target-duration", "1",
            "--autoscale-wait-count", "10", "--autoscale-cooldown", "3",
            "--autoscale-boot-timeout", "4", "--autoscale-list-interval",
            "2", "--worker-timeout-ms", "3000"],
            pass_fds=(w,), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(w)
        port = ready(sched, r, "dusk-scheduler")
        os.close(r)
        address = f"tcp://{SCHED_ADDR}:{port}"

        # Join the scheduler's host: the clients (and their threads) dial
        # it from there.
        with open(f"/run/netns/{sched_ns}") as f:
            setns(f.fileno())
        sampler = Sampler(dusk.Client(address, token_file=token,
                                      set_as_default=False))
        sampler.start()
        client = dusk.Client(address, token_file=token, set_as_default=False)

        # 1. The minimum: one host, up and registered.
        sampler.wait(lambda r: r.get("running") == MIN and r["workers"] >= 1,
                     "the minimum host did not come up")

        # 2. A load that wants more than the maximum: 80 tasks of 150 ms
        # is 12 s of work, 12 slots at 1 s each.  Up call 2 fails and
        # host 3 never boots; the cluster still reaches MAX running.
        # The load is topped up (6 s of work at a time, at most once a
        # second) while the queued work falls below 4 s: under the
        # sanitizers the first 12 s were once cleared by two hosts before
        # the replacement for the one that never boots had come up, and
        # the target fell back to the minimum.
        sampler.phase = "load"
        futures = client.map("sleep_ms", [150] * 80, pure=False)
        topped = [time.monotonic()]

        def grown(r):
            if r.get("running") == MAX:
                return True
            if r.get("work_ms", 0) < 4000 and \
                    time.monotonic() - topped[0] > 1:
                futures.extend(client.map("sleep_ms", [150] * 40,
                                          pure=False))
                topped[0] = time.monotonic()
            return False
        sampler.wait(grown, f"the cluster did not grow to {MAX} running "
                     "hosts")
        client.gather(futures)
        del futures

        # 3. Oscillation: bursts with idle gaps shorter than the wait
        # (10 ticks of 0.2 s): once the cluster has settled to what the
        # bursts need, it does not flap.  Each burst clearly wants the
        # maximum: 45 tasks of the load's 150 ms (so the scheduler's
        # per-task estimate is already right) are 6.75 s of work, over
        # 2 s of it (3 hosts) until the last 14 tasks, about 0.7 s before
        # the burst ends; with the 0.3 s pause the quiet stretch is ~1 s.
        # A burst of 12 short tasks once sat on the 1-or-2 hosts line: the
        # 0.2 s ticks sometimes missed its peak, the scaler stopped two
        # hosts, and the next burst, drained by one host, wanted two -
        # the test measured its own load's ambiguity, not the scaler's
        # wait.  It first settles:
        # the load's surplus host may still be on its way out (under the
        # sanitizers it once was, and its stop fell inside the check), so
        # bursts run until three in a row changed nothing - a scaler that
        # flaps never gets there and fails here.
        sampler.phase = "oscillate"

        def burst():
            fs = client.map("sleep_ms", [150] * 45, pure=False)
            client.gather(fs)
            del fs
            time.sleep(0.3)

        def host_counts():
            return (sampler.last()["launched"], sampler.last()["stopped"])

        quiet, seen = 0, host_counts()
        for _ in range(20):
            if quiet == 3:
                break
            burst()
            now = host_counts()
            quiet = quiet + 1 if now == seen else 0
            seen = now
        check(quiet == 3, "an oscillating load kept starting or stopping "
              f"hosts through 20 bursts: {sampler.last()}")
        before = sampler.last()
        for _ in range(6):
            burst()
        after = sampler.last()
        # No flapping: the cluster may still shrink to what the bursts
        # need (under the sanitizers they keep fewer hosts busy), but it
        # never both starts and stops hosts.
        check(after["launched"] == before["launched"] or
              after["stopped"] == before["stopped"],
              f"an oscillating load started and stopped hosts: {before} -> "
              f"{after}")

        # 4. Idle: back to the minimum.
        sampler.phase = "idle"
        sampler.wait(lambda r: r.get("running") == MIN and
                     r.get("pending") == 0 and r.get("closing") == 0,
                     "the idle cluster did not shrink to the minimum")

        # 5. A host started behind the scheduler's back is adopted by the
        # next `list`, then stopped as surplus.
        sampler.phase = "adopt"
        env = dict(os.environ, DUSK_SCHEDULER_ADDRESS=address,
                   DUSK_TOKEN_FILE=token)
        out = subprocess.run(["/bin/sh", "-c", provider + ' "$@"', "sh",
                              "up", "1"], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        check(len(out) == 1, f"out-of-band up printed {out}")
        sampler.wait(lambda r: r.get("running") == MIN + 1,
                     f"host {out[0]} was not adopted")
        sampler.wait(lambda r: r.get("running") == MIN and
                     r.get("closing") == 0,
                     f"the adopted surplus host {out[0]} was not stopped")
        with open(journal_path) as f:
            st = json.load(f)
        check(out[0] not in st["hosts"], f"{out[0]} still exists: "
              f"{sorted(st['hosts'])}")

        # 6. SIGTERM: every host goes.
        sampler.phase = "stop"
        sampler.stop = True
        sampler.join()
        sched.send_signal(signal.SIGTERM)
        check(sched.wait(TIMEOUT) == 0, f"scheduler exit {sched.returncode}")
        with open(journal_path) as f:
            st = json.load(f)
        check(st["hosts"] == {}, f"hosts left after the scheduler stopped: "
              f"{sorted(st['hosts'])}")
        setns(root_ns)
        left = [n for n in our_namespaces(tag) if n not in made]
        check(left == [], f"host namespaces left: {left}")

        # The samples: never more than MAX hosts wanted or present (pending
        # and closing ones included; one more while the host started
        # behind the scheduler's back is there), and never fewer than MIN
        # (pending and running) once the first arrived.
        arrived = False
        for r in sampler.rows:
            present = r.get("pending", 0) + r.get("running", 0)
            extra = 1 if r["phase"] == "adopt" else 0
            check(r.get("target", 0) <= MAX and
                  present + r.get("closing", 0) <= MAX + extra,
                  f"above the maximum: {r}")
            arrived = arrived or r.get("running", 0) >= MIN
            check(not arrived or present >= MIN, f"below the minimum: {r}")
        # The journal: never more than MAX hosts at once, and every launch
        # accounted for.
        j = st["journal"]
        oob = next(i for i, e in enumerate(j) if e["ids"] == out and
                   e["verb"] == "up")
        most = max(e["hosts"] for e in j[:oob])
        check(most <= MAX, f"{most} hosts existed at once (max {MAX})")
        most = max(e["hosts"] for e in j[oob:])
        check(most <= MAX + 1,  # the out-of-band host before it was stopped
              f"{most} hosts existed at once after the out-of-band one")
        inband = [e for e in j if e["verb"] == "up" and e["ok"]]
        launched = sum(len(e["ids"]) for e in inband) - 1  # the extra one
        # MIN at start, MAX - MIN for the load, one for the host that
        # never booted.  Duplicates while pending would add more.
        check(launched == MAX + 1,
              f"{launched} hosts launched; expected {MAX + 1} "
              f"(journal: {[(e['verb'], e['args'], e['ids']) for e in j if e['verb'] != 'list']})")
        failed = [e for e in j if e["verb"] == "up" and not e["ok"]]
        check(len(failed) == 1, f"the failing up call: {failed}")
        pids = [p for e in inband for p in e.get("pids", []) if p]
        check(len(pids) == launched, f"worker pids in the journal: {pids}")
        running = [p for p in pids if alive(p)]
        check(running == [], f"workers still running: {running}")
        print(sampler.table())
        print(f"autoscale: OK ({launched} launches, 1 failed up, "
              f"1 boot timeout)")
        return 0
    except Failed as e:
        if sampler is not None:
            print(sampler.table())
        print(f"autoscale: FAILED: {e}")
        return 1
    finally:
        if sampler is not None:
            sampler.stop = True
        try:
            setns(root_ns)
        except OSError:
            pass
        if sched is not None and sched.poll() is None:
            sched.send_signal(signal.SIGTERM)
            try:
                sched.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                sched.kill()
                sched.wait()
        # Whatever the provider left (after a failure): its workers by pid,
        # its namespaces by name.
        try:
            with open(journal_path) as f:
                st = json.load(f)
            for h in st["hosts"].values():
                if h.get("pid"):
                    try:
                        os.killpg(h["pid"], signal.SIGKILL)
                    except OSError:
                        pass
        except (OSError, ValueError):
            pass
        for ns in our_namespaces(tag):
            if ns not in made:
                subprocess.run(["ip", "netns", "del", ns],
                               capture_output=True)
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
