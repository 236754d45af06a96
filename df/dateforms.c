/* dateforms.c - see dateforms.h.  The text is cut into at most 16
 * tokens (numbers, words, single separators); a date form is matched on
 * the tokens, then the time; the fields go through the parse_dates
 * parser in canonical ISO form, which checks them. */
#include "dateforms.h"

#include "fieldparse.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { T_NUM, T_WORD, T_SEP };
enum { MAX_TOKENS = 16 };

typedef struct token {
  int kind;
  const char *s;
  size_t len; /* T_SEP: 1 (runs of spaces are one ' ') */
} token;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static char lower(char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Cuts s into tokens; -1 on a character no form holds or too many. */
static int tokenize(const char *s, size_t len, token *t, size_t *n) {
  size_t i = 0;
  *n = 0;
  while (i < len) {
    token *k = &t[*n];
    if (*n == MAX_TOKENS)
      return -1;
    k->s = s + i;
    if (is_digit(s[i])) {
      k->kind = T_NUM;
      while (i < len && is_digit(s[i]))
        i++;
    } else if (is_alpha(s[i])) {
      k->kind = T_WORD;
      while (i < len && is_alpha(s[i]))
        i++;
    } else if (s[i] == ' ' || s[i] == '\t') {
      k->kind = T_SEP;
      while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
      k->len = 1;
      k->s = " ";
      (*n)++;
      continue;
    } else if (strchr("/-.,:", s[i]) != NULL) {
      k->kind = T_SEP;
      i++;
    } else {
      return -1;
    }
    k->len = (size_t)(s + i - k->s);
    (*n)++;
  }
  return 0;
}

static bool word_is(const token *k, const char *w) {
  size_t n = strlen(w);
  if (k->kind != T_WORD || k->len != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (lower(k->s[i]) != w[i])
      return false;
  return true;
}

static bool sep_is(const token *k, char c) {
  return k->kind == T_SEP && k->s[0] == c;
}

/* 1-12 for a month's English name or abbreviation, else 0. */
static unsigned month_of(const token *k) {
  static const char *const names[] = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  if (k->kind != T_WORD)
    return 0;
  for (unsigned m = 0; m < 12; m++) {
    char abbr[4] = {names[m][0], names[m][1], names[m][2], 0};
    if (word_is(k, names[m]) || word_is(k, abbr))
      return m + 1;
  }
  return word_is(k, "sept") ? 9 : 0;
}

/* A number token of 1..maxdigits digits, into *v. */
static bool num(const token *k, size_t maxdigits, unsigned *v) {
  unsigned x = 0;
  if (k->kind != T_NUM || k->len > maxdigits)
    return false;
  for (size_t i = 0; i < k->len; i++)
    x = x * 10 + (unsigned)(k->s[i] - '0');
  *v = x;
  return true;
}

static bool year4(const token *k, unsigned *y) {
  return k->kind == T_NUM && k->len == 4 && num(k, 4, y);
}

/* A day number with an optional st/nd/rd/th: the tokens it takes. */
static size_t day_at(const token *t, size_t n, size_t i, unsigned *d) {
  if (i >= n || !num(&t[i], 2, d))
    return 0;
  if (i + 1 < n && (word_is(&t[i + 1], "st") || word_is(&t[i + 1], "nd") ||
                    word_is(&t[i + 1], "rd") || word_is(&t[i + 1], "th")))
    return 2;
  return 1;
}

/* Skips one word separator (spaces or '-'), with an optional ',' before
 * it (or a ',' alone); false when none is there. */
static bool word_sep(const token *t, size_t n, size_t *i) {
  bool any = false;
  if (*i < n && sep_is(&t[*i], ',')) {
    (*i)++;
    any = true;
  }
  if (*i < n && (sep_is(&t[*i], ' ') || (!any && sep_is(&t[*i], '-')))) {
    (*i)++;
    any = true;
  }
  return any;
}

/* The date at t[0..): its fields and the token after it, or false. */
static bool parse_date(const token *t, size_t n, unsigned *y, unsigned *mo,
                       unsigned *d, size_t *end) {
  size_t i = 0, k;
  unsigned a, b;
  *d = 1;
  if (n == 0)
    return false;
  if ((*mo = month_of(&t[0])) != 0) {
    i = 1; /* MONTH D[th][,] YYYY, or MONTH[,] YYYY */
    if (!word_sep(t, n, &i))
      return false;
    if (i < n && year4(&t[i], y)) {
      *end = i + 1;
      return true;
    }
    if ((k = day_at(t, n, i, d)) == 0)
      return false;
    i += k;
    if (!word_sep(t, n, &i) || i >= n || !year4(&t[i], y))
      return false;
    *end = i + 1;
    return true;
  }
  if (t[0].kind == T_NUM && t[0].len == 4 && n > 2 && month_of(&t[2]) &&
      (sep_is(&t[1], ' ') || sep_is(&t[1], '-'))) {
    year4(&t[0], y); /* YYYY MONTH [D] */
    *mo = month_of(&t[2]);
    i = 3;
    *end = 3;
    if (n == 3 || (sep_is(&t[3], ' ') &&
                   (n == 4 || t[4].kind != T_NUM ||
                    (n > 5 && sep_is(&t[5], ':')))))
      return true; /* no day: the 1st (a time may follow) */
    if (!word_sep(t, n, &i) || (k = day_at(t, n, i, d)) == 0)
      return false;
    *end = i + k;
    return true;
  }
  if ((k = day_at(t, n, 0, d)) != 0 && k + 1 < n &&
      (sep_is(&t[k], ' ') || sep_is(&t[k], '-')) &&
      (*mo = month_of(&t[k + 1])) != 0) {
    i = k + 2; /* D[th] MONTH[,] YYYY */
    if (!word_sep(t, n, &i) || i >= n || !year4(&t[i], y))
      return false;
    *end = i + 1;
    return true;
  }
  /* numbers apart by the same '/', '-' or '.' */
  if (n < 3 || t[0].kind != T_NUM || t[1].kind != T_SEP ||
      !strchr("/-.", t[1].s[0]))
    return false;
  if (year4(&t[0], y)) { /* YYYY/M[/D] */
    if (!num(&t[2], 2, mo))
      return false;
    *end = 3;
    if (n >= 5 && sep_is(&t[3], t[1].s[0])) {
      if (!num(&t[4], 2, d))
        return false;
      *end = 5;
    }
    return true;
  }
  /* M/D/YYYY, month first unless it cannot be a month */
  if (n < 5 || !num(&t[0], 2, &a) || !num(&t[2], 2, &b) ||
      !sep_is(&t[3], t[1].s[0]) || !year4(&t[4], y))
    return false;
  if (a > 12 && b <= 12) {
    *mo = b;
    *d = a;
  } else {
    *mo = a;
    *d = b;
  }
  *end = 5;
  return true;
}

/* The time at t[i..n): H[H][:MM[:SS[.f]]] [AM|PM], to the end. */
static int parse_time(const token *t, size_t n, size_t i, unsigned *h,
                      unsigned *mi, unsigned *sec, const char **frac,
                      size_t *fdig) {
  bool ampm = false, pm = false, bare;
  if (i >= n || !num(&t[i], 2, h))
    return DUSK_DATETIME_FORM;
  /* an hour alone needs two digits ("18"): dateutil takes "6" for
   * something else and fails */
  bare = t[i].len == 1 && !(i + 1 < n && sep_is(&t[i + 1], ':'));
  i++;
  if (i + 1 < n && sep_is(&t[i], ':')) {
    if (!num(&t[i + 1], 2, mi))
      return DUSK_DATETIME_FORM;
    i += 2;
    if (i + 1 < n && sep_is(&t[i], ':')) {
      if (!num(&t[i + 1], 2, sec))
        return DUSK_DATETIME_FORM;
      i += 2;
      if (i + 1 < n && sep_is(&t[i], '.')) {
        if (t[i + 1].kind != T_NUM || t[i + 1].len > 9)
          return DUSK_DATETIME_FORM;
        /* dateutil keeps microseconds: the digits past six are dropped */
        *frac = t[i + 1].s;
        *fdig = t[i + 1].len < 6 ? t[i + 1].len : 6;
        i += 2;
      }
    }
  }
  if (i < n && sep_is(&t[i], ' '))
    i++;
  if (i < n && (word_is(&t[i], "am") || word_is(&t[i], "pm"))) {
    ampm = true;
    pm = word_is(&t[i], "pm");
    i++;
  }
  if (i != n || (bare && !ampm))
    return DUSK_DATETIME_FORM;
  if (ampm) { /* dateutil: 12 AM is 0, 0-11 PM add 12, 13 on refused */
    if (*h > 12)
      return DUSK_DATETIME_NO_SUCH;
    *h = *h % 12 + (pm ? 12 : 0);
  }
  return 0;
}

int dusk_parse_date_forms(const char *s, size_t len, int64_t *ns) {
  token t[MAX_TOKENS];
  size_t n, end;
  unsigned y = 0, mo = 0, d = 1, h = 0, mi = 0, sec = 0;
  const char *frac = "";
  size_t fdig = 0;
  char canon[48];
  int rc;
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  while (len > 0 && (*s == ' ' || *s == '\t')) {
    s++;
    len--;
  }
  if (tokenize(s, len, t, &n) != 0 || !parse_date(t, n, &y, &mo, &d, &end))
    return DUSK_DATETIME_FORM;
  if (end < n) { /* a time, after spaces or a 'T' */
    if (!sep_is(&t[end], ' ') && !word_is(&t[end], "t"))
      return DUSK_DATETIME_FORM;
    if ((rc = parse_time(t, n, end + 1, &h, &mi, &sec, &frac, &fdig)) != 0)
      return rc;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31)
    return DUSK_DATETIME_NO_SUCH;
  snprintf(canon, sizeof canon, "%04u-%02u-%02u %02u:%02u:%02u%s%.*s", y, mo,
           d, h > 99 ? 99 : h, mi, sec, fdig ? "." : "", (int)fdig, frac);
  return dusk_field_parse_datetime(canon, strlen(canon), ns);
}
