/* sigv4.c - AWS Signature Version 4 over OpenSSL's libcrypto.
 *
 * Every input is checked against the limits of sigv4.h before a byte of
 * output is written for it, so the buffers grow by amounts bounded by those
 * limits.  Sorting happens on small index arrays on the stack (at most
 * DUSK_SIGV4_MAX_PAIRS entries), by insertion, which is stable: headers
 * repeated under one name keep their order, as SigV4 requires. */
#include "sigv4.h"

#include "auth.h" /* dusk_auth_mac: HMAC-SHA256 */

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
/* The encoded path may be three times the longest raw one. */
#define PATH_MAX_LEN (3 * DUSK_SIGV4_VALUE_MAX)
/* How much of an offending value an error message shows. */
#define SHOW_MAX 48

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

/* ---- small helpers ------------------------------------------------------ */

static dusk_slice slice(const char *p, size_t n) {
  dusk_slice s;
  s.ptr = p;
  s.len = n;
  return s;
}

static bool slice_eq(dusk_slice a, dusk_slice b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool slice_is(dusk_slice a, const char *s) {
  return slice_eq(a, slice(s, strlen(s)));
}

/* A printable excerpt of untrusted bytes for an error message. */
static const char *show(char out[SHOW_MAX], dusk_slice s) {
  dusk_sanitize(out, SHOW_MAX, s.ptr, s.len);
  return out;
}

static int put(dusk_buf *b, const char *s) {
  return dusk_buf_append(b, s, strlen(s));
}

static int put_slice(dusk_buf *b, dusk_slice s) {
  return dusk_buf_append(b, s.ptr, s.len);
}

/* Leaves a NUL after b's text without counting it, so the text is also a
 * C string. */
static int terminate(dusk_buf *b) {
  int rc = dusk_buf_reserve(b, 1);
  if (rc != 0)
    return rc;
  b->data[b->len] = '\0';
  return 0;
}

/* Undoes a failed producer's appends (the contract of sigv4.h). */
static int restore(dusk_buf *b, size_t len, int rc) {
  b->len = len;
  if (b->data != NULL)
    b->data[len] = '\0';
  return rc;
}

static void hex_encode(const uint8_t *bytes, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex_lower[bytes[i] >> 4];
    out[2 * i + 1] = hex_lower[bytes[i] & 15];
  }
  out[2 * n] = '\0';
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static bool is_upper_hex(unsigned char c) {
  return is_digit(c) || (c >= 'A' && c <= 'F');
}

static bool is_lower_hex(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool is_alnum(unsigned char c) {
  return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static unsigned char lower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* RFC 3986's unreserved characters: what UriEncode leaves alone. */
static bool is_unreserved(unsigned char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 9110's tchar: what a method or a header name is made of. */
static bool is_tchar(unsigned char c) {
  return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_token(dusk_slice s) {
  if (s.len == 0)
    return false;
  for (size_t i = 0; i < s.len; i++)
    if (!is_tchar((unsigned char)s.ptr[i]))
      return false;
  return true;
}

/* ---- field checks ------------------------------------------------------- */

/* Region and service become parts of the credential scope, which the
 * Authorization header delimits with '/' and ','. */
static int check_scope_part(const char *what, dusk_slice s, dusk_error *err) {
  char shown[SHOW_MAX];
  if (s.len == 0 || s.len > DUSK_SIGV4_NAME_MAX)
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: %s must be 1 to %d bytes, not %zu", what,
                          DUSK_SIGV4_NAME_MAX, s.len);
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.ptr[i];
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
      return dusk_error_set(err, DUSK_EINVAL,
                            "sigv4: %s \"%s\" has a byte other than letters, "
                            "digits, '-', '_' and '.'",
                            what, show(shown, s));
  }
  return 0;
}

/* "YYYYMMDDTHHMMSSZ" by shape; the server judges the time itself. */
static int check_amz_date(dusk_slice d, dusk_error *err) {
  char shown[SHOW_MAX];
  bool ok =
      d.len == DUSK_SIGV4_AMZ_DATE_LEN && d.ptr[8] == 'T' && d.ptr[15] == 'Z';
  for (size_t i = 0; ok && i < 15; i++)
    ok = i == 8 || is_digit((unsigned char)d.ptr[i]);
  if (!ok)
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: amz date \"%s\" is not YYYYMMDDTHHMMSSZ",
                          show(shown, d));
  return 0;
}

static int check_payload_hash(dusk_slice h, dusk_error *err) {
  char shown[SHOW_MAX];
  bool ok = h.len == 64;
  for (size_t i = 0; ok && i < h.len; i++)
    ok = is_lower_hex((unsigned char)h.ptr[i]);
  if (!ok && !slice_is(h, DUSK_SIGV4_UNSIGNED_PAYLOAD))
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: payload hash \"%s\" is neither 64 lower-case "
                          "hex digits nor " DUSK_SIGV4_UNSIGNED_PAYLOAD,
                          show(shown, h));
  return 0;
}

/* The path must already be UriEncoded: S3 signs the URL's path as sent,
 * and a raw key here would be signed one way and sent another. */
static int check_path(dusk_slice p, dusk_error *err) {
  char shown[SHOW_MAX];
  if (p.len == 0 || p.ptr[0] != '/' || p.len > PATH_MAX_LEN)
    return dusk_error_set(err,
                          p.len > PATH_MAX_LEN ? DUSK_ETOOBIG : DUSK_EINVAL,
                          "sigv4: path \"%s\" (%zu bytes) must start with '/' "
                          "and be at most %d bytes",
                          show(shown, p), p.len, PATH_MAX_LEN);
  for (size_t i = 0; i < p.len; i++) {
    unsigned char c = (unsigned char)p.ptr[i];
    if (is_unreserved(c) || c == '/')
      continue;
    if (c == '%' && i + 2 < p.len &&
        is_upper_hex((unsigned char)p.ptr[i + 1]) &&
        is_upper_hex((unsigned char)p.ptr[i + 2])) {
      i += 2;
      continue;
    }
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: path \"%s\" is not UriEncoded at byte %zu "
                          "(encode it with dusk_sigv4_uri_encode)",
                          show(shown, p), i);
  }
  return 0;
}

/* Everything of req but its query and headers, which are checked as they
 * are canonicalised. */
static int check_request(const dusk_sigv4_request *req, dusk_error *err) {
  char shown[SHOW_MAX];
  int rc;
  if (!is_token(req->method) || req->method.len > DUSK_SIGV4_NAME_MAX)
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: method \"%s\" is not an HTTP token",
                          show(shown, req->method));
  if ((rc = check_path(req->path, err)) != 0 ||
      (rc = check_payload_hash(req->payload_hash, err)) != 0 ||
      (rc = check_amz_date(req->amz_date, err)) != 0 ||
      (rc = check_scope_part("region", req->region, err)) != 0 ||
      (rc = check_scope_part("service", req->service, err)) != 0)
    return rc;
  if ((req->nquery > 0 && req->query == NULL) ||
      (req->nheaders > 0 && req->headers == NULL))
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: query or headers NULL with a count");
  return 0;
}

/* ---- UriEncode and the canonical query ---------------------------------- */

int dusk_sigv4_uri_encode(dusk_buf *out, const char *s, size_t n,
                          bool encode_slash) {
  char *p;
  int rc;
  if (n > DUSK_SIGV4_VALUE_MAX)
    return DUSK_ETOOBIG;
  if ((rc = dusk_buf_reserve(out, 3 * n + 1)) != 0)
    return rc;
  p = out->data + out->len;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (is_unreserved(c) || (c == '/' && !encode_slash)) {
      *p++ = (char)c;
    } else {
      *p++ = '%';
      *p++ = hex_upper[c >> 4];
      *p++ = hex_upper[c & 15];
    }
  }
  out->len = (size_t)(p - out->data);
  *p = '\0';
  return 0;
}

/* A parameter's encoded name and value, as offsets into a scratch buffer
 * (which may move as it grows). */
typedef struct encoded_pair {
  size_t name_off, name_len, value_off, value_len;
} encoded_pair;

static int span_cmp(const char *base, size_t a_off, size_t a_len, size_t b_off,
                    size_t b_len) {
  size_t n = a_len < b_len ? a_len : b_len;
  int c = n == 0 ? 0 : memcmp(base + a_off, base + b_off, n);
  if (c != 0)
    return c;
  return a_len < b_len ? -1 : a_len > b_len;
}

/* By encoded name, then encoded value - not by the joined "name=value",
 * which would put "id-type=x" before "id=y" ('-' < '='). */
static int pair_cmp(const char *base, const encoded_pair *a,
                    const encoded_pair *b) {
  int c = span_cmp(base, a->name_off, a->name_len, b->name_off, b->name_len);
  return c != 0 ? c
                : span_cmp(base, a->value_off, a->value_len, b->value_off,
                           b->value_len);
}

static void sort_pairs(const char *base, encoded_pair *pairs, size_t n) {
  for (size_t i = 1; i < n; i++) {
    encoded_pair key = pairs[i];
    size_t j = i;
    while (j > 0 && pair_cmp(base, &pairs[j - 1], &key) > 0) {
      pairs[j] = pairs[j - 1];
      j--;
    }
    pairs[j] = key;
  }
}

static int encode_params(dusk_buf *scratch, encoded_pair *pairs,
                         const dusk_sigv4_pair *params, size_t n,
                         dusk_error *err) {
  char shown[SHOW_MAX];
  for (size_t i = 0; i < n; i++) {
    int rc;
    pairs[i].name_off = scratch->len;
    rc = dusk_sigv4_uri_encode(scratch, params[i].name.ptr, params[i].name.len,
                               true);
    pairs[i].name_len = scratch->len - pairs[i].name_off;
    pairs[i].value_off = scratch->len;
    if (rc == 0)
      rc = dusk_sigv4_uri_encode(scratch, params[i].value.ptr,
                                 params[i].value.len, true);
    pairs[i].value_len = scratch->len - pairs[i].value_off;
    if (rc == DUSK_ETOOBIG)
      return dusk_error_set(err, rc,
                            "sigv4: query parameter %zu (\"%s\") has a name "
                            "or value over %d bytes",
                            i, show(shown, params[i].name),
                            DUSK_SIGV4_VALUE_MAX);
    if (rc != 0)
      return dusk_error_set(err, rc, "sigv4: out of memory");
  }
  return 0;
}

static int emit_params(dusk_buf *out, const char *base,
                       const encoded_pair *pairs, size_t n) {
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (i > 0)
      rc = put(out, "&");
    if (rc == 0)
      rc = dusk_buf_append(out, base + pairs[i].name_off, pairs[i].name_len);
    if (rc == 0)
      rc = put(out, "=");
    if (rc == 0)
      rc = dusk_buf_append(out, base + pairs[i].value_off, pairs[i].value_len);
  }
  return rc;
}

int dusk_sigv4_canonical_query(dusk_buf *out, const dusk_sigv4_pair *params,
                               size_t n, dusk_error *err) {
  encoded_pair pairs[DUSK_SIGV4_MAX_PAIRS];
  dusk_buf scratch;
  size_t start = out->len;
  int rc;
  if (n > DUSK_SIGV4_MAX_PAIRS)
    return dusk_error_set(err, DUSK_ETOOBIG,
                          "sigv4: %zu query parameters, more than %d", n,
                          DUSK_SIGV4_MAX_PAIRS);
  if (n > 0 && params == NULL)
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: query parameters NULL with a count");
  dusk_buf_init(&scratch);
  rc = encode_params(&scratch, pairs, params, n, err);
  if (rc == 0) {
    sort_pairs(scratch.data, pairs, n);
    rc = emit_params(out, scratch.data, pairs, n);
    if (rc == 0)
      rc = terminate(out);
    if (rc != 0)
      dusk_error_set(err, rc, "sigv4: out of memory");
  }
  dusk_buf_destroy(&scratch);
  return rc == 0 ? 0 : restore(out, start, rc);
}

/* ---- canonical headers -------------------------------------------------- */

/* Header names compare without case: they are signed in lower case. */
static int name_cmp(dusk_slice a, dusk_slice b) {
  size_t n = a.len < b.len ? a.len : b.len;
  for (size_t i = 0; i < n; i++) {
    int c = (int)lower((unsigned char)a.ptr[i]) -
            (int)lower((unsigned char)b.ptr[i]);
    if (c != 0)
      return c;
  }
  return a.len < b.len ? -1 : a.len > b.len;
}

/* Control characters would end the header on the wire (CR, LF) or be
 * folded differently by each party; a tab is whitespace. */
static bool value_ok(dusk_slice v) {
  for (size_t i = 0; i < v.len; i++) {
    unsigned char c = (unsigned char)v.ptr[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return false;
  }
  return true;
}

static int check_headers(const dusk_sigv4_pair *h, size_t n, dusk_error *err) {
  char shown[SHOW_MAX];
  if (n > DUSK_SIGV4_MAX_PAIRS)
    return dusk_error_set(err, DUSK_ETOOBIG, "sigv4: %zu headers, more than %d",
                          n, DUSK_SIGV4_MAX_PAIRS);
  for (size_t i = 0; i < n; i++) {
    if (!is_token(h[i].name) || h[i].name.len > DUSK_SIGV4_VALUE_MAX)
      return dusk_error_set(err, DUSK_EINVAL,
                            "sigv4: header %zu: name \"%s\" is not an HTTP "
                            "token",
                            i, show(shown, h[i].name));
    if (h[i].value.len > DUSK_SIGV4_VALUE_MAX)
      return dusk_error_set(err, DUSK_ETOOBIG,
                            "sigv4: header %s: value over %d bytes",
                            show(shown, h[i].name), DUSK_SIGV4_VALUE_MAX);
    if (!value_ok(h[i].value))
      return dusk_error_set(err, DUSK_EINVAL,
                            "sigv4: header %s: value has a control character "
                            "(folded lines are not signed)",
                            show(shown, h[i].name));
  }
  return 0;
}

/* Appends v without leading and trailing spaces and tabs, each inner run of
 * them as one space (SigV4's Trimall). */
static int put_trimmed(dusk_buf *out, dusk_slice v) {
  bool pending = false, any = false;
  char *p;
  int rc;
  if (v.len == 0)
    return 0;
  if ((rc = dusk_buf_reserve(out, v.len)) != 0)
    return rc;
  p = out->data + out->len;
  for (size_t i = 0; i < v.len; i++) {
    char c = v.ptr[i];
    if (c == ' ' || c == '\t') {
      pending = any;
      continue;
    }
    if (pending)
      *p++ = ' ';
    *p++ = c;
    pending = false;
    any = true;
  }
  out->len = (size_t)(p - out->data);
  return 0;
}

static int put_lower(dusk_buf *out, dusk_slice s) {
  int rc = dusk_buf_reserve(out, s.len);
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < s.len; i++)
    out->data[out->len++] = (char)lower((unsigned char)s.ptr[i]);
  return 0;
}

/* One header of the sorted list: a new name opens a line "name:value" (and
 * adds the name to the signed list), the same name again adds ",value". */
static int put_header(dusk_buf *out, dusk_buf *signed_headers, dusk_slice name,
                      dusk_slice value, bool new_name, bool first) {
  int rc = 0;
  if (new_name) {
    if (!first)
      rc = put(signed_headers, ";");
    if (rc == 0)
      rc = put_lower(signed_headers, name);
    if (rc == 0)
      rc = put_lower(out, name);
    if (rc == 0)
      rc = put(out, ":");
  } else {
    rc = put(out, ",");
  }
  return rc == 0 ? put_trimmed(out, value) : rc;
}

/* "name:value\n" per distinct lower-cased name, sorted by name, onto out;
 * the names joined by ';' onto signed_headers. */
static int canonical_headers(dusk_buf *out, dusk_buf *signed_headers,
                             const dusk_sigv4_pair *h, size_t n) {
  size_t order[DUSK_SIGV4_MAX_PAIRS];
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    size_t j = i;
    while (j > 0 && name_cmp(h[order[j - 1]].name, h[i].name) > 0) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
  for (size_t k = 0; k < n && rc == 0; k++) {
    const dusk_sigv4_pair *cur = &h[order[k]];
    bool new_name = k == 0 || name_cmp(h[order[k - 1]].name, cur->name) != 0;
    bool last = k + 1 == n || name_cmp(h[order[k + 1]].name, cur->name) != 0;
    rc = put_header(out, signed_headers, cur->name, cur->value, new_name,
                    k == 0);
    if (rc == 0 && last)
      rc = put(out, "\n");
  }
  return rc;
}

/* The canonical value of header name (lower case) in block, canonical
 * header lines "name:value\n": names hold no ':' and values no '\n', so a
 * line that starts with "name:" is that header's. */
static bool find_header(dusk_slice block, const char *name, dusk_slice *value) {
  size_t nlen = strlen(name);
  const char *p = block.ptr, *end = block.ptr + block.len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL)
      eol = end;
    if ((size_t)(eol - p) > nlen && memcmp(p, name, nlen) == 0 &&
        p[nlen] == ':') {
      *value = slice(p + nlen + 1, (size_t)(eol - p - nlen - 1));
      return true;
    }
    p = eol + 1;
  }
  return false;
}

/* A header the request must sign, with the value it must have (want.ptr
 * NULL: any value but an empty one). */
static int require_header(dusk_slice block, const char *name, dusk_slice want,
                          const char *why, dusk_error *err) {
  char shown[SHOW_MAX];
  dusk_slice got;
  if (!find_header(block, name, &got))
    return dusk_error_set(err, DUSK_EINVAL, "sigv4: no %s header (%s)", name,
                          why);
  if (want.ptr == NULL ? got.len == 0 : !slice_eq(got, want))
    return dusk_error_set(err, DUSK_EINVAL, "sigv4: %s header \"%s\" is not %s",
                          name, show(shown, got), why);
  return 0;
}

/* token: NULL when the caller has no credentials to compare with. */
static int check_required(dusk_slice block, const dusk_sigv4_request *req,
                          const dusk_slice *token, dusk_error *err) {
  dusk_slice unused;
  int rc;
  if ((rc = require_header(block, "host", slice(NULL, 0), "a host name",
                           err)) != 0 ||
      (rc = require_header(block, "x-amz-date", req->amz_date,
                           "the amz date signed", err)) != 0)
    return rc;
  if ((slice_is(req->service, "s3") ||
       find_header(block, "x-amz-content-sha256", &unused)) &&
      (rc = require_header(block, "x-amz-content-sha256", req->payload_hash,
                           "the payload hash signed", err)) != 0)
    return rc;
  if (token == NULL)
    return 0;
  if (token->len > 0)
    return require_header(block, "x-amz-security-token", *token,
                          "the session token", err);
  if (find_header(block, "x-amz-security-token", &unused))
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: x-amz-security-token header but no session "
                          "token in the credentials");
  return 0;
}

/* ---- the canonical request and the string to sign ----------------------- */

static int put_canonical_request(dusk_buf *out, dusk_buf *signed_headers,
                                 const dusk_sigv4_request *req,
                                 const dusk_slice *token, dusk_error *err) {
  size_t headers_at, signed_at = signed_headers->len;
  int rc;
  if ((rc = check_request(req, err)) != 0 ||
      (rc = check_headers(req->headers, req->nheaders, err)) != 0)
    return rc;
  if ((rc = put_slice(out, req->method)) != 0 || (rc = put(out, "\n")) != 0 ||
      (rc = put_slice(out, req->path)) != 0 || (rc = put(out, "\n")) != 0)
    return dusk_error_set(err, rc, "sigv4: out of memory");
  if ((rc = dusk_sigv4_canonical_query(out, req->query, req->nquery, err)) != 0)
    return rc;
  if ((rc = put(out, "\n")) != 0)
    return dusk_error_set(err, rc, "sigv4: out of memory");
  headers_at = out->len;
  if ((rc = canonical_headers(out, signed_headers, req->headers,
                              req->nheaders)) != 0)
    return dusk_error_set(err, rc, "sigv4: out of memory");
  if ((rc = check_required(slice(out->data + headers_at, out->len - headers_at),
                           req, token, err)) != 0)
    return rc;
  if ((rc = put(out, "\n")) != 0 ||
      (rc = dusk_buf_append(out, signed_headers->data + signed_at,
                            signed_headers->len - signed_at)) != 0 ||
      (rc = put(out, "\n")) != 0 ||
      (rc = put_slice(out, req->payload_hash)) != 0 ||
      (rc = terminate(out)) != 0 || (rc = terminate(signed_headers)) != 0)
    return dusk_error_set(err, rc, "sigv4: out of memory");
  return 0;
}

static int canonical_request_checked(dusk_buf *out, dusk_buf *signed_headers,
                                     const dusk_sigv4_request *req,
                                     const dusk_slice *token, dusk_error *err) {
  size_t start = out->len, signed_start = signed_headers->len;
  int rc = put_canonical_request(out, signed_headers, req, token, err);
  if (rc != 0) {
    restore(signed_headers, signed_start, rc);
    return restore(out, start, rc);
  }
  return 0;
}

int dusk_sigv4_canonical_request(dusk_buf *out, dusk_buf *signed_headers,
                                 const dusk_sigv4_request *req,
                                 dusk_error *err) {
  return canonical_request_checked(out, signed_headers, req, NULL, err);
}

/* "<date>/<region>/<service>/aws4_request": whose key signed, for what. */
static int put_scope(dusk_buf *out, const dusk_sigv4_request *req) {
  int rc;
  if ((rc = put_slice(out, slice(req->amz_date.ptr, 8))) != 0 ||
      (rc = put(out, "/")) != 0 || (rc = put_slice(out, req->region)) != 0 ||
      (rc = put(out, "/")) != 0 || (rc = put_slice(out, req->service)) != 0 ||
      (rc = put(out, "/" TERMINATOR)) != 0)
    return rc;
  return 0;
}

int dusk_sigv4_string_to_sign(dusk_buf *out, const dusk_sigv4_request *req,
                              dusk_slice canonical_request, dusk_error *err) {
  char hash[65];
  size_t start = out->len;
  int rc;
  if ((rc = check_amz_date(req->amz_date, err)) != 0 ||
      (rc = check_scope_part("region", req->region, err)) != 0 ||
      (rc = check_scope_part("service", req->service, err)) != 0)
    return rc;
  if ((rc = dusk_sigv4_sha256_hex(canonical_request.ptr, canonical_request.len,
                                  hash)) != 0 ||
      (rc = put(out, ALGORITHM "\n")) != 0 ||
      (rc = put_slice(out, req->amz_date)) != 0 || (rc = put(out, "\n")) != 0 ||
      (rc = put_scope(out, req)) != 0 || (rc = put(out, "\n")) != 0 ||
      (rc = put(out, hash)) != 0 || (rc = terminate(out)) != 0) {
    dusk_error_set(err, rc, "sigv4: out of memory");
    return restore(out, start, rc);
  }
  return 0;
}

/* ---- keys and signatures ------------------------------------------------ */

static int hmac(dusk_slice key, dusk_slice data, uint8_t out[32]) {
  /* dusk_auth_mac fails only when OpenSSL cannot allocate. */
  return dusk_auth_mac(key, data, out) == 0 ? 0 : DUSK_ENOMEM;
}

int dusk_sigv4_signing_key(dusk_slice secret, dusk_slice date,
                           dusk_slice region, dusk_slice service,
                           uint8_t key[32], dusk_error *err) {
  char seed[4 + DUSK_SIGV4_NAME_MAX];
  uint8_t a[32], b[32];
  bool date_ok = date.len == 8;
  int rc;
  for (size_t i = 0; date_ok && i < 8; i++)
    date_ok = is_digit((unsigned char)date.ptr[i]);
  if (secret.len == 0 || secret.len > DUSK_SIGV4_NAME_MAX)
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: secret key must be 1 to %d bytes, not %zu",
                          DUSK_SIGV4_NAME_MAX, secret.len);
  if (!date_ok)
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: signing date is not YYYYMMDD");
  if ((rc = check_scope_part("region", region, err)) != 0 ||
      (rc = check_scope_part("service", service, err)) != 0)
    return rc;
  memcpy(seed, "AWS4", 4);
  memcpy(seed + 4, secret.ptr, secret.len);
  rc = hmac(slice(seed, 4 + secret.len), date, a);
  if (rc == 0)
    rc = hmac(slice((const char *)a, 32), region, b);
  if (rc == 0)
    rc = hmac(slice((const char *)b, 32), service, a);
  if (rc == 0)
    rc = hmac(slice((const char *)a, 32), slice(TERMINATOR, 12), key);
  /* The secret and what is derived from it stay in memory no longer than
   * needed. */
  OPENSSL_cleanse(seed, sizeof seed);
  OPENSSL_cleanse(a, sizeof a);
  OPENSSL_cleanse(b, sizeof b);
  if (rc != 0)
    return dusk_error_set(err, rc, "sigv4: OpenSSL's HMAC failed");
  return 0;
}

int dusk_sigv4_signature(const uint8_t key[32], dusk_slice string_to_sign,
                         char out[65]) {
  uint8_t mac[32];
  int rc = hmac(slice((const char *)key, 32), string_to_sign, mac);
  if (rc != 0)
    return rc;
  hex_encode(mac, sizeof mac, out);
  return 0;
}

/* ---- the whole signature ------------------------------------------------ */

void dusk_sigv4_signed_init(dusk_sigv4_signed *s) {
  dusk_buf_init(&s->canonical_query);
  dusk_buf_init(&s->canonical_request);
  dusk_buf_init(&s->signed_headers);
  dusk_buf_init(&s->string_to_sign);
  dusk_buf_init(&s->authorization);
  s->signature[0] = '\0';
}

void dusk_sigv4_signed_destroy(dusk_sigv4_signed *s) {
  dusk_buf_destroy(&s->canonical_query);
  dusk_buf_destroy(&s->canonical_request);
  dusk_buf_destroy(&s->signed_headers);
  dusk_buf_destroy(&s->string_to_sign);
  dusk_buf_destroy(&s->authorization);
  s->signature[0] = '\0';
}

static void signed_clear(dusk_sigv4_signed *s) {
  restore(&s->canonical_query, 0, 0);
  restore(&s->canonical_request, 0, 0);
  restore(&s->signed_headers, 0, 0);
  restore(&s->string_to_sign, 0, 0);
  restore(&s->authorization, 0, 0);
  s->signature[0] = '\0';
}

/* The access key id opens the Authorization header's Credential, where '/'
 * and ',' are delimiters. */
static int check_credentials(const dusk_sigv4_credentials *cred,
                             dusk_error *err) {
  dusk_slice ak = cred->access_key;
  if (ak.len == 0 || ak.len > DUSK_SIGV4_NAME_MAX)
    return dusk_error_set(err, DUSK_EINVAL,
                          "sigv4: access key id must be 1 to %d bytes, not %zu",
                          DUSK_SIGV4_NAME_MAX, ak.len);
  for (size_t i = 0; i < ak.len; i++) {
    unsigned char c = (unsigned char)ak.ptr[i];
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == ',')
      return dusk_error_set(err, DUSK_EINVAL,
                            "sigv4: access key id has a byte that is not "
                            "printable ASCII or is '/' or ','");
  }
  if (cred->session_token.len > DUSK_SIGV4_VALUE_MAX)
    return dusk_error_set(err, DUSK_ETOOBIG,
                          "sigv4: session token over %d bytes",
                          DUSK_SIGV4_VALUE_MAX);
  return 0;
}

static int put_authorization(dusk_buf *out, const dusk_sigv4_request *req,
                             dusk_slice access_key, const dusk_buf *signed_hdrs,
                             const char *signature) {
  int rc;
  if ((rc = put(out, ALGORITHM " Credential=")) != 0 ||
      (rc = put_slice(out, access_key)) != 0 || (rc = put(out, "/")) != 0 ||
      (rc = put_scope(out, req)) != 0 ||
      (rc = put(out, ", SignedHeaders=")) != 0 ||
      (rc = dusk_buf_append(out, signed_hdrs->data, signed_hdrs->len)) != 0 ||
      (rc = put(out, ", Signature=")) != 0 || (rc = put(out, signature)) != 0)
    return rc;
  return terminate(out);
}

static int sign_into(const dusk_sigv4_request *req,
                     const dusk_sigv4_credentials *cred, dusk_sigv4_signed *out,
                     dusk_error *err) {
  uint8_t key[32];
  int rc;
  if ((rc = check_credentials(cred, err)) != 0 ||
      (rc = dusk_sigv4_canonical_query(&out->canonical_query, req->query,
                                       req->nquery, err)) != 0 ||
      (rc = canonical_request_checked(&out->canonical_request,
                                      &out->signed_headers, req,
                                      &cred->session_token, err)) != 0 ||
      (rc = dusk_sigv4_string_to_sign(
           &out->string_to_sign, req,
           slice(out->canonical_request.data, out->canonical_request.len),
           err)) != 0 ||
      (rc =
           dusk_sigv4_signing_key(cred->secret_key, slice(req->amz_date.ptr, 8),
                                  req->region, req->service, key, err)) != 0)
    return rc;
  rc = dusk_sigv4_signature(
      key, slice(out->string_to_sign.data, out->string_to_sign.len),
      out->signature);
  OPENSSL_cleanse(key, sizeof key);
  if (rc == 0)
    rc = put_authorization(&out->authorization, req, cred->access_key,
                           &out->signed_headers, out->signature);
  if (rc != 0)
    return dusk_error_set(err, rc, "sigv4: out of memory");
  return 0;
}

int dusk_sigv4_sign(const dusk_sigv4_request *req,
                    const dusk_sigv4_credentials *cred, dusk_sigv4_signed *out,
                    dusk_error *err) {
  int rc;
  signed_clear(out);
  rc = sign_into(req, cred, out, err);
  if (rc != 0)
    signed_clear(out);
  return rc;
}

/* ---- helpers ------------------------------------------------------------ */

int dusk_sigv4_sha256_hex(const void *data, size_t n, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  /* OpenSSL may refuse a NULL pointer even for no bytes. */
  if (EVP_Digest(n > 0 ? data : "", n, md, &len, EVP_sha256(), NULL) != 1 ||
      len != 32)
    return DUSK_ENOMEM;
  hex_encode(md, 32, out);
  return 0;
}

/* Writes value (0 <= value < 10^width) as width decimal digits. */
static char *put_digits(char *p, int value, int width) {
  for (int i = width - 1; i >= 0; i--) {
    p[i] = (char)('0' + value % 10);
    value /= 10;
  }
  return p + width;
}

int dusk_sigv4_amz_date(time_t t, char out[DUSK_SIGV4_AMZ_DATE_LEN + 1]) {
  struct tm tm;
  char *p = out;
  if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
      tm.tm_year > 9999 - 1900)
    return DUSK_EINVAL;
  p = put_digits(p, tm.tm_year + 1900, 4);
  p = put_digits(p, tm.tm_mon + 1, 2);
  p = put_digits(p, tm.tm_mday, 2);
  *p++ = 'T';
  p = put_digits(p, tm.tm_hour, 2);
  p = put_digits(p, tm.tm_min, 2);
  p = put_digits(p, tm.tm_sec, 2);
  *p++ = 'Z';
  *p = '\0';
  return 0;
}
