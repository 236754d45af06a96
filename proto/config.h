/* config.h - one typed configuration table per daemon.
 *
 * Each entry names a flag, its type, default, allowed range and help line,
 * and where the parsed value lives in the daemon's config struct.  Every
 * limit a daemon has is an entry, never a literal.  An unknown flag or an
 * out-of-range value is refused with the allowed range. */
#ifndef DUSK_CONFIG_H
#define DUSK_CONFIG_H

#include "errors.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* DUSK_CFG_RANGE: "N" or "A-B" (A <= B, both within [min, max]), stored
 * in a dusk_cfg_range; "N" is the range N-N. */
/* DUSK_CFG_SECONDS: a duration typed in seconds with at most three
 * decimals ("2", "0.25"), stored as int64_t milliseconds; its min and max
 * are milliseconds too. */
typedef enum {
  DUSK_CFG_INT,
  DUSK_CFG_STR,
  DUSK_CFG_FLAG,
  DUSK_CFG_RANGE,
  DUSK_CFG_SECONDS
} dusk_cfg_type;

typedef struct dusk_cfg_range {
  int64_t lo, hi; /* inclusive */
} dusk_cfg_range;

typedef struct dusk_cfg_entry {
  const char *name; /* flag without the leading "--" */
  dusk_cfg_type type;
  const char *def;  /* default, as it would be typed; NULL = unset */
  int64_t min, max; /* for DUSK_CFG_INT and DUSK_CFG_RANGE */
  size_t offset;    /* offsetof(config struct, field): int64_t (INT and
                       SECONDS), char *, int or dusk_cfg_range */
  const char *help;
} dusk_cfg_entry;

/* What dusk_config_parse returns, besides errors, when the command line
 * asks for something other than a run: the caller prints the usage
 * (dusk_config_usage) or the version (dusk_config_version) to stdout and
 * exits 0. */
enum { DUSK_CONFIG_HELP = 1, DUSK_CONFIG_VERSION = 2 };

/* Applies the defaults, then parses argv[1..argc).  Arguments that are not
 * flags are returned in positional[0..*npositional) (at most maxpos).
 * Returns 0; DUSK_CONFIG_HELP at "--help" or "-h" and DUSK_CONFIG_VERSION
 * at "--version" (the first of them wins, later arguments are not looked
 * at); or DUSK_ECONFIG with err naming the option (unknown, missing value,
 * not an integer, out of range with the allowed range, extra argument).
 * String values point into argv or the defaults: they are not copied. */
int dusk_config_parse(const dusk_cfg_entry *table, size_t n, void *cfg,
                      int argc, char **argv, char **positional, int maxpos,
                      int *npositional, dusk_error *err);

/* Writes "name=value ..." for every entry into out (bounded). */
void dusk_config_format(const dusk_cfg_entry *table, size_t n,
                        const void *cfg, char *out, size_t outlen);

/* Writes the whole usage to out: the text `synopsis` as given (the usage
 * line and what the program does, ending in a newline), then one item per
 * table entry - flag, value placeholder, help, default and allowed range -
 * word-wrapped to 80 columns, then --help and --version.  Generated from the
 * table, so it cannot drift from what dusk_config_parse accepts, and written
 * straight to the stream, so it is never cut short. */
void dusk_config_usage(FILE *out, const char *synopsis,
                       const dusk_cfg_entry *table, size_t n);

/* Writes one item laid out like those of dusk_config_usage: two spaces,
 * left (e.g. "--workers") and arg (its value placeholder; NULL or "" for
 * none), then the words of help and tail (NULL for none) wrapped from
 * column 26 to 79; with left NULL, help alone as a paragraph wrapped from
 * column 0.  For a program whose options are not a config table: the dusk
 * CLI uses it so all three programs' help reads alike. */
void dusk_config_usage_item(FILE *out, const char *left, const char *arg,
                            const char *help, const char *tail);

/* Parses a size as people type it: a number (digits, optionally a
 * fraction of up to 6 digits) and an optional unit, case-insensitive, with
 * at most one space between: none or B (bytes), K/KB, M/MB, G/GB, T/TB,
 * P/PB (powers of 1000, as Dask's parse_bytes), Ki/KiB, Mi/MiB, Gi/GiB,
 * Ti/TiB, Pi/PiB (powers of 1024).  "4GiB", "512MB", "1.5 GiB",
 * "1048576".  The result is whole bytes (a fraction of a byte is
 * dropped), 1 to INT64_MAX.  0, or DUSK_ECONFIG with err naming `what`
 * (e.g. "--memory-limit") and the text. */
int dusk_size_parse(const char *what, const char *text, uint64_t *bytes,
                    dusk_error *err);

/* Writes "<prog> <release> (protocol <wire version>)\n" to out. */
void dusk_config_version(FILE *out, const char *prog);

#endif
