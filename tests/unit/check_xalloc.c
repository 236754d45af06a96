/* check_xalloc.c - the daemons' out-of-memory discipline (xalloc.h): an
 * allocation that fails, or a library's DUSK_ENOMEM passed to dusk_xcheck,
 * logs exactly one line and aborts; nothing else is touched.
 *
 * Each abort happens in a child forked for it, whose stderr the test reads:
 * the wait status must say SIGABRT and the output must be one log line
 * naming the size (or the file and line). */
#include "allocfail.h"
#include "errors.h"
#include "log.h"
#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*child_fn)(void);

/* Runs fn in a child with stderr on a pipe; returns its wait status and
 * what it wrote (NUL-terminated, truncated to outlen - 1). */
static int run_child(child_fn fn, char *out, size_t outlen) {
  int fds[2], status = 0;
  size_t got = 0;
  pid_t pid;
  ck_assert_int_eq(pipe(fds), 0);
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
    dusk_log_init('T', DUSK_LOG_INFO);
    fn();
    _exit(0); /* fn returned: no abort */
  }
  close(fds[1]);
  for (;;) {
    ssize_t n = read(fds[0], out + got, outlen - 1 - got);
    if (n <= 0)
      break;
    got += (size_t)n;
    if (got == outlen - 1)
      break;
  }
  out[got] = '\0';
  close(fds[0]);
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  return status;
}

/* The child aborted after writing exactly one log line ("pid:T time E
 * ...") that ends with `tail`. */
static void check_aborted_with(child_fn fn, const char *tail) {
  char out[1024];
  int status = run_child(fn, out, sizeof out);
  size_t len = strlen(out), tlen = strlen(tail);
  ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                "expected an abort, got status %#x; output: %s", status, out);
  ck_assert_msg(len > 0 && out[len - 1] == '\n' &&
                    strchr(out, '\n') == out + len - 1,
                "expected one line, got: %s", out);
  ck_assert_msg(strstr(out, ":T ") != NULL && strstr(out, " E ") != NULL,
                "not a dusk_log error line: %s", out);
  ck_assert_msg(len > tlen && memcmp(out + len - tlen, tail, tlen) == 0,
                "expected a line ending in '%s', got: %s", tail, out);
}

/* ---- each allocator aborts when its allocation fails --------------------- */

static void child_xmalloc(void) {
  tu_alloc_fail_after(0);
  (void)dusk_xmalloc(100);
}

static void child_xcalloc(void) {
  tu_alloc_fail_after(0);
  (void)dusk_xcalloc(10, 24);
}

static void child_xrealloc(void) {
  char *p = dusk_xmalloc(8);
  tu_alloc_fail_after(0);
  p = dusk_xrealloc(p, 4096);
  free(p);
}

static void child_xmemdup(void) {
  tu_alloc_fail_after(0);
  (void)dusk_xmemdup("abc", 3);
}

static void child_xstrdup(void) {
  tu_alloc_fail_after(0);
  (void)dusk_xstrdup("hello");
}

/* n * size overflows: refused before anything is allocated. */
static void child_xcalloc_overflow(void) {
  (void)dusk_xcalloc(SIZE_MAX / 2, 4);
}

START_TEST(test_allocators_abort_with_one_line) {
  check_aborted_with(child_xmalloc, "out of memory allocating 100 bytes\n");
  check_aborted_with(child_xcalloc, "out of memory allocating 240 bytes\n");
  check_aborted_with(child_xrealloc, "out of memory allocating 4096 bytes\n");
  check_aborted_with(child_xmemdup, "out of memory allocating 4 bytes\n");
  check_aborted_with(child_xstrdup, "out of memory allocating 6 bytes\n");
  {
    char tail[64];
    snprintf(tail, sizeof tail, "out of memory allocating %zu bytes\n",
             (size_t)SIZE_MAX);
    check_aborted_with(child_xcalloc_overflow, tail);
  }
}
END_TEST

/* ---- a library's DUSK_ENOMEM ---------------------------------------------- */

/* Each child's call is on the line after its enum: the log line names it. */
enum { XCHECK_LINE = __LINE__ + 1 };
static void child_xcheck(void) { (void)dusk_xcheck(DUSK_ENOMEM); }

enum { XOOM_LINE = __LINE__ + 1 };
static void child_xoom(void) { dusk_xoom(); }

START_TEST(test_xcheck_aborts_on_enomem_naming_the_call) {
  char tail[512];
  snprintf(tail, sizeof tail, "out of memory at %s:%d\n", __FILE__,
           (int)XCHECK_LINE);
  check_aborted_with(child_xcheck, tail);
  snprintf(tail, sizeof tail, "out of memory at %s:%d\n", __FILE__,
           (int)XOOM_LINE);
  check_aborted_with(child_xoom, tail);
}
END_TEST

/* Other codes pass through: the daemon handles them itself. */
START_TEST(test_xcheck_passes_other_codes) {
  ck_assert_int_eq(dusk_xcheck(0), 0);
  ck_assert_int_eq(dusk_xcheck(1), 1);
  ck_assert_int_eq(dusk_xcheck(DUSK_ECLOSED), DUSK_ECLOSED);
  ck_assert_int_eq(dusk_xcheck(DUSK_ETOOBIG), DUSK_ETOOBIG);
  ck_assert_int_eq(dusk_xcheck(-ENOBUFS), -ENOBUFS);
}
END_TEST

/* ---- success ------------------------------------------------------------- */

START_TEST(test_allocators_succeed) {
  char *a = dusk_xmalloc(0), *b = dusk_xmalloc(0);
  char *d = dusk_xmemdup("a\0b", 3), *s = dusk_xstrdup("dusk");
  int *z = dusk_xcalloc(0, sizeof *z), *y = dusk_xcalloc(16, sizeof *y);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_ne(a, b); /* size 0 still gives a unique pointer */
  ck_assert_int_eq(memcmp(d, "a\0b\0", 4), 0);
  ck_assert_str_eq(s, "dusk");
  ck_assert_ptr_nonnull(z);
  for (int i = 0; i < 16; i++)
    ck_assert_int_eq(y[i], 0);
  y = dusk_xrealloc(y, 1024 * sizeof *y);
  ck_assert_int_eq(y[15], 0);
  free(a);
  free(b);
  free(d);
  free(s);
  free(z);
  free(y);
}
END_TEST

int main(void) {
  Suite *s = suite_create("xalloc");
  TCase *tc = tcase_create("xalloc");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_allocators_abort_with_one_line);
  tcase_add_test(tc, test_xcheck_aborts_on_enomem_naming_the_call);
  tcase_add_test(tc, test_xcheck_passes_other_codes);
  tcase_add_test(tc, test_allocators_succeed);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
