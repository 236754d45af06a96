/* core_profile.c - a computed query's profile (dusk.h's dusk_profile) as
 * dusk._core.Profile, and write_report(filename, profiles): what
 * dusk.performance_report is made of. */
#include "core.h"

#include <errno.h>

typedef struct {
  PyObject_HEAD
  dusk_profile *p;
} core_Profile;

PyObject *core_profile_wrap(dusk_profile *p) {
  core_Profile *o;
  if (p == NULL)
    Py_RETURN_NONE;
  o = PyObject_New(core_Profile, &core_ProfileType);
  if (o == NULL) {
    dusk_profile_free(p);
    return NULL;
  }
  o->p = p;
  return (PyObject *)o;
}

static void profile_dealloc(core_Profile *self) {
  dusk_profile_free(self->p);
  PyObject_Free(self);
}

/* The totals, for a look without writing a report: key, plan, tasks
 * (recorded), ntasks (submitted), attempts, wall_us, planned_us, rows. */
static PyObject *profile_summary(core_Profile *self, PyObject *unused) {
  const dusk_profile *p = self->p;
  (void)unused;
  return Py_BuildValue("{s:s,s:s,s:n,s:K,s:I,s:K,s:K,s:K}", "key", p->key,
                       "plan", p->plan ? p->plan : "", "tasks",
                       (Py_ssize_t)p->ntask_records, "ntasks",
                       (unsigned long long)p->ntasks, "attempts", p->attempts,
                       "wall_us", (unsigned long long)p->wall_us,
                       "planned_us", (unsigned long long)p->planned_us, "rows",
                       (unsigned long long)p->rows);
}

static PyMethodDef profile_methods[] = {
    {"summary", (PyCFunction)profile_summary, METH_NOARGS,
     "summary() -> dict of the query's totals"},
    {NULL}};

PyTypeObject core_ProfileType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dusk._core.Profile",
    .tp_basicsize = sizeof(core_Profile),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The task records of one computed query "
              "(Connection.take_profile).",
    .tp_dealloc = (destructor)profile_dealloc,
    .tp_methods = profile_methods,
};

/* write_report(filename, profiles): one HTML report of the profiles, in
 * order.  An OSError naming the file when it cannot be written. */
PyObject *core_write_report(PyObject *self, PyObject *args) {
  PyObject *path, *seq, *fast;
  const dusk_profile **ps;
  Py_ssize_t n;
  dusk_error err = {0};
  int rc;
  (void)self;
  if (!PyArg_ParseTuple(args, "O&O", PyUnicode_FSConverter, &path, &seq))
    return NULL;
  fast = PySequence_Fast(seq, "profiles must be a sequence of Profile");
  if (fast == NULL) {
    Py_DECREF(path);
    return NULL;
  }
  n = PySequence_Fast_GET_SIZE(fast);
  ps = PyMem_Calloc(n ? (size_t)n : 1, sizeof *ps);
  if (ps == NULL) {
    Py_DECREF(fast);
    Py_DECREF(path);
    return PyErr_NoMemory();
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *o = PySequence_Fast_GET_ITEM(fast, i);
    if (!PyObject_TypeCheck(o, &core_ProfileType)) {
      PyErr_SetString(PyExc_TypeError, "profiles must be Profile objects");
      PyMem_Free(ps);
      Py_DECREF(fast);
      Py_DECREF(path);
      return NULL;
    }
    ps[i] = ((core_Profile *)o)->p;
  }
  /* The profiles stay alive through fast while the GIL is released. */
  Py_BEGIN_ALLOW_THREADS
  rc = dusk_profile_write_html(ps, (size_t)n, PyBytes_AS_STRING(path), &err);
  Py_END_ALLOW_THREADS
  PyMem_Free(ps);
  Py_DECREF(fast);
  if (rc != 0) {
    /* libdusk reports a file's error as a negative errno: OSError(errno,
     * its message naming the file). */
    if (rc < 0 && -rc < 4096) {
      PyObject *e = Py_BuildValue("(is)", -rc, err.message);
      if (e != NULL) {
        PyErr_SetObject(PyExc_OSError, e);
        Py_DECREF(e);
      }
    } else {
      core_raise(&err);
    }
    Py_DECREF(path);
    return NULL;
  }
  Py_DECREF(path);
  Py_RETURN_NONE;
}
