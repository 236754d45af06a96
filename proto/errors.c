/* errors.c - code names and the bounded error message. */
#include "errors.h"

#include <stdio.h>
#include <string.h>

const char *dusk_strerror(int code) {
  switch (code) {
#define XX(name, c, text)                                                    \
  case c:                                                                    \
    return text;
    DUSK_ERRNO_MAP(XX)
#undef XX
  case 0:
    return "success";
  default:
    break;
  }
  /* libuv's codes are negated errno values on Unix. */
  if (code < 0 && code > -4096)
    return strerror(-code);
  return "unknown error";
}

int dusk_error_setv(dusk_error *err, int code, const char *fmt, va_list ap) {
  if (err != NULL) {
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
  }
  return code;
}

int dusk_error_set(dusk_error *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  dusk_error_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

void dusk_error_clear(dusk_error *err) {
  if (err != NULL) {
    err->code = 0;
    err->message[0] = '\0';
  }
}

void dusk_sanitize(char *out, size_t outlen, const void *bytes, size_t len) {
  const unsigned char *p = bytes;
  size_t i;
  if (outlen == 0)
    return;
  for (i = 0; i < len && i + 1 < outlen; i++)
    out[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '.';
  out[i] = '\0';
}
