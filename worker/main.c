/* main.c - dusk-worker tcp://HOST:PORT [options]: one worker, or a nanny
 * of N workers with --nworkers. */
#include "log.h"
#include "msg.h"
#include "worker.h"

#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <sys/auxv.h>
#endif

typedef struct run_args {
  dusk_worker_config *cfg;
  const char *scheduler;
} run_args;

static dusk_worker *worker;

static const char usage[] =
    "usage: dusk-worker tcp://HOST:PORT [options]\n"
    "\n"
    "Runs a dusk worker for the scheduler at tcp://HOST:PORT (with\n"
    "--nworkers, several under a nanny that restarts them).  It runs the\n"
    "tasks the scheduler hands out and serves their results to its peers.\n";

static void on_signal(uv_signal_t *h, int signum) {
  dusk_log(DUSK_LOG_INFO, "signal %d: stopping", signum);
  dusk_worker_stop(worker);
  uv_close((uv_handle_t *)h, NULL);
}

static int run_worker(void *arg) {
  run_args *a = arg;
  dusk_error err = {0};
  uv_loop_t loop;
  uv_signal_t sigterm, sigint;
  int rc;
  uv_loop_init(&loop);
  if (dusk_worker_new(&loop, a->cfg, a->scheduler, &worker, &err) != 0) {
    fprintf(stderr, "dusk-worker: %s\n", err.message);
    return 1;
  }
  uv_signal_init(&loop, &sigterm);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  uv_signal_init(&loop, &sigint);
  uv_signal_start(&sigint, on_signal, SIGINT);
  /* The worker's own handles keep the loop alive; once it stops (a
   * signal, or --death-timeout) the loop ends without these. */
  uv_unref((uv_handle_t *)&sigint);
  uv_unref((uv_handle_t *)&sigterm);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (!uv_is_closing((uv_handle_t *)&sigint))
    uv_close((uv_handle_t *)&sigint, NULL);
  if (!uv_is_closing((uv_handle_t *)&sigterm))
    uv_close((uv_handle_t *)&sigterm, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  rc = dusk_worker_gave_up(worker) ? DUSK_WORKER_EXIT_ALONE : 0;
  dusk_worker_free(worker);
  uv_loop_close(&loop);
  return rc;
}

/* Huge pages for workers with at least this memory limit each: 2 MiB
 * pages hold memory a 4 KiB page would have given back (a freed block's
 * partial page waits for the kernel to split it), ~15% more resident in
 * a two-month merge - speed a worker with room to spare should have, but
 * not one on a 4 GiB machine, where that is the margin. */
#define HUGE_PAGES_MIN_LIMIT ((uint64_t)4 << 30)

/* The tunable that has glibc's malloc ask for transparent huge pages
 * (madvise MADV_HUGEPAGE on the heap it takes from the kernel), and the
 * variable glibc reads it from. */
#define HUGE_PAGES_TUNABLE "glibc.malloc.hugetlb=1"

/* Set in the environment of the restart below, and taken out of it at
 * once: the restarted worker does not restart again, whatever the loader
 * left of GLIBC_TUNABLES (in secure mode it drops the tunable). */
#define RESTARTED_MARK "DUSK_WORKER_RESTARTED"

/* Whether this process is the restart below (the mark is removed). */
static bool take_restart_mark(void) {
  bool restarted = getenv(RESTARTED_MARK) != NULL;
  unsetenv(RESTARTED_MARK);
  return restarted;
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* A worker's heap in 2 MiB pages, where the kernel allows them (its
 * transparent_hugepage setting is "madvise" or "always"): a task walks
 * hundreds of MiB of aggregate state, and with 4 KiB pages each page
 * costs a TLB miss - on a virtual machine with shadow page tables a
 * visit to the hypervisor after every large munmap, which made a
 * value_counts' final 2x slower (docs/performance.md).  glibc takes this
 * only from GLIBC_TUNABLES as a program starts, so the worker starts
 * itself once more with it added, as soon as its memory limit is known
 * (no thread, file or socket yet): the file it was started from, by the
 * path it was started by (AT_EXECFN), so the pid and the process name
 * stay.  Not when a GLIBC_TUNABLES names the tunable already (the user's
 * choice), in secure mode (setuid or file capabilities: glibc ignores the
 * tunable there), or when the file started is not the program (started
 * through the loader, ld.so ./dusk-worker); if the exec fails the worker
 * goes on without. */
static void restart_with_huge_pages(char **argv) {
#ifdef __GLIBC__
  const char *old = getenv("GLIBC_TUNABLES");
  const char *execfn = (const char *)getauxval(AT_EXECFN);
  struct stat started, self;
  char *both;
  size_t len;
  if ((old != NULL && strstr(old, "glibc.malloc.hugetlb") != NULL) ||
      getauxval(AT_SECURE) != 0 || execfn == NULL || argv[0] == NULL ||
      strcmp(base_name(execfn), base_name(argv[0])) != 0 ||
      stat(execfn, &started) != 0 || stat("/proc/self/exe", &self) != 0 ||
      started.st_dev != self.st_dev || started.st_ino != self.st_ino)
    return;
  len = (old ? strlen(old) + 1 : 0) + sizeof HUGE_PAGES_TUNABLE;
  if ((both = malloc(len)) == NULL)
    return;
  snprintf(both, len, "%s%s%s", old ? old : "", old && *old ? ":" : "",
           HUGE_PAGES_TUNABLE);
  if (setenv("GLIBC_TUNABLES", both, 1) == 0 &&
      setenv(RESTARTED_MARK, "1", 1) == 0)
    execv(execfn, argv);
  /* no exec (the file replaced or removed since): as before */
  unsetenv(RESTARTED_MARK);
  if (old != NULL)
    setenv("GLIBC_TUNABLES", old, 1);
  else
    unsetenv("GLIBC_TUNABLES");
  free(both);
#else
  (void)argv;
#endif
}

int main(int argc, char **argv) {
  dusk_worker_config cfg;
  dusk_error err = {0};
  char *pos[1];
  char text[2048], limit_text[32];
  int npos, level, rc;
  long n = 1;
  uint64_t limit;
  run_args args;
  bool restarted = take_restart_mark();

  rc = dusk_config_parse(dusk_worker_config_table, dusk_worker_config_count,
                         &cfg, argc, argv, pos, 1, &npos, &err);
  if (rc == DUSK_CONFIG_HELP) {
    dusk_config_usage(stdout, usage, dusk_worker_config_table,
                      dusk_worker_config_count);
    return 0;
  }
  if (rc == DUSK_CONFIG_VERSION) {
    dusk_config_version(stdout, "dusk-worker");
    return 0;
  }
  if (rc != 0) {
    fprintf(stderr, "dusk-worker: %s\n", err.message);
    return 2;
  }
  if (npos != 1) {
    fprintf(stderr, "usage: dusk-worker tcp://HOST:PORT [options] "
                    "(--help lists them)\n");
    return 2;
  }
  if ((level = dusk_log_level_parse(cfg.log_level)) < 0) {
    fprintf(stderr, "dusk-worker: --log-level: '%s' is not one of debug, "
                    "info, warn, error\n", cfg.log_level);
    return 2;
  }
  if (cfg.host_id != NULL &&
      !dusk_host_id_valid(cfg.host_id, strlen(cfg.host_id))) {
    fprintf(stderr, "dusk-worker: --host-id: '%s' is not 1-%d characters of "
                    "A-Z a-z 0-9 . _ : -\n", cfg.host_id, DUSK_HOST_ID_MAX);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  /* A file size limit shows as a failed spill write (EFBIG), not a kill. */
  signal(SIGXFSZ, SIG_IGN);
  args.cfg = &cfg;
  args.scheduler = pos[0];
  dusk_config_format(dusk_worker_config_table, dusk_worker_config_count, &cfg,
                     text, sizeof text);
  if (cfg.port.lo == 0 && cfg.port.hi > 0) {
    fprintf(stderr, "dusk-worker: --port 0-%" PRId64 ": a range's ports "
                    "start at 1\n", cfg.port.hi);
    return 2;
  }
  if (cfg.nworkers != NULL) {
    char *end;
    if (strcmp(cfg.nworkers, "auto") == 0) {
      n = sysconf(_SC_NPROCESSORS_ONLN);
    } else {
      n = strtol(cfg.nworkers, &end, 10);
      if (*end != '\0' || n < 1 || n > 1024) {
        fprintf(stderr, "dusk-worker: --nworkers: '%s' is not auto or "
                        "1..1024\n", cfg.nworkers);
        return 2;
      }
    }
    /* Each worker listens on a port of its own: a fixed port, or a range
     * smaller than the nanny, would leave the rest failing to start. */
    if (cfg.port.lo != 0 && cfg.port.hi - cfg.port.lo + 1 < n) {
      if (cfg.port.lo == cfg.port.hi)
        fprintf(stderr, "dusk-worker: --port %" PRId64 " is one port for "
                        "%ld workers: give a range A-B with a port for "
                        "each\n", cfg.port.lo, n);
      else
        fprintf(stderr, "dusk-worker: --port %" PRId64 "-%" PRId64 " holds "
                        "%" PRId64 " ports for %ld workers: give a range "
                        "with a port for each\n", cfg.port.lo, cfg.port.hi,
                cfg.port.hi - cfg.port.lo + 1, n);
      return 2;
    }
  }
  /* "auto" shares the memory among the workers of this host: those of
   * this nanny (LocalCluster, dusk ssh, the systemd unit and the providers
   * all start one nanny per host).  Resolved once here, so each worker
   * gets the same figure as bytes. */
  if (dusk_worker_memory_limit(cfg.memory_limit, n, &limit, &err) != 0) {
    fprintf(stderr, "dusk-worker: %s\n", err.message);
    return 2;
  }
  if (limit >= HUGE_PAGES_MIN_LIMIT && !restarted)
    restart_with_huge_pages(argv);
  snprintf(limit_text, sizeof limit_text, "%" PRIu64, limit);
  cfg.memory_limit = limit_text;
  if (cfg.nworkers != NULL) {
    dusk_log_init('N', level);
    dusk_log(DUSK_LOG_INFO, "config: %s", text);
    dusk_log(DUSK_LOG_INFO, "memory limit %.1f MiB per worker (results "
             "past 70%% of it spill to disk)", (double)limit / 1048576.0);
    if (cfg.ready_fd >= 0) {
      close((int)cfg.ready_fd); /* readiness comes from the scheduler */
      cfg.ready_fd = -1;
    }
    return dusk_nanny_run((int)n, run_worker, &args);
  }
  dusk_log_init('W', level);
  dusk_log(DUSK_LOG_INFO, "config: %s", text);
  dusk_log(DUSK_LOG_INFO, "memory limit %.1f MiB (results past 70%% of it "
           "spill to disk)", (double)limit / 1048576.0);
  return run_worker(&args);
}
