/* msg.c - message encoding with msgpack-c's packer and checked decoding.
 *
 * Every body is a msgpack array of positional fields.  Decoding is three
 * steps (see msg.h): msgcheck, msgpack_unpack into a reused zone, then a
 * per-message function that checks each field's type and range. */
#include "msg.h"

#include "wire.h"

#include <inttypes.h>
#include <msgpack.h>
#include <string.h>

/* ---- names and validity ------------------------------------------------ */

bool dusk_msg_type_valid(unsigned type) {
  switch (type) {
#define XX(name, code, field) case code:
    DUSK_MSG_TYPE_MAP(XX)
#undef XX
    return true;
  default:
    return false;
  }
}

bool dusk_msg_type_frozen(unsigned type) {
  return type == DUSK_MSG_HELLO || type == DUSK_MSG_AUTH ||
         type == DUSK_MSG_ERROR;
}

const char *dusk_role_name(unsigned role) {
  switch (role) {
  case DUSK_ROLE_CLIENT: return "client";
  case DUSK_ROLE_WORKER: return "worker";
  case DUSK_ROLE_PEER: return "worker";
  case DUSK_ROLE_SCHEDULER: return "scheduler";
  default: return "peer";
  }
}

const char *dusk_msg_type_name(unsigned type) {
  switch (type) {
#define XX(name, code, field)                                                \
  case code:                                                                 \
    return #name;
    DUSK_MSG_TYPE_MAP(XX)
#undef XX
  default:
    return "UNKNOWN";
  }
}

/* ---- decoder ----------------------------------------------------------- */

int dusk_msg_decoder_init(dusk_msg_decoder *d) {
  d->zone = msgpack_zone_new(8192);
  if (d->zone == NULL)
    return DUSK_ENOMEM;
  d->limits.max_depth = 16;
  d->limits.max_items = 4u << 20;
  return 0;
}

void dusk_msg_decoder_destroy(dusk_msg_decoder *d) {
  if (d->zone != NULL)
    msgpack_zone_free(d->zone);
  d->zone = NULL;
}

/* Field reader over one message array: each accessor checks the next
 * field's type and names the message and field on error. */
typedef struct reader {
  const msgpack_object *items;
  uint32_t n, i;
  const char *msg;
  msgpack_zone *zone;
  dusk_error *err;
} reader;

static const char *obj_type_name(msgpack_object_type t) {
  switch (t) {
  case MSGPACK_OBJECT_NIL: return "nil";
  case MSGPACK_OBJECT_BOOLEAN: return "bool";
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
  case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "int";
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64: return "float";
  case MSGPACK_OBJECT_STR: return "str";
  case MSGPACK_OBJECT_ARRAY: return "array";
  case MSGPACK_OBJECT_MAP: return "map";
  case MSGPACK_OBJECT_BIN: return "bin";
  case MSGPACK_OBJECT_EXT: return "ext";
  }
  return "?";
}

static int bad_field(reader *r, const char *field, const char *want,
                     const msgpack_object *o) {
  return dusk_error_set(r->err, DUSK_ETYPE,
                        "%s field '%s': expected %s, got %s", r->msg, field,
                        want, o ? obj_type_name(o->type) : "nothing");
}

static const msgpack_object *next(reader *r) {
  return r->i < r->n ? &r->items[r->i++] : NULL;
}

static int rd_u64(reader *r, const char *field, uint64_t max, uint64_t *v) {
  const msgpack_object *o = next(r);
  if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return bad_field(r, field, "unsigned int", o);
  if (o->via.u64 > max)
    return dusk_error_set(r->err, DUSK_ETOOBIG,
                          "%s field '%s': %llu exceeds %llu", r->msg, field,
                          (unsigned long long)o->via.u64,
                          (unsigned long long)max);
  *v = o->via.u64;
  return 0;
}

static int rd_u32(reader *r, const char *field, uint32_t *v) {
  uint64_t x = 0;
  int rc = rd_u64(r, field, UINT32_MAX, &x);
  if (rc == 0)
    *v = (uint32_t)x;
  return rc;
}

static int rd_u8(reader *r, const char *field, uint8_t *v) {
  uint64_t x = 0;
  int rc = rd_u64(r, field, UINT8_MAX, &x);
  if (rc == 0)
    *v = (uint8_t)x;
  return rc;
}

static int rd_i64(reader *r, const char *field, int64_t *v) {
  const msgpack_object *o = next(r);
  if (o != NULL && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
    *v = o->via.i64;
    return 0;
  }
  if (o != NULL && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
      o->via.u64 <= (uint64_t)INT64_MAX) {
    *v = (int64_t)o->via.u64;
    return 0;
  }
  return bad_field(r, field, "int64", o);
}

/* A float (or an integer, as msgpack packers write whole numbers) within
 * [lo, hi]: NaN and the infinities are refused. */
static int rd_f64(reader *r, const char *field, double lo, double hi,
                  double *v) {
  const msgpack_object *o = next(r);
  double x;
  if (o != NULL && (o->type == MSGPACK_OBJECT_FLOAT32 ||
                    o->type == MSGPACK_OBJECT_FLOAT64))
    x = o->via.f64;
  else if (o != NULL && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
    x = (double)o->via.u64;
  else if (o != NULL && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
    x = (double)o->via.i64;
  else
    return bad_field(r, field, "float", o);
  if (!(x >= lo && x <= hi)) /* NaN fails both */
    return dusk_error_set(r->err, DUSK_ETOOBIG,
                          "%s field '%s': %g is outside [%g, %g]", r->msg,
                          field, x, lo, hi);
  *v = x;
  return 0;
}

static int rd_bool(reader *r, const char *field, bool *v) {
  const msgpack_object *o = next(r);
  if (o == NULL || o->type != MSGPACK_OBJECT_BOOLEAN)
    return bad_field(r, field, "bool", o);
  *v = o->via.boolean;
  return 0;
}

static int obj_str(reader *r, const char *field, const msgpack_object *o,
                   dusk_slice *s) {
  if (o == NULL || o->type != MSGPACK_OBJECT_STR)
    return bad_field(r, field, "str", o);
  s->ptr = o->via.str.ptr;
  s->len = o->via.str.size;
  return 0;
}

static int rd_str(reader *r, const char *field, dusk_slice *s) {
  return obj_str(r, field, next(r), s);
}

static int rd_bin(reader *r, const char *field, dusk_slice *s) {
  const msgpack_object *o = next(r);
  if (o == NULL || o->type != MSGPACK_OBJECT_BIN)
    return bad_field(r, field, "bin", o);
  s->ptr = o->via.bin.ptr;
  s->len = o->via.bin.size;
  return 0;
}

/* Opens the array in the next field (or the top level when top != NULL). */
static int rd_array(reader *r, const char *field, const msgpack_object *top,
                    reader *sub) {
  const msgpack_object *o = top ? top : next(r);
  if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY)
    return bad_field(r, field, "array", o);
  *sub = *r;
  sub->items = o->via.array.ptr;
  sub->n = o->via.array.size;
  sub->i = 0;
  return 0;
}

static int expect_count(reader *r, uint32_t n) {
  if (r->n != n)
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "%s: expected %u fields, got %u", r->msg, n, r->n);
  return 0;
}

static void *zalloc(reader *r, size_t n, size_t size) {
  /* n is bounded by the array's size, itself bounded by msgcheck. */
  if (n == 0)
    return NULL;
  return msgpack_zone_malloc(r->zone, n * size);
}

static int rd_str_array(reader *r, const char *field, uint32_t *n,
                        dusk_slice **out) {
  reader a;
  int rc;
  if ((rc = rd_array(r, field, NULL, &a)) != 0)
    return rc;
  *n = a.n;
  *out = zalloc(r, a.n, sizeof **out);
  if (a.n && *out == NULL)
    return DUSK_ENOMEM;
  for (uint32_t i = 0; i < a.n; i++)
    if ((rc = rd_str(&a, field, &(*out)[i])) != 0)
      return rc;
  return 0;
}

#define CK(expr)                                                             \
  do {                                                                       \
    int rc_ = (expr);                                                        \
    if (rc_ != 0)                                                            \
      return rc_;                                                            \
  } while (0)

static int dec_hello(reader *r, dusk_msg_hello *m) {
  CK(expect_count(r, 3));
  CK(rd_u32(r, "version", &m->version));
  CK(rd_u8(r, "role", &m->role));
  CK(rd_bin(r, "nonce", &m->nonce));
  if (m->nonce.len != DUSK_NONCE_LEN)
    return dusk_error_set(r->err, DUSK_ETYPE, "HELLO nonce of %zu bytes",
                          m->nonce.len);
  return 0;
}

static int dec_auth(reader *r, dusk_msg_auth *m) {
  CK(expect_count(r, 3));
  CK(rd_u8(r, "role", &m->role));
  CK(rd_u32(r, "version", &m->version));
  CK(rd_bin(r, "mac", &m->mac));
  if (m->mac.len != 0 && m->mac.len != DUSK_MAC_LEN)
    return dusk_error_set(r->err, DUSK_ETYPE, "AUTH mac of %zu bytes",
                          m->mac.len);
  return 0;
}

static int dec_auth_ok(reader *r, dusk_msg_auth_ok *m) {
  m->unused = 0;
  return expect_count(r, 0);
}

static int dec_leaving(reader *r, dusk_msg_leaving *m) {
  m->unused = 0;
  return expect_count(r, 0);
}

static int dec_error(reader *r, dusk_msg_error *m) {
  CK(expect_count(r, 2));
  CK(rd_i64(r, "code", &m->code));
  return rd_str(r, "message", &m->message);
}

static int dec_reg(reader *r, dusk_msg_reg *m) {
  CK(expect_count(r, 5));
  CK(rd_str(r, "name", &m->name));
  CK(rd_str(r, "host", &m->host));
  CK(rd_u32(r, "port", &m->port));
  if (m->port > 65535)
    return dusk_error_set(r->err, DUSK_ETYPE, "REGISTER port %u", m->port);
  CK(rd_i64(r, "pid", &m->pid));
  return rd_str(r, "host_id", &m->host_id);
}

bool dusk_host_id_valid(const char *p, size_t len) {
  if (len == 0 || len > DUSK_HOST_ID_MAX)
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)p[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' ||
          ch == '-'))
      return false;
  }
  return true;
}

static int dec_welcome(reader *r, dusk_msg_welcome *m) {
  CK(expect_count(r, 2));
  CK(rd_u64(r, "worker_id", UINT64_MAX, &m->worker_id));
  return rd_u32(r, "heartbeat_ms", &m->heartbeat_ms);
}

static int dec_heartbeat(reader *r, dusk_msg_heartbeat *m) {
  CK(expect_count(r, 11));
  CK(rd_u64(r, "seq", UINT64_MAX, &m->seq));
  CK(rd_u64(r, "nkeys", UINT64_MAX, &m->nkeys));
  CK(rd_u64(r, "nbytes", UINT64_MAX, &m->nbytes));
  CK(rd_u32(r, "nqueued", &m->nqueued));
  CK(rd_u32(r, "rtt_us", &m->rtt_us));
  CK(rd_u32(r, "nrunning", &m->nrunning));
  CK(rd_u64(r, "cpu_ns", INT64_MAX, &m->cpu_ns));
  CK(rd_u64(r, "sample_ns", INT64_MAX, &m->sample_ns));
  CK(rd_u64(r, "rss_bytes", INT64_MAX, &m->rss_bytes));
  CK(rd_u64(r, "memory_limit", INT64_MAX, &m->memory_limit));
  CK(rd_u64(r, "bytes_scanned", INT64_MAX, &m->bytes_scanned));
  if (m->nrunning > m->nqueued)
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "HEARTBEAT: %u tasks running of %u queued",
                          (unsigned)m->nrunning, (unsigned)m->nqueued);
  return 0;
}

static int dec_heartbeat_ack(reader *r, dusk_msg_heartbeat_ack *m) {
  CK(expect_count(r, 1));
  return rd_u64(r, "seq", UINT64_MAX, &m->seq);
}

static int dec_compute(reader *r, dusk_msg_compute *m) {
  reader deps;
  CK(expect_count(r, 4));
  CK(rd_u64(r, "id", UINT64_MAX, &m->id));
  CK(rd_str(r, "op", &m->op));
  CK(rd_bin(r, "args", &m->args));
  CK(rd_array(r, "deps", NULL, &deps));
  m->ndeps = deps.n;
  m->deps = zalloc(r, deps.n, sizeof *m->deps);
  if (deps.n && m->deps == NULL)
    return DUSK_ENOMEM;
  for (uint32_t i = 0; i < deps.n; i++) {
    reader d;
    CK(rd_array(&deps, "deps[]", NULL, &d));
    CK(expect_count(&d, 2));
    CK(rd_u64(&d, "deps[].id", UINT64_MAX, &m->deps[i].id));
    CK(rd_str(&d, "deps[].addr", &m->deps[i].addr));
  }
  return 0;
}

/* Whether a + b + c <= limit, without overflowing. */
static bool sum3_within(uint64_t a, uint64_t b, uint64_t c, uint64_t limit) {
  return a <= limit && b <= limit - a && c <= limit - a - b;
}

static int dec_task_done(reader *r, dusk_msg_task_done *m) {
  CK(expect_count(r, 7));
  CK(rd_u64(r, "id", UINT64_MAX, &m->id));
  CK(rd_u64(r, "nbytes", UINT64_MAX, &m->nbytes));
  CK(rd_u64(r, "run_us", UINT64_MAX, &m->run_us));
  CK(rd_u64(r, "fetch_us", UINT64_MAX, &m->fetch_us));
  CK(rd_u64(r, "wait_us", UINT64_MAX, &m->wait_us));
  CK(rd_u64(r, "held_us", UINT64_MAX, &m->held_us));
  CK(rd_u64(r, "recv_ns", UINT64_MAX, &m->recv_ns));
  if (!sum3_within(m->fetch_us, m->wait_us, m->run_us, m->held_us))
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "TASK_DONE: fetch_us + wait_us + run_us exceed "
                          "held_us %llu", (unsigned long long)m->held_us);
  return 0;
}

static int dec_task_failed(reader *r, dusk_msg_task_failed *m) {
  reader runs;
  CK(expect_count(r, 8));
  CK(rd_u64(r, "id", UINT64_MAX, &m->id));
  CK(rd_u32(r, "reason", &m->reason));
  if (m->reason < DUSK_FAIL_OP || m->reason > DUSK_FAIL_MIXED)
    return dusk_error_set(r->err, DUSK_ETYPE, "TASK_FAILED reason %u",
                          m->reason);
  CK(rd_u64(r, "dep", UINT64_MAX, &m->dep));
  CK(rd_str(r, "message", &m->message));
  CK(rd_str(r, "column", &m->column));
  CK(rd_u8(r, "type", &m->type));
  CK(rd_array(r, "quotes", NULL, &runs));
  /* Each reason's fields are present exactly when it is that reason. */
  if (m->reason == DUSK_FAIL_WIDEN
          ? m->column.len == 0 || m->type == 0
          : m->column.len != 0 || m->type != 0)
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "TASK_FAILED reason %u: a column and a type are "
                          "required for reason %d (widen) and refused for "
                          "any other",
                          m->reason, DUSK_FAIL_WIDEN);
  if (m->column.len > DUSK_FAIL_COLUMN_MAX)
    return dusk_error_set(r->err, DUSK_ETOOBIG,
                          "TASK_FAILED field 'column': %zu bytes exceeds %d",
                          m->column.len, DUSK_FAIL_COLUMN_MAX);
  if ((m->reason == DUSK_FAIL_QUOTES) != (runs.n > 0))
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "TASK_FAILED reason %u: quote runs are required "
                          "for reason %d (quotes) and refused for any other",
                          m->reason, DUSK_FAIL_QUOTES);
  m->nquotes = runs.n;
  m->quotes = zalloc(r, runs.n, sizeof *m->quotes);
  if (runs.n && m->quotes == NULL)
    return DUSK_ENOMEM;
  for (uint32_t i = 0; i < runs.n; i++) {
    reader q;
    dusk_quote_run *x = &m->quotes[i];
    CK(rd_array(&runs, "quotes[]", NULL, &q));
    CK(expect_count(&q, 3));
    CK(rd_u64(&q, "quotes[].first", UINT64_MAX, &x->first));
    CK(rd_u64(&q, "quotes[].last", UINT64_MAX, &x->last));
    CK(rd_u8(&q, "quotes[].state", &x->state));
    if (x->state < DUSK_FAIL_STATE_MIN || x->state > DUSK_FAIL_STATE_MAX)
      return dusk_error_set(r->err, DUSK_ETYPE,
                            "TASK_FAILED quote run %u: state %u is not a "
                            "tokenizer state (%d-%d)",
                            i, x->state, DUSK_FAIL_STATE_MIN,
                            DUSK_FAIL_STATE_MAX);
    if (x->first > x->last)
      return dusk_error_set(r->err, DUSK_ETYPE,
                            "TASK_FAILED quote run %u: first %llu after "
                            "last %llu",
                            i, (unsigned long long)x->first,
                            (unsigned long long)x->last);
  }
  CK(rd_str_array(r, "mixed", &m->nmixed, &m->mixed));
  if ((m->reason == DUSK_FAIL_MIXED && m->nmixed == 0) ||
      (m->nmixed > 0 && m->reason != DUSK_FAIL_MIXED &&
       m->reason != DUSK_FAIL_WIDEN))
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "TASK_FAILED reason %u: mixed columns are required "
                          "for reason %d (mixed), allowed for %d (widen) and "
                          "refused for any other",
                          m->reason, DUSK_FAIL_MIXED, DUSK_FAIL_WIDEN);
  if (m->nmixed > DUSK_FAIL_MIXED_MAX)
    return dusk_error_set(r->err, DUSK_ETOOBIG,
                          "TASK_FAILED field 'mixed': %u columns exceeds %d",
                          m->nmixed, DUSK_FAIL_MIXED_MAX);
  for (uint32_t i = 0; i < m->nmixed; i++)
    if (m->mixed[i].len == 0 || m->mixed[i].len > DUSK_FAIL_COLUMN_MAX)
      return dusk_error_set(r->err, DUSK_ETYPE,
                            "TASK_FAILED mixed column %u: %zu bytes, not "
                            "1..%d",
                            i, m->mixed[i].len, DUSK_FAIL_COLUMN_MAX);
  return 0;
}

static int dec_release(reader *r, dusk_msg_release *m) {
  reader ids;
  CK(expect_count(r, 1));
  CK(rd_array(r, "ids", NULL, &ids));
  m->n = ids.n;
  m->ids = zalloc(r, ids.n, sizeof *m->ids);
  if (ids.n && m->ids == NULL)
    return DUSK_ENOMEM;
  for (uint32_t i = 0; i < ids.n; i++)
    CK(rd_u64(&ids, "ids[]", UINT64_MAX, &m->ids[i]));
  return 0;
}

static int dec_submit(reader *r, dusk_msg_submit *m) {
  reader tasks;
  CK(expect_count(r, 3));
  CK(rd_bool(r, "final", &m->final));
  CK(rd_array(r, "tasks", NULL, &tasks));
  m->ntasks = tasks.n;
  m->tasks = zalloc(r, tasks.n, sizeof *m->tasks);
  if (tasks.n && m->tasks == NULL)
    return DUSK_ENOMEM;
  for (uint32_t i = 0; i < tasks.n; i++) {
    reader t;
    dusk_task_spec *ts = &m->tasks[i];
    CK(rd_array(&tasks, "tasks[]", NULL, &t));
    CK(expect_count(&t, 4));
    CK(rd_str(&t, "tasks[].key", &ts->key));
    CK(rd_str(&t, "tasks[].op", &ts->op));
    CK(rd_bin(&t, "tasks[].args", &ts->args));
    CK(rd_str_array(&t, "tasks[].deps", &ts->ndeps, &ts->deps));
  }
  return rd_str_array(r, "wanted", &m->nwanted, &m->wanted);
}

static int dec_key_state(reader *r, dusk_msg_key_state *m) {
  CK(expect_count(r, 8));
  CK(rd_str(r, "key", &m->key));
  CK(rd_u8(r, "state", &m->state));
  if (m->state < DUSK_KEY_MEMORY || m->state > DUSK_KEY_GRAPH_ERROR)
    return dusk_error_set(r->err, DUSK_ETYPE, "KEY_STATE state %u", m->state);
  CK(rd_u64(r, "id", UINT64_MAX, &m->id));
  CK(rd_str(r, "addr", &m->addr));
  CK(rd_u64(r, "nbytes", UINT64_MAX, &m->nbytes));
  CK(rd_str(r, "erred_key", &m->erred_key));
  CK(rd_str(r, "op", &m->op));
  return rd_str(r, "message", &m->message);
}

static int dec_keys(reader *r, dusk_msg_keys *m) {
  CK(expect_count(r, 1));
  return rd_str_array(r, "keys", &m->n, &m->keys);
}

static int dec_cancel(reader *r, dusk_msg_cancel *m) { return dec_keys(r, m); }

static int dec_release_keys(reader *r, dusk_msg_release_keys *m) {
  return dec_keys(r, m);
}

static int dec_info_request(reader *r, dusk_msg_info_request *m) {
  CK(expect_count(r, 1));
  return rd_u32(r, "min_workers", &m->min_workers);
}

static int dec_info(reader *r, dusk_msg_info *m) {
  reader ws, st;
  CK(expect_count(r, 3));
  CK(rd_u64(r, "ntasks", UINT64_MAX, &m->ntasks));
  CK(rd_array(r, "workers", NULL, &ws));
  m->nworkers = ws.n;
  m->workers = zalloc(r, ws.n, sizeof *m->workers);
  if (ws.n && m->workers == NULL)
    return DUSK_ENOMEM;
  for (uint32_t i = 0; i < ws.n; i++) {
    reader w;
    dusk_worker_info *wi = &m->workers[i];
    CK(rd_array(&ws, "workers[]", NULL, &w));
    CK(expect_count(&w, 11));
    CK(rd_u64(&w, "workers[].id", UINT64_MAX, &wi->id));
    CK(rd_i64(&w, "workers[].pid", &wi->pid));
    CK(rd_str(&w, "workers[].addr", &wi->addr));
    CK(rd_u32(&w, "workers[].nprocessing", &wi->nprocessing));
    CK(rd_u64(&w, "workers[].nkeys", UINT64_MAX, &wi->nkeys));
    CK(rd_str(&w, "workers[].host_id", &wi->host_id));
    CK(rd_f64(&w, "workers[].cpu_percent", 0, DUSK_CPU_PERCENT_MAX,
              &wi->cpu_percent));
    CK(rd_u64(&w, "workers[].rss_bytes", INT64_MAX, &wi->rss_bytes));
    CK(rd_u64(&w, "workers[].memory_limit", INT64_MAX, &wi->memory_limit));
    CK(rd_u64(&w, "workers[].bytes_scanned", INT64_MAX, &wi->bytes_scanned));
    CK(rd_u32(&w, "workers[].nrunning", &wi->nrunning));
  }
  CK(rd_array(r, "stats", NULL, &st));
  CK(expect_count(&st, 18));
  CK(rd_u32(&st, "stats.nclients", &m->stats.nclients));
  CK(rd_u64(&st, "stats.rss_bytes", UINT64_MAX, &m->stats.rss_bytes));
  CK(rd_u64(&st, "stats.peak_rss_bytes", UINT64_MAX,
            &m->stats.peak_rss_bytes));
  CK(rd_u64(&st, "stats.hb_samples", UINT64_MAX, &m->stats.hb_samples));
  CK(rd_u32(&st, "stats.hb_rtt_p50_us", &m->stats.hb_rtt_p50_us));
  CK(rd_u32(&st, "stats.hb_rtt_p99_us", &m->stats.hb_rtt_p99_us));
  CK(rd_u32(&st, "stats.hb_rtt_max_us", &m->stats.hb_rtt_max_us));
  CK(rd_u8(&st, "stats.as_enabled", &m->stats.as_enabled));
  CK(rd_u32(&st, "stats.as_target", &m->stats.as_target));
  CK(rd_u32(&st, "stats.as_pending", &m->stats.as_pending));
  CK(rd_u32(&st, "stats.as_running", &m->stats.as_running));
  CK(rd_u32(&st, "stats.as_closing", &m->stats.as_closing));
  CK(rd_u64(&st, "stats.as_launched", UINT64_MAX, &m->stats.as_launched));
  CK(rd_u64(&st, "stats.as_stopped", UINT64_MAX, &m->stats.as_stopped));
  CK(rd_u64(&st, "stats.as_work_ms", UINT64_MAX, &m->stats.as_work_ms));
  CK(rd_u32(&st, "stats.dashboard_port", &m->stats.dashboard_port));
  if (m->stats.dashboard_port > 65535)
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "INFO: stats.dashboard_port %" PRIu32
                          " is no TCP port", m->stats.dashboard_port);
  CK(rd_u8(&st, "stats.dashboard_tls", &m->stats.dashboard_tls));
  return rd_u8(&st, "stats.dashboard_local", &m->stats.dashboard_local);
}

static int dec_query(reader *r, dusk_msg_query *m) {
  CK(expect_count(r, 3));
  CK(rd_str(r, "key", &m->key));
  CK(rd_bin(r, "plan", &m->plan));
  return rd_bool(r, "profile", &m->profile);
}

/* A str field of lo..hi bytes. */
static int rd_str_len(reader *r, const char *field, size_t lo, size_t hi,
                      dusk_slice *s) {
  CK(rd_str(r, field, s));
  if (s->len < lo || s->len > hi)
    return dusk_error_set(r->err, DUSK_ETOOBIG,
                          "%s field '%s': %zu bytes, not %zu..%zu", r->msg,
                          field, s->len, lo, hi);
  return 0;
}

static int dec_task_profile(reader *r, const dusk_msg_profile *m,
                            dusk_task_profile *t) {
  CK(expect_count(r, 15));
  CK(rd_str_len(r, "tasks[].key", 1, DUSK_PROFILE_KEY_MAX, &t->key));
  CK(rd_str_len(r, "tasks[].op", 1, DUSK_PROFILE_OP_MAX, &t->op));
  CK(rd_u64(r, "tasks[].worker", UINT64_MAX, &t->worker));
  CK(rd_str_len(r, "tasks[].addr", 0, DUSK_PROFILE_ADDR_MAX, &t->addr));
  CK(rd_u32(r, "tasks[].attempt", &t->attempt));
  CK(rd_u64(r, "tasks[].ready_at", UINT64_MAX, &t->ready_at));
  CK(rd_u64(r, "tasks[].sent_at", UINT64_MAX, &t->sent_at));
  CK(rd_u64(r, "tasks[].start_at", UINT64_MAX, &t->start_at));
  CK(rd_u64(r, "tasks[].end_at", UINT64_MAX, &t->end_at));
  CK(rd_u64(r, "tasks[].done_at", UINT64_MAX, &t->done_at));
  CK(rd_u64(r, "tasks[].fetch_us", UINT64_MAX, &t->fetch_us));
  CK(rd_u64(r, "tasks[].wait_us", UINT64_MAX, &t->wait_us));
  CK(rd_u64(r, "tasks[].held_us", UINT64_MAX, &t->held_us));
  CK(rd_u64(r, "tasks[].scan_bytes", UINT64_MAX, &t->scan_bytes));
  CK(rd_u64(r, "tasks[].result_bytes", UINT64_MAX, &t->result_bytes));
  if (t->attempt < 1 || t->attempt > m->attempts)
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "PROFILE task '%.*s': attempt %u of %u", (int)t->key.len,
                          t->key.ptr, t->attempt, m->attempts);
  if (t->ready_at > t->sent_at || t->sent_at > t->start_at ||
      t->start_at > t->end_at || t->end_at > t->done_at ||
      t->done_at > m->wall_us)
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "PROFILE task '%.*s': times out of order (ready "
                          "%llu, sent %llu, start %llu, end %llu, done %llu, "
                          "wall %llu us)",
                          (int)t->key.len, t->key.ptr,
                          (unsigned long long)t->ready_at,
                          (unsigned long long)t->sent_at,
                          (unsigned long long)t->start_at,
                          (unsigned long long)t->end_at,
                          (unsigned long long)t->done_at,
                          (unsigned long long)m->wall_us);
  if (t->held_us > t->done_at - t->sent_at ||
      !sum3_within(t->fetch_us, t->wait_us, 0, t->start_at - t->sent_at) ||
      !sum3_within(t->fetch_us, t->wait_us, t->end_at - t->start_at,
                   t->held_us))
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "PROFILE task '%.*s': the worker's times exceed "
                          "its round trip", (int)t->key.len, t->key.ptr);
  return 0;
}

static int dec_profile(reader *r, dusk_msg_profile *m) {
  reader ts;
  CK(expect_count(r, 7));
  CK(rd_str_len(r, "key", 1, DUSK_PROFILE_KEY_MAX, &m->key));
  CK(rd_bool(r, "last", &m->last));
  CK(rd_u32(r, "attempts", &m->attempts));
  CK(rd_u64(r, "ntasks", UINT64_MAX, &m->ntasks));
  CK(rd_u64(r, "planned_us", UINT64_MAX, &m->planned_us));
  CK(rd_u64(r, "wall_us", UINT64_MAX, &m->wall_us));
  if (m->planned_us > m->wall_us)
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "PROFILE: planned_us %llu after wall_us %llu",
                          (unsigned long long)m->planned_us,
                          (unsigned long long)m->wall_us);
  CK(rd_array(r, "tasks", NULL, &ts));
  if (ts.n > DUSK_PROFILE_PART_MAX)
    return dusk_error_set(r->err, DUSK_ETOOBIG,
                          "PROFILE: %u tasks in one part, at most %d", ts.n,
                          DUSK_PROFILE_PART_MAX);
  m->n = ts.n;
  m->tasks = zalloc(r, ts.n, sizeof *m->tasks);
  if (ts.n && m->tasks == NULL)
    return DUSK_ENOMEM;
  for (uint32_t i = 0; i < ts.n; i++) {
    reader t;
    CK(rd_array(&ts, "tasks[]", NULL, &t));
    CK(dec_task_profile(&t, m, &m->tasks[i]));
  }
  return 0;
}

static int dec_progress(reader *r, dusk_msg_progress *m) {
  CK(expect_count(r, 5));
  CK(rd_str(r, "key", &m->key));
  CK(rd_u64(r, "tasks_done", UINT64_MAX, &m->tasks_done));
  CK(rd_u64(r, "tasks_total", UINT64_MAX, &m->tasks_total));
  CK(rd_u64(r, "bytes_done", UINT64_MAX, &m->bytes_done));
  CK(rd_u64(r, "bytes_total", UINT64_MAX, &m->bytes_total));
  if (m->tasks_done > m->tasks_total || m->bytes_done > m->bytes_total)
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "PROGRESS: more done than in total");
  return 0;
}

static int dec_get_data(reader *r, dusk_msg_get_data *m) {
  CK(expect_count(r, 1));
  return rd_u64(r, "id", UINT64_MAX, &m->id);
}

static int dec_data(reader *r, dusk_msg_data *m) {
  CK(expect_count(r, 5));
  CK(rd_u64(r, "id", UINT64_MAX, &m->id));
  CK(rd_bool(r, "found", &m->found));
  CK(rd_u64(r, "total", UINT64_MAX, &m->total));
  CK(rd_u64(r, "offset", UINT64_MAX, &m->offset));
  CK(rd_bin(r, "bytes", &m->bytes));
  if (m->offset > m->total || m->bytes.len > m->total - m->offset)
    return dusk_error_set(r->err, DUSK_ETYPE,
                          "DATA chunk [%llu, +%zu) outside a %llu-byte result",
                          (unsigned long long)m->offset, m->bytes.len,
                          (unsigned long long)m->total);
  return 0;
}

int dusk_msg_decode(dusk_msg_decoder *d, uint8_t type, dusk_slice body,
                    dusk_msg *out, dusk_error *err) {
  msgpack_zone *zone = d->zone;
  msgpack_object obj;
  size_t consumed = 0, off = 0;
  reader top = {0}, r;
  int rc;

  if (!dusk_msg_type_valid(type))
    return dusk_error_set(err, DUSK_EUNKNOWN, "unknown message type %u", type);
  rc = dusk_msgcheck(body.ptr, body.len, &d->limits, &consumed, err);
  if (rc != 0) {
    char why[DUSK_ERROR_MESSAGE_MAX];
    if (err == NULL)
      return rc;
    memcpy(why, err->message, sizeof why);
    return dusk_error_set(err, rc, "%s: %s", dusk_msg_type_name(type), why);
  }
  if (consumed != body.len)
    return dusk_error_set(err, DUSK_ETRAILING,
                          "%s: %zu trailing bytes after the message",
                          dusk_msg_type_name(type), body.len - consumed);
  msgpack_zone_clear(zone);
  if (msgpack_unpack(body.ptr, body.len, &off, zone, &obj) !=
      MSGPACK_UNPACK_SUCCESS)
    return dusk_error_set(err, DUSK_EPROTO, "%s: undecodable msgpack",
                          dusk_msg_type_name(type));
  top.msg = dusk_msg_type_name(type);
  top.zone = zone;
  top.err = err;
  if ((rc = rd_array(&top, "body", &obj, &r)) != 0)
    return rc;
  memset(out, 0, sizeof *out);
  out->type = type;
  switch (type) {
#define XX(name, code, field)                                                \
  case code:                                                                 \
    return dec_##field(&r, &out->u.field);
    DUSK_MSG_TYPE_MAP(XX)
#undef XX
  }
  return DUSK_EUNKNOWN;
}

/* ---- encoder ----------------------------------------------------------- */

static int buf_write(void *data, const char *bytes, size_t len) {
  return dusk_buf_append(data, bytes, len) == 0 ? 0 : -1;
}

#define PK(expr)                                                             \
  do {                                                                       \
    if ((expr) != 0)                                                         \
      return DUSK_ENOMEM;                                                    \
  } while (0)

static int pk_str(msgpack_packer *pk, dusk_slice s) {
  return msgpack_pack_str_with_body(pk, s.ptr, s.len);
}

static int pk_bin(msgpack_packer *pk, dusk_slice s) {
  return msgpack_pack_bin_with_body(pk, s.ptr, s.len);
}

static int pk_strs(msgpack_packer *pk, uint32_t n, const dusk_slice *v) {
  PK(msgpack_pack_array(pk, n));
  for (uint32_t i = 0; i < n; i++)
    PK(pk_str(pk, v[i]));
  return 0;
}

static int enc_body(msgpack_packer *pk, const dusk_msg *m) {
  switch (m->type) {
  case DUSK_MSG_HELLO: {
    const dusk_msg_hello *x = &m->u.hello;
    PK(msgpack_pack_array(pk, 3));
    PK(msgpack_pack_uint32(pk, x->version));
    PK(msgpack_pack_uint8(pk, x->role));
    return pk_bin(pk, x->nonce);
  }
  case DUSK_MSG_AUTH: {
    const dusk_msg_auth *x = &m->u.auth;
    PK(msgpack_pack_array(pk, 3));
    PK(msgpack_pack_uint8(pk, x->role));
    PK(msgpack_pack_uint32(pk, x->version));
    return pk_bin(pk, x->mac);
  }
  case DUSK_MSG_AUTH_OK:
  case DUSK_MSG_LEAVING:
    return msgpack_pack_array(pk, 0);
  case DUSK_MSG_ERROR:
    PK(msgpack_pack_array(pk, 2));
    PK(msgpack_pack_int64(pk, m->u.error.code));
    return pk_str(pk, m->u.error.message);
  case DUSK_MSG_REGISTER: {
    const dusk_msg_reg *x = &m->u.reg;
    PK(msgpack_pack_array(pk, 5));
    PK(pk_str(pk, x->name));
    PK(pk_str(pk, x->host));
    PK(msgpack_pack_uint32(pk, x->port));
    PK(msgpack_pack_int64(pk, x->pid));
    return pk_str(pk, x->host_id);
  }
  case DUSK_MSG_WELCOME:
    PK(msgpack_pack_array(pk, 2));
    PK(msgpack_pack_uint64(pk, m->u.welcome.worker_id));
    return msgpack_pack_uint32(pk, m->u.welcome.heartbeat_ms);
  case DUSK_MSG_HEARTBEAT: {
    const dusk_msg_heartbeat *x = &m->u.heartbeat;
    PK(msgpack_pack_array(pk, 11));
    PK(msgpack_pack_uint64(pk, x->seq));
    PK(msgpack_pack_uint64(pk, x->nkeys));
    PK(msgpack_pack_uint64(pk, x->nbytes));
    PK(msgpack_pack_uint32(pk, x->nqueued));
    PK(msgpack_pack_uint32(pk, x->rtt_us));
    PK(msgpack_pack_uint32(pk, x->nrunning));
    PK(msgpack_pack_uint64(pk, x->cpu_ns));
    PK(msgpack_pack_uint64(pk, x->sample_ns));
    PK(msgpack_pack_uint64(pk, x->rss_bytes));
    PK(msgpack_pack_uint64(pk, x->memory_limit));
    return msgpack_pack_uint64(pk, x->bytes_scanned);
  }
  case DUSK_MSG_HEARTBEAT_ACK:
    PK(msgpack_pack_array(pk, 1));
    return msgpack_pack_uint64(pk, m->u.heartbeat_ack.seq);
  case DUSK_MSG_COMPUTE: {
    const dusk_msg_compute *x = &m->u.compute;
    PK(msgpack_pack_array(pk, 4));
    PK(msgpack_pack_uint64(pk, x->id));
    PK(pk_str(pk, x->op));
    PK(pk_bin(pk, x->args));
    PK(msgpack_pack_array(pk, x->ndeps));
    for (uint32_t i = 0; i < x->ndeps; i++) {
      PK(msgpack_pack_array(pk, 2));
      PK(msgpack_pack_uint64(pk, x->deps[i].id));
      PK(pk_str(pk, x->deps[i].addr));
    }
    return 0;
  }
  case DUSK_MSG_TASK_DONE:
    PK(msgpack_pack_array(pk, 7));
    PK(msgpack_pack_uint64(pk, m->u.task_done.id));
    PK(msgpack_pack_uint64(pk, m->u.task_done.nbytes));
    PK(msgpack_pack_uint64(pk, m->u.task_done.run_us));
    PK(msgpack_pack_uint64(pk, m->u.task_done.fetch_us));
    PK(msgpack_pack_uint64(pk, m->u.task_done.wait_us));
    PK(msgpack_pack_uint64(pk, m->u.task_done.held_us));
    return msgpack_pack_uint64(pk, m->u.task_done.recv_ns);
  case DUSK_MSG_TASK_FAILED: {
    const dusk_msg_task_failed *x = &m->u.task_failed;
    PK(msgpack_pack_array(pk, 8));
    PK(msgpack_pack_uint64(pk, x->id));
    PK(msgpack_pack_uint32(pk, x->reason));
    PK(msgpack_pack_uint64(pk, x->dep));
    PK(pk_str(pk, x->message));
    PK(pk_str(pk, x->column));
    PK(msgpack_pack_uint8(pk, x->type));
    PK(msgpack_pack_array(pk, x->nquotes));
    for (uint32_t i = 0; i < x->nquotes; i++) {
      PK(msgpack_pack_array(pk, 3));
      PK(msgpack_pack_uint64(pk, x->quotes[i].first));
      PK(msgpack_pack_uint64(pk, x->quotes[i].last));
      PK(msgpack_pack_uint8(pk, x->quotes[i].state));
    }
    PK(msgpack_pack_array(pk, x->nmixed));
    for (uint32_t i = 0; i < x->nmixed; i++)
      PK(pk_str(pk, x->mixed[i]));
    return 0;
  }
  case DUSK_MSG_RELEASE:
    PK(msgpack_pack_array(pk, 1));
    PK(msgpack_pack_array(pk, m->u.release.n));
    for (uint32_t i = 0; i < m->u.release.n; i++)
      PK(msgpack_pack_uint64(pk, m->u.release.ids[i]));
    return 0;
  case DUSK_MSG_SUBMIT: {
    const dusk_msg_submit *x = &m->u.submit;
    PK(msgpack_pack_array(pk, 3));
    PK(x->final ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    PK(msgpack_pack_array(pk, x->ntasks));
    for (uint32_t i = 0; i < x->ntasks; i++) {
      const dusk_task_spec *t = &x->tasks[i];
      PK(msgpack_pack_array(pk, 4));
      PK(pk_str(pk, t->key));
      PK(pk_str(pk, t->op));
      PK(pk_bin(pk, t->args));
      PK(pk_strs(pk, t->ndeps, t->deps));
    }
    return pk_strs(pk, x->nwanted, x->wanted);
  }
  case DUSK_MSG_KEY_STATE: {
    const dusk_msg_key_state *x = &m->u.key_state;
    PK(msgpack_pack_array(pk, 8));
    PK(pk_str(pk, x->key));
    PK(msgpack_pack_uint8(pk, x->state));
    PK(msgpack_pack_uint64(pk, x->id));
    PK(pk_str(pk, x->addr));
    PK(msgpack_pack_uint64(pk, x->nbytes));
    PK(pk_str(pk, x->erred_key));
    PK(pk_str(pk, x->op));
    return pk_str(pk, x->message);
  }
  case DUSK_MSG_CANCEL:
    PK(msgpack_pack_array(pk, 1));
    return pk_strs(pk, m->u.cancel.n, m->u.cancel.keys);
  case DUSK_MSG_RELEASE_KEYS:
    PK(msgpack_pack_array(pk, 1));
    return pk_strs(pk, m->u.release_keys.n, m->u.release_keys.keys);
  case DUSK_MSG_INFO_REQUEST:
    PK(msgpack_pack_array(pk, 1));
    return msgpack_pack_uint32(pk, m->u.info_request.min_workers);
  case DUSK_MSG_INFO: {
    const dusk_msg_info *x = &m->u.info;
    PK(msgpack_pack_array(pk, 3));
    PK(msgpack_pack_uint64(pk, x->ntasks));
    PK(msgpack_pack_array(pk, x->nworkers));
    for (uint32_t i = 0; i < x->nworkers; i++) {
      const dusk_worker_info *w = &x->workers[i];
      PK(msgpack_pack_array(pk, 11));
      PK(msgpack_pack_uint64(pk, w->id));
      PK(msgpack_pack_int64(pk, w->pid));
      PK(pk_str(pk, w->addr));
      PK(msgpack_pack_uint32(pk, w->nprocessing));
      PK(msgpack_pack_uint64(pk, w->nkeys));
      PK(pk_str(pk, w->host_id));
      PK(msgpack_pack_double(pk, w->cpu_percent));
      PK(msgpack_pack_uint64(pk, w->rss_bytes));
      PK(msgpack_pack_uint64(pk, w->memory_limit));
      PK(msgpack_pack_uint64(pk, w->bytes_scanned));
      PK(msgpack_pack_uint32(pk, w->nrunning));
    }
    PK(msgpack_pack_array(pk, 18));
    PK(msgpack_pack_uint32(pk, x->stats.nclients));
    PK(msgpack_pack_uint64(pk, x->stats.rss_bytes));
    PK(msgpack_pack_uint64(pk, x->stats.peak_rss_bytes));
    PK(msgpack_pack_uint64(pk, x->stats.hb_samples));
    PK(msgpack_pack_uint32(pk, x->stats.hb_rtt_p50_us));
    PK(msgpack_pack_uint32(pk, x->stats.hb_rtt_p99_us));
    PK(msgpack_pack_uint32(pk, x->stats.hb_rtt_max_us));
    PK(msgpack_pack_uint8(pk, x->stats.as_enabled));
    PK(msgpack_pack_uint32(pk, x->stats.as_target));
    PK(msgpack_pack_uint32(pk, x->stats.as_pending));
    PK(msgpack_pack_uint32(pk, x->stats.as_running));
    PK(msgpack_pack_uint32(pk, x->stats.as_closing));
    PK(msgpack_pack_uint64(pk, x->stats.as_launched));
    PK(msgpack_pack_uint64(pk, x->stats.as_stopped));
    PK(msgpack_pack_uint64(pk, x->stats.as_work_ms));
    PK(msgpack_pack_uint32(pk, x->stats.dashboard_port));
    PK(msgpack_pack_uint8(pk, x->stats.dashboard_tls));
    return msgpack_pack_uint8(pk, x->stats.dashboard_local);
  }
  case DUSK_MSG_QUERY:
    PK(msgpack_pack_array(pk, 3));
    PK(pk_str(pk, m->u.query.key));
    PK(pk_bin(pk, m->u.query.plan));
    return m->u.query.profile ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
  case DUSK_MSG_PROFILE: {
    const dusk_msg_profile *x = &m->u.profile;
    PK(msgpack_pack_array(pk, 7));
    PK(pk_str(pk, x->key));
    PK(x->last ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    PK(msgpack_pack_uint32(pk, x->attempts));
    PK(msgpack_pack_uint64(pk, x->ntasks));
    PK(msgpack_pack_uint64(pk, x->planned_us));
    PK(msgpack_pack_uint64(pk, x->wall_us));
    PK(msgpack_pack_array(pk, x->n));
    for (uint32_t i = 0; i < x->n; i++) {
      const dusk_task_profile *t = &x->tasks[i];
      PK(msgpack_pack_array(pk, 15));
      PK(pk_str(pk, t->key));
      PK(pk_str(pk, t->op));
      PK(msgpack_pack_uint64(pk, t->worker));
      PK(pk_str(pk, t->addr));
      PK(msgpack_pack_uint32(pk, t->attempt));
      PK(msgpack_pack_uint64(pk, t->ready_at));
      PK(msgpack_pack_uint64(pk, t->sent_at));
      PK(msgpack_pack_uint64(pk, t->start_at));
      PK(msgpack_pack_uint64(pk, t->end_at));
      PK(msgpack_pack_uint64(pk, t->done_at));
      PK(msgpack_pack_uint64(pk, t->fetch_us));
      PK(msgpack_pack_uint64(pk, t->wait_us));
      PK(msgpack_pack_uint64(pk, t->held_us));
      PK(msgpack_pack_uint64(pk, t->scan_bytes));
      PK(msgpack_pack_uint64(pk, t->result_bytes));
    }
    return 0;
  }
  case DUSK_MSG_PROGRESS: {
    const dusk_msg_progress *x = &m->u.progress;
    PK(msgpack_pack_array(pk, 5));
    PK(pk_str(pk, x->key));
    PK(msgpack_pack_uint64(pk, x->tasks_done));
    PK(msgpack_pack_uint64(pk, x->tasks_total));
    PK(msgpack_pack_uint64(pk, x->bytes_done));
    return msgpack_pack_uint64(pk, x->bytes_total);
  }
  case DUSK_MSG_GET_DATA:
    PK(msgpack_pack_array(pk, 1));
    return msgpack_pack_uint64(pk, m->u.get_data.id);
  case DUSK_MSG_DATA: {
    const dusk_msg_data *x = &m->u.data;
    PK(msgpack_pack_array(pk, 5));
    PK(msgpack_pack_uint64(pk, x->id));
    PK(x->found ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    PK(msgpack_pack_uint64(pk, x->total));
    PK(msgpack_pack_uint64(pk, x->offset));
    return pk_bin(pk, x->bytes);
  }
  }
  return DUSK_EUNKNOWN;
}

int dusk_msg_encode(const dusk_msg *m, dusk_buf *out) {
  msgpack_packer pk;
  size_t start = out->len, body_len;
  char hdr[DUSK_WIRE_HEADER_SIZE] = {0};
  int rc;

  if (dusk_buf_append(out, hdr, sizeof hdr) != 0)
    return DUSK_ENOMEM;
  msgpack_packer_init(&pk, out, buf_write);
  rc = enc_body(&pk, m);
  if (rc != 0) {
    /* The packer reports a failed append as -1: that is out of memory. */
    out->len = start;
    return rc == DUSK_EUNKNOWN ? rc : DUSK_ENOMEM;
  }
  body_len = out->len - start - DUSK_WIRE_HEADER_SIZE;
  if (body_len > UINT32_MAX) {
    out->len = start;
    return DUSK_ETOOBIG;
  }
  dusk_wire_header_encode(out->data + start, m->type, (uint32_t)body_len);
  return 0;
}

/* ---- small values for ops ------------------------------------------------ */

int dusk_mp_write_int(dusk_buf *out, int64_t v) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, out, buf_write);
  return msgpack_pack_int64(&pk, v) == 0 ? 0 : DUSK_ENOMEM;
}

int dusk_mp_write_str(dusk_buf *out, const char *s, size_t len) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, out, buf_write);
  return msgpack_pack_str_with_body(&pk, s, len) == 0 ? 0 : DUSK_ENOMEM;
}

int dusk_mp_write_bin_header(dusk_buf *out, size_t len) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, out, buf_write);
  return msgpack_pack_bin(&pk, len) == 0 ? 0 : DUSK_ENOMEM;
}

int dusk_mp_write_nil(dusk_buf *out) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, out, buf_write);
  return msgpack_pack_nil(&pk) == 0 ? 0 : DUSK_ENOMEM;
}

static uint64_t be_read(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

int dusk_mp_read_int(dusk_slice in, int64_t *v) {
  const unsigned char *p = (const unsigned char *)in.ptr;
  int n;
  if (in.len == 0)
    return DUSK_ETRUNC;
  if (p[0] <= 0x7f || p[0] >= 0xe0) {
    if (in.len != 1)
      return DUSK_ETRAILING;
    *v = (int8_t)p[0];
    return 0;
  }
  switch (p[0]) {
  case 0xcc: case 0xd0: n = 1; break;
  case 0xcd: case 0xd1: n = 2; break;
  case 0xce: case 0xd2: n = 4; break;
  case 0xcf: case 0xd3: n = 8; break;
  default: return DUSK_ETYPE;
  }
  if (in.len < (size_t)n + 1)
    return DUSK_ETRUNC;
  if (in.len != (size_t)n + 1)
    return DUSK_ETRAILING;
  uint64_t raw = be_read(p + 1, n);
  if (p[0] >= 0xd0) { /* signed: sign-extend */
    int shift = 64 - 8 * n;
    *v = (int64_t)(raw << shift) >> shift;
  } else {
    if (raw > (uint64_t)INT64_MAX)
      return DUSK_ETOOBIG;
    *v = (int64_t)raw;
  }
  return 0;
}

int dusk_mp_read_str(dusk_slice in, dusk_slice *s) {
  const unsigned char *p = (const unsigned char *)in.ptr;
  size_t hdr, len;
  if (in.len == 0)
    return DUSK_ETRUNC;
  if (p[0] >= 0xa0 && p[0] <= 0xbf) {
    hdr = 1, len = p[0] & 0x1f;
  } else if (p[0] == 0xd9 || p[0] == 0xda || p[0] == 0xdb) {
    int n = p[0] == 0xd9 ? 1 : p[0] == 0xda ? 2 : 4;
    if (in.len < (size_t)n + 1)
      return DUSK_ETRUNC;
    hdr = (size_t)n + 1, len = (size_t)be_read(p + 1, n);
  } else {
    return DUSK_ETYPE;
  }
  if (len > in.len - hdr)
    return DUSK_ETRUNC;
  if (len != in.len - hdr)
    return DUSK_ETRAILING;
  s->ptr = in.ptr + hdr;
  s->len = len;
  return 0;
}
