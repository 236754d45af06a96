/* check_dashboard.c - the scheduler's HTTP server (dashboard.h) on its
 * own, without a scheduler: snapshots published while requests read them
 * (the sanitizer build sees a use after free if publish and serve race),
 * 503 before the first snapshot, the bearer token (empty, wrong, right),
 * session cookies that expire, a taken port with and without fallback,
 * and unreadable TLS files. */
#include "dashboard.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TOKEN "unit-token"

static dusk_dash_config config(int port) {
  dusk_dash_config c;
  memset(&c, 0, sizeof c);
  c.host = "127.0.0.1";
  c.port = port;
  c.token = TOKEN;
  c.token_len = strlen(TOKEN);
  c.max_connections = 16;
  c.timeout_s = 5;
  c.max_header_bytes = 8192;
  c.max_body_bytes = 1024;
  c.session_s = 3600;
  return c;
}

static dusk_dash *start(const dusk_dash_config *c) {
  dusk_dash *d = NULL;
  dusk_error err = {0};
  int rc = dusk_dash_start(c, &d, &err);
  ck_assert_msg(rc == 0, "dusk_dash_start: %s", err.message);
  return d;
}

typedef struct reply {
  int status;
  char *head; /* status line and headers */
  char *body;
  size_t body_len;
} reply;

static void reply_free(reply *r) {
  free(r->head);
  free(r->body);
}

/* Sends req (a whole HTTP/1.1 request with Connection: close) and reads
 * the answer until the server closes. */
static reply http(int port, const char *req) {
  struct sockaddr_in sa;
  struct timeval tv = {10, 0};
  size_t len = 0, cap = 4096;
  char *buf = malloc(cap);
  reply r = {0, NULL, NULL, 0};
  char *sep;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
  for (;;) {
    ssize_t n;
    if (len == cap)
      buf = realloc(buf, cap *= 2);
    n = read(fd, buf + len, cap - len);
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  close(fd);
  buf = realloc(buf, len + 1);
  buf[len] = '\0';
  if (sscanf(buf, "HTTP/1.1 %d", &r.status) != 1)
    r.status = -1;
  sep = strstr(buf, "\r\n\r\n");
  if (sep != NULL) {
    r.body_len = len - (size_t)(sep + 4 - buf);
    r.body = malloc(r.body_len + 1);
    memcpy(r.body, sep + 4, r.body_len + 1);
    *sep = '\0';
  }
  r.head = buf;
  return r;
}

static int get_status(int port, const char *path, const char *extra) {
  char req[1024];
  reply r;
  int status;
  snprintf(req, sizeof req,
           "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", path,
           extra);
  r = http(port, req);
  status = r.status;
  reply_free(&r);
  return status;
}

static char *dup_str(const char *s) {
  char *p = malloc(strlen(s) + 1);
  strcpy(p, s);
  return p;
}

START_TEST(test_before_and_after_publish) {
  dusk_dash_config c = config(0);
  dusk_dash *d = start(&c);
  int port = dusk_dash_port(d);
  reply r;
  ck_assert_int_gt(port, 0);
  ck_assert_int_eq(get_status(port, "/health", ""), 200);
  ck_assert_int_eq(
      get_status(port, "/status", "Authorization: Bearer " TOKEN "\r\n"),
      503);
  dusk_dash_publish(d, dup_str("{\"a\": 1}\n"), 9, dup_str("m 1\n"), 4);
  r = http(port, "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 "Authorization: Bearer " TOKEN "\r\n\r\n");
  ck_assert_int_eq(r.status, 200);
  /* The served events (none yet) are spliced in as its last member. */
  ck_assert_str_eq(r.body, "{\"a\": 1,\n\"events\": {\"next\": 0, "
                           "\"tasks\": [],\n \"failures\": []}}\n");
  ck_assert_ptr_nonnull(strstr(r.head, "application/json"));
  reply_free(&r);
  r = http(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 "authorization: bearer " TOKEN "\r\n\r\n");
  ck_assert_int_eq(r.status, 200);
  /* The loop's snapshot, then the connections open now (this one),
   * which only the HTTP thread knows. */
  ck_assert_str_eq(r.body,
                   "m 1\n# HELP dusk_dashboard_connections HTTP connections "
                   "open to this endpoint.\n# TYPE dusk_dashboard_connections "
                   "gauge\ndusk_dashboard_connections 1\n");
  reply_free(&r);
  /* HEAD: the headers only. */
  r = http(port, "HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 "Authorization: Bearer " TOKEN "\r\n\r\n");
  ck_assert_int_eq(r.status, 200);
  ck_assert_uint_eq(r.body_len, 0);
  reply_free(&r);
  dusk_dash_stop(d);
}
END_TEST

START_TEST(test_tokens) {
  dusk_dash_config c = config(0);
  dusk_dash *d = start(&c);
  int port = dusk_dash_port(d);
  static const char *const wrong[] = {
      "", "Authorization: Bearer\r\n", "Authorization: Bearer \r\n",
      "Authorization: Bearer unit-toke\r\n",
      "Authorization: Bearer unit-tokenn\r\n",
      "Authorization: Basic dW5pdC10b2tlbg==\r\n",
      "Cookie: dusk_session=0000000000000000.00\r\n",
      "Cookie: other=" TOKEN "\r\n"};
  dusk_dash_publish(d, dup_str("{}"), 2, dup_str(""), 0);
  for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
    ck_assert_msg(get_status(port, "/status", wrong[i]) == 401,
                  "'%s' was let in", wrong[i]);
  ck_assert_int_eq(
      get_status(port, "/status", "Authorization: Bearer " TOKEN "\r\n"),
      200);
  dusk_dash_stop(d);

  /* Without a token there is nothing to ask for. */
  c.token = NULL;
  c.token_len = 0;
  d = start(&c);
  dusk_dash_publish(d, dup_str("{}"), 2, dup_str(""), 0);
  ck_assert_int_eq(get_status(dusk_dash_port(d), "/status", ""), 200);
  dusk_dash_stop(d);
}
END_TEST

/* The session cookie of a login, as "dusk_session=...". */
static char *login(int port, const char *token) {
  char req[512], *cookie, *end;
  reply r;
  snprintf(req, sizeof req,
           "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: %zu\r\n\r\ntoken=%s",
           strlen("token=") + strlen(token), token);
  r = http(port, req);
  cookie = strstr(r.head, "Set-Cookie: ");
  if (r.status != 200 || cookie == NULL) {
    reply_free(&r);
    return NULL;
  }
  cookie += strlen("Set-Cookie: ");
  end = strchr(cookie, ';');
  ck_assert_ptr_nonnull(end);
  *end = '\0';
  cookie = dup_str(cookie);
  reply_free(&r);
  return cookie;
}

START_TEST(test_sessions_expire) {
  dusk_dash_config c = config(0);
  dusk_dash *d;
  char *cookie, header[256];
  int port, status;
  uint64_t deadline;
  c.session_s = 1;
  d = start(&c);
  port = dusk_dash_port(d);
  dusk_dash_publish(d, dup_str("{}"), 2, dup_str(""), 0);
  ck_assert_ptr_null(login(port, "nope"));
  ck_assert_ptr_null(login(port, TOKEN "&token=" TOKEN)); /* two fields */
  ck_assert_ptr_null(login(port, "nope&token=" TOKEN));
  cookie = login(port, TOKEN);
  ck_assert_ptr_nonnull(cookie);
  snprintf(header, sizeof header, "Cookie: %s\r\n", cookie);
  /* It lets in until it expires (1 s, on the server's clock), then never
   * again: poll until the refusal, bounded by a hang limit. */
  deadline = tu_now_ms() + 30000;
  while ((status = get_status(port, "/status", header)) == 200 &&
         tu_now_ms() < deadline)
    tu_nap_ms(50);
  ck_assert_int_eq(status, 401);
  free(cookie);
  dusk_dash_stop(d);
}
END_TEST

typedef struct reader_arg {
  int port;
  int bad;
} reader_arg;

/* Snapshot i is {"<i>":"<i % 997 + 1 copies of 'x'>"} and a newline;
 * served, the events member follows the x's. */
static void *reader(void *p) {
  reader_arg *a = p;
  for (int i = 0; i < 1000; i++) {
    reply r = http(a->port,
                   "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "Authorization: Bearer " TOKEN "\r\n\r\n");
    unsigned n;
    char *colon = r.body ? strstr(r.body, "\":\"") : NULL;
    if (r.status != 200 || colon == NULL ||
        sscanf(r.body, "{\"%u\":", &n) != 1 ||
        strspn(colon + 3, "x") != n % 997 + 1 ||
        strncmp(colon + 3 + n % 997 + 1, "\",\n\"events\": ", 13) != 0)
      a->bad++;
    reply_free(&r);
  }
  return NULL;
}

START_TEST(test_publish_while_serving) {
  dusk_dash_config c = config(0);
  dusk_dash *d = start(&c);
  pthread_t t[3];
  reader_arg args[3];
  unsigned i = 0;
  int done = 0, joined[3] = {0, 0, 0};
  dusk_dash_publish(d, dup_str("{\"0\":\"x\"}\n"), 10, dup_str(""), 0);
  for (int k = 0; k < 3; k++) {
    args[k].port = dusk_dash_port(d);
    args[k].bad = 0;
    ck_assert_int_eq(pthread_create(&t[k], NULL, reader, &args[k]), 0);
  }
  /* Publish as fast as possible until the readers are done. */
  while (!done) {
    char head[32];
    size_t xs, hl, len;
    char *s;
    i++;
    xs = i % 997 + 1;
    hl = (size_t)snprintf(head, sizeof head, "{\"%u\":\"", i);
    len = hl + xs + 3;
    s = malloc(len + 1);
    memcpy(s, head, hl);
    memset(s + hl, 'x', xs);
    memcpy(s + hl + xs, "\"}\n", 4);
    dusk_dash_publish(d, s, len, dup_str("m 1\n"), 4);
    if (i % 64 == 0) {
      done = 1;
      for (int k = 0; k < 3; k++) {
        if (!joined[k] && pthread_tryjoin_np(t[k], NULL) == 0)
          joined[k] = 1;
        done &= joined[k];
      }
    }
  }
  for (int k = 0; k < 3; k++)
    ck_assert_msg(args[k].bad == 0, "reader %d saw %d torn snapshots", k,
                  args[k].bad);
  dusk_dash_stop(d);
}
END_TEST

/* The served rings keep the newest DUSK_DASH_TASK_EVENTS / _FAIL_EVENTS,
 * oldest first, whatever the pieces they came in; ?since=N leaves out
 * seqs below N; strings are escaped. */
START_TEST(test_events) {
  dusk_dash_config c = config(0);
  dusk_dash *d = start(&c);
  enum { NT = DUSK_DASH_TASK_EVENTS + 500, NF = DUSK_DASH_FAIL_EVENTS + 7 };
  dusk_dash_task_ev *t = calloc(NT, sizeof *t);
  dusk_dash_fail_ev *f = calloc(NF, sizeof *f);
  uint64_t seq = 1;
  reply r;
  char *p, want[128];
  size_t n;
  for (size_t i = 0; i < NT; i++) {
    t[i].seq = seq++;
    t[i].worker = 1 + i % 2;
    t[i].start_s = (double)i;
    t[i].end_s = (double)i + 0.5;
    snprintf(t[i].op, sizeof t[i].op, "op%zu", i % 3);
  }
  for (size_t i = 0; i < NF; i++) {
    f[i].seq = seq++;
    snprintf(f[i].kind, sizeof f[i].kind, "worker-removed");
    snprintf(f[i].reason, sizeof f[i].reason, "said \"bye\"\n\xff");
  }
  /* In uneven pieces, as a loop's ring hands them over. */
  {
    dusk_dash_events e1 = {{t, NULL}, {700, 0}, {NULL, NULL}, {0, 0}, 701};
    dusk_dash_events e2 = {{t + 700, t + 1000}, {300, NT - 1000},
                           {f, f + 3}, {3, 0}, seq - NF + 3};
    dusk_dash_events e3 = {{NULL, NULL}, {0, 0}, {f + 3, f + 50},
                           {47, NF - 50}, seq};
    dusk_dash_add_events(d, &e1);
    dusk_dash_add_events(d, &e2);
    dusk_dash_add_events(d, &e3);
  }
  dusk_dash_publish(d, dup_str("{\"a\": 1}\n"), 9, dup_str(""), 0);

  r = http(dusk_dash_port(d),
           "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           "Authorization: Bearer " TOKEN "\r\n\r\n");
  ck_assert_int_eq(r.status, 200);
  snprintf(want, sizeof want, "\"next\": %llu,", (unsigned long long)seq);
  ck_assert_ptr_nonnull(strstr(r.body, want));
  /* The oldest task served is the 501st, the newest the last. */
  ck_assert_ptr_nonnull(strstr(r.body, "[\n  {\"seq\": 501, \"worker\": 1,"));
  ck_assert_ptr_null(strstr(r.body, "{\"seq\": 500,"));
  snprintf(want, sizeof want, "{\"seq\": %d,", NT);
  ck_assert_ptr_nonnull(strstr(r.body, want));
  for (n = 0, p = r.body; (p = strstr(p, "\"start_s\"")) != NULL; p++)
    n++;
  ck_assert_uint_eq(n, DUSK_DASH_TASK_EVENTS);
  for (n = 0, p = r.body; (p = strstr(p, "\"kind\"")) != NULL; p++)
    n++;
  ck_assert_uint_eq(n, DUSK_DASH_FAIL_EVENTS);
  snprintf(want, sizeof want, "{\"seq\": %d,", NT + 7 + 1);
  ck_assert_ptr_nonnull(strstr(r.body, want)); /* the oldest failure kept */
  ck_assert_ptr_nonnull(
      strstr(r.body, "\"reason\": \"said \\\"bye\\\"\\n\\ufffd\"}"));
  reply_free(&r);

  snprintf(want, sizeof want,
           "GET /status?since=%d HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
           "close\r\n", NT);
  {
    char req[256];
    snprintf(req, sizeof req, "%sAuthorization: Bearer " TOKEN "\r\n\r\n",
             want);
    r = http(dusk_dash_port(d), req);
  }
  ck_assert_int_eq(r.status, 200);
  for (n = 0, p = r.body; (p = strstr(p, "\"start_s\"")) != NULL; p++)
    n++;
  ck_assert_uint_eq(n, 1); /* only seq NT; every failure is later */
  for (n = 0, p = r.body; (p = strstr(p, "\"kind\"")) != NULL; p++)
    n++;
  ck_assert_uint_eq(n, DUSK_DASH_FAIL_EVENTS);
  reply_free(&r);
  free(t);
  free(f);
  dusk_dash_stop(d);
}
END_TEST

START_TEST(test_taken_port) {
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  dusk_dash_config c;
  dusk_dash *d = NULL;
  dusk_error err = {0};
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  ck_assert_int_eq(listen(fd, 1), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
  c = config(ntohs(sa.sin_port));
  ck_assert_int_ne(dusk_dash_start(&c, &d, &err), 0);
  ck_assert_ptr_nonnull(strstr(err.message, "cannot listen"));
  c.fallback = 1;
  d = start(&c);
  ck_assert_int_ne(dusk_dash_port(d), ntohs(sa.sin_port));
  ck_assert_int_eq(get_status(dusk_dash_port(d), "/health", ""), 200);
  dusk_dash_stop(d);
  close(fd);
}
END_TEST

START_TEST(test_tls_files_refused) {
  dusk_dash_config c = config(0);
  dusk_dash *d = NULL;
  dusk_error err = {0};
  char path[] = "/tmp/check_dashboard_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  c.tls_cert = "/nonexistent/cert.pem";
  c.tls_key = "/nonexistent/key.pem";
  ck_assert_int_ne(dusk_dash_start(&c, &d, &err), 0);
  ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/cert.pem"));
  /* An empty file, and a file that is no PEM: refused, not served. */
  c.tls_cert = path;
  c.tls_key = path;
  ck_assert_int_ne(dusk_dash_start(&c, &d, &err), 0);
  ck_assert_ptr_nonnull(strstr(err.message, "empty"));
  ck_assert_int_eq(write(fd, "not a certificate\n", 18), 18);
  ck_assert_int_ne(dusk_dash_start(&c, &d, &err), 0);
  ck_assert_ptr_nonnull(strstr(err.message, "did not start"));
  close(fd);
  unlink(path);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dashboard");
  TCase *tc = tcase_create("dashboard");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_before_and_after_publish);
  tcase_add_test(tc, test_tokens);
  tcase_add_test(tc, test_sessions_expire);
  tcase_add_test(tc, test_publish_while_serving);
  tcase_add_test(tc, test_events);
  tcase_add_test(tc, test_taken_port);
  tcase_add_test(tc, test_tls_files_refused);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
