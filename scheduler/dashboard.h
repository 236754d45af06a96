/* dashboard.h - the scheduler's HTTP endpoint: libmicrohttpd on a thread of
 * its own, serving the latest snapshot the scheduler's loop published.
 *
 * The HTTP thread never touches scheduler state: the loop builds the
 * /status JSON and the /metrics text (status.c) and hands them over with
 * dusk_dash_publish, which only swaps two pointers under a mutex.  A
 * request copies the current text under the same mutex, so the loop waits
 * at most for one memcpy of a snapshot, never for a client.
 *
 * Endpoints: GET / (the page, dashboard.html, which holds no data and so
 * needs no auth: it asks /status and shows a login form on 401), GET
 * /health (no auth), GET /status[?since=N], GET /metrics, POST /login.
 * With a token, every endpoint but /health wants "Authorization: Bearer
 * <token>" or the session cookie POST /login (form field "token") sets;
 * 401 otherwise.  Unknown paths are 404, other methods 405.  Not a public
 * header: only scheduler/ includes it. */
#ifndef DUSK_SCHED_DASHBOARD_H
#define DUSK_SCHED_DASHBOARD_H

#include "errors.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct dusk_dash dusk_dash;

typedef struct dusk_dash_config {
  const char *host;      /* address to bind (the scheduler's --host) */
  int port;              /* 0 = a free port */
  int fallback;          /* port taken: warn and take a free one instead */
  const char *token;     /* NULL = no authentication (loopback only) */
  size_t token_len;
  const char *tls_cert;  /* PEM files: HTTPS with them, or both NULL */
  const char *tls_key;
  unsigned max_connections;  /* open at once; more are refused */
  unsigned timeout_s;        /* idle connections are closed after this */
  size_t max_header_bytes;   /* request line + headers per connection */
  size_t max_body_bytes;     /* POST /login body */
  unsigned session_s;        /* lifetime of a login's session cookie */
} dusk_dash_config;

/* Binds host:port and starts the HTTP thread.  0, or a negative code with
 * err saying why (address in use without fallback, TLS files unreadable or
 * refused by GnuTLS, libmicrohttpd failed to start). */
int dusk_dash_start(const dusk_dash_config *cfg, dusk_dash **out,
                    dusk_error *err);
/* The port it listens on. */
int dusk_dash_port(const dusk_dash *d);
/* Serves status (JSON) and metrics (Prometheus text) from now on; takes
 * both malloc'd buffers and frees the ones they replace.  Until the first
 * publish, /status and /metrics answer 503.  Any thread. */
void dusk_dash_publish(dusk_dash *d, char *status, size_t status_len,
                       char *metrics, size_t metrics_len);
/* Recent events for the page's task stream and failure list.  The loop
 * records them in rings of its own (status.c) and hands over the new ones
 * at each publish; the HTTP thread keeps the last DUSK_DASH_TASK_EVENTS /
 * DUSK_DASH_FAIL_EVENTS in fixed rings and appends those with seq >= the
 * request's ?since=N to the /status JSON.  Both kinds share one sequence,
 * so one cursor covers both.  Strings are truncated raw bytes (escaped
 * when served).  Times are seconds since the scheduler started. */
#define DUSK_DASH_TASK_EVENTS 2000
#define DUSK_DASH_FAIL_EVENTS 100
typedef struct dusk_dash_task_ev {
  uint64_t seq, worker;
  double start_s, end_s; /* sent to the worker, its TASK_DONE read */
  char op[32];
} dusk_dash_task_ev;
typedef struct dusk_dash_fail_ev {
  uint64_t seq, worker; /* worker 0: none (a task erred unassigned) */
  double time_s;
  char kind[16]; /* "task-erred" or "worker-removed" */
  char addr[96]; /* the worker's data address */
  char what[96]; /* the task's key and op, or "" */
  char reason[240];
} dusk_dash_fail_ev;
/* A ring of cap slots holding n from head: the slot to write the next
 * item into, which drops the oldest when it is full.  O(1). */
static inline size_t dusk_dash_ring_slot(size_t *head, size_t *n,
                                         size_t cap) {
  size_t slot = (*head + *n) % cap;
  if (*n < cap)
    (*n)++;
  else
    *head = (*head + 1) % cap;
  return slot;
}
/* New events for the served rings: each kind oldest first, in up to two
 * pieces (a ring's wrapped tail and head), seqs increasing across calls,
 * and the seq the next event will get. */
typedef struct dusk_dash_events {
  const dusk_dash_task_ev *tasks[2];
  size_t ntasks[2];
  const dusk_dash_fail_ev *fails[2];
  size_t nfails[2];
  uint64_t next_seq;
} dusk_dash_events;
/* Adds them, all under one lock, so a request sees all of them and the
 * new next_seq or none of them; the oldest served ones fall out.  Any
 * thread. */
void dusk_dash_add_events(dusk_dash *d, const dusk_dash_events *ev);
/* Writes s as the inside of a JSON string (status.c): UTF-8, with bytes
 * that are not valid UTF-8 as U+FFFD. */
void dusk__put_json_escaped(FILE *f, const char *s);

/* Closes every connection, joins the HTTP thread and frees d. */
void dusk_dash_stop(dusk_dash *d);

#endif
