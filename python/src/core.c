/* core.c - the dusk._core module: its types, functions and exceptions. */
#include "core.h"

#include <string.h>

static PyObject *core_version(PyObject *self, PyObject *unused) {
  (void)self;
  (void)unused;
  return PyUnicode_FromString(dusk_version_string());
}

static PyMethodDef core_functions[] = {
    {"read_csv", (PyCFunction)(void (*)(void))core_read_csv,
     METH_VARARGS | METH_KEYWORDS,
     "read_csv(paths, blocksize=0, usecols=None, dtype=None, sep=None, "
     "anon=False) -> "
     "Frame"},
    {"parse", core_parse, METH_VARARGS,
     "parse(expression) -> Frame, from the dusk CLI's query language"},
    {"concat", core_concat, METH_VARARGS, "concat(frames) -> Frame"},
    {"packb", core_packb, METH_O, "packb(obj) -> msgpack bytes"},
    {"unpackb", core_unpackb, METH_O, "unpackb(bytes) -> obj"},
    {"version", core_version, METH_NOARGS, "libdusk's version string"},
    {"write_report", core_write_report, METH_VARARGS,
     "write_report(filename, profiles): the HTML performance report"},
    {NULL}};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "dusk._core",
    "The CPython binding of libdusk (see the dusk package).", -1,
    core_functions};

static int add_type(PyObject *m, PyTypeObject *t, const char *name) {
  if (PyType_Ready(t) < 0)
    return -1;
  Py_INCREF(t);
  if (PyModule_AddObject(m, name, (PyObject *)t) < 0) {
    Py_DECREF(t);
    return -1;
  }
  return 0;
}

static int add_exception(PyObject *m, PyObject **slot, const char *name,
                         PyObject *base, const char *doc) {
  *slot = PyErr_NewExceptionWithDoc(name, doc, base, NULL);
  if (*slot == NULL)
    return -1;
  Py_INCREF(*slot);
  if (PyModule_AddObject(m, strrchr(name, '.') + 1, *slot) < 0) {
    Py_DECREF(*slot);
    return -1;
  }
  return 0;
}

PyMODINIT_FUNC PyInit__core(void);
PyMODINIT_FUNC PyInit__core(void) {
  PyObject *m = PyModule_Create(&core_module), *cancelled = NULL, *cf;
  if (m == NULL)
    return NULL;
  /* Dask raises concurrent.futures' CancelledError for a cancelled future:
   * ours derives from it, so the same except clause catches both. */
  if ((cf = PyImport_ImportModule("concurrent.futures")) != NULL) {
    cancelled = PyObject_GetAttrString(cf, "CancelledError");
    Py_DECREF(cf);
  }
  if (cancelled == NULL)
    goto fail;
  if (add_type(m, &core_ClusterType, "Cluster") < 0 ||
      add_type(m, &core_ConnectionType, "Connection") < 0 ||
      add_type(m, &core_FrameType, "Frame") < 0 ||
      add_type(m, &core_TableType, "Table") < 0 ||
      add_type(m, &core_ProfileType, "Profile") < 0 ||
      add_exception(m, &core_DuskError, "dusk.DuskError",
                    PyExc_RuntimeError,
                    "An error reported by the dusk cluster or library.") < 0 ||
      add_exception(m, &core_TaskError, "dusk.TaskError", core_DuskError,
                    "A task failed on a worker; the message is the "
                    "worker's.") < 0 ||
      add_exception(m, &core_CanceledError, "dusk.CancelledError",
                    cancelled, "The key was cancelled.") < 0)
    goto fail;
  Py_DECREF(cancelled);
  return m;
fail:
  Py_XDECREF(cancelled);
  Py_DECREF(m);
  return NULL;
}
