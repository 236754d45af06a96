/* source.h - where a query's bytes come from: a local file, an HTTP(S)
 * URL or an S3 object, behind one interface.
 *
 * The scheduler expands what read_csv names into objects (a local glob
 * with glob(3), an s3:// prefix and glob with a ListObjectsV2 listing, a
 * single URL with a HEAD) and keeps each one's size and version (its
 * ETag).  Each scan then opens its object with that size and version, so
 * no scan asks again, and every ranged read is pinned to the version the
 * query was planned from (http.h): an object replaced mid-query is an
 * error naming it, never a mixed answer.
 *
 * Reads are positional (pread).  A local file is read with pread(2).  A
 * remote object is read through a stream (http.h): dusk_source_plan says
 * which span the next reads cover, and one ranged GET streams it on its
 * own thread while the caller parses; a read outside the stream starts a
 * new one.  Not thread-safe: one source is used by one thread. */
#ifndef DUSK_SOURCE_H
#define DUSK_SOURCE_H

#include "errors.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How read_csv reaches a store (one per read_csv). */
typedef struct dusk_store_options {
  bool anon; /* S3: unsigned requests, for public buckets */
} dusk_store_options;

/* One object a query reads. */
typedef struct dusk_object {
  char *path;        /* as read_csv names it: a local path or a URL */
  uint64_t size;
  char version[128]; /* a remote object's ETag, quotes included, or
                        DUSK_HTTP_VERSION_LM and its Last-Modified when
                        the server gives no ETag; "" when local or when
                        it gives neither */
  bool ranges;       /* ranged reads work (local files, S3; HTTP when the
                        server says Accept-Ranges: bytes) */
} dusk_object;

/* Whether path names a remote object (http://, https:// or s3://). */
bool dusk_store_is_url(const char *path);
/* Whether it is a glob (has * ? or [). */
bool dusk_store_is_glob(const char *path);

/* Appends the objects pattern names to *objs / *n (sorted by path within
 * the pattern): a local file or glob, an s3:// key or glob (listing the
 * prefix before the first glob character), an http(s) URL.  No match is
 * DUSK_ENOTFOUND naming the pattern; a directory, a non-regular file, a
 * glob over HTTP are DUSK_EINVAL. */
int dusk_store_expand(const char *pattern, const dusk_store_options *o,
                      dusk_object **objs, size_t *n, dusk_error *err);
void dusk_objects_free(dusk_object *objs, size_t n);
/* Appends one object (path copied, version NULL for none) to *objs / *n.
 * 0 or DUSK_ENOMEM. */
int dusk_objects_push(dusk_object **objs, size_t *n, const char *path,
                      uint64_t size, const char *version, bool ranges,
                      dusk_error *err);

typedef struct dusk_source dusk_source;

/* Opens path.  version / size: as the scheduler listed them (NULL /
 * UINT64_MAX: learn them now, with fstat or a HEAD). */
int dusk_source_open(const char *path, const char *version, uint64_t size,
                     const dusk_store_options *o, dusk_source **out,
                     dusk_error *err);
uint64_t dusk_source_size(const dusk_source *s);
/* Whether it is a remote object. */
bool dusk_source_remote(const dusk_source *s);

/* The reads that follow cover [start, end) in order (a hint; reads
 * outside it still work). */
void dusk_source_plan(dusk_source *s, uint64_t start, uint64_t end);
/* The end a scan of a range ending at pend plans to: pend and a margin
 * for the record that crosses it (DUSK_SOURCE_TAIL_MARGIN), within the
 * object's size. */
#define DUSK_SOURCE_TAIL_MARGIN ((uint64_t)64 << 10)
static inline uint64_t dusk_source_plan_end(uint64_t pend, uint64_t size) {
  return size - pend > DUSK_SOURCE_TAIL_MARGIN ? pend + DUSK_SOURCE_TAIL_MARGIN
                                               : size;
}

/* Reads up to n bytes at off into buf; *got < n only at the end of the
 * object.  0 or a negative code with err naming the path. */
int dusk_source_pread(dusk_source *s, void *buf, size_t n, uint64_t off,
                      size_t *got, dusk_error *err);

void dusk_source_close(dusk_source *s);

/* Prefetch: starts streaming [start, end) of a remote object now, on a
 * thread of its own, for a scan that will open it later (a worker's next
 * queued range while it parses the current one: the first bytes of a GET
 * take a round trip, tens of ms against S3).  dusk_source_open with the
 * same path, version and size then takes the prefetched source (and its
 * plan covers [start, end)); none at all is taken until then.  At most
 * DUSK_PREFETCH_MAX wait at a time (the oldest is dropped), each with its
 * stream's buffer.  Local paths are ignored.  Thread-safe. */
#define DUSK_PREFETCH_MAX 4
void dusk_source_prefetch(const char *path, const char *version,
                          uint64_t size, const dusk_store_options *o,
                          uint64_t start, uint64_t end);
/* Prefetched sources taken by dusk_source_open so far (for tests). */
uint64_t dusk_source_prefetch_hits(void);

#endif
