/* adaptive.h - the autoscaler's policy, apart from processes and sockets:
 * how many hosts the queued work wants, and which hosts to ask for or to
 * stop.  autoscale.c runs the provider's commands and feeds this module
 * what the scheduler sees; time is passed in, so tests drive it by hand.
 *
 * The target follows Dask's adaptive target: the expected run time of the
 * work that is queued or running, divided by a target duration, is the
 * number of worker slots wanted (never more than there are tasks, at least
 * one while any task waits); slots are turned into hosts by the workers a
 * host has shown it runs, and clamped to [min_hosts, max_hosts].
 *
 * Hosts asked for but not arrived count as present, so a steady demand
 * never launches twice.  Shrinking is slow on purpose: only idle hosts go,
 * a host goes only after `wait_count` consecutive ticks recommended it, and
 * never within `cooldown_ms` of the last launch - an oscillating load keeps
 * its hosts instead of paying for launches over and over.  A host holding
 * results is stopped only while another running host stays to take them
 * (a leaving worker hands its results over), so results a client has not
 * gathered yet are not lost to a scale-down. */
#ifndef DUSK_ADAPTIVE_H
#define DUSK_ADAPTIVE_H

#include "msg.h"

#include <stddef.h>
#include <stdint.h>

enum {
  DUSK_HOST_PENDING, /* asked for (or listed), no worker registered yet */
  DUSK_HOST_RUNNING, /* at least one worker registered */
  DUSK_HOST_CLOSING  /* told to stop; no longer counted */
};

typedef struct dusk_adaptive_host {
  char id[DUSK_HOST_ID_MAX + 1];
  int state;
  uint64_t since_ms;     /* when it entered its state */
  uint32_t nworkers;     /* registered now (set by the caller each tick) */
  uint32_t nbusy;        /* of them running or queued tasks */
  uint64_t nkeys;        /* results its workers hold (at least 1 when any
                            is known to hold one) */
  uint32_t close_votes;  /* consecutive ticks that recommended closing it */
  uint32_t missing_lists; /* consecutive `list` outputs without it */
  int down_sent;          /* CLOSING: a `down` for it is running or done */
  int listed;             /* in the `list` output being read */
} dusk_adaptive_host;

typedef struct dusk_adaptive_params {
  uint32_t min_hosts, max_hosts;
  uint64_t target_duration_ms; /* work one worker slot should hold */
  uint64_t unknown_task_ms;    /* a task's run time before any is known */
  uint32_t wait_count;         /* ticks a host must be recommended */
  uint64_t cooldown_ms;        /* no shrinking this soon after a launch */
  uint64_t boot_timeout_ms;    /* a pending host not arrived is stopped */
} dusk_adaptive_params;

/* What the scheduler sees at a tick. */
typedef struct dusk_adaptive_load {
  uint64_t ntasks;           /* ready or processing */
  uint64_t mean_task_us;     /* observed run time per task, 0 = unknown */
  uint32_t unmanaged_workers; /* registered workers of no known host */
} dusk_adaptive_load;

typedef struct dusk_adaptive {
  dusk_adaptive_params p;
  dusk_adaptive_host *hosts;
  size_t nhosts, cap;
  uint64_t last_launch_ms; /* when the last `up` started (note_launch) */
  int launched_ever;
  /* The most workers one host has been seen running (one per vCPU): a
   * host's worth of slots, remembered across scaling to zero; 0 = none
   * seen yet (a host then counts as one slot). */
  uint32_t workers_per_host;
} dusk_adaptive;

/* What a tick decided: launch `up` hosts, and stop the hosts whose indexes
 * are in down[0..ndown) (now CLOSING). */
typedef struct dusk_adaptive_decision {
  uint32_t target;
  uint64_t work_ms; /* the expected run time the target was computed from */
  uint32_t up;      /* never more than max_hosts less every host known,
                       closing ones included (they exist until stopped) */
  size_t *down;
  size_t ndown, timed_out; /* of down, pending hosts past boot_timeout_ms */
  size_t arrived;          /* hosts whose first worker registered */
} dusk_adaptive_decision;

void dusk_adaptive_init(dusk_adaptive *a, const dusk_adaptive_params *p);
void dusk_adaptive_destroy(dusk_adaptive *a);

/* The host named id, or NULL. */
dusk_adaptive_host *dusk_adaptive_find(dusk_adaptive *a, const char *id,
                                       size_t len);
/* Adds a host (id must be dusk_host_id_valid) in state at now_ms; an id
 * already known is left as it is.  Returns it; aborts on out-of-memory
 * (scheduler policy). */
dusk_adaptive_host *dusk_adaptive_add(dusk_adaptive *a, const char *id,
                                      size_t len, int state, uint64_t now_ms);
/* Forgets the host at index i (indexes after it shift down by one). */
void dusk_adaptive_remove(dusk_adaptive *a, size_t i);

/* Hosts in each state. */
uint32_t dusk_adaptive_count(const dusk_adaptive *a, int state);

/* The hosts the load wants, clamped to [min_hosts, max_hosts]; *work_ms
 * (optional) gets the expected run time it was computed from. */
uint32_t dusk_adaptive_target(const dusk_adaptive *a,
                              const dusk_adaptive_load *l, uint64_t *work_ms);

/* One tick: moves hosts between PENDING and RUNNING by their nworkers
 * (the caller set them), computes the target and decides.  Hosts chosen
 * to stop become CLOSING.  d->down is owned by the caller's d and freed by
 * dusk_adaptive_decision_free. */
void dusk_adaptive_tick(dusk_adaptive *a, const dusk_adaptive_load *l,
                        uint64_t now_ms, dusk_adaptive_decision *d);
void dusk_adaptive_decision_free(dusk_adaptive_decision *d);
/* The caller started an `up` at now_ms: the cooldown counts from here (not
 * from a decision a backoff deferred). */
void dusk_adaptive_note_launch(dusk_adaptive *a, uint64_t now_ms);

#endif
