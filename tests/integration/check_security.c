/* check_security.c - integration suite: the scheduler's front door.
 *
 * Each test starts dusk-scheduler itself (port 0, --ready-fd, a token file,
 * stderr captured to a file the test reads) and, where it needs one, a
 * dusk-worker with the same token.  It then knocks with a wrong token, no
 * token, raw garbage and an oversized frame header, and checks that each is
 * refused clearly, logged with the peer's address, and that the scheduler
 * keeps serving a proper client afterwards.  Peers of another protocol
 * version, real or played on raw sockets, are refused with a message naming
 * both versions, on both sides.
 *
 * Processes are spawned with PR_SET_PDEATHSIG(SIGKILL) so they never outlive
 * a test process that fails an assertion; a passing test stops them with
 * SIGTERM, then SIGKILL after a bound. */
#include "dusk.h"
#include "testutil.h"

#include "auth.h"
#include "wire.h"
#include "msg.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOKEN "check-security-token-0123456789abcdef"
#define WRONG_TOKEN "check-security-token-0123456789abcdeX"
#define WAIT_MS 60000
#define IO_MS 15000 /* bound on one raw-socket exchange */
#define ONE_GB (1u << 30)

typedef struct sec_env {
  char dir[64];
  char token_file[128];
  char sched_log[128];
  char worker_log[128];
  char sched_bin[PATH_MAX];
  char worker_bin[PATH_MAX];
  pid_t sched, worker;
  int port;
  char address[64];
} sec_env;

static sec_env env;

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fputs(text, f) >= 0, 1);
  ck_assert_int_eq(fclose(f), 0);
}

/* Starts dusk-scheduler on port (0 = ephemeral). */
static void start_scheduler_on(int port_wanted) {
  int pipefd[2];
  char port_arg[16];
  char *argv[] = {
      env.sched_bin,  "--port",       port_arg,      "--ready-fd", "3",
      "--token-file", env.token_file, "--log-level", "info",
      "--handshake-ms", "1000",       NULL};
  snprintf(port_arg, sizeof port_arg, "%d", port_wanted);
  ck_assert_int_eq(pipe(pipefd), 0);
  env.sched = tu_spawn(argv, env.sched_log, pipefd[1]);
  close(pipefd[1]);
  ck_assert_int_gt(env.sched, 0);
  env.port = tu_read_ready(pipefd[0], IO_MS);
  close(pipefd[0]);
  ck_assert_msg(env.port > 0, "dusk-scheduler did not announce READY");
  snprintf(env.address, sizeof env.address, "tcp://127.0.0.1:%d", env.port);
}

static void start_scheduler(void) { start_scheduler_on(0); }

/* Starts one dusk-worker with the scheduler's token, and waits until it has
 * registered. */
static void start_worker(void) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  size_t n = 0;
  int rc;
  char *argv[] = {env.worker_bin,
                  env.address,
                  "--token-file",
                  env.token_file,
                  "--log-level",
                  "info",
                  NULL};
  env.worker = tu_spawn(argv, env.worker_log, -1);
  ck_assert_int_gt(env.worker, 0);
  rc = dusk_client_connect(env.address, TOKEN, WAIT_MS, &c, &err);
  ck_assert_msg(rc == 0, "connect: %s", err.message);
  rc = dusk_client_workers(c, 1, WAIT_MS, NULL, 0, &n, NULL, &err);
  ck_assert_msg(rc == 0, "worker never registered: %s", err.message);
  dusk_client_free(c);
}

static void setup(void) {
  memset(&env, 0, sizeof env);
  snprintf(env.dir, sizeof env.dir, "/tmp/dusk-check-security-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(env.dir));
  snprintf(env.token_file, sizeof env.token_file, "%s/token", env.dir);
  snprintf(env.sched_log, sizeof env.sched_log, "%s/scheduler.log", env.dir);
  snprintf(env.worker_log, sizeof env.worker_log, "%s/worker.log", env.dir);
  ck_assert_int_eq(
      tu_bin_path("dusk-scheduler", env.sched_bin, sizeof env.sched_bin), 0);
  ck_assert_int_eq(
      tu_bin_path("dusk-worker", env.worker_bin, sizeof env.worker_bin), 0);
  write_file(env.token_file, TOKEN "\n");
  chmod(env.token_file, 0600);
}

static void teardown(void) {
  /* Workers first, so none of them notices a vanished scheduler. */
  tu_stop_child(env.worker, 10000);
  tu_stop_child(env.sched, 10000);
  env.worker = env.sched = 0;
  unlink(env.token_file);
  unlink(env.sched_log);
  unlink(env.worker_log);
  rmdir(env.dir);
}

/* Polls the scheduler's log (bounded) for a line holding every one of the
 * given strings (NULL-terminated list): a malloc'd copy of the line, or
 * NULL. */
static char *wait_log_line(const char *path, const char *const *needles) {
  uint64_t deadline = tu_now_ms() + IO_MS;
  do {
    char *log = tu_read_file(path);
    char *line = log, *next;
    for (; line != NULL && *line != '\0'; line = next) {
      int all = 1;
      next = strchr(line, '\n');
      if (next != NULL)
        *next++ = '\0';
      for (size_t i = 0; needles[i] != NULL; i++)
        if (strstr(line, needles[i]) == NULL)
          all = 0;
      if (all) {
        char *copy = strdup(line);
        free(log);
        return copy;
      }
      if (next == NULL)
        break;
    }
    free(log);
    tu_nap_ms(20);
  } while (tu_now_ms() < deadline);
  return NULL;
}

/* A proper client still connects, lists the worker and runs a graph. */
static void check_served(const char *key, int64_t v) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  dusk_worker_status ws[4];
  dusk_graph *g;
  size_t n = 0;
  int64_t got = 0;
  int rc = dusk_client_connect(env.address, TOKEN, WAIT_MS, &c, &err);
  ck_assert_msg(rc == 0, "the right token was refused: %s", err.message);
  rc = dusk_client_workers(c, 1, WAIT_MS, ws, 4, &n, NULL, &err);
  ck_assert_msg(rc == 0, "listing workers: %s", err.message);
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(ws[0].pid, env.worker);
  g = dusk_graph_new();
  ck_assert_ptr_nonnull(g);
  ck_assert_int_eq(dusk_graph_add_int(g, key, "add", v, NULL, 0), 0);
  rc = dusk_client_submit(c, g, &key, 1, WAIT_MS, &err);
  dusk_graph_free(g);
  ck_assert_msg(rc == 0, "submit: %s", err.message);
  rc = dusk_client_gather_int(c, key, WAIT_MS, &got, &err);
  ck_assert_msg(rc == 0, "gather: %s", err.message);
  ck_assert_int_eq(got, v);
  dusk_client_free(c);
}

/* ---- raw sockets --------------------------------------------------------- */

static int raw_connect(int port, int *local_port) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *local_port = ntohs(a.sin_port);
  return fd;
}

static void send_all(int fd, const void *p, size_t n) {
  const char *b = p;
  while (n > 0) {
    ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    ck_assert_msg(w > 0, "send: %s", strerror(errno));
    b += w;
    n -= (size_t)w;
  }
}

/* Reads exactly n bytes within IO_MS: 0, or -1 on EOF, error or time out. */
static int recv_exact(int fd, void *p, size_t n) {
  char *b = p;
  uint64_t deadline = tu_now_ms() + IO_MS;
  while (n > 0) {
    struct pollfd pf = {fd, POLLIN, 0};
    uint64_t now = tu_now_ms();
    ssize_t r;
    if (now >= deadline)
      return -1;
    if (poll(&pf, 1, (int)(deadline - now)) <= 0)
      continue;
    r = recv(fd, b, n, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

/* Reads one frame of at most cap body bytes into body and decodes it;
 * *version (if not NULL) receives its header's protocol version. */
static void recv_frame(int fd, dusk_msg_decoder *dec, char *body, size_t cap,
                       dusk_msg *out, unsigned *version) {
  unsigned char hdr[DUSK_WIRE_HEADER_SIZE];
  dusk_error err = {0};
  dusk_slice s;
  uint32_t len;
  int rc;
  ck_assert_int_eq(recv_exact(fd, hdr, sizeof hdr), 0);
  ck_assert_uint_eq(hdr[0], DUSK_WIRE_MAGIC0);
  ck_assert_uint_eq(hdr[1], DUSK_WIRE_MAGIC1);
  len = ((uint32_t)hdr[4] << 24) | ((uint32_t)hdr[5] << 16) |
        ((uint32_t)hdr[6] << 8) | (uint32_t)hdr[7];
  ck_assert_uint_le(len, cap);
  ck_assert_int_eq(recv_exact(fd, body, len), 0);
  s.ptr = body;
  s.len = len;
  rc = dusk_msg_decode(dec, hdr[3], s, out, &err);
  ck_assert_msg(rc == 0, "decode: %s", err.message);
  if (version != NULL)
    *version = hdr[DUSK_WIRE_VERSION_OFFSET];
}

static void recv_msg(int fd, dusk_msg_decoder *dec, char *body, size_t cap,
                     dusk_msg *out) {
  unsigned version = 0;
  recv_frame(fd, dec, body, cap, out, &version);
  ck_assert_uint_eq(version, DUSK_PROTO_VERSION);
}

/* Encodes m in a frame whose header says protocol `version`: what a dusk
 * of another version would send. */
static void encode_as(const dusk_msg *m, unsigned version, dusk_buf *out) {
  size_t start = out->len;
  ck_assert_int_eq(dusk_msg_encode(m, out), 0);
  out->data[start + DUSK_WIRE_VERSION_OFFSET] = (char)version;
}

/* Waits for the peer to close: 1 on EOF or reset, 0 if it stays open for
 * IO_MS.  Anything the scheduler sends first (its HELLO, an ERROR frame) is
 * read and dropped. */
static int wait_closed(int fd) {
  char buf[4096];
  uint64_t deadline = tu_now_ms() + IO_MS;
  for (;;) {
    struct pollfd pf = {fd, POLLIN, 0};
    uint64_t now = tu_now_ms();
    ssize_t r;
    if (now >= deadline)
      return 0;
    if (poll(&pf, 1, (int)(deadline - now)) <= 0)
      continue;
    r = recv(fd, buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return 1; /* EOF, or a reset when our bytes were left unread */
  }
}

/* Completes the client handshake with the right token on a raw socket. */
static void raw_handshake(int fd) {
  dusk_msg_decoder dec;
  dusk_msg m, reply;
  dusk_buf out;
  char body[4096];
  uint8_t mac[DUSK_MAC_LEN];
  dusk_slice tok = {TOKEN, strlen(TOKEN)};

  ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
  recv_msg(fd, &dec, body, sizeof body, &m);
  ck_assert_int_eq(m.type, DUSK_MSG_HELLO);
  ck_assert_uint_eq(m.u.hello.nonce.len, DUSK_NONCE_LEN);
  ck_assert_int_eq(dusk_auth_mac(tok, m.u.hello.nonce, mac), 0);
  memset(&reply, 0, sizeof reply);
  reply.type = DUSK_MSG_AUTH;
  reply.u.auth.role = DUSK_ROLE_CLIENT;
  reply.u.auth.version = DUSK_PROTO_VERSION;
  reply.u.auth.mac.ptr = (const char *)mac;
  reply.u.auth.mac.len = sizeof mac;
  dusk_buf_init(&out);
  ck_assert_int_eq(dusk_msg_encode(&reply, &out), 0);
  send_all(fd, out.data, out.len);
  dusk_buf_destroy(&out);
  recv_msg(fd, &dec, body, sizeof body, &m);
  ck_assert_int_eq(m.type, DUSK_MSG_AUTH_OK);
  dusk_msg_decoder_destroy(&dec);
}

/* VmPeak of pid in kB (the high-water mark of its address space), or -1. */
static long vm_peak_kb(pid_t pid) {
  char path[64], *status, *p;
  long kb = -1;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  status = tu_read_file(path);
  if (status == NULL)
    return -1;
  if ((p = strstr(status, "VmPeak:")) != NULL)
    sscanf(p + 7, "%ld", &kb);
  free(status);
  return kb;
}

/* Sends a SUBMIT header declaring a 1 GB body, then a few body bytes; the
 * scheduler must close the connection on the header alone. */
static void send_huge_header(int fd) {
  char hdr[DUSK_WIRE_HEADER_SIZE];
  char some_body[256];
  dusk_wire_header_encode(hdr, DUSK_MSG_SUBMIT, ONE_GB);
  memset(some_body, 0x90, sizeof some_body);
  send_all(fd, hdr, sizeof hdr);
  /* The peer may already have closed: a failed send is fine here. */
  (void)!send(fd, some_body, sizeof some_body, MSG_NOSIGNAL);
}

static void check_logged_peer(int local_port) {
  char peer[32];
  const char *needles[] = {peer, NULL};
  char *line;
  snprintf(peer, sizeof peer, "127.0.0.1:%d", local_port);
  line = wait_log_line(env.sched_log, needles);
  ck_assert_msg(line != NULL, "scheduler log does not name peer %s", peer);
  free(line);
}

/* ---- (a) wrong token ----------------------------------------------------- */

/* Connects with token and expects a refusal that mentions authentication. */
static void expect_refused(const char *token) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  int rc = dusk_client_connect(env.address, token, WAIT_MS, &c, &err);
  ck_assert_msg(rc != 0, "connected with token %s", token ? token : "(none)");
  ck_assert_ptr_null(c);
  ck_assert_int_eq(err.code, rc);
  ck_assert_msg(strstr(err.message, "authentication") != NULL,
                "refusal does not mention authentication: %s", err.message);
}

START_TEST(test_wrong_token_refused_and_logged) {
  const char *needles[] = {"authentication failed", NULL};
  char *line, *peer;
  int port = 0;

  start_scheduler();
  expect_refused(WRONG_TOKEN);
  line = wait_log_line(env.sched_log, needles);
  ck_assert_msg(line != NULL, "scheduler log has no 'authentication failed'");
  /* The line names the peer: "... authentication failed for IP:PORT ...". */
  peer = strstr(line, "authentication failed for ");
  ck_assert_msg(peer != NULL, "no peer after the failure in: %s", line);
  if (sscanf(peer, "authentication failed for 127.0.0.1:%d", &port) != 1)
    port = 0;
  ck_assert_msg(port > 0 && port < 65536 && port != env.port,
                "no client address in: %s", line);
  free(line);
}
END_TEST

/* ---- (b) the right token still works afterwards -------------------------- */

START_TEST(test_right_token_served_after_refusal) {
  start_scheduler();
  start_worker();
  expect_refused(WRONG_TOKEN);
  expect_refused(WRONG_TOKEN);
  check_served("after-wrong-token", 17);
}
END_TEST

/* ---- (c) no token off loopback ------------------------------------------- */

START_TEST(test_no_token_file_off_loopback_refused) {
  char *argv[] = {env.sched_bin, "--host",      "0.0.0.0", "--port",
                  "0",           "--log-level", "info",    NULL};
  char *log;
  int status = 0, rc;
  pid_t pid = tu_spawn(argv, env.sched_log, -1);
  ck_assert_int_gt(pid, 0);
  rc = tu_wait_exit(pid, WAIT_MS, &status);
  if (rc == 0)
    tu_stop_child(pid, 5000);
  ck_assert_msg(rc == 1, "dusk-scheduler kept running on 0.0.0.0 without a "
                         "token");
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0,
                "dusk-scheduler ended with status 0x%x", status);
  log = tu_read_file(env.sched_log);
  ck_assert_ptr_nonnull(log);
  ck_assert_msg(strstr(log, "token") != NULL,
                "the refusal does not mention the token: %s", log);
  free(log);
}
END_TEST

/* ---- (d) no token against a protected scheduler ------------------------- */

START_TEST(test_client_without_token_refused) {
  const char *needles[] = {"authentication failed", NULL};
  char *line;
  start_scheduler();
  start_worker();
  expect_refused(NULL);
  line = wait_log_line(env.sched_log, needles);
  ck_assert_msg(line != NULL, "scheduler log has no 'authentication failed'");
  free(line);
  check_served("after-no-token", 5);
}
END_TEST

/* ---- (e) garbage and oversized frames ------------------------------------ */

START_TEST(test_garbage_bytes_close_connection) {
  uint64_t x = 0x9e3779b97f4a7c15ull; /* fixed seed: reproducible bytes */
  start_scheduler();
  start_worker();
  for (int round = 0; round < 3; round++) {
    unsigned char junk[64];
    int local_port, fd;
    for (size_t i = 0; i < sizeof junk; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      junk[i] = (unsigned char)(x >> 32);
    }
    fd = raw_connect(env.port, &local_port);
    send_all(fd, junk, sizeof junk);
    ck_assert_msg(wait_closed(fd), "round %d: connection left open", round);
    close(fd);
    check_logged_peer(local_port);
  }
  ck_assert_int_eq(tu_wait_exit(env.sched, 0, NULL), 0);
  check_served("after-garbage", 23);
}
END_TEST

/* The scheduler dies (SIGKILL) with a graph in flight: the client's wait
 * ends with a clear error instead of hanging; a scheduler restarted on the
 * same port is found again by the worker (reconnect with backoff), which
 * re-registers, and work runs again. */
START_TEST(test_scheduler_restart) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  dusk_graph *g;
  const char *key = "long-nap";
  int rc, port;
  start_scheduler();
  start_worker();
  port = env.port;
  rc = dusk_client_connect(env.address, TOKEN, WAIT_MS, &c, &err);
  ck_assert_msg(rc == 0, "%s", err.message);
  g = dusk_graph_new();
  ck_assert_int_eq(dusk_graph_add_int(g, key, "sleep_ms", 60000, NULL, 0), 0);
  ck_assert_int_eq(dusk_client_submit(c, g, &key, 1, WAIT_MS, &err), 0);
  dusk_graph_free(g);
  ck_assert_int_eq(kill(env.sched, SIGKILL), 0);
  ck_assert_int_eq(tu_wait_exit(env.sched, WAIT_MS, NULL), 1); /* reaped */
  env.sched = 0;
  rc = dusk_client_wait(c, &key, 1, WAIT_MS, &err);
  ck_assert_msg(rc == DUSK_ECLOSED, "wait gave %s: %s", dusk_strerror(rc),
                err.message);
  ck_assert_ptr_nonnull(strstr(err.message, "gone"));
  dusk_client_free(c);
  /* The worker keeps trying, slowly: it must still be alive. */
  ck_assert_int_eq(kill(env.worker, 0), 0);
  start_scheduler_on(port);
  /* check_served waits (bounded) for the worker to re-register and runs a
   * graph on it. */
  check_served("after-restart", 9);
}
END_TEST

/* A peer that connects and never says anything (or stops half-way through
 * the handshake) is cut after --handshake-ms, logged with its address,
 * while real clients keep being served. */
START_TEST(test_silent_peer_cut_after_handshake_deadline) {
  int local_port, fd, fd2, local2;
  char hdr[4] = {'D', 'K', 1, 2}; /* the start of a frame, never finished */
  start_scheduler();
  start_worker();
  fd = raw_connect(env.port, &local_port);
  fd2 = raw_connect(env.port, &local2);
  send_all(fd2, hdr, sizeof hdr);
  check_served("during-silence", 5);
  ck_assert_msg(wait_closed(fd), "a silent peer was left connected");
  ck_assert_msg(wait_closed(fd2), "a half-sent frame was left connected");
  close(fd);
  close(fd2);
  {
    const char *needles[] = {"did not finish the handshake", NULL};
    char *line = wait_log_line(env.sched_log, needles);
    ck_assert_msg(line != NULL, "the cut peer was not logged");
    free(line);
  }
  check_served("after-silence", 6);
}
END_TEST

/* A worker stopped with SIGTERM hands the results still wanted over to
 * another worker before it goes: the scheduler logs the hand-over, the
 * client gathers the value from its new place, and nothing is recomputed. */
START_TEST(test_sigterm_worker_hands_results_over) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  dusk_graph *g;
  const char *key = "held-by-leaver";
  int64_t got = 0;
  size_t n = 0;
  pid_t leaver;
  int st = 0;
  char *argv[] = {env.worker_bin, env.address, "--token-file",
                  env.token_file, "--log-level", "info", NULL};
  start_scheduler();
  /* The leaver is the only worker when the task runs, so it holds it. */
  leaver = tu_spawn(argv, env.worker_log, -1);
  ck_assert_int_gt(leaver, 0);
  ck_assert_int_eq(dusk_client_connect(env.address, TOKEN, WAIT_MS, &c, &err),
                   0);
  ck_assert_int_eq(dusk_client_workers(c, 1, WAIT_MS, NULL, 0, &n, NULL, &err),
                   0);
  g = dusk_graph_new();
  ck_assert_int_eq(dusk_graph_add_int(g, key, "add", 41, NULL, 0), 0);
  ck_assert_int_eq(dusk_client_submit(c, g, &key, 1, WAIT_MS, &err), 0);
  dusk_graph_free(g);
  ck_assert_int_eq(dusk_client_wait(c, &key, 1, WAIT_MS, &err), 0);
  start_worker(); /* env.worker: the one that stays */
  ck_assert_int_eq(dusk_client_workers(c, 2, WAIT_MS, NULL, 0, &n, NULL, &err),
                   0);
  kill(leaver, SIGTERM);
  ck_assert_msg(tu_wait_exit(leaver, IO_MS, &st) == 1,
                "the leaving worker did not exit");
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  {
    const char *needles[] = {"left the cluster, 1 results handed over", NULL};
    char *line = wait_log_line(env.sched_log, needles);
    ck_assert_msg(line != NULL, "no hand-over in the scheduler's log");
    free(line);
  }
  ck_assert_msg(dusk_client_gather_int(c, key, WAIT_MS, &got, &err) == 0,
                "gather after the leave: %s", err.message);
  ck_assert_int_eq(got, 41);
  dusk_client_free(c);
}
END_TEST

/* How many lines of the scheduler's log name peer 127.0.0.1:port as
 * dropped. */
static int dropped_lines(const char *log, int port) {
  char needle[48];
  int n = 0;
  snprintf(needle, sizeof needle, "peer 127.0.0.1:%d dropped", port);
  for (const char *p = log; (p = strstr(p, needle)) != NULL; p++)
    n++;
  return n;
}

/* A flood: 300 connections at once, half silent, half sending garbage,
 * while a real client is served; each is cut and reported exactly once. */
START_TEST(test_connection_flood) {
  enum { N = 300 };
  int fds[N], ports[N];
  char *log;
  struct rlimit rl;
  /* Room for the flood in this process and in the scheduler it starts. */
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < 4 * N) {
    rl.rlim_cur = rl.rlim_max < 4 * N ? rl.rlim_max : 4 * N;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  start_scheduler();
  start_worker();
  for (int i = 0; i < N; i++) {
    fds[i] = raw_connect(env.port, &ports[i]);
    if (i % 2 == 1) {
      char junk[64];
      for (size_t k = 0; k < sizeof junk; k++)
        junk[k] = (char)(i * 37 + (int)k * 11);
      send_all(fds[i], junk, sizeof junk);
    }
  }
  check_served("during-flood", 12);
  for (int i = 0; i < N; i++) {
    ck_assert_msg(wait_closed(fds[i]), "flood peer %d was left connected", i);
    close(fds[i]);
  }
  check_served("after-flood", 13);
  /* Every one reported, once (the log may trail the closes a little). */
  for (uint64_t deadline = tu_now_ms() + IO_MS;; tu_nap_ms(20)) {
    int reported = 0;
    log = tu_read_file(env.sched_log);
    ck_assert_ptr_nonnull(log);
    for (int i = 0; i < N; i++) {
      int times = dropped_lines(log, ports[i]);
      ck_assert_msg(times <= 1, "flood peer port %d reported %d times",
                    ports[i], times);
      reported += times;
    }
    free(log);
    if (reported == N)
      break;
    ck_assert_msg(tu_now_ms() < deadline, "only %d of %d flood peers reported",
                  reported, N);
  }
}
END_TEST

START_TEST(test_huge_frame_header_refused) {
  long before, after;
  int local_port, fd;

  start_scheduler();
  start_worker();
  before = vm_peak_kb(env.sched);
  ck_assert_int_gt(before, 0);

  /* Before the handshake, frames are capped small. */
  fd = raw_connect(env.port, &local_port);
  send_huge_header(fd);
  ck_assert_msg(wait_closed(fd), "unauthenticated 1 GB header: connection "
                                 "left open");
  close(fd);
  check_logged_peer(local_port);

  /* After the handshake, the configured max frame (64 MiB) still refuses. */
  fd = raw_connect(env.port, &local_port);
  raw_handshake(fd);
  send_huge_header(fd);
  ck_assert_msg(wait_closed(fd), "authenticated 1 GB header: connection "
                                 "left open");
  close(fd);
  check_logged_peer(local_port);

  /* Neither declared body was reserved: the address space never grew by
   * anything like 1 GB (an untouched malloc would still count here). */
  after = vm_peak_kb(env.sched);
  ck_assert_int_gt(after, 0);
  ck_assert_msg(after - before < 256 * 1024,
                "scheduler VmPeak grew from %ld kB to %ld kB", before, after);
  ck_assert_int_eq(tu_wait_exit(env.sched, 0, NULL), 0);
  check_served("after-huge-header", 29);
}
END_TEST

/* ---- (f) another protocol version ----------------------------------------
 * Each refusal must reach the other side as a sentence naming both
 * versions - in a frame of that side's own version, so that it can read it -
 * and the refusing side logs the same with the peer's address. */

/* Versions a dusk before and after this one would speak. */
static const unsigned other_versions[] = {DUSK_PROTO_VERSION - 1,
                                          DUSK_PROTO_VERSION + 1};

/* Plays a dusk `role` of protocol `version` knocking at port (a scheduler
 * or a worker's data port, whose role is listener_role): it reads the
 * HELLO, answers AUTH in its own version and must get an ERROR, in its own
 * version, naming both.  Returns the local port, for the log check. */
static int knock_as_version(int port, uint8_t role, unsigned version,
                            const char *listener_role) {
  dusk_msg_decoder dec;
  dusk_msg m, auth;
  dusk_buf out;
  char body[4096], want[256];
  uint8_t mac[DUSK_MAC_LEN];
  dusk_slice tok = {TOKEN, strlen(TOKEN)};
  unsigned got_version = 0;
  int local_port, fd = raw_connect(port, &local_port);

  ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
  recv_msg(fd, &dec, body, sizeof body, &m);
  ck_assert_int_eq(m.type, DUSK_MSG_HELLO);
  ck_assert_uint_eq(m.u.hello.version, DUSK_PROTO_VERSION);
  ck_assert_int_eq(dusk_auth_mac(tok, m.u.hello.nonce, mac), 0);
  memset(&auth, 0, sizeof auth);
  auth.type = DUSK_MSG_AUTH;
  auth.u.auth.role = role;
  auth.u.auth.version = version;
  auth.u.auth.mac.ptr = (const char *)mac;
  auth.u.auth.mac.len = sizeof mac;
  dusk_buf_init(&out);
  encode_as(&auth, version, &out);
  send_all(fd, out.data, out.len);
  dusk_buf_destroy(&out);

  recv_frame(fd, &dec, body, sizeof body, &m, &got_version);
  ck_assert_int_eq(m.type, DUSK_MSG_ERROR);
  ck_assert_uint_eq(got_version, version);
  ck_assert_int_eq(m.u.error.code, DUSK_EVERSION);
  snprintf(want, sizeof want, "%s speaks dusk protocol %u, this %s speaks %u",
           listener_role, DUSK_PROTO_VERSION, dusk_role_name(role), version);
  ck_assert_msg(m.u.error.message.len < sizeof body &&
                    memmem(m.u.error.message.ptr, m.u.error.message.len,
                           want, strlen(want)) != NULL,
                "refusal '%.*s' does not say '%s'",
                (int)m.u.error.message.len, m.u.error.message.ptr, want);
  ck_assert_msg(wait_closed(fd), "connection left open after the refusal");
  close(fd);
  dusk_msg_decoder_destroy(&dec);
  return local_port;
}

/* The log at path has a line naming the peer at local_port, its role and
 * version, and ours. */
static void check_version_logged(const char *path, const char *peer_role,
                                 int local_port, unsigned version,
                                 const char *our_role) {
  char want[160];
  const char *needles[] = {want, NULL};
  char *line;
  snprintf(want, sizeof want,
           "%s 127.0.0.1:%d speaks dusk protocol %u, this %s speaks %u",
           peer_role, local_port, version, our_role, DUSK_PROTO_VERSION);
  line = wait_log_line(path, needles);
  ck_assert_msg(line != NULL, "%s has no line '%s'", path, want);
  free(line);
}

START_TEST(test_scheduler_refuses_other_version) {
  start_scheduler();
  for (size_t i = 0; i < 2; i++) {
    int p = knock_as_version(env.port, DUSK_ROLE_CLIENT, other_versions[i],
                             "scheduler");
    check_version_logged(env.sched_log, "client", p, other_versions[i],
                         "scheduler");
    p = knock_as_version(env.port, DUSK_ROLE_WORKER, other_versions[i],
                         "scheduler");
    check_version_logged(env.sched_log, "worker", p, other_versions[i],
                         "scheduler");
  }
  ck_assert_int_eq(tu_wait_exit(env.sched, 0, NULL), 0);
}
END_TEST

/* A worker's data port (clients gathering, workers fetching inputs). */
START_TEST(test_worker_data_port_refuses_other_version) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  dusk_worker_status ws;
  size_t n = 0;
  int port, p;
  char *colon;
  start_scheduler();
  start_worker();
  ck_assert_int_eq(dusk_client_connect(env.address, TOKEN, WAIT_MS, &c, &err),
                   0);
  ck_assert_int_eq(
      dusk_client_workers(c, 1, WAIT_MS, &ws, 1, &n, NULL, &err), 0);
  dusk_client_free(c);
  colon = strrchr(ws.addr, ':');
  ck_assert_ptr_nonnull(colon);
  port = atoi(colon + 1);
  p = knock_as_version(port, DUSK_ROLE_CLIENT, DUSK_PROTO_VERSION + 1,
                       "worker");
  check_version_logged(env.worker_log, "client", p, DUSK_PROTO_VERSION + 1,
                       "worker");
  p = knock_as_version(port, DUSK_ROLE_PEER, DUSK_PROTO_VERSION - 1,
                       "worker");
  check_version_logged(env.worker_log, "worker", p, DUSK_PROTO_VERSION - 1,
                       "worker");
  check_served("after-other-version", 31);
}
END_TEST

/* A scheduler of another protocol version, played on a raw socket by a
 * thread: it sends its HELLO in its own version and records the ERROR it
 * gets back (no Check assertions off the test's thread). */
typedef struct fake_scheduler {
  int listen_fd, port;
  unsigned version;
  pthread_t thread;
  int got_error; /* 1: an ERROR frame came back */
  unsigned error_version;
  int64_t error_code;
  char message[DUSK_ERROR_MESSAGE_MAX];
} fake_scheduler;

static void *fake_scheduler_run(void *arg) {
  fake_scheduler *f = arg;
  struct pollfd pf = {f->listen_fd, POLLIN, 0};
  unsigned char hdr[DUSK_WIRE_HEADER_SIZE];
  char body[4096];
  uint8_t nonce[DUSK_NONCE_LEN] = {0};
  dusk_msg_decoder dec;
  dusk_msg m;
  dusk_buf out;
  dusk_slice s;
  uint32_t len;
  int fd;
  if (poll(&pf, 1, IO_MS) != 1 ||
      (fd = accept(f->listen_fd, NULL, NULL)) < 0)
    return NULL;
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_HELLO;
  m.u.hello.version = f->version;
  m.u.hello.role = DUSK_ROLE_SCHEDULER;
  m.u.hello.nonce.ptr = (const char *)nonce;
  m.u.hello.nonce.len = sizeof nonce;
  dusk_buf_init(&out);
  if (dusk_msg_encode(&m, &out) == 0) {
    out.data[DUSK_WIRE_VERSION_OFFSET] = (char)f->version;
    (void)!send(fd, out.data, out.len, MSG_NOSIGNAL);
  }
  dusk_buf_destroy(&out);
  if (dusk_msg_decoder_init(&dec) != 0) {
    close(fd);
    return NULL;
  }
  if (recv_exact(fd, hdr, sizeof hdr) == 0 &&
      (len = ((uint32_t)hdr[4] << 24) | ((uint32_t)hdr[5] << 16) |
             ((uint32_t)hdr[6] << 8) | (uint32_t)hdr[7]) <= sizeof body &&
      recv_exact(fd, body, len) == 0) {
    s.ptr = body;
    s.len = len;
    if (dusk_msg_decode(&dec, hdr[3], s, &m, NULL) == 0 &&
        m.type == DUSK_MSG_ERROR) {
      f->got_error = 1;
      f->error_version = hdr[DUSK_WIRE_VERSION_OFFSET];
      f->error_code = m.u.error.code;
      snprintf(f->message, sizeof f->message, "%.*s",
               (int)m.u.error.message.len, m.u.error.message.ptr);
    }
  }
  dusk_msg_decoder_destroy(&dec);
  close(fd);
  return NULL;
}

static void fake_scheduler_start(fake_scheduler *f, unsigned version) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  memset(f, 0, sizeof *f);
  f->version = version;
  f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(f->listen_fd, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_int_eq(bind(f->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(listen(f->listen_fd, 4), 0);
  ck_assert_int_eq(getsockname(f->listen_fd, (struct sockaddr *)&a, &len), 0);
  f->port = ntohs(a.sin_port);
  ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_scheduler_run, f),
                   0);
}

/* Joins the thread and checks what the dusk process told the fake:
 * "<role> speaks dusk protocol OURS, this scheduler speaks OTHER", in the
 * fake's own version. */
static void fake_scheduler_finish(fake_scheduler *f, const char *role) {
  char want[160];
  ck_assert_int_eq(pthread_join(f->thread, NULL), 0);
  close(f->listen_fd);
  ck_assert_msg(f->got_error, "no ERROR frame came back to the scheduler of "
                              "protocol %u", f->version);
  ck_assert_uint_eq(f->error_version, f->version);
  ck_assert_int_eq(f->error_code, DUSK_EVERSION);
  snprintf(want, sizeof want,
           "%s speaks dusk protocol %u, this scheduler speaks %u", role,
           DUSK_PROTO_VERSION, f->version);
  ck_assert_msg(strstr(f->message, want) != NULL,
                "the scheduler was told '%s', not '%s'", f->message, want);
}

START_TEST(test_client_refuses_scheduler_of_other_version) {
  for (size_t i = 0; i < 2; i++) {
    fake_scheduler f;
    dusk_client *c = NULL;
    dusk_error err = {0};
    char address[64], want[160];
    int rc;
    fake_scheduler_start(&f, other_versions[i]);
    snprintf(address, sizeof address, "tcp://127.0.0.1:%d", f.port);
    rc = dusk_client_connect(address, TOKEN, WAIT_MS, &c, &err);
    ck_assert_int_eq(rc, DUSK_EVERSION);
    ck_assert_ptr_null(c);
    snprintf(want, sizeof want,
             "scheduler 127.0.0.1:%d speaks dusk protocol %u, this client "
             "speaks %u",
             f.port, other_versions[i], DUSK_PROTO_VERSION);
    ck_assert_msg(strstr(err.message, want) != NULL,
                  "client error '%s' does not say '%s'", err.message, want);
    fake_scheduler_finish(&f, "client");
  }
}
END_TEST

START_TEST(test_worker_refuses_scheduler_of_other_version) {
  fake_scheduler f;
  char address[64], want[160];
  const char *needles[] = {want, NULL};
  char *line;
  char *argv[] = {env.worker_bin, address, "--token-file", env.token_file,
                  "--log-level", "info", NULL};
  fake_scheduler_start(&f, DUSK_PROTO_VERSION + 1);
  snprintf(address, sizeof address, "tcp://127.0.0.1:%d", f.port);
  env.worker = tu_spawn(argv, env.worker_log, -1);
  ck_assert_int_gt(env.worker, 0);
  fake_scheduler_finish(&f, "worker");
  snprintf(want, sizeof want,
           "scheduler 127.0.0.1:%d speaks dusk protocol %u, this worker "
           "speaks %u",
           f.port, DUSK_PROTO_VERSION + 1, DUSK_PROTO_VERSION);
  line = wait_log_line(env.worker_log, needles);
  ck_assert_msg(line != NULL, "worker log has no '%s'", want);
  free(line);
}
END_TEST

static Suite *security_suite(void) {
  Suite *s = suite_create("security");
  TCase *tc = tcase_create("front_door");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_wrong_token_refused_and_logged);
  tcase_add_test(tc, test_right_token_served_after_refusal);
  tcase_add_test(tc, test_no_token_file_off_loopback_refused);
  tcase_add_test(tc, test_client_without_token_refused);
  tcase_add_test(tc, test_garbage_bytes_close_connection);
  tcase_add_test(tc, test_huge_frame_header_refused);
  tcase_add_test(tc, test_silent_peer_cut_after_handshake_deadline);
  tcase_add_test(tc, test_scheduler_restart);
  tcase_add_test(tc, test_connection_flood);
  tcase_add_test(tc, test_sigterm_worker_hands_results_over);
  tcase_add_test(tc, test_scheduler_refuses_other_version);
  tcase_add_test(tc, test_worker_data_port_refuses_other_version);
  tcase_add_test(tc, test_client_refuses_scheduler_of_other_version);
  tcase_add_test(tc, test_worker_refuses_scheduler_of_other_version);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  /* A daemon closing a socket must not kill the test with SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  return tu_run_suite(security_suite());
}
