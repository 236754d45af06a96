/* msgcheck.h - walk a msgpack value's headers before msgpack-c unpacks it.
 *
 * msgpack-c trusts declared sizes: a 5-byte body that claims a 2^28-element
 * array makes msgpack_unpack reserve gigabytes.  dusk_msgcheck walks the
 * value without allocating and refuses, with a reason:
 *   - an array, map, str, bin or ext whose declared size cannot fit in the
 *     bytes left (every element takes at least one byte);
 *   - nesting deeper than max_depth;
 *   - more than max_items values in total;
 *   - a truncated value or the reserved byte 0xc1.
 * Only proto/ includes <msgpack.h>. */
#ifndef DUSK_MSGCHECK_H
#define DUSK_MSGCHECK_H

#include "errors.h"

#include <stddef.h>

#define DUSK_MSGCHECK_MAX_DEPTH_LIMIT 64

typedef struct dusk_msgcheck_limits {
  size_t max_depth; /* <= DUSK_MSGCHECK_MAX_DEPTH_LIMIT */
  size_t max_items; /* values of any kind, containers included */
} dusk_msgcheck_limits;

/* Checks the one msgpack value at buf[0..len).  Returns 0 and sets *consumed
 * to its encoded size, or a negative code (DUSK_ETRUNC, DUSK_ETOOBIG,
 * DUSK_EDEPTH, DUSK_EPROTO) with err naming the byte offset. */
int dusk_msgcheck(const char *buf, size_t len, const dusk_msgcheck_limits *lim,
                  size_t *consumed, dusk_error *err);

#endif
