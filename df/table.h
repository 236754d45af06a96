/* table.h - a typed, columnar result table: what a dataframe query returns
 * to the client, and what workers pass between partial and final steps.
 *
 * Columns are int64, float64, bool or string; each row of each column is
 * present or null (valid[row] = 1 or 0).  The first `nindex` columns are
 * the index (groupby keys, value_counts values), printed the way pandas
 * prints an index.  A table owns all its memory.
 *
 * Wire encoding (msgpack, little-endian raw arrays inside bin values):
 *   [nindex, nrows, [[name, type, valid(bin nrows bytes),
 *                     data(bin: 8-byte values | 1-byte bools |
 *                          for strings: (nrows+1) uint64 offsets)],
 *                    strings: extra bin with the bytes], ...]
 *    (, source_na(bin ncols bytes))]   only when a column's flag is set
 * Decoding checks every size against nrows and the bytes present. */
#ifndef DUSK_TABLE_H
#define DUSK_TABLE_H

#include "buf.h"
#include "errors.h"
#include "value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct dusk_table_column {
  char *name;
  dusk_type type;
  uint8_t *valid;   /* nrows bytes: 1 present, 0 null */
  int64_t *i64;     /* INT64 */
  double *f64;      /* FLOAT64 */
  uint8_t *b;       /* BOOL: 0 or 1 */
  uint64_t *str_off; /* STRING: nrows + 1 offsets into str_data */
  char *str_data;
  size_t str_len, str_cap; /* bytes used / allocated in str_data */
  /* INT64 and BOOL only, 0 or 1: the column's values are those of a CSV
   * column that holds a null somewhere in the query's files (before any
   * fillna or filter), even if none is left in this table.  pandas'
   * read_csv holds such a column as float64 (ints) or object (bools) where
   * dusk keeps int64 / bool with nulls; dusk.h's
   * dusk_table_column_pandas_dtype answers from it.  Set by df_final
   * (worker/dfops.c) on result tables; 0 everywhere else. */
  uint8_t source_na;
  /* INT64, FLOAT64 and BOOL without a logical type, 0 or 1: the column is
   * pandas' nullable Int64, Float64 or boolean array (plan.h
   * dusk_plan_column_masked: a read_csv dtype= of that name and what pandas
   * computes from it); its nulls are pandas' <NA>, never a float64 NaN
   * or an object column's.  Set by df_final on result tables, and kept
   * by the copies; 0 everywhere else. */
  uint8_t masked;
  /* INT64: DUSK_TYPE_DATETIME or DUSK_TYPE_TIMEDELTA when the values
   * are nanoseconds of one (value.h), for the printers and pandas'
   * datetime64[ns] / timedelta64[ns]; 0 otherwise.  STRING:
   * DUSK_TYPE_TIMEDELTA for pandas' object column of Timedeltas (a
   * timedelta's describe(): the count and the Timedeltas as pandas prints
   * each, a null its NaT, which print() shows as "NaT").  Set by
   * df_final on result tables. */
  dusk_type logical;
} dusk_table_column;

typedef struct dusk_table {
  size_t ncols;
  size_t nrows;
  size_t nindex; /* leading index columns */
  size_t cap;    /* rows allocated in every column */
  dusk_table_column *cols;
} dusk_table;

/* An empty table with these columns.  NULL when out of memory. */
dusk_table *dusk_table_new(const char *const *names, const dusk_type *types,
                           size_t ncols, size_t nindex);
/* Also libdusk's public dusk_table_free (client/dusk.h), so libdusk.so
 * exports it although df/ is compiled with hidden symbols. */
__attribute__((visibility("default"))) void dusk_table_free(dusk_table *t);

/* Appends one row: values[i] for column i (a DUSK_TYPE_NULL value is a
 * null; numbers convert to the column's type where lossless).  0,
 * DUSK_ETYPE or DUSK_ENOMEM. */
int dusk_table_append_row(dusk_table *t, const dusk_value *values);
/* Appends rows [from, from + n) of src, which has the same columns. */
int dusk_table_append_rows(dusk_table *t, const dusk_table *src, size_t from,
                           size_t n);

struct dusk_batch;
/* Appends every row of batch b, column by column: b's columns
 * cols[0..ncols) into t's first ncols columns, then each later column k
 * of t (int64) from extra[k - ncols] (b->nrows values, none null).
 * 0, DUSK_ETYPE (a batch column's type is not its table column's: the
 * caller appends row by row instead, converting), DUSK_EINVAL or
 * DUSK_ENOMEM; on failure t keeps its rows. */
int dusk_table_append_batch(dusk_table *t, const struct dusk_batch *b,
                            const int *cols, size_t ncols,
                            const int64_t *const *extra);
/* The same for the batch rows sel[0..nsel) (in that order), each extra
 * array holding nsel values, one per selected row: the rows a scan keeps
 * of a batch, gathered column by column rather than one by one. */
int dusk_table_append_batch_rows(dusk_table *t, const struct dusk_batch *b,
                                 const int *cols, size_t ncols,
                                 const int64_t *const *extra,
                                 const size_t *sel, size_t nsel);
/* Copies what pandas' dtype of column `from` is made of besides its type
 * (source_na, masked, logical) to column `to`: a column copied, taken
 * or reordered into another table keeps its dtype. */
void dusk_table_copy_flags(dusk_table_column *to,
                           const dusk_table_column *from);
/* A new table of t's rows order[0..n) (indexes into t, repeats allowed),
 * with t's columns, index and dtype flags.  0 or DUSK_ENOMEM. */
int dusk_table_take(const dusk_table *t, const size_t *order, size_t n,
                    dusk_table **out);
/* A new table of t's columns cols[0..n) (every row, copied column by
 * column), the first nindex of them its index, with their dtype flags
 * (dusk_table_copy_flags).  0, DUSK_EINVAL (a column out of range) or
 * DUSK_ENOMEM. */
int dusk_table_columns(const dusk_table *t, const size_t *cols, size_t n,
                       size_t nindex, dusk_table **out);
/* Fills order[0..t->nrows) with t's rows in pandas 1.5's default
 * sort_values(col, kind="quicksort") order: nargsort's numpy quicksort
 * (npsort.h) of the non-null values (reversed before and after for
 * descending), then the nulls (and NaN) in row order.  Ties come out as
 * numpy leaves them, which is not row order.  Needs no memory. */
void dusk_table_nargsort(const dusk_table *t, int col, bool ascending,
                         size_t *order);
/* <0, 0, >0: row a of ta before, tied with, after row b of tb in the
 * order dusk_table_sort_order gives (columns ca[i] of ta against cb[i] of
 * tb, which must share their type; ascending[i] per column). */
int dusk_table_rows_cmp(const dusk_table *ta, const int *ca, size_t a,
                        const dusk_table *tb, const int *cb, size_t b,
                        const uint8_t *ascending, size_t n);
/* Fills order[0..t->nrows) with t's rows sorted by columns cols[0..n)
 * (ascending[k] 1 or 0 for each), as pandas' sort_values(kind="stable"):
 * ties keep their order, nulls (and NaN) last whatever the direction,
 * strings by bytes, False before True. */
void dusk_table_sort_order(const dusk_table *t, const int *cols,
                           const uint8_t *ascending, size_t n, size_t *order);

/* Row access.  dusk_table_get fills *v (strings borrow from the table). */
void dusk_table_get(const dusk_table *t, size_t col, size_t row,
                    dusk_value *v);
/* Index of the column named name, or -1. */
int dusk_table_column_index(const dusk_table *t, const char *name);

/* Wire encoding; decode allocates a new table into *out.  Encoding
 * refuses (DUSK_EINVAL) a source_na flag on a float64 or string column,
 * which decoding would refuse. */
int dusk_table_encode(const dusk_table *t, dusk_buf *out);
/* The bytes dusk_table_encode gives for the table dusk_table_take(t, rows,
 * n) makes, appended to out with one copy of the rows (no table between).
 * DUSK_EINVAL when a row is past t's. */
int dusk_table_encode_rows(const dusk_table *t, const size_t *rows, size_t n,
                           dusk_buf *out);
int dusk_table_decode(dusk_slice bytes, dusk_table **out, dusk_error *err);

/* Writers, matching pandas 1.5 for the same result:
 *  csv:  DataFrame.to_csv() - index columns first, header row, floats in
 *        repr form (shortest round-trip), nulls empty, True/False;
 *  text: print(DataFrame) - right-aligned columns, index on the left,
 *        NaN / <NA> for nulls;
 *  json: a list of records [{"col": value, ...}], nulls as null.
 * 0 or the errno-based code of a failed write. */
int dusk_table_write_csv(const dusk_table *t, FILE *f);
/* The csv of the table dusk_table_take(t, order, t->nrows) would make
 * (order a permutation of t's rows), written without making it. */
int dusk_table_write_csv_order(const dusk_table *t, const size_t *order,
                               FILE *f);
int dusk_table_write_text(const dusk_table *t, FILE *f);
int dusk_table_write_json(const dusk_table *t, FILE *f);
/* print() of what pandas returns when it is no frame, the text writer's
 * layout otherwise: a Series (the one value column over the index
 * columns; named after that column or, !named, None), a scalar (the one
 * value), or a row (a Series over the value columns' names, named after
 * the one row's index label or None).  A table of another shape than
 * that (more value columns, more rows) is written as dusk_table_write_text
 * writes it.  A Series' `nullable` values are pandas' nullable Int64 or
 * Float64 (the counts of a nullable column's value_counts).  0 or the errno-based code of a failed write. */
int dusk_table_write_series(const dusk_table *t, bool named, bool nullable,
                            FILE *f);
int dusk_table_write_scalar(const dusk_table *t, FILE *f);
int dusk_table_write_row(const dusk_table *t, bool named, FILE *f);
/* print() of what pandas 1.5's Series.unique() returns for t's one value
 * column (a table of another shape is written as dusk_table_write_text
 * writes it): numpy's array, "[3 1 2]", "['a' nan]", as numpy 1.24 prints
 * it; with `nullable` (a column read as pandas' Int64 or boolean) the
 * IntegerArray / BooleanArray pandas returns instead, with its class line
 * and Length/dtype footer.  0 or the errno-based code of a failed write. */
int dusk_table_write_array(const dusk_table *t, bool nullable, FILE *f);

/* v as Python's repr(float) writes it (what to_csv writes for a float):
 * "1.0", "0.1", "1e+20", "nan".  out holds at least 32 bytes; returns the
 * length. */
size_t dusk_table_format_float(double v, char *out);

#endif
