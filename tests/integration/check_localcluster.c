/* check_localcluster.c - LocalCluster's promise that its processes never
 * outlive the process that started them, even one killed with SIGKILL.
 *
 * The test becomes a child subreaper, so the cluster's orphaned processes
 * are re-parented to it and it can reap them; a bounded wait for every one
 * of them to exit is the assertion. */
#include "dusk.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 8

/* In a forked child: start a 2-worker cluster, write the pids of the
 * scheduler, the nanny and the workers to fd, then wait to be killed. */
static void run_cluster_child(int fd) {
  dusk_cluster_options o;
  dusk_cluster *cl;
  dusk_client *c;
  dusk_worker_status ws[4];
  dusk_error err = {0};
  size_t n = 0;
  int64_t pids[MAX_PIDS];
  int np = 0;
  dusk_cluster_options_init(&o);
  o.nworkers = 2;
  if (dusk_cluster_start(&o, &cl, &err) != 0 ||
      dusk_cluster_client(cl, &c, &err) != 0 ||
      dusk_client_workers(c, 2, 30000, ws, 4, &n, NULL, &err) != 0) {
    fprintf(stderr, "cluster child: %s\n", err.message);
    _exit(1);
  }
  pids[np++] = dusk_cluster_scheduler_pid(cl);
  pids[np++] = dusk_cluster_nanny_pid(cl);
  for (size_t i = 0; i < n && np < MAX_PIDS; i++)
    pids[np++] = ws[i].pid;
  if (write(fd, pids, (size_t)np * sizeof pids[0]) < 0)
    _exit(1);
  close(fd);
  for (;;)
    pause();
}

static int alive(pid_t pid) {
  /* Reap it if it became our child; a zombie counts as gone. */
  if (waitpid(pid, NULL, WNOHANG) == pid)
    return 0;
  return kill(pid, 0) == 0 || errno != ESRCH;
}

START_TEST(test_children_die_with_sigkilled_parent) {
  int fds[2];
  pid_t child;
  int64_t pids[MAX_PIDS];
  ssize_t got;
  int np, remaining = 0;
  ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  ck_assert_int_eq(pipe(fds), 0);
  child = fork();
  ck_assert_int_ge(child, 0);
  if (child == 0) {
    close(fds[0]);
    run_cluster_child(fds[1]);
  }
  close(fds[1]);
  got = read(fds[0], pids, sizeof pids);
  close(fds[0]);
  ck_assert_msg(got > 0, "the cluster child did not report its pids");
  np = (int)(got / (ssize_t)sizeof pids[0]);
  ck_assert_int_eq(np, 4); /* scheduler, nanny, two workers */
  for (int i = 0; i < np; i++)
    ck_assert_msg(alive((pid_t)pids[i]), "pid %lld not running",
                  (long long)pids[i]);

  kill(child, SIGKILL);
  waitpid(child, NULL, 0);

  /* Every cluster process must be gone within a bound (10 s). */
  for (int tries = 0; tries < 1000; tries++) {
    struct timespec ts = {0, 10 * 1000000L};
    remaining = 0;
    for (int i = 0; i < np; i++)
      if (pids[i] > 0 && alive((pid_t)pids[i]))
        remaining++;
    if (remaining == 0)
      break;
    nanosleep(&ts, NULL);
  }
  for (int i = 0; i < np; i++)
    if (pids[i] > 0 && alive((pid_t)pids[i]))
      kill((pid_t)pids[i], SIGKILL); /* do not leave them behind */
  ck_assert_msg(remaining == 0, "%d cluster processes outlived their parent",
                remaining);
}
END_TEST

START_TEST(test_start_and_stop_leave_nothing) {
  dusk_cluster_options o;
  dusk_cluster *cl;
  dusk_error err = {0};
  int64_t sched, nanny;
  dusk_cluster_options_init(&o);
  o.nworkers = 1;
  ck_assert_msg(dusk_cluster_start(&o, &cl, &err) == 0, "%s", err.message);
  sched = dusk_cluster_scheduler_pid(cl);
  nanny = dusk_cluster_nanny_pid(cl);
  ck_assert_int_eq(access(dusk_cluster_token_file(cl), R_OK), 0);
  ck_assert_int_eq((int)strlen(dusk_cluster_token(cl)), 64);
  dusk_cluster_stop(cl);
  ck_assert_int_ne(kill((pid_t)sched, 0), 0);
  ck_assert_int_ne(kill((pid_t)nanny, 0), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("localcluster");
  TCase *tc = tcase_create("lifecycle");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_start_and_stop_leave_nothing);
  tcase_add_test(tc, test_children_die_with_sigkilled_parent);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
