/* hashmap.h - open-addressing hash maps with O(1) expected operations.
 *
 * dusk_idmap maps uint64 ids to pointers; dusk_strmap maps byte strings to
 * pointers.  Linear probing with backward-shift deletion (no tombstones), so
 * lookups stay short after many deletions.  The strmap does not copy keys:
 * the caller keeps each key's bytes alive while its entry exists (typically
 * the key lives inside the value).  Not thread-safe. */
#ifndef DUSK_HASHMAP_H
#define DUSK_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct dusk_idmap_slot {
  uint64_t id;
  void *value; /* NULL = empty slot */
} dusk_idmap_slot;

typedef struct dusk_idmap {
  dusk_idmap_slot *slots;
  size_t cap; /* power of two, or 0 */
  size_t len;
} dusk_idmap;

void dusk_idmap_init(dusk_idmap *m);
void dusk_idmap_destroy(dusk_idmap *m);
void *dusk_idmap_get(const dusk_idmap *m, uint64_t id);
/* Inserts or replaces; value must not be NULL.  0 or DUSK_ENOMEM. */
int dusk_idmap_put(dusk_idmap *m, uint64_t id, void *value);
/* Removes id; returns its value or NULL. */
void *dusk_idmap_del(dusk_idmap *m, uint64_t id);

typedef struct dusk_strmap_slot {
  uint64_t hash;
  const char *key;
  size_t keylen;
  void *value; /* NULL = empty slot */
} dusk_strmap_slot;

typedef struct dusk_strmap {
  dusk_strmap_slot *slots;
  size_t cap;
  size_t len;
} dusk_strmap;

void dusk_strmap_init(dusk_strmap *m);
void dusk_strmap_destroy(dusk_strmap *m);
void *dusk_strmap_get(const dusk_strmap *m, const char *key, size_t keylen);
int dusk_strmap_put(dusk_strmap *m, const char *key, size_t keylen,
                    void *value);
void *dusk_strmap_del(dusk_strmap *m, const char *key, size_t keylen);

/* Iteration: for (i = 0; i < m->cap; i++) if (m->slots[i].value) ... */

uint64_t dusk_hash_bytes(const void *p, size_t n);
/* A 64-bit mix of x (splitmix64's finalizer): ids and hash combinations. */
uint64_t dusk_hash_u64(uint64_t x);

#endif
