/* rangepart.h - a whole frame's rows range-partitioned by sort keys.
 *
 * sort_values(by).to_csv(dir) writes a frame too large for one task: each
 * scan's rows are cut into nparts parts by key ranges, part j of every
 * scan goes to one task, which sorts them and writes file j, so the files
 * in order are the frame in order.  The ranges come from the data: each
 * scan's rows give an evenly spaced sample, the samples sorted give the
 * nparts - 1 cut rows, and a row goes to the part of the first cut above
 * it (rows equal to a cut go after it, so equal keys always share a
 * part).  Cuts only balance the parts: any cuts give the same files'
 * concatenation.
 *
 * Keys compare as the sort does (table.h dusk_table_sort_order): each by
 * column in its direction, nulls (and NaN) last in either, strings by
 * bytes, False before True. */
#ifndef DUSK_RANGEPART_H
#define DUSK_RANGEPART_H

#include "errors.h"
#include "plan.h"
#include "table.h"

#include <stddef.h>
#include <stdint.h>

/* Rows a scan's sample holds at most. */
#define DUSK_RANGEPART_SAMPLE 256

/* The columns of t that sort's by names, into cols[0..sort->ncolumns)
 * (at most 64).  0, or DUSK_ENOTFOUND / DUSK_EINVAL with err set. */
int dusk_rangepart_keys(const dusk_table *t, const dusk_plan *sort, int *cols,
                        dusk_error *err);

/* Up to DUSK_RANGEPART_SAMPLE of rows' rows, evenly spaced, whole. */
int dusk_rangepart_sample(const dusk_table *rows, dusk_table **out);

/* The nparts - 1 cut rows of the samples samples[0..n) (tables of the
 * same columns): concatenated, sorted by the keys, taken at even
 * positions - a row repeated when the samples hold fewer rows than parts
 * (the parts between two equal cuts are empty); none when the samples
 * hold no row. */
int dusk_rangepart_cuts(dusk_table *const *samples, size_t n,
                        const dusk_plan *sort, uint32_t nparts,
                        dusk_table **out, dusk_error *err);

/* part[r] for each row r of rows: the number of cuts at or below it.
 * When sort has divisions (plan.h), cuts is dusk_rangepart_given's table
 * (the nparts + 1 boundaries): the inner ones cut, and a key below the
 * first or above the last (nulls and NaN aside, which go last) fails
 * with DUSK_EINVAL, naming the key and the boundaries. */
int dusk_rangepart_assign(const dusk_table *rows, const dusk_table *cuts,
                          const dusk_plan *sort, uint32_t *part,
                          dusk_error *err);
/* The same, but a key outside the divisions goes to the first or last
 * part and does not fail the call: *outside is then the first such row
 * (else SIZE_MAX) and why holds the message dusk_rangepart_assign would
 * fail with.  A split cuts rows whose range's quote-state guess may yet
 * prove wrong (garbage keys), so it defers that error to the part's
 * final, which checks the ranges first (worker/dfops.c). */
int dusk_rangepart_assign_deferred(const dusk_table *rows,
                                   const dusk_table *cuts,
                                   const dusk_plan *sort, uint32_t *part,
                                   size_t *outside, dusk_error *why,
                                   dusk_error *err);

/* Range partitions with divisions (Dask's set_index divisions=,
 * .divisions): of one key, ascending (plan.h SORT_VALUES nparts,
 * divisions, divisions_only). */

/* Appends to sample the rows of rows whose key is the least and the
 * greatest non-null one (none when every key is null), so the samples
 * hold the frame's exact bounds.  0, or an error with err set. */
int dusk_rangepart_add_bounds(const dusk_table *rows, const dusk_plan *sort,
                              dusk_table *sample, dusk_error *err);
/* The divisions the samples give (each with dusk_rangepart_add_bounds'
 * rows): a table of the key column alone, the least non-null key, the
 * nparts - 1 cuts of the non-null keys, the greatest non-null key, a
 * repeated boundary kept once but for the last (Dask's); no row when no
 * key is non-null.  logical: the key's logical type (value.h), marked on
 * the column. */
int dusk_rangepart_divisions(dusk_table *const *samples, size_t n,
                             const dusk_plan *sort, uint32_t nparts,
                             dusk_type logical, dusk_table **out,
                             dusk_error *err);
/* sort's divisions as a table of the key column, typed as that column is
 * in like (a sample): ints take ints and floats (a float bound rounded to
 * the ints it holds: up for a lower bound, down for the last, upper one),
 * floats numbers, strings strings, bools bools, a datetime key (logical)
 * ints of nanoseconds or date strings (a timedelta key ints of
 * nanoseconds), a bool key bools or 0 and 1.  Refused (DUSK_ETYPE,
 * DUSK_EINVAL) when a value does not fit the key or they are not sorted
 * (equal ones leave empty parts between them; Python refuses them as Dask
 * does, but for the last two). */
int dusk_rangepart_given(const dusk_table *like, const dusk_plan *sort,
                         dusk_type logical, dusk_table **out,
                         dusk_error *err);

#endif
