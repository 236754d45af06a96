/* check_heapkeep.c - the freed memory a worker keeps and when it gives it
 * back early (worker/heapkeep.h): the kept share of the limit and its
 * bounds; no trim below the pressure share; the first trim above it; no
 * repeat until the resident size grew by half the kept share past the
 * last trim; a drop below the share starting over; no limit, no trim. */
#include "heapkeep.h"
#include "testutil.h"

#include <check.h>

#define MIB ((uint64_t)1 << 20)

START_TEST(test_keep_bytes) {
  ck_assert_uint_eq(dusk_heap_keep_bytes(0), 64 * MIB);
  ck_assert_uint_eq(dusk_heap_keep_bytes(2048 * MIB), 128 * MIB);
  ck_assert_uint_eq(dusk_heap_keep_bytes(64 * MIB), 4 * MIB);
  ck_assert_uint_eq(dusk_heap_keep_bytes(12288 * MIB), 256 * MIB);
}
END_TEST

START_TEST(test_trim_under_pressure) {
  uint64_t limit = 2048 * MIB, keep = dusk_heap_keep_bytes(limit), last = 0;
  /* 75% of 2 GiB is 1536 MiB */
  ck_assert(!dusk_heap_trim_now(1500 * MIB, limit, keep, &last));
  ck_assert(dusk_heap_trim_now(1536 * MIB, limit, keep, &last));
  last = 1500 * MIB; /* the caller's: resident after the trim */
  /* again only once grown by keep / 2 (64 MiB) past the last trim's */
  ck_assert(!dusk_heap_trim_now(1537 * MIB, limit, keep, &last));
  ck_assert(!dusk_heap_trim_now(1563 * MIB, limit, keep, &last));
  ck_assert_uint_eq(last, 1500 * MIB);
  ck_assert(dusk_heap_trim_now(1564 * MIB, limit, keep, &last));
  last = 1590 * MIB;
  ck_assert(!dusk_heap_trim_now(1650 * MIB, limit, keep, &last));
  ck_assert(dusk_heap_trim_now(1654 * MIB, limit, keep, &last));
  last = 1650 * MIB;
  /* below the share: the state starts over, and the next time above
   * trims at once */
  ck_assert(!dusk_heap_trim_now(1000 * MIB, limit, keep, &last));
  ck_assert_uint_eq(last, 0);
  ck_assert(dusk_heap_trim_now(1540 * MIB, limit, keep, &last));
  /* no limit: never */
  last = 0;
  ck_assert(!dusk_heap_trim_now(100000 * MIB, 0, keep, &last));
}
END_TEST

int main(void) {
  Suite *s = suite_create("heapkeep");
  TCase *tc = tcase_create("policy");
  tcase_add_test(tc, test_keep_bytes);
  tcase_add_test(tc, test_trim_under_pressure);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
