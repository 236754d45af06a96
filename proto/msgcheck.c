/* msgcheck.c - an allocation-free walk over msgpack headers.
 *
 * The walk keeps an explicit stack of "values still expected" per open
 * container, so hostile nesting cannot exhaust the C stack. */
#include "msgcheck.h"

#include <stdint.h>

static uint64_t be(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

int dusk_msgcheck(const char *buf, size_t len, const dusk_msgcheck_limits *lim,
                  size_t *consumed, dusk_error *err) {
  const unsigned char *p = (const unsigned char *)buf;
  uint64_t pending[DUSK_MSGCHECK_MAX_DEPTH_LIMIT + 1];
  size_t depth = 0, items = 0, off = 0;
  size_t max_depth = lim->max_depth;

  if (max_depth > DUSK_MSGCHECK_MAX_DEPTH_LIMIT)
    max_depth = DUSK_MSGCHECK_MAX_DEPTH_LIMIT;
  pending[0] = 1; /* the top-level value */
  for (;;) {
    uint64_t count = 0, payload = 0; /* children, raw bytes */
    int is_container = 0, hdr = 1;
    unsigned char b;

    while (depth > 0 && pending[depth] == 0)
      depth--;
    if (depth == 0 && pending[0] == 0)
      break;
    pending[depth]--;
    if (++items > lim->max_items)
      return dusk_error_set(err, DUSK_ETOOBIG,
                            "more than %zu msgpack values (at byte %zu)",
                            lim->max_items, off);
    if (off >= len)
      return dusk_error_set(err, DUSK_ETRUNC,
                            "msgpack value truncated at byte %zu", off);
    b = p[off];
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
      /* fixint, nil, bool: one byte */
    } else if (b >= 0x80 && b <= 0x8f) {
      count = 2u * (b & 0x0f), is_container = 1;
    } else if (b >= 0x90 && b <= 0x9f) {
      count = b & 0x0f, is_container = 1;
    } else if (b >= 0xa0 && b <= 0xbf) {
      payload = b & 0x1f;
    } else {
      int n = 0;
      switch (b) {
      case 0xcc: case 0xd0: payload = 1; break;
      case 0xcd: case 0xd1: payload = 2; break;
      case 0xca: case 0xce: case 0xd2: payload = 4; break;
      case 0xcb: case 0xcf: case 0xd3: payload = 8; break;
      case 0xd4: payload = 2; break; /* fixext: type + data */
      case 0xd5: payload = 3; break;
      case 0xd6: payload = 5; break;
      case 0xd7: payload = 9; break;
      case 0xd8: payload = 17; break;
      case 0xc4: case 0xd9: n = 1; break;
      case 0xc5: case 0xda: n = 2; break;
      case 0xc6: case 0xdb: n = 4; break;
      case 0xc7: n = 1; break;
      case 0xc8: n = 2; break;
      case 0xc9: n = 4; break;
      case 0xdc: n = 2; is_container = 1; break;
      case 0xdd: n = 4; is_container = 1; break;
      case 0xde: n = 2; is_container = 2; break;
      case 0xdf: n = 4; is_container = 2; break;
      default:
        return dusk_error_set(err, DUSK_EPROTO,
                              "reserved msgpack byte 0x%02x at byte %zu", b,
                              off);
      }
      if (n > 0) {
        if (len - off - 1 < (size_t)n)
          return dusk_error_set(err, DUSK_ETRUNC,
                                "msgpack length truncated at byte %zu", off);
        uint64_t v = be(p + off + 1, n);
        hdr += n;
        if (is_container == 1)
          count = v;
        else if (is_container == 2)
          count = 2 * v;
        else
          payload = v + (b >= 0xc7 && b <= 0xc9 ? 1 : 0); /* ext type byte */
      }
    }
    if ((size_t)hdr > len - off)
      return dusk_error_set(err, DUSK_ETRUNC,
                            "msgpack header truncated at byte %zu", off);
    off += (size_t)hdr;
    if (payload > len - off)
      return dusk_error_set(err, DUSK_ETRUNC,
                            "msgpack value at byte %zu declares %llu bytes, "
                            "%zu left",
                            off - (size_t)hdr, (unsigned long long)payload,
                            len - off);
    off += (size_t)payload;
    if (is_container && count > 0) {
      /* Each child needs at least one byte: a count beyond the bytes left
       * is a lie, refused before anything is reserved for it. */
      if (count > len - off)
        return dusk_error_set(err, DUSK_ETOOBIG,
                              "msgpack container at byte %zu declares %llu "
                              "values, only %zu bytes left",
                              off - (size_t)hdr, (unsigned long long)count,
                              len - off);
      if (depth + 1 > max_depth)
        return dusk_error_set(err, DUSK_EDEPTH,
                              "msgpack nesting deeper than %zu at byte %zu",
                              max_depth, off - (size_t)hdr);
      pending[++depth] = count;
    }
  }
  *consumed = off;
  return 0;
}
