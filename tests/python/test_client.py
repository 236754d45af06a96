"""dusk.LocalCluster, dusk.Client and futures: submit, map, gather, get
with Dask-style graph dicts, failures, cancellation, Ctrl-C, and processes
that never outlive the Python process that started them."""
import concurrent.futures
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import dusk
from conftest import BIN, SCALE


def alive(pid):
    """Whether pid runs (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except FileNotFoundError:
        return False
    return False


def wait_until(cond, seconds, what):
    deadline = time.monotonic() + seconds * SCALE
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"not within {seconds * SCALE} s: {what}")


def busy_workers(client):
    return sum(w["processing"] for w in client.scheduler_info()["workers"])


# ---- futures ---------------------------------------------------------------

def test_submit_result_status_and_dependencies(client):
    a = client.submit("add", 1)
    b = client.submit("add", 10, a)
    c = client.submit("sum", a, b)
    assert c.result() == 12
    assert b.result() == 11
    assert a.status == "finished" and a.done()
    assert a.key.startswith("add-")
    d = client.submit("constant", {"x": [1, 2.5, "s", None, True, b"raw"]},
                      key="my-key")
    assert d.key == "my-key"
    assert d.result() == {"x": [1, 2.5, "s", None, True, b"raw"]}
    assert "finished" in repr(d)


def test_map_and_gather_keep_shapes(client):
    futs = client.map("add", [1, 2, 3])
    assert client.gather(futs) == [1, 2, 3]
    sums = client.map("sum", futs, futs)
    assert client.gather(sums) == [2, 4, 6]
    assert client.gather({"a": futs[0], "b": (futs[1], [futs[2]])}) == \
        {"a": 1, "b": (2, [3])}
    assert client.gather(futs[0]) == 1
    assert client.map("add", []) == []


def test_get_runs_graph_dicts(client):
    dsk = {
        "x": ("constant", 1),
        "y": ("add", 10, "x"),
        "z": ("sum", ["x", "y"]),
        "lit": 42,
        "alias": "z",
        ("part", 0): ("add", 5, "x"),
    }
    assert client.get(dsk, "z") == 12
    assert client.get(dsk, ["z", ["y", "lit"], "alias"]) == [12, [11, 42], 12]
    assert client.get(dsk, ("part", 0)) == 6
    # The same dict twice: keys are made unique per call.
    assert client.get(dsk, "y") == 11
    with pytest.raises(KeyError):
        client.get(dsk, "nope")


def test_failures_carry_the_workers_message(client):
    f = client.submit("fail", "boom: disk on fire")
    with pytest.raises(dusk.TaskError, match="disk on fire"):
        f.result()
    assert f.status == "error"
    assert isinstance(f.exception(), dusk.TaskError)
    g = client.submit("add", 1, f)
    with pytest.raises(dusk.TaskError, match="disk on fire"):
        g.result()
    with pytest.raises(dusk.TaskError, match="no_such_op"):
        client.submit("no_such_op", 1).result()
    with pytest.raises(dusk.TaskError, match="integer"):
        client.get({"s": ("constant", "text"), "t": ("add", 1, "s")}, "t")
    with pytest.raises(NotImplementedError, match="Python callable"):
        client.submit(len, [1])
    with pytest.raises(TypeError, match="cannot send a object"):
        client.submit("constant", object())
    # The cluster is fine afterwards.
    assert client.submit("add", 2).result() == 2


def test_cancel(client):
    f = client.submit("sleep_ms", 20000)
    wait_until(lambda: busy_workers(client) > 0, 5, "the sleep to start")
    f.cancel()
    with pytest.raises(dusk.CancelledError):
        f.result()
    with pytest.raises(concurrent.futures.CancelledError):
        f.result()
    assert f.status == "cancelled" and f.cancelled()
    wait_until(lambda: busy_workers(client) == 0, 5, "the worker to stop")


def test_dropped_futures_release_their_keys(client):
    before = client.scheduler_info()["stats"]["tasks"]
    futs = client.map("add", list(range(200)))
    assert client.gather(futs)[-1] == 199
    assert client.scheduler_info()["stats"]["tasks"] >= before + 200
    del futs
    client.submit("add", 0).result()  # the next call sends the releases
    wait_until(lambda: client.scheduler_info()["stats"]["tasks"] <= before + 1,
               5, "released keys to be forgotten")


def interrupt_soon(delay):
    t = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
    t.start()
    return t


def test_ctrl_c_cancels_a_waiting_result(client):
    f = client.submit("sleep_ms", 30000)
    t = interrupt_soon(0.3)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        f.result()
    t.join()
    assert time.monotonic() - start < 5 * SCALE
    wait_until(lambda: busy_workers(client) == 0, 5,
               "the interrupted task to stop on its worker")
    assert client.submit("add", 7).result() == 7


def test_ctrl_c_cancels_a_running_query(client, data_dir, tmp_path):
    import dusk.dataframe as dd
    big = tmp_path / "big.csv"
    subprocess.run([os.path.join(os.path.dirname(dusk.__file__), "bin",
                                 "..", "..", "..", "bin", "dusk-gen-fhv")
                    if False else _gen(), str(big), "200000"], check=True)
    df = dd.read_csv(str(big), blocksize="16KB")
    q = df.groupby("PULocationID").count()
    want = q.compute()
    t = interrupt_soon(0.2)
    interrupted = False
    deadline = time.monotonic() + 30 * SCALE
    try:
        while time.monotonic() < deadline:
            q.compute()
    except KeyboardInterrupt:
        interrupted = True
    t.join()
    assert interrupted
    wait_until(lambda: busy_workers(client) == 0, 10,
               "the interrupted query's tasks to stop")
    import pandas.testing as pdt
    pdt.assert_frame_equal(q.compute(), want)


def _gen():
    from conftest import BIN
    return os.path.join(BIN, "dusk-gen-fhv")


# ---- clusters and clients --------------------------------------------------

def test_scheduler_info_has_the_heartbeat_figures(client):
    """What each worker's heartbeats report reaches Python: CPU, RSS
    against the memory limit (auto: this machine's memory shared by the
    LocalCluster's workers), bytes scanned, tasks running."""
    n = len(client.scheduler_info()["workers"])
    wait_until(lambda: all(w["rss_bytes"] > 0 for w in
                           client.scheduler_info()["workers"]), 10,
               "every worker reports its RSS")
    with open("/proc/meminfo") as f:
        total = next(int(line.split()[1]) * 1024 for line in f
                     if line.startswith("MemTotal:"))
    for w in client.scheduler_info()["workers"]:
        assert 0 < w["rss_bytes"] < w["memory_limit_bytes"] <= total // n, w
        assert w["cpu_percent"] >= 0 and w["bytes_scanned"] >= 0, w
        assert w["tasks_running"] in (0, 1), w


def test_local_cluster_and_client_lifecycle():
    with dusk.LocalCluster(n_workers=1) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert cluster.n_workers == 1 and cluster.status == "running"
        sched = cluster.scheduler_pid
        with dusk.Client(cluster) as c:
            assert dusk.default_client() is c
            assert len(c.scheduler_info()["workers"]) == 1
            assert c.submit("add", 3).result() == 3
        assert c.status == "closed"
        # Another client by address and token file, as from another host.
        with dusk.Client(cluster.scheduler_address,
                         token_file=cluster.token_file) as c2:
            assert c2.submit("add", 4).result() == 4
    assert cluster.status == "closed"
    wait_until(lambda: not alive(sched), 5, "the scheduler to stop")


def _get_status(link, token):
    import json
    import urllib.request
    req = urllib.request.Request(
        link, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=10 * SCALE) as r:
        return json.loads(r.read())


def test_dashboard_link():
    import re
    import urllib.error
    import urllib.request
    with dusk.LocalCluster(n_workers=1) as a, \
            dusk.LocalCluster(n_workers=1) as b:
        link = a.dashboard_link
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", link), link
        with urllib.request.urlopen(link, timeout=10) as r:  # the page
            assert b"<form id=\"login\"" in r.read()
        link_status = link + "status"
        # Clusters side by side get ports of their own (never 8787 twice).
        assert b.dashboard_link not in (None, link)
        with pytest.raises(urllib.error.HTTPError, match="401"):
            _get_status(link_status, "not the token")
        port = int(a.scheduler_address.rsplit(":", 1)[1])
        st = _get_status(link_status, a.token)
        assert st["scheduler"]["address"] == f"tcp://127.0.0.1:{port}"
        # The snapshot may predate the worker's registration by 500 ms.
        wait_until(lambda: len(_get_status(link_status, a.token)["workers"]) == 1,
                   10, "the worker in /status")
        with dusk.Client(a) as c:
            assert c.dashboard_link == link
            html = c._repr_html_()
            assert f"<a href='{link}'" in html and "Dashboard" in html
        assert c.dashboard_link is None  # closed
        with dusk.Client(a.scheduler_address, token_file=a.token_file) as c:
            assert c.dashboard_link == link  # asked of the scheduler
            assert f"<a href='{link}'" in c._repr_html_()
        assert c.dashboard_link is None  # closed


def test_dashboard_link_of_a_scheduler_without_one():
    import select
    r, w = os.pipe()
    sched = subprocess.Popen(
        [os.path.join(BIN, "dusk-scheduler"), "--port", "0", "--ready-fd",
         str(w), "--no-dashboard"], pass_fds=(w,), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        assert select.select([r], [], [], 30 * SCALE)[0], "no READY"
        line = os.read(r, 64).decode()
        assert line.startswith("READY ") and "DASHBOARD" not in line, line
        address = f"tcp://127.0.0.1:{int(line.split()[1])}"
        with dusk.Client(address) as c:
            assert c.dashboard_link is None
            assert "Dashboard" not in c._repr_html_()
    finally:
        os.close(r)
        sched.terminate()
        sched.wait(30 * SCALE)


def test_client_without_arguments_starts_a_local_cluster():
    c = dusk.Client()
    sched = c.cluster.scheduler_pid
    assert c.submit("add", 5).result() == 5
    c.close()
    wait_until(lambda: not alive(sched), 5, "its own cluster to stop")


def test_cluster_options():
    with dusk.LocalCluster(n_workers=1, token="my secret token") as cluster:
        assert cluster.token == "my secret token"
        with open(cluster.token_file) as f:
            assert f.read() == "my secret token"
        port = int(cluster.scheduler_address.rsplit(":", 1)[1])
    with dusk.LocalCluster(n_workers=1, scheduler_port=port) as cluster:
        assert cluster.scheduler_address.endswith(f":{port}")
    with pytest.raises(ValueError, match="token"):
        dusk.LocalCluster(token="two\nlines")
    with pytest.raises(NotImplementedError, match="threads_per_worker"):
        dusk.LocalCluster(threads_per_worker=4)
    with pytest.raises(ValueError, match="n_workers"):
        dusk.LocalCluster(n_workers=0)


def test_connection_errors(tmp_path):
    token = tmp_path / "token"
    token.write_text("x" * 64)
    with pytest.raises(ConnectionError, match="127.0.0.1:1"):
        dusk.Client("tcp://127.0.0.1:1", token_file=str(token), timeout=2)
    with dusk.LocalCluster(n_workers=1) as cluster:
        with pytest.raises(ConnectionError):
            dusk.Client(cluster.scheduler_address, token_file=str(token),
                        timeout=5)


def test_no_client_is_a_clear_error(data_dir):
    code = textwrap.dedent(f"""
        import dusk.dataframe as dd
        df = dd.read_csv({str(data_dir / 'mixed.csv')!r})
        try:
            df.head()
        except ValueError as e:
            print("ERR", e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=60 * SCALE, env=os.environ)
    assert "ERR No dusk Client" in out.stdout, out.stderr


def test_processes_die_with_the_python_process():
    code = textwrap.dedent("""
        import sys, time, dusk
        cluster = dusk.LocalCluster(n_workers=2)
        client = dusk.Client(cluster)
        pids = [cluster.scheduler_pid, cluster.nanny_pid] + [
            w["pid"] for w in client.scheduler_info()["workers"]]
        print(" ".join(map(str, pids)), flush=True)
        time.sleep(600)
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         text=True, env=os.environ)
    try:
        pids = [int(x) for x in p.stdout.readline().split()]
        assert len(pids) == 4 and all(alive(x) for x in pids)
        p.kill()
        p.wait()
        wait_until(lambda: not any(alive(x) for x in pids), 10,
                   "the cluster's processes to die with the kernel")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_progress_is_shown_for_long_computations(client, data_dir, tmp_path,
                                                 capsys):
    """One worker is stopped for a second, so the query runs longer than
    the display's 0.5 s delay whatever the machine's speed."""
    import dusk.dataframe as dd
    path = tmp_path / "p.csv"
    path.write_text("k,v\n" + "".join(f"{i % 5},{i}\n" for i in range(20000)))
    df = dd.read_csv(str(path), blocksize=4096)
    pid = client.scheduler_info()["workers"][0]["pid"]
    dusk.progress(True)
    try:
        os.kill(pid, signal.SIGSTOP)
        t = threading.Timer(1.0, os.kill, (pid, signal.SIGCONT))
        t.start()
        r = df.groupby("k").count().compute()
        t.join()
    finally:
        os.kill(pid, signal.SIGCONT)
        dusk.progress("auto")
    assert list(r["v"]) == [4000] * 5
    err = capsys.readouterr().err
    last = err.rstrip("\n").split("\r")[-1]
    assert "tasks |" in last and "scanned" in last, err
    size = os.path.getsize(path) - len("k,v\n")
    n = -(-size // 4096)
    # The final line shows the whole query done.
    assert f"{size / 1000:.1f} kB of {size / 1000:.1f} kB scanned" in last, last
    assert re.match(r"\[#{10,30}\] ", last), last
    # Not a terminal: no escape codes, the final line kept with a newline.
    assert "\033" not in err and err.endswith("\n")
    # Off: nothing is drawn.
    dusk.progress(False)
    try:
        os.kill(pid, signal.SIGSTOP)
        t = threading.Timer(1.0, os.kill, (pid, signal.SIGCONT))
        t.start()
        df.groupby("k").count().compute()
        t.join()
    finally:
        os.kill(pid, signal.SIGCONT)
        dusk.progress("auto")
    assert "tasks |" not in capsys.readouterr().err
    assert n > 1


def _pki(d):
    """A throw-away CA and a node certificate it signs (the openssl
    command, Debian's openssl package), as tests/integration/check_tls.c."""
    def run(cmd):
        subprocess.run(cmd, shell=True, check=True, cwd=d,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    run(f"openssl req -x509 {ec} -keyout ca.key -out ca.pem -days 3650 -subj /CN=ca")
    run(f"openssl req {ec} -keyout node.key -out node.csr -subj /CN=node && "
        "openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out node.pem -days 3650")
    return (str(d / "node.pem"), str(d / "node.key"), str(d / "ca.pem"))


def test_tls_cluster_and_client(tmp_path):
    tls = _pki(tmp_path)
    with dusk.LocalCluster(n_workers=1, tls=tls) as cluster:
        with dusk.Client(cluster) as c:
            assert c.submit("add", 8).result() == 8
        with dusk.Client(cluster.scheduler_address,
                         token_file=cluster.token_file,
                         tls={"cert": tls[0], "key": tls[1], "ca": tls[2]}) as c:
            assert c.submit("add", 9).result() == 9
        # Without TLS the scheduler does not answer the client.
        with pytest.raises((TimeoutError, ConnectionError), match="TLS"):
            dusk.Client(cluster.scheduler_address,
                        token_file=cluster.token_file, timeout=5)
    with pytest.raises(ValueError, match="tls"):
        dusk.LocalCluster(tls={"cert": tls[0]})


def test_plugin_ops_by_name():
    from conftest import BIN
    plugin = os.path.join(BIN, "dusk_example_plugin.so")
    with dusk.LocalCluster(n_workers=1, plugins=[plugin]) as cluster:
        with dusk.Client(cluster) as c:
            a, b = c.submit("add", 6), c.submit("add", 7)
            assert c.submit("mul", a, b).result() == 42
            assert c.get({"x": ("add", 3), "y": ("mul", 2, "x")}, "y") == 6


def _mappings(pid):
    """(start, end, perms, name) of each mapping of process pid, with
    THPeligible (None where smaps lacks it) for each."""
    out, cur = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                cur = [lo, hi, head[1], head[5] if len(head) > 5 else "",
                       None]
                out.append(cur)
            elif head and head[0] == "THPeligible:":
                cur[4] = int(head[1])
    return out


def _thp_mode():
    """The kernel's transparent huge page mode: always, madvise or never
    (never also where the file is missing)."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return re.search(r"\[(\w+)\]", f.read()).group(1)
    except (OSError, AttributeError):
        return "never"


def _worker_heap(c, path, **read):
    """Persists path on the cluster's one worker and returns its pid and
    mappings."""
    import dusk.dataframe as dd
    pid = c.scheduler_info()["workers"][0]["pid"]
    df = dd.read_csv(str(path), **read).persist()
    assert len(df) > 0
    return pid, _mappings(pid)


@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="the sanitizers replace glibc's malloc")
def test_a_worker_heap_is_one_huge_page_heap(tmp_path, monkeypatch):
    """Workers run with glibc's malloc set for big working sets
    (worker/main.c restart_with_huge_pages, worker.c keep_freed_memory):
    with 4 GiB or more each, glibc.malloc.hugetlb=1 is added to the
    user's own GLIBC_TUNABLES, so the heap may use transparent huge
    pages; and every block comes from
    that one heap - a persisted partition of ~100 MiB lives inside
    [heap], with no anonymous mapping of its own - and the restart that
    reads the tunable keeps the process's name.  (The kernel's
    /proc/PID/environ shows GLIBC_TUNABLES as the loader left it, cut at
    its first tunable: the heap's state is what is checked.)"""
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=7")
    path = tmp_path / "wide.csv"
    with open(path, "w") as f:
        f.write("a,b,c\n")
        f.writelines(f"{i},{i * 3},{i % 11}\n" for i in range(4_000_000))
    with dusk.LocalCluster(n_workers=1, memory_limit="8GB") as cluster, \
            dusk.Client(cluster) as c:
        pid, maps = _worker_heap(c, path, blocksize="1GB")
        with open(f"/proc/{pid}/comm") as f:  # restarted under its name
            assert f.read().strip() == "dusk-worker"
        heap = [m for m in maps if m[3] == "[heap]"]
        anon_big = [m for m in maps if m[3] == "" and m[1] - m[0] >= 32 << 20]
        assert sum(m[1] - m[0] for m in heap) > 80 << 20, heap
        assert anon_big == [], [(hex(m[0]), (m[1] - m[0]) >> 20)
                                for m in anon_big]
        if _thp_mode() != "never":
            assert any(m[4] == 1 for m in heap), heap


@pytest.mark.skipif(_thp_mode() != "madvise" or
                    "libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="needs the kernel's transparent huge pages in "
                    "madvise mode, and glibc's malloc (not the sanitizers')")
def test_no_huge_pages_below_4gib_or_when_the_user_says_so(tmp_path,
                                                          monkeypatch):
    """Huge pages cost resident memory (a freed block's partial 2 MiB
    page waits for the kernel to split it): a worker with less than
    4 GiB of memory limit goes without them, and a GLIBC_TUNABLES that
    sets glibc.malloc.hugetlb itself is the user's choice - with
    hugetlb=0 an 8 GB worker's heap gets none either."""
    path = tmp_path / "ids.csv"
    with open(path, "w") as f:
        f.write("a,b\n")
        f.writelines(f"{i},{i % 7}\n" for i in range(400_000))
    for limit, tunables in (("2GB", None), ("8GB", "glibc.malloc.hugetlb=0")):
        if tunables:
            monkeypatch.setenv("GLIBC_TUNABLES", tunables)
        with dusk.LocalCluster(n_workers=1, memory_limit=limit) as cluster, \
                dusk.Client(cluster) as c:
            pid, maps = _worker_heap(c, path)
            heap = [m for m in maps if m[3] == "[heap]"]
            assert sum(m[1] - m[0] for m in heap) > 4 << 20, heap
            assert not any(m[4] == 1 for m in heap), (limit, tunables, heap)


@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="the sanitizers' allocator keeps freed memory "
                    "in its quarantine, whatever glibc is told")
def test_an_idle_worker_gives_its_freed_memory_back(tmp_path):
    """While it works, a worker keeps the memory its tasks free for the
    next ones (worker.c keep_freed_memory: fresh pages cost a page fault
    each); two seconds after its last task it gives it all back, so its
    resident size falls back from the query's peak to near where it
    started."""
    import dusk.dataframe as dd
    path = tmp_path / "ids.csv"
    with open(path, "w") as f:
        f.write("id,k\n")
        f.writelines(f"{i * 7919},{i % 5}\n" for i in range(1_500_000))
    with dusk.LocalCluster(n_workers=1, memory_limit="2GB") as cluster, \
            dusk.Client(cluster) as c:
        pid = c.scheduler_info()["workers"][0]["pid"]

        def rss():
            with open(f"/proc/{pid}/status") as st:
                return next(int(line.split()[1]) * 1024 for line in st
                            if line.startswith("VmRSS:"))
        start = rss()
        df = dd.read_csv(str(path), blocksize="8MB")
        assert df.id.value_counts().head(3).tolist() == [1, 1, 1]
        peak = rss()  # (may already be trimmed on a slow machine)
        wait_until(lambda: rss() < start + (32 << 20), 30,
                   f"the worker's RSS to fall back from {peak >> 20} MiB "
                   f"(started at {start >> 20} MiB)")
