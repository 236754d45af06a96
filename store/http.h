/* http.h - HTTP(S) transport for reading objects where they live: small
 * requests (HEAD, a listing page, a credentials document) and ranged GETs
 * streamed into a bounded buffer.  libcurl (Debian's 7.88) does the
 * protocol; dusk adds what reading a CSV from a store needs:
 *
 *   - every attempt is re-signed (auth callback), so a retried request
 *     carries a fresh date and refreshed credentials;
 *   - a ranged read pins the object's version (If-Match: its ETag, or
 *     If-Unmodified-Since where a server gives no ETag): an object that
 *     changes mid-query is an error naming it, never a mixed answer;
 *   - a server that answers a range with the whole object (200) is
 *     detected: past offset 0 it is an error, at offset 0 the stream keeps
 *     the bytes it asked for and stops;
 *   - retries on 5xx, 429, S3's SlowDown and InternalError, connection
 *     resets, truncated bodies and stalls (no byte for stall_ms while
 *     the buffer had room), with jittered exponential backoff, resuming
 *     from the last byte received, within a bounded budget;
 *   - prefetch: a stream's own thread keeps receiving while the caller
 *     parses, up to the buffer's size (the caller never waits for a round
 *     trip per read).
 *
 * Error bodies are read up to HTTP_ERROR_BODY_MAX bytes; S3's XML code and
 * message go into the error, with the URL.  TLS certificates are checked;
 * DUSK_CA_BUNDLE, AWS_CA_BUNDLE, CURL_CA_BUNDLE or SSL_CERT_FILE (the
 * first set) name a CA file to trust instead of the system's.  Thread-safe
 * across handles; one handle is used by one thread at a time. */
#ifndef DUSK_HTTP_H
#define DUSK_HTTP_H

#include "buf.h"
#include "errors.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct curl_slist;

/* Adds a request's authentication headers before each attempt (method,
 * the full URL, the headers so far); 0 or a negative code with err.
 * refresh is true when the previous attempt was refused for expired
 * credentials.  NULL sign: no authentication. */
typedef struct dusk_http_auth {
  int (*sign)(void *arg, const char *method, const char *url,
              struct curl_slist **headers, bool refresh, dusk_error *err);
  /* Optional, for streams: the server refused the request (301 or 400)
   * naming another region (x-amz-bucket-region).  0 when later attempts
   * are signed for it (the stream tries once more), else a code with err
   * saying what to do. */
  int (*moved)(void *arg, const char *region, dusk_error *err);
  void *arg;
} dusk_http_auth;

/* Retry and timing policy.  dusk_http_policy_default() reads
 * DUSK_HTTP_STALL_MS, DUSK_HTTP_RETRIES and DUSK_HTTP_BACKOFF_MS from the
 * environment (tests shorten them) over the defaults in http.c. */
typedef struct dusk_http_policy {
  uint32_t retries;     /* attempts after the first, per stretch of no
                           progress */
  uint32_t backoff_ms;  /* first backoff; doubles, jittered, up to 20x */
  uint32_t stall_ms;    /* no byte for this long: the attempt is retried */
  uint32_t connect_ms;  /* connection timeout */
} dusk_http_policy;

dusk_http_policy dusk_http_policy_default(void);

/* What a HEAD (or a response's headers) said about an object. */
typedef struct dusk_http_meta {
  long status;
  uint64_t size;          /* Content-Length, or the total of Content-Range */
  bool has_size;
  bool ranges;            /* Accept-Ranges: bytes */
  char etag[128];         /* as sent, quotes included; "" when none */
  char last_modified[64]; /* "" when none */
  char region[64];        /* x-amz-bucket-region; "" when none */
} dusk_http_meta;

/* One request whose body is small (<= max_body): GET, HEAD or PUT with a
 * body.  Retries as a stream does on 5xx / 429 / resets (not on 4xx).
 * *meta gets the final response's headers; body (if not NULL) its body
 * when the status is 2xx, or S3's error document otherwise.  Returns 0
 * for any HTTP status (the caller judges it), or a negative code with err
 * for transport failures after the retries. */
int dusk_http_request(const char *method, const char *url,
                      const char *const *headers, size_t nheaders,
                      const void *put_body, size_t put_len,
                      const dusk_http_auth *auth,
                      const dusk_http_policy *policy, size_t max_body,
                      dusk_http_meta *meta, dusk_buf *body, dusk_error *err);

/* The message of an S3-style error document (<Code>, <Message>) or of a
 * status, for errors: "403 AccessDenied: Access Denied". */
void dusk_http_describe_error(const dusk_http_meta *m, const dusk_buf *body,
                              char *out, size_t outlen);
/* The <Code> of an S3 error document into out ("" when none). */
void dusk_http_error_code(const dusk_buf *body, char *out, size_t outlen);

/* ---- ranged streams --------------------------------------------------- */

/* A version that is no ETag: this prefix and a Last-Modified date, pinned
 * with If-Unmodified-Since (a server that gives no ETag). */
#define DUSK_HTTP_VERSION_LM "LM:"

typedef struct dusk_http_stream dusk_http_stream;

/* Starts receiving bytes [start, end) of url on a thread of its own.
 * version: the ETag to pin (If-Match), DUSK_HTTP_VERSION_LM and a date
 * (If-Unmodified-Since), or NULL / "" for none.  size: the
 * object's size when known (UINT64_MAX: unknown), so a 200 answer can be
 * told from a complete one.  buffer: bytes received ahead of the reader.
 * The auth struct is copied; its arg must outlive the stream. */
int dusk_http_stream_open(const char *url, const char *version, uint64_t start,
                          uint64_t end, uint64_t size,
                          const dusk_http_auth *auth,
                          const dusk_http_policy *policy, size_t buffer,
                          dusk_http_stream **out, dusk_error *err);

/* Copies up to n of the next bytes into buf, waiting for them; *got is 0
 * only at the end of the range (or of the object).  0, or the stream's
 * failure (a negative code with err naming the URL). */
int dusk_http_stream_read(dusk_http_stream *s, void *buf, size_t n,
                          size_t *got, dusk_error *err);

/* The offset of the next byte read returns. */
uint64_t dusk_http_stream_offset(const dusk_http_stream *s);

/* Stops the thread (aborting its transfer) and frees the stream. */
void dusk_http_stream_close(dusk_http_stream *s);

/* url for an error message: without its query, which may hold a
 * presigned URL's signature or token ("https://h/p?..." ). */
void dusk_http_redact(const char *url, char *out, size_t cap);

/* Attempts retried over the process's life (for tests and stats). */
uint64_t dusk_http_retries_total(void);

#endif
