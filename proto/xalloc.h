/* xalloc.h - the daemons' out-of-memory discipline: abort (redis' zmalloc).
 *
 * The rule, for every process and library of dusk:
 *
 *   - A daemon (scheduler/, worker/ and their main.c) never handles running
 *     out of memory: it logs one line and abort()s.  Its own allocations go
 *     through dusk_xmalloc and friends, which never return NULL.  A call it
 *     makes into a library that can fail with DUSK_ENOMEM - a hash-map put, a
 *     buffer append, a queued message, a connect - is wrapped in
 *     dusk_xcheck(), and a library call that reports out of memory with NULL
 *     is followed by dusk_xoom(): a failed put must never be ignored, since
 *     a daemon whose maps or queues silently miss an entry goes on with a
 *     state that is wrong (a task nobody will ever hear about).  The nanny
 *     restarts the worker; the scheduler re-runs that worker's tasks.
 *   - A library (proto/, df/, client/) never aborts and never prints: it
 *     returns DUSK_ENOMEM (or NULL where its header says so) and leaves its
 *     state as it was, so the program embedding it decides.  libdusk runs
 *     inside other people's programs; it must not kill them.
 *   - Where a daemon runs library code for a client - a dataframe op on the
 *     work thread, the sampling of a query's files - the library's
 *     DUSK_ENOMEM is that task's failure and reaches the client with its key
 *     like any other error of the library; the daemon's own state is not
 *     involved.
 *
 * Only the daemons link this module (the dusk_xalloc library), so a library
 * that calls it fails to link.  All functions are thread-safe: the log line
 * is formatted on the stack and written with one write(2). */
#ifndef DUSK_XALLOC_H
#define DUSK_XALLOC_H

#include <stddef.h>

/* malloc/calloc/realloc that never return NULL: on failure they log
 * "out of memory allocating N bytes" and abort.  A size of 0 allocates one
 * byte, so the result is always a unique pointer to free().  dusk_xcalloc
 * also aborts when n * size overflows. */
void *dusk_xmalloc(size_t n);
void *dusk_xcalloc(size_t n, size_t size);
void *dusk_xrealloc(void *p, size_t n);
/* Copies of a string, and of n bytes plus a terminating NUL. */
char *dusk_xstrdup(const char *s);
char *dusk_xmemdup(const void *p, size_t n);

/* Returns rc unchanged, except that DUSK_ENOMEM logs "out of memory at
 * FILE:LINE" and aborts: for a library call whose other failures the daemon
 * handles itself, e.g. dusk_xcheck(dusk_idmap_put(&m, id, v)). */
#define dusk_xcheck(rc) dusk__xcheck((rc), __FILE__, __LINE__)
/* Logs "out of memory at FILE:LINE" and aborts: for a library call that
 * reported out of memory by returning NULL. */
#define dusk_xoom() dusk__xoom(__FILE__, __LINE__)

int dusk__xcheck(int rc, const char *file, int line);
_Noreturn void dusk__xoom(const char *file, int line);

#endif
