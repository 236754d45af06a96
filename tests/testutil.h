/* testutil.h - the one helper header of the test suites.
 *
 * For every suite: the Check runner its main() ends with, and constructors
 * of dataframe values and query-expression nodes.  For the integration
 * suites: where the daemons live, a monotonic clock that bounds polling
 * loops (never an assertion on elapsed time), short naps between polls,
 * spawning a daemon and reading its READY line, and the
 * SIGTERM-then-SIGKILL teardown of processes a test spawned.
 *
 * Everything here is for tests only and runs in the test process (under
 * CK_FORK, the forked child running one test). */
#ifndef DUSK_TESTUTIL_H
#define DUSK_TESTUTIL_H

#include "plan.h"
#include "value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- every suite ---------------------------------------------------------- */

/* Runs every test of s (CK_NORMAL: forked, unless CK_FORK=no), frees the
 * runner and returns main()'s exit status: EXIT_SUCCESS when none failed. */
struct Suite; /* check.h's, not included here: load.c is no Check suite */
int tu_run_suite(struct Suite *s);

/* An assertion for loops run thousands of times: a passing ck_assert
 * costs Check a write to its log, a passing REQUIRE nothing.  (Check's
 * ck_abort_msg: the suite includes check.h.) */
#define REQUIRE(cond, ...)                                                     \
  do {                                                                         \
    if (!(cond))                                                               \
      ck_abort_msg(__VA_ARGS__);                                               \
  } while (0)

/* splitmix64: the next of a fixed-seed sequence, so failures reproduce. */
uint64_t tu_splitmix(uint64_t *state);

/* Dataframe values.  Strings borrow s (tu_str takes its strlen). */
dusk_value tu_null(void);
dusk_value tu_int(int64_t i);
dusk_value tu_float(double f);
dusk_value tu_bool(bool b);
dusk_value tu_strn(const char *s, size_t len);
dusk_value tu_str(const char *s);

/* Query-expression nodes (plan.h); NULL when out of memory.  Node builders
 * take ownership of their operands. */
dusk_expr *tu_col(const char *name);
dusk_expr *tu_lit_int(int64_t i);
dusk_expr *tu_lit_float(double f);
dusk_expr *tu_lit_strn(const char *s, size_t len);
dusk_expr *tu_lit_str(const char *s);
dusk_expr *tu_lit_bool(int b);
dusk_expr *tu_lit_none(void);
dusk_expr *tu_cmp(int op, dusk_expr *a, dusk_expr *b);
dusk_expr *tu_arith(int op, dusk_expr *a, dusk_expr *b);

/* ---- integration suites --------------------------------------------------- */

/* Writes "<directory of the running executable>/<name>" into out: the
 * build puts every executable and the example plugin in one folder.  0, or
 * -1 when /proc/self/exe cannot be read or out is too small. */
int tu_bin_path(const char *name, char *out, size_t outlen);

/* Monotonic milliseconds, for deadlines of bounded polling loops. */
uint64_t tu_now_ms(void);

/* Sleeps ms milliseconds (a poll interval, never a synchronisation). */
void tu_nap_ms(unsigned ms);

/* Waits up to timeout_ms for child pid to exit: 1 with *status filled (if
 * status is not NULL), 0 if it is still running, -1 if it is not our
 * child. */
int tu_wait_exit(pid_t pid, int timeout_ms, int *status);

/* SIGTERM, then SIGKILL once grace_ms passed, then reaps.  Returns the wait
 * status, or -1 if pid was not a child (or <= 0). */
int tu_stop_child(pid_t pid, int grace_ms);

/* Forks and execs argv[0] with argv.  The child dies with the calling
 * thread (PR_SET_PDEATHSIG), so nothing outlives a failed test; its stderr
 * is appended to log_path (unless NULL) and, if ready_w >= 0, that pipe end
 * becomes its fd 3 (for a daemon's --ready-fd 3).  The pid, or -1. */
pid_t tu_spawn(char *const argv[], const char *log_path, int ready_w);

/* Reads a daemon's "READY <port>\n" from fd within timeout_ms: the port,
 * or -1 on EOF, garbage or timeout. */
int tu_read_ready(int fd, int timeout_ms);

/* The whole file as a NUL-terminated malloc'd string (freed by the caller),
 * or NULL. */
char *tu_read_file(const char *path);

#endif
