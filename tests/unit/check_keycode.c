/* check_keycode.c - dusk_keycoder and dusk_codeset.
 *
 * The coder: codes are the packed fields (ints, bools, strings numbered as
 * first met), distinct keys get distinct codes, the same key the same code
 * in a batch and in a table; nulls, floats, negative and wide ints, a
 * string first met when its dictionary is full, and more than four columns
 * get none - while a string numbered before the dictionary filled keeps
 * its number.  The code set against a plain reference under fixed-seed
 * random codes, across growth, with repeats inside one batch. */
#include "keycode.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static uint64_t rng(void) { return tu_splitmix(&rng_state); }

/* Sets string row r of batch column c to s. */
static void set_str(dusk_batch *b, size_t c, size_t r, const char *s) {
  uint32_t off;
  ck_assert_int_eq(dusk_batch_arena_add(b, s, strlen(s), &off), 0);
  b->cols[c].str_off[r] = off;
  b->cols[c].str_len[r] = (uint32_t)strlen(s);
  b->cols[c].valid[r] = 1;
}

START_TEST(test_fields_and_refusals) {
  dusk_batch b;
  dusk_type types[4] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64, DUSK_TYPE_BOOL,
                        DUSK_TYPE_FLOAT64};
  int three[3] = {0, 1, 2}, with_float[2] = {0, 3}, five[5] = {0, 1, 2, 1, 0};
  uint64_t codes[8];
  dusk_keycoder c;
  ck_assert_int_eq(dusk_batch_init(&b, types, 4, 8), 0);
  b.nrows = 7;
  static const char *const s[7] = {"B02510", "B02764", "B02510", "", "x",
                                   "B02764", "y"};
  static const int64_t v[7] = {5, 265, 5, 0, -1, ((int64_t)1 << 21) - 2,
                               ((int64_t)1 << 21) - 1};
  for (size_t r = 0; r < 7; r++) {
    set_str(&b, 0, r, s[r]);
    b.cols[1].i64[r] = v[r];
    b.cols[2].b[r] = (uint8_t)(r % 2);
    b.cols[3].f64[r] = 1.5;
    b.cols[1].valid[r] = b.cols[2].valid[r] = b.cols[3].valid[r] = 1;
  }
  b.cols[2].valid[5] = 0;
  dusk_keycoder_init(&c, 3);
  ck_assert_uint_eq(c.bits, 21);
  ck_assert_int_eq(dusk_keycoder_code_batch(&c, &b, three, NULL, codes), 0);
  /* fields of 1 + the value; strings numbered as first met: B02510 0,
   * B02764 1, "" 2; a null is field 0 */
  ck_assert_uint_eq(codes[0], (1ull << 42) | (6ull << 21) | 1);
  ck_assert_uint_eq(codes[1], (2ull << 42) | (266ull << 21) | 2);
  ck_assert_uint_eq(codes[2], codes[0]); /* the same key, the same code */
  ck_assert_uint_eq(codes[3], (3ull << 42) | (1ull << 21) | 2);
  ck_assert_uint_eq(codes[4], DUSK_KEYCODE_NONE); /* negative */
  /* 2^21 - 2 is the widest int a field holds; a null bool is field 0 */
  ck_assert_uint_eq(codes[5], (2ull << 42) | (((1ull << 21) - 1) << 21) | 0);
  ck_assert_uint_eq(codes[6], DUSK_KEYCODE_NONE); /* 2^21 - 1: too wide */
  /* "x" and "y" (rows 4, 6) were not numbered: their keys had no code
   * anyway, and the dictionary is kept for keys that do */
  ck_assert_uint_eq(c.dict[0].n, 3);
  dusk_keycoder_destroy(&c);
  /* a float column: by bytes; five columns: nothing coded */
  dusk_keycoder_init(&c, 2);
  ck_assert_int_eq(dusk_keycoder_code_batch(&c, &b, with_float, NULL, codes),
                   0);
  for (size_t r = 0; r < 7; r++)
    ck_assert_uint_eq(codes[r], DUSK_KEYCODE_NONE);
  dusk_keycoder_destroy(&c);
  dusk_keycoder_init(&c, 5);
  ck_assert_int_eq(dusk_keycoder_code_batch(&c, &b, five, NULL, codes), 0);
  for (size_t r = 0; r < 7; r++)
    ck_assert_uint_eq(codes[r], DUSK_KEYCODE_NONE);
  dusk_keycoder_destroy(&c);
  /* skip: rows marked are left as they were */
  {
    uint8_t skip[7] = {1, 0, 1, 1, 1, 1, 1};
    int one[1] = {1};
    for (size_t r = 0; r < 7; r++)
      codes[r] = 42;
    dusk_keycoder_init(&c, 1);
    ck_assert_uint_eq(c.bits, 63);
    ck_assert_int_eq(dusk_keycoder_code_batch(&c, &b, one, skip, codes), 0);
    ck_assert_uint_eq(codes[0], 42);
    ck_assert_uint_eq(codes[1], 266);
    ck_assert_uint_eq(codes[2], 42);
    dusk_keycoder_destroy(&c);
  }
  dusk_batch_destroy(&b);
}
END_TEST

/* A string first met when its column's dictionary is full has no code;
 * those numbered before keep theirs. */
START_TEST(test_full_dictionary) {
  dusk_batch b;
  dusk_type types[1] = {DUSK_TYPE_STRING};
  int one[1] = {0};
  size_t n = DUSK_KEYCODE_DICT + 3;
  uint64_t *codes = calloc(n, sizeof *codes);
  dusk_keycoder c;
  char s[32];
  ck_assert_int_eq(dusk_batch_init(&b, types, 1, n), 0);
  b.nrows = n;
  for (size_t r = 0; r < DUSK_KEYCODE_DICT + 1; r++) {
    snprintf(s, sizeof s, "k%zu", r);
    set_str(&b, 0, r, s);
  }
  set_str(&b, 0, DUSK_KEYCODE_DICT + 1, "k7");
  set_str(&b, 0, DUSK_KEYCODE_DICT + 2, "k65536");
  dusk_keycoder_init(&c, 1);
  ck_assert_int_eq(dusk_keycoder_code_batch(&c, &b, one, NULL, codes), 0);
  for (size_t r = 0; r < DUSK_KEYCODE_DICT; r++)
    ck_assert_uint_eq(codes[r], r + 1);
  ck_assert_uint_eq(codes[DUSK_KEYCODE_DICT], DUSK_KEYCODE_NONE);
  ck_assert_uint_eq(codes[DUSK_KEYCODE_DICT + 1], 8);
  ck_assert_uint_eq(codes[DUSK_KEYCODE_DICT + 2], DUSK_KEYCODE_NONE);
  dusk_keycoder_destroy(&c);
  dusk_batch_destroy(&b);
  free(codes);
}
END_TEST

/* Strings past the memo's 16 bytes and under it, met again (through the
 * memo, and colliding in it): the numbers of the first meeting. */
START_TEST(test_memo_agrees) {
  dusk_batch b;
  dusk_type types[1] = {DUSK_TYPE_STRING};
  int one[1] = {0};
  enum { N = 3000 };
  uint64_t first[N], again[N];
  dusk_keycoder c;
  char s[48];
  ck_assert_int_eq(dusk_batch_init(&b, types, 1, N), 0);
  b.nrows = N;
  for (size_t r = 0; r < N; r++) {
    /* 1500 distinct: more than the memo's 1024 slots, so some collide */
    size_t k = r % 1500;
    if (k % 3 == 0)
      snprintf(s, sizeof s, "a string longer than sixteen %zu", k);
    else if (k % 3 == 1) /* 9 to 12 bytes: the second word decides */
      snprintf(s, sizeof s, "prefix12%zu", k);
    else
      snprintf(s, sizeof s, "s%zu", k);
    set_str(&b, 0, r, s);
  }
  dusk_keycoder_init(&c, 1);
  ck_assert_int_eq(dusk_keycoder_code_batch(&c, &b, one, NULL, first), 0);
  ck_assert_int_eq(dusk_keycoder_code_batch(&c, &b, one, NULL, again), 0);
  for (size_t r = 0; r < N; r++) {
    ck_assert_uint_eq(first[r], (r % 1500) + 1); /* numbered as first met */
    ck_assert_uint_eq(again[r], first[r]);
  }
  ck_assert_uint_eq(c.dict[0].n, 1500);
  dusk_keycoder_destroy(&c);
  dusk_batch_destroy(&b);
}
END_TEST

/* A table's rows get the codes a batch's would (one coder for both). */
START_TEST(test_table_matches_batch) {
  const char *names[2] = {"s", "i"};
  dusk_type types[2] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64};
  dusk_table *t = dusk_table_new(names, types, 2, 0);
  dusk_batch b;
  int cols[2] = {0, 1};
  uint64_t bc[6], tc[6];
  dusk_keycoder c;
  static const char *const s[6] = {"a", "b", "a", "c", "b", "d"};
  static const int64_t v[6] = {1, 2, 1, 3, 9, -4};
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(dusk_batch_init(&b, types, 2, 8), 0);
  b.nrows = 6;
  for (size_t r = 0; r < 6; r++) {
    dusk_value row[2];
    set_str(&b, 0, r, s[r]);
    b.cols[1].i64[r] = v[r];
    b.cols[1].valid[r] = 1;
    row[0].type = DUSK_TYPE_STRING;
    row[0].u.s.ptr = s[r];
    row[0].u.s.len = strlen(s[r]);
    row[1].type = r == 3 ? DUSK_TYPE_NULL : DUSK_TYPE_INT64;
    row[1].u.i = v[r];
    ck_assert_int_eq(dusk_table_append_row(t, row), 0);
  }
  b.cols[1].valid[3] = 0;
  dusk_keycoder_init(&c, 2);
  ck_assert_int_eq(dusk_keycoder_code_batch(&c, &b, cols, NULL, bc), 0);
  ck_assert_int_eq(dusk_keycoder_code_table(&c, t, 0, 6, tc), 0);
  for (size_t r = 0; r < 6; r++)
    ck_assert_uint_eq(bc[r], tc[r]);
  ck_assert_uint_eq(tc[3], 3ull << 31); /* ("c", null): field 0 */
  ck_assert_uint_eq(tc[5], DUSK_KEYCODE_NONE); /* a negative int */
  ck_assert_uint_ne(tc[0], tc[4]);
  /* rows [2, 5) of the table into codes[0..3) */
  ck_assert_int_eq(dusk_keycoder_code_table(&c, t, 2, 5, tc), 0);
  ck_assert_uint_eq(tc[0], bc[2]);
  ck_assert_uint_eq(tc[2], bc[4]);
  dusk_keycoder_destroy(&c);
  dusk_batch_destroy(&b);
  dusk_table_free(t);
}
END_TEST

/* The code set against a reference (the first index of each code in the
 * stream): numbering in order of first addition, added only the first
 * time, across many batches and growth. */
START_TEST(test_codeset_vs_reference) {
  enum { N = 200000, BATCH = 3000, DISTINCT = 50000 };
  uint64_t *stream = malloc(N * sizeof *stream);
  uint64_t *pool = malloc(DISTINCT * sizeof *pool);
  uint32_t *first = malloc(DISTINCT * sizeof *first); /* pool -> entry */
  uint32_t entries[BATCH];
  uint8_t added[BATCH];
  size_t *which = malloc(N * sizeof *which);
  uint32_t next = 0;
  dusk_codeset s;
  rng_state = 11;
  for (size_t i = 0; i < DISTINCT; i++) {
    /* spread and clustered codes, and 0 */
    pool[i] = i == 0 ? 0 : i % 3 == 0 ? rng() >> 1 : (uint64_t)i * 4096;
    first[i] = UINT32_MAX;
  }
  for (size_t i = 0; i < N; i++) {
    which[i] = (size_t)(rng() % DISTINCT);
    stream[i] = pool[which[i]];
  }
  dusk_codeset_init(&s);
  for (size_t from = 0; from < N; from += BATCH) {
    size_t n = N - from < BATCH ? N - from : BATCH;
    ck_assert_int_eq(
        dusk_codeset_find_or_add_batch(&s, stream + from, n, entries, added),
        0);
    for (size_t i = 0; i < n; i++) {
      size_t k = which[from + i];
      if (first[k] == UINT32_MAX) {
        ck_assert_uint_eq(added[i], 1);
        first[k] = next++;
      } else {
        ck_assert_uint_eq(added[i], 0);
      }
      ck_assert_uint_eq(entries[i], first[k]);
    }
  }
  ck_assert_uint_eq(s.n, next);
  ck_assert(s.n * 10 <= s.nslots * 7);
  dusk_codeset_destroy(&s);
  free(stream);
  free(pool);
  free(first);
  free(which);
}
END_TEST

int main(void) {
  Suite *s = suite_create("keycode");
  TCase *tc = tcase_create("keycode");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_fields_and_refusals);
  tcase_add_test(tc, test_full_dictionary);
  tcase_add_test(tc, test_memo_agrees);
  tcase_add_test(tc, test_table_matches_batch);
  tcase_add_test(tc, test_codeset_vs_reference);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
