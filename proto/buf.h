/* buf.h - borrowed byte slices and a growable byte buffer.
 *
 * dusk_slice borrows bytes: it is valid until the next call on its source.
 * dusk_buf owns its bytes (_init/_destroy on caller storage).  Appends return
 * 0 or DUSK_ENOMEM and never abort: proto/ is a library.  The daemons' own
 * allocators, which abort, are in xalloc.h. */
#ifndef DUSK_BUF_H
#define DUSK_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct dusk_slice {
  const char *ptr;
  size_t len;
} dusk_slice;

typedef struct dusk_buf {
  char *data;
  size_t len; /* bytes in use */
  size_t cap; /* bytes allocated */
} dusk_buf;

void dusk_buf_init(dusk_buf *b);
void dusk_buf_destroy(dusk_buf *b);
/* Makes room for at least `extra` more bytes; 0 or DUSK_ENOMEM. */
int dusk_buf_reserve(dusk_buf *b, size_t extra);
int dusk_buf_append(dusk_buf *b, const void *bytes, size_t len);
/* Drops the first n bytes (n <= len), moving the rest to the front. */
void dusk_buf_consume(dusk_buf *b, size_t n);
/* Hands the bytes to the caller (who frees them with free()) and resets b. */
char *dusk_buf_steal(dusk_buf *b, size_t *len);

/* Monotonic clock in nanoseconds. */
uint64_t dusk_now_ns(void);

#endif
