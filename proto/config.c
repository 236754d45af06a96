/* config.c - the typed flag table: parser, effective-config line, and the
 * --help text generated from the same entries. */
#include "config.h"

#include "dusk_version_gen.h"
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Parses the integer at v within e's range, ending at the end of the
 * value or, when range_sep, at a '-': 0 with *x and *next (the character
 * after the number) set, or DUSK_ECONFIG naming the whole value. */
static int parse_int(const dusk_cfg_entry *e, const char *whole,
                     const char *v, int range_sep, long long *x,
                     const char **next, dusk_error *err) {
  char *end = NULL;
  /* A range's numbers start with a digit (strtoll would take a sign or
   * blanks), so "1--2" and "-1-2" are no ranges. */
  int ok = !range_sep || (*v >= '0' && *v <= '9');
  if (ok) {
    errno = 0;
    *x = strtoll(v, &end, 10);
    ok = errno == 0 && end != v &&
         (*end == '\0' || (range_sep && *end == '-'));
  }
  if (!ok)
    return dusk_error_set(err, DUSK_ECONFIG,
                          range_sep ? "--%s: '%s' is not an integer or a "
                                      "range A-B of them"
                                    : "--%s: '%s' is not an integer",
                          e->name, whole);
  if (*x < e->min || *x > e->max)
    return dusk_error_set(err, DUSK_ECONFIG,
                          "--%s: %lld is outside the allowed range "
                          "[%" PRId64 ", %" PRId64 "]",
                          e->name, *x, e->min, e->max);
  *next = end;
  return 0;
}

/* Writes ms as seconds, without trailing zeros: 1500 -> "1.5". */
static void format_seconds(char *out, size_t len, int64_t ms) {
  int n = snprintf(out, len, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
  if (n <= 0 || (size_t)n >= len)
    return;
  while (out[n - 1] == '0')
    out[--n] = '\0';
  if (out[n - 1] == '.')
    out[n - 1] = '\0';
}

/* Parses "S" or "S.F" (F: 1 to 3 digits) at v as milliseconds within e's
 * range, or DUSK_ECONFIG naming the value. */
static int parse_seconds(const dusk_cfg_entry *e, const char *v, int64_t *ms,
                         dusk_error *err) {
  int64_t whole = 0, frac = 0;
  const char *p = v;
  int digits = 0, fdigits = 0;
  for (; *p >= '0' && *p <= '9' && digits < 12; p++, digits++)
    whole = whole * 10 + (*p - '0');
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9' && fdigits < 3; p++, fdigits++)
      frac = frac * 10 + (*p - '0');
  for (int i = fdigits; i < 3; i++)
    frac *= 10;
  if (digits == 0 || *p != '\0' || (p[-1] == '.'))
    return dusk_error_set(err, DUSK_ECONFIG,
                          "--%s: '%s' is not a number of seconds (at most "
                          "three decimals, e.g. 0.25)", e->name, v);
  *ms = whole * 1000 + frac;
  if (*ms < e->min || *ms > e->max) {
    char lo[32], hi[32];
    format_seconds(lo, sizeof lo, e->min);
    format_seconds(hi, sizeof hi, e->max);
    return dusk_error_set(err, DUSK_ECONFIG,
                          "--%s: %s s is outside the allowed range [%s, %s]",
                          e->name, v, lo, hi);
  }
  return 0;
}

static int set_value(const dusk_cfg_entry *e, void *cfg, const char *v,
                     dusk_error *err) {
  char *field = (char *)cfg + e->offset;
  const char *next;
  int rc;
  switch (e->type) {
  case DUSK_CFG_INT: {
    long long x;
    if ((rc = parse_int(e, v, v, 0, &x, &next, err)) != 0)
      return rc;
    *(int64_t *)field = x;
    return 0;
  }
  case DUSK_CFG_RANGE: {
    long long lo, hi;
    if ((rc = parse_int(e, v, v, 1, &lo, &next, err)) != 0)
      return rc;
    hi = lo;
    if (*next == '-') {
      if ((rc = parse_int(e, v, next + 1, 1, &hi, &next, err)) != 0)
        return rc;
      if (*next != '\0')
        return dusk_error_set(err, DUSK_ECONFIG,
                              "--%s: '%s' is not an integer or a range A-B "
                              "of them", e->name, v);
      if (hi < lo)
        return dusk_error_set(err, DUSK_ECONFIG,
                              "--%s: '%s' is an empty range (A-B needs A <= "
                              "B)", e->name, v);
    }
    ((dusk_cfg_range *)(void *)field)->lo = lo;
    ((dusk_cfg_range *)(void *)field)->hi = hi;
    return 0;
  }
  case DUSK_CFG_SECONDS:
    return parse_seconds(e, v, (int64_t *)(void *)field, err);
  case DUSK_CFG_STR:
    *(const char **)field = v;
    return 0;
  case DUSK_CFG_FLAG:
    *(int *)field = v != NULL && strcmp(v, "0") != 0;
    return 0;
  }
  return DUSK_ECONFIG;
}

/* The usage is laid out for an 80-column terminal: the flag and its value
 * placeholder in the first USAGE_INDENT columns, the words of its help
 * wrapped to USAGE_WIDTH after it. */
#define USAGE_INDENT 26
#define USAGE_WIDTH 79

/* Writes the words of text from column col on, then suffix glued to the
 * last word, breaking lines before a word that would pass USAGE_WIDTH and
 * starting each new line at indent.  Returns the column after the last
 * word. */
static size_t put_words_at(FILE *out, const char *text, const char *suffix,
                           size_t col, size_t indent) {
  const char *p = text;
  while (*p != '\0') {
    size_t len, glued;
    p += strspn(p, " \n");
    if (*p == '\0')
      break;
    len = strcspn(p, " \n");
    glued = p[len + strspn(p + len, " \n")] == '\0' ? strlen(suffix) : 0;
    if (col > indent && col + 1 + len + glued > USAGE_WIDTH) {
      fprintf(out, "\n%*s", (int)indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', out);
      col++;
    }
    fwrite(p, 1, len, out);
    if (glued > 0)
      fputs(suffix, out);
    col += len + glued;
    p += len;
  }
  return col;
}

/* put_words_at for the help column of an item. */
static size_t put_words(FILE *out, const char *text, const char *suffix,
                        size_t col) {
  return put_words_at(out, text, suffix, col, USAGE_INDENT);
}

/* One item: "  " dashes name, a space and arg unless arg is empty, then
 * the wrapped help from USAGE_INDENT on (on a line of its own when the left
 * part is too wide).  Returns the column after the help, for the caller to
 * add more words. */
static size_t put_item(FILE *out, const char *dashes, const char *name,
                       const char *arg, const char *help) {
  int w = fprintf(out, "  %s%s%s%s", dashes, name, arg[0] ? " " : "", arg);
  size_t col = w > 0 ? (size_t)w : 0;
  if (col + 1 >= USAGE_INDENT) {
    fputc('\n', out);
    col = 0;
  }
  fprintf(out, "%*s", (int)(USAGE_INDENT - col), "");
  return put_words(out, help, "", USAGE_INDENT);
}

void dusk_config_usage_item(FILE *out, const char *left, const char *arg,
                            const char *help, const char *tail) {
  size_t col;
  if (left == NULL) {
    put_words_at(out, help, "", 0, 0);
    fputc('\n', out);
    return;
  }
  col = put_item(out, "", left, arg ? arg : "", help);
  if (tail != NULL)
    put_words(out, tail, "", col);
  fputc('\n', out);
}

void dusk_config_usage(FILE *out, const char *synopsis,
                       const dusk_cfg_entry *table, size_t n) {
  fputs(synopsis, out);
  fputs("\noptions (--name VALUE or --name=VALUE):\n", out);
  for (size_t i = 0; i < n; i++) {
    const dusk_cfg_entry *e = &table[i];
    /* An empty default is shown as "", and an unset one is said so unless
     * the help already explains what happens without the flag. */
    const char *def = e->def == NULL                       ? NULL
                      : e->def[strspn(e->def, " \n")] == '\0' ? "\"\""
                                                             : e->def;
    int quiet = def == NULL && strstr(e->help, "default") != NULL;
    char range[96]; /* two int64 (or seconds) and the punctuation */
    size_t col = put_item(out, "--", e->name,
                          e->type == DUSK_CFG_INT     ? "N"
                          : e->type == DUSK_CFG_RANGE ? "N|A-B"
                          : e->type == DUSK_CFG_SECONDS ? "S"
                          : e->type == DUSK_CFG_STR   ? "VALUE"
                                                      : "",
                          e->help);
    switch (e->type) {
    case DUSK_CFG_INT:
    case DUSK_CFG_RANGE:
      col = def ? put_words(out, def, ";", put_words(out, "(default", "", col))
                : put_words(out, "(not set by default;", "", col);
      snprintf(range, sizeof range, "allowed %" PRId64 "..%" PRId64 ")",
               e->min, e->max);
      put_words(out, range, "", col);
      break;
    case DUSK_CFG_SECONDS: {
      char lo[32], hi[32];
      format_seconds(lo, sizeof lo, e->min);
      format_seconds(hi, sizeof hi, e->max);
      col = def ? put_words(out, def, " s;",
                            put_words(out, "(default", "", col))
                : put_words(out, "(not set by default;", "", col);
      snprintf(range, sizeof range, "allowed %s..%s s)", lo, hi);
      put_words(out, range, "", col);
      break;
    }
    case DUSK_CFG_STR:
      if (def)
        put_words(out, def, ")", put_words(out, "(default", "", col));
      else if (!quiet)
        put_words(out, "(not set by default)", "", col);
      break;
    case DUSK_CFG_FLAG:
      put_words(out, "(off unless given)", "", col);
      break;
    }
    fputc('\n', out);
  }
  dusk_config_usage_item(out, "--help", NULL, "print this help and exit",
                         NULL);
  dusk_config_usage_item(out, "--version", NULL,
                         "print the version and exit", NULL);
}

/* Units of dusk_size_parse, matched case-insensitively. */
static const struct {
  const char *name;
  uint64_t factor;
} size_units[] = {
    {"", 1},
    {"b", 1},
    {"k", 1000ull},
    {"kb", 1000ull},
    {"m", 1000000ull},
    {"mb", 1000000ull},
    {"g", 1000000000ull},
    {"gb", 1000000000ull},
    {"t", 1000000000000ull},
    {"tb", 1000000000000ull},
    {"p", 1000000000000000ull},
    {"pb", 1000000000000000ull},
    {"ki", 1ull << 10},
    {"kib", 1ull << 10},
    {"mi", 1ull << 20},
    {"mib", 1ull << 20},
    {"gi", 1ull << 30},
    {"gib", 1ull << 30},
    {"ti", 1ull << 40},
    {"tib", 1ull << 40},
    {"pi", 1ull << 50},
    {"pib", 1ull << 50},
};

int dusk_size_parse(const char *what, const char *text, uint64_t *bytes,
                    dusk_error *err) {
  const char *p = text;
  uint64_t whole = 0, frac = 0, scale = 1, factor = 0, total;
  int digits = 0, fdigits = 0;
  for (; *p >= '0' && *p <= '9'; p++, digits++) {
    if (whole > (UINT64_MAX - 9) / 10)
      goto too_big;
    whole = whole * 10 + (uint64_t)(*p - '0');
  }
  if (*p == '.') {
    for (p++; *p >= '0' && *p <= '9'; p++, fdigits++) {
      if (fdigits == 6)
        goto bad;
      frac = frac * 10 + (uint64_t)(*p - '0');
      scale *= 10;
    }
    if (fdigits == 0)
      goto bad;
  }
  if (digits == 0)
    goto bad;
  if (*p == ' ')
    p++;
  for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++)
    if (strcasecmp(p, size_units[i].name) == 0)
      factor = size_units[i].factor;
  if (factor == 0 || (*p == '\0' && p > text && p[-1] == ' '))
    goto bad;
  if (whole > (uint64_t)INT64_MAX / factor)
    goto too_big;
  total = whole * factor;
  /* frac / scale of a unit: frac < scale <= 10^6, factor <= 2^50, so
   * frac * (factor / scale) and the remainder's part stay in range */
  total += frac * (factor / scale) + frac * (factor % scale) / scale;
  if (total > (uint64_t)INT64_MAX)
    goto too_big;
  if (total == 0)
    return dusk_error_set(err, DUSK_ECONFIG,
                          "%s: '%s' is less than one byte", what, text);
  *bytes = total;
  return 0;
bad:
  return dusk_error_set(err, DUSK_ECONFIG,
                        "%s: '%s' is not a size (a number and a unit: "
                        "4GiB, 512MB, 1.5 GiB, or bytes)", what, text);
too_big:
  return dusk_error_set(err, DUSK_ECONFIG,
                        "%s: '%s' is more than %" PRId64 " bytes", what, text,
                        INT64_MAX);
}

void dusk_config_version(FILE *out, const char *prog) {
  fprintf(out, "%s %s (protocol %d)\n", prog, DUSK_VERSION_STRING,
          DUSK_PROTO_VERSION);
}

int dusk_config_parse(const dusk_cfg_entry *table, size_t n, void *cfg,
                      int argc, char **argv, char **positional, int maxpos,
                      int *npositional, dusk_error *err) {
  int rc;
  *npositional = 0;
  for (size_t i = 0; i < n; i++) {
    if (table[i].type == DUSK_CFG_FLAG)
      *(int *)((char *)cfg + table[i].offset) = 0;
    else if (table[i].type == DUSK_CFG_STR)
      *(const char **)((char *)cfg + table[i].offset) = table[i].def;
    if (table[i].def != NULL &&
        (rc = set_value(&table[i], cfg, table[i].def, err)) != 0)
      return rc;
  }
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a], *val = NULL, *eq;
    const dusk_cfg_entry *e = NULL;
    size_t namelen;
    if (strcmp(arg, "-h") == 0)
      return DUSK_CONFIG_HELP;
    if (strncmp(arg, "--", 2) != 0) {
      if (*npositional >= maxpos)
        return dusk_error_set(err, DUSK_ECONFIG, "unexpected argument '%s'",
                              arg);
      positional[(*npositional)++] = argv[a];
      continue;
    }
    arg += 2;
    if (strcmp(arg, "help") == 0)
      return DUSK_CONFIG_HELP;
    if (strcmp(arg, "version") == 0)
      return DUSK_CONFIG_VERSION;
    eq = strchr(arg, '=');
    namelen = eq ? (size_t)(eq - arg) : strlen(arg);
    for (size_t i = 0; i < n; i++)
      if (strlen(table[i].name) == namelen &&
          strncmp(table[i].name, arg, namelen) == 0)
        e = &table[i];
    if (e == NULL)
      return dusk_error_set(err, DUSK_ECONFIG,
                            "unknown option '--%.*s' (try --help)",
                            (int)namelen, arg);
    if (e->type == DUSK_CFG_FLAG) {
      val = eq ? eq + 1 : "1";
    } else if (eq) {
      val = eq + 1;
    } else {
      if (a + 1 >= argc)
        return dusk_error_set(err, DUSK_ECONFIG, "--%s needs a value",
                              e->name);
      val = argv[++a];
    }
    if ((rc = set_value(e, cfg, val, err)) != 0)
      return rc;
  }
  return 0;
}

void dusk_config_format(const dusk_cfg_entry *table, size_t n,
                        const void *cfg, char *out, size_t outlen) {
  size_t used = 0;
  if (outlen == 0)
    return;
  out[0] = '\0';
  for (size_t i = 0; i < n && used + 1 < outlen; i++) {
    const char *field = (const char *)cfg + table[i].offset;
    int w;
    if (table[i].type == DUSK_CFG_INT)
      w = snprintf(out + used, outlen - used, "%s%s=%" PRId64, i ? " " : "",
                   table[i].name, *(const int64_t *)field);
    else if (table[i].type == DUSK_CFG_RANGE &&
             ((const dusk_cfg_range *)(const void *)field)->lo ==
                 ((const dusk_cfg_range *)(const void *)field)->hi)
      w = snprintf(out + used, outlen - used, "%s%s=%" PRId64, i ? " " : "",
                   table[i].name,
                   ((const dusk_cfg_range *)(const void *)field)->lo);
    else if (table[i].type == DUSK_CFG_RANGE)
      w = snprintf(out + used, outlen - used,
                   "%s%s=%" PRId64 "-%" PRId64, i ? " " : "", table[i].name,
                   ((const dusk_cfg_range *)(const void *)field)->lo,
                   ((const dusk_cfg_range *)(const void *)field)->hi);
    else if (table[i].type == DUSK_CFG_FLAG)
      w = snprintf(out + used, outlen - used, "%s%s=%d", i ? " " : "",
                   table[i].name, *(const int *)field);
    else if (table[i].type == DUSK_CFG_SECONDS) {
      char secs[32];
      format_seconds(secs, sizeof secs, *(const int64_t *)field);
      w = snprintf(out + used, outlen - used, "%s%s=%s", i ? " " : "",
                   table[i].name, secs);
    }
    else
      w = snprintf(out + used, outlen - used, "%s%s=%s", i ? " " : "",
                   table[i].name,
                   *(const char *const *)field ? *(const char *const *)field
                                               : "-");
    if (w < 0)
      break;
    used += (size_t)w;
  }
}
