/* expr.h - the pandas-like query language of the dusk CLI.
 *
 * A query is one pandas / dask.dataframe expression, so that a notebook
 * line can be pasted after `dusk query`:
 *
 *   read_csv("fhv*.csv").fillna(0).groupby("PULocationID").count()
 *   len(read_csv("x.csv"))
 *   concat([read_csv("a.csv"), read_csv("b.csv")]).query("x > 200").head(10)
 *
 * dusk_query_parse turns it into a plan tree (plan.h); dusk_expr_parse
 * turns the string given to .query(...) into an expression tree (pandas'
 * DataFrame.query language: comparisons, and/or/not, & | ~, + - * / %,
 * .isnull() and friends, `backtick names`).  The grammar is spelled out at
 * the top of expr.c.
 *
 * Errors are DUSK_EPARSE with err->message holding three lines: what is
 * wrong, the line of the text that holds the error (clipped around it so
 * the whole message fits a dusk_error), and a caret '^' under the
 * offending character:
 *
 *   expected ')' after the arguments of fillna
 *   read_csv("a.csv").fillna(0
 *                             ^
 *
 * An error inside a .query("...") string points into the outer text.
 * Carets count characters (UTF-8 code points), not bytes.  A text spanning
 * several lines gets " (line N)" after the first line's sentence.
 *
 * Both functions are pure: no I/O, no global state, callable from any
 * thread.  Nesting (parentheses, concat, not, unary minus) and the depth of
 * the trees they build are limited to DUSK_EXPR_MAX_DEPTH, and strings to
 * DUSK_EXPR_MAX_NAME, so every plan they return also passes
 * dusk_plan_decode's limits. */
#ifndef DUSK_EXPR_H
#define DUSK_EXPR_H

#include "dusk.h"
#include "errors.h"
#include "plan.h"

/* Deepest nesting of the text and deepest plan or expression tree. */
#define DUSK_EXPR_MAX_DEPTH 64
/* Longest string literal, identifier or `backtick name`, in bytes as
 * written (the plan codec's limit on a name, path or literal). */
#define DUSK_EXPR_MAX_NAME 65536

/* Parses a whole query.  0 with *out the plan (freed by the caller with
 * dusk_plan_free); DUSK_EPARSE with err describing where the text is wrong;
 * DUSK_ENOMEM; DUSK_EINVAL for a NULL text or out.  On error *out is NULL
 * and nothing is leaked.  err may be NULL. */
int dusk_query_parse(const char *text, dusk_plan **out, dusk_error *err);
/* The same, with *result (when result is not NULL) the DUSK_RESULT_* of
 * what pandas returns for the query (dusk.h). */
int dusk_query_parse_result(const char *text, dusk_plan **out, int *result,
                            dusk_error *err);

/* Parses a pandas query string ("PULocationID > 200 and SR_Flag == 1").
 * 0 with *out the expression (freed with dusk_expr_free); otherwise the
 * codes and guarantees of dusk_query_parse. */
int dusk_expr_parse(const char *text, dusk_expr **out, dusk_error *err);

#endif
