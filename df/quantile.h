/* quantile.h - exact quantiles out of core, in two scans with bounded
 * memory (median, quantile, describe's 25/50/75%).
 *
 * No worker holds a whole column.  The method:
 *
 *   scan 1  Each scan cuts a column's values into runs of at most a few
 *           hundred thousand, sorts each run (radix sort of ordered keys)
 *           and keeps of it a summary: up to DUSK_QSUM_ENTRIES values at
 *           evenly spaced ranks, each with its exact rank bounds within
 *           the run (how many values are smaller, how many not larger).
 *   bounds  One task merges every run's summary.  For each rank t that a
 *           quantile needs (numpy's linear method: floor and ceil of
 *           (n - 1) q), it picks the largest summary value lo that at
 *           most t values can lie below, and the smallest hi that at least
 *           t + 1 values lie at or below: the t-th value is in [lo, hi],
 *           and only about 2 n / DUSK_QSUM_ENTRIES values can be inside.
 *   scan 2  Each scan counts its values below lo and keeps the distinct
 *           values inside [lo, hi] with their counts.
 *   final   Adds the counts below, walks the merged window in order to
 *           rank t, and interpolates exactly as numpy (so pandas) does.
 *
 * Values travel as ordered keys: uint64 whose unsigned order is the
 * values' order (int64 with the sign bit flipped; float64 with the sign
 * bit flipped, or every bit when negative).  NaN and nulls are skipped, as
 * pandas skips them; -0.0 counts as 0.0.  Keys sit in int64 table columns
 * bit for bit. */
#ifndef DUSK_QUANTILE_H
#define DUSK_QUANTILE_H

#include "errors.h"
#include "table.h"
#include "value.h"

#include <stddef.h>
#include <stdint.h>

uint64_t dusk_qkey_from_i64(int64_t x);
int64_t dusk_qkey_to_i64(uint64_t k);
uint64_t dusk_qkey_from_f64(double x); /* x is not NaN */
double dusk_qkey_to_f64(uint64_t k);

/* Sorts keys[0..n) ascending, using tmp (room for n keys): an LSD radix
 * sort that skips the byte positions where every key agrees. */
void dusk_qkey_sort(uint64_t *keys, uint64_t *tmp, size_t n);

/* Entries a run's summary keeps at most (plus its largest value). */
#define DUSK_QSUM_ENTRIES 1024

/* Scan 1's partial: one row per summary entry, a run's rows together in
 * key order.  col is the column's position in the quantile's list; range
 * and run name the run (the scan's range index, the run within it). */
enum {
  DUSK_QSUM_COL,   /* int64 */
  DUSK_QSUM_RANGE, /* int64 */
  DUSK_QSUM_RUN,   /* int64 */
  DUSK_QSUM_N,     /* int64: values in the run */
  DUSK_QSUM_KEY,   /* int64: an ordered key */
  DUSK_QSUM_RLO,   /* int64: values of the run below key */
  DUSK_QSUM_RHI,   /* int64: values of the run at or below key */
  DUSK_QSUM_NCOLS
};

/* The bounds task's result: per column and needed rank, the window. */
enum {
  DUSK_QBOUND_COL,    /* int64 */
  DUSK_QBOUND_TARGET, /* int64: the rank (0-based, values ascending) */
  DUSK_QBOUND_LO,     /* int64: ordered key, the window's lowest */
  DUSK_QBOUND_HI,     /* int64: ordered key, the window's highest */
  DUSK_QBOUND_NCOLS
};

/* Scan 2's partial.  Three kinds of rows:
 *   target >= 0, key set   count values equal to key inside the window
 *   target >= 0, key null  count values below the window
 *   target == -1           the column's totals in the scan: count values,
 *                          their type (its logical dusk_type) and moments
 *                          (for describe: their sum, mean as hi + lo and
 *                          sum of squared deviations as moments.h's
 *                          dusk_moments hold them, min and max, as
 *                          float64). */
enum {
  DUSK_QWIN_COL,     /* int64 */
  DUSK_QWIN_TARGET,  /* int64 */
  DUSK_QWIN_KEY,     /* int64 or null */
  DUSK_QWIN_COUNT,   /* int64 */
  DUSK_QWIN_TYPE,    /* int64 */
  DUSK_QWIN_SUM,     /* float64 */
  DUSK_QWIN_MEAN,    /* float64: hi */
  DUSK_QWIN_MEAN_LO, /* float64: lo */
  DUSK_QWIN_M2,      /* float64 */
  DUSK_QWIN_MIN,    /* float64 */
  DUSK_QWIN_MAX,    /* float64 */
  DUSK_QWIN_IMIN,   /* int64: an int64-stored column's exact min (a
                       timedelta's, which a double would round past
                       2^53 ns), INT64_MAX with no value */
  DUSK_QWIN_IMAX,   /* int64: its exact max, INT64_MIN with no value */
  DUSK_QWIN_NCOLS
};

/* Empty tables of these layouts (NULL when out of memory), and checks that
 * a table has one (0, or DUSK_ETYPE with err); in dftask.c with the other
 * partials' layouts. */
dusk_table *dusk_qsummary_table_new(void);
dusk_table *dusk_qbounds_table_new(void);
dusk_table *dusk_qwindow_table_new(void);
int dusk_qsummary_table_check(const dusk_table *t, dusk_error *err);
int dusk_qbounds_table_check(const dusk_table *t, dusk_error *err);
int dusk_qwindow_table_check(const dusk_table *t, dusk_error *err);

/* Appends the summary of one run, sorted[0..n) ascending (n > 0).
 * 0 or DUSK_ENOMEM. */
int dusk_qsummary_add_run(dusk_table *t, int64_t col, int64_t range,
                          int64_t run, const uint64_t *sorted, size_t n);

/* The ranks numpy's linear interpolation reads for quantile q of n values
 * (q as pandas passes it, through q * 100 and back), and the weight of
 * the upper one.  n > 0. */
void dusk_quantile_ranks(int64_t n, double q, int64_t *below, int64_t *above,
                         double *gamma);

/* The bounds table from the merged summaries of every run of columns
 * 0..ncols-1, for quantiles qs[0..nq).  0, or a negative code with err
 * (a summary that contradicts itself). */
int dusk_qbounds(const dusk_table *summary, size_t ncols, const double *qs,
                 size_t nq, dusk_table **out, dusk_error *err);

/* Scan 2's state for one window: values below it, and the distinct
 * values inside with their counts (kept sorted by compacting a buffer of
 * raw keys, so a value repeated a million times takes one entry). */
typedef struct dusk_qwindow {
  int64_t col, target;
  uint64_t lo, hi;
  int64_t below;
  uint64_t *raw; /* keys not yet compacted */
  size_t nraw, capraw;
  uint64_t *keys; /* distinct, ascending */
  int64_t *counts;
  size_t nkeys, capkeys;
} dusk_qwindow;

/* Makes room in raw: sorts it and merges it into keys/counts (and
 * allocates raw the first time).  0 or DUSK_ENOMEM. */
int dusk_qwindow_compact(dusk_qwindow *w);
/* Counts key into the window's state; 0 or DUSK_ENOMEM. */
static inline int dusk_qwindow_add(dusk_qwindow *w, uint64_t key) {
  int rc;
  if (key < w->lo) {
    w->below++;
    return 0;
  }
  if (key > w->hi)
    return 0;
  if (w->nraw == w->capraw && (rc = dusk_qwindow_compact(w)) != 0)
    return rc;
  w->raw[w->nraw++] = key;
  return 0;
}
/* dusk_qwindow_add of keys[0..n), a batch at a time: the count below
 * stays in a register and the test is branch-free but for the (rare)
 * keys inside the window.  0 or DUSK_ENOMEM. */
int dusk_qwindow_add_keys(dusk_qwindow *w, const uint64_t *keys, size_t n);
/* Appends the window's rows (below, then each distinct value) to a
 * window table; 0 or DUSK_ENOMEM. */
int dusk_qwindow_emit(dusk_qwindow *w, dusk_table *t);
void dusk_qwindow_destroy(dusk_qwindow *w);

/* The value of rank target of column col from the merged window table:
 * its ordered key into *key.  0, or DUSK_EINVAL with err when the rows do
 * not hold that rank (a window that missed it: never, for bounds from
 * dusk_qbounds over the same values). */
int dusk_qwindow_select(const dusk_table *w, int64_t col, int64_t target,
                        uint64_t *key, dusk_error *err);

/* numpy's linear interpolation between the values at the two ranks, for a
 * column of this physical or logical type, as pandas computes it: int64
 * and float64 give a float64 (*f); datetime and timedelta nanoseconds are
 * interpolated as int64 into a float64 that is truncated into *i. */
void dusk_quantile_lerp(dusk_type type, uint64_t lo, uint64_t hi,
                        double gamma, double *f, int64_t *i);
/* The same for pandas' median(): numpy's median averages the middle pair
 * as (a + b) / 2 in float64 (ints, and datetimes' nanoseconds, converted
 * first). */
void dusk_quantile_midpoint(dusk_type type, uint64_t lo, uint64_t hi,
                            double *f, int64_t *i);

/* describe's row labels for percentiles qs[0..nq) (each in [0, 1]), as
 * pandas' format_percentiles writes them: "25%" when every one is a whole
 * percent, else the fewest decimals (at least one) that keep the distinct
 * ones apart and off 0% and 100%: "33.3%", "0.1%", "29.0%".  The
 * precision is the set's (-1: whole percents); a label fits in
 * DUSK_PERCENTILE_LABEL_MAX bytes with its NUL.  (pandas writes a value
 * under 0.0001% in exponent form; these stay positional.) */
#define DUSK_PERCENTILE_LABEL_MAX 32
int dusk_percentile_precision(const double *qs, size_t nq);
void dusk_percentile_label(double q, int prec,
                           char label[DUSK_PERCENTILE_LABEL_MAX]);

#endif
