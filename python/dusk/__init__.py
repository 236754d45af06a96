"""dusk - an out-of-core CSV analytics cluster, used as Dask is.

    from dusk import LocalCluster, Client
    import dusk.dataframe as dd

    cluster = LocalCluster()            # a scheduler + one worker per vCPU
    client = Client(cluster)
    df = dd.read_csv("fhvhv_*.csv")
    df.groupby("PULocationID").count().compute()   # a pandas DataFrame

The package is a thin layer over libdusk (the C client library, through
the extension module dusk._core): frames build the same plans as the C API
and the `dusk` CLI, and run on the cluster's C workers.  Graphs of named
ops (built-in or plugin ops, not Python functions) run through
Client.submit/map/gather/get.
"""
import os
import threading
import uuid
import weakref

from . import _core
from ._core import CancelledError, DuskError, TaskError
from ._progress import Tracker as _Tracker
from ._progress import progress
from ._report import performance_report
from . import _report

__all__ = [
    "LocalCluster", "Client", "Future", "DuskError", "TaskError",
    "CancelledError", "default_client", "progress", "performance_report",
]
__version__ = _core.version()

_PACKAGE_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin")


def _bin_dir():
    """The daemons shipped inside the package, when they are there; else
    libdusk's own search ($DUSK_BIN_DIR, the install's bin/, PATH)."""
    if os.path.exists(os.path.join(_PACKAGE_BIN, "dusk-scheduler")):
        return _PACKAGE_BIN
    return None


def _read_token_file(path):
    with open(path, "r", encoding="utf-8") as f:
        token = f.read().rstrip()
    if not token:
        raise ValueError(f"token file {path} is empty")
    return token


def _tls_tuple(tls):
    """tls: None, a (cert, key, ca) tuple or a dict with those keys."""
    if tls is None:
        return None
    if isinstance(tls, dict):
        try:
            return (str(tls["cert"]), str(tls["key"]), str(tls["ca"]))
        except KeyError as e:
            raise ValueError(f"tls needs cert, key and ca: missing {e}") from None
    cert, key, ca = tls
    return (str(cert), str(key), str(ca))


class LocalCluster:
    """A scheduler and its workers on this machine, as Dask's LocalCluster.

    LocalCluster(n_workers=None, scheduler_port=0, token=None, tls=None,
    memory_limit="auto", local_directory=None)
    starts one single-threaded worker process per vCPU by default;
    plugins names shared libraries of ops the workers load (dusk_plugin.h).
    memory_limit is each worker's (a size such as "2GiB", or bytes; "auto":
    the machine's memory over the workers): results held past 70% of it
    (persisted partitions first among them) spill to local_directory
    ($TMPDIR or /tmp by default), as Dask's workers spill.  The
    processes die with this Python process (also when it is killed), and
    close() - or leaving a `with` block - stops them."""

    def __init__(self, n_workers=None, scheduler_port=0, token=None, tls=None,
                 threads_per_worker=None, processes=True, plugins=None,
                 memory_limit="auto", local_directory=None, **kwargs):
        if kwargs:
            raise NotImplementedError(
                "LocalCluster: dusk does not support " +
                ", ".join(sorted(kwargs)))
        if threads_per_worker not in (None, 1):
            raise NotImplementedError(
                "LocalCluster: dusk workers are single-threaded processes "
                "(threads_per_worker=1)")
        if not processes:
            raise NotImplementedError(
                "LocalCluster: dusk workers are always processes")
        if n_workers is not None and (not isinstance(n_workers, int) or
                                      n_workers < 1):
            raise ValueError("n_workers must be a positive int")
        self._tls = _tls_tuple(tls)
        if plugins is not None and not isinstance(plugins, str):
            plugins = ",".join(os.fspath(p) for p in plugins)
        if isinstance(memory_limit, int) and not isinstance(memory_limit,
                                                            bool):
            memory_limit = str(memory_limit)
        if memory_limit is not None and not isinstance(memory_limit, str):
            raise TypeError("memory_limit: a size (\"2GiB\"), bytes or "
                            "\"auto\"")
        self._cluster = _core.Cluster(
            n_workers=n_workers or 0, bin_dir=_bin_dir(), tls=self._tls,
            scheduler_port=int(scheduler_port), token=token,
            plugins=plugins, memory_limit=memory_limit,
            spill_dir=None if local_directory is None
            else os.fspath(local_directory))

    @property
    def scheduler_address(self):
        return self._cluster.address

    @property
    def token(self):
        return self._cluster.token

    @property
    def token_file(self):
        return self._cluster.token_file

    @property
    def dashboard_link(self):
        """URL of the scheduler's live page (it asks for the cluster's
        token; /status and /metrics under it want it as 'Authorization:
        Bearer <token>'), or None if it serves none."""
        return self._cluster.dashboard_link

    @property
    def n_workers(self):
        return self._cluster.n_workers

    @property
    def scheduler_pid(self):
        return self._cluster.scheduler_pid

    @property
    def nanny_pid(self):
        return self._cluster.nanny_pid

    @property
    def status(self):
        return "closed" if self._cluster.closed else "running"

    def close(self):
        self._cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if self._cluster.closed:
            return "LocalCluster(closed)"
        return (f"LocalCluster({self.scheduler_address!r}, "
                f"workers={self.n_workers})")


_default_lock = threading.Lock()
_clients = []  # weak references to Clients that may be the default


def default_client():
    """The Client that computations use when none is given: the most
    recently created one that is still open, as in Dask.  Raises
    ValueError if there is none."""
    with _default_lock:
        for ref in reversed(_clients):
            c = ref()
            if c is not None and not c._conn.closed:
                return c
    raise ValueError(
        "No dusk Client: create one first (Client() starts a LocalCluster)")


def _set_default(c):
    with _default_lock:
        _clients[:] = [r for r in _clients
                       if r() is not None and not r()._conn.closed]
        _clients.append(weakref.ref(c))


class Client:
    """A connection to a dusk scheduler, as Dask's Client.

    Client() starts a LocalCluster (closed with the client); Client(cluster)
    connects to a LocalCluster; Client("tcp://host:port",
    token_file="...") connects to a running scheduler."""

    def __init__(self, address=None, token_file=None, tls=None, timeout=10,
                 set_as_default=True, **kwargs):
        if kwargs:
            raise NotImplementedError(
                "Client: dusk does not support " + ", ".join(sorted(kwargs)))
        self._own_cluster = None
        self.cluster = None
        if address is None:
            self._own_cluster = self.cluster = LocalCluster(tls=tls)
            address = self.cluster
        if isinstance(address, LocalCluster):
            self.cluster = address
            self._conn = _core.Connection(cluster=address._cluster)
            self.scheduler_address = address.scheduler_address
        elif isinstance(address, str):
            token = _read_token_file(token_file) if token_file else None
            self._conn = _core.Connection(
                address, token, _tls_tuple(tls), int(timeout * 1000))
            self.scheduler_address = address
        else:
            raise TypeError(
                "Client takes a LocalCluster, an address 'tcp://host:port' "
                f"or nothing, not {type(address).__name__}")
        self._refs = {}              # key -> number of live Futures
        self._refs_lock = threading.Lock()
        self._to_release = []        # keys whose last Future went away
        if set_as_default:
            _set_default(self)

    # ---- lifecycle
    def close(self):
        if not self._conn.closed:
            self._conn.close()
        if self._own_cluster is not None:
            self._own_cluster.close()

    @property
    def status(self):
        return "closed" if self._conn.closed else "running"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<dusk.Client: {self.scheduler_address!r} ({self.status})>"

    @property
    def dashboard_link(self):
        """The scheduler's live page: the LocalCluster's
        (LocalCluster.dashboard_link), or for a scheduler given by address
        http(s)://HOST:PORT/ with that address' host (127.0.0.1 when the
        scheduler serves it on loopback only: reach it through a tunnel);
        None when it serves none or the client is closed."""
        if self.status != "running":
            return None
        if self.cluster is not None:
            return self.cluster.dashboard_link
        return self._conn.dashboard_link()

    def _repr_html_(self):
        from html import escape
        rows = [("Scheduler", escape(self.scheduler_address)),
                ("Status", escape(self.status))]
        if self.cluster is not None and self.status == "running":
            rows.append(("Workers", escape(str(self.cluster.n_workers))))
        link = self.dashboard_link
        if link is not None:
            rows.append(("Dashboard", f"<a href='{escape(link)}' "
                         f"target='_blank'>{escape(link)}</a>"))
        body = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th>"
                       f"<td>{v}</td></tr>" for k, v in rows)
        return f"<div><b>dusk.Client</b><table>{body}</table></div>"

    # ---- cluster information
    def scheduler_info(self):
        """The workers and the scheduler's health, as a dict.  Each
        worker: id, pid, address, processing, keys, host_id, and from its
        last heartbeat cpu_percent (over the last interval; 100 = one
        core), rss_bytes, memory_limit_bytes (--memory-limit: results
        past 70% of it spill to disk), bytes_scanned (CSV bytes since it registered) and
        tasks_running."""
        return {"address": self.scheduler_address,
                "workers": self._conn.workers(),
                "stats": self._conn.stats()}

    def wait_for_workers(self, n_workers=1, timeout=None):
        self._conn.workers(n_workers, 10.0 if timeout is None else timeout)

    # ---- futures bookkeeping: a key lives on the cluster while a Future
    # of it does (or until it is cancelled), as in Dask.
    def _ref(self, key):
        with self._refs_lock:
            self._refs[key] = self._refs.get(key, 0) + 1

    def _unref(self, key):
        # Called from Future.__del__, possibly inside a wait of this very
        # connection: only note the key; the next call releases it.
        with self._refs_lock:
            n = self._refs.get(key, 0) - 1
            if n > 0:
                self._refs[key] = n
                return
            self._refs.pop(key, None)
            self._to_release.append(key)

    def _flush_releases(self):
        with self._refs_lock:
            keys, self._to_release = self._to_release, []
            keys = [k for k in keys if k not in self._refs]
        if keys and not self._conn.closed:
            self._conn.release(keys)

    # ---- graphs
    def submit(self, op, *args, key=None, pure=None, **kwargs):
        """Runs op (the name of a built-in or plugin op) on a worker.

        Futures among args become the task's inputs, in order; the other
        args become its msgpack args: none -> no args, one -> that value,
        several -> a list.  Returns a Future."""
        if kwargs:
            raise NotImplementedError(
                "submit: dusk ops take no keyword arguments (" +
                ", ".join(sorted(kwargs)) + ")")
        name = _op_name(op)
        key = key if key is not None else f"{name}-{uuid.uuid4().hex}"
        if not isinstance(key, str):
            raise TypeError("key must be a str")
        deps, plain = [], []
        for a in args:
            if isinstance(a, Future):
                self._check_own(a)
                deps.append(a.key)
            else:
                plain.append(a)
        payload = _args_payload(plain)
        self._flush_releases()
        self._conn.submit([(key, name, payload, deps)], [key])
        return Future(key, self)

    def map(self, op, *iterables, key=None, pure=None, **kwargs):
        """submit(op, *items) for each item of the iterables (zipped);
        returns a list of Futures, all sent as one graph."""
        if kwargs:
            raise NotImplementedError(
                "map: dusk ops take no keyword arguments")
        name = _op_name(op)
        if isinstance(key, (list, tuple)):
            keys = list(key)
        else:
            prefix = key if isinstance(key, str) else name
            keys = None
        tasks = []
        for i, items in enumerate(zip(*iterables)):
            k = keys[i] if keys is not None else f"{prefix}-{uuid.uuid4().hex}"
            deps, plain = [], []
            for a in items:
                if isinstance(a, Future):
                    self._check_own(a)
                    deps.append(a.key)
                else:
                    plain.append(a)
            tasks.append((k, name, _args_payload(plain), deps))
        if keys is not None and len(keys) != len(tasks):
            raise ValueError("map: one key per item is needed")
        self._flush_releases()
        if tasks:
            self._conn.submit(tasks, [t[0] for t in tasks])
        return [Future(t[0], self) for t in tasks]

    def gather(self, futures, errors="raise"):
        """The results of futures: a Future, or a (nested) list, tuple or
        dict of them, keeping the shape.  A failed task raises TaskError
        with the worker's message."""
        if errors != "raise":
            raise NotImplementedError("gather: only errors='raise'")
        keys = []
        _collect_keys(futures, keys, self)
        self._flush_releases()
        values = dict(zip(keys, self._conn.gather(keys))) if keys else {}
        return _rebuild(futures, values)

    def cancel(self, futures):
        """Cancels futures; of a persisted frame (or a list of them),
        releases its partitions."""
        from .dataframe import _Lazy
        items = futures if isinstance(futures, (list, tuple, set)) \
            else [futures]
        for f in items:
            if isinstance(f, _Lazy) and hasattr(f, "unpersist"):
                f.unpersist()
        keys = []
        _collect_keys([x for x in items if not isinstance(x, _Lazy)], keys,
                      self)
        if keys:
            self._conn.cancel(keys)

    def persist(self, collection, timeout=None):
        """collection.persist() on this client (a list: each)."""
        if isinstance(collection, (list, tuple)):
            return type(collection)(c.persist(client=self, timeout=timeout)
                                    for c in collection)
        return collection.persist(client=self, timeout=timeout)

    def get(self, dsk, keys, **kwargs):
        """Runs a Dask-style graph dict {key: (op, arg, ...) or value} and
        returns the results for keys (a key, or a nested list of keys).

        In a task tuple an argument that is a key of the graph (or a list
        of such keys, or a Future) is an input; everything else is args
        as for submit.  op names a built-in or plugin op."""
        if kwargs:
            raise NotImplementedError(
                "get: dusk does not support " + ", ".join(sorted(kwargs)))
        names = {k: _key_str(k) for k in dsk}
        tasks = []
        for k, task in dsk.items():
            tasks.append(_graph_task(names[k], task, names, self))
        wanted = []
        _collect_graph_keys(keys, names, wanted)
        self._flush_releases()
        run = uuid.uuid4().hex[:12]
        # Graph keys are the caller's names: made unique per call so two
        # get()s of the same dict do not collide on the scheduler.
        rename = {t[0]: f"{t[0]}@{run}" for t in tasks}
        sent = [(rename[t[0]], t[1], t[2],
                 [rename.get(d, d) for d in t[3]]) for t in tasks]
        want = [rename[names[w]] for w in wanted]
        self._conn.submit(sent, want)
        try:
            values = dict(zip(wanted, self._conn.gather(want)))
        finally:
            if not self._conn.closed:
                self._conn.release(want)
        return _rebuild_graph(keys, names, values)

    # ---- dataframes
    def _compute_table(self, frame, timeout=None):
        """Runs a _core.Frame, showing progress while it runs (see
        dusk.progress); returns the _core.Table."""
        tracker = _Tracker()
        profiling = _report.profiling()  # a performance_report block runs
        self._flush_releases()
        self._conn.set_progress(tracker)
        if profiling:
            self._conn.set_profiling(True)
        ok = False
        try:
            table = self._conn.compute(frame, timeout)
            ok = True
            if profiling:
                _report.record(self._conn.take_profile())
            return table
        finally:
            if profiling and not self._conn.closed:
                self._conn.set_profiling(False)
            self._conn.set_progress(None)
            tracker.close(ok)

    def compute(self, collection, timeout=None):
        """collection.compute() on this client."""
        return collection.compute(client=self, timeout=timeout)

    def _check_own(self, fut):
        if fut.client is not self:
            raise ValueError(
                f"future {fut.key!r} belongs to another client")


def _op_name(op):
    if isinstance(op, str):
        if not op:
            raise ValueError("op name is empty")
        return op
    if callable(op):
        raise NotImplementedError(
            "dusk runs ops by name on its C workers (built-ins: constant, "
            "add, sum, identity, sleep_ms, fail, bytes; or a plugin's ops): "
            f"a Python callable ({getattr(op, '__name__', op)!r}) cannot run "
            "there")
    raise TypeError(f"op must be an op name (str), not {type(op).__name__}")


def _args_payload(plain):
    if not plain:
        return None
    return _core.packb(plain[0] if len(plain) == 1 else list(plain))


def _key_str(k):
    if isinstance(k, str):
        return k
    if isinstance(k, tuple):  # Dask's ("name", i) keys
        return "(" + ", ".join(repr(x) for x in k) + ")"
    raise TypeError(f"graph keys must be str or tuples, not {type(k).__name__}")


def _is_key(x, names):
    try:
        return x in names
    except TypeError:
        return False


def _graph_task(name, task, names, client):
    if isinstance(task, tuple) and task and (isinstance(task[0], str) or
                                             callable(task[0])):
        op = _op_name(task[0])
        deps, plain = [], []
        for a in task[1:]:
            if isinstance(a, Future):
                client._check_own(a)
                deps.append(a.key)
            elif _is_key(a, names):
                deps.append(names[a])
            elif (isinstance(a, list) and a and
                  all(_is_key(x, names) or isinstance(x, Future) for x in a)):
                for x in a:
                    deps.append(x.key if isinstance(x, Future) else names[x])
            else:
                plain.append(a)
        return (name, op, _args_payload(plain), deps)
    if _is_key(task, names):  # an alias: {"y": "x"}
        return (name, "identity", None, [names[task]])
    # A literal value, as Dask allows.
    return (name, "constant", _core.packb(task), [])


def _collect_graph_keys(keys, names, out):
    if isinstance(keys, list):
        for k in keys:
            _collect_graph_keys(k, names, out)
        return
    if not _is_key(keys, names):
        raise KeyError(f"{keys!r} is not a key of the graph")
    if keys not in out:
        out.append(keys)


def _rebuild_graph(keys, names, values):
    if isinstance(keys, list):
        return [_rebuild_graph(k, names, values) for k in keys]
    return values[keys]


def _collect_keys(x, out, client):
    if isinstance(x, Future):
        client._check_own(x)
        out.append(x.key)
    elif isinstance(x, (list, tuple, set)):
        for y in x:
            _collect_keys(y, out, client)
    elif isinstance(x, dict):
        for y in x.values():
            _collect_keys(y, out, client)


def _rebuild(x, values):
    if isinstance(x, Future):
        return values[x.key]
    if isinstance(x, list):
        return [_rebuild(y, values) for y in x]
    if isinstance(x, tuple):
        return tuple(_rebuild(y, values) for y in x)
    if isinstance(x, set):
        return {_rebuild(y, values) for y in x}
    if isinstance(x, dict):
        return {k: _rebuild(v, values) for k, v in x.items()}
    return x


class Future:
    """A remote result, as Dask's Future: .result(), .status, .done(),
    .cancel(), .key.  The key is kept on the cluster while a Future of it
    lives."""

    __slots__ = ("key", "client", "__weakref__")

    def __init__(self, key, client):
        self.key = key
        self.client = client
        client._ref(key)

    def result(self, timeout=None):
        self.client._flush_releases()
        return self.client._conn.gather([self.key], timeout)[0]

    def exception(self, timeout=None):
        try:
            self.client._conn.wait([self.key], timeout)
        except (TaskError, CancelledError) as e:
            return e
        return None

    @property
    def status(self):
        if self.client._conn.closed:
            return "lost"
        return self.client._conn.status(self.key)

    def done(self):
        return self.status != "pending"

    def cancel(self):
        self.client._conn.cancel([self.key])

    def cancelled(self):
        return self.status == "cancelled"

    def __del__(self):
        c = getattr(self, "client", None)
        if c is not None:
            c._unref(self.key)

    def __repr__(self):
        try:
            st = self.status
        except Exception:  # a closed or broken connection
            st = "lost"
        return f"<Future: {st}, key: {self.key}>"
