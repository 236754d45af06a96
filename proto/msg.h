/* msg.h - every dusk message: a struct, an encoder and a checked decoder.
 *
 * Bodies are msgpack arrays with positional fields.  Decoding first walks the
 * body with dusk_msgcheck (declared sizes, nesting, item count), then
 * msgpack-c unpacks it into the decoder's zone, then a per-message function
 * checks the type and size of every field.  A wrong type, a missing field, an
 * extra field or trailing bytes is an error naming the message and field.
 *
 * Decoded slices and arrays borrow from the frame body and the decoder's
 * zone: they are valid until the next dusk_msg_decode on the same decoder.
 * Decoders are not thread-safe; use one per thread. */
#ifndef DUSK_MSG_H
#define DUSK_MSG_H

#include "buf.h"
#include "errors.h"
#include "msgcheck.h"

#include <stdbool.h>
#include <stdint.h>

#define DUSK_MSG_TYPE_MAP(XX)                                                \
  XX(HELLO, 1, hello)                                                        \
  XX(AUTH, 2, auth)                                                          \
  XX(AUTH_OK, 3, auth_ok)                                                    \
  XX(ERROR, 4, error)                                                        \
  XX(REGISTER, 10, reg)                                                      \
  XX(WELCOME, 11, welcome)                                                   \
  XX(HEARTBEAT, 12, heartbeat)                                               \
  XX(HEARTBEAT_ACK, 13, heartbeat_ack)                                       \
  XX(COMPUTE, 14, compute)                                                   \
  XX(TASK_DONE, 15, task_done)                                               \
  XX(TASK_FAILED, 16, task_failed)                                           \
  XX(RELEASE, 17, release)                                                   \
  XX(LEAVING, 18, leaving)                                                   \
  XX(SUBMIT, 20, submit)                                                     \
  XX(KEY_STATE, 21, key_state)                                               \
  XX(CANCEL, 22, cancel)                                                     \
  XX(RELEASE_KEYS, 23, release_keys)                                         \
  XX(INFO_REQUEST, 24, info_request)                                         \
  XX(INFO, 25, info)                                                         \
  XX(QUERY, 26, query)                                                       \
  XX(PROGRESS, 27, progress)                                                 \
  XX(PROFILE, 28, profile)                                                   \
  XX(GET_DATA, 30, get_data)                                                 \
  XX(DATA, 31, data)

typedef enum dusk_msg_type {
#define XX(name, code, field) DUSK_MSG_##name = (code),
  DUSK_MSG_TYPE_MAP(XX)
#undef XX
} dusk_msg_type;

/* Roles announced in the handshake. */
enum { DUSK_ROLE_CLIENT = 1, DUSK_ROLE_WORKER = 2, DUSK_ROLE_PEER = 3,
       DUSK_ROLE_SCHEDULER = 4 };

/* "client", "worker", "scheduler" (a peer worker is a "worker"), or
 * "peer" for a role we do not know. */
const char *dusk_role_name(unsigned role);

#define DUSK_NONCE_LEN 32
#define DUSK_MAC_LEN 32

/* The handshake: HELLO, AUTH and the ERROR that refuses one are FROZEN -
 * their types, fields and encodings are the same in every protocol version
 * (wire.h's DUSK_PROTO_VERSION), so a peer of another version can still
 * say which version it speaks and hear why it is refused.  Never change
 * them; change anything else and bump DUSK_PROTO_VERSION. */

/* Listener -> peer, first frame on every connection. */
typedef struct dusk_msg_hello {
  uint32_t version;
  uint8_t role;     /* the listener's role */
  dusk_slice nonce; /* DUSK_NONCE_LEN bytes */
} dusk_msg_hello;

/* Peer -> listener: who it is and HMAC-SHA256(token, nonce), or an empty
 * mac when it has no token. */
typedef struct dusk_msg_auth {
  uint8_t role;
  uint32_t version;
  dusk_slice mac; /* 0 or DUSK_MAC_LEN bytes */
} dusk_msg_auth;

typedef struct dusk_msg_auth_ok {
  uint8_t unused;
} dusk_msg_auth_ok;

/* Worker -> scheduler, its last message: it is shutting down on purpose.
 * Its tasks in flight go elsewhere without counting as a worker death. */
typedef struct dusk_msg_leaving {
  uint8_t unused;
} dusk_msg_leaving;

/* Either side, just before closing: why. */
typedef struct dusk_msg_error {
  int64_t code;
  dusk_slice message;
} dusk_msg_error;

/* Worker -> scheduler after the handshake. */
typedef struct dusk_msg_reg {
  dusk_slice name;
  dusk_slice host; /* where peers reach its data listener */
  uint32_t port;
  int64_t pid;
  /* The provider's id of the host it runs on (dusk-worker --host-id), so
   * an autoscaling scheduler knows which host a worker belongs to; empty
   * for a worker no provider started. */
  dusk_slice host_id;
} dusk_msg_reg;

/* A host id (REGISTER's host_id, a provider's output): 1 to
 * DUSK_HOST_ID_MAX bytes of [A-Za-z0-9._:-], so it is safe in a log line,
 * a JSON string and a provider's command line. */
#define DUSK_HOST_ID_MAX 127
bool dusk_host_id_valid(const char *p, size_t len);

typedef struct dusk_msg_welcome {
  uint64_t worker_id;
  uint32_t heartbeat_ms;
} dusk_msg_welcome;

/* Worker -> scheduler every heartbeat_ms: that it lives, and what the
 * dashboard shows of it (docs/dashboard.md), so nothing polls workers.
 * Byte and nanosecond figures are at most INT64_MAX, and nrunning at most
 * nqueued; the decoder refuses anything else. */
typedef struct dusk_msg_heartbeat {
  uint64_t seq;
  uint64_t nkeys;  /* results held */
  uint64_t nbytes; /* bytes of results held */
  uint32_t nqueued; /* tasks handed to its work thread, running included */
  uint32_t rtt_us; /* the previous heartbeat's round trip, 0 = not known */
  uint32_t nrunning;     /* of nqueued, running now */
  uint64_t cpu_ns;       /* CPU time of the worker process (all threads) */
  uint64_t sample_ns;    /* its monotonic clock when cpu_ns was read: the
                            scheduler divides CPU by this clock's deltas */
  uint64_t rss_bytes;    /* resident memory now (/proc/self/statm) */
  uint64_t memory_limit; /* its --memory-limit, bytes; 0 = not known */
  uint64_t bytes_scanned; /* CSV bytes its scans read since it registered
                             with this scheduler */
} dusk_msg_heartbeat;

typedef struct dusk_msg_heartbeat_ack {
  uint64_t seq;
} dusk_msg_heartbeat_ack;

/* One input of a task: its id and the data address ("host:port") of a
 * worker holding it, or an empty address when the receiving worker has it. */
typedef struct dusk_dep {
  uint64_t id;
  dusk_slice addr;
} dusk_dep;

/* Scheduler -> worker: run op(args, inputs...) and keep the result as id. */
typedef struct dusk_msg_compute {
  uint64_t id;
  dusk_slice op;
  dusk_slice args; /* opaque msgpack, never interpreted by the scheduler */
  uint32_t ndeps;
  dusk_dep *deps;
} dusk_msg_compute;

/* Worker -> scheduler.  The times are the worker's own monotonic clock:
 * recv_ns when the COMPUTE arrived (only its differences mean anything),
 * then whole microseconds over disjoint parts of the span from there to
 * this message: fetching inputs from peers, waiting for the work thread,
 * running; held is the whole span, so fetch_us + wait_us + run_us <=
 * held_us (the decoder refuses otherwise).  The scheduler sizes the
 * worker's queue from run_us and, for a profiled query, places the runs
 * on its own clock (profile.c). */
typedef struct dusk_msg_task_done {
  uint64_t id;
  uint64_t nbytes;
  uint64_t run_us;   /* time the op ran */
  uint64_t fetch_us; /* COMPUTE arrived -> every input at hand */
  uint64_t wait_us;  /* inputs at hand -> the op started */
  uint64_t held_us;  /* COMPUTE arrived -> TASK_DONE sent */
  uint64_t recv_ns;  /* the worker's clock when the COMPUTE arrived */
} dusk_msg_task_done;

enum {
  DUSK_FAIL_OP = 1,          /* the op returned an error */
  DUSK_FAIL_UNKNOWN_OP = 2,  /* no op of that name on the worker */
  DUSK_FAIL_MISSING_DEP = 3, /* an input could not be fetched */
  DUSK_FAIL_CANCELED = 4,    /* released while running */
  DUSK_FAIL_WIDEN = 5,       /* a value needs a wider column type than the
                                one the query read it as: column, type */
  DUSK_FAIL_QUOTES = 6,      /* ranges guessed their starting tokenizer
                                state wrong: quotes holds the right states */
  DUSK_FAIL_MIXED = 7        /* a fillna met a null in columns it fills with
                                another kind of value: mixed lists them (the
                                scheduler reruns with them as pandas' object
                                columns, or refuses) */
};

/* Bytes of a column name in a failure: the plan's own limit on names. */
#define DUSK_FAIL_COLUMN_MAX 65536

/* Columns a DUSK_FAIL_MIXED may list: the plan's own limit on columns. */
#define DUSK_FAIL_MIXED_MAX 65536

/* The tokenizer states a quote run may carry: df/csvscan.h's dusk_csv_state
 * FIELD_START (1) .. QUOTE_IN_QUOTES (4); the decoder refuses any other. */
#define DUSK_FAIL_STATE_MIN 1
#define DUSK_FAIL_STATE_MAX 4

/* Ranges first..last (of the same file, by scan index) start in tokenizer
 * state `state` (a dusk_csv_state, DUSK_FAIL_STATE_MIN..MAX). */
typedef struct dusk_quote_run {
  uint64_t first, last; /* first <= last */
  uint8_t state;
} dusk_quote_run;

/* The typed fields are set for their reason only and are empty (empty
 * column, type 0, no quote runs, no mixed columns) for every other; the decoder refuses
 * anything else.  message is for a person in every case. */
typedef struct dusk_msg_task_failed {
  uint64_t id;
  uint32_t reason; /* DUSK_FAIL_* */
  uint64_t dep;    /* for DUSK_FAIL_MISSING_DEP: the input that was missing */
  dusk_slice message;
  dusk_slice column; /* WIDEN: the column, 1..DUSK_FAIL_COLUMN_MAX bytes */
  uint8_t type;      /* WIDEN: the type it needs (a dusk_type, df/value.h),
                        non-zero */
  uint32_t nquotes;  /* QUOTES: at least one run */
  dusk_quote_run *quotes;
  uint32_t nmixed;   /* MIXED: 1..DUSK_FAIL_MIXED_MAX columns, each
                        1..DUSK_FAIL_COLUMN_MAX bytes; WIDEN: optionally
                        more columns needing the same type */
  dusk_slice *mixed;
} dusk_msg_task_failed;

/* Scheduler -> worker: forget these results; cancel these tasks if queued or
 * running. */
typedef struct dusk_msg_release {
  uint32_t n;
  uint64_t *ids;
} dusk_msg_release;

typedef struct dusk_task_spec {
  dusk_slice key;
  dusk_slice op;
  dusk_slice args; /* opaque msgpack */
  uint32_t ndeps;
  dusk_slice *deps; /* keys */
} dusk_task_spec;

/* Client -> scheduler: one part of a graph.  Parts accumulate until the one
 * with final set; keys in `wanted` stay in memory until released. */
typedef struct dusk_msg_submit {
  bool final;
  uint32_t ntasks;
  dusk_task_spec *tasks;
  uint32_t nwanted;
  dusk_slice *wanted;
} dusk_msg_submit;

enum {
  DUSK_KEY_MEMORY = 1,
  DUSK_KEY_ERRED = 2,
  DUSK_KEY_CANCELED = 3,
  DUSK_KEY_GRAPH_ERROR = 4 /* the submitted graph was refused */
};

/* Scheduler -> client: a wanted key finished, failed or was canceled. */
typedef struct dusk_msg_key_state {
  dusk_slice key;
  uint8_t state; /* DUSK_KEY_* */
  uint64_t id;   /* worker-side id, for GET_DATA */
  dusk_slice addr;  /* data address of a worker holding it */
  uint64_t nbytes;
  dusk_slice erred_key; /* the task that failed (itself or an input) */
  dusk_slice op;
  dusk_slice message;
} dusk_msg_key_state;

typedef struct dusk_msg_keys {
  uint32_t n;
  dusk_slice *keys;
} dusk_msg_keys, dusk_msg_cancel, dusk_msg_release_keys;

/* Client -> scheduler: reply with INFO once at least min_workers are
 * registered. */
typedef struct dusk_msg_info_request {
  uint32_t min_workers;
} dusk_msg_info_request;

/* The highest CPU percentage INFO carries: 100 per busy thread, with room
 * to spare for a worker's few threads. */
#define DUSK_CPU_PERCENT_MAX 1e6

typedef struct dusk_worker_info {
  uint64_t id;
  int64_t pid;
  dusk_slice addr;
  uint32_t nprocessing;
  uint64_t nkeys;
  dusk_slice host_id; /* REGISTER's host_id */
  /* From its last heartbeat (0 before the first): */
  double cpu_percent;     /* CPU over the last heartbeat interval, 0..1e6 */
  uint64_t rss_bytes;
  uint64_t memory_limit;
  uint64_t bytes_scanned;
  uint32_t nrunning;
} dusk_worker_info;

/* The scheduler's own health, for operators and load tests. */
typedef struct dusk_sched_stats {
  uint32_t nclients;
  uint64_t rss_bytes;      /* resident now */
  uint64_t peak_rss_bytes; /* high-water mark since start */
  uint64_t hb_samples;     /* heartbeat round trips reported by workers */
  uint32_t hb_rtt_p50_us;  /* their median, microseconds */
  uint32_t hb_rtt_p99_us;
  uint32_t hb_rtt_max_us;
  /* The autoscaler (scheduler/autoscale.h); all 0 without --autoscale. */
  uint8_t as_enabled;
  uint32_t as_target;     /* hosts it wants now */
  uint32_t as_pending;    /* hosts asked for, no worker registered yet */
  uint32_t as_running;    /* hosts with a registered worker */
  uint32_t as_closing;    /* hosts being stopped */
  uint64_t as_launched;   /* hosts started since the scheduler started */
  uint64_t as_stopped;    /* hosts stopped since then */
  uint64_t as_work_ms;    /* the expected run time of the queued work */
  /* The HTTP endpoint, so a client given only the scheduler's address can
   * link to it: its port (0: none), whether it is HTTPS, and whether it
   * listens on loopback only while the cluster port does not (plain HTTP
   * off loopback: reached through a tunnel). */
  uint32_t dashboard_port;
  uint8_t dashboard_tls;
  uint8_t dashboard_local;
} dusk_sched_stats;

typedef struct dusk_msg_info {
  uint64_t ntasks; /* tasks the scheduler currently tracks */
  uint32_t nworkers;
  dusk_worker_info *workers;
  dusk_sched_stats stats;
} dusk_msg_info;

/* Client -> scheduler: run a dataframe query (plan.h) and report its
 * result table under `key` with a KEY_STATE, like a wanted task.  With
 * profile set, the scheduler records each of its tasks and sends them in
 * PROFILE messages just before that KEY_STATE. */
typedef struct dusk_msg_query {
  dusk_slice key;
  dusk_slice plan; /* dusk_plan_encode bytes */
  bool profile;
} dusk_msg_query;

/* Scheduler -> client, every 200 ms while a dataframe query runs:
 * how far its current attempt is (tasks finished of its graph, CSV bytes
 * of its finished scans).  Informational: nothing waits for it. */
typedef struct dusk_msg_progress {
  dusk_slice key; /* the query's key */
  uint64_t tasks_done, tasks_total;
  uint64_t bytes_done, bytes_total;
} dusk_msg_progress;

/* One task of a profiled query.  Times with _at are on the scheduler's
 * clock, microseconds since the query arrived: ready_at <= sent_at <=
 * start_at <= end_at <= done_at <= the query's wall_us, where start_at
 * and end_at are the op's run placed on that clock (profile.c).  The
 * durations are the worker's (TASK_DONE): fetch_us + wait_us <= start_at
 * - sent_at, fetch_us + wait_us + (end_at - start_at) <= held_us <=
 * done_at - sent_at (the scheduler clamps them so).  The decoder refuses
 * anything else. */
typedef struct dusk_task_profile {
  dusk_slice key;  /* 1..DUSK_PROFILE_KEY_MAX bytes */
  dusk_slice op;   /* 1..DUSK_PROFILE_OP_MAX bytes */
  uint64_t worker; /* the worker's id */
  dusk_slice addr; /* its data address, 0..DUSK_PROFILE_ADDR_MAX bytes */
  uint32_t attempt; /* of the query, 1..attempts */
  uint64_t ready_at, sent_at, start_at, end_at, done_at;
  uint64_t fetch_us, wait_us, held_us;
  uint64_t scan_bytes;   /* CSV bytes of the range it scans, else 0 */
  uint64_t result_bytes; /* of its result */
} dusk_task_profile;

#define DUSK_PROFILE_KEY_MAX 256
#define DUSK_PROFILE_OP_MAX 64
#define DUSK_PROFILE_ADDR_MAX 95
/* Records per PROFILE message: with the limits above a part stays under
 * 64 KiB, far below any frame limit. */
#define DUSK_PROFILE_PART_MAX 64
/* Records per query, all parts and attempts: the scheduler records no
 * more, a client accepts no more. */
#define DUSK_PROFILE_TASKS_MAX 65536

/* Scheduler -> client, for a QUERY sent with profile: its task records in
 * parts of up to DUSK_PROFILE_PART_MAX, the last with `last` set, all
 * before the query's KEY_STATE.  The summary fields are the same in every
 * part. */
typedef struct dusk_msg_profile {
  dusk_slice key; /* the query's key */
  bool last;
  uint32_t attempts;   /* runs of the query (a widened column reruns it) */
  uint64_t ntasks;     /* tasks it submitted over all attempts */
  uint64_t planned_us; /* query arrived -> its first tasks submitted
                          (sampling, checking, lowering) */
  uint64_t wall_us;    /* query arrived -> its outcome */
  uint32_t n;          /* records in this part, <= DUSK_PROFILE_PART_MAX */
  dusk_task_profile *tasks;
} dusk_msg_profile;

typedef struct dusk_msg_get_data {
  uint64_t id;
} dusk_msg_get_data;

/* Worker -> requester: one chunk of a result.  A result larger than one
 * frame arrives as several chunks with increasing offsets. */
typedef struct dusk_msg_data {
  uint64_t id;
  bool found;
  uint64_t total;  /* bytes of the whole result */
  uint64_t offset; /* of this chunk */
  dusk_slice bytes;
} dusk_msg_data;

typedef struct dusk_msg {
  uint8_t type;
  union {
#define XX(name, code, field) dusk_msg_##field field;
    DUSK_MSG_TYPE_MAP(XX)
#undef XX
  } u;
} dusk_msg;

/* Holds the msgpack zone that decoded messages borrow from. */
typedef struct dusk_msg_decoder {
  void *zone; /* msgpack_zone *, opaque outside msg.c */
  dusk_msgcheck_limits limits;
} dusk_msg_decoder;

/* Default limits: nesting 16, 4M values per body. */
int dusk_msg_decoder_init(dusk_msg_decoder *d);
void dusk_msg_decoder_destroy(dusk_msg_decoder *d);

bool dusk_msg_type_valid(unsigned type);
/* True for the frozen handshake types: HELLO, AUTH, ERROR. */
bool dusk_msg_type_frozen(unsigned type);
const char *dusk_msg_type_name(unsigned type);

/* Decodes body as a message of the given type into *out.  0, or a negative
 * code with err naming the message type and the field. */
int dusk_msg_decode(dusk_msg_decoder *d, uint8_t type, dusk_slice body,
                    dusk_msg *out, dusk_error *err);

/* Appends one whole frame (header + body) for m to out.  0 or DUSK_ENOMEM,
 * or DUSK_ETOOBIG if the body would exceed 4 GiB - 1. */
int dusk_msg_encode(const dusk_msg *m, dusk_buf *out);

/* Helpers for the small msgpack values that generic ops and tests use: they
 * append to out and return 0 or DUSK_ENOMEM. */
int dusk_mp_write_int(dusk_buf *out, int64_t v);
int dusk_mp_write_str(dusk_buf *out, const char *s, size_t len);
int dusk_mp_write_bin_header(dusk_buf *out, size_t len);
int dusk_mp_write_nil(dusk_buf *out);
/* Reads a whole msgpack integer value: 0, DUSK_ETYPE, DUSK_ETRUNC,
 * DUSK_ETRAILING (bytes after the value) or DUSK_ETOOBIG (over INT64_MAX). */
int dusk_mp_read_int(dusk_slice in, int64_t *v);
/* Reads a whole msgpack str value (borrowed): 0, DUSK_ETYPE, DUSK_ETRUNC
 * or DUSK_ETRAILING. */
int dusk_mp_read_str(dusk_slice in, dusk_slice *s);

#endif
