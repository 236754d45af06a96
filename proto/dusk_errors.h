/* dusk_errors.h - public: dusk's error codes, the bounded error report and
 * dusk_strerror.  Installed with dusk.h (which includes it); proto/errors.h
 * adds the internal helpers that fill a dusk_error.
 *
 * Contract: functions return 0 or a negative code.  libuv's codes (UV_E*,
 * negated errno values) pass through unchanged; dusk's own codes start at
 * -10000 so the two never collide.  Where a person needs a sentence, the last
 * parameter is an optional dusk_error * that receives one bounded message
 * naming the file, offset, column, key or peer involved.  Needs only the C
 * standard library. */
#ifndef DUSK_ERRORS_PUBLIC_H
#define DUSK_ERRORS_PUBLIC_H

#ifdef __cplusplus
extern "C" {
#endif

#define DUSK_ERRNO_MAP(XX)                                                   \
  XX(ENOMEM, -10000, "out of memory")                                        \
  XX(EPROTO, -10001, "protocol error")                                       \
  XX(EMAGIC, -10002, "bad frame magic")                                      \
  XX(EVERSION, -10003, "unsupported protocol version")                       \
  XX(ETOOBIG, -10004, "frame or value larger than the configured limit")     \
  XX(ETRUNC, -10005, "truncated value")                                      \
  XX(ETYPE, -10006, "wrong type in a message field")                         \
  XX(EUNKNOWN, -10007, "unknown message type")                               \
  XX(ETRAILING, -10008, "trailing bytes after a message")                    \
  XX(EDEPTH, -10009, "value nested too deeply")                              \
  XX(EAUTH, -10010, "authentication failed")                                 \
  XX(ECONFIG, -10011, "invalid configuration")                               \
  XX(ETASK, -10012, "task failed")                                           \
  XX(ECANCELED, -10013, "canceled")                                          \
  XX(ENOTFOUND, -10014, "not found")                                         \
  XX(ETIMEDOUT, -10015, "timed out")                                         \
  XX(EGRAPH, -10016, "invalid task graph")                                   \
  XX(ECLOSED, -10017, "connection closed")                                   \
  XX(EINVAL, -10018, "invalid argument")                                     \
  XX(ESPAWN, -10019, "could not start a process")                            \
  XX(EDUP, -10020, "duplicate key")                                          \
  XX(EPARSE, -10021, "malformed input")                                      \
  XX(EWIDEN, -10022, "a value does not fit its column's type")             \
  XX(EINTR, -10023, "interrupted")

enum {
#define XX(name, code, text) DUSK_##name = (code),
  DUSK_ERRNO_MAP(XX)
#undef XX
};

#define DUSK_ERROR_MESSAGE_MAX 512

/* A bounded error report: code plus one sentence for a person. */
typedef struct dusk_error {
  int code;
  char message[DUSK_ERROR_MESSAGE_MAX];
} dusk_error;

#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* Names a code: dusk's own, libuv's (through strerror of the errno) or
 * "unknown error".  The returned string is static. */
const char *dusk_strerror(int code);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
