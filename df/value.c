/* value.c - column type names, pandas' spellings of them, and widening.
 *
 * Widening follows what pandas does when one column holds values of two
 * kinds: ints and floats make float64, anything with strings makes object
 * (our string), and bools mixed with numbers also make object, because
 * pandas never turns True into 1 while reading a CSV. */
#include "value.h"

#include <string.h>

const char *dusk_type_name(dusk_type t) {
  switch (t) {
  case DUSK_TYPE_NULL: return "null";
  case DUSK_TYPE_BOOL: return "bool";
  case DUSK_TYPE_INT64: return "int64";
  case DUSK_TYPE_FLOAT64: return "float64";
  case DUSK_TYPE_STRING: return "string";
  case DUSK_TYPE_DATETIME: return "datetime64[ns]";
  case DUSK_TYPE_TIMEDELTA: return "timedelta64[ns]";
  case DUSK_TYPE_DATE: return "date";
  }
  return "unknown";
}

dusk_type dusk_type_physical(dusk_type t) {
  return dusk_type_is_logical(t) ? DUSK_TYPE_INT64 : t;
}

int dusk_type_is_time(dusk_type t) {
  return t == DUSK_TYPE_DATETIME || t == DUSK_TYPE_TIMEDELTA;
}

int dusk_type_is_logical(dusk_type t) {
  return dusk_type_is_time(t) || t == DUSK_TYPE_DATE;
}

/* Accepted spellings, case-sensitive as in pandas ("Int64" is pandas'
 * nullable integer, which is what our int64 columns are anyway; numpy's
 * int and bool spellings hold no missing value: no_na). */
static const struct {
  const char *name;
  dusk_type type;
  bool no_na;
} type_names[] = {
    {"bool", DUSK_TYPE_BOOL, true},
    {"boolean", DUSK_TYPE_BOOL, false},
    {"int", DUSK_TYPE_INT64, true},
    {"int64", DUSK_TYPE_INT64, true},
    {"Int64", DUSK_TYPE_INT64, false},
    {"int32", DUSK_TYPE_INT64, true},
    {"integer", DUSK_TYPE_INT64, false},
    {"float", DUSK_TYPE_FLOAT64, false},
    {"float64", DUSK_TYPE_FLOAT64, false},
    {"Float64", DUSK_TYPE_FLOAT64, false},
    {"double", DUSK_TYPE_FLOAT64, false},
    {"float32", DUSK_TYPE_FLOAT64, false},
    {"str", DUSK_TYPE_STRING, false},
    {"string", DUSK_TYPE_STRING, false},
    {"object", DUSK_TYPE_STRING, false},
    {"datetime64[ns]", DUSK_TYPE_DATETIME, false},
    {"datetime64", DUSK_TYPE_DATETIME, false},
    {"datetime", DUSK_TYPE_DATETIME, false},
    {"timedelta64[ns]", DUSK_TYPE_TIMEDELTA, false},
    {"timedelta64", DUSK_TYPE_TIMEDELTA, false},
};

dusk_type dusk_type_parse_na(const char *name, size_t len, bool *no_na) {
  *no_na = false;
  if (name == NULL)
    return DUSK_TYPE_NULL;
  for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
    const char *n = type_names[i].name;
    if (strlen(n) == len && memcmp(n, name, len) == 0) {
      *no_na = type_names[i].no_na;
      return type_names[i].type;
    }
  }
  return DUSK_TYPE_NULL;
}

dusk_type dusk_type_parse(const char *name, size_t len) {
  bool no_na;
  return dusk_type_parse_na(name, len, &no_na);
}

dusk_type dusk_type_common(dusk_type a, dusk_type b) {
  if (a == b)
    return a;
  if (a == DUSK_TYPE_NULL)
    return b;
  if (b == DUSK_TYPE_NULL)
    return a;
  if ((a == DUSK_TYPE_INT64 && b == DUSK_TYPE_FLOAT64) ||
      (a == DUSK_TYPE_FLOAT64 && b == DUSK_TYPE_INT64))
    return DUSK_TYPE_FLOAT64;
  /* Strings with anything, and bools with numbers: object. */
  return DUSK_TYPE_STRING;
}
