/* check_faillimit.c - the HTTP endpoint's wrong-token limit
 * (scheduler/faillimit.h): a burst of tries per address, one back per
 * refill period, addresses kept apart, and a full table that evicts the
 * least suspect address rather than forgetting a guesser. */
#include "faillimit.h"
#include "testutil.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

static const uint8_t A[4] = {10, 0, 0, 1}, B[4] = {10, 0, 0, 2};

START_TEST(test_burst_then_one_per_period) {
  dusk_fail_limiter *l = calloc(1, sizeof *l);
  uint64_t t = 1000;
  for (int i = 0; i < DUSK_FAIL_BURST; i++) {
    ck_assert_uint_eq(dusk_fail_wait_ms(l, A, 4, t), 0);
    dusk_fail_count(l, A, 4, t);
  }
  ck_assert_uint_eq(dusk_fail_wait_ms(l, A, 4, t), DUSK_FAIL_REFILL_MS);
  ck_assert_uint_eq(dusk_fail_wait_ms(l, A, 4, t + 1000),
                    DUSK_FAIL_REFILL_MS - 1000);
  ck_assert_uint_eq(dusk_fail_wait_ms(l, B, 4, t), 0); /* another address */
  ck_assert_uint_eq(dusk_fail_wait_ms(l, A, 16, t), 0); /* another length */
  /* One try back after a period, used at once; the part of the next
   * period already served is kept. */
  t += DUSK_FAIL_REFILL_MS + 500;
  ck_assert_uint_eq(dusk_fail_wait_ms(l, A, 4, t), 0);
  dusk_fail_count(l, A, 4, t);
  ck_assert_uint_eq(dusk_fail_wait_ms(l, A, 4, t), DUSK_FAIL_REFILL_MS - 500);
  /* Long quiet: the whole burst back, never more. */
  t += 100 * (uint64_t)DUSK_FAIL_REFILL_MS;
  for (int i = 0; i < DUSK_FAIL_BURST; i++)
    dusk_fail_count(l, A, 4, t);
  ck_assert_uint_gt(dusk_fail_wait_ms(l, A, 4, t), 0);
  free(l);
}
END_TEST

START_TEST(test_full_table_keeps_the_guesser) {
  dusk_fail_limiter *l = calloc(1, sizeof *l);
  uint64_t t = 5;
  for (int i = 0; i < DUSK_FAIL_BURST; i++)
    dusk_fail_count(l, A, 4, t);
  /* Every other slot taken by addresses that failed once. */
  for (uint32_t i = 0; i < 2 * DUSK_FAIL_SLOTS; i++) {
    uint8_t k[4] = {192, 168, (uint8_t)(i >> 8), (uint8_t)i};
    dusk_fail_count(l, k, 4, t);
  }
  ck_assert_uint_gt(dusk_fail_wait_ms(l, A, 4, t), 0);
  /* Bad keys are ignored, never stored or read past. */
  dusk_fail_count(l, A, 0, t);
  dusk_fail_count(l, A, DUSK_FAIL_KEY_MAX + 1, t);
  ck_assert_uint_eq(dusk_fail_wait_ms(l, A, 0, t), 0);
  free(l);
}
END_TEST

int main(void) {
  Suite *s = suite_create("faillimit");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_burst_then_one_per_period);
  tcase_add_test(tc, test_full_table_keeps_the_guesser);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
