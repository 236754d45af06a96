/* csvscan.h - read one byte range of a CSV file as column batches.
 *
 * Ownership of records: a range [start, end) owns every record whose first
 * byte lies inside it; the record that crosses `end` is read to its end.
 * The first record of a range that does not begin at the file's first data
 * record starts right after the first record separator (a line end outside
 * quotes) at or after start - 1, given the tokenizer state at `start`
 * (start_state, which the scheduler knows or guesses).
 *
 * Fields are quoted as pandas 1.5's C parser (tokenizer.c) reads them:
 * separator `sep`; a '"' at the start of a field opens a quoted field, in
 * which "" is a quote and separators and line ends are data; a '"' anywhere
 * else in an unquoted field is an ordinary byte (37.8"N, 12" pizza); CRLF,
 * LF and CR line ends; a last record without a newline.  Text after the
 * closing quote of a quoted field ("ab"cd, which pandas reads as abcd) is
 * DUSK_EPARSE.  Only the columns mapped in col_map are converted (see
 * fieldparse.h); others are skipped without copying.  Every record must
 * have exactly ncols_file fields.
 *
 * Whether a line end ends a record depends on that state, which is no
 * longer the parity of the quotes before it (a literal quote does not
 * count).  So a scan reports its range's state transfer: for each state
 * the tokenizer may be in at `start`, the state it is in at `end` (a map
 * of four states, dusk_csvscan_state_after reads it).  Range i's true
 * start state is the first range's state (DUSK_CSV_FIELD_START at the
 * first data record) carried through the transfers of ranges 0..i-1, which
 * the scheduler composes to check every guess.
 *
 * Errors (a negative return, err naming the file, the byte offset of the
 * record and, where known, its column):
 *   DUSK_EPARSE    ragged row (wrong field count), field over max_field
 *                  bytes, unterminated quote at end of file, text after a
 *                  closing quote, invalid UTF-8 in a string column, a
 *                  missing value in a no_na column, a value of a
 *                  datetime column that pandas certainly reads as a
 *                  date-time in a form dusk does not (fieldparse.h,
 *                  dusk_field_pandas_datetime; any other misfit there
 *                  is DUSK_EWIDEN to text)
 *   DUSK_EWIDEN    a value that does not fit its column's type; `conflict`
 *                  says which column, the value, and the narrowest type
 *                  that fits both (the scheduler widens and reruns)
 *   libuv/errno codes for I/O; DUSK_ECANCELED when canceled.
 * Thread-safe: each scan uses only its own state.  Memory is bounded by
 * the batch size, max_field and a read buffer, never by the file size.
 *
 * Two parsers read the records and give the same batches and errors: a
 * fast path for records without a quoted field (most records of most
 * files: a '"' inside an unquoted field does not count), and libcsv for
 * the rest (csvscan.c explains how).  The environment variable
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
#include "source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tokenizer's state between two bytes, as far as it decides where
 * records and quoted fields end (pandas' START_FIELD, IN_FIELD,
 * IN_QUOTED_FIELD and QUOTE_IN_QUOTED_FIELD). */
typedef enum dusk_csv_state {
  DUSK_CSV_GUESS = 0,          /* options only: outside quotes, the rest read
                                  from the byte before start (a separator or
                                  line end: FIELD_START, a '"': QUOTE_IN_QUOTES,
                                  else IN_FIELD) */
  DUSK_CSV_FIELD_START = 1,    /* at the start of a field: '"' opens quotes */
  DUSK_CSV_IN_FIELD = 2,       /* in an unquoted field: '"' is data */
  DUSK_CSV_IN_QUOTES = 3,      /* in a quoted field: only '"' ends it */
  DUSK_CSV_QUOTE_IN_QUOTES = 4 /* after a '"' in a quoted field: a second
                                  '"' is a quote, a separator or line end
                                  ends the field */
} dusk_csv_state;

/* The state at the end of a range whose transfer (dusk_csvscan_stats) is
 * `transfer`, given the state at its start (FIELD_START..QUOTE_IN_QUOTES);
 * 0 when transfer is unknown (negative) or state out of range. */
int dusk_csvscan_state_after(int transfer, int state);

typedef struct dusk_csvscan_options {
  const char *path;        /* a local path or a URL (source.h) */
  const char *version;     /* optional: the object's version (ETag) the
                              query was planned from; reads are pinned
                              to it */
  uint64_t object_size;    /* optional (0: learn it): its planned size */
  const dusk_store_options *store; /* optional: how to reach the store */
  char sep;                /* ',' by default */
  uint64_t start, end;     /* byte range; end may exceed the file size */
  int start_state;         /* dusk_csv_state at `start`; ignored when
                              start <= data_start */
  uint64_t data_start;     /* offset of the first data record (after the
                              header line and a UTF-8 BOM) */
  size_t ncols_file;       /* fields per record */
  const int *col_map;      /* per file column: output column or -1 */
  const dusk_type *types;  /* per output column */
  size_t nout;             /* output columns */
  const uint8_t *datetime; /* optional, per output column: 1 for an int64
                              column read as ISO date-times into
                              nanoseconds (fieldparse.h; value.h's
                              datetime type), whose misfit needs text */
  size_t nderived;         /* the last nderived of them are not read from
                              the file: the batch holds them for the
                              caller's derived columns (plan.h assign),
                              which it writes itself */
  size_t batch_rows;       /* rows per batch (e.g. 16384) */
  size_t max_field;        /* longest field in bytes (e.g. 1 MiB) */
  const volatile int *canceled; /* optional: polled between batches */
  const bool *nulls_only;       /* optional, per output column: true when the
                                   consumer reads only whether each value is
                                   null (count()); see below */
  const dusk_type *no_na;       /* optional, per output column: INT64 or
                                   BOOL where read_csv's dtype is numpy's
                                   int64 or bool, which hold no missing
                                   value (pandas' read_csv raises on one:
                                   here DUSK_EPARSE naming the record and
                                   column), else DUSK_TYPE_NULL */
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
  int quote_transfer;      /* the state transfer of [start, end), or -1
                              when the scan stopped before reading it all
                              (see dusk_csvscan_state_after) */
  int start_state;         /* the state the scan started in: start_state,
                              or the guess it made, or FIELD_START when
                              start <= data_start */
  uint64_t error_offset;   /* DUSK_EPARSE/EWIDEN: offset of the record */
  int64_t error_column;    /* file column of the value at fault, or -1 */
  dusk_csvscan_conflict conflict; /* for DUSK_EWIDEN */
  uint64_t fast_rows;      /* records the fast path read (the rest went
                              through libcsv); for tests and tuning */
  bool io_failed;          /* the failure was opening or reading the file
                              or object (source.h), not its contents or
                              the consumer */
} dusk_csvscan_stats;

/* Called with each full (and the last partial) batch.  Return 0 to go on,
 * 1 to stop early (e.g. head has its rows), or a negative code to fail;
 * a consumer that also set the run's err to that code with a message has
 * its message kept (after the path). */
typedef int (*dusk_csvscan_fn)(void *arg, dusk_batch *batch);

int dusk_csvscan_run(const dusk_csvscan_options *o, dusk_csvscan_fn fn,
                     void *arg, dusk_csvscan_stats *stats, dusk_error *err);

/* The transfer of bytes [start, end) of path (the quote_transfer a scan
 * of that range reports), reading them in bounded chunks.  0 or an I/O
 * error with err. */
int dusk_csvscan_transfer(const char *path, const dusk_store_options *store,
                          char sep, uint64_t start, uint64_t end,
                          uint64_t data_start, int *transfer,
                          dusk_error *err);

/* Reads the header of path: the column names (heap strings, freed by the
 * caller with free() on each and on the array), their count, and the
 * offset of the first data record.  A UTF-8 BOM is skipped.  Errors name
 * the file: missing, a directory, empty, unreadable. */
int dusk_csv_read_header(const char *path, char sep, char ***names,
                         size_t *ncols, uint64_t *data_start,
                         dusk_error *err);
/* The same for an object as listed (version and size, UINT64_MAX when
 * unknown; source.h), through store. */
int dusk_csv_read_header_at(const char *path, const char *version,
                            uint64_t size, const dusk_store_options *store,
                            char sep, char ***names, size_t *ncols,
                            uint64_t *data_start, dusk_error *err);

#endif
