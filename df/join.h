/* join.h - the broadcast join's lookup side: an index over a small right
 * table's keys, probed by the left's rows a batch at a time.
 *
 * Keys are compared as pandas 1.5's merge compares them: numbers by value
 * (an int key against a float key as float64, bools as 0 / 1), text by
 * bytes, datetimes, timedeltas and dates by their nanoseconds, and a
 * missing value equals a missing value (pandas puts NaN and None in one
 * group).  Text never equals a number or a bool.  Each key value is
 * encoded with a type tag into a byte string, a row's key is its values'
 * encodings back to back, and the right rows of one key are listed in the
 * table's order, which is the order pandas emits them in. */
#ifndef DUSK_JOIN_H
#define DUSK_JOIN_H

#include "batch.h"
#include "buf.h"
#include "errors.h"
#include "keycode.h"
#include "keyset.h"
#include "table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a key pair's values compare. */
enum {
  DUSK_JOIN_EXACT = 0, /* ints (and bools as 0 / 1), text, nanoseconds */
  DUSK_JOIN_FLOAT,     /* numbers as float64: an int key against a float */
  DUSK_JOIN_TEXT_BOOL  /* text against bools: no value equals another */
};

/* Whether a left key column of (logical) type l may be merged with a right
 * one of type r: 0, with *mode set to the pair's DUSK_JOIN_*,
 * or DUSK_ETYPE where pandas raises ("You are trying to merge on int64 and
 * object columns"): text against an int or float, a datetime, timedelta
 * or date against anything but its own kind. */
int dusk_join_key_types(dusk_type l, dusk_type r, int *mode);

/* Appends one key value's encoding (mode a DUSK_JOIN_*): equal keys, as
 * the index compares them, encode alike.  0 or DUSK_ENOMEM. */
int dusk_join_key_add(dusk_buf *k, const dusk_value *v, int mode);
/* pandas' dtype name of a column of this (logical) type, as its merge
 * errors name it: "int64", "float64", "bool", "object",
 * "datetime64[ns]", "timedelta64[ns]". */
const char *dusk_join_dtype_name(dusk_type t);

#define DUSK_JOIN_NONE UINT32_MAX /* a probe's "no right row" */

typedef struct dusk_join_index {
  const dusk_table *right; /* borrowed */
  size_t nkeys;
  int *rcols;       /* the right key columns */
  int *modes;       /* per key: DUSK_JOIN_* */
  dusk_keyset keys; /* one entry per distinct right key */
  uint32_t *first;  /* per entry: its first row in rows (n entries + 1) */
  uint32_t *rows;   /* the right rows, grouped by entry, each group in the
                       table's order */
  bool unique;      /* no key has two right rows */
  /* One exact int64 key whose right values all lie in [0, ndense) (ids,
   * hours: the zone lookup's LocationID): dense[v] is value v's entry
   * (DUSK_JOIN_NONE: none), null_entry a null's, and the probe reads the
   * batch column directly, with no key bytes or hashing.  NULL
   * otherwise. */
  uint32_t *dense;
  size_t ndense;
  uint32_t null_entry;
  /* Exact int64 or bool keys (one to DUSK_KEYCODE_MAX_COLS) whose right
   * values all fit code_bits bits each (a null is a value of its own):
   * each key packed into a uint64 (keycode.h's layout) and the entries
   * kept by code, the code in its slot - a probe reads the batch columns
   * and waits on memory once, with no key bytes.  A left key with a value
   * that does not fit then matches nothing, as no right key has one. */
  bool coded;
  unsigned code_bits;
  dusk_codeset codes;
} dusk_join_index;

/* The largest dense table an index makes (entries). */
#define DUSK_JOIN_DENSE_MAX ((size_t)1 << 20)

/* Builds the index of right's rows on columns rcols[0..nkeys) (modes per
 * key, from dusk_join_key_types).  0, DUSK_ENOMEM or DUSK_EINVAL with
 * err (more than 2^32 - 2 rows). */
int dusk_join_index_build(dusk_join_index *x, const dusk_table *right,
                          const int *rcols, const int *modes, size_t nkeys,
                          dusk_error *err);
void dusk_join_index_destroy(dusk_join_index *x);

/* For each of b's rows, the index entry of its key over batch columns
 * lcols[0..nkeys) (DUSK_JOIN_NONE when no right row has it) into
 * entries[0..b->nrows); scratch holds a key at a time (the index is only
 * read, so threads may share it).  0 or DUSK_ENOMEM. */
int dusk_join_probe(const dusk_join_index *x, const dusk_batch *b,
                    const int *lcols, uint32_t *entries, dusk_buf *scratch);

/* The index's entries: one per distinct right key. */
static inline size_t dusk_join_entries(const dusk_join_index *x) {
  return x->coded ? x->codes.n : x->keys.n;
}

/* The right rows of entry e: rows[first[e] .. first[e + 1]). */
static inline size_t dusk_join_count(const dusk_join_index *x, uint32_t e) {
  return e == DUSK_JOIN_NONE ? 0 : x->first[e + 1] - x->first[e];
}

#endif
