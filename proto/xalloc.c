/* xalloc.c - aborting allocators for the daemons (see xalloc.h for the
 * rule).  The message goes through dusk_log, whose line is formatted on the
 * stack: nothing here allocates on the way to abort(). */
#include "xalloc.h"

#include "errors.h"
#include "log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void oom_bytes(size_t n) {
  dusk_log(DUSK_LOG_ERROR, "out of memory allocating %zu bytes", n);
  abort();
}

_Noreturn void dusk__xoom(const char *file, int line) {
  dusk_log(DUSK_LOG_ERROR, "out of memory at %s:%d", file, line);
  abort();
}

int dusk__xcheck(int rc, const char *file, int line) {
  if (rc == DUSK_ENOMEM)
    dusk__xoom(file, line);
  return rc;
}

void *dusk_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    oom_bytes(n);
  return p;
}

void *dusk_xcalloc(size_t n, size_t size) {
  void *p;
  if (size != 0 && n > SIZE_MAX / size)
    oom_bytes(SIZE_MAX);
  p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    oom_bytes(n * size);
  return p;
}

void *dusk_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (q == NULL)
    oom_bytes(n);
  return q;
}

char *dusk_xstrdup(const char *s) { return dusk_xmemdup(s, strlen(s)); }

char *dusk_xmemdup(const void *p, size_t n) {
  char *q;
  if (n == SIZE_MAX)
    oom_bytes(n);
  q = dusk_xmalloc(n + 1);
  if (n > 0)
    memcpy(q, p, n);
  q[n] = '\0';
  return q;
}
