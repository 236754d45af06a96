/* main.c - dusk-scheduler: parse the configuration, run the loop. */
#include "log.h"
#include "scheduler.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static dusk_scheduler *sched;

static const char usage[] =
    "usage: dusk-scheduler [options]\n"
    "\n"
    "Runs the dusk scheduler: clients submit task graphs and dataframe\n"
    "queries to it, workers (dusk-worker tcp://HOST:PORT) register with it\n"
    "and run the tasks it hands out.  Off loopback it needs --token-file.\n"
    "It serves /status (JSON), /metrics (Prometheus) and /health over HTTP\n"
    "on --dashboard-port (see docs/dashboard.md).\n";

static void on_signal(uv_signal_t *h, int signum) {
  dusk_log(DUSK_LOG_INFO, "signal %d: stopping", signum);
  dusk_scheduler_stop(sched);
  uv_close((uv_handle_t *)h, NULL);
}

int main(int argc, char **argv) {
  dusk_scheduler_config cfg;
  dusk_error err = {0};
  uv_signal_t sigterm, sigint;
  char text[2048];
  int npos, level, rc;

  rc = dusk_config_parse(dusk_scheduler_config_table,
                         dusk_scheduler_config_count, &cfg, argc, argv, NULL,
                         0, &npos, &err);
  if (rc == DUSK_CONFIG_HELP) {
    dusk_config_usage(stdout, usage, dusk_scheduler_config_table,
                      dusk_scheduler_config_count);
    return 0;
  }
  if (rc == DUSK_CONFIG_VERSION) {
    dusk_config_version(stdout, "dusk-scheduler");
    return 0;
  }
  if (rc != 0) {
    fprintf(stderr, "dusk-scheduler: %s\n", err.message);
    return 2;
  }
  if ((level = dusk_log_level_parse(cfg.log_level)) < 0) {
    fprintf(stderr, "dusk-scheduler: --log-level: '%s' is not one of debug, "
                    "info, warn, error\n", cfg.log_level);
    return 2;
  }
  dusk_log_init('S', level);
  signal(SIGPIPE, SIG_IGN);
  dusk_config_format(dusk_scheduler_config_table, dusk_scheduler_config_count,
                     &cfg, text, sizeof text);
  dusk_log(DUSK_LOG_INFO, "config: %s", text);
  if ((rc = dusk_scheduler_new(uv_default_loop(), &cfg, &sched, &err)) != 0) {
    fprintf(stderr, "dusk-scheduler: %s\n", err.message);
    return rc == DUSK_ECONFIG ? 2 : 1; /* flags that do not go together */
  }
  dusk_log(DUSK_LOG_INFO, "listening on %s:%d", cfg.host,
           dusk_scheduler_port(sched));
  /* The handlers come before the announcement: whoever reads READY may
   * send SIGTERM at once and must get an orderly stop, not the default
   * death. */
  uv_signal_init(uv_default_loop(), &sigterm);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  uv_signal_init(uv_default_loop(), &sigint);
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_unref((uv_handle_t *)&sigint);
  if (cfg.ready_fd >= 0) {
    /* "READY <port>", then "DASHBOARD <port>" when there is one, in one
     * write: readers of the first line alone (dusk-ssh, the tests) are
     * unaffected, LocalCluster reads both. */
    int dport = dusk_scheduler_dashboard_port(sched);
    int n = dport >= 0 ? snprintf(text, sizeof text, "READY %d\nDASHBOARD %d\n",
                                  dusk_scheduler_port(sched), dport)
                       : snprintf(text, sizeof text, "READY %d\n",
                                  dusk_scheduler_port(sched));
    if (write((int)cfg.ready_fd, text, (size_t)n) != n)
      dusk_log(DUSK_LOG_WARN, "could not announce readiness on fd %d",
               (int)cfg.ready_fd);
    close((int)cfg.ready_fd);
  }
  uv_run(uv_default_loop(), UV_RUN_DEFAULT);
  if (!uv_is_closing((uv_handle_t *)&sigint))
    uv_close((uv_handle_t *)&sigint, NULL);
  if (!uv_is_closing((uv_handle_t *)&sigterm))
    uv_close((uv_handle_t *)&sigterm, NULL);
  uv_run(uv_default_loop(), UV_RUN_DEFAULT);
  dusk_scheduler_free(sched);
  uv_loop_close(uv_default_loop());
  return 0;
}
