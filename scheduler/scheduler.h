/* scheduler.h - the dusk scheduler as a library: it owns the truth about
 * tasks and workers, on one libuv loop, in one thread.  main.c only parses
 * the configuration and runs the loop; tests may drive it on their own loop.
 *
 * Task states: waiting -> ready -> processing -> memory, plus erred and
 * released.  Each transition does O(1) work besides the task's own edges;
 * nothing scans all tasks or all workers per event. */
#ifndef DUSK_SCHEDULER_H
#define DUSK_SCHEDULER_H

#include "config.h"
#include "errors.h"

#include <stdint.h>
#include <uv.h>

typedef struct dusk_scheduler_config {
  const char *host;
  int64_t port;
  const char *token_file;
  int64_t ready_fd;
  const char *log_level;
  int64_t worker_queue;      /* tasks in flight per worker while task
                                durations are unknown */
  int64_t worker_queue_max;  /* most tasks in flight per worker */
  int64_t queue_budget_us;   /* queued work per worker, in op run time */
  int64_t heartbeat_ms;      /* interval workers are told to use */
  int64_t worker_timeout_ms; /* silence after which a worker is gone */
  int64_t max_retries;       /* worker deaths before a task is erred */
  int64_t max_frame;         /* frame body limit, bytes */
  int64_t max_outbuf;        /* queued output per connection, bytes */
  int64_t handshake_ms;      /* time a peer has to authenticate */
  int64_t max_key_bytes;     /* longest task key a client may submit */
  int64_t max_op_bytes;      /* longest op name a client may submit */
  int64_t fetch_retries;     /* reruns of a task whose input's holder looks
                                alive but could not be fetched from */
  int64_t chore_ms;          /* interval of the periodic chore (timeouts,
                                parked tasks, handshake sweep) */
  int64_t query_attempts;    /* runs of a query (widening a column or fixing
                                quote states between them) */
  int64_t blocksize;         /* bytes per partition when a query gives none */
  int64_t sample_bytes;      /* bytes of a file read to infer its types */
  int64_t combine_fanin;     /* partials one df_combine task merges */
  int64_t max_field;         /* longest CSV field a query reads, bytes */
  const char *autoscale;     /* provider command (autoscale.c), or NULL */
  int64_t min_workers;       /* autoscale: fewest hosts */
  int64_t max_workers;       /* autoscale: most hosts, -1 = not given */
  int64_t autoscale_interval_ms;
  int64_t autoscale_target_ms;   /* work one worker slot should hold */
  int64_t autoscale_wait_count;  /* ticks a host is idle before it goes */
  int64_t autoscale_cooldown_ms; /* no shrinking this soon after a launch */
  int64_t autoscale_boot_timeout_ms;
  int64_t autoscale_timeout_ms;  /* each provider command's limit */
  int64_t autoscale_list_ms;     /* interval of `list` */
  const char *autoscale_contact; /* address workers dial, tcp://HOST:PORT */
  const char *tls_cert;      /* TLS: all three, or none */
  const char *tls_key;
  const char *tls_ca;
  int64_t dashboard_port;        /* HTTP endpoint (status.c), 0 = free */
  int no_dashboard;              /* --no-dashboard */
  int dashboard_insecure;        /* plain HTTP off loopback all the same */
  int64_t dashboard_connections; /* open at once */
  int64_t dashboard_timeout_ms;  /* idle connection limit */
  int64_t dashboard_header_bytes; /* request line + headers limit */
  int64_t dashboard_interval_ms; /* snapshot period */
  int64_t dashboard_session_ms;  /* POST /login cookie lifetime */
} dusk_scheduler_config;

extern const dusk_cfg_entry dusk_scheduler_config_table[];
extern const size_t dusk_scheduler_config_count;

typedef struct dusk_scheduler dusk_scheduler;

/* Creates a scheduler listening on cfg->host:cfg->port.  Refuses a
 * non-loopback host without a token file.  *out is freed by
 * dusk_scheduler_free after the loop has finished. */
int dusk_scheduler_new(uv_loop_t *loop, const dusk_scheduler_config *cfg,
                       dusk_scheduler **out, dusk_error *err);
int dusk_scheduler_port(const dusk_scheduler *s);
/* The HTTP endpoint's port (--dashboard-port), or -1 without one. */
int dusk_scheduler_dashboard_port(const dusk_scheduler *s);
/* Closes every handle; run the loop until it returns, then free. */
void dusk_scheduler_stop(dusk_scheduler *s);
void dusk_scheduler_free(dusk_scheduler *s);

#endif
