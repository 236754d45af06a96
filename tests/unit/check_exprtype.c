/* check_exprtype.c - static typing of query expressions (df/exprtype.c):
 * the type of every node kind, the sentence for each kind of mistake
 * (unknown column with a suggestion, a string compared with a number,
 * arithmetic on strings, 'not' / 'and' / 'or' on values that are not
 * conditions), and the closest-name suggestion itself. */
#include "exprtype.h"
#include "testutil.h"
#include "plan.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
    "fare_amount", "tip",  "passenger_count", "store_and_fwd_flag", "vendor",
    "paid",        "ratio"};
static const dusk_type types[] = {
    DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64, DUSK_TYPE_INT64,  DUSK_TYPE_BOOL,
    DUSK_TYPE_STRING,  DUSK_TYPE_BOOL,    DUSK_TYPE_FLOAT64};
#define NCOLS (sizeof names / sizeof names[0])

/* ---- expressions ------------------------------------------------------------
 */

static dusk_expr *node(dusk_expr_kind kind, dusk_expr *a, dusk_expr *b) {
  return dusk_expr_node(kind, 0, a, b);
}

/* Types e (freed here) with a clean error and an error pre-set to garbage
 * (a success must not depend on err's state), and without err. */
static void expect_type_at(dusk_expr *e, dusk_type want, int line) {
  dusk_error err;
  char text[256];
  dusk_type got;
  ck_assert_ptr_nonnull(e);
  dusk_expr_format(e, text, sizeof text);
  dusk_error_clear(&err);
  got = dusk_expr_type(e, names, types, NCOLS, &err);
  ck_assert_msg(got == want, "line %d: %s: type %s (%s), want %s", line, text,
                dusk_type_name(got), err.message, dusk_type_name(want));
  ck_assert_int_eq(err.code, 0);
  ck_assert_int_eq(dusk_expr_type(e, names, types, NCOLS, NULL), want);
  dusk_expr_free(e);
}

#define expect_type(e, want) expect_type_at((e), (want), __LINE__)

/* e (freed here) is refused with code and exactly this message. */
static void expect_error_at(dusk_expr *e, int code, const char *message,
                            int line) {
  dusk_error err;
  char text[256];
  dusk_type got;
  ck_assert_ptr_nonnull(e);
  dusk_expr_format(e, text, sizeof text);
  dusk_error_clear(&err);
  got = dusk_expr_type(e, names, types, NCOLS, &err);
  ck_assert_msg(got == DUSK_TYPE_NULL,
                "line %d: %s: typed as %s, want an error", line, text,
                dusk_type_name(got));
  ck_assert_msg(err.code == code, "line %d: %s: code %d, want %d", line, text,
                err.code, code);
  ck_assert_msg(strcmp(err.message, message) == 0,
                "line %d: %s:\n  got  '%s'\n  want '%s'", line, text,
                err.message, message);
  ck_assert_int_eq(dusk_expr_type(e, names, types, NCOLS, NULL),
                   DUSK_TYPE_NULL);
  dusk_expr_free(e);
}

#define expect_error(e, code, msg) expect_error_at((e), (code), (msg), __LINE__)

/* ---- types of each node kind ------------------------------------------------
 */

START_TEST(test_columns_and_literals) {
  for (size_t c = 0; c < NCOLS; c++)
    expect_type(tu_col(names[c]), types[c]);
  expect_type(tu_lit_int(3), DUSK_TYPE_INT64);
  expect_type(tu_lit_float(0.5), DUSK_TYPE_FLOAT64);
  expect_type(tu_lit_str("x"), DUSK_TYPE_STRING);
  expect_type(tu_lit_bool(1), DUSK_TYPE_BOOL);
  /* None is typed as a (null) number. */
  expect_type(tu_lit_none(), DUSK_TYPE_FLOAT64);
}
END_TEST

START_TEST(test_conditions) {
  for (int op = DUSK_CMP_EQ; op <= DUSK_CMP_GE; op++) {
    expect_type(tu_cmp(op, tu_col("tip"), tu_lit_int(1)), DUSK_TYPE_BOOL);
    expect_type(tu_cmp(op, tu_col("passenger_count"), tu_col("fare_amount")),
                DUSK_TYPE_BOOL);
    expect_type(tu_cmp(op, tu_col("vendor"), tu_lit_str("CMT")), DUSK_TYPE_BOOL);
    expect_type(tu_cmp(op, tu_lit_str("a"), tu_col("vendor")), DUSK_TYPE_BOOL);
    expect_type(tu_cmp(op, tu_col("paid"), tu_lit_bool(1)), DUSK_TYPE_BOOL);
    expect_type(tu_cmp(op, tu_col("paid"), tu_lit_int(0)), DUSK_TYPE_BOOL);
    expect_type(tu_cmp(op, tu_col("tip"), tu_lit_none()), DUSK_TYPE_BOOL);
    expect_type(tu_cmp(op, tu_lit_int(1), tu_lit_int(2)), DUSK_TYPE_BOOL);
  }
  expect_type(node(DUSK_EXPR_ISNULL, tu_col("vendor"), NULL), DUSK_TYPE_BOOL);
  expect_type(node(DUSK_EXPR_NOTNULL, tu_col("tip"), NULL), DUSK_TYPE_BOOL);
  expect_type(
      node(DUSK_EXPR_ISNULL, tu_arith(DUSK_ARITH_ADD, tu_col("tip"), tu_lit_int(1)), NULL),
      DUSK_TYPE_BOOL);
  expect_type(node(DUSK_EXPR_NOT, tu_col("paid"), NULL), DUSK_TYPE_BOOL);
  expect_type(node(DUSK_EXPR_NOT, tu_cmp(DUSK_CMP_GT, tu_col("tip"), tu_lit_int(0)), NULL),
              DUSK_TYPE_BOOL);
  expect_type(node(DUSK_EXPR_AND, tu_col("paid"), tu_col("store_and_fwd_flag")),
              DUSK_TYPE_BOOL);
  expect_type(node(DUSK_EXPR_OR, tu_cmp(DUSK_CMP_EQ, tu_col("vendor"), tu_lit_str("x")),
                   node(DUSK_EXPR_NOTNULL, tu_col("tip"), NULL)),
              DUSK_TYPE_BOOL);
  expect_type(node(DUSK_EXPR_AND, tu_lit_bool(1), tu_col("paid")), DUSK_TYPE_BOOL);
}
END_TEST

START_TEST(test_arithmetic) {
  /* int op int stays int64, except / (true division). */
  expect_type(tu_arith(DUSK_ARITH_ADD, tu_col("passenger_count"), tu_lit_int(1)),
              DUSK_TYPE_INT64);
  expect_type(tu_arith(DUSK_ARITH_SUB, tu_lit_int(1), tu_col("passenger_count")),
              DUSK_TYPE_INT64);
  expect_type(tu_arith(DUSK_ARITH_MUL, tu_col("passenger_count"), tu_lit_int(2)),
              DUSK_TYPE_INT64);
  expect_type(tu_arith(DUSK_ARITH_MOD, tu_col("passenger_count"), tu_lit_int(2)),
              DUSK_TYPE_INT64);
  expect_type(tu_arith(DUSK_ARITH_DIV, tu_col("passenger_count"), tu_lit_int(2)),
              DUSK_TYPE_FLOAT64);
  expect_type(tu_arith(DUSK_ARITH_DIV, tu_lit_int(7), tu_lit_int(2)), DUSK_TYPE_FLOAT64);
  /* Any float makes it float. */
  for (int op = DUSK_ARITH_ADD; op <= DUSK_ARITH_MOD; op++) {
    expect_type(tu_arith(op, tu_col("tip"), tu_col("passenger_count")), DUSK_TYPE_FLOAT64);
    expect_type(tu_arith(op, tu_lit_int(1), tu_col("fare_amount")), DUSK_TYPE_FLOAT64);
    expect_type(tu_arith(op, tu_col("paid"), tu_lit_float(1.5)), DUSK_TYPE_FLOAT64);
  }
  /* Bools count as 0/1 ints (True + True == 2). */
  expect_type(tu_arith(DUSK_ARITH_ADD, tu_col("paid"), tu_col("store_and_fwd_flag")),
              DUSK_TYPE_INT64);
  expect_type(tu_arith(DUSK_ARITH_MUL, tu_col("paid"), tu_lit_int(3)), DUSK_TYPE_INT64);
  /* Nested: (count * 2 + 1) / 3 > tip. */
  expect_type(tu_arith(DUSK_ARITH_DIV,
                 tu_arith(DUSK_ARITH_ADD,
                    tu_arith(DUSK_ARITH_MUL, tu_col("passenger_count"), tu_lit_int(2)), tu_lit_int(1)),
                 tu_lit_int(3)),
              DUSK_TYPE_FLOAT64);
  expect_type(tu_cmp(DUSK_CMP_GT,
                  tu_arith(DUSK_ARITH_MOD, tu_col("passenger_count"), tu_lit_int(2)), tu_lit_int(0)),
              DUSK_TYPE_BOOL);
  /* Arithmetic with None is a (null) number. */
  expect_type(tu_arith(DUSK_ARITH_ADD, tu_col("passenger_count"), tu_lit_none()),
              DUSK_TYPE_FLOAT64);
}
END_TEST

/* ---- errors -----------------------------------------------------------------
 */

START_TEST(test_unknown_columns) {
  expect_error(tu_col("fare_amout"), DUSK_ENOTFOUND,
               "unknown column 'fare_amout'; did you mean 'fare_amount'?");
  /* Case differences are suggested too. */
  expect_error(tu_col("TIP"), DUSK_ENOTFOUND,
               "unknown column 'TIP'; did you mean 'tip'?");
  expect_error(tu_col("Passenger_Count"), DUSK_ENOTFOUND,
               "unknown column 'Passenger_Count'; did you mean "
               "'passenger_count'?");
  /* Nothing close: no suggestion. */
  expect_error(tu_col("trip_distance"), DUSK_ENOTFOUND,
               "unknown column 'trip_distance'");
  /* Inside a tree, on either side. */
  expect_error(tu_cmp(DUSK_CMP_GT, tu_col("tips"), tu_lit_int(0)), DUSK_ENOTFOUND,
               "unknown column 'tips'; did you mean 'tip'?");
  expect_error(node(DUSK_EXPR_AND, tu_cmp(DUSK_CMP_GT, tu_col("tip"), tu_lit_int(0)),
                    node(DUSK_EXPR_NOT, tu_col("piad"), NULL)),
               DUSK_ENOTFOUND, "unknown column 'piad'; did you mean 'paid'?");
  expect_error(
      node(DUSK_EXPR_ISNULL, tu_arith(DUSK_ARITH_ADD, tu_lit_int(1), tu_col("ration")), NULL),
      DUSK_ENOTFOUND, "unknown column 'ration'; did you mean 'ratio'?");
  /* The first unknown name is the one reported. */
  expect_error(tu_cmp(DUSK_CMP_EQ, tu_col("vendr"), tu_col("xyzzy_plugh")),
               DUSK_ENOTFOUND,
               "unknown column 'vendr'; did you mean 'vendor'?");
  /* Column names are case-sensitive: a case variant is unknown. */
  expect_error(tu_col("Tip"), DUSK_ENOTFOUND,
               "unknown column 'Tip'; did you mean 'tip'?");
  /* An empty schema. */
  {
    dusk_expr *e = tu_col("tip");
    dusk_error err;
    dusk_error_clear(&err);
    ck_assert_int_eq(dusk_expr_type(e, NULL, NULL, 0, &err), DUSK_TYPE_NULL);
    ck_assert_int_eq(err.code, DUSK_ENOTFOUND);
    ck_assert_str_eq(err.message, "unknown column 'tip'");
    dusk_expr_free(e);
  }
}
END_TEST

START_TEST(test_string_number_comparisons) {
  expect_error(tu_cmp(DUSK_CMP_EQ, tu_col("vendor"), tu_lit_int(1)), DUSK_ETYPE,
               "cannot compare string with int64 in 'vendor == 1'");
  expect_error(tu_cmp(DUSK_CMP_LT, tu_lit_float(2.5), tu_col("vendor")), DUSK_ETYPE,
               "cannot compare float64 with string in '2.5 < vendor'");
  /* a number column met with text: its type may be the sample's */
  expect_error(tu_cmp(DUSK_CMP_NE, tu_col("tip"), tu_lit_str("0")), DUSK_ETYPE,
               "cannot compare float64 with string in 'tip != \"0\"' (if "
               "'tip' holds text, read it as such: dtype={\"tip\": \"str\"})");
  expect_error(tu_cmp(DUSK_CMP_GE, tu_col("paid"), tu_col("vendor")), DUSK_ETYPE,
               "cannot compare bool with string in 'paid >= vendor'");
  /* The error surfaces through and/not. */
  expect_error(node(DUSK_EXPR_NOT,
                    node(DUSK_EXPR_OR, tu_col("paid"),
                         tu_cmp(DUSK_CMP_GT, tu_col("vendor"), tu_lit_int(3))),
                    NULL),
               DUSK_ETYPE, "cannot compare string with int64 in 'vendor > 3'");
}
END_TEST

START_TEST(test_arithmetic_on_strings) {
  expect_error(tu_arith(DUSK_ARITH_ADD, tu_col("vendor"), tu_lit_int(1)), DUSK_ETYPE,
               "arithmetic on string in 'vendor + 1'");
  expect_error(tu_arith(DUSK_ARITH_MUL, tu_lit_int(2), tu_col("vendor")), DUSK_ETYPE,
               "arithmetic on string in '2 * vendor'");
  expect_error(tu_arith(DUSK_ARITH_SUB, tu_col("vendor"), tu_col("vendor")), DUSK_ETYPE,
               "arithmetic on string in 'vendor - vendor'");
  expect_error(tu_arith(DUSK_ARITH_MOD, tu_lit_str("a"), tu_lit_str("b")), DUSK_ETYPE,
               "arithmetic on string in '\"a\" % \"b\"'");
  expect_error(
      tu_cmp(DUSK_CMP_GT, tu_arith(DUSK_ARITH_DIV, tu_col("vendor"), tu_lit_int(2)), tu_lit_int(0)),
      DUSK_ETYPE, "arithmetic on string in 'vendor / 2'");
  /* Arithmetic on conditions is arithmetic on bools: allowed (as pandas). */
  expect_type(tu_arith(DUSK_ARITH_ADD, tu_cmp(DUSK_CMP_GT, tu_col("tip"), tu_lit_int(0)), tu_lit_int(1)),
              DUSK_TYPE_INT64);
}
END_TEST

START_TEST(test_logic_on_non_conditions) {
  expect_error(node(DUSK_EXPR_NOT, tu_col("tip"), NULL), DUSK_ETYPE,
               "'not' needs a condition, got float64");
  expect_error(node(DUSK_EXPR_NOT, tu_col("vendor"), NULL), DUSK_ETYPE,
               "'not' needs a condition, got string");
  expect_error(node(DUSK_EXPR_NOT,
                    tu_arith(DUSK_ARITH_ADD, tu_col("passenger_count"), tu_lit_int(1)), NULL),
               DUSK_ETYPE, "'not' needs a condition, got int64");
  expect_error(node(DUSK_EXPR_AND, tu_col("paid"), tu_col("tip")), DUSK_ETYPE,
               "'and' needs conditions on both sides");
  expect_error(node(DUSK_EXPR_AND, tu_lit_int(1), tu_col("paid")), DUSK_ETYPE,
               "'and' needs conditions on both sides");
  expect_error(node(DUSK_EXPR_OR, tu_col("vendor"), tu_col("paid")), DUSK_ETYPE,
               "'or' needs conditions on both sides");
  expect_error(
      node(DUSK_EXPR_OR, tu_col("paid"), tu_arith(DUSK_ARITH_MUL, tu_col("paid"), tu_lit_int(2))),
      DUSK_ETYPE, "'or' needs conditions on both sides");
}
END_TEST

/* exprtype.c says a None literal "compares like a null: treat it as any
 * type", and pandas' df.query('vendor != None') keeps every row; typing
 * None as float64 refuses it next to a string column. */
START_TEST(test_none_against_string) {
  expect_type(tu_cmp(DUSK_CMP_NE, tu_col("vendor"), tu_lit_none()), DUSK_TYPE_BOOL);
  expect_type(tu_cmp(DUSK_CMP_EQ, tu_lit_none(), tu_col("vendor")), DUSK_TYPE_BOOL);
}
END_TEST

/* ---- closest names ----------------------------------------------------------
 */

START_TEST(test_closest_name) {
  static const char *const cols[] = {"fare_amount", "tip", "total",
                                     "passenger_count", "abcdefghi"};
  const size_t n = sizeof cols / sizeof cols[0];
  /* Exact: that very entry. */
  ck_assert_ptr_eq(dusk_closest_name("tip", cols, n), cols[1]);
  ck_assert_ptr_eq(dusk_closest_name("passenger_count", cols, n), cols[3]);
  /* Case-insensitive: distance 0. */
  ck_assert_ptr_eq(dusk_closest_name("FARE_AMOUNT", cols, n), cols[0]);
  ck_assert_ptr_eq(dusk_closest_name("Total", cols, n), cols[2]);
  /* One typo of each kind: substitution, insertion, deletion. */
  ck_assert_ptr_eq(dusk_closest_name("fare_amoant", cols, n), cols[0]);
  ck_assert_ptr_eq(dusk_closest_name("fare_amounts", cols, n), cols[0]);
  ck_assert_ptr_eq(dusk_closest_name("fare_amout", cols, n), cols[0]);
  ck_assert_ptr_eq(dusk_closest_name("tp", cols, n), cols[1]);
  ck_assert_ptr_eq(dusk_closest_name("passengr_count", cols, n), cols[3]);
  /* Nothing close. */
  ck_assert_ptr_null(dusk_closest_name("trip_distance", cols, n));
  ck_assert_ptr_null(dusk_closest_name("zzzzzz", cols, n));
  /* An empty list. */
  ck_assert_ptr_null(dusk_closest_name("tip", cols, 0));
  ck_assert_ptr_null(dusk_closest_name("tip", NULL, 0));
  /* The bound: a third of want's length, at least 2.  "abcdefghi" (9)
   * allows 3 edits, not 4. */
  ck_assert_ptr_eq(dusk_closest_name("abcdefxyz", cols, n), cols[4]);
  ck_assert_ptr_null(dusk_closest_name("abcdewxyz", cols, n));
  /* Short names allow 2 edits. */
  ck_assert_ptr_eq(dusk_closest_name("top", cols, n), cols[1]);
  ck_assert_ptr_eq(dusk_closest_name("tx", cols, n), cols[1]);
  ck_assert_ptr_null(dusk_closest_name("xyz", (const char *const[]){"abc"}, 1));
  /* Ties go to the first name listed. */
  ck_assert_str_eq(
      dusk_closest_name("ab", (const char *const[]){"ax", "xb", "ab_"}, 3),
      "ax");
  /* The best of several candidates wins, wherever it is. */
  ck_assert_ptr_eq(dusk_closest_name("totl", cols, n), cols[2]);
}
END_TEST

int main(void) {
  Suite *s = suite_create("exprtype");
  TCase *tc;

  tc = tcase_create("types");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_columns_and_literals);
  tcase_add_test(tc, test_conditions);
  tcase_add_test(tc, test_arithmetic);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_unknown_columns);
  tcase_add_test(tc, test_string_number_comparisons);
  tcase_add_test(tc, test_arithmetic_on_strings);
  tcase_add_test(tc, test_logic_on_non_conditions);
  tcase_add_test(tc, test_none_against_string);
  suite_add_tcase(s, tc);

  tc = tcase_create("names");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_closest_name);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
