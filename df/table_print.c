/* table_print.c - the result table's writers: CSV, JSON and text that
 * print what pandas 1.5 prints for the same data.
 *
 * write_csv follows DataFrame.to_csv() and write_text follows
 * print(DataFrame) as pandas 1.5 runs them in a plain Python process with an
 * 80-column terminal: the algorithms below (float formatting, fixed widths,
 * MultiIndex sparsifying, row and column truncation) transcribe pandas'
 * pandas/io/formats/{format,string,printing}.py.  The pandas frame that a
 * table stands for has, per column type:
 *   int64   numpy int64, or nullable "Int64" when the column has a null;
 *   float64 numpy float64 with NaN for nulls;
 *   bool    numpy bool, or nullable "boolean" when the column has a null;
 *   string  object with NaN for nulls;
 * and its index is a RangeIndex (nindex == 0), an Index, or a MultiIndex.
 * Known differences: to_csv leaves a field holding a lone "\r" unquoted
 * (Python 3.11's csv module quotes only the line terminator "\n"); we quote
 * it, so the file reads back.  Widths count code points, as pandas does
 * without its east_asian_width option.
 *
 * write_json prints [{"name": value, ...}, ...] on one line: index columns
 * first, floats in Python repr (non-finite as null), strings escaped with
 * invalid UTF-8 replaced by U+FFFD. */
#include "table.h"

#include "fieldparse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pandas' display options at their defaults. */
#define TEXT_MAX_ROWS 60       /* display.max_rows */
#define TEXT_MIN_ROWS 10       /* display.min_rows */
#define TEXT_WIDTH 80          /* the terminal's width */
#define TEXT_MAX_COLWIDTH 50   /* display.max_colwidth */
#define TEXT_PRECISION 6       /* display.precision */
#define TEXT_MAX_SEQ_ITEMS 100 /* display.max_seq_items */

#define CK(expr)                                                               \
  do {                                                                         \
    int rc_ = (expr);                                                          \
    if (rc_ != 0)                                                              \
      return rc_;                                                              \
  } while (0)

/* ---- numbers as Python prints them --------------------------------------- */

/* Adds +1 or -1 to the last of the n decimal digits in dig, whose first
 * digit has decimal exponent *e, keeping n digits: 9.99 + 1 becomes 1.00
 * one power higher, 1.00 - 1 becomes 9.99 one power lower. */
static void step_digits(char *dig, size_t n, int *e, int dir) {
  size_t i = n;
  if (dir > 0) {
    while (i > 0 && dig[i - 1] == '9')
      dig[--i] = '0';
    if (i == 0) { /* 99.9 -> 100.0: one more power of ten */
      dig[0] = '1';
      (*e)++;
    } else {
      dig[i - 1]++;
    }
  } else {
    while (i > 0 && dig[i - 1] == '0')
      dig[--i] = '9';
    if (i > 0)
      dig[i - 1]--;
    if (dig[0] == '0') { /* 1.00 -> 0.99: n nines one power lower */
      memset(dig, '9', n);
      (*e)--;
    }
  }
}

static bool digits_round_trip(const char *dig, size_t n, int e, bool neg,
                              double v) {
  char buf[48];
  size_t k = 0;
  if (neg)
    buf[k++] = '-';
  buf[k++] = dig[0];
  buf[k++] = '.';
  memcpy(buf + k, dig + 1, n - 1);
  k += n - 1;
  snprintf(buf + k, sizeof buf - k, "e%d", e);
  return strtod(buf, NULL) == v;
}

/* v's decimal digits, a '-' first when negative, into out (at least 21
 * bytes), NUL-terminated, without printf.  Returns the length. */
static size_t int_text(int64_t v, char *out) {
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  char rev[20];
  size_t n = 0, k = 0;
  do {
    rev[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0)
    out[k++] = '-';
  while (n > 0)
    out[k++] = rev[--n];
  out[k] = '\0';
  return k;
}

/* The shortest decimal digits that read back as v (finite, nonzero),
 * among those the nearest to v: dig[0..n) (no trailing zeros), the first
 * digit's decimal exponent in *e.  dig holds 20 bytes.  Returns n. */
static size_t shortest_digits(double v, char *dig, int *e_out) {
  char buf[40];
  size_t n = 0;
  int e = 0;
  bool neg = signbit(v) != 0, found = false;
  for (int p = 1; p <= 17 && !found; p++) {
    char *s = buf;
    snprintf(buf, sizeof buf, "%.*e", p - 1, v);
    if (*s == '-')
      s++;
    n = 0;
    for (; *s != 'e'; s++)
      if (*s != '.')
        dig[n++] = *s;
    e = atoi(s + 1);
    if (strtod(buf, NULL) == v) {
      found = true;
    } else if (p < 17) {
      /* Near a power of two the correctly rounded p digits may miss while
       * a neighbour with p digits still reads back. */
      for (int dir = 1; dir >= -1 && !found; dir -= 2) {
        char alt[20];
        int ae = e;
        memcpy(alt, dig, n);
        step_digits(alt, n, &ae, dir);
        if (digits_round_trip(alt, n, ae, neg, v)) {
          memcpy(dig, alt, n);
          e = ae;
          found = true;
        }
      }
    }
  }
  while (n > 1 && dig[n - 1] == '0')
    n--;
  *e_out = e;
  return n;
}

/* Writes repr(v) as Python 3 prints a float: the shortest digits that read
 * back as v (among those the nearest to v), positional for exponents -4 to
 * 15 with at least one decimal ("1.0"), scientific otherwise ("1e-05",
 * "1.5e+16").  out holds at least 32 bytes.  Returns the length. */
static size_t fmt_repr(double v, char *out) {
  char dig[20];
  size_t n, k = 0;
  int e = 0;
  bool neg = signbit(v) != 0;

  /* a whole number below 1e16 is its digits and ".0" (the common case of
   * to_csv's int columns holding a null, pandas' float64) */
  if (v == trunc(v) && fabs(v) < 1e16 && v != 0) {
    n = int_text((int64_t)v, out);
    memcpy(out + n, ".0", 3);
    return n + 2;
  }
  if (isnan(v))
    return (size_t)snprintf(out, 32, "nan");
  if (isinf(v))
    return (size_t)snprintf(out, 32, "%s", neg ? "-inf" : "inf");
  if (v == 0)
    return (size_t)snprintf(out, 32, "%s", neg ? "-0.0" : "0.0");
  n = shortest_digits(v, dig, &e);
  if (neg)
    out[k++] = '-';
  if (e >= -4 && e < 16) {
    if (e >= 0) {
      for (int i = 0; i <= e; i++)
        out[k++] = (size_t)i < n ? dig[i] : '0';
      out[k++] = '.';
      if (n > (size_t)e + 1) {
        memcpy(out + k, dig + e + 1, n - (size_t)e - 1);
        k += n - (size_t)e - 1;
      } else {
        out[k++] = '0';
      }
    } else {
      out[k++] = '0';
      out[k++] = '.';
      for (int i = 0; i < -e - 1; i++)
        out[k++] = '0';
      memcpy(out + k, dig, n);
      k += n;
    }
    out[k] = '\0';
    return k;
  }
  out[k++] = dig[0];
  if (n > 1) {
    out[k++] = '.';
    memcpy(out + k, dig + 1, n - 1);
    k += n - 1;
  }
  k += (size_t)snprintf(out + k, 32 - k, "e%c%02d", e < 0 ? '-' : '+',
                        e < 0 ? -e : e);
  return k;
}

size_t dusk_table_format_float(double v, char *out) { return fmt_repr(v, out); }

/* ---- output helpers -------------------------------------------------------
 */

static int finish_write(FILE *f) {
  if (fflush(f) != 0 || ferror(f))
    return errno != 0 ? -errno : -EIO;
  return 0;
}

/* Length of the UTF-8 sequence at s[0..len): 1..4, or 0 when it is not a
 * valid (shortest-form, non-surrogate, <= U+10FFFF) sequence. */
static size_t utf8_seq(const unsigned char *s, size_t len) {
  unsigned c = s[0];
  size_t n;
  uint32_t cp;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return n;
}

/* Characters in s: a valid sequence counts one, any other byte one. */
static size_t text_width(const char *s, size_t len) {
  size_t w = 0;
  for (size_t i = 0; i < len; w++) {
    size_t n = utf8_seq((const unsigned char *)s + i, len - i);
    i += n > 0 ? n : 1;
  }
  return w;
}

/* Bytes taken by the first `chars` characters of s. */
static size_t text_prefix(const char *s, size_t len, size_t chars) {
  size_t i = 0;
  for (size_t w = 0; w < chars && i < len; w++) {
    size_t n = utf8_seq((const unsigned char *)s + i, len - i);
    i += n > 0 ? n : 1;
  }
  return i;
}

/* Two-level column names (value.h DUSK_LEVEL_SEP, pandas' MultiIndex of
 * columns): whether t's data columns have them, and a name's two parts
 * (a name without the separator is (name, ""), as pandas' reset_index
 * names a moved index level among such columns). */
static bool two_level(const dusk_table *t) {
  for (size_t i = t->nindex; i < t->ncols; i++)
    if (strchr(t->cols[i].name, DUSK_LEVEL_SEP) != NULL)
      return true;
  return false;
}

static dusk_slice name_level(const char *name, int level) {
  const char *sep = strchr(name, DUSK_LEVEL_SEP);
  dusk_slice s;
  if (sep == NULL) {
    s.ptr = level == 0 ? name : "";
    s.len = level == 0 ? strlen(name) : 0;
  } else {
    s.ptr = level == 0 ? name : sep + 1;
    s.len = level == 0 ? (size_t)(sep - name) : strlen(sep + 1);
  }
  return s;
}

static bool column_has_null(const dusk_table *t, size_t col) {
  return t->nrows > 0 && memchr(t->cols[col].valid, 0, t->nrows) != NULL;
}

static dusk_slice cell_str(const dusk_table_column *c, size_t r) {
  dusk_slice s;
  s.ptr = c->str_data != NULL ? c->str_data + c->str_off[r] : "";
  s.len = (size_t)(c->str_off[r + 1] - c->str_off[r]);
  return s;
}

/* ---- CSV ------------------------------------------------------------------
 */

/* One field as Python's csv module writes it under QUOTE_MINIMAL, except
 * that a lone "\r" also forces quotes.  `alone` marks the only field of a
 * row, which csv quotes when empty so the row is not a blank line. */
static void csv_field(FILE *f, const char *s, size_t len, bool alone) {
  bool quote = alone && len == 0;
  for (size_t i = 0; i < len && !quote; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  if (!quote) {
    fwrite_unlocked(s, 1, len, f);
    return;
  }
  fputc('"', f);
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '"')
      fputc('"', f);
    fputc(s[i], f);
  }
  fputc('"', f);
}

/* The text of one cell in to_csv: empty for nulls and NaN. */
static size_t csv_cell(const dusk_table_column *c, size_t r, char *tmp,
                       dusk_slice *s) {
  s->ptr = tmp;
  s->len = 0;
  tmp[0] = '\0';
  if (!c->valid[r])
    return 0;
  switch (c->type) {
  case DUSK_TYPE_INT64:
    s->len = int_text(c->i64[r], tmp);
    break;
  case DUSK_TYPE_FLOAT64:
    if (!isnan(c->f64[r]))
      s->len = fmt_repr(c->f64[r], tmp);
    break;
  case DUSK_TYPE_BOOL:
    s->len = c->b[r] ? 4 : 5;
    memcpy(tmp, c->b[r] ? "True" : "False", s->len + 1);
    break;
  case DUSK_TYPE_STRING:
    *s = cell_str(c, r);
    break;
  case DUSK_TYPE_NULL:
    break;
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
  return s->len;
}

/* DataFrame.to_csv's header of two-level column names: a line per level
 * (blank over the index), then the index's names, if any, on a line of
 * their own. */
static void csv_two_level_header(const dusk_table *t, FILE *f) {
  size_t nidx = t->nindex ? t->nindex : 1;
  bool named = false;
  for (int level = 0; level < 2; level++) {
    for (size_t i = 1; i < nidx; i++)
      fputc(',', f);
    for (size_t i = t->nindex; i < t->ncols; i++) {
      dusk_slice part = name_level(t->cols[i].name, level);
      fputc(',', f);
      csv_field(f, part.ptr, part.len, false);
    }
    fputc('\n', f);
  }
  for (size_t i = 0; i < t->nindex; i++)
    named |= t->cols[i].name[0] != '\0';
  if (!named)
    return;
  for (size_t i = 0; i < t->nindex; i++) {
    if (i > 0)
      fputc(',', f);
    csv_field(f, t->cols[i].name, strlen(t->cols[i].name), false);
  }
  for (size_t i = t->nindex; i < t->ncols; i++)
    fputc(',', f);
  fputc('\n', f);
}

static bool int_as_float(const dusk_table_column *col);

/* A cell of a column times_as_text would have turned: a datetime's,
 * date's or timedelta's text (digits[c] as it computes them), an int
 * column holding a null anywhere as pandas' float64.  false for another
 * cell (csv_cell's). */
static bool csv_time_cell(const dusk_table_column *col, size_t r, int digits,
                          char *tmp, dusk_slice *s) {
  if (!col->valid[r] || col->type != DUSK_TYPE_INT64)
    return false;
  s->ptr = tmp;
  if (int_as_float(col))
    s->len = fmt_repr((double)col->i64[r], tmp);
  else if (col->logical == DUSK_TYPE_TIMEDELTA)
    s->len = dusk_format_timedelta(col->i64[r], digits, tmp);
  else if (col->logical != 0)
    s->len = dusk_format_datetime(col->i64[r], digits, tmp);
  else
    return false;
  return true;
}

/* t's rows, the first at position pos (the label written when t has no
 * index), with time columns formatted to digits[c]. */
static void csv_rows(const dusk_table *t, size_t pos, const int *digits,
                     bool alone, FILE *f) {
  char tmp[64];
  for (size_t r = 0; r < t->nrows; r++) {
    if (t->nindex == 0) /* the row's position: its digits */
      fwrite_unlocked(tmp, 1, int_text((int64_t)(pos + r), tmp), f);
    for (size_t i = 0; i < t->ncols; i++) {
      dusk_slice s;
      if (i > 0 || t->nindex == 0)
        putc_unlocked(',', f); /* the caller holds f's lock */
      if (!csv_time_cell(&t->cols[i], r, digits[i], tmp, &s))
        csv_cell(&t->cols[i], r, tmp, &s);
      csv_field(f, s.ptr, s.len, alone);
    }
    putc_unlocked('\n', f);
    if (ferror(f))
      break;
  }
}

/* Rows a write through an order gathers at a time: a row's cells spread
 * over every column, so reading them in a random order row by row waits
 * on memory for each; gathered a column at a time into a small table
 * (cache-resident, reused from the heap) they stream. */
#define CSV_ORDER_CHUNK 4096

/* t's rows as to_csv writes them, in the order order[0..t->nrows) (a
 * permutation) or, order NULL, as they are: straight from the table, times
 * and int-as-float cells formatted as they are written (times_as_text
 * would copy the table first, row by row - the bulk of writing a sorted
 * frame's parts). */
static int write_csv(const dusk_table *t, const size_t *order, FILE *f) {
  size_t nfields = t->ncols + (t->nindex == 0 ? 1 : 0);
  bool alone = nfields == 1;
  int *digits = calloc(t->ncols + 1, sizeof *digits);
  if (digits == NULL)
    return DUSK_ENOMEM;
  for (size_t c = 0; c < t->ncols; c++) {
    const dusk_table_column *col = &t->cols[c];
    if (col->type != DUSK_TYPE_INT64 || !col->logical)
      continue;
    digits[c] = col->logical == DUSK_TYPE_DATE
                    ? -1
                    : dusk_time_digits(col->i64, col->valid, t->nrows,
                                       col->logical == DUSK_TYPE_DATETIME);
  }

  errno = 0;
  if (two_level(t)) {
    csv_two_level_header(t, f);
  } else {
    if (t->nindex == 0)
      csv_field(f, "", 0, alone);
    for (size_t i = 0; i < t->ncols; i++) {
      if (i > 0 || t->nindex == 0)
        fputc(',', f);
      csv_field(f, t->cols[i].name, strlen(t->cols[i].name), alone);
    }
    fputc('\n', f);
  }
  if (order == NULL) {
    csv_rows(t, 0, digits, alone, f);
  } else {
    for (size_t i = 0; i < t->nrows && !ferror(f); i += CSV_ORDER_CHUNK) {
      size_t k = t->nrows - i < CSV_ORDER_CHUNK ? t->nrows - i
                                                : CSV_ORDER_CHUNK;
      dusk_table *chunk = NULL;
      int rc = dusk_table_take(t, order + i, k, &chunk);
      if (rc != 0) {
        free(digits);
        return rc;
      }
      csv_rows(chunk, i, digits, alone, f);
      dusk_table_free(chunk);
    }
  }
  free(digits);
  return finish_write(f);
}

/* ---- JSON -----------------------------------------------------------------
 */

/* Whether byte c is written as it is inside a JSON string: printable
 * ASCII other than the quote and the backslash. */
static bool json_plain(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static void json_string(FILE *f, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  fputc_unlocked('"', f);
  for (size_t i = 0; i < len;) {
    unsigned c = p[i];
    size_t n;
    if (json_plain((unsigned char)c)) { /* a run of plain bytes at once */
      size_t j = i + 1;
      while (j < len && json_plain(p[j]))
        j++;
      fwrite_unlocked(p + i, 1, j - i, f);
      i = j;
      continue;
    }
    n = utf8_seq(p + i, len - i);
    if (n == 0) {
      fputs("\\ufffd", f);
      i++;
      continue;
    }
    if (n > 1) {
      fwrite_unlocked(p + i, 1, n, f);
      i += n;
      continue;
    }
    switch (c) {
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    case '\r':
      fputs("\\r", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    case '\b':
      fputs("\\b", f);
      break;
    case '\f':
      fputs("\\f", f);
      break;
    default:
      fprintf(f, "\\u%04x", c);
    }
    i++;
  }
  fputc_unlocked('"', f);
}

/* Python's repr() of a str, as pandas' to_json writes a tuple key. */
static void py_repr(FILE *f, dusk_slice s) {
  bool squote = memchr(s.ptr, '\'', s.len) != NULL;
  char q = squote && memchr(s.ptr, '"', s.len) == NULL ? '"' : '\'';
  fputc(q, f);
  for (size_t i = 0; i < s.len; i++) {
    unsigned char ch = (unsigned char)s.ptr[i];
    if (ch == '\\' || ch == (unsigned char)q)
      fprintf(f, "\\%c", ch);
    else if (ch == '\n')
      fputs("\\n", f);
    else if (ch == '\r')
      fputs("\\r", f);
    else if (ch == '\t')
      fputs("\\t", f);
    else if (ch < 0x20 || ch == 0x7f)
      fprintf(f, "\\x%02x", ch);
    else
      fputc(ch, f);
  }
  fputc(q, f);
}

/* A data column's key: its name, or pandas' "('top', 'sub')" of a
 * two-level one. */
static void json_key(const dusk_table *t, size_t i, bool levels, FILE *f) {
  const char *name = t->cols[i].name;
  char *text = NULL;
  size_t len = 0;
  FILE *m;
  if (!levels || i < t->nindex) {
    json_string(f, name, strlen(name));
    return;
  }
  if ((m = open_memstream(&text, &len)) == NULL) {
    json_string(f, name, strlen(name));
    return;
  }
  fputc('(', m);
  py_repr(m, name_level(name, 0));
  fputs(", ", m);
  py_repr(m, name_level(name, 1));
  fputc(')', m);
  fclose(m);
  json_string(f, text, len);
  free(text);
}

static int write_json(const dusk_table *t, FILE *f) {
  char tmp[40];
  bool levels = two_level(t);
  /* each column's "key": text, escaped once rather than once a row */
  char **keys = calloc(t->ncols + 1, sizeof *keys);
  size_t *key_len = calloc(t->ncols + 1, sizeof *key_len);
  int rc = 0;

  for (size_t i = 0; i < t->ncols && keys != NULL && key_len != NULL; i++) {
    FILE *m = open_memstream(&keys[i], &key_len[i]);
    if (m == NULL) {
      rc = DUSK_ENOMEM;
      break;
    }
    json_key(t, i, levels, m);
    fputc(':', m);
    if (fclose(m) != 0) {
      rc = DUSK_ENOMEM;
      break;
    }
  }
  if (keys == NULL || key_len == NULL)
    rc = DUSK_ENOMEM;
  errno = 0;
  if (rc == 0) {
    fputc('[', f);
    for (size_t r = 0; r < t->nrows; r++) {
      fputs(r > 0 ? ",{" : "{", f);
      for (size_t i = 0; i < t->ncols; i++) {
        const dusk_table_column *c = &t->cols[i];
        dusk_slice cell;
        if (i > 0)
          fputc_unlocked(',', f);
        fwrite_unlocked(keys[i], 1, key_len[i], f);
        if (!c->valid[r]) {
          fputs("null", f);
          continue;
        }
        switch (c->type) {
        case DUSK_TYPE_INT64:
          csv_cell(c, r, tmp, &cell); /* the digits, without printf */
          fwrite_unlocked(cell.ptr, 1, cell.len, f);
          break;
        case DUSK_TYPE_FLOAT64:
          if (isfinite(c->f64[r])) {
            fmt_repr(c->f64[r], tmp);
            fputs(tmp, f);
          } else {
            fputs("null", f);
          }
          break;
        case DUSK_TYPE_BOOL:
          fputs(c->b[r] ? "true" : "false", f);
          break;
        case DUSK_TYPE_STRING:
          cell = cell_str(c, r);
          json_string(f, cell.ptr, cell.len);
          break;
        case DUSK_TYPE_NULL:
          fputs("null", f);
          break;
        case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
        case DUSK_TYPE_TIMEDELTA:
        case DUSK_TYPE_DATE:
          break;
        }
      }
      fputc_unlocked('}', f);
      if (ferror(f))
        break;
    }
    fputs("]\n", f);
  }
  for (size_t i = 0; keys != NULL && i < t->ncols; i++)
    free(keys[i]);
  free(keys);
  free(key_len);
  return rc != 0 ? rc : finish_write(f);
}

/* ---- text: print(DataFrame) ------------------------------------------------
 *
 * pandas renders a frame as "strcols": one list of strings per printed
 * column (the index first), each already padded to a common width, then
 * glued side by side.  The code below keeps that shape so each step can be
 * checked against the Python it transcribes. */

typedef struct cell {
  char *s;
  size_t len; /* bytes */
  size_t w;   /* characters */
} cell;

typedef struct strcol {
  cell *v;
  size_t n, cap;
} strcol;

static void sc_free(strcol *c) {
  for (size_t i = 0; i < c->n; i++)
    free(c->v[i].s);
  free(c->v);
  memset(c, 0, sizeof *c);
}

static void sc_free_all(strcol *cols, size_t n) {
  for (size_t i = 0; i < n; i++)
    sc_free(&cols[i]);
  free(cols);
}

/* Inserts a copy of s[0..len) at position at (<= n). */
static int sc_insert(strcol *c, size_t at, const char *s, size_t len) {
  cell x;
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 16;
    cell *v = realloc(c->v, cap * sizeof *v);
    if (v == NULL)
      return DUSK_ENOMEM;
    c->v = v;
    c->cap = cap;
  }
  if ((x.s = malloc(len + 1)) == NULL)
    return DUSK_ENOMEM;
  if (len > 0)
    memcpy(x.s, s, len);
  x.s[len] = '\0';
  x.len = len;
  x.w = text_width(s, len);
  memmove(&c->v[at + 1], &c->v[at], (c->n - at) * sizeof *c->v);
  c->v[at] = x;
  c->n++;
  return 0;
}

static int sc_push(strcol *c, const char *s, size_t len) {
  return sc_insert(c, c->n, s, len);
}

static int sc_pushs(strcol *c, const char *s) {
  return sc_push(c, s, strlen(s));
}

/* Replaces cell x by `pre` spaces + x[0..keep) + tail + `post` spaces. */
static int cell_rebuild(cell *x, size_t pre, size_t keep, const char *tail,
                        size_t post) {
  size_t tl = strlen(tail), len = pre + keep + tl + post;
  char *s = malloc(len + 1);
  if (s == NULL)
    return DUSK_ENOMEM;
  memset(s, ' ', pre);
  if (keep > 0)
    memcpy(s + pre, x->s, keep);
  memcpy(s + pre + keep, tail, tl);
  memset(s + pre + keep + tl, ' ', post);
  s[len] = '\0';
  free(x->s);
  x->s = s;
  x->len = len;
  x->w = text_width(s, len);
  return 0;
}

/* str.ljust / str.rjust to width characters. */
static int cell_justify(cell *x, size_t width, bool left) {
  size_t pad = x->w < width ? width - x->w : 0;
  if (pad == 0)
    return 0;
  return cell_rebuild(x, left ? 0 : pad, x->len, "", left ? pad : 0);
}

static int sc_justify(strcol *c, size_t width, bool left) {
  for (size_t i = 0; i < c->n; i++)
    CK(cell_justify(&c->v[i], width, left));
  return 0;
}

static size_t sc_width(const strcol *c) {
  size_t w = 0;
  for (size_t i = 0; i < c->n; i++)
    if (c->v[i].w > w)
      w = c->v[i].w;
  return w;
}

/* format.py _make_fixed_width: pads to the widest (at least minimum), but
 * cuts to display.max_colwidth with "...". */
static int make_fixed_width(strcol *c, bool left, size_t minimum) {
  size_t max_len;
  if (c->n == 0)
    return 0;
  max_len = sc_width(c);
  if (minimum > max_len)
    max_len = minimum;
  if (max_len > TEXT_MAX_COLWIDTH)
    max_len = TEXT_MAX_COLWIDTH;
  for (size_t i = 0; i < c->n; i++) {
    cell *x = &c->v[i];
    if (x->w > max_len)
      CK(cell_rebuild(x, 0, text_prefix(x->s, x->len, max_len - 3), "...", 0));
  }
  return sc_justify(c, max_len, left);
}

/* format.py trim_front: drops leading spaces common to all. */
static int trim_front(strcol *c) {
  for (;;) {
    for (size_t i = 0; i < c->n; i++)
      if (c->v[i].len == 0 || c->v[i].s[0] != ' ')
        return 0;
    if (c->n == 0)
      return 0;
    for (size_t i = 0; i < c->n; i++) {
      cell *x = &c->v[i];
      memmove(x->s, x->s + 1, x->len);
      x->len--;
      x->w--;
    }
  }
}

/* pprint_thing(x, escape_chars=("\t", "\r", "\n")). */
static int push_escaped(strcol *c, const char *s, size_t len, bool lead) {
  size_t n = lead ? 1 : 0;
  char *b;
  int rc;
  for (size_t i = 0; i < len; i++)
    n += (s[i] == '\t' || s[i] == '\r' || s[i] == '\n') ? 2 : 1;
  if ((b = malloc(n + 1)) == NULL)
    return DUSK_ENOMEM;
  n = 0;
  if (lead)
    b[n++] = ' ';
  for (size_t i = 0; i < len; i++) {
    char ch = s[i];
    if (ch == '\t' || ch == '\r' || ch == '\n') {
      b[n++] = '\\';
      b[n++] = ch == '\t' ? 't' : ch == '\r' ? 'r' : 'n';
    } else {
      b[n++] = ch;
    }
  }
  rc = sc_push(c, b, n);
  free(b);
  return rc;
}

/* format.py _trim_zeros_float's regex: ^\s*[\+-]?[0-9]+\.[0-9]*$ */
static bool number_with_decimal(const cell *x) {
  size_t i = 0, d = 0;
  while (i < x->len && strchr(" \t\n\r\f\v", x->s[i]) != NULL)
    i++;
  if (i < x->len && (x->s[i] == '+' || x->s[i] == '-'))
    i++;
  while (i < x->len && x->s[i] >= '0' && x->s[i] <= '9')
    i++, d++;
  if (d == 0 || i >= x->len || x->s[i] != '.')
    return false;
  for (i++; i < x->len; i++)
    if (x->s[i] < '0' || x->s[i] > '9')
      return false;
  return true;
}

static int trim_zeros_float(strcol *c) {
  for (;;) {
    size_t nums = 0;
    bool all_zero = true;
    for (size_t i = 0; i < c->n; i++)
      if (number_with_decimal(&c->v[i])) {
        nums++;
        all_zero = all_zero && c->v[i].s[c->v[i].len - 1] == '0';
      }
    if (nums == 0 || !all_zero)
      break;
    for (size_t i = 0; i < c->n; i++)
      if (number_with_decimal(&c->v[i])) {
        cell *x = &c->v[i];
        x->s[--x->len] = '\0';
        x->w--;
      }
  }
  for (size_t i = 0; i < c->n; i++) {
    cell *x = &c->v[i];
    if (number_with_decimal(x) && x->s[x->len - 1] == '.')
      CK(cell_rebuild(x, 0, x->len, "0", 0));
  }
  return 0;
}

/* FloatArrayFormatter.get_result_as_array with fixed_width and a leading
 * space: "% .6f" trimmed of shared zeros, or "% .6e" when a value would
 * print as zero or large values make the column too wide.  na[i] marks
 * NaN and nulls; `left` is the index's justification (NaN gets a space). */
static int float_strings(const double *v, const bool *na, size_t n, bool left,
                         strcol *out) {
  bool large = false, small = false;
  size_t maxlen;

  for (int pass = 0; pass < 2; pass++) {
    sc_free(out);
    for (size_t i = 0; i < n; i++) {
      char buf[400];
      int len;
      if (na[i]) {
        CK(sc_pushs(out, left ? " NaN" : "NaN"));
        continue;
      }
      if (pass == 0)
        len = snprintf(buf, sizeof buf, "% .*f", TEXT_PRECISION, v[i]);
      else
        len = snprintf(buf, sizeof buf, "% .*e", TEXT_PRECISION, v[i]);
      CK(sc_push(out, buf, (size_t)len));
    }
    CK(trim_zeros_float(out));
    if (pass == 1)
      break;
    maxlen = sc_width(out);
    for (size_t i = 0; i < n; i++) {
      double a = fabs(v[i]);
      if (na[i])
        continue;
      large = large || a > 1e6;
      small = small || (a < 1e-6 && a > 0);
    }
    if (!(small || (maxlen > TEXT_PRECISION + 6 && large)))
      break;
  }
  return 0;
}

/* What print(df) shows of a frame: rows and data columns left after
 * truncation, as in DataFrameFormatter. */
typedef struct view {
  const dusk_table *t;
  size_t ndata; /* data columns of the frame */
  size_t *rows; /* rows shown */
  size_t nrows;
  bool trunc_v;
  size_t tr_row_num; /* rows shown above the "..." line */
  size_t *cols;      /* table column of each data column shown */
  size_t ncols;
  size_t mcf;        /* max_cols_fitted, 0 = no limit */
  size_t tr_col_num; /* data columns shown left of the "..." column */
  /* per table column, or NULL: its text prints without format_array's
   * leading space (see bare_columns) */
  const bool *bare;
} view;

static bool view_trunc_h(const view *v) {
  return v->mcf != 0 && v->ndata > v->mcf;
}

/* DataFrameFormatter.truncate's horizontal half: the first and last
 * mcf / 2 of the columns shown so far. */
static void view_truncate_h(view *v) {
  size_t k = v->mcf / 2, m = v->ncols, n = 0;
  size_t *cols;
  if (!view_trunc_h(v))
    return;
  cols = v->cols;
  /* Keep cols[0..k) and cols[m-k..m), in place.  mcf never exceeds the
   * columns shown, so the halves do not overlap; the clamp only keeps the
   * copy safe. */
  if (k > m / 2)
    k = m / 2;
  for (size_t i = 0; i < k; i++)
    cols[n++] = cols[i];
  for (size_t i = m - k; i < m; i++)
    cols[n++] = cols[i];
  v->ncols = n;
  v->tr_col_num = k;
}

/* One index level's strings for the rows shown (Index.format without the
 * name).  With `multi`, MultiIndex.format's handling of nulls: a level
 * holds no nulls, so a null row formats as the level's largest value (over
 * the rows shown, as pandas rebuilds the levels of a truncated frame) and
 * then shows the level's na text, "<NA>" for Int64 and boolean levels and
 * "NaN" for the others. */
static int index_level(const view *v, size_t col, bool multi, strcol *out) {
  const dusk_table *t = v->t;
  const dusk_table_column *c = &t->cols[col];
  bool nullable = column_has_null(t, col) || c->masked;
  size_t n = v->nrows;
  char buf[48];

  switch (c->type) {
  case DUSK_TYPE_INT64: {
    /* int64 (or Int64 with nulls) via format_array(justify="left"), then
     * trim_front. */
    int64_t sub = INT64_MIN;
    bool any = false;
    for (size_t i = 0; multi && i < n; i++) {
      size_t r = v->rows[i];
      if (c->valid[r] && (!any || c->i64[r] > sub))
        sub = c->i64[r], any = true;
    }
    if (multi && nullable && !any) {
      for (size_t i = 0; i < n; i++)
        CK(sc_pushs(out, "<NA>"));
      return 0;
    }
    for (size_t i = 0; i < n; i++) {
      size_t r = v->rows[i];
      bool ok = c->valid[r];
      int64_t x = ok ? c->i64[r] : sub;
      int len;
      if (!ok && !multi)
        len = snprintf(buf, sizeof buf, " <NA>");
      else if (nullable)
        len = snprintf(buf, sizeof buf, " %lld", (long long)x);
      else
        len = snprintf(buf, sizeof buf, "% lld", (long long)x);
      CK(sc_push(out, buf, (size_t)len));
    }
    CK(make_fixed_width(out, true, 0));
    CK(trim_front(out));
    break;
  }
  case DUSK_TYPE_FLOAT64: {
    double *vals = malloc((n ? n : 1) * sizeof *vals);
    bool *na = malloc((n ? n : 1) * sizeof *na);
    double sub = 0;
    bool any = false;
    int rc;
    if (vals == NULL || na == NULL) {
      free(vals);
      free(na);
      return DUSK_ENOMEM;
    }
    for (size_t i = 0; multi && i < n; i++) {
      size_t r = v->rows[i];
      if (c->valid[r] && !isnan(c->f64[r]) && (!any || c->f64[r] > sub))
        sub = c->f64[r], any = true;
    }
    for (size_t i = 0; i < n; i++) {
      size_t r = v->rows[i];
      bool ok = c->valid[r] && !isnan(c->f64[r]);
      vals[i] = ok ? c->f64[r] : sub;
      na[i] = !ok && !(multi && any);
    }
    rc = float_strings(vals, na, n, true, out);
    free(vals);
    free(na);
    CK(rc);
    CK(make_fixed_width(out, true, 0));
    CK(trim_front(out));
    break;
  }
  case DUSK_TYPE_BOOL:
    /* An object (or "boolean") Index: no shared formatting. */
    for (size_t i = 0; i < n; i++) {
      size_t r = v->rows[i];
      CK(sc_pushs(out, !c->valid[r] ? "<NA>" : c->b[r] ? "True" : "False"));
    }
    break;
  case DUSK_TYPE_STRING:
    for (size_t i = 0; i < n; i++) {
      size_t r = v->rows[i];
      if (!c->valid[r]) {
        CK(sc_pushs(out, "NaN"));
      } else {
        dusk_slice s = cell_str(c, r);
        CK(push_escaped(out, s.ptr, s.len, false));
      }
    }
    return 0;
  case DUSK_TYPE_NULL:
    break;
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
  if (multi) { /* the nulls' na text replaces what was formatted */
    for (size_t i = 0; i < n; i++) {
      size_t r = v->rows[i];
      bool na =
          !c->valid[r] || (c->type == DUSK_TYPE_FLOAT64 && isnan(c->f64[r]));
      if (na) {
        const char *txt = c->type == DUSK_TYPE_FLOAT64 ? "NaN" : "<NA>";
        free(out->v[i].s);
        out->v[i].s = NULL;
        out->v[i].len = out->v[i].w = 0;
        CK(cell_rebuild(&out->v[i], 0, 0, txt, 0));
      }
    }
  }
  return 0;
}

/* pandas.core.indexes.multi.sparsify_labels with start = 1 (row 0 holds
 * the names): a label equal to the one above, with all labels to its left
 * equal too, is blanked; the last level never is.  Comparisons use the
 * texts as formatted, before any blanking. */
static int sparsify(strcol *levels, size_t k) {
  size_t n = levels[0].n;
  cell *prev = calloc(2 * k, sizeof *prev), *cur = prev + k;
  int rc = 0;

  if (prev == NULL)
    return DUSK_ENOMEM;
  for (size_t r = 1; r < n && rc == 0; r++) {
    for (size_t l = 0; l < k && rc == 0; l++) {
      const cell *x = &levels[l].v[r];
      cur[l].len = x->len;
      if ((cur[l].s = malloc(x->len + 1)) == NULL)
        rc = DUSK_ENOMEM;
      else
        memcpy(cur[l].s, x->s, x->len + 1);
    }
    for (size_t l = 0; r >= 2 && rc == 0 && l + 1 < k; l++) {
      cell *x = &levels[l].v[r];
      if (prev[l].len != cur[l].len ||
          memcmp(prev[l].s, cur[l].s, cur[l].len) != 0)
        break;
      x->s[0] = '\0';
      x->len = x->w = 0;
    }
    for (size_t l = 0; l < k; l++) {
      free(prev[l].s);
      prev[l] = cur[l];
      cur[l].s = NULL;
    }
  }
  for (size_t l = 0; l < 2 * k; l++)
    free(prev[l].s);
  free(prev);
  return rc;
}

/* printing.adjoin(space, *cols) into lines: every column but the last
 * padded to its width + space, the last to its width. */
static int adjoin_by(const strcol *cols, size_t ncols, size_t space,
                     strcol *lines) {
  size_t rows = 0, total = 0;
  size_t *width = calloc(ncols ? ncols : 1, sizeof *width);
  char *buf;
  int rc = 0;

  if (width == NULL)
    return DUSK_ENOMEM;
  for (size_t i = 0; i < ncols; i++) {
    width[i] = sc_width(&cols[i]) + (i + 1 < ncols ? space : 0);
    if (cols[i].n > rows)
      rows = cols[i].n;
    for (size_t r = 0; r < cols[i].n; r++)
      if (cols[i].v[r].len > total)
        total = cols[i].v[r].len;
  }
  /* A line's bytes: every cell, or its padding, at most. */
  total = (total + 1) * ncols;
  for (size_t i = 0; i < ncols; i++)
    total += width[i];
  if ((buf = malloc(total + 1)) == NULL) {
    free(width);
    return DUSK_ENOMEM;
  }
  for (size_t r = 0; r < rows && rc == 0; r++) {
    size_t len = 0;
    for (size_t i = 0; i < ncols; i++) {
      size_t w = 0;
      if (r < cols[i].n) {
        memcpy(buf + len, cols[i].v[r].s, cols[i].v[r].len);
        len += cols[i].v[r].len;
        w = cols[i].v[r].w;
      }
      for (; w < width[i]; w++)
        buf[len++] = ' ';
    }
    rc = sc_push(lines, buf, len);
  }
  free(buf);
  free(width);
  return rc;
}

/* adjoin(1, *cols), as print(DataFrame) glues its columns. */
static int adjoin(const strcol *cols, size_t ncols, strcol *lines) {
  return adjoin_by(cols, ncols, 1, lines);
}

/* pandas prints a line of index names only when some level has a name;
 * dusk's empty name stands for pandas' None (value_counts, head). */
static bool index_named(const dusk_table *t) {
  for (size_t l = 0; l < t->nindex; l++)
    if (t->cols[l].name[0] != '\0')
      return true;
  return false;
}

/* DataFrameFormatter._get_formatted_index, with the header lines. */
static int index_strcol(const view *v, strcol *out) {
  const dusk_table *t = v->t;
  size_t k = t->nindex;
  strcol *levels;
  strcol lines = {0};
  int rc = 0;

  if (two_level(t)) /* a blank line over the index per column level */
    CK(sc_pushs(out, ""));
  if (k == 0) { /* RangeIndex: row numbers, left-justified */
    CK(sc_pushs(out, ""));
    for (size_t i = 0; i < v->nrows; i++) {
      char buf[32];
      int len = snprintf(buf, sizeof buf, "%zu", v->rows[i]);
      CK(sc_push(&lines, buf, (size_t)len));
    }
    rc = make_fixed_width(&lines, true, 0);
    for (size_t i = 0; i < lines.n && rc == 0; i++)
      rc = sc_push(out, lines.v[i].s, lines.v[i].len);
    sc_free(&lines);
    return rc;
  }
  if ((levels = calloc(k, sizeof *levels)) == NULL)
    return DUSK_ENOMEM;
  for (size_t l = 0; l < k && rc == 0; l++) {
    /* The name heads the level's values, formatted on their own. */
    const char *name = t->cols[l].name;
    strcol vals = {0};
    if (index_named(t))
      rc = push_escaped(&levels[l], name, strlen(name), false);
    if (rc == 0)
      rc = index_level(v, l, k > 1, &vals);
    for (size_t i = 0; i < vals.n && rc == 0; i++)
      rc = sc_push(&levels[l], vals.v[i].s, vals.v[i].len);
    sc_free(&vals);
  }
  if (rc == 0 && k > 1)
    rc = sparsify(levels, k);
  for (size_t l = 0; l < k && rc == 0; l++)
    rc = make_fixed_width(&levels[l], true, 0);
  if (rc == 0)
    rc = sc_pushs(out, "");
  if (rc == 0)
    rc = adjoin(levels, k, &lines);
  for (size_t i = 0; i < lines.n && rc == 0; i++)
    rc = sc_push(out, lines.v[i].s, lines.v[i].len);
  sc_free(&lines);
  for (size_t l = 0; l < k; l++)
    sc_free(&levels[l]);
  free(levels);
  return rc;
}

/* A Float64 column as pandas 1.5 prints it: its values go to the
 * formatter as objects (BaseMaskedArray.to_numpy), so each float is
 * formatted alone, f"{x: .6f}" with its trailing zeros trimmed to one
 * (_trim_zeros_single_float: no shared precision, never scientific), and
 * NA is " <NA>". */
static int masked_float_values(const view *v, const dusk_table_column *c,
                               strcol *out) {
  char buf[400];
  for (size_t i = 0; i < v->nrows; i++) {
    size_t r = v->rows[i];
    int len;
    if (!c->valid[r]) {
      CK(sc_pushs(out, " <NA>"));
      continue;
    }
    if (isnan(c->f64[r]))
      len = snprintf(buf, sizeof buf, " NaN");
    else if (isinf(c->f64[r]))
      len = snprintf(buf, sizeof buf, c->f64[r] > 0 ? " inf" : "-inf");
    else {
      len = snprintf(buf, sizeof buf, "% .*f", TEXT_PRECISION, c->f64[r]);
      while (len > 0 && buf[len - 1] == '0')
        len--;
      if (len > 0 && buf[len - 1] == '.')
        buf[len++] = '0';
    }
    CK(sc_push(out, buf, (size_t)len));
  }
  return 0;
}

/* format_array for one data column over the rows shown. */
static int column_values(const view *v, size_t col, strcol *out) {
  const dusk_table *t = v->t;
  const dusk_table_column *c = &t->cols[col];
  bool nullable = column_has_null(t, col) || c->masked;
  size_t n = v->nrows;
  char buf[48];

  if (c->type == DUSK_TYPE_FLOAT64 && c->masked)
    return masked_float_values(v, c, out);

  switch (c->type) {
  case DUSK_TYPE_INT64:
    for (size_t i = 0; i < n; i++) {
      size_t r = v->rows[i];
      int len;
      if (!c->valid[r])
        len = snprintf(buf, sizeof buf, " <NA>");
      else if (nullable) /* Int64: str() with a leading space */
        len = snprintf(buf, sizeof buf, " %lld", (long long)c->i64[r]);
      else /* int64: f"{x: d}" */
        len = snprintf(buf, sizeof buf, "% lld", (long long)c->i64[r]);
      CK(sc_push(out, buf, (size_t)len));
    }
    break;
  case DUSK_TYPE_FLOAT64: {
    double *vals = malloc((n ? n : 1) * sizeof *vals);
    bool *na = malloc((n ? n : 1) * sizeof *na);
    int rc;
    if (vals == NULL || na == NULL) {
      free(vals);
      free(na);
      return DUSK_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
      size_t r = v->rows[i];
      vals[i] = c->valid[r] ? c->f64[r] : 0.0;
      na[i] = !c->valid[r] || isnan(c->f64[r]);
    }
    rc = float_strings(vals, na, n, false, out);
    free(vals);
    free(na);
    CK(rc);
    break;
  }
  case DUSK_TYPE_BOOL:
    for (size_t i = 0; i < n; i++) {
      size_t r = v->rows[i];
      /* an object column's NaN, or boolean's <NA> */
      CK(sc_pushs(out, !c->valid[r]  ? (c->source_na ? " NaN" : " <NA>")
                       : c->b[r]     ? " True"
                                     : " False"));
    }
    break;
  case DUSK_TYPE_STRING:
    for (size_t i = 0; i < n; i++) {
      size_t r = v->rows[i];
      bool lead = v->bare == NULL || !v->bare[col];
      if (!c->valid[r]) {
        CK(sc_pushs(out, lead ? " NaN" : "NaN"));
      } else {
        dusk_slice s = cell_str(c, r);
        CK(push_escaped(out, s.ptr, s.len, lead));
      }
    }
    break;
  case DUSK_TYPE_NULL:
    break;
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
  return make_fixed_width(out, false, 0);
}

static bool numeric_type(dusk_type t) {
  return t == DUSK_TYPE_INT64 || t == DUSK_TYPE_FLOAT64 || t == DUSK_TYPE_BOOL;
}

static int header_line(const view *v, const char *name, strcol *out);

/* Header and values of the i-th data column shown. */
static int data_strcol(const view *v, size_t i, strcol *out) {
  const dusk_table *t = v->t;
  const char *name = t->cols[v->cols[i]].name;
  strcol vals = {0};
  size_t hw, w;
  int rc;

  if (two_level(t)) {
    /* Each level's label, the top one blank where the column before
     * shows the same (pandas' sparsify_labels); no leading space. */
    dusk_slice top = name_level(name, 0), sub = name_level(name, 1);
    bool same = false;
    if (i > 0) {
      dusk_slice prev = name_level(t->cols[v->cols[i - 1]].name, 0);
      same = prev.len == top.len && memcmp(prev.ptr, top.ptr, top.len) == 0;
    }
    CK(push_escaped(out, top.ptr, same ? 0 : top.len, false));
    CK(push_escaped(out, sub.ptr, sub.len, false));
  } else {
    rc = header_line(v, name, out);
    CK(rc);
  }
  if (index_named(t))
    CK(sc_pushs(out, ""));
  hw = sc_width(out);
  rc = column_values(v, v->cols[i], &vals);
  if (rc == 0)
    rc = make_fixed_width(&vals, false, hw);
  w = sc_width(&vals);
  if (w < hw)
    w = hw;
  if (rc == 0)
    rc = sc_justify(out, w, false);
  for (size_t r = 0; r < vals.n && rc == 0; r++)
    rc = sc_push(out, vals.v[r].s, vals.v[r].len);
  sc_free(&vals);
  return rc;
}

/* The one header line of a data column named name: pandas'
 * _get_formatted_column_labels for flat columns. */
static int header_line(const view *v, const char *name, strcol *out) {
  const dusk_table *t = v->t;
  strcol key = {0};
  bool lead = false;
  int rc;

  /* _get_formatted_column_labels pairs the shown columns' names with the
   * dtypes of the frame's first columns (pandas zips the truncated names
   * with the untruncated dtypes) in a dict, so the last pairing for a name
   * decides whether its header gets a leading space. */
  CK(push_escaped(&key, name, strlen(name), false));
  for (size_t j = 0; j < v->ncols && j < v->ndata; j++) {
    const char *nj = t->cols[v->cols[j]].name;
    strcol kj = {0};
    rc = push_escaped(&kj, nj, strlen(nj), false);
    if (rc != 0) {
      sc_free(&key);
      return rc;
    }
    if (kj.v[0].len == key.v[0].len &&
        memcmp(kj.v[0].s, key.v[0].s, key.v[0].len) == 0)
      lead = numeric_type(t->cols[t->nindex + j].type);
    sc_free(&kj);
  }
  rc = lead ? cell_rebuild(&key.v[0], 1, key.v[0].len, "", 0) : 0;
  if (rc == 0)
    rc = sc_push(out, key.v[0].s, key.v[0].len);
  sc_free(&key);
  return rc;
}

/* The strcols of the view: index, data columns, and the "..." column and
 * row where the view is truncated (StringFormatter._get_strcols). */
static int build_strcols(const view *v, strcol **out, size_t *nout) {
  bool th = view_trunc_h(v);
  size_t n = 1 + v->ncols + (th ? 1 : 0), index_length;
  strcol *cols = calloc(n, sizeof *cols);
  int rc;

  if (cols == NULL)
    return DUSK_ENOMEM;
  rc = index_strcol(v, &cols[0]);
  for (size_t i = 0; i < v->ncols && rc == 0; i++)
    rc = data_strcol(v, i, &cols[1 + i + (th && i >= v->tr_col_num ? 1 : 0)]);
  index_length = cols[0].n;
  for (size_t r = 0; th && r < index_length && rc == 0; r++)
    rc = sc_pushs(&cols[1 + v->tr_col_num], " ...");
  if (v->trunc_v && rc == 0) {
    size_t header_rows = index_length - v->nrows, row = v->tr_row_num;
    for (size_t ix = 0; ix < n && rc == 0; ix++) {
      bool dot_col = th && ix == 1 + v->tr_col_num;
      size_t cwidth = row < cols[ix].n ? cols[ix].v[row].w : 0;
      cell x = {0};
      rc = cell_rebuild(&x, 0, 0, (cwidth > 3 || dot_col) ? "..." : "..", 0);
      if (rc == 0)
        rc = cell_justify(&x, dot_col ? 4 : cwidth, ix == 0);
      if (rc == 0)
        rc = sc_insert(&cols[ix], row + header_rows, "", 0);
      if (rc == 0) {
        free(cols[ix].v[row + header_rows].s);
        cols[ix].v[row + header_rows] = x;
      } else {
        free(x.s);
      }
    }
  }
  if (rc != 0) {
    sc_free_all(cols, n);
    return rc;
  }
  *out = cols;
  *nout = n;
  return 0;
}

/* StringFormatter._fit_strcols_to_terminal_width: render everything; when
 * a line is wider than the terminal, drop middle columns (by their widths)
 * until it would fit, truncate to that many and render again. */
static int render(view *v, strcol *lines) {
  strcol *cols;
  size_t n, max_len, *lens;
  long long adj_dif;
  int rc;

  CK(build_strcols(v, &cols, &n));
  rc = adjoin(cols, n, lines);
  lens = malloc(n * sizeof *lens);
  if (rc != 0 || lens == NULL) {
    sc_free_all(cols, n);
    free(lens);
    return rc != 0 ? rc : DUSK_ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    lens[i] = sc_width(&cols[i]);
  sc_free_all(cols, n);
  max_len = sc_width(lines);
  adj_dif = (long long)max_len - TEXT_WIDTH + 1;
  while (adj_dif > 0 && n > 1) {
    /* Python's round(n / 2): halves go to the even neighbour. */
    size_t mid = n / 2 + ((n % 2 == 1 && (n / 2) % 2 == 1) ? 1 : 0);
    adj_dif -= (long long)lens[mid] + 1;
    memmove(&lens[mid], &lens[mid + 1], (n - mid - 1) * sizeof *lens);
    n--;
  }
  free(lens);
  v->mcf = n - 1 > 2 ? n - 1 : 2;
  view_truncate_h(v);
  sc_free(lines);
  CK(build_strcols(v, &cols, &n));
  rc = adjoin(cols, n, lines);
  sc_free_all(cols, n);
  return rc;
}

/* pprint_thing of one index entry inside "Index: [...]": nullable int and
 * bool levels hold pd.NA, the others NaN. */
static void empty_index_item(FILE *f, const dusk_table_column *c, size_t r) {
  char tmp[40];
  if (!c->valid[r]) {
    fputs(c->type == DUSK_TYPE_INT64 || c->type == DUSK_TYPE_BOOL ? "<NA>"
                                                                  : "nan",
          f);
    return;
  }
  switch (c->type) {
  case DUSK_TYPE_INT64:
    fprintf(f, "%lld", (long long)c->i64[r]);
    break;
  case DUSK_TYPE_FLOAT64:
    fmt_repr(c->f64[r], tmp);
    fputs(tmp, f);
    break;
  case DUSK_TYPE_BOOL:
    fputs(c->b[r] ? "True" : "False", f);
    break;
  case DUSK_TYPE_STRING: {
    dusk_slice s = cell_str(c, r);
    fwrite(s.ptr, 1, s.len, f);
    break;
  }
  case DUSK_TYPE_NULL:
    break;
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
}

/* StringFormatter._empty_info_line: a frame without rows or columns. */
static int write_empty(const dusk_table *t, FILE *f) {
  fputs("Empty DataFrame\nColumns: [", f);
  for (size_t i = t->nindex; i < t->ncols; i++) {
    if (i - t->nindex == TEXT_MAX_SEQ_ITEMS) {
      fputs(", ...", f);
      break;
    }
    if (i > t->nindex)
      fputs(", ", f);
    if (two_level(t)) {
      dusk_slice a = name_level(t->cols[i].name, 0);
      dusk_slice b = name_level(t->cols[i].name, 1);
      fprintf(f, "(%.*s, %.*s)", (int)a.len, a.ptr, (int)b.len, b.ptr);
    } else {
      fputs(t->cols[i].name, f);
    }
  }
  fputs("]\nIndex: [", f);
  for (size_t r = 0; r < t->nrows; r++) {
    if (r == TEXT_MAX_SEQ_ITEMS) {
      fputs(", ...", f);
      break;
    }
    if (r > 0)
      fputs(", ", f);
    if (t->nindex == 0) {
      fprintf(f, "%zu", r);
    } else if (t->nindex == 1) {
      empty_index_item(f, &t->cols[0], r);
    } else {
      fputc('(', f);
      for (size_t l = 0; l < t->nindex; l++) {
        if (l > 0)
          fputs(", ", f);
        empty_index_item(f, &t->cols[l], r);
      }
      fputc(')', f);
    }
  }
  fputs("]\n", f);
  return finish_write(f);
}

/* print(DataFrame) of t, bare[c] for its column c (see view). */
static int write_text(const dusk_table *t, const bool *bare, FILE *f) {
  view v;
  strcol lines = {0};
  int rc;

  errno = 0;
  if (t->nrows == 0 || t->ncols == t->nindex)
    return write_empty(t, f);
  memset(&v, 0, sizeof v);
  v.t = t;
  v.bare = bare;
  v.ndata = t->ncols - t->nindex;
  /* At most max_rows rows are shown, min_rows when there are more. */
  v.rows = malloc((t->nrows > TEXT_MAX_ROWS ? TEXT_MIN_ROWS : t->nrows) *
                  sizeof *v.rows);
  v.cols = malloc(v.ndata * sizeof *v.cols);
  if (v.rows == NULL || v.cols == NULL) {
    free(v.rows);
    free(v.cols);
    return DUSK_ENOMEM;
  }
  /* More than max_rows rows: show min_rows, half from each end. */
  if (t->nrows > TEXT_MAX_ROWS) {
    v.trunc_v = true;
    v.tr_row_num = TEXT_MIN_ROWS / 2;
    for (size_t i = 0; i < v.tr_row_num; i++)
      v.rows[v.nrows++] = i;
    for (size_t i = t->nrows - v.tr_row_num; i < t->nrows; i++)
      v.rows[v.nrows++] = i;
  } else {
    for (size_t i = 0; i < t->nrows; i++)
      v.rows[v.nrows++] = i;
  }
  for (size_t i = 0; i < v.ndata; i++)
    v.cols[v.ncols++] = t->nindex + i;
  /* More columns than the terminal has characters: keep 80 of them. */
  v.mcf = v.ndata > TEXT_WIDTH ? TEXT_WIDTH : 0;
  view_truncate_h(&v);
  rc = render(&v, &lines);
  if (rc == 0) {
    for (size_t i = 0; i < lines.n; i++) {
      if (i > 0)
        fputc('\n', f);
      fwrite(lines.v[i].s, 1, lines.v[i].len, f);
    }
    if (v.trunc_v || view_trunc_h(&v))
      fprintf(f, "\n\n[%zu rows x %zu columns]", t->nrows, v.ndata);
    fputc('\n', f);
  }
  sc_free(&lines);
  free(v.rows);
  free(v.cols);
  return rc != 0 ? rc : finish_write(f);
}

/* ---- datetimes, timedeltas and ints pandas holds as floats ----------------
 * A column of a logical time type (table.h) prints as pandas prints it:
 * the writers get a copy of the table in which each such column is text,
 * formatted with the column's one precision (fieldparse.h); nulls stay
 * null (empty in CSV, null in JSON), or are the text "NaT" for print().
 * A text column of Timedeltas (logical on a STRING column) is copied as
 * it is, but for its nulls, NaT the same way.
 * An int64 column whose files hold a null (source_na) is float64 in
 * pandas, so it is float64 in the copy: 5 prints as pandas' 5.0. */
static bool int_as_float(const dusk_table_column *col) {
  return col->source_na && col->type == DUSK_TYPE_INT64 && !col->logical;
}

static int times_as_text(const dusk_table *t, bool nat_text, dusk_table **out) {
  const char **names = NULL;
  dusk_type *types = NULL;
  dusk_table *r = NULL;
  dusk_value *row = NULL;
  char *text = NULL;
  int *digits = NULL, rc = DUSK_ENOMEM;
  bool any = false;
  *out = NULL;
  for (size_t c = 0; c < t->ncols; c++)
    any |= t->cols[c].logical != 0 || int_as_float(&t->cols[c]);
  if (!any)
    return 0;
  names = calloc(t->ncols, sizeof *names);
  types = calloc(t->ncols, sizeof *types);
  row = calloc(t->ncols, sizeof *row);
  digits = calloc(t->ncols, sizeof *digits);
  if (names == NULL || types == NULL || row == NULL || digits == NULL)
    goto done;
  for (size_t c = 0; c < t->ncols; c++) {
    const dusk_table_column *col = &t->cols[c];
    names[c] = col->name;
    types[c] = col->logical       ? DUSK_TYPE_STRING
               : int_as_float(col) ? DUSK_TYPE_FLOAT64
                                   : col->type;
    if (col->type == DUSK_TYPE_STRING)
      continue; /* Timedeltas' text already */
    if (col->logical == DUSK_TYPE_DATE)
      digits[c] = -1; /* a date prints as its day, "2021-04-01" */
    else if (col->logical)
      digits[c] = dusk_time_digits(col->i64, col->valid, t->nrows,
                                   col->logical == DUSK_TYPE_DATETIME);
  }
  if ((r = dusk_table_new(names, types, t->ncols, t->nindex)) == NULL)
    goto done;
  rc = 0;
  if ((text = malloc(t->ncols * 64)) == NULL)
    rc = DUSK_ENOMEM;
  for (size_t i = 0; i < t->nrows && rc == 0; i++) {
    for (size_t c = 0; c < t->ncols; c++) {
      const dusk_table_column *col = &t->cols[c];
      char *slot = text + c * 64; /* the row's text lives until appended */
      dusk_table_get(t, c, i, &row[c]);
      if (int_as_float(col) && col->valid[i]) {
        row[c].type = DUSK_TYPE_FLOAT64;
        row[c].u.f = (double)col->i64[i];
      }
      if (!col->logical)
        continue;
      if (!col->valid[i]) {
        if (nat_text) {
          row[c].type = DUSK_TYPE_STRING;
          row[c].u.s.ptr = "NaT";
          row[c].u.s.len = 3;
        }
        continue;
      }
      if (col->type == DUSK_TYPE_STRING)
        continue;
      row[c].type = DUSK_TYPE_STRING;
      row[c].u.s.ptr = slot;
      row[c].u.s.len =
          col->logical != DUSK_TYPE_TIMEDELTA
              ? dusk_format_datetime(col->i64[i], digits[c], slot)
              : dusk_format_timedelta(col->i64[i], digits[c], slot);
    }
    rc = dusk_table_append_row(r, row);
  }
  for (size_t c = 0; rc == 0 && c < t->ncols; c++)
    r->cols[c].source_na = t->cols[c].logical || int_as_float(&t->cols[c])
                               ? 0
                               : t->cols[c].source_na;
done:
  free(names);
  free(types);
  free(row);
  free(digits);
  free(text);
  if (rc != 0) {
    dusk_table_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

static int write_with_times(const dusk_table *t, FILE *f, bool nat_text,
                            int (*w)(const dusk_table *, FILE *)) {
  dusk_table *text = NULL;
  int rc = times_as_text(t, nat_text, &text);
  if (rc != 0)
    return rc;
  rc = w(text != NULL ? text : t, f);
  dusk_table_free(text);
  return rc;
}

/* The CSV and JSON writers use stdio's unlocked calls (a call per cell
 * otherwise takes the stream's lock): they hold it once for the table. */
int dusk_table_write_csv(const dusk_table *t, FILE *f) {
  return dusk_table_write_csv_order(t, NULL, f);
}

int dusk_table_write_csv_order(const dusk_table *t, const size_t *order,
                               FILE *f) {
  int rc;
  flockfile(f);
  rc = write_csv(t, order, f);
  funlockfile(f);
  return rc;
}

int dusk_table_write_json(const dusk_table *t, FILE *f) {
  int rc;
  flockfile(f);
  rc = write_with_times(t, f, false, write_json);
  funlockfile(f);
  return rc;
}

static bool *bare_columns(const dusk_table *t);

int dusk_table_write_text(const dusk_table *t, FILE *f) {
  dusk_table *text = NULL;
  bool *bare = bare_columns(t);
  int rc = bare != NULL ? times_as_text(t, true, &text) : DUSK_ENOMEM;
  if (rc == 0)
    rc = write_text(text != NULL ? text : t, bare, f);
  dusk_table_free(text);
  free(bare);
  return rc;
}

/* ---- text: print() of a Series, a scalar, a row ---------------------------
 * print(series) is SeriesFormatter.to_string as Series.__repr__ runs it
 * (max_rows 60, min_rows 10, show_dimensions "truncate"): the index as
 * Index.format(name=True) or MultiIndex.format(names=True) (levels glued
 * with 2 spaces, sparsified), the values as format_array formats a
 * frame's column (without its header), the two glued with 3 spaces, a line
 * of index names first when a level has a name, and the footer
 * "Name: x, Length: n, dtype: d" (the Length only when truncated). */

/* Whether pandas prints the column's values without format_array's
 * leading space: its Datetime64Formatter and Timedelta64Formatter add
 * none, every other formatter (numbers, objects) does. */
static bool bare_column(const dusk_table_column *c) {
  return c->type == DUSK_TYPE_INT64 && (c->logical == DUSK_TYPE_DATETIME ||
                                        c->logical == DUSK_TYPE_TIMEDELTA);
}

/* The dtype pandas holds column col of t in (before times_as_text). */
static const char *dtype_name(const dusk_table *t, size_t col) {
  const dusk_table_column *c = &t->cols[col];
  if (bare_column(c))
    return c->logical == DUSK_TYPE_DATETIME ? "datetime64[ns]"
                                            : "timedelta64[ns]";
  if (c->logical != 0) /* dates, the text of Timedeltas: objects */
    return "object";
  if (c->masked) /* pandas' nullable arrays */
    return c->type == DUSK_TYPE_INT64   ? "Int64"
           : c->type == DUSK_TYPE_BOOL ? "boolean"
                                       : "Float64";
  switch (c->type) {
  case DUSK_TYPE_INT64:
    return int_as_float(c)                ? "float64"
           : column_has_null(t, col) ? "Int64"
                                          : "int64";
  case DUSK_TYPE_FLOAT64:
    return "float64";
  case DUSK_TYPE_BOOL:
    return c->source_na                   ? "object"
           : column_has_null(t, col) ? "boolean"
                                          : "bool";
  default:
    return "object";
  }
}

/* str.center(width) as CPython pads: the odd space goes left when width is
 * odd. */
static int cell_center(cell *x, size_t width) {
  size_t marg = x->w < width ? width - x->w : 0;
  size_t left = marg / 2 + (marg & width & 1);
  return marg == 0 ? 0 : cell_rebuild(x, left, x->len, "", marg - left);
}

/* SeriesFormatter._get_formatted_index: out[0] the line of index names
 * (empty when the index is unnamed), then one entry per row shown. */
static int series_index(const view *v, strcol *out) {
  const dusk_table *t = v->t;
  size_t k = t->nindex;
  strcol *levels;
  int rc = 0;

  if (k <= 1) {
    const char *name = k == 1 ? t->cols[0].name : "";
    strcol vals = {0};
    CK(push_escaped(out, name, strlen(name), false));
    if (k == 0) { /* a RangeIndex: the row numbers */
      for (size_t i = 0; i < v->nrows && rc == 0; i++) {
        char buf[32];
        int len = snprintf(buf, sizeof buf, "%zu", v->rows[i]);
        rc = sc_push(out, buf, (size_t)len);
      }
      return rc;
    }
    rc = index_level(v, 0, false, &vals);
    for (size_t i = 0; i < vals.n && rc == 0; i++)
      rc = sc_push(out, vals.v[i].s, vals.v[i].len);
    sc_free(&vals);
    return rc;
  }
  if ((levels = calloc(k, sizeof *levels)) == NULL)
    return DUSK_ENOMEM;
  for (size_t l = 0; l < k && rc == 0; l++) {
    const char *name = t->cols[l].name;
    strcol vals = {0};
    rc = push_escaped(&levels[l], name, strlen(name), false);
    if (rc == 0)
      rc = index_level(v, l, true, &vals);
    for (size_t i = 0; i < vals.n && rc == 0; i++)
      rc = sc_push(&levels[l], vals.v[i].s, vals.v[i].len);
    sc_free(&vals);
  }
  if (rc == 0)
    rc = sparsify(levels, k);
  if (rc == 0)
    rc = adjoin_by(levels, k, 2, out);
  for (size_t l = 0; l < k; l++)
    sc_free(&levels[l]);
  free(levels);
  return rc;
}

/* "Name: x, Length: n, dtype: d" (_get_footer). */
static int series_footer(const dusk_table *t, bool named, bool truncated,
                         const char *dtype, FILE *f) {
  const char *name = t->cols[t->nindex].name;
  const char *sep = "";
  if (named) {
    strcol esc = {0};
    CK(push_escaped(&esc, name, strlen(name), false));
    fprintf(f, "Name: %s", esc.v[0].s);
    sc_free(&esc);
    sep = ", ";
  }
  if (truncated) {
    fprintf(f, "%sLength: %zu", sep, t->nrows);
    sep = ", ";
  }
  fprintf(f, "%sdtype: %s", sep, dtype);
  return 0;
}

/* The rows print(series) shows: all, or min_rows of them, half from each
 * end, past max_rows. */
static int series_view(const dusk_table *t, const bool *bare, view *v) {
  memset(v, 0, sizeof *v);
  v->t = t;
  v->bare = bare;
  v->rows = malloc((t->nrows > TEXT_MAX_ROWS ? TEXT_MIN_ROWS : t->nrows) *
                       sizeof *v->rows +
                   1);
  if (v->rows == NULL)
    return DUSK_ENOMEM;
  if (t->nrows > TEXT_MAX_ROWS) {
    v->trunc_v = true;
    v->tr_row_num = TEXT_MIN_ROWS / 2;
    for (size_t i = 0; i < v->tr_row_num; i++)
      v->rows[v->nrows++] = i;
    for (size_t i = t->nrows - v->tr_row_num; i < t->nrows; i++)
      v->rows[v->nrows++] = i;
  } else {
    for (size_t i = 0; i < t->nrows; i++)
      v->rows[v->nrows++] = i;
  }
  return 0;
}

/* SeriesFormatter.to_string of t (one value column, times already text:
 * times_as_text) into lines, the names line first when there is one. */
static int series_lines(const view *v, strcol *lines, bool *header) {
  const dusk_table *t = v->t;
  strcol idx = {0}, vals = {0}, both[2];
  int rc = series_index(v, &idx);
  if (rc == 0)
    rc = column_values(v, t->nindex, &vals);
  if (rc == 0 && v->trunc_v) {
    /* "..." centred in the width of the value above it ("..": 3 or less
     * wide); an empty index entry beside it */
    size_t row = v->tr_row_num, width = vals.v[row - 1].w;
    cell x = {0};
    rc = cell_rebuild(&x, 0, 0, width > 3 ? "..." : "..", 0);
    if (rc == 0)
      rc = cell_center(&x, width);
    if (rc == 0)
      rc = sc_insert(&vals, row, "", 0);
    if (rc == 0) {
      free(vals.v[row].s);
      vals.v[row] = x;
    } else {
      free(x.s);
    }
    if (rc == 0)
      rc = sc_insert(&idx, row + 1, "", 0);
  }
  *header = index_named(t);
  if (rc == 0 && *header)
    rc = sc_push(lines, idx.v[0].s, idx.v[0].len);
  if (rc == 0) {
    both[0].v = idx.v + 1;
    both[0].n = idx.n - 1;
    both[0].cap = 0;
    both[1] = vals;
    rc = adjoin_by(both, 2, 3, lines);
  }
  sc_free(&idx);
  sc_free(&vals);
  return rc;
}

/* print(series) of tt, which is t (dtypes and bare flags from it) with
 * its times as text. */
static int write_series_text(const dusk_table *tt, const bool *bare,
                             const char *dtype, bool named, FILE *f) {
  strcol lines = {0};
  bool header;
  view v;
  int rc;

  errno = 0;
  if (tt->nrows == 0) {
    fputs("Series([], ", f);
    CK(series_footer(tt, named, false, dtype, f));
    fputs(")\n", f);
    return finish_write(f);
  }
  CK(series_view(tt, bare, &v));
  rc = series_lines(&v, &lines, &header);
  for (size_t i = 0; i < lines.n && rc == 0; i++) {
    fwrite(lines.v[i].s, 1, lines.v[i].len, f);
    fputc('\n', f);
  }
  if (rc == 0) {
    rc = series_footer(tt, named, v.trunc_v, dtype, f);
    fputc('\n', f);
  }
  sc_free(&lines);
  free(v.rows);
  return rc != 0 ? rc : finish_write(f);
}

/* Per column of t, bare_column; NULL when out of memory. */
static bool *bare_columns(const dusk_table *t) {
  bool *bare = calloc(t->ncols + 1, sizeof *bare);
  for (size_t c = 0; bare != NULL && c < t->ncols; c++)
    bare[c] = bare_column(&t->cols[c]);
  return bare;
}

/* print(series) of t's one value column, object text already when
 * objects (bare: printed as it is), with this dtype name in the footer. */
static int write_series_as(const dusk_table *t, bool objects,
                           const char *dtype, bool named, FILE *f) {
  dusk_table *text = NULL;
  bool *bare = bare_columns(t);
  int rc;
  if (bare == NULL)
    return DUSK_ENOMEM;
  bare[t->nindex] = bare[t->nindex] || objects;
  rc = times_as_text(t, true, &text);
  if (rc == 0)
    rc = write_series_text(text != NULL ? text : t, bare, dtype, named, f);
  dusk_table_free(text);
  free(bare);
  return rc;
}

static int write_float_objects(const dusk_table *t, bool named, FILE *f);

int dusk_table_write_series(const dusk_table *t, bool named, bool nullable,
                            FILE *f) {
  const dusk_table_column *c = &t->cols[t->nindex];
  if (t->ncols != t->nindex + 1)
    return dusk_table_write_text(t, f);
  /* pandas' nullable arrays print as objects: Int64 as int64 does, a
   * Float64 value by value (GenericArrayFormatter) */
  if (nullable && c->type == DUSK_TYPE_FLOAT64)
    return write_float_objects(t, named, f);
  return write_series_as(t, false,
                         nullable && c->type == DUSK_TYPE_INT64
                             ? "Int64"
                             : dtype_name(t, t->nindex),
                         named, f);
}

/* str() of the value in row r of c as pandas returns it alone: numpy's
 * int64, float64 (repr digits, "nan") and bool, a Python str, a
 * Timestamp ("2021-04-01 00:06:03", a fraction of 6 digits, 9 with
 * nanoseconds), a Timedelta ("0 days 00:21:24"), a datetime.date, NaT.
 * buf holds at least 48 bytes; the text is buf's or the table's. */
static dusk_slice scalar_text(const dusk_table_column *c, size_t r,
                              char *buf) {
  dusk_slice s = {buf, 0};
  if (!c->valid[r]) {
    s.ptr = c->logical != 0 ? "NaT" : "nan";
    s.len = 3;
    return s;
  }
  if (c->type == DUSK_TYPE_STRING)
    return cell_str(c, r);
  if (c->type == DUSK_TYPE_FLOAT64 || int_as_float(c)) {
    s.len = fmt_repr(c->type == DUSK_TYPE_FLOAT64 ? c->f64[r]
                                                  : (double)c->i64[r],
                     buf);
  } else if (c->type == DUSK_TYPE_BOOL) {
    s.ptr = c->b[r] ? "True" : "False";
    s.len = strlen(s.ptr);
  } else if (c->logical == DUSK_TYPE_DATETIME) {
    int64_t ns = c->i64[r];
    int digits = ns % 1000000000 == 0 ? 0 : ns % 1000 == 0 ? 6 : 9;
    s.len = dusk_format_datetime(ns, digits, buf);
  } else if (c->logical == DUSK_TYPE_DATE) {
    s.len = dusk_format_datetime(c->i64[r], -1, buf);
  } else if (c->logical == DUSK_TYPE_TIMEDELTA) {
    s.len = dusk_format_timedelta(c->i64[r], DUSK_TIME_EACH, buf);
  } else {
    s.len = (size_t)snprintf(buf, 48, "%lld", (long long)c->i64[r]);
  }
  return s;
}

int dusk_table_write_scalar(const dusk_table *t, FILE *f) {
  char buf[64];
  dusk_slice s;
  if (t->nrows != 1 || t->ncols != t->nindex + 1)
    return dusk_table_write_text(t, f);
  errno = 0;
  s = scalar_text(&t->cols[t->nindex], 0, buf);
  fwrite(s.ptr, 1, s.len, f);
  fputc('\n', f);
  return finish_write(f);
}

/* ---- a row as a Series ----------------------------------------------------
 * A whole frame's reduction (df.sum(), df.count()) is a Series over the
 * column names: pandas' frame of the one row, .iloc[0], whose dtype is the
 * columns' common one (find_common_type): theirs when they agree, float64
 * for ints with floats, else object.  An object Series formats each value
 * on its own (GenericArrayFormatter): floats as "% .6f" trimmed of zeros,
 * the others as str() after a space, a missing value " NaN" (" NaT" of a
 * time). */

/* A column's kind in that sense: its type, FLOAT64 for ints pandas holds
 * as floats, STRING (object) for dates, Timedeltas' text and bools pandas
 * holds as objects; datetimes and timedeltas apart (logical). */
static int row_kind(const dusk_table_column *c) {
  if (bare_column(c))
    return 100 + (int)c->logical;
  if (c->logical != 0 || (c->type == DUSK_TYPE_BOOL && c->source_na))
    return DUSK_TYPE_STRING;
  return int_as_float(c) ? DUSK_TYPE_FLOAT64 : (int)c->type;
}

/* The common kind of t's value columns, or -1 for object. */
static int row_common_kind(const dusk_table *t) {
  int kind = row_kind(&t->cols[t->nindex]);
  for (size_t c = t->nindex + 1; c < t->ncols; c++) {
    int k = row_kind(&t->cols[c]);
    bool numbers = (k == DUSK_TYPE_INT64 || k == DUSK_TYPE_FLOAT64) &&
                   (kind == DUSK_TYPE_INT64 || kind == DUSK_TYPE_FLOAT64);
    if (k != kind)
      kind = numbers ? DUSK_TYPE_FLOAT64 : -1;
    if (kind == -1)
      break;
  }
  return kind == DUSK_TYPE_STRING ? -1 : kind;
}

/* GenericArrayFormatter's text of row r of column c in an object Series,
 * its leading space included: a heap string of *len bytes, or NULL. */
static char *object_text(const dusk_table_column *c, size_t r, size_t *len) {
  char buf[400], *out;
  dusk_slice s;
  bool is_float = c->valid[r] &&
                  (c->type == DUSK_TYPE_FLOAT64 || int_as_float(c)) &&
                  !(c->type == DUSK_TYPE_FLOAT64 && isnan(c->f64[r]));
  if (is_float) {
    double x = c->type == DUSK_TYPE_FLOAT64 ? c->f64[r] : (double)c->i64[r];
    int n = snprintf(buf, sizeof buf - 1, "% .*f", TEXT_PRECISION, x);
    while (n > 0 && buf[n - 1] == '0') /* _trim_zeros_single_float */
      n--;
    if (n > 0 && buf[n - 1] == '.')
      buf[n++] = '0';
    s.ptr = buf;
    s.len = (size_t)n;
  } else {
    s = scalar_text(c, r, buf);
    if (!c->valid[r] && c->logical == 0)
      s.ptr = "NaN"; /* na_rep, where str(nan) is "nan" */
  }
  if ((out = malloc(s.len + 2)) == NULL)
    return NULL;
  out[0] = ' ';
  memcpy(out + !is_float, s.ptr, s.len);
  *len = s.len + !is_float;
  out[*len] = '\0';
  return out;
}

/* print() of t's Series of pandas' Float64: each value as an object
 * Series shows it, "0.25", "0.125" (not one precision for all). */
static int write_float_objects(const dusk_table *t, bool named, FILE *f) {
  const char **names = calloc(t->ncols, sizeof *names);
  dusk_type *types = calloc(t->ncols, sizeof *types);
  dusk_value *row = calloc(t->ncols, sizeof *row);
  dusk_table *r = NULL;
  int rc = DUSK_ENOMEM;
  for (size_t c = 0; names != NULL && types != NULL && c < t->ncols; c++) {
    names[c] = t->cols[c].name;
    types[c] = c < t->nindex ? t->cols[c].type : DUSK_TYPE_STRING;
  }
  if (names != NULL && types != NULL && row != NULL &&
      (r = dusk_table_new(names, types, t->ncols, t->nindex)) != NULL)
    rc = 0;
  for (size_t i = 0; rc == 0 && i < t->nrows; i++) {
    char *text;
    for (size_t c = 0; c < t->nindex; c++)
      dusk_table_get(t, c, i, &row[c]);
    if ((text = object_text(&t->cols[t->nindex], i,
                            &row[t->nindex].u.s.len)) == NULL) {
      rc = DUSK_ENOMEM;
      break;
    }
    row[t->nindex].type = DUSK_TYPE_STRING;
    row[t->nindex].u.s.ptr = text;
    rc = dusk_table_append_row(r, row);
    free(text);
  }
  for (size_t c = 0; rc == 0 && c < t->nindex; c++) {
    r->cols[c].source_na = t->cols[c].source_na;
    r->cols[c].logical = t->cols[c].logical;
  }
  if (rc == 0)
    rc = write_series_as(r, true, "Float64", named, f);
  dusk_table_free(r);
  free(names);
  free(types);
  free(row);
  return rc;
}

/* The one row's values into r, a table of (the column name, the value)
 * with the value column of the common kind (-1: object text). */
static int row_table_fill(const dusk_table *t, int kind, dusk_table *r) {
  int rc = 0;
  for (size_t c = t->nindex; c < t->ncols && rc == 0; c++) {
    const dusk_table_column *col = &t->cols[c];
    dusk_value row[2];
    char *text = NULL;
    row[0].type = DUSK_TYPE_STRING;
    row[0].u.s.ptr = col->name;
    row[0].u.s.len = strlen(col->name);
    if (kind == -1) {
      if ((text = object_text(col, 0, &row[1].u.s.len)) == NULL)
        return DUSK_ENOMEM;
      row[1].type = DUSK_TYPE_STRING;
      row[1].u.s.ptr = text;
    } else if (kind == DUSK_TYPE_FLOAT64 && col->valid[0]) {
      row[1].type = DUSK_TYPE_FLOAT64;
      row[1].u.f =
          col->type == DUSK_TYPE_FLOAT64 ? col->f64[0] : (double)col->i64[0];
    } else {
      dusk_table_get(t, c, 0, &row[1]);
    }
    rc = dusk_table_append_row(r, row);
    free(text);
  }
  return rc;
}

int dusk_table_write_row(const dusk_table *t, bool named, FILE *f) {
  static const bool object_bare[2] = {false, true};
  char label[64];
  const char *names[2] = {"", label};
  dusk_type types[2] = {DUSK_TYPE_STRING, DUSK_TYPE_STRING};
  dusk_table *r;
  dusk_slice s;
  int kind, rc;

  if (t->nrows != 1)
    return dusk_table_write_text(t, f);
  named = named && t->nindex == 1;
  s = named ? scalar_text(&t->cols[0], 0, label) : (dusk_slice){"", 0};
  if (s.ptr != label) /* a string label: the table's bytes */
    names[1] = strndup(s.ptr, s.len);
  else
    label[s.len] = '\0';
  /* no column left (text dropped from a min): pandas' empty float64 */
  kind = t->ncols == t->nindex ? DUSK_TYPE_FLOAT64 : row_common_kind(t);
  if (kind >= 100)
    types[1] = DUSK_TYPE_INT64;
  else if (kind != -1)
    types[1] = (dusk_type)kind;
  r = names[1] != NULL ? dusk_table_new(names, types, 2, 1) : NULL;
  if (names[1] != label)
    free((char *)names[1]);
  if (r == NULL)
    return DUSK_ENOMEM;
  if (kind >= 100)
    r->cols[1].logical = (dusk_type)(kind - 100);
  rc = row_table_fill(t, kind, r);
  if (rc == 0)
    rc = kind == -1 ? write_series_text(r, object_bare, "object", named, f)
                    : dusk_table_write_series(r, named, false, f);
  dusk_table_free(r);
  return rc;
}

/* ---- print() of an array: what Series.unique() returns -------------------
 * pandas 1.5's Series.unique() is a numpy array for a numpy dtype, whose
 * print() is numpy 1.24's array_str with its default print options
 * (arrayprint.py: linewidth 75, threshold 1000 with 3 edge items,
 * precision 8 in "maxprec" mode); for a column read as pandas' nullable
 * Int64 or boolean (read_csv dtype=) it is an IntegerArray / BooleanArray,
 * whose print() is ExtensionArray.__repr__ over pandas'
 * format_object_summary.  The numpy dtype of a column is dtype_name's,
 * but that an int column holding a null is float64 (NaN) and a bool one
 * object (nan) as pandas' numpy columns are.  Widths count code points
 * (Python's len).  Known difference: a str's repr escapes the ASCII and
 * C1 control characters, U+00A0 and U+00AD; Python also escapes the other
 * code points str.isprintable() rejects (U+2028, unassigned ones...). */

#define NP_LINEWIDTH 75
#define NP_THRESHOLD 1000
#define NP_EDGEITEMS 3
#define NP_PRECISION 8

typedef enum np_kind {
  NP_INT,
  NP_FLOAT,
  NP_BOOL,
  NP_OBJECT,
  NP_DATETIME,
  NP_TIMEDELTA
} np_kind;

static np_kind array_kind(const dusk_table *t, size_t col) {
  const dusk_table_column *c = &t->cols[col];
  if (c->type == DUSK_TYPE_INT64 && c->logical == DUSK_TYPE_DATETIME)
    return NP_DATETIME;
  if (c->type == DUSK_TYPE_INT64 && c->logical == DUSK_TYPE_TIMEDELTA)
    return NP_TIMEDELTA;
  if (c->logical != 0) /* datetime.date objects, Timedeltas' text */
    return NP_OBJECT;
  switch (c->type) {
  case DUSK_TYPE_INT64:
    return int_as_float(c) || column_has_null(t, col) ? NP_FLOAT : NP_INT;
  case DUSK_TYPE_FLOAT64:
    return NP_FLOAT;
  case DUSK_TYPE_BOOL:
    return c->source_na || column_has_null(t, col) ? NP_OBJECT : NP_BOOL;
  default:
    return NP_OBJECT;
  }
}

/* Python's repr() of a str into a new string (*len bytes), NULL when out
 * of memory: quoted with ' unless it holds ' and no ", backslash and the
 * quote escaped, controls as \n \r \t or \xNN (see the known difference
 * above). */
static char *repr_str(dusk_slice s, size_t *len) {
  bool squote = memchr(s.ptr, '\'', s.len) != NULL;
  char q = squote && memchr(s.ptr, '"', s.len) == NULL ? '"' : '\'';
  char *out = malloc(s.len * 4 + 3);
  size_t k = 0;
  if (out == NULL)
    return NULL;
  out[k++] = q;
  for (size_t i = 0; i < s.len; i++) {
    unsigned char ch = (unsigned char)s.ptr[i];
    size_t sl = ch >= 0x80 ? utf8_seq((const unsigned char *)s.ptr + i,
                                      s.len - i)
                           : 1;
    if (ch == 0xc2 && sl == 2) {
      unsigned char lo = (unsigned char)s.ptr[i + 1];
      if (lo < 0xa0 || lo == 0xa0 || lo == 0xad) { /* C1, NBSP, SHY */
        k += (size_t)sprintf(out + k, "\\x%02x", lo);
        i++;
        continue;
      }
    }
    if (ch == '\\' || ch == (unsigned char)q) {
      out[k++] = '\\';
      out[k++] = (char)ch;
    } else if (ch == '\n' || ch == '\r' || ch == '\t') {
      out[k++] = '\\';
      out[k++] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
    } else if (ch < 0x20 || ch == 0x7f) {
      k += (size_t)sprintf(out + k, "\\x%02x", ch);
    } else {
      out[k++] = (char)ch;
    }
  }
  out[k++] = q;
  out[k] = '\0';
  *len = k;
  return out;
}

/* repr() of row r of an object column as numpy prints the element: a
 * str's repr, nan, True / False, datetime.date(2021, 4, 1), NaT. */
static int object_word(const dusk_table_column *c, size_t r, strcol *out) {
  char buf[96];
  if (!c->valid[r])
    return sc_pushs(out, c->logical != 0 ? "NaT" : "nan");
  if (c->type == DUSK_TYPE_BOOL)
    return sc_pushs(out, c->b[r] ? "True" : "False");
  if (c->type == DUSK_TYPE_INT64 && c->logical == DUSK_TYPE_DATE) {
    dusk_datetime_parts d;
    dusk_datetime_split(c->i64[r], &d);
    snprintf(buf, sizeof buf, "datetime.date(%lld, %u, %u)",
             (long long)d.year, d.month, d.day);
    return sc_pushs(out, buf);
  }
  if (c->type == DUSK_TYPE_STRING) {
    size_t len;
    char *s = repr_str(cell_str(c, r), &len);
    int rc = s != NULL ? sc_push(out, s, len) : DUSK_ENOMEM;
    free(s);
    return rc;
  }
  return sc_pushs(out, "nan"); /* no other type reaches here */
}

/* numpy's dragon4_positional(v, precision=8, unique=True, trim='.') of a
 * finite v: the shortest digits, or the exact value rounded to 8 decimals
 * (half to even, as Dragon4's cutoff and printf) when those need more;
 * trailing zeros dropped but the point kept ("1.", "0.125").  out holds
 * 64 bytes. */
static size_t np_positional(double v, char *out) {
  char dig[20];
  size_t n, k = 0;
  int e;
  if (v == 0)
    return (size_t)sprintf(out, "%s", signbit(v) ? "-0." : "0.");
  n = shortest_digits(v, dig, &e);
  if ((int)n - 1 - e > NP_PRECISION) {
    k = (size_t)snprintf(out, 64, "%.*f", NP_PRECISION, v);
    while (out[k - 1] == '0')
      k--;
    out[k] = '\0';
    return k;
  }
  if (signbit(v))
    out[k++] = '-';
  if (e < 0) {
    out[k++] = '0';
    out[k++] = '.';
    for (int i = 0; i < -e - 1; i++)
      out[k++] = '0';
    memcpy(out + k, dig, n);
    k += n;
  } else {
    for (int i = 0; i <= e; i++)
      out[k++] = (size_t)i < n ? dig[i] : '0';
    out[k++] = '.';
    if (n > (size_t)e + 1) {
      memcpy(out + k, dig + e + 1, n - (size_t)e - 1);
      k += n - (size_t)e - 1;
    }
  }
  out[k] = '\0';
  return k;
}

/* numpy's dragon4_scientific(v, precision=8, unique=True, trim='.') of a
 * finite v, in parts: mant the sign, the first digit and the fraction's
 * digits (*frac of them), *exp the exponent. */
static void np_scientific(double v, char *mant, size_t *frac, int *exp) {
  char dig[20], buf[48];
  size_t n, k = 0;
  int e = 0;
  if (v == 0) {
    dig[0] = '0';
    n = 1;
  } else if ((n = shortest_digits(v, dig, &e)) - 1 > NP_PRECISION) {
    char *s = buf;
    snprintf(buf, sizeof buf, "%.*e", NP_PRECISION, v);
    if (*s == '-')
      s++;
    for (n = 0; *s != 'e'; s++)
      if (*s != '.')
        dig[n++] = *s;
    e = atoi(s + 1);
    while (n > 1 && dig[n - 1] == '0')
      n--;
  }
  if (signbit(v))
    mant[k++] = '-';
  memcpy(mant + k, dig, n);
  mant[k + n] = '\0';
  *frac = n - 1;
  *exp = e;
}

/* FloatingFormat (floatmode "maxprec", sign "-") over v[0..n), na[i]
 * marking NaN: one pass for the widths, one for the words. */
static int float_words(const double *v, const bool *na, size_t n,
                       strcol *out) {
  double maxv = 0, minv = 0;
  bool any = false, exp_format = false, neginf = false, nonfinite = false;
  size_t pad_left = 0, pad_right = 0, prec = 0;
  int exp_size = -1;
  char a[64], b[96];
  for (size_t i = 0; i < n; i++) {
    double x = fabs(v[i]);
    if (na[i] || !isfinite(v[i])) {
      nonfinite = true;
      neginf |= !na[i] && v[i] < 0;
      continue;
    }
    if (x == 0)
      continue;
    maxv = !any || x > maxv ? x : maxv;
    minv = !any || x < minv ? x : minv;
    any = true;
  }
  exp_format = any && (maxv >= 1e8 || minv < 0.0001 || maxv / minv > 1000.);
  for (size_t i = 0; i < n; i++) {
    if (na[i] || !isfinite(v[i]))
      continue;
    if (exp_format) {
      size_t frac, il;
      int e, ed;
      np_scientific(v[i], a, &frac, &e);
      il = signbit(v[i]) ? 2 : 1;
      ed = snprintf(b, sizeof b, "%02d", e < 0 ? -e : e);
      pad_left = il > pad_left ? il : pad_left;
      prec = frac > prec ? frac : prec;
      exp_size = ed > exp_size ? ed : exp_size;
    } else {
      size_t len = np_positional(v[i], a);
      size_t il = (size_t)(strchr(a, '.') - a);
      pad_left = il > pad_left ? il : pad_left;
      pad_right = len - il - 1 > pad_right ? len - il - 1 : pad_right;
    }
  }
  if (exp_format)
    pad_right = (size_t)exp_size + 2 + prec;
  if (nonfinite) {
    size_t offset = pad_right + 1;
    size_t nanlen = 3, inflen = 3 + (neginf ? 1 : 0);
    if (nanlen > offset && nanlen - offset > pad_left)
      pad_left = nanlen - offset;
    if (inflen > offset && inflen - offset > pad_left)
      pad_left = inflen - offset;
  }
  for (size_t i = 0; i < n; i++) {
    size_t k = 0;
    if (na[i] || !isfinite(v[i])) {
      const char *r = na[i] || isnan(v[i]) ? "nan" : v[i] < 0 ? "-inf" : "inf";
      size_t w = pad_left + pad_right + 1, rl = strlen(r);
      k = (size_t)snprintf(b, sizeof b, "%*s%s", (int)(w > rl ? w - rl : 0),
                           "", r);
    } else if (exp_format) {
      size_t frac, ml;
      int e;
      np_scientific(v[i], a, &frac, &e);
      ml = strlen(a);
      /* a: sign, digit, fraction; printed d.ffff padded with zeros */
      k = (size_t)snprintf(b, sizeof b, "%*.*s.%s", (int)pad_left,
                           (int)(ml - frac), a, a + ml - frac);
      while (frac++ < prec)
        b[k++] = '0';
      k += (size_t)snprintf(b + k, sizeof b - k, "e%c%0*d", e < 0 ? '-' : '+',
                            exp_size, e < 0 ? -e : e);
    } else {
      size_t len = np_positional(v[i], a);
      size_t il = (size_t)(strchr(a, '.') - a);
      k = (size_t)snprintf(b, sizeof b, "%*s%s%-*s",
                           (int)(pad_left > il ? pad_left - il : 0), "", a,
                           (int)(pad_right + il + 1 > len
                                     ? pad_right + il + 1 - len
                                     : 0),
                           "");
    }
    CK(sc_push(out, b, k));
  }
  return 0;
}

/* numpy's words for rows rows[0..n) of column col: each formatted, padded
 * as numpy's formatter for the dtype pads them over those rows. */
static int numpy_words(const dusk_table *t, size_t col, const size_t *rows,
                       size_t n, strcol *out) {
  const dusk_table_column *c = &t->cols[col];
  np_kind kind = array_kind(t, col);
  char buf[64];
  size_t w = 0;
  bool nat = false;
  if (kind == NP_FLOAT) {
    double *v = malloc((n + 1) * sizeof *v);
    bool *na = malloc((n + 1) * sizeof *na);
    int rc = v != NULL && na != NULL ? 0 : DUSK_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
      na[i] = !c->valid[rows[i]];
      v[i] = na[i]                        ? NAN
             : c->type == DUSK_TYPE_INT64 ? (double)c->i64[rows[i]]
                                          : c->f64[rows[i]];
    }
    if (rc == 0)
      rc = float_words(v, na, n, out);
    free(v);
    free(na);
    return rc;
  }
  for (size_t i = 0; i < n; i++) {
    size_t r = rows[i];
    switch (kind) {
    case NP_OBJECT:
      CK(object_word(c, r, out));
      break;
    case NP_BOOL:
      CK(sc_pushs(out, c->b[r] ? " True" : "False"));
      break;
    case NP_DATETIME: /* '2021-02-01T00:00:00.000000000': unit ns */
      if (!c->valid[r]) {
        nat = true;
        CK(sc_pushs(out, "'NaT'"));
      } else {
        size_t len = dusk_format_datetime(c->i64[r], 9, buf + 1);
        char *sp = memchr(buf + 1, ' ', len);
        if (sp != NULL)
          *sp = 'T';
        buf[0] = '\'';
        buf[len + 1] = '\'';
        CK(sc_push(out, buf, len + 2));
      }
      break;
    default: /* NP_INT, NP_TIMEDELTA (its int64 nanoseconds) */
      if (!c->valid[r]) {
        nat = true;
        CK(sc_pushs(out, "'NaT'"));
      } else {
        CK(sc_push(out, buf,
                   (size_t)snprintf(buf, sizeof buf, "%lld",
                                    (long long)c->i64[r])));
      }
      break;
    }
    if (c->valid[r] && out->v[out->n - 1].w > w)
      w = out->v[out->n - 1].w;
  }
  /* IntegerFormat and _TimelikeFormat right-justify to the widest; NaT
   * counts 5 wide */
  if (kind == NP_INT || kind == NP_DATETIME || kind == NP_TIMEDELTA)
    CK(sc_justify(out, nat && w < 5 ? 5 : w, false));
  return 0;
}

/* A line being built: bytes and their width in code points. */
typedef struct linebuf {
  char *s;
  size_t len, cap, w;
} linebuf;

static int lb_add(linebuf *l, const char *s, size_t len, size_t w) {
  if (l->len + len + 1 > l->cap) {
    size_t cap = (l->len + len + 1) * 2;
    char *p = realloc(l->s, cap);
    if (p == NULL)
      return DUSK_ENOMEM;
    l->s = p;
    l->cap = cap;
  }
  memcpy(l->s + l->len, s, len);
  l->len += len;
  l->w += w;
  return 0;
}

/* The length of s[0..len) without trailing spaces and newlines
 * (str.rstrip() of the texts built here). */
static size_t rstrip_len(const char *s, size_t len) {
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n'))
    len--;
  return len;
}

/* Writes l without its trailing spaces (str.rstrip) and a newline. */
static void lb_flush_rstrip(linebuf *l, FILE *f) {
  size_t n = l->len;
  while (n > 0 && l->s[n - 1] == ' ')
    n--;
  fwrite(l->s, 1, n, f);
  fputc('\n', f);
  l->len = l->w = 0;
}

/* The i-th of the words as laid out: words->v with "..." at gap (none
 * when gap > words->n). */
static cell layout_word(const strcol *words, size_t gap, size_t i) {
  static char dots[] = "...";
  if (i == gap)
    return (cell){dots, 3, 3};
  return words->v[i > gap ? i - 1 : i];
}

/* numpy's _formatArray of one dimension: the words joined by a space
 * inside [], a line (its hanging indent, words and separators) wrapped
 * before a word that would take it past linewidth - 1, the line written
 * rstripped and the next one starting with the one-space indent; "..."
 * after the first `gap` words (gap > words->n: none). */
static int numpy_layout(const strcol *words, size_t gap, FILE *f) {
  const size_t elem_width = NP_LINEWIDTH - 1; /* room for ']' */
  size_t total = words->n + (gap <= words->n ? 1 : 0);
  linebuf l = {0};
  int rc = lb_add(&l, "[", 1, 1); /* the hanging indent, shown as '[' */
  for (size_t i = 0; rc == 0 && i < total; i++) {
    cell x = layout_word(words, gap, i);
    if (l.w > 1 && l.w + x.w > elem_width) {
      lb_flush_rstrip(&l, f);
      rc = lb_add(&l, " ", 1, 1);
    }
    if (rc == 0)
      rc = lb_add(&l, x.s, x.len, x.w);
    if (rc == 0 && i + 1 < total)
      rc = lb_add(&l, " ", 1, 1);
  }
  if (rc == 0) {
    fwrite(l.s, 1, l.len, f);
    fputs("]\n", f);
  }
  free(l.s);
  return rc;
}

/* pandas' format_object_summary(indent_for_name=False) as
 * ExtensionArray.__repr__ prints it, then the class and the footer:
 * more than max_seq_items values show the first and last 10 around
 * "...", all right-justified to the widest when truncated or when the
 * values joined by ", " would reach the display width; lines wrap before
 * a word that would reach it. */
static int extension_layout(const strcol *words, size_t n, const char *cls,
                            const char *dtype, FILE *f) {
  const size_t width = TEXT_WIDTH;
  bool truncated = n > TEXT_MAX_SEQ_ITEMS;
  size_t nhead = truncated ? words->n / 2 : 0;
  linebuf sum = {0}, line = {0};
  int rc = 0;
  fprintf(f, "<%s>\n", cls);
  if (words->n <= 2) {
    fputc('[', f);
    for (size_t i = 0; i < words->n; i++)
      fprintf(f, "%s%s", i ? ", " : "", words->v[i].s);
    fprintf(f, "]\nLength: %zu, dtype: %s\n", n, dtype);
    return finish_write(f);
  }
  {
    size_t joined_head = 0, joined_tail = 0, maxw = sc_width(words);
    for (size_t i = 0; i < words->n; i++)
      *(i < nhead ? &joined_head : &joined_tail) += words->v[i].w + 2;
    /* len(", ".join(x)) < width for head and tail, else justify */
    if (truncated || (nhead > 0 && joined_head - 2 >= width) ||
        joined_tail - 2 >= width)
      for (size_t i = 0; rc == 0 && i < words->n; i++)
        rc = cell_justify(&words->v[i], maxw, false);
  }
  /* summary and line as the Python builds them: line starts as "\n "
   * (space2), and a wrapped line's text (rstripped) joins the summary */
  rc = rc != 0 ? rc : lb_add(&line, "\n ", 2, 2);
  for (size_t i = 0; rc == 0 && i < words->n; i++) {
    const cell *x = &words->v[i];
    bool last = i + 1 == words->n;
    /* adj.len(line.rstrip()) + adj.len(value.rstrip()) >= width, the
     * value x + ", " but for the last; the "\n" counts one */
    size_t keep = rstrip_len(line.s, line.len);
    size_t lw = text_width(line.s, keep), xw = x->w + (last ? 0 : 1);
    if (lw + xw >= (last ? width - 2 : width)) {
      rc = lb_add(&sum, line.s, keep, lw);
      line.len = line.w = 0;
      if (rc == 0)
        rc = lb_add(&line, "\n ", 2, 2);
    }
    if (rc == 0)
      rc = lb_add(&line, x->s, x->len, x->w);
    if (rc == 0 && !last)
      rc = lb_add(&line, ", ", 2, 2);
    if (rc == 0 && truncated && i + 1 == nhead) {
      /* summary += line.rstrip() + space2 + "..."; line = space2 */
      size_t kept = rstrip_len(line.s, line.len);
      rc = lb_add(&sum, line.s, kept, text_width(line.s, kept));
      if (rc == 0)
        rc = lb_add(&sum, "\n ...", 5, 5);
      line.len = line.w = 0;
      if (rc == 0)
        rc = lb_add(&line, "\n ", 2, 2);
    }
  }
  if (rc == 0)
    rc = lb_add(&sum, line.s, line.len, line.w);
  if (rc == 0)
    rc = lb_add(&sum, "],", 2, 2);
  if (rc == 0) {
    /* a summary longer than the width (newlines counted, as len() does)
     * ends in a newline, else a space: the repr strips ", \n" from it */
    size_t end = sum.len;
    while (end > 0 && strchr(", \n", sum.s[end - 1]) != NULL)
      end--;
    fputc('[', f);
    fwrite(sum.s + 2, 1, end > 2 ? end - 2 : 0, f);
    fprintf(f, "\nLength: %zu, dtype: %s\n", n, dtype);
  }
  free(sum.s);
  free(line.s);
  return rc != 0 ? rc : finish_write(f);
}

int dusk_table_write_array(const dusk_table *t, bool nullable, FILE *f) {
  const dusk_table_column *c;
  size_t col = t->nindex, n = t->nrows, nshow, edge, *rows;
  bool ext;
  strcol words = {0};
  int rc = 0;
  if (t->ncols != t->nindex + 1)
    return dusk_table_write_text(t, f);
  c = &t->cols[col];
  ext = nullable && c->logical == 0 &&
        (c->type == DUSK_TYPE_INT64 || c->type == DUSK_TYPE_BOOL);
  errno = 0;
  if (!ext && n == 0) {
    fputs("[]\n", f);
    return finish_write(f);
  }
  /* the rows shown: numpy summarizes past threshold to 3 at each end,
   * format_object_summary past max_seq_items to 10 */
  edge = ext ? (n > TEXT_MAX_SEQ_ITEMS ? 10 : n)
             : (n > NP_THRESHOLD ? NP_EDGEITEMS : n);
  nshow = edge < n ? 2 * edge : n;
  if ((rows = malloc((nshow + 1) * sizeof *rows)) == NULL)
    return DUSK_ENOMEM;
  for (size_t i = 0; i < nshow; i++)
    rows[i] = edge < n && i >= edge ? n - nshow + i : i;
  if (ext) {
    /* repr() of each value: an int, True / False, <NA> */
    char buf[32];
    for (size_t i = 0; rc == 0 && i < nshow; i++) {
      size_t r = rows[i];
      if (!c->valid[r])
        rc = sc_pushs(&words, "<NA>");
      else if (c->type == DUSK_TYPE_BOOL)
        rc = sc_pushs(&words, c->b[r] ? "True" : "False");
      else
        rc = sc_push(&words, buf,
                     (size_t)snprintf(buf, sizeof buf, "%lld",
                                      (long long)c->i64[r]));
    }
    if (rc == 0)
      rc = c->type == DUSK_TYPE_BOOL
               ? extension_layout(&words, n, "BooleanArray", "boolean", f)
               : extension_layout(&words, n, "IntegerArray", "Int64", f);
  } else {
    rc = numpy_words(t, col, rows, nshow, &words);
    if (rc == 0)
      rc = numpy_layout(&words, edge < n ? edge : SIZE_MAX, f);
    if (rc == 0)
      rc = finish_write(f);
  }
  sc_free(&words);
  free(rows);
  return rc;
}
