/* s3.h - S3 objects: addressing, regions, credentials, listing.
 *
 * s3://bucket/key is reached at
 *   - AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL (the SDKs' variables), as
 *     <endpoint>/<bucket>/<key> (path-style, as S3-compatible stores want);
 *   - otherwise AWS: https://<bucket>.s3.<region>.amazonaws.com/<key>, or
 *     path-style https://s3.<region>.amazonaws.com/<bucket>/<key> for a
 *     bucket whose name is not a plain DNS label (dots, capitals).
 * The region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` in
 * ~/.aws/config; else the bucket's own, asked once per process (a HEAD of
 * the bucket answers x-amz-bucket-region, even when it refuses us).  A
 * request refused for the wrong region is signed again for the region
 * S3 names, once.
 *
 * Every request is signed with SigV4 (sigv4.h) unless anon (a public
 * bucket).  Credentials are resolved where the request is made - on each
 * worker, so an instance role or a container's credentials work - in the
 * SDKs' order (creds.h), cached per process and refreshed before they
 * expire or when S3 says they have.
 *
 * Listing (a key holding * ? or [ is a glob) pages through ListObjectsV2
 * under the prefix before the first glob character, each page parsed with
 * expat, and keeps each object's size and ETag: no HEAD per object.  A
 * glob matches as glob(3) does: '*' and '?' stop at '/'. */
#ifndef DUSK_S3_H
#define DUSK_S3_H

#include "errors.h"
#include "http.h"
#include "source.h"

typedef struct dusk_s3_client dusk_s3_client;

/* Appends the objects an s3:// key or glob names (source.h). */
int dusk_s3_expand(const char *pattern, const dusk_store_options *o,
                   dusk_object **objs, size_t *n, dusk_error *err);

/* The one object s3url names, its key taken literally (a key may hold
 * glob characters): a HEAD.  Appends it to *objs / *n. */
int dusk_s3_stat(const char *s3url, const dusk_store_options *o,
                 dusk_object **objs, size_t *n, dusk_error *err);

/* Resolves s3://bucket/key into *url (heap, encoded) and a client that
 * signs GETs of it (dusk_s3_auth); the client outlives every use. */
int dusk_s3_open(const char *s3url, const dusk_store_options *o,
                 dusk_s3_client **client, char **url, dusk_error *err);
dusk_http_auth dusk_s3_auth(dusk_s3_client *c);
void dusk_s3_close(dusk_s3_client *c);

/* Splits "s3://bucket/key" (key may be empty).  0, or DUSK_EINVAL naming
 * what is wrong with it. */
int dusk_s3_parse(const char *s3url, char *bucket, size_t bucket_cap,
                  const char **key, dusk_error *err);

/* The keys of one ListObjectsV2 page (for tests): parses xml into up to
 * cap entries; *truncated and next (the continuation token) say whether
 * another page follows. */
typedef struct dusk_s3_entry {
  char *key;
  uint64_t size;
  char etag[128];
} dusk_s3_entry;
int dusk_s3_parse_listing(const char *xml, size_t len, dusk_s3_entry **out,
                          size_t *n, bool *truncated, char **next,
                          dusk_error *err);
void dusk_s3_entries_free(dusk_s3_entry *e, size_t n);

#endif
