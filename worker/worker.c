/* worker.c - the worker daemon: scheduler connection, task lifecycle, result
 * store, peer fetches, data serving and the work thread.
 *
 * Threads: everything here runs on the loop thread except run_thread, which
 * takes tasks whose inputs are all local from `exec_queue`, runs their op and
 * puts them on `done_queue`, waking the loop with a uv_async.  A task handed
 * to the work thread is owned by it until it comes back on done_queue; the
 * loop only sets its `canceled` flag meanwhile.  Inputs of queued and running
 * tasks are pinned so a release cannot free bytes an op is reading. */
#include "worker.h"

#include "auth.h"
#include "buf.h"
#include "conn.h"
#include "dfops.h"
#include "hashmap.h"
#include "heapkeep.h"
#include "log.h"
#include "msg.h"
#include "procstat.h"
#include "registry.h"
#include "spill.h"
#include "xalloc.h"

#include <assert.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CFG(field) offsetof(dusk_worker_config, field)
const dusk_cfg_entry dusk_worker_config_table[] = {
    {"host", DUSK_CFG_STR, NULL, 0, 0, CFG(host),
     "data listener address (default: 127.0.0.1 for a loopback scheduler, "
     "else 0.0.0.0)"},
    {"port", DUSK_CFG_RANGE, "0", 0, 65535, CFG(port),
     "data listener port, 0 = ephemeral; or a range A-B, of which each "
     "worker takes the first free port (a nanny's workers need one each), "
     "so a firewall can open just the range"},
    {"contact-host", DUSK_CFG_STR, NULL, 0, 0, CFG(contact_host),
     "address peers use to reach this worker"},
    {"token-file", DUSK_CFG_STR, NULL, 0, 0, CFG(token_file),
     "file holding the cluster's token"},
    {"tls-cert", DUSK_CFG_STR, NULL, 0, 0, CFG(tls_cert),
     "PEM certificate: with --tls-key and --tls-ca, every connection is TLS"},
    {"tls-key", DUSK_CFG_STR, NULL, 0, 0, CFG(tls_key),
     "PEM private key of --tls-cert"},
    {"tls-ca", DUSK_CFG_STR, NULL, 0, 0, CFG(tls_ca),
     "PEM CA bundle; peers must present a certificate it signed"},
    {"nworkers", DUSK_CFG_STR, NULL, 0, 0, CFG(nworkers),
     "run N worker processes (auto = one per vCPU) under a nanny"},
    {"plugin", DUSK_CFG_STR, NULL, 0, 0, CFG(plugins),
     "comma-separated shared libraries exporting dusk_plugin_init"},
    {"name", DUSK_CFG_STR, NULL, 0, 0, CFG(name), "worker name"},
    {"host-id", DUSK_CFG_STR, NULL, 0, 0, CFG(host_id),
     "the id an autoscaling scheduler's provider gave this host (1-127 of "
     "A-Z a-z 0-9 . _ : -); the provider passes it"},
    {"ready-fd", DUSK_CFG_INT, "-1", -1, 1 << 20, CFG(ready_fd),
     "write 'READY <data port>' to this fd once registered"},
    {"log-level", DUSK_CFG_STR, "info", 0, 0, CFG(log_level),
     "debug, info, warn or error"},
    {"max-frame", DUSK_CFG_INT, "67108864", 4096, 1073741824, CFG(max_frame),
     "largest frame body accepted, bytes"},
    {"max-outbuf", DUSK_CFG_INT, "1073741824", 1048576, 17179869184,
     CFG(max_outbuf), "output queued per connection before it is cut, bytes"},
    {"death-timeout", DUSK_CFG_INT, "0", 0, 31536000, CFG(death_timeout_s),
     "exit after this many seconds without a scheduler (0: never), so a "
     "host whose scheduler is gone stops costing money"},
    {"reconnect-max-ms", DUSK_CFG_INT, "2000", 10, 600000,
     CFG(reconnect_max_ms), "longest wait between attempts to reach the "
                            "scheduler"},
    {"data-chunk", DUSK_CFG_INT, "8388608", 1024, 536870912, CFG(data_chunk),
     "bytes of a result per DATA frame"},
    {"handshake-ms", DUSK_CFG_INT, "5000", 10, 600000, CFG(handshake_ms),
     "time a connecting peer has to authenticate"},
    {"chore-ms", DUSK_CFG_INT, "250", 10, 60000, CFG(chore_ms),
     "interval of the periodic chore (handshake deadlines)"},
    {"leave-wait-ms", DUSK_CFG_INT, "10000", 0, 600000, CFG(leave_wait_ms),
     "wait for the scheduler to close the connection after LEAVING"},
    {"memory-limit", DUSK_CFG_STR, "auto", 0, 0, CFG(memory_limit),
     "memory this worker may use: a size (4GiB, 512MB, bytes) or auto = "
     "the machine's memory (or its cgroup's limit, if lower) divided "
     "by the workers of this nanny: results held past 70% of it spill to "
     "--spill-dir, least recently used first, down to 60%"},
    {"spill-dir", DUSK_CFG_STR, "", 0, 0, CFG(spill_dir),
     "where results past --memory-limit go (a private directory made in "
     "it, removed at exit; default $TMPDIR, else /tmp)"},
    {"inline-input-max", DUSK_CFG_INT, "4096", 0, 1048576,
     CFG(inline_input_max),
     "input bytes under which a trivial op runs on the loop thread"},
};
const size_t dusk_worker_config_count =
    sizeof dusk_worker_config_table / sizeof dusk_worker_config_table[0];

typedef struct wresult {
  uint64_t id;
  char *data;
  size_t len;
  int pins;     /* tasks reading it */
  int released; /* the scheduler let it go; freed when pins reach 0 */
  int fetched;  /* a copy of another worker's result, kept while pinned */
  int spilled;  /* on disk (spill.h), data NULL, until a reader loads it */
  int own;      /* made by this worker's op, never on disk or the wire */
  uint64_t used; /* the worker's use clock when last made or read */
  /* A view (an op's dusk_registry_result_view: df_pick's part of a
   * split): data lies inside parent's, which it pins, and counts nothing
   * in result_bytes.  Spilled, it becomes a result of its own. */
  struct wresult *parent;
} wresult;

/* A task fetches its missing inputs, is handed to the work thread (or run
 * inline) once they are all local, and is done once its outcome went out. */
enum { W_FETCHING, W_QUEUED, W_DONE };

typedef struct wtask {
  uint64_t id;
  dusk_op_fn fn;
  char *op;
  uint32_t ndeps;
  uint32_t nmissing;   /* inputs still being fetched */
  uint64_t *dep_ids;
  wresult **inputs;
  dusk_slice *input_slices;
  uint8_t *input_own; /* per input: its wresult's own */
  int state;
  int fail_reason;     /* set when an input could not be had */
  uint64_t fail_dep;
  char fail_msg[256];
  volatile int canceled;
  int rc;              /* op's return, set by the work thread */
  uint64_t run_us;     /* op's running time, set by the work thread */
  /* uv_hrtime() when the COMPUTE arrived, when its inputs were all at
   * hand, and when the op started (set by whoever runs it): TASK_DONE's
   * fetch_us, wait_us and held_us (msg.h). */
  uint64_t recv_ns, inputs_ns, began_ns;
  dusk_op_call call;
  struct wtask *qnext;
} wtask;

typedef struct wpeer wpeer;

typedef struct wfetch {
  uint64_t id;
  wpeer *peer;
  wtask **waiters;
  size_t nwaiters, cap;
  dusk_buf data;
} wfetch;

struct wpeer {
  dusk_worker *w;
  char addr[96];
  dusk_conn *conn;
  dusk_idmap fetches; /* id -> wfetch */
};

struct dusk_worker {
  bool identity_set; /* dusk_dfops_set_identity called (first REGISTER) */
  uv_loop_t *loop;
  dusk_worker_config cfg;
  dusk_registry registry;
  dusk_net net;
  uv_tcp_t data_server;
  int data_port;
  char sched_host[256];
  int sched_port;
  char advertised_host[256];
  dusk_conn *sched;
  uint64_t worker_id;
  uv_timer_t heartbeat, reconnect, chore;
  uv_timer_t alone;  /* --death-timeout: runs while there is no scheduler */
  bool gave_up;      /* it fired */
  uint64_t heartbeat_seq;
  uint64_t heartbeat_sent_ns; /* when heartbeat_seq went out */
  uint32_t heartbeat_rtt_us;  /* its answer's round trip, 0 = none yet */
  uint64_t memory_limit;      /* --memory-limit resolved, bytes */
  uint64_t bytes_scanned;     /* by its scans since it registered */
  int64_t reconnect_delay_ms;
  int announced;
  dusk_idmap results; /* id -> wresult */
  uint64_t result_bytes; /* of the results in memory (not spilled) */
  dusk_spill spill;      /* the results on disk */
  uint64_t use_clock;
  uint64_t spilled_total; /* results written to disk, ever */
  dusk_idmap tasks;   /* id -> wtask, for tasks not yet done */
  dusk_strmap peers;  /* addr -> wpeer */
  /* work thread */
  uv_thread_t thread;
  uv_mutex_t mutex;
  uv_cond_t cond;
  uv_async_t async;
  wtask *exec_head, *exec_tail;
  wtask *done_head, *done_tail;
  size_t nqueued;
  unsigned long done_count; /* atomic: tasks the thread has finished */
  int running;              /* atomic: the thread is running an op */
  double ema_run_us;        /* loop side: recent op run times */
  int thread_stop;
  int stopping;
  int net_closed;
  uv_timer_t leave_timer; /* bounds the wait for the scheduler's goodbye */
  uint64_t last_done_ns;  /* loop side: when a task last finished */
  int heap_trimmed;       /* loop side: given back since the last task */
  /* Loop side (trim_under_pressure): the free heap bytes
   * keep_freed_memory keeps, and the resident size after the last trim
   * under pressure (0: none since the worker was last under it). */
  uint64_t keep_free, pressure_rss;
};

/* Freed memory stays with the worker while it works.  By default glibc
 * gives a heap's free top back past 128 KiB, unmaps every block past its
 * mmap threshold when it is freed, and serves the task thread from heaps
 * of its own that it unmaps as they shrink: so each task's buffers were
 * fresh pages, faulted in again one at a time, and each large unmap
 * flushed the TLB (on a virtual machine with shadow page tables, the
 * next touch of every page of the working set then went through the
 * hypervisor: a pass over a final's 600 MiB of state took 0.5 s instead
 * of 25 ms; docs/performance.md).  So every block comes from the one
 * main heap (no mmap, one arena: the loop thread and the task thread
 * share it), which keeps a sixteenth of --memory-limit (at most 256 MiB;
 * heapkeep.h) of free memory for the next task, and gives it back early
 * near its limit (trim_under_pressure); after IDLE_TRIM_MS without a
 * task all of it goes (on_chore's malloc_trim), so an idle worker is as
 * small as before.  Results are counted against the limit as before:
 * this is free memory only.  The settings are the whole process's (a
 * test's in-process workers share them); without mmap a realloc that
 * grows a block copies it (no mremap), briefly needing both. */
#define IDLE_TRIM_MS 2000

static uint64_t keep_freed_memory(uint64_t memory_limit) {
  uint64_t keep = dusk_heap_keep_bytes(memory_limit);
#ifdef __GLIBC__
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, (int)keep);
#endif
  return keep;
}

/* Loop side, each chore tick: the kept memory goes back at once when the
 * worker is near its limit (heapkeep.h dusk_heap_trim_now). */
static void trim_under_pressure(dusk_worker *w) {
  uint64_t rss;
  if (dusk_proc_rss(&rss) != 0 ||
      !dusk_heap_trim_now(rss, w->memory_limit, w->keep_free,
                          &w->pressure_rss))
    return;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
  if (dusk_proc_rss(&w->pressure_rss) != 0 || w->pressure_rss == 0)
    w->pressure_rss = rss;
}

/* Gives the kept free memory back once the worker has been idle a while. */
static void trim_when_idle(dusk_worker *w) {
  size_t queued;
  if (w->heap_trimmed ||
      uv_hrtime() - w->last_done_ns < (uint64_t)IDLE_TRIM_MS * 1000000u)
    return;
  uv_mutex_lock(&w->mutex);
  queued = w->nqueued;
  uv_mutex_unlock(&w->mutex);
  if (queued > 0)
    return;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
  w->heap_trimmed = 1;
}

static void connect_scheduler(dusk_worker *w);
static void task_inputs_ready(dusk_worker *w, wtask *t);

/* ---- results ------------------------------------------------------------- */

static void result_unpin(dusk_worker *w, wresult *r);

static void result_free(dusk_worker *w, wresult *r) {
  wresult *parent = r->parent;
  dusk_idmap_del(&w->results, r->id);
  if (r->spilled)
    dusk_spill_drop(&w->spill, r->id, r->len);
  else if (parent == NULL)
    w->result_bytes -= r->len;
  if (parent == NULL)
    free(r->data);
  free(r);
  if (parent != NULL)
    result_unpin(w, parent);
}

/* ---- spilling past --memory-limit ---------------------------------------
 * Results are most of what a worker holds for long (persisted partitions,
 * intermediate tables); its batches and hash tables are bounded by design.
 * So when the results in memory pass SPILL_HIGH of the limit, the least
 * recently used ones that no task is reading go to disk (spill.h) until
 * they are under SPILL_LOW, as Dask's worker spills past 70% to 60%; a
 * reader loads one back (on the loop: a partition of a 64 MiB range reads
 * from the page cache in tens of ms). */
#define SPILL_HIGH 0.7
#define SPILL_LOW 0.6

/* Whether writing r out frees memory now: a result of its own, or the
 * last view of a parent nothing else holds (a view's bytes are its
 * parent's, freed only with the last view). */
static bool spill_frees(const wresult *r) {
  return r->parent == NULL ||
         (r->parent->pins == 1 && (r->parent->released || r->parent->fetched));
}

/* The least recently used result that may go to disk, preferring those
 * whose spill frees memory at once; NULL when none may go. */
static wresult *spill_candidate(dusk_worker *w) {
  wresult *best = NULL;
  bool best_frees = false;
  for (size_t i = 0; i < w->results.cap; i++) {
    wresult *r = w->results.slots[i].value;
    bool frees;
    if (r == NULL || r->spilled || r->pins != 0 || r->fetched ||
        r->released || r->len == 0)
      continue;
    frees = spill_frees(r);
    if (best == NULL || (frees && !best_frees) ||
        (frees == best_frees && r->used < best->used)) {
      best = r;
      best_frees = frees;
    }
  }
  return best;
}

/* Spills results until those in memory are under SPILL_LOW of the limit
 * (nothing without a limit).  0, or the failed write's code with err. */
static int make_room(dusk_worker *w, dusk_error *err) {
  uint64_t high = (uint64_t)((double)w->memory_limit * SPILL_HIGH);
  uint64_t low = (uint64_t)((double)w->memory_limit * SPILL_LOW);
  uint64_t before = w->result_bytes, n = 0;
  int rc = 0;
  if (w->memory_limit == 0 || w->result_bytes <= high)
    return 0;
  while (w->result_bytes > low) {
    wresult *r = spill_candidate(w);
    if (r == NULL)
      break; /* what is left is being read: it goes once read */
    if ((rc = dusk_spill_write(&w->spill, r->id, r->data, r->len, err)) != 0)
      break;
    r->spilled = 1;
    w->spilled_total++;
    n++;
    if (r->parent != NULL) {
      /* a view on disk is a result of its own: its parent goes once no
       * other view or reader holds it */
      wresult *parent = r->parent;
      r->parent = NULL;
      r->data = NULL;
      result_unpin(w, parent);
      continue;
    }
    free(r->data);
    r->data = NULL;
    w->result_bytes -= r->len;
  }
  if (n > 0)
    dusk_log(DUSK_LOG_INFO, "spilled %" PRIu64 " results (%.1f MiB) to %s: "
             "%.1f of %.1f MiB (--memory-limit) in memory", n,
             (double)(before - w->result_bytes) / 1048576.0, w->spill.dir,
             (double)w->result_bytes / 1048576.0,
             (double)w->memory_limit / 1048576.0);
  return rc;
}

/* make_room where nothing waits on the outcome (a read brought a result
 * back): a failed spill keeps results in memory, and says so. */
static void make_room_or_warn(dusk_worker *w) {
  dusk_error err = {0};
  if (make_room(w, &err) != 0)
    dusk_log(DUSK_LOG_WARN, "spilling failed: %s", err.message);
}

/* Brings a spilled result back into memory to be read.  0, or a negative
 * code with err. */
static int result_load(dusk_worker *w, wresult *r, dusk_error *err) {
  char *data;
  int rc;
  r->used = ++w->use_clock;
  if (!r->spilled)
    return 0;
  if ((rc = dusk_spill_take(&w->spill, r->id, r->len, &data, err)) != 0)
    return rc;
  r->data = data;
  r->spilled = 0;
  r->own = 0; /* it came back from disk */
  w->result_bytes += r->len;
  return 0;
}

static void result_unpin(dusk_worker *w, wresult *r) {
  if (--r->pins == 0 && (r->released || r->fetched))
    result_free(w, r);
}

/* Result id as bytes [off, off + len) of result of (a view, pinning the
 * result that owns the bytes; of is pinned by the task that made it). */
static wresult *result_add_view(dusk_worker *w, uint64_t id, wresult *of,
                                size_t off, size_t len) {
  wresult *r, *old = dusk_idmap_get(&w->results, id);
  if (old != NULL) /* as result_add: a fetched copy raced it; keep one */
    return old;
  r = dusk_xcalloc(1, sizeof *r);
  r->id = id;
  r->data = of->data + off;
  r->len = len;
  r->own = of->own;
  r->parent = of->parent != NULL ? of->parent : of;
  r->parent->pins++;
  r->used = ++w->use_clock;
  dusk_xcheck(dusk_idmap_put(&w->results, id, r));
  return r;
}

static wresult *result_add(dusk_worker *w, uint64_t id, char *data,
                           size_t len, int fetched) {
  wresult *r = dusk_xcalloc(1, sizeof *r);
  wresult *old = dusk_idmap_get(&w->results, id);
  if (old != NULL) {
    /* Only possible for a fetched copy racing a local one: keep one. */
    free(data);
    free(r);
    return old;
  }
  r->id = id;
  r->data = data;
  r->len = len;
  r->fetched = fetched;
  r->used = ++w->use_clock;
  dusk_xcheck(dusk_idmap_put(&w->results, id, r));
  w->result_bytes += len;
  return r;
}

/* ---- messages to the scheduler ------------------------------------------- */

static void send_failed(dusk_worker *w, uint64_t id, uint32_t reason,
                        uint64_t dep, const char *msg) {
  dusk_msg m;
  if (w->sched == NULL || w->sched->state != DUSK_CONN_READY)
    return;
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_TASK_FAILED;
  m.u.task_failed.id = id;
  m.u.task_failed.reason = reason;
  m.u.task_failed.dep = dep;
  m.u.task_failed.message.ptr = msg;
  m.u.task_failed.message.len = strlen(msg);
  dusk_xcheck(dusk_conn_send(w->sched, &m));
}

/* An op's own failure, with the typed fields of a reason the scheduler
 * acts on. */
static void send_op_failed(dusk_worker *w, uint64_t id,
                           const dusk_op_call *call) {
  dusk_msg m;
  if (w->sched == NULL || w->sched->state != DUSK_CONN_READY)
    return;
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_TASK_FAILED;
  m.u.task_failed.id = id;
  dusk_registry_failure(call, &m.u.task_failed);
  dusk_conn_send(w->sched, &m);
}

/* Reports t's result of nbytes.  Its times are differences of uv_hrtime()
 * stamps in order (recv <= inputs <= began <= began + run <= now), each
 * truncated to microseconds, so their sum never exceeds held_us. */
static void send_done(dusk_worker *w, const wtask *t, uint64_t nbytes) {
  dusk_msg m;
  uint64_t now = uv_hrtime();
  if (w->sched == NULL || w->sched->state != DUSK_CONN_READY)
    return;
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_TASK_DONE;
  m.u.task_done.id = t->id;
  m.u.task_done.nbytes = nbytes;
  m.u.task_done.run_us = t->run_us;
  m.u.task_done.fetch_us = (t->inputs_ns - t->recv_ns) / 1000u;
  m.u.task_done.wait_us = (t->began_ns - t->inputs_ns) / 1000u;
  m.u.task_done.held_us = (now - t->recv_ns) / 1000u;
  m.u.task_done.recv_ns = t->recv_ns;
  dusk_xcheck(dusk_conn_send(w->sched, &m));
}

/* ---- tasks --------------------------------------------------------------- */

static void task_free(dusk_worker *w, wtask *t) {
  for (uint32_t i = 0; i < t->ndeps; i++)
    if (t->inputs[i] != NULL)
      result_unpin(w, t->inputs[i]);
  dusk_registry_call_destroy(&t->call);
  free(t->op);
  free(t->dep_ids);
  free(t->inputs);
  free(t->input_slices);
  free(t->input_own);
  free((void *)t->call.args.ptr);
  free(t);
}

/* Points t's call at its inputs; returns their total size. */
static size_t prepare_call(wtask *t) {
  size_t total = 0;
  for (uint32_t i = 0; i < t->ndeps; i++) {
    t->input_slices[i].ptr = t->inputs[i]->data;
    t->input_slices[i].len = t->inputs[i]->len;
    t->input_own[i] = (uint8_t)t->inputs[i]->own;
    total += t->inputs[i]->len;
  }
  t->call.inputs = t->input_slices;
  t->call.inputs_own = t->input_own;
  t->call.ninputs = t->ndeps;
  t->call.canceled = &t->canceled;
  return total;
}

/* The loop hands t to the work thread. */
static void exec_push(dusk_worker *w, wtask *t) {
  assert(t->state == W_FETCHING && t->nmissing == 0);
  t->state = W_QUEUED;
  prepare_call(t);
  t->qnext = NULL;
  uv_mutex_lock(&w->mutex);
  if (w->exec_tail)
    w->exec_tail->qnext = t;
  else
    w->exec_head = t;
  w->exec_tail = t;
  w->nqueued++;
  uv_cond_signal(&w->cond);
  uv_mutex_unlock(&w->mutex);
}

static void run_thread(void *arg) {
  dusk_worker *w = arg;
  for (;;) {
    wtask *t;
    uv_mutex_lock(&w->mutex);
    while (w->exec_head == NULL && !w->thread_stop)
      uv_cond_wait(&w->cond, &w->mutex);
    if (w->thread_stop) {
      uv_mutex_unlock(&w->mutex);
      return;
    }
    t = w->exec_head;
    w->exec_head = t->qnext;
    if (w->exec_head == NULL)
      w->exec_tail = NULL;
    uv_mutex_unlock(&w->mutex);

    if (__atomic_load_n(&t->canceled, __ATOMIC_RELAXED)) {
      t->rc = DUSK_ECANCELED;
    } else {
      uint64_t start = uv_hrtime();
      t->began_ns = start;
      /* Cleared before t goes back, so a heartbeat never counts it
       * running once it left nqueued. */
      __atomic_store_n(&w->running, 1, __ATOMIC_RELAXED);
      t->rc = dusk_registry_run(t->fn, &t->call);
      __atomic_store_n(&w->running, 0, __ATOMIC_RELAXED);
      t->run_us = (uv_hrtime() - start) / 1000u;
    }

    uv_mutex_lock(&w->mutex);
    t->qnext = NULL;
    if (w->done_tail)
      w->done_tail->qnext = t;
    else
      w->done_head = t;
    w->done_tail = t;
    uv_mutex_unlock(&w->mutex);
    __atomic_add_fetch(&w->done_count, 1, __ATOMIC_RELEASE);
    uv_async_send(&w->async);
  }
}

/* Loop side: stores a finished task's result and reports it. */
static void finish_task(dusk_worker *w, wtask *t) {
  assert(t->state == W_QUEUED);
  t->state = W_DONE;
  w->last_done_ns = uv_hrtime();
  w->heap_trimmed = 0;
  w->ema_run_us = 0.9 * w->ema_run_us + 0.1 * (double)t->run_us;
  w->bytes_scanned += t->call.bytes_scanned; /* read, whatever came of it */
    if (!t->canceled)
      dusk_idmap_del(&w->tasks, t->id);
    if (t->canceled) {
      /* Released while queued or running: nobody wants the outcome. */
    } else if (t->rc == 0) {
      size_t len;
      wresult *r;
      dusk_error err = {0};
      /* dusk_registry_result_view checked the range against the input,
       * which t pins, so it is still in memory.  A fetched input (a
       * peer's result, never spilled) is copied from instead: a view would
       * hold all of it for the sake of its part. */
      assert(!t->call.result_view ||
             (t->call.view_input < t->ndeps &&
              !t->inputs[t->call.view_input]->spilled));
      if (t->call.result_view && t->inputs[t->call.view_input]->fetched) {
        wresult *in = t->inputs[t->call.view_input];
        t->call.result.len = 0;
        dusk_xcheck(dusk_buf_append(&t->call.result,
                                    in->data + t->call.view_off,
                                    t->call.view_len));
        t->call.result_view = 0;
      }
      if (t->call.result_view) {
        len = t->call.view_len;
        r = result_add_view(w, t->id, t->inputs[t->call.view_input],
                            t->call.view_off, len);
      } else {
        char *data = dusk_buf_steal(&t->call.result, &len);
        r = result_add(w, t->id, data, len, 0);
      }
      if (r->parent == NULL) /* (a view has its input's; result_add may
                                * keep a fetched copy) */
        r->own = !r->fetched;
      if (make_room(w, &err) != 0 && w->result_bytes > w->memory_limit &&
          r->parent == NULL) { /* (a view adds no bytes: dropping it would
                                * gain nothing) */
        /* Past the limit with nowhere to put it: no result rather than
         * a worker the kernel kills. */
        char msg[DUSK_ERROR_MESSAGE_MAX + 160];
        snprintf(msg, sizeof msg,
                 "worker %" PRIu64 ": results held (%.1f MiB) are past "
                 "--memory-limit (%.1f MiB) and spilling failed: %s",
                 w->worker_id, (double)w->result_bytes / 1048576.0,
                 (double)w->memory_limit / 1048576.0, err.message);
        dusk_log(DUSK_LOG_ERROR, "%s", msg);
        if (r->pins == 0)
          result_free(w, r);
        send_failed(w, t->id, DUSK_FAIL_OP, 0, msg);
      } else {
        if (err.code != 0)
          dusk_log(DUSK_LOG_WARN, "spilling failed, results kept in memory "
                   "(under --memory-limit): %s", err.message);
        send_done(w, t, len);
      }
    } else {
      dusk_log(DUSK_LOG_DEBUG, "task %" PRIu64 " (op %s) failed: %s", t->id,
               t->op, t->call.error);
      send_op_failed(w, t->id, &t->call);
    }
    task_free(w, t);
}

/* Loop side: collects the tasks the work thread finished. */
static void on_tasks_done(uv_async_t *a) {
  dusk_worker *w = a->data;
  wtask *t, *next;
  uv_mutex_lock(&w->mutex);
  t = w->done_head;
  w->done_head = w->done_tail = NULL;
  uv_mutex_unlock(&w->mutex);
  for (; t != NULL; t = next) {
    next = t->qnext;
    uv_mutex_lock(&w->mutex);
    w->nqueued--;
    uv_mutex_unlock(&w->mutex);
    finish_task(w, t);
  }
}

/* Called when a task's last missing input arrived or failed. */
static void task_inputs_ready(dusk_worker *w, wtask *t) {
  unsigned long before;
  assert(t->state == W_FETCHING && t->nmissing == 0);
  t->inputs_ns = uv_hrtime();
  if (t->canceled) {
    task_free(w, t);
    return;
  }
  if (t->fail_reason != 0) {
    dusk_idmap_del(&w->tasks, t->id);
    send_failed(w, t->id, (uint32_t)t->fail_reason, t->fail_dep, t->fail_msg);
    task_free(w, t);
    return;
  }
  /* A trivial built-in op on small inputs, with nothing queued ahead of
   * it, runs right here: handing it to the thread and back costs two
   * wake-ups, which on an idle machine are most of a chained task's
   * latency, while the op itself takes well under a microsecond. */
  if (w->nqueued == 0 && dusk_registry_is_trivial(t->fn) &&
      prepare_call(t) <= (size_t)w->cfg.inline_input_max) {
    uint64_t start = uv_hrtime();
    assert(t->state == W_FETCHING);
    t->state = W_QUEUED;
    t->began_ns = start;
    t->rc = dusk_registry_run(t->fn, &t->call);
    t->run_us = (uv_hrtime() - start) / 1000u;
    finish_task(w, t);
    return;
  }
  before = __atomic_load_n(&w->done_count, __ATOMIC_ACQUIRE);
  exec_push(w, t);
  /* A short op on an idle thread finishes within microseconds: waiting for
   * it here saves the wake-up through the async handle and the loop, which
   * is most of a chained task's latency.  Bounded to 50 us, and only when
   * recent ops ran well under that. */
  if (w->nqueued == 1 && w->ema_run_us < 10) {
    uint64_t until = uv_hrtime() + 50000;
    while (uv_hrtime() < until)
      if (__atomic_load_n(&w->done_count, __ATOMIC_ACQUIRE) != before) {
        on_tasks_done(&w->async);
        break;
      }
  }
}

/* ---- peer fetches -------------------------------------------------------- */

static void fetch_finish(dusk_worker *w, wfetch *f, wresult *r,
                         const char *why) {
  for (size_t i = 0; i < f->nwaiters; i++) {
    wtask *t = f->waiters[i];
    for (uint32_t j = 0; j < t->ndeps; j++)
      if (t->dep_ids[j] == f->id && t->inputs[j] == NULL) {
        if (r != NULL) {
          t->inputs[j] = r;
          r->pins++;
        } else if (t->fail_reason == 0) {
          t->fail_reason = DUSK_FAIL_MISSING_DEP;
          t->fail_dep = f->id;
          snprintf(t->fail_msg, sizeof t->fail_msg,
                   "input %" PRIu64 " not available from %s: %.120s",
                   f->id, f->peer->addr, why);
        }
      }
    if (--t->nmissing == 0)
      task_inputs_ready(w, t);
  }
  free(f->waiters);
  dusk_buf_destroy(&f->data);
  free(f);
}

static void on_peer_msg(dusk_conn *c, const dusk_msg *m) {
  wpeer *p = c->data;
  dusk_worker *w = p->w;
  const dusk_msg_data *d = &m->u.data;
  wfetch *f;
  if (m->type != DUSK_MSG_DATA) {
    dusk_conn_fail(c, DUSK_EPROTO, "peer %s sent unexpected %s", c->peer,
                   dusk_msg_type_name(m->type));
    return;
  }
  f = dusk_idmap_get(&p->fetches, d->id);
  if (f == NULL)
    return;
  if (!d->found) {
    dusk_idmap_del(&p->fetches, d->id);
    fetch_finish(w, f, NULL, "the peer does not hold it");
    return;
  }
  if (d->offset != f->data.len || d->total > (uint64_t)SIZE_MAX / 2) {
    dusk_conn_fail(c, DUSK_EPROTO, "peer %s sent chunk at %" PRIu64
                   " of result %" PRIu64 ", expected %zu",
                   c->peer, d->offset, d->id, f->data.len);
    return;
  }
  /* Grown as bytes arrive, never reserved from the declared total. */
  dusk_xcheck(dusk_buf_append(&f->data, d->bytes.ptr, d->bytes.len));
  if (f->data.len == d->total) {
    size_t len;
    char *bytes = dusk_buf_steal(&f->data, &len);
    wresult *r;
    if (bytes == NULL)
      bytes = dusk_xmalloc(1);
    r = result_add(w, d->id, bytes, len, 1);
    r->pins++; /* held while waiters take their pins */
    dusk_idmap_del(&p->fetches, d->id);
    fetch_finish(w, f, r, NULL);
    result_unpin(w, r);
  }
}

static void on_peer_close(dusk_conn *c, int code, const char *reason) {
  wpeer *p = c->data;
  dusk_worker *w = p->w;
  dusk_xcheck(code); /* the conn ran out of memory: so do we (xalloc.h) */
  dusk_strmap_del(&w->peers, p->addr, strlen(p->addr));
  for (size_t i = 0; i < p->fetches.cap; i++) {
    wfetch *f = p->fetches.slots[i].value;
    if (f != NULL)
      fetch_finish(w, f, NULL, reason);
  }
  dusk_idmap_destroy(&p->fetches);
  free(p);
}

static const dusk_conn_handler peer_handler = {NULL, on_peer_msg,
                                               on_peer_close, NULL};

static wpeer *peer_get(dusk_worker *w, dusk_slice addr, dusk_error *err) {
  char text[96], host[80];
  int port;
  struct sockaddr_storage ss;
  wpeer *p;
  int rc;
  if (addr.len >= sizeof text) {
    dusk_error_set(err, DUSK_EINVAL, "peer address too long");
    return NULL;
  }
  memcpy(text, addr.ptr, addr.len);
  text[addr.len] = '\0';
  p = dusk_strmap_get(&w->peers, text, addr.len);
  if (p != NULL)
    return p;
  /* Peer addresses are numeric (the scheduler reports what workers
   * registered), so resolution does not block the loop. */
  if (dusk_address_parse(text, host, sizeof host, &port, err) != 0 ||
      dusk_address_resolve(host, port, &ss, err) != 0)
    return NULL;
  p = dusk_xcalloc(1, sizeof *p);
  p->w = w;
  memcpy(p->addr, text, addr.len + 1);
  dusk_idmap_init(&p->fetches);
  /* A conn that fails later reports through on_peer_close; one that cannot
   * even start leaves p unknown to everyone. */
  rc = dusk_xcheck(dusk_net_connect(&w->net, (struct sockaddr *)&ss,
                                    &peer_handler, p, &p->conn));
  if (rc != 0) {
    free(p);
    dusk_error_set(err, rc, "cannot connect to peer %s: %s", text,
                   dusk_strerror(rc));
    return NULL;
  }
  dusk_xcheck(dusk_strmap_put(&w->peers, p->addr, addr.len, p));
  return p;
}

/* Starts (or joins) the fetch of input `id` from the worker at addr. */
static void fetch_input(dusk_worker *w, wtask *t, uint64_t id,
                        dusk_slice addr) {
  dusk_error err = {0};
  wpeer *p = peer_get(w, addr, &err);
  wfetch *f;
  if (p == NULL) {
    t->fail_reason = DUSK_FAIL_MISSING_DEP;
    t->fail_dep = id;
    snprintf(t->fail_msg, sizeof t->fail_msg, "input %" PRIu64 ": %.200s",
             id, err.message);
    t->nmissing--;
    return;
  }
  f = dusk_idmap_get(&p->fetches, id);
  if (f == NULL) {
    dusk_msg m;
    f = dusk_xcalloc(1, sizeof *f);
    f->id = id;
    f->peer = p;
    dusk_xcheck(dusk_idmap_put(&p->fetches, id, f));
    memset(&m, 0, sizeof m);
    m.type = DUSK_MSG_GET_DATA;
    m.u.get_data.id = id;
    dusk_xcheck(dusk_conn_send(p->conn, &m));
  }
  if (f->nwaiters == f->cap) {
    f->cap = f->cap ? f->cap * 2 : 4;
    f->waiters = dusk_xrealloc(f->waiters, f->cap * sizeof *f->waiters);
  }
  f->waiters[f->nwaiters++] = t;
}

/* ---- scheduler messages -------------------------------------------------- */

static void handle_compute(dusk_worker *w, const dusk_msg_compute *m) {
  uint64_t recv_ns = uv_hrtime(); /* first: held_us covers all it does */
  wtask *t;
  dusk_op_fn fn = dusk_registry_find(&w->registry, m->op.ptr, m->op.len);
  if (fn == NULL) {
    char msg[320];
    snprintf(msg, sizeof msg, "unknown op '%.*s' on worker %" PRIu64,
             (int)(m->op.len > 255 ? 255 : m->op.len), m->op.ptr,
             w->worker_id);
    send_failed(w, m->id, DUSK_FAIL_UNKNOWN_OP, 0, msg);
    return;
  }
  if (dusk_idmap_get(&w->tasks, m->id) != NULL ||
      dusk_idmap_get(&w->results, m->id) != NULL)
    return; /* a duplicate: the first one stands */
  if (w->nqueued > 0) /* it will wait: its remote bytes can start now */
    dusk_dfops_prefetch(m->op.ptr, m->op.len, m->args);
  t = dusk_xcalloc(1, sizeof *t);
  t->recv_ns = recv_ns;
  t->id = m->id;
  t->fn = fn;
  t->op = dusk_xmemdup(m->op.ptr, m->op.len);
  t->call.args.ptr = dusk_xmemdup(m->args.ptr, m->args.len);
  t->call.args.len = m->args.len;
  t->ndeps = m->ndeps;
  t->dep_ids = dusk_xcalloc(m->ndeps, sizeof *t->dep_ids);
  t->inputs = dusk_xcalloc(m->ndeps, sizeof *t->inputs);
  t->input_slices = dusk_xcalloc(m->ndeps, sizeof *t->input_slices);
  t->input_own = dusk_xcalloc(m->ndeps + 1, 1);
  t->state = W_FETCHING;
  dusk_xcheck(dusk_idmap_put(&w->tasks, t->id, t));
  t->nmissing = m->ndeps;
  /* Count every input as missing first so that a fetch failing
   * synchronously cannot finish the task while inputs are being set. */
  t->nmissing++;
  for (uint32_t i = 0; i < m->ndeps; i++) {
    const dusk_dep *d = &m->deps[i];
    wresult *r = dusk_idmap_get(&w->results, d->id);
    dusk_error lerr = {0};
    t->dep_ids[i] = d->id;
    if (r != NULL && result_load(w, r, &lerr) != 0) {
      if (t->fail_reason == 0) {
        t->fail_reason = DUSK_FAIL_MISSING_DEP;
        t->fail_dep = d->id;
        snprintf(t->fail_msg, sizeof t->fail_msg, "input %" PRIu64 ": %.200s",
                 d->id, lerr.message);
      }
      t->nmissing--;
    } else if (r != NULL) {
      t->inputs[i] = r;
      r->pins++;
      t->nmissing--;
    } else if (d->addr.len == 0) {
      if (t->fail_reason == 0) {
        t->fail_reason = DUSK_FAIL_MISSING_DEP;
        t->fail_dep = d->id;
        snprintf(t->fail_msg, sizeof t->fail_msg,
                 "input %" PRIu64 " is not held by this worker", d->id);
      }
      t->nmissing--;
    } else {
      fetch_input(w, t, d->id, d->addr);
    }
  }
  if (--t->nmissing == 0)
    task_inputs_ready(w, t);
  /* inputs loaded from disk may push others out */
  make_room_or_warn(w);
}

static void handle_release(dusk_worker *w, const dusk_msg_release *m) {
  for (uint32_t i = 0; i < m->n; i++) {
    uint64_t id = m->ids[i];
    wresult *r = dusk_idmap_get(&w->results, id);
    wtask *t = dusk_idmap_del(&w->tasks, id);
    if (r != NULL && !r->fetched) {
      r->released = 1;
      if (r->pins == 0)
        result_free(w, r);
    }
    if (t != NULL)
      __atomic_store_n(&t->canceled, 1, __ATOMIC_RELAXED);
  }
}

static void send_heartbeat(uv_timer_t *timer) {
  dusk_worker *w = timer->data;
  dusk_msg m;
  if (w->sched == NULL || w->sched->state != DUSK_CONN_READY)
    return;
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_HEARTBEAT;
  m.u.heartbeat.seq = ++w->heartbeat_seq;
  m.u.heartbeat.nkeys = w->results.len;
  m.u.heartbeat.nbytes = w->result_bytes;
  m.u.heartbeat.nqueued = (uint32_t)w->nqueued;
  m.u.heartbeat.rtt_us = w->heartbeat_rtt_us;
  /* nqueued only falls on this thread, after the work thread cleared
   * running: running <= nqueued, as the decoder wants. */
  m.u.heartbeat.nrunning =
      (uint32_t)__atomic_load_n(&w->running, __ATOMIC_RELAXED);
  if (m.u.heartbeat.nrunning > m.u.heartbeat.nqueued)
    m.u.heartbeat.nrunning = m.u.heartbeat.nqueued;
  m.u.heartbeat.cpu_ns = dusk_proc_cpu_ns();
  m.u.heartbeat.sample_ns = dusk_now_ns();
  dusk_proc_rss(&m.u.heartbeat.rss_bytes); /* 0 if /proc cannot say */
  m.u.heartbeat.memory_limit = w->memory_limit;
  m.u.heartbeat.bytes_scanned = w->bytes_scanned;
  w->heartbeat_sent_ns = m.u.heartbeat.sample_ns;
  dusk_xcheck(dusk_conn_send(w->sched, &m));
}

static void on_sched_ready(dusk_conn *c) {
  dusk_worker *w = c->data;
  dusk_msg m;
  char name[128];
  snprintf(name, sizeof name, "%s", w->cfg.name ? w->cfg.name : "");
  if (name[0] == '\0') {
    char hn[64] = "worker";
    gethostname(hn, sizeof hn - 1);
    snprintf(name, sizeof name, "%s-%d", hn, (int)getpid());
  }
  if (!w->identity_set) { /* once: tasks read it on the work thread */
    char hn[256] = "";
    gethostname(hn, sizeof hn - 1);
    dusk_dfops_set_identity(name, hn[0] ? hn : w->advertised_host);
    w->identity_set = true;
  }
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_REGISTER;
  m.u.reg.name.ptr = name;
  m.u.reg.name.len = strlen(name);
  m.u.reg.host.ptr = w->advertised_host;
  m.u.reg.host.len = strlen(w->advertised_host);
  m.u.reg.port = (uint32_t)w->data_port;
  m.u.reg.pid = getpid();
  if (w->cfg.host_id != NULL)
    m.u.reg.host_id = (dusk_slice){w->cfg.host_id, strlen(w->cfg.host_id)};
  dusk_xcheck(dusk_conn_send(c, &m));
}

static void on_sched_msg(dusk_conn *c, const dusk_msg *m) {
  dusk_worker *w = c->data;
  if (w->stopping)
    return; /* leaving: whatever it still sends goes elsewhere */
  switch (m->type) {
  case DUSK_MSG_WELCOME:
    w->worker_id = m->u.welcome.worker_id;
    w->reconnect_delay_ms = 0;
    w->bytes_scanned = 0; /* a scheduler adds up what it is told since */
    uv_timer_stop(&w->alone);
    uv_timer_start(&w->heartbeat, send_heartbeat, m->u.welcome.heartbeat_ms,
                   m->u.welcome.heartbeat_ms);
    dusk_log(DUSK_LOG_INFO, "registered as worker %" PRIu64 " with %s, data "
             "port %d", w->worker_id, c->peer, w->data_port);
    if (!w->announced && w->cfg.ready_fd >= 0) {
      char text[32];
      int n = snprintf(text, sizeof text, "READY %d\n", w->data_port);
      if (write((int)w->cfg.ready_fd, text, (size_t)n) != n)
        dusk_log(DUSK_LOG_WARN, "could not announce readiness");
      close((int)w->cfg.ready_fd);
    }
    w->announced = 1;
    return;
  case DUSK_MSG_COMPUTE:
    handle_compute(w, &m->u.compute);
    return;
  case DUSK_MSG_RELEASE:
    handle_release(w, &m->u.release);
    return;
  case DUSK_MSG_HEARTBEAT_ACK:
    /* Only the answer to the latest heartbeat times a round trip. */
    if (m->u.heartbeat_ack.seq == w->heartbeat_seq) {
      uint64_t us = (dusk_now_ns() - w->heartbeat_sent_ns) / 1000;
      w->heartbeat_rtt_us = us == 0 ? 1 : us > UINT32_MAX ? UINT32_MAX
                                                          : (uint32_t)us;
    }
    return;
  default:
    dusk_conn_fail(c, DUSK_EPROTO, "scheduler %s sent unexpected %s", c->peer,
                   dusk_msg_type_name(m->type));
  }
}

/* Forgets everything the lost scheduler had asked for: a new scheduler
 * knows nothing of these tasks or results. */
static void drop_all_work(dusk_worker *w) {
  for (size_t i = 0; i < w->tasks.cap; i++) {
    wtask *t = w->tasks.slots[i].value;
    if (t != NULL)
      __atomic_store_n(&t->canceled, 1, __ATOMIC_RELAXED);
  }
  dusk_idmap_destroy(&w->tasks);
  dusk_idmap_init(&w->tasks);
  for (size_t i = 0; i < w->results.cap; i++) {
    wresult *r = w->results.slots[i].value;
    if (r != NULL && !r->fetched && !r->released) {
      r->released = 1;
      if (r->pins == 0) {
        result_free(w, r);
        i = (size_t)-1; /* the table changed under the sweep */
      }
    }
  }
}

static void on_reconnect_timer(uv_timer_t *t) { connect_scheduler(t->data); }

/* Periodic chore: data-port peers that never authenticate are cut; an
 * idle worker's kept free memory goes back. */
static void on_chore(uv_timer_t *t) {
  dusk_worker *w = t->data;
  dusk_net_sweep(&w->net, (uint64_t)w->cfg.handshake_ms);
  trim_when_idle(w);
  trim_under_pressure(w);
}

static void finish_stop(dusk_worker *w);

static void on_alone(uv_timer_t *t) {
  dusk_worker *w = t->data;
  dusk_log(DUSK_LOG_WARN, "no scheduler for %" PRId64 " s (--death-timeout):"
           " exiting", w->cfg.death_timeout_s);
  w->gave_up = true;
  dusk_worker_stop(w);
}

/* Counts death_timeout_s from now, unless it is already counting (a
 * reconnection that fails again does not restart the count). */
static void start_alone_timer(dusk_worker *w) {
  if (w->cfg.death_timeout_s > 0 && !uv_is_active((uv_handle_t *)&w->alone))
    uv_timer_start(&w->alone, on_alone,
                   (uint64_t)w->cfg.death_timeout_s * 1000, 0);
}

bool dusk_worker_gave_up(const dusk_worker *w) { return w->gave_up; }

static void on_sched_close(dusk_conn *c, int code, const char *reason) {
  dusk_worker *w = c->data;
  dusk_xcheck(code); /* the conn ran out of memory: so do we (xalloc.h) */
  w->sched = NULL;
  uv_timer_stop(&w->heartbeat);
  if (w->stopping) {
    finish_stop(w);
    return;
  }
  dusk_log(DUSK_LOG_WARN, "lost the scheduler: %s", reason);
  drop_all_work(w);
  start_alone_timer(w);
  /* Back off: 50 ms doubling to reconnect_max_ms. */
  w->reconnect_delay_ms = w->reconnect_delay_ms ? w->reconnect_delay_ms * 2
                                                : 50;
  if (w->reconnect_delay_ms > w->cfg.reconnect_max_ms)
    w->reconnect_delay_ms = w->cfg.reconnect_max_ms;
  uv_timer_start(&w->reconnect, on_reconnect_timer,
                 (uint64_t)w->reconnect_delay_ms, 0);
}

static const dusk_conn_handler sched_handler = {on_sched_ready, on_sched_msg,
                                                on_sched_close, NULL};

static void connect_scheduler(dusk_worker *w) {
  struct sockaddr_storage ss;
  dusk_error err = {0};
  int rc;
  if (dusk_address_resolve(w->sched_host, w->sched_port, &ss, &err) != 0) {
    dusk_log(DUSK_LOG_WARN, "%s", err.message);
  } else {
    /* A conn that fails later reports through on_sched_close, which
     * retries; one that cannot even start is retried here. */
    rc = dusk_xcheck(dusk_net_connect(&w->net, (struct sockaddr *)&ss,
                                      &sched_handler, w, &w->sched));
    if (rc == 0)
      return;
    w->sched = NULL;
    dusk_log(DUSK_LOG_WARN, "cannot connect to the scheduler %s:%d: %s",
             w->sched_host, w->sched_port, dusk_strerror(rc));
  }
  w->reconnect_delay_ms = w->cfg.reconnect_max_ms;
  uv_timer_start(&w->reconnect, on_reconnect_timer,
                 (uint64_t)w->reconnect_delay_ms, 0);
}

/* ---- data serving -------------------------------------------------------- */

/* A data connection's results on their way to its peer (conn.session):
 * sent a chunk at a time, the next ones only once the connection has
 * written what it had (serve_pump, on_drain), so a peer asking for many
 * results at once - a part's final fetching its picks - does not have
 * them all copied into the output queue (which would hold a copy of each,
 * and past max-outbuf cut the peer off).  Each result stays pinned (in
 * memory, not spilled or freed) until its last byte is queued. */
typedef struct wserve {
  wresult *r;
  uint64_t id;
  size_t off;
  struct wserve *next;
} wserve;

typedef struct wserving {
  wserve *head, *tail;
} wserving;

/* Queues chunks of the results asked for while the connection holds less
 * than two chunks of output. */
static void serve_pump(dusk_worker *w, dusk_conn *c) {
  wserving *sv = c->session;
  size_t chunk = (size_t)w->cfg.data_chunk;
  if (chunk > (size_t)w->cfg.max_frame - 256)
    chunk = (size_t)w->cfg.max_frame - 256;
  while (sv != NULL && sv->head != NULL &&
         dusk_conn_pending_output(c) < 2 * chunk) {
    wserve *s = sv->head;
    dusk_msg m;
    size_t n = s->r->len - s->off < chunk ? s->r->len - s->off : chunk;
    memset(&m, 0, sizeof m);
    m.type = DUSK_MSG_DATA;
    m.u.data.id = s->id;
    m.u.data.found = true;
    m.u.data.total = s->r->len;
    m.u.data.offset = s->off;
    m.u.data.bytes.ptr = s->r->data + s->off;
    m.u.data.bytes.len = n;
    if (dusk_xcheck(dusk_conn_send(c, &m)) != 0)
      return; /* closing: on_data_close unpins what is left */
    s->off += n;
    if (s->off >= s->r->len) {
      sv->head = s->next;
      if (sv->head == NULL)
        sv->tail = NULL;
      result_unpin(w, s->r);
      free(s);
    }
  }
}

static void serve_get(dusk_worker *w, dusk_conn *c, uint64_t id) {
  wresult *r = dusk_idmap_get(&w->results, id);
  wserving *sv;
  wserve *s;
  if (r != NULL && !r->released) {
    dusk_error err = {0};
    if (result_load(w, r, &err) != 0) {
      dusk_log(DUSK_LOG_ERROR, "serving %" PRIu64 " to %s: %s", id, c->peer,
               err.message);
      r = NULL;
    }
  }
  if (r == NULL || r->released) {
    dusk_msg m;
    memset(&m, 0, sizeof m);
    m.type = DUSK_MSG_DATA;
    m.u.data.id = id;
    m.u.data.found = false;
    dusk_xcheck(dusk_conn_send(c, &m));
    return;
  }
  if ((sv = c->session) == NULL)
    sv = c->session = dusk_xcalloc(1, sizeof *sv);
  s = dusk_xcalloc(1, sizeof *s);
  s->r = r;
  s->id = id;
  r->pins++;
  if (sv->tail != NULL)
    sv->tail->next = s;
  else
    sv->head = s;
  sv->tail = s;
  serve_pump(w, c);
  make_room_or_warn(w);
}

static void on_data_msg(dusk_conn *c, const dusk_msg *m) {
  dusk_worker *w = c->data;
  if (m->type != DUSK_MSG_GET_DATA) {
    dusk_conn_fail(c, DUSK_EPROTO, "%s sent unexpected %s", c->peer,
                   dusk_msg_type_name(m->type));
    return;
  }
  serve_get(w, c, m->u.get_data.id);
}

static void on_data_drain(dusk_conn *c) { serve_pump(c->data, c); }

static void on_data_close(dusk_conn *c, int code, const char *reason) {
  wserving *sv = c->session;
  dusk_xcheck(code); /* the conn ran out of memory: so do we (xalloc.h) */
  if (code != 0 && code != UV_EOF && code != UV_ECONNRESET)
    dusk_log(DUSK_LOG_WARN, "data peer %s dropped: %s", c->peer, reason);
  while (sv != NULL && sv->head != NULL) { /* results no longer sent */
    wserve *s = sv->head;
    sv->head = s->next;
    result_unpin(c->data, s->r);
    free(s);
  }
  free(sv);
  c->session = NULL;
}

static const dusk_conn_handler data_handler = {NULL, on_data_msg,
                                               on_data_close, on_data_drain};

/* ---- life cycle ---------------------------------------------------------- */

int dusk_worker_new(uv_loop_t *loop, const dusk_worker_config *cfg,
                    const char *scheduler_addr, dusk_worker **out,
                    dusk_error *err) {
  dusk_worker *w = dusk_xcalloc(1, sizeof *w);
  struct sockaddr_storage ss;
  char *token = NULL;
  const char *host;
  int rc;

  w->loop = loop;
  w->cfg = *cfg;
  if ((rc = dusk_worker_memory_limit(cfg->memory_limit, 1, &w->memory_limit,
                                     err)) != 0)
    goto fail_early;
  w->keep_free = keep_freed_memory(w->memory_limit);
  w->heap_trimmed = 1; /* nothing to give back yet */
  dusk_spill_init(&w->spill, cfg->spill_dir);
  dusk_idmap_init(&w->results);
  dusk_idmap_init(&w->tasks);
  dusk_strmap_init(&w->peers);
  if ((rc = dusk_address_parse(scheduler_addr, w->sched_host,
                               sizeof w->sched_host, &w->sched_port, err)) !=
          0 ||
      (rc = dusk_address_resolve(w->sched_host, w->sched_port, &ss, err)) !=
          0)
    goto fail_early;
  host = cfg->host;
  if (host == NULL)
    host = dusk_sockaddr_is_loopback((struct sockaddr *)&ss) ? "127.0.0.1"
                                                              : "0.0.0.0";
  if (cfg->token_file != NULL &&
      (rc = dusk_auth_token_load(cfg->token_file, &token, err)) != 0)
    goto fail_early;
  if (token == NULL) {
    struct sockaddr_storage hs;
    if ((rc = dusk_address_resolve(host, 0, &hs, err)) != 0)
      goto fail_early;
    if (!dusk_sockaddr_is_loopback((struct sockaddr *)&hs)) {
      rc = dusk_error_set(err, DUSK_ECONFIG,
                          "refusing to serve data on %s without a token; "
                          "pass --token-file",
                          host);
      goto fail_early;
    }
  }
  snprintf(w->advertised_host, sizeof w->advertised_host, "%s",
           cfg->contact_host ? cfg->contact_host : host);
  if ((rc = dusk_registry_init(&w->registry)) != 0) {
    dusk_error_set(err, rc, "op registry: %s", dusk_strerror(rc));
    goto fail_early;
  }
  if (cfg->plugins != NULL) {
    char *list = dusk_xstrdup(cfg->plugins), *save = NULL;
    for (char *p = strtok_r(list, ",", &save); p != NULL;
         p = strtok_r(NULL, ",", &save)) {
      if ((rc = dusk_registry_load_plugin(&w->registry, p, err)) != 0) {
        free(list);
        dusk_registry_destroy(&w->registry);
        goto fail_early;
      }
      dusk_log(DUSK_LOG_INFO, "loaded plugin %s", p);
    }
    free(list);
  }
  rc = dusk_net_init(&w->net, loop, DUSK_ROLE_WORKER, token);
  free(token);
  token = NULL;
  if (rc != 0) {
    dusk_registry_destroy(&w->registry);
    dusk_error_set(err, rc, "network set-up failed");
    goto fail_early;
  }
  w->net.max_frame = (uint32_t)cfg->max_frame;
  w->net.max_outbuf = (size_t)cfg->max_outbuf;
  {
    dusk_tls_files tls = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca};
    if ((rc = dusk_net_use_tls(&w->net, &tls, err)) != 0) {
      dusk_net_close(&w->net);
      dusk_registry_destroy(&w->registry);
      uv_run(loop, UV_RUN_NOWAIT);
      goto fail_early;
    }
  }
  rc = dusk_net_listen_range(
      &w->net, &w->data_server, host, (int)cfg->port.lo, (int)cfg->port.hi,
      DUSK_ROLE_BIT(DUSK_ROLE_PEER) | DUSK_ROLE_BIT(DUSK_ROLE_WORKER) |
          DUSK_ROLE_BIT(DUSK_ROLE_CLIENT),
      &data_handler, w, &w->data_port, err);
  if (rc != 0) {
    dusk_net_close(&w->net);
    dusk_registry_destroy(&w->registry);
    uv_run(loop, UV_RUN_NOWAIT);
    goto fail_early;
  }
  uv_mutex_init(&w->mutex);
  uv_cond_init(&w->cond);
  uv_async_init(loop, &w->async, on_tasks_done);
  w->async.data = w;
  uv_timer_init(loop, &w->heartbeat);
  w->heartbeat.data = w;
  uv_timer_init(loop, &w->reconnect);
  w->reconnect.data = w;
  uv_timer_init(loop, &w->chore);
  w->chore.data = w;
  uv_timer_init(loop, &w->leave_timer);
  w->leave_timer.data = w;
  uv_timer_init(loop, &w->alone);
  w->alone.data = w;
  start_alone_timer(w); /* the first scheduler may never answer either */
  uv_timer_start(&w->chore, on_chore, (uint64_t)w->cfg.chore_ms,
                 (uint64_t)w->cfg.chore_ms);
  uv_thread_create(&w->thread, run_thread, w);
  connect_scheduler(w);
  *out = w;
  return 0;

fail_early:
  free(token);
  free(w);
  return rc;
}

int dusk_worker_data_port(const dusk_worker *w) { return w->data_port; }

int dusk_worker_memory_limit(const char *text, int64_t host_workers,
                             uint64_t *bytes, dusk_error *err) {
  uint64_t total;
  int rc;
  if (text != NULL && strcmp(text, "auto") != 0)
    return dusk_size_parse("--memory-limit", text, bytes, err);
  if ((rc = dusk_memory_available(&total)) != 0)
    return dusk_error_set(err, rc, "--memory-limit auto: cannot read the "
                          "machine's memory from /proc/meminfo (%s): give a "
                          "size", dusk_strerror(rc));
  *bytes = total / (uint64_t)(host_workers > 1 ? host_workers : 1);
  return 0;
}

/* Closes this worker's connections other than the data listener and the
 * scheduler's: all of them, or only the fetches it opened to peers. */
typedef struct close_walk_arg {
  dusk_worker *w;
  int only_outgoing;
} close_walk_arg;

static void close_conn_walk(uv_handle_t *h, void *arg) {
  const close_walk_arg *a = arg;
  if (h->type == UV_TCP && h != (uv_handle_t *)&a->w->data_server &&
      h != (uv_handle_t *)a->w->sched && !uv_is_closing(h) &&
      (!a->only_outgoing || ((dusk_conn *)h)->outgoing))
    dusk_conn_close((dusk_conn *)h, 0, "worker stopping");
}

static void close_conns(dusk_worker *w, int only_outgoing) {
  close_walk_arg a = {w, only_outgoing};
  uv_walk(w->loop, close_conn_walk, &a);
}

/* ---- stopping ------------------------------------------------------------
 * A stopping worker tells the scheduler LEAVING, so its tasks in flight move
 * on without counting as a worker death, and then waits (bounded by
 * --leave-wait-ms) for the scheduler to close the connection: closing first
 * could reset a connection the scheduler is still writing to, losing the
 * LEAVING it had not read yet. */

/* The last step, once the scheduler connection is gone: until then the
 * data port keeps serving our results, because the scheduler may still be
 * sending peers to fetch them. */
static void finish_stop(dusk_worker *w) {
  if (!uv_is_closing((uv_handle_t *)&w->leave_timer))
    uv_close((uv_handle_t *)&w->leave_timer, NULL);
  if (!w->net_closed) {
    w->net_closed = 1;
    dusk_net_unlisten(&w->data_server);
    close_conns(w, 0);
    dusk_net_close(&w->net);
  }
}

static void on_leave_timeout(uv_timer_t *t) {
  dusk_worker *w = t->data;
  if (w->sched != NULL)
    dusk_conn_close(w->sched, 0, "worker stopping (no goodbye from the "
                                 "scheduler)");
  else
    finish_stop(w);
}

/* 1 when LEAVING went out and the wait began. */
static int say_leaving(dusk_worker *w) {
  dusk_msg m;
  dusk_conn *c = w->sched;
  if (c == NULL)
    return 0;
  if (c->state == DUSK_CONN_READY && dusk_conn_pending_output(c) < 65536) {
    memset(&m, 0, sizeof m);
    m.type = DUSK_MSG_LEAVING;
    if (dusk_xcheck(dusk_conn_send(c, &m)) == 0) {
      dusk_conn_flush(c); /* the flusher stops with the net */
      uv_timer_start(&w->leave_timer, on_leave_timeout,
                     (uint64_t)w->cfg.leave_wait_ms, 0);
      return 1;
    }
  }
  dusk_conn_close(c, 0, "worker stopping");
  return 0;
}

void dusk_worker_stop(dusk_worker *w) {
  int leaving;
  if (w->stopping)
    return;
  w->stopping = 1;
  /* Ask a running op to stop, then wait for the thread to finish it. */
  for (size_t i = 0; i < w->tasks.cap; i++) {
    wtask *t = w->tasks.slots[i].value;
    if (t != NULL)
      __atomic_store_n(&t->canceled, 1, __ATOMIC_RELAXED);
  }
  uv_mutex_lock(&w->mutex);
  w->thread_stop = 1;
  uv_cond_signal(&w->cond);
  uv_mutex_unlock(&w->mutex);
  uv_thread_join(&w->thread);
  uv_timer_stop(&w->heartbeat);
  uv_timer_stop(&w->reconnect);
  uv_timer_stop(&w->chore);
  uv_timer_stop(&w->alone);
  uv_close((uv_handle_t *)&w->alone, NULL);
  uv_close((uv_handle_t *)&w->heartbeat, NULL);
  uv_close((uv_handle_t *)&w->reconnect, NULL);
  uv_close((uv_handle_t *)&w->chore, NULL);
  uv_close((uv_handle_t *)&w->async, NULL);
  close_conns(w, 1); /* their tasks will not run any more */
  leaving = say_leaving(w);
  if (!leaving)
    finish_stop(w);
}

void dusk_worker_free(dusk_worker *w) {
  wtask *t, *next;
  /* Tasks still queued or finished but not collected belong to us again. */
  for (t = w->exec_head; t != NULL; t = next) {
    next = t->qnext;
    dusk_idmap_del(&w->tasks, t->id);
    task_free(w, t);
  }
  for (t = w->done_head; t != NULL; t = next) {
    next = t->qnext;
    dusk_idmap_del(&w->tasks, t->id);
    task_free(w, t);
  }
  /* Tasks still fetching when the peers closed were freed by
   * fetch_finish; canceled ones left in the map are gone already. */
  for (size_t i = 0; i < w->results.cap; i++) {
    wresult *r = w->results.slots[i].value;
    if (r != NULL) {
      if (r->parent == NULL) /* a view's bytes are its parent's */
        free(r->data);
      free(r);
    }
  }
  dusk_idmap_destroy(&w->results);
  dusk_spill_destroy(&w->spill);
  dusk_idmap_destroy(&w->tasks);
  dusk_strmap_destroy(&w->peers);
  dusk_registry_destroy(&w->registry);
  uv_mutex_destroy(&w->mutex);
  uv_cond_destroy(&w->cond);
  free(w);
}
