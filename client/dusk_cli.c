/* dusk_cli.c - the `dusk` command on libdusk.
 *
 *   dusk local [--workers N]                 run a LocalCluster until ^C
 *   dusk demo  [--workers N] [--tasks M]     LocalCluster + a demo graph
 *   dusk bench tasks [--scheduler ADDR [--token-file F] | --workers N]
 *                    [--tasks M] [--shape independent|tree|chain]
 *   dusk query [...] 'EXPR'                   run a dataframe expression
 * Every command takes --tls-cert F --tls-key F --tls-ca F: TLS to a
 * --scheduler, or a LocalCluster whose connections all use TLS.
 */
#include "dusk.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
} options;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void) {
  fprintf(stderr,
          "usage:\n"
          "  dusk local [--workers N]\n"
          "  dusk demo [--workers N] [--tasks M]\n"
          "  dusk bench tasks [--scheduler tcp://HOST:PORT [--token-file F] "
          "| --workers N]\n"
          "                   [--tasks M] [--shape independent|tree|chain]\n"
          "  dusk query [--scheduler tcp://HOST:PORT [--token-file F] | "
          "--workers N]\n"
          "             [--format table|csv|json] [--blocksize SIZE] 'EXPR'\n"
          "     EXPR like read_csv(\"fhv*.csv\").fillna(0)"
          ".groupby(\"PULocationID\").count()\n"
          "  dusk stats --scheduler tcp://HOST:PORT [--token-file F]\n"
          "  every command: [--tls-cert PEM --tls-key PEM --tls-ca PEM]\n");
  return 2;
}

static int parse_long(const char *flag, const char *v, long min, long max,
                      long *out) {
  char *end;
  long x = v ? strtol(v, &end, 10) : 0;
  if (v == NULL || *end != '\0' || end == v || x < min || x > max) {
    fprintf(stderr, "dusk: %s needs an integer in %ld..%ld\n", flag, min,
            max);
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
  *out = (int64_t)(x * (double)mult);
  return *out > 0 ? 0 : -1;
}

static int parse_options(int argc, char **argv, int first, options *o) {
  o->format = DUSK_FORMAT_TABLE;
  o->blocksize = 0;
  o->expression = NULL;
  o->workers = 0;
  o->tasks = 100000;
  o->shape = "independent";
  o->scheduler = NULL;
  o->token_file = NULL;
  memset(&o->tls, 0, sizeof o->tls);
  for (int i = first; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    long x;
    if (strcmp(a, "--workers") == 0) {
      if (parse_long(a, v, 1, 1024, &x) != 0)
        return -1;
      o->workers = (int)x;
      i++;
    } else if (strcmp(a, "--tasks") == 0) {
      if (parse_long(a, v, 1, 100000000, &x) != 0)
        return -1;
      o->tasks = x;
      i++;
    } else if (strcmp(a, "--shape") == 0 && v != NULL) {
      o->shape = v;
      i++;
    } else if (strcmp(a, "--scheduler") == 0 && v != NULL) {
      o->scheduler = v;
      i++;
    } else if (strcmp(a, "--token-file") == 0 && v != NULL) {
      o->token_file = v;
      i++;
    } else if (strcmp(a, "--tls-cert") == 0 && v != NULL) {
      o->tls.cert = v;
      i++;
    } else if (strcmp(a, "--tls-key") == 0 && v != NULL) {
      o->tls.key = v;
      i++;
    } else if (strcmp(a, "--tls-ca") == 0 && v != NULL) {
      o->tls.ca = v;
      i++;
    } else if (strcmp(a, "--format") == 0 && v != NULL) {
      if (strcmp(v, "table") == 0)
        o->format = DUSK_FORMAT_TABLE;
      else if (strcmp(v, "csv") == 0)
        o->format = DUSK_FORMAT_CSV;
      else if (strcmp(v, "json") == 0)
        o->format = DUSK_FORMAT_JSON;
      else {
        fprintf(stderr, "dusk: --format must be table, csv or json\n");
        return -1;
      }
      i++;
    } else if (strcmp(a, "--blocksize") == 0 && v != NULL) {
      if (parse_size(v, &o->blocksize) != 0) {
        fprintf(stderr, "dusk: --blocksize '%s': expected a size like "
                        "64MB, 16MiB or 1000000\n", v);
        return -1;
      }
      i++;
    } else if (a[0] != '-' && o->expression == NULL) {
      o->expression = a;
    } else {
      fprintf(stderr, "dusk: unknown or incomplete option '%s'\n", a);
      return -1;
    }
  }
  return 0;
}

/* Connects to --scheduler, or starts a LocalCluster. */
static int open_cluster(const options *o, dusk_cluster **cl,
                        dusk_client **client, int *nworkers) {
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
    if (dusk_client_workers(*client, 1, 30000, NULL, 0, &n, NULL, &err) !=
        0) {
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
  if (open_cluster(o, &cl, &c, &nworkers) != 0)
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

  if (open_cluster(&lo, &cl, &c, &nworkers) != 0)
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

/* dusk query: parse, run on the given or an embedded cluster, print. */
static int run_query(const options *o) {
  dusk_dataframe *f = NULL;
  dusk_cluster *cl = NULL;
  dusk_client *c = NULL;
  dusk_table *t = NULL;
  dusk_error err = {0};
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
  if (open_cluster(o, &cl, &c, &nworkers) != 0) {
    dusk_dataframe_free(f);
    return 1;
  }
  rc = dusk_compute(c, f, -1, &t, &err);
  if (rc != 0) {
    fprintf(stderr, "dusk: %s\n", err.message);
  } else {
    dusk_table_print(t, o->format, stdout);
    fflush(stdout);
  }
  dusk_table_free(t);
  dusk_dataframe_free(f);
  dusk_client_free(c);
  dusk_cluster_stop(cl);
  return rc == 0 ? 0 : 1;
}

/* One JSON line of the scheduler's health (dusk_client_stats). */
static int run_stats(const options *o) {
  dusk_cluster *cl = NULL;
  dusk_client *c = NULL;
  dusk_scheduler_stats st;
  dusk_error err = {0};
  int nworkers = 0;
  if (o->scheduler == NULL) {
    fprintf(stderr, "dusk stats: needs --scheduler tcp://HOST:PORT\n");
    return 2;
  }
  if (open_cluster(o, &cl, &c, &nworkers) != 0)
    return 1;
  if (dusk_client_stats(c, 10000, &st, &err) != 0) {
    fprintf(stderr, "dusk: %s\n", err.message);
    dusk_client_free(c);
    return 1;
  }
  printf("{\"tasks\": %" PRIu64 ", \"workers\": %u, \"clients\": %u, "
         "\"rss_bytes\": %" PRIu64 ", \"peak_rss_bytes\": %" PRIu64 ", "
         "\"heartbeats\": %" PRIu64 ", \"heartbeat_rtt_us_p50\": %u, "
         "\"heartbeat_rtt_us_p99\": %u, \"heartbeat_rtt_us_max\": %u}\n",
         st.ntasks, st.nworkers, st.nclients, st.rss_bytes,
         st.peak_rss_bytes, st.hb_samples, st.hb_rtt_p50_us,
         st.hb_rtt_p99_us, st.hb_rtt_max_us);
  dusk_client_free(c);
  return 0;
}

int main(int argc, char **argv) {
  options o;
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2)
    return usage();
  if (strcmp(argv[1], "local") == 0) {
    if (parse_options(argc, argv, 2, &o) != 0)
      return 2;
    return run_local(&o);
  }
  if (strcmp(argv[1], "demo") == 0) {
    if (parse_options(argc, argv, 2, &o) != 0)
      return 2;
    return run_demo(&o);
  }
  if (strcmp(argv[1], "query") == 0) {
    if (parse_options(argc, argv, 2, &o) != 0)
      return 2;
    return run_query(&o);
  }
  if (strcmp(argv[1], "stats") == 0) {
    if (parse_options(argc, argv, 2, &o) != 0)
      return 2;
    return run_stats(&o);
  }
  if (strcmp(argv[1], "bench") == 0 && argc >= 3 &&
      strcmp(argv[2], "tasks") == 0) {
    if (parse_options(argc, argv, 3, &o) != 0)
      return 2;
    return bench_tasks(&o);
  }
  return usage();
}
