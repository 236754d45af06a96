/* check_table.c - the result table: appends and conversions, the wire
 * encoding and its checked decoder, and the writers against pandas.
 *
 * Every decode runs on an exact-size heap copy of its input, so a read past
 * the bytes the decoder was given shows up under AddressSanitizer.  The
 * writer comparisons run tests/table_pandas.py under /usr/bin/python3 once
 * for all tables; without pandas they print a note and check the rest. */
#include "batch.h"
#include "table.h"
#include "testutil.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DUSK_TABLE_PANDAS
#define DUSK_TABLE_PANDAS "table_pandas.py"
#endif
#define PYTHON "/usr/bin/python3"

/* ---- helpers ---------------------------------------------------------------
 */

static dusk_table *mk(size_t ncols, size_t nindex, const char *const *names,
                      const dusk_type *types) {
  dusk_table *t = dusk_table_new(names, types, ncols, nindex);
  ck_assert_ptr_nonnull(t);
  return t;
}

static void add(dusk_table *t, const dusk_value *row) {
  ck_assert_int_eq(dusk_table_append_row(t, row), 0);
}

/* Runs a writer into memory; returns the malloc'd bytes. */
static char *written(int (*w)(const dusk_table *, FILE *), const dusk_table *t,
                     size_t *len) {
  char *p = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&p, &n);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(w(t, f), 0);
  ck_assert_int_eq(fclose(f), 0);
  if (len != NULL)
    *len = n;
  return p;
}

static void assert_written(int (*w)(const dusk_table *, FILE *),
                           const dusk_table *t, const char *want) {
  size_t n;
  char *got = written(w, t, &n);
  ck_assert_msg(n == strlen(want) && memcmp(got, want, n) == 0,
                "wrote\n%s\nwanted\n%s", got, want);
  free(got);
}

static void assert_tables_equal(const dusk_table *a, const dusk_table *b) {
  ck_assert_uint_eq(a->ncols, b->ncols);
  ck_assert_uint_eq(a->nrows, b->nrows);
  ck_assert_uint_eq(a->nindex, b->nindex);
  for (size_t c = 0; c < a->ncols; c++) {
    ck_assert_str_eq(a->cols[c].name, b->cols[c].name);
    ck_assert_int_eq(a->cols[c].type, b->cols[c].type);
    ck_assert_int_eq(a->cols[c].source_na, b->cols[c].source_na);
    for (size_t r = 0; r < a->nrows; r++) {
      dusk_value x, y;
      dusk_table_get(a, c, r, &x);
      dusk_table_get(b, c, r, &y);
      ck_assert_int_eq(x.type, y.type);
      switch (x.type) {
      case DUSK_TYPE_INT64:
        ck_assert(x.u.i == y.u.i);
        break;
      case DUSK_TYPE_FLOAT64:
        ck_assert(memcmp(&x.u.f, &y.u.f, sizeof x.u.f) == 0);
        break;
      case DUSK_TYPE_BOOL:
        ck_assert(x.u.b == y.u.b);
        break;
      case DUSK_TYPE_STRING:
        ck_assert_uint_eq(x.u.s.len, y.u.s.len);
        ck_assert(memcmp(x.u.s.ptr, y.u.s.ptr, x.u.s.len) == 0);
        break;
      case DUSK_TYPE_NULL:
        break;
      case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
      case DUSK_TYPE_TIMEDELTA:
      case DUSK_TYPE_DATE:
        break;
      }
    }
  }
}

typedef struct decoded {
  int rc;
  dusk_table *t;
  dusk_error err;
} decoded;

static decoded decode_exact(const char *bytes, size_t len) {
  decoded d;
  char *copy = malloc(len ? len : 1);
  dusk_slice s;

  ck_assert_ptr_nonnull(copy);
  if (len > 0)
    memcpy(copy, bytes, len);
  memset(&d, 0, sizeof d);
  dusk_error_clear(&d.err);
  s.ptr = copy;
  s.len = len;
  d.t = (dusk_table *)&d; /* must be reset */
  d.rc = dusk_table_decode(s, &d.t, &d.err);
  free(copy);
  if (d.rc != 0)
    ck_assert_ptr_null(d.t);
  return d;
}

/* ---- the tables used throughout -------------------------------------------
 */

static const char *const all_names[] = {"i", "f", "b", "s"};
static const dusk_type all_types[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                      DUSK_TYPE_BOOL, DUSK_TYPE_STRING};

/* Every type, with nulls, NaN, infinities, NUL bytes and UTF-8. */
static dusk_table *table_all_types(void) {
  dusk_table *t = mk(4, 0, all_names, all_types);
  dusk_value r0[] = {tu_int(1), tu_float(0.1), tu_bool(true), tu_str("x")};
  dusk_value r1[] = {tu_null(), tu_null(), tu_null(), tu_null()};
  dusk_value r2[] = {tu_int(INT64_MIN), tu_float(-0.0), tu_bool(false), tu_strn("a\0b", 3)};
  dusk_value r3[] = {tu_int(INT64_MAX), tu_float(NAN), tu_bool(true), tu_str("\xc3\xa9t\xc3\xa9")};
  dusk_value r4[] = {tu_int(-7), tu_float(INFINITY), tu_null(), tu_str("")};
  add(t, r0);
  add(t, r1);
  add(t, r2);
  add(t, r3);
  add(t, r4);
  return t;
}

static dusk_table *table_grouped(void) {
  static const char *const names[] = {"k1", "k2", "n", "mean"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64};
  dusk_table *t = mk(4, 2, names, types);
  dusk_value r0[] = {tu_str("x"), tu_int(1), tu_int(10), tu_float(1.5)};
  dusk_value r1[] = {tu_str("x"), tu_int(2), tu_int(20), tu_float(2.25)};
  dusk_value r2[] = {tu_str("y"), tu_int(1), tu_int(3), tu_float(-0.5)};
  add(t, r0);
  add(t, r1);
  add(t, r2);
  return t;
}

/* ---- storage ----------------------------------------------------------------
 */

/* order[0..n) is want[0..n). */
static void expect_order(const size_t *order, const size_t *want, size_t n) {
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(order[i] == want[i], "row %zu: got %zu, want %zu", i,
                  order[i], want[i]);
}

/* Datetime and timedelta columns: int64 ns tagged logical, which travels
 * on the wire and prints as pandas prints them. */
START_TEST(test_logical_times) {
  static const char *const names[] = {"k", "t", "d", "day"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64,
                                    DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  dusk_table *t = mk(4, 1, names, types), *back;
  decoded d;
  const dusk_value r0[] = {tu_int(1), tu_int(1617300386000000000LL),
                           tu_int(1710000000000LL),
                           tu_int(1617235200000000000LL)};
  const dusk_value r1[] = {tu_int(2), tu_null(), tu_int(-1000000000),
                           tu_int(-86400000000000LL)};
  dusk_buf b;
  char *csv, *text;
  add(t, r0);
  add(t, r1);
  t->cols[1].logical = DUSK_TYPE_DATETIME;
  t->cols[2].logical = DUSK_TYPE_TIMEDELTA;
  t->cols[3].logical = DUSK_TYPE_DATE; /* .dt.date: the day alone */
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_table_encode(t, &b), 0);
  d = decode_exact(b.data, b.len);
  ck_assert_int_eq(d.rc, 0);
  back = d.t;
  ck_assert_int_eq(back->cols[1].logical, DUSK_TYPE_DATETIME);
  ck_assert_int_eq(back->cols[2].logical, DUSK_TYPE_TIMEDELTA);
  ck_assert_int_eq(back->cols[3].logical, DUSK_TYPE_DATE);
  ck_assert_int_eq(back->cols[0].logical, 0);
  csv = written(dusk_table_write_csv, back, NULL);
  ck_assert_str_eq(csv,
                   "k,t,d,day\n1,2021-04-01 18:06:26,0 days 00:28:30,"
                   "2021-04-01\n2,,-1 days +23:59:59,1969-12-31\n");
  text = written(dusk_table_write_text, back, NULL);
  ck_assert_msg(strstr(text, "2021-04-01 18:06:26") != NULL &&
                    strstr(text, "NaT") != NULL &&
                    strstr(text, "-1 days +23:59:59") != NULL,
                "%s", text);
  free(csv);
  free(text);
  dusk_table_free(back);
  /* A logical tag on a non-int column, or an unknown one, is refused. */
  t->cols[0].logical = DUSK_TYPE_STRING;
  b.len = 0;
  ck_assert_int_eq(dusk_table_encode(t, &b), DUSK_EINVAL);
  dusk_buf_destroy(&b);
  dusk_table_free(t);
}
END_TEST

/* describe's object column of Timedeltas: text tagged logical timedelta,
 * which travels on the wire, writes as it is (empty for NaT in CSV) and
 * prints NaT for a null; a datetime tag on text is refused both ways. */
START_TEST(test_timedelta_text_column) {
  static const char *const names[] = {"", "d"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_STRING};
  dusk_table *t = mk(2, 1, names, types), *back;
  decoded d;
  const dusk_value r0[] = {tu_str("count"), tu_str("1")};
  const dusk_value r1[] = {tu_str("std"), tu_null()};
  const dusk_value r2[] = {tu_str("min"), tu_str("0 days 00:53:36.500000")};
  dusk_buf b;
  char *csv, *text;
  add(t, r0);
  add(t, r1);
  add(t, r2);
  t->cols[1].logical = DUSK_TYPE_TIMEDELTA;
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_table_encode(t, &b), 0);
  d = decode_exact(b.data, b.len);
  ck_assert_int_eq(d.rc, 0);
  back = d.t;
  ck_assert_int_eq(back->cols[1].logical, DUSK_TYPE_TIMEDELTA);
  csv = written(dusk_table_write_csv, back, NULL);
  ck_assert_str_eq(csv, ",d\ncount,1\nstd,\nmin,0 days 00:53:36.500000\n");
  text = written(dusk_table_write_text, back, NULL);
  /* pandas' print of that object column */
  ck_assert_str_eq(text, "                            d\n"
                         "count                       1\n"
                         "std                       NaT\n"
                         "min    0 days 00:53:36.500000\n");
  free(csv);
  free(text);
  dusk_table_free(back);
  t->cols[1].logical = DUSK_TYPE_DATETIME;
  b.len = 0;
  ck_assert_int_eq(dusk_table_encode(t, &b), DUSK_EINVAL);
  dusk_buf_destroy(&b);
  dusk_table_free(t);
}
END_TEST

START_TEST(test_sort_order) {
  static const char *const names[] = {"s", "i", "f", "b"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_FLOAT64, DUSK_TYPE_BOOL};
  dusk_table *t = mk(4, 1, names, types), *out = NULL;
  const dusk_value rows[][4] = {
      {tu_str("b"), tu_int(3), tu_float(NAN), tu_bool(true)},
      {tu_str("a"), tu_null(), tu_float(2.5), tu_bool(false)},
      {tu_str("ab"), tu_int(3), tu_float(-1), tu_null()},
      {tu_null(), tu_int(-7), tu_null(), tu_bool(true)},
      {tu_str("a"), tu_int(3), tu_float(2.5), tu_bool(false)},
  };
  size_t order[5];
  int cols[2];
  uint8_t asc[2];
  for (size_t r = 0; r < 5; r++)
    add(t, rows[r]);
  t->cols[1].source_na = 1;
  /* ints ascending: nulls last, ties (3, 3, 3) in row order. */
  cols[0] = 1, asc[0] = 1;
  dusk_table_sort_order(t, cols, asc, 1, order);
  expect_order(order, (const size_t[]){3, 0, 2, 4, 1}, 5);
  /* descending: ties still in row order, nulls still last. */
  asc[0] = 0;
  dusk_table_sort_order(t, cols, asc, 1, order);
  expect_order(order, (const size_t[]){0, 2, 4, 3, 1}, 5);
  /* floats: NaN and null both last. */
  cols[0] = 2, asc[0] = 1;
  dusk_table_sort_order(t, cols, asc, 1, order);
  expect_order(order, (const size_t[]){2, 1, 4, 0, 3}, 5);
  /* strings by bytes ("a" < "ab" < "b"), the index column too. */
  cols[0] = 0;
  dusk_table_sort_order(t, cols, asc, 1, order);
  expect_order(order, (const size_t[]){1, 4, 2, 0, 3}, 5);
  /* bools: False first; two keys, the second descending. */
  cols[0] = 3, cols[1] = 1, asc[0] = 1, asc[1] = 0;
  dusk_table_sort_order(t, cols, asc, 2, order);
  expect_order(order, (const size_t[]){4, 1, 0, 3, 2}, 5);
  /* take: rows in that order, flags and index kept. */
  ck_assert_int_eq(dusk_table_take(t, order, 3, &out), 0);
  ck_assert_uint_eq(out->nrows, 3);
  ck_assert_uint_eq(out->nindex, 1);
  ck_assert_int_eq(out->cols[1].source_na, 1);
  ck_assert_int_eq(out->cols[1].i64[0], 3);
  ck_assert_int_eq(out->cols[1].valid[1], 0);
  ck_assert_int_eq(out->cols[1].i64[2], 3);
  ck_assert_int_eq((int)(out->cols[0].str_off[1] - out->cols[0].str_off[0]),
                   1);
  dusk_table_free(out);
  /* A row index past the table is refused. */
  order[0] = 5;
  ck_assert_int_eq(dusk_table_take(t, order, 1, &out), DUSK_EINVAL);
  ck_assert_ptr_null(out);
  dusk_table_free(t);
}
END_TEST

START_TEST(test_new_rejects) {
  static const dusk_type bad[] = {DUSK_TYPE_INT64, DUSK_TYPE_NULL};
  static const dusk_type odd[] = {DUSK_TYPE_INT64, (dusk_type)9};
  static const char *const names[] = {"a", "b"};
  dusk_table *t;

  ck_assert_ptr_null(dusk_table_new(names, bad, 2, 0));
  ck_assert_ptr_null(dusk_table_new(names, odd, 2, 0));
  ck_assert_ptr_null(dusk_table_new(names, all_types, 2, 3));
  t = dusk_table_new(NULL, NULL, 0, 0);
  ck_assert_ptr_nonnull(t);
  ck_assert_uint_eq(t->ncols, 0);
  ck_assert_int_eq(dusk_table_append_row(t, NULL), 0);
  ck_assert_uint_eq(t->nrows, 1);
  dusk_table_free(t);
  dusk_table_free(NULL);
}
END_TEST

START_TEST(test_append_get) {
  dusk_table *t = table_all_types();
  dusk_value v;

  ck_assert_uint_eq(t->nrows, 5);
  ck_assert_int_eq(dusk_table_column_index(t, "s"), 3);
  ck_assert_int_eq(dusk_table_column_index(t, "i"), 0);
  ck_assert_int_eq(dusk_table_column_index(t, "nope"), -1);
  dusk_table_get(t, 0, 2, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_INT64);
  ck_assert(v.u.i == INT64_MIN);
  dusk_table_get(t, 1, 0, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_FLOAT64);
  ck_assert(v.u.f == 0.1);
  dusk_table_get(t, 1, 3, &v);
  ck_assert(isnan(v.u.f));
  dusk_table_get(t, 2, 2, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_BOOL);
  ck_assert(!v.u.b);
  dusk_table_get(t, 3, 2, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_STRING);
  ck_assert_uint_eq(v.u.s.len, 3);
  ck_assert(memcmp(v.u.s.ptr, "a\0b", 3) == 0);
  dusk_table_get(t, 3, 4, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_STRING);
  ck_assert_uint_eq(v.u.s.len, 0);
  for (size_t c = 0; c < 4; c++) {
    dusk_table_get(t, c, 1, &v);
    ck_assert_int_eq(v.type, DUSK_TYPE_NULL);
  }
  /* Out of range reads are nulls. */
  dusk_table_get(t, 4, 0, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_NULL);
  dusk_table_get(t, 0, 5, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_NULL);
  dusk_table_free(t);
}
END_TEST

START_TEST(test_conversions) {
  dusk_table *t = mk(4, 0, all_names, all_types);
  const dusk_value ok[] = {tu_float(3.0), tu_int(-5), tu_bool(true), tu_str("s")};
  /* Each row is refused for its first column that cannot take it. */
  const dusk_value bad[][4] = {
      {tu_float(3.5), tu_float(0), tu_bool(true), tu_str("")},
      {tu_float(-0.0), tu_float(0), tu_bool(true), tu_str("")},
      {tu_float(NAN), tu_float(0), tu_bool(true), tu_str("")},
      {tu_float(9223372036854775808.0), tu_float(0), tu_bool(true), tu_str("")},
      {tu_bool(true), tu_float(0), tu_bool(true), tu_str("")},
      {tu_str("1"), tu_float(0), tu_bool(true), tu_str("")},
      {tu_int(1), tu_int((INT64_C(1) << 53) + 1), tu_bool(true), tu_str("")},
      {tu_int(1), tu_int(INT64_MAX), tu_bool(true), tu_str("")},
      {tu_int(1), tu_bool(false), tu_bool(true), tu_str("")},
      {tu_int(1), tu_str("1.5"), tu_bool(true), tu_str("")},
      {tu_int(1), tu_float(1), tu_int(1), tu_str("")},
      {tu_int(1), tu_float(1), tu_float(1), tu_str("")},
      {tu_int(1), tu_float(1), tu_str("True"), tu_str("")},
      {tu_int(1), tu_float(1), tu_bool(true), tu_int(1)},
      {tu_int(1), tu_float(1), tu_bool(true), tu_bool(false)},
  };
  dusk_value v;

  add(t, ok);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_msg(dusk_table_append_row(t, bad[i]) == DUSK_ETYPE, "row %zu", i);
    ck_assert_uint_eq(t->nrows, 1); /* unchanged */
    ck_assert_uint_eq(t->cols[3].str_len, 1);
  }
  dusk_table_get(t, 0, 0, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_INT64);
  ck_assert(v.u.i == 3);
  dusk_table_get(t, 1, 0, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_FLOAT64);
  ck_assert(v.u.f == -5.0);
  {
    /* Exact conversions at the edges. */
    const dusk_value edge[] = {tu_float(-9223372036854775808.0), tu_int(INT64_C(1) << 53),
                               tu_bool(false), tu_str("")};
    add(t, edge);
    dusk_table_get(t, 0, 1, &v);
    ck_assert(v.u.i == INT64_MIN);
    dusk_table_get(t, 1, 1, &v);
    ck_assert(v.u.f == 9007199254740992.0);
  }
  dusk_table_free(t);
}
END_TEST

START_TEST(test_growth) {
  dusk_table *t = mk(4, 0, all_names, all_types);
  char buf[32];

  for (int64_t r = 0; r < 20000; r++) {
    dusk_value row[4];
    snprintf(buf, sizeof buf, "row%lld", (long long)r);
    row[0] = r % 7 == 0 ? tu_null() : tu_int(r * 3);
    row[1] = tu_float((double)r / 4);
    row[2] = tu_bool(r % 2 == 0);
    row[3] = r % 5 == 0 ? tu_null() : tu_str(buf);
    add(t, row);
  }
  ck_assert_uint_eq(t->nrows, 20000);
  ck_assert_uint_ge(t->cap, 20000);
  ck_assert_uint_lt(t->cap, 40000);
  for (size_t r = 0; r < 20000; r++) {
    dusk_value v;
    dusk_table_get(t, 0, r, &v);
    if (r % 7 == 0)
      ck_assert_int_eq(v.type, DUSK_TYPE_NULL);
    else
      ck_assert(v.u.i == (int64_t)r * 3);
    dusk_table_get(t, 3, r, &v);
    if (r % 5 == 0) {
      ck_assert_int_eq(v.type, DUSK_TYPE_NULL);
    } else {
      snprintf(buf, sizeof buf, "row%zu", r);
      ck_assert_uint_eq(v.u.s.len, strlen(buf));
      ck_assert(memcmp(v.u.s.ptr, buf, v.u.s.len) == 0);
    }
  }
  dusk_table_free(t);
}
END_TEST

START_TEST(test_append_rows) {
  dusk_table *src = table_all_types();
  dusk_table *t = mk(4, 0, all_names, all_types);
  dusk_table *g = table_grouped();

  ck_assert_int_eq(dusk_table_append_rows(t, src, 1, 3), 0);
  ck_assert_int_eq(dusk_table_append_rows(t, src, 0, 0), 0);
  ck_assert_int_eq(dusk_table_append_rows(t, src, 5, 0), 0);
  ck_assert_int_eq(dusk_table_append_rows(t, src, 4, 2), DUSK_EINVAL);
  ck_assert_int_eq(dusk_table_append_rows(t, src, 6, 0), DUSK_EINVAL);
  ck_assert_int_eq(dusk_table_append_rows(t, g, 0, 1), DUSK_ETYPE);
  ck_assert_uint_eq(t->nrows, 3);
  for (size_t c = 0; c < 4; c++)
    for (size_t r = 0; r < 3; r++) {
      dusk_value x, y;
      dusk_table_get(t, c, r, &x);
      dusk_table_get(src, c, r + 1, &y);
      ck_assert_int_eq(x.type, y.type);
      if (x.type == DUSK_TYPE_STRING)
        ck_assert(x.u.s.len == y.u.s.len &&
                  memcmp(x.u.s.ptr, y.u.s.ptr, x.u.s.len) == 0);
    }
  /* Appending a table to itself, many times so that it regrows. */
  for (int i = 0; i < 6; i++)
    ck_assert_int_eq(dusk_table_append_rows(src, src, 0, src->nrows), 0);
  ck_assert_uint_eq(src->nrows, 5 * 64);
  for (size_t r = 0; r < src->nrows; r++) {
    dusk_value v;
    dusk_table_get(src, 3, r, &v);
    if (r % 5 == 2)
      ck_assert(v.u.s.len == 3 && memcmp(v.u.s.ptr, "a\0b", 3) == 0);
    if (r % 5 == 3)
      ck_assert(v.u.s.len == 5 &&
                memcmp(v.u.s.ptr, "\xc3\xa9t\xc3\xa9", 5) == 0);
    dusk_table_get(src, 0, r, &v);
    if (r % 5 == 1)
      ck_assert_int_eq(v.type, DUSK_TYPE_NULL);
  }
  dusk_table_free(src);
  dusk_table_free(t);
  dusk_table_free(g);
}
END_TEST

/* ---- encoding
 * ----------------------------------------------------------------- */

typedef dusk_table *(*maker)(void);

static dusk_table *table_empty(void) { return mk(4, 1, all_names, all_types); }

static dusk_table *table_no_columns(void) {
  dusk_table *t = mk(0, 0, NULL, NULL);
  ck_assert_int_eq(dusk_table_append_row(t, NULL), 0);
  ck_assert_int_eq(dusk_table_append_row(t, NULL), 0);
  return t;
}

static dusk_table *table_no_columns_no_rows(void) {
  return mk(0, 0, NULL, NULL);
}

static dusk_table *table_index_only(void) {
  static const char *const names[] = {"k"};
  static const dusk_type types[] = {DUSK_TYPE_STRING};
  dusk_table *t = mk(1, 1, names, types);
  dusk_value r[] = {tu_str("a")};
  add(t, r);
  r[0] = tu_null();
  add(t, r);
  return t;
}

static dusk_table *table_odd_names(void) {
  static const char *const names[] = {"", "\xe6\x97\xa5\xe6\x9c\xac",
                                      "a,\"b\""};
  static const dusk_type types[] = {DUSK_TYPE_BOOL, DUSK_TYPE_STRING,
                                    DUSK_TYPE_FLOAT64};
  dusk_table *t = mk(3, 1, names, types);
  for (int i = 0; i < 40; i++) {
    char buf[64];
    dusk_value r[3];
    memset(buf, 'a' + i % 26, sizeof buf);
    r[0] = i % 3 == 0 ? tu_null() : tu_bool(i % 2);
    r[1] = tu_strn(buf, (size_t)i);
    r[2] = tu_float(i * 1e-3);
    add(t, r);
  }
  return t;
}

/* Flags on the int64 and bool columns of every type's table, one of them
 * with no null left in it (what a groupby key or fillna(0) gives). */
static dusk_table *table_source_na(void) {
  dusk_table *t = table_all_types();
  t->cols[0].source_na = 1;
  t->cols[2].source_na = 1;
  return t;
}

/* A flagged index column (a groupby key). */
static dusk_table *table_source_na_index(void) {
  dusk_table *t = table_grouped();
  t->cols[1].source_na = 1;
  return t;
}

/* A flagged column of no rows (head(0)). */
static dusk_table *table_source_na_empty(void) {
  dusk_table *t = table_empty();
  t->cols[2].source_na = 1;
  return t;
}

static const maker roundtrip_tables[] = {
    table_all_types,
    table_grouped,
    table_empty,
    table_no_columns,
    table_no_columns_no_rows,
    table_index_only,
    table_odd_names,
    table_source_na,
    table_source_na_index,
    table_source_na_empty,
};
#define NROUNDTRIP (sizeof roundtrip_tables / sizeof roundtrip_tables[0])

START_TEST(test_roundtrip) {
  for (size_t i = 0; i < NROUNDTRIP; i++) {
    dusk_table *t = roundtrip_tables[i]();
    dusk_buf b;
    decoded d;

    dusk_buf_init(&b);
    ck_assert_int_eq(dusk_buf_append(&b, "xy", 2), 0); /* encode appends */
    ck_assert_int_eq(dusk_table_encode(t, &b), 0);
    ck_assert(memcmp(b.data, "xy", 2) == 0);
    d = decode_exact(b.data + 2, b.len - 2);
    ck_assert_msg(d.rc == 0, "table %zu: %s", i, d.err.message);
    assert_tables_equal(t, d.t);
    {
      /* Encoding is deterministic: the copy encodes to the same bytes. */
      dusk_buf b2;
      dusk_buf_init(&b2);
      ck_assert_int_eq(dusk_table_encode(d.t, &b2), 0);
      ck_assert_uint_eq(b2.len, b.len - 2);
      ck_assert(memcmp(b2.data, b.data + 2, b2.len) == 0);
      dusk_buf_destroy(&b2);
    }
    /* A decoded table takes appends like any other. */
    ck_assert_int_eq(dusk_table_append_rows(d.t, t, 0, t->nrows), 0);
    ck_assert_uint_eq(d.t->nrows, 2 * t->nrows);
    dusk_table_free(d.t);
    dusk_table_free(t);
    dusk_buf_destroy(&b);
  }
}
END_TEST

/* dusk_table_encode_rows gives the bytes a take then an encode give:
 * for every round-trip table, rows reversed with repeats, none, and the
 * first alone; a row past the table is refused. */
START_TEST(test_encode_rows_matches_take) {
  for (size_t i = 0; i < NROUNDTRIP; i++) {
    dusk_table *t = roundtrip_tables[i](), *taken = NULL;
    size_t n = 2 * t->nrows + 1, *rows = calloc(n, sizeof *rows);
    dusk_buf want, got;
    dusk_buf_init(&want);
    dusk_buf_init(&got);
    for (size_t k = 0; k < n && t->nrows > 0; k++)
      rows[k] = (t->nrows - 1 - k % t->nrows + k / 3) % t->nrows;
    for (size_t pick = 0; pick < 3; pick++) {
      size_t m = t->nrows == 0 ? 0 : pick == 0 ? n : pick == 1 ? 0 : 1;
      want.len = got.len = 0;
      int rc;
      ck_assert_int_eq(dusk_table_take(t, rows, m, &taken), 0);
      rc = dusk_table_encode(taken, &want); /* rows of no columns: refused */
      ck_assert_int_eq(dusk_buf_append(&got, "z", 1), 0);
      ck_assert_int_eq(dusk_table_encode_rows(t, rows, m, &got), rc);
      ck_assert_msg(got.len == want.len + 1 &&
                        memcmp(got.data + 1, want.data, want.len) == 0,
                    "table %zu, %zu rows: gathered bytes differ", i, m);
      dusk_table_free(taken);
      taken = NULL;
    }
    rows[0] = t->nrows;
    got.len = 0;
    ck_assert_int_eq(dusk_table_encode_rows(t, rows, 1, &got), DUSK_EINVAL);
    ck_assert_uint_eq(got.len, 0);
    free(rows);
    dusk_buf_destroy(&want);
    dusk_buf_destroy(&got);
    dusk_table_free(t);
  }
}
END_TEST

/* dusk_table_write_csv_order writes what a take then a write give: 10,000
 * rows (past its 4096-row chunks) of every type and a datetime column, in
 * a scrambled order, without and with an index. */
START_TEST(test_write_csv_order_matches_take) {
  static const char *const names[] = {"i", "f", "b", "s", "t"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_BOOL, DUSK_TYPE_STRING,
                                    DUSK_TYPE_INT64};
  for (size_t nindex = 0; nindex < 2; nindex++) {
    dusk_table *t = mk(5, nindex, names, types), *taken = NULL;
    size_t n = 10000, *order = calloc(n, sizeof *order);
    char text[32], *want, *got = NULL;
    size_t wlen, glen = 0;
    FILE *f;
    t->cols[4].logical = DUSK_TYPE_DATETIME;
    for (size_t r = 0; r < n; r++) {
      dusk_value row[5];
      snprintf(text, sizeof text, "row %zu", r * 7919 % 1000);
      row[0] = r % 13 == 0 ? tu_null() : tu_int((int64_t)(r * 31 % 977));
      row[1] = tu_float((double)r / 8);
      row[2] = tu_bool(r % 3 == 0);
      row[3] = tu_str(text);
      row[4] = tu_int((int64_t)r * 1000000007);
      add(t, row);
      order[r] = (r * 7001) % n; /* 7001 is prime to 10,000: a permutation */
    }
    ck_assert_int_eq(dusk_table_take(t, order, n, &taken), 0);
    want = written(dusk_table_write_csv, taken, &wlen);
    f = open_memstream(&got, &glen);
    ck_assert_int_eq(dusk_table_write_csv_order(t, order, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_msg(glen == wlen && memcmp(got, want, wlen) == 0,
                  "index %zu: the ordered write differs from the take's",
                  nindex);
    free(want);
    free(got);
    free(order);
    dusk_table_free(taken);
    dusk_table_free(t);
  }
}
END_TEST

START_TEST(test_encode_refuses_rows_without_bytes) {
  dusk_table *t = mk(0, 0, NULL, NULL);
  dusk_buf b;

  for (int i = 0; i < 100; i++)
    ck_assert_int_eq(dusk_table_append_row(t, NULL), 0);
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_table_encode(t, &b), DUSK_ETOOBIG);
  ck_assert_uint_eq(b.len, 0);
  dusk_buf_destroy(&b);
  dusk_table_free(t);
}
END_TEST

/* The flags travel only when one is set: a table without any encodes in
 * the three-field form, the one every partial result uses. */
START_TEST(test_source_na_form) {
  dusk_table *t = table_all_types();
  dusk_buf b;
  decoded d;

  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_table_encode(t, &b), 0);
  ck_assert_int_eq((unsigned char)b.data[0], 0x93); /* fixarray of 3 */
  b.len = 0;
  t->cols[2].source_na = 1;
  ck_assert_int_eq(dusk_table_encode(t, &b), 0);
  ck_assert_int_eq((unsigned char)b.data[0], 0x94);
  d = decode_exact(b.data, b.len);
  ck_assert_msg(d.rc == 0, "%s", d.err.message);
  ck_assert_int_eq(d.t->cols[0].source_na, 0);
  ck_assert_int_eq(d.t->cols[2].source_na, 1);
  dusk_table_free(d.t);
  /* A flag on a float64 or string column, or not 0/1, is refused before
   * anything is written, as the decoder would refuse it. */
  for (size_t c = 1; c <= 3; c += 2) {
    t->cols[c].source_na = 1;
    b.len = 0;
    ck_assert_int_eq(dusk_table_encode(t, &b), DUSK_EINVAL);
    ck_assert_uint_eq(b.len, 0);
    t->cols[c].source_na = 0;
  }
  t->cols[0].source_na = 2;
  ck_assert_int_eq(dusk_table_encode(t, &b), DUSK_EINVAL);
  dusk_table_free(t);
  dusk_buf_destroy(&b);
}
END_TEST

START_TEST(test_truncated_prefixes) {
  for (size_t i = 0; i < NROUNDTRIP; i++) {
    dusk_table *t = roundtrip_tables[i]();
    dusk_buf b;

    dusk_buf_init(&b);
    ck_assert_int_eq(dusk_table_encode(t, &b), 0);
    for (size_t k = 0; k < b.len; k++) {
      decoded d = decode_exact(b.data, k);
      ck_assert_msg(d.rc != 0, "table %zu prefix %zu decoded", i, k);
      ck_assert_int_eq(d.err.code, d.rc);
      ck_assert(d.err.message[0] != '\0');
    }
    dusk_table_free(t);
    dusk_buf_destroy(&b);
  }
}
END_TEST

/* Every byte of every encoding replaced by a few values: decode either
 * refuses or returns a table that encodes and decodes again. */
START_TEST(test_mutations) {
  static const unsigned char subst[] = {0x00, 0x01, 0x02, 0x7f,
                                        0x80, 0xc1, 0xdc, 0xff};
  for (size_t i = 0; i < NROUNDTRIP; i++) {
    dusk_table *t = roundtrip_tables[i]();
    dusk_buf b;

    dusk_buf_init(&b);
    ck_assert_int_eq(dusk_table_encode(t, &b), 0);
    for (size_t k = 0; k < b.len; k++) {
      for (size_t j = 0; j < sizeof subst; j++) {
        char old = b.data[k];
        decoded d;
        b.data[k] = (char)subst[j];
        d = decode_exact(b.data, b.len);
        b.data[k] = old;
        if (d.rc == 0) {
          dusk_buf b2;
          decoded d2;
          dusk_buf_init(&b2);
          ck_assert_int_eq(dusk_table_encode(d.t, &b2), 0);
          d2 = decode_exact(b2.data, b2.len);
          ck_assert_int_eq(d2.rc, 0);
          assert_tables_equal(d.t, d2.t);
          dusk_table_free(d2.t);
          dusk_table_free(d.t);
          dusk_buf_destroy(&b2);
        } else {
          ck_assert(d.err.message[0] != '\0');
        }
      }
    }
    dusk_table_free(t);
    dusk_buf_destroy(&b);
  }
}
END_TEST

/* ---- malformed encodings, one case per check -------------------------------
 */

enum { K_OK, K_STR, K_INT, K_NEG, K_MAP, K_NIL, K_OMIT };

typedef struct colspec {
  int kind;      /* K_OK: array; K_INT: a plain int instead */
  int nfields;   /* 0: natural (4, or 5 for strings) */
  int name_kind; /* K_OK str, K_INT */
  const char *name;
  size_t name_len; /* 0: strlen(name) */
  int type_kind;   /* K_OK uint, K_STR */
  uint64_t type;
  int valid_kind; /* K_OK bin, K_STR */
  const char *valid;
  size_t valid_len;
  int data_kind;
  const char *data;
  size_t data_len;
  int strs_kind;
  const char *strs;
  size_t strs_len;
} colspec;

typedef struct badcase {
  const char *what;
  int top_kind;    /* K_OK array, K_MAP, K_INT */
  int top_fields;  /* 0: 3 */
  int nindex_kind; /* K_OK, K_STR */
  uint64_t nindex;
  int nrows_kind; /* K_OK, K_NEG */
  uint64_t nrows;
  int cols_kind; /* K_OK array, K_MAP */
  colspec cols[2];
  size_t ncols;
  const char *raw; /* bytes instead of all the above */
  size_t raw_len;
  int flags_kind; /* with top_fields 4: K_OK bin, K_STR */
  const char *flags;
  size_t flags_len;
  const char *trailing;
  int code;
  const char *needle; /* in the message */
} badcase;

static void pack_field(msgpack_packer *pk, int kind, const char *p, size_t n) {
  switch (kind) {
  case K_STR:
    msgpack_pack_str_with_body(pk, p, n);
    break;
  case K_INT:
    msgpack_pack_int(pk, 7);
    break;
  case K_NIL:
    msgpack_pack_nil(pk);
    break;
  default:
    msgpack_pack_bin_with_body(pk, p, n);
    break;
  }
}

static void build_case(const badcase *c, msgpack_sbuffer *sb) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
  if (c->raw != NULL) {
    msgpack_sbuffer_write(sb, c->raw, c->raw_len);
    return;
  }
  if (c->top_kind == K_MAP) {
    msgpack_pack_map(&pk, 0);
    return;
  }
  if (c->top_kind == K_INT) {
    msgpack_pack_int(&pk, 3);
    return;
  }
  msgpack_pack_array(&pk, c->top_fields ? (size_t)c->top_fields : 3);
  if (c->nindex_kind == K_STR)
    msgpack_pack_str_with_body(&pk, "0", 1);
  else
    msgpack_pack_uint64(&pk, c->nindex);
  if (c->nrows_kind == K_NEG)
    msgpack_pack_int64(&pk, -1);
  else
    msgpack_pack_uint64(&pk, c->nrows);
  if (c->top_fields == 2)
    return;
  if (c->cols_kind == K_MAP) {
    msgpack_pack_map(&pk, 0);
    return;
  }
  msgpack_pack_array(&pk, c->ncols);
  for (size_t i = 0; i < c->ncols; i++) {
    const colspec *s = &c->cols[i];
    int nf = s->nfields ? s->nfields : (s->type == 4 ? 5 : 4);
    if (s->kind == K_INT) {
      msgpack_pack_int(&pk, 1);
      continue;
    }
    msgpack_pack_array(&pk, (size_t)nf);
    if (s->name_kind == K_INT)
      msgpack_pack_int(&pk, 1);
    else
      msgpack_pack_str_with_body(&pk, s->name,
                                 s->name_len ? s->name_len : strlen(s->name));
    if (nf < 2)
      continue;
    if (s->type_kind == K_STR)
      msgpack_pack_str_with_body(&pk, "int64", 5);
    else
      msgpack_pack_uint64(&pk, s->type);
    if (nf < 3)
      continue;
    pack_field(&pk, s->valid_kind, s->valid, s->valid_len);
    if (nf < 4)
      continue;
    pack_field(&pk, s->data_kind, s->data, s->data_len);
    if (nf < 5)
      continue;
    pack_field(&pk, s->strs_kind, s->strs, s->strs_len);
    for (int k = 5; k < nf; k++)
      msgpack_pack_nil(&pk);
  }
  for (int k = 3; k < c->top_fields; k++)
    pack_field(&pk, c->flags_kind, c->flags, c->flags_len);
  if (c->trailing != NULL)
    msgpack_sbuffer_write(sb, c->trailing, strlen(c->trailing));
}

#define V2 "\x01\x01"
#define I2 "\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0"
/* Three little-endian string offsets of one significant byte each. */
#define OFF3(a, b, c) a "\0\0\0\0\0\0\0" b "\0\0\0\0\0\0\0" c "\0\0\0\0\0\0\0"

START_TEST(test_malformed) {
  static char longname[70000];
  static const char deep[] = "\x93\x00\x01\x91\x91\x91\x91\x90";
  static const char huge[] = "\x93\x00\x01\xdd\x10\x00\x00\x00";
  static const char reserved[] = "\x93\x00\x01\x91\xc1";
  badcase cases[48];
  size_t n = 0;
  colspec good_int = {K_OK, 0, K_OK, "a", 0,  K_OK, 2,  K_OK,
                      V2,   2, K_OK, I2,  16, K_OK, "", 0};
  colspec good_str = {K_OK, 0,    K_OK,  "s", 0,    K_OK,
                      4,    K_OK, V2,    2,   K_OK, OFF3("\0", "\x02", "\x03"),
                      24,   K_OK, "abc", 3};
  badcase base;

  memset(longname, 'n', sizeof longname);
  memset(&base, 0, sizeof base);
  base.nrows = 2;
  base.ncols = 1;
  base.cols[0] = good_int;

#define CASE(what_, code_, needle_)                                            \
  (cases[n] = base, cases[n].what = (what_), cases[n].code = (code_),          \
   cases[n].needle = (needle_), &cases[n++])
  CASE("top is a map", DUSK_ETYPE, "array of 3")->top_kind = K_MAP;
  CASE("top is an int", DUSK_ETYPE, "array of 3")->top_kind = K_INT;
  CASE("top has 2 fields", DUSK_ETYPE, "array of 3")->top_fields = 2;
  CASE("nindex is a str", DUSK_ETYPE, "nindex")->nindex_kind = K_STR;
  CASE("nrows is negative", DUSK_ETYPE, "nrows")->nrows_kind = K_NEG;
  CASE("columns is a map", DUSK_ETYPE, "columns")->cols_kind = K_MAP;
  {
    badcase *c = CASE("more rows than bytes", DUSK_ETOOBIG, "rows in");
    c->ncols = 0;
    c->nrows = 1000;
  }
  CASE("nindex > ncols", DUSK_EPARSE, "index columns")->nindex = 2;
  CASE("column is an int", DUSK_ETYPE, "column 0")->cols[0].kind = K_INT;
  CASE("column of 3 fields", DUSK_ETYPE, "column 0")->cols[0].nfields = 3;
  CASE("int column of 5 fields", DUSK_ETYPE, "column 0 ('a')")
      ->cols[0]
      .nfields = 5;
  CASE("name is an int", DUSK_ETYPE, "column 0: name")->cols[0].name_kind =
      K_INT;
  {
    badcase *c = CASE("name too long", DUSK_ETOOBIG, "column 0: name of");
    c->cols[0].name = longname;
    c->cols[0].name_len = 64 * 1024 + 1;
  }
  {
    badcase *c = CASE("name with NUL", DUSK_EPARSE, "NUL");
    c->cols[0].name = "a\0b";
    c->cols[0].name_len = 3;
  }
  CASE("type is a str", DUSK_ETYPE, "column 0 ('a'): type")->cols[0].type_kind =
      K_STR;
  CASE("type 0", DUSK_ETYPE, "unknown column type 0")->cols[0].type = 0;
  {
    badcase *c = CASE("type 5", DUSK_ETYPE, "unknown column type 5");
    c->cols[0].type = 5;
    c->cols[0].nfields = 4;
  }
  CASE("valid is a str", DUSK_ETYPE, "column 0 ('a'): valid")
      ->cols[0]
      .valid_kind = K_STR;
  CASE("valid too short", DUSK_ETYPE, "valid of 1 bytes")->cols[0].valid_len =
      1;
  CASE("valid byte 2", DUSK_EPARSE, "valid byte 2")->cols[0].valid = "\x01\x02";
  CASE("int data short", DUSK_ETYPE, "data of 15 bytes")->cols[0].data_len = 15;
  CASE("int data nil", DUSK_ETYPE, "data: expected bin")->cols[0].data_kind =
      K_NIL;
  {
    badcase *c = CASE("float data long", DUSK_ETYPE, "data of 17 bytes");
    c->cols[0].type = 3;
    c->cols[0].data = I2 "x";
    c->cols[0].data_len = 17;
  }
  {
    badcase *c = CASE("bool data byte 2", DUSK_EPARSE, "data byte 2");
    c->cols[0].type = 1;
    c->cols[0].data = "\x00\x02";
    c->cols[0].data_len = 2;
  }
  {
    badcase *c = CASE("string column of 4 fields", DUSK_ETYPE, "column 1");
    c->ncols = 2;
    c->cols[1] = good_str;
    c->cols[1].nfields = 4;
  }
  {
    badcase *c = CASE("offsets short", DUSK_ETYPE, "offsets of 16 bytes");
    c->ncols = 2;
    c->cols[1] = good_str;
    c->cols[1].data_len = 16;
  }
  {
    badcase *c = CASE("first offset 1", DUSK_EPARSE, "first string offset");
    c->ncols = 2;
    c->cols[1] = good_str;
    c->cols[1].data = OFF3("\x01", "\x02", "\x03");
  }
  {
    badcase *c = CASE("offsets go back", DUSK_EPARSE, "goes back");
    c->ncols = 2;
    c->cols[1] = good_str;
    c->cols[1].data = OFF3("\0", "\x02", "\x01");
  }
  {
    badcase *c = CASE("offset past the bytes", DUSK_EPARSE, "past the 3");
    c->ncols = 2;
    c->cols[1] = good_str;
    c->cols[1].data = OFF3("\0", "\x04", "\x04");
  }
  {
    badcase *c = CASE("offsets end early", DUSK_EPARSE, "end at 2 of 3");
    c->ncols = 2;
    c->cols[1] = good_str;
    c->cols[1].data = OFF3("\0", "\x01", "\x02");
  }
  {
    badcase *c = CASE("strings is a str", DUSK_ETYPE, "column 1 ('s')");
    c->ncols = 2;
    c->cols[1] = good_str;
    c->cols[1].strs_kind = K_STR;
  }
  {
    badcase *c = CASE("top has 6 fields", DUSK_ETYPE, "array of 3 to 5");
    c->top_fields = 6;
    c->flags = "\x00";
    c->flags_len = 1;
  }
  {
    /* A logical byte that is no type at all. */
    badcase *c = CASE("logical type 9", DUSK_EPARSE, "logical type 9");
    c->top_fields = 5;
    c->flags = "\x09";
    c->flags_len = 1;
  }
  {
    badcase *c = CASE("top has 5 fields, short", DUSK_ETYPE,
                      "'logical': expected a bin of 1 bytes");
    c->top_fields = 5;
    c->flags = "\x00\x00";
    c->flags_len = 2;
  }
  {
    badcase *c = CASE("logical type 4 (not a time)", DUSK_EPARSE,
                      "logical type 4");
    c->top_fields = 5;
    c->flags = "\x04";
    c->flags_len = 1;
  }
  {
    badcase *c = CASE("source_na is a str", DUSK_ETYPE,
                      "'source_na': expected bin, got str");
    c->top_fields = 4;
    c->flags_kind = K_STR;
    c->flags = "\x01";
    c->flags_len = 1;
  }
  {
    badcase *c = CASE("source_na short", DUSK_ETYPE,
                      "'source_na' of 0 bytes for 1 columns");
    c->top_fields = 4;
    c->flags = "";
  }
  {
    badcase *c = CASE("source_na long", DUSK_ETYPE,
                      "'source_na' of 2 bytes for 1 columns");
    c->top_fields = 4;
    c->flags = "\x01\x00";
    c->flags_len = 2;
  }
  {
    badcase *c = CASE("source_na byte 4", DUSK_EPARSE,
                      "column 0 ('a'): source_na byte 4 (not 0 to 3)");
    c->top_fields = 4;
    c->flags = "\x04";
    c->flags_len = 1;
  }
  {
    badcase *c = CASE("masked on string", DUSK_EPARSE,
                      "column 1 ('s'): masked set on a string column");
    c->top_fields = 4;
    c->ncols = 2;
    c->cols[1] = good_str;
    c->flags = "\x02\x02";
    c->flags_len = 2;
  }
  {
    badcase *c = CASE("source_na on float64", DUSK_EPARSE,
                      "column 0 ('a'): source_na set on a float64 column");
    c->top_fields = 4;
    c->cols[0].type = 3;
    c->flags = "\x01";
    c->flags_len = 1;
  }
  {
    badcase *c = CASE("source_na on string", DUSK_EPARSE,
                      "column 1 ('s'): source_na set on a string column");
    c->top_fields = 4;
    c->ncols = 2;
    c->cols[1] = good_str;
    c->flags = "\x01\x01";
    c->flags_len = 2;
  }
  CASE("trailing bytes", DUSK_ETRAILING, "trailing")->trailing = "\xc0";
  {
    badcase *c = CASE("deep nesting", DUSK_EDEPTH, "table:");
    c->raw = deep;
    c->raw_len = sizeof deep - 1;
  }
  {
    badcase *c = CASE("huge declared array", DUSK_ETOOBIG, "table:");
    c->raw = huge;
    c->raw_len = sizeof huge - 1;
  }
  {
    badcase *c = CASE("reserved byte", DUSK_EPROTO, "table:");
    c->raw = reserved;
    c->raw_len = sizeof reserved - 1;
  }
#undef CASE
  /* The base case itself decodes. */
  {
    msgpack_sbuffer sb;
    decoded d;
    badcase ok = base;
    ok.ncols = 2;
    ok.cols[1] = good_str;
    msgpack_sbuffer_init(&sb);
    build_case(&ok, &sb);
    d = decode_exact(sb.data, sb.size);
    ck_assert_msg(d.rc == 0, "%s", d.err.message);
    ck_assert_uint_eq(d.t->nrows, 2);
    dusk_table_free(d.t);
    msgpack_sbuffer_destroy(&sb);
    /* So does it with flags, all zero or set on the int64 column. */
    ok.top_fields = 4;
    ok.flags = "\x01\x00";
    ok.flags_len = 2;
    msgpack_sbuffer_init(&sb);
    build_case(&ok, &sb);
    d = decode_exact(sb.data, sb.size);
    ck_assert_msg(d.rc == 0, "%s", d.err.message);
    ck_assert_int_eq(d.t->cols[0].source_na, 1);
    ck_assert_int_eq(d.t->cols[1].source_na, 0);
    dusk_table_free(d.t);
    msgpack_sbuffer_destroy(&sb);
    /* the masked bit (2) beside source_na, both kept apart */
    ok.flags = "\x03\x00";
    msgpack_sbuffer_init(&sb);
    build_case(&ok, &sb);
    d = decode_exact(sb.data, sb.size);
    ck_assert_msg(d.rc == 0, "%s", d.err.message);
    ck_assert_int_eq(d.t->cols[0].source_na, 1);
    ck_assert_int_eq(d.t->cols[0].masked, 1);
    ck_assert_int_eq(d.t->cols[1].masked, 0);
    dusk_table_free(d.t);
    msgpack_sbuffer_destroy(&sb);
    ok.flags = "\x00\x00";
    msgpack_sbuffer_init(&sb);
    build_case(&ok, &sb);
    d = decode_exact(sb.data, sb.size);
    ck_assert_msg(d.rc == 0, "%s", d.err.message);
    ck_assert_int_eq(d.t->cols[0].source_na, 0);
    dusk_table_free(d.t);
    msgpack_sbuffer_destroy(&sb);
  }
  for (size_t i = 0; i < n; i++) {
    msgpack_sbuffer sb;
    decoded d;
    msgpack_sbuffer_init(&sb);
    build_case(&cases[i], &sb);
    d = decode_exact(sb.data, sb.size);
    ck_assert_msg(d.rc == cases[i].code, "%s: rc %d (%s), wanted %d",
                  cases[i].what, d.rc, d.err.message, cases[i].code);
    ck_assert_int_eq(d.err.code, d.rc);
    ck_assert_msg(strstr(d.err.message, cases[i].needle) != NULL,
                  "%s: message '%s' lacks '%s'", cases[i].what, d.err.message,
                  cases[i].needle);
    msgpack_sbuffer_destroy(&sb);
  }
}
END_TEST

/* ---- writers: fixed expectations -------------------------------------------
 */

static void assert_written_n(int (*w)(const dusk_table *, FILE *),
                             const dusk_table *t, const char *want,
                             size_t want_len) {
  size_t n;
  char *got = written(w, t, &n);
  ck_assert_msg(n == want_len && memcmp(got, want, n) == 0,
                "wrote %zu bytes\n%s\nwanted %zu bytes\n%s", n, got, want_len,
                want);
  free(got);
}

START_TEST(test_csv_fixed) {
  static const char want[] = ",i,f,b,s\n"
                             "0,1,0.1,True,x\n"
                             "1,,,,\n"
                             "2,-9223372036854775808,-0.0,False,a\0b\n"
                             "3,9223372036854775807,,True,\xc3\xa9t\xc3\xa9\n"
                             "4,-7,inf,,\n";
  dusk_table *t = table_all_types();
  assert_written_n(dusk_table_write_csv, t, want, sizeof want - 1);
  dusk_table_free(t);

  t = table_grouped();
  assert_written(dusk_table_write_csv, t,
                 "k1,k2,n,mean\nx,1,10,1.5\nx,2,20,2.25\ny,1,3,-0.5\n");
  dusk_table_free(t);

  /* A lone field that is empty is quoted, as Python's csv does. */
  t = table_index_only();
  assert_written(dusk_table_write_csv, t, "k\na\n\"\"\n");
  dusk_table_free(t);
  t = table_no_columns();
  assert_written(dusk_table_write_csv, t, "\"\"\n0\n1\n");
  dusk_table_free(t);
  t = table_empty();
  assert_written(dusk_table_write_csv, t, "i,f,b,s\n");
  dusk_table_free(t);

  {
    /* Quoting: separators, quotes and both line ends (a lone "\r" too,
     * where Python 3.11's csv module would not quote). */
    static const char *const names[] = {"a,b", "q\"", "s"};
    static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64,
                                      DUSK_TYPE_STRING};
    const char *vals[] = {"a,b", "say \"hi\"", "l1\nl2", "cr\rx", " sp ", ""};
    t = mk(3, 0, names, types);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
      dusk_value r[] = {tu_int((int64_t)i), tu_null(), tu_str(vals[i])};
      add(t, r);
    }
    assert_written(dusk_table_write_csv, t,
                   ",\"a,b\",\"q\"\"\",s\n"
                   "0,0,,\"a,b\"\n"
                   "1,1,,\"say \"\"hi\"\"\"\n"
                   "2,2,,\"l1\nl2\"\n"
                   "3,3,,\"cr\rx\"\n"
                   "4,4,, sp \n"
                   "5,5,,\n");
    dusk_table_free(t);
  }
}
END_TEST

START_TEST(test_float_repr) {
  /* Python's repr() of each value. */
  static const struct {
    double v;
    const char *repr;
  } cases[] = {
      {0.1, "0.1"},
      {1.0 / 3, "0.3333333333333333"},
      {2.0 / 3, "0.6666666666666666"},
      {1e-5, "1e-05"},
      {1.5e-7, "1.5e-07"},
      {0.0001, "0.0001"},
      {0.00012345, "0.00012345"},
      {1e16, "1e+16"},
      {1.5e16, "1.5e+16"},
      {1e15, "1000000000000000.0"},
      {123456789012345.0, "123456789012345.0"},
      {9007199254740993.0, "9007199254740992.0"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {1.0, "1.0"},
      {-1.5, "-1.5"},
      {100.0, "100.0"},
      {0.3, "0.3"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1e22, "1e+22"},
      {1e23, "1e+23"},
      {1e100, "1e+100"},
      {9223372036854775808.0, "9.223372036854776e+18"},
      {5e-324, "5e-324"},
      /* The correctly rounded 16 digits miss; the next 16 digits up read
       * back (the gap below a power of two is half the gap above). */
      {0x1p-1017, "7.120236347223045e-307"},
      {0x1p-957, "8.209073602596753e-289"},
      {DBL_MAX, "1.7976931348623157e+308"},
      {DBL_MIN, "2.2250738585072014e-308"},
      {INFINITY, "inf"},
      {-INFINITY, "-inf"},
  };
  static const char *const names[] = {"f"};
  static const dusk_type types[] = {DUSK_TYPE_FLOAT64};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dusk_table *t = mk(1, 1, names, types);
    dusk_value r[] = {tu_float(cases[i].v)};
    char want[64];
    add(t, r);
    snprintf(want, sizeof want, "f\n%s\n", cases[i].repr);
    assert_written(dusk_table_write_csv, t, want);
    dusk_table_free(t);
  }
}
END_TEST

static dusk_table *p_levels_multi(void);

START_TEST(test_json_fixed) {
  static const char want[] =
      "[{\"i\":1,\"f\":0.1,\"b\":true,\"s\":\"x\"},"
      "{\"i\":null,\"f\":null,\"b\":null,\"s\":null},"
      "{\"i\":-9223372036854775808,\"f\":-0.0,\"b\":false,\"s\":\"a\\u0000b\"},"
      "{\"i\":9223372036854775807,\"f\":null,\"b\":true,"
      "\"s\":\"\xc3\xa9t\xc3\xa9\"},"
      "{\"i\":-7,\"f\":null,\"b\":null,\"s\":\"\"}]\n";
  dusk_table *t = table_all_types();
  assert_written(dusk_table_write_json, t, want);
  dusk_table_free(t);

  t = table_grouped();
  assert_written(dusk_table_write_json, t,
                 "[{\"k1\":\"x\",\"k2\":1,\"n\":10,\"mean\":1.5},"
                 "{\"k1\":\"x\",\"k2\":2,\"n\":20,\"mean\":2.25},"
                 "{\"k1\":\"y\",\"k2\":1,\"n\":3,\"mean\":-0.5}]\n");
  dusk_table_free(t);

  /* Two-level names: pandas' to_json keys, Python's repr of the tuple
   * (the index keeps its plain name). */
  t = p_levels_multi();
  assert_written(dusk_table_write_json, t,
                 "[{\"k1\":\"a\",\"k2\":1,\"('x', 'min')\":-3,"
                 "\"('x', 'max')\":9,"
                 "\"('it\\\\'s, \\\"q\\\"', 'nunique')\":2},"
                 "{\"k1\":\"a\",\"k2\":2,\"('x', 'min')\":0,"
                 "\"('x', 'max')\":0,"
                 "\"('it\\\\'s, \\\"q\\\"', 'nunique')\":1},"
                 "{\"k1\":\"b\",\"k2\":1,\"('x', 'min')\":5,"
                 "\"('x', 'max')\":12,"
                 "\"('it\\\\'s, \\\"q\\\"', 'nunique')\":3}]\n");
  dusk_table_free(t);

  t = table_empty();
  assert_written(dusk_table_write_json, t, "[]\n");
  dusk_table_free(t);
  t = table_no_columns();
  assert_written(dusk_table_write_json, t, "[{},{}]\n");
  dusk_table_free(t);

  {
    static const char *const names[] = {"q\"\\\n"};
    static const dusk_type types[] = {DUSK_TYPE_STRING};
    /* Escapes, a 4-byte character, then invalid UTF-8: a stray byte, an
     * overlong '/', a surrogate and a truncated sequence. */
    static const char s[] = "\"\\/\b\f\n\r\t\x01\x1f\x7f"
                            "\xf0\x9f\x98\x80"
                            "\xff\xc0\xaf\xed\xa0\x80\xe6\x97";
    dusk_value r[] = {tu_strn(s, sizeof s - 1)};
    t = mk(1, 0, names, types);
    add(t, r);
    assert_written(dusk_table_write_json, t,
                   "[{\"q\\\"\\\\\\n\":\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001"
                   "\\u001f\x7f\xf0\x9f\x98\x80\\ufffd\\ufffd\\ufffd\\ufffd"
                   "\\ufffd\\ufffd\\ufffd\\ufffd\"}]\n");
    dusk_table_free(t);
  }
}
END_TEST

/* One column of values as a table for dusk_table_write_array. */
static dusk_table *array_table(dusk_type type, const dusk_value *v,
                               size_t n) {
  static const char *const names[] = {"x"};
  dusk_table *t = mk(1, 0, names, &type);
  for (size_t i = 0; i < n; i++)
    add(t, &v[i]);
  return t;
}

static int write_array(const dusk_table *t, FILE *f) {
  return dusk_table_write_array(t, false, f);
}

static int write_ext_array(const dusk_table *t, FILE *f) {
  return dusk_table_write_array(t, true, f);
}

START_TEST(test_array_fixed) {
  /* print() of what Series.unique() returns, as numpy 1.24 / pandas 1.5
   * print it (outputs copied from them). */
  dusk_value pos[] = {tu_float(0.001953125), tu_float(-1.5), tu_null(),
                      tu_float(0.1 + 0.2), tu_float(0.123456789),
                      tu_float(1.0)};
  dusk_value sci[] = {tu_float(1e8),      tu_float(2.5e-7),
                      tu_float(NAN),      tu_float(-INFINITY),
                      tu_float(1e100),    tu_float(-0.0)};
  dusk_value strs[] = {tu_str("it's"),   tu_str("say \"hi\""),
                       tu_str("both ' \""), tu_str("tab\t"),
                       tu_str("a\\b"),   tu_str("\xc3\xa9\xc2\xa0"),
                       tu_null()};
  dusk_value ints[40], many[1200], ext[151], bools[] = {tu_bool(true),
                                                       tu_bool(false)};
  dusk_table *t;
  for (int i = 0; i < 40; i++)
    ints[i] = tu_int((int64_t)i * 1000003 - 7);
  for (int i = 0; i < 1200; i++)
    many[i] = tu_int(i);
  ext[0] = tu_null();
  for (int i = 1; i < 151; i++)
    ext[i] = tu_int((i - 1) * 10);

  /* maxprec positional: a tie at 8 decimals to even, NaN padded */
  t = array_table(DUSK_TYPE_FLOAT64, pos, 6);
  assert_written(write_array, t,
                 "[ 0.00195312 -1.5                nan  0.3         "
                 "0.12345679  1.        ]\n");
  dusk_table_free(t);
  /* scientific, 3 exponent digits for all */
  t = array_table(DUSK_TYPE_FLOAT64, sci, 6);
  assert_written(write_array, t,
                 "[ 1.0e+008  2.5e-007       nan      -inf  1.0e+100 "
                 "-0.0e+000]\n");
  dusk_table_free(t);
  /* ints padded to the widest, wrapped at 75 columns */
  t = array_table(DUSK_TYPE_INT64, ints, 40);
  assert_written(write_array, t,
                 "[      -7   999996  1999999  3000002  4000005  5000008  "
                 "6000011  7000014\n"
                 "  8000017  9000020 10000023 11000026 12000029 13000032 "
                 "14000035 15000038\n"
                 " 16000041 17000044 18000047 19000050 20000053 21000056 "
                 "22000059 23000062\n"
                 " 24000065 25000068 26000071 27000074 28000077 29000080 "
                 "30000083 31000086\n"
                 " 32000089 33000092 34000095 35000098 36000101 37000104 "
                 "38000107 39000110]\n");
  dusk_table_free(t);
  /* objects: each str's repr, nan */
  t = array_table(DUSK_TYPE_STRING, strs, 7);
  assert_written(write_array, t,
                 "[\"it's\" 'say \"hi\"' 'both \\' \"' 'tab\\t' 'a\\\\b' "
                 "'\xc3\xa9\\xa0' nan]\n");
  dusk_table_free(t);
  /* more than 1000: 3 at each end */
  t = array_table(DUSK_TYPE_INT64, many, 1200);
  assert_written(write_array, t, "[   0    1    2 ... 1197 1198 1199]\n");
  dusk_table_free(t);
  t = array_table(DUSK_TYPE_BOOL, bools, 2);
  assert_written(write_array, t, "[ True False]\n");
  dusk_table_free(t);
  t = array_table(DUSK_TYPE_INT64, ints, 0);
  assert_written(write_array, t, "[]\n");
  assert_written(write_ext_array, t,
                 "<IntegerArray>\n[]\nLength: 0, dtype: Int64\n");
  dusk_table_free(t);
  /* pandas' IntegerArray: past 100 values 10 at each end, justified */
  t = array_table(DUSK_TYPE_INT64, ext, 151);
  assert_written(write_ext_array, t,
                 "<IntegerArray>\n"
                 "[<NA>,    0,   10,   20,   30,   40,   50,   60,   70,   "
                 "80,\n"
                 " ...\n"
                 " 1400, 1410, 1420, 1430, 1440, 1450, 1460, 1470, 1480, "
                 "1490]\n"
                 "Length: 151, dtype: Int64\n");
  dusk_table_free(t);
  t = array_table(DUSK_TYPE_BOOL, (dusk_value[]){tu_bool(true), tu_null()},
                  2);
  assert_written(write_ext_array, t,
                 "<BooleanArray>\n[True, <NA>]\nLength: 2, dtype: boolean\n");
  dusk_table_free(t);
}
END_TEST

START_TEST(test_text_fixed) {
  /* What pandas 1.5 prints for these (checked by hand), so the text
   * writer is exercised even where pandas is not installed. */
  static const char *const names[] = {"k", "n", "v"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_FLOAT64};
  dusk_table *t = mk(3, 1, names, types);
  dusk_value r0[] = {tu_str("x"), tu_int(4), tu_float(1.5)};
  dusk_value r1[] = {tu_str("yy"), tu_int(2), tu_float(2.0)};
  add(t, r0);
  add(t, r1);
  assert_written(dusk_table_write_text, t,
                 "    n    v\n"
                 "k         \n"
                 "x   4  1.5\n"
                 "yy  2  2.0\n");
  dusk_table_free(t);

  t = table_grouped();
  assert_written(dusk_table_write_text, t,
                 "        n  mean\n"
                 "k1 k2          \n"
                 "x  1   10  1.50\n"
                 "   2   20  2.25\n"
                 "y  1    3 -0.50\n");
  dusk_table_free(t);

  t = table_empty();
  assert_written(dusk_table_write_text, t,
                 "Empty DataFrame\nColumns: [f, b, s]\nIndex: []\n");
  dusk_table_free(t);
  t = table_no_columns();
  assert_written(dusk_table_write_text, t,
                 "Empty DataFrame\nColumns: []\nIndex: [0, 1]\n");
  dusk_table_free(t);
}
END_TEST

/* ---- writers against pandas -------------------------------------------------
 */

/* Builds a table from column names, types and rows given as one value
 * array (row-major). */
static dusk_table *build(size_t ncols, size_t nindex, const char *const *names,
                         const dusk_type *types, const dusk_value *cells,
                         size_t nrows) {
  dusk_table *t = mk(ncols, nindex, names, types);
  for (size_t r = 0; r < nrows; r++)
    add(t, cells + r * ncols);
  return t;
}

static dusk_table *p_ints(void) {
  static const char *const names[] = {"n", "big", "u"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64,
                                    DUSK_TYPE_INT64};
  const dusk_value cells[] = {
      tu_int(1),  tu_int(INT64_MAX), tu_int(1), tu_null(),     tu_int(INT64_MIN), tu_int(2),
      tu_int(-3), tu_int(0),         tu_int(3), tu_int(1000000), tu_int(-1),        tu_int(4),
  };
  return build(3, 0, names, types, cells, 4);
}

static dusk_table *p_floats_e(void) {
  static const char *const names[] = {"f"};
  static const dusk_type types[] = {DUSK_TYPE_FLOAT64};
  const dusk_value cells[] = {tu_float(0.1),  tu_float(1.0 / 3),  tu_float(1e-5),
                              tu_float(1e16), tu_float(-0.0),     tu_float(123456789012345.0),
                              tu_null(),  tu_float(INFINITY), tu_float(NAN)};
  return build(1, 0, names, types, cells, 9);
}

static dusk_table *p_floats_f(void) {
  static const char *const names[] = {"a", "b", "c", "d", "e", "g"};
  static const dusk_type types[] = {DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64};
  const dusk_value cells[] = {
      tu_float(0.1), tu_float(1.0), tu_float(1.5),   tu_float(123456.5), tu_float(1234567.0), tu_float(INFINITY),
      tu_float(0.5), tu_float(2.0), tu_float(NAN),   tu_float(1.0),      tu_float(1.0),       tu_float(1.0),
      tu_float(1.0), tu_null(), tu_float(-2.25), tu_float(2.0),      tu_float(0.0),       tu_float(-INFINITY),
  };
  return build(6, 0, names, types, cells, 3);
}

static dusk_table *p_floats_g(void) {
  static const char *const names[] = {"small", "allnull", "big", "huge", "neg"};
  static const dusk_type types[] = {DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_FLOAT64};
  const dusk_value cells[] = {
      tu_float(1e-7), tu_null(), tu_float(1e7),   tu_float(1e12), tu_float(-0.001),
      tu_float(1.0),  tu_null(), tu_float(2.5e7), tu_float(1.5),  tu_float(-123.4567891),
      tu_float(2.5),  tu_null(), tu_float(1.0),   tu_float(2.0),  tu_float(0.0),
  };
  return build(5, 0, names, types, cells, 3);
}

static dusk_table *p_bools(void) {
  static const char *const names[] = {"b", "bn", "ib"};
  static const dusk_type types[] = {DUSK_TYPE_BOOL, DUSK_TYPE_BOOL,
                                    DUSK_TYPE_BOOL};
  const dusk_value cells[] = {tu_bool(true), tu_bool(true), tu_bool(false), tu_bool(false), tu_null(),
                              tu_bool(true), tu_bool(true), tu_bool(false), tu_bool(true)};
  return build(3, 0, names, types, cells, 3);
}

static const char long60[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/* 55 characters, 2 bytes each. */
static const char long_utf8[] =
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
    "\xc3\xa9";

static dusk_table *p_strings(void) {
  static const char *const names[] = {"s", "t"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64};
  const dusk_value cells[] = {
      tu_str("x"),
      tu_int(1),
      tu_str("a,b"),
      tu_int(2),
      tu_str("q\"r"),
      tu_int(3),
      tu_str("nl\nx"),
      tu_int(4),
      tu_str(" sp "),
      tu_int(5),
      tu_str(""),
      tu_int(6),
      tu_null(),
      tu_int(7),
      tu_str("tab\tx"),
      tu_int(8),
      tu_str("\xc3\xa9"),
      tu_int(9),
      tu_str("\xe6\x97\xa5\xe6\x9c\xac"),
      tu_int(10),
      tu_str(long60),
      tu_int(11),
      tu_str(long_utf8),
      tu_int(12),
  };
  return build(2, 0, names, types, cells, 12);
}

static dusk_table *p_group1(void) {
  static const char *const names[] = {"key", "count", "mean", "flag"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_FLOAT64, DUSK_TYPE_BOOL};
  const dusk_value cells[] = {
      tu_str("apple"), tu_int(3),     tu_float(2.5),      tu_bool(true), tu_str("banana"), tu_int(12),
      tu_float(1.0 / 3), tu_bool(false), tu_str("cherry"), tu_int(-1),   tu_float(10.0),     tu_bool(true),
  };
  return build(4, 1, names, types, cells, 3);
}

static dusk_table *p_group2(void) {
  static const char *const names[] = {"k1", "k2", "n", "mean"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64};
  const dusk_value cells[] = {
      tu_str("x"),  tu_int(1),   tu_int(10),  tu_float(1.5), tu_str("x"),  tu_int(2),   tu_int(20),
      tu_float(2.25), tu_str("y"), tu_int(1),   tu_int(3),   tu_float(-0.5), tu_str("y"), tu_int(20),
      tu_int(4),    tu_float(4.0), tu_str("z"), tu_int(1),   tu_null(),  tu_float(5.0),
  };
  return build(4, 2, names, types, cells, 5);
}

/* Two-level column names (value.h DUSK_LEVEL_SEP), as groupby's
 * agg({"a": ["sum", "count"], ...}) labels them. */
static dusk_table *p_levels(void) {
  static const char *const names[] = {"k", "a\x1fsum", "a\x1f" "count",
                                      "b\x1fmax", "c\x1fs"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_STRING};
  const dusk_value cells[] = {
      tu_str("x"), tu_int(1),  tu_int(2),   tu_float(3.5),  tu_str("p"),
      tu_str("y"), tu_int(40), tu_int(5),   tu_float(6.25), tu_null(),
      tu_str("z"), tu_int(7),  tu_int(800), tu_null(),      tu_str("long one"),
  };
  return build(5, 1, names, types, cells, 3);
}

/* After reset_index: a plain name among two-level ones, a RangeIndex. */
static dusk_table *p_levels_range(void) {
  static const char *const names[] = {"k", "a\x1fsum", "a\x1fmean"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_FLOAT64};
  const dusk_value cells[] = {
      tu_str("x"), tu_int(1), tu_float(0.5), tu_str("yy"), tu_int(2),
      tu_float(10.25),
  };
  return build(3, 0, names, types, cells, 2);
}

/* Two index levels, and a column label with a quote and a comma. */
static dusk_table *p_levels_multi(void) {
  static const char *const names[] = {"k1", "k2", "x\x1fmin", "x\x1fmax",
                                      "it's, \"q\"\x1fnunique"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_INT64, DUSK_TYPE_INT64,
                                    DUSK_TYPE_INT64};
  const dusk_value cells[] = {
      tu_str("a"), tu_int(1), tu_int(-3), tu_int(9),  tu_int(2),
      tu_str("a"), tu_int(2), tu_int(0),  tu_int(0),  tu_int(1),
      tu_str("b"), tu_int(1), tu_int(5),  tu_int(12), tu_int(3),
  };
  return build(5, 2, names, types, cells, 3);
}

/* More two-level columns than fit: truncated with "...". */
static dusk_table *p_levels_wide(void) {
  enum { NC = 25 };
  char names[NC + 1][32];
  const char *np[NC + 1];
  dusk_type types[NC + 1];
  dusk_table *t;
  snprintf(names[0], sizeof names[0], "key");
  np[0] = names[0];
  types[0] = DUSK_TYPE_INT64;
  for (int c = 1; c <= NC; c++) {
    snprintf(names[c], sizeof names[c], "col%d\x1f%s", (c + 1) / 2,
             c % 2 ? "sum" : "mean");
    np[c] = names[c];
    types[c] = c % 2 ? DUSK_TYPE_INT64 : DUSK_TYPE_FLOAT64;
  }
  t = dusk_table_new(np, types, NC + 1, 1);
  ck_assert_ptr_nonnull(t);
  for (int r = 0; r < 3; r++) {
    dusk_value v[NC + 1];
    v[0] = tu_int(r);
    for (int c = 1; c <= NC; c++)
      v[c] = c % 2 ? tu_int(r * 1000 + c) : tu_float(r + c / 8.0);
    ck_assert_int_eq(dusk_table_append_row(t, v), 0);
  }
  return t;
}

static dusk_table *p_group3(void) {
  static const char *const names[] = {"b", "f", "s", "v"};
  static const dusk_type types[] = {DUSK_TYPE_BOOL, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_STRING, DUSK_TYPE_INT64};
  const dusk_value cells[] = {
      tu_bool(false), tu_float(0.5),   tu_str("a"),  tu_int(1),   tu_bool(false), tu_float(0.5),  tu_str("b"),
      tu_int(2),     tu_bool(false), tu_float(1.0),  tu_str("a"), tu_int(3),     tu_bool(true), tu_float(1.0),
      tu_str("a"),   tu_int(4),     tu_bool(true), tu_float(2.0), tu_str("a"),   tu_int(5),
  };
  return build(4, 3, names, types, cells, 5);
}

static dusk_table *p_rows(size_t n) {
  static const char *const names[] = {"a", "b", "s"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_STRING};
  dusk_table *t = mk(3, 0, names, types);
  for (size_t i = 0; i < n; i++) {
    char buf[32];
    dusk_value r[3];
    snprintf(buf, sizeof buf, "row %zu", i * 7);
    r[0] = tu_int((int64_t)i);
    r[1] = tu_float((double)i * 0.5);
    r[2] = tu_str(buf);
    add(t, r);
  }
  return t;
}

static dusk_table *p_rows70(void) { return p_rows(70); }
static dusk_table *p_rows60(void) { return p_rows(60); }
static dusk_table *p_rows61(void) { return p_rows(61); }

static dusk_table *p_rows70_multi(void) {
  static const char *const names[] = {"k1", "k2", "v"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_FLOAT64};
  dusk_table *t = mk(3, 2, names, types);
  for (int i = 0; i < 70; i++) {
    dusk_value r[] = {tu_str(i < 40 ? "x" : "y"), tu_int(i), tu_float(i * 1.25)};
    add(t, r);
  }
  return t;
}

static dusk_table *p_rows70_index(void) {
  static const char *const names[] = {"k", "v"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  dusk_table *t = mk(2, 1, names, types);
  for (int i = 0; i < 70; i++) {
    dusk_value r[] = {tu_int(i * 1000 - 5), tu_int(i % 3)};
    add(t, r);
  }
  return t;
}

static dusk_table *p_wide(void) {
  char names_buf[12][8];
  const char *names[12];
  dusk_type types[12];
  dusk_table *t;
  for (int i = 0; i < 12; i++) {
    snprintf(names_buf[i], sizeof names_buf[i], "col%d", i);
    names[i] = names_buf[i];
    types[i] = DUSK_TYPE_FLOAT64;
  }
  t = mk(12, 0, names, types);
  for (int r = 0; r < 3; r++) {
    dusk_value row[12];
    for (int i = 0; i < 12; i++)
      row[i] = tu_float(1.123456 * i + r);
    add(t, row);
  }
  return t;
}

static dusk_table *p_wide_mixed(void) {
  /* Truncated columns with types in an order that shows pandas pairing
   * names with the untruncated frame's dtypes. */
  char names_buf[16][8];
  const char *names[16];
  dusk_type types[16];
  dusk_table *t;
  for (int i = 0; i < 16; i++) {
    snprintf(names_buf[i], sizeof names_buf[i], "c%d", i);
    names[i] = names_buf[i];
    types[i] = i < 8 ? DUSK_TYPE_INT64 : DUSK_TYPE_STRING;
  }
  t = mk(16, 0, names, types);
  for (int r = 0; r < 3; r++) {
    dusk_value row[16];
    for (int i = 0; i < 16; i++)
      row[i] = i < 8 ? tu_int(r * 100000 + i) : tu_str("some text");
    add(t, row);
  }
  return t;
}

static dusk_table *p_many_columns(void) {
  char names_buf[100][8];
  const char *names[100];
  dusk_type types[100];
  dusk_table *t;
  for (int i = 0; i < 100; i++) {
    snprintf(names_buf[i], sizeof names_buf[i], "c%d", i);
    names[i] = names_buf[i];
    types[i] = DUSK_TYPE_INT64;
  }
  t = mk(100, 0, names, types);
  for (int r = 0; r < 2; r++) {
    dusk_value row[100];
    for (int i = 0; i < 100; i++)
      row[i] = tu_int(r + i);
    add(t, row);
  }
  return t;
}

static dusk_table *p_long_names(void) {
  static const char *const names[] = {
      "a_very_long_column_name_that_goes_on_and_on_beyond_fifty_chars", "x\ty",
      "a,b", "q\"", "\xe6\x97\xa5"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                    DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_INT64};
  const dusk_value cells[] = {tu_int(1),  tu_str("v"),    tu_int(2), tu_float(0.5), tu_int(3),
                              tu_int(-1), tu_str(long60), tu_int(3), tu_float(1.5), tu_int(4)};
  return build(5, 0, names, types, cells, 2);
}

static dusk_table *p_float_index(void) {
  static const char *const names[] = {"k", "v"};
  static const dusk_type types[] = {DUSK_TYPE_FLOAT64, DUSK_TYPE_INT64};
  const dusk_value cells[] = {tu_float(1.5), tu_int(1), tu_null(), tu_int(2), tu_float(-2.0), tu_int(3)};
  return build(2, 1, names, types, cells, 3);
}

static dusk_table *p_int_index(void) {
  static const char *const names[] = {"k", "v"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  const dusk_value cells[] = {tu_int(-1), tu_str("a"), tu_int(10), tu_str("b")};
  return build(2, 1, names, types, cells, 2);
}

static dusk_table *p_int_index_null(void) {
  static const char *const names[] = {"k", "v"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  const dusk_value cells[] = {tu_int(-1), tu_int(1), tu_null(), tu_int(2), tu_int(10), tu_int(3)};
  return build(2, 1, names, types, cells, 3);
}

static dusk_table *p_bool_index(void) {
  static const char *const names[] = {"k", "v"};
  static const dusk_type types[] = {DUSK_TYPE_BOOL, DUSK_TYPE_FLOAT64};
  const dusk_value cells[] = {tu_bool(true), tu_float(0.25), tu_bool(false), tu_float(1e-9)};
  return build(2, 1, names, types, cells, 2);
}

static dusk_table *p_string_index(void) {
  static const char *const names[] = {"k", "v"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64};
  const dusk_value cells[] = {tu_str("a"),    tu_int(1), tu_null(),    tu_int(2),
                              tu_str(long60), tu_int(3), tu_str("t\tb"), tu_int(4)};
  return build(2, 1, names, types, cells, 4);
}

static dusk_table *p_empty_rows(void) {
  static const char *const names[] = {"a", "b"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  return mk(2, 0, names, types);
}

static dusk_table *p_empty_indexed(void) {
  static const char *const names[] = {"k", "v"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_FLOAT64};
  return mk(2, 1, names, types);
}

static dusk_table *p_no_columns3(void) {
  dusk_table *t = mk(0, 0, NULL, NULL);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(dusk_table_append_row(t, NULL), 0);
  return t;
}

static dusk_table *p_index_only(void) {
  static const char *const names[] = {"k"};
  static const dusk_type types[] = {DUSK_TYPE_STRING};
  const dusk_value cells[] = {tu_str("a"), tu_str(""), tu_null()};
  return build(1, 1, names, types, cells, 3);
}

static dusk_table *p_index_only2(void) {
  static const char *const names[] = {"k", "j"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_FLOAT64};
  const dusk_value cells[] = {tu_str("a"), tu_float(1.0), tu_str("b"), tu_float(2.5)};
  return build(2, 2, names, types, cells, 2);
}

/* MultiIndex levels with nulls: Int64, float and string levels. */
static dusk_table *p_multi_nulls(void) {
  static const char *const names[] = {"s", "f", "i", "v"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  const dusk_value cells[] = {
      tu_str("a"), tu_float(1.5), tu_int(-1),  tu_int(1), tu_null(), tu_float(2.25), tu_int(1),   tu_int(2),
      tu_str("b"), tu_null(), tu_null(), tu_int(3), tu_str("b"), tu_float(0.5),  tu_int(100), tu_int(4),
  };
  return build(4, 3, names, types, cells, 4);
}

static dusk_table *p_multi_nulls2(void) {
  static const char *const names[] = {"b", "i", "v"};
  static const dusk_type types[] = {DUSK_TYPE_BOOL, DUSK_TYPE_INT64,
                                    DUSK_TYPE_FLOAT64};
  const dusk_value cells[] = {
      tu_bool(true), tu_int(5), tu_float(1), tu_null(), tu_int(5), tu_float(2), tu_bool(false), tu_null(), tu_float(3),
  };
  return build(3, 2, names, types, cells, 3);
}

/* 70 rows: the float level's largest value and a null hide in the middle
 * while a null shows. */
static dusk_table *p_multi_nulls70(void) {
  static const char *const names[] = {"k", "f", "v"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_INT64};
  dusk_table *t = mk(3, 2, names, types);
  for (int i = 0; i < 70; i++) {
    dusk_value r[] = {tu_str(i < 35 ? "a" : "b"),
                      i == 2 || i == 30 ? tu_null()
                      : i == 40         ? tu_float(1234.125)
                                        : tu_float(i * 0.5),
                      tu_int(i)};
    add(t, r);
  }
  return t;
}

static dusk_table *p_bool_index_null(void) {
  static const char *const names[] = {"k", "v"};
  static const dusk_type types[] = {DUSK_TYPE_BOOL, DUSK_TYPE_INT64};
  const dusk_value cells[] = {tu_bool(true), tu_int(1),     tu_null(),
                              tu_int(2),    tu_bool(false), tu_int(3)};
  return build(2, 1, names, types, cells, 3);
}

/* Frames without data columns print their index as a list. */
static dusk_table *p_index_only_int(void) {
  static const char *const names[] = {"k"};
  static const dusk_type types[] = {DUSK_TYPE_INT64};
  const dusk_value cells[] = {tu_int(3), tu_null(), tu_int(-4)};
  return build(1, 1, names, types, cells, 3);
}

static dusk_table *p_index_only_mixed(void) {
  static const char *const names[] = {"i", "b", "f"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_BOOL,
                                    DUSK_TYPE_FLOAT64};
  const dusk_value cells[] = {tu_int(3),   tu_bool(true), tu_float(1e16), tu_int(4),  tu_bool(false),
                              tu_null(), tu_null(),  tu_null(),  tu_float(0.1)};
  return build(3, 3, names, types, cells, 3);
}

static dusk_table *p_index_only_bool(void) {
  static const char *const names[] = {"b", "f"};
  static const dusk_type types[] = {DUSK_TYPE_BOOL, DUSK_TYPE_FLOAT64};
  const dusk_value cells[] = {tu_bool(true), tu_float(2.5), tu_bool(false), tu_null()};
  return build(2, 1, names, types, cells, 2);
}

static dusk_table *p_range_index_wide(void) {
  /* A RangeIndex that needs two digits, and one row of 0 columns width. */
  static const char *const names[] = {"v"};
  static const dusk_type types[] = {DUSK_TYPE_STRING};
  dusk_table *t = mk(1, 0, names, types);
  for (int i = 0; i < 12; i++) {
    dusk_value r[] = {i == 3 ? tu_null() : tu_str(i % 2 ? "" : "ab")};
    add(t, r);
  }
  return t;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

/* Random doubles, every power of two and its neighbours: repr checks. */
static dusk_table *p_doubles(void) {
  static const char *const names[] = {"x"};
  static const dusk_type types[] = {DUSK_TYPE_FLOAT64};
  dusk_table *t = mk(1, 0, names, types);
  for (int i = 0; i < 2000; i++) {
    uint64_t bits = rng();
    double d;
    memcpy(&d, &bits, sizeof d);
    dusk_value r[] = {tu_float(d)};
    add(t, r);
  }
  for (int e = -1074; e <= 1023; e++) {
    double p = ldexp(1.0, e);
    dusk_value r[] = {tu_float(p)};
    add(t, r);
    r[0] = tu_float(nextafter(p, 0));
    add(t, r);
    r[0] = tu_float(-nextafter(p, INFINITY));
    add(t, r);
  }
  for (int i = 0; i < 2000; i++) {
    /* Short decimals: k / 10^j. */
    dusk_value r[] = {
        tu_float((double)(rng() % 100000) / pow(10, (double)(rng() % 25)))};
    add(t, r);
  }
  return t;
}

typedef struct pcase {
  const char *name;
  maker make;
} pcase;

static const pcase pandas_cases[] = {
    {"ints", p_ints},
    {"floats_e", p_floats_e},
    {"floats_f", p_floats_f},
    {"floats_g", p_floats_g},
    {"bools", p_bools},
    {"strings", p_strings},
    {"group1", p_group1},
    {"group2", p_group2},
    {"group3", p_group3},
    {"grouped", table_grouped},
    {"rows60", p_rows60},
    {"rows61", p_rows61},
    {"rows70", p_rows70},
    {"rows70_multi", p_rows70_multi},
    {"rows70_index", p_rows70_index},
    {"wide", p_wide},
    {"wide_mixed", p_wide_mixed},
    {"many_columns", p_many_columns},
    {"long_names", p_long_names},
    {"float_index", p_float_index},
    {"int_index", p_int_index},
    {"int_index_null", p_int_index_null},
    {"bool_index", p_bool_index},
    {"string_index", p_string_index},
    {"empty_rows", p_empty_rows},
    {"empty_indexed", p_empty_indexed},
    {"no_columns", table_no_columns_no_rows},
    {"no_columns3", p_no_columns3},
    {"index_only", p_index_only},
    {"index_only2", p_index_only2},
    {"range_index_wide", p_range_index_wide},
    {"multi_nulls", p_multi_nulls},
    {"multi_nulls2", p_multi_nulls2},
    {"multi_nulls70", p_multi_nulls70},
    {"bool_index_null", p_bool_index_null},
    {"index_only_int", p_index_only_int},
    {"index_only_mixed", p_index_only_mixed},
    {"index_only_bool", p_index_only_bool},
    {"doubles", p_doubles},
    {"levels", p_levels},
    {"levels_range", p_levels_range},
    {"levels_multi", p_levels_multi},
    {"levels_wide", p_levels_wide},
};
#define NPANDAS (sizeof pandas_cases / sizeof pandas_cases[0])

static void spec_hex(FILE *f, const char *s, size_t n) {
  fputc('"', f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%02x", (unsigned char)s[i]);
  fputc('"', f);
}

/* The table as tests/table_pandas.py reads it. */
static void spec_table(FILE *f, const dusk_table *t) {
  fprintf(f, "{\"nindex\": %zu, \"nrows\": %zu, \"cols\": [", t->nindex,
          t->nrows);
  for (size_t c = 0; c < t->ncols; c++) {
    static const char *const tn[] = {"null", "bool", "int64", "float64",
                                     "string"};
    fprintf(f, "%s{\"name\": ", c ? ", " : "");
    spec_hex(f, t->cols[c].name, strlen(t->cols[c].name));
    fprintf(f, ", \"type\": \"%s\", \"values\": [", tn[t->cols[c].type]);
    for (size_t r = 0; r < t->nrows; r++) {
      dusk_value v;
      if (r > 0)
        fputs(", ", f);
      dusk_table_get(t, c, r, &v);
      switch (v.type) {
      case DUSK_TYPE_NULL:
        fputs("null", f);
        break;
      case DUSK_TYPE_INT64:
        fprintf(f, "%lld", (long long)v.u.i);
        break;
      case DUSK_TYPE_FLOAT64:
        if (isnan(v.u.f))
          fputs("null", f);
        else
          fprintf(f, "\"%a\"", v.u.f);
        break;
      case DUSK_TYPE_BOOL:
        fputs(v.u.b ? "true" : "false", f);
        break;
      case DUSK_TYPE_STRING:
        spec_hex(f, v.u.s.ptr, v.u.s.len);
        break;
      case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
      case DUSK_TYPE_TIMEDELTA:
      case DUSK_TYPE_DATE:
        break;
      }
    }
    fputs("]}", f);
  }
  fputs("]}", f);
}

/* Prints both texts with visible line ends, for a failure report. */
static void show(const char *label, const char *s, size_t n) {
  fprintf(stderr, "--- %s (%zu bytes)\n", label, n);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n')
      fputs("|\n", stderr);
    else
      fputc(s[i], stderr);
  }
  fputs("<END>\n", stderr);
}

static int compare(const char *what, const char *name, const char *want,
                   size_t want_len, const char *got, size_t got_len) {
  if (want_len == got_len && memcmp(want, got, got_len) == 0)
    return 0;
  fprintf(stderr, "table '%s': %s differs from pandas\n", name, what);
  show("pandas", want, want_len);
  show("dusk", got, got_len);
  return 1;
}

START_TEST(test_against_pandas) {
  char dir[] = "/tmp/check_table.XXXXXX";
  char spec[64], out[64], cmd[512];
  dusk_table *tables[NPANDAS];
  FILE *f;
  int status, failures = 0;
  char *res;
  size_t off = 0;

  if (access(PYTHON, X_OK) != 0) {
    printf("check_table: %s not found; pandas comparisons skipped\n", PYTHON);
    return;
  }
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(spec, sizeof spec, "%s/spec.json", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  f = fopen(spec, "w");
  ck_assert_ptr_nonnull(f);
  fputc('[', f);
  for (size_t i = 0; i < NPANDAS; i++) {
    tables[i] = pandas_cases[i].make();
    if (i > 0)
      fputs(",\n", f);
    spec_table(f, tables[i]);
  }
  fputs("]\n", f);
  ck_assert_int_eq(fclose(f), 0);

  /* An 80-column terminal whatever ours is. */
  setenv("COLUMNS", "80", 1);
  setenv("LINES", "24", 1);
  snprintf(cmd, sizeof cmd, "%s '%s' '%s' '%s'", PYTHON, DUSK_TABLE_PANDAS,
           spec, out);
  status = system(cmd);
  ck_assert_int_ne(status, -1);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
    printf("check_table: %s cannot import pandas; comparisons skipped\n",
           PYTHON);
    for (size_t i = 0; i < NPANDAS; i++)
      dusk_table_free(tables[i]);
    unlink(spec);
    rmdir(dir);
    return;
  }
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "table_pandas.py failed: status %d", status);
  {
    FILE *rf = fopen(out, "rb");
    long len;
    ck_assert_ptr_nonnull(rf);
    ck_assert_int_eq(fseek(rf, 0, SEEK_END), 0);
    len = ftell(rf);
    ck_assert_int_ge(len, 0);
    rewind(rf);
    res = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(fread(res, 1, (size_t)len, rf), (size_t)len);
    res[len] = '\0';
    fclose(rf);
    for (size_t i = 0; i < NPANDAS; i++) {
      size_t csv_len, text_len, n, m;
      char *csv, *text;
      int used = 0;
      ck_assert_int_eq(
          sscanf(res + off, "%zu %zu\n%n", &csv_len, &text_len, &used), 2);
      off += (size_t)used;
      ck_assert_uint_le(off + csv_len + text_len, (size_t)len);
      csv = written(dusk_table_write_csv, tables[i], &n);
      text = written(dusk_table_write_text, tables[i], &m);
      failures +=
          compare("to_csv()", pandas_cases[i].name, res + off, csv_len, csv, n);
      off += csv_len;
      failures += compare("print()", pandas_cases[i].name, res + off, text_len,
                          text, m);
      off += text_len;
      free(csv);
      free(text);
    }
  }
  free(res);
  for (size_t i = 0; i < NPANDAS; i++)
    dusk_table_free(tables[i]);
  unlink(spec);
  unlink(out);
  rmdir(dir);
  ck_assert_msg(failures == 0, "%d outputs differ from pandas (see stderr)",
                failures);
  printf("check_table: %zu tables match pandas' to_csv() and print()\n",
         NPANDAS);
}
END_TEST

/* ---- write errors -----------------------------------------------------------
 */

START_TEST(test_write_error) {
  dusk_table *t = p_rows70();
  FILE *f = fopen("/dev/full", "w");
  if (f == NULL) {
    dusk_table_free(t);
    return;
  }
  setvbuf(f, NULL, _IONBF, 0);
  ck_assert_int_lt(dusk_table_write_csv(t, f), 0);
  clearerr(f);
  ck_assert_int_lt(dusk_table_write_json(t, f), 0);
  clearerr(f);
  ck_assert_int_lt(dusk_table_write_text(t, f), 0);
  fclose(f);
  dusk_table_free(t);
}
END_TEST

/* dusk_table_append_batch_rows: the selected batch rows, in the order
 * given (repeats allowed), each column's values and nulls, strings from
 * the batch arena, the extra int columns from their arrays; all rows with
 * no selection; a type that differs is DUSK_ETYPE and a row past the
 * batch DUSK_EINVAL, the table untouched. */
START_TEST(test_append_batch_rows) {
  dusk_type bt[4] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64, DUSK_TYPE_BOOL,
                     DUSK_TYPE_STRING};
  const char *names[5] = {"i", "f", "b", "s", "x"};
  dusk_type tt[5] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64, DUSK_TYPE_BOOL,
                     DUSK_TYPE_STRING, DUSK_TYPE_INT64};
  dusk_table *t = dusk_table_new(names, tt, 5, 0);
  dusk_batch b;
  int cols[4] = {0, 1, 2, 3}, swapped[4] = {1, 0, 2, 3};
  static const char *const strs[4] = {"zero", "", "two", "three"};
  size_t sel[3] = {3, 0, 3}, bad[1] = {4};
  int64_t x[3] = {30, 0, 31}, xall[4] = {1, 2, 3, 4};
  const int64_t *extra[1] = {x}, *extra_all[1] = {xall};
  dusk_value v;
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(dusk_batch_init(&b, bt, 4, 8), 0);
  b.nrows = 4;
  for (size_t r = 0; r < 4; r++) {
    uint32_t off;
    ck_assert_int_eq(dusk_batch_arena_add(&b, strs[r], strlen(strs[r]), &off),
                     0);
    b.cols[0].i64[r] = (int64_t)r * 10;
    b.cols[1].f64[r] = (double)r / 2;
    b.cols[2].b[r] = (uint8_t)(r & 1);
    b.cols[3].str_off[r] = off;
    b.cols[3].str_len[r] = (uint32_t)strlen(strs[r]);
    for (size_t c = 0; c < 4; c++)
      b.cols[c].valid[r] = 1;
  }
  b.cols[1].valid[0] = 0; /* a null float and a null string */
  b.cols[3].valid[0] = 0;
  ck_assert_int_eq(
      dusk_table_append_batch_rows(t, &b, cols, 4, extra, sel, 3), 0);
  ck_assert_uint_eq(t->nrows, 3);
  dusk_table_get(t, 0, 0, &v);
  ck_assert_int_eq(v.u.i, 30);
  dusk_table_get(t, 0, 1, &v);
  ck_assert_int_eq(v.u.i, 0);
  dusk_table_get(t, 1, 1, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_NULL);
  dusk_table_get(t, 1, 2, &v);
  ck_assert(v.type == DUSK_TYPE_FLOAT64 && v.u.f == 1.5);
  dusk_table_get(t, 2, 0, &v);
  ck_assert(v.type == DUSK_TYPE_BOOL && v.u.b);
  dusk_table_get(t, 3, 0, &v);
  ck_assert(v.u.s.len == 5 && memcmp(v.u.s.ptr, "three", 5) == 0);
  dusk_table_get(t, 3, 1, &v);
  ck_assert_int_eq(v.type, DUSK_TYPE_NULL);
  dusk_table_get(t, 3, 2, &v);
  ck_assert(v.u.s.len == 5 && memcmp(v.u.s.ptr, "three", 5) == 0);
  dusk_table_get(t, 4, 2, &v);
  ck_assert_int_eq(v.u.i, 31);
  /* every row, after them */
  ck_assert_int_eq(dusk_table_append_batch(t, &b, cols, 4, extra_all), 0);
  ck_assert_uint_eq(t->nrows, 7);
  dusk_table_get(t, 3, 4, &v);
  ck_assert_int_eq(v.u.s.len, 0); /* "", not a null */
  ck_assert_int_eq(v.type, DUSK_TYPE_STRING);
  dusk_table_get(t, 3, 5, &v);
  ck_assert(v.u.s.len == 3 && memcmp(v.u.s.ptr, "two", 3) == 0);
  dusk_table_get(t, 4, 5, &v);
  ck_assert_int_eq(v.u.i, 3);
  /* refusals leave the table as it was */
  ck_assert_int_eq(
      dusk_table_append_batch_rows(t, &b, swapped, 4, extra, sel, 3),
      DUSK_ETYPE);
  ck_assert_int_eq(dusk_table_append_batch_rows(t, &b, cols, 4, extra, bad, 1),
                   DUSK_EINVAL);
  ck_assert_uint_eq(t->nrows, 7);
  dusk_batch_destroy(&b);
  dusk_table_free(t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("table");
  TCase *tc;

  tc = tcase_create("storage");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_new_rejects);
  tcase_add_test(tc, test_append_get);
  tcase_add_test(tc, test_conversions);
  tcase_add_test(tc, test_growth);
  tcase_add_test(tc, test_append_rows);
  tcase_add_test(tc, test_sort_order);
  tcase_add_test(tc, test_logical_times);
  tcase_add_test(tc, test_timedelta_text_column);
  suite_add_tcase(s, tc);

  tc = tcase_create("encoding");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_roundtrip);
  tcase_add_test(tc, test_encode_refuses_rows_without_bytes);
  tcase_add_test(tc, test_encode_rows_matches_take);
  tcase_add_test(tc, test_write_csv_order_matches_take);
  tcase_add_test(tc, test_source_na_form);
  tcase_add_test(tc, test_truncated_prefixes);
  tcase_add_test(tc, test_mutations);
  tcase_add_test(tc, test_malformed);
  suite_add_tcase(s, tc);

  tc = tcase_create("writers");
  tcase_set_timeout(tc, 100);
  tcase_add_test(tc, test_csv_fixed);
  tcase_add_test(tc, test_float_repr);
  tcase_add_test(tc, test_json_fixed);
  tcase_add_test(tc, test_text_fixed);
  tcase_add_test(tc, test_array_fixed);
  tcase_add_test(tc, test_against_pandas);
  tcase_add_test(tc, test_write_error);
  tcase_add_test(tc, test_append_batch_rows);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
