/* check_expr.c - the query language of the CLI (client/expr.c).
 *
 * Every construct of the outer language parses to the right plan (kinds,
 * fields, children; expressions compared through dusk_expr_format), and
 * every plan parsed goes through dusk_plan_encode / dusk_plan_decode, so
 * nothing the parser accepts is refused by the codec's limits.  Every error
 * message has one table row asserting its text and its caret column,
 * computed from the input; query-string errors are checked twice, on their
 * own and inside .query("...") where the caret must land in the outer
 * text.  Every proper prefix and every one-byte mutation of the sample
 * queries must fail cleanly (the suite runs under ASan/LSan in CI). */
#include "expr.h"
#include "testutil.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- allocation failures ---------------------------------------------------
 * Linked with --wrap (tests/expr.cmake), every malloc, calloc and realloc
 * of the parser and the plan constructors comes here; fail_after counts
 * down the allocations that still succeed (-1: all do). */
#ifdef DUSK_TEST_WRAP_ALLOC
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long fail_after = -1;

static bool alloc_fails(void) {
  if (fail_after == 0)
    return true;
  if (fail_after > 0)
    fail_after--;
  return false;
}

void *__wrap_malloc(size_t n) {
  return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
  return alloc_fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
  return alloc_fails() ? NULL : __real_realloc(p, n);
}
#endif

/* ---- helpers ------------------------------------------------------------- */

static dusk_slice sl(const void *p, size_t n) {
  dusk_slice s;
  s.ptr = p;
  s.len = n;
  return s;
}

/* Every accepted plan must survive the wire: encode, decode, free. */
static void roundtrip(const dusk_plan *p) {
  dusk_buf b;
  dusk_plan *q = NULL;
  dusk_error err;
  int rc;

  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_plan_encode(p, &b), 0);
  dusk_error_clear(&err);
  rc = dusk_plan_decode(sl(b.data, b.len), &q, &err);
  ck_assert_msg(rc == 0, "decode refused a parsed plan: %s", err.message);
  dusk_plan_free(q);
  dusk_buf_destroy(&b);
}

static dusk_plan *parse_ok(const char *text) {
  dusk_plan *p = NULL;
  dusk_error err;
  int rc = dusk_query_parse(text, &p, &err);
  ck_assert_msg(rc == 0, "%s\nrefused (%d):\n%s", text, rc, err.message);
  ck_assert_ptr_nonnull(p);
  ck_assert_int_eq(err.code, 0);
  roundtrip(p);
  return p;
}

static const char *fmt_expr(const dusk_expr *e) {
  static char buf[4096];
  dusk_expr_format(e, buf, sizeof buf);
  return buf;
}

static void expect_expr(const char *text, const char *want) {
  dusk_expr *e = NULL;
  dusk_error err;
  int rc = dusk_expr_parse(text, &e, &err);
  ck_assert_msg(rc == 0, "%s\nrefused (%d):\n%s", text, rc, err.message);
  ck_assert_str_eq(fmt_expr(e), want);
  dusk_expr_free(e);
}

/* The single input of p, after checking p's kind. */
static const dusk_plan *input_of(const dusk_plan *p, dusk_plan_kind kind) {
  ck_assert_int_eq(p->kind, kind);
  ck_assert_uint_eq(p->ninputs, 1);
  ck_assert_ptr_nonnull(p->inputs[0]);
  return p->inputs[0];
}

static void check_read(const dusk_plan *p, const char *path) {
  ck_assert_int_eq(p->kind, DUSK_PLAN_READ_CSV);
  ck_assert_uint_eq(p->ninputs, 0);
  ck_assert_uint_eq(p->npaths, 1);
  ck_assert_str_eq(p->paths[0], path);
}

static void check_default_csv(const dusk_plan *p) {
  ck_assert_int_eq(p->csv.sep, ',');
  ck_assert_int_eq(p->csv.blocksize, 0);
  ck_assert_ptr_null(p->csv.usecols);
  ck_assert_uint_eq(p->csv.ndtypes, 0);
}

/* A message split into its three lines. */
typedef struct parts {
  char head[DUSK_ERROR_MESSAGE_MAX];
  char line[DUSK_ERROR_MESSAGE_MAX];
  char caret[DUSK_ERROR_MESSAGE_MAX];
  size_t col; /* spaces before the caret */
} parts;

/* Characters (UTF-8 code points) in s[0..n). */
static size_t cols_of(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xc0) != 0x80)
      c++;
  return c;
}

/* Asserts m is "head\nline\n    ^" and splits it. */
static void split(const char *m, parts *pt) {
  const char *a = strchr(m, '\n'), *b = a ? strchr(a + 1, '\n') : NULL;
  size_t n;
  ck_assert_msg(a != NULL && b != NULL && strchr(b + 1, '\n') == NULL,
                "not three lines: [%s]", m);
  ck_assert_uint_lt(strlen(m), DUSK_ERROR_MESSAGE_MAX);
  memcpy(pt->head, m, (size_t)(a - m));
  pt->head[a - m] = '\0';
  memcpy(pt->line, a + 1, (size_t)(b - a - 1));
  pt->line[b - a - 1] = '\0';
  strcpy(pt->caret, b + 1);
  n = strlen(pt->caret);
  ck_assert_msg(n > 0 && pt->caret[n - 1] == '^' &&
                    strspn(pt->caret, " ") == n - 1,
                "bad caret line [%s]", pt->caret);
  pt->col = n - 1;
  ck_assert_msg(pt->col <= cols_of(pt->line, strlen(pt->line)),
                "caret past the line: [%s]", m);
}

/* Asserts a refused parse: the code, the first line, and a caret under
 * byte offset `off` of text.  The line shown must be off's line of text,
 * or (for a long line) a piece of it with "..." where it was cut; either
 * way the caret must sit over text[off]. */
static void check_message(const dusk_error *err, const char *text,
                          const char *msg, size_t off) {
  parts pt;
  size_t ls = off, le = off, col, lead, core, start;
  ck_assert_int_eq(err->code, DUSK_EPARSE);
  split(err->message, &pt);
  ck_assert_str_eq(pt.head, msg);
  while (ls > 0 && text[ls - 1] != '\n')
    ls--;
  while (text[le] != '\0' && text[le] != '\n')
    le++;
  col = cols_of(text + ls, off - ls);
  if (strncmp(pt.line, "...", 3) != 0 &&
      (strlen(pt.line) < 3 || strcmp(pt.line + strlen(pt.line) - 3, "..."))) {
    ck_assert_msg(pt.col == col, "caret at %zu, want %zu:\n%s", pt.col, col,
                  err->message);
    ck_assert_uint_eq(strlen(pt.line), le - ls);
    ck_assert_msg(memcmp(pt.line, text + ls, le - ls) == 0, "line shown:\n%s",
                  err->message);
    return;
  }
  /* Clipped (ASCII texts only): the piece shown sits where the caret says. */
  lead = strncmp(pt.line, "...", 3) == 0 ? 3 : 0;
  core = strlen(pt.line) - lead;
  if (core >= 3 && strcmp(pt.line + strlen(pt.line) - 3, "...") == 0 &&
      off + (core - 3) - (pt.col - lead) <= le)
    core -= 3;
  ck_assert_uint_ge(pt.col, lead);
  ck_assert_uint_ge(off - ls, pt.col - lead);
  start = off - (pt.col - lead);
  ck_assert_uint_le(start + core, le);
  ck_assert_msg(memcmp(text + start, pt.line + lead, core) == 0,
                "clipped line does not match the text at the caret:\n%s",
                err->message);
}

static void check_query_error(const char *text, const char *msg, size_t off) {
  dusk_plan *p = (dusk_plan *)&p; /* must be reset to NULL */
  dusk_error err;
  int rc = dusk_query_parse(text, &p, &err);
  ck_assert_msg(rc == DUSK_EPARSE, "%.200s: rc %d", text, rc);
  ck_assert_ptr_null(p);
  check_message(&err, text, msg, off);
}

static void check_expr_error(const char *text, const char *msg, size_t off) {
  dusk_expr *e = (dusk_expr *)&e;
  dusk_error err;
  int rc = dusk_expr_parse(text, &e, &err);
  ck_assert_msg(rc == DUSK_EPARSE, "%.200s: rc %d", text, rc);
  ck_assert_ptr_null(e);
  check_message(&err, text, msg, off);
}

/* A heap string of n copies of s. */
static char *repeat(const char *s, size_t n) {
  size_t len = strlen(s);
  char *r = malloc(len * n + 1);
  ck_assert_ptr_nonnull(r);
  for (size_t i = 0; i < n; i++)
    memcpy(r + i * len, s, len);
  r[len * n] = '\0';
  return r;
}

/* A heap concatenation of up to four strings. */
static char *cat4(const char *a, const char *b, const char *c, const char *d) {
  size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d);
  char *r = malloc(n + 1);
  ck_assert_ptr_nonnull(r);
  snprintf(r, n + 1, "%s%s%s%s", a, b, c, d);
  return r;
}

/* ---- the five north-star lines ------------------------------------------- */

START_TEST(test_north_star_groupby_count) {
  dusk_plan *p =
      parse_ok("read_csv(\"fhv*.csv\").fillna(0).groupby(\"PULocationID\")"
               ".count()");
  const dusk_plan *fill, *read;
  ck_assert_int_eq(p->kind, DUSK_PLAN_GROUPBY);
  ck_assert_uint_eq(p->ncolumns, 1);
  ck_assert_str_eq(p->columns[0], "PULocationID");
  ck_assert_uint_eq(p->naggs, 1);
  ck_assert_ptr_null(p->aggs[0].column);
  ck_assert_int_eq(p->aggs[0].fn, DUSK_AGG_COUNT);
  fill = input_of(p, DUSK_PLAN_GROUPBY);
  ck_assert_int_eq(fill->kind, DUSK_PLAN_FILLNA);
  ck_assert_uint_eq(fill->nfills, 1);
  ck_assert_ptr_null(fill->fills[0].column);
  ck_assert_int_eq(fill->fills[0].value.type, DUSK_TYPE_INT64);
  ck_assert_int_eq(fill->fills[0].value.u.i, 0);
  read = input_of(fill, DUSK_PLAN_FILLNA);
  check_read(read, "fhv*.csv");
  check_default_csv(read);
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_north_star_concat) {
  dusk_plan *p = parse_ok("concat([read_csv(\"a.csv\"), read_csv(\"b.csv\")])"
                          ".groupby(\"PULocationID\").count()");
  const dusk_plan *c = input_of(p, DUSK_PLAN_GROUPBY);
  ck_assert_int_eq(c->kind, DUSK_PLAN_CONCAT);
  ck_assert_uint_eq(c->ninputs, 2);
  check_read(c->inputs[0], "a.csv");
  check_read(c->inputs[1], "b.csv");
  ck_assert_str_eq(p->columns[0], "PULocationID");
  ck_assert_int_eq(p->aggs[0].fn, DUSK_AGG_COUNT);
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_north_star_query_head) {
  dusk_plan *p = parse_ok(
      "read_csv(\"x.csv\").fillna({\"SR_Flag\": 0}).query(\"PULocationID > "
      "200 and SR_Flag == 1\").head(10)");
  const dusk_plan *q, *fill;
  ck_assert_int_eq(p->kind, DUSK_PLAN_HEAD);
  ck_assert_int_eq(p->n, 10);
  q = input_of(p, DUSK_PLAN_HEAD);
  ck_assert_int_eq(q->kind, DUSK_PLAN_QUERY);
  ck_assert_str_eq(fmt_expr(q->expr),
                   "(PULocationID > 200) and (SR_Flag == 1)");
  ck_assert_str_eq(q->expr_text, "PULocationID > 200 and SR_Flag == 1");
  fill = input_of(q, DUSK_PLAN_QUERY);
  ck_assert_int_eq(fill->kind, DUSK_PLAN_FILLNA);
  ck_assert_uint_eq(fill->nfills, 1);
  ck_assert_str_eq(fill->fills[0].column, "SR_Flag");
  ck_assert_int_eq(fill->fills[0].value.type, DUSK_TYPE_INT64);
  ck_assert_int_eq(fill->fills[0].value.u.i, 0);
  check_read(input_of(fill, DUSK_PLAN_FILLNA), "x.csv");
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_north_star_len) {
  dusk_plan *p = parse_ok("len(read_csv(\"x.csv\"))");
  ck_assert_int_eq(p->kind, DUSK_PLAN_LEN);
  check_read(input_of(p, DUSK_PLAN_LEN), "x.csv");
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_north_star_options_agg) {
  dusk_plan *p =
      parse_ok("read_csv(\"x.csv\", blocksize=\"16MB\", usecols=[\"a\",\"b\"], "
               "dtype={\"a\": \"int64\"}, sep=\";\").groupby([\"a\", \"b\"])"
               ".agg({\"x\": \"sum\", \"y\": \"mean\"})");
  const dusk_plan *r;
  ck_assert_int_eq(p->kind, DUSK_PLAN_GROUPBY);
  ck_assert_uint_eq(p->ncolumns, 2);
  ck_assert_str_eq(p->columns[0], "a");
  ck_assert_str_eq(p->columns[1], "b");
  ck_assert_uint_eq(p->naggs, 2);
  ck_assert_str_eq(p->aggs[0].column, "x");
  ck_assert_int_eq(p->aggs[0].fn, DUSK_AGG_SUM);
  ck_assert_str_eq(p->aggs[1].column, "y");
  ck_assert_int_eq(p->aggs[1].fn, DUSK_AGG_MEAN);
  r = input_of(p, DUSK_PLAN_GROUPBY);
  check_read(r, "x.csv");
  ck_assert_int_eq(r->csv.blocksize, 16000000);
  ck_assert_uint_eq(r->csv.nusecols, 2);
  ck_assert_str_eq(r->csv.usecols[0], "a");
  ck_assert_str_eq(r->csv.usecols[1], "b");
  ck_assert_uint_eq(r->csv.ndtypes, 1);
  ck_assert_str_eq(r->csv.dtypes[0].column, "a");
  ck_assert_int_eq(r->csv.dtypes[0].type, DUSK_TYPE_INT64);
  ck_assert_int_eq(r->csv.sep, ';');
  dusk_plan_free(p);
}
END_TEST

/* Steps on a computed result parse into post steps above the terminal. */
START_TEST(test_post_steps) {
  dusk_plan *p = parse_ok(
      "read_csv('a.csv').groupby('k').sum().sort_values(by=['x', 'y'], "
      "ascending=[False, True]).head(3)");
  const dusk_plan *s = p->inputs[0];
  ck_assert_int_eq(p->kind, DUSK_PLAN_HEAD);
  ck_assert_int_eq(p->n, 3);
  ck_assert_int_eq(s->kind, DUSK_PLAN_SORT_VALUES);
  ck_assert_uint_eq(s->ncolumns, 2);
  ck_assert_str_eq(s->columns[1], "y");
  ck_assert_uint_eq(s->nascending, 2);
  ck_assert_int_eq(s->ascending[0], 0);
  ck_assert_int_eq(s->ascending[1], 1);
  ck_assert_int_eq(s->inputs[0]->kind, DUSK_PLAN_GROUPBY);
  ck_assert(dusk_plan_is_post(p));
  dusk_plan_free(p);
  /* nlargest: a descending sort and head; one flag serves every column. */
  p = parse_ok("read_csv('a.csv').groupby('k').size().nlargest(7)");
  ck_assert_int_eq(p->kind, DUSK_PLAN_HEAD);
  ck_assert_int_eq(p->n, 7);
  s = p->inputs[0];
  ck_assert_int_eq(s->kind, DUSK_PLAN_SORT_VALUES);
  ck_assert_uint_eq(s->ncolumns, 0);
  ck_assert_uint_eq(s->nascending, 1);
  ck_assert_int_eq(s->ascending[0], 0);
  dusk_plan_free(p);
  p = parse_ok("read_csv('a.csv')['c'].value_counts().sort_values('c', "
               "ascending=False).tail()");
  ck_assert_int_eq(p->kind, DUSK_PLAN_TAIL);
  ck_assert_int_eq(p->n, 5);
  ck_assert_int_eq(p->inputs[0]->ascending[0], 0);
  dusk_plan_free(p);
  p = parse_ok("read_csv('a.csv').head(10).sort_values(['a', 'b'], "
               "ascending=False).nsmallest(2, ['b'])");
  ck_assert_int_eq(p->kind, DUSK_PLAN_HEAD);
  ck_assert_int_eq(p->inputs[0]->ascending[0], 1);
  ck_assert_uint_eq(p->inputs[0]->inputs[0]->nascending, 2);
  ck_assert_int_eq(p->inputs[0]->inputs[0]->ascending[1], 0);
  dusk_plan_free(p);
  /* Derived columns: assign (several, in order) and eval. */
  p = parse_ok("read_csv('a.csv').assign(t=\"b - a\", u='t > 3')"
               ".eval(' v = t * 2 ').query('u')");
  ck_assert_int_eq(p->kind, DUSK_PLAN_QUERY);
  s = p->inputs[0];
  ck_assert_int_eq(s->kind, DUSK_PLAN_ASSIGN);
  ck_assert_str_eq(s->columns[0], "v");
  ck_assert_str_eq(s->expr_text, " t * 2 ");
  ck_assert_int_eq(s->expr->kind, DUSK_EXPR_ARITH);
  s = s->inputs[0];
  ck_assert_str_eq(s->columns[0], "u");
  ck_assert_int_eq(s->expr->kind, DUSK_EXPR_COMPARE);
  ck_assert_str_eq(s->inputs[0]->columns[0], "t");
  dusk_plan_free(p);
  /* parse_dates: datetime64[ns] dtypes, merged with dtype=. */
  p = parse_ok("read_csv('a.csv', dtype={'k': 'int64', 't': 'str'}, "
               "parse_dates=['t', 'u']).assign(h='t.dt.hour')");
  s = p->inputs[0];
  ck_assert_uint_eq(s->csv.ndtypes, 3);
  ck_assert_str_eq(s->csv.dtypes[1].column, "t");
  ck_assert_int_eq(s->csv.dtypes[1].type, DUSK_TYPE_DATETIME);
  ck_assert_str_eq(s->csv.dtypes[2].column, "u");
  ck_assert_int_eq(s->csv.dtypes[2].type, DUSK_TYPE_DATETIME);
  ck_assert_int_eq(p->expr->kind, DUSK_EXPR_FUNC);
  ck_assert_int_eq(p->expr->op, DUSK_FN_HOUR);
  dusk_plan_free(p);
  /* Reductions: a groupby without keys, over a column or every one. */
  p = parse_ok("read_csv('a.csv')['x'].std()");
  ck_assert_int_eq(p->kind, DUSK_PLAN_GROUPBY);
  ck_assert_uint_eq(p->ncolumns, 0);
  ck_assert_uint_eq(p->naggs, 1);
  ck_assert_str_eq(p->aggs[0].column, "x");
  ck_assert_int_eq(p->aggs[0].fn, DUSK_AGG_STD);
  dusk_plan_free(p);
  p = parse_ok("read_csv('a.csv').fillna(0).var()");
  ck_assert_uint_eq(p->ncolumns, 0);
  ck_assert_ptr_null(p->aggs[0].column);
  ck_assert_int_eq(p->aggs[0].fn, DUSK_AGG_VAR);
  dusk_plan_free(p);
}
END_TEST

/* ---- sources ------------------------------------------------------------- */

START_TEST(test_read_csv_forms) {
  static const char *const same[] = {
      "read_csv('a.csv')",      "pd.read_csv('a.csv')",
      "dd.read_csv(\"a.csv\")", "read_csv( 'a.csv' , )",
      "(read_csv('a.csv'))",    " \t\n read_csv\n(\n'a.csv'\n)\n ",
      "((read_csv('a.csv')))",  "read_csv(['a.csv'])",
  };
  dusk_plan *p;
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
    p = parse_ok(same[i]);
    check_read(p, "a.csv");
    check_default_csv(p);
    dusk_plan_free(p);
  }
  p = parse_ok("read_csv(['a.csv', \"b*.csv\", 'dir/c.csv',])");
  ck_assert_uint_eq(p->npaths, 3);
  ck_assert_str_eq(p->paths[0], "a.csv");
  ck_assert_str_eq(p->paths[1], "b*.csv");
  ck_assert_str_eq(p->paths[2], "dir/c.csv");
  dusk_plan_free(p);
  /* Escapes; an unknown one is kept as written, as Python does. */
  p = parse_ok("read_csv('it\\'s \\\"q\\\" \\\\ \\d.csv')");
  ck_assert_str_eq(p->paths[0], "it's \"q\" \\ \\d.csv");
  dusk_plan_free(p);
  /* UTF-8 passes through. */
  p = parse_ok("read_csv('données.csv')");
  ck_assert_str_eq(p->paths[0], "données.csv");
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_blocksize_units) {
  static const struct {
    const char *arg;
    int64_t want;
  } rows[] = {
      {"\"16MB\"", 16000000},
      {"\"64MiB\"", 64 << 20},
      {"\"1KB\"", 1000},
      {"\"512kB\"", 512000},
      {"\"1KiB\"", 1024},
      {"\"2GB\"", 2000000000},
      {"\"1GiB\"", 1 << 30},
      {"\"1TB\"", 1000000000000},
      {"\"1TiB\"", (int64_t)1 << 40},
      {"\"100\"", 100},
      {"\"100B\"", 100},
      {"\"2k\"", 2000},
      {"\"3m\"", 3000000},
      {"\"1.5 GB\"", 1500000000},
      {"\" 8 mib \"", 8 << 20},
      {"\"64Mi\"", 64 << 20},
      {"4096", 4096},
      {"1", 1},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char text[128];
    dusk_plan *p;
    snprintf(text, sizeof text, "read_csv('a', blocksize=%s)", rows[i].arg);
    p = parse_ok(text);
    ck_assert_msg(p->csv.blocksize == rows[i].want, "%s gave %lld", text,
                  (long long)p->csv.blocksize);
    dusk_plan_free(p);
  }
}
END_TEST

START_TEST(test_dtype_and_sep) {
  dusk_plan *p =
      parse_ok("read_csv('a', dtype={'i': int, 'f': 'float', 's': str, 'o': "
               "'object', 'b': 'bool', 'I': 'Int64',}, sep='\\t')");
  ck_assert_uint_eq(p->csv.ndtypes, 6);
  ck_assert_str_eq(p->csv.dtypes[0].column, "i");
  ck_assert_int_eq(p->csv.dtypes[0].type, DUSK_TYPE_INT64);
  ck_assert_int_eq(p->csv.dtypes[1].type, DUSK_TYPE_FLOAT64);
  ck_assert_int_eq(p->csv.dtypes[2].type, DUSK_TYPE_STRING);
  ck_assert_int_eq(p->csv.dtypes[3].type, DUSK_TYPE_STRING);
  ck_assert_int_eq(p->csv.dtypes[4].type, DUSK_TYPE_BOOL);
  ck_assert_int_eq(p->csv.dtypes[5].type, DUSK_TYPE_INT64);
  ck_assert_int_eq(p->csv.sep, '\t');
  dusk_plan_free(p);
  p = parse_ok("read_csv('a', sep='|', usecols=['x'], blocksize=10)");
  ck_assert_int_eq(p->csv.sep, '|');
  ck_assert_uint_eq(p->csv.nusecols, 1);
  ck_assert_int_eq(p->csv.blocksize, 10);
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_concat_forms) {
  dusk_plan *p = parse_ok("pd.concat([read_csv('a'), dd.read_csv('b')"
                          ".fillna(1), concat([read_csv('c')]),], "
                          "ignore_index=True)");
  ck_assert_int_eq(p->kind, DUSK_PLAN_CONCAT);
  ck_assert_uint_eq(p->ninputs, 3);
  check_read(p->inputs[0], "a");
  check_read(input_of(p->inputs[1], DUSK_PLAN_FILLNA), "b");
  ck_assert_int_eq(p->inputs[2]->kind, DUSK_PLAN_CONCAT);
  ck_assert_uint_eq(p->inputs[2]->ninputs, 1);
  check_read(p->inputs[2]->inputs[0], "c");
  dusk_plan_free(p);
  p = parse_ok("concat([(read_csv('a'))], ignore_index=False).head()");
  ck_assert_int_eq(p->kind, DUSK_PLAN_HEAD);
  ck_assert_int_eq(input_of(p, DUSK_PLAN_HEAD)->kind, DUSK_PLAN_CONCAT);
  dusk_plan_free(p);
}
END_TEST

/* .merge(frame, on= | left_on= and right_on=, how=, suffixes=). */
START_TEST(test_merge_forms) {
  static const struct {
    const char *text, *msg;
  } bad[] = {
      {"read_csv('a').merge(read_csv('b'))", "merge needs keys"},
      {"read_csv('a').merge(read_csv('b'), on='k', left_on='k')",
       "give on= or left_on= and right_on=, not both"},
      {"read_csv('a').merge(read_csv('b'), left_on='k')",
       "left_on= and right_on= go together"},
      {"read_csv('a').merge(read_csv('b'), left_on=['k', 'j'], "
       "right_on='k')",
       "len(right_on) must equal len(left_on) (1 and 2)"},
      {"read_csv('a').merge(read_csv('b'), on='k', how='cross')",
       "how is \"inner\", \"left\", \"right\" or \"outer\", not "
       "\"cross\""},
      {"read_csv('a').merge(read_csv('b'), on='k', suffixes=('_a',))",
       "suffixes is a pair of strings"},
      {"read_csv('a').merge(read_csv('b'), onn='k')",
       "unknown argument 'onn'; did you mean 'on'?"},
      {"read_csv('a').merge(read_csv('b').head(), on='k')",
       "head() cannot be used inside merge(...)"},
  };
  dusk_plan *p = parse_ok("read_csv('a.csv').merge(read_csv('z.csv')"
                          ".query('x > 1'), left_on='PULocationID', "
                          "right_on='LocationID', how='left')"
                          ".groupby('Borough').size()");
  const dusk_plan *m = input_of(p, DUSK_PLAN_GROUPBY);
  ck_assert_int_eq(m->kind, DUSK_PLAN_MERGE);
  ck_assert_uint_eq(m->ninputs, 2);
  check_read(m->inputs[0], "a.csv");
  ck_assert_int_eq(m->inputs[1]->kind, DUSK_PLAN_QUERY);
  ck_assert_int_eq(m->how, DUSK_MERGE_LEFT);
  ck_assert_uint_eq(m->ncolumns, 1);
  ck_assert_str_eq(m->columns[0], "PULocationID");
  ck_assert_str_eq(m->right_on[0], "LocationID");
  ck_assert_str_eq(m->suffixes[0], "_x");
  ck_assert_str_eq(m->suffixes[1], "_y");
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').merge(read_csv('b'), on=['k', 'g'], "
               "suffixes=['_l', '_r'],)");
  ck_assert_int_eq(p->kind, DUSK_PLAN_MERGE);
  ck_assert_int_eq(p->how, DUSK_MERGE_INNER);
  ck_assert_uint_eq(p->ncolumns, 2);
  ck_assert_str_eq(p->columns[1], "g");
  ck_assert_str_eq(p->right_on[1], "g");
  ck_assert_str_eq(p->suffixes[0], "_l");
  ck_assert_str_eq(p->suffixes[1], "_r");
  dusk_plan_free(p);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    dusk_error err;
    dusk_plan *q = NULL;
    ck_assert_int_ne(dusk_query_parse(bad[i].text, &q, &err), 0);
    ck_assert_msg(strstr(err.message, bad[i].msg) != NULL, "%s: %s",
                  bad[i].text, err.message);
  }
}
END_TEST

/* ---- row-wise steps ------------------------------------------------------ */

START_TEST(test_fillna_values) {
  static const struct {
    const char *arg;
    dusk_type type;
    int64_t i;
    double f;
    const char *s;
  } rows[] = {
      {"0", DUSK_TYPE_INT64, 0, 0, NULL},
      {"-7", DUSK_TYPE_INT64, -7, 0, NULL},
      {"- 7", DUSK_TYPE_INT64, -7, 0, NULL},
      {"9223372036854775807", DUSK_TYPE_INT64, INT64_MAX, 0, NULL},
      {"-9223372036854775808", DUSK_TYPE_INT64, INT64_MIN, 0, NULL},
      {"2.5", DUSK_TYPE_FLOAT64, 0, 2.5, NULL},
      {"-.5", DUSK_TYPE_FLOAT64, 0, -0.5, NULL},
      {"1e3", DUSK_TYPE_FLOAT64, 0, 1000.0, NULL},
      {"5.", DUSK_TYPE_FLOAT64, 0, 5.0, NULL},
      {"'n/a'", DUSK_TYPE_STRING, 0, 0, "n/a"},
      {"\"tab\\there\"", DUSK_TYPE_STRING, 0, 0, "tab\there"},
      {"''", DUSK_TYPE_STRING, 0, 0, ""},
      {"True", DUSK_TYPE_BOOL, 1, 0, NULL},
      {"False", DUSK_TYPE_BOOL, 0, 0, NULL},
  };
  for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
    char text[128];
    dusk_plan *p;
    const dusk_value *v;
    snprintf(text, sizeof text, "read_csv('a').fillna(%s)", rows[k].arg);
    p = parse_ok(text);
    ck_assert_int_eq(p->kind, DUSK_PLAN_FILLNA);
    ck_assert_uint_eq(p->nfills, 1);
    ck_assert_ptr_null(p->fills[0].column);
    v = &p->fills[0].value;
    ck_assert_msg(v->type == rows[k].type, "%s", text);
    if (v->type == DUSK_TYPE_INT64)
      ck_assert_int_eq(v->u.i, rows[k].i);
    if (v->type == DUSK_TYPE_BOOL)
      ck_assert_int_eq(v->u.b, rows[k].i);
    if (v->type == DUSK_TYPE_FLOAT64)
      ck_assert_double_eq(v->u.f, rows[k].f);
    if (v->type == DUSK_TYPE_STRING) {
      ck_assert_uint_eq(v->u.s.len, strlen(rows[k].s));
      ck_assert_mem_eq(v->u.s.ptr, rows[k].s, v->u.s.len);
    }
    dusk_plan_free(p);
  }
}
END_TEST

START_TEST(test_fillna_dict) {
  dusk_plan *p =
      parse_ok("read_csv('a').fillna({'SR_Flag': 0, \"zone\": 'none', "
               "'f': -1.5, 'b': False,})");
  ck_assert_uint_eq(p->nfills, 4);
  ck_assert_str_eq(p->fills[0].column, "SR_Flag");
  ck_assert_int_eq(p->fills[0].value.u.i, 0);
  ck_assert_str_eq(p->fills[1].column, "zone");
  ck_assert_int_eq(p->fills[1].value.type, DUSK_TYPE_STRING);
  ck_assert_mem_eq(p->fills[1].value.u.s.ptr, "none", 4);
  ck_assert_str_eq(p->fills[2].column, "f");
  ck_assert_double_eq(p->fills[2].value.u.f, -1.5);
  ck_assert_str_eq(p->fills[3].column, "b");
  ck_assert_int_eq(p->fills[3].value.type, DUSK_TYPE_BOOL);
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_query_select_chain) {
  dusk_plan *p = parse_ok(
      "read_csv('a').query('x > 1')[['x', \"y\"]].query(\"s == 'it\\\\'s'\")"
      ".fillna(0).compute()[['y']]");
  const dusk_plan *q2, *s1, *q1, *s2;
  ck_assert_int_eq(p->kind, DUSK_PLAN_SELECT);
  ck_assert_uint_eq(p->ncolumns, 1);
  ck_assert_str_eq(p->columns[0], "y");
  q2 = input_of(input_of(p, DUSK_PLAN_SELECT), DUSK_PLAN_FILLNA);
  ck_assert_int_eq(q2->kind, DUSK_PLAN_QUERY);
  ck_assert_str_eq(fmt_expr(q2->expr), "s == \"it's\"");
  ck_assert_str_eq(q2->expr_text, "s == 'it\\'s'");
  s1 = input_of(q2, DUSK_PLAN_QUERY);
  ck_assert_int_eq(s1->kind, DUSK_PLAN_SELECT);
  ck_assert_uint_eq(s1->ncolumns, 2);
  ck_assert_str_eq(s1->columns[1], "y");
  q1 = input_of(s1, DUSK_PLAN_SELECT);
  ck_assert_str_eq(fmt_expr(q1->expr), "x > 1");
  s2 = input_of(q1, DUSK_PLAN_QUERY);
  check_read(s2, "a");
  dusk_plan_free(p);
}
END_TEST

/* ---- terminals ----------------------------------------------------------- */

START_TEST(test_groupby_aggregations) {
  static const struct {
    const char *tail;
    dusk_agg_fn fn;
  } fns[] = {{"count()", DUSK_AGG_COUNT},
             {"size()", DUSK_AGG_SIZE},
             {"sum()", DUSK_AGG_SUM},
             {"mean()", DUSK_AGG_MEAN},
             {"min()", DUSK_AGG_MIN},
             {"max()", DUSK_AGG_MAX},
             {"nunique()", DUSK_AGG_NUNIQUE},
             {"agg('sum')", DUSK_AGG_SUM},
             {"aggregate(\"max\")", DUSK_AGG_MAX}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    char text[160];
    dusk_plan *p;
    snprintf(text, sizeof text, "read_csv('a').groupby('k').%s", fns[i].tail);
    p = parse_ok(text);
    ck_assert_int_eq(p->kind, DUSK_PLAN_GROUPBY);
    ck_assert_uint_eq(p->naggs, 1);
    ck_assert_ptr_null(p->aggs[0].column);
    ck_assert_int_eq(p->aggs[0].fn, fns[i].fn);
    dusk_plan_free(p);
    snprintf(text, sizeof text, "read_csv('a').groupby(['k'])['x'].%s",
             fns[i].tail);
    p = parse_ok(text);
    ck_assert_uint_eq(p->naggs, 1);
    ck_assert_str_eq(p->aggs[0].column, "x");
    ck_assert_int_eq(p->aggs[0].fn, fns[i].fn);
    dusk_plan_free(p);
    snprintf(text, sizeof text,
             "read_csv('a').groupby(['k', 'j'])[['x', 'y']].%s", fns[i].tail);
    p = parse_ok(text);
    ck_assert_uint_eq(p->ncolumns, 2);
    if (fns[i].fn == DUSK_AGG_SIZE) { /* counts rows: one, unnamed */
      ck_assert_uint_eq(p->naggs, 1);
      ck_assert_ptr_null(p->aggs[0].column);
      ck_assert_int_eq(p->aggs[0].fn, DUSK_AGG_SIZE);
    } else {
      ck_assert_uint_eq(p->naggs, 2);
      ck_assert_str_eq(p->aggs[0].column, "x");
      ck_assert_str_eq(p->aggs[1].column, "y");
      ck_assert_int_eq(p->aggs[1].fn, fns[i].fn);
    }
    dusk_plan_free(p);
  }
}
END_TEST

/* text refused by the parser with a message holding needle. */
static void parse_fails(const char *text, const char *needle) {
  dusk_plan *p = (dusk_plan *)&p;
  dusk_error err;
  ck_assert_msg(dusk_query_parse(text, &p, &err) != 0, "%s", text);
  ck_assert_ptr_null(p);
  ck_assert_msg(strstr(err.message, needle) != NULL, "%s: %s", text,
                err.message);
}

/* set_index of a whole frame: over a stable sort by its keys; head and
 * tail under it; to_csv a sorted write; of a result, no sort. */
START_TEST(test_set_index) {
  dusk_plan *p = parse_ok("read_csv('a').set_index('k')");
  ck_assert_int_eq(p->kind, DUSK_PLAN_SET_INDEX);
  ck_assert(p->drop && p->ncolumns == 1);
  ck_assert_str_eq(p->columns[0], "k");
  ck_assert_int_eq(p->inputs[0]->kind, DUSK_PLAN_SORT_VALUES);
  ck_assert(!p->inputs[0]->quicksort && p->inputs[0]->ascending[0]);
  ck_assert_str_eq(p->inputs[0]->columns[0], "k");
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').set_index(keys=['k', 'j'], drop=False)"
               ".head(4)");
  ck_assert_int_eq(p->kind, DUSK_PLAN_SET_INDEX);
  ck_assert(!p->drop && p->ncolumns == 2);
  ck_assert_int_eq(p->inputs[0]->kind, DUSK_PLAN_TOPK);
  ck_assert_int_eq(p->inputs[0]->n, 4);
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').set_index('k').to_csv('out')");
  ck_assert(dusk_plan_sorted_write(p));
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').groupby('k')['x'].sum().reset_index()"
               ".set_index('x')");
  ck_assert_int_eq(p->kind, DUSK_PLAN_SET_INDEX);
  ck_assert_int_eq(p->inputs[0]->kind, DUSK_PLAN_RESET_INDEX);
  dusk_plan_free(p);
  parse_fails("read_csv('a').set_index()", "set_index: expected a column");
  parse_fails("read_csv('a').set_index('k', append=True)",
              "set_index takes keys, drop=, npartitions= and divisions=");
  parse_fails("read_csv('a').set_index([])", "set_index");
  /* the range partitions: npartitions=, divisions= of every value kind,
   * .divisions (the sort alone, over the key alone) */
  p = parse_ok("read_csv('a').set_index('k', npartitions=5).to_csv('o')");
  ck_assert_uint_eq(p->inputs[0]->nparts, 5);
  ck_assert(dusk_plan_sorted_write(p));
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').set_index('k', divisions=[-3, 2.5, 'x', True],"
               " npartitions=3)");
  {
    const dusk_plan *sort = p->inputs[0];
    ck_assert_uint_eq(sort->nparts, 3);
    ck_assert_uint_eq(sort->ndivisions, 4);
    ck_assert_int_eq(sort->divisions[0].u.i, -3);
    ck_assert(sort->divisions[1].u.f == 2.5);
    ck_assert_int_eq(sort->divisions[2].type, DUSK_TYPE_STRING);
    ck_assert_int_eq(sort->divisions[3].type, DUSK_TYPE_BOOL);
  }
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').set_index('k', npartitions=2).divisions");
  ck_assert_int_eq(p->kind, DUSK_PLAN_SORT_VALUES);
  ck_assert(p->divisions_only && p->nparts == 2 && dusk_plan_range_sort(p));
  ck_assert_int_eq(p->inputs[0]->kind, DUSK_PLAN_SELECT);
  ck_assert_str_eq(p->inputs[0]->columns[0], "k");
  dusk_plan_free(p);
  parse_fails("read_csv('a').set_index('k', npartitions=0)",
              "npartitions: an int, 1 to 256");
  parse_fails("read_csv('a').set_index('k', npartitions=257)",
              "npartitions: an int, 1 to 256");
  parse_fails("read_csv('a').set_index('k', divisions=[1])",
              "divisions= of one column, 2 or more values");
  parse_fails("read_csv('a').set_index(['k', 'j'], divisions=[1, 2])",
              "divisions= of one column");
  parse_fails("read_csv('a').set_index('k', divisions=[1, 2, 3], "
              "npartitions=3)",
              "one more than npartitions=");
  parse_fails("read_csv('a').set_index('k', divisions=[1, None])",
              "divisions: expected a number, a string, True or False");
  parse_fails("read_csv('a').set_index('k', divisions=3)",
              "divisions takes a list");
  parse_fails("read_csv('a').set_index('k', divisions=[])",
              "2 or more values");
  parse_fails("read_csv('a').set_index('k', divisions=[1, 2], "
              "divisions=[3, 4])",
              "divisions= given twice");
  parse_fails("read_csv('a').set_index('k', npartitions=2, npartitions=3)",
              "npartitions= given twice");
  parse_fails("read_csv('a').head(3).set_index('k', npartitions=2)",
              "not a computed result");
  parse_fails("read_csv('a').set_index(['k', 'j']).divisions",
              "divisions: of a set_index of one column");
}
END_TEST

START_TEST(test_value_counts_head_describe_to_csv) {
  dusk_plan *p = parse_ok("read_csv('a')['zone'].value_counts()");
  ck_assert_int_eq(p->kind, DUSK_PLAN_VALUE_COUNTS);
  ck_assert_uint_eq(p->ncolumns, 1);
  ck_assert_str_eq(p->columns[0], "zone");
  dusk_plan_free(p);
  /* groupby(keys)["col"].value_counts(): the column, then the keys;
   * each dropna= to its flag; as_index=False flat, its counts a column */
  p = parse_ok("read_csv('a').groupby(['k', 'j'], dropna=False)['zone']"
               ".value_counts(normalize=True)");
  ck_assert_int_eq(p->kind, DUSK_PLAN_VALUE_COUNTS);
  ck_assert_uint_eq(p->ncolumns, 3);
  ck_assert_str_eq(p->columns[0], "zone");
  ck_assert_str_eq(p->columns[1], "k");
  ck_assert_str_eq(p->columns[2], "j");
  ck_assert(p->group_keep_na && !p->keep_na && p->normalize && !p->flat);
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').groupby('k', as_index=False)['zone']"
               ".value_counts(dropna=False)");
  ck_assert_int_eq(p->kind, DUSK_PLAN_RESET_INDEX);
  ck_assert_str_eq(p->columns[0], "count");
  ck_assert(p->inputs[0]->flat && p->inputs[0]->keep_na &&
            !p->inputs[0]->group_keep_na);
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').head()");
  ck_assert_int_eq(p->kind, DUSK_PLAN_HEAD);
  ck_assert_int_eq(p->n, 5);
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').head(0).compute()");
  ck_assert_int_eq(p->n, 0);
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').describe()");
  ck_assert_int_eq(p->kind, DUSK_PLAN_DESCRIBE);
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').to_csv('out/dir')");
  ck_assert_int_eq(p->kind, DUSK_PLAN_TO_CSV);
  ck_assert_str_eq(p->dir, "out/dir");
  dusk_plan_free(p);
  p = parse_ok("len(read_csv('a').query('x > 1')).compute()");
  ck_assert_int_eq(p->kind, DUSK_PLAN_LEN);
  ck_assert_int_eq(input_of(p, DUSK_PLAN_LEN)->kind, DUSK_PLAN_QUERY);
  dusk_plan_free(p);
  p = parse_ok("(read_csv('a').groupby('k').count()).compute().compute()");
  ck_assert_int_eq(p->kind, DUSK_PLAN_GROUPBY);
  dusk_plan_free(p);
  p = parse_ok("read_csv('a').compute().groupby('k').agg({'x': 'min'})"
               ".compute()");
  ck_assert_int_eq(p->kind, DUSK_PLAN_GROUPBY);
  ck_assert_str_eq(p->aggs[0].column, "x");
  ck_assert_int_eq(p->aggs[0].fn, DUSK_AGG_MIN);
  dusk_plan_free(p);
}
END_TEST

/* ---- query strings ------------------------------------------------------- */

static const struct {
  const char *text;
  const char *want;
} expr_rows[] = {
    {"PULocationID > 200", "PULocationID > 200"},
    {"a == 1 and b != 2", "(a == 1) and (b != 2)"},
    {"a < 1 or b <= 2 and c >= 3", "(a < 1) or ((b <= 2) and (c >= 3))"},
    {"a & b | c", "(a and b) or c"},
    {"(a | b) & c", "(a or b) and c"},
    {"not a == 1", "not (a == 1)"},
    {"~a", "not a"},
    {"not not a", "not (not a)"},
    {"a + b * c - d / e % f", "(a + (b * c)) - ((d / e) % f)"},
    {"(a + b) * c", "(a + b) * c"},
    {"x % 2 == 0", "(x % 2) == 0"},
    {"-200", "-200"},
    {"x > -200", "x > -200"},
    {"x - -1", "x - -1"},
    {"-x", "0 - x"},
    {"- -5", "5"},
    {"-(5)", "-5"},
    {"-2.5", "-2.5"},
    {"-9223372036854775808", "-9223372036854775808"},
    {"9223372036854775807", "9223372036854775807"},
    {"x.isnull()", "x.isnull()"},
    {"x.isna() | y.notna()", "x.isnull() or y.notnull()"},
    {"x.notnull()", "x.notnull()"},
    {"(a + 1).isnull()", "(a + 1).isnull()"},
    {"`my col` == 'a b'", "`my col` == \"a b\""},
    {"`and` == 1", "`and` == 1"},
    {"s == \"it's\"", "s == \"it's\""},
    {"s == 'say \\\"hi\\\"\\n'", "s == \"say \\\"hi\\\"\\n\""},
    {"flag == True or flag == False", "(flag == True) or (flag == False)"},
    {"f == 1.5e3", "f == 1500.0"},
    {"f < .5", "f < 0.5"},
    {"((x))", "x"},
    {"  x\n>\t1  ", "x > 1"},
    {"true == 1", "true == 1"},
    {"a == 1 or a == 2 or a == 3 or a == 4",
     "((a == 1) or (a == 2)) or ((a == 3) or (a == 4))"},
    {"a and b and c", "(a and b) and c"},
    {"t.dt.hour", "t.dt.hour"},
    {"x.abs() > 2", "abs(x) > 2"},
    {"x.round(2) == y.round()", "round(x, 2) == round(y, 0)"},
    {"(x - 1).round(decimals=-1) > 0", "round(x - 1, -1) > 0"},
    {"t.dt.weekday == 6", "t.dt.dayofweek == 6"},
    {"(e - s).dt.total_seconds() > 60", "(e - s).dt.total_seconds() > 60"},
    {"(e - s).dt.total_seconds", "(e - s).dt.total_seconds()"},
    {"abs(x - 3) < 1", "abs(x - 3) < 1"},
    {"abs + 1", "abs + 1"},
    {"t >= '2021-04-15'", "t >= \"2021-04-15\""},
    {"x in [1, 2, 3]", "((x == 1) or (x == 2)) or (x == 3)"},
    {"s not in ('a', 'b')", "(s != \"a\") and (s != \"b\")"},
    {"x + 1 in [2]", "(x + 1) == 2"},
    {"x in []", "False"},
    {"x not in []", "True"},
    {"k in [1] and y", "(k == 1) and y"},
    {"x // 2 ** 3", "x // (2 ** 3)"},
    {"-2 ** 2", "0 - (2 ** 2)"},
    {"2 ** -x", "2 ** (0 - x)"},
    {"2 ** 3 ** 2", "2 ** (3 ** 2)"},
    {"s.str.startswith('B0') and s.str.len() > 3",
     "s.str.startswith(\"B0\") and (s.str.len() > 3)"},
    {"s.str.contains('a b', regex=False)", "s.str.contains(\"a b\")"},
    {"s.str.lower().str.startswith('b') or s.str.upper() == 'X'",
     "s.str.lower().str.startswith(\"b\") or (s.str.upper() == \"X\")"},
    {"s.str.strip() == s.str.lstrip(to_strip='ab').str.rstrip(None)",
     "s.str.strip() == s.str.lstrip(\"ab\").str.rstrip()"},
    {"s.str.strip('a',) == s.str.slice(-9223372036854775808, 1,)",
     "s.str.strip(\"a\") == s.str.slice(-9223372036854775808, 1, None)"},
    {"s.str.slice(1, -2) == s.str.slice(step=-1)",
     "s.str.slice(1, -2, None) == s.str.slice(None, None, -1)"},
    {"s.str.slice(stop=3, start=None).str.len() > 0",
     "s.str.slice(None, 3, None).str.len() > 0"},
    {"x.astype('float') > y.clip(0, 1.5)",
     "x.astype(\"float64\") > y.clip(lower=0).clip(upper=1.5)"},
    {"x.clip(upper=-2).astype(int64) == 1",
     "x.clip(upper=-2).astype(\"int64\") == 1"},
    {"round(x) + round(y, -2) > round(z, 2)",
     "(round(x, 0) + round(y, -2)) > round(z, 2)"},
    {"t.dt.floor('H') == t.dt.ceil('15min')",
     "t.dt.floor(\"H\") == t.dt.ceil(\"15min\")"},
    {"t.dt.round('90S') > t.dt.normalize()",
     "t.dt.round(\"90S\") > t.dt.floor(\"D\")"},
    {"t.dt.floor('2d') < t.dt.floor('1500ms')",
     "t.dt.floor(\"2D\") < t.dt.floor(\"1500ms\")"},
    {"t.dt.floor('7N').dt.hour == 1", "t.dt.floor(\"7N\").dt.hour == 1"},
    {"x.where(x > 1) > 0", "x.where(x > 1, None) > 0"},
    {"x.where(x > 1, other=NaN) > 0", "x.where(x > 1, None) > 0"},
    {"(x + 1).mask(k == 2, y * 2) < 3",
     "(x + 1).where(not (k == 2), y * 2) < 3"},
    {"x.where(s.str.len() > 2, -1) == 1",
     "x.where(s.str.len() > 2, -1) == 1"},
    {"s.str.contains('a+') or s.str.contains('a.b', regex=False)",
     "s.str.contains(\"a+\", regex=True) or "
     "s.str.contains(\"a.b\", regex=False)"},
    {"s.str.contains('ab', case=False) and s.str.match('^x', case=True)",
     "s.str.contains(\"(?i)ab\", regex=True) and s.str.match(\"^x\")"},
    {"s.str.fullmatch('[0-9]+') != s.str.contains('plain')",
     "s.str.fullmatch(\"[0-9]+\") != s.str.contains(\"plain\")"},
    {"to_datetime(s) >= '2021-04-15' and to_datetime(s, errors='coerce')"
     ".dt.hour == 3",
     "(to_datetime(s) >= \"2021-04-15\") and "
     "(to_datetime(s, errors=\"coerce\").dt.hour == 3)"},
    {"to_datetime + 1 > 2", "(to_datetime + 1) > 2"},
};

START_TEST(test_expr_forms) {
  expect_expr(expr_rows[_i].text, expr_rows[_i].want);
}
END_TEST

/* The same expressions inside .query("..."): the plan keeps the text. */
START_TEST(test_expr_forms_in_query) {
  char *text;
  dusk_plan *p;
  /* Skips what would need escaping, and raw newlines (a Python string
   * cannot hold one either). */
  if (strpbrk(expr_rows[_i].text, "\"\\\n") != NULL)
    return;
  text = cat4("read_csv('a').query(\"", expr_rows[_i].text, "\")", "");
  p = parse_ok(text);
  ck_assert_int_eq(p->kind, DUSK_PLAN_QUERY);
  ck_assert_str_eq(fmt_expr(p->expr), expr_rows[_i].want);
  ck_assert_str_eq(p->expr_text, expr_rows[_i].text);
  dusk_plan_free(p);
  free(text);
}
END_TEST

/* A chain of hundreds of ors (pandas has no "in" in query strings) is
 * balanced, so it stays within the codec's depth. */
START_TEST(test_long_or_chain) {
  char *terms = repeat("x == 1 or ", 3000), *text;
  dusk_plan *p;
  text = cat4("read_csv('a').query('", terms, "x == 2')", "");
  p = parse_ok(text);
  ck_assert_int_eq(p->expr->kind, DUSK_EXPR_OR);
  dusk_plan_free(p);
  free(text);
  free(terms);
}
END_TEST

/* ---- errors: one row per message ----------------------------------------
 * The caret column is where `at` first occurs in the text plus `skip`, or
 * the end of the text when at is NULL. */

typedef struct err_row {
  const char *text;
  const char *msg;
  const char *at;
  int skip;
} err_row;

static size_t col_of(const char *text, const char *at, int skip) {
  const char *hit;
  if (at == NULL)
    return strlen(text) + (size_t)skip;
  hit = strstr(text, at);
  ck_assert_msg(hit != NULL, "'%s' not in '%s'", at, text);
  return (size_t)(hit - text) + (size_t)skip;
}

static const err_row outer_errors[] = {
    {"", "empty query: expected read_csv(...), concat([...]) or len(...)", NULL,
     0},
    {"   ", "empty query: expected read_csv(...), concat([...]) or len(...)",
     NULL, 0},
    {"5", "expected read_csv(...), concat([...]) or len(...)", "5", 0},
    {"concat([5])", "expected a frame: read_csv(...), concat([...]) or (...)",
     "5", 0},
    {"read_cvs('a.csv')",
     "unknown function 'read_cvs'; did you mean "
     "'read_csv'?",
     "read_cvs", 0},
    {"pd.concta([read_csv('a')])",
     "unknown function 'concta'; did you mean "
     "'concat'?",
     "concta", 0},
    {"foo(1)",
     "unknown function 'foo'; a query starts with read_csv(...), "
     "concat([...]) or len(...)",
     "foo", 0},
    {"df.groupby('a').count()",
     "unknown name 'df'; a query starts with "
     "read_csv(...), concat([...]) or len(...)",
     "df", 0},
    {"pd.(", "expected read_csv or concat after '.'", "(", 0},
    {"concat([len(read_csv('a'))])", "len(...) must enclose the whole query",
     "len", 0},
    {"read_csv", "expected '(' after read_csv", NULL, 0},
    {"read_csv()",
     "expected a path string or a list of path strings as the "
     "first argument of read_csv",
     ")", 0},
    {"read_csv([1])", "expected a path string", "1", 0},
    {"read_csv(['a' 'b'])", "expected ',' or ']' in the list of paths", "'b'",
     0},
    {"read_csv([])", "read_csv needs at least one path", "[", 0},
    {"read_csv('a', 'b')",
     "expected a keyword argument of read_csv "
     "(blocksize=, usecols=, dtype=, sep=, parse_dates= or anon=)",
     "'b'", 0},
    {"read_csv('a', blocksze=1)",
     "unknown argument 'blocksze'; did you mean "
     "'blocksize'?",
     "blocksze", 0},
    {"read_csv('a', header=0)",
     "unknown argument 'header'; read_csv takes "
     "blocksize, usecols, dtype, sep, parse_dates and anon",
     "header", 0},
    {"read_csv('a', anon=1)", "expected True or False for anon", "1", 0},
    {"read_csv('a', parse_dates='t')",
     "expected a list of column names for parse_dates", "'t'", 0},
    {"read_csv('a', parse_dates=[])", "parse_dates needs at least one column",
     "[", 0},
    {"read_csv('a', sep=';', sep=',')", "argument 'sep' given twice", "sep=','",
     0},
    {"read_csv('a', sep ';')", "expected '=' after sep", "';'", 0},
    {"read_csv('a', blocksize=1.5)",
     "expected a byte count (e.g. 64000000) "
     "or a size string (e.g. \"64MB\") for "
     "blocksize",
     "1.5", 0},
    {"read_csv('a', blocksize='MB')",
     "bad blocksize 'MB': expected a number "
     "and a unit, e.g. \"64MB\"",
     "MB", 0},
    {"read_csv('a', blocksize='16XB')",
     "bad blocksize unit 'XB'; use B, kB, "
     "MB, GB, TB, KiB, MiB, GiB or TiB",
     "XB", 0},
    {"read_csv('a', blocksize=' 1 6MB')",
     "bad blocksize unit '6MB'; use B, "
     "kB, MB, GB, TB, KiB, MiB, GiB or "
     "TiB",
     "6MB", 0},
    {"read_csv('a', blocksize=0)", "blocksize must be between 1 B and 1 TiB",
     "0", 0},
    {"read_csv('a', blocksize=-5)", "blocksize must be between 1 B and 1 TiB",
     "-", 0},
    {"read_csv('a', blocksize='2TiB')",
     "blocksize must be between 1 B and 1 TiB", "2T", 0},
    {"read_csv('a', usecols='a')",
     "expected a list of column names for "
     "usecols",
     "'a')", 0},
    {"read_csv('a', usecols=[])", "usecols needs at least one column", "[", 0},
    {"read_csv('a', usecols=['a', 1])", "expected a column name string", "1",
     0},
    {"read_csv('a', usecols=['a' 'b'])",
     "expected ',' or ']' in the list of "
     "columns",
     "'b'", 0},
    {"read_csv('a', dtype='int64')",
     "expected a {column: type} dict for "
     "dtype",
     "'int64'", 0},
    {"read_csv('a', dtype={1: 'x'})", "expected a column name string", "1", 0},
    {"read_csv('a', dtype={'a' 'int64'})",
     "expected ':' after the column "
     "name",
     "'int64'", 0},
    {"read_csv('a', dtype={'a': 5})",
     "expected a type name (e.g. \"int64\") "
     "for column 'a'",
     "5", 0},
    {"read_csv('a', dtype={'a': 'int65'})",
     "unknown dtype 'int65' for column "
     "'a'; use bool, int64, float64 or "
     "string",
     "'int65'", 0},
    {"read_csv('a', dtype={'a': integer64})",
     "unknown dtype 'integer64' for "
     "column 'a'; use bool, int64, "
     "float64 or string",
     "integer64", 0},
    {"read_csv('a', dtype={'a': 'int64' 'b'})",
     "expected ',' or '}' in the "
     "dict of dtype",
     "'b'", 0},
    {"read_csv('a', dtype={'a': 'int', 'a': 'str'})",
     "column 'a' appears "
     "twice in the dict of "
     "dtype",
     "'a': 'str'", 0},
    {"read_csv('a', dtype={})", "the dict of dtype needs at least one column",
     "{", 0},
    {"read_csv('a', sep=';;')",
     "sep must be a one-character string other "
     "than a quote or a newline",
     "';;'", 0},
    {"read_csv('a', sep=1)",
     "sep must be a one-character string other than "
     "a quote or a newline",
     "1", 0},
    {"read_csv('a' x)", "expected ')' after the arguments of read_csv", "x", 0},
    {"concat", "expected '(' after concat", NULL, 0},
    {"concat(read_csv('a'))",
     "expected a list [...] of frames as the "
     "argument of concat",
     "read_csv", 0},
    {"concat([])", "concat needs at least one frame", "[", 0},
    {"concat([read_csv('a') read_csv('b')])",
     "expected ',' or ']' in the "
     "list of frames",
     "read_csv('b"
     "')",
     0},
    {"concat([read_csv('a')], axis=0)",
     "unknown argument 'axis'; concat "
     "takes ignore_index",
     "axis", 0},
    {"concat([read_csv('a')], 1)",
     "expected a keyword argument of concat "
     "(ignore_index=)",
     "1", 0},
    {"concat([read_csv('a')], ignore_index 1)",
     "expected '=' after "
     "ignore_index",
     "1", 0},
    {"concat([read_csv('a')], ignore_index=1)",
     "expected True or False for "
     "ignore_index",
     "1", 0},
    {"concat([read_csv('a')], ignore_index=True, ignore_index=True)",
     "argument 'ignore_index' given twice", "ignore_index=True)", 0},
    {"concat([read_csv('a')]", "expected ')' after the arguments of concat",
     NULL, 0},
    {"concat([read_csv('a').head()])",
     "head() cannot be used inside "
     "concat(...)",
     "head", 0},
    {"len(read_csv('a').groupby('x').count())",
     "groupby() cannot be used "
     "inside len(...)",
     "groupby", 0},
    {"read_csv('a').groupby('k').value_counts()",
     "value_counts() after groupby needs one column: "
     "groupby(...)[\"col\"].value_counts()",
     "value_counts", 0},
    {"read_csv('a').groupby('k')[['x', 'y']].value_counts()",
     "value_counts() after groupby needs one column: "
     "groupby(...)[\"col\"].value_counts()",
     "value_counts", 0},
    {"len(read_csv('a')['x'].value_counts())",
     "value_counts() cannot be "
     "used inside len(...)",
     "value_counts", 0},
    {"len(read_csv('a').describe())",
     "describe() cannot be used inside "
     "len(...)",
     "describe", 0},
    {"len(read_csv('a').to_csv('o'))",
     "to_csv() cannot be used inside "
     "len(...)",
     "to_csv", 0},
    {"(read_csv('a')", "expected ')' after the frame in parentheses", NULL, 0},
    {"len", "expected '(' after len", NULL, 0},
    {"len(read_csv('a')", "expected ')' after the frame in len(...)", NULL, 0},
    {"read_csv('a').", "expected a method name after '.'", NULL, 0},
    {"read_csv('a').gropby('x').count()",
     "unknown method 'gropby'; did you "
     "mean 'groupby'?",
     "gropby", 0},
    {"read_csv('a').fillan(0)",
     "unknown method 'fillan'; did you mean "
     "'fillna'?",
     "fillan", 0},
    {"read_csv('a').frobnicate()",
     "unknown method 'frobnicate'; expected "
     "fillna, dropna, query, assign, eval, rename, groupby, head, describe, to_csv, a reduction (sum, mean, ...) or compute",
     "frobnicate", 0},
    {"read_csv('a').size()",
     "size() on a whole frame is not supported; use "
     ".groupby(...).size(), .sum(), .mean(), ... or .describe()",
     "size", 0},
    {"read_csv('a').sum(1)", "sum() takes no arguments", "1", 0},
    {"concat([read_csv('a').sum()])",
     "sum cannot be used inside concat(...)", "sum", 0},
    {"read_csv('a').value_counts()",
     "value_counts() needs one column: write "
     "[\"col\"].value_counts()",
     "value_counts", 0},
    {"read_csv('a').fillna", "expected '(' after fillna", NULL, 0},
    {"read_csv('a').fillna()",
     "expected a fill value (a number, a string, "
     "True or False) or a {column: value} dict",
     "()", 1},
    {"read_csv('a').fillna(-'x')",
     "expected a fill value (a number, a "
     "string, True or False) or a {column: "
     "value} dict",
     "'x'", 0},
    {"read_csv('a').fillna(None)", "fillna needs a value, not None", "None", 0},
    {"read_csv('a').fillna({'x': [1]})",
     "expected a fill value (a number, a "
     "string, True or False)",
     "[1]", 0},
    {"read_csv(\"a.csv\").fillna(0",
     "expected ')' after the arguments of "
     "fillna",
     NULL, 0},
    {"read_csv('a').fillna({})",
     "the dict of fillna needs at least one "
     "column",
     "{", 0},
    {"read_csv('a').fillna({'x': 1, 'x': 2})",
     "column 'x' appears twice in "
     "the dict of fillna",
     "'x': 2", 0},
    {"read_csv('a').query(5)",
     "expected a query string, e.g. .query(\"x > "
     "5\")",
     "5", 0},
    {"read_csv('a').query('x > 1'",
     "expected ')' after the arguments of "
     "query",
     NULL, 0},
    {"read_csv('a')[1]",
     "expected a column name string or a [list] of column "
     "names inside [...]; to filter rows use "
     ".query(\"...\")",
     "1", 0},
    {"read_csv('a')[['x']", "expected ']' after the column list", NULL, 0},
    {"read_csv('a')['x'", "expected ']' after the column name", NULL, 0},
    {"read_csv('a')[[]]",
     "a column selection [[...]] needs at least one "
     "column",
     "[", 0},
    {"read_csv('a')['x'].cumsum()",
     "after [\"x\"]: expected .value_counts(), .unique(), .describe(), "
     ".quantile() or a reduction (.sum(), .mean(), ...); its largest rows: "
     ".nlargest(n, \"x\") of the frame; [[\"x\"]] selects columns",
     "cumsum", 0},
    {"read_csv('a')['x']",
     "after [\"x\"]: expected .value_counts(), .unique(), .describe(), "
     ".quantile() or a reduction (.sum(), .mean(), ...); its largest rows: "
     ".nlargest(n, \"x\") of the frame; [[\"x\"]] selects columns",
     NULL, 0},
    {"read_csv('a').groupby(5)",
     "expected a column name or a list of column "
     "names as the key of groupby",
     "5", 0},
    {"read_csv('a').groupby([])", "groupby needs at least one key", "[", 0},
    {"read_csv('a').groupby('x'",
     "expected ')' after the arguments of "
     "groupby",
     NULL, 0},
    {"read_csv('a').groupby('x')",
     "expected an aggregation after "
     "groupby(...): .count(), .size(), .sum(), "
     ".mean(), .min(), .max(), .nunique(), "
     ".median(), .quantile(q) or .agg(...)",
     NULL, 0},
    {"read_csv('a').groupby('x').5",
     "expected an aggregation after "
     "groupby(...): .count(), .size(), "
     ".sum(), .mean(), .min(), .max(), "
     ".nunique(), .median(), .quantile(q) or .agg(...)",
     ".5", 0},
    {"read_csv('a').groupby('x').(", "expected a method name after '.'", ").(",
     2},
    {"read_csv('a').groupby('x')[5]",
     "expected a column name string or a "
     "[list] of column names inside [...]",
     "5", 0},
    {"read_csv('a').groupby('x').avg()",
     "unknown aggregation 'avg'; use "
     "count, size, sum, mean, min, max, std, var, nunique, first, last, "
     "median or quantile",
     "avg", 0},
    {"read_csv('a').groupby('x').sun()",
     "unknown aggregation 'sun'; did you "
     "mean 'sum'?",
     "sun", 0},
    {"read_csv('a').groupby('x').agg({'y': 'avg'})",
     "unknown aggregation "
     "'avg'; use count, size, "
     "sum, mean, min, max, std, var, nunique, first, last, median or "
     "quantile",
     "'avg'", 0},
    {"read_csv('a').groupby('x').agg(5)",
     "expected an aggregation name, a list of them, a {column: "
     "aggregation} dict or name=(\"column\", \"function\") for agg",
     "5", 0},
    {"read_csv('a').groupby('x')['y'].agg({'y': 'sum'})",
     "expected an aggregation name string or a list of them for agg", "{",
     0},
    {"read_csv('a').groupby('x')[['y', 'z']].agg(t='sum')",
     "named aggregation of several selected columns: write "
     "name=(\"column\", \"function\") on the groupby",
     "t", 0},
    {"read_csv('a').groupby('x').agg(t=('y', 'sum'), t=('y', 'max'))",
     "agg: the name 't' is given twice", "t=('y', 'max')", 0},
    {"read_csv('a').groupby('x').agg([])",
     "agg([...]) needs at least one function", "[", 0},
    {"read_csv('a').groupby('x').agg('sum'",
     "expected ')' after the "
     "arguments of agg",
     NULL, 0},
    {"read_csv('a').groupby('x').count(1)", "count() takes no arguments", "1",
     0},
    {"read_csv('a').head(-1)", "head needs a whole number of rows (>= 0)", "-",
     0},
    {"read_csv('a').head(2.5)", "head needs a whole number of rows (>= 0)",
     "2.5", 0},
    {"read_csv('a').head(5", "expected ')' after the arguments of head", NULL,
     0},
    {"read_csv('a').to_csv('')",
     "expected a directory name (a non-empty "
     "string) for to_csv",
     "''", 0},
    {"read_csv('a').to_csv('o'", "expected ')' after the arguments of to_csv",
     NULL, 0},
    {"read_csv('a').describe(1)", "describe() takes no arguments", "1", 0},
    {"read_csv('a').groupby('k', sort=False).size()",
     "groupby(sort=False): dusk gives the groups sorted by key (pandas' "
     "default); sort_values() on the result orders them otherwise",
     "sort=False", 0},
    {"read_csv('a').describe(include='all')",
     "describe(include=, exclude=, percentiles=) is Python's "
     "(dusk.dataframe); here describe() gives the number columns, "
     "df[\"col\"].describe() a text column's count, unique, top, freq",
     "include", 0},
    {"read_csv('a')['t'].describe(percentiles=[0.1])",
     "describe(include=, exclude=, percentiles=) is Python's "
     "(dusk.dataframe); here describe() gives the number columns, "
     "df[\"col\"].describe() a text column's count, unique, top, freq",
     "percentiles", 0},
    {"read_csv('a').compute(", "compute() takes no arguments", NULL, 0},
    {"read_csv('a').head().fillna(0)",
     "nothing may follow head() except "
     ".compute() and a result's steps: sort_values, head, tail, nlargest, nsmallest, query, assign, eval, rename, reset_index, set_index, [[columns]]",
     "fillna", 0},
    {"len(read_csv('a').head())",
     "head() cannot be used inside len(...)",
     "head", 0},
    {"read_csv('a').groupby('k').count().dropna()",
     "nothing may follow "
     "groupby(...).count() "
     "except .compute() and a result's steps: sort_values, head, tail, nlargest, nsmallest, query, assign, eval, rename, reset_index, set_index, [[columns]]",
     "dropna", 0},
    {"read_csv('a').groupby('k').size().sort_values().head().fillna(0)",
     "nothing may follow head() except .compute() and a result's steps: sort_values, head, tail, nlargest, nsmallest, query, assign, eval, rename, reset_index, set_index, [[columns]]", "fillna", 0},
    {"read_csv('a').nlargest(3)",
     "nlargest of a frame needs the columns: nlargest(n, \"col\")",
     "nlargest", 0},
    {"concat([read_csv('a').tail(3)])", "tail cannot be used inside concat(...)",
     "tail", 0},
    {"read_csv('a').assign()", "assign needs at least one name=\"expression\"",
     "assign", 0},
    {"read_csv('a').assign(t=3)",
     "expected the expression as a string, e.g. t=\"x * 2\"", "3", 0},
    {"read_csv('a').assign('t')",
     "expected name=\"expression\" in assign, e.g. assign(trip=\"DOLocationID "
     "- PULocationID\")",
     "'t'", 0},
    {"read_csv('a').assign(t='x +')",
     "expected a value (a column, a number, a string, True, False or '(')",
     "+'", 1},
    {"read_csv('a').eval('x + 1')",
     "eval needs \"name = expression\" (a new column); dusk does not evaluate "
     "a bare expression",
     "+", 0},
    {"read_csv('a').eval('t == 1')",
     "eval needs \"name = expression\" (a new column); dusk does not evaluate "
     "a bare expression",
     "==", 0},
    {"read_csv('a').groupby('k').size().sort_values(ascending=1)",
     "expected True or False for ascending", "1", 0},
    {"read_csv('a').groupby('k').sum().sort_values(['x'], "
     "ascending=[True, False])",
     "sort_values: 2 ascending flags for 1 columns", "sort_values", 0},
    {"read_csv('a').groupby('k').size().nlargest()",
     "nlargest needs a whole number of rows (>= 0)", "nlargest(", 9},
    {"read_csv('a').groupby('k').size().tail(-1)",
     "tail needs a whole number of rows (>= 0)", "-", 0},
    {"concat([read_csv('a').groupby('k').size().head(2)])",
     "groupby() cannot be used inside concat(...)", "groupby", 0},
    {"len(read_csv('a')).head()",
     "nothing may follow len() except "
     ".compute()",
     "head", 0},
    {"read_csv('a') x", "unexpected name 'x' after the end of the query", "x",
     0},
    {"read_csv('a'))", "unexpected ')' after the end of the query", "))", 1},
    {"read_csv('a') 'b'", "unexpected string 'b' after the end of the query",
     "'b'", 0},
    {"read_csv('a')\n5",
     "unexpected number 5 after the end of the query "
     "(line 2)",
     "5", 0},
    {"read_csv(['a', ''])", "empty path", "''", 0},
    {"read_csv('a)", "unterminated string", "'", 0},
    {"read_csv('a\n')", "unterminated string (line 1)", "'", 0},
    {"read_csv('a\\", "unterminated string", "'", 0},
    {"read_csv('a').head(1x)", "bad number '1x'", "1x", 0},
    {"read_csv('a').head(1.2.3)", "bad number '1.2.3'", "1.2", 0},
    {"read_csv('a').head(1e)", "bad number '1e'", "1e", 0},
    {"read_csv('a').head(99999999999999999999)",
     "integer "
     "'99999999999999999999' is "
     "out of range",
     "9", 0},
    {"read_csv('a').head(9223372036854775808)",
     "integer "
     "'9223372036854775808' is out "
     "of range",
     "9", 0},
    {"read_csv('a').fillna(-9223372036854775809)",
     "integer "
     "'-9223372036854775809' is "
     "out of range",
     "-", 0},
    /* The shared templates at their other call sites. */
    {"read_csv('a').query", "expected '(' after query", NULL, 0},
    {"read_csv('a').groupby", "expected '(' after groupby", NULL, 0},
    {"read_csv('a').head 5", "expected '(' after head", "5", 0},
    {"read_csv('a').to_csv", "expected '(' after to_csv", NULL, 0},
    {"read_csv('a').describe", "expected '(' after describe", NULL, 0},
    {"read_csv('a').groupby('k').aggregate", "expected '(' after aggregate",
     NULL, 0},
    {"read_csv('a').groupby('k').sum", "expected '(' after sum", NULL, 0},
    {"read_csv('a')['x'].value_counts(1)",
     "expected ')' after the arguments of value_counts", "1", 0},
    {"read_csv('a')['x'].value_counts(sort=False)",
     "expected dropna=True or dropna=False or normalize=True in value_counts",
     "sort", 0},
    {"read_csv('a')['x'].value_counts(dropna=1)",
     "expected True or False for dropna", "1", 0},
    {"read_csv('a').groupby('x', observed=True).size()",
     "expected dropna=True or dropna=False or as_index=False in groupby",
     "observed", 0},
    {"read_csv('a').groupby('k').agg({})",
     "the dict of agg needs at least "
     "one column",
     "{", 0},
    {"read_csv('a').groupby('k').agg({'x': 'sum' 'y'})",
     "expected ',' or "
     "'}' in the dict of "
     "agg",
     "'y'", 0},
    {"read_csv('a').fillna({'x': 1 'y'})",
     "expected ',' or '}' in the dict "
     "of fillna",
     "'y'", 0},
    {"read_csv('a').fillna({'x' 1})", "expected ':' after the column name", "1",
     0},
    {"read_csv('a').groupby('k').agg({'x': 'sum', 'x': 'max'})",
     "column 'x' appears twice in the dict of agg", "'x': 'max'", 0},
    {"read_csv('a').groupby(['k' 'j'])",
     "expected ',' or ']' in the list of "
     "keys",
     "'j'", 0},
    {"read_csv('a').groupby([1])", "expected a column name string", "1", 0},
    {"read_csv('a').groupby('k')[['x']", "expected ']' after the column list",
     NULL, 0},
    {"read_csv('a').groupby('k')['x'", "expected ']' after the column name",
     NULL, 0},
    {"read_csv('a').groupby('k')[[]]",
     "a column selection [[...]] needs at "
     "least one column",
     "[[", 0},
    {"read_csv('a').groupby('k')['x'].agg(1)",
     "expected an aggregation name "
     "string or a list of them for agg",
     "1", 0},
    {"read_csv('a').groupby('k').agg({'x': 1})",
     "expected an aggregation "
     "name string or a list of them for agg",
     "1", 0},
    {"read_csv('a').groupby('k').nunique().compute().sum()",
     "nothing may follow groupby(...).nunique() except .compute() and a result's steps: sort_values, head, tail, nlargest, nsmallest, query, assign, eval, rename, reset_index, set_index, [[columns]]", "sum()", 0},
    {"read_csv('a').to_csv('o')['x']",
     "nothing may follow to_csv() except "
     ".compute()",
     "[", 0},
    {"read_csv('a').describe().describe()",
     "nothing may follow describe() "
     "except .compute()",
     "describe()"
     ".",
     11},
    {"read_csv('a')['x'].value_counts().fillna(0)",
     "nothing may follow "
     "value_counts() except "
     ".compute() and a result's steps: sort_values, head, tail, nlargest, nsmallest, query, assign, eval, rename, reset_index, set_index, [[columns]]",
     "fillna", 0},
    {"read_csv('a').fillna(1x)", "bad number '1x'", "1x", 0},
    {"read_csv('a', usecols=['a'], usecols=['b'])",
     "argument 'usecols' "
     "given twice",
     "usecols=['b']", 0},
    {"read_csv('a', dtype={'a': 'str'}, dtype={})",
     "argument 'dtype' given "
     "twice",
     "dtype={}", 0},
    {"read_csv('a', blocksize=1, blocksize=2)",
     "argument 'blocksize' given "
     "twice",
     "blocksize=2", 0},
    {"read_csv('a', sep='\\n')",
     "sep must be a one-character string other "
     "than a quote or a newline",
     "='", 1},
    {"read_csv('a', sep='\"')",
     "sep must be a one-character string other "
     "than a quote or a newline",
     "='", 1},
    {"read_csv('a', sep='é')",
     "sep must be a one-character string other "
     "than a quote or a newline",
     "='", 1},
    {"read_csv('a', usecols=['a'",
     "expected ',' or ']' in the list of "
     "columns",
     NULL, 0},
    {"concat([read_csv('a'),",
     "expected a frame: read_csv(...), "
     "concat([...]) or (...)",
     NULL, 0},
    {"len(5)", "expected a frame: read_csv(...), concat([...]) or (...)", "5",
     0},
    {"len(", "expected a frame: read_csv(...), concat([...]) or (...)", NULL,
     0},
    {"read_csv('a'); ", "unexpected character ';'", ";", 0},
    {"read_csv('a') !", "unexpected character '!'", "!", 0},
};

START_TEST(test_outer_errors) {
  const err_row *r = &outer_errors[_i];
  check_query_error(r->text, r->msg, col_of(r->text, r->at, r->skip));
}
END_TEST

static const err_row query_errors[] = {
    {"", "empty query string", NULL, 0},
    {"x >",
     "expected a value (a column, a number, a string, True, False or "
     "'(')",
     NULL, 0},
    {"x > and y",
     "expected a value (a column, a number, a string, True, "
     "False or '(')",
     "and", 0},
    {"x == )",
     "expected a value (a column, a number, a string, True, False "
     "or '(')",
     ")", 0},
    {"(x > 1", "expected ')' after the expression in parentheses", NULL, 0},
    {"(x > 1 y)", "expected ')' after the expression in parentheses", "y", 0},
    {"1 < x < 5",
     "chained comparisons are not supported; write a < b and b "
     "< c",
     "< 5", 0},
    {"x.isnul()", "unknown method 'isnul'; did you mean 'isnull'?", "isnul", 0},
    {"x.strip()",
     "unknown method 'strip'; expected isnull(), notnull(), isna(), "
     "notna(), isin([...]), abs(), round(n), astype(...), clip(...), "
     "where(...), mask(...), .dt or .str",
     "strip", 0},
    {"x.round(1.5)", "round's decimals are a whole number from -18 to 18",
     "1.5", 0},
    {"x.str()", "expected '.' after str", "(", 0},
    {"x.", "expected a method name after '.'", NULL, 0},
    {"x.isnull", "expected '(' after isnull", NULL, 0},
    {"x.notna(1)", "notna() takes no arguments", "1", 0},
    {"x > 1 y", "unexpected name 'y' after the end of the expression", "y", 0},
    {"x > 1)", "unexpected ')' after the end of the expression", ")", 0},
    {"x = 1", "'=' assigns; use '==' to compare", "=", 0},
    {"x == None",
     "None is not supported in query strings; use x.isnull() or "
     "x.notnull()",
     "None", 0},
    {"x is 1", "'is' is not supported in query strings", "is", 0},
    {"`x == 1", "unterminated backtick name", "`", 0},
    {"`` == 1", "empty backtick name", "`", 0},
    {"x == 'a", "unterminated string", "'", 0},
    {"x @ 1", "unexpected character '@'", "@", 0},
    {"x > 1.2.3", "bad number '1.2.3'", "1", 0},
    {"x > 12abc", "bad number '12abc'", "1", 0},
    {"x > 9223372036854775808",
     "integer '9223372036854775808' is out of "
     "range",
     "9", 0},
    {"x > - 9223372036854775809",
     "integer '9223372036854775809' is out of "
     "range",
     "9", 0},
    {"--9223372036854775808",
     "integer '--9223372036854775808' is out of "
     "range",
     "-", 0},
    {"x > 99999999999999999999",
     "integer '99999999999999999999' is out of "
     "range",
     "9", 0},
    {"t.dt.hours > 1", "unknown .dt field 'hours'; did you mean 'hour'?",
     "hours", 0},
    {"t.dt", "expected '.' after dt", NULL, 0},
    {"t.dt.5", "expected '.' after dt", ".5", 0},
    {"t.dt.(x)", "expected a .dt field name", "(", 0},
    {"t.dt.hour(1)", "hour() takes no arguments", "1", 0},
    {"abs(x", "expected ')' after the argument of abs", NULL, 0},
    {"s.str.capitalize()",
     "unknown .str method 'capitalize'; expected len(), startswith(), "
     "endswith(), contains(), match(), fullmatch(), lower(), upper(), "
     "strip(), lstrip(), rstrip() or slice()",
     "capitalize", 0},
    {"s.str.startswith(1)", "startswith needs a string pattern", "1", 0},
    {"t.dt.floor('M')",
     "frequency \"M\" is a calendar (non-fixed) frequency, which pandas "
     "refuses here too",
     "'M'", 0},
    {"t.dt.floor('0H')",
     "frequency \"0H\" has a multiple below 1 or too large for int64 "
     "nanoseconds",
     "'0H'", 0},
    {"t.dt.ceil('99999999999999999999N')",
     "frequency \"99999999999999999999N\" has a multiple too large for "
     "int64 nanoseconds",
     "'9", 0},
    {"t.dt.round(3)", "expected a frequency such as \"H\" or \"15min\"", "3",
     0},
    {"x.where()", "where needs a condition", ")", 0},
    {"to_datetime(s, errors='ignore')",
     "errors is \"raise\" or \"coerce\" (\"ignore\" would leave a text "
     "column: not supported)",
     "'ignore'", 0},
    {"to_datetime(s, format='%d')",
     "expected errors=\"raise\" or errors=\"coerce\"", "format", 0},
    {"x.mask(k > 1 2)", "expected ')' after the arguments of mask", "2", 0},
    {"t.dt.normalize(1)", "expected ')' to close normalize(", "1", 0},
    {"s.str.contains('a', regex=True, flags=2)", "expected regex= or case=",
     "flags", 0},
    {"s.str.match('a', regex=False)", "expected case=", "regex", 0},
    {"s.str.slice(1, 2, 0) == 'a'",
     "slice: the step cannot be zero (as in Python)", ")", 0},
    {"s.str.slice(1.5) == 'a'", "slice: start, stop and step are ints or None",
     "1.5", 0},
    {"s.str.slice(1, 2, 3, 4) == 'a'", "slice takes start, stop and step",
     "4", 0},
    {"s.str.strip(1) == 'a'", "strip: to_strip is a string or None", "1", 0},
    {"s.str.strip(to_strip=) == 'a'", "strip: to_strip is a string or None",
     ")", 0},
    {"s.str.slice(start=1, 2) == 'a'",
     "slice: a positional argument after a keyword one", "2", 0},
    {"s.str.slice(1, start=2) == 'a'", "slice: start given twice", "start",
     0},
    {"s.str.slice(1 2) == 'a'", "expected ',' or ')' in the arguments of "
     "slice", "2", 0},
    {"s.str.slice(stop=) == 'a'",
     "slice: start, stop and step are ints or None", ")", 0},
    {"s.str.lower(1)", "expected ')' after the arguments of lower", "1", 0},
    {"s.str.fullmatch('a', case=1)", "expected True or False", "1", 0},
    {"x.astype('str')", "astype: float64 or int64 (float, int) are supported",
     "'str'", 0},
    {"x.clip('a')", "clip: a bound is a number", "'a'", 0},
    {"t.dt.float",
     "unknown .dt field 'float'; expected year, month, day, hour, minute, "
     "second, dayofweek, dayofyear, date or total_seconds()",
     "float", 0},
    {"round(x, 1.5)", "round's decimals are a whole number from -18 to 18",
     "1.5", 0},
    {"x **",
     "expected a value (a column, a number, a string, True, False or '(')",
     NULL, 0},
    {"x not y", "expected 'in' after 'not'", "y", 0},
    {"x in 3", "expected a list [...] after in", "3", 0},
    {"x in [1 2]", "expected ',' or ']' in the list after in", "2", 0},
};

START_TEST(test_query_errors) {
  const err_row *r = &query_errors[_i];
  check_expr_error(r->text, r->msg, col_of(r->text, r->at, r->skip));
}
END_TEST

/* The same errors inside .query("..."): the caret lands on the same
 * character of the outer text (the text has no escapes, so the offset is
 * the prefix's length). */
START_TEST(test_query_errors_in_outer_text) {
  static const char prefix[] = "read_csv('a.csv').query(\"";
  const err_row *r = &query_errors[_i];
  char *text = cat4(prefix, r->text, "\")", "");
  check_query_error(text, r->msg,
                    strlen(prefix) + col_of(r->text, r->at, r->skip));
  free(text);
}
END_TEST

/* The brief's example, byte for byte. */
START_TEST(test_message_layout) {
  dusk_plan *p;
  dusk_error err;
  ck_assert_int_eq(dusk_query_parse("read_csv(\"a.csv\").fillna(0", &p, &err),
                   DUSK_EPARSE);
  ck_assert_str_eq(err.message, "expected ')' after the arguments of fillna\n"
                                "read_csv(\"a.csv\").fillna(0\n"
                                "                          ^");
}
END_TEST

/* Escapes inside the query string shift the inner offsets: the caret still
 * lands on the offending character of the outer text. */
START_TEST(test_query_error_through_escapes) {
  static const char text[] =
      "read_csv('a').query('s == \\'x\\' and \\t y @ 2')";
  check_query_error(text, "unexpected character '@'",
                    (size_t)(strchr(text, '@') - text));
  check_query_error("read_csv('a').query(\"s == 'x\\\" and y > 1\")",
                    "unterminated string",
                    strlen("read_csv('a').query(\"s == "));
  check_query_error("read_csv('a').query('')", "empty query string",
                    strlen("read_csv('a').query('"));
  check_query_error("read_csv('a').query('   ')", "empty query string",
                    strlen("read_csv('a').query('   "));
}
END_TEST

START_TEST(test_multiline_error) {
  static const char text[] = "read_csv('a')\n  .fillna(0)\n  .query('x >')\n"
                             "  .head()";
  check_query_error(text,
                    "expected a value (a column, a number, a string, True, "
                    "False or '(') (line 3)",
                    (size_t)(strstr(text, "x >'") - text) + 3);
  /* A trailing newline alone does not make a text multi-line. */
  check_query_error("read_csv(\n",
                    "expected a path string or a list of path "
                    "strings as the first argument of read_csv",
                    9);
}
END_TEST

/* Carets count characters, not bytes. */
START_TEST(test_utf8_caret) {
  check_query_error("read_csv('données.csv').frob()",
                    "unknown method 'frob'; expected "
                    "fillna, dropna, query, assign, eval, rename, groupby, head, describe, to_csv, a reduction (sum, mean, ...) or compute",
                    strlen("read_csv('données.csv')."));
  check_query_error("read_csv('a') é", "unexpected character 'é'", 14);
  /* Invalid UTF-8 and control bytes show as one '?' each. */
  {
    dusk_plan *p;
    dusk_error err;
    parts pt;
    ck_assert_int_eq(dusk_query_parse("read_csv('\xff\x01') \xc3", &p, &err),
                     DUSK_EPARSE);
    split(err.message, &pt);
    ck_assert_str_eq(pt.head, "unexpected character '?'");
    ck_assert_str_eq(pt.line, "read_csv('?"
                              "?') ?");
    ck_assert_uint_eq(pt.col, 15);
  }
}
END_TEST

/* A long line is clipped around the error; the message still fits and the
 * caret still sits under the offending character (check_message compares
 * the piece shown with the text at the caret). */
START_TEST(test_long_line_clipped) {
  char *mid = repeat("x == 1 and ", 200), *tail = repeat(" and y == 2", 200);
  char *q = cat4(mid, "y @ 2", tail, "");
  char *text = cat4("read_csv('a').query('", q, "')", "");
  char *name = repeat("n", 500);
  char *t2 = cat4("read_csv('a').", name, "()", "");
  dusk_plan *p;
  dusk_error err;
  parts pt;

  check_query_error(text, "unexpected character '@'",
                    (size_t)(strchr(text, '@') - text));
  ck_assert_int_eq(dusk_query_parse(text, &p, &err), DUSK_EPARSE);
  split(err.message, &pt);
  ck_assert(strncmp(pt.line, "...", 3) == 0);
  ck_assert(strcmp(pt.line + strlen(pt.line) - 3, "...") == 0);
  ck_assert_int_eq(pt.line[pt.col], '@');
  check_expr_error(q, "unexpected character '@'", (size_t)(strchr(q, '@') - q));
  /* A long name is clipped in the first line. */
  check_query_error(t2,
                    "unknown method "
                    "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...'; expected "
                    "fillna, dropna, query, assign, eval, rename, groupby, "
                    "head, describe, to_csv, a reduction (sum, mean, ...) or "
                    "compute",
                    strlen("read_csv('a')."));
  free(t2);
  free(name);
  free(text);
  free(q);
  free(mid);
  free(tail);
}
END_TEST

/* ---- limits -------------------------------------------------------------- */

START_TEST(test_depth_parentheses) {
  char *open = repeat("(", 64), *close = repeat(")", 64), *text;
  dusk_plan *p;
  text = cat4(open, "read_csv('a')", close, "");
  p = parse_ok(text);
  dusk_plan_free(p);
  free(text);
  text = cat4("(", open, "read_csv('a')", close);
  check_query_error(text, "too deeply nested (more than 64 levels)", 64);
  free(text);
  free(open);
  free(close);
  /* A million parentheses: refused at the 65th, no stack overflow. */
  open = repeat("(", 1000000);
  check_query_error(open, "too deeply nested (more than 64 levels)", 64);
  free(open);
}
END_TEST

START_TEST(test_depth_chain) {
  char *steps = repeat(".fillna(0)", 63), *text;
  dusk_plan *p;
  text = cat4("read_csv('a')", steps, "", "");
  p = parse_ok(text); /* 64 nodes: the codec's limit */
  dusk_plan_free(p);
  free(text);
  text = cat4("read_csv('a')", steps, ".head()", "");
  check_query_error(text, "too deeply nested (more than 64 levels)",
                    strlen(text) - strlen("head()"));
  free(text);
  free(steps);
}
END_TEST

START_TEST(test_depth_concat) {
  char *open = repeat("concat([", 63), *close = repeat("])", 63), *text;
  dusk_plan *p;
  text = cat4(open, "read_csv('a')", close, "");
  p = parse_ok(text);
  dusk_plan_free(p);
  free(text);
  text = cat4("concat([", open, "read_csv('a')", close);
  {
    char *t2 = cat4(text, "])", "", "");
    check_query_error(t2, "too deeply nested (more than 64 levels)", 0);
    free(t2);
  }
  free(text);
  free(open);
  free(close);
}
END_TEST

START_TEST(test_depth_expressions) {
  char *nots = repeat("not ", 63), *text;
  char *sums = repeat(" + x", 63);
  char *minus = repeat("-", 63);
  dusk_expr *e;
  dusk_error err;

  text = cat4(nots, "x", "", "");
  expect_expr(text, "not (not (not (not (not (not (not (not (not (not (not "
                    "(not (not (not (not (not (not (not (not (not (not (not "
                    "(not (not (not (not (not (not (not (not (not (not (not "
                    "(not (not (not (not (not (not (not (not (not (not (not "
                    "(not (not (not (not (not (not (not (not (not (not (not "
                    "(not (not (not (not (not (not (not (not x)))))))))))))"
                    ")))))))))))))))))))))))))))))))))))))))))))))))))");
  free(text);
  text = cat4("not ", nots, "x", "");
  check_expr_error(text, "too deeply nested (more than 64 levels)", 0);
  free(text);
  text = cat4("not not ", nots, "x", "");
  check_expr_error(text, "too deeply nested (more than 64 levels)", 4 * 64);
  free(text);

  text = cat4("x", sums, "", "");
  ck_assert_int_eq(dusk_expr_parse(text, &e, &err), 0);
  dusk_expr_free(e);
  free(text);
  text = cat4("x", sums, " + x", "");
  check_expr_error(text, "too deeply nested (more than 64 levels)",
                   strlen(text) - 3);
  free(text);

  text = cat4(minus, "x", "", "");
  ck_assert_int_eq(dusk_expr_parse(text, &e, &err), 0);
  dusk_expr_free(e);
  free(text);
  text = cat4("-", minus, "x", "");
  check_expr_error(text, "too deeply nested (more than 64 levels)", 0);
  free(text);
  text = cat4("--", minus, "5", "");
  check_expr_error(text, "too deeply nested (more than 64 levels)", 64);
  free(text);

  {
    char *open = repeat("(", 65), *close = repeat(")", 65);
    text = cat4(open, "x", close, "");
    check_expr_error(text, "too deeply nested (more than 64 levels)", 64);
    free(text);
    free(open);
    free(close);
  }
  free(nots);
  free(sums);
  free(minus);
}
END_TEST

START_TEST(test_string_limits) {
  char *a = repeat("a", DUSK_EXPR_MAX_NAME), *text;
  dusk_plan *p;
  text = cat4("read_csv('", a, "')", "");
  p = parse_ok(text); /* the codec takes 65536-byte names */
  dusk_plan_free(p);
  free(text);
  text = cat4("read_csv('", a, "b')", "");
  check_query_error(text, "string longer than 65536 bytes", 9);
  free(text);
  text = cat4("read_csv('a').", a, "b()", "");
  check_query_error(text, "name longer than 65536 bytes", 14);
  free(text);
  text = cat4("`", a, "b` > 1", "");
  check_expr_error(text, "name longer than 65536 bytes", 0);
  free(text);
  free(a);
}
END_TEST

START_TEST(test_bad_arguments) {
  dusk_plan *p = (dusk_plan *)&p;
  dusk_expr *e = (dusk_expr *)&e;
  dusk_error err;
  ck_assert_int_eq(dusk_query_parse(NULL, &p, &err), DUSK_EINVAL);
  ck_assert_ptr_null(p);
  ck_assert_int_eq(err.code, DUSK_EINVAL);
  ck_assert_int_eq(dusk_query_parse("read_csv('a')", NULL, NULL), DUSK_EINVAL);
  ck_assert_int_eq(dusk_expr_parse(NULL, &e, NULL), DUSK_EINVAL);
  ck_assert_ptr_null(e);
  /* err is optional. */
  ck_assert_int_eq(dusk_query_parse("read_csv(", &p, NULL), DUSK_EPARSE);
  ck_assert_ptr_null(p);
  ck_assert_int_eq(dusk_expr_parse("x >", &e, NULL), DUSK_EPARSE);
  ck_assert_int_eq(dusk_expr_parse("x > 1", &e, NULL), 0);
  dusk_expr_free(e);
}
END_TEST

/* ---- robustness ---------------------------------------------------------- */

static const char *const samples[] = {
    "read_csv(\"fhv*.csv\").fillna(0).groupby(\"PULocationID\").count()",
    "concat([read_csv(\"a.csv\"), read_csv(\"b.csv\")]).groupby("
    "\"PULocationID\").count()",
    "read_csv(\"x.csv\").fillna({\"SR_Flag\": 0}).query(\"PULocationID > 200 "
    "and SR_Flag == 1\").head(10)",
    "len(read_csv(\"x.csv\"))",
    "read_csv(\"x.csv\", blocksize=\"16MB\", usecols=[\"a\",\"b\"], "
    "dtype={\"a\": \"int64\"}, sep=\";\").groupby([\"a\", \"b\"]).agg({\"x\": "
    "\"sum\", \"y\": \"mean\"})",
    "pd.read_csv(['a', 'b'])[['x', 'y']].query('`a b` + -2 * x % 3 >= 1.5e2 "
    "or ~(y.isna() | s != \"q\\\\\"\")').describe().compute()",
    "(dd.read_csv('a', blocksize=4096)).groupby('k')[['x']].nunique()",
    "read_csv('a')['zone'].value_counts()",
    "read_csv('a').groupby('k')['zone'].value_counts(dropna=False)",
    "read_csv('a').fillna(-1.5).to_csv('out')",
    "read_csv('a').query('not x.notnull() and y < -9223372036854775808')"
    ".head()",
};

/* A refusal must be well formed; an acceptance must survive the codec. */
static void check_any(const char *text) {
  dusk_plan *p = NULL;
  dusk_error err;
  int rc = dusk_query_parse(text, &p, &err);
  if (rc == 0) {
    ck_assert_ptr_nonnull(p);
    roundtrip(p);
    dusk_plan_free(p);
    return;
  }
  ck_assert_msg(rc == DUSK_EPARSE, "%s: rc %d", text, rc);
  ck_assert_ptr_null(p);
  {
    parts pt;
    split(err.message, &pt);
    ck_assert(pt.head[0] != '\0');
  }
}

START_TEST(test_every_prefix) {
  const char *s = samples[_i];
  size_t n = strlen(s);
  char *buf = malloc(n + 1);
  ck_assert_ptr_nonnull(buf);
  for (size_t k = 0; k < n; k++) {
    memcpy(buf, s, k);
    buf[k] = '\0';
    check_any(buf);
  }
  free(buf);
  /* The whole sample parses, and so does its query-string part. */
  {
    dusk_plan *p = parse_ok(s);
    dusk_plan_free(p);
  }
}
END_TEST

START_TEST(test_one_byte_mutations) {
  static const char subst[] = "()[]{},.:='\"`\\-+*/%<>!&|~ \n0a9_\xc3\x80";
  const char *s = samples[_i];
  size_t n = strlen(s);
  char *buf = malloc(n + 2);
  ck_assert_ptr_nonnull(buf);
  for (size_t k = 0; k < n; k++) {
    /* Delete byte k. */
    memcpy(buf, s, k);
    memcpy(buf + k, s + k + 1, n - k);
    check_any(buf);
    for (size_t c = 0; c < sizeof subst - 1; c++) {
      /* Replace byte k. */
      memcpy(buf, s, n + 1);
      buf[k] = subst[c];
      check_any(buf);
      /* Insert before byte k. */
      memcpy(buf, s, k);
      buf[k] = subst[c];
      memcpy(buf + k + 1, s + k, n - k + 1);
      check_any(buf);
    }
  }
  free(buf);
}
END_TEST

#ifdef DUSK_TEST_WRAP_ALLOC
/* Each allocation of a parse fails in turn: the parse reports
 * DUSK_ENOMEM, returns no plan and leaks nothing (LSan in CI). */
START_TEST(test_out_of_memory) {
  const char *s = samples[_i];
  long k;
  for (k = 0; k < 100000; k++) {
    dusk_plan *p = NULL;
    dusk_error err;
    int rc;
    fail_after = k;
    rc = dusk_query_parse(s, &p, &err);
    fail_after = -1;
    if (rc == 0) {
      dusk_plan_free(p);
      break;
    }
    ck_assert_msg(rc == DUSK_ENOMEM, "%s: allocation %ld failed, rc %d: %s", s,
                  k, rc, err.message);
    ck_assert_int_eq(err.code, DUSK_ENOMEM);
    ck_assert_ptr_null(p);
  }
  ck_assert_int_gt(k, 0);
  /* The query-string parser on its own. */
  for (k = 0; k < 100000; k++) {
    dusk_expr *e = NULL;
    int rc;
    fail_after = k;
    rc = dusk_expr_parse("a == 1 or -b > 2 and not c.isnull() or `d e` == "
                         "'x' or -9223372036854775808 < f * 2",
                         &e, NULL);
    fail_after = -1;
    if (rc == 0) {
      dusk_expr_free(e);
      break;
    }
    ck_assert_int_eq(rc, DUSK_ENOMEM);
    ck_assert_ptr_null(e);
  }
}
END_TEST
#endif

/* Every string of up to three tokens from a small alphabet. */
START_TEST(test_token_soup) {
  static const char *const toks[] = {
      "read_csv", "(", ")", "'a'", "[", "]", ".", "query", "groupby",
      "len",      ",", "=", "{",   "}", ":", "1", "-",     "concat"};
  const size_t nt = sizeof toks / sizeof toks[0];
  char buf[64];
  for (size_t a = 0; a < nt; a++)
    for (size_t b = 0; b < nt; b++)
      for (size_t c = 0; c < nt; c++) {
        snprintf(buf, sizeof buf, "%s%s%s", toks[a], toks[b], toks[c]);
        check_any(buf);
      }
}
END_TEST

/* What pandas returns for a query, which the CLI prints as pandas would:
 * a Series, named after its column or unnamed (size()), a scalar, a row
 * of a whole frame's reduction, or a frame (also after a step that turns
 * a Series or a reduction into one). */
START_TEST(test_result_shapes) {
  static const struct {
    const char *text;
    int result;
  } cases[] = {
      {"R[\"x\"].value_counts()", DUSK_RESULT_SERIES},
      {"R[\"x\"].value_counts(normalize=True).head(3)", DUSK_RESULT_SERIES},
      {"R.groupby(\"k\")[\"x\"].value_counts()", DUSK_RESULT_SERIES},
      {"R.groupby(\"k\", as_index=False)[\"x\"].value_counts()",
       DUSK_RESULT_FRAME},
      {"R.groupby(\"k\").size()", DUSK_RESULT_SERIES_UNNAMED},
      {"R.groupby(\"k\").agg(\"size\")", DUSK_RESULT_SERIES_UNNAMED},
      {"R.groupby(\"k\")[[\"x\", \"y\"]].size()", DUSK_RESULT_SERIES_UNNAMED},
      {"R.groupby(\"k\")[\"x\"].size()", DUSK_RESULT_SERIES},
      {"R.groupby(\"k\").size().sort_values().head(2)",
       DUSK_RESULT_SERIES_UNNAMED},
      {"R.groupby(\"k\").size().reset_index()", DUSK_RESULT_FRAME},
      {"R.groupby(\"k\").size().reset_index(drop=True)",
       DUSK_RESULT_SERIES_UNNAMED},
      {"R.groupby(\"k\", as_index=False).size()", DUSK_RESULT_FRAME},
      {"R.groupby(\"k\")[\"x\"].sum()", DUSK_RESULT_SERIES},
      {"R.groupby(\"k\")[\"x\"].agg(\"mean\")", DUSK_RESULT_SERIES},
      {"R.groupby(\"k\")[\"x\"].agg([\"mean\"])", DUSK_RESULT_FRAME},
      {"R.groupby(\"k\")[[\"x\"]].sum()", DUSK_RESULT_FRAME},
      {"R.groupby(\"k\").sum()", DUSK_RESULT_FRAME},
      {"R[\"x\"].sum()", DUSK_RESULT_SCALAR},
      {"R[\"x\"].median()", DUSK_RESULT_SCALAR},
      {"R[\"x\"].quantile(0.3)", DUSK_RESULT_SCALAR},
      {"R[\"x\"].quantile([0.3])", DUSK_RESULT_SERIES},
      {"R[\"x\"].describe()", DUSK_RESULT_SERIES},
      {"len(R)", DUSK_RESULT_SCALAR},
      {"R.count()", DUSK_RESULT_ROW},
      {"R.median()", DUSK_RESULT_ROW},
      {"R.quantile(0.3)", DUSK_RESULT_ROW_NAMED},
      {"R.quantile([0.3, 0.5])", DUSK_RESULT_FRAME},
      {"R.describe()", DUSK_RESULT_FRAME},
      {"R.head(3)", DUSK_RESULT_FRAME},
      {"R", DUSK_RESULT_FRAME},
      {"read_csv(\"a.csv\", dtype={\"x\": \"Int64\"})[\"x\"]"
       ".value_counts().head(3)",
       DUSK_RESULT_SERIES | DUSK_RESULT_NULLABLE},
      {"read_csv(\"a.csv\", dtype={\"x\": \"int64\"})[\"x\"]"
       ".value_counts()",
       DUSK_RESULT_SERIES},
      {"R[\"x\"].unique()", DUSK_RESULT_ARRAY},
      {"R.query(\"x > 1\")[\"x\"].unique()", DUSK_RESULT_ARRAY},
      {"read_csv(\"a.csv\", dtype={\"x\": \"Int64\"}).query(\"x > 1\")"
       "[\"x\"].unique()",
       DUSK_RESULT_ARRAY | DUSK_RESULT_NULLABLE},
      {"read_csv(\"a.csv\", dtype={\"x\": \"boolean\"})[\"x\"].unique()",
       DUSK_RESULT_ARRAY | DUSK_RESULT_NULLABLE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[256];
    const char *r = strstr(cases[i].text, "R");
    dusk_plan *p = NULL;
    dusk_error err = {0};
    int result = -1;
    if (r == NULL) /* no R: the text as it is */
      snprintf(text, sizeof text, "%s", cases[i].text);
    else
      snprintf(text, sizeof text, "%.*sread_csv(\"a.csv\")%s",
               (int)(r - cases[i].text), cases[i].text, r + 1);
    ck_assert_msg(dusk_query_parse_result(text, &p, &result, &err) == 0,
                  "%s: %s", text, err.message);
    ck_assert_msg(result == cases[i].result, "%s: result %d, want %d", text,
                  result, cases[i].result);
    dusk_plan_free(p);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("expr");
  TCase *tc;

  tc = tcase_create("plans");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_north_star_groupby_count);
  tcase_add_test(tc, test_north_star_concat);
  tcase_add_test(tc, test_north_star_query_head);
  tcase_add_test(tc, test_north_star_len);
  tcase_add_test(tc, test_north_star_options_agg);
  tcase_add_test(tc, test_post_steps);
  tcase_add_test(tc, test_read_csv_forms);
  tcase_add_test(tc, test_blocksize_units);
  tcase_add_test(tc, test_dtype_and_sep);
  tcase_add_test(tc, test_concat_forms);
  tcase_add_test(tc, test_fillna_values);
  tcase_add_test(tc, test_fillna_dict);
  tcase_add_test(tc, test_query_select_chain);
  tcase_add_test(tc, test_groupby_aggregations);
  tcase_add_test(tc, test_value_counts_head_describe_to_csv);
  tcase_add_test(tc, test_set_index);
  tcase_add_test(tc, test_result_shapes);
  suite_add_tcase(s, tc);

  tc = tcase_create("expressions");
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_expr_forms, 0,
                      sizeof expr_rows / sizeof expr_rows[0]);
  tcase_add_loop_test(tc, test_expr_forms_in_query, 0,
                      sizeof expr_rows / sizeof expr_rows[0]);
  tcase_add_test(tc, test_long_or_chain);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_merge_forms);
  tcase_add_loop_test(tc, test_outer_errors, 0,
                      sizeof outer_errors / sizeof outer_errors[0]);
  tcase_add_loop_test(tc, test_query_errors, 0,
                      sizeof query_errors / sizeof query_errors[0]);
  tcase_add_loop_test(tc, test_query_errors_in_outer_text, 0,
                      sizeof query_errors / sizeof query_errors[0]);
  tcase_add_test(tc, test_message_layout);
  tcase_add_test(tc, test_query_error_through_escapes);
  tcase_add_test(tc, test_multiline_error);
  tcase_add_test(tc, test_utf8_caret);
  tcase_add_test(tc, test_long_line_clipped);
  suite_add_tcase(s, tc);

  tc = tcase_create("limits");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_depth_parentheses);
  tcase_add_test(tc, test_depth_chain);
  tcase_add_test(tc, test_depth_concat);
  tcase_add_test(tc, test_depth_expressions);
  tcase_add_test(tc, test_string_limits);
  tcase_add_test(tc, test_bad_arguments);
  suite_add_tcase(s, tc);

  tc = tcase_create("robustness");
  tcase_set_timeout(tc, 50);
  tcase_add_loop_test(tc, test_every_prefix, 0,
                      sizeof samples / sizeof samples[0]);
  tcase_add_loop_test(tc, test_one_byte_mutations, 0,
                      sizeof samples / sizeof samples[0]);
  tcase_add_test(tc, test_token_soup);
#ifdef DUSK_TEST_WRAP_ALLOC
  tcase_add_loop_test(tc, test_out_of_memory, 0,
                      sizeof samples / sizeof samples[0]);
#endif
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
