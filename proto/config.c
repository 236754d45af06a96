/* config.c - the typed flag table parser. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_value(const dusk_cfg_entry *e, void *cfg, const char *v,
                     dusk_error *err) {
  char *field = (char *)cfg + e->offset;
  switch (e->type) {
  case DUSK_CFG_INT: {
    char *end;
    long long x;
    errno = 0;
    x = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0')
      return dusk_error_set(err, DUSK_ECONFIG,
                            "--%s: '%s' is not an integer", e->name, v);
    if (x < e->min || x > e->max)
      return dusk_error_set(err, DUSK_ECONFIG,
                            "--%s: %lld is outside the allowed range "
                            "[%" PRId64 ", %" PRId64 "]",
                            e->name, x, e->min, e->max);
    *(int64_t *)field = x;
    return 0;
  }
  case DUSK_CFG_STR:
    *(const char **)field = v;
    return 0;
  case DUSK_CFG_FLAG:
    *(int *)field = v != NULL && strcmp(v, "0") != 0;
    return 0;
  }
  return DUSK_ECONFIG;
}

void dusk_config_usage(const char *prog, const dusk_cfg_entry *table,
                       size_t n, char *out, size_t outlen) {
  size_t used = 0;
  int w = snprintf(out, outlen, "usage: %s [options]\n", prog);
  if (w > 0)
    used = (size_t)w;
  for (size_t i = 0; i < n && used < outlen; i++) {
    const dusk_cfg_entry *e = &table[i];
    if (e->type == DUSK_CFG_INT)
      w = snprintf(out + used, outlen - used,
                   "  --%-16s %s (default %s, %" PRId64 "..%" PRId64 ")\n",
                   e->name, e->help, e->def ? e->def : "-", e->min, e->max);
    else
      w = snprintf(out + used, outlen - used, "  --%-16s %s%s%s%s\n",
                   e->name, e->help, e->def ? " (default " : "",
                   e->def ? e->def : "", e->def ? ")" : "");
    if (w > 0)
      used += (size_t)w;
  }
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
    if (strncmp(arg, "--", 2) != 0) {
      if (*npositional >= maxpos)
        return dusk_error_set(err, DUSK_ECONFIG, "unexpected argument '%s'",
                              arg);
      positional[(*npositional)++] = argv[a];
      continue;
    }
    arg += 2;
    if (strcmp(arg, "help") == 0) {
      dusk_config_usage(argv[0], table, n, err->message, sizeof err->message);
      err->code = DUSK_ECONFIG;
      return DUSK_ECONFIG;
    }
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
    else if (table[i].type == DUSK_CFG_FLAG)
      w = snprintf(out + used, outlen - used, "%s%s=%d", i ? " " : "",
                   table[i].name, *(const int *)field);
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
