/* check_hashmap.c - dusk_idmap and dusk_strmap.
 *
 * Besides the basic operations, the tables are checked against a plain
 * array used as a reference, under a fixed-seed random mix of puts, deletes
 * and lookups.  After a deletion the backward shift must leave every
 * remaining entry reachable from its home slot, so the full checks look up
 * every occupied slot through the public get. */
#include "hashmap.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: a fixed-seed generator so failures reproduce. */
static uint64_t rng_state;

static void rng_seed(uint64_t seed) { rng_state = seed; }

static uint64_t rng(void) { return tu_splitmix(&rng_state); }

/* Distinct non-NULL pointers to use as values. */
#define POOL 4096
static char pool[POOL];

static void *val(size_t i) { return &pool[i % POOL]; }

static void check_shape(size_t cap, size_t len) {
  if (cap == 0) {
    REQUIRE(len == 0, "len %zu with no table", len);
    return;
  }
  REQUIRE((cap & (cap - 1)) == 0, "cap %zu not a power of two", cap);
  REQUIRE(len * 10 <= cap * 7, "len %zu over 70%% of cap %zu", len, cap);
}

/* ---- idmap --------------------------------------------------------------- */

/* Every occupied slot is reachable by get, the slot count matches len, and
 * the table agrees with the reference for every key of the universe. */
static void idmap_verify(const dusk_idmap *m, void *const *ref,
                         const uint64_t *idof, size_t nkeys) {
  size_t occupied = 0, live = 0;
  check_shape(m->cap, m->len);
  for (size_t i = 0; i < m->cap; i++) {
    if (m->slots[i].value == NULL)
      continue;
    occupied++;
    REQUIRE(dusk_idmap_get(m, m->slots[i].id) == m->slots[i].value,
            "slot %zu (id %llu) unreachable", i,
            (unsigned long long)m->slots[i].id);
  }
  REQUIRE(occupied == m->len, "%zu occupied slots, len %zu", occupied, m->len);
  for (size_t k = 0; k < nkeys; k++) {
    REQUIRE(dusk_idmap_get(m, idof[k]) == ref[k], "key %zu (id %llu) wrong", k,
            (unsigned long long)idof[k]);
    if (ref[k] != NULL)
      live++;
  }
  REQUIRE(live == m->len, "%zu live keys, len %zu", live, m->len);
}

START_TEST(test_idmap_basic) {
  dusk_idmap m;
  dusk_idmap_init(&m);
  ck_assert_ptr_null(dusk_idmap_get(&m, 0));
  ck_assert_ptr_null(dusk_idmap_del(&m, 0));
  ck_assert_uint_eq(m.len, 0);

  ck_assert_int_eq(dusk_idmap_put(&m, 1, val(1)), 0);
  ck_assert_int_eq(dusk_idmap_put(&m, 0, val(2)), 0);
  ck_assert_int_eq(dusk_idmap_put(&m, UINT64_MAX, val(3)), 0);
  ck_assert_uint_eq(m.len, 3);
  ck_assert_ptr_eq(dusk_idmap_get(&m, 1), val(1));
  ck_assert_ptr_eq(dusk_idmap_get(&m, 0), val(2));
  ck_assert_ptr_eq(dusk_idmap_get(&m, UINT64_MAX), val(3));
  ck_assert_ptr_null(dusk_idmap_get(&m, 2));
  ck_assert_ptr_null(dusk_idmap_get(&m, UINT64_MAX - 1));

  ck_assert_ptr_eq(dusk_idmap_del(&m, 1), val(1));
  ck_assert_ptr_null(dusk_idmap_get(&m, 1));
  ck_assert_ptr_null(dusk_idmap_del(&m, 1));
  ck_assert_uint_eq(m.len, 2);
  ck_assert_ptr_eq(dusk_idmap_del(&m, 0), val(2));
  ck_assert_ptr_eq(dusk_idmap_del(&m, UINT64_MAX), val(3));
  ck_assert_uint_eq(m.len, 0);
  ck_assert_ptr_null(dusk_idmap_get(&m, UINT64_MAX));

  dusk_idmap_destroy(&m);
  ck_assert_ptr_null(m.slots);
  ck_assert_uint_eq(m.cap, 0);
  ck_assert_ptr_null(dusk_idmap_get(&m, 1));
  /* Usable again after destroy. */
  ck_assert_int_eq(dusk_idmap_put(&m, 9, val(9)), 0);
  ck_assert_ptr_eq(dusk_idmap_get(&m, 9), val(9));
  dusk_idmap_destroy(&m);
}
END_TEST

START_TEST(test_idmap_replace) {
  dusk_idmap m;
  dusk_idmap_init(&m);
  ck_assert_int_eq(dusk_idmap_put(&m, 5, val(1)), 0);
  ck_assert_int_eq(dusk_idmap_put(&m, 5, val(2)), 0);
  ck_assert_uint_eq(m.len, 1);
  ck_assert_ptr_eq(dusk_idmap_get(&m, 5), val(2));
  /* Replacing in a full-ish table does not add entries. */
  for (uint64_t id = 100; id < 111; id++)
    ck_assert_int_eq(dusk_idmap_put(&m, id, val(id)), 0);
  for (uint64_t id = 100; id < 111; id++)
    ck_assert_int_eq(dusk_idmap_put(&m, id, val(id + 1)), 0);
  ck_assert_uint_eq(m.len, 12);
  for (uint64_t id = 100; id < 111; id++)
    ck_assert_ptr_eq(dusk_idmap_get(&m, id), val(id + 1));
  ck_assert_ptr_eq(dusk_idmap_del(&m, 5), val(2));
  ck_assert_ptr_null(dusk_idmap_get(&m, 5));
  ck_assert_uint_eq(m.len, 11);
  dusk_idmap_destroy(&m);
}
END_TEST

#define BIG 100000

static uint64_t spread_id(size_t i) {
  /* Sequential, strided and high-bit ids mixed together. */
  switch (i % 3) {
  case 0:
    return i;
  case 1:
    return (uint64_t)i << 32;
  default:
    return UINT64_MAX - (uint64_t)i * 0x10001ull;
  }
}

START_TEST(test_idmap_growth_100k) {
  dusk_idmap m;
  dusk_idmap_init(&m);
  for (size_t i = 0; i < BIG; i++) {
    REQUIRE(dusk_idmap_put(&m, spread_id(i), val(i)) == 0, "put %zu failed", i);
    REQUIRE(m.len == i + 1, "len %zu after %zu puts", m.len, i + 1);
  }
  check_shape(m.cap, m.len);
  for (size_t i = 0; i < BIG; i++)
    REQUIRE(dusk_idmap_get(&m, spread_id(i)) == val(i), "get %zu wrong", i);
  for (size_t i = BIG; i < 2 * BIG; i++)
    REQUIRE(dusk_idmap_get(&m, spread_id(i)) == NULL, "absent %zu found", i);
  dusk_idmap_destroy(&m);
}
END_TEST

START_TEST(test_idmap_delete_half) {
  static uint64_t idof[BIG];
  static void *ref[BIG];
  dusk_idmap m;

  dusk_idmap_init(&m);
  for (size_t i = 0; i < BIG; i++) {
    idof[i] = spread_id(i);
    ref[i] = val(i);
    REQUIRE(dusk_idmap_put(&m, idof[i], ref[i]) == 0, "put %zu failed", i);
  }
  for (size_t i = 0; i < BIG; i += 2) {
    REQUIRE(dusk_idmap_del(&m, idof[i]) == ref[i], "del %zu wrong", i);
    ref[i] = NULL;
  }
  REQUIRE(m.len == BIG / 2, "len %zu", m.len);
  idmap_verify(&m, ref, idof, BIG);

  /* Put them back with new values, then delete everything. */
  for (size_t i = 0; i < BIG; i += 2) {
    ref[i] = val(i + 7);
    REQUIRE(dusk_idmap_put(&m, idof[i], ref[i]) == 0, "put %zu failed", i);
  }
  idmap_verify(&m, ref, idof, BIG);
  for (size_t i = 0; i < BIG; i++) {
    REQUIRE(dusk_idmap_del(&m, idof[i]) == ref[i], "del %zu wrong", i);
    ref[i] = NULL;
  }
  REQUIRE(m.len == 0, "len %zu", m.len);
  for (size_t i = 0; i < m.cap; i++)
    REQUIRE(m.slots[i].value == NULL, "slot %zu still occupied", i);
  dusk_idmap_destroy(&m);
}
END_TEST

/* nops random operations over a universe of nkeys ids, compared with the
 * reference after each one and in full every `every` operations. */
static void idmap_random(uint64_t seed, size_t nkeys, size_t nops,
                         size_t every) {
  uint64_t *idof = calloc(nkeys, sizeof *idof);
  void **ref = calloc(nkeys, sizeof *ref);
  size_t live = 0;
  dusk_idmap m;

  ck_assert_ptr_nonnull(idof);
  ck_assert_ptr_nonnull(ref);
  rng_seed(seed);
  for (size_t k = 0; k < nkeys; k++)
    idof[k] = k == 0 ? 0 : k == 1 ? UINT64_MAX : rng();
  dusk_idmap_init(&m);
  for (size_t op = 0; op < nops; op++) {
    size_t k = (size_t)(rng() % nkeys);
    unsigned kind = (unsigned)(rng() % 10);
    if (kind < 5) {
      void *v = val((size_t)rng());
      REQUIRE(dusk_idmap_put(&m, idof[k], v) == 0, "op %zu: put failed", op);
      if (ref[k] == NULL)
        live++;
      ref[k] = v;
    } else if (kind < 8) {
      REQUIRE(dusk_idmap_del(&m, idof[k]) == ref[k], "op %zu: del of key %zu",
              op, k);
      if (ref[k] != NULL)
        live--;
      ref[k] = NULL;
    } else {
      REQUIRE(dusk_idmap_get(&m, idof[k]) == ref[k], "op %zu: get of key %zu",
              op, k);
    }
    REQUIRE(m.len == live, "op %zu: len %zu, want %zu", op, m.len, live);
    if ((op + 1) % every == 0)
      idmap_verify(&m, ref, idof, nkeys);
  }
  idmap_verify(&m, ref, idof, nkeys);
  dusk_idmap_destroy(&m);
  free(idof);
  free(ref);
}

START_TEST(test_idmap_random_vs_reference) {
  /* A large universe, then a tiny one where the table stays small and
   * probe runs wrap around its end. */
  idmap_random(0x5eed0001, 50000, 200000, 10000);
  idmap_random(0x5eed0002, 12, 200000, 1);
}
END_TEST

/* ---- strmap -------------------------------------------------------------- */

#define KEYLEN_MAX 24

typedef struct keyset {
  char (*text)[KEYLEN_MAX];
  size_t *len;
  size_t n;
} keyset;

/* Keys of varying length, including the empty key, keys that are prefixes
 * of one another and keys with embedded NUL bytes. */
static void keyset_init(keyset *ks, size_t n) {
  ks->text = calloc(n, sizeof *ks->text);
  ks->len = calloc(n, sizeof *ks->len);
  ks->n = n;
  ck_assert_ptr_nonnull(ks->text);
  ck_assert_ptr_nonnull(ks->len);
  for (size_t i = 0; i < n; i++) {
    int w;
    switch (i % 4) {
    case 0:
      w = snprintf(ks->text[i], KEYLEN_MAX, "k%zu", i);
      break;
    case 1:
      w = snprintf(ks->text[i], KEYLEN_MAX, "task-%zu-result", i);
      break;
    case 2:
      w = snprintf(ks->text[i], KEYLEN_MAX, "k%zu", i);
      ks->text[i][w++] = '\0'; /* "k<i>\0x": embedded NUL */
      ks->text[i][w++] = 'x';
      break;
    default:
      w = snprintf(ks->text[i], KEYLEN_MAX, "%zx", i * 2654435761u);
      break;
    }
    ks->len[i] = (size_t)w;
  }
  if (n > 0)
    ks->len[0] = 0; /* the empty key */
}

static void keyset_destroy(keyset *ks) {
  free(ks->text);
  free(ks->len);
}

/* Looks a key up through a copy, so the map must compare bytes. */
static void *sget(const dusk_strmap *m, const keyset *ks, size_t k) {
  char copy[KEYLEN_MAX];
  memcpy(copy, ks->text[k], ks->len[k]);
  return dusk_strmap_get(m, copy, ks->len[k]);
}

static void *sdel(dusk_strmap *m, const keyset *ks, size_t k) {
  char copy[KEYLEN_MAX];
  memcpy(copy, ks->text[k], ks->len[k]);
  return dusk_strmap_del(m, copy, ks->len[k]);
}

static int sput(dusk_strmap *m, const keyset *ks, size_t k, void *v) {
  return dusk_strmap_put(m, ks->text[k], ks->len[k], v);
}

static void strmap_verify(const dusk_strmap *m, void *const *ref,
                          const keyset *ks) {
  size_t occupied = 0, live = 0;
  check_shape(m->cap, m->len);
  for (size_t i = 0; i < m->cap; i++) {
    const dusk_strmap_slot *s = &m->slots[i];
    if (s->value == NULL)
      continue;
    occupied++;
    REQUIRE(s->hash == dusk_hash_bytes(s->key, s->keylen),
            "slot %zu: stale hash", i);
    REQUIRE(dusk_strmap_get(m, s->key, s->keylen) == s->value,
            "slot %zu unreachable", i);
  }
  REQUIRE(occupied == m->len, "%zu occupied slots, len %zu", occupied, m->len);
  for (size_t k = 0; k < ks->n; k++) {
    REQUIRE(sget(m, ks, k) == ref[k], "key %zu wrong", k);
    if (ref[k] != NULL)
      live++;
  }
  REQUIRE(live == m->len, "%zu live keys, len %zu", live, m->len);
}

START_TEST(test_strmap_basic) {
  dusk_strmap m;
  dusk_strmap_init(&m);
  ck_assert_ptr_null(dusk_strmap_get(&m, "a", 1));
  ck_assert_ptr_null(dusk_strmap_del(&m, "a", 1));

  ck_assert_int_eq(dusk_strmap_put(&m, "a", 1, val(1)), 0);
  ck_assert_int_eq(dusk_strmap_put(&m, "a\0", 2, val(2)), 0);
  ck_assert_int_eq(dusk_strmap_put(&m, "ab", 2, val(3)), 0);
  ck_assert_int_eq(dusk_strmap_put(&m, "", 0, val(4)), 0);
  ck_assert_uint_eq(m.len, 4);
  ck_assert_ptr_eq(dusk_strmap_get(&m, "abc", 1), val(1));
  ck_assert_ptr_eq(dusk_strmap_get(&m, "a\0b", 2), val(2));
  ck_assert_ptr_eq(dusk_strmap_get(&m, "abc", 2), val(3));
  ck_assert_ptr_eq(dusk_strmap_get(&m, "zzz", 0), val(4));
  ck_assert_ptr_null(dusk_strmap_get(&m, "abc", 3));
  ck_assert_ptr_null(dusk_strmap_get(&m, "b", 1));

  ck_assert_ptr_eq(dusk_strmap_del(&m, "a", 1), val(1));
  ck_assert_ptr_null(dusk_strmap_get(&m, "a", 1));
  ck_assert_ptr_eq(dusk_strmap_get(&m, "a\0", 2), val(2));
  ck_assert_ptr_null(dusk_strmap_del(&m, "a", 1));
  ck_assert_ptr_eq(dusk_strmap_del(&m, "", 0), val(4));
  ck_assert_uint_eq(m.len, 2);
  dusk_strmap_destroy(&m);
  ck_assert_ptr_null(dusk_strmap_get(&m, "ab", 2));
  ck_assert_uint_eq(m.len, 0);
}
END_TEST

START_TEST(test_strmap_replace) {
  /* The key usually lives inside the value: after a replace the map must
   * hold the new value's key bytes, not the old value's. */
  char old_key[8] = "shared", new_key[8] = "shared";
  dusk_strmap m;

  dusk_strmap_init(&m);
  ck_assert_int_eq(dusk_strmap_put(&m, old_key, 6, val(1)), 0);
  ck_assert_int_eq(dusk_strmap_put(&m, new_key, 6, val(2)), 0);
  ck_assert_uint_eq(m.len, 1);
  memset(old_key, 'X', sizeof old_key); /* the old value is gone */
  ck_assert_ptr_eq(dusk_strmap_get(&m, "shared", 6), val(2));
  ck_assert_ptr_eq(dusk_strmap_del(&m, "shared", 6), val(2));
  ck_assert_uint_eq(m.len, 0);
  dusk_strmap_destroy(&m);
}
END_TEST

START_TEST(test_strmap_growth_100k) {
  keyset ks;
  dusk_strmap m;

  keyset_init(&ks, BIG);
  dusk_strmap_init(&m);
  for (size_t i = 0; i < BIG; i++) {
    REQUIRE(sput(&m, &ks, i, val(i)) == 0, "put %zu failed", i);
    REQUIRE(m.len == i + 1, "len %zu after %zu puts", m.len, i + 1);
  }
  check_shape(m.cap, m.len);
  for (size_t i = 0; i < BIG; i++)
    REQUIRE(sget(&m, &ks, i) == val(i), "get %zu wrong", i);
  REQUIRE(dusk_strmap_get(&m, "absent", 6) == NULL, "absent key found");
  REQUIRE(dusk_strmap_get(&m, "k1\0y", 4) == NULL, "absent key found");
  dusk_strmap_destroy(&m);
  keyset_destroy(&ks);
}
END_TEST

START_TEST(test_strmap_delete_half) {
  static void *ref[BIG];
  keyset ks;
  dusk_strmap m;

  keyset_init(&ks, BIG);
  dusk_strmap_init(&m);
  for (size_t i = 0; i < BIG; i++) {
    ref[i] = val(i);
    REQUIRE(sput(&m, &ks, i, ref[i]) == 0, "put %zu failed", i);
  }
  for (size_t i = 1; i < BIG; i += 2) {
    REQUIRE(sdel(&m, &ks, i) == ref[i], "del %zu wrong", i);
    ref[i] = NULL;
  }
  REQUIRE(m.len == BIG / 2, "len %zu", m.len);
  strmap_verify(&m, ref, &ks);

  for (size_t i = 1; i < BIG; i += 2) {
    ref[i] = val(i + 3);
    REQUIRE(sput(&m, &ks, i, ref[i]) == 0, "put %zu failed", i);
  }
  strmap_verify(&m, ref, &ks);
  for (size_t i = 0; i < BIG; i++) {
    REQUIRE(sdel(&m, &ks, i) == ref[i], "del %zu wrong", i);
    ref[i] = NULL;
  }
  REQUIRE(m.len == 0, "len %zu", m.len);
  for (size_t i = 0; i < m.cap; i++)
    REQUIRE(m.slots[i].value == NULL, "slot %zu still occupied", i);
  dusk_strmap_destroy(&m);
  keyset_destroy(&ks);
}
END_TEST

static void strmap_random(uint64_t seed, size_t nkeys, size_t nops,
                          size_t every) {
  void **ref = calloc(nkeys, sizeof *ref);
  size_t live = 0;
  keyset ks;
  dusk_strmap m;

  ck_assert_ptr_nonnull(ref);
  keyset_init(&ks, nkeys);
  rng_seed(seed);
  dusk_strmap_init(&m);
  for (size_t op = 0; op < nops; op++) {
    size_t k = (size_t)(rng() % nkeys);
    unsigned kind = (unsigned)(rng() % 10);
    if (kind < 5) {
      void *v = val((size_t)rng());
      REQUIRE(sput(&m, &ks, k, v) == 0, "op %zu: put failed", op);
      if (ref[k] == NULL)
        live++;
      ref[k] = v;
    } else if (kind < 8) {
      REQUIRE(sdel(&m, &ks, k) == ref[k], "op %zu: del of key %zu", op, k);
      if (ref[k] != NULL)
        live--;
      ref[k] = NULL;
    } else {
      REQUIRE(sget(&m, &ks, k) == ref[k], "op %zu: get of key %zu", op, k);
    }
    REQUIRE(m.len == live, "op %zu: len %zu, want %zu", op, m.len, live);
    if ((op + 1) % every == 0)
      strmap_verify(&m, ref, &ks);
  }
  strmap_verify(&m, ref, &ks);
  dusk_strmap_destroy(&m);
  keyset_destroy(&ks);
  free(ref);
}

START_TEST(test_strmap_random_vs_reference) {
  strmap_random(0x5eed0003, 50000, 200000, 10000);
  strmap_random(0x5eed0004, 12, 200000, 1);
}
END_TEST

START_TEST(test_hash_bytes) {
  ck_assert_uint_eq(dusk_hash_bytes("abc", 3), dusk_hash_bytes("abcd", 3));
  ck_assert_uint_ne(dusk_hash_bytes("abc", 3), dusk_hash_bytes("abd", 3));
  ck_assert_uint_ne(dusk_hash_bytes("a", 1), dusk_hash_bytes("a\0", 2));
  ck_assert_uint_eq(dusk_hash_bytes(NULL, 0), dusk_hash_bytes("x", 0));
  /* The low bits pick the slot: they must differ across similar keys. */
  unsigned seen[64] = {0};
  for (unsigned i = 0; i < 6400; i++) {
    char key[16];
    int w = snprintf(key, sizeof key, "k%u", i);
    seen[dusk_hash_bytes(key, (size_t)w) & 63]++;
  }
  for (unsigned b = 0; b < 64; b++)
    ck_assert_msg(seen[b] > 50 && seen[b] < 150, "bucket %u holds %u", b,
                  seen[b]);
}
END_TEST

int main(void) {
  Suite *s = suite_create("hashmap");
  TCase *tc;

  tc = tcase_create("idmap");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_idmap_basic);
  tcase_add_test(tc, test_idmap_replace);
  tcase_add_test(tc, test_idmap_growth_100k);
  tcase_add_test(tc, test_idmap_delete_half);
  tcase_add_test(tc, test_idmap_random_vs_reference);
  suite_add_tcase(s, tc);

  tc = tcase_create("strmap");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_strmap_basic);
  tcase_add_test(tc, test_strmap_replace);
  tcase_add_test(tc, test_strmap_growth_100k);
  tcase_add_test(tc, test_strmap_delete_half);
  tcase_add_test(tc, test_strmap_random_vs_reference);
  tcase_add_test(tc, test_hash_bytes);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
