/* value.h - column types and scalar values shared by plans, expressions,
 * tables and the worker's operators. */
#ifndef DUSK_VALUE_H
#define DUSK_VALUE_H

#include "buf.h"

#include <stdbool.h>
#include <stdint.h>

/* Column types, narrowest first: widening only ever moves right along
 * bool -> int64 -> float64 -> string (bool widens straight to string).
 *
 * Datetimes and timedeltas are logical types: int64 nanoseconds (since
 * the epoch / a duration) in storage - batches, partial and result
 * tables hold them as int64 (dusk_type_physical), so scans, keys,
 * min/max and comparisons need nothing of their own - while plans,
 * expression typing and result columns (dusk_table_column.logical) know
 * them, for .dt, string literals and pandas' datetime64[ns] /
 * timedelta64[ns].  A datetime column comes from read_csv(parse_dates=),
 * which is the dtype "datetime64[ns]" in a plan. */
typedef enum dusk_type {
  DUSK_TYPE_NULL = 0, /* only for values: a missing value */
  DUSK_TYPE_BOOL = 1,
  DUSK_TYPE_INT64 = 2,
  DUSK_TYPE_FLOAT64 = 3,
  DUSK_TYPE_STRING = 4,
  DUSK_TYPE_DATETIME = 5, /* logical: int64 ns since 1970-01-01 */
  DUSK_TYPE_TIMEDELTA = 6, /* logical: int64 ns */
  DUSK_TYPE_DATE = 7 /* logical: int64 ns of a day's midnight, pandas'
                        object column of datetime.date (.dt.date) */
} dusk_type;

/* "bool", "int64", "float64", "string", "datetime64[ns]",
 * "timedelta64[ns]" (and "null"). */
const char *dusk_type_name(dusk_type t);
/* The storage type: int64 for datetimes, timedeltas and dates, t
 * otherwise. */
dusk_type dusk_type_physical(dusk_type t);
/* Whether t is a datetime or a timedelta. */
int dusk_type_is_time(dusk_type t);
/* Whether t is a logical type stored as int64: a time or a date. */
int dusk_type_is_logical(dusk_type t);
/* Parses a type name, accepting pandas' spellings ("int", "Int64", "float",
 * "str", "object", "boolean", ...); returns DUSK_TYPE_NULL if unknown. */
dusk_type dusk_type_parse(const char *name, size_t len);
/* The same, and *no_na: whether the spelling is numpy's int or bool
 * ("int64", "int", "int32", "bool"), which holds no missing value, so
 * pandas' read_csv raises on one; pandas' nullable "Int64" and "boolean"
 * and every other type hold them. */
dusk_type dusk_type_parse_na(const char *name, size_t len, bool *no_na);
/* The narrowest type holding both (e.g. int64 + float64 = float64). */
dusk_type dusk_type_common(dusk_type a, dusk_type b);

/* A scalar: a literal in an expression, a fill value. Strings borrow. */
typedef struct dusk_value {
  dusk_type type;
  union {
    bool b;
    int64_t i;
    double f;
    dusk_slice s;
  } u;
} dusk_value;

/* Separates the levels of a result column's two-level name (plan.h
 * dusk_agg.label): the table printers show such names as pandas shows a
 * MultiIndex of columns. */
#define DUSK_LEVEL_SEP '\x1f'
#define DUSK_LEVEL_SEP_STR "\x1f"
/* The first byte of the label of an aggregate the scheduler adds for its
 * own use, which the final task removes (no CSV header starts with it). */
#define DUSK_HIDDEN_AGG '\x1e'
#define DUSK_HIDDEN_AGG_STR "\x1e"

#endif
