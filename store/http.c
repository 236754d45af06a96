/* http.c - libcurl requests and ranged streams (http.h). */
#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Error documents are short; a longer body is cut here. */
#define HTTP_ERROR_BODY_MAX ((size_t)16 << 10)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static atomic_uint_fast64_t retries_total;

static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_ALL); }

uint64_t dusk_http_retries_total(void) { return atomic_load(&retries_total); }

static uint32_t env_u32(const char *name, uint32_t dflt) {
  const char *v = getenv(name);
  char *end;
  unsigned long x;
  if (v == NULL || *v == '\0')
    return dflt;
  errno = 0;
  x = strtoul(v, &end, 10);
  if (errno != 0 || *end != '\0' || x > UINT32_MAX)
    return dflt;
  return (uint32_t)x;
}

dusk_http_policy dusk_http_policy_default(void) {
  dusk_http_policy p;
  p.retries = env_u32("DUSK_HTTP_RETRIES", 8);
  p.backoff_ms = env_u32("DUSK_HTTP_BACKOFF_MS", 100);
  p.stall_ms = env_u32("DUSK_HTTP_STALL_MS", 30000);
  p.connect_ms = env_u32("DUSK_HTTP_CONNECT_MS", 10000);
  return p;
}

static const char *ca_bundle(void) {
  static const char *const vars[] = {"DUSK_CA_BUNDLE", "AWS_CA_BUNDLE",
                                     "CURL_CA_BUNDLE", "SSL_CERT_FILE"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    if (v != NULL && *v != '\0')
      return v;
  }
  return NULL;
}

/* ---- one attempt's response --------------------------------------------- */

typedef struct response {
  dusk_http_meta meta;
  bool in_headers; /* a status line seen, its headers not yet ended */
} response;

static void copy_value(char *dst, size_t cap, const char *v, size_t n) {
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, v, n);
  dst[n] = '\0';
}

/* Parses one header line into r (a new status line restarts it: an
 * interim 100 Continue is followed by the real one). */
static void parse_header_line(response *r, const char *line, size_t n) {
  const char *colon, *v;
  size_t name_len, vlen;
  while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
    n--;
  if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    const char *sp = memchr(line, ' ', n);
    memset(&r->meta, 0, sizeof r->meta);
    r->meta.status = sp ? strtol(sp + 1, NULL, 10) : 0;
    r->in_headers = true;
    return;
  }
  colon = memchr(line, ':', n);
  if (colon == NULL)
    return;
  name_len = (size_t)(colon - line);
  v = colon + 1;
  while (v < line + n && (*v == ' ' || *v == '\t'))
    v++;
  vlen = (size_t)(line + n - v);
#define IS(h) (name_len == sizeof(h) - 1 && strncasecmp(line, h, name_len) == 0)
  if (IS("content-length")) {
    char tmp[32];
    copy_value(tmp, sizeof tmp, v, vlen);
    if (!r->meta.has_size) {
      r->meta.size = strtoull(tmp, NULL, 10);
      r->meta.has_size = true;
    }
  } else if (IS("content-range")) {
    /* bytes a-b/total: the object's size, which wins over the length */
    char tmp[96];
    const char *slash;
    copy_value(tmp, sizeof tmp, v, vlen);
    slash = strchr(tmp, '/');
    if (slash != NULL && slash[1] != '*') {
      r->meta.size = strtoull(slash + 1, NULL, 10);
      r->meta.has_size = true;
    }
  } else if (IS("accept-ranges")) {
    r->meta.ranges = vlen >= 5 && strncasecmp(v, "bytes", 5) == 0;
  } else if (IS("etag")) {
    if (vlen < sizeof r->meta.etag) /* a longer one is not kept, not cut */
      copy_value(r->meta.etag, sizeof r->meta.etag, v, vlen);
  } else if (IS("last-modified")) {
    copy_value(r->meta.last_modified, sizeof r->meta.last_modified, v, vlen);
  } else if (IS("x-amz-bucket-region")) {
    copy_value(r->meta.region, sizeof r->meta.region, v, vlen);
  }
#undef IS
}

/* ---- error documents ---------------------------------------------------- */

/* The text of <tag>...</tag> in body into out ("" when absent). */
static void xml_tag(const dusk_buf *body, const char *tag, char *out,
                    size_t outlen) {
  char open[64], close[64];
  const char *b, *e, *end;
  size_t n;
  out[0] = '\0';
  if (body == NULL || body->len == 0)
    return;
  snprintf(open, sizeof open, "<%s>", tag);
  snprintf(close, sizeof close, "</%s>", tag);
  end = body->data + body->len;
  b = memmem(body->data, body->len, open, strlen(open));
  if (b == NULL)
    return;
  b += strlen(open);
  e = memmem(b, (size_t)(end - b), close, strlen(close));
  if (e == NULL)
    return;
  n = (size_t)(e - b);
  copy_value(out, outlen, b, n);
  /* one line, printable */
  for (char *p = out; *p; p++)
    if ((unsigned char)*p < 0x20)
      *p = ' ';
}

void dusk_http_error_code(const dusk_buf *body, char *out, size_t outlen) {
  xml_tag(body, "Code", out, outlen);
}

void dusk_http_describe_error(const dusk_http_meta *m, const dusk_buf *body,
                              char *out, size_t outlen) {
  char code[96], msg[256];
  xml_tag(body, "Code", code, sizeof code);
  xml_tag(body, "Message", msg, sizeof msg);
  if (code[0] && msg[0])
    snprintf(out, outlen, "%ld %s: %s", m->status, code, msg);
  else if (code[0])
    snprintf(out, outlen, "%ld %s", m->status, code);
  else
    snprintf(out, outlen, "HTTP status %ld", m->status);
}

/* Whether a response asks to be tried again: server errors, throttling,
 * and S3's SlowDown / InternalError (which may come with any status,
 * even 200). */
static bool retriable_response(long status, const char *code) {
  if (status >= 500 || status == 429 || status == 408)
    return true;
  return strcmp(code, "SlowDown") == 0 || strcmp(code, "InternalError") == 0 ||
         strcmp(code, "RequestTimeout") == 0 ||
         strcmp(code, "ServiceUnavailable") == 0;
}

/* Whether credentials expired (sign again with fresh ones). */
static bool expired_response(long status, const char *code) {
  return (status == 400 || status == 403) &&
         (strcmp(code, "ExpiredToken") == 0 ||
          strcmp(code, "ExpiredTokenException") == 0 ||
          strcmp(code, "RequestExpired") == 0 ||
          strcmp(code, "TokenRefreshRequired") == 0);
}

/* Whether a transport failure may pass on a new attempt. */
static bool retriable_curl(CURLcode c) {
  switch (c) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_ABORTED_BY_CALLBACK: /* a stall */
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_COULDNT_RESOLVE_HOST:
    return true;
  default:
    return false;
  }
}

/* Sleeps the attempt's backoff: base * 2^k capped at 20 * base, times a
 * random factor in [0.5, 1) so clients that failed together do not retry
 * together.  Returns early when *cancel turns true (checked every 10 ms). */
static void backoff_sleep(const dusk_http_policy *p, uint32_t k,
                          const atomic_bool *cancel) {
  uint64_t cap = (uint64_t)p->backoff_ms * 20, ms = p->backoff_ms;
  unsigned seed = (unsigned)dusk_now_ns();
  while (k-- > 0 && ms < cap)
    ms *= 2;
  if (ms > cap)
    ms = cap;
  ms = ms / 2 + (uint64_t)(rand_r(&seed) % (int)(ms / 2 + 1));
  while (ms > 0 && !(cancel && atomic_load(cancel))) {
    uint64_t step = ms < 10 ? ms : 10;
    struct timespec ts = {0, (long)(step * 1000000)};
    nanosleep(&ts, NULL);
    ms -= step;
  }
}

static void set_common(CURL *c, const dusk_http_policy *p) {
  const char *ca = ca_bundle();
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)p->connect_ms);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  /* the path as signed: an S3 key may hold "." and ".." segments */
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  if (ca != NULL)
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
}

void dusk_http_redact(const char *url, char *out, size_t cap) {
  const char *q = strchr(url, '?');
  if (q == NULL)
    snprintf(out, cap, "%s", url);
  else
    snprintf(out, cap, "%.*s?...", (int)(q - url), url);
}

/* ---- small requests ----------------------------------------------------- */

typedef struct small_req {
  response resp;
  dusk_buf *body;
  size_t max_body;
  bool too_big;
  uint64_t last_rx_ns;
  uint32_t stall_ms;
} small_req;

static size_t small_header_cb(char *p, size_t size, size_t n, void *arg) {
  small_req *r = arg;
  parse_header_line(&r->resp, p, size * n);
  return size * n;
}

static size_t small_write_cb(char *p, size_t size, size_t n, void *arg) {
  small_req *r = arg;
  size_t len = size * n;
  size_t cap = r->resp.meta.status >= 300 && r->max_body > HTTP_ERROR_BODY_MAX
                   ? HTTP_ERROR_BODY_MAX
                   : r->max_body;
  r->last_rx_ns = dusk_now_ns();
  if (r->body == NULL)
    return len;
  if (r->body->len + len > cap) {
    r->too_big = r->resp.meta.status < 300;
    len = cap - r->body->len;
    if (len > 0 && dusk_buf_append(r->body, p, len) != 0)
      return 0;
    return r->too_big ? 0 : size * n;
  }
  return dusk_buf_append(r->body, p, len) == 0 ? len : 0;
}

static int small_progress_cb(void *arg, curl_off_t dt, curl_off_t dn,
                             curl_off_t ut, curl_off_t un) {
  small_req *r = arg;
  (void)dt, (void)dn, (void)ut, (void)un;
  return dusk_now_ns() - r->last_rx_ns > (uint64_t)r->stall_ms * 1000000;
}

int dusk_http_request(const char *method, const char *url,
                      const char *const *headers, size_t nheaders,
                      const void *put_body, size_t put_len,
                      const dusk_http_auth *auth,
                      const dusk_http_policy *policy, size_t max_body,
                      dusk_http_meta *meta, dusk_buf *body, dusk_error *err) {
  dusk_http_policy pol = policy ? *policy : dusk_http_policy_default();
  char curl_msg[CURL_ERROR_SIZE], last[384] = "";
  char shown[512]; /* url without its query, for errors */
  bool refresh = false;
  int rc = 0;
  CURL *c;

  dusk_http_redact(url, shown, sizeof shown);

  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK)
    return dusk_error_set(err, DUSK_EINVAL, "%s: libcurl failed to start", shown);
  memset(meta, 0, sizeof *meta);
  c = curl_easy_init();
  if (c == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", shown);
  for (uint32_t attempt = 0;; attempt++) {
    struct curl_slist *hl = NULL, *tmp;
    small_req r;
    CURLcode cc;
    char code[96];
    memset(&r, 0, sizeof r);
    r.body = body;
    r.max_body = max_body;
    r.stall_ms = pol.stall_ms;
    r.last_rx_ns = dusk_now_ns();
    if (body != NULL)
      body->len = 0;
    curl_easy_reset(c);
    set_common(c, &pol);
    for (size_t i = 0; i < nheaders; i++) {
      if ((tmp = curl_slist_append(hl, headers[i])) == NULL) {
        curl_slist_free_all(hl);
        rc = dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", shown);
        goto out;
      }
      hl = tmp;
    }
    if (auth != NULL && auth->sign != NULL &&
        (rc = auth->sign(auth->arg, method, url, &hl, refresh, err)) != 0) {
      curl_slist_free_all(hl);
      goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_msg);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, small_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, small_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, small_progress_cb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &r);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    if (strcmp(method, "HEAD") == 0) {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, put_body ? put_body : "");
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)put_len);
    }
    curl_msg[0] = '\0';
    cc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    *meta = r.resp.meta;
    if (r.too_big) {
      rc = dusk_error_set(err, DUSK_ETOOBIG,
                          "%s: %s: the response is larger than %zu bytes", shown,
                          method, max_body);
      goto out;
    }
    code[0] = '\0';
    if (cc == CURLE_OK) {
      dusk_http_error_code(body, code, sizeof code);
      /* A HEAD's refusal has no body to say why: one that may be expired
       * credentials is signed once more with fresh ones. */
      if (strcmp(method, "HEAD") == 0 && auth != NULL &&
          (meta->status == 400 || meta->status == 403))
        snprintf(code, sizeof code, "ExpiredToken");
      if (expired_response(meta->status, code) && !refresh) {
        refresh = true; /* sign once more with fresh credentials */
        continue;
      }
      if (!retriable_response(meta->status, code))
        goto out; /* the caller judges the status */
      dusk_http_describe_error(meta, body, last, sizeof last);
    } else if (!retriable_curl(cc)) {
      rc = dusk_error_set(err, DUSK_EPROTO, "%s: %s: %s", shown, method,
                          curl_msg[0] ? curl_msg : curl_easy_strerror(cc));
      goto out;
    } else {
      snprintf(last, sizeof last, "%s",
               cc == CURLE_ABORTED_BY_CALLBACK
                   ? "stalled"
                   : (curl_msg[0] ? curl_msg : curl_easy_strerror(cc)));
    }
    if (attempt >= pol.retries) {
      rc = dusk_error_set(err, DUSK_ETIMEDOUT,
                          "%s: %s: gave up after %u attempts: %s", shown, method,
                          attempt + 1, last);
      goto out;
    }
    atomic_fetch_add(&retries_total, 1);
    backoff_sleep(&pol, attempt, NULL);
  }
out:
  curl_easy_cleanup(c);
  return rc;
}

/* ---- ranged streams ----------------------------------------------------- */

struct dusk_http_stream {
  char *url;
  char shown[512]; /* url without its query, for errors */
  char version[128];
  dusk_http_auth auth;
  dusk_http_policy policy;
  uint64_t size; /* UINT64_MAX: unknown */
  uint64_t end;  /* exclusive */

  /* The receiving thread's own (read only by it while it runs). */
  uint64_t pos; /* the next byte to receive */
  response resp;
  bool checked;      /* this attempt's status judged */
  bool body_is_data; /* this attempt's body goes to the ring */
  bool whole;        /* a 200 (the whole object): stop at end */
  uint64_t discard;  /* bytes of a 200's body before pos, to drop */
  bool fatal;        /* the write callback found a fatal answer */
  dusk_buf errbody;
  uint64_t last_rx_ns;
  uint64_t attempt_bytes;
  char fatal_msg[384];
  CURL *curl;

  /* Shared with the reader, under mu. */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char *ring;
  size_t cap, head, len;
  uint64_t read_off; /* offset of ring[head] */
  bool done;
  int rc;
  dusk_error err;
  atomic_bool cancel;
  pthread_t thread;
};

/* Waits for room, then appends bytes to the ring; false when canceled. */
static bool ring_push(dusk_http_stream *s, const char *p, size_t n) {
  pthread_mutex_lock(&s->mu);
  while (n > 0) {
    size_t room, tail, chunk;
    while (s->len == s->cap && !atomic_load(&s->cancel))
      pthread_cond_wait(&s->cv, &s->mu);
    if (atomic_load(&s->cancel)) {
      pthread_mutex_unlock(&s->mu);
      return false;
    }
    room = s->cap - s->len;
    tail = (s->head + s->len) % s->cap;
    chunk = n < room ? n : room;
    if (chunk > s->cap - tail)
      chunk = s->cap - tail;
    memcpy(s->ring + tail, p, chunk);
    s->len += chunk;
    p += chunk;
    n -= chunk;
    pthread_cond_broadcast(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
  return true;
}

/* Judges the status once the first body byte (or the end) arrives. */
static void stream_check(dusk_http_stream *s) {
  long st = s->resp.meta.status;
  s->checked = true;
  s->body_is_data = false;
  if (st == 206) {
    /* the range must start where we asked */
    s->body_is_data = true;
  } else if (st == 200) {
    if (s->pos == 0 || !s->resp.meta.ranges) {
      /* A server without Range support (it does not say Accept-Ranges):
       * the body is the whole object, of which [pos, end) is kept. */
      s->whole = true;
      s->body_is_data = true;
      s->discard = s->pos;
    } else {
      s->fatal = true;
      snprintf(s->fatal_msg, sizeof s->fatal_msg,
               "the server says it serves ranges but answered bytes %llu- "
               "with the whole object (200)",
               (unsigned long long)s->pos);
    }
  }
}

static size_t stream_header_cb(char *p, size_t size, size_t n, void *arg) {
  dusk_http_stream *s = arg;
  size_t len = size * n;
  parse_header_line(&s->resp, p, len);
  if (len >= 14 && strncasecmp(p, "content-range:", 14) == 0 &&
      s->resp.meta.status == 206) {
    /* "bytes a-b/n": a must be the offset asked for */
    const char *q = p + 14;
    while (q < p + len && (*q == ' ' || *q == '\t'))
      q++;
    if ((size_t)(p + len - q) > 6 && strncasecmp(q, "bytes ", 6) == 0) {
      unsigned long long a = strtoull(q + 6, NULL, 10);
      if (a != s->pos) {
        s->fatal = true;
        snprintf(s->fatal_msg, sizeof s->fatal_msg,
                 "asked for bytes from %llu, the server sent bytes from %llu",
                 (unsigned long long)s->pos, a);
        return 0;
      }
    }
  }
  return len;
}

static size_t stream_write_cb(char *p, size_t size, size_t n, void *arg) {
  dusk_http_stream *s = arg;
  size_t len = size * n, take;
  if (!s->checked)
    stream_check(s);
  if (s->fatal)
    return 0;
  if (!s->body_is_data) {
    size_t room = HTTP_ERROR_BODY_MAX - s->errbody.len;
    if (len > room)
      len = room;
    if (len > 0 && dusk_buf_append(&s->errbody, p, len) != 0)
      return 0;
    return size * n;
  }
  if (s->discard > 0) {
    size_t drop = s->discard < len ? (size_t)s->discard : len;
    s->discard -= drop;
    p += drop;
    len -= drop;
    s->last_rx_ns = dusk_now_ns();
    if (len == 0)
      return size * n;
  }
  take = s->end - s->pos < len ? (size_t)(s->end - s->pos) : len;
  if (take > 0 && !ring_push(s, p, take))
    return 0;
  s->pos += take;
  s->attempt_bytes += take;
  s->last_rx_ns = dusk_now_ns();
  /* past end (a whole-object 200): stop */
  return take < len ? 0 : size * n;
}

static int stream_progress_cb(void *arg, curl_off_t dt, curl_off_t dn,
                              curl_off_t ut, curl_off_t un) {
  dusk_http_stream *s = arg;
  (void)dt, (void)dn, (void)ut, (void)un;
  if (atomic_load(&s->cancel))
    return 1;
  return dusk_now_ns() - s->last_rx_ns > (uint64_t)s->policy.stall_ms * 1000000;
}

/* Ends the stream: rc 0 (all bytes received) or a failure for the reader. */
static void stream_finish(dusk_http_stream *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stream_finish(dusk_http_stream *s, int rc, const char *fmt, ...) {
  pthread_mutex_lock(&s->mu);
  s->done = true;
  s->rc = rc;
  if (rc != 0 && fmt != NULL) {
    char msg[DUSK_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dusk_error_set(&s->err, rc, "%s: %s", s->shown, msg);
  }
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* One GET of [pos, end); returns the curl code (the response in s). */
static CURLcode stream_attempt(dusk_http_stream *s, bool refresh, int *sign_rc,
                               char *curl_msg) {
  struct curl_slist *hl = NULL, *tmp;
  char range[80], match[160];
  CURLcode cc;
  CURL *c = s->curl;

  memset(&s->resp, 0, sizeof s->resp);
  s->checked = s->body_is_data = s->fatal = s->whole = false;
  s->discard = 0;
  s->errbody.len = 0;
  s->attempt_bytes = 0;
  s->last_rx_ns = dusk_now_ns();
  *sign_rc = 0;
  curl_easy_reset(c);
  set_common(c, &s->policy);
  snprintf(range, sizeof range, "Range: bytes=%llu-%llu",
           (unsigned long long)s->pos, (unsigned long long)(s->end - 1));
  if ((tmp = curl_slist_append(hl, range)) == NULL) {
    *sign_rc = DUSK_ENOMEM;
    return CURLE_OK;
  }
  hl = tmp;
  if (s->version[0] != '\0') {
    /* an ETag, or "LM:" and the Last-Modified of a server without one */
    if (strncmp(s->version, DUSK_HTTP_VERSION_LM, 3) == 0)
      snprintf(match, sizeof match, "If-Unmodified-Since: %s",
               s->version + 3);
    else
      snprintf(match, sizeof match, "If-Match: %s", s->version);
    if ((tmp = curl_slist_append(hl, match)) == NULL) {
      curl_slist_free_all(hl);
      *sign_rc = DUSK_ENOMEM;
      return CURLE_OK;
    }
    hl = tmp;
  }
  if (s->auth.sign != NULL &&
      (*sign_rc = s->auth.sign(s->auth.arg, "GET", s->url, &hl, refresh,
                               &s->err)) != 0) {
    curl_slist_free_all(hl);
    return CURLE_OK;
  }
  curl_easy_setopt(c, CURLOPT_URL, s->url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_msg);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, stream_header_cb);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, stream_progress_cb);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_msg[0] = '\0';
  cc = curl_easy_perform(c);
  curl_slist_free_all(hl);
  if (!s->checked && cc == CURLE_OK)
    stream_check(s); /* an empty body */
  return cc;
}

static void *stream_main(void *arg) {
  dusk_http_stream *s = arg;
  char curl_msg[CURL_ERROR_SIZE], last[384] = "";
  uint32_t fails = 0;
  bool refresh = false, moved = false;

  while (!atomic_load(&s->cancel)) {
    int sign_rc;
    CURLcode cc;
    char code[96];
    if (s->pos >= s->end) {
      stream_finish(s, 0, NULL);
      return NULL;
    }
    cc = stream_attempt(s, refresh, &sign_rc, curl_msg);
    refresh = false;
    if (atomic_load(&s->cancel))
      break;
    if (sign_rc != 0) {
      char msg[DUSK_ERROR_MESSAGE_MAX];
      snprintf(msg, sizeof msg, "%s", s->err.message);
      stream_finish(s, sign_rc, "%s", msg);
      return NULL;
    }
    if (s->fatal) {
      stream_finish(s, DUSK_EPROTO, "%s", s->fatal_msg);
      return NULL;
    }
    if (s->whole && s->pos >= s->end) {
      stream_finish(s, 0, NULL); /* stopped the 200 at end on purpose */
      return NULL;
    }
    code[0] = '\0';
    dusk_http_error_code(&s->errbody, code, sizeof code);
    if (cc == CURLE_OK && s->body_is_data) {
      if (s->pos >= s->end)
        continue; /* done */
      if (s->whole && s->size != UINT64_MAX && s->pos >= s->size) {
        stream_finish(s, 0, NULL);
        return NULL;
      }
      snprintf(last, sizeof last,
               "the body ended at byte %llu, before byte %llu",
               (unsigned long long)s->pos, (unsigned long long)s->end);
    } else if (cc == CURLE_OK) {
      long st = s->resp.meta.status;
      if (st == 412) {
        stream_finish(s, DUSK_EINVAL,
                      "the object changed during the query (it no longer "
                      "matches %s %s); run the query again",
                      strncmp(s->version, DUSK_HTTP_VERSION_LM, 3) == 0
                          ? "the Last-Modified"
                          : "ETag",
                      strncmp(s->version, DUSK_HTTP_VERSION_LM, 3) == 0
                          ? s->version + 3
                          : s->version);
        return NULL;
      }
      if (st == 416 && s->size == UINT64_MAX) {
        stream_finish(s, 0, NULL); /* past the end of an object of
                                      unknown size: its end */
        return NULL;
      }
      if ((st == 301 ||
           (st == 400 && strcmp(code, "AuthorizationHeaderMalformed") == 0)) &&
          s->resp.meta.region[0] != '\0' && s->auth.moved != NULL && !moved) {
        int mrc = s->auth.moved(s->auth.arg, s->resp.meta.region, &s->err);
        if (mrc != 0) {
          char msg[DUSK_ERROR_MESSAGE_MAX];
          snprintf(msg, sizeof msg, "%s", s->err.message);
          stream_finish(s, mrc, "%s", msg);
          return NULL;
        }
        moved = true; /* signed for the bucket's region from now on */
        continue;
      }
      if (expired_response(st, code)) {
        refresh = true;
        snprintf(last, sizeof last, "%ld %s", st, code);
      } else if (retriable_response(st, code)) {
        dusk_http_describe_error(&s->resp.meta, &s->errbody, last,
                                 sizeof last);
      } else {
        dusk_http_describe_error(&s->resp.meta, &s->errbody, last,
                                 sizeof last);
        stream_finish(s, st == 404 ? DUSK_ENOTFOUND
                         : st == 403 || st == 401 ? DUSK_EAUTH
                                                  : DUSK_EPROTO,
                      "GET bytes %llu-%llu: %s", (unsigned long long)s->pos,
                      (unsigned long long)(s->end - 1), last);
        return NULL;
      }
    } else if (retriable_curl(cc) || cc == CURLE_WRITE_ERROR) {
      snprintf(last, sizeof last, "%s",
               cc == CURLE_ABORTED_BY_CALLBACK
                   ? "no data arrived for a while (stalled)"
                   : (curl_msg[0] ? curl_msg : curl_easy_strerror(cc)));
    } else {
      stream_finish(s, DUSK_EPROTO, "GET: %s",
                    curl_msg[0] ? curl_msg : curl_easy_strerror(cc));
      return NULL;
    }
    /* A retry; an attempt that moved forward resets the budget. */
    fails = s->attempt_bytes > 0 ? 1 : fails + 1;
    if (fails > s->policy.retries) {
      stream_finish(s, DUSK_ETIMEDOUT,
                    "GET bytes %llu-%llu: gave up after %u attempts without "
                    "progress: %s",
                    (unsigned long long)s->pos,
                    (unsigned long long)(s->end - 1), fails, last);
      return NULL;
    }
    atomic_fetch_add(&retries_total, 1);
    backoff_sleep(&s->policy, fails - 1, &s->cancel);
  }
  stream_finish(s, DUSK_ECANCELED, "canceled");
  return NULL;
}

int dusk_http_stream_open(const char *url, const char *version, uint64_t start,
                          uint64_t end, uint64_t size,
                          const dusk_http_auth *auth,
                          const dusk_http_policy *policy, size_t buffer,
                          dusk_http_stream **out, dusk_error *err) {
  dusk_http_stream *s;
  char shown[512];
  *out = NULL;
  dusk_http_redact(url, shown, sizeof shown);
  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK)
    return dusk_error_set(err, DUSK_EINVAL, "%s: libcurl failed to start", shown);
  if (version != NULL && strlen(version) >= sizeof s->version)
    return dusk_error_set(err, DUSK_EINVAL, "%s: ETag too long", shown);
  s = calloc(1, sizeof *s);
  if (s == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", shown);
  s->url = strdup(url);
  memcpy(s->shown, shown, sizeof s->shown);
  s->cap = buffer < 65536 ? 65536 : buffer;
  s->ring = malloc(s->cap);
  s->curl = curl_easy_init();
  if (s->url == NULL || s->ring == NULL || s->curl == NULL) {
    curl_easy_cleanup(s->curl);
    free(s->ring);
    free(s->url);
    free(s);
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", shown);
  }
  /* A weak ETag never matches If-Match's strong comparison (RFC 7232):
   * such an object is not pinned. */
  if (version != NULL && strncmp(version, "W/", 2) != 0)
    snprintf(s->version, sizeof s->version, "%s", version);
  if (auth != NULL)
    s->auth = *auth;
  s->policy = policy ? *policy : dusk_http_policy_default();
  s->size = size;
  if (size != UINT64_MAX && end > size)
    end = size;
  s->end = end > start ? end : start;
  s->pos = start;
  s->read_off = start;
  dusk_buf_init(&s->errbody);
  atomic_init(&s->cancel, false);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  if (pthread_create(&s->thread, NULL, stream_main, s) != 0) {
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    curl_easy_cleanup(s->curl);
    free(s->ring);
    free(s->url);
    free(s);
    return dusk_error_set(err, DUSK_ENOMEM, "%s: cannot start a thread", shown);
  }
  *out = s;
  return 0;
}

int dusk_http_stream_read(dusk_http_stream *s, void *buf, size_t n,
                          size_t *got, dusk_error *err) {
  char *dst = buf;
  size_t copied = 0;
  *got = 0;
  pthread_mutex_lock(&s->mu);
  while (s->len == 0 && !s->done)
    pthread_cond_wait(&s->cv, &s->mu);
  while (copied < n && s->len > 0) {
    size_t chunk = s->len < n - copied ? s->len : n - copied;
    if (chunk > s->cap - s->head)
      chunk = s->cap - s->head;
    memcpy(dst + copied, s->ring + s->head, chunk);
    s->head = (s->head + chunk) % s->cap;
    s->len -= chunk;
    copied += chunk;
  }
  s->read_off += copied;
  if (copied > 0)
    pthread_cond_broadcast(&s->cv);
  *got = copied;
  if (copied == 0 && s->rc != 0) {
    int rc = s->rc;
    if (err != NULL)
      *err = s->err;
    pthread_mutex_unlock(&s->mu);
    return rc;
  }
  pthread_mutex_unlock(&s->mu);
  return 0;
}

uint64_t dusk_http_stream_offset(const dusk_http_stream *s) {
  return s->read_off;
}

void dusk_http_stream_close(dusk_http_stream *s) {
  if (s == NULL)
    return;
  pthread_mutex_lock(&s->mu);
  atomic_store(&s->cancel, true);
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  curl_easy_cleanup(s->curl);
  dusk_buf_destroy(&s->errbody);
  free(s->ring);
  free(s->url);
  free(s);
}
