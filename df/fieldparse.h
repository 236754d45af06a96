/* fieldparse.h - how one CSV field becomes a typed value, the same way for
 * the scheduler's schema inference and the workers' scans, and the same way
 * pandas 1.5's read_csv does it by default.
 *
 * NA: a field is null when it equals one of pandas' default NA strings
 *   "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
 *   "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
 *   "nan", "null"
 * (compared exactly, after the CSV layer removed quotes).
 * bool: True/False, TRUE/FALSE, true/false.
 * int64: optional sign, decimal digits, within int64; surrounding spaces
 *   allowed.
 * float64: what strtod accepts in decimal form (digits, '.', exponent,
 *   "inf"/"infinity" with sign); surrounding spaces allowed.
 * All functions are pure and thread-safe; `s` need not be NUL-terminated. */
#ifndef DUSK_FIELDPARSE_H
#define DUSK_FIELDPARSE_H

#include "value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool dusk_field_is_na(const char *s, size_t len);

/* The longest NA string, in bytes. */
#define DUSK_FIELD_NA_MAX 8

/* Nonzero for the first bytes of the NA strings that are not empty. */
extern const unsigned char dusk__field_na_lead[256];

/* A prefilter for hot loops: false means dusk_field_is_na(s, len) is
 * false for this non-empty field, true means ask it.  Reads s[0] only
 * when 1 <= len <= DUSK_FIELD_NA_MAX.  (The empty field is NA; callers
 * test len == 0 themselves.) */
static inline bool dusk_field_may_be_na(const char *s, size_t len) {
  return len - 1 < DUSK_FIELD_NA_MAX &&
         dusk__field_na_lead[(unsigned char)s[0]] != 0;
}

/* 0 on success, -1 when the text is not of that type. */
int dusk_field_parse_bool(const char *s, size_t len, bool *out);
int dusk_field_parse_int64(const char *s, size_t len, int64_t *out);
int dusk_field_parse_float64(const char *s, size_t len, double *out);

/* ISO 8601 date-times as pandas' parse_dates reads them, on a fixed-format
 * fast path (no strptime): "YYYY-MM-DD", then optionally 'T' or ' ' and
 * "HH:MM", ":SS", and '.' with 1-9 digits of fraction; surrounding spaces
 * allowed; no time zone.  *ns: nanoseconds since 1970-01-01 00:00:00
 * (years 1678-2261, inside pandas' datetime64[ns] range).  0, or why
 * not: */
enum {
  DUSK_DATETIME_FORM = -1,    /* not of that form */
  DUSK_DATETIME_NO_SUCH = -2, /* of the form, but no date-time pandas
                                 holds: a field out of its range (month
                                 13, February 30, hour 24, minute or
                                 second 60) or outside datetime64[ns]
                                 (1677-09-21 00:12:43.145224193 to
                                 2262-04-11 23:47:16.854775807); pandas
                                 refuses it too, NaT with errors="coerce" */
  DUSK_DATETIME_RANGE = -3    /* a datetime64[ns] of 1677 or 2262, which
                                 pandas reads and dusk does not */
};
int dusk_field_parse_datetime(const char *s, size_t len, int64_t *ns);
/* pandas' Timestamp(text), as a comparison or an expression reads a
 * literal (pickup_datetime >= "2021-04"): an ISO date-time of which only
 * the year is needed - "YYYY", "YYYY-M[M]", "YYYY-M[M]-D[D]" or
 * "YYYYMMDD", then optionally 'T' or spaces and "HH[:MM[:SS[.f]]]" (1-9
 * digits of fraction) - the fields left out being the first instant, so
 * "2021-04" is 2021-04-01 00:00; surrounding spaces allowed.  pandas'
 * NaT strings ("", "NaT", "nat", "NAT", "nan", "NaN", "NAN") set *nat.
 * Else the common spellings pandas reads through dateutil ("Apr 15
 * 2021", "04/15/2021 6:00 PM": dateforms.h).  0 with *ns (or *nat), or
 * a DUSK_DATETIME_* code, which a caller refuses naming the forms. */
int dusk_parse_timestamp_literal(const char *s, size_t len, int64_t *ns,
                                 bool *nat);
/* What pandas' read_csv parse_dates (to_datetime, then dateutil) makes
 * of a value dusk_field_parse_datetime refuses, where that is certain -
 * so a parse_dates column holding it is an error in dusk, not the text
 * column pandas leaves only when a value is no date at all:
 *   DUSK_PANDAS_DATE_NONE  maybe nothing ("soon", February 30, a
 *                          spelling dusk does not know): pandas may well
 *                          leave the column text, as dusk does
 *   DUSK_PANDAS_DATE_FORM  a date-time in another spelling: the ISO ones
 *                          of dusk_parse_timestamp_literal ("2021-1-5",
 *                          "20210105", "2021-01-05 10") and dateforms.h's
 *                          ("2021/01/05", "Jan 5 2021")
 *   DUSK_PANDAS_DATE_EDGE  one of those in 1677 or 2262
 *                          (DUSK_DATETIME_RANGE)
 *   DUSK_PANDAS_DATE_TZ    an ISO date-time with a time and a time zone:
 *                          then optionally spaces and "Z", "UTC", "GMT"
 *                          or an offset [+-]HH[[:]MM] under 24 hours
 *                          (tz-aware, datetime64[ns, tz], in pandas)
 *   DUSK_PANDAS_DATE_NAT   "NaT", "nat", "NAT" or "NAN" exactly: NaT */
enum {
  DUSK_PANDAS_DATE_NONE = 0,
  DUSK_PANDAS_DATE_FORM,
  DUSK_PANDAS_DATE_EDGE,
  DUSK_PANDAS_DATE_TZ,
  DUSK_PANDAS_DATE_NAT
};
int dusk_field_pandas_datetime(const char *s, size_t len);
/* pandas' Timedelta(text) for a comparison with a timedelta column
 * (duration > "5 minutes"), or to_timedelta: an optional leading sign,
 * then either "[N day[s][,] ][+]H:MM:SS[.f]" (pandas' own repr, "-1 days
 * +23:59:59.5", whose '+' ends the leading '-') or one or more "<number>
 * <unit>" ("1h30m", "1.5 hours", "2 days 3 min"), units as pandas spells
 * them, in any case: w, d/day/days, h/hr/hour/hours, m/min/minute/
 * minutes/t, s/sec/second/seconds, ms/milli/millis/millisecond(s)/l,
 * us/micro/micros/microsecond(s)/u/µs, ns/nano/nanos/nanosecond(s)/n.
 * A fraction counts exactly, truncated to the nanosecond.  NaT strings
 * as for timestamps.  0, or -1 for any other text (pandas' "M" and "Y"
 * units, ISO "P1D" durations, a bare number): the caller refuses it. */
int dusk_parse_timedelta_literal(const char *s, size_t len, int64_t *ns,
                                 bool *nat);
/* The calendar fields of a datetime (ns since the epoch): year, month
 * 1-12, day 1-31, hour, minute, second, day of the week (Monday 0), day
 * of the year (1-366). */
typedef struct dusk_datetime_parts {
  int64_t year;
  unsigned month, day, hour, minute, second, dayofweek, dayofyear;
} dusk_datetime_parts;
void dusk_datetime_split(int64_t ns, dusk_datetime_parts *out);

/* pandas formats a datetime64 column with one precision for all its
 * values: the digits of fraction they need (0, 3, 6 or 9), or -1 when
 * they all fall on midnight (dates alone).  A timedelta64 column is -1
 * when every value is a whole number of days ("3 days"), else
 * DUSK_TIME_EACH: each value shows the fraction it has (none, 6 digits,
 * or 9 with nanoseconds).  Over values[i] where valid[i]. */
#define DUSK_TIME_EACH 1
int dusk_time_digits(const int64_t *values, const uint8_t *valid, size_t n,
                     int datetime);
/* Writes ns as pandas prints it in such a column: "2021-04-01 00:06:03"
 * with `digits` of fraction, or "2021-04-01" for digits -1.  out holds at
 * least 40 bytes; returns the length. */
size_t dusk_format_datetime(int64_t ns, int digits, char *out);
/* Writes a duration as pandas prints it: "0 days 00:21:24",
 * "-1 days +23:59:59", with `digits` (0, 6, 9, or DUSK_TIME_EACH) of
 * fraction, or "3 days" for digits -1 and a whole number of days.  out
 * holds at least 48 bytes; returns the length. */
size_t dusk_format_timedelta(int64_t ns, int digits, char *out);

/* The narrowest type this non-NA field fits: BOOL, INT64, FLOAT64 or
 * STRING. */
dusk_type dusk_field_infer(const char *s, size_t len);

#endif
