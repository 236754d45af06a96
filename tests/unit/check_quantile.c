/* check_quantile.c - exact quantiles in two scans (quantile.h): ordered
 * keys, the radix sort, and the whole method (summaries, bounds, windows,
 * selection) against a full sort, over data that stresses it: ties,
 * many distinct values packed close together, one value, sorted input. */
#include "quantile.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) { /* xorshift64 */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

START_TEST(test_keys_keep_order) {
  static const double f[] = {-INFINITY, -1e300, -2.5, -1e-300, -0.0, 0.0,
                             1e-300,    1.0,    2.5,  1e300,   INFINITY};
  static const int64_t i[] = {INT64_MIN, -5, -1, 0, 1, 7, INT64_MAX};
  for (size_t a = 0; a + 1 < sizeof f / sizeof f[0]; a++) {
    uint64_t ka = dusk_qkey_from_f64(f[a]), kb = dusk_qkey_from_f64(f[a + 1]);
    if (f[a] == f[a + 1])
      ck_assert_uint_eq(ka, kb); /* -0.0 and 0.0 are one value */
    else
      ck_assert_uint_lt(ka, kb);
    ck_assert(dusk_qkey_to_f64(ka) == f[a]);
  }
  for (size_t a = 0; a + 1 < sizeof i / sizeof i[0]; a++) {
    ck_assert_uint_lt(dusk_qkey_from_i64(i[a]), dusk_qkey_from_i64(i[a + 1]));
    ck_assert_int_eq(dusk_qkey_to_i64(dusk_qkey_from_i64(i[a])), i[a]);
  }
}
END_TEST

START_TEST(test_radix_sort_matches_qsort) {
  enum { N = 100000 };
  uint64_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
  uint64_t *tmp = malloc(N * sizeof *tmp);
  for (int round = 0; round < 4; round++) {
    size_t n = round == 3 ? 1 : N - (size_t)round * 977;
    for (size_t k = 0; k < n; k++) {
      uint64_t v = rnd();
      /* round 1: only the low bytes differ; round 2: one high byte */
      a[k] = round == 1 ? (0xabcdef0000000000ull | (v & 0xffff))
             : round == 2 ? ((v & 0xff00000000000000ull) | 42)
                          : v;
      b[k] = a[k];
    }
    dusk_qkey_sort(a, tmp, n);
    qsort(b, n, sizeof *b, cmp_u64);
    ck_assert(memcmp(a, b, n * sizeof *a) == 0);
  }
  free(a);
  free(b);
  free(tmp);
}
END_TEST

START_TEST(test_ranks_as_numpy) {
  int64_t lo, hi;
  double g;
  dusk_quantile_ranks(4, 0.5, &lo, &hi, &g); /* h = 1.5 */
  ck_assert_int_eq(lo, 1);
  ck_assert_int_eq(hi, 2);
  ck_assert(g == 0.5);
  dusk_quantile_ranks(1, 0.3, &lo, &hi, &g);
  ck_assert_int_eq(lo, 0);
  ck_assert_int_eq(hi, 0);
  dusk_quantile_ranks(10, 1.0, &lo, &hi, &g);
  ck_assert_int_eq(lo, 9);
  ck_assert_int_eq(hi, 9);
  dusk_quantile_ranks(10, 0.0, &lo, &hi, &g);
  ck_assert_int_eq(lo, 0);
  ck_assert_int_eq(hi, 1);
  ck_assert(g == 0.0);
}
END_TEST

START_TEST(test_lerp_as_numpy) {
  double f;
  int64_t i;
  /* pd.Series(pd.to_datetime([0, 10])).quantile(q) for these q gives
   * 3, 3, 6, 9 ns: pandas interpolates the int64 nanoseconds as floats
   * (from the upper end when the weight is at least 0.5) and truncates. */
  static const double q[] = {0.33, 0.35, 0.66, 0.95};
  static const int64_t want[] = {3, 3, 6, 9};
  for (size_t k = 0; k < 4; k++) {
    int64_t below, above;
    double g;
    dusk_quantile_ranks(2, q[k], &below, &above, &g);
    dusk_quantile_lerp(DUSK_TYPE_DATETIME, dusk_qkey_from_i64(0),
                       dusk_qkey_from_i64(10), g, &f, &i);
    ck_assert_int_eq(i, want[k]);
  }
  /* Near 2021 a float64 holds nanoseconds only to 256 ns: pandas' answer
   * carries that rounding, and so does dusk's. */
  dusk_quantile_lerp(DUSK_TYPE_DATETIME,
                     dusk_qkey_from_i64(1612902094000000000),
                     dusk_qkey_from_i64(1612902095000000001), 0.6, &f, &i);
  ck_assert_int_eq(i, (int64_t)((double)1612902095000000001 -
                                (double)1000000001 * (1 - 0.6)));
  dusk_quantile_lerp(DUSK_TYPE_INT64, dusk_qkey_from_i64(-10),
                     dusk_qkey_from_i64(0), 0.67, &f, &i);
  ck_assert(fabs(f - -3.3) < 1e-12);
  dusk_quantile_lerp(DUSK_TYPE_FLOAT64, dusk_qkey_from_f64(1.5),
                     dusk_qkey_from_f64(2.5), 0.25, &f, &i);
  ck_assert(f == 1.75);
}
END_TEST

/* The whole method over values[0..n) cut into runs of random lengths
 * (ranges of a few runs each), against a full sort. */
static void check_method(const uint64_t *values, size_t n, const char *what) {
  static const double qs[] = {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1.0};
  const size_t nq = sizeof qs / sizeof qs[0];
  uint64_t *run = malloc((n + 1) * sizeof *run), *tmp = malloc((n + 1) * 8);
  uint64_t *sorted = malloc((n + 1) * sizeof *sorted);
  size_t *cuts = malloc((n + 2) * sizeof *cuts), ncuts = 0, nruns;
  dusk_table *sum = dusk_qsummary_table_new(), *bounds = NULL;
  dusk_table *win = dusk_qwindow_table_new();
  dusk_error err = {0};
  dusk_qwindow *w;
  size_t nw;

  /* Cut points: runs of 1 .. 40000 values. */
  cuts[ncuts++] = 0;
  while (cuts[ncuts - 1] < n) {
    size_t len = 1 + (size_t)(rnd() % 40000);
    cuts[ncuts] = cuts[ncuts - 1] + len > n ? n : cuts[ncuts - 1] + len;
    ncuts++;
  }
  nruns = ncuts - 1;
  for (size_t r = 0; r < nruns; r++) {
    size_t len = cuts[r + 1] - cuts[r];
    memcpy(run, values + cuts[r], len * sizeof *run);
    dusk_qkey_sort(run, tmp, len);
    ck_assert_int_eq(dusk_qsummary_add_run(sum, 0, (int64_t)(r / 3),
                                           (int64_t)(r % 3), run, len),
                     0);
  }
  ck_assert_msg(dusk_qbounds(sum, 1, qs, nq, &bounds, &err) == 0, "%s: %s",
                what, err.message);
  /* Scan 2, range by range (three runs each), as workers would. */
  nw = bounds->nrows;
  w = calloc(nw + 1, sizeof *w);
  for (size_t r = 0; r < nruns; r += 3) {
    size_t end = r + 3 < nruns ? cuts[r + 3] : n;
    for (size_t k = 0; k < nw; k++) {
      memset(&w[k], 0, sizeof w[k]);
      w[k].col = 0;
      w[k].target = bounds->cols[DUSK_QBOUND_TARGET].i64[k];
      w[k].lo = (uint64_t)bounds->cols[DUSK_QBOUND_LO].i64[k];
      w[k].hi = (uint64_t)bounds->cols[DUSK_QBOUND_HI].i64[k];
    }
    int rc = 0; /* one check: Check writes to a pipe on every assertion */
    if ((r / 3) % 2 == 0) /* a value at a time, or a batch at a time */
      for (size_t v = cuts[r]; v < end; v++)
        for (size_t k = 0; k < nw; k++)
          rc |= dusk_qwindow_add(&w[k], values[v]);
    else
      for (size_t k = 0; k < nw; k++)
        rc |= dusk_qwindow_add_keys(&w[k], values + cuts[r], end - cuts[r]);
    ck_assert_int_eq(rc, 0);
    for (size_t k = 0; k < nw; k++) {
      ck_assert_int_eq(dusk_qwindow_emit(&w[k], win), 0);
      dusk_qwindow_destroy(&w[k]);
    }
  }
  /* Windows stay small: about 2 n / DUSK_QSUM_ENTRIES values inside. */
  ck_assert_msg(win->nrows <= nw * (nruns + 2 * n / DUSK_QSUM_ENTRIES +
                                    4 * nruns + 4),
                "%s: %zu window rows for %zu values", what, win->nrows, n);
  memcpy(sorted, values, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, cmp_u64);
  for (size_t q = 0; q < nq; q++) {
    int64_t below, above;
    double g;
    uint64_t klo, khi;
    dusk_quantile_ranks((int64_t)n, qs[q], &below, &above, &g);
    ck_assert_msg(dusk_qwindow_select(win, 0, below, &klo, &err) == 0,
                  "%s q=%g: %s", what, qs[q], err.message);
    ck_assert_int_eq(dusk_qwindow_select(win, 0, above, &khi, &err), 0);
    ck_assert_msg(klo == sorted[below] && khi == sorted[above],
                  "%s: q=%g rank %lld", what, qs[q], (long long)below);
  }
  free(w);
  dusk_table_free(sum);
  dusk_table_free(bounds);
  dusk_table_free(win);
  free(run);
  free(tmp);
  free(sorted);
  free(cuts);
}

START_TEST(test_exact_over_hard_data) {
  enum { N = 300000 };
  uint64_t *v = malloc(N * sizeof *v);
  /* Uniform doubles. */
  for (size_t k = 0; k < N; k++)
    v[k] = dusk_qkey_from_f64((double)(rnd() % 1000000007) / 7.0 - 5e7);
  check_method(v, N, "uniform");
  /* Six values, heavy ties. */
  for (size_t k = 0; k < N; k++)
    v[k] = dusk_qkey_from_i64((int64_t)(rnd() % 6));
  check_method(v, N, "ties");
  /* Timestamps of one month: distinct values packed close together. */
  for (size_t k = 0; k < N; k++)
    v[k] = dusk_qkey_from_i64(1617235200000000000 +
                              (int64_t)(rnd() % 2592000) * 1000000000);
  check_method(v, N, "datetimes");
  /* Already sorted, and descending. */
  for (size_t k = 0; k < N; k++)
    v[k] = dusk_qkey_from_i64((int64_t)k);
  check_method(v, N, "ascending");
  for (size_t k = 0; k < N; k++)
    v[k] = dusk_qkey_from_i64(-(int64_t)k);
  check_method(v, N, "descending");
  /* One value, and a single element. */
  for (size_t k = 0; k < N; k++)
    v[k] = dusk_qkey_from_f64(3.25);
  check_method(v, N, "constant");
  check_method(v, 1, "one value");
  check_method(v, 2, "two values");
  free(v);
}
END_TEST

/* A batch of keys counts as the same keys one at a time, at the edges of
 * the key space and for an empty window (hi < lo). */
START_TEST(test_window_batches_match_single_keys) {
  static const uint64_t keys[] = {0, 1, 5, 6, 7, 7, 9, UINT64_MAX, 6, 0, 10};
  static const uint64_t bounds[][2] = {
      {6, 7}, {0, 0}, {UINT64_MAX, UINT64_MAX}, {0, UINT64_MAX}, {8, 3}};
  size_t n = sizeof keys / sizeof *keys;
  for (size_t b = 0; b < sizeof bounds / sizeof *bounds; b++) {
    dusk_qwindow one, many;
    memset(&one, 0, sizeof one);
    memset(&many, 0, sizeof many);
    one.lo = many.lo = bounds[b][0];
    one.hi = many.hi = bounds[b][1];
    for (size_t i = 0; i < n; i++)
      ck_assert_int_eq(dusk_qwindow_add(&one, keys[i]), 0);
    ck_assert_int_eq(dusk_qwindow_add_keys(&many, keys, n), 0);
    ck_assert_int_eq(one.below, many.below);
    ck_assert_uint_eq(one.nraw, many.nraw);
    for (size_t i = 0; i < one.nraw; i++)
      ck_assert_uint_eq(one.raw[i], many.raw[i]);
    dusk_qwindow_destroy(&one);
    dusk_qwindow_destroy(&many);
  }
}
END_TEST

/* describe's labels as pandas' format_percentiles writes them (pandas
 * 1.5.3's outputs): whole percents bare, else the fewest decimals that
 * keep the distinct percents apart and off 0 and 100. */
START_TEST(test_percentile_labels_as_pandas) {
  static const struct {
    double qs[6];
    size_t n;
    const char *labels[6];
  } cases[] = {
      {{0.25, 0.5, 0.75}, 3, {"25%", "50%", "75%"}},
      {{0.1, 0.5, 0.9}, 3, {"10%", "50%", "90%"}},
      {{0, 0.5, 1}, 3, {"0%", "50%", "100%"}},
      {{0.07, 0.5}, 2, {"7%", "50%"}},
      {{0.29, 0.333, 0.5}, 3, {"29.0%", "33.3%", "50%"}},
      {{0.001, 0.5, 0.999}, 3, {"0.1%", "50%", "99.9%"}},
      {{0.01999, 0.02001, 0.5, 0.666666, 0.9999}, 5,
       {"1.999%", "2.001%", "50%", "66.667%", "99.99%"}},
      {{0, 0.5, 0.02001, 0.5, 0.666666, 0.9999}, 6,
       {"0%", "50%", "2.0%", "50%", "66.67%", "99.99%"}},
      {{0.125, 0.5, 0.875}, 3, {"12.5%", "50%", "87.5%"}},
  };
  char label[DUSK_PERCENTILE_LABEL_MAX];
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int prec = dusk_percentile_precision(cases[c].qs, cases[c].n);
    for (size_t i = 0; i < cases[c].n; i++) {
      dusk_percentile_label(cases[c].qs[i], prec, label);
      ck_assert_msg(strcmp(label, cases[c].labels[i]) == 0,
                    "case %zu, q %g: '%s', pandas '%s'", c, cases[c].qs[i],
                    label, cases[c].labels[i]);
    }
  }
}
END_TEST

START_TEST(test_bounds_refuse_a_bad_summary) {
  dusk_table *sum = dusk_qsummary_table_new(), *bounds = NULL;
  dusk_error err = {0};
  static const double q = 0.5;
  dusk_value row[DUSK_QSUM_NCOLS];
  for (size_t c = 0; c < DUSK_QSUM_NCOLS; c++)
    row[c].type = DUSK_TYPE_INT64;
  row[DUSK_QSUM_COL].u.i = 0;
  row[DUSK_QSUM_RANGE].u.i = 0;
  row[DUSK_QSUM_RUN].u.i = 0;
  row[DUSK_QSUM_N].u.i = 10;
  row[DUSK_QSUM_KEY].u.i = 50;
  row[DUSK_QSUM_RLO].u.i = 0;
  row[DUSK_QSUM_RHI].u.i = 5;
  ck_assert_int_eq(dusk_table_append_row(sum, row), 0);
  row[DUSK_QSUM_KEY].u.i = 40; /* smaller than the entry before it */
  row[DUSK_QSUM_RLO].u.i = 5;
  row[DUSK_QSUM_RHI].u.i = 10;
  ck_assert_int_eq(dusk_table_append_row(sum, row), 0);
  ck_assert_int_eq(dusk_qbounds(sum, 1, &q, 1, &bounds, &err), DUSK_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "out of order"));
  ck_assert_ptr_null(bounds);
  dusk_table_free(sum);
}
END_TEST

int main(void) {
  Suite *s = suite_create("quantile");
  TCase *tc = tcase_create("quantile");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_keys_keep_order);
  tcase_add_test(tc, test_radix_sort_matches_qsort);
  tcase_add_test(tc, test_ranks_as_numpy);
  tcase_add_test(tc, test_lerp_as_numpy);
  tcase_add_test(tc, test_exact_over_hard_data);
  tcase_add_test(tc, test_window_batches_match_single_keys);
  tcase_add_test(tc, test_bounds_refuse_a_bad_summary);
  tcase_add_test(tc, test_percentile_labels_as_pandas);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
