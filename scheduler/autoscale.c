/* autoscale.c - dusk-scheduler --autoscale CMD: runs the provider's
 * commands on the loop and feeds adaptive.c what the scheduler sees.
 *
 * The provider contract (deploy/README.md, "Autoscaling"): the scheduler
 * runs `/bin/sh -c 'CMD "$@"' sh VERB ARGS...` with
 *   up K        start K hosts; print each new host's id on a line
 *   down ID...  stop these hosts (an id already gone is no error)
 *   list        print the ids of the hosts that exist
 * and DUSK_SCHEDULER_ADDRESS (what workers dial), DUSK_SCHEDULER_PORT and
 * DUSK_TOKEN_FILE (when set) in the environment.  Workers a provider starts
 * run with --host-id ID, which is how the scheduler ties them to hosts.
 *
 * One command runs at a time, in a session of its own (so a timeout can
 * kill whatever it started), with its output bounded: stdout is read up to
 * AS_OUT_MAX bytes, the tail of stderr is kept for the log.  A command that
 * fails is retried after a backoff that doubles up to AS_BACKOFF_MAX_MS; after
 * a failed `up` (which may have started hosts it could not name) a `list`
 * runs before the next `up`.  Stopping the scheduler kills a running
 * command, then runs `list` (adopting hosts it did not know) and one last
 * `down` of every host, each within AS_STOP_TIMEOUT_MS, so a scheduler
 * that exits leaves no hosts behind to bill and stops within systemd's
 * default stop timeout (90 s). */
#include "adaptive.h"
#include "internal.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define AS_OUT_MAX 65536        /* stdout a command may print */
#define AS_ERR_KEEP 1024        /* tail of stderr kept for the log */
#define AS_DRAIN_MS 1000        /* output read after the command exited */
#define AS_BACKOFF_MAX_MS 60000 /* longest wait before retrying a command */
#define AS_MISSING_LISTS 2      /* `list` outputs without a host to forget it */
#define AS_STOP_TIMEOUT_MS 30000 /* each of the stopping `list` and `down` */

/* A command's place: a tick's, or the last two when the scheduler stops. */
enum { STAGE_RUN, STAGE_STOP_LIST, STAGE_STOP_DOWN };

typedef enum { VERB_UP, VERB_DOWN, VERB_LIST } verb;
static const char *const verb_names[] = {"up", "down", "list"};

typedef struct provider_cmd {
  uv_process_t proc;
  uv_pipe_t out, err;
  uv_timer_t timer; /* the command's deadline, then the drain after exit */
  dusk_autoscaler *as;
  verb v;
  uint32_t up_n;
  char **ids; /* down: the hosts it stops */
  size_t nids;
  char *out_buf;
  size_t out_len;
  char err_buf[AS_ERR_KEEP];
  size_t err_len;
  char chunk[4096];
  int spawned, exited, timed_out, overflow, stage;
  int out_open, err_open;
  int64_t exit_status;
  int term_signal;
  int open_handles;
} provider_cmd;

struct dusk_autoscaler {
  dusk_scheduler *s;
  dusk_adaptive policy;
  uv_timer_t tick;
  provider_cmd *cmd; /* the running command, or NULL */
  char **env;
  char address[160];
  uint64_t next_list_ms;
  uint64_t up_not_before_ms, down_not_before_ms;
  uint64_t up_backoff_ms, down_backoff_ms;
  uint32_t target;
  uint64_t work_ms;
  uint64_t launched, stopped;
  int stopping, final_done;
};

static uint64_t now_ms(void) { return dusk_now_ns() / 1000000u; }

static void as_tick(uv_timer_t *t);
static void stop_next(dusk_autoscaler *as, int after);

/* ---- the environment commands run with ----------------------------------- */

static int is_ours(const char *kv) {
  static const char *const names[] = {"DUSK_SCHEDULER_ADDRESS=",
                                      "DUSK_SCHEDULER_PORT=",
                                      "DUSK_TOKEN_FILE="};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strncmp(kv, names[i], strlen(names[i])) == 0)
      return 1;
  return 0;
}

static char *kv_dup(const char *name, const char *value) {
  size_t n = strlen(name) + strlen(value) + 2;
  char *kv = dusk_xmalloc(n);
  snprintf(kv, n, "%s=%s", name, value);
  return kv;
}

static void build_env(dusk_autoscaler *as) {
  const dusk_scheduler_config *cfg = &as->s->cfg;
  size_t n = 0, k = 0;
  char port[16];
  while (environ[n] != NULL)
    n++;
  as->env = dusk_xcalloc(n + 4, sizeof *as->env);
  for (size_t i = 0; i < n; i++)
    if (!is_ours(environ[i]))
      as->env[k++] = dusk_xstrdup(environ[i]);
  snprintf(port, sizeof port, "%d", as->s->port);
  as->env[k++] = kv_dup("DUSK_SCHEDULER_ADDRESS", as->address);
  as->env[k++] = kv_dup("DUSK_SCHEDULER_PORT", port);
  if (cfg->token_file != NULL)
    as->env[k++] = kv_dup("DUSK_TOKEN_FILE", cfg->token_file);
}

/* ---- running one command ------------------------------------------------- */

static void on_cmd_handle_closed(uv_handle_t *h) {
  provider_cmd *c = h->data;
  if (--c->open_handles > 0)
    return;
  for (size_t i = 0; i < c->nids; i++)
    free(c->ids[i]);
  free(c->ids);
  free(c->out_buf);
  free(c);
}

/* The last line of what it wrote to stderr, for the log. */
static const char *err_tail(provider_cmd *c) {
  char *end = c->err_buf + c->err_len, *p;
  while (end > c->err_buf && (end[-1] == '\n' || end[-1] == '\r'))
    end--;
  *end = '\0';
  for (p = end; p > c->err_buf && p[-1] != '\n'; p--) {
  }
  for (char *q = p; *q; q++)
    if ((unsigned char)*q < 0x20)
      *q = ' ';
  return *p ? p : "(nothing on stderr)";
}

static void cmd_outcome(provider_cmd *c);

static void cmd_finish(provider_cmd *c) {
  dusk_autoscaler *as = c->as;
  uv_timer_stop(&c->timer);
  if (c->out_open)
    uv_read_stop((uv_stream_t *)&c->out);
  if (c->err_open)
    uv_read_stop((uv_stream_t *)&c->err);
  if (!c->exited && c->spawned)
    uv_kill(-c->proc.pid, SIGKILL);
  if (as->cmd == c)
    as->cmd = NULL;
  cmd_outcome(c);
  c->open_handles = 4;
  uv_close((uv_handle_t *)&c->proc, on_cmd_handle_closed);
  uv_close((uv_handle_t *)&c->out, on_cmd_handle_closed);
  uv_close((uv_handle_t *)&c->err, on_cmd_handle_closed);
  uv_close((uv_handle_t *)&c->timer, on_cmd_handle_closed);
  if (as->stopping)
    stop_next(as, c->stage);
}

static void maybe_finish(provider_cmd *c) {
  if (c->exited && !c->out_open && !c->err_open)
    cmd_finish(c);
}

static void on_drain_timeout(uv_timer_t *t) {
  provider_cmd *c = t->data;
  dusk_log(DUSK_LOG_WARN,
           "autoscale: `%s` exited but its output stayed open %d ms: a "
           "process it started holds it (redirect their output)",
           verb_names[c->v], AS_DRAIN_MS);
  cmd_finish(c);
}

static void on_deadline(uv_timer_t *t) {
  provider_cmd *c = t->data;
  c->timed_out = 1;
  /* Its own session: the whole group goes, children too. */
  uv_kill(-c->proc.pid, SIGKILL);
}

static void on_cmd_exit(uv_process_t *p, int64_t status, int sig) {
  provider_cmd *c = p->data;
  c->exited = 1;
  c->exit_status = status;
  c->term_signal = sig;
  if (!c->out_open && !c->err_open) {
    cmd_finish(c);
    return;
  }
  uv_timer_stop(&c->timer);
  uv_timer_start(&c->timer, on_drain_timeout, AS_DRAIN_MS, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  provider_cmd *c = h->data;
  (void)suggested;
  *buf = uv_buf_init(c->chunk, sizeof c->chunk);
}

static void on_out(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  provider_cmd *c = st->data;
  if (n < 0) {
    uv_read_stop(st);
    c->out_open = 0;
    maybe_finish(c);
    return;
  }
  if (c->out_len + (size_t)n > AS_OUT_MAX) {
    if (!c->overflow && c->spawned && !c->exited)
      uv_kill(-c->proc.pid, SIGKILL);
    c->overflow = 1;
    return;
  }
  c->out_buf = dusk_xrealloc(c->out_buf, c->out_len + (size_t)n + 1);
  memcpy(c->out_buf + c->out_len, buf->base, (size_t)n);
  c->out_len += (size_t)n;
  c->out_buf[c->out_len] = '\0';
}

static void on_err(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  provider_cmd *c = st->data;
  size_t keep = sizeof c->err_buf - 1, take;
  if (n < 0) {
    uv_read_stop(st);
    c->err_open = 0;
    maybe_finish(c);
    return;
  }
  /* Keep the last bytes: the reason is usually at the end. */
  take = (size_t)n > keep ? keep : (size_t)n;
  if (c->err_len + take > keep) {
    size_t drop = c->err_len + take - keep;
    memmove(c->err_buf, c->err_buf + drop, c->err_len - drop);
    c->err_len -= drop;
  }
  memcpy(c->err_buf + c->err_len, buf->base + (size_t)n - take, take);
  c->err_len += take;
  c->err_buf[c->err_len] = '\0';
}

/* Starts `CMD verb args...`; returns 0, or logs why it could not and
 * returns -1 (the caller retries on a later tick). */
static int cmd_start(dusk_autoscaler *as, verb v, uint32_t up_n, char **ids,
                     size_t nids, int stage) {
  uv_loop_t *loop = dusk__sched_loop(as->s);
  provider_cmd *c = dusk_xcalloc(1, sizeof *c);
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  size_t script_len = strlen(as->s->cfg.autoscale) + 8, nargs = 0;
  char *script = dusk_xmalloc(script_len), count[16];
  char **argv = dusk_xcalloc(nids + 7, sizeof *argv);
  int rc;

  c->as = as;
  c->v = v;
  c->up_n = up_n;
  c->ids = ids;
  c->nids = nids;
  c->stage = stage;
  snprintf(script, script_len, "%s \"$@\"", as->s->cfg.autoscale);
  snprintf(count, sizeof count, "%" PRIu32, up_n);
  argv[nargs++] = "/bin/sh";
  argv[nargs++] = "-c";
  argv[nargs++] = script;
  argv[nargs++] = "sh";
  argv[nargs++] = (char *)verb_names[v];
  if (v == VERB_UP)
    argv[nargs++] = count;
  for (size_t i = 0; i < nids; i++)
    argv[nargs++] = ids[i];
  argv[nargs] = NULL;

  uv_pipe_init(loop, &c->out, 0);
  uv_pipe_init(loop, &c->err, 0);
  uv_timer_init(loop, &c->timer);
  c->proc.data = c->out.data = c->err.data = c->timer.data = c;
  memset(&o, 0, sizeof o);
  memset(stdio, 0, sizeof stdio);
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[1].data.stream = (uv_stream_t *)&c->out;
  stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[2].data.stream = (uv_stream_t *)&c->err;
  o.file = "/bin/sh";
  o.args = argv;
  o.env = as->env;
  o.flags = UV_PROCESS_DETACHED; /* setsid: a group the deadline can kill */
  o.stdio_count = 3;
  o.stdio = stdio;
  o.exit_cb = on_cmd_exit;
  rc = uv_spawn(loop, &c->proc, &o);
  free(argv);
  free(script);
  if (rc != 0) {
    dusk_log(DUSK_LOG_ERROR, "autoscale: cannot run the provider for `%s`: "
             "%s", verb_names[v], uv_strerror(rc));
    c->exited = 1;
    c->exit_status = 127;
    as->cmd = c;
    cmd_finish(c);
    return -1;
  }
  c->spawned = 1;
  c->out_open = c->err_open = 1;
  uv_read_start((uv_stream_t *)&c->out, on_alloc, on_out);
  uv_read_start((uv_stream_t *)&c->err, on_alloc, on_err);
  {
    uint64_t limit = (uint64_t)as->s->cfg.autoscale_timeout_ms;
    if (stage != STAGE_RUN && limit > AS_STOP_TIMEOUT_MS)
      limit = AS_STOP_TIMEOUT_MS;
    uv_timer_start(&c->timer, on_deadline, limit, 0);
  }
  as->cmd = c;
  return 0;
}

/* ---- what each command's outcome means ---------------------------------- */

/* Calls fn on each line of c's stdout that holds a valid host id; lines
 * that do not are logged (with their number) and skipped. */
static size_t each_id(provider_cmd *c,
                      void (*fn)(dusk_autoscaler *, const char *, size_t),
                      size_t limit) {
  size_t n = 0, lineno = 0;
  char *p = c->out_buf;
  while (p != NULL && *p != '\0') {
    char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
    size_t len;
    lineno++;
    while (p < end && (*p == ' ' || *p == '\t'))
      p++;
    len = (size_t)(end - p);
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
                       p[len - 1] == '\r'))
      len--;
    if (len > 0 && !dusk_host_id_valid(p, len)) {
      dusk_log(DUSK_LOG_WARN,
               "autoscale: `%s` printed line %zu, which is no host id (1-%d "
               "of A-Z a-z 0-9 . _ : -): ignored",
               verb_names[c->v], lineno, DUSK_HOST_ID_MAX);
    } else if (len > 0 && n < limit) {
      fn(c->as, p, len);
      n++;
    } else if (len > 0) {
      dusk_log(DUSK_LOG_WARN, "autoscale: `%s` printed more than %zu host "
               "ids: the rest are ignored", verb_names[c->v], limit);
      break;
    }
    p = nl ? nl + 1 : NULL;
  }
  return n;
}

static void add_launched(dusk_autoscaler *as, const char *id, size_t len) {
  dusk_adaptive_host *h = dusk_adaptive_find(&as->policy, id, len);
  if (h == NULL) {
    dusk_adaptive_add(&as->policy, id, len, DUSK_HOST_PENDING, now_ms());
    as->launched++;
  }
}

static void mark_listed(dusk_autoscaler *as, const char *id, size_t len) {
  dusk_adaptive_host *h = dusk_adaptive_find(&as->policy, id, len);
  if (h == NULL) {
    h = dusk_adaptive_add(&as->policy, id, len, DUSK_HOST_PENDING, now_ms());
    dusk_log(DUSK_LOG_INFO, "autoscale: host %s (listed by the provider) "
             "adopted", h->id);
  }
  h->missing_lists = 0;
  h->listed = 1;
}

static uint64_t interval_ms(const dusk_autoscaler *as) {
  return (uint64_t)as->s->cfg.autoscale_interval_ms;
}

/* A failed command's next wait: the tick interval, doubled per failure in
 * a row, at most AS_BACKOFF_MAX_MS. */
static uint64_t backoff_next(uint64_t cur, uint64_t interval) {
  uint64_t next = cur ? cur * 2 : interval;
  return next > AS_BACKOFF_MAX_MS ? AS_BACKOFF_MAX_MS : next;
}

static int cmd_failed(provider_cmd *c, char *why, size_t len) {
  if (c->timed_out)
    snprintf(why, len, "timed out after %" PRId64 " ms",
             c->as->s->cfg.autoscale_timeout_ms);
  else if (c->overflow)
    snprintf(why, len, "printed more than %d bytes", AS_OUT_MAX);
  else if (c->term_signal)
    snprintf(why, len, "killed by signal %d", c->term_signal);
  else if (c->exit_status != 0)
    snprintf(why, len, "exit status %" PRId64, c->exit_status);
  else
    return 0;
  return 1;
}

static void cmd_outcome(provider_cmd *c) {
  dusk_autoscaler *as = c->as;
  dusk_adaptive *a = &as->policy;
  uint64_t now = now_ms();
  char why[96];
  int failed = cmd_failed(c, why, sizeof why);
  uint64_t interval = interval_ms(as);

  switch (c->v) {
  case VERB_UP: {
    /* Hosts it printed exist even when it failed afterwards, and so do
     * more than it was asked for: all are kept (the surplus is stopped
     * like any idle host), up to a bound on what one answer may add. */
    size_t n = c->overflow
                   ? 0
                   : each_id(c, add_launched,
                             (size_t)c->up_n + as->policy.p.max_hosts);
    if (failed) {
      as->up_backoff_ms = backoff_next(as->up_backoff_ms, interval);
      as->up_not_before_ms = now + as->up_backoff_ms;
      /* It may have started hosts it did not get to print: ask. */
      as->next_list_ms = 0;
      dusk_log(DUSK_LOG_WARN, "autoscale: `up %" PRIu32 "` failed (%s; %zu "
               "hosts started): %s; next try in %" PRIu64 " ms",
               c->up_n, why, n, err_tail(c), as->up_backoff_ms);
    } else {
      if (n != c->up_n)
        dusk_log(DUSK_LOG_WARN, "autoscale: `up %" PRIu32 "` started %zu "
                 "hosts", c->up_n, n);
      else
        dusk_log(DUSK_LOG_INFO, "autoscale: `up %" PRIu32 "` started %zu "
                 "hosts", c->up_n, n);
    }
    break;
  }
  case VERB_DOWN:
    for (size_t i = 0; i < c->nids; i++) {
      dusk_adaptive_host *h =
          dusk_adaptive_find(a, c->ids[i], strlen(c->ids[i]));
      if (h == NULL || h->state != DUSK_HOST_CLOSING)
        continue;
      if (failed) {
        h->down_sent = 0; /* asked again after the backoff */
      } else {
        dusk_adaptive_remove(a, (size_t)(h - a->hosts));
        as->stopped++;
      }
    }
    if (failed && c->stage == STAGE_STOP_DOWN) {
      char ids[512] = "";
      size_t used = 0;
      for (size_t i = 0; i < c->nids && used + 1 < sizeof ids; i++) {
        int k = snprintf(ids + used, sizeof ids - used, "%s%s", i ? " " : "",
                         c->ids[i]);
        used += k > 0 ? (size_t)k : 0;
      }
      dusk_log(DUSK_LOG_ERROR, "autoscale: the last `down` failed (%s): %s; "
               "these hosts may still run: %s", why, err_tail(c), ids);
    } else if (failed) {
      as->down_backoff_ms = backoff_next(as->down_backoff_ms, interval);
      as->down_not_before_ms = now + as->down_backoff_ms;
      dusk_log(DUSK_LOG_WARN, "autoscale: `down` of %zu hosts failed (%s): "
               "%s; next try in %" PRIu64 " ms", c->nids, why, err_tail(c),
               as->down_backoff_ms);
    } else {
      as->down_backoff_ms = 0;
      dusk_log(DUSK_LOG_INFO, "autoscale: `down` stopped %zu hosts",
               c->nids);
    }
    break;
  case VERB_LIST:
    as->next_list_ms = now + (uint64_t)as->s->cfg.autoscale_list_ms;
    if (failed) {
      dusk_log(DUSK_LOG_WARN, "autoscale: `list` failed (%s): %s", why,
               err_tail(c));
      break;
    }
    each_id(c, mark_listed, SIZE_MAX);
    for (size_t i = a->nhosts; i-- > 0;) {
      dusk_adaptive_host *h = &a->hosts[i];
      if (h->listed) {
        h->listed = 0;
        continue;
      }
      /* Not listed: a stopped host is gone for good; another is forgotten
       * once it is missing from consecutive lists (a provider may list a
       * host it just started a little late) - but never while workers of
       * it are registered: it plainly exists, and forgotten it would never
       * be stopped. */
      if (h->state == DUSK_HOST_CLOSING ||
          (++h->missing_lists >= AS_MISSING_LISTS && h->nworkers == 0)) {
        dusk_log(DUSK_LOG_WARN, "autoscale: host %s is no longer listed by "
                 "the provider: forgotten", h->id);
        dusk_adaptive_remove(a, i);
      }
    }
    break;
  }
}

/* ---- ticks --------------------------------------------------------------- */

/* Sets each host's registered workers, and what the load is. */
static void observe(dusk_autoscaler *as, dusk_adaptive_load *l) {
  dusk_scheduler *s = as->s;
  dusk_adaptive *a = &as->policy;
  uint64_t processing = 0, ema_sum = 0, ema_n = 0;
  memset(l, 0, sizeof *l);
  for (size_t i = 0; i < a->nhosts; i++) {
    a->hosts[i].nworkers = a->hosts[i].nbusy = 0;
    a->hosts[i].nkeys = 0;
  }
  for (size_t i = 0; i < s->workers.cap; i++) {
    sched_worker *w = s->workers.slots[i].value;
    dusk_adaptive_host *h;
    if (w == NULL || !w->registered)
      continue;
    processing += w->nprocessing;
    if (w->ema_run_us > 0) {
      ema_sum += (uint64_t)w->ema_run_us;
      ema_n++;
    }
    if (w->leaving)
      continue;
    h = w->host_id[0]
            ? dusk_adaptive_find(a, w->host_id, strlen(w->host_id))
            : NULL;
    if (h == NULL) {
      l->unmanaged_workers++;
    } else if (h->state != DUSK_HOST_CLOSING) {
      h->nworkers++;
      h->nbusy += w->nprocessing > 0;
      /* The heartbeat's count lags a task just finished; the memory list
       * does not. */
      h->nkeys += w->nkeys ? w->nkeys : (w->memory != NULL);
    }
  }
  l->ntasks = s->ready.len + processing;
  l->mean_task_us = ema_n ? ema_sum / ema_n : 0;
}

/* Starts a `down` of every CLOSING host not yet asked; 1 if it did. */
static int send_downs(dusk_autoscaler *as) {
  dusk_adaptive *a = &as->policy;
  char **ids = NULL;
  size_t n = 0;
  for (size_t i = 0; i < a->nhosts; i++)
    if (a->hosts[i].state == DUSK_HOST_CLOSING && !a->hosts[i].down_sent) {
      ids = dusk_xrealloc(ids, (n + 1) * sizeof *ids);
      ids[n++] = dusk_xstrdup(a->hosts[i].id);
      a->hosts[i].down_sent = 1;
    }
  if (n == 0)
    return 0;
  dusk_log(DUSK_LOG_INFO, "autoscale: stopping %zu hosts (first %s)", n,
           ids[0]);
  cmd_start(as, VERB_DOWN, 0, ids, n, STAGE_RUN);
  return 1;
}

static void as_tick(uv_timer_t *t) {
  dusk_autoscaler *as = t->data;
  dusk_adaptive_load l;
  dusk_adaptive_decision d;
  uint64_t now = now_ms();
  if (as->stopping)
    return;
  observe(as, &l);
  if (as->cmd != NULL) {
    as->target = dusk_adaptive_target(&as->policy, &l, &as->work_ms);
    return;
  }
  if (now >= as->next_list_ms) {
    cmd_start(as, VERB_LIST, 0, NULL, 0, STAGE_RUN);
    return;
  }
  if (now >= as->down_not_before_ms && send_downs(as))
    return;
  dusk_adaptive_tick(&as->policy, &l, now, &d);
  as->target = d.target;
  as->work_ms = d.work_ms;
  /* Launches back off while hosts fail to arrive (a bad image, a wrong
   * address): each boot timeout doubles the wait, an arrival ends it. */
  if (d.arrived > 0)
    as->up_backoff_ms = 0;
  if (d.timed_out > 0) {
    as->up_backoff_ms = backoff_next(as->up_backoff_ms, interval_ms(as));
    as->up_not_before_ms = now + as->up_backoff_ms;
  }
  if (d.ndown > 0) {
    for (size_t i = 0; i < d.ndown; i++)
      dusk_log(DUSK_LOG_INFO, "autoscale: target %" PRIu32 " hosts (%" PRIu64
               " tasks, %" PRIu64 " ms of work): host %s %s", d.target,
               l.ntasks, d.work_ms, as->policy.hosts[d.down[i]].id,
               i < d.timed_out ? "did not arrive in time: stopping it"
                               : "is idle: stopping it");
    if (now >= as->down_not_before_ms)
      send_downs(as);
  } else if (d.up > 0 && now >= as->up_not_before_ms) {
    dusk_log(DUSK_LOG_INFO, "autoscale: target %" PRIu32 " hosts (%" PRIu64
             " tasks, %" PRIu64 " ms of work), %" PRIu32 " running, %" PRIu32
             " pending: starting %" PRIu32, d.target, l.ntasks, d.work_ms,
             dusk_adaptive_count(&as->policy, DUSK_HOST_RUNNING),
             dusk_adaptive_count(&as->policy, DUSK_HOST_PENDING), d.up);
    if (cmd_start(as, VERB_UP, d.up, NULL, 0, STAGE_RUN) == 0)
      dusk_adaptive_note_launch(&as->policy, now);
  }
  dusk_adaptive_decision_free(&d);
}

/* ---- the scheduler's side ------------------------------------------------ */

int dusk__autoscale_check(const dusk_scheduler_config *cfg, dusk_error *err) {
  if (cfg->autoscale == NULL) {
    if (cfg->min_workers > 0 || cfg->max_workers >= 0)
      return dusk_error_set(err, DUSK_ECONFIG,
                            "--min-workers and --max-workers need "
                            "--autoscale CMD");
    return 0;
  }
  if (cfg->autoscale[strspn(cfg->autoscale, " \t")] == '\0')
    return dusk_error_set(err, DUSK_ECONFIG, "--autoscale: empty command");
  if (cfg->max_workers < 0)
    return dusk_error_set(err, DUSK_ECONFIG,
                          "--autoscale needs --max-workers: the most hosts "
                          "it may start (and pay for)");
  if (cfg->min_workers > cfg->max_workers)
    return dusk_error_set(err, DUSK_ECONFIG,
                          "--min-workers %" PRId64 " is above --max-workers "
                          "%" PRId64, cfg->min_workers, cfg->max_workers);
  if (cfg->max_workers == 0)
    return dusk_error_set(err, DUSK_ECONFIG,
                          "--max-workers 0 leaves nothing to run the work");
  return 0;
}

void dusk__autoscale_start(dusk_scheduler *s) {
  const dusk_scheduler_config *cfg = &s->cfg;
  dusk_autoscaler *as;
  dusk_adaptive_params p;
  if (cfg->autoscale == NULL)
    return;
  as = dusk_xcalloc(1, sizeof *as);
  as->s = s;
  memset(&p, 0, sizeof p);
  p.min_hosts = (uint32_t)cfg->min_workers;
  p.max_hosts = (uint32_t)cfg->max_workers;
  p.target_duration_ms = (uint64_t)cfg->autoscale_target_ms;
  p.unknown_task_ms = 500; /* Dask's distributed.scheduler.default-task-
                              durations default */
  p.wait_count = (uint32_t)cfg->autoscale_wait_count;
  p.cooldown_ms = (uint64_t)cfg->autoscale_cooldown_ms;
  p.boot_timeout_ms = (uint64_t)cfg->autoscale_boot_timeout_ms;
  dusk_adaptive_init(&as->policy, &p);
  if (cfg->autoscale_contact != NULL) {
    snprintf(as->address, sizeof as->address, "%s", cfg->autoscale_contact);
  } else {
    char host[128] = "";
    if (strcmp(cfg->host, "0.0.0.0") == 0 || strcmp(cfg->host, "::") == 0) {
      gethostname(host, sizeof host - 1);
    } else {
      snprintf(host, sizeof host, "%s", cfg->host);
    }
    snprintf(as->address, sizeof as->address,
             strchr(host, ':') ? "tcp://[%s]:%d" : "tcp://%s:%d", host,
             s->port);
  }
  build_env(as);
  uv_timer_init(s->loop, &as->tick);
  as->tick.data = as;
  uv_timer_start(&as->tick, as_tick, 0,
                 (uint64_t)cfg->autoscale_interval_ms);
  s->autoscaler = as;
  dusk_log(DUSK_LOG_INFO, "autoscale: %" PRId64 "..%" PRId64 " hosts by "
           "`%s`, workers dial %s", cfg->min_workers, cfg->max_workers,
           cfg->autoscale, as->address);
}

/* The stopping sequence: after a running command (killed) ends, `list`
 * (adopting hosts this scheduler did not know, as one an `up` started but
 * could not name); after it, `down` of every host known, whatever its
 * state; after that, the end.  A step that cannot start moves on. */
static void stop_next(dusk_autoscaler *as, int after) {
  dusk_adaptive *a = &as->policy;
  if (after == STAGE_RUN) {
    if (cmd_start(as, VERB_LIST, 0, NULL, 0, STAGE_STOP_LIST) == 0)
      return;
    after = STAGE_STOP_LIST;
  }
  if (after == STAGE_STOP_LIST && a->nhosts > 0) {
    char **ids = dusk_xcalloc(a->nhosts, sizeof *ids);
    for (size_t i = 0; i < a->nhosts; i++) {
      ids[i] = dusk_xstrdup(a->hosts[i].id);
      a->hosts[i].state = DUSK_HOST_CLOSING;
      a->hosts[i].down_sent = 1;
    }
    dusk_log(DUSK_LOG_INFO, "autoscale: scheduler stopping: stopping its "
             "%zu hosts", a->nhosts);
    if (cmd_start(as, VERB_DOWN, 0, ids, a->nhosts, STAGE_STOP_DOWN) == 0)
      return;
  }
  as->final_done = 1;
  if (!uv_is_closing((uv_handle_t *)&as->tick))
    uv_close((uv_handle_t *)&as->tick, NULL);
}

void dusk__autoscale_stop(dusk_scheduler *s) {
  dusk_autoscaler *as = s->autoscaler;
  if (as == NULL || as->stopping)
    return;
  as->stopping = 1;
  uv_timer_stop(&as->tick);
  if (as->cmd == NULL) {
    stop_next(as, STAGE_RUN);
  } else if (as->cmd->spawned && !as->cmd->exited) {
    /* Not waited for (an `up` may take minutes; systemd gives 90 s): the
     * `list` after it finds what it started. */
    dusk_log(DUSK_LOG_INFO, "autoscale: scheduler stopping: `%s` killed",
             verb_names[as->cmd->v]);
    uv_kill(-as->cmd->proc.pid, SIGKILL);
  }
}

void dusk__autoscale_stats(dusk_scheduler *s, dusk_sched_stats *st) {
  dusk_autoscaler *as = s->autoscaler;
  if (as == NULL)
    return;
  st->as_enabled = 1;
  st->as_target = as->target;
  st->as_pending = dusk_adaptive_count(&as->policy, DUSK_HOST_PENDING);
  st->as_running = dusk_adaptive_count(&as->policy, DUSK_HOST_RUNNING);
  st->as_closing = dusk_adaptive_count(&as->policy, DUSK_HOST_CLOSING);
  st->as_launched = as->launched;
  st->as_stopped = as->stopped;
  st->as_work_ms = as->work_ms;
}

void dusk__autoscale_free(dusk_scheduler *s) {
  dusk_autoscaler *as = s->autoscaler;
  if (as == NULL)
    return;
  dusk_adaptive_destroy(&as->policy);
  for (size_t i = 0; as->env[i] != NULL; i++)
    free(as->env[i]);
  free(as->env);
  free(as);
  s->autoscaler = NULL;
}
