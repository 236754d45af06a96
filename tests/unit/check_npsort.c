/* check_npsort.c - numpy's argsort quicksort, reproduced: the orders
 * numpy 1.24 (np.argsort(v, kind="quicksort")) and pandas 1.5 (nargsort
 * of Series.sort_values(ascending=False)) give these inputs, recorded
 * from them, ties and all - pandas' value_counts order depends on every
 * swap.  tests/pandas/parity.py checks the same against pandas itself. */
#include "npsort.h"
#include "table.h"
#include "value.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static void expect_order(const double *v, size_t n, const size_t *want,
                         int desc) {
  size_t got[64];
  ck_assert_uint_le(n, 64);
  if (desc)
    ck_assert_int_eq(dusk_np_argsort_desc(v, n, got), 0);
  else
    dusk_np_argsort(v, n, got);
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(got[i] == want[i], "%s position %zu: %zu, numpy %zu",
                  desc ? "desc" : "asc", i, got[i], want[i]);
}

/* 40 values of 0..3: partitions, then insertion sorts. */
START_TEST(test_ties_forty) {
  static const double v[] = {3, 0, 0, 0, 0, 3, 3, 2, 0, 0, 1, 1, 2, 1,
                             1, 0, 2, 2, 0, 0, 1, 1, 3, 2, 1, 1, 2, 2,
                             0, 2, 3, 3, 3, 1, 1, 2, 2, 2, 3, 1};
  static const size_t asc[] = {19, 1,  2,  3,  4,  28, 8,  9,  18, 15,
                               34, 33, 25, 24, 21, 20, 39, 14, 13, 11,
                               10, 17, 37, 36, 35, 29, 16, 7,  26, 23,
                               12, 27, 30, 31, 32, 6,  5,  22, 38, 0};
  static const size_t desc[] = {0,  5,  30, 31, 6,  32, 38, 22, 35, 23,
                                12, 37, 7,  29, 16, 17, 27, 26, 36, 34,
                                33, 25, 24, 20, 21, 14, 13, 11, 10, 39,
                                1,  19, 18, 28, 15, 9,  8,  4,  3,  2};
  expect_order(v, 40, asc, 0);
  expect_order(v, 40, desc, 1);
}
END_TEST

/* 17 values: the smallest span numpy partitions (16 it does not). */
START_TEST(test_seventeen) {
  static const double v[] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1};
  static const size_t asc[] = {0, 12, 3, 9, 6, 15, 13, 10, 16,
                               4, 1,  7, 5, 11, 2, 14, 8};
  static const size_t desc[] = {8, 2, 14, 5, 11, 1, 13, 10, 16,
                                7, 4, 9,  6, 12, 3, 15, 0};
  expect_order(v, 17, asc, 0);
  expect_order(v, 17, desc, 1);
  /* 16 values: an insertion sort, stable */
  size_t got[16];
  dusk_np_argsort(v, 16, got);
  for (size_t i = 1; i < 16; i++)
    ck_assert(v[got[i - 1]] < v[got[i]] ||
              (v[got[i - 1]] == v[got[i]] && got[i - 1] < got[i]));
}
END_TEST

/* Counts already largest first, as value_counts often meets them. */
START_TEST(test_sorted_descending) {
  double v[60];
  static const int runs[][2] = {{5, 11}, {4, 8}, {3, 12}, {2, 8},
                                {1, 13}, {0, 8}};
  static const size_t desc[] = {
      0,  2,  3,  4,  5,  6,  7,  8,  9,  10, 1,  15, 18, 17, 16,
      12, 14, 13, 11, 25, 29, 28, 27, 26, 30, 24, 22, 21, 20, 19,
      23, 36, 38, 37, 35, 34, 33, 32, 31, 46, 51, 50, 49, 48, 47,
      42, 45, 44, 43, 41, 40, 39, 52, 53, 54, 55, 56, 57, 58, 59};
  size_t n = 0;
  for (size_t r = 0; r < 6; r++)
    for (int i = 0; i < runs[r][1]; i++)
      v[n++] = runs[r][0];
  ck_assert_uint_eq(n, 60);
  expect_order(v, 60, desc, 1);
}
END_TEST

/* NaN sorts after every number. */
START_TEST(test_nan_last) {
  static const double v[] = {0.5, 0.1, 0.7, NAN, 0.9, 0.3, 0.6, 0.4, 0.6, 0.2,
                             0.2, NAN, 0.8, 0.6, 0.9, 0.2, 0.9, 0.2, 1.0, 0.6,
                             NAN, 1.0, 0.8, 0.8, 0.1, 0.4, 0.1, 0.2, 0.2, 0.9};
  static const size_t asc[] = {1,  26, 24, 10, 17, 27, 15, 9,  28, 5,
                               7,  25, 0,  13, 19, 8,  6,  2,  23, 12,
                               22, 14, 16, 4,  29, 18, 21, 20, 11, 3};
  expect_order(v, 30, asc, 0);
}
END_TEST

/* Musser's median-of-3 killer of 352 values drives numpy's introsort
 * past its depth limit into heapsort (checked against numpy, which
 * orders these distinct values the only way there is). */
START_TEST(test_heapsort_fallback) {
  enum { N = 352 };
  double v[N];
  size_t got[N], k = N / 2;
  for (size_t i = 1; i <= k; i++) {
    if (i % 2) {
      v[i - 1] = (double)i;
      v[i] = (double)(k + i);
    }
    v[k + i - 1] = (double)(2 * i);
  }
  dusk_np_argsort(v, N, got);
  for (size_t i = 1; i < N; i++)
    ck_assert_msg(v[got[i - 1]] <= v[got[i]], "unsorted at %zu", i);
}
END_TEST

/* Nothing and one element. */
/* The comparator form over other types gives numpy's order for them too
 * (numpy's int64, object and datetime64 argsorts are the same algorithm:
 * checked against it on 900 random arrays), and dusk_table_nargsort is
 * pandas' Series.sort_values: the 40 values above with two nulls, as
 * ints, text and floats, both directions (orders recorded from pandas
 * 1.5). */
static const int64_t forty[] = {3, 0, 0, 0, 0, 3, 3, 2, 0, 0, 1, 1, 2, 1,
                                1, 0, 2, 2, 0, 0, 1, 1, 3, 2, 1, 1, 2, 2,
                                0, 2, 3, 3, 3, 1, 1, 2, 2, 2, 3, 1};

static bool int_less(const void *ctx, size_t a, size_t b) {
  const int64_t *v = ctx;
  return v[a] < v[b];
}

START_TEST(test_comparator_form) {
  static const size_t asc[] = {19, 1,  2,  3,  4,  28, 8,  9,  18, 15,
                               34, 33, 25, 24, 21, 20, 39, 14, 13, 11,
                               10, 17, 37, 36, 35, 29, 16, 7,  26, 23,
                               12, 27, 30, 31, 32, 6,  5,  22, 38, 0};
  size_t got[40];
  for (size_t i = 0; i < 40; i++)
    got[i] = i;
  dusk_np_argsort_by(int_less, forty, got, 40);
  for (size_t i = 0; i < 40; i++)
    ck_assert_uint_eq(got[i], asc[i]);
}
END_TEST

START_TEST(test_table_nargsort) {
  static const size_t asc[] = {1,  2,  3,  4,  8,  9,  28, 19, 15, 18,
                               20, 34, 33, 25, 24, 21, 39, 14, 13, 11,
                               10, 37, 36, 35, 7,  16, 29, 26, 12, 23,
                               27, 30, 31, 32, 6,  22, 38, 0,  5,  17};
  static const size_t desc[] = {0,  6,  30, 31, 32, 38, 22, 36, 7,  35,
                                23, 12, 37, 29, 16, 27, 26, 34, 33, 25,
                                24, 21, 20, 14, 13, 11, 10, 39, 1,  19,
                                18, 28, 15, 9,  8,  4,  3,  2,  5,  17};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                    DUSK_TYPE_FLOAT64};
  for (size_t k = 0; k < 3; k++) {
    const char *names[] = {"v"};
    dusk_table *t = dusk_table_new(names, &types[k], 1, 0);
    size_t got[40];
    ck_assert_ptr_nonnull(t);
    for (size_t i = 0; i < 40; i++) {
      dusk_value v;
      char text[2] = {(char)('a' + forty[i]), '\0'};
      memset(&v, 0, sizeof v);
      if (i == 5 || i == 17) {
        v.type = DUSK_TYPE_NULL;
      } else if (types[k] == DUSK_TYPE_INT64) {
        v.type = DUSK_TYPE_INT64;
        v.u.i = forty[i];
      } else if (types[k] == DUSK_TYPE_FLOAT64) {
        v.type = DUSK_TYPE_FLOAT64;
        v.u.f = (double)forty[i];
      } else {
        v.type = DUSK_TYPE_STRING;
        v.u.s.ptr = text;
        v.u.s.len = 1;
      }
      ck_assert_int_eq(dusk_table_append_row(t, &v), 0);
    }
    dusk_table_nargsort(t, 0, true, got);
    for (size_t i = 0; i < 40; i++)
      ck_assert_msg(got[i] == asc[i], "type %zu asc %zu: %zu, pandas %zu", k,
                    i, got[i], asc[i]);
    dusk_table_nargsort(t, 0, false, got);
    for (size_t i = 0; i < 40; i++)
      ck_assert_msg(got[i] == desc[i], "type %zu desc %zu: %zu, pandas %zu",
                    k, i, got[i], desc[i]);
    dusk_table_free(t);
  }
}
END_TEST

START_TEST(test_tiny) {
  double one = 4;
  size_t o = 9;
  dusk_np_argsort(&one, 0, &o);
  ck_assert_uint_eq(o, 9);
  ck_assert_int_eq(dusk_np_argsort_desc(&one, 1, &o), 0);
  ck_assert_uint_eq(o, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("npsort");
  TCase *tc = tcase_create("npsort");
  tcase_add_test(tc, test_ties_forty);
  tcase_add_test(tc, test_seventeen);
  tcase_add_test(tc, test_sorted_descending);
  tcase_add_test(tc, test_nan_last);
  tcase_add_test(tc, test_heapsort_fallback);
  tcase_add_test(tc, test_tiny);
  tcase_add_test(tc, test_comparator_form);
  tcase_add_test(tc, test_table_nargsort);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
