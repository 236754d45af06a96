/* cluster.c - LocalCluster: a scheduler and a nanny of N workers as child
 * processes on loopback, with a fresh random token.
 *
 * Children never outlive us: each is started with PR_SET_PDEATHSIG(SIGKILL)
 * (checked against a race with our own death right after fork), and the
 * nanny passes the same promise on to its workers.  Readiness is a
 * handshake, never a sleep: the scheduler writes "READY <port>" (and
 * "DASHBOARD <port>": its HTTP endpoint, on a free port so clusters side by
 * side never fight over one) to a pipe, and the scheduler answers an
 * INFO_REQUEST once N workers registered. */
#include "dusk.h"

#include "auth.h"
#include "tls.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct dusk_cluster {
  pid_t scheduler, nanny;
  int nworkers;
  char address[64];
  char dashboard[64]; /* the HTTP endpoint's URL, "" without one */
  char token[DUSK_TOKEN_MAX + 1];
  char token_dir[64];
  char token_file[96];
  int tls_on;
  char tls_cert[PATH_MAX], tls_key[PATH_MAX], tls_ca[PATH_MAX];
};

void dusk_cluster_options_init(dusk_cluster_options *o) {
  memset(o, 0, sizeof *o);
  o->log_level = "warn";
  o->start_timeout_ms = 30000;
}

static int file_executable(const char *path) {
  return access(path, X_OK) == 0;
}

/* Writes "<directory of path>/<rel>/<name>" into out: 0 when that is an
 * executable file. */
static int beside(const char *path, const char *rel, const char *name,
                  char *out, size_t outlen) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL)
    return DUSK_ENOTFOUND;
  if (rel[0] != '\0')
    snprintf(out, outlen, "%.*s/%s/%s", (int)(slash - path), path, rel, name);
  else
    snprintf(out, outlen, "%.*s/%s", (int)(slash - path), path, name);
  return file_executable(out) ? 0 : DUSK_ENOTFOUND;
}

/* Finds a daemon binary, in the order dusk.h gives: bin_dir, $DUSK_BIN_DIR,
 * beside our executable, the bin folder of the installation libdusk was
 * loaded from (so a program linked against an installed libdusk finds the
 * daemons installed with it, wherever the install was put), the bin folder
 * libdusk was built for, then PATH. */
static int find_binary(const char *bin_dir, const char *name, char *out,
                       size_t outlen) {
  char self[PATH_MAX - 64];
  const char *env = getenv("DUSK_BIN_DIR");
  Dl_info lib;
  ssize_t n;
  if (bin_dir != NULL) {
    snprintf(out, outlen, "%s/%s", bin_dir, name);
    return file_executable(out) ? 0 : DUSK_ENOTFOUND;
  }
  if (env != NULL && env[0] != '\0') {
    snprintf(out, outlen, "%s/%s", env, name);
    if (file_executable(out))
      return 0;
  }
  n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    if (beside(self, "", name, out, outlen) == 0)
      return 0;
  }
  /* A static function's address is always our own copy's (an exported one
   * may resolve to the executable's PLT).  Linked statically, this names
   * the executable again: no harm. */
  if (dladdr((void *)&file_executable, &lib) != 0 &&
      lib.dli_fname != NULL &&
      beside(lib.dli_fname, DUSK_LIB_TO_BIN, name, out, outlen) == 0)
    return 0;
  snprintf(out, outlen, "%s/%s", DUSK_INSTALL_BINDIR, name);
  if (file_executable(out))
    return 0;
  /* Last resort: PATH lookup by execvp. */
  snprintf(out, outlen, "%s", name);
  return 0;
}

/* Appends the TLS flags at argv[a] (argv has room for 6 more + NULL). */
static void add_tls_args(dusk_cluster *cl, char **argv, int a) {
  if (!cl->tls_on)
    return;
  argv[a++] = "--tls-cert";
  argv[a++] = cl->tls_cert;
  argv[a++] = "--tls-key";
  argv[a++] = cl->tls_key;
  argv[a++] = "--tls-ca";
  argv[a++] = cl->tls_ca;
  argv[a] = NULL;
}

/* Forks and execs argv with fd `ready_w` (or -1) as fd 3.  The child dies
 * with us. */
static pid_t spawn(char *const argv[], int ready_w) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent)
    _exit(127);
  if (ready_w >= 0) {
    if (ready_w != 3) {
      dup2(ready_w, 3);
      close(ready_w);
    }
  }
  /* Nothing else of ours leaks into the daemon. */
  for (int fd = ready_w >= 0 ? 4 : 3; fd < 1024; fd++)
    close(fd);
  signal(SIGPIPE, SIG_DFL);
  execvp(argv[0], argv);
  fprintf(stderr, "dusk: cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

/* Reads "READY <port>\n" and the optional "DASHBOARD <port>\n" after it
 * from fd within timeout_ms: the port, or < 0.  *dashboard is the
 * dashboard's port, or -1.  The scheduler writes both lines in one write
 * of less than PIPE_BUF bytes, so the read that brings the first brings the
 * second: nothing waits for a line that may never come. */
static int read_ready(int fd, pid_t child, int timeout_ms, int *dashboard,
                      dusk_error *err) {
  char buf[64];
  size_t used = 0;
  struct timespec start, now;
  *dashboard = -1;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    long spent;
    int rc;
    char *nl;
    clock_gettime(CLOCK_MONOTONIC, &now);
    spent = (now.tv_sec - start.tv_sec) * 1000 +
            (now.tv_nsec - start.tv_nsec) / 1000000;
    if (spent >= timeout_ms)
      return dusk_error_set(err, DUSK_ETIMEDOUT,
                            "scheduler pid %d not ready after %d ms",
                            (int)child, timeout_ms);
    rc = poll(&p, 1, (int)(timeout_ms - spent));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc <= 0)
      continue;
    ssize_t n = read(fd, buf + used, sizeof buf - 1 - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return dusk_error_set(err, DUSK_ESPAWN,
                            "scheduler pid %d exited before it was ready "
                            "(see its messages above)",
                            (int)child);
    used += (size_t)n;
    buf[used] = '\0';
    if ((nl = strchr(buf, '\n')) != NULL) {
      int port, dport;
      if (sscanf(buf, "READY %d", &port) != 1 || port <= 0 || port >= 65536)
        return dusk_error_set(err, DUSK_ESPAWN,
                              "scheduler pid %d announced '%s'", (int)child,
                              buf);
      if (sscanf(nl + 1, "DASHBOARD %d", &dport) == 1 && dport > 0 &&
          dport < 65536)
        *dashboard = dport;
      return port;
    }
    if (used >= sizeof buf - 1)
      return dusk_error_set(err, DUSK_ESPAWN, "scheduler readiness line too "
                            "long");
  }
}

static void stop_child(pid_t pid, int grace_ms) {
  struct timespec ts = {0, 5 * 1000000L};
  if (pid <= 0)
    return;
  kill(pid, SIGTERM);
  for (int waited = 0; waited < grace_ms; waited += 5) {
    pid_t r = waitpid(pid, NULL, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD))
      return;
    nanosleep(&ts, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

int dusk_cluster_start(const dusk_cluster_options *o, dusk_cluster **out,
                       dusk_error *err) {
  dusk_cluster *cl = calloc(1, sizeof *cl);
  char sched_bin[PATH_MAX], worker_bin[PATH_MAX], nbuf[16], port_arg[16];
  char addr_arg[64], queue_arg[16], timeout_arg[16];
  int pipefd[2], port, dashboard, rc, fd;
  dusk_client *client = NULL;
  size_t n = 0;

  if (cl == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  cl->nworkers = o->nworkers > 0 ? o->nworkers
                                 : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (cl->nworkers < 1)
    cl->nworkers = 1;
  if (find_binary(o->bin_dir, "dusk-scheduler", sched_bin,
                  sizeof sched_bin) != 0 ||
      find_binary(o->bin_dir, "dusk-worker", worker_bin,
                  sizeof worker_bin) != 0) {
    free(cl);
    return dusk_error_set(err, DUSK_ENOTFOUND,
                          "dusk-scheduler or dusk-worker not found in %s",
                          o->bin_dir);
  }
  rc = dusk_tls_files_check(&o->tls, err);
  if (rc < 0) {
    free(cl);
    return rc;
  }
  if (rc == 1) {
    cl->tls_on = 1;
    snprintf(cl->tls_cert, sizeof cl->tls_cert, "%s", o->tls.cert);
    snprintf(cl->tls_key, sizeof cl->tls_key, "%s", o->tls.key);
    snprintf(cl->tls_ca, sizeof cl->tls_ca, "%s", o->tls.ca);
  }
  if (o->token != NULL) {
    /* The token file's reader drops trailing whitespace, and a token is
     * one line: refuse what would not survive the round trip. */
    size_t len = strlen(o->token);
    if (len == 0 || len > DUSK_TOKEN_MAX || strpbrk(o->token, "\r\n") ||
        isspace((unsigned char)o->token[len - 1])) {
      free(cl);
      return dusk_error_set(err, DUSK_EINVAL,
                            "token must be 1..%d bytes on one line, without "
                            "trailing whitespace",
                            DUSK_TOKEN_MAX);
    }
  }
  if (o->scheduler_port < 0 || o->scheduler_port > 65535) {
    free(cl);
    return dusk_error_set(err, DUSK_EINVAL,
                          "scheduler_port %d is not 0..65535",
                          o->scheduler_port);
  }
  /* The token (given or fresh) in a private file. */
  snprintf(cl->token_dir, sizeof cl->token_dir, "/tmp/dusk-cluster-XXXXXX");
  if (mkdtemp(cl->token_dir) == NULL ||
      (o->token == NULL && dusk_auth_token_generate(cl->token) != 0)) {
    free(cl);
    return dusk_error_set(err, DUSK_ESPAWN, "cannot create a token: %s",
                          strerror(errno));
  }
  if (o->token != NULL)
    snprintf(cl->token, sizeof cl->token, "%s", o->token);
  snprintf(cl->token_file, sizeof cl->token_file, "%s/token", cl->token_dir);
  fd = open(cl->token_file, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || write(fd, cl->token, strlen(cl->token)) !=
                    (ssize_t)strlen(cl->token)) {
    if (fd >= 0)
      close(fd);
    rmdir(cl->token_dir);
    free(cl);
    return dusk_error_set(err, DUSK_ESPAWN, "cannot write the token file");
  }
  close(fd);

  if (pipe(pipefd) != 0) {
    rc = dusk_error_set(err, DUSK_ESPAWN, "pipe: %s", strerror(errno));
    goto fail;
  }
  snprintf(queue_arg, sizeof queue_arg, "%d",
           o->worker_queue > 0 ? o->worker_queue : 4);
  snprintf(timeout_arg, sizeof timeout_arg, "%d",
           o->worker_timeout_ms > 0 ? o->worker_timeout_ms : 10000);
  {
    char sched_port[16];
    char *argv[24] = {sched_bin,        "--port",       sched_port,
                      "--ready-fd",     "3",            "--token-file",
                      cl->token_file,   "--log-level",
                      (char *)(o->log_level ? o->log_level : "warn"),
                      "--worker-queue", queue_arg,      "--worker-timeout-ms",
                      timeout_arg,      "--dashboard-port", "0",
                      NULL};
    snprintf(sched_port, sizeof sched_port, "%d", o->scheduler_port);
    add_tls_args(cl, argv, 15);
    cl->scheduler = spawn(argv, pipefd[1]);
  }
  close(pipefd[1]);
  if (cl->scheduler < 0) {
    close(pipefd[0]);
    rc = dusk_error_set(err, DUSK_ESPAWN, "fork: %s", strerror(errno));
    goto fail;
  }
  port = read_ready(pipefd[0], cl->scheduler,
                    o->start_timeout_ms > 0 ? o->start_timeout_ms : 30000,
                    &dashboard, err);
  close(pipefd[0]);
  if (port < 0) {
    rc = port;
    goto fail;
  }
  snprintf(cl->address, sizeof cl->address, "tcp://127.0.0.1:%d", port);
  if (dashboard > 0)
    snprintf(cl->dashboard, sizeof cl->dashboard, "%s://127.0.0.1:%d/",
             cl->tls_on ? "https" : "http", dashboard);
  snprintf(addr_arg, sizeof addr_arg, "%s", cl->address);
  snprintf(nbuf, sizeof nbuf, "%d", cl->nworkers);
  snprintf(port_arg, sizeof port_arg, "%d", port);
  {
    char *argv[24];
    int a = 0;
    argv[a++] = worker_bin;
    argv[a++] = addr_arg;
    argv[a++] = "--nworkers";
    argv[a++] = nbuf;
    argv[a++] = "--token-file";
    argv[a++] = cl->token_file;
    argv[a++] = "--log-level";
    argv[a++] = (char *)(o->log_level ? o->log_level : "warn");
    if (o->plugins != NULL) {
      argv[a++] = "--plugin";
      argv[a++] = (char *)o->plugins;
    }
    if (o->memory_limit != NULL) {
      argv[a++] = "--memory-limit";
      argv[a++] = (char *)o->memory_limit;
    }
    if (o->spill_dir != NULL) {
      argv[a++] = "--spill-dir";
      argv[a++] = (char *)o->spill_dir;
    }
    argv[a] = NULL;
    add_tls_args(cl, argv, a);
    cl->nanny = spawn(argv, -1);
  }
  if (cl->nanny < 0) {
    rc = dusk_error_set(err, DUSK_ESPAWN, "fork: %s", strerror(errno));
    goto fail;
  }
  if ((rc = dusk_cluster_client(cl, &client, err)) != 0)
    goto fail;
  rc = dusk_client_workers(client, (unsigned)cl->nworkers,
                           o->start_timeout_ms > 0 ? o->start_timeout_ms
                                                   : 30000,
                           NULL, 0, &n, NULL, err);
  dusk_client_free(client);
  if (rc != 0)
    goto fail;
  *out = cl;
  return 0;
fail:
  dusk_cluster_stop(cl);
  return rc;
}

const char *dusk_cluster_address(const dusk_cluster *cl) {
  return cl->address;
}
const char *dusk_cluster_token(const dusk_cluster *cl) { return cl->token; }
const char *dusk_cluster_dashboard_link(const dusk_cluster *cl) {
  return cl->dashboard[0] != '\0' ? cl->dashboard : NULL;
}
const char *dusk_cluster_token_file(const dusk_cluster *cl) {
  return cl->token_file;
}
int dusk_cluster_nworkers(const dusk_cluster *cl) { return cl->nworkers; }
int64_t dusk_cluster_scheduler_pid(const dusk_cluster *cl) {
  return cl->scheduler;
}
int64_t dusk_cluster_nanny_pid(const dusk_cluster *cl) { return cl->nanny; }

int dusk_cluster_client(dusk_cluster *cl, dusk_client **out,
                        dusk_error *err) {
  dusk_tls_files tls = {cl->tls_cert, cl->tls_key, cl->tls_ca};
  return dusk_client_connect_tls(cl->address, cl->token,
                                 cl->tls_on ? &tls : NULL, 10000, out, err);
}

void dusk_cluster_stop(dusk_cluster *cl) {
  if (cl == NULL)
    return;
  /* Workers first, so none of them notices a vanished scheduler. */
  stop_child(cl->nanny, 8000);
  stop_child(cl->scheduler, 5000);
  if (cl->token_file[0] != '\0')
    unlink(cl->token_file);
  if (cl->token_dir[0] != '\0')
    rmdir(cl->token_dir);
  free(cl);
}
