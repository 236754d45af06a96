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
 *
 * Every task carries the plan fragment it runs: the chain of plan nodes
 * from a READ_CSV leaf (holding the one file and the resolved types of the
 * columns it reads) up to the query's root.  combine and final look only at
 * the root.  A partial result is two tables: one row per scanned range
 * (index, the quote state it assumed, the state transfer of its bytes,
 * rows scanned; csvscan.h), so the final step can check every range's
 * guess, and the payload (partial aggregate state, or rows). */
#ifndef DUSK_DFTASK_H
#define DUSK_DFTASK_H

#include "buf.h"
#include "errors.h"

#include <stdbool.h>
#include <stdint.h>

/* Task failures the scheduler acts on start with a line it can parse:
 *   "DUSK-WIDEN <type> <column>\n..."    a value needs a wider column type
 *                                       (the scheduler widens and reruns);
 *   "DUSK-QUOTES <i>-<j>=<s>,...\n..."    ranges i..j whose quote-state
 *                                       guess was wrong, with the right
 *                                       state s (dusk_csv_state, 1-4);
 *   "DUSK-MIXED <column>[<US><column>...]\n..."
 *                                       a fillna met a null in a column
 *                                       it fills with another kind of
 *                                       value (plan.h, mixed): the
 *                                       scheduler reruns with the column
 *                                       mixed, or refuses what pandas'
 *                                       object column would not allow.
 * The rest of the message says the same for a person. */
#define DUSK_WIDEN_TAG "DUSK-WIDEN "
#define DUSK_QUOTES_TAG "DUSK-QUOTES "
#define DUSK_MIXED_TAG "DUSK-MIXED "
#define DUSK_MIXED_SEP '\x1f' /* between the columns of DUSK-MIXED (US) */

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
} dusk_scan_args;

/* Encodes a (0 or DUSK_ENOMEM). */
int dusk_scan_args_encode(const dusk_scan_args *a, dusk_buf *out);
/* Decodes bytes into *a; slices borrow from bytes, and a->header is heap
 * memory the caller frees.  0 or a negative code with err. */
int dusk_scan_args_decode(dusk_slice bytes, dusk_scan_args *a,
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

/* A partial result: two encoded tables (dusk_table_encode). */
int dusk_partial_encode(dusk_slice ranges, dusk_slice payload, dusk_buf *out);
int dusk_partial_decode(dusk_slice bytes, dusk_slice *ranges,
                        dusk_slice *payload, dusk_error *err);

#endif
