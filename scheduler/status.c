/* status.c - what the HTTP endpoint serves, built on the scheduler's loop.
 *
 * Every --dashboard-interval-ms a timer renders the /status JSON and the
 * /metrics text from the scheduler's counters and hands both to the HTTP
 * thread (dashboard.h), which serves the latest and never reads scheduler
 * state.  A render costs O(workers + tasks of the running queries) - the
 * task counts by state are counters kept at each transition (set_state in
 * scheduler.c), never a scan of the tasks.  The schema is documented in
 * docs/dashboard.md. */
#include "dashboard.h"
#include "auth.h"
#include "internal.h"
#include "log.h"
#include "xalloc.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- escaping ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n) {
  size_t len;
  uint32_t cp;
  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    len = 2, cp = p[0] & 0x1fu;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    len = 3, cp = p[0] & 0x0fu;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    len = 4, cp = p[0] & 0x07u;
  else
    return 0;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (p[i] & 0x3fu);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

enum { ESC_JSON, ESC_PROM };

/* Writes s (keys and addresses come from the network: any bytes) as the
 * inside of a JSON string or a Prometheus label value: both must be UTF-8,
 * so a byte that is not part of a valid sequence becomes U+FFFD. */
static void put_escaped(FILE *f, const char *s, int how) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  while (n > 0) {
    size_t len = utf8_len(p, n);
    if (len == 0) {
      fputs(how == ESC_JSON ? "\\ufffd" : "\xef\xbf\xbd", f);
      len = 1;
    } else if (*p == '"' || *p == '\\') {
      fputc('\\', f);
      fputc(*p, f);
    } else if (*p == '\n') {
      fputs("\\n", f);
    } else if (*p < 0x20 && how == ESC_JSON) {
      fprintf(f, "\\u%04x", *p);
    } else {
      fwrite(p, 1, len, f);
    }
    p += len;
    n -= len;
  }
}

void dusk__put_json_escaped(FILE *f, const char *s) {
  put_escaped(f, s, ESC_JSON);
}

static void put_json_string(FILE *f, const char *s) {
  fputc('"', f);
  put_escaped(f, s, ESC_JSON);
  fputc('"', f);
}

/* ---- /status --------------------------------------------------------------- */

typedef struct query_walk {
  FILE *f;
  uint64_t client;
  size_t n;
} query_walk;

static void put_query(void *ctx, const char *key, int sampling,
                      uint64_t tasks_done, uint64_t tasks_total,
                      uint64_t bytes_done, uint64_t bytes_total,
                      double elapsed_s) {
  query_walk *qw = ctx;
  FILE *f = qw->f;
  fputs(qw->n++ ? ",\n  {" : "\n  {", f);
  fputs("\"key\": ", f);
  put_json_string(f, key);
  fprintf(f,
          ", \"client\": %" PRIu64 ", \"state\": \"%s\", \"tasks_done\": "
          "%" PRIu64 ", \"tasks_total\": %" PRIu64 ", \"bytes_done\": "
          "%" PRIu64 ", \"bytes_total\": %" PRIu64 ", \"elapsed_s\": %.3f}",
          qw->client, sampling ? "sampling" : "running", tasks_done,
          tasks_total, bytes_done, bytes_total, elapsed_s);
}

/* The scheduler's address as clients dial it. */
static void put_address(FILE *f, const dusk_scheduler *s) {
  int v6 = strchr(s->cfg.host, ':') != NULL;
  fprintf(f, "tcp://%s", v6 ? "[" : "");
  put_escaped(f, s->cfg.host, ESC_JSON);
  fprintf(f, "%s:%d", v6 ? "]" : "", s->port);
}

static char *render_status(dusk_scheduler *s, const dusk_sched_stats *st,
                           double uptime, size_t *len, size_t *nqueries) {
  char *out = NULL;
  FILE *f = open_memstream(&out, len);
  query_walk qw = {f, 0, 0};
  size_t nw = 0;
  if (f == NULL)
    return NULL;
  fputs("{\"scheduler\": {\"address\": \"", f);
  put_address(f, s);
  fprintf(f,
          "\", \"uptime_s\": %.3f, \"rss_bytes\": %" PRIu64
          ", \"peak_rss_bytes\": %" PRIu64 ", \"clients\": %zu, \"workers\": "
          "%zu,\n  \"tasks\": {",
          uptime, st->rss_bytes, st->peak_rss_bytes, s->nclients,
          s->nworkers);
  for (int i = 0; i <= T_RELEASED; i++)
    fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", dusk__sched_state_name(i),
            s->nstate[i]);
  fprintf(f,
          "}, \"tasks_finished_total\": %" PRIu64
          ", \"tasks_erred_total\": %" PRIu64
          ", \"bytes_scanned_total\": %" PRIu64
          ",\n  \"heartbeat_rtt_us\": "
          "{\"samples\": %" PRIu64 ", \"p50\": %" PRIu32 ", \"p99\": %" PRIu32
          ", \"max\": %" PRIu32 "}},\n\"workers\": [",
          s->nfinished, s->nerred, s->bytes_scanned, st->hb_samples,
          st->hb_rtt_p50_us, st->hb_rtt_p99_us, st->hb_rtt_max_us);
  for (size_t i = 0; i < s->workers.cap; i++) {
    const sched_worker *w = s->workers.slots[i].value;
    if (w == NULL || !w->registered)
      continue;
    fprintf(f, "%s{\"id\": %" PRIu64 ", \"host_id\": ", nw++ ? ",\n  " : "\n  ",
            w->id);
    put_json_string(f, w->host_id);
    fputs(", \"addr\": ", f);
    put_json_string(f, w->addr);
    fputs(", \"name\": ", f);
    put_json_string(f, w->name);
    fprintf(f,
            ", \"pid\": %" PRId64 ", \"processing\": %" PRIu32
            ", \"capacity\": %" PRIu32 ", \"keys\": %" PRIu64
            ", \"bytes\": %" PRIu64 ", \"leaving\": %s,\n   "
            "\"tasks_running\": %" PRIu32 ", \"cpu_percent\": %.1f"
            ", \"cpu_seconds\": %.3f, \"rss_bytes\": %" PRIu64
            ", \"memory_limit_bytes\": %" PRIu64
            ", \"bytes_scanned\": %" PRIu64 "}",
            w->pid, w->nprocessing, w->capacity, w->nkeys, w->nbytes,
            w->leaving ? "true" : "false", w->nrunning, w->cpu_percent,
            (double)w->cpu_ns / 1e9, w->rss_bytes, w->memory_limit,
            w->bytes_scanned);
  }
  fputs("],\n\"queries\": [", f);
  for (sched_client *c = s->clients; c != NULL; c = c->cnext) {
    qw.client = c->id;
    dusk__query_each(c, put_query, &qw);
  }
  fputs("],\n\"graphs\": [", f);
  {
    size_t ng = 0;
    uint64_t now = dusk_now_ns();
    for (sched_client *c = s->clients; c != NULL; c = c->cnext) {
      if (c->graph_busy == 0)
        continue;
      fprintf(f,
              "%s{\"client\": %" PRIu64 ", \"tasks_done\": %" PRIu64
              ", \"tasks_total\": %" PRIu64 ", \"elapsed_s\": %.3f}",
              ng++ ? ",\n  " : "\n  ", c->id, c->graph_done, c->graph_total,
              now > c->graph_start_ns
                  ? (double)(now - c->graph_start_ns) / 1e9
                  : 0.0);
    }
  }
  fputs("],\n\"autoscale\": ", f);
  if (st->as_enabled)
    fprintf(f,
            "{\"target\": %" PRIu32 ", \"pending\": %" PRIu32
            ", \"running\": %" PRIu32 ", \"closing\": %" PRIu32
            ", \"launched_total\": %" PRIu64 ", \"stopped_total\": %" PRIu64
            ", \"work_ms\": %" PRIu64 "}",
            st->as_target, st->as_pending, st->as_running, st->as_closing,
            st->as_launched, st->as_stopped, st->as_work_ms);
  else
    fputs("null", f);
  fputs("}\n", f); /* dashboard.c cuts this "}\n" to append "events" */
  *nqueries = qw.n;
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

/* ---- /metrics -------------------------------------------------------------- */

static void metric_head(FILE *f, const char *name, const char *type,
                        const char *help) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric(FILE *f, const char *name, const char *type,
                   const char *help, uint64_t v) {
  metric_head(f, name, type, help);
  fprintf(f, "%s %" PRIu64 "\n", name, v);
}

/* The round-trip histogram with Prometheus' cumulative buckets.  hb_hist is
 * exact below 64 us and has 16 buckets per power of two above, so the
 * samples below 2^e us are exactly the buckets below index 2^e (e < 6) or
 * 64 + 16 (e - 6): with whole microseconds, that is le = 2^e - 1 us. */
static void put_hb_histogram(FILE *f, const dusk_scheduler *s) {
  uint64_t seen = 0;
  size_t b = 0;
  metric_head(f, "dusk_heartbeat_rtt_seconds", "histogram",
              "Heartbeat round trips the workers report.");
  for (unsigned e = 4; e <= 25; e++) {
    size_t end = e < 6 ? (size_t)1 << e : 64 + (size_t)(e - 6) * 16;
    for (; b < end; b++)
      seen += s->hb_hist[b];
    fprintf(f, "dusk_heartbeat_rtt_seconds_bucket{le=\"%.6f\"} %" PRIu64 "\n",
            (double)((1u << e) - 1) / 1e6, seen);
  }
  fprintf(f,
          "dusk_heartbeat_rtt_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
          "dusk_heartbeat_rtt_seconds_sum %.6f\n"
          "dusk_heartbeat_rtt_seconds_count %" PRIu64 "\n",
          s->hb_samples, (double)s->hb_sum_us / 1e6, s->hb_samples);
}

/* The graph latency histogram (dusk__sched_graph_latency), cumulative. */
static void put_latency_histogram(FILE *f, const dusk_scheduler *s) {
  uint64_t seen = 0;
  metric_head(f, "dusk_graph_latency_seconds", "histogram",
              "From a graph's submission (or a query's arrival) to the "
              "outcome of each result the client waits for.");
  for (size_t b = 0; b < DUSK_LATENCY_BOUNDS; b++) {
    seen += s->lat_hist[b];
    fprintf(f, "dusk_graph_latency_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
            (double)dusk__latency_bounds_us[b] / 1e6, seen);
  }
  fprintf(f,
          "dusk_graph_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
          "dusk_graph_latency_seconds_sum %.6f\n"
          "dusk_graph_latency_seconds_count %" PRIu64 "\n",
          s->lat_count, (double)s->lat_sum_us / 1e6, s->lat_count);
}

/* What a per-worker metric reports. */
enum {
  WM_PROCESSING,
  WM_RUNNING,
  WM_KEYS,
  WM_BYTES,
  WM_RSS,
  WM_LIMIT,
  WM_SCANNED,
  WM_CPU
};

/* The part after "host:" of a worker's data address, its host. */
static void put_worker_labels(FILE *f, const sched_worker *w) {
  char host[sizeof w->addr];
  const char *colon = strrchr(w->addr, ':');
  size_t n = colon != NULL ? (size_t)(colon - w->addr) : strlen(w->addr);
  memcpy(host, w->addr, n);
  host[n] = '\0';
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']') { /* [v6]:port */
    memmove(host, host + 1, n - 2);
    host[n - 2] = '\0';
  }
  fprintf(f, "{worker=\"%" PRIu64 "\",host=\"", w->id);
  put_escaped(f, host, ESC_PROM);
  fputs("\",addr=\"", f);
  put_escaped(f, w->addr, ESC_PROM);
  fputs("\"}", f);
}

static void put_worker_metric(FILE *f, const dusk_scheduler *s,
                              const char *name, const char *type,
                              const char *help, int which) {
  metric_head(f, name, type, help);
  for (size_t i = 0; i < s->workers.cap; i++) {
    const sched_worker *w = s->workers.slots[i].value;
    uint64_t v = 0;
    if (w == NULL || !w->registered)
      continue;
    fputs(name, f);
    put_worker_labels(f, w);
    switch (which) {
    case WM_PROCESSING: v = w->nprocessing; break;
    case WM_RUNNING: v = w->nrunning; break;
    case WM_KEYS: v = w->nkeys; break;
    case WM_BYTES: v = w->nbytes; break;
    case WM_RSS: v = w->rss_bytes; break;
    case WM_LIMIT: v = w->memory_limit; break;
    case WM_SCANNED: v = w->bytes_scanned; break;
    case WM_CPU:
      fprintf(f, " %.6f\n", (double)w->cpu_ns / 1e9);
      continue;
    }
    fprintf(f, " %" PRIu64 "\n", v);
  }
}

static char *render_metrics(dusk_scheduler *s, const dusk_sched_stats *st,
                            double uptime, size_t nqueries, size_t *len) {
  char *out = NULL;
  FILE *f = open_memstream(&out, len);
  if (f == NULL)
    return NULL;
  metric_head(f, "dusk_tasks", "gauge", "Tasks the scheduler tracks, by state.");
  for (int i = 0; i <= T_RELEASED; i++)
    fprintf(f, "dusk_tasks{state=\"%s\"} %" PRIu64 "\n",
            dusk__sched_state_name(i), s->nstate[i]);
  metric(f, "dusk_tasks_finished_total", "counter",
         "Tasks whose result reached memory since the scheduler started.",
         s->nfinished);
  metric(f, "dusk_tasks_erred_total", "counter",
         "Tasks that erred since the scheduler started.", s->nerred);
  metric(f, "dusk_bytes_scanned_total", "counter",
         "CSV bytes the workers' scans read (from their heartbeats).",
         s->bytes_scanned);
  metric(f, "dusk_workers", "gauge", "Registered workers.", s->nworkers);
  metric(f, "dusk_clients", "gauge", "Connected clients.", s->nclients);
  metric(f, "dusk_queries", "gauge", "Dataframe queries in flight.",
         nqueries);
  metric(f, "dusk_scheduler_rss_bytes", "gauge",
         "Resident memory of the scheduler process.", st->rss_bytes);
  metric_head(f, "dusk_scheduler_uptime_seconds", "gauge",
              "Time since the scheduler started.");
  fprintf(f, "dusk_scheduler_uptime_seconds %.3f\n", uptime);
  put_hb_histogram(f, s);
  put_latency_histogram(f, s);
  put_worker_metric(f, s, "dusk_worker_processing", "gauge",
                    "Tasks in flight on the worker.", WM_PROCESSING);
  put_worker_metric(f, s, "dusk_worker_tasks_running", "gauge",
                    "Tasks the worker runs now (its last heartbeat).",
                    WM_RUNNING);
  put_worker_metric(f, s, "dusk_worker_keys", "gauge",
                    "Results the worker holds (its last heartbeat).",
                    WM_KEYS);
  put_worker_metric(f, s, "dusk_worker_bytes", "gauge",
                    "Bytes of results the worker holds (its last heartbeat).",
                    WM_BYTES);
  put_worker_metric(f, s, "dusk_worker_rss_bytes", "gauge",
                    "Resident memory of the worker process.", WM_RSS);
  put_worker_metric(f, s, "dusk_worker_memory_limit_bytes", "gauge",
                    "The worker's --memory-limit (results past 70% spill to disk).",
                    WM_LIMIT);
  put_worker_metric(f, s, "dusk_worker_bytes_scanned_total", "counter",
                    "CSV bytes the worker's scans read since it registered.",
                    WM_SCANNED);
  put_worker_metric(f, s, "dusk_worker_cpu_seconds_total", "counter",
                    "CPU time of the worker process, all threads.", WM_CPU);
  if (st->as_enabled) {
    metric(f, "dusk_autoscale_target_hosts", "gauge",
           "Hosts the autoscaler wants now.", st->as_target);
    metric_head(f, "dusk_autoscale_hosts", "gauge",
                "Hosts of the autoscaler, by state.");
    fprintf(f,
            "dusk_autoscale_hosts{state=\"pending\"} %" PRIu32 "\n"
            "dusk_autoscale_hosts{state=\"running\"} %" PRIu32 "\n"
            "dusk_autoscale_hosts{state=\"closing\"} %" PRIu32 "\n",
            st->as_pending, st->as_running, st->as_closing);
    metric(f, "dusk_autoscale_launched_total", "counter",
           "Hosts the autoscaler started.", st->as_launched);
    metric(f, "dusk_autoscale_stopped_total", "counter",
           "Hosts the autoscaler stopped.", st->as_stopped);
  }
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

/* ---- recent events ----------------------------------------------------------
 * The loop appends each task completion and each failure or worker removal
 * to rings of fixed size here: a struct copy, O(1), nothing allocated.  At
 * each publish the ones not yet handed over go to the HTTP thread's rings
 * (dusk_dash_add_events), which serve them.  If more happen between two
 * publishes than a ring holds, the oldest are dropped: the page shows the
 * recent past, not a complete log. */

struct sched_events {
  dusk_dash_task_ev tev[DUSK_DASH_TASK_EVENTS];
  dusk_dash_fail_ev fev[DUSK_DASH_FAIL_EVENTS];
  size_t thead, tn, fhead, fn;
  uint64_t next_seq;  /* the next event's seq (from 1) */
  uint64_t published; /* events below this seq were handed over */
};

static double since_start_s(const dusk_scheduler *s, uint64_t ns) {
  return ns > s->start_ns ? (double)(ns - s->start_ns) / 1e9 : 0.0;
}

/* Copies src into dst[size] whole or cut (bytes: a cut UTF-8 sequence is
 * served as U+FFFD). */
static void copy_cut(char *dst, size_t size, const char *src) {
  size_t n = src != NULL ? strlen(src) : 0;
  if (n >= size)
    n = size - 1;
  memcpy(dst, src != NULL ? src : "", n);
  dst[n] = '\0';
}

void dusk__dash_task_event(dusk_scheduler *s, const sched_worker *w,
                           const char *op, uint64_t start_ns) {
  struct sched_events *ev = s->events;
  dusk_dash_task_ev *e;
  if (ev == NULL)
    return;
  e = &ev->tev[dusk_dash_ring_slot(&ev->thead, &ev->tn,
                                   DUSK_DASH_TASK_EVENTS)];
  e->seq = ev->next_seq++;
  e->worker = w->id;
  e->start_s = since_start_s(s, start_ns);
  e->end_s = since_start_s(s, dusk_now_ns());
  copy_cut(e->op, sizeof e->op, op);
}

void dusk__dash_failure(dusk_scheduler *s, const char *kind,
                        const sched_worker *w, const char *what,
                        const char *reason) {
  struct sched_events *ev = s->events;
  dusk_dash_fail_ev *e;
  if (ev == NULL)
    return;
  e = &ev->fev[dusk_dash_ring_slot(&ev->fhead, &ev->fn,
                                   DUSK_DASH_FAIL_EVENTS)];
  e->seq = ev->next_seq++;
  e->worker = w != NULL ? w->id : 0;
  e->time_s = since_start_s(s, dusk_now_ns());
  copy_cut(e->kind, sizeof e->kind, kind);
  copy_cut(e->addr, sizeof e->addr, w != NULL ? w->addr : "");
  copy_cut(e->what, sizeof e->what, what);
  copy_cut(e->reason, sizeof e->reason, reason);
}

/* The newest items of a ring (cap slots, n from head) with seq >= from:
 * how many, and the two pieces they lie in. */
#define NEW_PIECES(ring, head, n, cap, from, ptrs, counts)                    \
  do {                                                                        \
    size_t k_ = 0, first_;                                                    \
    while (k_ < (n) && (ring)[((head) + (n) - 1 - k_) % (cap)].seq >= (from)) \
      k_++;                                                                   \
    first_ = ((head) + (n) - k_) % (cap);                                     \
    (counts)[0] = k_ < (cap) - first_ ? k_ : (cap) - first_;                  \
    (counts)[1] = k_ - (counts)[0];                                           \
    (ptrs)[0] = &(ring)[first_];                                              \
    (ptrs)[1] = (ring);                                                       \
  } while (0)

/* Hands the events not yet handed over to the HTTP thread in one call:
 * O(new events). */
static void hand_over_events(dusk_scheduler *s) {
  struct sched_events *ev = s->events;
  dusk_dash_events out;
  NEW_PIECES(ev->tev, ev->thead, ev->tn, (size_t)DUSK_DASH_TASK_EVENTS,
             ev->published, out.tasks, out.ntasks);
  NEW_PIECES(ev->fev, ev->fhead, ev->fn, (size_t)DUSK_DASH_FAIL_EVENTS,
             ev->published, out.fails, out.nfails);
  out.next_seq = ev->next_seq;
  dusk_dash_add_events(s->dash, &out);
  ev->published = ev->next_seq;
}

/* ---- publishing ------------------------------------------------------------- */

/* Debug builds (the sanitizer pass of the test suite) check that the
 * counts by state add up to the tasks tracked: a transition that bypassed
 * set_state would show here. */
static void check_counts(const dusk_scheduler *s) {
  uint64_t sum = 0;
  for (int i = 0; i <= T_RELEASED; i++)
    sum += s->nstate[i];
  assert(sum == s->ntasks);
  (void)sum;
}

static void publish(dusk_scheduler *s) {
  dusk_sched_stats st;
  char *status, *metrics;
  size_t status_len = 0, metrics_len = 0, nqueries = 0;
  double uptime = (double)(dusk_now_ns() - s->start_ns) / 1e9;
  check_counts(s);
  memset(&st, 0, sizeof st);
  dusk__sched_own_memory(&st.rss_bytes, &st.peak_rss_bytes);
  st.hb_samples = s->hb_samples;
  st.hb_rtt_p50_us = dusk__sched_hb_quantile(s, 0.50);
  st.hb_rtt_p99_us = dusk__sched_hb_quantile(s, 0.99);
  st.hb_rtt_max_us = s->hb_max_us;
  dusk__autoscale_stats(s, &st);
  status = render_status(s, &st, uptime, &status_len, &nqueries);
  metrics = render_metrics(s, &st, uptime, nqueries, &metrics_len);
  if (status == NULL || metrics == NULL) {
    /* Out of memory: keep serving the previous snapshot. */
    free(status);
    free(metrics);
    return;
  }
  /* Events first: a page that sees this snapshot sees them too. */
  hand_over_events(s);
  dusk_dash_publish(s->dash, status, status_len, metrics, metrics_len);
}

static void on_dash_timer(uv_timer_t *t) { publish(t->data); }

int dusk__dashboard_start(dusk_scheduler *s, dusk_error *err) {
  const dusk_scheduler_config *cfg = &s->cfg;
  dusk_dash_config dc;
  int rc;
  if (cfg->no_dashboard)
    return 0;
  memset(&dc, 0, sizeof dc);
  dc.host = cfg->host;
  dusk_error ignored = {0}; /* dusk_scheduler_new resolved it already */
  if (cfg->tls_cert == NULL && !cfg->dashboard_insecure &&
      dusk_host_is_loopback(cfg->host, &ignored) != 1) {
    /* A browser or scraper would send the cluster token in the clear:
     * the cluster port never does (its handshake is a challenge).  So
     * plain HTTP stays on this machine, reached by a tunnel. */
    dc.host = strchr(cfg->host, ':') ? "::1" : "127.0.0.1";
    s->dash_local = 1;
    dusk_log(DUSK_LOG_WARN,
             "dashboard: --host %s without TLS would send the token in the "
             "clear: serving it on %s only (ssh -L 8787:%s:PORT reaches "
             "it; --tls-cert/--tls-key/--tls-ca serve it on --host over "
             "HTTPS, --dashboard-insecure over plain HTTP)",
             cfg->host, dc.host, dc.host);
  }
  dc.port = (int)cfg->dashboard_port;
  dc.fallback = 1;
  dc.token = s->net.token;
  dc.token_len = s->net.token_len;
  if (cfg->tls_cert != NULL && cfg->tls_key != NULL) {
    dc.tls_cert = cfg->tls_cert;
    dc.tls_key = cfg->tls_key;
  }
  dc.max_connections = (unsigned)cfg->dashboard_connections;
  dc.timeout_s = (unsigned)((cfg->dashboard_timeout_ms + 999) / 1000);
  dc.max_header_bytes = (size_t)cfg->dashboard_header_bytes;
  dc.max_body_bytes = DUSK_TOKEN_MAX * 3 + 64; /* a %-encoded token */
  dc.session_s = (unsigned)(cfg->dashboard_session_ms / 1000);
  if ((rc = dusk_dash_start(&dc, &s->dash, err)) != 0)
    return rc;
  s->events = dusk_xcalloc(1, sizeof *s->events);
  s->events->next_seq = 1;
  s->events->published = 1;
  publish(s); /* /status answers from the first request on */
  uv_timer_init(s->loop, &s->dash_timer);
  s->dash_timer.data = s;
  uv_timer_start(&s->dash_timer, on_dash_timer,
                 (uint64_t)cfg->dashboard_interval_ms,
                 (uint64_t)cfg->dashboard_interval_ms);
  dusk_log(DUSK_LOG_INFO, "dashboard on %s://%s%s%s:%d/status",
           dc.tls_cert ? "https" : "http",
           strchr(dc.host, ':') ? "[" : "", dc.host,
           strchr(dc.host, ':') ? "]" : "", dusk_dash_port(s->dash));
  return 0;
}

void dusk__dashboard_stop(dusk_scheduler *s) {
  if (s->dash == NULL)
    return;
  uv_timer_stop(&s->dash_timer);
  uv_close((uv_handle_t *)&s->dash_timer, NULL);
  dusk_dash_stop(s->dash);
  s->dash = NULL;
  free(s->events);
  s->events = NULL;
}

int dusk_scheduler_dashboard_port(const dusk_scheduler *s) {
  return s->dash != NULL ? dusk_dash_port(s->dash) : -1;
}
