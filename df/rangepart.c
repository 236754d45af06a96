/* rangepart.c - range partitions of a sorted frame (rangepart.h). */
#include "rangepart.h"

#include "fieldparse.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
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

/* The samples samples[0..n) (tables of the same columns) as one new
 * table *all, for nparts >= 1 parts; what names the caller in errors. */
static int all_samples(dusk_table *const *samples, size_t n, uint32_t nparts,
                       const char *what, dusk_table **all, dusk_error *err) {
  int rc;
  *all = NULL;
  if (n == 0 || nparts < 1)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: %zu samples, %u parts (1 or more)", what, n,
                          nparts);
  if ((rc = dusk_table_take(samples[0], NULL, 0, all)) != 0)
    return dusk_error_set(err, rc, "%s: %s", what, dusk_strerror(rc));
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (samples[i]->ncols != (*all)->ncols)
      rc = dusk_error_set(err, DUSK_EINVAL,
                          "%s: sample %zu has %zu columns, sample 0 %zu",
                          what, i, samples[i]->ncols, (*all)->ncols);
    else if ((rc = dusk_table_append_rows(*all, samples[i], 0,
                                          samples[i]->nrows)) != 0)
      dusk_error_set(err, rc, "%s: %s", what, dusk_strerror(rc));
  }
  if (rc != 0) {
    dusk_table_free(*all);
    *all = NULL;
  }
  return rc;
}

int dusk_rangepart_cuts(dusk_table *const *samples, size_t n,
                        const dusk_plan *sort, uint32_t nparts,
                        dusk_table **out, dusk_error *err) {
  dusk_table *all = NULL;
  size_t *order = NULL, *pick = NULL, ncuts = 0;
  int cols[64], rc = 0;
  *out = NULL;
  if ((rc = all_samples(samples, n, nparts, "range cuts", &all, err)) != 0)
    return rc;
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

/* Whether row r's key (column c) is null or NaN: it sorts last. */
static bool key_null(const dusk_table *t, int c, size_t r) {
  const dusk_table_column *col = &t->cols[c];
  return !col->valid[r] || (col->type == DUSK_TYPE_FLOAT64 &&
                            isnan(col->f64[r]));
}

/* Row r's key (column c, of logical type logical) as pandas prints it,
 * clipped, into out (at least 80 bytes). */
static void key_text(const dusk_table *t, int c, size_t r, dusk_type logical,
                     char *out) {
  dusk_value v;
  dusk_table_get(t, (size_t)c, r, &v);
  switch (v.type) {
  case DUSK_TYPE_BOOL: strcpy(out, v.u.b ? "True" : "False"); return;
  case DUSK_TYPE_INT64:
    if (logical == DUSK_TYPE_DATETIME) {
      static const uint8_t valid = 1;
      out[0] = '\'';
      out[1 + dusk_format_datetime(
                  v.u.i, dusk_time_digits(&v.u.i, &valid, 1, 1), out + 1)] =
          '\0';
      strcat(out, "'");
    } else {
      snprintf(out, 80, "%" PRId64, v.u.i);
    }
    return;
  case DUSK_TYPE_FLOAT64: out[dusk_table_format_float(v.u.f, out)] = '\0';
    return;
  case DUSK_TYPE_STRING: {
    size_t n = v.u.s.len;
    if (n > 60) { /* clipped at a UTF-8 character's start */
      n = 60;
      while (n > 0 && ((unsigned char)v.u.s.ptr[n] & 0xC0) == 0x80)
        n--;
    }
    snprintf(out, 80, "'%.*s%s'", (int)n, v.u.s.ptr,
             n < v.u.s.len ? "..." : "");
    return;
  }
  default: strcpy(out, "NaN"); return;
  }
}

/* The first of the cuts lo..hi-1 above row r of rows (hi when none is):
 * the part index a binary search gives, rows equal to a cut going after
 * it. */
static size_t first_cut_above(const dusk_table *cuts, const int *ccols,
                              size_t lo, size_t hi, const dusk_table *rows,
                              const int *rcols, size_t r,
                              const dusk_plan *sort) {
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (dusk_table_rows_cmp(cuts, ccols, mid, rows, rcols, r,
                            sort->ascending, sort->ncolumns) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* The divisions' check and cut of rows (dusk_rangepart_assign); with
 * outside, a key outside them goes to the first or last part, *outside
 * the first such row and why its message, and the call goes on. */
static int assign_divisions(const dusk_table *rows, const int *rcols,
                            const dusk_table *cuts, const int *ccols,
                            const dusk_plan *sort, uint32_t *part,
                            size_t *outside, dusk_error *why,
                            dusk_error *err) {
  size_t last = cuts->nrows - 1;
  if (outside != NULL)
    *outside = SIZE_MAX;
  if (cuts->nrows != sort->ndivisions || cuts->nrows < 2)
    return dusk_error_set(err, DUSK_EPROTO,
                          "set_index: %zu division rows for %zu divisions",
                          cuts->nrows, sort->ndivisions);
  for (size_t r = 0; r < rows->nrows; r++) {
    size_t lo = 1, hi = last; /* the inner cuts */
    int below = 0, above = 0;
    if (!key_null(rows, rcols[0], r)) {
      below = dusk_table_rows_cmp(rows, rcols, r, cuts, ccols, 0,
                                  sort->ascending, 1) < 0;
      above = dusk_table_rows_cmp(rows, rcols, r, cuts, ccols, last,
                                  sort->ascending, 1) > 0;
    }
    if ((below || above) && (outside == NULL || *outside == SIZE_MAX)) {
      dusk_type l = cuts->cols[ccols[0]].logical;
      char v[80], a[80], b[80];
      key_text(rows, rcols[0], r, l, v);
      key_text(cuts, ccols[0], 0, l, a);
      key_text(cuts, ccols[0], last, l, b);
      dusk_error_set(outside != NULL ? why : err, DUSK_EINVAL,
                     "set_index: column '%s' holds %s, outside the "
                     "divisions %s to %s (divisions= must cover every "
                     "value: the first at or below the least, the last at "
                     "or above the greatest)",
                     sort->columns[0], v, a, b);
      if (outside == NULL)
        return DUSK_EINVAL;
      *outside = r;
    }
    if (below || above) {
      part[r] = below ? 0 : (uint32_t)(last - 1);
      continue;
    }
    part[r] = (uint32_t)(first_cut_above(cuts, ccols, lo, hi, rows, rcols,
                                         r, sort) - 1);
  }
  return 0;
}

/* dusk_rangepart_assign and dusk_rangepart_assign_deferred. */
static int assign(const dusk_table *rows, const dusk_table *cuts,
                  const dusk_plan *sort, uint32_t *part, size_t *outside,
                  dusk_error *why, dusk_error *err) {
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
  if (sort->ndivisions > 0)
    return assign_divisions(rows, rcols, cuts, ccols, sort, part, outside,
                            why, err);
  if (outside != NULL)
    *outside = SIZE_MAX;
  for (size_t r = 0; r < rows->nrows; r++) {
    part[r] = (uint32_t)first_cut_above(cuts, ccols, 0, cuts->nrows, rows,
                                        rcols, r, sort);
  }
  return 0;
}

int dusk_rangepart_assign(const dusk_table *rows, const dusk_table *cuts,
                          const dusk_plan *sort, uint32_t *part,
                          dusk_error *err) {
  return assign(rows, cuts, sort, part, NULL, NULL, err);
}

int dusk_rangepart_assign_deferred(const dusk_table *rows,
                                   const dusk_table *cuts,
                                   const dusk_plan *sort, uint32_t *part,
                                   size_t *outside, dusk_error *why,
                                   dusk_error *err) {
  return assign(rows, cuts, sort, part, outside, why, err);
}

/* The one ascending key divisions need, its column in t into *col. */
static int division_key(const dusk_table *t, const dusk_plan *sort,
                        int *col, dusk_error *err) {
  if (sort->ncolumns != 1 || sort->nascending != 1 || !sort->ascending[0])
    return dusk_error_set(err, DUSK_EINVAL,
                          "divisions: of one ascending key (set_index of "
                          "one column), not %zu",
                          sort->ncolumns);
  return dusk_rangepart_keys(t, sort, col, err);
}

int dusk_rangepart_add_bounds(const dusk_table *rows, const dusk_plan *sort,
                              dusk_table *sample, dusk_error *err) {
  size_t lo = 0, hi = 0, r = 0;
  int c, rc;
  if ((rc = division_key(rows, sort, &c, err)) != 0)
    return rc;
  while (r < rows->nrows && key_null(rows, c, r))
    r++;
  if (r == rows->nrows)
    return 0;
  lo = hi = r;
  for (; r < rows->nrows; r++) {
    if (key_null(rows, c, r))
      continue;
    if (dusk_table_rows_cmp(rows, &c, r, rows, &c, lo, sort->ascending, 1) <
        0)
      lo = r;
    else if (dusk_table_rows_cmp(rows, &c, r, rows, &c, hi, sort->ascending,
                                 1) > 0)
      hi = r;
  }
  if ((rc = dusk_table_append_rows(sample, rows, lo, 1)) != 0 ||
      (rc = dusk_table_append_rows(sample, rows, hi, 1)) != 0)
    return dusk_error_set(err, rc, "divisions: %s", dusk_strerror(rc));
  return 0;
}

int dusk_rangepart_divisions(dusk_table *const *samples, size_t n,
                             const dusk_plan *sort, uint32_t nparts,
                             dusk_type logical, dusk_table **out,
                             dusk_error *err) {
  dusk_table *all = NULL, *picked = NULL;
  size_t *order = NULL, *pick = NULL, npick = 0, nvalid = 0, keep = 0;
  int c, rc;
  *out = NULL;
  if ((rc = all_samples(samples, n, nparts, "divisions", &all, err)) != 0)
    return rc;
  if ((rc = division_key(all, sort, &c, err)) != 0)
    goto out;
  order = calloc(all->nrows + 1, sizeof *order);
  pick = calloc((size_t)nparts + 2, sizeof *pick);
  if (order == NULL || pick == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "divisions: out of memory");
    goto out;
  }
  dusk_table_sort_order(all, &c, sort->ascending, 1, order);
  while (nvalid < all->nrows && !key_null(all, c, order[nvalid]))
    nvalid++; /* nulls sort last */
  if (nvalid > 0) {
    pick[npick++] = order[0];
    for (uint32_t k = 1; k < nparts; k++)
      pick[npick++] = order[((uint64_t)k * nvalid) / nparts];
    pick[npick++] = order[nvalid - 1];
    /* a boundary equal to the one before goes, but for the last */
    for (size_t i = 0; i < npick; i++)
      if (keep == 0 || i == npick - 1 ||
          dusk_table_rows_cmp(all, &c, pick[i], all, &c, pick[keep - 1],
                              sort->ascending, 1) != 0)
        pick[keep++] = pick[i];
  }
  if ((rc = dusk_table_take(all, pick, keep, &picked)) == 0) {
    size_t col = (size_t)c;
    rc = dusk_table_columns(picked, &col, 1, 0, out);
  }
  if (rc != 0)
    dusk_error_set(err, rc, "divisions: %s", dusk_strerror(rc));
  else if (dusk_type_is_logical(logical))
    (*out)->cols[0].logical = logical;
out:
  free(order);
  free(pick);
  dusk_table_free(all);
  dusk_table_free(picked);
  return rc;
}

/* Division i of sort as a value of a key column of type `type` (logical:
 * its logical type) into *v; is_last: the upper bound (a float rounds
 * down into an int key, else up). */
static int division_value(const dusk_plan *sort, size_t i, dusk_type type,
                          dusk_type logical, bool is_last, dusk_value *v,
                          dusk_error *err) {
  const dusk_value *d = &sort->divisions[i];
  memset(v, 0, sizeof *v);
  v->type = type;
  if (type == DUSK_TYPE_INT64 && dusk_type_is_logical(logical)) {
    if (d->type == DUSK_TYPE_INT64 || dusk_type_is_logical(d->type)) {
      v->u.i = d->u.i;
      return 0;
    }
    if (d->type == DUSK_TYPE_STRING && logical == DUSK_TYPE_DATETIME &&
        dusk_field_parse_datetime(d->u.s.ptr, d->u.s.len, &v->u.i) == 0)
      return 0;
  } else if (type == DUSK_TYPE_INT64) {
    if (d->type == DUSK_TYPE_INT64) {
      v->u.i = d->u.i;
      return 0;
    }
    if (d->type == DUSK_TYPE_FLOAT64 && isfinite(d->u.f)) {
      double f = is_last ? floor(d->u.f) : ceil(d->u.f);
      if (f >= -9223372036854775808.0 && f < 9223372036854775808.0) {
        v->u.i = (int64_t)f;
        return 0;
      }
    }
  } else if (type == DUSK_TYPE_FLOAT64) {
    if (d->type == DUSK_TYPE_INT64 || d->type == DUSK_TYPE_FLOAT64) {
      v->u.f = d->type == DUSK_TYPE_INT64 ? (double)d->u.i : d->u.f;
      return 0;
    }
  } else if (type == d->type &&
             (type == DUSK_TYPE_STRING || type == DUSK_TYPE_BOOL)) {
    *v = *d;
    return 0;
  } else if (type == DUSK_TYPE_BOOL && d->type == DUSK_TYPE_INT64 &&
             (d->u.i == 0 || d->u.i == 1)) {
    v->u.b = d->u.i == 1; /* False and True as 0 and 1 (dusk.h) */
    return 0;
  }
  return dusk_error_set(
      err, DUSK_ETYPE, "set_index: division %zu (%s) does not fit column "
      "'%s' (%s)", i, d->type == DUSK_TYPE_STRING ? "a string"
                      : dusk_type_name(d->type),
      sort->columns[0],
      dusk_type_is_logical(logical) ? dusk_type_name(logical)
                                    : dusk_type_name(type));
}

int dusk_rangepart_given(const dusk_table *like, const dusk_plan *sort,
                         dusk_type logical, dusk_table **out,
                         dusk_error *err) {
  dusk_table *t;
  dusk_type type;
  const char *name;
  int c, rc, zero = 0;
  *out = NULL;
  if ((rc = division_key(like, sort, &c, err)) != 0)
    return rc;
  if (sort->ndivisions < 2)
    return dusk_error_set(err, DUSK_EINVAL, "set_index: %zu divisions "
                          "(2 or more)", sort->ndivisions);
  type = like->cols[c].type;
  name = sort->columns[0];
  if ((t = dusk_table_new(&name, &type, 1, 0)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  if (dusk_type_is_logical(logical))
    t->cols[0].logical = logical;
  for (size_t i = 0; i < sort->ndivisions; i++) {
    dusk_value v;
    if ((rc = division_value(sort, i, type, logical,
                             i + 1 == sort->ndivisions, &v, err)) != 0)
      goto fail;
    if ((rc = dusk_table_append_row(t, &v)) != 0) {
      dusk_error_set(err, rc, "set_index: %s", dusk_strerror(rc));
      goto fail;
    }
    if (i > 0 && dusk_table_rows_cmp(t, &zero, i - 1, t, &zero, i,
                                     sort->ascending, 1) > 0) {
      char a[80], b[80];
      key_text(t, 0, i - 1, logical, a);
      key_text(t, 0, i, logical, b);
      rc = dusk_error_set(err, DUSK_EINVAL,
                          "set_index: the divisions are not sorted (%s, "
                          "then %s)", a, b);
      goto fail;
    }
  }
  *out = t;
  return 0;
fail:
  dusk_table_free(t);
  return rc;
}
