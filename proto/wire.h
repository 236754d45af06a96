/* wire.h - the wire frame: an 8-byte header then one msgpack body.
 *
 *   0   'D' 'K'        magic
 *   2   version        DUSK_PROTO_VERSION
 *   3   type           a dusk_msg_type
 *   4   body length    32-bit big-endian, <= the decoder's limit
 *
 * One incremental decoder serves every socket.  It works on the bytes a
 * connection has buffered so far and never reserves memory from a declared
 * length: the caller's buffer only grows as bytes actually arrive. */
#ifndef DUSK_WIRE_H
#define DUSK_WIRE_H

#include "buf.h"
#include "errors.h"

#include <stdint.h>
#include <sys/types.h>

#define DUSK_WIRE_HEADER_SIZE 8
#define DUSK_WIRE_MAGIC0 'D'
#define DUSK_WIRE_MAGIC1 'K'
#define DUSK_WIRE_VERSION_OFFSET 2
/* Bump it whenever any message other than the frozen ones (msg.h) changes,
 * or what workers must agree on (6: a shuffle's df_split hashes key values
 * column by column, so a part's keys from workers of version 5 and 6
 * would not meet; 7: a sort's plan carries its range partitions, which a
 * worker of version 6 would refuse as a plan of too many fields; 8: the
 * ranges rows carry a shuffle merge's order groups; 9: tail args carry a
 * flags word - a df_join's second round takes its bounds or cuts first,
 * a to_csv's count round and files are flagged - and df_join_cuts is an
 * op): peers of
 * different versions then refuse each other at the handshake, each naming
 * both versions. */
#define DUSK_PROTO_VERSION 9
#define DUSK_WIRE_DEFAULT_MAX_BODY (64u << 20)

typedef struct dusk_wire_frame {
  uint8_t type;
  uint8_t version; /* the sender's protocol version */
  dusk_slice body; /* borrowed from the decoder's input */
} dusk_wire_frame;

/* Decodes one frame from buf[0..len).  Returns the bytes consumed (> 0) and
 * fills *out; 0 when more bytes are needed; or a negative code (DUSK_EMAGIC,
 * DUSK_EVERSION, DUSK_EUNKNOWN, DUSK_ETOOBIG) with err filled.  The header is
 * checked as soon as its 8 bytes are present, before the body arrives. */
ssize_t dusk_wire_decode(const char *buf, size_t len, uint32_t max_body,
                          dusk_wire_frame *out, dusk_error *err);

/* The same during a handshake: a frame of a type whose body is frozen
 * across protocol versions (HELLO, AUTH, ERROR; dusk_msg_type_frozen) is
 * decoded whatever its version, with out->version saying which, so that
 * peers of different versions can tell each other so.  Every other frame of
 * another version is DUSK_EVERSION as above. */
ssize_t dusk_wire_decode_handshake(const char *buf, size_t len,
                                   uint32_t max_body, dusk_wire_frame *out,
                                   dusk_error *err);

/* Writes the 8-byte header for a body of body_len bytes. */
void dusk_wire_header_encode(char hdr[DUSK_WIRE_HEADER_SIZE], uint8_t type,
                              uint32_t body_len);

#endif
