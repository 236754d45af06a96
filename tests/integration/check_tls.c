/* check_tls.c - integration suite: dusk over TLS, end to end.
 *
 * The fixture makes a throw-away PKI with the openssl command (Debian's
 * openssl package): the cluster CA and a node certificate it signs, plus a
 * second, unrelated CA and a "rogue" certificate signed by that one.  A
 * LocalCluster started with the node files runs every connection over TLS:
 * client -> scheduler, worker -> scheduler, worker -> worker (peer fetch)
 * and client -> worker (gather).  The tests check real work flows over all
 * of them, and that a wrong CA is refused in either direction, on the
 * scheduler and on a worker's data port, while proper clients stay served.
 *
 * Processes: the LocalCluster's children die with the test process
 * (PR_SET_PDEATHSIG); dusk_cluster_stop stops them by pid. */
#include "dusk.h"
#include "testutil.h"

#include <check.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 60000

static char dir[64];
static char path_buf[8][PATH_MAX];
enum { CA, NODE_CERT, NODE_KEY, EVIL_CA, ROGUE_CERT, ROGUE_KEY, CSV };

static const char *p(int which) { return path_buf[which]; }

static void run_ok(const char *cmd) {
  int rc = system(cmd);
  ck_assert_msg(rc == 0, "'%s' failed (%d): is the openssl command installed?",
                cmd, rc);
}

/* A self-signed CA: <dir>/<name>.pem and .key. */
static void make_ca(const char *name) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
           "-nodes -keyout %s/%s.key -out %s/%s.pem -days 3650 -subj /CN=%s "
           "2>/dev/null",
           dir, name, dir, name, name);
  run_ok(cmd);
}

/* A leaf certificate for <name>, signed by CA <ca>. */
static void make_leaf(const char *name, const char *ca) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
           "-nodes -keyout %s/%s.key -out %s/%s.csr -subj /CN=%s 2>/dev/null "
           "&& openssl x509 -req -in %s/%s.csr -CA %s/%s.pem -CAkey %s/%s.key "
           "-CAcreateserial -out %s/%s.pem -days 3650 2>/dev/null",
           dir, name, dir, name, name, dir, name, dir, ca, dir, ca, dir, name);
  run_ok(cmd);
}

static void setup(void) {
  FILE *f;
  snprintf(dir, sizeof dir, "/tmp/dusk-check-tls-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  make_ca("ca");
  make_ca("evilca");
  make_leaf("node", "ca");
  make_leaf("rogue", "evilca");
  snprintf(path_buf[CA], PATH_MAX, "%s/ca.pem", dir);
  snprintf(path_buf[NODE_CERT], PATH_MAX, "%s/node.pem", dir);
  snprintf(path_buf[NODE_KEY], PATH_MAX, "%s/node.key", dir);
  snprintf(path_buf[EVIL_CA], PATH_MAX, "%s/evilca.pem", dir);
  snprintf(path_buf[ROGUE_CERT], PATH_MAX, "%s/rogue.pem", dir);
  snprintf(path_buf[ROGUE_KEY], PATH_MAX, "%s/rogue.key", dir);
  snprintf(path_buf[CSV], PATH_MAX, "%s/trips.csv", dir);
  /* 3,000 rows: zone i % 3, every 10th zone missing. */
  f = fopen(p(CSV), "w");
  ck_assert_ptr_nonnull(f);
  fputs("trip,zone,fare\n", f);
  for (int i = 0; i < 3000; i++) {
    if (i % 10 == 0)
      fprintf(f, "%d,,%d.5\n", i, i);
    else
      fprintf(f, "%d,%d,%d.5\n", i, i % 3, i);
  }
  ck_assert_int_eq(fclose(f), 0);
}

static void teardown(void) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
}

static dusk_tls_files node_files(void) {
  dusk_tls_files t = {p(NODE_CERT), p(NODE_KEY), p(CA)};
  return t;
}

/* A TLS LocalCluster of 2 workers, one task in flight each (so a diamond
 * spreads over both and forces peer fetches). */
static dusk_cluster *start_tls_cluster(void) {
  dusk_cluster_options o;
  dusk_cluster *cl = NULL;
  dusk_error err = {0};
  char bin[PATH_MAX];
  ck_assert_int_eq(tu_bin_path("", bin, sizeof bin), 0);
  bin[strlen(bin) - 1] = '\0'; /* drop the trailing '/' */
  dusk_cluster_options_init(&o);
  o.nworkers = 2;
  o.worker_queue = 1;
  o.bin_dir = bin;
  o.tls = node_files();
  ck_assert_msg(dusk_cluster_start(&o, &cl, &err) == 0, "start: %s",
                err.message);
  return cl;
}

/* A cell that must hold an int64. */
static int64_t cell_i64(const dusk_table *t, size_t col, size_t row) {
  int64_t v = 0;
  ck_assert_int_eq(dusk_table_int64(t, col, row, &v), 0);
  return v;
}

static int64_t gather_int(dusk_client *c, const char *key) {
  dusk_error err = {0};
  int64_t v = 0;
  ck_assert_msg(dusk_client_gather_int(c, key, WAIT_MS, &v, &err) == 0,
                "gather %s: %s", key, err.message);
  return v;
}

START_TEST(test_graph_peer_fetch_and_query_over_tls) {
  dusk_cluster *cl = start_tls_cluster();
  dusk_client *c = NULL;
  dusk_error err = {0};
  dusk_graph *g = dusk_graph_new();
  const char *wanted[] = {"top", "big"};
  const char *a_deps[] = {"anchor-x", "root"}, *b_deps[] = {"anchor-y", "root"};
  const char *top_deps[] = {"side-a", "side-b"};
  void *data[1] = {NULL};
  size_t lens[1] = {0};
  const char *bigkey[] = {"big"};

  ck_assert_int_eq(dusk_cluster_client(cl, &c, &err), 0);
  /* The diamond of check_cluster: both sides fetch the root from the other
   * worker, the top fetches one side. */
  ck_assert_int_eq(dusk_graph_add_int(g, "anchor-x", "add", 100, NULL, 0), 0);
  ck_assert_int_eq(dusk_graph_add_int(g, "anchor-y", "add", 200, NULL, 0), 0);
  ck_assert_int_eq(dusk_graph_add_int(g, "root", "add", 1, NULL, 0), 0);
  ck_assert_int_eq(dusk_graph_add_int(g, "side-a", "add", 10, a_deps, 2), 0);
  ck_assert_int_eq(dusk_graph_add_int(g, "side-b", "add", 20, b_deps, 2), 0);
  ck_assert_int_eq(dusk_graph_add(g, "top", "sum", NULL, 0, top_deps, 2), 0);
  /* 5 MB of result: hundreds of TLS records each way. */
  ck_assert_int_eq(dusk_graph_add_int(g, "big", "bytes", 5000000, NULL, 0),
                   0);
  ck_assert_msg(dusk_client_submit(c, g, wanted, 2, WAIT_MS, &err) == 0,
                "submit: %s", err.message);
  dusk_graph_free(g);
  ck_assert_int_eq(gather_int(c, "top"), 111 + 221);
  ck_assert_msg(dusk_client_gather(c, bigkey, 1, WAIT_MS, data, lens, &err) ==
                    0,
                "gather big: %s", err.message);
  {
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    ck_assert_int_eq(msgpack_unpack_next(&u, data[0], lens[0], &off),
                     MSGPACK_UNPACK_SUCCESS);
    ck_assert_int_eq(u.data.type, MSGPACK_OBJECT_BIN);
    ck_assert_uint_eq(u.data.via.bin.size, 5000000);
    for (size_t i = 0; i < 5000000; i += 4999)
      ck_assert_int_eq(u.data.via.bin.ptr[i], (char)(i * 31 + 7));
    msgpack_unpacked_destroy(&u);
  }
  free(data[0]);

  /* A dataframe query: scans on both workers, combine, final. */
  {
    dusk_dataframe *f = NULL;
    dusk_table *t = NULL;
    char expr[PATH_MAX + 64];
    int64_t want[3] = {0, 0, 0};
    snprintf(expr, sizeof expr,
             "read_csv(\"%s\").groupby(\"zone\").count()", p(CSV));
    ck_assert_msg(dusk_dataframe_parse(expr, &f, &err) == 0, "%s", err.message);
    dusk_dataframe_set_blocksize(f, 8192); /* several partitions */
    ck_assert_msg(dusk_compute(c, f, WAIT_MS, &t, &err) == 0, "compute: %s",
                  err.message);
    for (int i = 0; i < 3000; i++)
      if (i % 10 != 0)
        want[i % 3]++;
    ck_assert_uint_eq(dusk_table_nrows(t), 3);
    for (size_t r = 0; r < 3; r++) {
      int64_t zone = cell_i64(t, 0, r);
      ck_assert(zone >= 0 && zone < 3);
      ck_assert_int_eq(cell_i64(t, 1, r), want[zone]); /* trip */
      ck_assert_int_eq(cell_i64(t, 2, r), want[zone]); /* fare */
    }
    dusk_table_free(t);
    dusk_dataframe_free(f);
  }
  dusk_client_free(c);
  dusk_cluster_stop(cl);
}
END_TEST

/* Connecting with tls must fail within the timeout, and the message must
 * contain `needle`. */
static void expect_refused(const char *address, const char *token,
                           const dusk_tls_files *tls, const char *needle) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  int rc = dusk_client_connect_tls(address, token, tls, 3000, &c, &err);
  ck_assert_msg(rc != 0, "a client with %s/%s was let in to %s",
                tls ? tls->cert : "no TLS", tls ? tls->ca : "-", address);
  ck_assert_msg(strstr(err.message, needle) != NULL,
                "refusal '%s' does not mention '%s'", err.message, needle);
}

static void expect_served(dusk_cluster *cl, const char *key) {
  dusk_client *c = NULL;
  dusk_error err = {0};
  dusk_graph *g = dusk_graph_new();
  const char *wanted[] = {key};
  ck_assert_msg(dusk_cluster_client(cl, &c, &err) == 0, "%s", err.message);
  ck_assert_int_eq(dusk_graph_add_int(g, key, "add", 41, NULL, 0), 0);
  ck_assert_int_eq(dusk_client_submit(c, g, wanted, 1, WAIT_MS, &err), 0);
  dusk_graph_free(g);
  ck_assert_int_eq(gather_int(c, key), 41); /* add: its arg + inputs */
  dusk_client_free(c);
}

START_TEST(test_wrong_ca_refused_both_ways) {
  dusk_cluster *cl = start_tls_cluster();
  const char *addr = dusk_cluster_address(cl);
  const char *token = dusk_cluster_token(cl);
  /* Our certificate is from another CA: the scheduler refuses us. */
  dusk_tls_files rogue = {p(ROGUE_CERT), p(ROGUE_KEY), p(CA)};
  /* We trust another CA: we refuse the scheduler. */
  dusk_tls_files distrust = {p(NODE_CERT), p(NODE_KEY), p(EVIL_CA)};
  expect_refused(addr, token, &rogue, "unknown ca");
  expect_served(cl, "after-rogue");
  expect_refused(addr, token, &distrust, "certificate verify failed");
  expect_served(cl, "after-distrust");
  /* Plain TCP to a TLS listener gets nowhere (and is cut at the handshake
   * deadline on the scheduler's side). */
  expect_refused(addr, token, NULL, "");
  expect_served(cl, "after-plain");
  dusk_cluster_stop(cl);
}
END_TEST

START_TEST(test_worker_data_port_is_tls) {
  dusk_cluster *cl = start_tls_cluster();
  dusk_client *c = NULL, *direct = NULL;
  dusk_error err = {0};
  dusk_worker_status ws[4];
  size_t n = 0;
  char addr[128];
  dusk_tls_files rogue = {p(ROGUE_CERT), p(ROGUE_KEY), p(CA)};
  dusk_tls_files good = node_files();

  ck_assert_int_eq(dusk_cluster_client(cl, &c, &err), 0);
  ck_assert_int_eq(
      dusk_client_workers(c, 2, WAIT_MS, ws, 4, &n, NULL, &err), 0);
  ck_assert_uint_ge(n, 1);
  snprintf(addr, sizeof addr, "tcp://%s", ws[0].addr);
  expect_refused(addr, dusk_cluster_token(cl), &rogue, "unknown ca");
  /* The proper files get through the worker's TLS and token handshakes. */
  ck_assert_msg(dusk_client_connect_tls(addr, dusk_cluster_token(cl), &good,
                                        WAIT_MS, &direct, &err) == 0,
                "%s: %s", addr, err.message);
  dusk_client_free(direct);
  dusk_client_free(c);
  expect_served(cl, "after-data-port");
  dusk_cluster_stop(cl);
}
END_TEST

START_TEST(test_incomplete_or_bad_tls_files_refused) {
  dusk_cluster_options o;
  dusk_cluster *cl = NULL;
  dusk_error err = {0};
  dusk_client *c = NULL;
  dusk_tls_files half = {p(NODE_CERT), NULL, NULL};
  dusk_tls_files missing = {p(NODE_CERT), "/nonexistent/key.pem", p(CA)};
  dusk_tls_files mismatched = {p(NODE_CERT), p(ROGUE_KEY), p(CA)};

  dusk_cluster_options_init(&o);
  o.nworkers = 1;
  o.tls = half;
  ck_assert_int_ne(dusk_cluster_start(&o, &cl, &err), 0);
  ck_assert_msg(strstr(err.message, "--tls-key") != NULL &&
                    strstr(err.message, "--tls-ca") != NULL,
                "%s", err.message);
  ck_assert_int_ne(
      dusk_client_connect_tls("tcp://127.0.0.1:1", NULL, &missing, 1000, &c,
                              &err),
      0);
  ck_assert_msg(strstr(err.message, "/nonexistent/key.pem") != NULL, "%s",
                err.message);
  ck_assert_int_ne(
      dusk_client_connect_tls("tcp://127.0.0.1:1", NULL, &mismatched, 1000,
                              &c, &err),
      0);
  ck_assert_msg(strstr(err.message, "rogue.key") != NULL &&
                    strstr(err.message, "mismatch") != NULL,
                "%s", err.message);
}
END_TEST

static Suite *tls_suite(void) {
  Suite *s = suite_create("tls");
  TCase *tc = tcase_create("tls");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, test_graph_peer_fetch_and_query_over_tls);
  tcase_add_test(tc, test_wrong_ca_refused_both_ways);
  tcase_add_test(tc, test_worker_data_port_is_tls);
  tcase_add_test(tc, test_incomplete_or_bad_tls_files_refused);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return tu_run_suite(tls_suite());
}
