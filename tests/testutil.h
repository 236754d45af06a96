/* testutil.h - helpers shared by the integration suites (check_cluster,
 * check_security): where the daemons live, a monotonic clock that bounds
 * polling loops (never an assertion on elapsed time), short naps between
 * polls, and the SIGTERM-then-SIGKILL teardown of processes a test spawned.
 *
 * Everything here is for tests only and runs in the test process (under
 * CK_FORK, the forked child running one test). */
#ifndef DUSK_TESTUTIL_H
#define DUSK_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
