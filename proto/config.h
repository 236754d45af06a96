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

typedef enum { DUSK_CFG_INT, DUSK_CFG_STR, DUSK_CFG_FLAG } dusk_cfg_type;

typedef struct dusk_cfg_entry {
  const char *name; /* flag without the leading "--" */
  dusk_cfg_type type;
  const char *def;  /* default, as it would be typed; NULL = unset */
  int64_t min, max; /* for DUSK_CFG_INT */
  size_t offset;    /* offsetof(config struct, field): int64_t, char * or int */
  const char *help;
} dusk_cfg_entry;

/* Applies the defaults, then parses argv[1..argc).  Arguments that are not
 * flags are returned in positional[0..*npositional) (at most maxpos).
 * "--help" returns DUSK_ECONFIG with the usage text in err.  String values
 * point into argv or the defaults: they are not copied. */
int dusk_config_parse(const dusk_cfg_entry *table, size_t n, void *cfg,
                      int argc, char **argv, char **positional, int maxpos,
                      int *npositional, dusk_error *err);

/* Writes "name=value ..." for every entry into out (bounded). */
void dusk_config_format(const dusk_cfg_entry *table, size_t n,
                        const void *cfg, char *out, size_t outlen);

/* Writes the usage text (one line per entry) into out. */
void dusk_config_usage(const char *prog, const dusk_cfg_entry *table,
                       size_t n, char *out, size_t outlen);

#endif
