/* core.h - dusk._core, the CPython extension over libdusk (client/dusk.h).
 *
 * It stays thin: it wraps libdusk's objects (LocalCluster, client, lazy
 * dataframe, result table) one to one and converts values; the
 * pandas-shaped API lives in Python (python/dusk/).  Every call that waits
 * on the cluster releases the GIL and is interruptible (Ctrl-C cancels
 * what it waited for and raises KeyboardInterrupt). */
#ifndef DUSK_PY_CORE_H
#define DUSK_PY_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "dusk.h"

/* Exceptions (created at module init; see core.c for what maps where). */
extern PyObject *core_DuskError;
extern PyObject *core_TaskError;
extern PyObject *core_CanceledError;

/* Raises the Python exception for a libdusk error; returns NULL. */
PyObject *core_raise(const dusk_error *err);

/* msgpack (core_msgpack.c). */
PyObject *core_packb(PyObject *self, PyObject *o);
PyObject *core_unpackb(PyObject *self, PyObject *arg);
PyObject *core_unpack_bytes(const char *data, size_t len);

/* Types (core_frame.c). */
extern PyTypeObject core_FrameType;
extern PyTypeObject core_TableType;
typedef struct {
  PyObject_HEAD
  dusk_dataframe *f;
  PyObject *keep; /* NULL, or what the frame keeps alive (frame_keep) */
} core_Frame;
typedef struct {
  PyObject_HEAD
  dusk_table *t;
} core_Table;
PyObject *core_table_wrap(dusk_table *t);
/* Wraps f (taking it) as a Frame. */
PyObject *core_frame_wrap(dusk_dataframe *f);
PyObject *core_read_csv(PyObject *self, PyObject *args, PyObject *kw);
PyObject *core_parse(PyObject *self, PyObject *args);
PyObject *core_concat(PyObject *self, PyObject *args);

/* Types (core_client.c). */
extern PyTypeObject core_ClusterType;
extern PyTypeObject core_ConnectionType;

/* core_profile.c: a query's profile (None for NULL; owns p), and
 * write_report(filename, profiles). */
extern PyTypeObject core_ProfileType;
PyObject *core_profile_wrap(dusk_profile *p);
PyObject *core_write_report(PyObject *self, PyObject *args);

/* Fills a dusk_tls_files from None or a (cert, key, ca) tuple of str;
 * strings borrow from the tuple. 0, or -1 with a Python error. */
int core_tls_arg(PyObject *tls, dusk_tls_files *out);

#endif
