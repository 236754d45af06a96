/* check_rangepart.c - a sorted frame's range partitions (df/rangepart.h):
 * samples, cuts and the part of each row, on keys with nulls, NaN, ties,
 * text and descending directions; cuts that balance parts; and refusals
 * (a key the rows lack, samples of other columns). */
#include "rangepart.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* A rows-like table: k (int64), s (string), f (float64), from arrays
 * (k_null[i] / s == NULL: a null). */
static dusk_table *rows_of(const int64_t *k, const bool *k_null,
                           const char *const *s, const double *f, size_t n) {
  const char *names[] = {"k", "s", "f"};
  const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                             DUSK_TYPE_FLOAT64};
  dusk_table *t = dusk_table_new(names, types, 3, 0);
  ck_assert_ptr_nonnull(t);
  for (size_t i = 0; i < n; i++) {
    dusk_value v[3];
    memset(v, 0, sizeof v);
    v[0].type = k_null != NULL && k_null[i] ? DUSK_TYPE_NULL : DUSK_TYPE_INT64;
    v[0].u.i = k[i];
    v[1].type = s[i] == NULL ? DUSK_TYPE_NULL : DUSK_TYPE_STRING;
    v[1].u.s.ptr = s[i];
    v[1].u.s.len = s[i] ? strlen(s[i]) : 0;
    v[2].type = DUSK_TYPE_FLOAT64;
    v[2].u.f = f[i];
    ck_assert_int_eq(dusk_table_append_row(t, v), 0);
  }
  return t;
}

static dusk_plan *sort_by(const char *const *by, const uint8_t *asc,
                          size_t n) {
  const char *paths[] = {"x.csv"};
  dusk_plan *leaf = dusk_plan_read_csv(paths, 1, NULL);
  dusk_plan *p = dusk_plan_sort_values(leaf, by, n, asc, n);
  ck_assert_ptr_nonnull(p);
  return p;
}

/* Cuts from the rows themselves (their one sample), then every row's
 * part: parts follow the sort order and equal keys share a part. */
START_TEST(test_parts_follow_the_order) {
  static const int64_t k[] = {5, 1, 9, 1, 7, 3, 3, 8, 0, 6, 2, 4};
  static const bool null_k[] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  static const char *const s[] = {"a", "b", "c", "d", "e", "f",
                                  "g", "h", "i", "j", "k", "l"};
  static const double f[12] = {0};
  const char *by[] = {"k"};
  for (int dir = 0; dir < 2; dir++) {
    uint8_t asc[] = {(uint8_t)(dir == 0)};
    dusk_plan *p = sort_by(by, asc, 1);
    dusk_table *t = rows_of(k, null_k, s, f, 12), *sample = NULL, *cuts = NULL;
    uint32_t part[12];
    dusk_error err = {0};
    ck_assert_int_eq(dusk_rangepart_sample(t, &sample), 0);
    ck_assert_uint_eq(sample->nrows, 12);
    ck_assert_int_eq(dusk_rangepart_cuts(&sample, 1, p, 4, &cuts, &err), 0);
    ck_assert_uint_eq(cuts->nrows, 3);
    ck_assert_int_eq(dusk_rangepart_assign(t, cuts, p, part, &err), 0);
    for (size_t a = 0; a < 12; a++)
      for (size_t b = 0; b < 12; b++) {
        bool na = null_k[a], nb = null_k[b];
        int cmp = na || nb ? (na == nb ? 0 : na ? 1 : -1)
                           : (k[a] > k[b]) - (k[a] < k[b]);
        if (!asc[0] && !na && !nb)
          cmp = -cmp;
        if (cmp < 0)
          ck_assert_uint_le(part[a], part[b]);
        if (cmp == 0)
          ck_assert_uint_eq(part[a], part[b]);
      }
    ck_assert_uint_eq(part[4], 3); /* the null: last part either way */
    dusk_table_free(t);
    dusk_table_free(sample);
    dusk_table_free(cuts);
    dusk_plan_free(p);
  }
}
END_TEST

/* Two keys, text descending then NaN-bearing floats ascending; fewer
 * sampled rows than parts leave the last parts empty. */
START_TEST(test_two_keys_and_few_samples) {
  static const int64_t k[4] = {0};
  static const char *const s[] = {"b", NULL, "b", "a"};
  static const double f[] = {2.0, 1.0, NAN, 3.0};
  const char *by[] = {"s", "f"};
  uint8_t asc[] = {0, 1};
  dusk_plan *p = sort_by(by, asc, 2);
  dusk_table *t = rows_of(k, NULL, s, f, 4), *cuts = NULL;
  uint32_t part[4];
  dusk_error err = {0};
  ck_assert_int_eq(dusk_rangepart_cuts(&t, 1, p, 8, &cuts, &err), 0);
  ck_assert_uint_eq(cuts->nrows, 7); /* sampled rows repeated */
  ck_assert_int_eq(dusk_rangepart_assign(t, cuts, p, part, &err), 0);
  /* order: ("b", 2.0), ("b", NaN), ("a", 3.0), (null, 1.0) */
  ck_assert_uint_lt(part[0], part[2]);
  ck_assert_uint_lt(part[2], part[3]);
  ck_assert_uint_lt(part[3], part[1]);
  dusk_table_free(t);
  dusk_table_free(cuts);
  dusk_plan_free(p);
}
END_TEST

/* Many rows of a uniform key: the sample of 256 gives parts of about
 * equal size. */
START_TEST(test_balanced) {
  enum { N = 20000, PARTS = 8 };
  int64_t *k = calloc(N, sizeof *k);
  const char **s = calloc(N, sizeof *s);
  double *f = calloc(N, sizeof *f);
  uint32_t *part = calloc(N, sizeof *part);
  size_t count[PARTS] = {0};
  const char *by[] = {"k"};
  uint8_t asc[] = {1};
  dusk_plan *p = sort_by(by, asc, 1);
  dusk_table *t, *sample = NULL, *cuts = NULL;
  dusk_error err = {0};
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < N; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
    k[i] = (int64_t)(x % 1000000);
    s[i] = "v";
  }
  t = rows_of(k, NULL, s, f, N);
  ck_assert_int_eq(dusk_rangepart_sample(t, &sample), 0);
  ck_assert_uint_eq(sample->nrows, DUSK_RANGEPART_SAMPLE);
  ck_assert_int_eq(dusk_rangepart_cuts(&sample, 1, p, PARTS, &cuts, &err), 0);
  ck_assert_int_eq(dusk_rangepart_assign(t, cuts, p, part, &err), 0);
  for (size_t i = 0; i < N; i++)
    count[part[i]]++;
  for (int j = 0; j < PARTS; j++)
    ck_assert_msg(count[j] > N / PARTS / 2 && count[j] < 2 * N / PARTS,
                  "part %d holds %zu of %d", j, count[j], N);
  dusk_table_free(t);
  dusk_table_free(sample);
  dusk_table_free(cuts);
  dusk_plan_free(p);
  free(k);
  free(s);
  free(f);
  free(part);
}
END_TEST

START_TEST(test_refusals) {
  static const int64_t k[] = {1, 2};
  static const char *const s[] = {"a", "b"};
  static const double f[] = {0, 1};
  const char *missing[] = {"nope"}, *by[] = {"k"};
  uint8_t asc[] = {1};
  dusk_plan *bad = sort_by(missing, asc, 1), *p = sort_by(by, asc, 1);
  dusk_table *t = rows_of(k, NULL, s, f, 2), *cuts = NULL, *other;
  const char *oname[] = {"k"};
  const dusk_type otype[] = {DUSK_TYPE_INT64};
  dusk_table *two[2];
  uint32_t part[2];
  dusk_error err = {0};
  ck_assert_int_eq(dusk_rangepart_cuts(&t, 1, bad, 2, &cuts, &err),
                   DUSK_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(err.message, "'nope'"));
  ck_assert_int_eq(dusk_rangepart_cuts(&t, 1, p, 1, &cuts, &err),
                   DUSK_EINVAL);
  other = dusk_table_new(oname, otype, 1, 0);
  two[0] = t;
  two[1] = other;
  ck_assert_int_eq(dusk_rangepart_cuts(two, 2, p, 2, &cuts, &err),
                   DUSK_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "sample 1"));
  ck_assert_ptr_null(cuts);
  /* cuts whose key is of another type than the rows' */
  {
    const char *fname[] = {"k"};
    const dusk_type ftype[] = {DUSK_TYPE_FLOAT64};
    dusk_table *fc = dusk_table_new(fname, ftype, 1, 0);
    ck_assert_int_eq(dusk_rangepart_assign(t, fc, p, part, &err), DUSK_ETYPE);
    dusk_table_free(fc);
  }
  dusk_table_free(other);
  dusk_table_free(t);
  dusk_plan_free(bad);
  dusk_plan_free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("rangepart");
  TCase *tc = tcase_create("rangepart");
  tcase_add_test(tc, test_parts_follow_the_order);
  tcase_add_test(tc, test_two_keys_and_few_samples);
  tcase_add_test(tc, test_balanced);
  tcase_add_test(tc, test_refusals);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
