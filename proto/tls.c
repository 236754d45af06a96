/* tls.c - TLS contexts (see tls.h). */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>

int dusk_tls_files_check(const dusk_tls_files *f, dusk_error *err) {
  int n = (f->cert != NULL) + (f->key != NULL) + (f->ca != NULL);
  if (n == 0)
    return 0;
  if (n == 3)
    return 1;
  return dusk_error_set(err, DUSK_ECONFIG,
                        "TLS needs all of --tls-cert, --tls-key and --tls-ca "
                        "(missing:%s%s%s)",
                        f->cert ? "" : " --tls-cert", f->key ? "" : " --tls-key",
                        f->ca ? "" : " --tls-ca");
}

void dusk_tls_last_error(char *out, size_t outlen) {
  unsigned long e = ERR_get_error(), next;
  /* The last queued error is the most specific one. */
  while ((next = ERR_get_error()) != 0)
    e = next;
  if (e == 0) {
    snprintf(out, outlen, "unknown TLS error");
    return;
  }
  const char *reason = ERR_reason_error_string(e);
  if (reason != NULL)
    snprintf(out, outlen, "%s", reason);
  else
    ERR_error_string_n(e, out, outlen);
}

static int fail(SSL_CTX *ctx, dusk_error *err, const char *what,
                const char *path) {
  char why[256];
  dusk_tls_last_error(why, sizeof why);
  SSL_CTX_free(ctx);
  return dusk_error_set(err, DUSK_ECONFIG, "cannot load TLS %s %s: %s", what,
                        path, why);
}

int dusk_tls_context_new(const dusk_tls_files *f, struct ssl_ctx_st **out,
                         dusk_error *err) {
  SSL_CTX *ctx;
  ERR_clear_error();
  ctx = SSL_CTX_new(TLS_method());
  if (ctx == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, f->cert) != 1)
    return fail(ctx, err, "certificate", f->cert);
  if (SSL_CTX_use_PrivateKey_file(ctx, f->key, SSL_FILETYPE_PEM) != 1)
    return fail(ctx, err, "key", f->key);
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fail(ctx, err, "key (it does not match the certificate)", f->key);
  if (SSL_CTX_load_verify_locations(ctx, f->ca, NULL) != 1)
    return fail(ctx, err, "CA bundle", f->ca);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     NULL);
  /* Idle connections give their record buffers back. */
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  *out = ctx;
  return 0;
}

void dusk_tls_context_free(struct ssl_ctx_st *ctx) { SSL_CTX_free(ctx); }
