/* check_auth.c - HMAC-SHA256, mac verification, token generation and token
 * files.
 *
 * Token files are written under one mkdtemp directory that an unchecked
 * fixture creates before the cases run and removes, with whatever is left in
 * it, after they have run (even when a case failed in its child process). */
#include "auth.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PATH_MAX_LEN 256

static dusk_slice sl(const void *p, size_t n) {
  dusk_slice s;
  s.ptr = p;
  s.len = n;
  return s;
}

static dusk_slice cstr(const char *s) { return sl(s, strlen(s)); }

static void unhex(const char *hex, uint8_t *out, size_t n) {
  ck_assert_uint_eq(strlen(hex), 2 * n);
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
    out[i] = (uint8_t)v;
  }
}

/* ---- HMAC -----------------------------------------------------------------
 */

START_TEST(test_hmac_rfc4231_case2) {
  uint8_t mac[32], want[32];
  unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        want, sizeof want);
  dusk_auth_mac(cstr("Jefe"), cstr("what do ya want for nothing?"), mac);
  ck_assert_mem_eq(mac, want, sizeof want);
}
END_TEST

START_TEST(test_hmac_rfc4231_more_vectors) {
  uint8_t mac[32], want[32];
  char key[131];

  /* Test case 1: a 20-byte key of 0x0b. */
  memset(key, 0x0b, 20);
  unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        want, sizeof want);
  dusk_auth_mac(sl(key, 20), cstr("Hi There"), mac);
  ck_assert_mem_eq(mac, want, sizeof want);

  /* Test case 6: a key longer than the block size is hashed first. */
  memset(key, 0xaa, sizeof key);
  unhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        want, sizeof want);
  dusk_auth_mac(sl(key, sizeof key),
                cstr("Test Using Larger Than Block-Size Key - Hash Key First"),
                mac);
  ck_assert_mem_eq(mac, want, sizeof want);
}
END_TEST

START_TEST(test_hmac_empty_inputs) {
  /* HMAC-SHA256 with an empty key over empty data, for every way of
   * spelling an empty slice: {NULL, 0} is what an unset token or an empty
   * decoded field looks like.  dusk_auth_mac has no error return, so it
   * must write the mac in every case. */
  static const struct {
    const char *key, *data;
  } empties[] = {{"", ""}, {NULL, ""}, {"", NULL}, {NULL, NULL}};
  uint8_t mac[32], want[32];

  unhex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
        want, sizeof want);
  for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
    memset(mac, 0xee, sizeof mac);
    dusk_auth_mac(sl(empties[i].key, 0), sl(empties[i].data, 0), mac);
    ck_assert_msg(memcmp(mac, want, sizeof want) == 0,
                  "key %s, data %s: mac not written or wrong",
                  empties[i].key ? "\"\"" : "NULL",
                  empties[i].data ? "\"\"" : "NULL");
    ck_assert_int_eq(dusk_auth_verify(sl(empties[i].key, 0),
                                      sl(empties[i].data, 0),
                                      sl(want, sizeof want)),
                     0);
  }
}
END_TEST

START_TEST(test_verify) {
  uint8_t nonce[32], mac[32], bad[33];
  dusk_slice token = cstr("0123456789abcdef0123456789abcdef");

  for (size_t i = 0; i < sizeof nonce; i++)
    nonce[i] = (uint8_t)(i * 29 + 1);
  dusk_auth_mac(token, sl(nonce, sizeof nonce), mac);
  ck_assert_int_eq(
      dusk_auth_verify(token, sl(nonce, sizeof nonce), sl(mac, sizeof mac)), 0);

  /* Every single-bit change of the mac is refused. */
  for (size_t i = 0; i < sizeof mac; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(bad, mac, sizeof mac);
      bad[i] ^= (uint8_t)(1u << bit);
      if (dusk_auth_verify(token, sl(nonce, sizeof nonce),
                           sl(bad, sizeof mac)) != DUSK_EAUTH)
        ck_abort_msg("flipped bit %d of byte %zu accepted", bit, i);
    }
  }
  /* Wrong lengths: a prefix, the mac plus a byte, empty. */
  memcpy(bad, mac, sizeof mac);
  bad[32] = 0;
  ck_assert_int_eq(
      dusk_auth_verify(token, sl(nonce, sizeof nonce), sl(mac, 31)),
      DUSK_EAUTH);
  ck_assert_int_eq(
      dusk_auth_verify(token, sl(nonce, sizeof nonce), sl(bad, 33)),
      DUSK_EAUTH);
  ck_assert_int_eq(dusk_auth_verify(token, sl(nonce, sizeof nonce), sl(mac, 0)),
                   DUSK_EAUTH);
  ck_assert_int_eq(
      dusk_auth_verify(token, sl(nonce, sizeof nonce), sl(NULL, 0)),
      DUSK_EAUTH);
  /* The right mac under another token or for another nonce. */
  ck_assert_int_eq(dusk_auth_verify(cstr("0123456789abcdef0123456789abcdeF"),
                                    sl(nonce, sizeof nonce),
                                    sl(mac, sizeof mac)),
                   DUSK_EAUTH);
  nonce[31] ^= 1;
  ck_assert_int_eq(
      dusk_auth_verify(token, sl(nonce, sizeof nonce), sl(mac, sizeof mac)),
      DUSK_EAUTH);
}
END_TEST

/* ---- random tokens --------------------------------------------------------
 */

static void assert_token_shape(const char tok[65]) {
  for (size_t i = 0; i < 64; i++)
    ck_assert_msg((tok[i] >= '0' && tok[i] <= '9') ||
                      (tok[i] >= 'a' && tok[i] <= 'f'),
                  "token char %zu is 0x%02x", i, (unsigned char)tok[i]);
  ck_assert_int_eq(tok[64], '\0');
  ck_assert_uint_eq(strlen(tok), 64);
}

START_TEST(test_token_generate) {
  char a[65], b[65];
  memset(a, 'Z', sizeof a);
  memset(b, 'Z', sizeof b);
  ck_assert_int_eq(dusk_auth_token_generate(a), 0);
  ck_assert_int_eq(dusk_auth_token_generate(b), 0);
  assert_token_shape(a);
  assert_token_shape(b);
  ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_random) {
  uint8_t a[32], b[32];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  ck_assert_int_eq(dusk_auth_random(a, sizeof a), 0);
  ck_assert_int_eq(dusk_auth_random(b, sizeof b), 0);
  ck_assert_int_ne(memcmp(a, b, sizeof a), 0);
  ck_assert_int_eq(dusk_auth_random(a, 0), 0);
}
END_TEST

/* ---- token files ----------------------------------------------------------
 */

static char tmpdir[64];

static void tmpdir_setup(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/dusk-check-auth-XXXXXX");
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    exit(EXIT_FAILURE);
  }
}

static void tmpdir_teardown(void) {
  DIR *d = opendir(tmpdir);
  struct dirent *e;
  if (d != NULL) {
    while ((e = readdir(d)) != NULL)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
  }
  rmdir(tmpdir);
}

/* Writes n bytes to a file named name in the temporary directory and puts
 * its path in path. */
static void write_file(const char *name, const void *bytes, size_t n,
                       char path[PATH_MAX_LEN]) {
  FILE *f;
  snprintf(path, PATH_MAX_LEN, "%s/%s", tmpdir, name);
  f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
  if (n > 0)
    ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
}

/* Loads a token from a file holding the given bytes; removes the file. */
static int load_bytes(const void *bytes, size_t n, char **token,
                      dusk_error *err) {
  char path[PATH_MAX_LEN];
  int rc;
  write_file("token", bytes, n, path);
  dusk_error_clear(err);
  rc = dusk_auth_token_load(path, token, err);
  ck_assert_int_eq(unlink(path), 0);
  return rc;
}

START_TEST(test_token_load_strips_newline) {
  static const struct {
    const char *file, *token;
  } cases[] = {
      {"abc123\n", "abc123"},
      {"abc123", "abc123"},
      {"abc123\r\n", "abc123"},
      {"abc123 \t\n\n", "abc123"},
      {"  lead stays\n", "  lead stays"},
      {"inner space\n", "inner space"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *token = NULL;
    dusk_error err;
    int rc = load_bytes(cases[i].file, strlen(cases[i].file), &token, &err);
    ck_assert_msg(rc == 0, "case %zu: %s", i, err.message);
    ck_assert_ptr_nonnull(token);
    ck_assert_str_eq(token, cases[i].token);
    free(token);
  }
}
END_TEST

START_TEST(test_token_load_generated) {
  char gen[65], withnl[66], *token = NULL;
  dusk_error err;
  ck_assert_int_eq(dusk_auth_token_generate(gen), 0);
  snprintf(withnl, sizeof withnl, "%s\n", gen);
  ck_assert_int_eq(load_bytes(withnl, strlen(withnl), &token, &err), 0);
  ck_assert_str_eq(token, gen);
  free(token);
}
END_TEST

START_TEST(test_token_load_empty) {
  static const char *const files[] = {"", "\n", "\n\n", " \t\r\n"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *token = NULL;
    dusk_error err;
    int rc = load_bytes(files[i], strlen(files[i]), &token, &err);
    ck_assert_msg(rc < 0, "case %zu accepted", i);
    ck_assert_int_eq(err.code, rc);
    ck_assert_ptr_null(token);
    ck_assert_ptr_nonnull(strstr(err.message, tmpdir));
  }
}
END_TEST

START_TEST(test_token_load_too_big) {
  enum { BIG = DUSK_TOKEN_MAX + 1 };
  char *bytes = malloc(1 << 20), *token = NULL;
  dusk_error err;
  int rc;

  ck_assert_ptr_nonnull(bytes);
  memset(bytes, 'a', 1 << 20);
  /* One byte over the limit, and far over it. */
  rc = load_bytes(bytes, BIG, &token, &err);
  ck_assert_int_eq(rc, DUSK_ETOOBIG);
  ck_assert_int_eq(err.code, DUSK_ETOOBIG);
  ck_assert_ptr_null(token);
  ck_assert_ptr_nonnull(strstr(err.message, tmpdir));
  rc = load_bytes(bytes, 1 << 20, &token, &err);
  ck_assert_int_eq(rc, DUSK_ETOOBIG);
  ck_assert_ptr_null(token);
  /* Exactly the limit is accepted. */
  rc = load_bytes(bytes, DUSK_TOKEN_MAX, &token, &err);
  ck_assert_msg(rc == 0, "%s", err.message);
  ck_assert_uint_eq(strlen(token), DUSK_TOKEN_MAX);
  free(token);
  free(bytes);
}
END_TEST

START_TEST(test_token_load_missing) {
  char path[PATH_MAX_LEN], *token = NULL;
  dusk_error err;
  int rc;
  snprintf(path, sizeof path, "%s/no-such-token", tmpdir);
  dusk_error_clear(&err);
  rc = dusk_auth_token_load(path, &token, &err);
  ck_assert_int_eq(rc, -ENOENT);
  ck_assert_int_eq(err.code, -ENOENT);
  ck_assert_ptr_null(token);
  ck_assert_msg(strstr(err.message, path) != NULL, "path not in '%s'",
                err.message);
  /* err is optional. */
  ck_assert_int_eq(dusk_auth_token_load(path, &token, NULL), -ENOENT);
}
END_TEST

int main(void) {
  Suite *s = suite_create("auth");
  TCase *tc;

  tc = tcase_create("hmac");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_hmac_rfc4231_case2);
  tcase_add_test(tc, test_hmac_rfc4231_more_vectors);
  tcase_add_test(tc, test_hmac_empty_inputs);
  tcase_add_test(tc, test_verify);
  tcase_add_test(tc, test_token_generate);
  tcase_add_test(tc, test_random);
  suite_add_tcase(s, tc);

  tc = tcase_create("token_file");
  tcase_set_timeout(tc, 30);
  tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
  tcase_add_test(tc, test_token_load_strips_newline);
  tcase_add_test(tc, test_token_load_generated);
  tcase_add_test(tc, test_token_load_empty);
  tcase_add_test(tc, test_token_load_too_big);
  tcase_add_test(tc, test_token_load_missing);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
