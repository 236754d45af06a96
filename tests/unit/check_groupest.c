/* check_groupest.c - the automatic split_out's estimates
 * (scheduler/groupest.h): the sketch counts distinct values exactly
 * below K and within a few percent above, ignores repeats; keys that
 * repeat count as what the sample saw, keys that do not grow with the
 * rows; the split stays a tree when the state fits and is bounded by the
 * scans and DUSK_AUTO_SPLIT_MAX otherwise. */
#include "groupest.h"
#include "hashmap.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

START_TEST(test_sketch_counts_distinct_values) {
  dusk_kmv *s = calloc(1, sizeof *s);
  for (uint64_t v = 0; v < 100; v++)
    for (int rep = 0; rep < 3; rep++)
      dusk_kmv_add(s, dusk_hash_u64(v));
  ck_assert(dusk_kmv_distinct(s) == 100.0); /* exact below K */
  for (uint64_t v = 100; v < 200000; v++) {
    dusk_kmv_add(s, dusk_hash_u64(v));
    dusk_kmv_add(s, dusk_hash_u64(v / 2)); /* repeats */
  }
  ck_assert_msg(fabs(dusk_kmv_distinct(s) / 200000.0 - 1) < 0.2, "%f",
                dusk_kmv_distinct(s));
  for (uint32_t i = 1; i < s->n; i++) /* ascending, no repeats */
    ck_assert(s->h[i - 1] < s->h[i]);
  free(s);
}
END_TEST

START_TEST(test_groups_estimate) {
  /* 10 keys in 5,000 sample rows: 10 groups however many rows */
  ck_assert(dusk_groups_estimate(10, 5000, 1e9) == 10);
  /* nearly unique keys: they grow with the rows */
  ck_assert(fabs(dusk_groups_estimate(4900, 5000, 1e6) - 980000) < 1);
  /* a sketch estimate past the rows counts as every row */
  ck_assert(dusk_groups_estimate(6000, 5000, 1e6) == 1e6);
  /* the whole file sampled: what the sample saw */
  ck_assert(dusk_groups_estimate(4900, 5000, 5000) == 4900);
  ck_assert(dusk_groups_estimate(0, 0, 1e6) == 0);
}
END_TEST

START_TEST(test_auto_split_out) {
  uint64_t gib = 1ULL << 30;
  ck_assert_uint_eq(dusk_auto_split_out(100e6, gib, 64), 0); /* fits */
  ck_assert_uint_eq(dusk_auto_split_out(1e9, 0, 64), 0);     /* unknown */
  ck_assert_uint_eq(dusk_auto_split_out(1e9, gib, 1), 0);    /* one scan */
  /* past a quarter of the limit: parts of at most an eighth */
  ck_assert_uint_eq(dusk_auto_split_out(0.3 * (double)gib, gib, 64), 3);
  ck_assert_uint_eq(dusk_auto_split_out(0.26 * (double)gib, gib, 64), 3);
  ck_assert_uint_eq(dusk_auto_split_out(1e12, gib, 64), DUSK_AUTO_SPLIT_MAX);
  ck_assert_uint_eq(dusk_auto_split_out(1e12, gib, 5), 5);
  ck_assert_uint_eq(dusk_auto_split_out(NAN, gib, 64), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("groupest");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_sketch_counts_distinct_values);
  tcase_add_test(tc, test_groups_estimate);
  tcase_add_test(tc, test_auto_split_out);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
