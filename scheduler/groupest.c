/* groupest.c - group-count estimates and the automatic split_out
 * (groupest.h). */
#include "groupest.h"

#include <math.h>
#include <string.h>

void dusk_kmv_add(dusk_kmv *s, uint64_t hash) {
  uint32_t lo = 0, hi = s->n;
  if (s->n == DUSK_KMV_K && hash >= s->h[DUSK_KMV_K - 1])
    return; /* not among the K smallest (or the K-th itself) */
  while (lo < hi) { /* the first slot holding a hash >= this one */
    uint32_t mid = lo + (hi - lo) / 2;
    if (s->h[mid] < hash)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < s->n && s->h[lo] == hash)
    return;
  if (s->n < DUSK_KMV_K)
    s->n++;
  memmove(&s->h[lo + 1], &s->h[lo], (s->n - 1 - lo) * sizeof s->h[0]);
  s->h[lo] = hash;
}

double dusk_kmv_distinct(const dusk_kmv *s) {
  double kth;
  if (s->n < DUSK_KMV_K)
    return (double)s->n;
  kth = ((double)s->h[DUSK_KMV_K - 1] + 1.0) / 18446744073709551616.0;
  return (double)(DUSK_KMV_K - 1) / kth;
}

double dusk_groups_estimate(double distinct, uint64_t sample_rows,
                            double total_rows) {
  double ratio;
  if (sample_rows == 0 || distinct <= 0)
    return 0;
  ratio = distinct / (double)sample_rows;
  if (ratio > 1) /* the sketch's estimate can pass the rows */
    ratio = 1;
  if (ratio < 0.5 || total_rows <= (double)sample_rows)
    return distinct < (double)sample_rows ? distinct : (double)sample_rows;
  return ratio * total_rows;
}

uint32_t dusk_auto_split_out(double state_bytes, uint64_t memory_limit,
                             size_t nscans) {
  double share = (double)memory_limit * DUSK_TREE_SHARE, parts;
  size_t most = nscans < DUSK_AUTO_SPLIT_MAX ? nscans : DUSK_AUTO_SPLIT_MAX;
  if (memory_limit == 0 || nscans < 2 || !(state_bytes > share))
    return 0;
  parts = ceil(state_bytes / (share / 2));
  if (parts < 2)
    parts = 2;
  return parts > (double)most ? (uint32_t)most : (uint32_t)parts;
}
