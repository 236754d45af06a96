/* dusk.h - libdusk, the dusk client library: connect to a scheduler (or
 * start a LocalCluster), build task graphs, submit them, wait for and gather
 * results, cancel, and run dataframe queries.
 *
 * All handles are opaque.  Functions return 0 or a negative code
 * (dusk_strerror names it); where a person needs a sentence, the last
 * parameter is an optional dusk_error * that names the key, op, worker or
 * file involved.  A dusk_client is used by one thread at a time; calls block
 * until done or until their timeout (milliseconds, < 0 = no limit).
 *
 * Link with `pkg-config --cflags --libs dusk` (libdusk.so, or libdusk.a with
 * --static).  This header needs only the C standard library and the two
 * public headers installed beside it; it compiles as C99 or later and as
 * C++. */
#ifndef DUSK_H
#define DUSK_H

#include "dusk_errors.h" /* dusk_error, DUSK_E* codes, dusk_strerror */
#include "dusk_tls.h"    /* dusk_tls_files */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every function below is libdusk's public API (exported from the shared
 * library, which hides everything else). */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* ---- versions -------------------------------------------------------------
 * The release this header belongs to.  dusk_version() is the library's at
 * run time: (major << 16) | (minor << 8) | patch, comparable with
 * DUSK_VERSION_HEX; dusk_version_string() is "major.minor.patch" (static).
 * dusk_protocol_version() is the wire protocol this library speaks: a
 * scheduler or worker speaking another one is refused at the handshake with
 * DUSK_EVERSION and a message naming both. */
#define DUSK_VERSION_MAJOR 0
#define DUSK_VERSION_MINOR 3
#define DUSK_VERSION_PATCH 0
#define DUSK_VERSION_HEX                                                     \
  ((DUSK_VERSION_MAJOR << 16) | (DUSK_VERSION_MINOR << 8) | DUSK_VERSION_PATCH)

unsigned int dusk_version(void);
const char *dusk_version_string(void);
int dusk_protocol_version(void);

/* Frees memory libdusk allocated and handed over (gathered results).  NULL
 * is a no-op.  Handles have their own _free functions. */
void dusk_free(void *p);

/* ---- graphs ---------------------------------------------------------------
 * A graph is a list of tasks: key (unique), op name (looked up in the
 * workers' registries), args (msgpack bytes, opaque to the scheduler) and
 * the keys of its inputs, which may be in this graph or in earlier graphs
 * of the same client whose keys are still held. */
typedef struct dusk_graph dusk_graph;

dusk_graph *dusk_graph_new(void);
void dusk_graph_free(dusk_graph *g);
size_t dusk_graph_size(const dusk_graph *g);
/* Copies everything.  0, DUSK_EINVAL (empty key/op) or DUSK_ENOMEM. */
int dusk_graph_add(dusk_graph *g, const char *key, const char *op,
                   const void *args_msgpack, size_t args_len,
                   const char *const *deps, size_t ndeps);
/* Same, with args one msgpack integer / string / none. */
int dusk_graph_add_int(dusk_graph *g, const char *key, const char *op,
                       int64_t arg, const char *const *deps, size_t ndeps);
int dusk_graph_add_str(dusk_graph *g, const char *key, const char *op,
                       const char *arg, const char *const *deps, size_t ndeps);

/* ---- clients ------------------------------------------------------------- */
typedef struct dusk_client dusk_client;

/* address: "tcp://host:port"; token: the cluster's token or NULL. */
int dusk_client_connect(const char *address, const char *token,
                        int timeout_ms, dusk_client **out, dusk_error *err);
/* Same over TLS: tls names this client's certificate, key and the cluster
 * CA (all three; see tls.h), or is NULL for plain TCP.  A scheduler or
 * worker whose certificate the CA did not sign is refused. */
int dusk_client_connect_tls(const char *address, const char *token,
                            const dusk_tls_files *tls, int timeout_ms,
                            dusk_client **out, dusk_error *err);
void dusk_client_free(dusk_client *c);

/* Submits g; the keys in `wanted` are kept until released and can be
 * waited for and gathered.  Returns once the graph is sent; a refused graph
 * (unknown input key, cycle) is reported by the next wait.  A large graph
 * streams out as the scheduler reads it: DUSK_ETIMEDOUT when it has not
 * taken it within timeout_ms, and then the connection is closed (half a
 * graph cannot be taken back), so later calls report DUSK_ECLOSED. */
int dusk_client_submit(dusk_client *c, const dusk_graph *g,
                       const char *const *wanted, size_t nwanted,
                       int timeout_ms, dusk_error *err);

/* Waits until every key is in memory: 0.  DUSK_ETASK when one failed: err
 * names the key, the task that failed, its op and the worker's message.
 * DUSK_ECANCELED, DUSK_EGRAPH (refused graph), DUSK_ETIMEDOUT, DUSK_ECLOSED
 * (scheduler gone). */
int dusk_client_wait(dusk_client *c, const char *const *keys, size_t nkeys,
                     int timeout_ms, dusk_error *err);

/* Fetches results straight from the workers holding them (waiting first if
 * needed).  Each out[i] is msgpack bytes of length lens[i], owned by the
 * caller and freed with dusk_free. */
int dusk_client_gather(dusk_client *c, const char *const *keys, size_t nkeys,
                       int timeout_ms, void **out, size_t *lens,
                       dusk_error *err);
/* One key whose result is a msgpack integer. */
int dusk_client_gather_int(dusk_client *c, const char *key, int timeout_ms,
                           int64_t *out, dusk_error *err);

/* Makes every wait of c (wait, gather, compute, workers, stats) call
 * fn(arg) every period_ms (0 = 50 ms) while it blocks; when fn returns
 * non-zero the wait returns DUSK_EINTR at once ("interrupted while waiting
 * for 'key'"), and dusk_compute cancels its query on the cluster first.
 * A language binding uses it to honour Ctrl-C while it waits without
 * holding its interpreter lock.  fn NULL turns it off.  fn runs on the
 * waiting thread and must not call into c. */
void dusk_client_set_interrupt(dusk_client *c, int (*fn)(void *arg),
                               void *arg, unsigned period_ms);

/* Progress of a running dataframe query, as the scheduler reports it about
 * every 200 ms while it runs: tasks of the query's current attempt
 * finished of all its tasks, and CSV bytes of its finished scans of all
 * the bytes it scans.  A query that reruns (a column widened, a quote
 * state corrected) starts counting again. */
typedef struct dusk_progress {
  uint64_t tasks_done, tasks_total;
  uint64_t bytes_done, bytes_total;
} dusk_progress;

/* Calls fn(arg, query key, progress) from within c's waits (dusk_compute)
 * for each report of a query c runs; fn NULL turns it off.  fn runs on the
 * waiting thread and must not call into c. */
void dusk_client_set_progress(dusk_client *c,
                              void (*fn)(void *arg, const char *key,
                                         const dusk_progress *p),
                              void *arg);

/* ---- query profiles (docs/dashboard.md, "Performance report") ----------
 * With profiling on, each dataframe query c computes (dusk_compute) is
 * recorded task by task on the scheduler, and the records come back just
 * before its result.  Off (the default), nothing is recorded or sent. */

/* One task of a profiled query.  Times are microseconds on the
 * scheduler's clock since the query reached it: ready_us (its inputs were
 * done) <= sent_us (to its worker) <= start_us <= end_us (the op's run,
 * measured by the worker and placed on the scheduler's clock through one
 * offset per worker, so hosts' clocks need not agree) <= done_us (its
 * result reached the scheduler) <= the profile's wall_us.  The durations
 * are the worker's own: fetching inputs from other workers, waiting for
 * its work thread, running the op (end - start), and the whole time it
 * held the task. */
typedef struct dusk_profile_task {
  const char *key, *op;    /* owned by the profile */
  uint64_t worker;         /* the worker's id */
  const char *worker_addr; /* its data address "host:port" */
  uint32_t attempt;        /* of the query, 1.. */
  uint64_t ready_us, sent_us, start_us, end_us, done_us;
  uint64_t fetch_us, wait_us, run_us, held_us;
  uint64_t scan_bytes;   /* CSV bytes of the byte range it scans, else 0 */
  uint64_t result_bytes; /* of its result */
} dusk_profile_task;

typedef struct dusk_profile {
  char *key;   /* the query's key */
  char *query; /* the query as written, or NULL (dusk_profile_set_query) */
  char *plan;  /* the plan, one step a line, the result's step first */
  uint32_t attempts;   /* runs (a widened column reruns a query) */
  uint64_t ntasks;     /* tasks submitted; those not in tasks[] were
                          cancelled with an earlier attempt, or past the
                          cap of 65536 records */
  uint64_t planned_us; /* the query arrived -> its first tasks went out
                          (reading headers and samples, checking, lowering) */
  uint64_t wall_us;    /* the query arrived -> its outcome */
  uint64_t rows;       /* rows of the result table */
  size_t ntask_records;
  dusk_profile_task *tasks; /* in the order the scheduler submitted them */
} dusk_profile;

/* Profiles the queries c computes from now on (on non-zero), or stops. */
void dusk_client_set_profiling(dusk_client *c, int on);
/* The profile of the last query c computed successfully while profiling,
 * now the caller's (dusk_profile_free), or NULL if there is none; a
 * second call returns NULL until another query finishes. */
dusk_profile *dusk_client_take_profile(dusk_client *c);
/* Sets the query's text as the user wrote it (copied): 0 or DUSK_ENOMEM. */
int dusk_profile_set_query(dusk_profile *p, const char *text);
void dusk_profile_free(dusk_profile *p);
/* Writes one self-contained HTML file (inline CSS, SVG timelines; no
 * script, no network) reporting the n profiles in order: each query's text
 * and plan, totals, a timeline per worker, time by activity, bytes per
 * worker and the slowest tasks.  0, or an error naming path. */
int dusk_profile_write_html(const dusk_profile *const *profiles, size_t n,
                            const char *path, dusk_error *err);

/* Cancels keys: unfinished ones (and everything depending on them) stop and
 * report DUSK_ECANCELED.  Release forgets finished keys. */
int dusk_client_cancel(dusk_client *c, const char *const *keys, size_t nkeys,
                       dusk_error *err);
int dusk_client_release(dusk_client *c, const char *const *keys,
                        size_t nkeys, dusk_error *err);

typedef struct dusk_worker_status {
  uint64_t id;
  int64_t pid;
  char addr[96];
  uint32_t nprocessing;
  uint64_t nkeys;
  char host_id[128]; /* its provider's host id (autoscaling), or "" */
  /* From its last heartbeat (all 0 before the first): CPU over the last
   * heartbeat interval (100 per busy thread), resident memory, its
   * --memory-limit, the CSV bytes its scans read since it registered, and
   * the tasks it runs now. */
  double cpu_percent;
  uint64_t rss_bytes, memory_limit_bytes, bytes_scanned;
  uint32_t tasks_running;
} dusk_worker_status;

/* Waits until at least min_workers are registered, then lists up to max of
 * them; *ntasks (optional) receives the number of tasks the scheduler
 * tracks. */
int dusk_client_workers(dusk_client *c, unsigned min_workers, int timeout_ms,
                        dusk_worker_status *out, size_t max, size_t *n,
                        uint64_t *ntasks, dusk_error *err);

/* The scheduler's health: what it tracks, its memory, and the heartbeat
 * round trips its workers measured (since it started; 0 when none). */
typedef struct dusk_scheduler_stats {
  uint64_t ntasks;
  uint32_t nworkers, nclients;
  uint64_t rss_bytes, peak_rss_bytes;
  uint64_t hb_samples;
  uint32_t hb_rtt_p50_us, hb_rtt_p99_us, hb_rtt_max_us;
  /* With dusk-scheduler --autoscale (else all 0): the hosts it wants, has
   * asked for (pending), has running and is stopping; how many it started
   * and stopped so far; the expected run time of the work it sized for. */
  int autoscale;
  uint32_t as_target, as_pending, as_running, as_closing;
  uint64_t as_launched, as_stopped, as_work_ms;
  /* Its HTTP endpoint: the port (0: none), HTTPS or not, and whether it
   * listens on loopback only (plain HTTP while the cluster port is off
   * loopback: reached through a tunnel). */
  int dashboard_port, dashboard_tls, dashboard_local;
} dusk_scheduler_stats;
int dusk_client_stats(dusk_client *c, int timeout_ms,
                      dusk_scheduler_stats *out, dusk_error *err);
/* The scheduler's live page as this client can name it, into out:
 * "http[s]://HOST:PORT/", HOST being the one of the address the client
 * dialed, or 127.0.0.1 / [::1] when the endpoint listens on loopback only;
 * "" when the scheduler serves none.  Asks the scheduler (as
 * dusk_client_stats).  DUSK_EINVAL when out is too small. */
int dusk_client_dashboard_link(dusk_client *c, int timeout_ms, char *out,
                               size_t outlen, dusk_error *err);

/* ---- dataframes -----------------------------------------------------------
 * A dusk_dataframe is a lazy query: building one reads nothing.  Each builder
 * takes ownership of the frame it is given and returns the extended frame
 * (NULL when out of memory, or with err filled for a bad argument; the input
 * is freed either way).  dusk_compute runs a frame on the cluster and
 * returns its result table, with pandas' answer (docs/architecture.md).
 * dusk_dataframe_parse reads the same pandas-like expressions as `dusk query`,
 * e.g. read_csv("fhv*.csv").fillna(0).groupby("PULocationID").count().
 * Relative read_csv paths (and globs) and to_csv directories are made
 * absolute against the calling process's working directory when the frame
 * is built (dusk_read_csv, dusk_to_csv, dusk_dataframe_parse): the
 * scheduler and workers run in directories of their own. */
typedef struct dusk_dataframe dusk_dataframe;
typedef struct dusk_table dusk_table;

typedef struct dusk_read_options {
  char sep;            /* 0 = ',' */
  int64_t blocksize;   /* bytes per partition, 0 = 64 MiB */
  const char *const *usecols;
  size_t nusecols;
  const char *const *dtype_columns; /* with dtype_names: type overrides */
  const char *const *dtype_names;   /* "int64", "float64", "bool", "str";
                                       numpy's "int64" and "bool" fail a
                                       read meeting a missing value, as
                                       pandas' read_csv raises; pandas'
                                       "Int64" and "boolean" hold it */
  size_t ndtypes;
  bool anon; /* s3:// paths: unsigned requests (a public bucket) */
} dusk_read_options;

/* Sets every option to its default (a comma, 64 MiB partitions, all columns,
 * inferred types).  Initialise options with it, then set what differs:
 * fields added in later releases then keep their defaults. */
void dusk_read_options_init(dusk_read_options *o);

int dusk_dataframe_parse(const char *expression, dusk_dataframe **out,
                     dusk_error *err);
dusk_dataframe *dusk_read_csv(const char *const *paths, size_t npaths,
                          const dusk_read_options *opts, dusk_error *err);
dusk_dataframe *dusk_concat(dusk_dataframe **frames, size_t n, dusk_error *err);
/* pandas' left.merge(right, how=, left_on=, right_on=, suffixes=): each
 * left row with every right row whose keys equal its keys (a null key
 * equals a null, as in pandas 1.5), in the right's order; how "inner"
 * drops left rows without a match, "left" keeps them with nulls in the
 * right's columns, "right" keeps the right rows without a match (nulls
 * in the left's columns), "outer" both.  n key pairs (on= gives the same
 * names twice: one key column); suffixes NULL for ("_x", "_y").  A
 * broadcast join when how is "inner" or "left" and the right side is
 * small (at most DUSK_MERGE_MAX_RIGHT_BYTES of CSV): the right side is
 * collected once and every partition of the left probes it.  Otherwise
 * a shuffle join: both sides hash-partitioned by key and each part joined
 * by a task of its own; its rows come in no pandas order, so only
 * aggregations of it (groupby without first / last, len, reductions)
 * are taken, others refused at submit.  Consumes both frames. */
dusk_dataframe *dusk_merge(dusk_dataframe *left, dusk_dataframe *right,
                           const char *how, const char *const *left_on,
                           const char *const *right_on, size_t n,
                           const char *const *suffixes, dusk_error *err);
/* Dask's merge(broadcast=) of merge frame f: 1 a broadcast join (refused
 * at submit past its limit or for how "right" / "outer"), 0 a shuffle
 * join, -1 dusk's choice (the default).  0, or DUSK_EINVAL when f is not
 * a merge's frame. */
int dusk_merge_broadcast(dusk_dataframe *f, int broadcast, dusk_error *err);
/* Merge frame f (how "left" or "inner") as pandas' DataFrame.join(other,
 * on=left_on) of other indexed by right_on: a broadcast join whose rows
 * keep their left rows' labels (a left row met by two right rows gives
 * two rows of its label), where a merge numbers its rows anew.  0, or
 * DUSK_EINVAL when f is not a merge's frame. */
int dusk_merge_join(dusk_dataframe *f, dusk_error *err);
/* column NULL fills every column. */
dusk_dataframe *dusk_fillna_int(dusk_dataframe *f, const char *column, int64_t v,
                            dusk_error *err);
dusk_dataframe *dusk_fillna_float(dusk_dataframe *f, const char *column, double v,
                              dusk_error *err);
dusk_dataframe *dusk_fillna_str(dusk_dataframe *f, const char *column, const char *v,
                            dusk_error *err);
dusk_dataframe *dusk_query(dusk_dataframe *f, const char *expression,
                       dusk_error *err);
/* A column computed from each row: expression in the query language
 * ("DOLocationID - PULocationID", "x * 2 > y"), as pandas' assign(name=...):
 * a new name is appended, an existing one replaced in place, and later
 * steps (filters, groupby keys, aggregates) may use it. */
dusk_dataframe *dusk_assign(dusk_dataframe *f, const char *name,
                            const char *expression, dusk_error *err);
dusk_dataframe *dusk_select(dusk_dataframe *f, const char *const *columns, size_t n,
                        dusk_error *err);
/* pandas' rename(columns={old[i]: new_names[i]}): of a frame, its
 * columns keep their places under the new names; of a computed result
 * (after groupby, value_counts or head), its value columns (the index
 * keeps its names, as pandas').  A name not there is ignored (pandas'
 * errors="ignore"). */
dusk_dataframe *dusk_rename(dusk_dataframe *f, const char *const *old,
                            const char *const *new_names, size_t n,
                            dusk_error *err);
/* pandas' dropna(subset=, how=) of a frame's rows: a row goes when any
 * (how_all 0) or all (how_all 1) of subset[0..n) (n 0: every column)
 * are null. */
dusk_dataframe *dusk_dropna(dusk_dataframe *f, const char *const *subset,
                            size_t n, int how_all, dusk_error *err);
/* A random sample of f's rows, pandas' sample(frac=, random_state=):
 * each row is kept with probability frac (0 <= frac <= 1), decided by a
 * hash of (seed, its byte range, its row in the range), so the same seed
 * and blocksize give the same rows on any cluster; rows stay in file order
 * (pandas shuffles them) and their number is frac times the rows on
 * average.  NULL with err set for a frac outside [0, 1]. */
dusk_dataframe *dusk_sample(dusk_dataframe *f, double frac, uint64_t seed,
                            dusk_error *err);
/* funcs[i] ("count", "size", "sum", "mean", "min", "max", "std", "var",
 * "nunique", "first", "last", "median", "quantile"; std and var with
 * ddof=1, as pandas; first and last: the first / last non-null value in
 * file order; median and quantile exact, of number columns, quantile at
 * 0.5 unless dusk_groupby_quantile_q says otherwise)
 * applies to columns[i]; a NULL column means every non-key column, so
 * groupby(keys).count() is columns = {NULL}, funcs = {"count"}. */
dusk_dataframe *dusk_groupby(dusk_dataframe *f, const char *const *keys, size_t nkeys,
                         const char *const *columns, const char *const *funcs,
                         size_t naggs, dusk_error *err);
/* A whole-frame reduction, pandas' df.sum() / df["x"].std(): funcs[i]
 * ("count", "sum", "mean", "min", "max", "std", "var", "nunique") over
 * columns[i] (NULL: every column it applies to; sum/mean/std/var skip
 * text columns, as pandas drops them).  The result is one row without an
 * index, a column per aggregate; on no rows sums and counts are 0 and the
 * rest null, as pandas gives. */
dusk_dataframe *dusk_reduce(dusk_dataframe *f, const char *const *columns,
                            const char *const *funcs, size_t n,
                            dusk_error *err);
dusk_dataframe *dusk_value_counts(dusk_dataframe *f, const char *column,
                              dusk_error *err);
/* groupby(keys, dropna=group_dropna)[column].value_counts(): per group
 * (sorted by key, a null key last when group_dropna is 0), its values'
 * counts, largest first, ties in pandas 1.5's order (by value, a null
 * first); an index of the keys and the value, the counts named after
 * column.  dusk_dropna_keys then sets value_counts' dropna= (the counted
 * column's nulls), dusk_value_counts_normalize its normalize= (shares of
 * each group).  as_index 0 gives the order pandas' groupby(...,
 * as_index=False) does (its DataFrameGroupBy.value_counts: the counts
 * sorted by numpy's unstable quicksort, then stably by key); follow it
 * with dusk_reset_index(f, "count" or, normalized, "proportion", 0) for
 * pandas' columns.  1 to 15 keys.  Consumes f. */
dusk_dataframe *dusk_groupby_value_counts(dusk_dataframe *f,
                                          const char *const *keys,
                                          size_t nkeys, const char *column,
                                          int group_dropna, int as_index,
                                          dusk_error *err);
/* pandas' dropna= of f's last step, a groupby or value_counts: false
 * (0) makes the rows whose key holds a null (or NaN) a group of their own,
 * sorted after the others (counted, for value_counts); true, the
 * default, drops them.  Consumes f; NULL with err set when f's last step
 * is neither. */
/* Dask's split_out: f's groupby (with keys) hash-partitions its groups
 * into n parts, each merged and finished by a task of its own, so no task
 * holds every group's partial state - for groupbys of millions of groups.
 * The answer is the same (groups in key order); n 1 is one tree, at most
 * 256.  A column's value_counts splits its values the same way (its parts'
 * counts meet in one last task, which sorts them as pandas does). */
dusk_dataframe *dusk_groupby_split_out(dusk_dataframe *f, int n,
                                       dusk_error *err);
dusk_dataframe *dusk_dropna_keys(dusk_dataframe *f, int dropna,
                                 dusk_error *err);
/* The q (0 <= q <= 1) of every "quantile" aggregate of f's last step, a
 * groupby: pandas' groupby(...).quantile(q), linear interpolation.
 * Consumes f; NULL with err set for another step or q outside [0, 1]. */
dusk_dataframe *dusk_groupby_quantile_q(dusk_dataframe *f, double q,
                                        dusk_error *err);
/* The first n rows: of the files (a terminal step), or, after groupby,
 * value_counts or head, of that result. */
dusk_dataframe *dusk_head(dusk_dataframe *f, int64_t n, dusk_error *err);
/* Steps on a computed result (after groupby, value_counts or head), run on
 * the small result table by the query's final task.  sort_values orders
 * rows by the columns by[0..nby) (nby 0: the one value column of a
 * Series-shaped result such as size() or value_counts()), ascending[i] per
 * column (nascending 0: all ascending; 1: one flag for all), nulls last,
 * in pandas' default kind="quicksort" order: by one column, ties come out
 * as numpy's quicksort leaves them (pandas' exact order); by several,
 * stable (ties keep their order), as pandas' lexsort.
 * nlargest(n, col) is a stable sort_values(col, descending) then head(n),
 * pandas' keep="first".
 * Of a whole frame's rows: followed by head(n) it is a top-k (each scan
 * keeps its best n, ties by file order: stable whatever the kind); alone,
 * every row is gathered by the final task and sorted there (memory: the
 * whole result, as any computed frame). */
dusk_dataframe *dusk_sort_values(dusk_dataframe *f, const char *const *by,
                                 size_t nby, const int *ascending,
                                 size_t nascending, dusk_error *err);
/* dusk_sort_values with pandas' kind: "quicksort" (or NULL, the default),
 * "stable" or "mergesort" (ties keep their order); another kind is
 * refused, f consumed. */
dusk_dataframe *dusk_sort_values_kind(dusk_dataframe *f, const char *const *by,
                                      size_t nby, const int *ascending,
                                      size_t nascending, const char *kind,
                                      dusk_error *err);
dusk_dataframe *dusk_tail(dusk_dataframe *f, int64_t n, dusk_error *err);
/* More steps on a computed result: dusk_query, dusk_assign, dusk_select
 * and dusk_rename apply to it as to a frame's rows (expressions see the
 * index and value columns by name; an int column that held a null in the
 * files is float64 there, as pandas holds it), and reset_index turns the
 * index into leading columns (an unnamed one as "index") under a new
 * 0..n-1 index, or drops it (drop 1); name (NULL for none) names a
 * one-column result's values, as pandas' Series.reset_index(name=). */
dusk_dataframe *dusk_reset_index(dusk_dataframe *f, const char *name,
                                 int drop, dusk_error *err);
/* set_index(keys[0..nkeys)), nkeys >= 1: those columns become the index
 * (the old one dropped; drop 0 keeps them as columns too).  Of a whole
 * frame's rows it is Dask's set_index: the rows sorted by the keys
 * (sort_values(keys, kind="stable"): ties in file order, nulls last), so
 * compute() equals pandas' set_index(keys).sort_index(kind="stable"),
 * head(n) / tail(n) are its first / last rows (a top-k), and to_csv(dir)
 * writes it range-partitioned with the keys as the files' index columns.
 * Of a computed result (after groupby, head, ...), pandas' set_index: the
 * rows stay in their order. */
dusk_dataframe *dusk_set_index(dusk_dataframe *f, const char *const *keys,
                               size_t nkeys, int drop, dusk_error *err);
/* The range partitions of a whole frame's sorted rows (f from
 * dusk_set_index or dusk_sort_values of a frame, not yet written), as
 * Dask's set_index(npartitions=, divisions=): what to_csv writes as its
 * files, one per partition, and what dusk_divisions reports.
 * dusk_npartitions: 1 to 256 partitions, cut at samples of the data
 * (the default: one per scan, 2 to 16).  dusk_divisions_*: the n
 * boundaries of n - 1 partitions (2 <= n <= 257) of a sort by one
 * ascending key, sorted: partition j holds the keys in [divisions[j],
 * divisions[j + 1]), the last its upper boundary and the nulls too, and
 * a key outside them fails the write with an error naming it.  Each
 * takes the key's type: _int an int64, float64 (or bool: 0, 1) key, or a
 * datetime's nanoseconds; _float a number key (into an int key rounded
 * to the ints the bounds hold); _str a string key, or a datetime's
 * dates ("2024-01-31 12:00"). */
dusk_dataframe *dusk_npartitions(dusk_dataframe *f, uint32_t npartitions,
                                 dusk_error *err);
dusk_dataframe *dusk_divisions_int(dusk_dataframe *f, const int64_t *divisions,
                                   size_t n, dusk_error *err);
dusk_dataframe *dusk_divisions_float(dusk_dataframe *f,
                                     const double *divisions, size_t n,
                                     dusk_error *err);
dusk_dataframe *dusk_divisions_str(dusk_dataframe *f,
                                   const char *const *divisions, size_t n,
                                   dusk_error *err);
/* The divisions of f's range partitions (f as for dusk_npartitions, of
 * one ascending key): a frame whose dusk_compute gives a table of the key
 * column alone - the least key, the cuts, the greatest non-null key (a
 * repeated cut once, as Dask's) - or f's given divisions, typed as the
 * key.  No row when every key is null.  Reads the key column once. */
dusk_dataframe *dusk_divisions(dusk_dataframe *f, dusk_error *err);
/* Names the result columns of f's last step, a groupby of n aggregates
 * (labels[i] NULL keeps the i-th's name): pandas' named aggregation
 * agg(total=("x", "sum")).  A label "top" DUSK_LABEL_LEVEL_SEP "sub" is a
 * two-level column name, printed as pandas prints the (column, function)
 * MultiIndex of agg({"x": ["min", "max"]}); a plain label among such is
 * (label, ""). */
#define DUSK_LABEL_LEVEL_SEP "\x1f"
dusk_dataframe *dusk_groupby_labels(dusk_dataframe *f,
                                    const char *const *labels, size_t n,
                                    dusk_error *err);
/* pandas' value_counts(normalize=True) of f's last step, a value_counts:
 * each count as its share of the rows counted (float64). */
dusk_dataframe *dusk_value_counts_normalize(dusk_dataframe *f, int normalize,
                                           dusk_error *err);
/* Whole frames: the rows with the n largest (largest 1) or smallest
 * values of by[0..nby), pandas' nlargest / nsmallest with keep="first"
 * (ties in file order, nulls last), as a distributed top-k: each scan
 * keeps its best n.  sort_values(by) then head(n) is the same top-k, and
 * tail(n) of a whole frame gives its last n rows. */
/* The first row of each distinct value of columns[0..n) (n 0: of whole
 * rows), in file order: pandas' drop_duplicates(subset, keep="first"),
 * exact over the whole frame.  Each scan keeps one row per key it meets,
 * so memory grows with the distinct keys, not the rows. */
dusk_dataframe *dusk_drop_duplicates(dusk_dataframe *f,
                                     const char *const *columns, size_t n,
                                     dusk_error *err);
dusk_dataframe *dusk_nlargest(dusk_dataframe *f, int64_t n,
                              const char *const *by, size_t nby, int largest,
                              dusk_error *err);
dusk_dataframe *dusk_len(dusk_dataframe *f, dusk_error *err);
/* count, mean, std, min, 25%, 50%, 75%, max of every int, float and
 * timedelta column, as pandas' describe(): the percentiles are exact.  A
 * number column's rows are float64; a timedelta column's are pandas'
 * object column, here a text column (DUSK_COL_STRING, pandas dtype
 * "object") holding the count and each Timedelta as pandas prints it
 * ("0 days 00:42:25.584412271"), null for NaT. */
dusk_dataframe *dusk_describe(dusk_dataframe *f, dusk_error *err);
/* pandas' describe(percentiles=qs): dusk_describe with a row per
 * percentile between min and max in place of 25%, 50%, 75% - qs[0..nq)
 * (each in [0, 1], distinct) sorted, with 0.5 added when missing, and
 * labelled as pandas labels them ("10%", "33.3%"). */
dusk_dataframe *dusk_describe_percentiles(dusk_dataframe *f, const double *qs,
                                          size_t nq, dusk_error *err);
/* pandas' df["col"].describe(): of a number or timedelta column as
 * dusk_describe; of
 * a text or bool column count, unique, top and freq (from its value
 * counts; of values sharing the highest count, top is the first in
 * value_counts' order), one text column indexed by those names. */
dusk_dataframe *dusk_describe_column(dusk_dataframe *f, const char *column,
                                     dusk_error *err);
/* Exact quantiles qs[0..nq) (each in [0, 1]; pandas' linear
 * interpolation) of columns[0..ncolumns) (int, float, datetime or
 * timedelta columns; ncolumns 0: every int and float column).  The result
 * has one row per quantile, indexed by q, and one column per column:
 * float64, or datetime / timedelta.  Two scans of the data; no worker
 * holds more than a few runs of values. */
dusk_dataframe *dusk_quantile(dusk_dataframe *f, const char *const *columns,
                              size_t ncolumns, const double *qs, size_t nq,
                              dusk_error *err);
/* pandas' median(): quantile 0.5, with an even count's middle pair
 * averaged as (a + b) / 2 like numpy's median (quantile(0.5) interpolates
 * a + (b - a) / 2, which can differ in the last bit). */
dusk_dataframe *dusk_median(dusk_dataframe *f, const char *const *columns,
                            size_t ncolumns, dusk_error *err);
/* Workers write one file per partition, dir/<file>-<range>.part (like
 * Dask's N.part, with each partition's own row numbers as the index); the
 * result lists the files and their row counts.  Of a whole frame sorted
 * by columns (dusk_sort_values over its rows): the rows written sorted,
 * range-partitioned - dir/000000.part, ... in name order are the frame in
 * sort_values(by, kind="stable") order, each file sorted and written by a
 * task of its own. */
dusk_dataframe *dusk_to_csv(dusk_dataframe *f, const char *dir, dusk_error *err);
/* A deep copy of f (builders consume their input: copy a frame to extend
 * it in two ways).  NULL and err when out of memory or f is NULL. */
dusk_dataframe *dusk_dataframe_copy(const dusk_dataframe *f, dusk_error *err);
void dusk_dataframe_free(dusk_dataframe *f);
/* What pandas 1.5 returns for a query, which its print() shows in its own
 * way (dusk_table_print_result): */
enum {
  DUSK_RESULT_FRAME = 0,          /* a DataFrame: the table as it is */
  DUSK_RESULT_SERIES = 1,         /* a Series: the one value column, named
                                     after it, over the index columns */
  DUSK_RESULT_SERIES_UNNAMED = 2, /* the same, named None (size()) */
  DUSK_RESULT_SCALAR = 3,         /* the one value of the one value column
                                     (df["x"].sum(), len) */
  DUSK_RESULT_ROW = 4,            /* a Series over the value columns' names
                                     of the one row's values, named None
                                     (df.sum(), df.count()) */
  DUSK_RESULT_ROW_NAMED = 5,      /* the same, named after the row's index
                                     label (df.quantile(0.3)) */
  DUSK_RESULT_ARRAY = 6,          /* the one value column as an array
                                     (Series.unique(): numpy's, or with
                                     NULLABLE pandas' IntegerArray /
                                     BooleanArray) */
  /* or'ed into SERIES: its values are pandas' nullable Int64 / Float64
   * (value_counts of a column read with dtype "Int64" or "boolean");
   * into ARRAY: the column is pandas' Int64 / boolean */
  DUSK_RESULT_NULLABLE = 0x100
};
/* The DUSK_RESULT_* of a frame: of a parsed expression what pandas gives
 * for it; DUSK_RESULT_FRAME for frames the builders made. */
int dusk_dataframe_result(const dusk_dataframe *f);
/* 1 when column `name` of f's rows is pandas' nullable Int64 or boolean
 * (read_csv's dtype= of that name, kept through the steps that keep a
 * column's dtype), whose unique() and value_counts() pandas returns as
 * nullable arrays; else 0 (numpy's dtype, or no such column). */
int dusk_dataframe_column_masked(const dusk_dataframe *f, const char *name);
/* Sets the partition size of every read_csv in f that did not set one. */
void dusk_dataframe_set_blocksize(dusk_dataframe *f, int64_t bytes);

/* Runs f on the cluster: 0 and *out, or an error naming the file, line,
 * column or value at fault (unknown columns are refused before anything
 * runs, with the closest name). */
int dusk_compute(dusk_client *c, const dusk_dataframe *f, int timeout_ms,
                 dusk_table **out, dusk_error *err);

/* persist(): reads f's files once - every column of every read_csv under
 * f, parsed - into partitions c's workers keep in memory, and gives in
 * *out a frame of the same rows that reads them: queries built from *out
 * copy the columns they need instead of parsing CSV (the steps after
 * read_csv, filters and assigns, still run each time).  A partition lives
 * on the worker that made it and queries run there; one lost with its
 * worker is parsed again.  The partitions stay until dusk_unpersist of
 * *out (or any frame built from it) or until c disconnects; a query on
 * an unpersisted frame fails, saying so.  f must be a frame of rows (not
 * a result) and is not consumed; *rows (may be NULL) receives the rows
 * kept.  0, or an error as dusk_compute's. */
int dusk_persist(dusk_client *c, const dusk_dataframe *f, int timeout_ms,
                 dusk_dataframe **out, int64_t *rows, dusk_error *err);
/* Releases the partitions f's reads are persisted in (none: nothing to
 * do).  0 or an error from the connection. */
int dusk_unpersist(dusk_client *c, const dusk_dataframe *f, dusk_error *err);
/* The persist key f's reads are persisted in, or NULL (f persisted in
 * none; the key of its first persisted read otherwise).  Valid while f
 * is unchanged. */
const char *dusk_dataframe_persisted(const dusk_dataframe *f);

/* Result tables.  The first nindex columns are the index (groupby keys). */
/* DATETIME and TIMEDELTA columns hold int64_t nanoseconds (since
 * 1970-01-01 00:00:00 / a duration), as pandas' datetime64[ns] and
 * timedelta64[ns] do. */
enum { DUSK_COL_BOOL = 1, DUSK_COL_INT64 = 2, DUSK_COL_FLOAT64 = 3,
       DUSK_COL_STRING = 4, DUSK_COL_DATETIME = 5, DUSK_COL_TIMEDELTA = 6,
       DUSK_COL_DATE = 7 /* int64 ns of the day's midnight: .dt.date,
                            pandas' object column of datetime.date */ };
enum { DUSK_FORMAT_TABLE = 1, DUSK_FORMAT_CSV = 2, DUSK_FORMAT_JSON = 3 };
size_t dusk_table_nrows(const dusk_table *t);
size_t dusk_table_ncols(const dusk_table *t);
size_t dusk_table_nindex(const dusk_table *t);
const char *dusk_table_column_name(const dusk_table *t, size_t col);
int dusk_table_column_type(const dusk_table *t, size_t col);
/* A whole column at once, borrowed from t (valid until dusk_table_free):
 * valid[row] is 1 for a value, 0 for a null; values is int64_t[nrows]
 * (DUSK_COL_INT64, DATETIME, TIMEDELTA, DATE), double[nrows] (FLOAT64), uint8_t[nrows] of 0/1 (BOOL)
 * or, for STRING, uint64_t[nrows + 1] offsets into strings, row r being
 * the UTF-8 bytes strings[off[r] .. off[r + 1]).  With nrows 0 the
 * pointers may be NULL.  0, or DUSK_EINVAL for a column out of range. */
typedef struct dusk_column_view {
  int type;
  size_t nrows;
  const uint8_t *valid;
  const void *values;
  const char *strings;
} dusk_column_view;
int dusk_table_column_view(const dusk_table *t, size_t col,
                           dusk_column_view *out);
/* The dtype pandas would hold the column in for the same query on
 * pd.read_csv's frame: "int64", "float64", "bool" or "object" (static
 * strings; NULL when col is out of range).  dusk keeps an int or bool CSV
 * column that holds an empty field as int64 / bool with nulls; pandas reads
 * it as float64 / object, and results made of its values keep that dtype
 * even when no null is left in them (groupby keys, fillna(0), sum, min,
 * max, value_counts values, rows of head and filters).  So an int64
 * column is "float64" when it holds a null or its values come from such a
 * CSV column, else "int64"; a bool column is "object" under the same
 * condition, else "bool" (pandas gives bool again for groupby keys,
 * min/max and a bool fillna); float64 is "float64"; strings "object".
 * A column of pandas' nullable dtypes (read_csv dtype "Int64" or
 * "boolean", and what pandas computes from one: x + 1, x / 2, x > 1,
 * sums and means by group) is "Int64", "Float64" or "boolean", its nulls
 * pandas' <NA>.
 * What is known of the file: the scheduler's sample of its first rows and
 * every row the query's scans read.  head(n) reads only until it has its
 * rows, so a null after them (and after the sample) goes unseen there. */
const char *dusk_table_column_pandas_dtype(const dusk_table *t, size_t col);
/* 1 when the cell is null (or col/row is out of range), else 0. */
int dusk_table_is_null(const dusk_table *t, size_t col, size_t row);
/* Typed cell reads.  Each returns 0 with the value in *out; 1 for a null
 * cell (*out is 0, NaN for float64, NULL and length 0 for strings);
 * DUSK_EINVAL when col or row is out of range; DUSK_ETYPE when the column
 * holds another type; DUSK_EWIDEN when the value cannot be represented
 * exactly in the type asked for.  A number converts only when nothing is
 * lost: int64 reads bool columns (0/1) and integral float64 values within
 * int64's range; float64 reads bool columns and the int64 values a double
 * holds exactly; bool and string read only their own type.  Strings
 * are borrowed bytes (not NUL-terminated), valid until dusk_table_free. */
int dusk_table_int64(const dusk_table *t, size_t col, size_t row,
                     int64_t *out);
int dusk_table_float64(const dusk_table *t, size_t col, size_t row,
                       double *out);
int dusk_table_bool(const dusk_table *t, size_t col, size_t row, int *out);
int dusk_table_string(const dusk_table *t, size_t col, size_t row,
                      const char **out, size_t *len);
/* Writes t as a pandas-style text table, pandas' to_csv, or JSON records. */
int dusk_table_print(const dusk_table *t, int format, FILE *f);
/* The same, but DUSK_FORMAT_TABLE prints the result as pandas' print()
 * shows what pandas returns, `result` a DUSK_RESULT_* (a Series as
 * print(series) does, with its Name/Length/dtype footer; a scalar as
 * print(scalar)).  CSV and JSON are dusk_table_print's, whatever result.
 * A table that does not have the result's shape (a Series' table has one
 * value column; a scalar's and a row's one row) prints as a frame. */
int dusk_table_print_result(const dusk_table *t, int format, int result,
                            FILE *f);
void dusk_table_free(dusk_table *t);

/* ---- LocalCluster ---------------------------------------------------------
 * Starts dusk-scheduler and a dusk-worker nanny of N workers on loopback
 * with a fresh random token, and returns once all have registered.  The
 * children never outlive this process, even when it is killed with
 * SIGKILL.  Binaries are looked for in bin_dir (only there, when set), else
 * $DUSK_BIN_DIR, else next to the running executable, else in the bin
 * folder of the installation libdusk itself was loaded from, else in the
 * bin folder libdusk was built to be installed in, else on PATH. */
typedef struct dusk_cluster dusk_cluster;

typedef struct dusk_cluster_options {
  int nworkers;           /* <= 0: one per vCPU */
  const char *bin_dir;
  const char *plugins;    /* passed to the workers' --plugin */
  const char *log_level;  /* daemons' --log-level, default "warn" */
  int worker_timeout_ms;  /* scheduler's --worker-timeout-ms, 0 = default */
  int worker_queue;       /* scheduler's --worker-queue, 0 = default */
  int start_timeout_ms;   /* default 30000 */
  dusk_tls_files tls;     /* all three set: the daemons and this process's
                             clients speak TLS with these files */
  int scheduler_port;     /* 0 = a free port (the default) */
  const char *token;      /* NULL = a fresh random token */
  const char *memory_limit; /* workers' --memory-limit (per worker: "4GiB",
                               "auto"); NULL = auto */
  const char *spill_dir;  /* workers' --spill-dir; NULL = $TMPDIR or /tmp */
} dusk_cluster_options;

/* Sets the defaults above; initialise options with it before setting
 * fields. */
void dusk_cluster_options_init(dusk_cluster_options *o);
int dusk_cluster_start(const dusk_cluster_options *o, dusk_cluster **out,
                       dusk_error *err);
const char *dusk_cluster_address(const dusk_cluster *cl);
const char *dusk_cluster_token(const dusk_cluster *cl);
/* URL of the scheduler's live page ("http://127.0.0.1:PORT/", https with
 * TLS; it asks for the cluster's token, and /status, /metrics under it
 * want it as a bearer header), or NULL without one. */
const char *dusk_cluster_dashboard_link(const dusk_cluster *cl);
/* Path of the token file the daemons read (valid until stop). */
const char *dusk_cluster_token_file(const dusk_cluster *cl);
int dusk_cluster_nworkers(const dusk_cluster *cl);
int64_t dusk_cluster_scheduler_pid(const dusk_cluster *cl);
int64_t dusk_cluster_nanny_pid(const dusk_cluster *cl);
/* Connects a new client to the cluster. */
int dusk_cluster_client(dusk_cluster *cl, dusk_client **out, dusk_error *err);
/* SIGTERM, then SIGKILL after a bound; frees cl. */
void dusk_cluster_stop(dusk_cluster *cl);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
