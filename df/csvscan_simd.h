/* csvscan_simd.h - the structural indexer of the CSV fast path (csvscan.c).
 *
 * An indexer appends the structural bytes (the separator, '\r', '\n') of
 * u[*cur, len) to an index, 64 bytes at a time, until `want` entries are
 * held or the span is indexed: idx[] gets their offsets in order, eolj[]
 * the entry numbers of the line ends among them, *cnt and *ne the counts.
 * *cur advances by whole blocks (the last may be short).  idx and eolj
 * need room for 64 entries past `want`, which an indexer may use as
 * scratch.  *high gets a nonzero value ORed in when a byte looked at is
 * not ASCII.  A '"' is an ordinary byte here: the caller indexes only
 * spans that open no quoted field (a '"' in one is inside an unquoted
 * field).  Every variant gives the same entries. */
#ifndef DUSK_CSVSCAN_SIMD_H
#define DUSK_CSVSCAN_SIMD_H

#include <stddef.h>
#include <stdint.h>

typedef void (*dusk_csv_index_fn)(uint32_t *idx, uint32_t *eolj, size_t *cnt,
                                  size_t *ne, const unsigned char *u,
                                  size_t len, size_t *cur, unsigned char sep,
                                  size_t want, uint64_t *high);

/* The best indexer this CPU runs (AVX2, SSE2 or portable), no better than
 * the environment's DUSK_CSV_SIMD allows ("swar" or "sse2", for tests);
 * read at each call, so at the start of each scan. */
dusk_csv_index_fn dusk_csv_pick_indexer(void);

#endif
