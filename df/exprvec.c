/* exprvec.c - vectorised evaluation of query expressions (see exprvec.h).
 *
 * Each node yields a "view" of the batch's rows: a column of the batch
 * (borrowed, no copy), a scalar literal, or the node's own scratch vectors
 * (allocated once at compile time with the batch capacity). */
#include "exprvec.h"

#include "exprtype.h"
#include "fieldparse.h"
#include "regex.h"
#include "textfn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct view {
  dusk_type type;
  int scalar;            /* one value for every row */
  const uint8_t *valid;  /* NULL: all valid (a non-null scalar) */
  const int64_t *i;
  const double *f;
  const uint8_t *b;
  /* strings: from a batch column, or the scalar */
  const uint32_t *str_off, *str_len;
  const char *arena;
  dusk_slice s;
  int64_t si;
  double sf;
  uint8_t sb;
} view;

typedef struct node {
  dusk_expr_kind kind;
  int op;
  dusk_type type;
  int col;
  dusk_value lit;
  struct node *a, *b;
  uint8_t *valid;
  int64_t *i;
  double *f;
  uint8_t *m;
  view out;
  uint8_t failed; /* eval met a value it must refuse (int ** negative) */
  /* COMPARE with a NaT string ("NaT", ""): pandas' query() answer, == is
   * the other side's isnull, != its notnull, an order false (a NaT value,
   * to_datetime("NaT"), is a null literal instead: nothing equal). */
  uint8_t nat_text; /* 1: the NaT is operand b, 2: operand a */
  /* pandas' nullable arrays (dusk_exprvec_mask): a comparison with a
   * null operand, not of a null, is null (pandas' NA), and and / or
   * follow Kleene's logic, where numpy's answer is false */
  uint8_t masked;
  dusk_regex *re; /* RE_*: the compiled pattern */
  char bad[64];   /* TO_DATETIME: the first value refused, for the message */
  int bad_why;    /* TO_DATETIME: why it was (a DUSK_DATETIME_* code) */
  /* text-valued functions (lower, strip, ...): each row's value as an
   * offset and length into text, refilled every batch */
  uint32_t *soff, *slen;
  dusk_buf text;
  dusk_text_slice slice; /* STR_SLICE: its bounds, parsed once */
} node;

/* node.failed: a value refused (dusk_exprvec_refusal), or out of memory */
enum { FAILED_VALUE = 1, FAILED_NOMEM = 2 };

struct dusk_exprvec {
  node *root;
  size_t cap;
  int refusal; /* refused_op of the last evaluation */
  bool nomem;  /* the last evaluation ran out of memory */
  char why[256]; /* dusk_exprvec_refusal's text, when it names a value */
};

static void node_free(node *n) {
  if (n == NULL)
    return;
  node_free(n->a);
  node_free(n->b);
  dusk_regex_free(n->re);
  free(n->soff);
  free(n->slen);
  dusk_buf_destroy(&n->text);
  free(n->valid);
  free(n->i);
  free(n->f);
  free(n->m);
  free(n);
}

void dusk_exprvec_free(dusk_exprvec *x) {
  if (x == NULL)
    return;
  node_free(x->root);
  free(x);
}

/* A datetime or timedelta (type t) from literal v as pandas' Timestamp /
 * Timedelta read it: text (fieldparse.h's literal parsers), an int of
 * nanoseconds, or a null; NaT is a null literal.  0, or -1 for text
 * exprtype would have refused. */
static int time_literal(const dusk_value *v, dusk_type t, dusk_value *out) {
  bool nat = false;
  int rc = 0;
  memset(out, 0, sizeof *out);
  out->type = DUSK_TYPE_INT64;
  if (v->type == DUSK_TYPE_STRING)
    rc = t == DUSK_TYPE_TIMEDELTA
             ? dusk_parse_timedelta_literal(v->u.s.ptr, v->u.s.len,
                                            &out->u.i, &nat)
             : dusk_parse_timestamp_literal(v->u.s.ptr, v->u.s.len,
                                            &out->u.i, &nat);
  else if (v->type == DUSK_TYPE_INT64)
    out->u.i = v->u.i;
  else
    nat = true;
  if (nat)
    out->type = DUSK_TYPE_NULL;
  return rc == 0 ? 0 : -1;
}

/* in_where: e is a WHERE node's second operand, the one place an
 * OTHERWISE pair may stand (plan.h); anywhere else it is refused, as its
 * own vectors are never filled. */
static node *compile(const dusk_expr *e, const char *const *names,
                     const dusk_type *types, size_t ncols, size_t cap,
                     int depth, bool in_where, dusk_error *err) {
  node *n;
  if (depth > 200) {
    dusk_error_set(err, DUSK_EDEPTH, "expression nested too deeply");
    return NULL;
  }
  if (e->kind == DUSK_EXPR_FUNC && e->op == DUSK_FN_OTHERWISE && !in_where) {
    dusk_error_set(err, DUSK_EINVAL,
                   "malformed expression: a where/mask pair outside where");
    return NULL;
  }
  n = calloc(1, sizeof *n);
  if (n == NULL)
    return NULL;
  dusk_buf_init(&n->text);
  n->kind = e->kind;
  n->op = e->op;
  n->col = -1;
  n->type = dusk_expr_type(e, names, types, ncols, err);
  if (n->type == DUSK_TYPE_NULL)
    goto fail;
  if (e->kind == DUSK_EXPR_COLUMN) {
    for (size_t i = 0; i < ncols; i++)
      if (strcmp(names[i], e->name) == 0)
        n->col = (int)i;
    return n;
  }
  if (e->kind == DUSK_EXPR_LITERAL) {
    n->lit = e->value; /* strings borrow from the plan, alive meanwhile */
    return n;
  }
  /* to_datetime / to_timedelta of a literal (Python's Timestamp and
   * Timedelta, the CLI's to_datetime("2021-04-15")): one value, read
   * here once rather than per row. */
  if (e->kind == DUSK_EXPR_FUNC &&
      (e->op == DUSK_FN_TO_DATETIME || e->op == DUSK_FN_TO_DATETIME_COERCE ||
       e->op == DUSK_FN_TO_TIMEDELTA) &&
      e->a != NULL && e->a->kind == DUSK_EXPR_LITERAL) {
    n->kind = DUSK_EXPR_LITERAL;
    if (time_literal(&e->a->value, n->type, &n->lit) != 0) {
      if (e->op != DUSK_FN_TO_DATETIME_COERCE) {
        dusk_error_set(err, DUSK_ETYPE, "not a %s: '%.*s'",
                       n->type == DUSK_TYPE_TIMEDELTA ? "timedelta"
                                                      : "date-time",
                       (int)(e->a->value.u.s.len < 64 ? e->a->value.u.s.len
                                                      : 64),
                       e->a->value.u.s.ptr);
        goto fail;
      }
      n->lit.type = DUSK_TYPE_NULL; /* errors="coerce": NaT */
    }
    return n;
  }
  if (e->a && (n->a = compile(e->a, names, types, ncols, cap, depth + 1,
                              false, err)) == NULL)
    goto fail;
  if (e->b &&
      (n->b = compile(e->b, names, types, ncols, cap, depth + 1,
                      e->kind == DUSK_EXPR_FUNC && e->op == DUSK_FN_WHERE,
                      err)) == NULL)
    goto fail;
  /* A datetime or timedelta compared with a string: the string's
   * Timestamp / Timedelta, once (NaT: a null, which compares false). */
  if (e->kind == DUSK_EXPR_COMPARE)
    for (int side = 0; side < 2; side++) {
      node *x = side ? n->a : n->b, *other = side ? n->b : n->a;
      dusk_value v;
      if (dusk_type_is_time(other->type) && x->kind == DUSK_EXPR_LITERAL &&
          x->lit.type == DUSK_TYPE_STRING) {
        if (time_literal(&x->lit, other->type, &v) != 0) {
          dusk_error_set(err, DUSK_ETYPE, "not a %s: '%.*s'",
                         other->type == DUSK_TYPE_TIMEDELTA ? "timedelta"
                                                            : "date-time",
                         (int)(x->lit.u.s.len < 64 ? x->lit.u.s.len : 64),
                         x->lit.u.s.ptr);
          goto fail;
        }
        x->lit = v;
        x->type = other->type;
        if (v.type == DUSK_TYPE_NULL) /* a NaT string */
          n->nat_text = side ? 2 : 1;
      }
    }
  if (e->kind == DUSK_EXPR_FUNC && e->op >= DUSK_FN_RE_SEARCH &&
      e->op <= DUSK_FN_RE_FULLMATCH &&
      (n->re = dusk_regex_compile(
           e->b->value.u.s.ptr, e->b->value.u.s.len,
           e->op == DUSK_FN_RE_SEARCH  ? DUSK_RE_SEARCH
           : e->op == DUSK_FN_RE_MATCH ? DUSK_RE_MATCH
                                       : DUSK_RE_FULLMATCH,
           err)) == NULL)
    goto fail;
  if (e->kind == DUSK_EXPR_FUNC && e->op == DUSK_FN_STR_SLICE &&
      dusk_text_slice_parse(e->b->value.u.s.ptr, e->b->value.u.s.len,
                            &n->slice) != 0)
    goto fail; /* exprtype checked it: not reached */
  n->valid = malloc(cap ? cap : 1);
  if (n->valid == NULL)
    goto fail;
  if (n->type == DUSK_TYPE_STRING) {
    n->soff = malloc((cap ? cap : 1) * sizeof *n->soff);
    n->slen = malloc((cap ? cap : 1) * sizeof *n->slen);
    if (n->soff == NULL || n->slen == NULL)
      goto fail;
    return n;
  }
  if (n->type == DUSK_TYPE_BOOL)
    n->m = malloc(cap ? cap : 1);
  else if (n->type == DUSK_TYPE_FLOAT64)
    n->f = malloc((cap ? cap : 1) * sizeof *n->f);
  else
    n->i = malloc((cap ? cap : 1) * sizeof *n->i);
  if (n->m == NULL && n->f == NULL && n->i == NULL)
    goto fail;
  return n;
fail:
  node_free(n);
  return NULL;
}

int dusk_exprvec_compile(const dusk_expr *e, const char *const *names,
                         const dusk_type *types, size_t ncols, size_t cap,
                         dusk_exprvec **out, dusk_error *err) {
  dusk_exprvec *x = calloc(1, sizeof *x);
  dusk_error local = {0}; /* the code matters even when err is NULL */
  if (x == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  x->cap = cap;
  x->root = compile(e, names, types, ncols, cap, 0, false, &local);
  if (x->root == NULL) {
    free(x);
    if (local.code == 0)
      dusk_error_set(&local, DUSK_ENOMEM, "out of memory");
    if (err != NULL)
      *err = local;
    return local.code;
  }
  dusk_error_clear(err);
  *out = x;
  return 0;
}

/* ---- row access ---------------------------------------------------------- */

static int vvalid(const view *v, size_t r) {
  if (v->scalar)
    return v->valid == NULL;
  return v->valid == NULL || v->valid[r];
}

static double vf(const view *v, size_t r) {
  switch (v->type) {
  case DUSK_TYPE_FLOAT64: return v->scalar ? v->sf : v->f[r];
  case DUSK_TYPE_INT64: return (double)(v->scalar ? v->si : v->i[r]);
  case DUSK_TYPE_BOOL: return (double)(v->scalar ? v->sb : v->b[r]);
  default: return NAN;
  }
}

static int64_t vi(const view *v, size_t r) {
  switch (v->type) {
  case DUSK_TYPE_INT64: return v->scalar ? v->si : v->i[r];
  case DUSK_TYPE_BOOL: return v->scalar ? v->sb : v->b[r];
  default: return 0;
  }
}

static dusk_slice vs(const view *v, size_t r) {
  dusk_slice s;
  if (v->scalar)
    return v->s;
  s.ptr = v->arena + v->str_off[r];
  s.len = v->str_len[r];
  return s;
}

static int cmp_slices(dusk_slice a, dusk_slice b) {
  size_t n = a.len < b.len ? a.len : b.len;
  int c = memcmp(a.ptr, b.ptr, n);
  if (c != 0)
    return c;
  return a.len < b.len ? -1 : a.len > b.len;
}

static int cmp_result(int op, int c) {
  switch (op) {
  case DUSK_CMP_EQ: return c == 0;
  case DUSK_CMP_NE: return c != 0;
  case DUSK_CMP_LT: return c < 0;
  case DUSK_CMP_LE: return c <= 0;
  case DUSK_CMP_GT: return c > 0;
  default: return c >= 0;
  }
}

/* Python's floor modulo for ints: the result has the divisor's sign. */
static int64_t py_mod(int64_t a, int64_t b) {
  int64_t m;
  if (b == -1)
    return 0; /* also avoids INT64_MIN % -1 */
  m = a % b;
  if (m != 0 && ((m < 0) != (b < 0)))
    m += b;
  return m;
}

static double py_fmod(double a, double b) {
  double m = fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0)))
    m += b;
  return m;
}

/* Python's floor division for ints (b != 0): rounds toward -inf. */
static int64_t py_floordiv(int64_t a, int64_t b) {
  int64_t q;
  if (b == -1)
    return (int64_t)(0 - (uint64_t)a); /* wraps for INT64_MIN, as numpy */
  q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

/* numpy's floor_divide for floats (npy_divmod): the quotient of the
 * exact floored division, inf or nan when b is 0. */
static double py_floordiv_f(double a, double b) {
  double mod, div, fl;
  if (b == 0)
    return a / b;
  mod = fmod(a, b);
  div = (a - mod) / b;
  if (mod != 0 && ((b < 0) != (mod < 0)))
    div -= 1.0;
  if (div == 0)
    return copysign(0.0, a / b);
  fl = floor(div);
  if (div - fl > 0.5)
    fl += 1.0;
  return fl;
}

/* numpy's int power: repeated squaring, wrapping on overflow; b >= 0. */
static int64_t int_pow(int64_t a, int64_t b) {
  uint64_t r = 1, x = (uint64_t)a;
  while (b > 0) {
    if (b & 1)
      r *= x;
    x *= x;
    b >>= 1;
  }
  return (int64_t)r;
}

/* ---- evaluation ---------------------------------------------------------- */

/* Characters of UTF-8 text: the bytes that do not continue one. */
static int64_t utf8_len(dusk_slice s) {
  int64_t n = 0;
  for (size_t i = 0; i < s.len; i++)
    n += ((unsigned char)s.ptr[i] & 0xc0) != 0x80;
  return n;
}

/* numpy's round (np.around) to d decimals: floats scaled by 10^d,
 * rounded half to even (rint), scaled back; ints unchanged for d >= 0,
 * else rounded half to even at 10^-d. */
static void eval_round(node *n, const view *a, int64_t d, size_t rows) {
  double scale = pow(10.0, (double)(d < 0 ? -d : d));
  int64_t p = 1;
  for (int64_t k = 0; k < -d; k++)
    p *= 10;
  for (size_t r = 0; r < rows; r++) {
    n->valid[r] = (uint8_t)vvalid(a, r);
    if (!n->valid[r])
      continue;
    if (n->f != NULL) {
      double x = vf(a, r);
      n->f[r] = d >= 0 ? rint(x * scale) / scale : rint(x / scale) * scale;
    } else if (d >= 0) {
      n->i[r] = vi(a, r);
    } else {
      int64_t x = vi(a, r), q = x / p, m = x % p;
      if (m < 0) { /* floor */
        q--;
        m += p;
      }
      if (2 * m > p || (2 * m == p && (q & 1)))
        q++;
      n->i[r] = q * p;
    }
  }
}

/* astype(float / int) and clip(lower= / upper=).  A value astype(int)
 * cannot hold (NaN, inf, a null, out of range) sets failed: pandas raises
 * there too. */
static void eval_cast_clip(node *n, const view *a, const view *b,
                           size_t rows) {
  bool fb = b != NULL && b->type == DUSK_TYPE_FLOAT64;
  double bf = b != NULL ? vf(b, 0) : 0;
  int64_t bi = b != NULL && !fb ? vi(b, 0) : 0;
  for (size_t r = 0; r < rows; r++) {
    n->valid[r] = (uint8_t)vvalid(a, r);
    if (!n->valid[r]) {
      if (n->op == DUSK_FN_TO_INT)
        n->failed = 1;
      continue;
    }
    switch (n->op) {
    case DUSK_FN_TO_FLOAT: n->f[r] = vf(a, r); break;
    case DUSK_FN_TO_INT:
      if (a->type == DUSK_TYPE_FLOAT64) {
        double x = vf(a, r);
        if (!(x > -9223372036854775808.0 && x < 9223372036854775808.0))
          n->failed = 1;
        else
          n->i[r] = (int64_t)x;
      } else {
        n->i[r] = vi(a, r);
      }
      break;
    default: {
      bool lower = n->op == DUSK_FN_CLIP_LOWER;
      if (n->f != NULL) {
        double x = vf(a, r), c = fb ? bf : (double)bi;
        n->f[r] = isnan(x) ? x : lower ? (x < c ? c : x) : (x > c ? c : x);
      } else {
        int64_t x = vi(a, r);
        n->i[r] = lower ? (x < bi ? bi : x) : (x > bi ? bi : x);
      }
    }
    }
  }
}

static void keep_bad_value(node *n, dusk_slice s);

/* The text-valued .str functions (plan.h: STR_LOWER .. STR_SLICE), into
 * the node's text; out views it once every row is in (text may move
 * while it grows). */
static void eval_text_func(node *n, const view *a, const view *b,
                           size_t rows) {
  n->text.len = 0;
  for (size_t r = 0; r < rows; r++) {
    dusk_slice s;
    size_t at = n->text.len, from, len;
    int rc = 0;
    n->valid[r] = (uint8_t)vvalid(a, r);
    n->soff[r] = (uint32_t)at;
    n->slen[r] = 0;
    if (!n->valid[r] || n->failed)
      continue;
    s = vs(a, r);
    switch (n->op) {
    case DUSK_FN_STR_LOWER: rc = dusk_text_lower(s.ptr, s.len, &n->text); break;
    case DUSK_FN_STR_UPPER: rc = dusk_text_upper(s.ptr, s.len, &n->text); break;
    case DUSK_FN_STR_SLICE:
      rc = dusk_text_slice_apply(s.ptr, s.len, &n->slice, &n->text);
      break;
    default: { /* strip: to_strip is a string, or null for whitespace */
      bool ws = !vvalid(b, 0);
      dusk_slice chars = ws ? s : vs(b, 0);
      dusk_text_strip(s.ptr, s.len, ws ? NULL : chars.ptr, ws ? 0 : chars.len,
                      n->op == DUSK_FN_STR_LSTRIP   ? DUSK_STRIP_LEFT
                      : n->op == DUSK_FN_STR_RSTRIP ? DUSK_STRIP_RIGHT
                                                    : DUSK_STRIP_BOTH,
                      &from, &len);
      rc = dusk_buf_append(&n->text, s.ptr + from, len) ? DUSK_ENOMEM : 0;
    }
    }
    if (rc == 0 && n->text.len > UINT32_MAX)
      rc = DUSK_ENOMEM; /* offsets are 32-bit, as a batch's arena's */
    if (rc != 0) {
      if (rc == DUSK_ETYPE)
        keep_bad_value(n, s);
      n->failed = rc == DUSK_ETYPE ? FAILED_VALUE : FAILED_NOMEM;
      continue;
    }
    n->slen[r] = (uint32_t)(n->text.len - at);
  }
  n->out.str_off = n->soff;
  n->out.str_len = n->slen;
  n->out.arena = n->text.data ? n->text.data : "";
}

/* Keeps the first refused value for the message: printable, clipped. */
static void keep_bad_value(node *n, dusk_slice s) {
  size_t k = 0;
  for (size_t j = 0; j < s.len && k + 1 < sizeof n->bad; j++)
    n->bad[k++] =
        (unsigned char)s.ptr[j] >= 0x20 && s.ptr[j] != 0x7f ? s.ptr[j] : '?';
  n->bad[k] = '\0';
}

/* Whether pandas might read a value that is not an ISO date-time as a
 * date anyway: its fallback (dateutil) parses "2021/01/05", "5 Jan
 * 2021", offsets and "Z" (as tz-aware), "today".  A value with no digit
 * and none of dateutil's words ("N/A", "-", "unknown" aside) fails there
 * too, so coerce may make it NaT; any other is refused rather than
 * answered differently. */
static bool maybe_other_date_form(dusk_slice s) {
  static const char *const words[] = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul",  "aug",
      "sep", "oct", "nov", "dec", "mon", "tue", "wed",  "thu",
      "fri", "sat", "sun", "now", "today", "tomorrow", "yesterday"};
  char low[64];
  size_t n = s.len < sizeof low - 1 ? s.len : sizeof low - 1;
  if (s.len >= sizeof low)
    return true;
  for (size_t j = 0; j < n; j++) {
    char c = s.ptr[j];
    if ((c >= '0' && c <= '9') || (unsigned char)c >= 0x80)
      return true; /* non-ASCII: dateutil reads other scripts' digits */
    low[j] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
  }
  low[n] = '\0';
  if (strlen(low) != n) /* a NUL inside */
    return true;
  for (size_t w = 0; w < sizeof words / sizeof *words; w++)
    if (strstr(low, words[w]) != NULL)
      return true;
  return false;
}

/* to_datetime of text (or of datetimes: as they are).  With
 * errors="coerce" a value is NaT where pandas fails to read it too: of the
 * ISO form but no date-time (February 30, hour 24, a year datetime64[ns]
 * cannot hold), or of no form pandas reads (maybe_other_date_form); other
 * values are refused (the first one kept for the message, with why). */
static void eval_to_datetime(node *n, const view *a, size_t rows) {
  for (size_t r = 0; r < rows; r++) {
    dusk_slice s;
    int why;
    n->valid[r] = (uint8_t)vvalid(a, r);
    if (!n->valid[r])
      continue;
    if (a->type != DUSK_TYPE_STRING) {
      n->i[r] = vi(a, r);
      continue;
    }
    s = vs(a, r);
    if ((why = dusk_field_parse_datetime(s.ptr, s.len, &n->i[r])) == 0)
      continue;
    n->valid[r] = 0;
    if (!n->failed &&
        (n->op == DUSK_FN_TO_DATETIME || why == DUSK_DATETIME_RANGE ||
         (why == DUSK_DATETIME_FORM && maybe_other_date_form(s)))) {
      keep_bad_value(n, s);
      n->bad_why = why;
      n->failed = 1;
    }
  }
}

/* to_timedelta of text (pandas' Timedelta(text); NaT strings give NaT,
 * other text is refused, the first such value kept for the message), of
 * ints (nanoseconds) or of timedeltas (as they are). */
static void eval_to_timedelta(node *n, const view *a, size_t rows) {
  for (size_t r = 0; r < rows; r++) {
    dusk_slice s;
    bool nat;
    n->valid[r] = (uint8_t)vvalid(a, r);
    if (!n->valid[r])
      continue;
    if (a->type != DUSK_TYPE_STRING) {
      n->i[r] = vi(a, r);
      continue;
    }
    s = vs(a, r);
    if (dusk_parse_timedelta_literal(s.ptr, s.len, &n->i[r], &nat) == 0) {
      n->valid[r] = !nat;
      continue;
    }
    n->valid[r] = 0;
    if (!n->failed) {
      keep_bad_value(n, s);
      n->failed = 1;
    }
  }
}

/* x.where(cond, other): x's value (or null) where cond holds, other's
 * elsewhere, in the node's type (int64, float64, bool; datetimes as
 * int64). */
static void eval_where(node *n, const view *x, const view *cond,
                       const view *other, size_t rows) {
  for (size_t r = 0; r < rows; r++) {
    bool keep = vvalid(cond, r) && vi(cond, r) != 0;
    const view *v = keep ? x : other;
    n->valid[r] = (uint8_t)vvalid(v, r);
    if (!n->valid[r])
      continue;
    if (n->f != NULL)
      n->f[r] = vf(v, r);
    else if (n->m != NULL)
      n->m[r] = (uint8_t)(vi(v, r) != 0);
    else if (v->type == DUSK_TYPE_FLOAT64) /* an integral float other */
      n->i[r] = (int64_t)vf(v, r);
    else
      n->i[r] = vi(v, r);
  }
}

/* .dt.floor / ceil / round(freq) of nanoseconds, as pandas'
 * round_nsint64: the quotient floors (divmod), ceil moves a value with a
 * remainder up, round moves up past half and at half when the quotient
 * is odd (half to even).  unit > 0 (exprtype checks it).  A result past
 * int64 wraps, as pandas' int64 arithmetic does. */
static void eval_dt_round(node *n, const view *a, int64_t unit, size_t rows) {
  for (size_t r = 0; r < rows; r++) {
    int64_t v, q, m;
    n->valid[r] = (uint8_t)vvalid(a, r);
    if (!n->valid[r])
      continue;
    v = vi(a, r);
    q = v / unit;
    m = v % unit;
    if (m < 0) { /* floor, as Python's divmod */
      q--;
      m += unit;
    }
    if (n->op == DUSK_FN_DT_CEIL)
      q += m != 0;
    else if (n->op == DUSK_FN_DT_ROUND)
      q += (uint64_t)m * 2 > (uint64_t)unit ||
           ((uint64_t)m * 2 == (uint64_t)unit && (q & 1) != 0);
    n->i[r] = (int64_t)((uint64_t)q * (uint64_t)unit);
  }
}

/* .str.len() and the literal .str predicates: a null value stays null
 * (a filter drops the row, as pandas' na=False would). */
static void eval_str_func(node *n, const view *a, const view *b,
                          size_t rows) {
  dusk_slice pat = {NULL, 0};
  if (b != NULL)
    pat = vs(b, 0); /* the pattern is a string literal (exprtype) */
  for (size_t r = 0; r < rows; r++) {
    dusk_slice s;
    n->valid[r] = (uint8_t)vvalid(a, r);
    if (!n->valid[r]) {
      if (n->m != NULL)
        n->m[r] = 0;
      continue;
    }
    s = vs(a, r);
    switch (n->op) {
    case DUSK_FN_STR_LEN: n->i[r] = utf8_len(s); break;
    case DUSK_FN_STARTSWITH:
      n->m[r] = s.len >= pat.len && memcmp(s.ptr, pat.ptr, pat.len) == 0;
      break;
    case DUSK_FN_ENDSWITH:
      n->m[r] = s.len >= pat.len &&
                memcmp(s.ptr + s.len - pat.len, pat.ptr, pat.len) == 0;
      break;
    default:
      n->m[r] = pat.len == 0 ||
                (s.len >= pat.len && memmem(s.ptr, s.len, pat.ptr, pat.len));
    }
  }
}

/* Whether row r of a ** b, one operand missing, is 1: numpy's pow gives
 * x ** 0 and 1 ** y as 1 whatever the other is, NaN included, and pandas
 * holds a missing number as NaN (an int column with one as float64). */
static bool pow_of_missing_is_one(const view *a, const view *b, size_t r) {
  if (!vvalid(a, r))
    return vvalid(b, r) && vf(b, r) == 0;
  return !vvalid(b, r) && vf(a, r) == 1;
}

/* A timedelta times or divided by a number (n->op MUL, DIV or FLOORDIV;
 * the number is a or b), as numpy computes timedelta64 by int64 or
 * float64: an int product wraps, an int quotient truncates toward zero
 * (numpy's // of a timedelta by a number too, -7ns // 2 being -3ns), a
 * float result is the double truncated toward zero; a division by zero,
 * a NaN or a result past int64 is NaT. */
static void eval_td_scale(node *n, const view *a, const view *b,
                          size_t rows) {
  bool td_left = n->a->type == DUSK_TYPE_TIMEDELTA;
  const view *td = td_left ? a : b, *num = td_left ? b : a;
  bool fl = num->type == DUSK_TYPE_FLOAT64;
  for (size_t r = 0; r < rows; r++) {
    int64_t x, y;
    double z;
    n->valid[r] = (uint8_t)(vvalid(a, r) && vvalid(b, r));
    if (!n->valid[r])
      continue;
    x = vi(td, r);
    if (!fl) {
      y = vi(num, r);
      if (n->op == DUSK_ARITH_MUL)
        n->i[r] = (int64_t)((uint64_t)x * (uint64_t)y);
      else if (y == 0)
        n->valid[r] = 0;
      else
        n->i[r] = y == -1 ? (int64_t)(0 - (uint64_t)x) : x / y;
      continue;
    }
    z = n->op == DUSK_ARITH_MUL ? (double)x * vf(num, r)
                                : (double)x / vf(num, r);
    if (!(z > -9223372036854775808.0 && z < 9223372036854775808.0))
      n->valid[r] = 0;
    else
      n->i[r] = (int64_t)z;
  }
}

static void eval(node *n, const dusk_batch *bt) {
  size_t rows = bt->nrows;
  view *o = &n->out;
  memset(o, 0, sizeof *o);
  o->type = dusk_type_physical(n->type); /* datetimes are int64 ns */
  switch (n->kind) {
  case DUSK_EXPR_COLUMN: {
    const dusk_column *c = &bt->cols[n->col];
    o->valid = c->valid;
    o->i = c->i64;
    o->f = c->f64;
    o->b = c->b;
    o->str_off = c->str_off;
    o->str_len = c->str_len;
    o->arena = bt->arena;
    return;
  }
  case DUSK_EXPR_LITERAL:
    o->scalar = 1;
    o->type = n->lit.type;
    if (n->lit.type == DUSK_TYPE_NULL) {
      o->valid = (const uint8_t *)"";
      o->type = DUSK_TYPE_FLOAT64;
    }
    o->si = n->lit.type == DUSK_TYPE_INT64 ? n->lit.u.i : 0;
    o->sf = n->lit.type == DUSK_TYPE_FLOAT64 ? n->lit.u.f : 0;
    o->sb = n->lit.type == DUSK_TYPE_BOOL ? n->lit.u.b : 0;
    if (n->lit.type == DUSK_TYPE_STRING)
      o->s = n->lit.u.s;
    return;
  default:
    break;
  }
  if (n->a)
    eval(n->a, bt);
  if (n->b)
    eval(n->b, bt);
  o->valid = n->valid;
  o->i = n->i;
  o->f = n->f;
  o->b = n->m;
  {
    const view *a = n->a ? &n->a->out : NULL, *b = n->b ? &n->b->out : NULL;
    switch (n->kind) {
    case DUSK_EXPR_ISNULL:
    case DUSK_EXPR_NOTNULL:
      for (size_t r = 0; r < rows; r++) {
        n->valid[r] = 1;
        n->m[r] = (uint8_t)(vvalid(a, r) ^ (n->kind == DUSK_EXPR_ISNULL));
      }
      break;
    case DUSK_EXPR_NOT:
      /* A null condition counts as false before negation, like pandas'
       * ~(NaN == x); a nullable one stays NA. */
      for (size_t r = 0; r < rows; r++) {
        n->valid[r] = (uint8_t)(!n->masked || vvalid(a, r));
        n->m[r] = !(vvalid(a, r) && vi(a, r)) && n->valid[r];
      }
      break;
    case DUSK_EXPR_AND:
    case DUSK_EXPR_OR:
      if (n->masked) { /* Kleene: NA & False is False, NA | True True */
        int and = n->kind == DUSK_EXPR_AND;
        for (size_t r = 0; r < rows; r++) {
          int va = vvalid(a, r), vb = vvalid(b, r);
          int x = va && vi(a, r), y = vb && vi(b, r);
          int decided = and ? (va && !x) || (vb && !y) : x || y;
          n->valid[r] = (uint8_t)(decided || (va && vb));
          n->m[r] = (uint8_t)(n->valid[r] && (and ? x && y : x || y));
        }
        break;
      }
      for (size_t r = 0; r < rows; r++) {
        int x = vvalid(a, r) && vi(a, r), y = vvalid(b, r) && vi(b, r);
        n->valid[r] = 1;
        n->m[r] = (uint8_t)(n->kind == DUSK_EXPR_AND ? (x && y) : (x || y));
      }
      break;
    case DUSK_EXPR_COMPARE: {
      int strings = a->type == DUSK_TYPE_STRING;
      int ints = !strings && a->type != DUSK_TYPE_FLOAT64 &&
                 b->type != DUSK_TYPE_FLOAT64;
      if (n->nat_text) { /* one side is the NaT literal */
        const view *x = n->nat_text == 1 ? a : b;
        for (size_t r = 0; r < rows; r++) {
          n->valid[r] = 1;
          n->m[r] = n->op == DUSK_CMP_EQ   ? !vvalid(x, r)
                    : n->op == DUSK_CMP_NE ? (uint8_t)vvalid(x, r)
                                           : 0;
        }
        break;
      }
      for (size_t r = 0; r < rows; r++) {
        int c;
        n->valid[r] = 1;
        if (!vvalid(a, r) || !vvalid(b, r)) {
          n->valid[r] = !n->masked; /* NA, or numpy's NaN answer */
          n->m[r] = n->op == DUSK_CMP_NE && !n->masked;
          continue;
        }
        if (strings) {
          c = cmp_slices(vs(a, r), vs(b, r));
        } else if (ints) {
          int64_t x = vi(a, r), y = vi(b, r);
          c = x < y ? -1 : x > y;
        } else {
          double x = vf(a, r), y = vf(b, r);
          if (isnan(x) || isnan(y)) {
            n->m[r] = n->op == DUSK_CMP_NE;
            continue;
          }
          c = x < y ? -1 : x > y;
        }
        n->m[r] = (uint8_t)cmp_result(n->op, c);
      }
      break;
    }
    case DUSK_EXPR_FUNC:
      if (n->op >= DUSK_FN_RE_SEARCH && n->op <= DUSK_FN_RE_FULLMATCH) {
        for (size_t r = 0; r < rows; r++) {
          dusk_slice s;
          n->valid[r] = (uint8_t)vvalid(a, r);
          if (!n->valid[r]) {
            n->m[r] = 0;
            continue;
          }
          s = vs(a, r);
          switch (dusk_regex_match(n->re, s.ptr, s.len)) {
          case 1:
            n->m[r] = 1;
            break;
          case 0:
            n->m[r] = 0;
            break;
          default: /* PCRE2 gave up: refused, never read as no match */
            n->m[r] = 0;
            if (!n->failed)
              keep_bad_value(n, s);
            n->failed = 1;
          }
        }
        break;
      }
      if (n->op >= DUSK_FN_STR_LEN && n->op <= DUSK_FN_CONTAINS) {
        eval_str_func(n, a, b, rows);
        break;
      }
      if (n->op == DUSK_FN_ROUND) {
        eval_round(n, a, vi(b, 0), rows);
        break;
      }
      if (n->op >= DUSK_FN_DT_FLOOR && n->op <= DUSK_FN_DT_ROUND) {
        eval_dt_round(n, a, vi(b, 0), rows);
        break;
      }
      if (n->op == DUSK_FN_OTHERWISE) /* its parts, read by WHERE */
        break;
      if (n->op == DUSK_FN_TO_DATETIME || n->op == DUSK_FN_TO_DATETIME_COERCE) {
        eval_to_datetime(n, a, rows);
        break;
      }
      if (n->op == DUSK_FN_TO_TIMEDELTA) {
        eval_to_timedelta(n, a, rows);
        break;
      }
      if (n->op == DUSK_FN_WHERE) {
        eval_where(n, a, &n->b->a->out, &n->b->b->out, rows);
        break;
      }
      if (n->op >= DUSK_FN_STR_LOWER && n->op <= DUSK_FN_STR_SLICE) {
        eval_text_func(n, a, b, rows);
        break;
      }
      if (n->op == DUSK_FN_DT_DATE) { /* the day's midnight (floor) */
        const int64_t day = 86400000000000;
        for (size_t r = 0; r < rows; r++) {
          int64_t v = vi(a, r), q = v / day;
          n->valid[r] = (uint8_t)vvalid(a, r);
          n->i[r] = (int64_t)((uint64_t)(q - (v % day < 0)) *
                              (uint64_t)day); /* wraps as pandas' int64 */
        }
        break;
      }
      if (n->op >= DUSK_FN_TO_FLOAT) {
        eval_cast_clip(n, a, b, rows);
        break;
      }
      for (size_t r = 0; r < rows; r++) {
        n->valid[r] = (uint8_t)vvalid(a, r);
        if (!n->valid[r])
          continue;
        if (n->op == DUSK_FN_ABS) {
          if (n->f != NULL)
            n->f[r] = fabs(vf(a, r));
          else /* wraps at INT64_MIN like numpy */
            n->i[r] = vi(a, r) < 0 ? (int64_t)(0 - (uint64_t)vi(a, r))
                                   : vi(a, r);
        } else if (n->op == DUSK_FN_TOTAL_SECONDS) {
          n->f[r] = (double)vi(a, r) / 1e9;
        } else {
          dusk_datetime_parts dp;
          int64_t v;
          dusk_datetime_split(vi(a, r), &dp);
          switch (n->op) {
          case DUSK_FN_YEAR: v = dp.year; break;
          case DUSK_FN_MONTH: v = dp.month; break;
          case DUSK_FN_DAY: v = dp.day; break;
          case DUSK_FN_HOUR: v = dp.hour; break;
          case DUSK_FN_MINUTE: v = dp.minute; break;
          case DUSK_FN_SECOND: v = dp.second; break;
          case DUSK_FN_DAYOFWEEK: v = dp.dayofweek; break;
          default: v = dp.dayofyear; break;
          }
          n->i[r] = v;
        }
      }
      break;
    case DUSK_EXPR_ARITH:
      if (n->type == DUSK_TYPE_TIMEDELTA &&
          (n->a->type == DUSK_TYPE_TIMEDELTA) !=
              (n->b->type == DUSK_TYPE_TIMEDELTA)) {
        eval_td_scale(n, a, b, rows);
        break;
      }
      for (size_t r = 0; r < rows; r++) {
        n->valid[r] = (uint8_t)(vvalid(a, r) && vvalid(b, r));
        if (!n->valid[r]) {
          if (n->op == DUSK_ARITH_POW && pow_of_missing_is_one(a, b, r)) {
            n->valid[r] = 1;
            if (n->type == DUSK_TYPE_FLOAT64)
              n->f[r] = 1.0;
            else
              n->i[r] = 1;
          }
          continue;
        }
        if (n->type == DUSK_TYPE_FLOAT64) {
          double x = vf(a, r), y = vf(b, r), z;
          switch (n->op) {
          case DUSK_ARITH_ADD: z = x + y; break;
          case DUSK_ARITH_SUB: z = x - y; break;
          case DUSK_ARITH_MUL: z = x * y; break;
          case DUSK_ARITH_DIV: z = x / y; break;
          case DUSK_ARITH_FLOORDIV: z = py_floordiv_f(x, y); break;
          case DUSK_ARITH_POW: z = pow(x, y); break;
          default: z = py_fmod(x, y);
          }
          /* A NaN computed is missing, as pandas holds it: null, so
           * count, sum, isnull, dropna and fillna treat it so. */
          n->f[r] = z;
          n->valid[r] = !isnan(z);
        } else {
          int64_t x = vi(a, r), y = vi(b, r);
          uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
          /* pandas checks datetime and timedelta sums and differences
           * (OverflowError: "Overflow in int64 addition"); numpy's int
           * columns wrap */
          if ((n->type == DUSK_TYPE_DATETIME ||
               n->type == DUSK_TYPE_TIMEDELTA) &&
              (n->op == DUSK_ARITH_ADD || n->op == DUSK_ARITH_SUB)) {
            int64_t z;
            if (n->op == DUSK_ARITH_ADD ? __builtin_add_overflow(x, y, &z)
                                        : __builtin_sub_overflow(x, y, &z))
              n->failed = 1;
            else
              n->i[r] = z;
            continue;
          }
          switch (n->op) { /* wrap like numpy rather than overflow */
          case DUSK_ARITH_ADD: n->i[r] = (int64_t)(ux + uy); break;
          case DUSK_ARITH_SUB: n->i[r] = (int64_t)(ux - uy); break;
          case DUSK_ARITH_MUL: n->i[r] = (int64_t)(ux * uy); break;
          case DUSK_ARITH_POW:
            if (y < 0)
              n->failed = 1;
            else
              n->i[r] = int_pow(x, y);
            break;
          default:
            /* % by zero is pandas' NaN (null here); so is 0 // 0, but
             * x // 0 is inf there, a float64 column: refused */
            if (y == 0) {
              n->valid[r] = 0;
              if (n->op == DUSK_ARITH_FLOORDIV && x != 0)
                n->failed = 1;
            } else
              n->i[r] = n->op == DUSK_ARITH_FLOORDIV ? py_floordiv(x, y)
                                                     : py_mod(x, y);
          }
        }
      }
      break;
    default:
      break;
    }
  }
}

/* The message for a function that refuses a value it names: the words
 * before the quoted value and after it (why: to_datetime's
 * DUSK_DATETIME_* code); NULL for the others. */
static const char *value_refusal(int op, int why, const char **after) {
  if (op >= DUSK_FN_RE_SEARCH && op <= DUSK_FN_RE_FULLMATCH) {
    *after = " backtracked past PCRE2's limits (a pattern like (a+)+ nests "
             "repeats; rewrite it without nested quantifiers)";
    return "regular expression: matching ";
  }
  if ((op == DUSK_FN_TO_DATETIME || op == DUSK_FN_TO_DATETIME_COERCE) &&
      why == DUSK_DATETIME_RANGE) {
    *after = " lies in 1677 or 2262, at the ends of pandas' datetime64[ns]; "
             "dusk reads the years 1678-2261";
    return op == DUSK_FN_TO_DATETIME ? "to_datetime: "
                                     : "to_datetime(errors=\"coerce\"): ";
  }
  switch (op) {
  case DUSK_FN_TO_TIMEDELTA:
    *after = " is not a timedelta dusk reads (pandas' forms '00:05:00', "
             "'1 days 02:00:00', or numbers with units such as '5min', "
             "'1h30m')";
    return "to_timedelta: ";
  case DUSK_FN_TO_DATETIME:
    *after = why == DUSK_DATETIME_NO_SUCH
                 ? " is no date-time: a field out of range (February 30, "
                   "hour 24) or a year past datetime64[ns], as pandas "
                   "refuses it; errors=\"coerce\" makes it NaT"
                 : " is not an ISO date-time (YYYY-MM-DD[ HH:MM[:SS[.f]]], the "
                   "form dusk reads); errors=\"coerce\" makes a value that is "
                   "no date NaT";
    return "to_datetime: ";
  case DUSK_FN_TO_DATETIME_COERCE:
    *after = " is not an ISO date-time (YYYY-MM-DD[ HH:MM[:SS[.f]]]), but "
             "pandas may read it as a date (other forms, offsets); dusk "
             "reads ISO only";
    return "to_datetime(errors=\"coerce\"): ";
  case DUSK_FN_STR_LOWER:
    *after = " holds a capital sigma, whose lower case Python picks by its "
             "place in the word (final sigma); dusk does not follow that "
             "rule";
    return "str.lower: ";
  default:
    return NULL;
  }
}

/* The function or operator of a node where eval refused a value (0:
 * none), clearing the flags for the next batch. */
static int refused_op(dusk_exprvec *x, node *n) {
  int a, b, r;
  const char *before, *after;
  if (n == NULL)
    return 0;
  r = n->failed ? (n->kind == DUSK_EXPR_FUNC ? n->op : -n->op) : 0;
  if (n->failed == FAILED_NOMEM)
    x->nomem = true;
  else if (n->failed && n->kind == DUSK_EXPR_FUNC &&
           (before = value_refusal(n->op, n->bad_why, &after)) != NULL)
    snprintf(x->why, sizeof x->why, "%s'%s'%s", before, n->bad, after);
  n->failed = 0;
  a = refused_op(x, n->a);
  b = refused_op(x, n->b);
  return r ? r : a ? a : b;
}

/* 0, DUSK_ETYPE (a value refused) or DUSK_ENOMEM for the last eval. */
static int refused(dusk_exprvec *x) {
  x->nomem = false;
  x->refusal = refused_op(x, x->root);
  return x->nomem ? DUSK_ENOMEM : x->refusal != 0 ? DUSK_ETYPE : 0;
}

const char *dusk_exprvec_refusal(const dusk_exprvec *x) {
  const char *after;
  if (x->refusal > 0 && value_refusal(x->refusal, 0, &after) != NULL)
    return x->why;
  if (x->refusal == -DUSK_ARITH_ADD || x->refusal == -DUSK_ARITH_SUB)
    return "a datetime or timedelta sum or difference past int64 "
           "nanoseconds (about 292 years): pandas raises OverflowError "
           "(\"Overflow in int64 addition\") there";
  if (x->refusal == -DUSK_ARITH_FLOORDIV)
    return "an int // 0: pandas gives inf there, turning the column float64; "
           "divide floats (x.astype(float) // y) or filter the zeros first";
  if (x->refusal == DUSK_FN_TO_INT)
    return "astype(int): a null, NaN, inf or too large a value cannot be "
           "an int64 (pandas raises too; filter or fillna first)";
  return "integers to negative integer powers are not allowed (as in "
         "numpy; write a float exponent, e.g. x ** -1.0)";
}

int dusk_exprvec_eval(dusk_exprvec *x, const dusk_batch *b, uint8_t *mask) {
  node *root = x->root;
  const view *v;
  int rc;
  if (b->nrows > x->cap)
    return DUSK_EINVAL;
  eval(root, b);
  if ((rc = refused(x)) != 0)
    return rc;
  v = &root->out;
  for (size_t r = 0; r < b->nrows; r++)
    mask[r] = (uint8_t)(vvalid(v, r) && (v->type == DUSK_TYPE_FLOAT64
                                             ? vf(v, r) != 0
                                             : vi(v, r) != 0));
  return 0;
}

/* Marks the nodes computing a nullable array, as plan.c's expr_masked
 * decides it (the two must agree: that one types the result, this one
 * computes its values). */
static uint8_t mask_nodes(node *n, const uint8_t *masked, size_t ncols) {
  uint8_t a, b;
  if (n == NULL)
    return 0;
  a = mask_nodes(n->a, masked, ncols);
  b = mask_nodes(n->b, masked, ncols);
  switch (n->kind) {
  case DUSK_EXPR_COLUMN:
    n->masked = n->col >= 0 && (size_t)n->col < ncols && masked[n->col];
    break;
  case DUSK_EXPR_FUNC:
    n->masked = n->op == DUSK_FN_ABS || n->op == DUSK_FN_ROUND ||
                        n->op == DUSK_FN_CLIP_LOWER ||
                        n->op == DUSK_FN_CLIP_UPPER
                    ? a
                : n->op == DUSK_FN_WHERE ? a || (n->b && n->b->b &&
                                                 n->b->b->masked)
                                         : 0;
    break;
  case DUSK_EXPR_COMPARE:
  case DUSK_EXPR_AND:
  case DUSK_EXPR_OR:
  case DUSK_EXPR_NOT:
  case DUSK_EXPR_ARITH:
    n->masked = a || b;
    break;
  default: /* literals, isna / notna */
    n->masked = 0;
  }
  return n->masked;
}

void dusk_exprvec_mask(dusk_exprvec *x, const uint8_t *masked, size_t ncols) {
  if (x != NULL && masked != NULL)
    mask_nodes(x->root, masked, ncols);
}

dusk_type dusk_exprvec_type(const dusk_exprvec *x) {
  /* a NaN literal is float64; a NaT one (to_datetime("NaT")) keeps its
   * time type */
  return x->root->kind == DUSK_EXPR_LITERAL &&
                 x->root->lit.type == DUSK_TYPE_NULL &&
                 !dusk_type_is_time(x->root->type)
             ? DUSK_TYPE_FLOAT64
             : x->root->type;
}

int dusk_exprvec_eval_into(dusk_exprvec *x, dusk_batch *b, size_t col) {
  dusk_column *c;
  const view *v;
  uint32_t lit_off = 0;
  int rc;
  if (b->nrows > x->cap || col >= b->ncols ||
      b->cols[col].type != dusk_type_physical(dusk_exprvec_type(x)))
    return DUSK_EINVAL;
  eval(x->root, b);
  if ((rc = refused(x)) != 0)
    return rc;
  v = &x->root->out;
  c = &b->cols[col];
  if (c->type == DUSK_TYPE_STRING && v->scalar && vvalid(v, 0) &&
      dusk_batch_arena_add(b, v->s.ptr, v->s.len, &lit_off) != 0)
    return DUSK_ENOMEM;
  for (size_t r = 0; r < b->nrows; r++) {
    c->valid[r] = (uint8_t)vvalid(v, r);
    switch (c->type) {
    case DUSK_TYPE_INT64:
      c->i64[r] = c->valid[r] ? vi(v, r) : 0;
      break;
    case DUSK_TYPE_FLOAT64:
      c->f64[r] = c->valid[r] ? vf(v, r) : NAN;
      break;
    case DUSK_TYPE_BOOL:
      c->b[r] = (uint8_t)(c->valid[r] && vi(v, r) != 0);
      break;
    default:
      if (v->scalar) {
        c->str_off[r] = lit_off;
        c->str_len[r] = c->valid[r] ? (uint32_t)v->s.len : 0;
      } else if (v->arena != b->arena) { /* a computed text: copied in */
        c->str_len[r] = c->valid[r] ? v->str_len[r] : 0;
        if (dusk_batch_arena_add(b, v->arena + v->str_off[r], c->str_len[r],
                                 &c->str_off[r]) != 0)
          return DUSK_ENOMEM;
      } else {
        c->str_off[r] = v->str_off[r];
        c->str_len[r] = v->str_len[r];
      }
    }
  }
  return 0;
}
