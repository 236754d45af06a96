/* rangepart.c - range partitions of a sorted frame (rangepart.h). */
#include "rangepart.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int dusk_rangepart_keys(const dusk_table *t, const dusk_plan *sort, int *cols,
                        dusk_error *err) {
  if (sort->ncolumns == 0 || sort->ncolumns > 64 ||
      sort->nascending != sort->ncolumns)
    return dusk_error_set(err, DUSK_EINVAL,
                          "sort_values: %zu keys, %zu flags (1 to 64 keys)",
                          sort->ncolumns, sort->nascending);
  for (size_t k = 0; k < sort->ncolumns; k++)
    if ((cols[k] = dusk_table_column_index(t, sort->columns[k])) < 0)
      return dusk_error_set(err, DUSK_ENOTFOUND,
                            "sort_values: no column '%s' among the rows",
                            sort->columns[k]);
  return 0;
}

int dusk_rangepart_sample(const dusk_table *rows, dusk_table **out) {
  size_t n = rows->nrows, k = n < DUSK_RANGEPART_SAMPLE ? n
                                                        : DUSK_RANGEPART_SAMPLE;
  size_t *pick = calloc(k ? k : 1, sizeof *pick);
  int rc;
  if (pick == NULL)
    return DUSK_ENOMEM;
  for (size_t i = 0; i < k; i++) /* the middle of each of k equal spans */
    pick[i] = (size_t)(((uint64_t)(2 * i + 1) * n) / (2 * k));
  rc = dusk_table_take(rows, pick, k, out);
  free(pick);
  return rc;
}

int dusk_rangepart_cuts(dusk_table *const *samples, size_t n,
                        const dusk_plan *sort, uint32_t nparts,
                        dusk_table **out, dusk_error *err) {
  dusk_table *all = NULL;
  size_t *order = NULL, *pick = NULL, ncuts = 0;
  int cols[64], rc = 0;
  *out = NULL;
  if (n == 0 || nparts < 2)
    return dusk_error_set(err, DUSK_EINVAL,
                          "range cuts: %zu samples, %u parts (2 or more)", n,
                          nparts);
  if ((rc = dusk_table_take(samples[0], NULL, 0, &all)) != 0)
    return dusk_error_set(err, rc, "range cuts: %s", dusk_strerror(rc));
  for (size_t i = 0; i < n; i++) {
    if (samples[i]->ncols != all->ncols) {
      rc = dusk_error_set(err, DUSK_EINVAL,
                          "range cuts: sample %zu has %zu columns, sample 0 "
                          "%zu",
                          i, samples[i]->ncols, all->ncols);
      goto out;
    }
    if ((rc = dusk_table_append_rows(all, samples[i], 0,
                                     samples[i]->nrows)) != 0) {
      dusk_error_set(err, rc, "range cuts: %s", dusk_strerror(rc));
      goto out;
    }
  }
  if ((rc = dusk_rangepart_keys(all, sort, cols, err)) != 0)
    goto out;
  order = calloc(all->nrows + 1, sizeof *order);
  pick = calloc(nparts, sizeof *pick);
  if (order == NULL || pick == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "range cuts: out of memory");
    goto out;
  }
  dusk_table_sort_order(all, cols, sort->ascending, sort->ncolumns, order);
  /* cut k (1..nparts-1) at k/nparts of the sorted samples */
  for (uint32_t k = 1; k < nparts && all->nrows > 0; k++) {
    size_t at = (size_t)(((uint64_t)k * all->nrows) / nparts);
    if (at < all->nrows)
      pick[ncuts++] = order[at];
  }
  rc = dusk_table_take(all, pick, ncuts, out);
  if (rc != 0)
    dusk_error_set(err, rc, "range cuts: %s", dusk_strerror(rc));
out:
  free(order);
  free(pick);
  dusk_table_free(all);
  return rc;
}

int dusk_rangepart_assign(const dusk_table *rows, const dusk_table *cuts,
                          const dusk_plan *sort, uint32_t *part,
                          dusk_error *err) {
  int rcols[64], ccols[64], rc;
  if ((rc = dusk_rangepart_keys(rows, sort, rcols, err)) != 0 ||
      (rc = dusk_rangepart_keys(cuts, sort, ccols, err)) != 0)
    return rc;
  for (size_t k = 0; k < sort->ncolumns; k++)
    if (rows->cols[rcols[k]].type != cuts->cols[ccols[k]].type)
      return dusk_error_set(err, DUSK_ETYPE,
                            "sort_values: column '%s' is %s in these rows "
                            "and %s in the cuts",
                            sort->columns[k],
                            dusk_type_name(rows->cols[rcols[k]].type),
                            dusk_type_name(cuts->cols[ccols[k]].type));
  for (size_t r = 0; r < rows->nrows; r++) {
    size_t lo = 0, hi = cuts->nrows; /* the first cut above row r */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (dusk_table_rows_cmp(cuts, ccols, mid, rows, rcols, r,
                              sort->ascending, sort->ncolumns) <= 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    part[r] = (uint32_t)lo;
  }
  return 0;
}
