/* check_dataframe.c - the C dataframe API of client/dusk.h end to end on a
 * LocalCluster: builders, dusk_compute, typed result accessors, writers,
 * and errors that name the column (with a suggestion) or the file. */
#include "dusk.h"
#include "testutil.h"

#include <check.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];
static dusk_cluster *cluster;
static dusk_client *client;

/* 12 rows; key k in {a, b, c}, int x with a null, float y, bool f, and a
 * quoted field with a comma and a newline. */
static const char data[] =
    "k,x,y,f,note\n"
    "a,1,0.5,True,plain\n"
    "b,2,1.5,False,\"with, comma\"\n"
    "a,,2.5,True,\"two\nlines\"\n"
    "c,4,3.5,False,x\n"
    "b,5,,True,y\n"
    "a,6,4.5,False,z\n"
    "c,7,5.5,True,\n"
    "b,8,6.5,False,w\n"
    "a,9,7.5,True,v\n"
    ",10,8.5,False,null key\n"
    "c,11,9.5,True,u\n"
    "b,12,10.5,False,t\n";

static void setup(void) {
  dusk_cluster_options o;
  dusk_error err = {0};
  FILE *f;
  snprintf(dir, sizeof dir, "/tmp/dusk-df-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/data.csv", dir);
  f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(data, f);
  fclose(f);
  dusk_cluster_options_init(&o);
  o.nworkers = 2;
  ck_assert_msg(dusk_cluster_start(&o, &cluster, &err) == 0, "%s",
                err.message);
  ck_assert_msg(dusk_cluster_client(cluster, &client, &err) == 0, "%s",
                err.message);
}

static void teardown(void) {
  dusk_client_free(client);
  dusk_cluster_stop(cluster);
  unlink(path);
  rmdir(dir);
}

static dusk_dataframe *read_data(int64_t blocksize) {
  const char *paths[] = {path};
  dusk_read_options o;
  dusk_error err = {0};
  dusk_dataframe *f;
  memset(&o, 0, sizeof o);
  o.blocksize = blocksize;
  f = dusk_read_csv(paths, 1, &o, &err);
  ck_assert_msg(f != NULL, "%s", err.message);
  return f;
}

static dusk_table *compute(dusk_dataframe *f) {
  dusk_table *t = NULL;
  dusk_error err = {0};
  ck_assert_ptr_nonnull(f);
  ck_assert_msg(dusk_compute(client, f, 60000, &t, &err) == 0, "%s",
                err.message);
  dusk_dataframe_free(f);
  return t;
}

/* Typed reads of cells that must hold a value (dusk.h's accessors return
 * 1 for a null and a negative code for a wrong type or index). */
static int64_t cell_i64(const dusk_table *t, size_t col, size_t row) {
  int64_t v = 0;
  int rc = dusk_table_int64(t, col, row, &v);
  ck_assert_msg(rc == 0, "int64 at (%zu, %zu): %d %s", col, row, rc,
                rc < 0 ? dusk_strerror(rc) : "null");
  return v;
}

static double cell_f64(const dusk_table *t, size_t col, size_t row) {
  double v = 0;
  int rc = dusk_table_float64(t, col, row, &v);
  ck_assert_msg(rc == 0, "float64 at (%zu, %zu): %d %s", col, row, rc,
                rc < 0 ? dusk_strerror(rc) : "null");
  return v;
}

static const char *cell_str(const dusk_table *t, size_t col, size_t row,
                            size_t *len) {
  const char *s = NULL;
  int rc = dusk_table_string(t, col, row, &s, len);
  ck_assert_msg(rc == 0, "string at (%zu, %zu): %d %s", col, row, rc,
                rc < 0 ? dusk_strerror(rc) : "null");
  return s;
}

static char *print_csv(const dusk_table *t) {
  char *text = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(m);
  ck_assert_int_eq(dusk_table_print(t, DUSK_FORMAT_CSV, m), 0);
  fclose(m);
  return text;
}

START_TEST(test_groupby_count_and_types) {
  /* Small partitions: the quoted newline crosses boundaries. */
  const char *keys[] = {"k"};
  const char *funcs[] = {"count"};
  const char *cols[] = {NULL};
  dusk_error err = {0};
  dusk_table *t = compute(
      dusk_groupby(read_data(_i ? 16 : 0), keys, 1, cols, funcs, 1, &err));
  char *csv = print_csv(t);
  ck_assert_int_eq(dusk_table_nrows(t), 3); /* the null key is dropped */
  ck_assert_int_eq(dusk_table_nindex(t), 1);
  ck_assert_str_eq(dusk_table_column_name(t, 0), "k");
  ck_assert_int_eq(dusk_table_column_type(t, 1), DUSK_COL_INT64);
  ck_assert_str_eq(csv, "k,x,y,f,note\n"
                        "a,3,4,4,4\n"
                        "b,4,3,4,4\n"
                        "c,3,3,3,2\n");
  free(csv);
  dusk_table_free(t);
}
END_TEST

START_TEST(test_fillna_query_head) {
  dusk_error err = {0};
  dusk_dataframe *f = dusk_fillna_int(read_data(32), "x", 0, &err);
  size_t len = 0;
  const char *s;
  dusk_table *t;
  f = dusk_query(f, "x < 5 and f", &err);
  t = compute(dusk_head(f, 10, &err));
  /* Rows 0 (x=1, True) and 2 (x filled to 0, True). */
  ck_assert_int_eq(dusk_table_nrows(t), 2);
  ck_assert_int_eq(cell_i64(t, 0, 0), 0); /* original row labels */
  ck_assert_int_eq(cell_i64(t, 0, 1), 2);
  ck_assert_int_eq(cell_i64(t, 2, 1), 0); /* x filled */
  ck_assert(fabs(cell_f64(t, 3, 1) - 2.5) < 1e-12);
  {
    int b = 0;
    ck_assert_int_eq(dusk_table_bool(t, 4, 1, &b), 0);
    ck_assert_int_eq(b, 1);
  }
  s = cell_str(t, 5, 1, &len);
  ck_assert_int_eq((int)len, 9);
  ck_assert(memcmp(s, "two\nlines", 9) == 0);
  dusk_table_free(t);
}
END_TEST

START_TEST(test_parse_value_counts_len_describe) {
  dusk_dataframe *f = NULL;
  dusk_error err = {0};
  char expr[256];
  dusk_table *t;
  char *csv;
  snprintf(expr, sizeof expr, "read_csv(\"%s\")[\"k\"].value_counts()", path);
  ck_assert_msg(dusk_dataframe_parse(expr, &f, &err) == 0, "%s", err.message);
  t = compute(f);
  csv = print_csv(t);
  ck_assert_str_eq(csv, ",k\na,4\nb,4\nc,3\n");
  free(csv);
  dusk_table_free(t);

  t = compute(dusk_len(read_data(0), &err));
  ck_assert_int_eq(cell_i64(t, 0, 0), 12);
  dusk_table_free(t);

  {
    char out[160];
    snprintf(out, sizeof out, "%s/parts", dir);
    t = compute(dusk_to_csv(read_data(64), out, &err));
    /* One row per partition, and the rows add up to the file's 12. */
    ck_assert_uint_gt(dusk_table_nrows(t), 1);
    {
      int64_t rows = 0;
      for (size_t r = 0; r < dusk_table_nrows(t); r++) {
        size_t len = 0;
        const char *name = cell_str(t, 0, r, &len);
        char part[256];
        ck_assert_ptr_nonnull(name);
        snprintf(part, sizeof part, "%.*s", (int)len, name);
        ck_assert_int_eq(access(part, R_OK), 0);
        unlink(part);
        rows += cell_i64(t, 1, r);
      }
      ck_assert_int_eq(rows, 12);
    }
    rmdir(out);
    dusk_table_free(t);
  }

  t = compute(dusk_describe(read_data(0), &err));
  /* count, mean, std, min, 25%, 50%, 75%, max of x (11 values: 1, 2, 4,
   * ..., 12) and y (11 values) */
  ck_assert_int_eq(dusk_table_nrows(t), 8);
  ck_assert_str_eq(dusk_table_column_name(t, 1), "x");
  ck_assert(fabs(cell_f64(t, 1, 0) - 11) < 1e-12);
  ck_assert(fabs(cell_f64(t, 1, 1) - 75.0 / 11) < 1e-12);
  ck_assert(fabs(cell_f64(t, 1, 3) - 1) < 1e-12);
  ck_assert(cell_f64(t, 1, 4) == 4.5);
  ck_assert(cell_f64(t, 1, 5) == 7);
  ck_assert(cell_f64(t, 1, 6) == 9.5);
  ck_assert(fabs(cell_f64(t, 1, 7) - 12) < 1e-12);
  dusk_table_free(t);
  {
    /* A timedelta's describe: pandas' object column, here text (the
     * count, then each Timedelta as pandas prints it; the mean and std
     * truncated to the nanosecond), values from pandas 1.5. */
    dusk_dataframe *td = dusk_assign(read_data(16), "d",
                                     "to_timedelta('1h') * x + "
                                     "to_timedelta('1ns')",
                                     &err);
    char *text;
    t = compute(dusk_describe_column(td, "d", &err));
    ck_assert_int_eq(dusk_table_column_type(t, 1), DUSK_COL_STRING);
    ck_assert_str_eq(dusk_table_column_pandas_dtype(t, 1), "object");
    text = print_csv(t);
    ck_assert_str_eq(text, ",d\n"
                          "count,11\n"
                          "mean,0 days 06:49:05.454545455\n"
                          "std,0 days 03:36:01.818054298\n"
                          "min,0 days 01:00:00.000000001\n"
                          "25%,0 days 04:30:00.000000001\n"
                          "50%,0 days 07:00:00.000000001\n"
                          "75%,0 days 09:30:00.000000001\n"
                          "max,0 days 12:00:00.000000001\n");
    free(text);
    dusk_table_free(t);
  }
  {
    /* pandas' describe(percentiles=[0.9, 0.1]): sorted, 0.5 added, each
     * row labelled as pandas labels it. */
    const double qs[] = {0.9, 0.1}, dup[] = {0.5, 0.5}, out[] = {1.5};
    static const char *const rows[] = {"count", "mean", "std", "min",
                                       "10%",   "50%",  "90%", "max"};
    t = compute(dusk_describe_percentiles(read_data(16), qs, 2, &err));
    ck_assert_int_eq(dusk_table_nrows(t), 8);
    for (size_t r = 0; r < 8; r++) {
      size_t len = 0;
      const char *name = cell_str(t, 0, r, &len);
      ck_assert_int_eq((int)len, (int)strlen(rows[r]));
      ck_assert(memcmp(name, rows[r], len) == 0);
    }
    ck_assert(cell_f64(t, 1, 4) == 2);  /* x: 1, 2, 4, 5, ..., 12 */
    ck_assert(cell_f64(t, 1, 5) == 7);
    ck_assert(cell_f64(t, 1, 6) == 11);
    ck_assert(fabs(cell_f64(t, 1, 7) - 12) < 1e-12);
    dusk_table_free(t);
    ck_assert_ptr_null(dusk_describe_percentiles(read_data(0), dup, 2, &err));
    ck_assert_msg(strstr(err.message, "duplicates") != NULL, "%s",
                  err.message);
    ck_assert_ptr_null(dusk_describe_percentiles(read_data(0), out, 1, &err));
    ck_assert_msg(strstr(err.message, "interval [0, 1]") != NULL, "%s",
                  err.message);
  }
  {
    /* Exact quantiles of one column after a filter, and its median. */
    const char *cols[] = {"x"};
    const double qs[] = {0, 0.5, 0.9};
    t = compute(dusk_quantile(dusk_query(read_data(0), "x > 1", &err), cols,
                              1, qs, 3, &err));
    ck_assert_int_eq(dusk_table_nrows(t), 3);
    ck_assert(cell_f64(t, 0, 2) == 0.9);
    ck_assert(cell_f64(t, 1, 0) == 2);   /* 2, 4, 5, ..., 12: ten values */
    ck_assert(cell_f64(t, 1, 1) == 7.5); /* between 7 and 8 */
    ck_assert(fabs(cell_f64(t, 1, 2) - 11.1) < 1e-12);
    dusk_table_free(t);
    t = compute(dusk_median(read_data(0), cols, 1, &err));
    ck_assert_int_eq(dusk_table_nrows(t), 1);
    ck_assert(cell_f64(t, 1, 0) == 7);
    dusk_table_free(t);
    ck_assert_ptr_null(dusk_quantile(read_data(0), cols, 1, qs, 0, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "quantile"));
  }
}
END_TEST

/* Steps on a computed result (dusk.h: query, assign, rename, reset_index
 * after a groupby), and a frame's rename and dropna. */
START_TEST(test_result_steps_rename_dropna) {
  const char *keys[] = {"k"}, *sums[] = {"sum"}, *xs[] = {"x"};
  const char *total[] = {"total"}, *key[] = {"key"}, *counts[] = {"count"};
  const char *all[] = {NULL};
  dusk_error err = {0};
  dusk_dataframe *f;
  dusk_table *t;
  char *csv;
  int rc;

  f = dusk_groupby(read_data(_i ? 16 : 0), keys, 1, xs, sums, 1, &err);
  f = dusk_query(f, "x > 20", &err);
  f = dusk_assign(f, "half", "x / 2", &err);
  /* x held a null in the file: pandas' float64, so // gives a float */
  f = dusk_assign(f, "fl", "x // 5", &err);
  f = dusk_rename(f, xs, total, 1, &err);
  f = dusk_reset_index(f, NULL, 0, &err);
  ck_assert_msg(f != NULL, "%s", err.message);
  t = compute(f);
  csv = print_csv(t);
  ck_assert_int_eq(dusk_table_nindex(t), 1);
  ck_assert_int_eq(dusk_table_column_type(t, 4), DUSK_COL_FLOAT64);
  /* total: the sum of x, which pandas holds (and prints) as float64 */
  ck_assert_str_eq(csv, ",k,total,half,fl\n"
                        "0,b,27.0,13.5,5.0\n"
                        "1,c,22.0,11.0,4.0\n");
  free(csv);
  dusk_table_free(t);

  /* Labelled aggregates: named, and two-level (agg({"x": [...]})). */
  {
    const char *cols[] = {"x", "x", "y"}, *fns[] = {"sum", "max", "mean"};
    const char *labels[] = {"x" DUSK_LABEL_LEVEL_SEP "sum",
                            "x" DUSK_LABEL_LEVEL_SEP "max", "avg_y"};
    f = dusk_groupby(read_data(_i ? 16 : 0), keys, 1, cols, fns, 3, &err);
    f = dusk_groupby_labels(f, labels, 3, &err);
    ck_assert_msg(f != NULL, "%s", err.message);
    t = compute(f);
    csv = print_csv(t);
    ck_assert_str_eq(csv, ",x,x,avg_y\n"
                          ",sum,max,\n"
                          "k,,,\n"
                          "a,16.0,9.0,3.75\n"
                          "b,27.0,12.0,6.166666666666667\n"
                          "c,22.0,11.0,6.166666666666667\n");
    free(csv);
    dusk_table_free(t);
    ck_assert_ptr_null(dusk_groupby_labels(
        dusk_groupby(read_data(0), keys, 1, cols, fns, 3, &err), labels, 2,
        &err));
    ck_assert_ptr_nonnull(strstr(err.message, "2 labels for 3"));
  }

  /* An unknown column of the result is named with what it has. */
  f = dusk_query(dusk_groupby(read_data(0), keys, 1, xs, sums, 1, &err),
                 "nope > 1", &err);
  rc = dusk_compute(client, f, 60000, &t, &err);
  dusk_dataframe_free(f);
  ck_assert_int_ne(rc, 0);
  ck_assert_msg(strstr(err.message, "'nope'") &&
                    strstr(err.message, "on the result"),
                "%s", err.message);

  /* A result takes no more row steps of a frame. */
  f = dusk_query(dusk_groupby(read_data(0), keys, 1, xs, sums, 1, &err),
                 "x > 1", &err);
  ck_assert_ptr_null(dusk_groupby(f, keys, 1, xs, sums, 1, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "on a computed result"));

  /* dropna(subset=["x"]): the row with a null x goes. */
  t = compute(dusk_len(dusk_dropna(read_data(0), xs, 1, 0, &err), &err));
  ck_assert_int_eq(cell_i64(t, 0, 0), 11);
  dusk_table_free(t);
  /* how="all" over every column: no row is all null. */
  t = compute(dusk_len(dusk_dropna(read_data(0), NULL, 0, 1, &err), &err));
  ck_assert_int_eq(cell_i64(t, 0, 0), 12);
  dusk_table_free(t);

  /* A frame's rename keeps places; later steps see the new name. */
  f = dusk_rename(read_data(_i ? 16 : 0), keys, key, 1, &err);
  t = compute(dusk_groupby(f, key, 1, all, counts, 1, &err));
  ck_assert_str_eq(dusk_table_column_name(t, 0), "key");
  ck_assert_str_eq(dusk_table_column_name(t, 1), "x");
  ck_assert_int_eq(dusk_table_nrows(t), 3);
  dusk_table_free(t);
}
END_TEST

START_TEST(test_errors_name_column_and_file) {
  const char *keys[] = {"kk"};
  const char *funcs[] = {"sum"};
  const char *cols[] = {"x"};
  const char *missing[] = {"/nonexistent/dusk.csv"};
  const char *notes[] = {"note"};
  dusk_error err = {0};
  dusk_table *t = NULL;
  dusk_dataframe *f;
  int rc;

  f = dusk_groupby(read_data(0), keys, 1, cols, funcs, 1, &err);
  rc = dusk_compute(client, f, 60000, &t, &err);
  dusk_dataframe_free(f);
  ck_assert_int_ne(rc, 0);
  ck_assert_msg(strstr(err.message, "unknown column 'kk'") &&
                    strstr(err.message, "did you mean 'k'"),
                "%s", err.message);

  keys[0] = "k";
  cols[0] = notes[0];
  f = dusk_groupby(read_data(0), keys, 1, cols, funcs, 1, &err);
  rc = dusk_compute(client, f, 60000, &t, &err);
  dusk_dataframe_free(f);
  ck_assert_int_ne(rc, 0);
  ck_assert_msg(strstr(err.message, "cannot sum") &&
                    strstr(err.message, "'note'"),
                "%s", err.message);

  f = dusk_len(dusk_read_csv(missing, 1, NULL, &err), &err);
  rc = dusk_compute(client, f, 60000, &t, &err);
  dusk_dataframe_free(f);
  ck_assert_int_ne(rc, 0);
  ck_assert_msg(strstr(err.message, "/nonexistent/dusk.csv") != NULL, "%s",
                err.message);

  /* first / last are per group: as a whole-frame reduction the builder
   * refuses them, and a parsed one is refused at submit, saying why. */
  {
    const char *firsts[] = {"first"};
    char expr[256];
    ck_assert_ptr_null(dusk_reduce(read_data(0), NULL, firsts, 1, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "unknown reduction 'first'"));
    snprintf(expr, sizeof expr, "read_csv(\"%s\")[\"x\"].last()", path);
    ck_assert_msg(dusk_dataframe_parse(expr, &f, &err) == 0, "%s",
                  err.message);
    rc = dusk_compute(client, f, 60000, &t, &err);
    dusk_dataframe_free(f);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(err.message, "last is a groupby aggregation") &&
                      strstr(err.message, "tail(1)"),
                  "%s", err.message);
  }

  /* A builder refuses a bad argument at once and consumes its input. */
  funcs[0] = "medain";
  ck_assert_ptr_null(
      dusk_groupby(read_data(0), keys, 1, cols, funcs, 1, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "medain"));
  funcs[0] = "median";
  ck_assert_ptr_null(dusk_reduce(read_data(0), cols, funcs, 1, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "dusk_quantile"));
  ck_assert_ptr_null(dusk_groupby_quantile_q(
      dusk_groupby(read_data(0), keys, 1, cols, funcs, 1, &err), 1.5, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "between 0 and 1"));

  /* A step after a terminal one (plan.h) is refused as it is built, not
   * at submit, and the frames are consumed. */
  ck_assert_ptr_null(dusk_head(dusk_len(read_data(0), &err), 5, &err));
  ck_assert_msg(strstr(err.message, "head cannot follow len") != NULL, "%s",
                err.message);
  ck_assert_ptr_null(
      dusk_query(dusk_describe(read_data(0), &err), "x > 1", &err));
  ck_assert_ptr_nonnull(strstr(err.message, "describe must be the last step"));
  {
    dusk_dataframe *parts[2];
    parts[0] = read_data(0);
    parts[1] = dusk_head(read_data(0), 3, &err);
    ck_assert_ptr_null(dusk_concat(parts, 2, &err));
    ck_assert_msg(strstr(err.message, "concat: input 1 is a computed "
                                      "result (its head") != NULL,
                  "%s", err.message);
    /* A step on a result keeps it a result. */
    parts[0] = read_data(0);
    parts[1] = dusk_query(dusk_head(read_data(0), 3, &err), "x > 1", &err);
    ck_assert_ptr_null(dusk_concat(parts, 2, &err));
    ck_assert_msg(strstr(err.message, "concat: input 1 is a computed "
                                      "result (its query") != NULL,
                  "%s", err.message);
  }

  /* The cluster still answers after all of that. */
  t = compute(dusk_len(read_data(0), &err));
  ck_assert_int_eq(cell_i64(t, 0, 0), 12);
  dusk_table_free(t);
}
END_TEST

/* ---- pandas' dtypes of columns whose CSV column holds a null ------------- */

/* 80,000 rows (about 1.6 MB) read in 64 KiB partitions, so about 25 of
 * them, while the scheduler samples the first 256 KiB (some 13,000 rows):
 *   k  int key 1..5, one null at row 70001 (late: no sample sees it)
 *   i  int, one null at row 70003 (late)
 *   b  bool, one null at row 70005 (late)
 *   c  int, no null
 *   e  int, one null at row 5000: inside the sample but in the second
 *      partition, after the rows a head(3) reads
 * pandas' read_csv holds k, i and e as float64 and b as object. */
#define NULLS_ROWS 80000
#define NULLS_BLOCK 65536

static void write_nulls_csv(const char *file) {
  FILE *out = fopen(file, "w");
  ck_assert_ptr_nonnull(out);
  fputs("k,i,b,c,e\n", out);
  for (int r = 0; r < NULLS_ROWS; r++) {
    char k[16], i[16], b[8], e[16];
    snprintf(k, sizeof k, "%d", r % 5 + 1);
    snprintf(i, sizeof i, "%d", r % 1000);
    snprintf(b, sizeof b, "%s", r % 3 == 0 ? "True" : "False");
    snprintf(e, sizeof e, "%d", r % 7);
    fprintf(out, "%s,%s,%s,%d,%s\n", r == 70001 ? "" : k, r == 70003 ? "" : i,
            r == 70005 ? "" : b, r, r == 5000 ? "" : e);
  }
  ck_assert_int_eq(fclose(out), 0);
}

static dusk_table *compute_expr(const char *expr) {
  dusk_dataframe *f = NULL;
  dusk_error err = {0};
  ck_assert_msg(dusk_dataframe_parse(expr, &f, &err) == 0, "%s: %s", expr,
                err.message);
  return compute(f);
}

/* Asserts the pandas dtype of each column of t, in order (index first). */
static void assert_dtypes(const dusk_table *t, const char *what,
                          const char *const *want, size_t n) {
  ck_assert_msg(dusk_table_ncols(t) == n, "%s: %zu columns, wanted %zu", what,
                dusk_table_ncols(t), n);
  for (size_t c = 0; c < n; c++) {
    const char *got = dusk_table_column_pandas_dtype(t, c);
    ck_assert_msg(got != NULL && strcmp(got, want[c]) == 0,
                  "%s: column %zu ('%s') is %s, pandas holds %s", what, c,
                  dusk_table_column_name(t, c), got ? got : "NULL", want[c]);
  }
  ck_assert_ptr_null(dusk_table_column_pandas_dtype(t, n));
}

#define DTYPES(t, what, ...)                                                   \
  do {                                                                         \
    static const char *const want_[] = {__VA_ARGS__};                          \
    assert_dtypes((t), (what), want_, sizeof want_ / sizeof want_[0]);         \
  } while (0)

/* Each answer's dtypes are pandas 1.5's for the same calls on
 * pd.read_csv(file) (checked with pandas when the test was written),
 * except where head stops before a late null (noted below). */
START_TEST(test_pandas_dtypes_of_nulls) {
  char file[160], expr[512];
  dusk_table *t;
  snprintf(file, sizeof file, "%s/nulls.csv", dir);
  write_nulls_csv(file);
#define Q(tail)                                                                \
  (snprintf(expr, sizeof expr, "read_csv(\"%s\", blocksize=%d)%s", file,      \
            NULLS_BLOCK, (tail)),                                              \
   expr)

  /* groupby keys lose their null rows but stay float64; counts are int64. */
  t = compute_expr(Q(".groupby(\"k\").count()"));
  ck_assert_uint_eq(dusk_table_nrows(t), 5);
  ck_assert_int_eq(dusk_table_column_type(t, 0), DUSK_COL_INT64);
  ck_assert_int_eq(dusk_table_is_null(t, 1, 0), 0);
  DTYPES(t, "groupby(k).count()", "float64", "int64", "int64", "int64",
         "int64");
  dusk_table_free(t);

  /* sum/max of a column with a null are float64 (no null is left in
   * them); of a clean one int64; min of bools is bool again in pandas. */
  t = compute_expr(Q(".groupby(\"k\").agg({\"i\": \"sum\", \"c\": \"sum\", "
                     "\"e\": \"max\", \"b\": \"min\"})"));
  ck_assert_int_eq(dusk_table_column_type(t, 1), DUSK_COL_INT64);
  DTYPES(t, "groupby(k).agg(...)", "float64", "float64", "int64", "float64",
         "bool");
  dusk_table_free(t);

  /* value_counts: the values are float64 / object, the counts int64. */
  t = compute_expr(Q("[\"i\"].value_counts()"));
  DTYPES(t, "i.value_counts()", "float64", "int64");
  dusk_table_free(t);
  t = compute_expr(Q("[\"b\"].value_counts()"));
  ck_assert_uint_eq(dusk_table_nrows(t), 2);
  DTYPES(t, "b.value_counts()", "object", "int64");
  dusk_table_free(t);
  /* A bool fill gives pandas a bool column again. */
  t = compute_expr(Q(".fillna({\"b\": True})[\"b\"].value_counts()"));
  DTYPES(t, "fillna(b: True).b.value_counts()", "bool", "int64");
  dusk_table_free(t);

  /* fillna(0) leaves no null but pandas' column stays float64; the rows
   * come from the late partition whose scan saw the null. */
  t = compute_expr(Q(".fillna({\"i\": 0}).query(\"i == 0 and c > 60000\")"
                     ".head(20)"));
  ck_assert_int_gt(dusk_table_nrows(t), 0);
  ck_assert_int_eq(dusk_table_is_null(t, 2, 0), 0);
  DTYPES(t, "fillna(i: 0).query().head()", "int64", "float64", "float64",
         "object", "int64", "float64");
  dusk_table_free(t);

  /* head(3) stops in the first partition: e's null is known from the
   * scheduler's sample, which its partition's scan (stopped before the
   * second partition) never reads; the late nulls of k, i and b are past
   * both, so these three keep their own dtypes here - pandas would say
   * float64, float64, object (finding out means reading the whole file,
   * which head avoids).  The same for head(0). */
  for (int n = 3; n >= 0; n -= 3) {
    char tail[32];
    snprintf(tail, sizeof tail, ".head(%d)", n);
    t = compute_expr(Q(tail));
    ck_assert_uint_eq(dusk_table_nrows(t), (size_t)n);
    DTYPES(t, tail, "int64", "int64", "int64", "bool", "int64", "float64");
    dusk_table_free(t);
  }
#undef Q
  unlink(file);
}
END_TEST

/* ---- a worker killed at a random moment, 20 times ------------------------ */

typedef struct killer {
  pid_t pid;
  unsigned delay_us;
} killer;

static void *kill_later(void *arg) {
  killer *k = arg;
  struct timespec ts = {0, (long)k->delay_us * 1000L};
  nanosleep(&ts, NULL);
  kill(k->pid, SIGKILL);
  return NULL;
}

/* 20 partitions of a 12 MB file, a worker SIGKILLed at a random moment
 * (fixed seed) during each of 20 groupbys: every answer must equal the
 * undisturbed one, and the nanny must bring the worker count back. */
/* Progress reports of a running query reach dusk_client_set_progress's
 * callback.  One worker is stopped (SIGSTOP) before the query, so the query
 * cannot finish before the first report (sent once it has run 200 ms);
 * the callback resumes the worker at the first report. */
typedef struct progress_log {
  int reports;
  dusk_progress last;
  int64_t stopped_pid;
  int monotonic, bounded;
} progress_log;

static void on_progress(void *arg, const char *key, const dusk_progress *p) {
  progress_log *log = arg;
  ck_assert_ptr_nonnull(key);
  if (log->reports > 0 && (p->tasks_done < log->last.tasks_done ||
                           p->bytes_done < log->last.bytes_done))
    log->monotonic = 0;
  if (p->tasks_done > p->tasks_total || p->bytes_done > p->bytes_total)
    log->bounded = 0;
  log->last = *p;
  if (log->reports++ == 0 && log->stopped_pid > 0)
    kill((pid_t)log->stopped_pid, SIGCONT);
}

START_TEST(test_progress_reports) {
  char big[PATH_MAX];
  FILE *f;
  long size, header;
  dusk_worker_status ws[4];
  size_t n = 0;
  dusk_error err = {0};
  progress_log log = {0, {0, 0, 0, 0}, 0, 1, 1};
  const char *paths[1], *keys[] = {"k"}, *cols[] = {NULL},
                         *fns[] = {"count"};
  dusk_read_options o;
  dusk_table *t;
  snprintf(big, sizeof big, "%s/big.csv", dir);
  f = fopen(big, "w");
  ck_assert_ptr_nonnull(f);
  fputs("k,v\n", f);
  header = ftell(f);
  for (int i = 0; i < 40000; i++)
    fprintf(f, "%d,%d\n", i % 7, i);
  size = ftell(f);
  fclose(f);
  ck_assert_int_eq(dusk_client_workers(client, 2, 60000, ws, 4, &n, NULL,
                                       &err), 0);
  log.stopped_pid = ws[0].pid;
  ck_assert_int_eq(kill((pid_t)ws[0].pid, SIGSTOP), 0);
  dusk_client_set_progress(client, on_progress, &log);
  paths[0] = big;
  dusk_read_options_init(&o);
  o.blocksize = 4096;
  t = compute(dusk_groupby(dusk_read_csv(paths, 1, &o, &err), keys, 1, cols,
                           fns, 1, &err));
  dusk_client_set_progress(client, NULL, NULL);
  kill((pid_t)ws[0].pid, SIGCONT); /* in case no report came */
  ck_assert_uint_eq(dusk_table_nrows(t), 7);
  dusk_table_free(t);
  unlink(big);
  ck_assert_int_ge(log.reports, 1);
  ck_assert(log.monotonic);
  ck_assert(log.bounded);
  /* Every range of the file, header excluded, is counted once. */
  ck_assert_uint_eq(log.last.bytes_total, (uint64_t)(size - header));
  ck_assert_uint_gt(log.last.tasks_total, (uint64_t)(size - header) / 4096);
}
END_TEST

START_TEST(test_random_worker_kills_exact) {
  char big[160], expr[256];
  dusk_dataframe *f = NULL;
  dusk_error err = {0};
  dusk_table *t;
  char *want;
  unsigned seed = 12345;
  FILE *out;
  snprintf(big, sizeof big, "%s/big.csv", dir);
  out = fopen(big, "w");
  ck_assert_ptr_nonnull(out);
  fputs("k,x,s\n", out);
  for (int i = 0; i < 600000; i++)
    fprintf(out, "%d,%d,%s\n", i % 97, i, (i % 13) ? "abc" : "");
  fclose(out);
  snprintf(expr, sizeof expr,
           "read_csv(\"%s\", blocksize=600000).groupby(\"k\").agg("
           "{\"x\": \"sum\", \"s\": \"count\"})",
           big);
  ck_assert_msg(dusk_dataframe_parse(expr, &f, &err) == 0, "%s", err.message);
  t = compute(f);
  want = print_csv(t);
  dusk_table_free(t);
  for (int rep = 0; rep < 20; rep++) {
    dusk_worker_status ws[4];
    size_t n = 0;
    pthread_t th;
    killer k;
    char *got;
    int rc;
    /* Both workers up again (the nanny restarts the killed one). */
    ck_assert_msg(dusk_client_workers(client, 2, 30000, ws, 4, &n, NULL,
                                      &err) == 0,
                  "rep %d: %s", rep, err.message);
    seed = seed * 1103515245u + 12345u;
    k.pid = (pid_t)ws[(seed >> 16) % n].pid;
    k.delay_us = (seed >> 8) % 120000; /* within the query's ~0.1 s */
    ck_assert_int_eq(pthread_create(&th, NULL, kill_later, &k), 0);
    ck_assert_msg(dusk_dataframe_parse(expr, &f, &err) == 0, "%s", err.message);
    t = NULL;
    rc = dusk_compute(client, f, 60000, &t, &err);
    dusk_dataframe_free(f);
    pthread_join(th, NULL);
    ck_assert_msg(rc == 0, "rep %d (kill after %u us): %s", rep, k.delay_us,
                  err.message);
    got = print_csv(t);
    ck_assert_msg(strcmp(got, want) == 0, "rep %d: answer differs", rep);
    free(got);
    dusk_table_free(t);
  }
  free(want);
  unlink(big);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dataframe");
  TCase *tc = tcase_create("api");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_groupby_count_and_types, 0, 2);
  tcase_add_test(tc, test_fillna_query_head);
  tcase_add_test(tc, test_parse_value_counts_len_describe);
  tcase_add_test(tc, test_errors_name_column_and_file);
  tcase_add_loop_test(tc, test_result_steps_rename_dropna, 0, 2);
  tcase_add_test(tc, test_pandas_dtypes_of_nulls);
  tcase_add_test(tc, test_random_worker_kills_exact);
  tcase_add_test(tc, test_progress_reports);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
