/* partition.h - a persisted partition: the parsed rows of one byte range,
 * every column of its file, in one byte buffer (a task's result).
 *
 * persist() keeps a frame's ranges in worker memory in this form, so later
 * queries copy the columns they read into their batches instead of
 * parsing CSV again.  The buffer is a task result like any other: it may
 * be fetched by a peer or copied off a leaving worker, so every offset and
 * length in it is checked against the buffer before use (dusk_part_open),
 * as for anything that arrives from the network.
 *
 * Layout (little-endian, every array 8-byte aligned from the buffer's
 * start):
 *   header   magic "DKPART1\0", u32 ncols, u32 reserved (0), u64 nrows,
 *            u64 meta_len, then per column: u8 logical type (value.h),
 *            u8 reserved, u16 name length, u32 reserved, u64 offset of its
 *            data block, u64 length of its data block, the name bytes
 *   meta     meta_len opaque bytes (dfops keeps the scan's encoded partial
 *            result there: what the query's final step checks)
 *   columns  per column, its data block:
 *              valid      nrows bytes (1 present, 0 null)
 *              INT64 and the int64-stored logical types: nrows int64
 *              FLOAT64: nrows doubles
 *              BOOL:    nrows bytes
 *              STRING:  nrows + 1 uint64 offsets into the text that
 *                       follows (offsets[0] = 0, non-decreasing, row r's
 *                       bytes are [offsets[r], offsets[r+1]); a null has
 *                       none), then the text bytes
 * The whole range's rows are in one set of arrays; a reader slices them
 * into batches.  The layout is canonical: each column entry, the meta and
 * each data block start at the first multiple of 8 after what precedes
 * them (padding bytes 0), and the buffer ends at the multiple of 8 after
 * the last block; dusk_part_open refuses anything else. */
#ifndef DUSK_PARTITION_H
#define DUSK_PARTITION_H

#include "batch.h"
#include "buf.h"
#include "errors.h"
#include "value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest column name a partition holds (a CSV header's, bounded). */
#define DUSK_PART_MAX_NAME 65535
/* The most columns a partition holds. */
#define DUSK_PART_MAX_COLS 65536

/* ---- writing ------------------------------------------------------------- */

typedef struct dusk_part_builder dusk_part_builder;

/* A builder of ncols columns named names[c], of logical types types[c]
 * (value.h; the batches it is given hold dusk_type_physical of each).
 * Names are copied.  0, DUSK_EINVAL (no columns, a type outside value.h,
 * a name too long, a name twice - its partition would not open) or
 * DUSK_ENOMEM. */
int dusk_part_builder_new(const char *const *names, const dusk_type *types,
                          size_t ncols, dusk_part_builder **out);
/* Appends b's rows: its columns 0..ncols-1 are the builder's, in order,
 * of the builder's physical types (more batch columns are ignored).  0,
 * DUSK_EINVAL (a column of another type, fewer columns) or DUSK_ENOMEM.
 * The rows are copied into one allocation of their size (a chunk) until
 * dusk_part_builder_finish: a builder holds about its finished
 * partition's size. */
int dusk_part_builder_add(dusk_part_builder *pb, const dusk_batch *b);
/* Rows appended so far. */
uint64_t dusk_part_builder_rows(const dusk_part_builder *pb);
/* Bytes the finished partition will take (for memory accounting). */
uint64_t dusk_part_builder_size(const dusk_part_builder *pb, size_t meta_len);
/* Appends the finished partition, with meta as its opaque meta bytes, to
 * out (which starts it: out->len must be a multiple of 8, usually 0),
 * writing each byte once.  out grows to exactly its new length when it
 * lacks room (a partition's buffer is kept as long as the partition), so
 * an empty out ends with cap == len == dusk_part_builder_size.  The
 * builder's rows are freed as they are written, so that they are not
 * held twice: afterwards the builder answers _rows and _size as before,
 * refuses _add and _finish (DUSK_EINVAL) and is freed as usual.  0,
 * DUSK_EINVAL (finished already) or DUSK_ENOMEM (the builder unchanged). */
int dusk_part_builder_finish(dusk_part_builder *pb, dusk_slice meta,
                             dusk_buf *out);
void dusk_part_builder_free(dusk_part_builder *pb);

/* ---- reading ------------------------------------------------------------- */

typedef struct dusk_part_column {
  dusk_slice name;     /* borrowed from the buffer */
  dusk_type type;      /* logical */
  const uint8_t *valid;
  const unsigned char *data;     /* the values (int64/double/bool bytes) or,
                              for STRING, the nrows + 1 offsets */
  const char *text;    /* STRING: the text bytes */
  uint64_t text_len;
} dusk_part_column;

/* A checked view of a partition buffer; everything borrows from it. */
typedef struct dusk_part {
  uint64_t nrows;
  size_t ncols;
  dusk_part_column *cols; /* heap: dusk_part_close frees it */
  dusk_slice meta;
  bool trusted; /* the bytes are as a builder wrote them (the caller
                   knows: made in this process, never on disk or the
                   wire): loads skip their row checks */
} dusk_part;

/* Checks bytes as a partition and opens a view of it: magic, sizes and
 * every block within the buffer, arrays aligned, each STRING column's
 * offsets starting at 0 and ending at its text's end, no two columns of
 * one name: O(columns), so a query may open a large partition to read
 * one column.  The rows' own flags and offsets are checked as they load
 * (dusk_part_load).  0, or DUSK_EPROTO with err saying what is wrong
 * (bytes from a peer are untrusted), or DUSK_ENOMEM. */
int dusk_part_open(dusk_slice bytes, dusk_part *p, dusk_error *err);
void dusk_part_close(dusk_part *p);
/* The column named name (len bytes), or -1. */
int dusk_part_find(const dusk_part *p, const char *name, size_t len);

/* Loads rows [row, row + n) of the partition into batch b (cleared first;
 * n <= b->cap, row + n <= nrows): for each k < nmap, partition column
 * src[k] into batch column dst[k], whose type must be the column's
 * physical type (else DUSK_EINVAL).  With nulls_only[k] true (nulls_only
 * may be NULL) a column of any type gets its valid bytes only: its values
 * are left as they were (a count reads only whether each is null, and
 * copying them would cost most of the load).  Batch
 * columns not listed are left with nrows rows of unspecified content
 * (the caller's derived columns write them).  b->nrows = n and
 * b->first_row = row.  The rows loaded are checked first (valid and bool
 * bytes 0 or 1: a count adds valid bytes; a STRING column's offsets
 * ascending within its text, a null's empty).  0, or with err:
 * DUSK_EPROTO (damaged rows), DUSK_EINVAL (bad arguments) or
 * DUSK_ENOMEM (the arena). */
int dusk_part_load(const dusk_part *p, uint64_t row, size_t n,
                   const int *src, const int *dst, const bool *nulls_only,
                   size_t nmap, dusk_batch *b, dusk_error *err);

/* dusk_part_load without copying what need not be copied: each listed
 * column's valid bytes and, of a fixed-width type, its values point into
 * the partition (when aligned; else they are copied), while STRING values
 * load as dusk_part_load loads them.  For readers that never write the
 * batch's arrays (a scan without steps), while the partition lives.
 * own[0..b->ncols) must hold b's own columns (a copy of b->cols taken
 * before the first borrow); dusk_part_restore puts them back, which must
 * happen before b is loaded otherwise or destroyed.  Checks and returns
 * as dusk_part_load. */
int dusk_part_borrow(const dusk_part *p, uint64_t row, size_t n,
                     const int *src, const int *dst, const bool *nulls_only,
                     size_t nmap, dusk_batch *b, const dusk_column *own,
                     dusk_error *err);
void dusk_part_restore(dusk_batch *b, const dusk_column *own);

#endif
