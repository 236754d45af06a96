/* hashmap.c - linear probing with backward-shift deletion.
 * Tables grow at 70% load so probe sequences stay short. */
#include "hashmap.h"

#include "errors.h"

#include <stdlib.h>
#include <string.h>

uint64_t dusk_hash_bytes(const void *p, size_t n) {
  /* Eight bytes per step (row keys are mostly a few 8-byte values), the
   * length in the seed so "a" and "a\0" differ, then murmur's finaliser:
   * fast for short keys, well mixed in every bit. */
  const unsigned char *s = p;
  uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0xc2b2ae3d27d4eb4full);
  uint64_t w;
  for (; n >= 8; n -= 8, s += 8) {
    memcpy(&w, s, 8);
    h = (h ^ (w * 0x87c37b91114253d5ull)) * 0x4cf5ad432745937full;
    h ^= h >> 31;
  }
  if (n > 0) {
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ (w * 0x87c37b91114253d5ull)) * 0x4cf5ad432745937full;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

uint64_t dusk_hash_u64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

/* ---- idmap ---- */

void dusk_idmap_init(dusk_idmap *m) { memset(m, 0, sizeof *m); }

void dusk_idmap_destroy(dusk_idmap *m) {
  free(m->slots);
  dusk_idmap_init(m);
}

void *dusk_idmap_get(const dusk_idmap *m, uint64_t id) {
  if (m->cap == 0)
    return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = dusk_hash_u64(id) & mask;; i = (i + 1) & mask) {
    if (m->slots[i].value == NULL)
      return NULL;
    if (m->slots[i].id == id)
      return m->slots[i].value;
  }
}

static int idmap_grow(dusk_idmap *m) {
  size_t ncap = m->cap ? m->cap * 2 : 16;
  dusk_idmap_slot *ns = calloc(ncap, sizeof *ns);
  if (ns == NULL)
    return DUSK_ENOMEM;
  for (size_t j = 0; j < m->cap; j++) {
    if (m->slots[j].value == NULL)
      continue;
    size_t i = dusk_hash_u64(m->slots[j].id) & (ncap - 1);
    while (ns[i].value != NULL)
      i = (i + 1) & (ncap - 1);
    ns[i] = m->slots[j];
  }
  free(m->slots);
  m->slots = ns;
  m->cap = ncap;
  return 0;
}

int dusk_idmap_put(dusk_idmap *m, uint64_t id, void *value) {
  if ((m->len + 1) * 10 > m->cap * 7 && idmap_grow(m) != 0)
    return DUSK_ENOMEM;
  size_t mask = m->cap - 1;
  for (size_t i = dusk_hash_u64(id) & mask;; i = (i + 1) & mask) {
    if (m->slots[i].value == NULL) {
      m->slots[i].id = id;
      m->slots[i].value = value;
      m->len++;
      return 0;
    }
    if (m->slots[i].id == id) {
      m->slots[i].value = value;
      return 0;
    }
  }
}

void *dusk_idmap_del(dusk_idmap *m, uint64_t id) {
  if (m->cap == 0)
    return NULL;
  size_t mask = m->cap - 1, i = dusk_hash_u64(id) & mask;
  while (m->slots[i].value != NULL && m->slots[i].id != id)
    i = (i + 1) & mask;
  if (m->slots[i].value == NULL)
    return NULL;
  void *v = m->slots[i].value;
  /* Backward shift: pull later members of the probe run into the hole. */
  size_t hole = i;
  for (size_t j = (i + 1) & mask; m->slots[j].value != NULL;
       j = (j + 1) & mask) {
    size_t home = dusk_hash_u64(m->slots[j].id) & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      m->slots[hole] = m->slots[j];
      hole = j;
    }
  }
  m->slots[hole].value = NULL;
  m->len--;
  return v;
}

/* ---- strmap ---- */

void dusk_strmap_init(dusk_strmap *m) { memset(m, 0, sizeof *m); }

void dusk_strmap_destroy(dusk_strmap *m) {
  free(m->slots);
  dusk_strmap_init(m);
}

static dusk_strmap_slot *strmap_find(const dusk_strmap *m, uint64_t h,
                                     const char *key, size_t keylen) {
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    dusk_strmap_slot *s = &m->slots[i];
    if (s->value == NULL ||
        (s->hash == h && s->keylen == keylen &&
         memcmp(s->key, key, keylen) == 0))
      return s;
  }
}

void *dusk_strmap_get(const dusk_strmap *m, const char *key, size_t keylen) {
  if (m->cap == 0)
    return NULL;
  return strmap_find(m, dusk_hash_bytes(key, keylen), key, keylen)->value;
}

static int strmap_grow(dusk_strmap *m) {
  size_t ncap = m->cap ? m->cap * 2 : 16;
  dusk_strmap_slot *ns = calloc(ncap, sizeof *ns);
  if (ns == NULL)
    return DUSK_ENOMEM;
  for (size_t j = 0; j < m->cap; j++) {
    if (m->slots[j].value == NULL)
      continue;
    size_t i = m->slots[j].hash & (ncap - 1);
    while (ns[i].value != NULL)
      i = (i + 1) & (ncap - 1);
    ns[i] = m->slots[j];
  }
  free(m->slots);
  m->slots = ns;
  m->cap = ncap;
  return 0;
}

int dusk_strmap_put(dusk_strmap *m, const char *key, size_t keylen,
                    void *value) {
  if ((m->len + 1) * 10 > m->cap * 7 && strmap_grow(m) != 0)
    return DUSK_ENOMEM;
  uint64_t h = dusk_hash_bytes(key, keylen);
  dusk_strmap_slot *s = strmap_find(m, h, key, keylen);
  if (s->value == NULL)
    m->len++;
  s->hash = h;
  s->key = key;
  s->keylen = keylen;
  s->value = value;
  return 0;
}

void *dusk_strmap_del(dusk_strmap *m, const char *key, size_t keylen) {
  if (m->cap == 0)
    return NULL;
  uint64_t h = dusk_hash_bytes(key, keylen);
  dusk_strmap_slot *s = strmap_find(m, h, key, keylen);
  if (s->value == NULL)
    return NULL;
  void *v = s->value;
  size_t mask = m->cap - 1, hole = (size_t)(s - m->slots);
  for (size_t j = (hole + 1) & mask; m->slots[j].value != NULL;
       j = (j + 1) & mask) {
    size_t home = m->slots[j].hash & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      m->slots[hole] = m->slots[j];
      hole = j;
    }
  }
  m->slots[hole].value = NULL;
  m->len--;
  return v;
}
