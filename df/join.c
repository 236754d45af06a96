/* join.c - see join.h. */
#include "join.h"

#include <stdlib.h>
#include <string.h>

static bool is_number(dusk_type t) {
  return t == DUSK_TYPE_INT64 || t == DUSK_TYPE_FLOAT64 || t == DUSK_TYPE_BOOL;
}

int dusk_join_key_types(dusk_type l, dusk_type r, int *mode) {
  *mode = DUSK_JOIN_EXACT;
  if (is_number(l) && is_number(r)) {
    if (l == DUSK_TYPE_FLOAT64 || r == DUSK_TYPE_FLOAT64)
      *mode = DUSK_JOIN_FLOAT;
    return 0;
  }
  if (l == DUSK_TYPE_STRING && r == DUSK_TYPE_STRING)
    return 0;
  /* pandas casts a bool key against text to object: allowed, and no
   * value of one equals a value of the other (nulls aside) */
  if ((l == DUSK_TYPE_STRING && r == DUSK_TYPE_BOOL) ||
      (l == DUSK_TYPE_BOOL && r == DUSK_TYPE_STRING)) {
    *mode = DUSK_JOIN_TEXT_BOOL;
    return 0;
  }
  if (dusk_type_is_logical(l) && l == r)
    return 0;
  return DUSK_ETYPE;
}

const char *dusk_join_dtype_name(dusk_type t) {
  switch (t) {
  case DUSK_TYPE_INT64: return "int64";
  case DUSK_TYPE_FLOAT64: return "float64";
  case DUSK_TYPE_BOOL: return "bool";
  case DUSK_TYPE_DATETIME: return "datetime64[ns]";
  case DUSK_TYPE_TIMEDELTA: return "timedelta64[ns]";
  default: return "object";
  }
}

/* Appends one key value's encoding: a tag, then the value ('N' missing,
 * 'I' an int64 (bools as 0 / 1), 'F' a float64 (-0.0 as 0.0), 'S' a
 * length and bytes, 'B' a bool compared against text). */
int dusk_join_key_add(dusk_buf *k, const dusk_value *v, int mode) {
  bool as_float = mode == DUSK_JOIN_FLOAT;
  char tag;
  union {
    int64_t i;
    double f;
    uint32_t len;
  } u;
  size_t n = 0;
  switch (v->type) {
  case DUSK_TYPE_NULL:
    tag = 'N';
    break;
  case DUSK_TYPE_STRING:
    tag = 'S';
    u.len = (uint32_t)v->u.s.len;
    n = sizeof u.len;
    break;
  case DUSK_TYPE_FLOAT64:
    tag = 'F';
    u.f = v->u.f == 0 ? 0.0 : v->u.f;
    n = sizeof u.f;
    break;
  default: { /* int64 (or a datetime's ns) and bool */
    int64_t i;
    if (v->type == DUSK_TYPE_BOOL && mode == DUSK_JOIN_TEXT_BOOL) {
      tag = 'B';
      u.i = v->u.b;
      n = sizeof u.i;
      break;
    }
    i = v->type == DUSK_TYPE_BOOL ? (int64_t)v->u.b : v->u.i;
    if (as_float) {
      tag = 'F';
      u.f = (double)i;
      u.f = u.f == 0 ? 0.0 : u.f;
      n = sizeof u.f;
    } else {
      tag = 'I';
      u.i = i;
      n = sizeof u.i;
    }
    break;
  }
  }
  if (dusk_buf_append(k, &tag, 1) != 0 ||
      (n > 0 && dusk_buf_append(k, &u, n) != 0) ||
      (v->type == DUSK_TYPE_STRING && v->u.s.len > 0 &&
       dusk_buf_append(k, v->u.s.ptr, v->u.s.len) != 0))
    return DUSK_ENOMEM;
  return 0;
}

/* Rows whose keys are encoded, then looked up at once (index and probe). */
#define JOIN_CHUNK 512

/* The dense table of a one-int-key index (join.h), when every right
 * value lies in [0, DUSK_JOIN_DENSE_MAX); entry[r] is right row r's
 * entry.  0, or DUSK_ENOMEM. */
static int dense_index(dusk_join_index *x, const dusk_table *right,
                       const uint32_t *entry) {
  const dusk_table_column *c;
  int64_t max = -1;
  x->null_entry = DUSK_JOIN_NONE;
  if (x->nkeys != 1 || x->modes[0] != DUSK_JOIN_EXACT)
    return 0;
  c = &right->cols[x->rcols[0]];
  if (c->type != DUSK_TYPE_INT64)
    return 0;
  for (size_t r = 0; r < right->nrows; r++) {
    if (!c->valid[r])
      continue;
    if (c->i64[r] < 0 || (uint64_t)c->i64[r] >= DUSK_JOIN_DENSE_MAX)
      return 0;
    if (c->i64[r] > max)
      max = c->i64[r];
  }
  x->ndense = (size_t)(max + 1);
  if ((x->dense = malloc((x->ndense ? x->ndense : 1) * sizeof *x->dense)) ==
      NULL)
    return DUSK_ENOMEM;
  for (size_t v = 0; v < x->ndense; v++)
    x->dense[v] = DUSK_JOIN_NONE;
  for (size_t r = 0; r < right->nrows; r++) {
    if (c->valid[r])
      x->dense[c->i64[r]] = entry[r];
    else
      x->null_entry = entry[r];
  }
  return 0;
}

/* Row r's code over exact int64 / bool key columns (types[k], values
 * from the column arrays i64[k] / b[k], valid[k]), bits each, laid out
 * as keycode.h's (0 a null, else 1 + the value), or DUSK_KEYCODE_NONE: a
 * negative or wider value, another type. */
static uint64_t row_code(size_t nkeys, const dusk_type *types,
                         const int64_t *const *i64, const uint8_t *const *b,
                         const uint8_t *const *valid, unsigned bits,
                         size_t r) {
  uint64_t code = 0, lim = (uint64_t)1 << bits;
  for (size_t k = 0; k < nkeys; k++) {
    /* a null (0) meets a null, as pandas merges them; text is not coded
     * here (the probe keeps no dictionary) */
    int64_t f = dusk_keycode_field(types[k], valid[k], i64[k], b[k], r, lim);
    if (f < 0)
      return DUSK_KEYCODE_NONE;
    code = code << bits | (uint64_t)f;
  }
  return code;
}

/* The coded index (join.h) when every right key codes: entry[r] each
 * right row's entry.  0 with x->coded false when some key does not (the
 * caller builds the byte-keyed index), or DUSK_ENOMEM. */
static int coded_index(dusk_join_index *x, const dusk_table *right,
                       uint32_t *entry) {
  dusk_type types[DUSK_KEYCODE_MAX_COLS];
  const int64_t *i64[DUSK_KEYCODE_MAX_COLS];
  const uint8_t *b[DUSK_KEYCODE_MAX_COLS], *valid[DUSK_KEYCODE_MAX_COLS];
  uint64_t *codes;
  uint8_t *added;
  int rc;
  if (x->nkeys == 0 || x->nkeys > DUSK_KEYCODE_MAX_COLS)
    return 0;
  for (size_t k = 0; k < x->nkeys; k++) {
    const dusk_table_column *c = &right->cols[x->rcols[k]];
    if (x->modes[k] != DUSK_JOIN_EXACT ||
        (c->type != DUSK_TYPE_INT64 && c->type != DUSK_TYPE_BOOL))
      return 0;
    types[k] = c->type;
    i64[k] = c->i64;
    b[k] = c->b;
    valid[k] = c->valid;
  }
  x->code_bits = (unsigned)(63 / x->nkeys);
  if ((codes = malloc((right->nrows + 1) * sizeof *codes)) == NULL ||
      (added = malloc(right->nrows + 1)) == NULL) {
    free(codes);
    return DUSK_ENOMEM;
  }
  for (size_t r = 0; r < right->nrows; r++)
    if ((codes[r] = row_code(x->nkeys, types, i64, b, valid, x->code_bits,
                             r)) == DUSK_KEYCODE_NONE) {
      free(codes);
      free(added);
      return 0;
    }
  dusk_codeset_init(&x->codes);
  rc = dusk_codeset_find_or_add_batch(&x->codes, codes, right->nrows, entry,
                                      added);
  dusk_codeset_release_scratch(&x->codes); /* probes only read it */
  free(codes);
  free(added);
  if (rc != 0)
    return rc;
  x->coded = true;
  return 0;
}

void dusk_join_index_destroy(dusk_join_index *x) {
  if (x == NULL)
    return;
  free(x->rcols);
  free(x->modes);
  dusk_keyset_destroy(&x->keys);
  dusk_codeset_destroy(&x->codes);
  free(x->first);
  free(x->rows);
  free(x->dense);
  memset(x, 0, sizeof *x);
}

int dusk_join_index_build(dusk_join_index *x, const dusk_table *right,
                          const int *rcols, const int *modes, size_t nkeys,
                          dusk_error *err) {
  uint32_t *entry = NULL, *fill = NULL;
  size_t n = right->nrows, nentries;
  dusk_buf key;
  memset(x, 0, sizeof *x);
  dusk_keyset_init(&x->keys);
  dusk_buf_init(&key);
  x->right = right;
  x->nkeys = nkeys;
  if (n >= UINT32_MAX - 1)
    return dusk_error_set(err, DUSK_EINVAL,
                          "merge: the right side has %zu rows, more than a "
                          "broadcast join indexes",
                          n);
  x->rcols = calloc(nkeys + 1, sizeof *x->rcols);
  x->modes = calloc(nkeys + 1, sizeof *x->modes);
  entry = calloc(n + 1, sizeof *entry);
  x->rows = calloc(n + 1, sizeof *x->rows);
  if (x->rcols == NULL || x->modes == NULL || entry == NULL ||
      x->rows == NULL)
    goto oom;
  memcpy(x->rcols, rcols, nkeys * sizeof *rcols);
  memcpy(x->modes, modes, nkeys * sizeof *modes);
  if (coded_index(x, right, entry) != 0)
    goto oom;
  /* Else keys a chunk at a time: the key set's batch lookup fetches
   * ahead. */
  for (size_t from = 0; !x->coded && from < n; from += JOIN_CHUNK) {
    size_t m = n - from < JOIN_CHUNK ? n - from : JOIN_CHUNK;
    size_t offs[JOIN_CHUNK + 1];
    uint8_t added[JOIN_CHUNK];
    key.len = 0;
    for (size_t i = 0; i < m; i++) {
      offs[i] = key.len;
      for (size_t k = 0; k < nkeys; k++) {
        dusk_value v;
        dusk_table_get(right, (size_t)rcols[k], from + i, &v);
        if (dusk_join_key_add(&key, &v, modes[k]) != 0)
          goto oom;
      }
    }
    offs[m] = key.len;
    if (dusk_keyset_find_or_add_batch(&x->keys, key.data, offs, m,
                                      entry + from, added) != 0)
      goto oom;
  }
  /* Counting sort of the rows by entry: stable, so each key's rows keep
   * the table's order. */
  nentries = dusk_join_entries(x);
  x->first = calloc(nentries + 2, sizeof *x->first);
  fill = calloc(nentries + 1, sizeof *fill);
  if (x->first == NULL || fill == NULL)
    goto oom;
  for (size_t r = 0; r < n; r++)
    x->first[entry[r] + 1]++;
  x->unique = true;
  for (size_t e = 0; e < nentries; e++) {
    x->unique &= x->first[e + 1] <= 1;
    x->first[e + 1] += x->first[e];
  }
  for (size_t r = 0; r < n; r++)
    x->rows[x->first[entry[r]] + fill[entry[r]]++] = (uint32_t)r;
  if (dense_index(x, right, entry) != 0)
    goto oom;
  free(entry);
  free(fill);
  dusk_buf_destroy(&key);
  return 0;
oom:
  free(entry);
  free(fill);
  dusk_buf_destroy(&key);
  dusk_join_index_destroy(x);
  return dusk_error_set(err, DUSK_ENOMEM, "merge: out of memory indexing "
                                          "the right side");
}

int dusk_join_probe(const dusk_join_index *x, const dusk_batch *b,
                    const int *lcols, uint32_t *entries, dusk_buf *scratch) {
  const dusk_column *c = &b->cols[lcols[0]];
  if (x->dense != NULL && c->type == DUSK_TYPE_INT64) {
    for (size_t r = 0; r < b->nrows; r++) {
      int64_t v = c->i64[r];
      entries[r] = !c->valid[r] ? x->null_entry
                   : v >= 0 && (uint64_t)v < x->ndense ? x->dense[v]
                                                       : DUSK_JOIN_NONE;
    }
    return 0;
  }
  if (x->coded) {
    dusk_type types[DUSK_KEYCODE_MAX_COLS];
    const int64_t *i64[DUSK_KEYCODE_MAX_COLS];
    const uint8_t *bv[DUSK_KEYCODE_MAX_COLS], *valid[DUSK_KEYCODE_MAX_COLS];
    for (size_t k = 0; k < x->nkeys; k++) {
      const dusk_column *lc = &b->cols[lcols[k]];
      types[k] = lc->type;
      i64[k] = lc->i64;
      bv[k] = lc->b;
      valid[k] = lc->valid;
    }
    for (size_t from = 0; from < b->nrows; from += JOIN_CHUNK) {
      size_t m = b->nrows - from < JOIN_CHUNK ? b->nrows - from : JOIN_CHUNK;
      uint64_t codes[JOIN_CHUNK];
      size_t rows[JOIN_CHUNK], nc = 0;
      uint32_t found[JOIN_CHUNK];
      for (size_t i = 0; i < m; i++) {
        uint64_t code = row_code(x->nkeys, types, i64, bv, valid,
                                 x->code_bits, from + i);
        entries[from + i] = DUSK_JOIN_NONE;
        if (code != DUSK_KEYCODE_NONE) {
          codes[nc] = code;
          rows[nc++] = from + i;
        }
      }
      dusk_codeset_find_batch(&x->codes, codes, nc, found);
      for (size_t i = 0; i < nc; i++)
        entries[rows[i]] = found[i]; /* UINT32_MAX is DUSK_JOIN_NONE */
    }
    return 0;
  }
  for (size_t from = 0; from < b->nrows; from += JOIN_CHUNK) {
    size_t m = b->nrows - from < JOIN_CHUNK ? b->nrows - from : JOIN_CHUNK;
    size_t offs[JOIN_CHUNK + 1];
    scratch->len = 0;
    for (size_t i = 0; i < m; i++) {
      offs[i] = scratch->len;
      for (size_t k = 0; k < x->nkeys; k++) {
        dusk_value v;
        dusk_batch_get(b, (size_t)lcols[k], from + i, &v);
        if (dusk_join_key_add(scratch, &v, x->modes[k]) != 0)
          return DUSK_ENOMEM;
      }
    }
    offs[m] = scratch->len;
    /* the set's "none" (UINT32_MAX) is DUSK_JOIN_NONE */
    dusk_keyset_find_batch(&x->keys, scratch->data, offs, m, entries + from);
  }
  return 0;
}
