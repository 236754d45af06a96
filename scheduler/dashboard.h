/* dashboard.h - the scheduler's HTTP endpoint: libmicrohttpd on a thread of
 * its own, serving the latest snapshot the scheduler's loop published.
 *
 * The HTTP thread never touches scheduler state: the loop builds the
 * /status JSON and the /metrics text (status.c) and hands them over with
 * dusk_dash_publish, which only swaps two pointers under a mutex.  A
 * request copies the current text under the same mutex, so the loop waits
 * at most for one memcpy of a snapshot, never for a client.
 *
 * Endpoints: GET /health (no auth), GET /status, GET /metrics, POST /login.
 * With a token, every endpoint but /health wants "Authorization: Bearer
 * <token>" or the session cookie POST /login (form field "token") sets;
 * 401 otherwise.  Unknown paths are 404, other methods 405.  Not a public
 * header: only scheduler/ includes it. */
#ifndef DUSK_SCHED_DASHBOARD_H
#define DUSK_SCHED_DASHBOARD_H

#include "errors.h"

#include <stddef.h>

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
/* Closes every connection, joins the HTTP thread and frees d. */
void dusk_dash_stop(dusk_dash *d);

#endif
