/* plan.h - the logical plan of a dataframe query and its wire encoding.
 *
 * The client builds a plan tree (from the C API or from a pandas-like
 * expression), encodes it and sends it to the scheduler, which decodes it,
 * checks it against the files' schema and lowers it into tasks.
 *
 *   read_csv(paths, options)       leaf: one or more files / globs
 *   concat(plans...)               rows of each input in order, aligned
 *                                  by column name as pandas' concat (the
 *                                  union: the first input's columns, then
 *                                  new ones; missing values where an input
 *                                  lacks a column)
 *   fillna(plan, value | {col: value})
 *   query(plan, expr)              keep rows where expr is true
 *   select(plan, [cols])           project columns
 *   assign(plan, name, expr)       a column computed from each row (a new
 *                                  name appends, an existing one replaces)
 *   groupby(plan, keys, aggs)      one row per key, sorted by key; no keys:
 *                                  a whole-frame reduction, one row; rows
 *                                  with a null key dropped unless keep_na
 *                                  (dropna=False: a group, sorted last)
 *   value_counts(plan, col)        counts per value, largest first (a null
 *                                  counted too with keep_na)
 *   value_counts(plan, col, keys)  groupby(keys)[col].value_counts(): per
 *                                  group (sorted by key), its values'
 *                                  counts, largest first
 *   head(plan, n)                  first n rows in file order
 *   len(plan)                      number of rows
 *   describe(plan)                 count, mean, std, min, 25%, 50%, 75%, max
 *                                  per number column (exact quantiles; or
 *                                  the percentiles given between min and
 *                                  max)
 *   topk(plan, [by], [asc], n)     the first n rows of the whole frame in
 *                                  sort_values(by, kind="stable") order
 *                                  (nlargest / nsmallest, sort_values then
 *                                  head; no by: file order, the last n
 *                                  for asc [0], which is tail)
 *   drop_duplicates(plan, [cols])  the first row of each distinct value of
 *                                  cols (empty: of whole rows), in file
 *                                  order, as pandas' keep="first"
 *   sample(plan, frac, seed)       each row kept with probability frac,
 *                                  decided by a hash of (seed, range,
 *                                  row): the same seed and blocksize keep
 *                                  the same rows on any cluster; file
 *                                  order (pandas shuffles them)
 *   quantile(plan, [cols], [q])    exact quantiles of number, datetime or
 *                                  timedelta columns (no columns: every
 *                                  number column); median is q = 0.5
 *   to_csv(plan, dir)              one CSV file per partition
 *   merge(left, right, how, left_on, right_on, suffixes)
 *                                  pandas' merge: each left row with every
 *                                  right row of equal keys (nulls equal
 *                                  nulls), in the right's order; a
 *                                  broadcast join (inner / left, a small
 *                                  right side collected once and probed by
 *                                  every left scan) or a shuffle join
 *                                  (strategy; both sides hash-partitioned
 *                                  by key) (dusk_merge_names names the
 *                                  columns)
 *
 * Steps on a computed result (post steps: above groupby, value_counts or
 * head, run by the final task on the small result table):
 *   sort_values(plan, [by], [asc]) rows ordered by columns (stable: ties
 *                                  keep their order; nulls last)
 *   head(plan, n), tail(plan, n)   the first / last n rows of the result
 *   query(plan, expr)              the result's rows where expr holds; expr
 *                                  sees index and value columns by name
 *   assign(plan, name, expr)       a value column computed from the others
 *   select(plan, [cols])           these value columns (the index stays)
 *   rename(plan, [old], [new])     value columns renamed (not the index,
 *                                  as pandas' rename(columns=)); of a
 *                                  frame, its columns in place
 *   reset_index(plan, name?, drop) the index as leading value columns (an
 *                                  unnamed one as "index"), or dropped
 *   set_index(plan, [cols], drop)  these value columns as the index (the
 *                                  old one dropped); over a whole frame's
 *                                  sort by them: Dask's set_index
 * query, assign and select are post steps when their input is a result;
 * a result's int column that held a null in the files is float64 there,
 * as pandas holds it.
 *
 * Every node owns its children and strings (heap memory; dusk_plan_free
 * frees the tree).  Decoding is bounded like every message: nesting,
 * counts and string sizes are checked before anything is allocated. */
#ifndef DUSK_PLAN_H
#define DUSK_PLAN_H

#include "buf.h"
#include "errors.h"
#include "source.h"
#include "value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- expressions (query strings) ---------------------------------------- */

typedef enum dusk_expr_kind {
  DUSK_EXPR_COLUMN = 1,  /* name */
  DUSK_EXPR_LITERAL = 2, /* value */
  DUSK_EXPR_COMPARE = 3, /* a op b, op a dusk_cmp */
  DUSK_EXPR_AND = 4,     /* a and b */
  DUSK_EXPR_OR = 5,      /* a or b */
  DUSK_EXPR_NOT = 6,     /* not a */
  DUSK_EXPR_ISNULL = 7,  /* a.isnull() */
  DUSK_EXPR_NOTNULL = 8, /* a.notnull() */
  DUSK_EXPR_ARITH = 9,   /* a op b, op a dusk_arith */
  DUSK_EXPR_FUNC = 10    /* op(a), op a dusk_func */
} dusk_expr_kind;

/* Functions of one value: pandas' .dt accessors and abs().  Written in the
 * query language as `col.dt.hour`, `(b - a).dt.total_seconds()`,
 * `abs(x)`. */
typedef enum dusk_func {
  DUSK_FN_YEAR = 1, /* datetime -> int64 */
  DUSK_FN_MONTH,
  DUSK_FN_DAY,
  DUSK_FN_HOUR,
  DUSK_FN_MINUTE,
  DUSK_FN_SECOND,
  DUSK_FN_DAYOFWEEK,     /* Monday 0 .. Sunday 6 */
  DUSK_FN_DAYOFYEAR,
  DUSK_FN_TOTAL_SECONDS, /* timedelta -> float64 */
  DUSK_FN_ABS,           /* number -> the same type */
  DUSK_FN_STR_LEN,       /* string -> int64: characters (UTF-8) */
  /* string, string literal (b) -> bool: pandas' .str accessor with a
   * literal pattern (regex=False); null stays null */
  DUSK_FN_STARTSWITH,
  DUSK_FN_ENDSWITH,
  DUSK_FN_CONTAINS,
  /* number, int literal decimals (b) -> the same type: numpy's round
   * (half to even), pandas' Series.round(decimals) */
  DUSK_FN_ROUND,
  DUSK_FN_TO_FLOAT,   /* astype(float): number or bool -> float64 */
  DUSK_FN_TO_INT,     /* astype(int): number or bool -> int64, truncating;
                         NaN, inf or a null refused, as pandas refuses */
  DUSK_FN_CLIP_LOWER, /* number, number literal (b) -> clip(lower=b) */
  DUSK_FN_CLIP_UPPER, /* number, number literal (b) -> clip(upper=b) */
  /* datetime or timedelta, int literal nanoseconds (b, > 0) -> the same
   * type: pandas' .dt.floor / .dt.ceil / .dt.round(freq) with a fixed
   * frequency ("H", "15min", "D"; normalize() is floor("D")); round is
   * half to even; NaT stays NaT */
  DUSK_FN_DT_FLOOR,
  DUSK_FN_DT_CEIL,
  DUSK_FN_DT_ROUND,
  /* pandas' x.where(cond, other): a is x, b an OTHERWISE node whose a is
   * cond (bool) and b other (a null literal for NaN / NaT); x where cond
   * holds, other elsewhere (a null cond counts as false).  x.mask(cond,
   * other) is x.where(not cond, other).  Numbers, bools, datetimes and
   * timedeltas (int x with a float or NaN other gives float64, as pandas) */
  DUSK_FN_WHERE,
  DUSK_FN_OTHERWISE, /* only as WHERE's b */
  /* string, string literal regular expression (b) -> bool: pandas'
   * .str.contains (regex=True), .str.match and .str.fullmatch, with
   * Python's re semantics (regex.h; case=False is a leading "(?i)");
   * null stays null */
  DUSK_FN_RE_SEARCH,
  DUSK_FN_RE_MATCH,
  DUSK_FN_RE_FULLMATCH,
  /* string (or datetime) -> datetime: pandas' to_datetime of ISO
   * date-times (the parse_dates parser); a value that is none is refused,
   * naming it (errors="raise"), or NaT (_COERCE, errors="coerce") */
  DUSK_FN_TO_DATETIME,
  DUSK_FN_TO_DATETIME_COERCE,
  /* string -> string: pandas' .str.lower() / .str.upper() (Python's case
   * mappings, textfn.h); null stays null */
  DUSK_FN_STR_LOWER,
  DUSK_FN_STR_UPPER,
  /* string, b -> string: .str.strip / lstrip / rstrip(to_strip); b is a
   * string literal of the characters to strip, or a null literal for
   * whitespace (to_strip=None) */
  DUSK_FN_STR_STRIP,
  DUSK_FN_STR_LSTRIP,
  DUSK_FN_STR_RSTRIP,
  /* string, string literal "start:stop:step" (b; each part an optional
   * int, step not 0) -> string: .str.slice(start, stop, step), Python's
   * slicing over characters */
  DUSK_FN_STR_SLICE,
  /* datetime -> date: pandas' .dt.date (a day's midnight, value.h DATE);
   * NaT stays null */
  DUSK_FN_DT_DATE,
  /* string, int or timedelta -> timedelta: pandas' to_timedelta - text as
   * Timedelta(text) reads it (fieldparse.h
   * dusk_parse_timedelta_literal: "00:05:00", "5min", "1 days
   * 02:00:00"; NaT strings give NaT; other text is refused, naming it),
   * an int as nanoseconds (pandas' default unit) */
  DUSK_FN_TO_TIMEDELTA,
  DUSK_FN_NFUNCS = DUSK_FN_TO_TIMEDELTA
} dusk_func;

/* Whether fn takes a second operand (b: the pattern) besides its value. */
bool dusk_func_takes_arg(int fn);

/* "year", ..., "total_seconds", "abs", "len", "startswith", ... (NULL
 * outside the enum), and back (0 for an unknown name). */
const char *dusk_func_name(dusk_func fn);
dusk_func dusk_func_parse(const char *name, size_t len);

typedef enum dusk_cmp {
  DUSK_CMP_EQ = 1, DUSK_CMP_NE, DUSK_CMP_LT, DUSK_CMP_LE, DUSK_CMP_GT,
  DUSK_CMP_GE
} dusk_cmp;

typedef enum dusk_arith {
  DUSK_ARITH_ADD = 1, DUSK_ARITH_SUB, DUSK_ARITH_MUL, DUSK_ARITH_DIV,
  DUSK_ARITH_MOD,
  DUSK_ARITH_FLOORDIV, /* a // b: Python's floor division */
  DUSK_ARITH_POW,      /* a ** b */
  DUSK_ARITH_NOPS = DUSK_ARITH_POW
} dusk_arith;

typedef struct dusk_expr {
  dusk_expr_kind kind;
  int op;           /* dusk_cmp or dusk_arith */
  char *name;       /* COLUMN: the column name */
  dusk_value value; /* LITERAL; a string literal's bytes are owned */
  struct dusk_expr *a, *b;
} dusk_expr;

dusk_expr *dusk_expr_column(const char *name);
dusk_expr *dusk_expr_literal(dusk_value v); /* copies a string value */
/* Takes ownership of a and b (b may be NULL for NOT/ISNULL/NOTNULL). */
dusk_expr *dusk_expr_node(dusk_expr_kind kind, int op, dusk_expr *a,
                          dusk_expr *b);
void dusk_expr_free(dusk_expr *e);
/* A deep copy, or NULL when out of memory. */
dusk_expr *dusk_expr_clone(const dusk_expr *e);
/* Writes a readable form ("(PULocationID > 200) and ...") into out. */
void dusk_expr_format(const dusk_expr *e, char *out, size_t outlen);

/* ---- plans --------------------------------------------------------------- */

typedef enum dusk_plan_kind {
  DUSK_PLAN_READ_CSV = 1,
  DUSK_PLAN_CONCAT = 2,
  DUSK_PLAN_FILLNA = 3,
  DUSK_PLAN_QUERY = 4,
  DUSK_PLAN_SELECT = 5,
  DUSK_PLAN_GROUPBY = 6,
  DUSK_PLAN_VALUE_COUNTS = 7,
  DUSK_PLAN_HEAD = 8,
  DUSK_PLAN_LEN = 9,
  DUSK_PLAN_DESCRIBE = 10,
  DUSK_PLAN_TO_CSV = 11,
  DUSK_PLAN_SORT_VALUES = 12,
  DUSK_PLAN_TAIL = 13,
  DUSK_PLAN_ASSIGN = 14,
  DUSK_PLAN_QUANTILE = 15,
  DUSK_PLAN_TOPK = 16,
  DUSK_PLAN_DROP_DUPLICATES = 17,
  DUSK_PLAN_SAMPLE = 18,
  DUSK_PLAN_RESET_INDEX = 19, /* post only */
  /* Of a frame, RENAME and DROPNA are lowered by the scheduler (to
   * assign + select, and to query) before any worker sees them. */
  DUSK_PLAN_RENAME = 20,
  DUSK_PLAN_DROPNA = 21,
  /* inputs[0] the left rows, inputs[1] the right (a scan's fragment
   * keeps the left alone: its right table arrives as the task's last
   * input) */
  DUSK_PLAN_MERGE = 22,
  /* persist(): every read_csv under it is parsed, all its columns, into
   * partitions the workers keep (df/partition.h); the answer is the rows
   * kept.  A later plan's read_csv names the persisted query
   * (csv.persisted) to read them instead of its files. */
  DUSK_PLAN_PERSIST = 23,
  /* set_index(keys, drop): post only - the result's value columns keys
   * become its index (the old index dropped, as pandas' append=False;
   * with drop false the columns stay values too).  A whole frame's
   * set_index is this over its sort_values(keys, kind="stable"), as
   * Dask's: rows sorted by the new index, ties in file order. */
  DUSK_PLAN_SET_INDEX = 24
} dusk_plan_kind;

/* pandas' merge(how=): inner and left as a broadcast or a shuffle join;
 * right and outer as a shuffle join (the right rows no left row met
 * follow the joined ones). */
typedef enum dusk_merge_how {
  DUSK_MERGE_INNER = 1,
  DUSK_MERGE_LEFT,
  DUSK_MERGE_RIGHT,
  DUSK_MERGE_OUTER
} dusk_merge_how;

/* "inner", "left", ... (NULL outside the enum), and back (0: unknown). */
const char *dusk_merge_how_name(int how);
int dusk_merge_how_parse(const char *name);

/* "read_csv", "groupby", ...: the step's name as a person writes it
 * ("unknown" for a kind outside the enum). */
const char *dusk_plan_kind_name(dusk_plan_kind kind);

/* Whether a step of this kind must end a plan chain: it turns rows into an
 * answer (groupby, value_counts, head, len, describe, to_csv), so nothing
 * but the query's end may follow it, and it may not appear inside concat or
 * len.  The one definition the client's builders and parser, the
 * scheduler's checks and the worker's pipelines all use. */
bool dusk_plan_is_terminal(dusk_plan_kind kind);


typedef enum dusk_agg_fn {
  DUSK_AGG_COUNT = 1, /* non-null values */
  DUSK_AGG_SIZE,      /* rows, nulls included */
  DUSK_AGG_SUM,
  DUSK_AGG_MEAN,
  DUSK_AGG_MIN,
  DUSK_AGG_MAX,
  DUSK_AGG_NUNIQUE,
  DUSK_AGG_STD, /* sample standard deviation (ddof=1), as pandas */
  DUSK_AGG_VAR,  /* sample variance (ddof=1) */
  DUSK_AGG_FIRST, /* the first non-null value in file order (groupby only) */
  DUSK_AGG_LAST,  /* the last non-null value in file order (groupby only) */
  /* groupby only (a whole frame's are DUSK_PLAN_QUANTILE): the exact
   * median (pandas' (a + b) / 2 of an even count's middle pair) and
   * quantile(q) (pandas' groupby linear interpolation) of numbers,
   * datetimes and timedeltas */
  DUSK_AGG_MEDIAN,
  DUSK_AGG_QUANTILE,
  /* internal to the worker (no name, never on the wire): the group's
   * first row in file order, nulls included, as its rank among the
   * groups' first rows (0 the earliest) - pandas' order of first
   * appearance, which value_counts' ties follow */
  DUSK_AGG_FIRST_ROW
} dusk_agg_fn;

/* "count", "size", ...; dusk_agg_parse returns 0 for an unknown name. */
const char *dusk_agg_name(dusk_agg_fn fn);
dusk_agg_fn dusk_agg_parse(const char *name, size_t len);

typedef struct dusk_agg {
  char *column; /* NULL: every non-key column (groupby(...).count()) */
  dusk_agg_fn fn;
  double q; /* QUANTILE: the quantile, 0 <= q <= 1 */
  /* the result column's name (NULL: the column's, or 0 for size()):
   * pandas' named aggregation agg(total=("x", "sum")), agg(["sum"]) of a
   * Series.  DUSK_LEVEL_SEP between two parts makes it a two-level
   * column label, as pandas' (column, function) MultiIndex of
   * agg({"x": ["min", "max"]}); a label of DUSK_LEVEL_SEP alone on an
   * every-column aggregate asks the scheduler to expand it column by
   * column, each labelled (column, function), as agg(["sum", "mean"])
   * of a whole frame orders and labels them. */
  char *label;
} dusk_agg;

/* Whether aggs[0..n)'s labels are well formed (0, or DUSK_EINVAL naming
 * where): none empty, at most two levels, and the DUSK_LEVEL_SEP-alone
 * marker on every aggregate or on none, and then only on every-column
 * ones (column NULL). */
int dusk_aggs_check_labels(const dusk_agg *aggs, size_t n, const char *where,
                           dusk_error *err);


typedef struct dusk_dtype {
  char *column;
  dusk_type type;
  /* numpy's int64 or bool (dtype "int64", "bool"; value.h
   * dusk_type_parse_na): a missing value in the column fails the read,
   * as pandas' read_csv raises "Integer column has NA values"; false for
   * pandas' nullable Int64 / boolean and for inferred types.  On the
   * wire: the type's name, "Int64" / "boolean" where it holds nulls. */
  bool no_na;
  /* The user named pandas' nullable dtype ("Int64" / "boolean": set by
   * dusk_plan_read_csv), which pandas keeps (dusk_plan_column_masked);
   * an inferred type never is.  On the wire read_csv's storage option
   * "masked": [column, ...]. */
  bool masked;
} dusk_dtype;

typedef struct dusk_csv_options {
  char sep;           /* default ',' */
  int64_t blocksize;  /* bytes per partition, 0 = the scheduler's default */
  char **usecols;     /* NULL = all columns */
  size_t nusecols;
  dusk_dtype *dtypes; /* overrides of the inferred types */
  size_t ndtypes;
  bool anon;          /* S3: unsigned requests (a public bucket) */
  /* A persisted read: the key of the client's persist query that holds
   * its ranges (NULL: none) and the read's ordinal among that query's
   * read_csv nodes (pre-order).  On the wire a storage option. */
  char *persisted;
  uint32_t persisted_leaf;
} dusk_csv_options;

typedef struct dusk_fill {
  char *column; /* NULL: every column */
  dusk_value value;
} dusk_fill;

typedef struct dusk_plan {
  dusk_plan_kind kind;
  struct dusk_plan **inputs; /* one child; CONCAT: several; READ_CSV: none */
  size_t ninputs;
  /* READ_CSV */
  char **paths;
  size_t npaths;
  dusk_csv_options csv;
  /* FILLNA: one entry with column NULL for fillna(v), else per column */
  dusk_fill *fills;
  size_t nfills;
  /* FILLNA, set by the scheduler: the columns this fill turns into what
   * pandas holds as an object column of two kinds of values (a number
   * column filled with a string or a bool, a string column filled with a
   * number, ...).  The scan turns them into string columns holding each
   * value as pandas writes it (numbers of a number column as floats,
   * "1.0": pandas reads a column with nulls as float64).
   * A fill that would mix a column not listed fails its scan with
   * DUSK_FAIL_MIXED (proto/msg.h) when it meets a null there. */
  char **mixed;
  size_t nmixed;
  /* QUERY, ASSIGN (the value; ASSIGN's name is columns[0]) */
  dusk_expr *expr;
  char *expr_text; /* as the user wrote it, for error messages */
  /* CONCAT, set by the scheduler: its columns in order.  On a scan's
   * fragment (one input) csv.dtypes names the columns that input lacks,
   * each read as missing values of its type; the scan's rows leave the
   * step with these columns, in this order (those it does not read left
   * out). */
  /* SELECT (columns), GROUPBY (keys), VALUE_COUNTS (columns[0] the
   * counted column, then the groupby keys of a grouped one),
   * QUANTILE and DESCRIBE (the columns; empty: every int64 and float64
   * column, which the scheduler lists before lowering) */
  char **columns;
  size_t ncolumns;
  /* GROUPBY */
  dusk_agg *aggs;
  size_t naggs;
  /* GROUPBY, VALUE_COUNTS: rows whose key holds a null make a group of
   * their own (pandas' dropna=False; false, the default, drops them).
   * Of a grouped VALUE_COUNTS, this is value_counts(dropna=False), for
   * the counted column only */
  bool keep_na;
  /* GROUPBY without keys: a whole frame's reduction (df.std(), its
   * aggregates expanded from an every-column one by the scheduler), not
   * a column's (df["x"].std()).  pandas' answers differ there: a
   * datetime's or timedelta's std past int64 nanoseconds is NaT in a
   * frame's reduction and an error ("overflow in timedelta operation")
   * in a column's.  On the wire as an optional last field. */
  bool frame_reduce;
  /* GROUPBY with keys, or VALUE_COUNTS of one column or with keys (not
   * flat): Dask's split_out - the groups (values; a grouped value_counts'
   * groups) are hash-partitioned into this many parts, each merged by a
   * task of its own, so no task but the last holds every group's partial
   * state (1 or 0: one tree) */
  uint32_t split_out;
  /* VALUE_COUNTS with keys: groupby(keys, dropna=False), a null key a
   * group of its own (sorted last) */
  bool group_keep_na;
  /* VALUE_COUNTS with keys: groupby(..., as_index=False), whose counts
   * pandas orders another way (worker/dfops.c group_value_counts_output);
   * a reset_index step above it makes the keys columns */
  bool flat;
  /* HEAD, TAIL, TOPK */
  int64_t n;
  /* SORT_VALUES, TOPK: per column of `columns` (the sort keys), 1
   * ascending or 0 descending; one flag when columns is empty (sort a
   * one-column result by its values; TOPK: by file order) */
  uint8_t *ascending;
  size_t nascending;
  /* SORT_VALUES: pandas' default kind="quicksort" - a one-column sort
   * orders ties as numpy's quicksort leaves them (table.h
   * dusk_table_nargsort); false: kind="stable" (ties keep their order).
   * Sorts by several columns are stable either way, as pandas'
   * lexsort.  On the wire an optional third field (a bool), present when
   * true or when dir follows.  SORT_VALUES with dir (the optional fourth
   * field): sort_values(...).to_csv(dir) - the rows range-partitioned by
   * the sort keys, each part sorted (stable: ties in file order) and
   * written as one file by a task of its own (scheduler/query.c
   * add_range_sort). */
  bool quicksort;
  /* SORT_VALUES of a whole frame's rows: its range partitions (Dask's
   * set_index(npartitions=, divisions=) and .divisions; df/rangepart.h).
   * nparts: how many (0: the scheduler's choice); divisions: the
   * nparts + 1 boundaries the user gave (ndivisions of them, 0: cut by
   * samples of the data), sorted, the first at or below every key and the
   * last at or above every non-null key - part j holds the keys in
   * [divisions[j], divisions[j + 1]), the last part its upper boundary
   * and the nulls too; a key outside them fails the write.  Strings are
   * owned; a datetime key takes ints (ns) or date strings.  divisions_only:
   * the query's answer is the boundaries themselves (a table of the key
   * column: the least key, the cuts, the greatest non-null key; repeated
   * cuts once, as Dask's), not the rows.  On the wire the optional fifth
   * field [nparts, [value, ...] | nil, divisions_only], dir nil when
   * absent. */
  uint32_t nparts;
  dusk_value *divisions;
  size_t ndivisions;
  bool divisions_only;
  /* TO_CSV: dir; its columns (optional) are the int64 columns the user
   * typed, which to_csv writes as pandas' nullable Int64 (5, and an empty
   * field for a null) rather than widening to float64 */
  char *dir;
  /* QUANTILE: the quantiles, each in [0, 1]; DESCRIBE: its percentile
   * rows (none: 0.25, 0.5, 0.75); median set for median()
   * (one q, 0.5), whose middle pair pandas averages as (a + b) / 2 where
   * quantile(0.5) interpolates a + (b - a) / 2 (they differ in the last
   * bit) */
  double *qs;
  size_t nqs;
  bool median;
  /* SAMPLE: the share of rows kept, in [0, 1], and the seed */
  double frac;
  uint64_t seed;
  /* VALUE_COUNTS: each count as a share of the counted rows (pandas'
   * normalize=True: float64, missing values counted only with keep_na) */
  bool normalize;
  /* VALUE_COUNTS of one column: it is pandas' nullable Int64 or boolean
   * array (a read_csv dtype= of that name, kept through row steps and
   * fillna), whose value_counts(dropna=False) pandas 1.5 orders its own
   * way and whose values stay ints (dusk_plan_value_counts sets it) */
  bool masked;
  /* VALUE_COUNTS: pandas' describe() of a text or bool column made from
   * the counts: count, unique, top, freq (the scheduler lowers a describe
   * of one such column to this) */
  bool describe_counts;
  /* RESET_INDEX: drop the index rather than turn it into columns; its
   * columns[0], when given, names a one-column result's values (pandas'
   * Series.reset_index(name=)); SET_INDEX: the keys leave the value
   * columns (pandas' drop=True) */
  bool drop;
  /* RENAME: columns[i] becomes renamed[i] (ncolumns of each) */
  char **renamed;
  /* DROPNA: drop a row when all its `columns` (empty: every column) are
   * null (pandas' how="all"), not when any is (how="any") */
  bool how_all;
  /* MERGE: the left keys are `columns`, the right keys right_on (ncolumns
   * of each; on= gives the same names to both), how a dusk_merge_how,
   * suffixes the two added to clashing names (pandas' ("_x", "_y")).
   * Set by the scheduler: csv.dtypes, the right frame's columns (its
   * names, types) in its order, and csv.usecols, the name each takes
   * after the merge ("" for a key kept once), which the scheduler names
   * knowing every left column (a scan reads only those it needs). */
  char **right_on;
  int how;
  char *suffixes[2];
  /* MERGE: how the rows meet (dusk_merge_strategy; Dask's broadcast=):
   * 0 lets the scheduler choose - a broadcast join when the right side is
   * small and how is inner or left, else a shuffle join.  On the wire an
   * optional last field, present when not 0. */
  int strategy;
} dusk_plan;

/* Whether p is a step on a computed result: sort_values, tail and
 * reset_index always (sort_values of a whole frame's rows sorts them all
 * once the final task has gathered them), head, query, assign, select and
 * rename when their input is a groupby, value_counts or another post
 * step.  Post steps sit at the top of a plan, above its
 * terminal; the final task runs them in order on the result table. */
bool dusk_plan_is_post(const dusk_plan *p);
/* Whether a post step may follow a step of this kind (groupby,
 * value_counts, head, or a post step). */
bool dusk_plan_takes_post(const dusk_plan *p);
/* The node under root's post steps: the terminal (or root itself). */
const dusk_plan *dusk_plan_result_root(const dusk_plan *root);

/* Constructors return NULL only when out of memory.  Those taking a child
 * take ownership of it (and free it on failure). */
/* A READ_CSV node's storage options (source.h). */
void dusk_plan_store_options(const dusk_plan *read_csv, dusk_store_options *o);

dusk_plan *dusk_plan_read_csv(const char *const *paths, size_t npaths,
                              const dusk_csv_options *opts /* nullable */);
dusk_plan *dusk_plan_concat(dusk_plan **inputs, size_t n);
dusk_plan *dusk_plan_fillna(dusk_plan *in, const dusk_fill *fills, size_t n);
/* Whether filling a column of type `column` with value gives, in pandas,
 * an object column of two kinds of values: a number column (float64 once
 * it has nulls) filled with a string or a bool, a bool column (object once
 * it has nulls) with a number or a string, a string column with anything
 * but a string.  A number into a number column (an int into float64:
 * float64) does not mix, nor an ISO date-time string into a datetime
 * column (dusk_plan_fill_datetime). */
int dusk_plan_fill_mixes(dusk_type column, const dusk_value *value);
/* Whether value fills a column of type `column` as a datetime, *ns: a
 * string holding an ISO date-time into a datetime64[ns] column, which
 * pandas turns into that Timestamp (the column stays datetime64[ns]). */
bool dusk_plan_fill_datetime(dusk_type column, const dusk_value *value,
                             int64_t *ns);
dusk_plan *dusk_plan_query(dusk_plan *in, dusk_expr *expr, const char *text);
dusk_plan *dusk_plan_select(dusk_plan *in, const char *const *cols, size_t n);
/* Takes expr (NULL gives NULL); text is as the user wrote the value. */
dusk_plan *dusk_plan_assign(dusk_plan *in, const char *name, dusk_expr *expr,
                            const char *text);
dusk_plan *dusk_plan_groupby(dusk_plan *in, const char *const *keys,
                             size_t nkeys, const dusk_agg *aggs, size_t naggs);
dusk_plan *dusk_plan_value_counts(dusk_plan *in, const char *column);
/* Whether column `name` of p's rows is pandas' nullable Int64, Float64 or
 * boolean (a read_csv dtype= of that name, kept through the steps that
 * keep a column's dtype, and what pandas computes from one): its nulls
 * are pandas' NA, and what unique(), value_counts() and reductions of
 * it return differs from numpy's. */
bool dusk_plan_column_masked(const dusk_plan *p, const char *name);
/* Whether expression e, over the rows of plan `in`, is a pandas nullable
 * array: an operand of it is one (a column dusk_plan_column_masked says
 * is) and pandas keeps the mask through it - arithmetic (Int64, or
 * Float64 where the result is float), comparisons and and / or / not
 * (boolean, NA where an operand is NA: Kleene logic), abs, round, clip,
 * where.  isna() / notna() and astype(float / int) give numpy's dtypes.
 * The type (int, float, bool) comes from dusk_expr_type. */
bool dusk_expr_masked(const dusk_expr *e, const dusk_plan *in);
/* groupby(keys)[column].value_counts(): VALUE_COUNTS with columns
 * [column, keys...], 1 to DUSK_VC_MAX_KEYS keys (NULL otherwise, in freed). */
#define DUSK_VC_MAX_KEYS 15
dusk_plan *dusk_plan_group_value_counts(dusk_plan *in, const char *column,
                                        const char *const *keys,
                                        size_t nkeys);
dusk_plan *dusk_plan_head(dusk_plan *in, int64_t n);
dusk_plan *dusk_plan_len(dusk_plan *in);
/* The most parts a groupby's split_out may ask for. */
#define DUSK_PLAN_MAX_SPLIT_OUT 256

/* persist(): see DUSK_PLAN_PERSIST. */
dusk_plan *dusk_plan_persist(dusk_plan *in);
/* Marks every read_csv under p persisted by the query key (pre-order
 * ordinals).  0 or DUSK_ENOMEM. */
int dusk_plan_mark_persisted(dusk_plan *p, const char *key);
dusk_plan *dusk_plan_describe(dusk_plan *in);
/* describe of these columns (n 0: every number column); one text or bool
 * column gets pandas' count / unique / top / freq. */
dusk_plan *dusk_plan_describe_columns(dusk_plan *in, const char *const *cols,
                                      size_t n);
/* describe of every number column with a row per percentile qs[0..nq)
 * (each in [0, 1], in the order given: pandas' are sorted, distinct and
 * hold 0.5) between min and max, where plain describe has 25%, 50%, 75%.
 * NULL for none, too many or one outside [0, 1]. */
dusk_plan *dusk_plan_describe_percentiles(dusk_plan *in, const double *qs,
                                          size_t nq);
dusk_plan *dusk_plan_to_csv(dusk_plan *in, const char *dir);
/* cols may be empty (n 0): every number column.  qs holds nq >= 1
 * quantiles in [0, 1] (NULL for one outside it, or none).  dusk_plan_median
 * is pandas' median(): one q, 0.5, averaged as numpy's median does. */
dusk_plan *dusk_plan_quantile(dusk_plan *in, const char *const *cols,
                              size_t n, const double *qs, size_t nq);
dusk_plan *dusk_plan_median(dusk_plan *in, const char *const *cols,
                            size_t n);
/* cols may be empty (n 0): rows equal in every visible column. */
dusk_plan *dusk_plan_drop_duplicates(dusk_plan *in, const char *const *cols,
                                     size_t n);
/* The first n rows of a whole frame's rows sorted by by[0..nby)
 * (ascending as for sort_values: nby flags, or 1 when nby is 0, which
 * orders by position in the files), ties in file order, nulls last: what
 * pandas' nlargest / nsmallest (keep="first") and a stable sort_values
 * then head give. */
dusk_plan *dusk_plan_topk(dusk_plan *in, const char *const *by, size_t nby,
                          const uint8_t *ascending, int64_t n);
/* The most quantiles one quantile step may ask for. */
#define DUSK_PLAN_MAX_QUANTILES 1024
/* by may be empty (n 0): the result's one value column.  ascending holds
 * n flags, or 1 when n is 0.  Over a whole frame's rows (not a result)
 * sort_values gathers every row in the final task and sorts them there
 * (a post step above the rows), but head(n) of it is a top-k:
 * dusk_plan_head turns the pair into TOPK, and dusk_plan_tail of a whole
 * frame is the TOPK of its last n rows.  quicksort (plan.h) is false:
 * the API layers set pandas' default. */
/* Whether p sorts a whole frame's rows by columns (not a computed result;
 * not yet written), and whether p is such a sort written by to_csv (its
 * dir set: range-partitioned). */
bool dusk_plan_sorts_rows(const dusk_plan *p);
bool dusk_plan_sorted_write(const dusk_plan *p);
/* Whether p's rows go through the range partitions (df/rangepart.h): a
 * sorted write, or a query for the divisions alone. */
bool dusk_plan_range_sort(const dusk_plan *p);
/* The most range partitions one sort may ask for. */
#define DUSK_PLAN_MAX_PARTS DUSK_PLAN_MAX_SPLIT_OUT
/* Sets the range partitions of sort (a whole frame's sort_values node,
 * dusk_plan_sort_node): nparts, or divisions (n of them, copied; nparts
 * then n - 1).  0, or -1 out of memory. */
int dusk_plan_set_parts(dusk_plan *sort, uint32_t nparts,
                        const dusk_value *divisions, size_t n);
/* The query for the divisions of p's range partitions (p a whole frame's
 * sort or set_index of one ascending key, which it takes over): its sort
 * node alone, reading the key column alone, divisions_only.  NULL out of
 * memory (p freed). */
dusk_plan *dusk_plan_divisions(dusk_plan *p);
/* The sort_values node of a sorted rows plan: p itself, or the sort under
 * p's set_index (NULL when p is neither). */
const dusk_plan *dusk_plan_sort_node(const dusk_plan *p);
dusk_plan *dusk_plan_sort_values(dusk_plan *in, const char *const *by,
                                 size_t n, const uint8_t *ascending,
                                 size_t nascending);
dusk_plan *dusk_plan_tail(dusk_plan *in, int64_t n);
/* Post steps only (plan.h): name may be NULL. */
dusk_plan *dusk_plan_reset_index(dusk_plan *in, const char *name, bool drop);
/* Post only: keys[0..n) (n >= 1) become the index.  Over a whole frame's
 * rows (not a computed result) it first sorts them by the keys
 * (sort_values, stable: kind is not quicksort), as Dask's set_index. */
dusk_plan *dusk_plan_set_index(dusk_plan *in, const char *const *keys,
                               size_t n, bool drop);
/* pandas' dropna(subset=cols, how="all" | "any") of a frame's rows; n 0:
 * every column. */
dusk_plan *dusk_plan_dropna(dusk_plan *in, const char *const *cols, size_t n,
                            bool how_all);
/* old[i] becomes new_names[i], n pairs: of a frame, or of a result (a
 * post step). */
dusk_plan *dusk_plan_rename(dusk_plan *in, const char *const *old,
                            const char *const *new_names, size_t n);
/* pandas' left.merge(right, how=, left_on=, right_on=, suffixes=): n key
 * pairs (n >= 1; on= passes the same names twice); suffixes NULL for
 * ("_x", "_y").  Takes both inputs. */
dusk_plan *dusk_plan_merge(dusk_plan *left, dusk_plan *right, int how,
                           const char *const *left_on,
                           const char *const *right_on, size_t n,
                           const char *const *suffixes);
/* The output names of a merge (pandas' rules): a right key named as its
 * left key is dropped (one column, the left's values), the other names
 * that both sides carry get the suffixes, the left's first.  left_out[i]
 * receives left[i]'s name, right_out[j] right[j]'s or NULL where it is
 * dropped (heap strings the caller frees with dusk_merge_names_free).
 * 0, DUSK_ENOMEM, or DUSK_EINVAL with err naming a name the result would
 * hold twice (pandas 2 refuses it too). */
int dusk_merge_names(const dusk_plan *merge, const char *const *left,
                     size_t nleft, const char *const *right, size_t nright,
                     char **left_out, char **right_out, dusk_error *err);
void dusk_merge_names_free(char **names, size_t n);
/* MERGE strategy (Dask's merge(broadcast=)): auto (None), broadcast
 * (True: the right side collected and sent to every left partition, at
 * most DUSK_MERGE_MAX_RIGHT_BYTES), shuffle (False: both sides
 * hash-partitioned by key, each part joined by a task of its own); join:
 * pandas' DataFrame.join(other, on=), a broadcast join (how inner or
 * left) whose rows keep the left rows' labels rather than being numbered
 * anew as a merge's. */
enum {
  DUSK_MERGE_AUTO = 0,
  DUSK_MERGE_BROADCAST = 1,
  DUSK_MERGE_SHUFFLE = 2,
  DUSK_MERGE_JOIN = 3
};
/* The largest right side a broadcast merge takes: bytes of CSV. */
#define DUSK_MERGE_MAX_RIGHT_BYTES ((uint64_t)64 << 20)
/* frac in [0, 1] (NULL for one outside it or NaN). */
dusk_plan *dusk_plan_sample(dusk_plan *in, double frac, uint64_t seed);
/* Whether sample's hash keeps row `row` of range `range` (plan.h). */
bool dusk_sample_keeps(const dusk_plan *sample, uint64_t range, uint64_t row);
void dusk_plan_free(dusk_plan *p);
/* A deep copy, or NULL when out of memory. */
dusk_plan *dusk_plan_clone(const dusk_plan *p);

/* Appends p's msgpack encoding to out: 0 or DUSK_ENOMEM. */
int dusk_plan_encode(const dusk_plan *p, dusk_buf *out);
/* Decodes a plan from msgpack bytes.  0, or a negative code with err
 * naming what was wrong (node kind, field).  Depth of plans and
 * expressions is limited to 64, counts to the bytes present. */
int dusk_plan_decode(dusk_slice bytes, dusk_plan **out, dusk_error *err);

/* Expressions travel the same way (also inside plans). */
int dusk_expr_encode(const dusk_expr *e, dusk_buf *out);
int dusk_expr_decode(dusk_slice bytes, dusk_expr **out, dusk_error *err);

/* Whether g is a reduction without keys of nunique aggregates alone
 * (df.x.nunique(), df[cols].nunique()): its partial is one row holding
 * a run of distinct values per aggregate, which split_out cuts by value
 * (worker/dfops.c df_split). */
bool dusk_nunique_reduction(const dusk_plan *g);

/* Whether r's answer hangs on where its rows are: a value_counts (ties in
 * order of first appearance) or a groupby with first / last (or a first
 * row's position). */
bool dusk_plan_by_position(const dusk_plan *r);

#endif
