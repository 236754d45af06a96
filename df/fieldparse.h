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

/* The narrowest type this non-NA field fits: BOOL, INT64, FLOAT64 or
 * STRING. */
dusk_type dusk_field_infer(const char *s, size_t len);

#endif
