/* post.h - the steps on a computed result (plan.h: post steps), run by a
 * query's final task on the small result table, in pandas' semantics:
 *
 *   sort_values   stable, nulls last (table.h dusk_table_sort_order)
 *   head / tail   the first / last n rows
 *   query         the rows where the condition holds; it sees the index
 *                 and the value columns by name, as pandas' query does
 *   assign        a value column computed from index and value columns: a
 *                 new name goes last, an existing value column is replaced
 *                 in place
 *   select        these value columns, in this order (the index stays)
 *   rename        value columns renamed; names not there are ignored
 *                 (pandas' errors="ignore"); the index keeps its names
 *   reset_index   the index as leading value columns (an unnamed one as
 *                 "index", or "level_0" when "index" is taken), or dropped
 *                 (drop=True); the new index is 0..n-1, as pandas' RangeIndex
 *
 * Expressions see a result's int column that held a null in the files
 * (table.h source_na) as float64, which is what pandas holds there, so
 * `total / 2` or `n // 3` compute what pandas computes. */
#ifndef DUSK_POST_H
#define DUSK_POST_H

#include "errors.h"
#include "plan.h"
#include <stdbool.h>
#include "table.h"

/* Runs the post steps between top and root (the terminal under them),
 * bottom-up, on *result, which is replaced as each step runs (and freed
 * on failure only when replaced).  0, or a negative code with err naming
 * the step and the column or value at fault. */
int dusk_post_run(const dusk_plan *top, const dusk_plan *root,
                  dusk_table **result, dusk_error *err);

/* The order sort_values step s puts t's rows in (*order: t->nrows
 * positions, the caller frees it), as dusk_post_run's sort takes them: a
 * sorted to_csv part writes its rows through it without taking them. */
int dusk_post_sort_order(const dusk_plan *s, const dusk_table *t,
                         size_t **order, dusk_error *err);

/* t without the value columns whose keep[c] is false (index columns are
 * always kept), flags kept: into *out.  0 or DUSK_ENOMEM. */
int dusk_table_keep_columns(const dusk_table *t, const bool *keep,
                            dusk_table **out);

#endif
