/* hello_dusk.c - libdusk in one small program.
 *
 * Starts a LocalCluster (a dusk-scheduler and two dusk-workers on loopback),
 * runs a small task graph - ten "constant" tasks summed by one "sum" task -
 * then writes a small CSV and runs a dataframe query on it: the pandas
 * expression
 *
 *     read_csv(path).query("fare > 10").groupby("zone").sum()
 *
 * and prints both results.  Build it against an installed dusk:
 *
 *     cc hello_dusk.c $(pkg-config --cflags --libs dusk) -o hello_dusk
 *     ./hello_dusk
 *
 * (with LD_LIBRARY_PATH=<prefix>/lib when the prefix is not a system one).
 * LocalCluster finds dusk-scheduler and dusk-worker in the bin folder of
 * the installation libdusk was loaded from; $DUSK_BIN_DIR overrides that.
 * `./run.sh test-install` builds and runs this file against a fresh install
 * and checks what it prints. */
#include <dusk.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TIMEOUT_MS 60000

static int fail(const char *what, int rc, const dusk_error *err) {
  fprintf(stderr, "hello_dusk: %s: %s (%s)\n", what,
          err != NULL && err->message[0] ? err->message : "", dusk_strerror(rc));
  return 1;
}

/* sum(constant(1), ..., constant(10)) on the cluster: 55. */
static int run_graph(dusk_client *c) {
  dusk_graph *g = dusk_graph_new();
  const char *deps[10];
  char keys[10][16];
  const char *total = "total";
  int64_t sum = 0;
  dusk_error err;
  int rc;

  if (g == NULL)
    return fail("graph", DUSK_ENOMEM, NULL);
  for (int i = 0; i < 10; i++) {
    snprintf(keys[i], sizeof keys[i], "one-%d", i);
    deps[i] = keys[i];
    if ((rc = dusk_graph_add_int(g, keys[i], "constant", i + 1, NULL, 0)) != 0)
      return fail("graph", rc, NULL);
  }
  if ((rc = dusk_graph_add(g, total, "sum", NULL, 0, deps, 10)) != 0)
    return fail("graph", rc, NULL);
  rc = dusk_client_submit(c, g, &total, 1, TIMEOUT_MS, &err);
  dusk_graph_free(g);
  if (rc != 0)
    return fail("submit", rc, &err);
  if ((rc = dusk_client_gather_int(c, total, TIMEOUT_MS, &sum, &err)) != 0)
    return fail("gather", rc, &err);
  printf("task graph: sum of 1..10 = %" PRId64 "\n", sum);
  return dusk_client_release(c, &total, 1, NULL) == 0 ? 0 : 1;
}

static int write_csv(const char *path) {
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs("zone,fare,tip\n"
        "north,12.5,2\n"
        "south,8.0,0\n"
        "north,20.0,5\n"
        "east,15.25,1\n"
        "south,30.0,4\n"
        "east,9.75,\n",
        f);
  return fclose(f);
}

/* The query's result table, read cell by cell with the typed accessors. */
static int run_query(dusk_client *c, const char *path) {
  const char *keys[] = {"zone"};
  const char *columns[] = {NULL};
  const char *funcs[] = {"sum"};
  dusk_read_options opts;
  dusk_dataframe *f;
  dusk_table *t = NULL;
  dusk_error err;
  int rc;

  dusk_read_options_init(&opts);
  f = dusk_read_csv(&path, 1, &opts, &err);
  if (f != NULL)
    f = dusk_query(f, "fare > 10", &err);
  if (f != NULL)
    f = dusk_groupby(f, keys, 1, columns, funcs, 1, &err);
  if (f == NULL)
    return fail("building the query", err.code, &err);
  rc = dusk_compute(c, f, TIMEOUT_MS, &t, &err);
  dusk_dataframe_free(f);
  if (rc != 0)
    return fail("query", rc, &err);

  printf("dataframe: fare > 10, summed by zone\n");
  for (size_t r = 0; r < dusk_table_nrows(t); r++) {
    const char *zone = NULL;
    size_t len = 0;
    double fare = 0;
    int64_t tip = 0;
    /* tip holds a null: pandas reads it as float64, dusk as int64 with
     * nulls (README, Types).  The int64 read takes either: a whole float
     * converts, a fraction would be DUSK_EWIDEN. */
    if ((rc = dusk_table_string(t, 0, r, &zone, &len)) != 0 ||
        (rc = dusk_table_float64(t, 1, r, &fare)) != 0 ||
        (rc = dusk_table_int64(t, 2, r, &tip)) != 0) {
      dusk_table_free(t);
      return fail("reading the result", rc, NULL);
    }
    printf("  %.*s: fare %.2f tip %" PRId64 "\n", (int)len, zone, fare, tip);
  }
  printf("as pandas prints it:\n");
  dusk_table_print(t, DUSK_FORMAT_TABLE, stdout);
  dusk_table_free(t);
  return 0;
}

int main(void) {
  char dir[] = "/tmp/hello-dusk-XXXXXX";
  char path[64];
  dusk_cluster_options o;
  dusk_cluster *cl = NULL;
  dusk_client *c = NULL;
  dusk_error err;
  int rc, status = 1;

  printf("libdusk %s (header %d.%d.%d), protocol %d\n", dusk_version_string(),
         DUSK_VERSION_MAJOR, DUSK_VERSION_MINOR, DUSK_VERSION_PATCH,
         dusk_protocol_version());
  if (dusk_version() != DUSK_VERSION_HEX)
    fprintf(stderr, "hello_dusk: built against dusk %d.%d.%d, running with "
            "%s\n", DUSK_VERSION_MAJOR, DUSK_VERSION_MINOR, DUSK_VERSION_PATCH,
            dusk_version_string());
  if (mkdtemp(dir) == NULL) {
    perror("hello_dusk: mkdtemp");
    return 1;
  }
  snprintf(path, sizeof path, "%s/trips.csv", dir);
  if (write_csv(path) != 0) {
    perror("hello_dusk: writing the CSV");
    goto out;
  }

  dusk_cluster_options_init(&o);
  o.nworkers = 2;
  if ((rc = dusk_cluster_start(&o, &cl, &err)) != 0) {
    fail("starting the LocalCluster", rc, &err);
    goto out;
  }
  printf("LocalCluster at %s with %d workers\n", dusk_cluster_address(cl),
         dusk_cluster_nworkers(cl));
  if ((rc = dusk_cluster_client(cl, &c, &err)) != 0) {
    fail("connecting", rc, &err);
    goto out;
  }
  if (run_graph(c) == 0 && run_query(c, path) == 0)
    status = 0;

out:
  dusk_client_free(c);
  if (cl != NULL)
    dusk_cluster_stop(cl);
  unlink(path);
  rmdir(dir);
  return status;
}
