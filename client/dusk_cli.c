/* dusk_cli.c - the `dusk` command on libdusk.
 *
 *   dusk local | demo | bench tasks | query | stats [options]
 *   dusk ssh up | status | down [options]
 *   dusk --help, dusk COMMAND --help, dusk --version
 *
 * Every option is one entry of the table below, naming the commands it
 * applies to; the parser and each command's --help are both driven by it,
 * so the help cannot list an option the parser refuses or miss one it
 * takes.  `dusk ssh` is the exception: it runs dusk-ssh, a script installed
 * next to this binary, which parses its own options (see run_ssh).
 */
#include "dusk.h"

#include "config.h"
#include "dusk_version_gen.h"
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

typedef struct options {
  int format;
  int64_t blocksize;
  const char *expression;
  int workers;
  long tasks;
  const char *shape;
  const char *scheduler;
  const char *token_file;
  dusk_tls_files tls;
  /* --progress / --no-progress: PROGRESS_AUTO (a bar when stderr is a
   * terminal), PROGRESS_ON or PROGRESS_OFF; the last one given wins. */
  int progress;
  const char *profile; /* --profile: the HTML report's path, or NULL */
} options;

enum { PROGRESS_AUTO = -1, PROGRESS_OFF = 0, PROGRESS_ON = 1 };

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_long(const char *flag, const char *v, long min, long max,
                      long *out) {
  char *end;
  long x = v ? strtol(v, &end, 10) : 0;
  if (v == NULL || *end != '\0' || end == v || x < min || x > max) {
    fprintf(stderr, "dusk: %s '%s': expected an integer in %ld..%ld\n", flag,
            v ? v : "", min, max);
    return -1;
  }
  *out = x;
  return 0;
}

/* "64MB", "16MiB", "1000", "1KB": decimal and binary units. */
static int parse_size(const char *v, int64_t *out) {
  char *end;
  double x = strtod(v, &end);
  int64_t mult = 1;
  if (end == v || x < 0)
    return -1;
  if (*end == '\0' || strcmp(end, "B") == 0)
    mult = 1;
  else if (strcasecmp(end, "KB") == 0 || strcasecmp(end, "K") == 0)
    mult = 1000;
  else if (strcasecmp(end, "MB") == 0 || strcasecmp(end, "M") == 0)
    mult = 1000000;
  else if (strcasecmp(end, "GB") == 0 || strcasecmp(end, "G") == 0)
    mult = 1000000000;
  else if (strcasecmp(end, "KiB") == 0)
    mult = 1024;
  else if (strcasecmp(end, "MiB") == 0)
    mult = 1024 * 1024;
  else if (strcasecmp(end, "GiB") == 0)
    mult = 1024 * 1024 * 1024;
  else
    return -1;
  /* "nan", "inf" and sizes past int64 have no conversion (UB in C). */
  if (!(x * (double)mult < 9.2e18))
    return -1;
  *out = (int64_t)(x * (double)mult);
  return *out > 0 ? 0 : -1;
}

/* ---- the command line ---------------------------------------------------- */

enum {
  CMD_LOCAL = 1u << 0,
  CMD_DEMO = 1u << 1,
  CMD_BENCH = 1u << 2,
  CMD_QUERY = 1u << 3,
  CMD_STATS = 1u << 4,
  CMD_ALL = CMD_LOCAL | CMD_DEMO | CMD_BENCH | CMD_QUERY | CMD_STATS
};

typedef enum opt_id {
  OPT_SCHEDULER,
  OPT_TOKEN_FILE,
  OPT_WORKERS,
  OPT_TASKS,
  OPT_SHAPE,
  OPT_FORMAT,
  OPT_BLOCKSIZE,
  OPT_TLS_CERT,
  OPT_TLS_KEY,
  OPT_TLS_CA,
  OPT_PROGRESS,
  OPT_NO_PROGRESS,
  OPT_PROFILE
} opt_id;

typedef struct cli_option {
  opt_id id;
  const char *name; /* without the leading "--" */
  const char *arg;  /* placeholder of its value; NULL: a flag, no value */
  unsigned cmds;    /* the CMD_* it applies to */
  const char *help; /* meaning, allowed values and default */
} cli_option;

static const cli_option cli_options[] = {
    {OPT_SCHEDULER, "scheduler", "tcp://HOST:PORT",
     CMD_BENCH | CMD_QUERY | CMD_STATS,
     "use this running scheduler instead of starting a LocalCluster "
     "(stats needs it)"},
    {OPT_TOKEN_FILE, "token-file", "FILE", CMD_BENCH | CMD_QUERY | CMD_STATS,
     "file holding the cluster's token, for --scheduler (default: the "
     "DUSK_TOKEN environment variable)"},
    {OPT_WORKERS, "workers", "N", CMD_LOCAL | CMD_DEMO | CMD_BENCH | CMD_QUERY,
     "workers of the LocalCluster, 1..1024 (default: one per vCPU)"},
    {OPT_TASKS, "tasks", "M", CMD_DEMO | CMD_BENCH,
     "tasks in the graph, 1..100000000 (default 100000)"},
    {OPT_SHAPE, "shape", "SHAPE", CMD_BENCH,
     "independent (one graph of M tasks), tree (a binary tree reduction) or "
     "chain (M one-task graphs, each waiting for the last; reports the "
     "round-trip median) (default independent)"},
    {OPT_FORMAT, "format", "FORMAT", CMD_QUERY,
     "table (pandas' layout), csv or json (default table)"},
    {OPT_BLOCKSIZE, "blocksize", "SIZE", CMD_QUERY,
     "bytes per partition of every read_csv that sets none, like 64MB, "
     "16MiB or 1000000 (default: the scheduler's, 64 MiB)"},
    {OPT_PROGRESS, "progress", NULL, CMD_QUERY,
     "show the progress bar (tasks done of total, CSV bytes scanned, rate, "
     "elapsed) on stderr also when stderr is not a terminal; there its "
     "final state ends with a newline (default: a bar on a terminal, once "
     "a query has run 0.5 s, erased when it ends; nothing otherwise)"},
    {OPT_NO_PROGRESS, "no-progress", NULL, CMD_QUERY,
     "never show the progress bar"},
    {OPT_PROFILE, "profile", "REPORT.html", CMD_QUERY,
     "write a performance report of the query to this file: its plan, a "
     "timeline of its tasks per worker, time by activity, bytes per worker "
     "(one self-contained HTML file; docs/dashboard.md) (default: none, "
     "and nothing is recorded)"},
    {OPT_TLS_CERT, "tls-cert", "PEM", CMD_ALL,
     "certificate: with --tls-key and --tls-ca, TLS to --scheduler, or on "
     "every connection of the LocalCluster (default: no TLS)"},
    {OPT_TLS_KEY, "tls-key", "PEM", CMD_ALL, "private key of --tls-cert"},
    {OPT_TLS_CA, "tls-ca", "PEM", CMD_ALL,
     "CA bundle; peers must present a certificate it signed"},
};
#define NOPTIONS (sizeof cli_options / sizeof cli_options[0])

typedef struct command {
  const char *name;  /* as typed: "bench tasks" is two words */
  unsigned bit;      /* its CMD_* */
  const char *args;  /* what follows [options] on its usage line */
  const char *about; /* what it does, for both help texts */
  int (*run)(const options *o);
} command;

static int bench_tasks(const options *o);
static int run_local(const options *o);
static int run_demo(const options *o);
static int run_query(const options *o);
static int run_stats(const options *o);

static const command commands[] = {
    {"local", CMD_LOCAL, "",
     "Runs a LocalCluster (a scheduler and workers on this machine) in the "
     "foreground until ^C, and prints its address and token file.",
     run_local},
    {"demo", CMD_DEMO, "",
     "Starts a LocalCluster and runs a demo on it: a sum as a tree "
     "reduction of M tasks, and a failing task whose error reaches the "
     "client.",
     run_demo},
    {"bench tasks", CMD_BENCH, "",
     "Times M tiny tasks end to end and prints one JSON line.", bench_tasks},
    {"query", CMD_QUERY, "'EXPR'",
     "Runs a pandas-like dataframe expression, e.g. "
     "'len(read_csv(\"x.csv\"))', and prints the result.  Relative paths "
     "in read_csv and to_csv are taken from the current directory, also "
     "with --scheduler.",
     run_query},
    {"stats", CMD_STATS, "",
     "Prints one JSON line of a scheduler's health: tasks, workers, "
     "clients, its memory, heartbeat round trips, and each worker's "
     "address and pid.",
     run_stats},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_version(void) {
  printf("dusk %s (protocol %d)\n", DUSK_VERSION_STRING, DUSK_PROTO_VERSION);
}

/* "[local, demo, query]": the commands an option applies to, for the
 * overall help.  Bounded by the command table. */
static void commands_of(unsigned cmds, char *out, size_t outlen) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < NCOMMANDS; i++) {
    int w;
    if (!(cmds & commands[i].bit))
      continue;
    w = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "[",
                 commands[i].name);
    if (w < 0 || (size_t)w >= outlen - used)
      return;
    used += (size_t)w;
  }
  snprintf(out + used, outlen - used, "]");
}

/* `dusk --help`: every command and every option. */
static void print_help(void) {
  char tail[128];
  printf("usage: dusk COMMAND [options]\n"
         "       dusk COMMAND --help\n"
         "       dusk --version\n"
         "\n"
         "The dusk client: starts a LocalCluster or talks to a running "
         "dusk-scheduler,\n"
         "runs dataframe queries and benchmarks on it, reads its health.\n"
         "\n"
         "commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    dusk_config_usage_item(stdout, commands[i].name, commands[i].args,
                           commands[i].about, NULL);
  dusk_config_usage_item(stdout, "ssh", "up|status|down",
                         "Starts a scheduler and workers on other hosts over "
                         "SSH, shows them, stops them (its options: 'dusk "
                         "ssh --help').",
                         NULL);
  printf("\noptions (--name VALUE or --name=VALUE, a flag alone; the "
         "commands taking each\nin brackets):\n");
  for (size_t i = 0; i < NOPTIONS; i++) {
    char flag[64];
    snprintf(flag, sizeof flag, "--%s", cli_options[i].name);
    commands_of(cli_options[i].cmds, tail, sizeof tail);
    dusk_config_usage_item(stdout, flag, cli_options[i].arg,
                           cli_options[i].help, tail);
  }
  dusk_config_usage_item(stdout, "--help", NULL,
                         "print this help (after a command: its help) and "
                         "exit",
                         NULL);
  dusk_config_usage_item(stdout, "--version", NULL,
                         "print the version and exit", NULL);
}

/* `dusk COMMAND --help`: what it does and the options it takes. */
static void print_command_help(const command *c) {
  printf("usage: dusk %s [options]%s%s\n\n", c->name, c->args[0] ? " " : "",
         c->args);
  dusk_config_usage_item(stdout, NULL, NULL, c->about, NULL);
  printf("\noptions (--name VALUE or --name=VALUE, a flag alone):\n");
  for (size_t i = 0; i < NOPTIONS; i++) {
    char flag[64];
    if (!(cli_options[i].cmds & c->bit))
      continue;
    snprintf(flag, sizeof flag, "--%s", cli_options[i].name);
    dusk_config_usage_item(stdout, flag, cli_options[i].arg,
                           cli_options[i].help, NULL);
  }
  dusk_config_usage_item(stdout, "--help", NULL, "print this help and exit",
                         NULL);
  dusk_config_usage_item(stdout, "--version", NULL,
                         "print the version and exit", NULL);
}

/* Sets one option's value.  0, or -1 after saying why on stderr. */
static int set_option(const command *c, const cli_option *opt, const char *v,
                      options *o) {
  long x;
  switch (opt->id) {
  case OPT_SCHEDULER:
    o->scheduler = v;
    return 0;
  case OPT_TOKEN_FILE:
    o->token_file = v;
    return 0;
  case OPT_WORKERS:
    if (parse_long("--workers", v, 1, 1024, &x) != 0)
      return -1;
    o->workers = (int)x;
    return 0;
  case OPT_TASKS:
    if (parse_long("--tasks", v, 1, 100000000, &x) != 0)
      return -1;
    o->tasks = x;
    return 0;
  case OPT_SHAPE:
    if (strcmp(v, "independent") != 0 && strcmp(v, "tree") != 0 &&
        strcmp(v, "chain") != 0) {
      fprintf(stderr, "dusk %s: --shape '%s': expected independent, tree or "
                      "chain\n", c->name, v);
      return -1;
    }
    o->shape = v;
    return 0;
  case OPT_FORMAT:
    if (strcmp(v, "table") == 0)
      o->format = DUSK_FORMAT_TABLE;
    else if (strcmp(v, "csv") == 0)
      o->format = DUSK_FORMAT_CSV;
    else if (strcmp(v, "json") == 0)
      o->format = DUSK_FORMAT_JSON;
    else {
      fprintf(stderr, "dusk %s: --format '%s': expected table, csv or json\n",
              c->name, v);
      return -1;
    }
    return 0;
  case OPT_BLOCKSIZE:
    if (parse_size(v, &o->blocksize) != 0) {
      fprintf(stderr, "dusk %s: --blocksize '%s': expected a size like "
                      "64MB, 16MiB or 1000000\n", c->name, v);
      return -1;
    }
    return 0;
  case OPT_TLS_CERT:
    o->tls.cert = v;
    return 0;
  case OPT_TLS_KEY:
    o->tls.key = v;
    return 0;
  case OPT_TLS_CA:
    o->tls.ca = v;
    return 0;
  case OPT_PROGRESS:
    o->progress = PROGRESS_ON;
    return 0;
  case OPT_NO_PROGRESS:
    o->progress = PROGRESS_OFF;
    return 0;
  case OPT_PROFILE:
    o->profile = v;
    return 0;
  }
  return -1;
}

/* What parse_options found: run the command, or stop with an exit status
 * (0 after --help / --version, 2 after a usage error). */
enum { PARSE_RUN = -1 };

/* Parses argv[first..argc) for command c.  PARSE_RUN with *o filled, or
 * the exit status: --help and --version print to stdout and give 0; an
 * unknown option, one c does not take, a missing or bad value, or a stray
 * argument is named on stderr and gives 2. */
static int parse_options(int argc, char **argv, int first, const command *c,
                         options *o) {
  o->format = DUSK_FORMAT_TABLE;
  o->blocksize = 0;
  o->expression = NULL;
  o->workers = 0;
  o->tasks = 100000;
  o->shape = "independent";
  o->scheduler = NULL;
  o->token_file = NULL;
  memset(&o->tls, 0, sizeof o->tls);
  o->progress = PROGRESS_AUTO;
  o->profile = NULL;
  for (int i = first; i < argc; i++) {
    const char *a = argv[i], *eq, *v;
    const cli_option *opt = NULL;
    size_t len;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      print_command_help(c);
      return 0;
    }
    if (strcmp(a, "--version") == 0) {
      print_version();
      return 0;
    }
    if (a[0] != '-' || a[1] == '\0') {
      if (c->bit != CMD_QUERY) {
        fprintf(stderr, "dusk %s: unexpected argument '%s' (see 'dusk %s "
                        "--help')\n", c->name, a, c->name);
        return 2;
      }
      if (o->expression != NULL) {
        fprintf(stderr, "dusk query: a second expression '%s': quote the "
                        "whole expression as one argument\n", a);
        return 2;
      }
      o->expression = a;
      continue;
    }
    if (strncmp(a, "--", 2) != 0) {
      fprintf(stderr, "dusk %s: unknown option '%s' (options are spelled "
                      "--name; see 'dusk %s --help')\n", c->name, a, c->name);
      return 2;
    }
    eq = strchr(a + 2, '=');
    len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
    for (size_t k = 0; k < NOPTIONS; k++)
      if (strlen(cli_options[k].name) == len &&
          strncmp(cli_options[k].name, a + 2, len) == 0)
        opt = &cli_options[k];
    if (opt == NULL) {
      fprintf(stderr, "dusk %s: unknown option '--%.*s' (see 'dusk %s "
                      "--help')\n", c->name, (int)len, a + 2, c->name);
      return 2;
    }
    if (!(opt->cmds & c->bit)) {
      fprintf(stderr, "dusk %s: --%s does not apply to %s (see 'dusk %s "
                      "--help')\n", c->name, opt->name, c->name, c->name);
      return 2;
    }
    if (opt->arg == NULL) {
      if (eq != NULL) {
        fprintf(stderr, "dusk %s: --%s takes no value (see 'dusk %s "
                        "--help')\n", c->name, opt->name, c->name);
        return 2;
      }
      v = NULL;
    } else if (eq != NULL) {
      v = eq + 1;
    } else if (i + 1 < argc) {
      v = argv[++i];
    } else {
      fprintf(stderr, "dusk %s: --%s needs a value (%s)\n", c->name,
              opt->name, opt->arg);
      return 2;
    }
    if (set_option(c, opt, v, o) != 0)
      return 2;
  }
  return PARSE_RUN;
}

/* Connects to --scheduler, or starts a LocalCluster.  With --scheduler it
 * waits (30 s at most) until min_workers workers are registered; 0 does not
 * wait, and leaves *nworkers 0. */
static int open_cluster(const options *o, unsigned min_workers,
                        dusk_cluster **cl, dusk_client **client,
                        int *nworkers) {
  dusk_error err = {0};
  size_t n = 0;
  if (o->scheduler != NULL) {
    char *token = NULL;
    const char *env = getenv("DUSK_TOKEN");
    int rc;
    if (o->token_file != NULL) {
      FILE *f = fopen(o->token_file, "r");
      char buf[4097];
      size_t len;
      if (f == NULL) {
        fprintf(stderr, "dusk: cannot read token file %s\n", o->token_file);
        return -1;
      }
      len = fread(buf, 1, sizeof buf - 1, f);
      fclose(f);
      while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
      buf[len] = '\0';
      token = strdup(buf);
    } else if (env != NULL) {
      token = strdup(env);
    }
    rc = dusk_client_connect_tls(o->scheduler, token, &o->tls, 10000, client,
                                 &err);
    free(token);
    if (rc != 0) {
      fprintf(stderr, "dusk: %s\n", err.message);
      return -1;
    }
    *cl = NULL;
    *nworkers = 0;
    if (min_workers == 0)
      return 0;
    if (dusk_client_workers(*client, min_workers, 30000, NULL, 0, &n, NULL,
                            &err) != 0) {
      fprintf(stderr, "dusk: %s\n", err.message);
      dusk_client_free(*client);
      return -1;
    }
    *nworkers = (int)n;
    return 0;
  }
  dusk_cluster_options co;
  dusk_cluster_options_init(&co);
  co.nworkers = o->workers;
  co.tls = o->tls;
  if (dusk_cluster_start(&co, cl, &err) != 0) {
    fprintf(stderr, "dusk: LocalCluster: %s\n", err.message);
    return -1;
  }
  if (dusk_cluster_client(*cl, client, &err) != 0) {
    fprintf(stderr, "dusk: %s\n", err.message);
    dusk_cluster_stop(*cl);
    return -1;
  }
  *nworkers = dusk_cluster_nworkers(*cl);
  return 0;
}

static char *key_of(char *buf, size_t len, long i) {
  snprintf(buf, len, "t-%ld", i);
  return buf;
}

/* Builds a binary tree reduction over `leaves` add(i) leaves; returns the
 * root key index (keys t-0..t-(total-1)) and the task count in *total. */
static int build_tree(dusk_graph *g, long leaves, long *total, long *root) {
  long next = 0, level_start = 0, level_len = leaves;
  char k[32], a[32], b[32];
  for (long i = 0; i < leaves; i++)
    if (dusk_graph_add_int(g, key_of(k, sizeof k, next++), "add", i, NULL,
                           0) != 0)
      return -1;
  while (level_len > 1) {
    long produced = 0;
    for (long i = 0; i < level_len; i += 2) {
      const char *deps[2] = {key_of(a, sizeof a, level_start + i),
                             key_of(b, sizeof b, level_start + i + 1)};
      size_t nd = i + 1 < level_len ? 2 : 1;
      if (dusk_graph_add(g, key_of(k, sizeof k, next++), "sum", NULL, 0, deps,
                         nd) != 0)
        return -1;
      produced++;
    }
    level_start += level_len;
    level_len = produced;
  }
  *total = next;
  *root = next - 1;
  return 0;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

static int bench_tasks(const options *o) {
  dusk_cluster *cl = NULL;
  dusk_client *c = NULL;
  dusk_error err = {0};
  int nworkers = 0, rc = 1;
  double t0, t1, p50 = -1;
  long ntasks = o->tasks;
  char k[32];

  if (strcmp(o->shape, "independent") != 0 && strcmp(o->shape, "tree") != 0 &&
      strcmp(o->shape, "chain") != 0) {
    fprintf(stderr, "dusk: --shape must be independent, tree or chain\n");
    return 2;
  }
  if (open_cluster(o, 1, &cl, &c, &nworkers) != 0)
    return 1;

  if (strcmp(o->shape, "independent") == 0) {
    dusk_graph *g = dusk_graph_new();
    char **keys = calloc((size_t)ntasks, sizeof *keys);
    void **vals = calloc((size_t)ntasks, sizeof *vals);
    size_t *lens = calloc((size_t)ntasks, sizeof *lens);
    int64_t total = 0, want = 0;
    for (long i = 0; i < ntasks; i++) {
      keys[i] = strdup(key_of(k, sizeof k, i));
      dusk_graph_add_int(g, keys[i], "add", i, NULL, 0);
      want += i;
    }
    t0 = now_s();
    if (dusk_client_submit(c, g, (const char *const *)keys, (size_t)ntasks,
                           -1, &err) != 0 ||
        dusk_client_gather(c, (const char *const *)keys, (size_t)ntasks, -1,
                           vals, lens, &err) != 0) {
      fprintf(stderr, "dusk: %s\n", err.message);
    } else {
      t1 = now_s();
      rc = 0;
      for (long i = 0; i < ntasks; i++) {
        /* add results are msgpack ints: positive fixint or wider. */
        int64_t v = 0;
        const unsigned char *p = vals[i];
        if (lens[i] == 1)
          v = p[0];
        else
          for (size_t j = 1; j < lens[i]; j++)
            v = (v << 8) | p[j];
        total += v;
      }
      if (total != want) {
        fprintf(stderr, "dusk: wrong sum %" PRId64 ", expected %" PRId64 "\n",
                total, want);
        rc = 1;
      }
    }
    for (long i = 0; i < ntasks; i++) {
      free(keys[i]);
      free(vals[i]);
    }
    free(keys);
    free(vals);
    free(lens);
    dusk_graph_free(g);
  } else if (strcmp(o->shape, "tree") == 0) {
    dusk_graph *g = dusk_graph_new();
    long total = 0, root = 0, leaves = (ntasks + 1) / 2;
    int64_t got = 0, want = (int64_t)leaves * (leaves - 1) / 2;
    const char *rootkey;
    build_tree(g, leaves, &total, &root);
    rootkey = key_of(k, sizeof k, root);
    ntasks = total;
    t0 = now_s();
    if (dusk_client_submit(c, g, &rootkey, 1, -1, &err) != 0 ||
        dusk_client_gather_int(c, rootkey, -1, &got, &err) != 0) {
      fprintf(stderr, "dusk: %s\n", err.message);
    } else {
      t1 = now_s();
      rc = got == want ? 0 : 1;
      if (rc)
        fprintf(stderr, "dusk: wrong sum %" PRId64 ", expected %" PRId64 "\n",
                got, want);
    }
    dusk_graph_free(g);
  } else {
    double *rt = calloc((size_t)ntasks, sizeof *rt);
    char prev[32] = "";
    int64_t got = 0;
    t0 = now_s();
    rc = 0;
    for (long i = 0; i < ntasks && rc == 0; i++) {
      dusk_graph *g = dusk_graph_new();
      const char *dep = prev;
      const char *key = key_of(k, sizeof k, i);
      double s = now_s();
      dusk_graph_add_int(g, key, "add", 1, &dep, i > 0 ? 1 : 0);
      if (dusk_client_submit(c, g, &key, 1, -1, &err) != 0 ||
          dusk_client_wait(c, &key, 1, -1, &err) != 0) {
        fprintf(stderr, "dusk: %s\n", err.message);
        rc = 1;
      }
      rt[i] = now_s() - s;
      dusk_graph_free(g);
      if (i > 0 && rc == 0)
        dusk_client_release(c, &dep, 1, NULL);
      snprintf(prev, sizeof prev, "%s", key);
    }
    if (rc == 0 && dusk_client_gather_int(c, prev, -1, &got, &err) != 0) {
      fprintf(stderr, "dusk: %s\n", err.message);
      rc = 1;
    }
    t1 = now_s();
    if (rc == 0 && got != ntasks) {
      fprintf(stderr, "dusk: chain gave %" PRId64 ", expected %ld\n", got,
              ntasks);
      rc = 1;
    }
    qsort(rt, (size_t)ntasks, sizeof *rt, cmp_double);
    p50 = rt[ntasks / 2] * 1e6;
    free(rt);
  }
  if (rc == 0) {
    double secs = t1 - t0;
    printf("{\"shape\": \"%s\", \"tasks\": %ld, \"workers\": %d, "
           "\"seconds\": %.4f, \"tasks_per_sec\": %.0f",
           o->shape, ntasks, nworkers, secs, (double)ntasks / secs);
    if (p50 >= 0)
      printf(", \"roundtrip_us_p50\": %.1f", p50);
    printf("}\n");
    fflush(stdout);
  }
  dusk_client_free(c);
  dusk_cluster_stop(cl);
  return rc;
}

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

static int run_local(const options *o) {
  dusk_cluster_options co;
  dusk_cluster *cl;
  dusk_error err = {0};
  struct sigaction sa;
  dusk_cluster_options_init(&co);
  co.nworkers = o->workers;
  co.tls = o->tls;
  co.log_level = "info";
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (dusk_cluster_start(&co, &cl, &err) != 0) {
    fprintf(stderr, "dusk: LocalCluster: %s\n", err.message);
    return 1;
  }
  printf("scheduler %s\nworkers %d\ntoken-file %s\n", dusk_cluster_address(cl),
         dusk_cluster_nworkers(cl), dusk_cluster_token_file(cl));
  if (dusk_cluster_dashboard_link(cl) != NULL)
    printf("dashboard %s (log in with the token file's contents; scripts "
           "send it as 'Authorization: Bearer')\n",
           dusk_cluster_dashboard_link(cl));
  printf("connect with: dusk bench tasks --scheduler %s --token-file %s\n",
         dusk_cluster_address(cl), dusk_cluster_token_file(cl));
  fflush(stdout);
  while (!got_signal)
    pause();
  dusk_cluster_stop(cl);
  return 0;
}

/* The demo: a sum over 1..M as a tree reduction, a failing task whose error
 * reaches the client, and a peer fetch, each checked and timed. */
static int run_demo(const options *o) {
  dusk_cluster *cl;
  dusk_client *c;
  dusk_error err = {0};
  int nworkers;
  double t0 = now_s(), t1, t2;
  long total, root, leaves = o->tasks > 1 ? (o->tasks + 1) / 2 : 1;
  int64_t got;
  char k[32];
  const char *rootkey;
  dusk_graph *g;
  options lo = *o;
  lo.scheduler = NULL;

  if (open_cluster(&lo, 1, &cl, &c, &nworkers) != 0)
    return 1;
  t1 = now_s();
  printf("LocalCluster %s: %d workers ready in %.3f s\n",
         dusk_cluster_address(cl), nworkers, t1 - t0);
  g = dusk_graph_new();
  build_tree(g, leaves, &total, &root);
  rootkey = key_of(k, sizeof k, root);
  t1 = now_s();
  if (dusk_client_submit(c, g, &rootkey, 1, 60000, &err) != 0 ||
      dusk_client_gather_int(c, rootkey, 60000, &got, &err) != 0) {
    fprintf(stderr, "dusk: %s\n", err.message);
    dusk_graph_free(g);
    dusk_client_free(c);
    dusk_cluster_stop(cl);
    return 1;
  }
  t2 = now_s();
  dusk_graph_free(g);
  printf("tree reduction: sum(0..%ld) over %ld tasks = %" PRId64
         " (expected %" PRId64 ") in %.3f s, %.0f tasks/s\n",
         leaves - 1, total, got, (int64_t)leaves * (leaves - 1) / 2, t2 - t1,
         (double)total / (t2 - t1));

  g = dusk_graph_new();
  {
    const char *dep = "boom";
    const char *want = "after-boom";
    dusk_graph_add_str(g, "boom", "fail", "demo failure: bad input", NULL, 0);
    dusk_graph_add(g, "after-boom", "sum", NULL, 0, &dep, 1);
    int rc = dusk_client_submit(c, g, &want, 1, 60000, &err);
    if (rc == 0)
      rc = dusk_client_wait(c, &want, 1, 60000, &err);
    printf("failing task: %s -> %s\n", dusk_strerror(rc), err.message);
  }
  dusk_graph_free(g);
  dusk_client_free(c);
  dusk_cluster_stop(cl);
  printf("total %.3f s\n", now_s() - t0);
  return got == (int64_t)leaves * (leaves - 1) / 2 ? 0 : 1;
}

/* ---- the progress bar of dusk query ------------------------------------ */

/* A query's progress on stderr, drawn from the scheduler's reports (about
 * every 200 ms, dusk_client_set_progress) once the query has run
 * PROGRESS_DELAY_S, so quick queries print nothing extra.  On a terminal
 * it is one line redrawn in place ("\r", then "\033[K" clears what a
 * longer line left), at most every PROGRESS_PERIOD_S, cut to the
 * terminal's width, and erased when the query ends so the result or the
 * error starts on a clean line.  Forced onto a stream that is not a
 * terminal (--progress), it holds no escape codes and its final state is
 * kept, ended by a newline, as a record in a log. */
#define PROGRESS_DELAY_S 0.5
/* Below the scheduler's 200 ms period, so jitter does not skip a report,
 * while keeping redraws at about 5 a second. */
#define PROGRESS_PERIOD_S 0.15

typedef struct progress_bar {
  int on;           /* draws at all (the mode and whether stderr is a tty) */
  int tty;          /* stderr is a terminal */
  double start;     /* when the query was submitted */
  double last_draw; /* when the line was last drawn; 0 before */
  size_t last_len;  /* columns of the line on screen, 0 when none is */
  dusk_progress p;  /* the last report */
} progress_bar;

/* "1.2 MB": decimal units, as the Python package prints them. */
static void human_bytes(double n, char *out, size_t len) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
  size_t u = 0;
  while (n >= 1000.0 && u + 1 < sizeof units / sizeof units[0]) {
    n /= 1000.0;
    u++;
  }
  if (u == 0)
    snprintf(out, len, "%.0f B", n);
  else
    snprintf(out, len, "%.1f %s", n, units[u]);
}

/* Columns of the terminal on fd, 80 when it does not say. */
static int terminal_width(int fd) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

/* The line for report p after elapsed seconds, at most width - 1 columns
 * (a line filling the last column wraps on some terminals, and "\r" then
 * returns to the wrong line): the bar is dropped first when it does not
 * fit, then the text is cut. */
static void progress_text(const dusk_progress *p, double elapsed, int width,
                          char *out, size_t len) {
  char done[32], total[32], rate[32], info[192];
  double frac = p->tasks_total ? (double)p->tasks_done / (double)p->tasks_total
                               : 1.0;
  int room, barw, fill;
  human_bytes((double)p->bytes_done, done, sizeof done);
  human_bytes((double)p->bytes_total, total, sizeof total);
  human_bytes(elapsed > 0 ? (double)p->bytes_done / elapsed : 0.0, rate,
              sizeof rate);
  snprintf(info, sizeof info,
           "%" PRIu64 "/%" PRIu64 " tasks | %s of %s scanned | %s/s | %.1f s",
           p->tasks_done, p->tasks_total, done, total, rate, elapsed);
  room = width - 1;
  if (room < 1)
    room = 1;
  if ((size_t)room > len - 1)
    room = (int)len - 1;
  /* "[" bar "] " info, the bar 10..30 columns. */
  barw = room - (int)strlen(info) - 3;
  if (barw > 30)
    barw = 30;
  if (barw >= 10) {
    fill = (int)(frac * barw);
    if (fill > barw)
      fill = barw;
    out[0] = '[';
    memset(out + 1, '#', (size_t)fill);
    memset(out + 1 + fill, '.', (size_t)(barw - fill));
    snprintf(out + 1 + barw, len - 1 - (size_t)barw, "] %s", info);
  } else {
    snprintf(out, len, "%s", info);
  }
  if (strlen(out) > (size_t)room)
    out[room] = '\0';
}

static void progress_draw(progress_bar *b, double now) {
  char line[512];
  size_t n;
  progress_text(&b->p, now - b->start, b->tty ? terminal_width(2) : 80, line,
                sizeof line);
  n = strlen(line);
  if (b->tty) {
    fprintf(stderr, "\r\033[K%s", line);
  } else {
    /* Spaces cover what a longer earlier line left. */
    int pad = b->last_len > n ? (int)(b->last_len - n) : 0;
    fprintf(stderr, "\r%s%*s", line, pad, "");
  }
  fflush(stderr);
  b->last_len = n > 0 ? n : 1;
  b->last_draw = now;
}

/* dusk_client_set_progress's callback: keeps the report, draws it when
 * the query is old enough and the last draw is not too recent. */
static void progress_report(void *arg, const char *key,
                            const dusk_progress *p) {
  progress_bar *b = arg;
  double now = now_s();
  (void)key;
  b->p = *p;
  if (!b->on || now - b->start < PROGRESS_DELAY_S ||
      (b->last_draw > 0 && now - b->last_draw < PROGRESS_PERIOD_S))
    return;
  progress_draw(b, now);
}

/* Ends the display before anything else is printed: on a terminal the
 * line is erased; elsewhere its final state (all done when ok) stays,
 * with a newline.  Nothing when no line was drawn. */
static void progress_end(progress_bar *b, int ok) {
  if (b->last_len == 0)
    return;
  if (b->tty) {
    fputs("\r\033[K", stderr);
  } else {
    if (ok) {
      b->p.tasks_done = b->p.tasks_total;
      b->p.bytes_done = b->p.bytes_total;
    }
    progress_draw(b, now_s());
    fputc('\n', stderr);
  }
  fflush(stderr);
  b->last_len = 0;
}

/* dusk_client_set_interrupt's test while a query runs: a SIGINT (^C) or
 * SIGTERM caught by on_signal ends the wait, dusk_compute cancels the
 * query on the cluster, and run_query erases the bar and stops its
 * LocalCluster before exiting, instead of dying with the line drawn. */
static int query_interrupted(void *arg) {
  (void)arg;
  return got_signal != 0;
}

/* --profile: refuses a path the report could not be written to before
 * the query runs (a file it creates only to check is removed again). */
static int profile_path_check(const char *path) {
  int existed = access(path, F_OK) == 0;
  FILE *f = fopen(path, "a");
  if (f == NULL) {
    fprintf(stderr, "dusk: cannot write the report to %s: %s\n", path,
            strerror(errno));
    return -1;
  }
  fclose(f);
  if (!existed)
    unlink(path);
  return 0;
}

/* Writes the report of the query just computed to o->profile. */
static int write_profile(dusk_client *c, const options *o) {
  dusk_profile *p = dusk_client_take_profile(c);
  const dusk_profile *ps[1];
  dusk_error err = {0};
  int rc;
  if (p == NULL) {
    fprintf(stderr, "dusk: the scheduler sent no profile of the query, so "
                    "no report was written to %s\n", o->profile);
    return -1;
  }
  ps[0] = p;
  rc = dusk_profile_set_query(p, o->expression);
  if (rc == 0)
    rc = dusk_profile_write_html(ps, 1, o->profile, &err);
  else
    dusk_error_set(&err, rc, "out of memory");
  dusk_profile_free(p);
  if (rc != 0)
    fprintf(stderr, "dusk: %s\n", err.message);
  return rc;
}

/* dusk query: parse, run on the given or an embedded cluster, print.
 * Exits 0, 1 on a failure, 2 on a bad expression, 128 + the signal after
 * SIGINT or SIGTERM. */
static int run_query(const options *o) {
  dusk_dataframe *f = NULL;
  dusk_cluster *cl = NULL;
  dusk_client *c = NULL;
  dusk_table *t = NULL;
  dusk_error err = {0};
  progress_bar bar = {0};
  struct sigaction sa, old_int, old_term;
  int nworkers, rc;
  if (o->expression == NULL) {
    fprintf(stderr, "dusk query: no expression given\n");
    return 2;
  }
  if (dusk_dataframe_parse(o->expression, &f, &err) != 0) {
    fprintf(stderr, "dusk: %s\n", err.message);
    return 2;
  }
  dusk_dataframe_set_blocksize(f, o->blocksize);
  if (o->profile != NULL && profile_path_check(o->profile) != 0) {
    dusk_dataframe_free(f);
    return 1;
  }
  if (open_cluster(o, 1, &cl, &c, &nworkers) != 0) {
    dusk_dataframe_free(f);
    return 1;
  }
  dusk_client_set_profiling(c, o->profile != NULL);
  bar.tty = isatty(STDERR_FILENO);
  bar.on = o->progress == PROGRESS_ON ||
           (o->progress == PROGRESS_AUTO && bar.tty);
  bar.start = now_s();
  dusk_client_set_progress(c, progress_report, &bar);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  dusk_client_set_interrupt(c, query_interrupted, NULL, 0);
  rc = dusk_compute(c, f, -1, &t, &err);
  dusk_client_set_interrupt(c, NULL, NULL, 0);
  dusk_client_set_progress(c, NULL, NULL);
  progress_end(&bar, rc == 0);
  if (rc != 0 && got_signal != 0) {
    fprintf(stderr, "dusk: %s, the query cancelled\n",
            got_signal == SIGINT ? "interrupted" : "terminated");
  } else if (rc != 0) {
    fprintf(stderr, "dusk: %s\n", err.message);
  } else {
    dusk_table_print_result(t, o->format, dusk_dataframe_result(f), stdout);
    fflush(stdout);
    if (o->profile != NULL && write_profile(c, o) != 0)
      rc = 1;
  }
  dusk_table_free(t);
  dusk_dataframe_free(f);
  dusk_client_free(c);
  dusk_cluster_stop(cl);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  if (rc != 0 && got_signal != 0)
    return 128 + got_signal;
  return rc == 0 ? 0 : 1;
}

/* Writes s as a JSON string: a worker's address is its --contact-host,
 * which is whatever its operator typed. */
static void put_json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(out, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(out, "\\u%04x", ch);
    else
      fputc(ch, out);
  }
  fputc('"', out);
}

/* One JSON line of the scheduler's health (dusk_client_stats) and the
 * workers it knows, each with its data address and pid (what `dusk ssh`
 * counts per host).  A scheduler without workers is reported as such, at
 * once: stats never waits for a worker. */
static int run_stats(const options *o) {
  dusk_cluster *cl = NULL;
  dusk_client *c = NULL;
  dusk_scheduler_stats st;
  char link[512];
  dusk_worker_status *ws = NULL;
  dusk_error err = {0};
  size_t max, n = 0;
  int nworkers = 0;
  if (o->scheduler == NULL) {
    fprintf(stderr, "dusk stats: needs --scheduler tcp://HOST:PORT\n");
    return 2;
  }
  if (open_cluster(o, 0, &cl, &c, &nworkers) != 0)
    return 1;
  if (dusk_client_stats(c, 10000, &st, &err) != 0) {
    fprintf(stderr, "dusk: %s\n", err.message);
    dusk_client_free(c);
    return 1;
  }
  /* Room for workers that register between the two requests; any beyond
   * it are counted in "workers" but not listed. */
  max = (size_t)st.nworkers + 64;
  ws = calloc(max, sizeof *ws);
  if (ws == NULL ||
      dusk_client_workers(c, 0, 10000, ws, max, &n, NULL, &err) != 0) {
    fprintf(stderr, "dusk: %s\n", ws ? err.message : "out of memory");
    free(ws);
    dusk_client_free(c);
    return 1;
  }
  printf("{\"tasks\": %" PRIu64 ", \"workers\": %u, \"clients\": %u, "
         "\"rss_bytes\": %" PRIu64 ", \"peak_rss_bytes\": %" PRIu64 ", "
         "\"heartbeats\": %" PRIu64 ", \"heartbeat_rtt_us_p50\": %u, "
         "\"heartbeat_rtt_us_p99\": %u, \"heartbeat_rtt_us_max\": %u, "
         "\"worker_list\": [",
         st.ntasks, st.nworkers, st.nclients, st.rss_bytes,
         st.peak_rss_bytes, st.hb_samples, st.hb_rtt_p50_us,
         st.hb_rtt_p99_us, st.hb_rtt_max_us);
  for (size_t i = 0; i < n; i++) {
    ws[i].addr[sizeof ws[i].addr - 1] = '\0';
    ws[i].host_id[sizeof ws[i].host_id - 1] = '\0';
    printf("%s{\"addr\": ", i ? ", " : "");
    put_json_string(stdout, ws[i].addr);
    printf(", \"pid\": %" PRId64 ", \"host_id\": ", ws[i].pid);
    put_json_string(stdout, ws[i].host_id);
    printf(", \"cpu_percent\": %.1f, \"rss_bytes\": %" PRIu64
           ", \"memory_limit_bytes\": %" PRIu64 ", \"bytes_scanned\": %" PRIu64
           "}", ws[i].cpu_percent, ws[i].rss_bytes, ws[i].memory_limit_bytes,
           ws[i].bytes_scanned);
  }
  printf("]");
  if (dusk_client_dashboard_link(c, 10000, link, sizeof link, &err) == 0 &&
      link[0] != '\0') {
    printf(", \"dashboard\": ");
    put_json_string(stdout, link);
  }
  if (st.autoscale)
    printf(", \"autoscale\": {\"target\": %u, \"pending\": %u, "
           "\"running\": %u, \"closing\": %u, \"launched\": %" PRIu64
           ", \"stopped\": %" PRIu64 ", \"work_ms\": %" PRIu64 "}",
           st.as_target, st.as_pending, st.as_running, st.as_closing,
           st.as_launched, st.as_stopped, st.as_work_ms);
  printf("}\n");
  free(ws);
  dusk_client_free(c);
  return 0;
}

/* `dusk ssh ...`: execs dusk-ssh from this binary's own folder (where the
 * build and `cmake --install` put it) with the arguments after "ssh".  The
 * orchestration is a script because it is mostly ssh, scp-like copies and
 * remote shell; the script runs `dusk stats` for the scheduler's view.
 * Returns only when the exec fails. */
static int run_ssh(int argc, char **argv) {
  char self[PATH_MAX], script[PATH_MAX + 16];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  char *slash, **args;
  if (len <= 0) {
    fprintf(stderr, "dusk ssh: cannot find this program's folder "
                    "(/proc/self/exe: %s)\n", strerror(errno));
    return 1;
  }
  self[len] = '\0';
  slash = strrchr(self, '/');
  if (slash != NULL)
    *slash = '\0';
  snprintf(script, sizeof script, "%s/dusk-ssh", self);
  args = calloc((size_t)argc, sizeof *args);
  if (args == NULL) {
    fprintf(stderr, "dusk ssh: out of memory\n");
    return 1;
  }
  args[0] = script;
  for (int i = 2; i < argc; i++)
    args[i - 1] = argv[i];
  execv(script, args);
  fprintf(stderr, "dusk ssh: cannot run %s: %s (it is installed next to "
                  "the dusk binary)\n", script, strerror(errno));
  free(args);
  return 1;
}

int main(int argc, char **argv) {
  const command *c = NULL;
  options o;
  int first = 2, rc;
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    fprintf(stderr, "usage: dusk COMMAND [options]; commands: local, demo, "
                    "bench tasks, query, stats, ssh (see 'dusk --help')\n");
    return 2;
  }
  if (strcmp(argv[1], "ssh") == 0)
    return run_ssh(argc, argv);
  if (argc > 2 && strcmp(argv[2], "ssh") == 0 &&
      (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
       strcmp(argv[1], "help") == 0)) {
    char *help[] = {argv[0], "ssh", "--help", NULL};
    return run_ssh(3, help);
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    /* "dusk help query" is "dusk query --help". */
    for (size_t i = 0; argc > 2 && i < NCOMMANDS; i++)
      if (strncmp(commands[i].name, argv[2], strlen(argv[2])) == 0 &&
          (commands[i].name[strlen(argv[2])] == '\0' ||
           commands[i].name[strlen(argv[2])] == ' ')) {
        print_command_help(&commands[i]);
        return 0;
      }
    print_help();
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    print_version();
    return 0;
  }
  if (strcmp(argv[1], "bench") == 0) {
    /* One benchmark so far, "tasks"; "dusk bench --help" is its help. */
    c = &commands[2];
    first = 3;
    if (argc >= 3 && (strcmp(argv[2], "--help") == 0 ||
                      strcmp(argv[2], "-h") == 0 ||
                      strcmp(argv[2], "--version") == 0)) {
      first = 2;
    } else if (argc < 3 || strcmp(argv[2], "tasks") != 0) {
      fprintf(stderr, "dusk bench: %s%s%s (the benchmarks: tasks; see 'dusk "
                      "bench tasks --help')\n",
              argc < 3 ? "which benchmark?" : "unknown benchmark '",
              argc < 3 ? "" : argv[2], argc < 3 ? "" : "'");
      return 2;
    }
  } else {
    for (size_t i = 0; i < NCOMMANDS; i++)
      if (strcmp(argv[1], commands[i].name) == 0)
        c = &commands[i];
  }
  if (c == NULL) {
    fprintf(stderr, "dusk: unknown command '%s' (commands: local, demo, "
                    "bench tasks, query, stats, ssh; see 'dusk --help')\n",
            argv[1]);
    return 2;
  }
  rc = parse_options(argc, argv, first, c, &o);
  if (rc != PARSE_RUN)
    return rc;
  return c->run(&o);
}
