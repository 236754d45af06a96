/* check_wire.c - the frame header codec and the incremental frame decoder.
 *
 * Every decode runs on an exact-size heap copy of its input, so a read past
 * the bytes the decoder was given shows up under AddressSanitizer. */
#include "wire.h"
#include "testutil.h"
#include "msg.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one decode call produced; body_off locates the body in the input. */
typedef struct decoded {
  ssize_t rc;
  uint8_t type;
  uint8_t version;
  size_t body_off;
  size_t body_len;
  dusk_error err;
} decoded;

/* handshake: through dusk_wire_decode_handshake, else dusk_wire_decode. */
static decoded decode_mode(const char *bytes, size_t len, uint32_t max_body,
                           int handshake) {
  decoded d;
  dusk_wire_frame f;
  char *copy = malloc(len ? len : 1);

  ck_assert_ptr_nonnull(copy);
  if (len > 0)
    memcpy(copy, bytes, len);
  memset(&d, 0, sizeof d);
  memset(&f, 0, sizeof f);
  dusk_error_clear(&d.err);
  d.rc = handshake ? dusk_wire_decode_handshake(copy, len, max_body, &f,
                                                &d.err)
                   : dusk_wire_decode(copy, len, max_body, &f, &d.err);
  if (d.rc > 0) {
    /* As integers: GCC's -Wuse-after-free cannot tell that pointer
     * arithmetic done before the free below does not use the memory. */
    uintptr_t base = (uintptr_t)copy, body = (uintptr_t)f.body.ptr;
    d.type = f.type;
    d.version = f.version;
    ck_assert(body >= base && body <= base + len);
    d.body_off = (size_t)(body - base);
    d.body_len = f.body.len;
  }
  free(copy);
  return d;
}

static decoded decode_exact(const char *bytes, size_t len, uint32_t max_body) {
  return decode_mode(bytes, len, max_body, 0);
}

/* Writes header + body into dst (which must have room) and returns the
 * frame's size. */
static size_t make_frame(char *dst, uint8_t type, const char *body,
                         uint32_t len) {
  dusk_wire_header_encode(dst, type, len);
  if (len > 0)
    memcpy(dst + DUSK_WIRE_HEADER_SIZE, body, len);
  return DUSK_WIRE_HEADER_SIZE + (size_t)len;
}

static void fill_pattern(char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (char)((i * 131u + seed * 7u) & 0xff);
}

static const uint8_t valid_types[] = {
#define XX(name, code, field) (code),
    DUSK_MSG_TYPE_MAP(XX)
#undef XX
};
#define NVALID (sizeof valid_types / sizeof valid_types[0])

static int type_in_map(unsigned t) {
  for (size_t i = 0; i < NVALID; i++)
    if (valid_types[i] == t)
      return 1;
  return 0;
}

/* ---- round trips --------------------------------------------------------- */

START_TEST(test_header_roundtrip) {
  static const uint32_t lens[] = {
      0,     1,     127,        128,        255,        256,
      65535, 65536, 0x01020304, 0x7fffffff, 0x80000000, UINT32_MAX};
  for (size_t t = 0; t < NVALID; t++) {
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
      char hdr[DUSK_WIRE_HEADER_SIZE];
      const unsigned char *u = (const unsigned char *)hdr;
      uint32_t len = lens[i];
      decoded d;

      dusk_wire_header_encode(hdr, valid_types[t], len);
      ck_assert_int_eq(hdr[0], 'D');
      ck_assert_int_eq(hdr[1], 'K');
      ck_assert_uint_eq(u[2], DUSK_PROTO_VERSION);
      ck_assert_uint_eq(u[3], valid_types[t]);
      ck_assert_uint_eq(u[4], (len >> 24) & 0xff);
      ck_assert_uint_eq(u[5], (len >> 16) & 0xff);
      ck_assert_uint_eq(u[6], (len >> 8) & 0xff);
      ck_assert_uint_eq(u[7], len & 0xff);

      /* The header alone: a whole frame when the body is empty, otherwise
       * "need more" under a limit that admits it. */
      d = decode_exact(hdr, sizeof hdr, UINT32_MAX);
      if (len == 0) {
        ck_assert_int_eq(d.rc, DUSK_WIRE_HEADER_SIZE);
        ck_assert_uint_eq(d.type, valid_types[t]);
        ck_assert_uint_eq(d.body_off, DUSK_WIRE_HEADER_SIZE);
        ck_assert_uint_eq(d.body_len, 0);
      } else {
        ck_assert_int_eq(d.rc, 0);
        /* One byte under the declared length is refused at once. */
        d = decode_exact(hdr, sizeof hdr, len - 1);
        ck_assert_int_eq(d.rc, DUSK_ETOOBIG);
        ck_assert_int_eq(d.err.code, DUSK_ETOOBIG);
      }
    }
  }
}
END_TEST

START_TEST(test_frame_roundtrip_with_body) {
  char body[300], frame[DUSK_WIRE_HEADER_SIZE + sizeof body];
  decoded d;
  size_t n;

  fill_pattern(body, sizeof body, 1);
  n = make_frame(frame, DUSK_MSG_COMPUTE, body, sizeof body);
  ck_assert_uint_eq(n, sizeof frame);
  d = decode_exact(frame, n, DUSK_WIRE_DEFAULT_MAX_BODY);
  ck_assert_int_eq(d.rc, (ssize_t)n);
  ck_assert_uint_eq(d.type, DUSK_MSG_COMPUTE);
  ck_assert_uint_eq(d.body_off, DUSK_WIRE_HEADER_SIZE);
  ck_assert_uint_eq(d.body_len, sizeof body);
}
END_TEST

/* ---- split input --------------------------------------------------------- */

/* Every proper prefix of a frame is "need more"; the whole frame decodes. */
static void check_every_split(const char *frame, size_t n, uint8_t type,
                              const char *body, size_t body_len) {
  for (size_t k = 0; k < n; k++) {
    decoded d = decode_exact(frame, k, DUSK_WIRE_DEFAULT_MAX_BODY);
    ck_assert_msg(d.rc == 0, "prefix of %zu/%zu bytes: rc %zd (%s)", k, n, d.rc,
                  d.err.message);
  }
  decoded d = decode_exact(frame, n, DUSK_WIRE_DEFAULT_MAX_BODY);
  ck_assert_int_eq(d.rc, (ssize_t)n);
  ck_assert_uint_eq(d.type, type);
  ck_assert_uint_eq(d.body_off, DUSK_WIRE_HEADER_SIZE);
  ck_assert_uint_eq(d.body_len, body_len);
  if (body_len > 0)
    ck_assert_mem_eq(frame + d.body_off, body, body_len);
}

START_TEST(test_split_every_byte) {
  char body[300], frame[DUSK_WIRE_HEADER_SIZE + sizeof body];
  size_t n;

  fill_pattern(body, sizeof body, 2);
  n = make_frame(frame, DUSK_MSG_DATA, body, sizeof body);
  check_every_split(frame, n, DUSK_MSG_DATA, body, sizeof body);

  /* An empty body: the header is the whole frame. */
  n = make_frame(frame, DUSK_MSG_AUTH_OK, NULL, 0);
  check_every_split(frame, n, DUSK_MSG_AUTH_OK, NULL, 0);

  /* A one-byte body. */
  n = make_frame(frame, DUSK_MSG_HEARTBEAT_ACK, "\x91", 1);
  check_every_split(frame, n, DUSK_MSG_HEARTBEAT_ACK, "\x91", 1);
}
END_TEST

START_TEST(test_split_two_chunks) {
  /* The way a connection sees it: the first k bytes, then the rest appended
   * to the same buffer.  The frame is followed by the start of another one,
   * which must not be consumed. */
  char body[100], stream[2 * DUSK_WIRE_HEADER_SIZE + sizeof body];
  size_t n;

  fill_pattern(body, sizeof body, 3);
  n = make_frame(stream, DUSK_MSG_TASK_DONE, body, sizeof body);
  dusk_wire_header_encode(stream + n, DUSK_MSG_GET_DATA, 9);
  for (size_t k = 0; k <= n; k++) {
    dusk_buf b;
    dusk_wire_frame f;
    dusk_error err;
    ssize_t rc;

    dusk_buf_init(&b);
    ck_assert_int_eq(dusk_buf_append(&b, stream, k), 0);
    rc = dusk_wire_decode(b.data, b.len, 1024, &f, &err);
    ck_assert_int_eq(rc, k == n ? (ssize_t)n : 0);
    ck_assert_int_eq(dusk_buf_append(&b, stream + k, sizeof stream - k), 0);
    rc = dusk_wire_decode(b.data, b.len, 1024, &f, &err);
    ck_assert_int_eq(rc, (ssize_t)n);
    ck_assert_uint_eq(f.type, DUSK_MSG_TASK_DONE);
    ck_assert_ptr_eq(f.body.ptr, b.data + DUSK_WIRE_HEADER_SIZE);
    ck_assert_uint_eq(f.body.len, sizeof body);
    ck_assert_mem_eq(f.body.ptr, body, sizeof body);
    /* The second frame's header alone: need more. */
    dusk_buf_consume(&b, (size_t)rc);
    ck_assert_int_eq(dusk_wire_decode(b.data, b.len, 1024, &f, &err), 0);
    dusk_buf_destroy(&b);
  }
}
END_TEST

/* ---- several frames ------------------------------------------------------ */

typedef struct spec {
  uint8_t type;
  uint32_t len;
} spec;

static const spec stream_specs[] = {
    {DUSK_MSG_HELLO, 40}, {DUSK_MSG_AUTH_OK, 0}, {DUSK_MSG_DATA, 1000},
    {DUSK_MSG_ERROR, 1},  {DUSK_MSG_AUTH_OK, 0}, {DUSK_MSG_HEARTBEAT, 300},
    {DUSK_MSG_INFO, 7},
};
#define NSPECS (sizeof stream_specs / sizeof stream_specs[0])

/* Builds the stream; bodies[i] points into the stream. */
static size_t build_stream(char *dst, size_t cap, const char *bodies[NSPECS]) {
  size_t off = 0;
  for (size_t i = 0; i < NSPECS; i++) {
    char body[1024];
    ck_assert_uint_le(stream_specs[i].len, sizeof body);
    ck_assert_uint_le(off + DUSK_WIRE_HEADER_SIZE + stream_specs[i].len, cap);
    fill_pattern(body, stream_specs[i].len, (unsigned)i + 10);
    off +=
        make_frame(dst + off, stream_specs[i].type, body, stream_specs[i].len);
    bodies[i] = dst + off - stream_specs[i].len;
  }
  return off;
}

START_TEST(test_back_to_back) {
  char stream[4096];
  const char *bodies[NSPECS];
  size_t total = build_stream(stream, sizeof stream, bodies), off = 0;
  char *copy = malloc(total);

  ck_assert_ptr_nonnull(copy);
  memcpy(copy, stream, total);
  for (size_t i = 0; i < NSPECS; i++) {
    dusk_wire_frame f;
    dusk_error err;
    ssize_t rc = dusk_wire_decode(copy + off, total - off, 4096, &f, &err);
    ck_assert_int_eq(rc, DUSK_WIRE_HEADER_SIZE + stream_specs[i].len);
    ck_assert_uint_eq(f.type, stream_specs[i].type);
    ck_assert_ptr_eq(f.body.ptr, copy + off + DUSK_WIRE_HEADER_SIZE);
    ck_assert_uint_eq(f.body.len, stream_specs[i].len);
    if (f.body.len > 0)
      ck_assert_mem_eq(f.body.ptr, bodies[i], f.body.len);
    off += (size_t)rc;
  }
  ck_assert_uint_eq(off, total);
  free(copy);
}
END_TEST

START_TEST(test_back_to_back_every_chunk_size) {
  /* Feeds the stream in chunks of every size from 1 to the whole stream,
   * decoding every complete frame after each chunk, as a connection does. */
  char stream[4096];
  const char *bodies[NSPECS];
  size_t total = build_stream(stream, sizeof stream, bodies);

  for (size_t chunk = 1; chunk <= total; chunk++) {
    dusk_buf b;
    size_t fed = 0, seen = 0;

    dusk_buf_init(&b);
    while (fed < total) {
      size_t k = total - fed < chunk ? total - fed : chunk;
      ck_assert_int_eq(dusk_buf_append(&b, stream + fed, k), 0);
      fed += k;
      for (;;) {
        dusk_wire_frame f;
        dusk_error err;
        ssize_t rc = dusk_wire_decode(b.data, b.len, 4096, &f, &err);
        ck_assert_msg(rc >= 0, "chunk %zu: %s", chunk, err.message);
        if (rc == 0)
          break;
        ck_assert_uint_lt(seen, NSPECS);
        ck_assert_uint_eq(f.type, stream_specs[seen].type);
        ck_assert_uint_eq(f.body.len, stream_specs[seen].len);
        if (f.body.len > 0)
          ck_assert_mem_eq(f.body.ptr, bodies[seen], f.body.len);
        seen++;
        dusk_buf_consume(&b, (size_t)rc);
      }
    }
    ck_assert_uint_eq(seen, NSPECS);
    ck_assert_uint_eq(b.len, 0);
    dusk_buf_destroy(&b);
  }
}
END_TEST

/* ---- malformed headers: one case per kind -------------------------------- */

START_TEST(test_bad_magic_first_byte) {
  static const char firsts[] = {'X', 'K', 'd', '\0', '\xff'};
  for (size_t i = 0; i < sizeof firsts; i++) {
    char hdr[DUSK_WIRE_HEADER_SIZE];
    dusk_wire_frame f;
    decoded d;

    dusk_wire_header_encode(hdr, DUSK_MSG_HELLO, 0);
    hdr[0] = firsts[i];
    /* Refused as soon as the first byte arrives, and with the whole header. */
    d = decode_exact(hdr, 1, DUSK_WIRE_DEFAULT_MAX_BODY);
    ck_assert_int_eq(d.rc, DUSK_EMAGIC);
    ck_assert_int_eq(d.err.code, DUSK_EMAGIC);
    ck_assert_ptr_nonnull(strstr(d.err.message, "magic"));
    d = decode_exact(hdr, sizeof hdr, DUSK_WIRE_DEFAULT_MAX_BODY);
    ck_assert_int_eq(d.rc, DUSK_EMAGIC);
    /* err is optional. */
    ck_assert_int_eq(dusk_wire_decode(hdr, sizeof hdr,
                                       DUSK_WIRE_DEFAULT_MAX_BODY, &f, NULL),
                     DUSK_EMAGIC);
  }
}
END_TEST

START_TEST(test_bad_magic_second_byte) {
  static const char seconds[] = {'X', 'D', 'k', '\0', '\xff'};
  for (size_t i = 0; i < sizeof seconds; i++) {
    char hdr[DUSK_WIRE_HEADER_SIZE];
    decoded d;

    dusk_wire_header_encode(hdr, DUSK_MSG_HELLO, 0);
    hdr[1] = seconds[i];
    d = decode_exact(hdr, 1, DUSK_WIRE_DEFAULT_MAX_BODY);
    ck_assert_int_eq(d.rc, 0);
    d = decode_exact(hdr, 2, DUSK_WIRE_DEFAULT_MAX_BODY);
    ck_assert_int_eq(d.rc, DUSK_EMAGIC);
    ck_assert_int_eq(d.err.code, DUSK_EMAGIC);
    ck_assert_ptr_nonnull(strstr(d.err.message, "magic"));
    d = decode_exact(hdr, sizeof hdr, DUSK_WIRE_DEFAULT_MAX_BODY);
    ck_assert_int_eq(d.rc, DUSK_EMAGIC);
  }
}
END_TEST

START_TEST(test_wrong_version) {
  static const unsigned char versions[] = {0, DUSK_PROTO_VERSION + 1, 0x7f,
                                           0xff};
  for (size_t i = 0; i < sizeof versions; i++) {
    char hdr[DUSK_WIRE_HEADER_SIZE];
    decoded d;

    dusk_wire_header_encode(hdr, DUSK_MSG_HELLO, 0);
    hdr[2] = (char)versions[i];
    d = decode_exact(hdr, 2, DUSK_WIRE_DEFAULT_MAX_BODY);
    ck_assert_int_eq(d.rc, 0);
    d = decode_exact(hdr, 3, DUSK_WIRE_DEFAULT_MAX_BODY);
    ck_assert_int_eq(d.rc, DUSK_EVERSION);
    ck_assert_int_eq(d.err.code, DUSK_EVERSION);
    ck_assert_ptr_nonnull(strstr(d.err.message, "version"));
    d = decode_exact(hdr, sizeof hdr, DUSK_WIRE_DEFAULT_MAX_BODY);
    ck_assert_int_eq(d.rc, DUSK_EVERSION);
  }
}
END_TEST

/* In a handshake, HELLO, AUTH and ERROR of any version decode (so a peer
 * of another version can be told so), split at every point; the version
 * comes out with the frame. */
START_TEST(test_handshake_frozen_types_any_version) {
  static const unsigned char versions[] = {0, 1, DUSK_PROTO_VERSION,
                                           DUSK_PROTO_VERSION + 1, 0x7f, 0xff};
  static const uint8_t frozen[] = {DUSK_MSG_HELLO, DUSK_MSG_AUTH,
                                   DUSK_MSG_ERROR};
  for (size_t v = 0; v < sizeof versions; v++) {
    for (size_t t = 0; t < sizeof frozen; t++) {
      char frame[DUSK_WIRE_HEADER_SIZE + 5];
      size_t len = make_frame(frame, frozen[t], "\x93\x01\x02\xc0\x00", 5);
      decoded d;
      frame[2] = (char)versions[v];
      ck_assert(dusk_msg_type_frozen(frozen[t]));
      for (size_t cut = 0; cut < len; cut++) {
        d = decode_mode(frame, cut, DUSK_WIRE_DEFAULT_MAX_BODY, 1);
        ck_assert_int_eq(d.rc, 0);
      }
      d = decode_mode(frame, len, DUSK_WIRE_DEFAULT_MAX_BODY, 1);
      ck_assert_int_eq(d.rc, (ssize_t)len);
      ck_assert_uint_eq(d.type, frozen[t]);
      ck_assert_uint_eq(d.version, versions[v]);
      ck_assert_uint_eq(d.body_off, DUSK_WIRE_HEADER_SIZE);
      ck_assert_uint_eq(d.body_len, 5);
      /* Outside the handshake only our own version passes. */
      d = decode_exact(frame, len, DUSK_WIRE_DEFAULT_MAX_BODY);
      ck_assert_int_eq(d.rc, versions[v] == DUSK_PROTO_VERSION
                                 ? (ssize_t)len
                                 : (ssize_t)DUSK_EVERSION);
    }
  }
}
END_TEST

/* Every other type of another version is refused in a handshake too, as
 * soon as its type byte arrives. */
START_TEST(test_handshake_other_types_keep_version) {
  for (size_t t = 0; t < sizeof valid_types; t++) {
    char hdr[DUSK_WIRE_HEADER_SIZE];
    decoded d;
    if (dusk_msg_type_frozen(valid_types[t]))
      continue;
    dusk_wire_header_encode(hdr, valid_types[t], 0);
    d = decode_mode(hdr, sizeof hdr, DUSK_WIRE_DEFAULT_MAX_BODY, 1);
    ck_assert_int_eq(d.rc, (ssize_t)sizeof hdr);
    ck_assert_uint_eq(d.version, DUSK_PROTO_VERSION);
    hdr[2] = (char)(DUSK_PROTO_VERSION + 1);
    d = decode_mode(hdr, 3, DUSK_WIRE_DEFAULT_MAX_BODY, 1);
    ck_assert_int_eq(d.rc, 0); /* the type decides: not known yet */
    d = decode_mode(hdr, 4, DUSK_WIRE_DEFAULT_MAX_BODY, 1);
    ck_assert_int_eq(d.rc, DUSK_EVERSION);
    ck_assert_ptr_nonnull(strstr(d.err.message, "version"));
  }
}
END_TEST

START_TEST(test_unknown_type) {
  size_t nvalid = 0;
  for (unsigned t = 0; t < 256; t++) {
    char hdr[DUSK_WIRE_HEADER_SIZE];
    decoded d;

    ck_assert_int_eq(dusk_msg_type_valid(t), type_in_map(t));
    dusk_wire_header_encode(hdr, (uint8_t)t, 0);
    d = decode_exact(hdr, 3, DUSK_WIRE_DEFAULT_MAX_BODY);
    ck_assert_int_eq(d.rc, 0);
    d = decode_exact(hdr, 4, DUSK_WIRE_DEFAULT_MAX_BODY);
    if (type_in_map(t)) {
      nvalid++;
      ck_assert_int_eq(d.rc, 0);
      d = decode_exact(hdr, sizeof hdr, DUSK_WIRE_DEFAULT_MAX_BODY);
      ck_assert_int_eq(d.rc, DUSK_WIRE_HEADER_SIZE);
      ck_assert_uint_eq(d.type, t);
    } else {
      /* Refused as soon as the type byte arrives. */
      ck_assert_msg(d.rc == DUSK_EUNKNOWN, "type %u: rc %zd", t, d.rc);
      ck_assert_int_eq(d.err.code, DUSK_EUNKNOWN);
      d = decode_exact(hdr, sizeof hdr, DUSK_WIRE_DEFAULT_MAX_BODY);
      ck_assert_int_eq(d.rc, DUSK_EUNKNOWN);
    }
  }
  ck_assert_uint_eq(nvalid, NVALID);
}
END_TEST

START_TEST(test_oversize_body) {
  /* Refused from the 8 header bytes, before any of the body arrives. */
  static const struct {
    uint32_t max, declared;
  } cases[] = {
      {1024, 1025},
      {0, 1},
      {DUSK_WIRE_DEFAULT_MAX_BODY, DUSK_WIRE_DEFAULT_MAX_BODY + 1},
      {DUSK_WIRE_DEFAULT_MAX_BODY, UINT32_MAX},
      {UINT32_MAX - 1, UINT32_MAX},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char hdr[DUSK_WIRE_HEADER_SIZE + 4];
    char want[64];
    decoded d;

    dusk_wire_header_encode(hdr, DUSK_MSG_DATA, cases[i].declared);
    memset(hdr + DUSK_WIRE_HEADER_SIZE, 0, 4);
    for (size_t k = 0; k < DUSK_WIRE_HEADER_SIZE; k++)
      ck_assert_int_eq(decode_exact(hdr, k, cases[i].max).rc, 0);
    d = decode_exact(hdr, DUSK_WIRE_HEADER_SIZE, cases[i].max);
    ck_assert_int_eq(d.rc, DUSK_ETOOBIG);
    ck_assert_int_eq(d.err.code, DUSK_ETOOBIG);
    snprintf(want, sizeof want, "%u", cases[i].declared);
    ck_assert_ptr_nonnull(strstr(d.err.message, want));
    /* Still refused with some of the body present. */
    d = decode_exact(hdr, sizeof hdr, cases[i].max);
    ck_assert_int_eq(d.rc, DUSK_ETOOBIG);
  }
}
END_TEST

START_TEST(test_exact_limit_body) {
  char body[1024], frame[DUSK_WIRE_HEADER_SIZE + sizeof body];
  size_t n;
  decoded d;

  fill_pattern(body, sizeof body, 4);
  n = make_frame(frame, DUSK_MSG_DATA, body, sizeof body);
  d = decode_exact(frame, DUSK_WIRE_HEADER_SIZE, sizeof body);
  ck_assert_int_eq(d.rc, 0);
  d = decode_exact(frame, n - 1, sizeof body);
  ck_assert_int_eq(d.rc, 0);
  d = decode_exact(frame, n, sizeof body);
  ck_assert_int_eq(d.rc, (ssize_t)n);
  ck_assert_uint_eq(d.body_len, sizeof body);

  /* A zero limit still admits an empty body. */
  n = make_frame(frame, DUSK_MSG_AUTH_OK, NULL, 0);
  d = decode_exact(frame, n, 0);
  ck_assert_int_eq(d.rc, DUSK_WIRE_HEADER_SIZE);

  /* The default limit itself is "need more", not refused. */
  dusk_wire_header_encode(frame, DUSK_MSG_DATA, DUSK_WIRE_DEFAULT_MAX_BODY);
  d = decode_exact(frame, DUSK_WIRE_HEADER_SIZE, DUSK_WIRE_DEFAULT_MAX_BODY);
  ck_assert_int_eq(d.rc, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("frame");
  TCase *tc;

  tc = tcase_create("roundtrip");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_header_roundtrip);
  tcase_add_test(tc, test_frame_roundtrip_with_body);
  tcase_add_test(tc, test_split_every_byte);
  tcase_add_test(tc, test_split_two_chunks);
  tcase_add_test(tc, test_back_to_back);
  tcase_add_test(tc, test_back_to_back_every_chunk_size);
  suite_add_tcase(s, tc);

  tc = tcase_create("malformed");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_bad_magic_first_byte);
  tcase_add_test(tc, test_bad_magic_second_byte);
  tcase_add_test(tc, test_wrong_version);
  tcase_add_test(tc, test_handshake_frozen_types_any_version);
  tcase_add_test(tc, test_handshake_other_types_keep_version);
  tcase_add_test(tc, test_unknown_type);
  tcase_add_test(tc, test_oversize_body);
  tcase_add_test(tc, test_exact_limit_body);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
