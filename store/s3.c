/* s3.c - S3 addressing, signing, region discovery and listing (s3.h). */
#include "s3.h"

#include "creds.h"
#include "sigv4.h"

#include <ctype.h>
#include <curl/curl.h>
#include <expat.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* S3 bucket names are at most 63 bytes; keys at most 1024. */
#define BUCKET_MAX 64
#define KEY_MAX 1024
/* One ListObjectsV2 page (1000 keys of up to 1 KB each, with XML). */
#define LIST_PAGE_MAX ((size_t)8 << 20)
/* Pages one listing may take (a million keys). */
#define LIST_PAGES_MAX 1000

/* What the signing callback needs of one request. */
typedef struct s3_req {
  struct dusk_s3_client *c;
  const char *path; /* canonical, encoded */
  const dusk_sigv4_pair *query;
  size_t nquery;
} s3_req;

struct dusk_s3_client {
  char bucket[BUCKET_MAX];
  bool anon;
  char region[64];
  char scheme[8];     /* http or https */
  char host[256];     /* host[:port], sent and signed as Host */
  char base[256];     /* the endpoint's own path, "" or "/prefix" */
  bool path_style;    /* /<bucket>/<key> rather than <bucket>.<host> */
  bool custom;        /* an endpoint from the environment */
  char *object_path;  /* the opened object's canonical (encoded) path */
  s3_req object_req;  /* signs GETs of it (dusk_s3_auth) */
};

/* ---- regions, cached per process ---------------------------------------- */

static pthread_mutex_t region_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char bucket[BUCKET_MAX];
  char region[64];
} region_cache[32];
static size_t region_next;

static bool cached_region(const char *bucket, char *out, size_t cap) {
  bool found = false;
  pthread_mutex_lock(&region_mu);
  for (size_t i = 0; i < sizeof region_cache / sizeof region_cache[0]; i++)
    if (strcmp(region_cache[i].bucket, bucket) == 0) {
      snprintf(out, cap, "%s", region_cache[i].region);
      found = true;
      break;
    }
  pthread_mutex_unlock(&region_mu);
  return found;
}

static void remember_region(const char *bucket, const char *region) {
  size_t n = sizeof region_cache / sizeof region_cache[0];
  pthread_mutex_lock(&region_mu);
  for (size_t i = 0; i < n; i++)
    if (strcmp(region_cache[i].bucket, bucket) == 0) {
      snprintf(region_cache[i].region, sizeof region_cache[i].region, "%s",
               region);
      pthread_mutex_unlock(&region_mu);
      return;
    }
  snprintf(region_cache[region_next].bucket,
           sizeof region_cache[region_next].bucket, "%s", bucket);
  snprintf(region_cache[region_next].region,
           sizeof region_cache[region_next].region, "%s", region);
  region_next = (region_next + 1) % n;
  pthread_mutex_unlock(&region_mu);
}

static bool valid_region(const char *r) {
  if (*r == '\0' || strlen(r) >= 64)
    return false;
  for (; *r; r++)
    if (!(islower((unsigned char)*r) || isdigit((unsigned char)*r) ||
          *r == '-'))
      return false;
  return true;
}

/* ---- addressing --------------------------------------------------------- */

int dusk_s3_parse(const char *s3url, char *bucket, size_t bucket_cap,
                  const char **key, dusk_error *err) {
  const char *b, *slash;
  size_t n;
  if (strncmp(s3url, "s3://", 5) != 0)
    return dusk_error_set(err, DUSK_EINVAL, "%s: not an s3:// URL", s3url);
  b = s3url + 5;
  slash = strchr(b, '/');
  n = slash ? (size_t)(slash - b) : strlen(b);
  if (n == 0)
    return dusk_error_set(err, DUSK_EINVAL, "%s: no bucket name", s3url);
  if (n >= bucket_cap || n >= BUCKET_MAX)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: the bucket name is longer than 63 bytes", s3url);
  for (size_t i = 0; i < n; i++)
    if (!(isalnum((unsigned char)b[i]) || b[i] == '.' || b[i] == '-' ||
          b[i] == '_'))
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: '%c' cannot be in a bucket name", s3url,
                            b[i]);
  memcpy(bucket, b, n);
  bucket[n] = '\0';
  *key = slash ? slash + 1 : b + n;
  if (strlen(*key) > KEY_MAX)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: the key is longer than %d bytes", s3url,
                          KEY_MAX);
  return 0;
}

/* A bucket that can be a DNS label of the virtual-hosted address. */
static bool dns_bucket(const char *b) {
  for (const char *p = b; *p; p++)
    if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
          *p == '-'))
      return false;
  return strlen(b) >= 3;
}

/* Splits an endpoint URL into scheme, host[:port] and base path. */
static int parse_endpoint(dusk_s3_client *c, const char *ep, dusk_error *err) {
  const char *h, *slash;
  size_t n;
  if (strncmp(ep, "http://", 7) == 0) {
    strcpy(c->scheme, "http");
    h = ep + 7;
  } else if (strncmp(ep, "https://", 8) == 0) {
    strcpy(c->scheme, "https");
    h = ep + 8;
  } else {
    return dusk_error_set(err, DUSK_EINVAL,
                          "AWS_ENDPOINT_URL '%s': not an http:// or https:// "
                          "URL",
                          ep);
  }
  slash = strchr(h, '/');
  n = slash ? (size_t)(slash - h) : strlen(h);
  if (n == 0 || n >= sizeof c->host)
    return dusk_error_set(err, DUSK_EINVAL, "AWS_ENDPOINT_URL '%s': bad host",
                          ep);
  memcpy(c->host, h, n);
  c->host[n] = '\0';
  c->base[0] = '\0';
  if (slash != NULL) {
    size_t bl = strlen(slash);
    while (bl > 0 && slash[bl - 1] == '/')
      bl--;
    if (bl >= sizeof c->base)
      return dusk_error_set(err, DUSK_EINVAL, "AWS_ENDPOINT_URL '%s': path "
                            "too long", ep);
    memcpy(c->base, slash, bl);
    c->base[bl] = '\0';
  }
  c->path_style = true;
  c->custom = true;
  return 0;
}

/* Sets host and addressing for AWS itself in c->region. */
static void aws_address(dusk_s3_client *c) {
  strcpy(c->scheme, "https");
  c->base[0] = '\0';
  c->path_style = !dns_bucket(c->bucket);
  if (c->path_style)
    snprintf(c->host, sizeof c->host, "s3.%s.amazonaws.com", c->region);
  else
    snprintf(c->host, sizeof c->host, "%s.s3.%s.amazonaws.com", c->bucket,
             c->region);
}

/* The canonical path of key (encoded) into out. */
static int object_path(const dusk_s3_client *c, const char *key,
                       dusk_buf *out) {
  int rc = 0;
  out->len = 0;
  rc |= dusk_buf_append(out, c->base, strlen(c->base));
  if (c->path_style) {
    rc |= dusk_buf_append(out, "/", 1);
    rc |= dusk_sigv4_uri_encode(out, c->bucket, strlen(c->bucket), true);
  }
  rc |= dusk_buf_append(out, "/", 1);
  rc |= dusk_sigv4_uri_encode(out, key, strlen(key), false);
  rc |= dusk_buf_append(out, "", 1);
  if (rc == 0)
    out->len--; /* a C string; len without the NUL */
  return rc == 0 ? 0 : DUSK_ENOMEM;
}

/* ---- signing -------------------------------------------------------------- */

static int sign_cb(void *arg, const char *method, const char *url,
                   struct curl_slist **headers, bool refresh,
                   dusk_error *err) {
  s3_req *r = arg;
  dusk_s3_client *c = r->c;
  dusk_aws_creds cr;
  dusk_sigv4_pair h[4];
  dusk_sigv4_request req;
  dusk_sigv4_credentials cred;
  dusk_sigv4_signed out;
  char date[DUSK_SIGV4_AMZ_DATE_LEN + 1], line[DUSK_CREDS_TOKEN_MAX + 64];
  size_t nh = 0;
  int rc;
  struct curl_slist *tmp;

  (void)url;
  if (c->anon)
    return 0;
  if ((rc = dusk_aws_creds_get(refresh, &cr, err)) != 0)
    return rc;
  if ((rc = dusk_sigv4_amz_date(time(NULL), date)) != 0)
    return dusk_error_set(err, rc, "the clock is out of range");
  h[nh++] = (dusk_sigv4_pair){{"host", 4}, {c->host, strlen(c->host)}};
  h[nh++] = (dusk_sigv4_pair){{"x-amz-content-sha256", 20},
                              {DUSK_SIGV4_EMPTY_SHA256, 64}};
  h[nh++] = (dusk_sigv4_pair){{"x-amz-date", 10}, {date, strlen(date)}};
  if (cr.token[0] != '\0')
    h[nh++] = (dusk_sigv4_pair){{"x-amz-security-token", 20},
                                {cr.token, strlen(cr.token)}};
  memset(&req, 0, sizeof req);
  req.method = (dusk_slice){method, strlen(method)};
  req.path = (dusk_slice){r->path, strlen(r->path)};
  req.query = r->query;
  req.nquery = r->nquery;
  req.headers = h;
  req.nheaders = nh;
  req.payload_hash = (dusk_slice){DUSK_SIGV4_EMPTY_SHA256, 64};
  req.region = (dusk_slice){c->region, strlen(c->region)};
  req.service = (dusk_slice){"s3", 2};
  req.amz_date = (dusk_slice){date, strlen(date)};
  cred.access_key = (dusk_slice){cr.access_key, strlen(cr.access_key)};
  cred.secret_key = (dusk_slice){cr.secret_key, strlen(cr.secret_key)};
  cred.session_token = (dusk_slice){cr.token, strlen(cr.token)};
  dusk_sigv4_signed_init(&out);
  if ((rc = dusk_sigv4_sign(&req, &cred, &out, err)) != 0) {
    dusk_sigv4_signed_destroy(&out);
    return rc;
  }
  rc = 0;
  for (size_t i = 0; i < nh && rc == 0; i++) {
    snprintf(line, sizeof line, "%s: %.*s",
             i == 0 ? "Host" : h[i].name.ptr, (int)h[i].value.len,
             h[i].value.ptr);
    if ((tmp = curl_slist_append(*headers, line)) == NULL)
      rc = DUSK_ENOMEM;
    else
      *headers = tmp;
  }
  snprintf(line, sizeof line, "Authorization: %s", out.authorization.data);
  if (rc == 0 && (tmp = curl_slist_append(*headers, line)) == NULL)
    rc = DUSK_ENOMEM;
  else if (rc == 0)
    *headers = tmp;
  dusk_sigv4_signed_destroy(&out);
  return rc == 0 ? 0 : dusk_error_set(err, rc, "out of memory");
}

/* ---- clients ---------------------------------------------------------------- */

/* The bucket's region, asked of S3 itself: a HEAD of the bucket (unsigned:
 * S3 names the region even when it refuses). */
static void discover_region(dusk_s3_client *c) {
  char url[1024];
  dusk_http_meta m;
  dusk_http_policy pol = dusk_http_policy_default();
  dusk_error ignore;
  pol.retries = 2;
  if (c->custom)
    snprintf(url, sizeof url, "%s://%s%s/%s", c->scheme, c->host, c->base,
             c->bucket);
  else if (dns_bucket(c->bucket))
    snprintf(url, sizeof url, "https://%s.s3.amazonaws.com/", c->bucket);
  else
    snprintf(url, sizeof url, "https://s3.amazonaws.com/%s", c->bucket);
  if (dusk_http_request("HEAD", url, NULL, 0, NULL, 0, NULL, &pol, 0, &m, NULL,
                        &ignore) == 0 &&
      valid_region(m.region)) {
    snprintf(c->region, sizeof c->region, "%s", m.region);
    remember_region(c->bucket, c->region);
  }
}

static int client_new(const char *bucket, const dusk_store_options *o,
                      dusk_s3_client **out, dusk_error *err) {
  dusk_s3_client *c = calloc(1, sizeof *c);
  const char *ep = getenv("AWS_ENDPOINT_URL_S3"), *r;
  int rc;
  if (c == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  snprintf(c->bucket, sizeof c->bucket, "%s", bucket);
  c->anon = o != NULL && o->anon;
  if (ep == NULL || *ep == '\0')
    ep = getenv("AWS_ENDPOINT_URL");
  if (ep != NULL && *ep != '\0' && (rc = parse_endpoint(c, ep, err)) != 0) {
    free(c);
    return rc;
  }
  r = getenv("AWS_REGION");
  if (r == NULL || *r == '\0')
    r = getenv("AWS_DEFAULT_REGION");
  /* What S3 said of this bucket in this process wins over what we were
   * told (a wrong AWS_REGION costs one refusal per process, not one per
   * request). */
  if (cached_region(bucket, c->region, sizeof c->region))
    ;
  else if (r != NULL && *r != '\0')
    snprintf(c->region, sizeof c->region, "%s", r);
  else
    dusk_aws_profile_region(c->region, sizeof c->region);
  if (c->region[0] == '\0') {
    strcpy(c->region, "us-east-1"); /* until S3 says otherwise */
    if (!c->custom)
      aws_address(c);
    discover_region(c);
  }
  if (!valid_region(c->region)) {
    rc = dusk_error_set(err, DUSK_EINVAL, "region '%s' is not a region name",
                        c->region);
    free(c);
    return rc;
  }
  if (!c->custom)
    aws_address(c);
  *out = c;
  return 0;
}

void dusk_s3_close(dusk_s3_client *c) {
  if (c == NULL)
    return;
  free(c->object_path);
  free(c);
}

/* A stream refused for the wrong region: through a custom endpoint the
 * URL stays and only the signature changes; AWS's own address names the
 * region, so there the user has to say it. */
static int moved_cb(void *arg, const char *region, dusk_error *err) {
  s3_req *r = arg;
  dusk_s3_client *c = r->c;
  if (!valid_region(region) || strcmp(region, c->region) == 0)
    return dusk_error_set(err, DUSK_EPROTO,
                          "s3://%s: refused for region '%s' (the bucket's, "
                          "S3 says, is '%s')",
                          c->bucket, c->region, region);
  if (!c->custom)
    return dusk_error_set(err, DUSK_EINVAL,
                          "s3://%s: the bucket is in region %s, not %s: set "
                          "AWS_REGION=%s where the workers run",
                          c->bucket, region, c->region, region);
  snprintf(c->region, sizeof c->region, "%s", region);
  remember_region(c->bucket, region);
  return 0;
}

dusk_http_auth dusk_s3_auth(dusk_s3_client *c) {
  dusk_http_auth a;
  c->object_req.c = c;
  c->object_req.path = c->object_path;
  a.sign = sign_cb;
  a.moved = moved_cb;
  a.arg = &c->object_req;
  return a;
}

/* The URL of a canonical path (and query) into a heap string. */
static char *make_url(const dusk_s3_client *c, const char *path,
                      const char *query) {
  size_t n = strlen(c->scheme) + 3 + strlen(c->host) + strlen(path) +
             (query && *query ? strlen(query) + 1 : 0) + 1;
  char *u = malloc(n);
  if (u != NULL)
    snprintf(u, n, "%s://%s%s%s%s", c->scheme, c->host, path,
             query && *query ? "?" : "", query && *query ? query : "");
  return u;
}

int dusk_s3_open(const char *s3url, const dusk_store_options *o,
                 dusk_s3_client **client, char **url, dusk_error *err) {
  char bucket[BUCKET_MAX];
  const char *key;
  dusk_s3_client *c;
  dusk_buf path;
  int rc;
  *client = NULL;
  *url = NULL;
  if ((rc = dusk_s3_parse(s3url, bucket, sizeof bucket, &key, err)) != 0)
    return rc;
  if ((rc = client_new(bucket, o, &c, err)) != 0)
    return rc;
  dusk_buf_init(&path);
  if (object_path(c, key, &path) != 0 ||
      (*url = make_url(c, path.data, NULL)) == NULL) {
    dusk_buf_destroy(&path);
    dusk_s3_close(c);
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", s3url);
  }
  c->object_path = dusk_buf_steal(&path, NULL);
  *client = c;
  return 0;
}

/* One signed request of path?query (pairs unencoded) with a small body.
 * A refusal naming another region (x-amz-bucket-region) is signed again
 * for that region, once. */
static int s3_call(dusk_s3_client *c, const char *method, const char *path,
                   const dusk_sigv4_pair *q, size_t nq, size_t max_body,
                   dusk_http_meta *m, dusk_buf *body, const char *what,
                   dusk_error *err) {
  for (int round = 0;; round++) {
    dusk_buf canon;
    s3_req r = {c, path, q, nq};
    dusk_http_auth auth = {sign_cb, NULL, &r};
    char *url;
    int rc;
    dusk_buf_init(&canon);
    if (dusk_sigv4_canonical_query(&canon, q, nq, err) != 0) {
      dusk_buf_destroy(&canon);
      return err->code;
    }
    url = make_url(c, path, canon.len ? canon.data : NULL);
    dusk_buf_destroy(&canon);
    if (url == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", what);
    rc = dusk_http_request(method, url, NULL, 0, NULL, 0, &auth, NULL,
                           max_body, m, body, err);
    free(url);
    if (rc != 0)
      return rc;
    /* (any error about the bucket carries its region: only one that
     * differs from ours says we signed for the wrong one) */
    if (round == 0 && (m->status == 301 || m->status == 400) &&
        valid_region(m->region) && strcmp(m->region, c->region) != 0) {
      /* the bucket lives elsewhere: sign for its region */
      snprintf(c->region, sizeof c->region, "%s", m->region);
      remember_region(c->bucket, c->region);
      if (!c->custom)
        aws_address(c); /* the host names the region: path is the same */
      continue;
    }
    return 0;
  }
}

static int status_error(const dusk_s3_client *c, const dusk_http_meta *m,
                        const dusk_buf *body, const char *what,
                        const char *verb, dusk_error *err) {
  char why[384];
  dusk_http_describe_error(m, body, why, sizeof why);
  if ((m->status == 403 || m->status == 401) && c->anon)
    return dusk_error_set(err, DUSK_EAUTH,
                          "%s: %s refused (%s): anon=True sends no "
                          "credentials, and the bucket is not public",
                          what, verb, why);
  if (m->status == 404)
    return dusk_error_set(err, DUSK_ENOTFOUND, "%s: not found (%s)", what, why);
  if (m->status == 403 || m->status == 401)
    return dusk_error_set(err, DUSK_EAUTH, "%s: %s refused: %s", what, verb,
                          why);
  return dusk_error_set(err, DUSK_EPROTO, "%s: %s: %s", what, verb, why);
}

/* ---- listing ---------------------------------------------------------------- */

typedef struct list_parse {
  dusk_s3_entry *e;
  size_t n, cap;
  int depth;
  bool in_contents;
  char field[32]; /* the element whose text is being collected */
  dusk_buf text;
  bool truncated;
  char *next;
  bool is_error, failed;
  dusk_s3_entry cur;
} list_parse;

static void XMLCALL on_start(void *arg, const XML_Char *name,
                             const XML_Char **attrs) {
  list_parse *lp = arg;
  (void)attrs;
  lp->depth++;
  lp->text.len = 0;
  if (lp->depth == 1 && strcmp(name, "Error") == 0)
    lp->is_error = true;
  if (lp->depth == 2 && strcmp(name, "Contents") == 0) {
    lp->in_contents = true;
    memset(&lp->cur, 0, sizeof lp->cur);
  }
  snprintf(lp->field, sizeof lp->field, "%s", name);
}

static void XMLCALL on_text(void *arg, const XML_Char *s, int len) {
  list_parse *lp = arg;
  if (lp->text.len + (size_t)len > 4096 ||
      dusk_buf_append(&lp->text, s, (size_t)len) != 0)
    lp->failed = true;
}

static char *text_dup(const dusk_buf *t) {
  char *s = malloc(t->len + 1);
  if (s != NULL) {
    memcpy(s, t->data, t->len);
    s[t->len] = '\0';
  }
  return s;
}

static void XMLCALL on_end(void *arg, const XML_Char *name) {
  list_parse *lp = arg;
  if (lp->depth == 3 && lp->in_contents) {
    if (strcmp(name, "Key") == 0) {
      free(lp->cur.key);
      if ((lp->cur.key = text_dup(&lp->text)) == NULL)
        lp->failed = true;
    } else if (strcmp(name, "Size") == 0) {
      char tmp[32];
      snprintf(tmp, sizeof tmp, "%.*s", (int)lp->text.len, lp->text.data);
      lp->cur.size = strtoull(tmp, NULL, 10);
    } else if (strcmp(name, "ETag") == 0) {
      snprintf(lp->cur.etag, sizeof lp->cur.etag, "%.*s", (int)lp->text.len,
               lp->text.data);
    }
  } else if (lp->depth == 2 && strcmp(name, "Contents") == 0) {
    lp->in_contents = false;
    if (lp->cur.key == NULL) {
      lp->failed = true;
    } else {
      if (lp->n == lp->cap) {
        size_t nc = lp->cap ? 2 * lp->cap : 64;
        dusk_s3_entry *g = realloc(lp->e, nc * sizeof *g);
        if (g == NULL) {
          lp->failed = true;
          free(lp->cur.key);
          lp->cur.key = NULL;
          lp->depth--;
          return;
        }
        lp->e = g;
        lp->cap = nc;
      }
      lp->e[lp->n++] = lp->cur;
      lp->cur.key = NULL;
    }
  } else if (lp->depth == 2 && strcmp(name, "IsTruncated") == 0) {
    lp->truncated = lp->text.len == 4 && memcmp(lp->text.data, "true", 4) == 0;
  } else if (lp->depth == 2 && strcmp(name, "NextContinuationToken") == 0) {
    free(lp->next);
    if ((lp->next = text_dup(&lp->text)) == NULL)
      lp->failed = true;
  }
  lp->text.len = 0;
  lp->depth--;
}

void dusk_s3_entries_free(dusk_s3_entry *e, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(e[i].key);
  free(e);
}

int dusk_s3_parse_listing(const char *xml, size_t len, dusk_s3_entry **out,
                          size_t *n, bool *truncated, char **next,
                          dusk_error *err) {
  XML_Parser xp = XML_ParserCreate("UTF-8");
  list_parse lp;
  int rc = 0;
  *out = NULL;
  *n = 0;
  *truncated = false;
  *next = NULL;
  if (xp == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  memset(&lp, 0, sizeof lp);
  dusk_buf_init(&lp.text);
  XML_SetUserData(xp, &lp);
  XML_SetElementHandler(xp, on_start, on_end);
  XML_SetCharacterDataHandler(xp, on_text);
  if (len > INT32_MAX ||
      XML_Parse(xp, xml, (int)len, 1) == XML_STATUS_ERROR) {
    rc = dusk_error_set(err, DUSK_EPARSE,
                        "the listing is not XML: %s at line %lu",
                        XML_ErrorString(XML_GetErrorCode(xp)),
                        (unsigned long)XML_GetCurrentLineNumber(xp));
  } else if (lp.is_error) {
    rc = dusk_error_set(err, DUSK_EPROTO, "the listing is an error document");
  } else if (lp.failed) {
    rc = dusk_error_set(err, DUSK_EPARSE,
                        "the listing has a Contents without a Key, or a value "
                        "over 4 KB");
  } else if (lp.truncated && (lp.next == NULL || lp.next[0] == '\0')) {
    rc = dusk_error_set(err, DUSK_EPARSE,
                        "the listing is truncated but gives no "
                        "NextContinuationToken");
  }
  XML_ParserFree(xp);
  free(lp.cur.key);
  dusk_buf_destroy(&lp.text);
  if (rc != 0) {
    dusk_s3_entries_free(lp.e, lp.n);
    free(lp.next);
    return rc;
  }
  *out = lp.e;
  *n = lp.n;
  *truncated = lp.truncated;
  *next = lp.next;
  return 0;
}

/* Decodes a listing's url-encoded key in place (encoding-type=url:
 * %XX escapes, '+' for a space); false when an escape is malformed. */
static bool url_decode_plus(char *s) {
  char *o = s;
  for (const char *p = s; *p; p++) {
    if (*p == '+') {
      *o++ = ' ';
    } else if (*p == '%') {
      int hi, lo;
      if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
        return false;
      hi = isdigit((unsigned char)p[1]) ? p[1] - '0'
                                        : (tolower((unsigned char)p[1]) - 'a' + 10);
      lo = isdigit((unsigned char)p[2]) ? p[2] - '0'
                                        : (tolower((unsigned char)p[2]) - 'a' + 10);
      *o++ = (char)(hi * 16 + lo);
      p += 2;
    } else {
      *o++ = *p;
    }
  }
  *o = '\0';
  return true;
}

/* Every key under prefix matching glob (the key part of the pattern),
 * appended as objects named s3://bucket/key. */
static int list_glob(dusk_s3_client *c, const char *pattern, const char *glob,
                     dusk_object **objs, size_t *n, dusk_error *err) {
  size_t plen = strcspn(glob, "*?[");
  char *prefix = strndup(glob, plen), *token = NULL;
  dusk_buf path, body;
  int rc = 0;
  if (prefix == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  dusk_buf_init(&path);
  dusk_buf_init(&body);
  if (dusk_buf_append(&path, c->base, strlen(c->base)) != 0 ||
      (c->path_style &&
       (dusk_buf_append(&path, "/", 1) != 0 ||
        dusk_sigv4_uri_encode(&path, c->bucket, strlen(c->bucket), true) !=
            0)) ||
      dusk_buf_append(&path, "/", 1) != 0 ||
      dusk_buf_append(&path, "", 1) != 0) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    goto out;
  }
  path.len--; /* a C string: the NUL is not part of the path */
  for (int page = 0; rc == 0; page++) {
    dusk_sigv4_pair q[4];
    size_t nq = 0, ne = 0;
    dusk_http_meta m;
    dusk_s3_entry *e = NULL;
    bool truncated;
    char *next = NULL;
    if (page >= LIST_PAGES_MAX) {
      rc = dusk_error_set(err, DUSK_ETOOBIG,
                          "%s: more than %d pages of keys match", pattern,
                          LIST_PAGES_MAX);
      break;
    }
    q[nq++] = (dusk_sigv4_pair){{"list-type", 9}, {"2", 1}};
    /* keys url-encoded: a key may hold bytes XML 1.0 cannot carry */
    q[nq++] = (dusk_sigv4_pair){{"encoding-type", 13}, {"url", 3}};
    q[nq++] = (dusk_sigv4_pair){{"prefix", 6}, {prefix, strlen(prefix)}};
    if (token != NULL)
      q[nq++] = (dusk_sigv4_pair){{"continuation-token", 18},
                                  {token, strlen(token)}};
    if ((rc = s3_call(c, "GET", path.data, q, nq, LIST_PAGE_MAX, &m, &body,
                      pattern, err)) != 0)
      break;
    if (m.status != 200) {
      rc = m.status == 404 ? dusk_error_set(err, DUSK_ENOTFOUND,
                                            "%s: no such bucket '%s'",
                                            pattern, c->bucket)
                           : status_error(c, &m, &body, pattern, "listing", err);
      break;
    }
    if ((rc = dusk_s3_parse_listing(body.data, body.len, &e, &ne, &truncated,
                                    &next, err)) != 0) {
      char why[DUSK_ERROR_MESSAGE_MAX];
      snprintf(why, sizeof why, "%s", err->message);
      dusk_error_set(err, rc, "%s: listing: %s", pattern, why);
      break;
    }
    for (size_t i = 0; i < ne && rc == 0; i++) {
      char name[BUCKET_MAX + KEY_MAX + 8];
      if (!url_decode_plus(e[i].key)) {
        rc = dusk_error_set(err, DUSK_EPROTO,
                            "%s: listing: a key's url-encoding is malformed",
                            pattern);
        break;
      }
      if (fnmatch(glob, e[i].key, FNM_PATHNAME) != 0)
        continue;
      snprintf(name, sizeof name, "s3://%s/%s", c->bucket, e[i].key);
      rc = dusk_objects_push(objs, n, name, e[i].size, e[i].etag, true, err);
    }
    dusk_s3_entries_free(e, ne);
    free(token);
    token = next;
    if (!truncated)
      break;
  }
out:
  free(token);
  free(prefix);
  dusk_buf_destroy(&path);
  dusk_buf_destroy(&body);
  return rc;
}

static int cmp_objects(const void *a, const void *b) {
  return strcmp(((const dusk_object *)a)->path, ((const dusk_object *)b)->path);
}

static int s3_expand(const char *pattern, const dusk_store_options *o,
                     bool literal, dusk_object **objs, size_t *n,
                     dusk_error *err) {
  char bucket[BUCKET_MAX];
  const char *key;
  dusk_s3_client *c;
  size_t before = *n;
  int rc;
  if ((rc = dusk_s3_parse(pattern, bucket, sizeof bucket, &key, err)) != 0)
    return rc;
  if (*key == '\0' || key[strlen(key) - 1] == '/')
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: names a prefix, not an object; use a glob like "
                          "'%s%s*.csv'",
                          pattern, pattern, *key == '\0' ? "/" : "");
  if ((rc = client_new(bucket, o, &c, err)) != 0)
    return rc;
  if (dusk_store_is_glob(key) && !literal) {
    rc = list_glob(c, pattern, key, objs, n, err);
    if (rc == 0 && *n > before)
      qsort(*objs + before, *n - before, sizeof **objs, cmp_objects);
  } else {
    dusk_buf path;
    dusk_http_meta m;
    dusk_buf_init(&path);
    if (object_path(c, key, &path) != 0) {
      rc = dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    } else if ((rc = s3_call(c, "HEAD", path.data, NULL, 0, 0, &m, NULL,
                             pattern, err)) == 0) {
      if (m.status != 200)
        rc = status_error(c, &m, NULL, pattern, "HEAD", err);
      else if (!m.has_size)
        rc = dusk_error_set(err, DUSK_EPROTO, "%s: HEAD gave no size",
                            pattern);
      else
        rc = dusk_objects_push(objs, n, pattern, m.size, m.etag, true, err);
    }
    dusk_buf_destroy(&path);
  }
  dusk_s3_close(c);
  return rc;
}

int dusk_s3_expand(const char *pattern, const dusk_store_options *o,
                   dusk_object **objs, size_t *n, dusk_error *err) {
  return s3_expand(pattern, o, false, objs, n, err);
}

int dusk_s3_stat(const char *s3url, const dusk_store_options *o,
                 dusk_object **objs, size_t *n, dusk_error *err) {
  return s3_expand(s3url, o, true, objs, n, err);
}
