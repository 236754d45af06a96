/* check_cluster.c - integration suite: a LocalCluster (dusk-scheduler plus a
 * nanny of two dusk-workers with the example plugin) driven only through the
 * public client API in dusk.h.
 *
 * Each test runs in its own forked process (CK_FORK) and starts its own
 * cluster, so a test that kills workers or leaves tasks behind cannot
 * disturb the next one.  The test stops its cluster at the end; if an
 * assertion ends the process early, LocalCluster's children die with it
 * (PR_SET_PDEATHSIG), so nothing outlives a failed test either.
 *
 * Nothing here sleeps and hopes: waits carry timeouts, and conditions with no
 * other signal (worker heartbeats) are polled in bounded loops.  No
 * assertion is on wall time; the timeouts only bound how long a broken
 * cluster can hang a test. */
#include "dusk.h"
#include "testutil.h"

#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Bound on waits for results that should come quickly: generous because
 * the suite also runs under ASan+UBSan on two cores. */
#define WAIT_MS 60000
/* Bound on polling worker heartbeats (500 ms apart) for a condition. */
#define POLL_MS 20000
#define MAX_WORKERS 16

static char bin_dir[PATH_MAX];
static char plugin_path[PATH_MAX];

/* Starts a 2-worker LocalCluster with the example plugin; 0 leaves the
 * scheduler's --worker-timeout-ms and --worker-queue at their defaults. */
static dusk_cluster *start_cluster_with(int worker_timeout_ms,
                                        int worker_queue) {
  dusk_cluster_options o;
  dusk_cluster *cl = NULL;
  dusk_error err = {0};
  char *slash;
  int rc;

  ck_assert_int_eq(
      tu_bin_path("dusk_example_plugin.so", plugin_path, sizeof plugin_path),
      0);
  snprintf(bin_dir, sizeof bin_dir, "%s", plugin_path);
  slash = strrchr(bin_dir, '/');
  ck_assert_ptr_nonnull(slash);
  *slash = '\0';
  dusk_cluster_options_init(&o);
  o.nworkers = 2;
  o.bin_dir = bin_dir;
  o.plugins = plugin_path;
  o.worker_timeout_ms = worker_timeout_ms;
  o.worker_queue = worker_queue;
  o.start_timeout_ms = 60000;
  /* DUSK_TEST_LOG_LEVEL=info (or debug) shows the daemons' side. */
  if (getenv("DUSK_TEST_LOG_LEVEL") != NULL)
    o.log_level = getenv("DUSK_TEST_LOG_LEVEL");
  rc = dusk_cluster_start(&o, &cl, &err);
  ck_assert_msg(rc == 0, "cluster start failed (%s): %s", dusk_strerror(rc),
                err.message);
  ck_assert_int_eq(dusk_cluster_nworkers(cl), 2);
  return cl;
}

static dusk_cluster *start_cluster(int worker_timeout_ms) {
  return start_cluster_with(worker_timeout_ms, 0);
}

static dusk_client *connect_client(dusk_cluster *cl) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  int rc = dusk_cluster_client(cl, &c, &err);
  ck_assert_msg(rc == 0, "client connect failed: %s", err.message);
  return c;
}

static void submit_ok(dusk_client *c, const dusk_graph *g,
                      const char *const *wanted, size_t nwanted) {
  dusk_error err = {0};
  int rc = dusk_client_submit(c, g, wanted, nwanted, WAIT_MS, &err);
  ck_assert_msg(rc == 0, "submit failed (%s): %s", dusk_strerror(rc),
                err.message);
}

static int64_t gather_int_ok(dusk_client *c, const char *key) {
  dusk_error err = {0};
  int64_t v = 0;
  int rc = dusk_client_gather_int(c, key, WAIT_MS, &v, &err);
  ck_assert_msg(rc == 0, "gather of '%s' failed (%s): %s", key,
                dusk_strerror(rc), err.message);
  return v;
}

static void add_int(dusk_graph *g, const char *key, const char *op, int64_t arg,
                    const char *const *deps, size_t ndeps) {
  ck_assert_int_eq(dusk_graph_add_int(g, key, op, arg, deps, ndeps), 0);
}

/* Lists the registered workers (at least min of them). */
static size_t list_workers(dusk_client *c, unsigned min, dusk_worker_status *ws,
                           uint64_t *ntasks) {
  dusk_error err = {0};
  size_t n = 0;
  int rc =
      dusk_client_workers(c, min, WAIT_MS, ws, MAX_WORKERS, &n, ntasks, &err);
  ck_assert_msg(rc == 0, "listing workers failed: %s", err.message);
  return n;
}

/* A new small graph still computes: the cluster keeps serving. */
static void check_still_serving(dusk_client *c, const char *key, int64_t v) {
  dusk_graph *g = dusk_graph_new();
  ck_assert_ptr_nonnull(g);
  add_int(g, key, "add", v, NULL, 0);
  submit_ok(c, g, &key, 1);
  dusk_graph_free(g);
  ck_assert_int_eq(gather_int_ok(c, key), v);
}

/* Adds pairwise "sum" tasks over the n keys in level (malloc'd strings,
 * taken over and freed), level by level, an odd one out moving up
 * unchanged, then root = identity of the last sum.  Adds n tasks. */
static void add_sum_tree(dusk_graph *g, char **level, size_t n,
                         const char *prefix, const char *root) {
  int depth = 0;
  while (n > 1) {
    size_t m = 0;
    depth++;
    for (size_t j = 0; j + 1 < n; j += 2) {
      char key[64];
      const char *deps[2] = {level[j], level[j + 1]};
      snprintf(key, sizeof key, "%s-%d-%zu", prefix, depth, j / 2);
      ck_assert_int_eq(dusk_graph_add(g, key, "sum", NULL, 0, deps, 2), 0);
      free(level[j]);
      free(level[j + 1]);
      level[m++] = strdup(key);
      ck_assert_ptr_nonnull(level[m - 1]);
    }
    if (n % 2 == 1)
      level[m++] = level[n - 1];
    n = m;
  }
  ck_assert_int_eq(
      dusk_graph_add(g, root, "identity", NULL, 0, (const char **)level, 1), 0);
  free(level[0]);
}

/* ---- 1. a 10,000-task tree reduction ------------------------------------- */

#define TREE_LEAVES 5000

START_TEST(test_tree_reduction_10000_tasks) {
  dusk_cluster *cl = start_cluster(0);
  dusk_client *c = connect_client(cl);
  dusk_graph *g = dusk_graph_new();
  char **level = calloc(TREE_LEAVES, sizeof *level);
  size_t n = TREE_LEAVES;
  const char *root = "tree-root";

  ck_assert_ptr_nonnull(g);
  ck_assert_ptr_nonnull(level);
  for (size_t i = 0; i < n; i++) {
    char key[32];
    snprintf(key, sizeof key, "leaf-%zu", i);
    add_int(g, key, "add", (int64_t)i + 1, NULL, 0);
    level[i] = strdup(key);
    ck_assert_ptr_nonnull(level[i]);
  }
  add_sum_tree(g, level, n, "sum", root);
  free(level);
  ck_assert_uint_eq(dusk_graph_size(g), 10000);

  submit_ok(c, g, &root, 1);
  dusk_graph_free(g);
  ck_assert_int_eq(gather_int_ok(c, root),
                   (int64_t)TREE_LEAVES * (TREE_LEAVES + 1) / 2);

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 2. a diamond across two workers ------------------------------------- */

/* Polls heartbeats until no worker is processing, the workers together hold
 * exactly `keys` results and each holds at least one.  1 once seen, 0 if
 * POLL_MS passes first (ws/n then hold the last listing).  Heartbeats lag
 * by up to one interval, so only the settled state is certain to show. */
static int wait_for_spread(dusk_client *c, uint64_t keys,
                           dusk_worker_status *ws, size_t *n) {
  uint64_t deadline = tu_now_ms() + POLL_MS;
  do {
    uint64_t held = 0;
    uint32_t busy = 0;
    int empty = 0;
    *n = list_workers(c, 1, ws, NULL);
    for (size_t i = 0; i < *n; i++) {
      held += ws[i].nkeys;
      busy += ws[i].nprocessing;
      empty += ws[i].nkeys == 0;
    }
    if (busy == 0 && held == keys && empty == 0)
      return 1;
    tu_nap_ms(50);
  } while (tu_now_ms() < deadline);
  return 0;
}

START_TEST(test_diamond_across_workers) {
  /* One task in flight per worker until run times are known. */
  dusk_cluster *cl = start_cluster_with(0, 1);
  dusk_client *c = connect_client(cl);
  dusk_graph *g = dusk_graph_new();
  dusk_worker_status ws[MAX_WORKERS];
  const char *wanted[] = {"diamond-a", "diamond-b", "diamond-top"};
  size_t n = 0;

  ck_assert_ptr_nonnull(g);
  /* Two anchors go out in the same scheduling pass, one per worker (each
   * has a single slot); each side of the diamond follows its anchor, the
   * shared root R is fetched by the side that does not hold it, and the top
   * fetches one side from the other worker:
   *
   *        anchor-x   R   anchor-y
   *              \  / \  /
   *               A     B
   *                \   /
   *                 top                                                  */
  add_int(g, "anchor-x", "add", 100, NULL, 0);
  add_int(g, "anchor-y", "add", 200, NULL, 0);
  add_int(g, "diamond-root", "add", 1, NULL, 0);
  {
    const char *a_deps[] = {"anchor-x", "diamond-root"};
    const char *b_deps[] = {"anchor-y", "diamond-root"};
    const char *top_deps[] = {"diamond-a", "diamond-b"};
    add_int(g, "diamond-a", "add", 10, a_deps, 2);
    add_int(g, "diamond-b", "add", 20, b_deps, 2);
    ck_assert_int_eq(
        dusk_graph_add(g, "diamond-top", "sum", NULL, 0, top_deps, 2), 0);
  }
  submit_ok(c, g, wanted, 3);
  dusk_graph_free(g);

  ck_assert_int_eq(gather_int_ok(c, "diamond-top"), 111 + 221);
  ck_assert_int_eq(gather_int_ok(c, "diamond-a"), 111);
  ck_assert_int_eq(gather_int_ok(c, "diamond-b"), 221);

  /* Second view: once everything else is released, the three wanted
   * results are spread over both workers.  Had A and B run on one worker,
   * the top would have joined them there and the other would hold
   * nothing. */
  if (!wait_for_spread(c, 3, ws, &n)) {
    char text[512];
    size_t off = 0;
    for (size_t i = 0; i < n && off < sizeof text; i++)
      off +=
          (size_t)snprintf(text + off, sizeof text - off,
                           " [worker %llu: %llu keys, %u processing]",
                           (unsigned long long)ws[i].id,
                           (unsigned long long)ws[i].nkeys, ws[i].nprocessing);
    ck_abort_msg("results never spread over both workers:%s", text);
  }
  ck_assert_uint_eq(n, 2);

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 3. a failing task --------------------------------------------------- */

START_TEST(test_failure_reaches_client_and_dependents) {
  dusk_cluster *cl = start_cluster(0);
  dusk_client *c = connect_client(cl);
  dusk_graph *g = dusk_graph_new();
  dusk_error err = {0};
  const char *doomed = "doomed-task";
  const char *child = "child-of-doomed";
  const char *grandchild = "grandchild-of-doomed";
  const char *wanted[] = {doomed, child, grandchild, "healthy-b"};
  int rc;

  ck_assert_ptr_nonnull(g);
  ck_assert_int_eq(dusk_graph_add_str(g, doomed, "fail", "boom 42", NULL, 0),
                   0);
  add_int(g, child, "add", 1, &doomed, 1);
  ck_assert_int_eq(dusk_graph_add(g, grandchild, "sum", NULL, 0, &child, 1), 0);
  add_int(g, "healthy-a", "add", 3, NULL, 0);
  {
    const char *deps[] = {"healthy-a"};
    add_int(g, "healthy-b", "add", 4, deps, 1);
  }
  submit_ok(c, g, wanted, 4);
  dusk_graph_free(g);

  rc = dusk_client_wait(c, &doomed, 1, WAIT_MS, &err);
  ck_assert_msg(rc == DUSK_ETASK, "wait gave %s: %s", dusk_strerror(rc),
                err.message);
  ck_assert_int_eq(err.code, DUSK_ETASK);
  ck_assert_msg(strstr(err.message, doomed) != NULL, "no key in: %s",
                err.message);
  ck_assert_msg(strstr(err.message, "fail") != NULL, "no op in: %s",
                err.message);
  ck_assert_msg(strstr(err.message, "boom 42") != NULL, "no message in: %s",
                err.message);

  /* Dependents, direct and transitive, fail naming the task that failed. */
  memset(&err, 0, sizeof err);
  rc = dusk_client_wait(c, &child, 1, WAIT_MS, &err);
  ck_assert_msg(rc == DUSK_ETASK, "wait gave %s: %s", dusk_strerror(rc),
                err.message);
  ck_assert_msg(strstr(err.message, child) != NULL, "no key in: %s",
                err.message);
  ck_assert_msg(strstr(err.message, doomed) != NULL, "no cause in: %s",
                err.message);
  ck_assert_msg(strstr(err.message, "boom 42") != NULL, "no message in: %s",
                err.message);
  memset(&err, 0, sizeof err);
  rc = dusk_client_wait(c, &grandchild, 1, WAIT_MS, &err);
  ck_assert_msg(rc == DUSK_ETASK, "wait gave %s: %s", dusk_strerror(rc),
                err.message);
  ck_assert_msg(strstr(err.message, doomed) != NULL, "no cause in: %s",
                err.message);

  /* The independent branch of the same graph is unaffected. */
  ck_assert_int_eq(gather_int_ok(c, "healthy-b"), 7);

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 4. cancel ----------------------------------------------------------- */

#define NSLEEPERS 20
#define NPROBES 4
/* Bound on work that must not wait behind a 60 s sleep. */
#define PROMPT_MS 30000

/* Sets up "every worker is running a 60 s sleep" without knowing where
 * tasks go: with --worker-queue 1, the NPROBES 50 ms probes (wanted, so
 * they stay held) start one per worker; once a worker has run one, its
 * queue is sized from that run time (two in flight for 50 ms tasks) and
 * it takes sleepers next.  The sleepers are the inputs of `total` (wanted).
 * Returns once the probes are done, i.e. the sleepers are out on the
 * workers. */
static void start_sleepers(dusk_client *c, const char *prefix,
                           const char *total) {
  dusk_graph *g = dusk_graph_new();
  char probes[NPROBES][32], sleepers[NSLEEPERS][32];
  const char *pk[NPROBES + 1], *sk[NSLEEPERS];
  dusk_error err = {0};
  int rc;

  ck_assert_ptr_nonnull(g);
  for (int i = 0; i < NPROBES; i++) {
    snprintf(probes[i], sizeof probes[i], "%s-probe-%d", prefix, i);
    add_int(g, probes[i], "sleep_ms", 50, NULL, 0);
    pk[i] = probes[i];
  }
  for (int i = 0; i < NSLEEPERS; i++) {
    snprintf(sleepers[i], sizeof sleepers[i], "%s-sleeper-%d", prefix, i);
    add_int(g, sleepers[i], "sleep_ms", 60000, NULL, 0);
    sk[i] = sleepers[i];
  }
  ck_assert_int_eq(dusk_graph_add(g, total, "sum", NULL, 0, sk, NSLEEPERS), 0);
  pk[NPROBES] = total;
  submit_ok(c, g, pk, NPROBES + 1);
  dusk_graph_free(g);
  rc = dusk_client_wait(c, pk, NPROBES, WAIT_MS, &err);
  ck_assert_msg(rc == 0, "probes: %s", err.message);
}

/* Four independent tasks: with two in flight per worker they land on both
 * workers, so all four finish within PROMPT_MS only if neither worker is
 * still stuck in a 60 s sleep. */
static void check_workers_free(dusk_client *c, const char *prefix) {
  dusk_graph *g = dusk_graph_new();
  char keys[4][32];
  const char *k[4];
  dusk_error err = {0};
  int rc;
  ck_assert_ptr_nonnull(g);
  for (int i = 0; i < 4; i++) {
    snprintf(keys[i], sizeof keys[i], "%s-%d", prefix, i);
    add_int(g, keys[i], "add", 100 + i, NULL, 0);
    k[i] = keys[i];
  }
  submit_ok(c, g, k, 4);
  dusk_graph_free(g);
  rc = dusk_client_wait(c, k, 4, PROMPT_MS, &err);
  ck_assert_msg(rc == 0, "workers still busy (%s): %s", dusk_strerror(rc),
                err.message);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(gather_int_ok(c, k[i]), 100 + i);
}

/* Polls the scheduler until no worker has a task in flight: 1, or 0 after
 * POLL_MS. */
static int wait_idle(dusk_client *c) {
  dusk_worker_status ws[MAX_WORKERS];
  uint64_t deadline = tu_now_ms() + POLL_MS;
  do {
    size_t n = list_workers(c, 1, ws, NULL);
    uint32_t busy = 0;
    for (size_t i = 0; i < n; i++)
      busy += ws[i].nprocessing;
    if (busy == 0)
      return 1;
    tu_nap_ms(20);
  } while (tu_now_ms() < deadline);
  return 0;
}

START_TEST(test_cancel_stops_running_graph) {
  dusk_cluster *cl = start_cluster_with(0, 1);
  dusk_client *c = connect_client(cl);
  dusk_error err = {0};
  const char *total = "sleepy-total";
  int rc;

  start_sleepers(c, "cancel", total);
  rc = dusk_client_cancel(c, &total, 1, &err);
  ck_assert_msg(rc == 0, "cancel failed: %s", err.message);
  rc = dusk_client_wait(c, &total, 1, WAIT_MS, &err);
  ck_assert_msg(rc == DUSK_ECANCELED, "wait gave %s: %s", dusk_strerror(rc),
                err.message);
  ck_assert_msg(strstr(err.message, total) != NULL, "no key in: %s",
                err.message);

  /* The scheduler let go of every sleeper, and the workers stopped the
   * running ones: had they gone on, the next tasks would wait a minute. */
  ck_assert_msg(wait_idle(c), "workers still processing after the cancel");
  check_workers_free(c, "after-cancel");

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 5. a worker killed mid-graph ---------------------------------------- */

#define KILL_LEAVES 256

/* The parent pid of pid, from /proc, or -1. */
static long parent_of(long pid) {
  char path[64], *stat, *end;
  long ppid = -1;
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  stat = tu_read_file(path);
  if (stat == NULL)
    return -1;
  /* "pid (comm) state ppid ...": comm may hold spaces, so skip past ')'. */
  end = strrchr(stat, ')');
  if (end != NULL)
    sscanf(end + 1, " %*c %ld", &ppid);
  free(stat);
  return ppid;
}

/* Submits KILL_LEAVES leaves, each an add waiting on a 20 ms sleep, summed
 * by a tree into root: about 2.5 s of work over two workers, so a fault
 * injected once it runs lands with plenty left to do. */
static void submit_sleepy_sum(dusk_client *c, const char *prefix,
                              const char *root) {
  dusk_graph *g = dusk_graph_new();
  char **level = calloc(KILL_LEAVES, sizeof *level);
  char sum_prefix[32];
  ck_assert_ptr_nonnull(g);
  ck_assert_ptr_nonnull(level);
  for (size_t i = 0; i < KILL_LEAVES; i++) {
    char skey[32], key[32];
    const char *sdep[1] = {skey};
    snprintf(skey, sizeof skey, "%s-nap-%zu", prefix, i);
    snprintf(key, sizeof key, "%s-val-%zu", prefix, i);
    add_int(g, skey, "sleep_ms", 20, NULL, 0);
    add_int(g, key, "add", (int64_t)i + 1, sdep, 1);
    level[i] = strdup(key);
    ck_assert_ptr_nonnull(level[i]);
  }
  snprintf(sum_prefix, sizeof sum_prefix, "%s-sum", prefix);
  add_sum_tree(g, level, KILL_LEAVES, sum_prefix, root);
  free(level);
  submit_ok(c, g, &root, 1);
  dusk_graph_free(g);
}

/* Waits for progress, then names a worker of this cluster's nanny that
 * holds results and has tasks in flight (the scheduler's own count said
 * so just now, so the graph is not finished when the fault hits it). */
static int64_t busy_worker(dusk_cluster *cl, dusk_client *c) {
  dusk_worker_status ws[MAX_WORKERS];
  int64_t victim = -1;
  uint64_t deadline = tu_now_ms() + POLL_MS;
  do {
    size_t nw = list_workers(c, 2, ws, NULL);
    for (size_t i = 0; i < nw && victim < 0; i++)
      if (ws[i].nkeys > 0 && ws[i].nprocessing > 0)
        victim = ws[i].pid;
    if (victim < 0)
      tu_nap_ms(20);
  } while (victim < 0 && tu_now_ms() < deadline);
  ck_assert_msg(victim > 0, "no worker ever held results while busy");
  /* Only ever signal a worker of this cluster's nanny. */
  ck_assert_int_eq(parent_of((long)victim), (long)dusk_cluster_nanny_pid(cl));
  return victim;
}

START_TEST(test_worker_killed_mid_graph) {
  dusk_cluster *cl = start_cluster(2000);
  dusk_client *c = connect_client(cl);
  dusk_worker_status ws[MAX_WORKERS];
  const char *root = "kill-root";
  int64_t victim;

  submit_sleepy_sum(c, "kill", root);
  victim = busy_worker(cl, c);
  ck_assert_int_eq(kill((pid_t)victim, SIGKILL), 0);

  /* Tasks it ran are retried, results it held are recomputed. */
  ck_assert_int_eq(gather_int_ok(c, root),
                   (int64_t)KILL_LEAVES * (KILL_LEAVES + 1) / 2);
  /* The nanny brought a replacement. */
  {
    size_t nw = list_workers(c, 2, ws, NULL);
    ck_assert_uint_ge(nw, 2);
    for (size_t i = 0; i < nw; i++)
      ck_assert_int_ne(ws[i].pid, victim);
  }
  check_still_serving(c, "after-kill", 3);

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 5b. a worker that hangs (SIGSTOP) ---------------------------------- */

/* A stopped worker misses heartbeats: after the worker timeout its tasks run
 * elsewhere and the answer is exact; resumed, it finds itself dropped,
 * registers again, and nothing it computed before is used twice. */
START_TEST(test_stopped_worker_moved_then_resumed) {
  dusk_cluster *cl = start_cluster(1000);
  dusk_client *c = connect_client(cl);
  dusk_worker_status ws[MAX_WORKERS];
  const char *root = "stop-root";
  int64_t victim;
  uint64_t deadline;
  int back = 0;

  submit_sleepy_sum(c, "stop", root);
  victim = busy_worker(cl, c);
  ck_assert_int_eq(kill((pid_t)victim, SIGSTOP), 0);

  /* The graph completes without it (it is hung, not dead: only missed
   * heartbeats can tell). */
  ck_assert_int_eq(gather_int_ok(c, root),
                   (int64_t)KILL_LEAVES * (KILL_LEAVES + 1) / 2);
  ck_assert_int_eq(kill((pid_t)victim, SIGCONT), 0);

  /* Resumed, the same process comes back as a new worker. */
  deadline = tu_now_ms() + POLL_MS;
  do {
    size_t nw = list_workers(c, 1, ws, NULL);
    for (size_t i = 0; i < nw; i++)
      back |= ws[i].pid == victim;
    if (!back)
      tu_nap_ms(20);
  } while (!back && tu_now_ms() < deadline);
  ck_assert_msg(back, "the resumed worker did not register again");
  /* Old results of the resumed worker are not served as new ones: the
   * same graph again gives the same exact answer. */
  {
    dusk_graph *g2 = dusk_graph_new();
    const char *key = "after-resume";
    const char *deps[1] = {"after-resume-a"};
    add_int(g2, "after-resume-a", "add", 20, NULL, 0);
    add_int(g2, key, "add", 1, deps, 1);
    submit_ok(c, g2, &key, 1);
    dusk_graph_free(g2);
    ck_assert_int_eq(gather_int_ok(c, key), 21);
  }
  check_still_serving(c, "after-stop", 4);

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 6. a client that disconnects mid-graph ------------------------------ */

START_TEST(test_disconnected_client_released) {
  dusk_cluster *cl = start_cluster_with(0, 1);
  dusk_client *a = connect_client(cl);
  dusk_client *b = connect_client(cl);
  dusk_worker_status ws[MAX_WORKERS];
  uint64_t deadline, ntasks = 0, held = 0;
  uint32_t busy = 0;
  size_t n = 0;
  int clean = 0;

  /* A holds its probes' results and has sleepers running on the workers. */
  start_sleepers(a, "gone", "abandoned-total");

  /* B sees A's work on the workers before A leaves. */
  deadline = tu_now_ms() + POLL_MS;
  do {
    n = list_workers(b, 2, ws, &ntasks);
    held = busy = 0;
    for (size_t i = 0; i < n; i++) {
      held += ws[i].nkeys;
      busy += ws[i].nprocessing;
    }
    if (held >= NPROBES && busy > 0)
      break;
    tu_nap_ms(50);
  } while (tu_now_ms() < deadline);
  ck_assert_msg(held >= NPROBES && busy > 0,
                "A's work never showed: %llu keys held, %u processing",
                (unsigned long long)held, busy);
  ck_assert_uint_ge(ntasks, NPROBES + NSLEEPERS + 1);

  dusk_client_free(a);

  /* Every worker lets go of A's results and tasks; the scheduler forgets
   * them.  nkeys comes from heartbeats, hence the polling. */
  deadline = tu_now_ms() + POLL_MS;
  do {
    n = list_workers(b, 2, ws, &ntasks);
    clean = ntasks == 0;
    for (size_t i = 0; i < n; i++)
      if (ws[i].nprocessing != 0 || ws[i].nkeys != 0)
        clean = 0;
    if (clean)
      break;
    tu_nap_ms(50);
  } while (tu_now_ms() < deadline);
  if (!clean)
    for (size_t i = 0; i < n; i++)
      fprintf(stderr, "worker %llu: %u processing, %llu keys\n",
              (unsigned long long)ws[i].id, ws[i].nprocessing,
              (unsigned long long)ws[i].nkeys);
  ck_assert_msg(clean, "A's tasks were not released: scheduler tracks %llu",
                (unsigned long long)ntasks);
  /* The 60 s sleeps were stopped, not merely forgotten. */
  check_workers_free(b, "after-disconnect");

  dusk_client_free(b);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 7. plugin op and unknown op ----------------------------------------- */

START_TEST(test_plugin_op_and_unknown_op) {
  dusk_cluster *cl = start_cluster(0);
  dusk_client *c = connect_client(cl);
  dusk_graph *g = dusk_graph_new();
  dusk_error err = {0};
  const char *factors[] = {"factor-2", "factor-3", "factor-7"};
  const char *bad = "uses-missing-op";
  const char *wanted[] = {"product", "scaled-product", bad};
  int rc;

  ck_assert_ptr_nonnull(g);
  add_int(g, "factor-2", "add", 2, NULL, 0);
  add_int(g, "factor-3", "add", 3, NULL, 0);
  add_int(g, "factor-7", "add", 7, NULL, 0);
  ck_assert_int_eq(dusk_graph_add(g, "product", "mul", NULL, 0, factors, 3), 0);
  add_int(g, "scaled-product", "mul", 10, factors, 2);
  add_int(g, bad, "no_such_op_xyz", 1, NULL, 0);
  submit_ok(c, g, wanted, 3);
  dusk_graph_free(g);

  ck_assert_int_eq(gather_int_ok(c, "product"), 42);
  ck_assert_int_eq(gather_int_ok(c, "scaled-product"), 60);
  rc = dusk_client_wait(c, &bad, 1, WAIT_MS, &err);
  ck_assert_msg(rc == DUSK_ETASK, "wait gave %s: %s", dusk_strerror(rc),
                err.message);
  ck_assert_msg(strstr(err.message, "no_such_op_xyz") != NULL,
                "op not named in: %s", err.message);
  ck_assert_msg(strstr(err.message, bad) != NULL, "key not named in: %s",
                err.message);

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 8. refused graphs --------------------------------------------------- */

START_TEST(test_refused_graphs) {
  dusk_cluster *cl = start_cluster(0);
  dusk_client *c = connect_client(cl);
  dusk_graph *g = dusk_graph_new();
  dusk_error err = {0};
  const char *orphan = "orphan";
  const char *missing = "never-submitted-key";
  const char *cyc_top = "cycle-top";
  int rc;

  /* An input key nobody submitted. */
  ck_assert_ptr_nonnull(g);
  add_int(g, orphan, "add", 1, &missing, 1);
  submit_ok(c, g, &orphan, 1);
  dusk_graph_free(g);
  rc = dusk_client_wait(c, &orphan, 1, WAIT_MS, &err);
  ck_assert_msg(rc == DUSK_EGRAPH, "wait gave %s: %s", dusk_strerror(rc),
                err.message);
  ck_assert_msg(strstr(err.message, missing) != NULL,
                "unknown key not named in: %s", err.message);

  /* A cycle a -> b -> a, below a wanted key. */
  g = dusk_graph_new();
  ck_assert_ptr_nonnull(g);
  {
    const char *a_deps[] = {"cycle-b"};
    const char *b_deps[] = {"cycle-a"};
    const char *top_deps[] = {"cycle-a"};
    ck_assert_int_eq(dusk_graph_add(g, "cycle-a", "sum", NULL, 0, a_deps, 1),
                     0);
    ck_assert_int_eq(dusk_graph_add(g, "cycle-b", "sum", NULL, 0, b_deps, 1),
                     0);
    ck_assert_int_eq(dusk_graph_add(g, cyc_top, "sum", NULL, 0, top_deps, 1),
                     0);
  }
  submit_ok(c, g, &cyc_top, 1);
  dusk_graph_free(g);
  memset(&err, 0, sizeof err);
  rc = dusk_client_wait(c, &cyc_top, 1, WAIT_MS, &err);
  ck_assert_msg(rc == DUSK_EGRAPH, "wait gave %s: %s", dusk_strerror(rc),
                err.message);
  ck_assert_msg(strstr(err.message, "cycle-a") != NULL ||
                    strstr(err.message, "cycle-b") != NULL,
                "no key of the cycle named in: %s", err.message);

  /* The client is still in business, including for a refused key. */
  check_still_serving(c, "good-after-refusals", 3);
  g = dusk_graph_new();
  ck_assert_ptr_nonnull(g);
  {
    const char *deps[] = {"good-after-refusals"};
    add_int(g, orphan, "add", 1, deps, 1);
  }
  submit_ok(c, g, &orphan, 1);
  dusk_graph_free(g);
  ck_assert_int_eq(gather_int_ok(c, orphan), 4);

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 9. a task that kills its worker every time -------------------------- */

START_TEST(test_crashing_task_erred_after_retries) {
  dusk_cluster *cl;
  dusk_client *c;
  dusk_graph *g;
  dusk_error err = {0};
  struct rlimit nocore = {0, 0};
  const char *crasher = "crasher-task";
  int rc;

  /* Three deliberate SIGSEGVs: no core files (inherited by the workers). */
  setrlimit(RLIMIT_CORE, &nocore);
  cl = start_cluster(0);
  c = connect_client(cl);
  g = dusk_graph_new();
  ck_assert_ptr_nonnull(g);
  ck_assert_int_eq(dusk_graph_add(g, crasher, "crash", NULL, 0, NULL, 0), 0);
  submit_ok(c, g, &crasher, 1);
  dusk_graph_free(g);

  rc = dusk_client_wait(c, &crasher, 1, 90000, &err);
  ck_assert_msg(rc == DUSK_ETASK, "wait gave %s: %s", dusk_strerror(rc),
                err.message);
  ck_assert_msg(strstr(err.message, "worker died 3 times running") != NULL,
                "retry limit not explained: %s", err.message);
  ck_assert_msg(strstr(err.message, crasher) != NULL, "key not named in: %s",
                err.message);

  /* The nanny restarted the workers and the cluster still computes. */
  {
    dusk_worker_status ws[MAX_WORKERS];
    ck_assert_uint_ge(list_workers(c, 2, ws, NULL), 2);
  }
  check_still_serving(c, "after-crashes", 9);

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 10. a large result -------------------------------------------------- */

#define BIG_RESULT 20000000

START_TEST(test_large_result_gathered) {
  dusk_cluster *cl = start_cluster(0);
  dusk_client *c = connect_client(cl);
  dusk_graph *g = dusk_graph_new();
  dusk_error err = {0};
  const char *key = "twenty-megabytes";
  void *out = NULL;
  size_t len = 0;
  const unsigned char *p;
  int rc;

  ck_assert_ptr_nonnull(g);
  add_int(g, key, "bytes", BIG_RESULT, NULL, 0);
  submit_ok(c, g, &key, 1);
  dusk_graph_free(g);

  rc = dusk_client_gather(c, &key, 1, WAIT_MS, &out, &len, &err);
  ck_assert_msg(rc == 0, "gather failed (%s): %s", dusk_strerror(rc),
                err.message);
  ck_assert_ptr_nonnull(out);
  /* msgpack bin32: 0xc6 then the length, big-endian. */
  ck_assert_uint_eq(len, (size_t)BIG_RESULT + 5);
  p = out;
  ck_assert_uint_eq(p[0], 0xc6);
  ck_assert_uint_eq(((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) |
                        ((uint32_t)p[3] << 8) | (uint32_t)p[4],
                    BIG_RESULT);
  for (size_t i = 0; i < BIG_RESULT; i++)
    if (p[5 + i] != (unsigned char)(char)(i * 31 + 7))
      ck_abort_msg("byte %zu of the payload is 0x%02x, expected 0x%02x", i,
                   p[5 + i], (unsigned char)(char)(i * 31 + 7));
  free(out);

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* ---- 11. timeouts on unfinished work ------------------------------------- */

START_TEST(test_wait_timeouts_on_unfinished_key) {
  dusk_cluster *cl = start_cluster(0);
  dusk_client *c = connect_client(cl);
  dusk_graph *g = dusk_graph_new();
  dusk_error err = {0};
  const char *slow = "ten-second-nap";
  size_t n = 0;
  int rc;

  ck_assert_ptr_nonnull(g);
  add_int(g, slow, "sleep_ms", 10000, NULL, 0);
  submit_ok(c, g, &slow, 1);
  dusk_graph_free(g);

  /* Fewer workers than asked for. */
  rc = dusk_client_workers(c, 3, 200, NULL, 0, &n, NULL, &err);
  ck_assert_msg(rc == DUSK_ETIMEDOUT, "workers(3) gave %s: %s",
                dusk_strerror(rc), err.message);
  /* A key that cannot be ready for seconds. */
  memset(&err, 0, sizeof err);
  rc = dusk_client_wait(c, &slow, 1, 200, &err);
  ck_assert_msg(rc == DUSK_ETIMEDOUT, "wait(200 ms) gave %s: %s",
                dusk_strerror(rc), err.message);
  ck_assert_msg(strstr(err.message, slow) != NULL, "key not named in: %s",
                err.message);
  /* A zero timeout only looks: it must not block until the key is done. */
  memset(&err, 0, sizeof err);
  rc = dusk_client_wait(c, &slow, 1, 0, &err);
  ck_assert_msg(rc == DUSK_ETIMEDOUT, "wait(0 ms) gave %s: %s",
                dusk_strerror(rc), err.message);

  ck_assert_int_eq(dusk_client_cancel(c, &slow, 1, &err), 0);
  rc = dusk_client_wait(c, &slow, 1, WAIT_MS, &err);
  ck_assert_msg(rc == DUSK_ECANCELED, "wait gave %s: %s", dusk_strerror(rc),
                err.message);

  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* Releasing finished keys whose inputs are reached twice - c = sum(a, b)
 * with b = add(a), and d = sum(e, e) - frees each record once (the
 * scheduler used to visit a freed input again: a double free, found through
 * the Python package's futures). */
START_TEST(test_release_shared_inputs) {
  dusk_cluster *cl = start_cluster(0);
  dusk_client *c = connect_client(cl);
  dusk_graph *g = dusk_graph_new();
  const char *b_deps[] = {"a"}, *c_deps[] = {"a", "b"}, *d_deps[] = {"e", "e"};
  const char *wanted[] = {"a", "b", "c", "d", "e"};
  dusk_error err = {0};
  ck_assert_ptr_nonnull(g);
  add_int(g, "a", "add", 1, NULL, 0);
  add_int(g, "b", "add", 10, b_deps, 1);
  add_int(g, "c", "sum", 0, c_deps, 2);
  add_int(g, "e", "add", 3, NULL, 0);
  add_int(g, "d", "sum", 0, d_deps, 2);
  submit_ok(c, g, wanted, 5);
  dusk_graph_free(g);
  ck_assert_int_eq(gather_int_ok(c, "c"), 12);
  ck_assert_int_eq(gather_int_ok(c, "d"), 6);
  ck_assert_int_eq(dusk_client_release(c, wanted, 5, &err), 0);
  check_still_serving(c, "after-release", 5);
  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* One case per test, so that one can be run alone with CK_RUN_CASE=name. */
static void add_case(Suite *s, const char *name, const TTest *test) {
  TCase *tc = tcase_create(name);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test);
  suite_add_tcase(s, tc);
}

static Suite *cluster_suite(void) {
  Suite *s = suite_create("cluster");
  add_case(s, "tree", test_tree_reduction_10000_tasks);
  add_case(s, "diamond", test_diamond_across_workers);
  add_case(s, "failure", test_failure_reaches_client_and_dependents);
  add_case(s, "cancel", test_cancel_stops_running_graph);
  add_case(s, "kill", test_worker_killed_mid_graph);
  add_case(s, "stop", test_stopped_worker_moved_then_resumed);
  add_case(s, "disconnect", test_disconnected_client_released);
  add_case(s, "plugin", test_plugin_op_and_unknown_op);
  add_case(s, "refused", test_refused_graphs);
  add_case(s, "crash", test_crashing_task_erred_after_retries);
  add_case(s, "large", test_large_result_gathered);
  add_case(s, "timeouts", test_wait_timeouts_on_unfinished_key);
  add_case(s, "release_shared", test_release_shared_inputs);
  return s;
}

int main(void) {
  /* A daemon closing a socket must not kill the test with SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  return tu_run_suite(cluster_suite());
}
