/* faillimit.c - see faillimit.h. */
#include "faillimit.h"

#include <string.h>

/* The slot's tries at now: refilled for the time since it was updated,
 * at most the burst. */
static uint32_t tries_now(const dusk_fail_slot *s, uint64_t now) {
  uint64_t back = now > s->at ? (now - s->at) / DUSK_FAIL_REFILL_MS : 0;
  uint64_t t = s->tries + back;
  return t > DUSK_FAIL_BURST ? DUSK_FAIL_BURST : (uint32_t)t;
}

static dusk_fail_slot *find(dusk_fail_limiter *l, const void *key,
                            size_t len) {
  if (len == 0 || len > DUSK_FAIL_KEY_MAX)
    return NULL;
  for (size_t i = 0; i < DUSK_FAIL_SLOTS; i++)
    if (l->slots[i].key_len == len && memcmp(l->slots[i].key, key, len) == 0)
      return &l->slots[i];
  return NULL;
}

uint64_t dusk_fail_wait_ms(dusk_fail_limiter *l, const void *key, size_t len,
                           uint64_t now_ms) {
  dusk_fail_slot *s = find(l, key, len);
  if (s == NULL || tries_now(s, now_ms) > 0)
    return 0;
  /* None left: the next comes back a refill period after the last
   * update (now is within it, or tries_now would be above 0). */
  return s->at + DUSK_FAIL_REFILL_MS - now_ms;
}

void dusk_fail_count(dusk_fail_limiter *l, const void *key, size_t len,
                     uint64_t now_ms) {
  dusk_fail_slot *s = find(l, key, len);
  if (len == 0 || len > DUSK_FAIL_KEY_MAX)
    return;
  if (s == NULL) {
    /* A free slot, else the one with the most tries back (the least
     * suspect), the longest unchanged among equals. */
    for (size_t i = 0; i < DUSK_FAIL_SLOTS; i++) {
      dusk_fail_slot *c = &l->slots[i];
      if (c->key_len == 0) {
        s = c;
        break;
      }
      if (s == NULL || tries_now(c, now_ms) > tries_now(s, now_ms) ||
          (tries_now(c, now_ms) == tries_now(s, now_ms) && c->at < s->at))
        s = c;
    }
    memcpy(s->key, key, len);
    s->key_len = (uint8_t)len;
    s->tries = DUSK_FAIL_BURST;
    s->at = now_ms;
  }
  uint32_t t = tries_now(s, now_ms);
  /* Keep the part of a refill period already served: at moves on by the
   * whole periods that gave tries back, unless the bucket was full. */
  if (t == DUSK_FAIL_BURST)
    s->at = now_ms;
  else if (now_ms > s->at)
    s->at += (now_ms - s->at) / DUSK_FAIL_REFILL_MS * DUSK_FAIL_REFILL_MS;
  s->tries = t > 0 ? t - 1 : 0;
}
