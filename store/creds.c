/* creds.c - AWS credentials from the environment, profiles, a container
 * endpoint or IMDSv2 (creds.h). */
#include "creds.h"

#include "buf.h"
#include "http.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Profile files and credential documents are small; refuse big ones. */
#define FILE_MAX ((size_t)1 << 20)
#define DOC_MAX ((size_t)64 << 10)
/* Expiring credentials are fetched again this long before they expire. */
#define REFRESH_AHEAD_S 300

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static dusk_aws_creds cache;
static bool cached;


void dusk_aws_creds_reset(void) {
  pthread_mutex_lock(&cache_mu);
  cached = false;
  memset(&cache, 0, sizeof cache);
  pthread_mutex_unlock(&cache_mu);
}

/* ---- small parsers -------------------------------------------------------- */

static const char *trim(const char *b, const char *e, const char **end) {
  while (b < e && (*b == ' ' || *b == '\t'))
    b++;
  while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
    e--;
  *end = e;
  return b;
}

bool dusk_ini_lookup(const char *text, size_t len, const char *section,
                     const char *key, char *out, size_t cap) {
  const char *p = text, *end = text + len;
  bool in = false;
  size_t slen = strlen(section), klen = strlen(key);
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p)), *le, *b;
    const char *line_end = nl ? nl : end;
    b = trim(p, line_end, &le);
    p = nl ? nl + 1 : end;
    if (b == le || *b == '#' || *b == ';')
      continue;
    if (*b == '[') {
      const char *close = memchr(b, ']', (size_t)(le - b)), *ne;
      const char *name = close ? trim(b + 1, close, &ne) : NULL;
      in = name && (size_t)(ne - name) == slen && memcmp(name, section, slen) == 0;
      continue;
    }
    if (in) {
      const char *eq = memchr(b, '=', (size_t)(le - b)), *ke, *ve, *v;
      const char *k;
      if (eq == NULL)
        continue;
      k = trim(b, eq, &ke);
      if ((size_t)(ke - k) != klen || memcmp(k, key, klen) != 0)
        continue;
      v = trim(eq + 1, le, &ve);
      if ((size_t)(ve - v) >= cap)
        return false;
      memcpy(out, v, (size_t)(ve - v));
      out[ve - v] = '\0';
      return true;
    }
  }
  return false;
}

bool dusk_json_string(const char *json, size_t len, const char *name,
                      char *out, size_t cap) {
  char pat[96];
  const char *p = json, *end = json + len;
  int pl = snprintf(pat, sizeof pat, "\"%s\"", name);
  if (pl <= 0 || (size_t)pl >= sizeof pat)
    return false;
  while ((p = memmem(p, (size_t)(end - p), pat, (size_t)pl)) != NULL) {
    size_t o = 0;
    p += pl;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
      p++;
    if (p >= end || *p != ':')
      continue; /* the name was a value */
    p++;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
      p++;
    if (p >= end || *p != '"')
      return false;
    for (p++; p < end && *p != '"'; p++) {
      char c = *p;
      if (c == '\\') {
        if (++p >= end)
          return false;
        switch (*p) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case '"': case '\\': case '/': c = *p; break;
        default: return false; /* \u escapes do not occur in credentials */
        }
      }
      if (o + 1 >= cap)
        return false;
      out[o++] = c;
    }
    if (p >= end)
      return false;
    out[o] = '\0';
    return true;
  }
  return false;
}

int64_t dusk_iso8601_seconds(const char *s) {
  struct tm tm;
  const char *rest;
  memset(&tm, 0, sizeof tm);
  rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == NULL)
    return 0;
  if (*rest == '.') /* fractional seconds */
    while (*++rest >= '0' && *rest <= '9')
      ;
  if (*rest != 'Z' && strcmp(rest, "+00:00") != 0)
    return 0;
  return (int64_t)timegm(&tm);
}

/* Reads a whole small file into a heap string; NULL when absent. */
static char *read_small_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf;
  size_t n;
  if (f == NULL)
    return NULL;
  buf = malloc(FILE_MAX + 1);
  if (buf == NULL) {
    fclose(f);
    return NULL;
  }
  n = fread(buf, 1, FILE_MAX + 1, f);
  fclose(f);
  if (n > FILE_MAX) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void aws_file(const char *env, const char *name, char *out,
                     size_t cap) {
  const char *v = getenv(env), *home = getenv("HOME");
  if (v != NULL && *v != '\0')
    snprintf(out, cap, "%s", v);
  else
    snprintf(out, cap, "%s/.aws/%s", home ? home : "", name);
}

static const char *profile_name(void) {
  const char *p = getenv("AWS_PROFILE");
  if (p == NULL || *p == '\0')
    p = getenv("AWS_DEFAULT_PROFILE");
  return p != NULL && *p != '\0' ? p : "default";
}

/* key of the profile in the credentials file, then in the config file. */
static bool profile_value(const char *key, char *out, size_t cap) {
  char path[4096], section[256];
  const char *prof = profile_name();
  size_t len;
  char *text;
  bool found = false;
  aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path);
  if ((text = read_small_file(path, &len)) != NULL) {
    found = dusk_ini_lookup(text, len, prof, key, out, cap);
    free(text);
  }
  if (found)
    return true;
  aws_file("AWS_CONFIG_FILE", "config", path, sizeof path);
  if ((text = read_small_file(path, &len)) != NULL) {
    if (strcmp(prof, "default") == 0)
      found = dusk_ini_lookup(text, len, "default", key, out, cap);
    if (!found) {
      snprintf(section, sizeof section, "profile %s", prof);
      found = dusk_ini_lookup(text, len, section, key, out, cap);
    }
    free(text);
  }
  return found;
}

void dusk_aws_profile_region(char *out, size_t cap) {
  if (!profile_value("region", out, cap))
    out[0] = '\0';
}

/* ---- providers ------------------------------------------------------------ */

static bool set_keys(dusk_aws_creds *c, const char *ak, const char *sk,
                     const char *token, const char *source) {
  if (ak == NULL || sk == NULL || *ak == '\0' || *sk == '\0' ||
      strlen(ak) > DUSK_CREDS_KEY_MAX || strlen(sk) > DUSK_CREDS_KEY_MAX ||
      (token != NULL && strlen(token) > DUSK_CREDS_TOKEN_MAX))
    return false;
  memset(c, 0, sizeof *c);
  strcpy(c->access_key, ak);
  strcpy(c->secret_key, sk);
  if (token != NULL)
    strcpy(c->token, token);
  snprintf(c->source, sizeof c->source, "%s", source);
  return true;
}

static bool from_env(dusk_aws_creds *c) {
  return set_keys(c, getenv("AWS_ACCESS_KEY_ID"),
                  getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"),
                  "environment");
}

static bool from_profile(dusk_aws_creds *c) {
  char ak[DUSK_CREDS_KEY_MAX + 1], sk[DUSK_CREDS_KEY_MAX + 1];
  char tok[DUSK_CREDS_TOKEN_MAX + 1];
  if (!profile_value("aws_access_key_id", ak, sizeof ak) ||
      !profile_value("aws_secret_access_key", sk, sizeof sk))
    return false;
  if (!profile_value("aws_session_token", tok, sizeof tok))
    tok[0] = '\0';
  return set_keys(c, ak, sk, tok, "profile");
}

/* The credentials document of a container endpoint or IMDS:
 * AccessKeyId, SecretAccessKey, Token, Expiration. */
static int parse_doc(const dusk_buf *doc, dusk_aws_creds *c,
                     const char *source, const char *where,
                     dusk_error *err) {
  char ak[DUSK_CREDS_KEY_MAX + 1], sk[DUSK_CREDS_KEY_MAX + 1];
  char tok[DUSK_CREDS_TOKEN_MAX + 1], exp[64];
  if (!dusk_json_string(doc->data, doc->len, "AccessKeyId", ak, sizeof ak) ||
      !dusk_json_string(doc->data, doc->len, "SecretAccessKey", sk,
                        sizeof sk))
    return dusk_error_set(err, DUSK_EAUTH,
                          "%s: the credentials document has no AccessKeyId "
                          "and SecretAccessKey",
                          where);
  if (!dusk_json_string(doc->data, doc->len, "Token", tok, sizeof tok))
    tok[0] = '\0';
  if (!set_keys(c, ak, sk, tok, source))
    return dusk_error_set(err, DUSK_EAUTH, "%s: credentials too long", where);
  if (dusk_json_string(doc->data, doc->len, "Expiration", exp, sizeof exp))
    c->expires = dusk_iso8601_seconds(exp);
  return 0;
}

static dusk_http_policy quick_policy(void) {
  dusk_http_policy p = dusk_http_policy_default();
  p.retries = 1;
  p.connect_ms = 1000;
  if (p.stall_ms > 5000)
    p.stall_ms = 5000;
  return p;
}

/* 1: found, 0: not configured, <0: configured but failed (err). */
static int from_container(dusk_aws_creds *c, dusk_error *err) {
  const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *tok = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  const char *tokfile = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  char url[2048], auth[DUSK_CREDS_TOKEN_MAX + 32];
  const char *hdrs[1];
  size_t nh = 0;
  dusk_http_meta m;
  dusk_http_policy pol = quick_policy();
  dusk_buf doc;
  int rc;
  if (rel != NULL && *rel != '\0')
    snprintf(url, sizeof url, "http://169.254.170.2%s", rel);
  else if (full != NULL && *full != '\0')
    snprintf(url, sizeof url, "%s", full);
  else
    return 0;
  if (tokfile != NULL && *tokfile != '\0') {
    size_t len;
    char *t = read_small_file(tokfile, &len);
    if (t == NULL)
      return dusk_error_set(err, DUSK_EAUTH,
                            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: "
                            "cannot read it",
                            tokfile);
    while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == '\r'))
      t[--len] = '\0';
    snprintf(auth, sizeof auth, "Authorization: %s", t);
    free(t);
    hdrs[nh++] = auth;
  } else if (tok != NULL && *tok != '\0') {
    snprintf(auth, sizeof auth, "Authorization: %s", tok);
    hdrs[nh++] = auth;
  }
  dusk_buf_init(&doc);
  rc = dusk_http_request("GET", url, hdrs, nh, NULL, 0, NULL, &pol, DOC_MAX,
                         &m, &doc, err);
  if (rc == 0 && m.status != 200)
    rc = dusk_error_set(err, DUSK_EAUTH,
                        "container credentials %s: HTTP status %ld", url,
                        m.status);
  if (rc == 0)
    rc = parse_doc(&doc, c, "container", url, err);
  dusk_buf_destroy(&doc);
  return rc == 0 ? 1 : rc;
}

/* IMDSv2: PUT a session token, read the role's name, then its
 * credentials.  1: found, 0: no IMDS (disabled or nothing answers),
 * <0: IMDS answered but gave no credentials. */
static int from_imds(dusk_aws_creds *c, dusk_error *err) {
  const char *dis = getenv("AWS_EC2_METADATA_DISABLED");
  const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  char base[512], url[1024], tokhdr[256], role[256];
  const char *ttl = "X-aws-ec2-metadata-token-ttl-seconds: 21600";
  const char *hdrs[1];
  dusk_http_meta m;
  dusk_http_policy pol = quick_policy();
  dusk_buf body;
  dusk_error ignore;
  int rc;
  if (dis != NULL && strcasecmp(dis, "true") == 0)
    return 0;
  snprintf(base, sizeof base, "%s",
           ep != NULL && *ep != '\0' ? ep : "http://169.254.169.254");
  while (strlen(base) > 0 && base[strlen(base) - 1] == '/')
    base[strlen(base) - 1] = '\0';
  dusk_buf_init(&body);
  snprintf(url, sizeof url, "%s/latest/api/token", base);
  hdrs[0] = ttl;
  if (dusk_http_request("PUT", url, hdrs, 1, "", 0, NULL, &pol, 4096, &m,
                        &body, &ignore) != 0 ||
      m.status != 200 || body.len == 0 || body.len > 200) {
    dusk_buf_destroy(&body);
    return 0; /* no IMDS here */
  }
  snprintf(tokhdr, sizeof tokhdr, "X-aws-ec2-metadata-token: %.*s",
           (int)body.len, body.data);
  hdrs[0] = tokhdr;
  snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/",
           base);
  rc = dusk_http_request("GET", url, hdrs, 1, NULL, 0, NULL, &pol, 4096, &m,
                         &body, err);
  if (rc == 0 && (m.status != 200 || body.len == 0 ||
                  body.len >= sizeof role)) {
    rc = dusk_error_set(err, DUSK_EAUTH,
                        "IMDS at %s: the instance has no IAM role (HTTP %ld)",
                        base, m.status);
  }
  if (rc == 0) {
    size_t n = body.len;
    memcpy(role, body.data, n);
    role[n] = '\0';
    for (char *q = role; *q; q++)
      if (*q == '\n' || *q == '\r') { /* the first role */
        *q = '\0';
        break;
      }
    snprintf(url, sizeof url,
             "%s/latest/meta-data/iam/security-credentials/%s", base, role);
    rc = dusk_http_request("GET", url, hdrs, 1, NULL, 0, NULL, &pol, DOC_MAX,
                           &m, &body, err);
    if (rc == 0 && m.status != 200)
      rc = dusk_error_set(err, DUSK_EAUTH, "IMDS %s: HTTP status %ld", url,
                          m.status);
    if (rc == 0)
      rc = parse_doc(&body, c, "instance role (IMDSv2)", url, err);
  }
  dusk_buf_destroy(&body);
  return rc == 0 ? 1 : rc;
}

static int resolve(dusk_aws_creds *c, dusk_error *err) {
  int rc;
  if (from_env(c) || from_profile(c))
    return 0;
  if ((rc = from_container(c, err)) != 0)
    return rc < 0 ? rc : 0;
  if ((rc = from_imds(c, err)) != 0)
    return rc < 0 ? rc : 0;
  return dusk_error_set(err, DUSK_EAUTH,
                        "no AWS credentials: none in the environment "
                        "(AWS_ACCESS_KEY_ID), in profile '%s' of "
                        "~/.aws/credentials or ~/.aws/config, from a "
                        "container endpoint or from an instance role; "
                        "for a public bucket read with anon=True",
                        profile_name());
}

int dusk_aws_creds_get(bool refresh, dusk_aws_creds *out, dusk_error *err) {
  int rc = 0;
  int64_t now = (int64_t)time(NULL);
  pthread_mutex_lock(&cache_mu);
  if (!cached || refresh ||
      (cache.expires != 0 && cache.expires - REFRESH_AHEAD_S <= now)) {
    dusk_aws_creds fresh;
    memset(&fresh, 0, sizeof fresh);
    rc = resolve(&fresh, err);
    if (rc == 0) {
      cache = fresh;
      cached = true;
    } else if (cached && !refresh &&
               (cache.expires == 0 || cache.expires > now)) {
      rc = 0; /* refreshing ahead failed: the current ones still hold */
    }
  }
  if (rc == 0)
    *out = cache;
  pthread_mutex_unlock(&cache_mu);
  return rc;
}
