/* check_rangepart.c - a sorted frame's range partitions (df/rangepart.h):
 * samples, cuts and the part of each row, on keys with nulls, NaN, ties,
 * text and descending directions; cuts that balance parts; refusals (a
 * key the rows lack, samples of other columns); divisions computed from
 * samples with exact bounds, and given ones typed as the key, their
 * parts and the keys outside them. */
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
  ck_assert_int_eq(dusk_rangepart_cuts(&t, 1, p, 0, &cuts, &err),
                   DUSK_EINVAL);
  ck_assert_int_eq(dusk_rangepart_cuts(&t, 1, p, 1, &cuts, &err), 0);
  ck_assert_uint_eq(cuts->nrows, 0); /* one part: no cut */
  dusk_table_free(cuts);
  cuts = NULL;
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

/* Computed divisions: each scan's sample holds its exact least and
 * greatest non-null keys (not where the even sample falls), the
 * divisions are them and the cuts between, a repeated cut once but the
 * last; no non-null key gives no division. */
START_TEST(test_computed_divisions) {
  enum { N = 3000 };
  int64_t *k = calloc(N, sizeof *k);
  bool *kn = calloc(N, sizeof *kn);
  const char **s = calloc(N, sizeof *s);
  double *f = calloc(N, sizeof *f);
  const char *by[] = {"k"};
  uint8_t asc[] = {1};
  dusk_plan *p = sort_by(by, asc, 1);
  dusk_table *t, *samples[2], *divs = NULL;
  dusk_error err = {0};
  for (size_t i = 0; i < N; i++) {
    k[i] = (int64_t)((i * 7919) % N) + 10; /* 10 .. N + 9, each once */
    kn[i] = i % 5 == 0 && k[i] != 10 && k[i] != N + 9;
    s[i] = "v";
  }
  t = rows_of(k, kn, s, f, N);
  ck_assert_int_eq(dusk_rangepart_sample(t, &samples[0]), 0);
  ck_assert_int_eq(dusk_rangepart_add_bounds(t, p, samples[0], &err), 0);
  ck_assert_uint_eq(samples[0]->nrows, DUSK_RANGEPART_SAMPLE + 2);
  /* a second scan of nulls alone adds no bound */
  {
    dusk_table *nulls = rows_of(k, NULL, s, f, 0);
    dusk_value v[3] = {{.type = DUSK_TYPE_NULL},
                       {.type = DUSK_TYPE_STRING, .u.s = {"v", 1}},
                       {.type = DUSK_TYPE_FLOAT64}};
    ck_assert_int_eq(dusk_table_append_row(nulls, v), 0);
    ck_assert_int_eq(dusk_rangepart_sample(nulls, &samples[1]), 0);
    ck_assert_int_eq(dusk_rangepart_add_bounds(nulls, p, samples[1], &err),
                     0);
    ck_assert_uint_eq(samples[1]->nrows, 1);
    ck_assert_int_eq(dusk_rangepart_divisions(&samples[1], 1, p, 4,
                                              DUSK_TYPE_NULL, &divs, &err),
                     0);
    ck_assert_uint_eq(divs->nrows, 0);
    dusk_table_free(divs);
    dusk_table_free(nulls);
  }
  ck_assert_int_eq(dusk_rangepart_divisions(samples, 2, p, 4,
                                            DUSK_TYPE_DATETIME, &divs, &err),
                   0);
  ck_assert_uint_eq(divs->ncols, 1);
  ck_assert_str_eq(divs->cols[0].name, "k");
  ck_assert_int_eq(divs->cols[0].logical, DUSK_TYPE_DATETIME);
  ck_assert_uint_eq(divs->nrows, 5);
  ck_assert_int_eq(divs->cols[0].i64[0], 10);
  ck_assert_int_eq(divs->cols[0].i64[4], N + 9);
  for (size_t i = 1; i < 5; i++)
    ck_assert_int_lt(divs->cols[0].i64[i - 1], divs->cols[0].i64[i]);
  dusk_table_free(divs);
  /* more parts than distinct keys: repeats go, the last two may tie */
  {
    static const int64_t few[] = {3, 3, 3, 3, 3, 3, 8, 8};
    static const char *const fs[] = {"a", "a", "a", "a", "a", "a", "a", "a"};
    static const double ff[8] = {0};
    dusk_table *ft = rows_of(few, NULL, fs, ff, 8), *fsample = NULL;
    ck_assert_int_eq(dusk_rangepart_sample(ft, &fsample), 0);
    ck_assert_int_eq(dusk_rangepart_add_bounds(ft, p, fsample, &err), 0);
    ck_assert_int_eq(dusk_rangepart_divisions(&fsample, 1, p, 8,
                                              DUSK_TYPE_NULL, &divs, &err),
                     0);
    ck_assert_uint_eq(divs->nrows, 3); /* (3, 8, 8) */
    ck_assert_int_eq(divs->cols[0].i64[0], 3);
    ck_assert_int_eq(divs->cols[0].i64[1], 8);
    ck_assert_int_eq(divs->cols[0].i64[2], 8);
    ck_assert_int_eq(divs->cols[0].logical, 0);
    dusk_table_free(divs);
    dusk_table_free(fsample);
    dusk_table_free(ft);
  }
  dusk_table_free(samples[0]);
  dusk_table_free(samples[1]);
  dusk_table_free(t);
  dusk_plan_free(p);
  free(k);
  free(kn);
  free(s);
  free(f);
}
END_TEST

/* Given divisions typed as the key, then every row's part: [d_j,
 * d_j+1), the last with its upper bound and the nulls; a key outside
 * them is refused, naming it. */
START_TEST(test_given_divisions) {
  static const int64_t k[] = {0, 4, 5, 9, 10, 2, 7};
  static const bool kn[] = {0, 0, 0, 0, 0, 1, 0};
  static const char *const s[] = {"a", "b", "c", "d", "e", "f", "g"};
  static const double f[7] = {0};
  const char *by[] = {"k"}, *sby[] = {"s"}, *fby[] = {"f"};
  uint8_t asc[] = {1};
  dusk_plan *p = sort_by(by, asc, 1);
  dusk_table *t = rows_of(k, kn, s, f, 7), *cuts = NULL;
  dusk_value d[3] = {{.type = DUSK_TYPE_FLOAT64, .u.f = -0.5},
                     {.type = DUSK_TYPE_INT64, .u.i = 5},
                     {.type = DUSK_TYPE_FLOAT64, .u.f = 10.7}};
  uint32_t part[7];
  dusk_error err = {0};
  ck_assert_int_eq(dusk_plan_set_parts(p, 0, d, 3), 0);
  ck_assert_int_eq(dusk_rangepart_given(t, p, DUSK_TYPE_NULL, &cuts, &err), 0);
  ck_assert_uint_eq(cuts->nrows, 3);
  /* the float bounds rounded into the ints they hold: up, then down */
  ck_assert_int_eq(cuts->cols[0].i64[0], 0);
  ck_assert_int_eq(cuts->cols[0].i64[2], 10);
  ck_assert_int_eq(dusk_rangepart_assign(t, cuts, p, part, &err), 0);
  ck_assert_uint_eq(part[0], 0);
  ck_assert_uint_eq(part[1], 0);
  ck_assert_uint_eq(part[2], 1); /* at a bound: the part after it */
  ck_assert_uint_eq(part[3], 1);
  ck_assert_uint_eq(part[4], 1); /* the last bound: the last part */
  ck_assert_uint_eq(part[5], 1); /* the null */
  dusk_table_free(cuts);
  /* 10 above a last bound of 9 */
  d[2].type = DUSK_TYPE_INT64;
  d[2].u.i = 9;
  ck_assert_int_eq(dusk_plan_set_parts(p, 0, d, 3), 0);
  ck_assert_int_eq(dusk_rangepart_given(t, p, DUSK_TYPE_NULL, &cuts, &err), 0);
  ck_assert_int_eq(dusk_rangepart_assign(t, cuts, p, part, &err), DUSK_EINVAL);
  ck_assert_msg(strstr(err.message, "column 'k' holds 10, outside the "
                       "divisions 0 to 9") != NULL, "%s", err.message);
  /* deferred: the key goes to the last part, the call goes on */
  {
    size_t outside = 0;
    dusk_error why = {0};
    ck_assert_int_eq(dusk_rangepart_assign_deferred(t, cuts, p, part,
                                                    &outside, &why, &err),
                     0);
    ck_assert_uint_eq(outside, 4);
    ck_assert_uint_eq(part[4], 1);
    ck_assert_uint_eq(part[0], 0);
    ck_assert_ptr_nonnull(strstr(why.message, "holds 10, outside"));
  }
  dusk_table_free(cuts);
  /* unsorted; a string for an int key; a datetime key's date strings */
  d[1].u.i = -3;
  ck_assert_int_eq(dusk_plan_set_parts(p, 0, d, 3), 0);
  ck_assert_int_eq(dusk_rangepart_given(t, p, DUSK_TYPE_NULL, &cuts, &err),
                   DUSK_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "not sorted (0, then -3)"));
  d[1].type = DUSK_TYPE_STRING;
  d[1].u.s.ptr = "2021-03-04";
  d[1].u.s.len = 10;
  ck_assert_int_eq(dusk_plan_set_parts(p, 0, d, 3), 0);
  ck_assert_int_eq(dusk_rangepart_given(t, p, DUSK_TYPE_NULL, &cuts, &err),
                   DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(err.message, "division 1 (a string) does not "
                               "fit column 'k' (int64)"));
  d[0].type = DUSK_TYPE_INT64;
  d[0].u.i = 0;
  d[2].u.i = INT64_MAX;
  ck_assert_int_eq(dusk_plan_set_parts(p, 0, d, 3), 0);
  ck_assert_int_eq(
      dusk_rangepart_given(t, p, DUSK_TYPE_DATETIME, &cuts, &err), 0);
  ck_assert_int_eq(cuts->cols[0].i64[1], 1614816000000000000LL);
  ck_assert_int_eq(cuts->cols[0].logical, DUSK_TYPE_DATETIME);
  dusk_table_free(cuts);
  dusk_plan_free(p);
  /* strings take strings; floats numbers */
  p = sort_by(sby, asc, 1);
  d[0].type = d[1].type = d[2].type = DUSK_TYPE_STRING;
  d[0].u.s.ptr = "a";
  d[0].u.s.len = 1;
  d[2].u.s.ptr = "g";
  d[2].u.s.len = 1;
  d[1].u.s.ptr = "c";
  d[1].u.s.len = 1;
  ck_assert_int_eq(dusk_plan_set_parts(p, 0, d, 3), 0);
  ck_assert_int_eq(dusk_rangepart_given(t, p, DUSK_TYPE_NULL, &cuts, &err), 0);
  ck_assert_int_eq(dusk_rangepart_assign(t, cuts, p, part, &err), 0);
  ck_assert_uint_eq(part[1], 0);
  ck_assert_uint_eq(part[2], 1);
  ck_assert_uint_eq(part[6], 1);
  dusk_table_free(cuts);
  dusk_plan_free(p);
  p = sort_by(fby, asc, 1);
  d[0].type = DUSK_TYPE_INT64;
  d[0].u.i = -1;
  ck_assert_int_eq(dusk_plan_set_parts(p, 0, d, 2), 0); /* -1, "c" */
  ck_assert_int_eq(dusk_rangepart_given(t, p, DUSK_TYPE_NULL, &cuts, &err),
                   DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(err.message, "division 1 (a string)"));
  dusk_plan_free(p);
  /* divisions need one ascending key */
  {
    uint8_t desc[] = {0};
    p = sort_by(by, desc, 1);
    ck_assert_int_eq(dusk_plan_set_parts(p, 0, d, 2), 0);
    ck_assert_int_eq(
        dusk_rangepart_given(t, p, DUSK_TYPE_NULL, &cuts, &err), DUSK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "one ascending key"));
    dusk_plan_free(p);
  }
  dusk_table_free(t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("rangepart");
  TCase *tc = tcase_create("rangepart");
  tcase_add_test(tc, test_parts_follow_the_order);
  tcase_add_test(tc, test_two_keys_and_few_samples);
  tcase_add_test(tc, test_balanced);
  tcase_add_test(tc, test_refusals);
  tcase_add_test(tc, test_computed_divisions);
  tcase_add_test(tc, test_given_divisions);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
