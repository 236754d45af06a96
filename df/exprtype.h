/* exprtype.h - the type of a query expression against a schema, for
 * checking a query at submit time: unknown columns (with the closest name
 * as a suggestion), comparing a string column with a number, arithmetic
 * on strings.  Shared by the scheduler (validation) and the worker. */
#ifndef DUSK_EXPRTYPE_H
#define DUSK_EXPRTYPE_H

#include "errors.h"
#include "plan.h"

#include <stddef.h>

/* The type e yields (BOOL for conditions), or DUSK_TYPE_NULL with err
 * saying what is wrong. */
dusk_type dusk_expr_type(const dusk_expr *e, const char *const *names,
                         const dusk_type *types, size_t ncols,
                         dusk_error *err);

/* The name in names[0..n) closest to want by edit distance (case-
 * insensitive), or NULL when none is close (distance > a third of want's
 * length, at least 2). */
const char *dusk_closest_name(const char *want, const char *const *names,
                              size_t n);

#endif
