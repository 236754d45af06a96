/* check_plan.c - logical plans and query expressions: constructors, deep
 * copies, readable expressions and the checked wire decoding.
 *
 * Every sample plan (one or more of each kind, a realistic nested query and
 * a plan at the depth limit) goes encode -> decode and is compared field by
 * field with a deep-equality helper that names the first difference; every
 * expression kind with every operator and every kind of literal does the
 * same.  Every proper prefix of every encoding is refused cleanly.
 * Malformed inputs are crafted with msgpack-c's packer, one case per kind
 * of malformation, each checked for its code and for a message that names
 * the node and the field. */
#include "plan.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dusk_slice sl(const void *p, size_t n) {
  dusk_slice s;
  s.ptr = p;
  s.len = n;
  return s;
}

/* ---- deep equality ---------------------------------------------------------
 * Each helper returns NULL when equal, else the name of the first field
 * that differs, so a failure says where to look. */

static bool str_eq(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

static bool strv_eq(char *const *a, size_t na, char *const *b, size_t nb) {
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (!str_eq(a[i], b[i]))
      return false;
  return true;
}

static bool value_eq(const dusk_value *a, const dusk_value *b) {
  if (a->type != b->type)
    return false;
  switch (a->type) {
  case DUSK_TYPE_NULL: return true;
  case DUSK_TYPE_BOOL: return a->u.b == b->u.b;
  case DUSK_TYPE_INT64: return a->u.i == b->u.i;
  case DUSK_TYPE_FLOAT64: /* bit for bit: -0.0 and NaN included */
    return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
  case DUSK_TYPE_STRING:
    return a->u.s.len == b->u.s.len &&
           (a->u.s.len == 0 || memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0);
  case DUSK_TYPE_DATETIME: /* logical types are stored as int64 */
  case DUSK_TYPE_TIMEDELTA:
  case DUSK_TYPE_DATE:
    break;
  }
  return false;
}

static const char *expr_diff(const dusk_expr *a, const dusk_expr *b) {
  const char *d;
  if (a == NULL || b == NULL)
    return a == b ? NULL : "expr presence";
  if (a->kind != b->kind)
    return "expr kind";
  if (a->op != b->op)
    return "expr op";
  if (!str_eq(a->name, b->name))
    return "expr name";
  if (!value_eq(&a->value, &b->value))
    return "expr value";
  if ((d = expr_diff(a->a, b->a)) != NULL)
    return d;
  return expr_diff(a->b, b->b);
}

static const char *plan_diff(const dusk_plan *a, const dusk_plan *b) {
  const char *d;
  if (a == NULL || b == NULL)
    return a == b ? NULL : "plan presence";
  if (a->kind != b->kind)
    return "kind";
  if (a->ninputs != b->ninputs)
    return "ninputs";
  if (!strv_eq(a->paths, a->npaths, b->paths, b->npaths))
    return "paths";
  if (a->csv.sep != b->csv.sep)
    return "csv.sep";
  if (a->csv.blocksize != b->csv.blocksize)
    return "csv.blocksize";
  if (a->csv.anon != b->csv.anon)
    return "csv.anon";
  if (a->split_out != b->split_out)
    return "split_out";
  if (!str_eq(a->csv.persisted, b->csv.persisted) ||
      a->csv.persisted_leaf != b->csv.persisted_leaf)
    return "csv.persisted";
  if ((a->csv.usecols == NULL) != (b->csv.usecols == NULL) ||
      !strv_eq(a->csv.usecols, a->csv.nusecols, b->csv.usecols,
               b->csv.nusecols))
    return "csv.usecols";
  if (a->csv.ndtypes != b->csv.ndtypes)
    return "csv.ndtypes";
  for (size_t i = 0; i < a->csv.ndtypes; i++)
    if (!str_eq(a->csv.dtypes[i].column, b->csv.dtypes[i].column) ||
        a->csv.dtypes[i].type != b->csv.dtypes[i].type ||
        a->csv.dtypes[i].no_na != b->csv.dtypes[i].no_na ||
        a->csv.dtypes[i].masked != b->csv.dtypes[i].masked)
      return "csv.dtypes";
  if (a->nfills != b->nfills)
    return "nfills";
  for (size_t i = 0; i < a->nfills; i++)
    if (!str_eq(a->fills[i].column, b->fills[i].column) ||
        !value_eq(&a->fills[i].value, &b->fills[i].value))
      return "fills";
  if (a->nmixed != b->nmixed)
    return "nmixed";
  for (size_t i = 0; i < a->nmixed; i++)
    if (!str_eq(a->mixed[i], b->mixed[i]))
      return "mixed";
  if ((d = expr_diff(a->expr, b->expr)) != NULL)
    return d;
  if (!str_eq(a->expr_text, b->expr_text))
    return "expr_text";
  if (!strv_eq(a->columns, a->ncolumns, b->columns, b->ncolumns))
    return "columns";
  if (a->naggs != b->naggs)
    return "naggs";
  for (size_t i = 0; i < a->naggs; i++)
    if (!str_eq(a->aggs[i].column, b->aggs[i].column) ||
        a->aggs[i].fn != b->aggs[i].fn ||
        !str_eq(a->aggs[i].label, b->aggs[i].label) ||
        ((a->aggs[i].label || a->aggs[i].fn == DUSK_AGG_QUANTILE) &&
         a->aggs[i].q != b->aggs[i].q))
      return "aggs";
  if (a->n != b->n)
    return "n";
  if (!str_eq(a->dir, b->dir))
    return "dir";
  if (a->nascending != b->nascending ||
      (a->nascending > 0 &&
       memcmp(a->ascending, b->ascending, a->nascending) != 0))
    return "ascending";
  if (a->nqs != b->nqs ||
      (a->nqs > 0 && memcmp(a->qs, b->qs, a->nqs * sizeof *a->qs) != 0) ||
      a->median != b->median)
    return "quantiles";
  if (a->keep_na != b->keep_na || a->group_keep_na != b->group_keep_na)
    return "keep_na";
  if (a->flat != b->flat)
    return "flat";
  if (a->frac != b->frac || a->seed != b->seed)
    return "sample";
  if (a->normalize != b->normalize ||
      a->describe_counts != b->describe_counts || a->masked != b->masked)
    return "value_counts output";
  if (a->frame_reduce != b->frame_reduce)
    return "frame_reduce";
  if (a->drop != b->drop || a->how_all != b->how_all)
    return "drop / how";
  for (size_t i = 0; a->renamed != NULL && i < a->ncolumns; i++)
    if (b->renamed == NULL || !str_eq(a->renamed[i], b->renamed[i]))
      return "renamed";
  if (a->nparts != b->nparts || a->ndivisions != b->ndivisions ||
      a->divisions_only != b->divisions_only)
    return "range partitions";
  for (size_t i = 0; i < a->ndivisions; i++)
    if (a->divisions[i].type != b->divisions[i].type ||
        (a->divisions[i].type == DUSK_TYPE_STRING
             ? a->divisions[i].u.s.len != b->divisions[i].u.s.len ||
                   memcmp(a->divisions[i].u.s.ptr, b->divisions[i].u.s.ptr,
                          a->divisions[i].u.s.len) != 0
             : memcmp(&a->divisions[i].u, &b->divisions[i].u,
                      sizeof a->divisions[i].u) != 0))
      return "divisions";
  if (a->how != b->how || a->strategy != b->strategy || !str_eq(a->suffixes[0], b->suffixes[0]) ||
      !str_eq(a->suffixes[1], b->suffixes[1]))
    return "merge how / suffixes";
  for (size_t i = 0; a->right_on != NULL && i < a->ncolumns; i++)
    if (b->right_on == NULL || !str_eq(a->right_on[i], b->right_on[i]))
      return "right_on";
  for (size_t i = 0; i < a->ninputs; i++)
    if ((d = plan_diff(a->inputs[i], b->inputs[i])) != NULL)
      return d;
  return NULL;
}

/* ---- samples ------------------------------------------------------------- */

static dusk_plan *leaf(const char *path) {
  const char *paths[1];
  paths[0] = path;
  return dusk_plan_read_csv(paths, 1, NULL);
}

static dusk_expr *col(const char *name) { return dusk_expr_column(name); }
static dusk_expr *lit(dusk_value v) { return dusk_expr_literal(v); }
static dusk_expr *cmp(int op, dusk_expr *a, dusk_expr *b) {
  return dusk_expr_node(DUSK_EXPR_COMPARE, op, a, b);
}
static dusk_expr *arith(int op, dusk_expr *a, dusk_expr *b) {
  return dusk_expr_node(DUSK_EXPR_ARITH, op, a, b);
}
static dusk_expr *and_(dusk_expr *a, dusk_expr *b) {
  return dusk_expr_node(DUSK_EXPR_AND, 0, a, b);
}
static dusk_expr *or_(dusk_expr *a, dusk_expr *b) {
  return dusk_expr_node(DUSK_EXPR_OR, 0, a, b);
}
static dusk_expr *unary(dusk_expr_kind k, dusk_expr *a) {
  return dusk_expr_node(k, 0, a, NULL);
}

/* (PULocationID > 200) and (SR_Flag == 1) */
static dusk_expr *taxi_expr(void) {
  return and_(cmp(DUSK_CMP_GT, col("PULocationID"), lit(tu_int(200))),
              cmp(DUSK_CMP_EQ, col("SR_Flag"), lit(tu_int(1))));
}

/* A chain: `depth - 1` unary nodes over a column, alternating kinds. */
static dusk_expr *deep_expr(int depth) {
  dusk_expr *e = col("x");
  static const dusk_expr_kind kinds[] = {DUSK_EXPR_NOT, DUSK_EXPR_ISNULL,
                                         DUSK_EXPR_NOTNULL};
  for (int i = 1; i < depth; i++)
    e = unary(kinds[i % 3], e);
  return e;
}

/* A plan whose longest path from the root has `depth` nodes: a query node
 * carrying an expression of depth `edepth`, head nodes, a read_csv leaf. */
static dusk_plan *deep_plan(int depth, int edepth) {
  dusk_plan *p = leaf("deep.csv");
  if (depth >= 2)
    p = dusk_plan_query(p, deep_expr(edepth), "deep");
  for (int i = 3; i <= depth; i++)
    p = dusk_plan_head(p, i);
  return p;
}

/* groupby(query(fillna(concat([read_csv(["a.csv", "b*.csv"], opts),
 * read_csv(["c.csv"])]), {SR_Flag: 0}), expr), ["PULocationID"],
 * [{NULL, count}]) */
static dusk_plan *realistic_plan(void) {
  const char *paths[] = {"a.csv", "b*.csv"};
  const char *usecols[] = {"PULocationID", "SR_Flag", "hvfhs_license_num"};
  dusk_dtype dtypes[] = {{"SR_Flag", DUSK_TYPE_FLOAT64, false, false},
                         {"PULocationID", DUSK_TYPE_INT64, false, false},
                         {"hvfhs_license_num", DUSK_TYPE_STRING, false, false}};
  dusk_csv_options o;
  dusk_plan *ins[2];
  dusk_fill fill;
  const char *keys[] = {"PULocationID"};
  dusk_agg agg = {0};

  memset(&o, 0, sizeof o);
  o.sep = '|';
  o.blocksize = 64 << 20;
  o.usecols = (char **)usecols;
  o.nusecols = 3;
  o.dtypes = dtypes;
  o.ndtypes = 3;
  ins[0] = dusk_plan_read_csv(paths, 2, &o);
  ins[1] = leaf("c.csv");
  fill.column = "SR_Flag";
  fill.value = tu_int(0);
  agg.column = NULL;
  agg.fn = DUSK_AGG_COUNT;
  return dusk_plan_groupby(
      dusk_plan_query(dusk_plan_fillna(dusk_plan_concat(ins, 2), &fill, 1),
                      taxi_expr(), "PULocationID > 200 and SR_Flag == 1"),
      keys, 1, &agg, 1);
}

#define NSAMPLES 37

/* describe over listed columns, as the scheduler lists them. */
static dusk_plan *plan_describe_cols(dusk_plan *in, const char *const *cols,
                                     size_t n) {
  dusk_plan *p = dusk_plan_describe(in);
  p->columns = calloc(n, sizeof *p->columns);
  for (size_t i = 0; i < n; i++)
    p->columns[i] = strdup(cols[i]);
  p->ncolumns = n;
  return p;
}

static dusk_plan *sample_plan(int i) {
  switch (i) {
  case 0: return leaf("x.csv");
  case 1: {
    const char *paths[] = {"a.csv", "b*.csv", "/data/\303\274ber.csv"};
    const char *usecols[] = {"a", "b", "c d"};
    /* numpy's bool and int64 (no missing value) and pandas' Int64 */
    dusk_dtype dt[] = {{"a", DUSK_TYPE_BOOL, true, false},
                       {"b", DUSK_TYPE_INT64, true, false},
                       {"c d", DUSK_TYPE_FLOAT64, false, false},
                       {"e", DUSK_TYPE_STRING, false, false},
                       {"f", DUSK_TYPE_INT64, false, false}};
    dusk_csv_options o;
    memset(&o, 0, sizeof o);
    o.sep = '\t';
    o.blocksize = INT64_MAX;
    o.usecols = (char **)usecols;
    o.nusecols = 3;
    o.dtypes = dt;
    o.ndtypes = 5;
    o.anon = true; /* the optional storage options */
    return dusk_plan_read_csv(paths, 3, &o);
  }
  case 2: {
    dusk_plan *ins[3] = {leaf("1.csv"), leaf("2.csv"), leaf("3.csv")};
    return dusk_plan_concat(ins, 3);
  }
  case 3: {
    dusk_fill f = {NULL, {DUSK_TYPE_INT64, {.i = 0}}};
    return dusk_plan_fillna(leaf("f.csv"), &f, 1);
  }
  case 4: {
    dusk_fill f[4] = {{"a", tu_float(1.5)},
                      {"b", tu_str("x\"y")},
                      {"c", tu_bool(true)},
                      {"d", tu_int(-7)}};
    return dusk_plan_fillna(leaf("f.csv"), f, 4);
  }
  case 5:
    return dusk_plan_query(leaf("q.csv"), taxi_expr(),
                           "PULocationID > 200 and SR_Flag == 1");
  case 6:
    return dusk_plan_query(
        leaf("q.csv"),
        or_(unary(DUSK_EXPR_ISNULL, col("a")),
            cmp(DUSK_CMP_LE, arith(DUSK_ARITH_MUL, col("b"), lit(tu_float(2))),
                lit(tu_str("z")))),
        NULL);
  case 7: {
    const char *cols[] = {"a", "b"};
    return dusk_plan_select(leaf("s.csv"), cols, 2);
  }
  case 8: {
    const char *keys[] = {"k1", "k2"};
    dusk_agg aggs[] = {
        {"v", DUSK_AGG_COUNT, 0, NULL},   {"v", DUSK_AGG_SIZE, 0, NULL},
        {"v", DUSK_AGG_SUM, 0, NULL},     {"w", DUSK_AGG_MEAN, 0, NULL},
        {"w", DUSK_AGG_MIN, 0, NULL},     {"w", DUSK_AGG_MAX, 0, NULL},
        {"x", DUSK_AGG_NUNIQUE, 0, NULL}, {NULL, DUSK_AGG_COUNT, 0, NULL},
        {"w", DUSK_AGG_FIRST, 0, NULL},   {"x", DUSK_AGG_LAST, 0, NULL},
        {"w", DUSK_AGG_MEDIAN, 0, NULL},  {"w", DUSK_AGG_QUANTILE, 0.25, NULL}};
    dusk_plan *g = dusk_plan_groupby(leaf("g.csv"), keys, 2, aggs, 12);
    if (g != NULL)
      g->keep_na = rand() % 2; /* groupby(dropna=False) half the time */
    return g;
  }
  case 9: {
    dusk_plan *v = dusk_plan_value_counts(leaf("v.csv"), "PULocationID");
    if (v != NULL)
      v->keep_na = rand() % 2;
    return v;
  }
  case 10: return dusk_plan_head(leaf("h.csv"), 0);
  case 11: return dusk_plan_head(leaf("h.csv"), INT64_MAX);
  case 12: return dusk_plan_len(leaf("l.csv"));
  case 13: {
    /* pandas' percentiles, or its own (the optional field) */
    const double qs[] = {0.1, 0.5, 1.0 / 3, 1};
    return rand() % 2 ? dusk_plan_describe(leaf("d.csv"))
                      : dusk_plan_describe_percentiles(leaf("d.csv"), qs, 4);
  }
  case 14: {
    /* with or without the int columns the user typed (optional field) */
    dusk_plan *t = dusk_plan_to_csv(leaf("t.csv"), "/tmp/out dir");
    if (t != NULL && rand() % 2) {
      t->columns = calloc(3, sizeof *t->columns);
      t->columns[0] = strdup("x");
      t->columns[1] = strdup("y y");
      t->ncolumns = 2;
    }
    return t;
  }
  case 15: return realistic_plan();
  case 16: return deep_plan(64, 64);
  case 17: {
    /* A wide concat of small subtrees. */
    dusk_plan *ins[40];
    char path[32];
    for (int k = 0; k < 40; k++) {
      snprintf(path, sizeof path, "part-%d.csv", k);
      ins[k] = dusk_plan_head(leaf(path), k);
    }
    return dusk_plan_len(dusk_plan_concat(ins, 40));
  }
  case 18: {
    /* Every kind in one tree. */
    const char *cols[] = {"a", "b"};
    dusk_plan *ins[2];
    dusk_fill f = {"a", tu_float(-0.0)};
    ins[0] = dusk_plan_select(
        dusk_plan_query(dusk_plan_fillna(leaf("e1.csv"), &f, 1), taxi_expr(),
                        "q"),
        cols, 2);
    ins[1] = dusk_plan_head(leaf("e2.csv"), 5);
    return dusk_plan_to_csv(dusk_plan_describe(dusk_plan_concat(ins, 2)),
                            "out");
  }
  case 19: {
    /* A resolved read that needs no column (len()): usecols is an empty
     * non-NULL array, which is not the NULL of "every column". */
    const char *paths[] = {"n.csv"};
    char *none[1] = {NULL};
    dusk_csv_options o;
    memset(&o, 0, sizeof o);
    o.usecols = none;
    o.nusecols = 0;
    return dusk_plan_len(dusk_plan_read_csv(paths, 1, &o));
  }
  case 20: {
    /* A fill the scheduler resolved: the columns it mixes (plan.h). */
    dusk_fill f = {NULL, tu_str("N")};
    dusk_plan *p = dusk_plan_fillna(leaf("m.csv"), &f, 1);
    if (p != NULL) {
      p->mixed = calloc(2, sizeof *p->mixed);
      p->mixed[0] = strdup("SR_Flag");
      p->mixed[1] = strdup("x y");
      p->nmixed = 2;
    }
    return p;
  }
  case 21: {
    /* Post steps on a groupby: sort by two columns, head, tail. */
    const char *keys[] = {"k"}, *by[] = {"x", "y"};
    dusk_agg aggs[] = {{"x", DUSK_AGG_SUM, 0, NULL}, {"y", DUSK_AGG_MEAN, 0, NULL}};
    const uint8_t asc[] = {1, 0};
    return dusk_plan_tail(
        dusk_plan_head(dusk_plan_sort_values(dusk_plan_groupby(leaf("p.csv"),
                                                               keys, 1, aggs,
                                                               2),
                                             by, 2, asc, 2),
                       10),
        3);
  }
  case 25: {
    /* Exact quantiles of two columns after a filter. */
    const char *cols[] = {"x", "t"};
    const double qs[] = {0, 0.25, 1.0 / 3, 1};
    return dusk_plan_quantile(dusk_plan_query(leaf("q.csv"), taxi_expr(), "q"),
                              cols, 2, qs, 4);
  }
  case 26: {
    /* median() of every number column; describe with its columns listed. */
    const char *cols[] = {"a", "b"};
    return rand() % 2 ? dusk_plan_median(leaf("m.csv"), NULL, 0)
                      : plan_describe_cols(leaf("m.csv"), cols, 2);
  }
  case 30: {
    /* Labelled aggregates, then every post step on the result. */
    const char *keys[] = {"k"}, *old[] = {"total"}, *renamed[] = {"sum"};
    const char *sel[] = {"sum", "r"};
    dusk_agg aggs[] = {{"x", DUSK_AGG_SUM, 0.5, "total"},
                       {"y", DUSK_AGG_QUANTILE, 0.75, "y\x1fq75"},
                       {"y", DUSK_AGG_MAX, 0.5, NULL}};
    dusk_plan *g = dusk_plan_groupby(leaf("p.csv"), keys, 1, aggs, 3);
    g = dusk_plan_query(g, tu_cmp(DUSK_CMP_GT, tu_col("total"),
                                  tu_lit_int(1)),
                        "total > 1");
    g = dusk_plan_assign(g, "r", tu_col("total"), "total");
    g = dusk_plan_rename(g, old, renamed, 1);
    g = dusk_plan_select(g, sel, 2);
    return dusk_plan_reset_index(g, rand() % 2 ? "n" : NULL, rand() % 2);
  }
  case 31: {
    /* A frame's rename and dropna; value_counts normalized or as a
     * describe, or in split_out parts. */
    const char *cols[] = {"a", "b"}, *renamed[] = {"b", "a"};
    dusk_plan *v = dusk_plan_value_counts(
        dusk_plan_dropna(dusk_plan_rename(leaf("r.csv"), cols, renamed, 2),
                         cols, rand() % 3, rand() % 2),
        "a");
    if (v != NULL) {
      v->normalize = rand() % 2;
      v->describe_counts = !v->normalize && rand() % 2;
      /* Dask's split_out, on the wire after the output */
      v->split_out = v->describe_counts || rand() % 2 ? 0 : 2 + rand() % 9;
    }
    return v;
  }
  case 33: {
    /* groupby(keys)[col].value_counts(): the counted column, then the
     * keys; its two dropna= flags, normalize= and as_index= */
    const char *keys[] = {"k1", "k2"};
    dusk_plan *v = dusk_plan_group_value_counts(leaf("g.csv"), "v", keys,
                                                1 + rand() % 2);
    if (v != NULL) {
      v->keep_na = rand() % 2;
      v->group_keep_na = rand() % 2;
      v->normalize = rand() % 2;
      v->flat = rand() % 2;
      /* Dask's split_out, an optional last field (not with flat) */
      v->split_out = v->flat || rand() % 2 ? 0 : 2 + rand() % 9;
    }
    return v;
  }
  case 34: {
    /* A merge of a query over a selection, one or two key pairs, its
     * suffixes; as the scheduler leaves it, the right's columns, their
     * types and merged names ("" for a key kept once). */
    static const char *const lk[] = {"k", "a"}, *rk[] = {"k", "b"},
                             *sfx[] = {"_l", ""};
    const char *sel[] = {"k", "b", "w"};
    dusk_plan *m = dusk_plan_merge(
        dusk_plan_query(leaf("l.csv"),
                        tu_cmp(DUSK_CMP_GT, tu_col("x"), tu_lit_int(1)),
                        "x > 1"),
        dusk_plan_select(leaf("r.csv"), sel, 3),
        rand() % 2 ? DUSK_MERGE_LEFT : DUSK_MERGE_INNER, lk, rk,
        1 + (size_t)(rand() % 2), rand() % 2 ? sfx : NULL);
    if (m != NULL) /* auto, broadcast, shuffle or a join's */
      m->strategy = rand() % 4;
    if (m == NULL || rand() % 2)
      return m;
    m->csv.dtypes = calloc(2, sizeof *m->csv.dtypes);
    m->csv.usecols = calloc(2, sizeof *m->csv.usecols);
    m->csv.dtypes[0].column = strdup("k");
    m->csv.dtypes[0].type = DUSK_TYPE_INT64;
    m->csv.dtypes[1].column = strdup("w");
    m->csv.dtypes[1].type = DUSK_TYPE_DATETIME;
    m->csv.usecols[0] = strdup("");
    m->csv.usecols[1] = strdup("w_y");
    m->csv.ndtypes = m->csv.nusecols = 2;
    return m;
  }
  case 32: {
    /* A scan's concat step: the concat's columns in order, and those its
     * input lacks with their types (plan.h). */
    static const char *const cols[] = {"b", "a", "t", "f"};
    dusk_plan *in = leaf("c.csv");
    dusk_plan *c = dusk_plan_concat(&in, 1);
    if (c == NULL)
      return NULL;
    c->columns = calloc(4, sizeof *c->columns);
    c->csv.dtypes = calloc(2, sizeof *c->csv.dtypes);
    for (size_t k = 0; k < 4; k++)
      c->columns[k] = strdup(cols[k]);
    c->ncolumns = 4;
    c->csv.dtypes[0].column = strdup("t");
    c->csv.dtypes[0].type = DUSK_TYPE_DATETIME;
    c->csv.dtypes[1].column = strdup("f");
    c->csv.dtypes[1].type = rand() % 2 ? DUSK_TYPE_BOOL : DUSK_TYPE_STRING;
    c->csv.ndtypes = 2;
    return c;
  }
  case 36: {
    /* a groupby in split_out parts, then a step on its result */
    const char *keys[] = {"k", "name"};
    dusk_agg agg = {NULL, DUSK_AGG_SUM, 0, NULL};
    dusk_plan *g = dusk_plan_groupby(leaf("g.csv"), keys, 2, &agg, 1);
    if (g == NULL)
      return NULL;
    g->split_out = 7;
    return dusk_plan_head(g, 3);
  }
  case 35: {
    /* persist of a concat whose reads are persisted (by pre-order
     * ordinal), one of them an anonymous S3 read too. */
    dusk_plan *ins[2] = {leaf("p.csv"), leaf("s3://b/q.csv")};
    dusk_plan *c;
    ins[1]->csv.anon = rand() % 2;
    c = dusk_plan_concat(ins, 2);
    if (c == NULL || dusk_plan_mark_persisted(c, "query-12") != 0)
      return NULL;
    return dusk_plan_persist(c);
  }
  case 29:
    /* A sample under a filter, its seed the full 64 bits. */
    return dusk_plan_head(
        dusk_plan_sample(
            dusk_plan_query(leaf("s.csv"),
                            tu_cmp(DUSK_CMP_GT, tu_col("x"), tu_lit_int(1)),
                            "x > 1"),
            0.25, UINT64_MAX - 5),
        7);
  case 28: {
    /* drop_duplicates over two columns, or over whole rows. */
    const char *cols[] = {"k", "name"};
    return dusk_plan_drop_duplicates(leaf("d.csv"), cols, rand() % 2 ? 2 : 0);
  }
  case 27: {
    /* A whole frame's top-k: nlargest over two columns, or its tail. */
    const char *by[] = {"x", "name"};
    const uint8_t asc[] = {0, 1};
    return rand() % 2 ? dusk_plan_topk(leaf("k.csv"), by, 2, asc, 7)
                      : dusk_plan_tail(leaf("k.csv"), 3);
  }
  case 24: {
    /* Datetimes: a parse_dates dtype, .dt fields and abs. */
    const char *paths[] = {"d.csv"};
    dusk_dtype dt[] = {{"t", DUSK_TYPE_DATETIME, false, false},
                       {"d", DUSK_TYPE_TIMEDELTA, false, false}};
    dusk_csv_options o;
    memset(&o, 0, sizeof o);
    o.dtypes = dt;
    o.ndtypes = 2;
    return dusk_plan_assign(
        dusk_plan_read_csv(paths, 1, &o), "h",
        dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_ABS,
                       dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_HOUR,
                                      dusk_expr_column("t"), NULL),
                       NULL),
        "abs(t.dt.hour)");
  }
  case 23:
    /* Derived columns, one replacing a column, then a filter on them. */
    return dusk_plan_query(
        dusk_plan_assign(dusk_plan_assign(leaf("a.csv"), "trip", taxi_expr(),
                                          "trip text"),
                         "PULocationID", taxi_expr(), NULL),
        taxi_expr(), "q");
  case 22: {
    /* A Series-shaped result sorted by its values (no by). */
    const uint8_t desc[] = {0};
    return dusk_plan_sort_values(dusk_plan_value_counts(leaf("v.csv"), "c"),
                                 NULL, 0, desc, 1);
  }
  }
  return NULL;
}

static char *encode_plan(const dusk_plan *p, size_t *len) {
  dusk_buf b;
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_plan_encode(p, &b), 0);
  return dusk_buf_steal(&b, len);
}

static char *encode_expr(const dusk_expr *e, size_t *len) {
  dusk_buf b;
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_expr_encode(e, &b), 0);
  return dusk_buf_steal(&b, len);
}

/* encode -> decode -> compare -> encode again gives the same bytes. */
static void plan_roundtrip(const dusk_plan *p) {
  size_t len, len2;
  char *bytes = encode_plan(p, &len), *again;
  dusk_plan *q = NULL;
  dusk_error err;
  const char *d;
  int rc = dusk_plan_decode(sl(bytes, len), &q, &err);
  ck_assert_msg(rc == 0, "decode: %d %s", rc, err.message);
  d = plan_diff(p, q);
  ck_assert_msg(d == NULL, "decoded plan differs in %s", d);
  again = encode_plan(q, &len2);
  ck_assert_uint_eq(len, len2);
  ck_assert_mem_eq(bytes, again, len);
  free(again);
  free(bytes);
  dusk_plan_free(q);
}

static void expr_roundtrip(const dusk_expr *e) {
  size_t len;
  char *bytes = encode_expr(e, &len);
  dusk_expr *f = NULL;
  dusk_error err;
  const char *d;
  int rc = dusk_expr_decode(sl(bytes, len), &f, &err);
  ck_assert_msg(rc == 0, "decode: %d %s", rc, err.message);
  d = expr_diff(e, f);
  ck_assert_msg(d == NULL, "decoded expression differs in %s", d);
  free(bytes);
  dusk_expr_free(f);
}

/* ---- types and names ----------------------------------------------------- */

START_TEST(test_type_names) {
  static const struct {
    const char *name;
    dusk_type t;
  } cases[] = {
      {"bool", DUSK_TYPE_BOOL},       {"boolean", DUSK_TYPE_BOOL},
      {"int", DUSK_TYPE_INT64},       {"int64", DUSK_TYPE_INT64},
      {"Int64", DUSK_TYPE_INT64},     {"int32", DUSK_TYPE_INT64},
      {"integer", DUSK_TYPE_INT64},   {"float", DUSK_TYPE_FLOAT64},
      {"float64", DUSK_TYPE_FLOAT64}, {"Float64", DUSK_TYPE_FLOAT64},
      {"double", DUSK_TYPE_FLOAT64},  {"float32", DUSK_TYPE_FLOAT64},
      {"str", DUSK_TYPE_STRING},      {"string", DUSK_TYPE_STRING},
      {"object", DUSK_TYPE_STRING},   {"", DUSK_TYPE_NULL},
      {"null", DUSK_TYPE_NULL},       {"decimal", DUSK_TYPE_NULL},
      {"INT64", DUSK_TYPE_NULL},      {"int6", DUSK_TYPE_NULL},
      {"int644", DUSK_TYPE_NULL},     {"datetime64", DUSK_TYPE_DATETIME},
      {"datetime64[ns]", DUSK_TYPE_DATETIME},
      {"timedelta64[ns]", DUSK_TYPE_TIMEDELTA},
      {"datetime64[ms]", DUSK_TYPE_NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    ck_assert_msg(dusk_type_parse(cases[i].name, strlen(cases[i].name)) ==
                      cases[i].t,
                  "parse '%s'", cases[i].name);
  /* Length-delimited, not NUL-terminated. */
  ck_assert_int_eq(dusk_type_parse("int64xyz", 5), DUSK_TYPE_INT64);
  ck_assert_int_eq(dusk_type_parse("int64xyz", 4), DUSK_TYPE_NULL);
  ck_assert_int_eq(dusk_type_parse("int64xyz", 3), DUSK_TYPE_INT64);
  ck_assert_int_eq(dusk_type_parse(NULL, 0), DUSK_TYPE_NULL);

  ck_assert_str_eq(dusk_type_name(DUSK_TYPE_NULL), "null");
  ck_assert_str_eq(dusk_type_name(DUSK_TYPE_BOOL), "bool");
  ck_assert_str_eq(dusk_type_name(DUSK_TYPE_INT64), "int64");
  ck_assert_str_eq(dusk_type_name(DUSK_TYPE_FLOAT64), "float64");
  ck_assert_str_eq(dusk_type_name(DUSK_TYPE_STRING), "string");
  ck_assert_str_eq(dusk_type_name((dusk_type)99), "unknown");
  /* Every name parses back to its type. */
  for (int t = DUSK_TYPE_BOOL; t <= DUSK_TYPE_STRING; t++) {
    const char *n = dusk_type_name((dusk_type)t);
    ck_assert_int_eq(dusk_type_parse(n, strlen(n)), t);
  }
}
END_TEST

START_TEST(test_type_common) {
  enum {
    N = DUSK_TYPE_NULL,
    B = DUSK_TYPE_BOOL,
    I = DUSK_TYPE_INT64,
    F = DUSK_TYPE_FLOAT64,
    S = DUSK_TYPE_STRING
  };
  /* want[a][b] */
  static const int want[5][5] = {
      /*        N  B  I  F  S */
      /* N */ {N, B, I, F, S},
      /* B */ {B, B, S, S, S},
      /* I */ {I, S, I, F, S},
      /* F */ {F, S, F, F, S},
      /* S */ {S, S, S, S, S},
  };
  for (int a = 0; a < 5; a++)
    for (int b = 0; b < 5; b++)
      ck_assert_msg(dusk_type_common((dusk_type)a, (dusk_type)b) ==
                        (dusk_type)want[a][b],
                    "common(%d, %d)", a, b);
}
END_TEST

START_TEST(test_agg_names) {
  static const char *const names[] = {"count", "size", "sum",   "mean",
                                      "min",   "max",  "nunique", "std",
                                      "var",   "first", "last",
                                      "median", "quantile"};
  for (int i = 0; i < 13; i++) {
    ck_assert_str_eq(dusk_agg_name((dusk_agg_fn)(i + 1)), names[i]);
    ck_assert_int_eq(dusk_agg_parse(names[i], strlen(names[i])), i + 1);
  }
  ck_assert_int_eq(dusk_agg_parse("medians", 7), 0);
  ck_assert_int_eq(dusk_agg_parse("", 0), 0);
  ck_assert_int_eq(dusk_agg_parse("counts", 6), 0);
  ck_assert_int_eq(dusk_agg_parse("counts", 5), DUSK_AGG_COUNT);
  ck_assert_int_eq(dusk_agg_parse(NULL, 0), 0);
  ck_assert_str_eq(dusk_agg_name((dusk_agg_fn)0), "unknown");
  ck_assert_str_eq(dusk_agg_name((dusk_agg_fn)14), "unknown");
}
END_TEST

/* The one list of steps that end a plan chain. */
START_TEST(test_terminal_kinds) {
  static const struct {
    dusk_plan_kind kind;
    const char *name;
    bool terminal;
  } kinds[] = {
      {DUSK_PLAN_READ_CSV, "read_csv", false},
      {DUSK_PLAN_CONCAT, "concat", false},
      {DUSK_PLAN_FILLNA, "fillna", false},
      {DUSK_PLAN_QUERY, "query", false},
      {DUSK_PLAN_SELECT, "select", false},
      {DUSK_PLAN_GROUPBY, "groupby", true},
      {DUSK_PLAN_VALUE_COUNTS, "value_counts", true},
      {DUSK_PLAN_HEAD, "head", true},
      {DUSK_PLAN_LEN, "len", true},
      {DUSK_PLAN_DESCRIBE, "describe", true},
      {DUSK_PLAN_TO_CSV, "to_csv", true},
      {DUSK_PLAN_SORT_VALUES, "sort_values", true},
      {DUSK_PLAN_TAIL, "tail", true},
      {DUSK_PLAN_ASSIGN, "assign", false},
      {DUSK_PLAN_QUANTILE, "quantile", true},
      {DUSK_PLAN_TOPK, "topk", true},
      {DUSK_PLAN_DROP_DUPLICATES, "drop_duplicates", true},
      {DUSK_PLAN_SAMPLE, "sample", false},
      {DUSK_PLAN_RESET_INDEX, "reset_index", false},
      {DUSK_PLAN_RENAME, "rename", false},
      {DUSK_PLAN_DROPNA, "dropna", false},
      {DUSK_PLAN_MERGE, "merge", false},
      {DUSK_PLAN_PERSIST, "persist", true},
      {DUSK_PLAN_SET_INDEX, "set_index", false},
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    ck_assert_str_eq(dusk_plan_kind_name(kinds[i].kind), kinds[i].name);
    ck_assert_msg(dusk_plan_is_terminal(kinds[i].kind) == kinds[i].terminal,
                  "%s", kinds[i].name);
  }
  ck_assert(!dusk_plan_is_terminal((dusk_plan_kind)0));
  ck_assert(!dusk_plan_is_terminal((dusk_plan_kind)25));
  ck_assert_str_eq(dusk_plan_kind_name((dusk_plan_kind)25), "unknown");
}
END_TEST

/* pandas' names after a merge: a right key named as its left key kept
 * once, other shared names suffixed, a clash refused. */
START_TEST(test_merge_names) {
  static const char *const left[] = {"k", "v", "s", "LocationID"},
                           *right[] = {"k", "w", "v", "LocationID"};
  static const char *const lk[] = {"k"}, *rk[] = {"k"}, *lk2[] = {"s"},
                           *rk2[] = {"w"};
  char *lo[4], *ro[4];
  dusk_error err;
  dusk_plan *m = dusk_plan_merge(leaf("a"), leaf("b"), DUSK_MERGE_INNER, lk,
                                 rk, 1, NULL);
  ck_assert_int_eq(dusk_merge_names(m, left, 4, right, 4, lo, ro, &err), 0);
  ck_assert_str_eq(lo[0], "k");
  ck_assert_str_eq(lo[1], "v_x");
  ck_assert_str_eq(lo[2], "s");
  ck_assert_str_eq(lo[3], "LocationID_x");
  ck_assert_ptr_null(ro[0]);
  ck_assert_str_eq(ro[1], "w");
  ck_assert_str_eq(ro[2], "v_y");
  ck_assert_str_eq(ro[3], "LocationID_y");
  dusk_merge_names_free(lo, 4);
  dusk_merge_names_free(ro, 4);
  dusk_plan_free(m);
  /* left_on / right_on of other names: both keys kept, k suffixed */
  m = dusk_plan_merge(leaf("a"), leaf("b"), DUSK_MERGE_LEFT, lk2, rk2, 1,
                      NULL);
  ck_assert_int_eq(dusk_merge_names(m, left, 4, right, 4, lo, ro, &err), 0);
  ck_assert_str_eq(lo[0], "k_x");
  ck_assert_str_eq(ro[0], "k_y");
  ck_assert_str_eq(ro[1], "w");
  dusk_merge_names_free(lo, 4);
  dusk_merge_names_free(ro, 4);
  dusk_plan_free(m);
  {
    /* "v" + "_x" against a left "v_x": two columns of one name */
    static const char *const l2[] = {"k", "v", "v_x"}, *sfx[] = {"_x", ""};
    m = dusk_plan_merge(leaf("a"), leaf("b"), DUSK_MERGE_INNER, lk, rk, 1,
                        sfx);
    ck_assert_int_eq(dusk_merge_names(m, l2, 3, right, 4, lo, ro, &err),
                     DUSK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "two columns named 'v_x'"));
    dusk_plan_free(m);
  }
  ck_assert_ptr_null(dusk_plan_merge(leaf("a"), NULL, DUSK_MERGE_INNER, lk,
                                     rk, 1, NULL));
  ck_assert_ptr_null(dusk_plan_merge(leaf("a"), leaf("b"), 9, lk, rk, 1,
                                     NULL));
  ck_assert_int_eq(dusk_merge_how_parse("outer"), DUSK_MERGE_OUTER);
  ck_assert_int_eq(dusk_merge_how_parse("cross"), 0);
}
END_TEST

/* Which steps run on a computed result (plan.h: post steps). */
START_TEST(test_post_steps) {
  const char *keys[] = {"k"};
  dusk_agg aggs[] = {{NULL, DUSK_AGG_SIZE, 0, NULL}};
  const uint8_t asc[] = {1};
  dusk_plan *g = dusk_plan_groupby(leaf("a.csv"), keys, 1, aggs, 1);
  dusk_plan *top = dusk_plan_head(
      dusk_plan_sort_values(g, NULL, 0, asc, 1), 10);
  dusk_plan *rows = dusk_plan_head(leaf("b.csv"), 5);
  dusk_plan *sorted_rows = dusk_plan_sort_values(
      dusk_plan_head(leaf("c.csv"), 5), NULL, 0, asc, 1);
  ck_assert_ptr_nonnull(top);
  ck_assert(dusk_plan_is_post(top));
  ck_assert(dusk_plan_is_post(top->inputs[0]));
  ck_assert(!dusk_plan_is_post(g));
  ck_assert_ptr_eq(dusk_plan_result_root(top), g);
  ck_assert_ptr_eq(dusk_plan_result_root(g), g);
  /* head of rows is the terminal itself, not a post step. */
  ck_assert(!dusk_plan_is_post(rows));
  ck_assert_ptr_eq(dusk_plan_result_root(rows), rows);
  ck_assert(dusk_plan_takes_post(rows));
  ck_assert(dusk_plan_is_post(sorted_rows));
  ck_assert_ptr_eq(dusk_plan_result_root(sorted_rows),
                   sorted_rows->inputs[0]);
  {
    dusk_plan *l = leaf("d.csv");
    ck_assert(!dusk_plan_takes_post(l));
    ck_assert(!dusk_plan_is_post(l));
    dusk_plan_free(l);
  }
  {
    /* query, assign, select and rename are post steps over a result (and
     * take more), row steps over a frame; reset_index only ever post. */
    const char *cols[] = {"x"}, *nn[] = {"y"};
    dusk_agg sz[] = {{NULL, DUSK_AGG_SIZE, 0, NULL}};
    dusk_plan *r = dusk_plan_groupby(leaf("e.csv"), keys, 1, sz, 1);
    dusk_plan *q = dusk_plan_query(r, tu_lit_bool(true), "True");
    dusk_plan *a = dusk_plan_assign(q, "z", tu_lit_int(1), "1");
    dusk_plan *n = dusk_plan_rename(a, cols, nn, 1);
    dusk_plan *x = dusk_plan_reset_index(n, NULL, false);
    dusk_plan *frame = dusk_plan_rename(
        dusk_plan_query(leaf("f.csv"), tu_lit_bool(true), "True"), cols, nn,
        1);
    ck_assert(dusk_plan_is_post(q) && dusk_plan_takes_post(q));
    ck_assert(dusk_plan_is_post(a) && dusk_plan_is_post(n));
    ck_assert(dusk_plan_is_post(x) && dusk_plan_takes_post(x));
    ck_assert_ptr_eq(dusk_plan_result_root(x), r);
    ck_assert(!dusk_plan_is_post(frame) && !dusk_plan_takes_post(frame));
    ck_assert(!dusk_plan_is_post(frame->inputs[0]));
    dusk_plan_free(x);
    dusk_plan_free(frame);
  }
  {
    /* head(n) of a whole frame's sorted rows is a top-k, and so is tail
     * of a whole frame; a top-k is a result post steps may follow. */
    const char *by[] = {"x"};
    const uint8_t desc[] = {0};
    dusk_plan *k = dusk_plan_head(
        dusk_plan_sort_values(leaf("e.csv"), by, 1, desc, 1), 4);
    dusk_plan *t = dusk_plan_tail(leaf("f.csv"), 2);
    ck_assert_int_eq(k->kind, DUSK_PLAN_TOPK);
    ck_assert_int_eq(k->n, 4);
    ck_assert_int_eq(k->inputs[0]->kind, DUSK_PLAN_READ_CSV);
    ck_assert(dusk_plan_takes_post(k));
    ck_assert_int_eq(t->kind, DUSK_PLAN_TOPK);
    ck_assert_uint_eq(t->ncolumns, 0);
    ck_assert_int_eq(t->ascending[0], 0);
    dusk_plan_free(k);
    dusk_plan_free(t);
  }
  dusk_plan_free(top);
  dusk_plan_free(rows);
  dusk_plan_free(sorted_rows);
}
END_TEST

/* ---- round trips --------------------------------------------------------- */

/* value_counts knows a column of pandas' nullable Int64 / boolean arrays
 * (read_csv dtype "Int64"/"boolean", kept by row steps and fillna, by a
 * concat of such columns only), which orders dropna=False its own way;
 * the flag survives the wire. */
static dusk_plan *typed_leaf(const char *path, dusk_type type, bool no_na) {
  const char *paths[1] = {path};
  dusk_dtype dt[1] = {{"x", type, no_na, false}};
  dusk_csv_options o;
  memset(&o, 0, sizeof o);
  o.sep = ',';
  o.dtypes = dt;
  o.ndtypes = 1;
  return dusk_plan_read_csv(paths, 1, &o);
}

START_TEST(test_value_counts_masked) {
  dusk_fill fill = {"x", {0}};
  const char *sel[] = {"x"};
  dusk_plan *ins[2];
  struct {
    dusk_plan *p;
    bool masked;
  } cases[7];
  fill.value = tu_int(0);
  cases[0].p = dusk_plan_value_counts(
      typed_leaf("a.csv", DUSK_TYPE_INT64, false), "x");
  cases[0].masked = true;
  cases[1].p = dusk_plan_value_counts(
      dusk_plan_select(dusk_plan_fillna(typed_leaf("a.csv", DUSK_TYPE_BOOL,
                                                   false),
                                        &fill, 1),
                       sel, 1),
      "x");
  cases[1].masked = true;
  cases[2].p = dusk_plan_value_counts(
      typed_leaf("a.csv", DUSK_TYPE_INT64, true), "x"); /* numpy int64 */
  cases[2].masked = false;
  cases[3].p = dusk_plan_value_counts(leaf("a.csv"), "x"); /* inferred */
  cases[3].masked = false;
  cases[4].p = dusk_plan_value_counts(
      dusk_plan_assign(typed_leaf("a.csv", DUSK_TYPE_INT64, false), "x",
                       col("y"), "y"),
      "x");
  cases[4].masked = false;
  ins[0] = typed_leaf("a.csv", DUSK_TYPE_INT64, false);
  ins[1] = leaf("b.csv");
  cases[5].p = dusk_plan_value_counts(dusk_plan_concat(ins, 2), "x");
  cases[5].masked = false;
  ins[0] = typed_leaf("a.csv", DUSK_TYPE_INT64, false);
  ins[1] = typed_leaf("b.csv", DUSK_TYPE_INT64, false);
  cases[6].p = dusk_plan_value_counts(dusk_plan_concat(ins, 2), "x");
  cases[6].masked = true;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ck_assert_ptr_nonnull(cases[i].p);
    ck_assert_msg(cases[i].p->masked == cases[i].masked, "case %zu", i);
    cases[i].p->keep_na = true;
    plan_roundtrip(cases[i].p);
    cases[i].p->normalize = true;
    plan_roundtrip(cases[i].p);
    dusk_plan_free(cases[i].p);
  }
}
END_TEST

/* Which computed columns pandas keeps nullable (dusk_expr_masked), and
 * the user's "Int64" across the wire where an inferred one (a resolved
 * read's, no_na false too) is not; a "masked" option naming no nullable
 * dtype is refused. */
START_TEST(test_masked_columns) {
  struct {
    dusk_expr *e;
    bool masked;
  } cases[] = {
      {tu_arith(DUSK_ARITH_ADD, tu_col("x"), tu_lit_int(1)), true},
      {tu_arith(DUSK_ARITH_DIV, tu_col("x"), tu_lit_int(2)), true},
      {tu_cmp(DUSK_CMP_GT, tu_col("x"), tu_lit_int(1)), true},
      {dusk_expr_node(DUSK_EXPR_NOT, 0,
                      tu_cmp(DUSK_CMP_GT, tu_lit_int(3), tu_col("x")), NULL),
       true},
      {dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_ABS, tu_col("x"), NULL), true},
      {dusk_expr_node(DUSK_EXPR_ISNULL, 0, tu_col("x"), NULL), false},
      {dusk_expr_node(DUSK_EXPR_FUNC, DUSK_FN_TO_FLOAT, tu_col("x"), NULL),
       false},
      {tu_arith(DUSK_ARITH_ADD, tu_col("y"), tu_lit_int(1)), false},
  };
  dusk_plan *p = typed_leaf("a.csv", DUSK_TYPE_INT64, false), *q = NULL;
  size_t len;
  char *bytes;
  dusk_error err;
  ck_assert(dusk_plan_column_masked(p, "x"));
  ck_assert(!dusk_plan_column_masked(p, "y"));
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dusk_plan *a;
    ck_assert_msg(dusk_expr_masked(cases[i].e, p) == cases[i].masked,
                  "case %zu", i);
    a = dusk_plan_assign(typed_leaf("a.csv", DUSK_TYPE_INT64, false), "z",
                         cases[i].e, "z");
    ck_assert_msg(dusk_plan_column_masked(a, "z") == cases[i].masked,
                  "case %zu", i);
    dusk_plan_free(a);
  }
  plan_roundtrip(p);
  bytes = encode_plan(p, &len);
  ck_assert_int_eq(dusk_plan_decode(sl(bytes, len), &q, &err), 0);
  ck_assert(dusk_plan_column_masked(q, "x"));
  free(bytes);
  dusk_plan_free(q);
  /* an inferred nullable int: no_na false, never masked */
  p->csv.dtypes[0].masked = false;
  plan_roundtrip(p);
  bytes = encode_plan(p, &len);
  ck_assert_int_eq(dusk_plan_decode(sl(bytes, len), &q, &err), 0);
  ck_assert(!dusk_plan_column_masked(q, "x"));
  free(bytes);
  dusk_plan_free(q);
  /* numpy's int64 cannot be masked on the wire: refused */
  p->csv.dtypes[0].masked = true;
  p->csv.dtypes[0].no_na = true;
  bytes = encode_plan(p, &len);
  ck_assert_int_eq(dusk_plan_decode(sl(bytes, len), &q, &err), DUSK_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "masked column 'x'"));
  free(bytes);
  dusk_plan_free(p);
}
END_TEST

/* A whole frame's reduction (the scheduler's frame_reduce) survives the
 * wire; on a groupby with keys it is neither written nor read. */
START_TEST(test_frame_reduce_roundtrip) {
  dusk_agg agg = {0};
  const char *keys[] = {"k"};
  dusk_plan *p;
  size_t len, len2;
  char *bytes, *keyed;
  agg.column = "t";
  agg.fn = DUSK_AGG_STD;
  p = dusk_plan_groupby(leaf("a.csv"), NULL, 0, &agg, 1);
  ck_assert_ptr_nonnull(p);
  bytes = encode_plan(p, &len);
  p->frame_reduce = true;
  plan_roundtrip(p);
  free(encode_plan(p, &len2));
  ck_assert_uint_eq(len2, len + 1); /* one more field: true */
  dusk_plan_free(p);
  p = dusk_plan_groupby(leaf("a.csv"), keys, 1, &agg, 1);
  ck_assert_ptr_nonnull(p);
  keyed = encode_plan(p, &len);
  p->frame_reduce = true;
  free(encode_plan(p, &len2));
  ck_assert_uint_eq(len2, len);
  free(bytes);
  free(keyed);
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_roundtrip_every_plan) {
  dusk_plan *p = sample_plan(_i);
  ck_assert_ptr_nonnull(p);
  plan_roundtrip(p);
  dusk_plan_free(p);
}
END_TEST

static dusk_value literal_sample(int i) {
  static const char nul[] = "a\0b";
  switch (i) {
  case 0: return tu_null();
  case 1: return tu_bool(true);
  case 2: return tu_bool(false);
  case 3: return tu_int(0);
  case 4: return tu_int(-1);
  case 5: return tu_int(-33);
  case 6: return tu_int(127);
  case 7: return tu_int(INT64_MIN);
  case 8: return tu_int(INT64_MAX);
  case 9: return tu_float(3.25);
  case 10: return tu_float(-0.0);
  case 11: return tu_float(-1e300);
  case 12: return tu_float(INFINITY);
  case 13: return tu_float(NAN);
  case 14: return tu_str("");
  case 15: return tu_str("say \"hi\" \\ 'there'");
  case 16: return tu_str("na\xc3\xafve \xe2\x98\x83 \xe6\x97\xa5\xe6\x9c\xac");
  case 17: return tu_strn(nul, 3);
  }
  return tu_null();
}
#define NLITERALS 18

START_TEST(test_roundtrip_every_expr) {
  /* Every comparison and arithmetic operator with every literal. */
  for (int op = DUSK_CMP_EQ; op <= DUSK_CMP_GE; op++)
    for (int l = 0; l < NLITERALS; l++) {
      dusk_expr *e = cmp(op, col("c"), lit(literal_sample(l)));
      ck_assert_ptr_nonnull(e);
      expr_roundtrip(e);
      dusk_expr_free(e);
    }
  for (int op = DUSK_ARITH_ADD; op <= DUSK_ARITH_MOD; op++)
    for (int l = 0; l < NLITERALS; l++) {
      dusk_expr *e =
          cmp(DUSK_CMP_GT, arith(op, col("a"), lit(literal_sample(l))),
              arith(op, lit(literal_sample(l)), col("b")));
      ck_assert_ptr_nonnull(e);
      expr_roundtrip(e);
      dusk_expr_free(e);
    }
  /* Every kind, alone and combined. */
  dusk_expr *all[] = {
      col("only"),
      lit(tu_str("lonely literal")),
      unary(DUSK_EXPR_NOT, col("flag")),
      unary(DUSK_EXPR_ISNULL, col("a")),
      unary(DUSK_EXPR_NOTNULL, arith(DUSK_ARITH_DIV, col("a"), col("b"))),
      and_(or_(col("p"), unary(DUSK_EXPR_NOT, col("q"))),
           and_(unary(DUSK_EXPR_ISNULL, col("r")),
                unary(DUSK_EXPR_NOTNULL, col("s")))),
      taxi_expr(),
      deep_expr(64),
  };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    ck_assert_ptr_nonnull(all[i]);
    expr_roundtrip(all[i]);
    /* ... and inside a plan. */
    dusk_expr *copy = NULL;
    size_t len;
    char *bytes = encode_expr(all[i], &len);
    ck_assert_int_eq(dusk_expr_decode(sl(bytes, len), &copy, NULL), 0);
    free(bytes);
    dusk_plan *p = dusk_plan_query(leaf("e.csv"), copy, "text");
    plan_roundtrip(p);
    dusk_plan_free(p);
    dusk_expr_free(all[i]);
  }
}
END_TEST

START_TEST(test_realistic_nested_plan) {
  dusk_plan *p = realistic_plan(), *q = NULL, *fill, *query, *concat, *r0;
  dusk_error err;
  size_t len;
  char *bytes, text[128];

  ck_assert_ptr_nonnull(p);
  bytes = encode_plan(p, &len);
  ck_assert_int_eq(dusk_plan_decode(sl(bytes, len), &q, &err), 0);
  ck_assert_ptr_null(plan_diff(p, q));

  /* Spelled out, level by level. */
  ck_assert_int_eq(q->kind, DUSK_PLAN_GROUPBY);
  ck_assert_uint_eq(q->ncolumns, 1);
  ck_assert_str_eq(q->columns[0], "PULocationID");
  ck_assert_uint_eq(q->naggs, 1);
  ck_assert_ptr_null(q->aggs[0].column);
  ck_assert_int_eq(q->aggs[0].fn, DUSK_AGG_COUNT);
  ck_assert_uint_eq(q->ninputs, 1);
  query = q->inputs[0];
  ck_assert_int_eq(query->kind, DUSK_PLAN_QUERY);
  ck_assert_str_eq(query->expr_text, "PULocationID > 200 and SR_Flag == 1");
  dusk_expr_format(query->expr, text, sizeof text);
  ck_assert_str_eq(text, "(PULocationID > 200) and (SR_Flag == 1)");
  fill = query->inputs[0];
  ck_assert_int_eq(fill->kind, DUSK_PLAN_FILLNA);
  ck_assert_uint_eq(fill->nfills, 1);
  ck_assert_str_eq(fill->fills[0].column, "SR_Flag");
  ck_assert_int_eq(fill->fills[0].value.type, DUSK_TYPE_INT64);
  ck_assert_int_eq(fill->fills[0].value.u.i, 0);
  concat = fill->inputs[0];
  ck_assert_int_eq(concat->kind, DUSK_PLAN_CONCAT);
  ck_assert_uint_eq(concat->ninputs, 2);
  r0 = concat->inputs[0];
  ck_assert_int_eq(r0->kind, DUSK_PLAN_READ_CSV);
  ck_assert_uint_eq(r0->ninputs, 0);
  ck_assert_uint_eq(r0->npaths, 2);
  ck_assert_str_eq(r0->paths[0], "a.csv");
  ck_assert_str_eq(r0->paths[1], "b*.csv");
  ck_assert_int_eq(r0->csv.sep, '|');
  ck_assert_int_eq(r0->csv.blocksize, 64 << 20);
  ck_assert_uint_eq(r0->csv.nusecols, 3);
  ck_assert_str_eq(r0->csv.usecols[2], "hvfhs_license_num");
  ck_assert_uint_eq(r0->csv.ndtypes, 3);
  ck_assert_str_eq(r0->csv.dtypes[0].column, "SR_Flag");
  ck_assert_int_eq(r0->csv.dtypes[0].type, DUSK_TYPE_FLOAT64);
  ck_assert_int_eq(r0->csv.dtypes[2].type, DUSK_TYPE_STRING);
  ck_assert_int_eq(concat->inputs[1]->kind, DUSK_PLAN_READ_CSV);
  ck_assert_uint_eq(concat->inputs[1]->npaths, 1);
  ck_assert_str_eq(concat->inputs[1]->paths[0], "c.csv");
  ck_assert_int_eq(concat->inputs[1]->csv.sep, ',');
  ck_assert_int_eq(concat->inputs[1]->csv.blocksize, 0);
  ck_assert_ptr_null(concat->inputs[1]->csv.usecols);
  ck_assert_ptr_null(concat->inputs[1]->csv.dtypes);

  free(bytes);
  dusk_plan_free(q);
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_depth_limits) {
  dusk_plan *p, *q = NULL;
  dusk_expr *e, *f = NULL;
  dusk_error err;
  size_t len;
  char *bytes;

  /* A plan of depth 64 carrying an expression of depth 64 decodes. */
  p = deep_plan(64, 64);
  plan_roundtrip(p);
  dusk_plan_free(p);

  /* Depth 65 is refused, by plan depth... */
  p = deep_plan(65, 2);
  bytes = encode_plan(p, &len);
  ck_assert_int_eq(dusk_plan_decode(sl(bytes, len), &q, &err), DUSK_EDEPTH);
  ck_assert_ptr_null(q);
  ck_assert_ptr_nonnull(strstr(err.message, "deeper than 64"));
  free(bytes);
  dusk_plan_free(p);

  /* ... and by expression depth, inside a plan and alone. */
  p = deep_plan(3, 65);
  bytes = encode_plan(p, &len);
  ck_assert_int_eq(dusk_plan_decode(sl(bytes, len), &q, &err), DUSK_EDEPTH);
  ck_assert_ptr_null(q);
  ck_assert_ptr_nonnull(strstr(err.message, "plan query: expr"));
  ck_assert_ptr_nonnull(strstr(err.message, "deeper than 64"));
  free(bytes);
  dusk_plan_free(p);

  e = deep_expr(64);
  expr_roundtrip(e);
  dusk_expr_free(e);
  e = deep_expr(65);
  bytes = encode_expr(e, &len);
  ck_assert_int_eq(dusk_expr_decode(sl(bytes, len), &f, &err), DUSK_EDEPTH);
  ck_assert_ptr_null(f);
  ck_assert_ptr_nonnull(strstr(err.message, "expr"));
  free(bytes);
  dusk_expr_free(e);

  /* A deep binary tree: and of and of ... (depth 64 fine, 65 not). */
  for (int depth = 64; depth <= 65; depth++) {
    e = cmp(DUSK_CMP_EQ, col("a"), lit(tu_int(0)));
    for (int i = 2; i < depth; i++)
      e = and_(cmp(DUSK_CMP_NE, col("b"), lit(tu_int(i))), e);
    bytes = encode_expr(e, &len);
    ck_assert_int_eq(dusk_expr_decode(sl(bytes, len), &f, &err),
                     depth == 64 ? 0 : DUSK_EDEPTH);
    ck_assert_ptr_null(expr_diff(depth == 64 ? e : NULL, f));
    dusk_expr_free(f);
    f = NULL;
    free(bytes);
    dusk_expr_free(e);
  }
}
END_TEST

/* ---- truncation ---------------------------------------------------------- */

START_TEST(test_truncated_prefixes) {
  dusk_plan *p = sample_plan(_i), *q;
  dusk_error err;
  size_t len;
  char *bytes = encode_plan(p, &len);

  for (size_t k = 0; k < len; k++) {
    /* A fresh copy of exactly k bytes, so ASan sees any over-read. */
    char *prefix = malloc(k ? k : 1);
    ck_assert_ptr_nonnull(prefix);
    memcpy(prefix, bytes, k);
    q = (dusk_plan *)1;
    int rc = dusk_plan_decode(sl(prefix, k), &q, &err);
    ck_assert_msg(rc < 0, "prefix of %zu/%zu bytes decoded", k, len);
    ck_assert_int_eq(err.code, rc);
    ck_assert_ptr_null(q);
    ck_assert_msg(strncmp(err.message, "plan", 4) == 0, "message '%s'",
                  err.message);
    free(prefix);
  }
  free(bytes);
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_truncated_expr_prefixes) {
  dusk_expr *e = or_(taxi_expr(),
                     cmp(DUSK_CMP_NE, col("name"), lit(literal_sample(16)))),
            *f;
  size_t len;
  char *bytes = encode_expr(e, &len);
  for (size_t k = 0; k < len; k++) {
    char *prefix = malloc(k ? k : 1);
    memcpy(prefix, bytes, k);
    f = (dusk_expr *)1;
    ck_assert_int_lt(dusk_expr_decode(sl(prefix, k), &f, NULL), 0);
    ck_assert_ptr_null(f);
    free(prefix);
  }
  free(bytes);
  dusk_expr_free(e);
}
END_TEST

/* Every byte of every sample replaced by a few hostile values: each
 * decode either fails cleanly or gives a plan that encodes and decodes
 * again to the same tree (ASan and LSan watch the error paths, which free
 * trees built only in part). */
START_TEST(test_mutated_bytes) {
  dusk_plan *p = sample_plan(_i);
  size_t len;
  char *bytes = encode_plan(p, &len);
  char *copy = malloc(len);
  int ok = 0, bad = 0;

  for (size_t k = 0; k < len; k++) {
    const unsigned char orig = (unsigned char)bytes[k];
    const unsigned char repl[] = {0x00,
                                  0x7f,
                                  0xff,
                                  0xc0,
                                  0xc3,
                                  0x90,
                                  0x9f,
                                  0xa0,
                                  0xdd,
                                  (unsigned char)(orig ^ 0x01),
                                  (unsigned char)(orig + 1),
                                  (unsigned char)(orig - 1)};
    for (size_t r = 0; r < sizeof repl; r++) {
      dusk_plan *q = NULL, *q2 = NULL;
      dusk_error err;
      size_t len2;
      char *again;
      memcpy(copy, bytes, len);
      copy[k] = (char)repl[r];
      if (dusk_plan_decode(sl(copy, len), &q, &err) != 0) {
        ck_assert_ptr_null(q);
        ck_assert_int_lt(err.code, 0);
        bad++;
        continue;
      }
      ok++;
      again = encode_plan(q, &len2);
      ck_assert_int_eq(dusk_plan_decode(sl(again, len2), &q2, &err), 0);
      ck_assert_ptr_null(plan_diff(q, q2));
      free(again);
      dusk_plan_free(q2);
      dusk_plan_free(q);
    }
  }
  ck_assert_int_gt(bad, 0);
  ck_assert_int_gt(ok, 0);
  free(copy);
  free(bytes);
  dusk_plan_free(p);
}
END_TEST

/* ---- malformed input ----------------------------------------------------- */

typedef struct packed {
  msgpack_sbuffer sb;
  msgpack_packer pk;
} packed;

static void packed_init(packed *p) {
  msgpack_sbuffer_init(&p->sb);
  msgpack_packer_init(&p->pk, &p->sb, msgpack_sbuffer_write);
}

static void pk_s(packed *p, const char *s) {
  msgpack_pack_str_with_body(&p->pk, s, strlen(s));
}

/* A valid read_csv node over path. */
static void pk_leaf(packed *p) {
  msgpack_pack_array(&p->pk, 7);
  msgpack_pack_int(&p->pk, DUSK_PLAN_READ_CSV);
  msgpack_pack_int(&p->pk, 0);
  msgpack_pack_array(&p->pk, 1);
  pk_s(p, "a.csv");
  pk_s(p, ",");
  msgpack_pack_int(&p->pk, 0);
  msgpack_pack_nil(&p->pk); /* usecols: every column */
  msgpack_pack_map(&p->pk, 0);
}

/* [kind, ninputs, ...] header of a node with nfields fields. */
static void pk_node(packed *p, int kind, int ninputs, int nfields) {
  msgpack_pack_array(&p->pk, (size_t)(2 + nfields));
  msgpack_pack_int(&p->pk, kind);
  msgpack_pack_int(&p->pk, ninputs);
}

static void expect_plan_fail(const void *bytes, size_t len, int code,
                             const char *needle1, const char *needle2) {
  dusk_plan *q = (dusk_plan *)1;
  dusk_error err;
  int rc = dusk_plan_decode(sl(bytes, len), &q, &err);
  ck_assert_msg(rc == code, "rc %d (%s), want %d (%s): %s", rc,
                dusk_strerror(rc), code, dusk_strerror(code), err.message);
  ck_assert_int_eq(err.code, code);
  ck_assert_ptr_null(q);
  if (needle1 != NULL)
    ck_assert_msg(strstr(err.message, needle1) != NULL,
                  "'%s' not in error '%s'", needle1, err.message);
  if (needle2 != NULL)
    ck_assert_msg(strstr(err.message, needle2) != NULL,
                  "'%s' not in error '%s'", needle2, err.message);
  /* The same without an error report. */
  q = (dusk_plan *)1;
  ck_assert_int_eq(dusk_plan_decode(sl(bytes, len), &q, NULL), code);
  ck_assert_ptr_null(q);
}

static void expect_packed_fail(packed *p, int code, const char *needle1,
                               const char *needle2) {
  expect_plan_fail(p->sb.data, p->sb.size, code, needle1, needle2);
  msgpack_sbuffer_destroy(&p->sb);
}

static void expect_expr_fail(packed *p, int code, const char *needle1,
                             const char *needle2) {
  dusk_expr *e = (dusk_expr *)1;
  dusk_error err;
  int rc = dusk_expr_decode(sl(p->sb.data, p->sb.size), &e, &err);
  ck_assert_msg(rc == code, "rc %d (%s), want %d (%s): %s", rc,
                dusk_strerror(rc), code, dusk_strerror(code), err.message);
  ck_assert_ptr_null(e);
  if (needle1 != NULL)
    ck_assert_msg(strstr(err.message, needle1) != NULL,
                  "'%s' not in error '%s'", needle1, err.message);
  if (needle2 != NULL)
    ck_assert_msg(strstr(err.message, needle2) != NULL,
                  "'%s' not in error '%s'", needle2, err.message);
  msgpack_sbuffer_destroy(&p->sb);
}

START_TEST(test_not_a_plan) {
  packed p;
  packed_init(&p);
  msgpack_pack_int(&p.pk, 5);
  expect_packed_fail(&p, DUSK_ETYPE, "plan", "array of nodes");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 0);
  expect_packed_fail(&p, DUSK_EINVAL, "plan", "no nodes");
  expect_plan_fail("", 0, DUSK_ETRUNC, "plan", NULL);
  expect_plan_fail(NULL, 0, DUSK_ETRUNC, "plan", NULL);
  /* A node that is not an array, or too short to hold kind and ninputs. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "read_csv");
  expect_packed_fail(&p, DUSK_ETYPE, "plan node 1", "got str");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_int(&p.pk, 1);
  expect_packed_fail(&p, DUSK_ETYPE, "plan node 1", "short array");
  /* Reserved byte. */
  expect_plan_fail("\x91\xc1", 2, DUSK_EPROTO, "plan", "0xc1");
}
END_TEST

/* set_index: a post step; over a whole frame's sort, head and tail go
 * under it (the sort's becomes a top-k), a to_csv directory on the sort
 * makes the whole a sorted write; the wire form round-trips and refuses
 * no keys. */
START_TEST(test_set_index) {
  static const char *const keys[] = {"k", "name"};
  static const uint8_t asc[] = {1, 1};
  dusk_plan *sorted = dusk_plan_sort_values(leaf("s.csv"), keys, 2, asc, 2);
  dusk_plan *p = dusk_plan_set_index(sorted, keys, 2, false), *h, *q = NULL;
  size_t len;
  char *bytes;
  dusk_error err;
  ck_assert(p != NULL && p->kind == DUSK_PLAN_SET_INDEX && !p->drop);
  ck_assert(dusk_plan_is_post(p) && dusk_plan_takes_post(p));
  ck_assert(dusk_plan_sort_node(p) == sorted);
  ck_assert(dusk_plan_result_root(p)->kind == DUSK_PLAN_READ_CSV);
  ck_assert(!dusk_plan_sorted_write(p));
  plan_roundtrip(p);
  h = dusk_plan_head(dusk_plan_clone(p), 7);
  ck_assert_int_eq(h->kind, DUSK_PLAN_SET_INDEX);
  ck_assert_int_eq(h->inputs[0]->kind, DUSK_PLAN_TOPK);
  ck_assert_int_eq(h->inputs[0]->n, 7);
  ck_assert(dusk_plan_sort_node(h) == NULL);
  plan_roundtrip(h);
  dusk_plan_free(h);
  h = dusk_plan_tail(dusk_plan_clone(p), 3);
  ck_assert_int_eq(h->kind, DUSK_PLAN_SET_INDEX);
  ck_assert_int_eq(h->inputs[0]->kind, DUSK_PLAN_TAIL);
  dusk_plan_free(h);
  sorted->dir = strdup("/tmp/out");
  ck_assert(dusk_plan_sorted_write(p));
  plan_roundtrip(p);
  /* no keys: refused by the constructor and on the wire */
  ck_assert(dusk_plan_set_index(leaf("s.csv"), keys, 0, true) == NULL);
  p->ncolumns = 0;
  bytes = encode_plan(p, &len);
  p->ncolumns = 2;
  ck_assert_int_ne(dusk_plan_decode(sl(bytes, len), &q, &err), 0);
  ck_assert_ptr_null(q);
  ck_assert_msg(strstr(err.message, "key") != NULL, "%s", err.message);
  free(bytes);
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_wrong_kind) {
  static const int kinds[] = {0, 25, 255, 100000};
  packed p;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    packed_init(&p);
    msgpack_pack_array(&p.pk, 1);
    pk_node(&p, kinds[i], 0, 0);
    char want[32];
    snprintf(want, sizeof want, "unknown kind %d", kinds[i]);
    expect_packed_fail(&p, DUSK_EPROTO, "plan node 1", want);
  }
  /* Kind of the wrong type. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 2);
  pk_s(&p, "head");
  msgpack_pack_int(&p.pk, 1);
  expect_packed_fail(&p, DUSK_ETYPE, "kind", "got str");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, -1);
  msgpack_pack_int(&p.pk, 0);
  expect_packed_fail(&p, DUSK_ETYPE, "kind", "got int");
  /* ninputs of the wrong type. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_PLAN_LEN);
  msgpack_pack_true(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan len: ninputs", "got bool");
}
END_TEST

START_TEST(test_wrong_field_types) {
  packed p;

  /* read_csv: paths a str. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  pk_s(&p, "a.csv");
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 0);
  expect_packed_fail(&p, DUSK_ETYPE, "plan read_csv: path", "got str");
  /* read_csv: a path that is an int. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 2);
  pk_s(&p, "a.csv");
  msgpack_pack_int(&p.pk, 7);
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 0);
  expect_packed_fail(&p, DUSK_ETYPE, "plan read_csv: path 2", "got int");
  /* read_csv: sep an int, blocksize a float, dtypes an array. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "a.csv");
  msgpack_pack_int(&p.pk, ',');
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 0);
  expect_packed_fail(&p, DUSK_ETYPE, "plan read_csv: sep", "got int");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "a.csv");
  pk_s(&p, ",");
  msgpack_pack_double(&p.pk, 1.0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 0);
  expect_packed_fail(&p, DUSK_ETYPE, "plan read_csv: blocksize", "got float");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "a.csv");
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  expect_packed_fail(&p, DUSK_ETYPE, "plan read_csv: dtype", "got array");
  /* dtype value an int. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "a.csv");
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 1);
  pk_s(&p, "col");
  msgpack_pack_int(&p.pk, 2);
  expect_packed_fail(&p, DUSK_ETYPE, "dtype of 'col'", "got int");
  /* head: n a str. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_HEAD, 1, 1);
  pk_s(&p, "10");
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan head: n", "got str");
  /* groupby: a key that is nil; an agg that is not a pair. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_GROUPBY, 1, 3);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_nil(&p.pk);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_false(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan groupby: key 1", "got nil");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_GROUPBY, 1, 3);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "k");
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 3);
  msgpack_pack_nil(&p.pk);
  pk_s(&p, "count");
  pk_s(&p, "extra");
  msgpack_pack_false(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan groupby: agg 1",
                     "quantile takes [column, \"quantile\", q]");
  /* quantile's q: a float in [0, 1] */
  for (int k = 0; k < 3; k++) {
    packed_init(&p);
    msgpack_pack_array(&p.pk, 2);
    pk_node(&p, DUSK_PLAN_GROUPBY, 1, 3);
    msgpack_pack_array(&p.pk, 1);
    pk_s(&p, "k");
    msgpack_pack_array(&p.pk, 1);
    msgpack_pack_array(&p.pk, k == 2 ? 2 : 3);
    pk_s(&p, "v");
    pk_s(&p, "quantile");
    if (k == 0)
      msgpack_pack_double(&p.pk, 1.5);
    else if (k == 1)
      msgpack_pack_int(&p.pk, 0);
    msgpack_pack_false(&p.pk);
    pk_leaf(&p);
    if (k < 2)
      expect_packed_fail(&p, DUSK_EINVAL, "plan groupby: agg 1",
                         "q must be a float between 0 and 1");
    else
      expect_packed_fail(&p, DUSK_ETYPE, "plan groupby: agg 1",
                         "quantile takes [column, \"quantile\", q]");
  }
  /* labels: the column-by-column marker on every-column aggregates, all
   * or none; at most two levels */
  for (int k = 0; k < 3; k++) {
    static const char *const want[] = {
        "the column-by-column marker applies to an every-column aggregate",
        "marker is on 1 of 2 aggregates", "label 1 has more than two levels"};
    packed_init(&p);
    msgpack_pack_array(&p.pk, 2);
    pk_node(&p, DUSK_PLAN_GROUPBY, 1, 3);
    msgpack_pack_array(&p.pk, 1);
    pk_s(&p, "k");
    msgpack_pack_array(&p.pk, 2);
    for (int a = 0; a < 2; a++) {
      msgpack_pack_array(&p.pk, 4);
      if (k == 0)
        pk_s(&p, "v");
      else
        msgpack_pack_nil(&p.pk);
      pk_s(&p, "sum");
      msgpack_pack_double(&p.pk, 0.5);
      pk_s(&p, k == 2 ? "a\x1f" "b\x1f" "c" : a == 0 ? "\x1f" : "total");
    }
    msgpack_pack_false(&p.pk);
    pk_leaf(&p);
    expect_packed_fail(&p, DUSK_EINVAL, "plan groupby", want[k]);
  }
  /* fillna: value a map. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_FILLNA, 1, 1);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 2);
  pk_s(&p, "c");
  msgpack_pack_map(&p.pk, 0);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan fillna: fill 1", "got map");
  /* query: expr a str (the text where the nodes belong). */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_QUERY, 1, 2);
  pk_s(&p, "a > 1");
  msgpack_pack_nil(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan query: expr", "got str");
  /* value_counts: column nil; to_csv: dir bin. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_VALUE_COUNTS, 1, 2);
  msgpack_pack_nil(&p.pk);
  msgpack_pack_false(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan value_counts: column", "got nil");
  /* value_counts: a split_out of 1 (2 to 256 parts, or the field left
   * out). */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_VALUE_COUNTS, 1, 4);
  pk_s(&p, "c");
  msgpack_pack_false(&p.pk);
  msgpack_pack_uint8(&p.pk, 0);
  msgpack_pack_uint32(&p.pk, 1);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EINVAL, "plan value_counts: split_out 1",
                     "(2..256)");
  /* ... four fields whose last is no int: not read as a grouped one's
   * keys (which has six fields) */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_VALUE_COUNTS, 1, 4);
  pk_s(&p, "c");
  msgpack_pack_false(&p.pk);
  msgpack_pack_uint8(&p.pk, 1);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "k");
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan value_counts: split_out",
                     "an int from 2");
  /* ... and split_out with describe()'s counts */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_VALUE_COUNTS, 1, 4);
  pk_s(&p, "c");
  msgpack_pack_false(&p.pk);
  msgpack_pack_uint8(&p.pk, 2);
  msgpack_pack_uint32(&p.pk, 4);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan value_counts: output",
                     "with split_out");
  /* a grouped value_counts' split_out: with flat (as_index=False, whose
   * counts pandas sorts across the groups) */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_VALUE_COUNTS, 1, 7);
  pk_s(&p, "c");
  msgpack_pack_false(&p.pk);
  msgpack_pack_uint8(&p.pk, 0);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "k");
  msgpack_pack_false(&p.pk);
  msgpack_pack_true(&p.pk);
  msgpack_pack_uint32(&p.pk, 4);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EINVAL, "plan value_counts: split_out 4",
                     "not with flat");
  /* sample: a frac outside [0, 1]; a seed that is not a uint. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_SAMPLE, 1, 2);
  msgpack_pack_double(&p.pk, 1.5);
  msgpack_pack_uint64(&p.pk, 1);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EINVAL, "plan sample: frac 1.5", NULL);
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_SAMPLE, 1, 2);
  msgpack_pack_double(&p.pk, 0.5);
  pk_s(&p, "seed");
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan sample: seed", "got str");
  /* grouped value_counts: no keys; describe output (2) with keys; flat
   * not a bool. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_VALUE_COUNTS, 1, 6);
  pk_s(&p, "v");
  msgpack_pack_false(&p.pk);
  msgpack_pack_uint8(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_false(&p.pk);
  msgpack_pack_false(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EINVAL, "plan value_counts: keys", "got 0");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_VALUE_COUNTS, 1, 6);
  pk_s(&p, "v");
  msgpack_pack_false(&p.pk);
  msgpack_pack_uint8(&p.pk, 2);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "k");
  msgpack_pack_false(&p.pk);
  msgpack_pack_false(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan value_counts: output", NULL);
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_VALUE_COUNTS, 1, 6);
  pk_s(&p, "v");
  msgpack_pack_false(&p.pk);
  msgpack_pack_uint8(&p.pk, 1);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "k");
  msgpack_pack_false(&p.pk);
  pk_s(&p, "yes");
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan value_counts: flat", "got str");
  /* value_counts: keep_na not a bool. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_VALUE_COUNTS, 1, 2);
  pk_s(&p, "k");
  pk_s(&p, "no");
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan value_counts: keep_na", "got str");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_TO_CSV, 1, 1);
  msgpack_pack_bin_with_body(&p.pk, "out", 3);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan to_csv: dir", "got bin");
}
END_TEST

START_TEST(test_wrong_field_count) {
  packed p;
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_HEAD, 1, 2);
  msgpack_pack_int(&p.pk, 1);
  msgpack_pack_int(&p.pk, 2);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan head", "expected 1 fields, got 2");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_LEN, 1, 1);
  msgpack_pack_nil(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan len", "expected 0 fields, got 1");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 4);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "a.csv");
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  expect_packed_fail(&p, DUSK_ETYPE, "plan read_csv",
                     "expected 5 fields, got 4");
}
END_TEST

START_TEST(test_unknown_dtype) {
  packed p;
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "a.csv");
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 2);
  pk_s(&p, "fare");
  pk_s(&p, "float64");
  pk_s(&p, "when");
  pk_s(&p, "datetime64[ms]");
  expect_packed_fail(&p, DUSK_EINVAL,
                     "plan read_csv: dtype of 'when': unknown type "
                     "'datetime64[ms]'",
                     NULL);
  /* "null" is a value type, not a column type. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "a.csv");
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 1);
  pk_s(&p, "c");
  pk_s(&p, "null");
  expect_packed_fail(&p, DUSK_EINVAL, "unknown type 'null'", NULL);
  /* Every accepted spelling decodes. */
  static const char *const ok[] = {
      "bool",    "boolean", "int",     "Int64", "int32",  "integer", "float",
      "Float64", "double",  "float32", "str",   "string", "object"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    dusk_plan *q = NULL;
    dusk_error err;
    packed_init(&p);
    msgpack_pack_array(&p.pk, 1);
    pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
    msgpack_pack_array(&p.pk, 1);
    pk_s(&p, "a.csv");
    pk_s(&p, ",");
    msgpack_pack_int(&p.pk, 0);
    msgpack_pack_array(&p.pk, 0);
    msgpack_pack_map(&p.pk, 1);
    pk_s(&p, "c");
    pk_s(&p, ok[i]);
    ck_assert_int_eq(dusk_plan_decode(sl(p.sb.data, p.sb.size), &q, &err), 0);
    ck_assert_int_eq(q->csv.dtypes[0].type,
                     dusk_type_parse(ok[i], strlen(ok[i])));
    dusk_plan_free(q);
    msgpack_sbuffer_destroy(&p.sb);
  }
}
END_TEST

static void pk_groupby(packed *p, const char *fn2) {
  packed_init(p);
  msgpack_pack_array(&p->pk, 2);
  pk_node(p, DUSK_PLAN_GROUPBY, 1, 3);
  msgpack_pack_array(&p->pk, 1);
  pk_s(p, "PULocationID");
  msgpack_pack_array(&p->pk, 2);
  msgpack_pack_array(&p->pk, 2);
  msgpack_pack_nil(&p->pk);
  pk_s(p, "count");
  msgpack_pack_array(&p->pk, 2);
  pk_s(p, "fare");
  pk_s(p, fn2);
  msgpack_pack_false(&p->pk);
  pk_leaf(p);
}

START_TEST(test_unknown_agg) {
  packed p;
  pk_groupby(&p, "medians");
  expect_packed_fail(&p, DUSK_EINVAL,
                     "plan groupby: agg 2: unknown function 'medians'", NULL);
  /* Unprintable bytes are sanitised in the message. */
  pk_groupby(&p, "me\n\x01");
  expect_packed_fail(&p, DUSK_EINVAL, "unknown function 'me..'", NULL);
  /* A long name is quoted only in part. */
  char longname[300];
  memset(longname, 'z', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  pk_groupby(&p, longname);
  expect_packed_fail(&p, DUSK_EINVAL, "unknown function 'zzzz", NULL);
  /* An agg name of the wrong type. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_GROUPBY, 1, 3);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "k");
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_nil(&p.pk);
  msgpack_pack_int(&p.pk, DUSK_AGG_SUM);
  msgpack_pack_false(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETYPE, "plan groupby: agg 1", "got int");
  /* No keys (a reduction) but no aggs. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_GROUPBY, 1, 3);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_false(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EINVAL, "plan groupby", "no aggregations");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_GROUPBY, 1, 3);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "k");
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_false(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EINVAL, "plan groupby", "no aggregations");
}
END_TEST

static void pk_head(packed *p, int64_t n) {
  packed_init(p);
  msgpack_pack_array(&p->pk, 2);
  pk_node(p, DUSK_PLAN_HEAD, 1, 1);
  msgpack_pack_int64(&p->pk, n);
  pk_leaf(p);
}

START_TEST(test_bad_numbers) {
  packed p;
  pk_head(&p, -1);
  expect_packed_fail(&p, DUSK_EINVAL, "plan head", "negative n -1");
  pk_head(&p, INT64_MIN);
  expect_packed_fail(&p, DUSK_EINVAL, "plan head", "negative n");
  /* An unsigned value beyond int64. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_HEAD, 1, 1);
  msgpack_pack_uint64(&p.pk, UINT64_MAX);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EINVAL, "plan head: n", "out of int64 range");
  /* Negative blocksize. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "a.csv");
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, -4096);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 0);
  expect_packed_fail(&p, DUSK_EINVAL, "plan read_csv",
                     "negative blocksize -4096");
  /* head(0) is fine. */
  dusk_plan *q = NULL;
  pk_head(&p, 0);
  ck_assert_int_eq(dusk_plan_decode(sl(p.sb.data, p.sb.size), &q, NULL), 0);
  ck_assert_int_eq(q->n, 0);
  dusk_plan_free(q);
  msgpack_sbuffer_destroy(&p.sb);
}
END_TEST

/* sort_values over a leaf: by (nby names "x"...), flags as packed by
 * flag_kind (0 bools, 1 ints). */
static void pk_sort(packed *p, int nby, int nflags, int flag_kind) {
  packed_init(p);
  msgpack_pack_array(&p->pk, 2);
  pk_node(p, DUSK_PLAN_SORT_VALUES, 1, 2);
  msgpack_pack_array(&p->pk, (size_t)nby);
  for (int i = 0; i < nby; i++)
    pk_s(p, "x");
  msgpack_pack_array(&p->pk, (size_t)nflags);
  for (int i = 0; i < nflags; i++)
    if (flag_kind == 0)
      msgpack_pack_true(&p->pk);
    else
      msgpack_pack_int(&p->pk, 1);
  pk_leaf(p);
}

/* quantile's wire form: [kind, 1, [cols], [q...], median] over a read. */
static void pk_quantile(packed *p, const double *qs, size_t nq, bool median,
                        bool int_q) {
  packed_init(p);
  msgpack_pack_array(&p->pk, 2);
  pk_node(p, DUSK_PLAN_QUANTILE, 1, 3);
  msgpack_pack_array(&p->pk, 0);
  msgpack_pack_array(&p->pk, nq);
  for (size_t i = 0; i < nq; i++)
    if (int_q)
      msgpack_pack_str_with_body(&p->pk, "q", 1);
    else
      msgpack_pack_double(&p->pk, qs[i]);
  if (median)
    msgpack_pack_true(&p->pk);
  else
    msgpack_pack_false(&p->pk);
  pk_leaf(p);
}

START_TEST(test_bad_quantiles) {
  static const double bad[] = {0.5, 1.5}, half[] = {0.5}, two[] = {0.1, 0.5};
  static const double nan_q[] = {NAN};
  packed p;
  pk_quantile(&p, bad, 2, false, false);
  expect_packed_fail(&p, DUSK_EINVAL, "plan quantile", "outside [0, 1]");
  pk_quantile(&p, nan_q, 1, false, false);
  expect_packed_fail(&p, DUSK_EINVAL, "plan quantile", "outside [0, 1]");
  pk_quantile(&p, half, 0, false, false);
  expect_packed_fail(&p, DUSK_EINVAL, "plan quantile", "0 quantiles");
  pk_quantile(&p, half, 1, false, true);
  expect_packed_fail(&p, DUSK_ETYPE, "plan quantile", "q: expected a number");
  pk_quantile(&p, two, 2, true, false);
  expect_packed_fail(&p, DUSK_EINVAL, "plan quantile", "a median is one q");
  ck_assert_ptr_null(dusk_plan_quantile(leaf("a.csv"), NULL, 0, bad, 2));
  ck_assert_ptr_null(dusk_plan_quantile(leaf("a.csv"), NULL, 0, half, 0));
}
END_TEST

START_TEST(test_bad_sort_values) {
  packed p;
  dusk_plan *q = NULL;
  pk_sort(&p, 1, 2, 0);
  expect_packed_fail(&p, DUSK_EINVAL, "plan sort_values",
                     "2 ascending flags for 1 columns");
  pk_sort(&p, 0, 0, 0);
  expect_packed_fail(&p, DUSK_EINVAL, "plan sort_values",
                     "0 ascending flags for 0 columns");
  pk_sort(&p, 2, 2, 1);
  expect_packed_fail(&p, DUSK_ETYPE, "plan sort_values",
                     "ascending 1 is");
  pk_sort(&p, 0, 1, 0);
  ck_assert_int_eq(dusk_plan_decode(sl(p.sb.data, p.sb.size), &q, NULL), 0);
  ck_assert_uint_eq(q->nascending, 1);
  ck_assert_int_eq(q->ascending[0], 1);
  ck_assert(!q->quicksort); /* no kind field: stable */
  dusk_plan_free(q);
  msgpack_sbuffer_destroy(&p.sb);
}
END_TEST

/* The optional kind field: true (quicksort) only, kept by encode, decode
 * and clone. */
START_TEST(test_sort_kind_wire) {
  uint8_t asc[] = {0};
  const char *by[] = {"x"};
  dusk_plan *p = dusk_plan_sort_values(leaf("s.csv"), by, 1, asc, 1), *q = NULL,
            *c;
  dusk_buf b;
  packed pk;
  ck_assert_ptr_nonnull(p);
  p->quicksort = true;
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_plan_encode(p, &b), 0);
  ck_assert_int_eq(dusk_plan_decode(sl((const char *)b.data, b.len), &q, NULL),
                   0);
  ck_assert(q->quicksort);
  ck_assert_int_eq(q->ascending[0], 0);
  c = dusk_plan_clone(q);
  ck_assert(c->quicksort);
  dusk_plan_free(c);
  dusk_plan_free(q);
  dusk_plan_free(p);
  dusk_buf_destroy(&b);
  /* a kind field that is not true */
  packed_init(&pk);
  msgpack_pack_array(&pk.pk, 2);
  pk_node(&pk, DUSK_PLAN_SORT_VALUES, 1, 3);
  msgpack_pack_array(&pk.pk, 1);
  pk_s(&pk, "x");
  msgpack_pack_array(&pk.pk, 1);
  msgpack_pack_true(&pk.pk);
  msgpack_pack_int(&pk.pk, 1);
  pk_leaf(&pk);
  expect_packed_fail(&pk, DUSK_ETYPE, "plan sort_values", "kind is");
}
END_TEST

/* A sort's range partitions (the optional fifth field): npartitions and
 * divisions of every value kind survive encode, decode and clone; a
 * divisions query has no directory; bad ones are refused. */
START_TEST(test_sort_parts_wire) {
  uint8_t asc[] = {1};
  const char *by[] = {"x"};
  dusk_value d[3] = {{.type = DUSK_TYPE_INT64, .u.i = -4},
                     {.type = DUSK_TYPE_FLOAT64, .u.f = 2.5},
                     {.type = DUSK_TYPE_STRING, .u.s = {"zz", 2}}};
  dusk_plan *p = dusk_plan_sort_values(leaf("s.csv"), by, 1, asc, 1), *q = NULL,
            *c;
  dusk_buf b;
  packed pk;
  ck_assert_int_eq(dusk_plan_set_parts(p, 0, d, 3), 0);
  ck_assert_uint_eq(p->nparts, 2);
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_plan_encode(p, &b), 0);
  ck_assert_int_eq(dusk_plan_decode(sl((const char *)b.data, b.len), &q, NULL),
                   0);
  c = dusk_plan_clone(q);
  for (int k = 0; k < 2; k++) {
    const dusk_plan *x = k ? c : q;
    ck_assert_uint_eq(x->nparts, 2);
    ck_assert_uint_eq(x->ndivisions, 3);
    ck_assert_ptr_null(x->dir);
    ck_assert(!x->divisions_only);
    ck_assert(dusk_plan_sorts_rows(x)); /* computed whole: parts unused */
    ck_assert(!dusk_plan_range_sort(x));
    ck_assert_int_eq(x->divisions[0].u.i, -4);
    ck_assert(x->divisions[1].u.f == 2.5);
    ck_assert_uint_eq(x->divisions[2].u.s.len, 2);
    ck_assert_int_eq(memcmp(x->divisions[2].u.s.ptr, "zz", 2), 0);
  }
  dusk_plan_free(c);
  dusk_plan_free(q);
  /* npartitions alone, as a divisions query: a range sort */
  ck_assert_int_eq(dusk_plan_set_parts(p, 7, NULL, 0), 0);
  ck_assert_uint_eq(p->ndivisions, 0);
  p->divisions_only = true;
  b.len = 0;
  ck_assert_int_eq(dusk_plan_encode(p, &b), 0);
  ck_assert_int_eq(dusk_plan_decode(sl((const char *)b.data, b.len), &q, NULL),
                   0);
  ck_assert_uint_eq(q->nparts, 7);
  ck_assert(q->divisions_only && dusk_plan_range_sort(q));
  ck_assert(!dusk_plan_sorts_rows(q) && !dusk_plan_sorted_write(q));
  dusk_plan_free(q);
  dusk_plan_free(p);
  dusk_buf_destroy(&b);
  /* refusals: [nparts, divisions, divisions_only] after kind and dir */
  for (int bad = 0; bad < 6; bad++) {
    packed_init(&pk);
    msgpack_pack_array(&pk.pk, 2);
    pk_node(&pk, DUSK_PLAN_SORT_VALUES, 1, 5);
    msgpack_pack_array(&pk.pk, 1);
    pk_s(&pk, "x");
    msgpack_pack_array(&pk.pk, 1);
    msgpack_pack_true(&pk.pk);
    msgpack_pack_false(&pk.pk);
    if (bad == 5)
      pk_s(&pk, "/tmp/d"); /* a directory and a divisions query */
    else
      msgpack_pack_nil(&pk.pk);
    msgpack_pack_array(&pk.pk, 3);
    msgpack_pack_int(&pk.pk, bad == 0 ? 300 : bad == 1 ? 3 : 1);
    if (bad == 1 || bad == 2 || bad == 3) {
      msgpack_pack_array(&pk.pk, 2);
      msgpack_pack_int(&pk.pk, 0);
      if (bad == 3)
        msgpack_pack_double(&pk.pk, NAN);
      else
        msgpack_pack_nil(&pk.pk);
    } else {
      msgpack_pack_nil(&pk.pk);
    }
    if (bad == 4)
      msgpack_pack_int(&pk.pk, 1);
    else
      msgpack_pack_true(&pk.pk);
    pk_leaf(&pk);
    expect_packed_fail(&pk, bad == 4 ? DUSK_ETYPE : DUSK_EINVAL,
                       "plan sort_values",
                       bad == 0   ? "npartitions 300"
                       : bad == 1 ? "2 divisions for 3 partitions"
                       : bad == 2 ? "division 1 is null"
                       : bad == 3 ? "division 1 is null or NaN"
                       : bad == 4 ? "divisions_only"
                                  : "a sorted to_csv needs");
  }
}
END_TEST

static void pk_sep(packed *p, const char *sep, size_t n) {
  packed_init(p);
  msgpack_pack_array(&p->pk, 1);
  pk_node(p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p->pk, 1);
  pk_s(p, "a.csv");
  msgpack_pack_str_with_body(&p->pk, sep, n);
  msgpack_pack_int(&p->pk, 0);
  msgpack_pack_array(&p->pk, 0);
  msgpack_pack_map(&p->pk, 0);
}

START_TEST(test_bad_sep_and_paths) {
  packed p;
  pk_sep(&p, ";;", 2);
  expect_packed_fail(&p, DUSK_EINVAL, "plan read_csv",
                     "sep must be a single byte, got 2 bytes");
  pk_sep(&p, "", 0);
  expect_packed_fail(&p, DUSK_EINVAL, "plan read_csv", "got 0 bytes");
  pk_sep(&p, "\xe2\x82\xac", 3); /* a euro sign is three bytes */
  expect_packed_fail(&p, DUSK_EINVAL, "plan read_csv: sep", "3 bytes");
  pk_sep(&p, "\"", 1);
  expect_packed_fail(&p, DUSK_EINVAL, "plan read_csv: sep 0x22", NULL);
  pk_sep(&p, "\n", 1);
  expect_packed_fail(&p, DUSK_EINVAL, "plan read_csv: sep 0x0a", NULL);
  pk_sep(&p, "\0", 1);
  expect_packed_fail(&p, DUSK_EINVAL, "plan read_csv: sep 0x00", NULL);
  /* No paths; an empty path; a path with a NUL byte. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 0);
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 0);
  expect_packed_fail(&p, DUSK_EINVAL, "plan read_csv: path", "at least 1");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 2);
  pk_s(&p, "a.csv");
  pk_s(&p, "");
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 0);
  expect_packed_fail(&p, DUSK_EINVAL, "plan read_csv: path 2 is empty", NULL);
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_READ_CSV, 0, 5);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, "a\0.csv", 6);
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 0);
  expect_packed_fail(&p, DUSK_EINVAL, "plan read_csv: path 1",
                     "contains a NUL byte");
  /* A name longer than 64 KiB. */
  size_t big = 65537;
  char *name = malloc(big);
  memset(name, 'n', big);
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_SELECT, 1, 1);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, name, big);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETOOBIG, "plan select: column 1", "65537 bytes");
  /* 64 KiB exactly is fine. */
  dusk_plan *q = NULL;
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_SELECT, 1, 1);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_str_with_body(&p.pk, name, 65536);
  pk_leaf(&p);
  ck_assert_int_eq(dusk_plan_decode(sl(p.sb.data, p.sb.size), &q, NULL), 0);
  ck_assert_uint_eq(strlen(q->columns[0]), 65536);
  dusk_plan_free(q);
  msgpack_sbuffer_destroy(&p.sb);
  free(name);
}
END_TEST

START_TEST(test_bad_fills) {
  packed p;
  /* No fills. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_FILLNA, 1, 1);
  msgpack_pack_array(&p.pk, 0);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EINVAL, "plan fillna", "no fill values");
  /* A null fill value. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_FILLNA, 1, 1);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 2);
  pk_s(&p, "c");
  msgpack_pack_nil(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EINVAL, "plan fillna: fill 1", "null");
  /* A fill for every column beside per-column fills. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_FILLNA, 1, 1);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_array(&p.pk, 2);
  pk_s(&p, "c");
  msgpack_pack_int(&p.pk, 1);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_nil(&p.pk);
  msgpack_pack_int(&p.pk, 0);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EINVAL, "plan fillna: fill 2", "only one");
}
END_TEST

START_TEST(test_wrong_child_counts) {
  packed p;
  /* read_csv with an input. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_array(&p.pk, 7);
  msgpack_pack_int(&p.pk, DUSK_PLAN_READ_CSV);
  msgpack_pack_int(&p.pk, 1);
  msgpack_pack_array(&p.pk, 1);
  pk_s(&p, "a.csv");
  pk_s(&p, ",");
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 0);
  msgpack_pack_map(&p.pk, 0);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EPROTO, "plan read_csv",
                     "1 inputs, expected none");
  /* head with 0 and with 2 inputs. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_LEN, 0, 0);
  expect_packed_fail(&p, DUSK_EPROTO, "plan len", "0 inputs, expected 1");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  pk_node(&p, DUSK_PLAN_HEAD, 2, 1);
  msgpack_pack_int(&p.pk, 3);
  pk_leaf(&p);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EPROTO, "plan head", "2 inputs, expected 1");
  /* concat of nothing. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  pk_node(&p, DUSK_PLAN_CONCAT, 0, 0);
  expect_packed_fail(&p, DUSK_EPROTO, "plan concat",
                     "0 inputs, expected at least 1");
  /* concat declaring more inputs than nodes follow. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  pk_node(&p, DUSK_PLAN_CONCAT, 1000000, 0);
  pk_leaf(&p);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EPROTO, "plan concat",
                     "1000000 inputs, but only 2 nodes follow");
  /* An input missing deeper down: concat(head(?), read). */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  pk_node(&p, DUSK_PLAN_CONCAT, 2, 0);
  pk_node(&p, DUSK_PLAN_LEN, 1, 0);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EPROTO, "plan", "missing");
  /* Nodes after the complete plan. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  pk_node(&p, DUSK_PLAN_LEN, 1, 0);
  pk_leaf(&p);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_ETRAILING, "plan", "1 nodes after");
}
END_TEST

START_TEST(test_huge_declared_counts) {
  /* Refused by the header walk before anything is reserved. */
  static const unsigned char top[] = {0xdd, 0x7f, 0xff, 0xff, 0xff, 0x90};
  expect_plan_fail(top, sizeof top, DUSK_ETOOBIG, "plan", "2147483647");
  static const unsigned char paths[] = {0x91, 0x97, 0x01, 0x00, 0xdd,
                                        0x10, 0x00, 0x00, 0x00, 0xa1,
                                        ',',  0x00, 0x90, 0x80};
  expect_plan_fail(paths, sizeof paths, DUSK_ETOOBIG, "plan", "268435456");
  static const unsigned char dtypes[] = {0x91, 0x97, 0x01, 0x00, 0x91, 0xa1,
                                         'a',  0xa1, ',',  0x00, 0x90, 0xdf,
                                         0x10, 0x00, 0x00, 0x00};
  expect_plan_fail(dtypes, sizeof dtypes, DUSK_ETOOBIG, "plan", NULL);
  /* A str length that cannot fit. */
  static const unsigned char str[] = {0x91, 0x93, 0x07, 0x01, 0xdb,
                                      0xff, 0xff, 0xff, 0xff, 0xa0};
  expect_plan_fail(str, sizeof str, DUSK_ETRUNC, "plan", NULL);
  /* A deep msgpack nesting where a plan node belongs. */
  char deep[40];
  memset(deep, 0x91, sizeof deep - 1);
  deep[sizeof deep - 1] = 0x01;
  expect_plan_fail(deep, sizeof deep, DUSK_EDEPTH, "plan", "nesting");
}
END_TEST

START_TEST(test_trailing_bytes) {
  dusk_plan *p = realistic_plan();
  size_t len;
  char *bytes = encode_plan(p, &len);
  char *more = malloc(len + 3);
  memcpy(more, bytes, len);
  memcpy(more + len, "\x01\x02\x03", 3);
  expect_plan_fail(more, len + 1, DUSK_ETRAILING, "plan", "1 trailing bytes");
  expect_plan_fail(more, len + 3, DUSK_ETRAILING, "plan", "3 trailing bytes");
  /* Two plans back to back are not one plan. */
  memcpy(more, bytes, len);
  free(more);
  more = malloc(2 * len);
  memcpy(more, bytes, len);
  memcpy(more + len, bytes, len);
  expect_plan_fail(more, 2 * len, DUSK_ETRAILING, "plan", NULL);
  free(more);
  free(bytes);
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_malformed_expr) {
  packed p;
  /* Unknown kind, wrong op, wrong field counts. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_int(&p.pk, 11);
  expect_expr_fail(&p, DUSK_EPROTO, "expr node 1", "unknown kind 11");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_COMPARE);
  msgpack_pack_int(&p.pk, 7);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_COLUMN);
  pk_s(&p, "a");
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_LITERAL);
  msgpack_pack_int(&p.pk, 1);
  expect_expr_fail(&p, DUSK_EINVAL, "expr node 1",
                   "unknown comparison operator 7");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 3);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_ARITH);
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_COLUMN);
  pk_s(&p, "a");
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_COLUMN);
  pk_s(&p, "b");
  expect_expr_fail(&p, DUSK_EINVAL, "expr node 1",
                   "unknown arithmetic operator 0");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_NOT);
  msgpack_pack_int(&p.pk, 0);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_COLUMN);
  pk_s(&p, "a");
  expect_expr_fail(&p, DUSK_ETYPE, "expr node 1", "expected 1 fields, got 2");
  /* A column name that is not a str; a literal that is a map. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_COLUMN);
  msgpack_pack_int(&p.pk, 3);
  expect_expr_fail(&p, DUSK_ETYPE, "expr node 1: column", "got int");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_LITERAL);
  msgpack_pack_map(&p.pk, 0);
  expect_expr_fail(&p, DUSK_ETYPE, "expr node 1: value", "got map");
  /* An operand missing; nodes left over; nothing at all. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_int(&p.pk, DUSK_EXPR_AND);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_COLUMN);
  pk_s(&p, "a");
  expect_expr_fail(&p, DUSK_EPROTO, "expr", "operand is missing");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_COLUMN);
  pk_s(&p, "a");
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_COLUMN);
  pk_s(&p, "b");
  expect_expr_fail(&p, DUSK_ETRAILING, "expr", "1 nodes after");
  packed_init(&p);
  msgpack_pack_array(&p.pk, 0);
  expect_expr_fail(&p, DUSK_EINVAL, "expr", "empty expression");
  packed_init(&p);
  pk_s(&p, "a > 1");
  expect_expr_fail(&p, DUSK_ETYPE, "expr", "got str");
  /* Inside a plan the message names the node. */
  packed_init(&p);
  msgpack_pack_array(&p.pk, 2);
  pk_node(&p, DUSK_PLAN_QUERY, 1, 2);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_int(&p.pk, DUSK_EXPR_NOT);
  msgpack_pack_nil(&p.pk);
  pk_leaf(&p);
  expect_packed_fail(&p, DUSK_EPROTO, "plan query: expr", "missing");
  /* A float32 literal widens to float64. */
  dusk_expr *e = NULL;
  packed_init(&p);
  msgpack_pack_array(&p.pk, 1);
  msgpack_pack_array(&p.pk, 2);
  msgpack_pack_int(&p.pk, DUSK_EXPR_LITERAL);
  msgpack_pack_float(&p.pk, 1.5f);
  ck_assert_int_eq(dusk_expr_decode(sl(p.sb.data, p.sb.size), &e, NULL), 0);
  ck_assert_int_eq(e->value.type, DUSK_TYPE_FLOAT64);
  ck_assert(e->value.u.f == 1.5);
  dusk_expr_free(e);
  msgpack_sbuffer_destroy(&p.sb);
}
END_TEST

/* ---- copies, constructors, formatting ------------------------------------ */

START_TEST(test_clone_equals_original) {
  dusk_plan *p = sample_plan(_i), *c = dusk_plan_clone(p);
  size_t len1, len2;
  char *b1, *b2;
  ck_assert_ptr_nonnull(c);
  ck_assert_ptr_ne(c, p);
  ck_assert_ptr_null(plan_diff(p, c));
  b1 = encode_plan(p, &len1);
  /* The clone shares nothing: it outlives the original. */
  dusk_plan_free(p);
  b2 = encode_plan(c, &len2);
  ck_assert_uint_eq(len1, len2);
  ck_assert_mem_eq(b1, b2, len1);
  free(b1);
  free(b2);
  dusk_plan_free(c);
  ck_assert_ptr_null(dusk_plan_clone(NULL));
}
END_TEST

START_TEST(test_constructors_copy_and_own) {
  char path[] = "mutable.csv", colname[] = "c1", text[] = "c1 > 1";
  const char *paths[1] = {path};
  dusk_value sv;
  char strbuf[] = "fill";
  dusk_fill f;
  dusk_plan *p;
  dusk_expr *e;

  /* Strings are copied: changing the caller's buffers changes nothing. */
  sv = tu_str(strbuf);
  f.column = colname;
  f.value = sv;
  e = cmp(DUSK_CMP_GT, col(colname), lit(sv));
  p = dusk_plan_query(
      dusk_plan_fillna(dusk_plan_read_csv(paths, 1, NULL), &f, 1), e, text);
  ck_assert_ptr_nonnull(p);
  path[0] = colname[0] = text[0] = strbuf[0] = 'X';
  ck_assert_str_eq(p->expr_text, "c1 > 1");
  ck_assert_str_eq(p->expr->a->name, "c1");
  ck_assert_mem_eq(p->expr->b->value.u.s.ptr, "fill", 4);
  ck_assert_str_eq(p->inputs[0]->fills[0].column, "c1");
  ck_assert_mem_eq(p->inputs[0]->fills[0].value.u.s.ptr, "fill", 4);
  ck_assert_str_eq(p->inputs[0]->inputs[0]->paths[0], "mutable.csv");
  ck_assert_int_eq(p->inputs[0]->inputs[0]->csv.sep, ',');
  dusk_plan_free(p);

  /* A NULL child (an earlier out-of-memory) gives NULL, and whatever else
   * the constructor was given is freed (LSan checks). */
  ck_assert_ptr_null(dusk_plan_head(NULL, 3));
  ck_assert_ptr_null(dusk_plan_query(leaf("x.csv"), NULL, "t"));
  ck_assert_ptr_null(dusk_plan_query(NULL, taxi_expr(), "t"));
  dusk_plan *ins[3] = {leaf("a.csv"), NULL, leaf("b.csv")};
  ck_assert_ptr_null(dusk_plan_concat(ins, 3));
  ck_assert_ptr_null(dusk_expr_node(DUSK_EXPR_AND, 0, col("a"), NULL));
  ck_assert_ptr_null(dusk_expr_node(DUSK_EXPR_NOT, 0, NULL, col("b")));
  ck_assert_ptr_null(dusk_expr_node(DUSK_EXPR_COLUMN, 0, col("a"), col("b")));
  /* A unary node drops a stray second operand. */
  e = dusk_expr_node(DUSK_EXPR_NOT, 5, col("a"), col("b"));
  ck_assert_ptr_nonnull(e);
  ck_assert_ptr_null(e->b);
  ck_assert_int_eq(e->op, 0);
  dusk_expr_free(e);
  dusk_plan_free(NULL);
  dusk_expr_free(NULL);

  /* A zeroed options struct means the defaults. */
  dusk_csv_options o;
  memset(&o, 0, sizeof o);
  p = dusk_plan_read_csv(paths, 1, &o);
  ck_assert_int_eq(p->csv.sep, ',');
  ck_assert_ptr_null(p->csv.usecols);
  ck_assert_ptr_null(p->csv.dtypes);
  plan_roundtrip(p);
  dusk_plan_free(p);
  /* usecols: NULL (every column) and empty (none) survive the wire. */
  for (int none = 0; none <= 1; none++) {
    dusk_plan *q = NULL;
    char *empty[1] = {NULL};
    size_t len;
    char *bytes;
    memset(&o, 0, sizeof o);
    o.usecols = none ? empty : NULL;
    p = dusk_plan_read_csv(paths, 1, &o);
    ck_assert(none ? p->csv.usecols != NULL : p->csv.usecols == NULL);
    bytes = encode_plan(p, &len);
    ck_assert_int_eq(dusk_plan_decode(sl(bytes, len), &q, NULL), 0);
    ck_assert(none ? q->csv.usecols != NULL : q->csv.usecols == NULL);
    ck_assert_uint_eq(q->csv.nusecols, 0);
    dusk_plan_free(q);
    q = dusk_plan_clone(p);
    ck_assert(none ? q->csv.usecols != NULL : q->csv.usecols == NULL);
    dusk_plan_free(q);
    dusk_plan_free(p);
    free(bytes);
  }
  /* value_counts keeps its column in columns[0]. */
  p = dusk_plan_value_counts(leaf("v.csv"), "zone");
  ck_assert_uint_eq(p->ncolumns, 1);
  ck_assert_str_eq(p->columns[0], "zone");
  dusk_plan_free(p);
}
END_TEST

START_TEST(test_expr_format) {
  static const char nul[] = "a\0b";
  char out[256];
  struct {
    dusk_expr *e;
    const char *want;
  } cases[] = {
      {taxi_expr(), "(PULocationID > 200) and (SR_Flag == 1)"},
      {cmp(DUSK_CMP_NE, col("name"), lit(tu_str("O'Brien \"Bob\" \\ x"))),
       "name != \"O'Brien \\\"Bob\\\" \\\\ x\""},
      {cmp(DUSK_CMP_EQ, col("city"), lit(tu_str("M\xc3\xbcnchen\n"))),
       "city == \"M\xc3\xbcnchen\\n\""},
      {cmp(DUSK_CMP_EQ, col("b"), lit(tu_strn(nul, 3))), "b == \"a\\x00b\""},
      {or_(unary(DUSK_EXPR_ISNULL, col("a")),
           unary(DUSK_EXPR_NOT, cmp(DUSK_CMP_LE, col("b"), lit(tu_float(2))))),
       "a.isnull() or (not (b <= 2.0))"},
      {cmp(DUSK_CMP_GE,
           arith(DUSK_ARITH_MOD,
                 arith(DUSK_ARITH_ADD, col("x"), lit(tu_int(-3))),
                 lit(tu_int(7))),
           lit(tu_float(0.1))),
       "((x + -3) % 7) >= 0.1"},
      {unary(DUSK_EXPR_NOTNULL, arith(DUSK_ARITH_DIV, col("a"), col("b"))),
       "(a / b).notnull()"},
      {cmp(DUSK_CMP_LT,
           arith(DUSK_ARITH_SUB, col("trip miles"),
                 arith(DUSK_ARITH_MUL, col("and"), col("_ok1"))),
           lit(tu_float(1e300))),
       "(`trip miles` - (`and` * _ok1)) < 1e+300"},
      {and_(cmp(DUSK_CMP_EQ, col("f"), lit(tu_bool(true))),
            cmp(DUSK_CMP_NE, col("g"), lit(tu_null()))),
       "(f == True) and (g != None)"},
      {cmp(DUSK_CMP_EQ, col("i"), lit(tu_int(INT64_MIN))),
       "i == -9223372036854775808"},
      {lit(tu_float(-0.0)), "-0.0"},
      {col("9lives"), "`9lives`"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ck_assert_ptr_nonnull(cases[i].e);
    dusk_expr_format(cases[i].e, out, sizeof out);
    ck_assert_str_eq(out, cases[i].want);
  }
  /* Truncated to the buffer, always terminated. */
  dusk_expr_format(cases[0].e, out, 10);
  ck_assert_str_eq(out, "(PULocati");
  out[0] = 'z';
  dusk_expr_format(cases[0].e, out, 1);
  ck_assert_str_eq(out, "");
  out[0] = 'z';
  dusk_expr_format(cases[0].e, out, 0);
  ck_assert_int_eq(out[0], 'z');
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    dusk_expr_free(cases[i].e);
}
END_TEST

/* A value of this type for fill_mixes (a string: "x"). */
static dusk_value fill_of(dusk_type t) {
  dusk_value v;
  memset(&v, 0, sizeof v);
  v.type = t;
  if (t == DUSK_TYPE_STRING) {
    v.u.s.ptr = "x";
    v.u.s.len = 1;
  }
  return v;
}

START_TEST(test_fill_mixes) {
  /* pandas: a number into numbers stays numbers; any other kind mixes */
  static const struct {
    dusk_type column, value;
    int mixes;
  } cases[] = {
      {DUSK_TYPE_INT64, DUSK_TYPE_INT64, 0},
      {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64, 0},
      {DUSK_TYPE_FLOAT64, DUSK_TYPE_INT64, 0},
      {DUSK_TYPE_STRING, DUSK_TYPE_STRING, 0},
      {DUSK_TYPE_BOOL, DUSK_TYPE_BOOL, 0},
      {DUSK_TYPE_INT64, DUSK_TYPE_STRING, 1},
      {DUSK_TYPE_FLOAT64, DUSK_TYPE_BOOL, 1},
      {DUSK_TYPE_BOOL, DUSK_TYPE_INT64, 1},
      {DUSK_TYPE_STRING, DUSK_TYPE_INT64, 1},
      {DUSK_TYPE_STRING, DUSK_TYPE_BOOL, 1},
      {DUSK_TYPE_NULL, DUSK_TYPE_STRING, 0},
      {DUSK_TYPE_DATETIME, DUSK_TYPE_STRING, 1}, /* "x": no date-time */
      {DUSK_TYPE_DATETIME, DUSK_TYPE_INT64, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dusk_value v = fill_of(cases[i].value);
    ck_assert_int_eq(dusk_plan_fill_mixes(cases[i].column, &v),
                     cases[i].mixes);
  }
  /* an ISO date-time string fills a datetime column as that Timestamp,
   * as pandas parses it; another string (even a date pandas would read
   * in another form) mixes */
  {
    static const char *const iso[] = {"2019-01-01", "2019-01-01 10:30",
                                      "2019-01-01T10:30:00.5"};
    static const char *const other[] = {"soon", "2019-02-30", "1/5/2019"};
    dusk_value v = fill_of(DUSK_TYPE_STRING);
    int64_t ns = 0;
    for (size_t i = 0; i < 3; i++) {
      v.u.s.ptr = iso[i];
      v.u.s.len = strlen(iso[i]);
      ck_assert(dusk_plan_fill_datetime(DUSK_TYPE_DATETIME, &v, &ns));
      ck_assert_int_eq(dusk_plan_fill_mixes(DUSK_TYPE_DATETIME, &v), 0);
      ck_assert(!dusk_plan_fill_datetime(DUSK_TYPE_STRING, &v, &ns));
      v.u.s.ptr = other[i];
      v.u.s.len = strlen(other[i]);
      ck_assert(!dusk_plan_fill_datetime(DUSK_TYPE_DATETIME, &v, &ns));
      ck_assert_int_eq(dusk_plan_fill_mixes(DUSK_TYPE_DATETIME, &v), 1);
    }
    v.u.s.ptr = "2019-01-01";
    v.u.s.len = 10;
    ck_assert(dusk_plan_fill_datetime(DUSK_TYPE_DATETIME, &v, &ns));
    ck_assert_int_eq(ns, 1546300800000000000LL);
  }
}
END_TEST

START_TEST(test_encode_appends) {
  /* Encoding appends after what the buffer holds. */
  dusk_plan *p = realistic_plan(), *q = NULL;
  dusk_buf b;
  size_t len;
  char *alone = encode_plan(p, &len);
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_buf_append(&b, "hdr", 3), 0);
  ck_assert_int_eq(dusk_plan_encode(p, &b), 0);
  ck_assert_uint_eq(b.len, 3 + len);
  ck_assert_mem_eq(b.data + 3, alone, len);
  ck_assert_int_eq(dusk_plan_decode(sl(b.data + 3, len), &q, NULL), 0);
  ck_assert_ptr_null(plan_diff(p, q));
  dusk_plan_free(q);
  dusk_buf_destroy(&b);
  free(alone);
  dusk_plan_free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("plan");
  TCase *tc;

  tc = tcase_create("names");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_type_names);
  tcase_add_test(tc, test_type_common);
  tcase_add_test(tc, test_agg_names);
  tcase_add_test(tc, test_fill_mixes);
  tcase_add_test(tc, test_terminal_kinds);
  tcase_add_test(tc, test_post_steps);
  tcase_add_test(tc, test_value_counts_masked);
  tcase_add_test(tc, test_masked_columns);
  tcase_add_test(tc, test_frame_reduce_roundtrip);
  tcase_add_test(tc, test_merge_names);
  tcase_add_test(tc, test_bad_sort_values);
  tcase_add_test(tc, test_sort_kind_wire);
  tcase_add_test(tc, test_sort_parts_wire);
  suite_add_tcase(s, tc);

  tc = tcase_create("roundtrip");
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_roundtrip_every_plan, 0, NSAMPLES);
  tcase_add_test(tc, test_bad_quantiles);
  tcase_add_test(tc, test_roundtrip_every_expr);
  tcase_add_test(tc, test_realistic_nested_plan);
  tcase_add_test(tc, test_depth_limits);
  tcase_add_test(tc, test_encode_appends);
  tcase_add_test(tc, test_set_index);
  suite_add_tcase(s, tc);

  tc = tcase_create("truncated");
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_truncated_prefixes, 0, NSAMPLES);
  tcase_add_test(tc, test_truncated_expr_prefixes);
  tcase_add_loop_test(tc, test_mutated_bytes, 0, NSAMPLES);
  suite_add_tcase(s, tc);

  tc = tcase_create("malformed");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_not_a_plan);
  tcase_add_test(tc, test_wrong_kind);
  tcase_add_test(tc, test_wrong_field_types);
  tcase_add_test(tc, test_wrong_field_count);
  tcase_add_test(tc, test_unknown_dtype);
  tcase_add_test(tc, test_unknown_agg);
  tcase_add_test(tc, test_bad_numbers);
  tcase_add_test(tc, test_bad_sep_and_paths);
  tcase_add_test(tc, test_bad_fills);
  tcase_add_test(tc, test_wrong_child_counts);
  tcase_add_test(tc, test_huge_declared_counts);
  tcase_add_test(tc, test_trailing_bytes);
  tcase_add_test(tc, test_malformed_expr);
  suite_add_tcase(s, tc);

  tc = tcase_create("objects");
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_clone_equals_original, 0, NSAMPLES);
  tcase_add_test(tc, test_constructors_copy_and_own);
  tcase_add_test(tc, test_expr_format);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
