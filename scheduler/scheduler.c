/* scheduler.c - task and worker state machines, placement and the daemon's
 * message handlers.
 *
 * Ownership: every task belongs to the client that submitted it and lives in
 * that client's key map until it is forgotten.  Workers see tasks only by a
 * 64-bit id that is fresh for every attempt, so a late message about an
 * earlier attempt (a task moved away from a dead or slow worker) never
 * matches anything and is ignored.
 *
 * Reference counts: `nwaiting` is the number of inputs not in memory;
 * `nwaiters` is the number of dependents that have not finished yet plus one
 * if a client wants the key.  A result whose nwaiters reaches zero is
 * released on its worker; a task that is not finished when it reaches zero is
 * abandoned (that is how cancel reaches a whole graph).  Records of released
 * tasks stay while any dependent record exists, so results lost with a worker
 * can be recomputed from their lineage. */
#include "scheduler.h"

#include "internal.h"
#include "auth.h"
#include "buf.h"
#include "conn.h"
#include "dashboard.h"
#include "hashmap.h"
#include "heap.h"
#include "log.h"
#include "msg.h"
#include "xalloc.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CFG(field) offsetof(dusk_scheduler_config, field)
const dusk_cfg_entry dusk_scheduler_config_table[] = {
    {"host", DUSK_CFG_STR, "127.0.0.1", 0, 0, CFG(host),
     "address to listen on"},
    {"port", DUSK_CFG_INT, "8786", 0, 65535, CFG(port),
     "port to listen on, 0 = ephemeral"},
    {"token-file", DUSK_CFG_STR, NULL, 0, 0, CFG(token_file),
     "file holding the shared token (required off loopback)"},
    {"tls-cert", DUSK_CFG_STR, NULL, 0, 0, CFG(tls_cert),
     "PEM certificate: with --tls-key and --tls-ca, every connection is TLS"},
    {"tls-key", DUSK_CFG_STR, NULL, 0, 0, CFG(tls_key),
     "PEM private key of --tls-cert"},
    {"tls-ca", DUSK_CFG_STR, NULL, 0, 0, CFG(tls_ca),
     "PEM CA bundle; peers must present a certificate it signed"},
    {"ready-fd", DUSK_CFG_INT, "-1", -1, 1 << 20, CFG(ready_fd),
     "write 'READY <port>' to this fd once listening"},
    {"log-level", DUSK_CFG_STR, "info", 0, 0, CFG(log_level),
     "debug, info, warn or error"},
    {"worker-queue", DUSK_CFG_INT, "4", 1, 4096, CFG(worker_queue),
     "tasks in flight per worker until their run time is known"},
    {"worker-queue-max", DUSK_CFG_INT, "256", 1, 65536, CFG(worker_queue_max),
     "most tasks in flight per worker (for very short tasks)"},
    {"queue-budget-us", DUSK_CFG_INT, "2000", 0, 60000000,
     CFG(queue_budget_us),
     "run time of the work queued on a worker beyond its running task"},
    {"heartbeat-ms", DUSK_CFG_INT, "500", 10, 60000, CFG(heartbeat_ms),
     "heartbeat interval workers use"},
    {"worker-timeout-ms", DUSK_CFG_INT, "10000", 50, 3600000,
     CFG(worker_timeout_ms), "silence after which a worker is gone"},
    {"max-retries", DUSK_CFG_INT, "3", 1, 100, CFG(max_retries),
     "worker deaths while running a task before it is erred"},
    {"max-frame", DUSK_CFG_INT, "67108864", 4096, 1073741824, CFG(max_frame),
     "largest frame body accepted, bytes"},
    {"max-outbuf", DUSK_CFG_INT, "268435456", 1048576, 17179869184,
     CFG(max_outbuf), "output queued per connection before it is cut, bytes"},
    {"handshake-ms", DUSK_CFG_INT, "5000", 10, 600000, CFG(handshake_ms),
     "time a connecting peer has to authenticate"},
    /* The minimums leave room for the keys and ops queries submit. */
    {"max-key-bytes", DUSK_CFG_INT, "4096", 256, 1048576, CFG(max_key_bytes),
     "longest task key a client may submit, bytes"},
    {"max-op-bytes", DUSK_CFG_INT, "255", 16, 65536, CFG(max_op_bytes),
     "longest op name a client may submit, bytes"},
    {"fetch-retries", DUSK_CFG_INT, "5", 0, 100, CFG(fetch_retries),
     "reruns of a task whose input could not be fetched from a worker that "
     "still looks alive"},
    {"chore-ms", DUSK_CFG_INT, "100", 10, 60000, CFG(chore_ms),
     "interval of the periodic chore: worker timeouts, parked tasks, "
     "handshake deadlines"},
    {"query-attempts", DUSK_CFG_INT, "12", 1, 1000, CFG(query_attempts),
     "runs of a dataframe query, widening a column or fixing quote states "
     "between them"},
    {"blocksize", DUSK_CFG_INT, "67108864", 4096, 17179869184,
     CFG(blocksize), "bytes per partition of a CSV file when the query "
     "gives no blocksize"},
    {"sample-bytes", DUSK_CFG_INT, "262144", 1024, 1073741824,
     CFG(sample_bytes), "bytes of a query's first file read to infer the "
     "column types"},
    {"combine-fanin", DUSK_CFG_INT, "8", 2, 1024, CFG(combine_fanin),
     "partial results one df_combine task merges"},
    {"max-field", DUSK_CFG_INT, "1048576", 1024, 1073741824, CFG(max_field),
     "longest CSV field a query reads (sampling and scans), bytes"},
    {"autoscale", DUSK_CFG_STR, NULL, 0, 0, CFG(autoscale),
     "grow and shrink the cluster with the work: the provider command, run "
     "by /bin/sh as `CMD up K`, `CMD down ID...` and `CMD list` "
     "(deploy/README.md, \"Autoscaling\"); needs --max-workers"},
    {"min-workers", DUSK_CFG_INT, "0", 0, 100000, CFG(min_workers),
     "autoscale: fewest hosts kept (a host is what one `up` starts: one "
     "machine, running one worker per vCPU)"},
    {"max-workers", DUSK_CFG_INT, "-1", -1, 100000, CFG(max_workers),
     "autoscale: most hosts started, pending ones included (-1: not given)"},
    {"autoscale-interval", DUSK_CFG_SECONDS, "1", 50, 3600000,
     CFG(autoscale_interval_ms), "autoscale: how often the target is "
                                  "computed and acted on"},
    {"autoscale-target-duration", DUSK_CFG_SECONDS, "5", 1, 86400000,
     CFG(autoscale_target_ms), "autoscale: the expected run time of the "
     "queued work each worker should hold (Dask's target-duration)"},
    {"autoscale-wait-count", DUSK_CFG_INT, "3", 1, 1000,
     CFG(autoscale_wait_count), "autoscale: consecutive ticks an idle host "
     "must be recommended for stopping before it is stopped"},
    {"autoscale-cooldown", DUSK_CFG_SECONDS, "60", 0, 86400000,
     CFG(autoscale_cooldown_ms), "autoscale: no host is stopped this soon "
     "after the last start, so a load that comes and goes keeps its hosts"},
    {"autoscale-boot-timeout", DUSK_CFG_SECONDS, "600", 1, 86400000,
     CFG(autoscale_boot_timeout_ms), "autoscale: a started host whose "
     "workers have not registered by then is stopped"},
    {"autoscale-timeout", DUSK_CFG_SECONDS, "300", 1, 86400000,
     CFG(autoscale_timeout_ms), "autoscale: a provider command running "
     "longer is killed, with everything it started"},
    {"autoscale-list-interval", DUSK_CFG_SECONDS, "60", 1, 86400000,
     CFG(autoscale_list_ms), "autoscale: how often `CMD list` reconciles "
     "the hosts (adopting listed ones, forgetting vanished ones)"},
    {"autoscale-contact", DUSK_CFG_STR, NULL, 0, 0, CFG(autoscale_contact),
     "autoscale: the tcp://HOST:PORT the provider's workers dial, given to "
     "it as DUSK_SCHEDULER_ADDRESS (default: --host, or this host's name "
     "when --host is a wildcard, and the port)"},
    {"dashboard-port", DUSK_CFG_INT, "8787", 0, 65535, CFG(dashboard_port),
     "HTTP port of /status, /metrics and /health on --host (0 = a free "
     "port; if it is taken, a free port is used with a warning)"},
    {"no-dashboard", DUSK_CFG_FLAG, NULL, 0, 0, CFG(no_dashboard),
     "serve no HTTP endpoint"},
    {"dashboard-insecure", DUSK_CFG_FLAG, NULL, 0, 0,
     CFG(dashboard_insecure),
     "serve the endpoint over plain HTTP on a non-loopback --host too "
     "(without TLS it is otherwise served on loopback only, since the "
     "token it asks for would cross the network in the clear)"},
    {"dashboard-connections", DUSK_CFG_INT, "64", 1, 4096,
     CFG(dashboard_connections),
     "HTTP connections open at once; more are refused"},
    {"dashboard-timeout", DUSK_CFG_SECONDS, "10", 1000, 3600000,
     CFG(dashboard_timeout_ms),
     "idle HTTP connections are closed after this"},
    {"dashboard-header-bytes", DUSK_CFG_INT, "16384", 4096, 1048576,
     CFG(dashboard_header_bytes),
     "memory per HTTP connection: its request line and headers must fit"},
    {"dashboard-interval-ms", DUSK_CFG_INT, "500", 50, 60000,
     CFG(dashboard_interval_ms),
     "how often the loop publishes the snapshot the endpoint serves"},
    {"dashboard-session", DUSK_CFG_SECONDS, "43200", 60000, 2592000000,
     CFG(dashboard_session_ms),
     "lifetime of the session cookie POST /login sets"},
};
const size_t dusk_scheduler_config_count =
    sizeof dusk_scheduler_config_table / sizeof dusk_scheduler_config_table[0];

static const char *const state_names[] = {"waiting", "ready", "processing",
                                          "memory", "erred", "released"};
_Static_assert(sizeof state_names / sizeof state_names[0] == T_RELEASED + 1,
               "one name per task state");

static void schedule_ready(dusk_scheduler *s);
static void task_ready(dusk_scheduler *s, sched_task *t);
static void park(dusk_scheduler *s, sched_task *t);
static void release_waiter(dusk_scheduler *s, sched_task *dep);
static void maybe_forget(dusk_scheduler *s, sched_task *t);

/* Every state change after creation goes through here, so the per-state
 * counts (and the finished / erred totals) the dashboard reports stay
 * exact at O(1) per transition. */
/* Whether a task in state st has still to run. */
static int state_busy(uint8_t st) { return st <= T_PROCESSING; }

/* A graph task entering (busy) or leaving its client's work to run: the
 * client's graph progress.  A first task after idleness starts a new
 * count, as a progress bar over what the client waits for. */
static void graph_progress(sched_task *t, int busy) {
  sched_client *c = t->client;
  if (c == NULL || t->of_query)
    return;
  if (busy) {
    if (c->graph_busy++ == 0) {
      c->graph_total = c->graph_done = 0;
      c->graph_start_ns = dusk_now_ns();
    }
    c->graph_total++;
  } else {
    c->graph_busy--;
    c->graph_done++;
  }
}

static void set_state(dusk_scheduler *s, sched_task *t, uint8_t st) {
  if (state_busy(t->state) != state_busy(st))
    graph_progress(t, state_busy(st));
  s->nstate[t->state]--;
  s->nstate[st]++;
  if (st == T_MEMORY)
    s->nfinished++;
  else if (st == T_ERRED)
    s->nerred++;
  t->state = st;
}

/* ---- worker lists -------------------------------------------------------- */

static void free_list_update(dusk_scheduler *s, sched_worker *w) {
  int want = w->registered && !w->leaving && w->nprocessing < w->capacity;
  if (want == w->in_free)
    return;
  if (want) {
    w->fprev = NULL;
    w->fnext = s->free_workers;
    if (s->free_workers)
      s->free_workers->fprev = w;
    s->free_workers = w;
  } else {
    if (w->fprev)
      w->fprev->fnext = w->fnext;
    else
      s->free_workers = w->fnext;
    if (w->fnext)
      w->fnext->fprev = w->fprev;
    w->fprev = w->fnext = NULL;
  }
  w->in_free = want;
}

/* The free worker with the fewest tasks in flight (the first of the
 * free list on a tie, looking at most at 64 of them): a burst of ready
 * tasks - a query's first scans, before any run time sets the workers'
 * capacities - is spread over the workers rather than queued on the
 * list's head up to its capacity, while another worker idles.  NULL
 * when none is free. */
static sched_worker *least_loaded_free(const dusk_scheduler *s) {
  sched_worker *best = s->free_workers;
  int n = 0;
  for (sched_worker *w = s->free_workers; w != NULL && n < 64;
       w = w->fnext, n++)
    if (w->nprocessing < best->nprocessing)
      best = w;
  return best;
}

/* holder, a free worker holding a task's input, unless a free worker
 * has fewer tasks in flight: moving the input costs less than queueing
 * behind holder while that one idles (the right tables and join tasks of
 * a shuffle all followed their largest input to one worker). */
static sched_worker *nearer_or_idle(const dusk_scheduler *s,
                                    sched_worker *holder) {
  sched_worker *idle = least_loaded_free(s);
  return idle != NULL && idle->nprocessing < holder->nprocessing ? idle
                                                                 : holder;
}

static void wlist_add(sched_task **head, sched_task *t) {
  t->wprev = NULL;
  t->wnext = *head;
  if (*head)
    (*head)->wprev = t;
  *head = t;
}

static void wlist_remove(sched_task **head, sched_task *t) {
  if (t->wprev)
    t->wprev->wnext = t->wnext;
  else
    *head = t->wnext;
  if (t->wnext)
    t->wnext->wprev = t->wprev;
  t->wprev = t->wnext = NULL;
}

/* ---- messages to peers --------------------------------------------------- */

static void send_release(sched_worker *w, uint64_t id) {
  dusk_msg m;
  if (w == NULL || w->conn == NULL)
    return;
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_RELEASE;
  m.u.release.n = 1;
  m.u.release.ids = &id;
  dusk_xcheck(dusk_conn_send(w->conn, &m));
}

static dusk_slice cslice(const char *p) {
  dusk_slice s = {p ? p : "", p ? strlen(p) : 0};
  return s;
}

static void notify_client(sched_task *t) {
  sched_client *c = t->client;
  dusk_msg m;
  if (c == NULL || c->conn == NULL || !t->wanted)
    return;
  if (t->query != NULL) {
    dusk__query_final(c->s, t);
    return;
  }
  {
    const sched_task *root = t->erred_from ? t->erred_from : t;
    /* A result or a failure; a cancel is no latency. */
    if (t->state == T_MEMORY || root->message != NULL)
      dusk__sched_graph_latency(c->s, t->wanted_ns);
    t->wanted_ns = 0;
  }
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_KEY_STATE;
  m.u.key_state.key.ptr = t->key;
  m.u.key_state.key.len = t->keylen;
  m.u.key_state.addr = cslice("");
  m.u.key_state.erred_key = cslice("");
  m.u.key_state.op = cslice(t->op);
  m.u.key_state.message = cslice("");
  if (t->state == T_MEMORY) {
    m.u.key_state.state = DUSK_KEY_MEMORY;
    m.u.key_state.id = t->id;
    m.u.key_state.addr = cslice(t->worker->addr);
    m.u.key_state.nbytes = t->nbytes;
  } else {
    sched_task *root = t->erred_from ? t->erred_from : t;
    m.u.key_state.state =
        root->message == NULL ? DUSK_KEY_CANCELED : DUSK_KEY_ERRED;
    m.u.key_state.erred_key.ptr = root->key;
    m.u.key_state.erred_key.len = root->keylen;
    m.u.key_state.op = cslice(root->op);
    m.u.key_state.message = cslice(root->message ? root->message
                                                 : "canceled");
  }
  dusk_xcheck(dusk_conn_send(c->conn, &m));
}

/* Tells the client its graph was refused: under every wanted key of the
 * graph (so waits on them end), or under the offending key if none. */
static void graph_error(sched_client *c, const char *key, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));
static void graph_error(sched_client *c, const char *key, const char *fmt,
                        ...) {
  char text[512];
  dusk_msg m;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_KEY_STATE;
  m.u.key_state.state = DUSK_KEY_GRAPH_ERROR;
  m.u.key_state.addr = cslice("");
  m.u.key_state.erred_key = cslice(key);
  m.u.key_state.op = cslice("");
  m.u.key_state.message = cslice(text);
  for (size_t i = 0; i < c->npending_wanted; i++) {
    m.u.key_state.key = cslice(c->pending_wanted[i]);
    dusk_xcheck(dusk_conn_send(c->conn, &m));
  }
  if (c->npending_wanted == 0) {
    m.u.key_state.key = cslice(key);
    dusk_xcheck(dusk_conn_send(c->conn, &m));
  }
}

/* ---- task attempts ------------------------------------------------------- */

static void new_attempt_id(dusk_scheduler *s, sched_task *t) {
  if (t->id != 0)
    dusk_idmap_del(&s->tasks_by_id, t->id);
  t->id = ++s->next_task_id;
  dusk_xcheck(dusk_idmap_put(&s->tasks_by_id, t->id, t));
}

/* Gives up the copy of t's result being made for its leaving holder (the
 * copy, if it still arrives, is unknown and released).  Returns that holder,
 * or NULL when no copy was under way. */
static sched_worker *cancel_move(dusk_scheduler *s, sched_task *t) {
  sched_worker *from = t->move_from;
  if (t->move_id == 0)
    return NULL;
  dusk_idmap_del(&s->tasks_by_id, t->move_id);
  t->move_id = 0;
  t->move_from = NULL;
  if (from != NULL)
    from->nmoving--;
  return from;
}

/* Forgets t's attempt id, and any copy of its result under way (the
 * holder's leave then completes in the chore). */
static void drop_attempt_id(dusk_scheduler *s, sched_task *t) {
  if (t->id != 0)
    dusk_idmap_del(&s->tasks_by_id, t->id);
  t->id = 0;
  cancel_move(s, t);
}

/* Sends t to w.  Inputs held by w go without an address; others name the
 * data address of their holder so w fetches them directly. */
static void send_compute(dusk_scheduler *s, sched_task *t, sched_worker *w) {
  dusk_dep small[8], *deps = small;
  dusk_msg m;

  assert(t->state == T_READY && t->worker == NULL);
  assert(w->registered && !w->leaving);
  new_attempt_id(s, t);
  set_state(s, t, T_PROCESSING);
  t->start_ns = dusk_now_ns();
  t->worker = w;
  wlist_add(&w->processing, t);
  w->nprocessing++;
  free_list_update(s, w);

  if (t->ndeps > 8)
    deps = dusk_xmalloc(t->ndeps * sizeof *deps);
  for (uint32_t i = 0; i < t->ndeps; i++) {
    sched_task *d = t->deps[i];
    deps[i].id = d->id;
    deps[i].addr = d->worker == w ? cslice("") : cslice(d->worker->addr);
  }
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_COMPUTE;
  m.u.compute.id = t->id;
  m.u.compute.op = cslice(t->op);
  m.u.compute.args.ptr = t->args;
  m.u.compute.args.len = t->args_len;
  m.u.compute.ndeps = t->ndeps;
  m.u.compute.deps = deps;
  dusk_xcheck(dusk_conn_send(w->conn, &m));
  if (deps != small)
    free(deps);
}

/* Placement: the worker holding the most input bytes if it has a free slot,
 * else any worker with a free slot (the most recently freed: consecutive
 * roots land together, so their reductions need no transfer), else the
 * ready heap until a slot frees. */
static void task_ready(dusk_scheduler *s, sched_task *t) {
  sched_worker *best = NULL;
  uint64_t best_bytes = 0;
  assert(t->state == T_WAITING && t->nwaiting == 0);
  set_state(s, t, T_READY);
  t->parked = 0;
  if (t->prof_query != 0) {
    sched_profile *p = dusk__query_profile(t->client, t->prof_query);
    if (p != NULL)
      dusk__profile_ready(p, t->prof_slot, dusk_now_ns());
  }
  for (uint32_t i = 0; i < t->ndeps; i++) {
    sched_task *d = t->deps[i];
    if (d->stay && d->state == T_MEMORY && d->worker != NULL &&
        d->worker->registered && !d->worker->leaving) {
      /* A persisted partition's reader runs where the partition is. */
      if (d->worker->in_free) {
        send_compute(s, t, d->worker);
      } else {
        t->pinned_to = d->worker;
        dusk_heap_push(&d->worker->pinned, &t->heap);
      }
      return;
    }
    if (d->worker != NULL && (best == NULL || d->nbytes > best_bytes)) {
      best = d->worker;
      best_bytes = d->nbytes;
    }
  }
  if (best == NULL || !best->in_free)
    best = least_loaded_free(s);
  else
    best = nearer_or_idle(s, best);
  if (best != NULL && s->ready.len == 0) {
    send_compute(s, t, best);
    return;
  }
  t->heap.priority = t->heap.priority; /* set at submission */
  dusk_heap_push(&s->ready, &t->heap);
  schedule_ready(s);
}

/* Hands ready tasks, best priority first, to workers with free slots:
 * first each free worker's pinned tasks, then the ready heap's. */
static void schedule_ready(dusk_scheduler *s) {
  sched_worker *fw, *next;
  for (fw = s->free_workers; fw != NULL; fw = next) {
    next = fw->fnext;
    while (fw->pinned.len > 0 && fw->in_free) {
      sched_task *t = (sched_task *)dusk_heap_pop(&fw->pinned);
      t->pinned_to = NULL;
      send_compute(s, t, fw);
    }
  }
  while (s->ready.len > 0 && s->free_workers != NULL) {
    sched_task *t = (sched_task *)dusk_heap_pop(&s->ready);
    sched_worker *w = least_loaded_free(s);
    /* Prefer a free worker already holding an input. */
    for (uint32_t i = 0; i < t->ndeps; i++)
      if (t->deps[i]->worker && t->deps[i]->worker->in_free) {
        w = nearer_or_idle(s, t->deps[i]->worker);
        break;
      }
    send_compute(s, t, w);
  }
}

/* Leaves the processing state on its worker without a result. */
static void unassign(dusk_scheduler *s, sched_task *t, int cancel_on_worker) {
  sched_worker *w = t->worker;
  if (t->state == T_PROCESSING && w != NULL) {
    wlist_remove(&w->processing, t);
    w->nprocessing--;
    if (cancel_on_worker)
      send_release(w, t->id);
    free_list_update(s, w);
  }
  if (t->state == T_READY && t->pinned_to != NULL) {
    dusk_heap_remove(&t->pinned_to->pinned, &t->heap);
    t->pinned_to = NULL;
  } else if (t->state == T_READY) {
    dusk_heap_remove(&s->ready, &t->heap);
  }
  drop_attempt_id(s, t);
  t->worker = NULL;
}

static int is_done(const sched_task *t) {
  return t->state == T_MEMORY || t->state == T_ERRED ||
         t->state == T_RELEASED;
}

/* A task that will never run again stops waiting on its inputs. */
static void stop_waiting_on_deps(dusk_scheduler *s, sched_task *t) {
  for (uint32_t i = 0; i < t->ndeps; i++)
    release_waiter(s, t->deps[i]);
}

/* Errs t and everything downstream that has not finished.  root is the task
 * whose failure it was (carrying the message), or t itself. */
static void task_erred(dusk_scheduler *s, sched_task *t, sched_task *root) {
  sched_task **stack = NULL;
  size_t n = 0, cap = 0;

#define PUSH(x)                                                              \
  do {                                                                       \
    if (n == cap) {                                                          \
      cap = cap ? cap * 2 : 16;                                              \
      stack = dusk_xrealloc(stack, cap * sizeof *stack);                     \
    }                                                                        \
    stack[n++] = (x);                                                        \
  } while (0)

  PUSH(t);
  while (n > 0) {
    sched_task *x = stack[--n];
    if (is_done(x))
      continue;
    unassign(s, x, 1);
    set_state(s, x, T_ERRED);
    x->erred_from = x == root ? NULL : root;
    notify_client(x);
    for (uint32_t i = 0; i < x->ndependents; i++)
      PUSH(x->dependents[i]);
    stop_waiting_on_deps(s, x);
    maybe_forget(s, x);
  }
  free(stack);
#undef PUSH
}

/* One fewer consumer for dep's result. */
static void release_waiter(dusk_scheduler *s, sched_task *dep) {
  if (dep->nwaiters == 0)
    return;
  if (--dep->nwaiters > 0)
    return;
  switch (dep->state) {
  case T_MEMORY:
    assert(dep->worker != NULL);
    send_release(dep->worker, dep->id);
    wlist_remove(&dep->worker->memory, dep);
    dep->worker = NULL;
    drop_attempt_id(s, dep);
    set_state(s, dep, T_RELEASED);
    break;
  case T_WAITING:
  case T_READY:
  case T_PROCESSING:
    /* Nobody wants it any more: abandon it and what only it needed. */
    unassign(s, dep, 1);
    set_state(s, dep, T_RELEASED);
    stop_waiting_on_deps(s, dep);
    break;
  default:
    break;
  }
  maybe_forget(s, dep);
}

/* ---- forgetting records -------------------------------------------------- */

/* A copy of a TASK_FAILED's typed fields, or NULL for a reason that has
 * none. */
static sched_failure *failure_new(const dusk_msg_task_failed *f) {
  sched_failure *x;
  if (f->reason != DUSK_FAIL_WIDEN && f->reason != DUSK_FAIL_QUOTES &&
      f->reason != DUSK_FAIL_MIXED)
    return NULL;
  x = dusk_xcalloc(1, sizeof *x);
  x->reason = f->reason;
  if (f->reason == DUSK_FAIL_WIDEN) { /* the decoder saw a column */
    x->type = f->type;
    x->column = dusk_xmemdup(f->column.ptr, f->column.len);
    x->column_len = f->column.len;
  }
  x->nquotes = f->nquotes;
  if (f->nquotes > 0) {
    x->quotes = dusk_xcalloc(f->nquotes, sizeof *x->quotes);
    memcpy(x->quotes, f->quotes, f->nquotes * sizeof *x->quotes);
  }
  x->nmixed = f->nmixed;
  if (f->nmixed > 0) {
    x->mixed = dusk_xcalloc(f->nmixed, sizeof *x->mixed);
    x->mixed_len = dusk_xcalloc(f->nmixed, sizeof *x->mixed_len);
    for (uint32_t i = 0; i < f->nmixed; i++) {
      x->mixed[i] = dusk_xmemdup(f->mixed[i].ptr, f->mixed[i].len);
      x->mixed_len[i] = f->mixed[i].len;
    }
  }
  return x;
}

static void failure_free(sched_failure *f) {
  if (f == NULL)
    return;
  free(f->column);
  free(f->quotes);
  for (uint32_t i = 0; i < f->nmixed; i++)
    free(f->mixed[i]);
  free(f->mixed);
  free(f->mixed_len);
  free(f);
}

static void task_free(dusk_scheduler *s, sched_task *t) {
  if (state_busy(t->state))
    graph_progress(t, 0);
  if (t->client != NULL)
    dusk_strmap_del(&t->client->tasks, t->key, t->keylen);
  drop_attempt_id(s, t);
  free(t->dependents);
  free(t->message);
  failure_free(t->failure);
  s->nstate[t->state]--;
  free(t);
  s->ntasks--;
}

/* Frees t's record once nobody can need it: finished or abandoned, not
 * wanted, and no dependent record left (they might need recomputation from
 * it).  Then its inputs may become forgettable in turn. */
static void maybe_forget(dusk_scheduler *s, sched_task *t) {
  sched_task **stack = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if ((t->state == T_RELEASED || t->state == T_ERRED) && !t->wanted &&
        t->nalive_dependents == 0 && t->nwaiters == 0 && !t->pending) {
      for (uint32_t i = 0; i < t->ndeps; i++) {
        sched_task *d = t->deps[i];
        /* Only the last dependent going puts d on the stack: an input
         * reached twice (sum(a, a), or a and b where b needs a too) must
         * not be visited again after it is freed. */
        if (--d->nalive_dependents > 0)
          continue;
        if (n == cap) {
          cap = cap ? cap * 2 : 16;
          stack = dusk_xrealloc(stack, cap * sizeof *stack);
        }
        stack[n++] = d;
      }
      task_free(s, t);
    }
    if (n == 0)
      break;
    t = stack[--n];
  }
  free(stack);
}

/* A worker keeps its running task plus a queue sized in time rather than
 * count: enough queued tasks to cover queue_budget_us of their average run
 * time, so it never idles waiting for the next message, while long tasks
 * are not hoarded by one worker when another could start them. */
static void update_capacity(dusk_scheduler *s, sched_worker *w,
                            uint64_t run_us) {
  double cap;
  w->ema_run_us = w->ema_run_us == 0
                      ? (double)run_us + 1
                      : 0.9 * w->ema_run_us + 0.1 * ((double)run_us + 1);
  cap = 1 + (double)s->cfg.queue_budget_us / w->ema_run_us;
  if (cap < 2)
    cap = 2;
  if (cap > (double)s->cfg.worker_queue_max)
    cap = (double)s->cfg.worker_queue_max;
  w->capacity = (uint32_t)cap;
}

/* ---- completion and loss ------------------------------------------------- */

static void task_done(dusk_scheduler *s, sched_worker *w, sched_task *t,
                      const dusk_msg_task_done *m) {
  uint64_t nbytes = m->nbytes;
  assert(t->state == T_PROCESSING && t->worker == w);
  dusk__dash_task_event(s, w, t->op, t->start_ns);
  if (t->prof_query != 0) {
    sched_profile *p = dusk__query_profile(t->client, t->prof_query);
    if (p != NULL)
      dusk__profile_done(p, t->prof_slot, w, t->start_ns, m, dusk_now_ns());
  }
  wlist_remove(&w->processing, t);
  w->nprocessing--;
  update_capacity(s, w, m->run_us);
  free_list_update(s, w);
  set_state(s, t, T_MEMORY);
  t->nbytes = nbytes;
  wlist_add(&w->memory, t);
  for (uint32_t i = 0; i < t->ndependents; i++) {
    sched_task *d = t->dependents[i];
    if (d->state == T_WAITING && d->nwaiting > 0 && --d->nwaiting == 0)
      task_ready(s, d);
  }
  notify_client(t);
  stop_waiting_on_deps(s, t);
  if (t->nwaiters == 0) {
    t->nwaiters = 1;
    release_waiter(s, t);
  }
}

/* t must be computed (again): it waits for its inputs, recomputing those
 * that were released or lost. */
static void recompute(dusk_scheduler *s, sched_task *t) {
  sched_task **stack = NULL;
  size_t n = 0, cap = 0;
  stack = dusk_xmalloc(16 * sizeof *stack);
  cap = 16;
  stack[n++] = t;
  while (n > 0) {
    sched_task *x = stack[--n];
    /* A task reached twice (a shared input) is set waiting only once. */
    if (x->state != T_RELEASED)
      continue;
    set_state(s, x, T_WAITING);
    x->nwaiting = 0;
    for (uint32_t i = 0; i < x->ndeps; i++) {
      sched_task *d = x->deps[i];
      d->nwaiters++;
      if (d->state == T_MEMORY)
        continue;
      x->nwaiting++;
      if (d->state == T_RELEASED) {
        if (n == cap) {
          cap *= 2;
          stack = dusk_xrealloc(stack, cap * sizeof *stack);
        }
        stack[n++] = d;
      }
    }
    if (x->nwaiting == 0)
      task_ready(s, x);
  }
  free(stack);
}

/* A dependent that counted `lost` as available must wait for it again. */
static void dependent_lost_input(dusk_scheduler *s, sched_task *d) {
  switch (d->state) {
  case T_WAITING:
    d->nwaiting++;
    break;
  case T_READY:
  case T_PROCESSING:
    unassign(s, d, 1);
    set_state(s, d, T_WAITING);
    d->nwaiting = 1;
    break;
  default:
    break;
  }
}

/* w's tasks in flight go back to waiting (ready when their inputs are
 * there).  A dead worker makes them suspicious: after max_retries such
 * deaths a task errs.  A leaving worker does not. */
static void requeue_processing(dusk_scheduler *s, sched_worker *w) {
  sched_task *t;
  while ((t = w->processing) != NULL) {
    assert(t->state == T_PROCESSING && t->worker == w);
    wlist_remove(&w->processing, t);
    w->nprocessing--;
    drop_attempt_id(s, t);
    t->worker = NULL;
    set_state(s, t, T_WAITING);
    if (!w->leaving && ++t->suspicious >= s->cfg.max_retries) {
      char text[400];
      snprintf(text, sizeof text, "worker died %u times running %s (op %s)",
               t->suspicious, t->key, t->op);
      free(t->message);
      t->message = dusk_xstrdup(text);
      dusk__dash_failure(s, "task-erred", w, t->key, text);
      task_erred(s, t, t);
      continue;
    }
    t->nwaiting = 0;
    for (uint32_t i = 0; i < t->ndeps; i++) {
      sched_task *d = t->deps[i];
      /* After a death, inputs lost with the worker are already set
       * recomputing; while it leaves, they are still in memory there. */
      if (d->state != T_MEMORY)
        t->nwaiting++;
    }
    if (t->nwaiting == 0)
      task_ready(s, t);
  }
}

/* w no longer takes work: the tasks pinned to it are placed afresh. */
static void unpin_all(dusk_scheduler *s, sched_worker *w) {
  while (w->pinned.len > 0) {
    sched_task *t = (sched_task *)dusk_heap_pop(&w->pinned);
    t->pinned_to = NULL;
    set_state(s, t, T_WAITING);
    task_ready(s, t);
  }
}

static void remove_worker(dusk_scheduler *s, sched_worker *w, int level,
                          const char *why) {
  sched_task *t;
  if (!w->registered)
    return;
  dusk_log(level,
           "worker %" PRIu64 " (%s pid %" PRId64 ") removed: %s; %u tasks "
           "processing",
           w->id, w->addr, w->pid, why, w->nprocessing);
  dusk__dash_failure(s, "worker-removed", w, "", why);
  w->registered = 0;
  free_list_update(s, w);
  dusk_idmap_del(&s->workers, w->id);
  s->nworkers--;

  /* Results that lived only here are lost: whoever still needs them gets
   * them recomputed from their lineage. */
  while ((t = w->memory) != NULL) {
    assert(t->state == T_MEMORY && t->worker == w);
    wlist_remove(&w->memory, t);
    t->worker = NULL;
    drop_attempt_id(s, t);
    set_state(s, t, T_RELEASED);
    if (t->nwaiters > 0) {
      for (uint32_t i = 0; i < t->ndependents; i++)
        dependent_lost_input(s, t->dependents[i]);
      /* recompute() counts its inputs' waiters afresh; this task had
       * already stopped waiting on them when it finished. */
      recompute(s, t);
    }
  }
  requeue_processing(s, w);
  unpin_all(s, w);
  schedule_ready(s);
}

/* ---- graceful leave ------------------------------------------------------
 * A worker that says LEAVING gets no new tasks; its tasks in flight move on
 * without suspicion, and each result it holds that is still needed is copied
 * to another worker (an "identity" task that fetches it from the leaving
 * worker, which keeps serving until we close).  Once the copies are in (or
 * given up), the worker is removed and told goodbye; what could not be
 * copied is recomputed from lineage as after a death.  Without this, every
 * scale-down would throw away intermediate results and, under steady churn,
 * a big graph could lose work faster than it makes it. */

/* A registered worker other than `except` that is not leaving, taking
 * turns; NULL if there is none. */
static sched_worker *pick_target(dusk_scheduler *s, sched_worker *except) {
  size_t cap = s->workers.cap;
  for (size_t k = 0; k < cap; k++) {
    sched_worker *b = s->workers.slots[(s->move_rr + k) % cap].value;
    if (b != NULL && b != except && b->registered && !b->leaving &&
        b->conn != NULL) {
      s->move_rr = (s->move_rr + k + 1) % cap;
      return b;
    }
  }
  return NULL;
}

static void start_move(dusk_scheduler *s, sched_task *t, sched_worker *to) {
  sched_worker *from = t->worker;
  dusk_dep dep;
  dusk_msg m;
  assert(t->state == T_MEMORY && t->move_id == 0 && from->leaving);
  t->move_id = ++s->next_task_id;
  dusk_xcheck(dusk_idmap_put(&s->tasks_by_id, t->move_id, t));
  t->move_from = from;
  from->nmoving++;
  dep.id = t->id;
  dep.addr = cslice(from->addr);
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_COMPUTE;
  m.u.compute.id = t->move_id;
  m.u.compute.op = cslice("identity");
  m.u.compute.ndeps = 1;
  m.u.compute.deps = &dep;
  dusk_xcheck(dusk_conn_send(to->conn, &m));
}

/* All copies are in (or given up): remove w and say goodbye. */
static void finish_leave(dusk_scheduler *s, sched_worker *w) {
  char why[96];
  assert(w->registered && w->leaving && w->nmoving == 0);
  snprintf(why, sizeof why, "left the cluster, %u results handed over",
           w->nmoved);
  remove_worker(s, w, DUSK_LOG_INFO, why);
  /* Our close is its cue to exit (it waits for it, bounded). */
  if (w->conn != NULL)
    dusk_conn_close(w->conn, 0, "worker left");
}

static void start_leave(dusk_scheduler *s, sched_worker *w) {
  sched_task *t, *next;
  assert(w->registered && !w->leaving);
  w->leaving = 1;
  free_list_update(s, w);
  requeue_processing(s, w);
  unpin_all(s, w);
  for (t = w->memory; t != NULL; t = next) {
    sched_worker *to;
    next = t->wnext;
    if (t->nwaiters == 0 && !t->wanted)
      continue;
    if ((to = pick_target(s, w)) == NULL)
      break; /* nobody to take them: recomputed if needed */
    start_move(s, t, to);
  }
  dusk_log(DUSK_LOG_INFO, "worker %" PRIu64 " (%s) leaving: copying %u "
           "results elsewhere", w->id, w->addr, w->nmoving);
  if (w->nmoving == 0)
    finish_leave(s, w);
  schedule_ready(s);
}

/* A leaving worker whose last copy is settled goes now. */
static void move_settled(dusk_scheduler *s, sched_worker *from) {
  if (from != NULL && from->registered && from->leaving &&
      from->nmoving == 0)
    finish_leave(s, from);
}

/* The copy of t on `to` (attempt move_id) arrived: t now lives there. */
static void move_done(dusk_scheduler *s, sched_worker *to, sched_task *t,
                      uint64_t nbytes) {
  sched_worker *from = t->move_from;
  uint64_t id = t->move_id;
  assert(t->move_id != 0);
  if (t->state != T_MEMORY || from == NULL || t->worker != from ||
      !to->registered || to->leaving) {
    /* Not wanted there after all: t keeps its place and attempt id. */
    move_settled(s, cancel_move(s, t));
    send_release(to, id);
    return;
  }
  dusk_idmap_del(&s->tasks_by_id, t->id); /* the leaving holder's copy */
  t->id = id;
  t->move_id = 0;
  t->move_from = NULL;
  wlist_remove(&from->memory, t);
  t->worker = to;
  t->nbytes = nbytes;
  wlist_add(&to->memory, t);
  /* A client that fetches it from the leaving holder may miss it: tell it
   * the new place (as after a recomputation). */
  notify_client(t);
  from->nmoving--;
  from->nmoved++;
  move_settled(s, from);
}

/* ---- submission ---------------------------------------------------------- */

static sched_task *task_new(dusk_scheduler *s, sched_client *c,
                            const dusk_task_spec *spec) {
  size_t oplen = spec->op.len;
  size_t size = sizeof(sched_task) + spec->ndeps * sizeof(sched_task *) +
                spec->key.len + 1 + oplen + 1 + spec->args.len;
  sched_task *t = dusk_xcalloc(1, size);
  char *p = (char *)(t + 1);
  t->deps = (sched_task **)p;
  p += spec->ndeps * sizeof(sched_task *);
  memcpy(p, spec->key.ptr, spec->key.len);
  t->key = p;
  t->keylen = (uint32_t)spec->key.len;
  p += spec->key.len + 1;
  memcpy(p, spec->op.ptr, oplen);
  t->op = p;
  p += oplen + 1;
  if (spec->args.len)
    memcpy(p, spec->args.ptr, spec->args.len);
  t->args = p;
  t->args_len = (uint32_t)spec->args.len;
  t->client = c;
  t->of_query = c != NULL && c->submitting_query;
  t->heap.index = -1;
  t->state = T_WAITING;
  t->pending = 1;
  graph_progress(t, 1);
  s->nstate[T_WAITING]++;
  s->ntasks++;
  return t;
}

static void add_dependent(sched_task *dep, sched_task *t) {
  if (dep->ndependents == dep->cap_dependents) {
    dep->cap_dependents = dep->cap_dependents ? dep->cap_dependents * 2 : 2;
    dep->dependents = dusk_xrealloc(
        dep->dependents, dep->cap_dependents * sizeof *dep->dependents);
  }
  dep->dependents[dep->ndependents++] = t;
  dep->nalive_dependents++;
}

/* Drops the pending part of a refused graph.  edges_added says whether
 * finish_graph had already linked the new tasks into their inputs'
 * dependents (always appended last, so dropping the count undoes it). */
static void discard_pending(dusk_scheduler *s, sched_client *c,
                            int edges_added) {
  if (edges_added)
    for (size_t i = 0; i < c->npending; i++) {
      sched_task *t = c->pending[i];
      for (uint32_t j = 0; j < t->ndeps; j++) {
        sched_task *d = t->deps[j];
        d->ndependents--;
        d->nalive_dependents--;
      }
    }
  for (size_t i = 0; i < c->npending; i++) {
    c->pending[i]->pending = 0;
    free(c->pending_deps[i]);
    task_free(s, c->pending[i]);
  }
  c->npending = 0;
  for (size_t i = 0; i < c->npending_wanted; i++)
    free(c->pending_wanted[i]);
  c->npending_wanted = 0;
}

/* Input keys of a pending task, packed as (uint32 length, bytes)... so a
 * graph part can name inputs that arrive in a later part. */
static char *pack_keys(const dusk_task_spec *spec) {
  size_t size = 0, off = 0;
  char *blob;
  for (uint32_t j = 0; j < spec->ndeps; j++)
    size += sizeof(uint32_t) + spec->deps[j].len;
  blob = dusk_xmalloc(size);
  for (uint32_t j = 0; j < spec->ndeps; j++) {
    uint32_t len = (uint32_t)spec->deps[j].len;
    memcpy(blob + off, &len, sizeof len);
    memcpy(blob + off + sizeof len, spec->deps[j].ptr, len);
    off += sizeof len + len;
  }
  return blob;
}

/* Assigns priorities in graph order: a depth-first post-order from each
 * output, so a reduction's priority follows right after its inputs' and it
 * runs as soon as they exist.  Also finds cycles (a grey node met again).
 * Returns the task on a cycle, or NULL. */
static sched_task *order_graph(dusk_scheduler *s, sched_client *c) {
  enum { WHITE = 0, GREY = 1, BLACK = 2 };
  typedef struct frame {
    sched_task *t;
    uint32_t next;
  } frame;
  frame *stack = NULL;
  size_t n = 0, cap = 0;
  sched_task *cycle = NULL;

  for (size_t i = 0; i < c->npending; i++)
    c->pending[i]->mark = WHITE;
  /* Outputs first (tasks no new task depends on), in submission order; a
   * second sweep catches anything left (only possible inside a cycle). */
  for (int sweep = 0; sweep < 2 && cycle == NULL; sweep++) {
    for (size_t i = 0; i < c->npending && cycle == NULL; i++) {
      sched_task *root = c->pending[i];
      int has_new_dependent = 0;
      if (root->mark != WHITE)
        continue;
      for (uint32_t j = 0; j < root->ndependents; j++)
        if (root->dependents[j]->pending)
          has_new_dependent = 1;
      if (sweep == 0 && has_new_dependent)
        continue;
      if (n == cap) {
        cap = cap ? cap * 2 : 64;
        stack = dusk_xrealloc(stack, cap * sizeof *stack);
      }
      stack[n++] = (frame){root, 0};
      root->mark = GREY;
      while (n > 0) {
        frame *f = &stack[n - 1];
        if (f->next < f->t->ndeps) {
          sched_task *d = f->t->deps[f->next++];
          if (!d->pending || d->mark == BLACK)
            continue;
          if (d->mark == GREY) {
            cycle = d;
            break;
          }
          d->mark = GREY;
          if (n == cap) {
            cap *= 2;
            stack = dusk_xrealloc(stack, cap * sizeof *stack);
          }
          stack[n++] = (frame){d, 0};
        } else {
          f->t->mark = BLACK;
          f->t->heap.priority = ++s->next_priority;
          n--;
        }
      }
      n = 0;
    }
  }
  free(stack);
  return cycle;
}

static void finish_graph(dusk_scheduler *s, sched_client *c) {
  sched_task *cycle;

  /* Resolve input keys: among this client's tasks, new or existing. */
  for (size_t i = 0; i < c->npending; i++) {
    sched_task *t = c->pending[i];
    const char *blob = c->pending_deps[i];
    size_t off = 0;
    for (uint32_t j = 0; j < t->ndeps; j++) {
      uint32_t len;
      memcpy(&len, blob + off, sizeof len);
      const char *key = blob + off + sizeof len;
      off += sizeof len + len;
      t->deps[j] = dusk_strmap_get(&c->tasks, key, len);
      if (t->deps[j] == NULL) {
        graph_error(c, t->key, "task '%s' depends on unknown key '%.*s'",
                    t->key, (int)(len > 200 ? 200 : len), key);
        discard_pending(s, c, 0);
        return;
      }
    }
  }
  for (size_t i = 0; i < c->npending; i++) {
    free(c->pending_deps[i]);
    c->pending_deps[i] = NULL;
  }
  for (size_t i = 0; i < c->npending; i++) {
    sched_task *t = c->pending[i];
    for (uint32_t j = 0; j < t->ndeps; j++)
      add_dependent(t->deps[j], t);
  }
  for (size_t i = 0; i < c->npending_wanted; i++) {
    const char *k = c->pending_wanted[i];
    if (dusk_strmap_get(&c->tasks, k, strlen(k)) == NULL) {
      graph_error(c, k, "wanted key '%s' is not in the graph", k);
      discard_pending(s, c, 1);
      return;
    }
  }
  if ((cycle = order_graph(s, c)) != NULL) {
    graph_error(c, cycle->key, "the graph has a cycle through '%s'",
                cycle->key);
    discard_pending(s, c, 1);
    return;
  }

  /* Wanted keys and waiter counts, then release the new tasks. */
  for (size_t i = 0; i < c->npending_wanted; i++) {
    char *k = c->pending_wanted[i];
    sched_task *t = dusk_strmap_get(&c->tasks, k, strlen(k));
    if (!t->wanted) {
      t->wanted = 1;
      t->wanted_ns = dusk_now_ns();
      t->nwaiters++;
      if (t->state == T_RELEASED)
        recompute(s, t);
      else if (t->state == T_MEMORY || t->state == T_ERRED)
        notify_client(t);
    }
    free(k);
  }
  c->npending_wanted = 0;
  for (size_t i = 0; i < c->npending; i++) {
    sched_task *t = c->pending[i];
    t->pending = 0;
    for (uint32_t j = 0; j < t->ndeps; j++)
      t->deps[j]->nwaiters++;
  }
  for (size_t i = 0; i < c->npending; i++) {
    sched_task *t = c->pending[i];
    sched_task *erred_dep = NULL;
    if (t->state != T_WAITING)
      continue;
    t->nwaiting = 0;
    for (uint32_t j = 0; j < t->ndeps; j++) {
      sched_task *d = t->deps[j];
      if (d->state == T_ERRED)
        erred_dep = d->erred_from ? d->erred_from : d;
      else if (d->state != T_MEMORY)
        t->nwaiting++;
      if (d->state == T_RELEASED)
        recompute(s, d);
    }
    if (erred_dep != NULL)
      task_erred(s, t, erred_dep);
  }
  for (size_t i = 0; i < c->npending; i++) {
    sched_task *t = c->pending[i];
    if (t->state == T_WAITING && t->nwaiting == 0)
      task_ready(s, t);
  }
  c->npending = 0;
}

static void handle_submit(dusk_scheduler *s, sched_client *c,
                          const dusk_msg_submit *m, uint64_t prof_query,
                          const uint32_t *slots) {
  for (uint32_t i = 0; i < m->ntasks; i++) {
    const dusk_task_spec *spec = &m->tasks[i];
    sched_task *t;
    if (spec->key.len == 0 || spec->key.len > (size_t)s->cfg.max_key_bytes ||
        spec->op.len == 0 || spec->op.len > (size_t)s->cfg.max_op_bytes) {
      dusk_conn_fail(c->conn, DUSK_EGRAPH,
                     "task %u: key must be 1..%" PRId64
                     " bytes, op 1..%" PRId64,
                     i, s->cfg.max_key_bytes, s->cfg.max_op_bytes);
      return;
    }
    if (dusk_strmap_get(&c->tasks, spec->key.ptr, spec->key.len) != NULL)
      continue; /* same key, same task: the first definition stands */
    t = task_new(s, c, spec);
    t->ndeps = spec->ndeps;
    if (prof_query != 0 && slots[i] != 0) {
      t->prof_query = prof_query;
      t->prof_slot = slots[i];
    }
    dusk_xcheck(dusk_strmap_put(&c->tasks, t->key, t->keylen, t));
    if (c->npending == c->cap_pending) {
      c->cap_pending = c->cap_pending ? c->cap_pending * 2 : 64;
      c->pending =
          dusk_xrealloc(c->pending, c->cap_pending * sizeof *c->pending);
      c->pending_deps = dusk_xrealloc(
          c->pending_deps, c->cap_pending * sizeof *c->pending_deps);
    }
    c->pending_deps[c->npending] = pack_keys(spec);
    c->pending[c->npending++] = t;
  }
  for (uint32_t i = 0; i < m->nwanted; i++) {
    if (c->npending_wanted == c->cap_pending_wanted) {
      c->cap_pending_wanted =
          c->cap_pending_wanted ? c->cap_pending_wanted * 2 : 16;
      c->pending_wanted = dusk_xrealloc(
          c->pending_wanted, c->cap_pending_wanted * sizeof(char *));
    }
    c->pending_wanted[c->npending_wanted++] =
        dusk_xmemdup(m->wanted[i].ptr, m->wanted[i].len);
  }
  if (m->final)
    finish_graph(s, c);
}

void dusk__sched_submit(dusk_scheduler *s, sched_client *c,
                        const dusk_msg_submit *m, uint64_t prof_query,
                        const uint32_t *slots) {
  c->submitting_query = 1;
  handle_submit(s, c, m, prof_query, slots);
  c->submitting_query = 0;
}

sched_task *dusk__sched_task(sched_client *c, const char *key,
                             size_t keylen) {
  return dusk_strmap_get(&c->tasks, key, keylen);
}

uv_loop_t *dusk__sched_loop(dusk_scheduler *s) { return s->loop; }

int dusk__sched_task_finished(sched_client *c, const char *key) {
  sched_task *t = dusk_strmap_get(&c->tasks, key, strlen(key));
  return t == NULL || is_done(t);
}

void dusk__sched_release(dusk_scheduler *s, sched_client *c, const char *key,
                         size_t keylen, int cancel) {
  sched_task *t = dusk_strmap_get(&c->tasks, key, keylen);
  if (t == NULL || !t->wanted)
    return;
  if (cancel && !is_done(t)) {
    free(t->message);
    t->message = NULL;
    t->query = NULL; /* no report for a canceled attempt */
    task_erred(s, t, t);
  }
  t->query = NULL;
  t->wanted = 0;
  release_waiter(s, t);
  schedule_ready(s);
}

void dusk__sched_keep(dusk_scheduler *s, sched_client *c, const char *key) {
  sched_task *t = dusk_strmap_get(&c->tasks, key, strlen(key));
  (void)s;
  if (t == NULL || t->kept)
    return;
  t->kept = 1;
  t->stay = 1;
  t->nwaiters++;
}

void dusk__sched_stay(sched_client *c, const char *key) {
  sched_task *t = dusk_strmap_get(&c->tasks, key, strlen(key));
  if (t != NULL)
    t->stay = 1;
}

void dusk__sched_unkeep(dusk_scheduler *s, sched_client *c,
                        const char *key) {
  sched_task *t = dusk_strmap_get(&c->tasks, key, strlen(key));
  if (t == NULL || !t->kept)
    return;
  t->kept = 0;
  release_waiter(s, t);
  schedule_ready(s);
}

static void handle_cancel(dusk_scheduler *s, sched_client *c,
                          const dusk_msg_keys *m, int cancel) {
  for (uint32_t i = 0; i < m->n; i++) {
    sched_task *t;
    if (dusk__query_release(s, c, m->keys[i], cancel))
      continue;
    t = dusk_strmap_get(&c->tasks, m->keys[i].ptr, m->keys[i].len);
    if (t == NULL || !t->wanted)
      continue;
    if (cancel && !is_done(t)) {
      free(t->message);
      t->message = NULL; /* no message: reported as canceled */
      task_erred(s, t, t);
    }
    t->wanted = 0;
    release_waiter(s, t);
  }
}

/* ---- clients ------------------------------------------------------------- */

/* ---- what heartbeats report ---------------------------------------------- */

/* A worker's figures from its heartbeat.  CPU % is over the interval
 * between two heartbeats by the worker's own clock (the scheduler's loop
 * may read two at once); its scanned bytes count from its registration,
 * so their increases add up to the scheduler's total.  A worker whose
 * counters go back (it should not) starts over from the new values. */
static void take_figures(dusk_scheduler *s, sched_worker *w,
                         const dusk_msg_heartbeat *hb) {
  if (w->sample_ns != 0 && hb->sample_ns > w->sample_ns &&
      hb->cpu_ns >= w->cpu_ns) {
    double pct = 100.0 * (double)(hb->cpu_ns - w->cpu_ns) /
                 (double)(hb->sample_ns - w->sample_ns);
    w->cpu_percent = pct < DUSK_CPU_PERCENT_MAX ? pct : DUSK_CPU_PERCENT_MAX;
  }
  w->cpu_ns = hb->cpu_ns;
  w->sample_ns = hb->sample_ns;
  if (hb->bytes_scanned > w->bytes_scanned)
    s->bytes_scanned += hb->bytes_scanned - w->bytes_scanned;
  w->bytes_scanned = hb->bytes_scanned;
  w->rss_bytes = hb->rss_bytes;
  w->memory_limit = hb->memory_limit;
  w->nrunning = hb->nrunning;
}

/* ---- graph latency ------------------------------------------------------- */

const uint64_t dusk__latency_bounds_us[DUSK_LATENCY_BOUNDS] = {
    1000,     2500,     5000,     10000,     25000,     50000,    100000,
    250000,   500000,   1000000,  2500000,   5000000,   10000000, 25000000,
    50000000, 100000000, 250000000, 500000000, 1000000000};

void dusk__sched_graph_latency(dusk_scheduler *s, uint64_t start_ns) {
  uint64_t now = dusk_now_ns(), us;
  size_t b = 0;
  if (start_ns == 0)
    return;
  us = now > start_ns ? (now - start_ns) / 1000 : 0;
  while (b < DUSK_LATENCY_BOUNDS && us > dusk__latency_bounds_us[b])
    b++;
  s->lat_hist[b]++;
  s->lat_count++;
  s->lat_sum_us += us;
}

/* ---- heartbeat round trips --------------------------------------------- */

static size_t hb_bucket(uint32_t us) {
  unsigned e;
  if (us < 64)
    return us;
  e = 31u - (unsigned)__builtin_clz(us); /* 6..31 */
  return 64 + (size_t)(e - 6) * 16 + ((us >> (e - 4)) & 15u);
}

/* The middle of bucket b, in microseconds. */
static uint32_t hb_bucket_value(size_t b) {
  unsigned e, sub;
  uint64_t lo, width;
  if (b < 64)
    return (uint32_t)b;
  e = (unsigned)((b - 64) / 16) + 6;
  sub = (unsigned)((b - 64) % 16);
  width = (uint64_t)1 << (e - 4);
  lo = ((uint64_t)1 << e) + sub * width;
  lo += width / 2;
  return lo > UINT32_MAX ? UINT32_MAX : (uint32_t)lo;
}

static void hb_record(dusk_scheduler *s, uint32_t us) {
  if (us == 0)
    return; /* the worker has no round trip yet */
  s->hb_hist[hb_bucket(us)]++;
  s->hb_samples++;
  s->hb_sum_us += us;
  if (us > s->hb_max_us)
    s->hb_max_us = us;
}

uint32_t dusk__sched_hb_quantile(const dusk_scheduler *s, double q) {
  uint64_t rank, seen = 0;
  if (s->hb_samples == 0)
    return 0;
  rank = (uint64_t)(q * (double)s->hb_samples + 0.5);
  if (rank < 1)
    rank = 1;
  for (size_t b = 0; b < DUSK_HB_BUCKETS; b++) {
    seen += s->hb_hist[b];
    if (seen >= rank) {
      uint32_t v = hb_bucket_value(b);
      return v > s->hb_max_us ? s->hb_max_us : v;
    }
  }
  return s->hb_max_us;
}

void dusk__sched_own_memory(uint64_t *rss, uint64_t *peak) {
  char line[256];
  FILE *f = fopen("/proc/self/status", "r");
  *rss = *peak = 0;
  if (f == NULL)
    return;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long long kb;
    if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
      *rss = kb * 1024;
    else if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
      *peak = kb * 1024;
  }
  fclose(f);
}

static void send_info(dusk_scheduler *s, sched_client *c) {
  dusk_msg m;
  dusk_worker_info *ws = dusk_xcalloc(s->nworkers + 1, sizeof *ws);
  uint32_t n = 0;
  for (size_t i = 0; i < s->workers.cap; i++) {
    sched_worker *w = s->workers.slots[i].value;
    if (w == NULL)
      continue;
    ws[n].id = w->id;
    ws[n].pid = w->pid;
    ws[n].addr = cslice(w->addr);
    ws[n].nprocessing = w->nprocessing;
    ws[n].nkeys = w->nkeys;
    ws[n].host_id = cslice(w->host_id);
    ws[n].cpu_percent = w->cpu_percent;
    ws[n].rss_bytes = w->rss_bytes;
    ws[n].memory_limit = w->memory_limit;
    ws[n].bytes_scanned = w->bytes_scanned;
    ws[n].nrunning = w->nrunning;
    n++;
  }
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_INFO;
  m.u.info.ntasks = s->ntasks;
  m.u.info.nworkers = n;
  m.u.info.workers = ws;
  m.u.info.stats.nclients = (uint32_t)s->nclients;
  dusk__sched_own_memory(&m.u.info.stats.rss_bytes, &m.u.info.stats.peak_rss_bytes);
  m.u.info.stats.hb_samples = s->hb_samples;
  m.u.info.stats.hb_rtt_p50_us = dusk__sched_hb_quantile(s, 0.50);
  m.u.info.stats.hb_rtt_p99_us = dusk__sched_hb_quantile(s, 0.99);
  m.u.info.stats.hb_rtt_max_us = s->hb_max_us;
  dusk__autoscale_stats(s, &m.u.info.stats);
  if (s->dash != NULL) {
    m.u.info.stats.dashboard_port = (uint32_t)dusk_dash_port(s->dash);
    m.u.info.stats.dashboard_tls = s->cfg.tls_cert != NULL;
    m.u.info.stats.dashboard_local = (uint8_t)s->dash_local;
  }
  dusk_xcheck(dusk_conn_send(c->conn, &m));
  free(ws);
}

static void answer_info_waiters(dusk_scheduler *s) {
  sched_client **pp = &s->info_waiters;
  while (*pp != NULL) {
    sched_client *c = *pp;
    if (s->nworkers >= c->info_min) {
      *pp = c->next_waiting_info;
      c->info_waiting = 0;
      send_info(s, c);
    } else {
      pp = &c->next_waiting_info;
    }
  }
}

/* Frees the client and all its tasks; unless the scheduler is stopping
 * (workers may already be gone), their results and running attempts are
 * released on the workers first. */
static void client_gone(dusk_scheduler *s, sched_client *c) {
  sched_client **pp;
  size_t released = 0;
  int touch_workers = !s->stopping;
  for (pp = &s->info_waiters; *pp; pp = &(*pp)->next_waiting_info)
    if (*pp == c) {
      *pp = c->next_waiting_info;
      break;
    }
  dusk__query_client_gone(s, c);
  discard_pending(s, c, 0);
  /* Release everything the client had, wherever it is. */
  for (size_t i = 0; i < c->tasks.cap; i++) {
    sched_task *t = c->tasks.slots[i].value;
    if (t == NULL)
      continue;
    if (!touch_workers) {
      if (t->state == T_READY)
        dusk_heap_remove(t->pinned_to ? &t->pinned_to->pinned : &s->ready,
                         &t->heap);
    } else if (t->state == T_MEMORY) {
      send_release(t->worker, t->id);
      wlist_remove(&t->worker->memory, t);
    } else {
      unassign(s, t, 1);
    }
    t->client = NULL;
    drop_attempt_id(s, t);
    free(t->dependents);
    free(t->message);
    failure_free(t->failure);
    s->nstate[t->state]--;
    free(t);
    s->ntasks--;
    released++;
  }
  dusk_strmap_destroy(&c->tasks);
  free(c->pending);
  free(c->pending_deps);
  free(c->pending_wanted);
  if (c->cprev != NULL)
    c->cprev->cnext = c->cnext;
  else
    s->clients = c->cnext;
  if (c->cnext != NULL)
    c->cnext->cprev = c->cprev;
  if (released)
    dusk_log(DUSK_LOG_INFO, "client %" PRIu64 " gone: released %zu tasks",
             c->id, released);
  free(c);
  s->nclients--;
  if (touch_workers)
    schedule_ready(s);
}

/* ---- connection handlers ------------------------------------------------- */

static void on_worker_msg(dusk_scheduler *s, sched_worker *w,
                          const dusk_msg *m) {
  w->last_seen_ns = dusk_now_ns();
  switch (m->type) {
  case DUSK_MSG_LEAVING:
    if (w->registered && !w->leaving)
      start_leave(s, w);
    dusk__query_flush(s);
    return;
  case DUSK_MSG_REGISTER: {
    dusk_msg r;
    const dusk_msg_reg *reg = &m->u.reg;
    if (w->registered) {
      dusk_conn_fail(w->conn, DUSK_EPROTO, "worker %s registered twice",
                     w->conn->peer);
      return;
    }
    if (reg->host_id.len > 0 &&
        !dusk_host_id_valid(reg->host_id.ptr, reg->host_id.len)) {
      dusk_conn_fail(w->conn, DUSK_EPROTO,
                     "worker %s: REGISTER host_id is not 1-%d of A-Z a-z "
                     "0-9 . _ : -", w->conn->peer, DUSK_HOST_ID_MAX);
      return;
    }
    snprintf(w->host_id, sizeof w->host_id, "%.*s", (int)reg->host_id.len,
             reg->host_id.ptr);
    snprintf(w->name, sizeof w->name, "%.*s", (int)reg->name.len,
             reg->name.ptr);
    /* A worker listening on a wildcard address is reached at the address
     * its scheduler connection came from. */
    if (reg->host.len == 0 ||
        (reg->host.len == 7 && memcmp(reg->host.ptr, "0.0.0.0", 7) == 0) ||
        (reg->host.len == 2 && memcmp(reg->host.ptr, "::", 2) == 0)) {
      char ip[80];
      snprintf(ip, sizeof ip, "%s", w->conn->peer);
      char *colon = strrchr(ip, ':');
      if (colon)
        *colon = '\0';
      snprintf(w->addr, sizeof w->addr, "%s:%u", ip, reg->port);
    } else {
      snprintf(w->addr, sizeof w->addr, "%.*s:%u", (int)reg->host.len,
               reg->host.ptr, reg->port);
    }
    w->pid = reg->pid;
    w->id = ++s->next_worker_id;
    w->registered = 1;
    w->capacity = (uint32_t)s->cfg.worker_queue;
    dusk_xcheck(dusk_idmap_put(&s->workers, w->id, w));
    s->nworkers++;
    free_list_update(s, w);
    memset(&r, 0, sizeof r);
    r.type = DUSK_MSG_WELCOME;
    r.u.welcome.worker_id = w->id;
    r.u.welcome.heartbeat_ms = (uint32_t)s->cfg.heartbeat_ms;
    dusk_xcheck(dusk_conn_send(w->conn, &r));
    dusk_log(DUSK_LOG_INFO,
             "worker %" PRIu64 " registered: %s data %s pid %" PRId64
             " (%zu workers)",
             w->id, w->name, w->addr, w->pid, s->nworkers);
    answer_info_waiters(s);
    schedule_ready(s);
    return;
  }
  case DUSK_MSG_HEARTBEAT: {
    dusk_msg r;
    w->nkeys = m->u.heartbeat.nkeys;
    w->nbytes = m->u.heartbeat.nbytes;
    hb_record(s, m->u.heartbeat.rtt_us);
    take_figures(s, w, &m->u.heartbeat);
    memset(&r, 0, sizeof r);
    r.type = DUSK_MSG_HEARTBEAT_ACK;
    r.u.heartbeat_ack.seq = m->u.heartbeat.seq;
    dusk_xcheck(dusk_conn_send(w->conn, &r));
    return;
  }
  default:
    break;
  }
  if (!w->registered) {
    dusk_conn_fail(w->conn, DUSK_EPROTO, "worker %s sent %s before REGISTER",
                   w->conn->peer, dusk_msg_type_name(m->type));
    return;
  }
  switch (m->type) {
  case DUSK_MSG_TASK_DONE: {
    sched_task *t = dusk_idmap_get(&s->tasks_by_id, m->u.task_done.id);
    if (t != NULL && t->move_id == m->u.task_done.id) {
      move_done(s, w, t, m->u.task_done.nbytes);
      dusk__query_flush(s);
      return;
    }
    if (t == NULL) {
      /* An attempt nobody refers to any more (abandoned, or a copy no
       * longer needed): its result would only take room. */
      send_release(w, m->u.task_done.id);
      return;
    }
    if (t->state != T_PROCESSING || t->worker != w)
      return; /* an attempt that was moved or abandoned */
    task_done(s, w, t, &m->u.task_done);
    schedule_ready(s);
    return;
  }
  case DUSK_MSG_TASK_FAILED: {
    const dusk_msg_task_failed *f = &m->u.task_failed;
    sched_task *t = dusk_idmap_get(&s->tasks_by_id, f->id);
    if (t != NULL && t->move_id == f->id) {
      /* It stays where it is, lost (and recomputed) if the holder goes. */
      move_settled(s, cancel_move(s, t));
      return;
    }
    if (t == NULL || t->state != T_PROCESSING || t->worker != w)
      return;
    if (f->reason == DUSK_FAIL_MISSING_DEP) {
      /* The input's holder did not answer.  If we already know it is gone
       * (the input's attempt was dropped with it, and it is being
       * recomputed), that is no fault of this task: run it again once the
       * input is back, however often workers leave.  If the holder still
       * looks alive, retry a few times, then give up with the reason. */
      sched_task *d = dusk_idmap_get(&s->tasks_by_id, f->dep);
      int holder_gone = d == NULL || d->state != T_MEMORY ||
                        d->worker == NULL || !d->worker->registered;
      if (holder_gone || ++t->missing_retries <= s->cfg.fetch_retries) {
        unassign(s, t, 0);
        set_state(s, t, T_WAITING);
        t->nwaiting = 0;
        for (uint32_t i = 0; i < t->ndeps; i++)
          if (t->deps[i]->state != T_MEMORY)
            t->nwaiting++;
        if (!holder_gone) {
          /* Its death may just not have reached us yet (a killed worker's
           * peers see "connection refused" before we read its EOF): wait
           * for the next chore rather than burn the retries at once. */
          park(s, t);
        } else if (t->nwaiting == 0) {
          task_ready(s, t);
        }
        schedule_ready(s);
        return;
      }
    }
    if (f->reason == DUSK_FAIL_CANCELED)
      return;
    free(t->message);
    t->message = dusk_xmemdup(f->message.ptr, f->message.len);
    failure_free(t->failure);
    t->failure = failure_new(f);
    dusk_log(DUSK_LOG_DEBUG, "task %s (op %s) erred on worker %" PRIu64 ": %s",
             t->key, t->op, w->id, t->message);
    {
      char what[96];
      snprintf(what, sizeof what, "%s (op %s)", t->key, t->op);
      dusk__dash_failure(s, "task-erred", w, what, t->message);
    }
    task_erred(s, t, t);
    schedule_ready(s);
    return;
  }
  default:
    dusk_conn_fail(w->conn, DUSK_EPROTO, "worker %s sent unexpected %s",
                   w->conn->peer, dusk_msg_type_name(m->type));
  }
}

static void on_client_msg(dusk_scheduler *s, sched_client *c,
                          const dusk_msg *m) {
  switch (m->type) {
  case DUSK_MSG_SUBMIT:
    handle_submit(s, c, &m->u.submit, 0, NULL);
    return;
  case DUSK_MSG_CANCEL:
    handle_cancel(s, c, &m->u.cancel, 1);
    schedule_ready(s);
    return;
  case DUSK_MSG_RELEASE_KEYS:
    handle_cancel(s, c, &m->u.release_keys, 0);
    return;
  case DUSK_MSG_QUERY:
    dusk__query_start(s, c, &m->u.query);
    return;
  case DUSK_MSG_INFO_REQUEST:
    c->info_min = m->u.info_request.min_workers;
    if (s->nworkers >= c->info_min) {
      send_info(s, c);
    } else if (!c->info_waiting) {
      c->info_waiting = 1;
      c->next_waiting_info = s->info_waiters;
      s->info_waiters = c;
    }
    return;
  default:
    dusk_conn_fail(c->conn, DUSK_EPROTO, "client %s sent unexpected %s",
                   c->conn->peer, dusk_msg_type_name(m->type));
  }
}

typedef struct peer {
  dusk_scheduler *s;
  uint8_t role;
  union {
    sched_worker *w;
    sched_client *c;
  } u;
} peer;

static void on_ready(dusk_conn *conn) {
  dusk_scheduler *s = conn->data;
  peer *p = dusk_xcalloc(1, sizeof *p);
  p->s = s;
  p->role = conn->peer_role;
  if (p->role == DUSK_ROLE_WORKER) {
    sched_worker *w = dusk_xcalloc(1, sizeof *w);
    dusk_heap_init(&w->pinned);
    w->conn = conn;
    w->s = s;
    w->last_seen_ns = dusk_now_ns();
    p->u.w = w;
  } else {
    sched_client *c = dusk_xcalloc(1, sizeof *c);
    c->conn = conn;
    c->s = s;
    c->id = ++s->next_client_id;
    s->nclients++;
    c->cnext = s->clients;
    if (s->clients != NULL)
      s->clients->cprev = c;
    s->clients = c;
    dusk_strmap_init(&c->tasks);
    p->u.c = c;
    dusk_log(DUSK_LOG_DEBUG, "client %" PRIu64 " connected from %s", c->id,
             conn->peer);
  }
  conn->data = p;
}

static void on_msg(dusk_conn *conn, const dusk_msg *m) {
  peer *p = conn->data;
  dusk_scheduler *s = p->s;
  if (p->role == DUSK_ROLE_WORKER)
    on_worker_msg(s, p->u.w, m);
  else
    on_client_msg(s, p->u.c, m);
  dusk__query_flush(s);
}

static void on_close(dusk_conn *conn, int code, const char *reason) {
  dusk_scheduler *s =
      (dusk_scheduler *)((char *)conn->net - offsetof(dusk_scheduler, net));
  peer *p;
  dusk_xcheck(code); /* the conn ran out of memory: so do we (xalloc.h) */
  if (conn->data == s) {
    /* The handshake never finished: report refused peers once each. */
    if (code != 0)
      dusk_log(DUSK_LOG_WARN, "peer %s dropped: %s (auth failures %" PRIu64
               ", protocol errors %" PRIu64 ")",
               conn->peer, reason, s->net.nauth_failures,
               s->net.nprotocol_errors);
    return;
  }
  p = conn->data;
  if (code != 0 && code != UV_ECONNRESET && code != UV_EOF)
    dusk_log(DUSK_LOG_WARN, "%s %s closed: %s",
             p->role == DUSK_ROLE_WORKER ? "worker" : "client", conn->peer,
             reason);
  if (p->role == DUSK_ROLE_WORKER) {
    sched_worker *w = p->u.w;
    w->conn = NULL;
    if (!s->stopping)
      remove_worker(s, w,
                    (code == 0 || code == UV_ECONNRESET) && w->nprocessing == 0
                        ? DUSK_LOG_INFO
                        : DUSK_LOG_WARN,
                    reason && *reason ? reason : "connection closed");
    dusk__query_flush(s);
    dusk_heap_destroy(&w->pinned);
    free(w);
  } else {
    sched_client *c = p->u.c;
    c->conn = NULL;
    client_gone(s, c);
  }
  free(p);
}

static const dusk_conn_handler scheduler_handler = {on_ready, on_msg,
                                                    on_close, NULL};

/* ---- chores -------------------------------------------------------------- */

/* ---- parked tasks -------------------------------------------------------- */

static void park(dusk_scheduler *s, sched_task *t) {
  if (s->nparked == s->cap_parked) {
    s->cap_parked = s->cap_parked ? s->cap_parked * 2 : 64;
    s->parked = dusk_xrealloc(s->parked, s->cap_parked * sizeof *s->parked);
  }
  new_attempt_id(s, t); /* a handle that dies with the task */
  t->parked = 1;
  s->parked[s->nparked++] = t->id;
}

static void unpark_all(dusk_scheduler *s) {
  size_t n = s->nparked;
  s->nparked = 0;
  for (size_t i = 0; i < n; i++) {
    sched_task *t = dusk_idmap_get(&s->tasks_by_id, s->parked[i]);
    if (t == NULL || !t->parked)
      continue; /* freed, or readied by its inputs meanwhile */
    t->parked = 0;
    drop_attempt_id(s, t);
    if (t->state == T_WAITING && t->nwaiting == 0)
      task_ready(s, t);
  }
  if (n > 0)
    schedule_ready(s);
}

static void on_chore(uv_timer_t *timer) {
  dusk_scheduler *s = timer->data;
  uint64_t now = dusk_now_ns();
  unpark_all(s);
  /* Peers that connect and never authenticate hold nothing for long. */
  dusk_net_sweep(&s->net, (uint64_t)s->cfg.handshake_ms);
  uint64_t limit = (uint64_t)s->cfg.worker_timeout_ms * 1000000u;
  /* Periodic chore: O(workers), not per event. */
  for (size_t i = 0; i < s->workers.cap; i++) {
    sched_worker *w = s->workers.slots[i].value;
    if (w != NULL && w->leaving && w->nmoving == 0) {
      /* Its last copies were given up (their results were released). */
      finish_leave(s, w);
      dusk__query_flush(s);
      i = (size_t)-1;
      if (s->workers.len == 0)
        break;
      continue;
    }
    if (w == NULL || now - w->last_seen_ns <= limit)
      continue;
    char why[128];
    snprintf(why, sizeof why, "no heartbeat for %" PRIu64 " ms",
             (now - w->last_seen_ns) / 1000000u);
    remove_worker(s, w, DUSK_LOG_WARN, why);
    dusk__query_flush(s);
    /* The struct stays until its connection closes. */
    if (w->conn)
      dusk_conn_close(w->conn, DUSK_ETIMEDOUT, "%s", why);
    i = (size_t)-1; /* the map changed: restart the sweep */
    if (s->workers.len == 0)
      break;
  }
}

/* ---- life cycle ---------------------------------------------------------- */

int dusk_scheduler_new(uv_loop_t *loop, const dusk_scheduler_config *cfg,
                       dusk_scheduler **out, dusk_error *err) {
  dusk_scheduler *s;
  char *token = NULL;
  int rc;

  if ((rc = dusk__autoscale_check(cfg, err)) != 0)
    return rc;
  if (cfg->token_file == NULL) {
    if ((rc = dusk_host_is_loopback(cfg->host, err)) < 0)
      return rc;
    if (rc == 0)
      return dusk_error_set(
          err, DUSK_ECONFIG,
          "refusing to listen on %s without a token: anyone who can reach "
          "it could run code; pass --token-file or listen on 127.0.0.1",
          cfg->host);
  } else if ((rc = dusk_auth_token_load(cfg->token_file, &token, err)) != 0) {
    return rc;
  }
  s = dusk_xcalloc(1, sizeof *s);
  s->loop = loop;
  s->cfg = *cfg;
  dusk_heap_init(&s->ready);
  dusk_idmap_init(&s->tasks_by_id);
  dusk_idmap_init(&s->workers);
  rc = dusk_net_init(&s->net, loop, DUSK_ROLE_SCHEDULER, token);
  free(token);
  if (rc != 0) {
    free(s);
    return dusk_error_set(err, rc, "network set-up failed");
  }
  s->net.max_frame = (uint32_t)cfg->max_frame;
  s->net.max_outbuf = (size_t)cfg->max_outbuf;
  {
    dusk_tls_files tls = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca};
    if ((rc = dusk_net_use_tls(&s->net, &tls, err)) != 0) {
      dusk_net_close(&s->net);
      uv_run(loop, UV_RUN_NOWAIT);
      free(s);
      return rc;
    }
  }
  rc = dusk_net_listen(&s->net, &s->server, cfg->host, (int)cfg->port,
                       DUSK_ROLE_BIT(DUSK_ROLE_CLIENT) |
                           DUSK_ROLE_BIT(DUSK_ROLE_WORKER),
                       &scheduler_handler, s, &s->port, err);
  if (rc != 0) {
    dusk_net_close(&s->net);
    uv_run(loop, UV_RUN_NOWAIT);
    free(s);
    return rc;
  }
  s->start_ns = dusk_now_ns();
  if ((rc = dusk__dashboard_start(s, err)) != 0) {
    dusk_net_unlisten(&s->server);
    dusk_net_close(&s->net);
    uv_run(loop, UV_RUN_NOWAIT);
    free(s);
    return rc;
  }
  uv_timer_init(loop, &s->chore);
  s->chore.data = s;
  uv_timer_start(&s->chore, on_chore, (uint64_t)s->cfg.chore_ms,
                 (uint64_t)s->cfg.chore_ms);
  dusk__autoscale_start(s);
  *out = s;
  return 0;
}

int dusk_scheduler_port(const dusk_scheduler *s) { return s->port; }

static void close_conn_walk(uv_handle_t *h, void *arg) {
  dusk_scheduler *s = arg;
  if (h->type == UV_TCP && h != (uv_handle_t *)&s->server &&
      !uv_is_closing(h))
    dusk_conn_close((dusk_conn *)h, 0, "scheduler stopping");
}

void dusk_scheduler_stop(dusk_scheduler *s) {
  if (s->stopping)
    return;
  s->stopping = 1;
  dusk__dashboard_stop(s);
  dusk__autoscale_stop(s);
  uv_timer_stop(&s->chore);
  uv_close((uv_handle_t *)&s->chore, NULL);
  dusk_net_unlisten(&s->server);
  uv_walk(s->loop, close_conn_walk, s);
  dusk_net_close(&s->net);
}

void dusk_scheduler_free(dusk_scheduler *s) {
#ifndef NDEBUG
  uint64_t counted = 0;
  for (int i = 0; i <= T_RELEASED; i++)
    counted += s->nstate[i];
  assert(counted == s->ntasks); /* every transition went through set_state */
#endif
  dusk__autoscale_free(s);
  dusk_heap_destroy(&s->ready);
  dusk_idmap_destroy(&s->tasks_by_id);
  dusk_idmap_destroy(&s->workers);
  free(s->parked);
  free(s);
}

const char *dusk__sched_state_name(int st) {
  return st >= 0 && st <= T_RELEASED ? state_names[st] : "?";
}
