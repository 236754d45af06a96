/* hashagg.h - hash aggregation for groupby: partial aggregates per
 * partition, merged in a tree, finished into pandas' answer.
 *
 * Groups are keyed by the tuple of key values; rows with a null key are
 * dropped (pandas' dropna=True).  Each aggregate keeps a small state per
 * group: count; sum; sum + count (mean); min/max value; first/last value
 * with its position in the files (range, row); for nunique, the set
 * of distinct (group, value) pairs; for median and quantile, those pairs
 * with each one's count (a value repeated a million times is one entry),
 * from which the final picks the ranks pandas reads.  The partial state
 * travels as a dusk_table (keys, then state columns) so partials merge
 * anywhere.  Memory: one entry per group (plus one per distinct value for
 * nunique, median and quantile), never per row.  Not thread-safe; one
 * per task. */
#ifndef DUSK_HASHAGG_H
#define DUSK_HASHAGG_H

#include "batch.h"
#include "errors.h"
#include "plan.h"
#include "table.h"

typedef struct dusk_hashagg dusk_hashagg;

typedef struct dusk_aggspec {
  dusk_agg_fn fn;
  dusk_type input;  /* type of the aggregated column (ignored for SIZE) */
  const char *name; /* output column name */
  double q;         /* QUANTILE: which, 0 <= q <= 1 */
} dusk_aggspec;

/* NULL when out of memory or for an unsupported (fn, type) pair, which the
 * scheduler refuses at submit. */
dusk_hashagg *dusk_hashagg_new(const char *const *key_names,
                               const dusk_type *key_types, size_t nkeys,
                               const dusk_aggspec *aggs, size_t naggs);
void dusk_hashagg_free(dusk_hashagg *h);

/* Makes rows with a missing key value (null or NaN) a group of their
 * own, sorted after the others, where by default they are dropped:
 * pandas' groupby(dropna=False).  Call before anything is added. */
void dusk_hashagg_keep_na(dusk_hashagg *h);

/* A sum of text (pandas' object sum: the strings concatenated in file
 * order, as a whole frame's df.sum() does to a text column) holds at most
 * this many bytes: past it the final answers null, which the query
 * turns into an error naming the column, rather than growing without
 * bound.  dusk_hashagg_set_text_cap lowers it (tests). */
#define DUSK_TEXT_SUM_MAX ((uint64_t)64 << 20)
void dusk_hashagg_set_text_cap(dusk_hashagg *h, uint64_t bytes);

/* Where the next batch's rows lie in the files, for first / last: its
 * range index and each row's ordinal within the range (borrowed until the
 * next dusk_hashagg_add, which forgets them).  Without it a batch's rows
 * come after every row added before, in order. */
void dusk_hashagg_at(dusk_hashagg *h, uint64_t range,
                     const uint64_t *row_ordinals);

/* The same for a batch whose rows lie in ranges of their own: row r at
 * (ranges[r], row_ordinals[r]) (a shuffle join's rows: order group and
 * place, worker/dfops.c order_group); any order.  Borrowed alike. */
void dusk_hashagg_at_each(dusk_hashagg *h, const uint64_t *ranges,
                          const uint64_t *row_ordinals);

/* Adds rows [0, b->nrows) of b: keys from columns key_cols[], aggregate i
 * reads column agg_cols[i] (-1 for SIZE).  0 or DUSK_ENOMEM. */
int dusk_hashagg_add(dusk_hashagg *h, const dusk_batch *b,
                     const int *key_cols, const int *agg_cols);

/* The state as a table (for df_combine / df_final), and merging one in. */
int dusk_hashagg_partial(const dusk_hashagg *h, dusk_table **out);
int dusk_hashagg_merge(dusk_hashagg *h, const dusk_table *partial,
                       dusk_error *err);

/* For a consumer that rebuilds the aggregate from a partial alone
 * (df_combine, df_final): reads the key types into key_types[0..nkeys) and,
 * where the state shows it, each aggregate's input type from the partial's
 * columns (min/max: the value's type; sum: int64 or float64; mean: float64;
 * count/size: int64).  nunique's state does not show it: specs[a].input is
 * left as the caller set it.  specs[a].fn must be set.  0, or DUSK_ETYPE
 * when partial has fewer columns than that layout. */
int dusk_hashagg_partial_types(const dusk_table *partial, size_t nkeys,
                               dusk_type *key_types, dusk_aggspec *specs,
                               size_t naggs, dusk_error *err);

/* The answer: keys as index columns sorted ascending, one column per
 * aggregate.  count/size/nunique are int64; mean float64; sum int64 for
 * int and bool inputs, float64 for float, the concatenated string for
 * text (null when there was none, or past DUSK_TEXT_SUM_MAX); min/max keep
 * the input type (null for a group whose values are all null). */
int dusk_hashagg_final(const dusk_hashagg *h, dusk_table **out);

/* The same columns, the groups in the order of their first rows (the
 * first FIRST_ROW aggregate's, whose column then holds 0, 1, 2, ...), not
 * sorted by key: value_counts orders its answer by counts, ties by first
 * appearance, so a sort by key would be wasted.  DUSK_EINVAL without a
 * FIRST_ROW aggregate. */
int dusk_hashagg_final_by_first_row(const dusk_hashagg *h, dusk_table **out);

size_t dusk_hashagg_ngroups(const dusk_hashagg *h);

/* The bytes of the encoded value of type t that starts at p, with avail
 * bytes there: 8 for an int or a float, 1 for a bool, 4 + its length for
 * a string - the values a nunique state's run holds back to back.  0 when
 * the run is cut short (a partial from the network is untrusted). */
size_t dusk_hashagg_value_len(dusk_type t, const char *p, size_t avail);

#endif
