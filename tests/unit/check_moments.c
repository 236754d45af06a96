/* check_moments.c - std / var states: settling shifted sums, merging
 * partitions and pandas' two answers.
 *
 * Values far from zero with a small spread (1e12 + 0..10, as timestamps
 * or ids are) are where rounded means went wrong: each case cuts them
 * into partitions of many sizes, merges them in file order and as a
 * balanced tree, and compares with the exact variance (integer
 * arithmetic) and with pandas' nanvar (its mean rounded to a double,
 * then the squared deviations from it, in long double).  Infinite values
 * and overflow get pandas' NaN and inf. */
#include "moments.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NVALUES = 3000 };

static uint64_t rng_state;

/* 1e12 + 0..10, as the file: the exact sums fit in int64. */
static void offset_values(double *x, int64_t *r, size_t n) {
  rng_state = 12;
  for (size_t i = 0; i < n; i++) {
    r[i] = (int64_t)(tu_splitmix(&rng_state) % 11);
    x[i] = 1e12 + (double)r[i];
  }
}

/* The exact sample variance of 1e12 + r[i] (of r[i]: the offset cancels),
 * as n sum r^2 - (sum r)^2 over n (n - 1), in integers. */
static double exact_var(const int64_t *r, size_t n) {
  int64_t s = 0, s2 = 0;
  for (size_t i = 0; i < n; i++) {
    s += r[i];
    s2 += r[i] * r[i];
  }
  return (double)((int64_t)n * s2 - s * s) / ((double)n * (double)(n - 1));
}

/* pandas' nanvar: the mean rounded to a double (its sum is exact here),
 * then the squared deviations from it, summed in long double. */
static double pandas_var(const double *x, size_t n) {
  double sum = 0, avg;
  long double ss = 0;
  for (size_t i = 0; i < n; i++)
    sum += x[i];
  avg = sum / (double)n;
  for (size_t i = 0; i < n; i++)
    ss += ((long double)x[i] - avg) * ((long double)x[i] - avg);
  return (double)(ss / (long double)(n - 1));
}

static void settle_range(const double *x, size_t from, size_t to,
                         dusk_moments *out) {
  dusk_moments_sums s;
  memset(&s, 0, sizeof s);
  for (size_t i = from; i < to; i++)
    dusk_moments_sums_add(&s, x[i]);
  dusk_moments_settle(&s, out);
}

/* The moments of x[from, to) in partitions of `size`, merged pairwise
 * (a balanced tree) or in file order. */
static void merged(const double *x, size_t from, size_t to, size_t size,
                   int tree, dusk_moments *out) {
  memset(out, 0, sizeof *out);
  if (to - from <= size) {
    settle_range(x, from, to, out);
  } else if (tree) {
    size_t parts = (to - from + size - 1) / size, mid = from + parts / 2 * size;
    dusk_moments right;
    merged(x, from, mid, size, tree, out);
    merged(x, mid, to, size, tree, &right);
    dusk_moments_merge(out, &right);
  } else {
    for (size_t p = from; p < to; p += size) {
      dusk_moments part;
      settle_range(x, p, p + size < to ? p + size : to, &part);
      dusk_moments_merge(out, &part);
    }
  }
}

START_TEST(test_large_offsets_in_any_partitions) {
  static double x[NVALUES];
  static int64_t r[NVALUES];
  static const size_t sizes[] = {1, 2, 7, 66, 1000, NVALUES};
  double exact, pandas;
  offset_values(x, r, NVALUES);
  exact = exact_var(r, NVALUES);
  pandas = pandas_var(x, NVALUES);
  /* pandas' own answer is off the exact one by its rounded mean */
  ck_assert(fabs(pandas / exact - 1) > 1e-12);
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    for (int tree = 0; tree < 2; tree++) {
      dusk_moments m;
      merged(x, 0, NVALUES, sizes[i], tree, &m);
      ck_assert_int_eq(m.n, NVALUES);
      ck_assert_msg(fabs(dusk_moments_var(&m) / exact - 1) < 1e-14,
                    "size %zu tree %d: var %.17g, exact %.17g", sizes[i],
                    tree, dusk_moments_var(&m), exact);
      ck_assert_msg(fabs(dusk_moments_var_two_pass(&m) / pandas - 1) < 1e-14,
                    "size %zu tree %d: two-pass %.17g, pandas %.17g",
                    sizes[i], tree, dusk_moments_var_two_pass(&m), pandas);
    }
}
END_TEST

/* Fewer than two values: NaN (ddof 1); one: mean, no deviation; none
 * merges as nothing. */
START_TEST(test_small_counts) {
  dusk_moments m, none;
  double one = 2.5;
  memset(&none, 0, sizeof none);
  settle_range(&one, 0, 1, &m);
  ck_assert_int_eq(m.n, 1);
  ck_assert(m.hi == 2.5 && m.lo == 0 && m.m2 == 0);
  ck_assert(isnan(dusk_moments_var(&m)));
  ck_assert(isnan(dusk_moments_var_two_pass(&none)));
  dusk_moments_merge(&m, &none);
  ck_assert_int_eq(m.n, 1);
  dusk_moments_merge(&none, &m);
  ck_assert(none.n == 1 && none.hi == 2.5);
  {
    double two[] = {1.5, 2.5};
    dusk_moments a, b;
    settle_range(two, 0, 1, &a);
    settle_range(two, 1, 2, &b);
    dusk_moments_merge(&a, &b);
    ck_assert_double_eq(dusk_moments_var(&a), 0.5);
    ck_assert_double_eq(a.hi, 2.0);
  }
}
END_TEST

/* pandas: an infinite value makes std / var NaN (and the mean that
 * infinity, NaN for both signs); finite values whose squared deviations
 * overflow make them inf; never the 0 a clamp of NaN made.  In one
 * partition and across partitions, in either merge order. */
START_TEST(test_infinities_and_overflow) {
  static const struct {
    double x[4];
    size_t n;
    double var, mean; /* mean: the settled hi, for the infinite cases */
  } cases[] = {
      {{3.0, INFINITY, 1.0}, 3, NAN, INFINITY},
      {{INFINITY, 3.0, 1.0}, 3, NAN, INFINITY},
      {{-INFINITY, 1.0, 2.0}, 3, NAN, -INFINITY},
      {{INFINITY, -INFINITY}, 2, NAN, NAN},
      {{1e300, -1e300, 1}, 3, INFINITY, 0},
      {{1e308, -1e308, 1e308, -1e308}, 4, INFINITY, 0},
      {{1e200, 1e200, 1e200}, 3, 0, 0},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
    for (size_t cut = 0; cut <= cases[c].n; cut++)
      for (int order = 0; order < 2; order++) {
        dusk_moments a, b;
        double var;
        settle_range(cases[c].x, 0, cut, order ? &b : &a);
        settle_range(cases[c].x, cut, cases[c].n, order ? &a : &b);
        dusk_moments_merge(&a, &b);
        var = dusk_moments_var(&a);
        ck_assert_int_eq(a.n, (int64_t)cases[c].n);
        ck_assert_msg(isnan(cases[c].var) ? isnan(var) : var == cases[c].var,
                      "case %zu cut %zu order %d: var %g", c, cut, order,
                      var);
        ck_assert(isnan(dusk_moments_var_two_pass(&a)) == isnan(var));
        if (isinf(cases[c].mean) || (isnan(cases[c].mean)))
          ck_assert_msg(isnan(cases[c].mean) ? isnan(a.hi)
                                             : a.hi == cases[c].mean,
                        "case %zu cut %zu order %d: mean %g", c, cut, order,
                        a.hi);
      }
}
END_TEST

int main(void) {
  Suite *s = suite_create("moments");
  TCase *tc = tcase_create("moments");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_large_offsets_in_any_partitions);
  tcase_add_test(tc, test_small_counts);
  tcase_add_test(tc, test_infinities_and_overflow);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
