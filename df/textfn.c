/* textfn.c - see textfn.h. */
#include "textfn.h"

#include "errors.h"
#include "textcase_table.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Decodes the character at s[i] (n bytes): its code point and byte length.
 * A byte that starts no valid sequence (a stray continuation, an overlong
 * or truncated form, a surrogate) is one character of code point -1. */
static size_t utf8_next(const unsigned char *s, size_t n, size_t i,
                        int32_t *cp) {
  unsigned c = s[i];
  size_t len;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = (int32_t)c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, v = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, v = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    *cp = -1;
    return 1;
  }
  if (i + len > n) {
    *cp = -1;
    return 1;
  }
  for (size_t k = 1; k < len; k++) {
    if ((s[i + k] & 0xc0) != 0x80) {
      *cp = -1;
      return 1;
    }
    v = (v << 6) | (s[i + k] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) {
    *cp = -1;
    return 1;
  }
  *cp = (int32_t)v;
  return len;
}

static size_t utf8_put(uint32_t v, char *out) {
  if (v < 0x80) {
    out[0] = (char)v;
    return 1;
  }
  if (v < 0x800) {
    out[0] = (char)(0xc0 | (v >> 6));
    out[1] = (char)(0x80 | (v & 0x3f));
    return 2;
  }
  if (v < 0x10000) {
    out[0] = (char)(0xe0 | (v >> 12));
    out[1] = (char)(0x80 | ((v >> 6) & 0x3f));
    out[2] = (char)(0x80 | (v & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (v >> 18));
  out[1] = (char)(0x80 | ((v >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((v >> 6) & 0x3f));
  out[3] = (char)(0x80 | (v & 0x3f));
  return 4;
}

/* ---- case ----------------------------------------------------------------- */

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void open_utf8_locale(void) {
  utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static const char *special(const dusk_case_special *t, size_t n, uint32_t cp) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t[mid].cp == cp)
      return t[mid].utf8;
    if (t[mid].cp < cp)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static int map_case(const char *s, size_t n, dusk_buf *out, bool upper) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t run = i;
    int32_t cp;
    size_t len;
    char enc[4];
    const char *multi;
    /* ASCII runs map in place */
    while (run < n && u[run] < 0x80)
      run++;
    if (run > i) {
      size_t at = out->len;
      if (dusk_buf_append(out, s + i, run - i) != 0)
        return DUSK_ENOMEM;
      for (size_t k = at; k < out->len; k++) {
        char c = out->data[k];
        if (upper && c >= 'a' && c <= 'z')
          out->data[k] = (char)(c - 'a' + 'A');
        else if (!upper && c >= 'A' && c <= 'Z')
          out->data[k] = (char)(c - 'A' + 'a');
      }
      i = run;
      continue;
    }
    len = utf8_next(u, n, i, &cp);
    if (cp < 0) { /* kept as it is */
      if (dusk_buf_append(out, s + i, len) != 0)
        return DUSK_ENOMEM;
      i += len;
      continue;
    }
    if (!upper && cp == 0x3a3)
      return DUSK_ETYPE; /* capital sigma: final-sigma rule (textfn.h) */
    multi = upper ? special(dusk_upper_special,
                            sizeof dusk_upper_special / sizeof *dusk_upper_special,
                            (uint32_t)cp)
                  : special(dusk_lower_special,
                            sizeof dusk_lower_special / sizeof *dusk_lower_special,
                            (uint32_t)cp);
    if (multi != NULL) {
      if (dusk_buf_append(out, multi, strlen(multi)) != 0)
        return DUSK_ENOMEM;
    } else {
      wint_t m;
      pthread_once(&utf8_once, open_utf8_locale);
      if (utf8_locale == (locale_t)0)
        return DUSK_ETYPE;
      m = upper ? towupper_l((wint_t)cp, utf8_locale)
                : towlower_l((wint_t)cp, utf8_locale);
      if (dusk_buf_append(out, enc, utf8_put((uint32_t)m, enc)) != 0)
        return DUSK_ENOMEM;
    }
    i += len;
  }
  return 0;
}

int dusk_text_upper(const char *s, size_t n, dusk_buf *out) {
  return map_case(s, n, out, true);
}

int dusk_text_lower(const char *s, size_t n, dusk_buf *out) {
  return map_case(s, n, out, false);
}

/* ---- strip ---------------------------------------------------------------- */

/* Python's str.isspace(): Unicode White_Space plus the separators
 * U+001C..U+001F. */
static bool py_space(int32_t cp) {
  switch (cp) {
  case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x1c:
  case 0x1d: case 0x1e: case 0x1f: case 0x20: case 0x85: case 0xa0:
  case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f:
  case 0x3000:
    return true;
  default:
    return cp >= 0x2000 && cp <= 0x200a;
  }
}

/* Whether the character s[i..i+len) is one of chars (UTF-8). */
static bool in_chars(const char *s, size_t len, const char *chars,
                     size_t nchars) {
  const unsigned char *c = (const unsigned char *)chars;
  for (size_t j = 0; j < nchars;) {
    int32_t cp;
    size_t l = utf8_next(c, nchars, j, &cp);
    if (l == len && memcmp(chars + j, s, len) == 0)
      return true;
    j += l;
  }
  return false;
}

static bool strips(const unsigned char *u, size_t n, size_t i, size_t *len,
                   const char *chars, size_t nchars) {
  int32_t cp;
  *len = utf8_next(u, n, i, &cp);
  return chars == NULL ? cp >= 0 && py_space(cp)
                       : in_chars((const char *)u + i, *len, chars, nchars);
}

void dusk_text_strip(const char *s, size_t n, const char *chars,
                     size_t nchars, int sides, size_t *from, size_t *len) {
  const unsigned char *u = (const unsigned char *)s;
  size_t lo = 0, hi = n, l;
  if (sides & DUSK_STRIP_LEFT)
    while (lo < hi && strips(u, n, lo, &l, chars, nchars))
      lo += l;
  if (sides & DUSK_STRIP_RIGHT)
    while (hi > lo) {
      /* The last character: the sequence from the last byte that is no
       * continuation byte, if it decodes as one ending at hi; else the
       * last byte alone (a byte of invalid UTF-8 is a character). */
      size_t start = hi - 1, p = hi - 1;
      int32_t cp;
      while (p > lo && hi - p < 4 && (u[p] & 0xc0) == 0x80)
        p--;
      if (p < hi - 1 && utf8_next(u, n, p, &cp) == hi - p && cp >= 0)
        start = p;
      if (!strips(u, n, start, &l, chars, nchars) || start + l != hi)
        break;
      hi = start;
    }
  *from = lo;
  *len = hi - lo;
}

/* ---- slice ---------------------------------------------------------------- */

static int parse_bound(const char **p, const char *end, int64_t *v,
                       bool *has) {
  bool neg = false;
  uint64_t x = 0;
  const char *q = *p;
  *has = false;
  if (q < end && *q == '-') {
    neg = true;
    q++;
  }
  if (q == end || *q < '0' || *q > '9')
    return neg ? -1 : 0; /* absent (a lone '-' is malformed) */
  while (q < end && *q >= '0' && *q <= '9') {
    if (x > (uint64_t)INT64_MAX / 10)
      return -1;
    x = x * 10 + (uint64_t)(*q++ - '0');
    if (x > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
      return -1; /* past int64, as Python's slice of a str refuses too */
  }
  *v = neg ? (int64_t)(0 - x) : (int64_t)x;
  *has = true;
  *p = q;
  return 0;
}

int dusk_text_slice_parse(const char *text, size_t len, dusk_text_slice *sl) {
  const char *p = text, *end = text + len;
  memset(sl, 0, sizeof *sl);
  if (parse_bound(&p, end, &sl->start, &sl->has_start) != 0 || p == end ||
      *p++ != ':' || parse_bound(&p, end, &sl->stop, &sl->has_stop) != 0 ||
      p == end || *p++ != ':' ||
      parse_bound(&p, end, &sl->step, &sl->has_step) != 0 || p != end)
    return -1;
  if (sl->has_step && sl->step == 0)
    return -1;
  return 0;
}

/* Python's slice.indices(length) for one bound. */
static int64_t clamp_bound(int64_t v, int64_t length, bool backwards) {
  if (v < 0) {
    v += length;
    if (v < 0)
      v = backwards ? -1 : 0;
  } else if (v >= length) {
    v = backwards ? length - 1 : length;
  }
  return v;
}

int dusk_text_slice_apply(const char *s, size_t n, const dusk_text_slice *sl,
                          dusk_buf *out) {
  const unsigned char *u = (const unsigned char *)s;
  int64_t step = sl->has_step ? sl->step : 1, length = 0, start, stop;
  bool back = step < 0;
  size_t *at; /* byte offset of each character, and n after the last */
  int rc = 0;
  /* Plain ASCII with step 1 needs no offsets. */
  bool ascii = true;
  for (size_t i = 0; i < n && ascii; i++)
    ascii = u[i] < 0x80;
  if (ascii && step == 1) {
    length = (int64_t)n;
    start = sl->has_start ? clamp_bound(sl->start, length, false) : 0;
    stop = sl->has_stop ? clamp_bound(sl->stop, length, false) : length;
    return stop > start
               ? dusk_buf_append(out, s + start, (size_t)(stop - start))
               : 0;
  }
  if ((at = malloc((n + 1) * sizeof *at)) == NULL)
    return DUSK_ENOMEM;
  for (size_t i = 0; i < n;) {
    int32_t cp;
    at[length++] = i;
    i += utf8_next(u, n, i, &cp);
  }
  at[length] = n;
  start = sl->has_start ? clamp_bound(sl->start, length, back)
                        : (back ? length - 1 : 0);
  stop = sl->has_stop ? clamp_bound(sl->stop, length, back)
                      : (back ? -1 : length);
  /* k stays within [-1, length]: a step past the end stops first (no
   * overflow for a step near INT64_MAX) */
  {
    uint64_t ustep = back ? (uint64_t)0 - (uint64_t)step : (uint64_t)step;
    for (int64_t k = start; rc == 0 && (back ? k > stop : k < stop);) {
      rc = dusk_buf_append(out, s + at[k], at[k + 1] - at[k]);
      if ((uint64_t)(back ? k - stop : stop - k) <= ustep)
        break;
      k = back ? k - (int64_t)ustep : k + (int64_t)ustep;
    }
  }
  free(at);
  return rc ? DUSK_ENOMEM : 0;
}
