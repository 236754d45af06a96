/* check_msgcheck.c - the allocation-free walk over msgpack headers.
 *
 * Every check runs on an exact-size heap copy of its input, so a read past
 * the bytes the walker was given shows up under AddressSanitizer.  Valid
 * values are built with msgpack-c's packer or written byte by byte where a
 * particular encoding matters. */
#include "msgcheck.h"
#include "testutil.h"

#include <check.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DEPTH 16
#define DEFAULT_ITEMS (1u << 20)
#define UNTOUCHED ((size_t)0xdeadbeef)

typedef struct result {
  int rc;
  size_t consumed; /* UNTOUCHED unless the walker wrote it */
  dusk_error err;
} result;

static result check_lim(const void *bytes, size_t len, size_t max_depth,
                        size_t max_items) {
  dusk_msgcheck_limits lim = {max_depth, max_items};
  result r;
  char *copy = malloc(len ? len : 1);

  ck_assert_ptr_nonnull(copy);
  if (len > 0)
    memcpy(copy, bytes, len);
  r.consumed = UNTOUCHED;
  dusk_error_clear(&r.err);
  r.rc = dusk_msgcheck(copy, len, &lim, &r.consumed, &r.err);
  if (r.rc != 0)
    ck_assert_int_eq(r.err.code, r.rc);
  free(copy);
  return r;
}

static result check(const void *bytes, size_t len) {
  return check_lim(bytes, len, DEFAULT_DEPTH, DEFAULT_ITEMS);
}

/* A value is accepted whole, alone or followed by other bytes, and each of
 * its proper prefixes is refused.  A prefix of a scalar is ETRUNC; a prefix
 * that cuts a container short may instead leave a declared count larger
 * than the bytes left, which the walker refuses as ETOOBIG before looking at
 * the children. */
static void expect_valid(const void *bytes, size_t len, int scalar) {
  result r = check(bytes, len);
  char *more;

  ck_assert_msg(r.rc == 0, "valid value of %zu bytes refused: %s", len,
                r.err.message);
  ck_assert_uint_eq(r.consumed, len);

  more = malloc(len + 3);
  ck_assert_ptr_nonnull(more);
  memcpy(more, bytes, len);
  memcpy(more + len, "\xc0\xc1\x91", 3);
  r = check(more, len + 3);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_uint_eq(r.consumed, len);
  free(more);

  for (size_t k = 0; k < len; k++) {
    r = check(bytes, k);
    if (scalar)
      ck_assert_msg(r.rc == DUSK_ETRUNC, "prefix %zu/%zu: rc %d (%s)", k, len,
                    r.rc, r.err.message);
    else
      ck_assert_msg(r.rc == DUSK_ETRUNC || r.rc == DUSK_ETOOBIG,
                    "prefix %zu/%zu: rc %d (%s)", k, len, r.rc, r.err.message);
    ck_assert_uint_eq(r.consumed, UNTOUCHED);
  }
}

static void expect_refused(const void *bytes, size_t len, int code) {
  result r = check(bytes, len);
  ck_assert_msg(r.rc == code, "rc %d, want %d (%s)", r.rc, code, r.err.message);
  ck_assert_uint_eq(r.consumed, UNTOUCHED);
  ck_assert_ptr_nonnull(strstr(r.err.message, "byte"));
}

/* Declared sizes that cannot fit: ETOOBIG for a count of values, ETRUNC or
 * ETOOBIG for a byte length (either refuses before anything is reserved). */
static void expect_huge_refused(const void *bytes, size_t len) {
  result r = check(bytes, len);
  ck_assert_msg(r.rc == DUSK_ETRUNC || r.rc == DUSK_ETOOBIG, "rc %d (%s)", r.rc,
                r.err.message);
  ck_assert_uint_eq(r.consumed, UNTOUCHED);
}

typedef struct packed {
  msgpack_sbuffer sb;
  msgpack_packer pk;
} packed;

static void packed_init(packed *p) {
  msgpack_sbuffer_init(&p->sb);
  msgpack_packer_init(&p->pk, &p->sb, msgpack_sbuffer_write);
}

static void packed_destroy(packed *p) { msgpack_sbuffer_destroy(&p->sb); }

/* ---- valid values -------------------------------------------------------- */

static void pack_nested(msgpack_packer *pk) {
  static const char blob[3] = {0, 1, 2};
  msgpack_pack_map(pk, 3);
  msgpack_pack_str_with_body(pk, "a", 1);
  msgpack_pack_array(pk, 9);
  msgpack_pack_int(pk, 1);
  msgpack_pack_int(pk, -1);
  msgpack_pack_double(pk, 3.5);
  msgpack_pack_nil(pk);
  msgpack_pack_true(pk);
  msgpack_pack_false(pk);
  msgpack_pack_str_with_body(pk, "str", 3);
  msgpack_pack_bin_with_body(pk, blob, sizeof blob);
  msgpack_pack_ext_with_body(pk, blob, sizeof blob, 7);
  msgpack_pack_str_with_body(pk, "b", 1);
  msgpack_pack_map(pk, 1);
  msgpack_pack_str_with_body(pk, "c", 1);
  msgpack_pack_array(pk, 1);
  msgpack_pack_array(pk, 1);
  msgpack_pack_array(pk, 0);
  msgpack_pack_uint64(pk, UINT64_MAX);
  msgpack_pack_map(pk, 0);
}

START_TEST(test_valid_nested) {
  packed p;
  result r;

  packed_init(&p);
  pack_nested(&p.pk);
  expect_valid(p.sb.data, p.sb.size, 0);

  /* Two values back to back: only the first is consumed. */
  size_t first = p.sb.size;
  pack_nested(&p.pk);
  r = check(p.sb.data, p.sb.size);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_uint_eq(r.consumed, first);
  packed_destroy(&p);
}
END_TEST

START_TEST(test_valid_wide_containers) {
  /* array16, array32, map16, map32 headers with real elements. */
  packed p;
  packed_init(&p);
  msgpack_pack_array(&p.pk, 20); /* array16 */
  for (int i = 0; i < 20; i++)
    msgpack_pack_int(&p.pk, i);
  expect_valid(p.sb.data, p.sb.size, 0);
  packed_destroy(&p);

  packed_init(&p);
  msgpack_pack_map(&p.pk, 16); /* map16 */
  for (int i = 0; i < 16; i++) {
    msgpack_pack_int(&p.pk, i);
    msgpack_pack_array(&p.pk, 1);
    msgpack_pack_nil(&p.pk);
  }
  expect_valid(p.sb.data, p.sb.size, 0);
  packed_destroy(&p);

  static const unsigned char a32[] = {0xdd, 0, 0, 0, 2, 0x01, 0xc0};
  static const unsigned char m32[] = {0xdf, 0, 0, 0, 1, 0xa1, 'k', 0x90};
  static const unsigned char a16[] = {0xdc, 0, 3, 0x01, 0x02, 0x03};
  static const unsigned char m16[] = {0xde, 0, 1, 0x00, 0x80};
  static const unsigned char empty32[] = {0xdd, 0, 0, 0, 0};
  expect_valid(a32, sizeof a32, 0);
  expect_valid(m32, sizeof m32, 0);
  expect_valid(a16, sizeof a16, 0);
  expect_valid(m16, sizeof m16, 0);
  expect_valid(empty32, sizeof empty32, 0);
}
END_TEST

START_TEST(test_ints_every_width) {
  static const struct {
    unsigned char b[9];
    size_t n;
  } ints[] = {
      {{0x00}, 1},
      {{0x7f}, 1},
      {{0xe0}, 1}, /* -32 */
      {{0xff}, 1}, /* -1 */
      {{0xcc, 0xff}, 2},
      {{0xcd, 0xff, 0xff}, 3},
      {{0xce, 0xff, 0xff, 0xff, 0xff}, 5},
      {{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9},
      {{0xd0, 0x80}, 2},
      {{0xd1, 0x80, 0x00}, 3},
      {{0xd2, 0x80, 0x00, 0x00, 0x00}, 5},
      {{0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}, 9},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    expect_valid(ints[i].b, ints[i].n, 1);

  /* And what msgpack-c's packer writes for each width. */
  packed p;
  packed_init(&p);
  msgpack_pack_fix_uint8(&p.pk, 200);
  msgpack_pack_fix_uint16(&p.pk, 60000);
  msgpack_pack_fix_uint32(&p.pk, 4000000000u);
  msgpack_pack_fix_uint64(&p.pk, UINT64_MAX);
  msgpack_pack_fix_int8(&p.pk, -100);
  msgpack_pack_fix_int16(&p.pk, -30000);
  msgpack_pack_fix_int32(&p.pk, INT32_MIN);
  msgpack_pack_fix_int64(&p.pk, INT64_MIN);
  size_t off = 0;
  static const size_t sizes[] = {2, 3, 5, 9, 2, 3, 5, 9};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    expect_valid(p.sb.data + off, sizes[i], 1);
    off += sizes[i];
  }
  ck_assert_uint_eq(off, p.sb.size);
  packed_destroy(&p);
}
END_TEST

START_TEST(test_floats) {
  packed p;
  packed_init(&p);
  msgpack_pack_float(&p.pk, 1.5f);
  ck_assert_uint_eq(p.sb.size, 5);
  ck_assert_uint_eq((unsigned char)p.sb.data[0], 0xca);
  expect_valid(p.sb.data, p.sb.size, 1);
  packed_destroy(&p);

  packed_init(&p);
  msgpack_pack_double(&p.pk, -0.1);
  ck_assert_uint_eq(p.sb.size, 9);
  ck_assert_uint_eq((unsigned char)p.sb.data[0], 0xcb);
  expect_valid(p.sb.data, p.sb.size, 1);
  packed_destroy(&p);

  /* A float inside an array, next to other values. */
  static const unsigned char arr[] = {0x93, 0xca, 0x7f, 0xc0, 0, 0, 0xcb, 0xff,
                                      0xf0, 0,    0,    0,    0, 0, 0,    0x01};
  expect_valid(arr, sizeof arr, 0);
}
END_TEST

START_TEST(test_nil_bool_str_bin) {
  static const unsigned char one[][1] = {{0xc0}, {0xc2}, {0xc3}, {0xa0}};
  for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
    expect_valid(one[i], 1, 1);

  static const unsigned char fixstr[] = {0xa3, 'a', 'b', 'c'};
  static const unsigned char str8[] = {0xd9, 2, 'h', 'i'};
  static const unsigned char str16[] = {0xda, 0, 3, 'x', 'y', 'z'};
  static const unsigned char str32[] = {0xdb, 0, 0, 0, 1, '!'};
  static const unsigned char bin8[] = {0xc4, 2, 0xc1, 0xdd};
  static const unsigned char bin16[] = {0xc5, 0, 1, 0xff};
  static const unsigned char bin32[] = {0xc6, 0, 0, 0, 3, 0, 0, 0};
  static const unsigned char empty_bin[] = {0xc4, 0};
  expect_valid(fixstr, sizeof fixstr, 1);
  expect_valid(str8, sizeof str8, 1);
  expect_valid(str16, sizeof str16, 1);
  expect_valid(str32, sizeof str32, 1);
  expect_valid(bin8, sizeof bin8, 1);
  expect_valid(bin16, sizeof bin16, 1);
  expect_valid(bin32, sizeof bin32, 1);
  expect_valid(empty_bin, sizeof empty_bin, 1);

  /* A 31-byte fixstr and a 300-byte str16 from the packer. */
  char text[300];
  memset(text, 'q', sizeof text);
  packed p;
  packed_init(&p);
  msgpack_pack_str_with_body(&p.pk, text, 31);
  expect_valid(p.sb.data, p.sb.size, 1);
  packed_destroy(&p);
  packed_init(&p);
  msgpack_pack_str_with_body(&p.pk, text, sizeof text);
  expect_valid(p.sb.data, p.sb.size, 1);
  packed_destroy(&p);
}
END_TEST

START_TEST(test_ext_forms) {
  static const char data[20] = "0123456789abcdefghi";
  /* fixext 1, 2, 4, 8, 16 and ext 8 from the packer. */
  static const size_t fixed[] = {1, 2, 4, 8, 16, 3, 0};
  static const unsigned char first[] = {0xd4, 0xd5, 0xd6, 0xd7,
                                        0xd8, 0xc7, 0xc7};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    packed p;
    packed_init(&p);
    msgpack_pack_ext_with_body(&p.pk, data, fixed[i], (int8_t)((int)i - 3));
    ck_assert_uint_eq((unsigned char)p.sb.data[0], first[i]);
    expect_valid(p.sb.data, p.sb.size, 1);
    packed_destroy(&p);
  }

  /* ext 16 and ext 32 written by hand: header, length, type, data. */
  static const unsigned char ext16[] = {0xc8, 0, 2, 0x05, 'h', 'i'};
  static const unsigned char ext32[] = {0xc9, 0, 0, 0, 1, 0xff, 'z'};
  static const unsigned char ext32_empty[] = {0xc9, 0, 0, 0, 0, 0x01};
  expect_valid(ext16, sizeof ext16, 1);
  expect_valid(ext32, sizeof ext32, 1);
  expect_valid(ext32_empty, sizeof ext32_empty, 1);

  /* The packer's choice for a 300-byte ext is ext 16. */
  char big[300];
  memset(big, 'e', sizeof big);
  packed p;
  packed_init(&p);
  msgpack_pack_ext_with_body(&p.pk, big, sizeof big, 1);
  ck_assert_uint_eq((unsigned char)p.sb.data[0], 0xc8);
  expect_valid(p.sb.data, p.sb.size, 1);
  packed_destroy(&p);
}
END_TEST

START_TEST(test_every_prefix_refused) {
  /* expect_valid checks the prefixes; this walks them again over the
   * nested value and confirms the empty input and the header-only ones. */
  packed p;
  result r;

  packed_init(&p);
  pack_nested(&p.pk);
  for (size_t k = 0; k < p.sb.size; k++) {
    r = check(p.sb.data, k);
    ck_assert_msg(r.rc == DUSK_ETRUNC || r.rc == DUSK_ETOOBIG,
                  "prefix %zu: rc %d (%s)", k, r.rc, r.err.message);
  }
  packed_destroy(&p);

  r = check("", 0);
  ck_assert_int_eq(r.rc, DUSK_ETRUNC);

  static const unsigned char cut_len[][4] = {
      {0xcd, 0x01}, {0xdd, 0, 0}, {0xd9}, {0xc6, 0, 0, 0}, {0xc9, 0}};
  static const size_t cut_n[] = {2, 3, 1, 4, 2};
  for (size_t i = 0; i < sizeof cut_n / sizeof cut_n[0]; i++) {
    r = check(cut_len[i], cut_n[i]);
    ck_assert_msg(r.rc == DUSK_ETRUNC, "case %zu: rc %d (%s)", i, r.rc,
                  r.err.message);
  }
}
END_TEST

/* ---- declared sizes: one case per kind ----------------------------------- */

START_TEST(test_array32_huge) {
  static const unsigned char body[] = {0xdd, 0x10, 0x00, 0x00, 0x00};
  result r = check(body, sizeof body);
  ck_assert_int_eq(r.rc, DUSK_ETOOBIG);
  ck_assert_ptr_nonnull(strstr(r.err.message, "268435456"));
  expect_refused(body, sizeof body, DUSK_ETOOBIG);

  static const unsigned char max32[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x00};
  static const unsigned char a16[] = {0xdc, 0xff, 0xff, 0x00, 0x00};
  static const unsigned char fix[] = {0x9f, 0, 0, 0, 0, 0, 0, 0,
                                      0,    0, 0, 0, 0, 0, 0};
  expect_refused(max32, sizeof max32, DUSK_ETOOBIG);
  expect_refused(a16, sizeof a16, DUSK_ETOOBIG);
  expect_refused(fix, sizeof fix, DUSK_ETOOBIG); /* 15 declared, 14 there */
}
END_TEST

START_TEST(test_map32_huge) {
  static const unsigned char m32[] = {0xdf, 0x10, 0x00, 0x00, 0x00};
  static const unsigned char mmax[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 1, 2};
  static const unsigned char m16[] = {0xde, 0xff, 0xff, 1, 2, 3, 4};
  /* One pair declared, one byte left: a map's count is keys + values. */
  static const unsigned char fix[] = {0x81, 0x01};
  expect_refused(m32, sizeof m32, DUSK_ETOOBIG);
  expect_refused(mmax, sizeof mmax, DUSK_ETOOBIG);
  expect_refused(m16, sizeof m16, DUSK_ETOOBIG);
  expect_refused(fix, sizeof fix, DUSK_ETOOBIG);
}
END_TEST

START_TEST(test_str32_huge) {
  static const unsigned char s32[] = {0xdb, 0xff, 0xff, 0xff, 0xff, 'a', 'b'};
  static const unsigned char s32b[] = {0xdb, 0x10, 0x00, 0x00, 0x00};
  static const unsigned char s16[] = {0xda, 0xff, 0xff, 'a'};
  static const unsigned char s8[] = {0xd9, 0xff, 'a'};
  static const unsigned char nested[] = {0x92, 0x01, 0xdb, 0x7f, 0xff,
                                         0xff, 0xff, 0x00, 0x00};
  expect_huge_refused(s32, sizeof s32);
  expect_huge_refused(s32b, sizeof s32b);
  expect_huge_refused(s16, sizeof s16);
  expect_huge_refused(s8, sizeof s8);
  expect_huge_refused(nested, sizeof nested);
}
END_TEST

START_TEST(test_bin32_huge) {
  static const unsigned char b32[] = {0xc6, 0xff, 0xff, 0xff, 0xff, 0, 0};
  static const unsigned char b32b[] = {0xc6, 0x10, 0x00, 0x00, 0x00};
  static const unsigned char b16[] = {0xc5, 0xff, 0xff, 0};
  static const unsigned char nested[] = {0x81, 0xa1, 'k',  0xc6, 0x7f,
                                         0xff, 0xff, 0xff, 0x00};
  expect_huge_refused(b32, sizeof b32);
  expect_huge_refused(b32b, sizeof b32b);
  expect_huge_refused(b16, sizeof b16);
  expect_huge_refused(nested, sizeof nested);
}
END_TEST

START_TEST(test_ext32_huge) {
  static const unsigned char e32[] = {0xc9, 0xff, 0xff, 0xff, 0xff, 1, 0, 0};
  static const unsigned char e32b[] = {0xc9, 0x10, 0x00, 0x00, 0x00, 1};
  static const unsigned char e16[] = {0xc8, 0xff, 0xff, 1, 0};
  static const unsigned char e8[] = {0xc7, 0xff, 1, 0};
  /* The type byte counts: a zero-length ext 8 with no type byte. */
  static const unsigned char e8_notype[] = {0xc7, 0x00};
  expect_huge_refused(e32, sizeof e32);
  expect_huge_refused(e32b, sizeof e32b);
  expect_huge_refused(e16, sizeof e16);
  expect_huge_refused(e8, sizeof e8);
  expect_huge_refused(e8_notype, sizeof e8_notype);
}
END_TEST

/* ---- depth and item limits ----------------------------------------------- */

START_TEST(test_depth_10000_nested) {
  /* Far deeper than any recursion would survive comfortably; the walker
   * keeps an explicit stack and stops at max_depth. */
  enum { N = 10000 };
  unsigned char *deep = malloc(N + 1);
  result r;

  ck_assert_ptr_nonnull(deep);
  memset(deep, 0x91, N);
  deep[N] = 0x00;
  r = check(deep, N + 1);
  ck_assert_int_eq(r.rc, DUSK_EDEPTH);
  ck_assert_ptr_nonnull(strstr(r.err.message, "16"));
  r = check_lim(deep, N + 1, DUSK_MSGCHECK_MAX_DEPTH_LIMIT, DEFAULT_ITEMS);
  ck_assert_int_eq(r.rc, DUSK_EDEPTH);
  /* A limit above the hard limit is clamped to it. */
  r = check_lim(deep, N + 1, 1000000, DEFAULT_ITEMS);
  ck_assert_int_eq(r.rc, DUSK_EDEPTH);

  /* Nested maps: {nil: {nil: ...}}. */
  for (size_t i = 0; i + 1 < N; i += 2) {
    deep[i] = 0x81;
    deep[i + 1] = 0xc0;
  }
  deep[N] = 0x00;
  r = check(deep, N + 1);
  ck_assert_int_eq(r.rc, DUSK_EDEPTH);

  /* Nested array16 headers. */
  for (size_t i = 0; i + 3 <= N; i += 3) {
    deep[i] = 0xdc;
    deep[i + 1] = 0x00;
    deep[i + 2] = 0x01;
  }
  r = check(deep, N - N % 3);
  ck_assert_int_eq(r.rc, DUSK_EDEPTH);
  free(deep);
}
END_TEST

START_TEST(test_depth_at_limit) {
  unsigned char deep[DUSK_MSGCHECK_MAX_DEPTH_LIMIT + 2];
  result r;

  for (size_t depth = 0; depth <= DUSK_MSGCHECK_MAX_DEPTH_LIMIT; depth++) {
    memset(deep, 0x91, depth);
    deep[depth] = 0x2a;
    /* depth containers nest fine at max_depth = depth, not at depth - 1. */
    r = check_lim(deep, depth + 1, depth, DEFAULT_ITEMS);
    ck_assert_msg(r.rc == 0, "depth %zu: %s", depth, r.err.message);
    ck_assert_uint_eq(r.consumed, depth + 1);
    if (depth > 0) {
      r = check_lim(deep, depth + 1, depth - 1, DEFAULT_ITEMS);
      ck_assert_int_eq(r.rc, DUSK_EDEPTH);
    }
  }
  /* One past the hard limit is refused whatever the configured limit. */
  memset(deep, 0x91, DUSK_MSGCHECK_MAX_DEPTH_LIMIT + 1);
  deep[DUSK_MSGCHECK_MAX_DEPTH_LIMIT + 1] = 0x2a;
  r = check_lim(deep, sizeof deep, SIZE_MAX, DEFAULT_ITEMS);
  ck_assert_int_eq(r.rc, DUSK_EDEPTH);
  /* Siblings do not add up to depth. */
  static const unsigned char wide[] = {0x93, 0x91, 0x01, 0x91,
                                       0x02, 0x91, 0x03};
  r = check_lim(wide, sizeof wide, 2, DEFAULT_ITEMS);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_uint_eq(r.consumed, sizeof wide);
}
END_TEST

START_TEST(test_too_many_items) {
  unsigned char arr[3 + 100];
  result r;

  arr[0] = 0xdc;
  arr[1] = 0;
  arr[2] = 100;
  memset(arr + 3, 0x07, 100);
  /* 101 values: the array and its 100 elements. */
  r = check_lim(arr, sizeof arr, DEFAULT_DEPTH, 101);
  ck_assert_int_eq(r.rc, 0);
  ck_assert_uint_eq(r.consumed, sizeof arr);
  r = check_lim(arr, sizeof arr, DEFAULT_DEPTH, 100);
  ck_assert_int_eq(r.rc, DUSK_ETOOBIG);
  ck_assert_uint_eq(r.consumed, UNTOUCHED);

  /* A map's keys and values both count: {1: 2, 3: 4} is five values. */
  static const unsigned char map[] = {0x82, 1, 2, 3, 4};
  r = check_lim(map, sizeof map, DEFAULT_DEPTH, 5);
  ck_assert_int_eq(r.rc, 0);
  r = check_lim(map, sizeof map, DEFAULT_DEPTH, 4);
  ck_assert_int_eq(r.rc, DUSK_ETOOBIG);

  /* Zero items admits nothing. */
  r = check_lim("\x01", 1, DEFAULT_DEPTH, 0);
  ck_assert_int_eq(r.rc, DUSK_ETOOBIG);
}
END_TEST

START_TEST(test_reserved_c1) {
  result r;
  expect_refused("\xc1", 1, DUSK_EPROTO);
  static const unsigned char in_array[] = {0x93, 0x01, 0x02, 0xc1};
  r = check(in_array, sizeof in_array);
  ck_assert_int_eq(r.rc, DUSK_EPROTO);
  ck_assert_ptr_nonnull(strstr(r.err.message, "0xc1"));
  ck_assert_ptr_nonnull(strstr(r.err.message, "byte 3"));
  static const unsigned char as_key[] = {0x81, 0xc1, 0x00};
  expect_refused(as_key, sizeof as_key, DUSK_EPROTO);
}
END_TEST

int main(void) {
  Suite *s = suite_create("msgcheck");
  TCase *tc;

  tc = tcase_create("valid");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_valid_nested);
  tcase_add_test(tc, test_valid_wide_containers);
  tcase_add_test(tc, test_ints_every_width);
  tcase_add_test(tc, test_floats);
  tcase_add_test(tc, test_nil_bool_str_bin);
  tcase_add_test(tc, test_ext_forms);
  suite_add_tcase(s, tc);

  tc = tcase_create("malformed");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_every_prefix_refused);
  tcase_add_test(tc, test_array32_huge);
  tcase_add_test(tc, test_map32_huge);
  tcase_add_test(tc, test_str32_huge);
  tcase_add_test(tc, test_bin32_huge);
  tcase_add_test(tc, test_ext32_huge);
  tcase_add_test(tc, test_depth_10000_nested);
  tcase_add_test(tc, test_depth_at_limit);
  tcase_add_test(tc, test_too_many_items);
  tcase_add_test(tc, test_reserved_c1);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
