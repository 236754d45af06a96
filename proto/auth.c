/* auth.c - HMAC handshake primitives over OpenSSL's libcrypto. */
#include "auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dusk_auth_random(uint8_t *out, size_t n) {
  return RAND_bytes(out, (int)n) == 1 ? 0 : DUSK_ENOMEM;
}

int dusk_auth_mac(dusk_slice token, dusk_slice nonce, uint8_t mac[32]) {
  unsigned int len = 32;
  /* OpenSSL 3 refuses NULL pointers even for empty inputs. */
  const void *key = token.ptr ? token.ptr : "";
  const unsigned char *data =
      nonce.ptr ? (const unsigned char *)nonce.ptr : (const unsigned char *)"";
  if (HMAC(EVP_sha256(), key, (int)token.len, data, nonce.len, mac, &len) ==
          NULL ||
      len != 32)
    return DUSK_EAUTH;
  return 0;
}

int dusk_auth_verify(dusk_slice token, dusk_slice nonce, dusk_slice mac) {
  uint8_t want[32];
  if (mac.len != sizeof want || dusk_auth_mac(token, nonce, want) != 0)
    return DUSK_EAUTH;
  return CRYPTO_memcmp(want, mac.ptr, sizeof want) == 0 ? 0 : DUSK_EAUTH;
}

int dusk_auth_token_generate(char out[65]) {
  uint8_t raw[32];
  int rc = dusk_auth_random(raw, sizeof raw);
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(out + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

int dusk_auth_token_load(const char *path, char **token, dusk_error *err) {
  char buf[DUSK_TOKEN_MAX + 2];
  size_t n;
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return dusk_error_set(err, -errno, "token file %s: %s", path,
                          strerror(errno));
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  if (n > DUSK_TOKEN_MAX)
    return dusk_error_set(err, DUSK_ETOOBIG,
                          "token file %s: longer than %d bytes", path,
                          DUSK_TOKEN_MAX);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
                   buf[n - 1] == ' ' || buf[n - 1] == '\t'))
    n--;
  if (n == 0)
    return dusk_error_set(err, DUSK_ECONFIG, "token file %s: empty", path);
  buf[n] = '\0';
  *token = strdup(buf);
  if (*token == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "token file %s: out of memory",
                          path);
  return 0;
}
