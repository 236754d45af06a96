/* csvscan.h - read one byte range of a CSV file as column batches.
 *
 * Ownership of records: a range [start, end) owns every record whose first
 * byte lies inside it; the record that crosses `end` is read to its end.
 * The first record of a range that does not begin at the file's first data
 * record starts right after the first record separator (a newline outside
 * quotes) at or after start - 1, given the quote state at `start`
 * (start_in_quotes: the parity of '"' bytes in [0, start), which the
 * scheduler knows or guesses).
 *
 * Fields follow RFC 4180 as pandas reads them: separator `sep`, '"' quotes,
 * "" inside quotes for a quote, commas and newlines allowed inside quotes;
 * CRLF and LF line ends; a last record without a newline.  Only the columns
 * mapped in col_map are converted (see fieldparse.h); others are skipped
 * without copying.  Every record must have exactly ncols_file fields.
 *
 * The scan reports the parity of '"' bytes in [start, end) so the scheduler
 * can check its guesses: range i's true start state is the XOR of the
 * parities of ranges 0..i-1.
 *
 * Errors (a negative return, err naming the file, the byte offset of the
 * record and, where known, its column):
 *   DUSK_EPARSE    ragged row (wrong field count), field over max_field
 *                  bytes, unterminated quote at end of file, invalid UTF-8
 *                  in a string column
 *   DUSK_EWIDEN    a value that does not fit its column's type; `conflict`
 *                  says which column, the value, and the narrowest type
 *                  that fits both (the scheduler widens and reruns)
 *   libuv/errno codes for I/O; DUSK_ECANCELED when canceled.
 * Thread-safe: each scan uses only its own state.  Memory is bounded by
 * the batch size, max_field and a read buffer, never by the file size.
 *
 * Two parsers read the records and give the same batches and errors: a
 * fast path for records without a '"' (most records of most files), and
 * libcsv for the rest (csvscan.c explains how).  The environment variable
 * DUSK_CSV_FASTPATH=0 sends every record through libcsv; any other value,
 * or none, allows the fast path.  It is read once at the start of each
 * scan (getenv: set it before starting threads that scan), so tests and
 * the pandas parity suite can run both ways.  DUSK_CSV_SIMD=swar or sse2,
 * read the same way, caps the fast path's vector code below what the CPU
 * offers (AVX2 where it has it), for tests; the batches are the same.
 *
 * nulls_only: a STRING output column marked true gets its valid bytes
 * only; its str_off and str_len stay 0 and nothing goes to the arena.  Its
 * fields are still checked as a full read checks them (NA strings, UTF-8,
 * max_field), so a scan gives the same rows, null flags and errors either
 * way.  Columns of other types are read in full (their values are what
 * detects a value needing a wider type). */
#ifndef DUSK_CSVSCAN_H
#define DUSK_CSVSCAN_H

#include "batch.h"
#include "errors.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dusk_csvscan_options {
  const char *path;
  char sep;                /* ',' by default */
  uint64_t start, end;     /* byte range; end may exceed the file size */
  bool start_in_quotes;    /* quote state at `start` */
  uint64_t data_start;     /* offset of the first data record (after the
                              header line and a UTF-8 BOM) */
  size_t ncols_file;       /* fields per record */
  const int *col_map;      /* per file column: output column or -1 */
  const dusk_type *types;  /* per output column */
  size_t nout;             /* output columns */
  size_t batch_rows;       /* rows per batch (e.g. 16384) */
  size_t max_field;        /* longest field in bytes (e.g. 1 MiB) */
  const volatile int *canceled; /* optional: polled between batches */
  const bool *nulls_only;       /* optional, per output column: true when the
                                   consumer reads only whether each value is
                                   null (count()); see below */
} dusk_csvscan_options;

typedef struct dusk_csvscan_conflict {
  size_t column;      /* output column */
  dusk_type widened;  /* narrowest type holding the old type and value */
  uint64_t offset;    /* byte offset of the record */
  char value[128];    /* the value (truncated) */
} dusk_csvscan_conflict;

typedef struct dusk_csvscan_stats {
  uint64_t rows;           /* records delivered */
  uint64_t bytes;          /* bytes read */
  int quote_parity;        /* parity of '"' in [start, end), or -1 when
                              the scan stopped before reading it all */
  uint64_t error_offset;   /* DUSK_EPARSE/EWIDEN: offset of the record */
  int64_t error_column;    /* file column of the value at fault, or -1 */
  dusk_csvscan_conflict conflict; /* for DUSK_EWIDEN */
  uint64_t fast_rows;      /* records the fast path read (the rest went
                              through libcsv); for tests and tuning */
} dusk_csvscan_stats;

/* Called with each full (and the last partial) batch.  Return 0 to go on,
 * 1 to stop early (e.g. head has its rows), or a negative code to fail. */
typedef int (*dusk_csvscan_fn)(void *arg, dusk_batch *batch);

int dusk_csvscan_run(const dusk_csvscan_options *o, dusk_csvscan_fn fn,
                     void *arg, dusk_csvscan_stats *stats, dusk_error *err);

/* Reads the header of path: the column names (heap strings, freed by the
 * caller with free() on each and on the array), their count, and the
 * offset of the first data record.  A UTF-8 BOM is skipped.  Errors name
 * the file: missing, a directory, empty, unreadable. */
int dusk_csv_read_header(const char *path, char sep, char ***names,
                         size_t *ncols, uint64_t *data_start,
                         dusk_error *err);

#endif
