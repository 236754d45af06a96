/* dfops.c - df_scan, df_combine and df_final (see dfops.h).
 *
 * A scan runs the plan fragment's chain bottom-up over each column batch:
 * fills, filters (a mask, then rows compacted in place), projections (which
 * columns later steps see), and finally the terminal, which keeps a bounded
 * state: a hash aggregate, a row count, the first n rows, or per-column
 * moments.  Partials are tables whose layouts dftask.h names (and
 * hashagg.h for aggregates): len, head/collect rows, describe moments,
 * to_csv's files, and with every partial a ranges table of one row per
 * scanned range: the tokenizer state its scan started in and the state
 * transfer of its bytes (csvscan.h), -1 when unknown, and the int64 and
 * bool columns it met a null in, from which df_final marks the result
 * columns pandas would hold as float64 / object (mark_source_na). */
#include "dfops.h"

#include "csvscan.h"
#include "exprtype.h"
#include "fieldparse.h"
#include "exprvec.h"
#include "hashagg.h"
#include "hashmap.h"
#include "join.h"
#include "joinlabel.h"
#include "log.h"
#include "npsort.h"
#include "rangepart.h"
#include "keycode.h"
#include "keyset.h"
#include "moments.h"
#include "partition.h"
#include "msg.h"
#include "plan.h"
#include "post.h"
#include "quantile.h"
#include "table.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 16384

typedef struct step {
  const dusk_plan *node;
  dusk_exprvec *expr; /* QUERY, ASSIGN */
  size_t slot;        /* ASSIGN: the batch column it writes; CONCAT: the
                         first of its node's csv.ndtypes columns of
                         missing values (the ones its input lacks) */
  int *fill_cols;     /* FILLNA: per fill, the batch column (-1 = all) */
  uint8_t *fill_how;  /* FILLNA: per batch column, a FILL_* */
  /* MERGE: the left key columns; per right column (the node's
   * csv.dtypes) its batch column (-1: a key kept once) and its column in
   * the right table; the names it gives (owned); the shared table and
   * index (join_acquire).  slot is its first column: the columns before
   * it are the left rows' (an expanding merge copies those). */
  int *lkeys;
  int *rslot, *rcol;
  char **names;
  size_t nnames;
  struct join_entry *join;
  /* MERGE: the left's visible columns as the merge meets them - batch
   * column and name before any suffix (names borrowed from the plan) -
   * by which a shuffle join's left rows find their columns */
  int *lvis;
  const char **lvis_name;
  size_t nlvis;
} step;

/* What a FILLNA step does to a column (pandas' fillna on that dtype). */
enum {
  FILL_PLAIN = 0, /* fill where the value fits the column's type */
  FILL_MIXED,     /* the column becomes text: values and fill as pandas
                     writes them (plan.h, mixed) */
  FILL_REPORT,    /* a fill would mix kinds, and the scheduler assumed no
                     null gets here: the first one fails the scan with
                     DUSK_FAIL_MIXED */
  FILL_DATETIME   /* an ISO date-time string into a datetime column: that
                     Timestamp (dusk_plan_fill_datetime) */
};

/* describe's moments of one column in a scan: std's sums (moments.h),
 * and the plain sum of the values, whose mean is pandas' (its sum over
 * the count, as nanmean's); the min and max as doubles, and of an int64-
 * stored column exactly (a timedelta's Timedeltas). */
typedef struct moments {
  dusk_moments_sums sums;
  double sum, min, max;
  int64_t imin, imax;
} moments;

typedef struct pipeline {
  dusk_plan *plan;
  const dusk_plan **chain; /* leaf first */
  size_t nchain;
  const dusk_plan *leaf, *root;
  int terminal; /* root's dusk_plan_kind, or 0 for collect */
  size_t ncols;  /* the file's columns read (nread), then one per assign */
  size_t nread;  /* columns the scan reads from the file */
  size_t ndefined; /* columns defined so far while the steps are set up */
  const char **names;
  dusk_type *types;      /* per column, after every step (a FILL_MIXED
                            column is a string); storage types */
  dusk_type *ltypes;     /* the same, logical (value.h: datetimes) */
  uint8_t *datetime;     /* per column: the scan reads ISO date-times */
  dusk_type *no_na;      /* per column: the numpy dtype (INT64, BOOL) in
                            which a missing value fails the scan (plan.h
                            dusk_dtype no_na), else DUSK_TYPE_NULL */
  dusk_type *scan_types; /* per column, as the scan reads it */
  step *steps;
  size_t nsteps;
  uint8_t *mask;
  int *visible;
  size_t nvisible;
  /* terminals */
  dusk_hashagg *agg;
  int *key_cols, *agg_cols;
  int64_t count;
  int64_t limit;
  dusk_table *rows;
  /* topk: the sort keys as columns of rows (the by columns, then __range
   * and __row), their directions, the batch column of the first key; once
   * rows was trimmed to the best `limit`, its last row is the threshold a
   * new row must beat (topk_thr) */
  int *topk_cols;
  uint8_t *topk_asc;
  size_t topk_nkeys;
  int topk_first;
  int topk_thr;
  /* drop_duplicates: the batch columns of its key (the subset, or every
   * visible column), the keys met so far, and the stage
   * (setup_dedup_stage): 0 one round of whole rows, 1 a subset's key
   * round, 2 its rows round, which keeps the rows at the sorted ordinals
   * dedup_want[dedup_next..dedup_nwant) of this range */
  int *dedup_cols;
  size_t ndedup;
  dusk_keyset dedup_seen;
  dusk_buf dedup_key;
  size_t *dedup_off; /* a batch's keys in dedup_key (batch rows + 1) */
  size_t *dedup_row; /* the batch row of each */
  uint32_t *dedup_entry;
  uint8_t *dedup_added, *dedup_first;
  int64_t *dedup_code; /* per batch row: dusk_dense_codes */
  uint64_t *dedup_dense; /* the coded keys met: a bit per code */
  /* keys the dense array cannot take, packed into a uint64 where they can
   * be (keycode.h), and the packed keys met; per batch row its code, and
   * the batch rows of the codes looked up */
  dusk_keycoder dedup_coder;
  dusk_codeset dedup_codes;
  uint64_t *dedup_kcode, *dedup_cbuf;
  size_t *dedup_crow;
  uint32_t *dedup_centry;
  uint8_t *dedup_cadded;
  /* the batch rows kept, and their __range and __row values */
  size_t *dedup_sel;
  int64_t *dedup_xrange, *dedup_xrow;
  size_t dedup_cap;
  int dedup_stage;
  /* the rows round of a range none of whose rows is kept: the key
   * round's ranges row for it, which this scan reports unread */
  dusk_table *dedup_skip;
  int64_t *dedup_want;
  size_t dedup_nwant, dedup_next;
  /* quantile, describe (quantile.h): the columns (the root's list) as
   * batch columns; scan 1 sorts runs of each into summaries, scan 2 (given
   * the bounds) counts into windows and, for describe, moments */
  int *qcols;
  size_t nqcols;
  int qstage;         /* 1 or 2 */
  uint64_t **qrun;    /* scan 1: per column, the run being filled */
  size_t *qnrun;
  int64_t *qruns;     /* runs done per column */
  size_t qruncap;
  uint64_t *qsorttmp;
  uint64_t *qkeys; /* scan 2: a batch column's keys (qkeys_cap of them) */
  size_t qkeys_cap;
  dusk_table *qsummary;
  int64_t *qcount;    /* scan 2: values per column */
  moments *mom;       /* scan 2 of describe: per column */
  dusk_qwindow *qwin; /* scan 2: windows, grouped by column */
  size_t nqwin;
  size_t *qwin_first; /* per column: its first window (nqcols + 1) */
  uint64_t range_index;
  uint64_t scanned;
  /* merge: its step (-1: none), the rows it gave (their ordinals: pandas'
   * merge numbers its rows anew), and, for a right key with several
   * rows, the batch it expands into with those rows' ordinals, and each
   * left row's index entry */
  int merge_step;
  uint64_t merged;
  dusk_batch mbatch;
  bool mbatch_ready;
  uint64_t *mordinals;
  uint32_t *mentries;
  dusk_buf mkey; /* a probe's key */
  /* a shuffle join's part of how right / outer (op_df_join): per index
   * entry, whether a left row met it (NULL elsewhere) */
  uint8_t *mhit;
  /* A shuffle join giving rows (op_df_join, join_order): each row's
   * __range is its order group, which every part agrees on, and its __row
   * its place in this part's output; mranges the groups of mbatch's rows,
   * lfirst per index entry the first left row (its order) that met it,
   * lonly the left keys no right row has (outer), with each one's first
   * left row in lonly_first. */
  bool join_order;
  /* how right / outer: a right-only row met a key kept once whose left
   * column holds ints and whose right one floats (join_right_only) - the
   * key's column, which op_df_join reports as DUSK_FAIL_WIDEN for the
   * scheduler to rerun with the left's key cast to float64 */
  bool float_key;
  size_t float_key_col;
  /* a join's right-only row was made (join_label_place): its label is
   * NaN, reported as DUSK_NULLS_LABEL */
  bool join_no_left;
  uint64_t *mranges;
  uint64_t *lfirst;
  dusk_keyset lonly;
  uint64_t *lonly_first;
  size_t lonly_cap;
  /* With join_order a row's __row is its place in its order group (the
   * rows the merge gave the group before it): gcount per index entry,
   * lonly_count per left-only key, rcount per right table row (how
   * right) count each group's rows so far; mplace holds a batch's places
   * between the probe and the rows' making.  join_groups: a step after
   * the merge drops rows, so the part also reports every group with its
   * rows (groups, joinlabel.h) for the final to label the survivors. */
  uint64_t *gcount, *lonly_count, *rcount, *mplace;
  bool join_groups;
  dusk_join_groups groups;
  /* A shuffle join's drop_duplicates (join_dedup_add): groups arrive
   * out of order, so the first row met with a key need not be its first
   * in the merge.  Per key (dedup_seen entry) the best (group, place)
   * so far; a row is kept whole when it beats it, and the rows it beat
   * go at the next shrink (join_dedup_shrink), once the rows are twice
   * what the last shrink kept. */
  bool join_dedup;
  size_t join_dedup_kept, jd_cap;
  uint64_t *jd_group, *jd_place;
  /* per batch row, its __range where rows carry one each (a shuffle
   * join's), else NULL: every row's is range_index */
  const uint64_t *row_ranges;
  /* topk by position over rows that arrive in no order (a shuffle
   * join's): no row is passed over for coming late */
  bool topk_unordered;
  /* Nulls in the file, for DUSK_RANGES_NULLS: per column, null_watch is
   * set while a column that counts (dusk_nulls_count) has shown no null,
   * null_seen once it has; nwatch columns are still watched. */
  uint8_t *null_watch, *null_seen;
  size_t nwatch;
  /* to_csv: rows go through `chunk` into `out`, a temporary file renamed
   * to its final name only once complete; a row's label (the index
   * column) is label_base plus its number within the range */
  FILE *out;
  int64_t label_base;
  char out_tmp[4200], out_path[4200];
  dusk_table *chunk;
  int64_t written;
  size_t header_len; /* bytes of the header line dusk_table_write_csv adds */
  int wrote_header;
  /* persist: the range's rows, every column, as they are read */
  dusk_part_builder *part;
} pipeline;


struct join_entry;
static void join_release(struct join_entry *e);

/* Frees drop_duplicates' per-batch scratch (dedup_add sizes it to the
 * batch). */
static void dedup_scratch_free(pipeline *p) {
  free(p->dedup_off);
  free(p->dedup_row);
  free(p->dedup_entry);
  free(p->dedup_added);
  free(p->dedup_first);
  free(p->dedup_code);
  free(p->dedup_kcode);
  free(p->dedup_cbuf);
  free(p->dedup_crow);
  free(p->dedup_centry);
  free(p->dedup_cadded);
  free(p->dedup_sel);
  free(p->dedup_xrange);
  free(p->dedup_xrow);
}

static void pipeline_destroy(pipeline *p) {
  if (p->out != NULL) { /* not completed: leave nothing looking complete */
    fclose(p->out);
    unlink(p->out_tmp);
  }
  dusk_table_free(p->chunk);
  free(p->mhit);
  free(p->mranges);
  free(p->lfirst);
  free(p->lonly_first);
  free(p->gcount);
  free(p->lonly_count);
  free(p->rcount);
  free(p->mplace);
  dusk_join_groups_destroy(&p->groups);
  if (p->join_order)
    dusk_keyset_destroy(&p->lonly);
  dusk_part_builder_free(p->part);
  for (size_t i = 0; i < p->nsteps; i++) {
    dusk_exprvec_free(p->steps[i].expr);
    free(p->steps[i].fill_cols);
    free(p->steps[i].fill_how);
    free(p->steps[i].lkeys);
    free(p->steps[i].lvis);
    free(p->steps[i].lvis_name);
    free(p->steps[i].rslot);
    free(p->steps[i].rcol);
    for (size_t n = 0; n < p->steps[i].nnames; n++)
      free(p->steps[i].names[n]);
    free(p->steps[i].names);
    join_release(p->steps[i].join);
  }
  free(p->steps);
  free(p->chain);
  free(p->names);
  free(p->types);
  free(p->ltypes);
  free(p->datetime);
  free(p->no_na);
  free(p->scan_types);
  free(p->mask);
  free(p->visible);
  free(p->null_watch);
  free(p->null_seen);
  dusk_hashagg_free(p->agg);
  free(p->key_cols);
  free(p->agg_cols);
  dusk_table_free(p->rows);
  free(p->topk_cols);
  free(p->topk_asc);
  free(p->dedup_cols);
  free(p->dedup_want);
  dusk_table_free(p->dedup_skip);
  dedup_scratch_free(p);
  free(p->dedup_dense);
  dusk_keyset_destroy(&p->dedup_seen);
  free(p->jd_group);
  free(p->jd_place);
  dusk_keycoder_destroy(&p->dedup_coder);
  dusk_codeset_destroy(&p->dedup_codes);
  dusk_buf_destroy(&p->dedup_key);
  free(p->mom);
  for (size_t i = 0; p->qrun != NULL && i < p->nqcols; i++)
    free(p->qrun[i]);
  free(p->qrun);
  free(p->qnrun);
  free(p->qruns);
  free(p->qsorttmp);
  free(p->qkeys);
  dusk_table_free(p->qsummary);
  free(p->qcount);
  for (size_t i = 0; i < p->nqwin; i++)
    dusk_qwindow_destroy(&p->qwin[i]);
  free(p->qwin);
  free(p->qwin_first);
  free(p->qcols);
  if (p->mbatch_ready)
    dusk_batch_destroy(&p->mbatch);
  free(p->mordinals);
  free(p->mentries);
  dusk_buf_destroy(&p->mkey);
  dusk_plan_free(p->plan);
  memset(p, 0, sizeof *p);
}

/* The batch column a name means at this point of the steps: the latest
 * one defined (an assign may replace a column of the file). */
static int col_index(const pipeline *p, const char *name) {
  for (size_t i = p->ndefined; i-- > 0;)
    if (p->names[i] != NULL && strcmp(p->names[i], name) == 0)
      return (int)i;
  return -1;
}

/* The aggregate's keys of a groupby or value_counts: a groupby's keys,
 * the counted column of a value_counts, or a grouped value_counts' group
 * keys and then the counted column (so its groups sort by group, then
 * value). */
static size_t agg_nkeys(const dusk_plan *g) {
  return g->ncolumns;
}

/* Whether g is a groupby's value_counts (its keys, then the counted
 * column). */
static bool grouped_value_counts(const dusk_plan *g) {
  return g->kind == DUSK_PLAN_VALUE_COUNTS && g->ncolumns > 1;
}

static const char *agg_key(const dusk_plan *g, size_t k) {
  if (g->kind != DUSK_PLAN_VALUE_COUNTS || g->ncolumns == 1)
    return g->columns[k];
  return k + 1 < g->ncolumns ? g->columns[k + 1] : g->columns[0];
}

/* Whether the aggregate keeps null keys: dropna=False; a grouped
 * value_counts keeps them all, and its final step drops those its two
 * dropna= flags drop (normalize divides by what is left). */
/* A value_counts counts its rows (size) and, ungrouped, notes where each
 * value first appears (FIRST_ROW), whose order pandas' sort of the
 * counts starts from. */
static size_t agg_naggs(const dusk_plan *g) {
  if (g->kind != DUSK_PLAN_VALUE_COUNTS)
    return g->naggs;
  return g->ncolumns == 1 ? 2 : 1;
}

static void value_counts_specs(const dusk_plan *g, dusk_aggspec *specs) {
  specs[0].fn = DUSK_AGG_SIZE;
  specs[0].input = DUSK_TYPE_INT64;
  specs[0].name = g->columns[0];
  specs[0].q = 0;
  if (agg_naggs(g) > 1) {
    specs[1].fn = DUSK_AGG_FIRST_ROW;
    specs[1].input = DUSK_TYPE_INT64;
    specs[1].name = DUSK_HIDDEN_AGG_STR "first_row";
    specs[1].q = 0;
  }
}

static bool agg_keep_na(const dusk_plan *g) {
  return g->keep_na || (g->kind == DUSK_PLAN_VALUE_COUNTS && g->ncolumns > 1);
}

/* Columns an aggregate reads: keys then (column, fn) pairs, with the plan's
 * "all columns" entries already expanded by the scheduler. */
static int setup_groupby(pipeline *p, dusk_error *err) {
  const dusk_plan *g = p->root;
  const char **keys;
  dusk_type *ktypes;
  dusk_aggspec *specs;
  size_t nkeys = agg_nkeys(g);
  size_t naggs = agg_naggs(g);
  int rc = 0;

  keys = dusk_xcalloc(nkeys, sizeof *keys);
  ktypes = dusk_xcalloc(nkeys, sizeof *ktypes);
  specs = dusk_xcalloc(naggs, sizeof *specs);
  p->key_cols = dusk_xcalloc(nkeys, sizeof *p->key_cols);
  p->agg_cols = dusk_xcalloc(naggs, sizeof *p->agg_cols);
  for (size_t k = 0; k < nkeys; k++) {
    int c = col_index(p, agg_key(g, k));
    if (c < 0) {
      rc = dusk_error_set(err, DUSK_ENOTFOUND, "groupby key '%s' not read",
                          agg_key(g, k));
      goto out;
    }
    keys[k] = agg_key(g, k);
    ktypes[k] = p->types[c];
    p->key_cols[k] = c;
  }
  if (g->kind == DUSK_PLAN_VALUE_COUNTS) {
    value_counts_specs(g, specs);
    for (size_t a = 0; a < naggs; a++)
      p->agg_cols[a] = -1;
  }
  for (size_t a = 0; g->kind == DUSK_PLAN_GROUPBY && a < naggs; a++) {
    const dusk_agg *ag = &g->aggs[a];
    specs[a].fn = ag->fn;
    if (ag->fn == DUSK_AGG_SIZE) {
      specs[a].input = DUSK_TYPE_INT64;
      /* size() is pandas' unnamed Series (0 once a frame);
       * agg({"x": "size"}) is named x */
      specs[a].name = ag->label    ? ag->label
                      : ag->column ? ag->column
                                   : "0";
      p->agg_cols[a] = -1;
      continue;
    }
    int c = ag->column ? col_index(p, ag->column) : -1;
    if (c < 0) {
      rc = dusk_error_set(err, DUSK_ENOTFOUND,
                          "aggregate column '%s' not read",
                          ag->column ? ag->column : "(all)");
      goto out;
    }
    specs[a].input = p->types[c];
    specs[a].name = ag->label ? ag->label : ag->column;
    specs[a].q = ag->q;
    p->agg_cols[a] = c;
  }
  p->agg = dusk_hashagg_new(keys, ktypes, nkeys, specs, naggs);
  if (p->agg == NULL)
    rc = dusk_error_set(err, DUSK_ETYPE,
                        "unsupported aggregate for these column types");
  else if (agg_keep_na(g))
    dusk_hashagg_keep_na(p->agg);
out:
  free(keys);
  free(ktypes);
  free(specs);
  return rc;
}

/* p->rows as an empty rows table of the batch columns cols[0..n), then
 * __range and __row (dftask.h), replacing any it had. */
static int setup_rows_of(pipeline *p, const int *cols, size_t n,
                         dusk_error *err) {
  size_t nc = n + DUSK_ROWS_NEXTRA;
  const char **names = dusk_xcalloc(nc, sizeof *names);
  dusk_type *types = dusk_xcalloc(nc, sizeof *types);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    names[i] = p->names[cols[i]];
    types[i] = p->types[cols[i]];
  }
  names[dusk_rows_range_col(nc)] = "__range";
  types[dusk_rows_range_col(nc)] = DUSK_TYPE_INT64;
  names[dusk_rows_row_col(nc)] = "__row";
  types[dusk_rows_row_col(nc)] = DUSK_TYPE_INT64;
  dusk_table_free(p->rows);
  p->rows = dusk_table_new(names, types, nc, 0);
  if (p->rows == NULL)
    rc = dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  free(names);
  free(types);
  return rc;
}

/* The rows table of head, collect, topk and drop_duplicates: the visible
 * columns. */
static int setup_rows(pipeline *p, dusk_error *err) {
  return setup_rows_of(p, p->visible, p->nvisible, err);
}

/* topk's sort keys over a rows table (visible columns, __range, __row):
 * the by columns in their directions, then file order (ascending, so
 * ties keep pandas' first occurrence first); with no by, file order in
 * the one direction given.  p may be a merger's pipeline (no batch
 * columns: topk_first stays -1). */
static int setup_topk(pipeline *p, const dusk_plan *k, const dusk_table *rows,
                      dusk_error *err) {
  size_t nby = k->ncolumns, nc = rows->ncols;
  bool by_position = nby == 0;
  p->topk_nkeys = nby + 2;
  p->topk_cols = dusk_xcalloc(p->topk_nkeys, sizeof *p->topk_cols);
  p->topk_asc = dusk_xcalloc(p->topk_nkeys, 1);
  p->topk_first = -1;
  p->topk_thr = 0;
  for (size_t i = 0; i < nby; i++) {
    int c = dusk_table_column_index(rows, k->columns[i]);
    if (c < 0 || (size_t)c >= nc - DUSK_ROWS_NEXTRA)
      return dusk_error_set(err, DUSK_ENOTFOUND,
                            "%s: column '%s' is not in the rows",
                            dusk_plan_kind_name(k->kind), k->columns[i]);
    p->topk_cols[i] = c;
    p->topk_asc[i] = k->ascending[i];
  }
  p->topk_cols[nby] = (int)dusk_rows_range_col(nc);
  p->topk_cols[nby + 1] = (int)dusk_rows_row_col(nc);
  p->topk_asc[nby] = p->topk_asc[nby + 1] =
      by_position ? k->ascending[0] : 1;
  if (!by_position && p->names != NULL)
    p->topk_first = col_index(p, k->columns[0]);
  return 0;
}

/* Total keys the runs of one scan 1 hold at most (8 bytes each), and the
 * bounds on one column's run. */
#define QRUN_BUDGET ((size_t)4 << 20)
#define QRUN_MIN ((size_t)16384)
#define QRUN_MAX ((size_t)262144)

/* The quantile's columns; the stage is set once the scan sees whether it
 * has the bounds (setup_quantile_stage). */
static int setup_quantile(pipeline *p, dusk_error *err) {
  const dusk_plan *q = p->root;
  p->nqcols = q->ncolumns;
  p->qcols = dusk_xcalloc(p->nqcols + 1, sizeof *p->qcols);
  for (size_t i = 0; i < p->nqcols; i++) {
    int c = col_index(p, q->columns[i]);
    if (c < 0)
      return dusk_error_set(err, DUSK_ENOTFOUND, "%s column '%s' not read",
                            dusk_plan_kind_name(q->kind), q->columns[i]);
    if (p->types[c] != DUSK_TYPE_INT64 && p->types[c] != DUSK_TYPE_FLOAT64 &&
        (p->types[c] != DUSK_TYPE_BOOL || q->kind == DUSK_PLAN_DESCRIBE))
      return dusk_error_set(err, DUSK_ETYPE,
                            "%s: column '%s' is %s, not numbers",
                            dusk_plan_kind_name(q->kind), q->columns[i],
                            dusk_type_name(p->ltypes[c]));
    p->qcols[i] = c;
  }
  return 0;
}

/* A fragment's concat step (plan.h): its columns become the visible ones
 * in its order - a column the input lacks (csv.dtypes) a new batch column
 * of missing values (filled by run_steps), one it carries the visible
 * column of that name; a column not carried is left out (the query does
 * not read it). */
static int setup_concat(pipeline *p, const dusk_plan *s, step *st,
                        dusk_error *err) {
  int *vis = dusk_xcalloc(s->ncolumns + 1, sizeof *vis);
  size_t n = 0;
  st->slot = p->ndefined;
  for (size_t d = 0; d < s->csv.ndtypes; d++) {
    size_t slot = p->ndefined++;
    p->names[slot] = s->csv.dtypes[d].column;
    p->ltypes[slot] = s->csv.dtypes[d].type;
    p->types[slot] = p->scan_types[slot] = dusk_type_physical(p->ltypes[slot]);
  }
  for (size_t c = 0; c < s->ncolumns; c++) {
    int idx = -1;
    for (size_t d = 0; d < s->csv.ndtypes && idx < 0; d++)
      if (strcmp(s->csv.dtypes[d].column, s->columns[c]) == 0)
        idx = (int)(st->slot + d);
    for (size_t v = 0; v < p->nvisible && idx < 0; v++)
      if (strcmp(p->names[p->visible[v]], s->columns[c]) == 0)
        idx = p->visible[v];
    if (idx >= 0 && n < p->ncols) /* p->visible holds ncols */
      vis[n++] = idx;
  }
  if (n == 0) {
    free(vis);
    return dusk_error_set(err, DUSK_EINVAL, "concat: none of its columns "
                          "is read");
  }
  memcpy(p->visible, vis, n * sizeof *vis);
  p->nvisible = n;
  free(vis);
  return 0;
}

/* Whether batch column c is a merge's right column. */
static bool merge_column(const pipeline *p, size_t c) {
  const step *st = p->merge_step >= 0 ? &p->steps[p->merge_step] : NULL;
  for (size_t j = 0; st != NULL && j < st->node->csv.ndtypes; j++)
    if (st->rslot[j] == (int)c)
      return true;
  return false;
}

/* The file's name of batch column c (a merge may have renamed a column
 * it reads: pandas' suffixes). */
static const char *read_name(const pipeline *p, size_t c) {
  return c < p->nread ? p->leaf->csv.usecols[c] : p->names[c];
}

/* A merge step (plan.h): the left's visible columns take their merged
 * names in place (dusk_merge_names: a suffix where the right has the
 * name), and each right column the node lists (csv.dtypes: the right's
 * names and types; csv.usecols: their merged names) a new batch column,
 * appended to the visible ones (a right key named as its left key is kept
 * once: the left's).  The right table itself arrives with the scan's
 * inputs (merge_attach); a combine or final needs only the names and
 * types. */
static int setup_merge(pipeline *p, const dusk_plan *s, step *st,
                       dusk_error *err) {
  size_t nl = p->nvisible, nr = s->csv.ndtypes;
  const char **left = dusk_xcalloc(nl + 1, sizeof *left);
  const char **right = dusk_xcalloc(nr + 1, sizeof *right);
  char **lout = dusk_xcalloc(nl + 1, sizeof *lout);
  char **rout = dusk_xcalloc(nr + 1, sizeof *rout);
  int rc;
  st->slot = p->ndefined;
  st->lkeys = dusk_xcalloc(s->ncolumns + 1, sizeof *st->lkeys);
  st->rslot = dusk_xcalloc(nr + 1, sizeof *st->rslot);
  st->rcol = dusk_xcalloc(nr + 1, sizeof *st->rcol);
  st->names = dusk_xcalloc(nl + nr + 1, sizeof *st->names);
  for (size_t k = 0; k < s->ncolumns; k++)
    if ((st->lkeys[k] = col_index(p, s->columns[k])) < 0) {
      rc = dusk_error_set(err, DUSK_ENOTFOUND, "merge: key '%s' not read",
                          s->columns[k]);
      goto out;
    }
  st->lvis = dusk_xcalloc(nl + 1, sizeof *st->lvis);
  st->lvis_name = dusk_xcalloc(nl + 1, sizeof *st->lvis_name);
  st->nlvis = nl;
  for (size_t v = 0; v < nl; v++) {
    left[v] = p->names[p->visible[v]];
    st->lvis[v] = p->visible[v];
    st->lvis_name[v] = left[v];
  }
  for (size_t j = 0; j < nr; j++)
    right[j] = s->csv.dtypes[j].column;
  if ((rc = dusk_merge_names(s, left, nl, right, nr, lout, rout, err)) != 0)
    goto out;
  for (size_t v = 0; v < nl; v++)
    if (strcmp(lout[v], left[v]) != 0) {
      p->names[p->visible[v]] = lout[v];
      st->names[st->nnames++] = lout[v];
      lout[v] = NULL;
    }
  for (size_t j = 0; j < nr; j++) {
    /* a column each (the scan's batch has them all), unnamed ("": no
     * column pandas' read_csv names) and unused for a key kept once;
     * named as the scheduler named it, which knew every left column */
    size_t slot = p->ndefined++;
    const char *name = j < s->csv.nusecols ? s->csv.usecols[j] : "";
    p->ltypes[slot] = s->csv.dtypes[j].type;
    p->types[slot] = p->scan_types[slot] =
        dusk_type_physical(s->csv.dtypes[j].type);
    st->rslot[j] = -1;
    p->names[slot] = name;
    if (name[0] == '\0')
      continue;
    st->rslot[j] = (int)slot;
    p->visible[p->nvisible++] = (int)slot;
  }
out:
  dusk_merge_names_free(lout, nl);
  dusk_merge_names_free(rout, nr);
  free(lout);
  free(rout);
  free(left);
  free(right);
  return rc;
}

/* Gives x, step s's expression, the columns that are pandas' nullable
 * arrays there (exprvec.h dusk_exprvec_mask), as the plan says of the
 * rows s reads. */
static void mask_expr(const pipeline *p, const dusk_plan *s,
                      dusk_exprvec *x) {
  uint8_t *masked;
  bool any = false;
  if (s->ninputs == 0)
    return;
  masked = dusk_xcalloc(p->ndefined + 1, 1);
  for (size_t c = 0; c < p->ndefined; c++)
    any |= masked[c] = dusk_plan_column_masked(s->inputs[0], p->names[c]);
  if (any)
    dusk_exprvec_mask(x, masked, p->ndefined);
  free(masked);
}

/* Decodes the plan fragment and prepares steps and terminal.  Batch
 * columns are the leaf's usecols, typed by its dtypes. */
static int pipeline_init(pipeline *p, dusk_slice plan_bytes, dusk_error *err) {
  const dusk_plan *n;
  int rc;
  memset(p, 0, sizeof *p);
  if ((rc = dusk_plan_decode(plan_bytes, &p->plan, err)) != 0)
    return rc;
  for (n = p->plan; n != NULL; n = n->ninputs ? n->inputs[0] : NULL)
    p->nchain++;
  p->chain = dusk_xcalloc(p->nchain, sizeof *p->chain);
  {
    size_t i = p->nchain;
    for (n = p->plan; n != NULL; n = n->ninputs ? n->inputs[0] : NULL)
      p->chain[--i] = n;
  }
  p->leaf = p->chain[0];
  p->merge_step = -1;
  /* Post steps (plan.h) above the terminal run only in df_final. */
  while (p->nchain > 1 && dusk_plan_is_post(p->chain[p->nchain - 1]))
    p->nchain--;
  p->root = p->chain[p->nchain - 1];
  if (p->leaf->kind != DUSK_PLAN_READ_CSV || p->leaf->csv.usecols == NULL)
    return dusk_error_set(err, DUSK_EINVAL,
                          "task plan does not start with a resolved read");
  p->terminal = dusk_plan_is_terminal(p->root->kind) ? p->root->kind : 0;
  p->nread = p->leaf->csv.nusecols;
  p->ncols = p->nread;
  for (size_t i = 1; i < p->nchain; i++)
    p->ncols += p->chain[i]->kind == DUSK_PLAN_ASSIGN ? 1
                : p->chain[i]->kind == DUSK_PLAN_CONCAT ||
                        p->chain[i]->kind == DUSK_PLAN_MERGE
                    ? p->chain[i]->csv.ndtypes
                    : 0;
  p->ndefined = p->nread;
  p->names = dusk_xcalloc(p->ncols, sizeof *p->names);
  p->types = dusk_xcalloc(p->ncols, sizeof *p->types);
  p->ltypes = dusk_xcalloc(p->ncols, sizeof *p->ltypes);
  p->datetime = dusk_xcalloc(p->ncols, 1);
  p->no_na = dusk_xcalloc(p->ncols, sizeof *p->no_na);
  p->scan_types = dusk_xcalloc(p->ncols, sizeof *p->scan_types);
  p->visible = dusk_xcalloc(p->ncols, sizeof *p->visible);
  p->mask = dusk_xmalloc(BATCH_ROWS);
  p->steps = dusk_xcalloc(p->nchain, sizeof *p->steps);
  for (size_t i = 0; i < p->nread; i++) {
    p->names[i] = p->leaf->csv.usecols[i];
    p->types[i] = DUSK_TYPE_STRING;
    for (size_t d = 0; d < p->leaf->csv.ndtypes; d++)
      if (strcmp(p->leaf->csv.dtypes[d].column, p->names[i]) == 0) {
        p->types[i] = p->leaf->csv.dtypes[d].type;
        p->no_na[i] = p->leaf->csv.dtypes[d].no_na
                          ? p->leaf->csv.dtypes[d].type
                          : DUSK_TYPE_NULL;
      }
    p->ltypes[i] = p->types[i];
    p->datetime[i] = p->types[i] == DUSK_TYPE_DATETIME;
    p->types[i] = dusk_type_physical(p->types[i]);
    p->scan_types[i] = p->types[i];
    p->visible[i] = (int)i;
  }
  p->nvisible = p->nread;
  p->null_watch = dusk_xcalloc(p->ncols + 1, 1);
  p->null_seen = dusk_xcalloc(p->ncols + 1, 1);
  for (size_t i = 0; i < p->nread; i++)
    if (dusk_nulls_count(p->plan, p->names[i], p->scan_types[i])) {
      p->null_watch[i] = 1;
      p->nwatch++;
    }
  /* Steps between the leaf and the terminal. */
  for (size_t i = 1; i < p->nchain; i++) {
    const dusk_plan *s = p->chain[i];
    step *st = &p->steps[p->nsteps];
    if (i == p->nchain - 1 && p->terminal)
      break;
    st->node = s;
    switch (s->kind) {
    case DUSK_PLAN_FILLNA:
      st->fill_cols = dusk_xcalloc(s->nfills, sizeof(int));
      st->fill_how = dusk_xcalloc(p->ncols, 1);
      for (size_t f = 0; f < s->nfills; f++) {
        int fc = s->fills[f].column ? col_index(p, s->fills[f].column) : -1;
        st->fill_cols[f] = fc;
        for (size_t c = 0; c < p->ndefined; c++) {
          int listed = 0;
          int64_t ns;
          if (fc >= 0 && (size_t)fc != c)
            continue;
          if (dusk_plan_fill_datetime(p->ltypes[c], &s->fills[f].value,
                                      &ns)) {
            st->fill_how[c] = FILL_DATETIME;
            continue;
          }
          if (!dusk_plan_fill_mixes(p->ltypes[c], &s->fills[f].value))
            continue;
          for (size_t m = 0; m < s->nmixed; m++)
            listed |= strcmp(s->mixed[m], p->names[c]) == 0;
          st->fill_how[c] = listed ? FILL_MIXED : FILL_REPORT;
        }
      }
      /* Steps after this one see the mixed columns as strings. */
      for (size_t c = 0; c < p->ncols; c++)
        if (st->fill_how[c] == FILL_MIXED)
          p->types[c] = p->ltypes[c] = DUSK_TYPE_STRING;
      break;
    case DUSK_PLAN_QUERY:
      if ((rc = dusk_exprvec_compile(s->expr, p->names, p->ltypes, p->ndefined,
                                     BATCH_ROWS, &st->expr, err)) != 0)
        return rc;
      mask_expr(p, s, st->expr);
      break;
    case DUSK_PLAN_ASSIGN: {
      const char *name = s->columns[0];
      int old;
      if ((rc = dusk_exprvec_compile(s->expr, p->names, p->ltypes, p->ndefined,
                                     BATCH_ROWS, &st->expr, err)) != 0)
        return rc;
      mask_expr(p, s, st->expr);
      old = col_index(p, name);
      st->slot = p->ndefined++;
      p->names[st->slot] = name;
      p->ltypes[st->slot] = dusk_exprvec_type(st->expr);
      p->types[st->slot] = p->scan_types[st->slot] =
          dusk_type_physical(p->ltypes[st->slot]);
      /* pandas keeps a replaced column where it was; a new one goes last. */
      for (size_t v = 0; v < p->nvisible && old >= 0; v++)
        if (p->visible[v] == old) {
          p->visible[v] = (int)st->slot;
          old = -2;
        }
      if (old != -2)
        p->visible[p->nvisible++] = (int)st->slot;
      break;
    }
    case DUSK_PLAN_SELECT:
      p->nvisible = 0;
      for (size_t c = 0; c < s->ncolumns; c++) {
        int idx = col_index(p, s->columns[c]);
        if (idx < 0)
          return dusk_error_set(err, DUSK_ENOTFOUND, "column '%s' not read",
                                s->columns[c]);
        p->visible[p->nvisible++] = idx;
      }
      break;
    case DUSK_PLAN_CONCAT: /* the scheduler keeps one input per fragment */
      if ((rc = setup_concat(p, s, st, err)) != 0)
        return rc;
      break;
    case DUSK_PLAN_SAMPLE:
      break; /* a filter by row position (run_steps) */
    case DUSK_PLAN_MERGE:
      if (p->merge_step >= 0)
        return dusk_error_set(err, DUSK_EINVAL, "two merges in a scan");
      if ((rc = setup_merge(p, s, st, err)) != 0)
        return rc;
      p->merge_step = (int)p->nsteps;
      break;
    default:
      return dusk_error_set(err, DUSK_EINVAL, "plan step %d in a scan",
                            s->kind);
    }
    p->nsteps++;
  }
  p->ndefined = p->ncols;
  switch (p->terminal) {
  case DUSK_PLAN_GROUPBY:
  case DUSK_PLAN_VALUE_COUNTS:
    return setup_groupby(p, err);
  case DUSK_PLAN_HEAD:
    p->limit = p->root->n;
    return setup_rows(p, err);
  case DUSK_PLAN_DESCRIBE:
  case DUSK_PLAN_QUANTILE:
    return setup_quantile(p, err);
  case DUSK_PLAN_TOPK:
    p->limit = p->root->n;
    if ((rc = setup_rows(p, err)) != 0)
      return rc;
    return setup_topk(p, p->root, p->rows, err);
  case DUSK_PLAN_DROP_DUPLICATES:
    p->limit = INT64_MAX;
    if ((rc = setup_rows(p, err)) != 0)
      return rc;
    p->ndedup = p->root->ncolumns ? p->root->ncolumns : p->nvisible;
    p->dedup_cols = dusk_xcalloc(p->ndedup + 1, sizeof *p->dedup_cols);
    dusk_keycoder_init(&p->dedup_coder, p->ndedup);
    for (size_t i = 0; i < p->ndedup; i++) {
      int c = p->root->ncolumns ? col_index(p, p->root->columns[i])
                                : p->visible[i];
      if (c < 0)
        return dusk_error_set(err, DUSK_ENOTFOUND,
                              "drop_duplicates: column '%s' not read",
                              p->root->columns[i]);
      p->dedup_cols[i] = c;
    }
    return 0;
  case 0:
    p->limit = INT64_MAX;
    return setup_rows(p, err);
  case DUSK_PLAN_PERSIST:
    /* the fragment is the read alone: batch columns are the file's */
    if (p->nsteps != 0 || p->ncols != p->nread)
      return dusk_error_set(err, DUSK_EINVAL, "persist: steps in a scan");
    if ((rc = dusk_part_builder_new(p->names, p->ltypes, p->nread,
                                    &p->part)) != 0)
      return dusk_error_set(err, rc, "persist: %s", dusk_strerror(rc));
    return 0;
  default:
    return 0;
  }
}

/* A chunk table for to_csv: a row label (the index) then the visible
 * columns. */
static dusk_table *csv_chunk(const pipeline *p) {
  const char *names[260];
  dusk_type types[260];
  dusk_table *t;
  if (p->nvisible + 1 > 260)
    return NULL;
  names[0] = "";
  types[0] = DUSK_TYPE_INT64;
  for (size_t i = 0; i < p->nvisible; i++) {
    names[i + 1] = p->names[p->visible[i]];
    types[i + 1] = p->types[p->visible[i]];
  }
  t = dusk_table_new(names, types, p->nvisible + 1, 1);
  /* datetimes, timedeltas and dates are written as pandas writes them
   * ("2021-04-01 00:06:03"), not as their nanoseconds */
  for (size_t i = 0; t != NULL && i < p->nvisible; i++)
    if (dusk_type_is_logical(p->ltypes[p->visible[i]]) &&
        types[i + 1] == DUSK_TYPE_INT64)
      t->cols[i + 1].logical = p->ltypes[p->visible[i]];
  return t;
}

/* Opens dir/<file>-<range>.part (through a temporary name) for a to_csv
 * scan.  The directory is created if missing. */
static int csv_open(pipeline *p, uint64_t index, dusk_error *err) {
  const char *dir = p->root->dir;
  char *hdr = NULL;
  size_t hlen = 0;
  FILE *mem;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return dusk_error_set(err, -errno, "to_csv: cannot create %s: %s", dir,
                          strerror(errno));
  snprintf(p->out_path, sizeof p->out_path, "%s/%llu-%06llu.part", dir,
           (unsigned long long)(index >> 32),
           (unsigned long long)(index & 0xffffffffu));
  snprintf(p->out_tmp, sizeof p->out_tmp, "%s/.%llu-%06llu.part.tmp", dir,
           (unsigned long long)(index >> 32),
           (unsigned long long)(index & 0xffffffffu));
  if ((p->chunk = csv_chunk(p)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  /* The header's length, to strip it from every chunk after the first. */
  mem = open_memstream(&hdr, &hlen);
  if (mem == NULL || dusk_table_write_csv(p->chunk, mem) != 0) {
    if (mem)
      fclose(mem);
    free(hdr);
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  }
  fclose(mem);
  p->header_len = hlen;
  free(hdr);
  p->out = fopen(p->out_tmp, "w");
  if (p->out == NULL)
    return dusk_error_set(err, -errno, "to_csv: %s: %s", p->out_tmp,
                          strerror(errno));
  return 0;
}

/* Writes the chunk's rows to the output file (the header only once). */
static int csv_flush(pipeline *p, dusk_error *err) {
  char *text = NULL;
  size_t len = 0;
  FILE *mem;
  int rc = 0;
  if (p->chunk->nrows == 0 && p->wrote_header)
    return 0;
  mem = open_memstream(&text, &len);
  if (mem == NULL || dusk_table_write_csv(p->chunk, mem) != 0) {
    if (mem)
      fclose(mem);
    free(text);
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  }
  fclose(mem);
  {
    size_t skip = p->wrote_header ? p->header_len : 0;
    if (len > skip && fwrite(text + skip, 1, len - skip, p->out) != len - skip)
      rc = dusk_error_set(err, -errno, "to_csv: writing %s: %s", p->out_tmp,
                          strerror(errno));
  }
  p->wrote_header = 1;
  free(text);
  dusk_table_free(p->chunk);
  p->chunk = csv_chunk(p);
  if (rc == 0 && p->chunk == NULL)
    rc = dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  return rc;
}

/* Completes the file: flush, close (a full disk shows here too), rename. */
static int csv_close(pipeline *p, dusk_error *err) {
  int rc = csv_flush(p, err);
  FILE *f = p->out;
  p->out = NULL;
  if (fclose(f) != 0 && rc == 0)
    rc = dusk_error_set(err, -errno, "to_csv: writing %s: %s", p->out_tmp,
                        strerror(errno));
  if (rc == 0 && rename(p->out_tmp, p->out_path) != 0)
    rc = dusk_error_set(err, -errno, "to_csv: %s: %s", p->out_path,
                        strerror(errno));
  if (rc != 0)
    unlink(p->out_tmp);
  return rc;
}

/* ---- per-batch work ------------------------------------------------------ */

/* The text pandas writes for v in an object column (to_csv, str()):
 * strings as they are, ints as ints, floats as repr ("1.0", "0.1",
 * "1e+20"), bools True/False.  as_float: v is a value of an int column,
 * which pandas holds as float64 once the column has a null.  *s points at
 * the bytes (v's own, or buf's: 32 bytes). */
static size_t value_text(const dusk_value *v, int as_float, char *buf,
                         const char **s) {
  *s = buf;
  switch (v->type) {
  case DUSK_TYPE_STRING:
    *s = v->u.s.ptr;
    return v->u.s.len;
  case DUSK_TYPE_INT64:
    if (as_float)
      return dusk_table_format_float((double)v->u.i, buf);
    return (size_t)snprintf(buf, 32, "%lld", (long long)v->u.i);
  case DUSK_TYPE_FLOAT64:
    return dusk_table_format_float(v->u.f, buf);
  case DUSK_TYPE_BOOL:
    return (size_t)snprintf(buf, 32, "%s", v->u.b ? "True" : "False");
  default:
    return 0;
  }
}

/* Fills the nulls of column c with v where v fits its type (a plain fill:
 * no kinds mix, or a string column takes v's text).  0 or DUSK_ENOMEM. */
static int fill_column(dusk_batch *b, size_t c, const dusk_value *v) {
  dusk_column *col = &b->cols[c];
  char text[32];
  const char *s = NULL;
  size_t len = 0;
  if (col->type == DUSK_TYPE_STRING)
    len = value_text(v, 0, text, &s);
  for (size_t r = 0; r < b->nrows; r++) {
    if (col->valid[r])
      continue;
    switch (col->type) {
    case DUSK_TYPE_INT64:
      if (v->type == DUSK_TYPE_INT64) {
        col->i64[r] = v->u.i;
        col->valid[r] = 1;
      }
      break;
    case DUSK_TYPE_FLOAT64:
      if (v->type == DUSK_TYPE_INT64 || v->type == DUSK_TYPE_FLOAT64) {
        col->f64[r] = v->type == DUSK_TYPE_FLOAT64 ? v->u.f : (double)v->u.i;
        col->valid[r] = 1;
      }
      break;
    case DUSK_TYPE_BOOL:
      if (v->type == DUSK_TYPE_BOOL) {
        col->b[r] = v->u.b;
        col->valid[r] = 1;
      }
      break;
    case DUSK_TYPE_STRING: {
      /* pandas puts the value itself into an object column; its text is
       * what every output shows. */
      uint32_t off;
      if (s == NULL)
        break;
      if (dusk_batch_arena_add(b, s, len, &off) != 0)
        return DUSK_ENOMEM;
      col->str_off[r] = off;
      col->str_len[r] = (uint32_t)len;
      col->valid[r] = 1;
      break;
    }
    default:
      break;
    }
  }
  return 0;
}

/* FILL_MIXED: column c becomes text (its type STRING until the batch goes
 * back to the scan, on_batch), every value as pandas writes it in an
 * object column and the nulls as v.  0 or DUSK_ENOMEM. */
static int fill_mixed(dusk_batch *b, size_t c, const dusk_value *v) {
  dusk_column *col = &b->cols[c];
  char fill_buf[32], buf[32];
  const char *fill_s, *s;
  size_t fill_len;
  if (col->type == DUSK_TYPE_STRING)
    return fill_column(b, c, v);
  if (col->str_off == NULL) { /* kept with the batch's other arrays */
    col->str_off = dusk_xcalloc(b->cap, sizeof *col->str_off);
    col->str_len = dusk_xcalloc(b->cap, sizeof *col->str_len);
  }
  fill_len = value_text(v, 0, fill_buf, &fill_s);
  for (size_t r = 0; r < b->nrows; r++) {
    size_t len;
    uint32_t off;
    if (col->valid[r]) {
      dusk_value x;
      dusk_batch_get(b, c, r, &x);
      len = value_text(&x, 1, buf, &s);
    } else {
      s = fill_s;
      len = fill_len;
    }
    if (dusk_batch_arena_add(b, s, len, &off) != 0)
      return DUSK_ENOMEM;
    col->str_off[r] = off;
    col->str_len[r] = (uint32_t)len;
    col->valid[r] = 1;
  }
  col->type = DUSK_TYPE_STRING;
  return 0;
}

/* Keeps the rows where mask is set, in order. */
static void compact(dusk_batch *b, const uint8_t *mask) {
  size_t w = 0;
  for (size_t r = 0; r < b->nrows; r++) {
    if (!mask[r])
      continue;
    if (w != r)
      for (size_t c = 0; c < b->ncols; c++) {
        dusk_column *col = &b->cols[c];
        col->valid[w] = col->valid[r];
        switch (col->type) {
        case DUSK_TYPE_INT64: col->i64[w] = col->i64[r]; break;
        case DUSK_TYPE_FLOAT64: col->f64[w] = col->f64[r]; break;
        case DUSK_TYPE_BOOL: col->b[w] = col->b[r]; break;
        default:
          col->str_off[w] = col->str_off[r];
          col->str_len[w] = col->str_len[r];
        }
      }
    w++;
  }
  b->nrows = w;
}


typedef struct scan_ctx {
  pipeline *p;
  uint64_t *row_ordinals; /* per batch row: ordinal within the range */
  uint64_t *row_ranges;   /* per batch row: its __range, or NULL (every
                             row's is p->range_index) */
  int stopped;            /* head had its rows before the range's end */
  uint8_t *mixed_seen;    /* per column: FILL_REPORT met a null there */
  int mixed_col;          /* the first such column, or -1 */
  const dusk_value *mixed_value; /* with this fill value */
  dusk_error *err;
} scan_ctx;

/* One fill of a FILLNA step into column c.  A FILL_REPORT column with a
 * null is noted (the scheduler must rerun with it mixed) and left as it
 * is: the scan goes on, to note the others in its range too. */
static int fill_one(scan_ctx *ctx, const step *st, dusk_batch *b, size_t c,
                    const dusk_value *v) {
  int64_t ns;
  switch (st->fill_how[c]) {
  case FILL_MIXED:
    return fill_mixed(b, c, v);
  case FILL_DATETIME:
    if (!dusk_plan_fill_datetime(DUSK_TYPE_DATETIME, v, &ns))
      return fill_column(b, c, v); /* another fill of the column */
    for (size_t r = 0; r < b->nrows; r++)
      if (!b->cols[c].valid[r]) {
        b->cols[c].i64[r] = ns;
        b->cols[c].valid[r] = 1;
      }
    return 0;
  case FILL_REPORT:
    for (size_t r = 0; r < b->nrows; r++)
      if (!b->cols[c].valid[r]) {
        if (ctx->mixed_col < 0) {
          ctx->mixed_col = (int)c;
          ctx->mixed_value = v;
        }
        ctx->mixed_seen[c] = 1;
        break;
      }
    return 0;
  default:
    return fill_column(b, c, v);
  }
}

static int run_steps(scan_ctx *ctx, dusk_batch *b);

/* Notes the watched columns holding a null in b, as the file has them
 * (before any fill or filter changes the batch): pandas' dtype comes from
 * the file.  One memchr over a column's validity per batch, and none once
 * the column has shown a null, so this costs nothing next to parsing. */
static void note_nulls(pipeline *p, const dusk_batch *b) {
  for (size_t c = 0; c < p->ncols && p->nwatch > 0; c++)
    if (p->null_watch[c] && b->nrows > 0 &&
        memchr(b->cols[c].valid, 0, b->nrows) != NULL) {
      p->null_watch[c] = 0;
      p->null_seen[c] = 1;
      p->nwatch--;
    }
}

/* The scan's batch function.  Columns a fill turned into text go back to
 * the type the scan writes before the batch does. */
/* ---- rows (head, collect, topk, drop_duplicates) --------------------------- */

/* Appends batch row r to p->rows: the batch columns cols[0..nv), then the
 * range and the row's ordinal within it (which put rows back in file
 * order). */
static int append_columns_row(pipeline *p, const dusk_batch *b,
                              const int *cols, size_t nv, size_t r,
                              uint64_t ordinal) {
  dusk_value vals[260];
  size_t nc = nv + DUSK_ROWS_NEXTRA;
  if (nc > sizeof vals / sizeof vals[0])
    return DUSK_EINVAL;
  for (size_t i = 0; i < nv; i++)
    dusk_batch_get(b, (size_t)cols[i], r, &vals[i]);
  vals[dusk_rows_range_col(nc)].type = DUSK_TYPE_INT64;
  vals[dusk_rows_range_col(nc)].u.i =
      (int64_t)(p->row_ranges != NULL ? p->row_ranges[r] : p->range_index);
  vals[dusk_rows_row_col(nc)].type = DUSK_TYPE_INT64;
  vals[dusk_rows_row_col(nc)].u.i = (int64_t)ordinal;
  return dusk_table_append_row(p->rows, vals);
}

/* Appends batch row r's visible columns to p->rows. */
static int append_batch_row(pipeline *p, const dusk_batch *b, size_t r,
                            uint64_t ordinal) {
  return append_columns_row(p, b, p->visible, p->nvisible, r, ordinal);
}

/* ---- topk ------------------------------------------------------------------ */

/* -1, 0 or 1 as a is before, level with or after b in one key's order
 * (values of one type, neither null). */
static int value_cmp(const dusk_value *a, const dusk_value *b, bool asc) {
  int r = 0;
  switch (a->type) {
  case DUSK_TYPE_INT64: r = (a->u.i > b->u.i) - (a->u.i < b->u.i); break;
  case DUSK_TYPE_FLOAT64: r = (a->u.f > b->u.f) - (a->u.f < b->u.f); break;
  case DUSK_TYPE_BOOL: r = (int)a->u.b - (int)b->u.b; break;
  case DUSK_TYPE_STRING: {
    size_t la = a->u.s.len, lb = b->u.s.len;
    r = memcmp(a->u.s.ptr, b->u.s.ptr, la < lb ? la : lb);
    if (r == 0)
      r = (la > lb) - (la < lb);
    r = (r > 0) - (r < 0);
    break;
  }
  default: break;
  }
  return asc ? r : -r;
}

static bool value_is_na(const dusk_value *v) {
  return v->type == DUSK_TYPE_NULL ||
         (v->type == DUSK_TYPE_FLOAT64 && isnan(v->u.f));
}

/* Keeps the best `limit` rows of rows, in sort order: into *out (a new
 * table) or, with out NULL, in place of p->rows. */
static int topk_trim(pipeline *p, dusk_table *rows, dusk_table **out) {
  size_t n = rows->nrows, keep = (size_t)p->limit < n ? (size_t)p->limit : n;
  size_t *order = dusk_xcalloc(n + 1, sizeof *order);
  dusk_table *t = NULL;
  int rc;
  size_t from = 0;
  if (p->topk_nkeys == 2 && !p->topk_asc[0]) { /* (by position alone) */
    /* a tail, by position: the last `keep` rows, kept in file order.
     * Rows may tie on position (a join's left row met twice keeps its
     * label; a shuffle join's place is its left row's), and the later
     * of two made is the later row: a stable ascending sort keeps that
     * however often the rows are trimmed again, where a descending one
     * would flip the ties at each trim. */
    uint8_t *asc = dusk_xmalloc(p->topk_nkeys);
    memset(asc, 1, p->topk_nkeys);
    dusk_table_sort_order(rows, p->topk_cols, asc, p->topk_nkeys, order);
    free(asc);
    from = n - keep;
  } else {
    dusk_table_sort_order(rows, p->topk_cols, p->topk_asc, p->topk_nkeys,
                          order);
  }
  rc = dusk_table_take(rows, order + from, keep, &t);
  free(order);
  if (rc != 0)
    return rc;
  if (out != NULL) {
    *out = t;
    return 0;
  }
  dusk_table_free(p->rows);
  p->rows = t;
  p->topk_thr = keep == (size_t)p->limit && keep > 0;
  return 0;
}

/* Whether batch row r can still make the best `limit`: a row whose first
 * key is behind the threshold's (or level with it, when that key is the
 * only one and rows come in position order: an earlier row wins a tie)
 * cannot.  The threshold is the last of the `limit` rows the last trim
 * kept, which stay first in rows. */
static bool topk_candidate(const pipeline *p, const dusk_batch *b, size_t r) {
  dusk_value v, t;
  bool single = p->topk_nkeys == 3 && !p->topk_unordered;
  if (p->topk_first < 0) /* by position: later rows come later */
    return p->topk_unordered || !p->topk_thr || !p->topk_asc[0];
  dusk_batch_get(b, (size_t)p->topk_first, r, &v);
  if (!p->topk_thr)
    return true;
  dusk_table_get(p->rows, (size_t)p->topk_cols[0], (size_t)p->limit - 1,
                 &t);
  if (value_is_na(&t)) /* nulls sort last: anything else beats one */
    return !value_is_na(&v) || !single;
  if (value_is_na(&v))
    return false;
  int c = value_cmp(&v, &t, p->topk_asc[0]);
  return c < 0 || (c == 0 && !single);
}

/* Adds a batch's candidate rows, trimming to the best `limit` whenever
 * twice that (or 4096 more) have gathered. */
static int topk_add(pipeline *p, const dusk_batch *b,
                    const uint64_t *row_ordinals) {
  size_t from = 0;
  size_t slack = (size_t)p->limit > 4096 ? (size_t)p->limit : 4096;
  int rc;
  if (p->limit == 0)
    return 0;
  /* The last n rows in file order: only a batch's last n can count. */
  if (p->topk_first < 0 && !p->topk_asc[0] && !p->topk_unordered &&
      b->nrows > (size_t)p->limit)
    from = b->nrows - (size_t)p->limit;
  for (size_t r = from; r < b->nrows; r++) {
    if (!topk_candidate(p, b, r))
      continue;
    if ((rc = append_batch_row(p, b, r, row_ordinals[r])) != 0)
      return rc;
    if (p->rows->nrows >= (size_t)p->limit + slack &&
        (rc = topk_trim(p, p->rows, NULL)) != 0)
      return rc;
  }
  return 0;
}

/* The table a second-stage scan depends on (the bounds of a quantile, the
 * positions of a drop_duplicates, the offsets of a to_csv): its one
 * input, decoded into *t; *t stays NULL for a scan with no input (a first
 * stage).  scan and input name them in errors. */
static int stage_input(const dusk_op_call *call, bool merged,
                       const char *scan, const char *input, dusk_table **t,
                       dusk_error *err) {
  /* a merge's right table comes last (merge_attach) */
  size_t n = call->ninputs - (merged && call->ninputs > 0);
  *t = NULL;
  if (n == 0)
    return 0;
  if (n != 1)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s scan: %zu inputs, expected the %s", scan,
                          n, input);
  return dusk_table_decode(call->inputs[0], t, err);
}

/* ---- drop_duplicates --------------------------------------------------------- */

/* Appends v to a row key: a type tag, then the value (floats with -0.0 as
 * 0.0 and one NaN, as pandas' duplicated compares them).  batch_key
 * writes the same bytes straight from a batch's columns. */
static void key_add(dusk_buf *k, const dusk_value *v) {
  uint8_t tag = (uint8_t)v->type;
  dusk_xcheck(dusk_buf_append(k, &tag, 1));
  switch (v->type) {
  case DUSK_TYPE_INT64:
    dusk_xcheck(dusk_buf_append(k, &v->u.i, sizeof v->u.i));
    break;
  case DUSK_TYPE_FLOAT64: {
    double f = isnan(v->u.f) ? NAN : v->u.f == 0 ? 0.0 : v->u.f;
    dusk_xcheck(dusk_buf_append(k, &f, sizeof f));
    break;
  }
  case DUSK_TYPE_BOOL: {
    uint8_t b = v->u.b != 0;
    dusk_xcheck(dusk_buf_append(k, &b, 1));
    break;
  }
  case DUSK_TYPE_STRING: {
    uint64_t len = v->u.s.len;
    dusk_xcheck(dusk_buf_append(k, &len, sizeof len));
    dusk_xcheck(dusk_buf_append(k, v->u.s.ptr, v->u.s.len));
    break;
  }
  default: break;
  }
}

/* Appends the present int, float or bool value at row r of a column's
 * arrays (of its type) to k, as key_add encodes it. */
static void key_add_fixed(dusk_buf *k, dusk_type type, const int64_t *i64,
                          const double *f64, const uint8_t *b, size_t r) {
  char *w;
  dusk_xcheck(dusk_buf_reserve(k, 9));
  w = k->data + k->len;
  w[0] = (char)type;
  switch (type) {
  case DUSK_TYPE_INT64:
    memcpy(w + 1, &i64[r], 8);
    k->len += 9;
    break;
  case DUSK_TYPE_FLOAT64: {
    double f = f64[r];
    f = isnan(f) ? NAN : f == 0 ? 0.0 : f;
    memcpy(w + 1, &f, 8);
    k->len += 9;
    break;
  }
  default: /* bool */
    w[1] = (char)(b[r] != 0);
    k->len += 2;
  }
}

/* Appends row r's key over the dedup columns to p->dedup_key, as key_add
 * encodes each value, reading the column arrays directly: this runs for
 * every row the scan reads. */
static void batch_key(pipeline *p, const dusk_batch *b, size_t r) {
  dusk_buf *k = &p->dedup_key;
  for (size_t i = 0; i < p->ndedup; i++) {
    const dusk_column *c = &b->cols[p->dedup_cols[i]];
    if (!c->valid[r] || c->type == DUSK_TYPE_STRING) {
      dusk_value v;
      dusk_batch_get(b, (size_t)p->dedup_cols[i], r, &v);
      key_add(k, &v);
      continue;
    }
    key_add_fixed(k, c->type, c->i64, c->f64, c->b, r);
  }
}

/* Whether the key in p->dedup_key is new (then remembered). */
static bool dedup_first(pipeline *p) {
  size_t e;
  int added;
  dusk_xcheck(dusk_keyset_find_or_add(&p->dedup_seen, p->dedup_key.data,
                                      p->dedup_key.len, &e, &added));
  return added != 0;
}

/* The rows of ranges (the key round's, verified by df_bounds) for this
 * scan's range, into p->dedup_skip: reported in its stead when the range
 * keeps no row.  The key round read every column the rows round reads,
 * so its row holds this range's quote states, row count and nulls; none
 * (a key round that did not see the range) is an error. */
static int dedup_skip_row(pipeline *p, const dusk_table *ranges,
                          dusk_error *err) {
  for (size_t r = 0; r < ranges->nrows; r++)
    if ((uint64_t)ranges->cols[DUSK_RANGES_INDEX].i64[r] == p->range_index) {
      if (ranges->cols[DUSK_RANGES_ERROR].valid[r])
        break; /* never after df_bounds' checks: read the range */
      return dusk_table_take(ranges, &r, 1, &p->dedup_skip) != 0
                 ? dusk_error_set(err, DUSK_ENOMEM, "out of memory")
                 : 0;
    }
  p->dedup_skip = NULL;
  return 0;
}

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a > b) - (a < b);
}

/* drop_duplicates' stage.  Of whole rows (no subset) one round does it:
 * scans keep the first row of each key they meet, merges keep the first
 * of those.  With a subset a scan without an input is the key round: it
 * keeps only the key columns and each key's first position; a scan with
 * inputs (df_bounds' positions, in file order: one, or one per part of a
 * key round cut by key hash) keeps the rows at this range's positions,
 * whole. */
static int setup_dedup_stage(pipeline *p, const dusk_op_call *call,
                             dusk_error *err) {
  dusk_table *t = NULL;
  size_t lo = 0, hi, end;
  size_t nin = call->ninputs - (p->merge_step >= 0 && call->ninputs > 0);
  int rc;
  if (nin == 0) {
    p->dedup_stage = p->root->ncolumns ? 1 : 0;
    return p->dedup_stage == 1
               ? setup_rows_of(p, p->dedup_cols, p->ndedup, err)
               : 0;
  }
  p->dedup_stage = 2;
  for (size_t in = 0; in < nin; in++) {
    /* [the key round's ranges, the positions] (op_df_bounds); a key
     * round cut into parts (query.c add_dedup_shuffle) gives one per
     * part, each over the ranges of every scan */
    dusk_slice rs, ps;
    dusk_table *ranges = NULL;
    const int64_t *range, *row;
    size_t from;
    lo = 0;
    if ((rc = dusk_partial_decode(call->inputs[in], &rs, &ps, err)) != 0 ||
        (rc = dusk_table_decode(rs, &ranges, err)) != 0 ||
        (rc = dusk_ranges_table_check(ranges, err)) != 0 ||
        (rc = dusk_table_decode(ps, &t, err)) != 0) {
      dusk_table_free(ranges);
      return rc;
    }
    rc = in == 0 ? dedup_skip_row(p, ranges, err) : 0;
    dusk_table_free(ranges);
    if (rc != 0) {
      dusk_table_free(t);
      return rc;
    }
    if (t->ncols != DUSK_ROWS_NEXTRA ||
        (rc = dusk_rows_table_check(t, err)) != 0) {
      size_t ncols = t->ncols;
      dusk_table_free(t);
      return rc ? rc : dusk_error_set(err, DUSK_ETYPE,
                                      "drop_duplicates scan: the positions "
                                      "table has %zu columns", ncols);
    }
    /* This range's rows: a run of the table, which is in file order. */
    range = t->cols[0].i64;
    row = t->cols[1].i64;
    hi = t->nrows;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if ((uint64_t)range[mid] < p->range_index)
        lo = mid + 1;
      else
        hi = mid;
    }
    for (end = lo; end < t->nrows && (uint64_t)range[end] == p->range_index;
         end++)
      ;
    from = p->dedup_nwant;
    p->dedup_nwant += end - lo;
    p->dedup_want = dusk_xrealloc(p->dedup_want, (p->dedup_nwant + 1) *
                                                     sizeof *p->dedup_want);
    for (size_t i = lo; i < end; i++) {
      p->dedup_want[from + i - lo] = row[i];
      if (i > lo && row[i] <= row[i - 1]) {
        dusk_table_free(t);
        return dusk_error_set(err, DUSK_EINVAL,
                              "drop_duplicates scan: positions out of "
                              "order");
      }
    }
    dusk_table_free(t);
    t = NULL;
  }
  if (p->dedup_nwant > 0) { /* rows to keep: the range is read */
    dusk_table_free(p->dedup_skip);
    p->dedup_skip = NULL;
  }
  if (nin > 1) /* the parts' runs, merged into file order */
    qsort(p->dedup_want, p->dedup_nwant, sizeof *p->dedup_want, cmp_i64);
  for (size_t i = 1; i < p->dedup_nwant; i++)
    if (p->dedup_want[i] == p->dedup_want[i - 1])
      return dusk_error_set(err, DUSK_EINVAL,
                            "drop_duplicates scan: a position twice");
  return 0;
}

/* A shuffle join's drop_duplicates (pipeline.join_dedup): each row of b
 * (its group p->row_ranges[r], its place row_ordinals[r]) kept whole
 * when its key has no row yet, or only rows after it in the merge. */
static int join_dedup_add(pipeline *p, const dusk_batch *b,
                          const uint64_t *row_ordinals) {
  for (size_t r = 0; r < b->nrows; r++) {
    uint64_t g = p->row_ranges[r], place = row_ordinals[r];
    size_t e;
    int added, rc;
    p->dedup_key.len = 0;
    batch_key(p, b, r);
    dusk_xcheck(dusk_keyset_find_or_add(&p->dedup_seen, p->dedup_key.data,
                                        p->dedup_key.len, &e, &added));
    if (e >= p->jd_cap) {
      p->jd_cap = e >= 2 * p->jd_cap ? e + 1024 : 2 * p->jd_cap;
      p->jd_group = dusk_xrealloc(p->jd_group, p->jd_cap * sizeof *p->jd_group);
      p->jd_place = dusk_xrealloc(p->jd_place, p->jd_cap * sizeof *p->jd_place);
    }
    if (!added && (p->jd_group[e] < g ||
                   (p->jd_group[e] == g && p->jd_place[e] < place)))
      continue;
    p->jd_group[e] = g;
    p->jd_place[e] = place;
    if ((rc = append_batch_row(p, b, r, place)) != 0)
      return rc;
  }
  return 0;
}

/* A scan keeps the first row of each key it meets (rows come in file
 * order within a range): whole, or (key round) its key and position; the
 * rows round keeps the rows df_bounds chose. */
static int dedup_add(pipeline *p, const dusk_batch *b,
                     const uint64_t *row_ordinals) {
  int rc;
  if (p->join_dedup)
    return join_dedup_add(p, b, row_ordinals);
  if (p->dedup_stage == 2) {
    for (size_t r = 0; r < b->nrows && p->dedup_next < p->dedup_nwant; r++) {
      int64_t o = (int64_t)row_ordinals[r];
      while (p->dedup_next < p->dedup_nwant &&
             p->dedup_want[p->dedup_next] < o)
        p->dedup_next++;
      if (p->dedup_next == p->dedup_nwant ||
          p->dedup_want[p->dedup_next] != o)
        continue;
      if ((rc = append_batch_row(p, b, r, row_ordinals[r])) != 0)
        return rc;
    }
    return 0;
  }
  if (b->nrows == 0) /* a filter left no row: nothing to look up */
    return 0;
  if (b->nrows > p->dedup_cap) {
    size_t cap = b->nrows > b->cap ? b->nrows : b->cap;
    dedup_scratch_free(p);
    p->dedup_cap = cap;
    p->dedup_off = dusk_xcalloc(cap + 1, sizeof *p->dedup_off);
    p->dedup_row = dusk_xcalloc(cap + 1, sizeof *p->dedup_row);
    p->dedup_entry = dusk_xcalloc(cap + 1, sizeof *p->dedup_entry);
    p->dedup_added = dusk_xcalloc(cap + 1, 1);
    p->dedup_first = dusk_xcalloc(cap + 1, 1);
    p->dedup_code = dusk_xcalloc(cap + 1, sizeof *p->dedup_code);
    p->dedup_kcode = dusk_xcalloc(cap + 1, sizeof *p->dedup_kcode);
    p->dedup_cbuf = dusk_xcalloc(cap + 1, sizeof *p->dedup_cbuf);
    p->dedup_crow = dusk_xcalloc(cap + 1, sizeof *p->dedup_crow);
    p->dedup_centry = dusk_xcalloc(cap + 1, sizeof *p->dedup_centry);
    p->dedup_cadded = dusk_xcalloc(cap + 1, 1);
    p->dedup_sel = dusk_xcalloc(cap + 1, sizeof *p->dedup_sel);
    p->dedup_xrange = dusk_xcalloc(cap + 1, sizeof *p->dedup_xrange);
    p->dedup_xrow = dusk_xcalloc(cap + 1, sizeof *p->dedup_xrow);
  }
  /* Small int keys are looked up in a bitmap (keyset.h's perfect
   * hashing); the others packed into a uint64 where they fit (keycode.h:
   * the code in its slot, one memory wait a row), else encoded as bytes;
   * each kind in one batch.  Which of the three takes a key depends on
   * its values alone, so each key is met in one of them. */
  dusk_dense_codes(b, p->dedup_cols, p->ndedup, p->dedup_code);
  dusk_xcheck(dusk_keycoder_code_batch(&p->dedup_coder, b, p->dedup_cols,
                                       NULL, p->dedup_kcode));
  size_t nk = 0, nc = 0;
  p->dedup_key.len = 0;
  for (size_t r = 0; r < b->nrows; r++) {
    int64_t code = p->dedup_code[r];
    if (code >= 0) {
      uint64_t bit = (uint64_t)1 << (code & 63);
      if (p->dedup_dense == NULL)
        p->dedup_dense = dusk_xcalloc(DUSK_DENSE_CODES / 64, 8);
      p->dedup_first[r] = (p->dedup_dense[code >> 6] & bit) == 0;
      p->dedup_dense[code >> 6] |= bit;
      continue;
    }
    if (p->dedup_kcode[r] != DUSK_KEYCODE_NONE) {
      p->dedup_cbuf[nc] = p->dedup_kcode[r];
      p->dedup_crow[nc++] = r;
      continue;
    }
    p->dedup_off[nk] = p->dedup_key.len;
    p->dedup_row[nk++] = r;
    batch_key(p, b, r);
  }
  p->dedup_off[nk] = p->dedup_key.len;
  if (nc > 0)
    dusk_xcheck(dusk_codeset_find_or_add_batch(&p->dedup_codes, p->dedup_cbuf,
                                               nc, p->dedup_centry,
                                               p->dedup_cadded));
  for (size_t i = 0; i < nc; i++)
    p->dedup_first[p->dedup_crow[i]] = p->dedup_cadded[i];
  if (nk > 0)
    dusk_xcheck(dusk_keyset_find_or_add_batch(
        &p->dedup_seen, p->dedup_key.data, p->dedup_off, nk, p->dedup_entry,
        p->dedup_added));
  for (size_t i = 0; i < nk; i++)
    p->dedup_first[p->dedup_row[i]] = p->dedup_added[i];
  /* The kept rows, gathered column by column (row by row, converting,
   * where a batch column's type is not its table column's). */
  {
    const int *cols = p->dedup_stage == 1 ? p->dedup_cols : p->visible;
    size_t ncols = p->dedup_stage == 1 ? p->ndedup : p->nvisible, nsel = 0;
    const int64_t *extra[2] = {p->dedup_xrange, p->dedup_xrow};
    for (size_t r = 0; r < b->nrows; r++) {
      if (!p->dedup_first[r])
        continue;
      p->dedup_sel[nsel] = r;
      p->dedup_xrange[nsel] = (int64_t)(
          p->row_ranges != NULL ? p->row_ranges[r] : p->range_index);
      p->dedup_xrow[nsel++] = (int64_t)row_ordinals[r];
    }
    rc = dusk_table_append_batch_rows(p->rows, b, cols, ncols, extra,
                                      p->dedup_sel, nsel);
    if (rc != DUSK_ETYPE)
      return rc;
    for (size_t j = 0; j < nsel; j++) {
      size_t r = p->dedup_sel[j];
      if ((rc = append_columns_row(p, b, cols, ncols, r, row_ordinals[r])) !=
          0)
        return rc;
    }
  }
  return 0;
}

/* Merged rows of several scans: the first of each key in file order, in
 * file order, into *out. */
static int dedup_rows(const dusk_plan *root, const dusk_table *rows,
                      dusk_table **out, dusk_error *err) {
  size_t n = rows->nrows, nc = rows->ncols, nkeep = 0;
  size_t nkey = root->ncolumns ? root->ncolumns : nc - DUSK_ROWS_NEXTRA;
  size_t *order = dusk_xcalloc(n + 1, sizeof *order);
  int *kc = dusk_xcalloc(nkey + 1, sizeof *kc);
  int pos[2];
  static const uint8_t asc[2] = {1, 1};
  pipeline scratch;
  int rc = 0;
  memset(&scratch, 0, sizeof scratch);
  dusk_keyset_init(&scratch.dedup_seen);
  dusk_buf_init(&scratch.dedup_key);
  for (size_t i = 0; i < nkey; i++) {
    kc[i] = root->ncolumns ? dusk_table_column_index(rows, root->columns[i])
                           : (int)i;
    if (kc[i] < 0 || (size_t)kc[i] >= nc - DUSK_ROWS_NEXTRA) {
      rc = dusk_error_set(err, DUSK_ENOTFOUND,
                          "drop_duplicates: column '%s' is not in the rows",
                          root->columns[i]);
      goto out;
    }
  }
  pos[0] = (int)dusk_rows_range_col(nc);
  pos[1] = (int)dusk_rows_row_col(nc);
  dusk_table_sort_order(rows, pos, asc, 2, order);
  for (size_t j = 0; j < n; j++) {
    scratch.dedup_key.len = 0; /* one key at a time: rows are few here */
    for (size_t i = 0; i < nkey; i++) {
      dusk_value v;
      dusk_table_get(rows, (size_t)kc[i], order[j], &v);
      key_add(&scratch.dedup_key, &v);
    }
    if (dedup_first(&scratch))
      order[nkeep++] = order[j];
  }
  rc = dusk_table_take(rows, order, nkeep, out);
out:
  dusk_keyset_destroy(&scratch.dedup_seen);
  dusk_buf_destroy(&scratch.dedup_key);
  free(order);
  free(kc);
  return rc;
}

/* ---- quantile, describe (quantile.h) --------------------------------------- */

/* Scan 1 when bounds is NULL (a scan with no input, a shuffle join's
 * first round); scan 2 reads its windows from bounds, which this frees. */
static int setup_quantile_stage(pipeline *p, dusk_table *bounds,
                                dusk_error *err) {
  dusk_table *t = bounds;
  int rc;
  size_t nc = p->nqcols;
  if (t == NULL) {
    p->qstage = 1;
    p->qruncap = QRUN_BUDGET / (nc ? nc : 1);
    if (p->qruncap < QRUN_MIN)
      p->qruncap = QRUN_MIN;
    if (p->qruncap > QRUN_MAX)
      p->qruncap = QRUN_MAX;
    p->qrun = dusk_xcalloc(nc + 1, sizeof *p->qrun);
    p->qnrun = dusk_xcalloc(nc + 1, sizeof *p->qnrun);
    p->qruns = dusk_xcalloc(nc + 1, sizeof *p->qruns);
    if ((p->qsummary = dusk_qsummary_table_new()) == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    return 0;
  }
  if ((rc = dusk_qbounds_table_check(t, err)) != 0) {
    dusk_table_free(t);
    return rc;
  }
  p->qstage = 2;
  p->qcount = dusk_xcalloc(nc + 1, sizeof *p->qcount);
  p->mom = dusk_xcalloc(nc + 1, sizeof *p->mom);
  for (size_t i = 0; i < nc; i++) {
    p->mom[i].min = INFINITY;
    p->mom[i].max = -INFINITY;
    p->mom[i].imin = INT64_MAX;
    p->mom[i].imax = INT64_MIN;
  }
  p->qwin = dusk_xcalloc(t->nrows + 1, sizeof *p->qwin);
  p->qwin_first = dusk_xcalloc(nc + 1, sizeof *p->qwin_first);
  for (size_t r = 0; r < t->nrows; r++) {
    const dusk_table_column *c = t->cols;
    int64_t col = c[DUSK_QBOUND_COL].i64[r];
    dusk_qwindow *w = &p->qwin[p->nqwin++];
    if (col < 0 || (size_t)col >= nc ||
        (r > 0 && col < c[DUSK_QBOUND_COL].i64[r - 1])) {
      dusk_table_free(t);
      return dusk_error_set(err, DUSK_EINVAL,
                            "quantile bounds: row %zu names column %lld of "
                            "%zu, out of order",
                            r + 1, (long long)col, nc);
    }
    w->col = col;
    w->target = c[DUSK_QBOUND_TARGET].i64[r];
    w->lo = (uint64_t)c[DUSK_QBOUND_LO].i64[r];
    w->hi = (uint64_t)c[DUSK_QBOUND_HI].i64[r];
  }
  for (size_t i = 0, w = 0; i <= nc; i++) {
    while (w < p->nqwin && p->qwin[w].col < (int64_t)i)
      w++;
    p->qwin_first[i] = w;
  }
  dusk_table_free(t);
  return 0;
}

/* Scan 1: sorts column i's run and adds its summary. */
static int flush_run(pipeline *p, size_t i) {
  int rc;
  if (p->qnrun[i] == 0)
    return 0;
  if (p->qsorttmp == NULL)
    p->qsorttmp = dusk_xmalloc(p->qruncap * sizeof *p->qsorttmp);
  dusk_qkey_sort(p->qrun[i], p->qsorttmp, p->qnrun[i]);
  rc = dusk_qsummary_add_run(p->qsummary, (int64_t)i,
                             (int64_t)p->range_index, p->qruns[i]++,
                             p->qrun[i], p->qnrun[i]);
  p->qnrun[i] = 0;
  return rc;
}

static void moments_value(moments *m, double x) {
  dusk_moments_sums_add(&m->sums, x);
  m->sum += x;
  m->min = x < m->min ? x : m->min;
  m->max = x > m->max ? x : m->max;
}

/* Adds a batch column's non-null, non-NaN values to m. */
static void moments_add(moments *m, const dusk_column *col, size_t nrows) {
  if (col->type == DUSK_TYPE_FLOAT64) {
    for (size_t r = 0; r < nrows; r++)
      if (col->valid[r] && !isnan(col->f64[r]))
        moments_value(m, col->f64[r]);
  } else {
    for (size_t r = 0; r < nrows; r++)
      if (col->valid[r]) {
        moments_value(m, (double)col->i64[r]);
        m->imin = col->i64[r] < m->imin ? col->i64[r] : m->imin;
        m->imax = col->i64[r] > m->imax ? col->i64[r] : m->imax;
      }
  }
}

/* Every non-null, non-NaN value of the quantile's columns in a batch. */
static int quantile_add(pipeline *p, const dusk_batch *b) {
  int rc;
  for (size_t i = 0; i < p->nqcols; i++) {
    const dusk_column *col = &b->cols[p->qcols[i]];
    int isf = col->type == DUSK_TYPE_FLOAT64;
    int isb = col->type == DUSK_TYPE_BOOL; /* 0 / 1, as numpy ranks bools */
    dusk_qwindow *w0 = p->qstage == 2 ? &p->qwin[p->qwin_first[i]] : NULL;
    size_t nw = p->qstage == 2 ? p->qwin_first[i + 1] - p->qwin_first[i] : 0;
    moments *m = p->mom ? &p->mom[i] : NULL;
    int describe = p->terminal == DUSK_PLAN_DESCRIBE;
    if (p->qstage == 1 && p->qrun[i] == NULL)
      p->qrun[i] = dusk_xmalloc(p->qruncap * sizeof *p->qrun[i]);
    if (p->qstage == 1) {
      for (size_t r = 0; r < b->nrows; r++) {
        uint64_t key;
        if (!col->valid[r])
          continue;
        if (isf) {
          if (isnan(col->f64[r]))
            continue;
          key = dusk_qkey_from_f64(col->f64[r]);
        } else {
          key = dusk_qkey_from_i64(isb ? (int64_t)col->b[r] : col->i64[r]);
        }
        if (p->qnrun[i] == p->qruncap && (rc = flush_run(p, i)) != 0)
          return rc;
        p->qrun[i][p->qnrun[i]++] = key;
      }
      continue;
    }
    /* scan 2: the batch's keys, then each window takes them at once */
    size_t nk = 0;
    if (b->nrows > p->qkeys_cap) {
      p->qkeys_cap = b->cap > b->nrows ? b->cap : b->nrows;
      free(p->qkeys);
      p->qkeys = dusk_xmalloc(p->qkeys_cap * sizeof *p->qkeys);
    }
    for (size_t r = 0; r < b->nrows; r++) {
      if (!col->valid[r])
        continue;
      if (isf) {
        if (isnan(col->f64[r]))
          continue;
        p->qkeys[nk++] = dusk_qkey_from_f64(col->f64[r]);
      } else {
        p->qkeys[nk++] =
            dusk_qkey_from_i64(isb ? (int64_t)col->b[r] : col->i64[r]);
      }
    }
    p->qcount[i] += (int64_t)nk;
    for (size_t k = 0; k < nw; k++)
      if ((rc = dusk_qwindow_add_keys(&w0[k], p->qkeys, nk)) != 0)
        return rc;
    if (describe)
      moments_add(m, col, b->nrows);
  }
  return 0;
}

/* The scan's partial: scan 1 its run summaries, scan 2 per column a
 * totals row and its windows. */
static int quantile_payload(pipeline *p, dusk_table **out) {
  dusk_table *t;
  int rc;
  if (p->qstage == 1) {
    for (size_t i = 0; i < p->nqcols; i++)
      if ((rc = flush_run(p, i)) != 0)
        return rc;
    *out = p->qsummary;
    p->qsummary = NULL;
    return 0;
  }
  if ((t = dusk_qwindow_table_new()) == NULL)
    return DUSK_ENOMEM;
  for (size_t i = 0; i < p->nqcols; i++) {
    dusk_value row[DUSK_QWIN_NCOLS];
    const moments *m = &p->mom[i];
    dusk_moments settled;
    dusk_moments_settle(&m->sums, &settled);
    for (size_t c = 0; c < DUSK_QWIN_NCOLS; c++)
      row[c].type = c < DUSK_QWIN_SUM || c >= DUSK_QWIN_IMIN
                        ? DUSK_TYPE_INT64
                        : DUSK_TYPE_FLOAT64;
    row[DUSK_QWIN_KEY].type = DUSK_TYPE_NULL;
    row[DUSK_QWIN_COL].u.i = (int64_t)i;
    row[DUSK_QWIN_TARGET].u.i = -1;
    row[DUSK_QWIN_COUNT].u.i = p->qcount[i];
    /* a bool's keys are its 0 / 1: its quantiles are an int's */
    row[DUSK_QWIN_TYPE].u.i = p->ltypes[p->qcols[i]] == DUSK_TYPE_BOOL
                                  ? DUSK_TYPE_INT64
                                  : p->ltypes[p->qcols[i]];
    row[DUSK_QWIN_SUM].u.f = m->sum;
    row[DUSK_QWIN_MEAN].u.f = settled.hi;
    row[DUSK_QWIN_MEAN_LO].u.f = settled.lo;
    row[DUSK_QWIN_M2].u.f = settled.m2;
    row[DUSK_QWIN_MIN].u.f = m->min;
    row[DUSK_QWIN_MAX].u.f = m->max;
    row[DUSK_QWIN_IMIN].u.i = m->imin;
    row[DUSK_QWIN_IMAX].u.i = m->imax;
    if ((rc = dusk_table_append_row(t, row)) != 0)
      goto fail;
  }
  for (size_t w = 0; w < p->nqwin; w++)
    if ((rc = dusk_qwindow_emit(&p->qwin[w], t)) != 0)
      goto fail;
  *out = t;
  return 0;
fail:
  dusk_table_free(t);
  return rc;
}

static int on_batch(void *arg, dusk_batch *b) {
  scan_ctx *ctx = arg;
  int rc = run_steps(ctx, b);
  for (size_t c = 0; c < b->ncols; c++)
    b->cols[c].type = ctx->p->scan_types[c];
  return rc;
}

/* An expression step that refused a value: rc with err saying why. */
static int expr_failed(scan_ctx *ctx, const step *st, int rc) {
  const dusk_plan *s = st->node;
  char text[200];
  if (rc != DUSK_ETYPE)
    return rc;
  if (s->expr_text != NULL)
    snprintf(text, sizeof text, "%s", s->expr_text);
  else
    dusk_expr_format(s->expr, text, sizeof text);
  return dusk_error_set(ctx->err, rc, "%s '%.150s': %s",
                        dusk_plan_kind_name(s->kind), text,
                        dusk_exprvec_refusal(st->expr));
}

/* Rows [0, n) of a batch column as missing values, stored as the scanner
 * stores a missing field (zero values, empty strings). */
static void missing_column(dusk_column *c, size_t n) {
  memset(c->valid, 0, n);
  switch (c->type) {
  case DUSK_TYPE_BOOL:
    memset(c->b, 0, n * sizeof *c->b);
    break;
  case DUSK_TYPE_INT64:
    memset(c->i64, 0, n * sizeof *c->i64);
    break;
  case DUSK_TYPE_FLOAT64:
    memset(c->f64, 0, n * sizeof *c->f64);
    break;
  case DUSK_TYPE_STRING:
    memset(c->str_off, 0, n * sizeof *c->str_off);
    memset(c->str_len, 0, n * sizeof *c->str_len);
    break;
  default:
    break;
  }
}

/* ---- merge (a broadcast join) ----------------------------------------------- */

/* The right table of a broadcast merge with its index, shared by the scans
 * that take it: every left scan of a query gets the same table, so a
 * worker decodes and indexes it once, not once per partition.  The last
 * one made is kept (keyed by the input's bytes and the key columns and
 * modes) while scans hold references; scans run on the work thread, the
 * mutex makes it safe for any caller. */
typedef struct join_entry {
  uint64_t hash;
  size_t len, nkeys;
  int *spec; /* nkeys right columns, then nkeys modes */
  dusk_table *table;
  dusk_join_index index;
  int refs;
} join_entry;

static pthread_mutex_t join_mu = PTHREAD_MUTEX_INITIALIZER;
static join_entry *join_kept;

static void join_entry_free(join_entry *e) {
  dusk_join_index_destroy(&e->index);
  dusk_table_free(e->table);
  free(e->spec);
  free(e);
}

static void join_release(join_entry *e) {
  bool last;
  if (e == NULL)
    return;
  pthread_mutex_lock(&join_mu);
  last = --e->refs == 0;
  pthread_mutex_unlock(&join_mu);
  if (last)
    join_entry_free(e);
}

static bool join_matches(const join_entry *e, uint64_t hash, size_t len,
                         const int *spec, size_t nkeys) {
  return e != NULL && e->hash == hash && e->len == len && e->nkeys == nkeys &&
         memcmp(e->spec, spec, 2 * nkeys * sizeof *spec) == 0;
}

/* The table of the input bytes and its index on spec (nkeys columns of
 * the table, then their modes): the kept one when it matches, else a new
 * one, kept from now on.  The table's checks are the caller's, before. */
static int join_acquire(dusk_slice bytes, const int *spec, size_t nkeys,
                        const dusk_table *decoded, join_entry **out,
                        dusk_error *err) {
  uint64_t hash = dusk_hash_bytes(bytes.ptr, bytes.len);
  join_entry *e, *old = NULL;
  int rc;
  *out = NULL;
  pthread_mutex_lock(&join_mu);
  if (join_matches(join_kept, hash, bytes.len, spec, nkeys)) {
    join_kept->refs++;
    *out = join_kept;
  }
  pthread_mutex_unlock(&join_mu);
  if (*out != NULL)
    return 0;
  e = dusk_xcalloc(1, sizeof *e);
  e->hash = hash;
  e->len = bytes.len;
  e->nkeys = nkeys;
  e->spec = dusk_xcalloc(2 * nkeys + 1, sizeof *e->spec);
  memcpy(e->spec, spec, 2 * nkeys * sizeof *spec);
  e->table = (dusk_table *)decoded;
  if ((rc = dusk_join_index_build(&e->index, e->table, spec, spec + nkeys,
                                  nkeys, err)) != 0) {
    e->table = NULL; /* the caller's still */
    join_entry_free(e);
    return rc;
  }
  e->refs = 2; /* the caller's and the kept one's */
  pthread_mutex_lock(&join_mu);
  old = join_kept;
  join_kept = e;
  pthread_mutex_unlock(&join_mu);
  join_release(old);
  *out = e;
  return 0;
}

/* Gives the merge step its right table: the scan's last input, checked
 * against the columns and types the plan lists, indexed on the right
 * keys.  A right column holding a null makes its merged column one pandas
 * holds as float64 / object, whatever rows meet it. */
static int merge_attach(pipeline *p, const dusk_op_call *call,
                        dusk_error *err) {
  step *st = &p->steps[p->merge_step];
  const dusk_plan *s = st->node;
  size_t nk = s->ncolumns, nr = s->csv.ndtypes;
  int *spec = dusk_xcalloc(2 * nk + 1, sizeof *spec);
  dusk_table *t = NULL;
  const dusk_table *rt;
  int rc;
  if (call->ninputs == 0) {
    free(spec);
    return dusk_error_set(err, DUSK_EINVAL,
                          "merge scan: the right table is not an input");
  }
  {
    dusk_slice in = call->inputs[call->ninputs - 1];
    uint64_t hash = dusk_hash_bytes(in.ptr, in.len);
    join_entry *kept = NULL;
    /* the spec needs the table's columns: decode unless a kept entry for
     * these bytes has them */
    pthread_mutex_lock(&join_mu);
    if (join_kept != NULL && join_kept->hash == hash &&
        join_kept->len == in.len) {
      kept = join_kept;
      kept->refs++;
    }
    pthread_mutex_unlock(&join_mu);
    if (kept == NULL && (rc = dusk_table_decode(in, &t, err)) != 0) {
      free(spec);
      return rc;
    }
    rt = kept ? kept->table : t;
    for (size_t j = 0; j < nr; j++) {
      const dusk_dtype *d = &s->csv.dtypes[j];
      int c = dusk_table_column_index(rt, d->column);
      if (c < 1 && st->rslot[j] < 0) {
        /* a column no step uses (a shuffle's right side leaves it
         * unread: scheduler/query.c prune_right), or a key kept once,
         * whose index column the key loop below finds */
        st->rcol[j] = -1;
        continue;
      }
      if (c < 1 || rt->cols[c].type != dusk_type_physical(d->type)) {
        rc = dusk_error_set(
            err, DUSK_ETYPE, "merge: the right table %s column '%.200s'%s%s",
            c < 1 ? "lacks" : "has", d->column, c < 1 ? "" : " as ",
            c < 1 ? "" : dusk_type_name(rt->cols[c].type));
        join_release(kept);
        dusk_table_free(t);
        free(spec);
        return rc;
      }
      st->rcol[j] = c;
      if (st->rslot[j] >= 0 &&
          (rt->cols[c].source_na ||
           (rt->nrows > 0 && memchr(rt->cols[c].valid, 0, rt->nrows))) &&
          dusk_nulls_count(p->plan, p->names[st->rslot[j]],
                           rt->cols[c].type))
        p->null_seen[st->rslot[j]] = 1;
    }
    for (size_t k = 0; k < nk; k++) {
      int c = dusk_table_column_index(rt, s->right_on[k]), mode = 0;
      if (c < 1 ||
          dusk_join_key_types(p->ltypes[st->lkeys[k]],
                              rt->cols[c].type == DUSK_TYPE_INT64 &&
                                      dusk_type_is_logical(
                                          p->ltypes[st->lkeys[k]])
                                  ? p->ltypes[st->lkeys[k]]
                                  : rt->cols[c].type,
                              &mode) != 0) {
        rc = dusk_error_set(err, DUSK_ETYPE,
                            "merge: right key '%.200s' %s", s->right_on[k],
                            c < 1 ? "missing" : "of another type");
        join_release(kept);
        dusk_table_free(t);
        free(spec);
        return rc;
      }
      spec[k] = c;
      spec[nk + k] = mode;
    }
    if (kept != NULL && join_matches(kept, hash, in.len, spec, nk)) {
      st->join = kept;
      free(spec);
      return 0;
    }
    join_release(kept);
    if (t == NULL && (rc = dusk_table_decode(in, &t, err)) != 0) {
      free(spec);
      return rc;
    }
    rc = join_acquire(in, spec, nk, t, &st->join, err);
    if (rc != 0 || st->join->table != t)
      dusk_table_free(t);
    free(spec);
    return rc;
  }
}

/* Sets batch cell (c, r) to right table cell (tc, tr), or to a missing
 * value (stored as the scanner stores one) for DUSK_JOIN_NONE. */
static int put_right(dusk_batch *b, size_t c, size_t r, const dusk_table *t,
                     size_t tc, uint32_t tr) {
  dusk_column *col = &b->cols[c];
  const dusk_table_column *tcol = &t->cols[tc];
  bool ok = tr != DUSK_JOIN_NONE && tcol->valid[tr];
  col->valid[r] = ok;
  switch (col->type) {
  case DUSK_TYPE_INT64:
    col->i64[r] = ok ? tcol->i64[tr] : 0;
    break;
  case DUSK_TYPE_FLOAT64:
    col->f64[r] = ok ? tcol->f64[tr] : 0;
    break;
  case DUSK_TYPE_BOOL:
    col->b[r] = ok ? tcol->b[tr] : 0;
    break;
  case DUSK_TYPE_STRING: {
    size_t len = ok ? tcol->str_off[tr + 1] - tcol->str_off[tr] : 0;
    uint32_t off = 0;
    if (len > 0 && dusk_batch_arena_add(b, tcol->str_data + tcol->str_off[tr],
                                        len, &off) != 0)
      return DUSK_ENOMEM;
    col->str_off[r] = off;
    col->str_len[r] = (uint32_t)len;
    break;
  }
  default:
    break;
  }
  return 0;
}

/* Copies cell (c, sr) of src into (c, dr) of dst, in src's type (a fill
 * may have made the column text): dst's arrays for it are made when
 * missing. */
static int copy_cell(dusk_batch *dst, size_t c, size_t dr,
                     const dusk_batch *src, size_t sr) {
  dusk_column *d = &dst->cols[c];
  const dusk_column *sc = &src->cols[c];
  d->type = sc->type;
  d->valid[dr] = sc->valid[sr];
  switch (sc->type) {
  case DUSK_TYPE_INT64:
    if (d->i64 == NULL)
      d->i64 = dusk_xcalloc(dst->cap, sizeof *d->i64);
    d->i64[dr] = sc->i64[sr];
    break;
  case DUSK_TYPE_FLOAT64:
    if (d->f64 == NULL)
      d->f64 = dusk_xcalloc(dst->cap, sizeof *d->f64);
    d->f64[dr] = sc->f64[sr];
    break;
  case DUSK_TYPE_BOOL:
    if (d->b == NULL)
      d->b = dusk_xcalloc(dst->cap, sizeof *d->b);
    d->b[dr] = sc->b[sr];
    break;
  case DUSK_TYPE_STRING: {
    uint32_t off = 0;
    if (d->str_off == NULL) {
      d->str_off = dusk_xcalloc(dst->cap, sizeof *d->str_off);
      d->str_len = dusk_xcalloc(dst->cap, sizeof *d->str_len);
    }
    if (sc->str_len[sr] > 0 &&
        dusk_batch_arena_add(dst, src->arena + sc->str_off[sr],
                             sc->str_len[sr], &off) != 0)
      return DUSK_ENOMEM;
    d->str_off[dr] = off;
    d->str_len[dr] = sc->str_len[sr];
    break;
  }
  default:
    break;
  }
  return 0;
}

static int run_from(scan_ctx *ctx, dusk_batch *b, size_t first);

/* Notes that a left merge gave rows without a right row: pandas then
 * holds the right's int / bool columns as float64 / object. */
static void merge_unmatched(pipeline *p, const step *st) {
  for (size_t j = 0; j < st->node->csv.ndtypes; j++) {
    int slot = st->rslot[j];
    if (slot >= 0 && !p->null_seen[slot] &&
        dusk_nulls_count(p->plan, p->names[slot], p->scan_types[slot]))
      p->null_seen[slot] = 1;
  }
}

/* Runs the steps after merge step i (and the terminal) on the expanded
 * rows in p->mbatch, then empties it. */
static int merge_flush(scan_ctx *ctx, size_t i) {
  pipeline *p = ctx->p;
  uint64_t *ordinals = ctx->row_ordinals, *ranges = ctx->row_ranges;
  int rc;
  ctx->row_ordinals = p->mordinals;
  if (p->join_order)
    ctx->row_ranges = p->mranges;
  rc = run_from(ctx, &p->mbatch, i + 1);
  ctx->row_ordinals = ordinals;
  ctx->row_ranges = ranges;
  for (size_t c = 0; c < p->mbatch.ncols; c++)
    p->mbatch.cols[c].type = p->scan_types[c];
  dusk_batch_clear(&p->mbatch);
  return rc;
}

/* The right table's label of row tr: its place across the right's files
 * (a shuffle join's right final labels by positions). */
static uint64_t right_label(const step *st, uint32_t tr) {
  return (uint64_t)st->join->table->cols[0].i64[tr];
}

/* The order groups of a right-only row's key group (how outer): after
 * every left row's group, by the key's first right row. */
#define RIGHT_ONLY_GROUP ((uint64_t)1 << 62)

/* A DataFrame.join's rows (the merge's strategy DUSK_MERGE_JOIN) keep
 * their left row's label, as pandas' join does.  In a shuffle join a
 * left row's order (lord) is then (its file << JOIN_LABEL_BITS | its
 * label), which orders the left rows as their scans do - so how="left"'s
 * order groups are the rows' labels, which the final reads back
 * (head_output); files below JOIN_LABEL_FILES keep every group under
 * RIGHT_ONLY_GROUP.  (An inner, right or outer join's group is its key's
 * or its right row's, not each left row's: join_label_place below.) */
#define JOIN_LABEL_BITS 40
#define JOIN_LABEL_MASK (((uint64_t)1 << JOIN_LABEL_BITS) - 1)
#define JOIN_LABEL_FILES ((uint64_t)1 << 21)

/* A join's how inner / right / outer rows (join_label_place): a group is
 * a key's (or a right row's), not a left row's, so each row's place is
 * its left row's order instead - (file << JOIN_LABEL_BITS | label), which
 * orders a group's left rows as pandas does, the right rows of one left
 * row following in the order they are made (the final's sort is stable,
 * and a group lies in one part) - and the final reads the label from it.
 * A right-only row's place has JOIN_NO_LEFT set (above every left row's
 * order; its label is NaN, as pandas'), then its place among its key's
 * right rows.  Not for a groupby or value_counts: they read no labels,
 * and their first / last and first appearances go by (group, place),
 * where a left row's several right rows would tie on its order - there
 * the places are counted as a merge's (order_group), one per row, in
 * the same order. */
#define JOIN_NO_LEFT ((uint64_t)1 << 62)

static bool join_label_place(const pipeline *p, const step *st) {
  return p->join_order && st->node->strategy == DUSK_MERGE_JOIN &&
         st->node->how != DUSK_MERGE_LEFT &&
         p->terminal != DUSK_PLAN_GROUPBY &&
         p->terminal != DUSK_PLAN_VALUE_COUNTS;
}

/* A shuffle join's order group (join_order) of the emit rows left row r
 * of b gives - lord its order (left scan << 32 | row), e its index entry,
 * tr its right row (how right, a unique key) - as pandas 1.5 orders a
 * merge's rows: how="left" by left row; "right" by right row (its left
 * rows follow in left order); "inner" and "outer" grouped by key, keys in
 * the order they first appear on the left (outer: then the keys only the
 * right has, in the order they first appear there: RIGHT_ONLY_GROUP).  A
 * group lies in one part (its key's), where rows leave in pandas' order
 * within it, so the final's stable sort by (group, place) gives pandas'
 * order.  Left rows arrive in left order, so a key's first left row is
 * the first met.  *place: the place of the first of the emit rows in
 * their group (how left: a group of their own; how right with several
 * right rows: each right row's, counted by the caller).  0 or
 * DUSK_ENOMEM. */
static int order_group(pipeline *p, const step *st, const dusk_batch *b,
                       size_t r, uint32_t e, uint32_t tr, uint64_t lord,
                       uint64_t emit, uint64_t *group, uint64_t *place) {
  const dusk_join_index *x = &st->join->index;
  *place = 0;
  switch (st->node->how) {
  case DUSK_MERGE_LEFT:
    *group = lord;
    return p->join_groups ? dusk_join_groups_add(&p->groups, lord, emit) : 0;
  case DUSK_MERGE_RIGHT:
    *group = right_label(st, tr);
    if (tr != DUSK_JOIN_NONE)
      *place = p->rcount[tr]++;
    return 0;
  default:
    break;
  }
  if (e != DUSK_JOIN_NONE) {
    if (p->lfirst[e] == UINT64_MAX)
      p->lfirst[e] = lord;
    *group = p->lfirst[e];
    *place = p->gcount[e];
    p->gcount[e] += emit;
    return 0;
  }
  { /* an outer merge's left key no right row has */
    size_t entry;
    int added;
    p->mkey.len = 0;
    for (size_t k = 0; k < x->nkeys; k++) {
      dusk_value v;
      dusk_batch_get(b, (size_t)st->lkeys[k], r, &v);
      if (dusk_join_key_add(&p->mkey, &v, x->modes[k]) != 0)
        return DUSK_ENOMEM;
    }
    if (dusk_keyset_find_or_add(&p->lonly, p->mkey.data, p->mkey.len, &entry,
                                &added) != 0)
      return DUSK_ENOMEM;
    if (added) {
      if (entry >= p->lonly_cap) {
        p->lonly_cap = p->lonly_cap ? 2 * p->lonly_cap : 1024;
        p->lonly_first = dusk_xrealloc(p->lonly_first,
                                       p->lonly_cap * sizeof *p->lonly_first);
        p->lonly_count = dusk_xrealloc(p->lonly_count,
                                       p->lonly_cap * sizeof *p->lonly_count);
      }
      p->lonly_first[entry] = lord;
      p->lonly_count[entry] = 0;
    }
    *group = p->lonly_first[entry];
    *place = p->lonly_count[entry];
    p->lonly_count[entry] += emit;
    return 0;
  }
}

/* Merge step i over b: each left row with its right rows (probed in the
 * index), in the right's order, or - how="left" - with missing values
 * when it has none; inner drops it.  Rows are numbered anew, as pandas'
 * merge numbers them.  When no key has two right rows the batch is
 * merged in place; otherwise its rows expand into p->mbatch, which the
 * later steps take whenever it fills. */
static int merge_rows(scan_ctx *ctx, const step *st, dusk_batch *b, size_t i) {
  pipeline *p = ctx->p;
  const dusk_join_index *x = &st->join->index;
  const dusk_table *t = st->join->table;
  /* left rows without a match stay (left, outer) or go (inner, right) */
  bool left = st->node->how == DUSK_MERGE_LEFT ||
              st->node->how == DUSK_MERGE_OUTER,
       unmatched = false;
  /* a join's rows keep their left row's label (its ordinal); in a
   * shuffle join's order (join_order) the label is in the group and the
   * ordinal is the row's place, as a merge's */
  bool keep = st->node->strategy == DUSK_MERGE_JOIN && !p->join_order,
       label_place = join_label_place(p, st);
  size_t nr = st->node->csv.ndtypes;
  int rc;
  if ((rc = dusk_join_probe(x, b, st->lkeys, p->mentries, &p->mkey)) != 0)
    return rc;
  for (size_t r = 0; p->mhit != NULL && r < b->nrows; r++)
    if (p->mentries[r] != DUSK_JOIN_NONE)
      p->mhit[p->mentries[r]] = 1;
  if (p->terminal == DUSK_PLAN_LEN && i + 1 == p->nsteps) {
    /* len() right after the merge: the rows it would give, counted, not
     * made (a many-to-many merge gives far more rows than it reads) - a
     * to_csv's count round also counts each order group's rows, as
     * order_group and the right rows' places count them when made */
    uint64_t n = 0;
    for (size_t r = 0; r < b->nrows; r++) {
      uint32_t e = p->mentries[r];
      size_t m = dusk_join_count(x, e), emit = m ? m : left ? 1 : 0;
      uint64_t group, place;
      n += emit;
      if (!p->join_order || emit == 0)
        continue;
      if (st->node->how == DUSK_MERGE_RIGHT)
        for (size_t k = 0; k < m; k++)
          p->rcount[x->rows[x->first[e] + k]]++;
      else if ((rc = order_group(p, st, b, r, e, DUSK_JOIN_NONE,
                                 ctx->row_ranges[r], emit, &group,
                                 &place)) != 0)
        return rc;
    }
    p->merged += n;
    p->count += (int64_t)n;
    return 0;
  }
  if (x->unique) {
    for (size_t r = 0; p->join_order && r < b->nrows; r++) {
      uint32_t e = p->mentries[r];
      uint64_t lord = ctx->row_ranges[r];
      if (e == DUSK_JOIN_NONE && !left)
        continue;
      if ((rc = order_group(p, st, b, r, e,
                            e == DUSK_JOIN_NONE ? DUSK_JOIN_NONE
                                                : x->rows[x->first[e]],
                            lord, 1, &ctx->row_ranges[r],
                            &p->mplace[r])) != 0)
        return rc;
      if (label_place)
        p->mplace[r] = lord;
    }
    if (!left) {
      size_t w = 0;
      for (size_t r = 0; r < b->nrows; r++) {
        p->mask[r] = p->mentries[r] != DUSK_JOIN_NONE;
        if (p->mask[r]) {
          if (p->join_order) {
            ctx->row_ranges[w] = ctx->row_ranges[r];
            p->mplace[w] = p->mplace[r];
          }
          if (keep)
            ctx->row_ordinals[w] = ctx->row_ordinals[r];
          p->mentries[w++] = p->mentries[r];
        }
      }
      compact(b, p->mask);
    }
    for (size_t r = 0; r < b->nrows; r++) {
      uint32_t e = p->mentries[r];
      uint32_t tr = e == DUSK_JOIN_NONE ? DUSK_JOIN_NONE : x->rows[x->first[e]];
      unmatched |= e == DUSK_JOIN_NONE;
      if (!keep)
        ctx->row_ordinals[r] = p->join_order ? p->mplace[r] : p->merged;
      p->merged++;
      for (size_t j = 0; j < nr; j++)
        if (st->rslot[j] >= 0 &&
            (rc = put_right(b, (size_t)st->rslot[j], r, t,
                            (size_t)st->rcol[j], tr)) != 0)
          return rc;
    }
    if (unmatched)
      merge_unmatched(p, st);
    return run_from(ctx, b, i + 1);
  }
  if (!p->mbatch_ready) {
    if (dusk_batch_init(&p->mbatch, p->scan_types, p->ncols, BATCH_ROWS) != 0)
      return DUSK_ENOMEM;
    p->mbatch_ready = true;
  }
  for (size_t r = 0; r < b->nrows; r++) {
    uint32_t e = p->mentries[r];
    size_t n = dusk_join_count(x, e), emit = n ? n : left ? 1 : 0;
    uint64_t group = 0, place = 0;
    if (p->join_order && emit > 0 && st->node->how != DUSK_MERGE_RIGHT &&
        (rc = order_group(p, st, b, r, e, DUSK_JOIN_NONE, ctx->row_ranges[r],
                          emit, &group, &place)) != 0)
      return rc;
    for (size_t k = 0; k < emit; k++) {
      dusk_batch *mb = &p->mbatch;
      size_t w;
      uint32_t tr = n ? x->rows[x->first[e] + k] : DUSK_JOIN_NONE;
      if (mb->nrows == mb->cap && (rc = merge_flush(ctx, i)) != 0)
        return rc;
      w = mb->nrows++;
      if (p->join_order && st->node->how == DUSK_MERGE_RIGHT) {
        /* each right row a group of its own, its left rows in order */
        p->mranges[w] = right_label(st, tr);
        place = p->rcount[tr]++;
      } else if (p->join_order) {
        p->mranges[w] = group;
      }
      for (size_t c = 0; c < st->slot; c++)
        if ((rc = copy_cell(mb, c, w, b, r)) != 0)
          return rc;
      for (size_t j = 0; j < nr; j++)
        if (st->rslot[j] >= 0 &&
            (rc = put_right(mb, (size_t)st->rslot[j], w, t,
                            (size_t)st->rcol[j], tr)) != 0)
          return rc;
      p->mordinals[w] = keep             ? ctx->row_ordinals[r]
                        : label_place    ? ctx->row_ranges[r]
                        : p->join_order  ? place
                                         : p->merged;
      p->merged++;
      if (st->node->how != DUSK_MERGE_RIGHT)
        place++;
      if (tr == DUSK_JOIN_NONE && !unmatched) {
        unmatched = true;
        merge_unmatched(p, st);
      }
    }
  }
  return p->mbatch.nrows > 0 ? merge_flush(ctx, i) : 0;
}

static int run_steps(scan_ctx *ctx, dusk_batch *b) {
  return run_from(ctx, b, 0);
}

/* Steps first.. and the terminal over b (first 0: a batch of the scan). */
static int run_from(scan_ctx *ctx, dusk_batch *b, size_t first) {
  pipeline *p = ctx->p;
  int filtered = 0;
  if (first == 0) {
    p->scanned += b->nrows;
    if (p->nwatch > 0)
      note_nulls(p, b);
    for (size_t r = 0; r < b->nrows; r++)
      ctx->row_ordinals[r] = b->first_row + r;
  }
  for (size_t i = first; i < p->nsteps; i++) {
    const step *st = &p->steps[i];
    const dusk_plan *s = st->node;
    if (s->kind == DUSK_PLAN_MERGE)
      return merge_rows(ctx, st, b, i);
    if (s->kind == DUSK_PLAN_FILLNA) {
      for (size_t f = 0; f < s->nfills; f++) {
        const dusk_value *v = &s->fills[f].value;
        int rc = 0;
        if (st->fill_cols[f] >= 0)
          rc = fill_one(ctx, st, b, (size_t)st->fill_cols[f], v);
        else
          for (size_t c = 0; c < b->ncols && rc == 0; c++)
            rc = fill_one(ctx, st, b, c, v);
        if (rc != 0)
          return rc;
      }
    } else if (s->kind == DUSK_PLAN_ASSIGN) {
      int rc = dusk_exprvec_eval_into(st->expr, b, st->slot);
      const dusk_column *col = &b->cols[st->slot];
      if (rc != 0)
        return expr_failed(ctx, st, rc);
      /* pandas' dtype of a derived column is decided by the rows it is
       * computed on (after the filters before it, which compacted b): an
       * int or bool result holding a missing value there is float64 /
       * object.  Reported by name with the file's columns. */
      if (!p->null_seen[st->slot] && b->nrows > 0 &&
          (col->type == DUSK_TYPE_INT64 || col->type == DUSK_TYPE_BOOL) &&
          memchr(col->valid, 0, b->nrows) != NULL)
        p->null_seen[st->slot] = 1;
    } else if (s->kind == DUSK_PLAN_CONCAT) {
      /* the columns this input lacks: missing values, reported as nulls
       * (pandas' dtype: a bool column with one is object) */
      for (size_t d = 0; d < s->csv.ndtypes; d++) {
        missing_column(&b->cols[st->slot + d], b->nrows);
        p->null_seen[st->slot + d] |=
            b->nrows > 0 && dusk_nulls_count(p->plan, s->csv.dtypes[d].column,
                                             s->csv.dtypes[d].type);
      }
    } else if (s->kind == DUSK_PLAN_QUERY) {
      int rc = dusk_exprvec_eval(st->expr, b, p->mask);
      if (rc != 0)
        return expr_failed(ctx, st, rc);
      /* Row ordinals follow the kept rows. */
      size_t w = 0;
      for (size_t r = 0; r < b->nrows; r++)
        if (p->mask[r]) {
          if (ctx->row_ranges != NULL)
            ctx->row_ranges[w] = ctx->row_ranges[r];
          ctx->row_ordinals[w++] = ctx->row_ordinals[r];
        }
      compact(b, p->mask);
      filtered = 1;
    } else if (s->kind == DUSK_PLAN_SAMPLE) {
      /* Kept or not by the row's place in the files alone, so any worker
       * scanning the range keeps the same rows. */
      size_t w = 0;
      for (size_t r = 0; r < b->nrows; r++) {
        p->mask[r] = (uint8_t)dusk_sample_keeps(s, p->range_index,
                                                ctx->row_ordinals[r]);
        if (p->mask[r]) {
          if (ctx->row_ranges != NULL)
            ctx->row_ranges[w] = ctx->row_ranges[r];
          ctx->row_ordinals[w++] = ctx->row_ordinals[r];
        }
      }
      compact(b, p->mask);
      filtered = 1;
    }
  }
  (void)filtered;
  p->row_ranges = ctx->row_ranges;
  switch (p->terminal) {
  case DUSK_PLAN_GROUPBY:
  case DUSK_PLAN_VALUE_COUNTS:
    dusk_hashagg_at(p->agg, p->range_index, ctx->row_ordinals);
    if (ctx->row_ranges != NULL) /* a shuffle join's: (group, place) */
      dusk_hashagg_at_each(p->agg, ctx->row_ranges, ctx->row_ordinals);
    return dusk_hashagg_add(p->agg, b, p->key_cols, p->agg_cols);
  case DUSK_PLAN_LEN:
    p->count += (int64_t)b->nrows;
    return 0;
  case DUSK_PLAN_PERSIST:
    p->count += (int64_t)b->nrows;
    return dusk_part_builder_add(p->part, b);
  case DUSK_PLAN_TO_CSV: {
    dusk_value vals[261];
    int rc;
    for (size_t r = 0; r < b->nrows; r++) {
      vals[0].type = DUSK_TYPE_INT64;
      vals[0].u.i = p->label_base + (int64_t)ctx->row_ordinals[r];
      p->written++;
      for (size_t i = 0; i < p->nvisible; i++)
        dusk_batch_get(b, (size_t)p->visible[i], r, &vals[i + 1]);
      if ((rc = dusk_table_append_row(p->chunk, vals)) != 0)
        return rc;
    }
    /* pandas' to_csv writes chunks of 100000 // columns rows, and picks a
     * datetime column's precision per chunk: the same chunks, counted
     * from the file's start, give the same text */
    if (p->chunk->nrows >= (p->nvisible ? 100000 / p->nvisible : 100000) &&
        (rc = csv_flush(p, ctx->err)) != 0)
      return rc;
    return 0;
  }
  case DUSK_PLAN_DESCRIBE:
  case DUSK_PLAN_QUANTILE:
    return quantile_add(p, b);
  case DUSK_PLAN_TOPK:
    return topk_add(p, b, ctx->row_ordinals);
  case DUSK_PLAN_DROP_DUPLICATES:
    return dedup_add(p, b, ctx->row_ordinals);
  default: {
    /* head / collect: the first `limit` rows - a whole batch at once
     * while it fits under the limit */
    if ((int64_t)(p->rows->nrows + b->nrows) <= p->limit && b->nrows > 0) {
      int64_t *range = dusk_xcalloc(b->nrows, sizeof *range);
      const int64_t *extra[2];
      int rc;
      for (size_t r = 0; r < b->nrows; r++)
        range[r] = (int64_t)(ctx->row_ranges != NULL ? ctx->row_ranges[r]
                                                     : p->range_index);
      extra[0] = range;
      extra[1] = (const int64_t *)ctx->row_ordinals;
      rc = dusk_table_append_batch(p->rows, b, p->visible, p->nvisible, extra);
      free(range);
      if (rc == 0)
        return (int64_t)p->rows->nrows >= p->limit ? (ctx->stopped = 1) : 0;
      if (rc != DUSK_ETYPE)
        return rc;
    }
    for (size_t r = 0; r < b->nrows && (int64_t)p->rows->nrows < p->limit;
         r++) {
      int rc = append_batch_row(p, b, r, ctx->row_ordinals[r]);
      if (rc != 0)
        return rc;
    }
    if ((int64_t)p->rows->nrows >= p->limit) {
      ctx->stopped = 1;
      return 1;
    }
    return 0;
  }
  }
}

/* ---- partial results ----------------------------------------------------- */

static char worker_name[128], worker_host[256];

void dusk_dfops_set_identity(const char *name, const char *host) {
  snprintf(worker_name, sizeof worker_name, "%s", name ? name : "");
  snprintf(worker_host, sizeof worker_host, "%s", host ? host : "");
}

void dusk_dfops_prefetch(const char *op, size_t op_len, dusk_slice args) {
  dusk_scan_args a;
  dusk_error err;
  dusk_plan *plan = NULL;
  const dusk_plan *leaf;
  dusk_store_options store;
  char path[4096], version[DUSK_SCAN_MAX_VERSION + 1];
  const char *off = getenv("DUSK_PREFETCH"); /* 0: off, to measure it */
  if ((off != NULL && strcmp(off, "0") == 0) || op_len != strlen("df_scan") ||
      memcmp(op, "df_scan", op_len) != 0 ||
      dusk_scan_args_decode(args, &a, &err) != 0)
    return;
  if (a.path.len < sizeof path && a.path.len > 5 &&
      dusk_plan_decode(a.plan, &plan, &err) == 0) {
    memcpy(path, a.path.ptr, a.path.len);
    path[a.path.len] = '\0';
    memcpy(version, a.version.ptr, a.version.len);
    version[a.version.len] = '\0';
    for (leaf = plan; leaf->ninputs > 0; leaf = leaf->inputs[0])
      ;
    if (leaf->kind == DUSK_PLAN_READ_CSV && dusk_store_is_url(path)) {
      uint64_t pend = a.end < a.file_size ? a.end : a.file_size;
      dusk_plan_store_options(leaf, &store);
      /* the span a scan plans (csvscan.c): from the byte before it */
      dusk_source_prefetch(path, version[0] ? version : NULL, a.file_size,
                           &store, a.start > 0 ? a.start - 1 : 0,
                           dusk_source_plan_end(pend, a.file_size));
    }
  }
  dusk_plan_free(plan);
  free(a.header);
}

/* A scan that could not open or read its file or object: the error names
 * this worker and its host, and a local file the scheduler
 * found but this host lacks says so - on several hosts a local path must
 * be on every one. */
static void name_worker(dusk_error *err, const char *path, int rc) {
  char why[DUSK_ERROR_MESSAGE_MAX];
  snprintf(why, sizeof why, "%s", err->message);
  if (!dusk_store_is_url(path) && rc == -ENOENT)
    dusk_error_set(err, rc,
                   "%s: not on worker %s's host %s, though the scheduler "
                   "found it where the query was planned: a local path must "
                   "exist on every host of the cluster (or read it from "
                   "s3:// or http(s)://)",
                   path, worker_name, worker_host);
  else
    dusk_error_set(err, rc, "%s (on worker %s, host %s)", why, worker_name,
                   worker_host);
}

/* 0 while path still has the size the query was planned from.  A remote
 * object's reads are pinned to its version instead (source.h). */
static int same_size(const char *path, uint64_t size, dusk_error *err) {
  struct stat st;
  if (dusk_store_is_url(path))
    return 0;
  if (stat(path, &st) != 0)
    return dusk_error_set(err, -errno, "%s: %s (it changed while being "
                          "read)", path, strerror(errno));
  if ((uint64_t)st.st_size != size)
    return dusk_error_set(err, DUSK_EPARSE,
                          "%s changed while being read: %llu bytes when the "
                          "query started, %llu now",
                          path, (unsigned long long)size,
                          (unsigned long long)st.st_size);
  return 0;
}

/* The state transfer of [start, end) of path (csvscan.h), or -1 on a read
 * error. */
static int range_transfer(const char *path, const dusk_store_options *store,
                          char sep, const dusk_scan_args *a) {
  dusk_error err;
  int transfer;
  if (dusk_csvscan_transfer(path, store, sep, a->start, a->end, a->data_start,
                            &transfer, &err) != 0)
    return -1;
  return transfer;
}

/* Encodes ranges + payload into the op's result (dftask.h's partial,
 * [bin ranges, bin payload]).  The payload, which can be megabytes, is
 * encoded in place after a bin32 header whose length is filled in after:
 * no second copy of it is ever held. */
static int emit_partial(dusk_op_call *call, const dusk_table *ranges,
                        const dusk_table *payload) {
  static const char bin32[5] = {(char)0xc6, 0, 0, 0, 0};
  dusk_buf r, *out = &call->result;
  size_t at, len;
  int rc;
  dusk_buf_init(&r);
  rc = dusk_table_encode(ranges, &r);
  if (rc == 0) {
    dusk_slice rs = {r.data, r.len}, none = {"", 0};
    out->len = 0;
    /* [ranges, ""] then the empty bin's header widened to bin32 */
    rc = dusk_partial_encode(rs, none, out);
    if (rc == 0 && (out->len < 2 ||
                    (unsigned char)out->data[out->len - 2] != 0xc4 ||
                    out->data[out->len - 1] != 0))
      rc = DUSK_EINVAL; /* msgpack packs an empty bin as bin8: c4 00 */
    if (rc == 0) {
      out->len -= 2;
      at = out->len;
      rc = dusk_buf_append(out, bin32, sizeof bin32);
    }
    if (rc == 0)
      rc = dusk_table_encode(payload, out);
    if (rc == 0 && (len = out->len - at - sizeof bin32) > UINT32_MAX)
      rc = DUSK_ETOOBIG;
    if (rc == 0) {
      unsigned char *h = (unsigned char *)out->data + at;
      h[1] = (unsigned char)(len >> 24);
      h[2] = (unsigned char)(len >> 16);
      h[3] = (unsigned char)(len >> 8);
      h[4] = (unsigned char)len;
    }
  }
  dusk_buf_destroy(&r);
  return rc;
}

static int fail(dusk_op_call *call, const dusk_error *err) {
  return dusk_registry_api.fail(call, "%s", err->message);
}

/* Fails with a scan's failure text; when it is a value needing a wider
 * type (widen_column set), as DUSK_FAIL_WIDEN so the scheduler can widen
 * the column and rerun; when a fillna met nulls it fills with another kind
 * of value (mixed_len > 0: the columns joined by DUSK_MIXED_SEP), as
 * DUSK_FAIL_MIXED so the scheduler can rerun with them mixed or refuse. */
static int fail_scan(dusk_op_call *call, const char *text,
                     const char *widen_column, size_t widen_len,
                     dusk_type widen_type, const char *mixed,
                     size_t mixed_len) {
  if (widen_column != NULL)
    return dusk_registry_fail_widen(call, widen_column, widen_len,
                                    (uint8_t)widen_type, text);
  if (mixed_len > 0)
    return dusk_registry_fail_mixed(call, mixed, mixed_len, DUSK_MIXED_SEP,
                                    text);
  return dusk_registry_api.fail(call, "%s", text);
}

/* Builds the terminal's payload table from the pipeline state. */
static int pipeline_payload(pipeline *p, dusk_table **out) {
  switch (p->terminal) {
  case DUSK_PLAN_GROUPBY:
  case DUSK_PLAN_VALUE_COUNTS:
    return dusk_hashagg_partial(p->agg, out);
  case DUSK_PLAN_LEN:
  case DUSK_PLAN_PERSIST:
    *out = dusk_count_table_new(p->count);
    return *out ? 0 : DUSK_ENOMEM;
  case DUSK_PLAN_TO_CSV: {
    dusk_value row[DUSK_WRITTEN_NCOLS];
    int rc;
    *out = dusk_written_table_new();
    if (*out == NULL)
      return DUSK_ENOMEM;
    row[DUSK_WRITTEN_FILE].type = DUSK_TYPE_STRING;
    row[DUSK_WRITTEN_FILE].u.s.ptr = p->out_path;
    row[DUSK_WRITTEN_FILE].u.s.len = strlen(p->out_path);
    row[DUSK_WRITTEN_ROWS].type = DUSK_TYPE_INT64;
    row[DUSK_WRITTEN_ROWS].u.i = p->written;
    if ((rc = dusk_table_append_row(*out, row)) != 0) {
      dusk_table_free(*out);
      *out = NULL;
    }
    return rc;
  }
  case DUSK_PLAN_DESCRIBE:
  case DUSK_PLAN_QUANTILE:
    return quantile_payload(p, out);
  case DUSK_PLAN_TOPK: {
    int rc = topk_trim(p, p->rows, NULL);
    if (rc != 0)
      return rc;
    *out = p->rows;
    p->rows = NULL;
    return 0;
  }
  default:
    *out = p->rows;
    p->rows = NULL;
    return 0;
  }
}

/* ---- persisted partitions (partition.h) --------------------------------- */

/* What a persisted range's scan reported (its partition's meta: the persist
 * scan's partial): the tokenizer state it started in and its transfer.
 * -1 unless the meta is one clean ranges row (a range with a held-back
 * error is never persisted: its persist query reran it). */
static int part_report(const dusk_part *part, int *assumed, int *transfer) {
  dusk_slice ranges, payload;
  dusk_table *t = NULL;
  dusk_error e = {0};
  int rc = -1;
  if (dusk_partial_decode(part->meta, &ranges, &payload, &e) != 0 ||
      dusk_table_decode(ranges, &t, &e) != 0)
    return -1;
  if (dusk_ranges_table_check(t, &e) == 0 && t->nrows == 1 &&
      !t->cols[DUSK_RANGES_ERROR].valid[0]) {
    *assumed = (int)t->cols[DUSK_RANGES_ASSUMED].i64[0];
    *transfer = (int)t->cols[DUSK_RANGES_TRANSFER].i64[0];
    rc = 0;
  }
  dusk_table_free(t);
  return rc;
}

/* Where each batch column the scan reads lies in the partition (src[c]
 * for batch column c < p->nread), when the partition holds every one of
 * them in the type the scan reads and the range started in the state
 * the scan must start in; else false, and the scan reads the file (a
 * rerun that widened a column or made it mixed text, say). */
static bool part_fits(const pipeline *p, const dusk_part *part,
                      const dusk_scan_args *a, int assumed, int *src) {
  if (a->start > a->data_start && a->start_state != DUSK_CSV_GUESS &&
      a->start_state != assumed)
    return false;
  for (size_t c = 0; c < p->nread; c++) {
    const char *name = read_name(p, c);
    int j = dusk_part_find(part, name, strlen(name));
    dusk_type t;
    if (j < 0)
      return false;
    t = part->cols[j].type;
    if (dusk_type_physical(t) != p->scan_types[c] ||
        (t == DUSK_TYPE_DATETIME) != (p->datetime[c] != 0))
      return false;
    src[c] = j;
  }
  return true;
}

/* The scan's batches from a persisted partition instead of the file:
 * the same batches csvscan would give (rows, columns, nulls_only), so
 * every step and terminal runs unchanged.  0, 1 when a step stopped the
 * scan (head), or a negative code with err. */
static int replay_part(const dusk_part *part, const int *src,
                       const bool *nulls_only,
                       const volatile int *canceled, scan_ctx *ctx,
                       dusk_error *err) {
  pipeline *p = ctx->p;
  dusk_batch b;
  int *dst = dusk_xcalloc(p->nread + 1, sizeof *dst);
  dusk_column *own = NULL;
  int rc = 0;
  for (size_t c = 0; c < p->nread; c++)
    dst[c] = (int)c;
  if (dusk_batch_init(&b, p->scan_types, p->ncols, BATCH_ROWS) != 0) {
    free(dst);
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  }
  /* Without steps nothing writes the batch's arrays: they may point into
   * the partition instead of holding a copy (terminals only read). */
  if (p->nsteps == 0) {
    own = dusk_xcalloc(b.ncols + 1, sizeof *own);
    memcpy(own, b.cols, b.ncols * sizeof *own);
  }
  for (uint64_t row = 0; row < part->nrows && rc == 0; row += BATCH_ROWS) {
    size_t n = part->nrows - row < BATCH_ROWS ? (size_t)(part->nrows - row)
                                              : BATCH_ROWS;
    if (canceled != NULL && *canceled) {
      rc = dusk_error_set(err, DUSK_ECANCELED, "canceled");
      break;
    }
    if ((rc = own != NULL
                  ? dusk_part_borrow(part, row, n, src, dst, nulls_only,
                                     p->nread, &b, own, err)
                  : dusk_part_load(part, row, n, src, dst, nulls_only,
                                   p->nread, &b, err)) != 0)
      break;
    rc = on_batch(ctx, &b);
  }
  if (own != NULL)
    dusk_part_restore(&b, own);
  dusk_batch_destroy(&b);
  free(own);
  free(dst);
  if (rc == 1) {
    ctx->stopped = 1;
    rc = 0;
  }
  return rc;
}

/* df_persisted: a persist scan's partition -> the partial in its meta, for
 * the persist query's combines (the partition itself stays put). */
static int op_df_persisted(const dusk_op_api *api, dusk_op_call *call) {
  dusk_part part;
  dusk_error err = {0};
  int rc;
  (void)api;
  if (call->ninputs != 1)
    return dusk_registry_api.fail(call, "df_persisted: %zu inputs, expected "
                                  "the partition", call->ninputs);
  if ((rc = dusk_part_open(call->inputs[0], &part, &err)) != 0)
    return fail(call, &err);
  call->result.len = 0;
  rc = dusk_buf_append(&call->result, part.meta.ptr, part.meta.len);
  dusk_part_close(&part);
  if (rc != 0)
    return dusk_registry_api.fail(call, "df_persisted: out of memory");
  return 0;
}

/* ---- df_scan ------------------------------------------------------------- */

/* Whether to_csv root names column name among the int64 columns the
 * user typed (plan.h), which stay ints with nulls. */
static bool typed_int(const dusk_plan *root, const char *name) {
  if (root->kind != DUSK_PLAN_TO_CSV || root->columns == NULL)
    return false;
  for (size_t i = 0; i < root->ncolumns; i++)
    if (strcmp(root->columns[i], name) == 0)
      return true;
  return false;
}


/* The columns whose values nothing reads, only their null flags: with no
 * query step, a column that a groupby uses only through count() (not a
 * key, no other aggregate).  fillna writes only the null rows and reads
 * no values.  The scan then checks such a string column's fields as
 * before but copies none (csvscan.h).  NULL when there is none or out of
 * memory (then every column is read in full). */
static bool *nulls_only_columns(const pipeline *p) {
  const dusk_plan *g = p->root;
  bool *only;
  size_t n = 0;
  if (p->terminal == DUSK_PLAN_DROP_DUPLICATES && p->dedup_stage == 1) {
    /* drop_duplicates' key round keeps only the key columns: the other
     * text columns need their checks and null flags (the rows round's
     * errors and nulls are this round's), not their values */
    for (size_t i = 0; i < p->nsteps; i++)
      if (p->steps[i].node->kind == DUSK_PLAN_QUERY ||
          p->steps[i].node->kind == DUSK_PLAN_ASSIGN)
        return NULL;
    only = dusk_xcalloc(p->ncols + 1, sizeof *only);
    for (size_t c = 0; c < p->nread; c++) {
      only[c] = p->scan_types[c] == DUSK_TYPE_STRING;
      n += only[c];
    }
    for (size_t k = 0; k < p->ndedup; k++)
      if (p->dedup_cols[k] >= 0 && only[p->dedup_cols[k]]) {
        only[p->dedup_cols[k]] = false;
        n--;
      }
    if (n == 0) {
      free(only);
      return NULL;
    }
    return only;
  }
  if (p->terminal != DUSK_PLAN_GROUPBY || g->naggs == 0)
    return NULL;
  for (size_t i = 0; i < p->nsteps; i++) /* they read values */
    if (p->steps[i].node->kind == DUSK_PLAN_QUERY ||
        p->steps[i].node->kind == DUSK_PLAN_ASSIGN)
      return NULL;
  only = dusk_xcalloc(p->ncols, sizeof *only);
  for (size_t a = 0; a < g->naggs; a++)
    if (g->aggs[a].fn == DUSK_AGG_COUNT && p->agg_cols[a] >= 0)
      only[p->agg_cols[a]] = true;
  for (size_t a = 0; a < g->naggs; a++)
    if (g->aggs[a].fn != DUSK_AGG_COUNT && p->agg_cols[a] >= 0)
      only[p->agg_cols[a]] = false;
  for (size_t k = 0; k < g->ncolumns; k++)
    only[p->key_cols[k]] = false;
  for (size_t c = 0; c < p->ncols; c++)
    n += only[c];
  if (n == 0) {
    free(only);
    return NULL;
  }
  return only;
}

/* A to_csv scan's first row label: its range's entry in the df_offsets
 * table it depends on, or 0 without one (the file's only range). */
static int label_base(const dusk_op_call *call, bool merged, uint64_t index,
                      int64_t *base,
                      dusk_error *err) {
  dusk_table *t = NULL;
  size_t lo = 0, hi;
  int rc;
  *base = 0;
  if ((rc = stage_input(call, merged, "to_csv", "offsets", &t, err)) != 0 ||
      t == NULL)
    return rc;
  if (t->ncols != 2 || t->cols[0].type != DUSK_TYPE_INT64 ||
      t->cols[1].type != DUSK_TYPE_INT64) {
    dusk_table_free(t);
    return dusk_error_set(err, DUSK_ETYPE, "to_csv scan: bad offsets table");
  }
  hi = t->nrows; /* sorted by index */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->cols[0].i64[mid] < (int64_t)index)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == t->nrows || t->cols[0].i64[lo] != (int64_t)index)
    rc = dusk_error_set(err, DUSK_EINVAL,
                        "to_csv scan: range %llu not in the offsets",
                        (unsigned long long)index);
  else
    *base = t->cols[1].i64[lo];
  dusk_table_free(t);
  return rc;
}

/* The deferred failure of a scan whose fills noted nulls (fill_one): the
 * text for a person into out, and every column noted, in full, into mixed
 * (joined by DUSK_MIXED_SEP, the first one first) for DUSK_FAIL_MIXED. */
static void mixed_message(const pipeline *p, const scan_ctx *ctx,
                          const char *path, char *out, size_t outlen,
                          dusk_buf *mixed) {
  char buf[32];
  const char *s, *first = p->names[ctx->mixed_col];
  size_t len = value_text(ctx->mixed_value, 0, buf, &s);
  dusk_xcheck(dusk_buf_append(mixed, first, strlen(first)));
  for (size_t c = 0; c < p->ncols; c++)
    if (ctx->mixed_seen[c] && (int)c != ctx->mixed_col) {
      char sep = DUSK_MIXED_SEP;
      dusk_xcheck(dusk_buf_append(mixed, &sep, 1));
      dusk_xcheck(dusk_buf_append(mixed, p->names[c], strlen(p->names[c])));
    }
  snprintf(out, outlen,
           "%.100s: column '%.60s' (%s) has a null that fillna fills with "
           "'%.*s': pandas then holds two kinds of values in it (object "
           "dtype)",
           path, first, dusk_type_name(p->scan_types[ctx->mixed_col]),
           (int)(len < 40 ? len : 40), s);
}

/* A divisions query's rows (a set_index's divisions: terminal 0 under a
 * divisions_only sort): only their sample - with their exact least and
 * greatest keys, unless the divisions are given - goes on to df_cuts, so
 * no rows wait for it (query.c add_range_sort).  *payload, the rows, is
 * replaced by it; anything else is left as it is.  0 or an error in
 * err. */
static int divisions_payload(const pipeline *p, dusk_table **payload,
                             dusk_error *err) {
  const dusk_plan *sort = dusk_plan_sort_node(p->plan);
  dusk_table *sample = NULL;
  int rc;
  if (p->terminal != 0 || sort == NULL || !sort->divisions_only)
    return 0;
  if ((rc = dusk_rangepart_sample(*payload, &sample)) != 0)
    return dusk_error_set(err, rc, "sampling the rows: %s",
                          dusk_strerror(rc));
  if (sort->ndivisions == 0 &&
      (rc = dusk_rangepart_add_bounds(*payload, sort, sample, err)) != 0) {
    dusk_table_free(sample);
    return rc;
  }
  dusk_table_free(*payload);
  *payload = sample;
  return 0;
}

/* The bytes of its range a scan read, for the worker's bytes_scanned:
 * the whole range once it read through it, or what it read before it
 * stopped (head, an error).  The scan also reads a byte before the range
 * and the end of the record crossing its end, which the neighbouring
 * ranges count: so a file's ranges scanned whole add up to its size less
 * its header (which the scheduler's sampling reads). */
static uint64_t scanned_bytes(const dusk_scan_args *a,
                              const dusk_csvscan_stats *stats) {
  uint64_t end = a->end < a->file_size ? a->end : a->file_size;
  uint64_t range = end > a->start ? end - a->start : 0;
  return stats->bytes < range ? stats->bytes : range;
}

static int op_df_scan(const dusk_op_api *api, dusk_op_call *call) {
  dusk_scan_args a;
  dusk_error err = {0};
  pipeline p;
  dusk_csvscan_options o;
  dusk_csvscan_stats stats;
  scan_ctx ctx = {0}; /* (every field: row_ranges stays NULL) */
  int *col_map = NULL, rc;
  bool *nulls_only = NULL;
  char path[4096], version[DUSK_SCAN_MAX_VERSION + 1];
  dusk_store_options store;
  dusk_table *ranges = NULL, *payload = NULL;
  dusk_value rv[DUSK_RANGES_NCOLS];
  char deferred[DUSK_ERROR_MESSAGE_MAX + 64];
  const char *widen_column = NULL;       /* deferred is a value needing */
  dusk_type widen_type = DUSK_TYPE_NULL; /* this type in this column */
  dusk_buf mixed; /* deferred is a fillna mixing kinds in these columns */
  dusk_buf nulls; /* DUSK_RANGES_NULLS */
  bool int_null = false; /* deferred is a to_csv int column's null */
  /* a.persisted: the first input, this range's partition, set aside from
   * the inputs the stages read; used when it fits (part_fits) */
  const dusk_slice *inputs = call->inputs;
  size_t ninputs = call->ninputs;
  dusk_part part;
  bool use_part = false;
  int part_assumed = 0, part_transfer = -1, *part_src = NULL;
  (void)api;
  memset(&part, 0, sizeof part);
  deferred[0] = '\0';
  dusk_buf_init(&mixed);
  dusk_buf_init(&nulls);

  memset(&p, 0, sizeof p);
  memset(&stats, 0, sizeof stats);
  if ((rc = dusk_scan_args_decode(call->args, &a, &err)) != 0)
    return fail(call, &err);
  if (a.path.len >= sizeof path) {
    free(a.header);
    return dusk_registry_api.fail(call, "path too long");
  }
  memcpy(path, a.path.ptr, a.path.len);
  path[a.path.len] = '\0';
  if (a.persisted) {
    if (call->ninputs == 0) {
      free(a.header);
      return dusk_registry_api.fail(call, "persisted scan without its "
                                    "partition");
    }
    call->inputs++;
    call->ninputs--;
  }
  if ((rc = pipeline_init(&p, a.plan, &err)) != 0)
    goto failed;
  if (a.persisted) {
    /* A partition that does not open was damaged on its way here: the
     * file is read instead, as for one that does not fit. */
    dusk_error perr = {0};
    part_src = dusk_xcalloc(p.nread + 1, sizeof *part_src);
    if (dusk_part_open(inputs[0], &part, &perr) == 0) {
      /* made by this worker's own persist scan (inputs_own is not shifted
       * with inputs: [0] is the partition): its rows need no checks */
      part.trusted = call->inputs_own != NULL && call->inputs_own[0];
      use_part = part_report(&part, &part_assumed, &part_transfer) == 0 &&
                 part_fits(&p, &part, &a, part_assumed, part_src);
    }
    else
      dusk_log(DUSK_LOG_WARN, "%s bytes %llu..%llu: persisted partition "
               "refused (%s); reading the file", path,
               (unsigned long long)a.start, (unsigned long long)a.end,
               perr.message);
  }
  /* A persisted range is what was read then, file or no file. */
  if (!use_part && (rc = same_size(path, a.file_size, &err)) != 0)
    goto failed;
  p.range_index = a.index;
  if (p.merge_step >= 0) {
    if ((rc = merge_attach(&p, call, &err)) != 0)
      goto failed;
    p.mordinals = dusk_xcalloc(BATCH_ROWS, sizeof *p.mordinals);
    p.mentries = dusk_xcalloc(BATCH_ROWS, sizeof *p.mentries);
  }
  if (p.terminal == DUSK_PLAN_TO_CSV &&
      (rc = label_base(call, p.merge_step >= 0, a.index, &p.label_base,
                       &err)) != 0)
    goto failed;
  if (p.terminal == DUSK_PLAN_TO_CSV && (rc = csv_open(&p, a.index, &err)) != 0)
    goto failed;
  if (p.terminal == DUSK_PLAN_QUANTILE || p.terminal == DUSK_PLAN_DESCRIBE) {
    dusk_table *bounds = NULL;
    if ((rc = stage_input(call, p.merge_step >= 0,
                          dusk_plan_kind_name(p.root->kind), "bounds",
                          &bounds, &err)) != 0 ||
        (rc = setup_quantile_stage(&p, bounds, &err)) != 0)
      goto failed;
  }
  if (p.terminal == DUSK_PLAN_DROP_DUPLICATES &&
      (rc = setup_dedup_stage(&p, call, &err)) != 0)
    goto failed;
  if (p.dedup_skip != NULL) {
    /* drop_duplicates keeps no row of this range: the key round's report
     * of it stands, and the file is not read again (the first rows of
     * most keys lie early in a file, so most ranges end here). */
    if (!use_part && (rc = same_size(path, a.file_size, &err)) != 0)
      goto failed;
    if ((rc = pipeline_payload(&p, &payload)) != 0 ||
        (rc = emit_partial(call, p.dedup_skip, payload)) != 0) {
      dusk_error_set(&err, rc, "building the partial result: %s",
                     dusk_strerror(rc));
      goto failed;
    }
    goto out;
  }
  col_map = dusk_xcalloc(a.nheader, sizeof *col_map);
  ctx.row_ordinals = dusk_xcalloc(BATCH_ROWS, sizeof *ctx.row_ordinals);
  for (uint32_t h = 0; h < a.nheader; h++) {
    col_map[h] = -1;
    for (size_t c = 0; c < p.nread; c++)
      if (strlen(read_name(&p, c)) == a.header[h].len &&
          memcmp(read_name(&p, c), a.header[h].ptr, a.header[h].len) == 0)
        col_map[h] = (int)c;
  }
  memset(&o, 0, sizeof o);
  o.path = path;
  if (a.version.len > 0 && a.version.len < sizeof version) {
    memcpy(version, a.version.ptr, a.version.len);
    version[a.version.len] = '\0';
    o.version = version;
  }
  o.object_size = a.file_size;
  dusk_plan_store_options(p.leaf, &store);
  o.store = &store;
  o.sep = p.leaf->csv.sep ? p.leaf->csv.sep : ',';
  o.start = a.start;
  o.end = a.end;
  o.start_state = a.start_state;
  o.data_start = a.data_start;
  o.ncols_file = a.nheader;
  o.col_map = col_map;
  o.types = p.scan_types;
  o.nout = p.ncols;
  o.nderived = p.ncols - p.nread;
  o.datetime = p.datetime;
  o.batch_rows = BATCH_ROWS;
  o.max_field = (size_t)a.max_field;
  o.canceled = call->canceled;
  o.nulls_only = nulls_only = nulls_only_columns(&p);
  o.no_na = p.no_na;
  ctx.p = &p;
  ctx.err = &err;
  ctx.stopped = 0;
  ctx.mixed_col = -1;
  ctx.mixed_value = NULL;
  ctx.mixed_seen = dusk_xcalloc(p.ncols, 1);
  if (use_part) {
    rc = replay_part(&part, part_src, nulls_only, call->canceled, &ctx, &err);
    stats.start_state = a.start <= a.data_start ? DUSK_CSV_FIELD_START
                                                : part_assumed;
    stats.quote_transfer = part_transfer;
    stats.rows = p.scanned;
  } else {
    rc = dusk_csvscan_run(&o, on_batch, &ctx, &stats, &err);
    call->bytes_scanned = scanned_bytes(&a, &stats);
  }
  if (rc != 0 && stats.io_failed)
    name_worker(&err, path, rc);
  free(ctx.row_ordinals);
  free(nulls_only);
  if (rc == 0 && ctx.mixed_col >= 0)
    mixed_message(&p, &ctx, path, deferred, sizeof deferred, &mixed);
  free(ctx.mixed_seen);
  if (rc == DUSK_EWIDEN) {
    /* The column and type travel whole in the failure's typed fields;
     * the text, for a person, may clip them. */
    const dusk_csvscan_conflict *cf = &stats.conflict;
    widen_column = read_name(&p, cf->column);
    widen_type = cf->widened;
    if (p.datetime[cf->column])
      snprintf(deferred, sizeof deferred,
               "%.200s line %llu: column '%.100s' (parse_dates) holds "
               "'%.100s', which is not a date-time (YYYY-MM-DD[ "
               "HH:MM[:SS[.fraction]]])",
               path, (unsigned long long)dusk_line_of(path, cf->offset),
               widen_column, cf->value);
    else
      snprintf(deferred, sizeof deferred,
               "%.200s line %llu: column '%.100s' holds '%.100s', which "
               "needs type %s",
               path, (unsigned long long)dusk_line_of(path, cf->offset),
               widen_column, cf->value, dusk_type_name(widen_type));
  } else if (rc == DUSK_EPARSE) {
    /* Name the line as a person's editor counts it. */
    char column[128];
    const char *cname = NULL;
    if (stats.error_column >= 0 && (uint64_t)stats.error_column < a.nheader) {
      const dusk_slice *h = &a.header[stats.error_column];
      snprintf(column, sizeof column, "%.*s", (int)h->len, h->ptr);
      cname = column;
    }
    dusk_error_at_line(deferred, sizeof deferred, path, stats.error_offset,
                       cname, err.message);
  }
  /* to_csv writes its rows as it goes, so each column must have pandas'
   * type from the start: an int column holding a null is float64 there
   * (5 is written "5.0").  One this plan reads as int64 fails the range
   * as a widening, and the query reruns with the column float64 - unless
   * the user typed it int64, which stays ints with empty nulls (pandas'
   * nullable Int64). */
  if (rc == 0 && deferred[0] == '\0' && p.terminal == DUSK_PLAN_TO_CSV)
    for (size_t c = 0; c < p.ncols && widen_column == NULL; c++)
      /* the file's columns, and a merge's right ones (a left row
       * without a match holds missing values there) */
      if ((c < p.nread || merge_column(&p, c)) && p.null_seen[c] &&
          p.scan_types[c] == DUSK_TYPE_INT64 &&
          !dusk_type_is_logical(p.ltypes[c]) &&
          !typed_int(p.root, read_name(&p, c))) {
        widen_column = read_name(&p, c);
        widen_type = DUSK_TYPE_FLOAT64;
        int_null = true;
        snprintf(deferred, sizeof deferred,
                 "%.200s bytes %llu..%llu: the int64 column '%.100s' holds "
                 "a null, which pandas' read_csv holds as float64 (give "
                 "dtype Int64 to keep ints)",
                 path, (unsigned long long)a.start,
                 (unsigned long long)a.end, widen_column);
      }
  if (deferred[0] != '\0') {
    /* The first range's state is certain: its errors are real now.  A
     * later range may have misread because it guessed its quote state;
     * the final step decides once every guess is checked. */
    int transfer;
    size_t wlen = widen_column ? strlen(widen_column) : 0;
    /* ... except an int column's null under to_csv, which the final
     * step reports after removing what the other ranges wrote */
    if (a.start <= a.data_start && !int_null) {
      rc = fail_scan(call, deferred, widen_column, wlen, widen_type,
                     mixed.data, mixed.len);
      goto out;
    }
    transfer = stats.quote_transfer >= 0 ? stats.quote_transfer
                                         : range_transfer(path, &store, o.sep, &a);
    if (transfer < 0) {
      rc = fail_scan(call, deferred, widen_column, wlen, widen_type,
                     mixed.data, mixed.len);
      goto out;
    }
    stats.quote_transfer = transfer;
    rc = 0;
  }
  if (rc != 0) {
    if (err.message[0] == '\0')
      dusk_error_set(&err, rc, "%s: %s", path, dusk_strerror(rc));
    goto failed;
  }
  /* A file that changed under the scan gives no answer rather than a
   * wrong one. */
  if (!use_part && (rc = same_size(path, a.file_size, &err)) != 0)
    goto failed;
  if (p.terminal == DUSK_PLAN_TO_CSV && deferred[0] == '\0' &&
      (rc = csv_close(&p, &err)) != 0)
    goto failed;
  if (ctx.stopped) {
    /* head had its rows: nothing after this range is used, so its
     * transfer (which only later ranges need) is left unknown rather than
     * read. */
    stats.quote_transfer = -1;
  } else if (stats.quote_transfer < 0) {
    int transfer = range_transfer(path, &store, o.sep, &a);
    if (transfer < 0) {
      rc = dusk_error_set(&err, DUSK_EPARSE, "%s: cannot re-read bytes "
                          "%llu..%llu", path, (unsigned long long)a.start,
                          (unsigned long long)a.end);
      goto failed;
    }
    stats.quote_transfer = transfer;
  }
  ranges = dusk_ranges_table_new();
  if (ranges == NULL) {
    rc = dusk_error_set(&err, DUSK_ENOMEM, "out of memory");
    goto failed;
  }
  rv[DUSK_RANGES_INDEX].type = DUSK_TYPE_INT64;
  rv[DUSK_RANGES_INDEX].u.i = (int64_t)a.index;
  rv[DUSK_RANGES_FILE].type = DUSK_TYPE_INT64;
  rv[DUSK_RANGES_FILE].u.i = (int64_t)(a.index >> 32);
  rv[DUSK_RANGES_ASSUMED].type = DUSK_TYPE_INT64;
  rv[DUSK_RANGES_ASSUMED].u.i = stats.start_state;
  rv[DUSK_RANGES_TRANSFER].type = DUSK_TYPE_INT64;
  rv[DUSK_RANGES_TRANSFER].u.i = stats.quote_transfer;
  rv[DUSK_RANGES_ROWS].type = DUSK_TYPE_INT64;
  /* after a merge, its rows: their labels run on from here (a join's
   * keep the left's, as a frame's) */
  rv[DUSK_RANGES_ROWS].u.i =
      (int64_t)(p.merge_step >= 0 &&
                        p.steps[p.merge_step].node->strategy !=
                            DUSK_MERGE_JOIN
                    ? p.merged
                    : p.scanned);
  rv[DUSK_RANGES_ERROR].type =
      deferred[0] ? DUSK_TYPE_STRING : DUSK_TYPE_NULL;
  rv[DUSK_RANGES_ERROR].u.s.ptr = deferred;
  rv[DUSK_RANGES_ERROR].u.s.len = strlen(deferred);
  rv[DUSK_RANGES_WIDEN_COLUMN].type =
      widen_column ? DUSK_TYPE_STRING : DUSK_TYPE_NULL;
  rv[DUSK_RANGES_WIDEN_COLUMN].u.s.ptr = widen_column;
  rv[DUSK_RANGES_WIDEN_COLUMN].u.s.len =
      widen_column ? strlen(widen_column) : 0;
  rv[DUSK_RANGES_WIDEN_TYPE].type =
      widen_column ? DUSK_TYPE_INT64 : DUSK_TYPE_NULL;
  rv[DUSK_RANGES_WIDEN_TYPE].u.i = (int64_t)widen_type;
  rv[DUSK_RANGES_MIXED].type = mixed.len ? DUSK_TYPE_STRING : DUSK_TYPE_NULL;
  rv[DUSK_RANGES_MIXED].u.s.ptr = mixed.data;
  rv[DUSK_RANGES_MIXED].u.s.len = mixed.len;
  for (size_t c = 0; c < p.ncols; c++)
    if (p.null_seen[c])
      dusk_xcheck(dusk_names_add(&nulls, p.names[c], strlen(p.names[c])));
  rv[DUSK_RANGES_NULLS].type = nulls.len ? DUSK_TYPE_STRING : DUSK_TYPE_NULL;
  rv[DUSK_RANGES_NULLS].u.s.ptr = nulls.data;
  rv[DUSK_RANGES_NULLS].u.s.len = nulls.len;
  rv[DUSK_RANGES_GROUPS].type = DUSK_TYPE_NULL;
  if ((rc = dusk_table_append_row(ranges, rv)) != 0 ||
      (rc = pipeline_payload(&p, &payload)) != 0) {
    dusk_error_set(&err, rc, "building the partial result: %s",
                   dusk_strerror(rc));
    goto failed;
  }
  if ((rc = divisions_payload(&p, &payload, &err)) != 0)
    goto failed;
  if ((rc = emit_partial(call, ranges, payload)) != 0) {
    dusk_error_set(&err, rc, "building the partial result: %s",
                   dusk_strerror(rc));
    goto failed;
  }
  if (p.terminal == DUSK_PLAN_PERSIST) {
    /* The result is the partition, the partial its meta. */
    dusk_buf meta = call->result;
    dusk_slice ms = {meta.data, meta.len};
    dusk_buf_init(&call->result);
    rc = dusk_part_builder_finish(p.part, ms, &call->result);
    dusk_buf_destroy(&meta);
    if (rc != 0) {
      dusk_error_set(&err, rc, "building the persisted partition: %s",
                     dusk_strerror(rc));
      goto failed;
    }
  }
  rc = 0;
  goto out;
failed:
  rc = fail(call, &err);
out:
  call->inputs = inputs;
  call->ninputs = ninputs;
  dusk_part_close(&part);
  free(part_src);
  dusk_table_free(ranges);
  dusk_table_free(payload);
  free(col_map);
  free(a.header);
  dusk_buf_destroy(&mixed);
  dusk_buf_destroy(&nulls);
  pipeline_destroy(&p);
  return rc;
}

/* ---- merging partials ---------------------------------------------------- */

/* A merge state: ranges plus the terminal's state. */
typedef struct merger {
  pipeline p; /* only plan, root and terminal state are used */
  dusk_table *ranges;
  dusk_table *payload; /* len/head/describe */
  dusk_slice sample_nulls; /* the tail args' nulls (borrowed from the
                              call's args) */
  size_t dedup_kept; /* drop_duplicates: payload rows at its last compaction */
  /* drop_duplicates' keyed key-round merge (dedup_merge_keys): per dense
   * code its payload row + 1, and per p.dedup_seen entry its payload row */
  uint32_t *dedup_dense;
  size_t *dedup_krow, dedup_krow_cap;
  /* per p.dedup_codes entry (the packed keys, keycode.h) its payload row */
  size_t *dedup_crow, dedup_crow_cap;
  uint32_t nparts; /* a split_out part's final: post steps are df_gather's */
  uint32_t part;   /* which part, of nparts */
  bool positions;  /* label rows across files (dftask.h) */
  /* a shuffle merge's to_csv: the final writes its rows as file `part` of
   * the plan's (a to_csv's) directory, the gather lists the files */
  bool write_part;
} merger;

static int merger_init(merger *m, dusk_slice args, dusk_error *err) {
  dusk_tail_args ta;
  int rc;
  memset(m, 0, sizeof *m);
  if ((rc = dusk_tail_args_decode(args, &ta, err)) != 0 ||
      (rc = dusk_plan_decode(ta.plan, &m->p.plan, err)) != 0)
    return rc;
  m->sample_nulls = ta.nulls;
  m->nparts = ta.nparts;
  m->part = ta.part;
  m->positions = ta.positions;
  m->write_part = ta.write_part;
  if (ta.write_part && (m->p.plan->kind != DUSK_PLAN_TO_CSV ||
                        m->p.plan->ninputs != 1 || m->p.plan->dir == NULL))
    return dusk_error_set(err, DUSK_EINVAL,
                          "a part's write of a plan that is no to_csv");
  /* (a written part's rows are the to_csv's input's) */
  m->p.root = dusk_plan_result_root(ta.write_part ? m->p.plan->inputs[0]
                                                  : m->p.plan);
  m->p.terminal =
      dusk_plan_is_terminal(m->p.root->kind) ? (int)m->p.root->kind : 0;
  m->ranges = dusk_ranges_table_new();
  if (m->ranges == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  return 0;
}

static void merger_destroy(merger *m) {
  dusk_table_free(m->ranges);
  dusk_table_free(m->payload);
  free(m->dedup_dense);
  free(m->dedup_krow);
  free(m->dedup_crow);
  pipeline_destroy(&m->p);
}

/* ---- logical types of the plan's columns --------------------------------- */

typedef struct ltypes_map {
  const char *names[512];
  dusk_type types[512];
  size_t n;
  char text[4096]; /* names a merge's suffixes make */
  size_t used;
} ltypes_map;

/* A merge's columns: the left's that clash with a right column under
 * their suffixed names, then the right's under their merged names
 * (plan.h: csv.dtypes and csv.usecols). */
static void merge_logical_types(const dusk_plan *s, ltypes_map *m) {
  size_t nleft = m->n;
  const char *sx = s->suffixes[0] ? s->suffixes[0] : "_x";
  for (size_t i = 0; i < nleft && m->n < 512; i++)
    for (size_t d = 0; d < s->csv.ndtypes && d < s->csv.nusecols; d++) {
      size_t len = strlen(m->names[i]) + strlen(sx) + 1;
      if (strcmp(s->csv.dtypes[d].column, m->names[i]) != 0 ||
          s->csv.usecols[d][0] == '\0' || m->used + len > sizeof m->text)
        continue;
      snprintf(m->text + m->used, len, "%s%s", m->names[i], sx);
      m->names[m->n] = m->text + m->used;
      m->types[m->n++] = m->types[i];
      m->used += len;
      break;
    }
  for (size_t d = 0; d < s->csv.ndtypes && d < s->csv.nusecols && m->n < 512;
       d++)
    if (s->csv.usecols[d][0] != '\0') {
      m->names[m->n] = s->csv.usecols[d];
      m->types[m->n++] = s->csv.dtypes[d].type;
    }
}

/* The logical type of every column at root: the first leaf's resolved
 * dtypes, then each assign's expression typed against what came before. */
static void logical_types_at(const dusk_plan *root, ltypes_map *m) {
  const dusk_plan *chain[256], *leaf;
  size_t n = 0;
  m->n = 0;
  m->used = 0;
  for (const dusk_plan *s = root; s != NULL && n < 256;
       s = s->ninputs ? s->inputs[0] : NULL)
    chain[n++] = s;
  if (n == 0)
    return;
  leaf = chain[n - 1];
  for (size_t d = 0; leaf->kind == DUSK_PLAN_READ_CSV &&
                     d < leaf->csv.ndtypes && m->n < 512;
       d++) {
    m->names[m->n] = leaf->csv.dtypes[d].column;
    m->types[m->n++] = leaf->csv.dtypes[d].type;
  }
  while (n-- > 0 && m->n < 512) {
    const dusk_plan *s = chain[n];
    if (s->kind == DUSK_PLAN_ASSIGN) {
      dusk_type t = dusk_expr_type(s->expr, m->names, m->types, m->n, NULL);
      m->names[m->n] = s->columns[0];
      m->types[m->n++] = t;
    }
    if (s->kind == DUSK_PLAN_MERGE)
      merge_logical_types(s, m);
    /* a concat step's columns its input lacks */
    for (size_t d = 0; s->kind == DUSK_PLAN_CONCAT && d < s->csv.ndtypes &&
                       m->n < 512;
         d++) {
      m->names[m->n] = s->csv.dtypes[d].column;
      m->types[m->n++] = s->csv.dtypes[d].type;
    }
  }
}

static dusk_type logical_of(const ltypes_map *m, const char *name) {
  for (size_t i = m->n; name != NULL && i-- > 0;)
    if (strcmp(m->names[i], name) == 0)
      return m->types[i];
  return DUSK_TYPE_NULL;
}

/* The type of the values a nunique aggregate a of g counts: not in its
 * partial (an encoded run of them); the plan's types are (the leaf's
 * dtypes, then each assign's), stored as scanned. */
static dusk_type nunique_input(const dusk_plan *g, const dusk_agg *a) {
  ltypes_map lt;
  dusk_type vt;
  logical_types_at(g, &lt);
  vt = logical_of(&lt, a->column);
  return vt == DUSK_TYPE_NULL ? DUSK_TYPE_STRING : dusk_type_physical(vt);
}

/* Groupby partials carry their own layout: the first one builds the
 * aggregate from the plan's keys and the partial's column types. */
static int merge_groupby(merger *m, const dusk_table *t, dusk_error *err) {
  const dusk_plan *g = m->p.root;
  if (m->p.agg == NULL) {
    size_t nkeys = agg_nkeys(g);
    size_t naggs = agg_naggs(g);
    dusk_type ktypes[16];
    dusk_aggspec specs[256];
    const char *keys[16];
    int rc;
    if (nkeys > 16 || naggs > 256)
      return dusk_error_set(err, DUSK_EINVAL, "too many keys or aggregates");
    for (size_t k = 0; k < nkeys; k++)
      keys[k] = agg_key(g, k);
    if (g->kind == DUSK_PLAN_VALUE_COUNTS)
      value_counts_specs(g, specs);
    for (size_t a = 0; g->kind == DUSK_PLAN_GROUPBY && a < naggs; a++) {
      dusk_agg_fn fn = g->aggs[a].fn;
      specs[a].fn = fn;
      specs[a].name = g->aggs[a].label != NULL    ? g->aggs[a].label
                      : g->aggs[a].column != NULL ? g->aggs[a].column
                                                  : "0";
      specs[a].input = DUSK_TYPE_INT64;
      specs[a].q = g->aggs[a].q;
      if (fn == DUSK_AGG_NUNIQUE)
        specs[a].input = nunique_input(g, &g->aggs[a]);
    }
    /* The rest of the input types show in the partial's state columns. */
    if ((rc = dusk_hashagg_partial_types(t, nkeys, ktypes, specs, naggs,
                                         err)) != 0)
      return rc;
    m->p.agg = dusk_hashagg_new(keys, ktypes, nkeys, specs, naggs);
    if (m->p.agg == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "cannot build the aggregate");
    if (agg_keep_na(g))
      dusk_hashagg_keep_na(m->p.agg);
  }
  return dusk_hashagg_merge(m->p.agg, t, err);
}

/* Quantile and describe partials (scan 1's summaries or scan 2's
 * windows, quantile.h) are rows that add up: concatenated. */
static int merge_quantile(merger *m, dusk_table **t, dusk_error *err) {
  int rc = (*t)->ncols == DUSK_QSUM_NCOLS
               ? dusk_qsummary_table_check(*t, err)
               : dusk_qwindow_table_check(*t, err);
  if (rc != 0)
    return rc;
  if (m->payload == NULL) {
    m->payload = *t;
    *t = NULL;
    return 0;
  }
  if (m->payload->ncols != (*t)->ncols)
    return dusk_error_set(err, DUSK_ETYPE, "quantile partials disagree");
  return dusk_table_append_rows(m->payload, *t, 0, (*t)->nrows);
}

/* A key round row's dense code (keyset.h: one or two int64 values, each
 * in [0, 2^(DUSK_DENSE_BITS / n))), or -1. */
static int64_t key_row_code(const dusk_table *t, size_t r, size_t nk) {
  unsigned bits = nk == 1 ? DUSK_DENSE_BITS : DUSK_DENSE_BITS / 2;
  int64_t code = 0;
  if (nk == 0 || nk > 2)
    return -1;
  for (size_t k = 0; k < nk; k++) {
    const dusk_table_column *c = &t->cols[k];
    int64_t v;
    if (c->type != DUSK_TYPE_INT64 || c->logical || !c->valid[r])
      return -1;
    v = c->i64[r];
    if (v < 0 || v >= ((int64_t)1 << bits))
      return -1;
    code = (code << bits) | v;
  }
  return code;
}

/* Appends row r's key over t's first nk columns to k: the bytes key_add
 * gives each value dusk_table_get reads, written from the column arrays
 * (the merges and splits encode every row of their partials). */
static void table_key(dusk_buf *k, const dusk_table *t, size_t nk, size_t r) {
  for (size_t i = 0; i < nk; i++) {
    const dusk_table_column *c = &t->cols[i];
    if (!c->valid[r] || c->type == DUSK_TYPE_STRING ||
        c->type == DUSK_TYPE_NULL) {
      dusk_value v;
      dusk_table_get(t, i, r, &v);
      key_add(k, &v);
      continue;
    }
    key_add_fixed(k, c->type, c->i64, c->f64, c->b, r);
  }
}

/* Rows of a key-round partial looked up at once (dedup_merge_keys): the
 * sets' batch lookups fetch slots (and key bytes) ahead of their probes,
 * so a set larger than the caches costs about one memory wait a row. */
#define DEDUP_MERGE_CHUNK 4096

/* The payload row slot of entry e in *rows (grown to hold it). */
static size_t *entry_row(size_t **rows, size_t *cap, size_t e) {
  if (e >= *cap) {
    size_t n = *cap ? *cap : 4096;
    while (n <= e)
      n *= 2;
    *rows = dusk_xrealloc(*rows, n * sizeof **rows);
    *cap = n;
  }
  return &(*rows)[e];
}

/* drop_duplicates' key round, merged: each partial's rows (key columns,
 * __range, __row; one per key) go into m->payload keyed by their key -
 * small int keys by their dense code in an array, keys that pack into a
 * uint64 (keycode.h) in m->p.dedup_codes, the others encoded in
 * m->p.dedup_seen - a key met again keeping the earlier position.  One
 * lookup per row and no sort: compacting whole payloads sorted and
 * re-hashed them at every doubling. */
static int dedup_merge_keys(merger *m, const dusk_table *t, dusk_error *err) {
  size_t nk = t->ncols - DUSK_ROWS_NEXTRA, nfresh = 0, *fresh, base, chunk;
  int rcol = (int)dusk_rows_range_col(t->ncols);
  int wcol = (int)dusk_rows_row_col(t->ncols), rc = 0;
  dusk_table *add = NULL;
  size_t *offs;
  uint32_t *entries, *centries;
  uint8_t *added_in, *cadded;
  int64_t *codes;
  uint64_t *kcodes, *cbuf;
  if ((rc = dusk_rows_table_check(t, err)) != 0)
    return rc;
  if (m->payload == NULL) {
    dusk_keyset_init(&m->p.dedup_seen);
    dusk_keycoder_init(&m->p.dedup_coder, nk);
    dusk_codeset_init(&m->p.dedup_codes);
    if ((rc = dusk_table_take(t, NULL, 0, &m->payload)) != 0)
      return dusk_error_set(err, rc, "out of memory");
  } else if (m->payload->ncols != t->ncols) {
    return dusk_error_set(err, DUSK_ETYPE, "row partials disagree");
  }
  /* A code does not say its column's type (int 0, False and a first
   * string are all field 1): partials of one merge must agree on them, as
   * the payload they are appended to needs anyway. */
  for (size_t k = 0; k < t->ncols; k++)
    if (t->cols[k].type != m->payload->cols[k].type)
      return dusk_error_set(err, DUSK_ETYPE,
                            "row partials disagree: column '%.100s' is %s "
                            "in one and %s in another",
                            t->cols[k].name,
                            dusk_type_name(m->payload->cols[k].type),
                            dusk_type_name(t->cols[k].type));
  base = m->payload->nrows;
  fresh = dusk_xcalloc(t->nrows + 1, sizeof *fresh);
  chunk = t->nrows < DEDUP_MERGE_CHUNK ? t->nrows + 1 : DEDUP_MERGE_CHUNK;
  offs = dusk_xcalloc(chunk + 1, sizeof *offs);
  entries = dusk_xcalloc(chunk, sizeof *entries);
  added_in = dusk_xcalloc(chunk, sizeof *added_in);
  codes = dusk_xcalloc(chunk, sizeof *codes);
  kcodes = dusk_xcalloc(chunk, sizeof *kcodes);
  cbuf = dusk_xcalloc(chunk, sizeof *cbuf);
  centries = dusk_xcalloc(chunk, sizeof *centries);
  cadded = dusk_xcalloc(chunk, sizeof *cadded);
  for (size_t from = 0; from < t->nrows && rc == 0; from += chunk) {
    size_t to = t->nrows - from < chunk ? t->nrows : from + chunk;
    size_t nhashed = 0, next = 0, ncoded = 0, cnext = 0;
    m->p.dedup_key.len = 0;
    if ((rc = dusk_keycoder_code_table(&m->p.dedup_coder, t, from, to,
                                       kcodes)) != 0)
      break;
    for (size_t r = from; r < to; r++) {
      codes[r - from] = key_row_code(t, r, nk);
      if (codes[r - from] >= 0)
        continue;
      if (kcodes[r - from] != DUSK_KEYCODE_NONE) {
        cbuf[ncoded++] = kcodes[r - from];
        continue;
      }
      offs[nhashed++] = m->p.dedup_key.len;
      table_key(&m->p.dedup_key, t, nk, r);
    }
    offs[nhashed] = m->p.dedup_key.len;
    if ((ncoded > 0 &&
         (rc = dusk_codeset_find_or_add_batch(&m->p.dedup_codes, cbuf,
                                              ncoded, centries, cadded)) !=
             0) ||
        (nhashed > 0 &&
         (rc = dusk_keyset_find_or_add_batch(&m->p.dedup_seen,
                                             m->p.dedup_key.data, offs,
                                             nhashed, entries, added_in)) !=
             0))
      break;
    for (size_t r = from; r < to; r++) {
      size_t e; /* the key's payload row, or base + its fresh index */
      int added;
      int64_t range = t->cols[rcol].i64[r], row = t->cols[wcol].i64[r];
      int64_t code = codes[r - from];
      if (code >= 0) {
        if (m->dedup_dense == NULL)
          m->dedup_dense =
              dusk_xcalloc(DUSK_DENSE_CODES, sizeof *m->dedup_dense);
        added = m->dedup_dense[code] == 0;
        if (added)
          m->dedup_dense[code] = (uint32_t)(base + nfresh + 1);
        e = m->dedup_dense[code] - 1;
      } else {
        size_t *slot;
        if (kcodes[r - from] != DUSK_KEYCODE_NONE) {
          added = cadded[cnext];
          slot = entry_row(&m->dedup_crow, &m->dedup_crow_cap,
                           centries[cnext++]);
        } else {
          added = added_in[next];
          slot = entry_row(&m->dedup_krow, &m->dedup_krow_cap,
                           entries[next++]);
        }
        if (added)
          *slot = base + nfresh;
        e = *slot;
      }
      if (added) {
        fresh[nfresh++] = r;
      } else if (e < base) { /* kept already: the earlier position wins */
        int64_t *pr = &m->payload->cols[rcol].i64[e];
        int64_t *pw = &m->payload->cols[wcol].i64[e];
        if (range < *pr || (range == *pr && row < *pw))
          *pr = range, *pw = row;
      } else if (range < t->cols[rcol].i64[fresh[e - base]] ||
                 (range == t->cols[rcol].i64[fresh[e - base]] &&
                  row < t->cols[wcol].i64[fresh[e - base]])) {
        fresh[e - base] = r; /* twice in one partial: never from a scan */
      }
    }
  }
  if (rc == 0 && nfresh > 0 &&
      ((rc = dusk_table_take(t, fresh, nfresh, &add)) != 0 ||
       (rc = dusk_table_append_rows(m->payload, add, 0, add->nrows)) != 0))
    dusk_error_set(err, rc, "out of memory");
  else if (rc != 0)
    dusk_error_set(err, rc, "out of memory");
  dusk_table_free(add);
  free(fresh);
  free(offs);
  free(entries);
  free(added_in);
  free(codes);
  free(kcodes);
  free(cbuf);
  free(centries);
  free(cadded);
  return rc;
}

/* 0 when two row partials hold the same columns in the same order, as
 * every scan's rows do (the scheduler lowers a concat's inputs to its
 * first input's order); else DUSK_ETYPE naming the first difference. */
static int same_row_columns(const dusk_table *a, const dusk_table *b,
                            dusk_error *err) {
  if (a->ncols != b->ncols)
    return dusk_error_set(err, DUSK_ETYPE,
                          "row partials disagree: %zu and %zu columns",
                          a->ncols, b->ncols);
  for (size_t c = 0; c < a->ncols; c++)
    if (strcmp(a->cols[c].name, b->cols[c].name) != 0)
      return dusk_error_set(err, DUSK_ETYPE,
                            "row partials disagree: column %zu is '%.100s' "
                            "in one and '%.100s' in another",
                            c, a->cols[c].name, b->cols[c].name);
  return 0;
}

static bool join_rows(const dusk_table *ranges);

static int merge_one(merger *m, dusk_slice bytes, dusk_error *err) {
  dusk_slice rs, ps;
  dusk_table *r = NULL, *t = NULL;
  int rc;
  if ((rc = dusk_partial_decode(bytes, &rs, &ps, err)) != 0 ||
      (rc = dusk_table_decode(rs, &r, err)) != 0 ||
      (rc = dusk_table_decode(ps, &t, err)) != 0)
    goto out;
  if ((rc = dusk_ranges_table_check(r, err)) != 0 ||
      (rc = dusk_table_append_rows(m->ranges, r, 0, r->nrows)) != 0)
    goto out;
  switch (m->p.terminal) {
  case DUSK_PLAN_GROUPBY:
  case DUSK_PLAN_VALUE_COUNTS:
    rc = merge_groupby(m, t, err);
    break;
  case DUSK_PLAN_LEN:
  case DUSK_PLAN_PERSIST:
    if ((rc = dusk_count_table_check(t, err)) != 0)
      break;
    if (m->payload == NULL) {
      m->payload = t;
      t = NULL;
    } else {
      m->payload->cols[DUSK_COUNT_ROWS].i64[0] +=
          t->cols[DUSK_COUNT_ROWS].i64[0];
    }
    break;
  case DUSK_PLAN_DESCRIBE:
  case DUSK_PLAN_QUANTILE:
    rc = merge_quantile(m, &t, err);
    break;
  default:
    /* head / collect: keep rows; order is restored at the end.  to_csv:
     * keep the list of files written. */
    if ((rc = m->p.terminal == DUSK_PLAN_TO_CSV
                  ? dusk_written_table_check(t, err)
                  : dusk_rows_table_check(t, err)) != 0)
      break;
    /* (a shuffle join's drop_duplicates sends whole rows, one per key
     * and part, positioned by (group, place): op_df_join) */
    if (m->p.terminal == DUSK_PLAN_DROP_DUPLICATES &&
        m->p.root->ncolumns > 0 && !join_rows(r) &&
        t->ncols == m->p.root->ncolumns + DUSK_ROWS_NEXTRA) {
      /* a key round's partial: keyed into the first position per key */
      rc = dedup_merge_keys(m, t, err);
      break;
    }
    if (m->payload == NULL) {
      m->payload = t;
      t = NULL;
    } else if ((rc = same_row_columns(m->payload, t, err)) != 0) {
      /* rows are appended by position: refuse rather than misplace */
    } else {
      rc = dusk_table_append_rows(m->payload, t, 0, t->nrows);
    }
    /* drop_duplicates: the payload shrinks back to its first rows per key
     * whenever it doubled, so a merge of many inputs holds about its
     * answer and one input at a time, not every input's rows at once.
     * A subset's rows round (whole rows, not just the key's columns)
     * already holds one row per key: nothing to shrink there. */
    if (rc == 0 && m->p.terminal == DUSK_PLAN_DROP_DUPLICATES &&
        (m->p.root->ncolumns == 0 || join_rows(r) ||
         m->payload->ncols == m->p.root->ncolumns + DUSK_ROWS_NEXTRA) &&
        m->payload->nrows >= 2 * m->dedup_kept + 4096) {
      dusk_table *kept = NULL;
      if ((rc = dedup_rows(m->p.root, m->payload, &kept, err)) == 0) {
        dusk_table_free(m->payload);
        m->payload = kept;
        m->dedup_kept = kept->nrows;
      }
    }
  }
out:
  dusk_table_free(r);
  dusk_table_free(t);
  return rc;
}

static int merge_inputs(merger *m, dusk_op_call *call, dusk_error *err) {
  int rc;
  for (size_t i = 0; i < call->ninputs; i++)
    if ((rc = merge_one(m, call->inputs[i], err)) != 0)
      return rc;
  return 0;
}

/* head: trims the merged rows to the first n in range order. */
static int trim_rows(merger *m, int64_t limit, dusk_table **out) {
  dusk_table *t = m->payload;
  size_t n = t->nrows, nc = t->ncols;
  size_t *order = dusk_xcalloc(n, sizeof *order);
  dusk_table *res;
  const dusk_table_column *ri = &t->cols[dusk_rows_range_col(nc)];
  const dusk_table_column *ro = &t->cols[dusk_rows_row_col(nc)];
  int rc;
  bool in_order = true;
  for (size_t i = 1; i < n && in_order; i++)
    in_order = ri->i64[i - 1] < ri->i64[i] ||
               (ri->i64[i - 1] == ri->i64[i] && ro->i64[i - 1] < ro->i64[i]);
  if (in_order && (int64_t)n <= limit) {
    /* partials usually arrive in file order, and a whole frame's rows
     * (a gathered sort) are millions: taken as they are */
    free(order);
    *out = m->payload;
    m->payload = NULL;
    return 0;
  }
  if (in_order) {
    for (size_t i = 0; i < n; i++)
      order[i] = i;
  } else { /* by (range, row): a stable merge sort */
    int keys[2];
    uint8_t asc[2] = {1, 1};
    keys[0] = (int)dusk_rows_range_col(nc);
    keys[1] = (int)dusk_rows_row_col(nc);
    dusk_table_sort_order(t, keys, asc, 2, order);
  }
  rc = dusk_table_take(t, order, (int64_t)n < limit ? n : (size_t)limit, &res);
  free(order);
  if (rc != 0)
    return rc;
  *out = res;
  return 0;
}

/* topk: the best root->n of the merged rows, in sort order. */
static int merged_topk(merger *m, dusk_table **out, dusk_error *err) {
  int rc;
  if (m->payload == NULL)
    return DUSK_EINVAL;
  m->p.limit = m->p.root->n;
  if ((rc = setup_topk(&m->p, m->p.root, m->payload, err)) != 0)
    return rc;
  return topk_trim(&m->p, m->payload, out);
}

static int op_df_combine(const dusk_op_api *api, dusk_op_call *call) {
  merger m;
  dusk_error err = {0};
  dusk_table *payload = NULL;
  int rc;
  (void)api;
  if ((rc = merger_init(&m, call->args, &err)) != 0 ||
      (rc = merge_inputs(&m, call, &err)) != 0)
    goto failed;
  switch (m.p.terminal) {
  case DUSK_PLAN_GROUPBY:
  case DUSK_PLAN_VALUE_COUNTS:
    if (m.p.agg == NULL) {
      rc = dusk_error_set(&err, DUSK_EINVAL, "nothing to combine");
      goto failed;
    }
    rc = dusk_hashagg_partial(m.p.agg, &payload);
    break;
  case DUSK_PLAN_HEAD:
    rc = trim_rows(&m, m.p.root->n, &payload);
    break;
  case DUSK_PLAN_TOPK:
    rc = merged_topk(&m, &payload, &err);
    break;
  case DUSK_PLAN_DROP_DUPLICATES:
    /* of a subset, both rounds' payloads already hold one row per key
     * (keyed merges; the rows round keeps chosen rows): passed on as
     * they are; of whole rows, the first per row */
    if (m.payload != NULL && m.p.root->ncolumns > 0 &&
        !join_rows(m.ranges)) {
      payload = m.payload;
      m.payload = NULL;
      break;
    }
    rc = m.payload ? dedup_rows(m.p.root, m.payload, &payload, &err)
                   : DUSK_EINVAL;
    break;
  default:
    payload = m.payload;
    m.payload = NULL;
  }
  if (rc == 0 && payload == NULL)
    rc = dusk_error_set(&err, DUSK_EINVAL, "nothing to combine");
  if (rc != 0 || (rc = emit_partial(call, m.ranges, payload)) != 0) {
    if (err.message[0] == '\0')
      dusk_error_set(&err, rc, "combine: %s", dusk_strerror(rc));
    goto failed;
  }
  dusk_table_free(payload);
  merger_destroy(&m);
  return 0;
failed:
  dusk_table_free(payload);
  merger_destroy(&m);
  return fail(call, &err);
}

/* ---- split_out: df_split and df_gather -------------------------------------- */

/* ---- a sorted to_csv's range partitions (rangepart.h) ------------------ */

/* The tail args' plan, which must be a sorted write; with err set when
 * not. */
static int sort_args(const dusk_op_call *call, const char *op,
                     dusk_tail_args *ta, dusk_plan **plan, dusk_error *err) {
  int rc;
  if ((rc = dusk_tail_args_decode(call->args, ta, err)) != 0 ||
      (rc = dusk_plan_decode(ta->plan, plan, err)) != 0)
    return rc;
  if (!dusk_plan_range_sort(*plan))
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: the plan is no sort_values written by to_csv "
                          "or asked for its divisions",
                          op);
  return 0;
}

/* A rows partial's ranges row and rows, checked. */
static int rows_partial(dusk_slice bytes, dusk_slice *rs, dusk_table **t,
                        dusk_error *err) {
  dusk_slice ps;
  int rc;
  if ((rc = dusk_partial_decode(bytes, rs, &ps, err)) != 0 ||
      (rc = dusk_table_decode(ps, t, err)) != 0)
    return rc;
  return dusk_rows_table_check(*t, err);
}

/* df_sample: a scan's rows partial -> an evenly spaced sample of its rows
 * (a table).  (A divisions query's scans sample their rows themselves.) */
static int op_df_sample(const dusk_op_api *api, dusk_op_call *call) {
  dusk_tail_args ta;
  dusk_plan *plan = NULL;
  dusk_table *t = NULL, *sample = NULL;
  dusk_slice rs;
  dusk_error err = {0};
  int rc;
  (void)api;
  if ((rc = sort_args(call, "df_sample", &ta, &plan, &err)) != 0)
    goto out;
  if (call->ninputs != 1) {
    rc = dusk_error_set(&err, DUSK_EINVAL, "df_sample: %zu inputs, not 1",
                        call->ninputs);
    goto out;
  }
  if ((rc = rows_partial(call->inputs[0], &rs, &t, &err)) != 0)
    goto out;
  if ((rc = dusk_rangepart_sample(t, &sample)) != 0) {
    dusk_error_set(&err, rc, "df_sample: %s", dusk_strerror(rc));
    goto out;
  }
  call->result.len = 0;
  if ((rc = dusk_table_encode(sample, &call->result)) != 0)
    dusk_error_set(&err, rc, "df_sample: %s", dusk_strerror(rc));
out:
  dusk_table_free(t);
  dusk_table_free(sample);
  dusk_plan_free(plan);
  return rc != 0 ? fail(call, &err) : 0;
}

static int verify_ranges(const merger *m, dusk_op_call *call, int *rc,
                         int64_t *cut_out);

/* A divisions query's samples (its scans' partials) into samples[0..),
 * *n of them, their ranges checked as a final checks them (a wrong
 * quote-state guess or a scan's error fails the call here: 1, with *rc
 * the call's result). */
static int division_samples(dusk_op_call *call, dusk_table **samples,
                            size_t *n, int *rc, dusk_error *err) {
  merger m;
  int64_t cut;
  int stop = 0;
  if ((*rc = merger_init(&m, call->args, err)) != 0) {
    merger_destroy(&m); /* (what it decoded before failing) */
    return 0;
  }
  for (*n = 0; *n < call->ninputs && *rc == 0; (*n)++) {
    dusk_slice rs;
    dusk_table *rg = NULL;
    if ((*rc = rows_partial(call->inputs[*n], &rs, &samples[*n], err)) !=
            0 ||
        (*rc = dusk_table_decode(rs, &rg, err)) != 0 ||
        (*rc = dusk_ranges_table_check(rg, err)) != 0 ||
        (*rc = dusk_table_append_rows(m.ranges, rg, 0, rg->nrows)) != 0) {
      if (err->message[0] == '\0')
        dusk_error_set(err, *rc, "df_cuts: %s", dusk_strerror(*rc));
    }
    dusk_table_free(rg);
  }
  if (*rc == 0)
    stop = verify_ranges(&m, call, rc, &cut);
  merger_destroy(&m);
  return stop;
}

/* df_cuts: every scan's sample -> the nparts - 1 cut rows (a table); with
 * divisions given, their rows, typed as the key; for a divisions query
 * (the answer), the divisions. */
static int op_df_cuts(const dusk_op_api *api, dusk_op_call *call) {
  dusk_tail_args ta;
  dusk_plan *plan = NULL;
  dusk_table **samples = NULL, *cuts = NULL;
  dusk_error err = {0};
  size_t n = 0;
  int rc;
  (void)api;
  if ((rc = sort_args(call, "df_cuts", &ta, &plan, &err)) != 0)
    goto out;
  samples = dusk_xcalloc(call->ninputs + 1, sizeof *samples);
  if (dusk_plan_sort_node(plan)->divisions_only) {
    if (division_samples(call, samples, &n, &rc, &err) != 0) {
      for (size_t i = 0; i < call->ninputs; i++)
        dusk_table_free(samples[i]);
      free(samples);
      dusk_plan_free(plan);
      return rc; /* the call failed with the ranges' reason */
    }
    if (rc != 0)
      goto out;
  } else {
    for (n = 0; n < call->ninputs; n++)
      if ((rc = dusk_table_decode(call->inputs[n], &samples[n], &err)) != 0)
        goto out;
  }
  {
    const dusk_plan *sort = dusk_plan_sort_node(plan);
    ltypes_map lt;
    dusk_type logical;
    logical_types_at(sort->inputs[0], &lt);
    logical = logical_of(&lt, sort->columns[0]);
    if (n == 0)
      rc = dusk_error_set(&err, DUSK_EINVAL, "df_cuts: no samples");
    else if (sort->ndivisions > 0)
      rc = dusk_rangepart_given(samples[0], sort, logical, &cuts, &err);
    else if (sort->divisions_only)
      rc = dusk_rangepart_divisions(samples, n, sort, ta.nparts, logical,
                                    &cuts, &err);
    else
      rc = dusk_rangepart_cuts(samples, n, sort, ta.nparts, &cuts, &err);
  }
  if (rc == 0) {
    call->result.len = 0;
    if ((rc = dusk_table_encode(cuts, &call->result)) != 0)
      dusk_error_set(&err, rc, "df_cuts: %s", dusk_strerror(rc));
  }
out:
  for (size_t i = 0; samples != NULL && i < n; i++)
    dusk_table_free(samples[i]);
  free(samples);
  dusk_table_free(cuts);
  dusk_plan_free(plan);
  return rc != 0 ? fail(call, &err) : 0;
}

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

/* The rows of t (a scan's rows partial, its ranges row rs) cut into
 * nparts parts, row r into part which[r]: call's result becomes a msgpack
 * array32 of nparts bin32, each a partial with the ranges row (every
 * part's final checks every range, as one final would), which df_pick
 * takes apart without decoding.  Rows keep their order within a part. */
static int split_into_parts(dusk_op_call *call, dusk_slice rs,
                            const dusk_table *t, const uint32_t *which,
                            uint32_t nparts, dusk_error *err) {
  size_t *rows = dusk_xcalloc(t->nrows + 1, sizeof *rows);
  size_t *start = dusk_xcalloc((size_t)nparts + 1, sizeof *start);
  unsigned char hdr[5];
  int rc = 0;
  call->result.len = 0;
  hdr[0] = 0xdd; /* array32 */
  put_be32(hdr + 1, nparts);
  dusk_xcheck(dusk_buf_append(&call->result, hdr, 5));
  /* the rows grouped by part, in row order within each (one counting
   * pass): part j's are rows[start[j] .. start[j + 1]) */
  for (size_t r = 0; r < t->nrows; r++)
    start[which[r] + 1]++;
  for (uint32_t j = 0; j < nparts; j++)
    start[j + 1] += start[j];
  {
    size_t *at = dusk_xcalloc((size_t)nparts + 1, sizeof *at);
    memcpy(at, start, nparts * sizeof *at);
    for (size_t r = 0; r < t->nrows; r++)
      rows[at[which[r]]++] = r;
    free(at);
  }
  /* Each part is written in place, its rows gathered straight into the
   * result (dusk_table_encode_rows): bin32 [partial: fixarray 2, bin of
   * the ranges row, bin32 of the table]; both bin32 lengths are filled in
   * once the table is written (msgpack readers take a bin32 of any
   * length). */
  if (rs.len > UINT32_MAX)
    rc = dusk_error_set(err, DUSK_ETOOBIG, "splitting a partial: a ranges "
                        "row of %zu bytes", rs.len);
  for (uint32_t j = 0; j < nparts && rc == 0; j++) {
    dusk_buf *res = &call->result;
    size_t outer, inner, len;
    unsigned char *p;
    outer = res->len;
    hdr[0] = 0xc6; /* bin32, length below */
    put_be32(hdr + 1, 0);
    dusk_xcheck(dusk_buf_append(res, hdr, 5));
    dusk_xcheck(dusk_buf_append(res, "\x92", 1));
    put_be32(hdr + 1, (uint32_t)rs.len);
    dusk_xcheck(dusk_buf_append(res, hdr, 5));
    dusk_xcheck(dusk_buf_append(res, rs.ptr, rs.len));
    put_be32(hdr + 1, 0);
    dusk_xcheck(dusk_buf_append(res, hdr, 5));
    inner = res->len;
    if ((rc = dusk_table_encode_rows(t, rows + start[j],
                                     start[j + 1] - start[j], res)) != 0) {
      dusk_error_set(err, rc, "splitting a partial: %s", dusk_strerror(rc));
      break;
    }
    if ((len = res->len - outer - 5) > UINT32_MAX) {
      rc = dusk_error_set(err, DUSK_ETOOBIG,
                          "splitting a partial: part %u of a scan is %zu "
                          "bytes (at most 4 GiB): use a smaller blocksize",
                          j, len);
      break;
    }
    p = (unsigned char *)res->data;
    put_be32(p + outer + 1, (uint32_t)len);
    put_be32(p + inner - 4, (uint32_t)(res->len - inner));
  }
  free(rows);
  free(start);
  return rc;
}

/* The ranges table rs with the range `index` failing with text (a scan's
 * deferred error, unless it has one already), encoded into out: what a
 * split hands on when a key lies outside given divisions, so each part's
 * final reports it once the ranges' quote-state guesses have held (a
 * wrong guess makes garbage keys, and a rerun, not an error). */
static int ranges_with_error(dusk_slice rs, int64_t index, const char *text,
                             dusk_buf *out, dusk_error *err) {
  dusk_table *rg = NULL, *marked = NULL;
  int rc;
  if ((rc = dusk_table_decode(rs, &rg, err)) != 0 ||
      (rc = dusk_ranges_table_check(rg, err)) != 0)
    goto out;
  if ((marked = dusk_ranges_table_new()) == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t r = 0; r < rg->nrows && rc == 0; r++) {
    dusk_value v[DUSK_RANGES_NCOLS];
    for (size_t c = 0; c < DUSK_RANGES_NCOLS; c++)
      dusk_table_get(rg, c, r, &v[c]);
    if (v[DUSK_RANGES_INDEX].u.i == index &&
        v[DUSK_RANGES_ERROR].type == DUSK_TYPE_NULL) {
      v[DUSK_RANGES_ERROR].type = DUSK_TYPE_STRING;
      v[DUSK_RANGES_ERROR].u.s.ptr = text;
      v[DUSK_RANGES_ERROR].u.s.len = strlen(text);
    }
    if ((rc = dusk_table_append_row(marked, v)) != 0)
      dusk_error_set(err, rc, "out of memory");
  }
  if (rc == 0 && (rc = dusk_table_encode(marked, out)) != 0)
    dusk_error_set(err, rc, "encoding a ranges row");
out:
  dusk_table_free(rg);
  dusk_table_free(marked);
  return rc;
}

/* df_split with cuts (inputs: a scan's rows partial, df_cuts' table): the
 * rows cut into every part at once by the cuts (split_into_parts).  One
 * decode of the partial for all parts. */
static int split_by_cuts(dusk_op_call *call, const dusk_tail_args *ta,
                         const dusk_plan *sort, dusk_error *err) {
  dusk_table *t = NULL, *cuts = NULL;
  dusk_slice rs;
  uint32_t *which = NULL;
  int rc;
  if ((rc = rows_partial(call->inputs[0], &rs, &t, err)) != 0 ||
      (rc = dusk_table_decode(call->inputs[1], &cuts, err)) != 0)
    goto out;
  if (sort->ndivisions > 0 ? cuts->nrows != (size_t)ta->nparts + 1
                            : cuts->nrows >= ta->nparts) {
    /* a part per cut and one after; between two divisions */
    rc = dusk_error_set(err, DUSK_EPROTO,
                        "df_split: %zu cuts for %u parts", cuts->nrows,
                        ta->nparts);
    goto out;
  }
  which = dusk_xcalloc(t->nrows + 1, sizeof *which);
  {
    size_t outside = SIZE_MAX;
    dusk_error why = {0};
    dusk_buf marked;
    dusk_buf_init(&marked);
    if ((rc = dusk_rangepart_assign_deferred(t, cuts, sort, which, &outside,
                                             &why, err)) == 0 &&
        outside != SIZE_MAX &&
        (rc = ranges_with_error(
             rs, t->cols[dusk_rows_range_col(t->ncols)].i64[outside],
             why.message, &marked, err)) == 0) {
      rs.ptr = marked.data;
      rs.len = marked.len;
    }
    if (rc == 0)
      rc = split_into_parts(call, rs, t, which, ta->nparts, err);
    dusk_buf_destroy(&marked);
  }
out:
  free(which);
  dusk_table_free(t);
  dusk_table_free(cuts);
  return rc;
}

/* df_pick: df_split's array of parts -> part ta.part of it, every length
 * checked against the bytes (a result may come from a peer). */
static int op_df_pick(const dusk_op_api *api, dusk_op_call *call) {
  dusk_tail_args ta;
  dusk_error err = {0};
  const unsigned char *p;
  size_t len, at = 5;
  uint32_t n;
  int rc;
  (void)api;
  if ((rc = dusk_tail_args_decode(call->args, &ta, &err)) != 0)
    return fail(call, &err);
  if (call->ninputs != 1) {
    dusk_error_set(&err, DUSK_EINVAL, "df_pick: %zu inputs, not 1",
                   call->ninputs);
    return fail(call, &err);
  }
  p = (const unsigned char *)call->inputs[0].ptr;
  len = call->inputs[0].len;
  if (len < 5 || p[0] != 0xdd || (n = get_be32(p + 1)) != ta.nparts ||
      ta.part >= n) {
    dusk_error_set(&err, DUSK_EPROTO,
                   "df_pick: part %u of %u from a split of %zu bytes that "
                   "is no array of %u parts",
                   ta.part, ta.nparts, len, ta.nparts);
    return fail(call, &err);
  }
  for (uint32_t j = 0; j <= ta.part; j++) {
    uint32_t blen;
    if (len - at < 5 || p[at] != 0xc6 ||
        (blen = get_be32(p + at + 1)) > len - at - 5) {
      dusk_error_set(&err, DUSK_EPROTO,
                     "df_pick: part %u of the split is cut short or no bin "
                     "(at byte %zu of %zu)",
                     j, at, len);
      return fail(call, &err);
    }
    if (j == ta.part) {
      /* the part's bytes where they lie in the split: the worker keeps
       * them as this result without a copy (an empty part cannot be: no
       * partial is empty, so it is refused below as cut short) */
      if (blen > 0 && dusk_registry_result_view(call, 0, at + 5, blen) == 0)
        return 0;
      dusk_error_set(&err, DUSK_EPROTO,
                     "df_pick: part %u of the split is empty", j);
      return fail(call, &err);
    }
    at += 5 + (size_t)blen;
  }
  return 0;
}

/* ---- shuffle joins ------------------------------------------------------ */

/* The merge step of a plan fragment (its chain from the root along first
 * inputs), or NULL. */
static const dusk_plan *fragment_merge(const dusk_plan *p) {
  for (; p != NULL; p = p->ninputs > 0 ? p->inputs[0] : NULL)
    if (p->kind == DUSK_PLAN_MERGE)
      return p;
  return NULL;
}

/* Into part[0..t->nrows): each row's part of nparts by a hash of its
 * merge keys, columns kcols[0..nk) of t, such that keys the join index
 * finds equal hash alike on either side: a number (int, float, bool; a
 * datetime's nanoseconds) as its float64 value (-0.0 as 0.0: an int key
 * meets an equal float key), text by its bytes, a null as one value
 * (pandas 1.5 matches nulls).  A column at a time. */
static void join_parts(const dusk_table *t, const int *kcols, size_t nk,
                       uint32_t nparts, uint32_t *part) {
  uint64_t *h = dusk_xcalloc(t->nrows + 1, sizeof *h);
  for (size_t k = 0; k < nk; k++) {
    const dusk_table_column *c = &t->cols[kcols[k]];
    for (size_t r = 0; r < t->nrows; r++) {
      uint64_t v;
      if (!c->valid[r]) {
        v = 0x9e3779b97f4a7c15ull; /* a null */
      } else if (c->type == DUSK_TYPE_STRING) {
        v = dusk_hash_bytes(c->str_data + c->str_off[r],
                            c->str_off[r + 1] - c->str_off[r]);
      } else {
        double d = c->type == DUSK_TYPE_FLOAT64 ? c->f64[r]
                   : c->type == DUSK_TYPE_BOOL  ? (double)c->b[r]
                                                : (double)c->i64[r];
        if (d == 0)
          d = 0.0;
        memcpy(&v, &d, sizeof v);
      }
      h[r] = dusk_hash_u64(h[r] * 31 + v + k);
    }
  }
  for (size_t r = 0; r < t->nrows; r++)
    part[r] = (uint32_t)(h[r] % nparts);
  free(h);
}

/* df_join_split: a rows partial of one side of a shuffle merge (tail
 * args: the query's fragment, whose merge names the keys; part 0 the
 * left side, 1 the right; nparts the parts) -> its rows cut by key hash
 * into every part (split_into_parts). */
static int op_df_join_split(const dusk_op_api *api, dusk_op_call *call) {
  dusk_tail_args ta;
  dusk_plan *plan = NULL;
  const dusk_plan *mg;
  dusk_table *t = NULL;
  dusk_slice rs;
  dusk_error err = {0};
  uint32_t *which = NULL;
  int *kcols = NULL, rc;
  (void)api;
  if ((rc = dusk_tail_args_decode(call->args, &ta, &err)) != 0 ||
      (rc = dusk_plan_decode(ta.plan, &plan, &err)) != 0)
    goto out;
  mg = fragment_merge(plan);
  if (mg == NULL || ta.part > 1 || ta.nparts < 2 || call->ninputs != 1) {
    rc = dusk_error_set(&err, DUSK_EINVAL,
                        "df_join_split: a merge's side (0 or 1), 2 or more "
                        "parts and one rows partial, expected");
    goto out;
  }
  if ((rc = rows_partial(call->inputs[0], &rs, &t, &err)) != 0)
    goto out;
  kcols = dusk_xcalloc(mg->ncolumns + 1, sizeof *kcols);
  for (size_t k = 0; k < mg->ncolumns; k++) {
    const char *name = ta.part ? mg->right_on[k] : mg->columns[k];
    if ((kcols[k] = dusk_table_column_index(t, name)) < 0) {
      rc = dusk_error_set(&err, DUSK_EINVAL,
                          "df_join_split: the %s rows lack the key '%.200s'",
                          ta.part ? "right" : "left", name);
      goto out;
    }
  }
  which = dusk_xcalloc(t->nrows + 1, sizeof *which);
  join_parts(t, kcols, mg->ncolumns, ta.nparts, which);
  rc = split_into_parts(call, rs, t, which, ta.nparts, &err);
out:
  free(which);
  free(kcols);
  dusk_table_free(t);
  dusk_plan_free(plan);
  return rc != 0 ? fail(call, &err) : 0;
}

/* Rows [from, from + n) of table t into batch b (cleared first): t's
 * column c into batch column map[c] (-1: not carried), every other batch
 * column null.  Types must agree (checked by the caller). */
static int rows_into_batch(const dusk_table *t, const int *map, size_t from,
                           size_t n, dusk_batch *b) {
  dusk_batch_clear(b);
  b->nrows = n;
  for (size_t c = 0; c < b->ncols; c++)
    memset(b->cols[c].valid, 0, n);
  for (size_t c = 0; c < t->ncols; c++) {
    const dusk_table_column *tc = &t->cols[c];
    dusk_column *bc;
    if (map[c] < 0)
      continue;
    bc = &b->cols[map[c]];
    memcpy(bc->valid, tc->valid + from, n);
    switch (tc->type) {
    case DUSK_TYPE_INT64:
      memcpy(bc->i64, tc->i64 + from, n * sizeof *bc->i64);
      break;
    case DUSK_TYPE_FLOAT64:
      memcpy(bc->f64, tc->f64 + from, n * sizeof *bc->f64);
      break;
    case DUSK_TYPE_BOOL:
      memcpy(bc->b, tc->b + from, n);
      break;
    case DUSK_TYPE_STRING:
      for (size_t r = 0; r < n; r++) {
        size_t len = tc->str_off[from + r + 1] - tc->str_off[from + r];
        uint32_t off = 0;
        if (len > 0 && dusk_batch_arena_add(b, tc->str_data +
                                                   tc->str_off[from + r],
                                            len, &off) != 0)
          return DUSK_ENOMEM;
        bc->str_off[r] = off;
        bc->str_len[r] = (uint32_t)len;
      }
      break;
    default:
      break;
    }
  }
  return 0;
}

/* Sets batch cell (c, r) to right table cell (tc, tr), converting an int
 * key to the left key column's float (an outer merge's key column kept
 * once takes the right's value where only the right has the row). */
static int put_right_key(dusk_batch *b, size_t c, size_t r,
                         const dusk_table *t, size_t tc, uint32_t tr) {
  const dusk_table_column *col = &t->cols[tc];
  if (b->cols[c].type == DUSK_TYPE_FLOAT64 && col->type == DUSK_TYPE_INT64) {
    b->cols[c].valid[r] = col->valid[tr];
    b->cols[c].f64[r] = col->valid[tr] ? (double)col->i64[tr] : 0;
    return 0;
  }
  if (b->cols[c].type != col->type)
    return DUSK_ETYPE;
  return put_right(b, c, r, t, tc, tr);
}

/* The right rows no left row met (how right / outer), a batch at a time
 * through the steps after merge step i: the left's columns missing (noted
 * as nulls, which pandas' dtypes show), but a key kept once, which takes
 * the right's value, as pandas' merge fills it. */
static int join_right_only(scan_ctx *ctx, size_t i, dusk_batch *b) {
  pipeline *p = ctx->p;
  const step *st = &p->steps[i];
  const dusk_plan *s = st->node;
  const dusk_join_index *x = &st->join->index;
  const dusk_table *t = x->right;
  size_t nr = s->csv.ndtypes, nk = s->ncolumns;
  /* per key, its right column when kept once (the left's column takes its
   * value), else -1 */
  int *kept = dusk_xcalloc(nk + 1, sizeof *kept);
  bool any = false;
  int rc = 0;
  for (size_t q = 0; q < nk; q++) {
    kept[q] = -1;
    for (size_t j = 0; j < nr; j++)
      if (st->rslot[j] < 0 &&
          strcmp(s->csv.dtypes[j].column, s->right_on[q]) == 0)
        kept[q] = (int)j;
  }
  dusk_batch_clear(b);
  if (p->terminal == DUSK_PLAN_LEN && i + 1 == p->nsteps && !p->join_order) {
    /* len(): counted, not made, as merge_rows counts (a to_csv's count
     * round makes these few rows: how right's places are counted as
     * they are made) */
    for (size_t e = 0; e < dusk_join_entries(x); e++)
      if (!p->mhit[e]) {
        p->merged += dusk_join_count(x, (uint32_t)e);
        p->count += (int64_t)dusk_join_count(x, (uint32_t)e);
      }
    free(kept);
    return 0;
  }
  for (size_t e = 0, nent = dusk_join_entries(x); e <= nent; e++) {
    size_t n = e < nent && !p->mhit[e] ? dusk_join_count(x, (uint32_t)e) : 0;
    for (size_t k = 0; k <= n; k++) {
      uint32_t tr;
      size_t w;
      /* the batch goes on when full - a key may have more right rows
       * than a batch holds - and once the last key is done */
      if ((k < n ? b->nrows == b->cap : e == nent) && b->nrows > 0) {
        if ((rc = run_from(ctx, b, i + 1)) != 0) {
          free(kept);
          return rc < 0 ? rc : 0;
        }
        dusk_batch_clear(b);
      }
      if (k == n)
        break;
      tr = x->rows[x->first[e] + k];
      w = b->nrows++;
      any = true;
      for (size_t c = 0; c < st->slot; c++)
        b->cols[c].valid[w] = 0;
      for (size_t j = 0; j < nr && rc == 0; j++)
        if (st->rslot[j] >= 0)
          rc = put_right(b, (size_t)st->rslot[j], w, t, (size_t)st->rcol[j],
                         tr);
      for (size_t q = 0; q < nk && rc == 0; q++) {
        if (kept[q] < 0)
          continue;
        if (b->cols[st->lkeys[q]].type == DUSK_TYPE_INT64 &&
            t->cols[st->rcol[kept[q]]].type == DUSK_TYPE_FLOAT64) {
          p->float_key = true; /* pandas' key column is float64 then */
          p->float_key_col = (size_t)st->lkeys[q];
          rc = DUSK_ETYPE;
        } else {
          rc = put_right_key(b, (size_t)st->lkeys[q], w, t,
                             (size_t)st->rcol[kept[q]], tr);
        }
      }
      if (rc != 0) {
        free(kept);
        return rc;
      }
      if (p->join_order) { /* right: by right row; outer: by key, after
                              the left's keys (order_group) */
        ctx->row_ranges[w] =
            s->how == DUSK_MERGE_RIGHT
                ? right_label(st, tr)
                : RIGHT_ONLY_GROUP | right_label(st, x->rows[x->first[e]]);
        if (s->how == DUSK_MERGE_RIGHT)
          p->rcount[tr] = 1; /* no left row met it: its one row */
        ctx->row_ordinals[w] = s->how == DUSK_MERGE_RIGHT ? 0 : k;
        if (join_label_place(p, st)) {
          ctx->row_ordinals[w] |= JOIN_NO_LEFT;
          p->join_no_left = true;
        }
        p->merged++;
      } else {
        ctx->row_ordinals[w] = p->merged++;
      }
    }
  }
  /* the left's columns held missing values there - but a key kept once,
   * nor a column of its name that an assign below the merge replaced (a
   * cast key's int column: what is computed from the key would count its
   * nulls) */
  for (size_t c = 0; any && c < st->slot; c++) {
    bool key = false;
    for (size_t q = 0; q < nk; q++)
      key |= kept[q] >= 0 &&
             ((size_t)st->lkeys[q] == c ||
              strcmp(p->names[c], p->names[st->lkeys[q]]) == 0);
    if (!key && dusk_nulls_count(p->plan, p->names[c], p->scan_types[c]))
      p->null_seen[c] = 1;
  }
  free(kept);
  return 0;
}

static int verify_ranges(const merger *m, dusk_op_call *call, int *rc,
                         int64_t *cut_out);
static void ranges_nulls(const merger *m, int64_t cut, dusk_buf *u);

/* A shuffle join part's order groups with the rows the merge gave each
 * (join_groups), packed into out: how left's were added as its left rows
 * came (order_group); the others' are the counts kept per key, per
 * left-only key and per right row, and an outer merge's right-only keys
 * (join_right_only gave each its right rows). */
static int join_groups_pack(pipeline *p, dusk_buf *out) {
  const step *st = &p->steps[p->merge_step];
  const dusk_join_index *x = &st->join->index;
  size_t nent = dusk_join_entries(x);
  int rc = 0;
  switch (st->node->how) {
  case DUSK_MERGE_LEFT:
    break;
  case DUSK_MERGE_RIGHT:
    for (size_t tr = 0; tr < st->join->table->nrows && rc == 0; tr++)
      if (p->rcount[tr] > 0)
        rc = dusk_join_groups_add(&p->groups, right_label(st, (uint32_t)tr),
                                  p->rcount[tr]);
    break;
  default:
    for (size_t e = 0; e < nent && rc == 0; e++) {
      if (p->gcount[e] > 0)
        rc = dusk_join_groups_add(&p->groups, p->lfirst[e], p->gcount[e]);
      else if (p->mhit != NULL && !p->mhit[e] &&
               dusk_join_count(x, (uint32_t)e) > 0) /* outer: right only */
        rc = dusk_join_groups_add(
            &p->groups,
            RIGHT_ONLY_GROUP | right_label(st, x->rows[x->first[e]]),
            dusk_join_count(x, (uint32_t)e));
    }
    for (size_t k = 0; k < p->lonly.n && rc == 0; k++)
      rc = dusk_join_groups_add(&p->groups, p->lonly_first[k],
                                p->lonly_count[k]);
  }
  return rc != 0 ? rc : dusk_join_groups_pack(&p->groups, out);
}

/* The file ordinal of a shuffle join's ranges rows (far past any query's
 * files): part j reports one range of its own, ordinal base + j. */
#define JOIN_FILE_BASE 0x7fff0000u

/* The most files a shuffle merge's to_csv writes (df_join_cuts' parts). */
#define JOIN_CUTS_MAX 4096

/* A to_csv's cuts table (op_df_join_cuts: int64 columns group and place,
 * the cuts ascending) into *group and *place, *n of them. */
static int join_cuts_read(dusk_slice bytes, uint64_t **group,
                          uint64_t **place, uint32_t *n, dusk_error *err) {
  dusk_table *t = NULL;
  int rc;
  if ((rc = dusk_table_decode(bytes, &t, err)) != 0)
    return rc;
  if (t->ncols != 2 || t->cols[0].type != DUSK_TYPE_INT64 ||
      t->cols[1].type != DUSK_TYPE_INT64 || t->nrows >= JOIN_CUTS_MAX) {
    rc = dusk_error_set(err, DUSK_ETYPE,
                        "df_join: the cuts table has %zu columns and %zu "
                        "rows, expected group and place (ints), under %d",
                        t->ncols, t->nrows, JOIN_CUTS_MAX);
    dusk_table_free(t);
    return rc;
  }
  *n = (uint32_t)t->nrows;
  *group = dusk_xcalloc(t->nrows + 1, sizeof **group);
  *place = dusk_xcalloc(t->nrows + 1, sizeof **place);
  for (size_t r = 0; r < t->nrows; r++) {
    (*group)[r] = (uint64_t)t->cols[0].i64[r];
    (*place)[r] = (uint64_t)t->cols[1].i64[r];
    if (!t->cols[0].valid[r] || !t->cols[1].valid[r] ||
        (r > 0 && ((*group)[r] < (*group)[r - 1] ||
                   ((*group)[r] == (*group)[r - 1] &&
                    (*place)[r] < (*place)[r - 1])))) {
      dusk_table_free(t);
      return dusk_error_set(err, DUSK_EINVAL,
                            "df_join: cut %zu of the cuts table is null or "
                            "below the one before",
                            r);
    }
  }
  dusk_table_free(t);
  return 0;
}

/* A shuffle join's drop_duplicates rows (join_dedup) shrunk to the first
 * row per key in (group, place) order, dropping the rows a later one
 * beat - always when last, else once they are twice what the last
 * shrink kept (and past 16 batches), so the part holds about its
 * distinct keys. */
static int join_dedup_shrink(pipeline *p, bool last, dusk_error *err) {
  dusk_table *kept = NULL;
  int rc;
  if (!last && p->rows->nrows < 2 * p->join_dedup_kept + 16 * BATCH_ROWS)
    return 0;
  if ((rc = dedup_rows(p->root, p->rows, &kept, err)) != 0)
    return err->message[0] ? rc
                           : dusk_error_set(err, rc, "df_join: %s",
                                            dusk_strerror(rc));
  dusk_table_free(p->rows);
  p->rows = kept;
  p->join_dedup_kept = kept->nrows;
  return 0;
}

/* A range's first label: the rows of the ranges before it in its file
 * (of any file, across), as a frame's rows are labelled. */
typedef struct range_base {
  int64_t index, rows;
} range_base;

static int cmp_range_base(const void *x, const void *y) {
  const range_base *a = x, *b = y;
  return (a->index > b->index) - (a->index < b->index);
}

/* Every range of rg (a ranges table) with its first label, sorted by
 * index for bsearch (cmp_range_base): the rows of the ranges of lower
 * index in its file - in every file before it too when across (a
 * merge's rows, numbered anew).  *nb of them; the caller frees. */
static range_base *range_bases(const dusk_table *rg, bool across,
                               size_t *nb) {
  size_t n = rg->nrows;
  range_base *bases = dusk_xcalloc(n + 1, sizeof *bases);
  int64_t total = 0;
  for (size_t k = 0; k < n; k++) {
    bases[k].index = rg->cols[DUSK_RANGES_INDEX].i64[k];
    bases[k].rows = rg->cols[DUSK_RANGES_ROWS].i64[k];
  }
  qsort(bases, n, sizeof *bases, cmp_range_base);
  for (size_t k = 0; k < n; k++) {
    int64_t rows_k = bases[k].rows;
    if (k > 0 && !across &&
        (bases[k].index >> 32) != (bases[k - 1].index >> 32))
      total = 0;
    bases[k].rows = total; /* now: the rows before it */
    total += rows_k;
  }
  *nb = n;
  return bases;
}

/* The ranges rows of op_df_join's left inputs first..first+nleft (every
 * part gets each left scan's), checked and appended to ranges: read
 * before the rows, so a DataFrame.join's labels (range_bases) are known
 * as its rows arrive, and checked after them as a final checks them. */
static int join_left_ranges(const dusk_op_call *call, size_t first,
                            size_t nleft, dusk_table *ranges,
                            dusk_error *err) {
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < nleft; i++) {
    dusk_slice rs, ps;
    dusk_table *rg = NULL;
    if (((rc = dusk_partial_decode(call->inputs[first + i], &rs, &ps,
                                   err)) != 0 ||
         (rc = dusk_table_decode(rs, &rg, err)) != 0 ||
         (rc = dusk_ranges_table_check(rg, err)) != 0 ||
         (rc = dusk_table_append_rows(ranges, rg, 0, rg->nrows)) != 0) &&
        err->message[0] == '\0')
      dusk_error_set(err, rc, "df_join: %s", dusk_strerror(rc));
    dusk_table_free(rg);
  }
  return rc;
}

/* The left order (lord) of a DataFrame.join's left row in a shuffle join:
 * (file << JOIN_LABEL_BITS | label), its label the first label of its
 * range (in bases, *nb of them) plus its ordinal.  *last caches the
 * range found last (the rows of a pick share one).  0, or DUSK_EINVAL
 * naming the row. */
static int join_label_order(const range_base *bases, size_t nb,
                            int64_t range, int64_t ordinal,
                            const range_base **last, uint64_t *lord,
                            dusk_error *err) {
  uint64_t file = (uint64_t)range >> 32, label;
  if (*last == NULL || (*last)->index != range) {
    range_base key;
    key.index = range;
    key.rows = 0;
    *last = bsearch(&key, bases, nb, sizeof *bases, cmp_range_base);
  }
  if (*last == NULL)
    return dusk_error_set(err, DUSK_EINVAL,
                          "df_join: a left row of range %lld, which no "
                          "left input's ranges hold",
                          (long long)range);
  label = (uint64_t)(*last)->rows + (uint64_t)ordinal;
  if (range < 0 || ordinal < 0 || file >= JOIN_LABEL_FILES ||
      label > JOIN_LABEL_MASK)
    return dusk_error_set(err, DUSK_EINVAL,
                          "df_join: the join's left row %lld of file %llu "
                          "is past the 2^40 rows or 2^21 files a shuffle "
                          "join labels",
                          (long long)label, (unsigned long long)file);
  *lord = file << JOIN_LABEL_BITS | label;
  return 0;
}

/* The cuts' places are counts of rows within their groups (the count
 * round's lists), as a merge's places are.  A join's inner / right /
 * outer places are its left rows' orders instead (join_label_place), so
 * there each row of a cut group gets its rank in the group: the part
 * holds the whole group and makes its rows in place order (left rows in
 * left order, a left row's right rows together, right-only rows last).
 * NULL where the places are the counts already; else rank[r] for every
 * row (meaningful for the rows of cut groups, the only ones it is
 * compared for: dusk_join_cut_part). */
static uint64_t *cut_ranks(const pipeline *p, const dusk_table *rows,
                           const uint64_t *cut_group, uint32_t ncuts) {
  const int64_t *grp = rows->cols[dusk_rows_range_col(rows->ncols)].i64;
  uint64_t *rank, *seen;
  if (!join_label_place(p, &p->steps[p->merge_step]))
    return NULL;
  rank = dusk_xcalloc(rows->nrows + 1, sizeof *rank);
  seen = dusk_xcalloc(ncuts + 1, sizeof *seen);
  for (size_t r = 0; r < rows->nrows; r++) {
    uint64_t g = (uint64_t)grp[r];
    uint32_t lo = 0, hi = ncuts;
    while (lo < hi) { /* the first cut of group g (cuts ascend) */
      uint32_t mid = lo + (hi - lo) / 2;
      if (cut_group[mid] < g)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < ncuts && cut_group[lo] == g)
      rank[r] = seen[lo]++;
  }
  free(seen);
  return rank;
}

/* df_join: part j of a shuffle merge.  Inputs: each left scan's rows of
 * the part (df_pick of df_join_split), then the part's right table (the
 * df_final of the right's picks).  The left rows go through the merge
 * step, probing the right table's index, and on through the steps after
 * it to the terminal; with how right / outer, the right rows no left row
 * met follow.  The left ranges' rows (every part gets each scan's) are
 * checked here as a final checks them - a wrong quote-state guess or a
 * widening fails this task, which the scheduler acts on as on a final's -
 * and the partial reports one range of the part's own
 * (JOIN_FILE_BASE + j), carrying the nulls the left files and the join
 * met; the query's final thus sees each part once.  Second rounds over
 * the same picks (tail args stage_first) take their table first: a
 * quantile's bounds (the count in the windows), a to_csv's cuts (the
 * rows split by file, as df_split's array); a to_csv's count round (tail
 * args groups) numbers the rows by group for their lists alone. */
static int op_df_join(const dusk_op_api *api, dusk_op_call *call) {
  dusk_tail_args ta;
  dusk_error err = {0};
  pipeline p;
  scan_ctx ctx;
  merger m;
  dusk_batch b;
  bool b_ready = false;
  dusk_table *ranges = NULL, *t = NULL, *own = NULL, *payload = NULL;
  dusk_value rv[DUSK_RANGES_NCOLS];
  dusk_buf nulls, groups;
  int *map = NULL, rc, terminal;
  int64_t cut;
  size_t nleft, first;
  bool quantiles, cut_rows;
  uint64_t *cut_group = NULL, *cut_place = NULL;
  uint32_t ncuts = 0, *which = NULL;
  range_base *lbases = NULL; /* a DataFrame.join's left ranges' labels */
  const range_base *lbase = NULL;
  size_t nlbases = 0;
  (void)api;
  memset(&p, 0, sizeof p);
  memset(&ctx, 0, sizeof ctx);
  memset(&m, 0, sizeof m);
  dusk_buf_init(&nulls);
  dusk_buf_init(&groups);
  if ((rc = dusk_tail_args_decode(call->args, &ta, &err)) != 0 ||
      (rc = pipeline_init(&p, ta.plan, &err)) != 0)
    goto failed;
  /* [the second round's table (stage_first), the left picks..., the
   * right table] */
  first = ta.stage_first ? 1 : 0;
  quantiles = p.terminal == DUSK_PLAN_QUANTILE ||
              p.terminal == DUSK_PLAN_DESCRIBE;
  /* a to_csv's rows round: its rows cut by the count round's cuts */
  cut_rows = ta.stage_first && !quantiles;
  if (p.merge_step < 0 || call->ninputs < 1 + first || ta.nparts < 2 ||
      ta.part >= ta.nparts || (cut_rows && p.terminal != 0) ||
      (ta.groups && p.terminal != DUSK_PLAN_LEN)) {
    rc = dusk_error_set(&err, DUSK_EINVAL,
                        "df_join: a merge's fragment, part %u of %u and "
                        "%zu inputs%s",
                        ta.part, ta.nparts, call->ninputs,
                        !ta.stage_first ? (ta.groups ? ", counting rows" : "")
                        : quantiles     ? ", the first a quantile's bounds"
                                        : ", the first a to_csv's cuts");
    goto failed;
  }
  if ((rc = merge_attach(&p, call, &err)) != 0)
    goto failed;
  if (cut_rows && (rc = join_cuts_read(call->inputs[0], &cut_group,
                                       &cut_place, &ncuts, &err)) != 0)
    goto failed;
  if (cut_rows && ncuts + 1 != ta.nparts) {
    rc = dusk_error_set(&err, DUSK_EINVAL,
                        "df_join: %u cuts for a to_csv of %u files", ncuts,
                        ta.nparts);
    goto failed;
  }
  if (quantiles) {
    /* the first round summarises, the second (given the bounds) counts
     * into windows, as a quantile's scans do */
    dusk_table *bounds = NULL;
    if ((ta.stage_first &&
         (rc = dusk_table_decode(call->inputs[0], &bounds, &err)) != 0) ||
        (rc = setup_quantile_stage(&p, bounds, &err)) != 0)
      goto failed;
  }
  p.mordinals = dusk_xcalloc(BATCH_ROWS, sizeof *p.mordinals);
  p.mentries = dusk_xcalloc(BATCH_ROWS, sizeof *p.mentries);
  terminal = p.terminal;
  {
    const step *st = &p.steps[p.merge_step];
    size_t nentries = dusk_join_entries(&st->join->index);
    if (st->node->how == DUSK_MERGE_RIGHT || st->node->how == DUSK_MERGE_OUTER)
      p.mhit = dusk_xcalloc(nentries + 1, 1);
    bool shows_rows = terminal == 0 || terminal == DUSK_PLAN_HEAD ||
                      terminal == DUSK_PLAN_TOPK;
    p.join_dedup = terminal == DUSK_PLAN_DROP_DUPLICATES;
    if (shows_rows || p.join_dedup || ta.groups ||
        dusk_plan_by_position(p.root)) {
      /* the rows themselves (compute, head, tail): in pandas' order by
       * (order group, place in this part) - a head is the first n of
       * those, not of the rows as they come (order_group); first / last
       * and value_counts' first rows by the same positions */
      p.join_order = true;
      dusk_keyset_init(&p.lonly);
      p.mranges = dusk_xcalloc(BATCH_ROWS, sizeof *p.mranges);
      p.lfirst = dusk_xmalloc((nentries + 1) * sizeof *p.lfirst);
      memset(p.lfirst, 0xff, (nentries + 1) * sizeof *p.lfirst);
      p.gcount = dusk_xcalloc(nentries + 1, sizeof *p.gcount);
      p.rcount = dusk_xcalloc(st->join->table->nrows + 1, sizeof *p.rcount);
      p.mplace = dusk_xcalloc(BATCH_ROWS, sizeof *p.mplace);
      /* rows shown after steps that drop some (a sample after the merge
       * is refused here: query.c), or a top-k by columns, which keeps
       * some: their labels need every part's groups */
      /* (a range sort's parts hold some rows each, labelled from the
       * lists; a DataFrame.join's labels are in its groups) */
      p.join_groups = (terminal == DUSK_PLAN_TOPK && p.root->ncolumns > 0) ||
                      p.join_dedup || ta.groups || cut_rows ||
                      (dusk_plan_range_sort(p.plan) &&
                       !dusk_plan_sort_node(p.plan)->divisions_only &&
                       p.steps[p.merge_step].node->strategy !=
                           DUSK_MERGE_JOIN);
      for (size_t k = (size_t)p.merge_step + 1; shows_rows && k < p.nsteps;
           k++)
        p.join_groups |= p.steps[k].node->kind == DUSK_PLAN_QUERY ||
                         p.steps[k].node->kind == DUSK_PLAN_DROPNA;
      ctx.row_ranges = dusk_xcalloc(BATCH_ROWS, sizeof *ctx.row_ranges);
      p.topk_unordered = true;
      if (terminal == DUSK_PLAN_HEAD) {
        p.terminal = DUSK_PLAN_TOPK;
        p.topk_nkeys = 2;
        p.topk_cols = dusk_xcalloc(2, sizeof *p.topk_cols);
        p.topk_asc = dusk_xcalloc(2, 1);
        p.topk_cols[0] = (int)dusk_rows_range_col(p.rows->ncols);
        p.topk_cols[1] = (int)dusk_rows_row_col(p.rows->ncols);
        p.topk_asc[0] = p.topk_asc[1] = 1;
        p.topk_first = -1;
      }
    }
  }
  p.range_index = (uint64_t)(JOIN_FILE_BASE + ta.part) << 32;
  ctx.p = &p;
  ctx.err = &err;
  ctx.mixed_col = -1;
  ctx.row_ordinals = dusk_xcalloc(BATCH_ROWS, sizeof *ctx.row_ordinals);
  ctx.mixed_seen = dusk_xcalloc(p.ncols + 1, 1);
  if ((rc = dusk_batch_init(&b, p.scan_types, p.ncols, BATCH_ROWS)) != 0) {
    dusk_error_set(&err, rc, "df_join: out of memory");
    goto failed;
  }
  b_ready = true;
  if ((ranges = dusk_ranges_table_new()) == NULL) {
    rc = dusk_error_set(&err, DUSK_ENOMEM, "df_join: out of memory");
    goto failed;
  }
  nleft = call->ninputs - 1 - first;
  if ((rc = join_left_ranges(call, first, nleft, ranges, &err)) != 0)
    goto failed;
  /* a DataFrame.join's rows in order: labelled by their left rows' */
  if (ctx.row_ranges != NULL &&
      p.steps[p.merge_step].node->strategy == DUSK_MERGE_JOIN)
    lbases = range_bases(ranges, false, &nlbases);
  for (size_t i = 0; i < nleft; i++) {
    const step *st = &p.steps[p.merge_step];
    dusk_slice rs;
    size_t nv;
    if ((rc = rows_partial(call->inputs[first + i], &rs, &t, &err)) != 0) {
      if (err.message[0] == '\0')
        dusk_error_set(&err, rc, "df_join: %s", dusk_strerror(rc));
      goto failed;
    }
    /* the pick's columns onto the left's batch columns, by their names
     * before the merge */
    nv = t->ncols - DUSK_ROWS_NEXTRA;
    map = dusk_xrealloc(map, (t->ncols + 1) * sizeof *map);
    for (size_t c = 0; c < t->ncols; c++) {
      int bc = -1;
      for (size_t v = 0; c < nv && v < st->nlvis && bc < 0; v++)
        if (strcmp(st->lvis_name[v], t->cols[c].name) == 0)
          bc = st->lvis[v];
      map[c] = bc;
      if (c < nv && (bc < 0 || (size_t)bc >= st->slot ||
                     p.scan_types[bc] != t->cols[c].type)) {
        rc = dusk_error_set(&err, DUSK_ETYPE,
                            "df_join: the left rows' column '%.200s' (%s) "
                            "is not the merge's",
                            t->cols[c].name, dusk_type_name(t->cols[c].type));
        goto failed;
      }
    }
    for (size_t from = 0; from < t->nrows; from += BATCH_ROWS) {
      size_t n = t->nrows - from < BATCH_ROWS ? t->nrows - from : BATCH_ROWS;
      const int64_t *ord = t->cols[dusk_rows_row_col(t->ncols)].i64 + from;
      if ((rc = rows_into_batch(t, map, from, n, &b)) != 0) {
        dusk_error_set(&err, rc, "df_join: out of memory");
        goto failed;
      }
      for (size_t r = 0; r < n; r++)
        ctx.row_ordinals[r] = (uint64_t)ord[r];
      for (size_t r = 0; lbases != NULL && r < n; r++) {
        const int64_t *range =
            t->cols[dusk_rows_range_col(t->ncols)].i64 + from;
        if ((rc = join_label_order(lbases, nlbases, range[r], ord[r],
                                   &lbase, &ctx.row_ranges[r], &err)) != 0)
          goto failed;
      }
      for (size_t r = 0; ctx.row_ranges != NULL && lbases == NULL && r < n;
           r++) {
        /* the left row's order: its scan (inputs come in left order),
         * then its row */
        if (ord[r] < 0 || ord[r] > (int64_t)UINT32_MAX ||
            i >= ((size_t)1 << 30) /* (below RIGHT_ONLY_GROUP) */) {
          rc = dusk_error_set(&err, DUSK_EINVAL,
                              "df_join: left row ordinal %lld of scan %zu "
                              "is past 2^32, or the scans past 2^30 (use "
                              "another blocksize)",
                              (long long)ord[r], i);
          goto failed;
        }
        ctx.row_ranges[r] = ((uint64_t)i << 32) | (uint64_t)ord[r];
      }
      if ((rc = run_from(&ctx, &b, (size_t)p.merge_step)) < 0)
        goto step_failed;
      if (p.join_dedup && (rc = join_dedup_shrink(&p, false, &err)) != 0)
        goto failed;
    }
    dusk_table_free(t);
    t = NULL;
  }
  if (p.mhit != NULL &&
      (rc = join_right_only(&ctx, (size_t)p.merge_step, &b)) < 0)
    goto step_failed;
  if (p.join_dedup && (rc = join_dedup_shrink(&p, true, &err)) != 0)
    goto failed;
  if (ctx.mixed_col >= 0) { /* a fill after the merge would mix kinds */
    rc = dusk_error_set(&err, DUSK_EINVAL,
                        "fillna of column '%.200s' after a shuffle merge "
                        "fills with another kind of value, which dusk "
                        "takes only before the merge",
                        p.names[ctx.mixed_col]);
    goto failed;
  }
  /* The left ranges, checked as a final checks them. */
  m.p.terminal = terminal;
  m.p.root = p.root;
  m.ranges = ranges;
  if (verify_ranges(&m, call, &rc, &cut) != 0)
    goto out;
  ranges_nulls(&m, cut, &nulls);
  for (size_t c = 0; c < p.ncols; c++)
    if (p.null_seen[c] && !dusk_names_has((dusk_slice){nulls.data, nulls.len},
                                          p.names[c], strlen(p.names[c])))
      dusk_xcheck(dusk_names_add(&nulls, p.names[c], strlen(p.names[c])));
  if (p.join_no_left)
    dusk_xcheck(dusk_names_add(&nulls, DUSK_NULLS_LABEL,
                               strlen(DUSK_NULLS_LABEL)));
  if (p.join_groups && (rc = join_groups_pack(&p, &groups)) != 0) {
    dusk_error_set(&err, rc, "df_join: its order groups: %s",
                   dusk_strerror(rc));
    goto failed;
  }
  if ((own = dusk_ranges_table_new()) == NULL) {
    rc = dusk_error_set(&err, DUSK_ENOMEM, "df_join: out of memory");
    goto failed;
  }
  memset(rv, 0, sizeof rv);
  for (size_t c = 0; c < DUSK_RANGES_NCOLS; c++)
    rv[c].type = DUSK_TYPE_NULL;
  rv[DUSK_RANGES_INDEX].type = DUSK_TYPE_INT64;
  rv[DUSK_RANGES_INDEX].u.i = (int64_t)p.range_index;
  rv[DUSK_RANGES_FILE].type = DUSK_TYPE_INT64;
  rv[DUSK_RANGES_FILE].u.i = (int64_t)(p.range_index >> 32);
  rv[DUSK_RANGES_ASSUMED].type = DUSK_TYPE_INT64;
  rv[DUSK_RANGES_ASSUMED].u.i = DUSK_CSV_FIELD_START;
  rv[DUSK_RANGES_TRANSFER].type = DUSK_TYPE_INT64;
  rv[DUSK_RANGES_TRANSFER].u.i = 0; /* one range in its "file": unused */
  rv[DUSK_RANGES_ROWS].type = DUSK_TYPE_INT64;
  rv[DUSK_RANGES_ROWS].u.i = (int64_t)p.merged;
  rv[DUSK_RANGES_NULLS].type = nulls.len ? DUSK_TYPE_STRING : DUSK_TYPE_NULL;
  rv[DUSK_RANGES_NULLS].u.s.ptr = nulls.data;
  rv[DUSK_RANGES_NULLS].u.s.len = nulls.len;
  if (p.join_groups) {
    rv[DUSK_RANGES_GROUPS].type = DUSK_TYPE_STRING;
    rv[DUSK_RANGES_GROUPS].u.s.ptr = groups.data;
    rv[DUSK_RANGES_GROUPS].u.s.len = groups.len;
  }
  if ((rc = dusk_table_append_row(own, rv)) != 0 ||
      (rc = pipeline_payload(&p, &payload)) != 0) {
    dusk_error_set(&err, rc, "df_join: building the partial: %s",
                   dusk_strerror(rc));
    goto failed;
  }
  /* a set_index's divisions: the part's sample goes on, as a scan's */
  if ((rc = divisions_payload(&p, &payload, &err)) != 0)
    goto failed;
  if (!cut_rows && (rc = emit_partial(call, own, payload)) != 0) {
    dusk_error_set(&err, rc, "df_join: building the partial: %s",
                   dusk_strerror(rc));
    goto failed;
  }
  if (cut_rows) {
    /* each row to the file its (group, place) falls in, the ranges row
     * (with the group lists) to every file's final */
    dusk_buf rb;
    const int64_t *grp = payload->cols[dusk_rows_range_col(payload->ncols)].i64,
                  *place = payload->cols[dusk_rows_row_col(payload->ncols)].i64;
    uint64_t *rank = cut_ranks(&p, payload, cut_group, ncuts);
    dusk_buf_init(&rb);
    which = dusk_xcalloc(payload->nrows + 1, sizeof *which);
    for (size_t r = 0; r < payload->nrows; r++)
      which[r] = dusk_join_cut_part(
          cut_group, cut_place, ncuts, (uint64_t)grp[r],
          rank != NULL ? rank[r] : (uint64_t)place[r]);
    free(rank);
    if ((rc = dusk_table_encode(own, &rb)) != 0)
      dusk_error_set(&err, rc, "df_join: %s", dusk_strerror(rc));
    else
      rc = split_into_parts(call, (dusk_slice){rb.data, rb.len}, payload,
                            which, ncuts + 1, &err);
    dusk_buf_destroy(&rb);
    if (rc != 0)
      goto failed;
  }
  rc = 0;
  goto out;
step_failed:
  if (p.float_key) {
    const char *key = p.names[p.float_key_col];
    char text[DUSK_ERROR_MESSAGE_MAX];
    snprintf(text, sizeof text,
             "df_join: the merge key '%.200s' holds ints on the left and a "
             "right-only row's float: it is float64, as pandas makes it",
             key);
    rc = dusk_registry_fail_widen(call, key, strlen(key), DUSK_TYPE_FLOAT64,
                                  text);
    goto out;
  }
  if (err.message[0] == '\0')
    dusk_error_set(&err, rc, "df_join: %s", dusk_strerror(rc));
failed:
  rc = fail(call, &err);
out:
  if (b_ready)
    dusk_batch_destroy(&b);
  free(ctx.row_ordinals);
  free(ctx.row_ranges);
  free(ctx.mixed_seen);
  free(map);
  dusk_table_free(t);
  dusk_table_free(ranges);
  dusk_table_free(own);
  dusk_table_free(payload);
  dusk_buf_destroy(&nulls);
  dusk_buf_destroy(&groups);
  free(cut_group);
  free(cut_place);
  free(which);
  free(lbases);
  pipeline_destroy(&p);
  return rc;
}

/* which[r]: the part (of nparts) of row r's key over t's first nkeys
 * columns - a hash of its values, column by column over every row: each
 * value hashed as its column holds it (a string's bytes, an int's or
 * bool's value, a float with -0.0 as 0.0 and one NaN, as key_add
 * compares them), a null as a value of its own.  Equal keys (as key_add
 * encodes them) go to the same part: every split of a shuffle uses this
 * one function, and nothing else needs to agree with it. */
static void parts_of(const dusk_table *t, size_t nkeys, uint32_t nparts,
                     uint32_t *which) {
  uint64_t *h = dusk_xcalloc(t->nrows + 1, sizeof *h);
  for (size_t k = 0; k < nkeys; k++) {
    const dusk_table_column *c = &t->cols[k];
    for (size_t r = 0; r < t->nrows; r++) {
      uint64_t v;
      if (!c->valid[r]) {
        v = 0x6e756c6c6e756c6cull; /* a null */
      } else if (c->type == DUSK_TYPE_STRING) {
        v = dusk_hash_bytes(c->str_data != NULL ? c->str_data + c->str_off[r]
                                                : "",
                            c->str_off[r + 1] - c->str_off[r]);
      } else if (c->type == DUSK_TYPE_FLOAT64) {
        double f = c->f64[r];
        f = isnan(f) ? NAN : f == 0 ? 0.0 : f;
        memcpy(&v, &f, sizeof v);
      } else if (c->type == DUSK_TYPE_BOOL) {
        v = c->b[r] != 0;
      } else if (c->type == DUSK_TYPE_INT64) {
        v = (uint64_t)c->i64[r];
      } else {
        v = (uint64_t)c->type;
      }
      h[r] = dusk_hash_u64(h[r] * 0x9e3779b97f4a7c15ull + v + k);
    }
  }
  for (size_t r = 0; r < t->nrows; r++)
    which[r] = (uint32_t)(h[r] % nparts);
  free(h);
}

/* Part `part` of nparts of a nunique reduction's partial t (no keys, a
 * string column per aggregate holding its distinct values encoded one
 * after another, hashagg.c): each run cut to the values whose encoded
 * bytes hash to the part, so parts count disjoint values and their
 * counts add up.  The runs are checked as a merge checks them. */
static int split_nunique(const dusk_plan *g, const dusk_table *t,
                         uint32_t part, uint32_t nparts, dusk_table **out,
                         dusk_error *err) {
  const char **names = dusk_xcalloc(t->ncols + 1, sizeof *names);
  dusk_type *types = dusk_xcalloc(t->ncols + 1, sizeof *types);
  dusk_value *row = dusk_xcalloc(t->ncols + 1, sizeof *row);
  dusk_buf *runs = dusk_xcalloc(t->ncols + 1, sizeof *runs);
  dusk_table *res = NULL;
  int rc = 0;
  if (t->ncols != g->naggs || t->nindex != 0 || t->nrows > 1) {
    rc = dusk_error_set(err, DUSK_EINVAL, "df_split: a nunique partial of "
                        "%zu columns and %zu rows, %zu aggregates", t->ncols,
                        t->nrows, g->naggs);
    goto out;
  }
  for (size_t c = 0; c < t->ncols; c++) {
    names[c] = t->cols[c].name;
    types[c] = t->cols[c].type;
    dusk_buf_init(&runs[c]);
    if (types[c] != DUSK_TYPE_STRING) {
      rc = dusk_error_set(err, DUSK_EINVAL, "df_split: nunique state '%s' "
                          "is no string", names[c]);
      goto out;
    }
  }
  if ((res = dusk_table_new(names, types, t->ncols, 0)) == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "df_split: out of memory");
    goto out;
  }
  for (size_t c = 0; t->nrows == 1 && c < t->ncols; c++) {
    dusk_type vt = nunique_input(g, &g->aggs[c]);
    dusk_value v;
    size_t pos = 0;
    dusk_table_get(t, c, 0, &v);
    while (v.type == DUSK_TYPE_STRING && pos < v.u.s.len) {
      size_t len =
          dusk_hashagg_value_len(vt, v.u.s.ptr + pos, v.u.s.len - pos);
      if (len == 0) {
        rc = dusk_error_set(err, DUSK_ETYPE, "df_split: bad nunique state "
                            "'%s' at byte %zu", names[c], pos);
        goto out;
      }
      if (dusk_hash_bytes(v.u.s.ptr + pos, len) % nparts == part)
        dusk_xcheck(dusk_buf_append(&runs[c], v.u.s.ptr + pos, len));
      pos += len;
    }
    row[c].type = DUSK_TYPE_STRING;
    row[c].u.s.ptr = runs[c].data ? (const char *)runs[c].data : "";
    row[c].u.s.len = runs[c].len;
  }
  if (t->nrows == 1 && (rc = dusk_table_append_row(res, row)) != 0)
    dusk_error_set(err, rc, "df_split: %s", dusk_strerror(rc));
out:
  for (size_t c = 0; c < t->ncols; c++)
    dusk_buf_destroy(&runs[c]);
  free(runs);
  free(row);
  free(types);
  free(names);
  if (rc != 0) {
    dusk_table_free(res);
    return rc;
  }
  *out = res;
  return 0;
}

/* df_split: the part (tail args' part of nparts) of a groupby's (or a
 * value_counts') scan partial whose groups hash there, with the scan's
 * ranges row (every part checks every range, as one final would). */
static int op_df_split(const dusk_op_api *api, dusk_op_call *call) {
  dusk_tail_args ta;
  dusk_plan *plan = NULL;
  dusk_slice rs, ps;
  dusk_table *t = NULL, *part = NULL;
  dusk_buf enc;
  dusk_error err = {0};
  size_t *rows = NULL, n = 0, nkeys;
  int rc;
  (void)api;
  dusk_buf_init(&enc);
  if ((rc = dusk_tail_args_decode(call->args, &ta, &err)) != 0 ||
      (rc = dusk_plan_decode(ta.plan, &plan, &err)) != 0)
    goto out;
  if (ta.nparts >= 1 && call->ninputs == 2 && dusk_plan_range_sort(plan)) {
    rc = split_by_cuts(call, &ta, dusk_plan_sort_node(plan), &err);
    goto out;
  }
  if (ta.nparts >= 2 && call->ninputs == 1 &&
      dusk_plan_result_root(plan)->kind == DUSK_PLAN_DROP_DUPLICATES &&
      dusk_plan_result_root(plan)->ncolumns > 0) {
    /* a drop_duplicates key round's partial (its keys lead): cut into
     * every part at once (query.c add_dedup_shuffle) */
    uint32_t *which = NULL;
    nkeys = dusk_plan_result_root(plan)->ncolumns;
    if ((rc = dusk_partial_decode(call->inputs[0], &rs, &ps, &err)) != 0 ||
        (rc = dusk_table_decode(ps, &t, &err)) != 0)
      goto out;
    if (t->ncols < nkeys + DUSK_ROWS_NEXTRA) {
      rc = dusk_error_set(&err, DUSK_EINVAL, "df_split: key partial of "
                          "%zu columns, %zu keys", t->ncols, nkeys);
      goto out;
    }
    which = dusk_xcalloc(t->nrows + 1, sizeof *which);
    parts_of(t, nkeys, ta.nparts, which);
    rc = split_into_parts(call, rs, t, which, ta.nparts, &err);
    free(which);
    goto out;
  }
  if (ta.nparts < 2 || call->ninputs != 1 ||
      (dusk_plan_result_root(plan)->kind != DUSK_PLAN_GROUPBY &&
       dusk_plan_result_root(plan)->kind != DUSK_PLAN_VALUE_COUNTS)) {
    rc = dusk_error_set(&err, DUSK_EINVAL, "df_split: a groupby or "
                        "value_counts scan's partial and a part of 2 or "
                        "more, expected");
    goto out;
  }
  nkeys = dusk_plan_result_root(plan)->ncolumns;
  if ((rc = dusk_partial_decode(call->inputs[0], &rs, &ps, &err)) != 0 ||
      (rc = dusk_table_decode(ps, &t, &err)) != 0)
    goto out;
  if (nkeys == 0 && dusk_nunique_reduction(dusk_plan_result_root(plan))) {
    if ((rc = split_nunique(dusk_plan_result_root(plan), t, ta.part,
                            ta.nparts, &part, &err)) == 0)
      goto encode;
    goto out;
  }
  if (nkeys == 0) {
    rc = dusk_error_set(&err, DUSK_EINVAL, "df_split: a reduction of "
                        "nunique aggregates alone splits, not this one");
    goto out;
  }
  if (t->ncols < nkeys) {
    rc = dusk_error_set(&err, DUSK_EINVAL, "df_split: partial of %zu "
                        "columns, %zu keys", t->ncols, nkeys);
    goto out;
  }
  if (grouped_value_counts(dusk_plan_result_root(plan)))
    nkeys--; /* its groups, whole in a part: the keys before the value */
  rows = dusk_xcalloc(t->nrows + 1, sizeof *rows);
  {
    uint32_t *which = dusk_xcalloc(t->nrows + 1, sizeof *which);
    parts_of(t, nkeys, ta.nparts, which);
    for (size_t r = 0; r < t->nrows; r++)
      if (which[r] == ta.part)
        rows[n++] = r;
    free(which);
  }
  if ((rc = dusk_table_take(t, rows, n, &part)) != 0) {
    dusk_error_set(&err, rc, "df_split: %s", dusk_strerror(rc));
    goto out;
  }
encode:
  if ((rc = dusk_table_encode(part, &enc)) != 0) {
    dusk_error_set(&err, rc, "df_split: %s", dusk_strerror(rc));
    goto out;
  }
  call->result.len = 0;
  if ((rc = dusk_partial_encode(rs, (dusk_slice){enc.data, enc.len},
                                &call->result)) != 0)
    dusk_error_set(&err, rc, "df_split: %s", dusk_strerror(rc));
out:
  free(rows);
  dusk_table_free(t);
  dusk_table_free(part);
  dusk_plan_free(plan);
  dusk_buf_destroy(&enc);
  return rc != 0 ? fail(call, &err) : 0;
}

static int value_counts_result(const dusk_plan *vc, const dusk_hashagg *agg,
                               dusk_table **out);

/* A gathered answer's end, as df_final ends: the plan's post steps on
 * *t (which they may replace), then *t encoded as the call's result. */
static int post_and_encode(merger *m, dusk_op_call *call, dusk_table **t,
                           dusk_error *err) {
  int rc = dusk_post_run(m->p.plan, m->p.root, t, err);
  if (rc != 0)
    return rc;
  call->result.len = 0;
  if ((rc = dusk_table_encode(*t, &call->result)) != 0)
    dusk_error_set(err, rc, "encoding the result");
  return rc;
}

/* df_gather of a value_counts' split_out parts: each part's merged counts
 * (a hashagg partial; no two parts share a value) into one aggregate,
 * then the answer as a single final gives it - counts sorted from the
 * order the values first appear, which the parts' first rows keep.  Each
 * part's final marked its value column from every range of the query (as
 * one final would), so part 0's marks are the answer's. */
static int gather_value_counts(merger *m, dusk_op_call *call,
                               dusk_error *err) {
  dusk_table *t = NULL, *result = NULL;
  dusk_table_column marks = {0}; /* part 0's value column: type, flags */
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < call->ninputs; i++) {
    if ((rc = dusk_table_decode(call->inputs[i], &t, err)) != 0)
      break;
    if (i == 0 && t->ncols > 0) {
      marks.type = t->cols[0].type;
      dusk_table_copy_flags(&marks, &t->cols[0]);
    }
    rc = merge_groupby(m, t, err);
    dusk_table_free(t);
    t = NULL;
  }
  if (rc == 0 && m->p.agg == NULL)
    rc = dusk_error_set(err, DUSK_EINVAL, "df_gather: no parts");
  if (rc == 0 && (rc = value_counts_result(m->p.root, m->p.agg, &result)) != 0)
    dusk_error_set(err, rc, "value_counts: %s", dusk_strerror(rc));
  if (rc == 0 && result->ncols > 0 &&
      result->cols[0].type == marks.type)
    dusk_table_copy_flags(&result->cols[0], &marks);
  if (rc == 0)
    rc = post_and_encode(m, call, &result, err);
  dusk_table_free(result);
  return rc;
}

/* df_gather of a nunique reduction's split_out parts: each part counted
 * the distinct values that hash to it, so the answer's counts are the
 * sums of the parts' (part 0's table, marked by its final, holds them). */
static int gather_nunique(merger *m, dusk_op_call *call, dusk_error *err) {
  dusk_table *all = NULL, *t = NULL;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < call->ninputs; i++) {
    if ((rc = dusk_table_decode(call->inputs[i], &t, err)) != 0)
      break;
    if (t->ncols != m->p.root->naggs || t->nrows > 1 ||
        (all != NULL && t->nrows != all->nrows)) {
      rc = dusk_error_set(err, DUSK_EINVAL, "split_out: nunique part %zu "
                          "of %zu columns and %zu rows", i, t->ncols,
                          t->nrows);
      break;
    }
    for (size_t c = 0; c < t->ncols; c++)
      if (t->cols[c].type != DUSK_TYPE_INT64) {
        rc = dusk_error_set(err, DUSK_EINVAL, "split_out: nunique part "
                            "%zu's column '%s' is no count", i,
                            t->cols[c].name);
        break;
      }
    if (rc == 0 && all == NULL) {
      all = t;
      t = NULL;
    } else if (rc == 0) {
      for (size_t c = 0; c < t->ncols && t->nrows == 1; c++)
        all->cols[c].i64[0] += t->cols[c].i64[0];
    }
    dusk_table_free(t);
    t = NULL;
  }
  if (rc == 0 && all == NULL)
    rc = dusk_error_set(err, DUSK_EINVAL, "df_gather: no parts");
  if (rc == 0)
    rc = post_and_encode(m, call, &all, err);
  dusk_table_free(all);
  return rc;
}

/* *t without its value columns that other lacks (by name), flags kept.
 * A part's final leaves out a column pandas drops from a groupby's
 * answer when a group cannot aggregate it (a text column's min over
 * text and NaN): pandas drops it from the whole answer then, so the
 * gather keeps the columns every part has.  0 or DUSK_ENOMEM. */
static int keep_common_columns(dusk_table **t, const dusk_table *other) {
  const dusk_table *in = *t;
  size_t *cols = dusk_xcalloc(in->ncols + 1, sizeof *cols), n = 0;
  dusk_table *out = NULL;
  int rc = 0;
  for (size_t c = 0; c < in->ncols; c++) {
    bool found = c < in->nindex;
    for (size_t o = other->nindex; !found && o < other->ncols; o++)
      found = strcmp(in->cols[c].name, other->cols[o].name) == 0;
    if (found)
      cols[n++] = c;
  }
  if (n < in->ncols &&
      (rc = dusk_table_columns(in, cols, n, in->nindex, &out)) == 0) {
    dusk_table_free(*t);
    *t = out;
  }
  free(cols);
  return rc;
}

/* df_gather: the split_out parts' results (each its groups in key order,
 * no two parts sharing a group) as one result in key order - pandas'
 * sorted groups - then the post steps, as df_final runs them. */
static int op_df_gather(const dusk_op_api *api, dusk_op_call *call) {
  merger m;
  dusk_error err = {0};
  dusk_table *all = NULL, *t = NULL, *sorted = NULL;
  size_t *order = NULL;
  int *cols = NULL;
  uint8_t *asc = NULL;
  int rc;
  (void)api;
  if ((rc = merger_init(&m, call->args, &err)) != 0)
    goto out;
  if (m.p.terminal == DUSK_PLAN_VALUE_COUNTS &&
      !grouped_value_counts(m.p.root)) {
    rc = gather_value_counts(&m, call, &err);
    goto out;
  }
  if (m.p.terminal == DUSK_PLAN_GROUPBY && m.p.root->ncolumns == 0) {
    rc = gather_nunique(&m, call, &err);
    goto out;
  }
  for (size_t i = 0; i < call->ninputs; i++) {
    if ((rc = dusk_table_decode(call->inputs[i], &t, &err)) != 0)
      goto out;
    if (all == NULL) {
      all = t;
      t = NULL;
      continue;
    }
    if (t->nindex == all->nindex &&
        ((rc = keep_common_columns(&all, t)) != 0 ||
         (rc = keep_common_columns(&t, all)) != 0)) {
      dusk_error_set(&err, rc, "split_out: %s", dusk_strerror(rc));
      goto out;
    }
    if (t->ncols != all->ncols || t->nindex != all->nindex) {
      rc = dusk_error_set(&err, DUSK_EINVAL,
                          "split_out: part %zu has %zu columns where part 0 "
                          "has %zu", i, t->ncols, all->ncols);
      goto out;
    }
    for (size_t c = 0; c < t->ncols; c++)
      if (strcmp(t->cols[c].name, all->cols[c].name) != 0 ||
          t->cols[c].type != all->cols[c].type) {
        rc = dusk_error_set(&err, DUSK_EINVAL,
                            "split_out: part %zu's column %zu ('%s') differs "
                            "from part 0's ('%s')", i, c, t->cols[c].name,
                            all->cols[c].name);
        goto out;
      }
    if ((rc = dusk_table_append_rows(all, t, 0, t->nrows)) != 0) {
      dusk_error_set(&err, rc, "split_out: %s", dusk_strerror(rc));
      goto out;
    }
    dusk_table_free(t);
    t = NULL;
  }
  if (all == NULL) {
    rc = dusk_error_set(&err, DUSK_EINVAL, "df_gather: no parts");
    goto out;
  }
  if (dusk_plan_sorted_write(m.p.plan) || m.write_part) {
    /* a sorted to_csv's parts (or a shuffle merge's): the files written,
     * in part order */
    if ((rc = dusk_written_table_check(all, &err)) == 0) {
      call->result.len = 0;
      if ((rc = dusk_table_encode(all, &call->result)) != 0)
        dusk_error_set(&err, rc, "encoding the result");
    }
    goto out;
  }
  order = dusk_xcalloc(all->nrows + 1, sizeof *order);
  cols = dusk_xcalloc(all->nindex + 1, sizeof *cols);
  asc = dusk_xcalloc(all->nindex + 1, 1);
  for (size_t k = 0; k < all->nindex; k++) {
    cols[k] = (int)k;
    asc[k] = 1;
  }
  /* the keys sort as the one final's groups do: ascending, nulls last; a
   * grouped value_counts' groups by their keys alone, each group's values
   * staying in its part's order (by count), which the stable sort keeps */
  dusk_table_sort_order(all, cols, asc,
                        grouped_value_counts(m.p.root) && all->nindex > 0
                            ? all->nindex - 1
                            : all->nindex,
                        order);
  if ((rc = dusk_table_take(all, order, all->nrows, &sorted)) != 0) {
    dusk_error_set(&err, rc, "split_out: %s", dusk_strerror(rc));
    goto out;
  }
  rc = post_and_encode(&m, call, &sorted, &err);
out:
  free(order);
  free(cols);
  free(asc);
  dusk_table_free(all);
  dusk_table_free(t);
  dusk_table_free(sorted);
  merger_destroy(&m);
  return rc != 0 ? fail(call, &err) : 0;
}

/* ---- df_final ------------------------------------------------------------ */

/* Sorts order[0..n) (rows of ranges) by range index: heap sort, as a
 * query may have many thousands of ranges. */
static void sort_by_index(const dusk_table *ranges, size_t *order, size_t n) {
  const int64_t *ix = ranges->cols[DUSK_RANGES_INDEX].i64;
  for (size_t i = n / 2; i-- > 0;) { /* heapify */
    size_t r = i;
    for (;;) {
      size_t c = 2 * r + 1;
      if (c >= n)
        break;
      if (c + 1 < n && ix[order[c + 1]] > ix[order[c]])
        c++;
      if (ix[order[r]] >= ix[order[c]])
        break;
      size_t x = order[r];
      order[r] = order[c];
      order[c] = x;
      r = c;
    }
  }
  for (size_t end = n; end-- > 1;) {
    size_t x = order[0], r = 0;
    order[0] = order[end];
    order[end] = x;
    for (;;) {
      size_t c = 2 * r + 1;
      if (c >= end)
        break;
      if (c + 1 < end && ix[order[c + 1]] > ix[order[c]])
        c++;
      if (ix[order[r]] >= ix[order[c]])
        break;
      x = order[r];
      order[r] = order[c];
      order[c] = x;
      r = c;
    }
  }
}

/* Checks each range's assumed tokenizer state against the state the
 * ranges before it in the same file lead to (the file ordinal is the
 * index's high 32 bits): the first range starts at FIELD_START, and each
 * range's transfer carries the state over its bytes.  Returns 0, or
 * DUSK_ETASK with runs holding the corrections (dusk_quote_run[]) as runs
 * of consecutive ranges with the same right state. */
static int check_quotes(const dusk_table *ranges, dusk_buf *runs,
                        int64_t *cut) {
  const dusk_table_column *col = ranges->cols;
  size_t n = ranges->nrows;
  size_t *order = dusk_xcalloc(n, sizeof *order);
  int run_state = 0;
  int64_t file = -1, run_first = -1, run_last = -1;
  int state = DUSK_CSV_FIELD_START;
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  sort_by_index(ranges, order, n);
  runs->len = 0;
  *cut = INT64_MAX;
  for (size_t i = 0; i <= n; i++) {
    size_t r = i < n ? order[i] : 0;
    int64_t index = i < n ? col[DUSK_RANGES_INDEX].i64[r] : -1;
    int bad = 0;
    if (i < n && index > *cut)
      continue; /* after a head's last range: unused */
    if (i < n) {
      if ((index >> 32) != file) {
        file = index >> 32;
        state = DUSK_CSV_FIELD_START;
      }
      bad = col[DUSK_RANGES_ASSUMED].i64[r] != state;
    }
    /* Close the current run when this range does not extend it. */
    if (run_first >= 0 &&
        (!bad || index != run_last + 1 || state != run_state)) {
      dusk_quote_run q;
      q.first = (uint64_t)run_first;
      q.last = (uint64_t)run_last;
      q.state = (uint8_t)run_state;
      dusk_xcheck(dusk_buf_append(runs, &q, sizeof q));
      run_first = -1;
    }
    if (bad) {
      if (run_first < 0) {
        run_first = index;
        run_state = state;
      }
      run_last = index;
    }
    if (i < n) {
      if (col[DUSK_RANGES_TRANSFER].i64[r] < 0)
        *cut = index; /* a head stopped here: later ranges do not count */
      else
        state = dusk_csvscan_state_after((int)col[DUSK_RANGES_TRANSFER].i64[r],
                                         state);
    }
  }
  free(order);
  return runs->len > 0 ? DUSK_ETASK : 0;
}

/* Output rows for head/collect: the original row labels (ordinal within
 * the file, like pandas' index after read_csv) as the index. */
/* Whether the fragment's rows leave a merge, whose rows pandas labels
 * 0, 1, ... across all its input files (a file's own rows start at 0). */
/* Whether ranges are a shuffle join's parts' (op_df_join). */
static bool join_rows(const dusk_table *ranges) {
  for (size_t k = 0; k < ranges->nrows; k++)
    if (ranges->cols[DUSK_RANGES_FILE].i64[k] < (int64_t)JOIN_FILE_BASE)
      return false;
  return ranges->nrows > 0;
}

/* Whether root's rows leave a merge, numbered anew (a join's keep their
 * left rows' labels, as a frame's). */
static bool chain_merges(const dusk_plan *root) {
  for (const dusk_plan *s = root; s != NULL;
       s = s->ninputs > 0 ? s->inputs[0] : NULL)
    if (s->kind == DUSK_PLAN_MERGE)
      return s->strategy != DUSK_MERGE_JOIN;
  return false;
}


/* labels[r] of a shuffle join's rows (group __range, place __row, in
 * that order) that a step after the merge thinned: from the group list
 * every part's ranges row carries (joinlabel.h). */
/* Every shuffle join part's group list, from its ranges row in rg:
 * lists[k] (borrowed from rg) of len[k] bytes, counting nrows[k] rows. */
static int join_lists(const dusk_table *rg, const unsigned char **lists,
                      size_t *len, uint64_t *nrows, const char *who,
                      dusk_error *err) {
  size_t n = rg->nrows;
  const dusk_table_column *g = &rg->cols[DUSK_RANGES_GROUPS];
  for (size_t k = 0; k < n; k++) {
    if (!g->valid[k] || rg->cols[DUSK_RANGES_ROWS].i64[k] < 0)
      return dusk_error_set(err, DUSK_EPARSE,
                            "%s: shuffle join part %zu of %zu sent no "
                            "group list",
                            who, k, n);
    lists[k] = g->str_data != NULL
                   ? (const unsigned char *)g->str_data + g->str_off[k]
                   : (const unsigned char *)"";
    len[k] = (size_t)(g->str_off[k + 1] - g->str_off[k]);
    nrows[k] = (uint64_t)rg->cols[DUSK_RANGES_ROWS].i64[k];
  }
  return 0;
}

static int join_survivor_labels(const dusk_table *rg, const dusk_table *rows,
                                int64_t *labels, dusk_error *err) {
  size_t n = rg->nrows;
  const unsigned char **lists = dusk_xcalloc(n + 1, sizeof *lists);
  size_t *len = dusk_xcalloc(n + 1, sizeof *len);
  uint64_t *nrows = dusk_xcalloc(n + 1, sizeof *nrows);
  int rc = join_lists(rg, lists, len, nrows, "final step", err);
  if (rc == 0) {
    const int64_t *grp = rows->cols[dusk_rows_range_col(rows->ncols)].i64,
                  *place = rows->cols[dusk_rows_row_col(rows->ncols)].i64;
    size_t nr = rows->nrows;
    bool sorted = true;
    for (size_t r = 1; r < nr && sorted; r++)
      sorted = grp[r - 1] < grp[r] ||
               (grp[r - 1] == grp[r] && place[r - 1] < place[r]);
    if (sorted) {
      rc = dusk_join_labels(lists, len, nrows, n, grp, place, nr, labels,
                            err);
    } else { /* a top-k's rows, in sort order: labelled in (group, place)
                order, then put back */
      size_t *order = dusk_xcalloc(nr + 1, sizeof *order);
      int64_t *g2 = dusk_xcalloc(nr + 1, sizeof *g2),
              *p2 = dusk_xcalloc(nr + 1, sizeof *p2),
              *l2 = dusk_xcalloc(nr + 1, sizeof *l2);
      int keys[2] = {(int)dusk_rows_range_col(rows->ncols),
                     (int)dusk_rows_row_col(rows->ncols)};
      uint8_t asc[2] = {1, 1};
      dusk_table_sort_order(rows, keys, asc, 2, order);
      for (size_t r = 0; r < nr; r++) {
        g2[r] = grp[order[r]];
        p2[r] = place[order[r]];
      }
      rc = dusk_join_labels(lists, len, nrows, n, g2, p2, nr, l2, err);
      for (size_t r = 0; rc == 0 && r < nr; r++)
        labels[order[r]] = l2[r];
      free(order);
      free(g2);
      free(p2);
      free(l2);
    }
  }
  free(lists);
  free(len);
  free(nrows);
  return rc;
}

/* Whether root's rows leave a DataFrame.join (their labels the left
 * rows'). */
/* The merge node of root's chain (chain_join says there is one). */
static const dusk_plan *chain_merge(const dusk_plan *root) {
  const dusk_plan *s = root;
  while (s != NULL && s->kind != DUSK_PLAN_MERGE)
    s = s->ninputs > 0 ? s->inputs[0] : NULL;
  return s;
}

static bool chain_join(const dusk_plan *root) {
  for (const dusk_plan *s = root; s != NULL;
       s = s->ninputs > 0 ? s->inputs[0] : NULL)
    if (s->kind == DUSK_PLAN_MERGE)
      return s->strategy == DUSK_MERGE_JOIN;
  return false;
}

static int labelled_rows(merger *m, const dusk_table *rows,
                         dusk_table **out, dusk_error *err);

/* The rows a final shows (compute, head, tail, drop_duplicates) with
 * their labels.  pandas labels a merge that gave no row at all with an
 * empty object Index (a filter after a merge that gave rows keeps its
 * int64 one): the label column is then an empty text column, which the
 * client makes an object index.  (Not a head(0), which stands for the
 * frame's columns: its merge ran on no rows.) */
static int head_output(merger *m, const dusk_table *rows, dusk_table **out,
                       dusk_error *err) {
  int64_t merged = 0;
  dusk_table *t;
  int rc = labelled_rows(m, rows, out, err);
  if (rc != 0 || (*out)->nrows > 0 || !chain_merges(m->p.root) ||
      (m->p.terminal == DUSK_PLAN_HEAD && m->p.root->n == 0))
    return rc;
  for (size_t k = 0; k < m->ranges->nrows; k++)
    merged += m->ranges->cols[DUSK_RANGES_ROWS].i64[k];
  if (merged > 0 || (*out)->ncols == 0)
    return 0;
  {
    const char **names = dusk_xcalloc((*out)->ncols, sizeof *names);
    dusk_type *types = dusk_xcalloc((*out)->ncols, sizeof *types);
    for (size_t c = 0; c < (*out)->ncols; c++) {
      names[c] = (*out)->cols[c].name;
      types[c] = (*out)->cols[c].type;
    }
    types[0] = DUSK_TYPE_STRING;
    t = dusk_table_new(names, types, (*out)->ncols, (*out)->nindex);
    free(names);
    free(types);
  }
  if (t == NULL)
    return DUSK_ENOMEM;
  for (size_t c = 1; c < t->ncols; c++)
    dusk_table_copy_flags(&t->cols[c], &(*out)->cols[c]);
  dusk_table_free(*out);
  *out = t;
  return 0;
}

static int labelled_rows(merger *m, const dusk_table *rows,
                         dusk_table **out, dusk_error *err) {
  size_t nc = rows->ncols - DUSK_ROWS_NEXTRA, nb;
  range_base *bases = NULL;
  int64_t last_range = -1, last_base = 0;
  size_t *cols = dusk_xcalloc(nc + 1, sizeof *cols);
  dusk_table *res = NULL;
  const dusk_table *rg = m->ranges;
  const dusk_table_column *ranges, *within;
  bool across = chain_merges(m->p.root) || m->positions;
  int rc;
  /* The label column (made from __row below), then the value columns,
   * copied column by column: a gathered frame has millions of rows. */
  cols[0] = dusk_rows_row_col(rows->ncols);
  for (size_t c = 0; c < nc; c++)
    cols[c + 1] = c;
  rc = dusk_table_columns(rows, cols, nc + 1, 1, &res);
  free(cols);
  if (rc != 0)
    return rc;
  free(res->cols[0].name);
  res->cols[0].name = dusk_xstrdup("");
  if (join_rows(rg) && chain_join(m->p.root)) {
    /* a DataFrame.join's rows in a shuffle join: the left row's label is
     * in the order group (JOIN_LABEL_BITS), whatever steps followed - in
     * the place for how inner / right / outer (join_label_place), NaN for
     * a right-only row */
    bool in_place = chain_merge(m->p.root)->how != DUSK_MERGE_LEFT;
    const int64_t *lord =
        rows->cols[in_place ? dusk_rows_row_col(rows->ncols)
                            : dusk_rows_range_col(rows->ncols)]
            .i64;
    dusk_buf nulls;
    for (size_t r = 0; r < rows->nrows; r++) {
      uint64_t v = (uint64_t)lord[r];
      bool no_left = in_place && (v & JOIN_NO_LEFT) != 0;
      res->cols[0].i64[r] = no_left ? 0 : (int64_t)(v & JOIN_LABEL_MASK);
      res->cols[0].valid[r] = !no_left;
    }
    /* a right-only row anywhere makes pandas' index float64, also where
     * the rows shown (a head, a filter's) hold none */
    dusk_buf_init(&nulls);
    ranges_nulls(m, INT64_MAX, &nulls);
    res->cols[0].source_na = dusk_names_has(
        (dusk_slice){nulls.data, nulls.len}, DUSK_NULLS_LABEL,
        strlen(DUSK_NULLS_LABEL));
    dusk_buf_destroy(&nulls);
    *out = res;
    return 0;
  }
  if (join_rows(rg) &&
      !rg->cols[DUSK_RANGES_GROUPS].valid[0]) {
    /* a shuffle join's rows, in pandas' order, no step after the merge
     * dropping any (the parts send no group lists): labelled by their
     * place in the merge, a tail's counted back from the merge's rows */
    int64_t first = 0;
    if (m->p.terminal == DUSK_PLAN_TOPK && m->p.root->ncolumns == 0 &&
        !m->p.root->ascending[0]) {
      for (size_t k = 0; k < rg->nrows; k++)
        first += rg->cols[DUSK_RANGES_ROWS].i64[k];
      first -= (int64_t)rows->nrows;
    }
    for (size_t r = 0; r < rows->nrows; r++) {
      res->cols[0].i64[r] = first + (int64_t)r;
      res->cols[0].valid[r] = 1;
    }
    *out = res;
    return 0;
  }
  if (join_rows(rg)) { /* rows a filter kept: from the parts' groups */
    rc = join_survivor_labels(rg, rows, res->cols[0].i64, err);
    for (size_t r = 0; r < rows->nrows; r++)
      res->cols[0].valid[r] = 1;
    if (rc != 0) {
      dusk_table_free(res);
      return rc;
    }
    *out = res;
    return 0;
  }
  /* Each range's first label: the rows of earlier ranges of its file (of
   * any file after a merge), from the ranges sorted by index - a sorted
   * frame's gathered rows come in any range order. */
  bases = range_bases(rg, across, &nb);
  ranges = &rows->cols[dusk_rows_range_col(rows->ncols)];
  within = &rows->cols[dusk_rows_row_col(rows->ncols)];
  for (size_t r = 0; r < rows->nrows; r++) {
    int64_t range = ranges->i64[r];
    if (range != last_range) {
      range_base key, *hit;
      key.index = range;
      hit = bsearch(&key, bases, nb, sizeof *bases, cmp_range_base);
      last_base = hit != NULL ? hit->rows : 0;
      last_range = range;
    }
    res->cols[0].i64[r] = within->i64[r] + last_base;
    res->cols[0].valid[r] = 1;
  }
  free(bases);
  *out = res;
  return 0;
}

/* One column of a quantile's merged windows: its totals over every scan. */
typedef struct qtotals {
  int64_t n;
  dusk_type type; /* logical */
  dusk_moments mom;
  double sum, min, max;
  int64_t imin, imax; /* exact, of an int64-stored column */
} qtotals;

/* Totals of columns 0..ncols-1 (moments merged as moments.h does). */
static int quantile_totals(const dusk_table *w, size_t ncols, qtotals *tot,
                           dusk_error *err) {
  const dusk_table_column *c = w->cols;
  for (size_t i = 0; i < ncols; i++) {
    tot[i].n = 0;
    tot[i].type = DUSK_TYPE_NULL;
    memset(&tot[i].mom, 0, sizeof tot[i].mom);
    tot[i].sum = 0;
    tot[i].min = INFINITY;
    tot[i].max = -INFINITY;
    tot[i].imin = INT64_MAX;
    tot[i].imax = INT64_MIN;
  }
  for (size_t r = 0; r < w->nrows; r++) {
    int64_t col = c[DUSK_QWIN_COL].i64[r];
    qtotals *t;
    dusk_moments m;
    if (c[DUSK_QWIN_TARGET].i64[r] != -1)
      continue;
    if (col < 0 || (size_t)col >= ncols)
      return dusk_error_set(err, DUSK_EINVAL,
                            "quantile window names column %lld of %zu",
                            (long long)col, ncols);
    t = &tot[col];
    t->type = (dusk_type)c[DUSK_QWIN_TYPE].i64[r];
    if (c[DUSK_QWIN_COUNT].i64[r] == 0)
      continue;
    m.n = c[DUSK_QWIN_COUNT].i64[r];
    m.hi = c[DUSK_QWIN_MEAN].f64[r];
    m.lo = c[DUSK_QWIN_MEAN_LO].f64[r];
    m.m2 = c[DUSK_QWIN_M2].f64[r];
    dusk_moments_merge(&t->mom, &m);
    t->n += m.n;
    t->sum += c[DUSK_QWIN_SUM].f64[r];
    if (c[DUSK_QWIN_MIN].f64[r] < t->min)
      t->min = c[DUSK_QWIN_MIN].f64[r];
    if (c[DUSK_QWIN_MAX].f64[r] > t->max)
      t->max = c[DUSK_QWIN_MAX].f64[r];
    if (c[DUSK_QWIN_IMIN].i64[r] < t->imin)
      t->imin = c[DUSK_QWIN_IMIN].i64[r];
    if (c[DUSK_QWIN_IMAX].i64[r] > t->imax)
      t->imax = c[DUSK_QWIN_IMAX].i64[r];
  }
  return 0;
}

/* Quantile q of column col into *v: a float64, or for datetimes and
 * timedeltas their int64 nanoseconds; null when the column has no value
 * (pandas' NaN / NaT). */
static int quantile_value(const dusk_table *w, int64_t col, const qtotals *t,
                          double q, bool median, dusk_value *v,
                          dusk_error *err) {
  int64_t below, above, i;
  uint64_t klo, khi;
  double gamma, f;
  int rc;
  v->type = DUSK_TYPE_NULL;
  if (t->n == 0)
    return 0;
  dusk_quantile_ranks(t->n, q, &below, &above, &gamma);
  if ((rc = dusk_qwindow_select(w, col, below, &klo, err)) != 0 ||
      (rc = dusk_qwindow_select(w, col, above, &khi, err)) != 0)
    return rc;
  if (median) /* an odd count's middle value, or an even count's pair */
    dusk_quantile_midpoint(t->type, klo, gamma == 0.0 ? klo : khi, &f, &i);
  else
    dusk_quantile_lerp(t->type, klo, khi, gamma, &f, &i);
  if (dusk_type_is_time(t->type)) {
    v->type = DUSK_TYPE_INT64;
    v->u.i = i;
  } else {
    v->type = DUSK_TYPE_FLOAT64;
    v->u.f = f;
  }
  return 0;
}

/* pandas' describe() percentiles, unless the plan lists its own. */
static const double describe_qs[] = {0.25, 0.5, 0.75};

static const double *describe_percentiles(const dusk_plan *root, size_t *nq) {
  if (root->qs != NULL && root->nqs > 0) {
    *nq = root->nqs;
    return root->qs;
  }
  *nq = 3;
  return describe_qs;
}

/* A timedelta column's describe cell: pandas' object column holds the
 * count as an int and the rest as Timedeltas, each printed on its own
 * (str(Timedelta)); so the cell is that text (text: 64 bytes), null for
 * NaT.  f: the statistic as a float (NaN: NaT), truncated toward zero as
 * pandas casts a float Timedelta back; i, when exact, the value.  0, or
 * -1 for a std past int64 (pandas: "overflow in timedelta operation"). */
static int timedelta_cell(size_t s, int64_t n, double f, const int64_t *i,
                          char *text, dusk_value *v) {
  int64_t ns;
  v->type = DUSK_TYPE_NULL;
  if (s == 0) {
    v->u.s.len = (size_t)snprintf(text, 64, "%lld", (long long)n);
  } else if (i != NULL) {
    ns = *i;
    v->u.s.len = dusk_format_timedelta(ns, DUSK_TIME_EACH, text);
  } else {
    if (isnan(f))
      return 0;
    if (!(fabs(f) < 9223372036854775808.0)) /* 2^63 */
      return -1;
    ns = (int64_t)f;
    v->u.s.len = dusk_format_timedelta(ns, DUSK_TIME_EACH, text);
  }
  v->type = DUSK_TYPE_STRING;
  v->u.s.ptr = text;
  return 0;
}

/* The row of describe's statistic s for the columns into vals[1..]: count,
 * mean, std, min, then one row per percentile qs[0..nq), then max; label
 * holds a percentile row's name (prec: dusk_percentile_precision); a
 * timedelta column's cells are text (timedelta_cell) in text[c * 64];
 * cols: the columns' names. */
static int describe_row(const dusk_table *win, size_t s, const qtotals *tot,
                        char *const *cols, size_t nc, const double *qs,
                        size_t nq, int prec,
                        char label[DUSK_PERCENTILE_LABEL_MAX], dusk_value *vals,
                        char *text, dusk_error *err) {
  static const char *const stats[] = {"count", "mean", "std", "min"};
  const char *name = s < 4 ? stats[s] : s == 4 + nq ? "max" : label;
  if (s >= 4 && s < 4 + nq)
    dusk_percentile_label(qs[s - 4], prec, label);
  vals[0].type = DUSK_TYPE_STRING;
  vals[0].u.s.ptr = name;
  vals[0].u.s.len = strlen(name);
  for (size_t c = 0; c < nc; c++) {
    const qtotals *t = &tot[c];
    int64_t n = t->n;
    bool td = t->type == DUSK_TYPE_TIMEDELTA;
    const int64_t *exact = NULL;
    double v;
    int rc;
    if (s >= 4 && s < 4 + nq) {
      if ((rc = quantile_value(win, (int64_t)c, t, qs[s - 4], false,
                               &vals[c + 1], err)) != 0)
        return rc;
      if (td && vals[c + 1].type != DUSK_TYPE_NULL)
        timedelta_cell(s, n, 0, &vals[c + 1].u.i, text + c * 64,
                       &vals[c + 1]);
      continue;
    }
    switch (s) {
    case 0: v = (double)n; break;
    case 1: v = n ? t->sum / (double)n : NAN; break;
    /* pandas' describe takes Series.std: nanvar's two passes */
    case 2: v = sqrt(dusk_moments_var_two_pass(&t->mom)); break;
    case 3: v = n ? t->min : NAN; exact = n ? &t->imin : NULL; break;
    default: v = n ? t->max : NAN; exact = n ? &t->imax : NULL; break;
    }
    if (td) {
      if ((s < 3 || exact != NULL) &&
          timedelta_cell(s, n, v, exact, text + c * 64, &vals[c + 1]) != 0)
        return dusk_error_set(err, DUSK_ETYPE,
                              "describe of '%s': its std is past int64 "
                              "nanoseconds: overflow in timedelta "
                              "operation (pandas' error too)",
                              cols[c]);
      if (!(s < 3 || exact != NULL))
        vals[c + 1].type = DUSK_TYPE_NULL; /* min / max of no value */
      continue;
    }
    vals[c + 1].type = isnan(v) ? DUSK_TYPE_NULL : DUSK_TYPE_FLOAT64;
    vals[c + 1].u.f = v;
  }
  return 0;
}

/* From the merged windows: describe's table (count, mean, std, min, its
 * percentiles, max, indexed by the statistic, a float64 column per
 * column, or for a timedelta pandas' object column of Timedeltas: text
 * tagged logical timedelta, table.h)
 * or quantile's (a row per q, indexed by q as float64, a column per
 * column: float64, or datetime / timedelta). */
static int quantile_output(const dusk_plan *root, const dusk_table *win,
                           dusk_table **out, dusk_error *err) {
  bool describe = root->kind == DUSK_PLAN_DESCRIBE;
  size_t nq, nc = root->ncolumns;
  const double *dqs = describe_percentiles(root, &nq);
  size_t nrows = describe ? 5 + nq : root->nqs;
  int prec = describe ? dusk_percentile_precision(dqs, nq) : 0;
  char label[DUSK_PERCENTILE_LABEL_MAX];
  const char **names = dusk_xcalloc(nc + 1, sizeof *names);
  dusk_type *types = dusk_xcalloc(nc + 1, sizeof *types);
  dusk_value *vals = dusk_xcalloc(nc + 1, sizeof *vals);
  qtotals *tot = dusk_xcalloc(nc + 1, sizeof *tot);
  char *text = describe ? dusk_xcalloc(nc + 1, 64) : NULL;
  dusk_table *res = NULL;
  int rc;
  if ((rc = quantile_totals(win, nc, tot, err)) != 0)
    goto out;
  names[0] = "";
  types[0] = describe ? DUSK_TYPE_STRING : DUSK_TYPE_FLOAT64;
  for (size_t c = 0; c < nc; c++) {
    names[c + 1] = root->columns[c];
    types[c + 1] = !dusk_type_is_time(tot[c].type) ? DUSK_TYPE_FLOAT64
                   : describe                      ? DUSK_TYPE_STRING
                                                   : DUSK_TYPE_INT64;
  }
  if ((res = dusk_table_new(names, types, nc + 1, 1)) == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t c = 0; c < nc; c++)
    if (dusk_type_is_time(tot[c].type))
      res->cols[c + 1].logical = tot[c].type;
  for (size_t r = 0; r < nrows; r++) {
    if (describe) {
      rc = describe_row(win, r, tot, root->columns, nc, dqs, nq, prec, label,
                        vals, text, err);
    } else {
      vals[0].type = DUSK_TYPE_FLOAT64;
      vals[0].u.f = root->qs[r];
      for (size_t c = 0; c < nc && rc == 0; c++)
        rc = quantile_value(win, (int64_t)c, &tot[c], root->qs[r],
                            root->median, &vals[c + 1], err);
    }
    if (rc != 0 || (rc = dusk_table_append_row(res, vals)) != 0)
      goto out;
  }
  *out = res;
  res = NULL;
out:
  dusk_table_free(res);
  free(names);
  free(types);
  free(vals);
  free(tot);
  free(text);
  return rc;
}

/* value_counts_output's answer when every row is a value's: rows
 * seen[order[0..m)] of g's value (index, unnamed) and count columns. */
static int value_counts_take(const dusk_table *g, const size_t *seen,
                             const size_t *order, size_t m,
                             dusk_table **out) {
  static const size_t value_and_count[2] = {0, 1};
  size_t *rows = dusk_xcalloc(m + 1, sizeof *rows);
  dusk_table *two = NULL, *res = NULL;
  char *unnamed = strdup("");
  int rc;
  for (size_t i = 0; i < m; i++)
    rows[i] = seen[order[i]];
  if (unnamed == NULL)
    rc = DUSK_ENOMEM;
  else if ((rc = dusk_table_columns(g, value_and_count, 2, 1, &two)) == 0 &&
           (rc = dusk_table_take(two, rows, m, &res)) == 0) {
    free(res->cols[0].name);
    res->cols[0].name = unnamed;
    unnamed = NULL;
    *out = res;
  }
  free(unnamed);
  free(rows);
  dusk_table_free(two);
  return rc;
}

/* value_counts: counts descending in pandas 1.5's exact order - its
 * hash table lists the values in order of first appearance (g's third
 * column ranks them so), and Series.sort_values(ascending=False) sorts
 * those counts with numpy's unstable quicksort (npsort.h), which fixes
 * where ties land.  The values are an unnamed index and the counts are
 * named after the column.
 * A nullable Int64 / boolean column counted with dropna=False (masked_na)
 * goes pandas' BaseMaskedArray.value_counts way: the values without the
 * missing one, sorted as above; then <NA> appended with its count - 0
 * when the column holds none -; then that whole list sorted again the
 * same way (algorithms.value_counts' own sort_values). */
static int value_counts_output(const dusk_table *g, bool masked_na,
                               dusk_table **out) {
  size_t n = g->nrows, m = 0, na_row = SIZE_MAX;
  size_t *order = dusk_xcalloc(n + 2, sizeof *order);
  size_t *seen = dusk_xcalloc(n + 2, sizeof *seen);
  double *counts = dusk_xcalloc(n + 2, sizeof *counts);
  const char *names[2];
  dusk_type types[2];
  dusk_table *res;
  int rc = 0;
  for (size_t r = 0; r < n; r++) {
    int64_t rank = g->ncols > 2 ? g->cols[2].i64[r] : (int64_t)r;
    if (rank < 0 || (size_t)rank >= n) { /* not a rank: a broken state */
      rc = DUSK_EINVAL;
      break;
    }
    seen[rank] = r;
  }
  /* seen[0..m): the rows to sort, in the order pandas sorts them */
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (masked_na && !g->cols[0].valid[seen[i]])
      na_row = seen[i];
    else
      seen[m++] = seen[i];
  }
  for (size_t i = 0; rc == 0 && i < m; i++)
    counts[i] = (double)g->cols[1].i64[seen[i]];
  if (rc == 0)
    rc = dusk_np_argsort_desc(counts, m, order);
  if (rc == 0 && masked_na) {
    size_t *sorted = dusk_xcalloc(m + 1, sizeof *sorted);
    for (size_t i = 0; i < m; i++)
      sorted[i] = seen[order[i]];
    sorted[m] = na_row; /* SIZE_MAX: a <NA> counted 0 */
    memcpy(seen, sorted, (m + 1) * sizeof *seen);
    free(sorted);
    m++;
    for (size_t i = 0; i < m; i++)
      counts[i] =
          seen[i] == SIZE_MAX ? 0.0 : (double)g->cols[1].i64[seen[i]];
    rc = dusk_np_argsort_desc(counts, m, order);
  }
  if (rc == 0 && !masked_na) {
    /* every row a value's (no <NA> row to make): columns copied whole */
    rc = value_counts_take(g, seen, order, m, &res);
    free(order);
    free(seen);
    free(counts);
    if (rc == 0)
      *out = res;
    return rc;
  }
  names[0] = "";
  names[1] = g->cols[1].name;
  types[0] = g->cols[0].type;
  types[1] = DUSK_TYPE_INT64;
  res = rc == 0 ? dusk_table_new(names, types, 2, 1) : NULL;
  if (rc == 0 && res == NULL)
    rc = DUSK_ENOMEM;
  for (size_t i = 0; rc == 0 && i < m; i++) {
    dusk_value v[2];
    size_t r = seen[order[i]];
    if (r == SIZE_MAX) {
      v[0].type = DUSK_TYPE_NULL;
      v[1].type = DUSK_TYPE_INT64;
      v[1].u.i = 0;
    } else {
      dusk_table_get(g, 0, r, &v[0]);
      dusk_table_get(g, 1, r, &v[1]);
    }
    rc = dusk_table_append_row(res, v);
  }
  free(order);
  free(seen);
  free(counts);
  if (rc != 0) {
    dusk_table_free(res);
    return rc;
  }
  *out = res;
  return 0;
}

/* Whether rows a and b of t hold the same values in columns [0, n)
 * (missing ones equal each other, as one group). */
static bool same_leading(const dusk_table *t, size_t n, size_t a, size_t b) {
  for (size_t c = 0; c < n; c++) {
    dusk_value x, y;
    dusk_table_get(t, c, a, &x);
    dusk_table_get(t, c, b, &y);
    if (value_is_na(&x) || value_is_na(&y)) {
      if (value_is_na(&x) != value_is_na(&y))
        return false;
      continue;
    }
    if (x.type != y.type)
      return false;
    switch (x.type) {
    case DUSK_TYPE_BOOL:
      if (x.u.b != y.u.b)
        return false;
      break;
    case DUSK_TYPE_FLOAT64:
      if (x.u.f != y.u.f)
        return false;
      break;
    case DUSK_TYPE_STRING:
      if (x.u.s.len != y.u.s.len ||
          memcmp(x.u.s.ptr, y.u.s.ptr, x.u.s.len) != 0)
        return false;
      break;
    default:
      if (x.u.i != y.u.i)
        return false;
    }
  }
  return true;
}

/* t's rows (keys [0, nk), the value, its count) with each count as a
 * share of its group (rows in runs of equal keys), float64 as pandas
 * divides. */
static int shares_by_group(const dusk_table *t, size_t nk, dusk_table **out) {
  const char *names[DUSK_VC_MAX_KEYS + 2];
  dusk_type types[DUSK_VC_MAX_KEYS + 2];
  dusk_value vals[DUSK_VC_MAX_KEYS + 2];
  dusk_table *res;
  int rc = 0;
  for (size_t c = 0; c <= nk + 1; c++) {
    names[c] = t->cols[c].name;
    types[c] = t->cols[c].type;
  }
  types[nk + 1] = DUSK_TYPE_FLOAT64;
  if ((res = dusk_table_new(names, types, nk + 2, t->nindex)) == NULL)
    return DUSK_ENOMEM;
  for (size_t start = 0, end; start < t->nrows && rc == 0; start = end) {
    int64_t total = 0;
    for (end = start; end < t->nrows && same_leading(t, nk, start, end); end++)
      total += t->cols[nk + 1].i64[end];
    for (size_t r = start; r < end && rc == 0; r++) {
      for (size_t c = 0; c <= nk; c++)
        dusk_table_get(t, c, r, &vals[c]);
      vals[nk + 1].type = DUSK_TYPE_FLOAT64;
      vals[nk + 1].u.f = (double)t->cols[nk + 1].i64[r] / (double)total;
      rc = dusk_table_append_row(res, vals);
    }
  }
  if (rc != 0) {
    dusk_table_free(res);
    return rc;
  }
  *out = res;
  return 0;
}

/* Whether row r of g (keys [0, nk), then the value) stays: a missing key
 * only with groupby(dropna=False), a missing value only with
 * value_counts(dropna=False). */
static bool group_count_kept(const dusk_plan *vc, const dusk_table *g,
                             size_t nk, size_t r, bool *value_na) {
  dusk_value v;
  dusk_table_get(g, nk, r, &v);
  *value_na = value_is_na(&v);
  if (*value_na && !vc->keep_na)
    return false;
  for (size_t k = 0; k < nk && !vc->group_keep_na; k++) {
    dusk_value kv;
    dusk_table_get(g, k, r, &kv);
    if (value_is_na(&kv))
      return false;
  }
  return true;
}

/* groupby(keys)[col].value_counts(normalize=, dropna=) from g, the
 * aggregate's rows (keys..., col, count) sorted by keys then value with
 * missing ones last, in pandas 1.5's order:
 * - SeriesGroupBy.value_counts (as_index=True) sorts each group's values
 *   (a missing one first, factorize's code -1), then stably by count,
 *   largest first, the groups by key (a missing key last);
 * - with as_index=False (vc->flat) pandas takes DataFrameGroupBy's path:
 *   groupby(keys + [col]).size() (g's order), the counts (or shares)
 *   sorted largest first by numpy's unstable quicksort (npsort.h), then
 *   stably by the keys.
 * normalize divides each count by what is left of its group. */
static int group_value_counts_output(const dusk_plan *vc, const dusk_table *g,
                                     dusk_table **out) {
  size_t nk = vc->ncolumns - 1, n = g->nrows, kept = 0;
  size_t *order = dusk_xcalloc(n + 1, sizeof *order);
  size_t *sorted_order = dusk_xcalloc(n + 1, sizeof *sorted_order);
  int *by = dusk_xcalloc(nk + 1, sizeof *by);
  uint8_t *asc = dusk_xcalloc(nk + 1, sizeof *asc);
  dusk_table *pre = NULL, *mid = NULL, *res = NULL;
  bool value_na;
  int rc;
  for (size_t k = 0; k < nk; k++) {
    by[k] = (int)k;
    asc[k] = 1;
  }
  if (vc->flat) {
    double *vals = dusk_xcalloc(n + 1, sizeof *vals);
    for (size_t r = 0; r < n; r++)
      if (group_count_kept(vc, g, nk, r, &value_na))
        order[kept++] = r;
    if ((rc = dusk_table_take(g, order, kept, &pre)) == 0 && vc->normalize) {
      dusk_table *shares;
      if ((rc = shares_by_group(pre, nk, &shares)) == 0) {
        dusk_table_free(pre);
        pre = shares;
      }
    }
    for (size_t r = 0; rc == 0 && r < kept; r++)
      vals[r] = vc->normalize ? pre->cols[nk + 1].f64[r]
                              : (double)pre->cols[nk + 1].i64[r];
    if (rc == 0 && (rc = dusk_np_argsort_desc(vals, kept, order)) == 0)
      rc = dusk_table_take(pre, order, kept, &mid);
    free(vals);
    if (rc != 0)
      goto out;
    dusk_table_sort_order(mid, by, asc, nk, sorted_order);
    if ((rc = dusk_table_take(mid, sorted_order, kept, &res)) != 0)
      goto out;
    res->nindex = nk + 1;
    goto done;
  }
  /* a missing value first in its group: two stable passes over g */
  for (int pass = 0; pass < 2; pass++)
    for (size_t r = 0; r < n; r++)
      if (group_count_kept(vc, g, nk, r, &value_na) &&
          value_na == (pass == 0))
        order[kept++] = r;
  if ((rc = dusk_table_take(g, order, kept, &pre)) != 0)
    goto out;
  by[nk] = (int)nk + 1;
  asc[nk] = 0;
  dusk_table_sort_order(pre, by, asc, nk + 1, sorted_order);
  if ((rc = dusk_table_take(pre, sorted_order, kept, &mid)) != 0)
    goto out;
  mid->nindex = nk + 1;
  if (!vc->normalize) {
    res = mid;
    mid = NULL;
  } else if ((rc = shares_by_group(mid, nk, &res)) != 0) {
    goto out;
  }
done:
  *out = res;
  res = NULL;
out:
  dusk_table_free(res);
  dusk_table_free(mid);
  dusk_table_free(pre);
  free(order);
  free(sorted_order);
  free(by);
  free(asc);
  return rc;
}

/* value_counts(normalize=True): each count as its share of them all, as
 * pandas divides (float64 counts / their sum). */
static int normalize_counts(dusk_table **t) {
  const dusk_table *c = *t;
  const char *names[2];
  dusk_type types[2];
  dusk_table *res;
  int64_t total = 0;
  int rc = 0;
  names[0] = c->cols[0].name;
  names[1] = c->cols[1].name;
  types[0] = c->cols[0].type;
  types[1] = DUSK_TYPE_FLOAT64;
  for (size_t r = 0; r < c->nrows; r++)
    total += c->cols[1].i64[r];
  if ((res = dusk_table_new(names, types, 2, 1)) == NULL)
    return DUSK_ENOMEM;
  for (size_t r = 0; r < c->nrows && rc == 0; r++) {
    dusk_value v[2];
    dusk_table_get(c, 0, r, &v[0]);
    v[1].type = DUSK_TYPE_FLOAT64;
    v[1].u.f = (double)c->cols[1].i64[r] / (double)total;
    rc = dusk_table_append_row(res, v);
  }
  if (rc != 0) {
    dusk_table_free(res);
    return rc;
  }
  dusk_table_free(*t);
  *t = res;
  return 0;
}

/* describe() of a text or bool column from its counts (largest first):
 * pandas' count, unique, top and freq, in one text column as pandas'
 * object column prints them (top and freq null when nothing is counted;
 * of values sharing the highest count, top is the first in the counts'
 * order, where pandas documents an arbitrary one). */
static int describe_counts_output(dusk_table **t) {
  static const char *const stats[] = {"count", "unique", "top", "freq"};
  const dusk_table *c = *t;
  const char *names[2];
  dusk_type types[2] = {DUSK_TYPE_STRING, DUSK_TYPE_STRING};
  dusk_table *res;
  int64_t total = 0;
  int rc = 0;
  names[0] = "";
  names[1] = c->cols[1].name;
  for (size_t r = 0; r < c->nrows; r++)
    total += c->cols[1].i64[r];
  if ((res = dusk_table_new(names, types, 2, 1)) == NULL)
    return DUSK_ENOMEM;
  for (size_t i = 0; i < 4 && rc == 0; i++) {
    dusk_value v[2];
    char text[32];
    int64_t n = i == 0 ? total : i == 1 ? (int64_t)c->nrows : 0;
    v[0].type = DUSK_TYPE_STRING;
    v[0].u.s.ptr = stats[i];
    v[0].u.s.len = strlen(stats[i]);
    v[1].type = DUSK_TYPE_NULL;
    if (i == 2 && c->nrows > 0) {
      dusk_table_get(c, 0, 0, &v[1]);
      if (v[1].type == DUSK_TYPE_BOOL) {
        const char *b = v[1].u.b ? "True" : "False";
        v[1].type = DUSK_TYPE_STRING;
        v[1].u.s.ptr = b;
        v[1].u.s.len = strlen(b);
      }
    } else if (i != 2 && (i < 2 || c->nrows > 0)) {
      if (i == 3)
        n = c->cols[1].i64[0];
      snprintf(text, sizeof text, "%lld", (long long)n);
      v[1].type = DUSK_TYPE_STRING;
      v[1].u.s.ptr = text;
      v[1].u.s.len = strlen(text);
    }
    rc = dusk_table_append_row(res, v);
  }
  if (rc != 0) {
    dusk_table_free(res);
    return rc;
  }
  dusk_table_free(*t);
  *t = res;
  return 0;
}

/* Appends to joined (names separated by DUSK_MIXED_SEP) each name of list
 * (len bytes, the same form) that joined does not hold yet. */
static void mixed_union(dusk_buf *joined, const char *list, size_t len) {
  for (const char *p = list, *end = list + len; p < end;) {
    const char *q = memchr(p, DUSK_MIXED_SEP, (size_t)(end - p));
    size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
    int seen = 0;
    /* Already named?  The list is short: a linear look. */
    for (const char *m = joined->data, *mend = joined->data + joined->len;
         !seen && m != NULL && m < mend;) {
      const char *mq = memchr(m, DUSK_MIXED_SEP, (size_t)(mend - m));
      size_t mn = mq ? (size_t)(mq - m) : (size_t)(mend - m);
      seen = mn == n && memcmp(m, p, n) == 0;
      m += mn + 1;
    }
    if (!seen && n > 0) {
      char sep = DUSK_MIXED_SEP;
      if (joined->len > 0)
        dusk_xcheck(dusk_buf_append(joined, &sep, 1));
      dusk_xcheck(dusk_buf_append(joined, p, n));
    }
    p += n + 1;
  }
}

/* Fails the call with DUSK_FAIL_MIXED naming every column the ranges up to
 * cut noted (each range names its own), the first range's first, so one
 * rerun covers them, and the person's text of the first. */
static int fail_mixed(const dusk_table *rg, int64_t cut, size_t first,
                      const char *text, dusk_op_call *call) {
  dusk_buf cols;
  dusk_value v;
  int rc;
  dusk_buf_init(&cols);
  dusk_table_get(rg, DUSK_RANGES_MIXED, first, &v);
  mixed_union(&cols, v.u.s.ptr, v.u.s.len);
  for (size_t r = 0; r < rg->nrows; r++) {
    if (!rg->cols[DUSK_RANGES_MIXED].valid[r] ||
        rg->cols[DUSK_RANGES_INDEX].i64[r] > cut)
      continue;
    dusk_table_get(rg, DUSK_RANGES_MIXED, r, &v);
    mixed_union(&cols, v.u.s.ptr, v.u.s.len);
  }
  rc = fail_scan(call, text, NULL, 0, DUSK_TYPE_NULL, cols.data, cols.len);
  dusk_buf_destroy(&cols);
  return rc;
}

static dusk_type read_type(const dusk_plan *root, const char *name);
static void names_union(dusk_buf *u, dusk_slice list);

/* Adds to u the columns the ranges up to cut reported holding a null in
 * the file (DUSK_RANGES_NULLS). */
static void ranges_nulls(const merger *m, int64_t cut, dusk_buf *u) {
  const dusk_table *rg = m->ranges;
  for (size_t r = 0; r < rg->nrows; r++) {
    dusk_value v;
    if (rg->cols[DUSK_RANGES_INDEX].i64[r] > cut)
      continue;
    dusk_table_get(rg, DUSK_RANGES_NULLS, r, &v);
    if (v.type == DUSK_TYPE_STRING)
      names_union(u, v.u.s);
  }
}

/* The columns the plan reads as int64 (not a datetime) that a range up
 * to cut reported holding a null (DUSK_RANGES_NULLS), joined by
 * DUSK_NULLS_SEP into out. */
static void int_null_columns(const merger *m, int64_t cut, dusk_buf *out) {
  dusk_buf all;
  dusk_buf_init(&all);
  ranges_nulls(m, cut, &all);
  for (size_t from = 0, i = 0; all.len > 0 && i <= all.len; i++) {
    size_t len = i - from;
    char *name;
    if (i < all.len && all.data[i] != DUSK_NULLS_SEP)
      continue;
    name = dusk_xmalloc(len + 1);
    memcpy(name, all.data + from, len);
    name[len] = '\0';
    if (len > 0 && read_type(m->p.root, name) == DUSK_TYPE_INT64 &&
        !typed_int(m->p.root, name))
      dusk_xcheck(dusk_names_add(out, name, len));
    free(name);
    from = i + 1;
  }
  dusk_buf_destroy(&all);
}

/* The final steps' common part: every range's tokenizer state must have
 * been right (else the call fails with the corrections, DUSK_FAIL_QUOTES),
 * and then the first range's scan error is real (the call fails with it,
 * typed when it is a widening or a mixing fillna).  0 when the ranges hold
 * up, with *cut the last range index that counts (INT64_MAX, or where a
 * head stopped); otherwise the call has failed and *rc is its code. */
static int verify_ranges(const merger *m, dusk_op_call *call, int *rc,
                         int64_t *cut_out) {
  dusk_buf quotes;
  int64_t cut;
  dusk_buf_init(&quotes);
  if (check_quotes(m->ranges, &quotes, &cut) != 0) {
    size_t nruns = quotes.len / sizeof(dusk_quote_run);
    char text[128];
    snprintf(text, sizeof text,
             "%zu runs of ranges guessed their starting quote state wrong",
             nruns);
    *rc = dusk_registry_fail_quotes(
        call, (const dusk_quote_run *)(void *)quotes.data, nruns, text);
    dusk_buf_destroy(&quotes);
    return 1;
  }
  dusk_buf_destroy(&quotes);
  {
    /* Every guess held: the first range's scan error is real. */
    const dusk_table *rg = m->ranges;
    const dusk_table_column *index = &rg->cols[DUSK_RANGES_INDEX];
    size_t first = rg->nrows;
    for (size_t r = 0; r < rg->nrows; r++)
      if (rg->cols[DUSK_RANGES_ERROR].valid[r] && index->i64[r] <= cut &&
          (first == rg->nrows || index->i64[r] < index->i64[first]))
        first = r;
    if (first < rg->nrows) {
      dusk_value v, wc, wt;
      char text[DUSK_ERROR_MESSAGE_MAX + 64];
      dusk_table_get(rg, DUSK_RANGES_ERROR, first, &v);
      dusk_table_get(rg, DUSK_RANGES_WIDEN_COLUMN, first, &wc);
      dusk_table_get(rg, DUSK_RANGES_WIDEN_TYPE, first, &wt);
      snprintf(text, sizeof text, "%.*s", (int)v.u.s.len, v.u.s.ptr);
      if (wc.type == DUSK_TYPE_STRING && wt.type == DUSK_TYPE_INT64 &&
          wt.u.i == DUSK_TYPE_FLOAT64 &&
          m->p.terminal == DUSK_PLAN_TO_CSV) {
        /* to_csv's int columns holding a null: every one the ranges met,
         * widened in one rerun (one per rerun could exhaust the attempts) */
        dusk_buf also;
        dusk_buf_init(&also);
        int_null_columns(m, cut, &also);
        *rc = dusk_registry_fail_widen_many(
            call, wc.u.s.ptr, wc.u.s.len, DUSK_TYPE_FLOAT64, also.data,
            also.len, DUSK_NULLS_SEP, text);
        dusk_buf_destroy(&also);
      } else if (wc.type == DUSK_TYPE_STRING && wt.type == DUSK_TYPE_INT64 &&
          wt.u.i > DUSK_TYPE_NULL && wt.u.i <= DUSK_TYPE_STRING)
        *rc = fail_scan(call, text, wc.u.s.ptr, wc.u.s.len,
                        (dusk_type)wt.u.i, NULL, 0);
      else if (rg->cols[DUSK_RANGES_MIXED].valid[first])
        *rc = fail_mixed(rg, cut, first, text, call);
      else
        *rc = fail_scan(call, text, NULL, 0, DUSK_TYPE_NULL, NULL, 0);
      return 1;
    }
  }
  *cut_out = cut;
  return 0;
}

/* The type the fragment's read gives column name (DUSK_TYPE_NULL when it
 * reads no such column). */
static dusk_type read_type(const dusk_plan *root, const char *name) {
  /* the leaf's read, or a concat step's column its input lacks */
  for (const dusk_plan *s = root; s != NULL;
       s = s->ninputs > 0 ? s->inputs[0] : NULL) {
    if (s->kind != DUSK_PLAN_READ_CSV && s->kind != DUSK_PLAN_CONCAT &&
        s->kind != DUSK_PLAN_MERGE)
      continue;
    for (size_t d = 0; d < s->csv.ndtypes; d++)
      /* a merge's right column, under its name after the merge */
      if (strcmp(s->kind == DUSK_PLAN_MERGE && d < s->csv.nusecols
                     ? s->csv.usecols[d]
                     : s->csv.dtypes[d].column,
                 name) == 0)
        return s->csv.dtypes[d].type;
  }
  return DUSK_TYPE_NULL;
}

/* Appends the names of list (joined by DUSK_NULLS_SEP) to the union u. */
static void names_union(dusk_buf *u, dusk_slice list) {
  const char *p = list.ptr, *end = list.ptr + list.len;
  while (p < end) {
    const char *q = memchr(p, DUSK_NULLS_SEP, (size_t)(end - p));
    size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
    if (n > 0)
      dusk_xcheck(dusk_names_add(u, p, n));
    p += n + 1;
  }
}

/* Whether a derived column's expression carries a listed column's values
 * (a reference, or arithmetic over one): pandas then holds it as that
 * column's float64 / object, nulls or not.  Conditions are bool there. */
static bool expr_carries(const dusk_expr *e, dusk_slice list) {
  if (e == NULL)
    return false;
  if (e->kind == DUSK_EXPR_COLUMN)
    return dusk_names_has(list, e->name, strlen(e->name));
  if (e->kind == DUSK_EXPR_ARITH)
    return expr_carries(e->a, list) || expr_carries(e->b, list);
  if (e->kind == DUSK_EXPR_FUNC && e->op == DUSK_FN_WHERE && e->b != NULL)
    return expr_carries(e->a, list) || expr_carries(e->b->b, list);
  if (e->kind == DUSK_EXPR_FUNC && e->op == DUSK_FN_TO_INT)
    return false; /* astype(int) holds no null (it refuses one): int64 */
  if (e->kind == DUSK_EXPR_FUNC) /* .dt.hour of a column with NaT: float */
    return expr_carries(e->a, list);
  return false;
}

/* Takes name out of the list u (names joined by DUSK_NULLS_SEP). */
static void names_remove(dusk_buf *u, const char *name) {
  dusk_slice list = {u->data, u->len};
  dusk_buf rest;
  const char *p = u->data, *end = u->data + u->len;
  if (!dusk_names_has(list, name, strlen(name)))
    return;
  dusk_buf_init(&rest);
  while (p < end) {
    const char *q = memchr(p, DUSK_NULLS_SEP, (size_t)(end - p));
    size_t len = q ? (size_t)(q - p) : (size_t)(end - p);
    if (len != strlen(name) || memcmp(p, name, len) != 0)
      dusk_xcheck(dusk_names_add(&rest, p, len));
    p += len + 1;
  }
  dusk_buf_destroy(u);
  *u = rest;
}

/* Whether an assign's expression yields text, given the text columns
 * of the moment: a text column itself, or a text-valued .str function
 * (lower, strip, slice, ...). */
static bool expr_is_text(const dusk_expr *e, dusk_slice text) {
  if (e->kind == DUSK_EXPR_COLUMN)
    return dusk_names_has(text, e->name, strlen(e->name));
  return e->kind == DUSK_EXPR_FUNC && e->op >= DUSK_FN_STR_LOWER &&
         e->op <= DUSK_FN_STR_SLICE;
}

/* Takes out of u each column of cols (names joined by DUSK_NULLS_SEP)
 * that fill fills. */
static void fill_clears(dusk_buf *u, const dusk_buf *cols,
                        const dusk_fill *fill) {
  const char *p = cols->data, *end = cols->data + cols->len;
  while (p < end) {
    const char *q = memchr(p, DUSK_NULLS_SEP, (size_t)(end - p));
    size_t len = q ? (size_t)(q - p) : (size_t)(end - p);
    char col[256];
    snprintf(col, sizeof col, "%.*s", (int)len, p);
    if (fill->column == NULL || strcmp(fill->column, col) == 0)
      names_remove(u, col);
    p += len + 1;
  }
}

/* The leaf's columns of type t (its dtypes are the scheduler's, every
 * column typed), into names. */
static void leaf_columns(const dusk_plan *leaf, dusk_type t, dusk_buf *names) {
  dusk_buf_init(names);
  for (size_t d = 0; d < leaf->csv.ndtypes; d++)
    if (leaf->csv.dtypes[d].type == t)
      dusk_xcheck(dusk_names_add(names, leaf->csv.dtypes[d].column,
                                 strlen(leaf->csv.dtypes[d].column)));
}

/* Replays the chain's steps (leaf first) on the list of columns holding
 * a null:
 *   - an assign's column joins it when its expression carries a listed
 *     column, and a replaced column leaves it otherwise; after a filter
 *     its own scans' report stands (what the filtered rows held);
 *   - a fillna that fills a text column with text, or a datetime column
 *     with an ISO date-time, takes it out: what is derived from it
 *     afterwards has no null (pandas: str.len() of the filled object
 *     column, .dt.hour of the filled datetimes are int64), while an int
 *     column stays listed (pandas fills its float64 and keeps float64). */
/* Takes every name of the list names out of u. */
static void names_remove_all(dusk_buf *u, const dusk_buf *names) {
  dusk_buf one;
  dusk_buf_init(&one);
  for (const char *q = names->data, *e = q + names->len; q < e;) {
    const char *sep = memchr(q, DUSK_NULLS_SEP, (size_t)(e - q));
    size_t len = sep ? (size_t)(sep - q) : (size_t)(e - q);
    one.len = 0;
    dusk_xcheck(dusk_buf_append(&one, q, len));
    dusk_xcheck(dusk_buf_append(&one, "", 1)); /* a C string */
    names_remove(u, one.data);
    q += len + (sep != NULL);
  }
  dusk_buf_destroy(&one);
}

/* Whether chain[i]'s column `name` is a key that a right / outer merge
 * above it (chain[0..i-1], its left side below it) keeps once.  Right-only
 * rows give that column the right's keys, and the join marks every other
 * left column null there (join_right_only): the carry rule would take
 * those marks for the file's nulls (pandas: `assign(k2=k*1)` then a right
 * merge on k2 keeps k2 int64 while k turns float64).  The scans' report
 * of what the left rows computed (run_steps, an assign's nulls) stands. */
static bool kept_by_merge_above(const dusk_plan *const *chain, size_t i,
                                const char *name) {
  for (size_t j = 0; j < i; j++) {
    const dusk_plan *m = chain[j];
    if (m->kind != DUSK_PLAN_MERGE ||
        (m->how != DUSK_MERGE_RIGHT && m->how != DUSK_MERGE_OUTER))
      continue;
    for (size_t k = 0; k < m->ncolumns; k++)
      if (strcmp(m->columns[k], name) == 0 &&
          strcmp(m->right_on[k], name) == 0)
        return true;
  }
  return false;
}

static void assigns_on_nulls(const dusk_plan *root, dusk_buf *u) {
  const dusk_plan *chain[256];
  size_t n = 0;
  bool filtered = false; /* a filter (or sample) came before the step */
  dusk_buf text,  /* the text columns at each step: the leaf's, then
                     assigns */
      dates;      /* the leaf's datetime columns, until replaced */
  for (const dusk_plan *s = root; s != NULL && n < 256;
       s = s->ninputs ? s->inputs[0] : NULL)
    chain[n++] = s;
  if (n == 0 || chain[n - 1]->kind != DUSK_PLAN_READ_CSV)
    return;
  leaf_columns(chain[n - 1], DUSK_TYPE_STRING, &text);
  leaf_columns(chain[n - 1], DUSK_TYPE_DATETIME, &dates);
  while (n-- > 0) {
    const dusk_plan *s = chain[n];
    dusk_slice list = {u->data, u->len}, texts = {text.data, text.len};
    const char *name;
    bool carries, is_text;
    if (s->kind == DUSK_PLAN_FILLNA) {
      for (size_t f = 0; f < s->nfills; f++) {
        int64_t ns;
        /* another kind mixes the column (plan.h) */
        if (s->fills[f].value.type == DUSK_TYPE_STRING)
          fill_clears(u, &text, &s->fills[f]);
        if (dusk_plan_fill_datetime(DUSK_TYPE_DATETIME, &s->fills[f].value,
                                    &ns))
          fill_clears(u, &dates, &s->fills[f]);
      }
      continue;
    }
    if (s->kind == DUSK_PLAN_QUERY || s->kind == DUSK_PLAN_SAMPLE)
      filtered = true;
    if (s->kind != DUSK_PLAN_ASSIGN)
      continue;
    name = s->columns[0];
    /* before the text list changes: texts points into it, and
     * names_remove makes it anew */
    is_text = expr_is_text(s->expr, texts);
    if (kept_by_merge_above(chain, n, name)) {
      names_remove(&text, name);
      if (is_text)
        dusk_xcheck(dusk_names_add(&text, name, strlen(name)));
      names_remove(&dates, name);
      continue;
    }
    if (filtered) {
      /* Computed on filtered rows: a text or datetime input's missing
       * values may be gone (pandas: str.len() of an object column whose
       * missing rows were filtered out is int64), so whether the result
       * met one is the scans' report (run_steps); an int or bool input
       * listed here is float64 / object in pandas whatever the rows, and
       * so is what carries its values. */
      dusk_buf plain;
      dusk_buf_init(&plain);
      dusk_xcheck(dusk_buf_append(&plain, u->data, u->len));
      names_remove_all(&plain, &text);
      names_remove_all(&plain, &dates);
      if (expr_carries(s->expr, (dusk_slice){plain.data, plain.len}) &&
          !dusk_names_has(list, name, strlen(name)))
        dusk_xcheck(dusk_names_add(u, name, strlen(name)));
      dusk_buf_destroy(&plain);
      names_remove(&text, name);
      if (is_text)
        dusk_xcheck(dusk_names_add(&text, name, strlen(name)));
      names_remove(&dates, name);
      continue;
    }
    carries = expr_carries(s->expr, list);
    names_remove(u, name);
    if (carries)
      dusk_xcheck(dusk_names_add(u, name, strlen(name)));
    names_remove(&text, name);
    if (is_text)
      dusk_xcheck(dusk_names_add(&text, name, strlen(name)));
    names_remove(&dates, name);
  }
  dusk_buf_destroy(&text);
  dusk_buf_destroy(&dates);
}

/* The column whose values result column c (col) holds, as the terminal
 * lays its result out, or NULL: an int64 groupby key, an int64 aggregate
 * `takes` accepts, value_counts' values, a column of rows.  What
 * mark_source_na and mark_logical name their sources by. */
static const char *result_source(const merger *m,
                                 const dusk_table_column *col, size_t c,
                                 bool (*takes)(const dusk_plan *g,
                                               const dusk_agg *a)) {
  const dusk_plan *g = m->p.root;
  switch (m->p.terminal) {
  case DUSK_PLAN_GROUPBY:
    if (c < g->ncolumns)
      return col->type == DUSK_TYPE_INT64 ? g->columns[c] : NULL;
    if (c - g->ncolumns < g->naggs) {
      const dusk_agg *a = &g->aggs[c - g->ncolumns];
      if ((col->type == DUSK_TYPE_INT64 || col->type == DUSK_TYPE_BOOL) &&
          a->column != NULL && takes(g, a))
        return a->column;
    }
    return NULL;
  case DUSK_PLAN_VALUE_COUNTS:
    return c < agg_nkeys(g) ? agg_key(g, c) : NULL;
  case DUSK_PLAN_HEAD:
  case DUSK_PLAN_TOPK:
  case DUSK_PLAN_DROP_DUPLICATES:
  case 0:
    return c > 0 ? col->name : NULL;
  default:
    return NULL;
  }
}

/* Aggregates that keep one of a column's values: min, max, first, last. */
static bool value_agg(dusk_agg_fn fn) {
  return fn == DUSK_AGG_MIN || fn == DUSK_AGG_MAX || fn == DUSK_AGG_FIRST ||
         fn == DUSK_AGG_LAST;
}

/* Aggregates holding an int column's values, whose dtype pandas makes
 * float64 when the column has a null: sum, min, max, first, last of an
 * int64 column (a NULL read type: a derived column, int by its result's
 * type).  A bool column with a null is pandas' object column of bools
 * and NaN: its first / last stay object (SeriesGroupBy's and agg()'s;
 * a frame's first() is inferred again - dataframe.py GroupBy.first),
 * while its min / max give bool. */
static bool na_agg(const dusk_plan *g, const dusk_agg *a) {
  dusk_type t = read_type(g, a->column);
  if (t == DUSK_TYPE_BOOL)
    return a->fn == DUSK_AGG_FIRST || a->fn == DUSK_AGG_LAST;
  return (a->fn == DUSK_AGG_SUM || value_agg(a->fn)) &&
         (t == DUSK_TYPE_INT64 || t == DUSK_TYPE_NULL);
}

/* Aggregates that keep a datetime's or timedelta's values, or sum them
 * (only a timedelta's sum gets this far: scheduler/query.c). */
static bool time_agg(const dusk_plan *g, const dusk_agg *a) {
  (void)g;
  return value_agg(a->fn) || a->fn == DUSK_AGG_SUM ||
         a->fn == DUSK_AGG_MEAN || /* int64 only after time_means, */
         a->fn == DUSK_AGG_STD;    /* which marks a std itself */
}

/* A mean of timedeltas, or a std of datetimes or timedeltas (the float
 * results of time columns scheduler/query.c time_reduction lets
 * through). */
static bool time_mean(const dusk_plan *g, const dusk_agg *a) {
  (void)g;
  return a->fn == DUSK_AGG_MEAN || a->fn == DUSK_AGG_STD;
}

/* Sets source_na (table.h) on the result columns whose values are those of
 * a CSV column holding a null, which pandas' read_csv holds as float64
 * (ints) or object (bools) while dusk keeps int64 / bool.  Those columns
 * are the union of the nulls the scheduler's sample saw (the tail args)
 * and of every range's report up to cut: ranges after the one where a
 * head stopped gave no row and were read under quote-state guesses nobody
 * checked, so what they saw is left out.  Derived columns (assign) join
 * the list when they carry a listed column's values (assigns_on_nulls).
 * Which result column holds which source column's values follows the
 * terminal (a source is named by its column's name):
 *   groupby       int64 keys, sum/min/max/first/last of an int64 column,
 *                 first/last of a bool one (object).  pandas' groupby
 *                 gives bool again for bool keys and bool min/max;
 *                 a sum of bools is int64 here and pandas' object there,
 *                 which an int64 column cannot say, so it stays unmarked;
 *                 count, size, nunique are counts, mean is float64;
 *   value_counts  the values (the index), not the counts;
 *   head, rows    every column after the row label;
 *   len, describe, to_csv (and df_offsets)  nothing: counts, floats (the
 *                 same in pandas), file names. */
/* The names of the source columns holding a null (see mark_source_na)
 * into u, a list dusk_names_has reads. */
static void source_nulls(const merger *m, int64_t cut, dusk_buf *u) {
  dusk_buf_init(u);
  names_union(u, m->sample_nulls);
  ranges_nulls(m, cut, u);
  assigns_on_nulls(m->p.root, u);
}

static void mark_source_na(const merger *m, int64_t cut, dusk_table *t) {
  dusk_buf u;
  dusk_slice list;
  source_nulls(m, cut, &u);
  list.ptr = u.data;
  list.len = u.len;
  for (size_t c = 0; u.len > 0 && c < t->ncols; c++) {
    dusk_table_column *col = &t->cols[c];
    const char *source;
    if (col->type != DUSK_TYPE_INT64 && col->type != DUSK_TYPE_BOOL)
      continue;
    source = result_source(m, col, c, na_agg);
    if (source != NULL && dusk_names_has(list, source, strlen(source)))
      col->source_na = 1;
  }
  dusk_buf_destroy(&u);
}

/* ---- post steps (plan.h) -------------------------------------------------- */

/* ---- logical types of result columns (value.h: datetimes) -------------- */

/* Turns the float64 means of timedelta columns, and the float64 stds of
 * datetime and timedelta columns, into timedeltas: int64 nanoseconds
 * truncated toward zero, as pandas casts its float back (7 ns / 3 is
 * 2 ns, -1.5 ns is -1 ns), and NaN (a group of NaTs only, a std of one
 * value) into NaT; a std past int64 fails as pandas' "overflow in
 * timedelta operation" does for a column (df["t"].std()), and is NaT in
 * a whole frame's reduction (df.std(): plan.h frame_reduce): pandas
 * checks the overflow of a scalar result only, and casts a frame's float
 * array to int64, where numpy makes the value past it NaT.  mark_logical then tags the means; a std,
 * a timedelta of either, is tagged here. */
static int time_means(const merger *m, dusk_table *t, dusk_error *err) {
  ltypes_map lt;
  logical_types_at(m->p.root, &lt);
  for (size_t c = 0; c < t->ncols; c++) {
    dusk_table_column *col = &t->cols[c];
    const char *src;
    dusk_type l;
    bool std;
    int64_t *v;
    if (col->type != DUSK_TYPE_FLOAT64)
      continue;
    col->type = DUSK_TYPE_INT64; /* result_source asks for int columns */
    src = result_source(m, col, c, time_mean);
    col->type = DUSK_TYPE_FLOAT64;
    l = logical_of(&lt, src);
    std = src != NULL && m->p.terminal == DUSK_PLAN_GROUPBY &&
          c >= m->p.root->ncolumns &&
          m->p.root->aggs[c - m->p.root->ncolumns].fn == DUSK_AGG_STD;
    if (l != DUSK_TYPE_TIMEDELTA && !(std && l == DUSK_TYPE_DATETIME))
      continue;
    v = t->nrows ? malloc(t->nrows * sizeof *v) : NULL;
    if (t->nrows && v == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "timedelta means");
    for (size_t r = 0; r < t->nrows; r++) {
      double f = col->f64[r];
      if (!col->valid[r] || f != f) {
        col->valid[r] = 0;
        v[r] = 0;
      } else if (!(fabs(f) < 9223372036854775808.0) && /* 2^63 */
                 std && m->p.root->frame_reduce) {
        col->valid[r] = 0; /* a frame's reduction: pandas' NaT */
        v[r] = 0;
      } else if (!(fabs(f) < 9223372036854775808.0)) {
        free(v);
        return dusk_error_set(err, DUSK_ETYPE,
                              "std of '%s': overflow in timedelta operation "
                              "(pandas' error too)",
                              src);
      } else {
        v[r] = (int64_t)f; /* C truncates toward zero, as numpy's cast */
      }
    }
    free(col->f64);
    col->f64 = NULL;
    col->i64 = v;
    col->type = DUSK_TYPE_INT64;
    if (std) {
      col->logical = DUSK_TYPE_TIMEDELTA;
      col->source_na = 0;
    }
  }
  return 0;
}

/* Marks the int64 result columns that hold datetimes or timedeltas
 * (table.h logical): groupby keys and min/max, value_counts' values, the
 * columns of rows - named, as for mark_source_na, by their source. */
static void mark_logical(const merger *m, dusk_table *t) {
  const dusk_plan *g = m->p.root;
  ltypes_map lt;
  logical_types_at(g, &lt);
  for (size_t c = 0; c < t->ncols; c++) {
    dusk_table_column *col = &t->cols[c];
    dusk_type l;
    if (col->type != DUSK_TYPE_INT64 || col->logical != 0) /* a std */
      continue;
    l = logical_of(&lt, result_source(m, col, c, time_agg));
    if (dusk_type_is_logical(l)) {
      col->logical = l;
      col->source_na = 0; /* NaT is the datetime's own null */
    }
  }
}

/* Whether aggregate a of groupby g keeps pandas' nullable dtype over a
 * nullable column: sum, min, max, first and last (Int64, or boolean for
 * a bool's min / max), mean, median and var (Float64).  pandas 1.5's
 * grouped std and quantile, and the counts, are numpy's. */
static bool masked_agg(const dusk_plan *g, const dusk_agg *a) {
  return a->column != NULL && g->ninputs == 1 &&
         (a->fn == DUSK_AGG_SUM || value_agg(a->fn) ||
          a->fn == DUSK_AGG_MEAN || a->fn == DUSK_AGG_MEDIAN ||
          a->fn == DUSK_AGG_VAR) &&
         dusk_plan_column_masked(g->inputs[0], a->column);
}

/* Sets masked (table.h) on the result columns holding a nullable
 * column's values (plan.h dusk_plan_column_masked): the columns of rows,
 * groupby keys and masked_agg's aggregates, which pandas keeps Int64 /
 * Float64 / boolean; clears source_na there (pandas' Int64 keeps its
 * ints where a numpy int column with a null is float64), value_counts'
 * values (plan.h VALUE_COUNTS masked; the counts are marked by the
 * client's DUSK_RESULT_NULLABLE) and describe()'s column of a nullable
 * number column (Float64).  A whole frame's reduction (df.sum()) is one
 * numpy Series in pandas: its ints stay ints but are not marked. */
static void mark_masked(const merger *m, dusk_table *t) {
  const dusk_plan *g = m->p.root;
  for (size_t c = 0; c < t->ncols; c++) {
    dusk_table_column *col = &t->cols[c];
    bool masked = false;
    if (col->logical != 0 || col->type == DUSK_TYPE_STRING)
      continue;
    switch (m->p.terminal) {
    case DUSK_PLAN_GROUPBY:
      if (g->ninputs != 1)
        break;
      if (c < g->ncolumns)
        masked = dusk_plan_column_masked(g->inputs[0], g->columns[c]);
      else if (c - g->ncolumns < g->naggs)
        masked = masked_agg(g, &g->aggs[c - g->ncolumns]);
      break;
    case DUSK_PLAN_HEAD:
    case DUSK_PLAN_TOPK:
    case DUSK_PLAN_DROP_DUPLICATES:
    case 0:
      masked = c > 0 && dusk_plan_column_masked(g, col->name);
      break;
    case DUSK_PLAN_VALUE_COUNTS:
      /* a groupby's: its keys' and value's levels, each by its column
       * (pandas: an Int64 value's level is Int64) */
      if (g->ncolumns > 1)
        masked = c < agg_nkeys(g) && g->ninputs == 1 &&
                 dusk_plan_column_masked(g->inputs[0], agg_key(g, c));
      else
        masked = c == 0 && g->masked;
      break;
    case DUSK_PLAN_DESCRIBE:
      masked = c >= t->nindex && col->type == DUSK_TYPE_FLOAT64 &&
               g->ninputs == 1 &&
               dusk_plan_column_masked(g->inputs[0], col->name);
      break;
    default:
      break;
    }
    if (!masked)
      continue;
    col->source_na = 0;
    col->masked = g->kind != DUSK_PLAN_GROUPBY || !g->frame_reduce;
  }
}

/* A bool column with a null in its file (nulls: the source columns
 * holding one), summed by group (scheduler/query.c guard_text_minmax,
 * marker label l): pandas' object column.  Its sum, mean, std, var,
 * median and quantile leave an every-column result (mode 'd': keep[]
 * cleared); a named sum (or one of a function list, mode 'e') fails, as
 * pandas' answer mixes ints and bools, and a named quantile, which
 * pandas refuses (a named mean, std, var or median is pandas' float
 * already). */
static int bool_object_sums(const dusk_plan *g, const char *l,
                            dusk_slice nulls, size_t nk, bool *keep,
                            dusk_error *err) {
  const char *col = l + 3;
  size_t cl = strlen(col);
  if (!dusk_names_has(nulls, col, cl))
    return 0;
  for (size_t b = 0; b < g->naggs; b++) {
    const dusk_agg *ag = &g->aggs[b];
    if (ag->column == NULL || strcmp(ag->column, col) != 0 ||
        (ag->label != NULL && ag->label[0] == DUSK_HIDDEN_AGG))
      continue;
    if (ag->fn != DUSK_AGG_SUM && ag->fn != DUSK_AGG_MEAN &&
        ag->fn != DUSK_AGG_STD && ag->fn != DUSK_AGG_VAR &&
        ag->fn != DUSK_AGG_MEDIAN && ag->fn != DUSK_AGG_QUANTILE)
      continue;
    if (l[1] == 'd')
      keep[nk + b] = false;
    else if (ag->fn == DUSK_AGG_QUANTILE)
      return dusk_error_set(
          err, DUSK_ETYPE,
          "quantile of the bool column '%.200s' by group: it holds a "
          "missing value, so pandas holds it as an object column and "
          "refuses its quantiles; fillna({\"%.200s\": False}) first",
          col, col);
    else if (ag->fn == DUSK_AGG_SUM)
      return dusk_error_set(
          err, DUSK_ETYPE,
          "sum of the bool column '%.200s' by group: it holds a missing "
          "value, so pandas holds it as an object column and sums each "
          "group's Python bools (2, False or 0: ints and bools in one "
          "column), which dusk does not; fillna({\"%.200s\": False}) "
          "first",
          col, col);
  }
  return 0;
}

/* A text column's sum (scheduler/query.c guard_text_minmax, labels 'T'
 * or 't'), from the hidden count (aggregate a) and size (a + 1) of the
 * column: as pandas 1.5 sums an object column (nanops.nansum, NaN taken
 * as 0): no string at all gives 0 (zero[b]: an int column; of no row at
 * all pandas' float 0.0, as its empty frame's sum is float64), strings and
 * a missing value fail (str + int: of every column the column is left
 * out, a sum the user named raises), strings alone are their
 * concatenation - refused past DUSK_TEXT_SUM_MAX, which the hash
 * aggregate answers as null. */
static int text_sum_nulls(const dusk_plan *g, const dusk_table *t, size_t a,
                          bool unordered, bool *keep, uint8_t *zero,
                          dusk_error *err) {
  const char *l = g->aggs[a].label, *col = l + 3;
  size_t nk = t->nindex;
  const dusk_table_column *cnt = &t->cols[nk + a], *sz = &t->cols[nk + a + 1];
  if (cnt->type != DUSK_TYPE_INT64 || sz->type != DUSK_TYPE_INT64)
    return 0;
  for (size_t b = 0; b < g->naggs; b++) {
    const dusk_agg *ag = &g->aggs[b];
    const dusk_table_column *v = &t->cols[nk + b];
    if (ag->fn != DUSK_AGG_SUM || ag->column == NULL ||
        strcmp(ag->column, col) != 0 || v->type != DUSK_TYPE_STRING ||
        (ag->label != NULL && ag->label[0] == DUSK_HIDDEN_AGG))
      continue;
    for (size_t r = 0; r < t->nrows; r++) {
      if (cnt->i64[r] == 0) {
        zero[nk + b] = true;
        if (sz->i64[r] == 0)
          zero[nk + b] = 2; /* no row: float */
      } else if (cnt->i64[r] < sz->i64[r]) {
        if (l[1] == 'T') {
          keep[nk + b] = false;
          break;
        }
        return dusk_error_set(
            err, DUSK_ETYPE,
            "sum of the text column '%.200s': it holds a missing value, "
            "which pandas cannot add to a string (TypeError); "
            "fillna({\"%.200s\": \"\"}) first, or dropna(subset=[\"%.200s\"])",
            col, col, col);
      } else if (!v->valid[r]) {
        return dusk_error_set(
            err, DUSK_ETOOBIG,
            "sum of the text column '%.200s': its strings concatenated "
            "pass %llu MiB, more than dusk builds in memory; select the "
            "number columns (df[[...]].sum() or sum(numeric_only=True))",
            col, (unsigned long long)(DUSK_TEXT_SUM_MAX >> 20));
      }
    }
    /* pandas joins the strings in the frame's row order; a shuffle
     * join's parts append theirs as their rows come */
    for (size_t r = 0; unordered && keep[nk + b] && r < t->nrows; r++)
      if (cnt->i64[r] > 1)
        return dusk_error_set(
            err, DUSK_EINVAL,
            "sum of the text column '%.200s' of a shuffle merge: pandas "
            "joins its strings in the merge's row order, which the join's "
            "hash parts do not share; select the number columns "
            "(sum(numeric_only=True)), or compute() the column and sum it "
            "in pandas",
            col);
  }
  return 0;
}

/* t with the columns marked in zero (text sums of no string) as int64
 * columns of 0 (zero[c] 1) or float64 ones of 0.0 (2): pandas' sum of an
 * object column holding none. */
static int zero_text_sums(dusk_table **t, const uint8_t *zero) {
  dusk_table *src = *t, *r;
  const char **names = dusk_xcalloc(src->ncols + 1, sizeof *names);
  dusk_type *types = dusk_xcalloc(src->ncols + 1, sizeof *types);
  dusk_value *row = dusk_xcalloc(src->ncols + 1, sizeof *row);
  int rc = 0;
  for (size_t c = 0; c < src->ncols; c++) {
    names[c] = src->cols[c].name;
    types[c] = zero[c] == 2 ? DUSK_TYPE_FLOAT64
               : zero[c]    ? DUSK_TYPE_INT64
                            : src->cols[c].type;
  }
  r = dusk_table_new(names, types, src->ncols, src->nindex);
  rc = r != NULL ? 0 : DUSK_ENOMEM;
  for (size_t i = 0; rc == 0 && i < src->nrows; i++) {
    for (size_t c = 0; c < src->ncols; c++) {
      dusk_table_get(src, c, i, &row[c]);
      if (zero[c] == 2) {
        row[c].type = DUSK_TYPE_FLOAT64;
        row[c].u.f = 0;
      } else if (zero[c]) {
        row[c].type = DUSK_TYPE_INT64;
        row[c].u.i = 0;
      }
    }
    rc = dusk_table_append_row(r, row);
  }
  for (size_t c = 0; rc == 0 && c < src->ncols; c++) {
    r->cols[c].source_na = zero[c] ? 0 : src->cols[c].source_na;
    r->cols[c].logical = zero[c] ? 0 : src->cols[c].logical;
  }
  free(names);
  free(types);
  free(row);
  if (rc != 0) {
    dusk_table_free(r);
    return rc;
  }
  dusk_table_free(src);
  *t = r;
  return 0;
}

/* The text min / max guard (scheduler/query.c guard_text_minmax): the
 * hidden count and size of each such column say whether a group mixes
 * text and a null, which pandas cannot compare.  Then the column's min and
 * max leave the result (of "every column", as pandas leaves it out) or the
 * query fails (one the user named: pandas raises TypeError).  The bool
 * sums' markers go to bool_object_sums.  The hidden columns always leave;
 * a result without them is left as it is. */
static int text_minmax_nulls(const dusk_plan *g, dusk_slice nulls,
                             bool unordered, dusk_table **t,
                             dusk_error *err) {
  size_t nk = (*t)->nindex;
  bool *keep, any = false, zeros = false;
  uint8_t *zero;
  dusk_table *out = NULL;
  int rc = 0;
  if ((*t)->ncols != nk + g->naggs)
    return 0;
  keep = dusk_xcalloc((*t)->ncols + 1, sizeof *keep);
  zero = dusk_xcalloc((*t)->ncols + 1, sizeof *zero);
  for (size_t c = 0; c < (*t)->ncols; c++)
    keep[c] = true;
  for (size_t a = 0; a < g->naggs && rc == 0; a++) {
    const char *l = g->aggs[a].label, *col;
    const dusk_table_column *cnt, *sz;
    bool mixed = false;
    if (l == NULL || l[0] != DUSK_HIDDEN_AGG)
      continue;
    keep[nk + a] = false;
    any = true;
    if (l[1] == 'T' || l[1] == 't') {
      if (l[2] == 'c' && a + 1 < g->naggs && g->aggs[a + 1].label != NULL &&
          strcmp(g->aggs[a + 1].label + 3, l + 3) == 0)
        rc = text_sum_nulls(g, *t, a, unordered, keep, zero, err);
      continue;
    }
    if (l[2] == 'b') {
      rc = bool_object_sums(g, l, nulls, nk, keep, err);
      continue;
    }
    if (l[2] != 'c' || a + 1 >= g->naggs || g->aggs[a + 1].label == NULL ||
        strcmp(g->aggs[a + 1].label + 3, l + 3) != 0)
      continue; /* the size half of a pair, or no pair */
    col = l + 3;
    cnt = &(*t)->cols[nk + a];
    sz = &(*t)->cols[nk + a + 1];
    if (cnt->type != DUSK_TYPE_INT64 || sz->type != DUSK_TYPE_INT64)
      continue;
    for (size_t r = 0; r < (*t)->nrows && !mixed; r++)
      mixed = cnt->i64[r] > 0 && cnt->i64[r] < sz->i64[r];
    if (!mixed)
      continue;
    for (size_t b = 0; b < g->naggs && rc == 0; b++) {
      const dusk_agg *ag = &g->aggs[b];
      size_t cl = strlen(col);
      if (ag->column == NULL || strcmp(ag->column, col) != 0)
        continue;
      /* of a function list over every column (labels "col" SEP "fn"),
       * pandas leaves the whole column out when one function fails */
      if (l[1] == 'd' && ag->label != NULL &&
          strncmp(ag->label, col, cl) == 0 && ag->label[cl] == DUSK_LEVEL_SEP) {
        keep[nk + b] = false;
        continue;
      }
      if (ag->fn != DUSK_AGG_MIN && ag->fn != DUSK_AGG_MAX)
        continue;
      if (l[1] == 'e')
        rc = dusk_error_set(
            err, DUSK_ETYPE,
            "%s of the text column '%.200s': a group holds both text and a "
            "missing value, which pandas cannot compare (TypeError); "
            "fillna({\"%.200s\": \"\"}) first, or leave the missing out",
            dusk_agg_name(ag->fn), col, col);
      else
        keep[nk + b] = false;
    }
  }
  for (size_t c = 0; c < (*t)->ncols; c++)
    zeros |= zero[c] && keep[c];
  if (rc == 0 && zeros)
    rc = zero_text_sums(t, zero);
  if (rc == 0 && any &&
      (rc = dusk_table_keep_columns(*t, keep, &out)) == 0) {
    dusk_table_free(*t);
    *t = out;
  } else if (rc == DUSK_ENOMEM) {
    dusk_error_set(err, rc, "out of memory");
  }
  free(keep);
  free(zero);
  return rc;
}

/* A failed to_csv leaves no part file behind (a rerun writes them all
 * again): removes the ones the ranges wrote, each checked to be a
 * "<dir>/<n>-<n>.part" of this query's directory. */
/* Part m->part of a sorted to_csv: *result (its rows, sorted, labelled)
 * written as pandas' to_csv writes them to DIR/NNNNNN.part (numbered so
 * that the files sort in the frame's order), under a temporary name
 * renamed once complete; *result becomes the written table (file, rows). */
static int write_sorted_part(const char *dir, uint32_t part,
                             dusk_table **result, const size_t *order,
                             dusk_error *err) {
  char path[4200], tmp[4200];
  dusk_table *w;
  dusk_value row[DUSK_WRITTEN_NCOLS];
  FILE *f;
  int rc = 0;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return dusk_error_set(err, -errno, "to_csv: cannot create %s: %s", dir,
                          strerror(errno));
  snprintf(path, sizeof path, "%s/%06u.part", dir, part);
  snprintf(tmp, sizeof tmp, "%s/.%06u.part.tmp", dir, part);
  if ((f = fopen(tmp, "w")) == NULL)
    return dusk_error_set(err, -errno, "to_csv: %s: %s", tmp,
                          strerror(errno));
  if ((rc = dusk_table_write_csv_order(*result, order, f)) != 0)
    rc = dusk_error_set(err, rc, "to_csv: writing %s: %s", tmp,
                        dusk_strerror(rc));
  if (fclose(f) != 0 && rc == 0)
    rc = dusk_error_set(err, -errno, "to_csv: writing %s: %s", tmp,
                        strerror(errno));
  if (rc == 0 && rename(tmp, path) != 0)
    rc = dusk_error_set(err, -errno, "to_csv: %s: %s", path, strerror(errno));
  if (rc != 0) {
    unlink(tmp);
    return rc;
  }
  if ((w = dusk_written_table_new()) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  row[DUSK_WRITTEN_FILE].type = DUSK_TYPE_STRING;
  row[DUSK_WRITTEN_FILE].u.s.ptr = path;
  row[DUSK_WRITTEN_FILE].u.s.len = strlen(path);
  row[DUSK_WRITTEN_ROWS].type = DUSK_TYPE_INT64;
  row[DUSK_WRITTEN_ROWS].u.i = (int64_t)(*result)->nrows;
  if ((rc = dusk_table_append_row(w, row)) != 0) {
    dusk_table_free(w);
    return dusk_error_set(err, rc, "out of memory");
  }
  dusk_table_free(*result);
  *result = w;
  return 0;
}

static void remove_parts(const merger *m) {
  const dusk_table *t = m->payload;
  const char *dir = m->p.root->dir;
  size_t dlen = dir ? strlen(dir) : 0;
  if (t == NULL || dir == NULL || t->ncols != DUSK_WRITTEN_NCOLS ||
      t->cols[DUSK_WRITTEN_FILE].type != DUSK_TYPE_STRING)
    return;
  for (size_t r = 0; r < t->nrows; r++) {
    dusk_value v;
    char path[4200];
    const char *name;
    dusk_table_get(t, DUSK_WRITTEN_FILE, r, &v);
    if (v.type != DUSK_TYPE_STRING || v.u.s.len >= sizeof path ||
        v.u.s.len <= dlen + 1 || memcmp(v.u.s.ptr, dir, dlen) != 0 ||
        v.u.s.ptr[dlen] != '/')
      continue;
    memcpy(path, v.u.s.ptr, v.u.s.len);
    path[v.u.s.len] = '\0';
    name = path + dlen + 1;
    if (strspn(name, "0123456789-") + strlen(".part") != strlen(name) ||
        strcmp(name + strspn(name, "0123456789-"), ".part") != 0)
      continue;
    unlink(path);
  }
}

/* A value_counts' answer from its merged counts: pandas' order and
 * shares, or describe()'s counts of a column. */
static int value_counts_result(const dusk_plan *vc, const dusk_hashagg *agg,
                               dusk_table **out) {
  dusk_table *g = NULL, *result = NULL;
  /* a column's counts are ordered by count, then first appearance: no
   * use sorting them by value first */
  int rc = vc->ncolumns > 1 ? dusk_hashagg_final(agg, &g)
                            : dusk_hashagg_final_by_first_row(agg, &g);
  if (rc == 0 && vc->ncolumns > 1)
    rc = group_value_counts_output(vc, g, &result);
  else if (rc == 0)
    rc = value_counts_output(g, vc->masked && vc->keep_na, &result);
  if (rc == 0 && vc->ncolumns == 1 && vc->normalize)
    rc = normalize_counts(&result);
  if (rc == 0 && vc->ncolumns == 1 && vc->describe_counts)
    rc = describe_counts_output(&result);
  dusk_table_free(g);
  if (rc != 0) {
    dusk_table_free(result);
    return rc;
  }
  *out = result;
  return 0;
}

/* The prologue of the ops that merge partials and check their ranges
 * as a final does (df_final, df_offsets, df_bounds, df_join_cuts):
 * decodes the call's tail args into *m, merges every input into it and
 * verifies the merged ranges (verify_ranges).  0 when they hold, with
 * *cut the last range index that counts.  Otherwise 1: the call has
 * failed - with the decoding's or a merge's error, or as verify_ranges
 * fails it - and *rc is what the op returns.  Either way the caller
 * destroys *m (merger_destroy).  remove_written: when the ranges do not
 * hold, a to_csv's final first removes the part files its inputs wrote
 * (remove_parts); not on a decoding or merge error, which leaves them. */
static int merger_open(merger *m, dusk_op_call *call, bool remove_written,
                       int *rc, int64_t *cut) {
  dusk_error err = {0};
  if ((*rc = merger_init(m, call->args, &err)) != 0 ||
      (*rc = merge_inputs(m, call, &err)) != 0) {
    *rc = fail(call, &err);
    return 1;
  }
  if (verify_ranges(m, call, rc, cut) == 0)
    return 0;
  if (remove_written && m->p.terminal == DUSK_PLAN_TO_CSV)
    remove_parts(m);
  return 1;
}

static int op_df_final(const dusk_op_api *api, dusk_op_call *call) {
  merger m;
  dusk_error err = {0};
  dusk_table *result = NULL, *tmp = NULL;
  int64_t cut = INT64_MAX;
  int rc;
  (void)api;
  /* (true: ranges that do not hold leave no written part behind) */
  if (merger_open(&m, call, true, &rc, &cut)) {
    merger_destroy(&m);
    return rc;
  }
  switch (m.p.terminal) {
  case DUSK_PLAN_GROUPBY:
    rc = m.p.agg ? dusk_hashagg_final(m.p.agg, &result) : DUSK_EINVAL;
    break;
  case DUSK_PLAN_VALUE_COUNTS:
    if (m.p.agg == NULL)
      rc = DUSK_EINVAL;
    else if (m.nparts > 0 && !grouped_value_counts(m.p.root))
      /* a column's split_out part: df_gather counts them */
      rc = dusk_hashagg_partial(m.p.agg, &result);
    else
      rc = value_counts_result(m.p.root, m.p.agg, &result);
    break;
  case DUSK_PLAN_LEN:
  case DUSK_PLAN_PERSIST: { /* persist: the rows its partitions hold */
    static const char *const len_names[] = {"len"}, *const rows_names[] = {
                                                        "rows"};
    const char *const *names =
        m.p.terminal == DUSK_PLAN_LEN ? len_names : rows_names;
    static const dusk_type types[] = {DUSK_TYPE_INT64};
    dusk_value v;
    v.type = DUSK_TYPE_INT64;
    v.u.i = m.payload ? m.payload->cols[DUSK_COUNT_ROWS].i64[0] : 0;
    result = dusk_table_new(names, types, 1, 0);
    rc = result ? dusk_table_append_row(result, &v) : DUSK_ENOMEM;
    break;
  }
  case DUSK_PLAN_DESCRIBE:
  case DUSK_PLAN_QUANTILE:
    if (m.payload == NULL ||
        (rc = dusk_qwindow_table_check(m.payload, &err)) != 0) {
      rc = m.payload ? rc : DUSK_EINVAL;
      break;
    }
    rc = quantile_output(m.p.root, m.payload, &result, &err);
    break;
  case DUSK_PLAN_TO_CSV:
    result = m.payload;
    m.payload = NULL;
    rc = result ? 0 : DUSK_EINVAL;
    break;
  case DUSK_PLAN_TOPK:
    /* (a tail's last rows come in file order: topk_trim) */
    if ((rc = merged_topk(&m, &tmp, &err)) != 0)
      break;
    rc = head_output(&m, tmp, &result, &err);
    break;
  case DUSK_PLAN_DROP_DUPLICATES:
    if (m.payload == NULL) {
      rc = DUSK_EINVAL;
      break;
    }
    if ((rc = dedup_rows(m.p.root, m.payload, &tmp, &err)) == 0)
      rc = head_output(&m, tmp, &result, &err);
    break;
  default:
    rc = m.payload ? trim_rows(&m, m.p.terminal == DUSK_PLAN_HEAD
                                       ? m.p.root->n
                                       : INT64_MAX,
                               &tmp)
                   : DUSK_EINVAL;
    if (rc == 0)
      rc = head_output(&m, tmp, &result, &err);
  }
  if (rc != 0) {
    if (err.message[0] == '\0')
      dusk_error_set(&err, rc, "final step: %s", dusk_strerror(rc));
    goto failed;
  }
  mark_source_na(&m, cut, result);
  if (m.p.terminal == DUSK_PLAN_VALUE_COUNTS && m.p.root->masked &&
      result->ncols > 0)
    result->cols[0].source_na = 0; /* an Int64 index keeps its ints */
  if (m.p.terminal == DUSK_PLAN_GROUPBY &&
      (rc = time_means(&m, result, &err)) != 0)
    goto failed;
  mark_logical(&m, result);
  mark_masked(&m, result);
  if (m.p.terminal == DUSK_PLAN_GROUPBY) {
    dusk_buf nulls;
    dusk_slice list;
    source_nulls(&m, cut, &nulls);
    list.ptr = nulls.data;
    list.len = nulls.len;
    rc = text_minmax_nulls(m.p.root, list, join_rows(m.ranges), &result,
                           &err);
    dusk_buf_destroy(&nulls);
    if (rc != 0)
      goto failed;
  }
  if (m.write_part) {
    /* one file of a shuffle merge's to_csv: its rows in the merge's
     * order and labels, through the steps after the rows' root */
    if ((rc = dusk_post_run(m.p.plan->inputs[0], m.p.root, &result,
                            &err)) != 0 ||
        (rc = write_sorted_part(m.p.plan->dir, m.part, &result, NULL,
                                &err)) != 0)
      goto failed;
  } else if (m.nparts > 0 && dusk_plan_sorted_write(m.p.plan)) {
    /* One part of a sorted to_csv: its rows sorted, then its file.  A
     * sort on top is written through its order rather than taken: the
     * take was a copy of the part into fresh memory. */
    const dusk_plan *top = m.p.plan;
    size_t *order = NULL;
    if (top->kind == DUSK_PLAN_SORT_VALUES && top != m.p.root &&
        top->ninputs == 1) {
      if ((rc = dusk_post_run(top->inputs[0], m.p.root, &result, &err)) ==
              0 &&
          (rc = dusk_post_sort_order(top, result, &order, &err)) == 0)
        rc = write_sorted_part(dusk_plan_sort_node(m.p.plan)->dir, m.part,
                               &result, order, &err);
    } else if ((rc = dusk_post_run(top, m.p.root, &result, &err)) == 0) {
      rc = write_sorted_part(dusk_plan_sort_node(m.p.plan)->dir, m.part,
                             &result, NULL, &err);
    }
    free(order);
    if (rc != 0)
      goto failed;
  } else if (m.nparts == 0 && /* a split_out part's: df_gather runs them */
             (rc = dusk_post_run(m.p.plan, m.p.root, &result, &err)) != 0) {
    goto failed;
  }
  call->result.len = 0;
  if ((rc = dusk_table_encode(result, &call->result)) != 0) {
    dusk_error_set(&err, rc, "encoding the result");
    goto failed;
  }
  dusk_table_free(result);
  dusk_table_free(tmp);
  merger_destroy(&m);
  return 0;
failed:
  dusk_table_free(result);
  dusk_table_free(tmp);
  merger_destroy(&m);
  return fail(call, &err);
}

/* ---- df_offsets ---------------------------------------------------------- */

/* The first row label of every range of a to_csv query: the rows of the
 * earlier ranges of the same file, from the merged partials of the
 * counting scans (whose quote states and errors are checked as df_final
 * checks them).  The result is a table [index, offset], one row per
 * range, sorted by index; each of the query's scans looks its own up. */
static int op_df_offsets(const dusk_op_api *api, dusk_op_call *call) {
  static const char *const names[] = {"index", "offset"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  merger m;
  dusk_error err = {0};
  dusk_table *result = NULL;
  size_t n, *order = NULL;
  int64_t file = -1, offset = 0, cut;
  int rc;
  (void)api;
  if (merger_open(&m, call, false, &rc, &cut)) {
    merger_destroy(&m);
    return rc;
  }
  n = m.ranges->nrows;
  order = dusk_xcalloc(n, sizeof *order);
  if ((result = dusk_table_new(names, types, 2, 0)) == NULL)
    dusk_xoom();
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  sort_by_index(m.ranges, order, n);
  for (size_t i = 0; i < n; i++) {
    const dusk_table_column *c = m.ranges->cols;
    int64_t index = c[DUSK_RANGES_INDEX].i64[order[i]];
    dusk_value row[2];
    if ((index >> 32) != file && (file < 0 || !chain_merges(m.p.root))) {
      file = index >> 32;
      offset = 0;
    }
    row[0].type = row[1].type = DUSK_TYPE_INT64;
    row[0].u.i = index;
    row[1].u.i = offset;
    offset += c[DUSK_RANGES_ROWS].i64[order[i]];
    if ((rc = dusk_table_append_row(result, row)) != 0) {
      dusk_error_set(&err, rc, "out of memory");
      goto failed;
    }
  }
  call->result.len = 0;
  if ((rc = dusk_table_encode(result, &call->result)) != 0) {
    dusk_error_set(&err, rc, "encoding the offsets");
    goto failed;
  }
  free(order);
  dusk_table_free(result);
  merger_destroy(&m);
  return 0;
failed:
  free(order);
  dusk_table_free(result);
  merger_destroy(&m);
  return fail(call, &err);
}

/* ---- df_bounds ----------------------------------------------------------- */

/* drop_duplicates' key round, merged: the first position of each key, in
 * file order, as a table of just __range and __row. */
static int dedup_positions(merger *m, dusk_table **out, dusk_error *err) {
  static const char *const names[] = {"__range", "__row"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  dusk_table *firsts = NULL, *pos;
  int rc;
  if (m->payload == NULL) /* no range had a row */
    return (*out = dusk_table_new(names, types, 2, 0)) != NULL
               ? 0
               : dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  if ((rc = dedup_rows(m->p.root, m->payload, &firsts, err)) != 0)
    return rc;
  pos = dusk_table_new(names, types, 2, 0);
  if (pos == NULL) {
    dusk_table_free(firsts);
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  }
  for (size_t r = 0; rc == 0 && r < firsts->nrows; r++) {
    dusk_value v[2];
    dusk_table_get(firsts, dusk_rows_range_col(firsts->ncols), r, &v[0]);
    dusk_table_get(firsts, dusk_rows_row_col(firsts->ncols), r, &v[1]);
    rc = dusk_table_append_row(pos, v);
  }
  dusk_table_free(firsts);
  if (rc != 0) {
    dusk_table_free(pos);
    return dusk_error_set(err, rc, "positions: %s", dusk_strerror(rc));
  }
  *out = pos;
  return 0;
}

/* A quantile's (or describe's) bounds: the merged run summaries of its
 * first scans (whose quote states and errors are checked as df_final
 * checks them) -> the window of every rank its quantiles read
 * (quantile.h), which each of its second scans takes as its one input.
 * A drop_duplicates' key round -> the positions of the rows to keep. */
static int op_df_bounds(const dusk_op_api *api, dusk_op_call *call) {
  merger m;
  dusk_error err = {0};
  dusk_table *result = NULL;
  const dusk_plan *root;
  int64_t cut;
  int rc;
  (void)api;
  if (merger_open(&m, call, false, &rc, &cut)) {
    merger_destroy(&m);
    return rc;
  }
  root = m.p.root;
  if (m.p.terminal == DUSK_PLAN_DROP_DUPLICATES) {
    if ((rc = dedup_positions(&m, &result, &err)) != 0)
      goto failed;
  } else if (m.p.terminal != DUSK_PLAN_QUANTILE &&
             m.p.terminal != DUSK_PLAN_DESCRIBE) {
    rc = dusk_error_set(&err, DUSK_EINVAL, "df_bounds on a %s query",
                        dusk_plan_kind_name(root->kind));
    goto failed;
  } else {
    if (m.payload == NULL &&
        (m.payload = dusk_qsummary_table_new()) == NULL) {
      rc = dusk_error_set(&err, DUSK_ENOMEM, "out of memory");
      goto failed;
    }
    size_t nq = root->nqs;
    const double *qs = m.p.terminal == DUSK_PLAN_QUANTILE
                           ? root->qs
                           : describe_percentiles(root, &nq);
    if ((rc = dusk_qbounds(m.payload, root->ncolumns, qs, nq, &result,
                           &err)) != 0)
      goto failed;
  }
  call->result.len = 0;
  /* drop_duplicates' rows round also takes the key round's (verified)
   * ranges, to report a range it need not read: [ranges, positions] */
  if ((rc = m.p.terminal == DUSK_PLAN_DROP_DUPLICATES
                ? emit_partial(call, m.ranges, result)
                : dusk_table_encode(result, &call->result)) != 0) {
    dusk_error_set(&err, rc, "encoding the bounds");
    goto failed;
  }
  dusk_table_free(result);
  merger_destroy(&m);
  return 0;
failed:
  dusk_table_free(result);
  merger_destroy(&m);
  return fail(call, &err);
}

/* ---- df_join_cuts ------------------------------------------------------- */

/* A shuffle merge's to_csv: the count round's join partials (len and
 * their ranges rows, whose group lists hold every row the merge made) ->
 * the nparts - 1 cuts (group, place) that part the rows into its files,
 * each about as long as the others (joinlabel.h dusk_join_cuts). */
static int op_df_join_cuts(const dusk_op_api *api, dusk_op_call *call) {
  static const char *const names[] = {"group", "place"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  merger m;
  dusk_error err = {0};
  dusk_table *result = NULL;
  const unsigned char **lists = NULL;
  size_t *len = NULL;
  uint64_t *nrows = NULL, *cg = NULL, *cp = NULL;
  int64_t cut;
  int rc;
  (void)api;
  if (merger_open(&m, call, false, &rc, &cut)) {
    merger_destroy(&m);
    return rc;
  }
  if (m.p.terminal != DUSK_PLAN_LEN || m.nparts < 1 ||
      m.nparts > JOIN_CUTS_MAX || !join_rows(m.ranges)) {
    rc = dusk_error_set(&err, DUSK_EINVAL,
                        "df_join_cuts: a count of joins' rows and 1 to %d "
                        "parts, expected",
                        JOIN_CUTS_MAX);
    goto failed;
  }
  lists = dusk_xcalloc(m.ranges->nrows + 1, sizeof *lists);
  len = dusk_xcalloc(m.ranges->nrows + 1, sizeof *len);
  nrows = dusk_xcalloc(m.ranges->nrows + 1, sizeof *nrows);
  cg = dusk_xcalloc(m.nparts, sizeof *cg);
  cp = dusk_xcalloc(m.nparts, sizeof *cp);
  if ((rc = join_lists(m.ranges, lists, len, nrows, "df_join_cuts", &err)) !=
          0 ||
      (rc = dusk_join_cuts(lists, len, nrows, m.ranges->nrows, m.nparts, cg,
                           cp, &err)) != 0)
    goto failed;
  if ((result = dusk_table_new(names, types, 2, 0)) == NULL) {
    rc = dusk_error_set(&err, DUSK_ENOMEM, "out of memory");
    goto failed;
  }
  for (uint32_t k = 0; k + 1 < m.nparts; k++) {
    dusk_value row[2];
    row[0].type = row[1].type = DUSK_TYPE_INT64;
    row[0].u.i = (int64_t)cg[k];
    row[1].u.i = (int64_t)cp[k];
    if ((rc = dusk_table_append_row(result, row)) != 0) {
      dusk_error_set(&err, rc, "out of memory");
      goto failed;
    }
  }
  call->result.len = 0;
  if ((rc = dusk_table_encode(result, &call->result)) != 0) {
    dusk_error_set(&err, rc, "encoding the cuts");
    goto failed;
  }
  rc = 0;
  goto out;
failed:
  rc = fail(call, &err);
out:
  dusk_table_free(result);
  free(lists);
  free(len);
  free(nrows);
  free(cg);
  free(cp);
  merger_destroy(&m);
  return rc;
}

int dusk_dfops_register(dusk_registry *r) {
  static const dusk_op_fn fns[DUSK_DF_NOPS] = {
      [DUSK_DF_SCAN] = op_df_scan,
      [DUSK_DF_COMBINE] = op_df_combine,
      [DUSK_DF_FINAL] = op_df_final,
      [DUSK_DF_OFFSETS] = op_df_offsets,
      [DUSK_DF_BOUNDS] = op_df_bounds,
      [DUSK_DF_SPLIT] = op_df_split,
      [DUSK_DF_GATHER] = op_df_gather,
      [DUSK_DF_SAMPLE] = op_df_sample,
      [DUSK_DF_CUTS] = op_df_cuts,
      [DUSK_DF_PICK] = op_df_pick,
      [DUSK_DF_PERSISTED] = op_df_persisted,
      [DUSK_DF_JOIN_SPLIT] = op_df_join_split,
      [DUSK_DF_JOIN] = op_df_join,
      [DUSK_DF_JOIN_CUTS] = op_df_join_cuts,
  };
  int rc;
  for (int op = 0; op < DUSK_DF_NOPS; op++)
    if ((rc = dusk_registry_add(r, dusk_df_op_name((dusk_df_op)op),
                                fns[op])) != 0)
      return rc;
  return 0;
}
