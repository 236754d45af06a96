/* wire.c - the wire frame header codec and incremental decoder. */
#include "wire.h"

#include "msg.h"

static ssize_t decode(const char *buf, size_t len, uint32_t max_body,
                      int any_version, dusk_wire_frame *out,
                      dusk_error *err) {
  const unsigned char *p = (const unsigned char *)buf;
  uint32_t body_len;

  /* Check the magic byte by byte so garbage is refused before 8 bytes. */
  if (len >= 1 && p[0] != DUSK_WIRE_MAGIC0)
    return dusk_error_set(err, DUSK_EMAGIC, "bad frame magic 0x%02x", p[0]);
  if (len >= 2 && p[1] != DUSK_WIRE_MAGIC1)
    return dusk_error_set(err, DUSK_EMAGIC, "bad frame magic 0x%02x%02x",
                          p[0], p[1]);
  /* The version is judged with the type: in a handshake, the frozen types
   * pass whatever their version. */
  if (len >= 3 && p[2] != DUSK_PROTO_VERSION &&
      !(any_version && (len < 4 || dusk_msg_type_frozen(p[3]))))
    return dusk_error_set(err, DUSK_EVERSION,
                          "protocol version %u, expected %u", p[2],
                          DUSK_PROTO_VERSION);
  if (len >= 4 && !dusk_msg_type_valid(p[3]))
    return dusk_error_set(err, DUSK_EUNKNOWN, "unknown message type %u", p[3]);
  if (len < DUSK_WIRE_HEADER_SIZE)
    return 0;
  body_len = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) |
             ((uint32_t)p[6] << 8) | (uint32_t)p[7];
  if (body_len > max_body)
    return dusk_error_set(err, DUSK_ETOOBIG,
                          "frame body of %u bytes exceeds the limit of %u",
                          body_len, max_body);
  if (len - DUSK_WIRE_HEADER_SIZE < body_len)
    return 0;
  out->type = p[3];
  out->version = p[2];
  out->body.ptr = buf + DUSK_WIRE_HEADER_SIZE;
  out->body.len = body_len;
  return (ssize_t)(DUSK_WIRE_HEADER_SIZE + body_len);
}

ssize_t dusk_wire_decode(const char *buf, size_t len, uint32_t max_body,
                          dusk_wire_frame *out, dusk_error *err) {
  return decode(buf, len, max_body, 0, out, err);
}

ssize_t dusk_wire_decode_handshake(const char *buf, size_t len,
                                   uint32_t max_body, dusk_wire_frame *out,
                                   dusk_error *err) {
  return decode(buf, len, max_body, 1, out, err);
}

void dusk_wire_header_encode(char hdr[DUSK_WIRE_HEADER_SIZE], uint8_t type,
                              uint32_t body_len) {
  hdr[0] = DUSK_WIRE_MAGIC0;
  hdr[1] = DUSK_WIRE_MAGIC1;
  hdr[2] = DUSK_PROTO_VERSION;
  hdr[3] = (char)type;
  hdr[4] = (char)(body_len >> 24);
  hdr[5] = (char)(body_len >> 16);
  hdr[6] = (char)(body_len >> 8);
  hdr[7] = (char)body_len;
}
