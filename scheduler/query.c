/* query.c - dataframe queries: from a plan to tasks and back.
 *
 * A query goes through:
 *   sampling  (libuv thread pool) expand globs, stat every file, read every
 *             header, sample the first rows of the first file of each
 *             read_csv to infer column types;
 *   checking  (loop) walk the plan against those schemas: unknown columns
 *             (with the closest name), aggregates that do not apply, ill-
 *             typed filters - a clear error at submit time;
 *   running   lower into one df_scan per byte range, a df_combine tree and
 *             a df_final, submitted like any graph of the client's (to_csv
 *             first counts every range's rows: add_scans' count stage);
 *   redoing   when the final task fails with reason DUSK_FAIL_WIDEN (a
 *             value needs a wider type than the sample showed),
 *             DUSK_FAIL_QUOTES (ranges guessed their starting tokenizer
 *             state wrong) or DUSK_FAIL_MIXED (a fillna mixes kinds of
 *             values in columns), the query widens the column, records
 *             the right states or marks the columns mixed, from the
 *             failure's typed fields, and runs again.  All converge: types
 *             only widen, states become known, columns only become mixed.
 * Then the client gets a KEY_STATE for its query key, as for a task. */
#include "internal.h"

#include "csvscan.h"
#include "dftask.h"
#include "exprtype.h"
#include "fieldparse.h"
#include "groupest.h"
#include "hashmap.h"
#include "join.h"
#include "log.h"
#include "plan.h"
#include "xalloc.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Rows per batch while sampling: the sample is small, so is this. */
#define SAMPLE_BATCH_ROWS 4096

typedef struct qfile {
  char *path;
  uint64_t size, data_start;
  char version[128]; /* a remote object's ETag as listed (source.h) */
  bool ranges;       /* false: a server without Range, read as one range */
} qfile;

/* One read_csv of the plan and what sampling found. */
typedef struct qleaf {
  dusk_plan *node; /* in q->plan */
  qfile *files;
  size_t nfiles;
  char **header; /* all columns of the files, in file order */
  size_t ncols;
  dusk_type *types;  /* per header column: inferred, then overridden */
  uint8_t *needed;   /* per header column: read by the query */
  uint8_t *sample_null; /* per header column: the sample held a null */
  uint8_t *sample_text; /* per header column: a sample value that is no
                           ISO date-time and may be no date-time to
                           pandas either (parse_dates leaves it text);
                           one pandas certainly reads is left to the
                           scans, which refuse it naming its line */
  /* For the automatic split_out (groupest.h): per header column, the
   * sample's distinct values and their bytes; the sample's rows and the
   * bytes they came from; the bytes of data in all the files.  (NULL and
   * 0 for a persisted read, which is not sampled.) */
  dusk_kmv *distinct;
  uint64_t *value_bytes;
  uint64_t sample_rows, sample_span, data_bytes;
  bool right; /* under a merge's right input: collected once (the merge's
                 right table), not scanned with the query's rows */
  /* A persisted read (plan.h csv.persisted): what sampling would find is
   * copied from the persist query's leaf `pleaf`, whose files start at
   * its file ordinal pfile_base; its scans read that query's partitions. */
  const char *persisted; /* borrowed from node */
  size_t pleaf;
  uint64_t pfile_base;
} qleaf;

/* The columns of a concat that one of its inputs lacks (another input
 * has them): that input's scans make each a column of missing values of
 * the concat's type for it, as pandas' concat aligns frames by name (an
 * outer join).  Rebuilt by every check. */
typedef struct concat_gap {
  const dusk_plan *concat;
  size_t input;
  dusk_dtype *cols; /* names owned */
  size_t n;
} concat_gap;

/* Ranges first..last (same file) start in the given tokenizer state
 * (dusk_csv_state). */
typedef struct qstate {
  uint64_t first, last;
  int state;
} qstate;

enum { Q_SAMPLING, Q_RUNNING, Q_DONE };

struct sched_query {
  uint64_t id;
  dusk_scheduler *s;
  uint64_t start_ns; /* when it arrived, for the graph latency; 0 once
                        its outcome was reported */
  sched_client *c; /* NULL once the client is gone */
  sched_query *next;
  char *key;
  dusk_plan *plan;     /* checked (aggregates expanded) for this attempt */
  dusk_plan *original; /* as the client sent it */
  /* While checking a set_index's sort: "set_index", the step a user
   * wrote, for the sort's unknown-key errors (else NULL: sort_values) */
  const char *sort_step;
  qleaf *leaves;
  size_t nleaves;
  int state;
  int attempt;
  uv_work_t work;
  dusk_error err; /* from sampling */
  char final_key[96];
  qstate *quotes;
  size_t nquotes;
  /* Columns a fillna mixes (plan.h, mixed): known to meet a null there
   * (DUSK_FAIL_MIXED, or the sample), and, while checking, the string columns
   * that might mix whose use would then be refused ("sensitive"). */
  char **mixed;
  size_t nmixed;
  /* A merge's keys kept once (how right / outer) with ints on the left
   * and floats on the right where a right-only row was met (a df_join's
   * DUSK_FAIL_WIDEN): pandas' key column is float64 then, and int64 when
   * every row has a left one, so the left's key is cast (check_merge)
   * only once a run has shown such a row. */
  char **float_keys;
  size_t nfloat_keys;
  char **sensitive;
  size_t nsensitive;
  concat_gap *gaps;
  size_t ngaps;
  /* The plan's merge (one at most; NULL: none), set by each check, with
   * its left columns' names before and after it (dusk_merge_names): a
   * column asked for above the merge is read under its left name. */
  dusk_plan *merge;
  char **merge_lin, **merge_lout, **merge_rout; /* rout: NULL dropped */
  size_t merge_nleft, merge_nright;
  /* The merge is a shuffle join (add_shuffle_join), not a broadcast one:
   * how right / outer, a right side past DUSK_MERGE_MAX_RIGHT_BYTES, or
   * broadcast=False (check_merge decides). */
  bool shuffle_merge;
  sched_query *next_due; /* in s->queries_due */
  int due;
  /* Copied from the configuration for the sampling thread. */
  uint64_t sample_bytes, max_field;
  /* Progress of the current attempt, sent to the client (PROGRESS) every
   * PROGRESS_MS while it runs: the keys of the attempt's tasks and the
   * CSV bytes each scans (0 for the others).  The timer is its own
   * allocation, closed (and freed) after the query goes. */
  char **prog_keys;
  uint64_t *prog_bytes;
  size_t nprog;
  uint64_t prog_bytes_total;
  uv_timer_t *prog_timer;
  sched_profile *prof; /* QUERY's profile flag (profile.c), else NULL */
  /* persist(): the plan's root is DUSK_PLAN_PERSIST.  The current
   * attempt's partitions (its scans' keys) are kept (dusk__sched_keep)
   * until a rerun, a failure or the client's release of the query key;
   * persisted_ok once the query succeeded, from when later queries may
   * read them. */
  bool persist, persisted_ok;
  char **kept;
  size_t nkept;
  /* Keys to mark stay once submitted (stay_where_made). */
  char **stay;
  size_t nstay;
};

/* How often a running query reports its progress. */
#define PROGRESS_MS 200

static void prog_timer_closed(uv_handle_t *h) { free(h); }

static void progress_clear(sched_query *q) {
  for (size_t i = 0; i < q->nprog; i++)
    free(q->prog_keys[i]);
  free(q->prog_keys);
  free(q->prog_bytes);
  q->prog_keys = NULL;
  q->prog_bytes = NULL;
  q->nprog = 0;
  q->prog_bytes_total = 0;
}

static void gaps_clear(sched_query *q) {
  for (size_t g = 0; g < q->ngaps; g++) {
    for (size_t c = 0; c < q->gaps[g].n; c++)
      free(q->gaps[g].cols[c].column);
    free(q->gaps[g].cols);
  }
  free(q->gaps);
  q->gaps = NULL;
  q->ngaps = 0;
}

static const concat_gap *gap_of(const sched_query *q, const dusk_plan *concat,
                                size_t input) {
  for (size_t g = 0; g < q->ngaps; g++)
    if (q->gaps[g].concat == concat && q->gaps[g].input == input)
      return &q->gaps[g];
  return NULL;
}

static void merge_names_clear(sched_query *q) {
  for (size_t i = 0; i < q->merge_nleft; i++) {
    free(q->merge_lin[i]);
    free(q->merge_lout[i]);
  }
  free(q->merge_lin);
  free(q->merge_lout);
  for (size_t i = 0; i < q->merge_nright; i++)
    free(q->merge_rout[i]);
  free(q->merge_rout);
  q->merge_lin = q->merge_lout = q->merge_rout = NULL;
  q->merge_nleft = q->merge_nright = 0;
  q->merge = NULL;
}

/* Lets go of the partitions q keeps (persist). */
static void unkeep_all(sched_query *q) {
  for (size_t i = 0; i < q->nkept; i++) {
    /* a client gone frees all its tasks itself */
    if (q->c != NULL && q->c->conn != NULL)
      dusk__sched_unkeep(q->s, q->c, q->kept[i]);
    free(q->kept[i]);
  }
  free(q->kept);
  q->kept = NULL;
  q->nkept = 0;
}

static void query_free(sched_query *q) {
  unkeep_all(q);
  for (size_t i = 0; i < q->nstay; i++)
    free(q->stay[i]);
  free(q->stay);
  if (q->due) {
    sched_query **pp;
    for (pp = &q->s->queries_due; *pp != NULL; pp = &(*pp)->next_due)
      if (*pp == q) {
        *pp = q->next_due;
        break;
      }
  }
  for (size_t l = 0; l < q->nleaves; l++) {
    qleaf *lf = &q->leaves[l];
    for (size_t f = 0; f < lf->nfiles; f++)
      free(lf->files[f].path);
    free(lf->files);
    for (size_t c = 0; c < lf->ncols; c++)
      free(lf->header[c]);
    free(lf->header);
    free(lf->types);
    free(lf->needed);
    free(lf->sample_null);
    free(lf->sample_text);
    free(lf->distinct);
    free(lf->value_bytes);
  }
  gaps_clear(q);
  merge_names_clear(q);
  free(q->leaves);
  free(q->quotes);
  for (size_t i = 0; i < q->nmixed; i++)
    free(q->mixed[i]);
  free(q->mixed);
  for (size_t i = 0; i < q->nfloat_keys; i++)
    free(q->float_keys[i]);
  free(q->float_keys);
  for (size_t i = 0; i < q->nsensitive; i++)
    free(q->sensitive[i]);
  free(q->sensitive);
  dusk_plan_free(q->plan);
  dusk_plan_free(q->original);
  free(q->key);
  dusk__profile_free(q->prof);
  progress_clear(q);
  if (q->prog_timer != NULL) {
    q->prog_timer->data = NULL;
    uv_close((uv_handle_t *)q->prog_timer, prog_timer_closed);
  }
  free(q);
}

static void unlink_query(sched_query *q) {
  sched_query **pp;
  if (q->c == NULL)
    return;
  for (pp = &q->c->queries; *pp != NULL; pp = &(*pp)->next)
    if (*pp == q) {
      *pp = q->next;
      break;
    }
}

/* c's succeeded persist query named key, or NULL. */
static sched_query *persist_query(sched_client *c, const char *key) {
  for (sched_query *q = c != NULL ? c->queries : NULL; q != NULL; q = q->next)
    if (q->persist && q->persisted_ok && strcmp(q->key, key) == 0)
      return q;
  return NULL;
}

/* Reports the query's outcome under its key, like a wanted task. */
static void report(sched_query *q, uint8_t state, const sched_task *t,
                   const char *message) {
  dusk_msg m;
  if (state != DUSK_KEY_CANCELED) /* a cancel is no latency */
    dusk__sched_graph_latency(q->s, q->start_ns);
  q->start_ns = 0;
  if (q->c == NULL || q->c->conn == NULL)
    return;
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_KEY_STATE;
  m.u.key_state.key.ptr = q->key;
  m.u.key_state.key.len = strlen(q->key);
  m.u.key_state.state = state;
  m.u.key_state.addr.ptr = "";
  m.u.key_state.erred_key.ptr = q->key;
  m.u.key_state.erred_key.len = strlen(q->key);
  m.u.key_state.op.ptr = "query";
  m.u.key_state.op.len = 5;
  m.u.key_state.message.ptr = message ? message : "";
  m.u.key_state.message.len = message ? strlen(message) : 0;
  /* The records first: the client has them when it sees the outcome. */
  if (q->prof != NULL)
    dusk__profile_send(q->prof, q->c->conn, q->key, dusk_now_ns());
  if (state == DUSK_KEY_MEMORY && t != NULL) {
    m.u.key_state.id = t->id;
    m.u.key_state.addr.ptr = t->worker->addr;
    m.u.key_state.addr.len = strlen(t->worker->addr);
    m.u.key_state.nbytes = t->nbytes;
  }
  dusk_xcheck(dusk_conn_send(q->c->conn, &m));
}

static void fail_query(sched_query *q, const char *message) {
  report(q, DUSK_KEY_ERRED, NULL, message);
  q->state = Q_DONE;
  unkeep_all(q);
}

/* ---- sampling (thread pool) ---------------------------------------------- */

/* Appends the objects path names (source.h: a local file or glob, an S3
 * key or glob, a URL) with their sizes and versions. */
static int add_files(qleaf *lf, const char *path,
                     const dusk_store_options *store, dusk_error *err) {
  dusk_object *objs = NULL;
  size_t n = 0;
  int rc = dusk_store_expand(path, store, &objs, &n, err);
  if (rc == 0) {
    lf->files = dusk_xrealloc(lf->files, (lf->nfiles + n) * sizeof *lf->files);
    for (size_t k = 0; k < n; k++) {
      qfile *nf = &lf->files[lf->nfiles++];
      memset(nf, 0, sizeof *nf);
      nf->path = objs[k].path;
      objs[k].path = NULL; /* moved */
      nf->size = objs[k].size;
      nf->ranges = objs[k].ranges;
      memcpy(nf->version, objs[k].version, sizeof nf->version);
    }
  }
  dusk_objects_free(objs, n);
  return rc;
}

typedef struct sample_ctx {
  qleaf *lf;
  uint64_t rows;
} sample_ctx;

/* read_csv node `read`'s dtype for column name of type `type`, or NULL. */
static const dusk_dtype *user_dtype(const dusk_plan *read, const char *name,
                                    dusk_type type) {
  for (size_t d = 0; d < read->csv.ndtypes; d++)
    if (read->csv.dtypes[d].type == type &&
        strcmp(read->csv.dtypes[d].column, name) == 0)
      return &read->csv.dtypes[d];
  return NULL;
}

/* Whether read_csv node `read` types column name `type` with numpy's
 * int64 or bool (plan.h dusk_dtype no_na): its scans then fail on a
 * missing value, as pandas' read_csv raises. */
static bool refuses_na(const dusk_plan *read, const char *name,
                       dusk_type type) {
  const dusk_dtype *d = user_dtype(read, name, type);
  return d != NULL && d->no_na;
}

/* Whether read_csv node `read` types column name `type` with pandas'
 * nullable Int64 or boolean (plan.h dusk_dtype masked). */
static bool user_masked(const dusk_plan *read, const char *name,
                        dusk_type type) {
  const dusk_dtype *d = user_dtype(read, name, type);
  return d != NULL && d->masked;
}

/* Whether read_csv node `read` reads column name (its usecols, or all). */
static bool reads_column(const dusk_plan *read, const char *name) {
  if (read->csv.nusecols == 0)
    return true;
  for (size_t u = 0; u < read->csv.nusecols; u++)
    if (strcmp(read->csv.usecols[u], name) == 0)
      return true;
  return false;
}

/* The sample's no_na (csvscan.h) per header column: the numpy int64 and
 * bool dtypes of the columns read, so a missing value among the first
 * rows is refused at submit, naming its line (NULL: none). */
static dusk_type *sample_no_na(const qleaf *lf) {
  dusk_type *t = NULL;
  for (size_t c = 0; c < lf->ncols; c++)
    for (size_t d = 0; d < lf->node->csv.ndtypes; d++) {
      const dusk_dtype *dt = &lf->node->csv.dtypes[d];
      if (!dt->no_na || strcmp(dt->column, lf->header[c]) != 0 ||
          !reads_column(lf->node, lf->header[c]))
        continue;
      if (t == NULL)
        t = dusk_xcalloc(lf->ncols, sizeof *t);
      t[c] = dt->type;
    }
  return t;
}

static int on_sample(void *arg, dusk_batch *b) {
  sample_ctx *ctx = arg;
  qleaf *lf = ctx->lf;
  for (size_t c = 0; c < b->ncols; c++) {
    const dusk_column *col = &b->cols[c];
    for (size_t r = 0; r < b->nrows; r++) {
      const char *v = b->arena + col->str_off[r];
      size_t len = col->str_len[r];
      dusk_type t;
      if (!col->valid[r] || dusk_field_is_na(v, len)) {
        lf->sample_null[c] = 1;
        continue;
      }
      dusk_kmv_add(&lf->distinct[c], dusk_hash_bytes(v, len));
      lf->value_bytes[c] += len;
      if (!lf->sample_text[c]) {
        int64_t ns;
        lf->sample_text[c] =
            dusk_field_parse_datetime(v, len, &ns) != 0 &&
            dusk_field_pandas_datetime(v, len) == DUSK_PANDAS_DATE_NONE;
      }
      t = dusk_field_infer(v, len);
      lf->types[c] = lf->types[c] == DUSK_TYPE_NULL
                         ? t
                         : dusk_type_common(lf->types[c], t);
    }
  }
  ctx->rows += b->nrows;
  return 0;
}

static int sample_leaf(qleaf *lf, uint64_t sample_bytes, uint64_t max_field,
                       dusk_error *err) {
  const dusk_plan *p = lf->node;
  char sep = p->csv.sep ? p->csv.sep : ',';
  dusk_store_options store;
  int rc;
  dusk_plan_store_options(p, &store);
  for (size_t i = 0; i < p->npaths; i++)
    if ((rc = add_files(lf, p->paths[i], &store, err)) != 0)
      return rc;
  for (size_t f = 0; f < lf->nfiles; f++) {
    char **names = NULL;
    size_t n = 0;
    uint64_t data_start = 0;
    qfile *qf = &lf->files[f];
    if ((rc = dusk_csv_read_header_at(qf->path,
                                      qf->version[0] ? qf->version : NULL,
                                      qf->size, &store, sep, &names, &n,
                                      &data_start, err)) != 0)
      return rc;
    lf->files[f].data_start = data_start;
    if (f == 0) {
      lf->header = names;
      lf->ncols = n;
      continue;
    }
    int same = n == lf->ncols;
    for (size_t c = 0; same && c < n; c++)
      same = strcmp(names[c], lf->header[c]) == 0;
    for (size_t c = 0; c < n; c++)
      free(names[c]);
    free(names);
    if (!same)
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: its header differs from %s's",
                            lf->files[f].path, lf->files[0].path);
  }
  lf->types = dusk_xcalloc(lf->ncols, sizeof *lf->types);
  lf->needed = dusk_xcalloc(lf->ncols, 1);
  lf->sample_null = dusk_xcalloc(lf->ncols, 1);
  lf->sample_text = dusk_xcalloc(lf->ncols, 1);
  lf->distinct = dusk_xcalloc(lf->ncols + 1, sizeof *lf->distinct);
  lf->value_bytes = dusk_xcalloc(lf->ncols + 1, sizeof *lf->value_bytes);
  for (size_t f = 0; f < lf->nfiles; f++)
    if (lf->files[f].size > lf->files[f].data_start)
      lf->data_bytes += lf->files[f].size - lf->files[f].data_start;
  /* Sample the first rows of the first non-empty file. */
  for (size_t f = 0; f < lf->nfiles; f++) {
    qfile *qf = &lf->files[f];
    dusk_csvscan_options o;
    dusk_csvscan_stats st;
    sample_ctx ctx = {lf, 0};
    int *map;
    dusk_type *stypes, *no_na;
    if (qf->size <= qf->data_start)
      continue;
    map = dusk_xcalloc(lf->ncols, sizeof *map);
    stypes = dusk_xcalloc(lf->ncols, sizeof *stypes);
    for (size_t c = 0; c < lf->ncols; c++) {
      map[c] = (int)c;
      stypes[c] = DUSK_TYPE_STRING;
    }
    memset(&o, 0, sizeof o);
    o.path = qf->path;
    o.version = qf->version[0] ? qf->version : NULL;
    o.object_size = qf->size;
    o.store = &store;
    o.sep = sep;
    o.start = qf->data_start;
    o.end = qf->data_start + sample_bytes;
    o.data_start = qf->data_start;
    o.ncols_file = lf->ncols;
    o.col_map = map;
    o.types = stypes;
    o.nout = lf->ncols;
    o.batch_rows = SAMPLE_BATCH_ROWS;
    o.max_field = (size_t)max_field;
    o.no_na = no_na = sample_no_na(lf);
    rc = dusk_csvscan_run(&o, on_sample, &ctx, &st, err);
    lf->sample_rows = ctx.rows;
    lf->sample_span = st.bytes;
    free(map);
    free(stypes);
    free(no_na);
    if (rc == DUSK_EPARSE) {
      /* Name the line, as the workers do for the rest of the file. */
      char why[DUSK_ERROR_MESSAGE_MAX];
      memcpy(why, err->message, sizeof why);
      dusk_error_at_line(err->message, sizeof err->message, qf->path,
                         st.error_offset,
                         st.error_column >= 0 &&
                                 (size_t)st.error_column < lf->ncols
                             ? lf->header[st.error_column]
                             : NULL,
                         why);
    }
    if (rc != 0)
      return rc;
    break;
  }
  /* Columns with no value in the sample start as int64 and widen later. */
  for (size_t c = 0; c < lf->ncols; c++)
    if (lf->types[c] == DUSK_TYPE_NULL)
      lf->types[c] = DUSK_TYPE_INT64;
  return 0;
}

static void collect_leaves(dusk_plan *p, qleaf **leaves, size_t *n,
                           size_t *cap, bool right) {
  if (p->kind == DUSK_PLAN_READ_CSV) {
    if (*n == *cap) {
      *cap = *cap ? *cap * 2 : 4;
      *leaves = dusk_xrealloc(*leaves, *cap * sizeof **leaves);
    }
    memset(&(*leaves)[*n], 0, sizeof **leaves);
    (*leaves)[*n].right = right;
    (*leaves)[(*n)++].node = p;
    return;
  }
  for (size_t i = 0; i < p->ninputs; i++)
    collect_leaves(p->inputs[i], leaves, n, cap,
                   right || (p->kind == DUSK_PLAN_MERGE && i == 1));
}

static void sample_work(uv_work_t *w) {
  sched_query *q = w->data;
  for (size_t l = 0; l < q->nleaves; l++)
    if (q->leaves[l].persisted == NULL &&
        sample_leaf(&q->leaves[l], q->sample_bytes, q->max_field,
                    &q->err) != 0)
      return;
}

/* ---- checking ------------------------------------------------------------ */

/* A column that a fillna filled with another kind of value: pandas holds
 * it as an object column of two kinds, which dusk holds as text (plan.h,
 * mixed).  What pandas allows on such a column and what it refuses is not
 * what a string column allows, so the uses that differ are refused. */
enum {
  MIX_NONE = 0,
  MIX_STR,     /* mixed, strings among the kinds (numbers and "N") */
  MIX_NUMBOOL, /* mixed numbers and bools (1.0 and True) */
  MIX_MAYBE    /* a string column filled with a number: mixed if a null
                  meets the fill (not known yet) */
};

/* The columns visible at a plan node, with their types. */
typedef struct schema {
  size_t n;
  char **names; /* borrowed */
  dusk_type *types;
  uint8_t *mix; /* per column, MIX_*; NULL: none */
} schema;

static void schema_free(schema *sc) {
  free(sc->names);
  free(sc->types);
  free(sc->mix);
  sc->names = NULL;
  sc->types = NULL;
  sc->mix = NULL;
  sc->n = 0;
}

static int schema_find(const schema *sc, const char *name) {
  for (size_t i = 0; i < sc->n; i++)
    if (strcmp(sc->names[i], name) == 0)
      return (int)i;
  return -1;
}

static int unknown_column(const schema *sc, const char *name,
                          const char *where, dusk_error *err) {
  const char *near = dusk_closest_name(name, (const char *const *)sc->names,
                                       sc->n);
  return dusk_error_set(err, DUSK_ENOTFOUND,
                        "%s: unknown column '%s'%s%s%s", where, name,
                        near ? "; did you mean '" : "", near ? near : "",
                        near ? "'?" : "");
}

static qleaf *leaf_of(sched_query *q, const dusk_plan *p) {
  for (size_t l = 0; l < q->nleaves; l++)
    if (q->leaves[l].node == p)
      return &q->leaves[l];
  return NULL;
}


/* Marks name as read in every leaf below p that has it. */
static void mark_needed(sched_query *q, const dusk_plan *p, const char *name) {
  if (p->kind == DUSK_PLAN_READ_CSV) {
    qleaf *lf = leaf_of(q, p);
    for (size_t c = 0; lf && c < lf->ncols; c++)
      if (strcmp(lf->header[c], name) == 0)
        lf->needed[c] = 1;
    return;
  }
  if (p->kind == DUSK_PLAN_MERGE) {
    /* A left column is read under its name before the merge's suffix; a
     * right one under its right name (a broadcast join's right side
     * reads every column anyway: check_merge). */
    for (size_t i = 0; p == q->merge && i < q->merge_nleft; i++)
      if (strcmp(q->merge_lout[i], name) == 0)
        mark_needed(q, p->inputs[0], q->merge_lin[i]);
    for (size_t c = 0; p == q->merge && c < q->merge_nright &&
                       c < p->csv.ndtypes;
         c++)
      if (q->merge_rout[c] != NULL && strcmp(q->merge_rout[c], name) == 0)
        mark_needed(q, p->inputs[1], p->csv.dtypes[c].column);
    return;
  }
  for (size_t i = 0; i < p->ninputs; i++)
    mark_needed(q, p->inputs[i], name);
}

/* Sets a column's read type in every leaf below p. */
static void set_read_type(sched_query *q, const dusk_plan *p,
                          const char *name, dusk_type t) {
  if (p->kind == DUSK_PLAN_READ_CSV) {
    qleaf *lf = leaf_of(q, p);
    for (size_t c = 0; lf && c < lf->ncols; c++)
      if (strcmp(lf->header[c], name) == 0)
        lf->types[c] = t;
    return;
  }
  if (p->kind == DUSK_PLAN_MERGE) {
    for (size_t i = 0; p == q->merge && i < q->merge_nleft; i++)
      if (strcmp(q->merge_lout[i], name) == 0)
        set_read_type(q, p->inputs[0], q->merge_lin[i], t);
    for (size_t d = 0; d < p->csv.ndtypes && d < p->csv.nusecols; d++)
      if (strcmp(p->csv.usecols[d], name) == 0) {
        p->csv.dtypes[d].type = t;
        set_read_type(q, p->inputs[1], p->csv.dtypes[d].column, t);
      }
    return;
  }
  for (size_t i = 0; i < p->ninputs; i++)
    set_read_type(q, p->inputs[i], name, t);
}

static void expr_columns(sched_query *q, const dusk_plan *below,
                         const dusk_expr *e) {
  if (e == NULL)
    return;
  if (e->kind == DUSK_EXPR_COLUMN)
    mark_needed(q, below, e->name);
  expr_columns(q, below, e->a);
  expr_columns(q, below, e->b);
}

static int is_numeric(dusk_type t) {
  return t == DUSK_TYPE_INT64 || t == DUSK_TYPE_FLOAT64 ||
         t == DUSK_TYPE_BOOL;
}

/* A time column's reductions pandas answers with a Timedelta: a
 * timedelta column's sum and mean (its nanoseconds summed as int64; the
 * mean truncated toward zero, as pandas casts its float mean back), and
 * a datetime's or timedelta's std (nanops.nanstd: the float std of the
 * nanoseconds, truncated the same way; worker/dfops.c time_means).
 * Named, or among a whole frame's columns; sum and mean also by group
 * when named, not in an every-column groupby aggregate, which pandas 1.5
 * leaves timedeltas out of; std only with no keys (keys: false), where
 * dusk's answer is pandas' two-pass one (moments.h).  A var of them
 * pandas refuses (a whole frame's leaves them out). */
static int time_reduction(dusk_agg_fn fn, dusk_type t, bool keys) {
  if (t == DUSK_TYPE_TIMEDELTA && (fn == DUSK_AGG_SUM || fn == DUSK_AGG_MEAN))
    return 1;
  return !keys && fn == DUSK_AGG_STD &&
         (t == DUSK_TYPE_TIMEDELTA || t == DUSK_TYPE_DATETIME);
}

static int name_in(char *const *v, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i], name) == 0)
      return 1;
  return 0;
}

static void add_name(char ***v, size_t *n, const char *name) {
  if (name_in(*v, *n, name))
    return;
  *v = dusk_xrealloc(*v, (*n + 1) * sizeof **v);
  (*v)[(*n)++] = dusk_xstrdup(name);
}

static void free_names(char ***v, size_t *n) {
  for (size_t i = 0; i < *n; i++)
    free((*v)[i]);
  free(*v);
  *v = NULL;
  *n = 0;
}

/* A use of column j that pandas makes differently on an object column of
 * two kinds of values (a comparison, a groupby key, value_counts, min,
 * max, nunique, sum, mean): refused on a mixed column; on one that may
 * mix, noted, so that its fill reports the first null it meets. */
static int mixed_use(sched_query *q, const schema *sc, int j, const char *where,
                     const char *doing, dusk_error *err) {
  uint8_t m = sc->mix != NULL ? sc->mix[j] : MIX_NONE;
  if (m == MIX_MAYBE)
    add_name(&q->sensitive, &q->nsensitive, sc->names[j]);
  if (m != MIX_STR && m != MIX_NUMBOOL)
    return 0;
  return dusk_error_set(err, DUSK_ETYPE,
                        "%s: column '%s' holds %s after fillna, which pandas "
                        "keeps as an object column; %s is not supported",
                        where, sc->names[j],
                        m == MIX_STR ? "strings and values of another kind"
                                     : "both numbers and bools",
                        doing);
}

/* "min of it", ... for mixed_use. */
/* Aggregates of numbers only (pandas drops text columns from them as
 * nuisance columns when aggregating every column). */
static bool agg_needs_numbers(dusk_agg_fn fn) {
  return fn == DUSK_AGG_SUM || fn == DUSK_AGG_MEAN || fn == DUSK_AGG_STD ||
         fn == DUSK_AGG_VAR || fn == DUSK_AGG_MEDIAN ||
         fn == DUSK_AGG_QUANTILE;
}

static bool agg_is_rank(dusk_agg_fn fn) {
  return fn == DUSK_AGG_MEDIAN || fn == DUSK_AGG_QUANTILE;
}

/* A groupby's median / quantile of column j: of numbers.  A bool column
 * is refused, as pandas' answer (float64, or the column left out when it
 * holds a null) is not one dusk can give; so is a datetime or timedelta,
 * where pandas 1.5 counts NaT as the smallest value (a bug dusk would
 * have to copy).  A whole frame's median handles those (QUANTILE). */
static int rank_agg_type(const dusk_plan *g, dusk_agg_fn fn, const schema *sc,
                         int j, dusk_error *err) {
  dusk_type t = sc->types[j];
  /* a bool's median and quantiles by group: pandas' floats of 0 and 1
   * (of a bool column holding a null, pandas' object column, the
   * hidden count of guard_text_minmax decides) */
  if (t == DUSK_TYPE_INT64 || t == DUSK_TYPE_FLOAT64 || t == DUSK_TYPE_BOOL)
    return 0;
  return dusk_error_set(err, DUSK_ETYPE,
                        "%s: cannot take the %s of the %s column '%s' by "
                        "group (numbers only)%s",
                        g->ncolumns ? "groupby" : dusk_agg_name(fn),
                        dusk_agg_name(fn), dusk_type_name(t), sc->names[j],
                        t == DUSK_TYPE_BOOL
                            ? "; select the number columns, or "
                              "astype(int) the bools first"
                        : dusk_type_is_time(t)
                            ? "; pandas 1.5 counts NaT as the smallest "
                              "value there, which dusk does not copy"
                            : "");
}

static const char *agg_doing(dusk_agg_fn fn) {
  switch (fn) {
  case DUSK_AGG_STD:
    return "its std";
  case DUSK_AGG_VAR:
    return "its var";
  case DUSK_AGG_SUM:
    return "its sum";
  case DUSK_AGG_MEAN:
    return "its mean";
  case DUSK_AGG_MIN:
    return "its min";
  case DUSK_AGG_MAX:
    return "its max";
  case DUSK_AGG_NUNIQUE:
    return "its nunique";
  case DUSK_AGG_FIRST:
    return "its first value";
  case DUSK_AGG_LAST:
    return "its last value";
  case DUSK_AGG_MEDIAN:
    return "its median";
  case DUSK_AGG_QUANTILE:
    return "its quantile";
  default:
    return "aggregating it";
  }
}

/* The columns of a query() expression that it compares or computes with
 * (not those it only asks isnull()/notnull() of) go through mixed_use. */
static int expr_mixed(sched_query *q, const schema *sc, const dusk_expr *e,
                      int only_nulls, dusk_error *err) {
  int rc, j;
  if (e == NULL)
    return 0;
  if (e->kind == DUSK_EXPR_COLUMN) {
    if (only_nulls || (j = schema_find(sc, e->name)) < 0)
      return 0;
    return mixed_use(q, sc, j, "query", "comparing or computing with it", err);
  }
  rc = expr_mixed(q, sc, e->a,
                  e->kind == DUSK_EXPR_ISNULL || e->kind == DUSK_EXPR_NOTNULL,
                  err);
  return rc != 0 ? rc : expr_mixed(q, sc, e->b, 0, err);
}

/* Whether the sample saw a null in column name below p, with no step in
 * between that could drop that row or fill it: then a fill of it meets a
 * null for sure. */
static int sample_saw_null(sched_query *q, const dusk_plan *p,
                           const char *name) {
  if (p->kind == DUSK_PLAN_READ_CSV) {
    qleaf *lf = leaf_of(q, p);
    for (size_t c = 0; lf && c < lf->ncols; c++)
      if (strcmp(lf->header[c], name) == 0)
        return lf->sample_null[c];
    return 0;
  }
  if (p->kind == DUSK_PLAN_QUERY || p->kind == DUSK_PLAN_FILLNA)
    return 0;
  for (size_t i = 0; i < p->ninputs; i++)
    if (sample_saw_null(q, p->inputs[i], name))
      return 1;
  return 0;
}

/* A whole frame's or column's sum (no keys) of the plain text column c:
 * pandas 1.5 sums its object values, concatenating the strings, where it
 * holds no null (worker/dfops.c text_minmax_nulls settles the rest). */
static bool text_sum(const dusk_plan *g, dusk_agg_fn fn, const schema *sc,
                     size_t c) {
  return g->ncolumns == 0 && fn == DUSK_AGG_SUM &&
         sc->types[c] == DUSK_TYPE_STRING &&
         (sc->mix == NULL || sc->mix[c] == MIX_NONE);
}

/* Whether every-column aggregate ag applies to column c of sc: 1 yes,
 * 0 no (a key, or a function pandas leaves such a column out of), or an
 * error. */
static int agg_applies(sched_query *q, const dusk_plan *g, const dusk_agg *ag,
                       const schema *sc, size_t c, dusk_error *err) {
  int rc;
  for (size_t k = 0; k < g->ncolumns; k++)
    if (strcmp(g->columns[k], sc->names[c]) == 0)
      return 0;
  /* Numbers only, but for a whole frame's (no keys) Timedeltas of time
   * columns: a timedelta's sum and mean, a datetime's or timedelta's std
   * (a groupby's leave them out, as pandas' do) */
  if (agg_needs_numbers(ag->fn) && !is_numeric(sc->types[c]) &&
      !(g->ncolumns == 0 && time_reduction(ag->fn, sc->types[c], false)) &&
      !text_sum(g, ag->fn, sc, c))
    return 0;
  if (agg_is_rank(ag->fn) &&
      (rc = rank_agg_type(g, ag->fn, sc, (int)c, err)) != 0)
    return rc;
  if ((ag->fn == DUSK_AGG_MIN || ag->fn == DUSK_AGG_MAX) &&
      sc->mix != NULL && sc->mix[c] == MIX_STR)
    return 0;
  if (ag->fn != DUSK_AGG_COUNT && ag->fn != DUSK_AGG_SIZE &&
      (rc = mixed_use(q, sc, (int)c, "groupby", agg_doing(ag->fn), err)) != 0)
    return rc;
  return 1;
}

typedef struct agg_list {
  dusk_agg *v;
  bool *every; /* per aggregate: expanded from an "every column" one */
  size_t n, cap;
} agg_list;

static void agg_list_push(agg_list *l, const dusk_agg *ag, const char *column,
                          char *label) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 8;
    l->v = dusk_xrealloc(l->v, l->cap * sizeof *l->v);
    l->every = dusk_xrealloc(l->every, l->cap * sizeof *l->every);
  }
  l->every[l->n] = ag->column == NULL && ag->fn != DUSK_AGG_SIZE;
  l->v[l->n].fn = ag->fn;
  l->v[l->n].q = ag->q;
  l->v[l->n].column = column ? dusk_xstrdup(column) : NULL;
  l->v[l->n++].label = label;
}

static void agg_list_free(agg_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].column);
    free(l->v[i].label);
  }
  free(l->v);
  free(l->every);
}

/* Replaces a groupby's "every column" aggregates by one per column, as
 * pandas would compute them: count/min/max/nunique over every non-key
 * column, sum/mean over the numeric ones.  Of a mixed column (MIX_*),
 * pandas 1.5 leaves out min and max when strings are among its values
 * (comparing them fails: a "nuisance" column); the rest go through
 * mixed_use.  Aggregates labelled DUSK_LEVEL_SEP alone (plan.h: a whole
 * frame's agg(["sum", "mean"])) expand column by column, each labelled
 * column DUSK_LEVEL_SEP function, pandas' MultiIndex order. */
static int expand_aggs(sched_query *q, dusk_plan *g, const schema *sc,
                       bool **every, dusk_error *err) {
  agg_list out = {NULL, NULL, 0, 0};
  bool by_column = g->naggs > 0 && g->aggs[0].column == NULL &&
                   g->aggs[0].label != NULL &&
                   strcmp(g->aggs[0].label, DUSK_LEVEL_SEP_STR) == 0;
  int rc;
  /* pandas keeps a column only if every function of the list succeeds
   * on it (a text column goes whole when one needs numbers), and sums
   * text by concatenating it, which dusk refuses. */
  for (size_t c = 0; by_column && c < sc->n; c++) {
    size_t fails = 0, text_sums = 0;
    if (name_in(g->columns, g->ncolumns, sc->names[c]))
      continue;
    for (size_t a = 0; a < g->naggs; a++) {
      if ((rc = agg_applies(q, g, &g->aggs[a], sc, c, err)) < 0) {
        agg_list_free(&out);
        return rc;
      }
      /* (a text column's sum in a function list stays refused below) */
      if (text_sum(g, g->aggs[a].fn, sc, c))
        rc = 0;
      fails += rc == 0;
      text_sums += rc == 0 && g->aggs[a].fn == DUSK_AGG_SUM &&
                   sc->types[c] == DUSK_TYPE_STRING;
    }
    if (fails > 0 && fails == text_sums) {
      agg_list_free(&out);
      return dusk_error_set(
          err, DUSK_EINVAL,
          "groupby: agg([...]) of every column sums the text column '%s', "
          "which pandas does by concatenating its strings and dusk does "
          "not; select the number columns (groupby(...)[[...]].agg([...])) "
          "or give each column its functions in a dict",
          sc->names[c]);
    }
    for (size_t a = 0; a < g->naggs && fails == 0; a++) {
      const dusk_agg *ag = &g->aggs[a];
      size_t len;
      char *label;
      len = strlen(sc->names[c]) + strlen(dusk_agg_name(ag->fn)) + 2;
      label = dusk_xmalloc(len);
      snprintf(label, len, "%s%c%s", sc->names[c], DUSK_LEVEL_SEP,
               dusk_agg_name(ag->fn));
      agg_list_push(&out, ag, sc->names[c], label);
    }
  }
  for (size_t a = 0; a < g->naggs && !by_column; a++) {
    dusk_agg *ag = &g->aggs[a];
    if (ag->column != NULL || ag->fn == DUSK_AGG_SIZE) {
      agg_list_push(&out, ag, ag->column,
                    ag->label ? dusk_xstrdup(ag->label) : NULL);
      continue;
    }
    for (size_t c = 0; c < sc->n; c++) {
      if ((rc = agg_applies(q, g, ag, sc, c, err)) < 0) {
        agg_list_free(&out);
        return rc;
      }
      if (rc > 0)
        agg_list_push(&out, ag, sc->names[c], NULL);
    }
  }
  if (out.n == 0) {
    free(out.v);
    free(out.every);
    return dusk_error_set(err, DUSK_EINVAL,
                          "groupby: no columns left to aggregate");
  }
  for (size_t a = 0; a < g->naggs; a++) {
    free(g->aggs[a].column);
    free(g->aggs[a].label);
  }
  free(g->aggs);
  g->aggs = out.v;
  g->naggs = out.n;
  /* no keys and every column's: a whole frame's reduction (plan.h) */
  for (size_t a = 0; a < out.n && g->ncolumns == 0; a++)
    g->frame_reduce = g->frame_reduce || out.every[a];
  *every = out.every;
  return 0;
}

/* The min or max of a text column: pandas compares a group's values, and
 * a group holding both text and a null fails ('<' between str and
 * float).  Such an aggregate of "every column" leaves the column out
 * (pandas' nuisance columns); one the user named raises.  Whether a group
 * mixes them shows only in the data, so each such column gets two hidden
 * aggregates, its count and size (0 < count < size: mixed), which the
 * final task reads and removes (worker/dfops.c text_minmax_nulls).  Their
 * labels: DUSK_HIDDEN_AGG, 'd' (leave out) or 'e' (raise), 'c' or 's',
 * the column. */
static void guard_text_minmax(dusk_plan *g, const schema *sc,
                              const bool *expanded) {
  agg_list out = {NULL, NULL, 0, 0};
  size_t n0 = g->naggs;
  for (size_t a = 0; a < n0; a++) {
    const dusk_agg *ag = &g->aggs[a];
    int j;
    bool seen = false;
    if ((ag->fn != DUSK_AGG_MIN && ag->fn != DUSK_AGG_MAX) ||
        ag->column == NULL || (j = schema_find(sc, ag->column)) < 0 ||
        sc->types[j] != DUSK_TYPE_STRING ||
        (sc->mix != NULL && sc->mix[j] != MIX_NONE))
      continue;
    for (size_t b = 0; b < out.n && !seen; b++)
      seen = strcmp(out.v[b].column, ag->column) == 0;
    for (int k = 0; k < 2 && !seen; k++) {
      size_t len = strlen(ag->column) + 4;
      char *label = dusk_xmalloc(len);
      dusk_agg hidden = {NULL, k == 0 ? DUSK_AGG_COUNT : DUSK_AGG_SIZE, 0.5,
                         NULL};
      snprintf(label, len, "%c%c%c%s", DUSK_HIDDEN_AGG,
               expanded[a] ? 'd' : 'e', k == 0 ? 'c' : 's', ag->column);
      agg_list_push(&out, &hidden, ag->column, label);
    }
  }
  /* A text column's sum (text_sum): pandas adds a missing value's NaN
   * (0 once skipped) to a string and fails - of every column the column
   * is left out (a nuisance column), one the user named raises.  Its
   * hidden count and size, labelled DUSK_HIDDEN_AGG, 'T' (leave out) or
   * 't' (raise), 'c' or 's', the column, tell the final task
   * (worker/dfops.c text_minmax_nulls). */
  for (size_t a = 0; a < n0; a++) {
    const dusk_agg *ag = &g->aggs[a];
    int j;
    if (ag->fn != DUSK_AGG_SUM || ag->column == NULL ||
        (ag->label != NULL && ag->label[0] == DUSK_HIDDEN_AGG) ||
        (j = schema_find(sc, ag->column)) < 0 ||
        !text_sum(g, ag->fn, sc, (size_t)j))
      continue;
    for (int k = 0; k < 2; k++) {
      size_t len = strlen(ag->column) + 4;
      char *label = dusk_xmalloc(len);
      dusk_agg hidden = {NULL, k == 0 ? DUSK_AGG_COUNT : DUSK_AGG_SIZE, 0.5,
                         NULL};
      snprintf(label, len, "%c%c%c%s", DUSK_HIDDEN_AGG,
               expanded[a] ? 'T' : 't', k == 0 ? 'c' : 's', ag->column);
      agg_list_push(&out, &hidden, ag->column, label);
    }
  }
  /* A bool column's sum, mean, std or var by group: pandas holds a bool
   * column with a null anywhere in its file as object, which leaves it
   * out of every column's sum / mean / std / var (a nuisance column) and
   * sums each group's Python bools when named (2, False, 0: an object
   * column dusk cannot hold).  Whether the file holds a null shows in the
   * scans' reports, which the final task reads (worker/dfops.c
   * text_minmax_nulls): one hidden count marks each such column, labelled
   * DUSK_HIDDEN_AGG, 'd' or 'e' as above, 'b', the column. */
  for (size_t a = 0; g->ncolumns > 0 && a < n0; a++) {
    const dusk_agg *ag = &g->aggs[a];
    int j;
    /* (a function list over every column, labels "col" SEP "fn", keeps
     * the column in pandas: its sum fails as a named one) */
    char mode = expanded[a] && !(ag->label != NULL &&
                                 strchr(ag->label, DUSK_LEVEL_SEP) != NULL)
                    ? 'd'
                    : 'e';
    bool seen = false;
    if ((ag->fn != DUSK_AGG_SUM && ag->fn != DUSK_AGG_MEAN &&
         ag->fn != DUSK_AGG_STD && ag->fn != DUSK_AGG_VAR &&
         !agg_is_rank(ag->fn)) ||
        ag->column == NULL || (j = schema_find(sc, ag->column)) < 0 ||
        sc->types[j] != DUSK_TYPE_BOOL ||
        (sc->mix != NULL && sc->mix[j] != MIX_NONE))
      continue;
    for (size_t b = 0; b < out.n && !seen; b++)
      seen = strcmp(out.v[b].column, ag->column) == 0 &&
             out.v[b].label[1] == mode && out.v[b].label[2] == 'b';
    if (!seen) {
      size_t len = strlen(ag->column) + 4;
      char *label = dusk_xmalloc(len);
      dusk_agg hidden = {NULL, DUSK_AGG_COUNT, 0.5, NULL};
      snprintf(label, len, "%c%cb%s", DUSK_HIDDEN_AGG, mode, ag->column);
      agg_list_push(&out, &hidden, ag->column, label);
    }
  }
  if (out.n == 0) {
    free(out.v);
    free(out.every);
    return;
  }
  g->aggs = dusk_xrealloc(g->aggs, (n0 + out.n) * sizeof *g->aggs);
  memcpy(g->aggs + n0, out.v, out.n * sizeof *out.v);
  g->naggs = n0 + out.n;
  free(out.v);
  free(out.every);
}

/* Walks p bottom-up computing its schema into *out. */
/* sort_values' keys against the value columns of the result it sorts
 * (rows: the schema in; groupby: its aggregated columns; value_counts: the
 * counts, named after the column), so a wrong name is refused at submit
 * with the closest one. */
static int check_sort_keys(const sched_query *q, const dusk_plan *p,
                           const schema *in, dusk_error *err) {
  const dusk_plan *t = dusk_plan_result_root(p->inputs[0]);
  const char *what = q->sort_step ? q->sort_step : "sort_values";
  schema res = {0, NULL, NULL, NULL};
  int rc = 0;
  /* Steps that change the result's columns leave the check to the final
   * task, which knows them. */
  for (const dusk_plan *s = p->inputs[0]; s != t; s = s->inputs[0])
    if (s->kind != DUSK_PLAN_SORT_VALUES && s->kind != DUSK_PLAN_HEAD &&
        s->kind != DUSK_PLAN_TAIL && s->kind != DUSK_PLAN_QUERY)
      return 0;
  if (t->kind == DUSK_PLAN_GROUPBY) {
    res.names = dusk_xcalloc(t->naggs + 1, sizeof *res.names);
    for (size_t a = 0; a < t->naggs; a++)
      if (t->aggs[a].label != NULL || t->aggs[a].column != NULL)
        res.names[res.n++] =
            t->aggs[a].label ? t->aggs[a].label : t->aggs[a].column;
    if (res.n < t->naggs) /* size(): one unnamed column */
      res.n = 0;
  } else if (t->kind == DUSK_PLAN_VALUE_COUNTS) {
    res.names = dusk_xcalloc(1, sizeof *res.names);
    res.names[res.n++] = t->columns[0];
  } else {
    res.names = dusk_xcalloc(in->n + 1, sizeof *res.names);
    for (size_t c = 0; c < in->n; c++)
      res.names[res.n++] = in->names[c];
  }
  if (p->ncolumns == 0 && res.n > 1)
    rc = dusk_error_set(err, DUSK_EINVAL,
                        "sort_values: the result has %zu columns; name the "
                        "ones to sort by (by=)",
                        res.n);
  for (size_t k = 0; rc == 0 && k < p->ncolumns; k++) {
    if (t->kind == DUSK_PLAN_GROUPBY && res.n == 0 && t->naggs > 0) {
      rc = dusk_error_set(err, DUSK_ENOTFOUND,
                          "sort_values: unknown column '%s' (size() has one "
                          "unnamed column: sort_values() without by)",
                          p->columns[k]);
      break;
    }
    if (!name_in(res.names, res.n, p->columns[k]))
      rc = unknown_column(&res, p->columns[k], what, err);
  }
  free(res.names);
  return rc;
}

/* describe and quantile: with no columns named, every int64 and float64
 * column (pandas' numeric_only; bool columns are left out, as pandas 1.5
 * cannot interpolate them) and, for describe and median, every timedelta
 * column, which this lists in the plan for the tasks; named ones must be
 * numbers, datetimes or timedeltas (describe: not datetimes). */
static int check_quantile_columns(sched_query *q, dusk_plan *p,
                                  const schema *in, dusk_error *err) {
  const char *what = dusk_plan_kind_name(p->kind);
  int rc;
  if (p->ncolumns == 0) {
    /* pandas 1.5's DataFrame.median() takes bool columns as numbers;
     * quantile() and describe() leave them out */
    for (size_t c = 0; c < in->n; c++) {
      /* timedeltas: pandas 1.5's median() and describe() take them as
       * numbers (describe: an object column of Timedeltas), quantile()
       * leaves them out; datetimes describe() leaves out */
      if ((in->types[c] == DUSK_TYPE_INT64 ||
           in->types[c] == DUSK_TYPE_FLOAT64 ||
           (in->types[c] == DUSK_TYPE_BOOL && p->median) ||
           (in->types[c] == DUSK_TYPE_TIMEDELTA &&
            (p->median || p->kind == DUSK_PLAN_DESCRIBE))) &&
          (in->mix == NULL ||
           (in->mix[c] != MIX_STR && in->mix[c] != MIX_NUMBOOL)))
        add_name(&p->columns, &p->ncolumns, in->names[c]);
    }
    if (p->ncolumns == 0)
      return dusk_error_set(
          err, DUSK_ETYPE,
          p->kind == DUSK_PLAN_DESCRIBE
              ? "describe: no number column (pandas would then describe the "
                "text columns together); describe each alone: "
                "df[\"col\"].describe() gives its count, unique, top and "
                "freq"
              : "quantile: no number column; name a datetime or timedelta "
                "column to take its quantiles");
  }
  for (size_t c = 0; c < p->ncolumns; c++) {
    int j = schema_find(in, p->columns[c]);
    dusk_type t;
    if (j < 0)
      return unknown_column(in, p->columns[c], what, err);
    if ((rc = mixed_use(q, in, j, what, "taking its quantiles", err)) != 0)
      return rc;
    t = in->types[j];
    if (p->kind == DUSK_PLAN_DESCRIBE &&
        (t == DUSK_TYPE_STRING || t == DUSK_TYPE_BOOL))
      return dusk_error_set(err, DUSK_ETYPE,
                            "describe: column '%s' is %s; describe it alone, "
                            "[\"%s\"].describe(), for pandas' count, unique, "
                            "top and freq",
                            in->names[j], dusk_type_name(t), in->names[j]);
    /* pandas 1.5 describes a datetime as count / unique / top / freq /
     * first / last (and warns it will change to numbers); a timedelta as
     * a number, in Timedeltas */
    if (p->kind == DUSK_PLAN_DESCRIBE && dusk_type_is_time(t) &&
        t != DUSK_TYPE_TIMEDELTA)
      return dusk_error_set(err, DUSK_ETYPE,
                            "describe of the %s column '%s' is not "
                            "supported (pandas 1.5 warns it will change); "
                            "min(), max() and quantile([...]) of it are",
                            dusk_type_name(t), in->names[j]);
    /* a bool's median is pandas' float (0.5); its quantile() raises
     * there (numpy cannot subtract bools) */
    if (t != DUSK_TYPE_INT64 && t != DUSK_TYPE_FLOAT64 &&
        !(t == DUSK_TYPE_BOOL && p->median) && !dusk_type_is_time(t))
      return dusk_error_set(err, DUSK_ETYPE,
                            "%s: column '%s' is %s; quantiles need numbers, "
                            "datetimes or timedeltas (a bool's median() "
                            "works)",
                            what, in->names[j], dusk_type_name(t));
    mark_needed(q, p, p->columns[c]);
  }
  return 0;
}

/* topk's sort keys and drop_duplicates' subset: columns of the frame whose
 * values are compared (so not of mixed kinds). */
static int check_row_keys(sched_query *q, const dusk_plan *p,
                          const schema *in, dusk_error *err) {
  bool topk = p->kind == DUSK_PLAN_TOPK;
  const char *what = !topk           ? "drop_duplicates"
                     : q->sort_step ? q->sort_step
                                    : "sort_values / nlargest";
  int rc;
  for (size_t k = 0; k < p->ncolumns; k++) {
    int j = schema_find(in, p->columns[k]);
    if (j < 0)
      return unknown_column(in, p->columns[k], what, err);
    if ((rc = mixed_use(q, in, j, what,
                        topk ? "sorting by it" : "comparing its values",
                        err)) != 0)
      return rc;
    if (topk && in->types[j] == DUSK_TYPE_DATE) /* pandas: object dtype */
      return dusk_error_set(err, DUSK_ETYPE,
                            "%s by the date column '%s': pandas refuses "
                            "its object dtype; sort by .dt.normalize()",
                            what, in->names[j]);
  }
  return 0;
}

/* p, or an abort when a constructor ran out of memory (NULL). */
static void *xptr(void *p) {
  if (p == NULL)
    dusk_xoom();
  return p;
}

/* A frame's dropna(subset, how) as the query pandas' rule is:
 * `a.notnull() and b.notnull()` (how="any"), or `... or ...` (how="all"),
 * over the subset or every column of in.  p becomes that QUERY. */
static int lower_dropna(dusk_plan *p, const schema *in, dusk_error *err) {
  dusk_expr *e = NULL;
  size_t n = p->ncolumns ? p->ncolumns : in->n;
  char text[DUSK_ERROR_MESSAGE_MAX];
  size_t len = 0;
  for (size_t i = 0; i < p->ncolumns; i++)
    if (schema_find(in, p->columns[i]) < 0)
      return unknown_column(in, p->columns[i], "dropna subset", err);
  if (n == 0)
    return dusk_error_set(err, DUSK_EINVAL, "dropna of a frame without "
                                            "columns");
  text[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    const char *name = p->ncolumns ? p->columns[i] : in->names[i];
    dusk_expr *c = dusk_expr_node(DUSK_EXPR_NOTNULL, 0,
                                  xptr(dusk_expr_column(name)),
                                  NULL);
    e = e == NULL ? c
                  : dusk_expr_node(p->how_all ? DUSK_EXPR_OR : DUSK_EXPR_AND,
                                   0, e, c);
    xptr(e);
    if (len < sizeof text - 1)
      len += (size_t)snprintf(text + len, sizeof text - len, "%s%s.notnull()",
                              i ? (p->how_all ? " or " : " and ") : "", name);
  }
  p->kind = DUSK_PLAN_QUERY;
  p->expr = e;
  p->expr_text = dusk_xstrdup(text);
  return 0;
}

/* Appends a column to a schema (its name borrowed). */
static void schema_append(schema *s, const char *name, dusk_type type,
                          uint8_t mix) {
  uint8_t *m = dusk_xcalloc(s->n + 1, sizeof *m);
  s->names = dusk_xrealloc(s->names, (s->n + 1) * sizeof *s->names);
  s->types = dusk_xrealloc(s->types, (s->n + 1) * sizeof *s->types);
  if (s->mix != NULL)
    memcpy(m, s->mix, s->n * sizeof *m);
  free(s->mix);
  s->mix = m;
  s->names[s->n] = (char *)name;
  s->types[s->n] = type;
  s->mix[s->n++] = mix;
}

/* A frame's rename(columns=) keeps each column in its place: each renamed
 * column becomes a copy under its new name (an assign below p), then p
 * selects every column in order under its new name.  The scan then needs
 * no step of its own, and every walk by name (needed columns, read types,
 * nulls) sees only assigns and selects.  When a new name is also a name
 * before the rename (a swap, a chain a -> b -> c), the copies first go to
 * hidden names, so none reads a column an earlier copy replaced.  in takes
 * the assigns as the scan does: an existing name is replaced in place. */
static int lower_rename(sched_query *q, dusk_plan *p, schema *in,
                        dusk_error *err) {
  char **sel = dusk_xcalloc(in->n + 1, sizeof *sel);
  const char **from = dusk_xcalloc(in->n + 1, sizeof *from);
  dusk_plan *below = p->inputs[0];
  size_t n = in->n;
  bool clash = false;
  /* each column's type and kind before any copy replaces one */
  dusk_type *types = dusk_xcalloc(n + 1, sizeof *types);
  uint8_t *mix = dusk_xcalloc(n + 1, sizeof *mix);
  for (size_t c = 0; c < n; c++) {
    types[c] = in->types[c];
    mix[c] = in->mix ? in->mix[c] : 0;
  }
  for (size_t c = 0; c < n; c++) {
    sel[c] = dusk_xstrdup(in->names[c]);
    for (size_t i = 0; i < p->ncolumns; i++)
      if (strcmp(in->names[c], p->columns[i]) == 0) {
        free(sel[c]);
        sel[c] = dusk_xstrdup(p->renamed[i]);
        break;
      }
  }
  for (size_t c = 0; c < n; c++)
    for (size_t k = 0; k < n; k++) {
      if (k < c && strcmp(sel[c], sel[k]) == 0) {
        int rc = dusk_error_set(err, DUSK_EINVAL,
                                "rename: two columns would be named '%s' "
                                "(dusk keeps column names distinct)",
                                sel[c]);
        for (size_t i = 0; i < n; i++)
          free(sel[i]);
        free(sel);
        free(from);
        free(types);
        free(mix);
        return rc;
      }
      if (strcmp(sel[c], in->names[c]) != 0 &&
          strcmp(sel[c], in->names[k]) == 0)
        clash = true;
    }
  for (size_t c = 0; c < n; c++) {
    from[c] = in->names[c];
    if (strcmp(sel[c], in->names[c]) == 0 || !clash)
      continue;
    {
      /* a name no column has nor takes, whatever the user's are */
      char hidden[64];
      size_t k = c;
      do
        snprintf(hidden, sizeof hidden, "__dusk_rename_%zu", k++);
      while (schema_find(in, hidden) >= 0 ||
             name_in(sel, n, hidden));
      mark_needed(q, below, in->names[c]);
      below = xptr(dusk_plan_assign(
          below, hidden, xptr(dusk_expr_column(in->names[c])),
          in->names[c]));
      schema_append(in, below->columns[0], types[c], mix[c]);
      from[c] = below->columns[0];
    }
  }
  for (size_t c = 0; c < n; c++) {
    int j;
    if (strcmp(sel[c], in->names[c]) == 0)
      continue;
    mark_needed(q, below, from[c]);
    below = xptr(dusk_plan_assign(below, sel[c],
                                  xptr(dusk_expr_column(from[c])), from[c]));
    /* the new node owns its copy of the name */
    if ((j = schema_find(in, sel[c])) >= 0) {
      in->names[j] = below->columns[0];
      in->types[j] = types[c];
      if (in->mix != NULL)
        in->mix[j] = mix[c];
    } else {
      schema_append(in, below->columns[0], types[c], mix[c]);
    }
  }
  free(from);
  free(types);
  free(mix);
  p->inputs[0] = below;
  for (size_t i = 0; i < p->ncolumns; i++) {
    free(p->columns[i]);
    free(p->renamed[i]);
  }
  free(p->columns);
  free(p->renamed);
  p->renamed = NULL;
  p->kind = DUSK_PLAN_SELECT;
  p->columns = sel;
  p->ncolumns = n;
  return 0;
}

static int check_node(sched_query *q, dusk_plan *p, int is_root, schema *out,
                      dusk_error *err);

/* Whether p or a step below it is a merge. */
static bool has_merge(const dusk_plan *p) {
  if (p->kind == DUSK_PLAN_MERGE)
    return true;
  for (size_t i = 0; i < p->ninputs; i++)
    if (has_merge(p->inputs[i]))
      return true;
  return false;
}

/* Records in q->gaps the columns of out that input i (its schema sub)
 * lacks, each with out's type for it. */
static void add_gap(sched_query *q, const dusk_plan *concat, size_t i,
                    const schema *sub, const schema *out) {
  concat_gap g = {concat, i, NULL, 0};
  for (size_t c = 0; c < out->n; c++) {
    if (schema_find(sub, out->names[c]) >= 0)
      continue;
    g.cols = dusk_xrealloc(g.cols, (g.n + 1) * sizeof *g.cols);
    memset(&g.cols[g.n], 0, sizeof g.cols[g.n]);
    g.cols[g.n].column = dusk_xstrdup(out->names[c]);
    g.cols[g.n++].type = out->types[c];
  }
  if (g.n == 0)
    return;
  q->gaps = dusk_xrealloc(q->gaps, (q->ngaps + 1) * sizeof *q->gaps);
  q->gaps[q->ngaps++] = g;
}

/* concat: pandas aligns its inputs by column name, an outer join - the
 * first input's columns in their order, then each later input's new
 * ones - and an input lacking a column holds NaN there, so an int column
 * some input lacks is float64 (a bool one pandas' object, which the
 * scans' nulls flag).  Every input reads a column with the common type;
 * p->columns keeps the order, q->gaps what each input lacks (fragment()
 * makes both so in each scan). */
static int check_concat(sched_query *q, dusk_plan *p, schema *out,
                        dusk_error *err) {
  schema *subs;
  int rc = 0;
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < p->ninputs; i++)
    if (has_merge(p->inputs[i]))
      return dusk_error_set(err, DUSK_EINVAL,
                            "concat of a merged frame is not supported yet; "
                            "merge the concatenated frames instead");
  subs = dusk_xcalloc(p->ninputs + 1, sizeof *subs);
  for (size_t i = 0; i < p->ninputs && rc == 0; i++)
    rc = check_node(q, p->inputs[i], 0, &subs[i], err);
  for (size_t i = 0; i < p->ninputs && rc == 0; i++)
    for (size_t c = 0; c < subs[i].n; c++) {
      int j = schema_find(out, subs[i].names[c]);
      if (j < 0) {
        schema_append(out, subs[i].names[c], subs[i].types[c],
                      subs[i].mix[c]);
        continue;
      }
      out->types[j] = dusk_type_common(out->types[j], subs[i].types[c]);
      if (out->mix[j] == MIX_NONE || out->mix[j] == MIX_MAYBE)
        out->mix[j] = subs[i].mix[c] != MIX_NONE ? subs[i].mix[c] : out->mix[j];
    }
  for (size_t c = 0; c < out->n && rc == 0; c++)
    for (size_t i = 0; i < p->ninputs; i++)
      if (out->types[c] == DUSK_TYPE_INT64 &&
          schema_find(&subs[i], out->names[c]) < 0)
        out->types[c] = DUSK_TYPE_FLOAT64;
  free_names(&p->columns, &p->ncolumns);
  for (size_t c = 0; c < out->n && rc == 0; c++) {
    set_read_type(q, p, out->names[c], out->types[c]);
    add_name(&p->columns, &p->ncolumns, out->names[c]);
  }
  for (size_t i = 0; i < p->ninputs && rc == 0; i++)
    add_gap(q, p, i, &subs[i], out);
  for (size_t i = 0; i < p->ninputs; i++)
    schema_free(&subs[i]);
  free(subs);
  if (rc != 0)
    schema_free(out);
  return rc;
}

/* CSV bytes of the files under a merge's right input. */
static uint64_t right_bytes(const sched_query *q) {
  uint64_t n = 0;
  for (size_t l = 0; l < q->nleaves; l++)
    for (size_t f = 0; q->leaves[l].right && f < q->leaves[l].nfiles; f++)
      n += q->leaves[l].files[f].size;
  return n;
}

/* Whether a query's answer is its frame's rows themselves: compute(),
 * head(n > 0), tail(n). */
static bool shows_rows(const dusk_plan *r) {
  return !dusk_plan_is_terminal(r->kind) ||
         (r->kind == DUSK_PLAN_HEAD && r->n > 0) ||
         (r->kind == DUSK_PLAN_TOPK && r->ncolumns == 0);
}

static bool shuffle_head0(const sched_query *q);

/* Whether a query shows an inner merge's or join's row order: its rows,
 * a sort's top rows (ties in that order), to_csv's files,
 * drop_duplicates' first rows, and what goes by position (a groupby's
 * first / last, a column's value_counts - its ties in order of first
 * appearance; a grouped one orders its values by count, then value).
 * pandas 1.5 orders those rows by key, keys as they first appear on the
 * left, which only a shuffle join's order groups reproduce. */
static bool inner_order_shows(const sched_query *q) {
  const dusk_plan *r = dusk_plan_result_root(q->plan);
  return shows_rows(r) || r->kind == DUSK_PLAN_TOPK ||
         q->plan->kind == DUSK_PLAN_TO_CSV ||
         r->kind == DUSK_PLAN_DROP_DUPLICATES ||
         (dusk_plan_by_position(r) &&
          !(r->kind == DUSK_PLAN_VALUE_COUNTS && r->ncolumns > 1));
}

/* assign: its value's type from the columns before it (in), which it
 * extends in place - a new name appends, an existing one is replaced where
 * it stands.  The schema borrows p's name. */
static int check_assign(sched_query *q, dusk_plan *p, schema *in,
                        dusk_error *err) {
  dusk_type t;
  int j;
  if (expr_mixed(q, in, p->expr, 0, err) != 0 ||
      (t = dusk_expr_type(p->expr, (const char *const *)in->names, in->types,
                          in->n, err)) == DUSK_TYPE_NULL) {
    char why[DUSK_ERROR_MESSAGE_MAX];
    memcpy(why, err->message, sizeof why);
    return dusk_error_set(err, err->code ? err->code : DUSK_ETYPE,
                          "assign(%s=\"%.200s\"): %s", p->columns[0],
                          p->expr_text ? p->expr_text : "", why);
  }
  if (p->expr->kind == DUSK_EXPR_LITERAL &&
      p->expr->value.type == DUSK_TYPE_NULL)
    t = DUSK_TYPE_FLOAT64; /* a column of NaN */
  expr_columns(q, p, p->expr);
  if ((j = schema_find(in, p->columns[0])) < 0) {
    in->names = dusk_xrealloc(in->names, (in->n + 1) * sizeof *in->names);
    in->types = dusk_xrealloc(in->types, (in->n + 1) * sizeof *in->types);
    {
      uint8_t *mix = dusk_xcalloc(in->n + 1, sizeof *mix);
      if (in->mix != NULL)
        memcpy(mix, in->mix, in->n * sizeof *mix);
      free(in->mix);
      in->mix = mix;
    }
    j = (int)in->n++;
    in->names[j] = p->columns[0];
  }
  in->types[j] = t;
  if (in->mix != NULL)
    in->mix[j] = MIX_NONE;
  return 0;
}

/* Puts an assign of key.astype("float64") above merge p's left input,
 * checked against the left's schema l (which it updates). */
static int cast_key_to_float(sched_query *q, dusk_plan *p, const char *key,
                             schema *l, dusk_error *err) {
  char text[DUSK_ERROR_MESSAGE_MAX];
  dusk_expr *e =
      dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_TO_FLOAT, dusk_expr_column(key),
                     NULL);
  dusk_plan *cast;
  if (e == NULL)
    dusk_xoom();
  dusk_expr_format(e, text, sizeof text);
  if ((cast = dusk_plan_assign(p->inputs[0], key, e, text)) == NULL)
    dusk_xoom();
  p->inputs[0] = cast;
  return check_assign(q, cast, l, err);
}

/* merge: a broadcast join (how inner or left, the right side within
 * DUSK_MERGE_MAX_RIGHT_BYTES of CSV), its keys typed as pandas allows
 * them, its columns named as pandas names them (dusk_merge_names).  The
 * right side reads every column it has (they all join the rows); the
 * node's csv.dtypes list them, under the right's names, for the scans. */
static int check_merge(sched_query *q, dusk_plan *p, schema *out,
                       dusk_error *err) {
  schema l = {0, NULL, NULL, NULL}, r = {0, NULL, NULL, NULL};
  bool on = true;
  int rc = 0;
  memset(out, 0, sizeof *out);
  if (p->ninputs != 2 || p->right_on == NULL || p->ncolumns == 0)
    return dusk_error_set(err, DUSK_EINVAL,
                          "merge needs a left frame, a right frame and keys");
  if (p->strategy == DUSK_MERGE_BROADCAST && p->how != DUSK_MERGE_INNER &&
      p->how != DUSK_MERGE_LEFT)
    return dusk_error_set(
        err, DUSK_EINVAL,
        "merge how=\"%s\" with broadcast=True: a broadcast join keeps or "
        "drops left rows only; leave broadcast out (a shuffle join)",
        dusk_merge_how_name(p->how) ? dusk_merge_how_name(p->how) : "?");
  if (q->merge != NULL || has_merge(p->inputs[0]) || has_merge(p->inputs[1]))
    return dusk_error_set(err, DUSK_EINVAL,
                          "one merge per query for now (merge the small "
                          "frames first and write them with to_csv)");
  q->merge = p;
  if ((rc = check_node(q, p->inputs[0], 0, &l, err)) != 0 ||
      (rc = check_node(q, p->inputs[1], 0, &r, err)) != 0)
    goto out;
  if (p->strategy == DUSK_MERGE_BROADCAST &&
      right_bytes(q) > DUSK_MERGE_MAX_RIGHT_BYTES) {
    rc = dusk_error_set(
        err, DUSK_EINVAL,
        "merge: the right side is %.1f MiB of CSV, more than the %llu MiB "
        "a broadcast join takes; leave broadcast=True out (a shuffle join)",
        (double)right_bytes(q) / (1 << 20),
        (unsigned long long)(DUSK_MERGE_MAX_RIGHT_BYTES >> 20));
    goto out;
  }
  /* an inner merge's rows are in pandas' order only from a shuffle join
   * (check_shuffle_result): by key, keys as they first appear on the
   * left - so are the first rows drop_duplicates keeps */
  q->shuffle_merge =
      p->strategy == DUSK_MERGE_SHUFFLE ||
      /* a DataFrame.join past the broadcast join's limit: a shuffle join
       * whose rows keep their left rows' labels (dfops.c JOIN_LABEL_BITS) */
      (p->strategy == DUSK_MERGE_JOIN &&
       (right_bytes(q) > DUSK_MERGE_MAX_RIGHT_BYTES ||
        /* right / outer: right rows no left row meets; inner rows: in
         * pandas' key order (dfops.c join_label_place) */
        p->how == DUSK_MERGE_RIGHT || p->how == DUSK_MERGE_OUTER ||
        (p->how == DUSK_MERGE_INNER && inner_order_shows(q)) ||
        /* whose order groups tell a left row met twice apart, which the
         * broadcast join's first-row pass cannot */
        (p->how == DUSK_MERGE_LEFT &&
         dusk_plan_result_root(q->plan)->kind ==
             DUSK_PLAN_DROP_DUPLICATES &&
         dusk_plan_result_root(q->plan)->ncolumns > 0))) ||
      (p->strategy == DUSK_MERGE_AUTO &&
       (p->how == DUSK_MERGE_RIGHT || p->how == DUSK_MERGE_OUTER ||
        (p->how == DUSK_MERGE_INNER && inner_order_shows(q)) ||
        right_bytes(q) > DUSK_MERGE_MAX_RIGHT_BYTES));
  for (size_t k = 0; k < p->ncolumns; k++)
    on &= strcmp(p->columns[k], p->right_on[k]) == 0;
  for (size_t k = 0; k < p->ncolumns; k++) {
    int jl = schema_find(&l, p->columns[k]), jr, mode;
    if (jl < 0) {
      rc = unknown_column(&l, p->columns[k],
                          on ? "merge on (left frame)" : "merge left_on", err);
      goto out;
    }
    if ((jr = schema_find(&r, p->right_on[k])) < 0) {
      rc = unknown_column(&r, p->right_on[k],
                          on ? "merge on (right frame)" : "merge right_on",
                          err);
      goto out;
    }
    if ((rc = mixed_use(q, &l, jl, "merge", "merging on it", err)) != 0 ||
        (rc = mixed_use(q, &r, jr, "merge", "merging on it", err)) != 0)
      goto out;
    if ((l.types[jl] == DUSK_TYPE_BOOL) !=
            (r.types[jr] == DUSK_TYPE_BOOL) &&
        (is_numeric(l.types[jl]) || l.types[jl] == DUSK_TYPE_BOOL) &&
        (is_numeric(r.types[jr]) || r.types[jr] == DUSK_TYPE_BOOL)) {
      rc = dusk_error_set(
          err, DUSK_ETYPE,
          "merge: the %s key '%s' against the %s key '%s': pandas merges "
          "them as object columns (True equal to 1), which dusk does not "
          "hold; convert one side with astype",
          dusk_join_dtype_name(l.types[jl]), p->columns[k],
          dusk_join_dtype_name(r.types[jr]), p->right_on[k]);
      goto out;
    }
    if (dusk_join_key_types(l.types[jl], r.types[jr], &mode) != 0) {
      /* pandas' dtypes: an int column with a null is float64 there */
      bool lna = l.types[jl] == DUSK_TYPE_INT64 &&
                 sample_saw_null(q, p->inputs[0], p->columns[k]);
      bool rna = r.types[jr] == DUSK_TYPE_INT64 &&
                 sample_saw_null(q, p->inputs[1], p->right_on[k]);
      rc = dusk_error_set(
          err, DUSK_ETYPE,
          "merge: You are trying to merge on %s and %s columns (left '%s', "
          "right '%s'); pandas raises ValueError here too - convert one "
          "side with astype",
          lna ? "float64" : dusk_join_dtype_name(l.types[jl]),
          rna ? "float64" : dusk_join_dtype_name(r.types[jr]), p->columns[k],
          p->right_on[k]);
      goto out;
    }
    if ((p->how == DUSK_MERGE_RIGHT || p->how == DUSK_MERGE_OUTER) &&
        strcmp(p->columns[k], p->right_on[k]) == 0 &&
        l.types[jl] == DUSK_TYPE_INT64 && r.types[jr] == DUSK_TYPE_FLOAT64 &&
        name_in(q->float_keys, q->nfloat_keys, p->columns[k])) {
      /* pandas' key column, kept once, becomes float64 where a right-only
       * row gives it a float (dfops.c put_right_key), which an int column
       * cannot hold - once a run has met one (handle_float_key).  So the
       * left's key is cast first, as an assign step of the left's own
       * (its ints equal as floats: the matches do not change) */
      if ((rc = cast_key_to_float(q, p, p->columns[k], &l, err)) != 0)
        goto out;
    }
    mark_needed(q, p->inputs[0], p->columns[k]);
  }
  merge_names_clear(q);
  q->merge = p;
  q->merge_lin = dusk_xcalloc(l.n + 1, sizeof *q->merge_lin);
  q->merge_lout = dusk_xcalloc(l.n + 1, sizeof *q->merge_lout);
  q->merge_rout = dusk_xcalloc(r.n + 1, sizeof *q->merge_rout);
  if ((rc = dusk_merge_names(p, (const char *const *)l.names, l.n,
                             (const char *const *)r.names, r.n,
                             q->merge_lout, q->merge_rout, err)) != 0) {
    if (rc == DUSK_ENOMEM)
      dusk_xoom();
    goto out;
  }
  for (size_t i = 0; i < l.n; i++)
    q->merge_lin[i] = dusk_xstrdup(l.names[i]);
  q->merge_nleft = l.n;
  q->merge_nright = r.n;
  for (size_t d = 0; d < p->csv.ndtypes; d++)
    free(p->csv.dtypes[d].column);
  free(p->csv.dtypes);
  free_names(&p->csv.usecols, &p->csv.nusecols);
  p->csv.dtypes = dusk_xcalloc(r.n + 1, sizeof *p->csv.dtypes);
  p->csv.ndtypes = r.n;
  p->csv.usecols = dusk_xcalloc(r.n + 1, sizeof *p->csv.usecols);
  p->csv.nusecols = r.n;
  for (size_t c = 0; c < r.n; c++) {
    p->csv.usecols[c] =
        dusk_xstrdup(q->merge_rout[c] != NULL ? q->merge_rout[c] : "");
    p->csv.dtypes[c].column = dusk_xstrdup(r.names[c]);
    p->csv.dtypes[c].type = r.types[c];
    /* a broadcast join's right side reads every column - so does a
     * shuffle's head(0), lowered as one (shuffle_head0); a shuffle's only
     * its keys and what the query uses (mark_needed, prune_right) */
    if (!q->shuffle_merge || shuffle_head0(q))
      mark_needed(q, p->inputs[1], r.names[c]);
  }
  for (size_t k = 0; q->shuffle_merge && k < p->ncolumns; k++)
    mark_needed(q, p->inputs[1], p->right_on[k]);
  for (size_t c = 0; c < l.n; c++)
    schema_append(out, q->merge_lout[c], l.types[c], l.mix ? l.mix[c] : 0);
  for (size_t c = 0; c < r.n; c++)
    if (q->merge_rout[c] != NULL)
      schema_append(out, q->merge_rout[c], r.types[c], r.mix ? r.mix[c] : 0);
out:
  schema_free(&l);
  schema_free(&r);
  if (rc != 0)
    schema_free(out);
  return rc;
}

/* Whether q is head(0) of a shuffle merge - its columns and dtypes (what
 * a lazy frame's meta asks): lowered as a broadcast join whose right side
 * gives no row (right_fragment), so neither side is read through. */
static bool shuffle_head0(const sched_query *q) {
  const dusk_plan *r = dusk_plan_result_root(q->plan);
  return q->merge != NULL && q->shuffle_merge &&
         r->kind == DUSK_PLAN_HEAD && r->n == 0;
}

/* The first sample between the result root r and the merge under it, or
 * NULL. */
static const dusk_plan *sample_after_merge(const dusk_plan *r) {
  for (const dusk_plan *s = r; s != NULL && s->kind != DUSK_PLAN_MERGE;
       s = s->ninputs > 0 ? s->inputs[0] : NULL)
    if (s->kind == DUSK_PLAN_SAMPLE)
      return s;
  return NULL;
}

/* A shuffle join's rows meet in hash parts; each part orders its rows by
 * pandas' order groups (dfops.c order_group), so the final puts the rows
 * themselves in pandas' order - labelled by their place in the merge,
 * which a filter or dropna after it keeps: the parts then also send
 * their groups' sizes (joinlabel.h).  drop_duplicates keeps the first
 * row per key by the same (order group, place), in each join and again
 * in the combines and the final, labelled as filtered rows are.  A sample after the merge is
 * refused there: it keeps a row by its place, which a part does not
 * know.  Besides the rows, it finishes aggregations: a groupby (not its
 * own split_out), value_counts, len(), a whole frame's or a column's
 * reduction - first / last and value_counts' ties by each row's (order
 * group, place), which order the rows across the parts as the final's
 * sort does.  The rest is refused, naming it. */
static int check_shuffle_result(const sched_query *q, dusk_error *err) {
  const dusk_plan *r = dusk_plan_result_root(q->plan);
  const dusk_plan *drop;
  const char *what = NULL;
  if (shuffle_head0(q))
    return 0; /* the columns alone: lowered as a broadcast of no rows */
  if (q->persist)
    return 0; /* its reads' partitions, kept: the merge runs in each later
                 query, as any step after a persisted read does */
  /* A result that hangs on where rows are (the joins then number each
   * row by its place in its order group, dfops.c order_group) after a
   * sample, which keeps a row by its place in the merge: no part knows
   * that place, and by the group's the sample would keep a part's
   * single-row groups all or none. */
  if ((drop = sample_after_merge(r)) != NULL &&
      (shows_rows(r) || r->kind == DUSK_PLAN_TOPK ||
       r->kind == DUSK_PLAN_SORT_VALUES ||
       r->kind == DUSK_PLAN_DROP_DUPLICATES ||
       q->plan->kind == DUSK_PLAN_TO_CSV || dusk_plan_by_position(r)))
    return dusk_error_set(
        err, DUSK_EINVAL,
        "%s of a %s (how=\"%s\"%s) after a %s: it keeps a row by its "
        "place in the merge, which the join's hash parts do not know; "
        "sample the frames before the %s, or aggregate the sampled rows "
        "(groupby, len, sum)",
        shows_rows(r) ? "the rows" : dusk_plan_kind_name(r->kind),
        q->merge->strategy == DUSK_MERGE_JOIN ? "join" : "shuffle merge",
        dusk_merge_how_name(q->merge->how),
        q->merge->strategy != DUSK_MERGE_JOIN ? ""
        : right_bytes(q) > DUSK_MERGE_MAX_RIGHT_BYTES
            ? ", run as a shuffle join: its lookup is past 64 MiB"
        : q->merge->how == DUSK_MERGE_LEFT
            ? ", run as a shuffle join for its drop_duplicates(subset)"
            : ", run as a shuffle join for pandas' row order",
        dusk_plan_kind_name(drop->kind),
        q->merge->strategy == DUSK_MERGE_JOIN ? "join" : "merge");
  if (dusk_plan_range_sort(q->plan))
    /* to_csv of a sort: the joins' rows range-partitioned (add_shuffle_
     * join), each part's final labelling its rows by their places in the
     * merge from every join's group lists; a set_index's divisions: each
     * join samples its rows, as a scan does */
    return 0;
  if (shows_rows(r) || r->kind == DUSK_PLAN_TOPK ||
      q->plan->kind == DUSK_PLAN_TO_CSV || /* (add_shuffle_to_csv) */
      (r->kind == DUSK_PLAN_SORT_VALUES && !dusk_plan_range_sort(q->plan)))
    /* (a top-k: its rows by (keys, group, place), labelled as filtered
     * rows are; a gathered sort_values: the rows in the merge's order
     * and labels, then sorted as pandas sorts them, a post step) */
    return 0;
  if (r->kind == DUSK_PLAN_GROUPBY || r->kind == DUSK_PLAN_VALUE_COUNTS) {
    /* first / last and value_counts' ties go by each row's (order group,
     * place), which orders the rows across the parts (a split_out too:
     * add_shuffle_join) */
  } else if (r->kind != DUSK_PLAN_LEN && r->kind != DUSK_PLAN_QUANTILE &&
             r->kind != DUSK_PLAN_DESCRIBE &&
             r->kind != DUSK_PLAN_DROP_DUPLICATES) {
    /* (quantiles and describe: two rounds of the joins, add_shuffle_join) */
    what = r->kind == DUSK_PLAN_TOPK ? "sort_values(...).head()"
                                     : dusk_plan_kind_name(r->kind);
  }
  if (what == NULL)
    return 0;
  return dusk_error_set(
      err, DUSK_EINVAL,
      "%s of a shuffle merge (how=\"%s\"%s): its rows meet in hash parts, "
      "so dusk finishes its rows (compute, head, tail, also filtered) in "
      "pandas' order and aggregations of it - groupby, value_counts, len() "
      "and reductions such as sum() - but not yet this, whose answer "
      "hangs on the rows' places across the parts%s",
      what, dusk_merge_how_name(q->merge->how),
      q->merge->strategy == DUSK_MERGE_SHUFFLE ? ", broadcast=False"
      : q->merge->how != DUSK_MERGE_RIGHT &&
              q->merge->how != DUSK_MERGE_OUTER &&
              right_bytes(q) > DUSK_MERGE_MAX_RIGHT_BYTES
          ? ", a right side past the broadcast join's 64 MiB"
          : "",
      q->merge->how == DUSK_MERGE_LEFT
          ? "; a right side within 64 MiB of CSV is a broadcast join, "
            "which gives it"
          : "");
}

/* pandas 1.5 emits an inner merge's rows grouped by key, in the order the
 * keys first appear in the left frame (its left merge keeps the left's
 * order).  Where that order shows (inner_order_shows: the rows, to_csv,
 * a sort's top rows, first / last, drop_duplicates' first rows) an inner
 * merge or join runs as a shuffle join, whose order groups give it;
 * broadcast=True, which insists on the broadcast join, is refused there. */
static int check_merge_order(const sched_query *q, dusk_error *err) {
  const dusk_plan *r = dusk_plan_result_root(q->plan);
  const char *what = NULL;
  if (q->merge != NULL && q->merge->strategy == DUSK_MERGE_JOIN &&
      q->merge->how != DUSK_MERGE_LEFT) {
    /* a join's inner / right / outer rows carry their left rows' labels
     * in their places (dfops.c join_label_place), which order a key's
     * group as pandas does and which every final reads its labels from
     * (labelled_rows): the rows, to_csv's files and a range sort's
     * (cut at (group, place) thresholds, dusk_join_cut_part), top-k,
     * first / last and drop_duplicates all run as for a merge */
    if (q->merge->how != DUSK_MERGE_INNER || inner_order_shows(q))
      return check_shuffle_result(q, err);
  }
  if (q->merge != NULL && q->shuffle_merge &&
      q->merge->strategy != DUSK_MERGE_JOIN)
    return check_shuffle_result(q, err);
  if (q->merge == NULL || q->merge->how != DUSK_MERGE_INNER)
    return q->merge != NULL && q->shuffle_merge ? check_shuffle_result(q, err)
                                                : 0;
  if (!inner_order_shows(q))
    return q->shuffle_merge ? check_shuffle_result(q, err) : 0;
  if (r->kind == DUSK_PLAN_GROUPBY)
    for (size_t a = 0; what == NULL && a < r->naggs; a++)
      if (r->aggs[a].fn == DUSK_AGG_FIRST || r->aggs[a].fn == DUSK_AGG_LAST)
        what = dusk_agg_name(r->aggs[a].fn);
  if (what == NULL)
    what = q->plan->kind == DUSK_PLAN_TO_CSV ? "to_csv"
           : dusk_plan_is_terminal(r->kind) ? dusk_plan_kind_name(r->kind)
                                            : "its rows";
  return dusk_error_set(
      err, DUSK_EINVAL,
      "%s of an inner merge with broadcast=True: pandas 1.5 orders an "
      "inner merge's rows by key, in the order keys first appear in the "
      "left frame, which only a shuffle join gives; leave broadcast=True "
      "out, or aggregate (groupby sums, counts or means, len, describe), "
      "which the broadcast join answers exactly",
      what);
}

static int check_node(sched_query *q, dusk_plan *p, int is_root, schema *out,
                      dusk_error *err) {
  schema in = {0, NULL, NULL, NULL};
  int rc;
  memset(out, 0, sizeof *out);
  if (p->kind == DUSK_PLAN_READ_CSV) {
    qleaf *lf = leaf_of(q, p);
    size_t n = 0;
    for (size_t u = 0; u < p->csv.nusecols; u++) {
      int found = 0;
      for (size_t c = 0; c < lf->ncols; c++)
        found |= strcmp(lf->header[c], p->csv.usecols[u]) == 0;
      if (!found) {
        schema hs = {lf->ncols, lf->header, lf->types, NULL};
        return unknown_column(&hs, p->csv.usecols[u], "read_csv usecols",
                              err);
      }
    }
    for (size_t d = 0; d < p->csv.ndtypes; d++) {
      int found = 0;
      for (size_t c = 0; c < lf->ncols; c++)
        if (strcmp(lf->header[c], p->csv.dtypes[d].column) == 0) {
          /* parse_dates is a wish, as in pandas: a column whose sample
           * holds a value that may be no date-time stays text (its scans
           * widen one whose first such value comes later, and refuse a
           * value pandas reads in a form dusk does not: csvscan.h) */
          if (p->csv.dtypes[d].type == DUSK_TYPE_DATETIME &&
              lf->sample_text[c]) {
            p->csv.dtypes[d].type = DUSK_TYPE_STRING;
            dusk_log(DUSK_LOG_INFO,
                     "query %s: parse_dates column '%.200s' holds a value "
                     "that is no date-time: read as text (as pandas does)",
                     q->key, lf->header[c]);
          }
          lf->types[c] = p->csv.dtypes[d].type;
          found = 1;
        }
      if (!found) {
        schema hs = {lf->ncols, lf->header, lf->types, NULL};
        return unknown_column(&hs, p->csv.dtypes[d].column,
                              p->csv.dtypes[d].type == DUSK_TYPE_DATETIME
                                  ? "read_csv parse_dates"
                                  : "read_csv dtype",
                              err);
      }
    }
    /* to_csv writes rows as its scans go, in pandas' types: an int
     * column the sample shows a null in is float64 there (its scans
     * widen one whose first null comes later). */
    if (q->plan->kind == DUSK_PLAN_TO_CSV)
      for (size_t c = 0; c < lf->ncols; c++) {
        bool given = false;
        for (size_t d = 0; d < p->csv.ndtypes; d++)
          given |= strcmp(lf->header[c], p->csv.dtypes[d].column) == 0;
        if (!given && lf->types[c] == DUSK_TYPE_INT64 && lf->sample_null[c])
          lf->types[c] = DUSK_TYPE_FLOAT64;
      }
    out->names = dusk_xcalloc(lf->ncols + 1, sizeof *out->names);
    out->types = dusk_xcalloc(lf->ncols + 1, sizeof *out->types);
    out->mix = dusk_xcalloc(lf->ncols + 1, sizeof *out->mix);
    for (size_t c = 0; c < lf->ncols; c++) {
      if (!reads_column(p, lf->header[c]))
        continue;
      /* pandas' read_csv raises on a missing value in a numpy int64 or
       * bool column whether or not a later step reads it */
      if (refuses_na(p, lf->header[c], lf->types[c]))
        lf->needed[c] = 1;
      out->names[n] = lf->header[c];
      out->types[n++] = lf->types[c];
    }
    out->n = n;
    return 0;
  }
  if (p->kind == DUSK_PLAN_CONCAT)
    return check_concat(q, p, out, err);
  if (p->kind == DUSK_PLAN_MERGE)
    return check_merge(q, p, out, err);
  /* A post step (plan.h) runs on its input's result: the terminal under
   * it ends the query's rows as if it were the root. */
  if (p->kind == DUSK_PLAN_SET_INDEX) /* for the sort under it */
    q->sort_step = "set_index";
  rc = check_node(q, p->inputs[0], dusk_plan_is_post(p) ? is_root : 0, &in,
                  err);
  if (p->kind == DUSK_PLAN_SET_INDEX)
    q->sort_step = NULL;
  if (rc != 0)
    return rc;
  /* A post step straight on a read, a concat or a merge (a whole frame's
   * rows sorted), none of which marks its own columns: the rows leave
   * with every column it gives. */
  if (is_root && dusk_plan_is_post(p) &&
      (p->inputs[0]->kind == DUSK_PLAN_READ_CSV ||
       p->inputs[0]->kind == DUSK_PLAN_CONCAT ||
       p->inputs[0]->kind == DUSK_PLAN_MERGE))
    for (size_t c = 0; c < in.n; c++)
      mark_needed(q, p->inputs[0], in.names[c]);
  if (dusk_plan_is_post(p) &&
      (p->kind == DUSK_PLAN_QUERY || p->kind == DUSK_PLAN_ASSIGN ||
       p->kind == DUSK_PLAN_SELECT || p->kind == DUSK_PLAN_RESET_INDEX ||
       p->kind == DUSK_PLAN_SET_INDEX || p->kind == DUSK_PLAN_RENAME)) {
    /* On a computed result: its columns' names and types are known only
     * to the final task, which checks the step there (worker/dfops.c). */
    *out = in;
    return 0;
  }
  if (p->kind == DUSK_PLAN_DROPNA && (rc = lower_dropna(p, &in, err)) != 0)
    goto out;
  /* describe of one text or bool column: pandas' count / unique / top /
   * freq, which its value counts give (the final task builds them). */
  if (p->kind == DUSK_PLAN_DESCRIBE && p->ncolumns == 1) {
    int j = schema_find(&in, p->columns[0]);
    if (j >= 0 && (rc = mixed_use(q, &in, j, "describe", "describing it",
                                  err)) != 0)
      goto out;
    if (j >= 0 && (in.types[j] == DUSK_TYPE_STRING ||
                   in.types[j] == DUSK_TYPE_BOOL)) {
      p->kind = DUSK_PLAN_VALUE_COUNTS;
      p->describe_counts = true;
      p->keep_na = false;
    }
  }
  if (p->kind == DUSK_PLAN_RENAME &&
      (rc = lower_rename(q, p, &in, err)) != 0)
    goto out;
  if (p->kind == DUSK_PLAN_TAIL && !dusk_plan_takes_post(p->inputs[0])) {
    schema_free(&in);
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s of a whole frame's rows takes the frame "
                          "itself (a top-k of its last rows) or a "
                          "sort_values; after groupby, value_counts or "
                          "head it cuts the computed result",
                          dusk_plan_kind_name(p->kind));
  }
  if (p->kind == DUSK_PLAN_SORT_VALUES &&
      (rc = check_sort_keys(q, p, &in, err)) != 0) {
    schema_free(&in);
    return rc;
  }
  if ((p->kind == DUSK_PLAN_HEAD || p->kind == DUSK_PLAN_TAIL) && p->n < 0) {
    schema_free(&in);
    return dusk_error_set(err, DUSK_EINVAL, "%s: negative n",
                          dusk_plan_kind_name(p->kind));
  }
  if (!is_root && dusk_plan_is_terminal(p->kind)) {
    schema_free(&in);
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s must be the last step of a query",
                          dusk_plan_kind_name(p->kind));
  }
  switch (p->kind) {
  case DUSK_PLAN_FILLNA:
    /* A fill of another kind than the column's values (a string into
     * numbers, a number into strings, ...) gives pandas an object column
     * of two kinds, but only if it meets a null: a column without one
     * keeps its dtype.  So such a column is mixed (text, MIX_STR or
     * MIX_NUMBOOL) once a null is known to meet the fill (the sample
     * shows one, or a scan reported one: DUSK_FAIL_MIXED); until then a
     * number or bool column keeps its type and its scans report the first
     * null, and a string column, text either way, is MIX_MAYBE (its scans
     * report only if a use would differ, settle_mixed). */
    free_names(&p->mixed, &p->nmixed);
    for (size_t f = 0; f < p->nfills; f++) {
      const dusk_value *v = &p->fills[f].value;
      for (size_t c = 0; c < in.n; c++) {
        if (p->fills[f].column && strcmp(p->fills[f].column, in.names[c]))
          continue;
        if (dusk_plan_fill_mixes(in.types[c], v)) {
          int strings =
              in.types[c] == DUSK_TYPE_STRING || v->type == DUSK_TYPE_STRING;
          if (!name_in(q->mixed, q->nmixed, in.names[c]) &&
              sample_saw_null(q, p->inputs[0], in.names[c]))
            add_name(&q->mixed, &q->nmixed, in.names[c]);
          if (name_in(q->mixed, q->nmixed, in.names[c]) &&
              dusk_type_is_logical(in.types[c])) {
            if (in.types[c] == DUSK_TYPE_DATETIME &&
                v->type == DUSK_TYPE_STRING)
              rc = dusk_error_set(
                  err, DUSK_ETYPE,
                  "fillna: the %s column '%s' holds NaT, and '%.*s' is no "
                  "ISO date-time (YYYY-MM-DD[ HH:MM[:SS[.f]]]): pandas "
                  "would put the text there (an object column) or read "
                  "another form of date; dusk does neither - fill it with "
                  "an ISO date-time",
                  dusk_type_name(in.types[c]), in.names[c],
                  (int)(v->u.s.len < 64 ? v->u.s.len : 64), v->u.s.ptr);
            else
              rc = dusk_error_set(
                  err, DUSK_ETYPE,
                  "fillna: the %s column '%s' holds NaT, which a fill of "
                  "another kind would turn into an object column (pandas); "
                  "that is not supported - fill the other columns by name "
                  "(fillna({\"col\": value}))",
                  dusk_type_name(in.types[c]), in.names[c]);
            goto out;
          }
          if (name_in(q->mixed, q->nmixed, in.names[c])) {
            add_name(&p->mixed, &p->nmixed, in.names[c]);
            in.types[c] = DUSK_TYPE_STRING;
            in.mix[c] = strings ? MIX_STR : MIX_NUMBOOL;
          } else if (in.types[c] == DUSK_TYPE_STRING) {
            add_name(&p->mixed, &p->nmixed, in.names[c]);
            in.mix[c] = MIX_MAYBE;
          }
          continue;
        }
        if (v->type == DUSK_TYPE_FLOAT64 && in.types[c] == DUSK_TYPE_INT64) {
          /* Like pandas, filling ints with a float makes a float column. */
          in.types[c] = DUSK_TYPE_FLOAT64;
          set_read_type(q, p, in.names[c], DUSK_TYPE_FLOAT64);
        }
      }
      if (p->fills[f].column && schema_find(&in, p->fills[f].column) < 0) {
        rc = unknown_column(&in, p->fills[f].column, "fillna", err);
        goto out;
      }
    }
    break;
  case DUSK_PLAN_QUERY: {
    dusk_type t;
    if (expr_mixed(q, &in, p->expr, 0, err) != 0) {
      char why[DUSK_ERROR_MESSAGE_MAX];
      memcpy(why, err->message, sizeof why);
      rc = dusk_error_set(err, DUSK_ETYPE, "query(\"%.200s\"): %s",
                          p->expr_text ? p->expr_text : "", why);
      goto out;
    }
    t = dusk_expr_type(p->expr, (const char *const *)in.names, in.types, in.n,
                       err);
    if (t == DUSK_TYPE_NULL) {
      char why[DUSK_ERROR_MESSAGE_MAX];
      memcpy(why, err->message, sizeof why);
      rc = dusk_error_set(err, err->code ? err->code : DUSK_ETYPE,
                          "query(\"%.200s\"): %s",
                          p->expr_text ? p->expr_text : "", why);
      goto out;
    }
    if (t != DUSK_TYPE_BOOL) {
      rc = dusk_error_set(err, DUSK_ETYPE,
                          "query(\"%.200s\") is not a condition",
                          p->expr_text ? p->expr_text : "");
      goto out;
    }
    expr_columns(q, p, p->expr);
    break;
  }
  case DUSK_PLAN_ASSIGN:
    if ((rc = check_assign(q, p, &in, err)) != 0)
      goto out;
    break;
  case DUSK_PLAN_SELECT: {
    schema sel;
    sel.n = p->ncolumns;
    sel.names = dusk_xcalloc(p->ncolumns + 1, sizeof *sel.names);
    sel.types = dusk_xcalloc(p->ncolumns + 1, sizeof *sel.types);
    sel.mix = dusk_xcalloc(p->ncolumns + 1, sizeof *sel.mix);
    for (size_t c = 0; c < p->ncolumns; c++) {
      int j = schema_find(&in, p->columns[c]);
      if (j < 0) {
        schema_free(&sel);
        rc = unknown_column(&in, p->columns[c], "column selection", err);
        goto out;
      }
      sel.names[c] = in.names[j];
      sel.types[c] = in.types[j];
      sel.mix[c] = in.mix[j];
      mark_needed(q, p, p->columns[c]);
    }
    schema_free(&in);
    in = sel;
    break;
  }
  case DUSK_PLAN_GROUPBY:
    for (size_t k = 0; k < p->ncolumns; k++) {
      int j = schema_find(&in, p->columns[k]);
      if (j < 0) {
        rc = unknown_column(&in, p->columns[k], "groupby", err);
        goto out;
      }
      if ((rc = mixed_use(q, &in, j, "groupby", "grouping by it", err)) != 0)
        goto out;
      mark_needed(q, p, p->columns[k]);
    }
    {
      bool *every = NULL;
      if ((rc = expand_aggs(q, p, &in, &every, err)) != 0)
        goto out;
      guard_text_minmax(p, &in, every);
      free(every);
    }
    for (size_t a = 0; a < p->naggs; a++) {
      int j;
      if (p->ncolumns == 0 && agg_is_rank(p->aggs[a].fn)) {
        rc = dusk_error_set(err, DUSK_EINVAL,
                            "%s is a groupby aggregation here; a whole "
                            "frame's or column's is median() / quantile(q)",
                            dusk_agg_name(p->aggs[a].fn));
        goto out;
      }
      if (p->ncolumns == 0 && (p->aggs[a].fn == DUSK_AGG_FIRST ||
                               p->aggs[a].fn == DUSK_AGG_LAST)) {
        rc = dusk_error_set(err, DUSK_EINVAL,
                            "%s is a groupby aggregation: pandas' "
                            "DataFrame.%s(offset) selects rows by time, "
                            "which dusk does not do; head(1) or tail(1) "
                            "give the first or last row",
                            dusk_agg_name(p->aggs[a].fn),
                            dusk_agg_name(p->aggs[a].fn));
        goto out;
      }
      if (p->aggs[a].column == NULL)
        continue;
      if ((j = schema_find(&in, p->aggs[a].column)) < 0) {
        /* no keys: a whole-frame reduction, df["x"].sum() */
        rc = unknown_column(&in, p->aggs[a].column,
                            p->ncolumns ? "groupby aggregate"
                                        : dusk_agg_name(p->aggs[a].fn),
                            err);
        goto out;
      }
      if (p->aggs[a].fn != DUSK_AGG_COUNT && p->aggs[a].fn != DUSK_AGG_SIZE &&
          (rc = mixed_use(q, &in, j, "groupby", agg_doing(p->aggs[a].fn),
                          err)) != 0)
        goto out;
      if ((p->aggs[a].fn == DUSK_AGG_MIN || p->aggs[a].fn == DUSK_AGG_MAX) &&
          in.types[j] == DUSK_TYPE_DATE) {
        rc = dusk_error_set(err, DUSK_ETYPE,
                            "%s of the date column '%s': pandas compares its "
                            "datetime.date objects with NaT and fails when "
                            "one is missing; take the %s of .dt.normalize() "
                            "(a datetime) instead",
                            dusk_agg_name(p->aggs[a].fn), in.names[j],
                            dusk_agg_name(p->aggs[a].fn));
        goto out;
      }
      if (agg_is_rank(p->aggs[a].fn)) {
        if ((rc = rank_agg_type(p, p->aggs[a].fn, &in, j, err)) != 0)
          goto out;
      } else if (agg_needs_numbers(p->aggs[a].fn) &&
                 !is_numeric(in.types[j]) &&
                 !time_reduction(p->aggs[a].fn, in.types[j],
                                 p->ncolumns > 0) &&
                 !text_sum(p, p->aggs[a].fn, &in, (size_t)j)) {
        rc = dusk_error_set(err, DUSK_ETYPE,
                            "%s: cannot %s the %s column '%s'%s",
                            p->ncolumns ? "groupby"
                                        : dusk_agg_name(p->aggs[a].fn),
                            dusk_agg_name(p->aggs[a].fn),
                            dusk_type_name(in.types[j]), in.names[j],
                            p->ncolumns == 0 &&
                                    p->aggs[a].fn == DUSK_AGG_VAR &&
                                    time_reduction(DUSK_AGG_STD,
                                                   in.types[j], false)
                                ? " (pandas refuses it too: a Timedelta "
                                  "cannot be squared); its std() is a "
                                  "Timedelta"
                                : "");
        goto out;
      }
      mark_needed(q, p, p->aggs[a].column);
    }
    break;
  case DUSK_PLAN_VALUE_COUNTS:
    /* the counted column, then a grouped one's keys */
    for (size_t c = 0; c < p->ncolumns; c++) {
      int j = schema_find(&in, p->columns[c]);
      if (j < 0) {
        rc = unknown_column(&in, p->columns[c],
                            c == 0 ? "value_counts" : "groupby", err);
        goto out;
      }
      if ((rc = c == 0 ? mixed_use(q, &in, j, "value_counts",
                                   "counting its values", err)
                       : mixed_use(q, &in, j, "groupby", "grouping by it",
                                   err)) != 0)
        goto out;
      mark_needed(q, p, p->columns[c]);
    }
    break;
  case DUSK_PLAN_DESCRIBE:
  case DUSK_PLAN_QUANTILE:
    if ((rc = check_quantile_columns(q, p, &in, err)) != 0)
      goto out;
    break;
  case DUSK_PLAN_DROP_DUPLICATES:
  case DUSK_PLAN_TOPK:
    /* Key columns of the frame's rows (which leave with every visible
     * column, below). */
    if ((rc = check_row_keys(q, p, &in, err)) != 0)
      goto out;
    break;
  case DUSK_PLAN_TO_CSV:
    if (p->dir == NULL || p->dir[0] == '\0') {
      rc = dusk_error_set(err, DUSK_EINVAL, "to_csv needs a directory");
      goto out;
    }
    break;
  default:
    break;
  }
  /* Rows leave the query with every visible column. */
  if (is_root && !dusk_plan_is_post(p) &&
      (p->kind == DUSK_PLAN_HEAD ||
       !(p->kind == DUSK_PLAN_GROUPBY || p->kind == DUSK_PLAN_VALUE_COUNTS ||
         p->kind == DUSK_PLAN_LEN || p->kind == DUSK_PLAN_DESCRIBE ||
         p->kind == DUSK_PLAN_QUANTILE)))
    for (size_t c = 0; c < in.n; c++)
      mark_needed(q, p, in.names[c]);
  *out = in;
  return 0;
out:
  schema_free(&in);
  return rc;
}

/* After a check: a string column that may mix (MIX_MAYBE) stays text
 * either way, so its fill need not report a null, unless a use of the
 * column would then be refused (q->sensitive): such a fill leaves its
 * plan's mixed list, and its scans report the first null (DUSK_FAIL_MIXED). */
static void settle_mixed(sched_query *q, dusk_plan *p) {
  if (p->kind == DUSK_PLAN_FILLNA) {
    size_t w = 0;
    for (size_t i = 0; i < p->nmixed; i++) {
      if (!name_in(q->mixed, q->nmixed, p->mixed[i]) &&
          name_in(q->sensitive, q->nsensitive, p->mixed[i])) {
        free(p->mixed[i]);
        continue;
      }
      p->mixed[w++] = p->mixed[i];
    }
    p->nmixed = w;
  }
  for (size_t i = 0; i < p->ninputs; i++)
    settle_mixed(q, p->inputs[i]);
}

/* Checks the whole plan (check_node from the root, then settle_mixed). */
/* to_csv's typed int columns (plan.h): those a read_csv's dtype= makes
 * int64, which stay ints with empty fields for nulls (pandas' Int64)
 * where an inferred one holding a null is float64. */
static void note_typed_ints(sched_query *q) {
  dusk_plan *p = q->plan;
  if (p->kind != DUSK_PLAN_TO_CSV)
    return;
  free_names(&p->columns, &p->ncolumns);
  for (size_t l = 0; l < q->nleaves; l++) {
    const dusk_plan *n = q->leaves[l].node;
    for (size_t d = 0; d < n->csv.ndtypes; d++)
      if (n->csv.dtypes[d].type == DUSK_TYPE_INT64)
        add_name(&p->columns, &p->ncolumns, n->csv.dtypes[d].column);
  }
}

/* Whether a right file of the merge reads column name (needed), or no
 * right file has such a column (a column the right side derives). */
static bool right_reads(const sched_query *q, const char *name) {
  bool file_column = false;
  for (size_t l = 0; l < q->nleaves; l++) {
    const qleaf *lf = &q->leaves[l];
    for (size_t c = 0; lf->right && c < lf->ncols; c++)
      if (strcmp(lf->header[c], name) == 0) {
        if (lf->needed[c])
          return true;
        file_column = true;
      }
  }
  return !file_column;
}

/* A shuffle merge's right columns the query does not use (the right
 * files' columns no step marked needed): their merged name becomes ""
 * on the merge node, as a key kept once has, so the scans neither read
 * nor carry them, while the node still lists them for pandas' suffixes.
 * head(0) (shuffle_head0) keeps them all: it shows every column. */
static void prune_right(sched_query *q) {
  dusk_plan *p = q->merge;
  if (p == NULL || !q->shuffle_merge || shuffle_head0(q))
    return;
  for (size_t c = 0; c < p->csv.ndtypes && c < p->csv.nusecols; c++)
    if (p->csv.usecols[c][0] != '\0' &&
        !right_reads(q, p->csv.dtypes[c].column)) {
      free(p->csv.usecols[c]);
      p->csv.usecols[c] = dusk_xstrdup("");
    }
}

static int check_plan(sched_query *q, dusk_error *err) {
  schema root;
  gaps_clear(q);
  merge_names_clear(q);
  note_typed_ints(q);
  free_names(&q->sensitive, &q->nsensitive);
  if (check_node(q, q->plan, 1, &root, err) != 0 ||
      check_merge_order(q, err) != 0)
    return err->code ? err->code : DUSK_EINVAL;
  schema_free(&root);
  prune_right(q);
  settle_mixed(q, q->plan);
  /* persist keeps every column of its files: later queries choose */
  for (size_t l = 0; q->persist && l < q->nleaves; l++)
    memset(q->leaves[l].needed, 1, q->leaves[l].ncols);
  return 0;
}

/* ---- lowering ------------------------------------------------------------ */

/* A copy of one plan node without its children. */
static dusk_plan *clone_node(dusk_plan *p) {
  dusk_plan **inputs = p->inputs;
  size_t n = p->ninputs;
  dusk_plan *copy;
  p->inputs = NULL;
  p->ninputs = 0;
  copy = dusk_plan_clone(p);
  p->inputs = inputs;
  p->ninputs = n;
  if (copy == NULL)
    dusk_xoom();
  return copy;
}

/* The chain from the root down to leaf (CONCAT nodes left out), as a new
 * linear plan whose leaf reads exactly the needed columns with their
 * resolved types. */
static int path_to(dusk_plan *p, const dusk_plan *leaf, dusk_plan **path,
                   size_t *n) {
  path[(*n)++] = p;
  if (p == leaf)
    return 1;
  for (size_t i = 0; i < p->ninputs; i++)
    if (path_to(p->inputs[i], leaf, path, n))
      return 1;
  (*n)--;
  return 0;
}

/* The names a fragment's rows carry after step p, given those before it
 * (avail, updated in place): an assign adds its name (a replaced one
 * keeps its place), a select keeps its list; other row steps keep them. */
static void fragment_columns(const dusk_plan *p, char ***avail, size_t *n) {
  if (p->kind == DUSK_PLAN_ASSIGN) {
    add_name(avail, n, p->columns[0]);
  } else if (p->kind == DUSK_PLAN_SELECT) {
    free_names(avail, n);
    for (size_t c = 0; c < p->ncolumns; c++)
      add_name(avail, n, p->columns[c]);
  }
}

/* frag, leaving input `input` of concat c: a one-input concat step that
 * lists the columns it carries (avail) and those the input lacks (q's
 * gaps, each with its type: the scan makes them missing values) in c's
 * order (c->columns, set by check_concat), so every input's rows reach
 * row results (head, to_csv, drop_duplicates' whole-row keys, ...) with
 * one column order, each value under its name.  Columns the query does
 * not read are not carried, and left out (none at all: frag). */
static dusk_plan *concat_step(const sched_query *q, const dusk_plan *c,
                              size_t input, dusk_plan *frag, char ***avail,
                              size_t *n) {
  const concat_gap *gap = gap_of(q, c, input);
  dusk_plan *step;
  char **cols = NULL;
  size_t ncols = 0;
  for (size_t i = 0; i < c->ncolumns; i++) {
    bool lacks = false;
    for (size_t g = 0; gap != NULL && g < gap->n; g++)
      lacks |= strcmp(gap->cols[g].column, c->columns[i]) == 0;
    if (lacks || name_in(*avail, *n, c->columns[i]))
      add_name(&cols, &ncols, c->columns[i]);
  }
  if (ncols == 0)
    return frag;
  step = xptr(dusk_plan_concat(&frag, 1));
  step->columns = cols;
  step->ncolumns = ncols;
  if (gap != NULL) {
    step->csv.dtypes = dusk_xcalloc(gap->n, sizeof *step->csv.dtypes);
    for (size_t g = 0; g < gap->n; g++) {
      step->csv.dtypes[g].column = dusk_xstrdup(gap->cols[g].column);
      step->csv.dtypes[g].type = gap->cols[g].type;
    }
    step->csv.ndtypes = gap->n;
  }
  free_names(avail, n);
  for (size_t i = 0; i < ncols; i++)
    add_name(avail, n, cols[i]);
  return step;
}

/* Which input of concat c the path goes through (child is on it). */
static size_t input_of(const dusk_plan *c, const dusk_plan *child) {
  for (size_t i = 0; i < c->ninputs; i++)
    if (c->inputs[i] == child)
      return i;
  return 0;
}

/* Which columns a resolved read lists. */
enum { READ_NEEDED, READ_ALL, READ_NONE };

/* A copy of lf's read resolved for a scan: the columns `which` picks, in
 * file order, each typed. */
static dusk_plan *resolved_read(const qleaf *lf, int which) {
  dusk_plan *r = clone_node(lf->node);
  free(r->csv.persisted); /* a scan reads a range, wherever it is */
  r->csv.persisted = NULL;
  for (size_t u = 0; u < r->csv.nusecols; u++)
    free(r->csv.usecols[u]);
  free(r->csv.usecols);
  for (size_t d = 0; d < r->csv.ndtypes; d++)
    free(r->csv.dtypes[d].column);
  free(r->csv.dtypes);
  r->csv.usecols = dusk_xcalloc(lf->ncols + 1, sizeof *r->csv.usecols);
  r->csv.dtypes = dusk_xcalloc(lf->ncols + 1, sizeof *r->csv.dtypes);
  r->csv.nusecols = r->csv.ndtypes = 0;
  for (size_t c = 0; c < lf->ncols && which != READ_NONE; c++) {
    if (which == READ_NEEDED && !lf->needed[c])
      continue;
    r->csv.usecols[r->csv.nusecols++] = dusk_xstrdup(lf->header[c]);
    r->csv.dtypes[r->csv.ndtypes].column = dusk_xstrdup(lf->header[c]);
    r->csv.dtypes[r->csv.ndtypes].no_na =
        refuses_na(lf->node, lf->header[c], lf->types[c]);
    r->csv.dtypes[r->csv.ndtypes].masked =
        user_masked(lf->node, lf->header[c], lf->types[c]);
    r->csv.dtypes[r->csv.ndtypes++].type = lf->types[c];
  }
  return r;
}

/* The chain from top (the root, or a merge's right input) down to lf. */
static dusk_plan *fragment_from(sched_query *q, dusk_plan *top, qleaf *lf) {
  dusk_plan *path[256], *frag;
  size_t n = 0, navail = 0;
  char **avail = NULL;
  if (!path_to(top, lf->node, path, &n))
    return NULL;
  /* Resolve the read: needed columns in file order, each typed. */
  frag = resolved_read(lf, READ_NEEDED);
  for (size_t u = 0; u < frag->csv.nusecols; u++)
    add_name(&avail, &navail, frag->csv.usecols[u]);
  for (size_t i = n - 1; i-- > 0;) {
    dusk_plan *node;
    if (path[i]->kind == DUSK_PLAN_CONCAT) {
      frag = concat_step(q, path[i], input_of(path[i], path[i + 1]), frag,
                         &avail, &navail);
      continue;
    }
    node = clone_node(path[i]);
    fragment_columns(node, &avail, &navail);
    node->inputs = dusk_xmalloc(sizeof *node->inputs);
    node->inputs[0] = frag;
    node->ninputs = 1;
    frag = node;
  }
  free_names(&avail, &navail);
  return frag;
}

static dusk_plan *fragment(sched_query *q, qleaf *lf) {
  return fragment_from(q, q->plan, lf);
}

/* Runs are kept sorted and disjoint: a binary search finds a range's.
 * DUSK_CSV_GUESS when the state is not known (the scan guesses). */
static int known_quote_state(const sched_query *q, uint64_t index) {
  size_t lo = 0, hi = q->nquotes;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (q->quotes[mid].last < index)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < q->nquotes && q->quotes[lo].first <= index)
    return q->quotes[lo].state;
  return DUSK_CSV_GUESS;
}

static int cmp_qstate(const void *x, const void *y) {
  const qstate *a = x, *b = y;
  return a->first < b->first ? -1 : a->first > b->first;
}

/* Growing arrays of task specs and of the byte buffers they point into. */
typedef struct specs {
  dusk_task_spec *t;
  size_t n, cap;
  dusk_df_op *ops; /* per spec: the op its name denotes */
  dusk_buf *bufs;  /* args and keys, one per spec slot */
  char **keys;
  size_t **depidx; /* per spec: indices of the specs it depends on */
  size_t *ndepidx;
  dusk_slice *deps;
  uint64_t *bytes; /* per spec: CSV bytes its scan reads, else 0 */
  char **ext; /* per spec: a key outside the graph it reads first (a
                 persisted partition), else NULL */
} specs;

static size_t add_spec(specs *sp, const char *key, dusk_df_op op,
                       dusk_buf *args) {
  if (sp->n == sp->cap) {
    sp->cap = sp->cap ? sp->cap * 2 : 64;
    sp->t = dusk_xrealloc(sp->t, sp->cap * sizeof *sp->t);
    sp->ops = dusk_xrealloc(sp->ops, sp->cap * sizeof *sp->ops);
    sp->bufs = dusk_xrealloc(sp->bufs, sp->cap * sizeof *sp->bufs);
    sp->keys = dusk_xrealloc(sp->keys, sp->cap * sizeof *sp->keys);
    sp->depidx = dusk_xrealloc(sp->depidx, sp->cap * sizeof *sp->depidx);
    sp->ndepidx = dusk_xrealloc(sp->ndepidx, sp->cap * sizeof *sp->ndepidx);
    sp->bytes = dusk_xrealloc(sp->bytes, sp->cap * sizeof *sp->bytes);
    sp->ext = dusk_xrealloc(sp->ext, sp->cap * sizeof *sp->ext);
  }
  sp->bytes[sp->n] = 0;
  sp->ext[sp->n] = NULL;
  memset(&sp->t[sp->n], 0, sizeof sp->t[0]);
  sp->keys[sp->n] = dusk_xstrdup(key);
  sp->bufs[sp->n] = *args;
  sp->depidx[sp->n] = NULL;
  sp->ndepidx[sp->n] = 0;
  sp->t[sp->n].key.ptr = sp->keys[sp->n];
  sp->t[sp->n].key.len = strlen(key);
  sp->ops[sp->n] = op;
  sp->t[sp->n].op.ptr = dusk_df_op_name(op);
  sp->t[sp->n].op.len = strlen(sp->t[sp->n].op.ptr);
  return sp->n++;
}

/* Spec idx depends on the n specs in deps (copied). */
static void set_deps(specs *sp, size_t idx, const size_t *deps, size_t n) {
  sp->depidx[idx] = dusk_xmalloc((n ? n : 1) * sizeof **sp->depidx);
  memcpy(sp->depidx[idx], deps, n * sizeof *deps);
  sp->ndepidx[idx] = n;
}

static void specs_free(specs *sp) {
  for (size_t i = 0; i < sp->n; i++) {
    dusk_buf_destroy(&sp->bufs[i]);
    free(sp->keys[i]);
    free(sp->depidx[i]);
    free(sp->ext[i]);
  }
  free(sp->ext);
  free(sp->t);
  free(sp->ops);
  free(sp->bufs);
  free(sp->keys);
  free(sp->depidx);
  free(sp->ndepidx);
  free(sp->deps);
  free(sp->bytes);
}

/* How far q's current attempt is: its tasks finished, and the CSV bytes
 * of its finished scans. */
static void progress_count(const sched_query *q, uint64_t *done,
                           uint64_t *bytes) {
  *done = *bytes = 0;
  for (size_t i = 0; i < q->nprog; i++) {
    /* A record already forgotten finished and was consumed. */
    if (dusk__sched_task_finished(q->c, q->prog_keys[i])) {
      (*done)++;
      *bytes += q->prog_bytes[i];
    }
  }
}

void dusk__query_each(sched_client *c, dusk__query_each_fn each, void *ctx) {
  for (sched_query *q = c->queries; q != NULL; q = q->next) {
    uint64_t done = 0, bytes = 0;
    if (q->state == Q_DONE)
      continue;
    if (q->state == Q_RUNNING)
      progress_count(q, &done, &bytes);
    each(ctx, q->key, q->state == Q_SAMPLING, done, q->nprog, bytes,
         q->prog_bytes_total,
         q->start_ns != 0 ? (double)(dusk_now_ns() - q->start_ns) / 1e9 : 0);
  }
}

/* Sends the query's progress (every PROGRESS_MS while it runs). */
static void progress_tick(uv_timer_t *timer) {
  sched_query *q = timer->data;
  uint64_t done, bytes;
  dusk_msg m;
  if (q == NULL || q->c == NULL || q->c->conn == NULL ||
      q->state != Q_RUNNING || q->nprog == 0)
    return;
  progress_count(q, &done, &bytes);
  /* Sent also when nothing changed: the client's display keeps its
   * elapsed time moving while a slow task holds the query. */
  memset(&m, 0, sizeof m);
  m.type = DUSK_MSG_PROGRESS;
  m.u.progress.key.ptr = q->key;
  m.u.progress.key.len = strlen(q->key);
  m.u.progress.tasks_done = done;
  m.u.progress.tasks_total = q->nprog;
  m.u.progress.bytes_done = bytes;
  m.u.progress.bytes_total = q->prog_bytes_total;
  dusk_xcheck(dusk_conn_send(q->c->conn, &m));
}

/* The new attempt's tasks become what progress counts. */
static void progress_start(sched_query *q, const specs *sp) {
  progress_clear(q);
  q->nprog = sp->n;
  q->prog_keys = dusk_xcalloc(sp->n ? sp->n : 1, sizeof *q->prog_keys);
  q->prog_bytes = dusk_xcalloc(sp->n ? sp->n : 1, sizeof *q->prog_bytes);
  for (size_t i = 0; i < sp->n; i++) {
    q->prog_keys[i] = dusk_xstrdup(sp->keys[i]);
    q->prog_bytes[i] = sp->bytes[i];
    q->prog_bytes_total += sp->bytes[i];
  }
  if (q->prog_timer == NULL) {
    q->prog_timer = dusk_xmalloc(sizeof *q->prog_timer);
    uv_timer_init(dusk__sched_loop(q->s), q->prog_timer);
    q->prog_timer->data = q;
    uv_timer_start(q->prog_timer, progress_tick, PROGRESS_MS, PROGRESS_MS);
  }
}

/* Appends idx to a growing list of spec indices. */
static void push_index(size_t **list, size_t *n, size_t *cap, size_t idx) {
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 64;
    *list = dusk_xrealloc(*list, *cap * sizeof **list);
  }
  (*list)[(*n)++] = idx;
}

/* A combine tree of fan-in fanin (at least 2) over the nlevel specs in
 * level (which it overwrites), ending in one spec keyed last_key running
 * last_op; every node gets tail_args.  Returns the last spec's index. */
static size_t add_combine_tree(specs *sp, size_t *level, size_t nlevel,
                               size_t fanin, const dusk_buf *tail_args,
                               const char *prefix, const char *last_key,
                               dusk_df_op last_op) {
  char key[192];
  for (int round = 0;; round++) {
    size_t next = 0;
    int last = nlevel <= fanin;
    for (size_t i = 0; i < nlevel; i += fanin, next++) {
      size_t n = nlevel - i < fanin ? nlevel - i : fanin;
      dusk_buf args;
      size_t idx;
      dusk_buf_init(&args);
      dusk_xcheck(dusk_buf_append(&args, tail_args->data, tail_args->len));
      if (last)
        snprintf(key, sizeof key, "%s", last_key);
      else
        snprintf(key, sizeof key, "%s/combine-%d-%zu", prefix, round, next);
      idx = add_spec(sp, key, last ? last_op : DUSK_DF_COMBINE, &args);
      set_deps(sp, idx, level + i, n);
      level[next] = idx;
    }
    nlevel = next;
    if (last)
      return level[0];
  }
}

/* The plan of a to_csv query's counting scans: len() of the leaf's file,
 * reading no column (rows are counted as every scan counts them).  Rows
 * after a merge are labelled 0, 1, ... in their order (pandas' merge
 * gives a new index), so there they count the merge's rows: the query's
 * fragment with len() for to_csv. */
static dusk_plan *count_fragment(sched_query *q, qleaf *lf) {
  dusk_plan *leaf, *len;
  if (q->merge != NULL) {
    dusk_plan *frag = fragment(q, lf), *rows;
    if (frag == NULL)
      return NULL;
    rows = frag->inputs[0];
    frag->inputs[0] = NULL;
    frag->ninputs = 0;
    dusk_plan_free(frag);
    return xptr(dusk_plan_len(rows));
  }
  leaf = resolved_read(lf, READ_NONE);
  if ((len = dusk_plan_len(leaf)) == NULL)
    dusk_xoom();
  return len;
}

/* Adds to nulls (names joined by DUSK_NULLS_SEP) the columns of lf that
 * the query reads and whose sample held a null, where that changes
 * pandas' dtype for the leaf's fragment frag (dusk_nulls_count): df_final
 * counts them with what the scans report, so that a head that stops
 * before reaching a null, or a scan that meets none, still answers with
 * pandas' dtype for what the sample saw. */
/* A concat's column that an input lacks holds missing values there (so
 * pandas' dtype of a bool one is object), known before any scan reports
 * one: the tail's sample nulls list them (frag: any scan's fragment,
 * for the fills above the concat). */
static void gap_nulls(const sched_query *q, const dusk_plan *frag,
                      dusk_buf *nulls) {
  for (size_t g = 0; g < q->ngaps; g++)
    for (size_t c = 0; c < q->gaps[g].n; c++) {
      const dusk_dtype *d = &q->gaps[g].cols[c];
      if (dusk_nulls_count(frag, d->column, d->type))
        dusk_xcheck(dusk_names_add(nulls, d->column, strlen(d->column)));
    }
}

static void sample_nulls(const qleaf *lf, const dusk_plan *frag,
                         dusk_buf *nulls) {
  for (size_t c = 0; c < lf->ncols; c++)
    if (lf->needed[c] && lf->sample_null[c] &&
        dusk_nulls_count(frag, lf->header[c], lf->types[c]))
      dusk_xcheck(dusk_names_add(nulls, lf->header[c], strlen(lf->header[c])));
}

/* What a round of scans is for: the query's own (key ".../scan-f-k"), the
 * counting scans of a to_csv query (".../count-f-k", plan count_fragment)
 * or the first round of a quantile's (".../summary-f-k", the query's
 * plan: scans without an input summarise, quantile.h) or of a
 * drop_duplicates' (".../keys-f-k": scans without an input find each
 * key's first row). */
enum {
  SCANS_QUERY,
  SCANS_COUNT,
  SCANS_SUMMARY,
  SCANS_KEYS,
  SCANS_RIGHT,
  /* a shuffle merge's left side: its files' rows up to the merge
   * (".../left-f-k", fragments below it), for df_join_split */
  SCANS_LEFT,
  /* persist(): every leaf's ranges, all columns, into partitions
   * (".../persist-f-k", kept), each read by a df_persisted
   * (".../persisted-f-k") whose partial goes on to the combines */
  SCANS_PERSIST
};

/* persist's fragment of lf: its read of every column, typed, then the
 * persist terminal. */
static dusk_plan *persist_fragment(qleaf *lf) {
  return xptr(dusk_plan_persist(resolved_read(lf, READ_ALL)));
}

/* The fragment of a merge's right file lf: its rows up to the merge, or
 * none of them for head(0) of a shuffle merge (shuffle_head0). */
static dusk_plan *right_fragment(sched_query *q, qleaf *lf) {
  dusk_plan *f = fragment_from(q, q->merge->inputs[1], lf);
  return f != NULL && shuffle_head0(q) ? xptr(dusk_plan_head(f, 0)) : f;
}

/* One df_scan per byte range of every file, files in plan order, for
 * `round` (SCANS_*), each
 * depending on after[0..nafter), and then on `right` (a
 * merge's right table, always the last input) unless it is SIZE_MAX.
 * SCANS_RIGHT scans the files under the merge's right input (".../right-
 * f-k", collecting its rows), the others every other file; file ordinals
 * count every file of the plan either way, so range indices never
 * collide.  Their indices go to
 * *level; *multi is set when a file has more than one range.  The first
 * leaf's fragment goes to tail_plan (the tasks after the scans read only
 * its root and leaf types) and, unless nulls is NULL, every leaf's sample
 * nulls to nulls. */
static void add_scans(sched_query *q, specs *sp, int round,
                      const size_t *after, size_t nafter,
                      size_t right, size_t **level, size_t *nlevel,
                      size_t *cap_level, dusk_buf *tail_plan,
                      dusk_buf *nulls, int *multi) {
  uint64_t file_ordinal = 0;
  char key[192];
  bool first = true;
  for (size_t l = 0; l < q->nleaves; l++) {
    qleaf *lf = &q->leaves[l];
    dusk_plan *frag;
    dusk_buf plan_bytes;
    dusk_slice *header;
    uint64_t bs = lf->node->csv.blocksize > 0
                      ? (uint64_t)lf->node->csv.blocksize
                      : (uint64_t)q->s->cfg.blocksize;
    const sched_query *pq =
        lf->persisted != NULL && round != SCANS_PERSIST
            ? persist_query(q->c, lf->persisted)
            : NULL;
    if (round != SCANS_PERSIST && lf->right != (round == SCANS_RIGHT)) {
      file_ordinal += lf->nfiles;
      continue;
    }
    frag = round == SCANS_PERSIST ? persist_fragment(lf)
           : round == SCANS_COUNT ? count_fragment(q, lf)
           : round == SCANS_RIGHT ? right_fragment(q, lf)
           : round == SCANS_LEFT  ? fragment_from(q, q->merge->inputs[0], lf)
                                  : fragment(q, lf);
    header = dusk_xcalloc(lf->ncols + 1, sizeof *header);
    dusk_buf_init(&plan_bytes);
    if (frag == NULL)
      dusk_xoom();
    dusk_xcheck(dusk_plan_encode(frag, &plan_bytes));
    if (first)
      dusk_xcheck(dusk_plan_encode(frag, tail_plan));
    first = false;
    if (nulls != NULL) {
      sample_nulls(lf, frag, nulls);
      gap_nulls(q, frag, nulls);
    }
    dusk_plan_free(frag);
    for (size_t c = 0; c < lf->ncols; c++) {
      header[c].ptr = lf->header[c];
      header[c].len = strlen(lf->header[c]);
    }
    for (size_t f = 0; f < lf->nfiles; f++, file_ordinal++) {
      qfile *qf = &lf->files[f];
      uint64_t start = qf->data_start, k = 0;
      do {
        dusk_scan_args a;
        dusk_buf args;
        size_t idx;
        char *ext = NULL;
        /* A server that cannot serve ranges is read as one range. */
        uint64_t end = qf->ranges ? (start / bs + 1) * bs : qf->size;
        if (end > qf->size || qf->size <= start)
          end = qf->size > start ? qf->size : start;
        memset(&a, 0, sizeof a);
        a.plan.ptr = plan_bytes.data;
        a.plan.len = plan_bytes.len;
        a.path.ptr = qf->path;
        a.path.len = strlen(qf->path);
        a.start = start;
        a.end = end;
        a.data_start = qf->data_start;
        a.file_size = qf->size;
        a.index = (file_ordinal << 32) | k;
        a.start_state = (uint8_t)known_quote_state(q, a.index);
        if (pq != NULL) {
          /* The persisted partition of this range: the scan reads it
           * where it is, in the state its persist scan started in. */
          uint64_t pindex = ((lf->pfile_base + f) << 32) | k;
          char pkey[192];
          if (a.start_state == DUSK_CSV_GUESS)
            a.start_state = (uint8_t)known_quote_state(pq, pindex);
          a.persisted = true;
          snprintf(pkey, sizeof pkey, "%s/persist-%" PRIu64 "-%" PRIu64,
                   pq->final_key, lf->pfile_base + f, k);
          ext = dusk_xstrdup(pkey);
        }
        a.nheader = (uint32_t)lf->ncols;
        a.header = header;
        a.max_field = q->max_field;
        a.version.ptr = qf->version;
        a.version.len = strlen(qf->version);
        dusk_buf_init(&args);
        dusk_xcheck(dusk_scan_args_encode(&a, &args));
        snprintf(key, sizeof key, "%s/%s-%" PRIu64 "-%" PRIu64, q->final_key,
                 round == SCANS_COUNT     ? "count"
                 : round == SCANS_SUMMARY ? "summary"
                 : round == SCANS_KEYS    ? "keys"
                 : round == SCANS_RIGHT   ? "right"
                 : round == SCANS_LEFT    ? "left"
                 : round == SCANS_PERSIST ? "persist"
                                          : "scan",
                 file_ordinal, k);
        idx = add_spec(sp, key, DUSK_DF_SCAN, &args);
        sp->bytes[idx] = end - start;
        sp->ext[idx] = ext;
        ext = NULL;
        {
          size_t *deps = dusk_xcalloc(nafter + 2, sizeof *deps), nd = 0;
          for (size_t d = 0; d < nafter; d++)
            deps[nd++] = after[d];
          if (right != SIZE_MAX)
            deps[nd++] = right;
          if (nd > 0)
            set_deps(sp, idx, deps, nd);
          free(deps);
        }
        if (round == SCANS_PERSIST) {
          /* the partition stays where it is made; its partial travels */
          dusk_buf none;
          size_t rep;
          dusk_buf_init(&none);
          q->kept = dusk_xrealloc(q->kept, (q->nkept + 1) * sizeof *q->kept);
          q->kept[q->nkept++] = dusk_xstrdup(key);
          snprintf(key, sizeof key, "%s/persisted-%" PRIu64 "-%" PRIu64,
                   q->final_key, file_ordinal, k);
          rep = add_spec(sp, key, DUSK_DF_PERSISTED, &none);
          set_deps(sp, rep, &idx, 1);
          idx = rep;
        }
        push_index(level, nlevel, cap_level, idx);
        start = end;
        k++;
      } while (start < qf->size);
      if (k > 1)
        *multi = 1;
    }
    dusk_buf_destroy(&plan_bytes);
    free(header);
  }
}

/* encode_args' flags: which of dusk_tail_args' bools are set (dftask.h
 * says what each does; the values are those of its encoded flags). */
enum {
  /* a shuffle merge's right final: its rows labelled by their place
   * across every right file, which orders them for the joins (how right
   * / outer) */
  TAIL_POSITIONS = 1,
  TAIL_STAGE_FIRST = 2, /* a shuffle join's second round (its stage) */
  TAIL_GROUPS = 4,      /* a shuffle merge's to_csv: its count round */
  TAIL_WRITE_PART = 8   /* ... and its files' finals and their gather */
};

/* The tail tasks' arguments (dftask.h) into out, replacing its bytes:
 * plan, nulls (NULL for none), part of nparts (nparts > 0 for a split
 * part's or a shuffle part's tasks, else 0 and 0) and flags, a set of
 * TAIL_* (0 for none).  Every dusk_tail_args the scheduler sends is made
 * here, so a field added to it is set in one place. */
static void encode_args(dusk_buf *out, const dusk_buf *plan,
                        const dusk_buf *nulls, uint32_t part,
                        uint32_t nparts, unsigned flags) {
  dusk_tail_args a;
  memset(&a, 0, sizeof a);
  a.plan.ptr = plan->data;
  a.plan.len = plan->len;
  a.nulls.ptr = nulls != NULL ? nulls->data : NULL;
  a.nulls.len = nulls != NULL ? nulls->len : 0;
  a.part = part;
  a.nparts = nparts;
  a.positions = (flags & TAIL_POSITIONS) != 0;
  a.stage_first = (flags & TAIL_STAGE_FIRST) != 0;
  a.groups = (flags & TAIL_GROUPS) != 0;
  a.write_part = (flags & TAIL_WRITE_PART) != 0;
  out->len = 0;
  dusk_xcheck(dusk_tail_args_encode(&a, out));
}

static void encode_part_args(dusk_buf *out, const dusk_buf *plan,
                             const dusk_buf *nulls, uint32_t part,
                             uint32_t nparts) {
  encode_args(out, plan, nulls, part, nparts, 0);
}

static void encode_tail_args(dusk_buf *out, const dusk_buf *plan,
                             const dusk_buf *nulls) {
  encode_part_args(out, plan, nulls, 0, 0);
}

/* One task of op per input in[0..n) (".../<name>-<i>", each depending on
 * its input alone, tail args plan, nulls, part of nparts), their indices
 * into out: the samples and splits of the shuffles, made where their
 * inputs are. */
static void add_each(sched_query *q, specs *sp, dusk_df_op op,
                     const size_t *in, size_t n, const dusk_buf *plan,
                     const dusk_buf *nulls, uint32_t part, uint32_t nparts,
                     const char *name, size_t *out) {
  char key[192];
  for (size_t i = 0; i < n; i++) {
    dusk_buf a;
    dusk_buf_init(&a);
    encode_part_args(&a, plan, nulls, part, nparts);
    snprintf(key, sizeof key, "%s/%.48s-%zu", q->final_key, name, i);
    out[i] = add_spec(sp, key, op, &a);
    set_deps(sp, out[i], &in[i], 1);
  }
}

/* Part j's df_pick of each split in splits[0..n), into picks
 * (".../<side>-pick-<j>-<i>"). */
static void add_picks(sched_query *q, specs *sp, const size_t *splits,
                      size_t n, const char *side, uint32_t j, uint32_t nparts,
                      const dusk_buf *plan, size_t *picks) {
  char name[64];
  snprintf(name, sizeof name, "%s-pick-%u", side, j);
  add_each(q, sp, DUSK_DF_PICK, splits, n, plan, NULL, j, nparts, name,
           picks);
}

/* Pins the results of the tasks sp's specs idx[0..n) make to the worker
 * that makes them: copies of their keys go to q->stay, which
 * lower_and_submit marks stay (sched_task.stay) once the submission made
 * the tasks, so their dependents run where they are.  For a result that
 * many tasks each read a part of (a scan's partial, a split): moving it
 * whole would cost more than waiting for its holder.  (The marks are set
 * together after the submission: the order of q->stay is no matter.) */
static void stay_where_made(sched_query *q, const specs *sp,
                            const size_t *idx, size_t n) {
  q->stay = dusk_xrealloc(q->stay, (q->nstay + n + 1) * sizeof *q->stay);
  for (size_t i = 0; i < n; i++)
    q->stay[q->nstay++] = dusk_xstrdup(sp->keys[idx[i]]);
}

/* A groupby's split_out (plan.h): the scans' partials (in level) are each
 * cut by key hash into nparts parts (df_split, where the partial is);
 * part j of every scan goes through a combine tree of its own to a
 * df_final that finishes just those groups; df_gather puts the parts'
 * results in key order under the query's final key and runs the post
 * steps.  No task ever holds every group's partial state.  A column's
 * value_counts goes the same way, but its parts' finals hand on their
 * merged counts (with each value's first row) and df_gather sorts them
 * all by count, as pandas does, from the order the values first appear. */
static void add_split_out(sched_query *q, specs *sp, const size_t *level,
                          size_t nlevel, uint32_t nparts,
                          const dusk_buf *tail_plan, const dusk_buf *nulls) {
  size_t fanin = (size_t)q->s->cfg.combine_fanin;
  size_t *parts = dusk_xcalloc(nparts, sizeof *parts);
  size_t *split = dusk_xcalloc(nlevel + 1, sizeof *split);
  char prefix[192];
  dusk_buf args;
  size_t idx;
  dusk_buf_init(&args);
  for (uint32_t j = 0; j < nparts; j++) {
    char name[32];
    snprintf(name, sizeof name, "split-%u", j);
    add_each(q, sp, DUSK_DF_SPLIT, level, nlevel, tail_plan, nulls, j, nparts,
             name, split);
    encode_part_args(&args, tail_plan, nulls, j, nparts);
    snprintf(prefix, sizeof prefix, "%s/part-%u", q->final_key, j);
    parts[j] = add_combine_tree(sp, split, nlevel, fanin, &args, prefix,
                                prefix, DUSK_DF_FINAL);
  }
  encode_tail_args(&args, tail_plan, nulls);
  idx = add_spec(sp, q->final_key, DUSK_DF_GATHER, &args);
  set_deps(sp, idx, parts, nparts);
  /* the scans' partials stay where they are made: each is read nparts
   * times, a part at a time */
  stay_where_made(q, sp, level, nlevel);
  free(parts);
  free(split);
}

/* Whether a node under p computes or renames column name (assign,
 * rename): its values are then not the files' (no sample of them). */
static bool derives(const dusk_plan *p, const char *name) {
  if (p == NULL)
    return false;
  if (p->kind == DUSK_PLAN_ASSIGN && p->ncolumns > 0 &&
      strcmp(p->columns[0], name) == 0)
    return true;
  if (p->kind == DUSK_PLAN_RENAME)
    for (size_t i = 0; i < p->ncolumns; i++)
      if (p->renamed && strcmp(p->renamed[i], name) == 0)
        return true;
  for (size_t i = 0; i < p->ninputs; i++)
    if (derives(p->inputs[i], name))
      return true;
  return false;
}

/* A column of a merge's result (name) as one side's column: 1 for the
 * left, 2 for the right, with its name in that side's frame (*source); 0
 * when the merge makes it or a step under the merge derives it.  A merge
 * only repeats or drops rows, so the column holds no value that side's
 * column does not (and a null): that side's sample speaks for its
 * distinct values. */
static int merge_source(const sched_query *q, const char *name,
                        const char **source) {
  const dusk_plan *m = q->merge;
  for (size_t k = 0; k < m->ncolumns; k++)
    if (strcmp(m->columns[k], name) == 0 &&
        strcmp(m->right_on[k], name) == 0 &&
        (m->how == DUSK_MERGE_RIGHT || m->how == DUSK_MERGE_OUTER))
      return 0; /* a key kept once holds both sides' keys */
  for (size_t i = 0; i < q->merge_nleft; i++)
    if (q->merge_lout[i] != NULL && strcmp(q->merge_lout[i], name) == 0) {
      *source = q->merge_lin[i];
      return derives(m->inputs[0], *source) ? 0 : 1;
    }
  for (size_t j = 0; j < q->merge_nright; j++)
    if (q->merge_rout[j] != NULL && strcmp(q->merge_rout[j], name) == 0) {
      *source = m->csv.dtypes[j].column;
      return derives(m->inputs[1], *source) ? 0 : 2;
    }
  return 0;
}

/* The split_out a groupby, a column's value_counts, a groupby's
 * value_counts (as_index=True: with as_index=False pandas sorts the counts
 * across the groups, which split parts cannot) or a nunique reduction
 * gets without asking (groupest.h): 0 for the tree, which is
 * every case the estimate cannot speak for - a key made by a step, a
 * merge, a persisted read, workers whose limits are not known yet - and
 * every one whose state fits. */
static uint32_t auto_split_out(const sched_query *q, const dusk_plan *r,
                               size_t nscans) {
  uint64_t limit = 0;
  double state = 0;
  bool counts = r->kind == DUSK_PLAN_VALUE_COUNTS;
  bool nunique = dusk_nunique_reduction(r);
  /* the columns whose distinct values make the state: the keys, or each
   * nunique's column */
  size_t ncols = nunique ? r->naggs : r->ncolumns;
  /* after a merge, each column's name in its side's files, and the side
   * (1 left, 2 right) every one of them is on */
  const char **names = NULL;
  int side = 0;
  uint32_t nsplit = 0;
  if (!(r->kind == DUSK_PLAN_GROUPBY ||
        (counts && r->ncolumns == 1 && !r->describe_counts) ||
        (counts && r->ncolumns > 1 && !r->flat)) ||
      (r->ncolumns == 0 && !nunique) || r->split_out > 1 || q->persist)
    return 0;
  for (size_t k = 0; k < ncols; k++)
    if (derives(r->inputs[0], nunique ? r->aggs[k].column : r->columns[k]))
      return 0;
  if (q->merge != NULL) {
    names = dusk_xcalloc(ncols + 1, sizeof *names);
    for (size_t k = 0; k < ncols; k++) {
      int s = merge_source(q, nunique ? r->aggs[k].column : r->columns[k],
                           &names[k]);
      if (s == 0 || (side != 0 && s != side))
        goto out;
      side = s;
    }
  }
  for (size_t i = 0; i < q->s->workers.cap; i++) {
    const sched_worker *w = q->s->workers.slots[i].value;
    if (w == NULL)
      continue;
    if (w->memory_limit == 0)
      goto out; /* one not heard from yet */
    if (limit == 0 || w->memory_limit < limit)
      limit = w->memory_limit;
  }
  for (size_t l = 0; l < q->nleaves; l++) {
    const qleaf *lf = &q->leaves[l];
    double distinct = 0, key_bytes = 0, rows;
    if (side != 0 && lf->right != (side == 2))
      continue; /* the other side of the merge */
    if (lf->distinct == NULL || lf->sample_rows == 0 ||
        lf->sample_span == 0)
      goto out;
    rows = (double)lf->data_bytes * (double)lf->sample_rows /
           (double)lf->sample_span;
    for (size_t k = 0; k < ncols; k++) {
      const char *name = names != NULL ? names[k]
                         : nunique     ? r->aggs[k].column
                                       : r->columns[k];
      size_t c = 0;
      while (c < lf->ncols && strcmp(lf->header[c], name) != 0)
        c++;
      if (c == lf->ncols)
        goto out;
      if (nunique) { /* each value: its bytes and a set entry */
        state += dusk_groups_estimate(dusk_kmv_distinct(&lf->distinct[c]),
                                      lf->sample_rows, rows) *
                 ((double)lf->value_bytes[c] / (double)lf->sample_rows +
                  40.0);
        continue;
      }
      if (dusk_kmv_distinct(&lf->distinct[c]) > distinct)
        distinct = dusk_kmv_distinct(&lf->distinct[c]);
      key_bytes += (double)lf->value_bytes[c] / (double)lf->sample_rows;
    }
    if (nunique)
      continue;
    /* a group's partial state: its key, a slot, each aggregate's state */
    state += dusk_groups_estimate(distinct, lf->sample_rows, rows) *
             (key_bytes + 48.0 +
              24.0 * (counts ? 2.0 : (double)(r->naggs ? r->naggs : 1)));
  }
  nsplit = dusk_auto_split_out(state, limit, nscans);
out:
  free(names);
  return nsplit;
}

static void log_auto_split_out(const sched_query *q, const dusk_plan *r,
                               uint32_t n) {
  dusk_log(DUSK_LOG_INFO,
           "query %s: the %s's state is estimated past %.0f%% of the "
           "workers' memory limit: split_out=%u",
           q->key, dusk_plan_kind_name(r->kind), DUSK_TREE_SHARE * 100, n);
}

/* A drop_duplicates' key round over nscans scans is cut by key hash into
 * this many parts (add_dedup_shuffle), or 1: a single df_bounds.  Every
 * scan's partial holds the first position of each key it met, so the one
 * df_bounds of an unparted round holds every distinct key of the frame -
 * the bottleneck (memory and time) with many distinct keys. */
#define DEDUP_MAX_PARTS 16
/* (a part per 8 scans: each part costs a pick of every scan's split) */
static uint32_t dedup_parts(size_t nscans) {
  size_t n = nscans / 8;
  return n < 2 ? 1 : n > DEDUP_MAX_PARTS ? DEDUP_MAX_PARTS : (uint32_t)n;
}

/* drop_duplicates of a subset, its key round as a hash shuffle: each key
 * scan's partial (in level) is cut by key hash into nparts parts at once
 * where it is (df_split), df_pick hands part j to part j's combine tree
 * and df_bounds (".../positions-j": the first position of each of its
 * keys, every key round range checked); each scan of the rows round
 * takes all nparts positions tables and keeps its range's rows.  No task
 * holds more than a part of the distinct keys.  Returns the df_bounds
 * indices (nparts of them, malloc'd). */
static size_t *add_dedup_shuffle(sched_query *q, specs *sp,
                                 const size_t *level, size_t nlevel,
                                 const dusk_buf *tail_plan, uint32_t nparts) {
  size_t fanin = (size_t)q->s->cfg.combine_fanin;
  size_t *splits = dusk_xcalloc(nlevel + 1, sizeof *splits);
  size_t *picks = dusk_xcalloc(nlevel + 1, sizeof *picks);
  size_t *bounds = dusk_xcalloc(nparts, sizeof *bounds);
  char key[192], prefix[192];
  dusk_buf args;
  dusk_buf_init(&args);
  add_each(q, sp, DUSK_DF_SPLIT, level, nlevel, tail_plan, NULL, 0, nparts,
           "ksplit", splits);
  for (uint32_t j = 0; j < nparts; j++) {
    add_picks(q, sp, splits, nlevel, "keys", j, nparts, tail_plan, picks);
    encode_tail_args(&args, tail_plan, NULL);
    snprintf(prefix, sizeof prefix, "%s/keys-%u", q->final_key, j);
    snprintf(key, sizeof key, "%s/positions-%u", q->final_key, j);
    bounds[j] = add_combine_tree(sp, picks, nlevel, fanin, &args, prefix, key,
                                 DUSK_DF_BOUNDS);
  }
  /* the key partials are split where they are made, and each split is
   * picked apart where it is */
  stay_where_made(q, sp, level, nlevel);
  stay_where_made(q, sp, splits, nlevel);
  dusk_buf_destroy(&args);
  free(splits);
  free(picks);
  return bounds;
}

/* The most parts (files) a sorted to_csv writes by itself: each scan's
 * rows are cut into every part by one df_split, and each part gathers its
 * rows from every scan, so parts cost nscans x nparts small tasks.  A
 * user's npartitions= (up to DUSK_PLAN_MAX_PARTS) is taken as asked. */
#define RANGE_SORT_MAX_PARTS 16
/* The most picks a sorted part's df_final merges without a combine tree. */
#define RANGE_SORT_DIRECT_PICKS 64

/* A sorted to_csv (plan.h SORT_VALUES with dir; df/rangepart.h): each
 * scan's rows partial is sampled where it is (df_sample); df_cuts turns
 * the samples into nparts - 1 cut rows (or the divisions the user gave
 * into their typed rows: its answer when the query asks for the
 * divisions alone, as df_cuts then makes them from the samples too;
 * nparts the user's, else one per scan, 2 to RANGE_SORT_MAX_PARTS);
 * df_split cuts each partial into
 * all nparts parts at once, where it is; df_pick hands part j of it to
 * part j's combine tree and df_final, which sorts that part's rows (ties
 * in file order) and writes its file; df_gather lists the files in order
 * under the query's final key.  Only part j's final holds part j's rows:
 * no task holds the frame. */
static void add_range_sort(sched_query *q, specs *sp, const size_t *level,
                           size_t nlevel, const dusk_buf *tail_plan,
                           const dusk_buf *nulls) {
  size_t fanin = (size_t)q->s->cfg.combine_fanin;
  const dusk_plan *sort = dusk_plan_sort_node(q->plan);
  uint32_t nparts = sort->nparts > 0                 ? sort->nparts
                    : nlevel < 2                     ? 2
                    : nlevel > RANGE_SORT_MAX_PARTS ? RANGE_SORT_MAX_PARTS
                                                    : (uint32_t)nlevel;
  size_t *samples = dusk_xcalloc(nlevel + 1, sizeof *samples);
  size_t *splits = dusk_xcalloc(nlevel + 1, sizeof *splits);
  size_t *picks = dusk_xcalloc(nlevel + 1, sizeof *picks);
  size_t *parts = dusk_xcalloc(nparts, sizeof *parts);
  size_t cuts, idx;
  char key[192], prefix[192];
  dusk_buf args;
  dusk_buf_init(&args);
  /* a divisions query's scans sample their rows themselves (worker
   * op_df_scan), so no scan's rows wait for a df_sample */
  if (sort->divisions_only)
    memcpy(samples, level, nlevel * sizeof *samples);
  else
    add_each(q, sp, DUSK_DF_SAMPLE, level, nlevel, tail_plan, nulls, 0,
             nparts, "sample", samples);
  {
    dusk_buf a;
    dusk_buf_init(&a);
    encode_part_args(&a, tail_plan, nulls, 0, nparts);
    if (sort->divisions_only) /* the answer */
      snprintf(key, sizeof key, "%s", q->final_key);
    else
      snprintf(key, sizeof key, "%s/cuts", q->final_key);
    cuts = add_spec(sp, key, DUSK_DF_CUTS, &a);
    set_deps(sp, cuts, samples, nlevel);
  }
  if (sort->divisions_only)
    goto out;
  for (size_t i = 0; i < nlevel; i++) {
    dusk_buf a;
    size_t deps[2];
    dusk_buf_init(&a);
    encode_part_args(&a, tail_plan, nulls, 0, nparts);
    snprintf(key, sizeof key, "%s/split-%zu", q->final_key, i);
    splits[i] = add_spec(sp, key, DUSK_DF_SPLIT, &a);
    deps[0] = level[i];
    deps[1] = cuts;
    set_deps(sp, splits[i], deps, 2);
  }
  /* Part j's final holds all of part j's rows whatever the tree, so a
   * combine would only copy them once more: the final merges its picks
   * itself, up to RANGE_SORT_DIRECT_PICKS of them (a tree past that,
   * bounding one task's inputs). */
  if (nlevel <= RANGE_SORT_DIRECT_PICKS && fanin < nlevel)
    fanin = nlevel;
  for (uint32_t j = 0; j < nparts; j++) {
    add_picks(q, sp, splits, nlevel, "sorted", j, nparts, tail_plan, picks);
    encode_part_args(&args, tail_plan, nulls, j, nparts);
    snprintf(prefix, sizeof prefix, "%s/part-%u", q->final_key, j);
    parts[j] = add_combine_tree(sp, picks, nlevel, fanin, &args, prefix,
                                prefix, DUSK_DF_FINAL);
  }
  encode_tail_args(&args, tail_plan, nulls);
  idx = add_spec(sp, q->final_key, DUSK_DF_GATHER, &args);
  set_deps(sp, idx, parts, nparts);
  /* partials are sampled and split where they are made, and each split
   * is picked apart where it is */
  stay_where_made(q, sp, level, nlevel);
  stay_where_made(q, sp, splits, nlevel);
out: /* (args went to the last spec made with it, or holds nothing) */
  free(samples);
  free(splits);
  free(picks);
  free(parts);
}

/* A left column the merge suffixes holds its sample's nulls under its
 * merged name too (the scans report it so): added to nulls. */
static void suffixed_nulls(const sched_query *q, dusk_buf *nulls) {
  for (size_t i = 0; i < q->merge_nleft; i++)
    if (strcmp(q->merge_lin[i], q->merge_lout[i]) != 0 &&
        dusk_names_has((dusk_slice){nulls->data, nulls->len},
                       q->merge_lin[i], strlen(q->merge_lin[i])))
      dusk_xcheck(dusk_names_add(nulls, q->merge_lout[i],
                                 strlen(q->merge_lout[i])));
}

/* The most parts a shuffle merge cuts its keys into: each scan's rows
 * are cut into every part by one df_join_split, so parts cost
 * (left + right scans) x nparts small picks. */
#define SHUFFLE_JOIN_MAX_PARTS 32

/* A shuffle merge (check_merge: how right / outer, a right side past the
 * broadcast join's limit, or broadcast=False).  Both sides' scans make
 * their rows up to the merge; one df_join_split per scan cuts them by
 * key hash into nparts parts where they are made, and df_pick hands part
 * j on.  Part j's right picks go through a combine tree to a df_final
 * (".../right-j": the right rows of part j, every right range checked, as
 * the broadcast join's right final checks them); df_join j takes part j's
 * left picks and that table, joins them and runs the steps after the
 * merge to the terminal; the joins' partials go through the query's
 * combine tree to its final.  No task holds more than a part of either
 * side (the scans' rows, kept where they are made, aside). */
/* A shuffle join's second round (a quantile's counts, a to_csv's rows):
 * join j (".../<name>-j", into joins[j]) on the table `stage` first
 * (tail args stage_first), then the inputs the first round's had -
 * again[j * (nl + 2) + 1 ..], its left picks and right table. */
static void add_second_joins(sched_query *q, specs *sp, size_t *joins,
                             size_t *again, size_t nl, uint32_t nparts,
                             const dusk_buf *plan, size_t stage,
                             const char *name) {
  char key[192];
  for (uint32_t j = 0; j < nparts; j++) {
    dusk_buf args;
    size_t *deps = &again[(size_t)j * (nl + 2)];
    dusk_buf_init(&args);
    encode_args(&args, plan, NULL, j, nparts, TAIL_STAGE_FIRST);
    deps[0] = stage;
    snprintf(key, sizeof key, "%s/%s-%u", q->final_key, name, j);
    joins[j] = add_spec(sp, key, DUSK_DF_JOIN, &args); /* (owns args) */
    set_deps(sp, joins[j], deps, nl + 2);
  }
}

/* A shuffle merge's to_csv (after add_shuffle_join's count round: joins
 * [0..nparts), each on the inputs again[j * (nl + 2) + 1 ..]).  pandas
 * writes the merge's rows in its order, labelled by their places, so the
 * files must hold runs of that order: df_join_cuts reads the count
 * round's group lists (every row the merge makes, by order group) and
 * cuts the order into nparts runs of equal rows; the joins run again
 * (".../join-j": the cuts first, then the same picks and right table),
 * their rows split by run where they are made; file w's final takes run
 * w of every join, labels its rows from the group lists as filtered rows
 * are labelled and writes DIR/00000w.part; df_gather lists the files.
 * No task holds more than a run of rows (a key's group may span runs). */
static void add_shuffle_to_csv(sched_query *q, specs *sp, size_t *joins,
                               size_t *again, size_t nl, uint32_t nparts,
                               const dusk_buf *qtail, const dusk_buf *qrows,
                               const dusk_buf *qcount,
                               const dusk_buf *nulls) {
  size_t *picks = dusk_xcalloc(nparts + 1, sizeof *picks);
  size_t *files = dusk_xcalloc(nparts + 1, sizeof *files), cuts, idx;
  char key[192];
  dusk_buf args;
  dusk_buf_init(&args);
  encode_part_args(&args, qcount, NULL, 0, nparts);
  snprintf(key, sizeof key, "%s/cuts", q->final_key);
  cuts = add_combine_tree(sp, joins, nparts, nparts, &args, key, key,
                          DUSK_DF_JOIN_CUTS);
  add_second_joins(q, sp, joins, again, nl, nparts, qrows, cuts, "join");
  for (uint32_t w = 0; w < nparts; w++) {
    add_picks(q, sp, joins, nparts, "write", w, nparts, qrows, picks);
    encode_args(&args, qtail, nulls, w, nparts, TAIL_WRITE_PART);
    snprintf(key, sizeof key, "%s/part-%u", q->final_key, w);
    files[w] = add_combine_tree(sp, picks, nparts, nparts, &args, key, key,
                                DUSK_DF_FINAL);
  }
  encode_args(&args, qtail, NULL, 0, 0, TAIL_WRITE_PART);
  idx = add_spec(sp, q->final_key, DUSK_DF_GATHER, &args);
  set_deps(sp, idx, files, nparts);
  /* each join's rows are cut where they are made, and picked apart there */
  stay_where_made(q, sp, joins, nparts);
  free(picks);
  free(files);
}

static void add_shuffle_join(sched_query *q, specs *sp) {
  size_t fanin = (size_t)q->s->cfg.combine_fanin;
  size_t *rlevel = NULL, nr = 0, caprl = 0, *llevel = NULL, nl = 0,
         capll = 0;
  size_t *rsplit, *lsplit, *picks, *joins, *again = NULL, most;
  dusk_buf rtail, rnulls, ltail, nulls, qtail, args;
  uint32_t nparts, nsplit = 0;
  int multi = 0;
  char key[192];
  const dusk_plan *r = dusk_plan_result_root(q->plan);
  bool quantiles =
      r->kind == DUSK_PLAN_QUANTILE || r->kind == DUSK_PLAN_DESCRIBE;
  /* to_csv: a count round, the cuts, a rows round cut into the files */
  bool write = q->plan->kind == DUSK_PLAN_TO_CSV;
  dusk_buf qrows, qcount;
  dusk_buf_init(&qrows);
  dusk_buf_init(&qcount);
  dusk_buf_init(&rtail);
  dusk_buf_init(&rnulls);
  dusk_buf_init(&ltail);
  dusk_buf_init(&nulls);
  dusk_buf_init(&qtail);
  dusk_buf_init(&args);
  add_scans(q, sp, SCANS_RIGHT, NULL, 0, SIZE_MAX, &rlevel, &nr, &caprl,
            &rtail, &rnulls, &multi);
  add_scans(q, sp, SCANS_LEFT, NULL, 0, SIZE_MAX, &llevel, &nl, &capll,
            &ltail, &nulls, &multi);
  suffixed_nulls(q, &nulls);
  /* the query's fragment (the first left file's): the joins run it from
   * the merge on, the final reads its root */
  for (size_t l = 0; l < q->nleaves && qtail.len == 0; l++)
    if (!q->leaves[l].right) {
      dusk_plan *frag = fragment(q, &q->leaves[l]);
      if (frag == NULL)
        dusk_xoom();
      dusk_xcheck(dusk_plan_encode(frag, &qtail));
      if (write) {
        /* the rows to_csv writes; and the count round's len() of the
         * merge's own rows, before any step after it (the group lists
         * count those; the joins count them without making them) */
        const dusk_plan *mg = frag->inputs[0];
        dusk_plan *count;
        while (mg->kind != DUSK_PLAN_MERGE && mg->ninputs > 0)
          mg = mg->inputs[0]; /* (a shuffle merge's plan holds one) */
        dusk_xcheck(dusk_plan_encode(frag->inputs[0], &qrows));
        count = xptr(dusk_plan_len(xptr(dusk_plan_clone(mg))));
        dusk_xcheck(dusk_plan_encode(count, &qcount));
        dusk_plan_free(count);
      }
      dusk_plan_free(frag);
    }
  most = nl > nr ? nl : nr;
  nparts = most < 2                        ? 2
           : most > SHUFFLE_JOIN_MAX_PARTS ? SHUFFLE_JOIN_MAX_PARTS
                                           : (uint32_t)most;
  rsplit = dusk_xcalloc(nr + 1, sizeof *rsplit);
  lsplit = dusk_xcalloc(nl + 1, sizeof *lsplit);
  picks = dusk_xcalloc(most + 2, sizeof *picks);
  joins = dusk_xcalloc(nparts, sizeof *joins);
  /* a quantile's or describe's second round: each part's inputs again,
   * the bounds first */
  if (quantiles || write)
    again = dusk_xcalloc((size_t)nparts * (nl + 2), sizeof *again);
  /* (part: the side, 0 the left and 1 the right) */
  add_each(q, sp, DUSK_DF_JOIN_SPLIT, rlevel, nr, &qtail, NULL, 1, nparts,
           "jsplit-r", rsplit);
  add_each(q, sp, DUSK_DF_JOIN_SPLIT, llevel, nl, &qtail, NULL, 0, nparts,
           "jsplit-l", lsplit);
  for (uint32_t j = 0; j < nparts; j++) {
    size_t right;
    add_picks(q, sp, rsplit, nr, "right", j, nparts, &qtail, picks);
    encode_args(&args, &rtail, &rnulls, 0, 0, TAIL_POSITIONS);
    snprintf(key, sizeof key, "%s/right-%u", q->final_key, j);
    right = add_combine_tree(sp, picks, nr, fanin, &args, key, key,
                             DUSK_DF_FINAL);
    add_picks(q, sp, lsplit, nl, "left", j, nparts, &qtail, picks);
    picks[nl] = right; /* the right table: the join's last input */
    if (write) /* the count round: rows numbered, group lists sent */
      encode_args(&args, &qcount, NULL, j, nparts, TAIL_GROUPS);
    else
      encode_part_args(&args, &qtail, NULL, j, nparts);
    snprintf(key, sizeof key, "%s/%s-%u", q->final_key,
             write ? "groups" : "join", j);
    joins[j] = add_spec(sp, key, DUSK_DF_JOIN, &args);
    set_deps(sp, joins[j], picks, nl + 1);
    dusk_buf_init(&args); /* the spec owns the bytes now */
    if (again != NULL)
      memcpy(&again[(size_t)j * (nl + 2) + 1], picks,
             (nl + 1) * sizeof *picks);
  }
  if (write) {
    add_shuffle_to_csv(q, sp, joins, again, nl, nparts, &qtail, &qrows,
                       &qcount, &nulls);
    goto done;
  }
  if (quantiles) {
    /* Exact quantiles take two rounds (quantile.h): the joins summarise
     * runs of their rows' values, df_bounds turns the summaries into
     * windows, and the joins run again - on the picks and right tables
     * they had, which wait for them - counting inside the windows.  The
     * shuffle itself is not repeated, only the joins' work. */
    size_t bounds;
    char prefix[160];
    encode_tail_args(&args, &qtail, NULL);
    snprintf(prefix, sizeof prefix, "%s/summary", q->final_key);
    snprintf(key, sizeof key, "%s/bounds", q->final_key);
    bounds = add_combine_tree(sp, joins, nparts, fanin, &args, prefix, key,
                              DUSK_DF_BOUNDS);
    add_second_joins(q, sp, joins, again, nl, nparts, &qtail, bounds,
                     "count");
  }
  if (dusk_plan_range_sort(q->plan)) {
    /* a sort written by to_csv: the joins' rows range-partitioned as a
     * frame's scans' are, each part's final labelling its rows from
     * every join's group lists (op_df_join sends them for a range sort) */
    add_range_sort(q, sp, joins, nparts, &qtail, &nulls);
    goto done;
  }
  if (((r->kind == DUSK_PLAN_GROUPBY || r->kind == DUSK_PLAN_VALUE_COUNTS) &&
       r->split_out > 1) ||
      (nsplit = auto_split_out(q, r, nparts)) > 1) {
    /* the joins' partials cut by the groups' hash, as a scan's are: each
     * partial's groups carry their first rows' (order group, place), so
     * first / last and value_counts' ties come out as from one tree */
    if (nsplit > 1)
      log_auto_split_out(q, r, nsplit);
    add_split_out(q, sp, joins, nparts, nsplit > 1 ? nsplit : r->split_out,
                  &qtail, &nulls);
    goto done;
  }
  encode_tail_args(&args, &qtail, &nulls);
  add_combine_tree(sp, joins, nparts, fanin, &args, q->final_key,
                   q->final_key, DUSK_DF_FINAL);
done:
  /* the scans' rows are split where they are made, and each split is
   * picked apart where it is */
  stay_where_made(q, sp, rlevel, nr);
  stay_where_made(q, sp, rsplit, nr);
  stay_where_made(q, sp, llevel, nl);
  stay_where_made(q, sp, lsplit, nl);
  free(rlevel);
  free(llevel);
  free(rsplit);
  free(lsplit);
  free(picks);
  free(joins);
  free(again);
  dusk_buf_destroy(&qrows);
  dusk_buf_destroy(&qcount);
  dusk_buf_destroy(&rtail);
  dusk_buf_destroy(&rnulls);
  dusk_buf_destroy(&ltail);
  dusk_buf_destroy(&nulls);
  dusk_buf_destroy(&qtail);
  dusk_buf_destroy(&args);
}

static void lower_and_submit(sched_query *q) {
  uint64_t t0 = dusk_now_ns();
  specs sp;
  size_t *level = NULL, nlevel = 0, cap_level = 0, offsets = SIZE_MAX;
  size_t right = SIZE_MAX, nright; /* the merge's right table; its specs */
  size_t *after = NULL, nafter = 0; /* what the query's scans wait for */
  dusk_buf tail, tail_plan, nulls;
  char prefix[160], key[192];
  dusk_msg_submit m;
  dusk_slice want;
  int multi = 0;
  size_t fanin = (size_t)q->s->cfg.combine_fanin;
  uint32_t *slots = NULL; /* profile slots of the specs, when profiled */

  memset(&sp, 0, sizeof sp);
  dusk_buf_init(&tail);
  dusk_buf_init(&tail_plan);
  dusk_buf_init(&nulls);
  q->attempt++;
  unkeep_all(q); /* an earlier attempt's partitions */
  for (size_t l = 0; l < q->nleaves; l++)
    if (q->leaves[l].persisted != NULL && !q->persist &&
        persist_query(q->c, q->leaves[l].persisted) == NULL) {
      char why[DUSK_ERROR_MESSAGE_MAX];
      snprintf(why, sizeof why,
               "the persisted frame '%s' was released (unpersisted) while "
               "this query waited; persist() the frame again",
               q->leaves[l].persisted);
      fail_query(q, why);
      return;
    }
  if (q->persist) {
    /* persist(): partitions of every leaf, their partials combined into
     * the rows kept (the final checks quote states and widenings as any
     * query's). */
    add_scans(q, &sp, SCANS_PERSIST, NULL, 0, SIZE_MAX, &level, &nlevel,
              &cap_level, &tail_plan, NULL, &multi);
    encode_tail_args(&tail, &tail_plan, NULL);
    add_combine_tree(&sp, level, nlevel, fanin, &tail, q->final_key,
                     q->final_key, DUSK_DF_FINAL);
    goto submit;
  }
  if (q->merge != NULL && q->shuffle_merge && !shuffle_head0(q)) {
    add_shuffle_join(q, &sp);
    goto submit;
  }
  if (q->merge != NULL) {
    /* A broadcast merge: the right side's rows are collected once (scans,
     * combines and a final of their own, which checks their ranges as any
     * query's final does) into the table every left scan takes as its
     * last input. */
    dusk_buf right_nulls;
    dusk_buf_init(&right_nulls);
    add_scans(q, &sp, SCANS_RIGHT, NULL, 0, SIZE_MAX, &level, &nlevel,
              &cap_level, &tail_plan, &right_nulls, &multi);
    snprintf(prefix, sizeof prefix, "%s/right", q->final_key);
    encode_tail_args(&tail, &tail_plan, &right_nulls);
    right = add_combine_tree(&sp, level, nlevel, fanin, &tail, prefix, prefix,
                             DUSK_DF_FINAL);
    dusk_buf_destroy(&right_nulls);
    nlevel = 0;
    multi = 0;
    tail_plan.len = 0;
  }
  nright = sp.n;
  if (q->plan->kind == DUSK_PLAN_TO_CSV) {
    /* to_csv writes every row under its label, the row's number within
     * its file (as head() and pandas label it), and a range's first label
     * is the number of rows before it.  So a first stage counts the rows
     * of every range (reading no column) and df_offsets, which checks
     * those scans' quote states like df_final, hands each range its first
     * label.  A file of one range needs no count. */
    add_scans(q, &sp, SCANS_COUNT, NULL, 0, right, &level, &nlevel,
              &cap_level, &tail_plan, NULL, &multi);
    /* after a merge, labels run on across files */
    if (multi || (q->merge != NULL && nlevel > 1)) {
      snprintf(prefix, sizeof prefix, "%s/count", q->final_key);
      snprintf(key, sizeof key, "%s/offsets", q->final_key);
      encode_tail_args(&tail, &tail_plan, NULL);
      offsets = add_combine_tree(&sp, level, nlevel, fanin, &tail, prefix,
                                 key, DUSK_DF_OFFSETS);
      after = dusk_xcalloc(1, sizeof *after);
      after[nafter++] = offsets;
    } else {
      for (size_t i = nright; i < sp.n; i++) {
        dusk_buf_destroy(&sp.bufs[i]);
        free(sp.keys[i]);
        free(sp.depidx[i]);
      }
      sp.n = nright;
    }
    nlevel = 0;
    tail_plan.len = 0;
  }
  {
    const dusk_plan *r = dusk_plan_result_root(q->plan);
    /* Exact quantiles take two rounds of scans (quantile.h): the first
     * summarises runs of values, df_bounds turns the summaries into
     * windows, the second counts inside them.  drop_duplicates of a
     * subset too: the first finds each key's first row from the key
     * columns alone, df_bounds merges them into the positions of the rows
     * to keep, and the second reads just those rows whole, so what waits
     * between tasks is bounded by the distinct keys, not by them times
     * every column. */
    bool quantiles =
        r->kind == DUSK_PLAN_QUANTILE || r->kind == DUSK_PLAN_DESCRIBE;
    if (quantiles ||
        (r->kind == DUSK_PLAN_DROP_DUPLICATES && r->ncolumns > 0)) {
      add_scans(q, &sp, quantiles ? SCANS_SUMMARY : SCANS_KEYS, NULL, 0,
                right, &level, &nlevel, &cap_level, &tail_plan, NULL, &multi);
      encode_tail_args(&tail, &tail_plan, NULL);
      if (!quantiles && dedup_parts(nlevel) > 1) {
        after = add_dedup_shuffle(q, &sp, level, nlevel, &tail_plan,
                                  dedup_parts(nlevel));
        nafter = dedup_parts(nlevel);
      } else {
        snprintf(prefix, sizeof prefix, "%s/%s", q->final_key,
                 quantiles ? "summary" : "keys");
        snprintf(key, sizeof key, "%s/%s", q->final_key,
                 quantiles ? "bounds" : "positions");
        offsets = add_combine_tree(&sp, level, nlevel, fanin, &tail, prefix,
                                   key, DUSK_DF_BOUNDS);
        after = dusk_xcalloc(1, sizeof *after);
        after[nafter++] = offsets;
      }
      nlevel = 0;
      tail_plan.len = 0;
    }
  }
  add_scans(q, &sp, SCANS_QUERY, after, nafter, right, &level, &nlevel,
            &cap_level, &tail_plan, &nulls, &multi);
  free(after);
  suffixed_nulls(q, &nulls);
  encode_tail_args(&tail, &tail_plan, &nulls);
  {
    const dusk_plan *r = dusk_plan_result_root(q->plan);
    uint32_t nauto;
    if (dusk_plan_range_sort(q->plan) && nlevel > 0)
      add_range_sort(q, &sp, level, nlevel, &tail_plan, &nulls);
    else if ((r->kind == DUSK_PLAN_GROUPBY ||
              r->kind == DUSK_PLAN_VALUE_COUNTS) &&
             r->split_out > 1 && nlevel > 0)
      add_split_out(q, &sp, level, nlevel, r->split_out, &tail_plan, &nulls);
    else if ((nauto = auto_split_out(q, r, nlevel)) > 1) {
      log_auto_split_out(q, r, nauto);
      add_split_out(q, &sp, level, nlevel, nauto, &tail_plan, &nulls);
    } else
      add_combine_tree(&sp, level, nlevel, fanin, &tail, q->final_key,
                       q->final_key, DUSK_DF_FINAL);
  }
submit:
  /* Dependency slices point at the spec keys (an outside key first). */
  {
    size_t total = 0, at = 0;
    for (size_t i = 0; i < sp.n; i++)
      total += sp.ndepidx[i] + (sp.ext[i] != NULL);
    sp.deps = dusk_xcalloc(total + 1, sizeof *sp.deps);
    for (size_t i = 0; i < sp.n; i++) {
      sp.t[i].args.ptr = sp.bufs[i].data;
      sp.t[i].args.len = sp.bufs[i].len;
      if (sp.ndepidx[i] == 0 && sp.ext[i] == NULL)
        continue;
      sp.t[i].deps = &sp.deps[at];
      sp.t[i].ndeps = (uint32_t)(sp.ndepidx[i] + (sp.ext[i] != NULL));
      if (sp.ext[i] != NULL) {
        sp.deps[at].ptr = sp.ext[i];
        sp.deps[at++].len = strlen(sp.ext[i]);
      }
      for (size_t j = 0; j < sp.ndepidx[i]; j++, at++)
        sp.deps[at] = sp.t[sp.depidx[i][j]].key;
    }
  }
  progress_start(q, &sp);
  if (q->prof != NULL) {
    uint64_t now = dusk_now_ns();
    dusk__profile_attempt(q->prof, now);
    slots = dusk_xcalloc(sp.n ? sp.n : 1, sizeof *slots);
    for (size_t i = 0; i < sp.n; i++)
      slots[i] = dusk__profile_slot(q->prof, sp.keys[i],
                                    dusk_df_op_name(sp.ops[i]), sp.bytes[i],
                                    now);
  }
  memset(&m, 0, sizeof m);
  m.final = true;
  m.ntasks = (uint32_t)sp.n;
  m.tasks = sp.t;
  want.ptr = q->final_key;
  want.len = strlen(q->final_key);
  m.nwanted = 1;
  m.wanted = &want;
  dusk__sched_submit(q->s, q->c, &m, slots != NULL ? q->id : 0, slots);
  free(slots);
  for (size_t i = 0; i < q->nkept; i++)
    dusk__sched_keep(q->s, q->c, q->kept[i]);
  /* marked once the submission made them */
  for (size_t i = 0; i < q->nstay; i++) {
    dusk__sched_stay(q->c, q->stay[i]);
    free(q->stay[i]);
  }
  q->nstay = 0;
  dusk_log(DUSK_LOG_INFO, "query %s attempt %d: %zu tasks, lowered and "
           "submitted in %.1f ms", q->key, q->attempt, sp.n,
           (double)(dusk_now_ns() - t0) / 1e6);
  {
    sched_task *t = dusk__sched_task(q->c, q->final_key, want.len);
    if (t != NULL) {
      t->query = q;
      /* Already finished (a cached key): note it. */
      if (t->state == T_MEMORY || t->state == T_ERRED)
        dusk__query_final(q->s, t);
    }
  }
  free(level);
  dusk_buf_destroy(&tail);
  dusk_buf_destroy(&tail_plan);
  dusk_buf_destroy(&nulls);
  specs_free(&sp);
}

static void start_attempt(sched_query *q) {
  /* Task keys live in the client's namespace: a prefix no client graph
   * uses, the query's number and the attempt keep them apart. */
  snprintf(q->final_key, sizeof q->final_key, "dusk.query/%" PRIu64 "/%d",
           q->id, q->attempt + 1);
  lower_and_submit(q);
}

static void sample_done(uv_work_t *w, int status) {
  sched_query *q = w->data;
  dusk_error err = {0};
  (void)status;
  if (q->c == NULL) { /* the client left meanwhile */
    query_free(q);
    return;
  }
  if (q->err.code != 0) {
    fail_query(q, q->err.message);
    return;
  }
  q->original = dusk_plan_clone(q->plan);
  if (q->original == NULL)
    dusk_xoom();
  if (check_plan(q, &err) != 0) {
    fail_query(q, err.message);
    return;
  }
  q->state = Q_RUNNING;
  start_attempt(q);
  dusk__query_flush(q->s);
}

/* Puts back the aggregates as the client wrote them (checking expands
 * "every column" against the types of the moment). */
static void restore_aggs(dusk_plan *p, const dusk_plan *orig) {
  /* Lowering (rename's assigns) changes the tree below a node whose
   * kind then differs; nothing under it holds aggregates (they end the
   * rows), so the walk stops there. */
  if (p->kind != orig->kind)
    return;
  if (p->kind == DUSK_PLAN_GROUPBY) {
    for (size_t a = 0; a < p->naggs; a++) {
      free(p->aggs[a].column);
      free(p->aggs[a].label);
    }
    free(p->aggs);
    p->aggs = dusk_xcalloc(orig->naggs + 1, sizeof *p->aggs);
    for (size_t a = 0; a < orig->naggs; a++) {
      p->aggs[a].fn = orig->aggs[a].fn;
      p->aggs[a].q = orig->aggs[a].q;
      p->aggs[a].column =
          orig->aggs[a].column ? dusk_xstrdup(orig->aggs[a].column) : NULL;
      p->aggs[a].label =
          orig->aggs[a].label ? dusk_xstrdup(orig->aggs[a].label) : NULL;
    }
    p->naggs = orig->naggs;
  }
  if ((p->kind == DUSK_PLAN_DESCRIBE || p->kind == DUSK_PLAN_QUANTILE) &&
      orig->ncolumns == 0) { /* "every number column", listed again */
    for (size_t c = 0; c < p->ncolumns; c++)
      free(p->columns[c]);
    free(p->columns);
    p->columns = NULL;
    p->ncolumns = 0;
  }
  for (size_t i = 0; i < p->ninputs && i < orig->ninputs; i++)
    restore_aggs(p->inputs[i], orig->inputs[i]);
}

/* After a column widened, the plan is checked again: an aggregate that no
 * longer applies is an error (or, for "every column", leaves it out, as
 * pandas does). */
static int recheck(sched_query *q, dusk_error *err) {
  restore_aggs(q->plan, q->original);
  return check_plan(q, err);
}

/* ---- persist ------------------------------------------------------------- */

/* Gives the persisted reads of q what their persist queries found
 * (files, header, types, sample nulls) instead of sampling them.  0, or
 * -1 with why in err: the persist query is gone (unpersisted) or has no
 * such read. */
static int resolve_persisted(sched_query *q, dusk_error *err) {
  for (size_t l = 0; l < q->nleaves; l++) {
    qleaf *lf = &q->leaves[l];
    const dusk_plan *n = lf->node;
    sched_query *pq;
    const qleaf *src;
    if (n->csv.persisted == NULL)
      continue;
    pq = persist_query(q->c, n->csv.persisted);
    if (pq == NULL || n->csv.persisted_leaf >= pq->nleaves) {
      dusk_error_set(err, DUSK_ENOTFOUND,
                     "read_csv(%s): the persisted frame '%s' is no longer "
                     "held (unpersisted, or its persist() failed); "
                     "persist() the frame again",
                     n->npaths ? n->paths[0] : "", n->csv.persisted);
      return -1;
    }
    src = &pq->leaves[n->csv.persisted_leaf];
    lf->persisted = n->csv.persisted;
    lf->pleaf = n->csv.persisted_leaf;
    lf->pfile_base = 0;
    for (size_t i = 0; i < lf->pleaf; i++)
      lf->pfile_base += pq->leaves[i].nfiles;
    lf->nfiles = src->nfiles;
    lf->files = dusk_xcalloc(src->nfiles + 1, sizeof *lf->files);
    for (size_t f = 0; f < src->nfiles; f++) {
      lf->files[f] = src->files[f];
      lf->files[f].path = dusk_xstrdup(src->files[f].path);
    }
    lf->ncols = src->ncols;
    lf->header = dusk_xcalloc(src->ncols + 1, sizeof *lf->header);
    for (size_t c = 0; c < src->ncols; c++)
      lf->header[c] = dusk_xstrdup(src->header[c]);
    lf->types = dusk_xcalloc(src->ncols + 1, sizeof *lf->types);
    memcpy(lf->types, src->types, src->ncols * sizeof *lf->types);
    lf->needed = dusk_xcalloc(src->ncols + 1, 1);
    lf->sample_null = dusk_xcalloc(src->ncols + 1, 1);
    memcpy(lf->sample_null, src->sample_null, src->ncols);
    lf->sample_text = dusk_xcalloc(src->ncols + 1, 1);
    memcpy(lf->sample_text, src->sample_text, src->ncols);
  }
  return 0;
}

/* ---- entry points -------------------------------------------------------- */

void dusk__query_start(dusk_scheduler *s, sched_client *c,
                       const dusk_msg_query *m) {
  static uint64_t next_id; /* loop thread only */
  sched_query *q = dusk_xcalloc(1, sizeof *q);
  size_t cap = 0;
  q->id = ++next_id;
  q->s = s;
  q->start_ns = dusk_now_ns();
  q->c = c;
  q->sample_bytes = (uint64_t)s->cfg.sample_bytes;
  q->max_field = (uint64_t)s->cfg.max_field;
  q->key = dusk_xmemdup(m->key.ptr, m->key.len);
  if (m->profile)
    q->prof = dusk__profile_new(dusk_now_ns());
  q->next = c->queries;
  c->queries = q;
  if (dusk_plan_decode(m->plan, &q->plan, &q->err) != 0) {
    char why[DUSK_ERROR_MESSAGE_MAX];
    memcpy(why, q->err.message, sizeof why);
    fail_query(q, why);
    return;
  }
  collect_leaves(q->plan, &q->leaves, &q->nleaves, &cap, false);
  q->persist = q->plan->kind == DUSK_PLAN_PERSIST;
  if (resolve_persisted(q, &q->err) != 0) {
    char why[DUSK_ERROR_MESSAGE_MAX];
    memcpy(why, q->err.message, sizeof why);
    fail_query(q, why);
    return;
  }
  q->work.data = q;
  uv_queue_work(dusk__sched_loop(s), &q->work, sample_work, sample_done);
}

/* Widens the failure's column to the type it needs, in every leaf that
 * reads it; 0 when nothing changed (then the failure stands).  side: 0
 * every leaf, 1 the leaves of a merge's left side, 2 its right side (the
 * task that failed tells which: one name may be a column of both). */
static int widen_column(sched_query *q, const char *column, dusk_type t,
                        int side);

/* The failure's column, and the further columns it lists (to_csv's int
 * columns holding a null), widened to its type: 1 when the plan changed
 * and every one could widen, 0 otherwise (a rerun would not help). */
static int handle_widen(sched_query *q, const sched_failure *f, int side) {
  dusk_type t = (dusk_type)f->type;
  int changed;
  if (t <= DUSK_TYPE_NULL || t > DUSK_TYPE_STRING ||
      strlen(f->column) != f->column_len)
    return 0; /* not a type, or a name no header can have */
  if ((changed = widen_column(q, f->column, t, side)) <= 0)
    return 0;
  for (uint32_t i = 0; i < f->nmixed; i++)
    if (strlen(f->mixed[i]) == f->mixed_len[i] &&
        widen_column(q, f->mixed[i], t, side) < 0)
      return 0;
  return 1;
}

/* A shuffle join met a right-only row whose float key an int key column
 * kept once cannot hold (df_join's DUSK_FAIL_WIDEN names the column): 1
 * if that is a key of q's merge not yet cast (check_merge casts it on the
 * rerun), else 0. */
static int handle_float_key(sched_query *q, const sched_failure *f) {
  const dusk_plan *m = q->merge;
  if (m == NULL || f->type != DUSK_TYPE_FLOAT64 ||
      strlen(f->column) != f->column_len ||
      (m->how != DUSK_MERGE_RIGHT && m->how != DUSK_MERGE_OUTER) ||
      name_in(q->float_keys, q->nfloat_keys, f->column))
    return 0;
  for (size_t k = 0; k < m->ncolumns; k++)
    if (strcmp(m->columns[k], m->right_on[k]) == 0 &&
        strcmp(m->columns[k], f->column) == 0) {
      add_name(&q->float_keys, &q->nfloat_keys, f->column);
      dusk_log(DUSK_LOG_INFO, "query %s: the merge's key '%.200s' met a "
               "right-only float: cast to float64, as pandas' key column",
               q->key, f->column);
      return 1;
    }
  return 0;
}

/* Whether leaf l is on the given side (widen_column). */
static bool on_side(const sched_query *q, size_t l, int side) {
  return side == 0 || (side == 2) == q->leaves[l].right;
}

/* Widens column to t in every leaf of side: 1 if that changed a type, 0
 * if none changed, -1 where the user's dtype forbids it. */
static int widen_column(sched_query *q, const char *column, dusk_type t,
                        int side) {
  int changed = 0;
  /* A merge's right column, named as the merge names it (to_csv's int
   * column that a left row without a match leaves missing, reported by a
   * left scan): the right side's column alone. */
  for (size_t j = 0; q->merge != NULL && side != 2 && j < q->merge_nright;
       j++)
    if (q->merge_rout[j] != NULL && strcmp(q->merge_rout[j], column) == 0) {
      const char *name = q->merge->csv.dtypes[j].column;
      for (size_t l = 0; l < q->nleaves; l++)
        for (size_t c = 0; q->leaves[l].right && c < q->leaves[l].ncols; c++)
          if (strcmp(q->leaves[l].header[c], name) == 0 &&
              q->leaves[l].types[c] !=
                  dusk_type_common(q->leaves[l].types[c], t)) {
            q->leaves[l].types[c] = dusk_type_common(q->leaves[l].types[c], t);
            changed = 1;
          }
      if (changed)
        dusk_log(DUSK_LOG_INFO, "query %s: the merge's right column "
                 "'%.200s' widened to %s", q->key, name, dusk_type_name(t));
      return changed;
    }
  /* A type the user gave is a promise about the data: not widened.  But
   * parse_dates is a wish: as pandas does, a column holding a value that
   * is no date-time stays text (the scans report only a value pandas
   * may not read either). */
  for (size_t l = 0; l < q->nleaves; l++) {
    dusk_plan *n = q->leaves[l].node;
    for (size_t d = 0; on_side(q, l, side) && d < n->csv.ndtypes; d++)
      if (strcmp(n->csv.dtypes[d].column, column) == 0) {
        if (n->csv.dtypes[d].type != DUSK_TYPE_DATETIME ||
            t != DUSK_TYPE_STRING)
          return -1;
        n->csv.dtypes[d].type = DUSK_TYPE_STRING;
        changed = 1;
      }
  }
  if (changed) {
    for (size_t l = 0; l < q->nleaves; l++)
      for (size_t c = 0; on_side(q, l, side) && c < q->leaves[l].ncols; c++)
        if (strcmp(q->leaves[l].header[c], column) == 0)
          q->leaves[l].types[c] = DUSK_TYPE_STRING;
    dusk_log(DUSK_LOG_INFO,
             "query %s: column '%.200s' holds a value that is no date-time: "
             "read as text (pandas' parse_dates does the same)",
             q->key, column);
    return 1;
  }
  for (size_t l = 0; l < q->nleaves; l++)
    for (size_t c = 0; on_side(q, l, side) && c < q->leaves[l].ncols; c++)
      if (strcmp(q->leaves[l].header[c], column) == 0 &&
          q->leaves[l].types[c] != dusk_type_common(q->leaves[l].types[c], t)) {
        q->leaves[l].types[c] = dusk_type_common(q->leaves[l].types[c], t);
        changed = 1;
      }
  if (changed)
    dusk_log(DUSK_LOG_INFO, "query %s: column '%.200s' widened to %s",
             q->key, column, dusk_type_name(t));
  return changed;
}

/* Records that the failure's columns' fills meet a null (0 when all were
 * known: a rerun would change nothing). */
static int handle_mixed(sched_query *q, const sched_failure *f) {
  int added = 0;
  for (uint32_t i = 0; i < f->nmixed; i++) {
    const char *col = f->mixed[i];
    if (strlen(col) != f->mixed_len[i])
      continue; /* a name no header can have */
    if (!name_in(q->mixed, q->nmixed, col)) {
      add_name(&q->mixed, &q->nmixed, col);
      dusk_log(DUSK_LOG_INFO,
               "query %s: column '%.200s' mixes kinds after fillna", q->key,
               col);
      added = 1;
    }
  }
  return added;
}

/* Records the failure's tokenizer states.  A later report covers ranges
 * whose state an earlier one fixed only if the state changed, so a new run
 * replaces any overlap with old ones. */
static int handle_quotes(sched_query *q, const sched_failure *f) {
  for (uint32_t i = 0; i < f->nquotes; i++) {
    qstate run;
    size_t w = 0;
    run.first = f->quotes[i].first;
    run.last = f->quotes[i].last;
    run.state = f->quotes[i].state;
    /* Keep what the new run does not cover of the old runs. */
    {
      qstate *keep = dusk_xcalloc(2 * q->nquotes + 1, sizeof *keep);
      for (size_t k = 0; k < q->nquotes; k++) {
        qstate o = q->quotes[k];
        if (o.last < run.first || o.first > run.last) {
          keep[w++] = o;
          continue;
        }
        if (o.first < run.first) {
          keep[w] = o;
          keep[w++].last = run.first - 1;
        }
        if (o.last > run.last) {
          keep[w] = o;
          keep[w++].first = run.last + 1;
        }
      }
      keep[w++] = run;
      free(q->quotes);
      q->quotes = keep;
      q->nquotes = w;
    }
    qsort(q->quotes, q->nquotes, sizeof *q->quotes, cmp_qstate);
  }
  if (f->nquotes > 0)
    dusk_log(DUSK_LOG_INFO, "query %s: %" PRIu32 " runs of ranges start in "
             "another tokenizer state", q->key, f->nquotes);
  return f->nquotes > 0;
}

void dusk__query_final(dusk_scheduler *s, sched_task *t) {
  sched_query *q = t->query;
  if (q == NULL || q->due)
    return;
  q->due = 1;
  q->next_due = s->queries_due;
  s->queries_due = q;
}

static void query_outcome(sched_query *q, sched_task *t) {
  const sched_task *root;
  const sched_failure *f;
  if (q->state != Q_RUNNING)
    return;
  if (t->state == T_MEMORY) {
    q->persisted_ok = q->persist;
    report(q, DUSK_KEY_MEMORY, t, NULL);
    return;
  }
  /* Erred: the task that failed, and what it said. */
  root = t->erred_from ? t->erred_from : t;
  if (root->message == NULL) {
    report(q, DUSK_KEY_CANCELED, NULL, "canceled");
    return;
  }
  f = root->failure;
  if (q->attempt < q->s->cfg.query_attempts && f != NULL &&
      ((f->reason == DUSK_FAIL_WIDEN && strcmp(root->op, "df_join") == 0 &&
        handle_float_key(q, f)) ||
       (f->reason == DUSK_FAIL_WIDEN &&
        handle_widen(q, f,
                     q->merge == NULL                        ? 0
                     : strstr(root->key, "/right") != NULL ? 2
                                                             : 1)) ||
       (f->reason == DUSK_FAIL_QUOTES && handle_quotes(q, f)) ||
       (f->reason == DUSK_FAIL_MIXED && handle_mixed(q, f)))) {
    char old[96];
    dusk_error err = {0};
    snprintf(old, sizeof old, "%s", q->final_key);
    t->query = NULL;
    dusk__sched_release(q->s, q->c, old, strlen(old), 1);
    if (recheck(q, &err) != 0) {
      fail_query(q, err.message);
      return;
    }
    start_attempt(q);
    return;
  }
  report(q, DUSK_KEY_ERRED, NULL, root->message);
}

void dusk__query_flush(dusk_scheduler *s) {
  while (s->queries_due != NULL) {
    sched_query *q = s->queries_due;
    sched_task *t;
    s->queries_due = q->next_due;
    q->due = 0;
    if (q->c == NULL)
      continue;
    t = dusk__sched_task(q->c, q->final_key, strlen(q->final_key));
    if (t != NULL && t->query == q)
      query_outcome(q, t);
  }
}

int dusk__query_release(dusk_scheduler *s, sched_client *c, dusk_slice key,
                        int cancel) {
  sched_query *q;
  for (q = c->queries; q != NULL; q = q->next)
    if (strlen(q->key) == key.len && memcmp(q->key, key.ptr, key.len) == 0)
      break;
  if (q == NULL)
    return 0;
  unlink_query(q);
  if (q->state == Q_SAMPLING) {
    q->c = NULL; /* freed when the sampling finishes */
    return 1;
  }
  if (q->state == Q_RUNNING) {
    sched_task *t = dusk__sched_task(c, q->final_key, strlen(q->final_key));
    if (t != NULL)
      t->query = NULL;
    dusk__sched_release(s, c, q->final_key, strlen(q->final_key), cancel);
  }
  query_free(q);
  return 1;
}

sched_profile *dusk__query_profile(sched_client *c, uint64_t query_id) {
  for (sched_query *q = c->queries; q != NULL; q = q->next)
    if (q->id == query_id)
      return q->prof;
  return NULL;
}

void dusk__query_client_gone(dusk_scheduler *s, sched_client *c) {
  (void)s;
  while (c->queries != NULL) {
    sched_query *q = c->queries;
    c->queries = q->next;
    if (q->state == Q_SAMPLING) {
      q->c = NULL;
      continue;
    }
    query_free(q);
  }
}
