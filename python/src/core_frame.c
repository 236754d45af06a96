/* core_frame.c - _core.Frame (a lazy dusk_dataframe) and _core.Table (a
 * computed dusk_table).
 *
 * A Frame is immutable: every method copies the plan and extends the copy
 * through libdusk's builders (which consume their input), so Python can
 * share a frame between several derived ones, as pandas users do.  A Table
 * hands its columns to Python in bulk (dusk_table_column_view): numbers as
 * raw little-endian bytes for numpy.frombuffer, strings as a list. */
#include "core.h"

#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- Frame --------------------------------------------------------------- */

static void frame_dealloc(core_Frame *self) {
  dusk_dataframe_free(self->f);
  Py_XDECREF(self->keep);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Wraps f (taking it), or raises err when f is NULL. */
static PyObject *frame_wrap(dusk_dataframe *f, const dusk_error *err) {
  core_Frame *o;
  if (f == NULL)
    return core_raise(err);
  o = PyObject_New(core_Frame, &core_FrameType);
  if (o == NULL) {
    dusk_dataframe_free(f);
    return NULL;
  }
  o->f = f;
  o->keep = NULL;
  return (PyObject *)o;
}

PyObject *core_frame_wrap(dusk_dataframe *f) { return frame_wrap(f, NULL); }

/* frame_wrap for a frame made from parent: it keeps alive what parent
 * keeps (the handles of persisted partitions its reads use). */
static PyObject *frame_wrap_from(core_Frame *parent, dusk_dataframe *f,
                                 const dusk_error *err) {
  PyObject *o = frame_wrap(f, err);
  if (o != NULL && parent->keep != NULL) {
    Py_INCREF(parent->keep);
    ((core_Frame *)o)->keep = parent->keep;
  }
  return o;
}

/* Both keeps (either may be NULL) as one new reference, or NULL. */
static PyObject *keep_both(PyObject *a, PyObject *b) {
  if (a == NULL || b == NULL || a == b) {
    PyObject *k = a != NULL ? a : b;
    Py_XINCREF(k);
    return k;
  }
  return PyTuple_Pack(2, a, b);
}

/* A copy of self's plan to extend, or NULL with a Python error. */
static dusk_dataframe *frame_copy(core_Frame *self) {
  dusk_error err = {0};
  dusk_dataframe *f = dusk_dataframe_copy(self->f, &err);
  if (f == NULL)
    core_raise(&err);
  return f;
}

/* A sequence of str as a PyMem array of borrowed pointers; entries may be
 * None (NULL) when allow_none.  NULL with a Python error. */
static const char **str_array(PyObject *seq, int allow_none,
                              PyObject **fast_out, Py_ssize_t *n_out,
                              const char *what) {
  PyObject *fast = PySequence_Fast(seq, what);
  const char **a;
  Py_ssize_t n;
  if (fast == NULL)
    return NULL;
  n = PySequence_Fast_GET_SIZE(fast);
  if ((a = PyMem_Calloc(n ? (size_t)n : 1, sizeof *a)) == NULL) {
    Py_DECREF(fast);
    PyErr_NoMemory();
    return NULL;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *s = PySequence_Fast_GET_ITEM(fast, i);
    if (allow_none && s == Py_None)
      continue;
    Py_ssize_t len = 0;
    if (!PyUnicode_Check(s) ||
        (a[i] = PyUnicode_AsUTF8AndSize(s, &len)) == NULL) {
      if (!PyErr_Occurred())
        PyErr_Format(PyExc_TypeError, "%s: expected str, got %.100s", what,
                     Py_TYPE(s)->tp_name);
      PyMem_Free(a);
      Py_DECREF(fast);
      return NULL;
    }
    if (strlen(a[i]) != (size_t)len) {
      PyErr_Format(PyExc_ValueError, "%s: a name holds a NUL byte", what);
      PyMem_Free(a);
      Py_DECREF(fast);
      return NULL;
    }
  }
  *fast_out = fast;
  *n_out = n;
  return a;
}

/* A sequence of numbers as a PyMem array of doubles (room for one more),
 * *n_out of them.  NULL with a Python error. */
static double *float_array(PyObject *seq, Py_ssize_t *n_out,
                           const char *what) {
  PyObject *fast = PySequence_Fast(seq, what);
  double *a = NULL;
  Py_ssize_t n;
  if (fast == NULL)
    return NULL;
  n = PySequence_Fast_GET_SIZE(fast);
  if ((a = PyMem_Calloc((size_t)n + 1, sizeof *a)) == NULL) {
    PyErr_NoMemory();
    goto done;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    a[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fast, i));
    if (a[i] == -1.0 && PyErr_Occurred()) {
      PyMem_Free(a);
      a = NULL;
      goto done;
    }
  }
  *n_out = n;
done:
  Py_DECREF(fast);
  return a;
}

static PyObject *frame_fillna(core_Frame *self, PyObject *args) {
  PyObject *value;
  const char *column = NULL;
  dusk_dataframe *f, *out;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "O|z", &value, &column))
    return NULL;
  if (PyBool_Check(value)) {
    PyErr_SetString(PyExc_NotImplementedError,
                    "fillna with a bool value is not supported by dusk");
    return NULL;
  }
  if (!PyLong_Check(value) && !PyFloat_Check(value) &&
      !PyUnicode_Check(value)) {
    PyErr_Format(PyExc_NotImplementedError,
                 "fillna with a %.100s value is not supported by dusk "
                 "(int, float or str)",
                 Py_TYPE(value)->tp_name);
    return NULL;
  }
  if ((f = frame_copy(self)) == NULL)
    return NULL;
  if (PyLong_Check(value)) {
    long long v = PyLong_AsLongLong(value);
    if (v == -1 && PyErr_Occurred()) {
      dusk_dataframe_free(f);
      return NULL;
    }
    out = dusk_fillna_int(f, column, v, &err);
  } else if (PyFloat_Check(value)) {
    out = dusk_fillna_float(f, column, PyFloat_AS_DOUBLE(value), &err);
  } else {
    const char *s = PyUnicode_AsUTF8(value);
    if (s == NULL) {
      dusk_dataframe_free(f);
      return NULL;
    }
    out = dusk_fillna_str(f, column, s, &err);
  }
  return frame_wrap_from(self, out, &err);
}

static PyObject *frame_assign(core_Frame *self, PyObject *args) {
  const char *name, *expr;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "ss", &name, &expr) ||
      (f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_assign(f, name, expr, &err), &err);
}

static PyObject *frame_query(core_Frame *self, PyObject *args) {
  const char *expr;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "s", &expr) || (f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_query(f, expr, &err), &err);
}

static PyObject *frame_sample(core_Frame *self, PyObject *args) {
  double frac;
  unsigned long long seed;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "dK", &frac, &seed) ||
      (f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_sample(f, frac, (uint64_t)seed, &err), &err);
}

static PyObject *frame_select(core_Frame *self, PyObject *args) {
  PyObject *cols, *fast;
  const char **a;
  Py_ssize_t n;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "O", &cols))
    return NULL;
  if ((a = str_array(cols, 0, &fast, &n, "columns")) == NULL)
    return NULL;
  if ((f = frame_copy(self)) == NULL) {
    PyMem_Free(a);
    Py_DECREF(fast);
    return NULL;
  }
  f = dusk_select(f, a, (size_t)n, &err);
  PyMem_Free(a);
  Py_DECREF(fast);
  return frame_wrap_from(self, f, &err);
}

/* rename(old, new): the columns old[i] named new[i], keeping places
 * (dusk.h dusk_rename; swaps and chains are the engine's to order). */
/* merge(right, how, left_on, right_on, suffixes): dusk_merge. */
static PyObject *frame_merge(core_Frame *self, PyObject *args) {
  PyObject *right, *lon, *ron, *sfx, *lf = NULL, *rf = NULL, *sf = NULL,
                                     *out = NULL;
  const char *how, **l = NULL, **r = NULL, **sx = NULL;
  Py_ssize_t nl, nr, ns;
  dusk_dataframe *a, *b;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "O!sOOO", &core_FrameType, &right, &how, &lon,
                        &ron, &sfx))
    return NULL;
  if ((l = str_array(lon, 0, &lf, &nl, "left_on")) == NULL ||
      (r = str_array(ron, 0, &rf, &nr, "right_on")) == NULL ||
      (sx = str_array(sfx, 0, &sf, &ns, "suffixes")) == NULL)
    goto done;
  if (nl != nr || ns != 2) {
    PyErr_SetString(PyExc_ValueError,
                    nl != nr ? "len(right_on) must equal len(left_on)"
                             : "suffixes is a pair of strings");
    goto done;
  }
  if ((a = frame_copy(self)) == NULL)
    goto done;
  if ((b = frame_copy((core_Frame *)right)) == NULL) {
    dusk_dataframe_free(a);
    goto done;
  }
  out = frame_wrap_from(self, dusk_merge(a, b, how, l, r, (size_t)nl, sx,
                                         &err), &err);
  if (out != NULL && ((core_Frame *)right)->keep != NULL) {
    PyObject *k = keep_both(((core_Frame *)out)->keep,
                            ((core_Frame *)right)->keep);
    Py_XSETREF(((core_Frame *)out)->keep, k);
  }
done:
  PyMem_Free(l);
  PyMem_Free(r);
  PyMem_Free(sx);
  Py_XDECREF(lf);
  Py_XDECREF(rf);
  Py_XDECREF(sf);
  return out;
}

static PyObject *frame_rename(core_Frame *self, PyObject *args) {
  PyObject *olds, *news, *of = NULL, *nf = NULL, *out = NULL;
  const char **o = NULL, **nn = NULL;
  Py_ssize_t no, nnew;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "OO", &olds, &news))
    return NULL;
  if ((o = str_array(olds, 0, &of, &no, "old names")) == NULL ||
      (nn = str_array(news, 0, &nf, &nnew, "new names")) == NULL)
    goto done;
  if (no != nnew) {
    PyErr_SetString(PyExc_ValueError, "one new name per column");
    goto done;
  }
  if ((f = frame_copy(self)) == NULL)
    goto done;
  out = frame_wrap_from(self, dusk_rename(f, o, nn, (size_t)no, &err), &err);
done:
  PyMem_Free(o);
  PyMem_Free(nn);
  Py_XDECREF(of);
  Py_XDECREF(nf);
  return out;
}

/* groupby(keys, columns, funcs): columns[i] None = every non-key column. */
/* groupby(keys, columns, funcs, labels=None): labels (None or a list
 * of str or None, one per aggregate) are dusk_groupby_labels'. */
static PyObject *frame_groupby(core_Frame *self, PyObject *args) {
  PyObject *keys, *cols, *funcs, *labels = Py_None;
  PyObject *kf = NULL, *cf = NULL, *ff = NULL, *lf = NULL;
  const char **k = NULL, **c = NULL, **fn = NULL, **l = NULL;
  Py_ssize_t nk, nc, nf, nl = 0;
  dusk_dataframe *f = NULL;
  dusk_error err = {0};
  PyObject *out = NULL;
  if (!PyArg_ParseTuple(args, "OOO|O", &keys, &cols, &funcs, &labels))
    return NULL;
  if ((k = str_array(keys, 0, &kf, &nk, "groupby keys")) == NULL ||
      (c = str_array(cols, 1, &cf, &nc, "groupby columns")) == NULL ||
      (fn = str_array(funcs, 0, &ff, &nf, "groupby functions")) == NULL ||
      (labels != Py_None &&
       (l = str_array(labels, 1, &lf, &nl, "groupby labels")) == NULL))
    goto done;
  if (nc != nf || (l != NULL && nl != nf)) {
    PyErr_SetString(PyExc_ValueError, "one function (and label) per column");
    goto done;
  }
  if ((f = frame_copy(self)) == NULL)
    goto done;
  f = dusk_groupby(f, k, (size_t)nk, c, fn, (size_t)nf, &err);
  if (f != NULL && l != NULL) /* else err says why groupby failed */
    f = dusk_groupby_labels(f, l, (size_t)nl, &err);
  out = frame_wrap_from(self, f, &err);
done:
  PyMem_Free(k);
  PyMem_Free(c);
  PyMem_Free(fn);
  PyMem_Free(l);
  Py_XDECREF(kf);
  Py_XDECREF(cf);
  Py_XDECREF(ff);
  Py_XDECREF(lf);
  return out;
}

/* reduce(columns, funcs): a whole-frame reduction (None: every column the
 * function applies to). */
static PyObject *frame_reduce(core_Frame *self, PyObject *args) {
  PyObject *cols, *funcs, *cf = NULL, *ff = NULL, *out = NULL;
  const char **c = NULL, **fn = NULL;
  Py_ssize_t nc, nf;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "OO", &cols, &funcs))
    return NULL;
  if ((c = str_array(cols, 1, &cf, &nc, "reduce columns")) == NULL ||
      (fn = str_array(funcs, 0, &ff, &nf, "reduce functions")) == NULL)
    goto done;
  if (nc != nf) {
    PyErr_SetString(PyExc_ValueError, "one function per column");
    goto done;
  }
  if ((f = frame_copy(self)) == NULL)
    goto done;
  out = frame_wrap_from(self, dusk_reduce(f, c, fn, (size_t)nf, &err), &err);
done:
  PyMem_Free(c);
  PyMem_Free(fn);
  Py_XDECREF(cf);
  Py_XDECREF(ff);
  return out;
}

static PyObject *frame_value_counts(core_Frame *self, PyObject *args) {
  const char *col;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "s", &col) || (f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_value_counts(f, col, &err), &err);
}

/* groupby_value_counts(keys, column, group_dropna, as_index):
 * groupby(keys, dropna=group_dropna, as_index=as_index)[column]
 * .value_counts() (the keys made columns by the caller) */
static PyObject *frame_groupby_value_counts(core_Frame *self, PyObject *args) {
  PyObject *keys, *kf = NULL, *out = NULL;
  const char **k = NULL, *col;
  Py_ssize_t nk;
  int group_dropna, as_index;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "Ospp", &keys, &col, &group_dropna, &as_index))
    return NULL;
  if ((k = str_array(keys, 0, &kf, &nk, "groupby keys")) == NULL)
    goto done;
  if ((f = frame_copy(self)) == NULL)
    goto done;
  out = frame_wrap_from(self, 
      dusk_groupby_value_counts(f, k, (size_t)nk, col, group_dropna,
                                as_index, &err),
      &err);
done:
  PyMem_Free(k);
  Py_XDECREF(kf);
  return out;
}

static PyObject *frame_split_out(core_Frame *self, PyObject *args) {
  int n;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "i", &n) || (f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_groupby_split_out(f, n, &err), &err);
}

static PyObject *frame_dropna_keys(core_Frame *self, PyObject *args) {
  int dropna;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "p", &dropna) || (f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_dropna_keys(f, dropna != 0, &err), &err);
}

/* normalize_counts(): value_counts(normalize=True), each count as its
 * share, computed in the query's final task (before any step after it) */
static PyObject *frame_normalize_counts(core_Frame *self,
                                        PyObject *Py_UNUSED(args)) {
  dusk_dataframe *f;
  dusk_error err = {0};
  if ((f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_value_counts_normalize(f, 1, &err), &err);
}

static PyObject *frame_quantile_q(core_Frame *self, PyObject *args) {
  double q;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "d", &q) || (f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_groupby_quantile_q(f, q, &err), &err);
}

static PyObject *frame_head(core_Frame *self, PyObject *args) {
  long long n;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "L", &n) || (f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_head(f, n, &err), &err);
}

static PyObject *frame_tail(core_Frame *self, PyObject *args) {
  long long n;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "L", &n) || (f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_tail(f, n, &err), &err);
}

/* sort_values(by, ascending, kind=None): by a list of column names
 * (empty: the one value column of a Series-shaped result), ascending a
 * list of bools (one for all, or one per column), kind pandas' (None:
 * quicksort, its default). */
static PyObject *frame_sort_values(core_Frame *self, PyObject *args) {
  PyObject *by, *asc, *fast = NULL, *afast = NULL;
  Py_ssize_t nby = 0, nasc;
  const char **names = NULL, *kind = NULL;
  int flags[64];
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "OO|z", &by, &asc, &kind))
    return NULL;
  if ((names = str_array(by, 0, &fast, &nby, "sort_values by")) == NULL)
    return NULL;
  if ((afast = PySequence_Fast(asc, "sort_values ascending")) == NULL)
    goto fail;
  nasc = PySequence_Fast_GET_SIZE(afast);
  if (nasc > 64) {
    PyErr_SetString(PyExc_ValueError, "sort_values: at most 64 columns");
    goto fail;
  }
  for (Py_ssize_t i = 0; i < nasc; i++) {
    int b = PyObject_IsTrue(PySequence_Fast_GET_ITEM(afast, i));
    if (b < 0)
      goto fail;
    flags[i] = b;
  }
  if ((f = frame_copy(self)) == NULL)
    goto fail;
  f = dusk_sort_values_kind(f, names, (size_t)nby, flags, (size_t)nasc, kind,
                            &err);
  PyMem_Free(names);
  Py_XDECREF(fast);
  Py_DECREF(afast);
  return frame_wrap_from(self, f, &err);
fail:
  PyMem_Free(names);
  Py_XDECREF(fast);
  Py_XDECREF(afast);
  return NULL;
}

/* set_index(keys, drop): those columns as the index (dusk_set_index: of
 * a whole frame's rows, sorted by them first, as Dask's). */
static PyObject *frame_set_index(core_Frame *self, PyObject *args) {
  PyObject *keys, *fast = NULL;
  Py_ssize_t n = 0;
  const char **names;
  int drop;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "Op", &keys, &drop))
    return NULL;
  if ((names = str_array(keys, 0, &fast, &n, "set_index keys")) == NULL)
    return NULL;
  if ((f = frame_copy(self)) != NULL)
    f = dusk_set_index(f, names, (size_t)n, drop, &err);
  PyMem_Free(names);
  Py_XDECREF(fast);
  if (f == NULL && err.code == 0) /* frame_copy's Python error */
    return NULL;
  return frame_wrap_from(self, f, &err);
}

/* npartitions(n): the range partitions of a whole frame's sort
 * (dusk_npartitions). */
static PyObject *frame_npartitions(core_Frame *self, PyObject *args) {
  unsigned int n;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "I", &n))
    return NULL;
  if ((f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_npartitions(f, n, &err), &err);
}

/* set_divisions(values): a list of ints, of floats or of strs, all of one
 * kind (the Python layer converts), as dusk_divisions_int / _float /
 * _str. */
static PyObject *frame_set_divisions(core_Frame *self, PyObject *args) {
  PyObject *values, *fast;
  Py_ssize_t n;
  void *buf = NULL;
  dusk_dataframe *f = NULL;
  dusk_error err = {0};
  int kind = -1; /* 0 int, 1 float, 2 str */
  if (!PyArg_ParseTuple(args, "O", &values))
    return NULL;
  if ((fast = PySequence_Fast(values, "divisions: a list")) == NULL)
    return NULL;
  n = PySequence_Fast_GET_SIZE(fast);
  if (n < 2 || n > 257) {
    PyErr_Format(PyExc_ValueError,
                 "divisions: %zd values (2 to 257: one more than the "
                 "partitions)", n);
    goto out;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *v = PySequence_Fast_GET_ITEM(fast, i);
    int k = PyLong_Check(v) && !PyBool_Check(v) ? 0
            : PyFloat_Check(v)                  ? 1
            : PyUnicode_Check(v)                ? 2
                                                : -1;
    if (k < 0 || (kind >= 0 && k != kind)) {
      PyErr_SetString(PyExc_TypeError,
                      "divisions: all ints, all floats or all strs");
      goto out;
    }
    kind = k;
  }
  if ((buf = PyMem_Calloc((size_t)n, 8)) == NULL) {
    PyErr_NoMemory();
    goto out;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *v = PySequence_Fast_GET_ITEM(fast, i);
    if (kind == 0)
      ((int64_t *)buf)[i] = PyLong_AsLongLong(v);
    else if (kind == 1)
      ((double *)buf)[i] = PyFloat_AsDouble(v);
    else if ((((const char **)buf)[i] = PyUnicode_AsUTF8(v)) == NULL)
      goto out;
    if (PyErr_Occurred())
      goto out;
  }
  if ((f = frame_copy(self)) == NULL)
    goto out;
  f = kind == 0   ? dusk_divisions_int(f, buf, (size_t)n, &err)
      : kind == 1 ? dusk_divisions_float(f, buf, (size_t)n, &err)
                  : dusk_divisions_str(f, buf, (size_t)n, &err);
  PyMem_Free(buf);
  Py_DECREF(fast);
  return frame_wrap_from(self, f, &err);
out:
  PyMem_Free(buf);
  Py_DECREF(fast);
  return NULL;
}

/* divisions(): the frame whose compute gives the divisions (dusk_divisions). */
static PyObject *frame_divisions(core_Frame *self, PyObject *noargs) {
  dusk_dataframe *f;
  dusk_error err = {0};
  (void)noargs;
  if ((f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_divisions(f, &err), &err);
}

/* drop_duplicates(columns): the first row of each distinct key. */
static PyObject *frame_drop_duplicates(core_Frame *self, PyObject *args) {
  PyObject *cols, *fast = NULL;
  Py_ssize_t n = 0;
  const char **names;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "O", &cols))
    return NULL;
  if ((names = str_array(cols, 0, &fast, &n, "drop_duplicates subset")) ==
      NULL)
    return NULL;
  if ((f = frame_copy(self)) != NULL)
    f = dusk_drop_duplicates(f, names, (size_t)n, &err);
  PyMem_Free(names);
  Py_XDECREF(fast);
  if (f == NULL && err.code == 0 && PyErr_Occurred())
    return NULL;
  return frame_wrap_from(self, f, &err);
}

/* nlargest(n, by, largest): a whole frame's top-k (dusk_nlargest). */
static PyObject *frame_nlargest(core_Frame *self, PyObject *args) {
  PyObject *by, *fast = NULL;
  Py_ssize_t nby = 0;
  long long n;
  int largest;
  const char **names;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "LOp", &n, &by, &largest))
    return NULL;
  if ((names = str_array(by, 0, &fast, &nby, "nlargest columns")) == NULL)
    return NULL;
  if ((f = frame_copy(self)) != NULL)
    f = dusk_nlargest(f, n, names, (size_t)nby, largest, &err);
  PyMem_Free(names);
  Py_XDECREF(fast);
  if (f == NULL && err.code == 0 && PyErr_Occurred())
    return NULL;
  return frame_wrap_from(self, f, &err);
}

static PyObject *frame_len(core_Frame *self, PyObject *unused) {
  dusk_dataframe *f;
  dusk_error err = {0};
  (void)unused;
  if ((f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_len(f, &err), &err);
}

/* describe(percentiles=None): pandas' describe(), or with these
 * percentiles (dusk_describe_percentiles refines them as pandas does). */
static PyObject *frame_describe(core_Frame *self, PyObject *args) {
  PyObject *qlist = Py_None, *out = NULL;
  double *qs = NULL;
  Py_ssize_t nq = 0;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "|O", &qlist) ||
      (qlist != Py_None &&
       (qs = float_array(qlist, &nq, "describe: percentiles")) == NULL) ||
      (f = frame_copy(self)) == NULL) {
    PyMem_Free(qs);
    return NULL;
  }
  out = frame_wrap_from(self, qs == NULL ? dusk_describe(f, &err)
                              : dusk_describe_percentiles(f, qs, (size_t)nq,
                                                          &err),
                   &err);
  PyMem_Free(qs);
  return out;
}

/* quantile(columns, qs, median): exact quantiles (no columns: every
 * number column); median: pandas' median() (qs is [0.5]). */
static PyObject *frame_quantile(core_Frame *self, PyObject *args) {
  PyObject *cols, *qlist, *cf = NULL, *out = NULL;
  const char **c = NULL;
  double *qs = NULL;
  Py_ssize_t nc = 0, nq = 0;
  int median = 0;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "OO|p", &cols, &qlist, &median))
    return NULL;
  if ((c = str_array(cols, 0, &cf, &nc, "quantile columns")) == NULL ||
      (qs = float_array(qlist, &nq, "quantile: q")) == NULL ||
      (f = frame_copy(self)) == NULL)
    goto done;
  out = frame_wrap_from(self, median ? dusk_median(f, c, (size_t)nc, &err)
                          : dusk_quantile(f, c, (size_t)nc, qs, (size_t)nq,
                                          &err),
                   &err);
done:
  PyMem_Free(c);
  PyMem_Free(qs);
  Py_XDECREF(cf);
  return out;
}

static PyObject *frame_to_csv(core_Frame *self, PyObject *args) {
  const char *dir;
  dusk_dataframe *f;
  dusk_error err = {0};
  if (!PyArg_ParseTuple(args, "s", &dir) || (f = frame_copy(self)) == NULL)
    return NULL;
  return frame_wrap_from(self, dusk_to_csv(f, dir, &err), &err);
}

static PyObject *frame_with_blocksize(core_Frame *self, PyObject *args) {
  long long bytes;
  dusk_dataframe *f;
  if (!PyArg_ParseTuple(args, "L", &bytes) || (f = frame_copy(self)) == NULL)
    return NULL;
  dusk_dataframe_set_blocksize(f, bytes);
  return frame_wrap_from(self, f, NULL);
}

/* persisted() -> the persist key of the frame's reads, or None. */
static PyObject *frame_persisted(core_Frame *self, PyObject *unused) {
  const char *k = dusk_dataframe_persisted(self->f);
  (void)unused;
  if (k == NULL)
    Py_RETURN_NONE;
  return PyUnicode_FromString(k);
}

/* merge_broadcast(b): Dask's merge(broadcast=) - True, False or None
 * (dusk.h dusk_merge_broadcast). */
static PyObject *frame_merge_broadcast(core_Frame *self, PyObject *arg) {
  dusk_error err = {0};
  int b = arg == Py_None ? -1 : PyObject_IsTrue(arg);
  if (b == -1 && arg != Py_None)
    return NULL;
  if (dusk_merge_broadcast(self->f, b, &err) != 0)
    return core_raise(&err);
  Py_RETURN_NONE;
}

/* merge_join(): this merge as pandas' DataFrame.join (dusk.h
 * dusk_merge_join): its rows keep their left rows' labels. */
static PyObject *frame_merge_join(core_Frame *self, PyObject *noargs) {
  dusk_error err = {0};
  (void)noargs;
  if (dusk_merge_join(self->f, &err) != 0)
    return core_raise(&err);
  Py_RETURN_NONE;
}

/* masked(name): whether the column is pandas' nullable Int64 / boolean
 * (dusk.h dusk_dataframe_column_masked). */
static PyObject *frame_masked(core_Frame *self, PyObject *args) {
  const char *name;
  if (!PyArg_ParseTuple(args, "s", &name))
    return NULL;
  return PyBool_FromLong(dusk_dataframe_column_masked(self->f, name));
}

/* keep(obj): this frame, and every frame made from it, hold obj (the
 * handle whose end releases the persisted partitions its reads use). */
static PyObject *frame_keep(core_Frame *self, PyObject *obj) {
  PyObject *k = keep_both(self->keep, obj);
  if (k == NULL && PyErr_Occurred())
    return NULL;
  Py_XSETREF(self->keep, k);
  Py_RETURN_NONE;
}

static PyMethodDef frame_methods[] = {
    {"split_out", (PyCFunction)frame_split_out, METH_VARARGS,
     "split_out(n): the groupby's groups in n hash parts"},
    {"persisted", (PyCFunction)frame_persisted, METH_NOARGS,
     "persisted() -> the persist key of the frame's reads, or None"},
    {"masked", (PyCFunction)frame_masked, METH_VARARGS,
     "masked(name) -> whether the column is pandas' Int64 / boolean"},
    {"keep", (PyCFunction)frame_keep, METH_O,
     "keep(obj): this frame and those made from it hold obj"},
    {"fillna", (PyCFunction)frame_fillna, METH_VARARGS,
     "fillna(value, column=None)"},
    {"query", (PyCFunction)frame_query, METH_VARARGS, "query(expr)"},
    {"select", (PyCFunction)frame_select, METH_VARARGS, "select(columns)"},
    {"rename", (PyCFunction)frame_rename, METH_VARARGS,
     "rename(old, new): columns renamed in place"},
    {"merge", (PyCFunction)frame_merge, METH_VARARGS,
     "merge(right, how, left_on, right_on, suffixes): pandas' merge"},
    {"merge_broadcast", (PyCFunction)frame_merge_broadcast, METH_O,
     "merge_broadcast(True | False | None): Dask's merge(broadcast=)"},
    {"merge_join", (PyCFunction)frame_merge_join, METH_NOARGS,
     "merge_join(): the merge as DataFrame.join (left rows' labels)"},
    {"groupby", (PyCFunction)frame_groupby, METH_VARARGS,
     "groupby(keys, columns, funcs, labels=None)"},
    {"value_counts", (PyCFunction)frame_value_counts, METH_VARARGS,
     "value_counts(column)"},
    {"sample", (PyCFunction)frame_sample, METH_VARARGS,
     "sample(frac, seed): each row kept with probability frac"},
    {"groupby_value_counts", (PyCFunction)frame_groupby_value_counts,
     METH_VARARGS,
     "groupby_value_counts(keys, column, group_dropna, as_index): "
     "groupby(keys)[column].value_counts()"},
    {"dropna_keys", (PyCFunction)frame_dropna_keys, METH_VARARGS,
     "dropna_keys(bool): pandas' dropna= of a groupby or value_counts"},
    {"normalize_counts", (PyCFunction)frame_normalize_counts, METH_NOARGS,
     "normalize_counts(): value_counts' counts as shares"},
    {"quantile_q", (PyCFunction)frame_quantile_q, METH_VARARGS,
     "quantile_q(q): the q of a groupby's quantile aggregates"},
    {"head", (PyCFunction)frame_head, METH_VARARGS, "head(n)"},
    {"assign", (PyCFunction)frame_assign, METH_VARARGS,
     "assign(name, expression): a derived column"},
    {"reduce", (PyCFunction)frame_reduce, METH_VARARGS,
     "reduce(columns, funcs): a whole-frame reduction"},
    {"tail", (PyCFunction)frame_tail, METH_VARARGS,
     "tail(n): the last n rows of a result"},
    {"sort_values", (PyCFunction)frame_sort_values, METH_VARARGS,
     "sort_values(by, ascending, kind=None): rows ordered"},
    {"set_index", (PyCFunction)frame_set_index, METH_VARARGS,
     "set_index(keys, drop): those columns as the index"},
    {"npartitions", (PyCFunction)frame_npartitions, METH_VARARGS,
     "npartitions(n): a whole frame's sort cut into n range partitions"},
    {"set_divisions", (PyCFunction)frame_set_divisions, METH_VARARGS,
     "set_divisions(values): a set_index's partition boundaries"},
    {"divisions", (PyCFunction)frame_divisions, METH_NOARGS,
     "divisions(): the frame whose result is the partition boundaries"},
    {"drop_duplicates", (PyCFunction)frame_drop_duplicates, METH_VARARGS,
     "drop_duplicates(columns): the first row of each distinct key"},
    {"nlargest", (PyCFunction)frame_nlargest, METH_VARARGS,
     "nlargest(n, by, largest): a whole frame's top-k"},
    {"len", (PyCFunction)frame_len, METH_NOARGS, "len()"},
    {"describe", (PyCFunction)frame_describe, METH_VARARGS,
     "describe(percentiles=None)"},
    {"quantile", (PyCFunction)frame_quantile, METH_VARARGS,
     "quantile(columns, qs, median=False): exact quantiles"},
    {"to_csv", (PyCFunction)frame_to_csv, METH_VARARGS, "to_csv(dir)"},
    {"with_blocksize", (PyCFunction)frame_with_blocksize, METH_VARARGS,
     "with_blocksize(bytes): the partition size of every read_csv that did "
     "not set one"},
    {NULL}};

PyTypeObject core_FrameType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dusk._core.Frame",
    .tp_basicsize = sizeof(core_Frame),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A lazy dusk dataframe plan (immutable).",
    .tp_dealloc = (destructor)frame_dealloc,
    .tp_methods = frame_methods,
};

/* read_csv(paths, blocksize=0, usecols=None, dtype=None, sep=None,
 *          anon=False) */
PyObject *core_read_csv(PyObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"paths", "blocksize", "usecols", "dtype", "sep",
                           "anon", NULL};
  PyObject *paths, *usecols = Py_None, *dtype = Py_None, *pf = NULL,
                   *uf = NULL, *dk = NULL, *dv = NULL, *dkf = NULL,
                   *dvf = NULL, *out = NULL;
  const char **p = NULL, **u = NULL, **dcols = NULL, **dnames = NULL;
  Py_ssize_t np = 0, nu = 0, nd = 0;
  long long blocksize = 0;
  const char *sep = NULL;
  int anon = 0;
  dusk_read_options o;
  dusk_error err = {0};
  (void)self;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O|LOOzp", kwlist, &paths,
                                   &blocksize, &usecols, &dtype, &sep, &anon))
    return NULL;
  dusk_read_options_init(&o);
  o.anon = anon != 0;
  if ((p = str_array(paths, 0, &pf, &np, "read_csv paths")) == NULL)
    goto done;
  o.blocksize = blocksize;
  if (sep != NULL) {
    if (strlen(sep) != 1) {
      PyErr_SetString(PyExc_ValueError, "sep must be one character");
      goto done;
    }
    o.sep = sep[0];
  }
  if (usecols != Py_None) {
    if ((u = str_array(usecols, 0, &uf, &nu, "usecols")) == NULL)
      goto done;
    o.usecols = u;
    o.nusecols = (size_t)nu;
  }
  if (dtype != Py_None) {
    Py_ssize_t n2;
    if (!PyDict_Check(dtype)) {
      PyErr_SetString(PyExc_TypeError, "dtype must be a dict");
      goto done;
    }
    if ((dk = PyDict_Keys(dtype)) == NULL || (dv = PyDict_Values(dtype)) == NULL)
      goto done;
    if ((dcols = str_array(dk, 0, &dkf, &nd, "dtype columns")) == NULL ||
        (dnames = str_array(dv, 0, &dvf, &n2, "dtype names")) == NULL)
      goto done;
    o.dtype_columns = dcols;
    o.dtype_names = dnames;
    o.ndtypes = (size_t)nd;
  }
  out = frame_wrap(dusk_read_csv(p, (size_t)np, &o, &err), &err);
done:
  PyMem_Free(p);
  PyMem_Free(u);
  PyMem_Free(dcols);
  PyMem_Free(dnames);
  Py_XDECREF(pf);
  Py_XDECREF(uf);
  Py_XDECREF(dk);
  Py_XDECREF(dv);
  Py_XDECREF(dkf);
  Py_XDECREF(dvf);
  return out;
}

/* parse(expression): a frame from the CLI's query language. */
PyObject *core_parse(PyObject *self, PyObject *args) {
  const char *expr;
  dusk_dataframe *f = NULL;
  dusk_error err = {0};
  (void)self;
  if (!PyArg_ParseTuple(args, "s", &expr))
    return NULL;
  if (dusk_dataframe_parse(expr, &f, &err) != 0)
    return core_raise(&err);
  return frame_wrap(f, &err);
}

/* concat(frames) */
PyObject *core_concat(PyObject *self, PyObject *args) {
  PyObject *frames, *fast;
  dusk_dataframe **fs;
  Py_ssize_t n;
  dusk_error err = {0};
  (void)self;
  if (!PyArg_ParseTuple(args, "O", &frames))
    return NULL;
  if ((fast = PySequence_Fast(frames, "concat takes a list of frames")) ==
      NULL)
    return NULL;
  n = PySequence_Fast_GET_SIZE(fast);
  if ((fs = PyMem_Calloc(n ? (size_t)n : 1, sizeof *fs)) == NULL) {
    Py_DECREF(fast);
    return PyErr_NoMemory();
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *o = PySequence_Fast_GET_ITEM(fast, i);
    if (!PyObject_TypeCheck(o, &core_FrameType)) {
      PyErr_Format(PyExc_TypeError, "concat: item %zd is a %.100s, not a frame",
                   i, Py_TYPE(o)->tp_name);
      goto fail;
    }
    if ((fs[i] = frame_copy((core_Frame *)o)) == NULL)
      goto fail;
  }
  {
    /* the concat keeps alive what each input keeps */
    PyObject *keep = NULL, *o;
    dusk_dataframe *f;
    for (Py_ssize_t i = 0; i < n; i++) {
      PyObject *k = keep_both(keep,
                              ((core_Frame *)PySequence_Fast_GET_ITEM(
                                   fast, i))->keep);
      Py_XDECREF(keep);
      keep = k;
    }
    Py_DECREF(fast);
    f = dusk_concat(fs, (size_t)n, &err);
    PyMem_Free(fs);
    o = frame_wrap(f, &err);
    if (o != NULL)
      ((core_Frame *)o)->keep = keep;
    else
      Py_XDECREF(keep);
    return o;
  }
fail:
  for (Py_ssize_t i = 0; i < n; i++)
    dusk_dataframe_free(fs[i]);
  PyMem_Free(fs);
  Py_DECREF(fast);
  return NULL;
}

/* ---- Table --------------------------------------------------------------- */

PyObject *core_table_wrap(dusk_table *t) {
  core_Table *o = PyObject_New(core_Table, &core_TableType);
  if (o == NULL) {
    dusk_table_free(t);
    return NULL;
  }
  o->t = t;
  return (PyObject *)o;
}

static void table_dealloc(core_Table *self) {
  dusk_table_free(self->t);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *table_shape(core_Table *self, void *unused) {
  (void)unused;
  return Py_BuildValue("(nnn)", (Py_ssize_t)dusk_table_nrows(self->t),
                       (Py_ssize_t)dusk_table_ncols(self->t),
                       (Py_ssize_t)dusk_table_nindex(self->t));
}

static const char *type_name(int type) {
  switch (type) {
  case DUSK_COL_INT64: return "int64";
  case DUSK_COL_FLOAT64: return "float64";
  case DUSK_COL_BOOL: return "bool";
  case DUSK_COL_DATETIME: return "datetime64[ns]";
  case DUSK_COL_TIMEDELTA: return "timedelta64[ns]";
  case DUSK_COL_DATE: return "date";
  default: return "string";
  }
}

/* ---- Prefaulting -----------------------------------------------------------
 * A conversion writes every page of tens of MB of fresh memory (the str
 * objects in pymalloc arenas, the list of them).  On virtual machines a
 * page fault can cost ~15 us, which made fault handling most of the time
 * of a 1M-row conversion; MADV_POPULATE_WRITE (Linux 5.14) faults a whole
 * range in one call, ~10x cheaper per page.  Where it is missing the
 * madvise fails and the pages fault in as usual. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static void prefault(void *p, size_t len) {
  static size_t page;
  uintptr_t start, end;
  if (page == 0)
    page = (size_t)sysconf(_SC_PAGESIZE);
  start = (uintptr_t)p & ~(uintptr_t)(page - 1);
  end = ((uintptr_t)p + len + page - 1) & ~(uintptr_t)(page - 1);
  if (len > 0)
    (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

/* While a conversion runs (GIL held throughout), pymalloc's arenas come
 * from the interpreter's own arena allocator and are prefaulted; they are
 * freed by that same allocator, so any allocator installed before ours
 * keeps working. */
static PyObjectArenaAllocator saved_arenas;

static void *arena_alloc_prefaulted(void *ctx, size_t size) {
  void *p = saved_arenas.alloc(ctx, size);
  (void)ctx;
  if (p != NULL)
    prefault(p, size);
  return p;
}

static void arena_prefault_begin(void) {
  PyObjectArenaAllocator mine;
  PyObject_GetArenaAllocator(&saved_arenas);
  mine = saved_arenas;
  mine.alloc = arena_alloc_prefaulted;
  PyObject_SetArenaAllocator(&mine);
}

static void arena_prefault_end(void) { PyObject_SetArenaAllocator(&saved_arenas); }

/* Result columns repeat their values (licence numbers, bases, keys):
 * a small direct-mapped cache of str objects by content turns a repeat
 * into an incref.  Short strings only; a miss replaces the slot. */
#define STRING_CACHE_SLOTS 1024
#define STRING_CACHE_MAX_LEN 64
typedef struct string_cache {
  PyObject *obj[STRING_CACHE_SLOTS];
  const char *ptr[STRING_CACHE_SLOTS];
  size_t len[STRING_CACHE_SLOTS];
  /* A column of mostly distinct values (timestamps) only pays for the
   * cache: after STRING_CACHE_PROBE lookups with under 1 in 8 hits, it is
   * bypassed. */
  size_t lookups, hits;
  int bypass;
} string_cache;
#define STRING_CACHE_PROBE 4096

static void string_cache_clear(string_cache *c) {
  for (size_t i = 0; i < STRING_CACHE_SLOTS; i++)
    Py_XDECREF(c->obj[i]);
}

/* A new str of the UTF-8 bytes p[0..len): ASCII (the common case) is
 * copied straight into a compact str; anything else is decoded, invalid
 * bytes kept as surrogate escapes. */
static PyObject *make_string(const char *p, size_t len) {
  size_t i = 0;
  PyObject *s;
  while (i < len && (unsigned char)p[i] < 0x80)
    i++;
  if (i < len)
    return PyUnicode_DecodeUTF8(p, (Py_ssize_t)len, "surrogateescape");
  if ((s = PyUnicode_New((Py_ssize_t)len, 127)) == NULL)
    return NULL;
  memcpy(PyUnicode_1BYTE_DATA(s), p, len);
  return s;
}

static PyObject *cached_string(string_cache *c, const char *p, size_t len) {
  uint64_t h = 1469598103934665603ull;
  size_t slot;
  PyObject *s;
  if (len > STRING_CACHE_MAX_LEN || c->bypass)
    return make_string(p, len);
  if (++c->lookups == STRING_CACHE_PROBE && c->hits < STRING_CACHE_PROBE / 8)
    c->bypass = 1;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
  slot = (size_t)(h ^ (h >> 29)) & (STRING_CACHE_SLOTS - 1);
  if (c->obj[slot] != NULL && c->len[slot] == len &&
      memcmp(c->ptr[slot], p, len) == 0) {
    c->hits++;
    Py_INCREF(c->obj[slot]);
    return c->obj[slot];
  }
  if ((s = make_string(p, len)) == NULL)
    return NULL;
  Py_XDECREF(c->obj[slot]);
  Py_INCREF(s);
  c->obj[slot] = s;
  c->ptr[slot] = p;
  c->len[slot] = len;
  return s;
}

/* The strings of column v as new references in slots[0..nrows) (each
 * slot's old reference is released), na for a null.  0, or -1 with an
 * exception set (the slots filled so far stay filled). */
static int fill_strings(const dusk_column_view *v, PyObject *na,
                        PyObject **slots) {
  const uint64_t *off = v->values;
  string_cache cache;
  int rc = 0;
  memset(&cache, 0, sizeof cache);
  arena_prefault_begin();
  for (size_t r = 0; r < v->nrows; r++) {
    PyObject *s, *old = slots[r];
    if (!v->valid[r]) {
      Py_INCREF(na);
      s = na;
    } else if ((s = cached_string(&cache, v->strings + off[r],
                                  (size_t)(off[r + 1] - off[r]))) == NULL) {
      rc = -1;
      break;
    }
    slots[r] = s;
    Py_XDECREF(old);
  }
  arena_prefault_end();
  string_cache_clear(&cache);
  return rc;
}

/* The kind of numpy array a column can be stored into, from the buffer
 * format numpy exports: 'O' objects, 'd' float64, 'l'/'q' int64, '?'
 * bool ('<' or '=' prefixes are native order on the little-endian hosts
 * dusk builds for). */
enum out_kind { OUT_OBJECT, OUT_FLOAT64, OUT_INT64, OUT_BOOL };

static int out_buffer(PyObject *out, size_t nrows, Py_buffer *view,
                      enum out_kind *kind) {
  const char *f;
  Py_ssize_t want;
  if (PyObject_GetBuffer(out, view, PyBUF_WRITABLE | PyBUF_FORMAT |
                                        PyBUF_C_CONTIGUOUS) != 0)
    return -1;
  f = view->format != NULL ? view->format : "B";
  if (*f == '<' || *f == '=' || *f == '@')
    f++;
  if (strcmp(f, "O") == 0) {
    *kind = OUT_OBJECT;
    want = (Py_ssize_t)sizeof(PyObject *);
  } else if (strcmp(f, "d") == 0) {
    *kind = OUT_FLOAT64;
    want = 8;
  } else if (strcmp(f, "l") == 0 || strcmp(f, "q") == 0) {
    *kind = OUT_INT64;
    want = 8;
  } else if (strcmp(f, "?") == 0) {
    *kind = OUT_BOOL;
    want = 1;
  } else {
    want = -1;
  }
  if (want < 0 || view->itemsize != want ||
      view->len != (Py_ssize_t)nrows * want) {
    PyBuffer_Release(view);
    PyErr_Format(PyExc_ValueError,
                 "out must be a contiguous array of %zu objects, float64, "
                 "int64 or bools",
                 nrows);
    return -1;
  }
  return 0;
}

/* Stores column v into dst, an array of `kind` (out_buffer), converting
 * as pandas holds the column: ints to float64 with NaN for nulls, floats
 * with NaN for nulls, bools as objects (True/False/na) when the column
 * can hold nulls.  Any other pairing is a ValueError.  0 or -1. */
static int fill_array(const dusk_column_view *v, PyObject *na, void *dst,
                      enum out_kind kind) {
  const uint8_t *ok = v->valid;
  size_t n = v->nrows;
  if (v->type == DUSK_COL_STRING && kind == OUT_OBJECT)
    return fill_strings(v, na, dst);
  if (v->type == DUSK_COL_INT64 && kind == OUT_INT64) {
    if (n > 0) /* values may be NULL with no rows */
      memcpy(dst, v->values, n * 8);
    return 0;
  }
  if ((v->type == DUSK_COL_DATETIME || v->type == DUSK_COL_TIMEDELTA ||
       v->type == DUSK_COL_DATE) &&
      kind == OUT_INT64) { /* for a datetime64 / timedelta64 view: NaT */
    int64_t *d = dst;
    if (n > 0)
      memcpy(d, v->values, n * 8);
    for (size_t r = 0; r < n; r++)
      if (!ok[r])
        d[r] = INT64_MIN;
    return 0;
  }
  if ((v->type == DUSK_COL_INT64 || v->type == DUSK_COL_FLOAT64) &&
      kind == OUT_FLOAT64) {
    double *d = dst;
    if (v->type == DUSK_COL_FLOAT64) {
      if (n > 0)
        memcpy(d, v->values, n * 8);
    } else {
      for (size_t r = 0; r < n; r++)
        d[r] = (double)((const int64_t *)v->values)[r];
    }
    for (size_t r = 0; r < n; r++)
      if (!ok[r])
        d[r] = NAN;
    return 0;
  }
  if (v->type == DUSK_COL_BOOL && kind == OUT_BOOL) {
    const uint8_t *b = v->values;
    uint8_t *d = dst;
    for (size_t r = 0; r < n; r++)
      d[r] = b[r] != 0;
    return 0;
  }
  if (v->type == DUSK_COL_BOOL && kind == OUT_OBJECT) {
    PyObject **d = dst;
    const uint8_t *b = v->values;
    for (size_t r = 0; r < n; r++) {
      PyObject *old = d[r];
      d[r] = !ok[r] ? na : b[r] ? Py_True : Py_False;
      Py_INCREF(d[r]);
      Py_XDECREF(old);
    }
    return 0;
  }
  PyErr_Format(PyExc_ValueError, "a %s column cannot be stored there",
               type_name(v->type));
  return -1;
}

/* column(i, na[, out]) -> (name, type, values, valid).  With out (a
 * numpy array of nrows items, see fill_array) the column is stored into
 * it and values is out.  Without it, values are bytes of
 * int64/float64/uint8 for numbers and bools and a new list of str (na for
 * a null) for strings.  valid is None when no row is null, else bytes of
 * 0/1. */
static PyObject *table_column(core_Table *self, PyObject *args) {
  Py_ssize_t col;
  PyObject *na, *out = Py_None, *values = NULL, *valid = NULL;
  dusk_column_view v;
  size_t nulls = 0, width;
  if (!PyArg_ParseTuple(args, "nO|O", &col, &na, &out))
    return NULL;
  if (col < 0 || dusk_table_column_view(self->t, (size_t)col, &v) != 0) {
    PyErr_Format(PyExc_IndexError, "no column %zd", col);
    return NULL;
  }
  for (size_t r = 0; r < v.nrows; r++)
    nulls += v.valid[r] == 0;
  if (out != Py_None) {
    Py_buffer view;
    enum out_kind kind;
    int rc;
    if (out_buffer(out, v.nrows, &view, &kind) != 0)
      return NULL;
    prefault(view.buf, (size_t)view.len);
    rc = fill_array(&v, na, view.buf, kind);
    PyBuffer_Release(&view);
    if (rc != 0)
      return NULL;
    Py_INCREF(out);
    values = out;
  } else if (v.type == DUSK_COL_STRING) {
    if ((values = PyList_New((Py_ssize_t)v.nrows)) == NULL)
      return NULL;
    prefault(((PyListObject *)values)->ob_item, v.nrows * sizeof(PyObject *));
    if (fill_strings(&v, na, ((PyListObject *)values)->ob_item) != 0) {
      Py_DECREF(values);
      return NULL;
    }
  } else {
    width = v.type == DUSK_COL_BOOL ? 1 : 8;
    values = PyBytes_FromStringAndSize(v.nrows ? v.values : "",
                                       (Py_ssize_t)(v.nrows * width));
    if (values == NULL)
      return NULL;
  }
  if (nulls > 0) {
    valid = PyBytes_FromStringAndSize((const char *)v.valid,
                                      (Py_ssize_t)v.nrows);
    if (valid == NULL) {
      Py_DECREF(values);
      return NULL;
    }
  } else {
    Py_INCREF(Py_None);
    valid = Py_None;
  }
  return Py_BuildValue("(ssNN)", dusk_table_column_name(self->t, (size_t)col),
                       type_name(v.type), values, valid);
}

static PyObject *table_print(core_Table *self, PyObject *args) {
  /* The CLI's renderings, for text output without pandas. */
  int format = DUSK_FORMAT_TABLE;
  char *buf = NULL;
  size_t len = 0;
  FILE *f;
  PyObject *out;
  if (!PyArg_ParseTuple(args, "|i", &format))
    return NULL;
  if ((f = open_memstream(&buf, &len)) == NULL)
    return PyErr_NoMemory();
  dusk_table_print(self->t, format, f);
  fclose(f);
  out = PyUnicode_DecodeUTF8(buf, (Py_ssize_t)len, "replace");
  free(buf);
  return out;
}

/* pandas_dtype(i) -> "int64" | "float64" | "bool" | "object" | "Int64" |
 * "Float64" | "boolean": the dtype
 * pandas holds column i in for the same query (dusk.h). */
static PyObject *table_pandas_dtype(core_Table *self, PyObject *args) {
  Py_ssize_t col;
  const char *d;
  if (!PyArg_ParseTuple(args, "n", &col))
    return NULL;
  if (col < 0 ||
      (d = dusk_table_column_pandas_dtype(self->t, (size_t)col)) == NULL) {
    PyErr_Format(PyExc_IndexError, "no column %zd", col);
    return NULL;
  }
  return PyUnicode_FromString(d);
}

/* column_type(i) -> "int64" | "float64" | "bool" | "string": the type
 * the engine holds column i in. */
static PyObject *table_column_type(core_Table *self, PyObject *args) {
  Py_ssize_t col;
  dusk_column_view v;
  if (!PyArg_ParseTuple(args, "n", &col))
    return NULL;
  if (col < 0 || dusk_table_column_view(self->t, (size_t)col, &v) != 0) {
    PyErr_Format(PyExc_IndexError, "no column %zd", col);
    return NULL;
  }
  return PyUnicode_FromString(type_name(v.type));
}

static PyMethodDef table_methods[] = {
    {"column_type", (PyCFunction)table_column_type, METH_VARARGS,
     "column_type(i) -> the engine's type of column i"},
    {"pandas_dtype", (PyCFunction)table_pandas_dtype, METH_VARARGS,
     "pandas_dtype(i) -> the dtype pandas holds column i in"},
    {"column", (PyCFunction)table_column, METH_VARARGS,
     "column(i, na[, out]) -> (name, type, values, valid)"},
    {"format", (PyCFunction)table_print, METH_VARARGS,
     "format(kind=1) -> the table as the CLI prints it (1 text, 2 csv, 3 "
     "json)"},
    {NULL}};

static PyGetSetDef table_getset[] = {
    {"shape", (getter)table_shape, NULL, "(nrows, ncols, nindex)", NULL},
    {NULL}};

PyTypeObject core_TableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dusk._core.Table",
    .tp_basicsize = sizeof(core_Table),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A computed result table.",
    .tp_dealloc = (destructor)table_dealloc,
    .tp_methods = table_methods,
    .tp_getset = table_getset,
};
