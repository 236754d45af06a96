/* client_internal.h - what dataframe.c needs from client.c. */
#ifndef DUSK_CLIENT_INTERNAL_H
#define DUSK_CLIENT_INTERNAL_H

#include "dusk.h"

/* Sends a dataframe query (an encoded plan) under a fresh key written into
 * key (size keylen), registered so it can be waited for and gathered. */
int dusk__client_query(dusk_client *c, const void *plan, size_t len,
                       char *key, size_t keylen, dusk_error *err);

#endif
