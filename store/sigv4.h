/* sigv4.h - AWS Signature Version 4 for S3 requests (header-based auth).
 *
 * What: from a description of one HTTP request (method, encoded path,
 * query parameters, the headers to sign, the payload hash) and a key pair,
 * the canonical request, the string to sign, the signing key and the value
 * of the Authorization header, as AWS documents them in "Signature
 * Calculations for the Authorization Header" (S3 API reference) and in the
 * IAM guide's "Create a signed AWS API request".
 *
 * Why dusk signs itself: dusk reads CSV from S3 with libcurl, and the
 * SigV4 signer of Debian 12's libcurl (7.88, CURLOPT_AWS_SIGV4) gets S3
 * requests wrong - e.g. it signs the query parameters in the order given
 * instead of sorting them (curl/curl#9717), so S3 refuses a ListObjectsV2
 * whose parameters are not already in order.  Signing is a few hashes over
 * strings we build anyway, so dusk does it here and hands libcurl finished
 * headers and the exact URL that was signed.
 *
 * S3's rules, where they differ from AWS's generic SigV4 test suite:
 *  - the path is not normalised: no removal of "." and ".." segments, no
 *    merging of "//".  The key "a/../b" names an object of its own.
 *  - the path is encoded once, not twice: the canonical URI is the URL's
 *    path exactly as sent, each byte of bucket and key UriEncoded with "/"
 *    kept (key "a b/c+d.csv" of bucket "bkt", path-style, is
 *    "/bkt/a%20b/c%2Bd.csv"; other services encode that string again).
 *  - every request carries x-amz-content-sha256, signed, whose value is the
 *    payload hash: the SHA-256 of the body in hex, or "UNSIGNED-PAYLOAD".
 * dusk_sigv4_canonical_request follows S3's rules for every service (it
 * never normalises a path), and insists on x-amz-content-sha256 only when
 * the service is "s3".
 *
 * Conventions: byte strings are borrowed dusk_slices (names, values and
 * keys may hold any bytes; the path and the header values are checked as
 * described below).  Functions that produce text append it to a dusk_buf
 * and leave a NUL after it that len does not count, so the text is also a
 * C string; on an error they leave the buffer's length as they found it.
 * Functions return 0 or a negative DUSK_E* code, with a sentence in err
 * (optional) naming the field at fault.  Every length is bounded by the
 * limits below before anything is allocated for it.  All functions are
 * thread-safe (they keep no state). */
#ifndef DUSK_SIGV4_H
#define DUSK_SIGV4_H

#include "buf.h"
#include "errors.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Most query parameters, and most headers, one request may sign. */
#define DUSK_SIGV4_MAX_PAIRS 64
/* Longest name, value or path, in bytes, before encoding.  An S3 key is at
 * most 1024 bytes (3072 encoded); session tokens run to a few KB. */
#define DUSK_SIGV4_VALUE_MAX 16384
/* Longest access key id, secret key, region or service, in bytes. */
#define DUSK_SIGV4_NAME_MAX 128
/* "YYYYMMDDTHHMMSSZ", without its NUL. */
#define DUSK_SIGV4_AMZ_DATE_LEN 16
/* The payload hash of a body that is not signed. */
#define DUSK_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* The payload hash of an empty body (every S3 GET that signs its payload). */
#define DUSK_SIGV4_EMPTY_SHA256                                                \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A query parameter or a header: name and value, borrowed. */
typedef struct dusk_sigv4_pair {
  dusk_slice name;
  dusk_slice value;
} dusk_sigv4_pair;

/* One request to sign.  Everything is borrowed for the length of a call.
 *
 * method: as sent, an HTTP token ("GET", "HEAD") of at most
 *   DUSK_SIGV4_NAME_MAX bytes.
 * path: the canonical URI, already UriEncoded - dusk_sigv4_uri_encode of
 *   "/" bucket "/" key with '/' kept - and the URL's path byte for byte.
 *   It starts with '/', holds only unreserved bytes, '/' and %XX with
 *   upper-case hex digits, and is at most 3 * DUSK_SIGV4_VALUE_MAX bytes.
 * query, nquery: the parameters, not encoded, in any order, names repeated
 *   at will; a parameter without a value ("?lifecycle") has an empty value.
 *   At most DUSK_SIGV4_MAX_PAIRS.
 * headers, nheaders: every header to sign, in any order, names in any case
 *   (HTTP tokens), values as sent.  A name given twice is signed once with
 *   its values joined by ',' in the order given.  Values lose leading and
 *   trailing spaces and tabs, and each inner run of them becomes one space;
 *   control characters (CR and LF included, so no folded lines) are
 *   refused.  Must hold host, x-amz-date (equal to amz_date),
 *   x-amz-content-sha256 (equal to payload_hash; required when service is
 *   "s3", checked when present) and, when the credentials carry a session
 *   token, x-amz-security-token equal to it.  At most DUSK_SIGV4_MAX_PAIRS.
 * payload_hash: 64 lower-case hex digits (dusk_sigv4_sha256_hex of the
 *   body) or DUSK_SIGV4_UNSIGNED_PAYLOAD.
 * region, service: e.g. "us-east-1" and "s3": lower-case letters, digits
 *   and '-'.
 * amz_date: the signing time, "YYYYMMDDTHHMMSSZ" (dusk_sigv4_amz_date). */
typedef struct dusk_sigv4_request {
  dusk_slice method;
  dusk_slice path;
  const dusk_sigv4_pair *query;
  size_t nquery;
  const dusk_sigv4_pair *headers;
  size_t nheaders;
  dusk_slice payload_hash;
  dusk_slice region;
  dusk_slice service;
  dusk_slice amz_date;
} dusk_sigv4_request;

/* A key pair, borrowed.  access_key: letters and digits.  session_token:
 * {NULL, 0} for long-term keys; otherwise the request must sign it as the
 * x-amz-security-token header. */
typedef struct dusk_sigv4_credentials {
  dusk_slice access_key;
  dusk_slice secret_key;
  dusk_slice session_token;
} dusk_sigv4_credentials;

/* What dusk_sigv4_sign produces; _init/_destroy on caller storage.  Each
 * buffer holds its text followed by an uncounted NUL. */
typedef struct dusk_sigv4_signed {
  dusk_buf canonical_query;   /* also the URL's query string, without '?' */
  dusk_buf canonical_request; /* the hash of which is signed */
  dusk_buf signed_headers;    /* "host;range;x-amz-content-sha256;..." */
  dusk_buf string_to_sign;
  dusk_buf authorization; /* the Authorization header's value */
  char signature[65];     /* 64 lower-case hex digits and a NUL */
} dusk_sigv4_signed;

void dusk_sigv4_signed_init(dusk_sigv4_signed *s);
void dusk_sigv4_signed_destroy(dusk_sigv4_signed *s);

/* Signs req with cred: fills every field of out, replacing what it held.
 * The client sends headers exactly as signed, plus "Authorization:
 * <out->authorization>", to <scheme>://<host><req->path>, followed by
 * "?<out->canonical_query>" when that is not empty.  0, or DUSK_EINVAL
 * for a malformed field, DUSK_ETOOBIG past a limit, DUSK_ENOMEM, with err
 * naming the field; out is then empty. */
int dusk_sigv4_sign(const dusk_sigv4_request *req,
                    const dusk_sigv4_credentials *cred, dusk_sigv4_signed *out,
                    dusk_error *err);

/* ---- the steps, for callers that need one of them and for tests -------- */

/* AWS's UriEncode of s[0..n): A-Z a-z 0-9 '-' '.' '_' '~' are kept, '/' is
 * kept unless encode_slash, every other byte becomes %XX with upper-case
 * hex digits (so UTF-8 is encoded byte by byte).  Appends to out.  0,
 * DUSK_ETOOBIG when n > DUSK_SIGV4_VALUE_MAX, or DUSK_ENOMEM. */
int dusk_sigv4_uri_encode(dusk_buf *out, const char *s, size_t n,
                          bool encode_slash);

/* The canonical query string of params[0..n): each name and value
 * UriEncoded ('/' too), sorted by encoded name and then by encoded value,
 * "name=value" joined by '&' (an empty value gives "name=").  Appends to
 * out; the empty string for n == 0. */
int dusk_sigv4_canonical_query(dusk_buf *out, const dusk_sigv4_pair *params,
                               size_t n, dusk_error *err);

/* The canonical request of req (checked as dusk_sigv4_request describes,
 * except for the session token, which only dusk_sigv4_sign knows), appended
 * to out; its signed-headers list is appended to signed_headers. */
int dusk_sigv4_canonical_request(dusk_buf *out, dusk_buf *signed_headers,
                                 const dusk_sigv4_request *req,
                                 dusk_error *err);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request\n"
 * followed by the hex SHA-256 of canonical_request, appended to out.  Uses
 * req's amz_date, region and service only. */
int dusk_sigv4_string_to_sign(dusk_buf *out, const dusk_sigv4_request *req,
                              dusk_slice canonical_request, dusk_error *err);

/* The signing key: HMAC-SHA256 chained from "AWS4" + secret over date
 * ("YYYYMMDD"), region, service and "aws4_request".  0, DUSK_EINVAL or
 * DUSK_ETOOBIG for a bad field, DUSK_ENOMEM if OpenSSL failed. */
int dusk_sigv4_signing_key(dusk_slice secret, dusk_slice date,
                           dusk_slice region, dusk_slice service,
                           uint8_t key[32], dusk_error *err);

/* The signature: hex HMAC-SHA256(key, string_to_sign), 64 lower-case digits
 * and a NUL.  0, or DUSK_ENOMEM if OpenSSL failed. */
int dusk_sigv4_signature(const uint8_t key[32], dusk_slice string_to_sign,
                         char out[65]);

/* ---- helpers ------------------------------------------------------------ */

/* The SHA-256 of data[0..n) in lower-case hex with a NUL (the payload hash
 * of a body).  data may be NULL when n is 0.  0, or DUSK_ENOMEM if OpenSSL
 * failed (it fails only when it cannot allocate). */
int dusk_sigv4_sha256_hex(const void *data, size_t n, char out[65]);

/* t as "YYYYMMDDTHHMMSSZ" in UTC, with a NUL: x-amz-date's format.  0, or
 * DUSK_EINVAL for a time outside the years 0000 to 9999. */
int dusk_sigv4_amz_date(time_t t, char out[DUSK_SIGV4_AMZ_DATE_LEN + 1]);

#endif
