/* keycode.h - keys of up to four small values packed into one uint64, and
 * a set of such codes.
 *
 * drop_duplicates looks up one key per row it reads.  Encoded as bytes
 * (keyset.h: a type tag and the value per column, 33 bytes for a text and
 * two ints) each lookup hashes those bytes and then reads the key's bytes
 * where the arena keeps them: two memory waits per row once the set
 * outgrows the caches.  Most such keys are a few ints and short category
 * strings: numbering each column's strings in a small dictionary and
 * packing the values into fixed-width fields gives one uint64 that stands
 * for the key and sits in the slot itself - one memory wait, nothing
 * hashed but 8 bytes.
 *
 * A code is a function of the key's values within one coder: with n key
 * columns (1 to 4) each has a field of w = 63 / n bits holding 0 for a
 * null (nulls are equal as keys, as pandas' drop_duplicates and merge
 * have them), or 1 + the value: an int64 in [0, 2^w - 1), a bool's 0 or
 * 1, a string's number in the column's dictionary (numbered as first met;
 * a dictionary keeps at most DUSK_KEYCODE_DICT strings, and a string
 * first met when it is full is never numbered).  A key with a float, a
 * negative or wider int, or an unnumbered string has no code: the caller
 * looks it up by its bytes instead, and since that depends on the values
 * alone (a dictionary never forgets), a key is always in the same one of
 * the two places.  Codes use the low 63 bits, so DUSK_KEYCODE_NONE (all
 * ones) is never a code.
 *
 * Columns are matched by position: a coder serves keys of one layout
 * (the same columns in the same order, each of one type). */
#ifndef DUSK_KEYCODE_H
#define DUSK_KEYCODE_H

#include "batch.h"
#include "keyset.h"
#include "table.h"

#include <stddef.h>
#include <stdint.h>

#define DUSK_KEYCODE_MAX_COLS 4
#define DUSK_KEYCODE_DICT 65536
#define DUSK_KEYCODE_NONE UINT64_MAX

/* A remembered string number: strings of up to 16 bytes, zero-padded. */
typedef struct dusk_keycode_memo {
  uint64_t w[2];
  uint32_t len;
  uint32_t number; /* number + 1; 0 = empty */
} dusk_keycode_memo;

#define DUSK_KEYCODE_MEMO 1024 /* per string column, direct-mapped */

/* Row r's field in a column of this type (arrays as a batch or table
 * column holds them): 0 for a null, 1 + the value of an int64 in
 * [0, lim - 1) or a bool; DUSK_KEYCODE_TEXT_FIELD for a string (its
 * field is 1 + its dictionary number); DUSK_KEYCODE_NO_FIELD for a
 * negative or wider int, a float or another type.  One definition for
 * the coder and the join index (join.h), so their codes agree. */
#define DUSK_KEYCODE_TEXT_FIELD (-1)
#define DUSK_KEYCODE_NO_FIELD (-2)
static inline int64_t dusk_keycode_field(dusk_type type,
                                         const uint8_t *valid,
                                         const int64_t *i64,
                                         const uint8_t *bv, size_t r,
                                         uint64_t lim) {
  if (!valid[r])
    return 0; /* a null: a value of its own */
  if (type == DUSK_TYPE_STRING)
    return DUSK_KEYCODE_TEXT_FIELD;
  if (type == DUSK_TYPE_INT64)
    return i64[r] < 0 || (uint64_t)i64[r] + 1 >= lim ? DUSK_KEYCODE_NO_FIELD
                                                     : i64[r] + 1;
  if (type == DUSK_TYPE_BOOL)
    return (int64_t)(bv[r] != 0) + 1;
  return DUSK_KEYCODE_NO_FIELD; /* floats and the rest: by their bytes */
}

typedef struct dusk_keycoder {
  size_t ncols;  /* 1..DUSK_KEYCODE_MAX_COLS; 0: nothing is coded */
  unsigned bits; /* per column: 63 / ncols */
  dusk_keyset dict[DUSK_KEYCODE_MAX_COLS]; /* per string column */
  /* per string column (allocated when first used): short strings'
   * numbers, so a repeated category costs no hash of its bytes and no
   * probe of the dictionary */
  dusk_keycode_memo *memo[DUSK_KEYCODE_MAX_COLS];
} dusk_keycoder;

/* A coder for keys of ncols columns (more than DUSK_KEYCODE_MAX_COLS, or
 * none: a coder that codes nothing). */
void dusk_keycoder_init(dusk_keycoder *c, size_t ncols);
void dusk_keycoder_destroy(dusk_keycoder *c);

/* codes[r] receives the code of row r's key over batch columns
 * cols[0..c->ncols), or DUSK_KEYCODE_NONE, for rows whose skip[r] is 0
 * (skip may be NULL: every row); others are left as they are.
 * DUSK_ENOMEM when a dictionary could not grow (codes are then
 * incomplete: the caller fails). */
int dusk_keycoder_code_batch(dusk_keycoder *c, const dusk_batch *b,
                             const int *cols, const uint8_t *skip,
                             uint64_t *codes);

/* The same for rows [from, to) of a table's first c->ncols columns:
 * codes[r - from]. */
int dusk_keycoder_code_table(dusk_keycoder *c, const dusk_table *t,
                             size_t from, size_t to, uint64_t *codes);

/* A set of codes, each numbered by when it was first added (0, 1, ...):
 * open addressing with the code in its slot, grown at 70% load. */
typedef struct dusk_codeset_slot {
  uint64_t code;
  uint32_t entry; /* entry + 1; 0 = empty */
  uint32_t unused;
} dusk_codeset_slot;

typedef struct dusk_codeset {
  dusk_codeset_slot *slots;
  size_t nslots; /* a power of two, or 0 */
  size_t n;      /* entries */
  uint64_t *homes; /* the batch call's scratch: each code's hash */
  size_t nhomes;
} dusk_codeset;

void dusk_codeset_init(dusk_codeset *s);
void dusk_codeset_destroy(dusk_codeset *s);
/* Frees the batch call's scratch (a set kept for lookups only). */
void dusk_codeset_release_scratch(dusk_codeset *s);

/* Looks up codes[0..n) in order (none DUSK_KEYCODE_NONE), adding each
 * absent one: entries[i] its entry, added[i] 1 when this call added it (a
 * code twice in the batch: its first time only).  Each code's slot is
 * fetched ahead of its probe.  0 or DUSK_ENOMEM (codes before the
 * failure stay added). */
int dusk_codeset_find_or_add_batch(dusk_codeset *s, const uint64_t *codes,
                                   size_t n, uint32_t *entries,
                                   uint8_t *added);

/* The entries of codes[0..n) (none DUSK_KEYCODE_NONE): entries[i] the
 * entry of codes[i], or UINT32_MAX when the set lacks it.  Nothing is
 * added, so threads may share the set. */
void dusk_codeset_find_batch(const dusk_codeset *s, const uint64_t *codes,
                             size_t n, uint32_t *entries);

#endif
