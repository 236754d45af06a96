/* buf.c - growable buffers. */
#include "buf.h"

#include "errors.h"

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

uint64_t dusk_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
