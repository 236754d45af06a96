/* adaptive.c - the autoscaler's policy (adaptive.h). */
#include "adaptive.h"

#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

void dusk_adaptive_init(dusk_adaptive *a, const dusk_adaptive_params *p) {
  memset(a, 0, sizeof *a);
  a->p = *p;
  if (a->p.wait_count == 0)
    a->p.wait_count = 1;
  if (a->p.target_duration_ms == 0)
    a->p.target_duration_ms = 1;
}

void dusk_adaptive_destroy(dusk_adaptive *a) {
  free(a->hosts);
  memset(a, 0, sizeof *a);
}

dusk_adaptive_host *dusk_adaptive_find(dusk_adaptive *a, const char *id,
                                       size_t len) {
  for (size_t i = 0; i < a->nhosts; i++)
    if (strlen(a->hosts[i].id) == len && memcmp(a->hosts[i].id, id, len) == 0)
      return &a->hosts[i];
  return NULL;
}

dusk_adaptive_host *dusk_adaptive_add(dusk_adaptive *a, const char *id,
                                      size_t len, int state, uint64_t now_ms) {
  dusk_adaptive_host *h = dusk_adaptive_find(a, id, len);
  if (h != NULL)
    return h;
  if (len > DUSK_HOST_ID_MAX)
    len = DUSK_HOST_ID_MAX;
  if (a->nhosts == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 8;
    a->hosts = dusk_xrealloc(a->hosts, a->cap * sizeof *a->hosts);
  }
  h = &a->hosts[a->nhosts++];
  memset(h, 0, sizeof *h);
  memcpy(h->id, id, len);
  h->state = state;
  h->since_ms = now_ms;
  return h;
}

void dusk_adaptive_remove(dusk_adaptive *a, size_t i) {
  if (i >= a->nhosts)
    return;
  memmove(&a->hosts[i], &a->hosts[i + 1],
          (a->nhosts - i - 1) * sizeof *a->hosts);
  a->nhosts--;
}

uint32_t dusk_adaptive_count(const dusk_adaptive *a, int state) {
  uint32_t n = 0;
  for (size_t i = 0; i < a->nhosts; i++)
    n += a->hosts[i].state == state;
  return n;
}

static uint64_t ceil_div(uint64_t x, uint64_t y) {
  return x / y + (x % y != 0);
}

uint32_t dusk_adaptive_target(const dusk_adaptive *a,
                              const dusk_adaptive_load *l, uint64_t *work_ms) {
  uint64_t task_ms, work = 0, slots = 0, hosts;
  if (l->ntasks > 0) {
    task_ms = l->mean_task_us ? ceil_div(l->mean_task_us, 1000)
                              : a->p.unknown_task_ms;
    if (task_ms == 0)
      task_ms = 1;
    work = l->ntasks > UINT64_MAX / task_ms ? UINT64_MAX
                                            : l->ntasks * task_ms;
    /* Slots for the work, but no more slots than tasks: a few long tasks
     * cannot use more workers than there are of them.  Any waiting task
     * wants one slot. */
    slots = ceil_div(work, a->p.target_duration_ms);
    if (slots > l->ntasks)
      slots = l->ntasks;
    if (slots == 0)
      slots = 1;
    slots = slots > l->unmanaged_workers ? slots - l->unmanaged_workers : 0;
  }
  /* A host runs as many workers as the most one has been seen running
   * (one per vCPU; a host whose nanny is still starting its workers must
   * not make the others look small); before any, one. */
  hosts = a->workers_per_host > 1 ? ceil_div(slots, a->workers_per_host)
                                  : slots;
  if (hosts < a->p.min_hosts)
    hosts = a->p.min_hosts;
  if (hosts > a->p.max_hosts)
    hosts = a->p.max_hosts;
  if (work_ms != NULL)
    *work_ms = work;
  return (uint32_t)hosts;
}

static void push_down(dusk_adaptive *a, dusk_adaptive_decision *d, size_t i,
                      uint64_t now_ms) {
  d->down = dusk_xrealloc(d->down, (d->ndown + 1) * sizeof *d->down);
  d->down[d->ndown++] = i;
  a->hosts[i].state = DUSK_HOST_CLOSING;
  a->hosts[i].since_ms = now_ms;
  a->hosts[i].close_votes = 0;
}

/* Orders close candidates: hosts not arrived first (nothing runs there),
 * then the idle running hosts holding the fewest results, newest first
 * (the oldest keep their warm caches). */
static int better_to_close(const dusk_adaptive_host *x,
                           const dusk_adaptive_host *y) {
  if (x->state != y->state)
    return x->state == DUSK_HOST_PENDING;
  if (x->nkeys != y->nkeys)
    return x->nkeys < y->nkeys;
  return x->since_ms > y->since_ms;
}

void dusk_adaptive_tick(dusk_adaptive *a, const dusk_adaptive_load *l,
                        uint64_t now_ms, dusk_adaptive_decision *d) {
  uint32_t plan = 0, need;
  size_t *cand = NULL, ncand = 0;
  memset(d, 0, sizeof *d);
  for (size_t i = 0; i < a->nhosts; i++) {
    dusk_adaptive_host *h = &a->hosts[i];
    if (h->nworkers > a->workers_per_host)
      a->workers_per_host = h->nworkers;
    if (h->state == DUSK_HOST_PENDING && h->nworkers > 0) {
      h->state = DUSK_HOST_RUNNING;
      h->since_ms = now_ms;
      d->arrived++;
    } else if (h->state == DUSK_HOST_RUNNING && h->nworkers == 0) {
      /* Its workers are gone (a reboot, a crash the nanny restarts): it
       * waits for them again, within the boot timeout. */
      h->state = DUSK_HOST_PENDING;
      h->since_ms = now_ms;
    }
  }
  for (size_t i = 0; i < a->nhosts; i++)
    if (a->hosts[i].state == DUSK_HOST_PENDING &&
        now_ms - a->hosts[i].since_ms >= a->p.boot_timeout_ms) {
      push_down(a, d, i, now_ms);
      d->timed_out++;
    }
  d->target = dusk_adaptive_target(a, l, &d->work_ms);
  plan = dusk_adaptive_count(a, DUSK_HOST_PENDING) +
         dusk_adaptive_count(a, DUSK_HOST_RUNNING);
  if (d->target >= plan) {
    uint32_t exist = plan + dusk_adaptive_count(a, DUSK_HOST_CLOSING);
    for (size_t i = 0; i < a->nhosts; i++)
      a->hosts[i].close_votes = 0;
    /* Hosts being stopped still exist (a `down` may fail and be retried):
     * launches never take the count past max_hosts. */
    if (d->target > plan && exist < a->p.max_hosts)
      d->up = d->target - plan < a->p.max_hosts - exist
                  ? d->target - plan
                  : a->p.max_hosts - exist;
    return;
  }
  need = plan - d->target;
  if (a->launched_ever && now_ms - a->last_launch_ms < a->p.cooldown_ms) {
    for (size_t i = 0; i < a->nhosts; i++)
      a->hosts[i].close_votes = 0;
    return;
  }
  /* The `need` best idle candidates get a vote; every other host's count
   * starts over, so only a recommendation that holds tick after tick
   * stops a host. */
  cand = dusk_xcalloc(a->nhosts + 1, sizeof *cand);
  for (size_t i = 0; i < a->nhosts; i++) {
    const dusk_adaptive_host *h = &a->hosts[i];
    if (h->state == DUSK_HOST_PENDING ||
        (h->state == DUSK_HOST_RUNNING && h->nbusy == 0)) {
      size_t j = ncand++;
      while (j > 0 && better_to_close(h, &a->hosts[cand[j - 1]])) {
        cand[j] = cand[j - 1];
        j--;
      }
      cand[j] = i;
    }
  }
  /* The first `need` candidates, except that a host holding results goes
   * only while another running host stays to take them over (a leaving
   * worker hands its results to the others): results a client has not
   * gathered yet are never thrown away to save a host, as Dask keeps
   * enough workers to hold its data. */
  {
    uint32_t running = dusk_adaptive_count(a, DUSK_HOST_RUNNING), taken = 0;
    size_t k = 0;
    for (size_t c = 0; c < ncand && k < need; c++) {
      const dusk_adaptive_host *h = &a->hosts[cand[c]];
      int is_running = h->state == DUSK_HOST_RUNNING;
      if (is_running && h->nkeys > 0 && running - taken <= 1)
        continue;
      taken += is_running;
      cand[k++] = cand[c];
    }
    ncand = k;
  }
  for (size_t i = 0; i < a->nhosts; i++) {
    int voted = 0;
    for (size_t k = 0; k < ncand; k++)
      voted |= cand[k] == i;
    if (!voted)
      a->hosts[i].close_votes = 0;
    else if (++a->hosts[i].close_votes >= a->p.wait_count)
      push_down(a, d, i, now_ms);
  }
  free(cand);
}

void dusk_adaptive_note_launch(dusk_adaptive *a, uint64_t now_ms) {
  a->last_launch_ms = now_ms;
  a->launched_ever = 1;
}

void dusk_adaptive_decision_free(dusk_adaptive_decision *d) {
  free(d->down);
  d->down = NULL;
  d->ndown = 0;
}
