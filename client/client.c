/* client.c - libdusk's connection to a scheduler and to workers' data ports.
 *
 * The client owns a private libuv loop and runs it only inside its blocking
 * calls, until the call's condition holds or its deadline passes.  The
 * scheduler pushes a KEY_STATE for every wanted key that finishes, fails or
 * is canceled; the client keeps the latest per key.  Results are fetched
 * from the worker that holds them, pipelined: all requests to a worker go
 * out at once. */
#include "dusk.h"

#include "client_internal.h"
#include "buf.h"
#include "conn.h"
#include "hashmap.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- graphs -------------------------------------------------------------- */

typedef struct graph_task {
  char *key, *op;
  char *args;
  size_t args_len;
  char **deps;
  size_t ndeps;
} graph_task;

struct dusk_graph {
  graph_task *tasks;
  size_t n, cap;
};

dusk_graph *dusk_graph_new(void) { return calloc(1, sizeof(dusk_graph)); }

void dusk_graph_free(dusk_graph *g) {
  if (g == NULL)
    return;
  for (size_t i = 0; i < g->n; i++) {
    graph_task *t = &g->tasks[i];
    free(t->key);
    free(t->op);
    free(t->args);
    for (size_t j = 0; j < t->ndeps; j++)
      free(t->deps[j]);
    free(t->deps);
  }
  free(g->tasks);
  free(g);
}

size_t dusk_graph_size(const dusk_graph *g) { return g->n; }

int dusk_graph_add(dusk_graph *g, const char *key, const char *op,
                   const void *args, size_t args_len, const char *const *deps,
                   size_t ndeps) {
  graph_task t;
  if (key == NULL || key[0] == '\0' || op == NULL || op[0] == '\0' ||
      strlen(key) > 4096 || strlen(op) > 255 || (ndeps > 0 && deps == NULL))
    return DUSK_EINVAL;
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 64;
    graph_task *nt = realloc(g->tasks, cap * sizeof *nt);
    if (nt == NULL)
      return DUSK_ENOMEM;
    g->tasks = nt;
    g->cap = cap;
  }
  memset(&t, 0, sizeof t);
  t.key = strdup(key);
  t.op = strdup(op);
  t.args = malloc(args_len ? args_len : 1);
  t.deps = calloc(ndeps ? ndeps : 1, sizeof *t.deps);
  if (t.key == NULL || t.op == NULL || t.args == NULL || t.deps == NULL)
    goto oom;
  if (args_len)
    memcpy(t.args, args, args_len);
  t.args_len = args_len;
  for (size_t j = 0; j < ndeps; j++) {
    if (deps[j] == NULL || (t.deps[j] = strdup(deps[j])) == NULL)
      goto oom;
    t.ndeps = j + 1;
  }
  g->tasks[g->n++] = t;
  return 0;
oom:
  free(t.key);
  free(t.op);
  free(t.args);
  for (size_t j = 0; j < t.ndeps; j++)
    free(t.deps[j]);
  free(t.deps);
  return DUSK_ENOMEM;
}

int dusk_graph_add_int(dusk_graph *g, const char *key, const char *op,
                       int64_t arg, const char *const *deps, size_t ndeps) {
  dusk_buf b;
  int rc;
  dusk_buf_init(&b);
  if ((rc = dusk_mp_write_int(&b, arg)) == 0)
    rc = dusk_graph_add(g, key, op, b.data, b.len, deps, ndeps);
  dusk_buf_destroy(&b);
  return rc;
}

int dusk_graph_add_str(dusk_graph *g, const char *key, const char *op,
                       const char *arg, const char *const *deps,
                       size_t ndeps) {
  dusk_buf b;
  int rc;
  dusk_buf_init(&b);
  if ((rc = dusk_mp_write_str(&b, arg, strlen(arg))) == 0)
    rc = dusk_graph_add(g, key, op, b.data, b.len, deps, ndeps);
  dusk_buf_destroy(&b);
  return rc;
}

/* ---- client state -------------------------------------------------------- */

typedef struct key_state {
  char *key;
  int state; /* DUSK_KEY_*, 0 = not finished yet */
  uint64_t id;
  char addr[96];
  uint64_t nbytes;
  uint64_t generation; /* bumps on every update */
  char *erred_key, *op, *message;
  dusk_profile *profile; /* a profiled query's records so far (PROFILE) */
  int profile_complete;  /* its last part came */
} key_state;

typedef struct data_conn data_conn;

typedef struct fetch {
  uint64_t id;
  dusk_buf data;
  int done;  /* 1 complete, -1 failed */
  int oom;   /* failed because this process ran out of memory */
  char why[200];
} fetch;

struct data_conn {
  dusk_client *c;
  char addr[96];
  dusk_conn *conn;
  int closed;
  dusk_idmap fetches; /* id -> fetch (owned by the gather call) */
};

struct dusk_client {
  uv_loop_t loop;
  uv_timer_t deadline;
  dusk_net net;
  dusk_conn *sched;
  char address[300];
  int ready, closed;
  int closed_code; /* why the scheduler connection closed */
  char closed_reason[300];
  dusk_strmap keys; /* key -> key_state */
  dusk_strmap data_conns; /* addr -> data_conn */
  int info_pending;
  dusk_worker_status *info_out;
  size_t info_max, info_n;
  uint64_t info_ntasks;
  uint32_t info_nworkers;
  dusk_sched_stats info_stats;
  int timed_out;
  uint64_t next_query;
  /* dusk_client_set_interrupt: asked every interrupt_ms while waiting. */
  uv_timer_t interrupt_timer;
  int (*interrupt_fn)(void *arg);
  void *interrupt_arg;
  unsigned interrupt_ms;
  int interrupted;
  /* dusk_client_set_progress */
  void (*progress_fn)(void *arg, const char *key, const dusk_progress *p);
  void *progress_arg;
  /* dusk_client_set_profiling, dusk_client_take_profile */
  int profiling;
  dusk_profile *last_profile;
};

static void key_state_free(key_state *k) {
  free(k->key);
  free(k->erred_key);
  free(k->op);
  free(k->message);
  dusk_profile_free(k->profile);
  free(k);
}

static char *slice_dup(dusk_slice s) {
  char *p = malloc(s.len + 1);
  if (p != NULL) {
    memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
  }
  return p;
}

static void on_key_state(dusk_client *c, const dusk_msg_key_state *m) {
  key_state *k = dusk_strmap_get(&c->keys, m->key.ptr, m->key.len);
  if (k == NULL)
    return; /* a key we no longer track */
  k->state = m->state;
  k->id = m->id;
  snprintf(k->addr, sizeof k->addr, "%.*s", (int)m->addr.len, m->addr.ptr);
  k->nbytes = m->nbytes;
  k->generation++;
  free(k->erred_key);
  free(k->op);
  free(k->message);
  k->erred_key = slice_dup(m->erred_key);
  k->op = slice_dup(m->op);
  k->message = slice_dup(m->message);
}

static void on_sched_ready(dusk_conn *conn) {
  dusk_client *c = conn->data;
  c->ready = 1;
}

static void on_sched_msg(dusk_conn *conn, const dusk_msg *m) {
  dusk_client *c = conn->data;
  switch (m->type) {
  case DUSK_MSG_KEY_STATE:
    on_key_state(c, &m->u.key_state);
    return;
  case DUSK_MSG_PROGRESS: {
    const dusk_msg_progress *x = &m->u.progress;
    key_state *k = dusk_strmap_get(&c->keys, x->key.ptr, x->key.len);
    dusk_progress p;
    if (k == NULL || c->progress_fn == NULL)
      return; /* a query no longer waited for, or nobody asked */
    p.tasks_done = x->tasks_done;
    p.tasks_total = x->tasks_total;
    p.bytes_done = x->bytes_done;
    p.bytes_total = x->bytes_total;
    c->progress_fn(c->progress_arg, k->key, &p);
    return;
  }
  case DUSK_MSG_PROFILE: {
    const dusk_msg_profile *x = &m->u.profile;
    key_state *k = dusk_strmap_get(&c->keys, x->key.ptr, x->key.len);
    if (k == NULL || k->profile_complete)
      return; /* a query no longer waited for, or a stray part */
    if (k->profile == NULL && (k->profile = dusk__profile_new(k->key)) == NULL)
      return; /* out of memory: the query runs on without its profile */
    if (dusk__profile_add_part(k->profile, x) != 0) {
      dusk_profile_free(k->profile);
      k->profile = NULL;
      return;
    }
    k->profile_complete = x->last;
    return;
  }
  case DUSK_MSG_INFO:
    if (!c->info_pending)
      return;
    c->info_pending = 0;
    c->info_ntasks = m->u.info.ntasks;
    c->info_stats = m->u.info.stats;
    c->info_nworkers = m->u.info.nworkers;
    c->info_n = 0;
    for (uint32_t i = 0; i < m->u.info.nworkers && c->info_n < c->info_max;
         i++) {
      const dusk_worker_info *w = &m->u.info.workers[i];
      dusk_worker_status *o = &c->info_out[c->info_n++];
      o->id = w->id;
      o->pid = w->pid;
      snprintf(o->addr, sizeof o->addr, "%.*s", (int)w->addr.len,
               w->addr.ptr);
      o->nprocessing = w->nprocessing;
      o->nkeys = w->nkeys;
      snprintf(o->host_id, sizeof o->host_id, "%.*s", (int)w->host_id.len,
               w->host_id.ptr);
      o->cpu_percent = w->cpu_percent;
      o->rss_bytes = w->rss_bytes;
      o->memory_limit_bytes = w->memory_limit;
      o->bytes_scanned = w->bytes_scanned;
      o->tasks_running = w->nrunning;
    }
    if (c->info_out == NULL)
      c->info_n = m->u.info.nworkers;
    return;
  default:
    dusk_conn_fail(conn, DUSK_EPROTO, "scheduler sent unexpected %s",
                   dusk_msg_type_name(m->type));
  }
}

static void on_sched_close(dusk_conn *conn, int code, const char *reason) {
  dusk_client *c = conn->data;
  c->closed = 1;
  c->closed_code = code;
  c->sched = NULL;
  snprintf(c->closed_reason, sizeof c->closed_reason, "%s", reason);
}

static const dusk_conn_handler sched_handler = {on_sched_ready, on_sched_msg,
                                                on_sched_close, NULL};

/* ---- running the loop ------------------------------------------------- */

static void on_deadline(uv_timer_t *t) {
  dusk_client *c = t->data;
  c->timed_out = 1;
  /* Timers run before the poll in the same iteration: without a stop the
   * poll would block until the next I/O, overrunning the deadline. */
  uv_stop(&c->loop);
}

static void on_interrupt_poll(uv_timer_t *t) {
  dusk_client *c = t->data;
  if (c->interrupt_fn != NULL && c->interrupt_fn(c->interrupt_arg) != 0) {
    c->interrupted = 1;
    uv_stop(&c->loop);
  }
}

typedef int (*cond_fn)(dusk_client *c, void *arg);

/* Runs the loop until cond holds (returns its value), the scheduler is
 * gone (DUSK_ECLOSED) or timeout_ms passes (DUSK_ETIMEDOUT). */
static int run_until(dusk_client *c, cond_fn cond, void *arg,
                     int timeout_ms) {
  int rc;
  c->timed_out = 0;
  c->interrupted = 0;
  if (timeout_ms >= 0)
    uv_timer_start(&c->deadline, on_deadline, (uint64_t)timeout_ms, 0);
  if (c->interrupt_fn != NULL)
    uv_timer_start(&c->interrupt_timer, on_interrupt_poll, c->interrupt_ms,
                   c->interrupt_ms);
  for (;;) {
    /* An interrupt first: the callback has consumed the caller's signal
     * (Python's KeyboardInterrupt is already taken), so a result that
     * arrived in the same loop turn must not swallow it. */
    if (c->interrupted) {
      rc = DUSK_EINTR;
      break;
    }
    if ((rc = cond(c, arg)) != 1)
      break;
    if (c->timed_out) {
      rc = DUSK_ETIMEDOUT;
      break;
    }
    uv_run(&c->loop, UV_RUN_ONCE);
  }
  uv_timer_stop(&c->deadline);
  uv_timer_stop(&c->interrupt_timer);
  /* Flush what the condition's last step queued. */
  uv_run(&c->loop, UV_RUN_NOWAIT);
  return rc;
}

/* Condition helpers return 1 to keep running, 0 when done, <0 on error. */
static int cond_ready(dusk_client *c, void *arg) {
  (void)arg;
  if (c->closed)
    return DUSK_ECLOSED;
  return c->ready ? 0 : 1;
}

int dusk_client_connect(const char *address, const char *token,
                        int timeout_ms, dusk_client **out, dusk_error *err) {
  return dusk_client_connect_tls(address, token, NULL, timeout_ms, out, err);
}

int dusk_client_connect_tls(const char *address, const char *token,
                            const dusk_tls_files *tls, int timeout_ms,
                            dusk_client **out, dusk_error *err) {
  dusk_client *c = calloc(1, sizeof *c);
  char host[256];
  int port, rc;
  struct sockaddr_storage ss;

  if (c == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  if ((rc = dusk_address_parse(address, host, sizeof host, &port, err)) != 0 ||
      (rc = dusk_address_resolve(host, port, &ss, err)) != 0) {
    free(c);
    return rc;
  }
  snprintf(c->address, sizeof c->address, "%s", address);
  uv_loop_init(&c->loop);
  uv_timer_init(&c->loop, &c->deadline);
  c->deadline.data = c;
  uv_timer_init(&c->loop, &c->interrupt_timer);
  c->interrupt_timer.data = c;
  dusk_strmap_init(&c->keys);
  dusk_strmap_init(&c->data_conns);
  if ((rc = dusk_net_init(&c->net, &c->loop, DUSK_ROLE_CLIENT, token)) != 0) {
    uv_close((uv_handle_t *)&c->deadline, NULL);
    uv_close((uv_handle_t *)&c->interrupt_timer, NULL);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
    free(c);
    return dusk_error_set(err, rc, "network set-up failed");
  }
  if ((rc = dusk_net_use_tls(&c->net, tls, err)) != 0) {
    dusk_client_free(c);
    return rc;
  }
  if ((rc = dusk_net_connect(&c->net, (struct sockaddr *)&ss, &sched_handler,
                             c, &c->sched)) != 0) {
    c->sched = NULL;
    dusk_error_set(err, rc, "cannot connect to scheduler %s: %s", address,
                   dusk_strerror(rc));
    dusk_client_free(c);
    return rc;
  }
  rc = run_until(c, cond_ready, NULL, timeout_ms);
  if (rc != 0) {
    /* A scheduler of another protocol version is worth its own code. */
    if (rc == DUSK_ECLOSED && c->closed_code == DUSK_EVERSION)
      rc = DUSK_EVERSION;
    if (rc == DUSK_ECLOSED || rc == DUSK_EVERSION)
      dusk_error_set(err, rc, "cannot connect to scheduler %s: %s", address,
                     c->closed_reason);
    else
      dusk_error_set(err, rc,
                     "no answer from scheduler %s within %d ms%s", address,
                     timeout_ms,
                     tls == NULL ? " (a scheduler that requires TLS does not "
                                   "answer a client without it)"
                                 : "");
    dusk_client_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

static void close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (h->type == UV_TCP && !uv_is_closing(h))
    dusk_conn_close((dusk_conn *)h, 0, "client closing");
}

void dusk_client_free(dusk_client *c) {
  if (c == NULL)
    return;
  /* Closing the scheduler connection releases everything we held. */
  uv_walk(&c->loop, close_walk, NULL);
  uv_close((uv_handle_t *)&c->deadline, NULL);
  uv_close((uv_handle_t *)&c->interrupt_timer, NULL);
  dusk_net_close(&c->net);
  uv_run(&c->loop, UV_RUN_DEFAULT);
  uv_loop_close(&c->loop);
  for (size_t i = 0; i < c->keys.cap; i++)
    if (c->keys.slots[i].value != NULL)
      key_state_free(c->keys.slots[i].value);
  dusk_strmap_destroy(&c->keys);
  dusk_profile_free(c->last_profile);
  dusk_strmap_destroy(&c->data_conns);
  free(c);
}

void dusk_client_set_interrupt(dusk_client *c, int (*fn)(void *arg),
                               void *arg, unsigned period_ms) {
  c->interrupt_fn = fn;
  c->interrupt_arg = arg;
  c->interrupt_ms = period_ms > 0 ? period_ms : 50;
}

void dusk_client_set_progress(dusk_client *c,
                              void (*fn)(void *arg, const char *key,
                                         const dusk_progress *p),
                              void *arg) {
  c->progress_fn = fn;
  c->progress_arg = arg;
}

/* ---- submit -------------------------------------------------------------- */

/* What is left of timeout_ms since start (< 0 stays "no limit"). */
static int remaining_ms(uint64_t start, int timeout_ms) {
  uint64_t spent;
  if (timeout_ms < 0)
    return -1;
  spent = (dusk_now_ns() - start) / 1000000u;
  return spent >= (uint64_t)timeout_ms ? 0 : timeout_ms - (int)spent;
}

static int send_or_closed(dusk_client *c, const dusk_msg *m, dusk_error *err) {
  int rc;
  if (c->closed || c->sched == NULL)
    return dusk_error_set(err, DUSK_ECLOSED, "scheduler %s is gone: %s",
                          c->address, c->closed_reason);
  rc = dusk_conn_send(c->sched, m);
  if (rc != 0)
    return dusk_error_set(err, rc, "sending to scheduler %s: %s", c->address,
                          dusk_strerror(rc));
  return 0;
}

static int cond_flushed(dusk_client *c, void *arg) {
  size_t limit = *(size_t *)arg;
  if (c->closed)
    return DUSK_ECLOSED;
  return dusk_conn_pending_output(c->sched) > limit ? 1 : 0;
}

/* Graphs go out in parts of at most this many tasks, so no frame or
 * decoder zone on the scheduler gets large. */
#define SUBMIT_PART_TASKS 20000

int dusk_client_submit(dusk_client *c, const dusk_graph *g,
                       const char *const *wanted, size_t nwanted,
                       int timeout_ms, dusk_error *err) {
  dusk_task_spec *specs;
  dusk_slice *deps, *want;
  size_t ndeps_total = 0, done = 0;
  uint64_t start = dusk_now_ns();
  int rc = 0;

  for (size_t i = 0; i < g->n; i++)
    ndeps_total += g->tasks[i].ndeps;
  for (size_t i = 0; i < nwanted; i++) {
    key_state *k;
    size_t len = strlen(wanted[i]);
    if ((k = dusk_strmap_get(&c->keys, wanted[i], len)) != NULL) {
      /* A refused or canceled key may be submitted afresh. */
      if (k->state == DUSK_KEY_GRAPH_ERROR || k->state == DUSK_KEY_CANCELED)
        k->state = 0;
      continue;
    }
    k = calloc(1, sizeof *k);
    if (k == NULL || (k->key = strdup(wanted[i])) == NULL ||
        dusk_strmap_put(&c->keys, k->key, len, k) != 0) {
      if (k)
        key_state_free(k);
      return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    }
  }
  specs = calloc(g->n ? g->n : 1, sizeof *specs);
  deps = calloc(ndeps_total ? ndeps_total : 1, sizeof *deps);
  want = calloc(nwanted ? nwanted : 1, sizeof *want);
  if (specs == NULL || deps == NULL || want == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    goto out;
  }
  ndeps_total = 0;
  for (size_t i = 0; i < g->n; i++) {
    const graph_task *t = &g->tasks[i];
    specs[i].key.ptr = t->key;
    specs[i].key.len = strlen(t->key);
    specs[i].op.ptr = t->op;
    specs[i].op.len = strlen(t->op);
    specs[i].args.ptr = t->args;
    specs[i].args.len = t->args_len;
    specs[i].ndeps = (uint32_t)t->ndeps;
    specs[i].deps = &deps[ndeps_total];
    for (size_t j = 0; j < t->ndeps; j++) {
      deps[ndeps_total].ptr = t->deps[j];
      deps[ndeps_total++].len = strlen(t->deps[j]);
    }
  }
  for (size_t i = 0; i < nwanted; i++) {
    want[i].ptr = wanted[i];
    want[i].len = strlen(wanted[i]);
  }
  do {
    dusk_msg m;
    size_t n = g->n - done < SUBMIT_PART_TASKS ? g->n - done
                                               : SUBMIT_PART_TASKS;
    size_t limit = 32u << 20;
    memset(&m, 0, sizeof m);
    m.type = DUSK_MSG_SUBMIT;
    m.u.submit.final = done + n == g->n;
    m.u.submit.ntasks = (uint32_t)n;
    m.u.submit.tasks = specs + done;
    if (m.u.submit.final) {
      m.u.submit.nwanted = (uint32_t)nwanted;
      m.u.submit.wanted = want;
    }
    if ((rc = send_or_closed(c, &m, err)) != 0)
      goto out;
    done += n;
    /* Keep at most ~32 MiB queued: large graphs stream out as the
     * scheduler reads them.  What is queued after the last part goes out
     * during the next call. */
    if (done < g->n && dusk_conn_pending_output(c->sched) > limit &&
        (rc = run_until(c, cond_flushed, &limit,
                        remaining_ms(start, timeout_ms))) != 0) {
      if (rc == DUSK_ETIMEDOUT) {
        /* Half a graph cannot be taken back, and the rest would be
         * resolved against it: this connection is unusable now. */
        dusk_conn_close(c->sched, rc, "submit timed out after %d ms",
                        timeout_ms);
        uv_run(&c->loop, UV_RUN_NOWAIT);
        dusk_error_set(err, rc,
                       "scheduler %s did not take the graph within %d ms "
                       "(%zu of %zu tasks sent); the connection is closed",
                       c->address, timeout_ms, done, g->n);
      } else {
        dusk_error_set(err, rc, "scheduler %s is gone: %s", c->address,
                       c->closed_reason);
      }
      goto out;
    }
  } while (done < g->n);
  /* Send now rather than at the next blocking call. */
  uv_run(&c->loop, UV_RUN_NOWAIT);
out:
  free(specs);
  free(deps);
  free(want);
  return rc;
}

/* ---- wait ---------------------------------------------------------------- */

typedef struct wait_arg {
  const char *const *keys;
  size_t n;
  size_t next; /* keys before this one are known to be in memory */
  key_state *bad;
} wait_arg;

static int cond_keys(dusk_client *c, void *arg) {
  wait_arg *w = arg;
  for (; w->next < w->n; w->next++) {
    const char *key = w->keys[w->next];
    key_state *k = dusk_strmap_get(&c->keys, key, strlen(key));
    if (k == NULL)
      return DUSK_ENOTFOUND;
    if (k->state == DUSK_KEY_MEMORY)
      continue;
    if (k->state != 0) {
      w->bad = k;
      return k->state == DUSK_KEY_CANCELED ? DUSK_ECANCELED
             : k->state == DUSK_KEY_GRAPH_ERROR ? DUSK_EGRAPH
                                                : DUSK_ETASK;
    }
    break;
  }
  if (w->next == w->n)
    return 0;
  if (c->closed)
    return DUSK_ECLOSED;
  return 1;
}

/* A text on_key_state had no memory to copy shows as "?". */
static const char *or_unknown(const char *s) { return s != NULL ? s : "?"; }

static int explain(dusk_client *c, int rc, const wait_arg *w, int timeout_ms,
                   dusk_error *err) {
  const char *key = w->next < w->n ? w->keys[w->next] : "?";
  key_state *k = w->bad;
  switch (rc) {
  case 0:
    return 0;
  case DUSK_ETASK:
    return dusk_error_set(err, rc, "key '%s' failed: task '%s' (op %s): %s",
                          key, or_unknown(k->erred_key), or_unknown(k->op),
                          or_unknown(k->message));
  case DUSK_ECANCELED:
    return dusk_error_set(err, rc, "key '%s' was canceled", key);
  case DUSK_EGRAPH:
    return dusk_error_set(err, rc, "graph refused: %s",
                          or_unknown(k->message));
  case DUSK_ENOTFOUND:
    return dusk_error_set(err, rc, "key '%s' was never submitted as wanted",
                          key);
  case DUSK_ETIMEDOUT:
    return dusk_error_set(err, rc, "key '%s' not ready after %d ms", key,
                          timeout_ms);
  case DUSK_ECLOSED:
    return dusk_error_set(err, rc, "scheduler %s is gone: %s", c->address,
                          c->closed_reason);
  case DUSK_EINTR:
    return dusk_error_set(err, rc, "interrupted while waiting for '%s'", key);
  default:
    return dusk_error_set(err, rc, "waiting for '%s': %s", key,
                          dusk_strerror(rc));
  }
}

int dusk_client_wait(dusk_client *c, const char *const *keys, size_t nkeys,
                     int timeout_ms, dusk_error *err) {
  wait_arg w = {keys, nkeys, 0, NULL};
  int rc = run_until(c, cond_keys, &w, timeout_ms);
  return explain(c, rc, &w, timeout_ms, err);
}

/* ---- gather -------------------------------------------------------------- */

static void on_data_msg(dusk_conn *conn, const dusk_msg *m) {
  data_conn *d = conn->data;
  const dusk_msg_data *x = &m->u.data;
  fetch *f;
  if (m->type != DUSK_MSG_DATA) {
    dusk_conn_fail(conn, DUSK_EPROTO, "worker sent unexpected %s",
                   dusk_msg_type_name(m->type));
    return;
  }
  f = dusk_idmap_get(&d->fetches, x->id);
  if (f == NULL || f->done)
    return;
  if (!x->found) {
    f->done = -1;
    snprintf(f->why, sizeof f->why, "worker %s no longer holds it", d->addr);
    dusk_idmap_del(&d->fetches, x->id);
    return;
  }
  if (x->offset != f->data.len) {
    dusk_conn_fail(conn, DUSK_EPROTO, "chunk out of order");
    return;
  }
  if (dusk_buf_append(&f->data, x->bytes.ptr, x->bytes.len) != 0) {
    f->done = -1;
    f->oom = 1;
    snprintf(f->why, sizeof f->why, "out of memory for %llu bytes from %s",
             (unsigned long long)x->total, d->addr);
    dusk_idmap_del(&d->fetches, x->id);
    return;
  }
  if (f->data.len == x->total) {
    f->done = 1;
    dusk_idmap_del(&d->fetches, x->id);
  }
}

static void on_data_close(dusk_conn *conn, int code, const char *reason) {
  data_conn *d = conn->data;
  for (size_t i = 0; i < d->fetches.cap; i++) {
    fetch *f = d->fetches.slots[i].value;
    if (f != NULL && !f->done) {
      f->done = -1;
      f->oom = code == DUSK_ENOMEM;
      snprintf(f->why, sizeof f->why, "worker %.90s: %.100s", d->addr,
               reason);
    }
  }
  dusk_idmap_destroy(&d->fetches);
  dusk_strmap_del(&d->c->data_conns, d->addr, strlen(d->addr));
  free(d);
}

static const dusk_conn_handler data_handler = {NULL, on_data_msg,
                                               on_data_close, NULL};

/* The connection to the worker data port at addr, made on first use.  0
 * and *out, or a negative code with err naming the address. */
static int data_conn_get(dusk_client *c, const char *addr, data_conn **out,
                         dusk_error *err) {
  data_conn *d = dusk_strmap_get(&c->data_conns, addr, strlen(addr));
  char host[100];
  int port, rc;
  struct sockaddr_storage ss;
  if (d != NULL) {
    *out = d;
    return 0;
  }
  if ((rc = dusk_address_parse(addr, host, sizeof host, &port, err)) != 0 ||
      (rc = dusk_address_resolve(host, port, &ss, err)) != 0)
    return rc;
  d = calloc(1, sizeof *d);
  if (d == NULL)
    return dusk_error_set(err, DUSK_ENOMEM,
                          "out of memory connecting to worker %s", addr);
  d->c = c;
  snprintf(d->addr, sizeof d->addr, "%s", addr);
  dusk_idmap_init(&d->fetches);
  /* The map entry first: once connected, on_data_close removes it. */
  if ((rc = dusk_strmap_put(&c->data_conns, d->addr, strlen(d->addr), d)) !=
      0) {
    free(d);
    return dusk_error_set(err, rc, "out of memory connecting to worker %s",
                          addr);
  }
  if ((rc = dusk_net_connect(&c->net, (struct sockaddr *)&ss, &data_handler,
                             d, &d->conn)) != 0) {
    dusk_strmap_del(&c->data_conns, d->addr, strlen(d->addr));
    free(d);
    return dusk_error_set(err, rc, "cannot connect to worker %s: %s", addr,
                          dusk_strerror(rc));
  }
  *out = d;
  return 0;
}

typedef struct gather_arg {
  fetch *fetches;
  size_t n;
} gather_arg;

static int cond_fetched(dusk_client *c, void *arg) {
  gather_arg *g = arg;
  (void)c;
  for (size_t i = 0; i < g->n; i++)
    if (g->fetches[i].done == 0)
      return 1;
  return 0;
}

/* Drops pending fetches from every data connection (they point into the
 * caller's array). */
static void forget_fetches(dusk_client *c, fetch *fs, size_t n) {
  for (size_t i = 0; i < c->data_conns.cap; i++) {
    data_conn *d = c->data_conns.slots[i].value;
    if (d == NULL)
      continue;
    for (size_t j = 0; j < n; j++)
      if (dusk_idmap_get(&d->fetches, fs[j].id) == &fs[j])
        dusk_idmap_del(&d->fetches, fs[j].id);
  }
}

int dusk_client_gather(dusk_client *c, const char *const *keys, size_t nkeys,
                       int timeout_ms, void **out, size_t *lens,
                       dusk_error *err) {
  fetch *fs = calloc(nkeys ? nkeys : 1, sizeof *fs);
  uint64_t *gens = calloc(nkeys ? nkeys : 1, sizeof *gens);
  uint64_t start = dusk_now_ns();
  size_t last_failed = 0;
  int rc = 0, attempts = 0;

  for (size_t i = 0; i < nkeys; i++)
    out[i] = NULL;
  if (fs == NULL || gens == NULL) {
    free(fs);
    free(gens);
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  }
  for (;;) {
    int remaining = remaining_ms(start, timeout_ms), failed = 0;
    if ((rc = dusk_client_wait(c, keys, nkeys, remaining, err)) != 0)
      break;
    /* Ask every holder for everything still missing, all at once. */
    for (size_t i = 0; i < nkeys; i++) {
      key_state *k = dusk_strmap_get(&c->keys, keys[i], strlen(keys[i]));
      dusk_error why = {0};
      data_conn *d = NULL;
      dusk_msg m;
      if (out[i] != NULL)
        continue;
      dusk_buf_destroy(&fs[i].data);
      memset(&fs[i], 0, sizeof fs[i]);
      fs[i].id = k->id;
      gens[i] = k->generation;
      if ((rc = data_conn_get(c, k->addr, &d, &why)) != 0 ||
          (rc = dusk_idmap_put(&d->fetches, k->id, &fs[i])) != 0) {
        dusk_error_set(err, rc, "gathering '%s': %s", keys[i],
                       why.code != 0 ? why.message : dusk_strerror(rc));
        goto done;
      }
      memset(&m, 0, sizeof m);
      m.type = DUSK_MSG_GET_DATA;
      m.u.get_data.id = k->id;
      /* A closing conn fails the fetch in on_data_close (a retry). */
      if ((rc = dusk_conn_send(d->conn, &m)) != 0 && rc != DUSK_ECLOSED) {
        dusk_error_set(err, rc, "gathering '%s' from worker %s: %s",
                       keys[i], d->addr, dusk_strerror(rc));
        goto done;
      }
      rc = 0;
    }
    {
      gather_arg g = {fs, nkeys};
      for (size_t i = 0; i < nkeys; i++)
        if (out[i] != NULL)
          fs[i].done = 1;
      rc = run_until(c, cond_fetched, &g, remaining);
    }
    forget_fetches(c, fs, nkeys);
    if (rc != 0) {
      /* Name the first key still missing. */
      size_t i = 0;
      key_state *k = NULL;
      while (i < nkeys && fs[i].done != 0)
        i++;
      if (i < nkeys)
        k = dusk_strmap_get(&c->keys, keys[i], strlen(keys[i]));
      dusk_error_set(err, rc, "gathering '%s' from worker %s: %s",
                     i < nkeys ? keys[i] : "?", k != NULL ? k->addr : "?",
                     dusk_strerror(rc));
      break;
    }
    for (size_t i = 0; i < nkeys; i++) {
      if (out[i] != NULL)
        continue;
      if (fs[i].done == 1) {
        size_t len;
        char *p = dusk_buf_steal(&fs[i].data, &len);
        /* An empty result is still a pointer the caller frees. */
        if (p == NULL && (p = malloc(1)) == NULL) {
          rc = dusk_error_set(err, DUSK_ENOMEM,
                              "gathering '%s': out of memory", keys[i]);
          goto done;
        }
        out[i] = p;
        lens[i] = len;
      } else if (fs[i].oom) {
        /* Our memory, not the holder's loss: a retry would wait for news
         * of a recomputation that nobody is doing. */
        rc = dusk_error_set(err, DUSK_ENOMEM, "gathering '%s': %s", keys[i],
                            fs[i].why);
        goto done;
      } else {
        /* The holder died or dropped it: the scheduler recomputes it and
         * tells us where it is next. */
        key_state *k = dusk_strmap_get(&c->keys, keys[i], strlen(keys[i]));
        if (k->generation == gens[i])
          k->state = 0;
        last_failed = i;
        failed++;
      }
    }
    if (failed == 0)
      break;
    if (++attempts > 10) {
      rc = dusk_error_set(err, DUSK_ENOTFOUND,
                          "the result of '%s' kept disappearing from "
                          "workers (last: %s)",
                          keys[last_failed], fs[last_failed].why);
      break;
    }
  }
done:
  /* Fetches still registered point into fs, which goes now. */
  forget_fetches(c, fs, nkeys);
  if (rc != 0)
    for (size_t i = 0; i < nkeys; i++) {
      free(out[i]);
      out[i] = NULL;
    }
  for (size_t i = 0; i < nkeys; i++)
    dusk_buf_destroy(&fs[i].data);
  free(fs);
  free(gens);
  return rc;
}

int dusk_client_gather_int(dusk_client *c, const char *key, int timeout_ms,
                           int64_t *out, dusk_error *err) {
  void *bytes = NULL;
  size_t len = 0;
  dusk_slice s;
  int rc = dusk_client_gather(c, &key, 1, timeout_ms, &bytes, &len, err);
  if (rc != 0)
    return rc;
  s.ptr = bytes;
  s.len = len;
  rc = dusk_mp_read_int(s, out);
  free(bytes);
  if (rc != 0)
    return dusk_error_set(err, rc, "result of '%s' is not an integer", key);
  return 0;
}

/* ---- cancel, release, workers ------------------------------------------- */

static int send_keys(dusk_client *c, uint8_t type, const char *const *keys,
                     size_t n, dusk_error *err) {
  dusk_slice *ks = calloc(n ? n : 1, sizeof *ks);
  dusk_msg m;
  int rc;
  if (ks == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    ks[i].ptr = keys[i];
    ks[i].len = strlen(keys[i]);
  }
  memset(&m, 0, sizeof m);
  m.type = type;
  m.u.cancel.n = (uint32_t)n;
  m.u.cancel.keys = ks;
  rc = send_or_closed(c, &m, err);
  free(ks);
  if (rc == 0)
    uv_run(&c->loop, UV_RUN_NOWAIT);
  return rc;
}

int dusk_client_cancel(dusk_client *c, const char *const *keys, size_t nkeys,
                       dusk_error *err) {
  return send_keys(c, DUSK_MSG_CANCEL, keys, nkeys, err);
}

int dusk_client_release(dusk_client *c, const char *const *keys,
                        size_t nkeys, dusk_error *err) {
  int rc = send_keys(c, DUSK_MSG_RELEASE_KEYS, keys, nkeys, err);
  for (size_t i = 0; rc == 0 && i < nkeys; i++) {
    key_state *k = dusk_strmap_del(&c->keys, keys[i], strlen(keys[i]));
    if (k != NULL)
      key_state_free(k);
  }
  return rc;
}

static int cond_info(dusk_client *c, void *arg) {
  (void)arg;
  if (c->closed)
    return DUSK_ECLOSED;
  return c->info_pending ? 1 : 0;
}

int dusk_client_workers(dusk_client *c, unsigned min_workers, int timeout_ms,
                        dusk_worker_status *out, size_t max, size_t *n,
                        uint64_t *ntasks, dusk_error *err) {
  dusk_msg m;
  int rc;
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_INFO_REQUEST;
  m.u.info_request.min_workers = min_workers;
  c->info_pending = 1;
  c->info_out = out;
  c->info_max = out ? max : 0;
  if ((rc = send_or_closed(c, &m, err)) != 0)
    return rc;
  rc = run_until(c, cond_info, NULL, timeout_ms);
  c->info_pending = 0;
  if (rc == DUSK_ETIMEDOUT && min_workers == 0)
    return dusk_error_set(err, rc, "scheduler %s did not answer a request "
                          "for its workers within %d ms", c->address,
                          timeout_ms);
  if (rc == DUSK_ETIMEDOUT)
    return dusk_error_set(err, rc, "fewer than %u workers registered after "
                          "%d ms", min_workers, timeout_ms);
  if (rc != 0)
    return dusk_error_set(err, rc, "scheduler %s is gone: %s", c->address,
                          c->closed_reason);
  if (n != NULL)
    *n = c->info_n;
  if (ntasks != NULL)
    *ntasks = c->info_ntasks;
  return 0;
}

int dusk_client_stats(dusk_client *c, int timeout_ms,
                      dusk_scheduler_stats *out, dusk_error *err) {
  int rc = dusk_client_workers(c, 0, timeout_ms, NULL, 0, NULL, NULL, err);
  const dusk_sched_stats *st = &c->info_stats;
  if (rc != 0)
    return rc;
  memset(out, 0, sizeof *out);
  out->ntasks = c->info_ntasks;
  out->nworkers = c->info_nworkers;
  out->nclients = st->nclients;
  out->rss_bytes = st->rss_bytes;
  out->peak_rss_bytes = st->peak_rss_bytes;
  out->hb_samples = st->hb_samples;
  out->hb_rtt_p50_us = st->hb_rtt_p50_us;
  out->hb_rtt_p99_us = st->hb_rtt_p99_us;
  out->hb_rtt_max_us = st->hb_rtt_max_us;
  out->autoscale = st->as_enabled;
  out->as_target = st->as_target;
  out->as_pending = st->as_pending;
  out->as_running = st->as_running;
  out->as_closing = st->as_closing;
  out->as_launched = st->as_launched;
  out->as_stopped = st->as_stopped;
  out->as_work_ms = st->as_work_ms;
  out->dashboard_port = (int)st->dashboard_port;
  out->dashboard_tls = st->dashboard_tls != 0;
  out->dashboard_local = st->dashboard_local != 0;
  return 0;
}

int dusk_client_dashboard_link(dusk_client *c, int timeout_ms, char *out,
                               size_t outlen, dusk_error *err) {
  dusk_scheduler_stats st;
  char host[256];
  int port, rc, n;
  if (outlen == 0)
    return dusk_error_set(err, DUSK_EINVAL, "no room for a dashboard link");
  out[0] = '\0';
  if ((rc = dusk_client_stats(c, timeout_ms, &st, err)) != 0)
    return rc;
  if (st.dashboard_port == 0)
    return 0;
  if ((rc = dusk_address_parse(c->address, host, sizeof host, &port, err)) !=
      0)
    return rc;
  if (st.dashboard_local)
    snprintf(host, sizeof host, "%s", strchr(host, ':') ? "::1" : "127.0.0.1");
  n = snprintf(out, outlen, "%s://%s%s%s:%d/", st.dashboard_tls ? "https" : "http",
               strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
               st.dashboard_port);
  if (n < 0 || (size_t)n >= outlen) {
    out[0] = '\0';
    return dusk_error_set(err, DUSK_EINVAL, "the dashboard link of %s does "
                          "not fit in %zu bytes", c->address, outlen);
  }
  return 0;
}

/* ---- dataframe queries --------------------------------------------------- */

int dusk__client_query(dusk_client *c, const void *plan, size_t len,
                       char *key, size_t keylen, dusk_error *err) {
  key_state *k;
  dusk_msg m;
  snprintf(key, keylen, "query-%llu",
           (unsigned long long)++c->next_query);
  k = calloc(1, sizeof *k);
  if (k == NULL || (k->key = strdup(key)) == NULL ||
      dusk_strmap_put(&c->keys, k->key, strlen(k->key), k) != 0) {
    if (k)
      key_state_free(k);
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  }
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_QUERY;
  m.u.query.key.ptr = key;
  m.u.query.key.len = strlen(key);
  m.u.query.plan.ptr = plan;
  m.u.query.plan.len = len;
  m.u.query.profile = c->profiling != 0;
  return send_or_closed(c, &m, err);
}

/* ---- profiles ------------------------------------------------------------ */

void dusk_client_set_profiling(dusk_client *c, int on) {
  c->profiling = on != 0;
}

dusk_profile *dusk_client_take_profile(dusk_client *c) {
  dusk_profile *p = c->last_profile;
  c->last_profile = NULL;
  return p;
}

dusk_profile *dusk__client_detach_profile(dusk_client *c, const char *key) {
  key_state *k = dusk_strmap_get(&c->keys, key, strlen(key));
  dusk_profile *p;
  if (k == NULL || k->profile == NULL)
    return NULL;
  p = k->profile;
  k->profile = NULL;
  if (!k->profile_complete) { /* cut short: no report from part of it */
    dusk_profile_free(p);
    return NULL;
  }
  return p;
}

void dusk__client_keep_profile(dusk_client *c, dusk_profile *p) {
  dusk_profile_free(c->last_profile);
  c->last_profile = p;
}
