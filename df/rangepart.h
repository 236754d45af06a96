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

/* part[r] for each row r of rows: the number of cuts at or below it. */
int dusk_rangepart_assign(const dusk_table *rows, const dusk_table *cuts,
                          const dusk_plan *sort, uint32_t *part,
                          dusk_error *err);

#endif
