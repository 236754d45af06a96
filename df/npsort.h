/* npsort.h - numpy's default (unstable) sort, reproduced step by step.
 *
 * pandas 1.5 orders value_counts() by Series.sort_values(ascending=False),
 * whose default kind="quicksort" is numpy 1.24's introsort: values that
 * tie come out in an order fixed by that algorithm, not by first
 * appearance nor by value.  dusk gives pandas' exact order by running the
 * same algorithm on the same input order (npy_aquicksort: median of three,
 * insertion sort below 17 elements, heapsort past 2 * log2(n) levels).
 * numpy 1.25+ on AVX-512 machines sorts with another algorithm; pandas
 * documents ties there as arbitrary. */
#ifndef DUSK_NPSORT_H
#define DUSK_NPSORT_H

#include <stdbool.h>
#include <stddef.h>

/* a < b for the elements with indexes a and b of ctx's values (numpy's
 * Tag::less, or an object array's `<`) */
typedef bool (*dusk_np_less)(const void *ctx, size_t a, size_t b);

/* numpy's quicksort of order[0..n) (indexes of ctx's values, in their
 * input order) by less: np.argsort(kind="quicksort") when order starts as
 * 0..n-1.  Needs no memory. */
void dusk_np_argsort_by(dusk_np_less less, const void *ctx, size_t *order,
                        size_t n);

/* numpy's np.argsort(v[0..n), kind="quicksort") of float64 values
 * (NaN last): fills order[0..n) with indexes into v. */
void dusk_np_argsort(const double *v, size_t n, size_t *order);

/* pandas' nargsort(v, kind="quicksort", ascending=False) of values
 * without NaN, as Series.sort_values(ascending=False) orders them: the
 * input reversed, argsorted, and the result reversed.  0 or
 * DUSK_ENOMEM. */
int dusk_np_argsort_desc(const double *v, size_t n, size_t *order);

#endif
