/* check_fieldparse.c - NA strings, bools, ints, floats and type inference,
 * checked against what pandas 1.5.3's read_csv does with each string.
 *
 * Every call runs on an exact-size heap copy without a terminating NUL, so
 * reading past `len` shows up under AddressSanitizer. */
#include "fieldparse.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An exact-size copy of s (no NUL), freed by the caller. */
static char *exact(const char *s, size_t len) {
  char *p = malloc(len ? len : 1);
  ck_assert_ptr_nonnull(p);
  memcpy(p, s, len);
  return p;
}

static bool is_na(const char *s) {
  char *p = exact(s, strlen(s));
  bool r = dusk_field_is_na(p, strlen(s));
  free(p);
  return r;
}

static int parse_bool(const char *s, bool *out) {
  char *p = exact(s, strlen(s));
  int r = dusk_field_parse_bool(p, strlen(s), out);
  free(p);
  return r;
}

static int parse_int(const char *s, int64_t *out) {
  char *p = exact(s, strlen(s));
  int r = dusk_field_parse_int64(p, strlen(s), out);
  free(p);
  return r;
}

static int parse_float_n(const char *s, size_t len, double *out) {
  char *p = exact(s, len);
  int r = dusk_field_parse_float64(p, len, out);
  free(p);
  return r;
}

static int parse_float(const char *s, double *out) {
  return parse_float_n(s, strlen(s), out);
}

static dusk_type infer(const char *s) {
  char *p = exact(s, strlen(s));
  dusk_type t = dusk_field_infer(p, strlen(s));
  free(p);
  return t;
}

/* ---- NA ----------------------------------------------------------------- */

/* pandas._libs.parsers.STR_NA_VALUES in pandas 1.5.3. */
static const char *const na_strings[] = {
    "",     "#N/A", "#N/A N/A", "#NA",     "-1.#IND", "-1.#QNAN",
    "-NaN", "-nan", "1.#IND",   "1.#QNAN", "<NA>",    "N/A",
    "NA",   "NULL", "NaN",      "n/a",     "nan",     "null"};

/* ISO date-times: the accepted forms and their nanoseconds (from Python's
 * datetime / pandas.Timestamp(...).value), and what is refused. */
START_TEST(test_datetime_parse) {
  static const struct {
    const char *s;
    int64_t ns;
  } ok[] = {
      {"1970-01-01", 0},
      {"1970-01-01 00:00:01", 1000000000},
      {"2021-04-01 18:06:26", 1617300386000000000LL},
      {"2021-04-01T18:06:26", 1617300386000000000LL},
      {" 2021-04-01 18:06 ", 1617300360000000000LL},
      {"2021-04-01 18:06:26.5", 1617300386500000000LL},
      {"2021-04-01 18:06:26.000001", 1617300386000001000LL},
      {"2021-04-01 18:06:26.123456789", 1617300386123456789LL},
      {"1969-12-31 23:59:59", -1000000000},
      {"2020-02-29", 1582934400000000000LL},
      {"2000-02-29 12:00:00", 951825600000000000LL},
      {"1678-01-01", -9214560000000000000LL},
  };
  static const char *const bad[] = {
      "",           "2021",          "2021-4-01",          "2021-04-1",
      "2021/04/01", "2021-13-01",    "2021-02-29",         "1900-02-29",
      "2021-04-31", "2021-04-01 24:00", "2021-04-01 10:60", "2021-04-01 10",
      "2021-04-01 10:00:61", "2021-04-01 10:00:00.", "2021-04-01 10:00:00.1234567890",
      "2021-04-01 10:00:00Z", "2021-04-01x", "1677-12-31", "2262-01-01",
      "abcd-ef-gh"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t ns = 42;
    ck_assert_msg(dusk_field_parse_datetime(ok[i].s, strlen(ok[i].s), &ns) ==
                      0,
                  "refused %s", ok[i].s);
    ck_assert_msg(ns == ok[i].ns, "%s: %lld, want %lld", ok[i].s,
                  (long long)ns, (long long)ok[i].ns);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ns;
    ck_assert_msg(dusk_field_parse_datetime(bad[i], strlen(bad[i]), &ns) != 0,
                  "accepted '%s'", bad[i]);
  }
  /* Why not: no such date-time (pandas refuses it too: NaT for coerce),
   * or one of 1677 or 2262 that pandas holds and dusk does not read. */
  {
    static const struct {
      const char *s;
      int why;
    } whys[] = {
        {"2021", DUSK_DATETIME_FORM},
        {"2021-4-01", DUSK_DATETIME_FORM},
        {"2021-02-30x", DUSK_DATETIME_FORM},
        {"2021-04-01 10:00:00.1234567890", DUSK_DATETIME_FORM},
        {"2021-13-01", DUSK_DATETIME_NO_SUCH},
        {"2021-00-01", DUSK_DATETIME_NO_SUCH},
        {"2021-02-29", DUSK_DATETIME_NO_SUCH},
        {"1900-02-29", DUSK_DATETIME_NO_SUCH},
        {"2021-04-31", DUSK_DATETIME_NO_SUCH},
        {"2021-04-00", DUSK_DATETIME_NO_SUCH},
        {"2021-04-01 24:00", DUSK_DATETIME_NO_SUCH},
        {"2021-04-01 10:60", DUSK_DATETIME_NO_SUCH},
        {"2021-04-01 10:00:60", DUSK_DATETIME_NO_SUCH},
        {"0000-01-01", DUSK_DATETIME_NO_SUCH},
        {"1676-12-31", DUSK_DATETIME_NO_SUCH},
        {"2263-01-01", DUSK_DATETIME_NO_SUCH},
        {"1677-09-21 00:12:43.145224192", DUSK_DATETIME_NO_SUCH},
        {"2262-04-11 23:47:16.854775808", DUSK_DATETIME_NO_SUCH},
        {"1677-09-21 00:12:43.145224193", DUSK_DATETIME_RANGE},
        {"1677-12-31", DUSK_DATETIME_RANGE},
        {"2262-01-01", DUSK_DATETIME_RANGE},
        {"2262-04-11 23:47:16.854775807", DUSK_DATETIME_RANGE},
    };
    for (size_t i = 0; i < sizeof whys / sizeof whys[0]; i++) {
      int64_t ns;
      int why = dusk_field_parse_datetime(whys[i].s, strlen(whys[i].s), &ns);
      ck_assert_msg(why == whys[i].why, "%s: %d, want %d", whys[i].s, why,
                    whys[i].why);
    }
  }
  /* Not NUL-terminated: only len bytes are read. */
  {
    int64_t ns;
    ck_assert_int_eq(dusk_field_parse_datetime("2021-04-01999", 10, &ns), 0);
    ck_assert_int_eq(ns, 1617235200000000000LL);
  }
}
END_TEST

/* Literals as pandas' Timestamp(text) and Timedelta(text) read them; the
 * expected values are pandas 1.5's .value of each text. */
START_TEST(test_time_literals) {
  static const struct {
    const char *s;
    int64_t ns;
  } ts[] = {{"2021", 1609459200000000000LL},
            {"2021-3", 1614556800000000000LL},
            {"2021-03", 1614556800000000000LL},
            {"2021-3-1", 1614556800000000000LL},
            {" 2021-02-28 ", 1614470400000000000LL},
            {"20210228", 1614470400000000000LL},
            {"2021-02-28 10", 1614506400000000000LL},
            {"2021-02-28T10", 1614506400000000000LL},
            {"2021-03-01  10:00", 1614592800000000000LL},
            {"2021-03-01T10:00:00.123", 1614592800123000000LL},
            {"2021-02-28 10:00:00.123456789", 1614506400123456789LL},
            /* dateutil's spellings (dateforms.h), values from pandas */
            {"Feb 28 2021", 1614470400000000000LL},
            {"2021/02/28", 1614470400000000000LL},
            {"April 15, 2021", 1618444800000000000LL},
            {"15-Apr-2021", 1618444800000000000LL},
            {"Apr 2021", 1617235200000000000LL},
            {"2021 Apr 15", 1618444800000000000LL},
            {"04/15/2021 6:00 PM", 1618509600000000000LL},
            {"15/04/2021", 1618444800000000000LL},
            {"15.04.2021 12:00 AM", 1618444800000000000LL},
            {"Apr 15th 2021 18:00:30.1234567", 1618509630123456000LL},
            {"2021-03-01 1 PM", 1614603600000000000LL},
            {"Sept 1 2021 12:30 pm", 1630499400000000000LL},
            {"04/15/2021T18", 1618509600000000000LL}},
    td[] = {{"00:05:00", 300000000000LL},
            {"1.5h", 5400000000000LL},
            {"0.1h", 360000000000LL},
            {"1h30m", 5400000000000LL},
            {"1h 30m", 5400000000000LL},
            {"1 day 2:03:04.5", 93784500000000LL},
            {"-1 days +23:59:59.999999999", -1},
            {"1 days, 02:00:00", 93600000000000LL},
            {"5 MIN", 300000000000LL},
            {"5minutes", 300000000000LL},
            {"1.1s", 1100000000},
            {"0.3333333333s", 333333333},
            {"- 5m", -300000000000LL},
            {"+5m", 300000000000LL},
            {"2W", 1209600000000000LL},
            {"-00:05:00", -300000000000LL},
            {"100:00:00", 360000000000000LL},
            {"1m 1m", 120000000000LL},
            {"5\xc2\xb5s", 5000},
            {"3 T", 180000000000LL},
            {"1.s", 1000000000},
            {"01:02:03.1234567891", 3723123456789LL}};
  static const char *const ts_bad[] = {"2021-02-30", "202103", "2021-03-01 1",
                                       "2021-02-28T10:00Z", "2263-01-01",
                                       "2021-02-28 10:00:00.1234567890",
                                       /* pandas reads these, dusk not */
                                       "12/31/21", "Thursday, April 15, 2021",
                                       "2021-04-15 18:00 +02:00",
                                       /* nor pandas */
                                       "Feb 29 2021", "Apr 15 2021 13 PM",
                                       "13/13/2021", "April 15",
                                       "Apr 15 2021 6", "Apr 15 2021 6:00 XM",
                                       "Apr 15 2021 1 2 3 4 5 6 7 8 9 10"},
                           *td_bad[] = {"5", "1M", "1Y", "P1DT2H", "1e3s",
                                        ".5s", "00:05", "1 hour -5 min",
                                        "5 fortnights", "00:60:00"},
                           *nats[] = {"", "  ", "NaT", "nat", "NAT", "nan",
                                      "NaN"};
  int64_t ns;
  bool nat;
  for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
    ck_assert_msg(dusk_parse_timestamp_literal(ts[i].s, strlen(ts[i].s), &ns,
                                               &nat) == 0 && !nat,
                  "%s", ts[i].s);
    ck_assert_msg(ns == ts[i].ns, "%s: %lld", ts[i].s, (long long)ns);
  }
  for (size_t i = 0; i < sizeof td / sizeof *td; i++) {
    ck_assert_msg(dusk_parse_timedelta_literal(td[i].s, strlen(td[i].s), &ns,
                                               &nat) == 0 && !nat,
                  "%s", td[i].s);
    ck_assert_msg(ns == td[i].ns, "%s: %lld", td[i].s, (long long)ns);
  }
  for (size_t i = 0; i < sizeof ts_bad / sizeof *ts_bad; i++)
    ck_assert_msg(dusk_parse_timestamp_literal(ts_bad[i], strlen(ts_bad[i]),
                                               &ns, &nat) != 0,
                  "%s", ts_bad[i]);
  for (size_t i = 0; i < sizeof td_bad / sizeof *td_bad; i++)
    ck_assert_msg(dusk_parse_timedelta_literal(td_bad[i], strlen(td_bad[i]),
                                               &ns, &nat) != 0,
                  "%s", td_bad[i]);
  for (size_t i = 0; i < sizeof nats / sizeof *nats; i++) {
    ck_assert(dusk_parse_timestamp_literal(nats[i], strlen(nats[i]), &ns,
                                           &nat) == 0 && nat);
    ck_assert(dusk_parse_timedelta_literal(nats[i], strlen(nats[i]), &ns,
                                           &nat) == 0 && nat);
  }
}
END_TEST

/* What pandas' read_csv parse_dates makes of values dusk's datetime
 * columns refuse: each kind checked against pandas 1.5.3's dtype of a
 * column holding the value (object for NONE). */
START_TEST(test_pandas_datetime) {
  static const struct {
    const char *s;
    int kind;
  } v[] = {
      {"2021/01/05", DUSK_PANDAS_DATE_FORM},
      {" 2021/01/05 ", DUSK_PANDAS_DATE_FORM},
      {"Jan 5 2021", DUSK_PANDAS_DATE_FORM},
      {"04/15/2021 6:00 PM", DUSK_PANDAS_DATE_FORM},
      {"15/04/2021", DUSK_PANDAS_DATE_FORM},
      {"2021.04.15", DUSK_PANDAS_DATE_FORM},
      {"Apr 2021", DUSK_PANDAS_DATE_FORM},
      {"2021-1-5", DUSK_PANDAS_DATE_FORM},
      {"20210105", DUSK_PANDAS_DATE_FORM},
      {"2021", DUSK_PANDAS_DATE_FORM},
      {"2021-01", DUSK_PANDAS_DATE_FORM},
      {"2021-01-05 10", DUSK_PANDAS_DATE_FORM},
      {"2021-01-05T10", DUSK_PANDAS_DATE_FORM},
      {"2021-01-05  10", DUSK_PANDAS_DATE_FORM},
      {"1677-12-01", DUSK_PANDAS_DATE_EDGE},
      {"1677-09-21 00:12:44", DUSK_PANDAS_DATE_EDGE},
      {"2262-04-11", DUSK_PANDAS_DATE_EDGE},
      {"2021-01-05 10:00:00Z", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05 10:00:00 z", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05T10:00Z", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05 10:00:00.123456789Z", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05 10:00:00+00:00", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05 10:00:00 +0000", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05 10:00:00 -0000", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05 10:00:00+2359", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05 10:00:00-12", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05 10:00+05:30", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05 10:00:00 UTC", DUSK_PANDAS_DATE_TZ},
      {"2021-01-05 10:00:00 GMT", DUSK_PANDAS_DATE_TZ},
      {"NaT", DUSK_PANDAS_DATE_NAT},
      {"nat", DUSK_PANDAS_DATE_NAT},
      {"NAT", DUSK_PANDAS_DATE_NAT},
      {"NAN", DUSK_PANDAS_DATE_NAT},
      {"soon", DUSK_PANDAS_DATE_NONE},
      {"n.a.", DUSK_PANDAS_DATE_NONE},
      {"abc", DUSK_PANDAS_DATE_NONE},
      {"5", DUSK_PANDAS_DATE_NONE},
      {" ", DUSK_PANDAS_DATE_NONE},
      {" NaT ", DUSK_PANDAS_DATE_NONE},
      {"2021-02-30", DUSK_PANDAS_DATE_NONE},
      {"2021/02/30", DUSK_PANDAS_DATE_NONE},
      {"2021-01-05Z", DUSK_PANDAS_DATE_NONE},
      {"2021-01-05 10:00:00utc", DUSK_PANDAS_DATE_NONE},
      {"2021-01-05 10:00:00+00:00:00", DUSK_PANDAS_DATE_NONE},
      {"Z", DUSK_PANDAS_DATE_NONE},
      {"+01:00", DUSK_PANDAS_DATE_NONE},
  };
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
    int kind = dusk_field_pandas_datetime(v[i].s, strlen(v[i].s));
    ck_assert_msg(kind == v[i].kind, "'%s': %d, want %d", v[i].s, kind,
                  v[i].kind);
  }
}
END_TEST

/* pandas' text for Timestamps and Timedeltas, one precision a column. */
START_TEST(test_datetime_format) {
  static const int64_t v[] = {1617300386000000000LL, 1617300386500000000LL,
                              -1000000000};
  static const uint8_t all[] = {1, 1, 1}, first[] = {1, 0, 0};
  static const int64_t days[] = {1617235200000000000LL, 0};
  static const uint8_t two[] = {1, 1};
  char out[64];
  dusk_datetime_parts dp;
  ck_assert_int_eq(dusk_time_digits(v, all, 3, 1), 3); /* .500: ms */
  ck_assert_int_eq(dusk_time_digits(v, first, 3, 1), 0);
  ck_assert_int_eq(dusk_time_digits(days, two, 2, 1), -1);
  ck_assert_int_eq(dusk_time_digits(days, two, 2, 0), -1);
  ck_assert_int_eq(dusk_time_digits(v, all, 3, 0), DUSK_TIME_EACH);
  {
    /* Milliseconds take three digits; a timedelta shows its own. */
    static const int64_t ms[] = {1612902094600000000LL, 1612902094000000000LL};
    ck_assert_int_eq(dusk_time_digits(ms, two, 2, 1), 3);
    dusk_format_datetime(ms[0], 3, out);
    ck_assert_str_eq(out, "2021-02-09 20:21:34.600");
    dusk_format_timedelta(1909000000000LL, DUSK_TIME_EACH, out);
    ck_assert_str_eq(out, "0 days 00:31:49");
    dusk_format_timedelta(1909500000000LL, DUSK_TIME_EACH, out);
    ck_assert_str_eq(out, "0 days 00:31:49.500000");
    dusk_format_timedelta(1909000000001LL, DUSK_TIME_EACH, out);
    ck_assert_str_eq(out, "0 days 00:31:49.000000001");
    dusk_format_timedelta(2 * 86400000000000LL, -1, out);
    ck_assert_str_eq(out, "2 days");
  }
  dusk_format_datetime(v[0], 0, out);
  ck_assert_str_eq(out, "2021-04-01 18:06:26");
  dusk_format_datetime(v[1], 6, out);
  ck_assert_str_eq(out, "2021-04-01 18:06:26.500000");
  dusk_format_datetime(v[2], 0, out);
  ck_assert_str_eq(out, "1969-12-31 23:59:59");
  dusk_format_datetime(days[0], -1, out);
  ck_assert_str_eq(out, "2021-04-01");
  dusk_format_datetime(123456789, 9, out);
  ck_assert_str_eq(out, "1970-01-01 00:00:00.123456789");
  dusk_format_timedelta(1710000000000LL, 0, out);
  ck_assert_str_eq(out, "0 days 00:28:30");
  dusk_format_timedelta(90061000000000LL, 0, out);
  ck_assert_str_eq(out, "1 days 01:01:01");
  dusk_format_timedelta(-1000000000, 0, out);
  ck_assert_str_eq(out, "-1 days +23:59:59");
  dusk_format_timedelta(1500000, 6, out);
  ck_assert_str_eq(out, "0 days 00:00:00.001500");
  /* Calendar fields: 2021-04-01 was a Thursday, day 91 of its year. */
  dusk_datetime_split(v[0], &dp);
  ck_assert_int_eq(dp.year, 2021);
  ck_assert_uint_eq(dp.month, 4);
  ck_assert_uint_eq(dp.day, 1);
  ck_assert_uint_eq(dp.hour, 18);
  ck_assert_uint_eq(dp.minute, 6);
  ck_assert_uint_eq(dp.second, 26);
  ck_assert_uint_eq(dp.dayofweek, 3);
  ck_assert_uint_eq(dp.dayofyear, 91);
  dusk_datetime_split(-1, &dp); /* 1969-12-31 23:59:59.999999999 */
  ck_assert_int_eq(dp.year, 1969);
  ck_assert_uint_eq(dp.day, 31);
  ck_assert_uint_eq(dp.second, 59);
  ck_assert_uint_eq(dp.dayofweek, 2);
  ck_assert_uint_eq(dp.dayofyear, 365);
}
END_TEST

START_TEST(test_na_exact_set) {
  for (size_t i = 0; i < sizeof na_strings / sizeof na_strings[0]; i++)
    ck_assert_msg(is_na(na_strings[i]), "\"%s\" should be NA", na_strings[i]);
}
END_TEST

START_TEST(test_na_near_misses) {
  /* Each of these pandas 1.5.3 reads as a string (or number): NA matching
   * is exact, case-sensitive, without trimming.  "None" joined the default
   * set only in pandas 2.0. */
  static const char *const not_na[] = {
      "NAN",  "na ",  "Null", " NA",     "NA ",    "None",     "none",
      "nA",   "N/a",  "#n/a", "#N/A N/", "1.#ind", "-1.#Qnan", "+nan",
      "+NaN", "NaN ", "-NAN", "NULL ",   "<na>",   "#N/AN/A",  "n/a/",
      "nul",  "0",    " ",    "\t",      "\"\"",   "-1.#IND ", "1.#QNAN0"};
  for (size_t i = 0; i < sizeof not_na / sizeof not_na[0]; i++)
    ck_assert_msg(!is_na(not_na[i]), "\"%s\" should not be NA", not_na[i]);
}
END_TEST

START_TEST(test_na_not_nul_terminated) {
  /* A prefix of a longer buffer: only len bytes count. */
  ck_assert(dusk_field_is_na("NAN", 2));  /* "NA" */
  ck_assert(dusk_field_is_na("nanx", 3)); /* "nan" */
  ck_assert(!dusk_field_is_na("NA", 1));  /* "N" */
  ck_assert(dusk_field_is_na("xyz", 0));
}
END_TEST

/* ---- bool --------------------------------------------------------------- */

START_TEST(test_bool) {
  static const char *const yes[] = {"True", "TRUE", "true", "tRUE", "tRue"};
  static const char *const no[] = {"False", "FALSE", "false", "fALSE", "FaLsE"};
  static const char *const neither[] = {
      "T",      "F",     "yes", "no", "1",  "0", " True",    "True ",
      "\tTrue", "truee", "tru", "",   "on", "Y", "falsetrue"};
  bool b;
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
    b = false;
    ck_assert_int_eq(parse_bool(yes[i], &b), 0);
    ck_assert(b);
  }
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
    b = true;
    ck_assert_int_eq(parse_bool(no[i], &b), 0);
    ck_assert(!b);
  }
  for (size_t i = 0; i < sizeof neither / sizeof neither[0]; i++)
    ck_assert_msg(parse_bool(neither[i], &b) == -1, "\"%s\"", neither[i]);
}
END_TEST

/* ---- int64 -------------------------------------------------------------- */

START_TEST(test_int_ok) {
  static const struct {
    const char *s;
    int64_t v;
  } ok[] = {
      {"0", 0},
      {"7", 7},
      {"-7", -7},
      {"+5", 5},
      {" 7 ", 7},
      {"\t7", 7},
      {"7\t", 7},
      {"\n7\r", 7},
      {"\v7\f", 7},
      {"007", 7},
      {"-0", 0},
      {"+0", 0},
      {"9223372036854775807", INT64_MAX},
      {"-9223372036854775808", INT64_MIN},
      {"-9223372036854775807", -INT64_MAX},
      {"00000000000000000000000000009223372036854775807", INT64_MAX},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t v = 12345;
    ck_assert_msg(parse_int(ok[i].s, &v) == 0, "\"%s\"", ok[i].s);
    ck_assert_msg(v == ok[i].v, "\"%s\" -> %lld", ok[i].s, (long long)v);
  }
}
END_TEST

START_TEST(test_int_rejected) {
  static const char *const bad[] = {
      "9223372036854775808",  /* INT64_MAX + 1: pandas says uint64 */
      "-9223372036854775809", /* INT64_MIN - 1 */
      "18446744073709551616",
      "99999999999999999999999",
      "1.0",
      "1e3",
      "1E3",
      "1.",
      ".1",
      "",
      " ",
      "+",
      "-",
      "+-1",
      "--1",
      "1 2",
      "0x10",
      "1_000",
      "1,000",
      "12a",
      "a12",
      "inf",
      "nan",
      "True",
      "\xef\xbc\x91" /* fullwidth 1 */};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t v = 42;
    ck_assert_msg(parse_int(bad[i], &v) == -1, "\"%s\" parsed", bad[i]);
    ck_assert_int_eq(v, 42); /* untouched on failure */
  }
}
END_TEST

START_TEST(test_int_not_nul_terminated) {
  int64_t v = 0;
  ck_assert_int_eq(dusk_field_parse_int64("12345", 3, &v), 0);
  ck_assert_int_eq(v, 123);
  ck_assert_int_eq(dusk_field_parse_int64("12x", 2, &v), 0);
  ck_assert_int_eq(v, 12);
}
END_TEST

/* ---- float64 ------------------------------------------------------------ */

START_TEST(test_float_ok) {
  static const struct {
    const char *s;
    double v;
  } ok[] = {
      {"1.5", 1.5},
      {"-2", -2.0},
      {"1e-3", 1e-3},
      {".5", 0.5},
      {"5.", 5.0},
      {"+.5", 0.5},
      {"-.5e-3", -0.0005},
      {"1E5", 1e5},
      {"1e+5", 1e5},
      {"1.e5", 1e5},
      {" 1.5 ", 1.5},
      {"\v1.5", 1.5},
      {"1.5\n", 1.5},
      {"0.1", 0.1},
      {"3.14159265358979323846", 3.14159265358979323846},
      {"2.2250738585072014e-308", 2.2250738585072014e-308},
      {"4.9406564584124654e-324", 4.9406564584124654e-324},
      {"1e-400", 0.0}, /* underflow is a float (pandas: 0.0) */
      {"1.7976931348623157e308", 1.7976931348623157e308},
      {"123456789012345678901234567890", 123456789012345678901234567890.0},
      {"0.000000000000000000000000000001", 1e-30},
      {"9223372036854775808", 9223372036854775808.0},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    double v = -1;
    ck_assert_msg(parse_float(ok[i].s, &v) == 0, "\"%s\"", ok[i].s);
    ck_assert_msg(v == ok[i].v, "\"%s\" -> %.17g", ok[i].s, v);
  }
}
END_TEST

START_TEST(test_float_inf_and_zero) {
  static const char *const pinf[] = {"inf",      "Inf",      "INF",
                                     "iNf",      "+inf",     "Infinity",
                                     "infinity", "INFINITY", "+Infinity"};
  static const char *const ninf[] = {"-inf", "-Infinity", "-iNfInItY", "-INF"};
  double v;
  for (size_t i = 0; i < sizeof pinf / sizeof pinf[0]; i++) {
    v = 0;
    ck_assert_msg(parse_float(pinf[i], &v) == 0, "\"%s\"", pinf[i]);
    ck_assert(isinf(v) && v > 0);
  }
  for (size_t i = 0; i < sizeof ninf / sizeof ninf[0]; i++) {
    v = 0;
    ck_assert_msg(parse_float(ninf[i], &v) == 0, "\"%s\"", ninf[i]);
    ck_assert(isinf(v) && v < 0);
  }
  ck_assert_int_eq(parse_float("-0.0", &v), 0);
  ck_assert(v == 0.0 && signbit(v));
  ck_assert_int_eq(parse_float("0", &v), 0);
  ck_assert(v == 0.0 && !signbit(v));
  ck_assert_int_eq(parse_float("-000.000e9999999999", &v), 0);
  ck_assert(v == 0.0 && signbit(v));
}
END_TEST

START_TEST(test_float_rejected) {
  static const char *const bad[] = {
      "",       " ",       ".",         "+",       "-",    "e5",   ".e5",
      "5e",     "5e+",     "5e-",       "1.5e",    "1.5.", "1..5", "--1",
      "+-1",    "1.5f",    "1d5",       "0x1p3",   "0x10", "nan",  "NAN",
      "nan(1)", "infinit", "infinityy", "in",      " inf", "inf ", "\vinf",
      "+ 1",    "1 .5",    "1e 5",      "1,5",     "1_0",  "abc",  "1e500",
      "-1e500", "1e309",   "True",      "\xd9\xa1" /* Arabic-Indic 1 */};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double v = 42;
    ck_assert_msg(parse_float(bad[i], &v) == -1, "\"%s\" parsed", bad[i]);
    ck_assert(v == 42);
  }
}
END_TEST

START_TEST(test_float_long_inputs) {
  /* Longer than any local buffer: still exact, never read past len. */
  char s[4096];
  double v;
  size_t n;

  /* 0.000...0015 with 300 zeros */
  n = 0;
  s[n++] = '0';
  s[n++] = '.';
  for (int i = 0; i < 300; i++)
    s[n++] = '0';
  s[n++] = '1';
  s[n++] = '5';
  ck_assert_int_eq(parse_float_n(s, n, &v), 0);
  ck_assert(v == 1.5e-301);

  /* 1 followed by 300 zeros, then ".5" */
  n = 0;
  s[n++] = '1';
  for (int i = 0; i < 300; i++)
    s[n++] = '0';
  s[n++] = '.';
  s[n++] = '5';
  ck_assert_int_eq(parse_float_n(s, n, &v), 0);
  ck_assert(v == 1e300);

  /* 3000 significant digits of 1/3: 0.333... */
  n = 0;
  s[n++] = '0';
  s[n++] = '.';
  for (int i = 0; i < 3000; i++)
    s[n++] = '3';
  ck_assert_int_eq(parse_float_n(s, n, &v), 0);
  ck_assert(v == 1.0 / 3.0);

  /* A tie broken only by a digit beyond the kept ones:
   * 2^53 + 1 = 9007199254740993 is halfway between two doubles and rounds
   * to even (…992); with a nonzero digit 1000 places later it rounds up. */
  ck_assert_int_eq(parse_float("9007199254740993", &v), 0);
  ck_assert(v == 9007199254740992.0);
  n = (size_t)snprintf(s, sizeof s, "9007199254740993.");
  for (int i = 0; i < 1000; i++)
    s[n++] = '0';
  s[n++] = '1';
  ck_assert_int_eq(parse_float_n(s, n, &v), 0);
  ck_assert(v == 9007199254740994.0);

  /* Exponents: up to 17 digits, like pandas; large ones saturate. */
  ck_assert_int_eq(parse_float("1e00000000000000005", &v), 0);
  ck_assert(v == 1e5);
  ck_assert_int_eq(parse_float("1e-99999999999999999", &v), 0);
  ck_assert(v == 0.0);
  ck_assert_int_eq(parse_float("1e99999999999999999", &v), -1);
  ck_assert_int_eq(parse_float("1e000000000000000005", &v), -1);
  ck_assert_int_eq(parse_float("1e-999999999999999999", &v), -1);
}
END_TEST

START_TEST(test_float_not_nul_terminated) {
  double v = 0;
  ck_assert_int_eq(dusk_field_parse_float64("1.25e3", 4, &v), 0);
  ck_assert(v == 1.25);
  ck_assert_int_eq(dusk_field_parse_float64("1e5", 2, &v), -1); /* "1e" */
  ck_assert_int_eq(dusk_field_parse_float64("infinity", 3, &v), 0);
  ck_assert(isinf(v));
}
END_TEST

START_TEST(test_float_matches_strtod) {
  /* Random decimal literals, short and long, against glibc's correctly
   * rounded strtod (this process runs in the C locale). */
  uint64_t x = 88172645463325252ull;
  char s[64];
  for (int t = 0; t < 200000; t++) {
    size_t n = 0;
    int ndig, nfrac;
    double want, got;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (x & 1)
      s[n++] = '-';
    ndig = 1 + (int)((x >> 1) % 19);
    nfrac = (int)((x >> 6) % 20);
    for (int i = 0; i < ndig; i++)
      s[n++] = (char)('0' + (x >> (11 + i * 2)) % 10);
    if (nfrac > 0) {
      s[n++] = '.';
      for (int i = 0; i < nfrac; i++)
        s[n++] = (char)('0' + ((x >> (i * 3)) ^ (uint64_t)t) % 10);
    }
    if ((x >> 50) % 3 == 0)
      n += (size_t)snprintf(s + n, sizeof s - n, "e%d",
                            (int)((x >> 52) % 80) - 40);
    s[n] = '\0';
    want = strtod(s, NULL);
    if (parse_float_n(s, n, &got) != 0 || memcmp(&got, &want, sizeof got))
      ck_abort_msg("\"%s\": got %.17g, strtod %.17g", s, got, want);
  }
}
END_TEST

/* ---- inference ---------------------------------------------------------- */

START_TEST(test_infer) {
  static const struct {
    const char *s;
    dusk_type t;
  } cases[] = {
      {"True", DUSK_TYPE_BOOL},
      {"false", DUSK_TYPE_BOOL},
      {"tRUE", DUSK_TYPE_BOOL},
      {"1", DUSK_TYPE_INT64},
      {"0", DUSK_TYPE_INT64},
      {"-7", DUSK_TYPE_INT64},
      {" 7 ", DUSK_TYPE_INT64},
      {"+5", DUSK_TYPE_INT64},
      {"9223372036854775807", DUSK_TYPE_INT64},
      {"9223372036854775808", DUSK_TYPE_FLOAT64}, /* overflow -> float */
      {"-9223372036854775809", DUSK_TYPE_FLOAT64},
      {"1.0", DUSK_TYPE_FLOAT64},
      {"1e3", DUSK_TYPE_FLOAT64},
      {"1e5", DUSK_TYPE_FLOAT64},
      {".5", DUSK_TYPE_FLOAT64},
      {"inf", DUSK_TYPE_FLOAT64},
      {"-Infinity", DUSK_TYPE_FLOAT64},
      {"1e500", DUSK_TYPE_STRING},
      {"abc", DUSK_TYPE_STRING},
      {"NAN", DUSK_TYPE_STRING},
      {"None", DUSK_TYPE_STRING},
      {" True", DUSK_TYPE_STRING},
      {"T", DUSK_TYPE_STRING},
      {"1 2", DUSK_TYPE_STRING},
      {"0x10", DUSK_TYPE_STRING},
      {" ", DUSK_TYPE_STRING},
      {"\xc3\xa9", DUSK_TYPE_STRING},
      /* NA is not a type question; infer says NULL rather than guess. */
      {"", DUSK_TYPE_NULL},
      {"NA", DUSK_TYPE_NULL},
      {"nan", DUSK_TYPE_NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    ck_assert_msg(infer(cases[i].s) == cases[i].t, "\"%s\" -> %d", cases[i].s,
                  (int)infer(cases[i].s));
}
END_TEST

int main(void) {
  Suite *s = suite_create("fieldparse");
  TCase *tc;

  tc = tcase_create("na");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_na_exact_set);
  tcase_add_test(tc, test_datetime_parse);
  tcase_add_test(tc, test_datetime_format);
  tcase_add_test(tc, test_time_literals);
  tcase_add_test(tc, test_pandas_datetime);
  tcase_add_test(tc, test_na_near_misses);
  tcase_add_test(tc, test_na_not_nul_terminated);
  suite_add_tcase(s, tc);

  tc = tcase_create("bool_int");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_bool);
  tcase_add_test(tc, test_int_ok);
  tcase_add_test(tc, test_int_rejected);
  tcase_add_test(tc, test_int_not_nul_terminated);
  suite_add_tcase(s, tc);

  tc = tcase_create("float");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_float_ok);
  tcase_add_test(tc, test_float_inf_and_zero);
  tcase_add_test(tc, test_float_rejected);
  tcase_add_test(tc, test_float_long_inputs);
  tcase_add_test(tc, test_float_not_nul_terminated);
  tcase_add_test(tc, test_float_matches_strtod);
  suite_add_tcase(s, tc);

  tc = tcase_create("infer");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_infer);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
