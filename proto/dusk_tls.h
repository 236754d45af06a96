/* dusk_tls.h - public: the three files that turn TLS on for a client or a
 * LocalCluster.  Installed with dusk.h (which includes it); proto/tls.h
 * builds OpenSSL contexts from them.  Needs only the C standard library. */
#ifndef DUSK_TLS_PUBLIC_H
#define DUSK_TLS_PUBLIC_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dusk_tls_files {
  const char *cert; /* PEM certificate chain of this process */
  const char *key;  /* PEM private key for cert */
  const char *ca;   /* PEM bundle of the CAs a peer may chain to */
} dusk_tls_files;

#ifdef __cplusplus
}
#endif

#endif
