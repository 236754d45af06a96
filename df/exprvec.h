/* exprvec.h - evaluates a query expression over a column batch, a column at
 * a time, into a row mask, with pandas' semantics:
 *   - a comparison with a null operand is false, except != which is true
 *     (NaN != x in pandas);
 *   - arithmetic with a null operand is null; int / int is float, so x / 0
 *     is inf or NaN as in numpy; % follows Python (the result takes the
 *     divisor's sign), and int x % 0 is null (pandas' NaN);
 *   - a bool column or comparison is a condition; a null condition is false.
 * The compiled form holds scratch vectors of the batch's capacity, so
 * evaluation never allocates per row.  The scheduler has already checked
 * names and types; compile errors here are a second line of defence. */
#ifndef DUSK_EXPRVEC_H
#define DUSK_EXPRVEC_H

#include "batch.h"
#include "errors.h"
#include "plan.h"

typedef struct dusk_exprvec dusk_exprvec;

/* Resolves column names against names[0..ncols) with types, for batches
 * of up to cap rows.  0 or a negative code with err naming the column. */
int dusk_exprvec_compile(const dusk_expr *e, const char *const *names,
                         const dusk_type *types, size_t ncols, size_t cap,
                         dusk_exprvec **out, dusk_error *err);
void dusk_exprvec_free(dusk_exprvec *x);
/* Which of the compiled names are pandas' nullable arrays (masked[c] for
 * names[c], plan.h dusk_plan_column_masked): the nodes computing from
 * them then follow pandas' NA semantics (plan.h dusk_expr_masked) - a
 * comparison with a null operand is null, not false; and / or are
 * Kleene's (NA & False is False, NA | True is True, else NA); not NA is
 * NA.  A null condition still keeps no row (pandas' NA in a boolean
 * mask).  Without this call every column is numpy's. */
void dusk_exprvec_mask(dusk_exprvec *x, const uint8_t *masked, size_t ncols);

/* mask[r] = 1 where the expression holds for row r of b.  Both
 * evaluators return DUSK_ETYPE when a value is refused as pandas refuses
 * it (an int raised to a negative int power, astype(int) of a null or
 * NaN); dusk_exprvec_refusal then says which, for a person. */
int dusk_exprvec_eval(dusk_exprvec *x, const dusk_batch *b, uint8_t *mask);

const char *dusk_exprvec_refusal(const dusk_exprvec *x);

/* The type the expression yields (bool for conditions; a null literal is
 * float64, NaN). */
dusk_type dusk_exprvec_type(const dusk_exprvec *x);
/* Writes the expression's value for every row of b into b's column col,
 * which must have dusk_exprvec_type(x) (a derived column, plan.h assign).
 * A literal fills every row; strings share the batch arena.  0,
 * DUSK_EINVAL, DUSK_ETYPE or DUSK_ENOMEM. */
int dusk_exprvec_eval_into(dusk_exprvec *x, dusk_batch *b, size_t col);

#endif
