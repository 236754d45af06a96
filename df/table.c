/* table.c - the result table: columnar storage and its wire encoding.
 * The writers that print it as pandas would are in table_print.c.
 *
 * Storage.  Every column holds `cap` rows; capacity doubles when a row does
 * not fit, so appending n rows costs O(n) amortised.  A null row keeps a
 * zero value (an empty span for strings) so that encodings are
 * deterministic.  String columns keep nrows + 1 offsets into one byte array
 * that also doubles when it grows.  Appends check every value before they
 * grow anything, so a refused row leaves the table unchanged.
 *
 * Wire encoding, refining table.h's comment: one msgpack array
 *   [nindex (uint), nrows (uint), [column, ...]]
 * where each column is an array
 *   [name (str), type (uint, a dusk_type other than NULL),
 *    valid (bin, nrows bytes, each 0 or 1),
 *    data (bin: nrows int64 or float64 as 8 little-endian bytes each |
 *          nrows bytes 0/1 for bools | (nrows + 1) little-endian uint64
 *          offsets for strings, the first 0, non-decreasing, the last equal
 *          to the length of the strings bin)]
 * and a string column has a fifth element, the strings bin.  When any
 * column's source_na flag is set, the top array has a fourth element, a bin
 * of ncols bytes, each 0 or 1, the flags in column order (1 only on int64
 * and bool columns; bit 1 set, 2, is the column's masked flag, only on int64,
 * float64 and bool columns without a logical type).  When any column has a logical type (a datetime or a
 * timedelta stored as int64), a fifth element follows the fourth: a bin of
 * ncols bytes, each 0 or that dusk_type (only on int64 columns).  Both are
 * left out otherwise, so that every partial
 * result, which never carries flags, encodes as it did before the flags
 * existed; a peer that predates them refuses the four-element form (and
 * the protocol version, wire.h, says so at the handshake first).  Floats
 * travel as their IEEE-754 bits.  The decoder walks the headers with dusk_msgcheck
 * before msgpack-c unpacks anything, refuses nrows larger than the input
 * (so a 0-column table with more rows than its encoding has bytes is
 * refused, and the encoder refuses to produce one), checks every size
 * against nrows before it allocates, and names the column at fault.  Column
 * names are at most 64 KiB and hold no NUL byte (they are C strings here). */
#include "table.h"

#include "batch.h"
#include "msgcheck.h"
#include "npsort.h"

#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_NAME_MAX (64u * 1024u)

#define CK(expr)                                                               \
  do {                                                                         \
    int rc_ = (expr);                                                          \
    if (rc_ != 0)                                                              \
      return rc_;                                                              \
  } while (0)

/* ---- storage ------------------------------------------------------------ */

static bool type_valid(dusk_type t) {
  return t == DUSK_TYPE_BOOL || t == DUSK_TYPE_INT64 ||
         t == DUSK_TYPE_FLOAT64 || t == DUSK_TYPE_STRING;
}

/* Our own names: value.c's dusk_type_name is another module. */
static const char *type_str(dusk_type t) {
  switch (t) {
  case DUSK_TYPE_BOOL:
    return "bool";
  case DUSK_TYPE_INT64:
    return "int64";
  case DUSK_TYPE_FLOAT64:
    return "float64";
  case DUSK_TYPE_STRING:
    return "string";
  case DUSK_TYPE_NULL:
    return "null";
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
  return "unknown";
}

static void column_destroy(dusk_table_column *c) {
  free(c->name);
  free(c->valid);
  free(c->i64);
  free(c->f64);
  free(c->b);
  free(c->str_off);
  free(c->str_data);
}

void dusk_table_free(dusk_table *t) {
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->ncols; i++)
    column_destroy(&t->cols[i]);
  free(t->cols);
  free(t);
}

/* An empty table of ncols zeroed columns, for the caller to set up. */
static dusk_table *table_alloc(size_t ncols, size_t nindex) {
  dusk_table *t = calloc(1, sizeof *t);
  if (t == NULL)
    return NULL;
  if (ncols > 0) {
    t->cols = calloc(ncols, sizeof *t->cols);
    if (t->cols == NULL) {
      free(t);
      return NULL;
    }
  }
  t->ncols = ncols;
  t->nindex = nindex;
  return t;
}

static int column_setup(dusk_table_column *c, const char *name, size_t len,
                        dusk_type type) {
  c->type = type;
  c->name = malloc(len + 1);
  if (c->name == NULL)
    return DUSK_ENOMEM;
  if (len > 0)
    memcpy(c->name, name, len);
  c->name[len] = '\0';
  if (type == DUSK_TYPE_STRING) {
    c->str_off = calloc(1, sizeof *c->str_off);
    if (c->str_off == NULL)
      return DUSK_ENOMEM;
  }
  return 0;
}

dusk_table *dusk_table_new(const char *const *names, const dusk_type *types,
                           size_t ncols, size_t nindex) {
  dusk_table *t;

  if (nindex > ncols || (ncols > 0 && (names == NULL || types == NULL)))
    return NULL;
  for (size_t i = 0; i < ncols; i++)
    if (!type_valid(types[i]))
      return NULL;
  if ((t = table_alloc(ncols, nindex)) == NULL)
    return NULL;
  for (size_t i = 0; i < ncols; i++) {
    const char *name = names[i] != NULL ? names[i] : "";
    if (column_setup(&t->cols[i], name, strlen(name), types[i]) != 0) {
      dusk_table_free(t);
      return NULL;
    }
  }
  return t;
}

static int grow(void **p, size_t n, size_t size) {
  void *q = realloc(*p, n * size);
  if (q == NULL)
    return DUSK_ENOMEM;
  *p = q;
  return 0;
}

/* Makes room for `need` rows in every column.  On failure some arrays may
 * already be larger, which is harmless: t->cap only grows when all did. */
static int reserve_rows(dusk_table *t, size_t need) {
  size_t cap = t->cap > 0 ? t->cap : 8;

  if (need <= t->cap)
    return 0;
  while (cap < need) {
    if (cap > SIZE_MAX / 2)
      return DUSK_ENOMEM;
    cap *= 2;
  }
  if (cap >= SIZE_MAX / sizeof(uint64_t) - 1)
    return DUSK_ENOMEM;
  for (size_t i = 0; i < t->ncols; i++) {
    dusk_table_column *c = &t->cols[i];
    CK(grow((void **)&c->valid, cap, 1));
    switch (c->type) {
    case DUSK_TYPE_INT64:
      CK(grow((void **)&c->i64, cap, 8));
      break;
    case DUSK_TYPE_FLOAT64:
      CK(grow((void **)&c->f64, cap, 8));
      break;
    case DUSK_TYPE_BOOL:
      CK(grow((void **)&c->b, cap, 1));
      break;
    case DUSK_TYPE_STRING:
      CK(grow((void **)&c->str_off, cap + 1, sizeof *c->str_off));
      break;
    case DUSK_TYPE_NULL:
      break;
    case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
    case DUSK_TYPE_TIMEDELTA:
    case DUSK_TYPE_DATE:
      break;
    }
  }
  t->cap = cap;
  return 0;
}

static int reserve_bytes(dusk_table_column *c, size_t extra) {
  size_t need, cap;
  char *p;

  if (extra <= c->str_cap - c->str_len)
    return 0;
  if (extra > SIZE_MAX - c->str_len)
    return DUSK_ENOMEM;
  need = c->str_len + extra;
  cap = c->str_cap > 0 ? c->str_cap : 64;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if ((p = realloc(c->str_data, cap)) == NULL)
    return DUSK_ENOMEM;
  c->str_data = p;
  c->str_cap = cap;
  return 0;
}

#define TWO63 9223372036854775808.0

/* Converts v to the column type ct where no information is lost: 0 with
 * *out filled, or DUSK_ETYPE.  int64 -> float64 only when the double holds
 * the integer exactly; float64 -> int64 only for integral values in range
 * (not -0.0); bools and strings only into their own type. */
static int convert(dusk_type ct, const dusk_value *v, dusk_value *out) {
  out->type = ct;
  if (v->type == DUSK_TYPE_NULL) {
    out->type = DUSK_TYPE_NULL;
    return 0;
  }
  switch (ct) {
  case DUSK_TYPE_BOOL:
    if (v->type != DUSK_TYPE_BOOL)
      return DUSK_ETYPE;
    out->u.b = v->u.b;
    return 0;
  case DUSK_TYPE_INT64:
    if (v->type == DUSK_TYPE_INT64) {
      out->u.i = v->u.i;
      return 0;
    }
    if (v->type == DUSK_TYPE_FLOAT64) {
      double f = v->u.f;
      if (!isfinite(f) || f != trunc(f) || f < -TWO63 || f >= TWO63 ||
          (f == 0 && signbit(f)))
        return DUSK_ETYPE;
      out->u.i = (int64_t)f;
      return 0;
    }
    return DUSK_ETYPE;
  case DUSK_TYPE_FLOAT64:
    if (v->type == DUSK_TYPE_FLOAT64) {
      out->u.f = v->u.f;
      return 0;
    }
    if (v->type == DUSK_TYPE_INT64) {
      double d = (double)v->u.i;
      if (d >= TWO63 || (int64_t)d != v->u.i)
        return DUSK_ETYPE;
      out->u.f = d;
      return 0;
    }
    return DUSK_ETYPE;
  case DUSK_TYPE_STRING:
    if (v->type != DUSK_TYPE_STRING || (v->u.s.ptr == NULL && v->u.s.len > 0))
      return DUSK_ETYPE;
    out->u.s = v->u.s;
    return 0;
  case DUSK_TYPE_NULL:
    break;
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
  return DUSK_ETYPE;
}

/* Stores the converted value x at row r (r < cap, bytes reserved). */
static void store(dusk_table_column *c, size_t r, const dusk_value *x) {
  bool present = x->type != DUSK_TYPE_NULL;
  c->valid[r] = present;
  switch (c->type) {
  case DUSK_TYPE_INT64:
    c->i64[r] = present ? x->u.i : 0;
    break;
  case DUSK_TYPE_FLOAT64:
    c->f64[r] = present ? x->u.f : 0.0;
    break;
  case DUSK_TYPE_BOOL:
    c->b[r] = present && x->u.b;
    break;
  case DUSK_TYPE_STRING:
    if (present && x->u.s.len > 0) {
      memcpy(c->str_data + c->str_len, x->u.s.ptr, x->u.s.len);
      c->str_len += x->u.s.len;
    }
    c->str_off[r + 1] = c->str_len;
    break;
  case DUSK_TYPE_NULL:
    break;
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
}

int dusk_table_append_row(dusk_table *t, const dusk_value *values) {
  dusk_value x = {0};

  if (t->ncols > 0 && values == NULL)
    return DUSK_EINVAL;
  for (size_t i = 0; i < t->ncols; i++)
    CK(convert(t->cols[i].type, &values[i], &x));
  if (t->nrows == SIZE_MAX - 1)
    return DUSK_ENOMEM;
  CK(reserve_rows(t, t->nrows + 1));
  for (size_t i = 0; i < t->ncols; i++)
    if (t->cols[i].type == DUSK_TYPE_STRING &&
        values[i].type == DUSK_TYPE_STRING)
      CK(reserve_bytes(&t->cols[i], values[i].u.s.len));
  for (size_t i = 0; i < t->ncols; i++) {
    (void)convert(t->cols[i].type, &values[i], &x);
    store(&t->cols[i], t->nrows, &x);
  }
  t->nrows++;
  return 0;
}

int dusk_table_append_batch(dusk_table *t, const dusk_batch *b,
                            const int *cols, size_t ncols,
                            const int64_t *const *extra) {
  return dusk_table_append_batch_rows(t, b, cols, ncols, extra, NULL,
                                      b->nrows);
}

/* sel: the batch rows to append, or NULL for rows 0..n). */
int dusk_table_append_batch_rows(dusk_table *t, const dusk_batch *b,
                                 const int *cols, size_t ncols,
                                 const int64_t *const *extra,
                                 const size_t *sel, size_t n) {
  size_t base = t->nrows;
#define SEL(j) (sel != NULL ? sel[j] : (j))
  if (ncols > t->ncols)
    return DUSK_EINVAL;
  for (size_t i = 0; i < t->ncols; i++) {
    dusk_type want;
    if (i < ncols && (cols[i] < 0 || (size_t)cols[i] >= b->ncols))
      return DUSK_EINVAL;
    want = i < ncols ? b->cols[cols[i]].type : DUSK_TYPE_INT64;
    if (t->cols[i].type != want)
      return DUSK_ETYPE;
  }
  for (size_t j = 0; sel != NULL && j < n; j++)
    if (sel[j] >= b->nrows)
      return DUSK_EINVAL;
  if (n == 0)
    return 0;
  if (n > SIZE_MAX - 1 - base)
    return DUSK_ENOMEM;
  CK(reserve_rows(t, base + n));
  for (size_t i = 0; i < ncols; i++)
    if (t->cols[i].type == DUSK_TYPE_STRING) {
      const dusk_column *s = &b->cols[cols[i]];
      size_t bytes = 0;
      for (size_t j = 0; j < n; j++)
        bytes += s->valid[SEL(j)] ? s->str_len[SEL(j)] : 0;
      CK(reserve_bytes(&t->cols[i], bytes));
    }
  for (size_t i = 0; i < t->ncols; i++) {
    dusk_table_column *d = &t->cols[i];
    if (i >= ncols) {
      memset(d->valid + base, 1, n);
      memcpy(d->i64 + base, extra[i - ncols], n * 8);
      continue;
    }
    const dusk_column *s = &b->cols[cols[i]];
    for (size_t j = 0; j < n; j++)
      d->valid[base + j] = s->valid[SEL(j)];
    switch (d->type) {
    case DUSK_TYPE_INT64:
      for (size_t j = 0; j < n; j++) { /* a null keeps a zero value */
        size_t r = SEL(j);
        d->i64[base + j] = s->valid[r] ? s->i64[r] : 0;
      }
      break;
    case DUSK_TYPE_FLOAT64:
      for (size_t j = 0; j < n; j++) {
        size_t r = SEL(j);
        d->f64[base + j] = s->valid[r] ? s->f64[r] : 0;
      }
      break;
    case DUSK_TYPE_BOOL:
      for (size_t j = 0; j < n; j++) {
        size_t r = SEL(j);
        d->b[base + j] = (uint8_t)(s->valid[r] && s->b[r]);
      }
      break;
    case DUSK_TYPE_STRING:
      for (size_t j = 0; j < n; j++) {
        size_t r = SEL(j);
        size_t len = s->valid[r] ? s->str_len[r] : 0;
        if (len > 0)
          memcpy(d->str_data + d->str_len, b->arena + s->str_off[r], len);
        d->str_len += len;
        d->str_off[base + j + 1] = d->str_len;
      }
      break;
    default:
      break;
    }
  }
#undef SEL
  t->nrows = base + n;
  return 0;
}

int dusk_table_append_rows(dusk_table *t, const dusk_table *src, size_t from,
                           size_t n) {
  size_t base = t->nrows;

  if (src->ncols != t->ncols)
    return DUSK_ETYPE;
  for (size_t i = 0; i < t->ncols; i++)
    if (src->cols[i].type != t->cols[i].type)
      return DUSK_ETYPE;
  if (from > src->nrows || n > src->nrows - from)
    return DUSK_EINVAL;
  if (n == 0)
    return 0;
  if (n > SIZE_MAX - 1 - base)
    return DUSK_ENOMEM;
  CK(reserve_rows(t, base + n));
  for (size_t i = 0; i < t->ncols; i++)
    if (t->cols[i].type == DUSK_TYPE_STRING)
      CK(reserve_bytes(&t->cols[i], (size_t)(src->cols[i].str_off[from + n] -
                                             src->cols[i].str_off[from])));
  /* src may be t itself: its arrays are read only after they have grown,
   * and the rows copied lie below the rows written. */
  for (size_t i = 0; i < t->ncols; i++) {
    dusk_table_column *d = &t->cols[i];
    const dusk_table_column *s = &src->cols[i];
    memmove(d->valid + base, s->valid + from, n);
    switch (d->type) {
    case DUSK_TYPE_INT64:
      memmove(d->i64 + base, s->i64 + from, n * 8);
      break;
    case DUSK_TYPE_FLOAT64:
      memmove(d->f64 + base, s->f64 + from, n * 8);
      break;
    case DUSK_TYPE_BOOL:
      memmove(d->b + base, s->b + from, n);
      break;
    case DUSK_TYPE_STRING: {
      uint64_t first = s->str_off[from];
      size_t bytes = (size_t)(s->str_off[from + n] - first);
      size_t at = d->str_len;
      if (bytes > 0)
        memmove(d->str_data + at, s->str_data + first, bytes);
      /* Offsets last: when s == d, str_off[from + k] is below base. */
      for (size_t k = 1; k <= n; k++)
        d->str_off[base + k] = at + (s->str_off[from + k] - first);
      d->str_len = at + bytes;
      break;
    }
    case DUSK_TYPE_NULL:
      break;
    case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
    case DUSK_TYPE_TIMEDELTA:
    case DUSK_TYPE_DATE:
      break;
    }
  }
  t->nrows = base + n;
  return 0;
}

void dusk_table_get(const dusk_table *t, size_t col, size_t row,
                    dusk_value *v) {
  const dusk_table_column *c;

  memset(v, 0, sizeof *v);
  v->type = DUSK_TYPE_NULL;
  if (col >= t->ncols || row >= t->nrows || !t->cols[col].valid[row])
    return;
  c = &t->cols[col];
  v->type = c->type;
  switch (c->type) {
  case DUSK_TYPE_INT64:
    v->u.i = c->i64[row];
    break;
  case DUSK_TYPE_FLOAT64:
    v->u.f = c->f64[row];
    break;
  case DUSK_TYPE_BOOL:
    v->u.b = c->b[row] != 0;
    break;
  case DUSK_TYPE_STRING:
    v->u.s.ptr = c->str_data != NULL ? c->str_data + c->str_off[row] : "";
    v->u.s.len = (size_t)(c->str_off[row + 1] - c->str_off[row]);
    break;
  case DUSK_TYPE_NULL:
    break;
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
}

int dusk_table_column_index(const dusk_table *t, const char *name) {
  for (size_t i = 0; i < t->ncols && i <= (size_t)INT32_MAX; i++)
    if (strcmp(t->cols[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* ---- wire encoding ------------------------------------------------------- */

static void put_le64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static int buf_write(void *data, const char *bytes, size_t len) {
  return dusk_buf_append(data, bytes, len) == 0 ? 0 : -1;
}

/* One bin of n 8-byte little-endian words taken from src: int64 values,
 * float64 bit patterns or uint64 offsets (kind 'i', 'f', 'u'). */
/* The wire's words are little-endian 64-bit: a host of that order (every
 * target dusk builds for) moves them with memcpy. */
#define HOST_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* n 8-byte words of src (int64, double or uint64, all 8 bytes) into
 * dst as the wire's little-endian words, and back. */
static void words_from_wire(void *dst, const unsigned char *src, size_t n) {
  if (n == 0) /* dst may be NULL: no rows allocated */
    return;
  if (HOST_LE) {
    memcpy(dst, src, n * 8);
    return;
  }
  for (size_t r = 0; r < n; r++) {
    uint64_t w = get_le64(src + 8 * r);
    memcpy((unsigned char *)dst + 8 * r, &w, 8);
  }
}

static int pack_words(msgpack_packer *pk, const void *src, size_t n,
                      char kind) {
  unsigned char tmp[64 * 8];
  if (n > UINT32_MAX / 8)
    return DUSK_ETOOBIG;
  if (msgpack_pack_bin(pk, n * 8) != 0)
    return DUSK_ENOMEM;
  if (HOST_LE) /* int64, double and uint64 are their wire bytes already */
    return n == 0 || msgpack_pack_bin_body(pk, src, n * 8) == 0 ? 0
                                                                : DUSK_ENOMEM;
  for (size_t i = 0; i < n; i += 64) {
    size_t k = n - i < 64 ? n - i : 64;
    for (size_t j = 0; j < k; j++) {
      uint64_t w;
      if (kind == 'i')
        w = (uint64_t)((const int64_t *)src)[i + j];
      else if (kind == 'f')
        memcpy(&w, &((const double *)src)[i + j], 8);
      else
        w = ((const uint64_t *)src)[i + j];
      put_le64(tmp + 8 * j, w);
    }
    if (msgpack_pack_bin_body(pk, tmp, k * 8) != 0)
      return DUSK_ENOMEM;
  }
  return 0;
}

static int pack_bytes(msgpack_packer *pk, const void *p, size_t n) {
  if (n > UINT32_MAX)
    return DUSK_ETOOBIG;
  if (msgpack_pack_bin(pk, n) != 0 ||
      (n > 0 && msgpack_pack_bin_body(pk, p, n) != 0))
    return DUSK_ENOMEM;
  return 0;
}

/* Whether the flag may be set on a column of type t. */
/* A logical type tags int64 nanoseconds, or (a timedelta) a text column
 * of Timedeltas as pandas prints them (table.h). */
static bool logical_applies(dusk_type logical, dusk_type type) {
  return (dusk_type_is_logical(logical) && type == DUSK_TYPE_INT64) ||
         (logical == DUSK_TYPE_TIMEDELTA && type == DUSK_TYPE_STRING);
}

static bool source_na_applies(dusk_type t) {
  return t == DUSK_TYPE_INT64 || t == DUSK_TYPE_BOOL;
}

static bool masked_applies(dusk_type t, dusk_type logical) {
  return logical == 0 && (t == DUSK_TYPE_INT64 || t == DUSK_TYPE_BOOL ||
                          t == DUSK_TYPE_FLOAT64);
}

/* The gathered forms of pack_bytes and pack_words: the bin of src's
 * elements rows[0..n) (width 1 or 8), written straight into the packer's
 * buffer - one copy, where a take and an encode made two. */
static int pack_gather(msgpack_packer *pk, const void *src, size_t width,
                       const size_t *rows, size_t n) {
  dusk_buf *b = pk->data;
  unsigned char *dst;
  if (n > UINT32_MAX / width)
    return DUSK_ETOOBIG;
  if (msgpack_pack_bin(pk, n * width) != 0 ||
      dusk_buf_reserve(b, n * width) != 0)
    return DUSK_ENOMEM;
  dst = (unsigned char *)b->data + b->len;
  if (width == 1) {
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++)
      dst[i] = s[rows[i]];
  } else {
    const uint64_t *s = src;
    for (size_t i = 0; i < n; i++) {
      if (HOST_LE)
        memcpy(dst + 8 * i, &s[rows[i]], 8);
      else
        put_le64(dst + 8 * i, s[rows[i]]);
    }
  }
  b->len += n * width;
  return 0;
}

/* A text column's rows[0..n): their offsets from 0, then their bytes. */
static int pack_gather_strings(msgpack_packer *pk, const dusk_table_column *c,
                               const size_t *rows, size_t n) {
  dusk_buf *b = pk->data;
  unsigned char *dst;
  uint64_t total = 0;
  if (n + 1 > UINT32_MAX / 8)
    return DUSK_ETOOBIG;
  if (msgpack_pack_bin(pk, (n + 1) * 8) != 0 ||
      dusk_buf_reserve(b, (n + 1) * 8) != 0)
    return DUSK_ENOMEM;
  dst = (unsigned char *)b->data + b->len;
  put_le64(dst, 0);
  for (size_t i = 0; i < n; i++) {
    total += c->str_off[rows[i] + 1] - c->str_off[rows[i]];
    put_le64(dst + 8 * (i + 1), total);
  }
  b->len += (n + 1) * 8;
  if (total > UINT32_MAX)
    return DUSK_ETOOBIG;
  if (msgpack_pack_bin(pk, (size_t)total) != 0 ||
      dusk_buf_reserve(b, (size_t)total) != 0)
    return DUSK_ENOMEM;
  dst = (unsigned char *)b->data + b->len;
  for (size_t i = 0; i < n; i++) {
    uint64_t from = c->str_off[rows[i]], len = c->str_off[rows[i] + 1] - from;
    if (len > 0) /* (a column of empty strings may have no data at all) */
      memcpy(dst, c->str_data + from, len);
    dst += len;
  }
  b->len += (size_t)total;
  return 0;
}

/* The table, or (rows != NULL) the table its rows[0..n) would take. */
static int encode_body(const dusk_table *t, const size_t *rows, size_t n,
                       msgpack_packer *pk) {
  static const uint64_t zero = 0;
  bool flags = false, logical = false;

  if (t->ncols > UINT32_MAX)
    return DUSK_ETOOBIG;
  for (size_t i = 0; i < t->ncols; i++) {
    if (t->cols[i].source_na > 1 ||
        (t->cols[i].source_na && !source_na_applies(t->cols[i].type)) ||
        t->cols[i].masked > 1 ||
        (t->cols[i].masked &&
         !masked_applies(t->cols[i].type, t->cols[i].logical)))
      return DUSK_EINVAL;
    flags |= t->cols[i].source_na != 0 || t->cols[i].masked != 0;
  }
  for (size_t i = 0; i < t->ncols; i++) {
    if (t->cols[i].logical != 0 &&
        !logical_applies(t->cols[i].logical, t->cols[i].type))
      return DUSK_EINVAL;
    logical |= t->cols[i].logical != 0;
  }
  if (msgpack_pack_array(pk, logical ? 5 : flags ? 4 : 3) != 0 ||
      msgpack_pack_uint64(pk, t->nindex) != 0 ||
      msgpack_pack_uint64(pk, n) != 0 ||
      msgpack_pack_array(pk, (size_t)t->ncols) != 0)
    return DUSK_ENOMEM;
  for (size_t i = 0; i < t->ncols; i++) {
    const dusk_table_column *c = &t->cols[i];
    size_t nlen = strlen(c->name);
    if (nlen > TABLE_NAME_MAX)
      return DUSK_ETOOBIG;
    if (msgpack_pack_array(pk, c->type == DUSK_TYPE_STRING ? 5 : 4) != 0 ||
        msgpack_pack_str_with_body(pk, c->name, nlen) != 0 ||
        msgpack_pack_unsigned_int(pk, (unsigned)c->type) != 0)
      return DUSK_ENOMEM;
    if (rows != NULL) {
      if (c->type == DUSK_TYPE_NULL)
        return DUSK_ETYPE; /* as below: never encoded */
      CK(pack_gather(pk, c->valid, 1, rows, n));
      switch (c->type) {
      case DUSK_TYPE_BOOL:
        CK(pack_gather(pk, c->b, 1, rows, n));
        break;
      case DUSK_TYPE_STRING:
        CK(pack_gather_strings(pk, c, rows, n));
        break;
      case DUSK_TYPE_FLOAT64:
        CK(pack_gather(pk, c->f64, 8, rows, n));
        break;
      default: /* int64 and the logical types on it: 8-byte words */
        CK(pack_gather(pk, c->i64, 8, rows, n));
      }
      continue;
    }
    CK(pack_bytes(pk, c->valid, n));
    switch (c->type) {
    case DUSK_TYPE_INT64:
      CK(pack_words(pk, c->i64, n, 'i'));
      break;
    case DUSK_TYPE_FLOAT64:
      CK(pack_words(pk, c->f64, n, 'f'));
      break;
    case DUSK_TYPE_BOOL:
      CK(pack_bytes(pk, c->b, n));
      break;
    case DUSK_TYPE_STRING:
      CK(pack_words(pk, c->str_off != NULL ? (const void *)c->str_off : &zero,
                    n + 1, 'u'));
      CK(pack_bytes(pk, c->str_data, c->str_len));
      break;
    case DUSK_TYPE_NULL:
      return DUSK_ETYPE;
    case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
    case DUSK_TYPE_TIMEDELTA:
    case DUSK_TYPE_DATE:
      break;
    }
  }
  if (flags || logical) {
    if (msgpack_pack_bin(pk, t->ncols) != 0)
      return DUSK_ENOMEM;
    for (size_t i = 0; i < t->ncols; i++) {
      char f = (char)(t->cols[i].source_na | t->cols[i].masked << 1);
      if (msgpack_pack_bin_body(pk, &f, 1) != 0)
        return DUSK_ENOMEM;
    }
  }
  if (logical) {
    if (msgpack_pack_bin(pk, t->ncols) != 0)
      return DUSK_ENOMEM;
    for (size_t i = 0; i < t->ncols; i++) {
      char f = (char)t->cols[i].logical;
      if (msgpack_pack_bin_body(pk, &f, 1) != 0)
        return DUSK_ENOMEM;
    }
  }
  return 0;
}

static int encode_rows(const dusk_table *t, const size_t *rows, size_t n,
                       dusk_buf *out) {
  msgpack_packer pk;
  size_t start = out->len;
  int rc;

  msgpack_packer_init(&pk, out, buf_write);
  rc = encode_body(t, rows, n, &pk);
  /* The decoder bounds nrows by the input's size; a 0-column table with
   * more rows than that would not come back, so refuse it here. */
  if (rc == 0 && n > out->len - start)
    rc = DUSK_ETOOBIG;
  if (rc != 0)
    out->len = start;
  return rc;
}

int dusk_table_encode(const dusk_table *t, dusk_buf *out) {
  return encode_rows(t, NULL, t->nrows, out);
}

int dusk_table_encode_rows(const dusk_table *t, const size_t *rows, size_t n,
                           dusk_buf *out) {
  for (size_t i = 0; i < n; i++)
    if (rows[i] >= t->nrows)
      return DUSK_EINVAL;
  return encode_rows(t, rows, n, out);
}

/* Decoding: msgcheck, unpack into a private zone, then check each field. */

typedef struct decoder {
  dusk_error *err;
  size_t col; /* column being decoded */
  const char *name;
  size_t name_len;
} decoder;

static int col_error(decoder *d, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int col_error(decoder *d, int code, const char *fmt, ...) {
  char why[256], name[80];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  if (d->name != NULL) {
    dusk_sanitize(name, sizeof name, d->name,
                  d->name_len < 64 ? d->name_len : 64);
    return dusk_error_set(d->err, code, "table column %zu ('%s'): %s", d->col,
                          name, why);
  }
  return dusk_error_set(d->err, code, "table column %zu: %s", d->col, why);
}

static const char *obj_kind(const msgpack_object *o) {
  switch (o->type) {
  case MSGPACK_OBJECT_NIL:
    return "nil";
  case MSGPACK_OBJECT_BOOLEAN:
    return "bool";
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    return "int";
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    return "float";
  case MSGPACK_OBJECT_STR:
    return "str";
  case MSGPACK_OBJECT_ARRAY:
    return "array";
  case MSGPACK_OBJECT_MAP:
    return "map";
  case MSGPACK_OBJECT_BIN:
    return "bin";
  case MSGPACK_OBJECT_EXT:
    return "ext";
  }
  return "?";
}

static int want_bin(decoder *d, const msgpack_object *o, const char *field,
                    uint64_t size, const unsigned char **p) {
  if (o->type != MSGPACK_OBJECT_BIN)
    return col_error(d, DUSK_ETYPE, "%s: expected bin, got %s", field,
                     obj_kind(o));
  if (size != UINT64_MAX && o->via.bin.size != size)
    return col_error(d, DUSK_ETYPE, "%s of %u bytes, expected %llu", field,
                     (unsigned)o->via.bin.size, (unsigned long long)size);
  *p = (const unsigned char *)o->via.bin.ptr;
  return 0;
}

static int check_flags(decoder *d, const unsigned char *p, size_t n,
                       const char *field) {
  unsigned char any = 0;
  for (size_t r = 0; r < n; r++) /* one pass the compiler vectorises */
    any |= p[r];
  if (any <= 1)
    return 0;
  for (size_t r = 0; r < n; r++)
    if (p[r] > 1)
      return col_error(d, DUSK_EPARSE, "%s byte %u at row %zu (not 0 or 1)",
                       field, p[r], r);
  return 0;
}

/* Checks one column object and copies it into c (cap rows allocated). */
static int decode_column(decoder *d, const msgpack_object *o, size_t nrows,
                         dusk_table_column *c) {
  const msgpack_object *f;
  const unsigned char *valid = NULL, *data = NULL, *strs = NULL;
  uint64_t type, width;
  size_t nf;

  d->name = NULL;
  if (o->type != MSGPACK_OBJECT_ARRAY)
    return col_error(d, DUSK_ETYPE, "expected array, got %s", obj_kind(o));
  f = o->via.array.ptr;
  nf = o->via.array.size;
  if (nf < 4)
    return col_error(d, DUSK_ETYPE, "%zu fields, expected 4 or 5", nf);
  if (f[0].type != MSGPACK_OBJECT_STR)
    return col_error(d, DUSK_ETYPE, "name: expected str, got %s",
                     obj_kind(&f[0]));
  if (f[0].via.str.size > TABLE_NAME_MAX)
    return col_error(d, DUSK_ETOOBIG, "name of %u bytes exceeds %u",
                     (unsigned)f[0].via.str.size, TABLE_NAME_MAX);
  d->name = f[0].via.str.ptr;
  d->name_len = f[0].via.str.size;
  if (d->name_len > 0 && memchr(d->name, 0, d->name_len) != NULL)
    return col_error(d, DUSK_EPARSE, "name holds a NUL byte");
  if (f[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return col_error(d, DUSK_ETYPE, "type: expected unsigned int, got %s",
                     obj_kind(&f[1]));
  type = f[1].via.u64;
  if (type > DUSK_TYPE_STRING || !type_valid((dusk_type)type))
    return col_error(d, DUSK_ETYPE, "unknown column type %llu",
                     (unsigned long long)type);
  if (nf != (type == DUSK_TYPE_STRING ? 5u : 4u))
    return col_error(d, DUSK_ETYPE, "%zu fields, expected %u for %s", nf,
                     type == DUSK_TYPE_STRING ? 5u : 4u,
                     type_str((dusk_type)type));
  CK(want_bin(d, &f[2], "valid", nrows, &valid));
  CK(check_flags(d, valid, nrows, "valid"));
  width = type == DUSK_TYPE_BOOL ? 1 : 8;
  CK(want_bin(d, &f[3], type == DUSK_TYPE_STRING ? "offsets" : "data",
              type == DUSK_TYPE_STRING ? (nrows + 1) * 8 : nrows * width,
              &data));
  if (type == DUSK_TYPE_BOOL)
    CK(check_flags(d, data, nrows, "data"));
  if (type == DUSK_TYPE_STRING) {
    uint64_t prev = 0, total;
    CK(want_bin(d, &f[4], "strings", UINT64_MAX, &strs));
    total = f[4].via.bin.size;
    if (get_le64(data) != 0)
      return col_error(d, DUSK_EPARSE, "first string offset is not 0");
    for (size_t r = 1; r <= nrows; r++) {
      uint64_t off = get_le64(data + 8 * r);
      if (off < prev)
        return col_error(
            d, DUSK_EPARSE, "string offset %llu at row %zu goes back to %llu",
            (unsigned long long)prev, r - 1, (unsigned long long)off);
      if (off > total)
        return col_error(d, DUSK_EPARSE,
                         "string offset %llu at row %zu is past the %llu "
                         "string bytes",
                         (unsigned long long)off, r - 1,
                         (unsigned long long)total);
      prev = off;
    }
    if (prev != total)
      return col_error(d, DUSK_EPARSE,
                       "string offsets end at %llu of %llu string bytes",
                       (unsigned long long)prev, (unsigned long long)total);
  }

  /* Every size is now bounded by the input; copy. */
  CK(column_setup(c, d->name, d->name_len, (dusk_type)type));
  if (nrows > 0) {
    if ((c->valid = malloc(nrows)) == NULL)
      return DUSK_ENOMEM;
    memcpy(c->valid, valid, nrows);
  }
  switch ((dusk_type)type) {
  case DUSK_TYPE_INT64:
    if (nrows > 0 && (c->i64 = malloc(nrows * 8)) == NULL)
      return DUSK_ENOMEM;
    words_from_wire(c->i64, data, nrows);
    break;
  case DUSK_TYPE_FLOAT64:
    if (nrows > 0 && (c->f64 = malloc(nrows * 8)) == NULL)
      return DUSK_ENOMEM;
    words_from_wire(c->f64, data, nrows);
    break;
  case DUSK_TYPE_BOOL:
    if (nrows > 0) {
      if ((c->b = malloc(nrows)) == NULL)
        return DUSK_ENOMEM;
      memcpy(c->b, data, nrows);
    }
    break;
  case DUSK_TYPE_STRING: {
    uint64_t *off = realloc(c->str_off, (nrows + 1) * sizeof *off);
    if (off == NULL)
      return DUSK_ENOMEM;
    c->str_off = off;
    words_from_wire(off, data, nrows + 1);
    c->str_len = c->str_cap = f[4].via.bin.size;
    if (c->str_len > 0) {
      if ((c->str_data = malloc(c->str_len)) == NULL)
        return DUSK_ENOMEM;
      memcpy(c->str_data, strs, c->str_len);
    }
    break;
  }
  case DUSK_TYPE_NULL:
    break;
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
  return 0;
}

static int decode_object(const msgpack_object *top, size_t input_len,
                         dusk_table **out, dusk_error *err) {
  const msgpack_object *f, *cols;
  uint64_t nindex, nrows;
  dusk_table *t;
  decoder d = {err, 0, NULL, 0};

  if (top->type != MSGPACK_OBJECT_ARRAY ||
      top->via.array.size < 3 || top->via.array.size > 5)
    return dusk_error_set(
        err, DUSK_ETYPE, "table: expected an array of 3 to 5 fields, got %s",
        top->type == MSGPACK_OBJECT_ARRAY ? "another size" : obj_kind(top));
  f = top->via.array.ptr;
  if (f[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return dusk_error_set(err, DUSK_ETYPE,
                          "table field 'nindex': expected unsigned int, "
                          "got %s",
                          obj_kind(&f[0]));
  if (f[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return dusk_error_set(err, DUSK_ETYPE,
                          "table field 'nrows': expected unsigned int, got %s",
                          obj_kind(&f[1]));
  if (f[2].type != MSGPACK_OBJECT_ARRAY)
    return dusk_error_set(err, DUSK_ETYPE,
                          "table field 'columns': expected array, got %s",
                          obj_kind(&f[2]));
  nindex = f[0].via.u64;
  nrows = f[1].via.u64;
  cols = &f[2];
  if (nrows > input_len)
    return dusk_error_set(err, DUSK_ETOOBIG, "table of %llu rows in %zu bytes",
                          (unsigned long long)nrows, input_len);
  if (nindex > cols->via.array.size)
    return dusk_error_set(
        err, DUSK_EPARSE, "table of %u columns has %llu index columns",
        (unsigned)cols->via.array.size, (unsigned long long)nindex);
  if (top->via.array.size == 5 &&
      (f[4].type != MSGPACK_OBJECT_BIN ||
       f[4].via.bin.size != cols->via.array.size))
    return dusk_error_set(err, DUSK_ETYPE,
                          "table field 'logical': expected a bin of %u bytes",
                          (unsigned)cols->via.array.size);
  if (top->via.array.size >= 4) {
    if (f[3].type != MSGPACK_OBJECT_BIN)
      return dusk_error_set(err, DUSK_ETYPE,
                            "table field 'source_na': expected bin, got %s",
                            obj_kind(&f[3]));
    if (f[3].via.bin.size != cols->via.array.size)
      return dusk_error_set(err, DUSK_ETYPE,
                            "table field 'source_na' of %u bytes for %u "
                            "columns",
                            (unsigned)f[3].via.bin.size,
                            (unsigned)cols->via.array.size);
  }
  t = table_alloc(cols->via.array.size, (size_t)nindex);
  if (t == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "table: out of memory");
  t->nrows = t->cap = (size_t)nrows;
  for (size_t i = 0; i < t->ncols; i++) {
    int rc;
    d.col = i;
    rc = decode_column(&d, &cols->via.array.ptr[i], t->nrows, &t->cols[i]);
    if (rc == 0 && top->via.array.size == 5) {
      dusk_type lt = (dusk_type)(uint8_t)f[4].via.bin.ptr[i];
      if (lt != 0 && !logical_applies(lt, t->cols[i].type))
        rc = col_error(&d, DUSK_EPARSE, "logical type %u on a %s column",
                       (unsigned)lt, type_str(t->cols[i].type));
      t->cols[i].logical = lt;
    }
    if (rc == 0 && top->via.array.size >= 4) {
      uint8_t flag = (uint8_t)f[3].via.bin.ptr[i];
      if (flag > 3)
        rc = col_error(&d, DUSK_EPARSE, "source_na byte %u (not 0 to 3)",
                       flag);
      else if ((flag & 1) && !source_na_applies(t->cols[i].type))
        rc = col_error(&d, DUSK_EPARSE, "source_na set on a %s column",
                       type_str(t->cols[i].type));
      else if ((flag & 2) &&
               !masked_applies(t->cols[i].type, t->cols[i].logical))
        rc = col_error(&d, DUSK_EPARSE, "masked set on a %s column",
                       type_str(t->cols[i].type));
      t->cols[i].source_na = flag & 1;
      t->cols[i].masked = flag >> 1;
    }
    if (rc != 0) {
      if (rc == DUSK_ENOMEM)
        col_error(&d, rc, "out of memory");
      dusk_table_free(t);
      return rc;
    }
  }
  *out = t;
  return 0;
}

int dusk_table_decode(dusk_slice bytes, dusk_table **out, dusk_error *err) {
  dusk_msgcheck_limits lim;
  msgpack_zone *zone;
  msgpack_object obj;
  size_t consumed = 0, off = 0;
  int rc;

  *out = NULL;
  lim.max_depth = 3; /* table, columns, column */
  lim.max_items = bytes.len + 1;
  if ((rc = dusk_msgcheck(bytes.ptr, bytes.len, &lim, &consumed, err)) != 0) {
    char why[DUSK_ERROR_MESSAGE_MAX];
    if (err == NULL)
      return rc;
    memcpy(why, err->message, sizeof why);
    why[sizeof why - 1] = '\0';
    return dusk_error_set(err, rc, "table: %s", why);
  }
  if (consumed != bytes.len)
    return dusk_error_set(err, DUSK_ETRAILING,
                          "table: %zu trailing bytes after the value",
                          bytes.len - consumed);
  if ((zone = msgpack_zone_new(8192)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "table: out of memory");
  if (msgpack_unpack(bytes.ptr, bytes.len, &off, zone, &obj) !=
      MSGPACK_UNPACK_SUCCESS)
    rc = dusk_error_set(err, DUSK_EPROTO, "table: undecodable msgpack");
  else
    rc = decode_object(&obj, bytes.len, out, err);
  msgpack_zone_free(zone);
  return rc;
}


/* ---- reordering (post steps: sort_values, head, tail on a result) ------- */

/* An empty table of t's columns cols[0..n) (NULL: all of them), the first
 * nindex its index; NULL when out of memory. */
static dusk_table *empty_like(const dusk_table *t, const size_t *cols,
                              size_t n, size_t nindex) {
  const char **names = calloc(n ? n : 1, sizeof *names);
  dusk_type *types = calloc(n ? n : 1, sizeof *types);
  dusk_table *r = NULL;
  if (names != NULL && types != NULL) {
    for (size_t k = 0; k < n; k++) {
      names[k] = t->cols[cols ? cols[k] : k].name;
      types[k] = t->cols[cols ? cols[k] : k].type;
    }
    r = dusk_table_new(names, types, n, nindex);
  }
  free(names);
  free(types);
  return r;
}

void dusk_table_copy_flags(dusk_table_column *to,
                           const dusk_table_column *from) {
  to->source_na = from->source_na;
  to->masked = from->masked;
  to->logical = from->logical;
}

int dusk_table_take(const dusk_table *t, const size_t *order, size_t n,
                    dusk_table **out) {
  dusk_table *r;
  int rc = DUSK_EINVAL;
  *out = NULL;
  if ((r = empty_like(t, NULL, t->ncols, t->nindex)) == NULL)
    return DUSK_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (order[i] >= t->nrows)
      goto done;
  /* Room for every row first, then one gather loop per column (a sorted
   * frame's parts take millions of rows). */
  if ((rc = n > 0 ? reserve_rows(r, n) : 0) != 0)
    goto done;
  for (size_t c = 0; c < t->ncols; c++) {
    dusk_table_column *d = &r->cols[c];
    const dusk_table_column *s = &t->cols[c];
    for (size_t i = 0; i < n; i++)
      d->valid[i] = s->valid[order[i]];
    switch (s->type) {
    case DUSK_TYPE_STRING: {
      size_t bytes = 0, at = 0;
      for (size_t i = 0; i < n; i++)
        bytes += (size_t)(s->str_off[order[i] + 1] - s->str_off[order[i]]);
      if ((rc = reserve_bytes(d, bytes)) != 0)
        goto done;
      d->str_off[0] = 0;
      for (size_t i = 0; i < n; i++) {
        size_t len = (size_t)(s->str_off[order[i] + 1] - s->str_off[order[i]]);
        if (len > 0)
          memcpy(d->str_data + at, s->str_data + s->str_off[order[i]], len);
        at += len;
        d->str_off[i + 1] = at;
      }
      d->str_len = at;
      break;
    }
    case DUSK_TYPE_FLOAT64:
      for (size_t i = 0; i < n; i++)
        d->f64[i] = s->f64[order[i]];
      break;
    case DUSK_TYPE_BOOL:
      for (size_t i = 0; i < n; i++)
        d->b[i] = s->b[order[i]];
      break;
    case DUSK_TYPE_INT64:
      for (size_t i = 0; i < n; i++)
        d->i64[i] = s->i64[order[i]];
      break;
    default: /* NULL; logical types are stored as int64 */
      break;
    }
    dusk_table_copy_flags(d, s);
  }
  r->nrows = n;
  rc = 0;
done:
  if (rc != 0) {
    dusk_table_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

int dusk_table_columns(const dusk_table *t, const size_t *cols, size_t n,
                       size_t nindex, dusk_table **out) {
  dusk_table *r;
  size_t rows = t->nrows;
  int rc;
  *out = NULL;
  for (size_t k = 0; k < n; k++)
    if (cols[k] >= t->ncols)
      return DUSK_EINVAL;
  if ((r = empty_like(t, cols, n, nindex)) == NULL)
    return DUSK_ENOMEM;
  for (size_t k = 0; k < n; k++)
    dusk_table_copy_flags(&r->cols[k], &t->cols[cols[k]]);
  if ((rc = rows > 0 ? reserve_rows(r, rows) : 0) != 0)
    goto done;
  for (size_t k = 0; k < n && rows > 0; k++) { /* (no arrays when empty) */
    dusk_table_column *d = &r->cols[k];
    const dusk_table_column *s = &t->cols[cols[k]];
    memcpy(d->valid, s->valid, rows);
    switch (s->type) {
    case DUSK_TYPE_INT64:
      memcpy(d->i64, s->i64, rows * 8);
      break;
    case DUSK_TYPE_FLOAT64:
      memcpy(d->f64, s->f64, rows * 8);
      break;
    case DUSK_TYPE_BOOL:
      memcpy(d->b, s->b, rows);
      break;
    case DUSK_TYPE_STRING:
      if ((rc = reserve_bytes(d, s->str_len)) != 0)
        goto done;
      if (s->str_len > 0)
        memcpy(d->str_data, s->str_data, s->str_len);
      memcpy(d->str_off, s->str_off, (rows + 1) * sizeof *d->str_off);
      d->str_len = s->str_len;
      break;
    default: /* NULL; logical types are stored as int64 */
      break;
    }
  }
  r->nrows = rows;
  rc = 0;
done:
  if (rc != 0) {
    dusk_table_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

typedef struct sort_keys {
  const dusk_table *t;
  const int *cols;
  const uint8_t *asc;
  size_t n;
} sort_keys;

/* <0, 0, >0: row a of ta before, tied with, after row b of tb, as
 * dusk_table_sort_order orders rows (columns ca[i] of ta against cb[i] of
 * tb, of one type). */
static inline int rows_cmp(const dusk_table *ta, const int *ca, size_t a,
                           const dusk_table *tb, const int *cb, size_t b,
                           const uint8_t *asc, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const dusk_table_column *x = &ta->cols[ca[i]], *y = &tb->cols[cb[i]];
    bool na = !x->valid[a], nb = !y->valid[b];
    int r = 0;
    if (x->type == DUSK_TYPE_FLOAT64) {
      na |= isnan(x->f64[a]);
      nb |= isnan(y->f64[b]);
    }
    if (na || nb) { /* nulls last in either direction */
      if (na != nb)
        return na ? 1 : -1;
      continue;
    }
    switch (x->type) {
    case DUSK_TYPE_INT64:
      r = (x->i64[a] > y->i64[b]) - (x->i64[a] < y->i64[b]);
      break;
    case DUSK_TYPE_FLOAT64:
      r = (x->f64[a] > y->f64[b]) - (x->f64[a] < y->f64[b]);
      break;
    case DUSK_TYPE_BOOL:
      r = (int)x->b[a] - (int)y->b[b];
      break;
    case DUSK_TYPE_STRING: {
      size_t la = (size_t)(x->str_off[a + 1] - x->str_off[a]);
      size_t lb = (size_t)(y->str_off[b + 1] - y->str_off[b]);
      r = memcmp(x->str_data + x->str_off[a], y->str_data + y->str_off[b],
                 la < lb ? la : lb);
      if (r == 0)
        r = (la > lb) - (la < lb);
      break;
    }
    default:
      break;
    }
    if (r != 0)
      return asc[i] ? r : -r;
  }
  return 0;
}

int dusk_table_rows_cmp(const dusk_table *ta, const int *ca, size_t a,
                        const dusk_table *tb, const int *cb, size_t b,
                        const uint8_t *asc, size_t n) {
  return rows_cmp(ta, ca, a, tb, cb, b, asc, n);
}

/* <0, 0, >0: row a before, tied with, after row b. */
static int sort_cmp(const sort_keys *k, size_t a, size_t b) {
  return rows_cmp(k->t, k->cols, a, k->t, k->cols, b, k->asc, k->n);
}

/* A stable merge sort of v[0..n) by sort_cmp, tmp holding n entries. */
static void sort_merge(const sort_keys *k, size_t *v, size_t *tmp, size_t n) {
  size_t mid = n / 2, i = 0, j = mid, o = 0;
  if (n < 2)
    return;
  sort_merge(k, v, tmp, mid);
  sort_merge(k, v + mid, tmp, n - mid);
  while (i < mid && j < n)
    tmp[o++] = sort_cmp(k, v[j], v[i]) < 0 ? v[j++] : v[i++];
  while (i < mid)
    tmp[o++] = v[i++];
  while (j < n)
    tmp[o++] = v[j++];
  memcpy(v, tmp, n * sizeof *v);
}

/* The sort of one int64, float64 or bool column as unsigned 64-bit keys
 * that order as the values do in the direction asked (a float's bits
 * turned as radix sorts do; descending: every bit flipped). */
static uint64_t radix_key(const dusk_table_column *c, size_t r, bool asc) {
  uint64_t u;
  if (c->type == DUSK_TYPE_INT64) {
    u = (uint64_t)c->i64[r] ^ (UINT64_C(1) << 63);
  } else if (c->type == DUSK_TYPE_FLOAT64) {
    double v = c->f64[r] == 0 ? 0.0 : c->f64[r]; /* -0.0 ties 0.0 */
    memcpy(&u, &v, 8);
    u = (u >> 63) ? ~u : u ^ (UINT64_C(1) << 63);
  } else {
    u = c->b[r];
  }
  return asc ? u : ~u;
}

/* A stable LSD radix sort of one fixed-width column's rows (nulls and NaN
 * last, in row order): 8 passes of 8 bits, skipping the bytes every key
 * shares.  false when out of memory (the caller merge-sorts). */
static bool radix_order(const dusk_table *t, int col, bool asc,
                        size_t *order) {
  const dusk_table_column *c = &t->cols[col];
  size_t n = t->nrows, nn = 0, at;
  uint64_t *key = malloc(n * sizeof *key), *key2 = malloc(n * sizeof *key2);
  size_t *tmp = malloc(n * sizeof *tmp);
  uint64_t all_and = ~UINT64_C(0), all_or = 0;
  if (key == NULL || key2 == NULL || tmp == NULL) {
    free(key);
    free(key2);
    free(tmp);
    return false;
  }
  for (size_t r = 0; r < n; r++)
    if (c->valid[r] && !(c->type == DUSK_TYPE_FLOAT64 && isnan(c->f64[r]))) {
      key[nn] = radix_key(c, r, asc);
      all_and &= key[nn];
      all_or |= key[nn];
      order[nn++] = r;
    }
  at = nn;
  for (size_t r = 0; r < n; r++)
    if (!(c->valid[r] && !(c->type == DUSK_TYPE_FLOAT64 && isnan(c->f64[r]))))
      order[at++] = r;
  for (int shift = 0; shift < 64; shift += 8) {
    size_t count[257] = {0};
    if ((((all_and ^ all_or) >> shift) & 0xff) == 0)
      continue; /* every key has the same byte here */
    for (size_t i = 0; i < nn; i++)
      count[((key[i] >> shift) & 0xff) + 1]++;
    for (int b = 0; b < 256; b++)
      count[b + 1] += count[b];
    for (size_t i = 0; i < nn; i++) {
      size_t to = count[(key[i] >> shift) & 0xff]++;
      key2[to] = key[i];
      tmp[to] = order[i];
    }
    memcpy(key, key2, nn * sizeof *key);
    memcpy(order, tmp, nn * sizeof *order);
  }
  free(key);
  free(key2);
  free(tmp);
  return true;
}

void dusk_table_sort_order(const dusk_table *t, const int *cols,
                           const uint8_t *ascending, size_t n, size_t *order) {
  sort_keys k = {t, cols, ascending, n};
  size_t *tmp;
  for (size_t i = 0; i < t->nrows; i++)
    order[i] = i;
  if (t->nrows < 2)
    return;
  if (n == 1 && t->cols[cols[0]].type != DUSK_TYPE_STRING &&
      t->cols[cols[0]].type != DUSK_TYPE_NULL &&
      radix_order(t, cols[0], ascending[0] != 0, order))
    return;
  if ((tmp = malloc(t->nrows * sizeof *tmp)) == NULL) {
    /* Insertion sort needs no memory: slower, same (stable) order. */
    for (size_t i = 1; i < t->nrows; i++) {
      size_t x = order[i], j = i;
      while (j > 0 && sort_cmp(&k, x, order[j - 1]) < 0) {
        order[j] = order[j - 1];
        j--;
      }
      order[j] = x;
    }
    return;
  }
  sort_merge(&k, order, tmp, t->nrows);
  free(tmp);
}

/* ---- pandas' default sort of one column ------------------------------- */

static bool less_i64(const void *ctx, size_t a, size_t b) {
  const dusk_table_column *c = ctx;
  return c->i64[a] < c->i64[b];
}

static bool less_f64(const void *ctx, size_t a, size_t b) {
  const dusk_table_column *c = ctx; /* no NaN: nargsort masked them */
  return c->f64[a] < c->f64[b];
}

static bool less_bool(const void *ctx, size_t a, size_t b) {
  const dusk_table_column *c = ctx;
  return c->b[a] < c->b[b];
}

/* Python's str < (code points) is UTF-8's byte order. */
static bool less_str(const void *ctx, size_t a, size_t b) {
  const dusk_table_column *c = ctx;
  size_t la = (size_t)(c->str_off[a + 1] - c->str_off[a]);
  size_t lb = (size_t)(c->str_off[b + 1] - c->str_off[b]);
  int r = memcmp(c->str_data + c->str_off[a], c->str_data + c->str_off[b],
                 la < lb ? la : lb);
  return r < 0 || (r == 0 && la < lb);
}

void dusk_table_nargsort(const dusk_table *t, int col, bool ascending,
                         size_t *order) {
  const dusk_table_column *c = &t->cols[col];
  dusk_np_less less = c->type == DUSK_TYPE_INT64     ? less_i64
                      : c->type == DUSK_TYPE_FLOAT64 ? less_f64
                      : c->type == DUSK_TYPE_BOOL    ? less_bool
                                                     : less_str;
  size_t nn = 0, at;
  for (size_t r = 0; r < t->nrows; r++)
    if (c->valid[r] && !(c->type == DUSK_TYPE_FLOAT64 && isnan(c->f64[r])))
      order[nn++] = r;
  at = nn;
  for (size_t r = 0; r < t->nrows; r++) /* the nulls, in row order, last */
    if (!(c->valid[r] && !(c->type == DUSK_TYPE_FLOAT64 && isnan(c->f64[r]))))
      order[at++] = r;
  /* descending: the values reversed, argsorted, the result reversed */
  for (size_t i = 0; !ascending && i < nn / 2; i++) {
    size_t x = order[i];
    order[i] = order[nn - 1 - i];
    order[nn - 1 - i] = x;
  }
  dusk_np_argsort_by(less, c, order, nn);
  for (size_t i = 0; !ascending && i < nn / 2; i++) {
    size_t x = order[i];
    order[i] = order[nn - 1 - i];
    order[nn - 1 - i] = x;
  }
}
