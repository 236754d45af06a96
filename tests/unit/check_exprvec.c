/* check_exprvec.c - vectorised evaluation of query expressions
 * (worker/exprvec.c): every comparison over every column type and
 * literals, pandas' null and NaN semantics, arithmetic with Python's floor
 * modulo and numpy's int64 wrap-around, conditions made of bool columns,
 * literal-only expressions, batch sizes at the edges, compile errors, and a
 * randomized sweep against a reference written here.
 *
 * Expected masks follow pandas 1.5 (DataFrame.query): a comparison with a
 * null or NaN operand is false except != which is true; int % 0 is NaN;
 * int / int is float division (so 5 / 0 is inf and 0 / 0 NaN, as numpy).
 * A mask string has one character per row: '1' kept, '0' dropped, '?' not
 * checked.  Rows past nrows must never be written. */
#include "batch.h"
#include "testutil.h"
#include "exprvec.h"
#include "plan.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the schema every test batch uses --------------------------------------
 */

static const char *const names[] = {"i", "j", "f", "g",  "s", "t",
                                    "b", "c", "w", "wf", "k"};
static const dusk_type types[] = {
    DUSK_TYPE_INT64,  DUSK_TYPE_INT64,   DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64,
    DUSK_TYPE_STRING, DUSK_TYPE_STRING,  DUSK_TYPE_BOOL,    DUSK_TYPE_BOOL,
    DUSK_TYPE_INT64,  DUSK_TYPE_FLOAT64, DUSK_TYPE_INT64};
#define NCOLS (sizeof names / sizeof names[0])

static size_t colidx(const char *name) {
  for (size_t c = 0; c < NCOLS; c++)
    if (strcmp(names[c], name) == 0)
      return c;
  ck_abort_msg("no column %s in the test schema", name);
  return 0;
}

static void mkbatch(dusk_batch *b, size_t cap) {
  ck_assert_int_eq(dusk_batch_init(b, types, NCOLS, cap), 0);
}

/* Each setter takes a validity string ('1' present, '0' null), whose length
 * is the batch's row count.  Null cells get poison data. */
static size_t set_valid(dusk_batch *b, size_t col, const char *valid) {
  size_t n = strlen(valid);
  ck_assert_uint_le(n, b->cap);
  b->nrows = n;
  for (size_t r = 0; r < n; r++)
    b->cols[col].valid[r] = valid[r] == '1';
  return n;
}

static void set_i(dusk_batch *b, const char *name, const int64_t *v,
                  const char *valid) {
  size_t c = colidx(name), n = set_valid(b, c, valid);
  for (size_t r = 0; r < n; r++)
    b->cols[c].i64[r] = valid[r] == '1' ? v[r] : 77;
}

static void set_f(dusk_batch *b, const char *name, const double *v,
                  const char *valid) {
  size_t c = colidx(name), n = set_valid(b, c, valid);
  for (size_t r = 0; r < n; r++)
    b->cols[c].f64[r] = valid[r] == '1' ? v[r] : 77.0;
}

static void set_b(dusk_batch *b, const char *name, const int *v,
                  const char *valid) {
  size_t c = colidx(name), n = set_valid(b, c, valid);
  for (size_t r = 0; r < n; r++)
    b->cols[c].b[r] = valid[r] == '1' ? (uint8_t)(v[r] != 0) : 1;
}

/* Strings with explicit lengths (NULL lens: strlen). */
static void set_sn(dusk_batch *b, const char *name, const char *const *v,
                   const size_t *lens, const char *valid) {
  size_t c = colidx(name), n = set_valid(b, c, valid);
  for (size_t r = 0; r < n; r++) {
    const char *p = valid[r] == '1' ? v[r] : "x";
    size_t len = valid[r] == '1' ? (lens ? lens[r] : strlen(p)) : 1;
    uint32_t off;
    ck_assert_int_eq(dusk_batch_arena_add(b, p, len, &off), 0);
    b->cols[c].str_off[r] = off;
    b->cols[c].str_len[r] = (uint32_t)len;
  }
}

static void set_s(dusk_batch *b, const char *name, const char *const *v,
                  const char *valid) {
  set_sn(b, name, v, NULL, valid);
}

/* ---- expressions ------------------------------------------------------------
 */


static dusk_expr *and_(dusk_expr *a, dusk_expr *b) {
  return dusk_expr_node(DUSK_EXPR_AND, 0, a, b);
}

static dusk_expr *or_(dusk_expr *a, dusk_expr *b) {
  return dusk_expr_node(DUSK_EXPR_OR, 0, a, b);
}

static dusk_expr *not_(dusk_expr *a) {
  return dusk_expr_node(DUSK_EXPR_NOT, 0, a, NULL);
}

static dusk_expr *isnull_(dusk_expr *a) {
  return dusk_expr_node(DUSK_EXPR_ISNULL, 0, a, NULL);
}

static dusk_expr *notnull_(dusk_expr *a) {
  return dusk_expr_node(DUSK_EXPR_NOTNULL, 0, a, NULL);
}

enum {
  EQ = DUSK_CMP_EQ,
  NE = DUSK_CMP_NE,
  LT = DUSK_CMP_LT,
  LE = DUSK_CMP_LE,
  GT = DUSK_CMP_GT,
  GE = DUSK_CMP_GE
};
enum {
  ADD = DUSK_ARITH_ADD,
  SUB = DUSK_ARITH_SUB,
  MUL = DUSK_ARITH_MUL,
  DIV = DUSK_ARITH_DIV,
  MOD = DUSK_ARITH_MOD,
  FLOORDIV = DUSK_ARITH_FLOORDIV,
  POW = DUSK_ARITH_POW
};

/* ---- evaluating -------------------------------------------------------------
 */

#define SENTINEL 0xee

/* Compiles e (freed here) for b's capacity and evaluates it on b; the mask
 * must match want and leave the bytes past nrows alone. */
static void check_mask_at(dusk_expr *e, const dusk_batch *b, const char *want,
                          int line) {
  dusk_exprvec *x = NULL;
  dusk_error err;
  uint8_t *mask = malloc(b->cap + 8);
  char text[256], got[1024];
  size_t n = b->nrows;
  ck_assert_ptr_nonnull(e);
  ck_assert_ptr_nonnull(mask);
  dusk_expr_format(e, text, sizeof text);
  ck_assert_msg(strlen(want) == n, "line %d: %s: want has %zu rows, batch %zu",
                line, text, strlen(want), n);
  dusk_error_clear(&err);
  ck_assert_msg(
      dusk_exprvec_compile(e, names, types, NCOLS, b->cap, &x, &err) == 0,
      "line %d: compile %s: %s", line, text, err.message);
  memset(mask, SENTINEL, b->cap + 8);
  ck_assert_int_eq(dusk_exprvec_eval(x, b, mask), 0);
  for (size_t r = 0; r < n && r + 1 < sizeof got; r++)
    got[r] = mask[r] == 1 ? '1' : mask[r] == 0 ? '0' : '!';
  got[n < sizeof got ? n : sizeof got - 1] = '\0';
  for (size_t r = 0; r < n; r++)
    ck_assert_msg(want[r] == '?' ? mask[r] <= 1 : mask[r] == (want[r] == '1'),
                  "line %d: %s: row %zu: got mask %s, want %s", line, text, r,
                  got, want);
  for (size_t r = n; r < b->cap + 8; r++)
    ck_assert_msg(mask[r] == SENTINEL, "line %d: %s: wrote mask[%zu]", line,
                  text, r);
  dusk_exprvec_free(x);
  dusk_expr_free(e);
  free(mask);
}

#define check_mask(e, b, want) check_mask_at((e), (b), (want), __LINE__)

/* ---- comparisons ------------------------------------------------------------
 */

/* Compiles e against the test schema, evaluates it into column `into`;
 * returns the rc (the expression is freed). */
static int eval_into(dusk_expr *e, dusk_batch *b, const char *into) {
  dusk_exprvec *x = NULL;
  int rc;
  ck_assert_int_eq(
      dusk_exprvec_compile(e, names, types, NCOLS, b->cap, &x, NULL), 0);
  rc = dusk_exprvec_eval_into(x, b, colidx(into));
  dusk_exprvec_free(x);
  dusk_expr_free(e);
  return rc;
}

/* A derived column (plan.h assign): the value of every row, nulls where
 * an operand is null, literals broadcast, strings shared. */
START_TEST(test_eval_into) {
  static const int64_t iv[] = {1, -7, 7, 0};
  static const int64_t jv[] = {1, 3, 0, 2};
  static const double fv[] = {1.5, 2, -1, 0};
  static const char *const sv[] = {"ab", "", "c", "zz"};
  dusk_batch b;
  size_t w = colidx("w"), wf = colidx("wf"), c = colidx("c"),
         t = colidx("t");
  mkbatch(&b, 4);
  set_i(&b, "i", iv, "1111");
  set_i(&b, "j", jv, "1101");
  set_f(&b, "f", fv, "1011");
  set_s(&b, "s", sv, "1110");
  ck_assert_int_eq(eval_into(tu_arith(DUSK_ARITH_ADD, tu_col("i"),
                                      tu_col("j")), &b, "w"), 0);
  ck_assert_int_eq(b.cols[w].i64[0], 2);
  ck_assert_int_eq(b.cols[w].i64[1], -4);
  ck_assert_int_eq(b.cols[w].valid[2], 0);
  ck_assert_int_eq(b.cols[w].i64[3], 2);
  ck_assert_int_eq(eval_into(tu_arith(DUSK_ARITH_DIV, tu_col("f"),
                                      tu_lit_int(2)), &b, "wf"), 0);
  ck_assert_double_eq(b.cols[wf].f64[0], 0.75);
  ck_assert_int_eq(b.cols[wf].valid[1], 0);
  ck_assert_double_eq(b.cols[wf].f64[2], -0.5);
  ck_assert_int_eq(eval_into(tu_cmp(GT, tu_col("i"), tu_lit_int(0)), &b, "c"),
                   0);
  ck_assert_int_eq(b.cols[c].b[0] + 2 * b.cols[c].b[1] + 4 * b.cols[c].b[2] +
                       8 * b.cols[c].b[3],
                   5);
  ck_assert_int_eq(eval_into(tu_col("s"), &b, "t"), 0);
  ck_assert_int_eq(b.cols[t].str_len[0], 2);
  ck_assert_int_eq(memcmp(b.arena + b.cols[t].str_off[0], "ab", 2), 0);
  ck_assert_int_eq(b.cols[t].valid[3], 0);
  ck_assert_int_eq(eval_into(tu_lit_str("lit"), &b, "t"), 0);
  for (size_t r = 0; r < 4; r++) {
    ck_assert_int_eq(b.cols[t].valid[r], 1);
    ck_assert_int_eq(memcmp(b.arena + b.cols[t].str_off[r], "lit", 3), 0);
  }
  ck_assert_int_eq(eval_into(tu_lit_int(7), &b, "w"), 0);
  ck_assert_int_eq(b.cols[w].i64[2], 7);
  ck_assert_int_eq(b.cols[w].valid[2], 1);
  /* A column of the wrong type is refused. */
  ck_assert_int_eq(eval_into(tu_col("f"), &b, "w"), DUSK_EINVAL);
  dusk_batch_destroy(&b);
}
END_TEST

/* Evaluates e into bool column "c" with column i marked as pandas'
 * nullable Int64 (dusk_exprvec_mask); want has one character per row:
 * '1' True, '0' False, 'N' NA. */
static void check_masked_at(dusk_expr *e, dusk_batch *b, const char *want,
                            int line) {
  dusk_exprvec *x = NULL;
  uint8_t masked[NCOLS] = {0};
  size_t c = colidx("c");
  masked[colidx("i")] = 1;
  ck_assert_int_eq(
      dusk_exprvec_compile(e, names, types, NCOLS, b->cap, &x, NULL), 0);
  dusk_exprvec_mask(x, masked, NCOLS);
  ck_assert_int_eq(dusk_exprvec_eval_into(x, b, c), 0);
  for (size_t r = 0; want[r] != '\0'; r++) {
    char got = !b->cols[c].valid[r] ? 'N' : b->cols[c].b[r] ? '1' : '0';
    ck_assert_msg(got == want[r], "line %d row %zu: got %c, wanted %c", line,
                  r, got, want[r]);
  }
  dusk_exprvec_free(x);
  dusk_expr_free(e);
}

/* pandas' nullable arrays: a comparison with an NA operand is NA (numpy's
 * answer, False - True for != - where no column is masked), and / or are
 * Kleene's, not of NA is NA, isna() is a plain bool; a filter keeps no NA
 * row. */
START_TEST(test_masked_na_semantics) {
  static const int64_t iv[] = {1, 0, 5, 0, 9, 0};
  static const int64_t jv[] = {1, 1, 1, 9, 9, 9};
  dusk_batch b;
  uint8_t mask[6];
  dusk_exprvec *x = NULL;
  uint8_t masked[NCOLS] = {0};
  mkbatch(&b, 6);
  set_i(&b, "i", iv, "101010"); /* i: 1 NA 5 NA 9 NA */
  set_i(&b, "j", jv, "111111");
#define check_masked(e, w) check_masked_at((e), &b, (w), __LINE__)
  check_masked(tu_cmp(GT, tu_col("i"), tu_lit_int(2)), "0N1N1N");
  check_masked(tu_cmp(NE, tu_col("i"), tu_lit_int(2)), "1N1N1N");
  /* j > 5 is F F F T T T: NA & F = F, NA & T = NA; NA | T = T */
  check_masked(dusk_expr_node(DUSK_EXPR_AND, 0,
                              tu_cmp(GT, tu_col("i"), tu_lit_int(2)),
                              tu_cmp(GT, tu_col("j"), tu_lit_int(5))),
               "000N1N");
  check_masked(dusk_expr_node(DUSK_EXPR_OR, 0,
                              tu_cmp(GT, tu_col("i"), tu_lit_int(2)),
                              tu_cmp(GT, tu_col("j"), tu_lit_int(5))),
               "0N1111");
  check_masked(dusk_expr_node(DUSK_EXPR_NOT, 0,
                              tu_cmp(GT, tu_col("i"), tu_lit_int(2)), NULL),
               "1N0N0N");
  check_masked(dusk_expr_node(DUSK_EXPR_ISNULL, 0, tu_col("i"), NULL),
               "010101");
  /* not masked: numpy's answers */
  check_masked(tu_cmp(GT, tu_col("j"), tu_lit_int(5)), "000111");
#undef check_masked
  /* a filter on an NA condition keeps no row */
  masked[colidx("i")] = 1;
  {
    dusk_expr *e = tu_cmp(NE, tu_col("i"), tu_lit_int(2));
    ck_assert_int_eq(
        dusk_exprvec_compile(e, names, types, NCOLS, 6, &x, NULL), 0);
    dusk_exprvec_mask(x, masked, NCOLS);
    ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), 0);
    for (size_t r = 0; r < 6; r++)
      ck_assert_int_eq(mask[r], r % 2 == 0);
    dusk_exprvec_free(x);
    dusk_expr_free(e);
  }
  dusk_batch_destroy(&b);
}
END_TEST

START_TEST(test_compare_int) {
  static const int64_t iv[] = {1, -7, 7, 0, 0, 5};
  static const int64_t jv[] = {1, 3, 0, 0, 2, 2};
  dusk_batch b;
  mkbatch(&b, 6);
  set_i(&b, "i", iv, "111101");
  set_i(&b, "j", jv, "110111");
  /* Column against a literal. */
  check_mask(tu_cmp(EQ, tu_col("i"), tu_lit_int(1)), &b, "100000");
  check_mask(tu_cmp(NE, tu_col("i"), tu_lit_int(1)), &b, "011111");
  check_mask(tu_cmp(LT, tu_col("i"), tu_lit_int(1)), &b, "010100");
  check_mask(tu_cmp(LE, tu_col("i"), tu_lit_int(1)), &b, "110100");
  check_mask(tu_cmp(GT, tu_col("i"), tu_lit_int(1)), &b, "001001");
  check_mask(tu_cmp(GE, tu_col("i"), tu_lit_int(1)), &b, "101001");
  /* A literal on the left. */
  check_mask(tu_cmp(LT, tu_lit_int(1), tu_col("i")), &b, "001001");
  check_mask(tu_cmp(GE, tu_lit_int(0), tu_col("i")), &b, "010100");
  /* Two columns, nulls on either side. */
  check_mask(tu_cmp(EQ, tu_col("i"), tu_col("j")), &b, "100100");
  check_mask(tu_cmp(NE, tu_col("i"), tu_col("j")), &b, "011011");
  check_mask(tu_cmp(LT, tu_col("i"), tu_col("j")), &b, "010000");
  check_mask(tu_cmp(LE, tu_col("i"), tu_col("j")), &b, "110100");
  check_mask(tu_cmp(GT, tu_col("i"), tu_col("j")), &b, "000001");
  check_mask(tu_cmp(GE, tu_col("i"), tu_col("j")), &b, "100101");
  /* Against a float literal: compared as numbers. */
  check_mask(tu_cmp(GT, tu_col("i"), tu_lit_float(0.5)), &b, "101001");
  check_mask(tu_cmp(EQ, tu_col("i"), tu_lit_float(1.0)), &b, "100000");
  check_mask(tu_cmp(LT, tu_col("i"), tu_lit_float(-6.5)), &b, "010000");
  dusk_batch_destroy(&b);
}
END_TEST

/* int64 against int64 is exact even where doubles cannot tell the values
 * apart (2^53 + 1, INT64_MAX - 1). */
START_TEST(test_compare_int_exact) {
  static const int64_t iv[] = {INT64_MAX, INT64_MIN, 9007199254740993LL,
                               -9007199254740993LL};
  static const int64_t jv[] = {INT64_MAX - 1, INT64_MIN + 1, 9007199254740992LL,
                               -9007199254740992LL};
  dusk_batch b;
  mkbatch(&b, 4);
  set_i(&b, "i", iv, "1111");
  set_i(&b, "j", jv, "1111");
  check_mask(tu_cmp(GT, tu_col("i"), tu_col("j")), &b, "1010");
  check_mask(tu_cmp(EQ, tu_col("i"), tu_col("j")), &b, "0000");
  check_mask(tu_cmp(NE, tu_col("i"), tu_col("j")), &b, "1111");
  check_mask(tu_cmp(EQ, tu_col("i"), tu_lit_int(INT64_MAX)), &b, "1000");
  check_mask(tu_cmp(LT, tu_col("i"), tu_lit_int(INT64_MIN + 1)), &b, "0100");
  check_mask(tu_cmp(EQ, tu_col("i"), tu_lit_int(9007199254740993LL)), &b, "0010");
  dusk_batch_destroy(&b);
}
END_TEST

START_TEST(test_compare_float) {
  static const double fv[] = {1.5, -0.0, NAN, INFINITY, 0, -INFINITY, 0.0};
  static const double gv[] = {2.0, 0.0, 1.0, INFINITY, 1.0, 0, NAN};
  static const int64_t kv[] = {2, 0, 1, 3, 1, -1, 0};
  dusk_batch b;
  mkbatch(&b, 7);
  set_f(&b, "f", fv, "1111011");
  set_f(&b, "g", gv, "1111101");
  set_i(&b, "k", kv, "1111111");
  check_mask(tu_cmp(EQ, tu_col("f"), tu_lit_float(0.0)), &b, "0100001"); /* -0.0 == 0.0 */
  check_mask(tu_cmp(NE, tu_col("f"), tu_lit_float(0.0)), &b, "1011110"); /* NaN, null */
  check_mask(tu_cmp(LT, tu_col("f"), tu_lit_float(0.0)), &b, "0000010");
  check_mask(tu_cmp(LE, tu_col("f"), tu_lit_float(0.0)), &b, "0100011");
  check_mask(tu_cmp(GT, tu_col("f"), tu_lit_float(0.0)), &b, "1001000");
  check_mask(tu_cmp(GE, tu_col("f"), tu_lit_float(0.0)), &b, "1101001");
  check_mask(tu_cmp(GT, tu_col("f"), tu_lit_int(1)), &b, "1001000");
  check_mask(tu_cmp(EQ, tu_col("f"), tu_lit_float(INFINITY)), &b, "0001000");
  check_mask(tu_cmp(LT, tu_col("f"), tu_lit_float(-1e308)), &b, "0000010");
  /* NaN equals nothing, itself included. */
  check_mask(tu_cmp(EQ, tu_col("f"), tu_col("f")), &b, "1101011");
  check_mask(tu_cmp(NE, tu_col("f"), tu_col("f")), &b, "0010100");
  check_mask(tu_cmp(EQ, tu_col("f"), tu_lit_float(NAN)), &b, "0000000");
  check_mask(tu_cmp(NE, tu_col("f"), tu_lit_float(NAN)), &b, "1111111");
  /* Two float columns. */
  check_mask(tu_cmp(LT, tu_col("f"), tu_col("g")), &b, "1000000");
  check_mask(tu_cmp(LE, tu_col("f"), tu_col("g")), &b, "1101000");
  check_mask(tu_cmp(EQ, tu_col("f"), tu_col("g")), &b, "0101000");
  check_mask(tu_cmp(NE, tu_col("f"), tu_col("g")), &b, "1010111");
  check_mask(tu_cmp(GE, tu_col("f"), tu_col("g")), &b, "0101000");
  /* int column against float column. */
  check_mask(tu_cmp(LT, tu_col("k"), tu_col("f")), &b, "0001000");
  check_mask(tu_cmp(GE, tu_col("k"), tu_col("g")), &b, "1110100");
  check_mask(tu_cmp(EQ, tu_col("g"), tu_col("k")), &b, "1110100");
  check_mask(tu_cmp(LT, tu_col("k"), tu_col("g")), &b, "0001000");
  dusk_batch_destroy(&b);
}
END_TEST

START_TEST(test_compare_string) {
  static const char *const sv[] = {"a", "", "B", "ab", NULL, "\xc3\xa9", "b"};
  static const char *const tv[] = {"a", NULL, "b", "aa", "x", "\xc3\xa9", "a"};
  dusk_batch b;
  mkbatch(&b, 7);
  set_s(&b, "s", sv, "1111011");
  set_s(&b, "t", tv, "1011111");
  check_mask(tu_cmp(EQ, tu_col("s"), tu_lit_str("ab")), &b, "0001000");
  check_mask(tu_cmp(NE, tu_col("s"), tu_lit_str("ab")), &b, "1110111");
  check_mask(tu_cmp(LT, tu_col("s"), tu_lit_str("ab")), &b, "1110000");
  check_mask(tu_cmp(LE, tu_col("s"), tu_lit_str("ab")), &b, "1111000");
  check_mask(tu_cmp(GT, tu_col("s"), tu_lit_str("ab")), &b, "0000011");
  check_mask(tu_cmp(GE, tu_col("s"), tu_lit_str("ab")), &b, "0001011");
  check_mask(tu_cmp(EQ, tu_col("s"), tu_lit_str("")), &b, "0100000");
  /* Literal on the left; bytewise order puts UTF-8 after ASCII. */
  check_mask(tu_cmp(GT, tu_lit_str("b"), tu_col("s")), &b, "1111000");
  check_mask(tu_cmp(LT, tu_lit_str("b"), tu_col("s")), &b, "0000010");
  /* Two string columns. */
  check_mask(tu_cmp(EQ, tu_col("s"), tu_col("t")), &b, "1000010");
  check_mask(tu_cmp(NE, tu_col("s"), tu_col("t")), &b, "0111101");
  check_mask(tu_cmp(LT, tu_col("s"), tu_col("t")), &b, "0010000");
  check_mask(tu_cmp(LE, tu_col("s"), tu_col("t")), &b, "1010010");
  check_mask(tu_cmp(GT, tu_col("s"), tu_col("t")), &b, "0001001");
  check_mask(tu_cmp(GE, tu_col("s"), tu_col("t")), &b, "1001011");
  dusk_batch_destroy(&b);
}
END_TEST

/* Strings are compared by bytes and length, not as C strings. */
START_TEST(test_compare_string_bytes) {
  static const char *const sv[] = {"a\0b", "a", "a\0", "\xff", "a\0b"};
  static const size_t lens[] = {3, 1, 2, 1, 3};
  dusk_batch b;
  mkbatch(&b, 5);
  set_sn(&b, "s", sv, lens, "11111");
  check_mask(tu_cmp(EQ, tu_col("s"), tu_lit_strn("a\0b", 3)), &b, "10001");
  check_mask(tu_cmp(EQ, tu_col("s"), tu_lit_str("a")), &b, "01000");
  check_mask(tu_cmp(GT, tu_col("s"), tu_lit_str("a")), &b, "10111");
  check_mask(tu_cmp(GT, tu_col("s"), tu_lit_strn("a\0", 2)), &b, "10011");
  check_mask(tu_cmp(GT, tu_col("s"), tu_lit_str("z")), &b, "00010");
  dusk_batch_destroy(&b);
}
END_TEST

START_TEST(test_compare_bool) {
  static const int bv[] = {1, 0, 0, 1};
  static const int cv[] = {1, 1, 0, 0};
  static const int64_t iv[] = {1, 1, 0, 2};
  dusk_batch b;
  mkbatch(&b, 4);
  set_b(&b, "b", bv, "1101");
  set_b(&b, "c", cv, "1110");
  set_i(&b, "i", iv, "1111");
  check_mask(tu_cmp(EQ, tu_col("b"), tu_lit_bool(1)), &b, "1001");
  check_mask(tu_cmp(NE, tu_col("b"), tu_lit_bool(1)), &b, "0110");
  check_mask(tu_cmp(LT, tu_col("b"), tu_lit_bool(1)), &b, "0100"); /* False < True */
  check_mask(tu_cmp(GT, tu_col("b"), tu_lit_bool(0)), &b, "1001");
  check_mask(tu_cmp(LE, tu_col("b"), tu_lit_bool(0)), &b, "0100");
  check_mask(tu_cmp(GE, tu_col("b"), tu_lit_bool(0)), &b, "1101");
  /* Bools compare with numbers as 0 and 1. */
  check_mask(tu_cmp(EQ, tu_col("b"), tu_lit_int(1)), &b, "1001");
  check_mask(tu_cmp(EQ, tu_col("b"), tu_lit_float(1.0)), &b, "1001");
  check_mask(tu_cmp(LT, tu_col("b"), tu_lit_float(0.5)), &b, "0100");
  check_mask(tu_cmp(EQ, tu_col("b"), tu_col("i")), &b, "1000");
  /* Two bool columns. */
  check_mask(tu_cmp(EQ, tu_col("b"), tu_col("c")), &b, "1000");
  check_mask(tu_cmp(NE, tu_col("b"), tu_col("c")), &b, "0111");
  check_mask(tu_cmp(LT, tu_col("b"), tu_col("c")), &b, "0100");
  check_mask(tu_cmp(GE, tu_col("b"), tu_col("c")), &b, "1000");
  dusk_batch_destroy(&b);
}
END_TEST

/* ---- nulls and conditions ---------------------------------------------------
 */

START_TEST(test_null_semantics) {
  static const int64_t iv[] = {1, 0, 3, 0};
  static const int64_t jv[] = {0, 2, 3, 0};
  static const double fv[] = {0, 1.0, NAN, 0};
  static const char *const sv[] = {"a", NULL, "b", NULL};
  static const int bv[] = {1, 0, 0, 0};
  dusk_batch b;
  mkbatch(&b, 4);
  set_i(&b, "i", iv, "1010");
  set_i(&b, "j", jv, "0110");
  set_f(&b, "f", fv, "0110");
  set_s(&b, "s", sv, "1010");
  set_b(&b, "b", bv, "1100");
  /* Every operator with a null operand: false, != true. */
  for (int op = EQ; op <= GE; op++) {
    const char *want = op == NE ? "1111" : "0000";
    check_mask(tu_cmp(op, tu_col("i"), tu_lit_none()), &b, want);
    check_mask(tu_cmp(op, tu_lit_none(), tu_col("i")), &b, want);
    check_mask(tu_cmp(op, tu_lit_none(), tu_lit_none()), &b, want);
    check_mask(tu_cmp(op, tu_lit_none(), tu_lit_int(1)), &b, want);
  }
  check_mask(tu_cmp(LT, tu_col("i"), tu_lit_int(10)), &b, "1010");
  check_mask(tu_cmp(GE, tu_col("i"), tu_lit_int(-10)), &b, "1010");
  check_mask(tu_cmp(NE, tu_col("i"), tu_lit_int(10)), &b, "1111");
  check_mask(tu_cmp(NE, tu_col("s"), tu_lit_str("a")), &b, "0111");
  check_mask(tu_cmp(LT, tu_col("s"), tu_lit_str("z")), &b, "1010");
  check_mask(tu_cmp(NE, tu_col("b"), tu_lit_bool(1)), &b, "0111");
  /* Both sides null: still != only. */
  check_mask(tu_cmp(EQ, tu_col("i"), tu_col("j")), &b, "0010");
  check_mask(tu_cmp(NE, tu_col("i"), tu_col("j")), &b, "1101");
  /* not(comparison with null) is true; not(x != null) false. */
  check_mask(not_(tu_cmp(GT, tu_col("i"), tu_lit_int(0))), &b, "0101");
  check_mask(not_(tu_cmp(NE, tu_col("i"), tu_lit_int(0))), &b, "0000");
  check_mask(not_(not_(tu_cmp(GT, tu_col("i"), tu_lit_int(0)))), &b, "1010");
  check_mask(not_(tu_cmp(EQ, tu_col("f"), tu_col("f"))), &b, "1011");
  /* and / or over comparisons with nulls. */
  check_mask(and_(tu_cmp(GT, tu_col("i"), tu_lit_int(0)), tu_cmp(GT, tu_col("j"), tu_lit_int(0))), &b,
             "0010");
  check_mask(or_(tu_cmp(GT, tu_col("i"), tu_lit_int(0)), tu_cmp(GT, tu_col("j"), tu_lit_int(0))), &b,
             "1110");
  check_mask(or_(tu_cmp(EQ, tu_col("i"), tu_col("j")), tu_cmp(NE, tu_col("s"), tu_lit_str("a"))), &b,
             "0111");
  /* isnull / notnull on every type, on literals and on arithmetic. */
  check_mask(isnull_(tu_col("i")), &b, "0101");
  check_mask(notnull_(tu_col("i")), &b, "1010");
  check_mask(isnull_(tu_col("j")), &b, "1001");
  check_mask(isnull_(tu_col("f")), &b, "1001");
  check_mask(notnull_(tu_col("f")), &b, "0110");
  check_mask(isnull_(tu_col("s")), &b, "0101");
  check_mask(isnull_(tu_col("b")), &b, "0011");
  check_mask(notnull_(tu_col("b")), &b, "1100");
  check_mask(isnull_(tu_lit_none()), &b, "1111");
  check_mask(notnull_(tu_lit_none()), &b, "0000");
  check_mask(notnull_(tu_lit_int(5)), &b, "1111");
  check_mask(isnull_(tu_lit_str("")), &b, "0000");
  check_mask(isnull_(tu_arith(ADD, tu_col("i"), tu_col("j"))), &b, "1101");
  check_mask(isnull_(tu_arith(MUL, tu_col("i"), tu_lit_none())), &b, "1111");
  check_mask(not_(isnull_(tu_col("i"))), &b, "1010");
  check_mask(or_(isnull_(tu_col("i")), isnull_(tu_col("j"))), &b, "1101");
  check_mask(and_(notnull_(tu_col("i")), notnull_(tu_col("j"))), &b, "0010");
  /* isnull of a condition: a comparison is never null. */
  check_mask(isnull_(tu_cmp(GT, tu_col("i"), tu_lit_int(0))), &b, "0000");
  dusk_batch_destroy(&b);
}
END_TEST

START_TEST(test_bool_conditions) {
  static const int bv[] = {1, 0, 0, 1, 1};
  static const int cv[] = {1, 1, 0, 0, 0};
  static const int64_t iv[] = {5, 5, 5, 0, 5};
  dusk_batch b;
  mkbatch(&b, 5);
  set_b(&b, "b", bv, "11011");
  set_b(&b, "c", cv, "11100");
  set_i(&b, "i", iv, "11111");
  /* A bool column is a condition; a null one counts as false. */
  check_mask(tu_col("b"), &b, "10011");
  check_mask(not_(tu_col("b")), &b, "01100");
  check_mask(and_(tu_col("b"), tu_col("c")), &b, "10000");
  check_mask(or_(tu_col("b"), tu_col("c")), &b, "11011");
  check_mask(not_(and_(tu_col("b"), tu_col("c"))), &b, "01111");
  check_mask(and_(tu_col("b"), tu_cmp(GT, tu_col("i"), tu_lit_int(0))), &b, "10001");
  check_mask(or_(not_(tu_col("c")), tu_cmp(EQ, tu_col("i"), tu_lit_int(0))), &b, "00111");
  check_mask(and_(tu_col("b"), tu_lit_bool(1)), &b, "10011");
  check_mask(or_(tu_col("b"), tu_lit_bool(0)), &b, "10011");
  check_mask(or_(tu_col("c"), tu_lit_bool(1)), &b, "11111");
  dusk_batch_destroy(&b);
}
END_TEST

/* ---- arithmetic -------------------------------------------------------------
 */

/* Checks (a op b) row by row against the expected column w (int64) or wf
 * (float64): equal where the expected value is a number, NaN where it is
 * NaN (x != x), null where it is null. */
static void check_values_at(int op, const char *a, const char *bname,
                            const char *want_col, const dusk_batch *bt,
                            int line) {
  size_t wc = colidx(want_col), n = bt->nrows;
  const dusk_column *w = &bt->cols[wc];
  char eq[64], nan_or_null[64], null[64];
  ck_assert_uint_lt(n, sizeof eq);
  for (size_t r = 0; r < n; r++) {
    int valid = w->valid[r] != 0;
    int isnan_ = valid && w->type == DUSK_TYPE_FLOAT64 && isnan(w->f64[r]);
    eq[r] = valid && !isnan_ ? '1' : '0';
    nan_or_null[r] = !valid || isnan_ ? '1' : '0';
    /* Whether a float NaN counts as null is not pandas' to say here
     * (query() has no (a / b).isnull()): not checked. */
    null[r] = !valid ? '1' : isnan_ ? '?' : '0';
  }
  eq[n] = nan_or_null[n] = null[n] = '\0';
  check_mask_at(tu_cmp(EQ, tu_arith(op, tu_col(a), tu_col(bname)), tu_col(want_col)), bt, eq,
                line);
  check_mask_at(tu_cmp(NE, tu_arith(op, tu_col(a), tu_col(bname)), tu_arith(op, tu_col(a), tu_col(bname))),
                bt, nan_or_null, line);
  check_mask_at(isnull_(tu_arith(op, tu_col(a), tu_col(bname))), bt, null, line);
}

#define check_values(op, a, b, w, bt) check_values_at(op, a, b, w, bt, __LINE__)

/* Pairs (i, j) and pandas' answers (values from pandas 1.5 with numpy
 * int64: wrap-around on overflow; i % 0 NaN; / true division). */
#define NI 15
static const int64_t ai[NI] = {
    7, -7,        7,         -7,           6, 0, INT64_MIN, 5, 0,
    1, INT64_MAX, INT64_MIN, 3037000500LL, 0, -5};
static const int64_t bi[NI] = {3, 3, -3, -3, -3,           5, -1, 0,
                               1, 0, 1,  1,  3037000500LL, 0, 0};
static const char ai_valid[] = "111111110111111";
static const char bi_valid[] = "111111111011111";

START_TEST(test_arith_int) {
  static const int64_t add[NI] = {
      10,           -4, 4, -10, 3,         5,
      INT64_MAX,    5,  0, 0,   INT64_MIN, INT64_MIN + 1,
      6074001000LL, 0,  -5};
  static const int64_t sub[NI] = {
      4, -10,           10,        -4, 9, -5, INT64_MIN + 1, 5, 0,
      0, INT64_MAX - 1, INT64_MAX, 0,  0, -5};
  static const int64_t mul[NI] = {21,
                                  -21,
                                  -21,
                                  21,
                                  -18,
                                  0,
                                  INT64_MIN,
                                  0,
                                  0,
                                  0,
                                  INT64_MAX,
                                  INT64_MIN,
                                  -9223372036709301616LL,
                                  0,
                                  0};
  /* Python's floor modulo: the sign of the divisor; x % 0 is NaN. */
  static const int64_t mod[NI] = {1, 2, -2, -1, 0, 0, 0, 0,
                                  0, 0, 0,  0,  0, 0, 0};
  static const char mod_valid[] = "111111100011100";
  static const char both_valid[] = "111111110011111";
  static const double div[NI] = {7.0 / 3,
                                 -7.0 / 3,
                                 -7.0 / 3,
                                 7.0 / 3,
                                 -2.0,
                                 0.0,
                                 9223372036854775808.0,
                                 INFINITY,
                                 0,
                                 0,
                                 9223372036854775808.0,
                                 -9223372036854775808.0,
                                 1.0,
                                 NAN,
                                 -INFINITY};
  dusk_batch b;
  mkbatch(&b, NI);
  set_i(&b, "i", ai, ai_valid);
  set_i(&b, "j", bi, bi_valid);
  set_i(&b, "w", add, both_valid);
  check_values(ADD, "i", "j", "w", &b);
  set_i(&b, "w", sub, both_valid);
  check_values(SUB, "i", "j", "w", &b);
  set_i(&b, "w", mul, both_valid);
  check_values(MUL, "i", "j", "w", &b);
  set_i(&b, "w", mod, mod_valid);
  check_values(MOD, "i", "j", "w", &b);
  set_f(&b, "wf", div, both_valid);
  check_values(DIV, "i", "j", "wf", &b);
  /* Division by zero: 5 / 0 is inf, -5 / 0 -inf, 0 / 0 NaN (numpy);
   * % 0 is NaN, so every comparison but != is false. */
  check_mask(tu_cmp(GT, tu_arith(DIV, tu_col("i"), tu_col("j")), tu_lit_float(1e308)), &b,
             "000000010000000");
  check_mask(tu_cmp(LT, tu_arith(DIV, tu_col("i"), tu_col("j")), tu_lit_float(-1e308)), &b,
             "000000000000001");
  check_mask(tu_cmp(EQ, tu_arith(MOD, tu_col("i"), tu_col("j")), tu_lit_int(0)), &b,
             "000011100011100");
  check_mask(tu_cmp(NE, tu_arith(MOD, tu_col("i"), tu_col("j")), tu_lit_int(0)), &b,
             "111100011100011");
  check_mask(tu_cmp(GE, tu_arith(MOD, tu_col("i"), tu_col("j")), tu_lit_int(-100)), &b,
             "111111100011100");
  /* int / int is float: 7 / 2 == 3.5, not 3. */
  check_mask(tu_cmp(EQ, tu_arith(DIV, tu_col("i"), tu_lit_int(2)), tu_lit_float(3.5)), &b, "101000000000000");
  check_mask(tu_cmp(EQ, tu_arith(DIV, tu_lit_int(7), tu_lit_int(2)), tu_lit_float(3.5)), &b, "111111111111111");
  dusk_batch_destroy(&b);
}
END_TEST

#define NF 14

START_TEST(test_arith_float) {
  static const double fv[NF] = {-7.5,     7.5, -7.5, 7.5, 5.0, -5.0, 5.0,
                                INFINITY, 3.0, 0,    1.0, 0.1, -0.0, 0.0};
  static const double gv[NF] = {3.0, -3.0, -3.0, 3.0, INFINITY, INFINITY, 0.0,
                                3.0, -3.0, 1.0,  NAN, 0.2,      5.0,      0.0};
  static const int64_t kv[NF] = {-7, 7, -7, 7, 5, -5, 5, 1, 3, 2, 1, 0, 0, 0};
  static const char valid[] = "11111111101111";
  /* numpy's answers for f op g. */
  static const double add[NF] = {-4.5,     4.5,      -10.5, 10.5,
                                 INFINITY, INFINITY, 5.0,   INFINITY,
                                 0.0,      0,        NAN,   0.30000000000000004,
                                 5.0,      0.0};
  static const double sub[NF] = {-10.5,     10.5, -4.5,     4.5, -INFINITY,
                                 -INFINITY, 5.0,  INFINITY, 6.0, 0,
                                 NAN,       -0.1, -5.0,     0.0};
  static const double mul[NF] = {
      -22.5, -22.5,    22.5, 22.5, INFINITY, -INFINITY,
      0.0,   INFINITY, -9.0, 0,    NAN,      0.020000000000000004,
      -0.0,  0.0};
  static const double div[NF] = {-2.5,     -2.5, 2.5, 2.5, 0.0, -0.0, INFINITY,
                                 INFINITY, -1.0, 0,   NAN, 0.5, -0.0, NAN};
  /* Python floor modulo: -7.5 % 3 == 1.5, 7.5 % -3 == -1.5, 5 % inf == 5,
   * -5 % inf == inf, x % 0.0 and inf % x NaN. */
  static const double mod[NF] = {1.5, -1.5, -1.5, 1.5, 5.0, INFINITY, NAN,
                                 NAN, -0.0, 0,    NAN, 0.1, 0.0,      NAN};
  /* k (int64) % g and k + g: int with float is float. */
  static const double kmod[NF] = {2.0, -2.0, -1.0, 1.0, 5.0, INFINITY, NAN,
                                  1.0, -0.0, 0.0,  NAN, 0.0, 0.0,      NAN};
  static const double kadd[NF] = {-4.0,     4.0, -10.0, 10.0, INFINITY,
                                  INFINITY, 5.0, 4.0,   0.0,  3.0,
                                  NAN,      0.2, 5.0,   0.0};
  dusk_batch b;
  mkbatch(&b, NF);
  set_f(&b, "f", fv, valid);
  set_f(&b, "g", gv, "11111111111111");
  set_i(&b, "k", kv, "11111111111111");
  set_f(&b, "wf", add, valid);
  check_values(ADD, "f", "g", "wf", &b);
  set_f(&b, "wf", sub, valid);
  check_values(SUB, "f", "g", "wf", &b);
  set_f(&b, "wf", mul, valid);
  check_values(MUL, "f", "g", "wf", &b);
  set_f(&b, "wf", div, valid);
  check_values(DIV, "f", "g", "wf", &b);
  set_f(&b, "wf", mod, valid);
  check_values(MOD, "f", "g", "wf", &b);
  set_f(&b, "wf", kmod, "11111111111111");
  check_values(MOD, "k", "g", "wf", &b);
  set_f(&b, "wf", kadd, "11111111111111");
  check_values(ADD, "k", "g", "wf", &b);
  /* The sign of a floor modulo shows in comparisons. */
  check_mask(tu_cmp(GT, tu_arith(MOD, tu_col("f"), tu_col("g")), tu_lit_float(0.0)), &b,
             "10011100000100");
  check_mask(tu_cmp(LT, tu_arith(MOD, tu_col("f"), tu_col("g")), tu_lit_float(0.0)), &b,
             "01100000000000");
  /* Literals. */
  check_mask(tu_cmp(EQ, tu_arith(MOD, tu_lit_float(-7.5), tu_lit_int(3)), tu_lit_float(1.5)), &b, "11111111111111");
  check_mask(tu_cmp(EQ, tu_arith(MOD, tu_lit_int(7), tu_lit_float(-3.0)), tu_lit_float(-2.0)), &b, "11111111111111");
  check_mask(tu_cmp(EQ, tu_arith(MOD, tu_lit_int(-7), tu_lit_int(3)), tu_lit_int(2)), &b, "11111111111111");
  check_mask(tu_cmp(EQ, tu_arith(MOD, tu_lit_int(7), tu_lit_int(-3)), tu_lit_int(-2)), &b, "11111111111111");
  check_mask(tu_cmp(EQ, tu_arith(MOD, tu_lit_int(-7), tu_lit_int(-3)), tu_lit_int(-1)), &b, "11111111111111");
  dusk_batch_destroy(&b);
}
END_TEST

/* // and ** as Python and numpy compute them: floor division toward -inf
 * (ints; x // 0 null, as % is), numpy's float floor_divide, int powers by
 * repeated squaring that wrap like numpy's, float powers by pow(), and an
 * int raised to a negative int refused (DUSK_ETYPE), as numpy refuses. */
START_TEST(test_floordiv_and_pow) {
  static const int64_t iv[] = {7, -7, 7, -7, 0, 2};
  static const int64_t jv[] = {2, 2, -2, -2, 0, 63};
  static const int64_t fd[] = {3, -4, -4, 3, 0, 0};
  static const double fv[] = {7.5, -7.5, 7.5, 1.0, 0.0, -1.0};
  static const double gv[] = {2.0, 2.0, -2.0, 0.1, 3.0, 0.0};
  static const double ffd[] = {3.0, -4.0, -4.0, 9.0, 0.0, -INFINITY};
  dusk_batch b;
  mkbatch(&b, 6);
  set_i(&b, "i", iv, "111111");
  set_i(&b, "j", jv, "111111");
  set_i(&b, "w", fd, "111101");
  check_values(FLOORDIV, "i", "j", "w", &b);
  set_f(&b, "f", fv, "111111");
  set_f(&b, "g", gv, "111111");
  set_f(&b, "wf", ffd, "111111");
  check_values(FLOORDIV, "f", "g", "wf", &b);
  /* i ** 2, except 7 ** -2 and -7 ** -2 refused; 2 ** 63 wraps. */
  set_i(&b, "j", (const int64_t[]){2, 2, 0, 0, 0, 63}, "111111");
  set_i(&b, "w", (const int64_t[]){49, 49, 1, 1, 1, INT64_MIN}, "111111");
  check_values(POW, "i", "j", "w", &b);
  check_mask(tu_cmp(EQ, tu_arith(POW, tu_lit_float(2.0), tu_lit_float(0.5)),
                    tu_lit_float(sqrt(2.0))),
             &b, "111111");
  check_mask(tu_cmp(EQ, tu_arith(POW, tu_lit_int(2), tu_lit_float(-1.0)),
                    tu_lit_float(0.5)),
             &b, "111111");
  check_mask(tu_cmp(EQ, tu_arith(POW, tu_lit_int(-3), tu_lit_int(3)),
                    tu_lit_int(-27)),
             &b, "111111");
  check_mask(tu_cmp(EQ, tu_arith(FLOORDIV, tu_lit_int(-1), tu_lit_int(3)),
                    tu_lit_int(-1)),
             &b, "111111");
  for (int k = 0; k < 2; k++) {
    /* an int to a negative power; an int other than 0 // 0 (pandas' inf,
     * a float64 column), which says what to write instead */
    dusk_exprvec *x = NULL;
    uint8_t mask[16];
    dusk_expr *e =
        k == 0 ? tu_cmp(GT, tu_arith(POW, tu_col("i"), tu_lit_int(-1)),
                        tu_lit_int(0))
               : tu_cmp(GT, tu_arith(FLOORDIV, tu_col("i"), tu_lit_int(0)),
                        tu_lit_int(0));
    ck_assert_int_eq(
        dusk_exprvec_compile(e, names, types, NCOLS, b.cap, &x, NULL), 0);
    ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), DUSK_ETYPE);
    ck_assert_ptr_nonnull(strstr(dusk_exprvec_refusal(x),
                                 k == 0 ? "negative integer powers"
                                        : "x.astype(float) // y"));
    dusk_exprvec_free(x);
    dusk_expr_free(e);
  }
  {
    /* a NaN computed is null, as pandas holds it missing */
    uint8_t mask[16];
    dusk_exprvec *x = NULL;
    dusk_expr *e = isnull_(tu_arith(POW, tu_arith(SUB, tu_col("f"),
                                                    tu_col("f")),
                                      tu_lit_float(0.5)));
    ck_assert_int_eq(
        dusk_exprvec_compile(e, names, types, NCOLS, b.cap, &x, NULL), 0);
    ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), 0);
    ck_assert_int_eq(mask[0], 0); /* (7.5 - 7.5) ** 0.5 == 0 */
    dusk_exprvec_free(x);
    dusk_expr_free(e);
    e = isnull_(tu_arith(POW, tu_lit_float(-1.0), tu_lit_float(0.5)));
    ck_assert_int_eq(
        dusk_exprvec_compile(e, names, types, NCOLS, b.cap, &x, NULL), 0);
    ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), 0);
    for (int r = 0; r < 6; r++)
      ck_assert_int_eq(mask[r], 1); /* (-1) ** 0.5 is NaN: missing */
    dusk_exprvec_free(x);
    dusk_expr_free(e);
  }
  dusk_batch_destroy(&b);
}
END_TEST

/* A missing number is pandas' NaN (an int column holding one is float64
 * there), and numpy's pow gives NaN ** 0 and 1 ** NaN as 1: such a row
 * is 1, not missing - of float and int columns and with literals; other
 * powers of a missing value stay missing. */
START_TEST(test_pow_of_missing_values) {
  static const double fv[] = {0, 1.0, 2.0, 0, 1.0, 0};
  static const double gv[] = {0.0, 0, 2.0, 0, -0.0, 3.0};
  static const int64_t iv[] = {0, 1, 2, 0, 1, 0};
  static const int64_t jv[] = {0, 0, 2, 0, 0, 3};
  dusk_batch b;
  mkbatch(&b, 6);
  set_f(&b, "f", fv, "011010");
  set_f(&b, "g", gv, "101011");
  set_f(&b, "wf", (const double[]){1, 1, 4, 0, 1, 0}, "111010");
  check_values(POW, "f", "g", "wf", &b);
  set_i(&b, "i", iv, "011010");
  set_i(&b, "j", jv, "101011");
  set_i(&b, "w", (const int64_t[]){1, 1, 4, 0, 1, 0}, "111010");
  check_values(POW, "i", "j", "w", &b);
  /* with literals: x ** 0, 1 ** x, and a missing literal */
  check_mask(notnull_(tu_arith(POW, tu_col("f"), tu_lit_int(0))), &b,
             "111111");
  check_mask(notnull_(tu_arith(POW, tu_col("i"), tu_lit_float(0.0))), &b,
             "111111");
  check_mask(notnull_(tu_arith(POW, tu_lit_int(1), tu_col("g"))), &b,
             "111111");
  check_mask(notnull_(tu_arith(POW, tu_lit_float(1.0), tu_col("j"))), &b,
             "111111");
  check_mask(notnull_(tu_arith(POW, tu_col("f"), tu_lit_none())), &b,
             "010010");
  check_mask(notnull_(tu_arith(POW, tu_lit_none(), tu_col("g"))), &b,
             "100010");
  check_mask(notnull_(tu_arith(POW, tu_col("f"), tu_lit_int(2))), &b,
             "011010");
  dusk_batch_destroy(&b);
}
END_TEST

static dusk_expr *str_fn(int fn, const char *col, const char *pat) {
  return dusk_expr_node(DUSK_EXPR_FUNC, fn, tu_col(col),
                        pat ? tu_lit_str(pat) : NULL);
}

/* The .str functions: literal startswith / endswith / contains (an empty
 * pattern matches everything; a null value is no match) and len() in
 * UTF-8 characters. */
START_TEST(test_str_functions) {
  static const char *const sv[] = {"B02870", "b02", "", "B0", "xB02y",
                                   "\xc3\xbcn\xc3\xaf", "B02"};
  static const int64_t lens[] = {6, 3, 0, 2, 5, 3, 3};
  dusk_batch b;
  mkbatch(&b, 7);
  set_s(&b, "s", sv, "1111110");
  check_mask(str_fn(DUSK_FN_STARTSWITH, "s", "B02"), &b, "1000000");
  check_mask(str_fn(DUSK_FN_ENDSWITH, "s", "70"), &b, "1000000");
  check_mask(str_fn(DUSK_FN_CONTAINS, "s", "B02"), &b, "1000100");
  check_mask(str_fn(DUSK_FN_CONTAINS, "s", ""), &b, "1111110");
  check_mask(str_fn(DUSK_FN_STARTSWITH, "s", "B02870+"), &b, "0000000");
  check_mask(dusk_expr_node(DUSK_EXPR_NOT, 0,
                            str_fn(DUSK_FN_CONTAINS, "s", "0"), NULL),
             &b, "0010011"); /* a null is no match (na=False), so not it is */
  set_i(&b, "w", lens, "1111110");
  ck_assert_int_eq(eval_into(str_fn(DUSK_FN_STR_LEN, "s", NULL), &b, "k"), 0);
  for (size_t r = 0; r < 6; r++)
    ck_assert_int_eq(b.cols[colidx("k")].i64[r], lens[r]);
  ck_assert_int_eq(b.cols[colidx("k")].valid[6], 0);
  check_mask(str_fn(DUSK_FN_RE_SEARCH, "s", "^[Bb]0\\d"), &b, "1100000");
  check_mask(str_fn(DUSK_FN_RE_FULLMATCH, "s", "B0\\d{,1}"), &b, "0001000");
  dusk_batch_destroy(&b);
}
END_TEST

/* A pattern PCRE2 gives up on (catastrophic backtracking) refuses the
 * value, naming it: a "no match" there would be a silent wrong answer. */
START_TEST(test_regex_refuses_runaway_backtracking) {
  static const char *const sv[] = {"ab c", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"};
  dusk_batch b;
  dusk_exprvec *x;
  uint8_t mask[2];
  dusk_expr *e = str_fn(DUSK_FN_RE_SEARCH, "s", "^(\\w+\\s?)*$");
  mkbatch(&b, 2);
  set_s(&b, "s", sv, "11");
  ck_assert_int_eq(dusk_exprvec_compile(e, names, types, NCOLS, b.cap, &x,
                                        NULL),
                   0);
  ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(dusk_exprvec_refusal(x), "'aaaaaaaa"));
  ck_assert_ptr_nonnull(strstr(dusk_exprvec_refusal(x), "backtracked"));
  set_s(&b, "s", sv, "10"); /* the next batch starts afresh */
  ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), 0);
  ck_assert_int_eq(mask[0], 1);
  dusk_exprvec_free(x);
  dusk_expr_free(e);
  dusk_batch_destroy(&b);
}
END_TEST

/* .dt.date: the day's midnight, before 1970 too; NaT stays null. */
START_TEST(test_dt_date) {
  static const int64_t day = 86400000000000LL;
  static const int64_t tv[] = {1617300386000000000LL, -1, 0, -day, 5};
  static const int64_t want[] = {1617235200000000000LL, -day, 0, -day};
  static const char *const tnames[] = {"t", "d"};
  static const dusk_type ttypes[] = {DUSK_TYPE_DATETIME, DUSK_TYPE_DATE};
  static const dusk_type storage[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  dusk_expr *e = dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_DT_DATE, tu_col("t"),
                                NULL);
  dusk_exprvec *x;
  dusk_batch b;
  ck_assert_int_eq(dusk_batch_init(&b, storage, 2, 5), 0);
  b.nrows = 5;
  for (size_t r = 0; r < 5; r++) {
    b.cols[0].i64[r] = tv[r];
    b.cols[0].valid[r] = r < 4;
  }
  ck_assert_int_eq(dusk_exprvec_compile(e, tnames, ttypes, 2, 5, &x, NULL), 0);
  ck_assert_int_eq(dusk_exprvec_type(x), DUSK_TYPE_DATE);
  ck_assert_int_eq(dusk_exprvec_eval_into(x, &b, 1), 0);
  for (size_t r = 0; r < 4; r++)
    ck_assert_int_eq(b.cols[1].i64[r], want[r]);
  ck_assert_int_eq(b.cols[1].valid[4], 0);
  dusk_exprvec_free(x);
  dusk_expr_free(e);
  dusk_batch_destroy(&b);
}
END_TEST

/* round as numpy: half to even, at 10^-d for negative d (ints too). */
START_TEST(test_round) {
  static const double fv[] = {2.5, 3.5, -2.5, 0.125, 1234.5, 2.675};
  static const double r0[] = {2.0, 4.0, -2.0, 0.0, 1234.0, 3.0};
  static const double r2[] = {2.5, 3.5, -2.5, 0.12, 1234.5, 2.68};
  static const double rm[] = {0.0, 0.0, -0.0, 0.0, 1200.0, 0.0};
  static const int64_t iv[] = {15, 25, -15, 149, 150, 7};
  static const int64_t im[] = {20, 20, -20, 150, 150, 10};
  dusk_batch b;
  dusk_value d;
  mkbatch(&b, 6);
  memset(&d, 0, sizeof d);
  d.type = DUSK_TYPE_INT64;
  set_f(&b, "f", fv, "111111");
  set_i(&b, "i", iv, "111111");
  for (int k = 0; k < 3; k++) {
    const double *want = k == 0 ? r0 : k == 1 ? r2 : rm;
    d.u.i = k == 0 ? 0 : k == 1 ? 2 : -2;
    ck_assert_int_eq(eval_into(dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_ROUND,
                                              tu_col("f"),
                                              dusk_expr_literal(d)),
                               &b, "wf"),
                     0);
    for (size_t r = 0; r < 6; r++)
      ck_assert_msg(b.cols[colidx("wf")].f64[r] == want[r],
                    "round(%g, %lld) = %g, want %g", fv[r], (long long)d.u.i,
                    b.cols[colidx("wf")].f64[r], want[r]);
  }
  d.u.i = -1;
  ck_assert_int_eq(eval_into(dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_ROUND,
                                            tu_col("i"), dusk_expr_literal(d)),
                             &b, "w"),
                   0);
  for (size_t r = 0; r < 6; r++)
    ck_assert_int_eq(b.cols[colidx("w")].i64[r], im[r]);
  dusk_batch_destroy(&b);
}
END_TEST

/* astype(float / int) and clip: int clipped by an int stays int, by a
 * float becomes float, NaN stays NaN; astype(int) truncates and refuses
 * NaN and nulls (DUSK_ETYPE, as pandas raises). */
START_TEST(test_astype_and_clip) {
  static const double fv[] = {-2.7, 2.7, NAN, 5.0};
  static const int64_t iv[] = {-5, 0, 5, 50};
  static const int64_t fi[] = {-2, 2, 0, 5};
  dusk_batch b;
  dusk_value lo, hi;
  dusk_exprvec *x = NULL;
  uint8_t mask[8];
  dusk_expr *e;
  mkbatch(&b, 4);
  set_f(&b, "f", fv, "1111");
  set_i(&b, "i", iv, "1111");
  memset(&lo, 0, sizeof lo);
  memset(&hi, 0, sizeof hi);
  lo.type = DUSK_TYPE_INT64;
  lo.u.i = 0;
  hi.type = DUSK_TYPE_FLOAT64;
  hi.u.f = 4.5;
  /* i.clip(0, 4.5) == [0, 0, 4.5, 4.5] */
  check_mask(tu_cmp(EQ,
                    dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_CLIP_UPPER,
                                   dusk_expr_node(DUSK_EXPR_FUNC,
                                                  DUSK_FN_CLIP_LOWER,
                                                  tu_col("i"),
                                                  dusk_expr_literal(lo)),
                                   dusk_expr_literal(hi)),
                    tu_lit_float(4.5)),
             &b, "0011");
  /* f.clip(lower=0) keeps NaN (no comparison holds) */
  check_mask(tu_cmp(GE,
                    dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_CLIP_LOWER,
                                   tu_col("f"), dusk_expr_literal(lo)),
                    tu_lit_int(0)),
             &b, "1101");
  check_mask(tu_cmp(EQ,
                    dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_TO_FLOAT,
                                   tu_col("i"), NULL),
                    tu_lit_float(5.0)),
             &b, "0010");
  /* astype(int) of f refuses the NaN row; of f where not NaN truncates */
  e = tu_cmp(EQ, dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_TO_INT, tu_col("f"),
                                NULL),
             tu_lit_int(2));
  ck_assert_int_eq(dusk_exprvec_compile(e, names, types, NCOLS, b.cap, &x,
                                        NULL),
                   0);
  ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(dusk_exprvec_refusal(x), "astype(int)"));
  dusk_exprvec_free(x);
  dusk_expr_free(e);
  set_f(&b, "f", fv, "1101");
  set_f(&b, "f", (const double[]){-2.7, 2.7, 0.0, 5.0}, "1111");
  set_i(&b, "w", fi, "1111");
  ck_assert_int_eq(eval_into(dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_TO_INT,
                                            tu_col("f"), NULL),
                             &b, "k"),
                   0);
  for (size_t r = 0; r < 4; r++)
    ck_assert_int_eq(b.cols[colidx("k")].i64[r], fi[r]);
  dusk_batch_destroy(&b);
}
END_TEST

START_TEST(test_arith_bool_and_nested) {
  static const int bv[] = {1, 1, 0, 0};
  static const int cv[] = {1, 0, 1, 0};
  static const int64_t iv[] = {10, 20, 30, 40};
  static const double fv[] = {0.5, 1.5, 2.5, 3.5};
  dusk_batch b;
  mkbatch(&b, 4);
  set_b(&b, "b", bv, "1110");
  set_b(&b, "c", cv, "1111");
  set_i(&b, "i", iv, "1111");
  set_f(&b, "f", fv, "1101");
  /* True + True == 2; bool * float is float. */
  check_mask(tu_cmp(EQ, tu_arith(ADD, tu_col("b"), tu_col("c")), tu_lit_int(2)), &b, "1000");
  check_mask(tu_cmp(EQ, tu_arith(ADD, tu_col("b"), tu_col("c")), tu_lit_int(1)), &b, "0110");
  check_mask(tu_cmp(EQ, tu_arith(MUL, tu_col("b"), tu_lit_float(1.5)), tu_lit_float(1.5)), &b, "1100");
  check_mask(isnull_(tu_arith(SUB, tu_col("b"), tu_col("c"))), &b, "0001");
  /* ((i + 2) * 3 - f) / 2 > 25  ->  (36 - 0.5) / 2, (66 - 1.5) / 2, null,
   * (126 - 3.5) / 2. */
  check_mask(
      tu_cmp(GT,
          tu_arith(DIV, tu_arith(SUB, tu_arith(MUL, tu_arith(ADD, tu_col("i"), tu_lit_int(2)), tu_lit_int(3)), tu_col("f")),
             tu_lit_int(2)),
          tu_lit_int(25)),
      &b, "0101");
  /* (i % 7) % 3 with Python semantics on positive values. */
  check_mask(tu_cmp(EQ, tu_arith(MOD, tu_arith(MOD, tu_col("i"), tu_lit_int(7)), tu_lit_int(3)), tu_lit_int(0)), &b,
             "1100");
  /* Arithmetic on both sides of a comparison. */
  check_mask(tu_cmp(LT, tu_arith(MUL, tu_col("f"), tu_lit_int(20)), tu_arith(ADD, tu_col("i"), tu_lit_int(1))), &b,
             "1000");
  dusk_batch_destroy(&b);
}
END_TEST

/* ---- literal-only expressions and batch sizes -------------------------------
 */

START_TEST(test_literal_only) {
  static const int64_t iv[] = {1, 2, 3};
  dusk_batch b;
  mkbatch(&b, 3);
  set_i(&b, "i", iv, "111");
  check_mask(tu_cmp(LT, tu_lit_int(1), tu_lit_int(2)), &b, "111");
  check_mask(tu_cmp(LT, tu_lit_int(2), tu_lit_int(1)), &b, "000");
  check_mask(tu_lit_bool(1), &b, "111");
  check_mask(tu_lit_bool(0), &b, "000");
  check_mask(not_(tu_lit_bool(0)), &b, "111");
  check_mask(and_(tu_lit_bool(1), tu_lit_bool(0)), &b, "000");
  check_mask(or_(tu_lit_bool(1), tu_lit_bool(0)), &b, "111");
  check_mask(tu_cmp(EQ, tu_lit_none(), tu_lit_none()), &b, "000");
  check_mask(tu_cmp(NE, tu_lit_none(), tu_lit_none()), &b, "111");
  check_mask(tu_cmp(LT, tu_lit_str("a"), tu_lit_str("b")), &b, "111");
  check_mask(tu_cmp(EQ, tu_lit_str(""), tu_lit_str("")), &b, "111");
  check_mask(tu_cmp(EQ, tu_arith(MUL, tu_arith(ADD, tu_lit_int(2), tu_lit_int(3)), tu_lit_int(4)), tu_lit_int(20)), &b, "111");
  check_mask(tu_cmp(EQ, tu_arith(MOD, tu_lit_int(7), tu_lit_int(0)), tu_lit_int(0)), &b, "000");
  check_mask(tu_cmp(NE, tu_arith(MOD, tu_lit_int(7), tu_lit_int(0)), tu_lit_int(0)), &b, "111");
  check_mask(tu_cmp(EQ, tu_arith(MOD, tu_lit_float(7.5), tu_lit_int(-3)), tu_lit_float(-1.5)), &b, "111");
  check_mask(tu_cmp(GT, tu_lit_float(NAN), tu_lit_int(0)), &b, "000");
  /* A literal beside a column. */
  check_mask(and_(tu_lit_bool(1), tu_cmp(GT, tu_col("i"), tu_lit_int(1))), &b, "011");
  dusk_batch_destroy(&b);
}
END_TEST

START_TEST(test_batch_sizes) {
  static const int64_t iv[] = {1, -2, 3, -4, 5, -6};
  static const char *const sv[] = {"a", "b", "c", "d", "e", "f"};
  dusk_batch b;
  dusk_exprvec *x;
  dusk_expr *e;
  uint8_t mask[16];
  /* 0 rows: nothing written. */
  mkbatch(&b, 4);
  b.nrows = 0;
  check_mask(tu_cmp(GT, tu_col("i"), tu_lit_int(0)), &b, "");
  check_mask(and_(tu_cmp(NE, tu_col("s"), tu_lit_str("a")), not_(tu_col("b"))), &b, "");
  check_mask(tu_lit_bool(1), &b, "");
  dusk_batch_destroy(&b);
  /* Exactly cap rows. */
  mkbatch(&b, 5);
  set_i(&b, "i", iv, "11111");
  set_s(&b, "s", sv, "11011");
  check_mask(tu_cmp(GT, tu_col("i"), tu_lit_int(0)), &b, "10101");
  check_mask(
      or_(tu_cmp(EQ, tu_arith(MOD, tu_col("i"), tu_lit_int(2)), tu_lit_int(0)), tu_cmp(EQ, tu_col("s"), tu_lit_str("a"))),
      &b, "11010");
  dusk_batch_destroy(&b);
  /* A capacity of 0 compiles and evaluates an empty batch. */
  mkbatch(&b, 0);
  e = tu_cmp(GT, tu_arith(ADD, tu_col("i"), tu_lit_int(1)), tu_lit_int(0));
  ck_assert_int_eq(dusk_exprvec_compile(e, names, types, NCOLS, 0, &x, NULL),
                   0);
  memset(mask, SENTINEL, sizeof mask);
  ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), 0);
  ck_assert_uint_eq(mask[0], SENTINEL);
  dusk_exprvec_free(x);
  dusk_batch_destroy(&b);
  /* More rows than the compiled capacity are refused, not overrun. */
  mkbatch(&b, 6);
  set_i(&b, "i", iv, "111111");
  ck_assert_int_eq(dusk_exprvec_compile(e, names, types, NCOLS, 5, &x, NULL),
                   0);
  memset(mask, SENTINEL, sizeof mask);
  ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), DUSK_EINVAL);
  b.nrows = 5;
  ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), 0);
  ck_assert_uint_eq(mask[5], SENTINEL);
  dusk_exprvec_free(x);
  dusk_expr_free(e);
  dusk_exprvec_free(NULL);
  dusk_batch_destroy(&b);
}
END_TEST

/* One compiled expression over batches of different sizes and data: the
 * scratch vectors carry nothing from one batch to the next. */
START_TEST(test_reuse_across_batches) {
  static const int64_t i1[] = {1, 2, 3, 4, 5, 6, 7, 8};
  static const int64_t j1[] = {8, 7, 6, 5, 4, 3, 2, 1};
  static const int64_t i2[] = {-1, 0, 9};
  static const int64_t j2[] = {0, 0, 0};
  dusk_expr *e = or_(tu_cmp(GT, tu_arith(SUB, tu_col("i"), tu_col("j")), tu_lit_int(0)),
                     isnull_(tu_arith(MOD, tu_col("i"), tu_col("j"))));
  dusk_exprvec *x;
  dusk_batch b;
  uint8_t mask[8];
  static const uint8_t want1[8] = {0, 0, 0, 0, 1, 1, 1, 1};
  static const uint8_t want2[3] = {1, 1, 1};
  static const uint8_t want3[8] = {0, 0, 1, 0, 1, 1, 1, 1};
  mkbatch(&b, 8);
  ck_assert_int_eq(dusk_exprvec_compile(e, names, types, NCOLS, 8, &x, NULL),
                   0);
  set_i(&b, "i", i1, "11111111");
  set_i(&b, "j", j1, "11111111");
  ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), 0);
  ck_assert_mem_eq(mask, want1, 8);
  dusk_batch_clear(&b);
  set_i(&b, "i", i2, "111");
  set_i(&b, "j", j2, "111");
  ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), 0);
  ck_assert_mem_eq(mask, want2, 3);
  dusk_batch_clear(&b);
  set_i(&b, "i", i1, "11111111");
  set_i(&b, "j", j1, "11011111");
  ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), 0);
  ck_assert_mem_eq(mask, want3, 8);
  dusk_exprvec_free(x);
  dusk_expr_free(e);
  dusk_batch_destroy(&b);
}
END_TEST

/* ---- compile errors ---------------------------------------------------------
 */

static void expect_compile_error(dusk_expr *e, int code, const char *needle) {
  dusk_exprvec *x = NULL;
  dusk_error err;
  char text[256];
  int rc;
  ck_assert_ptr_nonnull(e);
  dusk_expr_format(e, text, sizeof text);
  dusk_error_clear(&err);
  rc = dusk_exprvec_compile(e, names, types, NCOLS, 16, &x, &err);
  ck_assert_msg(rc == code, "%s: rc %d (%s), want %d", text, rc, err.message,
                code);
  ck_assert_int_eq(err.code, code);
  ck_assert_ptr_null(x);
  ck_assert_msg(strstr(err.message, needle) != NULL,
                "%s: message '%s' lacks '%s'", text, err.message, needle);
  dusk_expr_free(e);
}

START_TEST(test_compile_errors) {
  expect_compile_error(tu_cmp(GT, tu_col("ii"), tu_lit_int(0)), DUSK_ENOTFOUND,
                       "unknown column 'ii'; did you mean 'i'?");
  expect_compile_error(tu_cmp(GT, tu_col("nothing_like_it"), tu_lit_int(0)), DUSK_ENOTFOUND,
                       "unknown column 'nothing_like_it'");
  /* Deep in the tree, on the right of an and. */
  expect_compile_error(
      and_(tu_cmp(GT, tu_col("i"), tu_lit_int(0)), not_(isnull_(tu_arith(ADD, tu_col("zz"), tu_lit_int(1))))),
      DUSK_ENOTFOUND, "'zz'");
  expect_compile_error(tu_cmp(EQ, tu_col("s"), tu_lit_int(1)), DUSK_ETYPE,
                       "cannot compare string with int64");
  expect_compile_error(tu_cmp(GT, tu_arith(ADD, tu_col("s"), tu_lit_int(1)), tu_lit_int(0)), DUSK_ETYPE,
                       "arithmetic on string");
  expect_compile_error(not_(tu_col("i")), DUSK_ETYPE, "'not' needs a condition");
  expect_compile_error(and_(tu_col("b"), tu_col("f")), DUSK_ETYPE,
                       "'and' needs conditions on both sides");
}
END_TEST

/* The error parameter is optional: without it the code must still say
 * what went wrong (not found, wrong type), not "out of memory". */
START_TEST(test_compile_error_codes_without_err) {
  dusk_exprvec *x = NULL;
  dusk_expr *e = tu_cmp(GT, tu_col("nope"), tu_lit_int(0));
  int rc = dusk_exprvec_compile(e, names, types, NCOLS, 4, &x, NULL);
  ck_assert_ptr_null(x);
  ck_assert_msg(rc == DUSK_ENOTFOUND,
                "unknown column with err == NULL: rc %d (%s), want %d (%s)", rc,
                dusk_strerror(rc), DUSK_ENOTFOUND,
                dusk_strerror(DUSK_ENOTFOUND));
  dusk_expr_free(e);
  e = tu_cmp(EQ, tu_col("s"), tu_lit_int(1));
  rc = dusk_exprvec_compile(e, names, types, NCOLS, 4, &x, NULL);
  ck_assert_ptr_null(x);
  ck_assert_msg(rc == DUSK_ETYPE,
                "type error with err == NULL: rc %d (%s), want %d (%s)", rc,
                dusk_strerror(rc), DUSK_ETYPE, dusk_strerror(DUSK_ETYPE));
  dusk_expr_free(e);
}
END_TEST

START_TEST(test_depth_limit) {
  dusk_expr *e = tu_cmp(GT, tu_col("i"), tu_lit_int(0));
  dusk_exprvec *x = NULL;
  dusk_error err;
  dusk_batch b;
  static const int64_t iv[] = {1, 0};
  uint8_t mask[2];
  /* 150 nested nots compile and evaluate (even count: unchanged). */
  for (int d = 0; d < 150; d++)
    e = not_(e);
  ck_assert_ptr_nonnull(e);
  mkbatch(&b, 2);
  set_i(&b, "i", iv, "11");
  ck_assert_int_eq(dusk_exprvec_compile(e, names, types, NCOLS, 2, &x, &err),
                   0);
  ck_assert_int_eq(dusk_exprvec_eval(x, &b, mask), 0);
  ck_assert_uint_eq(mask[0], 1);
  ck_assert_uint_eq(mask[1], 0);
  dusk_exprvec_free(x);
  /* 300 are refused with a depth error rather than recursing on. */
  for (int d = 0; d < 150; d++)
    e = not_(e);
  x = NULL;
  dusk_error_clear(&err);
  ck_assert_int_eq(dusk_exprvec_compile(e, names, types, NCOLS, 2, &x, &err),
                   DUSK_EDEPTH);
  ck_assert_ptr_null(x);
  dusk_expr_free(e);
  dusk_batch_destroy(&b);
}
END_TEST

/* ---- randomized sweep against a reference -----------------------------------
 */

static uint64_t rng_state;

static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int rnd_below(int n) { return (int)(rnd() % (uint64_t)n); }

#define SWEEP_ROWS 1500

/* A cell as the reference sees it. */
typedef struct cell {
  int valid;
  int kind; /* 0 int, 1 float, 2 string */
  int64_t i;
  double f;
  const char *s;
} cell;

static cell cell_of(const dusk_batch *b, size_t col, size_t r) {
  const dusk_column *c = &b->cols[col];
  cell x;
  memset(&x, 0, sizeof x);
  x.valid = c->valid[r] != 0;
  switch (c->type) {
  case DUSK_TYPE_INT64:
    x.i = c->i64[r];
    break;
  case DUSK_TYPE_BOOL:
    x.i = c->b[r];
    break;
  case DUSK_TYPE_FLOAT64:
    x.kind = 1;
    x.f = c->f64[r];
    break;
  default:
    x.kind = 2;
    x.s = b->arena + c->str_off[r]; /* NUL-free pool strings, see below */
    x.i = c->str_len[r];
  }
  return x;
}

static int ref_compare(int op, cell a, cell b) {
  int c;
  if (!a.valid || !b.valid)
    return op == NE;
  if (a.kind == 2) {
    size_t n = (size_t)(a.i < b.i ? a.i : b.i);
    c = memcmp(a.s, b.s, n);
    if (c == 0)
      c = a.i < b.i ? -1 : a.i > b.i;
  } else if (a.kind == 0 && b.kind == 0) {
    c = a.i < b.i ? -1 : a.i > b.i;
  } else {
    double x = a.kind ? a.f : (double)a.i, y = b.kind ? b.f : (double)b.i;
    if (x != x || y != y)
      return op == NE;
    c = x < y ? -1 : x > y;
  }
  switch (op) {
  case EQ:
    return c == 0;
  case NE:
    return c != 0;
  case LT:
    return c < 0;
  case LE:
    return c <= 0;
  case GT:
    return c > 0;
  default:
    return c >= 0;
  }
}

/* Python's a % b for small ints, written differently from the product. */
static cell ref_mod(cell a, cell b) {
  cell r;
  memset(&r, 0, sizeof r);
  r.valid = a.valid && b.valid;
  if (!r.valid)
    return r;
  if (a.kind == 0 && b.kind == 0) {
    if (b.i == 0) {
      r.valid = 0;
      return r;
    }
    r.i = ((a.i % b.i) + b.i) % b.i;
    return r;
  }
  {
    double x = a.kind ? a.f : (double)a.i, y = b.kind ? b.f : (double)b.i;
    r.kind = 1;
    r.f = y == 0 || x != x || y != y ? NAN : x - y * floor(x / y);
  }
  return r;
}

static const char *const sweep_pool[] = {"",    "a",        "ab",  "b", "B",
                                         "abc", "\xc3\xa9", "a b", "z"};

static void sweep_fill(dusk_batch *b) {
  static const char *const cols[] = {"i", "j", "f", "g", "s", "t", "b", "c"};
  for (size_t k = 0; k < 8; k++) {
    size_t c = colidx(cols[k]);
    for (size_t r = 0; r < SWEEP_ROWS; r++) {
      dusk_column *col_ = &b->cols[c];
      col_->valid[r] = rnd_below(100) >= 10;
      switch (col_->type) {
      case DUSK_TYPE_INT64:
        col_->i64[r] = rnd_below(11) - 5;
        break;
      case DUSK_TYPE_FLOAT64: {
        int u = rnd_below(100);
        col_->f64[r] = u < 5   ? NAN
                       : u < 7 ? (u == 5 ? INFINITY : -INFINITY)
                               : (rnd_below(17) - 8) / 4.0;
        break;
      }
      case DUSK_TYPE_BOOL:
        col_->b[r] = (uint8_t)rnd_below(2);
        break;
      default: {
        const char *s = sweep_pool[rnd_below(9)];
        uint32_t off;
        if (dusk_batch_arena_add(b, s, strlen(s), &off) != 0)
          ck_abort_msg("arena_add failed");
        col_->str_off[r] = off;
        col_->str_len[r] = (uint32_t)strlen(s);
      }
      }
    }
  }
  b->nrows = SWEEP_ROWS;
}

static void sweep_check(dusk_expr *e, const dusk_batch *b, const uint8_t *want,
                        const char *what) {
  dusk_exprvec *x = NULL;
  uint8_t mask[SWEEP_ROWS];
  char text[256];
  dusk_expr_format(e, text, sizeof text);
  ck_assert_int_eq(
      dusk_exprvec_compile(e, names, types, NCOLS, b->cap, &x, NULL), 0);
  ck_assert_int_eq(dusk_exprvec_eval(x, b, mask), 0);
  /* A passing ck_assert costs Check a log write: test, then fail. */
  for (size_t r = 0; r < b->nrows; r++)
    if (mask[r] != want[r])
      ck_abort_msg("%s: %s: row %zu: got %d, want %d", what, text, r, mask[r],
                   want[r]);
  dusk_exprvec_free(x);
  dusk_expr_free(e);
}

START_TEST(test_randomized_sweep) {
  static const char *const pairs[][2] = {{"i", "j"}, {"i", "g"}, {"f", "g"},
                                         {"s", "t"}, {"b", "c"}, {"b", "i"},
                                         {"f", "f"}, {"g", "i"}};
  dusk_batch b;
  uint8_t want[SWEEP_ROWS];
  rng_state = 1234567;
  mkbatch(&b, SWEEP_ROWS);
  sweep_fill(&b);
  for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
    size_t ca = colidx(pairs[p][0]), cb = colidx(pairs[p][1]);
    for (int op = EQ; op <= GE; op++) {
      for (size_t r = 0; r < SWEEP_ROWS; r++)
        want[r] =
            (uint8_t)ref_compare(op, cell_of(&b, ca, r), cell_of(&b, cb, r));
      sweep_check(tu_cmp(op, tu_col(pairs[p][0]), tu_col(pairs[p][1])), &b, want,
                  "compare");
      /* not(a op b) is the complement of the mask. */
      for (size_t r = 0; r < SWEEP_ROWS; r++)
        want[r] = !want[r];
      sweep_check(not_(tu_cmp(op, tu_col(pairs[p][0]), tu_col(pairs[p][1]))), &b, want,
                  "not compare");
    }
  }
  /* Floor modulo of ints and floats, compared with a threshold on each
   * side of zero. */
  {
    static const char *const mpairs[][2] = {
        {"i", "j"}, {"f", "g"}, {"i", "g"}, {"f", "j"}};
    static const double thresholds[] = {-0.5, 0.0, 0.75};
    for (size_t p = 0; p < 4; p++) {
      size_t ca = colidx(mpairs[p][0]), cb = colidx(mpairs[p][1]);
      for (size_t t = 0; t < 3; t++)
        for (int op = EQ; op <= GE; op++) {
          cell th;
          memset(&th, 0, sizeof th);
          th.valid = 1;
          th.kind = 1;
          th.f = thresholds[t];
          for (size_t r = 0; r < SWEEP_ROWS; r++) {
            cell a = cell_of(&b, ca, r), bb = cell_of(&b, cb, r);
            /* Keep to finite operands: numpy's rules for inf are
             * checked in test_arith_float. */
            if ((a.kind == 1 && isinf(a.f)) || (bb.kind == 1 && isinf(bb.f)))
              a.valid = 0;
            want[r] = (uint8_t)ref_compare(op, ref_mod(a, bb), th);
          }
          {
            dusk_expr *m = tu_arith(MOD, tu_col(mpairs[p][0]), tu_col(mpairs[p][1]));
            /* Rows with an infinite operand are masked off on both sides
             * by requiring finite operands in the expression. */
            dusk_expr *fin_a =
                tu_cmp(LT, tu_arith(MUL, tu_col(mpairs[p][0]), tu_lit_int(0)), tu_lit_int(1));
            dusk_expr *fin_b =
                tu_cmp(LT, tu_arith(MUL, tu_col(mpairs[p][1]), tu_lit_int(0)), tu_lit_int(1));
            dusk_expr *e =
                and_(and_(fin_a, fin_b), tu_cmp(op, m, tu_lit_float(thresholds[t])));
            /* The reference: a null/NaN finite check is false, so mask
             * rows whose operands are null, NaN or infinite. */
            for (size_t r = 0; r < SWEEP_ROWS; r++) {
              cell a = cell_of(&b, ca, r), bb = cell_of(&b, cb, r);
              int fa = a.valid && (a.kind == 0 || isfinite(a.f));
              int fb = bb.valid && (bb.kind == 0 || isfinite(bb.f));
              if (!fa || !fb)
                want[r] = 0;
            }
            sweep_check(e, &b, want, "mod");
          }
        }
    }
  }
  dusk_batch_destroy(&b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("exprvec");
  TCase *tc;

  tc = tcase_create("compare");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_compare_int);
  tcase_add_test(tc, test_eval_into);
  tcase_add_test(tc, test_compare_int_exact);
  tcase_add_test(tc, test_compare_float);
  tcase_add_test(tc, test_compare_string);
  tcase_add_test(tc, test_compare_string_bytes);
  tcase_add_test(tc, test_compare_bool);
  suite_add_tcase(s, tc);

  tc = tcase_create("conditions");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_null_semantics);
  tcase_add_test(tc, test_bool_conditions);
  suite_add_tcase(s, tc);

  tc = tcase_create("arithmetic");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_arith_int);
  tcase_add_test(tc, test_arith_float);
  tcase_add_test(tc, test_floordiv_and_pow);
  tcase_add_test(tc, test_pow_of_missing_values);
  tcase_add_test(tc, test_str_functions);
  tcase_add_test(tc, test_regex_refuses_runaway_backtracking);
  tcase_add_test(tc, test_dt_date);
  tcase_add_test(tc, test_round);
  tcase_add_test(tc, test_astype_and_clip);
  tcase_add_test(tc, test_arith_bool_and_nested);
  suite_add_tcase(s, tc);

  tc = tcase_create("shapes");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_literal_only);
  tcase_add_test(tc, test_batch_sizes);
  tcase_add_test(tc, test_masked_na_semantics);
  tcase_add_test(tc, test_reuse_across_batches);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_compile_errors);
  tcase_add_test(tc, test_compile_error_codes_without_err);
  tcase_add_test(tc, test_depth_limit);
  suite_add_tcase(s, tc);

  tc = tcase_create("randomized");
  tcase_set_timeout(tc, 50);
  tcase_add_test(tc, test_randomized_sweep);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
