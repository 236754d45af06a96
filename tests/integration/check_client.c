/* check_client.c - libdusk's failure paths against a scripted peer.
 *
 * The peer is a fake scheduler that is also a worker's data port, built on
 * proto's connection layer and run in a forked child: it answers every
 * wanted key of a SUBMIT with "in memory, id 1, here" and serves id 1 as
 * the integer 41.  Scripted misbehaviour: a key named "gone" is announced
 * again and again but never served (a result that keeps disappearing), and
 * a deaf peer stops reading once the handshake is done.  Running out of
 * memory comes from allocfail.h: each allocation of a call fails in turn.
 *
 * Nothing sleeps and hopes: the child announces its port with a READY line,
 * every wait has a bound, and no assertion is on elapsed time. */
#include "allocfail.h"
#include "conn.h"
#include "dusk.h"
#include "msg.h"
#include "testutil.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Bound on calls that should return quickly: generous for ASan on 2 cores. */
#define WAIT_MS 60000
/* Re-announce interval of the "gone" key. */
#define AGAIN_MS 5

enum { FAKE_SERVE = 1, FAKE_DEAF = 2 };

typedef struct fake {
  int mode;
  uv_loop_t loop;
  dusk_net net;
  uv_tcp_t server;
  int port;
  dusk_conn *client; /* the conn that submitted "gone" */
  uv_timer_t again;
} fake;

static void key_state(fake *f, dusk_conn *c, dusk_slice key) {
  char addr[64];
  dusk_msg m;
  snprintf(addr, sizeof addr, "127.0.0.1:%d", f->port);
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_KEY_STATE;
  m.u.key_state.key = key;
  m.u.key_state.state = DUSK_KEY_MEMORY;
  m.u.key_state.id = key.len == 4 && memcmp(key.ptr, "gone", 4) == 0 ? 2 : 1;
  m.u.key_state.addr.ptr = addr;
  m.u.key_state.addr.len = strlen(addr);
  m.u.key_state.nbytes = 1;
  m.u.key_state.erred_key.ptr = m.u.key_state.op.ptr =
      m.u.key_state.message.ptr = "";
  ck_assert_int_eq(dusk_conn_send(c, &m), 0);
}

/* The scheduler recomputed "gone" and says where it is (again). */
static void on_again(uv_timer_t *t) {
  fake *f = t->data;
  dusk_slice gone = {"gone", 4};
  if (f->client != NULL)
    key_state(f, f->client, gone);
}

static void fake_ready(dusk_conn *c) {
  fake *f = c->data;
  if (f->mode == FAKE_DEAF)
    uv_read_stop((uv_stream_t *)&c->tcp);
}

static void fake_msg(dusk_conn *c, const dusk_msg *m) {
  fake *f = c->data;
  dusk_msg r;
  char val[16];
  dusk_buf b = {val, 0, sizeof val};
  switch (m->type) {
  case DUSK_MSG_SUBMIT:
    for (uint32_t i = 0; i < m->u.submit.nwanted; i++) {
      dusk_slice k = m->u.submit.wanted[i];
      key_state(f, c, k);
      if (k.len == 4 && memcmp(k.ptr, "gone", 4) == 0) {
        f->client = c;
        uv_timer_start(&f->again, on_again, AGAIN_MS, AGAIN_MS);
      }
    }
    return;
  case DUSK_MSG_GET_DATA:
    memset(&r, 0, sizeof r);
    r.type = DUSK_MSG_DATA;
    r.u.data.id = m->u.get_data.id;
    if (m->u.get_data.id == 1) {
      ck_assert_int_eq(dusk_mp_write_int(&b, 41), 0); /* fits: no realloc */
      r.u.data.found = true;
      r.u.data.total = b.len;
      r.u.data.bytes.ptr = b.data;
      r.u.data.bytes.len = b.len;
    }
    ck_assert_int_eq(dusk_conn_send(c, &r), 0);
    return;
  default:
    return;
  }
}

static void fake_close(dusk_conn *c, int code, const char *reason) {
  fake *f = c->data;
  (void)code;
  (void)reason;
  if (c == f->client) {
    f->client = NULL;
    uv_timer_stop(&f->again);
  }
}

static const dusk_conn_handler fake_handler = {fake_ready, fake_msg,
                                               fake_close, NULL};

/* The child: listens, says READY <port> on fd, serves until killed. */
static void fake_run(int mode, int fd) {
  static fake f;
  dusk_error err = {0};
  char line[32];
  int n;
  f.mode = mode;
  uv_loop_init(&f.loop);
  uv_timer_init(&f.loop, &f.again);
  f.again.data = &f;
  if (dusk_net_init(&f.net, &f.loop, DUSK_ROLE_SCHEDULER, NULL) != 0 ||
      dusk_net_listen(&f.net, &f.server, "127.0.0.1", 0,
                      DUSK_ROLE_BIT(DUSK_ROLE_CLIENT), &fake_handler, &f,
                      &f.port, &err) != 0)
    _exit(3);
  n = snprintf(line, sizeof line, "READY %d\n", f.port);
  if (write(fd, line, (size_t)n) != n)
    _exit(4);
  close(fd);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  _exit(5);
}

static pid_t fake_pid;
static char fake_addr[64];

/* Starts the fake peer; stop it with tu_stop_child(fake_pid, ...). */
static void fake_start(int mode) {
  int fds[2], port;
  pid_t parent = getpid();
  ck_assert_int_eq(pipe(fds), 0);
  fake_pid = fork();
  ck_assert_int_ge(fake_pid, 0);
  if (fake_pid == 0) {
    close(fds[0]);
    /* Check's runner forwards SIGTERM to its whole process group: the
     * child must simply die of it. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(0);
    fake_run(mode, fds[1]);
  }
  close(fds[1]);
  port = tu_read_ready(fds[0], WAIT_MS);
  close(fds[0]);
  ck_assert_msg(port > 0, "the fake peer did not start");
  snprintf(fake_addr, sizeof fake_addr, "tcp://127.0.0.1:%d", port);
}

static void fake_stop(void) { tu_stop_child(fake_pid, 5000); }

static dusk_client *connect_ok(void) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  int rc = dusk_client_connect(fake_addr, NULL, WAIT_MS, &c, &err);
  ck_assert_msg(rc == 0, "connect: %s", err.message);
  return c;
}

/* Submits and waits for keys (the fake does not run the tasks). */
static void submit_wait_ok(dusk_client *c, const char *const *keys,
                           size_t n) {
  dusk_graph *g = dusk_graph_new();
  dusk_error err = {0};
  int rc;
  ck_assert_ptr_nonnull(g);
  for (size_t i = 0; i < n; i++)
    ck_assert_int_eq(dusk_graph_add_int(g, keys[i], "add", 1, NULL, 0), 0);
  rc = dusk_client_submit(c, g, keys, n, WAIT_MS, &err);
  dusk_graph_free(g);
  ck_assert_msg(rc == 0, "submit: %s", err.message);
  rc = dusk_client_wait(c, keys, n, WAIT_MS, &err);
  ck_assert_msg(rc == 0, "wait: %s", err.message);
}

/* out holds the fake's 41 (msgpack), and is freed. */
static void check_41(void *out, size_t len) {
  dusk_slice s = {out, len};
  int64_t v = 0;
  ck_assert_ptr_nonnull(out);
  ck_assert_int_eq(dusk_mp_read_int(s, &v), 0);
  ck_assert_int_eq(v, 41);
  free(out);
}

/* ---- gather names the key that failed ------------------------------------ */

/* "a" arrives; "gone" is announced again and again but never served.  The
 * error names "gone" and why, not whatever the first key's fetch said. */
START_TEST(test_gather_error_names_the_failing_key) {
  const char *keys[] = {"a", "gone"};
  void *out[2] = {NULL, NULL};
  size_t lens[2];
  dusk_error err = {0};
  dusk_client *c;
  int rc;
  fake_start(FAKE_SERVE);
  c = connect_ok();
  submit_wait_ok(c, keys, 2);
  rc = dusk_client_gather(c, keys, 2, WAIT_MS, out, lens, &err);
  ck_assert_int_eq(rc, DUSK_ENOTFOUND);
  ck_assert_int_eq(err.code, rc);
  ck_assert_msg(strstr(err.message, "'gone'") != NULL &&
                    strstr(err.message, "no longer holds it") != NULL,
                "the error does not name 'gone' and why: %s", err.message);
  ck_assert_ptr_null(out[0]);
  ck_assert_ptr_null(out[1]);
  /* The key that was fine is still fine. */
  rc = dusk_client_gather(c, keys, 1, WAIT_MS, out, lens, &err);
  ck_assert_msg(rc == 0, "gather of 'a': %s", err.message);
  check_41(out[0], lens[0]);
  dusk_client_free(c);
  fake_stop();
}
END_TEST

/* ---- submit is bounded --------------------------------------------------- */

/* A scheduler that stops reading: the graph (two parts, the first about
 * 40 MiB, more than the client queues before waiting) cannot go out.
 * submit returns DUSK_ETIMEDOUT within its timeout and closes the
 * connection, which later calls report. */
START_TEST(test_submit_times_out_on_a_deaf_scheduler) {
  enum { NTASKS = 20001, ARG = 2048 };
  dusk_graph *g = dusk_graph_new();
  char *arg = malloc(ARG + 1);
  const char *key = "t-20000";
  dusk_error err = {0};
  dusk_client *c;
  int rc;
  ck_assert_ptr_nonnull(g);
  ck_assert_ptr_nonnull(arg);
  memset(arg, 'x', ARG);
  arg[ARG] = '\0';
  for (int i = 0; i < NTASKS; i++) {
    char k[32];
    snprintf(k, sizeof k, "t-%d", i);
    ck_assert_int_eq(dusk_graph_add_str(g, k, "constant", arg, NULL, 0), 0);
  }
  free(arg);
  fake_start(FAKE_DEAF);
  c = connect_ok();
  rc = dusk_client_submit(c, g, &key, 1, 200, &err);
  ck_assert_msg(rc == DUSK_ETIMEDOUT, "submit returned %d: %s", rc,
                err.message);
  ck_assert_int_eq(err.code, rc);
  ck_assert_msg(strstr(err.message, "within 200 ms") != NULL &&
                    strstr(err.message, "closed") != NULL,
                "unexpected message: %s", err.message);
  /* Half a graph is out: the connection is gone, and says so. */
  rc = dusk_client_wait(c, &key, 1, WAIT_MS, &err);
  ck_assert_msg(rc == DUSK_ECLOSED, "wait returned %d: %s", rc, err.message);
  ck_assert_ptr_nonnull(strstr(err.message, "submit timed out"));
  rc = dusk_client_submit(c, g, &key, 1, WAIT_MS, &err);
  ck_assert_int_eq(rc, DUSK_ECLOSED);
  dusk_graph_free(g);
  dusk_client_free(c);
  fake_stop();
}
END_TEST

/* ---- out of memory ------------------------------------------------------- */

/* Each allocation of a gather fails in turn (and every one after it, until
 * the gather returns), on a fresh client so the data connection is made
 * under the failure too.  Every outcome is either 41 or DUSK_ENOMEM with a
 * message and no outputs - never success with a NULL output, never a wait
 * for news that cannot come - and the client gathers fine afterwards. */
START_TEST(test_gather_out_of_memory) {
  const char *key = "a";
  long k, failures = 0;
  fake_start(FAKE_SERVE);
  for (k = 0; k < 10000; k++) {
    dusk_client *c = connect_ok();
    dusk_error err = {0};
    void *out = (void *)&err; /* gather must set it either way */
    size_t len = 0;
    long left;
    int rc;
    submit_wait_ok(c, &key, 1);
    tu_alloc_fail_after(k);
    rc = dusk_client_gather(c, &key, 1, WAIT_MS, &out, &len, &err);
    left = tu_alloc_left();
    tu_alloc_fail_after(-1);
    if (rc == 0) {
      check_41(out, len);
    } else {
      failures++;
      ck_assert_msg(rc == DUSK_ENOMEM,
                    "allocation %ld failed: gather returned %d (%s): %s", k,
                    rc, dusk_strerror(rc), err.message);
      ck_assert_int_eq(err.code, rc);
      ck_assert_msg(err.message[0] != '\0', "allocation %ld: no message", k);
      ck_assert_ptr_null(out);
      out = NULL;
      rc = dusk_client_gather(c, &key, 1, WAIT_MS, &out, &len, &err);
      ck_assert_msg(rc == 0, "allocation %ld: the next gather: %s", k,
                    err.message);
      check_41(out, len);
    }
    dusk_client_free(c);
    if (left > 0)
      break; /* the gather needed fewer than k allocations */
  }
  ck_assert_int_gt(failures, 0);
  fake_stop();
}
END_TEST

/* The same for connecting: a failure is reported at once (never a wait for
 * a handshake that cannot happen), and leaves nothing behind. */
START_TEST(test_connect_out_of_memory) {
  long k, failures = 0;
  fake_start(FAKE_SERVE);
  for (k = 0; k < 10000; k++) {
    dusk_client *c = NULL;
    dusk_error err = {0};
    long left;
    int rc;
    tu_alloc_fail_after(k);
    rc = dusk_client_connect(fake_addr, NULL, WAIT_MS, &c, &err);
    left = tu_alloc_left();
    tu_alloc_fail_after(-1);
    if (rc == 0) {
      ck_assert_ptr_nonnull(c);
      dusk_client_free(c);
    } else {
      failures++;
      ck_assert_msg(rc != DUSK_ETIMEDOUT,
                    "allocation %ld failed: connect waited out its timeout: "
                    "%s",
                    k, err.message);
      ck_assert_int_eq(err.code, rc);
      ck_assert_msg(err.message[0] != '\0', "allocation %ld: no message", k);
      ck_assert_ptr_null(c);
    }
    if (left > 0)
      break;
  }
  ck_assert_int_gt(failures, 0);
  fake_stop();
}
END_TEST

int main(void) {
  Suite *s = suite_create("client");
  TCase *tc = tcase_create("client");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, test_gather_error_names_the_failing_key);
  tcase_add_test(tc, test_submit_times_out_on_a_deaf_scheduler);
  tcase_add_test(tc, test_gather_out_of_memory);
  tcase_add_test(tc, test_connect_out_of_memory);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
