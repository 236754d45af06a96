/* check_join.c - the broadcast join's key typing, index and probe.
 *
 * Key pairs are typed as pandas' merge allows them; the index lists each
 * key's right rows in the table's order; a probe finds them for a batch -
 * through the dense table (one small int key) and through the keyset
 * (float, text and composite keys) - with a null equal to a null, -0.0
 * equal to 0.0, an int equal to a float of its value, and text never equal
 * to a bool. */
#include "join.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_key_types) {
  int mode = -1;
  ck_assert_int_eq(dusk_join_key_types(DUSK_TYPE_INT64, DUSK_TYPE_INT64,
                                       &mode), 0);
  ck_assert_int_eq(mode, DUSK_JOIN_EXACT);
  ck_assert_int_eq(dusk_join_key_types(DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                       &mode), 0);
  ck_assert_int_eq(mode, DUSK_JOIN_FLOAT);
  ck_assert_int_eq(dusk_join_key_types(DUSK_TYPE_BOOL, DUSK_TYPE_INT64,
                                       &mode), 0);
  ck_assert_int_eq(mode, DUSK_JOIN_EXACT);
  ck_assert_int_eq(dusk_join_key_types(DUSK_TYPE_STRING, DUSK_TYPE_BOOL,
                                       &mode), 0);
  ck_assert_int_eq(mode, DUSK_JOIN_TEXT_BOOL);
  ck_assert_int_eq(dusk_join_key_types(DUSK_TYPE_DATETIME,
                                       DUSK_TYPE_DATETIME, &mode), 0);
  ck_assert_int_eq(dusk_join_key_types(DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                       &mode), DUSK_ETYPE);
  ck_assert_int_eq(dusk_join_key_types(DUSK_TYPE_STRING, DUSK_TYPE_FLOAT64,
                                       &mode), DUSK_ETYPE);
  ck_assert_int_eq(dusk_join_key_types(DUSK_TYPE_DATETIME, DUSK_TYPE_INT64,
                                       &mode), DUSK_ETYPE);
  ck_assert_int_eq(dusk_join_key_types(DUSK_TYPE_DATE, DUSK_TYPE_DATETIME,
                                       &mode), DUSK_ETYPE);
  ck_assert_str_eq(dusk_join_dtype_name(DUSK_TYPE_STRING), "object");
  ck_assert_str_eq(dusk_join_dtype_name(DUSK_TYPE_INT64), "int64");
}
END_TEST

/* A right table of one int column k: 3, 1, null, 3, 7, null, 0. */
static dusk_table *int_right(void) {
  static const char *const names[] = {"k"};
  static const dusk_type types[] = {DUSK_TYPE_INT64};
  static const int64_t v[] = {3, 1, -1, 3, 7, -1, 0};
  dusk_table *t = dusk_table_new(names, types, 1, 0);
  ck_assert_ptr_nonnull(t);
  for (size_t r = 0; r < 7; r++) {
    dusk_value x;
    x.type = v[r] < 0 ? DUSK_TYPE_NULL : DUSK_TYPE_INT64;
    x.u.i = v[r];
    ck_assert_int_eq(dusk_table_append_row(t, &x), 0);
  }
  return t;
}

/* The right rows of b's row r, as a string of row numbers ("03"). */
static void rows_of(const dusk_join_index *x, const uint32_t *entries,
                    size_t r, char *out) {
  size_t n = dusk_join_count(x, entries[r]);
  for (size_t i = 0; i < n; i++)
    out[i] = (char)('0' + x->rows[x->first[entries[r]] + i]);
  out[n] = '\0';
}

/* A one-column batch of the given type. */
static void batch_of(dusk_batch *b, dusk_type t, size_t n) {
  ck_assert_int_eq(dusk_batch_init(b, &t, 1, 16), 0);
  b->nrows = n;
}

START_TEST(test_int_key_dense_and_hashed) {
  dusk_table *t = int_right();
  dusk_join_index x;
  dusk_error err;
  dusk_buf scratch;
  dusk_batch b;
  uint32_t e[8];
  char got[8];
  const int cols[] = {0};
  static const int64_t left[] = {3, 2, -1, 7, -5, 1, 0, 1 << 21};
  static const char *const want[] = {"03", "", "25", "4", "", "1", "6", ""};
  int mode = DUSK_JOIN_EXACT;
  dusk_buf_init(&scratch);
  ck_assert_int_eq(dusk_join_index_build(&x, t, cols, &mode, 1, &err), 0);
  ck_assert_ptr_nonnull(x.dense); /* one small int key */
  ck_assert(!x.unique);
  batch_of(&b, DUSK_TYPE_INT64, 8);
  for (size_t r = 0; r < 8; r++) {
    b.cols[0].valid[r] = left[r] != -1;
    b.cols[0].i64[r] = left[r];
  }
  ck_assert_int_eq(dusk_join_probe(&x, &b, cols, e, &scratch), 0);
  for (size_t r = 0; r < 8; r++) {
    rows_of(&x, e, r, got);
    ck_assert_msg(strcmp(got, want[r]) == 0, "row %zu: %s, want %s", r, got,
                  want[r]);
  }
  dusk_batch_destroy(&b);
  dusk_join_index_destroy(&x);
  /* as float64 keys (an int column against a float one): the keyset,
   * 3.0 equal to 3, -0.0 to 0 */
  mode = DUSK_JOIN_FLOAT;
  ck_assert_int_eq(dusk_join_index_build(&x, t, cols, &mode, 1, &err), 0);
  ck_assert_ptr_null(x.dense);
  batch_of(&b, DUSK_TYPE_FLOAT64, 4);
  {
    static const double fl[] = {3.0, -0.0, 2.5, 0};
    static const char *const fw[] = {"03", "6", "", "25"};
    for (size_t r = 0; r < 4; r++) {
      b.cols[0].valid[r] = r != 3;
      b.cols[0].f64[r] = fl[r];
    }
    ck_assert_int_eq(dusk_join_probe(&x, &b, cols, e, &scratch), 0);
    for (size_t r = 0; r < 4; r++) {
      rows_of(&x, e, r, got);
      ck_assert_msg(strcmp(got, fw[r]) == 0, "float row %zu: %s, want %s", r,
                    got, fw[r]);
    }
  }
  dusk_batch_destroy(&b);
  dusk_join_index_destroy(&x);
  dusk_table_free(t);
  dusk_buf_destroy(&scratch);
}
END_TEST

/* Index and probe past their lookup chunk (512 rows): 1,500 right rows
 * on two int keys (hashed: two keys never take the dense table), each
 * key twice, probed by 1,300 left rows of which every third is absent;
 * every row finds its own key's two right rows, in the table's order. */
START_TEST(test_many_rows_in_chunks) {
  enum { NR = 1500, NL = 1300 };
  static const char *const names[] = {"a", "b"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  dusk_table *t = dusk_table_new(names, types, 2, 0);
  const int cols[] = {0, 1}, modes[] = {DUSK_JOIN_EXACT, DUSK_JOIN_EXACT};
  dusk_join_index x;
  dusk_error err;
  dusk_buf scratch;
  dusk_batch b;
  uint32_t *e = malloc(NL * sizeof *e);
  ck_assert_ptr_nonnull(t);
  ck_assert_ptr_nonnull(e);
  dusk_buf_init(&scratch);
  for (size_t r = 0; r < NR; r++) { /* key r % 750: rows r and r + 750 */
    dusk_value v[2];
    v[0].type = v[1].type = DUSK_TYPE_INT64;
    v[0].u.i = (int64_t)(r % 750);
    v[1].u.i = -(int64_t)(r % 750) * 3;
    ck_assert_int_eq(dusk_table_append_row(t, v), 0);
  }
  ck_assert_int_eq(dusk_join_index_build(&x, t, cols, modes, 2, &err), 0);
  ck_assert_uint_eq(x.keys.n, 750);
  ck_assert(!x.unique);
  ck_assert_int_eq(dusk_batch_init(&b, types, 2, NL), 0);
  b.nrows = NL;
  for (size_t r = 0; r < NL; r++) {
    int64_t k = (int64_t)((r * 7) % 750);
    b.cols[0].valid[r] = b.cols[1].valid[r] = 1;
    b.cols[0].i64[r] = k;
    b.cols[1].i64[r] = r % 3 == 2 ? k * 3 + 1 : -k * 3; /* absent */
  }
  ck_assert_int_eq(dusk_join_probe(&x, &b, cols, e, &scratch), 0);
  for (size_t r = 0; r < NL; r++) {
    size_t k = (r * 7) % 750;
    if (r % 3 == 2) {
      ck_assert_msg(e[r] == DUSK_JOIN_NONE, "row %zu found", r);
      continue;
    }
    ck_assert_uint_eq(dusk_join_count(&x, e[r]), 2);
    ck_assert_uint_eq(x.rows[x.first[e[r]]], k);
    ck_assert_uint_eq(x.rows[x.first[e[r]] + 1], k + 750);
  }
  dusk_batch_destroy(&b);
  dusk_join_index_destroy(&x);
  dusk_table_free(t);
  dusk_buf_destroy(&scratch);
  free(e);
}
END_TEST

/* Two keys, text and int; text against bools. */
START_TEST(test_composite_and_text_keys) {
  static const char *const names[] = {"s", "i"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64};
  static const char *const sv[] = {"a", "b", NULL, "a", "True"};
  static const int64_t iv[] = {1, 1, 2, 2, 1};
  dusk_table *t = dusk_table_new(names, types, 2, 0);
  dusk_join_index x;
  dusk_error err;
  dusk_buf scratch;
  dusk_batch b;
  uint32_t e[4];
  char got[8];
  const int cols[] = {0, 1}, modes[] = {DUSK_JOIN_EXACT, DUSK_JOIN_EXACT};
  dusk_buf_init(&scratch);
  for (size_t r = 0; r < 5; r++) {
    dusk_value v[2];
    v[0].type = sv[r] ? DUSK_TYPE_STRING : DUSK_TYPE_NULL;
    v[0].u.s.ptr = sv[r];
    v[0].u.s.len = sv[r] ? strlen(sv[r]) : 0;
    v[1].type = DUSK_TYPE_INT64;
    v[1].u.i = iv[r];
    ck_assert_int_eq(dusk_table_append_row(t, v), 0);
  }
  ck_assert_int_eq(dusk_join_index_build(&x, t, cols, modes, 2, &err), 0);
  ck_assert(x.unique);
  {
    dusk_type bt[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64};
    static const char *const ls[] = {"a", NULL, "a", "ab"};
    static const int64_t li[] = {2, 2, 1, 1};
    static const char *const want[] = {"3", "2", "0", ""};
    ck_assert_int_eq(dusk_batch_init(&b, bt, 2, 8), 0);
    b.nrows = 4;
    for (size_t r = 0; r < 4; r++) {
      uint32_t off = 0;
      b.cols[0].valid[r] = ls[r] != NULL;
      if (ls[r] != NULL)
        ck_assert_int_eq(dusk_batch_arena_add(&b, ls[r], strlen(ls[r]), &off),
                         0);
      b.cols[0].str_off[r] = off;
      b.cols[0].str_len[r] = ls[r] ? (uint32_t)strlen(ls[r]) : 0;
      b.cols[1].valid[r] = 1;
      b.cols[1].i64[r] = li[r];
    }
    ck_assert_int_eq(dusk_join_probe(&x, &b, cols, e, &scratch), 0);
    for (size_t r = 0; r < 4; r++) {
      rows_of(&x, e, r, got);
      ck_assert_msg(strcmp(got, want[r]) == 0, "row %zu: %s, want %s", r, got,
                    want[r]);
    }
    dusk_batch_destroy(&b);
  }
  dusk_join_index_destroy(&x);
  {
    /* a bool key against the text column: True is not "True" */
    const int one[] = {0};
    int mode = DUSK_JOIN_TEXT_BOOL;
    ck_assert_int_eq(dusk_join_index_build(&x, t, one, &mode, 1, &err), 0);
    batch_of(&b, DUSK_TYPE_BOOL, 2);
    b.cols[0].valid[0] = 1;
    b.cols[0].b[0] = 1;
    b.cols[0].valid[1] = 0; /* a null equals the right's null */
    ck_assert_int_eq(dusk_join_probe(&x, &b, one, e, &scratch), 0);
    ck_assert_uint_eq(e[0], DUSK_JOIN_NONE);
    rows_of(&x, e, 1, got);
    ck_assert_str_eq(got, "2");
    dusk_batch_destroy(&b);
    dusk_join_index_destroy(&x);
  }
  dusk_table_free(t);
  dusk_buf_destroy(&scratch);
}
END_TEST

/* Exact int and bool keys whose right values all fit are indexed by
 * their packed codes (join.h coded): rows listed per key in table order,
 * an int matching a bool of its value, a left null, negative or wide
 * value matching nothing - and a null meeting a right null; a right value
 * too wide for the fields makes the index byte-keyed. */
START_TEST(test_coded_int_keys) {
  static const char *const names[] = {"a", "b"};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_BOOL};
  static const int64_t av[] = {5, 7, 5, 1 << 20, 7};
  static const int bv[] = {1, 0, 1, 0, 1};
  dusk_table *t = dusk_table_new(names, types, 2, 0);
  dusk_join_index x;
  dusk_error err;
  dusk_buf scratch;
  dusk_batch b;
  uint32_t e[6];
  char got[8];
  const int cols[] = {0, 1}, modes[] = {DUSK_JOIN_EXACT, DUSK_JOIN_EXACT};
  dusk_type bt[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  static const int64_t la[] = {5, 7, 5, -5, (int64_t)1 << 31, 1 << 20};
  static const int64_t lb[] = {1, 1, 1, 1, 0, 0};
  static const char *const want[] = {"02", "4", "", "", "", "3"};
  dusk_buf_init(&scratch);
  for (size_t r = 0; r < 5; r++) {
    dusk_value v[2];
    v[0].type = DUSK_TYPE_INT64;
    v[0].u.i = av[r];
    v[1].type = DUSK_TYPE_BOOL;
    v[1].u.b = bv[r];
    ck_assert_int_eq(dusk_table_append_row(t, v), 0);
  }
  ck_assert_int_eq(dusk_join_index_build(&x, t, cols, modes, 2, &err), 0);
  ck_assert(x.coded);
  ck_assert_uint_eq(dusk_join_entries(&x), 4);
  ck_assert(!x.unique);
  ck_assert_int_eq(dusk_batch_init(&b, bt, 2, 8), 0);
  b.nrows = 6;
  for (size_t r = 0; r < 6; r++) {
    b.cols[0].valid[r] = b.cols[1].valid[r] = 1;
    b.cols[0].i64[r] = la[r];
    b.cols[1].i64[r] = lb[r];
  }
  b.cols[1].valid[2] = 0; /* (5, null) */
  ck_assert_int_eq(dusk_join_probe(&x, &b, cols, e, &scratch), 0);
  for (size_t r = 0; r < 6; r++) {
    rows_of(&x, e, r, got);
    ck_assert_msg(strcmp(got, want[r]) == 0, "row %zu: %s, want %s", r, got,
                  want[r]);
  }
  dusk_join_index_destroy(&x);
  /* a right null is coded too (field 0), and the left null meets it */
  t->cols[1].valid[2] = 0;
  ck_assert_int_eq(dusk_join_index_build(&x, t, cols, modes, 2, &err), 0);
  ck_assert(x.coded);
  ck_assert_int_eq(dusk_join_probe(&x, &b, cols, e, &scratch), 0);
  rows_of(&x, e, 2, got);
  ck_assert_str_eq(got, "2");
  rows_of(&x, e, 0, got);
  ck_assert_str_eq(got, "0");
  dusk_join_index_destroy(&x);
  /* a right value past the fields (2^31 - 1 with two keys): by bytes */
  t->cols[0].i64[3] = ((int64_t)1 << 31) - 1;
  ck_assert_int_eq(dusk_join_index_build(&x, t, cols, modes, 2, &err), 0);
  ck_assert(!x.coded);
  ck_assert_int_eq(dusk_join_probe(&x, &b, cols, e, &scratch), 0);
  rows_of(&x, e, 2, got);
  ck_assert_str_eq(got, "2");
  rows_of(&x, e, 5, got);
  ck_assert_str_eq(got, "");
  dusk_join_index_destroy(&x);
  dusk_batch_destroy(&b);
  dusk_table_free(t);
  dusk_buf_destroy(&scratch);
}
END_TEST

int main(void) {
  Suite *s = suite_create("join");
  TCase *tc = tcase_create("join");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_key_types);
  tcase_add_test(tc, test_int_key_dense_and_hashed);
  tcase_add_test(tc, test_composite_and_text_keys);
  tcase_add_test(tc, test_many_rows_in_chunks);
  tcase_add_test(tc, test_coded_int_keys);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
