/* dataframe.c - libdusk's lazy dataframes: builders over df/plan.h, compute,
 * and result-table accessors.
 *
 * A dusk_dataframe owns one plan tree.  Builders consume their input frame and
 * return a new one around the extended plan, so a failed step never leaves
 * a half-built frame with the caller. */
#include "dusk.h"

#include "client_internal.h"
#include "expr.h"
#include "plan.h"
#include "table.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dusk_dataframe {
  dusk_plan *plan;
  int result; /* DUSK_RESULT_*: what pandas returns for it */
};

static dusk_dataframe *wrap(dusk_plan *p, dusk_error *err) {
  dusk_dataframe *f;
  if (p == NULL) {
    dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    return NULL;
  }
  f = malloc(sizeof *f);
  if (f == NULL) {
    dusk_plan_free(p);
    dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    return NULL;
  }
  f->plan = p;
  f->result = DUSK_RESULT_FRAME;
  return f;
}

/* Takes the plan out of f and frees the wrapper. */
static dusk_plan *unwrap(dusk_dataframe *f) {
  dusk_plan *p = f->plan;
  free(f);
  return p;
}

static int need(const dusk_dataframe *f, dusk_error *err) {
  if (f == NULL) {
    dusk_error_set(err, DUSK_EINVAL, "no frame (an earlier step failed)");
    return 0;
  }
  return 1;
}

/* A frame a step may extend: it exists and its last step is not terminal
 * (plan.h), which only the query's end may follow.  Frees f when not, as
 * every builder consumes its input. */
static int need_open(dusk_dataframe *f, const char *step, dusk_error *err) {
  if (!need(f, err))
    return 0;
  if (dusk_plan_takes_post(f->plan) &&
      !dusk_plan_is_terminal(f->plan->kind)) {
    dusk_error_set(err, DUSK_EINVAL,
                   "%s cannot follow %s on a computed result: a result "
                   "takes sort_values, head, tail, query, assign, select, "
                   "rename and reset_index",
                   step, dusk_plan_kind_name(f->plan->kind));
    dusk_dataframe_free(f);
    return 0;
  }
  if (dusk_plan_is_terminal(f->plan->kind)) {
    dusk_error_set(err, DUSK_EINVAL,
                   "%s cannot follow %s: %s must be the last step of a query",
                   step, dusk_plan_kind_name(f->plan->kind),
                   dusk_plan_kind_name(f->plan->kind));
    dusk_dataframe_free(f);
    return 0;
  }
  return 1;
}

static int need_result(dusk_dataframe *f, const char *step, dusk_error *err);

dusk_dataframe *dusk_dataframe_copy(const dusk_dataframe *f,
                                    dusk_error *err) {
  if (!need(f, err))
    return NULL;
  return wrap(dusk_plan_clone(f->plan), err);
}

void dusk_dataframe_free(dusk_dataframe *f) {
  if (f != NULL) {
    dusk_plan_free(f->plan);
    free(f);
  }
}

static void set_blocksize(dusk_plan *p, int64_t bytes) {
  if (p->kind == DUSK_PLAN_READ_CSV && p->csv.blocksize == 0)
    p->csv.blocksize = bytes;
  for (size_t i = 0; i < p->ninputs; i++)
    set_blocksize(p->inputs[i], bytes);
}

void dusk_dataframe_set_blocksize(dusk_dataframe *f, int64_t bytes) {
  if (f != NULL && bytes > 0)
    set_blocksize(f->plan, bytes);
}

/* ---- paths ----------------------------------------------------------------
 *
 * Paths in a plan are the user's, but the scheduler expands read_csv's
 * globs and the workers open the files and write to_csv's directory, each
 * in its own working directory (another folder, another host): a
 * read_csv("a.csv") sent as written read the scheduler's a.csv.  So every
 * relative path is made absolute against this process's working directory
 * when its frame is built, as dask's read_csv resolves its paths when
 * called.  Globs stay globs for the scheduler to expand; where the result
 * will be globbed, glob characters and backslashes in the directory's own
 * name are escaped with '\\' so that they match only themselves. */

static bool has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* Replaces *path (a relative path of read_csv when pattern, else a
 * literal directory) with cwd/path. */
static int absolute_path(const char *cwd, char **path, bool pattern,
                         const char *what, dusk_error *err) {
  const char *rel = *path;
  bool escape;
  size_t len = 0;
  char *abs, *o;
  while (rel[0] == '.' && rel[1] == '/')
    rel += 2 + strspn(rel + 2, "/");
  escape = pattern && (has_glob(cwd) || has_glob(rel));
  for (const char *c = cwd; *c != '\0'; c++)
    len += escape && strchr("*?[\\", *c) != NULL ? 2 : 1;
  len += 1 + strlen(rel);
  if (len > DUSK_EXPR_MAX_NAME)
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: '%.64s...' is longer than %d bytes once made "
                          "absolute against %.64s",
                          what, *path, DUSK_EXPR_MAX_NAME, cwd);
  if ((abs = malloc(len + 1)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  o = abs;
  for (const char *c = cwd; *c != '\0'; c++) {
    if (escape && strchr("*?[\\", *c) != NULL)
      *o++ = '\\';
    *o++ = *c;
  }
  if (o == abs || o[-1] != '/')
    *o++ = '/';
  strcpy(o, rel);
  free(*path);
  *path = abs;
  return 0;
}

/* Makes every relative path in p absolute.  cwd is filled on first need
 * (empty until then). */
static int resolve_paths(dusk_plan *p, char *cwd, size_t cwdlen,
                         dusk_error *err) {
  int rc;
  for (size_t i = 0; i < p->npaths + (p->dir != NULL); i++) {
    bool is_dir = i == p->npaths;
    char **path = is_dir ? &p->dir : &p->paths[i];
    if ((*path)[0] == '/' || (!is_dir && dusk_store_is_url(*path)))
      continue; /* absolute, or a URL (s3://, http(s)://) */
    if (cwd[0] == '\0' && getcwd(cwd, cwdlen) == NULL)
      return dusk_error_set(err, -errno,
                            "%s: cannot make '%s' absolute: the current "
                            "directory is unknown (%s)",
                            is_dir ? "to_csv" : "read_csv", *path,
                            strerror(errno));
    if ((rc = absolute_path(cwd, path, !is_dir,
                            is_dir ? "to_csv" : "read_csv", err)) != 0)
      return rc;
  }
  for (size_t i = 0; i < p->ninputs; i++)
    if ((rc = resolve_paths(p->inputs[i], cwd, cwdlen, err)) != 0)
      return rc;
  return 0;
}

/* wrap() for a plan holding paths: resolves them, or frees p. */
static dusk_dataframe *wrap_resolved(dusk_plan *p, dusk_error *err) {
  char cwd[PATH_MAX] = "";
  if (p != NULL && resolve_paths(p, cwd, sizeof cwd, err) != 0) {
    dusk_plan_free(p);
    return NULL;
  }
  return wrap(p, err);
}

void dusk_read_options_init(dusk_read_options *o) {
  memset(o, 0, sizeof *o); /* every default is a zero (see dusk.h) */
}

int dusk_dataframe_parse(const char *expression, dusk_dataframe **out,
                     dusk_error *err) {
  dusk_plan *p = NULL;
  char cwd[PATH_MAX] = "";
  int result = DUSK_RESULT_FRAME;
  int rc = dusk_query_parse_result(expression, &p, &result, err);
  if (rc == 0 && (rc = resolve_paths(p, cwd, sizeof cwd, err)) != 0)
    dusk_plan_free(p);
  if (rc != 0)
    return rc;
  *out = wrap(p, err);
  if (*out == NULL)
    return DUSK_ENOMEM;
  (*out)->result = result;
  return 0;
}

int dusk_dataframe_result(const dusk_dataframe *f) {
  return f != NULL ? f->result : DUSK_RESULT_FRAME;
}

int dusk_dataframe_column_masked(const dusk_dataframe *f, const char *name) {
  return f != NULL && dusk_plan_column_masked(f->plan, name);
}

dusk_dataframe *dusk_read_csv(const char *const *paths, size_t npaths,
                          const dusk_read_options *o, dusk_error *err) {
  dusk_csv_options co;
  dusk_dtype *dt = NULL;
  dusk_dataframe *f;
  if (npaths == 0 || paths == NULL) {
    dusk_error_set(err, DUSK_EINVAL, "read_csv needs at least one path");
    return NULL;
  }
  memset(&co, 0, sizeof co);
  co.sep = ',';
  if (o != NULL) {
    co.sep = o->sep ? o->sep : ',';
    co.blocksize = o->blocksize;
    co.anon = o->anon;
    co.usecols = (char **)o->usecols;
    co.nusecols = o->nusecols;
    if (o->ndtypes > 0) {
      dt = calloc(o->ndtypes, sizeof *dt);
      if (dt == NULL) {
        dusk_error_set(err, DUSK_ENOMEM, "out of memory");
        return NULL;
      }
      for (size_t i = 0; i < o->ndtypes; i++) {
        dt[i].column = (char *)o->dtype_columns[i];
        dt[i].type = dusk_type_parse_na(o->dtype_names[i],
                                        strlen(o->dtype_names[i]),
                                        &dt[i].no_na);
        if (dt[i].type == DUSK_TYPE_NULL) {
          dusk_error_set(err, DUSK_EINVAL, "read_csv: unknown dtype '%s'",
                         o->dtype_names[i]);
          free(dt);
          return NULL;
        }
      }
      co.dtypes = dt;
      co.ndtypes = o->ndtypes;
    }
  }
  f = wrap_resolved(dusk_plan_read_csv(paths, npaths, &co), err);
  free(dt);
  return f;
}

dusk_dataframe *dusk_concat(dusk_dataframe **frames, size_t n, dusk_error *err) {
  dusk_plan **ps;
  int ok = n > 0;
  for (size_t i = 0; i < n; i++)
    ok &= frames[i] != NULL;
  if (!ok) {
    for (size_t i = 0; i < n; i++)
      dusk_dataframe_free(frames[i]);
    dusk_error_set(err, DUSK_EINVAL, "concat needs frames");
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    if (dusk_plan_is_terminal(frames[i]->plan->kind) ||
        dusk_plan_takes_post(frames[i]->plan)) {
      dusk_error_set(err, DUSK_EINVAL,
                     "concat: input %zu is a computed result (its %s ends "
                     "the rows); concat takes frames' rows",
                     i, dusk_plan_kind_name(frames[i]->plan->kind));
      for (size_t j = 0; j < n; j++)
        dusk_dataframe_free(frames[j]);
      return NULL;
    }
  ps = calloc(n, sizeof *ps);
  if (ps == NULL) {
    for (size_t i = 0; i < n; i++)
      dusk_dataframe_free(frames[i]);
    dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    ps[i] = unwrap(frames[i]);
  dusk_dataframe *f = wrap(dusk_plan_concat(ps, n), err);
  free(ps);
  return f;
}

dusk_dataframe *dusk_merge(dusk_dataframe *left, dusk_dataframe *right,
                           const char *how, const char *const *left_on,
                           const char *const *right_on, size_t n,
                           const char *const *suffixes, dusk_error *err) {
  int h = dusk_merge_how_parse(how ? how : "inner");
  const char *bad = NULL;
  if (left == NULL || right == NULL)
    bad = "merge needs two frames";
  else if (h == 0)
    bad = "merge: how must be \"inner\", \"left\", \"right\" or \"outer\"";
  else if (n == 0 || left_on == NULL || right_on == NULL)
    bad = "merge needs keys: on= or left_on= and right_on=";
  for (size_t i = 0; bad == NULL && i < 2; i++) {
    dusk_dataframe *f = i ? right : left;
    if (dusk_plan_is_terminal(f->plan->kind) || dusk_plan_takes_post(f->plan))
      bad = i ? "merge: the right side is a computed result; merge takes "
                "frames' rows"
              : "merge: the left side is a computed result; merge takes "
                "frames' rows";
  }
  for (size_t i = 0; bad == NULL && i < n; i++)
    if (left_on[i] == NULL || right_on[i] == NULL)
      bad = "merge: a key is missing";
  if (bad != NULL) {
    dusk_error_set(err, DUSK_EINVAL, "%s", bad);
    dusk_dataframe_free(left);
    dusk_dataframe_free(right);
    return NULL;
  }
  return wrap(dusk_plan_merge(unwrap(left), unwrap(right), h, left_on,
                              right_on, n, suffixes),
              err);
}

int dusk_merge_broadcast(dusk_dataframe *f, int broadcast, dusk_error *err) {
  if (f == NULL || f->plan == NULL || f->plan->kind != DUSK_PLAN_MERGE)
    return dusk_error_set(err, DUSK_EINVAL,
                          "merge broadcast=: the frame is not a merge's");
  f->plan->strategy = broadcast < 0    ? DUSK_MERGE_AUTO
                      : broadcast != 0 ? DUSK_MERGE_BROADCAST
                                       : DUSK_MERGE_SHUFFLE;
  return 0;
}

int dusk_merge_join(dusk_dataframe *f, dusk_error *err) {
  if (f == NULL || f->plan == NULL || f->plan->kind != DUSK_PLAN_MERGE)
    return dusk_error_set(err, DUSK_EINVAL,
                          "join: the frame is not a merge's");
  f->plan->strategy = DUSK_MERGE_JOIN;
  return 0;
}

static dusk_dataframe *fill(dusk_dataframe *f, const char *column, dusk_value v,
                        dusk_error *err) {
  dusk_fill fl;
  if (!need_open(f, "fillna", err))
    return NULL;
  fl.column = (char *)column;
  fl.value = v;
  return wrap(dusk_plan_fillna(unwrap(f), &fl, 1), err);
}

dusk_dataframe *dusk_fillna_int(dusk_dataframe *f, const char *column, int64_t v,
                            dusk_error *err) {
  dusk_value x;
  x.type = DUSK_TYPE_INT64;
  x.u.i = v;
  return fill(f, column, x, err);
}

dusk_dataframe *dusk_fillna_float(dusk_dataframe *f, const char *column, double v,
                              dusk_error *err) {
  dusk_value x;
  x.type = DUSK_TYPE_FLOAT64;
  x.u.f = v;
  return fill(f, column, x, err);
}

dusk_dataframe *dusk_fillna_str(dusk_dataframe *f, const char *column, const char *v,
                            dusk_error *err) {
  dusk_value x;
  x.type = DUSK_TYPE_STRING;
  x.u.s.ptr = v;
  x.u.s.len = strlen(v);
  return fill(f, column, x, err);
}

/* A frame's rows, or a computed result (a post step, plan.h): for the
 * steps that apply to both (query, assign, select, rename). */
static int need_rows_or_result(dusk_dataframe *f, const char *step,
                               dusk_error *err) {
  if (f != NULL && dusk_plan_takes_post(f->plan))
    return need(f, err);
  return need_open(f, step, err);
}

dusk_dataframe *dusk_assign(dusk_dataframe *f, const char *name,
                            const char *expression, dusk_error *err) {
  dusk_expr *e = NULL;
  if (!need_rows_or_result(f, "assign", err))
    return NULL;
  if (name == NULL || name[0] == '\0') {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "assign needs a column name");
    return NULL;
  }
  if (dusk_expr_parse(expression, &e, err) != 0) {
    dusk_dataframe_free(f);
    return NULL;
  }
  return wrap(dusk_plan_assign(unwrap(f), name, e, expression), err);
}

dusk_dataframe *dusk_query(dusk_dataframe *f, const char *expression,
                       dusk_error *err) {
  dusk_expr *e = NULL;
  if (!need_rows_or_result(f, "query", err))
    return NULL;
  if (dusk_expr_parse(expression, &e, err) != 0) {
    dusk_dataframe_free(f);
    return NULL;
  }
  return wrap(dusk_plan_query(unwrap(f), e, expression), err);
}

dusk_dataframe *dusk_sample(dusk_dataframe *f, double frac, uint64_t seed,
                            dusk_error *err) {
  if (!need_open(f, "sample", err))
    return NULL;
  if (!(frac >= 0 && frac <= 1)) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL,
                   "sample: frac %g is not in [0, 1] (sampling with "
                   "replacement is not supported)",
                   frac);
    return NULL;
  }
  return wrap(dusk_plan_sample(unwrap(f), frac, seed), err);
}

dusk_dataframe *dusk_select(dusk_dataframe *f, const char *const *columns, size_t n,
                        dusk_error *err) {
  if (!need_rows_or_result(f, "select", err))
    return NULL;
  if (n == 0) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "select needs at least one column");
    return NULL;
  }
  return wrap(dusk_plan_select(unwrap(f), columns, n), err);
}

dusk_dataframe *dusk_rename(dusk_dataframe *f, const char *const *old,
                            const char *const *new_names, size_t n,
                            dusk_error *err) {
  if (!need_rows_or_result(f, "rename", err))
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (old == NULL || new_names == NULL || old[i] == NULL ||
        new_names[i] == NULL || new_names[i][0] == '\0') {
      dusk_dataframe_free(f);
      dusk_error_set(err, DUSK_EINVAL,
                     "rename: every column needs a non-empty new name");
      return NULL;
    }
  if (n == 0)
    return f;
  return wrap(dusk_plan_rename(unwrap(f), old, new_names, n), err);
}

dusk_dataframe *dusk_dropna(dusk_dataframe *f, const char *const *subset,
                            size_t n, int how_all, dusk_error *err) {
  if (f != NULL && dusk_plan_takes_post(f->plan)) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL,
                   "dropna applies to a frame's rows; on a computed result "
                   "use query(\"col.notnull()\")");
    return NULL;
  }
  if (!need_open(f, "dropna", err))
    return NULL;
  return wrap(dusk_plan_dropna(unwrap(f), subset, n, how_all != 0), err);
}

dusk_dataframe *dusk_reset_index(dusk_dataframe *f, const char *name,
                                 int drop, dusk_error *err) {
  if (!need_result(f, "reset_index", err))
    return NULL;
  return wrap(dusk_plan_reset_index(unwrap(f), name, drop != 0), err);
}

dusk_dataframe *dusk_set_index(dusk_dataframe *f, const char *const *keys,
                               size_t nkeys, int drop, dusk_error *err) {
  dusk_plan *p;
  if (!need(f, err))
    return NULL;
  if (nkeys == 0 || keys == NULL) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "set_index needs a column");
    return NULL;
  }
  for (size_t k = 0; k < nkeys; k++)
    if (keys[k] == NULL || keys[k][0] == '\0') {
      dusk_dataframe_free(f);
      dusk_error_set(err, DUSK_EINVAL, "set_index: key %zu has no name", k);
      return NULL;
    }
  if (!dusk_plan_takes_post(f->plan) && !need_open(f, "set_index", err))
    return NULL;
  if (nkeys > 64) { /* as sort_values, which a whole frame's goes through */
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "set_index: %zu keys (at most 64)",
                   nkeys);
    return NULL;
  }
  p = dusk_plan_set_index(unwrap(f), keys, nkeys, drop != 0);
  return wrap(p, err);
}

/* The sort node of f, a whole frame's sorted rows not yet written (and of
 * one ascending key when one_key); NULL with f freed and err set when f
 * is not that. */
static dusk_plan *range_sort_of(dusk_dataframe *f, const char *what,
                                bool one_key, dusk_error *err) {
  dusk_plan *sort;
  if (!need(f, err))
    return NULL;
  sort = (dusk_plan *)dusk_plan_sort_node(f->plan);
  if (sort == NULL || !dusk_plan_sorts_rows(sort)) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL,
                   "%s: of a whole frame's set_index or sort_values", what);
    return NULL;
  }
  if (one_key && (sort->ncolumns != 1 || !sort->ascending[0])) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL,
                   "%s: of a set_index of one column (a sort by one "
                   "ascending key), not of %zu",
                   what, sort->ncolumns);
    return NULL;
  }
  return sort;
}

dusk_dataframe *dusk_npartitions(dusk_dataframe *f, uint32_t npartitions,
                                 dusk_error *err) {
  dusk_plan *sort = range_sort_of(f, "npartitions", false, err);
  if (sort == NULL)
    return NULL;
  if (npartitions < 1 || npartitions > DUSK_PLAN_MAX_PARTS) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "npartitions=%u: 1 to %d", npartitions,
                   DUSK_PLAN_MAX_PARTS);
    return NULL;
  }
  if (dusk_plan_set_parts(sort, npartitions, NULL, 0) != 0) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    return NULL;
  }
  return f;
}

/* dusk_divisions_*: values[0..n) as f's divisions. */
static dusk_dataframe *set_divisions(dusk_dataframe *f,
                                     const dusk_value *values, size_t n,
                                     dusk_error *err) {
  dusk_plan *sort = range_sort_of(f, "divisions", true, err);
  if (sort == NULL)
    return NULL;
  if (n < 2 || n > DUSK_PLAN_MAX_PARTS + 1) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL,
                   "divisions: %zu values (2 to %d: one more than the "
                   "partitions)",
                   n, DUSK_PLAN_MAX_PARTS + 1);
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    if (values[i].type == DUSK_TYPE_FLOAT64 && isnan(values[i].u.f)) {
      dusk_dataframe_free(f);
      dusk_error_set(err, DUSK_EINVAL, "divisions: value %zu is NaN", i);
      return NULL;
    }
  if (dusk_plan_set_parts(sort, 0, values, n) != 0) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    return NULL;
  }
  return f;
}

dusk_dataframe *dusk_divisions_int(dusk_dataframe *f, const int64_t *divisions,
                                   size_t n, dusk_error *err) {
  dusk_value v[DUSK_PLAN_MAX_PARTS + 1];
  for (size_t i = 0; divisions && i < n && i < DUSK_PLAN_MAX_PARTS + 1; i++) {
    v[i].type = DUSK_TYPE_INT64;
    v[i].u.i = divisions[i];
  }
  return set_divisions(f, v, divisions ? n : 0, err);
}

dusk_dataframe *dusk_divisions_float(dusk_dataframe *f,
                                     const double *divisions, size_t n,
                                     dusk_error *err) {
  dusk_value v[DUSK_PLAN_MAX_PARTS + 1];
  for (size_t i = 0; divisions && i < n && i < DUSK_PLAN_MAX_PARTS + 1; i++) {
    v[i].type = DUSK_TYPE_FLOAT64;
    v[i].u.f = divisions[i];
  }
  return set_divisions(f, v, divisions ? n : 0, err);
}

dusk_dataframe *dusk_divisions_str(dusk_dataframe *f,
                                   const char *const *divisions, size_t n,
                                   dusk_error *err) {
  dusk_value v[DUSK_PLAN_MAX_PARTS + 1];
  for (size_t i = 0; divisions && i < n && i < DUSK_PLAN_MAX_PARTS + 1; i++) {
    if (divisions[i] == NULL) {
      dusk_dataframe_free(f);
      dusk_error_set(err, DUSK_EINVAL, "divisions: value %zu is NULL", i);
      return NULL;
    }
    v[i].type = DUSK_TYPE_STRING;
    v[i].u.s.ptr = divisions[i];
    v[i].u.s.len = strlen(divisions[i]);
  }
  return set_divisions(f, v, divisions ? n : 0, err);
}

dusk_dataframe *dusk_divisions(dusk_dataframe *f, dusk_error *err) {
  if (range_sort_of(f, "divisions", true, err) == NULL)
    return NULL;
  return wrap(dusk_plan_divisions(unwrap(f)), err);
}

/* The aggregates funcs[i] of columns[i] (NULL columns: every column) for
 * groupby (keys: every function) or a whole-frame reduction (no keys:
 * not size, first or last, which pandas has only per group), as a new
 * array; NULL with err set for an unknown function or out of memory. */
static dusk_agg *build_aggs(const char *const *columns,
                            const char *const *funcs, size_t n, bool keys,
                            dusk_error *err) {
  dusk_agg *aggs = calloc(n ? n : 1, sizeof *aggs);
  if (aggs == NULL) {
    dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    aggs[i].column = columns ? (char *)columns[i] : NULL;
    aggs[i].fn = dusk_agg_parse(funcs[i], strlen(funcs[i]));
    aggs[i].q = 0.5;
    if (aggs[i].fn == 0 ||
        (!keys && (aggs[i].fn == DUSK_AGG_SIZE ||
                   aggs[i].fn == DUSK_AGG_FIRST ||
                   aggs[i].fn == DUSK_AGG_LAST ||
                   aggs[i].fn == DUSK_AGG_MEDIAN ||
                   aggs[i].fn == DUSK_AGG_QUANTILE))) {
      dusk_error_set(err, DUSK_EINVAL,
                     keys ? "groupby: unknown aggregate '%s' (count, size, "
                            "sum, mean, min, max, std, var, nunique, first, "
                            "last, median, quantile)"
                          : "unknown reduction '%s' (count, sum, mean, min, "
                            "max, std, var, nunique; median and quantile "
                            "are dusk_quantile's)",
                     funcs[i]);
      free(aggs);
      return NULL;
    }
  }
  return aggs;
}

dusk_dataframe *dusk_groupby(dusk_dataframe *f, const char *const *keys, size_t nkeys,
                         const char *const *columns, const char *const *funcs,
                         size_t naggs, dusk_error *err) {
  dusk_agg *aggs;
  dusk_dataframe *out;
  if (!need_open(f, "groupby", err))
    return NULL;
  if (nkeys == 0 || naggs == 0) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "groupby needs keys and aggregates");
    return NULL;
  }
  if ((aggs = build_aggs(columns, funcs, naggs, true, err)) == NULL) {
    dusk_dataframe_free(f);
    return NULL;
  }
  out = wrap(dusk_plan_groupby(unwrap(f), keys, nkeys, aggs, naggs), err);
  free(aggs);
  return out;
}

dusk_dataframe *dusk_reduce(dusk_dataframe *f, const char *const *columns,
                            const char *const *funcs, size_t n,
                            dusk_error *err) {
  dusk_agg *aggs;
  dusk_dataframe *out;
  if (!need_open(f, "a reduction", err))
    return NULL;
  if (n == 0) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "a reduction needs a function");
    return NULL;
  }
  if ((aggs = build_aggs(columns, funcs, n, false, err)) == NULL) {
    dusk_dataframe_free(f);
    return NULL;
  }
  out = wrap(dusk_plan_groupby(unwrap(f), NULL, 0, aggs, n), err);
  free(aggs);
  return out;
}

dusk_dataframe *dusk_value_counts(dusk_dataframe *f, const char *column,
                              dusk_error *err) {
  if (!need_open(f, "value_counts", err))
    return NULL;
  return wrap(dusk_plan_value_counts(unwrap(f), column), err);
}

dusk_dataframe *dusk_groupby_value_counts(dusk_dataframe *f,
                                          const char *const *keys,
                                          size_t nkeys, const char *column,
                                          int group_dropna, int as_index,
                                          dusk_error *err) {
  dusk_dataframe *out;
  if (!need_open(f, "value_counts", err))
    return NULL;
  if (column == NULL || keys == NULL || nkeys == 0 ||
      nkeys > DUSK_VC_MAX_KEYS) {
    dusk_error_set(err, DUSK_EINVAL,
                   "groupby(keys)[column].value_counts(): a column and 1 to "
                   "%d keys, got %zu keys",
                   DUSK_VC_MAX_KEYS, keys ? nkeys : 0);
    dusk_dataframe_free(f);
    return NULL;
  }
  for (size_t k = 0; k < nkeys; k++)
    if (keys[k] == NULL) {
      dusk_error_set(err, DUSK_EINVAL, "groupby: key %zu is NULL", k + 1);
      dusk_dataframe_free(f);
      return NULL;
    }
  out = wrap(dusk_plan_group_value_counts(unwrap(f), column, keys, nkeys),
             err);
  if (out != NULL) {
    out->plan->group_keep_na = !group_dropna;
    out->plan->flat = !as_index;
  }
  return out;
}

dusk_dataframe *dusk_groupby_split_out(dusk_dataframe *f, int n,
                                       dusk_error *err) {
  if (!need(f, err))
    return NULL;
  if (!((f->plan->kind == DUSK_PLAN_GROUPBY && f->plan->ncolumns > 0) ||
        (f->plan->kind == DUSK_PLAN_VALUE_COUNTS &&
         f->plan->ncolumns == 1 && !f->plan->describe_counts) ||
        (f->plan->kind == DUSK_PLAN_VALUE_COUNTS &&
         f->plan->ncolumns > 1 && !f->plan->flat)) ||
      n < 1 || n > DUSK_PLAN_MAX_SPLIT_OUT) {
    dusk_error_set(err, DUSK_EINVAL,
                   "split_out=%d: a groupby with keys, a column's "
                   "value_counts or a groupby's (as_index=True) splits into "
                   "1 to %d parts",
                   n, DUSK_PLAN_MAX_SPLIT_OUT);
    dusk_dataframe_free(f);
    return NULL;
  }
  f->plan->split_out = (uint32_t)n;
  return f;
}

dusk_dataframe *dusk_dropna_keys(dusk_dataframe *f, int dropna,
                                 dusk_error *err) {
  if (!need(f, err))
    return NULL;
  if (f->plan->kind != DUSK_PLAN_GROUPBY &&
      f->plan->kind != DUSK_PLAN_VALUE_COUNTS) {
    dusk_error_set(err, DUSK_EINVAL,
                   "dropna= applies to a groupby or value_counts, not to %s",
                   dusk_plan_kind_name(f->plan->kind));
    dusk_dataframe_free(f);
    return NULL;
  }
  f->plan->keep_na = !dropna;
  return f;
}

dusk_dataframe *dusk_groupby_labels(dusk_dataframe *f,
                                    const char *const *labels, size_t n,
                                    dusk_error *err) {
  if (!need(f, err))
    return NULL;
  if (f->plan->kind != DUSK_PLAN_GROUPBY) {
    dusk_error_set(err, DUSK_EINVAL,
                   "labels apply to a groupby's aggregates, not to %s",
                   dusk_plan_kind_name(f->plan->kind));
    dusk_dataframe_free(f);
    return NULL;
  }
  if (n != f->plan->naggs) {
    dusk_error_set(err, DUSK_EINVAL,
                   "groupby labels: %zu labels for %zu aggregates", n,
                   f->plan->naggs);
    dusk_dataframe_free(f);
    return NULL;
  }
  {
    /* checked on a copy of the aggregates, so a refusal changes nothing */
    dusk_agg *check = calloc(n ? n : 1, sizeof *check);
    int bad;
    if (check == NULL) {
      dusk_error_set(err, DUSK_ENOMEM, "out of memory");
      dusk_dataframe_free(f);
      return NULL;
    }
    for (size_t i = 0; i < n; i++) {
      check[i] = f->plan->aggs[i];
      check[i].label = (char *)labels[i];
    }
    bad = dusk_aggs_check_labels(check, n, "groupby labels", err);
    free(check);
    if (bad) {
      dusk_dataframe_free(f);
      return NULL;
    }
  }
  for (size_t i = 0; i < n; i++) {
    char *l = labels[i] ? strdup(labels[i]) : NULL;
    if (labels[i] != NULL && l == NULL) {
      dusk_error_set(err, DUSK_ENOMEM, "out of memory");
      dusk_dataframe_free(f);
      return NULL;
    }
    free(f->plan->aggs[i].label);
    f->plan->aggs[i].label = l;
  }
  return f;
}

dusk_dataframe *dusk_value_counts_normalize(dusk_dataframe *f, int normalize,
                                           dusk_error *err) {
  if (!need(f, err))
    return NULL;
  if (f->plan->kind != DUSK_PLAN_VALUE_COUNTS) {
    dusk_error_set(err, DUSK_EINVAL,
                   "normalize= applies to value_counts, not to %s",
                   dusk_plan_kind_name(f->plan->kind));
    dusk_dataframe_free(f);
    return NULL;
  }
  f->plan->normalize = normalize != 0;
  return f;
}

dusk_dataframe *dusk_groupby_quantile_q(dusk_dataframe *f, double q,
                                        dusk_error *err) {
  if (!need(f, err))
    return NULL;
  if (f->plan->kind != DUSK_PLAN_GROUPBY || !(q >= 0.0 && q <= 1.0)) {
    dusk_error_set(err, DUSK_EINVAL,
                   f->plan->kind != DUSK_PLAN_GROUPBY
                       ? "quantile(q) applies to a groupby, not to %s"
                       : "quantile: q must be between 0 and 1 (%s)",
                   f->plan->kind != DUSK_PLAN_GROUPBY
                       ? dusk_plan_kind_name(f->plan->kind)
                       : "got another");
    dusk_dataframe_free(f);
    return NULL;
  }
  for (size_t a = 0; a < f->plan->naggs; a++)
    if (f->plan->aggs[a].fn == DUSK_AGG_QUANTILE)
      f->plan->aggs[a].q = q;
  return f;
}

/* A frame a post step (plan.h) may extend: one whose last step is a
 * groupby, value_counts, head or post step.  Frees f when not. */
static int need_result(dusk_dataframe *f, const char *step, dusk_error *err) {
  if (!need(f, err))
    return 0;
  if (!dusk_plan_takes_post(f->plan)) {
    dusk_error_set(err, DUSK_EINVAL,
                   "%s applies to a computed result (after groupby, "
                   "value_counts or head)%s",
                   step,
                   strcmp(step, "reset_index") == 0
                       ? "; a frame's rows keep their labels"
                       : ": a whole frame's rows take the frame's own "
                         "steps");
    dusk_dataframe_free(f);
    return 0;
  }
  return 1;
}

dusk_dataframe *dusk_head(dusk_dataframe *f, int64_t n, dusk_error *err) {
  if (f != NULL && dusk_plan_takes_post(f->plan)) {
    if (!need_result(f, "head", err))
      return NULL;
  } else if (!need_open(f, "head", err)) {
    return NULL;
  }
  if (n < 0) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "head: negative n %lld", (long long)n);
    return NULL;
  }
  return wrap(dusk_plan_head(unwrap(f), n), err);
}

dusk_dataframe *dusk_tail(dusk_dataframe *f, int64_t n, dusk_error *err) {
  if (f != NULL && dusk_plan_takes_post(f->plan)) {
    if (!need_result(f, "tail", err))
      return NULL;
  } else if (!need_open(f, "tail", err)) {
    return NULL;
  }
  if (n < 0) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "tail: negative n %lld", (long long)n);
    return NULL;
  }
  return wrap(dusk_plan_tail(unwrap(f), n), err);
}

dusk_dataframe *dusk_sort_values(dusk_dataframe *f, const char *const *by,
                                 size_t nby, const int *ascending,
                                 size_t nascending, dusk_error *err) {
  return dusk_sort_values_kind(f, by, nby, ascending, nascending, NULL, err);
}

dusk_dataframe *dusk_sort_values_kind(dusk_dataframe *f, const char *const *by,
                                      size_t nby, const int *ascending,
                                      size_t nascending, const char *kind,
                                      dusk_error *err) {
  uint8_t flags[64];
  size_t want = nby ? nby : 1;
  dusk_plan *p;
  bool quicksort = kind == NULL || strcmp(kind, "quicksort") == 0;
  if (!quicksort && strcmp(kind, "stable") != 0 &&
      strcmp(kind, "mergesort") != 0) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL,
                   "sort_values: kind '%.64s' is not supported (quicksort, "
                   "pandas' default; stable or mergesort)",
                   kind);
    return NULL;
  }
  /* Of a whole frame, only a following head(n) makes it run (a top-k). */
  if (f != NULL && !dusk_plan_takes_post(f->plan) &&
      !need_open(f, "sort_values", err))
    return NULL;
  if (f != NULL && dusk_plan_takes_post(f->plan) &&
      !need_result(f, "sort_values", err))
    return NULL;
  if (want > 64 || (nascending != want && nascending > 1) ||
      (nascending > 0 && ascending == NULL)) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL,
                   "sort_values: %zu ascending flags for %zu columns (at "
                   "most 64)",
                   nascending, want);
    return NULL;
  }
  for (size_t i = 0; i < want; i++)
    flags[i] = nascending == 0 ? 1 : ascending[nascending == 1 ? 0 : i] != 0;
  p = dusk_plan_sort_values(unwrap(f), by, nby, flags, want);
  if (p != NULL && p->kind == DUSK_PLAN_SORT_VALUES)
    p->quicksort = quicksort;
  return wrap(p, err);
}

dusk_dataframe *dusk_len(dusk_dataframe *f, dusk_error *err) {
  if (!need_open(f, "len", err))
    return NULL;
  return wrap(dusk_plan_len(unwrap(f)), err);
}

dusk_dataframe *dusk_describe(dusk_dataframe *f, dusk_error *err) {
  if (!need_open(f, "describe", err))
    return NULL;
  return wrap(dusk_plan_describe(unwrap(f)), err);
}

static int cmp_q(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

dusk_dataframe *dusk_describe_percentiles(dusk_dataframe *f, const double *qs,
                                          size_t nq, dusk_error *err) {
  double *r;
  size_t n = 0;
  bool half = false;
  dusk_dataframe *out;
  if (!need_open(f, "describe", err))
    return NULL;
  if ((qs == NULL && nq > 0) || nq >= DUSK_PLAN_MAX_QUANTILES) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "describe: 0 to %d percentiles, got %zu",
                   DUSK_PLAN_MAX_QUANTILES - 1, nq);
    return NULL;
  }
  /* pandas' refine_percentiles: in [0, 1], 0.5 among them, sorted and
   * distinct. */
  if ((r = malloc((nq + 1) * sizeof *r)) == NULL) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < nq; i++) {
    if (!(qs[i] >= 0.0 && qs[i] <= 1.0)) {
      free(r);
      dusk_dataframe_free(f);
      dusk_error_set(err, DUSK_EINVAL,
                     "describe: percentiles should all be in the interval "
                     "[0, 1], not %g",
                     qs[i]);
      return NULL;
    }
    half = half || qs[i] == 0.5;
    r[n++] = qs[i];
  }
  if (!half)
    r[n++] = 0.5;
  qsort(r, n, sizeof *r, cmp_q);
  for (size_t i = 1; i < n; i++)
    if (r[i] == r[i - 1]) {
      free(r);
      dusk_dataframe_free(f);
      dusk_error_set(err, DUSK_EINVAL,
                     "describe: percentiles cannot contain duplicates");
      return NULL;
    }
  out = wrap(dusk_plan_describe_percentiles(unwrap(f), r, n), err);
  free(r);
  return out;
}

dusk_dataframe *dusk_describe_column(dusk_dataframe *f, const char *column,
                                     dusk_error *err) {
  if (!need_open(f, "describe", err))
    return NULL;
  if (column == NULL) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "describe_column needs a column");
    return NULL;
  }
  return wrap(dusk_plan_describe_columns(unwrap(f), &column, 1), err);
}

dusk_dataframe *dusk_quantile(dusk_dataframe *f, const char *const *columns,
                              size_t ncolumns, const double *qs, size_t nq,
                              dusk_error *err) {
  if (!need_open(f, "quantile", err))
    return NULL;
  if (qs == NULL || nq == 0 || nq > DUSK_PLAN_MAX_QUANTILES) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "quantile: 1 to %d quantiles, got %zu",
                   DUSK_PLAN_MAX_QUANTILES, nq);
    return NULL;
  }
  for (size_t i = 0; i < nq; i++)
    if (!(qs[i] >= 0.0 && qs[i] <= 1.0)) {
      dusk_dataframe_free(f);
      dusk_error_set(err, DUSK_EINVAL,
                     "quantile: %g is not between 0 and 1", qs[i]);
      return NULL;
    }
  return wrap(dusk_plan_quantile(unwrap(f), columns, ncolumns, qs, nq), err);
}

dusk_dataframe *dusk_drop_duplicates(dusk_dataframe *f,
                                     const char *const *columns, size_t n,
                                     dusk_error *err) {
  if (!need_open(f, "drop_duplicates", err))
    return NULL;
  return wrap(dusk_plan_drop_duplicates(unwrap(f), columns, n), err);
}

dusk_dataframe *dusk_nlargest(dusk_dataframe *f, int64_t n,
                              const char *const *by, size_t nby, int largest,
                              dusk_error *err) {
  uint8_t flags[64];
  const char *what = largest ? "nlargest" : "nsmallest";
  if (!need_open(f, what, err))
    return NULL;
  if (n < 0 || nby == 0 || nby > 64) {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL,
                   "%s: n >= 0 and 1 to 64 columns (got n %lld, %zu "
                   "columns)",
                   what, (long long)n, nby);
    return NULL;
  }
  memset(flags, largest ? 0 : 1, sizeof flags);
  return wrap(dusk_plan_topk(unwrap(f), by, nby, flags, n), err);
}

dusk_dataframe *dusk_median(dusk_dataframe *f, const char *const *columns,
                            size_t ncolumns, dusk_error *err) {
  if (!need_open(f, "median", err))
    return NULL;
  return wrap(dusk_plan_median(unwrap(f), columns, ncolumns), err);
}

dusk_dataframe *dusk_to_csv(dusk_dataframe *f, const char *dir, dusk_error *err) {
  dusk_plan *sort = f != NULL ? (dusk_plan *)dusk_plan_sort_node(f->plan) : NULL;
  if (sort != NULL && dusk_plan_sorts_rows(sort)) {
    /* a whole frame sorted (and maybe set_index): written
     * range-partitioned (plan.h) */
    dusk_plan *p;
    if (dir == NULL || dir[0] == '\0') {
      dusk_dataframe_free(f);
      dusk_error_set(err, DUSK_EINVAL, "to_csv needs a directory");
      return NULL;
    }
    p = unwrap(f);
    if ((sort->dir = strdup(dir)) == NULL) {
      dusk_plan_free(p);
      dusk_error_set(err, DUSK_ENOMEM, "out of memory");
      return NULL;
    }
    return wrap_resolved(p, err);
  }
  if (!need_open(f, "to_csv", err))
    return NULL;
  if (dir == NULL || dir[0] == '\0') {
    dusk_dataframe_free(f);
    dusk_error_set(err, DUSK_EINVAL, "to_csv needs a directory");
    return NULL;
  }
  return wrap_resolved(dusk_plan_to_csv(unwrap(f), dir), err);
}

/* ---- compute ------------------------------------------------------------- */

int dusk_compute(dusk_client *c, const dusk_dataframe *f, int timeout_ms,
                 dusk_table **out, dusk_error *err) {
  dusk_buf plan;
  char key[64];
  const char *k = key;
  void *bytes = NULL;
  size_t len = 0;
  dusk_slice s;
  dusk_profile *prof;
  int rc;
  if (f == NULL)
    return dusk_error_set(err, DUSK_EINVAL, "no frame");
  if (!dusk_plan_is_terminal(f->plan->kind) &&
      f->plan->kind != DUSK_PLAN_SET_INDEX) {
    /* A frame without a final step is all of its rows, as pandas'
     * DataFrame is: head of every row.  (A set_index ends a result: it
     * sits above its sort or head, which dusk_plan_head would only reach
     * again.) */
    dusk_plan *all = dusk_plan_clone(f->plan);
    dusk_dataframe whole;
    if (all == NULL || (all = dusk_plan_head(all, INT64_MAX)) == NULL)
      return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    whole.plan = all;
    rc = dusk_compute(c, &whole, timeout_ms, out, err);
    dusk_plan_free(all);
    return rc;
  }
  dusk_buf_init(&plan);
  if (dusk_plan_encode(f->plan, &plan) != 0)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  if ((rc = dusk__client_query(c, plan.data, plan.len, key, sizeof key,
                               err)) != 0) {
    dusk_buf_destroy(&plan);
    return rc;
  }
  dusk_buf_destroy(&plan);
  rc = dusk_client_gather(c, &k, 1, timeout_ms, &bytes, &len, err);
  /* Interrupted or out of time: the query's tasks stop on the cluster
   * (cancel reaches every task only this query waits for), which stays
   * usable. */
  if (rc == DUSK_EINTR || rc == DUSK_ETIMEDOUT)
    dusk_client_cancel(c, &k, 1, NULL);
  prof = dusk__client_detach_profile(c, key);
  dusk_client_release(c, &k, 1, NULL);
  if (rc != 0) {
    dusk_profile_free(prof);
    /* The worker's text (after "key ... failed: task ... (op query): ")
     * is what a person needs. */
    if (err != NULL && rc == DUSK_ETASK) {
      const char *p = strstr(err->message, "(op query): ");
      if (p != NULL)
        memmove(err->message, p + 12, strlen(p + 12) + 1);
    }
    return rc;
  }
  s.ptr = bytes;
  s.len = len;
  rc = dusk_table_decode(s, out, err);
  free(bytes);
  if (prof != NULL) {
    if (rc == 0 && dusk__profile_describe_plan(prof, f->plan) == 0) {
      prof->rows = dusk_table_nrows(*out);
      dusk__client_keep_profile(c, prof);
    } else {
      dusk_profile_free(prof);
    }
  }
  return rc;
}

/* ---- persist ------------------------------------------------------------ */

int dusk_persist(dusk_client *c, const dusk_dataframe *f, int timeout_ms,
                 dusk_dataframe **out, int64_t *rows, dusk_error *err) {
  dusk_plan *p;
  dusk_buf plan;
  char key[64];
  const char *k = key;
  void *bytes = NULL;
  size_t len = 0;
  dusk_table *t = NULL;
  dusk_dataframe *copy = NULL;
  int rc;
  *out = NULL;
  if (f == NULL)
    return dusk_error_set(err, DUSK_EINVAL, "no frame");
  if (dusk_plan_is_terminal(f->plan->kind) ||
      dusk_plan_result_root(f->plan) != f->plan)
    return dusk_error_set(err, DUSK_EINVAL,
                          "persist: a frame of rows persists, not a %s "
                          "result (compute() it instead)",
                          dusk_plan_kind_name(f->plan->kind));
  if ((p = dusk_plan_clone(f->plan)) == NULL ||
      (p = dusk_plan_persist(p)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  dusk_buf_init(&plan);
  rc = dusk_plan_encode(p, &plan) != 0 ? DUSK_ENOMEM : 0;
  dusk_plan_free(p);
  if (rc != 0) {
    dusk_buf_destroy(&plan);
    return dusk_error_set(err, rc, "out of memory");
  }
  rc = dusk__client_query(c, plan.data, plan.len, key, sizeof key, err);
  dusk_buf_destroy(&plan);
  if (rc != 0)
    return rc;
  rc = dusk_client_gather(c, &k, 1, timeout_ms, &bytes, &len, err);
  if (rc == 0) {
    dusk_slice s = {bytes, len};
    rc = dusk_table_decode(s, &t, err);
  }
  free(bytes);
  if (rc == 0 && (t->ncols != 1 || t->nrows != 1 ||
                  t->cols[0].type != DUSK_TYPE_INT64))
    rc = dusk_error_set(err, DUSK_EPROTO, "persist: unexpected result");
  if (rc == 0 && rows != NULL)
    *rows = t->cols[0].i64[0];
  dusk_table_free(t);
  if (rc == 0 && ((copy = dusk_dataframe_copy(f, err)) == NULL ||
                  dusk_plan_mark_persisted(copy->plan, key) != 0)) {
    if (copy != NULL)
      dusk_dataframe_free(copy);
    rc = dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  }
  if (rc != 0) {
    /* Interrupted, out of time or failed: nothing stays on the cluster. */
    if (rc == DUSK_EINTR || rc == DUSK_ETIMEDOUT)
      dusk_client_cancel(c, &k, 1, NULL);
    dusk_client_release(c, &k, 1, NULL);
    if (err != NULL && rc == DUSK_ETASK) {
      const char *m = strstr(err->message, "(op query): ");
      if (m != NULL)
        memmove(err->message, m + 12, strlen(m + 12) + 1);
    }
    return rc;
  }
  *out = copy;
  return 0;
}

/* The first persisted read under p, or NULL. */
static const dusk_plan *persisted_read(const dusk_plan *p) {
  if (p == NULL)
    return NULL;
  if (p->kind == DUSK_PLAN_READ_CSV)
    return p->csv.persisted != NULL ? p : NULL;
  for (size_t i = 0; i < p->ninputs; i++) {
    const dusk_plan *r = persisted_read(p->inputs[i]);
    if (r != NULL)
      return r;
  }
  return NULL;
}

const char *dusk_dataframe_persisted(const dusk_dataframe *f) {
  const dusk_plan *r = f != NULL ? persisted_read(f->plan) : NULL;
  return r != NULL ? r->csv.persisted : NULL;
}

/* Adds the distinct persist keys under p to keys[0..*n) (at most max). */
static void persisted_keys(const dusk_plan *p, const char **keys, size_t *n,
                           size_t max) {
  if (p == NULL)
    return;
  if (p->kind == DUSK_PLAN_READ_CSV && p->csv.persisted != NULL) {
    for (size_t i = 0; i < *n; i++)
      if (strcmp(keys[i], p->csv.persisted) == 0)
        return;
    if (*n < max)
      keys[(*n)++] = p->csv.persisted;
    return;
  }
  for (size_t i = 0; i < p->ninputs; i++)
    persisted_keys(p->inputs[i], keys, n, max);
}

int dusk_unpersist(dusk_client *c, const dusk_dataframe *f, dusk_error *err) {
  const char *keys[64];
  size_t n = 0;
  if (f == NULL)
    return dusk_error_set(err, DUSK_EINVAL, "no frame");
  persisted_keys(f->plan, keys, &n, sizeof keys / sizeof keys[0]);
  return n == 0 ? 0 : dusk_client_release(c, keys, n, err);
}

/* ---- tables -------------------------------------------------------------- */

size_t dusk_table_nrows(const dusk_table *t) { return t->nrows; }
size_t dusk_table_ncols(const dusk_table *t) { return t->ncols; }
size_t dusk_table_nindex(const dusk_table *t) { return t->nindex; }

const char *dusk_table_column_name(const dusk_table *t, size_t col) {
  return col < t->ncols ? t->cols[col].name : NULL;
}

int dusk_table_column_type(const dusk_table *t, size_t col) {
  if (col >= t->ncols)
    return 0;
  switch (t->cols[col].type) {
  case DUSK_TYPE_BOOL: return DUSK_COL_BOOL;
  case DUSK_TYPE_INT64:
    return t->cols[col].logical == DUSK_TYPE_DATETIME    ? DUSK_COL_DATETIME
           : t->cols[col].logical == DUSK_TYPE_TIMEDELTA ? DUSK_COL_TIMEDELTA
           : t->cols[col].logical == DUSK_TYPE_DATE      ? DUSK_COL_DATE
                                                         : DUSK_COL_INT64;
  case DUSK_TYPE_FLOAT64: return DUSK_COL_FLOAT64;
  case DUSK_TYPE_STRING: return DUSK_COL_STRING;
  default: return 0;
  }
}

int dusk_table_column_view(const dusk_table *t, size_t col,
                           dusk_column_view *out) {
  const dusk_table_column *c;
  if (t == NULL || col >= t->ncols || out == NULL)
    return DUSK_EINVAL;
  c = &t->cols[col];
  memset(out, 0, sizeof *out);
  out->type = dusk_table_column_type(t, col);
  out->nrows = t->nrows;
  out->valid = c->valid;
  switch (c->type) {
  case DUSK_TYPE_INT64:
    out->values = c->i64;
    break;
  case DUSK_TYPE_FLOAT64:
    out->values = c->f64;
    break;
  case DUSK_TYPE_BOOL:
    out->values = c->b;
    break;
  case DUSK_TYPE_STRING:
    out->values = c->str_off;
    out->strings = c->str_data;
    break;
  default:
    return DUSK_EINVAL;
  }
  return 0;
}

/* The flag says where the values came from; a null in the table itself
 * (a min over a group of nulls) makes pandas' dtype the same. */
const char *dusk_table_column_pandas_dtype(const dusk_table *t, size_t col) {
  const dusk_table_column *c;
  bool na;
  if (col >= t->ncols)
    return NULL;
  c = &t->cols[col];
  na = c->source_na || (t->nrows > 0 && memchr(c->valid, 0, t->nrows));
  if (c->type == DUSK_TYPE_STRING) /* text, or Timedeltas' (describe) */
    return "object";
  if (c->logical == DUSK_TYPE_DATETIME) /* NaT is its own null */
    return "datetime64[ns]";
  if (c->logical == DUSK_TYPE_TIMEDELTA)
    return "timedelta64[ns]";
  if (c->logical == DUSK_TYPE_DATE) /* datetime.date objects, NaT null */
    return "object";
  if (c->masked) /* pandas' nullable arrays, <NA> their null */
    return c->type == DUSK_TYPE_INT64   ? "Int64"
           : c->type == DUSK_TYPE_BOOL ? "boolean"
                                       : "Float64";
  switch (c->type) {
  case DUSK_TYPE_INT64: return na ? "float64" : "int64";
  case DUSK_TYPE_BOOL: return na ? "object" : "bool";
  case DUSK_TYPE_FLOAT64: return "float64";
  case DUSK_TYPE_STRING: return "object";
  default: return NULL;
  }
}

int dusk_table_is_null(const dusk_table *t, size_t col, size_t row) {
  return col >= t->ncols || row >= t->nrows || !t->cols[col].valid[row];
}

/* The checks every typed read starts with: 0 and *v for a value, 1 for a
 * null, DUSK_EINVAL out of range. */
static int cell(const dusk_table *t, size_t col, size_t row, dusk_value *v) {
  if (col >= t->ncols || row >= t->nrows)
    return DUSK_EINVAL;
  if (!t->cols[col].valid[row])
    return 1;
  dusk_table_get(t, col, row, v);
  return 0;
}

int dusk_table_int64(const dusk_table *t, size_t col, size_t row,
                     int64_t *out) {
  dusk_value v;
  int rc = cell(t, col, row, &v);
  *out = 0;
  if (rc != 0)
    return rc;
  switch (v.type) {
  case DUSK_TYPE_INT64:
    *out = v.u.i;
    return 0;
  case DUSK_TYPE_BOOL:
    *out = v.u.b;
    return 0;
  case DUSK_TYPE_FLOAT64:
    /* Converting a double outside int64's range is undefined behaviour:
     * only integral values in [-2^63, 2^63) convert. */
    if (!(v.u.f >= -9223372036854775808.0 && v.u.f < 9223372036854775808.0) ||
        v.u.f != trunc(v.u.f))
      return DUSK_EWIDEN;
    *out = (int64_t)v.u.f;
    return 0;
  default:
    return DUSK_ETYPE;
  }
}

int dusk_table_float64(const dusk_table *t, size_t col, size_t row,
                       double *out) {
  dusk_value v;
  int rc = cell(t, col, row, &v);
  *out = rc == 1 ? NAN : 0;
  if (rc != 0)
    return rc;
  switch (v.type) {
  case DUSK_TYPE_FLOAT64:
    *out = v.u.f;
    return 0;
  case DUSK_TYPE_BOOL:
    *out = v.u.b;
    return 0;
  case DUSK_TYPE_INT64: {
    /* Exact only: 2^63 itself is no int64, so test it before converting
     * back. */
    double d = (double)v.u.i;
    if (d >= 9223372036854775808.0 || (int64_t)d != v.u.i)
      return DUSK_EWIDEN;
    *out = d;
    return 0;
  }
  default:
    return DUSK_ETYPE;
  }
}

int dusk_table_bool(const dusk_table *t, size_t col, size_t row, int *out) {
  dusk_value v;
  int rc = cell(t, col, row, &v);
  *out = 0;
  if (rc != 0)
    return rc;
  if (v.type != DUSK_TYPE_BOOL)
    return DUSK_ETYPE;
  *out = v.u.b;
  return 0;
}

int dusk_table_string(const dusk_table *t, size_t col, size_t row,
                      const char **out, size_t *len) {
  dusk_value v;
  int rc = cell(t, col, row, &v);
  *out = NULL;
  if (len != NULL)
    *len = 0;
  if (rc != 0)
    return rc;
  if (v.type != DUSK_TYPE_STRING)
    return DUSK_ETYPE;
  *out = v.u.s.ptr;
  if (len != NULL)
    *len = v.u.s.len;
  return 0;
}

int dusk_table_print_result(const dusk_table *t, int format, int result,
                            FILE *f) {
  bool nullable = (result & DUSK_RESULT_NULLABLE) != 0;
  if (format == DUSK_FORMAT_CSV || format == DUSK_FORMAT_JSON)
    return dusk_table_print(t, format, f);
  switch (result & ~DUSK_RESULT_NULLABLE) {
  case DUSK_RESULT_SERIES:
  case DUSK_RESULT_SERIES_UNNAMED:
    return dusk_table_write_series(t, (result & ~DUSK_RESULT_NULLABLE) ==
                                          DUSK_RESULT_SERIES,
                                   nullable, f);
  case DUSK_RESULT_SCALAR: return dusk_table_write_scalar(t, f);
  case DUSK_RESULT_ARRAY: return dusk_table_write_array(t, nullable, f);
  case DUSK_RESULT_ROW:
  case DUSK_RESULT_ROW_NAMED:
    return dusk_table_write_row(t, result == DUSK_RESULT_ROW_NAMED, f);
  default: return dusk_table_write_text(t, f);
  }
}

int dusk_table_print(const dusk_table *t, int format, FILE *f) {
  switch (format) {
  case DUSK_FORMAT_CSV: return dusk_table_write_csv(t, f);
  case DUSK_FORMAT_JSON: return dusk_table_write_json(t, f);
  default: return dusk_table_write_text(t, f);
  }
}
