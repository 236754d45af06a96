/* check_table_api.c - libdusk's typed reads of result cells (dusk.h's
 * dusk_table_int64 / float64 / bool / string): a column of another type is
 * DUSK_ETYPE, a value the asked-for type cannot hold exactly is
 * DUSK_EWIDEN (never undefined behaviour, never a reinterpreted pointer), a
 * null is 1, an index out of range is DUSK_EINVAL, and every lossless
 * conversion works; and each column's pandas dtype
 * (dusk_table_column_pandas_dtype). */
#include "dusk.h"
#include "testutil.h"

#include "table.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

enum { C_INT, C_FLOAT, C_BOOL, C_STR, NCOLS };

/* Row 0: ordinary values; row 1: nulls; rows 2.. the edge cases below. */
static dusk_table *table;

static void add_row(dusk_value i, dusk_value f, dusk_value b, dusk_value s) {
  dusk_value row[NCOLS] = {i, f, b, s};
  ck_assert_int_eq(dusk_table_append_row(table, row), 0);
}

static void setup(void) {
  const char *names[NCOLS] = {"i", "f", "b", "s"};
  const dusk_type types[NCOLS] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                  DUSK_TYPE_BOOL, DUSK_TYPE_STRING};
  table = dusk_table_new(names, types, NCOLS, 0);
  ck_assert_ptr_nonnull(table);
  add_row(tu_int(-42), tu_float(2.5), tu_bool(true), tu_str("two\nlines"));
  add_row(tu_null(), tu_null(), tu_null(), tu_null());
  /* 2: the largest values each side holds; 3: just past what a double
   * holds exactly, and 2^63 (one past INT64_MAX); 4: huge, non-finite. */
  add_row(tu_int(INT64_MAX), tu_float(-9223372036854775808.0),
          tu_bool(false), tu_str(""));
  add_row(tu_int((INT64_C(1) << 53) + 1), tu_float(9223372036854775808.0),
          tu_bool(false), tu_str("x"));
  add_row(tu_int(INT64_C(1) << 60), tu_float(1e300), tu_bool(true),
          tu_str("y"));
  add_row(tu_int(INT64_MIN), tu_float(INFINITY), tu_bool(true), tu_str("z"));
  add_row(tu_int(0), tu_float(NAN), tu_bool(true), tu_str("w"));
  add_row(tu_int(7), tu_float(-3.0), tu_bool(true), tu_str("v"));
  ck_assert_uint_eq(dusk_table_nrows(table), 8);
}

static void teardown(void) {
  dusk_table_free(table);
  table = NULL;
}

START_TEST(test_each_type_reads_itself) {
  int64_t i = 0;
  double f = 0;
  int b = 0;
  const char *s = NULL;
  size_t len = 0;
  ck_assert_int_eq(dusk_table_int64(table, C_INT, 0, &i), 0);
  ck_assert_int_eq(i, -42);
  ck_assert_int_eq(dusk_table_float64(table, C_FLOAT, 0, &f), 0);
  ck_assert(f == 2.5);
  ck_assert_int_eq(dusk_table_bool(table, C_BOOL, 0, &b), 0);
  ck_assert_int_eq(b, 1);
  ck_assert_int_eq(dusk_table_string(table, C_STR, 0, &s, &len), 0);
  ck_assert_uint_eq(len, 9);
  ck_assert(memcmp(s, "two\nlines", 9) == 0);
  /* The length is optional. */
  s = NULL;
  ck_assert_int_eq(dusk_table_string(table, C_STR, 0, &s, NULL), 0);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(dusk_table_string(table, C_STR, 2, &s, &len), 0);
  ck_assert_uint_eq(len, 0);
  ck_assert_int_eq(dusk_table_int64(table, C_INT, 2, &i), 0);
  ck_assert(i == INT64_MAX);
  ck_assert_int_eq(dusk_table_int64(table, C_INT, 5, &i), 0);
  ck_assert(i == INT64_MIN);
}
END_TEST

START_TEST(test_wrong_type_is_etype) {
  int64_t i = 99;
  double f = 99;
  int b = 99;
  const char *s = "stale";
  size_t len = 99;
  /* A string column read as a number: before, its pointer came back
   * reinterpreted as a double. */
  ck_assert_int_eq(dusk_table_float64(table, C_STR, 0, &f), DUSK_ETYPE);
  ck_assert(f == 0);
  ck_assert_int_eq(dusk_table_int64(table, C_STR, 0, &i), DUSK_ETYPE);
  ck_assert_int_eq(i, 0);
  ck_assert_int_eq(dusk_table_bool(table, C_STR, 0, &b), DUSK_ETYPE);
  ck_assert_int_eq(b, 0);
  /* bool reads only bools; string only strings. */
  ck_assert_int_eq(dusk_table_bool(table, C_INT, 0, &b), DUSK_ETYPE);
  ck_assert_int_eq(dusk_table_bool(table, C_FLOAT, 0, &b), DUSK_ETYPE);
  ck_assert_int_eq(dusk_table_string(table, C_INT, 0, &s, &len), DUSK_ETYPE);
  ck_assert_ptr_null(s);
  ck_assert_uint_eq(len, 0);
  ck_assert_int_eq(dusk_table_string(table, C_FLOAT, 0, &s, &len),
                   DUSK_ETYPE);
  ck_assert_int_eq(dusk_table_string(table, C_BOOL, 0, &s, &len), DUSK_ETYPE);
}
END_TEST

START_TEST(test_lossless_conversions) {
  int64_t i = 0;
  double f = 0;
  ck_assert_int_eq(dusk_table_float64(table, C_INT, 0, &f), 0);
  ck_assert(f == -42.0);
  ck_assert_int_eq(dusk_table_float64(table, C_INT, 4, &f), 0); /* 2^60 */
  ck_assert(f == 1152921504606846976.0);
  ck_assert_int_eq(dusk_table_float64(table, C_INT, 5, &f), 0); /* -2^63 */
  ck_assert(f == -9223372036854775808.0);
  ck_assert_int_eq(dusk_table_int64(table, C_FLOAT, 7, &i), 0); /* -3.0 */
  ck_assert_int_eq(i, -3);
  ck_assert_int_eq(dusk_table_int64(table, C_FLOAT, 2, &i), 0); /* -2^63 */
  ck_assert(i == INT64_MIN);
  ck_assert_int_eq(dusk_table_int64(table, C_BOOL, 0, &i), 0);
  ck_assert_int_eq(i, 1);
  ck_assert_int_eq(dusk_table_int64(table, C_BOOL, 2, &i), 0);
  ck_assert_int_eq(i, 0);
  ck_assert_int_eq(dusk_table_float64(table, C_BOOL, 0, &f), 0);
  ck_assert(f == 1.0);
}
END_TEST

/* Values the asked-for type cannot hold exactly: DUSK_EWIDEN, and no
 * undefined float-to-int conversion (UBSan runs this suite). */
START_TEST(test_out_of_range_is_ewiden) {
  int64_t i = 99;
  double f = 99;
  static const size_t float_rows[] = {0 /* 2.5 */, 3 /* 2^63 */,
                                      4 /* 1e300 */, 5 /* inf */,
                                      6 /* nan */};
  for (size_t k = 0; k < sizeof float_rows / sizeof float_rows[0]; k++) {
    i = 99;
    ck_assert_int_eq(dusk_table_int64(table, C_FLOAT, float_rows[k], &i),
                     DUSK_EWIDEN);
    ck_assert_int_eq(i, 0);
  }
  /* INT64_MAX and 2^53 + 1 have no exact double. */
  ck_assert_int_eq(dusk_table_float64(table, C_INT, 2, &f), DUSK_EWIDEN);
  ck_assert(f == 0);
  ck_assert_int_eq(dusk_table_float64(table, C_INT, 3, &f), DUSK_EWIDEN);
  /* The float column itself reads every one of them. */
  ck_assert_int_eq(dusk_table_float64(table, C_FLOAT, 4, &f), 0);
  ck_assert(f == 1e300);
  ck_assert_int_eq(dusk_table_float64(table, C_FLOAT, 6, &f), 0);
  ck_assert(isnan(f));
}
END_TEST

START_TEST(test_null_is_one) {
  int64_t i = 99;
  double f = 99;
  int b = 99;
  const char *s = "stale";
  size_t len = 99;
  ck_assert_int_eq(dusk_table_is_null(table, C_INT, 1), 1);
  ck_assert_int_eq(dusk_table_int64(table, C_INT, 1, &i), 1);
  ck_assert_int_eq(i, 0);
  ck_assert_int_eq(dusk_table_float64(table, C_FLOAT, 1, &f), 1);
  ck_assert(isnan(f));
  /* A null is a null whatever type is asked for. */
  ck_assert_int_eq(dusk_table_float64(table, C_STR, 1, &f), 1);
  ck_assert_int_eq(dusk_table_bool(table, C_BOOL, 1, &b), 1);
  ck_assert_int_eq(b, 0);
  ck_assert_int_eq(dusk_table_string(table, C_STR, 1, &s, &len), 1);
  ck_assert_ptr_null(s);
  ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_index_out_of_range_is_einval) {
  int64_t i = 99;
  double f = 99;
  int b = 99;
  const char *s = "stale";
  size_t len = 99;
  size_t nrows = dusk_table_nrows(table);
  ck_assert_int_eq(dusk_table_int64(table, NCOLS, 0, &i), DUSK_EINVAL);
  ck_assert_int_eq(i, 0);
  ck_assert_int_eq(dusk_table_int64(table, C_INT, nrows, &i), DUSK_EINVAL);
  ck_assert_int_eq(dusk_table_float64(table, SIZE_MAX, 0, &f), DUSK_EINVAL);
  ck_assert(f == 0);
  ck_assert_int_eq(dusk_table_bool(table, C_BOOL, SIZE_MAX, &b), DUSK_EINVAL);
  ck_assert_int_eq(dusk_table_string(table, C_STR, nrows, &s, &len),
                   DUSK_EINVAL);
  ck_assert_ptr_null(s);
  ck_assert_uint_eq(len, 0);
  ck_assert_int_eq(dusk_table_is_null(table, NCOLS, 0), 1);
  ck_assert_int_eq(dusk_table_column_type(table, NCOLS), 0);
  ck_assert_ptr_null(dusk_table_column_name(table, NCOLS));
}
END_TEST

/* pandas' dtype: int64 and bool columns become float64 and object when
 * they hold a null or their values come from a CSV column that does
 * (source_na); float64 and strings are what they are. */
START_TEST(test_pandas_dtype) {
  static const char *const names[] = {"k", "i", "b", "f", "s"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64,
                                    DUSK_TYPE_BOOL, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_STRING};
  dusk_value row[] = {tu_int(1), tu_int(2), tu_bool(true), tu_float(1.5),
                      tu_str("x")};
  dusk_table *t = dusk_table_new(names, types, 5, 1);
  ck_assert_ptr_nonnull(t);
  /* The fixture's row 1 holds a null in every column. */
  ck_assert_str_eq(dusk_table_column_pandas_dtype(table, C_INT), "float64");
  ck_assert_str_eq(dusk_table_column_pandas_dtype(table, C_FLOAT), "float64");
  ck_assert_str_eq(dusk_table_column_pandas_dtype(table, C_BOOL), "object");
  ck_assert_str_eq(dusk_table_column_pandas_dtype(table, C_STR), "object");
  ck_assert_ptr_null(dusk_table_column_pandas_dtype(table, NCOLS));
  ck_assert_ptr_null(dusk_table_column_pandas_dtype(table, SIZE_MAX));
  /* No rows, then no null: each type's own dtype. */
  ck_assert_str_eq(dusk_table_column_pandas_dtype(t, 0), "int64");
  ck_assert_int_eq(dusk_table_append_row(t, row), 0);
  ck_assert_str_eq(dusk_table_column_pandas_dtype(t, 0), "int64");
  ck_assert_str_eq(dusk_table_column_pandas_dtype(t, 1), "int64");
  ck_assert_str_eq(dusk_table_column_pandas_dtype(t, 2), "bool");
  ck_assert_str_eq(dusk_table_column_pandas_dtype(t, 3), "float64");
  ck_assert_str_eq(dusk_table_column_pandas_dtype(t, 4), "object");
  /* Flagged, with no null in the table: an index column too. */
  t->cols[0].source_na = 1;
  t->cols[2].source_na = 1;
  ck_assert_str_eq(dusk_table_column_pandas_dtype(t, 0), "float64");
  ck_assert_str_eq(dusk_table_column_pandas_dtype(t, 1), "int64");
  ck_assert_str_eq(dusk_table_column_pandas_dtype(t, 2), "object");
  dusk_table_free(t);
}
END_TEST

static Suite *table_api_suite(void) {
  Suite *s = suite_create("table_api");
  TCase *tc = tcase_create("reads");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_each_type_reads_itself);
  tcase_add_test(tc, test_wrong_type_is_etype);
  tcase_add_test(tc, test_lossless_conversions);
  tcase_add_test(tc, test_out_of_range_is_ewiden);
  tcase_add_test(tc, test_null_is_one);
  tcase_add_test(tc, test_index_out_of_range_is_einval);
  tcase_add_test(tc, test_pandas_dtype);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(table_api_suite()); }
