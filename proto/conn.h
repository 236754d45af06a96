/* conn.h - every dusk TCP connection, one lifecycle in one place.
 *
 * A dusk_net holds what a process's connections share on one libuv loop: the
 * token, the limits, the message decoder and the output flusher.  A dusk_conn
 * is one socket: handshake, bounded framed input, decoded messages to the
 * owner's handler, coalesced output, idempotent close.
 *
 * Lifecycle: a conn is created by dusk_net_listen's accept or dusk_net_connect;
 * the handler's on_ready runs once the handshake succeeded; on_msg runs per
 * message; on_close runs exactly once, from libuv's close callback, after
 * which the struct is freed.  dusk_conn_close may be called any number of
 * times.  Messages sent before on_ready are held and sent after it.
 *
 * Output written during one loop iteration is flushed in one write just before
 * the loop blocks again (a uv_prepare handle).  Output beyond max_outbuf
 * closes the connection: a peer that does not read is cut off.
 *
 * TLS (dusk_net_use_tls) wraps the socket below all of this: the TLS
 * handshake runs first, then the token handshake inside it.  OpenSSL works on
 * memory BIOs here; libuv still does every read and write.
 *
 * This module uses libuv although proto/ is otherwise libc + msgpack-c: the
 * scheduler, worker and client all need the same connection lifecycle and
 * must not include each other.  Loop thread only. */
#ifndef DUSK_CONN_H
#define DUSK_CONN_H

#include "buf.h"
#include "errors.h"
#include "msg.h"
#include "tls.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct dusk_net dusk_net;
typedef struct dusk_conn dusk_conn;

typedef struct dusk_conn_handler {
  void (*on_ready)(dusk_conn *c);
  void (*on_msg)(dusk_conn *c, const dusk_msg *m);
  /* code 0 for an orderly close, else why (DUSK_ENOMEM when the conn ran
   * out of memory); reason is a sentence. */
  void (*on_close)(dusk_conn *c, int code, const char *reason);
  /* Optional: every byte queued so far has been written (the owner may
   * queue more - a sender that paces itself by it holds little output). */
  void (*on_drain)(dusk_conn *c);
} dusk_conn_handler;

/* Role bits for dusk_net_listen's allowed_roles. */
#define DUSK_ROLE_BIT(role) (1u << (role))

struct dusk_net {
  uv_loop_t *loop;
  uv_prepare_t flusher;
  dusk_conn *dirty; /* conns with output to flush, doubly linked */
  dusk_conn *all;   /* every open conn of this net, doubly linked */
  char *token;      /* NULL: no token; listeners accept loopback peers only */
  size_t token_len;
  uint8_t role;              /* ours, announced in handshakes */
  uint32_t max_frame;        /* body limit once authenticated */
  uint32_t max_unauth_frame; /* body limit during the handshake */
  size_t max_outbuf;         /* bytes queued per conn before it is cut */
  dusk_msg_decoder dec;
  uint64_t nprotocol_errors; /* counted once per connection */
  uint64_t nauth_failures;   /* bad tokens, TLS refusals, handshake timeouts */
  struct ssl_ctx_st *tls;    /* NULL: plain TCP */
};

enum { DUSK_CONN_AWAIT_HELLO, DUSK_CONN_AWAIT_AUTH, DUSK_CONN_AWAIT_AUTH_OK,
       DUSK_CONN_READY, DUSK_CONN_CLOSING };

struct dusk_conn {
  uv_tcp_t tcp; /* first member: the handle's address is the conn's */
  dusk_net *net;
  const dusk_conn_handler *h;
  void *data;     /* the owner's (an accepted conn: its listener's) */
  void *session;  /* the owner's per-conn state, NULL until it sets one;
                     its on_close frees it */
  char peer[64];  /* "ip:port" of the other end */
  int state;      /* DUSK_CONN_* */
  int outgoing;
  uint8_t peer_role;      /* for accepted conns: the role it proved */
  unsigned allowed_roles; /* for accepted conns */
  uint8_t nonce[DUSK_NONCE_LEN];
  dusk_buf in;    /* bytes received, not yet decoded */
  dusk_buf out;   /* frames queued during this iteration */
  dusk_buf early; /* frames the owner sent before the handshake finished */
  dusk_buf wbuf;  /* frames being written */
  struct ssl_st *ssl;    /* TLS only: the session, over two memory BIOs */
  struct bio_st *rbio;   /* TLS only: ciphertext received, for OpenSSL */
  struct bio_st *wbio;   /* TLS only: ciphertext OpenSSL produced */
  dusk_buf raw;          /* TLS only: the socket read buffer */
  dusk_buf cipher;       /* TLS only: ciphertext queued for the next write */
  uv_write_t wreq;
  uv_connect_t creq;
  int writing;
  int close_after_write;
  int close_code;
  char close_reason[256];
  dusk_conn *dirty_prev, *dirty_next;
  int dirty;
  dusk_conn *all_prev, *all_next;
  uint64_t created_ns;
};
/* libuv hands back the uv_tcp_t (callbacks, uv_walk), which is cast to the
 * conn: see STYLE.md rule 8. */
_Static_assert(offsetof(dusk_conn, tcp) == 0,
               "tcp must be the first member of dusk_conn");

/* Prepares n on loop.  token may be NULL; it is copied.  Defaults: frames of
 * 64 MiB, 4 KiB during the handshake, 256 MiB of queued output. */
int dusk_net_init(dusk_net *n, uv_loop_t *loop, uint8_t role,
                  const char *token);
/* Turns TLS on for every connection n makes or accepts from now on when
 * files names all three files (see tls.h); none (or files NULL) leaves n
 * plain.  0, or DUSK_ECONFIG naming the missing flag or the bad file. */
int dusk_net_use_tls(dusk_net *n, const dusk_tls_files *files,
                     dusk_error *err);

/* Closes the flusher; run the loop afterwards to finish closing. */
void dusk_net_close(dusk_net *n);

/* Binds host:port (port 0 = ephemeral) and accepts connections whose
 * handshake role is in allowed_roles (DUSK_ROLE_BIT(...) | ...).  The
 * server handle is caller storage; *bound_port receives the port. */
int dusk_net_listen(dusk_net *n, uv_tcp_t *server, const char *host, int port,
                    unsigned allowed_roles, const dusk_conn_handler *h,
                    void *data, int *bound_port, dusk_error *err);

/* dusk_net_listen on the first port of [port_lo, port_hi] that no other
 * socket listens on (a nanny's workers each take the next free one, so a
 * firewall can open a narrow range).  port_lo == port_hi is
 * dusk_net_listen's; a range must start at 1 or more.  *bound_port
 * receives the port; when every port is taken, UV_EADDRINUSE with err
 * naming the range. */
int dusk_net_listen_range(dusk_net *n, uv_tcp_t *server, const char *host,
                          int port_lo, int port_hi, unsigned allowed_roles,
                          const dusk_conn_handler *h, void *data,
                          int *bound_port, dusk_error *err);

/* Stops listening and frees what dusk_net_listen allocated (after the loop
 * runs the close callback). */
void dusk_net_unlisten(uv_tcp_t *server);

/* Starts connecting to addr; *out is valid until on_close. */
int dusk_net_connect(dusk_net *n, const struct sockaddr *addr,
                     const dusk_conn_handler *h, void *data, dusk_conn **out);

/* Queues m.  0, DUSK_ECLOSED when the conn is closing, or DUSK_ENOMEM. */
int dusk_conn_send(dusk_conn *c, const dusk_msg *m);

/* Closes now; code/reason reach on_close.  Idempotent. */
void dusk_conn_close(dusk_conn *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Starts writing what is queued now, without waiting for the flusher (which
 * stops with dusk_net_close): for a last message while shutting down. */
void dusk_conn_flush(dusk_conn *c);

/* Protocol error, handled once: sends an ERROR frame with the reason, stops
 * reading, closes once it is written, and counts it. */
void dusk_conn_fail(dusk_conn *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Closes this net's connections whose handshake has not finished within
 * deadline_ms of their start, logging nothing (their on_close says why).
 * Daemons call it from their periodic chore.  Returns how many it closed. */
size_t dusk_net_sweep(dusk_net *n, uint64_t deadline_ms);

/* Output bytes queued and not yet written. */
size_t dusk_conn_pending_output(const dusk_conn *c);

/* Splits "tcp://host:port", "host:port" or "[v6]:port".  0 or DUSK_EINVAL
 * with err naming the address. */
int dusk_address_parse(const char *addr, char *host, size_t hostlen,
                       int *port, dusk_error *err);

/* Resolves host (name or literal) and port (blocking getaddrinfo: call it
 * only at start-up or from a client). */
int dusk_address_resolve(const char *host, int port,
                         struct sockaddr_storage *out, dusk_error *err);

/* True for 127.0.0.0/8, ::1 and v4-mapped loopback. */
int dusk_sockaddr_is_loopback(const struct sockaddr *sa);
/* Whether host (name or literal) resolves to loopback: 1 or 0, or a
 * negative code with err set when it does not resolve (blocking, as
 * dusk_address_resolve). */
int dusk_host_is_loopback(const char *host, dusk_error *err);

#endif
