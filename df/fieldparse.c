/* fieldparse.c - one CSV field to a typed value, as pandas 1.5 read_csv does
 * it by default.
 *
 * pandas is the reference, checked against pandas 1.5.3 itself:
 *  - NA is its STR_NA_VALUES set, compared byte for byte.  "None" is not in
 *    it: pandas added "None" to the default set only in 2.0.
 *  - bool compares "true"/"false" without regard to case ("tRUE" is a bool
 *    to pandas) and allows no surrounding spaces.
 *  - int64 and float64 allow ASCII whitespace (space, \t, \n, \v, \f, \r) on
 *    either side; "inf"/"infinity" (any case, optional sign) only without it.
 *  - A float literal that overflows ("1e500") is not a float; one that
 *    underflows is (pandas reads "1e-400" as 0.0).  Exponents have at most
 *    17 digits, like pandas' parser.  Hex floats, "nan(...)",
 *    digit separators are not numbers.
 *
 * Nothing here reads past `len`, allocates, or depends on the locale: the
 * number is rewritten into a small local buffer as "<digits>e<exponent>",
 * which strtod reads the same way in every locale (no decimal point). */
#include "fieldparse.h"

#include "dateforms.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pandas._libs.parsers.STR_NA_VALUES (1.5), with their lengths. */
static const struct {
  const char *s;
  size_t len;
} na_values[] = {
#define NA(lit)                                                                \
  { lit, sizeof lit - 1 }
    NA("#N/A"), NA("#N/A N/A"), NA("#NA"),    NA("-1.#IND"), NA("-1.#QNAN"),
    NA("-NaN"), NA("-nan"),     NA("1.#IND"), NA("1.#QNAN"), NA("<NA>"),
    NA("N/A"),  NA("NA"),       NA("NULL"),   NA("NaN"),     NA("n/a"),
    NA("nan"),  NA("null"),
#undef NA
};
/* The first bytes of na_values, for dusk_field_may_be_na and the quick
 * rejection below (check_csvscan holds it to na_values). */
const unsigned char dusk__field_na_lead[256] = {
    ['#'] = 1, ['-'] = 1, ['1'] = 1, ['<'] = 1, ['N'] = 1, ['n'] = 1};

bool dusk_field_is_na(const char *s, size_t len) {
  if (len == 0)
    return true;
  /* Most fields are numbers or words: reject them on the first byte. */
  if (!dusk_field_may_be_na(s, len))
    return false;
  for (size_t i = 0; i < sizeof na_values / sizeof na_values[0]; i++)
    if (na_values[i].len == len && memcmp(na_values[i].s, s, len) == 0)
      return true;
  return false;
}

static int lower_ascii(int c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive comparison of s[0..len) with a lowercase literal. */
static bool eq_nocase(const char *s, size_t len, const char *lit) {
  size_t n = strlen(lit);
  if (len != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (lower_ascii((unsigned char)s[i]) != lit[i])
      return false;
  return true;
}

static bool is_space_ascii(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Narrows [*s, *s + *len) to drop surrounding ASCII whitespace. */
static void trim(const char **s, size_t *len) {
  const char *p = *s;
  size_t n = *len;
  while (n > 0 && is_space_ascii(p[0])) {
    p++;
    n--;
  }
  while (n > 0 && is_space_ascii(p[n - 1]))
    n--;
  *s = p;
  *len = n;
}

int dusk_field_parse_bool(const char *s, size_t len, bool *out) {
  if (eq_nocase(s, len, "true")) {
    *out = true;
    return 0;
  }
  if (eq_nocase(s, len, "false")) {
    *out = false;
    return 0;
  }
  return -1;
}

int dusk_field_parse_int64(const char *s, size_t len, int64_t *out) {
  uint64_t v = 0, limit;
  bool neg = false;
  size_t i = 0;

  trim(&s, &len);
  if (len > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == len)
    return -1;
  limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < len; i++) {
    unsigned d;
    if (!is_digit(s[i]))
      return -1;
    d = (unsigned)(s[i] - '0');
    if (v > (limit - d) / 10)
      return -1; /* overflow: not an int64 (the caller may try float) */
    v = v * 10 + d;
  }
  if (neg)
    *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
  else
    *out = (int64_t)v;
  return 0;
}

/* Significant digits kept before the rest is folded into one sticky digit.
 * Deciding the correctly rounded double needs at most ~770 significant
 * digits; a nonzero tail beyond them only has to break ties, which the
 * sticky '1' does. */
#define SIG_DIGITS 800
/* Exponents beyond this are saturated: they overflow or underflow anyway. */
#define EXP_CLAMP 100000
/* pandas' xstrtod stops after 17 exponent digits and then sees trailing
 * garbage, so "1e000000000000000005" (18 digits) is not a float. */
#define EXP_MAX_DIGITS 17

static int parse_inf(const char *s, size_t len, double *out) {
  bool neg = false;
  if (len > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s++;
    len--;
  }
  if (eq_nocase(s, len, "inf") || eq_nocase(s, len, "infinity")) {
    *out = neg ? -INFINITY : INFINITY;
    return 0;
  }
  return -1;
}

int dusk_field_parse_float64(const char *s, size_t len, double *out) {
  /* sign + SIG_DIGITS + sticky + 'e' + sign + exponent digits + NUL */
  char buf[SIG_DIGITS + 32];
  size_t i = 0, int_start, int_end, frac_start, frac_end, nsig = 0;
  long long exp10 = 0, dropped = 0;
  bool neg = false, sticky = false;
  char *endp;
  double v;

  if (parse_inf(s, len, out) == 0)
    return 0;
  trim(&s, &len);
  if (len > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    i = 1;
  }
  int_start = i;
  while (i < len && is_digit(s[i]))
    i++;
  int_end = i;
  frac_start = frac_end = i;
  if (i < len && s[i] == '.') {
    frac_start = ++i;
    while (i < len && is_digit(s[i]))
      i++;
    frac_end = i;
  }
  if (int_end == int_start && frac_end == frac_start)
    return -1; /* no digits at all: "", "+", ".", "e5" */
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    bool eneg = false;
    size_t d0;
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
      eneg = s[i] == '-';
      i++;
    }
    d0 = i;
    while (i < len && is_digit(s[i])) {
      if (i - d0 == EXP_MAX_DIGITS)
        return -1; /* pandas reads at most 17 exponent digits */
      if (exp10 < EXP_CLAMP)
        exp10 = exp10 * 10 + (s[i] - '0');
      i++;
    }
    if (i == d0)
      return -1; /* "5e", "5e+" */
    if (eneg)
      exp10 = -exp10;
  }
  if (i != len)
    return -1;

  /* value = digits(int ++ frac) * 10^(exp10 - nfrac).  Leading zeros carry
   * no value; digits past SIG_DIGITS only matter through the sticky digit. */
  {
    size_t o = 0;
    if (neg)
      buf[o++] = '-';
    for (size_t k = int_start; k < frac_end; k++) {
      char c = s[k];
      if (k == int_end && k < frac_start)
        continue; /* the '.' */
      if (k >= int_end)
        exp10--; /* a fraction digit */
      if (nsig == 0 && c == '0')
        continue;
      if (nsig < SIG_DIGITS) {
        buf[o++] = c;
        nsig++;
      } else {
        dropped++;
        if (c != '0')
          sticky = true;
      }
    }
    if (nsig == 0) {
      *out = neg ? -0.0 : 0.0;
      return 0;
    }
    if (sticky) {
      buf[o++] = '1';
      dropped--;
    }
    exp10 += dropped;
    if (exp10 > 10 * EXP_CLAMP)
      exp10 = 10 * EXP_CLAMP;
    if (exp10 < -10 * EXP_CLAMP)
      exp10 = -10 * EXP_CLAMP;
    buf[o++] = 'e';
    {
      /* Exponent digits, written backwards then reversed. */
      char tmp[16];
      size_t t = 0;
      unsigned long long e;
      if (exp10 < 0) {
        buf[o++] = '-';
        e = (unsigned long long)(-exp10);
      } else {
        e = (unsigned long long)exp10;
      }
      do {
        tmp[t++] = (char)('0' + e % 10);
        e /= 10;
      } while (e > 0);
      while (t > 0)
        buf[o++] = tmp[--t];
    }
    buf[o] = '\0';
  }
  /* Clinger's fast path: up to 15 significant digits and a power of ten
   * up to 22 are both exact doubles, so one multiplication or division
   * rounds correctly, like strtod. */
  if (nsig <= 15 && !sticky && exp10 >= -22 && exp10 <= 22) {
    static const double pow10[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    uint64_t m = 0;
    for (size_t k = neg ? 1 : 0; k < nsig + (neg ? 1 : 0); k++)
      m = m * 10 + (uint64_t)(buf[k] - '0');
    v = (double)m;
    v = exp10 >= 0 ? v * pow10[exp10] : v / pow10[-exp10];
    *out = neg ? -v : v;
    return 0;
  }
  v = strtod(buf, &endp);
  if (*endp != '\0')
    return -1; /* cannot happen: buf is well formed */
  if (isinf(v))
    return -1; /* overflow: pandas does not read "1e500" as a float */
  *out = v;
  return 0;
}

dusk_type dusk_field_infer(const char *s, size_t len) {
  bool b;
  int64_t i;
  double f;
  if (dusk_field_is_na(s, len))
    return DUSK_TYPE_NULL; /* not a type question; callers test NA first */
  if (dusk_field_parse_bool(s, len, &b) == 0)
    return DUSK_TYPE_BOOL;
  if (dusk_field_parse_int64(s, len, &i) == 0)
    return DUSK_TYPE_INT64;
  if (dusk_field_parse_float64(s, len, &f) == 0)
    return DUSK_TYPE_FLOAT64;
  return DUSK_TYPE_STRING;
}

/* ---- datetimes ------------------------------------------------------------
 * Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), and back. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  int64_t era;
  unsigned yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  int64_t era;
  unsigned doe, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* n decimal digits at s, into *v; 0 or -1. */
static int digits(const char *s, size_t n, unsigned *v) {
  unsigned x = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    x = x * 10 + (unsigned)(s[i] - '0');
  }
  *v = x;
  return 0;
}

/* Whether (y, mo, d, h, mi, sec, frac) lies inside pandas' datetime64[ns]
 * (1677-09-21 00:12:43.145224193 to 2262-04-11 23:47:16.854775807), for
 * the years 1677 and 2262 at its ends. */
static bool inside_ns_range(unsigned y, const unsigned f[6]) {
  static const unsigned lo[6] = {9, 21, 0, 12, 43, 145224193};
  static const unsigned hi[6] = {4, 11, 23, 47, 16, 854775807};
  const unsigned *end = y == 1677 ? lo : hi;
  for (int k = 0; k < 6; k++)
    if (f[k] != end[k])
      return y == 1677 ? f[k] > end[k] : f[k] < end[k];
  return true;
}

int dusk_field_parse_datetime(const char *s, size_t len, int64_t *ns) {
  static const unsigned mdays[] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
  unsigned y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, fdig = 0;
  size_t i = 0;
  int64_t days, t;
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  while (i < len && (s[i] == ' ' || s[i] == '\t'))
    i++;
  s += i;
  len -= i;
  if (len < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) != 0 ||
      digits(s + 5, 2, &mo) != 0 || digits(s + 8, 2, &d) != 0)
    return DUSK_DATETIME_FORM;
  i = 10;
  if (i < len) {
    if ((s[i] != ' ' && s[i] != 'T') || len < i + 6 || s[i + 3] != ':' ||
        digits(s + i + 1, 2, &h) != 0 || digits(s + i + 4, 2, &mi) != 0)
      return DUSK_DATETIME_FORM;
    i += 6;
    if (i < len) {
      if (s[i] != ':' || len < i + 3 || digits(s + i + 1, 2, &sec) != 0)
        return DUSK_DATETIME_FORM;
      i += 3;
      if (i < len) {
        if (s[i] != '.' || len == i + 1 || len - i - 1 > 9 ||
            digits(s + i + 1, len - i - 1, &frac) != 0)
          return DUSK_DATETIME_FORM;
        fdig = (unsigned)(len - i - 1);
        i = len;
      }
    }
  }
  while (fdig < 9) {
    frac *= 10;
    fdig++;
  }
  /* Of the form: now whether such a date-time exists (pandas refuses
   * February 30, month 13, hour 24 alike) and fits datetime64[ns]. */
  if (mo < 1 || mo > 12 || d < 1 ||
      d > mdays[mo - 1] + (mo == 2 && (y % 4 == 0 && (y % 100 != 0 ||
                                                        y % 400 == 0))) ||
      h > 23 || mi > 59 || sec > 59 || y < 1677 || y > 2262)
    return DUSK_DATETIME_NO_SUCH;
  if (y == 1677 || y == 2262) {
    const unsigned f[6] = {mo, d, h, mi, sec, frac};
    return inside_ns_range(y, f) ? DUSK_DATETIME_RANGE
                                 : DUSK_DATETIME_NO_SUCH;
  }
  days = days_from_civil(y, mo, d);
  t = ((days * 24 + h) * 60 + mi) * 60 + sec;
  /* 1678..2261 keeps t * 1e9 inside int64 except at the very ends. */
  if (t > INT64_MAX / 1000000000 - 1 || t < INT64_MIN / 1000000000 + 1)
    return DUSK_DATETIME_RANGE;
  *ns = t * 1000000000 + (int64_t)frac;
  return 0;
}

/* ---- literals: pandas' Timestamp(text) and Timedelta(text) ---------------- */

static void trim_spaces(const char **s, size_t *len) {
  while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
    (*len)--;
  while (*len > 0 && (**s == ' ' || **s == '\t')) {
    (*s)++;
    (*len)--;
  }
}

/* pandas' NaT strings (nat_strings): what Timestamp() and Timedelta()
 * read as NaT. */
static bool is_nat_text(const char *s, size_t len) {
  static const char *const nats[] = {"NaT", "nat", "NAT", "nan", "NaN", "NAN"};
  if (len == 0)
    return true;
  for (size_t k = 0; k < sizeof nats / sizeof *nats; k++)
    if (len == 3 && memcmp(s, nats[k], 3) == 0)
      return true;
  return false;
}

/* 1 or 2 digits at s[*i], into *v. */
static int one_or_two_digits(const char *s, size_t len, size_t *i,
                             unsigned *v) {
  size_t n = 0;
  while (n < 2 && *i + n < len && s[*i + n] >= '0' && s[*i + n] <= '9')
    n++;
  if (n == 0 || digits(s + *i, n, v) != 0)
    return -1;
  *i += n;
  return 0;
}

/* The ISO forms of dusk_parse_timestamp_literal. */
static int iso_timestamp_literal(const char *s, size_t len, int64_t *ns,
                                 bool *nat) {
  unsigned y, mo = 1, d = 1, h = 0, mi = 0, sec = 0;
  const char *frac = "";
  size_t i, fdig = 0;
  bool have_day = false;
  char canon[48];
  trim_spaces(&s, &len);
  *nat = is_nat_text(s, len);
  if (*nat)
    return 0;
  if (len < 4 || digits(s, 4, &y) != 0)
    return DUSK_DATETIME_FORM;
  i = 4;
  if (len >= 8 && digits(s + 4, 4, &mo) == 0 &&
      (len == 8 || s[8] == 'T' || s[8] == ' ')) { /* YYYYMMDD */
    mo = (unsigned)(s[4] - '0') * 10 + (unsigned)(s[5] - '0');
    d = (unsigned)(s[6] - '0') * 10 + (unsigned)(s[7] - '0');
    i = 8;
    have_day = true;
  } else if (i < len && s[i] == '-') {
    i++;
    if (one_or_two_digits(s, len, &i, &mo) != 0)
      return DUSK_DATETIME_FORM;
    if (i < len && s[i] == '-') {
      i++;
      if (one_or_two_digits(s, len, &i, &d) != 0)
        return DUSK_DATETIME_FORM;
      have_day = true;
    }
  }
  if (i < len) { /* a time of day, after a whole date */
    if (!have_day || (s[i] != 'T' && s[i] != ' '))
      return DUSK_DATETIME_FORM;
    if (s[i] == 'T')
      i++;
    else
      while (i < len && s[i] == ' ')
        i++;
    if (len < i + 2 || digits(s + i, 2, &h) != 0)
      return DUSK_DATETIME_FORM;
    i += 2;
    if (i < len) {
      if (s[i] != ':' || len < i + 3 || digits(s + i + 1, 2, &mi) != 0)
        return DUSK_DATETIME_FORM;
      i += 3;
    }
    if (i < len) {
      if (s[i] != ':' || len < i + 3 || digits(s + i + 1, 2, &sec) != 0)
        return DUSK_DATETIME_FORM;
      i += 3;
    }
    if (i < len) {
      if (s[i] != '.' || len - i - 1 < 1 || len - i - 1 > 9)
        return DUSK_DATETIME_FORM;
      frac = s + i + 1;
      fdig = len - i - 1;
    }
  }
  /* The canonical form, read by the parse_dates parser, which checks the
   * fields (February 30, hour 24) and the datetime64[ns] range. */
  snprintf(canon, sizeof canon, "%04u-%02u-%02u %02u:%02u:%02u%s%.*s", y,
           mo > 99 ? 99 : mo, d > 99 ? 99 : d, h, mi, sec, fdig ? "." : "",
           (int)fdig, frac);
  return dusk_field_parse_datetime(canon, strlen(canon), ns);
}

int dusk_parse_timestamp_literal(const char *s, size_t len, int64_t *ns,
                                 bool *nat) {
  int rc = iso_timestamp_literal(s, len, ns, nat);
  /* pandas then tries dateutil: its common spellings (dateforms.h) */
  return rc == DUSK_DATETIME_FORM ? dusk_parse_date_forms(s, len, ns) : rc;
}

/* The length of s (trimmed) before the time zone pandas reads at the end
 * of an ISO date-time (fieldparse.h, DUSK_PANDAS_DATE_TZ) and the spaces
 * before it; 0 when s ends in none. */
static size_t before_time_zone(const char *s, size_t len) {
  unsigned hh, mm = 0;
  size_t k = len;
  if (len > 0 && (s[len - 1] == 'Z' || s[len - 1] == 'z'))
    k = len - 1;
  else if (len >= 3 && (memcmp(s + len - 3, "UTC", 3) == 0 ||
                        memcmp(s + len - 3, "GMT", 3) == 0))
    k = len - 3;
  else {
    /* an offset: [+-]HH:MM, [+-]HHMM or [+-]HH */
    static const size_t lens[] = {6, 5, 3};
    for (size_t j = 0; j < 3 && k == len; j++) {
      size_t n = lens[j];
      const char *o;
      if (len < n)
        continue;
      o = s + len - n;
      mm = 0;
      if ((o[0] != '+' && o[0] != '-') || digits(o + 1, 2, &hh) != 0 ||
          (n == 6 && (o[3] != ':' || digits(o + 4, 2, &mm) != 0)) ||
          (n == 5 && digits(o + 3, 2, &mm) != 0))
        continue;
      if (hh < 24 && mm < 60)
        k = len - n;
    }
    if (k == len)
      return 0;
  }
  while (k > 0 && s[k - 1] == ' ')
    k--;
  return k;
}

int dusk_field_pandas_datetime(const char *s, size_t len) {
  int64_t ns;
  bool nat;
  size_t n;
  int rc;
  /* pandas' NaT strings, as read_csv leaves them (untrimmed); "nan" and
   * "NaN" are its missing values before that */
  if (len > 0 && is_nat_text(s, len))
    return DUSK_PANDAS_DATE_NAT;
  trim_spaces(&s, &len);
  rc = dusk_parse_timestamp_literal(s, len, &ns, &nat);
  if (rc == 0 && !nat)
    return DUSK_PANDAS_DATE_FORM;
  if (rc == DUSK_DATETIME_RANGE)
    return DUSK_PANDAS_DATE_EDGE;
  /* a time zone after a whole ISO date and a time ("2021-01-05Z" is no
   * date-time to pandas) */
  n = before_time_zone(s, len);
  if (n > 10 && dusk_field_parse_datetime(s, n, &ns) == 0)
    return DUSK_PANDAS_DATE_TZ;
  return DUSK_PANDAS_DATE_NONE;
}

/* pandas' timedelta unit words (timedelta_abbrevs), lower case. */
static const struct {
  const char *name;
  int64_t ns;
} td_units[] = {
    {"w", 604800000000000},  {"d", 86400000000000},
    {"day", 86400000000000}, {"days", 86400000000000},
    {"h", 3600000000000},    {"hr", 3600000000000},
    {"hour", 3600000000000}, {"hours", 3600000000000},
    {"m", 60000000000},      {"t", 60000000000},
    {"min", 60000000000},    {"minute", 60000000000},
    {"minutes", 60000000000}, {"s", 1000000000},
    {"sec", 1000000000},     {"second", 1000000000},
    {"seconds", 1000000000}, {"ms", 1000000},
    {"l", 1000000},          {"milli", 1000000},
    {"millis", 1000000},     {"millisecond", 1000000},
    {"milliseconds", 1000000}, {"us", 1000},
    {"u", 1000},             {"\xc2\xb5s", 1000},
    {"micro", 1000},         {"micros", 1000},
    {"microsecond", 1000},   {"microseconds", 1000},
    {"ns", 1},               {"n", 1},
    {"nano", 1},             {"nanos", 1},
    {"nanosecond", 1},       {"nanoseconds", 1}};

/* A run of digits at s[*i] as an exact value (no more than 18 of them). */
static int digit_run(const char *s, size_t len, size_t *i, int64_t *v,
                     size_t *n) {
  *v = 0;
  *n = 0;
  while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
    if (*n == 18)
      return -1;
    *v = *v * 10 + (s[*i] - '0');
    (*i)++;
    (*n)++;
  }
  return 0;
}

/* "<number> <unit>" ... into *total (exact, truncated to the ns). */
static int td_unit_form(const char *s, size_t len, size_t i,
                        __int128 *total) {
  int parts = 0;
  while (i < len) {
    int64_t whole, fracv = 0, unit = 0;
    size_t nd, nf = 0, u0;
    char word[16];
    if (digit_run(s, len, &i, &whole, &nd) != 0 || nd == 0)
      return -1;
    if (i < len && s[i] == '.') {
      i++;
      /* digits past the 18th cannot reach a nanosecond of a week */
      while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (nf < 18) {
          fracv = fracv * 10 + (s[i] - '0');
          nf++;
        }
        i++;
      }
    }
    while (i < len && s[i] == ' ')
      i++;
    u0 = i;
    while (i < len && ((s[i] >= 'a' && s[i] <= 'z') ||
                       (s[i] >= 'A' && s[i] <= 'Z') ||
                       (unsigned char)s[i] >= 0x80))
      i++;
    if (i == u0 || i - u0 >= sizeof word)
      return -1;
    /* "M", "Y" and "y" are months and years to pandas, which it warns
     * are no fixed length: refused. */
    if (i - u0 == 1 && (s[u0] == 'M' || s[u0] == 'Y' || s[u0] == 'y'))
      return -1;
    for (size_t k = 0; k < i - u0; k++)
      word[k] = s[u0 + k] >= 'A' && s[u0 + k] <= 'Z'
                    ? (char)(s[u0 + k] - 'A' + 'a')
                    : s[u0 + k];
    word[i - u0] = '\0';
    for (size_t k = 0; k < sizeof td_units / sizeof *td_units; k++)
      if (strcmp(word, td_units[k].name) == 0)
        unit = td_units[k].ns;
    if (unit == 0)
      return -1;
    {
      __int128 p10 = 1;
      for (size_t k = 0; k < nf; k++)
        p10 *= 10;
      *total += (__int128)whole * unit + (__int128)fracv * unit / p10;
    }
    parts++;
    while (i < len && (s[i] == ' ' || s[i] == ','))
      i++;
  }
  return parts > 0 ? 0 : -1;
}

int dusk_parse_timedelta_literal(const char *s, size_t len, int64_t *ns,
                                 bool *nat) {
  __int128 total = 0;
  bool neg = false;
  size_t i = 0;
  trim_spaces(&s, &len);
  *nat = is_nat_text(s, len);
  if (*nat)
    return 0;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i++;
    while (i < len && s[i] == ' ')
      i++;
  }
  if (memchr(s + i, ':', len - i) == NULL) {
    if (td_unit_form(s, len, i, &total) != 0)
      return -1;
    if (neg)
      total = -total;
  } else { /* [N day[s][,] ][+]H:MM:SS[.f] */
    int64_t v, frac = 0;
    unsigned mi, sec;
    size_t n;
    bool neg_clock = neg;
    if (digit_run(s, len, &i, &v, &n) != 0 || n == 0)
      return -1;
    if (i < len && s[i] != ':') { /* days first */
      while (i < len && s[i] == ' ')
        i++;
      if (len - i >= 3 && (s[i] == 'd' || s[i] == 'D') &&
          (s[i + 1] == 'a' || s[i + 1] == 'A') &&
          (s[i + 2] == 'y' || s[i + 2] == 'Y'))
        i += 3;
      else
        return -1;
      if (i < len && (s[i] == 's' || s[i] == 'S'))
        i++;
      if (i < len && s[i] == ',')
        i++;
      while (i < len && s[i] == ' ')
        i++;
      if (i < len && s[i] == '+') { /* pandas' repr: "-1 days +23:59:59" */
        neg_clock = false;
        i++;
      }
      total = (__int128)v * 86400000000000 * (neg ? -1 : 1);
      if (digit_run(s, len, &i, &v, &n) != 0 || n == 0)
        return -1;
    }
    /* hours (any number of digits), then two-digit minutes and seconds */
    if (i + 6 > len || s[i] != ':' || s[i + 3] != ':' ||
        digits(s + i + 1, 2, &mi) != 0 || digits(s + i + 4, 2, &sec) != 0 ||
        mi > 59 || sec > 59)
      return -1;
    i += 6;
    if (i < len) {
      size_t nf = 0;
      if (s[i] != '.')
        return -1;
      for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        if (nf < 9) { /* pandas truncates past the nanosecond */
          frac = frac * 10 + (s[i] - '0');
          nf++;
        }
      if (i < len)
        return -1;
      while (nf++ < 9)
        frac *= 10;
    }
    {
      __int128 clock =
          ((__int128)v * 3600 + mi * 60 + sec) * 1000000000 + frac;
      total += neg_clock ? -clock : clock;
    }
  }
  if (total <= INT64_MIN || total > INT64_MAX)
    return -1; /* INT64_MIN is NaT to pandas */
  *ns = (int64_t)total;
  return 0;
}

int dusk_time_digits(const int64_t *values, const uint8_t *valid, size_t n,
                     int datetime) {
  int digits = -1;
  for (size_t i = 0; i < n; i++) {
    int64_t frac, v = values[i];
    if (!valid[i])
      continue;
    if (!datetime) {
      if (v % 86400000000000LL != 0)
        return DUSK_TIME_EACH;
      continue;
    }
    frac = v % 1000000000;
    if (frac < 0)
      frac += 1000000000;
    if (frac % 1000 != 0)
      return 9;
    if (frac % 1000000 != 0)
      digits = 6;
    else if (frac != 0 && digits < 3)
      digits = 3;
    else if (digits < 0 && v % 86400000000000LL != 0)
      digits = 0;
  }
  return digits;
}

/* Writes v (< 10^width) as width digits, zero-padded. */
static void put_digits(uint64_t v, int width, char *out) {
  for (int i = width - 1; i >= 0; i--) {
    out[i] = (char)('0' + v % 10);
    v /= 10;
  }
}

static size_t put_fraction(int64_t frac, int digits, char *out) {
  if (digits != 3 && digits != 6 && digits != 9)
    return 0;
  out[0] = '.';
  put_digits((uint64_t)(digits == 3   ? frac / 1000000
                        : digits == 6 ? frac / 1000
                                      : frac),
             digits, out + 1);
  out[digits + 1] = '\0';
  return (size_t)digits + 1;
}

size_t dusk_format_datetime(int64_t ns, int digits, char *out) {
  dusk_datetime_parts dp;
  int64_t frac = ns % 1000000000;
  size_t n;
  if (frac < 0)
    frac += 1000000000;
  dusk_datetime_split(ns, &dp);
  if (dp.year < 0 || dp.year > 9999) { /* the rare wide years: printf */
    if (digits < 0)
      return (size_t)sprintf(out, "%04lld-%02u-%02u", (long long)dp.year,
                             dp.month, dp.day);
    n = (size_t)sprintf(out, "%04lld-%02u-%02u %02u:%02u:%02u",
                        (long long)dp.year, dp.month, dp.day, dp.hour,
                        dp.minute, dp.second);
    return n + put_fraction(frac, digits, out + n);
  }
  /* "YYYY-MM-DD[ HH:MM:SS]" without printf: a sorted frame's to_csv
   * writes one a row */
  put_digits((uint64_t)dp.year, 4, out);
  out[4] = '-';
  put_digits(dp.month, 2, out + 5);
  out[7] = '-';
  put_digits(dp.day, 2, out + 8);
  out[10] = '\0';
  if (digits < 0)
    return 10;
  out[10] = ' ';
  put_digits(dp.hour, 2, out + 11);
  out[13] = ':';
  put_digits(dp.minute, 2, out + 14);
  out[16] = ':';
  put_digits(dp.second, 2, out + 17);
  out[19] = '\0';
  return 19 + put_fraction(frac, digits, out + 19);
}

size_t dusk_format_timedelta(int64_t ns, int digits, char *out) {
  int64_t days = ns / 86400000000000LL, rest = ns % 86400000000000LL, secs;
  size_t n;
  if (rest < 0) { /* pandas: "-1 days +23:59:59" */
    rest += 86400000000000LL;
    days--;
  }
  if (digits < 0 && rest == 0)
    return (size_t)sprintf(out, "%lld days", (long long)days);
  if (digits == DUSK_TIME_EACH) /* pandas: microseconds, nanoseconds if any */
    digits = rest % 1000000000 == 0 ? 0 : rest % 1000 == 0 ? 6 : 9;
  secs = rest / 1000000000;
  n = (size_t)sprintf(out, days < 0 ? "%lld days +%02lld:%02lld:%02lld"
                                    : "%lld days %02lld:%02lld:%02lld",
                      (long long)days, (long long)(secs / 3600),
                      (long long)(secs / 60 % 60), (long long)(secs % 60));
  return n + put_fraction(rest % 1000000000, digits, out + n);
}

void dusk_datetime_split(int64_t ns, dusk_datetime_parts *out) {
  int64_t secs = ns / 1000000000, days;
  if (ns % 1000000000 < 0)
    secs--;
  days = secs / 86400;
  secs %= 86400;
  if (secs < 0) {
    secs += 86400;
    days--;
  }
  civil_from_days(days, &out->year, &out->month, &out->day);
  out->hour = (unsigned)(secs / 3600);
  out->minute = (unsigned)(secs / 60 % 60);
  out->second = (unsigned)(secs % 60);
  /* 1970-01-01 was a Thursday (3, Monday being 0). */
  out->dayofweek = (unsigned)(((days % 7) + 7 + 3) % 7);
  out->dayofyear =
      (unsigned)(days - days_from_civil(out->year, 1, 1) + 1);
}
