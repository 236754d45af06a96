/* check_worker.c - the worker's data port: `--port A-B` takes the first
 * port of the range that nothing listens on, so a firewall (an EC2
 * security group) can open a narrow range to a nanny's workers.
 *
 * The library on a loop of the test's own: with the range's first port held
 * by the test, a worker takes the next free one; a second worker the one
 * after; a range with every port held is refused naming it.  Then the real
 * processes: a nanny of three workers given a range (its first port held)
 * registers three workers whose data ports are distinct, inside the range,
 * and each the first free one (every port below the highest taken is in
 * use).  Ports come from the kernel (an ephemeral port the test listens
 * on starts each range), and "free" is checked by binding, never assumed.
 * Last, a result 20 times the worker's output queue is served whole (the
 * data port paces its sending by the connection's drain). */
#include "dusk.h"
#include "testutil.h"
#include "worker.h"

#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 60000
#define SPAN 24 /* ports in each range the tests use */

/* A socket listening on 127.0.0.1:port (0: an ephemeral one); its fd, or
 * -1 when the port is taken.  *bound receives the port. */
static int listen_on(int port, int *bound) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(fd, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  /* SO_REUSEADDR as the worker sets it, so a port counts as taken only
   * while something listens on it (not for TIME_WAIT leftovers). */
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0) {
    close(fd);
    return -1;
  }
  getsockname(fd, (struct sockaddr *)&a, &len);
  if (bound != NULL)
    *bound = ntohs(a.sin_port);
  return fd;
}

static int port_in_use(int port) {
  int fd = listen_on(port, NULL);
  if (fd < 0)
    return 1;
  close(fd);
  return 0;
}

/* Listens on an ephemeral port A with room for a range A..A+SPAN-1 below
 * 65536; returns the fd holding A. */
static int hold_range_start(int *a) {
  for (int tries = 0; tries < 100; tries++) {
    int fd = listen_on(0, a);
    if (*a + SPAN - 1 <= 65535)
      return fd;
    close(fd);
  }
  ck_abort_msg("no ephemeral port with room for a range after it");
  return -1;
}

/* Parses a worker's config from argv as dusk-worker would. */
static void worker_config(dusk_worker_config *cfg, const char *port) {
  char *argv[] = {"dusk-worker", "--port", (char *)port, "--log-level",
                  "error"};
  char *pos[1];
  int npos;
  dusk_error err = {0};
  ck_assert_msg(dusk_config_parse(dusk_worker_config_table,
                                  dusk_worker_config_count, cfg, 5, argv, pos,
                                  1, &npos, &err) == 0,
                "%s", err.message);
}

static void stop_worker(uv_loop_t *loop, dusk_worker *w) {
  dusk_worker_stop(w);
  uv_run(loop, UV_RUN_DEFAULT);
  dusk_worker_free(w);
}

/* Every port in (a, hi] that no worker took is in use by something else:
 * each worker took the first free one. */
static void check_first_free(int a, const int *taken, int n) {
  int hi = a;
  for (int i = 0; i < n; i++) {
    ck_assert_msg(taken[i] > a && taken[i] < a + SPAN,
                  "port %d outside (%d, %d]", taken[i], a, a + SPAN - 1);
    for (int j = 0; j < i; j++)
      ck_assert_msg(taken[i] != taken[j], "two workers on port %d",
                    taken[i]);
    if (taken[i] > hi)
      hi = taken[i];
  }
  for (int p = a + 1; p < hi; p++) {
    int mine = 0;
    for (int i = 0; i < n; i++)
      mine |= taken[i] == p;
    ck_assert_msg(mine || port_in_use(p),
                  "port %d was free, yet a worker took %d after it", p, hi);
  }
}

START_TEST(test_library_takes_first_free_port) {
  /* A loop each: a worker owns every handle on its loop (stopping walks
   * them all), as in its process. */
  uv_loop_t loop1, loop2;
  dusk_worker_config cfg;
  dusk_worker *w1 = NULL, *w2 = NULL;
  dusk_error err = {0};
  char range[32];
  int a, taken[2];
  int held = hold_range_start(&a);

  snprintf(range, sizeof range, "%d-%d", a, a + SPAN - 1);
  worker_config(&cfg, range);
  uv_loop_init(&loop1);
  uv_loop_init(&loop2);
  /* The scheduler's address refuses connections: the worker keeps trying
   * in the background, which does not matter to its data port. */
  ck_assert_msg(dusk_worker_new(&loop1, &cfg, "tcp://127.0.0.1:1", &w1,
                                &err) == 0,
                "%s", err.message);
  ck_assert_msg(dusk_worker_new(&loop2, &cfg, "tcp://127.0.0.1:1", &w2,
                                &err) == 0,
                "%s", err.message);
  taken[0] = dusk_worker_data_port(w1);
  taken[1] = dusk_worker_data_port(w2);
  ck_assert_int_lt(taken[0], taken[1]);
  check_first_free(a, taken, 2);
  /* The worker listens there (for peers and clients). */
  ck_assert(port_in_use(taken[0]) && port_in_use(taken[1]));
  stop_worker(&loop1, w1);
  stop_worker(&loop2, w2);
  ck_assert_int_eq(uv_loop_close(&loop1), 0);
  ck_assert_int_eq(uv_loop_close(&loop2), 0);
  /* Stopped, the ports are free again. */
  ck_assert(!port_in_use(taken[0]) && !port_in_use(taken[1]));
  close(held);
}
END_TEST

START_TEST(test_library_refuses_full_range) {
  uv_loop_t loop;
  dusk_worker_config cfg;
  dusk_worker *w = NULL;
  dusk_error err = {0};
  char range[32], want[64];
  int a, b, held = hold_range_start(&a), held2 = listen_on(a + 1, &b);

  if (held2 < 0) /* someone else's: the range is full either way */
    ck_assert(port_in_use(a + 1));
  snprintf(range, sizeof range, "%d-%d", a, a + 1);
  worker_config(&cfg, range);
  uv_loop_init(&loop);
  ck_assert_int_eq(dusk_worker_new(&loop, &cfg, "tcp://127.0.0.1:1", &w, &err),
                   UV_EADDRINUSE);
  snprintf(want, sizeof want, "every port of %d-%d is in use", a, a + 1);
  ck_assert_msg(strstr(err.message, want) != NULL, "'%s' does not say '%s'",
                err.message, want);
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
  close(held);
  if (held2 >= 0)
    close(held2);
}
END_TEST

/* The port of a worker's "host:port" address. */
static int addr_port(const char *addr) {
  const char *colon = strrchr(addr, ':');
  ck_assert_ptr_nonnull(colon);
  return atoi(colon + 1);
}

/* Starts dusk-scheduler on a free port (logging to log_path) and waits
 * for its READY: its pid; address receives its tcp:// address and
 * worker_bin the dusk-worker binary's path (PATH_MAX bytes). */
static pid_t start_scheduler(const char *log_path, char *worker_bin,
                             char *address, size_t address_size) {
  char sched_bin[PATH_MAX];
  int fds[2], port;
  pid_t sched;
  char *argv[] = {sched_bin, "--port", "0", "--ready-fd", "3", NULL};
  ck_assert_int_eq(tu_bin_path("dusk-scheduler", sched_bin, sizeof sched_bin),
                   0);
  ck_assert_int_eq(tu_bin_path("dusk-worker", worker_bin, PATH_MAX), 0);
  ck_assert_int_eq(pipe(fds), 0);
  sched = tu_spawn(argv, log_path, fds[1]);
  close(fds[1]);
  ck_assert_int_gt(sched, 0);
  port = tu_read_ready(fds[0], WAIT_MS);
  close(fds[0]);
  ck_assert_msg(port > 0, "dusk-scheduler did not say READY");
  snprintf(address, address_size, "tcp://127.0.0.1:%d", port);
  return sched;
}

START_TEST(test_nanny_workers_take_a_port_each) {
  char worker_bin[PATH_MAX], address[64], range[32];
  char log_path[PATH_MAX];
  char dir[] = "/tmp/dusk-check-worker-XXXXXX";
  dusk_worker_status ws[4];
  dusk_client *c = NULL;
  dusk_error err = {0};
  size_t n = 0;
  int a, taken[3];
  pid_t sched, nanny;
  int held;

  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(log_path, sizeof log_path, "%s/daemons.log", dir);
  sched = start_scheduler(log_path, worker_bin, address, sizeof address);
  held = hold_range_start(&a);
  snprintf(range, sizeof range, "%d-%d", a, a + SPAN - 1);
  {
    char *argv[] = {worker_bin, address, "--nworkers", "3", "--port", range,
                    NULL};
    nanny = tu_spawn(argv, log_path, -1);
    ck_assert_int_gt(nanny, 0);
  }
  ck_assert_msg(dusk_client_connect(address, NULL, WAIT_MS, &c, &err) == 0,
                "connect: %s", err.message);
  ck_assert_msg(dusk_client_workers(c, 3, WAIT_MS, ws, 4, &n, NULL, &err) ==
                    0,
                "three workers never registered: %s", err.message);
  ck_assert_uint_eq(n, 3);
  for (size_t i = 0; i < n; i++)
    taken[i] = addr_port(ws[i].addr);
  check_first_free(a, taken, 3);
  dusk_client_free(c);
  ck_assert_int_eq(tu_stop_child(nanny, 10000), 0);
  tu_stop_child(sched, 10000);
  close(held);
  unlink(log_path);
  rmdir(dir);
}
END_TEST

/* A result far past the worker's output queue (--max-outbuf 1 MiB, data
 * chunks of 64 KiB): served a chunk at a time as the connection drains,
 * so the client gathers all 20 MB.  Queued at once, it would pass the
 * bound and the worker would cut the client off as a peer that "does not
 * read" (a part's final fetching many picks from one worker did). */
START_TEST(test_result_past_the_output_queue_is_served) {
  char worker_bin[PATH_MAX], plugin[PATH_MAX];
  char address[64], log_path[PATH_MAX];
  char dir[] = "/tmp/dusk-check-worker-XXXXXX";
  const char *key = "twenty-megabytes";
  const size_t big = 20000000;
  dusk_worker_status ws[2];
  dusk_client *c = NULL;
  dusk_graph *g = dusk_graph_new();
  dusk_error err = {0};
  void *out = NULL;
  size_t n = 0, len = 0;
  pid_t sched, nanny;

  ck_assert_ptr_nonnull(g);
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(log_path, sizeof log_path, "%s/daemons.log", dir);
  ck_assert_int_eq(
      tu_bin_path("dusk_example_plugin.so", plugin, sizeof plugin), 0);
  sched = start_scheduler(log_path, worker_bin, address, sizeof address);
  {
    char *argv[] = {worker_bin,     address,   "--nworkers",  "1",
                    "--plugin",     plugin,    "--max-outbuf", "1048576",
                    "--data-chunk", "65536",   NULL};
    nanny = tu_spawn(argv, log_path, -1);
    ck_assert_int_gt(nanny, 0);
  }
  ck_assert_msg(dusk_client_connect(address, NULL, WAIT_MS, &c, &err) == 0,
                "connect: %s", err.message);
  ck_assert_msg(dusk_client_workers(c, 1, WAIT_MS, ws, 2, &n, NULL, &err) ==
                    0,
                "the worker never registered: %s", err.message);
  ck_assert_int_eq(dusk_graph_add_int(g, key, "bytes", (int64_t)big, NULL, 0),
                   0);
  ck_assert_msg(dusk_client_submit(c, g, &key, 1, WAIT_MS, &err) == 0,
                "submit: %s", err.message);
  dusk_graph_free(g);
  ck_assert_msg(dusk_client_gather(c, &key, 1, WAIT_MS, &out, &len, &err) ==
                    0,
                "gather past the output queue failed: %s", err.message);
  ck_assert_uint_eq(len, big + 5); /* msgpack bin32 header, then the bytes */
  for (size_t i = 0; i < big; i += 99991)
    ck_assert_uint_eq(((const unsigned char *)out)[5 + i],
                      (unsigned char)(char)(i * 31 + 7));
  free(out);
  dusk_client_free(c);
  ck_assert_int_eq(tu_stop_child(nanny, 10000), 0);
  tu_stop_child(sched, 10000);
  unlink(log_path);
  rmdir(dir);
}
END_TEST

static Suite *worker_suite(void) {
  Suite *s = suite_create("worker");
  TCase *tc = tcase_create("ports");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_library_takes_first_free_port);
  tcase_add_test(tc, test_library_refuses_full_range);
  tcase_add_test(tc, test_nanny_workers_take_a_port_each);
  tcase_add_test(tc, test_result_past_the_output_queue_is_served);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(worker_suite()); }
