/* dashboard.c - the HTTP endpoint (dashboard.h) on libmicrohttpd.
 *
 * libmicrohttpd parses HTTP and runs one internal polling thread; this file
 * only routes, authenticates and copies out the published snapshot.  Every
 * limit comes from the configuration: connections open at once, idle
 * timeout, request line + header bytes (libmicrohttpd's per-connection
 * memory pool: a larger header gets 431 or a closed connection), and the
 * login body.
 *
 * Authentication keeps no session table: a per-process random key signs
 * each session cookie ("<expiry>.<HMAC(key, expiry)>"), so sessions are
 * bounded by construction and die with the process.  A presented token is
 * compared as HMAC(key, presented) against HMAC(key, token) in constant
 * time, which hides its length as well as its bytes.
 *
 * / is the page (dashboard.html, compiled in); /status is the loop's last
 * snapshot with the recent events of the HTTP thread's rings appended
 * (status_with_events), so the page can ask for only what is new. */
#include "dashboard.h"

#include "auth.h"
#include "conn.h"
#include "faillimit.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SESSION_COOKIE "dusk_session"
/* How much the HTTP thread lowers its priority (nice) below the process':
 * under CPU contention it yields to the loop and to workers sharing the
 * host (weight 110 against 1024 at nice 0), yet is never starved. */
#define HTTP_NICE_DELTA 10
/* The largest PEM file read for TLS (a certificate chain or key). */
#define MAX_PEM_BYTES (1 << 20)

struct dusk_dash {
  struct MHD_Daemon *mhd;
  int port;
  int tls;
  pthread_mutex_t mu; /* guards the four snapshot fields */
  char *status, *metrics;
  size_t status_len, metrics_len;
  int has_token;
  uint8_t key[32];       /* signs sessions; keys the token compare */
  uint8_t token_mac[32]; /* HMAC(key, token) */
  size_t max_body;
  unsigned session_s;
  char *cert_pem, *key_pem; /* read by libmicrohttpd until it stops */
  char start_error[256];    /* its last log line while starting */
  _Atomic int started;      /* set once MHD_start_daemon returned */
  int niced;                /* HTTP thread only: its priority is lowered */
  /* Recent events (guarded by mu): rings of fixed size, the oldest at
   * [head], n of them; next_seq is the first seq not yet handed over. */
  dusk_dash_task_ev tev[DUSK_DASH_TASK_EVENTS];
  dusk_dash_fail_ev fev[DUSK_DASH_FAIL_EVENTS];
  size_t thead, tn, fhead, fn;
  uint64_t next_seq;
  dusk_fail_limiter fails; /* HTTP thread only: wrong tokens per address */
};

/* The page (dashboard.html), embedded at build time (embed.cmake). */
extern const char dusk_dash_page[];
extern const size_t dusk_dash_page_len;
/* What the page may load: nothing from elsewhere, only its own inline
 * script and style and fetches to this origin. */
#define PAGE_CSP                                                           \
  "default-src 'none'; script-src 'unsafe-inline'; style-src "             \
  "'unsafe-inline'; connect-src 'self'; img-src data:; form-action "       \
  "'self'; frame-ancestors 'none'; base-uri 'none'"

/* A POST /login in progress: its form's token field, bounded. */
typedef struct login_req {
  struct MHD_PostProcessor *pp;
  size_t body;    /* body bytes seen */
  int overflow;   /* body or token over its limit */
  int bad;        /* the form did not parse */
  int ntoken;     /* token fields seen (one is wanted) */
  size_t token_len;
  char token[DUSK_TOKEN_MAX + 1];
} login_req;

/* ---- replies --------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *type, const char *body, size_t len,
                             const char *hname, const char *hvalue) {
  struct MHD_Response *r;
  enum MHD_Result rc;
  r = MHD_create_response_from_buffer(len, (void *)body,
                                      MHD_RESPMEM_MUST_COPY);
  if (r == NULL)
    return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  if (hname != NULL)
    MHD_add_response_header(r, hname, hvalue);
  rc = MHD_queue_response(conn, status, r);
  MHD_destroy_response(r);
  return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn,
                                  unsigned status, const char *text) {
  return reply(conn, status, "text/plain; charset=utf-8", text, strlen(text),
               NULL, NULL);
}

static enum MHD_Result reply_401(struct MHD_Connection *conn) {
  static const char text[] =
      "unauthorized: send 'Authorization: Bearer <token>' or log in with "
      "POST /login\n";
  return reply(conn, MHD_HTTP_UNAUTHORIZED, "text/plain; charset=utf-8",
               text, sizeof text - 1, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
               "Bearer realm=\"dusk\"");
}

static enum MHD_Result reply_405(struct MHD_Connection *conn,
                                 const char *allow) {
  static const char text[] = "method not allowed\n";
  return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
               text, sizeof text - 1, MHD_HTTP_HEADER_ALLOW, allow);
}

/* ---- authentication ------------------------------------------------------- */

static int token_matches(const dusk_dash *d, const char *p, size_t n) {
  dusk_slice key = {(const char *)d->key, sizeof d->key};
  dusk_slice mac = {(const char *)d->token_mac, sizeof d->token_mac};
  dusk_slice got = {p, n};
  return dusk_auth_verify(key, got, mac) == 0;
}

/* The monotonic clock: sessions expire by it, wrong tokens refill by it. */
static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_s(void) { return now_ms() / 1000; }

static void hex(const uint8_t *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

static int unhex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* A session value is 16 hex digits of its expiry (seconds of the monotonic
 * clock), a dot, and 64 hex digits of HMAC(key, those 16 digits). */
enum { EXPIRY_HEX = 16, SESSION_LEN = EXPIRY_HEX + 1 + 64 };

static int session_make(const dusk_dash *d, char out[SESSION_LEN + 1]) {
  uint8_t mac[32];
  dusk_slice key = {(const char *)d->key, sizeof d->key};
  snprintf(out, EXPIRY_HEX + 1, "%016llx",
           (unsigned long long)(now_s() + d->session_s));
  if (dusk_auth_mac(key, (dusk_slice){out, EXPIRY_HEX}, mac) != 0)
    return -1;
  out[EXPIRY_HEX] = '.';
  hex(mac, sizeof mac, out + EXPIRY_HEX + 1);
  return 0;
}

static int session_valid(const dusk_dash *d, const char *v) {
  uint8_t mac[32];
  uint64_t expiry = 0;
  dusk_slice key = {(const char *)d->key, sizeof d->key};
  if (strlen(v) != SESSION_LEN || v[EXPIRY_HEX] != '.')
    return 0;
  for (int i = 0; i < EXPIRY_HEX; i++) {
    int x = unhex_digit(v[i]);
    if (x < 0)
      return 0;
    expiry = expiry << 4 | (uint64_t)x;
  }
  for (int i = 0; i < 32; i++) {
    int hi = unhex_digit(v[EXPIRY_HEX + 1 + 2 * i]);
    int lo = unhex_digit(v[EXPIRY_HEX + 2 + 2 * i]);
    if (hi < 0 || lo < 0)
      return 0;
    mac[i] = (uint8_t)(hi << 4 | lo);
  }
  if (dusk_auth_verify(key, (dusk_slice){v, EXPIRY_HEX},
                       (dusk_slice){(const char *)mac, sizeof mac}) != 0)
    return 0;
  return expiry > now_s();
}

/* The peer's address bytes (4 or 16), the key of its wrong-token count;
 * 0 when libmicrohttpd does not say. */
static size_t peer_key(struct MHD_Connection *conn, uint8_t *key) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
  if (sa != NULL && sa->sa_family == AF_INET) {
    memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    return 4;
  }
  if (sa != NULL && sa->sa_family == AF_INET6) {
    memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    return 16;
  }
  return 0;
}

/* 429 when the peer has spent its wrong tokens (faillimit.h): the token
 * it sends now is not even compared.  MHD_YES/NO as a reply, or -1 to go
 * on. */
static int refuse_if_limited(dusk_dash *d, struct MHD_Connection *conn) {
  uint8_t key[DUSK_FAIL_KEY_MAX];
  size_t n = peer_key(conn, key);
  uint64_t wait = dusk_fail_wait_ms(&d->fails, key, n, now_ms());
  char after[24];
  if (wait == 0)
    return -1;
  snprintf(after, sizeof after, "%" PRIu64, (wait + 999) / 1000);
  static const char text[] =
      "too many wrong tokens from this address: try again later\n";
  return reply(conn, MHD_HTTP_TOO_MANY_REQUESTS, "text/plain; charset=utf-8",
               text, sizeof text - 1, MHD_HTTP_HEADER_RETRY_AFTER, after);
}

static void count_wrong_token(dusk_dash *d, struct MHD_Connection *conn) {
  uint8_t key[DUSK_FAIL_KEY_MAX];
  size_t n = peer_key(conn, key);
  dusk_fail_count(&d->fails, key, n, now_ms());
}

/* Whether the request may read data: no token configured, a bearer token
 * that is the cluster's (a wrong one is counted against its address), or
 * a valid session cookie. */
/* The request's bearer token, or NULL. */
static const char *bearer_of(struct MHD_Connection *conn) {
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                              MHD_HTTP_HEADER_AUTHORIZATION);
  return h != NULL && strncasecmp(h, "Bearer ", 7) == 0 ? h + 7 : NULL;
}

static int authorized(dusk_dash *d, struct MHD_Connection *conn) {
  const char *bearer, *cookie;
  if (!d->has_token)
    return 1;
  if ((bearer = bearer_of(conn)) != NULL) {
    if (token_matches(d, bearer, strlen(bearer)))
      return 1;
    count_wrong_token(d, conn);
    return 0;
  }
  cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, SESSION_COOKIE);
  return cookie != NULL && session_valid(d, cookie);
}

/* ---- POST /login ------------------------------------------------------------ */

static enum MHD_Result login_field(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *filename,
                                   const char *content_type,
                                   const char *transfer_encoding,
                                   const char *data, uint64_t off,
                                   size_t size) {
  login_req *req = cls;
  (void)kind;
  (void)filename;
  (void)content_type;
  (void)transfer_encoding;
  if (strcmp(key, "token") != 0)
    return MHD_YES;
  if (off == 0 && ++req->ntoken > 1) {
    req->bad = 1; /* a second token field (even an empty first one):
                     which one is meant? */
    return MHD_NO;
  }
  if (off > DUSK_TOKEN_MAX || size > DUSK_TOKEN_MAX - off) {
    req->overflow = 1;
    return MHD_NO;
  }
  memcpy(req->token + off, data, size);
  if (off + size > req->token_len)
    req->token_len = (size_t)(off + size);
  return MHD_YES;
}

static enum MHD_Result login_begin(dusk_dash *d, struct MHD_Connection *conn,
                                   void **con_cls) {
  const char *cl = MHD_lookup_connection_value(
      conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  login_req *req;
  if (cl != NULL && strtoull(cl, NULL, 10) > d->max_body)
    return reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE,
                      "login body too large\n");
  if ((req = calloc(1, sizeof *req)) == NULL)
    return MHD_NO;
  req->pp = MHD_create_post_processor(conn, 1024, login_field, req);
  if (req->pp == NULL) {
    free(req);
    return reply_text(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                      "POST /login wants a form (application/"
                      "x-www-form-urlencoded) with the field 'token'\n");
  }
  *con_cls = req;
  return MHD_YES;
}

static enum MHD_Result login_more(dusk_dash *d, struct MHD_Connection *conn,
                                  login_req *req, const char *data,
                                  size_t *size) {
  char session[SESSION_LEN + 1];
  char cookie[SESSION_LEN + 128];
  int limited;
  if (*size > 0) {
    req->body += *size;
    if (req->body > d->max_body)
      return MHD_NO; /* a body over its Content-Length or chunked: cut */
    if (!req->overflow && !req->bad &&
        MHD_post_process(req->pp, data, *size) != MHD_YES)
      req->bad = 1;
    *size = 0;
    return MHD_YES;
  }
  if (req->overflow || req->bad)
    return reply_text(conn, MHD_HTTP_BAD_REQUEST, "malformed login form\n");
  if (!d->has_token)
    return reply_text(conn, MHD_HTTP_OK, "ok: no token configured\n");
  if ((limited = refuse_if_limited(d, conn)) >= 0)
    return (enum MHD_Result)limited;
  if (!token_matches(d, req->token, req->token_len)) {
    count_wrong_token(d, conn);
    return reply_401(conn);
  }
  if (session_make(d, session) != 0)
    return MHD_NO;
  snprintf(cookie, sizeof cookie,
           SESSION_COOKIE "=%s; Path=/; Max-Age=%u; HttpOnly; "
                          "SameSite=Strict%s",
           session, d->session_s, d->tls ? "; Secure" : "");
  return reply(conn, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3,
               MHD_HTTP_HEADER_SET_COOKIE, cookie);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe) {
  login_req *req = *con_cls;
  (void)cls;
  (void)conn;
  (void)toe;
  if (req == NULL)
    return;
  MHD_destroy_post_processor(req->pp);
  explicit_bzero(req->token, sizeof req->token);
  free(req);
  *con_cls = NULL;
}

/* ---- routing ------------------------------------------------------------- */

enum { R_NONE, R_HEALTH, R_STATUS, R_METRICS, R_LOGIN, R_PAGE };

static int route_of(const char *url) {
  if (strcmp(url, "/") == 0)
    return R_PAGE;
  if (strcmp(url, "/health") == 0)
    return R_HEALTH;
  if (strcmp(url, "/status") == 0)
    return R_STATUS;
  if (strcmp(url, "/metrics") == 0)
    return R_METRICS;
  if (strcmp(url, "/login") == 0)
    return R_LOGIN;
  return R_NONE;
}

void dusk_dash_add_events(dusk_dash *d, const dusk_dash_events *ev) {
  pthread_mutex_lock(&d->mu);
  for (int p = 0; p < 2; p++) {
    for (size_t i = 0; i < ev->ntasks[p]; i++)
      d->tev[dusk_dash_ring_slot(&d->thead, &d->tn, DUSK_DASH_TASK_EVENTS)] =
          ev->tasks[p][i];
    for (size_t i = 0; i < ev->nfails[p]; i++)
      d->fev[dusk_dash_ring_slot(&d->fhead, &d->fn, DUSK_DASH_FAIL_EVENTS)] =
          ev->fails[p][i];
  }
  d->next_seq = ev->next_seq;
  pthread_mutex_unlock(&d->mu);
}

/* The /status snapshot with the events of seq >= since appended as its
 * last member "events" (docs/dashboard.md).  The snapshot and the events
 * are copied under mu (a memcpy of at most the rings), rendered outside it.
 * The loop renders the snapshot ending in "}\n" (status.c), which is cut
 * to splice the member in; a snapshot that does not end so is served
 * unchanged.  NULL when out of memory or no snapshot yet. */
static struct MHD_Response *status_with_events(dusk_dash *d, uint64_t since) {
  dusk_dash_task_ev *tev = malloc(sizeof d->tev);
  dusk_dash_fail_ev *fev = malloc(sizeof d->fev);
  char *snap = NULL, *out = NULL;
  size_t snap_len = 0, out_len = 0, nt = 0, nf = 0;
  uint64_t next = 0;
  struct MHD_Response *r = NULL;
  FILE *f;
  if (tev == NULL || fev == NULL)
    goto done;
  pthread_mutex_lock(&d->mu);
  if (d->status != NULL && d->status_len >= 2 &&
      (snap = malloc(d->status_len)) != NULL) {
    snap_len = d->status_len;
    memcpy(snap, d->status, snap_len);
    for (size_t i = 0; i < d->tn; i++) {
      const dusk_dash_task_ev *e =
          &d->tev[(d->thead + i) % DUSK_DASH_TASK_EVENTS];
      if (e->seq >= since)
        tev[nt++] = *e;
    }
    for (size_t i = 0; i < d->fn; i++) {
      const dusk_dash_fail_ev *e =
          &d->fev[(d->fhead + i) % DUSK_DASH_FAIL_EVENTS];
      if (e->seq >= since)
        fev[nf++] = *e;
    }
    next = d->next_seq;
  }
  pthread_mutex_unlock(&d->mu);
  if (snap == NULL)
    goto done;
  if (memcmp(snap + snap_len - 2, "}\n", 2) != 0) {
    /* Not an object ending the way status.c ends it: served unchanged. */
    r = MHD_create_response_from_buffer(snap_len, snap,
                                        MHD_RESPMEM_MUST_FREE);
    if (r != NULL)
      snap = NULL;
    goto done;
  }
  if ((f = open_memstream(&out, &out_len)) == NULL)
    goto done;
  fwrite(snap, 1, snap_len - 2, f); /* without its closing "}\n" */
  fprintf(f, ",\n\"events\": {\"next\": %" PRIu64 ", \"tasks\": [", next);
  for (size_t i = 0; i < nt; i++) {
    fprintf(f,
            "%s{\"seq\": %" PRIu64 ", \"worker\": %" PRIu64
            ", \"start_s\": %.4f, \"end_s\": %.4f, \"op\": \"",
            i ? ",\n  " : "\n  ", tev[i].seq, tev[i].worker, tev[i].start_s,
            tev[i].end_s);
    dusk__put_json_escaped(f, tev[i].op);
    fputs("\"}", f);
  }
  fputs("],\n \"failures\": [", f);
  for (size_t i = 0; i < nf; i++) {
    fprintf(f,
            "%s{\"seq\": %" PRIu64 ", \"time_s\": %.4f, \"kind\": \"%s\", "
            "\"worker\": %" PRIu64 ", \"addr\": \"",
            i ? ",\n  " : "\n  ", fev[i].seq, fev[i].time_s, fev[i].kind,
            fev[i].worker);
    dusk__put_json_escaped(f, fev[i].addr);
    fputs("\", \"what\": \"", f);
    dusk__put_json_escaped(f, fev[i].what);
    fputs("\", \"reason\": \"", f);
    dusk__put_json_escaped(f, fev[i].reason);
    fputs("\"}", f);
  }
  fputs("]}}\n", f);
  if (fclose(f) == 0)
    r = MHD_create_response_from_buffer(out_len, out, MHD_RESPMEM_MUST_FREE);
  if (r == NULL)
    free(out);
done:
  free(snap);
  free(tev);
  free(fev);
  return r;
}

/* ?since=N: a decimal seq; absent or malformed means 0 (everything). */
static uint64_t since_of(struct MHD_Connection *conn) {
  const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
                                              "since");
  char *end;
  unsigned long long n;
  if (v == NULL || *v < '0' || *v > '9')
    return 0;
  errno = 0;
  n = strtoull(v, &end, 10);
  return errno != 0 || *end != '\0' ? 0 : (uint64_t)n;
}

/* The loop's /metrics snapshot with dusk_dashboard_connections appended:
 * the HTTP connections open now (this one included), read from
 * libmicrohttpd at serve time, as only this thread knows it.  An operator
 * sees the connection limit (--dashboard-connections) being approached;
 * the tests wait on it for connections they closed to be released.  NULL
 * when out of memory or no snapshot yet. */
static struct MHD_Response *metrics_with_connections(dusk_dash *d) {
  static const char head[] =
      "# HELP dusk_dashboard_connections HTTP connections open to this "
      "endpoint.\n# TYPE dusk_dashboard_connections gauge\n"
      "dusk_dashboard_connections ";
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
  unsigned open = info != NULL ? info->num_connections : 0;
  char tail[sizeof head + 16];
  int tn = snprintf(tail, sizeof tail, "%s%u\n", head, open);
  struct MHD_Response *r = NULL;
  char *buf = NULL;
  size_t n = 0;
  pthread_mutex_lock(&d->mu);
  if (d->metrics != NULL &&
      (buf = malloc(d->metrics_len + (size_t)tn)) != NULL) {
    memcpy(buf, d->metrics, d->metrics_len);
    n = d->metrics_len;
  }
  pthread_mutex_unlock(&d->mu);
  if (buf == NULL)
    return NULL;
  memcpy(buf + n, tail, (size_t)tn);
  r = MHD_create_response_from_buffer(n + (size_t)tn, buf,
                                      MHD_RESPMEM_MUST_FREE);
  if (r == NULL)
    free(buf);
  return r;
}

static enum MHD_Result reply_snapshot(dusk_dash *d,
                                      struct MHD_Connection *conn,
                                      int route) {
  struct MHD_Response *r = NULL;
  enum MHD_Result rc;
  if (route == R_STATUS) {
    r = status_with_events(d, since_of(conn));
  } else {
    r = metrics_with_connections(d);
  }
  if (r == NULL)
    return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                      "no snapshot yet\n");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                          route == R_STATUS
                              ? "application/json"
                              : "text/plain; version=0.0.4; charset=utf-8");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return rc;
}

/* Whether a request's Host names this machine's loopback (localhost,
 * 127.x.x.x or [::1], any port), or is absent (HTTP/1.0).  A dashboard
 * with no token serves only such requests: a web page the user opens
 * could otherwise point a name of its own at 127.0.0.1 (DNS rebinding)
 * and read /status - query keys, paths and addresses - through the
 * browser. */
static int host_is_loopback(const char *h) {
  size_t n;
  if (h == NULL)
    return 1;
  if (h[0] == '[')
    return strncmp(h, "[::1]", 5) == 0 && (h[5] == '\0' || h[5] == ':');
  n = strcspn(h, ":");
  if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
    return 1;
  if (n < 4 || strncmp(h, "127.", 4) != 0)
    return 0;
  for (size_t i = 4; i < n; i++)
    if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
      return 0;
  return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **con_cls) {
  dusk_dash *d = cls;
  int route, limited;
  (void)version;
  if (!d->niced) {
    /* libmicrohttpd has no thread-start hook, so its thread lowers its
     * own priority at its first request (Linux: per thread; lowering is
     * always allowed).  A failure only leaves it at the process' nice. */
    id_t tid = (id_t)syscall(SYS_gettid);
    int now;
    d->niced = 1;
    errno = 0;
    now = getpriority(PRIO_PROCESS, tid);
    if (errno == 0 && now + HTTP_NICE_DELTA <= 19)
      setpriority(PRIO_PROCESS, tid, now + HTTP_NICE_DELTA);
    else if (errno == 0)
      setpriority(PRIO_PROCESS, tid, 19);
  }
  if (*con_cls != NULL)
    return login_more(d, conn, *con_cls, data, size);
  route = route_of(url);
  if (route == R_NONE)
    return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
  if (route == R_LOGIN)
    return strcmp(method, MHD_HTTP_METHOD_POST) == 0
               ? login_begin(d, conn, con_cls)
               : reply_405(conn, "POST");
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
      strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return reply_405(conn, "GET, HEAD");
  if (route == R_HEALTH)
    return reply_text(conn, MHD_HTTP_OK, "ok\n");
  if (!d->has_token &&
      !host_is_loopback(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_HOST)))
    return reply_text(conn, 421,
                      "misdirected request: without a token this dashboard "
                      "answers only requests for localhost / 127.0.0.1\n");
  if (route == R_PAGE) {
    /* No data in it, so no auth: it shows a login form itself when
     * /status answers 401. */
    struct MHD_Response *r = MHD_create_response_from_buffer(
        dusk_dash_page_len, (void *)dusk_dash_page, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc;
    if (r == NULL)
      return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/html; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy", PAGE_CSP);
    rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
  }
  /* Only a request that presents a token is limited: a session cookie
   * keeps working for a user behind the same address as a guesser. */
  if (d->has_token && bearer_of(conn) != NULL &&
      (limited = refuse_if_limited(d, conn)) >= 0)
    return (enum MHD_Result)limited;
  if (!authorized(d, conn))
    return reply_401(conn);
  return reply_snapshot(d, conn, route);
}

/* libmicrohttpd's messages are about single bad requests (a flood of them
 * must not flood the log), so they go to debug; while starting, the last
 * one is kept to explain a failure. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  dusk_dash *d = cls;
  char line[256];
  size_t n;
  vsnprintf(line, sizeof line, fmt, ap);
  n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
    line[--n] = '\0';
  if (!d->started) /* read only when MHD_start_daemon failed */
    memcpy(d->start_error, line, n + 1);
  dusk_log(DUSK_LOG_DEBUG, "dashboard: %s", line);
}

/* ---- start and stop ----------------------------------------------------- */

static int read_pem(const char *path, char **out, dusk_error *err) {
  FILE *f = fopen(path, "rb");
  char *buf;
  size_t n;
  if (f == NULL)
    return dusk_error_set(err, DUSK_ECONFIG, "dashboard: cannot read %s: %s",
                          path, strerror(errno));
  buf = malloc(MAX_PEM_BYTES + 1);
  if (buf == NULL) {
    fclose(f);
    return dusk_error_set(err, DUSK_ENOMEM, "dashboard: out of memory");
  }
  n = fread(buf, 1, MAX_PEM_BYTES + 1, f);
  fclose(f);
  if (n > MAX_PEM_BYTES || n == 0) {
    free(buf);
    return dusk_error_set(err, DUSK_ECONFIG,
                          "dashboard: %s is %s", path,
                          n == 0 ? "empty" : "over 1 MiB");
  }
  buf[n] = '\0';
  *out = buf;
  return 0;
}

/* A listening socket on host:port: the fd, or a negative code (-EADDRINUSE
 * when the port is taken, so the caller may fall back). */
static int listen_on(const char *host, int port, dusk_error *err) {
  struct sockaddr_storage ss;
  socklen_t len;
  int fd, one = 1, rc;
  if ((rc = dusk_address_resolve(host, port, &ss, err)) != 0)
    return rc;
  len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                 : sizeof(struct sockaddr_in);
  if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
    return dusk_error_set(err, DUSK_ECONFIG, "dashboard: socket: %s",
                          strerror(errno));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
    int e = errno;
    close(fd);
    dusk_error_set(err, DUSK_ECONFIG, "dashboard: cannot listen on %s:%d: %s",
                   host, port, strerror(e));
    return e == EADDRINUSE ? -EADDRINUSE : DUSK_ECONFIG;
  }
  return fd;
}

static void dash_free(dusk_dash *d) {
  free(d->status);
  free(d->metrics);
  free(d->cert_pem);
  free(d->key_pem);
  pthread_mutex_destroy(&d->mu);
  explicit_bzero(d->key, sizeof d->key);
  free(d);
}

int dusk_dash_start(const dusk_dash_config *cfg, dusk_dash **out,
                    dusk_error *err) {
  dusk_dash *d;
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  sigset_t all, old;
  struct MHD_OptionItem opts[12];
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC |
                   MHD_USE_ERROR_LOG;
  int fd, n = 0, rc;

  if ((d = calloc(1, sizeof *d)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "dashboard: out of memory");
  pthread_mutex_init(&d->mu, NULL);
  d->max_body = cfg->max_body_bytes;
  d->session_s = cfg->session_s;
  if ((rc = dusk_auth_random(d->key, sizeof d->key)) != 0) {
    dash_free(d);
    return dusk_error_set(err, rc, "dashboard: no random bytes");
  }
  if (cfg->token != NULL) {
    dusk_slice key = {(const char *)d->key, sizeof d->key};
    d->has_token = 1;
    if ((rc = dusk_auth_mac(key, (dusk_slice){cfg->token, cfg->token_len},
                            d->token_mac)) != 0) {
      dash_free(d);
      return dusk_error_set(err, rc, "dashboard: HMAC failed");
    }
  }
  if (cfg->tls_cert != NULL || cfg->tls_key != NULL) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      dash_free(d);
      return dusk_error_set(err, DUSK_ECONFIG,
                            "dashboard: this libmicrohttpd has no TLS; pass "
                            "--no-dashboard");
    }
    if ((rc = read_pem(cfg->tls_cert, &d->cert_pem, err)) != 0 ||
        (rc = read_pem(cfg->tls_key, &d->key_pem, err)) != 0) {
      dash_free(d);
      return rc;
    }
    d->tls = 1;
    flags |= MHD_USE_TLS;
  }
  fd = listen_on(cfg->host, cfg->port, err);
  if (fd == -EADDRINUSE && cfg->fallback && cfg->port != 0) {
    dusk_log(DUSK_LOG_WARN,
             "dashboard: port %d is already in use (another cluster?); "
             "serving the dashboard on a free port instead",
             cfg->port);
    fd = listen_on(cfg->host, 0, err);
  }
  if (fd < 0) {
    dash_free(d);
    return fd == -EADDRINUSE ? DUSK_ECONFIG : fd;
  }
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
    close(fd);
    dash_free(d);
    return dusk_error_set(err, DUSK_ECONFIG, "dashboard: getsockname: %s",
                          strerror(errno));
  }
  d->port = ntohs(bound.ss_family == AF_INET6
                      ? ((struct sockaddr_in6 *)&bound)->sin6_port
                      : ((struct sockaddr_in *)&bound)->sin_port);
  if (bound.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;

  /* The logger first, so start-up messages reach it. */
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER,
                                      (intptr_t)on_mhd_log, d};
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                      (intptr_t)cfg->max_connections, NULL};
  /* One client holding connections open (a byte every few seconds keeps
   * each alive) must not lock everyone else out: a quarter of the total
   * per address, at least 4 (a browser opens up to 6). */
  opts[n++] = (struct MHD_OptionItem){
      MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      (intptr_t)(cfg->max_connections / 4 > 4 ? cfg->max_connections / 4
                                              : 4),
      NULL};
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                      (intptr_t)cfg->timeout_s, NULL};
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                      (intptr_t)cfg->max_header_bytes, NULL};
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                      (intptr_t)on_completed, d};
  /* Refuse what RFC 7230 calls malformed rather than guess. */
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL};
  if (d->tls) {
    /* TLS 1.2 and 1.3 only, as the cluster port (GnuTLS would also
     * speak 1.0 and 1.1). */
    opts[n++] = (struct MHD_OptionItem){
        MHD_OPTION_HTTPS_PRIORITIES, 0,
        (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                        d->key_pem};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                        d->cert_pem};
  }
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

  /* The HTTP thread inherits a mask blocking every signal: SIGTERM and
   * SIGINT stay with the loop's thread, which handles them. */
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  d->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, d,
                            MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  d->started = 1;
  if (d->mhd == NULL) {
    rc = dusk_error_set(err, DUSK_ECONFIG,
                        "dashboard: libmicrohttpd did not start%s%s%s",
                        d->start_error[0] ? " (" : "", d->start_error,
                        d->start_error[0] ? ")" : "");
    /* Not closed here: libmicrohttpd closes the socket it was given when
     * it fails to start, and a second close could hit a descriptor
     * another thread has opened since. */
    dash_free(d);
    return rc;
  }
  *out = d;
  return 0;
}

int dusk_dash_port(const dusk_dash *d) { return d->port; }

void dusk_dash_publish(dusk_dash *d, char *status, size_t status_len,
                       char *metrics, size_t metrics_len) {
  char *old_status, *old_metrics;
  pthread_mutex_lock(&d->mu);
  old_status = d->status;
  old_metrics = d->metrics;
  d->status = status;
  d->status_len = status_len;
  d->metrics = metrics;
  d->metrics_len = metrics_len;
  pthread_mutex_unlock(&d->mu);
  free(old_status); /* outside the lock: the HTTP thread never waits on it */
  free(old_metrics);
}

void dusk_dash_stop(dusk_dash *d) {
  if (d == NULL)
    return;
  MHD_stop_daemon(d->mhd); /* closes the listening socket too */
  dash_free(d);
}
