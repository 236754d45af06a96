/* keyset.c - see keyset.h. */
#include "keyset.h"

#include "errors.h"
#include "hashmap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void dusk_keyset_init(dusk_keyset *s) {
  memset(s, 0, sizeof *s);
  dusk_buf_init(&s->arena);
}

void dusk_keyset_destroy(dusk_keyset *s) {
  dusk_buf_destroy(&s->arena);
  free(s->off);
  free(s->slots);
  free(s->hashes);
  memset(s, 0, sizeof *s);
}

/* Rehashes into n slots (a power of two above the entries).  A slot's
 * home is its tag's low bits, so growing needs no key's bytes. */
static int resize_slots(dusk_keyset *s, size_t n) {
  size_t mask = n - 1;
  dusk_keyset_slot *slots;
  if (n > ((size_t)1 << 32) || (slots = calloc(n, sizeof *slots)) == NULL)
    return DUSK_ENOMEM;
  for (size_t j = 0; j < s->nslots; j++) {
    size_t i;
    if (s->slots[j].entry == 0)
      continue;
    for (i = s->slots[j].tag & mask; slots[i].entry != 0; i = (i + 1) & mask)
      ;
    slots[i] = s->slots[j];
  }
  free(s->slots);
  s->slots = slots;
  s->nslots = n;
  return 0;
}

static int grow_slots(dusk_keyset *s) {
  return resize_slots(s, s->nslots ? s->nslots * 2 : 64);
}

static int resize_entries(dusk_keyset *s, size_t cap) {
  uint64_t *off;
  if (cap >= UINT32_MAX)
    return DUSK_ENOMEM;
  if ((off = realloc(s->off, cap * sizeof *off)) == NULL)
    return DUSK_ENOMEM;
  s->off = off;
  s->cap = cap;
  return 0;
}

static int grow_entries(dusk_keyset *s) {
  return resize_entries(s, s->cap ? s->cap * 2 : 64);
}

int dusk_keyset_reserve(dusk_keyset *s, size_t n) {
  size_t nslots = s->nslots ? s->nslots : 64, cap = s->cap ? s->cap : 64;
  int rc;
  if (n >= UINT32_MAX - 1 || n > SIZE_MAX / 32)
    return DUSK_ENOMEM; /* past the entry numbers, or past size_t */
  while ((n + 1) * 10 > nslots * 7)
    nslots *= 2;
  while (cap < n)
    cap *= 2;
  if (nslots != s->nslots && (rc = resize_slots(s, nslots)) != 0)
    return rc;
  return cap != s->cap ? resize_entries(s, cap) : 0;
}

/* Finds or adds key p (len bytes, hash h). */
static int find_or_add(dusk_keyset *s, uint64_t h, const char *p, size_t len,
                       size_t *entry, int *added) {
  uint32_t tag = (uint32_t)(h >> 32), len32 = (uint32_t)len;
  size_t i, mask;
  if (len > UINT32_MAX - sizeof len32)
    return DUSK_ENOMEM;
  if ((s->n + 1) * 10 > s->nslots * 7 && grow_slots(s) != 0)
    return DUSK_ENOMEM;
  mask = s->nslots - 1;
  for (i = tag & mask;; i = (i + 1) & mask) {
    const dusk_keyset_slot *sl = &s->slots[i];
    const char *k;
    if (sl->entry == 0)
      break;
    if (sl->tag != tag)
      continue;
    k = s->arena.data + sl->off;
    if (memcmp(k, &len32, sizeof len32) == 0 &&
        (len == 0 || memcmp(k + sizeof len32, p, len) == 0)) {
      *entry = sl->entry - 1;
      *added = 0;
      return 0;
    }
  }
  if (s->n == s->cap && grow_entries(s) != 0)
    return DUSK_ENOMEM;
  if (dusk_buf_reserve(&s->arena, sizeof len32 + len) != 0)
    return DUSK_ENOMEM;
  s->off[s->n] = s->arena.len;
  memcpy(s->arena.data + s->arena.len, &len32, sizeof len32);
  if (len > 0)
    memcpy(s->arena.data + s->arena.len + sizeof len32, p, len);
  s->arena.len += sizeof len32 + len;
  s->slots[i].off = s->off[s->n];
  s->slots[i].tag = tag;
  s->slots[i].entry = (uint32_t)s->n + 1;
  *entry = s->n++;
  *added = 1;
  return 0;
}

/* The entry of key p (len bytes, hash h), or SIZE_MAX. */
static size_t find_hashed(const dusk_keyset *s, uint64_t h, const void *p,
                          size_t len) {
  uint32_t tag = (uint32_t)(h >> 32), len32 = (uint32_t)len;
  size_t mask = s->nslots - 1;
  if (s->nslots == 0 || len > UINT32_MAX - sizeof len32)
    return SIZE_MAX;
  for (size_t i = tag & mask;; i = (i + 1) & mask) {
    const dusk_keyset_slot *sl = &s->slots[i];
    const char *k;
    if (sl->entry == 0)
      return SIZE_MAX;
    if (sl->tag != tag)
      continue;
    k = s->arena.data + sl->off;
    if (memcmp(k, &len32, sizeof len32) == 0 &&
        (len == 0 || memcmp(k + sizeof len32, p, len) == 0))
      return sl->entry - 1;
  }
}

size_t dusk_keyset_find(const dusk_keyset *s, const void *p, size_t len) {
  return find_hashed(s, dusk_hash_bytes(p, len), p, len);
}

int dusk_keyset_find_or_add(dusk_keyset *s, const void *p, size_t len,
                            size_t *entry, int *added) {
  return find_or_add(s, dusk_hash_bytes(p, len), p, len, entry, added);
}

/* How far ahead of its probe a key's slot is fetched (and half as far,
 * its home slot's key). */
#define PREFETCH_AHEAD 16

/* Before probing key i of n (hashes[]): fetches the slot of key i +
 * PREFETCH_AHEAD and, half way there, where that slot has arrived, the
 * bytes of key i + PREFETCH_AHEAD / 2's home entry. */
static inline void prefetch_ahead(const dusk_keyset *s,
                                  const uint64_t *hashes, size_t i, size_t n) {
  if (s->nslots == 0)
    return;
  if (i + PREFETCH_AHEAD < n)
    __builtin_prefetch(
        &s->slots[(hashes[i + PREFETCH_AHEAD] >> 32) & (s->nslots - 1)]);
  if (i + PREFETCH_AHEAD / 2 < n) {
    uint64_t h = hashes[i + PREFETCH_AHEAD / 2];
    const dusk_keyset_slot *sl = &s->slots[(h >> 32) & (s->nslots - 1)];
    if (sl->entry != 0 && sl->tag == (uint32_t)(h >> 32))
      __builtin_prefetch(s->arena.data + sl->off);
  }
}

int dusk_keyset_find_or_add_batch(dusk_keyset *s, const char *keys,
                                  const size_t *offs, size_t n,
                                  uint32_t *entries, uint8_t *added) {
  if (n > s->nhashes) {
    uint64_t *h = realloc(s->hashes, n * sizeof *h);
    if (h == NULL)
      return DUSK_ENOMEM;
    s->hashes = h;
    s->nhashes = n;
  }
  for (size_t i = 0; i < n; i++)
    s->hashes[i] = dusk_hash_bytes(keys + offs[i], offs[i + 1] - offs[i]);
  for (size_t i = 0; i < n; i++) {
    size_t e;
    int a, rc;
    prefetch_ahead(s, s->hashes, i, n);
    if ((rc = find_or_add(s, s->hashes[i], keys + offs[i],
                          offs[i + 1] - offs[i], &e, &a)) != 0)
      return rc;
    entries[i] = (uint32_t)e;
    added[i] = (uint8_t)a;
  }
  return 0;
}

/* Keys hashed ahead of their probes by dusk_keyset_find_batch. */
#define FIND_BLOCK 256

void dusk_keyset_find_batch(const dusk_keyset *s, const char *keys,
                            const size_t *offs, size_t n, uint32_t *entries) {
  uint64_t hashes[FIND_BLOCK];
  for (size_t from = 0; from < n; from += FIND_BLOCK) {
    size_t m = n - from < FIND_BLOCK ? n - from : FIND_BLOCK;
    const size_t *o = offs + from;
    for (size_t i = 0; i < m; i++)
      hashes[i] = dusk_hash_bytes(keys + o[i], o[i + 1] - o[i]);
    for (size_t i = 0; i < m; i++) {
      size_t e;
      prefetch_ahead(s, hashes, i, m);
      e = find_hashed(s, hashes[i], keys + o[i], o[i + 1] - o[i]);
      entries[from + i] = e == SIZE_MAX ? UINT32_MAX : (uint32_t)e;
    }
  }
}

void dusk_dense_codes(const dusk_batch *b, const int *cols, size_t ncols,
                      int64_t *codes) {
  const dusk_column *c0, *c1;
  uint64_t bits = ncols == 2 ? DUSK_DENSE_BITS / 2 : DUSK_DENSE_BITS;
  uint64_t lim = (uint64_t)1 << bits;
  bool ok = ncols == 1 || ncols == 2;
  for (size_t i = 0; ok && i < ncols; i++)
    ok = b->cols[cols[i]].type == DUSK_TYPE_INT64;
  if (!ok) {
    for (size_t r = 0; r < b->nrows; r++)
      codes[r] = -1;
    return;
  }
  c0 = &b->cols[cols[0]];
  c1 = ncols == 2 ? &b->cols[cols[1]] : NULL;
  for (size_t r = 0; r < b->nrows; r++) {
    uint64_t v0 = (uint64_t)c0->i64[r], v1 = c1 ? (uint64_t)c1->i64[r] : 0;
    bool in = c0->valid[r] && v0 < lim && (c1 == NULL || (c1->valid[r] && v1 < lim));
    codes[r] = in ? (int64_t)(v0 << (c1 ? bits : 0) | v1) : -1;
  }
}
