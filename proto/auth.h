/* auth.h - the token handshake's cryptography and token files.
 *
 * The listener sends a random DUSK_NONCE_LEN-byte nonce; the peer proves it
 * knows the shared token by answering HMAC-SHA256(token, nonce).  OpenSSL's
 * libcrypto supplies HMAC, a CSPRNG and a constant-time compare (and will
 * carry TLS later).  All functions are thread-safe. */
#ifndef DUSK_AUTH_H
#define DUSK_AUTH_H

#include "buf.h"
#include "errors.h"

#include <stdint.h>

#define DUSK_TOKEN_MAX 4096

/* Fills out with n cryptographically random bytes: 0 or DUSK_ENOMEM. */
int dusk_auth_random(uint8_t *out, size_t n);

/* mac = HMAC-SHA256(token, nonce): 0, or DUSK_EAUTH if OpenSSL failed. */
int dusk_auth_mac(dusk_slice token, dusk_slice nonce, uint8_t mac[32]);

/* 0 when mac is HMAC-SHA256(token, nonce), compared in constant time, else
 * DUSK_EAUTH. */
int dusk_auth_verify(dusk_slice token, dusk_slice nonce, dusk_slice mac);

/* Writes a fresh 64-hex-digit token and its NUL into out. */
int dusk_auth_token_generate(char out[65]);

/* Reads a token file: trailing whitespace is dropped, an empty file or one
 * over DUSK_TOKEN_MAX bytes is refused.  *token is heap memory the caller
 * frees.  0 or a negative code with err naming the path. */
int dusk_auth_token_load(const char *path, char **token, dusk_error *err);

#endif
