/* check_config.c - the typed configuration table: defaults, both flag
 * spellings, positional arguments, and one refusal per kind of bad input. */
#include "config.h"
#include "testutil.h"

#include <check.h>
#include <stddef.h>
#include <string.h>

typedef struct cfg {
  const char *host;
  int64_t port;
  int verbose;
} cfg;

static const dusk_cfg_entry table[] = {
    {"host", DUSK_CFG_STR, "127.0.0.1", 0, 0, offsetof(cfg, host), "host"},
    {"port", DUSK_CFG_INT, "8786", 0, 65535, offsetof(cfg, port), "port"},
    {"verbose", DUSK_CFG_FLAG, NULL, 0, 0, offsetof(cfg, verbose), "talk"},
};
#define NT (sizeof table / sizeof table[0])

static int parse(cfg *c, int argc, char **argv, char **pos, int *npos,
                 dusk_error *err) {
  return dusk_config_parse(table, NT, c, argc, argv, pos, 2, npos, err);
}

START_TEST(test_defaults_and_values) {
  cfg c;
  dusk_error err = {0};
  char *pos[2];
  int npos;
  char *argv[] = {"prog", "--port", "0", "--host=10.0.0.1", "tcp://x:1",
                  "--verbose"};
  ck_assert_int_eq(parse(&c, 1, argv, pos, &npos, &err), 0);
  ck_assert_str_eq(c.host, "127.0.0.1");
  ck_assert_int_eq(c.port, 8786);
  ck_assert_int_eq(c.verbose, 0);
  ck_assert_int_eq(parse(&c, 6, argv, pos, &npos, &err), 0);
  ck_assert_str_eq(c.host, "10.0.0.1");
  ck_assert_int_eq(c.port, 0);
  ck_assert_int_eq(c.verbose, 1);
  ck_assert_int_eq(npos, 1);
  ck_assert_str_eq(pos[0], "tcp://x:1");
}
END_TEST

START_TEST(test_refusals_name_the_problem) {
  cfg c;
  dusk_error err = {0};
  char *pos[2];
  int npos;
  char *range[] = {"prog", "--port", "70000"};
  char *notint[] = {"prog", "--port", "12ab"};
  char *unknown[] = {"prog", "--prot", "1"};
  char *novalue[] = {"prog", "--port"};
  char *extra[] = {"prog", "a", "b", "c"};
  char *help[] = {"prog", "--help"};
  ck_assert_int_eq(parse(&c, 3, range, pos, &npos, &err), DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "[0, 65535]"));
  ck_assert_int_eq(parse(&c, 3, notint, pos, &npos, &err), DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "not an integer"));
  ck_assert_int_eq(parse(&c, 3, unknown, pos, &npos, &err), DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "--prot"));
  ck_assert_int_eq(parse(&c, 2, novalue, pos, &npos, &err), DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "needs a value"));
  ck_assert_int_eq(parse(&c, 4, extra, pos, &npos, &err), DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "'c'"));
  ck_assert_int_eq(parse(&c, 2, help, pos, &npos, &err), DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "--port"));
}
END_TEST

START_TEST(test_format_lists_every_entry) {
  cfg c;
  dusk_error err = {0};
  char *pos[2], text[256];
  int npos;
  char *argv[] = {"prog"};
  ck_assert_int_eq(parse(&c, 1, argv, pos, &npos, &err), 0);
  dusk_config_format(table, NT, &c, text, sizeof text);
  ck_assert_str_eq(text, "host=127.0.0.1 port=8786 verbose=0");
}
END_TEST

int main(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_defaults_and_values);
  tcase_add_test(tc, test_refusals_name_the_problem);
  tcase_add_test(tc, test_format_lists_every_entry);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
