/* core_client.c - _core.Cluster (dusk_cluster) and _core.Connection
 * (dusk_client).
 *
 * A dusk_client is one thread's: a Connection serialises its calls with a
 * lock, taken with the GIL released so a thread waiting on the cluster
 * never blocks the interpreter.  While a call waits, libdusk asks
 * check_interrupt every 50 ms; it takes the GIL for a moment and runs
 * Python's signal handlers, so Ctrl-C (SIGINT -> KeyboardInterrupt) ends
 * the wait: the wait cancels what it waited for on the cluster and the
 * KeyboardInterrupt is raised from the call. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

/* ---- errors ---------------------------------------------------------------
 * Which Python exception a libdusk error becomes: what a pandas or Dask user
 * would catch.  The message is always libdusk's own (it names the file,
 * line, column or peer). */
PyObject *core_DuskError, *core_TaskError, *core_CanceledError;

PyObject *core_raise(const dusk_error *err) {
  const char *m = err->message[0] ? err->message : dusk_strerror(err->code);
  PyObject *type = core_DuskError;
  switch (err->code) {
  case DUSK_ENOMEM:
    return PyErr_NoMemory();
  case DUSK_ETASK:
    type = core_TaskError;
    break;
  case DUSK_ECANCELED:
    type = core_CanceledError;
    break;
  case DUSK_ETIMEDOUT:
    type = PyExc_TimeoutError;
    break;
  case DUSK_ECLOSED:
  case DUSK_EAUTH:
  case DUSK_EVERSION:
    type = PyExc_ConnectionError;
    break;
  case DUSK_EINVAL:
  case DUSK_EPARSE:
  case DUSK_EGRAPH:
  case DUSK_EWIDEN:
    type = PyExc_ValueError;
    break;
  default:
    break;
  }
  /* Whatever the code, these read as pandas' own errors would. */
  if (strstr(m, "unknown column") != NULL)
    type = PyExc_KeyError;
  else if (strstr(m, "No such file or directory") != NULL ||
           strstr(m, "no file matches") != NULL)
    type = PyExc_FileNotFoundError;
  else if (strstr(m, "Permission denied") != NULL)
    type = PyExc_PermissionError;
  else if (strstr(m, "which is not a date-time") != NULL ||
           strstr(m, "not a date-time:") != NULL ||
           ((strstr(m, "to_datetime: '") != NULL ||
             strstr(m, "to_timedelta: '") != NULL) &&
            strstr(m, " dusk reads (") != NULL) ||
           strstr(m, "not a timedelta:") != NULL ||
           strstr(m, "integers to negative integer powers") != NULL ||
           strstr(m, "cannot be an int64") != NULL ||
           strstr(m, " column has NA values") != NULL ||
           strstr(m, "is not an ISO date-time") != NULL ||
           strstr(m, "is no date-time:") != NULL ||
           strncmp(m, "frequency \"", 11) == 0 ||
           strstr(m, "': regular expression '") != NULL)
    type = PyExc_ValueError; /* pandas: a date it cannot parse; numpy's
                                refusal of int ** -int; a missing value
                                in an int64 / bool dtype; a frequency it
                                does not take */
  else if (strstr(m, "holds a capital sigma") != NULL ||
           strstr(m, "dusk reads the years 1678-2261") != NULL ||
           strstr(m, "dusk's datetime columns read ISO") != NULL)
    type = PyExc_NotImplementedError; /* Python (or pandas' parse_dates)
                                         answers; dusk refuses */
  else if ((strstr(m, ": cannot ") != NULL && strstr(m, " column '") != NULL) ||
           strstr(m, "arithmetic on ") != NULL || strstr(m, ".dt.") != NULL ||
           strstr(m, "cannot compare ") != NULL ||
           strstr(m, " dusk reads (") != NULL || /* a literal compared */
           strstr(m, "comparing with NaT") != NULL ||
           strstr(m, "needs a text column") != NULL ||
           strstr(m, "where/mask") != NULL)
    type = PyExc_TypeError; /* "sum: cannot sum the string column 'x'", a
                               type error in an expression */
  if (type == PyExc_KeyError) {
    /* KeyError's str() quotes its argument: give it the sentence as one
     * object so the message prints as written. */
    PyObject *s = PyUnicode_FromString(m);
    if (s != NULL) {
      PyErr_SetObject(type, s);
      Py_DECREF(s);
    }
    return NULL;
  }
  PyErr_SetString(type, m);
  return NULL;
}

int core_tls_arg(PyObject *tls, dusk_tls_files *out) {
  memset(out, 0, sizeof *out);
  if (tls == NULL || tls == Py_None)
    return 0;
  if (!PyArg_ParseTuple(tls, "sss;tls must be (cert, key, ca) file paths",
                        &out->cert, &out->key, &out->ca))
    return -1;
  return 0;
}

/* ---- Cluster ------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD
  dusk_cluster *cl;
} ClusterObject;

static int cluster_init(ClusterObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"n_workers", "bin_dir", "tls",
                           "log_level", "plugins", "scheduler_port",
                           "token", "memory_limit", "spill_dir", NULL};
  int n = 0, rc, port = 0;
  const char *bin_dir = NULL, *log_level = NULL, *plugins = NULL,
             *token = NULL, *memory_limit = NULL, *spill_dir = NULL;
  PyObject *tls = Py_None;
  dusk_cluster_options o;
  dusk_error err = {0};
  dusk_cluster *cl = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "|izOzzizzz", kwlist, &n,
                                   &bin_dir, &tls, &log_level, &plugins,
                                   &port, &token, &memory_limit, &spill_dir))
    return -1;
  if (self->cl != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "cluster already started");
    return -1;
  }
  dusk_cluster_options_init(&o);
  o.nworkers = n;
  o.bin_dir = bin_dir;
  o.plugins = plugins;
  o.scheduler_port = port;
  o.token = token;
  o.memory_limit = memory_limit;
  o.spill_dir = spill_dir;
  if (log_level != NULL)
    o.log_level = log_level;
  if (core_tls_arg(tls, &o.tls) != 0)
    return -1;
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_cluster_start(&o, &cl, &err);
  Py_END_ALLOW_THREADS
  if (rc != 0) {
    core_raise(&err);
    return -1;
  }
  self->cl = cl;
  return 0;
}

static void cluster_stop(ClusterObject *self) {
  dusk_cluster *cl = self->cl;
  self->cl = NULL;
  if (cl != NULL) {
    Py_BEGIN_ALLOW_THREADS
    dusk_cluster_stop(cl);
    Py_END_ALLOW_THREADS
  }
}

static void cluster_dealloc(ClusterObject *self) {
  cluster_stop(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static int cluster_live(ClusterObject *self) {
  if (self->cl == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "the cluster is closed");
    return 0;
  }
  return 1;
}

static PyObject *cluster_close(ClusterObject *self, PyObject *unused) {
  (void)unused;
  cluster_stop(self);
  Py_RETURN_NONE;
}

static PyObject *cluster_get(ClusterObject *self, void *what) {
  const char *w = what;
  if (!cluster_live(self))
    return NULL;
  if (strcmp(w, "address") == 0)
    return PyUnicode_FromString(dusk_cluster_address(self->cl));
  if (strcmp(w, "token") == 0)
    return PyUnicode_FromString(dusk_cluster_token(self->cl));
  if (strcmp(w, "token_file") == 0)
    return PyUnicode_FromString(dusk_cluster_token_file(self->cl));
  if (strcmp(w, "dashboard_link") == 0) {
    const char *link = dusk_cluster_dashboard_link(self->cl);
    if (link == NULL)
      Py_RETURN_NONE;
    return PyUnicode_FromString(link);
  }
  if (strcmp(w, "n_workers") == 0)
    return PyLong_FromLong(dusk_cluster_nworkers(self->cl));
  if (strcmp(w, "scheduler_pid") == 0)
    return PyLong_FromLongLong(dusk_cluster_scheduler_pid(self->cl));
  return PyLong_FromLongLong(dusk_cluster_nanny_pid(self->cl));
}

static PyObject *cluster_closed(ClusterObject *self, void *unused) {
  (void)unused;
  return PyBool_FromLong(self->cl == NULL);
}

static PyMethodDef cluster_methods[] = {
    {"close", (PyCFunction)cluster_close, METH_NOARGS,
     "Stops the scheduler and workers (SIGTERM, then SIGKILL after a bound)."},
    {NULL}};

static PyGetSetDef cluster_getset[] = {
    {"address", (getter)cluster_get, NULL, "tcp://host:port", "address"},
    {"token", (getter)cluster_get, NULL, "the cluster's token", "token"},
    {"token_file", (getter)cluster_get, NULL, "path of the token file",
     "token_file"},
    {"dashboard_link", (getter)cluster_get, NULL,
     "URL of the scheduler's HTTP endpoint, or None", "dashboard_link"},
    {"n_workers", (getter)cluster_get, NULL, "worker processes", "n_workers"},
    {"scheduler_pid", (getter)cluster_get, NULL, "scheduler process id",
     "scheduler_pid"},
    {"nanny_pid", (getter)cluster_get, NULL, "worker nanny process id",
     "nanny_pid"},
    {"closed", (getter)cluster_closed, NULL, "whether close() ran", NULL},
    {NULL}};

PyTypeObject core_ClusterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dusk._core.Cluster",
    .tp_basicsize = sizeof(ClusterObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Cluster(n_workers=0, bin_dir=None, tls=None, log_level=None, "
              "plugins=None, scheduler_port=0, token=None): a scheduler and its workers on this machine, "
              "which die with this process.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)cluster_init,
    .tp_dealloc = (destructor)cluster_dealloc,
    .tp_methods = cluster_methods,
    .tp_getset = cluster_getset,
};

/* ---- Connection ---------------------------------------------------------- */

typedef struct {
  PyObject_HEAD
  dusk_client *c;
  PyThread_type_lock lock;
  /* The exception check_interrupt caught, restored after the wait. */
  PyObject *exc_type, *exc_value, *exc_tb;
  /* Called with (key, tasks_done, tasks_total, bytes_done, bytes_total)
   * for each progress report of a query this connection waits for. */
  PyObject *progress;
  /* A KeyboardInterrupt (or other BaseException) the progress callback
   * raised: it ends the wait as Ctrl-C does (check_interrupt). */
  int interrupt_pending;
} ConnObject;

static void on_progress(void *arg, const char *key, const dusk_progress *p) {
  ConnObject *self = arg;
  PyGILState_STATE g = PyGILState_Ensure();
  if (self->progress != NULL) {
    PyObject *r = PyObject_CallFunction(
        self->progress, "sKKKK", key, (unsigned long long)p->tasks_done,
        (unsigned long long)p->tasks_total, (unsigned long long)p->bytes_done,
        (unsigned long long)p->bytes_total);
    if (r == NULL) {
      /* Python checks signals while the callback runs, so Ctrl-C can
       * surface here: keep it and end the wait.  Any other failure of a
       * display must not fail the computation. */
      if (PyErr_ExceptionMatches(PyExc_Exception)) {
        PyErr_WriteUnraisable(self->progress);
      } else {
        Py_CLEAR(self->exc_type);
        Py_CLEAR(self->exc_value);
        Py_CLEAR(self->exc_tb);
        PyErr_Fetch(&self->exc_type, &self->exc_value, &self->exc_tb);
        self->interrupt_pending = 1;
      }
    }
    Py_XDECREF(r);
  }
  PyGILState_Release(g);
}

static void conn_drop_exc(ConnObject *self) {
  Py_CLEAR(self->exc_type);
  Py_CLEAR(self->exc_value);
  Py_CLEAR(self->exc_tb);
}

static int check_interrupt(void *arg) {
  ConnObject *self = arg;
  int stop = 0;
  PyGILState_STATE g;
  if (self->interrupt_pending) {
    self->interrupt_pending = 0;
    return 1;
  }
  g = PyGILState_Ensure();
  if (PyErr_CheckSignals() != 0) {
    /* Keep it for the caller; the wait returns DUSK_EINTR. */
    conn_drop_exc(self);
    PyErr_Fetch(&self->exc_type, &self->exc_value, &self->exc_tb);
    stop = 1;
  }
  PyGILState_Release(g);
  return stop;
}

/* A Ctrl-C the progress callback caught in a wait that then finished:
 * raised all the same (the result is dropped), as the user asked.  1 with
 * the exception set, else 0. */
static int late_interrupt(ConnObject *self) {
  if (!self->interrupt_pending)
    return 0;
  self->interrupt_pending = 0;
  PyErr_Restore(self->exc_type, self->exc_value, self->exc_tb);
  self->exc_type = self->exc_value = self->exc_tb = NULL;
  return 1;
}

/* Takes the connection's lock without holding the GIL. */
static int conn_enter(ConnObject *self) {
  if (self->c == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "the client is closed");
    return 0;
  }
  if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    Py_END_ALLOW_THREADS
  }
  if (self->c == NULL) { /* closed while we waited */
    PyThread_release_lock(self->lock);
    PyErr_SetString(PyExc_RuntimeError, "the client is closed");
    return 0;
  }
  return 1;
}

static void conn_leave(ConnObject *self) { PyThread_release_lock(self->lock); }

/* The error of a wait: the caught KeyboardInterrupt when interrupted. */
static PyObject *conn_error(ConnObject *self, const dusk_error *err) {
  if (err->code == DUSK_EINTR && self->exc_type != NULL) {
    PyErr_Restore(self->exc_type, self->exc_value, self->exc_tb);
    self->exc_type = self->exc_value = self->exc_tb = NULL;
    return NULL;
  }
  if (err->code == DUSK_EINTR) {
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    return NULL;
  }
  return core_raise(err);
}

static int conn_init(ConnObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"address", "token", "tls", "timeout_ms", "cluster",
                           NULL};
  const char *address = NULL, *token = NULL;
  PyObject *tls = Py_None, *cluster = Py_None;
  int timeout_ms = 10000, rc;
  dusk_tls_files files;
  dusk_error err = {0};
  dusk_client *c = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "|zzOiO", kwlist, &address,
                                   &token, &tls, &timeout_ms, &cluster))
    return -1;
  if (self->c != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "already connected");
    return -1;
  }
  if (core_tls_arg(tls, &files) != 0)
    return -1;
  if (cluster != Py_None) {
    ClusterObject *cl = (ClusterObject *)cluster;
    if (!PyObject_TypeCheck(cluster, &core_ClusterType)) {
      PyErr_SetString(PyExc_TypeError, "cluster must be a _core.Cluster");
      return -1;
    }
    if (!cluster_live(cl))
      return -1;
    Py_BEGIN_ALLOW_THREADS
    rc = dusk_cluster_client(cl->cl, &c, &err);
    Py_END_ALLOW_THREADS
  } else {
    if (address == NULL) {
      PyErr_SetString(PyExc_TypeError, "an address or a cluster is needed");
      return -1;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = files.cert != NULL
             ? dusk_client_connect_tls(address, token, &files, timeout_ms, &c,
                                       &err)
             : dusk_client_connect(address, token, timeout_ms, &c, &err);
    Py_END_ALLOW_THREADS
  }
  if (rc != 0) {
    core_raise(&err);
    return -1;
  }
  if (self->lock == NULL && (self->lock = PyThread_allocate_lock()) == NULL) {
    dusk_client_free(c);
    PyErr_NoMemory();
    return -1;
  }
  dusk_client_set_interrupt(c, check_interrupt, self, 50);
  dusk_client_set_progress(c, on_progress, self);
  self->c = c;
  return 0;
}

static void conn_free_client(ConnObject *self) {
  dusk_client *c = self->c;
  self->c = NULL;
  if (c != NULL) {
    Py_BEGIN_ALLOW_THREADS
    dusk_client_free(c);
    Py_END_ALLOW_THREADS
  }
}

static void conn_dealloc(ConnObject *self) {
  /* Nothing else can hold the lock once the object is unreachable. */
  conn_free_client(self);
  if (self->lock != NULL)
    PyThread_free_lock(self->lock);
  conn_drop_exc(self);
  Py_CLEAR(self->progress);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *conn_close(ConnObject *self, PyObject *unused) {
  (void)unused;
  if (self->c == NULL)
    Py_RETURN_NONE;
  if (!conn_enter(self))
    return NULL;
  conn_free_client(self);
  conn_leave(self);
  Py_RETURN_NONE;
}

/* A list of str -> a C array of borrowed UTF-8 pointers (free the array).
 * NULL with a Python error. */
static const char **key_array(PyObject *seq, PyObject **fast_out,
                              Py_ssize_t *n_out) {
  PyObject *fast = PySequence_Fast(seq, "keys must be a sequence of str");
  const char **keys;
  Py_ssize_t n;
  if (fast == NULL)
    return NULL;
  n = PySequence_Fast_GET_SIZE(fast);
  keys = PyMem_Calloc(n ? (size_t)n : 1, sizeof *keys);
  if (keys == NULL) {
    Py_DECREF(fast);
    PyErr_NoMemory();
    return NULL;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *k = PySequence_Fast_GET_ITEM(fast, i);
    if (!PyUnicode_Check(k) || (keys[i] = PyUnicode_AsUTF8(k)) == NULL) {
      if (!PyErr_Occurred())
        PyErr_Format(PyExc_TypeError, "a key must be str, not %.100s",
                     Py_TYPE(k)->tp_name);
      PyMem_Free(keys);
      Py_DECREF(fast);
      return NULL;
    }
  }
  *fast_out = fast;
  *n_out = n;
  return keys;
}

/* submit(tasks, wanted): tasks is a list of (key, op, args, deps) with args
 * the msgpack bytes (or None for no args) and deps a list of keys. */
static PyObject *conn_submit(ConnObject *self, PyObject *args) {
  PyObject *tasks, *wanted, *tfast, *wfast = NULL;
  const char **want = NULL;
  Py_ssize_t nt, nw = 0;
  dusk_graph *g;
  dusk_error err = {0};
  int rc;
  if (!PyArg_ParseTuple(args, "OO", &tasks, &wanted))
    return NULL;
  if ((tfast = PySequence_Fast(tasks, "tasks must be a list")) == NULL)
    return NULL;
  if ((g = dusk_graph_new()) == NULL) {
    Py_DECREF(tfast);
    return PyErr_NoMemory();
  }
  nt = PySequence_Fast_GET_SIZE(tfast);
  for (Py_ssize_t i = 0; i < nt; i++) {
    const char *key, *op;
    PyObject *a, *deps, *dfast = NULL;
    const char **dk = NULL;
    Py_ssize_t nd = 0;
    Py_buffer b = {0};
    if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(tfast, i),
                          "ssOO;a task is (key, op, args, deps)", &key, &op,
                          &a, &deps))
      goto fail;
    if (a != Py_None && PyObject_GetBuffer(a, &b, PyBUF_SIMPLE) != 0)
      goto fail;
    if ((dk = key_array(deps, &dfast, &nd)) == NULL) {
      if (a != Py_None)
        PyBuffer_Release(&b);
      goto fail;
    }
    rc = dusk_graph_add(g, key, op, a != Py_None ? b.buf : NULL,
                        a != Py_None ? (size_t)b.len : 0, dk, (size_t)nd);
    if (a != Py_None)
      PyBuffer_Release(&b);
    PyMem_Free(dk);
    Py_DECREF(dfast);
    if (rc != 0) {
      if (rc == DUSK_ENOMEM)
        PyErr_NoMemory();
      else
        PyErr_Format(PyExc_ValueError, "task '%s' (op '%s'): %s", key, op,
                     dusk_strerror(rc));
      goto fail;
    }
  }
  if ((want = key_array(wanted, &wfast, &nw)) == NULL)
    goto fail;
  if (!conn_enter(self))
    goto fail;
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_client_submit(self->c, g, want, (size_t)nw, -1, &err);
  Py_END_ALLOW_THREADS
  conn_leave(self);
  PyMem_Free(want);
  Py_DECREF(wfast);
  Py_DECREF(tfast);
  dusk_graph_free(g);
  if (rc != 0)
    return conn_error(self, &err);
  Py_RETURN_NONE;
fail:
  PyMem_Free(want);
  Py_XDECREF(wfast);
  Py_DECREF(tfast);
  dusk_graph_free(g);
  return NULL;
}

/* The timeout argument: None -> wait forever (-1), seconds -> ms. */
static int timeout_arg(PyObject *o, int *ms) {
  double s;
  if (o == NULL || o == Py_None) {
    *ms = -1;
    return 0;
  }
  s = PyFloat_AsDouble(o);
  if (s == -1.0 && PyErr_Occurred())
    return -1;
  if (!(s >= 0) || s > 2e6) {
    PyErr_SetString(PyExc_ValueError, "timeout must be 0 .. 2e6 seconds");
    return -1;
  }
  *ms = (int)(s * 1000.0 + 0.5);
  return 0;
}

/* gather(keys, timeout=None) -> list of results (msgpack decoded). */
static PyObject *conn_gather(ConnObject *self, PyObject *args) {
  PyObject *keys, *fast, *out = NULL, *to = Py_None;
  const char **ks;
  Py_ssize_t n;
  void **bufs;
  size_t *lens;
  dusk_error err = {0};
  int rc, ms;
  if (!PyArg_ParseTuple(args, "O|O", &keys, &to) || timeout_arg(to, &ms) != 0)
    return NULL;
  if ((ks = key_array(keys, &fast, &n)) == NULL)
    return NULL;
  bufs = PyMem_Calloc(n ? (size_t)n : 1, sizeof *bufs);
  lens = PyMem_Calloc(n ? (size_t)n : 1, sizeof *lens);
  if (bufs == NULL || lens == NULL) {
    PyErr_NoMemory();
    goto done;
  }
  if (!conn_enter(self))
    goto done;
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_client_gather(self->c, ks, (size_t)n, ms, bufs, lens, &err);
  Py_END_ALLOW_THREADS
  if (rc == DUSK_EINTR)
    dusk_client_cancel(self->c, ks, (size_t)n, NULL);
  conn_leave(self);
  if (rc != 0) {
    conn_error(self, &err);
    goto done;
  }
  if ((out = PyList_New(n)) == NULL)
    goto done;
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *v = core_unpack_bytes(bufs[i], lens[i]);
    if (v == NULL) {
      Py_CLEAR(out);
      goto done;
    }
    PyList_SET_ITEM(out, i, v);
  }
done:
  for (Py_ssize_t i = 0; bufs != NULL && i < n; i++)
    dusk_free(bufs[i]);
  PyMem_Free(bufs);
  PyMem_Free(lens);
  PyMem_Free(ks);
  Py_DECREF(fast);
  return out;
}

/* wait(keys, timeout=None): returns None when all are done, raises the
 * first failure (TaskError with the worker's message, CanceledError,
 * TimeoutError). */
static PyObject *conn_wait(ConnObject *self, PyObject *args) {
  PyObject *keys, *fast, *to = Py_None;
  const char **ks;
  Py_ssize_t n;
  dusk_error err = {0};
  int rc, ms;
  if (!PyArg_ParseTuple(args, "O|O", &keys, &to) || timeout_arg(to, &ms) != 0)
    return NULL;
  if ((ks = key_array(keys, &fast, &n)) == NULL)
    return NULL;
  if (!conn_enter(self)) {
    PyMem_Free(ks);
    Py_DECREF(fast);
    return NULL;
  }
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_client_wait(self->c, ks, (size_t)n, ms, &err);
  Py_END_ALLOW_THREADS
  if (rc == DUSK_EINTR)
    dusk_client_cancel(self->c, ks, (size_t)n, NULL);
  conn_leave(self);
  PyMem_Free(ks);
  Py_DECREF(fast);
  if (rc != 0)
    return conn_error(self, &err);
  Py_RETURN_NONE;
}

/* status(key) -> "finished" | "pending" | "error" | "cancelled" | "lost",
 * without blocking (the connection's news is read first). */
static PyObject *conn_status(ConnObject *self, PyObject *args) {
  const char *key;
  dusk_error err = {0};
  int rc;
  if (!PyArg_ParseTuple(args, "s", &key))
    return NULL;
  if (!conn_enter(self))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_client_wait(self->c, &key, 1, 0, &err);
  Py_END_ALLOW_THREADS
  conn_leave(self);
  switch (rc) {
  case 0: return PyUnicode_FromString("finished");
  case DUSK_ETIMEDOUT: return PyUnicode_FromString("pending");
  case DUSK_ETASK:
  case DUSK_EGRAPH: return PyUnicode_FromString("error");
  case DUSK_ECANCELED: return PyUnicode_FromString("cancelled");
  case DUSK_ENOTFOUND: return PyUnicode_FromString("lost");
  case DUSK_EINTR: return conn_error(self, &err);
  default: return core_raise(&err);
  }
}

static PyObject *conn_keys_call(ConnObject *self, PyObject *args,
                                int (*fn)(dusk_client *, const char *const *,
                                          size_t, dusk_error *)) {
  PyObject *keys, *fast;
  const char **ks;
  Py_ssize_t n;
  dusk_error err = {0};
  int rc;
  if (!PyArg_ParseTuple(args, "O", &keys))
    return NULL;
  if ((ks = key_array(keys, &fast, &n)) == NULL)
    return NULL;
  if (!conn_enter(self)) {
    PyMem_Free(ks);
    Py_DECREF(fast);
    return NULL;
  }
  rc = fn(self->c, ks, (size_t)n, &err);
  conn_leave(self);
  PyMem_Free(ks);
  Py_DECREF(fast);
  if (rc != 0)
    return core_raise(&err);
  Py_RETURN_NONE;
}

static PyObject *conn_cancel(ConnObject *self, PyObject *args) {
  return conn_keys_call(self, args, dusk_client_cancel);
}

static PyObject *conn_release(ConnObject *self, PyObject *args) {
  return conn_keys_call(self, args, dusk_client_release);
}

/* compute(frame, timeout=None) -> Table. */
static PyObject *conn_compute(ConnObject *self, PyObject *args) {
  PyObject *frame, *to = Py_None;
  dusk_table *t = NULL;
  dusk_error err = {0};
  int rc, ms;
  if (!PyArg_ParseTuple(args, "O!|O", &core_FrameType, &frame, &to) ||
      timeout_arg(to, &ms) != 0)
    return NULL;
  if (!conn_enter(self))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_compute(self->c, ((core_Frame *)frame)->f, ms, &t, &err);
  Py_END_ALLOW_THREADS
  conn_leave(self);
  if (rc != 0)
    return conn_error(self, &err);
  if (late_interrupt(self)) {
    dusk_table_free(t);
    return NULL;
  }
  return core_table_wrap(t);
}

/* persist(frame, timeout=None) -> (Frame reading the partitions, key,
 * rows kept). */
static PyObject *conn_persist(ConnObject *self, PyObject *args) {
  PyObject *frame, *to = Py_None, *wrapped;
  dusk_dataframe *out = NULL;
  dusk_error err = {0};
  int64_t rows = 0;
  int rc, ms;
  if (!PyArg_ParseTuple(args, "O!|O", &core_FrameType, &frame, &to) ||
      timeout_arg(to, &ms) != 0)
    return NULL;
  if (!conn_enter(self))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_persist(self->c, ((core_Frame *)frame)->f, ms, &out, &rows, &err);
  Py_END_ALLOW_THREADS
  conn_leave(self);
  if (rc != 0)
    return conn_error(self, &err);
  if (late_interrupt(self)) {
    dusk_unpersist(self->c, out, NULL);
    dusk_dataframe_free(out);
    return NULL;
  }
  if ((wrapped = core_frame_wrap(out)) == NULL)
    return NULL;
  return Py_BuildValue("(NsL)", wrapped, dusk_dataframe_persisted(out),
                       (long long)rows);
}

/* workers(min_workers=0, timeout=30) -> list of dicts.  The default
 * wait is an RPC's, as Dask's comm timeouts: a scheduler busy on a loaded
 * machine (a sanitizer build beside other work) once took over 10 s. */
static PyObject *conn_workers(ConnObject *self, PyObject *args) {
  unsigned min = 0;
  PyObject *to = NULL, *out;
  dusk_worker_status ws[256];
  size_t n = 0;
  uint64_t ntasks = 0;
  dusk_error err = {0};
  int rc, ms = 30000;
  if (!PyArg_ParseTuple(args, "|IO", &min, &to))
    return NULL;
  if (to != NULL && timeout_arg(to, &ms) != 0)
    return NULL;
  if (!conn_enter(self))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_client_workers(self->c, min, ms, ws, 256, &n, &ntasks, &err);
  Py_END_ALLOW_THREADS
  conn_leave(self);
  if (rc != 0)
    return conn_error(self, &err);
  if ((out = PyList_New((Py_ssize_t)n)) == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    PyObject *d = Py_BuildValue(
        "{s:K,s:L,s:s,s:I,s:K,s:s,s:d,s:K,s:K,s:K,s:I}", "id", ws[i].id,
        "pid", (long long)ws[i].pid, "address", ws[i].addr, "processing",
        ws[i].nprocessing, "keys", ws[i].nkeys, "host_id", ws[i].host_id,
        "cpu_percent", ws[i].cpu_percent, "rss_bytes",
        (unsigned long long)ws[i].rss_bytes, "memory_limit_bytes",
        (unsigned long long)ws[i].memory_limit_bytes, "bytes_scanned",
        (unsigned long long)ws[i].bytes_scanned, "tasks_running",
        ws[i].tasks_running);
    if (d == NULL) {
      Py_DECREF(out);
      return NULL;
    }
    PyList_SET_ITEM(out, (Py_ssize_t)i, d);
  }
  return out;
}

/* stats() -> dict of the scheduler's health (dusk stats). */
/* The scheduler's live page as this client names it, or None. */
static PyObject *conn_dashboard_link(ConnObject *self, PyObject *unused) {
  char link[512];
  dusk_error err = {0};
  int rc;
  (void)unused;
  if (!conn_enter(self))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_client_dashboard_link(self->c, 10000, link, sizeof link, &err);
  Py_END_ALLOW_THREADS
  conn_leave(self);
  if (rc != 0)
    return conn_error(self, &err);
  if (link[0] == '\0')
    Py_RETURN_NONE;
  return PyUnicode_FromString(link);
}

static PyObject *conn_stats(ConnObject *self, PyObject *unused) {
  dusk_scheduler_stats st;
  dusk_error err = {0};
  int rc;
  (void)unused;
  if (!conn_enter(self))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_client_stats(self->c, 10000, &st, &err);
  Py_END_ALLOW_THREADS
  conn_leave(self);
  if (rc != 0)
    return conn_error(self, &err);
  {
    PyObject *d = Py_BuildValue(
        "{s:K,s:I,s:I,s:K,s:K,s:K,s:I,s:I,s:I}", "tasks", st.ntasks,
        "workers", st.nworkers, "clients", st.nclients, "rss_bytes",
        st.rss_bytes, "peak_rss_bytes", st.peak_rss_bytes,
        "heartbeat_samples", st.hb_samples, "heartbeat_rtt_p50_us",
        st.hb_rtt_p50_us, "heartbeat_rtt_p99_us", st.hb_rtt_p99_us,
        "heartbeat_rtt_max_us", st.hb_rtt_max_us);
    PyObject *as;
    if (d == NULL || !st.autoscale)
      return d;
    as = Py_BuildValue("{s:I,s:I,s:I,s:I,s:K,s:K,s:K}", "target",
                       st.as_target, "pending", st.as_pending, "running",
                       st.as_running, "closing", st.as_closing, "launched",
                       st.as_launched, "stopped", st.as_stopped, "work_ms",
                       st.as_work_ms);
    if (as == NULL || PyDict_SetItemString(d, "autoscale", as) != 0) {
      Py_XDECREF(as);
      Py_DECREF(d);
      return NULL;
    }
    Py_DECREF(as);
    return d;
  }
}

/* set_profiling(bool): profile the queries computed from now on. */
static PyObject *conn_set_profiling(ConnObject *self, PyObject *on) {
  int v = PyObject_IsTrue(on);
  if (v < 0)
    return NULL;
  if (!conn_enter(self))
    return NULL;
  dusk_client_set_profiling(self->c, v);
  conn_leave(self);
  Py_RETURN_NONE;
}

/* take_profile() -> the last computed query's Profile, or None. */
static PyObject *conn_take_profile(ConnObject *self, PyObject *unused) {
  dusk_profile *p;
  (void)unused;
  if (!conn_enter(self))
    return NULL;
  p = dusk_client_take_profile(self->c);
  conn_leave(self);
  return core_profile_wrap(p);
}

/* set_progress(callable or None) */
static PyObject *conn_set_progress(ConnObject *self, PyObject *fn) {
  if (fn != Py_None && !PyCallable_Check(fn)) {
    PyErr_SetString(PyExc_TypeError, "progress must be callable or None");
    return NULL;
  }
  Py_XDECREF(self->progress);
  self->progress = fn == Py_None ? NULL : fn;
  Py_XINCREF(self->progress);
  Py_RETURN_NONE;
}

static PyObject *conn_closed(ConnObject *self, void *unused) {
  (void)unused;
  return PyBool_FromLong(self->c == NULL);
}

static PyMethodDef conn_methods[] = {
    {"submit", (PyCFunction)conn_submit, METH_VARARGS,
     "submit(tasks, wanted): tasks are (key, op, args msgpack|None, deps)."},
    {"gather", (PyCFunction)conn_gather, METH_VARARGS,
     "gather(keys, timeout=None) -> list of decoded results."},
    {"wait", (PyCFunction)conn_wait, METH_VARARGS,
     "wait(keys, timeout=None): raises the first failure."},
    {"status", (PyCFunction)conn_status, METH_VARARGS,
     "status(key) -> finished | pending | error | cancelled | lost."},
    {"cancel", (PyCFunction)conn_cancel, METH_VARARGS, "cancel(keys)"},
    {"release", (PyCFunction)conn_release, METH_VARARGS, "release(keys)"},
    {"compute", (PyCFunction)conn_compute, METH_VARARGS,
     "compute(frame, timeout=None) -> Table"},
    {"persist", (PyCFunction)conn_persist, METH_VARARGS,
     "persist(frame, timeout=None) -> (Frame, key, rows)"},
    {"workers", (PyCFunction)conn_workers, METH_VARARGS,
     "workers(min_workers=0, timeout=30) -> list of dicts"},
    {"stats", (PyCFunction)conn_stats, METH_NOARGS, "the scheduler's health"},
    {"dashboard_link", (PyCFunction)conn_dashboard_link, METH_NOARGS,
     "the scheduler's live page as this client reaches it, or None"},
    {"close", (PyCFunction)conn_close, METH_NOARGS, "closes the connection"},
    {"set_profiling", (PyCFunction)conn_set_profiling, METH_O,
     "set_profiling(on): record the queries computed from now on"},
    {"take_profile", (PyCFunction)conn_take_profile, METH_NOARGS,
     "take_profile() -> the last computed query's Profile, or None"},
    {"set_progress", (PyCFunction)conn_set_progress, METH_O,
     "set_progress(fn): fn(key, tasks_done, tasks_total, bytes_done, "
     "bytes_total) for each progress report of a running query"},
    {NULL}};

static PyGetSetDef conn_getset[] = {
    {"closed", (getter)conn_closed, NULL, "whether close() ran", NULL},
    {NULL}};

PyTypeObject core_ConnectionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dusk._core.Connection",
    .tp_basicsize = sizeof(ConnObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Connection(address=None, token=None, tls=None, "
              "timeout_ms=10000, cluster=None): one client connection.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)conn_init,
    .tp_dealloc = (destructor)conn_dealloc,
    .tp_methods = conn_methods,
    .tp_getset = conn_getset,
};
