/* sigv4_tool.c - signs request descriptions read on stdin with store/sigv4.h
 * and prints what it signed, for tests/s3/sigv4_oracle.py, which compares
 * the output with botocore's signatures.  A test program: built with the
 * tests, never installed.
 *
 * Input: blocks of lines, one keyword and its arguments per line, every
 * string argument hex-encoded (so that any byte travels, empty ones too),
 * a block ended by "sign":
 *   access HEX | secret HEX | token HEX | region HEX | service HEX
 *   time SECONDS         signing time, formatted with dusk_sigv4_amz_date
 *   method HEX
 *   key HEX              the raw path ("/bucket/key"), UriEncoded here with
 *                        '/' kept, as dusk's S3 client will encode it
 *   query HEX HEX        a query parameter, raw
 *   header HEX HEX       a header to sign, as sent
 *   body HEX | unsigned  payload hash: SHA-256 of the body (computed here)
 *                        or UNSIGNED-PAYLOAD
 *   sign
 * Output per block, each string hex-encoded: "url HEX" (path, then '?' and
 * the canonical query when there is one: the URL's path and query as dusk
 * will send them), "creq HEX", "sts HEX", "authz HEX"; or "error CODE HEX"
 * when the signer refused; then "end".
 *
 * Exit status 0 at the end of input, 2 for a malformed line (with a message
 * on stderr). */
#include "sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest input line: two hex-encoded values at the signer's limit. */
#define LINE_MAX_LEN (4 * DUSK_SIGV4_VALUE_MAX + 64)

/* A decoded string: offsets into the block's arena, which may move. */
typedef struct span {
  size_t off, len;
} span;

typedef struct block {
  dusk_buf arena;
  span access, secret, token, region, service, method, key, body;
  span query[DUSK_SIGV4_MAX_PAIRS][2];
  span headers[DUSK_SIGV4_MAX_PAIRS][2];
  size_t nquery, nheaders;
  int has_body, unsigned_payload, has_time;
  long long time;
} block;

static void block_reset(block *b) {
  dusk_buf arena = b->arena;
  memset(b, 0, sizeof *b);
  arena.len = 0;
  b->arena = arena;
}

static void die(unsigned long lineno, const char *why) {
  fprintf(stderr, "sigv4_tool: line %lu: %s\n", lineno, why);
  exit(2);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes the hex field into the arena: 0, or -1 if it is not hex. */
static int unhex(dusk_buf *arena, const char *hex, span *out) {
  size_t n = strlen(hex);
  if (n % 2 != 0 || dusk_buf_reserve(arena, n / 2) != 0)
    return -1;
  out->off = arena->len;
  out->len = n / 2;
  for (size_t i = 0; i < n; i += 2) {
    int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    arena->data[arena->len++] = (char)(hi << 4 | lo);
  }
  return 0;
}

static dusk_slice at(const block *b, span s) {
  dusk_slice out;
  out.ptr = s.len > 0 ? b->arena.data + s.off : "";
  out.len = s.len;
  return out;
}

/* Prints "tag HEX" (tag NULL: just the hex) and a newline. */
static void print_hex(const char *tag, const char *p, size_t n) {
  if (tag != NULL)
    printf("%s ", tag);
  for (size_t i = 0; i < n; i++)
    printf("%02x", (unsigned char)p[i]);
  fputc('\n', stdout);
}

/* Splits line at single spaces into at most 3 fields (empty ones kept). */
static size_t split(char *line, char *fields[3]) {
  size_t n = 0;
  char *p = line;
  fields[n++] = p;
  while ((p = strchr(p, ' ')) != NULL) {
    *p++ = '\0';
    if (n == 3)
      return 4; /* too many */
    fields[n++] = p;
  }
  return n;
}

/* Reads one "keyword args" line into b: 1 for "sign", 0 otherwise. */
static int parse_line(block *b, char *line, unsigned long lineno) {
  static const struct {
    const char *keyword;
    size_t offset;
  } strings[] = {
      {"access", offsetof(block, access)},
      {"secret", offsetof(block, secret)},
      {"token", offsetof(block, token)},
      {"region", offsetof(block, region)},
      {"service", offsetof(block, service)},
      {"method", offsetof(block, method)},
      {"key", offsetof(block, key)},
  };
  char *f[3];
  size_t n = split(line, f);
  if (n == 1 && strcmp(f[0], "sign") == 0)
    return 1;
  if (n == 1 && strcmp(f[0], "unsigned") == 0) {
    b->unsigned_payload = 1;
    return 0;
  }
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
    if (n == 2 && strcmp(f[0], strings[i].keyword) == 0) {
      if (unhex(&b->arena, f[1], (span *)((char *)b + strings[i].offset)) != 0)
        die(lineno, "bad hex");
      return 0;
    }
  if (n == 2 && strcmp(f[0], "body") == 0) {
    b->has_body = 1;
    if (unhex(&b->arena, f[1], &b->body) != 0)
      die(lineno, "bad hex");
    return 0;
  }
  if (n == 2 && strcmp(f[0], "time") == 0) {
    char *end;
    b->time = strtoll(f[1], &end, 10);
    if (*end != '\0' || end == f[1])
      die(lineno, "bad time");
    b->has_time = 1;
    return 0;
  }
  if (n == 3 && strcmp(f[0], "query") == 0) {
    if (b->nquery == DUSK_SIGV4_MAX_PAIRS)
      die(lineno, "too many query parameters");
    if (unhex(&b->arena, f[1], &b->query[b->nquery][0]) != 0 ||
        unhex(&b->arena, f[2], &b->query[b->nquery][1]) != 0)
      die(lineno, "bad hex");
    b->nquery++;
    return 0;
  }
  if (n == 3 && strcmp(f[0], "header") == 0) {
    if (b->nheaders == DUSK_SIGV4_MAX_PAIRS)
      die(lineno, "too many headers");
    if (unhex(&b->arena, f[1], &b->headers[b->nheaders][0]) != 0 ||
        unhex(&b->arena, f[2], &b->headers[b->nheaders][1]) != 0)
      die(lineno, "bad hex");
    b->nheaders++;
    return 0;
  }
  die(lineno, "unknown line");
  return 0;
}

/* Signs block b and prints the result. */
static void sign_block(const block *b, unsigned long lineno) {
  dusk_sigv4_pair query[DUSK_SIGV4_MAX_PAIRS], headers[DUSK_SIGV4_MAX_PAIRS];
  dusk_sigv4_request req;
  dusk_sigv4_credentials cred;
  dusk_sigv4_signed out;
  dusk_error err;
  dusk_buf path;
  char payload[65], date[DUSK_SIGV4_AMZ_DATE_LEN + 1];
  dusk_slice key = at(b, b->key);
  int rc;

  if (!b->has_time || b->has_body == b->unsigned_payload)
    die(lineno, "a block needs a time and one of body and unsigned");
  memset(&req, 0, sizeof req);
  dusk_buf_init(&path);
  dusk_error_clear(&err);
  rc = dusk_sigv4_uri_encode(&path, key.ptr, key.len, false);
  if (rc == 0 && b->has_body)
    rc = dusk_sigv4_sha256_hex(at(b, b->body).ptr, b->body.len, payload);
  else if (rc == 0)
    strcpy(payload, DUSK_SIGV4_UNSIGNED_PAYLOAD);
  if (rc == 0)
    rc = dusk_sigv4_amz_date((time_t)b->time, date);
  for (size_t i = 0; i < b->nquery; i++) {
    query[i].name = at(b, b->query[i][0]);
    query[i].value = at(b, b->query[i][1]);
  }
  for (size_t i = 0; i < b->nheaders; i++) {
    headers[i].name = at(b, b->headers[i][0]);
    headers[i].value = at(b, b->headers[i][1]);
  }
  req.method = at(b, b->method);
  req.path.ptr = path.data;
  req.path.len = path.len;
  req.query = query;
  req.nquery = b->nquery;
  req.headers = headers;
  req.nheaders = b->nheaders;
  req.payload_hash.ptr = payload;
  req.payload_hash.len = strlen(payload);
  req.region = at(b, b->region);
  req.service = at(b, b->service);
  req.amz_date.ptr = date;
  req.amz_date.len = DUSK_SIGV4_AMZ_DATE_LEN;
  cred.access_key = at(b, b->access);
  cred.secret_key = at(b, b->secret);
  cred.session_token = at(b, b->token);

  dusk_sigv4_signed_init(&out);
  if (rc == 0)
    rc = dusk_sigv4_sign(&req, &cred, &out, &err);
  else
    dusk_error_set(&err, rc, "encoding the path or the date failed");
  if (rc != 0) {
    printf("error %d ", rc);
    print_hex(NULL, err.message, strlen(err.message));
  } else {
    /* The URL as dusk sends it: the signed path, then the signed query. */
    if (out.canonical_query.len > 0 &&
        (dusk_buf_append(&path, "?", 1) != 0 ||
         dusk_buf_append(&path, out.canonical_query.data,
                         out.canonical_query.len) != 0))
      die(lineno, "out of memory");
    print_hex("url", path.data, path.len);
    print_hex("creq", out.canonical_request.data, out.canonical_request.len);
    print_hex("sts", out.string_to_sign.data, out.string_to_sign.len);
    print_hex("authz", out.authorization.data, out.authorization.len);
  }
  puts("end");
  dusk_sigv4_signed_destroy(&out);
  dusk_buf_destroy(&path);
}

int main(void) {
  static char line[LINE_MAX_LEN];
  block b;
  unsigned long lineno = 0;

  memset(&b, 0, sizeof b);
  dusk_buf_init(&b.arena);
  while (fgets(line, sizeof line, stdin) != NULL) {
    size_t n = strlen(line);
    lineno++;
    if (n == 0 || line[n - 1] != '\n')
      die(lineno, "line too long or not ended by a newline");
    line[n - 1] = '\0';
    if (parse_line(&b, line, lineno)) {
      sign_block(&b, lineno);
      block_reset(&b);
    }
  }
  dusk_buf_destroy(&b.arena);
  return fflush(stdout) == 0 ? 0 : 1;
}
