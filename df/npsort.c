/* npsort.c - numpy 1.24's argsort quicksort (see npsort.h).  Written
 * after numpy/core/src/npysort/quicksort.cpp (aquicksort_) and
 * heapsort.cpp (aheapsort_), which are BSD-licensed; every comparison and
 * swap is where numpy has it, since the order of ties depends on them. */
#include "npsort.h"

#include "errors.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* spans of up to this many elements are insertion-sorted (checked against
 * numpy 1.24: a span of 17 is partitioned, one of 16 is not) */
#define SMALL_QUICKSORT 16
#define QS_STACK 128 /* numpy's PYA_QS_STACK: 2 * bits of npy_intp */

/* numpy's float less-than: NaN sorts after every number */
static bool np_less(double a, double b) { return a < b || (b != b && a == a); }

static bool double_less(const void *ctx, size_t a, size_t b) {
  const double *v = ctx;
  return np_less(v[a], v[b]);
}

static void swap_idx(size_t *a, size_t *b) {
  size_t t = *a;
  *a = *b;
  *b = t;
}

/* numpy's npy_get_msb: the index of the highest set bit */
static int get_msb(size_t n) {
  int depth = 0;
  while (n >>= 1)
    depth++;
  return depth;
}

/* aheapsort_'s sift: tmp moves down from a[i] in the heap a[1..n] */
static void sift_down(dusk_np_less less, const void *ctx, size_t *a, size_t i,
                      size_t tmp, size_t n) {
  size_t j;
  for (j = i << 1; j <= n;) {
    if (j < n && less(ctx, a[j], a[j + 1]))
      j += 1;
    if (less(ctx, tmp, a[j])) {
      a[i] = a[j];
      i = j;
      j += j;
    } else {
      break;
    }
  }
  a[i] = tmp;
}

/* aheapsort_ over tosort[0..n) */
static void aheapsort(dusk_np_less less, const void *ctx, size_t *tosort,
                      size_t n) {
  size_t *a = tosort - 1; /* 1-based, as numpy indexes its heap */
  size_t l, tmp;
  for (l = n >> 1; l > 0; --l)
    sift_down(less, ctx, a, l, a[l], n);
  for (; n > 1;) {
    tmp = a[n];
    a[n] = a[1];
    n -= 1;
    sift_down(less, ctx, a, 1, tmp, n);
  }
}

/* The pivot is kept as an index (numpy keeps a pointer to its element):
 * the element does not move, only indexes do. */
void dusk_np_argsort_by(dusk_np_less less, const void *ctx, size_t *order,
                        size_t n) {
  size_t *pl, *pr, *stack[QS_STACK], **sptr = stack;
  size_t *pm, *pi, *pj, *pk, vi, vp;
  int depth[QS_STACK], *psdepth = depth, cdepth;
  if (n < 2)
    return;
  pl = order;
  pr = order + n - 1;
  cdepth = get_msb(n) * 2;
  for (;;) {
    if (cdepth < 0) {
      aheapsort(less, ctx, pl, (size_t)(pr - pl) + 1);
      goto stack_pop;
    }
    while (pr - pl + 1 > SMALL_QUICKSORT) {
      pm = pl + ((pr - pl) >> 1);
      if (less(ctx, *pm, *pl))
        swap_idx(pm, pl);
      if (less(ctx, *pr, *pm))
        swap_idx(pr, pm);
      if (less(ctx, *pm, *pl))
        swap_idx(pm, pl);
      vp = *pm;
      pi = pl;
      pj = pr - 1;
      swap_idx(pm, pj);
      for (;;) {
        do
          ++pi;
        while (less(ctx, *pi, vp));
        do
          --pj;
        while (less(ctx, vp, *pj));
        if (pi >= pj)
          break;
        swap_idx(pi, pj);
      }
      pk = pr - 1;
      swap_idx(pi, pk);
      /* the larger partition waits on the stack */
      if (pi - pl < pr - pi) {
        *sptr++ = pi + 1;
        *sptr++ = pr;
        pr = pi - 1;
      } else {
        *sptr++ = pl;
        *sptr++ = pi - 1;
        pl = pi + 1;
      }
      *psdepth++ = --cdepth;
    }
    /* insertion sort */
    for (pi = pl + 1; pi <= pr; ++pi) {
      vi = *pi;
      pj = pi;
      pk = pi - 1;
      while (pj > pl && less(ctx, vi, *pk))
        *pj-- = *pk--;
      *pj = vi;
    }
  stack_pop:
    if (sptr == stack)
      break;
    pr = *(--sptr);
    pl = *(--sptr);
    cdepth = *(--psdepth);
  }
}

void dusk_np_argsort(const double *v, size_t n, size_t *order) {
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  dusk_np_argsort_by(double_less, v, order, n);
}

int dusk_np_argsort_desc(const double *v, size_t n, size_t *order) {
  double *rev;
  size_t *perm;
  if (n == 0)
    return 0;
  rev = malloc(n * sizeof *rev);
  perm = malloc(n * sizeof *perm);
  if (rev == NULL || perm == NULL) {
    free(rev);
    free(perm);
    return DUSK_ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    rev[i] = v[n - 1 - i];
  dusk_np_argsort(rev, n, perm);
  /* indexer = rev_idx[perm], then reversed */
  for (size_t j = 0; j < n; j++)
    order[j] = n - 1 - perm[n - 1 - j];
  free(rev);
  free(perm);
  return 0;
}
