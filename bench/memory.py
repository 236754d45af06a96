#!/usr/bin/python3
"""Memory and cold-cache figures for dusk's out-of-core promise.

  bench/memory.py --bin BUILD/bin --data DIR [--scales 1,4,10] [--cgroup]
                  [--cold]

* Flat memory: generates FHVHV-shaped files of 1x, 4x and 10x the 1.34 GB
  month (21.5M, 86M, 215M rows) and runs groupby("PULocationID").count() on
  each on a 2-worker LocalCluster, sampling every process of the run every
  20 ms: peak RSS per process kind and summed over the tree.
* The 4 GiB notebook: runs the four-file workload (concat of four 1x files,
  groupby count; fillna + filter + head) with the whole cluster inside a
  memory cgroup limited to 4 GiB (cgroup v1 or v2, created here, removed
  after), and checks the answers equal an unconfined run's.
* Cold cache: drops the page cache (echo 3 > /proc/sys/vm/drop_caches),
  runs the 1x groupby once, and reports it next to the disk's raw
  sequential read speed (dd iflag=direct).
Prints a table; numbers, never assertions on time.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

ROWS_1X = 21_500_000


def proc_tree(root):
    """Pids of root and all its descendants."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def run_sampled(cmd, preexec=None, env=None):
    """Runs cmd; returns (wall s, peak summed RSS MiB, {comm: peak MiB},
    stdout, returncode).  The other benchmarks measure with it too."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=preexec, env=env)
    peak, per = 0, {}
    # Drain both pipes while sampling: a result larger than a pipe's
    # buffer would otherwise block the child, and the wait never end.
    chunks = {"out": [], "err": []}
    readers = [threading.Thread(target=lambda f=f, k=k: chunks[k].append(
        f.read()), daemon=True) for f, k in ((p.stdout, "out"),
                                             (p.stderr, "err"))]
    for t in readers:
        t.start()
    while p.poll() is None:
        total = 0
        for pid in proc_tree(p.pid):
            r = rss_kb(pid)
            total += r
            c = comm(pid)
            per[c] = max(per.get(c, 0), r)
        peak = max(peak, total)
        time.sleep(0.02)
    for t in readers:
        t.join()
    out, err = "".join(chunks["out"]), "".join(chunks["err"])
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(err[-2000:])
    return (wall, peak / 1024, {k: v / 1024 for k, v in per.items()}, out,
            p.returncode)


def ensure_file(bin_dir, path, rows, seed):
    if os.path.exists(path) and os.path.getsize(path) > rows * 50:
        return
    print(f"generating {path} ({rows} rows)", flush=True)
    subprocess.run([os.path.join(bin_dir, "dusk-gen-fhv"), path, str(rows),
                    "--seed", str(seed)], check=True)


def warm(path):
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)


def make_cgroup(limit_bytes):
    """Creates a memory cgroup; returns (path of cgroup.procs, cleanup)."""
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    base = "/sys/fs/cgroup" if v2 else "/sys/fs/cgroup/memory"
    path = os.path.join(base, f"dusk-bench-{os.getpid()}")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "memory.max" if v2 else
                           "memory.limit_in_bytes"), "w") as f:
        f.write(str(limit_bytes))
    if not v2:
        try:  # no swap either, if the kernel accounts it
            with open(os.path.join(path, "memory.memsw.limit_in_bytes"),
                      "w") as f:
                f.write(str(limit_bytes))
        except OSError:
            pass
    peak_file = os.path.join(path, "memory.peak" if v2 else
                             "memory.max_usage_in_bytes")

    def cleanup():
        for _ in range(50):
            try:
                os.rmdir(path)
                return
            except OSError:
                time.sleep(0.1)
    return os.path.join(path, "cgroup.procs"), peak_file, cleanup


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--scales", default="1,4,10")
    ap.add_argument("--cgroup", action="store_true")
    ap.add_argument("--cold", action="store_true")
    a = ap.parse_args()
    dusk = os.path.join(a.bin, "dusk")
    os.makedirs(a.data, exist_ok=True)
    rows_out = []

    print("== flat memory: groupby(\"PULocationID\").count(), 2 workers")
    print(f"{'scale':>6} {'GB':>6} {'wall s':>7} {'GB/s':>6} "
          f"{'total MiB':>9} {'worker MiB':>10} {'scheduler':>9} "
          f"{'client':>6}")
    for scale in [int(x) for x in a.scales.split(",")]:
        path = os.path.join(a.data, f"fhv_{scale}x.csv")
        ensure_file(a.bin, path, ROWS_1X * scale, 7)
        warm(path)
        gb = os.path.getsize(path) / 1e9
        wall, peak, per, out, rc = run_sampled(
            [dusk, "query", f'read_csv("{path}").groupby("PULocationID")'
             '.count()'])
        print(f"{scale:>5}x {gb:6.2f} {wall:7.2f} {gb / wall:6.2f} "
              f"{peak:9.0f} {per.get('dusk-worker', 0):10.0f} "
              f"{per.get('dusk-scheduler', 0):9.0f} "
              f"{per.get('dusk', 0):6.0f}"
              + ("" if rc == 0 else f"  FAILED (exit {rc})"), flush=True)
        rows_out.append(("flat", scale, gb, wall, peak))

    if a.cgroup:
        files = []
        for i in range(4):
            path = os.path.join(a.data, f"fhv_month{i}.csv")
            ensure_file(a.bin, path, ROWS_1X, 100 + i)
            files.append(path)
        reads = ", ".join(f'read_csv("{p}")' for p in files)
        queries = [
            ("concat of 4 + groupby count",
             f"concat([{reads}]).groupby(\"PULocationID\").count()"),
            ("fillna + filter + head(10)",
             f'read_csv("{files[3]}").fillna(0)'
             '.query("PULocationID > 200").head(10)'),
            ("len of all 4", f"len(concat([{reads}]))"),
        ]
        print("\n== the 4 GiB notebook: the whole cluster in a memory "
              "cgroup of 4 GiB")
        for name, q in queries:
            free_run = run_sampled([dusk, "query", "--format", "csv", q])
            procs, peak_file, cleanup = make_cgroup(4 << 30)

            def enter(procs=procs):
                with open(procs, "w") as f:
                    f.write(str(os.getpid()))
            try:
                wall, peak, per, out, rc = run_sampled(
                    [dusk, "query", "--format", "csv", q], preexec=enter)
                try:
                    with open(peak_file) as f:
                        cg_peak = int(f.read()) / (1 << 20)
                except OSError:
                    cg_peak = float("nan")
            finally:
                cleanup()
            same = rc == 0 and out == free_run[3]
            print(f"  {name}: exit {rc}, {wall:.2f} s, process RSS peak "
                  f"{peak:.0f} MiB, cgroup peak (incl. page cache) "
                  f"{cg_peak:.0f} MiB, answer "
                  f"{'equals the unconfined run' if same else 'DIFFERS'}",
                  flush=True)

    if a.cold:
        path = os.path.join(a.data, "fhv_1x.csv")
        ensure_file(a.bin, path, ROWS_1X, 7)
        gb = os.path.getsize(path) / 1e9
        subprocess.run("sync; echo 3 > /proc/sys/vm/drop_caches", shell=True,
                       check=True)
        t0 = time.perf_counter()
        subprocess.run(["dd", f"if={path}", "of=/dev/null", "bs=8M",
                        "iflag=direct"], stderr=subprocess.DEVNULL, check=True)
        dd = time.perf_counter() - t0
        subprocess.run("sync; echo 3 > /proc/sys/vm/drop_caches", shell=True,
                       check=True)
        wall, peak, per, out, rc = run_sampled(
            [dusk, "query", f'read_csv("{path}").groupby("PULocationID")'
             '.count()'])
        print(f"\n== cold cache ({gb:.2f} GB): dd iflag=direct {dd:.2f} s "
              f"({gb / dd:.2f} GB/s); dusk groupby count {wall:.2f} s "
              f"({gb / wall:.2f} GB/s), {wall / dd:.2f}x the raw read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
