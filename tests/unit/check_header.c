/* check_header.c - dusk.h as a user sees it.
 *
 * This file includes dusk.h and the C standard library, nothing else of
 * dusk's, and is compiled as C99 with -Wall -Wextra -Werror -pedantic (see
 * tests/CMakeLists.txt): dusk.h must be self-contained.  It links against
 * libdusk.so, so every function it calls must be exported, and checks what
 * needs no cluster: versions, error names, option defaults, dusk_free.
 * (tests/install/test_install.sh repeats the compile as C++ against the
 * installed headers.)  A plain main(), no Check: nothing but dusk.h. */
#include "dusk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,       \
              #cond);                                                        \
      failures++;                                                            \
    }                                                                        \
  } while (0)

static void test_versions(void) {
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", DUSK_VERSION_MAJOR,
           DUSK_VERSION_MINOR, DUSK_VERSION_PATCH);
  CHECK(strcmp(dusk_version_string(), want) == 0);
  CHECK(dusk_version() == (unsigned)DUSK_VERSION_HEX);
  CHECK(dusk_version() >> 16 == (unsigned)DUSK_VERSION_MAJOR);
  CHECK(dusk_protocol_version() > 0);
}

static void test_errors(void) {
  dusk_error err;
  memset(&err, 0, sizeof err);
  CHECK(sizeof err.message == DUSK_ERROR_MESSAGE_MAX);
  CHECK(strcmp(dusk_strerror(0), "success") == 0);
  CHECK(strcmp(dusk_strerror(DUSK_EVERSION),
               "unsupported protocol version") == 0);
  CHECK(strcmp(dusk_strerror(DUSK_EWIDEN),
               "a value does not fit its column's type") == 0);
  CHECK(DUSK_ENOMEM == -10000);
  CHECK(strcmp(dusk_strerror(1), "unknown error") == 0);
}

static void test_option_defaults(void) {
  dusk_read_options r;
  dusk_cluster_options c;
  memset(&r, 0x5a, sizeof r);
  dusk_read_options_init(&r);
  CHECK(r.sep == 0 && r.blocksize == 0 && r.usecols == NULL &&
        r.nusecols == 0 && r.dtype_columns == NULL &&
        r.dtype_names == NULL && r.ndtypes == 0);
  memset(&c, 0x5a, sizeof c);
  dusk_cluster_options_init(&c);
  CHECK(c.nworkers == 0 && c.bin_dir == NULL && c.plugins == NULL);
  CHECK(c.log_level != NULL && strcmp(c.log_level, "warn") == 0);
  CHECK(c.start_timeout_ms == 30000);
  CHECK(c.tls.cert == NULL && c.tls.key == NULL && c.tls.ca == NULL);
}

static void test_handles_without_a_cluster(void) {
  dusk_graph *g = dusk_graph_new();
  dusk_client *c = NULL;
  dusk_error err;
  const char *dep = "a";
  void *p = malloc(16);
  CHECK(g != NULL);
  CHECK(dusk_graph_add_int(g, "a", "constant", 1, NULL, 0) == 0);
  CHECK(dusk_graph_add_str(g, "b", "identity", "x", &dep, 1) == 0);
  CHECK(dusk_graph_add(g, "", "constant", NULL, 0, NULL, 0) == DUSK_EINVAL);
  CHECK(dusk_graph_size(g) == 2);
  dusk_graph_free(g);
  /* A bad address is refused before any network. */
  CHECK(dusk_client_connect("nowhere", NULL, 1000, &c, &err) == DUSK_EINVAL);
  CHECK(c == NULL && err.code == DUSK_EINVAL);
  dusk_free(p); /* what malloc gave, as gathered results are */
  dusk_free(NULL);
}

int main(void) {
  test_versions();
  test_errors();
  test_option_defaults();
  test_handles_without_a_cluster();
  if (failures > 0) {
    fprintf(stderr, "check_header: %d check(s) failed\n", failures);
    return EXIT_FAILURE;
  }
  printf("check_header: ok\n");
  return EXIT_SUCCESS;
}
