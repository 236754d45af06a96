/* lib.c - what belongs to libdusk as a whole rather than to one of its
 * handles: its versions and dusk_free. */
#include "dusk.h"

#include "wire.h"

#include <stdlib.h>

#define STR2(x) #x
#define STR(x) STR2(x)

unsigned int dusk_version(void) { return DUSK_VERSION_HEX; }

const char *dusk_version_string(void) {
  return STR(DUSK_VERSION_MAJOR) "." STR(DUSK_VERSION_MINOR) "." STR(
      DUSK_VERSION_PATCH);
}

int dusk_protocol_version(void) { return DUSK_PROTO_VERSION; }

/* Everything libdusk hands over is malloc'd: one free for all of it keeps
 * a program correct even when it and libdusk use different allocators. */
void dusk_free(void *p) { free(p); }
