/* tls.h - optional TLS for every dusk connection (OpenSSL's libssl).
 *
 * A TLS context is mutual: each side presents its certificate (--tls-cert,
 * --tls-key) and accepts only a peer whose certificate chains to the cluster
 * CA (--tls-ca).  Like Dask's TLS, peers are authenticated by the CA, not by
 * host name: a cluster's certificates are issued by the cluster's own CA.
 * The token handshake still runs inside TLS.  TLS 1.2 is the minimum.
 *
 * The context is built once at start-up; conn.c drives each connection's
 * SSL object over memory BIOs, so libuv keeps doing the socket I/O. */
#ifndef DUSK_TLS_H
#define DUSK_TLS_H

#include "dusk_tls.h" /* dusk_tls_files, public */
#include "errors.h"

#include <stddef.h>

struct ssl_ctx_st;

/* 0 when none of the three files is given (TLS off), 1 when all three are,
 * DUSK_ECONFIG with err saying which flag is missing otherwise. */
int dusk_tls_files_check(const dusk_tls_files *f, dusk_error *err);

/* Builds a context from f (all three set).  0, or DUSK_ECONFIG with err
 * naming the file that could not be loaded and OpenSSL's reason. */
int dusk_tls_context_new(const dusk_tls_files *f, struct ssl_ctx_st **out,
                         dusk_error *err);
void dusk_tls_context_free(struct ssl_ctx_st *ctx);

/* OpenSSL's most recent error on this thread as a sentence, and clears the
 * queue.  Writes "unknown TLS error" when the queue is empty. */
void dusk_tls_last_error(char *out, size_t outlen);

#endif
