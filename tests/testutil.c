/* testutil.c - helpers shared by the test suites (see testutil.h). */
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t tu_splitmix(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int tu_run_suite(struct Suite *s) {
  SRunner *sr = srunner_create(s);
  int failed;
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

dusk_value tu_null(void) {
  dusk_value v;
  memset(&v, 0, sizeof v);
  v.type = DUSK_TYPE_NULL;
  return v;
}

dusk_value tu_int(int64_t i) {
  dusk_value v = tu_null();
  v.type = DUSK_TYPE_INT64;
  v.u.i = i;
  return v;
}

dusk_value tu_float(double f) {
  dusk_value v = tu_null();
  v.type = DUSK_TYPE_FLOAT64;
  v.u.f = f;
  return v;
}

dusk_value tu_bool(bool b) {
  dusk_value v = tu_null();
  v.type = DUSK_TYPE_BOOL;
  v.u.b = b;
  return v;
}

dusk_value tu_strn(const char *s, size_t len) {
  dusk_value v = tu_null();
  v.type = DUSK_TYPE_STRING;
  v.u.s.ptr = s;
  v.u.s.len = len;
  return v;
}

dusk_value tu_str(const char *s) { return tu_strn(s, strlen(s)); }

dusk_expr *tu_col(const char *name) { return dusk_expr_column(name); }
dusk_expr *tu_lit_int(int64_t i) { return dusk_expr_literal(tu_int(i)); }
dusk_expr *tu_lit_float(double f) { return dusk_expr_literal(tu_float(f)); }
dusk_expr *tu_lit_strn(const char *s, size_t len) {
  return dusk_expr_literal(tu_strn(s, len));
}
dusk_expr *tu_lit_str(const char *s) { return dusk_expr_literal(tu_str(s)); }
dusk_expr *tu_lit_bool(int b) { return dusk_expr_literal(tu_bool(b != 0)); }
dusk_expr *tu_lit_none(void) { return dusk_expr_literal(tu_null()); }

dusk_expr *tu_cmp(int op, dusk_expr *a, dusk_expr *b) {
  return dusk_expr_node(DUSK_EXPR_COMPARE, op, a, b);
}

dusk_expr *tu_arith(int op, dusk_expr *a, dusk_expr *b) {
  return dusk_expr_node(DUSK_EXPR_ARITH, op, a, b);
}

int tu_bin_path(const char *name, char *out, size_t outlen) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  char *slash;
  int len;
  if (n <= 0)
    return -1;
  self[n] = '\0';
  if ((slash = strrchr(self, '/')) == NULL)
    return -1;
  *slash = '\0';
  len = snprintf(out, outlen, "%s/%s", self, name);
  return len > 0 && (size_t)len < outlen ? 0 : -1;
}

uint64_t tu_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void tu_nap_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

int tu_wait_exit(pid_t pid, int timeout_ms, int *status) {
  uint64_t deadline = tu_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
  int st;
  if (pid <= 0)
    return -1;
  for (;;) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      if (status != NULL)
        *status = st;
      return 1;
    }
    if (r < 0 && errno != EINTR)
      return -1;
    if (tu_now_ms() >= deadline)
      return 0;
    tu_nap_ms(5);
  }
}

int tu_stop_child(pid_t pid, int grace_ms) {
  int st, rc;
  if (pid <= 0)
    return -1;
  kill(pid, SIGTERM);
  rc = tu_wait_exit(pid, grace_ms, &st);
  if (rc == 1)
    return st;
  if (rc < 0)
    return -1;
  kill(pid, SIGKILL);
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return st;
}

char *tu_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  char *data = NULL;
  size_t len = 0, cap = 0;
  if (f == NULL)
    return NULL;
  for (;;) {
    size_t n;
    if (cap - len < 4096) {
      char *p = realloc(data, cap + 65536);
      if (p == NULL) {
        free(data);
        fclose(f);
        return NULL;
      }
      data = p;
      cap += 65536;
    }
    n = fread(data + len, 1, cap - len - 1, f);
    len += n;
    if (n == 0)
      break;
  }
  fclose(f);
  data[len] = '\0';
  return data;
}

pid_t tu_spawn(char *const argv[], const char *log_path, int ready_w) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent)
    _exit(127);
  if (log_path != NULL) {
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0 && fd != STDERR_FILENO) {
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
  }
  if (ready_w >= 0 && ready_w != 3) {
    dup2(ready_w, 3);
    close(ready_w);
  }
  for (int i = ready_w >= 0 ? 4 : 3; i < 1024; i++)
    close(i);
  signal(SIGPIPE, SIG_DFL);
  execv(argv[0], argv);
  _exit(127);
}

int tu_read_ready(int fd, int timeout_ms) {
  char buf[64];
  size_t used = 0;
  uint64_t deadline = tu_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
  while (used < sizeof buf - 1) {
    struct pollfd p = {fd, POLLIN, 0};
    uint64_t now = tu_now_ms();
    ssize_t n;
    int port;
    if (now >= deadline)
      return -1;
    if (poll(&p, 1, (int)(deadline - now)) <= 0)
      continue;
    n = read(fd, buf + used, sizeof buf - 1 - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    used += (size_t)n;
    buf[used] = '\0';
    if (strchr(buf, '\n') != NULL)
      return sscanf(buf, "READY %d", &port) == 1 && port > 0 && port < 65536
                 ? port
                 : -1;
  }
  return -1;
}
