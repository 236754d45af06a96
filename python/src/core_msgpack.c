/* core_msgpack.c - Python objects <-> msgpack for task arguments and
 * results (msgpack-c, the library the daemons use).
 *
 * Packing takes None, bool, int (int64 / uint64 range), float, str,
 * bytes/bytearray, list/tuple (as arrays) and dict (as maps); anything
 * else is a TypeError naming its type.  Unpacking is bounded: results come
 * from workers and are untrusted, so nesting deeper than
 * CORE_MSGPACK_MAX_DEPTH is refused rather than recursed into. */
#include "core.h"

#include <msgpack.h>

#define CORE_MSGPACK_MAX_DEPTH 64

static int pack(msgpack_packer *pk, PyObject *o, int depth);

static int pack_seq(msgpack_packer *pk, PyObject *o, int depth) {
  PyObject *fast = PySequence_Fast(o, "not a sequence");
  Py_ssize_t n;
  if (fast == NULL)
    return -1;
  n = PySequence_Fast_GET_SIZE(fast);
  msgpack_pack_array(pk, (size_t)n);
  for (Py_ssize_t i = 0; i < n; i++)
    if (pack(pk, PySequence_Fast_GET_ITEM(fast, i), depth + 1) != 0) {
      Py_DECREF(fast);
      return -1;
    }
  Py_DECREF(fast);
  return 0;
}

static int pack(msgpack_packer *pk, PyObject *o, int depth) {
  if (depth > CORE_MSGPACK_MAX_DEPTH) {
    PyErr_Format(PyExc_ValueError, "argument nested more than %d levels",
                 CORE_MSGPACK_MAX_DEPTH);
    return -1;
  }
  if (o == Py_None)
    return msgpack_pack_nil(pk);
  if (PyBool_Check(o))
    return o == Py_True ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow > 0) {
      unsigned long long u = PyLong_AsUnsignedLongLong(o);
      if (PyErr_Occurred()) {
        PyErr_SetString(PyExc_OverflowError,
                        "integer argument outside 64 bits");
        return -1;
      }
      return msgpack_pack_uint64(pk, u);
    }
    if (overflow < 0) {
      PyErr_SetString(PyExc_OverflowError, "integer argument outside 64 bits");
      return -1;
    }
    if (v == -1 && PyErr_Occurred())
      return -1;
    return msgpack_pack_int64(pk, v);
  }
  if (PyFloat_Check(o))
    return msgpack_pack_double(pk, PyFloat_AS_DOUBLE(o));
  if (PyUnicode_Check(o)) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(o, &n);
    if (s == NULL)
      return -1;
    msgpack_pack_str(pk, (size_t)n);
    return msgpack_pack_str_body(pk, s, (size_t)n);
  }
  if (PyBytes_Check(o)) {
    msgpack_pack_bin(pk, (size_t)PyBytes_GET_SIZE(o));
    return msgpack_pack_bin_body(pk, PyBytes_AS_STRING(o),
                                 (size_t)PyBytes_GET_SIZE(o));
  }
  if (PyByteArray_Check(o)) {
    msgpack_pack_bin(pk, (size_t)PyByteArray_GET_SIZE(o));
    return msgpack_pack_bin_body(pk, PyByteArray_AS_STRING(o),
                                 (size_t)PyByteArray_GET_SIZE(o));
  }
  if (PyList_Check(o) || PyTuple_Check(o))
    return pack_seq(pk, o, depth);
  if (PyDict_Check(o)) {
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    msgpack_pack_map(pk, (size_t)PyDict_Size(o));
    while (PyDict_Next(o, &pos, &k, &v))
      if (pack(pk, k, depth + 1) != 0 || pack(pk, v, depth + 1) != 0)
        return -1;
    return 0;
  }
  PyErr_Format(PyExc_TypeError,
               "dusk cannot send a %.100s to a worker (None, bool, int, "
               "float, str, bytes, list, tuple and dict can go)",
               Py_TYPE(o)->tp_name);
  return -1;
}

PyObject *core_packb(PyObject *self, PyObject *o) {
  msgpack_sbuffer sb;
  msgpack_packer pk;
  PyObject *out = NULL;
  (void)self;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  if (pack(&pk, o, 0) == 0) {
    if (sb.data == NULL && sb.size == 0)
      out = PyBytes_FromStringAndSize("", 0);
    else
      out = PyBytes_FromStringAndSize(sb.data, (Py_ssize_t)sb.size);
  } else if (!PyErr_Occurred()) {
    PyErr_NoMemory();
  }
  msgpack_sbuffer_destroy(&sb);
  return out;
}

static PyObject *unpack(const msgpack_object *o, int depth) {
  if (depth > CORE_MSGPACK_MAX_DEPTH) {
    PyErr_Format(PyExc_ValueError, "result nested more than %d levels",
                 CORE_MSGPACK_MAX_DEPTH);
    return NULL;
  }
  switch (o->type) {
  case MSGPACK_OBJECT_NIL:
    Py_RETURN_NONE;
  case MSGPACK_OBJECT_BOOLEAN:
    return PyBool_FromLong(o->via.boolean);
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    return PyLong_FromUnsignedLongLong(o->via.u64);
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    return PyLong_FromLongLong(o->via.i64);
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    return PyFloat_FromDouble(o->via.f64);
  case MSGPACK_OBJECT_STR:
    return PyUnicode_DecodeUTF8(o->via.str.ptr, o->via.str.size, "replace");
  case MSGPACK_OBJECT_BIN:
    return PyBytes_FromStringAndSize(o->via.bin.ptr, o->via.bin.size);
  case MSGPACK_OBJECT_EXT:
    return PyBytes_FromStringAndSize(o->via.ext.ptr, o->via.ext.size);
  case MSGPACK_OBJECT_ARRAY: {
    PyObject *l = PyList_New(o->via.array.size);
    if (l == NULL)
      return NULL;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
      PyObject *x = unpack(&o->via.array.ptr[i], depth + 1);
      if (x == NULL) {
        Py_DECREF(l);
        return NULL;
      }
      PyList_SET_ITEM(l, i, x);
    }
    return l;
  }
  case MSGPACK_OBJECT_MAP: {
    PyObject *d = PyDict_New();
    if (d == NULL)
      return NULL;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
      PyObject *k = unpack(&o->via.map.ptr[i].key, depth + 1), *v;
      if (k == NULL) {
        Py_DECREF(d);
        return NULL;
      }
      /* A key Python cannot hash (a list) becomes a tuple. */
      if (PyList_Check(k)) {
        PyObject *t = PyList_AsTuple(k);
        Py_DECREF(k);
        if ((k = t) == NULL) {
          Py_DECREF(d);
          return NULL;
        }
      }
      v = unpack(&o->via.map.ptr[i].val, depth + 1);
      if (v == NULL || PyDict_SetItem(d, k, v) != 0) {
        Py_DECREF(k);
        Py_XDECREF(v);
        Py_DECREF(d);
        return NULL;
      }
      Py_DECREF(k);
      Py_DECREF(v);
    }
    return d;
  }
  }
  PyErr_SetString(PyExc_ValueError, "unknown msgpack type in a result");
  return NULL;
}

PyObject *core_unpack_bytes(const char *data, size_t len) {
  msgpack_unpacked u;
  size_t off = 0;
  PyObject *out;
  if (len == 0)
    Py_RETURN_NONE; /* an op that set no result */
  msgpack_unpacked_init(&u);
  switch (msgpack_unpack_next(&u, data, len, &off)) {
  case MSGPACK_UNPACK_SUCCESS:
    break;
  case MSGPACK_UNPACK_NOMEM_ERROR:
    msgpack_unpacked_destroy(&u);
    return PyErr_NoMemory();
  default:
    msgpack_unpacked_destroy(&u);
    PyErr_Format(PyExc_ValueError,
                 "a result of %zu bytes is not valid msgpack", len);
    return NULL;
  }
  if (off != len) {
    msgpack_unpacked_destroy(&u);
    PyErr_Format(PyExc_ValueError,
                 "a result has %zu bytes after its msgpack value",
                 len - off);
    return NULL;
  }
  out = unpack(&u.data, 0);
  msgpack_unpacked_destroy(&u);
  return out;
}

PyObject *core_unpackb(PyObject *self, PyObject *arg) {
  Py_buffer b;
  PyObject *out;
  (void)self;
  if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) != 0)
    return NULL;
  out = core_unpack_bytes(b.buf, (size_t)b.len);
  PyBuffer_Release(&b);
  return out;
}
