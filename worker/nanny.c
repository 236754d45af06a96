/* nanny.c - runs N worker processes and restarts any that dies, like Dask's
 * nanny.  The nanny forks before any libuv state exists, so each child
 * starts clean.  Children die with the nanny (PR_SET_PDEATHSIG), and the
 * nanny forwards SIGTERM/SIGINT to them, waits a bounded time, then kills. */
#include "log.h"
#include "worker.h"
#include "xalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t nanny_signal;

static void on_term(int sig) { nanny_signal = sig; }

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL); /* a signal cuts it short, which is what we want */
}

static pid_t spawn(int (*run_child)(void *), void *arg) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent)
    _exit(0); /* the nanny died before we set the death signal */
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  _exit(run_child(arg));
}

int dusk_nanny_run(int nworkers, int (*run_child)(void *), void *arg) {
  pid_t *pids = dusk_xcalloc((size_t)nworkers, sizeof *pids);
  uint64_t *started = dusk_xcalloc((size_t)nworkers, sizeof *started);
  int *quick_deaths = dusk_xcalloc((size_t)nworkers, sizeof *quick_deaths);
  struct sigaction sa;
  int alive, gave_up = 0;

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term; /* no SA_RESTART: waitpid returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  for (int i = 0; i < nworkers; i++) {
    pids[i] = spawn(run_child, arg);
    started[i] = now_ms();
  }
  dusk_log(DUSK_LOG_INFO, "nanny running %d workers", nworkers);
  while (!nanny_signal) {
    int status, i;
    pid_t p = waitpid(-1, &status, 0);
    if (p < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (i = 0; i < nworkers && pids[i] != p; i++)
      ;
    if (i == nworkers)
      continue;
    if (WIFEXITED(status) && WEXITSTATUS(status) == DUSK_WORKER_EXIT_ALONE) {
      /* --death-timeout: the scheduler is gone; so is this slot */
      dusk_log(DUSK_LOG_INFO, "worker pid %d had no scheduler: not "
               "restarted", (int)p);
      pids[i] = 0;
      for (i = 0; i < nworkers && pids[i] <= 0; i++)
        ;
      if (i == nworkers) {
        gave_up = 1;
        break;
      }
      continue;
    }
    if (WIFSIGNALED(status))
      dusk_log(DUSK_LOG_WARN, "worker pid %d killed by signal %d; restarting",
               (int)p, WTERMSIG(status));
    else
      dusk_log(DUSK_LOG_WARN, "worker pid %d exited with status %d; "
               "restarting", (int)p, WEXITSTATUS(status));
    /* A worker that dies right after starting is backed off so a broken
     * set-up does not spin: 100 ms doubling to 5 s. */
    if (now_ms() - started[i] < 2000) {
      uint64_t delay = 100u << (quick_deaths[i] < 6 ? quick_deaths[i] : 6);
      quick_deaths[i]++;
      sleep_ms(delay > 5000 ? 5000 : delay);
      if (nanny_signal)
        break;
    } else {
      quick_deaths[i] = 0;
    }
    pids[i] = spawn(run_child, arg);
    started[i] = now_ms();
  }
  dusk_log(DUSK_LOG_INFO, "nanny stopping %d workers", nworkers);
  for (int i = 0; i < nworkers; i++)
    if (pids[i] > 0)
      kill(pids[i], SIGTERM);
  /* Reap for up to 5 s, then kill what is left. */
  uint64_t deadline = now_ms() + 5000;
  do {
    alive = 0;
    for (int i = 0; i < nworkers; i++) {
      if (pids[i] <= 0)
        continue;
      if (waitpid(pids[i], NULL, WNOHANG) == pids[i])
        pids[i] = 0;
      else
        alive++;
    }
    if (alive)
      sleep_ms(10);
  } while (alive && now_ms() < deadline);
  for (int i = 0; i < nworkers; i++)
    if (pids[i] > 0) {
      kill(pids[i], SIGKILL);
      waitpid(pids[i], NULL, 0);
    }
  free(pids);
  free(started);
  free(quick_deaths);
  return gave_up ? DUSK_WORKER_EXIT_ALONE : 0;
}
