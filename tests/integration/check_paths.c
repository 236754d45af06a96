/* check_paths.c - relative paths are the client's, not the cluster's.
 *
 * The scheduler and the worker are started in one directory and the client
 * runs in another; each holds files of the same names with different row
 * counts, so an answer tells whose file was read.  The client's directory
 * is named "client[1]" next to a decoy "client1": if the glob characters
 * of the directory's own name were not escaped, the scheduler's glob
 * "client[1]/b*.csv" would read the decoy's files.
 *
 * Each test starts its own dusk-scheduler (port 0, READY on a pipe) and
 * one dusk-worker from the daemon directory, then moves to the client
 * directory; both are stopped by pid in the teardown. */
#include "dusk.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 60000

static struct {
  char root[64];
  char daemon_dir[128];
  char client_dir[128];
  char decoy_dir[128];
  char start_dir[PATH_MAX];
  char log[160];
  pid_t sched, worker;
  char address[64];
  dusk_client *client;
} env;

/* Writes a CSV file of `rows` rows (header "x") at dir/name. */
static void write_rows(const char *dir, const char *name, int rows) {
  char path[256];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "w");
  ck_assert_msg(f != NULL, "cannot create %s", path);
  fputs("x\n", f);
  for (int i = 0; i < rows; i++)
    fprintf(f, "%d\n", i);
  ck_assert_int_eq(fclose(f), 0);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* Starts the scheduler and one worker with daemon_dir as their working
 * directory (the child inherits the test's), then moves to client_dir. */
static void setup(void) {
  char sched_bin[PATH_MAX], worker_bin[PATH_MAX];
  int fds[2], port;
  size_t n = 0;
  dusk_error err = {0};

  memset(&env, 0, sizeof env);
  ck_assert_ptr_nonnull(getcwd(env.start_dir, sizeof env.start_dir));
  snprintf(env.root, sizeof env.root, "/tmp/dusk-paths-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(env.root));
  snprintf(env.daemon_dir, sizeof env.daemon_dir, "%s/daemon", env.root);
  snprintf(env.client_dir, sizeof env.client_dir, "%s/client[1]", env.root);
  snprintf(env.decoy_dir, sizeof env.decoy_dir, "%s/client1", env.root);
  snprintf(env.log, sizeof env.log, "%s/daemons.log", env.root);
  ck_assert_int_eq(mkdir(env.daemon_dir, 0700), 0);
  ck_assert_int_eq(mkdir(env.client_dir, 0700), 0);
  ck_assert_int_eq(mkdir(env.decoy_dir, 0700), 0);
  write_rows(env.daemon_dir, "a.csv", 5);
  write_rows(env.daemon_dir, "b1.csv", 8);
  write_rows(env.client_dir, "a.csv", 2);
  write_rows(env.client_dir, "b1.csv", 3);
  write_rows(env.client_dir, "b2.csv", 4);
  write_rows(env.decoy_dir, "a.csv", 11);
  write_rows(env.decoy_dir, "b1.csv", 13);

  ck_assert_int_eq(tu_bin_path("dusk-scheduler", sched_bin, sizeof sched_bin),
                   0);
  ck_assert_int_eq(tu_bin_path("dusk-worker", worker_bin, sizeof worker_bin),
                   0);
  ck_assert_int_eq(chdir(env.daemon_dir), 0);
  {
    char *argv[] = {sched_bin, "--port", "0", "--ready-fd", "3",
                    "--log-level", "warn", NULL};
    ck_assert_int_eq(pipe(fds), 0);
    env.sched = tu_spawn(argv, env.log, fds[1]);
    close(fds[1]);
    ck_assert_int_gt(env.sched, 0);
    port = tu_read_ready(fds[0], WAIT_MS);
    close(fds[0]);
    ck_assert_msg(port > 0, "dusk-scheduler did not announce READY");
    snprintf(env.address, sizeof env.address, "tcp://127.0.0.1:%d", port);
  }
  {
    char *argv[] = {worker_bin, env.address, "--log-level", "warn", NULL};
    env.worker = tu_spawn(argv, env.log, -1);
    ck_assert_int_gt(env.worker, 0);
  }
  ck_assert_int_eq(chdir(env.client_dir), 0);
  ck_assert_msg(dusk_client_connect(env.address, NULL, WAIT_MS, &env.client,
                                    &err) == 0,
                "connect: %s", err.message);
  ck_assert_msg(dusk_client_workers(env.client, 1, WAIT_MS, NULL, 0, &n, NULL,
                                    &err) == 0,
                "the worker never registered: %s", err.message);
}

static void teardown(void) {
  dusk_client_free(env.client);
  tu_stop_child(env.worker, 10000);
  tu_stop_child(env.sched, 10000);
  if (chdir(env.start_dir) != 0)
    perror(env.start_dir);
  nftw(env.root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* len(f) on the cluster; fails the test with the error otherwise. */
static int64_t count(dusk_dataframe *f, dusk_error *err) {
  dusk_table *t = NULL;
  int64_t n;
  ck_assert_msg(f != NULL, "building the frame: %s", err->message);
  f = dusk_len(f, err);
  ck_assert_msg(dusk_compute(env.client, f, WAIT_MS, &t, err) == 0, "%s",
                err->message);
  dusk_dataframe_free(f);
  ck_assert_int_eq(dusk_table_int64(t, 0, 0, &n), 0);
  dusk_table_free(t);
  return n;
}

/* count() of a parsed expression (a frame: count() adds the len). */
static int64_t count_query(const char *expr) {
  dusk_dataframe *f = NULL;
  dusk_error err = {0};
  ck_assert_msg(dusk_dataframe_parse(expr, &f, &err) == 0, "%s: %s", expr,
                err.message);
  return count(f, &err);
}

static int64_t count_paths(const char *const *paths, size_t n) {
  dusk_error err = {0};
  return count(dusk_read_csv(paths, n, NULL, &err), &err);
}

START_TEST(test_parser_reads_the_clients_file) {
  /* 2 rows here; 5 in the daemons' directory, 11 in the decoy. */
  ck_assert_int_eq(count_query("read_csv(\"a.csv\")"), 2);
  ck_assert_int_eq(count_query("read_csv(\"./a.csv\")"), 2);
  ck_assert_int_eq(count_query("read_csv([\"a.csv\", \"b1.csv\"])"), 5);
}
END_TEST

START_TEST(test_parser_globs_in_the_clients_directory) {
  /* 3 + 4 rows here; the daemons' b1.csv has 8, the decoy's 13. */
  ck_assert_int_eq(count_query("read_csv(\"b*.csv\")"), 7);
  ck_assert_int_eq(count_query("read_csv(\"b[12].csv\")"), 7);
  ck_assert_int_eq(count_query("read_csv(\"b?.csv\")"), 7);
}
END_TEST

START_TEST(test_builder_reads_the_clients_files) {
  const char *one[] = {"a.csv"};
  const char *glob[] = {"./b?.csv"};
  char abs[256];
  const char *absolute[] = {abs};
  ck_assert_int_eq(count_paths(one, 1), 2);
  ck_assert_int_eq(count_paths(glob, 1), 7);
  /* An absolute path is left as it is. */
  snprintf(abs, sizeof abs, "%s/a.csv", env.daemon_dir);
  ck_assert_int_eq(count_paths(absolute, 1), 5);
}
END_TEST

START_TEST(test_missing_relative_file_names_the_clients_path) {
  const char *missing[] = {"missing.csv"};
  dusk_error err = {0};
  dusk_table *t = NULL;
  dusk_dataframe *f = dusk_len(dusk_read_csv(missing, 1, NULL, &err), &err);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_ne(dusk_compute(env.client, f, WAIT_MS, &t, &err), 0);
  dusk_dataframe_free(f);
  ck_assert_msg(strstr(err.message, "missing.csv") != NULL &&
                    strstr(err.message, "client") != NULL &&
                    strstr(err.message, "daemon") == NULL,
                "%s", err.message);
}
END_TEST

/* to_csv's directory is the client's too (and is not a glob: the brackets
 * of "client[1]" stay as they are). */
START_TEST(test_to_csv_writes_into_the_clients_directory) {
  dusk_dataframe *f = NULL;
  dusk_table *t = NULL;
  dusk_error err = {0};
  char out[256];
  struct stat st;
  DIR *d;
  struct dirent *e;
  int files = 0;
  ck_assert_msg(dusk_dataframe_parse("read_csv(\"a.csv\").to_csv(\"out\")", &f,
                                     &err) == 0,
                "%s", err.message);
  ck_assert_msg(dusk_compute(env.client, f, WAIT_MS, &t, &err) == 0, "%s",
                err.message);
  dusk_dataframe_free(f);
  dusk_table_free(t);
  snprintf(out, sizeof out, "%s/out", env.daemon_dir);
  ck_assert_msg(stat(out, &st) != 0, "%s was written", out);
  snprintf(out, sizeof out, "%s/out", env.client_dir);
  d = opendir(out);
  ck_assert_msg(d != NULL, "%s was not written", out);
  while ((e = readdir(d)) != NULL)
    files += e->d_name[0] != '.';
  closedir(d);
  ck_assert_int_gt(files, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("paths");
  TCase *tc = tcase_create("paths");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_parser_reads_the_clients_file);
  tcase_add_test(tc, test_parser_globs_in_the_clients_directory);
  tcase_add_test(tc, test_builder_reads_the_clients_files);
  tcase_add_test(tc, test_missing_relative_file_names_the_clients_path);
  tcase_add_test(tc, test_to_csv_writes_into_the_clients_directory);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
