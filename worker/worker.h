/* worker.h - one dusk worker process as a library: a connection to the
 * scheduler, a data listener for peers and clients, and one work thread that
 * runs one task at a time while the loop keeps heartbeats, control messages
 * and data serving flowing.  Loop-thread API. */
#ifndef DUSK_WORKER_H
#define DUSK_WORKER_H

#include "config.h"
#include "errors.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct dusk_worker_config {
  const char *host;         /* data listener address */
  dusk_cfg_range port;      /* data listener port (lo == hi; 0 =
                               ephemeral), or the range whose first free
                               port it takes */
  const char *contact_host; /* address advertised to peers */
  const char *token_file;
  const char *nworkers;     /* "N" or "auto": run as a nanny of N workers */
  const char *plugins;      /* comma-separated shared libraries */
  const char *name;
  const char *host_id; /* the provider's id of this host, or NULL */
  int64_t ready_fd;
  const char *log_level;
  int64_t max_frame;
  int64_t max_outbuf;
  int64_t reconnect_max_ms; /* longest wait between reconnection attempts */
  int64_t death_timeout_s;  /* exit after this long without a scheduler
                               (0: never) */
  int64_t data_chunk;       /* bytes per DATA frame */
  int64_t handshake_ms;     /* time a connecting peer has to authenticate */
  int64_t chore_ms;         /* interval of the periodic chore */
  int64_t leave_wait_ms;    /* wait for the scheduler's goodbye, stopping */
  int64_t inline_input_max; /* input bytes under which a trivial op runs on
                               the loop thread */
  const char *memory_limit; /* SIZE, or "auto" for a worker alone on its
                               host (a nanny resolves "auto" for its N
                               workers first: dusk_worker_memory_limit) */
  const char *spill_dir;    /* where results past 70% of the memory limit
                               go (spill.h; NULL or "": $TMPDIR, /tmp) */
  const char *tls_cert;     /* TLS: all three, or none */
  const char *tls_key;
  const char *tls_ca;
} dusk_worker_config;

extern const dusk_cfg_entry dusk_worker_config_table[];
extern const size_t dusk_worker_config_count;

typedef struct dusk_worker dusk_worker;

/* The memory limit of one worker, bytes: text is a size (dusk_size_parse:
 * "4GiB", "512MB", bytes), or "auto" (also NULL): the memory this process
 * may use (dusk_memory_available: MemTotal, or its cgroup's memory.max if
 * lower) divided by host_workers (<= 0 is taken as 1), as Dask's
 * memory_limit="auto".  Reported in heartbeats; results held past 70% of
 * it spill to disk (worker.c make_room).  0, or DUSK_ECONFIG / a negative
 * errno with err naming --memory-limit. */
int dusk_worker_memory_limit(const char *text, int64_t host_workers,
                             uint64_t *bytes, dusk_error *err);

/* scheduler_addr is "tcp://host:port".  Loads plugins, binds the data
 * listener and starts connecting. */
int dusk_worker_new(uv_loop_t *loop, const dusk_worker_config *cfg,
                    const char *scheduler_addr, dusk_worker **out,
                    dusk_error *err);
int dusk_worker_data_port(const dusk_worker *w);
void dusk_worker_stop(dusk_worker *w);
/* Whether the worker stopped itself, having had no scheduler for
 * death_timeout_s: its process exits with DUSK_WORKER_EXIT_ALONE, which a
 * nanny does not restart. */
bool dusk_worker_gave_up(const dusk_worker *w);
#define DUSK_WORKER_EXIT_ALONE 3
void dusk_worker_free(dusk_worker *w);

/* Runs cfg->nworkers worker processes (forked, each running run_child) and
 * restarts any that dies, until SIGTERM/SIGINT.  Returns the exit status. */
int dusk_nanny_run(int nworkers, int (*run_child)(void *), void *arg);

#endif
