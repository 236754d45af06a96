/* profile.c - per-task records of a profiled dataframe query (QUERY with
 * profile set; `dusk query --profile`, Python's performance_report).
 *
 * The query owns a sched_profile.  Lowering reserves one slot per task it
 * submits (up to DUSK_PROFILE_TASKS_MAX over all attempts; the tasks past
 * that are counted but not recorded) and tags each task with the query's
 * id and its slot, so the scheduler's hot paths only test one field of the
 * task: a query without a profile costs nothing but that test.  A slot is
 * filled when its task becomes ready and when its TASK_DONE arrives (a
 * task recomputed after a worker died keeps its last run).  At the query's
 * outcome the filled slots go to the client in PROFILE parts.
 *
 * Placing runs on the scheduler's clock: a worker reports when a COMPUTE
 * arrived on its own clock (recv_ns) and how long it held the task, so for
 * each task its clock's offset from ours lies in [sent - recv, done - held
 * - recv].  One offset per worker, the largest lower bound over its tasks
 * (the quickest COMPUTE's trip taken as zero), keeps a worker's runs in
 * the order and spacing it measured, whatever the hosts' clocks; each
 * task's own interval then clamps it (a clock that drifts over a long
 * query). */
#include "internal.h"

#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct prof_rec {
  char *key;
  char *op;
  uint32_t attempt;
  uint64_t scan_bytes;
  int done;             /* a TASK_DONE filled the rest */
  uint64_t ready_ns;    /* 0: ready when submitted */
  uint64_t submit_ns;   /* its attempt's submission */
  uint64_t sent_ns, done_ns;
  uint64_t worker;
  char addr[DUSK_PROFILE_ADDR_MAX + 1];
  uint64_t fetch_us, wait_us, run_us, held_us, result_bytes;
  uint64_t recv_ns; /* on the worker's clock */
} prof_rec;

struct sched_profile {
  uint64_t start_ns;   /* the QUERY arrived */
  uint64_t planned_ns; /* its first tasks were submitted, 0 = not yet */
  uint32_t attempts;
  uint64_t ntasks;     /* submitted, recorded or not */
  prof_rec *recs;
  size_t n, cap;
};

sched_profile *dusk__profile_new(uint64_t start_ns) {
  sched_profile *p = dusk_xcalloc(1, sizeof *p);
  p->start_ns = start_ns;
  return p;
}

void dusk__profile_free(sched_profile *p) {
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->n; i++) {
    free(p->recs[i].key);
    free(p->recs[i].op);
  }
  free(p->recs);
  free(p);
}

void dusk__profile_attempt(sched_profile *p, uint64_t now_ns) {
  p->attempts++;
  if (p->planned_ns == 0)
    p->planned_ns = now_ns;
}

uint32_t dusk__profile_slot(sched_profile *p, const char *key,
                            const char *op, uint64_t scan_bytes,
                            uint64_t now_ns) {
  prof_rec *r;
  p->ntasks++;
  if (p->n >= DUSK_PROFILE_TASKS_MAX)
    return 0;
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 64;
    p->recs = dusk_xrealloc(p->recs, p->cap * sizeof *p->recs);
  }
  r = &p->recs[p->n];
  memset(r, 0, sizeof *r);
  /* Longer keys and ops than the wire takes are cut (the query's own keys
   * are far shorter). */
  r->key = dusk_xmemdup(key, strnlen(key, DUSK_PROFILE_KEY_MAX));
  r->op = dusk_xmemdup(op, strnlen(op, DUSK_PROFILE_OP_MAX));
  r->attempt = p->attempts;
  r->scan_bytes = scan_bytes;
  r->submit_ns = now_ns;
  return (uint32_t)++p->n;
}

void dusk__profile_ready(sched_profile *p, uint32_t slot, uint64_t now_ns) {
  if (slot == 0 || slot > p->n)
    return;
  p->recs[slot - 1].ready_ns = now_ns;
}

void dusk__profile_done(sched_profile *p, uint32_t slot,
                        const sched_worker *w, uint64_t sent_ns,
                        const dusk_msg_task_done *m, uint64_t now_ns) {
  prof_rec *r;
  if (slot == 0 || slot > p->n)
    return;
  r = &p->recs[slot - 1];
  r->done = 1;
  r->sent_ns = sent_ns;
  r->done_ns = now_ns;
  r->worker = w->id;
  snprintf(r->addr, sizeof r->addr, "%s", w->addr);
  r->fetch_us = m->fetch_us;
  r->wait_us = m->wait_us;
  r->run_us = m->run_us;
  r->held_us = m->held_us;
  r->recv_ns = m->recv_ns;
  r->result_bytes = m->nbytes;
}

/* Microseconds from the query's start to t, never before it. */
static uint64_t since(const sched_profile *p, uint64_t t) {
  return t > p->start_ns ? (t - p->start_ns) / 1000u : 0;
}

/* The bounds of r's worker clock offset (ours - its), in ns. */
static int64_t offset_lo(const prof_rec *r) {
  return (int64_t)(r->sent_ns - r->recv_ns);
}
static int64_t offset_hi(const prof_rec *r) {
  int64_t hi = (int64_t)(r->done_ns - r->held_us * 1000u - r->recv_ns);
  return hi > offset_lo(r) ? hi : offset_lo(r);
}

typedef struct worker_offset {
  uint64_t worker;
  int64_t off;
} worker_offset;

/* Each worker's offset: the largest lower bound over its recorded tasks.
 * Returns the array (n entries) or NULL when there are none. */
static worker_offset *worker_offsets(const sched_profile *p, size_t *n) {
  worker_offset *w = NULL;
  size_t cap = 0;
  *n = 0;
  for (size_t i = 0; i < p->n; i++) {
    const prof_rec *r = &p->recs[i];
    size_t j;
    if (!r->done)
      continue;
    for (j = 0; j < *n && w[j].worker != r->worker; j++)
      ;
    if (j == *n) {
      if (*n == cap) {
        cap = cap ? cap * 2 : 8;
        w = dusk_xrealloc(w, cap * sizeof *w);
      }
      w[j].worker = r->worker;
      w[j].off = offset_lo(r);
      (*n)++;
    } else if (offset_lo(r) > w[j].off) {
      w[j].off = offset_lo(r);
    }
  }
  return w;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* r as the wire has it, with its worker's clock offset off: every time in
 * the order msg.h promises (two clocks truncated to microseconds can
 * disagree by one; a worker's clock may run a little fast), clamped so. */
static void to_wire(const sched_profile *p, const prof_rec *r, int64_t off,
                    uint64_t wall_us, dusk_task_profile *t) {
  uint64_t fw, run;
  int64_t lo = offset_lo(r), hi = offset_hi(r);
  uint64_t start_ns;
  memset(t, 0, sizeof *t);
  t->key.ptr = r->key;
  t->key.len = strlen(r->key);
  t->op.ptr = r->op;
  t->op.len = strlen(r->op);
  t->worker = r->worker;
  t->addr.ptr = r->addr;
  t->addr.len = strlen(r->addr);
  t->attempt = r->attempt;
  t->done_at = min_u64(since(p, r->done_ns), wall_us);
  t->sent_at = min_u64(since(p, r->sent_ns), t->done_at);
  t->ready_at = min_u64(since(p, r->ready_ns != 0 ? r->ready_ns
                                                    : r->submit_ns),
                        t->sent_at);
  t->held_us = min_u64(r->held_us, t->done_at - t->sent_at);
  t->fetch_us = r->fetch_us;
  t->wait_us = r->wait_us;
  fw = t->fetch_us + t->wait_us; /* <= the worker's held_us (decoded) */
  if (fw > t->held_us) {          /* held_us was clamped: scale to fit */
    double k = (double)t->held_us / (double)fw;
    t->fetch_us = min_u64((uint64_t)((double)t->fetch_us * k), t->held_us);
    t->wait_us = min_u64((uint64_t)((double)t->wait_us * k),
                         t->held_us - t->fetch_us);
    fw = t->fetch_us + t->wait_us;
  }
  if (off < lo)
    off = lo;
  if (off > hi)
    off = hi;
  start_ns = r->recv_ns + (uint64_t)off + fw * 1000u;
  t->start_at = since(p, start_ns);
  if (t->start_at < t->sent_at + fw)
    t->start_at = t->sent_at + fw;
  if (t->start_at > t->done_at)
    t->start_at = t->done_at;
  run = min_u64(r->run_us, t->held_us - fw);
  run = min_u64(run, t->done_at - t->start_at);
  t->end_at = t->start_at + run;
  t->scan_bytes = r->scan_bytes;
  t->result_bytes = r->result_bytes;
}

void dusk__profile_parts(const sched_profile *p, const char *key,
                         uint64_t now_ns,
                         void (*part_fn)(void *ctx, const dusk_msg *m),
                         void *ctx) {
  dusk_task_profile part[DUSK_PROFILE_PART_MAX];
  dusk_msg m;
  size_t i = 0, nw;
  worker_offset *offs = worker_offsets(p, &nw);
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_PROFILE;
  m.u.profile.key.ptr = key;
  m.u.profile.key.len = strnlen(key, DUSK_PROFILE_KEY_MAX);
  m.u.profile.attempts = p->attempts;
  m.u.profile.ntasks = p->ntasks;
  m.u.profile.wall_us = since(p, now_ns);
  m.u.profile.planned_us =
      p->planned_ns != 0 ? since(p, p->planned_ns) : m.u.profile.wall_us;
  m.u.profile.tasks = part;
  do {
    uint32_t n = 0;
    for (; i < p->n && n < DUSK_PROFILE_PART_MAX; i++) {
      const prof_rec *r = &p->recs[i];
      size_t j = 0;
      if (!r->done)
        continue;
      while (offs[j].worker != r->worker) /* every done worker is there */
        j++;
      to_wire(p, r, offs[j].off, m.u.profile.wall_us, &part[n++]);
    }
    m.u.profile.n = n;
    m.u.profile.last = i >= p->n;
    part_fn(ctx, &m);
  } while (i < p->n);
  free(offs);
}

static void send_part(void *conn, const dusk_msg *m) {
  dusk_xcheck(dusk_conn_send(conn, m));
}

void dusk__profile_send(const sched_profile *p, dusk_conn *conn,
                        const char *key, uint64_t now_ns) {
  dusk__profile_parts(p, key, now_ns, send_part, conn);
}
