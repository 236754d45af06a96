/* errors.h - dusk error codes and the bounded human-readable error.
 *
 * The codes, dusk_error and dusk_strerror are public (dusk_errors.h, see
 * the contract there); this header adds what dusk's own code uses to fill
 * a dusk_error. */
#ifndef DUSK_ERRORS_H
#define DUSK_ERRORS_H

#include "dusk_errors.h" /* the public part: codes, dusk_error, dusk_strerror */

#include <stdarg.h>
#include <stddef.h>

/* Fills err (if not NULL) with code and a formatted message, truncated to
 * DUSK_ERROR_MESSAGE_MAX - 1 bytes.  Returns code, so callers can write
 * `return dusk_error_set(err, DUSK_ETYPE, "...")`. */
int dusk_error_set(dusk_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int dusk_error_setv(dusk_error *err, int code, const char *fmt, va_list ap);

/* Clears err (if not NULL) to code 0 and an empty message. */
void dusk_error_clear(dusk_error *err);

/* Copies printable ASCII of bytes[0..len) into out (size outlen, NUL
 * terminated), replacing others with '.', for logging untrusted samples. */
void dusk_sanitize(char *out, size_t outlen, const void *bytes, size_t len);

#endif
