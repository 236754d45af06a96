#!/usr/bin/python3
"""A fake cloud for dusk-scheduler --autoscale: each "host" is a network
namespace of its own on the test's bridge, whose dusk-worker starts after
a boot delay - or never, or whose `up` fails, when the test says so.

The scheduler runs it as the provider (deploy/README.md, "Autoscaling"):
    netns_provider.py --state DIR [options] up K | down ID... | list
with DUSK_SCHEDULER_ADDRESS and DUSK_TOKEN_FILE in the environment.

State (hosts, counters and a journal of every call, for the test's
assertions) is DIR/state.json, changed under a lock (DIR/lock), so the
test may call it too.  A host's worker runs in a session of its own (the
scheduler kills a timed-out command's group; a host outlives it); `down`
stops it by its pid (SIGTERM, then SIGKILL after --stop-wait) and deletes
the namespace, which takes the host's link with it."""
import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import time

# alive(pid): the integration scripts' helper
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from testprocs import alive  # noqa: E402


def sh(*args):
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"hosts": {}, "next": 1, "ups": 0, "journal": []}


def save(path, st):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f, indent=1)
    os.replace(tmp, path)


def journal(st, verb, args, ids, ok, pids=()):
    st["journal"].append({"t": time.time(), "verb": verb, "args": args,
                          "ids": ids, "ok": ok, "hosts": len(st["hosts"]),
                          "pids": list(pids)})


def up(a, st, k):
    st["ups"] += 1
    if st["ups"] in a.fail_ups:
        journal(st, "up", [k], [], False)
        print("fake cloud: InsufficientInstanceCapacity (the test asked "
              f"up call {st['ups']} to fail)", file=sys.stderr)
        return 1
    address = os.environ["DUSK_SCHEDULER_ADDRESS"]
    token = os.environ.get("DUSK_TOKEN_FILE")
    ids = []
    for _ in range(k):
        n = st["next"]
        st["next"] += 1
        if n > 200:
            print("fake cloud: out of addresses", file=sys.stderr)
            break
        hid, ns, addr = f"fake-{n}", f"{a.tag}-h{n}", f"{a.subnet}.{9 + n}"
        veth, peer = f"{a.tag}v{n}", f"{a.tag}p{n}"
        sh("ip", "netns", "add", ns)
        # Recorded at once: a host half made is still ours to delete.
        st["hosts"][hid] = {"ns": ns, "pid": None, "addr": addr}
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", peer)
        sh("ip", "link", "set", veth, "netns", ns)
        sh("ip", "link", "set", peer, "netns", a.switch)
        sw = ["ip", "netns", "exec", a.switch]
        sh(*sw, "ip", "link", "set", peer, "master", "br0")
        sh(*sw, "ip", "link", "set", peer, "up")
        inns = ["ip", "netns", "exec", ns]
        sh(*inns, "ip", "link", "set", "lo", "up")
        sh(*inns, "ip", "addr", "add", f"{addr}/24", "dev", veth)
        sh(*inns, "ip", "link", "set", veth, "up")
        pid = None
        if n not in a.never_boot:
            cmd = ["sh", "-c", 'sleep "$0"; exec "$@"', str(a.boot_delay),
                   *inns, a.worker, address, "--host-id", hid, "--host",
                   addr, "--death-timeout", "30", "--log-level", "warn"]
            if token:
                cmd += ["--token-file", token]
            log = open(os.path.join(a.state, f"{hid}.log"), "ab")
            pid = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=log, start_new_session=True).pid
        st["hosts"][hid]["pid"] = pid
        ids.append(hid)
        print(hid, flush=True)
    journal(st, "up", [k], ids, True,
            [st["hosts"][i]["pid"] for i in ids])
    return 0


def down(a, st, ids):
    gone = []
    for hid in ids:
        h = st["hosts"].get(hid)
        if h is None:
            continue  # already gone: no error, as the contract says
        pid = h["pid"]
        if pid is not None and alive(pid):
            os.killpg(pid, signal.SIGTERM)  # the worker leaves gracefully
            deadline = time.monotonic() + a.stop_wait
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if alive(pid):
                os.killpg(pid, signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", h["ns"]], capture_output=True)
        del st["hosts"][hid]
        gone.append(hid)
    journal(st, "down", ids, gone, True)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--tag", required=True)
    ap.add_argument("--switch", required=True)
    ap.add_argument("--subnet", required=True, help="e.g. 10.79.0")
    ap.add_argument("--worker", required=True)
    ap.add_argument("--boot-delay", type=float, default=1.0)
    ap.add_argument("--stop-wait", type=float, default=10.0)
    ap.add_argument("--fail-ups", type=lambda s: {int(x) for x in
                                                  s.split(",") if x},
                    default=set(), help="up calls (1-based) that fail")
    ap.add_argument("--never-boot", type=lambda s: {int(x) for x in
                                                    s.split(",") if x},
                    default=set(), help="host numbers whose worker never "
                    "starts")
    ap.add_argument("verb", choices=["up", "down", "list"])
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    path = os.path.join(a.state, "state.json")
    with open(os.path.join(a.state, "lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        st = load(path)
        try:
            if a.verb == "up":
                if len(a.args) != 1 or not a.args[0].isdigit() or \
                        int(a.args[0]) < 1:
                    print(f"up needs a count, not {a.args}", file=sys.stderr)
                    return 2
                return up(a, st, int(a.args[0]))
            if a.verb == "down":
                return down(a, st, a.args)
            for hid in st["hosts"]:
                print(hid)
            journal(st, "list", [], sorted(st["hosts"]), True)
            return 0
        finally:
            save(path, st)


if __name__ == "__main__":
    sys.exit(main())
