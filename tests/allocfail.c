/* allocfail.c - the --wrap allocators behind allocfail.h.  One process
 * thread at a time arms them (the suites are single-threaded; the counter
 * is atomic only so that a stray allocation on another thread cannot
 * corrupt it). */
#include "allocfail.h"

#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long left = -1;

void tu_alloc_fail_after(long n) {
  __atomic_store_n(&left, n < 0 ? -1 : n, __ATOMIC_SEQ_CST);
}

long tu_alloc_left(void) { return __atomic_load_n(&left, __ATOMIC_SEQ_CST); }

static int alloc_fails(void) {
  long n = __atomic_load_n(&left, __ATOMIC_SEQ_CST);
  while (n > 0 && !__atomic_compare_exchange_n(&left, &n, n - 1, 0,
                                               __ATOMIC_SEQ_CST,
                                               __ATOMIC_SEQ_CST))
    ;
  return n == 0;
}

void *__wrap_malloc(size_t n) {
  return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
  return alloc_fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
  return alloc_fails() ? NULL : __real_realloc(p, n);
}
