/* check_msg.c - message encoding, checked decoding and the small msgpack
 * helpers.
 *
 * Every message type in DUSK_MSG_TYPE_MAP has three samples (typical values
 * with several array elements, zeros and empty arrays, extreme values).  Each
 * sample goes encode -> frame decode (split at every byte) -> msg decode, and
 * every field is compared.  Malformed bodies are crafted with msgpack-c's
 * packer, one case per kind of malformation. */
#include "wire.h"
#include "testutil.h"
#include "msg.h"

#include <check.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#define NVARIANTS 3

static const uint8_t all_types[] = {
#define XX(name, code, field) (code),
    DUSK_MSG_TYPE_MAP(XX)
#undef XX
};
#define NTYPES (sizeof all_types / sizeof all_types[0])

static dusk_slice sl(const void *p, size_t n) {
  dusk_slice s;
  s.ptr = p;
  s.len = n;
  return s;
}

static dusk_slice cstr(const char *s) { return sl(s, strlen(s)); }

/* ---- samples ------------------------------------------------------------- */

/* Backing storage for the samples' slices and arrays. */
static char pattern[70000];
static char ones[64];
static dusk_dep deps[20];
static char dep_addr[20][24];
static uint64_t ids[1000];
static dusk_task_spec tasks[5];
static dusk_slice task_deps[5][8];
static char task_key[5][16];
static dusk_slice wanted[4];
static dusk_slice keys[100];
static char key_text[100][16];
static dusk_worker_info workers[4];
static dusk_quote_run quote_runs[50];
static dusk_task_profile profile_tasks[DUSK_PROFILE_PART_MAX];

static void init_storage(void) {
  for (size_t i = 0; i < sizeof pattern; i++)
    pattern[i] = (char)((i * 37u + 11u) & 0xff);
  memset(ones, 0xff, sizeof ones);
  for (size_t i = 0; i < 20; i++) {
    snprintf(dep_addr[i], sizeof dep_addr[i], "10.0.0.%zu:%zu", i, 9000 + i);
    deps[i].id = (uint64_t)i * 0x9e3779b97f4a7c15ull;
    deps[i].addr = cstr(dep_addr[i]);
  }
  for (size_t i = 0; i < 1000; i++)
    ids[i] = (uint64_t)i * i * 2654435761ull;
  for (size_t i = 0; i < 100; i++) {
    snprintf(key_text[i], sizeof key_text[i], "key-%zu", i * 7919);
    keys[i] = cstr(key_text[i]);
  }
}

/* Fills *m with sample `variant` of `type`: 0 typical, with several elements
 * in every array; 1 zeros, empty strings and empty arrays; 2 extremes. */
static void fill_sample(uint8_t type, int variant, dusk_msg *m) {
  init_storage();
  memset(m, 0, sizeof *m);
  m->type = type;
  switch ((dusk_msg_type)type) {
  case DUSK_MSG_HELLO: {
    dusk_msg_hello *x = &m->u.hello;
    x->version = variant == 0   ? DUSK_PROTO_VERSION
                 : variant == 1 ? 0
                                : UINT32_MAX;
    x->role = variant == 0 ? DUSK_ROLE_SCHEDULER : variant == 1 ? 0 : 255;
    x->nonce = sl(variant == 2 ? ones : pattern, DUSK_NONCE_LEN);
    break;
  }
  case DUSK_MSG_AUTH: {
    dusk_msg_auth *x = &m->u.auth;
    x->role = variant == 0 ? DUSK_ROLE_WORKER : variant == 1 ? 0 : 255;
    x->version = variant == 0 ? 1 : variant == 1 ? 0 : UINT32_MAX;
    x->mac = variant == 1 ? sl(NULL, 0)
                          : sl(variant == 2 ? ones : pattern, DUSK_MAC_LEN);
    break;
  }
  case DUSK_MSG_AUTH_OK:
  case DUSK_MSG_LEAVING:
    break;
  case DUSK_MSG_ERROR:
    m->u.error.code = variant == 0   ? DUSK_EAUTH
                      : variant == 1 ? INT64_MAX
                                     : INT64_MIN;
    m->u.error.message = variant == 0   ? cstr("authentication failed")
                         : variant == 1 ? sl(NULL, 0)
                                        : sl(pattern, sizeof pattern);
    break;
  case DUSK_MSG_REGISTER: {
    dusk_msg_reg *x = &m->u.reg;
    x->name = variant == 0   ? cstr("worker-1")
              : variant == 1 ? sl(NULL, 0)
                             : sl(pattern, 300);
    x->host = variant == 0   ? cstr("127.0.0.1")
              : variant == 1 ? cstr("")
                             : cstr("::1");
    x->port = variant == 0 ? 40123 : variant == 1 ? 0 : 65535;
    x->pid = variant == 0 ? 4242 : variant == 1 ? 0 : INT64_MIN;
    x->host_id = variant == 0   ? cstr("i-0123456789abcdef0")
                 : variant == 1 ? sl(NULL, 0)
                                : sl(pattern, 200);
    break;
  }
  case DUSK_MSG_WELCOME:
    m->u.welcome.worker_id = variant == 0 ? 7 : variant == 1 ? 0 : UINT64_MAX;
    m->u.welcome.heartbeat_ms = variant == 0   ? 500
                                : variant == 1 ? 0
                                               : UINT32_MAX;
    break;
  case DUSK_MSG_HEARTBEAT: {
    dusk_msg_heartbeat *x = &m->u.heartbeat;
    x->seq = variant == 0 ? 12 : variant == 1 ? 0 : UINT64_MAX;
    x->nkeys = variant == 0 ? 3 : variant == 1 ? 0 : UINT64_MAX - 1;
    x->nbytes = variant == 0 ? 4096 : variant == 1 ? 0 : 1ull << 40;
    x->nqueued = variant == 0 ? 2 : variant == 1 ? 0 : UINT32_MAX;
    x->rtt_us = variant == 0 ? 180 : variant == 1 ? 0 : UINT32_MAX;
    x->nrunning = variant == 0 ? 1 : variant == 1 ? 0 : UINT32_MAX;
    x->cpu_ns = variant == 0 ? 1234567890 : variant == 1 ? 0 : INT64_MAX;
    x->sample_ns = variant == 0 ? 987654321012 : variant == 1 ? 0 : INT64_MAX;
    x->rss_bytes = variant == 0 ? 31u << 20 : variant == 1 ? 0 : INT64_MAX;
    x->memory_limit = variant == 0   ? 2147483648u
                      : variant == 1 ? 0
                                     : INT64_MAX;
    x->bytes_scanned = variant == 0   ? 1339098615
                       : variant == 1 ? 0
                                      : INT64_MAX;
    break;
  }
  case DUSK_MSG_HEARTBEAT_ACK:
    m->u.heartbeat_ack.seq = variant == 0 ? 12 : variant == 1 ? 0 : UINT64_MAX;
    break;
  case DUSK_MSG_COMPUTE: {
    dusk_msg_compute *x = &m->u.compute;
    if (variant == 0) {
      x->id = 99;
      x->op = cstr("add");
      x->args = sl("\x92\x01\x02", 3);
      x->ndeps = 3;
      deps[1].addr = cstr(""); /* held by the receiving worker */
      deps[2].id = UINT64_MAX;
    } else if (variant == 1) {
      x->op = sl(NULL, 0);
      x->args = sl(NULL, 0);
    } else {
      x->id = 1ull << 33;
      x->op = cstr("sum");
      x->args = sl(pattern, 300);
      x->ndeps = 20;
    }
    x->deps = x->ndeps ? deps : NULL;
    break;
  }
  case DUSK_MSG_TASK_DONE:
    m->u.task_done.id = variant == 0 ? 99 : variant == 1 ? 0 : UINT64_MAX;
    m->u.task_done.nbytes = variant == 0 ? 8 : variant == 1 ? 0 : UINT64_MAX;
    m->u.task_done.run_us = variant == 0 ? 1500 : variant == 1 ? 0 : UINT64_MAX;
    m->u.task_done.fetch_us = variant == 0 ? 20 : 0;
    m->u.task_done.wait_us = variant == 0 ? 30 : 0;
    m->u.task_done.held_us = variant == 0 ? 1600 : variant == 1 ? 0 : UINT64_MAX;
    m->u.task_done.recv_ns = variant == 0 ? 123456789 : variant == 1 ? 0 : UINT64_MAX;
    break;
  case DUSK_MSG_TASK_FAILED: {
    /* 0: a widening, its column longer than any text would have kept;
     * 1: a plain failure with nothing; 2: many quote runs at the edges. */
    dusk_msg_task_failed *x = &m->u.task_failed;
    x->id = variant == 0 ? 99 : variant == 1 ? 0 : UINT64_MAX;
    x->reason = variant == 0   ? DUSK_FAIL_WIDEN
                : variant == 1 ? DUSK_FAIL_OP
                               : DUSK_FAIL_QUOTES;
    x->dep = variant == 0 ? 5 : variant == 1 ? 0 : UINT64_MAX;
    x->message = variant == 0   ? cstr("column needs type float64")
                 : variant == 1 ? sl(NULL, 0)
                                : sl(pattern, 1000);
    if (variant == 0) {
      x->column = sl(pattern, 300);
      x->type = 3;
    }
    if (variant == 2) {
      for (uint32_t i = 0; i < 50; i++) {
        quote_runs[i].first = i == 0 ? 0 : (uint64_t)i << 32;
        quote_runs[i].last = i == 49 ? UINT64_MAX : ((uint64_t)i << 32) + i;
        quote_runs[i].state = (uint8_t)(1 + i % 4);
      }
      x->nquotes = 50;
      x->quotes = quote_runs;
    }
    break;
  }
  case DUSK_MSG_RELEASE:
    if (variant == 0) {
      static const uint64_t few[] = {1, 2, 300, 70000, 1ull << 32, UINT64_MAX};
      memcpy(ids, few, sizeof few);
      m->u.release.n = 6;
    } else {
      m->u.release.n = variant == 1 ? 0 : 1000;
    }
    m->u.release.ids = m->u.release.n ? ids : NULL;
    break;
  case DUSK_MSG_SUBMIT: {
    dusk_msg_submit *x = &m->u.submit;
    if (variant == 0) {
      /* a = load(); b = inc(a); c = add(a, b); want c and b. */
      static const char *const names[] = {"a", "b", "c"};
      static const char *const ops[] = {"load", "inc", "add"};
      for (int i = 0; i < 3; i++) {
        tasks[i].key = cstr(names[i]);
        tasks[i].op = cstr(ops[i]);
        tasks[i].args = sl("\x91\x2a", i == 0 ? 2 : 0);
        tasks[i].ndeps = (uint32_t)i;
        tasks[i].deps = i ? task_deps[i] : NULL;
        for (int j = 0; j < i; j++)
          task_deps[i][j] = cstr(names[j]);
      }
      wanted[0] = cstr("c");
      wanted[1] = cstr("b");
      x->final = true;
      x->ntasks = 3;
      x->nwanted = 2;
    } else if (variant == 2) {
      for (int i = 0; i < 5; i++) {
        snprintf(task_key[i], sizeof task_key[i], "task-%d", i);
        tasks[i].key = cstr(task_key[i]);
        tasks[i].op = cstr("op");
        tasks[i].args = sl(pattern, 100 + (size_t)i);
        tasks[i].ndeps = 8;
        tasks[i].deps = task_deps[i];
        for (int j = 0; j < 8; j++)
          task_deps[i][j] = keys[i * 8 + j];
      }
      for (int i = 0; i < 4; i++)
        wanted[i] = keys[50 + i];
      x->final = false;
      x->ntasks = 5;
      x->nwanted = 4;
    }
    x->tasks = x->ntasks ? tasks : NULL;
    x->wanted = x->nwanted ? wanted : NULL;
    break;
  }
  case DUSK_MSG_KEY_STATE: {
    dusk_msg_key_state *x = &m->u.key_state;
    if (variant == 0) {
      x->key = cstr("c");
      x->state = DUSK_KEY_MEMORY;
      x->id = 42;
      x->addr = cstr("127.0.0.1:40123");
      x->nbytes = 8;
    } else if (variant == 1) {
      x->state = DUSK_KEY_ERRED;
      x->erred_key = cstr("b");
      x->op = cstr("inc");
      x->message = cstr("boom");
    } else {
      x->key = sl(pattern, 200);
      x->state = DUSK_KEY_GRAPH_ERROR;
      x->id = UINT64_MAX;
      x->nbytes = UINT64_MAX;
      x->erred_key = cstr("x");
      x->message = cstr("cycle through x");
    }
    break;
  }
  case DUSK_MSG_CANCEL:
  case DUSK_MSG_RELEASE_KEYS: {
    /* Same layout; different keys so a mix-up would show. */
    dusk_msg_cancel *x =
        type == DUSK_MSG_CANCEL ? &m->u.cancel : &m->u.release_keys;
    size_t first = type == DUSK_MSG_CANCEL ? 0 : 3;
    x->n = variant == 0 ? 3 : variant == 1 ? 0 : 97;
    x->keys = x->n ? keys + first : NULL;
    if (variant == 0) {
      keys[first] = cstr("a");
      keys[first + 1] = cstr("bb");
      keys[first + 2] = cstr("");
    }
    break;
  }
  case DUSK_MSG_INFO_REQUEST:
    m->u.info_request.min_workers = variant == 0   ? 2
                                    : variant == 1 ? 0
                                                   : UINT32_MAX;
    break;
  case DUSK_MSG_INFO: {
    dusk_msg_info *x = &m->u.info;
    static const dusk_worker_info w0[3] = {
        {1, 1001, {"127.0.0.1:1", 11}, 0, 0, {"", 0}, 0, 0, 0, 0, 0},
        {2, 1002, {"127.0.0.1:2", 11}, 3, 17, {"i-0abc", 6}, 97.25,
         31u << 20, 2147483648u, 1339098615, 1},
        {UINT64_MAX, INT64_MAX, {"h:65535", 7}, UINT32_MAX, UINT64_MAX,
         {"local-3", 7}, DUSK_CPU_PERCENT_MAX, INT64_MAX, INT64_MAX,
         INT64_MAX, UINT32_MAX},
    };
    static const dusk_worker_info w2[4] = {
        {0, -1, {"", 0}, 0, 0, {"", 0}, 0, 0, 0, 0, 0},
        {5, INT64_MIN, {"a:1", 3}, 1, 1, {"h1", 2}, 0.5, 1, 1, 1, 1},
        {6, 0, {"b:2", 3}, 2, 2, {"h1", 2}, 100, 2, 2, 2, 0},
        {7, 32, {"c:3", 3}, 3, 3, {"h2", 2}, 250.125, 3, 3, 3, 1},
    };
    x->ntasks = variant == 0 ? 10 : variant == 1 ? 0 : UINT64_MAX;
    x->nworkers = variant == 0 ? 3 : variant == 1 ? 0 : 4;
    if (variant == 0)
      memcpy(workers, w0, sizeof w0);
    else if (variant == 2)
      memcpy(workers, w2, sizeof w2);
    x->workers = x->nworkers ? workers : NULL;
    if (variant == 0) {
      dusk_sched_stats st = {100, 7u << 20, 9u << 20, 1234, 150, 2500, 9000,
                             1, 4, 1, 2, 1, 9, 5, 123456, 8787, 0, 1};
      x->stats = st;
    } else if (variant == 2) {
      dusk_sched_stats st = {UINT32_MAX, UINT64_MAX, UINT64_MAX,
                             UINT64_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX,
                             UINT8_MAX,  UINT32_MAX, UINT32_MAX, UINT32_MAX,
                             UINT32_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX,
                             65535,      UINT8_MAX,  UINT8_MAX};
      x->stats = st;
    }
    break;
  }
  case DUSK_MSG_QUERY:
    m->u.query.key = variant == 1 ? cstr("") : cstr("query-1");
    m->u.query.plan = variant == 0 ? sl(pattern, 60) : sl(NULL, 0);
    m->u.query.profile = variant != 1;
    break;
  case DUSK_MSG_PROFILE: {
    /* 0: three tasks of two attempts; 1: no task (a query refused while
     * sampling); 2: a full part at the limits of every field. */
    dusk_msg_profile *x = &m->u.profile;
    x->key = variant == 2 ? sl(pattern, DUSK_PROFILE_KEY_MAX) : cstr("q-1");
    x->last = variant != 2;
    x->attempts = variant == 0 ? 2 : variant == 1 ? 0 : UINT32_MAX;
    x->ntasks = variant == 0 ? 4 : variant == 1 ? 0 : UINT64_MAX;
    x->planned_us = variant == 0 ? 900 : variant == 1 ? 0 : UINT64_MAX;
    x->wall_us = variant == 0 ? 50000 : variant == 1 ? 0 : UINT64_MAX;
    x->n = variant == 0 ? 3 : variant == 1 ? 0 : DUSK_PROFILE_PART_MAX;
    for (uint32_t i = 0; i < x->n; i++) {
      dusk_task_profile *t = &profile_tasks[i];
      memset(t, 0, sizeof *t);
      if (variant == 0) {
        t->key = cstr(key_text[i]);
        t->op = cstr(i < 2 ? "df_scan" : "df_final");
        t->worker = i + 1;
        t->addr = cstr(dep_addr[i]);
        t->attempt = i == 0 ? 1 : 2;
        t->ready_at = 1000 + i;
        t->sent_at = 1001 + i;
        t->start_at = 1100 + i;
        t->end_at = 9000 + i;
        t->done_at = 9100 + i;
        t->fetch_us = 10;
        t->wait_us = 20;
        t->held_us = 8000;
        t->scan_bytes = i < 2 ? 1u << 20 : 0;
        t->result_bytes = 300 + i;
      } else {
        t->key = sl(pattern, DUSK_PROFILE_KEY_MAX);
        t->op = sl(pattern, DUSK_PROFILE_OP_MAX);
        t->worker = UINT64_MAX;
        t->addr = sl(pattern, DUSK_PROFILE_ADDR_MAX);
        t->attempt = UINT32_MAX;
        t->ready_at = t->sent_at = t->start_at = t->end_at = t->done_at =
            UINT64_MAX;
        t->scan_bytes = t->result_bytes = UINT64_MAX;
      }
    }
    x->tasks = x->n ? profile_tasks : NULL;
    break;
  }
  case DUSK_MSG_PROGRESS: {
    dusk_msg_progress *x = &m->u.progress;
    x->key = variant == 1 ? cstr("") : cstr("query-7");
    x->tasks_done = variant == 0 ? 3 : variant == 1 ? 0 : UINT64_MAX;
    x->tasks_total = variant == 0 ? 21 : variant == 1 ? 0 : UINT64_MAX;
    x->bytes_done = variant == 0 ? 1u << 26 : variant == 1 ? 0 : UINT64_MAX;
    x->bytes_total = variant == 0 ? 1339098615 : variant == 1 ? 0 : UINT64_MAX;
    break;
  }
  case DUSK_MSG_GET_DATA:
    m->u.get_data.id = variant == 0 ? 77 : variant == 1 ? 0 : UINT64_MAX;
    break;
  case DUSK_MSG_DATA: {
    dusk_msg_data *x = &m->u.data;
    if (variant == 0) {
      /* The last chunk of a 100-byte result. */
      x->id = 77;
      x->found = true;
      x->total = 100;
      x->offset = 40;
      x->bytes = sl(pattern, 60);
    } else if (variant == 1) {
      x->bytes = sl(NULL, 0);
    } else {
      x->id = UINT64_MAX;
      x->found = true;
      x->total = UINT64_MAX;
      x->offset = UINT64_MAX - 10;
      x->bytes = sl(pattern, 10);
    }
    break;
  }
  default:
    ck_abort_msg("no sample for message type %u (%s)", type,
                 dusk_msg_type_name(type));
  }
}

/* ---- comparison ---------------------------------------------------------- */

static void slice_eq(dusk_slice a, dusk_slice b, const char *msg,
                     const char *field, size_t idx) {
  ck_assert_msg(a.len == b.len, "%s.%s[%zu]: length %zu, decoded %zu", msg,
                field, idx, a.len, b.len);
  if (a.len > 0)
    ck_assert_msg(memcmp(a.ptr, b.ptr, a.len) == 0, "%s.%s[%zu] differs", msg,
                  field, idx);
}

static void u64_eq(uint64_t a, uint64_t b, const char *msg, const char *field,
                   size_t idx) {
  ck_assert_msg(a == b, "%s.%s[%zu]: %llu, decoded %llu", msg, field, idx,
                (unsigned long long)a, (unsigned long long)b);
}

static void i64_eq(int64_t a, int64_t b, const char *msg, const char *field) {
  ck_assert_msg(a == b, "%s.%s: %lld, decoded %lld", msg, field, (long long)a,
                (long long)b);
}

#define SEQ(field) slice_eq(a->field, b->field, name, #field, 0)
#define UEQ(field) u64_eq(a->field, b->field, name, #field, 0)
#define IEQ(field) i64_eq(a->field, b->field, name, #field)

static void assert_msg_eq(const dusk_msg *ma, const dusk_msg *mb) {
  const char *name = dusk_msg_type_name(ma->type);
  ck_assert_uint_eq(ma->type, mb->type);
  switch ((dusk_msg_type)ma->type) {
  case DUSK_MSG_HELLO: {
    const dusk_msg_hello *a = &ma->u.hello, *b = &mb->u.hello;
    UEQ(version);
    UEQ(role);
    SEQ(nonce);
    break;
  }
  case DUSK_MSG_AUTH: {
    const dusk_msg_auth *a = &ma->u.auth, *b = &mb->u.auth;
    UEQ(role);
    UEQ(version);
    SEQ(mac);
    break;
  }
  case DUSK_MSG_AUTH_OK:
  case DUSK_MSG_LEAVING:
    break;
  case DUSK_MSG_ERROR: {
    const dusk_msg_error *a = &ma->u.error, *b = &mb->u.error;
    IEQ(code);
    SEQ(message);
    break;
  }
  case DUSK_MSG_REGISTER: {
    const dusk_msg_reg *a = &ma->u.reg, *b = &mb->u.reg;
    SEQ(name);
    SEQ(host);
    UEQ(port);
    IEQ(pid);
    SEQ(host_id);
    break;
  }
  case DUSK_MSG_WELCOME: {
    const dusk_msg_welcome *a = &ma->u.welcome, *b = &mb->u.welcome;
    UEQ(worker_id);
    UEQ(heartbeat_ms);
    break;
  }
  case DUSK_MSG_HEARTBEAT: {
    const dusk_msg_heartbeat *a = &ma->u.heartbeat, *b = &mb->u.heartbeat;
    UEQ(seq);
    UEQ(nkeys);
    UEQ(nbytes);
    UEQ(nqueued);
    UEQ(rtt_us);
    UEQ(nrunning);
    UEQ(cpu_ns);
    UEQ(sample_ns);
    UEQ(rss_bytes);
    UEQ(memory_limit);
    UEQ(bytes_scanned);
    break;
  }
  case DUSK_MSG_HEARTBEAT_ACK: {
    const dusk_msg_heartbeat_ack *a = &ma->u.heartbeat_ack,
                                 *b = &mb->u.heartbeat_ack;
    UEQ(seq);
    break;
  }
  case DUSK_MSG_COMPUTE: {
    const dusk_msg_compute *a = &ma->u.compute, *b = &mb->u.compute;
    UEQ(id);
    SEQ(op);
    SEQ(args);
    UEQ(ndeps);
    for (uint32_t i = 0; i < a->ndeps; i++) {
      u64_eq(a->deps[i].id, b->deps[i].id, name, "deps.id", i);
      slice_eq(a->deps[i].addr, b->deps[i].addr, name, "deps.addr", i);
    }
    break;
  }
  case DUSK_MSG_TASK_DONE: {
    const dusk_msg_task_done *a = &ma->u.task_done, *b = &mb->u.task_done;
    UEQ(id);
    UEQ(nbytes);
    UEQ(run_us);
    UEQ(fetch_us);
    UEQ(wait_us);
    UEQ(held_us);
    UEQ(recv_ns);
    break;
  }
  case DUSK_MSG_TASK_FAILED: {
    const dusk_msg_task_failed *a = &ma->u.task_failed, *b = &mb->u.task_failed;
    UEQ(id);
    UEQ(reason);
    UEQ(dep);
    SEQ(message);
    SEQ(column);
    UEQ(type);
    UEQ(nquotes);
    for (uint32_t i = 0; i < a->nquotes; i++) {
      u64_eq(a->quotes[i].first, b->quotes[i].first, name, "quotes.first", i);
      u64_eq(a->quotes[i].last, b->quotes[i].last, name, "quotes.last", i);
      u64_eq(a->quotes[i].state, b->quotes[i].state, name, "quotes.state",
             i);
    }
    UEQ(nmixed);
    for (uint32_t i = 0; i < a->nmixed; i++)
      slice_eq(a->mixed[i], b->mixed[i], name, "mixed", i);
    break;
  }
  case DUSK_MSG_RELEASE: {
    const dusk_msg_release *a = &ma->u.release, *b = &mb->u.release;
    UEQ(n);
    for (uint32_t i = 0; i < a->n; i++)
      u64_eq(a->ids[i], b->ids[i], name, "ids", i);
    break;
  }
  case DUSK_MSG_SUBMIT: {
    const dusk_msg_submit *a = &ma->u.submit, *b = &mb->u.submit;
    ck_assert_int_eq(a->final, b->final);
    UEQ(ntasks);
    for (uint32_t i = 0; i < a->ntasks; i++) {
      const dusk_task_spec *ta = &a->tasks[i], *tb = &b->tasks[i];
      slice_eq(ta->key, tb->key, name, "tasks.key", i);
      slice_eq(ta->op, tb->op, name, "tasks.op", i);
      slice_eq(ta->args, tb->args, name, "tasks.args", i);
      u64_eq(ta->ndeps, tb->ndeps, name, "tasks.ndeps", i);
      for (uint32_t j = 0; j < ta->ndeps; j++)
        slice_eq(ta->deps[j], tb->deps[j], name, "tasks.deps", i * 100 + j);
    }
    UEQ(nwanted);
    for (uint32_t i = 0; i < a->nwanted; i++)
      slice_eq(a->wanted[i], b->wanted[i], name, "wanted", i);
    break;
  }
  case DUSK_MSG_KEY_STATE: {
    const dusk_msg_key_state *a = &ma->u.key_state, *b = &mb->u.key_state;
    SEQ(key);
    UEQ(state);
    UEQ(id);
    SEQ(addr);
    UEQ(nbytes);
    SEQ(erred_key);
    SEQ(op);
    SEQ(message);
    break;
  }
  case DUSK_MSG_CANCEL:
  case DUSK_MSG_RELEASE_KEYS: {
    const dusk_msg_cancel *a =
        ma->type == DUSK_MSG_CANCEL ? &ma->u.cancel : &ma->u.release_keys;
    const dusk_msg_cancel *b =
        mb->type == DUSK_MSG_CANCEL ? &mb->u.cancel : &mb->u.release_keys;
    UEQ(n);
    for (uint32_t i = 0; i < a->n; i++)
      slice_eq(a->keys[i], b->keys[i], name, "keys", i);
    break;
  }
  case DUSK_MSG_INFO_REQUEST: {
    const dusk_msg_info_request *a = &ma->u.info_request,
                                *b = &mb->u.info_request;
    UEQ(min_workers);
    break;
  }
  case DUSK_MSG_INFO: {
    const dusk_msg_info *a = &ma->u.info, *b = &mb->u.info;
    UEQ(ntasks);
    UEQ(nworkers);
    for (uint32_t i = 0; i < a->nworkers; i++) {
      const dusk_worker_info *wa = &a->workers[i], *wb = &b->workers[i];
      u64_eq(wa->id, wb->id, name, "workers.id", i);
      i64_eq(wa->pid, wb->pid, name, "workers.pid");
      slice_eq(wa->addr, wb->addr, name, "workers.addr", i);
      u64_eq(wa->nprocessing, wb->nprocessing, name, "workers.nprocessing", i);
      u64_eq(wa->nkeys, wb->nkeys, name, "workers.nkeys", i);
      slice_eq(wa->host_id, wb->host_id, name, "workers.host_id", i);
      ck_assert_msg(wa->cpu_percent == wb->cpu_percent,
                    "%s workers[%u].cpu_percent: %g != %g", name, i,
                    wa->cpu_percent, wb->cpu_percent);
      u64_eq(wa->rss_bytes, wb->rss_bytes, name, "workers.rss_bytes", i);
      u64_eq(wa->memory_limit, wb->memory_limit, name,
             "workers.memory_limit", i);
      u64_eq(wa->bytes_scanned, wb->bytes_scanned, name,
             "workers.bytes_scanned", i);
      u64_eq(wa->nrunning, wb->nrunning, name, "workers.nrunning", i);
    }
    UEQ(stats.nclients);
    UEQ(stats.rss_bytes);
    UEQ(stats.peak_rss_bytes);
    UEQ(stats.hb_samples);
    UEQ(stats.hb_rtt_p50_us);
    UEQ(stats.hb_rtt_p99_us);
    UEQ(stats.hb_rtt_max_us);
    UEQ(stats.as_enabled);
    UEQ(stats.as_target);
    UEQ(stats.as_pending);
    UEQ(stats.as_running);
    UEQ(stats.as_closing);
    UEQ(stats.as_launched);
    UEQ(stats.as_stopped);
    UEQ(stats.as_work_ms);
    UEQ(stats.dashboard_port);
    UEQ(stats.dashboard_tls);
    UEQ(stats.dashboard_local);
    break;
  }
  case DUSK_MSG_QUERY:
    slice_eq(ma->u.query.key, mb->u.query.key, name, "key", 0);
    slice_eq(ma->u.query.plan, mb->u.query.plan, name, "plan", 0);
    ck_assert_int_eq(ma->u.query.profile, mb->u.query.profile);
    break;
  case DUSK_MSG_PROFILE: {
    const dusk_msg_profile *a = &ma->u.profile, *b = &mb->u.profile;
    SEQ(key);
    ck_assert_int_eq(a->last, b->last);
    UEQ(attempts);
    UEQ(ntasks);
    UEQ(planned_us);
    UEQ(wall_us);
    UEQ(n);
    for (uint32_t i = 0; i < a->n; i++) {
      const dusk_task_profile *x = &a->tasks[i], *y = &b->tasks[i];
      slice_eq(x->key, y->key, name, "tasks.key", i);
      slice_eq(x->op, y->op, name, "tasks.op", i);
      slice_eq(x->addr, y->addr, name, "tasks.addr", i);
      u64_eq(x->worker, y->worker, name, "tasks.worker", i);
      u64_eq(x->attempt, y->attempt, name, "tasks.attempt", i);
      u64_eq(x->ready_at, y->ready_at, name, "tasks.ready_at", i);
      u64_eq(x->sent_at, y->sent_at, name, "tasks.sent_at", i);
      u64_eq(x->start_at, y->start_at, name, "tasks.start_at", i);
      u64_eq(x->end_at, y->end_at, name, "tasks.end_at", i);
      u64_eq(x->done_at, y->done_at, name, "tasks.done_at", i);
      u64_eq(x->fetch_us, y->fetch_us, name, "tasks.fetch_us", i);
      u64_eq(x->wait_us, y->wait_us, name, "tasks.wait_us", i);
      u64_eq(x->held_us, y->held_us, name, "tasks.held_us", i);
      u64_eq(x->scan_bytes, y->scan_bytes, name, "tasks.scan_bytes", i);
      u64_eq(x->result_bytes, y->result_bytes, name, "tasks.result_bytes",
             i);
    }
    break;
  }
  case DUSK_MSG_PROGRESS: {
    const dusk_msg_progress *a = &ma->u.progress, *b = &mb->u.progress;
    slice_eq(a->key, b->key, name, "key", 0);
    UEQ(tasks_done);
    UEQ(tasks_total);
    UEQ(bytes_done);
    UEQ(bytes_total);
    break;
  }
  case DUSK_MSG_GET_DATA: {
    const dusk_msg_get_data *a = &ma->u.get_data, *b = &mb->u.get_data;
    UEQ(id);
    break;
  }
  case DUSK_MSG_DATA: {
    const dusk_msg_data *a = &ma->u.data, *b = &mb->u.data;
    UEQ(id);
    ck_assert_int_eq(a->found, b->found);
    UEQ(total);
    UEQ(offset);
    SEQ(bytes);
    break;
  }
  default:
    ck_abort_msg("no comparison for message type %u (%s)", ma->type, name);
  }
}

/* ---- helpers ------------------------------------------------------------- */

/* Every proper prefix of the frame is "need more".  Small frames are fed as
 * exact-size heap copies so an over-read is caught by AddressSanitizer;
 * beyond that the decoder only ever reads the 8-byte header, so long frames
 * are fed in place to keep the walk linear. */
static void check_frame_splits(const char *wire, size_t len) {
  for (size_t k = 0; k < len; k++) {
    dusk_wire_frame f;
    dusk_error err;
    ssize_t rc;
    if (len <= 4096 || k <= 2 * DUSK_WIRE_HEADER_SIZE) {
      char *copy = malloc(k ? k : 1);
      ck_assert_ptr_nonnull(copy);
      if (k > 0)
        memcpy(copy, wire, k);
      rc = dusk_wire_decode(copy, k, DUSK_WIRE_DEFAULT_MAX_BODY, &f, &err);
      free(copy);
    } else {
      rc = dusk_wire_decode(wire, k, DUSK_WIRE_DEFAULT_MAX_BODY, &f, &err);
    }
    ck_assert_msg(rc == 0, "%s frame prefix %zu/%zu: rc %zd",
                  dusk_msg_type_name((uint8_t)wire[3]), k, len, rc);
  }
}

/* Encodes m (after some bytes already in the buffer, to check it appends),
 * frame-decodes it split at every byte, decodes it and compares every field,
 * then re-encodes the decoded message and expects the same bytes. */
static void roundtrip(const dusk_msg *m) {
  const char *name = dusk_msg_type_name(m->type);
  dusk_buf enc, again;
  dusk_msg_decoder dec;
  dusk_msg out;
  dusk_error err;
  dusk_wire_frame f;
  char *wire;
  size_t len;
  ssize_t rc;

  dusk_buf_init(&enc);
  ck_assert_int_eq(dusk_buf_append(&enc, "pre", 3), 0);
  ck_assert_msg(dusk_msg_encode(m, &enc) == 0, "%s: encode failed", name);
  ck_assert_mem_eq(enc.data, "pre", 3);
  len = enc.len - 3;
  ck_assert_uint_ge(len, DUSK_WIRE_HEADER_SIZE + 1);
  wire = malloc(len);
  ck_assert_ptr_nonnull(wire);
  memcpy(wire, enc.data + 3, len);
  dusk_buf_destroy(&enc);

  check_frame_splits(wire, len);
  dusk_error_clear(&err);
  rc = dusk_wire_decode(wire, len, DUSK_WIRE_DEFAULT_MAX_BODY, &f, &err);
  ck_assert_msg(rc == (ssize_t)len, "%s: frame decode rc %zd (%s)", name, rc,
                err.message);
  ck_assert_uint_eq(f.type, m->type);
  ck_assert_ptr_eq(f.body.ptr, wire + DUSK_WIRE_HEADER_SIZE);
  ck_assert_uint_eq(f.body.len, len - DUSK_WIRE_HEADER_SIZE);

  ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
  for (int pass = 0; pass < 2; pass++) { /* the decoder is reusable */
    memset(&out, 0xa5, sizeof out);
    ck_assert_msg(dusk_msg_decode(&dec, f.type, f.body, &out, &err) == 0,
                  "%s: decode: %s", name, err.message);
    assert_msg_eq(m, &out);
  }

  dusk_buf_init(&again);
  ck_assert_int_eq(dusk_msg_encode(&out, &again), 0);
  ck_assert_uint_eq(again.len, len);
  ck_assert_mem_eq(again.data, wire, len);
  dusk_buf_destroy(&again);
  dusk_msg_decoder_destroy(&dec);
  free(wire);
}

/* The body bytes of sample (type, variant), as a heap copy of exact size. */
static char *sample_body(uint8_t type, int variant, size_t *len) {
  dusk_msg m;
  dusk_buf enc;
  char *body;

  fill_sample(type, variant, &m);
  dusk_buf_init(&enc);
  ck_assert_int_eq(dusk_msg_encode(&m, &enc), 0);
  *len = enc.len - DUSK_WIRE_HEADER_SIZE;
  body = malloc(*len + 1);
  ck_assert_ptr_nonnull(body);
  memcpy(body, enc.data + DUSK_WIRE_HEADER_SIZE, *len);
  dusk_buf_destroy(&enc);
  return body;
}

/* Decodes an exact-size heap copy of body as `type`. */
static int decode_body(uint8_t type, const void *body, size_t len,
                       dusk_msg *out, dusk_error *err) {
  dusk_msg_decoder dec;
  char *copy = malloc(len ? len : 1);
  int rc;

  ck_assert_ptr_nonnull(copy);
  if (len > 0)
    memcpy(copy, body, len);
  ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
  dusk_error_clear(err);
  rc = dusk_msg_decode(&dec, type, sl(copy, len), out, err);
  dusk_msg_decoder_destroy(&dec);
  free(copy);
  return rc;
}

/* Expects decoding to fail with code and a message holding each needle. */
static void expect_fail(uint8_t type, const void *body, size_t len, int code,
                        const char *needle1, const char *needle2) {
  dusk_msg out;
  dusk_error err;
  int rc = decode_body(type, body, len, &out, &err);
  ck_assert_msg(rc == code, "%s: rc %d (%s), want %d (%s): %s",
                dusk_msg_type_name(type), rc, dusk_strerror(rc), code,
                dusk_strerror(code), err.message);
  ck_assert_int_eq(err.code, code);
  if (needle1 != NULL)
    ck_assert_msg(strstr(err.message, needle1) != NULL,
                  "'%s' not in error '%s'", needle1, err.message);
  if (needle2 != NULL)
    ck_assert_msg(strstr(err.message, needle2) != NULL,
                  "'%s' not in error '%s'", needle2, err.message);
}

typedef struct packed {
  msgpack_sbuffer sb;
  msgpack_packer pk;
} packed;

static void packed_init(packed *p) {
  msgpack_sbuffer_init(&p->sb);
  msgpack_packer_init(&p->pk, &p->sb, msgpack_sbuffer_write);
}

static void packed_destroy(packed *p) { msgpack_sbuffer_destroy(&p->sb); }

static void expect_fail_packed(uint8_t type, packed *p, int code,
                               const char *needle1, const char *needle2) {
  expect_fail(type, p->sb.data, p->sb.size, code, needle1, needle2);
  packed_destroy(p);
}

/* Packs sample (type, 0)'s body again with delta fields: the last ones
 * dropped (delta < 0) or nils appended (delta > 0).  Returns false when the
 * body has too few fields to drop. */
static bool repack_fields(uint8_t type, int delta, packed *p) {
  size_t len, off = 0;
  char *body = sample_body(type, 0, &len);
  msgpack_unpacked u;
  uint32_t n;
  int64_t newn;

  msgpack_unpacked_init(&u);
  ck_assert_int_eq(msgpack_unpack_next(&u, body, len, &off),
                   MSGPACK_UNPACK_SUCCESS);
  ck_assert_int_eq(u.data.type, MSGPACK_OBJECT_ARRAY);
  n = u.data.via.array.size;
  newn = (int64_t)n + delta;
  if (newn < 0) {
    msgpack_unpacked_destroy(&u);
    free(body);
    return false;
  }
  packed_init(p);
  msgpack_pack_array(&p->pk, (size_t)newn);
  for (int64_t i = 0; i < newn; i++) {
    if (i < n)
      msgpack_pack_object(&p->pk, u.data.via.array.ptr[i]);
    else
      msgpack_pack_nil(&p->pk);
  }
  msgpack_unpacked_destroy(&u);
  free(body);
  return true;
}

static char nonce32[DUSK_NONCE_LEN];

/* ---- round trips --------------------------------------------------------- */

START_TEST(test_roundtrip_every_type) {
  /* Loop test: _i walks every (type, variant) pair. */
  dusk_msg m;
  fill_sample(all_types[_i / NVARIANTS], _i % NVARIANTS, &m);
  roundtrip(&m);
}
END_TEST

START_TEST(test_roundtrip_arrays) {
  /* The array-carrying messages again, checking the element counts of the
   * typical samples explicitly so a sample cannot silently lose them. */
  dusk_msg m;
  fill_sample(DUSK_MSG_COMPUTE, 0, &m);
  ck_assert_uint_eq(m.u.compute.ndeps, 3);
  roundtrip(&m);
  fill_sample(DUSK_MSG_SUBMIT, 0, &m);
  ck_assert_uint_eq(m.u.submit.ntasks, 3);
  ck_assert_uint_eq(m.u.submit.tasks[2].ndeps, 2);
  ck_assert_uint_eq(m.u.submit.nwanted, 2);
  roundtrip(&m);
  fill_sample(DUSK_MSG_RELEASE, 0, &m);
  ck_assert_uint_eq(m.u.release.n, 6);
  roundtrip(&m);
  fill_sample(DUSK_MSG_INFO, 0, &m);
  ck_assert_uint_eq(m.u.info.nworkers, 3);
  roundtrip(&m);
  fill_sample(DUSK_MSG_CANCEL, 0, &m);
  ck_assert_uint_eq(m.u.cancel.n, 3);
  roundtrip(&m);
  fill_sample(DUSK_MSG_RELEASE_KEYS, 2, &m);
  ck_assert_uint_eq(m.u.release_keys.n, 97);
  roundtrip(&m);
  fill_sample(DUSK_MSG_DATA, 0, &m);
  ck_assert_uint_eq(m.u.data.bytes.len, 60);
  roundtrip(&m);
}
END_TEST

START_TEST(test_type_names) {
  static const char *const names[] = {
#define XX(name, code, field) #name,
      DUSK_MSG_TYPE_MAP(XX)
#undef XX
  };
  for (size_t i = 0; i < NTYPES; i++) {
    ck_assert(dusk_msg_type_valid(all_types[i]));
    ck_assert_str_eq(dusk_msg_type_name(all_types[i]), names[i]);
  }
  ck_assert_str_eq(dusk_msg_type_name(0), "UNKNOWN");
  ck_assert_str_eq(dusk_msg_type_name(255), "UNKNOWN");
  ck_assert_str_eq(dusk_msg_type_name(1000), "UNKNOWN");
  ck_assert(!dusk_msg_type_valid(1000));
}
END_TEST

START_TEST(test_stream_of_every_type) {
  /* Every typical sample, back to back, fed to one connection buffer a byte
   * at a time and decoded with one decoder. */
  dusk_buf stream, in;
  dusk_msg_decoder dec;
  size_t seen = 0;

  dusk_buf_init(&stream);
  for (size_t t = 0; t < NTYPES; t++) {
    dusk_msg m;
    fill_sample(all_types[t], 0, &m);
    ck_assert_int_eq(dusk_msg_encode(&m, &stream), 0);
  }
  ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
  dusk_buf_init(&in);
  for (size_t i = 0; i < stream.len; i++) {
    dusk_wire_frame f;
    dusk_error err;
    ssize_t rc;
    ck_assert_int_eq(dusk_buf_append(&in, stream.data + i, 1), 0);
    rc = dusk_wire_decode(in.data, in.len, DUSK_WIRE_DEFAULT_MAX_BODY, &f,
                           &err);
    ck_assert_int_ge(rc, 0);
    if (rc > 0) {
      dusk_msg want, got;
      ck_assert_uint_lt(seen, NTYPES);
      fill_sample(all_types[seen], 0, &want);
      ck_assert_msg(dusk_msg_decode(&dec, f.type, f.body, &got, &err) == 0,
                    "%s", err.message);
      assert_msg_eq(&want, &got);
      dusk_buf_consume(&in, (size_t)rc);
      seen++;
    }
  }
  ck_assert_uint_eq(seen, NTYPES);
  ck_assert_uint_eq(in.len, 0);
  dusk_buf_destroy(&in);
  dusk_buf_destroy(&stream);
  dusk_msg_decoder_destroy(&dec);
}
END_TEST

/* ---- malformed bodies: one case per kind --------------------------------- */

START_TEST(test_wrong_field_type) {
  packed p;

  /* A string where an unsigned int is expected names message and field. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_str_with_body(&p.pk, "7", 1);
  msgpack_pack_uint32(&p.pk, 500);
  expect_fail_packed(DUSK_MSG_WELCOME, &p, DUSK_ETYPE, "WELCOME",
                     "'worker_id'");

  packed_init(&p);
  msgpack_pack_array(&p.pk, 11);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_uint64(&p.pk, 2);
  msgpack_pack_uint64(&p.pk, 3);
  msgpack_pack_str_with_body(&p.pk, "x", 1);
  for (int i = 0; i < 7; i++)
    msgpack_pack_uint32(&p.pk, 4);
  expect_fail_packed(DUSK_MSG_HEARTBEAT, &p, DUSK_ETYPE, "'nqueued'", "str");

  /* A negative int where an unsigned one is expected. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int64(&p.pk, -1);
  msgpack_pack_uint32(&p.pk, 500);
  expect_fail_packed(DUSK_MSG_WELCOME, &p, DUSK_ETYPE, "'worker_id'", NULL);

  /* A float where an int is expected. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_double(&p.pk, 1.0);
  expect_fail_packed(DUSK_MSG_HEARTBEAT_ACK, &p, DUSK_ETYPE, "'seq'", "float");

  /* A host_id that is a number. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 5);
  msgpack_pack_str_with_body(&p.pk, "w", 1);
  msgpack_pack_str_with_body(&p.pk, "h", 1);
  msgpack_pack_uint32(&p.pk, 1);
  msgpack_pack_int64(&p.pk, 1);
  msgpack_pack_uint32(&p.pk, 7);
  expect_fail_packed(DUSK_MSG_REGISTER, &p, DUSK_ETYPE, "'host_id'", NULL);

  /* An int where a str is expected. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 5);
  msgpack_pack_uint32(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, "h", 1);
  msgpack_pack_uint32(&p.pk, 1);
  msgpack_pack_int64(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, "", 0);
  expect_fail_packed(DUSK_MSG_REGISTER, &p, DUSK_ETYPE, "REGISTER", "'name'");

  /* A str where bin is expected (the nonce). */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  msgpack_pack_uint32(&p.pk, 1);
  msgpack_pack_uint8(&p.pk, 4);
  msgpack_pack_str_with_body(&p.pk, nonce32, sizeof nonce32);
  expect_fail_packed(DUSK_MSG_HELLO, &p, DUSK_ETYPE, "'nonce'", "bin");

  /* A uint64 beyond int64 in an int64 field. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_uint64(&p.pk, UINT64_MAX);
  msgpack_pack_str_with_body(&p.pk, "m", 1);
  expect_fail_packed(DUSK_MSG_ERROR, &p, DUSK_ETYPE, "'code'", NULL);

  /* An int where a bool is expected. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  msgpack_pack_uint8(&p.pk, 1);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  expect_fail_packed(DUSK_MSG_SUBMIT, &p, DUSK_ETYPE, "'final'", NULL);

  /* Nil where an array is expected. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_nil(&p.pk);
  expect_fail_packed(DUSK_MSG_RELEASE, &p, DUSK_ETYPE, "'ids'", "nil");

  /* Inside arrays: the element field is named. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 4);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, "op", 2);
  msgpack_pack_bin_with_body(&p.pk, "", 0);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, "a:1", 3);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_str_with_body(&p.pk, "2", 1);
  msgpack_pack_str_with_body(&p.pk, "a:1", 3);
  expect_fail_packed(DUSK_MSG_COMPUTE, &p, DUSK_ETYPE, "COMPUTE",
                     "'deps[].id'");

  packed_init(&p);
  msgpack_pack_array(&p.pk, 4);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, "op", 2);
  msgpack_pack_bin_with_body(&p.pk, "", 0);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_uint64(&p.pk, 5);
  expect_fail_packed(DUSK_MSG_COMPUTE, &p, DUSK_ETYPE, "'deps[]'", "array");

  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  msgpack_pack_true(&p.pk);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 4);
  msgpack_pack_str_with_body(&p.pk, "k", 1);
  msgpack_pack_str_with_body(&p.pk, "op", 2);
  msgpack_pack_bin_with_body(&p.pk, "", 0);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_array(&p.pk, 0);
  expect_fail_packed(DUSK_MSG_SUBMIT, &p, DUSK_ETYPE, "'tasks[].deps'", NULL);

  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  msgpack_pack_false(&p.pk);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_bin_with_body(&p.pk, "k", 1);
  expect_fail_packed(DUSK_MSG_SUBMIT, &p, DUSK_ETYPE, "'wanted'", "bin");

  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 11);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, "pid", 3);
  msgpack_pack_str_with_body(&p.pk, "a:1", 3);
  msgpack_pack_uint32(&p.pk, 1);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, "h", 1);
  msgpack_pack_double(&p.pk, 0.0);
  for (int i = 0; i < 4; i++)
    msgpack_pack_uint64(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  expect_fail_packed(DUSK_MSG_INFO, &p, DUSK_ETYPE, "'workers[].pid'", NULL);

  /* The stats block: a string where a count belongs. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_array(&p.pk, 18);
  msgpack_pack_uint32(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, "rss", 3);
  for (int i = 0; i < 16; i++)
    msgpack_pack_uint32(&p.pk, 1);
  expect_fail_packed(DUSK_MSG_INFO, &p, DUSK_ETYPE, "'stats.rss_bytes'",
                     NULL);

  packed_init(&p);
  msgpack_pack_array(&p.pk, 5);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_uint8(&p.pk, 1);
  msgpack_pack_uint64(&p.pk, 0);
  msgpack_pack_uint64(&p.pk, 0);
  msgpack_pack_bin_with_body(&p.pk, "", 0);
  expect_fail_packed(DUSK_MSG_DATA, &p, DUSK_ETYPE, "'found'", NULL);
}
END_TEST

START_TEST(test_field_out_of_range) {
  packed p;

  /* Above the field's width: refused as too big, naming the field. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_uint64(&p.pk, 1ull << 32);
  expect_fail_packed(DUSK_MSG_WELCOME, &p, DUSK_ETOOBIG, "'heartbeat_ms'",
                     NULL);

  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  msgpack_pack_uint32(&p.pk, 1);
  msgpack_pack_uint32(&p.pk, 256);
  msgpack_pack_bin_with_body(&p.pk, nonce32, sizeof nonce32);
  expect_fail_packed(DUSK_MSG_HELLO, &p, DUSK_ETOOBIG, "'role'", NULL);

  /* A port above 65535. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 5);
  msgpack_pack_str_with_body(&p.pk, "w", 1);
  msgpack_pack_str_with_body(&p.pk, "h", 1);
  msgpack_pack_uint32(&p.pk, 65536);
  msgpack_pack_int64(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, "", 0);
  expect_fail_packed(DUSK_MSG_REGISTER, &p, DUSK_ETYPE, "port", NULL);

  /* KEY_STATE state outside DUSK_KEY_*. */
  static const unsigned states[] = {0, DUSK_KEY_GRAPH_ERROR + 1, 255};
  for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
    packed_init(&p);
    msgpack_pack_array(&p.pk, 8);
    msgpack_pack_str_with_body(&p.pk, "k", 1);
    msgpack_pack_uint8(&p.pk, (uint8_t)states[i]);
    msgpack_pack_uint64(&p.pk, 1);
    msgpack_pack_str_with_body(&p.pk, "", 0);
    msgpack_pack_uint64(&p.pk, 1);
    msgpack_pack_str_with_body(&p.pk, "", 0);
    msgpack_pack_str_with_body(&p.pk, "", 0);
    msgpack_pack_str_with_body(&p.pk, "", 0);
    expect_fail_packed(DUSK_MSG_KEY_STATE, &p, DUSK_ETYPE, "state", NULL);
  }

  /* PROGRESS with more done than in total, of tasks or of bytes. */
  for (int bytes = 0; bytes < 2; bytes++) {
    packed_init(&p);
    msgpack_pack_array(&p.pk, 5);
    msgpack_pack_str_with_body(&p.pk, "q", 1);
    msgpack_pack_uint64(&p.pk, bytes ? 1 : 5);
    msgpack_pack_uint64(&p.pk, 4);
    msgpack_pack_uint64(&p.pk, bytes ? 100 : 0);
    msgpack_pack_uint64(&p.pk, bytes ? 99 : 0);
    expect_fail_packed(DUSK_MSG_PROGRESS, &p, DUSK_ETYPE, "more done", NULL);
  }
}
END_TEST

/* Packs a HEARTBEAT: seq 1, 2 keys of 3 bytes, nqueued, rtt 5,
 * nrunning, then the five 64-bit figures (cpu_ns, sample_ns, rss_bytes,
 * memory_limit, bytes_scanned: 1000..1004) with `big` in the one at index
 * `at` (0..4; -1: none). */
static void pack_heartbeat(packed *p, uint32_t nqueued, uint32_t nrunning,
                           int at, uint64_t big) {
  packed_init(p);
  msgpack_pack_array(&p->pk, 11);
  msgpack_pack_uint64(&p->pk, 1);
  msgpack_pack_uint64(&p->pk, 2);
  msgpack_pack_uint64(&p->pk, 3);
  msgpack_pack_uint32(&p->pk, nqueued);
  msgpack_pack_uint32(&p->pk, 5);
  msgpack_pack_uint32(&p->pk, nrunning);
  for (int i = 0; i < 5; i++)
    msgpack_pack_uint64(&p->pk, i == at ? big : 1000u + (unsigned)i);
}

START_TEST(test_heartbeat_figures_bounded) {
  static const char *const names[] = {"'cpu_ns'", "'sample_ns'",
                                      "'rss_bytes'", "'memory_limit'",
                                      "'bytes_scanned'"};
  dusk_msg m;
  dusk_error err;
  packed p;
  /* In range: decoded as sent. */
  pack_heartbeat(&p, 4, 1, 2, (uint64_t)INT64_MAX);
  ck_assert_int_eq(decode_body(DUSK_MSG_HEARTBEAT, p.sb.data, p.sb.size, &m,
                               &err), 0);
  ck_assert_uint_eq(m.u.heartbeat.nqueued, 4);
  ck_assert_uint_eq(m.u.heartbeat.nrunning, 1);
  ck_assert_uint_eq(m.u.heartbeat.cpu_ns, 1000);
  ck_assert_uint_eq(m.u.heartbeat.rss_bytes, (uint64_t)INT64_MAX);
  ck_assert_uint_eq(m.u.heartbeat.bytes_scanned, 1004);
  packed_destroy(&p);
  /* Each byte or time figure above INT64_MAX: refused, naming it (JSON
   * and Prometheus print them as signed numbers). */
  for (int at = 0; at < 5; at++) {
    pack_heartbeat(&p, 1, 0, at, (uint64_t)INT64_MAX + 1);
    expect_fail_packed(DUSK_MSG_HEARTBEAT, &p, DUSK_ETOOBIG, names[at],
                       "exceeds");
  }
  /* More running than handed to the work thread. */
  pack_heartbeat(&p, 1, 2, -1, 0);
  expect_fail_packed(DUSK_MSG_HEARTBEAT, &p, DUSK_ETYPE, "2 tasks running",
                     "of 1 queued");
  pack_heartbeat(&p, 0, 1, -1, 0);
  expect_fail_packed(DUSK_MSG_HEARTBEAT, &p, DUSK_ETYPE, "HEARTBEAT", NULL);
}
END_TEST

/* An INFO of one worker whose cpu_percent is packed as kind says: 0 the
 * float v, 1 the int v, 2 a string. */
static void pack_info_cpu(packed *p, int kind, double v) {
  packed_init(p);
  msgpack_pack_array(&p->pk, 3);
  msgpack_pack_uint64(&p->pk, 0);
  msgpack_pack_array(&p->pk, 1);
  msgpack_pack_array(&p->pk, 11);
  msgpack_pack_uint64(&p->pk, 1);
  msgpack_pack_int64(&p->pk, 2);
  msgpack_pack_str_with_body(&p->pk, "a:1", 3);
  msgpack_pack_uint32(&p->pk, 0);
  msgpack_pack_uint64(&p->pk, 0);
  msgpack_pack_str_with_body(&p->pk, "", 0);
  if (kind == 0)
    msgpack_pack_double(&p->pk, v);
  else if (kind == 1)
    msgpack_pack_uint64(&p->pk, (uint64_t)v);
  else
    msgpack_pack_str_with_body(&p->pk, "1", 1);
  for (int i = 0; i < 4; i++)
    msgpack_pack_uint64(&p->pk, 0);
  msgpack_pack_array(&p->pk, 18);
  for (int i = 0; i < 18; i++)
    msgpack_pack_uint32(&p->pk, 0);
}

START_TEST(test_info_cpu_percent_checked) {
  dusk_msg m;
  dusk_error err;
  packed p;
  dusk_msg_decoder dec;
  /* A whole number may come as an int.  (The workers array lives in the
   * decoder's zone: decoded here, with a decoder kept until it is read.) */
  pack_info_cpu(&p, 1, 150);
  ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
  ck_assert_int_eq(dusk_msg_decode(&dec, DUSK_MSG_INFO,
                                   sl(p.sb.data, p.sb.size), &m, &err), 0);
  ck_assert_uint_eq(m.u.info.nworkers, 1);
  ck_assert(m.u.info.workers[0].cpu_percent == 150.0);
  dusk_msg_decoder_destroy(&dec);
  packed_destroy(&p);
  /* NaN, infinities, negatives and more than the maximum are refused. */
  static const double bad[] = {NAN, INFINITY, -INFINITY, -0.5,
                               DUSK_CPU_PERCENT_MAX * 2};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pack_info_cpu(&p, 0, bad[i]);
    expect_fail_packed(DUSK_MSG_INFO, &p, DUSK_ETOOBIG,
                       "'workers[].cpu_percent'", "outside");
  }
  pack_info_cpu(&p, 2, 0);
  expect_fail_packed(DUSK_MSG_INFO, &p, DUSK_ETYPE,
                     "'workers[].cpu_percent'", "float");
}
END_TEST

START_TEST(test_missing_field) {
  /* Every message with fields, its last field dropped. */
  for (size_t t = 0; t < NTYPES; t++) {
    packed p;
    if (!repack_fields(all_types[t], -1, &p))
      continue;
    expect_fail_packed(all_types[t], &p, DUSK_ETYPE,
                       dusk_msg_type_name(all_types[t]), "fields");
  }
  /* Every field dropped. */
  for (size_t t = 0; t < NTYPES; t++) {
    if (all_types[t] == DUSK_MSG_AUTH_OK || all_types[t] == DUSK_MSG_LEAVING)
      continue;
    expect_fail(all_types[t], "\x90", 1, DUSK_ETYPE,
                dusk_msg_type_name(all_types[t]), "got 0");
  }
  /* A field missing inside an array element. */
  static const unsigned char dep1[] = {0x94, 0x01, 0xa2, 'o',  'p',
                                       0xc4, 0x00, 0x91, 0x91, 0x07};
  expect_fail(DUSK_MSG_COMPUTE, dep1, sizeof dep1, DUSK_ETYPE, "COMPUTE",
              "expected 2 fields, got 1");
  static const unsigned char task3[] = {0x93, 0xc3, 0x91, 0x93, 0xa1, 'k',
                                        0xa2, 'o',  'p',  0xc4, 0x00, 0x90};
  expect_fail(DUSK_MSG_SUBMIT, task3, sizeof task3, DUSK_ETYPE, "SUBMIT",
              "expected 4 fields, got 3");
}
END_TEST

START_TEST(test_extra_field) {
  for (size_t t = 0; t < NTYPES; t++) {
    packed p;
    ck_assert(repack_fields(all_types[t], +1, &p));
    expect_fail_packed(all_types[t], &p, DUSK_ETYPE,
                       dusk_msg_type_name(all_types[t]), "fields");
  }
  /* An extra field inside an array element. */
  static const unsigned char dep3[] = {0x94, 0x01, 0xa2, 'o',  'p',  0xc4,
                                       0x00, 0x91, 0x93, 0x07, 0xa0, 0xc0};
  expect_fail(DUSK_MSG_COMPUTE, dep3, sizeof dep3, DUSK_ETYPE, "COMPUTE",
              "expected 2 fields, got 3");
}
END_TEST

START_TEST(test_trailing_bytes) {
  for (size_t t = 0; t < NTYPES; t++) {
    size_t len;
    char *body = sample_body(all_types[t], 0, &len);
    char *twice = malloc(2 * len);

    /* One stray byte after the value. */
    body[len] = '\0';
    expect_fail(all_types[t], body, len + 1, DUSK_ETRAILING,
                dusk_msg_type_name(all_types[t]), "1 trailing");
    /* A whole second message after the first. */
    ck_assert_ptr_nonnull(twice);
    memcpy(twice, body, len);
    memcpy(twice + len, body, len);
    expect_fail(all_types[t], twice, 2 * len, DUSK_ETRAILING,
                dusk_msg_type_name(all_types[t]), "trailing");
    free(twice);
    free(body);
  }
}
END_TEST

START_TEST(test_truncated_body) {
  for (size_t t = 0; t < NTYPES; t++) {
    for (int variant = 0; variant < 2; variant++) {
      size_t len;
      char *body = sample_body(all_types[t], variant, &len);
      for (size_t k = 0; k < len; k++) {
        dusk_msg out;
        dusk_error err;
        int rc = decode_body(all_types[t], body, k, &out, &err);
        /* Cut inside a value: truncated; cut inside an array: a declared
         * count larger than the bytes left. */
        ck_assert_msg(rc == DUSK_ETRUNC || rc == DUSK_ETOOBIG,
                      "%s prefix %zu/%zu: rc %d (%s)",
                      dusk_msg_type_name(all_types[t]), k, len, rc,
                      err.message);
        ck_assert_ptr_nonnull(
            strstr(err.message, dusk_msg_type_name(all_types[t])));
      }
      free(body);
    }
  }
  /* err is optional. */
  dusk_msg_decoder dec;
  dusk_msg out;
  ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
  ck_assert_int_eq(
      dusk_msg_decode(&dec, DUSK_MSG_WELCOME, sl("\x92\x01", 2), &out, NULL),
      DUSK_ETOOBIG);
  ck_assert_int_eq(dusk_msg_decode(&dec, DUSK_MSG_WELCOME,
                                   sl("\x92\x01\xcd", 3), &out, NULL),
                   DUSK_ETRUNC);
  ck_assert_int_eq(
      dusk_msg_decode(&dec, DUSK_MSG_WELCOME, sl(NULL, 0), &out, NULL),
      DUSK_ETRUNC);
  dusk_msg_decoder_destroy(&dec);
}
END_TEST

START_TEST(test_unknown_type) {
  static const unsigned bad[] = {0, 5, 9, 19, 29, 32, 99, 255};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char want[32];
    dusk_msg m;
    dusk_buf b;

    ck_assert(!dusk_msg_type_valid(bad[i]));
    snprintf(want, sizeof want, "type %u", bad[i]);
    expect_fail((uint8_t)bad[i], "\x90", 1, DUSK_EUNKNOWN, want, NULL);

    /* The encoder refuses it too and leaves the buffer as it was. */
    memset(&m, 0, sizeof m);
    m.type = (uint8_t)bad[i];
    dusk_buf_init(&b);
    ck_assert_int_eq(dusk_buf_append(&b, "abc", 3), 0);
    ck_assert_int_eq(dusk_msg_encode(&m, &b), DUSK_EUNKNOWN);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_mem_eq(b.data, "abc", 3);
    dusk_buf_destroy(&b);
  }
}
END_TEST

START_TEST(test_huge_declared_counts) {
  /* Refused by the header walk, before msgpack-c could reserve anything. */
  static const unsigned char top[] = {0xdd, 0x10, 0x00, 0x00, 0x00};
  for (size_t t = 0; t < NTYPES; t++)
    expect_fail(all_types[t], top, sizeof top, DUSK_ETOOBIG,
                dusk_msg_type_name(all_types[t]), "268435456");

  static const unsigned char release[] = {0x91, 0xdd, 0x10, 0x00, 0x00, 0x00};
  expect_fail(DUSK_MSG_RELEASE, release, sizeof release, DUSK_ETOOBIG,
              "RELEASE", NULL);
  static const unsigned char submit[] = {0x93, 0xc3, 0xdd, 0xff,
                                         0xff, 0xff, 0xff, 0x90};
  expect_fail(DUSK_MSG_SUBMIT, submit, sizeof submit, DUSK_ETOOBIG, "SUBMIT",
              NULL);
  static const unsigned char info[] = {0x92, 0x01, 0xdf, 0x10,
                                       0x00, 0x00, 0x00};
  expect_fail(DUSK_MSG_INFO, info, sizeof info, DUSK_ETOOBIG, "INFO", NULL);
  static const unsigned char cancel[] = {0x91, 0xdc, 0xff, 0xff, 0xa0};
  expect_fail(DUSK_MSG_CANCEL, cancel, sizeof cancel, DUSK_ETOOBIG, "CANCEL",
              NULL);

  /* Byte lengths that cannot fit: refused, not trusted. */
  static const unsigned char name[] = {0x94, 0xdb, 0xff, 0xff, 0xff,
                                       0xff, 0xa0, 0x01, 0x01};
  static const unsigned char args[] = {0x94, 0x01, 0xa0, 0xc6, 0x10,
                                       0x00, 0x00, 0x00, 0x90};
  dusk_msg out;
  dusk_error err;
  int rc = decode_body(DUSK_MSG_REGISTER, name, sizeof name, &out, &err);
  ck_assert_msg(rc == DUSK_ETRUNC || rc == DUSK_ETOOBIG, "rc %d", rc);
  rc = decode_body(DUSK_MSG_COMPUTE, args, sizeof args, &out, &err);
  ck_assert_msg(rc == DUSK_ETRUNC || rc == DUSK_ETOOBIG, "rc %d", rc);
}
END_TEST

START_TEST(test_body_not_array) {
  static const struct {
    const char *b;
    size_t n;
    const char *got;
  } bodies[] = {
      {"\x07", 1, "int"},  {"\xc0", 1, "nil"},         {"\xa1x", 2, "str"},
      {"\x80", 1, "map"},  {"\x81\x01\x02", 3, "map"}, {"\xc4\x00", 2, "bin"},
      {"\xc3", 1, "bool"},
  };
  for (size_t t = 0; t < NTYPES; t++)
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
      expect_fail(all_types[t], bodies[i].b, bodies[i].n, DUSK_ETYPE, "body",
                  bodies[i].got);
}
END_TEST

START_TEST(test_depth_in_body) {
  char deep[40];
  memset(deep, 0x91, sizeof deep - 1);
  deep[sizeof deep - 1] = 0x01;
  expect_fail(DUSK_MSG_HEARTBEAT_ACK, deep, sizeof deep, DUSK_EDEPTH,
              "HEARTBEAT_ACK", NULL);
}
END_TEST

static void pack_hello(packed *p, size_t nonce_len) {
  static const char nonce[64];
  packed_init(p);
  msgpack_pack_array(&p->pk, 3);
  msgpack_pack_uint32(&p->pk, DUSK_PROTO_VERSION);
  msgpack_pack_uint8(&p->pk, DUSK_ROLE_SCHEDULER);
  msgpack_pack_bin_with_body(&p->pk, nonce, nonce_len);
}

/* m encodes (the encoder does not judge), and the decoder refuses what
 * was written with DUSK_ETYPE and a message holding needle. */
static void expect_encoded_refused(const dusk_msg *m, const char *needle) {
  dusk_msg out;
  dusk_buf b;
  dusk_wire_frame f;
  dusk_msg_decoder dec;
  dusk_error err = {0};
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_msg_encode(m, &b), 0);
  ck_assert_int_eq(
      dusk_wire_decode(b.data, b.len, DUSK_WIRE_DEFAULT_MAX_BODY, &f, &err),
      (ssize_t)b.len);
  ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
  ck_assert_int_eq(dusk_msg_decode(&dec, f.type, f.body, &out, &err),
                   DUSK_ETYPE);
  ck_assert_msg(strstr(err.message, needle) != NULL, "'%s' not in '%s'",
                needle, err.message);
  dusk_msg_decoder_destroy(&dec);
  dusk_buf_destroy(&b);
}

START_TEST(test_hello_nonce_length) {
  static const size_t bad[] = {5, 0, 1, DUSK_NONCE_LEN - 1, DUSK_NONCE_LEN + 1,
                               64};
  packed p;
  dusk_msg out;
  dusk_error err;

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pack_hello(&p, bad[i]);
    expect_fail_packed(DUSK_MSG_HELLO, &p, DUSK_ETYPE, "HELLO", "nonce");
  }
  pack_hello(&p, DUSK_NONCE_LEN);
  ck_assert_int_eq(
      decode_body(DUSK_MSG_HELLO, p.sb.data, p.sb.size, &out, &err), 0);
  ck_assert_uint_eq(out.u.hello.nonce.len, DUSK_NONCE_LEN);
  packed_destroy(&p);

  /* The encoder does not judge; the decoder refuses what it wrote. */
  dusk_msg m;
  fill_sample(DUSK_MSG_HELLO, 0, &m);
  m.u.hello.nonce.len = 5;
  expect_encoded_refused(&m, "nonce");
}
END_TEST

/* A dashboard port above 65535 is refused, naming the field. */
START_TEST(test_info_dashboard_port_checked) {
  dusk_msg m;
  fill_sample(DUSK_MSG_INFO, 0, &m);
  m.u.info.stats.dashboard_port = 65536;
  expect_encoded_refused(&m, "dashboard_port");
}
END_TEST

START_TEST(test_auth_mac_length) {
  static const size_t bad[] = {1, DUSK_MAC_LEN - 1, DUSK_MAC_LEN + 1};
  static const char mac[64];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    packed p;
    packed_init(&p);
    msgpack_pack_array(&p.pk, 3);
    msgpack_pack_uint8(&p.pk, DUSK_ROLE_CLIENT);
    msgpack_pack_uint32(&p.pk, DUSK_PROTO_VERSION);
    msgpack_pack_bin_with_body(&p.pk, mac, bad[i]);
    expect_fail_packed(DUSK_MSG_AUTH, &p, DUSK_ETYPE, "AUTH", "mac");
  }
}
END_TEST

static int decode_data(uint64_t total, uint64_t offset, size_t nbytes,
                       dusk_error *err) {
  static const char bytes[64];
  packed p;
  dusk_msg out;
  int rc;
  packed_init(&p);
  msgpack_pack_array(&p.pk, 5);
  msgpack_pack_uint64(&p.pk, 1);
  msgpack_pack_true(&p.pk);
  msgpack_pack_uint64(&p.pk, total);
  msgpack_pack_uint64(&p.pk, offset);
  msgpack_pack_bin_with_body(&p.pk, bytes, nbytes);
  rc = decode_body(DUSK_MSG_DATA, p.sb.data, p.sb.size, &out, err);
  if (rc == 0) {
    ck_assert_uint_eq(out.u.data.total, total);
    ck_assert_uint_eq(out.u.data.offset, offset);
    ck_assert_uint_eq(out.u.data.bytes.len, nbytes);
  }
  packed_destroy(&p);
  return rc;
}

START_TEST(test_data_chunk_outside_total) {
  static const struct {
    uint64_t total, offset;
    size_t n;
  } bad[] =
      {
          {10, 11, 0},
          {10, 5, 6},
          {0, 0, 1},
          {UINT64_MAX, UINT64_MAX, 1},
          {UINT64_MAX, UINT64_MAX - 1, 2},
          {5, UINT64_MAX, 0},
          {UINT64_MAX - 5, UINT64_MAX - 1, 0},
      },
    good[] = {
        {10, 10, 0},
        {10, 4, 6},
        {0, 0, 0},
        {UINT64_MAX, UINT64_MAX - 2, 2},
        {UINT64_MAX, UINT64_MAX, 0},
    };
  dusk_error err;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = decode_data(bad[i].total, bad[i].offset, bad[i].n, &err);
    ck_assert_msg(rc == DUSK_ETYPE, "bad case %zu: rc %d", i, rc);
    ck_assert_ptr_nonnull(strstr(err.message, "DATA"));
  }
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    int rc = decode_data(good[i].total, good[i].offset, good[i].n, &err);
    ck_assert_msg(rc == 0, "good case %zu: %s", i, err.message);
  }
}
END_TEST

/* Encodes m and decodes its body: the decoder's verdict on it. */
static int encode_decode(const dusk_msg *m, dusk_error *err) {
  dusk_buf enc;
  dusk_msg out;
  int rc;
  dusk_buf_init(&enc);
  ck_assert_int_eq(dusk_msg_encode(m, &enc), 0);
  rc = decode_body(m->type, enc.data + DUSK_WIRE_HEADER_SIZE,
                   enc.len - DUSK_WIRE_HEADER_SIZE, &out, err);
  dusk_buf_destroy(&enc);
  return rc;
}

START_TEST(test_task_done_times_checked) {
  /* The worker's parts of its span must fit in it, without overflow. */
  static const uint64_t bad[][4] = {
      /* fetch, wait, run, held */
      {1, 1, 1, 2},
      {0, 0, 5, 4},
      {UINT64_MAX, 1, 0, UINT64_MAX},
      {1, UINT64_MAX, 0, UINT64_MAX},
      {0, 1, UINT64_MAX, UINT64_MAX},
      {UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX},
  };
  dusk_msg m;
  dusk_error err;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    fill_sample(DUSK_MSG_TASK_DONE, 0, &m);
    m.u.task_done.fetch_us = bad[i][0];
    m.u.task_done.wait_us = bad[i][1];
    m.u.task_done.run_us = bad[i][2];
    m.u.task_done.held_us = bad[i][3];
    ck_assert_msg(encode_decode(&m, &err) == DUSK_ETYPE, "case %zu", i);
    ck_assert_ptr_nonnull(strstr(err.message, "held_us"));
  }
  fill_sample(DUSK_MSG_TASK_DONE, 0, &m);
  m.u.task_done.held_us = 20 + 30 + 1500; /* exactly full */
  ck_assert_int_eq(encode_decode(&m, &err), 0);
}
END_TEST

START_TEST(test_profile_checked) {
  /* Loop test: _i picks the field broken in sample 0's second task (or the
   * part), each refused with the message naming it. */
  dusk_msg m;
  dusk_error err;
  dusk_task_profile *t;
  const char *want = "PROFILE";
  int code = DUSK_ETYPE;
  fill_sample(DUSK_MSG_PROFILE, 0, &m);
  t = &profile_tasks[1];
  switch (_i) {
  case 0: t->ready_at = t->sent_at + 1; want = "out of order"; break;
  case 1: t->sent_at = t->start_at + 1; want = "out of order"; break;
  case 2: t->start_at = t->end_at + 1; want = "out of order"; break;
  case 3: t->end_at = t->done_at + 1; want = "out of order"; break;
  case 4: t->done_at = m.u.profile.wall_us + 1; t->end_at = t->done_at;
    want = "out of order"; break;
  case 5: t->held_us = t->done_at - t->sent_at + 1; want = "round trip";
    break;
  case 6: t->fetch_us = t->start_at - t->sent_at; want = "round trip"; break;
  case 7: t->held_us = (t->end_at - t->start_at) + 29; want = "round trip";
    break;
  case 8: t->fetch_us = UINT64_MAX; want = "round trip"; break;
  case 9: t->attempt = 0; want = "attempt 0 of 2"; break;
  case 10: t->attempt = 3; want = "attempt 3 of 2"; break;
  case 11: m.u.profile.planned_us = m.u.profile.wall_us + 1;
    want = "planned_us"; break;
  case 12: t->key = sl(NULL, 0); want = "'tasks[].key'"; code = DUSK_ETOOBIG;
    break;
  case 13: t->key = sl(pattern, DUSK_PROFILE_KEY_MAX + 1);
    want = "'tasks[].key'"; code = DUSK_ETOOBIG; break;
  case 14: t->op = sl(pattern, DUSK_PROFILE_OP_MAX + 1); want = "'tasks[].op'";
    code = DUSK_ETOOBIG; break;
  case 15: t->addr = sl(pattern, DUSK_PROFILE_ADDR_MAX + 1);
    want = "'tasks[].addr'"; code = DUSK_ETOOBIG; break;
  case 16: m.u.profile.key = sl(NULL, 0); want = "'key'";
    code = DUSK_ETOOBIG; break;
  case 17: {
    /* One task more than a part may hold. */
    static dusk_task_profile many[DUSK_PROFILE_PART_MAX + 1];
    for (size_t i = 0; i < DUSK_PROFILE_PART_MAX + 1; i++)
      many[i] = profile_tasks[0];
    m.u.profile.tasks = many;
    m.u.profile.n = DUSK_PROFILE_PART_MAX + 1;
    want = "at most";
    code = DUSK_ETOOBIG;
    break;
  }
  }
  ck_assert_msg(encode_decode(&m, &err) == code, "case %d: %s", _i,
                err.message);
  ck_assert_msg(strstr(err.message, want) != NULL, "case %d: '%s' not in '%s'",
                _i, want, err.message);
}
END_TEST

/* Packs a TASK_FAILED body with reason and the typed fields given. */
static void pack_task_failed_mixed(packed *p, uint64_t reason,
                                   const char *column, size_t column_len,
                                   uint64_t type, uint32_t nruns,
                                   uint32_t nmixed) {
  packed_init(p);
  msgpack_pack_array(&p->pk, 8);
  msgpack_pack_uint64(&p->pk, 9);
  msgpack_pack_uint64(&p->pk, reason);
  msgpack_pack_uint64(&p->pk, 0);
  msgpack_pack_str_with_body(&p->pk, "m", 1);
  msgpack_pack_str_with_body(&p->pk, column, column_len);
  msgpack_pack_uint64(&p->pk, type);
  msgpack_pack_array(&p->pk, nruns);
  for (uint32_t i = 0; i < nruns; i++) {
    msgpack_pack_array(&p->pk, 3);
    msgpack_pack_uint64(&p->pk, i);
    msgpack_pack_uint64(&p->pk, i + 1);
    msgpack_pack_uint64(&p->pk, 1 + i % 4);
  }
  msgpack_pack_array(&p->pk, nmixed);
  for (uint32_t i = 0; i < nmixed; i++)
    msgpack_pack_str_with_body(&p->pk, "col", 3);
}

static void pack_task_failed(packed *p, uint64_t reason, const char *column,
                             size_t column_len, uint64_t type,
                             uint32_t nruns) {
  pack_task_failed_mixed(p, reason, column, column_len, type, nruns,
                         reason == DUSK_FAIL_MIXED ? 2 : 0);
}

START_TEST(test_task_failed_reason_range) {
  static const uint64_t reasons[] = {0, DUSK_FAIL_MIXED + 1, 1000,
                                     UINT32_MAX};
  for (size_t i = 0; i < sizeof reasons / sizeof reasons[0] + 7; i++) {
    uint64_t reason = i < 7 ? (uint64_t)i + 1 : reasons[i - 7];
    int widen = reason == DUSK_FAIL_WIDEN, quotes = reason == DUSK_FAIL_QUOTES;
    packed p;
    dusk_msg out;
    dusk_error err;
    int rc;
    pack_task_failed(&p, reason, "col", widen ? 3 : 0, widen ? 3 : 0,
                     quotes ? 2 : 0);
    rc = decode_body(DUSK_MSG_TASK_FAILED, p.sb.data, p.sb.size, &out, &err);
    if (reason >= DUSK_FAIL_OP && reason <= DUSK_FAIL_MIXED) {
      ck_assert_msg(rc == 0, "reason %llu: %s", (unsigned long long)reason,
                    err.message);
      ck_assert_uint_eq(out.u.task_failed.reason, reason);
    } else {
      ck_assert_msg(rc == DUSK_ETYPE, "reason %llu: rc %d",
                    (unsigned long long)reason, rc);
      ck_assert_ptr_nonnull(strstr(err.message, "TASK_FAILED"));
      ck_assert_ptr_nonnull(strstr(err.message, "reason"));
    }
    packed_destroy(&p);
  }
  /* Wider than the field. */
  packed p;
  pack_task_failed(&p, 1ull << 32 | DUSK_FAIL_OP, "", 0, 0, 0);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETOOBIG, "'reason'", NULL);
}
END_TEST

/* A widening's column travels whole, up to the plan's limit on names. */
START_TEST(test_task_failed_widen_column_whole) {
  static char name[DUSK_FAIL_COLUMN_MAX + 1];
  packed p;
  dusk_msg out;
  dusk_error err;
  memset(name, 'c', sizeof name);
  pack_task_failed(&p, DUSK_FAIL_WIDEN, name, DUSK_FAIL_COLUMN_MAX, 3, 0);
  ck_assert_int_eq(
      decode_body(DUSK_MSG_TASK_FAILED, p.sb.data, p.sb.size, &out, &err), 0);
  ck_assert_uint_eq(out.u.task_failed.column.len, DUSK_FAIL_COLUMN_MAX);
  ck_assert_uint_eq(out.u.task_failed.type, 3);
  packed_destroy(&p);
  pack_task_failed(&p, DUSK_FAIL_WIDEN, name, DUSK_FAIL_COLUMN_MAX + 1, 3, 0);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETOOBIG, "'column'",
                     "65537");
}
END_TEST

/* One case per kind of typed field that does not match its reason. */
START_TEST(test_task_failed_typed_fields_strict) {
  packed p;
  /* A widening without its column, or without its type. */
  pack_task_failed(&p, DUSK_FAIL_WIDEN, "", 0, 3, 0);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "column");
  pack_task_failed(&p, DUSK_FAIL_WIDEN, "x", 1, 0, 0);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "type");
  /* Another reason with a column, a type, or quote runs. */
  pack_task_failed(&p, DUSK_FAIL_OP, "x", 1, 0, 0);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "column");
  pack_task_failed(&p, DUSK_FAIL_QUOTES, "", 0, 2, 1);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "type");
  pack_task_failed(&p, DUSK_FAIL_WIDEN, "x", 1, 3, 1);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "quote runs");
  pack_task_failed(&p, DUSK_FAIL_MISSING_DEP, "", 0, 0, 2);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "quote runs");
  /* Quotes without a run. */
  pack_task_failed(&p, DUSK_FAIL_QUOTES, "", 0, 0, 0);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "quote runs");
  /* A type wider than its byte. */
  pack_task_failed(&p, DUSK_FAIL_WIDEN, "x", 1, 256, 0);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETOOBIG, "'type'", NULL);
  /* A column that is not a string. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 8);
  msgpack_pack_uint64(&p.pk, 9);
  msgpack_pack_uint64(&p.pk, DUSK_FAIL_WIDEN);
  msgpack_pack_uint64(&p.pk, 0);
  msgpack_pack_str_with_body(&p.pk, "m", 1);
  msgpack_pack_bin_with_body(&p.pk, "x", 1);
  msgpack_pack_uint64(&p.pk, 3);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "'column'", "str");
  /* Mixed columns for another reason, or a mixing without them. */
  pack_task_failed_mixed(&p, DUSK_FAIL_OP, "", 0, 0, 0, 1);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "mixed");
  pack_task_failed_mixed(&p, DUSK_FAIL_QUOTES, "", 0, 0, 1, 1);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "mixed");
  pack_task_failed_mixed(&p, DUSK_FAIL_MIXED, "", 0, 0, 0, 0);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "mixed");
  pack_task_failed_mixed(&p, DUSK_FAIL_MIXED, "x", 1, 3, 0, 1);
  expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "TASK_FAILED",
                     "column");
  /* a widening may list more columns needing its type (to_csv's ints) */
  {
    dusk_msg out;
    dusk_error err;
    dusk_msg_decoder dec;
    pack_task_failed_mixed(&p, DUSK_FAIL_WIDEN, "x", 1, 3, 0, 2);
    ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
    ck_assert_int_eq(dusk_msg_decode(&dec, DUSK_MSG_TASK_FAILED,
                                     sl(p.sb.data, p.sb.size), &out, &err),
                     0);
    ck_assert_uint_eq(out.u.task_failed.nmixed, 2);
    ck_assert_uint_eq(out.u.task_failed.type, 3);
    dusk_msg_decoder_destroy(&dec);
    packed_destroy(&p);
  }
}
END_TEST

/* A mixing fillna's columns travel whole and typed; each is a non-empty
 * string of at most DUSK_FAIL_COLUMN_MAX bytes. */
START_TEST(test_task_failed_mixed_columns) {
  static char name[DUSK_FAIL_COLUMN_MAX + 1];
  packed p;
  dusk_msg out;
  dusk_error err;
  memset(name, 'c', sizeof name);
  pack_task_failed_mixed(&p, DUSK_FAIL_MIXED, "", 0, 0, 0, 3);
  {
    /* The decoder owns the array: read it before destroying it. */
    dusk_msg_decoder dec;
    ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
    ck_assert_int_eq(dusk_msg_decode(&dec, DUSK_MSG_TASK_FAILED,
                                     sl(p.sb.data, p.sb.size), &out, &err),
                     0);
    ck_assert_uint_eq(out.u.task_failed.nmixed, 3);
    ck_assert_uint_eq(out.u.task_failed.mixed[2].len, 3);
    ck_assert_int_eq(memcmp(out.u.task_failed.mixed[2].ptr, "col", 3), 0);
    dusk_msg_decoder_destroy(&dec);
  }
  packed_destroy(&p);
  for (int k = 0; k < 4; k++) {
    packed_init(&p);
    msgpack_pack_array(&p.pk, 8);
    msgpack_pack_uint64(&p.pk, 9);
    msgpack_pack_uint64(&p.pk, DUSK_FAIL_MIXED);
    msgpack_pack_uint64(&p.pk, 0);
    msgpack_pack_str_with_body(&p.pk, "m", 1);
    msgpack_pack_str_with_body(&p.pk, "", 0);
    msgpack_pack_uint64(&p.pk, 0);
    msgpack_pack_array(&p.pk, 0);
    msgpack_pack_array(&p.pk, 2);
    msgpack_pack_str_with_body(&p.pk, "a", 1);
    switch (k) {
    case 0: /* an empty name */
      msgpack_pack_str_with_body(&p.pk, "", 0);
      expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE,
                         "mixed column 1", "0 bytes");
      break;
    case 1: /* a name past the limit */
      msgpack_pack_str_with_body(&p.pk, name, DUSK_FAIL_COLUMN_MAX + 1);
      expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE,
                         "mixed column 1", "65537");
      break;
    case 2: /* not a string */
      msgpack_pack_uint64(&p.pk, 7);
      expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "'mixed'",
                         "str");
      break;
    default: /* the longest name is fine */
      msgpack_pack_str_with_body(&p.pk, name, DUSK_FAIL_COLUMN_MAX);
      ck_assert_int_eq(decode_body(DUSK_MSG_TASK_FAILED, p.sb.data,
                                   p.sb.size, &out, &err),
                       0);
      ck_assert_uint_eq(out.u.task_failed.nmixed, 2);
      packed_destroy(&p);
    }
  }
}
END_TEST

/* Each quote run is [first, last, state] with first <= last and state a
 * tokenizer state (1-4). */
START_TEST(test_task_failed_quote_runs_checked) {
  for (int k = 0; k < 8; k++) {
    packed p;
    packed_init(&p);
    msgpack_pack_array(&p.pk, 8);
    msgpack_pack_uint64(&p.pk, 9);
    msgpack_pack_uint64(&p.pk, DUSK_FAIL_QUOTES);
    msgpack_pack_uint64(&p.pk, 0);
    msgpack_pack_str_with_body(&p.pk, "m", 1);
    msgpack_pack_str_with_body(&p.pk, "", 0);
    msgpack_pack_uint64(&p.pk, 0);
    msgpack_pack_array(&p.pk, 1);
    switch (k) {
    case 0: /* first after last */
      msgpack_pack_array(&p.pk, 3);
      msgpack_pack_uint64(&p.pk, 7);
      msgpack_pack_uint64(&p.pk, 6);
      msgpack_pack_uint64(&p.pk, 1);
      msgpack_pack_array(&p.pk, 0);
      expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "quote run 0",
                         "first 7 after last 6");
      break;
    case 1: /* not an array */
      msgpack_pack_uint64(&p.pk, 7);
      msgpack_pack_array(&p.pk, 0);
      expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "'quotes[]'",
                         "array");
      break;
    case 2: /* a field short */
      msgpack_pack_array(&p.pk, 2);
      msgpack_pack_uint64(&p.pk, 1);
      msgpack_pack_uint64(&p.pk, 2);
      msgpack_pack_array(&p.pk, 0);
      expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE,
                         "expected 3 fields", NULL);
      break;
    case 3: /* a state that is not a number (the old in_quotes bool) */
      msgpack_pack_array(&p.pk, 3);
      msgpack_pack_uint64(&p.pk, 1);
      msgpack_pack_uint64(&p.pk, 2);
      msgpack_pack_true(&p.pk);
      msgpack_pack_array(&p.pk, 0);
      expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE,
                         "'quotes[].state'", "unsigned int");
      break;
    case 4: /* state 0: the guess, never a right state */
    case 5: /* state 5: past QUOTE_IN_QUOTES */
      msgpack_pack_array(&p.pk, 3);
      msgpack_pack_uint64(&p.pk, 1);
      msgpack_pack_uint64(&p.pk, 2);
      msgpack_pack_uint64(&p.pk, k == 4 ? 0 : 5);
      msgpack_pack_array(&p.pk, 0);
      expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE, "quote run 0",
                         "not a tokenizer state");
      break;
    case 6: /* a state wider than its byte */
      msgpack_pack_array(&p.pk, 3);
      msgpack_pack_uint64(&p.pk, 1);
      msgpack_pack_uint64(&p.pk, 2);
      msgpack_pack_uint64(&p.pk, 256);
      msgpack_pack_array(&p.pk, 0);
      expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETOOBIG,
                         "'quotes[].state'", NULL);
      break;
    default: /* a negative index */
      msgpack_pack_array(&p.pk, 3);
      msgpack_pack_int64(&p.pk, -1);
      msgpack_pack_uint64(&p.pk, 2);
      msgpack_pack_uint64(&p.pk, 1);
      msgpack_pack_array(&p.pk, 0);
      expect_fail_packed(DUSK_MSG_TASK_FAILED, &p, DUSK_ETYPE,
                         "'quotes[].first'", "unsigned int");
    }
  }
}
END_TEST

/* ---- encoder failures ---------------------------------------------------- */

/* The slice fields of sample (type, 0), for the encoder failure case. */
static size_t slice_fields(dusk_msg *m, dusk_slice **f) {
  size_t n = 0;
  switch ((dusk_msg_type)m->type) {
  case DUSK_MSG_HELLO:
    f[n++] = &m->u.hello.nonce;
    break;
  case DUSK_MSG_AUTH:
    f[n++] = &m->u.auth.mac;
    break;
  case DUSK_MSG_ERROR:
    f[n++] = &m->u.error.message;
    break;
  case DUSK_MSG_REGISTER:
    f[n++] = &m->u.reg.name;
    f[n++] = &m->u.reg.host;
    f[n++] = &m->u.reg.host_id;
    break;
  case DUSK_MSG_COMPUTE:
    f[n++] = &m->u.compute.op;
    f[n++] = &m->u.compute.args;
    f[n++] = &m->u.compute.deps[2].addr;
    break;
  case DUSK_MSG_TASK_FAILED:
    f[n++] = &m->u.task_failed.message;
    f[n++] = &m->u.task_failed.column;
    break;
  case DUSK_MSG_SUBMIT:
    f[n++] = &m->u.submit.tasks[2].key;
    f[n++] = &m->u.submit.tasks[2].args;
    f[n++] = &m->u.submit.tasks[2].deps[1];
    f[n++] = &m->u.submit.wanted[1];
    break;
  case DUSK_MSG_KEY_STATE:
    f[n++] = &m->u.key_state.key;
    f[n++] = &m->u.key_state.addr;
    f[n++] = &m->u.key_state.message;
    break;
  case DUSK_MSG_CANCEL:
    f[n++] = &m->u.cancel.keys[2];
    break;
  case DUSK_MSG_RELEASE_KEYS:
    f[n++] = &m->u.release_keys.keys[2];
    break;
  case DUSK_MSG_INFO:
    f[n++] = &m->u.info.workers[2].addr;
    break;
  case DUSK_MSG_DATA:
    f[n++] = &m->u.data.bytes;
    break;
  default:
    break;
  }
  return n;
}

START_TEST(test_encode_failure_is_enomem) {
  /* A slice of SIZE_MAX bytes makes dusk_buf_append refuse at once with
   * DUSK_ENOMEM, without allocating or reading the bytes: the way to make
   * the packer fail in any field.  msg.h promises 0, DUSK_ENOMEM or
   * DUSK_ETOOBIG, and the buffer as it was.  Every failing field is listed
   * before the case fails. */
  char wrong[DUSK_ERROR_MESSAGE_MAX] = "";
  size_t nwrong = 0, used = 0;

  for (size_t t = 0; t < NTYPES; t++) {
    dusk_slice *fields[8];
    dusk_msg m;
    size_t n;

    fill_sample(all_types[t], 0, &m);
    n = slice_fields(&m, fields);
    for (size_t j = 0; j < n; j++) {
      dusk_buf b;
      int rc;
      fill_sample(all_types[t], 0, &m);
      slice_fields(&m, fields);
      fields[j]->len = SIZE_MAX;
      dusk_buf_init(&b);
      ck_assert_int_eq(dusk_buf_append(&b, "pre", 3), 0);
      rc = dusk_msg_encode(&m, &b);
      ck_assert_uint_eq(b.len, 3);
      dusk_buf_destroy(&b);
      if (rc != DUSK_ENOMEM && rc != DUSK_ETOOBIG) {
        int w = snprintf(wrong + used, sizeof wrong - used, " %s[%zu]=%d",
                         dusk_msg_type_name(all_types[t]), j, rc);
        if (w > 0 && (size_t)w < sizeof wrong - used)
          used += (size_t)w;
        nwrong++;
      }
    }
  }
  ck_assert_msg(nwrong == 0,
                "encode returned neither DUSK_ENOMEM nor DUSK_ETOOBIG for "
                "%zu slice fields (type[field]=rc):%s",
                nwrong, wrong);
}
END_TEST

/* ---- msgpack helpers ----------------------------------------------------- */

START_TEST(test_mp_int_roundtrip) {
  static const struct {
    int64_t v;
    size_t size; /* the smallest encoding */
  } edges[] = {
      {INT64_MIN, 9}, {-2147483649LL, 9},
      {INT32_MIN, 5}, {-32769, 5},
      {-32768, 3},    {-129, 3},
      {-128, 2},      {-33, 2},
      {-32, 1},       {-1, 1},
      {0, 1},         {127, 1},
      {128, 2},       {255, 2},
      {256, 3},       {65535, 3},
      {65536, 5},     {UINT32_MAX, 5},
      {1LL << 32, 9}, {INT64_MAX, 9},
  };
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    dusk_buf b;
    int64_t v = 0x5a5a;
    size_t n;
    char *copy;

    dusk_buf_init(&b);
    ck_assert_int_eq(dusk_buf_append(&b, "x", 1), 0);
    ck_assert_int_eq(dusk_mp_write_int(&b, edges[i].v), 0);
    n = b.len - 1;
    ck_assert_msg(n == edges[i].size, "%lld: %zu bytes, want %zu",
                  (long long)edges[i].v, n, edges[i].size);
    copy = malloc(n + 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, b.data + 1, n);
    ck_assert_int_eq(dusk_mp_read_int(sl(copy, n), &v), 0);
    ck_assert_msg(v == edges[i].v, "wrote %lld, read %lld",
                  (long long)edges[i].v, (long long)v);

    /* Every proper prefix is truncated. */
    for (size_t k = 0; k < n; k++) {
      v = 0x5a5a;
      ck_assert_int_eq(dusk_mp_read_int(sl(copy, k), &v), DUSK_ETRUNC);
      ck_assert_int_eq(v, 0x5a5a);
    }
    /* A trailing byte is refused. */
    copy[n] = 0x00;
    v = 0x5a5a;
    ck_assert_int_lt(dusk_mp_read_int(sl(copy, n + 1), &v), 0);
    ck_assert_int_eq(v, 0x5a5a);
    free(copy);
    dusk_buf_destroy(&b);
  }

  /* A sweep around every power of two, both signs. */
  for (int bit = 0; bit < 63; bit++) {
    for (int64_t d = -2; d <= 2; d++) {
      int64_t vals[2] = {(int64_t)(1ull << bit) + d,
                         -(int64_t)(1ull << bit) + d};
      for (int s = 0; s < 2; s++) {
        dusk_buf b;
        int64_t v;
        dusk_buf_init(&b);
        ck_assert_int_eq(dusk_mp_write_int(&b, vals[s]), 0);
        ck_assert_int_eq(dusk_mp_read_int(sl(b.data, b.len), &v), 0);
        ck_assert_int_eq(v, vals[s]);
        dusk_buf_destroy(&b);
      }
    }
  }
}
END_TEST

START_TEST(test_mp_read_int_forms) {
  static const struct {
    unsigned char b[9];
    size_t n;
    int64_t v;
  } forms[] = {
      {{0xd0, 0x05}, 2, 5},
      {{0xd0, 0x80}, 2, -128},
      {{0xcc, 0x80}, 2, 128},
      {{0xcd, 0x00, 0x01}, 3, 1},
      {{0xd1, 0xff, 0xff}, 3, -1},
      {{0xce, 0xff, 0xff, 0xff, 0xff}, 5, UINT32_MAX},
      {{0xd2, 0x80, 0, 0, 0}, 5, INT32_MIN},
      {{0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9, -1},
      {{0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9, INT64_MAX},
  };
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    int64_t v = 0;
    ck_assert_int_eq(dusk_mp_read_int(sl(forms[i].b, forms[i].n), &v), 0);
    ck_assert_int_eq(v, forms[i].v);
  }
  /* A uint64 beyond INT64_MAX does not fit. */
  static const unsigned char big[] = {0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0};
  int64_t v = 0;
  ck_assert_int_lt(dusk_mp_read_int(sl(big, sizeof big), &v), 0);
  /* Not integers. */
  static const char *const others[] = {"\xc0", "\xc2",         "\xa1x",
                                       "\x90", "\xca\0\0\0\0", "\xc4\x00"};
  static const size_t other_n[] = {1, 1, 2, 1, 5, 2};
  for (size_t i = 0; i < sizeof other_n / sizeof other_n[0]; i++)
    ck_assert_int_eq(dusk_mp_read_int(sl(others[i], other_n[i]), &v),
                     DUSK_ETYPE);
  ck_assert_int_eq(dusk_mp_read_int(sl(NULL, 0), &v), DUSK_ETRUNC);
}
END_TEST

START_TEST(test_mp_read_str) {
  static const size_t lens[] = {0, 1, 31, 32, 255, 256, 65535, 65536};
  static char text[65536];
  for (size_t i = 0; i < sizeof text; i++)
    text[i] = (char)('a' + i % 26);
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    dusk_buf b;
    dusk_slice s;
    size_t n;
    char *copy;

    dusk_buf_init(&b);
    ck_assert_int_eq(dusk_mp_write_str(&b, text, lens[i]), 0);
    n = b.len;
    copy = malloc(n + 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, b.data, n);
    ck_assert_int_eq(dusk_mp_read_str(sl(copy, n), &s), 0);
    ck_assert_uint_eq(s.len, lens[i]);
    ck_assert_ptr_eq(s.ptr, copy + (n - lens[i])); /* borrowed */
    if (lens[i] > 0)
      ck_assert_mem_eq(s.ptr, text, lens[i]);
    /* Prefixes are truncated (checked densely near the header). */
    for (size_t k = 0; k < n; k = k < 16 ? k + 1 : k + 97)
      ck_assert_int_eq(dusk_mp_read_str(sl(copy, k), &s), DUSK_ETRUNC);
    ck_assert_int_eq(dusk_mp_read_str(sl(copy, n - 1), &s), DUSK_ETRUNC);
    /* A trailing byte is refused. */
    copy[n] = 'z';
    ck_assert_int_lt(dusk_mp_read_str(sl(copy, n + 1), &s), 0);
    free(copy);
    dusk_buf_destroy(&b);
  }
  /* Hand-written str8 and str32 forms. */
  dusk_slice s;
  ck_assert_int_eq(dusk_mp_read_str(sl("\xd9\x03"
                                       "abc",
                                       5),
                                    &s),
                   0);
  ck_assert_uint_eq(s.len, 3);
  ck_assert_mem_eq(s.ptr, "abc", 3);
  ck_assert_int_eq(dusk_mp_read_str(sl("\xdb\0\0\0\x02"
                                       "hi",
                                       7),
                                    &s),
                   0);
  ck_assert_uint_eq(s.len, 2);
  /* A huge declared length is truncated, not trusted. */
  ck_assert_int_eq(dusk_mp_read_str(sl("\xdb\xff\xff\xff\xff"
                                       "ab",
                                       7),
                                    &s),
                   DUSK_ETRUNC);
  /* Not strings. */
  ck_assert_int_eq(dusk_mp_read_str(sl("\xc4\x01x", 3), &s), DUSK_ETYPE);
  ck_assert_int_eq(dusk_mp_read_str(sl("\x01", 1), &s), DUSK_ETYPE);
  ck_assert_int_eq(dusk_mp_read_str(sl("\xc0", 1), &s), DUSK_ETYPE);
  ck_assert_int_eq(dusk_mp_read_str(sl(NULL, 0), &s), DUSK_ETRUNC);
}
END_TEST

START_TEST(test_mp_write_nil_and_bin_header) {
  dusk_buf b;
  int64_t v;
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_mp_write_nil(&b), 0);
  ck_assert_uint_eq(b.len, 1);
  ck_assert_uint_eq((unsigned char)b.data[0], 0xc0);
  ck_assert_int_eq(dusk_mp_read_int(sl(b.data, b.len), &v), DUSK_ETYPE);
  dusk_buf_consume(&b, b.len);
  ck_assert_int_eq(dusk_mp_write_bin_header(&b, 3), 0);
  ck_assert_uint_eq(b.len, 2);
  ck_assert_mem_eq(b.data, "\xc4\x03", 2);
  dusk_buf_consume(&b, b.len);
  ck_assert_int_eq(dusk_mp_write_bin_header(&b, 300), 0);
  ck_assert_mem_eq(b.data, "\xc5\x01\x2c", 3);
  dusk_buf_consume(&b, b.len);
  ck_assert_int_eq(dusk_mp_write_bin_header(&b, 70000), 0);
  ck_assert_mem_eq(b.data, "\xc6\x00\x01\x11\x70", 5);
  dusk_buf_destroy(&b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("msg");
  TCase *tc;

  tc = tcase_create("roundtrip");
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_roundtrip_every_type, 0,
                      (int)(NTYPES * NVARIANTS));
  tcase_add_test(tc, test_roundtrip_arrays);
  tcase_add_test(tc, test_type_names);
  tcase_add_test(tc, test_stream_of_every_type);
  suite_add_tcase(s, tc);

  tc = tcase_create("malformed");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_wrong_field_type);
  tcase_add_test(tc, test_field_out_of_range);
  tcase_add_test(tc, test_heartbeat_figures_bounded);
  tcase_add_test(tc, test_info_cpu_percent_checked);
  tcase_add_test(tc, test_info_dashboard_port_checked);
  tcase_add_test(tc, test_missing_field);
  tcase_add_test(tc, test_extra_field);
  tcase_add_test(tc, test_trailing_bytes);
  tcase_add_test(tc, test_truncated_body);
  tcase_add_test(tc, test_unknown_type);
  tcase_add_test(tc, test_huge_declared_counts);
  tcase_add_test(tc, test_body_not_array);
  tcase_add_test(tc, test_depth_in_body);
  tcase_add_test(tc, test_hello_nonce_length);
  tcase_add_test(tc, test_auth_mac_length);
  tcase_add_test(tc, test_data_chunk_outside_total);
  tcase_add_test(tc, test_task_failed_reason_range);
  tcase_add_test(tc, test_task_done_times_checked);
  tcase_add_loop_test(tc, test_profile_checked, 0, 18);
  tcase_add_test(tc, test_task_failed_widen_column_whole);
  tcase_add_test(tc, test_task_failed_typed_fields_strict);
  tcase_add_test(tc, test_task_failed_quote_runs_checked);
  tcase_add_test(tc, test_task_failed_mixed_columns);
  suite_add_tcase(s, tc);

  tc = tcase_create("encode");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_encode_failure_is_enomem);
  suite_add_tcase(s, tc);

  tc = tcase_create("mp");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_mp_int_roundtrip);
  tcase_add_test(tc, test_mp_read_int_forms);
  tcase_add_test(tc, test_mp_read_str);
  tcase_add_test(tc, test_mp_write_nil_and_bin_header);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
