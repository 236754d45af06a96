/* dftask.h - the arguments of the dataframe tasks the scheduler lowers a
 * query into, and the partial results they pass along.
 *
 *   df_scan    one byte range of one file: scan, then the plan's steps up to
 *              its terminal (groupby, head, ...), giving a partial result
 *   df_combine merges partial results (a tree reduction)
 *   df_final   turns the one merged partial into the result table
 *   df_offsets (to_csv) turns the merged partials of scans that only count
 *              rows into each range's first row label: a table [index,
 *              offset] that every to_csv scan takes as its one input
 *   df_bounds  (quantile, describe) turns the merged run summaries of a
 *              first round of scans into the value windows a second round
 *              counts in (quantile.h); each of those scans takes it as its
 *              one input
 *
 * Every task carries the plan fragment it runs: the chain of plan nodes
 * from a READ_CSV leaf (holding the one file and the resolved types of the
 * columns it reads) up to the query's root.  combine and final look only at
 * the root (and final at the leaf's types).  A partial result is two
 * tables: one row per scanned range (index, the quote state it assumed,
 * the state transfer of its bytes, rows scanned, the columns it met a null
 * in; csvscan.h), so the final step can check every range's guess and mark
 * the result columns pandas would hold as float64 / object, and the
 * payload (partial aggregate state, or rows). */
#ifndef DUSK_DFTASK_H
#define DUSK_DFTASK_H

#include "buf.h"
#include "errors.h"
#include "plan.h"
#include "table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The ops a query is lowered into, named once: the scheduler submits them
 * by these names and the worker registers them under the same. */
typedef enum dusk_df_op {
  DUSK_DF_SCAN,    /* "df_scan": one byte range -> a partial result */
  DUSK_DF_COMBINE, /* "df_combine": partials -> one partial */
  DUSK_DF_FINAL,   /* "df_final": the last partial -> the result table */
  DUSK_DF_OFFSETS, /* "df_offsets": to_csv's counting stage's partials ->
                      each range's first row label (label_base) */
  DUSK_DF_BOUNDS,  /* "df_bounds": a quantile's first scans' partials ->
                      the windows its second scans count (quantile.h);
                      a drop_duplicates' key scans' partials -> the
                      positions of the rows its second scans keep (a
                      rows table of no visible column, in file order) */
  DUSK_DF_SPLIT,   /* "df_split": a groupby scan's partial -> the part of
                      its groups (by key hash) one split_out part merges
                      (tail args part/nparts; runs where the partial is) */
  DUSK_DF_GATHER,  /* "df_gather": the split_out parts' results -> one
                      result, its groups in key order, post steps run */
  DUSK_DF_PERSISTED, /* "df_persisted": a persisted partition (a persist
                        query's scan) -> the partial its meta holds, for
                        the query's combines (run where the partition is) */
  /* A sorted to_csv's range partitions (rangepart.h): */
  DUSK_DF_SAMPLE,  /* "df_sample": a scan's rows partial -> a sample of its
                      rows (run where the partial is) */
  DUSK_DF_CUTS,    /* "df_cuts": the samples -> the nparts - 1 cut rows */
  /* df_split with the cuts as a second input: the partial's rows cut into
   * every part at once - a msgpack array of nparts partials (bin) */
  DUSK_DF_PICK,    /* "df_pick": that array -> its part (tail args' part),
                      a partial (run where the array is) */
  /* A shuffle merge (scheduler/query.c add_shuffle_join): */
  DUSK_DF_JOIN_SPLIT, /* "df_join_split": a scan's rows partial of one side
                         of the merge (tail args' part: 0 the left, 1 the
                         right) -> its rows cut by key hash into every
                         part, an array as df_split's with cuts */
  DUSK_DF_JOIN,    /* "df_join": part j's left picks, then its right
                      table (a df_final of the right picks) -> the
                      partial of the steps after the merge over the joined
                      rows of part j (tail args' part of nparts) */
  DUSK_DF_JOIN_CUTS, /* "df_join_cuts": a to_csv's count round of joins
                        -> the cuts (group, place) that part their rows
                        into the files (joinlabel.h dusk_join_cuts) */
  DUSK_DF_NOPS
} dusk_df_op;

/* The op's name on the wire ("df_scan", ...); NULL outside the enum. */
const char *dusk_df_op_name(dusk_df_op op);
/* The op a name denotes, or DUSK_DF_NOPS when it is none of them. */
dusk_df_op dusk_df_op_parse(dusk_slice name);

/* Failures the scheduler acts on do not travel as text: df ops report them
 * as TASK_FAILED reasons with typed fields (proto/msg.h: DUSK_FAIL_WIDEN
 * with the column and the type it needs, DUSK_FAIL_QUOTES with the ranges
 * whose starting tokenizer state was guessed wrong and the right states,
 * DUSK_FAIL_MIXED with the columns a fillna met a null in that it fills
 * with another kind of value), and the message is only for a person. */

typedef struct dusk_scan_args {
  dusk_slice plan;       /* encoded plan fragment (dusk_plan_encode) */
  dusk_slice path;
  uint64_t start, end;   /* byte range */
  uint64_t data_start;   /* first data record of the file */
  uint64_t file_size;    /* the size the query was planned from */
  uint8_t start_state;   /* dusk_csv_state at start (csvscan.h); 0: the
                            scan guesses */
  uint64_t index;        /* (file ordinal << 32) | range ordinal within
                            the file: sorting by it gives file order */
  uint32_t nheader;      /* columns of the file, in file order */
  dusk_slice *header;    /* their names (decode: borrowed, see below) */
  uint64_t max_field;    /* longest field, bytes: the scheduler's limit,
                            1..DUSK_SCAN_MAX_FIELD */
  dusk_slice version;    /* a remote object's ETag as listed (source.h),
                            at most DUSK_SCAN_MAX_VERSION bytes; empty for
                            a local file */
  bool persisted;        /* the task's first input is this range's
                            persisted partition (partition.h), which the
                            scan reads instead of the file when its
                            columns and types are the ones it needs */
} dusk_scan_args;

/* The longest version a scan accepts (dusk_object's, less its NUL). */
#define DUSK_SCAN_MAX_VERSION 127

/* The most max_field may say: a worker reserves up to this per field. */
#define DUSK_SCAN_MAX_FIELD ((uint64_t)1 << 30)

/* Encodes a (0 or DUSK_ENOMEM). */
int dusk_scan_args_encode(const dusk_scan_args *a, dusk_buf *out);
/* Decodes bytes into *a; slices borrow from bytes, and a->header is heap
 * memory the caller frees.  0 or a negative code with err. */
int dusk_scan_args_decode(dusk_slice bytes, dusk_scan_args *a,
                          dusk_error *err);

/* The arguments of df_combine, df_final and df_offsets (the "tail" of a
 * query's graph): the same for every such task of an attempt. */
typedef struct dusk_tail_args {
  dusk_slice plan;  /* encoded plan fragment (dusk_plan_encode): they read
                       its root, and df_final its leaf's types */
  dusk_slice nulls; /* for df_final: the columns of the query's files that
                       the scheduler's sample saw a null in, named as a
                       DUSK_RANGES_NULLS report names them (may be empty) */
  /* A groupby's split_out (plan.h): for df_split, the part it keeps (0..
   * nparts-1) of nparts; for df_final, nparts > 1 marks one part's final,
   * which leaves the post steps to df_gather.  0 and 0 otherwise. */
  uint32_t part, nparts;
  /* For df_final: label the rows by their place across every file, not
   * within their file (a shuffle merge's right table, whose joins order
   * rows by the right's labels: scheduler/query.c add_shuffle_join). */
  bool positions;
  /* For df_join: its first input is the table of a second round (a
   * quantile's bounds), before the left picks (scheduler/query.c
   * add_shuffle_join). */
  bool stage_first;
  /* A shuffle merge's to_csv (add_shuffle_join): for df_join, groups -
   * number its rows by order group and report the group lists whatever
   * the terminal (the count round, whose lists df_join_cuts parts); for
   * df_final and df_gather, write_part - the final labels its rows and
   * writes them as file `part` of the plan's to_csv directory, the
   * gather lists the files. */
  bool groups, write_part;
} dusk_tail_args;

/* Encodes a: [plan (bin), nulls (str)], then [part, nparts] when nparts
 * is set, then [part, nparts, flags] when a flag is (nparts may then be
 * 0; flags: 1 positions, 2 stage_first, 4 groups, 8 write_part).  0 or
 * DUSK_ENOMEM. */
int dusk_tail_args_encode(const dusk_tail_args *a, dusk_buf *out);
/* Decodes bytes into *a, whose slices borrow from bytes.  0 or a negative
 * code with err. */
int dusk_tail_args_decode(dusk_slice bytes, dusk_tail_args *a,
                          dusk_error *err);

/* The line (1-based, counting every newline byte) holding byte offset of
 * path, or 0 when it cannot be read: for wording errors. */
uint64_t dusk_line_of(const char *path, uint64_t offset);

/* Writes "<path> line <L>[, column '<name>']: <message>" into out,
 * dropping a "<path>: " that message may already start with (L from
 * dusk_line_of; column may be NULL). */
void dusk_error_at_line(char *out, size_t outlen, const char *path,
                        uint64_t offset, const char *column,
                        const char *message);

/* ---- partial results ------------------------------------------------------
 * The tables df_scan produces and df_combine / df_final consume, column by
 * named position.  The constructors build exactly these layouts and the
 * checks refuse a table of any other layout (a partial is merged only after
 * its columns have the types its readers index them as). */

/* Ranges: one row per scanned range. */
enum {
  DUSK_RANGES_INDEX,   /* int64: dusk_scan_args.index */
  DUSK_RANGES_FILE,    /* int64: the file ordinal (index >> 32) */
  DUSK_RANGES_ASSUMED, /* int64: the tokenizer state (dusk_csv_state,
                          csvscan.h) the scan started in */
  DUSK_RANGES_TRANSFER, /* int64: the range's state transfer (csvscan.h),
                           -1 when a head stopped in it (later ranges
                           unused) or it is unknown */
  DUSK_RANGES_ROWS,    /* int64: rows scanned */
  DUSK_RANGES_ERROR,   /* string or null: a scan failure that may be an
                          artefact of a wrong quote-state guess, held back
                          until the final step has checked every guess */
  DUSK_RANGES_WIDEN_COLUMN, /* string or null: when that failure is a value
                               needing a wider type, the column in full */
  DUSK_RANGES_WIDEN_TYPE,   /* int64 or null: the dusk_type it needs */
  DUSK_RANGES_MIXED, /* string or null: when that failure is a fillna
                        meeting a null it fills with another kind of value
                        (plan.h, mixed), the columns it met them in, joined
                        by DUSK_MIXED_SEP */
  DUSK_RANGES_NULLS, /* string or null: the int64, text and bool columns
                        the scan
                        read that hold a null in its range, in the file
                        (before any fillna or filter), joined by
                        DUSK_NULLS_SEP: pandas' read_csv holds such a
                        column as float64 / object.  Only the columns
                        dusk_nulls_count says count; null when none. */
  DUSK_RANGES_GROUPS, /* string or null: a shuffle join part's order groups
                         and their rows, packed (joinlabel.h), when its rows
                         are shown after a step that drops some; null
                         elsewhere */
  DUSK_RANGES_NCOLS
};

#define DUSK_MIXED_SEP '\x1f' /* between the columns of DUSK_RANGES_MIXED */
#define DUSK_NULLS_SEP DUSK_MIXED_SEP /* ... and of DUSK_RANGES_NULLS */
/* In DUSK_RANGES_NULLS, no column's name: the rows' labels hold a NaN (a
 * DataFrame.join's right-only rows), so pandas' index is float64 for
 * every row shown, as a column with a null is. */
#define DUSK_NULLS_LABEL "\x1elabel"

/* Whether a null in the CSV column `name`, read as `type` by the linear
 * plan fragment frag (a READ_CSV leaf and the steps above it, as a scan
 * runs it), belongs in a nulls report: an int64 column always (pandas
 * holds it as float64 whatever follows; fillna(0) leaves it float64), a
 * text column always (its own dtype is object either way, but an int
 * derived from it - to_datetime(s).dt.hour, s.str.len() - is float64 in
 * pandas when it held a NaN), a bool column unless a fillna of frag fills
 * it with a bool (pandas then infers bool again), float64 never. */
bool dusk_nulls_count(const dusk_plan *frag, const char *name, dusk_type type);

/* Name lists joined by DUSK_NULLS_SEP.  Names are never empty (read_csv
 * calls an empty header "Unnamed: <i>"); one holding the separator byte
 * would read as two names (CSV headers do not hold control bytes).
 * dusk_names_has: whether list names name (len bytes).  dusk_names_add:
 * appends name to joined unless it is there already; 0 or DUSK_ENOMEM. */
bool dusk_names_has(dusk_slice list, const char *name, size_t len);
int dusk_names_add(dusk_buf *joined, const char *name, size_t len);

/* quantile and describe: their layouts are quantile.h's. */

/* len: one row, one column. */
enum { DUSK_COUNT_ROWS, DUSK_COUNT_NCOLS };

/* to_csv: one row per part file written. */
enum { DUSK_WRITTEN_FILE, DUSK_WRITTEN_ROWS, DUSK_WRITTEN_NCOLS };

/* head and collect: the visible columns, then DUSK_ROWS_NEXTRA columns
 * "__range" (the range's index) and "__row" (the row's ordinal within its
 * range), which put the rows back in file order. */
#define DUSK_ROWS_NEXTRA 2
static inline size_t dusk_rows_range_col(size_t ncols) { return ncols - 2; }
static inline size_t dusk_rows_row_col(size_t ncols) { return ncols - 1; }

/* Empty tables of these layouts; NULL when out of memory.
 * dusk_count_table_new holds its one row, n. */
dusk_table *dusk_ranges_table_new(void);
dusk_table *dusk_count_table_new(int64_t n);
dusk_table *dusk_written_table_new(void);

/* 0 when t has the layout, else DUSK_ETYPE with err naming the table and
 * the first column that differs. */
int dusk_ranges_table_check(const dusk_table *t, dusk_error *err);
int dusk_count_table_check(const dusk_table *t, dusk_error *err);
int dusk_written_table_check(const dusk_table *t, dusk_error *err);
/* Rows of head/collect: the two trailing int64 columns. */
int dusk_rows_table_check(const dusk_table *t, dusk_error *err);

/* A partial result: two encoded tables (dusk_table_encode). */
int dusk_partial_encode(dusk_slice ranges, dusk_slice payload, dusk_buf *out);
int dusk_partial_decode(dusk_slice bytes, dusk_slice *ranges,
                        dusk_slice *payload, dusk_error *err);

#endif
