/* internal.h - the scheduler's state, shared by scheduler.c (tasks,
 * workers, clients) and query.c (dataframe queries).  Not a public header:
 * nothing outside scheduler/ includes it. */
#ifndef DUSK_SCHED_INTERNAL_H
#define DUSK_SCHED_INTERNAL_H

#include "conn.h"
#include "hashmap.h"
#include "heap.h"
#include "msg.h"
#include "scheduler.h"

#include <stddef.h>
#include <stdint.h>

enum { T_WAITING, T_READY, T_PROCESSING, T_MEMORY, T_ERRED, T_RELEASED };

/* A failure the query layer acts on: a TASK_FAILED's typed fields, kept
 * whole (a query never parses them back out of the message). */
typedef struct sched_failure {
  uint32_t reason;        /* DUSK_FAIL_WIDEN, _QUOTES or _MIXED */
  uint8_t type;           /* WIDEN: the dusk_type the column needs */
  char *column;           /* WIDEN: the column, NUL-terminated copy */
  size_t column_len;      /* its bytes, without the NUL */
  dusk_quote_run *quotes; /* QUOTES: the right states, by range */
  uint32_t nquotes;
  char **mixed;           /* MIXED: the columns, NUL-terminated copies */
  size_t *mixed_len;      /* their bytes, without the NUL */
  uint32_t nmixed;
} sched_failure;

typedef struct sched_client sched_client;
typedef struct sched_worker sched_worker;
typedef struct sched_task sched_task;

struct sched_task {
  dusk_heap_item heap; /* first: the ready heap stores &task->heap */
  uint64_t id;         /* worker-facing id of the current attempt, 0 = none */
  sched_client *client;
  sched_worker *worker; /* processing on, or holding the result */
  sched_task *wprev, *wnext; /* in worker's processing or memory list */
  sched_task **deps;
  sched_task **dependents;
  sched_task *erred_from; /* the task whose failure erred this one */
  char *message;          /* failure text, for tasks that failed themselves */
  sched_failure *failure; /* its typed fields, for the reasons that have */
  const char *key;        /* NUL-terminated, stored after the struct */
  const char *op;         /* NUL-terminated, stored after the struct */
  const char *args;       /* stored after the struct */
  uint64_t nbytes;
  uint32_t keylen, args_len;
  uint32_t ndeps, ndependents, cap_dependents;
  uint32_t nwaiting, nwaiters, nalive_dependents;
  uint8_t state, wanted, suspicious, missing_retries;
  uint8_t mark; /* DFS colour during submission */
  uint8_t parked; /* waits for the next chore after a failed fetch */
  /* While its holder leaves: the attempt id of the copy another worker is
   * fetching (also in tasks_by_id), and the leaving holder. */
  uint64_t move_id;
  sched_worker *move_from;
  uint8_t pending; /* submitted, graph not final yet */
  uint8_t of_query; /* a dataframe query's task (its progress is the
                       query's); else a graph's, counted in its client's
                       graph progress */
  uint64_t start_ns; /* dusk_now_ns() when sent to its worker */
  uint64_t wanted_ns; /* when a graph made it wanted, until its outcome
                         went to the client (graph latency); 0 = none */
  struct sched_query *query; /* set on a query's final task */
  /* A persisted partition (dusk__sched_keep): held for its persist
   * query (one waiter) whatever its dependents do. */
  uint8_t kept;
  /* Its dependents run only where it is while its holder is alive and
   * not leaving (a persisted partition, a scan's partial that split_out
   * tasks each take a part of: moving it costs more than waiting for the
   * holder). */
  uint8_t stay;
  /* A ready task waiting for the worker holding its kept input (in that
   * worker's `pinned` heap), else NULL. */
  sched_worker *pinned_to;
  /* A profiled query's task (profile.c): the query's id and the task's
   * slot in its profile (1..); 0 = not profiled. */
  uint64_t prof_query;
  uint32_t prof_slot;
};
/* The ready heap hands back &task->heap, which is cast to the task. */
_Static_assert(offsetof(sched_task, heap) == 0,
               "heap must be the first member of sched_task");
/* task_new stores the deps array right after the struct. */
_Static_assert(sizeof(sched_task) % _Alignof(sched_task *) == 0,
               "the deps array after a sched_task must be aligned");

struct sched_worker {
  uint64_t id;
  dusk_conn *conn;
  dusk_scheduler *s;
  char addr[96]; /* data address "host:port" */
  char name[64];
  char host_id[DUSK_HOST_ID_MAX + 1]; /* REGISTER's host_id, "" = none */
  int64_t pid;
  uint32_t nprocessing;
  uint32_t capacity;   /* tasks in flight allowed now (see update_capacity) */
  double ema_run_us;   /* moving average of op run times, 0 = unknown */
  uint64_t nkeys, nbytes;
  /* From its heartbeats (docs/dashboard.md), 0 before the first: */
  uint64_t cpu_ns, sample_ns; /* process CPU time, at its clock's time */
  double cpu_percent;         /* over the last two heartbeats */
  uint64_t rss_bytes, memory_limit, bytes_scanned;
  uint32_t nrunning;
  sched_task *processing; /* list head */
  sched_task *memory;     /* list head */
  sched_worker *fprev, *fnext; /* free list: workers with spare slots */
  int in_free;
  int registered;
  int leaving; /* said LEAVING: its departure is no death */
  uint32_t nmoving; /* leaving: results being copied to other workers */
  uint32_t nmoved;
  uint64_t last_seen_ns;
  dusk_heap pinned; /* ready tasks that read a kept input held here */
};

struct sched_client {
  uint64_t id;
  dusk_conn *conn;
  dusk_scheduler *s;
  dusk_strmap tasks;    /* key -> sched_task */
  sched_task **pending; /* tasks of a graph whose final part has not come */
  char **pending_deps;  /* per pending task: its input keys, see pack_keys */
  size_t npending, cap_pending;
  char **pending_wanted;
  size_t npending_wanted, cap_pending_wanted;
  uint32_t info_min; /* INFO_REQUEST waiting for this many workers */
  int info_waiting;
  sched_client *next_waiting_info;
  int closed;
  struct sched_query *queries; /* dataframe queries of this client */
  int submitting_query; /* dusk__sched_submit runs for one of them */
  /* Progress of its graphs (tasks not of a query) since it was last idle:
   * tasks submitted or recomputed, of them finished (or dropped), those
   * still to run (waiting, ready or processing), and since when. */
  uint64_t graph_total, graph_done;
  uint32_t graph_busy;
  uint64_t graph_start_ns;
  sched_client *cprev, *cnext; /* in s->clients */
};

/* Bounds of the graph latency histogram, microseconds (Prometheus' "le"
 * values, seconds: 1 ms to 1000 s in 1-2.5-5 steps); one more bucket
 * above them. */
#define DUSK_LATENCY_BOUNDS 19
extern const uint64_t dusk__latency_bounds_us[DUSK_LATENCY_BOUNDS];

/* Exact buckets below 64 us, then 16 per power of two from 2^6 to 2^31:
 * every uint32 round trip has a bucket (see hb_bucket). */
#define DUSK_HB_BUCKETS (64 + 26 * 16)
_Static_assert(DUSK_HB_BUCKETS == 64 + (31 - 6 + 1) * 16,
               "one bucket group per power of two from 2^6 to 2^31");

struct dusk_scheduler {
  uv_loop_t *loop;
  dusk_scheduler_config cfg;
  dusk_net net;
  uv_tcp_t server;
  uv_timer_t chore;
  int port;
  dusk_heap ready;
  dusk_idmap tasks_by_id; /* attempt id -> task */
  dusk_idmap workers;     /* worker id -> worker */
  sched_worker *free_workers;
  uint64_t next_task_id, next_worker_id, next_client_id, next_priority;
  uint64_t ntasks;
  size_t nworkers;
  size_t nclients;
  /* Heartbeat round trips the workers report, as a log-linear histogram:
   * exact below 64 us, then 16 buckets per power of two (< 7% error). */
  uint64_t hb_hist[DUSK_HB_BUCKETS];
  uint64_t hb_samples;
  uint64_t hb_sum_us; /* of the recorded round trips (a histogram's _sum) */
  uint32_t hb_max_us;
  /* Tasks by state (set_state keeps them), and the tasks that reached
   * memory / erred since the start: what the dashboard reports. */
  uint64_t nstate[T_RELEASED + 1];
  uint64_t nfinished, nerred;
  /* CSV bytes the workers' scans read, added up from their heartbeats */
  uint64_t bytes_scanned;
  /* Graph latency: from a graph's submission (or a query's arrival) to
   * the outcome of each result the client waits for (its wanted keys, or
   * the query's result), canceled ones left out. */
  uint64_t lat_hist[DUSK_LATENCY_BOUNDS + 1];
  uint64_t lat_count, lat_sum_us;
  uint64_t start_ns;      /* dusk_now_ns() at dusk_scheduler_new */
  sched_client *clients;  /* every connected client, for the dashboard */
  struct dusk_dash *dash; /* the HTTP endpoint (dashboard.h), or NULL */
  int dash_local; /* it listens on loopback only, --host being elsewhere */
  uv_timer_t dash_timer;  /* publishes its snapshot (status.c) */
  struct sched_events *events; /* recent events (status.c), or NULL */
  sched_client *info_waiters;
  /* Attempt ids of parked tasks (a fetch from a holder that still looks
   * alive failed): readied by the next chore, looked up by id so a task
   * freed meanwhile is simply not found. */
  uint64_t *parked;
  size_t nparked, cap_parked;
  size_t move_rr; /* where the next hand-over target search starts */
  int stopping;
  struct sched_query *queries_due; /* noted by dusk__query_final */
  struct dusk_autoscaler *autoscaler; /* --autoscale, else NULL */
};

typedef struct sched_query sched_query;
typedef struct sched_profile sched_profile;

/* Submits one graph part for c, as if the client had sent it.  With
 * prof_query non-zero, the new task of m->tasks[i] records into slot
 * slots[i] of that query's profile (profile.c). */
void dusk__sched_submit(dusk_scheduler *s, sched_client *c,
                        const dusk_msg_submit *m, uint64_t prof_query,
                        const uint32_t *slots);
/* Stops wanting c's key (canceling it first when cancel is set). */
void dusk__sched_release(dusk_scheduler *s, sched_client *c,
                         const char *key, size_t keylen, int cancel);
/* The task of c named key, or NULL. */
/* Whether c's task key has finished (in memory, failed, or released after
 * use), or is no longer known (forgotten once finished and consumed). */
int dusk__sched_task_finished(sched_client *c, const char *key);
sched_task *dusk__sched_task(sched_client *c, const char *key,
                             size_t keylen);
/* Holds c's task key as a persisted partition (sched_task.kept) until
 * dusk__sched_unkeep; unknown keys are ignored.  Call right after the
 * submission that made it, before it can be released. */
void dusk__sched_keep(dusk_scheduler *s, sched_client *c, const char *key);
void dusk__sched_unkeep(dusk_scheduler *s, sched_client *c, const char *key);
/* Marks c's task key stay (sched_task.stay); unknown keys are ignored. */
void dusk__sched_stay(sched_client *c, const char *key);

/* query.c */
void dusk__query_start(dusk_scheduler *s, sched_client *c,
                       const dusk_msg_query *m);
/* A query's final task reached memory or erred: noted now, acted on by
 * dusk__query_flush, because acting may free tasks the caller is still
 * walking. */
void dusk__query_final(dusk_scheduler *s, sched_task *t);
/* Handles the noted query outcomes; call where no task walk is running. */
void dusk__query_flush(dusk_scheduler *s);
/* The client released or canceled its query key: 1 if it was one. */
int dusk__query_release(dusk_scheduler *s, sched_client *c, dusk_slice key,
                        int cancel);
/* The client is gone: drop its queries. */
void dusk__query_client_gone(dusk_scheduler *s, sched_client *c);
/* The profile of c's query with this id, or NULL (gone, or not profiled). */
sched_profile *dusk__query_profile(sched_client *c, uint64_t query_id);

/* profile.c: a profiled query's task records (see there).  slot returns
 * the new task's slot, 1.., or 0 past DUSK_PROFILE_TASKS_MAX; attempt
 * starts an attempt (before its slots).  send sends the filled slots in
 * PROFILE parts. */
sched_profile *dusk__profile_new(uint64_t start_ns);
void dusk__profile_free(sched_profile *p);
void dusk__profile_attempt(sched_profile *p, uint64_t now_ns);
uint32_t dusk__profile_slot(sched_profile *p, const char *key,
                            const char *op, uint64_t scan_bytes,
                            uint64_t now_ns);
void dusk__profile_ready(sched_profile *p, uint32_t slot, uint64_t now_ns);
void dusk__profile_done(sched_profile *p, uint32_t slot,
                        const sched_worker *w, uint64_t sent_ns,
                        const dusk_msg_task_done *m, uint64_t now_ns);
void dusk__profile_send(const sched_profile *p, dusk_conn *conn,
                        const char *key, uint64_t now_ns);
/* What send sends, each PROFILE part handed to part_fn (for tests). */
void dusk__profile_parts(const sched_profile *p, const char *key,
                         uint64_t now_ns,
                         void (*part_fn)(void *ctx, const dusk_msg *m),
                         void *ctx);
/* autoscale.c: --autoscale.  check refuses a bad configuration before
 * anything starts; start (once listening) is a no-op without it; stop runs
 * the last `down` (the loop keeps running until it ends); free after the
 * loop has finished. */
typedef struct dusk_autoscaler dusk_autoscaler;
int dusk__autoscale_check(const dusk_scheduler_config *cfg, dusk_error *err);
void dusk__autoscale_start(dusk_scheduler *s);
void dusk__autoscale_stop(dusk_scheduler *s);
void dusk__autoscale_stats(dusk_scheduler *s, dusk_sched_stats *st);
void dusk__autoscale_free(dusk_scheduler *s);

/* query.c: calls each(ctx, ...) for every query of c that has not
 * finished: its key, whether it is still sampling its files, and how far
 * its current attempt is (tasks finished of its tasks, CSV bytes of the
 * finished scans: what PROGRESS reports), and the seconds since it
 * arrived. */
typedef void (*dusk__query_each_fn)(void *ctx, const char *key, int sampling,
                                    uint64_t tasks_done, uint64_t tasks_total,
                                    uint64_t bytes_done, uint64_t bytes_total,
                                    double elapsed_s);
void dusk__query_each(sched_client *c, dusk__query_each_fn each, void *ctx);

/* status.c: the HTTP endpoint (--dashboard-port).  start (once listening)
 * binds it and begins publishing snapshots; a no-op with --no-dashboard.
 * stop closes the timer and joins the HTTP thread. */
int dusk__dashboard_start(dusk_scheduler *s, dusk_error *err);
void dusk__dashboard_stop(dusk_scheduler *s);
/* Recent events for the dashboard's task stream and failure list: O(1),
 * no-ops without a dashboard.  task_event: t's op finished on w, sent at
 * start_ns.  failure: kind "task-erred" (what names the task) or
 * "worker-removed"; w may be NULL. */
void dusk__dash_task_event(dusk_scheduler *s, const sched_worker *w,
                           const char *op, uint64_t start_ns);
void dusk__dash_failure(dusk_scheduler *s, const char *kind,
                        const sched_worker *w, const char *what,
                        const char *reason);
/* The state names the dashboard and debug logs use. */
const char *dusk__sched_state_name(int st);
/* Resident and peak resident bytes of this process (Linux /proc). */
void dusk__sched_own_memory(uint64_t *rss, uint64_t *peak);
/* Records one graph latency: a result a client waited for, wanted since
 * start_ns (nothing when start_ns is 0). */
void dusk__sched_graph_latency(dusk_scheduler *s, uint64_t start_ns);
/* The q-quantile (0 < q <= 1) of the heartbeat round trips, or 0. */
uint32_t dusk__sched_hb_quantile(const dusk_scheduler *s, double q);

/* The scheduler's uv loop, for the thread pool. */
uv_loop_t *dusk__sched_loop(dusk_scheduler *s);

#endif
