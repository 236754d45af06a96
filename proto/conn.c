/* conn.c - the shared connection lifecycle (see conn.h). */
#include "conn.h"

#include "auth.h"
#include "wire.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The handshake's MAC field carries what dusk_auth_mac writes: 32 bytes of
 * HMAC-SHA256. */
_Static_assert(DUSK_MAC_LEN == 32, "DUSK_MAC_LEN must match dusk_auth_mac");

#define READ_CHUNK (64 * 1024)

typedef struct dusk_listener {
  uv_tcp_t *server;
  dusk_net *net;
  const dusk_conn_handler *h;
  void *data;
  unsigned allowed_roles;
} dusk_listener;

static void flush_dirty(uv_prepare_t *p);

int dusk_net_init(dusk_net *n, uv_loop_t *loop, uint8_t role,
                  const char *token) {
  int rc;
  memset(n, 0, sizeof *n);
  n->loop = loop;
  n->role = role;
  n->max_frame = DUSK_WIRE_DEFAULT_MAX_BODY;
  n->max_unauth_frame = 4096;
  n->max_outbuf = (size_t)256 << 20;
  if (token != NULL && token[0] != '\0') {
    n->token = strdup(token);
    if (n->token == NULL)
      return DUSK_ENOMEM;
    n->token_len = strlen(token);
  }
  if ((rc = dusk_msg_decoder_init(&n->dec)) != 0) {
    free(n->token);
    return rc;
  }
  uv_prepare_init(loop, &n->flusher);
  n->flusher.data = n;
  uv_prepare_start(&n->flusher, flush_dirty);
  /* The flusher alone must not keep the loop alive. */
  uv_unref((uv_handle_t *)&n->flusher);
  return 0;
}

int dusk_net_use_tls(dusk_net *n, const dusk_tls_files *files,
                     dusk_error *err) {
  SSL_CTX *ctx;
  int rc = files != NULL ? dusk_tls_files_check(files, err) : 0;
  if (rc <= 0)
    return rc; /* an error, or plain TCP */
  if ((rc = dusk_tls_context_new(files, &ctx, err)) != 0)
    return rc;
  dusk_tls_context_free(n->tls);
  n->tls = ctx;
  return 0;
}

void dusk_net_close(dusk_net *n) {
  if (!uv_is_closing((uv_handle_t *)&n->flusher))
    uv_close((uv_handle_t *)&n->flusher, NULL);
  dusk_msg_decoder_destroy(&n->dec);
  free(n->token);
  n->token = NULL;
  /* Connections hold references of their own: freeing is safe while they
   * finish closing. */
  dusk_tls_context_free(n->tls);
  n->tls = NULL;
}

/* ---- output -------------------------------------------------------------- */

static void dirty_add(dusk_conn *c) {
  dusk_net *n = c->net;
  if (c->dirty)
    return;
  c->dirty = 1;
  c->dirty_prev = NULL;
  c->dirty_next = n->dirty;
  if (n->dirty != NULL)
    n->dirty->dirty_prev = c;
  n->dirty = c;
}

static void dirty_remove(dusk_conn *c) {
  if (!c->dirty)
    return;
  if (c->dirty_prev != NULL)
    c->dirty_prev->dirty_next = c->dirty_next;
  else
    c->net->dirty = c->dirty_next;
  if (c->dirty_next != NULL)
    c->dirty_next->dirty_prev = c->dirty_prev;
  c->dirty = 0;
  c->dirty_prev = c->dirty_next = NULL;
}

static void start_write(dusk_conn *c);

/* TLS: once the handshake is done, encrypts the queued frames; then moves
 * whatever ciphertext OpenSSL produced (handshake records, alerts, data)
 * into c->cipher.  0, or the conn is closed. */
static int tls_encrypt(dusk_conn *c) {
  size_t pending;
  if (SSL_is_init_finished(c->ssl) && c->out.len > 0) {
    /* Memory BIOs never block, so a write takes everything at once. */
    ERR_clear_error();
    if (c->out.len > INT32_MAX ||
        SSL_write(c->ssl, c->out.data, (int)c->out.len) != (int)c->out.len) {
      char why[256];
      dusk_tls_last_error(why, sizeof why);
      dusk_conn_close(c, DUSK_EPROTO, "TLS write to %s failed: %s", c->peer,
                      why);
      return -1;
    }
    c->out.len = 0;
  }
  while ((pending = BIO_ctrl_pending(c->wbio)) > 0) {
    int got;
    if (dusk_buf_reserve(&c->cipher, pending) != 0) {
      dusk_conn_close(c, DUSK_ENOMEM, "out of memory");
      return -1;
    }
    got = BIO_read(c->wbio, c->cipher.data + c->cipher.len, (int)pending);
    if (got <= 0)
      break;
    c->cipher.len += (size_t)got;
  }
  return 0;
}

/* True while anything is still to be written (plain frames, or for TLS,
 * frames the handshake lets through and ciphertext). */
static int has_output(const dusk_conn *c) {
  if (c->ssl == NULL)
    return c->out.len > 0;
  return c->cipher.len > 0 || BIO_ctrl_pending(c->wbio) > 0 ||
         (c->out.len > 0 && SSL_is_init_finished(c->ssl));
}

static void on_write(uv_write_t *req, int status) {
  dusk_conn *c = req->data;
  c->writing = 0;
  c->wbuf.len = 0;
  if (c->state == DUSK_CONN_CLOSING)
    return;
  if (status < 0) {
    dusk_conn_close(c, status, "write to %s failed: %s", c->peer,
                    uv_strerror(status));
    return;
  }
  if (has_output(c)) {
    start_write(c);
  } else if (c->close_after_write) {
    char reason[sizeof c->close_reason];
    memcpy(reason, c->close_reason, sizeof reason);
    dusk_conn_close(c, c->close_code, "%s", reason);
  } else if (c->h != NULL && c->h->on_drain != NULL) {
    c->h->on_drain(c);
  }
}

static void start_write(dusk_conn *c) {
  dusk_buf t, *src = &c->out;
  uv_buf_t b;
  int rc;
  if (c->writing || c->state == DUSK_CONN_CLOSING)
    return;
  if (c->ssl != NULL) {
    if (tls_encrypt(c) != 0)
      return;
    src = &c->cipher;
  }
  if (src->len == 0) {
    /* A failed TLS handshake may have nothing (left) to say. */
    if (c->close_after_write) {
      char reason[sizeof c->close_reason];
      memcpy(reason, c->close_reason, sizeof reason);
      dusk_conn_close(c, c->close_code, "%s", reason);
    }
    return;
  }
  t = c->wbuf;
  c->wbuf = *src;
  *src = t;
  src->len = 0;
  b = uv_buf_init(c->wbuf.data, (unsigned)c->wbuf.len);
  c->wreq.data = c;
  rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
  if (rc != 0) {
    dusk_conn_close(c, rc, "write to %s failed: %s", c->peer, uv_strerror(rc));
    return;
  }
  c->writing = 1;
}

static void flush_dirty(uv_prepare_t *p) {
  dusk_net *n = p->data;
  while (n->dirty != NULL) {
    dusk_conn *c = n->dirty;
    dirty_remove(c);
    start_write(c);
  }
}

static int queue_frame(dusk_conn *c, dusk_buf *dst, const dusk_msg *m) {
  int rc = dusk_msg_encode(m, dst);
  if (rc != 0)
    return rc;
  if (c->out.len + c->wbuf.len + c->early.len + c->cipher.len >
      c->net->max_outbuf) {
    dusk_conn_close(c, DUSK_ETOOBIG,
                    "%s does not read: over %zu bytes of output queued",
                    c->peer, c->net->max_outbuf);
    return DUSK_ECLOSED;
  }
  return 0;
}

int dusk_conn_send(dusk_conn *c, const dusk_msg *m) {
  int rc;
  if (c->state == DUSK_CONN_CLOSING || c->close_after_write)
    return DUSK_ECLOSED;
  if (c->state != DUSK_CONN_READY)
    return queue_frame(c, &c->early, m);
  if ((rc = queue_frame(c, &c->out, m)) == 0)
    dirty_add(c);
  return rc;
}

/* Handshake frames bypass the "early" hold.  Nobody retries them: one
 * that cannot be queued closes the conn (0, or the conn is closing). */
static int send_now(dusk_conn *c, const dusk_msg *m) {
  int rc = queue_frame(c, &c->out, m);
  if (rc == 0)
    dirty_add(c);
  else
    dusk_conn_close(c, rc, "cannot send %s to %s: %s",
                    dusk_msg_type_name(m->type), c->peer, dusk_strerror(rc));
  return rc;
}

size_t dusk_net_sweep(dusk_net *n, uint64_t deadline_ms) {
  uint64_t now = dusk_now_ns(), limit = deadline_ms * 1000000u;
  size_t closed = 0;
  dusk_conn *c, *next;
  for (c = n->all; c != NULL; c = next) {
    next = c->all_next; /* closing unlinks only in the close callback */
    if (c->state == DUSK_CONN_READY || c->state == DUSK_CONN_CLOSING ||
        c->close_after_write || now - c->created_ns <= limit)
      continue;
    n->nauth_failures++;
    dusk_conn_close(c, DUSK_ETIMEDOUT,
                    "%s did not finish the handshake within %llu ms",
                    c->peer, (unsigned long long)deadline_ms);
    closed++;
  }
  return closed;
}

size_t dusk_conn_pending_output(const dusk_conn *c) {
  return c->out.len + c->wbuf.len + c->early.len + c->cipher.len;
}

/* ---- close --------------------------------------------------------------- */

static void on_closed(uv_handle_t *h) {
  dusk_conn *c = (dusk_conn *)h;
  if (c->all_prev != NULL)
    c->all_prev->all_next = c->all_next;
  else
    c->net->all = c->all_next;
  if (c->all_next != NULL)
    c->all_next->all_prev = c->all_prev;
  if (c->h != NULL && c->h->on_close != NULL)
    c->h->on_close(c, c->close_code, c->close_reason);
  dusk_buf_destroy(&c->in);
  dusk_buf_destroy(&c->out);
  dusk_buf_destroy(&c->early);
  dusk_buf_destroy(&c->wbuf);
  dusk_buf_destroy(&c->raw);
  dusk_buf_destroy(&c->cipher);
  SSL_free(c->ssl); /* frees both BIOs */
  free(c);
}

static void conn_closev(dusk_conn *c, int code, const char *fmt, va_list ap) {
  if (c->state == DUSK_CONN_CLOSING)
    return;
  c->state = DUSK_CONN_CLOSING;
  c->close_code = code;
  vsnprintf(c->close_reason, sizeof c->close_reason, fmt, ap);
  dirty_remove(c);
  uv_read_stop((uv_stream_t *)&c->tcp);
  uv_close((uv_handle_t *)&c->tcp, on_closed);
}

void dusk_conn_close(dusk_conn *c, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  conn_closev(c, code, fmt, ap);
  va_end(ap);
}

void dusk_conn_flush(dusk_conn *c) {
  dirty_remove(c);
  start_write(c);
}

/* Sends an ERROR frame telling the peer `told`, in a header of protocol
 * `version`, stops reading, and closes once it is written; c->close_reason
 * (set by the caller) is what on_close reports on this side. */
static void fail_with(dusk_conn *c, int code, const char *told,
                      unsigned version) {
  dusk_msg m;
  size_t start = c->out.len;
  c->close_code = code;
  c->net->nprotocol_errors++;
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_ERROR;
  m.u.error.code = code;
  m.u.error.message.ptr = told;
  m.u.error.message.len = strlen(told);
  uv_read_stop((uv_stream_t *)&c->tcp);
  if (send_now(c, &m) != 0)
    return; /* already closed */
  /* ERROR is frozen (msg.h): in the peer's own version's header, a peer of
   * another protocol version reads it too. */
  if (version != DUSK_PROTO_VERSION && version <= 0xff)
    c->out.data[start + DUSK_WIRE_VERSION_OFFSET] = (char)version;
  c->close_after_write = 1;
}

void dusk_conn_fail(dusk_conn *c, int code, const char *fmt, ...) {
  va_list ap;
  if (c->state == DUSK_CONN_CLOSING || c->close_after_write)
    return;
  va_start(ap, fmt);
  vsnprintf(c->close_reason, sizeof c->close_reason, fmt, ap);
  va_end(ap);
  fail_with(c, code, c->close_reason, DUSK_PROTO_VERSION);
}

/* A peer speaking protocol `version` (not ours), in role `role`: refused,
 * each side told both versions from its own point of view. */
static void refuse_version(dusk_conn *c, unsigned version, unsigned role) {
  char told[sizeof c->close_reason];
  const char *ours = dusk_role_name(c->net->role);
  const char *theirs = dusk_role_name(role);
  if (c->state == DUSK_CONN_CLOSING || c->close_after_write)
    return;
  snprintf(c->close_reason, sizeof c->close_reason,
           "%s %s speaks dusk protocol %u, this %s speaks %u: every process "
           "of a cluster needs the same dusk protocol",
           theirs, c->peer, version, ours, DUSK_PROTO_VERSION);
  snprintf(told, sizeof told,
           "%s speaks dusk protocol %u, this %s speaks %u: every process "
           "of a cluster needs the same dusk protocol",
           ours, DUSK_PROTO_VERSION, theirs, version);
  fail_with(c, DUSK_EVERSION, told, version);
}

/* ---- input --------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  dusk_conn *c = (dusk_conn *)h;
  (void)suggested;
  /* The frame decoder refuses oversized headers before their bodies arrive,
   * so the buffer never exceeds one frame plus one read chunk.  TLS reads
   * ciphertext into its own fixed buffer and decrypts into c->in. */
  if (c->ssl != NULL) {
    if (dusk_buf_reserve(&c->raw, READ_CHUNK) != 0) {
      *buf = uv_buf_init(NULL, 0);
      return;
    }
    *buf = uv_buf_init(c->raw.data, READ_CHUNK);
    return;
  }
  if (dusk_buf_reserve(&c->in, READ_CHUNK) != 0) {
    *buf = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
    return;
  }
  *buf = uv_buf_init(c->in.data + c->in.len, READ_CHUNK);
}

/* One handshake message; version is its frame header's.  Only the frozen
 * types (msg.h) get here from a peer of another version. */
static void handshake_msg(dusk_conn *c, const dusk_msg *m, unsigned version) {
  dusk_net *n = c->net;
  dusk_msg reply;
  memset(&reply, 0, sizeof reply);

  if (m->type == DUSK_MSG_ERROR) {
    dusk_conn_close(c, (int)m->u.error.code, "%s refused us: %.*s", c->peer,
                    (int)m->u.error.message.len, m->u.error.message.ptr);
    return;
  }
  switch (c->state) {
  case DUSK_CONN_AWAIT_HELLO: {
    uint8_t mac[DUSK_MAC_LEN];
    if (m->type != DUSK_MSG_HELLO)
      goto unexpected;
    if (version != DUSK_PROTO_VERSION ||
        m->u.hello.version != DUSK_PROTO_VERSION) {
      refuse_version(c,
                     version != DUSK_PROTO_VERSION ? version
                                                   : m->u.hello.version,
                     m->u.hello.role);
      return;
    }
    reply.type = DUSK_MSG_AUTH;
    reply.u.auth.role = n->role;
    reply.u.auth.version = DUSK_PROTO_VERSION;
    if (n->token != NULL) {
      dusk_slice tok = {n->token, n->token_len};
      if (dusk_auth_mac(tok, m->u.hello.nonce, mac) != 0) {
        dusk_conn_close(c, DUSK_EAUTH, "cannot compute the handshake MAC");
        return;
      }
      reply.u.auth.mac.ptr = (const char *)mac;
      reply.u.auth.mac.len = sizeof mac;
    }
    c->peer_role = m->u.hello.role;
    c->state = DUSK_CONN_AWAIT_AUTH_OK;
    send_now(c, &reply);
    return;
  }
  case DUSK_CONN_AWAIT_AUTH: {
    const dusk_msg_auth *a = &m->u.auth;
    if (m->type != DUSK_MSG_AUTH)
      goto unexpected;
    /* Before the role and the token: a peer of another version may
     * differ in those too, and needs to hear why it is refused. */
    if (version != DUSK_PROTO_VERSION || a->version != DUSK_PROTO_VERSION) {
      refuse_version(c, version != DUSK_PROTO_VERSION ? version : a->version,
                     a->role);
      return;
    }
    if (a->role > 31 || !(c->allowed_roles & DUSK_ROLE_BIT(a->role))) {
      dusk_conn_fail(c, DUSK_EAUTH, "%s: role %u not accepted here", c->peer,
                     a->role);
      return;
    }
    if (n->token != NULL) {
      dusk_slice tok = {n->token, n->token_len};
      dusk_slice nonce = {(const char *)c->nonce, sizeof c->nonce};
      if (dusk_auth_verify(tok, nonce, a->mac) != 0) {
        n->nauth_failures++;
        n->nprotocol_errors--; /* counted as an auth failure instead */
        dusk_conn_fail(c, DUSK_EAUTH, "authentication failed for %s (%s)",
                       c->peer, a->mac.len ? "wrong token" : "no token");
        return;
      }
    }
    c->peer_role = a->role;
    reply.type = DUSK_MSG_AUTH_OK;
    send_now(c, &reply);
    break;
  }
  case DUSK_CONN_AWAIT_AUTH_OK:
    if (m->type != DUSK_MSG_AUTH_OK)
      goto unexpected;
    break;
  default:
    goto unexpected;
  }
  /* Ready: release what the owner queued early, then tell it. */
  c->state = DUSK_CONN_READY;
  if (c->early.len > 0) {
    if (dusk_buf_append(&c->out, c->early.data, c->early.len) != 0) {
      dusk_conn_close(c, DUSK_ENOMEM, "out of memory");
      return;
    }
    c->early.len = 0;
    dirty_add(c);
  }
  if (c->h->on_ready != NULL)
    c->h->on_ready(c);
  return;
unexpected:
  dusk_conn_fail(c, DUSK_EPROTO, "%s sent %s during the handshake", c->peer,
                 dusk_msg_type_name(m->type));
}

/* A TLS handshake that failed: counted and refused like a bad token, with
 * OpenSSL's alert (if any) sent before the close. */
static void tls_refuse(dusk_conn *c, const char *why) {
  long vr = SSL_get_verify_result(c->ssl);
  c->net->nauth_failures++;
  if (vr != X509_V_OK)
    snprintf(c->close_reason, sizeof c->close_reason,
             "TLS handshake with %s failed: %s (%s)", c->peer, why,
             X509_verify_cert_error_string(vr));
  else
    snprintf(c->close_reason, sizeof c->close_reason,
             "TLS handshake with %s failed: %s", c->peer, why);
  c->close_code = DUSK_EAUTH;
  c->close_after_write = 1;
  uv_read_stop((uv_stream_t *)&c->tcp);
  dirty_add(c);
}

/* TLS: feeds nread bytes of ciphertext to OpenSSL, advances the handshake
 * and appends the plaintext to c->in.  0, or the conn is failing. */
static int tls_input(dusk_conn *c, size_t nread) {
  char why[256];
  int r, e;
  if (BIO_write(c->rbio, c->raw.data, (int)nread) != (int)nread) {
    dusk_conn_close(c, DUSK_ENOMEM, "out of memory");
    return -1;
  }
  ERR_clear_error();
  if (!SSL_is_init_finished(c->ssl)) {
    r = SSL_do_handshake(c->ssl);
    dirty_add(c); /* handshake records, or the frames it now lets out */
    if (r != 1) {
      e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
      dusk_tls_last_error(why, sizeof why);
      tls_refuse(c, why);
      return -1;
    }
  }
  for (;;) {
    if (dusk_buf_reserve(&c->in, READ_CHUNK) != 0) {
      dusk_conn_close(c, DUSK_ENOMEM, "out of memory");
      return -1;
    }
    r = SSL_read(c->ssl, c->in.data + c->in.len, READ_CHUNK);
    if (r > 0) {
      c->in.len += (size_t)r;
      continue;
    }
    e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      break;
    if (e == SSL_ERROR_ZERO_RETURN) {
      dusk_conn_close(c, 0, "%s closed the connection", c->peer);
      return -1;
    }
    dusk_tls_last_error(why, sizeof why);
    if (c->state != DUSK_CONN_READY) {
      /* TLS 1.3: the server judges our certificate after our side of the
       * handshake finished, so its refusal arrives here. */
      tls_refuse(c, why);
      return -1;
    }
    dusk_conn_close(c, DUSK_EPROTO, "TLS read from %s failed: %s", c->peer,
                    why);
    return -1;
  }
  /* Post-handshake records (tickets, key updates) may want an answer. */
  if (BIO_ctrl_pending(c->wbio) > 0)
    dirty_add(c);
  return 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  dusk_conn *c = (dusk_conn *)s;
  dusk_net *n = c->net;
  size_t off = 0;

  if (nread == 0)
    return;
  if (nread < 0) {
    if (nread == UV_ENOBUFS && buf->base == NULL)
      /* on_alloc had no memory for the read: the owner hears DUSK_ENOMEM,
       * not a socket error. */
      dusk_conn_close(c, DUSK_ENOMEM, "out of memory reading from %s",
                      c->peer);
    else if (nread == UV_EOF && c->state != DUSK_CONN_READY)
      dusk_conn_close(c, 0,
                      "%s closed the connection during the handshake (is it "
                      "a dusk %s?)",
                      c->peer, c->net->tls ? "peer speaking TLS"
                                           : "peer without TLS");
    else if (nread == UV_EOF)
      dusk_conn_close(c, 0, "%s closed the connection", c->peer);
    else
      dusk_conn_close(c, (int)nread, "read from %s failed: %s", c->peer,
                      uv_strerror((int)nread));
    return;
  }
  if (c->ssl != NULL) {
    if (c->close_after_write || tls_input(c, (size_t)nread) != 0)
      return;
  } else {
    c->in.len += (size_t)nread;
  }
  while (c->state != DUSK_CONN_CLOSING && !c->close_after_write) {
    dusk_wire_frame f;
    dusk_msg m;
    dusk_error err;
    uint32_t limit =
        c->state == DUSK_CONN_READY ? n->max_frame : n->max_unauth_frame;
    ssize_t used =
        c->state == DUSK_CONN_READY
            ? dusk_wire_decode(c->in.data + off, c->in.len - off, limit, &f,
                               &err)
            : dusk_wire_decode_handshake(c->in.data + off, c->in.len - off,
                                         limit, &f, &err);
    if (used == 0)
      break;
    if (used < 0) {
      char sample[33];
      dusk_sanitize(sample, sizeof sample, c->in.data + off,
                    c->in.len - off < 32 ? c->in.len - off : 32);
      dusk_conn_fail(c, (int)used, "bad frame from %s: %s (bytes \"%s\")",
                     c->peer, err.message, sample);
      break;
    }
    off += (size_t)used;
    int rc = dusk_msg_decode(&n->dec, f.type, f.body, &m, &err);
    if (rc != 0) {
      dusk_conn_fail(c, rc, "bad message from %s: %s", c->peer, err.message);
      break;
    }
    if (c->state != DUSK_CONN_READY)
      handshake_msg(c, &m, f.version);
    else if (m.type == DUSK_MSG_ERROR)
      dusk_conn_close(c, (int)m.u.error.code, "%s reported: %.*s", c->peer,
                      (int)m.u.error.message.len, m.u.error.message.ptr);
    else
      c->h->on_msg(c, &m);
  }
  if (c->state != DUSK_CONN_CLOSING)
    dusk_buf_consume(&c->in, off);
}

/* ---- set-up -------------------------------------------------------------- */

static void format_peer(dusk_conn *c) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
    if (ss.ss_family == AF_INET) {
      struct sockaddr_in *a = (struct sockaddr_in *)&ss;
      uv_ip4_name(a, ip, sizeof ip);
      port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
      uv_ip6_name(a, ip, sizeof ip);
      port = ntohs(a->sin6_port);
    }
  }
  snprintf(c->peer, sizeof c->peer, "%s:%d", ip, port);
}

static dusk_conn *conn_new(dusk_net *n, const dusk_conn_handler *h,
                           void *data) {
  dusk_conn *c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->net = n;
  c->h = h;
  c->data = data;
  c->created_ns = dusk_now_ns();
  c->all_next = n->all;
  if (n->all != NULL)
    n->all->all_prev = c;
  n->all = c;
  uv_tcp_init(n->loop, &c->tcp);
  uv_tcp_nodelay(&c->tcp, 1);
  snprintf(c->peer, sizeof c->peer, "?");
  if (n->tls != NULL) {
    c->ssl = SSL_new(n->tls);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL) {
      BIO_free(c->rbio);
      BIO_free(c->wbio);
      SSL_free(c->ssl);
      c->ssl = NULL;
      dusk_conn_close(c, DUSK_ENOMEM, "out of memory for a TLS session");
      return c;
    }
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
  }
  return c;
}

int dusk_sockaddr_is_loopback(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0,
                                               0, 0, 0, 0, 0xff, 0xff};
    if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
      return 1;
    return memcmp(a->sin6_addr.s6_addr, v4mapped, 12) == 0 &&
           a->sin6_addr.s6_addr[12] == 127;
  }
  return 0;
}

int dusk_host_is_loopback(const char *host, dusk_error *err) {
  struct sockaddr_storage ss;
  int rc = dusk_address_resolve(host, 0, &ss, err);
  return rc != 0 ? rc : dusk_sockaddr_is_loopback((struct sockaddr *)&ss);
}

static void on_connection(uv_stream_t *server, int status) {
  dusk_listener *l = server->data;
  dusk_net *n = l->net;
  dusk_conn *c;
  dusk_msg hello;
  struct sockaddr_storage ss;
  int len = sizeof ss;

  if (status < 0)
    return;
  c = conn_new(n, l->h, l->data);
  if (c == NULL)
    return;
  if (c->state == DUSK_CONN_CLOSING)
    return; /* no memory for its TLS session: already closing */
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    dusk_conn_close(c, DUSK_ECLOSED, "accept failed");
    return;
  }
  format_peer(c);
  if (c->state == DUSK_CONN_CLOSING)
    return;
  if (c->ssl != NULL)
    SSL_set_accept_state(c->ssl);
  c->state = DUSK_CONN_AWAIT_AUTH;
  c->allowed_roles = l->allowed_roles;
  if (n->token == NULL &&
      (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0 ||
       !dusk_sockaddr_is_loopback((struct sockaddr *)&ss))) {
    n->nauth_failures++;
    dusk_conn_fail(c, DUSK_EAUTH,
                   "refused %s: this listener has no token and accepts "
                   "loopback peers only",
                   c->peer);
    return;
  }
  if (dusk_auth_random(c->nonce, sizeof c->nonce) != 0) {
    dusk_conn_close(c, DUSK_ENOMEM, "no randomness for a nonce");
    return;
  }
  memset(&hello, 0, sizeof hello);
  hello.type = DUSK_MSG_HELLO;
  hello.u.hello.version = DUSK_PROTO_VERSION;
  hello.u.hello.role = n->role;
  hello.u.hello.nonce.ptr = (const char *)c->nonce;
  hello.u.hello.nonce.len = sizeof c->nonce;
  send_now(c, &hello);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void free_listener(uv_handle_t *h) { free(h->data); }

/* Makes server listen, through a listener accepting allowed_roles: bound
 * to addr, or (addr NULL) on fd, a socket already listening that it takes
 * over (closing it on failure).  host and port name it in errors. */
static int listener_start(dusk_net *n, uv_tcp_t *server,
                          const struct sockaddr *addr, int fd,
                          unsigned allowed_roles, const dusk_conn_handler *h,
                          void *data, const char *host, int port,
                          dusk_error *err) {
  dusk_listener *l = calloc(1, sizeof *l);
  int rc;
  if (l == NULL) {
    if (addr == NULL)
      close(fd);
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  }
  l->server = server;
  l->net = n;
  l->h = h;
  l->data = data;
  l->allowed_roles = allowed_roles;
  uv_tcp_init(n->loop, server);
  server->data = l;
  rc = addr != NULL ? uv_tcp_bind(server, addr, 0) : uv_tcp_open(server, fd);
  if (rc != 0 && addr == NULL)
    close(fd); /* not the handle's yet */
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)server, 511, on_connection);
  if (rc != 0) {
    uv_close((uv_handle_t *)server, free_listener);
    return dusk_error_set(err, rc, "cannot listen on %s:%d: %s", host, port,
                          uv_strerror(rc));
  }
  return 0;
}

int dusk_net_listen(dusk_net *n, uv_tcp_t *server, const char *host, int port,
                    unsigned allowed_roles, const dusk_conn_handler *h,
                    void *data, int *bound_port, dusk_error *err) {
  struct sockaddr_storage ss;
  int rc, len = sizeof ss;

  if ((rc = dusk_address_resolve(host, port, &ss, err)) != 0 ||
      (rc = listener_start(n, server, (struct sockaddr *)&ss, -1,
                           allowed_roles, h, data, host, port, err)) != 0)
    return rc;
  uv_tcp_getsockname(server, (struct sockaddr *)&ss, &len);
  *bound_port = ntohs(ss.ss_family == AF_INET6
                          ? ((struct sockaddr_in6 *)&ss)->sin6_port
                          : ((struct sockaddr_in *)&ss)->sin_port);
  return 0;
}

/* Binds and listens on fd's address at port: 0, or the errno. */
static int bind_listen(int fd, struct sockaddr_storage *ss, int port) {
  int one = 1;
  if (ss->ss_family == AF_INET6)
    ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
  else
    ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
  /* As libuv's bind does: a restarted worker takes its port back while
   * its old connections sit in TIME_WAIT. */
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, (struct sockaddr *)ss,
           ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                     : sizeof(struct sockaddr_in)) != 0 ||
      listen(fd, 511) != 0)
    return errno;
  return 0;
}

int dusk_net_listen_range(dusk_net *n, uv_tcp_t *server, const char *host,
                          int port_lo, int port_hi, unsigned allowed_roles,
                          const dusk_conn_handler *h, void *data,
                          int *bound_port, dusk_error *err) {
  struct sockaddr_storage ss;
  int rc, fd = -1, port;

  if (port_lo == port_hi)
    return dusk_net_listen(n, server, host, port_lo, allowed_roles, h, data,
                           bound_port, err);
  if (port_lo < 1 || port_hi > 65535 || port_lo > port_hi)
    return dusk_error_set(err, DUSK_ECONFIG,
                          "port range %d-%d: ports run from 1 to 65535",
                          port_lo, port_hi);
  if ((rc = dusk_address_resolve(host, port_lo, &ss, err)) != 0)
    return rc;
  /* Each port is tried with bind and listen at once: with SO_REUSEADDR two
   * processes may both bind a port, and only the first listen wins, so a
   * sibling that loses the race moves on to the next port. */
  for (port = port_lo; port <= port_hi; port++) {
    int e;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return dusk_error_set(err, uv_translate_sys_error(errno),
                            "cannot listen on %s: %s", host, strerror(errno));
    if ((e = bind_listen(fd, &ss, port)) == 0)
      break;
    close(fd);
    fd = -1;
    if (e != EADDRINUSE)
      return dusk_error_set(err, uv_translate_sys_error(e),
                            "cannot listen on %s:%d: %s", host, port,
                            strerror(e));
  }
  if (fd < 0)
    return dusk_error_set(err, UV_EADDRINUSE,
                          "cannot listen on %s: every port of %d-%d is in "
                          "use",
                          host, port_lo, port_hi);
  if ((rc = listener_start(n, server, NULL, fd, allowed_roles, h, data, host,
                           port, err)) != 0)
    return rc;
  *bound_port = port;
  return 0;
}

void dusk_net_unlisten(uv_tcp_t *server) {
  if (!uv_is_closing((uv_handle_t *)server))
    uv_close((uv_handle_t *)server, free_listener);
}

static void on_connect(uv_connect_t *req, int status) {
  dusk_conn *c = req->data;
  if (c->state == DUSK_CONN_CLOSING)
    return;
  if (status < 0) {
    dusk_conn_close(c, status, "cannot connect to %s: %s", c->peer,
                    uv_strerror(status));
    return;
  }
  if (c->ssl != NULL) {
    int r;
    SSL_set_connect_state(c->ssl);
    ERR_clear_error();
    r = SSL_do_handshake(c->ssl); /* the ClientHello */
    if (r != 1 && SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) {
      char why[256];
      dusk_tls_last_error(why, sizeof why);
      tls_refuse(c, why);
      return;
    }
    dirty_add(c);
  }
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

int dusk_net_connect(dusk_net *n, const struct sockaddr *addr,
                     const dusk_conn_handler *h, void *data, dusk_conn **out) {
  dusk_conn *c = conn_new(n, h, data);
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0, rc;
  if (c == NULL)
    return DUSK_ENOMEM;
  if (addr->sa_family == AF_INET) {
    uv_ip4_name((const struct sockaddr_in *)addr, ip, sizeof ip);
    port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
  } else if (addr->sa_family == AF_INET6) {
    uv_ip6_name((const struct sockaddr_in6 *)addr, ip, sizeof ip);
    port = ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
  }
  snprintf(c->peer, sizeof c->peer, "%s:%d", ip, port);
  c->outgoing = 1;
  *out = c;
  if (c->state == DUSK_CONN_CLOSING)
    return 0; /* no memory for its TLS session: on_close will say so */
  c->state = DUSK_CONN_AWAIT_HELLO;
  c->creq.data = c;
  rc = uv_tcp_connect(&c->creq, &c->tcp, addr, on_connect);
  if (rc != 0) {
    /* Close through the normal path so on_close still runs exactly once. */
    dusk_conn_close(c, rc, "cannot connect to %s: %s", c->peer,
                    uv_strerror(rc));
  }
  *out = c;
  return 0;
}

/* ---- addresses ----------------------------------------------------------- */

int dusk_address_parse(const char *addr, char *host, size_t hostlen,
                       int *port, dusk_error *err) {
  const char *p = addr, *colon, *hend;
  char *end;
  long v;
  if (strncmp(p, "tcp://", 6) == 0)
    p += 6;
  if (*p == '[') {
    hend = strchr(p, ']');
    if (hend == NULL || hend[1] != ':')
      goto bad;
    colon = hend + 1;
    p++;
  } else {
    colon = strrchr(p, ':');
    if (colon == NULL)
      goto bad;
    hend = colon;
  }
  if (hend == p || (size_t)(hend - p) >= hostlen)
    goto bad;
  v = strtol(colon + 1, &end, 10);
  if (*end != '\0' || end == colon + 1 || v < 0 || v > 65535)
    goto bad;
  memcpy(host, p, (size_t)(hend - p));
  host[hend - p] = '\0';
  *port = (int)v;
  return 0;
bad:
  return dusk_error_set(err, DUSK_EINVAL,
                        "bad address '%s': expected tcp://HOST:PORT", addr);
}

int dusk_address_resolve(const char *host, int port,
                         struct sockaddr_storage *out, dusk_error *err) {
  struct addrinfo hints, *res = NULL;
  char portstr[16];
  int rc;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  snprintf(portstr, sizeof portstr, "%d", port);
  rc = getaddrinfo(host, portstr, &hints, &res);
  if (rc != 0 || res == NULL)
    return dusk_error_set(err, DUSK_EINVAL, "cannot resolve host '%s': %s",
                          host, gai_strerror(rc));
  memset(out, 0, sizeof *out);
  memcpy(out, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return 0;
}
