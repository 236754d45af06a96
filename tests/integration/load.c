/* load.c - dusk-load: the scheduler under load, and a leak soak.
 *
 *   dusk-load [--clients 100] [--queries 4] [--graph-tasks 1000000]
 *             [--churn 50] [--churn-min 2] [--kill-every 0]
 *             [--heartbeat-ms 100] [--max-retries 1] [--lifetime-ms 200]
 *             [--bin DIR]
 *
 * One scheduler and two steady workers, all spawned here on loopback with a
 * fresh token, then at the same time:
 *   - `clients` threads, each its own client, each running `queries` small
 *     jobs in turn (a 63-task tree sum and a groupby count over a small CSV)
 *     and checking every answer exactly;
 *   - one client submitting a `graph-tasks`-task tree reduction and checking
 *     its sum;
 *   - `churn` threads, each starting a dusk-worker, waiting until it has
 *     registered, letting it work for 10 ms + up to lifetime-ms, stopping
 *     it with SIGTERM
 *     (every kill-every-th time SIGKILL instead) and starting the next, until
 *     the jobs are done and each slot went round at least churn-min times;
 *   - a poller asking the scheduler for its stats (heartbeat round trips its
 *     workers measured, its RSS) every 200 ms.
 * Graceful leaves must not count as worker deaths: with --max-retries 1 a
 * single miscounted leave errs a task and fails the run.
 *
 * Every process is stopped by its pid at the end, with SIGTERM, and must
 * exit 0: built with ASan/LSan, a leak makes a daemon exit non-zero, so the
 * same program is the leak soak.  Prints one JSON line; exit 0 only when
 * every answer was exact and every process exited cleanly. */
#include "auth.h"
#include "dusk.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 600000 /* bound on any one job: 10 minutes */
#define READY_MS 60000
#define CSV_ROWS 3000

typedef struct config {
  long clients, queries, graph_tasks, churn, churn_min, kill_every;
  long heartbeat_ms, max_retries, lifetime_ms;
  char bin[PATH_MAX];
} config;

static config cfg;
static char dir[64], token_file[128], csv_path[128], address[64];
static char token[65];
static pid_t sched_pid;
static pid_t steady[2];

static atomic_int failures;
static atomic_int stop_churn;
static atomic_long churn_cycles, churn_kills;
static atomic_long jobs_done;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

/* Job latencies, ms, for the report. */
static double *job_ms;
/* Every client connects before any runs a job: they are all open at once. */
static pthread_barrier_t clients_connected;
static atomic_long njob_ms;

static void fail(const char *fmt, ...) {
  va_list ap;
  pthread_mutex_lock(&report_lock);
  fprintf(stderr, "dusk-load: FAIL: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  pthread_mutex_unlock(&report_lock);
  atomic_fetch_add(&failures, 1);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- processes ----------------------------------------------------------- */

/* The daemons' --log-level: $DUSK_LOAD_LOG_LEVEL, default warn. */
static char *log_level(void) {
  char *v = getenv("DUSK_LOAD_LOG_LEVEL");
  return v != NULL && *v != '\0' ? v : "warn";
}

/* Starts a worker and waits until it registered: its pid, or -1. */
static pid_t start_worker(const char *log) {
  char bin[PATH_MAX + 16];
  int fds[2], port;
  pid_t pid;
  snprintf(bin, sizeof bin, "%s/dusk-worker", cfg.bin);
  char *argv[] = {bin,          address, "--token-file", token_file,
                  "--ready-fd", "3",     "--log-level",  log_level(),
                  NULL};
  if (pipe(fds) != 0)
    return -1;
  pid = tu_spawn(argv, log, fds[1]);
  close(fds[1]);
  port = pid > 0 ? tu_read_ready(fds[0], READY_MS) : -1;
  close(fds[0]);
  if (port <= 0) {
    if (pid > 0)
      tu_stop_child(pid, 1000);
    return -1;
  }
  return pid;
}

/* SIGTERM, then a bounded wait: 1 if it exited with status 0. */
static int stop_clean(pid_t pid, const char *what) {
  int st = 0;
  kill(pid, SIGTERM);
  if (tu_wait_exit(pid, 30000, &st) != 1) {
    fail("%s (pid %d) did not exit within 30 s of SIGTERM", what, (int)pid);
    tu_stop_child(pid, 0);
    return 0;
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fail("%s (pid %d) ended with %s %d (a leak report under LSan? see "
         "%s/*.log)",
         what, (int)pid, WIFEXITED(st) ? "exit status" : "signal",
         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), dir);
    return 0;
  }
  return 1;
}

/* ---- churn --------------------------------------------------------------- */

static void *churn_main(void *arg) {
  long slot = (long)(intptr_t)arg, rounds = 0;
  unsigned seed = (unsigned)(slot * 7919 + 17);
  char log[192];
  snprintf(log, sizeof log, "%s/churn-%ld.log", dir, slot);
  while (!atomic_load(&stop_churn) || rounds < cfg.churn_min) {
    pid_t pid = start_worker(log);
    long n;
    if (pid < 0) {
      fail("churn slot %ld: a worker did not register within %d ms", slot,
           READY_MS);
      return NULL;
    }
    tu_nap_ms(10 + (unsigned)(rand_r(&seed) % (unsigned)cfg.lifetime_ms));
    n = atomic_fetch_add(&churn_cycles, 1) + 1;
    rounds++;
    if (cfg.kill_every > 0 && n % cfg.kill_every == 0) {
      atomic_fetch_add(&churn_kills, 1);
      tu_stop_child(pid, 0); /* SIGKILL at once */
    } else if (!stop_clean(pid, "churn worker")) {
      return NULL;
    }
  }
  return NULL;
}

/* ---- jobs ---------------------------------------------------------------- */

static void key_of(char *buf, size_t len, const char *prefix, long i) {
  int n = snprintf(buf, len, "%s-%ld", prefix, i);
  if (n < 0 || (size_t)n >= len) {
    fprintf(stderr, "dusk-load: key %s-%ld longer than %zu bytes\n", prefix,
            i, len - 1);
    exit(2);
  }
}

/* A binary tree sum over `leaves` add(i) leaves, keys prefix-N; the root
 * key goes to root.  Returns the task count, or -1. */
static long build_tree(dusk_graph *g, const char *prefix, long leaves,
                       char *root, size_t rootlen) {
  long next = 0, level_start = 0, level_len = leaves;
  char k[64], a[64], b[64];
  for (long i = 0; i < leaves; i++) {
    key_of(k, sizeof k, prefix, next++);
    if (dusk_graph_add_int(g, k, "add", i, NULL, 0) != 0)
      return -1;
  }
  while (level_len > 1) {
    long produced = 0;
    for (long i = 0; i < level_len; i += 2) {
      const char *deps[2] = {a, b};
      key_of(a, sizeof a, prefix, level_start + i);
      key_of(b, sizeof b, prefix, level_start + i + 1);
      key_of(k, sizeof k, prefix, next++);
      if (dusk_graph_add(g, k, "sum", NULL, 0, deps,
                         i + 1 < level_len ? 2 : 1) != 0)
        return -1;
      produced++;
    }
    level_start += level_len;
    level_len = produced;
  }
  key_of(root, rootlen, prefix, next - 1);
  return next;
}

static int tree_job(dusk_client *c, const char *prefix, long leaves) {
  dusk_graph *g = dusk_graph_new();
  dusk_error err = {0};
  char root[64];
  const char *wanted[1] = {root};
  int64_t got = 0, want = (int64_t)leaves * (leaves - 1) / 2;
  int ok = 0;
  if (g == NULL || build_tree(g, prefix, leaves, root, sizeof root) < 0) {
    fail("%s: cannot build the graph", prefix);
  } else if (dusk_client_submit(c, g, wanted, 1, WAIT_MS, &err) != 0 ||
             dusk_client_gather_int(c, root, WAIT_MS, &got, &err) != 0) {
    fail("%s: %s", prefix, err.message);
  } else if (got != want) {
    fail("%s: sum %" PRId64 ", expected %" PRId64, prefix, got, want);
  } else {
    dusk_client_release(c, wanted, 1, NULL);
    ok = 1;
  }
  dusk_graph_free(g);
  return ok;
}

static int64_t want_zone[3];

static int query_job(dusk_client *c, const char *who) {
  char expr[256];
  dusk_dataframe *f = NULL;
  dusk_table *t = NULL;
  dusk_error err = {0};
  int ok = 1;
  snprintf(expr, sizeof expr, "read_csv(\"%s\").groupby(\"zone\").count()",
           csv_path);
  if (dusk_dataframe_parse(expr, &f, &err) != 0) {
    fail("%s: %s", who, err.message);
    return 0;
  }
  dusk_dataframe_set_blocksize(f, 16384); /* a few partitions */
  if (dusk_compute(c, f, WAIT_MS, &t, &err) != 0) {
    fail("%s: query: %s", who, err.message);
    ok = 0;
  } else if (dusk_table_nrows(t) != 3) {
    fail("%s: query gave %zu groups, not 3", who, dusk_table_nrows(t));
    ok = 0;
  } else {
    for (size_t r = 0; r < 3; r++) {
      int64_t z = -1, n = -1;
      if (dusk_table_int64(t, 0, r, &z) != 0 || z < 0 || z > 2 ||
          dusk_table_int64(t, 1, r, &n) != 0 || n != want_zone[z]) {
        fail("%s: query row %zu wrong (zone %" PRId64 ")", who, r, z);
        ok = 0;
      }
    }
  }
  dusk_table_free(t);
  dusk_dataframe_free(f);
  return ok;
}

static void note_job(double ms) {
  long i = atomic_fetch_add(&njob_ms, 1);
  if (i < cfg.clients * cfg.queries)
    job_ms[i] = ms;
  atomic_fetch_add(&jobs_done, 1);
}

static void *client_main(void *arg) {
  long id = (long)(intptr_t)arg;
  dusk_client *c = NULL;
  dusk_error err = {0};
  char who[64];
  int connected = dusk_client_connect(address, token, 60000, &c, &err) == 0;
  if (!connected)
    fail("client %ld: %s", id, err.message);
  pthread_barrier_wait(&clients_connected);
  if (!connected)
    return NULL;
  for (long q = 0; q < cfg.queries; q++) {
    double t0 = now_ms();
    snprintf(who, sizeof who, "c%ld-q%ld", id, q);
    if ((q + id) % 2 == 0 ? tree_job(c, who, 32) : query_job(c, who))
      note_job(now_ms() - t0);
  }
  dusk_client_free(c);
  return NULL;
}

static double graph_seconds;

static void *graph_main(void *arg) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  double t0 = now_ms();
  (void)arg;
  if (dusk_client_connect(address, token, 60000, &c, &err) != 0) {
    fail("graph client: %s", err.message);
    return NULL;
  }
  /* A tree over L leaves has 2L - 1 tasks. */
  if (tree_job(c, "big", (cfg.graph_tasks + 1) / 2))
    graph_seconds = (now_ms() - t0) / 1e3;
  dusk_client_free(c);
  return NULL;
}

/* ---- stats --------------------------------------------------------------- */

static atomic_int stop_poll;
static dusk_scheduler_stats last_stats;
static uint64_t max_rss;
static uint32_t max_clients, max_workers;

static void *poll_main(void *arg) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  (void)arg;
  if (dusk_client_connect(address, token, 60000, &c, &err) != 0) {
    fail("stats client: %s", err.message);
    return NULL;
  }
  while (!atomic_load(&stop_poll)) {
    dusk_scheduler_stats st;
    if (dusk_client_stats(c, 60000, &st, &err) != 0) {
      fail("stats: %s", err.message);
      break;
    }
    last_stats = st;
    if (st.rss_bytes > max_rss)
      max_rss = st.rss_bytes;
    if (st.nclients > max_clients)
      max_clients = st.nclients;
    if (st.nworkers > max_workers)
      max_workers = st.nworkers;
    tu_nap_ms(200);
  }
  dusk_client_stats(c, 60000, &last_stats, &err);
  dusk_client_free(c);
  return NULL;
}

/* ---- main ---------------------------------------------------------------- */

static int parse_args(int argc, char **argv) {
  struct {
    const char *flag;
    long *v;
    long min, max;
  } flags[] = {{"--clients", &cfg.clients, 1, 10000},
               {"--queries", &cfg.queries, 1, 100000},
               {"--graph-tasks", &cfg.graph_tasks, 3, 100000000},
               {"--churn", &cfg.churn, 0, 1000},
               {"--churn-min", &cfg.churn_min, 0, 100000},
               {"--kill-every", &cfg.kill_every, 0, 1000000},
               {"--heartbeat-ms", &cfg.heartbeat_ms, 10, 60000},
               {"--max-retries", &cfg.max_retries, 1, 100},
               {"--lifetime-ms", &cfg.lifetime_ms, 1, 600000}};
  cfg.clients = 100;
  cfg.queries = 4;
  cfg.graph_tasks = 1000000;
  cfg.churn = 50;
  cfg.churn_min = 2;
  cfg.kill_every = 0;
  cfg.heartbeat_ms = 100;
  cfg.max_retries = 1;
  cfg.lifetime_ms = 200;
  if (tu_bin_path("", cfg.bin, sizeof cfg.bin) != 0)
    return -1;
  cfg.bin[strlen(cfg.bin) - 1] = '\0';
  for (int i = 1; i < argc; i++) {
    int matched = 0;
    if (strcmp(argv[i], "--bin") == 0 && i + 1 < argc) {
      snprintf(cfg.bin, sizeof cfg.bin, "%s", argv[++i]);
      continue;
    }
    for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
      char *end;
      long v;
      if (strcmp(argv[i], flags[f].flag) != 0)
        continue;
      matched = 1;
      if (i + 1 >= argc)
        goto bad;
      v = strtol(argv[++i], &end, 10);
      if (*end != '\0' || v < flags[f].min || v > flags[f].max) {
        fprintf(stderr, "dusk-load: %s needs %ld..%ld\n", flags[f].flag,
                flags[f].min, flags[f].max);
        return -1;
      }
      *flags[f].v = v;
    }
    if (!matched)
      goto bad;
  }
  return 0;
bad:
  fprintf(stderr,
          "usage: dusk-load [--clients N] [--queries N] [--graph-tasks N] "
          "[--churn N] [--churn-min N] [--kill-every N] [--heartbeat-ms N] "
          "[--max-retries N] [--lifetime-ms N] [--bin DIR]\n");
  return -1;
}

static int setup_files(void) {
  FILE *f;
  snprintf(dir, sizeof dir, "/tmp/dusk-load-XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  snprintf(token_file, sizeof token_file, "%s/token", dir);
  snprintf(csv_path, sizeof csv_path, "%s/trips.csv", dir);
  if (dusk_auth_token_generate(token) != 0)
    return -1;
  f = fopen(token_file, "w");
  if (f == NULL || fputs(token, f) < 0 || fclose(f) != 0)
    return -1;
  chmod(token_file, 0600);
  f = fopen(csv_path, "w");
  if (f == NULL)
    return -1;
  fputs("trip,zone,fare\n", f);
  for (int i = 0; i < CSV_ROWS; i++) {
    if (i % 10 == 0) {
      fprintf(f, "%d,,%d.5\n", i, i);
    } else {
      fprintf(f, "%d,%d,%d.5\n", i, i % 3, i);
      want_zone[i % 3]++;
    }
  }
  return fclose(f) == 0 ? 0 : -1;
}

static int start_scheduler(void) {
  char bin[PATH_MAX + 16], log[128], hb[32], retries[32];
  int fds[2], port;
  snprintf(bin, sizeof bin, "%s/dusk-scheduler", cfg.bin);
  snprintf(log, sizeof log, "%s/scheduler.log", dir);
  snprintf(hb, sizeof hb, "%ld", cfg.heartbeat_ms);
  snprintf(retries, sizeof retries, "%ld", cfg.max_retries);
  char *argv[] = {bin,           "--port",        "0",        "--ready-fd",
                  "3",           "--token-file",  token_file, "--heartbeat-ms",
                  hb,            "--max-retries", retries,    "--log-level",
                  log_level(),   NULL};
  if (pipe(fds) != 0)
    return -1;
  sched_pid = tu_spawn(argv, log, fds[1]);
  close(fds[1]);
  port = sched_pid > 0 ? tu_read_ready(fds[0], READY_MS) : -1;
  close(fds[0]);
  if (port <= 0)
    return -1;
  snprintf(address, sizeof address, "tcp://127.0.0.1:%d", port);
  return 0;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
  pthread_t *clients, *churners, graph, poller;
  char log[128];
  double t0, wall;
  long nj;
  int rc;

  signal(SIGPIPE, SIG_IGN);
  if (parse_args(argc, argv) != 0)
    return 2;
  if (setup_files() != 0 || start_scheduler() != 0) {
    fprintf(stderr, "dusk-load: cannot start the scheduler (%s)\n", dir);
    return 1;
  }
  for (int i = 0; i < 2; i++) {
    snprintf(log, sizeof log, "%s/steady-%d.log", dir, i);
    if ((steady[i] = start_worker(log)) < 0) {
      fprintf(stderr, "dusk-load: a steady worker did not register\n");
      tu_stop_child(sched_pid, 1000);
      return 1;
    }
  }
  job_ms = calloc((size_t)(cfg.clients * cfg.queries), sizeof *job_ms);
  clients = calloc((size_t)cfg.clients, sizeof *clients);
  churners = calloc((size_t)cfg.churn + 1, sizeof *churners);
  if (job_ms == NULL || clients == NULL || churners == NULL)
    return 1;

  pthread_barrier_init(&clients_connected, NULL, (unsigned)cfg.clients);
  t0 = now_ms();
  pthread_create(&poller, NULL, poll_main, NULL);
  for (long i = 0; i < cfg.churn; i++)
    pthread_create(&churners[i], NULL, churn_main, (void *)(intptr_t)i);
  pthread_create(&graph, NULL, graph_main, NULL);
  for (long i = 0; i < cfg.clients; i++)
    pthread_create(&clients[i], NULL, client_main, (void *)(intptr_t)i);
  for (long i = 0; i < cfg.clients; i++)
    pthread_join(clients[i], NULL);
  pthread_join(graph, NULL);
  atomic_store(&stop_churn, 1);
  for (long i = 0; i < cfg.churn; i++)
    pthread_join(churners[i], NULL);
  wall = (now_ms() - t0) / 1e3;
  atomic_store(&stop_poll, 1);
  pthread_join(poller, NULL);
  pthread_barrier_destroy(&clients_connected);

  /* Everything stops by pid and must exit 0 (LSan's verdict when built
   * with it). */
  for (int i = 0; i < 2; i++)
    stop_clean(steady[i], "steady worker");
  stop_clean(sched_pid, "scheduler");

  nj = atomic_load(&njob_ms);
  if (nj > cfg.clients * cfg.queries)
    nj = cfg.clients * cfg.queries;
  qsort(job_ms, (size_t)nj, sizeof *job_ms, cmp_double);
  if (atomic_load(&jobs_done) != cfg.clients * cfg.queries)
    fail("%ld of %ld small jobs succeeded", atomic_load(&jobs_done),
         cfg.clients * cfg.queries);
  printf("{\"clients\": %ld, \"small_jobs\": %ld, \"small_job_ms_p50\": %.1f, "
         "\"small_job_ms_p99\": %.1f, \"graph_tasks\": %ld, "
         "\"graph_seconds\": %.2f, \"churn_slots\": %ld, "
         "\"worker_registrations\": %ld, \"worker_kills\": %ld, "
         "\"max_workers\": %u, \"max_clients\": %u, \"heartbeats\": %" PRIu64
         ", \"heartbeat_rtt_us_p50\": %u, \"heartbeat_rtt_us_p99\": %u, "
         "\"heartbeat_rtt_us_max\": %u, \"scheduler_rss_mib_max\": %.1f, "
         "\"scheduler_peak_rss_mib\": %.1f, \"wall_seconds\": %.2f, "
         "\"failures\": %d}\n",
         cfg.clients, nj, nj ? job_ms[nj / 2] : 0.0,
         nj ? job_ms[(nj * 99) / 100 < nj ? (nj * 99) / 100 : nj - 1] : 0.0,
         cfg.graph_tasks, graph_seconds, cfg.churn,
         atomic_load(&churn_cycles), atomic_load(&churn_kills), max_workers,
         max_clients, last_stats.hb_samples, last_stats.hb_rtt_p50_us,
         last_stats.hb_rtt_p99_us, last_stats.hb_rtt_max_us,
         (double)max_rss / 1048576.0,
         (double)last_stats.peak_rss_bytes / 1048576.0, wall,
         atomic_load(&failures));
  rc = atomic_load(&failures) == 0 ? 0 : 1;
  if (rc == 0) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
      fprintf(stderr, "dusk-load: could not remove %s\n", dir);
  } else {
    fprintf(stderr, "dusk-load: logs kept in %s\n", dir);
  }
  free(job_ms);
  free(clients);
  free(churners);
  return rc;
}
