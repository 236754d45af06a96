/* check_plugin.c - the worker's plugin loader (worker/registry.c) checks a
 * plugin's ABI itself, before running any of it: the example plugin (this
 * ABI) loads; a plugin claiming another ABI, or exporting none (as ABI 1
 * plugins did), is refused with DUSK_ECONFIG and a message naming the
 * plugin's path and both versions.  The refused test plugins abort if
 * their init is ever called.  dusk-worker given such a plugin exits at
 * once with that message.  The plugins are built next to this suite.
 * Also the registry's result views (an op's result naming a range of its
 * input, df_pick's way). */
#include "registry.h"
#include "testutil.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static dusk_registry reg;

static void setup(void) { ck_assert_int_eq(dusk_registry_init(&reg), 0); }
static void teardown(void) { dusk_registry_destroy(&reg); }

static void bin_path(const char *name, char *out, size_t outlen) {
  ck_assert_int_eq(tu_bin_path(name, out, outlen), 0);
}

START_TEST(test_example_plugin_loads) {
  char path[PATH_MAX];
  dusk_error err = {0};
  bin_path("dusk_example_plugin.so", path, sizeof path);
  ck_assert_msg(dusk_registry_load_plugin(&reg, path, &err) == 0, "%s",
                err.message);
  ck_assert_ptr_nonnull(dusk_registry_find(&reg, "mul", 3));
}
END_TEST

START_TEST(test_other_abi_refused) {
  char path[PATH_MAX], want[128];
  dusk_error err = {0};
  bin_path("dusk_wrong_abi_plugin.so", path, sizeof path);
  ck_assert_int_eq(dusk_registry_load_plugin(&reg, path, &err),
                   DUSK_ECONFIG);
  ck_assert_int_eq(err.code, DUSK_ECONFIG);
  ck_assert_msg(strstr(err.message, path) != NULL, "no path in: %s",
                err.message);
  snprintf(want, sizeof want,
           "built for plugin ABI %d, this worker has plugin ABI %d",
           DUSK_PLUGIN_ABI_VERSION + 1, DUSK_PLUGIN_ABI_VERSION);
  ck_assert_msg(strstr(err.message, want) != NULL, "'%s' does not say '%s'",
                err.message, want);
  /* The registry is still whole and usable. */
  ck_assert_ptr_nonnull(dusk_registry_find(&reg, "add", 3));
}
END_TEST

START_TEST(test_no_abi_refused) {
  char path[PATH_MAX], want[64];
  dusk_error err = {0};
  bin_path("dusk_no_abi_plugin.so", path, sizeof path);
  ck_assert_int_eq(dusk_registry_load_plugin(&reg, path, &err),
                   DUSK_ECONFIG);
  ck_assert_msg(strstr(err.message, path) != NULL, "no path in: %s",
                err.message);
  ck_assert_msg(strstr(err.message, "exports no dusk_plugin_abi_version") !=
                    NULL,
                "%s", err.message);
  snprintf(want, sizeof want, "this worker has plugin ABI %d",
           DUSK_PLUGIN_ABI_VERSION);
  ck_assert_msg(strstr(err.message, want) != NULL, "'%s' does not say '%s'",
                err.message, want);
  ck_assert_msg(strstr(err.message, "ABI 1") != NULL, "%s", err.message);
}
END_TEST

START_TEST(test_missing_file_named) {
  dusk_error err = {0};
  const char *path = "/nonexistent/dusk_plugin.so";
  ck_assert_int_eq(dusk_registry_load_plugin(&reg, path, &err),
                   DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, path));
}
END_TEST

/* The daemon: refuses to start, status 1, the reason on stderr. */
START_TEST(test_worker_exits_naming_plugin_and_versions) {
  char worker[PATH_MAX], plugin[PATH_MAX], log_path[64], want[128];
  char *argv[] = {worker, "tcp://127.0.0.1:1", "--plugin", plugin, NULL};
  char *log;
  int status = 0, rc;
  pid_t pid;
  bin_path("dusk-worker", worker, sizeof worker);
  bin_path("dusk_wrong_abi_plugin.so", plugin, sizeof plugin);
  snprintf(log_path, sizeof log_path, "/tmp/dusk-check-plugin-%d.log",
           (int)getpid());
  pid = tu_spawn(argv, log_path, -1);
  ck_assert_int_gt(pid, 0);
  rc = tu_wait_exit(pid, 30000, &status);
  if (rc == 0)
    tu_stop_child(pid, 5000);
  ck_assert_msg(rc == 1, "dusk-worker kept running with a plugin of another "
                         "ABI");
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  log = tu_read_file(log_path);
  unlink(log_path);
  ck_assert_ptr_nonnull(log);
  snprintf(want, sizeof want,
           "was built for plugin ABI %d, this worker has plugin ABI %d",
           DUSK_PLUGIN_ABI_VERSION + 1, DUSK_PLUGIN_ABI_VERSION);
  ck_assert_msg(strstr(log, plugin) != NULL && strstr(log, want) != NULL,
                "dusk-worker's stderr does not name %s and '%s': %s", plugin,
                want, log);
  free(log);
}
END_TEST

/* An op naming a range of its input as its result (df_pick's way): the
 * range is checked against the input; a run that succeeds keeps the view
 * (no result bytes, no nil written), one that fails drops it, and the
 * next run starts without it. */
static size_t view_off, view_len;
static int view_fails;
static int view_op(const dusk_op_api *api, dusk_op_call *call) {
  if (dusk_registry_result_view(call, 0, view_off, view_len) != 0)
    return (api->fail)(call, "view refused"); /* (check.h has a fail macro) */
  return view_fails ? (api->fail)(call, "failed after the view") : 0;
}
static int nil_op(const dusk_op_api *api, dusk_op_call *call) {
  (void)api;
  (void)call;
  return 0;
}

START_TEST(test_result_view) {
  static const char bytes[] = "\x93\x01\x02\x03";
  dusk_slice in = {bytes, 4};
  dusk_op_call call;
  memset(&call, 0, sizeof call);
  call.inputs = &in;
  call.ninputs = 1;
  view_off = 1;
  view_len = 3;
  view_fails = 0;
  ck_assert_int_eq(dusk_registry_run(view_op, &call), 0);
  ck_assert(call.result_view);
  ck_assert_uint_eq(call.view_input, 0);
  ck_assert_uint_eq(call.view_off, 1);
  ck_assert_uint_eq(call.view_len, 3);
  ck_assert_uint_eq(call.result.len, 0);
  /* past the input, empty, or of an input there is not: refused */
  view_len = 4;
  ck_assert_int_ne(dusk_registry_run(view_op, &call), 0);
  ck_assert(!call.result_view);
  ck_assert_int_eq(dusk_registry_result_view(&call, 0, 4, 0), DUSK_EINVAL);
  ck_assert_int_eq(dusk_registry_result_view(&call, 1, 0, 1), DUSK_EINVAL);
  ck_assert_int_eq(dusk_registry_result_view(&call, 0, 5, 1), DUSK_EINVAL);
  ck_assert(!call.result_view);
  /* a failure after the view drops it */
  view_len = 3;
  view_fails = 1;
  ck_assert_int_ne(dusk_registry_run(view_op, &call), 0);
  ck_assert(!call.result_view);
  /* the next run starts without it: an op that sets nothing gives nil */
  ck_assert_int_eq(dusk_registry_run(view_op, &call), DUSK_ETASK);
  view_fails = 0;
  ck_assert_int_eq(dusk_registry_run(view_op, &call), 0);
  ck_assert_int_eq(dusk_registry_run(nil_op, &call), 0);
  ck_assert(!call.result_view);
  ck_assert_uint_eq(call.result.len, 1);
  dusk_registry_call_destroy(&call);
}
END_TEST

static Suite *plugin_suite(void) {
  Suite *s = suite_create("plugin");
  TCase *tc = tcase_create("abi");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_example_plugin_loads);
  tcase_add_test(tc, test_other_abi_refused);
  tcase_add_test(tc, test_no_abi_refused);
  tcase_add_test(tc, test_missing_file_named);
  tcase_add_test(tc, test_result_view);
  suite_add_tcase(s, tc);
  tc = tcase_create("daemon");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_worker_exits_naming_plugin_and_versions);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(plugin_suite()); }
