/* fuzz_frames.c - libFuzzer target: any bytes as a connection's input
 * stream, decoded frame by frame into messages.  Nothing may crash, leak
 * or read out of bounds; decoding stops at the first error, as a
 * connection closes at its first protocol error.  The first two frames go
 * through the handshake decoder (any version for HELLO, AUTH, ERROR), as a
 * connection's do. */
#include "wire.h"
#include "msg.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dusk_msg_decoder dec;
  size_t off = 0, nframes = 0;
  if (dusk_msg_decoder_init(&dec) != 0)
    return 0;
  while (off < size) {
    dusk_wire_frame f;
    dusk_msg m;
    dusk_error err;
    ssize_t used =
        nframes++ < 2
            ? dusk_wire_decode_handshake((const char *)data + off, size - off,
                                         1u << 20, &f, &err)
            : dusk_wire_decode((const char *)data + off, size - off, 1u << 20,
                               &f, &err);
    if (used <= 0)
      break;
    off += (size_t)used;
    if (dusk_msg_decode(&dec, f.type, f.body, &m, &err) != 0)
      break;
  }
  dusk_msg_decoder_destroy(&dec);
  return 0;
}
