/* source.c - local files and remote objects behind one reader
 * (source.h). */
#include "source.h"

#include "http.h"
#include "s3.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes a stream receives ahead of the parser; a prefetched one, waiting
 * for its scan, only has to hide the first round trip (the socket's own
 * buffer holds more). */
#define STREAM_BUFFER ((size_t)8 << 20)
#define PREFETCH_BUFFER ((size_t)2 << 20)
/* A read past the planned span streams this much, doubling with each
 * further such stream up to STREAM_GROW_MAX (the record that crosses a
 * range's end is usually short: a stream cut short wastes what it
 * received ahead; a file read past its plan may be long). */
#define STREAM_GROW_MIN ((uint64_t)16 << 10)
#define STREAM_GROW_MAX ((uint64_t)64 << 20)

struct dusk_source {
  char *path;
  uint64_t size;
  int fd; /* local; -1 for remote */
  /* remote */
  char *url;
  char version[128];
  dusk_s3_client *s3; /* s3:// only: signs every request */
  dusk_http_auth auth;
  dusk_http_stream *stream;
  uint64_t plan_start, plan_end;
  uint64_t grow;
  bool anon; /* opened with anon (a prefetched source matches on it) */
};

bool dusk_store_is_url(const char *path) {
  return strncmp(path, "s3://", 5) == 0 || strncmp(path, "http://", 7) == 0 ||
         strncmp(path, "https://", 8) == 0;
}

bool dusk_store_is_glob(const char *path) {
  return strpbrk(path, "*?[") != NULL;
}

void dusk_objects_free(dusk_object *objs, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(objs[i].path);
  free(objs);
}

int dusk_objects_push(dusk_object **objs, size_t *n, const char *path,
                      uint64_t size, const char *version, bool ranges,
                      dusk_error *err) {
  dusk_object *grown = realloc(*objs, (*n + 1) * sizeof **objs);
  if (grown == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", path);
  *objs = grown;
  memset(&grown[*n], 0, sizeof grown[*n]);
  grown[*n].path = strdup(path);
  if (grown[*n].path == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", path);
  grown[*n].size = size;
  grown[*n].ranges = ranges;
  if (version != NULL)
    snprintf(grown[*n].version, sizeof grown[*n].version, "%s", version);
  (*n)++;
  return 0;
}

static int expand_local_file(const char *path, dusk_object **objs, size_t *n,
                             dusk_error *err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return dusk_error_set(err, -errno,
                          "%s: %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode))
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: is a directory, not a CSV file (use a glob "
                          "like '%s/*.csv')",
                          path, path);
  if (!S_ISREG(st.st_mode))
    return dusk_error_set(err, DUSK_EINVAL, "%s: not a regular file", path);
  return dusk_objects_push(objs, n, path, (uint64_t)st.st_size, NULL, true, err);
}

static int expand_local(const char *pattern, dusk_object **objs, size_t *n,
                        dusk_error *err) {
  glob_t g;
  int grc, rc = 0;
  if (!dusk_store_is_glob(pattern))
    return expand_local_file(pattern, objs, n, err);
  grc = glob(pattern, 0, NULL, &g);
  if (grc == GLOB_NOMATCH) {
    globfree(&g);
    return dusk_error_set(err, DUSK_ENOTFOUND, "no files match '%s'", pattern);
  }
  if (grc != 0) {
    globfree(&g);
    return dusk_error_set(err, DUSK_EINVAL, "cannot expand '%s'", pattern);
  }
  for (size_t k = 0; k < g.gl_pathc && rc == 0; k++)
    rc = expand_local_file(g.gl_pathv[k], objs, n, err);
  globfree(&g);
  return rc;
}

static int expand_http(const char *url, dusk_object **objs, size_t *n,
                       dusk_error *err) {
  dusk_http_meta m;
  char why[384], shown[512];
  int rc;
  /* A URL names one object: '?' starts its query, '[' an IPv6 host. */
  rc = dusk_http_request("HEAD", url, NULL, 0, NULL, 0, NULL, NULL, 0, &m,
                         NULL, err);
  if (rc != 0)
    return rc;
  dusk_http_redact(url, shown, sizeof shown);
  if (m.status == 404 || m.status == 410)
    return dusk_error_set(err, DUSK_ENOTFOUND, "%s: not found (HTTP %ld)",
                          shown, m.status);
  if (m.status < 200 || m.status >= 300) {
    dusk_http_describe_error(&m, NULL, why, sizeof why);
    return dusk_error_set(err, m.status == 401 || m.status == 403 ? DUSK_EAUTH
                                                                   : DUSK_EPROTO,
                          "%s: HEAD: %s", shown, why);
  }
  if (!m.has_size)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: the server does not say the object's size "
                          "(no Content-Length)",
                          shown);
  if (m.etag[0] == '\0' && m.last_modified[0] != '\0') {
    /* no ETag: pinned by its Last-Modified date instead */
    char lm[sizeof m.last_modified + 4];
    snprintf(lm, sizeof lm, "%s%s", DUSK_HTTP_VERSION_LM, m.last_modified);
    return dusk_objects_push(objs, n, url, m.size, lm, m.ranges, err);
  }
  return dusk_objects_push(objs, n, url, m.size, m.etag, m.ranges, err);
}

int dusk_store_expand(const char *pattern, const dusk_store_options *o,
                      dusk_object **objs, size_t *n, dusk_error *err) {
  size_t before = *n;
  int rc;
  if (strncmp(pattern, "s3://", 5) == 0)
    rc = dusk_s3_expand(pattern, o, objs, n, err);
  else if (dusk_store_is_url(pattern))
    rc = expand_http(pattern, objs, n, err);
  else
    rc = expand_local(pattern, objs, n, err);
  if (rc == 0 && *n == before)
    return dusk_error_set(err, DUSK_ENOTFOUND, "no files match '%s'", pattern);
  return rc;
}

/* ---- prefetch ------------------------------------------------------------ */

typedef struct parked {
  dusk_source *src; /* NULL: free, or still opening */
  char *path;
  char version[128];
  uint64_t size, start, end;
  bool anon;
} parked;

static pthread_mutex_t park_mu = PTHREAD_MUTEX_INITIALIZER;
static parked park[DUSK_PREFETCH_MAX];
static size_t park_next;
static uint64_t prefetch_hits;

uint64_t dusk_source_prefetch_hits(void) {
  uint64_t n;
  pthread_mutex_lock(&park_mu);
  n = prefetch_hits;
  pthread_mutex_unlock(&park_mu);
  return n;
}

/* Takes the parked source of (path, version, size, anon) streaming
 * [start, end), or NULL. */
static dusk_source *unpark(const char *path, const char *version,
                           uint64_t size, bool anon, uint64_t start,
                           uint64_t end) {
  dusk_source *s = NULL;
  pthread_mutex_lock(&park_mu);
  for (size_t i = 0; i < DUSK_PREFETCH_MAX && s == NULL; i++)
    if (park[i].src != NULL && strcmp(park[i].path, path) == 0 &&
        strcmp(park[i].version, version ? version : "") == 0 &&
        park[i].size == size && park[i].anon == anon &&
        park[i].start == start && park[i].end == end) {
      s = park[i].src;
      park[i].src = NULL;
      free(park[i].path);
      park[i].path = NULL;
      prefetch_hits++;
    }
  pthread_mutex_unlock(&park_mu);
  return s;
}

typedef struct prefetch_job {
  char *path;
  char version[128];
  uint64_t size, start, end;
  dusk_store_options o;
} prefetch_job;

static int start_stream(dusk_source *s, uint64_t off, size_t buffer,
                        dusk_error *err);

static void *prefetch_main(void *arg) {
  prefetch_job *j = arg;
  dusk_source *s = NULL, *old = NULL;
  dusk_error err;
  if (dusk_source_open(j->path, j->version[0] ? j->version : NULL, j->size,
                       &j->o, &s, &err) == 0) {
    /* the plan set by hand: dusk_source_plan would take another parked
     * source of the same span */
    s->plan_start = j->start;
    s->plan_end = j->end < s->size ? j->end : s->size;
    if (start_stream(s, j->start, PREFETCH_BUFFER, &err) != 0) {
      dusk_source_close(s); /* the scan will try, and say why */
      s = NULL;
    }
  }
  if (s != NULL) {
    char *path = strdup(j->path);
    pthread_mutex_lock(&park_mu);
    if (path != NULL) {
      parked *p = &park[park_next];
      park_next = (park_next + 1) % DUSK_PREFETCH_MAX;
      old = p->src; /* the oldest waiting one makes room */
      free(p->path);
      p->src = s;
      p->path = path;
      snprintf(p->version, sizeof p->version, "%s", j->version);
      p->size = j->size;
      p->start = j->start;
      p->end = j->end;
      p->anon = j->o.anon;
      s = NULL;
    }
    pthread_mutex_unlock(&park_mu);
  }
  dusk_source_close(old);
  dusk_source_close(s);
  free(j->path);
  free(j);
  return NULL;
}

void dusk_source_prefetch(const char *path, const char *version,
                          uint64_t size, const dusk_store_options *o,
                          uint64_t start, uint64_t end) {
  prefetch_job *j;
  pthread_attr_t attr;
  pthread_t t;
  if (!dusk_store_is_url(path) || size == UINT64_MAX || end <= start)
    return;
  if ((j = calloc(1, sizeof *j)) == NULL || (j->path = strdup(path)) == NULL) {
    free(j);
    return; /* a prefetch is only ever a hint */
  }
  snprintf(j->version, sizeof j->version, "%s", version ? version : "");
  j->size = size;
  j->start = start;
  j->end = end;
  if (o != NULL)
    j->o = *o;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&t, &attr, prefetch_main, j) != 0) {
    free(j->path);
    free(j);
  }
  pthread_attr_destroy(&attr);
}

/* ---- reading ------------------------------------------------------------- */

int dusk_source_open(const char *path, const char *version, uint64_t size,
                     const dusk_store_options *o, dusk_source **out,
                     dusk_error *err) {
  dusk_source *s;
  int rc = 0;
  *out = NULL;
  s = calloc(1, sizeof *s);
  if (s == NULL || (s->path = strdup(path)) == NULL) {
    free(s);
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", path);
  }
  s->fd = -1;
  s->size = size;
  s->grow = STREAM_GROW_MIN;
  s->anon = o != NULL && o->anon;
  if (!dusk_store_is_url(path)) {
    struct stat sb;
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
      rc = dusk_error_set(err, -errno,
                          "%s: %s", path, strerror(errno));
      goto fail;
    }
    if (fstat(s->fd, &sb) != 0) {
      rc = dusk_error_set(err, -errno, "%s: stat: %s", path, strerror(errno));
      goto fail;
    }
    if (S_ISDIR(sb.st_mode)) {
      rc = dusk_error_set(err, -EISDIR, "%s: is a directory", path);
      goto fail;
    }
    /* Never past the size the query was planned from: a file growing
     * under a scan does not change what a range owns. */
    if (size == UINT64_MAX || (uint64_t)sb.st_size < size)
      s->size = (uint64_t)sb.st_size;
    *out = s;
    return 0;
  }
  if (strncmp(path, "s3://", 5) == 0) {
    if ((rc = dusk_s3_open(path, o, &s->s3, &s->url, err)) != 0)
      goto fail;
    s->auth = dusk_s3_auth(s->s3);
  } else if ((s->url = strdup(path)) == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", path);
    goto fail;
  }
  if (version != NULL)
    snprintf(s->version, sizeof s->version, "%s", version);
  if (size == UINT64_MAX || version == NULL) {
    /* the one object path names (never a glob: it was expanded once) */
    dusk_object *objs = NULL;
    size_t n = 0;
    if ((rc = strncmp(path, "s3://", 5) == 0
                  ? dusk_s3_stat(path, o, &objs, &n, err)
                  : expand_http(path, &objs, &n, err)) != 0) {
      dusk_objects_free(objs, n);
      goto fail;
    }
    s->size = objs[0].size;
    if (version == NULL)
      snprintf(s->version, sizeof s->version, "%s", objs[0].version);
    dusk_objects_free(objs, n);
  }
  *out = s;
  return 0;
fail:
  dusk_source_close(s);
  return rc;
}

uint64_t dusk_source_size(const dusk_source *s) { return s->size; }

bool dusk_source_remote(const dusk_source *s) { return s->fd < 0; }

void dusk_source_plan(dusk_source *s, uint64_t start, uint64_t end) {
  dusk_source *p;
  if (end > s->size)
    end = s->size;
  /* A span prefetched for this scan: its source (streaming since) takes
   * this one's place, and this one's parts are freed in its stead. */
  if (s->fd < 0 && s->stream == NULL &&
      (p = unpark(s->path, s->version, s->size, s->anon, start, end)) !=
          NULL) {
    dusk_source tmp = *s;
    *s = *p;
    *p = tmp;
    dusk_source_close(p);
  }
  s->plan_start = start;
  s->plan_end = end;
}

/* A stream from off: to the planned end when off lies in the planned span,
 * else a growing chunk. */
static int restart_stream(dusk_source *s, uint64_t off, dusk_error *err) {
  dusk_http_stream_close(s->stream);
  s->stream = NULL;
  return start_stream(s, off, STREAM_BUFFER, err);
}

static int start_stream(dusk_source *s, uint64_t off, size_t buffer,
                        dusk_error *err) {
  uint64_t end;
  dusk_http_stream_close(s->stream); /* one stream per source */
  s->stream = NULL;
  if (off >= s->plan_start && off < s->plan_end) {
    end = s->plan_end;
  } else {
    end = off + s->grow;
    if (s->grow < STREAM_GROW_MAX)
      s->grow *= 2;
  }
  if (end > s->size)
    end = s->size;
  return dusk_http_stream_open(s->url, s->version, off, end, s->size, &s->auth,
                               NULL, buffer, &s->stream, err);
}

int dusk_source_pread(dusk_source *s, void *buf, size_t n, uint64_t off,
                      size_t *got, dusk_error *err) {
  char *p = buf;
  size_t have = 0;
  *got = 0;
  if (off >= s->size)
    return 0;
  if (n > s->size - off)
    n = (size_t)(s->size - off);
  if (s->fd >= 0) {
    while (have < n) {
      ssize_t r = pread(s->fd, p + have, n - have, (off_t)(off + have));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return dusk_error_set(err, -errno, "%s: read: %s", s->path,
                              strerror(errno));
      if (r == 0)
        break;
      have += (size_t)r;
    }
    *got = have;
    return 0;
  }
  while (have < n) {
    size_t k;
    int rc;
    if (s->stream == NULL || dusk_http_stream_offset(s->stream) != off + have)
      if ((rc = restart_stream(s, off + have, err)) != 0)
        return rc;
    if ((rc = dusk_http_stream_read(s->stream, p + have, n - have, &k, err)) !=
        0)
      return rc;
    if (k == 0) { /* this stream's span is done: the next one continues */
      dusk_http_stream_close(s->stream);
      s->stream = NULL;
      if ((rc = restart_stream(s, off + have, err)) != 0)
        return rc;
      if ((rc = dusk_http_stream_read(s->stream, p + have, n - have, &k,
                                      err)) != 0)
        return rc;
      if (k == 0)
        break; /* the object ended early: what was read is all */
    }
    have += k;
  }
  *got = have;
  return 0;
}

void dusk_source_close(dusk_source *s) {
  if (s == NULL)
    return;
  dusk_http_stream_close(s->stream);
  if (s->fd >= 0)
    close(s->fd);
  dusk_s3_close(s->s3);
  free(s->url);
  free(s->path);
  free(s);
}
