/* buf.c - growable buffers and the aborting allocators. */
#include "buf.h"

#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void dusk_buf_init(dusk_buf *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void dusk_buf_destroy(dusk_buf *b) {
  free(b->data);
  dusk_buf_init(b);
}

int dusk_buf_reserve(dusk_buf *b, size_t extra) {
  size_t need, cap;
  char *p;
  if (extra > SIZE_MAX - b->len)
    return DUSK_ENOMEM;
  need = b->len + extra;
  if (need <= b->cap)
    return 0;
  cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  p = realloc(b->data, cap);
  if (p == NULL)
    return DUSK_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int dusk_buf_append(dusk_buf *b, const void *bytes, size_t len) {
  int rc;
  if (len == 0)
    return 0;
  if ((rc = dusk_buf_reserve(b, len)) != 0)
    return rc;
  memcpy(b->data + b->len, bytes, len);
  b->len += len;
  return 0;
}

void dusk_buf_consume(dusk_buf *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}

char *dusk_buf_steal(dusk_buf *b, size_t *len) {
  char *p = b->data;
  if (len != NULL)
    *len = b->len;
  dusk_buf_init(b);
  return p;
}

static void oom(size_t n) {
  fprintf(stderr, "dusk: out of memory allocating %zu bytes\n", n);
  abort();
}

void *dusk_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    oom(n);
  return p;
}

void *dusk_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    oom(n * size);
  return p;
}

void *dusk_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (q == NULL)
    oom(n);
  return q;
}

char *dusk_xstrdup(const char *s) { return dusk_xmemdup(s, strlen(s) + 1); }

char *dusk_xmemdup(const void *p, size_t n) {
  char *q = dusk_xmalloc(n + 1);
  memcpy(q, p, n);
  q[n] = '\0';
  return q;
}

uint64_t dusk_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
