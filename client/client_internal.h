/* client_internal.h - what dataframe.c needs from client.c. */
#ifndef DUSK_CLIENT_INTERNAL_H
#define DUSK_CLIENT_INTERNAL_H

#include "dusk.h"

/* Sends a dataframe query (an encoded plan) under a fresh key written into
 * key (size keylen), registered so it can be waited for and gathered. */
int dusk__client_query(dusk_client *c, const void *plan, size_t len,
                       char *key, size_t keylen, dusk_error *err);

/* The profile PROFILE messages brought for query key, now the caller's,
 * or NULL (none, or its last part did not come). */
dusk_profile *dusk__client_detach_profile(dusk_client *c, const char *key);
/* Makes p what dusk_client_take_profile returns next (owned by c). */
void dusk__client_keep_profile(dusk_client *c, dusk_profile *p);

/* profile.c: building a profile from PROFILE parts.  new returns NULL
 * when out of memory; add_part appends a part's records (those past
 * DUSK_PROFILE_TASKS_MAX in all are left out) and takes its summary: 0 or
 * DUSK_ENOMEM.  describe_plan sets p->plan from the plan (df/plan.h). */
struct dusk_msg_profile;
struct dusk_plan;
dusk_profile *dusk__profile_new(const char *key);
int dusk__profile_add_part(dusk_profile *p, const struct dusk_msg_profile *m);
int dusk__profile_describe_plan(dusk_profile *p, const struct dusk_plan *plan);

#endif
