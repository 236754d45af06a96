/* check_heap.c - the scheduler's ready heap: order, removal from the
 * middle, and positions kept in the items. */
#include "heap.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>

#define N 5000

START_TEST(test_pops_in_priority_order) {
  static dusk_heap_item items[N];
  dusk_heap h;
  uint64_t last = 0;
  dusk_heap_init(&h);
  srand(7);
  for (int i = 0; i < N; i++) {
    items[i].priority = (uint64_t)(rand() % 1000);
    items[i].index = -1;
    dusk_heap_push(&h, &items[i]);
  }
  for (int i = 0; i < N; i++) {
    dusk_heap_item *it = dusk_heap_pop(&h);
    ck_assert_ptr_nonnull(it);
    ck_assert_uint_ge(it->priority, last);
    ck_assert_int_eq(it->index, -1);
    last = it->priority;
  }
  ck_assert_ptr_null(dusk_heap_pop(&h));
  dusk_heap_destroy(&h);
}
END_TEST

START_TEST(test_remove_keeps_heap_valid) {
  static dusk_heap_item items[N];
  dusk_heap h;
  uint64_t last = 0;
  int popped = 0;
  dusk_heap_init(&h);
  for (int i = 0; i < N; i++) {
    items[i].priority = (uint64_t)((i * 7919) % N);
    items[i].index = -1;
    dusk_heap_push(&h, &items[i]);
  }
  /* Remove every third item from wherever it sits. */
  for (int i = 0; i < N; i += 3) {
    dusk_heap_remove(&h, &items[i]);
    ck_assert_int_eq(items[i].index, -1);
    dusk_heap_remove(&h, &items[i]); /* removing twice is harmless */
  }
  for (int i = 0; i < N; i++)
    if (items[i].index >= 0)
      ck_assert_ptr_eq(h.items[items[i].index], &items[i]);
  while (dusk_heap_peek(&h) != NULL) {
    dusk_heap_item *it = dusk_heap_pop(&h);
    ck_assert_uint_ge(it->priority, last);
    ck_assert_int_ne((int)((it - items) % 3), 0);
    last = it->priority;
    popped++;
  }
  ck_assert_int_eq(popped, N - (N + 2) / 3);
  dusk_heap_destroy(&h);
}
END_TEST

int main(void) {
  Suite *s = suite_create("heap");
  TCase *tc = tcase_create("heap");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_pops_in_priority_order);
  tcase_add_test(tc, test_remove_keeps_heap_valid);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
