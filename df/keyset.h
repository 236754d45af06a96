/* keyset.h - a set of byte strings (encoded keys), each numbered by when
 * it was first added: the group table of hash aggregation and the seen
 * keys of drop_duplicates.
 *
 * Keys live back to back in one arena (no allocation per key), each after
 * its 4-byte length.  A slot holds the upper 32 bits of its key's hash
 * (the tag, whose low bits are the slot's home), the entry number and the
 * key's place in the arena: a probe reads a key's bytes only when the tags
 * agree, and then in one place, and growing never rehashes a key.  Linear
 * probing, grown at 70% load.  Entries are numbered 0, 1, ... in insertion
 * order and never move; at most 2^32 - 2 of them.
 *
 * The batch call looks up many keys at once, fetching each key's slot
 * ahead of its probe: a set larger than the caches then costs about one
 * memory wait per key instead of a chain of them. */
#ifndef DUSK_KEYSET_H
#define DUSK_KEYSET_H

#include "batch.h"
#include "buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dusk_keyset_slot {
  uint64_t off;   /* where the key's length prefix starts in arena */
  uint32_t tag;   /* the hash's upper 32 bits */
  uint32_t entry; /* entry + 1; 0 = empty */
} dusk_keyset_slot;

typedef struct dusk_keyset {
  dusk_buf arena; /* per key: uint32 length, then its bytes */
  uint64_t *off;  /* per entry: where its length prefix starts in arena */
  size_t n, cap;  /* entries, and room for them */
  dusk_keyset_slot *slots;
  size_t nslots; /* a power of two, or 0 */
  uint64_t *hashes; /* the batch call's scratch */
  size_t nhashes;
} dusk_keyset;

void dusk_keyset_init(dusk_keyset *s);
void dusk_keyset_destroy(dusk_keyset *s);

/* Finds the len bytes at p, adding them when absent: *entry receives the
 * entry's number and *added whether it is new.  0 or DUSK_ENOMEM (the set
 * is unchanged then). */
int dusk_keyset_find_or_add(dusk_keyset *s, const void *p, size_t len,
                            size_t *entry, int *added);

/* The entry of the len bytes at p, or SIZE_MAX when the set lacks them
 * (nothing is added). */
size_t dusk_keyset_find(const dusk_keyset *s, const void *p, size_t len);

/* The same for n keys in order, key i being bytes [offs[i], offs[i + 1])
 * of keys: entries[i] receives its entry and added[i] 1 when key i was
 * added by this call (a key twice in the batch: its first time only).
 * 0 or DUSK_ENOMEM (keys before the failure stay added). */
int dusk_keyset_find_or_add_batch(dusk_keyset *s, const char *keys,
                                  const size_t *offs, size_t n,
                                  uint32_t *entries, uint8_t *added);

/* The entries of n keys (key i bytes [offs[i], offs[i + 1]) of keys),
 * looked up as find_or_add_batch does, slots and key bytes fetched ahead:
 * entries[i] receives key i's entry, or UINT32_MAX when the set lacks it.
 * Nothing is added. */
void dusk_keyset_find_batch(const dusk_keyset *s, const char *keys,
                            const size_t *offs, size_t n, uint32_t *entries);

/* Makes room for n entries in all, so adding up to n grows nothing: one
 * rehash to the final size where adding them one by one would rehash
 * at every doubling (a merge knows its partial's groups beforehand).
 * Never shrinks.  0 or DUSK_ENOMEM (the set keeps its entries then,
 * perhaps with more room). */
int dusk_keyset_reserve(dusk_keyset *s, size_t n);

/* The key of entry e (e < s->n) and its length. */
static inline const char *dusk_keyset_key(const dusk_keyset *s, size_t e) {
  return s->arena.data + s->off[e] + sizeof(uint32_t);
}
static inline size_t dusk_keyset_keylen(const dusk_keyset *s, size_t e) {
  uint32_t len;
  __builtin_memcpy(&len, s->arena.data + s->off[e], sizeof len);
  return len;
}

/* Perfect hashing of small keys (DuckDB's perfect hash aggregate does the
 * same from column statistics): a key of one or two int64 values, each in
 * [0, 2^(DUSK_DENSE_BITS / n)), is a distinct code below DUSK_DENSE_CODES,
 * so an array indexed by the code finds it in one memory access with no
 * hashing.  Location ids, hours, flags and small categories are such
 * keys.  codes[r] receives row r's code over the batch columns
 * cols[0..ncols), or -1 when the row's key has no code (a null, a value
 * out of range, a column that is not int64, or more than two columns:
 * then every row is -1).  A key's code depends on its values alone, so a
 * caller keeping coded keys in a dense array and the others in a keyset
 * sees each key in one place. */
#define DUSK_DENSE_BITS 20
#define DUSK_DENSE_CODES ((size_t)1 << DUSK_DENSE_BITS)
void dusk_dense_codes(const dusk_batch *b, const int *cols, size_t ncols,
                      int64_t *codes);

#endif
