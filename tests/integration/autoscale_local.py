#!/usr/bin/python3
"""deploy/local/dusk-local-provider under dusk-scheduler --autoscale: the
provider's own refusals; then a scheduler with 0..2 local hosts grows to
two under a load, gives each task's result back, shrinks to none when
idle, and, stopped, leaves no worker behind (pids from the provider's
pid files, checked in /proc).  Then a provider that misbehaves: a `list`
that hangs (killed at --autoscale-timeout with the process it started),
an `up` that prints a line that is no host id and fails part way (the
host it did print is kept, then stopped when it never boots).  Runs
anywhere: no root, no namespaces.

  autoscale_local.py --bin BUILD/bin --work DIR"""
import argparse
import glob
import os
import signal
import subprocess
import sys
import time

from testprocs import TIMEOUT, Failed, alive, check, ready  # noqa: E402


BAD_PROVIDER = r"""
state=$1; shift
echo "$*" >> "$state/calls"
case $1 in
  list)
    if [ ! -e "$state/listed" ]; then
      touch "$state/listed"
      sleep 300 &           # a child holding stdout: killed with the group
      echo $! > "$state/hung.pid"
      wait
    fi ;;
  up) echo 'bad id!'; echo ok-1; echo 'it broke' >&2; exit 3 ;;
  down) echo "$*" >> "$state/downs" ;;
esac
"""


# An `up` that starts a host (a line in $state/hosts) and then hangs
# before naming it; `list` and `down` work.  With --max-workers 1 the
# scheduler must find the host with `list` rather than start another, and
# stop it when it stops.
SILENT_UP_PROVIDER = r"""
state=$1; shift
case $1 in
  up) n=$(( $(cat "$state/n" 2>/dev/null || echo 0) + 1 )); echo $n > "$state/n"
      echo "silent-$n" >> "$state/hosts"; exec sleep 300 ;;
  list) cat "$state/hosts" 2>/dev/null || true ;;
  down) shift; for id in "$@"; do
          grep -vx -- "$id" "$state/hosts" > "$state/h.tmp" || true
          mv "$state/h.tmp" "$state/hosts"; done ;;
esac
"""


def scheduler_with(a, name, provider_text, boot_timeout, cmd_timeout="1"):
    """A scheduler (1..1 hosts, ticks of 0.1 s, commands killed after
    cmd_timeout s) whose provider is `sh` running provider_text with its
    state folder as first argument; returns it (READY said), the folder and
    its log."""
    state = os.path.join(a.work, name)
    subprocess.run(["rm", "-rf", state], check=True)
    os.makedirs(state)
    script = os.path.join(state, "provider.sh")
    with open(script, "w") as f:
        f.write(provider_text)
    logpath = os.path.join(state, "scheduler.log")
    r, w = os.pipe()
    sched = subprocess.Popen([
        os.path.join(a.bin, "dusk-scheduler"), "--port", "0", "--ready-fd",
        str(w), "--autoscale", f"sh {script} {state}", "--min-workers", "1",
        "--max-workers", "1", "--autoscale-interval", "0.1",
        "--autoscale-timeout", cmd_timeout, "--autoscale-boot-timeout",
        boot_timeout], pass_fds=(w,), stdin=subprocess.DEVNULL,
        stdout=open(logpath, "ab"), stderr=subprocess.STDOUT)
    os.close(w)
    try:
        ready(sched, r, f"the scheduler with the {name} provider")
    except Failed:
        sched.kill()
        sched.wait()
        raise
    finally:
        os.close(r)
    return sched, state, logpath


def silent_up_provider(a):
    sched, state, _ = scheduler_with(a, "silent", SILENT_UP_PROVIDER, "600")
    try:
        # The hung up is killed at 1 s, the list after it adopts silent-1;
        # give it time to (wrongly) start more.
        time.sleep(4)
        with open(os.path.join(state, "n")) as f:
            ups = int(f.read())
        check(ups == 1, f"{ups} hosts started with --max-workers 1")
        sched.send_signal(signal.SIGTERM)
        check(sched.wait(TIMEOUT) == 0, f"scheduler exit {sched.returncode}")
        with open(os.path.join(state, "hosts")) as f:
            left = f.read().split()
        check(left == [], f"hosts left after the scheduler stopped: {left}")
    finally:
        if sched.poll() is None:
            sched.kill()
            sched.wait()


# An `up` that starts a host and hangs (its pid in $state/up.pid); a
# `down` that fails until $state/fixed exists, logging each call's time.
HANGING_UP_FAILING_DOWN_PROVIDER = r"""
state=$1; shift
case $1 in
  up) echo "slow-1" >> "$state/hosts"; echo $$ > "$state/up.pid"
      exec sleep 300 ;;
  list) cat "$state/hosts" 2>/dev/null || true ;;
  down) date +%s.%N >> "$state/downs"
        if [ ! -e "$state/fixed" ]; then echo 'quota exceeded' >&2; exit 1; fi
        shift; for id in "$@"; do
          grep -vx -- "$id" "$state/hosts" > "$state/h.tmp" || true
          mv "$state/h.tmp" "$state/hosts"; done ;;
esac
"""


def wait_for(path, what, lines=1):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                got = f.read().split()
            if len(got) >= lines:
                return got
        time.sleep(0.05)
    raise Failed(what)


def stop_during_up(a):
    """SIGTERM while an `up` runs: the scheduler kills it (and what it
    started), lists, stops the host the up started but never named, and
    exits well within its 30 s per stopping step."""
    sched, state, logpath = scheduler_with(
        a, "stop-during-up", HANGING_UP_FAILING_DOWN_PROVIDER, "600", "120")
    try:
        wait_for(os.path.join(state, "up.pid"), "up did not start")
        with open(os.path.join(state, "up.pid")) as f:
            up_pid = int(f.read())
        check(alive(up_pid), "the up is not running")
        open(os.path.join(state, "fixed"), "w").close()
        t0 = time.monotonic()
        sched.send_signal(signal.SIGTERM)
        check(sched.wait(TIMEOUT) == 0, f"scheduler exit {sched.returncode}")
        took = time.monotonic() - t0
        check(not alive(up_pid), "the running up was not killed")
        with open(os.path.join(state, "hosts")) as f:
            left = f.read().split()
        check(left == [], f"the hung up's host was not stopped: {left}")
        with open(logpath) as f:
            log = f.read()
        check("scheduler stopping: `up` killed" in log,
              "the log does not say the up was killed")
        print(f"autoscale_local: stopped during an up in {took:.2f} s")
    finally:
        if sched.poll() is None:
            sched.kill()
            sched.wait()


def failing_down(a):
    """A `down` that keeps failing: retried with a growing backoff, the
    closing host still counts against --max-workers 1 (no second up), and
    on SIGTERM the last failed down is logged with the hosts that may
    still run."""
    # Commands may run 4 s: a loaded sanitizer pass once took over 0.5 s
    # to run the final `down`, which then timed out instead of failing.
    # The hanging `up` is killed at that limit, then `list` adopts slow-1.
    sched, state, logpath = scheduler_with(
        a, "failing-down", HANGING_UP_FAILING_DOWN_PROVIDER, "0.5", "4")
    try:
        # Retries wait 0.1, 0.2, 0.4, 0.8, 1.6 s (the 0.1 s tick,
        # doubled): by the sixth down the last wait is past any delay a
        # loaded machine adds to the first (0.52 s for a 0.1 s backoff was
        # seen under the sanitizers, when four downs were compared).
        downs = wait_for(os.path.join(state, "downs"),
                         "down was not retried 6 times", lines=6)
        times = [float(t) for t in downs]
        gaps = [b - a for a, b in zip(times, times[1:])]
        check(gaps[-1] >= 1.6 and gaps[-1] > gaps[0],
              f"no backoff between downs: {gaps}")
        with open(os.path.join(state, "hosts")) as f:
            hosts = f.read().split()
        check(hosts == ["slow-1"], f"a second host started: {hosts}")
        sched.send_signal(signal.SIGTERM)
        check(sched.wait(TIMEOUT) == 0, f"scheduler exit {sched.returncode}")
        with open(logpath) as f:
            log = f.read()
        for says in ("`down` of 1 hosts failed (exit status 1): quota "
                     "exceeded; next try in",
                     "the last `down` failed (exit status 1): quota "
                     "exceeded; these hosts may still run: slow-1"):
            check(says in log, f"the log does not say {says!r}")
    finally:
        if sched.poll() is None:
            sched.kill()
            sched.wait()


def misbehaving_provider(a):
    sched, state, logpath = scheduler_with(a, "bad", BAD_PROVIDER, "1")
    try:
        deadline = time.monotonic() + TIMEOUT
        downs = os.path.join(state, "downs")
        while not os.path.exists(downs) and time.monotonic() < deadline:
            time.sleep(0.1)
        check(os.path.exists(downs), "the host that never booted was not "
              "stopped")
        with open(downs) as f:
            check(f.read().split()[:2] == ["down", "ok-1"],
                  "down was not for ok-1")
        with open(os.path.join(state, "hung.pid")) as f:
            hung = int(f.read())
        check(not alive(hung), "the hung list's child still runs")
        sched.send_signal(signal.SIGTERM)
        check(sched.wait(TIMEOUT) == 0, f"scheduler exit {sched.returncode}")
        with open(logpath) as f:
            log = f.read()
        for says in ("`list` failed (timed out after 1000 ms)",
                     "`up` printed line 1, which is no host id",
                     "`up 1` failed (exit status 3; 1 hosts started): it "
                     "broke",
                     "host ok-1 did not arrive in time: stopping it"):
            check(says in log, f"the log does not say {says!r}")
    finally:
        if sched.poll() is None:
            sched.kill()
            sched.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(a.bin, "..", "python"))
    import dusk

    provider = os.path.join(a.bin, "dusk-local-provider")
    state = os.path.join(a.work, "state")
    os.makedirs(a.work, exist_ok=True)
    subprocess.run(["rm", "-rf", state], check=True)

    def run(*args, env=None):
        return subprocess.run([provider, "--state", state, *args],
                              capture_output=True, text=True, env=env,
                              timeout=TIMEOUT)

    # Refusals, each naming what is wrong, before anything starts.
    for args, says in ((["up", "0"], "'0' is not a count"),
                       (["up", "x"], "'x' is not a count"),
                       (["up", "1", "2"], "is not a count"),
                       (["up", "1"], "DUSK_SCHEDULER_ADDRESS is not set"),
                       (["down", "a;b"], "'a;b' is not a host id"),
                       (["list", "x"], "list takes no arguments"),
                       (["scale"], "unknown command 'scale'"),
                       (["--nworkers", "0", "list"], "--nworkers")):
        env = {k: v for k, v in os.environ.items()
               if k != "DUSK_SCHEDULER_ADDRESS"}
        r = run(*args, env=env)
        check(r.returncode != 0 and says in r.stderr,
              f"provider {args}: exit {r.returncode}, stderr {r.stderr!r}")
        check(r.stdout == "", f"provider {args} printed {r.stdout!r}")
    check(run("list").stdout == "", "an empty state lists hosts")

    log = open(os.path.join(a.work, "scheduler.log"), "ab")
    r, w = os.pipe()
    sched = subprocess.Popen([
        os.path.join(a.bin, "dusk-scheduler"), "--port", "0", "--ready-fd",
        str(w), "--autoscale", f"{provider} --state {state}",
        "--min-workers", "0", "--max-workers", "2", "--autoscale-interval",
        "0.2", "--autoscale-target-duration", "0.5", "--autoscale-cooldown",
        "1", "--autoscale-wait-count", "3"], pass_fds=(w,),
        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    os.close(w)
    pids = set()
    try:
        port = ready(sched, r, "the autoscaling scheduler")
        os.close(r)
        address = f"tcp://127.0.0.1:{port}"
        client = dusk.Client(address, set_as_default=False)

        def stats():
            return client._conn.stats()

        def wait(cond, what):
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                st = stats()
                for f in glob.glob(os.path.join(state, "*.pid")):
                    with open(f) as fh:
                        pid = fh.read().strip()
                    if pid:  # (empty while the provider writes it: next poll)
                        pids.add(int(pid))
                if cond(st):
                    return st
                time.sleep(0.1)
            raise Failed(f"{what}; last stats {stats()}")

        st = stats()
        check(st["autoscale"]["target"] == 0 and st["workers"] == 0,
              f"idle at start with min 0: {st}")
        # 40 tasks of 100 ms: 4 s of work, 8 slots: the maximum, 2.
        futures = client.map("sleep_ms", list(range(100, 140)), pure=False)
        wait(lambda s: s["autoscale"]["running"] == 2,
             "did not grow to 2 hosts")
        got = client.gather(futures)
        check(got == [0] * 40, f"results {got}")  # sleep_ms sums its inputs
        workers = client._conn.workers()
        ids = sorted(w["host_id"] for w in workers)
        check(all(i.startswith("local-") for i in ids),
              f"workers' host ids {ids}")
        # While the client holds results, a host stays to keep them; once
        # they are released, none.
        time.sleep(2.0)
        st = stats()
        check(st["autoscale"]["running"] >= 1,
              f"the last host went while its results were wanted: {st}")
        del futures, got
        client._flush_releases()
        wait(lambda s: s["autoscale"]["running"] == 0 and
             s["autoscale"]["pending"] == 0 and
             s["autoscale"]["closing"] == 0 and s["workers"] == 0,
             "did not shrink to 0 hosts")
        check(run("list").stdout == "", "the provider still lists hosts")
        # Work again, then stop the scheduler while a host runs.
        futures = client.map("sleep_ms", [50] * 4, pure=False)
        wait(lambda s: s["autoscale"]["running"] >= 1, "no host for new work")
        client.gather(futures)
        del futures
        client.close()
        sched.send_signal(signal.SIGTERM)
        check(sched.wait(TIMEOUT) == 0, f"scheduler exit {sched.returncode}")
        check(len(pids) >= 3, f"saw only workers {pids}")
        left = [p for p in pids if alive(p)]
        check(left == [], f"workers left running: {left}")
        check(glob.glob(os.path.join(state, "*.pid")) == [],
              "pid files left")
        misbehaving_provider(a)
        silent_up_provider(a)
        stop_during_up(a)
        failing_down(a)
        print(f"autoscale_local: OK ({len(pids)} hosts started and stopped; "
              "a misbehaving provider handled)")
        return 0
    except Failed as e:
        print(f"autoscale_local: FAILED: {e}")
        return 1
    finally:
        if sched.poll() is None:
            sched.kill()
            sched.wait()
        for p in pids:
            if alive(p):
                os.kill(p, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
