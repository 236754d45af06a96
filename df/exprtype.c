/* exprtype.c - static typing of query expressions and name suggestions. */
#include "exprtype.h"

#include "dateforms.h"

#include <math.h>

#include "fieldparse.h"
#include "regex.h"
#include "textfn.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), *row, best;
  if (la > 256 || lb > 256)
    return (size_t)-1;
  row = malloc((lb + 1) * sizeof *row);
  if (row == NULL)
    return (size_t)-1;
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t cur = row[j];
      size_t cost = tolower((unsigned char)a[i - 1]) ==
                            tolower((unsigned char)b[j - 1])
                        ? 0
                        : 1;
      size_t v = prev + cost;
      if (row[j] + 1 < v)
        v = row[j] + 1;
      if (row[j - 1] + 1 < v)
        v = row[j - 1] + 1;
      row[j] = v;
      prev = cur;
    }
  }
  best = row[lb];
  free(row);
  return best;
}

const char *dusk_closest_name(const char *want, const char *const *names,
                              size_t n) {
  const char *best = NULL;
  size_t best_d = (size_t)-1, limit = strlen(want) / 3;
  if (limit < 2)
    limit = 2;
  for (size_t i = 0; i < n; i++) {
    size_t d = edit_distance(want, names[i]);
    if (d < best_d) {
      best_d = d;
      best = names[i];
    }
  }
  return best_d <= limit ? best : NULL;
}

static int is_numeric(dusk_type t) {
  return t == DUSK_TYPE_INT64 || t == DUSK_TYPE_FLOAT64 ||
         t == DUSK_TYPE_BOOL;
}

static int string_literal(const dusk_expr *e) {
  return e->kind == DUSK_EXPR_LITERAL && e->value.type == DUSK_TYPE_STRING;
}

/* What a string literal standing for a datetime or a timedelta may hold:
 * the forms of fieldparse.h's literal parsers, as the error says. */
#define TIMESTAMP_FORMS                                                      \
  "ISO forms: YYYY, YYYY-MM, YYYY-MM-DD or YYYYMMDD, then optionally T "    \
  "or a space and HH[:MM[:SS[.fraction]]], as pandas' Timestamp reads "     \
  "them; or " DUSK_DATE_FORMS_TEXT
#define TIMEDELTA_FORMS                                                      \
  "pandas' Timedelta forms: '00:05:00', '1 days 02:00:00', or numbers "     \
  "with units such as '5min', '1h30m', '2 days', '1.5 hours'"

/* Whether string literal e reads as type t (a datetime or a timedelta),
 * as pandas' Timestamp(text) / Timedelta(text) would read it; else an
 * error naming the literal and the forms dusk reads.  exprvec reads it
 * once more, with the same parser.  A NaT string ("", "NaT") is fine:
 * compared, it reads as pandas' query() reads it (exprvec: == is
 * isnull, != notnull, an order false). */
static int time_literal_ok(const dusk_expr *e, dusk_type t, const char *what,
                           dusk_error *err) {
  int64_t ns;
  bool nat;
  const char *s = e->value.u.s.ptr;
  size_t n = e->value.u.s.len;
  int rc = t == DUSK_TYPE_TIMEDELTA
               ? dusk_parse_timedelta_literal(s, n, &ns, &nat)
               : dusk_parse_timestamp_literal(s, n, &ns, &nat);
  if (rc == 0)
    return 1;
  dusk_error_set(
      err, DUSK_ETYPE, "%s: '%.*s' is not a %s dusk reads (%s)", what,
      (int)(n < 80 ? n : 80), s,
      t == DUSK_TYPE_TIMEDELTA ? "timedelta" : "date-time",
      t == DUSK_TYPE_TIMEDELTA ? TIMEDELTA_FORMS
      : rc == DUSK_DATETIME_FORM
          ? TIMESTAMP_FORMS
          : "no such date-time, or one outside datetime64[ns]'s years "
            "1678-2261 that dusk reads");
  return 0;
}

/* x.where(cond, other) (plan.h): pandas' dtype of the result - x's,
 * widened to float64 by a float or NaN other of an int x - or a refusal
 * where pandas would make an object column of two kinds.  A lone
 * OTHERWISE node types as its other. */
static dusk_type where_type(const dusk_expr *e, const char *const *names,
                            const dusk_type *types, size_t ncols,
                            dusk_error *err) {
  const dusk_expr *ow = e->op == DUSK_FN_WHERE ? e->b : e;
  dusk_type x, c, o;
  bool na;
  char text[200];
  if (ow == NULL || ow->kind != DUSK_EXPR_FUNC ||
      ow->op != DUSK_FN_OTHERWISE || ow->a == NULL || ow->b == NULL ||
      (e->op == DUSK_FN_WHERE && e->a == NULL)) {
    dusk_error_set(err, DUSK_EINVAL, "where: malformed expression");
    return DUSK_TYPE_NULL;
  }
  if ((c = dusk_expr_type(ow->a, names, types, ncols, err)) == DUSK_TYPE_NULL ||
      (o = dusk_expr_type(ow->b, names, types, ncols, err)) == DUSK_TYPE_NULL)
    return DUSK_TYPE_NULL;
  if (e->op == DUSK_FN_OTHERWISE)
    return o;
  if ((x = dusk_expr_type(e->a, names, types, ncols, err)) == DUSK_TYPE_NULL)
    return x;
  dusk_expr_format(e, text, sizeof text);
  if (c != DUSK_TYPE_BOOL) {
    dusk_error_set(err, DUSK_ETYPE,
                   "'%s': the condition of where/mask is %s, not a "
                   "condition",
                   text, dusk_type_name(c));
    return DUSK_TYPE_NULL;
  }
  na = ow->b->kind == DUSK_EXPR_LITERAL && ow->b->value.type == DUSK_TYPE_NULL;
  /* pandas keeps an int column int64 when the other is a float it holds
   * exactly (x.where(c, 0.0)); 2.5 or 1e30 make it float64. */
  if (x == DUSK_TYPE_INT64 && o == DUSK_TYPE_FLOAT64 &&
      ow->b->kind == DUSK_EXPR_LITERAL &&
      ow->b->value.type == DUSK_TYPE_FLOAT64) {
    double v = ow->b->value.u.f;
    if (v == floor(v) && v >= -9223372036854775808.0 &&
        v < 9223372036854775808.0)
      return DUSK_TYPE_INT64;
    if (v == floor(v) && (v < -9223372036854775808.0 ||
                          v >= 18446744073709551616.0)) {
      dusk_expr_format(e, text, sizeof text);
      dusk_error_set(err, DUSK_ETYPE,
                     "'%s': an int column's where/mask with %g as other "
                     "makes pandas' object column, which dusk does not "
                     "hold; give an other within int64 or a fraction",
                     text, v);
      return DUSK_TYPE_NULL;
    }
  }
  if ((x == DUSK_TYPE_INT64 || x == DUSK_TYPE_FLOAT64) &&
      (o == DUSK_TYPE_INT64 || o == DUSK_TYPE_FLOAT64))
    return x == DUSK_TYPE_INT64 && o == DUSK_TYPE_INT64 ? DUSK_TYPE_INT64
                                                         : DUSK_TYPE_FLOAT64;
  if ((dusk_type_is_time(x) && (na || o == x)) ||
      (x == DUSK_TYPE_BOOL && o == DUSK_TYPE_BOOL))
    return x;
  dusk_error_set(err, DUSK_ETYPE,
                 "'%s': where/mask of a %s with a %s other%s", text,
                 dusk_type_name(x), na ? "NaN" : dusk_type_name(o),
                 x == DUSK_TYPE_STRING
                     ? " (where/mask of text columns is not supported yet)"
                     : " would make pandas' object column of two kinds, "
                       "which dusk does not hold; give an other of the "
                       "same kind");
  return DUSK_TYPE_NULL;
}

dusk_type dusk_expr_type(const dusk_expr *e, const char *const *names,
                         const dusk_type *types, size_t ncols,
                         dusk_error *err) {
  dusk_type a, b;
  switch (e->kind) {
  case DUSK_EXPR_COLUMN: {
    const char *near;
    for (size_t i = ncols; i-- > 0;) /* the latest of a replaced name */
      if (strcmp(names[i], e->name) == 0)
        return types[i];
    near = dusk_closest_name(e->name, names, ncols);
    dusk_error_set(err, DUSK_ENOTFOUND, "unknown column '%s'%s%s%s", e->name,
                   near ? "; did you mean '" : "", near ? near : "",
                   near ? "'?" : "");
    return DUSK_TYPE_NULL;
  }
  case DUSK_EXPR_LITERAL:
    /* A None literal compares like a null: treat it as any type. */
    return e->value.type == DUSK_TYPE_NULL ? DUSK_TYPE_FLOAT64
                                           : e->value.type;
  case DUSK_EXPR_ISNULL:
  case DUSK_EXPR_NOTNULL:
    if (dusk_expr_type(e->a, names, types, ncols, err) == DUSK_TYPE_NULL)
      return DUSK_TYPE_NULL;
    return DUSK_TYPE_BOOL;
  case DUSK_EXPR_NOT:
    a = dusk_expr_type(e->a, names, types, ncols, err);
    if (a == DUSK_TYPE_NULL)
      return a;
    if (a != DUSK_TYPE_BOOL) {
      dusk_error_set(err, DUSK_ETYPE, "'not' needs a condition, got %s",
                     dusk_type_name(a));
      return DUSK_TYPE_NULL;
    }
    return DUSK_TYPE_BOOL;
  case DUSK_EXPR_AND:
  case DUSK_EXPR_OR:
    a = dusk_expr_type(e->a, names, types, ncols, err);
    if (a == DUSK_TYPE_NULL)
      return a;
    b = dusk_expr_type(e->b, names, types, ncols, err);
    if (b == DUSK_TYPE_NULL)
      return b;
    if (a != DUSK_TYPE_BOOL || b != DUSK_TYPE_BOOL) {
      dusk_error_set(err, DUSK_ETYPE, "'%s' needs conditions on both sides",
                     e->kind == DUSK_EXPR_AND ? "and" : "or");
      return DUSK_TYPE_NULL;
    }
    return DUSK_TYPE_BOOL;
  case DUSK_EXPR_COMPARE:
    a = dusk_expr_type(e->a, names, types, ncols, err);
    if (a == DUSK_TYPE_NULL)
      return a;
    b = dusk_expr_type(e->b, names, types, ncols, err);
    if (b == DUSK_TYPE_NULL)
      return b;
    /* None compares with anything (pandas: x != None keeps every row). */
    if ((e->a->kind == DUSK_EXPR_LITERAL &&
         e->a->value.type == DUSK_TYPE_NULL) ||
        (e->b->kind == DUSK_EXPR_LITERAL &&
         e->b->value.type == DUSK_TYPE_NULL))
      return DUSK_TYPE_BOOL;
    /* A datetime compares with a date-time string as pandas reads it with
     * Timestamp(text) (pickup_datetime >= '2021-04' is >= 2021-04-01), a
     * timedelta with a Timedelta(text) ('00:05:00', '5min'); exprvec
     * reads the string. */
    if ((a == DUSK_TYPE_DATETIME || a == DUSK_TYPE_TIMEDELTA) &&
        string_literal(e->b)) {
      char text[200];
      dusk_expr_format(e, text, sizeof text);
      return time_literal_ok(e->b, a, text, err) ? DUSK_TYPE_BOOL
                                                 : DUSK_TYPE_NULL;
    }
    if ((b == DUSK_TYPE_DATETIME || b == DUSK_TYPE_TIMEDELTA) &&
        string_literal(e->a)) {
      char text[200];
      dusk_expr_format(e, text, sizeof text);
      return time_literal_ok(e->a, b, text, err) ? DUSK_TYPE_BOOL
                                                 : DUSK_TYPE_NULL;
    }
    if ((a == DUSK_TYPE_STRING) != (b == DUSK_TYPE_STRING) ||
        (dusk_type_is_logical(a) || dusk_type_is_logical(b) ? a != b : 0)) {
      char text[200], hint[200] = "";
      const dusk_expr *col = e->a->kind == DUSK_EXPR_COLUMN ? e->a : e->b;
      const dusk_expr *lit = col == e->a ? e->b : e->a;
      dusk_type ct = col == e->a ? a : b;
      dusk_expr_format(e, text, sizeof text);
      /* a number column met with text: its type may be the sample's */
      if (col->kind == DUSK_EXPR_COLUMN && lit->kind == DUSK_EXPR_LITERAL &&
          lit->value.type == DUSK_TYPE_STRING &&
          (ct == DUSK_TYPE_INT64 || ct == DUSK_TYPE_FLOAT64 ||
           ct == DUSK_TYPE_BOOL))
        snprintf(hint, sizeof hint,
                 " (if '%.60s' holds text, read it as such: "
                 "dtype={\"%.60s\": \"str\"})",
                 col->name, col->name);
      dusk_error_set(err, DUSK_ETYPE,
                     "cannot compare %s with %s in '%s'%s", dusk_type_name(a),
                     dusk_type_name(b), text,
                     a == DUSK_TYPE_DATETIME || b == DUSK_TYPE_DATETIME
                         ? " (a datetime compares with a datetime or an ISO "
                           "date string such as '2021-04-15 08:00')"
                     : a == DUSK_TYPE_TIMEDELTA || b == DUSK_TYPE_TIMEDELTA
                         ? " (a timedelta compares with a timedelta or a "
                           "string such as '00:05:00' or '5min')"
                     : a == DUSK_TYPE_DATE || b == DUSK_TYPE_DATE
                         ? " (a .dt.date compares with another; pandas "
                           "finds no date equal to text: compare "
                           ".dt.normalize() with '2021-04-15')"
                         : hint);
      return DUSK_TYPE_NULL;
    }
    return DUSK_TYPE_BOOL;
  case DUSK_EXPR_FUNC:
    if (e->op == DUSK_FN_WHERE || e->op == DUSK_FN_OTHERWISE)
      return where_type(e, names, types, ncols, err);
    a = dusk_expr_type(e->a, names, types, ncols, err);
    if (a == DUSK_TYPE_NULL)
      return a;
    if (e->op == DUSK_FN_ABS) {
      if (a == DUSK_TYPE_INT64 || a == DUSK_TYPE_FLOAT64 ||
          a == DUSK_TYPE_TIMEDELTA)
        return a;
    } else if (e->op == DUSK_FN_TO_FLOAT || e->op == DUSK_FN_TO_INT) {
      if (a == DUSK_TYPE_INT64 || a == DUSK_TYPE_FLOAT64 ||
          a == DUSK_TYPE_BOOL)
        return e->op == DUSK_FN_TO_FLOAT ? DUSK_TYPE_FLOAT64
                                         : DUSK_TYPE_INT64;
    } else if (e->op == DUSK_FN_CLIP_LOWER || e->op == DUSK_FN_CLIP_UPPER) {
      const dusk_expr *bd = e->b;
      if ((a == DUSK_TYPE_INT64 || a == DUSK_TYPE_FLOAT64) && bd != NULL &&
          bd->kind == DUSK_EXPR_LITERAL &&
          (bd->value.type == DUSK_TYPE_INT64 ||
           (bd->value.type == DUSK_TYPE_FLOAT64 && !isnan(bd->value.u.f))))
        return a == DUSK_TYPE_FLOAT64 || bd->value.type == DUSK_TYPE_FLOAT64
                   ? DUSK_TYPE_FLOAT64
                   : DUSK_TYPE_INT64;
    } else if (e->op == DUSK_FN_ROUND) {
      if ((a == DUSK_TYPE_INT64 || a == DUSK_TYPE_FLOAT64) && e->b != NULL &&
          e->b->kind == DUSK_EXPR_LITERAL &&
          e->b->value.type == DUSK_TYPE_INT64 && e->b->value.u.i >= -18 &&
          e->b->value.u.i <= 18)
        return a;
    } else if (e->op >= DUSK_FN_DT_FLOOR && e->op <= DUSK_FN_DT_ROUND) {
      if (dusk_type_is_time(a) && e->b != NULL &&
          e->b->kind == DUSK_EXPR_LITERAL &&
          e->b->value.type == DUSK_TYPE_INT64 && e->b->value.u.i > 0)
        return a;
    } else if (e->op == DUSK_FN_TO_DATETIME ||
               e->op == DUSK_FN_TO_DATETIME_COERCE) {
      if (a == DUSK_TYPE_STRING && string_literal(e->a))
        return time_literal_ok(e->a, DUSK_TYPE_DATETIME, "to_datetime", err)
                   ? DUSK_TYPE_DATETIME
                   : DUSK_TYPE_NULL;
      if (a == DUSK_TYPE_STRING || a == DUSK_TYPE_DATETIME)
        return DUSK_TYPE_DATETIME;
    } else if (e->op == DUSK_FN_TO_TIMEDELTA) {
      if (a == DUSK_TYPE_STRING && string_literal(e->a))
        return time_literal_ok(e->a, DUSK_TYPE_TIMEDELTA, "to_timedelta",
                               err)
                   ? DUSK_TYPE_TIMEDELTA
                   : DUSK_TYPE_NULL;
      if (a == DUSK_TYPE_STRING || a == DUSK_TYPE_INT64 ||
          a == DUSK_TYPE_TIMEDELTA)
        return DUSK_TYPE_TIMEDELTA;
    } else if (e->op == DUSK_FN_TOTAL_SECONDS) {
      if (a == DUSK_TYPE_TIMEDELTA)
        return DUSK_TYPE_FLOAT64;
    } else if (e->op >= DUSK_FN_YEAR && e->op <= DUSK_FN_DAYOFYEAR) {
      if (a == DUSK_TYPE_DATETIME)
        return DUSK_TYPE_INT64;
    } else if (e->op == DUSK_FN_DT_DATE) {
      if (a == DUSK_TYPE_DATETIME)
        return DUSK_TYPE_DATE;
    } else if (e->op >= DUSK_FN_RE_SEARCH && e->op <= DUSK_FN_RE_FULLMATCH) {
      char text[200];
      dusk_expr_format(e, text, sizeof text);
      if (a == DUSK_TYPE_STRING && e->b != NULL &&
          e->b->kind == DUSK_EXPR_LITERAL &&
          e->b->value.type == DUSK_TYPE_STRING) {
        /* A pattern that does not compile is refused here, at submit,
         * rather than by every scan. */
        dusk_error cerr = {0};
        dusk_regex *re = dusk_regex_compile(e->b->value.u.s.ptr,
                                            e->b->value.u.s.len,
                                            DUSK_RE_SEARCH, &cerr);
        if (re != NULL) {
          dusk_regex_free(re);
          return DUSK_TYPE_BOOL;
        }
        dusk_error_set(err, cerr.code, "'%s': %s", text, cerr.message);
        return DUSK_TYPE_NULL;
      }
      dusk_error_set(err, DUSK_ETYPE,
                     "'%s': a regular expression needs a text column and a "
                     "string pattern (this is %s)",
                     text, dusk_type_name(a));
      return DUSK_TYPE_NULL;
    } else if (e->op >= DUSK_FN_STR_LOWER && e->op <= DUSK_FN_STR_SLICE) {
      char text[200];
      const dusk_expr *arg = e->b;
      bool arg_ok = e->op <= DUSK_FN_STR_UPPER;
      dusk_text_slice sl;
      if (e->op >= DUSK_FN_STR_STRIP && e->op <= DUSK_FN_STR_RSTRIP)
        arg_ok = arg != NULL && arg->kind == DUSK_EXPR_LITERAL &&
                 (arg->value.type == DUSK_TYPE_STRING ||
                  arg->value.type == DUSK_TYPE_NULL);
      else if (e->op == DUSK_FN_STR_SLICE)
        arg_ok = arg != NULL && arg->kind == DUSK_EXPR_LITERAL &&
                 arg->value.type == DUSK_TYPE_STRING &&
                 dusk_text_slice_parse(arg->value.u.s.ptr,
                                       arg->value.u.s.len, &sl) == 0;
      if (a == DUSK_TYPE_STRING && arg_ok)
        return DUSK_TYPE_STRING;
      dusk_expr_format(e, text, sizeof text);
      dusk_error_set(err, DUSK_ETYPE, "'%s': .str.%s needs a text column%s "
                     "(this is %s)", text, dusk_func_name((dusk_func)e->op),
                     arg_ok                       ? ""
                     : e->op == DUSK_FN_STR_SLICE ? " and int bounds, a step not 0"
                                                  : " and a string or None to strip",
                     dusk_type_name(a));
      return DUSK_TYPE_NULL;
    } else if (e->op >= DUSK_FN_STR_LEN && e->op <= DUSK_FN_CONTAINS) {
      char text[200];
      if (a == DUSK_TYPE_STRING &&
          (e->op == DUSK_FN_STR_LEN ||
           (e->b != NULL && e->b->kind == DUSK_EXPR_LITERAL &&
            e->b->value.type == DUSK_TYPE_STRING)))
        return e->op == DUSK_FN_STR_LEN ? DUSK_TYPE_INT64 : DUSK_TYPE_BOOL;
      dusk_expr_format(e, text, sizeof text);
      dusk_error_set(err, DUSK_ETYPE,
                     "'%s': .str.%s needs a text column%s (this is %s)", text,
                     dusk_func_name((dusk_func)e->op),
                     e->op == DUSK_FN_STR_LEN ? "" : " and a string pattern",
                     dusk_type_name(a));
      return DUSK_TYPE_NULL;
    }
    {
      char text[200];
      const char *fn = dusk_func_name((dusk_func)e->op);
      dusk_expr_format(e, text, sizeof text);
      dusk_error_set(err, DUSK_ETYPE, "%s%s of %s in '%s' (%s)",
                     e->op == DUSK_FN_YEAR || e->op == DUSK_FN_MONTH ||
                             e->op == DUSK_FN_DAY || e->op == DUSK_FN_HOUR ||
                             e->op == DUSK_FN_MINUTE ||
                             e->op == DUSK_FN_SECOND ||
                             e->op == DUSK_FN_DAYOFWEEK ||
                             e->op == DUSK_FN_DAYOFYEAR ||
                             e->op == DUSK_FN_TOTAL_SECONDS ||
                             e->op == DUSK_FN_DT_FLOOR ||
                             e->op == DUSK_FN_DT_CEIL ||
                             e->op == DUSK_FN_DT_DATE
                         ? ".dt."
                         : "",
                     e->op == DUSK_FN_DT_ROUND ? ".dt.round" : fn ? fn : "?",
                     dusk_type_name(a), text,
                     e->op == DUSK_FN_ABS ? "abs takes a number"
                     : e->op == DUSK_FN_ROUND
                         ? "round takes a number and whole decimals from "
                           "-18 to 18"
                     : e->op == DUSK_FN_TO_FLOAT || e->op == DUSK_FN_TO_INT
                         ? "astype converts numbers and bools"
                     : e->op == DUSK_FN_CLIP_LOWER ||
                             e->op == DUSK_FN_CLIP_UPPER
                         ? "clip takes a number and number bounds"
                     : e->op == DUSK_FN_TOTAL_SECONDS
                         ? "a timedelta has total_seconds()"
                     : e->op == DUSK_FN_TO_DATETIME ||
                             e->op == DUSK_FN_TO_DATETIME_COERCE
                         ? "to_datetime reads text holding ISO date-times"
                     : e->op == DUSK_FN_TO_TIMEDELTA
                         ? "to_timedelta reads text such as '00:05:00' or "
                           "'5min', or an int of nanoseconds"
                     : e->op >= DUSK_FN_DT_FLOOR && e->op <= DUSK_FN_DT_ROUND
                         ? "a datetime or timedelta rounds to a fixed "
                           "frequency such as \"H\" or \"15min\""
                         : "a datetime column has it: read_csv(parse_dates=)");
      return DUSK_TYPE_NULL;
    }
  case DUSK_EXPR_ARITH:
    a = dusk_expr_type(e->a, names, types, ncols, err);
    if (a == DUSK_TYPE_NULL)
      return a;
    b = dusk_expr_type(e->b, names, types, ncols, err);
    if (b == DUSK_TYPE_NULL)
      return b;
    if (dusk_type_is_time(a) || dusk_type_is_time(b)) {
      /* pandas' datetime arithmetic: datetime - datetime is a timedelta,
       * datetime +- timedelta a datetime, timedeltas add and divide. */
      dusk_type t = DUSK_TYPE_NULL;
      if (a == DUSK_TYPE_DATETIME && b == DUSK_TYPE_DATETIME &&
          e->op == DUSK_ARITH_SUB)
        t = DUSK_TYPE_TIMEDELTA;
      else if (a == DUSK_TYPE_DATETIME && b == DUSK_TYPE_TIMEDELTA &&
               (e->op == DUSK_ARITH_ADD || e->op == DUSK_ARITH_SUB))
        t = DUSK_TYPE_DATETIME;
      else if (a == DUSK_TYPE_TIMEDELTA && b == DUSK_TYPE_DATETIME &&
               e->op == DUSK_ARITH_ADD)
        t = DUSK_TYPE_DATETIME;
      else if (a == DUSK_TYPE_TIMEDELTA && b == DUSK_TYPE_TIMEDELTA &&
               (e->op == DUSK_ARITH_ADD || e->op == DUSK_ARITH_SUB))
        t = DUSK_TYPE_TIMEDELTA;
      else if (a == DUSK_TYPE_TIMEDELTA && b == DUSK_TYPE_TIMEDELTA &&
               e->op == DUSK_ARITH_DIV)
        t = DUSK_TYPE_FLOAT64;
      /* numpy's scaling of a timedelta by a number (exprvec: truncated
       * toward zero, NaT for a division by zero or a NaN) */
      else if (a == DUSK_TYPE_TIMEDELTA &&
               (b == DUSK_TYPE_INT64 || b == DUSK_TYPE_FLOAT64) &&
               (e->op == DUSK_ARITH_MUL || e->op == DUSK_ARITH_DIV ||
                e->op == DUSK_ARITH_FLOORDIV))
        t = DUSK_TYPE_TIMEDELTA;
      else if (b == DUSK_TYPE_TIMEDELTA &&
               (a == DUSK_TYPE_INT64 || a == DUSK_TYPE_FLOAT64) &&
               e->op == DUSK_ARITH_MUL)
        t = DUSK_TYPE_TIMEDELTA;
      if (t == DUSK_TYPE_NULL) {
        char text[200];
        dusk_expr_format(e, text, sizeof text);
        dusk_error_set(err, DUSK_ETYPE,
                       "arithmetic on %s and %s in '%s' (datetime - "
                       "datetime, datetime +- timedelta, timedelta +-/ "
                       "timedelta and timedelta * / // a number are "
                       "supported)",
                       dusk_type_name(a), dusk_type_name(b), text);
      }
      return t;
    }
    if (!is_numeric(a) || !is_numeric(b)) {
      char text[200];
      dusk_expr_format(e, text, sizeof text);
      dusk_error_set(err, DUSK_ETYPE, "arithmetic on %s in '%s'",
                     dusk_type_name(is_numeric(a) ? b : a), text);
      return DUSK_TYPE_NULL;
    }
    /* pandas: / always float64; + - * // % ** of ints int64 (an int
     * raised to a negative int is an error, as numpy makes it). */
    if (e->op == DUSK_ARITH_DIV || a == DUSK_TYPE_FLOAT64 ||
        b == DUSK_TYPE_FLOAT64)
      return DUSK_TYPE_FLOAT64;
    return DUSK_TYPE_INT64;
  }
  dusk_error_set(err, DUSK_ETYPE, "unknown expression kind %d", e->kind);
  return DUSK_TYPE_NULL;
}
