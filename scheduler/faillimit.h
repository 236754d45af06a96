/* faillimit.h - how many wrong tokens one address may present to the
 * HTTP endpoint: a token bucket per address, so a guesser is slowed to a
 * trickle while a user who mistypes once is not locked out.
 *
 * Each address starts with DUSK_FAIL_BURST tries; a wrong token takes
 * one, and one comes back every DUSK_FAIL_REFILL_MS.  An address with
 * none left is refused (429) before its token is even compared, until one
 * comes back.  A right token does not refill: it only costs the guesser
 * nothing to stop.  The table is fixed (DUSK_FAIL_SLOTS addresses): a new
 * address takes the slot that has refilled the most (an address that no
 * longer fails), so the memory is bounded whatever the number of peers.
 * Pure and not thread-safe: the endpoint's one thread owns it. */
#ifndef DUSK_FAILLIMIT_H
#define DUSK_FAILLIMIT_H

#include <stddef.h>
#include <stdint.h>

#define DUSK_FAIL_BURST 10
#define DUSK_FAIL_REFILL_MS 6000 /* 10 a minute once the burst is spent */
#define DUSK_FAIL_SLOTS 256
#define DUSK_FAIL_KEY_MAX 16 /* an IPv6 address */

typedef struct dusk_fail_slot {
  uint8_t key[DUSK_FAIL_KEY_MAX];
  uint8_t key_len; /* 0: a free slot */
  uint32_t tries;  /* left at `at` */
  uint64_t at;     /* ms of the last update */
} dusk_fail_slot;

typedef struct dusk_fail_limiter {
  dusk_fail_slot slots[DUSK_FAIL_SLOTS];
} dusk_fail_limiter;

/* 0 when the address (key, len bytes, at most DUSK_FAIL_KEY_MAX) may try
 * a token now; else the ms until it may. */
uint64_t dusk_fail_wait_ms(dusk_fail_limiter *l, const void *key, size_t len,
                           uint64_t now_ms);
/* Counts a wrong token from the address. */
void dusk_fail_count(dusk_fail_limiter *l, const void *key, size_t len,
                     uint64_t now_ms);

#endif
