/* check_keyset.c - dusk_keyset and dusk_dense_codes.
 *
 * The keyset is checked against a plain reference (every key kept in an
 * array, searched linearly) under fixed-seed random keys of many lengths,
 * through both the one-key and the batch call, across growth; the batch
 * find against the one-key find; the dense
 * codes for their ranges, nulls, negatives and refusals. */
#include "keyset.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static uint64_t rng(void) { return tu_splitmix(&rng_state); }

/* Key number k of a family of distinct keys: k's eight bytes, then 0..32
 * bytes more, so keys share lengths and tails often. */
static size_t make_key(uint64_t k, char *out) {
  size_t len = 8 + (size_t)(k % 33);
  memcpy(out, &k, 8);
  for (size_t i = 8; i < len; i++)
    out[i] = (char)(k % 7 + i);
  return len;
}

START_TEST(test_empty_key_and_numbering) {
  dusk_keyset s;
  size_t e;
  int added;
  dusk_keyset_init(&s);
  ck_assert_int_eq(dusk_keyset_find_or_add(&s, "", 0, &e, &added), 0);
  ck_assert(added && e == 0);
  ck_assert_int_eq(dusk_keyset_find_or_add(&s, "ab", 2, &e, &added), 0);
  ck_assert(added && e == 1);
  ck_assert_int_eq(dusk_keyset_find_or_add(&s, "a", 1, &e, &added), 0);
  ck_assert(added && e == 2);
  ck_assert_int_eq(dusk_keyset_find_or_add(&s, "", 0, &e, &added), 0);
  ck_assert(!added && e == 0);
  ck_assert_int_eq(dusk_keyset_find_or_add(&s, "ab", 2, &e, &added), 0);
  ck_assert(!added && e == 1);
  ck_assert_uint_eq(dusk_keyset_keylen(&s, 1), 2);
  ck_assert_int_eq(memcmp(dusk_keyset_key(&s, 1), "ab", 2), 0);
  ck_assert_uint_eq(dusk_keyset_keylen(&s, 0), 0);
  dusk_keyset_destroy(&s);
}
END_TEST

/* A reserve made midway keeps every entry and its number, and adding up
 * to the reserved count then rehashes nothing (the slots stay put). */
START_TEST(test_reserve) {
  enum { FIRST = 1000, ALL = 30000 };
  dusk_keyset s;
  char key[41];
  size_t e;
  int added;
  dusk_keyset_slot *slots;
  dusk_keyset_init(&s);
  for (uint64_t k = 0; k < FIRST; k++) {
    ck_assert_int_eq(dusk_keyset_find_or_add(&s, key, make_key(k, key), &e,
                                             &added), 0);
    ck_assert(added && e == k);
  }
  ck_assert_int_eq(dusk_keyset_reserve(&s, ALL), 0);
  ck_assert_uint_ge(s.nslots * 7, (ALL + 1) * 10);
  ck_assert_uint_ge(s.cap, ALL);
  ck_assert_int_eq(dusk_keyset_reserve(&s, 10), 0); /* never shrinks */
  ck_assert_uint_ge(s.cap, ALL);
  slots = s.slots;
  for (uint64_t k = 0; k < ALL; k++) {
    ck_assert_int_eq(dusk_keyset_find_or_add(&s, key, make_key(k, key), &e,
                                             &added), 0);
    ck_assert(added == (k >= FIRST) && e == k);
  }
  ck_assert_ptr_eq(s.slots, slots);
  for (uint64_t k = 0; k < ALL; k++)
    ck_assert_uint_eq(dusk_keyset_find(&s, key, make_key(k, key)), k);
  ck_assert_int_eq(dusk_keyset_reserve(&s, (size_t)UINT32_MAX), DUSK_ENOMEM);
  dusk_keyset_destroy(&s);
}
END_TEST

/* 200,000 lookups of keys drawn from 50,000, half through batches: every
 * answer equals the reference's (the entry is the key's first-seen rank). */
START_TEST(test_random_vs_reference) {
  enum { DRAWS = 200000, FAMILY = 50000, BATCH = 997 };
  dusk_keyset s;
  int64_t *rank = malloc(FAMILY * sizeof *rank);
  size_t next = 0;
  char *keys = malloc((size_t)BATCH * 41);
  size_t offs[BATCH + 1];
  uint64_t ids[BATCH];
  uint32_t entries[BATCH];
  uint8_t added[BATCH];
  rng_state = 42;
  for (size_t i = 0; i < FAMILY; i++)
    rank[i] = -1;
  dusk_keyset_init(&s);
  for (size_t d = 0; d < DRAWS;) {
    if ((d / BATCH) % 2 == 0) {
      char key[41];
      uint64_t k = rng() % FAMILY;
      size_t len = make_key(k, key), e;
      int a;
      REQUIRE(dusk_keyset_find_or_add(&s, key, len, &e, &a) == 0, "add");
      REQUIRE(a == (rank[k] < 0), "draw %zu: added %d", d, a);
      if (rank[k] < 0)
        rank[k] = (int64_t)next++;
      REQUIRE((int64_t)e == rank[k], "draw %zu: entry %zu", d, e);
      d++;
      continue;
    }
    size_t n = DRAWS - d < BATCH ? DRAWS - d : BATCH;
    offs[0] = 0;
    for (size_t i = 0; i < n; i++) {
      ids[i] = rng() % FAMILY;
      offs[i + 1] = offs[i] + make_key(ids[i], keys + offs[i]);
    }
    REQUIRE(dusk_keyset_find_or_add_batch(&s, keys, offs, n, entries,
                                          added) == 0,
            "batch");
    for (size_t i = 0; i < n; i++) {
      uint64_t k = ids[i];
      REQUIRE(added[i] == (rank[k] < 0), "batch key %zu: added", i);
      if (rank[k] < 0)
        rank[k] = (int64_t)next++;
      REQUIRE((int64_t)entries[i] == rank[k], "batch key %zu: entry", i);
    }
    d += n;
  }
  ck_assert_uint_eq(s.n, next);
  for (size_t k = 0; k < FAMILY; k++) {
    char key[41];
    size_t len = make_key(k, key);
    if (rank[k] < 0)
      continue;
    REQUIRE(dusk_keyset_keylen(&s, (size_t)rank[k]) == len, "len of %zu", k);
    REQUIRE(len == 0 || memcmp(dusk_keyset_key(&s, (size_t)rank[k]), key,
                               len) == 0,
            "bytes of %zu", k);
  }
  dusk_keyset_destroy(&s);
  free(rank);
  free(keys);
}
END_TEST

/* find_batch: keys present and absent, in runs longer than its hashing
 * block (256), each answer the one-key find's; an empty set finds
 * nothing. */
START_TEST(test_find_batch) {
  enum { NKEYS = 1000, NQ = 1700 };
  dusk_keyset s;
  char *keys = malloc((size_t)NQ * 48);
  size_t *offs = malloc((NQ + 1) * sizeof *offs);
  uint32_t *entries = malloc(NQ * sizeof *entries);
  size_t len = 0, e;
  int added;
  ck_assert(keys != NULL && offs != NULL && entries != NULL);
  dusk_keyset_init(&s);
  for (size_t q = 0; q < NQ; q++) { /* key numbers 0..2*NKEYS: half absent */
    offs[q] = len;
    len += make_key((q * 7919) % (2 * NKEYS), keys + len);
  }
  offs[NQ] = len;
  dusk_keyset_find_batch(&s, keys, offs, NQ, entries);
  for (size_t q = 0; q < NQ; q++)
    ck_assert_uint_eq(entries[q], UINT32_MAX);
  for (uint64_t k = 0; k < NKEYS; k++) {
    char key[48];
    size_t kl = make_key(k * 2, key); /* the even key numbers */
    ck_assert_int_eq(dusk_keyset_find_or_add(&s, key, kl, &e, &added), 0);
  }
  dusk_keyset_find_batch(&s, keys, offs, NQ, entries);
  for (size_t q = 0; q < NQ; q++) {
    size_t one = dusk_keyset_find(&s, keys + offs[q], offs[q + 1] - offs[q]);
    uint64_t k = (q * 7919) % (2 * NKEYS);
    ck_assert_uint_eq(entries[q], one == SIZE_MAX ? UINT32_MAX : one);
    if (k % 2 == 0)
      ck_assert_uint_eq(entries[q], k / 2);
    else
      ck_assert_uint_eq(entries[q], UINT32_MAX);
  }
  dusk_keyset_destroy(&s);
  free(keys);
  free(offs);
  free(entries);
}
END_TEST

START_TEST(test_dense_codes) {
  dusk_batch b;
  dusk_type types[3] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64};
  int one[1] = {0}, two[2] = {0, 1}, mixed[2] = {0, 2}, three[3] = {0, 1, 0};
  int64_t codes[6];
  static const int64_t a[6] = {0, 1023, 1024, -1, 5, 1048575};
  static const int64_t c[6] = {7, 0, 3, 3, 1024, 1};
  ck_assert_int_eq(dusk_batch_init(&b, types, 3, 8), 0);
  b.nrows = 6;
  for (size_t r = 0; r < 6; r++) {
    b.cols[0].i64[r] = a[r];
    b.cols[1].i64[r] = c[r];
    b.cols[2].f64[r] = 1.0;
    b.cols[0].valid[r] = b.cols[1].valid[r] = b.cols[2].valid[r] = 1;
  }
  b.cols[1].valid[5] = 0;
  /* one key: 20 bits of range */
  dusk_dense_codes(&b, one, 1, codes);
  ck_assert_int_eq(codes[0], 0);
  ck_assert_int_eq(codes[1], 1023);
  ck_assert_int_eq(codes[2], 1024);
  ck_assert_int_eq(codes[3], -1); /* negative */
  ck_assert_int_eq(codes[5], 1048575);
  /* two keys: 10 bits each, distinct codes */
  dusk_dense_codes(&b, two, 2, codes);
  ck_assert_int_eq(codes[0], 7);
  ck_assert_int_eq(codes[1], 1023 * 1024);
  ck_assert_int_eq(codes[2], -1); /* 1024 is out of range */
  ck_assert_int_eq(codes[3], -1);
  ck_assert_int_eq(codes[4], -1); /* the second key out of range */
  ck_assert_int_eq(codes[5], -1); /* a null */
  /* a float key, or three keys: no codes at all */
  dusk_dense_codes(&b, mixed, 2, codes);
  for (size_t r = 0; r < 6; r++)
    ck_assert_int_eq(codes[r], -1);
  dusk_dense_codes(&b, three, 3, codes);
  for (size_t r = 0; r < 6; r++)
    ck_assert_int_eq(codes[r], -1);
  dusk_batch_destroy(&b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("keyset");
  TCase *tc = tcase_create("keyset");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_empty_key_and_numbering);
  tcase_add_test(tc, test_random_vs_reference);
  tcase_add_test(tc, test_reserve);
  tcase_add_test(tc, test_dense_codes);
  tcase_add_test(tc, test_find_batch);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
