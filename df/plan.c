/* plan.c - logical plans and query expressions: construction, copies,
 * readable expressions and the msgpack wire encoding.
 *
 * Wire encoding.  Trees travel flat: a plan is one msgpack array holding
 * its nodes in pre-order (a node, then each of its inputs' subtrees in
 * order), and an expression is one array holding its nodes the same way.
 * The msgpack nesting therefore stays at four levels however deep the tree
 * is, which keeps plans of depth 64 (with expressions of depth 64 inside)
 * well within the nesting that dusk_msgcheck accepts (at most 64) and that
 * msgpack-c's unpacker supports (32, MSGPACK_EMBED_STACK_SIZE), and lets
 * the decoder enforce the tree depths itself, with explicit counters and a
 * message that says which limit was hit.
 *
 *   plan      = [node, ...]                     pre-order, root first
 *   node      = [kind, ninputs, fields...]      then ninputs subtrees follow
 *     1 read_csv      [1, 0, [path, ...], sep, blocksize,
 *                      [usecol, ...] | nil, {column: dtype name, ...}]
 *                     or with {"anon": true, "persisted": [key, n],
 *                     "masked": [column, ...]} after them (storage
 *                     options: unsigned S3 requests; the persist query
 *                     holding this read's ranges; the dtypes the user
 *                     named "Int64" / "boolean", dusk_dtype masked)
 *     2 concat        [2, n]                    n >= 1
 *     3 fillna        [3, 1, [[column | nil, value], ...]]
 *                     or [3, 1, [[column | nil, value], ...], [mixed, ...]]
 *     4 query         [4, 1, expr, text | nil]
 *     5 select        [5, 1, [column, ...]]
 *     6 groupby       [6, 1, [key, ...], [[column | nil, agg name], ...]]
 *     7 value_counts  [7, 1, column]
 *     8 head          [8, 1, n]
 *     9 len           [9, 1]
 *    10 describe      [10, 1, [column, ...]]
 *                     or [10, 1, [column, ...], [q, ...]] (percentiles)
 *    11 to_csv        [11, 1, dir]
 *    23 persist       [23, 1]
 *   expr      = [enode, ...]                    pre-order, root first
 *   enode     = [1, name]           column
 *             | [2, value]          literal
 *             | [3, cmp] a b        a cmp b          (dusk_cmp)
 *             | [4] a b | [5] a b   a and b, a or b
 *             | [6] a | [7] a | [8] a               not, isnull, notnull
 *             | [9, arith] a b      a arith b        (dusk_arith)
 *   value     = nil | bool | int | float64 | str
 *
 * sep is a one-byte str; blocksize an int >= 0; usecols nil means every
 * column and [] none at all (a resolved read that needs no column, as for
 * len()), the same distinction as NULL and an empty non-NULL array in
 * dusk_csv_options; dtype and agg names are the ones dusk_type_name and
 * dusk_agg_name give (decoding accepts every spelling dusk_type_parse
 * knows).  Every other number is a msgpack int.
 *
 * Decoding trusts nothing: dusk_msgcheck walks the headers before
 * msgpack_unpack reserves anything, every node's kind, input count and
 * field count are checked before the node is built, every field's type,
 * size and value after, and on any error everything built so far is freed.
 * Names and paths hold no NUL byte (they become C strings), string
 * literals and fill values may (they are slices). */
#include "plan.h"

#include "fieldparse.h"
#include "msgcheck.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_MAX_DEPTH 64       /* plan nodes from the root to a leaf */
#define EXPR_MAX_DEPTH 64       /* expression nodes from root to a leaf */
#define PLAN_MAX_NAME 65536     /* bytes of a name, path, dir or literal */
#define PLAN_MAX_TEXT (1 << 20) /* bytes of a query's original text */
/* The flat encoding nests four containers deep (plan, node, fills list,
 * fill pair); a little slack, far below msgpack-c's limit of 32. */
#define PLAN_MSGPACK_DEPTH 8
#define PLAN_NKINDS 24
#define EXPR_NKINDS 10
#define SAMPLE_MAX 64 /* bytes of an unknown name quoted in an error */

/* ---- small helpers ------------------------------------------------------ */

/* A NUL-terminated heap copy of p[0..n), or NULL when out of memory. */
static char *memdup0(const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (s == NULL)
    return NULL;
  if (n > 0)
    memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

/* Copies s (NULL copies as NULL): 0, or -1 when out of memory. */
static int dup_opt(const char *s, char **out) {
  *out = NULL;
  if (s == NULL)
    return 0;
  *out = memdup0(s, strlen(s));
  return *out == NULL ? -1 : 0;
}

static void strv_free(char **v, size_t n) {
  if (v == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* Copies n strings (n == 0 gives NULL): 0, or -1 when out of memory. */
static int strv_dup(const char *const *v, size_t n, char ***out) {
  char **c;
  *out = NULL;
  if (n == 0)
    return 0;
  c = calloc(n, sizeof *c);
  if (c == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    if (dup_opt(v[i], &c[i]) != 0) {
      strv_free(c, n);
      return -1;
    }
  }
  *out = c;
  return 0;
}

/* Like strv_dup, but a non-NULL v of no strings stays non-NULL: for
 * usecols, where NULL means every column and an empty array none. */
static int strv_dup_keep(char *const *v, size_t n, char ***out) {
  *out = NULL;
  if (v == NULL)
    return 0;
  if (n == 0) {
    *out = calloc(1, sizeof **out);
    return *out == NULL ? -1 : 0;
  }
  return strv_dup((const char *const *)v, n, out);
}

/* Copies a value, giving a string value its own NUL-terminated bytes. */
static int value_copy(const dusk_value *src, dusk_value *dst) {
  *dst = *src;
  if (src->type == DUSK_TYPE_STRING) {
    char *s = memdup0(src->u.s.ptr, src->u.s.len);
    if (s == NULL) {
      dst->type = DUSK_TYPE_NULL;
      return -1;
    }
    dst->u.s.ptr = s;
  }
  return 0;
}

static void value_destroy(dusk_value *v) {
  if (v->type == DUSK_TYPE_STRING)
    free((void *)v->u.s.ptr);
  v->type = DUSK_TYPE_NULL;
}

const char *dusk_plan_kind_name(dusk_plan_kind kind) {
  switch (kind) {
  case DUSK_PLAN_READ_CSV: return "read_csv";
  case DUSK_PLAN_CONCAT: return "concat";
  case DUSK_PLAN_FILLNA: return "fillna";
  case DUSK_PLAN_QUERY: return "query";
  case DUSK_PLAN_SELECT: return "select";
  case DUSK_PLAN_GROUPBY: return "groupby";
  case DUSK_PLAN_VALUE_COUNTS: return "value_counts";
  case DUSK_PLAN_HEAD: return "head";
  case DUSK_PLAN_LEN: return "len";
  case DUSK_PLAN_DESCRIBE: return "describe";
  case DUSK_PLAN_TO_CSV: return "to_csv";
  case DUSK_PLAN_SORT_VALUES: return "sort_values";
  case DUSK_PLAN_TAIL: return "tail";
  case DUSK_PLAN_ASSIGN: return "assign";
  case DUSK_PLAN_QUANTILE: return "quantile";
  case DUSK_PLAN_TOPK: return "topk";
  case DUSK_PLAN_DROP_DUPLICATES: return "drop_duplicates";
  case DUSK_PLAN_SAMPLE: return "sample";
  case DUSK_PLAN_RESET_INDEX: return "reset_index";
  case DUSK_PLAN_RENAME: return "rename";
  case DUSK_PLAN_DROPNA: return "dropna";
  case DUSK_PLAN_MERGE: return "merge";
  case DUSK_PLAN_PERSIST: return "persist";
  case DUSK_PLAN_SET_INDEX: return "set_index";
  }
  return "unknown";
}

bool dusk_plan_is_terminal(dusk_plan_kind kind) {
  switch (kind) {
  case DUSK_PLAN_GROUPBY:
  case DUSK_PLAN_VALUE_COUNTS:
  case DUSK_PLAN_HEAD:
  case DUSK_PLAN_LEN:
  case DUSK_PLAN_PERSIST:
  case DUSK_PLAN_DESCRIBE:
  case DUSK_PLAN_TO_CSV:
  case DUSK_PLAN_SORT_VALUES:
  case DUSK_PLAN_TAIL:
  case DUSK_PLAN_QUANTILE:
  case DUSK_PLAN_TOPK:
  case DUSK_PLAN_DROP_DUPLICATES:
    return true;
  case DUSK_PLAN_READ_CSV:
  case DUSK_PLAN_CONCAT:
  case DUSK_PLAN_FILLNA:
  case DUSK_PLAN_QUERY:
  case DUSK_PLAN_SELECT:
  case DUSK_PLAN_ASSIGN:
  case DUSK_PLAN_SAMPLE:
  case DUSK_PLAN_RESET_INDEX:
  case DUSK_PLAN_SET_INDEX:
  case DUSK_PLAN_RENAME:
  case DUSK_PLAN_DROPNA:
  case DUSK_PLAN_MERGE:
    return false;
  }
  return false;
}

/* query, assign and select: row steps of a scan, or post steps above a
 * result. */
static bool row_step_on_result(const dusk_plan *p) {
  return (p->kind == DUSK_PLAN_QUERY || p->kind == DUSK_PLAN_ASSIGN ||
          p->kind == DUSK_PLAN_SELECT || p->kind == DUSK_PLAN_RENAME) &&
         p->ninputs == 1 && dusk_plan_takes_post(p->inputs[0]);
}

bool dusk_plan_takes_post(const dusk_plan *p) {
  return p != NULL &&
         (p->kind == DUSK_PLAN_GROUPBY || p->kind == DUSK_PLAN_VALUE_COUNTS ||
          p->kind == DUSK_PLAN_HEAD || p->kind == DUSK_PLAN_SORT_VALUES ||
          p->kind == DUSK_PLAN_TAIL || p->kind == DUSK_PLAN_TOPK ||
          p->kind == DUSK_PLAN_DROP_DUPLICATES ||
          p->kind == DUSK_PLAN_RESET_INDEX ||
          p->kind == DUSK_PLAN_SET_INDEX || row_step_on_result(p));
}

bool dusk_plan_is_post(const dusk_plan *p) {
  if (p == NULL)
    return false;
  if (p->kind == DUSK_PLAN_SORT_VALUES || p->kind == DUSK_PLAN_TAIL ||
      p->kind == DUSK_PLAN_RESET_INDEX || p->kind == DUSK_PLAN_SET_INDEX)
    return true;
  if (row_step_on_result(p))
    return true;
  return p->kind == DUSK_PLAN_HEAD && p->ninputs == 1 &&
         dusk_plan_takes_post(p->inputs[0]) &&
         p->inputs[0]->kind != DUSK_PLAN_HEAD;
}

const dusk_plan *dusk_plan_result_root(const dusk_plan *root) {
  while (root != NULL && root->ninputs == 1 && dusk_plan_is_post(root))
    root = root->inputs[0];
  return root;
}

/* ---- aggregation names -------------------------------------------------- */

static const char *const agg_names[] = {
    NULL, "count", "size", "sum", "mean", "min", "max", "nunique", "std", "var",
    "first", "last", "median", "quantile",
};
#define NAGG_NAMES (sizeof agg_names / sizeof agg_names[0])

const char *dusk_agg_name(dusk_agg_fn fn) {
  if ((unsigned)fn == 0 || (unsigned)fn >= NAGG_NAMES)
    return "unknown";
  return agg_names[fn];
}

dusk_agg_fn dusk_agg_parse(const char *name, size_t len) {
  if (name == NULL)
    return 0;
  for (size_t i = 1; i < NAGG_NAMES; i++)
    if (strlen(agg_names[i]) == len && memcmp(agg_names[i], name, len) == 0)
      return (dusk_agg_fn)i;
  return 0;
}

/* ---- expressions --------------------------------------------------------- */

static bool expr_is_binary(int kind) {
  return kind == DUSK_EXPR_COMPARE || kind == DUSK_EXPR_AND ||
         kind == DUSK_EXPR_OR || kind == DUSK_EXPR_ARITH;
}

static bool expr_is_unary(int kind) {
  return kind == DUSK_EXPR_NOT || kind == DUSK_EXPR_ISNULL ||
         kind == DUSK_EXPR_NOTNULL || kind == DUSK_EXPR_FUNC;
}

static bool expr_has_op(int kind) {
  return kind == DUSK_EXPR_COMPARE || kind == DUSK_EXPR_ARITH ||
         kind == DUSK_EXPR_FUNC;
}

static const char *const func_names[] = {
    NULL,     "year",      "month",     "day",           "hour", "minute",
    "second", "dayofweek", "dayofyear", "total_seconds", "abs",  "len",
    "startswith", "endswith", "contains", "round", "float", "int",
    "clip_lower", "clip_upper", "floor", "ceil", "dt_round", "where",
    "otherwise", "contains_re", "match", "fullmatch", "to_datetime",
    "to_datetime_coerce", "lower", "upper", "strip", "lstrip", "rstrip",
    "slice", "date", "to_timedelta",
};

bool dusk_func_takes_arg(int fn) {
  return fn == DUSK_FN_STARTSWITH || fn == DUSK_FN_ENDSWITH ||
         fn == DUSK_FN_CONTAINS || fn == DUSK_FN_ROUND ||
         fn == DUSK_FN_CLIP_LOWER || fn == DUSK_FN_CLIP_UPPER ||
         fn == DUSK_FN_DT_FLOOR || fn == DUSK_FN_DT_CEIL ||
         fn == DUSK_FN_DT_ROUND || fn == DUSK_FN_WHERE ||
         fn == DUSK_FN_OTHERWISE || fn == DUSK_FN_RE_SEARCH ||
         fn == DUSK_FN_RE_MATCH || fn == DUSK_FN_RE_FULLMATCH ||
         fn == DUSK_FN_STR_STRIP || fn == DUSK_FN_STR_LSTRIP ||
         fn == DUSK_FN_STR_RSTRIP || fn == DUSK_FN_STR_SLICE;
}

/* A frequency in nanoseconds as pandas writes it: "15min", "H", "2D",
 * "1500ms", else "<n>N". */
static void fmt_freq(char *out, size_t outlen, int64_t ns) {
  static const struct { int64_t ns; const char *unit; } units[] = {
      {86400000000000, "D"}, {3600000000000, "H"}, {60000000000, "min"},
      {1000000000, "S"},     {1000000, "ms"},      {1000, "us"}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (ns > 0 && ns % units[i].ns == 0) {
      int64_t k = ns / units[i].ns;
      if (k == 1)
        snprintf(out, outlen, "%s", units[i].unit);
      else
        snprintf(out, outlen, "%lld%s", (long long)k, units[i].unit);
      return;
    }
  snprintf(out, outlen, "%lldN", (long long)ns);
}

/* Whether the node e (kind, op) has a second operand. */
static bool node_is_binary(int kind, int op) {
  return expr_is_binary(kind) ||
         (kind == DUSK_EXPR_FUNC && dusk_func_takes_arg(op));
}

const char *dusk_func_name(dusk_func fn) {
  if ((unsigned)fn == 0 || (unsigned)fn > DUSK_FN_NFUNCS)
    return NULL;
  return func_names[fn];
}

dusk_func dusk_func_parse(const char *name, size_t len) {
  for (unsigned i = 1; name != NULL && i <= DUSK_FN_NFUNCS; i++)
    if (strlen(func_names[i]) == len && memcmp(func_names[i], name, len) == 0)
      return (dusk_func)i;
  if (name != NULL && len == 7 && memcmp(name, "weekday", 7) == 0)
    return DUSK_FN_DAYOFWEEK; /* pandas' other name for it */
  return (dusk_func)0;
}

dusk_expr *dusk_expr_column(const char *name) {
  dusk_expr *e;
  if (name == NULL)
    return NULL;
  e = calloc(1, sizeof *e);
  if (e == NULL)
    return NULL;
  e->kind = DUSK_EXPR_COLUMN;
  if (dup_opt(name, &e->name) != 0) {
    free(e);
    return NULL;
  }
  return e;
}

dusk_expr *dusk_expr_literal(dusk_value v) {
  dusk_expr *e = calloc(1, sizeof *e);
  if (e == NULL)
    return NULL;
  e->kind = DUSK_EXPR_LITERAL;
  if (value_copy(&v, &e->value) != 0) {
    free(e);
    return NULL;
  }
  return e;
}

/* A missing operand is taken for an earlier constructor's out-of-memory,
 * so nested constructor calls need one NULL check at the end. */
dusk_expr *dusk_expr_node(dusk_expr_kind kind, int op, dusk_expr *a,
                          dusk_expr *b) {
  dusk_expr *e = NULL;
  bool binary = node_is_binary(kind, op);
  if (!binary && !expr_is_unary(kind))
    goto fail;
  if (a == NULL || (binary && b == NULL))
    goto fail;
  if (!binary) {
    dusk_expr_free(b);
    b = NULL;
  }
  e = calloc(1, sizeof *e);
  if (e == NULL)
    goto fail;
  e->kind = kind;
  e->op = expr_has_op(kind) ? op : 0;
  e->a = a;
  e->b = b;
  return e;
fail:
  dusk_expr_free(a);
  dusk_expr_free(b);
  return NULL;
}

void dusk_expr_free(dusk_expr *e) {
  if (e == NULL)
    return;
  dusk_expr_free(e->a);
  dusk_expr_free(e->b);
  free(e->name);
  value_destroy(&e->value);
  free(e);
}

static dusk_expr *expr_clone(const dusk_expr *e) {
  dusk_expr *c;
  if (e == NULL)
    return NULL;
  c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->kind = e->kind;
  c->op = e->op;
  if (dup_opt(e->name, &c->name) != 0 || value_copy(&e->value, &c->value) != 0)
    goto fail;
  if (e->a != NULL && (c->a = expr_clone(e->a)) == NULL)
    goto fail;
  if (e->b != NULL && (c->b = expr_clone(e->b)) == NULL)
    goto fail;
  return c;
fail:
  dusk_expr_free(c);
  return NULL;
}

dusk_expr *dusk_expr_clone(const dusk_expr *e) { return expr_clone(e); }

/* ---- readable expressions ------------------------------------------------ */

/* A bounded writer: keeps what fits, always NUL-terminated. */
typedef struct writer {
  char *out;
  size_t cap, len;
} writer;

static void w_put(writer *w, const char *s, size_t n) {
  if (w->cap == 0)
    return;
  if (n > w->cap - 1 - w->len)
    n = w->cap - 1 - w->len;
  memcpy(w->out + w->len, s, n);
  w->len += n;
  w->out[w->len] = '\0';
}

static void w_str(writer *w, const char *s) { w_put(w, s, strlen(s)); }

static const char *cmp_text(int op) {
  switch (op) {
  case DUSK_CMP_EQ: return "==";
  case DUSK_CMP_NE: return "!=";
  case DUSK_CMP_LT: return "<";
  case DUSK_CMP_LE: return "<=";
  case DUSK_CMP_GT: return ">";
  case DUSK_CMP_GE: return ">=";
  }
  return "?";
}

static const char *arith_text(int op) {
  switch (op) {
  case DUSK_ARITH_ADD: return "+";
  case DUSK_ARITH_SUB: return "-";
  case DUSK_ARITH_MUL: return "*";
  case DUSK_ARITH_DIV: return "/";
  case DUSK_ARITH_MOD: return "%";
  case DUSK_ARITH_FLOORDIV: return "//";
  case DUSK_ARITH_POW: return "**";
  }
  return "?";
}

/* Bare when pandas' query() would read it as a name, else in backticks. */
static void fmt_name(writer *w, const char *name) {
  static const char *const words[] = {"and",  "or",    "not", "in",
                                      "True", "False", "None"};
  bool bare = name[0] != '\0' && !(name[0] >= '0' && name[0] <= '9');
  for (const char *p = name; *p && bare; p++)
    bare = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
           (*p >= '0' && *p <= '9') || *p == '_';
  for (size_t i = 0; bare && i < sizeof words / sizeof words[0]; i++)
    bare = strcmp(name, words[i]) != 0;
  if (bare) {
    w_str(w, name);
    return;
  }
  w_str(w, "`");
  w_str(w, name);
  w_str(w, "`");
}

static void fmt_value(writer *w, const dusk_value *v) {
  char tmp[48];
  switch (v->type) {
  case DUSK_TYPE_NULL: w_str(w, "None"); return;
  case DUSK_TYPE_BOOL: w_str(w, v->u.b ? "True" : "False"); return;
  case DUSK_TYPE_INT64:
  case DUSK_TYPE_DATETIME: /* values never hold these: ns as a number */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    snprintf(tmp, sizeof tmp, "%" PRId64, v->u.i);
    w_str(w, tmp);
    return;
  case DUSK_TYPE_FLOAT64: {
    /* The shortest form that reads back to the same double, with a
     * decimal point so it still reads as a float. */
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(tmp, sizeof tmp, "%.*g", prec, v->u.f);
      if (strtod(tmp, NULL) == v->u.f)
        break;
    }
    if (strspn(tmp, "-0123456789") == strlen(tmp))
      strcat(tmp, ".0");
    w_str(w, tmp);
    return;
  }
  case DUSK_TYPE_STRING: {
    const unsigned char *p = (const unsigned char *)v->u.s.ptr;
    w_str(w, "\"");
    for (size_t i = 0; i < v->u.s.len; i++) {
      unsigned char c = p[i];
      if (c == '"' || c == '\\') {
        tmp[0] = '\\';
        tmp[1] = (char)c;
        w_put(w, tmp, 2);
      } else if (c == '\n') {
        w_str(w, "\\n");
      } else if (c == '\t') {
        w_str(w, "\\t");
      } else if (c == '\r') {
        w_str(w, "\\r");
      } else if (c < 0x20 || c == 0x7f) {
        snprintf(tmp, sizeof tmp, "\\x%02x", c);
        w_str(w, tmp);
      } else {
        w_put(w, (const char *)&p[i], 1); /* UTF-8 passes through */
      }
    }
    w_str(w, "\"");
    return;
  }
  }
  w_str(w, "?");
}

static void fmt_expr(writer *w, const dusk_expr *e);

/* An operand needs parentheses unless it delimits itself. */
static void fmt_operand(writer *w, const dusk_expr *e) {
  bool atom = e == NULL || e->kind == DUSK_EXPR_COLUMN ||
              e->kind == DUSK_EXPR_LITERAL || e->kind == DUSK_EXPR_ISNULL ||
              e->kind == DUSK_EXPR_NOTNULL || e->kind == DUSK_EXPR_FUNC;
  if (!atom)
    w_str(w, "(");
  fmt_expr(w, e);
  if (!atom)
    w_str(w, ")");
}

static void fmt_expr(writer *w, const dusk_expr *e) {
  const char *op = NULL;
  if (e == NULL) {
    w_str(w, "?");
    return;
  }
  switch (e->kind) {
  case DUSK_EXPR_COLUMN: fmt_name(w, e->name ? e->name : ""); return;
  case DUSK_EXPR_LITERAL: fmt_value(w, &e->value); return;
  case DUSK_EXPR_NOT:
    w_str(w, "not ");
    fmt_operand(w, e->a);
    return;
  case DUSK_EXPR_ISNULL:
  case DUSK_EXPR_NOTNULL:
    fmt_operand(w, e->a);
    w_str(w, e->kind == DUSK_EXPR_ISNULL ? ".isnull()" : ".notnull()");
    return;
  case DUSK_EXPR_FUNC:
    if (e->op == DUSK_FN_TO_DATETIME || e->op == DUSK_FN_TO_DATETIME_COERCE) {
      w_str(w, "to_datetime(");
      fmt_expr(w, e->a);
      w_str(w, e->op == DUSK_FN_TO_DATETIME ? ")" : ", errors=\"coerce\")");
    } else if (e->op == DUSK_FN_TO_TIMEDELTA) {
      w_str(w, "to_timedelta(");
      fmt_expr(w, e->a);
      w_str(w, ")");
    } else if (e->op == DUSK_FN_ABS || e->op == DUSK_FN_ROUND) {
      w_str(w, e->op == DUSK_FN_ABS ? "abs(" : "round(");
      fmt_expr(w, e->a);
      if (e->b != NULL) {
        w_str(w, ", ");
        fmt_expr(w, e->b);
      }
      w_str(w, ")");
    } else if (e->op == DUSK_FN_TO_FLOAT || e->op == DUSK_FN_TO_INT) {
      fmt_operand(w, e->a);
      w_str(w, e->op == DUSK_FN_TO_FLOAT ? ".astype(\"float64\")"
                                         : ".astype(\"int64\")");
    } else if (e->op == DUSK_FN_CLIP_LOWER || e->op == DUSK_FN_CLIP_UPPER) {
      fmt_operand(w, e->a);
      w_str(w, e->op == DUSK_FN_CLIP_LOWER ? ".clip(lower=" : ".clip(upper=");
      fmt_expr(w, e->b);
      w_str(w, ")");
    } else if (e->op == DUSK_FN_WHERE || e->op == DUSK_FN_OTHERWISE) {
      /* x.where(cond, other); a lone OTHERWISE shows as (cond, other) */
      const dusk_expr *ow = e->op == DUSK_FN_WHERE ? e->b : e;
      if (e->op == DUSK_FN_WHERE) {
        fmt_operand(w, e->a);
        w_str(w, ".where");
      }
      w_str(w, "(");
      if (ow != NULL && ow->kind == DUSK_EXPR_FUNC &&
          ow->op == DUSK_FN_OTHERWISE) {
        fmt_expr(w, ow->a);
        w_str(w, ", ");
        fmt_expr(w, ow->b);
      } else {
        w_str(w, "?");
      }
      w_str(w, ")");
    } else if (e->op >= DUSK_FN_DT_FLOOR && e->op <= DUSK_FN_DT_ROUND) {
      char freq[48] = "?";
      if (e->b != NULL && e->b->kind == DUSK_EXPR_LITERAL &&
          e->b->value.type == DUSK_TYPE_INT64)
        fmt_freq(freq, sizeof freq, e->b->value.u.i);
      fmt_operand(w, e->a);
      w_str(w, e->op == DUSK_FN_DT_FLOOR  ? ".dt.floor(\""
               : e->op == DUSK_FN_DT_CEIL ? ".dt.ceil(\""
                                          : ".dt.round(\"");
      w_str(w, freq);
      w_str(w, "\")");
    } else if (e->op >= DUSK_FN_RE_SEARCH && e->op <= DUSK_FN_RE_FULLMATCH) {
      fmt_operand(w, e->a);
      w_str(w, e->op == DUSK_FN_RE_SEARCH  ? ".str.contains("
               : e->op == DUSK_FN_RE_MATCH ? ".str.match("
                                           : ".str.fullmatch(");
      if (e->b != NULL)
        fmt_expr(w, e->b);
      w_str(w, e->op == DUSK_FN_RE_SEARCH ? ", regex=True)" : ")");
    } else if (e->op >= DUSK_FN_STR_LOWER && e->op <= DUSK_FN_STR_SLICE) {
      /* .str.lower(), .str.strip("xy"), .str.slice(1, None, -1) */
      fmt_operand(w, e->a);
      w_str(w, ".str.");
      w_str(w, dusk_func_name((dusk_func)e->op));
      w_str(w, "(");
      if (e->op == DUSK_FN_STR_SLICE && e->b != NULL &&
          e->b->kind == DUSK_EXPR_LITERAL &&
          e->b->value.type == DUSK_TYPE_STRING) {
        const char *q = e->b->value.u.s.ptr,
                   *end = q + e->b->value.u.s.len;
        for (int k = 0; k < 3; k++) {
          const char *c = memchr(q, ':', (size_t)(end - q));
          size_t n = c ? (size_t)(c - q) : (size_t)(end - q);
          char part[32];
          snprintf(part, sizeof part, "%.*s", (int)(n < 30 ? n : 30), q);
          w_str(w, k ? ", " : "");
          w_str(w, n ? part : "None");
          q = c ? c + 1 : end;
        }
      } else if (e->b != NULL && !(e->b->kind == DUSK_EXPR_LITERAL &&
                                   e->b->value.type == DUSK_TYPE_NULL)) {
        fmt_expr(w, e->b);
      }
      w_str(w, ")");
    } else if (e->op >= DUSK_FN_STR_LEN && e->op <= DUSK_FN_CONTAINS) {
      bool special = false; /* a literal contains reads as a regex else */
      if (e->op == DUSK_FN_CONTAINS && e->b != NULL &&
          e->b->kind == DUSK_EXPR_LITERAL &&
          e->b->value.type == DUSK_TYPE_STRING)
        for (size_t i = 0; i < e->b->value.u.s.len; i++)
          special |= e->b->value.u.s.ptr[i] != '\0' &&
                     strchr(".^$*+?{}[]\\|()", e->b->value.u.s.ptr[i]) != NULL;
      fmt_operand(w, e->a);
      w_str(w, ".str.");
      w_str(w, dusk_func_name((dusk_func)e->op));
      w_str(w, "(");
      if (e->b != NULL)
        fmt_expr(w, e->b);
      w_str(w, special ? ", regex=False)" : ")");
    } else {
      fmt_operand(w, e->a);
      w_str(w, ".dt.");
      w_str(w, dusk_func_name((dusk_func)e->op) ? dusk_func_name((dusk_func)e->op)
                                                : "?");
      if (e->op == DUSK_FN_TOTAL_SECONDS)
        w_str(w, "()");
    }
    return;
  case DUSK_EXPR_COMPARE: op = cmp_text(e->op); break;
  case DUSK_EXPR_ARITH: op = arith_text(e->op); break;
  case DUSK_EXPR_AND: op = "and"; break;
  case DUSK_EXPR_OR: op = "or"; break;
  }
  if (op == NULL) {
    w_str(w, "?");
    return;
  }
  fmt_operand(w, e->a);
  w_str(w, " ");
  w_str(w, op);
  w_str(w, " ");
  fmt_operand(w, e->b);
}

void dusk_expr_format(const dusk_expr *e, char *out, size_t outlen) {
  writer w = {out, outlen, 0};
  if (outlen == 0)
    return;
  out[0] = '\0';
  fmt_expr(&w, e);
}

/* ---- plans --------------------------------------------------------------- */

static dusk_plan *plan_new(dusk_plan_kind kind) {
  dusk_plan *p = calloc(1, sizeof *p);
  if (p == NULL)
    return NULL;
  p->kind = kind;
  if (kind == DUSK_PLAN_READ_CSV)
    p->csv.sep = ',';
  return p;
}

void dusk_plan_free(dusk_plan *p) {
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->ninputs; i++)
    dusk_plan_free(p->inputs[i]);
  free(p->inputs);
  strv_free(p->paths, p->npaths);
  free(p->csv.persisted);
  strv_free(p->csv.usecols, p->csv.nusecols);
  for (size_t i = 0; i < p->csv.ndtypes; i++)
    free(p->csv.dtypes[i].column);
  free(p->csv.dtypes);
  for (size_t i = 0; i < p->nfills; i++) {
    free(p->fills[i].column);
    value_destroy(&p->fills[i].value);
  }
  free(p->fills);
  strv_free(p->mixed, p->nmixed);
  dusk_expr_free(p->expr);
  free(p->expr_text);
  strv_free(p->columns, p->ncolumns);
  for (size_t i = 0; i < p->naggs; i++) {
    free(p->aggs[i].column);
    free(p->aggs[i].label);
  }
  free(p->aggs);
  free(p->dir);
  for (size_t i = 0; i < p->ndivisions; i++)
    value_destroy(&p->divisions[i]);
  free(p->divisions);
  free(p->ascending);
  free(p->qs);
  strv_free(p->renamed, p->kind == DUSK_PLAN_RENAME ? p->ncolumns : 0);
  strv_free(p->right_on, p->kind == DUSK_PLAN_MERGE ? p->ncolumns : 0);
  free(p->suffixes[0]);
  free(p->suffixes[1]);
  free(p);
}

/* A node of `kind` over the one input `in`, which it owns from here on
 * (a NULL input, an earlier constructor's out-of-memory, gives NULL). */
static dusk_plan *plan_unary(dusk_plan_kind kind, dusk_plan *in) {
  dusk_plan *p;
  if (in == NULL)
    return NULL;
  p = plan_new(kind);
  if (p == NULL || (p->inputs = malloc(sizeof *p->inputs)) == NULL) {
    free(p);
    dusk_plan_free(in);
    return NULL;
  }
  p->inputs[0] = in;
  p->ninputs = 1;
  return p;
}

/* A copy of n dtypes; masked too when keep_masked (a plan's, where the
 * caller's options may leave it unset: dusk_plan_read_csv sets it). */
static int dtypes_copy(const dusk_dtype *src, size_t n, bool keep_masked,
                       dusk_dtype **out) {
  dusk_dtype *d;
  *out = NULL;
  if (n == 0)
    return 0;
  d = calloc(n, sizeof *d);
  if (d == NULL)
    return -1;
  *out = d;
  for (size_t i = 0; i < n; i++) {
    d[i].type = src[i].type;
    d[i].no_na = src[i].no_na;
    d[i].masked = keep_masked && src[i].masked;
    if (dup_opt(src[i].column, &d[i].column) != 0)
      return -1; /* the caller frees the n entries */
  }
  return 0;
}

/* Copies opts into p->csv; on failure p holds what was copied. */
static int csv_copy(dusk_plan *p, const dusk_csv_options *o) {
  p->csv.sep = o->sep != '\0' ? o->sep : ',';
  p->csv.blocksize = o->blocksize;
  p->csv.anon = o->anon;
  p->csv.persisted_leaf = o->persisted_leaf;
  if (dup_opt(o->persisted, &p->csv.persisted) != 0)
    return -1;
  if (strv_dup_keep(o->usecols, o->nusecols, &p->csv.usecols) != 0)
    return -1;
  p->csv.nusecols = p->csv.usecols ? o->nusecols : 0;
  if (o->dtypes != NULL && o->ndtypes > 0) {
    int rc = dtypes_copy(o->dtypes, o->ndtypes, false, &p->csv.dtypes);
    if (p->csv.dtypes != NULL)
      p->csv.ndtypes = o->ndtypes;
    return rc;
  }
  return 0;
}

dusk_plan *dusk_plan_read_csv(const char *const *paths, size_t npaths,
                              const dusk_csv_options *opts) {
  dusk_plan *p = plan_new(DUSK_PLAN_READ_CSV);
  if (p == NULL)
    return NULL;
  if (strv_dup(paths, paths ? npaths : 0, &p->paths) != 0)
    goto fail;
  p->npaths = p->paths ? npaths : 0;
  if (opts != NULL && csv_copy(p, opts) != 0)
    goto fail;
  /* the user's dtypes: an int or bool one that may hold nulls was named
   * "Int64" / "boolean" (value.h dusk_type_parse_na) */
  for (size_t d = 0; d < p->csv.ndtypes; d++)
    p->csv.dtypes[d].masked = !p->csv.dtypes[d].no_na &&
                              (p->csv.dtypes[d].type == DUSK_TYPE_INT64 ||
                               p->csv.dtypes[d].type == DUSK_TYPE_BOOL);
  return p;
fail:
  dusk_plan_free(p);
  return NULL;
}

dusk_plan *dusk_plan_concat(dusk_plan **inputs, size_t n) {
  dusk_plan *p = NULL;
  for (size_t i = 0; i < n; i++)
    if (inputs[i] == NULL)
      goto fail;
  p = plan_new(DUSK_PLAN_CONCAT);
  if (p == NULL)
    goto fail;
  if (n > 0) {
    p->inputs = malloc(n * sizeof *p->inputs);
    if (p->inputs == NULL)
      goto fail;
    memcpy(p->inputs, inputs, n * sizeof *p->inputs);
    p->ninputs = n;
  }
  return p;
fail:
  free(p);
  for (size_t i = 0; i < n; i++)
    dusk_plan_free(inputs[i]);
  return NULL;
}

static int fills_copy(dusk_plan *p, const dusk_fill *fills, size_t n) {
  if (n == 0 || fills == NULL)
    return 0;
  p->fills = calloc(n, sizeof *p->fills);
  if (p->fills == NULL)
    return -1;
  p->nfills = n;
  for (size_t i = 0; i < n; i++)
    if (dup_opt(fills[i].column, &p->fills[i].column) != 0 ||
        value_copy(&fills[i].value, &p->fills[i].value) != 0)
      return -1;
  return 0;
}

bool dusk_plan_fill_datetime(dusk_type column, const dusk_value *value,
                             int64_t *ns) {
  return column == DUSK_TYPE_DATETIME && value->type == DUSK_TYPE_STRING &&
         dusk_field_parse_datetime(value->u.s.ptr, value->u.s.len, ns) == 0;
}

int dusk_plan_fill_mixes(dusk_type column, const dusk_value *value) {
  dusk_type v = value->type;
  int ncol = column == DUSK_TYPE_INT64 || column == DUSK_TYPE_FLOAT64;
  int nval = v == DUSK_TYPE_INT64 || v == DUSK_TYPE_FLOAT64;
  int64_t ns;
  if (column == DUSK_TYPE_NULL || v == DUSK_TYPE_NULL || column == v ||
      dusk_plan_fill_datetime(column, value, &ns))
    return 0;
  return !(ncol && nval);
}

dusk_plan *dusk_plan_fillna(dusk_plan *in, const dusk_fill *fills, size_t n) {
  dusk_plan *p = plan_unary(DUSK_PLAN_FILLNA, in);
  if (p != NULL && fills_copy(p, fills, n) != 0) {
    dusk_plan_free(p);
    return NULL;
  }
  return p;
}

dusk_plan *dusk_plan_query(dusk_plan *in, dusk_expr *expr, const char *text) {
  dusk_plan *p;
  if (expr == NULL) {
    dusk_plan_free(in);
    return NULL;
  }
  p = plan_unary(DUSK_PLAN_QUERY, in);
  if (p == NULL) {
    dusk_expr_free(expr);
    return NULL;
  }
  p->expr = expr;
  if (dup_opt(text, &p->expr_text) != 0) {
    dusk_plan_free(p);
    return NULL;
  }
  return p;
}

dusk_plan *dusk_plan_assign(dusk_plan *in, const char *name, dusk_expr *expr,
                            const char *text) {
  dusk_plan *p = dusk_plan_query(in, expr, text);
  if (p == NULL)
    return NULL;
  p->kind = DUSK_PLAN_ASSIGN;
  if ((p->columns = calloc(1, sizeof *p->columns)) == NULL ||
      (p->columns[0] = strdup(name ? name : "")) == NULL) {
    dusk_plan_free(p);
    return NULL;
  }
  p->ncolumns = 1;
  return p;
}

static dusk_plan *plan_with_columns(dusk_plan_kind kind, dusk_plan *in,
                                    const char *const *cols, size_t n) {
  dusk_plan *p = plan_unary(kind, in);
  if (p == NULL)
    return NULL;
  if (strv_dup(cols, cols ? n : 0, &p->columns) != 0) {
    dusk_plan_free(p);
    return NULL;
  }
  p->ncolumns = p->columns ? n : 0;
  return p;
}

dusk_plan *dusk_plan_select(dusk_plan *in, const char *const *cols, size_t n) {
  return plan_with_columns(DUSK_PLAN_SELECT, in, cols, n);
}

static int aggs_copy(dusk_plan *p, const dusk_agg *aggs, size_t n) {
  if (n == 0 || aggs == NULL)
    return 0;
  p->aggs = calloc(n, sizeof *p->aggs);
  if (p->aggs == NULL)
    return -1;
  p->naggs = n;
  for (size_t i = 0; i < n; i++) {
    p->aggs[i].fn = aggs[i].fn;
    p->aggs[i].q = aggs[i].q;
    if (dup_opt(aggs[i].column, &p->aggs[i].column) != 0 ||
        dup_opt(aggs[i].label, &p->aggs[i].label) != 0)
      return -1;
  }
  return 0;
}

dusk_plan *dusk_plan_groupby(dusk_plan *in, const char *const *keys,
                             size_t nkeys, const dusk_agg *aggs, size_t naggs) {
  dusk_plan *p = plan_with_columns(DUSK_PLAN_GROUPBY, in, keys, nkeys);
  if (p != NULL && aggs_copy(p, aggs, naggs) != 0) {
    dusk_plan_free(p);
    return NULL;
  }
  return p;
}

static bool merge_drops(const dusk_plan *m, const char *name);

/* Whether `name`, a column of merge m's result, is `base` + suffix. */
static bool suffix_of(const char *name, const char *suffix, char *base,
                      size_t cap) {
  size_t n = strlen(name), s = strlen(suffix);
  if (s == 0 || n <= s || n - s >= cap || strcmp(name + n - s, suffix) != 0)
    return false;
  memcpy(base, name, n - s);
  base[n - s] = '\0';
  return true;
}

static bool masked_column(const dusk_plan *p, const char *name);

/* Whether expression e over the rows of `in` computes a pandas nullable
 * array (plan.h dusk_expr_masked). */
static bool expr_masked(const dusk_expr *e, const dusk_plan *in, int depth) {
  if (e == NULL || depth > 256) /* decoded trees are 64 deep at most */
    return false;
  switch (e->kind) {
  case DUSK_EXPR_COLUMN:
    return masked_column(in, e->name);
  case DUSK_EXPR_ISNULL: /* isna() of any array is numpy's bool */
  case DUSK_EXPR_NOTNULL:
  case DUSK_EXPR_LITERAL:
    return false;
  case DUSK_EXPR_FUNC:
    switch (e->op) {
    case DUSK_FN_ABS:
    case DUSK_FN_ROUND:
    case DUSK_FN_CLIP_LOWER:
    case DUSK_FN_CLIP_UPPER:
      return expr_masked(e->a, in, depth + 1);
    case DUSK_FN_WHERE: /* x, or the other value of OTHERWISE (b->b) */
      return expr_masked(e->a, in, depth + 1) ||
             (e->b != NULL && expr_masked(e->b->b, in, depth + 1));
    default: /* astype(float / int) is numpy's; the others take text or
                times, never a nullable number */
      return false;
    }
  case DUSK_EXPR_COMPARE:
  case DUSK_EXPR_AND:
  case DUSK_EXPR_OR:
  case DUSK_EXPR_NOT:
  case DUSK_EXPR_ARITH:
    return expr_masked(e->a, in, depth + 1) ||
           expr_masked(e->b, in, depth + 1);
  default:
    return false;
  }
}

bool dusk_expr_masked(const dusk_expr *e, const dusk_plan *in) {
  return in != NULL && expr_masked(e, in, 0);
}

/* Whether column `name` of plan p is pandas' nullable Int64 or boolean
 * array: a read_csv types it so (dtype "Int64" / "boolean": no_na false),
 * and every step on the way keeps it, as pandas keeps the dtype: row
 * steps, fillna, a concat of such columns only, a rename (under its new
 * name), an assign of another column or of a copy (assign(y="x")), a
 * merge (either side's column, under its name or suffixed; a key kept
 * once is the left's, as pandas keeps the left key's dtype), and a
 * computed assign whose expression pandas computes as a nullable array
 * (dusk_expr_masked: x + 1 is Int64, x / 2 Float64, x > 1 boolean).  A
 * result step ends the trail: false, the numpy dtype's answer.  The client does not know a merge's columns: a name
 * is looked up on both sides, plain and with the side's suffix (a column
 * literally named "x_x" beside a clashing "x" is not told apart). */
static bool masked_column(const dusk_plan *p, const char *name) {
  switch (p->kind) {
  case DUSK_PLAN_RENAME:
    if (p->ninputs != 1)
      return false;
    for (size_t i = 0; i < p->ncolumns; i++)
      if (strcmp(p->renamed[i], name) == 0)
        return masked_column(p->inputs[0], p->columns[i]);
    for (size_t i = 0; i < p->ncolumns; i++)
      if (strcmp(p->columns[i], name) == 0)
        return false; /* renamed away */
    return masked_column(p->inputs[0], name);
  case DUSK_PLAN_ASSIGN:
    if (p->ninputs != 1 || p->ncolumns != 1)
      return false;
    if (strcmp(p->columns[0], name) != 0)
      return masked_column(p->inputs[0], name);
    return dusk_expr_masked(p->expr, p->inputs[0]);
  case DUSK_PLAN_MERGE: {
    char base[256];
    if (p->ninputs != 2)
      return false;
    if (merge_drops(p, name)) /* an on= key, kept once: the left's */
      return masked_column(p->inputs[0], name);
    return masked_column(p->inputs[0], name) ||
           masked_column(p->inputs[1], name) ||
           (suffix_of(name, p->suffixes[0] ? p->suffixes[0] : "_x", base,
                      sizeof base) &&
            masked_column(p->inputs[0], base)) ||
           (suffix_of(name, p->suffixes[1] ? p->suffixes[1] : "_y", base,
                      sizeof base) &&
            masked_column(p->inputs[1], base));
  }
  case DUSK_PLAN_READ_CSV:
    for (size_t d = 0; d < p->csv.ndtypes; d++)
      if (strcmp(p->csv.dtypes[d].column, name) == 0)
        return p->csv.dtypes[d].masked;
    return false;
  case DUSK_PLAN_CONCAT:
    for (size_t i = 0; i < p->ninputs; i++)
      if (!masked_column(p->inputs[i], name))
        return false;
    return p->ninputs > 0;
  case DUSK_PLAN_FILLNA:
  case DUSK_PLAN_QUERY:
  case DUSK_PLAN_SELECT:
  case DUSK_PLAN_HEAD:
  case DUSK_PLAN_TAIL:
  case DUSK_PLAN_TOPK:
  case DUSK_PLAN_DROP_DUPLICATES:
  case DUSK_PLAN_SAMPLE:
  case DUSK_PLAN_DROPNA:
    return p->ninputs == 1 && masked_column(p->inputs[0], name);
  default:
    return false;
  }
}

bool dusk_plan_column_masked(const dusk_plan *p, const char *name) {
  return p != NULL && name != NULL && masked_column(p, name);
}

dusk_plan *dusk_plan_value_counts(dusk_plan *in, const char *column) {
  const char *cols[1];
  bool masked = in != NULL && column != NULL && masked_column(in, column);
  dusk_plan *p;
  cols[0] = column;
  p = plan_with_columns(DUSK_PLAN_VALUE_COUNTS, in, cols, column ? 1 : 0);
  if (p != NULL)
    p->masked = masked;
  return p;
}

dusk_plan *dusk_plan_group_value_counts(dusk_plan *in, const char *column,
                                        const char *const *keys,
                                        size_t nkeys) {
  const char *cols[DUSK_VC_MAX_KEYS + 1];
  if (column == NULL || nkeys == 0 || nkeys > DUSK_VC_MAX_KEYS) {
    dusk_plan_free(in);
    return NULL;
  }
  cols[0] = column;
  for (size_t k = 0; k < nkeys; k++)
    cols[k + 1] = keys[k];
  return plan_with_columns(DUSK_PLAN_VALUE_COUNTS, in, cols, nkeys + 1);
}

dusk_plan *dusk_plan_reset_index(dusk_plan *in, const char *name, bool drop) {
  const char *cols[1];
  dusk_plan *p;
  cols[0] = name;
  p = plan_with_columns(DUSK_PLAN_RESET_INDEX, in, cols, name ? 1 : 0);
  if (p != NULL)
    p->drop = drop;
  return p;
}

dusk_plan *dusk_plan_set_index(dusk_plan *in, const char *const *keys,
                               size_t n, bool drop) {
  dusk_plan *p;
  if (n == 0) {
    dusk_plan_free(in);
    return NULL;
  }
  if (in != NULL && !dusk_plan_takes_post(in)) {
    /* a whole frame's rows: sorted by the new index first (Dask's) */
    uint8_t *asc = malloc(n);
    if (asc == NULL) {
      dusk_plan_free(in);
      return NULL;
    }
    memset(asc, 1, n);
    in = dusk_plan_sort_values(in, keys, n, asc, n);
    free(asc);
    if (in == NULL)
      return NULL;
  }
  if ((p = plan_with_columns(DUSK_PLAN_SET_INDEX, in, keys, n)) != NULL)
    p->drop = drop;
  return p;
}

dusk_plan *dusk_plan_rename(dusk_plan *in, const char *const *old,
                            const char *const *new_names, size_t n) {
  dusk_plan *p = plan_with_columns(DUSK_PLAN_RENAME, in, old, n);
  if (p != NULL && strv_dup(new_names, n, &p->renamed) != 0) {
    dusk_plan_free(p);
    return NULL;
  }
  return p;
}

const char *dusk_merge_how_name(int how) {
  switch (how) {
  case DUSK_MERGE_INNER: return "inner";
  case DUSK_MERGE_LEFT: return "left";
  case DUSK_MERGE_RIGHT: return "right";
  case DUSK_MERGE_OUTER: return "outer";
  default: return NULL;
  }
}

int dusk_merge_how_parse(const char *name) {
  for (int h = DUSK_MERGE_INNER; h <= DUSK_MERGE_OUTER; h++)
    if (name != NULL && strcmp(name, dusk_merge_how_name(h)) == 0)
      return h;
  return 0;
}

dusk_plan *dusk_plan_merge(dusk_plan *left, dusk_plan *right, int how,
                           const char *const *left_on,
                           const char *const *right_on, size_t n,
                           const char *const *suffixes) {
  dusk_plan *p;
  if (right == NULL || n == 0 || dusk_merge_how_name(how) == NULL) {
    dusk_plan_free(left);
    dusk_plan_free(right);
    return NULL;
  }
  if ((p = plan_with_columns(DUSK_PLAN_MERGE, left, left_on, n)) == NULL) {
    dusk_plan_free(right);
    return NULL;
  }
  {
    dusk_plan **in = realloc(p->inputs, 2 * sizeof *in);
    if (in == NULL) {
      dusk_plan_free(right);
      dusk_plan_free(p);
      return NULL;
    }
    p->inputs = in;
    p->inputs[p->ninputs++] = right;
  }
  p->how = how;
  if (strv_dup(right_on, n, &p->right_on) != 0 ||
      dup_opt(suffixes ? suffixes[0] : "_x", &p->suffixes[0]) != 0 ||
      dup_opt(suffixes ? suffixes[1] : "_y", &p->suffixes[1]) != 0) {
    dusk_plan_free(p);
    return NULL;
  }
  return p;
}

void dusk_merge_names_free(char **names, size_t n) {
  for (size_t i = 0; names != NULL && i < n; i++) {
    free(names[i]);
    names[i] = NULL;
  }
}

/* Whether right column `name` is a key the merge keeps once (named as its
 * left key). */
static bool merge_drops(const dusk_plan *m, const char *name) {
  for (size_t k = 0; k < m->ncolumns; k++)
    if (strcmp(m->right_on[k], name) == 0 &&
        strcmp(m->columns[k], name) == 0)
      return true;
  return false;
}

static bool names_hold(const char *const *v, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (v[i] != NULL && strcmp(v[i], name) == 0)
      return true;
  return false;
}

static char *suffixed(const char *name, const char *suffix) {
  size_t a = strlen(name), b = suffix ? strlen(suffix) : 0;
  char *s = malloc(a + b + 1);
  if (s != NULL) {
    memcpy(s, name, a);
    memcpy(s + a, suffix ? suffix : "", b);
    s[a + b] = '\0';
  }
  return s;
}

int dusk_merge_names(const dusk_plan *m, const char *const *left,
                     size_t nleft, const char *const *right, size_t nright,
                     char **left_out, char **right_out, dusk_error *err) {
  const char *sx = m->suffixes[0] ? m->suffixes[0] : "_x";
  const char *sy = m->suffixes[1] ? m->suffixes[1] : "_y";
  for (size_t i = 0; i < nleft; i++)
    left_out[i] = NULL;
  for (size_t j = 0; j < nright; j++)
    right_out[j] = NULL;
  for (size_t i = 0; i < nleft; i++) {
    bool clash = false;
    for (size_t j = 0; j < nright && !clash; j++)
      clash = strcmp(left[i], right[j]) == 0 && !merge_drops(m, right[j]);
    if ((left_out[i] = suffixed(left[i], clash ? sx : NULL)) == NULL)
      goto oom;
  }
  for (size_t j = 0; j < nright; j++) {
    if (merge_drops(m, right[j]))
      continue;
    if ((right_out[j] = suffixed(right[j], names_hold(left, nleft, right[j])
                                               ? sy
                                               : NULL)) == NULL)
      goto oom;
  }
  for (size_t i = 0; i < nleft + nright; i++) {
    const char *a = i < nleft ? left_out[i] : right_out[i - nleft];
    for (size_t k = i + 1; a != NULL && k < nleft + nright; k++) {
      const char *b = k < nleft ? left_out[k] : right_out[k - nleft];
      if (b != NULL && strcmp(a, b) == 0) {
        dusk_error_set(err, DUSK_EINVAL,
                       "merge: the result would have two columns named "
                       "'%.200s' (give other suffixes=)",
                       a);
        dusk_merge_names_free(left_out, nleft);
        dusk_merge_names_free(right_out, nright);
        return DUSK_EINVAL;
      }
    }
  }
  return 0;
oom:
  dusk_merge_names_free(left_out, nleft);
  dusk_merge_names_free(right_out, nright);
  return dusk_error_set(err, DUSK_ENOMEM, "merge: out of memory");
}

dusk_plan *dusk_plan_dropna(dusk_plan *in, const char *const *cols, size_t n,
                            bool how_all) {
  dusk_plan *p = plan_with_columns(DUSK_PLAN_DROPNA, in, cols, n);
  if (p != NULL)
    p->how_all = how_all;
  return p;
}

bool dusk_plan_sorts_rows(const dusk_plan *p) {
  return p != NULL && p->kind == DUSK_PLAN_SORT_VALUES && p->ninputs == 1 &&
         p->ncolumns > 0 && p->dir == NULL && !p->divisions_only &&
         !dusk_plan_takes_post(p->inputs[0]);
}

/* Whether a sort's range partitions were set (the optional fifth field). */
static bool has_parts(const dusk_plan *p) {
  return p->nparts > 0 || p->ndivisions > 0 || p->divisions_only;
}

dusk_plan *dusk_plan_divisions(dusk_plan *p) {
  dusk_plan *sort = (dusk_plan *)dusk_plan_sort_node(p), *key;
  const char *name;
  if (p != sort) { /* the set_index above the sort goes */
    p->inputs[0] = NULL;
    dusk_plan_free(p);
  }
  name = sort->columns[0];
  if ((key = dusk_plan_select(sort->inputs[0], &name, 1)) == NULL) {
    sort->inputs[0] = NULL; /* (freed by the select) */
    dusk_plan_free(sort);
    return NULL;
  }
  sort->inputs[0] = key;
  sort->divisions_only = true;
  return sort;
}

bool dusk_plan_range_sort(const dusk_plan *p) {
  p = dusk_plan_sort_node(p);
  return p != NULL && p->ncolumns > 0 &&
         (p->dir != NULL || p->divisions_only);
}

int dusk_plan_set_parts(dusk_plan *sort, uint32_t nparts,
                        const dusk_value *divisions, size_t n) {
  dusk_value *v = NULL;
  if (n > 0 && (v = calloc(n, sizeof *v)) == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (value_copy(&divisions[i], &v[i]) != 0) {
      while (i-- > 0)
        value_destroy(&v[i]);
      free(v);
      return -1;
    }
  for (size_t i = 0; i < sort->ndivisions; i++)
    value_destroy(&sort->divisions[i]);
  free(sort->divisions);
  sort->divisions = v;
  sort->ndivisions = n;
  sort->nparts = n > 0 ? (uint32_t)(n - 1) : nparts;
  return 0;
}

const dusk_plan *dusk_plan_sort_node(const dusk_plan *p) {
  if (p != NULL && p->kind == DUSK_PLAN_SET_INDEX && p->ninputs == 1)
    p = p->inputs[0];
  return p != NULL && p->kind == DUSK_PLAN_SORT_VALUES ? p : NULL;
}

bool dusk_plan_sorted_write(const dusk_plan *p) {
  p = dusk_plan_sort_node(p);
  return p != NULL && p->dir != NULL && p->ncolumns > 0;
}

dusk_plan *dusk_plan_head(dusk_plan *in, int64_t n) {
  dusk_plan *p;
  if (in != NULL && in->kind == DUSK_PLAN_SET_INDEX && in->ninputs == 1 &&
      n >= 0) {
    /* set_index relabels rows without moving them: the head goes under
     * it (a sorted frame's becomes its top-k) */
    if ((in->inputs[0] = dusk_plan_head(in->inputs[0], n)) == NULL) {
      dusk_plan_free(in);
      return NULL;
    }
    return in;
  }
  if (dusk_plan_sorts_rows(in) && n >= 0) { /* the first n of a sorted frame */
    in->kind = DUSK_PLAN_TOPK;
    in->n = n;
    return in;
  }
  p = plan_unary(DUSK_PLAN_HEAD, in);
  if (p != NULL)
    p->n = n;
  return p;
}

dusk_plan *dusk_plan_sort_values(dusk_plan *in, const char *const *by,
                                 size_t n, const uint8_t *ascending,
                                 size_t nascending) {
  dusk_plan *p = plan_with_columns(DUSK_PLAN_SORT_VALUES, in, by, n);
  if (p == NULL)
    return NULL;
  if ((p->ascending = malloc(nascending ? nascending : 1)) == NULL) {
    dusk_plan_free(p);
    return NULL;
  }
  for (size_t i = 0; i < nascending; i++)
    p->ascending[i] = ascending[i] != 0;
  p->nascending = nascending;
  return p;
}

dusk_plan *dusk_plan_tail(dusk_plan *in, int64_t n) {
  dusk_plan *p;
  if (in != NULL && in->kind == DUSK_PLAN_SET_INDEX && in->ninputs == 1 &&
      n >= 0) { /* as dusk_plan_head */
    if ((in->inputs[0] = dusk_plan_tail(in->inputs[0], n)) == NULL) {
      dusk_plan_free(in);
      return NULL;
    }
    return in;
  }
  if (in != NULL && !dusk_plan_is_terminal(in->kind) && n >= 0) {
    /* A whole frame's last n rows: the top n by position, descending. */
    static const uint8_t desc = 0;
    return dusk_plan_topk(in, NULL, 0, &desc, n);
  }
  p = plan_unary(DUSK_PLAN_TAIL, in);
  if (p != NULL)
    p->n = n;
  return p;
}

dusk_plan *dusk_plan_len(dusk_plan *in) {
  return plan_unary(DUSK_PLAN_LEN, in);
}

dusk_plan *dusk_plan_persist(dusk_plan *in) {
  return plan_unary(DUSK_PLAN_PERSIST, in);
}

static int mark_persisted(dusk_plan *p, const char *key, uint32_t *leaf) {
  if (p == NULL)
    return 0;
  if (p->kind == DUSK_PLAN_READ_CSV) {
    char *k = strdup(key);
    if (k == NULL)
      return DUSK_ENOMEM;
    free(p->csv.persisted);
    p->csv.persisted = k;
    p->csv.persisted_leaf = (*leaf)++;
    return 0;
  }
  for (size_t i = 0; i < p->ninputs; i++)
    if (mark_persisted(p->inputs[i], key, leaf) != 0)
      return DUSK_ENOMEM;
  return 0;
}

int dusk_plan_mark_persisted(dusk_plan *p, const char *key) {
  uint32_t leaf = 0;
  return mark_persisted(p, key, &leaf);
}

dusk_plan *dusk_plan_describe(dusk_plan *in) {
  return plan_unary(DUSK_PLAN_DESCRIBE, in);
}

dusk_plan *dusk_plan_describe_columns(dusk_plan *in, const char *const *cols,
                                      size_t n) {
  return plan_with_columns(DUSK_PLAN_DESCRIBE, in, cols, n);
}

/* A describe or quantile node over in with a copy of qs[0..nq): NULL (and
 * in freed) for none, too many or one outside [0, 1]. */
static dusk_plan *plan_with_qs(dusk_plan_kind kind, dusk_plan *in,
                               const char *const *cols, size_t n,
                               const double *qs, size_t nq) {
  dusk_plan *p;
  int ok = qs != NULL && nq >= 1 && nq <= DUSK_PLAN_MAX_QUANTILES;
  for (size_t i = 0; ok && i < nq; i++)
    ok = qs[i] >= 0.0 && qs[i] <= 1.0; /* false for NaN too */
  if (!ok) {
    dusk_plan_free(in);
    return NULL;
  }
  p = plan_with_columns(kind, in, cols, n);
  if (p == NULL || (p->qs = malloc(nq * sizeof *p->qs)) == NULL) {
    dusk_plan_free(p);
    return NULL;
  }
  memcpy(p->qs, qs, nq * sizeof *qs);
  p->nqs = nq;
  return p;
}

dusk_plan *dusk_plan_describe_percentiles(dusk_plan *in, const double *qs,
                                          size_t nq) {
  return plan_with_qs(DUSK_PLAN_DESCRIBE, in, NULL, 0, qs, nq);
}

dusk_plan *dusk_plan_quantile(dusk_plan *in, const char *const *cols,
                              size_t n, const double *qs, size_t nq) {
  return plan_with_qs(DUSK_PLAN_QUANTILE, in, cols, n, qs, nq);
}

dusk_plan *dusk_plan_topk(dusk_plan *in, const char *const *by, size_t nby,
                          const uint8_t *ascending, int64_t n) {
  dusk_plan *p;
  if (n < 0 || ascending == NULL) {
    dusk_plan_free(in);
    return NULL;
  }
  p = dusk_plan_sort_values(in, by, nby, ascending, nby ? nby : 1);
  if (p != NULL) {
    p->kind = DUSK_PLAN_TOPK;
    p->n = n;
  }
  return p;
}

dusk_plan *dusk_plan_sample(dusk_plan *in, double frac, uint64_t seed) {
  dusk_plan *p;
  if (!(frac >= 0 && frac <= 1)) {
    dusk_plan_free(in);
    return NULL;
  }
  if ((p = plan_unary(DUSK_PLAN_SAMPLE, in)) != NULL) {
    p->frac = frac;
    p->seed = seed;
  }
  return p;
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

bool dusk_sample_keeps(const dusk_plan *s, uint64_t range, uint64_t row) {
  uint64_t h = mix64(s->seed ^ mix64(range ^ mix64(row)));
  if (s->frac >= 1)
    return true;
  /* h / 2^64 < frac, in exact integer arithmetic on the top 53 bits */
  return (double)(h >> 11) < s->frac * 9007199254740992.0;
}

dusk_plan *dusk_plan_drop_duplicates(dusk_plan *in, const char *const *cols,
                                     size_t n) {
  return plan_with_columns(DUSK_PLAN_DROP_DUPLICATES, in, cols, n);
}

dusk_plan *dusk_plan_median(dusk_plan *in, const char *const *cols,
                            size_t n) {
  static const double half = 0.5;
  dusk_plan *p = dusk_plan_quantile(in, cols, n, &half, 1);
  if (p != NULL)
    p->median = true;
  return p;
}

dusk_plan *dusk_plan_to_csv(dusk_plan *in, const char *dir) {
  dusk_plan *p = plan_unary(DUSK_PLAN_TO_CSV, in);
  if (p != NULL && dup_opt(dir, &p->dir) != 0) {
    dusk_plan_free(p);
    return NULL;
  }
  return p;
}

/* Copies every field whatever the kind, so a clone of a hand-built node
 * is as faithful as a clone of a constructed one. */
dusk_plan *dusk_plan_clone(const dusk_plan *p) {
  dusk_plan *c;
  if (p == NULL)
    return NULL;
  c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->kind = p->kind;
  c->n = p->n;
  c->csv.sep = p->csv.sep;
  c->csv.blocksize = p->csv.blocksize;
  c->csv.anon = p->csv.anon;
  c->csv.persisted_leaf = p->csv.persisted_leaf;
  if (dup_opt(p->csv.persisted, &c->csv.persisted) != 0)
    goto fail;
  if (strv_dup((const char *const *)p->paths, p->paths ? p->npaths : 0,
               &c->paths) != 0)
    goto fail;
  c->npaths = c->paths ? p->npaths : 0;
  if (strv_dup_keep(p->csv.usecols, p->csv.nusecols, &c->csv.usecols) != 0)
    goto fail;
  c->csv.nusecols = c->csv.usecols ? p->csv.nusecols : 0;
  if (p->csv.dtypes != NULL && p->csv.ndtypes > 0) {
    int rc = dtypes_copy(p->csv.dtypes, p->csv.ndtypes, true, &c->csv.dtypes);
    if (c->csv.dtypes != NULL)
      c->csv.ndtypes = p->csv.ndtypes;
    if (rc != 0)
      goto fail;
  }
  if (fills_copy(c, p->fills, p->nfills) != 0)
    goto fail;
  if (strv_dup((const char *const *)p->mixed, p->mixed ? p->nmixed : 0,
               &c->mixed) != 0)
    goto fail;
  c->nmixed = c->mixed ? p->nmixed : 0;
  if (p->expr != NULL && (c->expr = expr_clone(p->expr)) == NULL)
    goto fail;
  if (dup_opt(p->expr_text, &c->expr_text) != 0)
    goto fail;
  if (strv_dup((const char *const *)p->columns, p->columns ? p->ncolumns : 0,
               &c->columns) != 0)
    goto fail;
  c->ncolumns = c->columns ? p->ncolumns : 0;
  if (aggs_copy(c, p->aggs, p->naggs) != 0)
    goto fail;
  if (dup_opt(p->dir, &c->dir) != 0)
    goto fail;
  c->nparts = p->nparts;
  c->divisions_only = p->divisions_only;
  if (p->ndivisions > 0) {
    if ((c->divisions = calloc(p->ndivisions, sizeof *c->divisions)) == NULL)
      goto fail;
    c->ndivisions = p->ndivisions;
    for (size_t i = 0; i < p->ndivisions; i++)
      if (value_copy(&p->divisions[i], &c->divisions[i]) != 0)
        goto fail;
  }
  if (p->ascending != NULL) {
    if ((c->ascending = malloc(p->nascending ? p->nascending : 1)) == NULL)
      goto fail;
    if (p->nascending > 0)
      memcpy(c->ascending, p->ascending, p->nascending);
    c->nascending = p->nascending;
  }
  if (p->qs != NULL && p->nqs > 0) {
    if ((c->qs = malloc(p->nqs * sizeof *c->qs)) == NULL)
      goto fail;
    memcpy(c->qs, p->qs, p->nqs * sizeof *c->qs);
    c->nqs = p->nqs;
  }
  c->median = p->median;
  c->keep_na = p->keep_na;
  c->group_keep_na = p->group_keep_na;
  c->flat = p->flat;
  c->frac = p->frac;
  c->seed = p->seed;
  c->normalize = p->normalize;
  c->describe_counts = p->describe_counts;
  c->masked = p->masked;
  c->frame_reduce = p->frame_reduce;
  c->split_out = p->split_out;
  c->quicksort = p->quicksort;
  c->drop = p->drop;
  c->how_all = p->how_all;
  if (p->renamed != NULL &&
      strv_dup((const char *const *)p->renamed, p->ncolumns, &c->renamed) != 0)
    goto fail;
  c->how = p->how;
  c->strategy = p->strategy;
  if (p->right_on != NULL &&
      strv_dup((const char *const *)p->right_on, p->ncolumns, &c->right_on) != 0)
    goto fail;
  if (dup_opt(p->suffixes[0], &c->suffixes[0]) != 0 ||
      dup_opt(p->suffixes[1], &c->suffixes[1]) != 0)
    goto fail;
  if (p->ninputs > 0) {
    c->inputs = calloc(p->ninputs, sizeof *c->inputs);
    if (c->inputs == NULL)
      goto fail;
    c->ninputs = p->ninputs;
    for (size_t i = 0; i < p->ninputs; i++)
      if (p->inputs[i] != NULL &&
          (c->inputs[i] = dusk_plan_clone(p->inputs[i])) == NULL)
        goto fail;
  }
  return c;
fail:
  dusk_plan_free(c);
  return NULL;
}

/* ---- encoding ------------------------------------------------------------ */

static int buf_write(void *data, const char *bytes, size_t len) {
  return dusk_buf_append(data, bytes, len) == 0 ? 0 : -1;
}

#define PK(expr)                                                               \
  do {                                                                         \
    if ((expr) != 0)                                                           \
      return DUSK_ENOMEM;                                                      \
  } while (0)

static int pk_cstr(msgpack_packer *pk, const char *s) {
  if (s == NULL)
    return msgpack_pack_nil(pk);
  return msgpack_pack_str_with_body(pk, s, strlen(s));
}

static int pk_strv(msgpack_packer *pk, char *const *v, size_t n) {
  if (v == NULL)
    n = 0;
  PK(msgpack_pack_array(pk, n));
  for (size_t i = 0; i < n; i++)
    PK(pk_cstr(pk, v[i]));
  return 0;
}

/* A quantile's or describe's qs as [q, ...]. */
static int pk_qs(msgpack_packer *pk, const dusk_plan *p) {
  PK(msgpack_pack_array(pk, p->qs ? p->nqs : 0));
  for (size_t i = 0; p->qs && i < p->nqs; i++)
    PK(msgpack_pack_double(pk, p->qs[i]));
  return 0;
}

static int pk_value(msgpack_packer *pk, const dusk_value *v) {
  switch (v->type) {
  case DUSK_TYPE_BOOL:
    return v->u.b ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
  case DUSK_TYPE_INT64:
  case DUSK_TYPE_DATETIME:
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE: return msgpack_pack_int64(pk, v->u.i);
  case DUSK_TYPE_FLOAT64: return msgpack_pack_double(pk, v->u.f);
  case DUSK_TYPE_STRING:
    return msgpack_pack_str_with_body(pk, v->u.s.ptr, v->u.s.len);
  case DUSK_TYPE_NULL: break;
  }
  return msgpack_pack_nil(pk);
}

static size_t expr_count(const dusk_expr *e) {
  if (e == NULL)
    return 0;
  return 1 + expr_count(e->a) + expr_count(e->b);
}

/* One node, then its operands (pre-order). */
static int enc_expr_nodes(msgpack_packer *pk, const dusk_expr *e) {
  if (e == NULL)
    return 0;
  switch (e->kind) {
  case DUSK_EXPR_COLUMN:
    PK(msgpack_pack_array(pk, 2));
    PK(msgpack_pack_int(pk, e->kind));
    PK(pk_cstr(pk, e->name));
    break;
  case DUSK_EXPR_LITERAL:
    PK(msgpack_pack_array(pk, 2));
    PK(msgpack_pack_int(pk, e->kind));
    PK(pk_value(pk, &e->value));
    break;
  case DUSK_EXPR_COMPARE:
  case DUSK_EXPR_ARITH:
  case DUSK_EXPR_FUNC:
    PK(msgpack_pack_array(pk, 2));
    PK(msgpack_pack_int(pk, e->kind));
    PK(msgpack_pack_int(pk, e->op));
    break;
  default:
    PK(msgpack_pack_array(pk, 1));
    PK(msgpack_pack_int(pk, e->kind));
    break;
  }
  PK(enc_expr_nodes(pk, e->a));
  return enc_expr_nodes(pk, e->b);
}

static int enc_expr(msgpack_packer *pk, const dusk_expr *e) {
  PK(msgpack_pack_array(pk, expr_count(e)));
  return enc_expr_nodes(pk, e);
}

static size_t plan_present_inputs(const dusk_plan *p) {
  size_t n = 0;
  for (size_t i = 0; i < p->ninputs; i++)
    n += p->inputs[i] != NULL;
  return n;
}

static size_t plan_count(const dusk_plan *p) {
  size_t n = 1;
  for (size_t i = 0; i < p->ninputs; i++)
    if (p->inputs[i] != NULL)
      n += plan_count(p->inputs[i]);
  return n;
}

/* How many of read_csv p's dtypes are the user's nullable ones. */
static size_t nmasked(const dusk_plan *p) {
  size_t n = 0;
  for (size_t d = 0; p->csv.dtypes != NULL && d < p->csv.ndtypes; d++)
    n += p->csv.dtypes[d].masked;
  return n;
}

/* Fields after [kind, ninputs], by kind (index 0 unused). */
static const unsigned plan_nfields[PLAN_NKINDS + 1] = {
    0, 5, 0, 1, 2, 1, 3, 2, 1, 0, 1, 1, 2, 1, 3, 3, 3, 1, 2, 2, 2, 2, 6, 0, 2,
};

/* A dtype's name on the wire (plan.h dusk_dtype): an int or bool column
 * that may hold nulls by pandas' nullable names, one that may not by
 * numpy's, which dusk_type_parse_na reads back. */
static const char *dtype_wire_name(const dusk_dtype *d) {
  if (d->type == DUSK_TYPE_INT64)
    return d->no_na ? "int64" : "Int64";
  if (d->type == DUSK_TYPE_BOOL)
    return d->no_na ? "bool" : "boolean";
  return dusk_type_name(d->type);
}

/* A map of column -> type name. */
static int enc_dtypes(msgpack_packer *pk, const dusk_dtype *d, size_t n) {
  PK(msgpack_pack_map(pk, n));
  for (size_t i = 0; i < n; i++) {
    PK(pk_cstr(pk, d[i].column));
    PK(pk_cstr(pk, dtype_wire_name(&d[i])));
  }
  return 0;
}

static int enc_plan_node(msgpack_packer *pk, const dusk_plan *p) {
  unsigned nf =
      (p->kind >= 1 && p->kind <= PLAN_NKINDS) ? plan_nfields[p->kind] : 0;
  if (p->kind == DUSK_PLAN_FILLNA && p->mixed != NULL && p->nmixed > 0)
    nf++; /* the optional list of mixed columns */
  if (p->kind == DUSK_PLAN_GROUPBY &&
      ((p->frame_reduce && p->ncolumns == 0) ||
       (p->split_out > 1 && p->ncolumns > 0)))
    nf++; /* the optional frame_reduce (true) or split_out (an int) */
  if (p->kind == DUSK_PLAN_VALUE_COUNTS && p->ncolumns > 1)
    nf += p->split_out > 1 ? 5 : 4; /* output, then a grouped one's keys,
                                       group_keep_na, flat (, split_out) */
  else if (p->kind == DUSK_PLAN_VALUE_COUNTS && p->ncolumns == 1 &&
           p->split_out > 1)
    nf += 2; /* output, then split_out (an int) */
  else if (p->kind == DUSK_PLAN_VALUE_COUNTS &&
           (p->normalize || p->describe_counts || p->masked))
    nf++; /* the optional output: 1 normalize, 2 describe, + 4 masked */
  if (p->kind == DUSK_PLAN_TO_CSV && p->columns != NULL && p->ncolumns > 0)
    nf++; /* the optional list of typed int columns */
  if (p->kind == DUSK_PLAN_MERGE && p->strategy != DUSK_MERGE_AUTO)
    nf++; /* the optional strategy */
  if (p->kind == DUSK_PLAN_READ_CSV &&
      (p->csv.anon || p->csv.persisted || nmasked(p) > 0))
    nf++; /* the optional storage options */
  if (p->kind == DUSK_PLAN_DESCRIBE && p->qs != NULL && p->nqs > 0)
    nf++; /* the optional percentiles */
  if (p->kind == DUSK_PLAN_SORT_VALUES &&
      (p->quicksort || p->dir != NULL || has_parts(p)))
    nf++; /* the optional kind: true for quicksort */
  if (p->kind == DUSK_PLAN_SORT_VALUES && (p->dir != NULL || has_parts(p)))
    nf++; /* the optional to_csv directory */
  if (p->kind == DUSK_PLAN_SORT_VALUES && has_parts(p))
    nf++; /* the optional range partitions */
  if (p->kind == DUSK_PLAN_CONCAT && p->columns != NULL && p->ncolumns > 0)
    nf++; /* the optional [columns, absent columns' types] */
  PK(msgpack_pack_array(pk, 2 + nf));
  PK(msgpack_pack_int(pk, p->kind));
  PK(msgpack_pack_uint64(pk, plan_present_inputs(p)));
  switch (p->kind) {
  case DUSK_PLAN_READ_CSV: {
    char sep = p->csv.sep != '\0' ? p->csv.sep : ',';
    size_t nd = p->csv.dtypes ? p->csv.ndtypes : 0;
    PK(pk_strv(pk, p->paths, p->npaths));
    PK(msgpack_pack_str_with_body(pk, &sep, 1));
    PK(msgpack_pack_int64(pk, p->csv.blocksize));
    if (p->csv.usecols == NULL)
      PK(msgpack_pack_nil(pk));
    else
      PK(pk_strv(pk, p->csv.usecols, p->csv.nusecols));
    PK(enc_dtypes(pk, p->csv.dtypes, nd));
    if (p->csv.anon || p->csv.persisted || nmasked(p) > 0) {
      PK(msgpack_pack_map(pk, (p->csv.anon ? 1 : 0) +
                                  (p->csv.persisted ? 1 : 0) +
                                  (nmasked(p) > 0 ? 1 : 0)));
      if (nmasked(p) > 0) {
        PK(pk_cstr(pk, "masked"));
        PK(msgpack_pack_array(pk, nmasked(p)));
        for (size_t d = 0; d < nd; d++)
          if (p->csv.dtypes[d].masked)
            PK(pk_cstr(pk, p->csv.dtypes[d].column));
      }
      if (p->csv.anon) {
        PK(pk_cstr(pk, "anon"));
        PK(msgpack_pack_true(pk));
      }
      if (p->csv.persisted) {
        PK(pk_cstr(pk, "persisted"));
        PK(msgpack_pack_array(pk, 2));
        PK(pk_cstr(pk, p->csv.persisted));
        PK(msgpack_pack_uint32(pk, p->csv.persisted_leaf));
      }
    }
    break;
  }
  case DUSK_PLAN_CONCAT:
    if (p->columns != NULL && p->ncolumns > 0) {
      PK(msgpack_pack_array(pk, 2));
      PK(pk_strv(pk, p->columns, p->ncolumns));
      PK(enc_dtypes(pk, p->csv.dtypes, p->csv.dtypes ? p->csv.ndtypes : 0));
    }
    break;
  case DUSK_PLAN_FILLNA: {
    size_t n = p->fills ? p->nfills : 0;
    PK(msgpack_pack_array(pk, n));
    for (size_t i = 0; i < n; i++) {
      PK(msgpack_pack_array(pk, 2));
      PK(pk_cstr(pk, p->fills[i].column));
      PK(pk_value(pk, &p->fills[i].value));
    }
    if (p->mixed != NULL && p->nmixed > 0)
      PK(pk_strv(pk, p->mixed, p->nmixed));
    break;
  }
  case DUSK_PLAN_QUERY:
    PK(enc_expr(pk, p->expr));
    PK(pk_cstr(pk, p->expr_text));
    break;
  case DUSK_PLAN_ASSIGN:
    PK(pk_cstr(pk, p->columns && p->ncolumns > 0 ? p->columns[0] : NULL));
    PK(enc_expr(pk, p->expr));
    PK(pk_cstr(pk, p->expr_text));
    break;
  case DUSK_PLAN_SELECT: PK(pk_strv(pk, p->columns, p->ncolumns)); break;
  case DUSK_PLAN_GROUPBY: {
    size_t n = p->aggs ? p->naggs : 0;
    PK(pk_strv(pk, p->columns, p->ncolumns));
    PK(msgpack_pack_array(pk, n));
    /* [column, fn], [column, "quantile", q] or, labelled,
     * [column, fn, q, label] */
    for (size_t i = 0; i < n; i++) {
      bool q = p->aggs[i].fn == DUSK_AGG_QUANTILE;
      bool label = p->aggs[i].label != NULL;
      PK(msgpack_pack_array(pk, label ? 4 : q ? 3 : 2));
      PK(pk_cstr(pk, p->aggs[i].column));
      PK(pk_cstr(pk, dusk_agg_name(p->aggs[i].fn)));
      if (q || label)
        PK(msgpack_pack_double(pk, p->aggs[i].q));
      if (label)
        PK(pk_cstr(pk, p->aggs[i].label));
    }
    PK(p->keep_na ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    if (p->frame_reduce && p->ncolumns == 0)
      PK(msgpack_pack_true(pk));
    else if (p->split_out > 1 && p->ncolumns > 0)
      PK(msgpack_pack_uint32(pk, p->split_out));
    break;
  }
  case DUSK_PLAN_VALUE_COUNTS:
    PK(pk_cstr(pk, p->columns && p->ncolumns > 0 ? p->columns[0] : NULL));
    PK(p->keep_na ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    if (p->normalize || p->describe_counts || p->masked || p->ncolumns > 1 ||
        (p->ncolumns == 1 && p->split_out > 1))
      PK(msgpack_pack_uint8(pk, (p->describe_counts ? 2
                                 : p->normalize     ? 1
                                                    : 0) |
                                    (p->masked && p->ncolumns == 1 ? 4 : 0)));
    if (p->ncolumns == 1 && p->split_out > 1)
      PK(msgpack_pack_uint32(pk, p->split_out));
    if (p->ncolumns > 1) {
      PK(pk_strv(pk, p->columns + 1, p->ncolumns - 1));
      PK(p->group_keep_na ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
      PK(p->flat ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
      if (p->split_out > 1)
        PK(msgpack_pack_uint32(pk, p->split_out));
    }
    break;
  case DUSK_PLAN_RESET_INDEX:
    PK(pk_cstr(pk, p->columns && p->ncolumns > 0 ? p->columns[0] : NULL));
    PK(p->drop ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    break;
  case DUSK_PLAN_RENAME:
    PK(pk_strv(pk, p->columns, p->ncolumns));
    PK(pk_strv(pk, p->renamed, p->renamed ? p->ncolumns : 0));
    break;
  case DUSK_PLAN_SET_INDEX:
    PK(pk_strv(pk, p->columns, p->ncolumns));
    PK(p->drop ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    break;
  case DUSK_PLAN_DROPNA:
    PK(pk_strv(pk, p->columns, p->ncolumns));
    PK(p->how_all ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    break;
  case DUSK_PLAN_MERGE:
    /* [left_on, right_on, how, [suffix_x, suffix_y], {right column: type},
     *  [its name after the merge ("" dropped)]] */
    PK(pk_strv(pk, p->columns, p->ncolumns));
    PK(pk_strv(pk, p->right_on, p->right_on ? p->ncolumns : 0));
    PK(msgpack_pack_int(pk, p->how));
    PK(msgpack_pack_array(pk, 2));
    PK(pk_cstr(pk, p->suffixes[0]));
    PK(pk_cstr(pk, p->suffixes[1]));
    PK(enc_dtypes(pk, p->csv.dtypes, p->csv.dtypes ? p->csv.ndtypes : 0));
    PK(pk_strv(pk, p->csv.usecols, p->csv.usecols ? p->csv.nusecols : 0));
    if (p->strategy != DUSK_MERGE_AUTO)
      PK(msgpack_pack_int(pk, p->strategy));
    break;
  case DUSK_PLAN_DESCRIBE:
    PK(pk_strv(pk, p->columns, p->ncolumns));
    if (p->qs != NULL && p->nqs > 0)
      PK(pk_qs(pk, p));
    break;
  case DUSK_PLAN_DROP_DUPLICATES:
    PK(pk_strv(pk, p->columns, p->ncolumns));
    break;
  case DUSK_PLAN_SAMPLE:
    PK(msgpack_pack_double(pk, p->frac));
    PK(msgpack_pack_uint64(pk, p->seed));
    break;
  case DUSK_PLAN_QUANTILE:
    PK(pk_strv(pk, p->columns, p->ncolumns));
    PK(pk_qs(pk, p));
    PK(p->median ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    break;
  case DUSK_PLAN_HEAD:
  case DUSK_PLAN_TAIL: PK(msgpack_pack_int64(pk, p->n)); break;
  case DUSK_PLAN_TO_CSV:
    PK(pk_cstr(pk, p->dir));
    if (p->columns != NULL && p->ncolumns > 0)
      PK(pk_strv(pk, p->columns, p->ncolumns));
    break;
  case DUSK_PLAN_SORT_VALUES:
  case DUSK_PLAN_TOPK:
    PK(pk_strv(pk, p->columns, p->ncolumns));
    PK(msgpack_pack_array(pk, p->ascending ? p->nascending : 0));
    for (size_t i = 0; p->ascending && i < p->nascending; i++)
      PK(p->ascending[i] ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    if (p->kind == DUSK_PLAN_TOPK) {
      PK(msgpack_pack_int64(pk, p->n));
    } else if (p->quicksort || p->dir != NULL || has_parts(p)) {
      PK(p->quicksort ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
      if (p->dir != NULL || has_parts(p))
        PK(pk_cstr(pk, p->dir));
      if (has_parts(p)) {
        PK(msgpack_pack_array(pk, 3));
        PK(msgpack_pack_uint32(pk, p->nparts));
        if (p->ndivisions > 0) {
          PK(msgpack_pack_array(pk, (uint32_t)p->ndivisions));
          for (size_t i = 0; i < p->ndivisions; i++)
            PK(pk_value(pk, &p->divisions[i]));
        } else {
          PK(msgpack_pack_nil(pk));
        }
        PK(p->divisions_only ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
      }
    }
    break;
  default: break;
  }
  for (size_t i = 0; i < p->ninputs; i++)
    if (p->inputs[i] != NULL)
      PK(enc_plan_node(pk, p->inputs[i]));
  return 0;
}

int dusk_plan_encode(const dusk_plan *p, dusk_buf *out) {
  msgpack_packer pk;
  size_t start = out->len;
  int rc;
  msgpack_packer_init(&pk, out, buf_write);
  if (p == NULL)
    rc = msgpack_pack_array(&pk, 0) == 0 ? 0 : DUSK_ENOMEM;
  else if (msgpack_pack_array(&pk, plan_count(p)) != 0)
    rc = DUSK_ENOMEM;
  else
    rc = enc_plan_node(&pk, p);
  if (rc != 0)
    out->len = start;
  return rc;
}

int dusk_expr_encode(const dusk_expr *e, dusk_buf *out) {
  msgpack_packer pk;
  size_t start = out->len;
  int rc;
  msgpack_packer_init(&pk, out, buf_write);
  rc = enc_expr(&pk, e);
  if (rc != 0)
    out->len = start;
  return rc;
}

/* ---- decoding ------------------------------------------------------------ */

static const char *obj_type_name(msgpack_object_type t) {
  switch (t) {
  case MSGPACK_OBJECT_NIL: return "nil";
  case MSGPACK_OBJECT_BOOLEAN: return "bool";
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
  case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "int";
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64: return "float";
  case MSGPACK_OBJECT_STR: return "str";
  case MSGPACK_OBJECT_ARRAY: return "array";
  case MSGPACK_OBJECT_MAP: return "map";
  case MSGPACK_OBJECT_BIN: return "bin";
  case MSGPACK_OBJECT_EXT: return "ext";
  }
  return "?";
}

/* Field readers: `where` names the node ("plan read_csv", "plan query:
 * expr node 3"), `field` the field within it ("path 2"). */
static int bad_type(dusk_error *err, const char *where, const char *field,
                    const char *want, const msgpack_object *o) {
  return dusk_error_set(err, DUSK_ETYPE, "%s: %s: expected %s, got %s", where,
                        field, want, obj_type_name(o->type));
}

static int get_array(const msgpack_object *o, const char *where,
                     const char *field, dusk_error *err,
                     const msgpack_object **items, uint32_t *n) {
  if (o->type != MSGPACK_OBJECT_ARRAY)
    return bad_type(err, where, field, "array", o);
  *items = o->via.array.ptr;
  *n = o->via.array.size;
  return 0;
}

/* The non-negative int o: 0 and *v, or an error. */
static int get_uint(const msgpack_object *o, const char *where,
                    const char *field, dusk_error *err, uint64_t *v) {
  if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return bad_type(err, where, field, "unsigned int", o);
  *v = o->via.u64;
  return 0;
}

static int get_i64(const msgpack_object *o, const char *where,
                   const char *field, dusk_error *err, int64_t *v) {
  if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
    *v = o->via.i64;
    return 0;
  }
  if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
    if (o->via.u64 > (uint64_t)INT64_MAX)
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: %s: %" PRIu64 " is out of int64 range", where,
                            field, o->via.u64);
    *v = (int64_t)o->via.u64;
    return 0;
  }
  return bad_type(err, where, field, "int", o);
}

/* A str of at most max bytes, as a borrowed slice. */
static int get_slice(const msgpack_object *o, const char *where,
                     const char *field, size_t max, dusk_error *err,
                     dusk_slice *s) {
  if (o->type != MSGPACK_OBJECT_STR)
    return bad_type(err, where, field, "str", o);
  if (o->via.str.size > max)
    return dusk_error_set(err, DUSK_ETOOBIG,
                          "%s: %s: %" PRIu32 " bytes, more than %zu", where,
                          field, o->via.str.size, max);
  s->ptr = o->via.str.ptr;
  s->len = o->via.str.size;
  return 0;
}

/* A name, path or text: a str of at most max bytes without a NUL byte,
 * copied to the heap (nil gives NULL where nullable). */
static int get_name(const msgpack_object *o, const char *where,
                    const char *field, size_t max, bool nullable,
                    dusk_error *err, char **out) {
  dusk_slice s = {NULL, 0};
  int rc;
  *out = NULL;
  if (nullable && o->type == MSGPACK_OBJECT_NIL)
    return 0;
  if ((rc = get_slice(o, where, field, max, err, &s)) != 0)
    return rc;
  if (s.len > 0 && memchr(s.ptr, '\0', s.len) != NULL)
    return dusk_error_set(err, DUSK_EINVAL, "%s: %s: contains a NUL byte",
                          where, field);
  *out = memdup0(s.ptr, s.len);
  if (*out == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
  return 0;
}

static int get_value(const msgpack_object *o, const char *where,
                     const char *field, dusk_error *err, dusk_value *v) {
  memset(v, 0, sizeof *v);
  switch (o->type) {
  case MSGPACK_OBJECT_NIL: v->type = DUSK_TYPE_NULL; return 0;
  case MSGPACK_OBJECT_BOOLEAN:
    v->type = DUSK_TYPE_BOOL;
    v->u.b = o->via.boolean;
    return 0;
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
  case MSGPACK_OBJECT_NEGATIVE_INTEGER: {
    int64_t i = 0;
    int rc = get_i64(o, where, field, err, &i);
    if (rc == 0) {
      v->type = DUSK_TYPE_INT64;
      v->u.i = i;
    }
    return rc;
  }
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    v->type = DUSK_TYPE_FLOAT64;
    v->u.f = o->via.f64;
    return 0;
  case MSGPACK_OBJECT_STR: {
    dusk_slice s = {NULL, 0};
    char *copy;
    int rc = get_slice(o, where, field, PLAN_MAX_NAME, err, &s);
    if (rc != 0)
      return rc;
    if ((copy = memdup0(s.ptr, s.len)) == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
    v->type = DUSK_TYPE_STRING;
    v->u.s.ptr = copy;
    v->u.s.len = s.len;
    return 0;
  }
  default:
    return bad_type(err, where, field, "nil, bool, int, float or str", o);
  }
}

/* Copies a str array of names into *v / *n (an error leaves what was
 * copied there for the caller's free).  min: the fewest entries. */
static int get_names(const msgpack_object *o, const char *where,
                     const char *field, uint32_t min, dusk_error *err,
                     char ***v, size_t *n) {
  const msgpack_object *items = NULL;
  uint32_t count = 0;
  int rc;
  char label[64];
  if ((rc = get_array(o, where, field, err, &items, &count)) != 0)
    return rc;
  if (count < min)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: %s: at least %" PRIu32 " needed, got %" PRIu32,
                          where, field, min, count);
  if (count == 0)
    return 0;
  /* count is bounded by the bytes present (dusk_msgcheck). */
  if ((*v = calloc(count, sizeof **v)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
  *n = count;
  for (uint32_t i = 0; i < count; i++) {
    snprintf(label, sizeof label, "%s %" PRIu32, field, i + 1);
    if ((rc = get_name(&items[i], where, label, PLAN_MAX_NAME, false, err,
                       &(*v)[i])) != 0)
      return rc;
  }
  return 0;
}

/* ---- expression decoding ---- */

typedef struct edec {
  const msgpack_object *nodes;
  uint32_t n, i;
  const char *where; /* "expr" or "plan query: expr" */
  dusk_error *err;
} edec;

static int dec_expr(edec *d, unsigned depth, dusk_expr **out) {
  const msgpack_object *o, *f;
  uint64_t kind = 0, op = 0;
  uint32_t idx, want;
  char where[96];
  dusk_expr *e = NULL;
  int rc;

  *out = NULL;
  if (depth > EXPR_MAX_DEPTH)
    return dusk_error_set(d->err, DUSK_EDEPTH,
                          "%s: nested deeper than %d nodes (at node %" PRIu32
                          ")",
                          d->where, EXPR_MAX_DEPTH, d->i + 1);
  if (d->i >= d->n)
    return dusk_error_set(d->err, DUSK_EPROTO,
                          "%s: an operand is missing after node %" PRIu32,
                          d->where, d->n);
  idx = d->i++;
  o = &d->nodes[idx];
  snprintf(where, sizeof where, "%s node %" PRIu32, d->where, idx + 1);
  if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0)
    return dusk_error_set(d->err, DUSK_ETYPE,
                          "%s: expected an array [kind, ...], got %s%s", where,
                          o->type == MSGPACK_OBJECT_ARRAY ? "an empty " : "",
                          obj_type_name(o->type));
  f = o->via.array.ptr;
  if ((rc = get_uint(&f[0], where, "kind", d->err, &kind)) != 0)
    return rc;
  if (kind < 1 || kind > EXPR_NKINDS)
    return dusk_error_set(d->err, DUSK_EPROTO, "%s: unknown kind %" PRIu64,
                          where, kind);
  want = (expr_is_binary((int)kind) && !expr_has_op((int)kind)) ||
                 (expr_is_unary((int)kind) && !expr_has_op((int)kind))
             ? 1
             : 2;
  if (o->via.array.size != want)
    return dusk_error_set(d->err, DUSK_ETYPE,
                          "%s: expected %" PRIu32 " fields, got %" PRIu32,
                          where, want, o->via.array.size);
  if (expr_has_op((int)kind)) {
    int nops = kind == DUSK_EXPR_COMPARE ? DUSK_CMP_GE
               : kind == DUSK_EXPR_FUNC  ? DUSK_FN_NFUNCS
                                         : DUSK_ARITH_NOPS;
    if ((rc = get_uint(&f[1], where, "op", d->err, &op)) != 0)
      return rc;
    if (op < 1 || op > (uint64_t)nops)
      return dusk_error_set(
          d->err, DUSK_EINVAL, "%s: unknown %s %" PRIu64, where,
          kind == DUSK_EXPR_COMPARE ? "comparison operator"
          : kind == DUSK_EXPR_FUNC  ? "function"
                                    : "arithmetic operator",
          op);
  }
  if ((e = calloc(1, sizeof *e)) == NULL)
    return dusk_error_set(d->err, DUSK_ENOMEM, "%s: out of memory", where);
  e->kind = (dusk_expr_kind)kind;
  e->op = (int)op;
  if (kind == DUSK_EXPR_COLUMN) {
    rc = get_name(&f[1], where, "column", PLAN_MAX_NAME, false, d->err,
                  &e->name);
  } else if (kind == DUSK_EXPR_LITERAL) {
    rc = get_value(&f[1], where, "value", d->err, &e->value);
  } else {
    rc = dec_expr(d, depth + 1, &e->a);
    if (rc == 0 && node_is_binary((int)kind, (int)op))
      rc = dec_expr(d, depth + 1, &e->b);
  }
  if (rc != 0) {
    dusk_expr_free(e);
    return rc;
  }
  *out = e;
  return 0;
}

/* Decodes the expression array o; where names it in errors. */
static int dec_expr_array(const msgpack_object *o, const char *where,
                          dusk_error *err, dusk_expr **out) {
  edec d;
  int rc;
  *out = NULL;
  if (o->type != MSGPACK_OBJECT_ARRAY)
    return dusk_error_set(err, DUSK_ETYPE,
                          "%s: expected an array of nodes, got %s", where,
                          obj_type_name(o->type));
  if (o->via.array.size == 0)
    return dusk_error_set(err, DUSK_EINVAL, "%s: empty expression", where);
  d.nodes = o->via.array.ptr;
  d.n = o->via.array.size;
  d.i = 0;
  d.where = where;
  d.err = err;
  if ((rc = dec_expr(&d, 1, out)) != 0)
    return rc;
  if (d.i != d.n) {
    dusk_expr_free(*out);
    *out = NULL;
    return dusk_error_set(err, DUSK_ETRAILING,
                          "%s: %" PRIu32 " nodes after the complete expression",
                          where, d.n - d.i);
  }
  return 0;
}

/* ---- plan decoding ---- */

typedef struct pdec {
  const msgpack_object *nodes;
  uint32_t n, i;
  dusk_error *err;
} pdec;

static bool key_is(const msgpack_object *k, const char *name) {
  return k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(name) &&
         memcmp(k->via.str.ptr, name, k->via.str.size) == 0;
}

/* read_csv's "masked" option: the dtypes (decoded already: they come
 * first) that are the user's nullable ones, each an int or bool one that
 * may hold nulls, named once. */
static int dec_masked(dusk_plan *p, const msgpack_object *o,
                      const char *where, dusk_error *err) {
  if (o->type != MSGPACK_OBJECT_ARRAY)
    return bad_type(err, where, "masked", "array", o);
  for (uint32_t i = 0; i < o->via.array.size; i++) {
    const msgpack_object *c = &o->via.array.ptr[i];
    dusk_dtype *d = NULL;
    if (c->type != MSGPACK_OBJECT_STR)
      return bad_type(err, where, "masked column", "str", c);
    for (size_t k = 0; d == NULL && k < p->csv.ndtypes; k++)
      if (strlen(p->csv.dtypes[k].column) == c->via.str.size &&
          memcmp(p->csv.dtypes[k].column, c->via.str.ptr, c->via.str.size) ==
              0)
        d = &p->csv.dtypes[k];
    if (d == NULL || d->masked || d->no_na ||
        (d->type != DUSK_TYPE_INT64 && d->type != DUSK_TYPE_BOOL))
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: masked column '%.*s' is not a nullable int "
                            "or bool dtype, or is listed twice",
                            where, (int)(c->via.str.size < 200
                                             ? c->via.str.size
                                             : 200),
                            c->via.str.ptr);
    d->masked = true;
  }
  return 0;
}

/* read_csv's optional storage options: {"anon": bool, "persisted":
 * [query key, read ordinal], "masked": [column, ...]}. */
static int dec_storage(dusk_plan *p, const msgpack_object *o,
                       const char *where, dusk_error *err) {
  if (o->type != MSGPACK_OBJECT_MAP)
    return bad_type(err, where, "storage options", "map", o);
  for (uint32_t i = 0; i < o->via.map.size; i++) {
    const msgpack_object_kv *kv = &o->via.map.ptr[i];
    if (key_is(&kv->key, "persisted")) {
      const msgpack_object *a = kv->val.via.array.ptr;
      uint64_t leaf = 0;
      int rc;
      if (kv->val.type != MSGPACK_OBJECT_ARRAY || kv->val.via.array.size != 2)
        return bad_type(err, where, "persisted", "[key, ordinal]", &kv->val);
      if (p->csv.persisted != NULL)
        return dusk_error_set(err, DUSK_EINVAL, "%s: persisted twice", where);
      if ((rc = get_name(&a[0], where, "persisted key", 256, false, err,
                         &p->csv.persisted)) != 0)
        return rc;
      if ((rc = get_uint(&a[1], where, "persisted ordinal", err, &leaf)) != 0)
        return rc;
      if (leaf > UINT32_MAX)
        return dusk_error_set(err, DUSK_EINVAL,
                              "%s: persisted ordinal %" PRIu64 " too large",
                              where, leaf);
      p->csv.persisted_leaf = (uint32_t)leaf;
      continue;
    }
    if (key_is(&kv->key, "masked")) {
      int rc = dec_masked(p, &kv->val, where, err);
      if (rc != 0)
        return rc;
      continue;
    }
    if (!key_is(&kv->key, "anon"))
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: unknown storage option (only anon, "
                            "persisted and masked)", where);
    if (kv->val.type != MSGPACK_OBJECT_BOOLEAN)
      return bad_type(err, where, "anon", "bool", &kv->val);
    p->csv.anon = kv->val.via.boolean;
  }
  return 0;
}

/* A map of column -> type name into *out (none: NULL, 0). */
static int dec_dtypes(const msgpack_object *o, const char *where,
                      dusk_error *err, dusk_dtype **out, size_t *nout) {
  int rc;
  if (o->type != MSGPACK_OBJECT_MAP)
    return bad_type(err, where, "dtype", "map", o);
  if (o->via.map.size == 0)
    return 0;
  *out = calloc(o->via.map.size, sizeof **out);
  if (*out == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
  *nout = o->via.map.size;
  for (uint32_t i = 0; i < o->via.map.size; i++) {
    const msgpack_object_kv *kv = &o->via.map.ptr[i];
    dusk_dtype *dt = &(*out)[i];
    char label[SAMPLE_MAX + 32], sample[SAMPLE_MAX];
    dusk_slice tn = {NULL, 0};
    snprintf(label, sizeof label, "dtype %" PRIu32 " column", i + 1);
    if ((rc = get_name(&kv->key, where, label, PLAN_MAX_NAME, false, err,
                       &dt->column)) != 0)
      return rc;
    dusk_sanitize(sample, sizeof sample, dt->column, strlen(dt->column));
    snprintf(label, sizeof label, "dtype of '%s'", sample);
    if ((rc = get_slice(&kv->val, where, label, PLAN_MAX_NAME, err, &tn)) != 0)
      return rc;
    dt->type = dusk_type_parse_na(tn.ptr, tn.len, &dt->no_na);
    if (dt->type == DUSK_TYPE_NULL) {
      char tsample[SAMPLE_MAX];
      dusk_sanitize(tsample, sizeof tsample, tn.ptr, tn.len);
      return dusk_error_set(err, DUSK_EINVAL, "%s: %s: unknown type '%s'",
                            where, label, tsample);
    }
  }
  return 0;
}

static int dec_read_csv(dusk_plan *p, const msgpack_object *f,
                        uint32_t nfields, const char *where, dusk_error *err) {
  dusk_slice sep = {NULL, 0};
  int rc;
  if ((rc = get_names(&f[0], where, "path", 1, err, &p->paths, &p->npaths)) !=
      0)
    return rc;
  for (size_t i = 0; i < p->npaths; i++)
    if (p->paths[i][0] == '\0')
      return dusk_error_set(err, DUSK_EINVAL, "%s: path %zu is empty", where,
                            i + 1);
  if ((rc = get_slice(&f[1], where, "sep", PLAN_MAX_NAME, err, &sep)) != 0)
    return rc;
  if (sep.len != 1)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: sep must be a single byte, got %zu bytes", where,
                          sep.len);
  if (sep.ptr[0] == '\0' || sep.ptr[0] == '"' || sep.ptr[0] == '\n' ||
      sep.ptr[0] == '\r')
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: sep 0x%02x cannot separate fields", where,
                          (unsigned char)sep.ptr[0]);
  p->csv.sep = sep.ptr[0];
  if ((rc = get_i64(&f[2], where, "blocksize", err, &p->csv.blocksize)) != 0)
    return rc;
  if (p->csv.blocksize < 0)
    return dusk_error_set(err, DUSK_EINVAL, "%s: negative blocksize %" PRId64,
                          where, p->csv.blocksize);
  if (f[3].type != MSGPACK_OBJECT_NIL) {
    if ((rc = get_names(&f[3], where, "usecols", 0, err, &p->csv.usecols,
                        &p->csv.nusecols)) != 0)
      return rc;
    if (p->csv.usecols == NULL && /* [] reads no column at all */
        (p->csv.usecols = calloc(1, sizeof *p->csv.usecols)) == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
  }
  if ((rc = dec_dtypes(&f[4], where, err, &p->csv.dtypes, &p->csv.ndtypes)) !=
      0)
    return rc;
  /* after the dtypes, which its "masked" option names */
  return nfields > 5 ? dec_storage(p, &f[5], where, err) : 0;
}

static int dec_fillna(dusk_plan *p, const msgpack_object *f, const char *where,
                      dusk_error *err) {
  const msgpack_object *items = NULL;
  uint32_t n = 0;
  int rc;
  if ((rc = get_array(&f[0], where, "fills", err, &items, &n)) != 0)
    return rc;
  if (n == 0)
    return dusk_error_set(err, DUSK_EINVAL, "%s: no fill values", where);
  if ((p->fills = calloc(n, sizeof *p->fills)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
  p->nfills = n;
  for (uint32_t i = 0; i < n; i++) {
    char label[64];
    const msgpack_object *pair = NULL;
    uint32_t np = 0;
    snprintf(label, sizeof label, "fill %" PRIu32, i + 1);
    if ((rc = get_array(&items[i], where, label, err, &pair, &np)) != 0)
      return rc;
    if (np != 2)
      return dusk_error_set(err, DUSK_ETYPE,
                            "%s: %s: expected [column, value], got %" PRIu32
                            " items",
                            where, label, np);
    if ((rc = get_name(&pair[0], where, label, PLAN_MAX_NAME, true, err,
                       &p->fills[i].column)) != 0)
      return rc;
    if ((rc = get_value(&pair[1], where, label, err, &p->fills[i].value)) != 0)
      return rc;
    if (p->fills[i].value.type == DUSK_TYPE_NULL)
      return dusk_error_set(err, DUSK_EINVAL, "%s: %s: the value is null",
                            where, label);
    if (p->fills[i].column == NULL && n > 1)
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: %s: a fill for every column must be the "
                            "only one",
                            where, label);
  }
  return 0;
}

int dusk_aggs_check_labels(const dusk_agg *aggs, size_t n, const char *where,
                           dusk_error *err) {
  size_t markers = 0;
  for (size_t i = 0; i < n; i++) {
    const char *l = aggs[i].label, *sep;
    if (l == NULL)
      continue;
    if (l[0] == '\0')
      return dusk_error_set(err, DUSK_EINVAL, "%s: label %zu is empty", where,
                            i + 1);
    if (strcmp(l, DUSK_LEVEL_SEP_STR) == 0) {
      if (aggs[i].column != NULL)
        return dusk_error_set(err, DUSK_EINVAL,
                              "%s: label %zu: the column-by-column marker "
                              "applies to an every-column aggregate only",
                              where, i + 1);
      markers++;
      continue;
    }
    sep = strchr(l, DUSK_LEVEL_SEP);
    if (sep != NULL && strchr(sep + 1, DUSK_LEVEL_SEP) != NULL)
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: label %zu has more than two levels", where,
                            i + 1);
  }
  if (markers != 0 && markers != n)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: the column-by-column marker is on %zu of %zu "
                          "aggregates (all or none)",
                          where, markers, n);
  return 0;
}

static int dec_groupby(dusk_plan *p, const msgpack_object *f,
                       uint32_t nfields, const char *where, dusk_error *err) {
  const msgpack_object *items = NULL;
  uint32_t n = 0;
  int rc;
  /* No keys: a whole-frame reduction (df.sum()), one group. */
  if ((rc = get_names(&f[0], where, "key", 0, err, &p->columns,
                      &p->ncolumns)) != 0)
    return rc;
  if ((rc = get_array(&f[1], where, "aggs", err, &items, &n)) != 0)
    return rc;
  if (n == 0)
    return dusk_error_set(err, DUSK_EINVAL, "%s: no aggregations", where);
  if ((p->aggs = calloc(n, sizeof *p->aggs)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
  p->naggs = n;
  for (uint32_t i = 0; i < n; i++) {
    char label[64], sample[SAMPLE_MAX];
    const msgpack_object *pair = NULL;
    uint32_t np = 0;
    dusk_slice fn = {NULL, 0};
    snprintf(label, sizeof label, "agg %" PRIu32, i + 1);
    if ((rc = get_array(&items[i], where, label, err, &pair, &np)) != 0)
      return rc;
    if (np != 2 && np != 3 && np != 4)
      return dusk_error_set(err, DUSK_ETYPE,
                            "%s: %s: expected [column, function], "
                            "[column, \"quantile\", q] or [column, "
                            "function, q, label], got %" PRIu32 " items",
                            where, label, np);
    if ((rc = get_name(&pair[0], where, label, PLAN_MAX_NAME, true, err,
                       &p->aggs[i].column)) != 0)
      return rc;
    if ((rc = get_slice(&pair[1], where, label, PLAN_MAX_NAME, err, &fn)) != 0)
      return rc;
    p->aggs[i].fn = dusk_agg_parse(fn.ptr, fn.len);
    if (p->aggs[i].fn == 0) {
      dusk_sanitize(sample, sizeof sample, fn.ptr, fn.len);
      return dusk_error_set(err, DUSK_EINVAL, "%s: %s: unknown function '%s'",
                            where, label, sample);
    }
    if (np < 4 && (np == 3) != (p->aggs[i].fn == DUSK_AGG_QUANTILE))
      return dusk_error_set(err, DUSK_ETYPE,
                            "%s: %s: quantile takes [column, \"quantile\", q], "
                            "the others [column, function]",
                            where, label);
    if (np == 4) {
      if ((rc = get_name(&pair[3], where, label, PLAN_MAX_NAME, false, err,
                         &p->aggs[i].label)) != 0)
        return rc;
      if (p->aggs[i].label[0] == '\0')
        return dusk_error_set(err, DUSK_EINVAL, "%s: %s: empty label", where,
                              label);
    }
    if (np >= 3) {
      double q = pair[2].type == MSGPACK_OBJECT_FLOAT64 ||
                         pair[2].type == MSGPACK_OBJECT_FLOAT32
                     ? pair[2].via.f64
                     : -1.0;
      if (!(q >= 0.0 && q <= 1.0))
        return dusk_error_set(err, DUSK_EINVAL,
                              "%s: %s: q must be a float between 0 and 1",
                              where, label);
      p->aggs[i].q = q;
    }
  }
  if ((rc = dusk_aggs_check_labels(p->aggs, p->naggs, where, err)) != 0)
    return rc;
  if (f[2].type != MSGPACK_OBJECT_BOOLEAN)
    return bad_type(err, where, "keep_na", "a bool", &f[2]);
  p->keep_na = f[2].via.boolean;
  if (nfields > 3 && f[3].type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
    /* split_out: an int from 2, on a groupby with keys */
    if (p->ncolumns == 0 || f[3].via.u64 < 2 ||
        f[3].via.u64 > DUSK_PLAN_MAX_SPLIT_OUT)
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: split_out %" PRIu64 " (2..%d, with keys)",
                            where, f[3].via.u64, DUSK_PLAN_MAX_SPLIT_OUT);
    p->split_out = (uint32_t)f[3].via.u64;
  } else if (nfields > 3) { /* frame_reduce: only when true, keyless */
    if (f[3].type != MSGPACK_OBJECT_BOOLEAN || !f[3].via.boolean ||
        p->ncolumns > 0)
      return bad_type(err, where, "frame_reduce",
                      "true, on a groupby without keys", &f[3]);
    p->frame_reduce = true;
  }
  return 0;
}

static int dec_sort_values(dusk_plan *p, const msgpack_object *f,
                           const char *where, dusk_error *err) {
  const msgpack_object *items = NULL;
  uint32_t n = 0;
  int rc;
  if ((rc = get_names(&f[0], where, "by", 0, err, &p->columns,
                      &p->ncolumns)) != 0)
    return rc;
  if ((rc = get_array(&f[1], where, "ascending", err, &items, &n)) != 0)
    return rc;
  if (n != (p->ncolumns ? p->ncolumns : 1))
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: %" PRIu32 " ascending flags for %zu columns",
                          where, n, p->ncolumns);
  if ((p->ascending = calloc(n, 1)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
  p->nascending = n;
  for (uint32_t i = 0; i < n; i++) {
    if (items[i].type != MSGPACK_OBJECT_BOOLEAN)
      return dusk_error_set(err, DUSK_ETYPE,
                            "%s: ascending %" PRIu32 " is %s, not a bool",
                            where, i + 1, obj_type_name(items[i].type));
    p->ascending[i] = items[i].via.boolean;
  }
  return 0;
}

/* A sort's range partitions: [nparts, [value, ...] | nil, divisions_only]
 * (plan.h).  Divisions are 2 to DUSK_PLAN_MAX_PARTS + 1 non-null values
 * of one key; nparts their number less one then, else 0 to
 * DUSK_PLAN_MAX_PARTS. */
static int dec_sort_parts(dusk_plan *p, const msgpack_object *o,
                          const char *where, dusk_error *err) {
  const msgpack_object *items = NULL;
  uint32_t n = 0;
  int64_t nparts = 0;
  int rc;
  if ((rc = get_array(o, where, "range partitions", err, &items, &n)) != 0)
    return rc;
  if (n != 3)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: range partitions of %" PRIu32 " fields, not 3",
                          where, n);
  if ((rc = get_i64(&items[0], where, "nparts", err, &nparts)) != 0)
    return rc;
  if (nparts < 0 || nparts > DUSK_PLAN_MAX_PARTS)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: npartitions %" PRId64 " (1 to %d, or 0: "
                          "the scheduler's choice)",
                          where, nparts, DUSK_PLAN_MAX_PARTS);
  p->nparts = (uint32_t)nparts;
  if (items[2].type != MSGPACK_OBJECT_BOOLEAN)
    return bad_type(err, where, "divisions_only", "a bool", &items[2]);
  p->divisions_only = items[2].via.boolean;
  if (p->divisions_only &&
      (p->ncolumns != 1 || p->nascending != 1 || !p->ascending[0]))
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: divisions of %zu keys (of one ascending key)",
                          where, p->ncolumns);
  if (items[1].type == MSGPACK_OBJECT_NIL)
    return 0;
  {
    const msgpack_object *d = NULL;
    uint32_t nd = 0;
    if ((rc = get_array(&items[1], where, "divisions", err, &d, &nd)) != 0)
      return rc;
    if (nd < 2 || nd > DUSK_PLAN_MAX_PARTS + 1 || nd - 1 != p->nparts ||
        p->ncolumns != 1)
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: %" PRIu32 " divisions for %u partitions "
                            "of %zu keys (2 to %d divisions, one more than "
                            "the partitions, of one key)",
                            where, nd, p->nparts, p->ncolumns,
                            DUSK_PLAN_MAX_PARTS + 1);
    if ((p->divisions = calloc(nd, sizeof *p->divisions)) == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
    for (uint32_t i = 0; i < nd; i++) {
      if ((rc = get_value(&d[i], where, "division", err,
                          &p->divisions[i])) != 0)
        return rc;
      p->ndivisions++;
      if (p->divisions[i].type == DUSK_TYPE_NULL ||
          (p->divisions[i].type == DUSK_TYPE_FLOAT64 &&
           p->divisions[i].u.f != p->divisions[i].u.f))
        return dusk_error_set(err, DUSK_EINVAL,
                              "%s: division %" PRIu32 " is null or NaN",
                              where, i);
    }
  }
  return 0;
}

/* A quantile's or describe's [q, ...]: 1 to DUSK_PLAN_MAX_QUANTILES
 * numbers in [0, 1], into p->qs. */
static int dec_qs(dusk_plan *p, const msgpack_object *arr, const char *where,
                  dusk_error *err) {
  const msgpack_object *items = NULL;
  uint32_t n = 0;
  int rc;
  if ((rc = get_array(arr, where, "q", err, &items, &n)) != 0)
    return rc;
  if (n < 1 || n > DUSK_PLAN_MAX_QUANTILES)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: %" PRIu32 " quantiles (1 to %d)", where, n,
                          DUSK_PLAN_MAX_QUANTILES);
  if ((p->qs = calloc(n, sizeof *p->qs)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
  p->nqs = n;
  for (uint32_t i = 0; i < n; i++) {
    const msgpack_object *o = &items[i];
    double q = o->type == MSGPACK_OBJECT_FLOAT64 ||
                       o->type == MSGPACK_OBJECT_FLOAT32
                   ? o->via.f64
               : o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (double)o->via.u64
                                                            : -1.0;
    if (o->type != MSGPACK_OBJECT_FLOAT64 &&
        o->type != MSGPACK_OBJECT_FLOAT32 &&
        o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
      return bad_type(err, where, "q", "a number", o);
    if (!(q >= 0.0 && q <= 1.0))
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: quantile %g is outside [0, 1]", where, q);
    p->qs[i] = q;
  }
  return 0;
}

static int dec_quantile(dusk_plan *p, const msgpack_object *f,
                        const char *where, dusk_error *err) {
  int rc;
  if ((rc = get_names(&f[0], where, "column", 0, err, &p->columns,
                      &p->ncolumns)) != 0 ||
      (rc = dec_qs(p, &f[1], where, err)) != 0)
    return rc;
  if (f[2].type != MSGPACK_OBJECT_BOOLEAN)
    return bad_type(err, where, "median", "a bool", &f[2]);
  p->median = f[2].via.boolean;
  if (p->median && (p->nqs != 1 || p->qs[0] != 0.5))
    return dusk_error_set(err, DUSK_EINVAL, "%s: a median is one q, 0.5",
                          where);
  return 0;
}

/* A concat's optional [columns, absent columns' types] (plan.h). */
static int dec_concat(dusk_plan *p, const msgpack_object *o, const char *where,
                      dusk_error *err) {
  int rc;
  if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2)
    return bad_type(err, where, "columns", "[columns, types]", o);
  if ((rc = get_names(&o->via.array.ptr[0], where, "column", 1, err,
                      &p->columns, &p->ncolumns)) != 0)
    return rc;
  return dec_dtypes(&o->via.array.ptr[1], where, err, &p->csv.dtypes,
                    &p->csv.ndtypes);
}

/* The node's own fields f[0..nfields) (after kind and ninputs). */
static int dec_fields(dusk_plan *p, const msgpack_object *f, uint32_t nfields,
                      const char *where, dusk_error *err) {
  int rc;
  switch (p->kind) {
  case DUSK_PLAN_READ_CSV:
    return dec_read_csv(p, f, nfields, where, err);
  case DUSK_PLAN_CONCAT:
    return nfields > 0 ? dec_concat(p, &f[0], where, err) : 0;
  case DUSK_PLAN_FILLNA:
    if ((rc = dec_fillna(p, f, where, err)) != 0)
      return rc;
    if (nfields < 2)
      return 0;
    return get_names(&f[1], where, "mixed", 0, err, &p->mixed, &p->nmixed);
  case DUSK_PLAN_QUERY: {
    char ewhere[64];
    snprintf(ewhere, sizeof ewhere, "%s: expr", where);
    if ((rc = dec_expr_array(&f[0], ewhere, err, &p->expr)) != 0)
      return rc;
    return get_name(&f[1], where, "text", PLAN_MAX_TEXT, true, err,
                    &p->expr_text);
  }
  case DUSK_PLAN_SELECT:
    return get_names(&f[0], where, "column", 1, err, &p->columns, &p->ncolumns);
  case DUSK_PLAN_ASSIGN: {
    char ewhere[64];
    if ((p->columns = calloc(1, sizeof *p->columns)) == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
    p->ncolumns = 1;
    if ((rc = get_name(&f[0], where, "name", PLAN_MAX_NAME, false, err,
                       &p->columns[0])) != 0)
      return rc;
    if (p->columns[0][0] == '\0')
      return dusk_error_set(err, DUSK_EINVAL, "%s: empty column name", where);
    snprintf(ewhere, sizeof ewhere, "%s: expr", where);
    if ((rc = dec_expr_array(&f[1], ewhere, err, &p->expr)) != 0)
      return rc;
    return get_name(&f[2], where, "text", PLAN_MAX_TEXT, true, err,
                    &p->expr_text);
  }
  case DUSK_PLAN_GROUPBY: return dec_groupby(p, f, nfields, where, err);
  case DUSK_PLAN_VALUE_COUNTS: {
    /* [column, keep_na (, output (, keys, group_keep_na, flat |
     * split_out))] */
    const msgpack_object *keys = NULL;
    uint32_t nkeys = 0;
    bool split = false;
    if (nfields == 4) {
      /* Dask's split_out: an int from 2, on a value_counts without keys
       * (a grouped one has six fields) */
      if (f[3].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return bad_type(err, where, "split_out", "an int from 2", &f[3]);
      if (f[3].via.u64 < 2 || f[3].via.u64 > DUSK_PLAN_MAX_SPLIT_OUT)
        return dusk_error_set(err, DUSK_EINVAL, "%s: split_out %" PRIu64
                              " (2..%d)", where, f[3].via.u64,
                              DUSK_PLAN_MAX_SPLIT_OUT);
      p->split_out = (uint32_t)f[3].via.u64;
      split = true;
      nfields = 3;
    }
    if (nfields > 3 && (rc = get_array(&f[3], where, "keys", err, &keys,
                                       &nkeys)) != 0)
      return rc;
    if (nfields > 3 && (nkeys == 0 || nkeys > DUSK_VC_MAX_KEYS))
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: keys: 1 to %d needed, got %" PRIu32, where,
                            DUSK_VC_MAX_KEYS, nkeys);
    if ((p->columns = calloc(1 + nkeys, sizeof *p->columns)) == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
    p->ncolumns = 1 + nkeys;
    if (f[1].type != MSGPACK_OBJECT_BOOLEAN)
      return bad_type(err, where, "keep_na", "a bool", &f[1]);
    p->keep_na = f[1].via.boolean;
    if (nfields > 2) {
      uint64_t out = f[2].via.u64, base = out & 3;
      if (f[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER || out > 6 ||
          base == 3 || (out == 0 && nfields == 3 && !split) ||
          (out > 1 && nfields > 3) || (base == 2 && split))
        return bad_type(err, where, "output",
                        nfields > 3 ? "0 or 1 (normalize)"
                        : split     ? "0 or 1 (normalize), + 4 (masked), "
                                      "with split_out"
                                    : "1 (normalize) or 2 (describe), "
                                      "+ 4 (masked)",
                        &f[2]);
      p->normalize = base == 1;
      p->describe_counts = base == 2;
      p->masked = (out & 4) != 0;
    }
    if (nfields > 3) {
      if (f[4].type != MSGPACK_OBJECT_BOOLEAN)
        return bad_type(err, where, "group_keep_na", "a bool", &f[4]);
      p->group_keep_na = f[4].via.boolean;
      if (f[5].type != MSGPACK_OBJECT_BOOLEAN)
        return bad_type(err, where, "flat", "a bool", &f[5]);
      p->flat = f[5].via.boolean;
    }
    if (nfields > 6) {
      /* Dask's split_out of a grouped value_counts: its groups in parts
       * (not of as_index=False, whose counts pandas sorts across the
       * groups) */
      if (f[6].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return bad_type(err, where, "split_out", "an int from 2", &f[6]);
      if (f[6].via.u64 < 2 || f[6].via.u64 > DUSK_PLAN_MAX_SPLIT_OUT ||
          p->flat)
        return dusk_error_set(err, DUSK_EINVAL, "%s: split_out %" PRIu64
                              " (2..%d, not with flat)", where, f[6].via.u64,
                              DUSK_PLAN_MAX_SPLIT_OUT);
      p->split_out = (uint32_t)f[6].via.u64;
    }
    for (uint32_t k = 0; k < nkeys; k++) {
      char label[32];
      snprintf(label, sizeof label, "key %" PRIu32, k + 1);
      if ((rc = get_name(&keys[k], where, label, PLAN_MAX_NAME, false, err,
                         &p->columns[k + 1])) != 0)
        return rc;
    }
    return get_name(&f[0], where, "column", PLAN_MAX_NAME, false, err,
                    &p->columns[0]);
  }
  case DUSK_PLAN_RESET_INDEX:
    if (f[1].type != MSGPACK_OBJECT_BOOLEAN)
      return bad_type(err, where, "drop", "a bool", &f[1]);
    p->drop = f[1].via.boolean;
    if (f[0].type == MSGPACK_OBJECT_NIL)
      return 0;
    if ((p->columns = calloc(1, sizeof *p->columns)) == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", where);
    p->ncolumns = 1;
    return get_name(&f[0], where, "name", PLAN_MAX_NAME, false, err,
                    &p->columns[0]);
  case DUSK_PLAN_RENAME: {
    size_t nnew = 0;
    char **renamed = NULL;
    if ((rc = get_names(&f[0], where, "column", 1, err, &p->columns,
                        &p->ncolumns)) != 0)
      return rc;
    if ((rc = get_names(&f[1], where, "new name", 1, err, &renamed,
                        &nnew)) != 0 ||
        nnew != p->ncolumns) {
      strv_free(renamed, nnew);
      return rc ? rc
                : dusk_error_set(err, DUSK_EINVAL,
                                 "%s: %zu columns but %zu new names", where,
                                 p->ncolumns, nnew);
    }
    p->renamed = renamed;
    return 0;
  }
  case DUSK_PLAN_MERGE: {
    size_t nright = 0;
    uint64_t how = 0;
    char **right = NULL;
    if ((rc = get_names(&f[0], where, "left_on", 1, err, &p->columns,
                        &p->ncolumns)) != 0)
      return rc;
    if ((rc = get_names(&f[1], where, "right_on", 1, err, &right,
                        &nright)) != 0 ||
        nright != p->ncolumns) {
      strv_free(right, nright);
      return rc ? rc
                : dusk_error_set(err, DUSK_EINVAL,
                                 "%s: %zu left keys but %zu right keys", where,
                                 p->ncolumns, nright);
    }
    p->right_on = right;
    if ((rc = get_uint(&f[2], where, "how", err, &how)) != 0)
      return rc;
    if (dusk_merge_how_name((int)(how > 8 ? 0 : how)) == NULL)
      return dusk_error_set(err, DUSK_EINVAL, "%s: unknown how %" PRIu64,
                            where, how);
    p->how = (int)how;
    if (f[3].type != MSGPACK_OBJECT_ARRAY || f[3].via.array.size != 2)
      return bad_type(err, where, "suffixes", "[str, str]", &f[3]);
    for (int i = 0; i < 2; i++)
      if ((rc = get_name(&f[3].via.array.ptr[i], where, "suffix",
                         PLAN_MAX_NAME, true, err, &p->suffixes[i])) != 0)
        return rc;
    if ((rc = dec_dtypes(&f[4], where, err, &p->csv.dtypes,
                         &p->csv.ndtypes)) != 0 ||
        (rc = get_names(&f[5], where, "output name", 0, err, &p->csv.usecols,
                        &p->csv.nusecols)) != 0)
      return rc;
    if (p->csv.nusecols != (p->csv.dtypes ? p->csv.ndtypes : 0))
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: %zu right columns but %zu output names",
                            where, p->csv.ndtypes, p->csv.nusecols);
    if (nfields > 6) {
      uint64_t s = 0;
      if ((rc = get_uint(&f[6], where, "strategy", err, &s)) != 0)
        return rc;
      if (s != DUSK_MERGE_BROADCAST && s != DUSK_MERGE_SHUFFLE &&
          s != DUSK_MERGE_JOIN)
        return dusk_error_set(err, DUSK_EINVAL,
                              "%s: unknown merge strategy %" PRIu64, where, s);
      p->strategy = (int)s;
    }
    return 0;
  }
  case DUSK_PLAN_SET_INDEX:
    if (f[1].type != MSGPACK_OBJECT_BOOLEAN)
      return bad_type(err, where, "drop", "a bool", &f[1]);
    p->drop = f[1].via.boolean;
    return get_names(&f[0], where, "key", 1, err, &p->columns,
                     &p->ncolumns);
  case DUSK_PLAN_DROPNA:
    if (f[1].type != MSGPACK_OBJECT_BOOLEAN)
      return bad_type(err, where, "how_all", "a bool", &f[1]);
    p->how_all = f[1].via.boolean;
    return get_names(&f[0], where, "column", 0, err, &p->columns,
                     &p->ncolumns);
  case DUSK_PLAN_SORT_VALUES:
    if ((rc = dec_sort_values(p, f, where, err)) != 0 || nfields < 3)
      return rc;
    if (f[2].type != MSGPACK_OBJECT_BOOLEAN)
      return dusk_error_set(err, DUSK_ETYPE,
                            "%s: kind is %s, not a bool (true: quicksort)",
                            where, obj_type_name(f[2].type));
    p->quicksort = f[2].via.boolean;
    if (nfields < 4)
      return 0;
    if ((rc = get_name(&f[3], where, "dir", PLAN_MAX_NAME, nfields > 4, err,
                       &p->dir)) != 0)
      return rc;
    if (nfields > 4 && (rc = dec_sort_parts(p, &f[4], where, err)) != 0)
      return rc;
    /* (no directory and no divisions query: a sort computed whole, its
     * partitions unused) */
    if ((p->dir != NULL && (p->dir[0] == '\0' || p->divisions_only)) ||
        p->ncolumns == 0)
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: a sorted to_csv needs a directory and the "
                            "columns to sort by (a divisions query: the "
                            "columns, no directory)", where);
    return 0;
  case DUSK_PLAN_TOPK:
    if ((rc = dec_sort_values(p, f, where, err)) != 0 ||
        (rc = get_i64(&f[2], where, "n", err, &p->n)) != 0)
      return rc;
    if (p->n < 0)
      return dusk_error_set(err, DUSK_EINVAL, "%s: negative n %" PRId64, where,
                            p->n);
    return 0;
  case DUSK_PLAN_DESCRIBE:
    if ((rc = get_names(&f[0], where, "column", 0, err, &p->columns,
                        &p->ncolumns)) != 0 ||
        nfields < 2)
      return rc;
    return dec_qs(p, &f[1], where, err);
  case DUSK_PLAN_DROP_DUPLICATES:
    return get_names(&f[0], where, "column", 0, err, &p->columns,
                     &p->ncolumns);
  case DUSK_PLAN_SAMPLE:
    if (f[0].type != MSGPACK_OBJECT_FLOAT64 &&
        f[0].type != MSGPACK_OBJECT_FLOAT32)
      return bad_type(err, where, "frac", "a float", &f[0]);
    p->frac = f[0].via.f64;
    if (!(p->frac >= 0 && p->frac <= 1))
      return dusk_error_set(err, DUSK_EINVAL, "%s: frac %g is not in [0, 1]",
                            where, p->frac);
    return get_uint(&f[1], where, "seed", err, &p->seed);
  case DUSK_PLAN_QUANTILE: return dec_quantile(p, f, where, err);
  case DUSK_PLAN_HEAD:
  case DUSK_PLAN_TAIL:
    if ((rc = get_i64(&f[0], where, "n", err, &p->n)) != 0)
      return rc;
    if (p->n < 0)
      return dusk_error_set(err, DUSK_EINVAL, "%s: negative n %" PRId64, where,
                            p->n);
    return 0;
  case DUSK_PLAN_TO_CSV:
    if ((rc = get_name(&f[0], where, "dir", PLAN_MAX_NAME, false, err,
                       &p->dir)) != 0)
      return rc;
    if (p->dir[0] == '\0')
      return dusk_error_set(err, DUSK_EINVAL, "%s: dir is empty", where);
    if (nfields > 1) /* the int64 columns the user typed */
      return get_names(&f[1], where, "typed int", 1, err, &p->columns,
                       &p->ncolumns);
    return 0;
  default: return 0; /* concat, len: no fields */
  }
}

/* Decodes the subtree starting at the next node; depth counts from 1 at
 * the root.  Recursion is bounded by PLAN_MAX_DEPTH. */
static int dec_plan(pdec *d, unsigned depth, dusk_plan **out) {
  const msgpack_object *o, *f;
  uint64_t kind = 0, ninputs = 0;
  uint32_t idx, nfields;
  char where[48];
  dusk_plan *p;
  int rc;

  *out = NULL;
  if (depth > PLAN_MAX_DEPTH)
    return dusk_error_set(d->err, DUSK_EDEPTH,
                          "plan: nested deeper than %d nodes (at node %" PRIu32
                          ")",
                          PLAN_MAX_DEPTH, d->i + 1);
  if (d->i >= d->n)
    return dusk_error_set(d->err, DUSK_EPROTO,
                          "plan: an input is missing after node %" PRIu32,
                          d->n);
  idx = d->i++;
  o = &d->nodes[idx];
  snprintf(where, sizeof where, "plan node %" PRIu32, idx + 1);
  if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 2)
    return dusk_error_set(d->err, DUSK_ETYPE,
                          "%s: expected an array [kind, ninputs, ...], got "
                          "%s%s",
                          where,
                          o->type == MSGPACK_OBJECT_ARRAY ? "a short " : "",
                          obj_type_name(o->type));
  f = o->via.array.ptr;
  if ((rc = get_uint(&f[0], where, "kind", d->err, &kind)) != 0)
    return rc;
  if (kind < 1 || kind > PLAN_NKINDS)
    return dusk_error_set(d->err, DUSK_EPROTO, "%s: unknown kind %" PRIu64,
                          where, kind);
  snprintf(where, sizeof where, "plan %s",
           dusk_plan_kind_name((dusk_plan_kind)kind));
  if ((rc = get_uint(&f[1], where, "ninputs", d->err, &ninputs)) != 0)
    return rc;
  if (kind == DUSK_PLAN_READ_CSV ? ninputs != 0
      : kind == DUSK_PLAN_CONCAT ? ninputs < 1
      : kind == DUSK_PLAN_MERGE  ? ninputs < 1 || ninputs > 2
                                 : ninputs != 1)
    return dusk_error_set(d->err, DUSK_EPROTO,
                          "%s: %" PRIu64 " inputs, expected %s", where, ninputs,
                          kind == DUSK_PLAN_READ_CSV ? "none"
                          : kind == DUSK_PLAN_CONCAT ? "at least 1"
                          : kind == DUSK_PLAN_MERGE  ? "1 or 2"
                                                     : "1");
  /* Each input is at least one more node: bound the count before the
   * inputs array is allocated from it. */
  if (ninputs > d->n - d->i)
    return dusk_error_set(d->err, DUSK_EPROTO,
                          "%s: %" PRIu64 " inputs, but only %" PRIu32
                          " nodes follow",
                          where, ninputs, d->n - d->i);
  nfields = plan_nfields[kind];
  if ((kind == DUSK_PLAN_FILLNA || kind == DUSK_PLAN_VALUE_COUNTS ||
       kind == DUSK_PLAN_TO_CSV || kind == DUSK_PLAN_READ_CSV ||
       kind == DUSK_PLAN_DESCRIBE || kind == DUSK_PLAN_CONCAT ||
       kind == DUSK_PLAN_GROUPBY || kind == DUSK_PLAN_SORT_VALUES ||
       kind == DUSK_PLAN_MERGE) &&
      o->via.array.size == 2 + nfields + 1)
    nfields++;
  else if (kind == DUSK_PLAN_SORT_VALUES &&
           o->via.array.size == 2 + nfields + 2)
    nfields += 2; /* kind, then a sorted to_csv's directory */
  else if (kind == DUSK_PLAN_SORT_VALUES &&
           o->via.array.size == 2 + nfields + 3)
    nfields += 3; /* kind, directory, range partitions */
  else if (kind == DUSK_PLAN_VALUE_COUNTS &&
           o->via.array.size == 2 + nfields + 2)
    nfields += 2; /* output, then split_out */
  else if (kind == DUSK_PLAN_VALUE_COUNTS &&
           o->via.array.size == 2 + nfields + 4)
    nfields += 4; /* a grouped value_counts: output, keys, group_keep_na,
                     flat */
  else if (kind == DUSK_PLAN_VALUE_COUNTS &&
           o->via.array.size == 2 + nfields + 5)
    nfields += 5; /* a grouped value_counts with split_out */
  /* (each optional field above: the list of mixed columns, normalize,
     typed ints, storage options, percentiles, a concat's columns) */
  if (o->via.array.size != 2 + nfields)
    return dusk_error_set(d->err, DUSK_ETYPE,
                          "%s: expected %" PRIu32 " fields, got %" PRIu32,
                          where, nfields, o->via.array.size - 2);
  if ((p = plan_new((dusk_plan_kind)kind)) == NULL)
    return dusk_error_set(d->err, DUSK_ENOMEM, "%s: out of memory", where);
  if ((rc = dec_fields(p, f + 2, nfields, where, d->err)) != 0)
    goto fail;
  if (ninputs > 0) {
    if ((p->inputs = calloc((size_t)ninputs, sizeof *p->inputs)) == NULL) {
      rc = dusk_error_set(d->err, DUSK_ENOMEM, "%s: out of memory", where);
      goto fail;
    }
    p->ninputs = (size_t)ninputs;
    for (size_t i = 0; i < p->ninputs; i++)
      if ((rc = dec_plan(d, depth + 1, &p->inputs[i])) != 0)
        goto fail;
  }
  *out = p;
  return 0;
fail:
  dusk_plan_free(p);
  return rc;
}

/* The checked unpack shared by both decoders: msgcheck, then
 * msgpack_unpack into a new zone (freed by the caller). */
static int unpack(dusk_slice bytes, const char *what, msgpack_zone **zone,
                  msgpack_object *obj, dusk_error *err) {
  dusk_msgcheck_limits lim;
  size_t consumed = 0, off = 0;
  int rc;

  *zone = NULL;
  if (bytes.len == 0 || bytes.ptr == NULL)
    return dusk_error_set(err, DUSK_ETRUNC, "%s: no bytes", what);
  lim.max_depth = PLAN_MSGPACK_DEPTH;
  lim.max_items = bytes.len; /* every value takes at least one byte */
  rc = dusk_msgcheck(bytes.ptr, bytes.len, &lim, &consumed, err);
  if (rc != 0) {
    char why[DUSK_ERROR_MESSAGE_MAX];
    if (err == NULL)
      return rc;
    memcpy(why, err->message, sizeof why);
    return dusk_error_set(err, rc, "%s: %s", what, why);
  }
  if (consumed != bytes.len)
    return dusk_error_set(err, DUSK_ETRAILING,
                          "%s: %zu trailing bytes after the value", what,
                          bytes.len - consumed);
  if ((*zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", what);
  switch (msgpack_unpack(bytes.ptr, bytes.len, &off, *zone, obj)) {
  case MSGPACK_UNPACK_SUCCESS: return 0;
  case MSGPACK_UNPACK_NOMEM_ERROR:
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", what);
  default:
    return dusk_error_set(err, DUSK_EPROTO, "%s: undecodable msgpack", what);
  }
}

int dusk_plan_decode(dusk_slice bytes, dusk_plan **out, dusk_error *err) {
  msgpack_zone *zone = NULL;
  msgpack_object obj;
  pdec d;
  int rc;

  *out = NULL;
  if ((rc = unpack(bytes, "plan", &zone, &obj, err)) != 0)
    goto done;
  if (obj.type != MSGPACK_OBJECT_ARRAY) {
    rc = dusk_error_set(err, DUSK_ETYPE,
                        "plan: expected an array of nodes, got %s",
                        obj_type_name(obj.type));
    goto done;
  }
  if (obj.via.array.size == 0) {
    rc = dusk_error_set(err, DUSK_EINVAL, "plan: no nodes");
    goto done;
  }
  d.nodes = obj.via.array.ptr;
  d.n = obj.via.array.size;
  d.i = 0;
  d.err = err;
  if ((rc = dec_plan(&d, 1, out)) != 0)
    goto done;
  if (d.i != d.n) {
    dusk_plan_free(*out);
    *out = NULL;
    rc = dusk_error_set(err, DUSK_ETRAILING,
                        "plan: %" PRIu32 " nodes after the complete plan",
                        d.n - d.i);
  }
done:
  if (zone != NULL)
    msgpack_zone_free(zone);
  return rc;
}

int dusk_expr_decode(dusk_slice bytes, dusk_expr **out, dusk_error *err) {
  msgpack_zone *zone = NULL;
  msgpack_object obj;
  int rc;

  *out = NULL;
  if ((rc = unpack(bytes, "expr", &zone, &obj, err)) == 0)
    rc = dec_expr_array(&obj, "expr", err, out);
  if (zone != NULL)
    msgpack_zone_free(zone);
  return rc;
}

void dusk_plan_store_options(const dusk_plan *read_csv,
                             dusk_store_options *o) {
  memset(o, 0, sizeof *o);
  o->anon = read_csv->csv.anon;
}

/* (plan.h) */
bool dusk_nunique_reduction(const dusk_plan *g) {
  if (g->kind != DUSK_PLAN_GROUPBY || g->ncolumns > 0 || g->naggs == 0)
    return false;
  for (size_t a = 0; a < g->naggs; a++)
    if (g->aggs[a].fn != DUSK_AGG_NUNIQUE || g->aggs[a].column == NULL)
      return false;
  return true;
}

bool dusk_plan_by_position(const dusk_plan *r) {
  if (r->kind == DUSK_PLAN_VALUE_COUNTS)
    return true;
  for (size_t a = 0; r->kind == DUSK_PLAN_GROUPBY && a < r->naggs; a++)
    if (r->aggs[a].fn == DUSK_AGG_FIRST || r->aggs[a].fn == DUSK_AGG_LAST ||
        r->aggs[a].fn == DUSK_AGG_FIRST_ROW)
      return true;
  return false;
}
