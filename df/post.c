/* post.c - steps on a computed result (post.h). */
#include "post.h"

#include "batch.h"
#include "exprtype.h"
#include "exprvec.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "'a', 'b'" of t's columns from `from` on, clipped to cap bytes. */
static void list_names(const dusk_table *t, size_t from, char *out,
                       size_t cap) {
  size_t len = 0;
  out[0] = '\0';
  for (size_t i = from; i < t->ncols && len < cap - 1; i++)
    len += (size_t)snprintf(out + len, cap - len, "%s'%s'",
                            i > from ? ", " : "", t->cols[i].name);
}

/* The value column name names (NULL: the one value column of a
 * Series-shaped result), or -1 with err set. */
static int value_column(const dusk_table *t, const char *name,
                        const char *what, dusk_error *err) {
  char names[256];
  if (name == NULL) {
    if (t->ncols == t->nindex + 1)
      return (int)t->nindex;
    dusk_error_set(err, DUSK_EINVAL,
                   "%s: the result has %zu value columns; name the ones to "
                   "sort by (by=)",
                   what, t->ncols - t->nindex);
    return -1;
  }
  for (size_t c = t->nindex; c < t->ncols; c++)
    if (strcmp(t->cols[c].name, name) == 0)
      return (int)c;
  list_names(t, t->nindex, names, sizeof names);
  dusk_error_set(err, DUSK_ENOTFOUND,
                 "%s: the result has no column '%s' (it has %s)", what, name,
                 names);
  return -1;
}

/* ---- expressions over a result ------------------------------------------ */

/* The types an expression sees: datetimes and dates as such, an int column
 * that held a null in the files as the float64 pandas holds it. */
static dusk_type seen_type(const dusk_table_column *c) {
  if (c->logical != 0)
    return c->logical;
  if (c->type == DUSK_TYPE_INT64 && c->source_na)
    return DUSK_TYPE_FLOAT64;
  return c->type;
}

typedef struct post_expr {
  const char **names;
  dusk_type *seen; /* per column of the table, then the assigned one */
  dusk_exprvec *x;
  dusk_batch b;
  bool batch_ready;
} post_expr;

static void post_expr_destroy(post_expr *e) {
  free(e->names);
  free(e->seen);
  dusk_exprvec_free(e->x);
  if (e->batch_ready)
    dusk_batch_destroy(&e->b);
}

/* Checks and compiles s's expression against t's columns, then loads t
 * into a batch (with one more column of the expression's type when
 * `extra`).  what names the step for messages. */
static int post_expr_init(post_expr *e, const dusk_plan *s,
                          const dusk_table *t, bool extra, const char *what,
                          dusk_error *err) {
  size_t n = t->ncols, cap = t->nrows ? t->nrows : 1;
  dusk_type *types;
  dusk_error why = {0};
  char names[256];
  int rc;
  memset(e, 0, sizeof *e);
  e->names = dusk_xcalloc(n + 1, sizeof *e->names);
  e->seen = dusk_xcalloc(n + 1, sizeof *e->seen);
  for (size_t c = 0; c < n; c++) {
    e->names[c] = t->cols[c].name;
    e->seen[c] = seen_type(&t->cols[c]);
  }
  if (dusk_expr_type(s->expr, e->names, e->seen, n, &why) == DUSK_TYPE_NULL) {
    list_names(t, 0, names, sizeof names);
    return dusk_error_set(err, why.code ? why.code : DUSK_ETYPE,
                          "%s on the result: %s (its columns: %s)", what,
                          why.message, names);
  }
  if ((rc = dusk_exprvec_compile(s->expr, e->names, e->seen, n, cap, &e->x,
                                 err)) != 0)
    return rc;
  e->seen[n] = dusk_exprvec_type(e->x);
  types = dusk_xcalloc(n + 1, sizeof *types);
  for (size_t c = 0; c <= n; c++)
    types[c] = dusk_type_physical(e->seen[c]);
  rc = dusk_batch_init(&e->b, types, n + (extra ? 1 : 0), cap);
  free(types);
  if (rc != 0)
    return dusk_error_set(err, rc, "%s on the result: out of memory", what);
  e->batch_ready = true;
  for (size_t c = 0; c < n; c++) {
    const dusk_table_column *tc = &t->cols[c];
    dusk_column *bc = &e->b.cols[c];
    for (size_t r = 0; r < t->nrows; r++) {
      bc->valid[r] = tc->valid[r];
      switch (tc->type) {
      case DUSK_TYPE_INT64:
        if (bc->type == DUSK_TYPE_FLOAT64)
          bc->f64[r] = (double)tc->i64[r];
        else
          bc->i64[r] = tc->i64[r];
        break;
      case DUSK_TYPE_FLOAT64: bc->f64[r] = tc->f64[r]; break;
      case DUSK_TYPE_BOOL: bc->b[r] = tc->b[r]; break;
      case DUSK_TYPE_STRING: {
        uint64_t len = tc->str_off[r + 1] - tc->str_off[r];
        bc->str_off[r] = bc->str_len[r] = 0;
        if (!tc->valid[r])
          break;
        if (len > UINT32_MAX ||
            (rc = dusk_batch_arena_add(&e->b, tc->str_data + tc->str_off[r],
                                       (size_t)len, &bc->str_off[r])) != 0)
          return dusk_error_set(err, DUSK_ENOMEM,
                                "%s on the result: its text in column '%s' "
                                "passes 4 GiB",
                                what, tc->name);
        bc->str_len[r] = (uint32_t)len;
        break;
      }
      default: break;
      }
    }
  }
  e->b.nrows = t->nrows;
  return 0;
}

static int refused(const post_expr *e, int rc, const char *what,
                   dusk_error *err) {
  if (rc == DUSK_ETYPE)
    return dusk_error_set(err, rc, "%s on the result: %s", what,
                          dusk_exprvec_refusal(e->x));
  return dusk_error_set(err, rc, "%s on the result: %s", what,
                        dusk_strerror(rc));
}

static int post_query(const dusk_plan *s, dusk_table *t, dusk_table **out,
                      dusk_error *err) {
  char what[256];
  post_expr e;
  uint8_t *mask = NULL;
  size_t *keep = NULL, n = 0;
  int rc;
  snprintf(what, sizeof what, "query(\"%.200s\")",
           s->expr_text ? s->expr_text : "");
  if ((rc = post_expr_init(&e, s, t, false, what, err)) != 0)
    goto done;
  if (e.seen[t->ncols] != DUSK_TYPE_BOOL) {
    rc = dusk_error_set(err, DUSK_ETYPE,
                        "%s on the result is not a condition", what);
    goto done;
  }
  mask = dusk_xmalloc(t->nrows ? t->nrows : 1);
  if ((rc = dusk_exprvec_eval(e.x, &e.b, mask)) != 0) {
    rc = refused(&e, rc, what, err);
    goto done;
  }
  keep = dusk_xcalloc(t->nrows ? t->nrows : 1, sizeof *keep);
  for (size_t r = 0; r < t->nrows; r++)
    if (mask[r])
      keep[n++] = r;
  if ((rc = dusk_table_take(t, keep, n, out)) != 0)
    dusk_error_set(err, rc, "%s: %s", what, dusk_strerror(rc));
done:
  free(mask);
  free(keep);
  post_expr_destroy(&e);
  return rc;
}

/* A new table of n columns named names with types types (nindex leading
 * index columns), whose column c holds t's column from[c] (or, where
 * from[c] is -1, column `extra` of b), flags kept. */
static int rebuild(const dusk_table *t, const char *const *names,
                   const dusk_type *types, const int *from, size_t n,
                   size_t nindex, const dusk_batch *b, size_t extra,
                   dusk_table **out) {
  dusk_table *r = dusk_table_new(names, types, n, nindex);
  dusk_value *vals = dusk_xcalloc(n + 1, sizeof *vals);
  int rc = r ? 0 : DUSK_ENOMEM;
  for (size_t row = 0; rc == 0 && row < t->nrows; row++) {
    for (size_t c = 0; c < n; c++)
      if (from[c] >= 0)
        dusk_table_get(t, (size_t)from[c], row, &vals[c]);
      else
        dusk_batch_get(b, extra, row, &vals[c]);
    rc = dusk_table_append_row(r, vals);
  }
  free(vals);
  if (rc != 0) {
    dusk_table_free(r);
    return rc;
  }
  for (size_t c = 0; c < n; c++)
    if (from[c] >= 0)
      dusk_table_copy_flags(&r->cols[c], &t->cols[from[c]]);
  *out = r;
  return 0;
}

static int post_assign(const dusk_plan *s, dusk_table *t, dusk_table **out,
                       dusk_error *err) {
  const char *name = s->columns[0];
  char what[256];
  post_expr e;
  size_t n = t->ncols, slot = n;
  const char **names = NULL;
  dusk_type *types = NULL, type;
  int *from = NULL, rc;
  snprintf(what, sizeof what, "assign(%.50s=\"%.190s\")", name,
           s->expr_text ? s->expr_text : "");
  if ((rc = post_expr_init(&e, s, t, true, what, err)) != 0)
    goto done;
  if ((rc = dusk_exprvec_eval_into(e.x, &e.b, n)) != 0) {
    rc = refused(&e, rc, what, err);
    goto done;
  }
  /* pandas replaces a value column of that name in place; a new one, or
   * an index level's name, goes last. */
  for (size_t c = t->nindex; c < n && slot == n; c++)
    if (strcmp(t->cols[c].name, name) == 0)
      slot = c;
  type = e.seen[n];
  names = dusk_xcalloc(n + 1, sizeof *names);
  types = dusk_xcalloc(n + 1, sizeof *types);
  from = dusk_xcalloc(n + 1, sizeof *from);
  for (size_t c = 0; c < n; c++) {
    names[c] = t->cols[c].name;
    types[c] = t->cols[c].type;
    from[c] = (int)c;
  }
  names[slot] = name;
  types[slot] = dusk_type_physical(type);
  from[slot] = -1;
  if ((rc = rebuild(t, names, types, from, slot == n ? n + 1 : n, t->nindex,
                    &e.b, n, out)) != 0) {
    dusk_error_set(err, rc, "%s: %s", what, dusk_strerror(rc));
    goto done;
  }
  if (dusk_type_is_logical(type))
    (*out)->cols[slot].logical = type;
done:
  free(names);
  free(types);
  free(from);
  post_expr_destroy(&e);
  return rc;
}

/* ---- columns ------------------------------------------------------------ */

static int post_select(const dusk_plan *s, const dusk_table *t,
                       dusk_table **out, dusk_error *err) {
  size_t n = t->nindex + s->ncolumns;
  const char **names = dusk_xcalloc(n + 1, sizeof *names);
  dusk_type *types = dusk_xcalloc(n + 1, sizeof *types);
  int *from = dusk_xcalloc(n + 1, sizeof *from), rc = 0;
  for (size_t c = 0; c < n && rc == 0; c++) {
    int j = c < t->nindex ? (int)c
                          : value_column(t, s->columns[c - t->nindex],
                                         "column selection", err);
    if (j < 0)
      rc = err->code;
    else {
      from[c] = j;
      names[c] = t->cols[j].name;
      types[c] = t->cols[j].type;
    }
  }
  if (rc == 0 &&
      (rc = rebuild(t, names, types, from, n, t->nindex, NULL, 0, out)) != 0)
    dusk_error_set(err, rc, "column selection: %s", dusk_strerror(rc));
  free(names);
  free(types);
  free(from);
  return rc;
}

int dusk_table_keep_columns(const dusk_table *t, const bool *keep,
                            dusk_table **out) {
  const char **names = dusk_xcalloc(t->ncols + 1, sizeof *names);
  dusk_type *types = dusk_xcalloc(t->ncols + 1, sizeof *types);
  int *from = dusk_xcalloc(t->ncols + 1, sizeof *from), rc;
  size_t n = 0;
  for (size_t c = 0; c < t->ncols; c++)
    if (c < t->nindex || keep[c]) {
      from[n] = (int)c;
      names[n] = t->cols[c].name;
      types[n++] = t->cols[c].type;
    }
  rc = rebuild(t, names, types, from, n, t->nindex, NULL, 0, out);
  free(names);
  free(types);
  free(from);
  return rc;
}

/* Renames t's value columns in place. */
static void post_rename(const dusk_plan *s, dusk_table *t) {
  for (size_t c = t->nindex; c < t->ncols; c++)
    for (size_t i = 0; i < s->ncolumns; i++)
      if (strcmp(t->cols[c].name, s->columns[i]) == 0) {
        free(t->cols[c].name);
        t->cols[c].name = dusk_xstrdup(s->renamed[i]);
        break;
      }
}

static bool has_column(const dusk_table *t, const char *name) {
  for (size_t c = 0; c < t->ncols; c++)
    if (strcmp(t->cols[c].name, name) == 0)
      return true;
  return false;
}

static int post_reset_index(const dusk_plan *s, const dusk_table *t,
                            dusk_table **out, dusk_error *err) {
  size_t moved = s->drop ? 0 : t->nindex;
  size_t nvalues = t->ncols - t->nindex, n = 1 + moved + nvalues;
  const char **names = dusk_xcalloc(n + 1, sizeof *names);
  dusk_type *types = dusk_xcalloc(n + 1, sizeof *types);
  int *from = dusk_xcalloc(n + 1, sizeof *from), rc = 0;
  dusk_batch range;
  dusk_type int64 = DUSK_TYPE_INT64;
  bool range_ready = false;
  /* pandas ignores name= when the index is dropped. */
  bool named = s->ncolumns == 1 && !s->drop;
  if (named && nvalues != 1) {
    rc = dusk_error_set(err, DUSK_EINVAL,
                        "reset_index(name=\"%s\"): name= names the values of "
                        "a one-column result (a Series); this one has %zu "
                        "value columns (rename(columns=) them)",
                        s->columns[0], nvalues);
    goto done;
  }
  names[0] = "";
  types[0] = DUSK_TYPE_INT64;
  from[0] = -1;
  for (size_t c = 0; c < moved + nvalues; c++) {
    size_t src = s->drop ? t->nindex + c : c;
    const char *name = t->cols[src].name;
    if (c < moved && name[0] == '\0')
      name = moved > 1                  ? NULL
             : has_column(t, "index")   ? "level_0"
                                        : "index";
    if (c >= moved && named)
      name = s->columns[0];
    if (name == NULL) {
      rc = dusk_error_set(err, DUSK_EINVAL,
                          "reset_index: index level %zu has no name", c);
      goto done;
    }
    for (size_t k = 1; k < 1 + c; k++)
      if (strcmp(names[k], name) == 0) {
        rc = dusk_error_set(err, DUSK_EINVAL,
                            "reset_index: cannot insert %s, already exists",
                            name);
        goto done;
      }
    names[1 + c] = name;
    types[1 + c] = t->cols[src].type;
    from[1 + c] = (int)src;
  }
  /* The new index, 0..n-1: a one-column batch the rebuild reads. */
  if ((rc = dusk_batch_init(&range, &int64, 1, t->nrows ? t->nrows : 1)) !=
      0) {
    dusk_error_set(err, rc, "reset_index: out of memory");
    goto done;
  }
  range_ready = true;
  for (size_t r = 0; r < t->nrows; r++) {
    range.cols[0].valid[r] = 1;
    range.cols[0].i64[r] = (int64_t)r;
  }
  range.nrows = t->nrows;
  if ((rc = rebuild(t, names, types, from, n, 1, &range, 0, out)) != 0)
    dusk_error_set(err, rc, "reset_index: %s", dusk_strerror(rc));
done:
  if (range_ready)
    dusk_batch_destroy(&range);
  free(names);
  free(types);
  free(from);
  return rc;
}

/* pandas' set_index(keys, drop, append=False): the keys, value columns,
 * become the whole index (the old one dropped); with drop they leave the
 * values.  Columnar copies: a whole frame's set_index moves every row. */
static int post_set_index(const dusk_plan *s, const dusk_table *t,
                          dusk_table **out, dusk_error *err) {
  size_t nvalues = t->ncols - t->nindex, n = 0;
  size_t *cols = dusk_xcalloc(s->ncolumns + nvalues + 1, sizeof *cols);
  int rc = 0;
  for (size_t k = 0; k < s->ncolumns && rc == 0; k++) {
    int j = value_column(t, s->columns[k], "set_index", err);
    if (j < 0)
      rc = err->code;
    for (size_t i = 0; rc == 0 && i < n; i++)
      if (cols[i] == (size_t)j)
        rc = dusk_error_set(err, DUSK_EINVAL,
                            "set_index: key '%s' given twice", s->columns[k]);
    cols[n++] = (size_t)j;
  }
  for (size_t c = t->nindex; c < t->ncols && rc == 0; c++) {
    bool key = false;
    for (size_t k = 0; k < s->ncolumns && !key; k++)
      key = cols[k] == c;
    if (!key || !s->drop)
      cols[n++] = c;
  }
  if (rc == 0 &&
      (rc = dusk_table_columns(t, cols, n, s->ncolumns, out)) != 0)
    dusk_error_set(err, rc, "set_index: %s", dusk_strerror(rc));
  free(cols);
  return rc;
}

/* ---- rows --------------------------------------------------------------- */

int dusk_post_sort_order(const dusk_plan *s, const dusk_table *t,
                         size_t **order, dusk_error *err) {
  int cols[64];
  size_t nkeys = s->ncolumns ? s->ncolumns : 1;
  *order = NULL;
  if (nkeys > 64 || s->nascending != nkeys)
    return dusk_error_set(err, DUSK_EINVAL, "sort_values: %zu keys, %zu flags",
                          nkeys, s->nascending);
  for (size_t k = 0; k < nkeys; k++)
    if ((cols[k] = value_column(t, s->ncolumns ? s->columns[k] : NULL,
                                "sort_values", err)) < 0)
      return err->code;
  *order = dusk_xcalloc(t->nrows ? t->nrows : 1, sizeof **order);
  /* pandas' default, ties and all - but not for one part of a sorted
   * to_csv, whose ties keep file order (rangepart.h) */
  if (s->quicksort && nkeys == 1 && s->dir == NULL)
    dusk_table_nargsort(t, cols[0], s->ascending[0] != 0, *order);
  else
    dusk_table_sort_order(t, cols, s->ascending, nkeys, *order);
  return 0;
}

static int post_rows(const dusk_plan *s, const dusk_table *t,
                     dusk_table **out, dusk_error *err) {
  size_t rows = t->nrows, from = 0, count = rows;
  size_t *order = NULL;
  int rc;
  if (s->kind == DUSK_PLAN_SORT_VALUES) {
    if ((rc = dusk_post_sort_order(s, t, &order, err)) != 0)
      return rc;
  } else {
    count = (uint64_t)s->n < rows ? (size_t)s->n : rows;
    if (s->kind == DUSK_PLAN_TAIL)
      from = rows - count;
    order = dusk_xcalloc(count ? count : 1, sizeof *order);
    for (size_t i = 0; i < count; i++)
      order[i] = from + i;
  }
  rc = dusk_table_take(t, order, count, out);
  free(order);
  if (rc != 0)
    return dusk_error_set(err, rc, "%s: %s", dusk_plan_kind_name(s->kind),
                          dusk_strerror(rc));
  return 0;
}

int dusk_post_run(const dusk_plan *top, const dusk_plan *root,
                  dusk_table **result, dusk_error *err) {
  const dusk_plan *steps[64];
  size_t n = 0;
  for (const dusk_plan *s = top; s != root && s != NULL; s = s->inputs[0]) {
    if (n == sizeof steps / sizeof steps[0])
      return dusk_error_set(err, DUSK_EINVAL, "more than 64 post steps");
    steps[n++] = s;
  }
  while (n-- > 0) {
    const dusk_plan *s = steps[n];
    dusk_table *t = *result, *out = NULL;
    int rc;
    switch (s->kind) {
    case DUSK_PLAN_SORT_VALUES:
    case DUSK_PLAN_HEAD:
    case DUSK_PLAN_TAIL: rc = post_rows(s, t, &out, err); break;
    case DUSK_PLAN_QUERY: rc = post_query(s, t, &out, err); break;
    case DUSK_PLAN_ASSIGN: rc = post_assign(s, t, &out, err); break;
    case DUSK_PLAN_SELECT: rc = post_select(s, t, &out, err); break;
    case DUSK_PLAN_RESET_INDEX: rc = post_reset_index(s, t, &out, err); break;
    case DUSK_PLAN_SET_INDEX: rc = post_set_index(s, t, &out, err); break;
    case DUSK_PLAN_RENAME:
      post_rename(s, t);
      continue;
    default:
      return dusk_error_set(err, DUSK_EINVAL, "%s is not a post step",
                            dusk_plan_kind_name(s->kind));
    }
    if (rc != 0)
      return rc;
    dusk_table_free(t);
    *result = out;
  }
  return 0;
}
