/* check_hashagg.c - groupby hash aggregation (worker/hashagg.c): every
 * aggregate over every input type, keys of every type alone and together,
 * nulls in keys and values, the sort order of groups, the partial state
 * through the wire encoding and merged in any split, order and tree shape,
 * and a randomized comparison with a reference computed here.
 *
 * Expected values follow pandas 1.5 (groupby with dropna=True, sort=True;
 * int64 sums wrap like numpy).  Floats in the merge tests are multiples of
 * 1/4, so every order of summation is exact and results compare with ==.
 * Every partial is decoded from an exact-size heap copy of its encoding, so
 * a read past the bytes shows up under AddressSanitizer. */
#include "batch.h"
#include "testutil.h"
#include "allocfail.h"
#include "hashagg.h"
#include "table.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ---------------------------------------------------------------
 */

#define N tu_null()

/* A deterministic generator (splitmix64), so failures reproduce. */
static uint64_t rng_state;

static uint64_t rnd(void) { return tu_splitmix(&rng_state); }

static size_t rnd_below(size_t n) { return (size_t)(rnd() % n); }

/* ---- batches --------------------------------------------------------------
 */

/* Sets one cell.  A null cell's data is poisoned, so code that reads data
 * behind a null shows up as a wrong answer. */
static void put(dusk_batch *b, size_t col, size_t row, dusk_value v) {
  dusk_column *c = &b->cols[col];
  uint32_t off;
  REQUIRE(row < b->cap, "row %zu past the batch capacity %zu", row, b->cap);
  if (v.type == DUSK_TYPE_NULL) {
    c->valid[row] = 0;
    switch (c->type) {
    case DUSK_TYPE_INT64:
      c->i64[row] = 0x5a5a5a5a5a5a5a5aLL;
      break;
    case DUSK_TYPE_FLOAT64:
      c->f64[row] = 123456.75;
      break;
    case DUSK_TYPE_BOOL:
      c->b[row] = 1;
      break;
    case DUSK_TYPE_STRING: {
      REQUIRE(dusk_batch_arena_add(b, "POISON", 6, &off) == 0, "arena_add");
      c->str_off[row] = off;
      c->str_len[row] = 6;
      break;
    }
    default:
      break;
    }
    return;
  }
  REQUIRE(v.type == c->type, "value of type %d in a column of type %d",
          (int)v.type, (int)c->type);
  c->valid[row] = 1;
  switch (c->type) {
  case DUSK_TYPE_INT64:
    c->i64[row] = v.u.i;
    break;
  case DUSK_TYPE_FLOAT64:
    c->f64[row] = v.u.f;
    break;
  case DUSK_TYPE_BOOL:
    c->b[row] = v.u.b ? 1 : 0;
    break;
  case DUSK_TYPE_STRING: {
    REQUIRE(dusk_batch_arena_add(b, v.u.s.ptr, v.u.s.len, &off) == 0,
            "arena_add");
    c->str_off[row] = off;
    c->str_len[row] = (uint32_t)v.u.s.len;
    break;
  }
  default:
    ck_abort_msg("bad column type");
  }
}

static void add_row(dusk_batch *b, const dusk_value *row) {
  for (size_t c = 0; c < b->ncols; c++)
    put(b, c, b->nrows, row[c]);
  b->nrows++;
}

/* A dataset: rows of values, row-major, strings borrowed from literals. */
typedef struct dataset {
  size_t ncols, nrows;
  const dusk_type *types;
  dusk_value *cells;
} dataset;

static const dusk_value *ds_row(const dataset *d, size_t r) {
  return d->cells + r * d->ncols;
}

/* ---- aggregates -----------------------------------------------------------
 */

#define MAXKEYS 4
#define MAXAGGS 32

/* Which columns are keys and which aggregates read which column. */
typedef struct config {
  size_t nkeys;
  const char *key_names[MAXKEYS];
  dusk_type key_types[MAXKEYS];
  int key_cols[MAXKEYS];
  size_t naggs;
  dusk_aggspec aggs[MAXAGGS];
  int agg_cols[MAXAGGS];
} config;

static void cfg_key(config *c, const char *name, dusk_type t, int col) {
  ck_assert_uint_lt(c->nkeys, MAXKEYS);
  c->key_names[c->nkeys] = name;
  c->key_types[c->nkeys] = t;
  c->key_cols[c->nkeys++] = col;
}

static void cfg_agg(config *c, dusk_agg_fn fn, dusk_type input, int col,
                    const char *name) {
  ck_assert_uint_lt(c->naggs, MAXAGGS);
  c->aggs[c->naggs].fn = fn;
  c->aggs[c->naggs].input = input;
  c->aggs[c->naggs].name = name;
  c->agg_cols[c->naggs++] = fn == DUSK_AGG_SIZE ? -1 : col;
}

static dusk_hashagg *cfg_new(const config *c) {
  dusk_hashagg *h =
      dusk_hashagg_new(c->key_names, c->key_types, c->nkeys, c->aggs, c->naggs);
  REQUIRE(h != NULL, "dusk_hashagg_new failed");
  return h;
}

/* Adds rows[0..n) of d (all rows when rows is NULL) in batches of cap. */
static void add_rows(dusk_hashagg *h, const config *c, const dataset *d,
                     const size_t *rows, size_t n, size_t cap) {
  dusk_batch b;
  REQUIRE(dusk_batch_init(&b, d->types, d->ncols, cap) == 0, "batch_init");
  for (size_t i = 0; i < n; i++) {
    add_row(&b, ds_row(d, rows ? rows[i] : i));
    if (b.nrows == cap) {
      REQUIRE(dusk_hashagg_add(h, &b, c->key_cols, c->agg_cols) == 0,
              "dusk_hashagg_add failed");
      dusk_batch_clear(&b);
    }
  }
  if (b.nrows > 0 || n == 0)
    REQUIRE(dusk_hashagg_add(h, &b, c->key_cols, c->agg_cols) == 0,
            "dusk_hashagg_add failed");
  dusk_batch_destroy(&b);
}

static dusk_table *final_of(const dusk_hashagg *h) {
  dusk_table *t = NULL;
  REQUIRE(dusk_hashagg_final(h, &t) == 0 && t != NULL, "final failed");
  return t;
}

/* Encodes t and decodes it from an exact-size heap copy; frees t. */
static dusk_table *roundtrip(dusk_table *t) {
  dusk_buf buf;
  dusk_table *out = NULL;
  dusk_error err;
  char *copy;
  dusk_slice s;
  dusk_buf_init(&buf);
  REQUIRE(dusk_table_encode(t, &buf) == 0, "encode failed");
  copy = malloc(buf.len ? buf.len : 1);
  REQUIRE(copy != NULL, "out of memory");
  memcpy(copy, buf.data, buf.len);
  s.ptr = copy;
  s.len = buf.len;
  dusk_error_clear(&err);
  REQUIRE(dusk_table_decode(s, &out, &err) == 0, "decode: %s", err.message);
  free(copy);
  dusk_buf_destroy(&buf);
  dusk_table_free(t);
  return out;
}

/* The partial state of h, through the wire. */
static dusk_table *partial_of(const dusk_hashagg *h) {
  dusk_table *t = NULL;
  REQUIRE(dusk_hashagg_partial(h, &t) == 0 && t != NULL, "partial failed");
  return roundtrip(t);
}

static void merge_ok(dusk_hashagg *h, const dusk_table *p) {
  dusk_error err;
  dusk_error_clear(&err);
  REQUIRE(dusk_hashagg_merge(h, p, &err) == 0, "merge: %s", err.message);
}

/* One final computed in one go, for the simple cases. */
static dusk_table *aggregate(const config *c, const dataset *d) {
  dusk_hashagg *h = cfg_new(c);
  dusk_table *t;
  add_rows(h, c, d, NULL, d->nrows, 4);
  t = final_of(h);
  dusk_hashagg_free(h);
  return t;
}

/* ---- comparing ------------------------------------------------------------
 */

static int same_value(const dusk_value *a, const dusk_value *b) {
  if (a->type != b->type)
    return 0;
  switch (a->type) {
  case DUSK_TYPE_NULL:
    return 1;
  case DUSK_TYPE_INT64:
    return a->u.i == b->u.i;
  case DUSK_TYPE_FLOAT64:
    return a->u.f == b->u.f || (isnan(a->u.f) && isnan(b->u.f));
  case DUSK_TYPE_BOOL:
    return a->u.b == b->u.b;
  case DUSK_TYPE_STRING:
    return a->u.s.len == b->u.s.len &&
           memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0;
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
  return 0;
}

static void describe(const dusk_value *v, char *out, size_t n) {
  switch (v->type) {
  case DUSK_TYPE_NULL:
    snprintf(out, n, "null");
    break;
  case DUSK_TYPE_INT64:
    snprintf(out, n, "int %lld", (long long)v->u.i);
    break;
  case DUSK_TYPE_FLOAT64:
    snprintf(out, n, "float %.17g", v->u.f);
    break;
  case DUSK_TYPE_BOOL:
    snprintf(out, n, "bool %d", (int)v->u.b);
    break;
  case DUSK_TYPE_STRING:
    snprintf(out, n, "string '%.*s'", (int)v->u.s.len, v->u.s.ptr);
    break;
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
}

static void expect_cell(const dusk_table *t, size_t col, size_t row,
                        dusk_value want) {
  dusk_value got;
  char g[160], w[160];
  REQUIRE(col < t->ncols && row < t->nrows,
          "no cell (%zu, %zu) in a %zux%zu table", row, col, t->nrows,
          t->ncols);
  dusk_table_get(t, col, row, &got);
  if (same_value(&got, &want))
    return;
  describe(&got, g, sizeof g);
  describe(&want, w, sizeof w);
  ck_abort_msg("row %zu col %zu (%s): got %s, want %s", row, col,
               t->cols[col].name, g, w);
}

static void expect_row(const dusk_table *t, size_t row,
                       const dusk_value *want) {
  for (size_t c = 0; c < t->ncols; c++)
    expect_cell(t, c, row, want[c]);
}

static void expect_shape(const dusk_table *t, size_t nrows,
                         const char *const *names, const dusk_type *types,
                         size_t ncols, size_t nindex) {
  ck_assert_uint_eq(t->ncols, ncols);
  ck_assert_uint_eq(t->nrows, nrows);
  ck_assert_uint_eq(t->nindex, nindex);
  for (size_t c = 0; c < ncols; c++) {
    ck_assert_str_eq(t->cols[c].name, names[c]);
    ck_assert_msg(t->cols[c].type == types[c], "column %s: type %d, want %d",
                  names[c], (int)t->cols[c].type, (int)types[c]);
  }
}

static void assert_tables_equal(const dusk_table *a, const dusk_table *b,
                                const char *what) {
  ck_assert_msg(a->ncols == b->ncols && a->nrows == b->nrows &&
                    a->nindex == b->nindex,
                "%s: shape %zux%zu/%zu vs %zux%zu/%zu", what, a->nrows,
                a->ncols, a->nindex, b->nrows, b->ncols, b->nindex);
  for (size_t c = 0; c < a->ncols; c++) {
    ck_assert_str_eq(a->cols[c].name, b->cols[c].name);
    ck_assert_int_eq(a->cols[c].type, b->cols[c].type);
    for (size_t r = 0; r < a->nrows; r++) {
      dusk_value x, y;
      char sx[160], sy[160];
      dusk_table_get(a, c, r, &x);
      dusk_table_get(b, c, r, &y);
      if (same_value(&x, &y))
        continue;
      describe(&x, sx, sizeof sx);
      describe(&y, sy, sizeof sy);
      ck_abort_msg("%s: row %zu col %s: %s vs %s", what, r, a->cols[c].name, sx,
                   sy);
    }
  }
}

/* ---- construction ---------------------------------------------------------
 */

START_TEST(test_new_supported_pairs) {
  static const char *const keys[] = {"k"};
  static const dusk_type kt[] = {DUSK_TYPE_INT64};
  static const dusk_type inputs[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                     DUSK_TYPE_BOOL, DUSK_TYPE_STRING};
  for (int fn = DUSK_AGG_COUNT; fn <= DUSK_AGG_NUNIQUE; fn++)
    for (size_t i = 0; i < 4; i++) {
      dusk_aggspec spec = {(dusk_agg_fn)fn, inputs[i], "v", 0.0};
      dusk_hashagg *h = dusk_hashagg_new(keys, kt, 1, &spec, 1);
      /* (a sum of strings concatenates them: test_text_sum) */
      int numeric_only = fn == DUSK_AGG_MEAN;
      if (numeric_only && inputs[i] == DUSK_TYPE_STRING)
        ck_assert_msg(h == NULL, "%s of string accepted",
                      dusk_agg_name((dusk_agg_fn)fn));
      else
        ck_assert_msg(h != NULL, "%s of %s refused",
                      dusk_agg_name((dusk_agg_fn)fn),
                      dusk_type_name(inputs[i]));
      dusk_hashagg_free(h);
    }
  dusk_hashagg_free(NULL);
}
END_TEST

START_TEST(test_empty) {
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64};
  static const char *const names[] = {"k", "count", "sum"};
  static const dusk_type otypes[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                     DUSK_TYPE_INT64};
  dataset d = {2, 0, types, NULL};
  config c;
  dusk_hashagg *h, *m;
  dusk_table *t, *p;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_STRING, 0);
  cfg_agg(&c, DUSK_AGG_COUNT, DUSK_TYPE_INT64, 1, "count");
  cfg_agg(&c, DUSK_AGG_SUM, DUSK_TYPE_INT64, 1, "sum");
  h = cfg_new(&c);
  add_rows(h, &c, &d, NULL, 0, 8);
  ck_assert_uint_eq(dusk_hashagg_ngroups(h), 0);
  t = final_of(h);
  expect_shape(t, 0, names, otypes, 3, 1);
  dusk_table_free(t);
  /* An empty partial merges into nothing. */
  p = partial_of(h);
  ck_assert_uint_eq(p->nrows, 0);
  m = cfg_new(&c);
  merge_ok(m, p);
  ck_assert_uint_eq(dusk_hashagg_ngroups(m), 0);
  t = final_of(m);
  expect_shape(t, 0, names, otypes, 3, 1);
  dusk_table_free(t);
  dusk_table_free(p);
  dusk_hashagg_free(m);
  dusk_hashagg_free(h);
}
END_TEST

/* A consumer with only the plan's functions reads the key and input types
 * back from a partial's layout (df_combine / df_final do). */
START_TEST(test_partial_types) {
  config c;
  dusk_hashagg *h;
  dusk_table *p;
  dusk_aggspec specs[9]; /* eight aggregates and one too many */
  dusk_type ktypes[2];
  dusk_error err = {0};
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_STRING, 0);
  cfg_key(&c, "b", DUSK_TYPE_BOOL, 1);
  cfg_agg(&c, DUSK_AGG_COUNT, DUSK_TYPE_STRING, 2, "count");
  cfg_agg(&c, DUSK_AGG_SUM, DUSK_TYPE_FLOAT64, 2, "fsum");
  cfg_agg(&c, DUSK_AGG_SUM, DUSK_TYPE_INT64, 2, "isum");
  cfg_agg(&c, DUSK_AGG_MEAN, DUSK_TYPE_INT64, 2, "mean");
  cfg_agg(&c, DUSK_AGG_MIN, DUSK_TYPE_STRING, 2, "min");
  cfg_agg(&c, DUSK_AGG_MAX, DUSK_TYPE_BOOL, 2, "max");
  cfg_agg(&c, DUSK_AGG_NUNIQUE, DUSK_TYPE_INT64, 2, "nunique");
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  h = cfg_new(&c);
  p = partial_of(h);
  for (size_t a = 0; a < c.naggs; a++) {
    specs[a] = c.aggs[a];
    specs[a].input = DUSK_TYPE_NULL; /* only nunique's is the caller's */
  }
  specs[6].input = DUSK_TYPE_INT64;
  ck_assert_int_eq(dusk_hashagg_partial_types(p, 2, ktypes, specs, c.naggs,
                                              &err),
                   0);
  ck_assert_int_eq(ktypes[0], DUSK_TYPE_STRING);
  ck_assert_int_eq(ktypes[1], DUSK_TYPE_BOOL);
  ck_assert_int_eq(specs[0].input, DUSK_TYPE_INT64);
  ck_assert_int_eq(specs[1].input, DUSK_TYPE_FLOAT64);
  ck_assert_int_eq(specs[2].input, DUSK_TYPE_INT64);
  ck_assert_int_eq(specs[3].input, DUSK_TYPE_FLOAT64);
  ck_assert_int_eq(specs[4].input, DUSK_TYPE_STRING);
  ck_assert_int_eq(specs[5].input, DUSK_TYPE_BOOL);
  ck_assert_int_eq(specs[6].input, DUSK_TYPE_INT64);
  ck_assert_int_eq(specs[7].input, DUSK_TYPE_INT64);
  /* An aggregate more than the partial holds, or more keys than columns. */
  specs[c.naggs] = specs[1];
  ck_assert_int_eq(dusk_hashagg_partial_types(p, 2, ktypes, specs,
                                              c.naggs + 1, &err),
                   DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(err.message, "too narrow"));
  ck_assert_int_eq(dusk_hashagg_partial_types(p, p->ncols + 1, ktypes, specs,
                                              0, &err),
                   DUSK_ETYPE);
  dusk_table_free(p);
  dusk_hashagg_free(h);
}
END_TEST

/* ---- every aggregate over every input type ------------------------------- */

/* The seven aggregates of one column, named after the function. */
static void cfg_all_fns(config *c, dusk_type input, int col) {
  cfg_agg(c, DUSK_AGG_COUNT, input, col, "count");
  cfg_agg(c, DUSK_AGG_SIZE, input, col, "size");
  if (input != DUSK_TYPE_STRING) {
    cfg_agg(c, DUSK_AGG_SUM, input, col, "sum");
    cfg_agg(c, DUSK_AGG_MEAN, input, col, "mean");
  }
  cfg_agg(c, DUSK_AGG_MIN, input, col, "min");
  cfg_agg(c, DUSK_AGG_MAX, input, col, "max");
  cfg_agg(c, DUSK_AGG_NUNIQUE, input, col, "nunique");
}

START_TEST(test_int_values) {
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  static const char *const names[] = {"k",    "count", "size", "sum",
                                      "mean", "min",   "max",  "nunique"};
  static const dusk_type otypes[] = {
      DUSK_TYPE_INT64,   DUSK_TYPE_INT64, DUSK_TYPE_INT64, DUSK_TYPE_INT64,
      DUSK_TYPE_FLOAT64, DUSK_TYPE_INT64, DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  dusk_value cells[] = {tu_int(3), tu_int(10), tu_int(1),  tu_int(5), tu_int(3),   N,     tu_int(2),
                        N,     tu_int(1),  tu_int(-5), N,     tu_int(100), tu_int(3), tu_int(10),
                        tu_int(2), N,      tu_int(1),  tu_int(7), tu_int(-4),  tu_int(0)};
  dataset d = {2, 10, types, cells};
  config c;
  dusk_table *t;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_all_fns(&c, DUSK_TYPE_INT64, 1);
  t = aggregate(&c, &d);
  /* pandas: df.groupby("k")["v"].agg([...]) with v as Int64. */
  expect_shape(t, 4, names, otypes, 8, 1);
  expect_row(t, 0,
             (dusk_value[]){tu_int(-4), tu_int(1), tu_int(1), tu_int(0), tu_float(0.0), tu_int(0), tu_int(0),
                            tu_int(1)});
  expect_row(t, 1,
             (dusk_value[]){tu_int(1), tu_int(3), tu_int(3), tu_int(7), tu_float(7.0 / 3), tu_int(-5),
                            tu_int(7), tu_int(3)});
  expect_row(t, 2, (dusk_value[]){tu_int(2), tu_int(0), tu_int(2), tu_int(0), N, N, N, tu_int(0)});
  expect_row(t, 3,
             (dusk_value[]){tu_int(3), tu_int(2), tu_int(3), tu_int(20), tu_float(10.0), tu_int(10),
                            tu_int(10), tu_int(1)});
  dusk_table_free(t);
}
END_TEST

START_TEST(test_float_values) {
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_FLOAT64};
  static const char *const names[] = {"k",    "count", "size", "sum",
                                      "mean", "min",   "max",  "nunique"};
  static const dusk_type otypes[] = {DUSK_TYPE_STRING,  DUSK_TYPE_INT64,
                                     DUSK_TYPE_INT64,   DUSK_TYPE_FLOAT64,
                                     DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64,
                                     DUSK_TYPE_FLOAT64, DUSK_TYPE_INT64};
  dusk_value cells[] = {tu_str("b"),  tu_float(1.5), tu_str("a"),  N,       tu_str(""),
                        tu_float(2.25), tu_str("b"), tu_float(-0.5), tu_str("a"), N,
                        N,        tu_float(9.0), tu_str("B"),  tu_float(3.0), tu_str("\xc3\xa9"),
                        tu_float(0.5),  tu_str("a"), N,        tu_str("b"), tu_float(1.5)};
  dataset d = {2, 10, types, cells};
  config c;
  dusk_table *t;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_STRING, 0);
  cfg_all_fns(&c, DUSK_TYPE_FLOAT64, 1);
  t = aggregate(&c, &d);
  expect_shape(t, 5, names, otypes, 8, 1);
  /* Bytewise order: "" < "B" < "a" < "b" < "\xc3\xa9". */
  expect_row(t, 0,
             (dusk_value[]){tu_str(""), tu_int(1), tu_int(1), tu_float(2.25), tu_float(2.25), tu_float(2.25),
                            tu_float(2.25), tu_int(1)});
  expect_row(t, 1,
             (dusk_value[]){tu_str("B"), tu_int(1), tu_int(1), tu_float(3.0), tu_float(3.0), tu_float(3.0),
                            tu_float(3.0), tu_int(1)});
  /* All null: sum 0.0 (min_count=0), mean/min/max NaN. */
  expect_row(t, 2,
             (dusk_value[]){tu_str("a"), tu_int(0), tu_int(3), tu_float(0.0), N, N, N, tu_int(0)});
  expect_row(t, 3,
             (dusk_value[]){tu_str("b"), tu_int(3), tu_int(3), tu_float(2.5), tu_float(2.5 / 3),
                            tu_float(-0.5), tu_float(1.5), tu_int(2)});
  expect_row(t, 4,
             (dusk_value[]){tu_str("\xc3\xa9"), tu_int(1), tu_int(1), tu_float(0.5), tu_float(0.5),
                            tu_float(0.5), tu_float(0.5), tu_int(1)});
  dusk_table_free(t);
}
END_TEST

START_TEST(test_bool_and_string_values) {
  static const dusk_type types[] = {DUSK_TYPE_BOOL, DUSK_TYPE_BOOL,
                                    DUSK_TYPE_STRING};
  static const char *const names[] = {
      "k",       "count",  "size",  "sum",  "mean", "min",     "max",
      "nunique", "scount", "ssize", "smin", "smax", "snunique"};
  static const dusk_type otypes[] = {
      DUSK_TYPE_BOOL,    DUSK_TYPE_INT64, DUSK_TYPE_INT64,  DUSK_TYPE_INT64,
      DUSK_TYPE_FLOAT64, DUSK_TYPE_BOOL,  DUSK_TYPE_BOOL,   DUSK_TYPE_INT64,
      DUSK_TYPE_INT64,   DUSK_TYPE_INT64, DUSK_TYPE_STRING, DUSK_TYPE_STRING,
      DUSK_TYPE_INT64};
  dusk_value cells[] = {
      tu_bool(true),  tu_bool(true),  tu_str("x"), tu_bool(false), N,         tu_str("y"),  tu_bool(true),
      tu_bool(false), N,         N,       tu_bool(true),  tu_str("z"),   tu_bool(true), tu_bool(true),
      tu_str("abc"), tu_bool(false), N,       tu_str("ab"),  tu_bool(false), N,        N};
  dataset d = {3, 7, types, cells};
  config c;
  dusk_table *t;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_BOOL, 0);
  cfg_all_fns(&c, DUSK_TYPE_BOOL, 1);
  cfg_agg(&c, DUSK_AGG_COUNT, DUSK_TYPE_STRING, 2, "scount");
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_STRING, 2, "ssize");
  cfg_agg(&c, DUSK_AGG_MIN, DUSK_TYPE_STRING, 2, "smin");
  cfg_agg(&c, DUSK_AGG_MAX, DUSK_TYPE_STRING, 2, "smax");
  cfg_agg(&c, DUSK_AGG_NUNIQUE, DUSK_TYPE_STRING, 2, "snunique");
  t = aggregate(&c, &d);
  expect_shape(t, 2, names, otypes, 13, 1);
  /* False < True; bool sum is int64 (pandas 1.5), min/max stay bool. */
  expect_row(t, 0,
             (dusk_value[]){tu_bool(false), tu_int(0), tu_int(3), tu_int(0), N, N, N, tu_int(0),
                            tu_int(2), tu_int(3), tu_str("ab"), tu_str("y"), tu_int(2)});
  expect_row(t, 1,
             (dusk_value[]){tu_bool(true), tu_int(3), tu_int(3), tu_int(2), tu_float(2.0 / 3),
                            tu_bool(false), tu_bool(true), tu_int(2), tu_int(2), tu_int(3), tu_str("abc"),
                            tu_str("x"), tu_int(2)});
  dusk_table_free(t);
}
END_TEST

/* String min/max: bytewise, prefixes first, the empty string smallest, and
 * values copied out of the batch (whose arena the next batch reuses). */
START_TEST(test_string_minmax_outlives_batch) {
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  static const char *const first[] = {"abc", "ab", "b", "\xff", "B", "abd"};
  static const char *const second[] = {"zzzzzzzzzzzzzzzzzzzzzzzzzz",
                                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "b"};
  config c;
  dusk_batch b;
  dusk_hashagg *h;
  dusk_table *t;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_MIN, DUSK_TYPE_STRING, 1, "min");
  cfg_agg(&c, DUSK_AGG_MAX, DUSK_TYPE_STRING, 1, "max");
  h = cfg_new(&c);
  ck_assert_int_eq(dusk_batch_init(&b, types, 2, 8), 0);
  for (size_t i = 0; i < 6; i++)
    add_row(&b, (dusk_value[]){tu_int(1), tu_str(first[i])});
  add_row(&b, (dusk_value[]){tu_int(2), tu_str("")});
  add_row(&b, (dusk_value[]){tu_int(2), tu_str("a")});
  ck_assert_int_eq(dusk_hashagg_add(h, &b, c.key_cols, c.agg_cols), 0);
  /* Overwrite the arena where the first batch's strings were. */
  dusk_batch_clear(&b);
  memset(b.arena, 'Q', b.arena_cap);
  for (size_t i = 0; i < 3; i++)
    add_row(&b, (dusk_value[]){tu_int(3), tu_str(second[i])});
  ck_assert_int_eq(dusk_hashagg_add(h, &b, c.key_cols, c.agg_cols), 0);
  dusk_batch_destroy(&b);
  t = final_of(h);
  dusk_hashagg_free(h); /* the table owns its bytes */
  ck_assert_uint_eq(t->nrows, 3);
  expect_row(t, 0, (dusk_value[]){tu_int(1), tu_str("B"), tu_str("\xff")});
  expect_row(t, 1, (dusk_value[]){tu_int(2), tu_str(""), tu_str("a")});
  expect_row(t, 2, (dusk_value[]){tu_int(3), tu_str(second[1]), tu_str(second[0])});
  dusk_table_free(t);
}
END_TEST

/* ---- keys -----------------------------------------------------------------
 */

START_TEST(test_int_keys_sorted) {
  static const dusk_type types[] = {DUSK_TYPE_INT64};
  dusk_value cells[] = {
      tu_int(5), tu_int(-3), tu_int(INT64_MAX), tu_int(0), tu_int(INT64_MIN), tu_int(5), tu_int(-3), tu_int(-1),
      N,     tu_int(0),  tu_int(1000000007)};
  static const int64_t want[] = {INT64_MIN, -3,         -1,       0,
                                 5,         1000000007, INT64_MAX};
  static const int64_t sizes[] = {1, 2, 1, 2, 2, 1, 1};
  dataset d = {1, 11, types, cells};
  config c;
  dusk_table *t;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  t = aggregate(&c, &d);
  ck_assert_uint_eq(t->nrows, 7);
  for (size_t r = 0; r < 7; r++)
    expect_row(t, r, (dusk_value[]){tu_int(want[r]), tu_int(sizes[r])});
  dusk_table_free(t);
}
END_TEST

START_TEST(test_float_keys_negative_zero) {
  static const dusk_type types[] = {DUSK_TYPE_FLOAT64, DUSK_TYPE_INT64};
  dusk_value cells[] = {
      tu_float(0.0),   tu_int(1),         tu_float(-0.0), tu_int(2),        tu_float(2.5),
      tu_int(3),     tu_float(-INFINITY), tu_int(4),    tu_float(INFINITY), tu_int(5),
      tu_float(-1.25), tu_int(6),         N,        tu_int(7),        tu_float(-0.0),
      tu_int(8),     tu_float(1e300),     tu_int(9),    tu_float(2.5),      tu_int(10)};
  dataset d = {2, 10, types, cells};
  config c;
  dusk_table *t;
  dusk_hashagg *h;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_FLOAT64, 0);
  cfg_agg(&c, DUSK_AGG_SUM, DUSK_TYPE_INT64, 1, "sum");
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  h = cfg_new(&c);
  add_rows(h, &c, &d, NULL, d.nrows, 3);
  /* -0.0 == 0.0: one group, like pandas' hash table. */
  ck_assert_uint_eq(dusk_hashagg_ngroups(h), 6);
  t = final_of(h);
  dusk_hashagg_free(h);
  ck_assert_uint_eq(t->nrows, 6);
  expect_row(t, 0, (dusk_value[]){tu_float(-INFINITY), tu_int(4), tu_int(1)});
  expect_row(t, 1, (dusk_value[]){tu_float(-1.25), tu_int(6), tu_int(1)});
  expect_row(t, 2, (dusk_value[]){tu_float(0.0), tu_int(11), tu_int(3)});
  expect_row(t, 3, (dusk_value[]){tu_float(2.5), tu_int(13), tu_int(2)});
  expect_row(t, 4, (dusk_value[]){tu_float(1e300), tu_int(9), tu_int(1)});
  expect_row(t, 5, (dusk_value[]){tu_float(INFINITY), tu_int(5), tu_int(1)});
  dusk_table_free(t);
}
END_TEST

START_TEST(test_string_and_bool_keys_sorted) {
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_BOOL};
  dusk_value cells[] = {tu_str("b"),        tu_bool(true),  tu_str("a"), tu_bool(false),
                        tu_str("ab"),       N,         tu_str("B"), tu_bool(true),
                        tu_str("\xc3\xa9"), tu_bool(false), tu_str(""),  tu_bool(true),
                        tu_str("a\x01"),    tu_bool(true),  N,       tu_bool(false),
                        tu_str("b"),        tu_bool(false), tu_str("a"), tu_bool(true)};
  static const char *const order[] = {"",   "B", "a",       "a\x01",
                                      "ab", "b", "\xc3\xa9"};
  static const int64_t sizes[] = {1, 1, 2, 1, 1, 2, 1};
  dataset d = {2, 10, types, cells};
  config c;
  dusk_table *t;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "s", DUSK_TYPE_STRING, 0);
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  t = aggregate(&c, &d);
  ck_assert_uint_eq(t->nrows, 7);
  for (size_t r = 0; r < 7; r++)
    expect_row(t, r, (dusk_value[]){tu_str(order[r]), tu_int(sizes[r])});
  dusk_table_free(t);

  /* Bool keys: False before True; the null-key row is dropped. */
  memset(&c, 0, sizeof c);
  cfg_key(&c, "b", DUSK_TYPE_BOOL, 1);
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  cfg_agg(&c, DUSK_AGG_MIN, DUSK_TYPE_STRING, 0, "min");
  t = aggregate(&c, &d);
  ck_assert_uint_eq(t->nrows, 2);
  expect_row(t, 0, (dusk_value[]){tu_bool(false), tu_int(4), tu_str("a")});
  expect_row(t, 1, (dusk_value[]){tu_bool(true), tu_int(5), tu_str("")});
  dusk_table_free(t);
}
END_TEST

/* Strings are bytes with a length: NULs inside keys and values count. */
START_TEST(test_strings_with_nul_bytes) {
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_STRING};
  dusk_value cells[] = {tu_strn("a\0b", 3), tu_strn("x\0y", 3), tu_strn("a\0a", 3),
                        tu_strn("x", 1),    tu_strn("a", 1),    tu_strn("x\0z", 3),
                        tu_strn("a\0", 2),  tu_strn("", 0),     tu_strn("a\0b", 3),
                        tu_strn("x\0z", 3), tu_strn("a\0a", 3), tu_strn("x\0", 2)};
  dataset d = {2, 6, types, cells};
  config c;
  dusk_table *t;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_STRING, 0);
  cfg_agg(&c, DUSK_AGG_MIN, DUSK_TYPE_STRING, 1, "min");
  cfg_agg(&c, DUSK_AGG_MAX, DUSK_TYPE_STRING, 1, "max");
  cfg_agg(&c, DUSK_AGG_NUNIQUE, DUSK_TYPE_STRING, 1, "n");
  t = aggregate(&c, &d);
  ck_assert_uint_eq(t->nrows, 4);
  expect_row(
      t, 0, (dusk_value[]){tu_strn("a", 1), tu_strn("x\0z", 3), tu_strn("x\0z", 3), tu_int(1)});
  expect_row(t, 1,
             (dusk_value[]){tu_strn("a\0", 2), tu_strn("", 0), tu_strn("", 0), tu_int(1)});
  expect_row(t, 2,
             (dusk_value[]){tu_strn("a\0a", 3), tu_strn("x", 1), tu_strn("x\0", 2), tu_int(2)});
  expect_row(
      t, 3,
      (dusk_value[]){tu_strn("a\0b", 3), tu_strn("x\0y", 3), tu_strn("x\0z", 3), tu_int(2)});
  dusk_table_free(t);
}
END_TEST

START_TEST(test_multiple_keys) {
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_STRING, DUSK_TYPE_BOOL,
                                    DUSK_TYPE_FLOAT64};
  /* s, i, t, b, f */
  dusk_value cells[] = {
      tu_str("a"),  tu_int(2),     tu_str("bc"), tu_bool(true),  tu_float(1.0),   tu_str("a"),  tu_int(1),
      tu_str("bc"), tu_bool(false), tu_float(2.0),  tu_str("b"),   tu_int(1),     tu_str("c"),  tu_bool(true),
      tu_float(-1.0), tu_str("a"),   tu_int(2),    tu_str("c"),   tu_bool(false), tu_float(2.0),  tu_str(""),
      tu_int(5),    tu_str("abc"), tu_bool(true), tu_float(-0.0),  tu_str("a"),   N,        tu_str(""),
      tu_bool(true), tu_float(0.0),   N,        tu_int(1),     tu_str("x"),   N,        N,
      tu_str("b"),  tu_int(-1),    tu_str("c"),  tu_bool(true),  tu_float(1.0),   tu_str("ab"), tu_int(7),
      tu_str("c"),  tu_bool(false), tu_float(0.5),  tu_str("abc"), tu_int(7),     tu_str(""),   tu_bool(true),
      tu_float(0.0),
  };
  dataset d = {5, 10, types, cells};
  config c;
  dusk_table *t;

  /* (string, int): rows with either key null are dropped. */
  memset(&c, 0, sizeof c);
  cfg_key(&c, "s", DUSK_TYPE_STRING, 0);
  cfg_key(&c, "i", DUSK_TYPE_INT64, 1);
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  cfg_agg(&c, DUSK_AGG_SUM, DUSK_TYPE_FLOAT64, 4, "f");
  t = aggregate(&c, &d);
  ck_assert_uint_eq(t->nindex, 2);
  ck_assert_uint_eq(t->nrows, 7);
  expect_row(t, 0, (dusk_value[]){tu_str(""), tu_int(5), tu_int(1), tu_float(0.0)});
  expect_row(t, 1, (dusk_value[]){tu_str("a"), tu_int(1), tu_int(1), tu_float(2.0)});
  expect_row(t, 2, (dusk_value[]){tu_str("a"), tu_int(2), tu_int(2), tu_float(3.0)});
  expect_row(t, 3, (dusk_value[]){tu_str("ab"), tu_int(7), tu_int(1), tu_float(0.5)});
  expect_row(t, 4, (dusk_value[]){tu_str("abc"), tu_int(7), tu_int(1), tu_float(0.0)});
  expect_row(t, 5, (dusk_value[]){tu_str("b"), tu_int(-1), tu_int(1), tu_float(1.0)});
  expect_row(t, 6, (dusk_value[]){tu_str("b"), tu_int(1), tu_int(1), tu_float(-1.0)});
  dusk_table_free(t);

  /* (string, string): ("a","bc"), ("ab","c") and ("abc","") are distinct
   * groups although their concatenations agree. */
  memset(&c, 0, sizeof c);
  cfg_key(&c, "s", DUSK_TYPE_STRING, 0);
  cfg_key(&c, "t", DUSK_TYPE_STRING, 2);
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  t = aggregate(&c, &d);
  ck_assert_uint_eq(t->nrows, 7);
  expect_row(t, 0, (dusk_value[]){tu_str(""), tu_str("abc"), tu_int(1)});
  expect_row(t, 1, (dusk_value[]){tu_str("a"), tu_str(""), tu_int(1)});
  expect_row(t, 2, (dusk_value[]){tu_str("a"), tu_str("bc"), tu_int(2)});
  expect_row(t, 3, (dusk_value[]){tu_str("a"), tu_str("c"), tu_int(1)});
  expect_row(t, 4, (dusk_value[]){tu_str("ab"), tu_str("c"), tu_int(1)});
  expect_row(t, 5, (dusk_value[]){tu_str("abc"), tu_str(""), tu_int(1)});
  expect_row(t, 6, (dusk_value[]){tu_str("b"), tu_str("c"), tu_int(2)});
  dusk_table_free(t);

  /* (bool, float): -0.0 and 0.0 one key inside a tuple too. */
  memset(&c, 0, sizeof c);
  cfg_key(&c, "b", DUSK_TYPE_BOOL, 3);
  cfg_key(&c, "f", DUSK_TYPE_FLOAT64, 4);
  cfg_agg(&c, DUSK_AGG_COUNT, DUSK_TYPE_INT64, 1, "count");
  cfg_agg(&c, DUSK_AGG_MAX, DUSK_TYPE_STRING, 0, "max");
  t = aggregate(&c, &d);
  ck_assert_uint_eq(t->nrows, 5);
  expect_row(t, 0, (dusk_value[]){tu_bool(false), tu_float(0.5), tu_int(1), tu_str("ab")});
  expect_row(t, 1, (dusk_value[]){tu_bool(false), tu_float(2.0), tu_int(2), tu_str("a")});
  expect_row(t, 2, (dusk_value[]){tu_bool(true), tu_float(-1.0), tu_int(1), tu_str("b")});
  expect_row(t, 3, (dusk_value[]){tu_bool(true), tu_float(0.0), tu_int(2), tu_str("abc")});
  expect_row(t, 4, (dusk_value[]){tu_bool(true), tu_float(1.0), tu_int(2), tu_str("b")});
  dusk_table_free(t);

  /* (int, string, bool): three keys, sorted on each in turn. */
  memset(&c, 0, sizeof c);
  cfg_key(&c, "i", DUSK_TYPE_INT64, 1);
  cfg_key(&c, "t", DUSK_TYPE_STRING, 2);
  cfg_key(&c, "b", DUSK_TYPE_BOOL, 3);
  cfg_agg(&c, DUSK_AGG_NUNIQUE, DUSK_TYPE_STRING, 0, "n");
  t = aggregate(&c, &d);
  ck_assert_uint_eq(t->nindex, 3);
  ck_assert_uint_eq(t->nrows, 8);
  expect_row(t, 0, (dusk_value[]){tu_int(-1), tu_str("c"), tu_bool(true), tu_int(1)});
  expect_row(t, 1, (dusk_value[]){tu_int(1), tu_str("bc"), tu_bool(false), tu_int(1)});
  expect_row(t, 2, (dusk_value[]){tu_int(1), tu_str("c"), tu_bool(true), tu_int(1)});
  expect_row(t, 3, (dusk_value[]){tu_int(2), tu_str("bc"), tu_bool(true), tu_int(1)});
  expect_row(t, 4, (dusk_value[]){tu_int(2), tu_str("c"), tu_bool(false), tu_int(1)});
  expect_row(t, 5, (dusk_value[]){tu_int(5), tu_str("abc"), tu_bool(true), tu_int(1)});
  expect_row(t, 6, (dusk_value[]){tu_int(7), tu_str(""), tu_bool(true), tu_int(1)});
  expect_row(t, 7, (dusk_value[]){tu_int(7), tu_str("c"), tu_bool(false), tu_int(1)});
  dusk_table_free(t);
}
END_TEST

START_TEST(test_too_many_keys) {
  static const dusk_type types[] = {DUSK_TYPE_INT64};
  const char *names[17];
  dusk_type kt[17];
  int cols[17];
  dusk_aggspec spec = {DUSK_AGG_SIZE, DUSK_TYPE_INT64, "size", 0.0};
  int agg_col = -1;
  dusk_batch b;
  dusk_hashagg *h;
  for (size_t k = 0; k < 17; k++) {
    names[k] = "k";
    kt[k] = DUSK_TYPE_INT64;
    cols[k] = 0;
  }
  ck_assert_int_eq(dusk_batch_init(&b, types, 1, 2), 0);
  add_row(&b, (dusk_value[]){tu_int(1)});
  /* 16 keys work; 17 are refused rather than overflowing a stack array. */
  h = dusk_hashagg_new(names, kt, 16, &spec, 1);
  ck_assert_ptr_nonnull(h);
  ck_assert_int_eq(dusk_hashagg_add(h, &b, cols, &agg_col), 0);
  ck_assert_uint_eq(dusk_hashagg_ngroups(h), 1);
  dusk_hashagg_free(h);
  h = dusk_hashagg_new(names, kt, 17, &spec, 1);
  if (h != NULL) {
    ck_assert_int_eq(dusk_hashagg_add(h, &b, cols, &agg_col), DUSK_EINVAL);
    dusk_hashagg_free(h);
  }
  dusk_batch_destroy(&b);
}
END_TEST

/* ---- int64 sums wrap -------------------------------------------------------
 */

/* A whole frame's sum of text (pandas' object sum): the strings of
 * every row concatenated in file order, nulls skipped (the query decides
 * what a null means), partials of disjoint ranges merged in range order
 * whatever order they arrive in, and past the cap the final's null. */
START_TEST(test_text_sum) {
  static const dusk_type types[] = {DUSK_TYPE_STRING};
  dusk_value cells[] = {tu_str("a"), tu_str("bc"), N, tu_str(""),
                        tu_str("d"), tu_str("ef"), tu_str("g")};
  dataset d = {1, 7, types, cells};
  config c;
  dusk_hashagg *h, *m;
  dusk_table *t, *p[3];
  static const size_t rows[3][3] = {{0, 1, 2}, {3, 4, 0}, {5, 6, 0}};
  static const size_t nrows[3] = {3, 2, 2};
  memset(&c, 0, sizeof c);
  cfg_agg(&c, DUSK_AGG_SUM, DUSK_TYPE_STRING, 0, "s");
  cfg_agg(&c, DUSK_AGG_COUNT, DUSK_TYPE_STRING, 0, "n");
  t = aggregate(&c, &d);
  expect_row(t, 0, (dusk_value[]){tu_str("abcdefg"), tu_int(6)});
  dusk_table_free(t);
  /* three ranges' partials, merged last first and middle first */
  for (size_t i = 0; i < 3; i++) {
    h = cfg_new(&c);
    dusk_hashagg_at(h, 10 + i, NULL);
    add_rows(h, &c, &d, rows[i], nrows[i], 2);
    p[i] = partial_of(h);
    dusk_hashagg_free(h);
  }
  for (int order = 0; order < 2; order++) {
    m = cfg_new(&c);
    for (size_t i = 0; i < 3; i++)
      merge_ok(m, p[order == 0 ? 2 - i : (i + 1) % 3]);
    t = final_of(m);
    expect_row(t, 0, (dusk_value[]){tu_str("abcdefg"), tu_int(6)});
    dusk_table_free(t);
    dusk_hashagg_free(m);
  }
  /* no string: null (the query's 0) */
  h = cfg_new(&c);
  add_rows(h, &c, &d, rows[0] + 2, 1, 2);
  t = final_of(h);
  expect_row(t, 0, (dusk_value[]){N, tu_int(0)});
  dusk_table_free(t);
  dusk_hashagg_free(h);
  /* past the cap, in one partial or once merged: null, counted on */
  h = cfg_new(&c);
  dusk_hashagg_set_text_cap(h, 6);
  add_rows(h, &c, &d, NULL, 7, 2);
  t = final_of(h);
  expect_row(t, 0, (dusk_value[]){N, tu_int(6)});
  dusk_table_free(t);
  dusk_hashagg_free(h);
  m = cfg_new(&c);
  dusk_hashagg_set_text_cap(m, 5);
  for (size_t i = 0; i < 3; i++)
    merge_ok(m, p[i]);
  t = final_of(m);
  expect_row(t, 0, (dusk_value[]){N, tu_int(6)});
  dusk_table_free(t);
  dusk_hashagg_free(m);
  /* a too-big partial stays too big where the cap is larger */
  h = cfg_new(&c);
  dusk_hashagg_set_text_cap(h, 2);
  dusk_hashagg_at(h, 1, NULL);
  add_rows(h, &c, &d, NULL, 7, 2);
  dusk_table_free(p[0]);
  p[0] = partial_of(h);
  dusk_hashagg_free(h);
  m = cfg_new(&c);
  merge_ok(m, p[0]);
  merge_ok(m, p[1]);
  t = final_of(m);
  expect_row(t, 0, (dusk_value[]){N, tu_int(8)});
  dusk_table_free(t);
  dusk_hashagg_free(m);
  for (size_t i = 0; i < 3; i++)
    dusk_table_free(p[i]);
}
END_TEST

START_TEST(test_int_sum_wraps) {
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  dusk_value cells[] = {tu_int(1), tu_int(INT64_MAX), tu_int(1), tu_int(1),
                        tu_int(2), tu_int(INT64_MIN), tu_int(2), tu_int(-1),
                        tu_int(3), tu_int(INT64_MAX), tu_int(3), tu_int(INT64_MAX),
                        tu_int(3), tu_int(2)};
  dataset d = {2, 7, types, cells};
  config c;
  dusk_hashagg *h, *m;
  dusk_table *t, *p[3], *whole;
  static const size_t rows[3][3] = {{0, 2, 4}, {1, 3, 5}, {6, 0, 0}};
  static const size_t nrows[3] = {3, 3, 1};
  double mean3 = ((9223372036854775807.0 + 9223372036854775807.0) + 2.0) / 3;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_SUM, DUSK_TYPE_INT64, 1, "sum");
  cfg_agg(&c, DUSK_AGG_MEAN, DUSK_TYPE_INT64, 1, "mean");
  whole = aggregate(&c, &d);
  /* numpy: int64 sums wrap modulo 2^64; the mean is a float sum. */
  expect_row(
      whole, 0,
      (dusk_value[]){tu_int(1), tu_int(INT64_MIN), tu_float(9223372036854775808.0 / 2)});
  expect_row(
      whole, 1,
      (dusk_value[]){tu_int(2), tu_int(INT64_MAX), tu_float(-9223372036854775809.0 / 2)});
  expect_row(whole, 2, (dusk_value[]){tu_int(3), tu_int(0), tu_float(mean3)});
  /* The same wrap when partial sums meet in a merge. */
  for (size_t i = 0; i < 3; i++) {
    h = cfg_new(&c);
    add_rows(h, &c, &d, rows[i], nrows[i], 2);
    p[i] = partial_of(h);
    dusk_hashagg_free(h);
  }
  m = cfg_new(&c);
  for (size_t i = 0; i < 3; i++)
    merge_ok(m, p[2 - i]);
  t = final_of(m);
  expect_cell(t, 1, 0, tu_int(INT64_MIN));
  expect_cell(t, 1, 1, tu_int(INT64_MAX));
  expect_cell(t, 1, 2, tu_int(0));
  for (size_t i = 0; i < 3; i++)
    dusk_table_free(p[i]);
  dusk_table_free(t);
  dusk_table_free(whole);
  dusk_hashagg_free(m);
}
END_TEST

/* ---- partials: splits, orders, tree shapes --------------------------------
 */

static const dusk_type mixed_types[] = {
    DUSK_TYPE_STRING, DUSK_TYPE_INT64,   DUSK_TYPE_BOOL, DUSK_TYPE_FLOAT64,
    DUSK_TYPE_INT64,  DUSK_TYPE_FLOAT64, DUSK_TYPE_BOOL, DUSK_TYPE_STRING};
enum { MK_S, MK_I, MK_B, MK_F, MV_I, MV_F, MV_B, MV_S, MIXED_COLS };

static const char *const pool[] = {"",   "a",        "ab",  "abc", "B",
                                   "zz", "\xc3\xa9", "a b", "0",   "~"};

/* A mixed dataset: keys of each type with ~5% nulls, values of each type
 * with ~15% nulls; floats are multiples of 1/4 (-0.0 included). */
static dataset mixed_dataset(size_t nrows, uint64_t seed) {
  dataset d;
  d.ncols = MIXED_COLS;
  d.nrows = nrows;
  d.types = mixed_types;
  d.cells = calloc(nrows * MIXED_COLS, sizeof *d.cells);
  ck_assert_ptr_nonnull(d.cells);
  rng_state = seed;
  for (size_t r = 0; r < nrows; r++) {
    dusk_value *row = d.cells + r * MIXED_COLS;
    for (size_t c = 0; c < MIXED_COLS; c++) {
      int null = rnd_below(100) < (c < MV_I ? 5u : 15u);
      int k = (int)rnd_below(9) - 4;
      if (null) {
        row[c] = tu_null();
        continue;
      }
      switch (mixed_types[c]) {
      case DUSK_TYPE_STRING:
        row[c] = tu_str(pool[c == MK_S ? rnd_below(4) : rnd_below(10)]);
        break;
      case DUSK_TYPE_INT64:
        row[c] = tu_int(c == MK_I ? k % 3 : k * 1000003);
        break;
      case DUSK_TYPE_BOOL:
        row[c] = tu_bool(rnd_below(2) == 1);
        break;
      default:
        row[c] =
            tu_float(k == 0 && rnd_below(2) ? -0.0 : k / 4.0 + (c == MK_F ? 0 : 10));
      }
    }
  }
  return d;
}

/* Keys (s, b, f) and every aggregate of every value column. */
static void mixed_config(config *c, int with_int_key) {
  static const dusk_type vt[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                 DUSK_TYPE_BOOL, DUSK_TYPE_STRING};
  static const char *const fn_names[4][7] = {
      {"ic", "iz", "is", "im", "in", "ix", "iu"},
      {"fc", "fz", "fs", "fm", "fn", "fx", "fu"},
      {"bc", "bz", "bs", "bm", "bn", "bx", "bu"},
      {"sc", "sz", "ss", "sm", "sn", "sx", "su"}};
  memset(c, 0, sizeof *c);
  cfg_key(c, "s", DUSK_TYPE_STRING, MK_S);
  if (with_int_key)
    cfg_key(c, "i", DUSK_TYPE_INT64, MK_I);
  cfg_key(c, "b", DUSK_TYPE_BOOL, MK_B);
  cfg_key(c, "f", DUSK_TYPE_FLOAT64, MK_F);
  for (size_t v = 0; v < 4; v++)
    for (int fn = DUSK_AGG_COUNT; fn <= DUSK_AGG_NUNIQUE; fn++) {
      if ((fn == DUSK_AGG_SUM || fn == DUSK_AGG_MEAN) &&
          vt[v] == DUSK_TYPE_STRING)
        continue;
      cfg_agg(c, (dusk_agg_fn)fn, vt[v], (int)(MV_I + v), fn_names[v][fn - 1]);
    }
}

/* Partial tables of the parts of d; part[r] says which part row r is in. */
static void make_partials(const config *c, const dataset *d, const size_t *part,
                          size_t nparts, dusk_table **out) {
  size_t *rows = malloc((d->nrows ? d->nrows : 1) * sizeof *rows);
  ck_assert_ptr_nonnull(rows);
  for (size_t p = 0; p < nparts; p++) {
    size_t n = 0;
    dusk_hashagg *h = cfg_new(c);
    for (size_t r = 0; r < d->nrows; r++)
      if (part[r] == p)
        rows[n++] = r;
    add_rows(h, c, d, rows, n, 1 + p * 3);
    out[p] = partial_of(h);
    dusk_hashagg_free(h);
  }
  free(rows);
}

/* Merges tables in order into a fresh aggregate; returns its partial. */
static dusk_table *merge_to_partial(const config *c, dusk_table **tables,
                                    size_t n) {
  dusk_hashagg *m = cfg_new(c);
  dusk_table *p;
  for (size_t i = 0; i < n; i++)
    merge_ok(m, tables[i]);
  p = partial_of(m);
  dusk_hashagg_free(m);
  return p;
}

enum { SHAPE_FLAT, SHAPE_CHAIN, SHAPE_BALANCED, SHAPE_DIRECT, NSHAPES };

/* The final table after merging the partials (taken in `order`) in one of
 * the tree shapes.  SHAPE_DIRECT adds the first part's rows straight into
 * the aggregate that then merges the others. */
static dusk_table *merge_tree(const config *c, const dataset *d,
                              const size_t *part, dusk_table **parts,
                              const size_t *order, size_t n, int shape) {
  dusk_table *work[8];
  dusk_hashagg *m = cfg_new(c);
  dusk_table *t;
  size_t left = n;
  for (size_t i = 0; i < n; i++)
    work[i] = parts[order[i]];
  switch (shape) {
  case SHAPE_FLAT:
    for (size_t i = 0; i < n; i++)
      merge_ok(m, work[i]);
    break;
  case SHAPE_CHAIN: {
    /* ((p0 + p1) + p2) + ..., each step through a partial. */
    dusk_table *acc = merge_to_partial(c, work, 1);
    for (size_t i = 1; i < n; i++) {
      dusk_table *pair[2] = {acc, work[i]};
      dusk_table *next = merge_to_partial(c, pair, 2);
      dusk_table_free(acc);
      acc = next;
    }
    merge_ok(m, acc);
    dusk_table_free(acc);
    break;
  }
  case SHAPE_BALANCED: {
    /* Pairs, then pairs of pairs; intermediate tables are ours to free
     * (tracked by `owned`), the leaves are the caller's. */
    int owned[8] = {0};
    while (left > 1) {
      size_t w = 0;
      for (size_t i = 0; i < left; i += 2) {
        dusk_table *next;
        if (i + 1 == left) {
          work[w] = work[i];
          owned[w++] = owned[i];
          continue;
        }
        next = merge_to_partial(c, &work[i], 2);
        if (owned[i])
          dusk_table_free(work[i]);
        if (owned[i + 1])
          dusk_table_free(work[i + 1]);
        work[w] = next;
        owned[w++] = 1;
      }
      left = w;
    }
    merge_ok(m, work[0]);
    if (owned[0])
      dusk_table_free(work[0]);
    break;
  }
  default: {
    size_t *rows = malloc((d->nrows ? d->nrows : 1) * sizeof *rows), k = 0;
    ck_assert_ptr_nonnull(rows);
    for (size_t r = 0; r < d->nrows; r++)
      if (part[r] == order[0])
        rows[k++] = r;
    add_rows(m, c, d, rows, k, 5);
    free(rows);
    for (size_t i = 1; i < n; i++)
      merge_ok(m, work[i]);
  }
  }
  t = final_of(m);
  dusk_hashagg_free(m);
  return t;
}

/* std / var (ddof=1): Welford per partition, Chan's merge across them,
 * against a two-pass reference; and a reduction with no keys, which has
 * its one row even over no rows. */
START_TEST(test_std_var_and_no_keys) {
  enum { NROWS = 200 };
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64};
  dusk_value cells[NROWS * 2];
  dataset d = {2, NROWS, types, cells};
  double sum = 0, ss = 0;
  size_t n = 0, part[NROWS];
  dusk_table *parts[3], *t;
  config c;
  memset(&c, 0, sizeof c);
  for (size_t r = 0; r < NROWS; r++) {
    double x = 1e6 + (double)((r * 7919) % 101) / 8.0; /* a large offset */
    cells[2 * r] = tu_int((int64_t)(r % 13));
    cells[2 * r + 1] = r % 17 == 3 ? N : tu_float(x);
    if (r % 17 != 3) {
      sum += x;
      n++;
    }
    part[r] = (r * 31) % 3;
  }
  for (size_t r = 0; r < NROWS; r++)
    if (r % 17 != 3) {
      double dx = cells[2 * r + 1].u.f - sum / (double)n;
      ss += dx * dx;
    }
  /* No keys: count, sum, mean, std, var, min of the float column. */
  cfg_agg(&c, DUSK_AGG_COUNT, DUSK_TYPE_FLOAT64, 1, "count");
  cfg_agg(&c, DUSK_AGG_SUM, DUSK_TYPE_FLOAT64, 1, "sum");
  cfg_agg(&c, DUSK_AGG_MEAN, DUSK_TYPE_FLOAT64, 1, "mean");
  cfg_agg(&c, DUSK_AGG_STD, DUSK_TYPE_FLOAT64, 1, "std");
  cfg_agg(&c, DUSK_AGG_VAR, DUSK_TYPE_FLOAT64, 1, "var");
  cfg_agg(&c, DUSK_AGG_MIN, DUSK_TYPE_FLOAT64, 1, "min");
  make_partials(&c, &d, part, 3, parts);
  for (int shape = 0; shape < NSHAPES; shape++) {
    static const size_t order[] = {2, 0, 1};
    t = merge_tree(&c, &d, part, parts, order, 3, shape);
    ck_assert_uint_eq(t->nrows, 1);
    ck_assert_uint_eq(t->nindex, 0);
    ck_assert_int_eq(t->cols[0].i64[0], (int64_t)n);
    ck_assert_double_eq_tol(t->cols[1].f64[0], sum, 1e-6);
    ck_assert_double_eq_tol(t->cols[3].f64[0], sqrt(ss / (double)(n - 1)),
                            1e-9 * sqrt(ss / (double)(n - 1)));
    ck_assert_double_eq_tol(t->cols[4].f64[0], ss / (double)(n - 1),
                            1e-9 * ss / (double)(n - 1));
    dusk_table_free(t);
  }
  for (size_t p = 0; p < 3; p++)
    dusk_table_free(parts[p]);
  /* No rows at all: still one row - count 0, sum 0, the rest null. */
  {
    dusk_hashagg *h = cfg_new(&c);
    add_rows(h, &c, &d, NULL, 0, 4);
    t = final_of(h);
    expect_row(t, 0,
               (dusk_value[]){tu_int(0), tu_float(0), N, N, N, N});
    dusk_table_free(t);
    dusk_hashagg_free(h);
  }
  /* std of one value is null (ddof=1); grouped std matches per group. */
  {
    static const dusk_type t2[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
    dusk_value c2[] = {tu_int(1), tu_int(5), tu_int(2), tu_int(4),
                       tu_int(2), tu_int(8), tu_int(2), N};
    dataset d2 = {2, 4, t2, c2};
    config g;
    memset(&g, 0, sizeof g);
    cfg_key(&g, "k", DUSK_TYPE_INT64, 0);
    cfg_agg(&g, DUSK_AGG_STD, DUSK_TYPE_INT64, 1, "std");
    cfg_agg(&g, DUSK_AGG_VAR, DUSK_TYPE_INT64, 1, "var");
    t = aggregate(&g, &d2);
    expect_row(t, 0, (dusk_value[]){tu_int(1), N, N});
    expect_row(t, 1, (dusk_value[]){tu_int(2), tu_float(sqrt(8.0)),
                                    tu_float(8.0)});
    dusk_table_free(t);
  }
}
END_TEST


/* Assigns rows to nparts parts by one of several strategies. */
static void split(size_t *part, size_t nrows, size_t nparts, int how) {
  switch (how) {
  case 0: /* contiguous, even */
    for (size_t r = 0; r < nrows; r++)
      part[r] = r * nparts / nrows;
    break;
  case 1: /* round robin */
    for (size_t r = 0; r < nrows; r++)
      part[r] = r % nparts;
    break;
  case 2: { /* contiguous at random cuts (parts may be empty) */
    size_t cuts[8];
    for (size_t p = 0; p + 1 < nparts; p++)
      cuts[p] = rnd_below(nrows + 1);
    for (size_t r = 0; r < nrows; r++) {
      size_t p = 0;
      for (size_t q = 0; q + 1 < nparts; q++)
        p += r >= cuts[q];
      part[r] = p;
    }
    break;
  }
  case 3: /* at random */
    for (size_t r = 0; r < nrows; r++)
      part[r] = rnd_below(nparts);
    break;
  default: /* all in the last part, the others empty */
    for (size_t r = 0; r < nrows; r++)
      part[r] = nparts - 1;
  }
}

static void check_splits(int with_int_key) {
  config c;
  dataset d = mixed_dataset(300, 42 + (uint64_t)with_int_key);
  dusk_table *whole;
  size_t part[300];
  mixed_config(&c, with_int_key);
  whole = aggregate(&c, &d);
  ck_assert_uint_gt(whole->nrows, 20);
  rng_state = 7;
  for (size_t nparts = 1; nparts <= 7; nparts++)
    for (int how = 0; how < 5; how++) {
      dusk_table *parts[7];
      split(part, d.nrows, nparts, how);
      make_partials(&c, &d, part, nparts, parts);
      for (int ord = 0; ord < 3; ord++) {
        size_t order[7];
        for (size_t i = 0; i < nparts; i++)
          order[i] = ord == 1 ? nparts - 1 - i : i;
        if (ord == 2)
          for (size_t i = nparts; i > 1; i--) {
            size_t j = rnd_below(i), tmp = order[i - 1];
            order[i - 1] = order[j];
            order[j] = tmp;
          }
        for (int shape = 0; shape < NSHAPES; shape++) {
          char what[96];
          dusk_table *t = merge_tree(&c, &d, part, parts, order, nparts, shape);
          snprintf(what, sizeof what, "%zu parts, split %d, order %d, shape %d",
                   nparts, how, ord, shape);
          assert_tables_equal(t, whole, what);
          dusk_table_free(t);
        }
      }
      for (size_t p = 0; p < nparts; p++)
        dusk_table_free(parts[p]);
    }
  dusk_table_free(whole);
  free(d.cells);
}

/* std / var where values are infinite (pandas' NaN: its deviations meet
 * inf - inf; shown as a null) or where finite values' squared deviations
 * overflow (pandas' inf) - never the 0 a clamp of NaN made - whatever the
 * split into partials and the merge's shape; grouped and without keys. */
START_TEST(test_std_var_of_infinities_and_overflow) {
  enum { NROWS = 13 };
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64};
  static const int64_t key[NROWS] = {1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5};
  const double x[NROWS] = {1.5,      2.5,     3.0, INFINITY, 1.0,
                           1e300,    -1e300,  1,   -INFINITY, 1,
                           2,        INFINITY, -INFINITY};
  dusk_value cells[NROWS * 2];
  dataset d = {2, NROWS, types, cells};
  const dusk_value inf = tu_float(INFINITY);
  const dusk_value want[5][3] = {{tu_int(1), tu_float(sqrt(0.5)), tu_float(0.5)},
                                 {tu_int(2), N, N},
                                 {tu_int(3), inf, inf},
                                 {tu_int(4), N, N},
                                 {tu_int(5), N, N}};
  size_t part[NROWS];
  config c;
  memset(&c, 0, sizeof c);
  for (size_t r = 0; r < NROWS; r++) {
    cells[2 * r] = tu_int(key[r]);
    cells[2 * r + 1] = tu_float(x[r]);
  }
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_STD, DUSK_TYPE_FLOAT64, 1, "std");
  cfg_agg(&c, DUSK_AGG_VAR, DUSK_TYPE_FLOAT64, 1, "var");
  rng_state = 11;
  for (int how = 0; how < 5; how++) {
    dusk_table *parts[3];
    static const size_t order[] = {1, 2, 0};
    split(part, NROWS, 3, how);
    make_partials(&c, &d, part, 3, parts);
    for (int shape = 0; shape < NSHAPES; shape++) {
      dusk_table *t = merge_tree(&c, &d, part, parts, order, 3, shape);
      ck_assert_uint_eq(t->nrows, 5);
      for (size_t g = 0; g < 5; g++)
        expect_row(t, g, want[g]);
      dusk_table_free(t);
    }
    for (size_t p = 0; p < 3; p++)
      dusk_table_free(parts[p]);
  }
  /* No keys: of group 3's rows inf, of all rows NaN (a null). */
  {
    config w;
    dataset d3 = {2, 3, types, cells + 2 * 5};
    dusk_table *t;
    memset(&w, 0, sizeof w);
    cfg_agg(&w, DUSK_AGG_STD, DUSK_TYPE_FLOAT64, 1, "std");
    cfg_agg(&w, DUSK_AGG_VAR, DUSK_TYPE_FLOAT64, 1, "var");
    t = aggregate(&w, &d3);
    expect_row(t, 0, (dusk_value[]){inf, inf});
    dusk_table_free(t);
    t = aggregate(&w, &d);
    expect_row(t, 0, (dusk_value[]){N, N});
    dusk_table_free(t);
  }
}
END_TEST

/* std of values far from zero with a small spread (1e9 + U(0, 1)): as
 * exact as pandas' two-pass computation (a running mean rounded at each
 * value was off by 2e-7 relative). */
START_TEST(test_std_of_large_offsets_is_exact) {
  enum { NROWS = 20000 };
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64};
  static dusk_value cells[NROWS * 2];
  dataset d = {2, NROWS, types, cells};
  double sum = 0, ss = 0, want;
  dusk_table *t;
  dusk_hashagg *h;
  config c;
  uint64_t x = 88172645463325252ull;
  memset(&c, 0, sizeof c);
  for (size_t r = 0; r < NROWS; r++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    cells[2 * r] = tu_int(0);
    cells[2 * r + 1] = tu_float(1e9 + (double)(x >> 11) / 9007199254740992.0);
    sum += cells[2 * r + 1].u.f;
  }
  for (size_t r = 0; r < NROWS; r++) {
    double dx = cells[2 * r + 1].u.f - sum / NROWS;
    ss += dx * dx;
  }
  want = sqrt(ss / (NROWS - 1));
  cfg_agg(&c, DUSK_AGG_STD, DUSK_TYPE_FLOAT64, 1, "std");
  h = cfg_new(&c);
  add_rows(h, &c, &d, NULL, NROWS, 1024);
  t = final_of(h);
  ck_assert_double_eq_tol(t->cols[0].f64[0], want, 1e-10 * want);
  dusk_table_free(t);
  dusk_hashagg_free(h);
}
END_TEST

START_TEST(test_partials_any_split_order_shape) { check_splits(0); }
END_TEST

START_TEST(test_partials_four_keys) { check_splits(1); }
END_TEST

/* The partial carries keys then state columns, and merging it into an
 * aggregate that already has the same groups adds up. */
START_TEST(test_partial_layout_and_double_merge) {
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64};
  dusk_value cells[] = {tu_str("x"), tu_int(1), tu_str("y"), tu_int(2),
                        tu_str("x"), N,     tu_str("x"), tu_int(4)};
  dataset d = {2, 4, types, cells};
  config c;
  dusk_hashagg *h, *m;
  dusk_table *p, *t;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_STRING, 0);
  cfg_all_fns(&c, DUSK_TYPE_INT64, 1);
  h = cfg_new(&c);
  add_rows(h, &c, &d, NULL, 4, 4);
  p = partial_of(h);
  ck_assert_uint_eq(p->nindex, 1);
  ck_assert_uint_eq(p->nrows, 2);
  ck_assert_int_eq(p->cols[0].type, DUSK_TYPE_STRING);
  /* The same partial twice: counts and sums double, nunique does not. */
  m = cfg_new(&c);
  merge_ok(m, p);
  merge_ok(m, p);
  t = final_of(m);
  expect_row(t, 0,
             (dusk_value[]){tu_str("x"), tu_int(4), tu_int(6), tu_int(10), tu_float(2.5), tu_int(1),
                            tu_int(4), tu_int(2)});
  expect_row(t, 1,
             (dusk_value[]){tu_str("y"), tu_int(2), tu_int(2), tu_int(4), tu_float(2.0), tu_int(2), tu_int(2),
                            tu_int(1)});
  dusk_table_free(t);
  dusk_table_free(p);
  dusk_hashagg_free(m);
  dusk_hashagg_free(h);
}
END_TEST

START_TEST(test_nunique_across_partials) {
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64,
                                    DUSK_TYPE_STRING, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_BOOL};
  /* Group 1 sees ints {1,2,3} | {3,4} | {1,4,5}: 5 distinct overall;
   * strings {"a",""} | {"a","b"} | {"",""}: 3; floats -0.0 | 0.0 | 0.5:
   * 2 (-0.0 == 0.0); bools True | False | True: 2.  Group 2 is only in
   * the last part. */
  dusk_value a[] = {tu_int(1), tu_int(1), tu_str("a"), tu_float(-0.0), tu_bool(true),
                    tu_int(1), tu_int(2), tu_str(""),  N,        N,
                    tu_int(1), tu_int(3), N,       tu_float(-0.0), tu_bool(true)};
  dusk_value b[] = {tu_int(1), tu_int(3), tu_str("a"), tu_float(0.0), tu_bool(false),
                    tu_int(1), tu_int(4), tu_str("b"), tu_float(0.0), N};
  dusk_value e[] = {tu_int(1), tu_int(1), tu_str(""),  tu_float(0.5), tu_bool(true),
                    tu_int(1), tu_int(4), tu_str(""),  N,       tu_bool(true),
                    tu_int(1), tu_int(5), N,       tu_float(0.5), N,
                    tu_int(2), tu_int(9), tu_str("q"), tu_float(1.0), tu_bool(false)};
  dataset parts[3] = {{5, 3, types, a}, {5, 2, types, b}, {5, 4, types, e}};
  config c;
  dusk_table *p[3], *t;
  dusk_hashagg *m;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_NUNIQUE, DUSK_TYPE_INT64, 1, "i");
  cfg_agg(&c, DUSK_AGG_NUNIQUE, DUSK_TYPE_STRING, 2, "s");
  cfg_agg(&c, DUSK_AGG_NUNIQUE, DUSK_TYPE_FLOAT64, 3, "f");
  cfg_agg(&c, DUSK_AGG_NUNIQUE, DUSK_TYPE_BOOL, 4, "b");
  for (size_t i = 0; i < 3; i++) {
    dusk_hashagg *h = cfg_new(&c);
    add_rows(h, &c, &parts[i], NULL, parts[i].nrows, 2);
    p[i] = partial_of(h);
    dusk_hashagg_free(h);
  }
  m = cfg_new(&c);
  merge_ok(m, p[1]);
  merge_ok(m, p[2]);
  merge_ok(m, p[0]);
  t = final_of(m);
  ck_assert_uint_eq(t->nrows, 2);
  expect_row(t, 0, (dusk_value[]){tu_int(1), tu_int(5), tu_int(3), tu_int(2), tu_int(2)});
  expect_row(t, 1, (dusk_value[]){tu_int(2), tu_int(1), tu_int(1), tu_int(1), tu_int(1)});
  dusk_table_free(t);
  /* Through one more level of partials, the sets stay exact. */
  {
    dusk_table *again = partial_of(m), *t2;
    dusk_hashagg *m2 = cfg_new(&c);
    merge_ok(m2, again);
    merge_ok(m2, p[0]);
    merge_ok(m2, p[1]);
    t2 = final_of(m2);
    expect_row(t2, 0, (dusk_value[]){tu_int(1), tu_int(5), tu_int(3), tu_int(2), tu_int(2)});
    dusk_table_free(t2);
    dusk_table_free(again);
    dusk_hashagg_free(m2);
  }
  for (size_t i = 0; i < 3; i++)
    dusk_table_free(p[i]);
  dusk_hashagg_free(m);
}
END_TEST

/* ---- malformed partials ----------------------------------------------------
 */

static void nunique_config(config *c, dusk_type input) {
  memset(c, 0, sizeof *c);
  cfg_key(c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(c, DUSK_AGG_NUNIQUE, input, 1, "u");
}

/* A partial table (k0 int64, 0:set string) with one row of set bytes. */
static dusk_table *set_partial(const char *bytes, size_t len) {
  static const char *const names[] = {"k0", "0:set"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  dusk_table *t = dusk_table_new(names, types, 2, 1);
  dusk_value row[2];
  ck_assert_ptr_nonnull(t);
  row[0] = tu_int(1);
  row[1] = tu_null();
  row[1].type = DUSK_TYPE_STRING;
  row[1].u.s.ptr = bytes;
  row[1].u.s.len = len;
  ck_assert_int_eq(dusk_table_append_row(t, row), 0);
  return roundtrip(t);
}

static void expect_merge_error(const config *c, const dusk_table *p,
                               const char *needle) {
  dusk_hashagg *m = cfg_new(c);
  dusk_error err;
  dusk_error_clear(&err);
  ck_assert_int_eq(dusk_hashagg_merge(m, p, &err), DUSK_ETYPE);
  ck_assert_int_eq(err.code, DUSK_ETYPE);
  ck_assert_msg(strstr(err.message, needle) != NULL, "message '%s' lacks '%s'",
                err.message, needle);
  /* A NULL err is allowed too. */
  ck_assert_int_eq(dusk_hashagg_merge(m, p, NULL), DUSK_ETYPE);
  dusk_hashagg_free(m);
}

START_TEST(test_merge_wrong_column_count) {
  config c, other;
  dusk_hashagg *h;
  dusk_table *p;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_MEAN, DUSK_TYPE_INT64, 1, "m"); /* 4 state columns */
  memset(&other, 0, sizeof other);
  cfg_key(&other, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&other, DUSK_AGG_COUNT, DUSK_TYPE_INT64, 1, "n"); /* 1 */
  h = cfg_new(&other);
  p = partial_of(h);
  expect_merge_error(&c, p, "partial aggregate has 2 columns, expected 5");
  dusk_table_free(p);
  dusk_hashagg_free(h);
}
END_TEST

/* A keyed partial whose first-row state is missing is refused: the
 * first-row fast path counts on every keyed group having one. */
START_TEST(test_merge_first_row_missing) {
  static const dusk_type types[] = {DUSK_TYPE_INT64};
  config c;
  dusk_batch b;
  dusk_hashagg *h;
  dusk_table *p;
  int vcol;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  cfg_agg(&c, DUSK_AGG_FIRST_ROW, DUSK_TYPE_INT64, -1, "first_row");
  h = cfg_new(&c);
  ck_assert_int_eq(dusk_batch_init(&b, types, 1, 4), 0);
  add_row(&b, (dusk_value[]){tu_int(3)});
  add_row(&b, (dusk_value[]){tu_int(5)});
  ck_assert_int_eq(dusk_hashagg_add(h, &b, c.key_cols, c.agg_cols), 0);
  dusk_batch_destroy(&b);
  p = partial_of(h);
  {
    dusk_hashagg *m = cfg_new(&c); /* as it is, it merges */
    merge_ok(m, p);
    dusk_hashagg_free(m);
  }
  vcol = dusk_table_column_index(p, "1:v");
  ck_assert_int_ge(vcol, 0);
  p->cols[vcol].valid[1] = 0;
  expect_merge_error(&c, p, "bad first_row state");
  dusk_table_free(p);
  dusk_hashagg_free(h);
}
END_TEST

/* A crafted one-group partial of input's run bytes, merged: want
 * distinct values. */
static void expect_run_count(dusk_type input, const char *bytes, size_t len,
                             int64_t want) {
  config c;
  dusk_table *p, *t;
  dusk_hashagg *m;
  nunique_config(&c, input);
  p = set_partial(bytes, len);
  m = cfg_new(&c);
  merge_ok(m, p);
  t = final_of(m);
  expect_row(t, 0, (dusk_value[]){tu_int(1), tu_int(want)});
  dusk_table_free(t);
  dusk_hashagg_free(m);
  dusk_table_free(p);
}

/* Runs of more distinct values than a merge looks up at once (4096):
 * 6,000 ints in each of two partials, 3,000 shared, count 9,000 however
 * the chunks fall; a crafted float run's -0.0 and 0.0 are one value, a
 * crafted bool run's bytes 1, 2 and 7 one True. */
START_TEST(test_nunique_many_values_merged) {
  enum { NV = 6000 };
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  config c;
  dusk_table *p[2], *t;
  dusk_hashagg *m;
  double zeros[3] = {-0.0, 0.0, 0.5};
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_NUNIQUE, DUSK_TYPE_INT64, 1, "u");
  for (size_t i = 0; i < 2; i++) {
    dusk_value *cells = calloc(2 * NV, sizeof *cells);
    dataset d = {2, NV, types, cells};
    dusk_hashagg *h = cfg_new(&c);
    ck_assert_ptr_nonnull(cells);
    for (size_t r = 0; r < NV; r++) {
      cells[2 * r] = tu_int(1);
      cells[2 * r + 1] = tu_int((int64_t)(i * NV / 2 + r) * 7919);
    }
    add_rows(h, &c, &d, NULL, NV, 1000);
    p[i] = partial_of(h);
    dusk_hashagg_free(h);
    free(cells);
  }
  m = cfg_new(&c);
  merge_ok(m, p[0]);
  merge_ok(m, p[1]);
  merge_ok(m, p[0]); /* a partial again: nothing new */
  t = final_of(m);
  expect_row(t, 0, (dusk_value[]){tu_int(1), tu_int(NV + NV / 2)});
  dusk_table_free(t);
  dusk_hashagg_free(m);
  for (size_t i = 0; i < 2; i++)
    dusk_table_free(p[i]);
  expect_run_count(DUSK_TYPE_FLOAT64, (const char *)zeros, sizeof zeros, 2);
  /* a crafted bool run: any byte but 0 is True */
  expect_run_count(DUSK_TYPE_BOOL, "\x01\x02\x00\x07", 4, 2);
}
END_TEST

START_TEST(test_merge_bad_nunique_sets) {
  config c;
  dusk_table *p;
  int64_t two[2] = {7, 8};
  char buf[16];
  uint32_t len;
  /* int64 set bytes not a multiple of 8 */
  nunique_config(&c, DUSK_TYPE_INT64);
  p = set_partial((const char *)two, 11);
  expect_merge_error(&c, p, "bad nunique state");
  dusk_table_free(p);
  /* float64: 3 bytes */
  nunique_config(&c, DUSK_TYPE_FLOAT64);
  p = set_partial("abc", 3);
  expect_merge_error(&c, p, "bad nunique state");
  dusk_table_free(p);
  /* string: a length prefix cut short */
  nunique_config(&c, DUSK_TYPE_STRING);
  p = set_partial("\x01\x00", 2);
  expect_merge_error(&c, p, "bad nunique state");
  dusk_table_free(p);
  /* string: a length running past the bytes */
  len = 10;
  memcpy(buf, &len, 4);
  memcpy(buf + 4, "ab", 2);
  p = set_partial(buf, 6);
  expect_merge_error(&c, p, "bad nunique state");
  dusk_table_free(p);
  /* string: a length of 2^32-1 (must not wrap the bound check) */
  len = UINT32_MAX;
  memcpy(buf, &len, 4);
  p = set_partial(buf, 8);
  expect_merge_error(&c, p, "bad nunique state");
  dusk_table_free(p);
  /* string: well formed, then a second value with a short prefix */
  len = 1;
  memcpy(buf, &len, 4);
  buf[4] = 'x';
  buf[5] = 3;
  p = set_partial(buf, 6);
  expect_merge_error(&c, p, "bad nunique state");
  dusk_table_free(p);
  /* The well-formed prefix alone merges, and counts one value. */
  {
    dusk_hashagg *m = cfg_new(&c);
    dusk_table *t;
    p = set_partial(buf, 5);
    merge_ok(m, p);
    t = final_of(m);
    expect_row(t, 0, (dusk_value[]){tu_int(1), tu_int(1)});
    dusk_table_free(t);
    dusk_table_free(p);
    dusk_hashagg_free(m);
  }
}
END_TEST

/* A partial with the right number of columns but other column types (a
 * float64 key for an int64 aggregate, a float64 count) is malformed too:
 * merging it must fail rather than reinterpret the bytes. */
START_TEST(test_merge_wrong_column_types) {
  static const char *const names[] = {"k0", "0:n"};
  static const dusk_type types[] = {DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64};
  config c;
  dusk_table *p = dusk_table_new(names, types, 2, 1);
  dusk_hashagg *m;
  dusk_error err;
  int rc;
  ck_assert_ptr_nonnull(p);
  ck_assert_int_eq(dusk_table_append_row(p, (dusk_value[]){tu_float(1.5), tu_float(2.0)}),
                   0);
  p = roundtrip(p);
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_COUNT, DUSK_TYPE_INT64, 1, "n");
  m = cfg_new(&c);
  dusk_error_clear(&err);
  rc = dusk_hashagg_merge(m, p, &err);
  if (rc == 0) {
    dusk_table *t = final_of(m);
    dusk_value k, n;
    dusk_table_get(t, 0, 0, &k);
    dusk_table_get(t, 1, 0, &n);
    ck_abort_msg("merge accepted a partial with float64 key and count "
                 "columns for an int64 key and count: group key %lld, "
                 "count %lld",
                 (long long)k.u.i, (long long)n.u.i);
  }
  ck_assert_int_eq(rc, DUSK_ETYPE);
  dusk_table_free(p);
  dusk_hashagg_free(m);
}
END_TEST

/* ---- randomized comparison with a reference -------------------------------
 */

#define RND_ROWS 20000
#define RND_S 10 /* string key values */
#define RND_I 5  /* int key values: 50 groups */
#define RND_NSTR 12
#define RND_IV 101 /* int values -50..50 */
#define RND_FV 81  /* float values k/4, k in -40..40 */

static const char *const rnd_skeys[RND_S] = {
    "red", "green", "blue", "", "Blue", "gr\xc3\xbcn", "re", "redd", "~", "0"};
static const char *const rnd_strs[RND_NSTR] = {
    "",      "a",  "b", "ab", "ba", "A", "zz", "z", "\xe2\x82\xac",
    "a\x01", "a ", "m"};

typedef struct ref_group {
  int present;
  int64_t size, n[4];
  uint64_t isum; /* wraps */
  double fsum, imean_sum, bmean_sum;
  int64_t bsum;
  int has[4];
  int64_t imin, imax;
  double fmin, fmax;
  int bmin, bmax;
  size_t smin, smax;
  uint8_t iseen[RND_IV], fseen[RND_FV], bseen[2], sseen[RND_NSTR];
} ref_group;

static int str_cmp(const char *a, const char *b) {
  return strcmp(a, b); /* bytewise on unsigned chars, NUL-free strings */
}

typedef struct rnd_data {
  dataset d;
  ref_group groups[RND_S][RND_I];
} rnd_data;

static void rnd_build(rnd_data *x) {
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_INT64,  DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_BOOL,   DUSK_TYPE_STRING};
  memset(x, 0, sizeof *x);
  x->d.ncols = 6;
  x->d.nrows = RND_ROWS;
  x->d.types = types;
  x->d.cells = calloc(RND_ROWS * 6, sizeof *x->d.cells);
  ck_assert_ptr_nonnull(x->d.cells);
  rng_state = 20240601;
  for (size_t r = 0; r < RND_ROWS; r++) {
    dusk_value *row = x->d.cells + r * 6;
    size_t sk = rnd_below(RND_S), ik = rnd_below(RND_I);
    int sk_null = rnd_below(100) < 3, ik_null = rnd_below(100) < 3;
    /* Group ("", 4) never has a non-null int value: its mean, min and max
     * are null and its sum 0. */
    int no_ints = sk == 3 && ik == 4;
    int64_t iv = (int64_t)rnd_below(RND_IV) - 50;
    int fk = (int)rnd_below(RND_FV) - 40;
    int bv = (int)rnd_below(2);
    size_t sv = rnd_below(RND_NSTR);
    int nulls[4];
    ref_group *g;
    for (size_t k = 0; k < 4; k++)
      nulls[k] = rnd_below(100) < 12;
    if (no_ints)
      nulls[0] = 1;
    row[0] = sk_null ? tu_null() : tu_str(rnd_skeys[sk]);
    row[1] = ik_null ? tu_null() : tu_int((int64_t)ik * 7 - 10);
    row[2] = nulls[0] ? tu_null() : tu_int(iv);
    row[3] = nulls[1] ? tu_null() : tu_float(fk / 4.0);
    row[4] = nulls[2] ? tu_null() : tu_bool(bv);
    row[5] = nulls[3] ? tu_null() : tu_str(rnd_strs[sv]);
    if (sk_null || ik_null)
      continue;
    g = &x->groups[sk][ik];
    g->present = 1;
    g->size++;
    if (!nulls[0]) {
      g->n[0]++;
      g->isum += (uint64_t)iv;
      g->imean_sum += (double)iv;
      if (!g->has[0] || iv < g->imin)
        g->imin = iv;
      if (!g->has[0] || iv > g->imax)
        g->imax = iv;
      g->has[0] = 1;
      g->iseen[iv + 50] = 1;
    }
    if (!nulls[1]) {
      double f = fk / 4.0;
      g->n[1]++;
      g->fsum += f;
      if (!g->has[1] || f < g->fmin)
        g->fmin = f;
      if (!g->has[1] || f > g->fmax)
        g->fmax = f;
      g->has[1] = 1;
      g->fseen[fk + 40] = 1;
    }
    if (!nulls[2]) {
      g->n[2]++;
      g->bsum += bv;
      g->bmean_sum += bv;
      if (!g->has[2] || bv < g->bmin)
        g->bmin = bv;
      if (!g->has[2] || bv > g->bmax)
        g->bmax = bv;
      g->has[2] = 1;
      g->bseen[bv] = 1;
    }
    if (!nulls[3]) {
      g->n[3]++;
      if (!g->has[3] || str_cmp(rnd_strs[sv], rnd_strs[g->smin]) < 0)
        g->smin = sv;
      if (!g->has[3] || str_cmp(rnd_strs[sv], rnd_strs[g->smax]) > 0)
        g->smax = sv;
      g->has[3] = 1;
      g->sseen[sv] = 1;
    }
  }
}

static void rnd_config(config *c) {
  memset(c, 0, sizeof *c);
  cfg_key(c, "s", DUSK_TYPE_STRING, 0);
  cfg_key(c, "i", DUSK_TYPE_INT64, 1);
  cfg_agg(c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  cfg_agg(c, DUSK_AGG_COUNT, DUSK_TYPE_INT64, 2, "ic");
  cfg_agg(c, DUSK_AGG_SUM, DUSK_TYPE_INT64, 2, "is");
  cfg_agg(c, DUSK_AGG_MEAN, DUSK_TYPE_INT64, 2, "im");
  cfg_agg(c, DUSK_AGG_MIN, DUSK_TYPE_INT64, 2, "in");
  cfg_agg(c, DUSK_AGG_MAX, DUSK_TYPE_INT64, 2, "ix");
  cfg_agg(c, DUSK_AGG_NUNIQUE, DUSK_TYPE_INT64, 2, "iu");
  cfg_agg(c, DUSK_AGG_COUNT, DUSK_TYPE_FLOAT64, 3, "fc");
  cfg_agg(c, DUSK_AGG_SUM, DUSK_TYPE_FLOAT64, 3, "fs");
  cfg_agg(c, DUSK_AGG_MEAN, DUSK_TYPE_FLOAT64, 3, "fm");
  cfg_agg(c, DUSK_AGG_MIN, DUSK_TYPE_FLOAT64, 3, "fn");
  cfg_agg(c, DUSK_AGG_MAX, DUSK_TYPE_FLOAT64, 3, "fx");
  cfg_agg(c, DUSK_AGG_NUNIQUE, DUSK_TYPE_FLOAT64, 3, "fu");
  cfg_agg(c, DUSK_AGG_COUNT, DUSK_TYPE_BOOL, 4, "bc");
  cfg_agg(c, DUSK_AGG_SUM, DUSK_TYPE_BOOL, 4, "bs");
  cfg_agg(c, DUSK_AGG_MEAN, DUSK_TYPE_BOOL, 4, "bm");
  cfg_agg(c, DUSK_AGG_MIN, DUSK_TYPE_BOOL, 4, "bn");
  cfg_agg(c, DUSK_AGG_MAX, DUSK_TYPE_BOOL, 4, "bx");
  cfg_agg(c, DUSK_AGG_NUNIQUE, DUSK_TYPE_BOOL, 4, "bu");
  cfg_agg(c, DUSK_AGG_COUNT, DUSK_TYPE_STRING, 5, "sc");
  cfg_agg(c, DUSK_AGG_MIN, DUSK_TYPE_STRING, 5, "sn");
  cfg_agg(c, DUSK_AGG_MAX, DUSK_TYPE_STRING, 5, "sx");
  cfg_agg(c, DUSK_AGG_NUNIQUE, DUSK_TYPE_STRING, 5, "su");
}

static int64_t count_seen(const uint8_t *seen, size_t n) {
  int64_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += seen[i];
  return k;
}

/* The reference answer, groups in key order. */
static void rnd_check(const rnd_data *x, const dusk_table *t) {
  size_t sorder[RND_S], r = 0;
  for (size_t i = 0; i < RND_S; i++)
    sorder[i] = i;
  for (size_t i = 1; i < RND_S; i++)
    for (size_t j = i;
         j > 0 && str_cmp(rnd_skeys[sorder[j - 1]], rnd_skeys[sorder[j]]) > 0;
         j--) {
      size_t tmp = sorder[j];
      sorder[j] = sorder[j - 1];
      sorder[j - 1] = tmp;
    }
  ck_assert_uint_eq(t->ncols, 2 + 23);
  for (size_t si = 0; si < RND_S; si++)
    for (size_t ik = 0; ik < RND_I; ik++) {
      const ref_group *g = &x->groups[sorder[si]][ik];
      dusk_value want[25];
      size_t c = 0;
      if (!g->present)
        continue;
      want[c++] = tu_str(rnd_skeys[sorder[si]]);
      want[c++] = tu_int((int64_t)ik * 7 - 10);
      want[c++] = tu_int(g->size);
      want[c++] = tu_int(g->n[0]);
      want[c++] = tu_int((int64_t)g->isum);
      want[c++] = g->n[0] ? tu_float(g->imean_sum / (double)g->n[0]) : tu_null();
      want[c++] = g->has[0] ? tu_int(g->imin) : tu_null();
      want[c++] = g->has[0] ? tu_int(g->imax) : tu_null();
      want[c++] = tu_int(count_seen(g->iseen, RND_IV));
      want[c++] = tu_int(g->n[1]);
      want[c++] = tu_float(g->fsum);
      want[c++] = g->n[1] ? tu_float(g->fsum / (double)g->n[1]) : tu_null();
      want[c++] = g->has[1] ? tu_float(g->fmin) : tu_null();
      want[c++] = g->has[1] ? tu_float(g->fmax) : tu_null();
      want[c++] = tu_int(count_seen(g->fseen, RND_FV));
      want[c++] = tu_int(g->n[2]);
      want[c++] = tu_int(g->bsum);
      want[c++] = g->n[2] ? tu_float(g->bmean_sum / (double)g->n[2]) : tu_null();
      want[c++] = g->has[2] ? tu_bool(g->bmin) : tu_null();
      want[c++] = g->has[2] ? tu_bool(g->bmax) : tu_null();
      want[c++] = tu_int(count_seen(g->bseen, 2));
      want[c++] = tu_int(g->n[3]);
      want[c++] = g->has[3] ? tu_str(rnd_strs[g->smin]) : tu_null();
      want[c++] = g->has[3] ? tu_str(rnd_strs[g->smax]) : tu_null();
      want[c++] = tu_int(count_seen(g->sseen, RND_NSTR));
      ck_assert_uint_lt(r, t->nrows);
      expect_row(t, r++, want);
    }
  ck_assert_uint_eq(r, t->nrows);
  ck_assert_uint_eq(r, RND_S * RND_I);
}

START_TEST(test_randomized_reference) {
  static rnd_data x;
  config c;
  dusk_hashagg *h;
  dusk_table *t;
  rnd_build(&x);
  rnd_config(&c);
  /* In one aggregate, batches of 1024 rows. */
  h = cfg_new(&c);
  add_rows(h, &c, &x.d, NULL, x.d.nrows, 1024);
  ck_assert_uint_eq(dusk_hashagg_ngroups(h), RND_S * RND_I);
  t = final_of(h);
  rnd_check(&x, t);
  dusk_table_free(t);
  dusk_hashagg_free(h);
  /* In five partials of uneven contiguous ranges, merged backwards. */
  {
    static const size_t cuts[6] = {0, 1, 4000, 4001, 13000, RND_ROWS};
    dusk_table *p[5];
    size_t *rows = malloc(RND_ROWS * sizeof *rows);
    ck_assert_ptr_nonnull(rows);
    for (size_t i = 0; i < 5; i++) {
      size_t n = 0;
      h = cfg_new(&c);
      for (size_t r = cuts[i]; r < cuts[i + 1]; r++)
        rows[n++] = r;
      add_rows(h, &c, &x.d, rows, n, 777);
      p[i] = partial_of(h);
      dusk_hashagg_free(h);
    }
    h = cfg_new(&c);
    for (size_t i = 5; i > 0; i--)
      merge_ok(h, p[i - 1]);
    t = final_of(h);
    rnd_check(&x, t);
    dusk_table_free(t);
    dusk_hashagg_free(h);
    for (size_t i = 0; i < 5; i++)
      dusk_table_free(p[i]);
    free(rows);
  }
  free(x.d.cells);
}
END_TEST

/* Counts added by group (several counts, few groups: hashagg.c's
 * count_by_group) or row by row (more groups than rows) give the same
 * answers, for columns mostly null, mostly valid and all valid, with
 * null keys, in batches of many sizes. */
START_TEST(test_counts_by_group) {
  enum { ROWS = 5000, KEYS = 40 };
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64,
                                    DUSK_TYPE_STRING, DUSK_TYPE_FLOAT64};
  static const size_t caps[] = {16384, 1000, 37, 13, 8, 1};
  static int64_t want[KEYS][4];
  dataset d;
  config c;
  uint64_t x = 12345;
  d.ncols = 4;
  d.nrows = ROWS;
  d.types = types;
  d.cells = calloc(ROWS * 4, sizeof *d.cells);
  ck_assert_ptr_nonnull(d.cells);
  memset(want, 0, sizeof want);
  for (size_t r = 0; r < ROWS; r++) {
    dusk_value *row = d.cells + r * 4;
    int64_t k;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    k = (int64_t)((x >> 33) % KEYS);
    row[0] = (x >> 20) % 33 == 0 ? tu_null() : tu_int(k);
    row[1] = (x >> 10) % 10 != 0 ? tu_null() : tu_int((int64_t)r);
    row[2] = (x >> 40) % 20 == 0 ? tu_null() : tu_str("v");
    row[3] = tu_float(0.5);
    if (row[0].type == DUSK_TYPE_NULL)
      continue;
    want[k][0]++;
    want[k][1] += row[1].type != DUSK_TYPE_NULL;
    want[k][2] += row[2].type != DUSK_TYPE_NULL;
    want[k][3]++;
  }
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  cfg_agg(&c, DUSK_AGG_COUNT, DUSK_TYPE_INT64, 1, "sparse");
  cfg_agg(&c, DUSK_AGG_COUNT, DUSK_TYPE_STRING, 2, "dense");
  cfg_agg(&c, DUSK_AGG_COUNT, DUSK_TYPE_FLOAT64, 3, "full");
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    dusk_hashagg *h = cfg_new(&c);
    dusk_table *t;
    size_t row = 0;
    add_rows(h, &c, &d, NULL, ROWS, caps[i]);
    t = final_of(h);
    for (int64_t k = 0; k < KEYS; k++) {
      dusk_value v[5];
      if (want[k][0] == 0)
        continue;
      v[0] = tu_int(k);
      for (int a = 0; a < 4; a++)
        v[a + 1] = tu_int(want[k][a]);
      expect_row(t, row++, v);
    }
    ck_assert_uint_eq(t->nrows, row);
    dusk_table_free(t);
    dusk_hashagg_free(h);
  }
  free(d.cells);
}
END_TEST

/* Two int keys, some with a dense code (both in [0, 1024): keyset.h) and
 * some without (a value of 1024 or more, a negative, a null), in batches
 * of several sizes: each key is one group with its exact size, whichever
 * way it was found, and the groups come out sorted. */
START_TEST(test_two_int_keys_dense_and_not) {
  enum { ROWS = 20000 };
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  static const int64_t vals[] = {0, 1, 7, 1023, 1024, 5000, -1, -4096};
  static const size_t caps[] = {4096, 333, 7};
  enum { NV = sizeof vals / sizeof vals[0] };
  static int64_t want[NV][NV];
  dataset d;
  config c;
  uint64_t x = 777;
  d.ncols = 2;
  d.nrows = ROWS;
  d.types = types;
  d.cells = calloc(ROWS * 2, sizeof *d.cells);
  ck_assert_ptr_nonnull(d.cells);
  memset(want, 0, sizeof want);
  for (size_t r = 0; r < ROWS; r++) {
    dusk_value *row = d.cells + r * 2;
    size_t a, b;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    a = (x >> 33) % NV;
    b = (x >> 45) % NV;
    row[0] = tu_int(vals[a]);
    row[1] = (x >> 20) % 50 == 0 ? tu_null() : tu_int(vals[b]);
    if (row[1].type != DUSK_TYPE_NULL)
      want[a][b]++;
  }
  memset(&c, 0, sizeof c);
  cfg_key(&c, "a", DUSK_TYPE_INT64, 0);
  cfg_key(&c, "b", DUSK_TYPE_INT64, 1);
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    dusk_hashagg *h = cfg_new(&c);
    dusk_table *t;
    size_t row = 0;
    int64_t sorted[NV];
    size_t idx[NV];
    /* vals in ascending order, with their index */
    for (size_t k = 0; k < NV; k++)
      idx[k] = k;
    for (size_t k = 1; k < NV; k++)
      for (size_t j = k; j > 0 && vals[idx[j - 1]] > vals[idx[j]]; j--) {
        size_t tmp = idx[j];
        idx[j] = idx[j - 1];
        idx[j - 1] = tmp;
      }
    for (size_t k = 0; k < NV; k++)
      sorted[k] = vals[idx[k]];
    add_rows(h, &c, &d, NULL, ROWS, caps[i]);
    t = final_of(h);
    for (size_t ia = 0; ia < NV; ia++)
      for (size_t ib = 0; ib < NV; ib++) {
        if (want[idx[ia]][idx[ib]] == 0)
          continue;
        expect_row(t, row++,
                   (dusk_value[]){tu_int(sorted[ia]), tu_int(sorted[ib]),
                                  tu_int(want[idx[ia]][idx[ib]])});
      }
    ck_assert_uint_eq(t->nrows, row);
    dusk_table_free(t);
    dusk_hashagg_free(h);
  }
  free(d.cells);
}
END_TEST

/* first / last keep each group's first and last non-null value by file
 * position (range, then row), whichever order the partials merge in:
 * here the later range's partial merges first. */
START_TEST(test_first_last_by_position) {
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  config c;
  dusk_batch b;
  dusk_hashagg *early, *late, *m;
  dusk_table *pe, *pl, *t;
  dusk_error err = {0};
  static const uint64_t rows_early[] = {10, 11, 12, 13};
  static const uint64_t rows_late[] = {0, 1, 2};
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_FIRST, DUSK_TYPE_STRING, 1, "first");
  cfg_agg(&c, DUSK_AGG_LAST, DUSK_TYPE_STRING, 1, "last");
  early = cfg_new(&c);
  late = cfg_new(&c);
  ck_assert_int_eq(dusk_batch_init(&b, types, 2, 8), 0);
  /* range 2: k=1 a, k=1 null, k=2 b, k=1 c */
  add_row(&b, (dusk_value[]){tu_int(1), tu_str("a")});
  add_row(&b, (dusk_value[]){tu_int(1), tu_null()});
  add_row(&b, (dusk_value[]){tu_int(2), tu_str("b")});
  add_row(&b, (dusk_value[]){tu_int(1), tu_str("c")});
  dusk_hashagg_at(early, 2, rows_early);
  ck_assert_int_eq(dusk_hashagg_add(early, &b, c.key_cols, c.agg_cols), 0);
  dusk_batch_clear(&b);
  /* range 5: k=2 d, k=1 null, k=3 null */
  add_row(&b, (dusk_value[]){tu_int(2), tu_str("d")});
  add_row(&b, (dusk_value[]){tu_int(1), tu_null()});
  add_row(&b, (dusk_value[]){tu_int(3), tu_null()});
  dusk_hashagg_at(late, 5, rows_late);
  ck_assert_int_eq(dusk_hashagg_add(late, &b, c.key_cols, c.agg_cols), 0);
  dusk_batch_destroy(&b);
  ck_assert_int_eq(dusk_hashagg_partial(early, &pe), 0);
  ck_assert_int_eq(dusk_hashagg_partial(late, &pl), 0);
  pe = roundtrip(pe);
  pl = roundtrip(pl);
  m = cfg_new(&c);
  ck_assert_int_eq(dusk_hashagg_merge(m, pl, &err), 0);
  ck_assert_int_eq(dusk_hashagg_merge(m, pe, &err), 0);
  t = final_of(m);
  ck_assert_uint_eq(t->nrows, 3);
  expect_row(t, 0, (dusk_value[]){tu_int(1), tu_str("a"), tu_str("c")});
  expect_row(t, 1, (dusk_value[]){tu_int(2), tu_str("b"), tu_str("d")});
  expect_row(t, 2, (dusk_value[]){tu_int(3), tu_null(), tu_null()});
  dusk_table_free(t);
  dusk_table_free(pe);
  dusk_table_free(pl);
  dusk_hashagg_free(early);
  dusk_hashagg_free(late);
  dusk_hashagg_free(m);
}
END_TEST

/* value_counts' state (SIZE and FIRST_ROW of one int key) against a
 * reference, per scenario:
 *   0  batches in file order, one range after another (a scan's: only
 *      new groups' first rows are set);
 *   1  the same batches in reverse, each batch's rows reversed (every row
 *      compared);
 *   2  in order, then one batch placed before the rest (the compared
 *      path after the ordered one);
 *   3  scenario 0's batches in three aggregates, their partials merged
 *      latest first into a fourth, which then adds a later batch;
 *   4  positions too wide to pack in 64 bits (ranges near 2^40, rows
 *      near 2^40: the comparison sort).
 * The first-row final lists the keys by first position with ranks 0, 1,
 * ...; the plain final sorts them by key with the same ranks. */
#define FR_KEYS 700
#define FR_BATCHES 40
#define FR_ROWS 64
static void first_row_scenario(int scenario) {
  static const dusk_type types[] = {DUSK_TYPE_INT64};
  config c;
  dusk_batch b;
  dusk_hashagg *h[4];
  dusk_table *t, *sorted;
  dusk_error err = {0};
  int64_t key[FR_BATCHES][FR_ROWS];
  uint64_t rows[FR_BATCHES][FR_ROWS];
  int64_t range[FR_BATCHES];
  int64_t count[FR_KEYS];
  size_t order[FR_KEYS], nkeys = 0, nh = scenario == 3 ? 4 : 1;
  int64_t base = scenario == 4 ? (int64_t)1 << 40 : 0;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  cfg_agg(&c, DUSK_AGG_FIRST_ROW, DUSK_TYPE_INT64, -1, "first_row");
  for (size_t i = 0; i < nh; i++)
    h[i] = cfg_new(&c);
  for (size_t k = 0; k < FR_KEYS; k++)
    count[k] = 0;
  /* batch i: range base + i / 4, rows (i % 4) * FR_ROWS + r (+ base) */
  for (size_t i = 0; i < FR_BATCHES; i++) {
    range[i] = base + (int64_t)(i / 4);
    for (size_t r = 0; r < FR_ROWS; r++) {
      key[i][r] = (int64_t)(rnd() % (i < 8 ? 60 : FR_KEYS));
      rows[i][r] = (uint64_t)base + (i % 4) * FR_ROWS + r;
    }
  }
  ck_assert_int_eq(dusk_batch_init(&b, types, 1, FR_ROWS), 0);
  for (size_t step = 0; step < FR_BATCHES; step++) {
    size_t i = scenario == 1   ? FR_BATCHES - 1 - step
               : scenario == 2 ? (step == FR_BATCHES - 1 ? 0 : step + 1)
                               : step;
    uint64_t at[FR_ROWS];
    dusk_hashagg *into = scenario == 3 ? h[step * 3 / FR_BATCHES] : h[0];
    dusk_batch_clear(&b);
    if (scenario == 3 && step == FR_BATCHES - 1)
      break; /* the last batch goes to the merged aggregate */
    for (size_t r = 0; r < FR_ROWS; r++) {
      size_t src = scenario == 1 ? FR_ROWS - 1 - r : r;
      add_row(&b, (dusk_value[]){tu_int(key[i][src])});
      at[r] = rows[i][src];
    }
    dusk_hashagg_at(into, (uint64_t)range[i], at);
    ck_assert_int_eq(dusk_hashagg_add(into, &b, c.key_cols, c.agg_cols), 0);
  }
  if (scenario == 3) {
    uint64_t at[FR_ROWS];
    size_t i = FR_BATCHES - 1;
    for (int j = 2; j >= 0; j--) {
      dusk_table *p = NULL;
      ck_assert_int_eq(dusk_hashagg_partial(h[j], &p), 0);
      p = roundtrip(p);
      ck_assert_int_eq(dusk_hashagg_merge(h[3], p, &err), 0);
      dusk_table_free(p);
    }
    dusk_batch_clear(&b);
    for (size_t r = 0; r < FR_ROWS; r++) {
      add_row(&b, (dusk_value[]){tu_int(key[i][r])});
      at[r] = rows[i][r];
    }
    dusk_hashagg_at(h[3], (uint64_t)range[i], at);
    ck_assert_int_eq(dusk_hashagg_add(h[3], &b, c.key_cols, c.agg_cols), 0);
  }
  dusk_batch_destroy(&b);
  for (size_t i = 0; i < FR_BATCHES; i++) /* in file order */
    for (size_t r = 0; r < FR_ROWS; r++) {
      int64_t k = key[i][r];
      if (count[k]++ == 0)
        order[nkeys++] = (size_t)k;
    }
  {
    dusk_hashagg *last = h[nh - 1];
    t = NULL;
    ck_assert_int_eq(dusk_hashagg_final_by_first_row(last, &t), 0);
    sorted = final_of(last);
  }
  ck_assert_uint_eq(t->nrows, nkeys);
  ck_assert_uint_eq(sorted->nrows, nkeys);
  for (size_t i = 0; i < nkeys; i++) {
    int64_t k = (int64_t)order[i];
    expect_row(t, i, (dusk_value[]){tu_int(k), tu_int(count[k]),
                                    tu_int((int64_t)i)});
  }
  for (size_t r = 0, k = 0; k < FR_KEYS; k++) {
    size_t rank = 0;
    if (count[k] == 0)
      continue;
    while (order[rank] != k)
      rank++;
    expect_row(sorted, r++, (dusk_value[]){tu_int((int64_t)k), tu_int(count[k]),
                                           tu_int((int64_t)rank)});
  }
  dusk_table_free(t);
  dusk_table_free(sorted);
  for (size_t i = 0; i < nh; i++)
    dusk_hashagg_free(h[i]);
}

START_TEST(test_first_rows_any_batch_order) {
  rng_state = 41;
  for (int scenario = 0; scenario < 5; scenario++)
    first_row_scenario(scenario);
}
END_TEST

/* The first-row final needs a FIRST_ROW aggregate. */
START_TEST(test_first_row_final_needs_first_row) {
  static const dusk_type types[] = {DUSK_TYPE_INT64};
  config c;
  dusk_batch b;
  dusk_hashagg *h;
  dusk_table *t = NULL;
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_SIZE, DUSK_TYPE_INT64, -1, "size");
  h = cfg_new(&c);
  ck_assert_int_eq(dusk_batch_init(&b, types, 1, 4), 0);
  add_row(&b, (dusk_value[]){tu_int(3)});
  ck_assert_int_eq(dusk_hashagg_add(h, &b, c.key_cols, c.agg_cols), 0);
  ck_assert_int_eq(dusk_hashagg_final_by_first_row(h, &t), DUSK_EINVAL);
  ck_assert_ptr_null(t);
  dusk_batch_destroy(&b);
  dusk_hashagg_free(h);
}
END_TEST

/* A group's float sum and mean with infinities are pandas 1.5's Kahan
 * sums: one infinity as the group's last value gives it, two (of any
 * sign) or one followed by a value give NaN - by file position,
 * whichever order the partials merge in.  Groups (range 2, then 5):
 * k=1 [1, inf | 2] NaN; k=2 [1 | inf] inf; k=3 [inf | inf] NaN;
 * k=4 [-inf | null] -inf; k=5 [inf, -inf |] NaN; k=6 [1 | 2] 3. */
START_TEST(test_sum_infinities_as_pandas_groupby) {
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64};
  static const uint64_t rows_early[] = {0, 1, 2, 3, 4, 5, 6, 7};
  static const uint64_t rows_late[] = {0, 1, 2, 3, 4};
  for (int order = 0; order < 2; order++) {
    config c;
    dusk_batch b;
    dusk_hashagg *early, *late, *m;
    dusk_table *pe, *pl, *t;
    dusk_error err = {0};
    memset(&c, 0, sizeof c);
    cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
    cfg_agg(&c, DUSK_AGG_SUM, DUSK_TYPE_FLOAT64, 1, "sum");
    cfg_agg(&c, DUSK_AGG_MEAN, DUSK_TYPE_FLOAT64, 1, "mean");
    early = cfg_new(&c);
    late = cfg_new(&c);
    ck_assert_int_eq(dusk_batch_init(&b, types, 2, 8), 0);
    add_row(&b, (dusk_value[]){tu_int(1), tu_float(1)});
    add_row(&b, (dusk_value[]){tu_int(1), tu_float(INFINITY)});
    add_row(&b, (dusk_value[]){tu_int(2), tu_float(1)});
    add_row(&b, (dusk_value[]){tu_int(3), tu_float(INFINITY)});
    add_row(&b, (dusk_value[]){tu_int(4), tu_float(-INFINITY)});
    add_row(&b, (dusk_value[]){tu_int(5), tu_float(INFINITY)});
    add_row(&b, (dusk_value[]){tu_int(5), tu_float(-INFINITY)});
    add_row(&b, (dusk_value[]){tu_int(6), tu_float(1)});
    dusk_hashagg_at(early, 2, rows_early);
    ck_assert_int_eq(dusk_hashagg_add(early, &b, c.key_cols, c.agg_cols), 0);
    dusk_batch_clear(&b);
    add_row(&b, (dusk_value[]){tu_int(1), tu_float(2)});
    add_row(&b, (dusk_value[]){tu_int(2), tu_float(INFINITY)});
    add_row(&b, (dusk_value[]){tu_int(3), tu_float(INFINITY)});
    add_row(&b, (dusk_value[]){tu_int(4), tu_null()});
    add_row(&b, (dusk_value[]){tu_int(6), tu_float(2)});
    dusk_hashagg_at(late, 5, rows_late);
    ck_assert_int_eq(dusk_hashagg_add(late, &b, c.key_cols, c.agg_cols), 0);
    dusk_batch_destroy(&b);
    ck_assert_int_eq(dusk_hashagg_partial(early, &pe), 0);
    ck_assert_int_eq(dusk_hashagg_partial(late, &pl), 0);
    pe = roundtrip(pe);
    pl = roundtrip(pl);
    m = cfg_new(&c);
    ck_assert_int_eq(dusk_hashagg_merge(m, order ? pe : pl, &err), 0);
    ck_assert_int_eq(dusk_hashagg_merge(m, order ? pl : pe, &err), 0);
    t = final_of(m);
    ck_assert_uint_eq(t->nrows, 6);
    {
      static const double want[6] = {NAN, INFINITY, NAN, -INFINITY, NAN, 3};
      for (size_t r = 0; r < 6; r++)
        for (size_t col = 1; col <= 2; col++) {
          dusk_value v;
          dusk_table_get(t, col, r, &v);
          if (isnan(want[r]))
            ck_assert_msg(v.type == DUSK_TYPE_NULL ||
                              (v.type == DUSK_TYPE_FLOAT64 && isnan(v.u.f)),
                          "row %zu col %zu", r, col);
          else
            ck_assert_msg(v.type == DUSK_TYPE_FLOAT64 &&
                              v.u.f == (col == 1 || r != 5 ? want[r] : 1.5),
                          "row %zu col %zu: %g", r, col, v.u.f);
        }
    }
    dusk_table_free(t);
    dusk_table_free(pe);
    dusk_table_free(pl);
    dusk_hashagg_free(early);
    dusk_hashagg_free(late);
    dusk_hashagg_free(m);
  }
}
END_TEST

/* median / quantile: exact over partials merged in any split, pandas'
 * midpoint and groupby interpolation; a partial whose (key, count) pairs
 * are malformed is refused. */
START_TEST(test_median_and_quantile) {
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64};
  dusk_value cells[] = {tu_int(1), tu_float(4.0),  tu_int(1), tu_float(1.0),
                        tu_int(2), tu_float(NAN),  tu_int(1), tu_float(2.0),
                        tu_int(1), N,              tu_int(2), tu_float(-3.5),
                        tu_int(1), tu_float(10.0), tu_int(3), N};
  dataset d = {2, 8, types, cells};
  config c;
  dusk_hashagg *h;
  dusk_table *p1, *p2, *t;
  dusk_error err;
  size_t first[] = {0, 1, 2, 3}, second[] = {4, 5, 6, 7};
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_MEDIAN, DUSK_TYPE_FLOAT64, 1, "med");
  cfg_agg(&c, DUSK_AGG_QUANTILE, DUSK_TYPE_FLOAT64, 1, "q");
  c.aggs[1].q = 0.3;
  h = cfg_new(&c);
  add_rows(h, &c, &d, first, 4, 2);
  p1 = partial_of(h);
  dusk_hashagg_free(h);
  h = cfg_new(&c);
  add_rows(h, &c, &d, second, 4, 3);
  p2 = partial_of(h);
  dusk_hashagg_free(h);
  h = cfg_new(&c);
  merge_ok(h, p2);
  merge_ok(h, p1);
  t = final_of(h);
  /* group 1: 1, 2, 4, 10 -> median 3, q(0.3): 1.5 -> 1 + (2 - 1) * 0.9;
   * group 2: -3.5 (NaN skipped); group 3: nothing -> NaN */
  expect_row(t, 0, (dusk_value[]){tu_int(1), tu_float(3.0), tu_float(1.9)});
  expect_row(t, 1, (dusk_value[]){tu_int(2), tu_float(-3.5), tu_float(-3.5)});
  expect_row(t, 2, (dusk_value[]){tu_int(3), N, N});
  dusk_table_free(t);
  dusk_hashagg_free(h);
  /* a state of a wrong length, a count of 0, counts past int64 or a
   * value type other than the aggregate's is refused */
  for (int k = 0; k < 4; k++) {
    dusk_table *bad = dusk_table_new(
        (const char *[]){"k0", "0:qset3", "1:qset3"},
        (dusk_type[]){DUSK_TYPE_INT64, DUSK_TYPE_STRING, DUSK_TYPE_STRING}, 3,
        1);
    char pairs[16] = {0};
    dusk_value row[3];
    ck_assert_ptr_nonnull(bad);
    row[0] = tu_int(1);
    row[1].type = row[2].type = DUSK_TYPE_STRING;
    row[1].u.s.ptr = row[2].u.s.ptr = pairs;
    row[1].u.s.len = row[2].u.s.len = k == 0 ? 15 : 16;
    if (k == 2) { /* two pairs whose counts add past int64 */
      static char two[32];
      int64_t big = INT64_MAX;
      memcpy(two + 8, &big, 8);
      memcpy(two + 16, &big, 8); /* another key, the same huge count */
      memcpy(two + 24, &big, 8);
      row[1].u.s.ptr = row[2].u.s.ptr = two;
      row[1].u.s.len = row[2].u.s.len = 32;
    }
    if (k == 3)
      free(bad->cols[1].name), bad->cols[1].name = strdup("0:qset2");
    ck_assert_int_eq(dusk_table_append_row(bad, row), 0);
    h = cfg_new(&c);
    dusk_error_clear(&err);
    ck_assert_int_eq(dusk_hashagg_merge(h, bad, &err), DUSK_ETYPE);
    ck_assert_msg(strstr(err.message, k == 3 ? "expected 0:qset3"
                                             : "bad median state"),
                  "%s", err.message);
    dusk_hashagg_free(h);
    dusk_table_free(bad);
  }
  dusk_table_free(p1);
  dusk_table_free(p2);
}
END_TEST

/* A bool column's median and quantile by group: pandas' floats of its 0s
 * and 1s, across partials (nulls skipped). */
START_TEST(test_median_and_quantile_of_bools) {
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_BOOL};
  dusk_value cells[] = {tu_int(1), tu_bool(true),  tu_int(1), tu_bool(false),
                        tu_int(2), tu_bool(false), tu_int(1), N,
                        tu_int(1), tu_bool(true),  tu_int(3), N};
  dataset d = {2, 6, types, cells};
  config c;
  dusk_hashagg *h;
  dusk_table *p1, *p2, *t;
  size_t first[] = {0, 1, 2}, second[] = {3, 4, 5};
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_INT64, 0);
  cfg_agg(&c, DUSK_AGG_MEDIAN, DUSK_TYPE_BOOL, 1, "med");
  cfg_agg(&c, DUSK_AGG_QUANTILE, DUSK_TYPE_BOOL, 1, "q");
  c.aggs[1].q = 0.25;
  h = cfg_new(&c);
  add_rows(h, &c, &d, first, 3, 2);
  p1 = partial_of(h);
  dusk_hashagg_free(h);
  h = cfg_new(&c);
  add_rows(h, &c, &d, second, 3, 3);
  p2 = partial_of(h);
  dusk_hashagg_free(h);
  h = cfg_new(&c);
  merge_ok(h, p1);
  merge_ok(h, p2);
  t = final_of(h);
  /* group 1: 0, 1, 1 -> median 1, q(0.25): 0 + (1 - 0) * 0.5; group 2:
   * 0; group 3: nothing -> NaN */
  expect_row(t, 0, (dusk_value[]){tu_int(1), tu_float(1.0), tu_float(0.5)});
  expect_row(t, 1, (dusk_value[]){tu_int(2), tu_float(0.0), tu_float(0.0)});
  expect_row(t, 2, (dusk_value[]){tu_int(3), N, N});
  dusk_table_free(t);
  dusk_hashagg_free(h);
  dusk_table_free(p1);
  dusk_table_free(p2);
}
END_TEST

/* Out of memory at every allocation of an add that brings new groups,
 * after groups exist: each ends in DUSK_ENOMEM, and the aggregation is
 * then freed without reading past what it holds (AddressSanitizer sees a
 * slot read past the slots' allocation). */
START_TEST(test_out_of_memory_while_adding) {
  enum { FIRST = 10, ROWS = 300 };
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_STRING};
  char keys[ROWS][16];
  dusk_value *cells = calloc(2 * ROWS, sizeof *cells);
  dataset d = {2, ROWS, types, cells};
  config c;
  int done = 0;
  ck_assert_ptr_nonnull(cells);
  for (size_t r = 0; r < ROWS; r++) {
    snprintf(keys[r], sizeof keys[r], "key-%zu", r);
    cells[2 * r] = tu_str(keys[r]);
    cells[2 * r + 1] = tu_str(keys[ROWS - 1 - r]);
  }
  memset(&c, 0, sizeof c);
  cfg_key(&c, "k", DUSK_TYPE_STRING, 0);
  cfg_agg(&c, DUSK_AGG_MIN, DUSK_TYPE_STRING, 1, "lo");
  cfg_agg(&c, DUSK_AGG_NUNIQUE, DUSK_TYPE_STRING, 1, "n");
  for (long n = 0; !done && n < 10000; n++) {
    dusk_hashagg *h = cfg_new(&c);
    dusk_batch b;
    int rc;
    add_rows(h, &c, &d, NULL, FIRST, FIRST);
    REQUIRE(dusk_batch_init(&b, types, 2, ROWS) == 0, "batch_init");
    for (size_t r = FIRST; r < ROWS; r++)
      add_row(&b, ds_row(&d, r));
    tu_alloc_fail_after(n);
    rc = dusk_hashagg_add(h, &b, c.key_cols, c.agg_cols);
    tu_alloc_fail_after(-1);
    ck_assert_msg(rc == 0 || rc == DUSK_ENOMEM, "rc %d", rc);
    if (rc == 0) {
      dusk_table *t = final_of(h);
      ck_assert_uint_eq(t->nrows, ROWS);
      dusk_table_free(t);
      done = 1;
    }
    dusk_batch_destroy(&b);
    dusk_hashagg_free(h);
  }
  ck_assert_msg(done, "the add never succeeded");
  free(cells);
}
END_TEST

int main(void) {
  Suite *s = suite_create("hashagg");
  TCase *tc;

  tc = tcase_create("aggregates");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_new_supported_pairs);
  tcase_add_test(tc, test_text_sum);
  tcase_add_test(tc, test_empty);
  tcase_add_test(tc, test_partial_types);
  tcase_add_test(tc, test_int_values);
  tcase_add_test(tc, test_std_var_and_no_keys);
  tcase_add_test(tc, test_std_of_large_offsets_is_exact);
  tcase_add_test(tc, test_std_var_of_infinities_and_overflow);
  tcase_add_test(tc, test_float_values);
  tcase_add_test(tc, test_bool_and_string_values);
  tcase_add_test(tc, test_string_minmax_outlives_batch);
  tcase_add_test(tc, test_int_sum_wraps);
  suite_add_tcase(s, tc);

  tc = tcase_create("keys");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_int_keys_sorted);
  tcase_add_test(tc, test_float_keys_negative_zero);
  tcase_add_test(tc, test_string_and_bool_keys_sorted);
  tcase_add_test(tc, test_strings_with_nul_bytes);
  tcase_add_test(tc, test_multiple_keys);
  tcase_add_test(tc, test_too_many_keys);
  suite_add_tcase(s, tc);

  tc = tcase_create("partials");
  tcase_set_timeout(tc, 50);
  tcase_add_test(tc, test_partials_any_split_order_shape);
  tcase_add_test(tc, test_partials_four_keys);
  tcase_add_test(tc, test_partial_layout_and_double_merge);
  tcase_add_test(tc, test_nunique_across_partials);
  tcase_add_test(tc, test_merge_wrong_column_count);
  tcase_add_test(tc, test_sum_infinities_as_pandas_groupby);
  tcase_add_test(tc, test_merge_bad_nunique_sets);
  tcase_add_test(tc, test_nunique_many_values_merged);
  tcase_add_test(tc, test_merge_wrong_column_types);
  suite_add_tcase(s, tc);

  tc = tcase_create("randomized");
  tcase_set_timeout(tc, 50);
  tcase_add_test(tc, test_randomized_reference);
  tcase_add_test(tc, test_counts_by_group);
  tcase_add_test(tc, test_two_int_keys_dense_and_not);
  tcase_add_test(tc, test_first_last_by_position);
  tcase_add_test(tc, test_first_rows_any_batch_order);
  tcase_add_test(tc, test_first_row_final_needs_first_row);
  tcase_add_test(tc, test_merge_first_row_missing);
  tcase_add_test(tc, test_out_of_memory_while_adding);
  tcase_add_test(tc, test_median_and_quantile);
  tcase_add_test(tc, test_median_and_quantile_of_bools);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
