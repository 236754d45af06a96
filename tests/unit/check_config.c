/* check_config.c - the typed configuration table: defaults, both flag
 * spellings, positional arguments, and one refusal per kind of bad input;
 * and the daemons' own tables, which hold every limit they have; sizes
 * (dusk_size_parse) and the worker's --memory-limit. */
#include "config.h"
#include "dusk_version_gen.h"
#include "procstat.h"
#include "scheduler.h"
#include "testutil.h"
#include "wire.h"
#include "worker.h"

#include <check.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdio.h>
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
  ck_assert_int_eq(parse(&c, 2, help, pos, &npos, &err), DUSK_CONFIG_HELP);
}
END_TEST

/* A range flag: "N" is N-N, "A-B" both ends; one refusal per kind of bad
 * range, each naming the value or the allowed range; the effective config
 * prints it as given. */
typedef struct rcfg {
  dusk_cfg_range ports;
} rcfg;

static const dusk_cfg_entry rtable[] = {
    {"ports", DUSK_CFG_RANGE, "0", 0, 65535, offsetof(rcfg, ports), "ports"},
};

static int rparse(rcfg *c, const char *value, dusk_error *err) {
  char *argv[] = {"prog", "--ports", (char *)value};
  char *pos[1];
  int npos;
  return dusk_config_parse(rtable, 1, c, value ? 3 : 1, argv, pos, 1, &npos,
                           err);
}

START_TEST(test_range_values_and_refusals) {
  static const struct {
    const char *value, *says;
  } bad[] = {
      {"70000", "[0, 65535]"},
      {"9000-70000", "[0, 65535]"},
      {"9100-9000", "empty range"},
      {"9000-", "'9000-' is not an integer or a range"},
      {"-9000", "'-9000' is not an integer or a range"},
      {"9000--1", "'9000--1' is not an integer or a range"},
      {"9000-9001-9002", "not an integer or a range"},
      {"9000 - 9001", "not an integer or a range"},
      {"x", "'x' is not an integer or a range"},
      {"", "not an integer or a range"},
  };
  rcfg c;
  dusk_error err = {0};
  char text[64];
  ck_assert_int_eq(rparse(&c, NULL, &err), 0);
  ck_assert(c.ports.lo == 0 && c.ports.hi == 0);
  ck_assert_int_eq(rparse(&c, "9000", &err), 0);
  ck_assert(c.ports.lo == 9000 && c.ports.hi == 9000);
  dusk_config_format(rtable, 1, &c, text, sizeof text);
  ck_assert_str_eq(text, "ports=9000");
  ck_assert_int_eq(rparse(&c, "9000-9099", &err), 0);
  ck_assert(c.ports.lo == 9000 && c.ports.hi == 9099);
  dusk_config_format(rtable, 1, &c, text, sizeof text);
  ck_assert_str_eq(text, "ports=9000-9099");
  ck_assert_int_eq(rparse(&c, "65535-65535", &err), 0);
  ck_assert(c.ports.lo == 65535 && c.ports.hi == 65535);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_msg(rparse(&c, bad[i].value, &err) == DUSK_ECONFIG,
                  "'%s' was taken", bad[i].value);
    ck_assert_msg(strstr(err.message, bad[i].says) != NULL,
                  "'%s': '%s' does not say '%s'", bad[i].value, err.message,
                  bad[i].says);
    ck_assert_msg(strstr(err.message, "--ports") != NULL, "%s", err.message);
  }
}
END_TEST

/* A seconds flag: decimals to the millisecond, stored as ms, printed back
 * as seconds; refusals name the value or the range in seconds. */
typedef struct scfg {
  int64_t wait_ms;
} scfg;

static const dusk_cfg_entry stable[] = {
    {"wait", DUSK_CFG_SECONDS, "1", 100, 3600000, offsetof(scfg, wait_ms),
     "wait"},
};

static int sparse(scfg *c, const char *value, dusk_error *err) {
  char *argv[] = {"prog", "--wait", (char *)value};
  char *pos[1];
  int npos;
  return dusk_config_parse(stable, 1, c, value ? 3 : 1, argv, pos, 1, &npos,
                           err);
}

START_TEST(test_seconds_values_and_refusals) {
  static const struct {
    const char *value;
    int64_t ms;
    const char *text;
  } good[] = {{NULL, 1000, "wait=1"},   {"0.25", 250, "wait=0.25"},
              {"2", 2000, "wait=2"},    {"0.1", 100, "wait=0.1"},
              {"1.005", 1005, "wait=1.005"}, {"3600", 3600000, "wait=3600"},
              {"07.50", 7500, "wait=7.5"}};
  static const struct {
    const char *value, *says;
  } bad[] = {
      {"0.05", "[0.1, 3600]"},       {"3600.001", "[0.1, 3600]"},
      {"1.0005", "not a number"},    {"-1", "not a number"},
      {"1.", "not a number"},        {".5", "not a number"},
      {"1s", "not a number"},        {"", "not a number"},
      {"1e3", "not a number"},       {"99999999999999999", "not a number"},
  };
  scfg c;
  dusk_error err = {0};
  char text[64];
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    ck_assert_int_eq(sparse(&c, good[i].value, &err), 0);
    ck_assert_int_eq(c.wait_ms, good[i].ms);
    dusk_config_format(stable, 1, &c, text, sizeof text);
    ck_assert_str_eq(text, good[i].text);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_msg(sparse(&c, bad[i].value, &err) == DUSK_ECONFIG,
                  "'%s' was taken", bad[i].value);
    ck_assert_msg(strstr(err.message, bad[i].says) != NULL,
                  "'%s': '%s' does not say '%s'", bad[i].value, err.message,
                  bad[i].says);
    ck_assert_msg(strstr(err.message, "--wait") != NULL, "%s", err.message);
  }
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

/* Every entry is well formed: a unique name, help, and for numbers a
 * default inside its own range. */
static void check_table(const char *daemon, const dusk_cfg_entry *t,
                        size_t n) {
  for (size_t i = 0; i < n; i++) {
    ck_assert_msg(t[i].name != NULL && t[i].name[0] != '\0', "%s entry %zu",
                  daemon, i);
    ck_assert_msg(t[i].help != NULL && t[i].help[0] != '\0', "%s --%s: help",
                  daemon, t[i].name);
    for (size_t j = 0; j < i; j++)
      ck_assert_msg(strcmp(t[i].name, t[j].name) != 0, "%s --%s twice",
                    daemon, t[i].name);
    if ((t[i].type == DUSK_CFG_INT || t[i].type == DUSK_CFG_RANGE) &&
        t[i].def != NULL) {
      long long d = strtoll(t[i].def, NULL, 10);
      ck_assert_msg(t[i].min <= t[i].max && d >= t[i].min && d <= t[i].max,
                    "%s --%s: default %s outside [%" PRId64 ", %" PRId64 "]",
                    daemon, t[i].name, t[i].def, t[i].min, t[i].max);
    }
  }
}

START_TEST(test_daemon_tables_are_well_formed) {
  check_table("scheduler", dusk_scheduler_config_table,
              dusk_scheduler_config_count);
  check_table("worker", dusk_worker_config_table, dusk_worker_config_count);
}
END_TEST

/* The limits that were literals in the daemons are entries, with the
 * values they had as defaults. */
START_TEST(test_scheduler_limits_are_entries) {
  dusk_scheduler_config c;
  dusk_error err = {0};
  char *pos[1];
  int npos;
  char *none[] = {"dusk-scheduler"};
  char *set[] = {"dusk-scheduler",     "--max-key-bytes=300",
                 "--max-op-bytes=16",  "--fetch-retries=0",
                 "--chore-ms=10",      "--query-attempts=1",
                 "--blocksize=4096",   "--sample-bytes=1024",
                 "--combine-fanin=2",  "--max-field=1024"};
  char *fanin[] = {"dusk-scheduler", "--combine-fanin", "1"};
  char *key[] = {"dusk-scheduler", "--max-key-bytes", "100"};
  ck_assert_int_eq(dusk_config_parse(dusk_scheduler_config_table,
                                     dusk_scheduler_config_count, &c, 1, none,
                                     pos, 0, &npos, &err),
                   0);
  ck_assert_int_eq(c.max_key_bytes, 4096);
  ck_assert_int_eq(c.max_op_bytes, 255);
  ck_assert_int_eq(c.fetch_retries, 5);
  ck_assert_int_eq(c.chore_ms, 100);
  ck_assert_int_eq(c.query_attempts, 12);
  ck_assert_int_eq(c.blocksize, 64 << 20);
  ck_assert_int_eq(c.sample_bytes, 256 << 10);
  ck_assert_int_eq(c.combine_fanin, 8);
  ck_assert_int_eq(c.max_field, 1 << 20);
  ck_assert_int_eq(dusk_config_parse(dusk_scheduler_config_table,
                                     dusk_scheduler_config_count, &c, 10, set,
                                     pos, 0, &npos, &err),
                   0);
  ck_assert_int_eq(c.max_key_bytes, 300);
  ck_assert_int_eq(c.max_op_bytes, 16);
  ck_assert_int_eq(c.fetch_retries, 0);
  ck_assert_int_eq(c.chore_ms, 10);
  ck_assert_int_eq(c.query_attempts, 1);
  ck_assert_int_eq(c.blocksize, 4096);
  ck_assert_int_eq(c.sample_bytes, 1024);
  ck_assert_int_eq(c.combine_fanin, 2);
  ck_assert_int_eq(c.max_field, 1024);
  /* A tree of fan-in 1 never ends; keys shorter than a query's own. */
  ck_assert_int_eq(dusk_config_parse(dusk_scheduler_config_table,
                                     dusk_scheduler_config_count, &c, 3,
                                     fanin, pos, 0, &npos, &err),
                   DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "--combine-fanin"));
  ck_assert_ptr_nonnull(strstr(err.message, "[2, 1024]"));
  ck_assert_int_eq(dusk_config_parse(dusk_scheduler_config_table,
                                     dusk_scheduler_config_count, &c, 3, key,
                                     pos, 0, &npos, &err),
                   DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "[256, 1048576]"));
}
END_TEST

START_TEST(test_worker_limits_are_entries) {
  dusk_worker_config c;
  dusk_error err = {0};
  char *pos[1];
  int npos;
  char *none[] = {"dusk-worker"};
  char *set[] = {"dusk-worker", "--chore-ms=20", "--leave-wait-ms=0",
                 "--inline-input-max=0"};
  char *chore[] = {"dusk-worker", "--chore-ms=0"};
  ck_assert_int_eq(dusk_config_parse(dusk_worker_config_table,
                                     dusk_worker_config_count, &c, 1, none,
                                     pos, 0, &npos, &err),
                   0);
  ck_assert_int_eq(c.chore_ms, 250);
  ck_assert_int_eq(c.leave_wait_ms, 10000);
  ck_assert_int_eq(c.inline_input_max, 4096);
  ck_assert_int_eq(dusk_config_parse(dusk_worker_config_table,
                                     dusk_worker_config_count, &c, 4, set, pos,
                                     0, &npos, &err),
                   0);
  ck_assert_int_eq(c.chore_ms, 20);
  ck_assert_int_eq(c.leave_wait_ms, 0);
  ck_assert_int_eq(c.inline_input_max, 0);
  ck_assert_int_eq(dusk_config_parse(dusk_worker_config_table,
                                     dusk_worker_config_count, &c, 2, chore,
                                     pos, 0, &npos, &err),
                   DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "[10, 60000]"));
}
END_TEST

/* ---- sizes and the memory limit ------------------------------------------ */

START_TEST(test_size_parse) {
  static const struct {
    const char *text;
    uint64_t bytes;
  } good[] = {
      {"1", 1},
      {"1048576", 1048576},
      {"512MB", 512000000},
      {"512mb", 512000000},
      {"4GiB", 4ull << 30},
      {"4gib", 4ull << 30},
      {"4 GiB", 4ull << 30},
      {"4Gi", 4ull << 30},
      {"1.5GiB", 3ull << 29},
      {"1.5 KiB", 1536},
      {"2K", 2000},
      {"2kB", 2000},
      {"3T", 3000000000000ull},
      {"1PiB", 1ull << 50},
      {"100B", 100},
      {"0.5KiB", 512},
      {"1.000001MB", 1000001},
      {"9223372036854775807", 9223372036854775807ull},
      {"8191PiB", 8191ull << 50},
  };
  static const char *const bad[] = {
      "", "auto", "GiB", "-1", "+1", "1..5", "1.", ".5", "1.5.GiB", "4 ",
      "4  GiB", " 4", "4GiBs", "4iB", "4 G i B", "1e9", "0x10", "1.2345678",
      "4XB",
  };
  static const char *const huge[] = {
      "9223372036854775808", "8192PiB", "99999999999999999999999",
      "9223372036854775807.5KiB",
  };
  static const char *const tiny[] = {"0", "0B", "0.1", "0GiB"};
  dusk_error err;
  uint64_t v;
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    v = 0;
    ck_assert_msg(dusk_size_parse("--size", good[i].text, &v, &err) == 0,
                  "'%s': %s", good[i].text, err.message);
    ck_assert_msg(v == good[i].bytes, "'%s' gave %" PRIu64 ", not %" PRIu64,
                  good[i].text, v, good[i].bytes);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_msg(dusk_size_parse("--size", bad[i], &v, &err) ==
                      DUSK_ECONFIG, "'%s' was taken", bad[i]);
    ck_assert_msg(strstr(err.message, "--size") != NULL &&
                      strstr(err.message, "is not a size") != NULL,
                  "'%s': %s", bad[i], err.message);
  }
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    ck_assert_msg(dusk_size_parse("--size", huge[i], &v, &err) ==
                      DUSK_ECONFIG, "'%s' was taken", huge[i]);
    ck_assert_msg(strstr(err.message, "is more than") != NULL, "'%s': %s",
                  huge[i], err.message);
  }
  for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
    ck_assert_msg(dusk_size_parse("--size", tiny[i], &v, &err) ==
                      DUSK_ECONFIG, "'%s' was taken", tiny[i]);
    ck_assert_msg(strstr(err.message, "less than one byte") != NULL,
                  "'%s': %s", tiny[i], err.message);
  }
}
END_TEST

/* Writes text to dir/name, making dir first. */
static void put_file(const char *dir, const char *name, const char *text) {
  char path[512], cmd[600];
  FILE *f;
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

START_TEST(test_memory_available_from_files) {
  char root[] = "/tmp/dusk-memtest-XXXXXX", meminfo[128], cgroup[128],
       fs[128], dir[256], cmd[160];
  uint64_t v = 0;
  ck_assert_ptr_nonnull(mkdtemp(root));
  snprintf(meminfo, sizeof meminfo, "%s/meminfo", root);
  snprintf(cgroup, sizeof cgroup, "%s/cgroup", root);
  snprintf(fs, sizeof fs, "%s/fs", root);
  put_file(root, "meminfo", "MemFree:  1000 kB\nMemTotal:  4194304 kB\n");
  /* No cgroup v2 line (a v1-only host): MemTotal. */
  put_file(root, "cgroup", "4:memory:/x\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 4ull << 30);
  /* The root cgroup, or one whose memory.max is "max": MemTotal. */
  put_file(root, "cgroup", "0::/\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 4ull << 30);
  snprintf(dir, sizeof dir, "%s/a/b", fs);
  put_file(dir, "memory.max", "max\n");
  put_file(root, "cgroup", "1:name=systemd:/\n0::/a/b\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 4ull << 30);
  /* An ancestor's limit applies to its descendants. */
  snprintf(dir, sizeof dir, "%s/a", fs);
  put_file(dir, "memory.max", "1073741824\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 1ull << 30);
  /* The lowest one wins; one above MemTotal changes nothing. */
  snprintf(dir, sizeof dir, "%s/a/b", fs);
  put_file(dir, "memory.max", "536870912\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 1ull << 29);
  snprintf(dir, sizeof dir, "%s/a", fs);
  put_file(dir, "memory.max", "99999999999999\n");
  snprintf(dir, sizeof dir, "%s/a/b", fs);
  put_file(dir, "memory.max", "max\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 4ull << 30);
  /* cgroup v1 (a hybrid host's or a v1-only one's memory controller):
   * memory.limit_in_bytes under <root>/memory, its ancestors' too; v1's
   * "no limit" is a huge number. */
  snprintf(dir, sizeof dir, "%s/memory/docker/c1", fs);
  put_file(dir, "memory.limit_in_bytes", "2147483648\n");
  put_file(root, "cgroup", "5:cpu,cpuacct:/other\n4:blkio,memory:/docker/c1\n"
                           "0::/not/there\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 2ull << 30);
  snprintf(dir, sizeof dir, "%s/memory/docker", fs);
  put_file(dir, "memory.limit_in_bytes", "1073741824\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 1ull << 30);
  put_file(dir, "memory.limit_in_bytes", "9223372036854771712\n");
  snprintf(dir, sizeof dir, "%s/memory/docker/c1", fs);
  put_file(dir, "memory.limit_in_bytes", "9223372036854771712\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 4ull << 30);
  /* a container's own v1 hierarchy, mounted as the root */
  put_file(root, "cgroup", "4:memory:/\n");
  snprintf(dir, sizeof dir, "%s/memory", fs);
  put_file(dir, "memory.limit_in_bytes", "805306368\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 768ull << 20);
  put_file(dir, "memory.limit_in_bytes", "9223372036854771712\n");
  /* a path that climbs out of the hierarchy is ignored */
  put_file(root, "cgroup", "4:memory:/../etc\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 4ull << 30);
  /* A missing cgroup file is no limit; a missing meminfo is an error. */
  put_file(root, "cgroup", "0::/not/there\n");
  ck_assert_int_eq(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  ck_assert_uint_eq(v, 4ull << 30);
  snprintf(dir, sizeof dir, "%s/nope", root);
  ck_assert_int_lt(dusk_memory_available_from(dir, cgroup, fs, &v), 0);
  put_file(root, "meminfo", "MemFree: 1000 kB\n");
  ck_assert_int_lt(dusk_memory_available_from(meminfo, cgroup, fs, &v), 0);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* This process's own figures, as a heartbeat reads them. */
START_TEST(test_own_figures) {
  uint64_t rss = 0, cpu0 = dusk_proc_cpu_ns(), cpu = cpu0;
  volatile uint64_t spin = 0;
  volatile char *touched;
  ck_assert_int_eq(dusk_proc_rss(&rss), 0);
  ck_assert_uint_gt(rss, 0);
  /* RSS is resident now, so 64 MiB touched shows (and is no peak).  The
   * pages are written through a volatile pointer: an optimising build may
   * drop a memset into memory that is only freed. */
  touched = malloc(64u << 20);
  ck_assert_ptr_nonnull((void *)touched);
  for (size_t i = 0; i < (64u << 20); i += 4096)
    touched[i] = 1;
  {
    uint64_t more = 0;
    ck_assert_int_eq(dusk_proc_rss(&more), 0);
    ck_assert_uint_ge(more, rss + (48u << 20));
  }
  free((void *)touched);
  /* CPU time grows with work (bounded: the clock ticks in ns). */
  for (uint64_t i = 0; i < 1000000000u && cpu == cpu0; i++) {
    spin += i;
    if (i % 4096 == 0)
      cpu = dusk_proc_cpu_ns();
  }
  ck_assert_uint_gt(cpu, cpu0);
}
END_TEST

START_TEST(test_worker_memory_limit) {
  dusk_worker_config c;
  dusk_error err = {0};
  char *pos[1];
  int npos;
  char *none[] = {"dusk-worker"};
  uint64_t one = 0, two = 0, v = 0, machine = 0;
  ck_assert_int_eq(dusk_config_parse(dusk_worker_config_table,
                                     dusk_worker_config_count, &c, 1, none,
                                     pos, 0, &npos, &err),
                   0);
  ck_assert_str_eq(c.memory_limit, "auto");
  /* auto: this machine's memory, shared by the nanny's workers. */
  ck_assert_int_eq(dusk_memory_available(&machine), 0);
  ck_assert_int_eq(dusk_worker_memory_limit("auto", 1, &one, &err), 0);
  ck_assert_int_eq(dusk_worker_memory_limit(NULL, 0, &v, &err), 0);
  ck_assert_int_eq(dusk_worker_memory_limit("auto", 2, &two, &err), 0);
  ck_assert_uint_eq(one, machine);
  ck_assert_uint_eq(v, machine);
  ck_assert_uint_eq(two, machine / 2);
  ck_assert_uint_gt(two, 0);
  /* A size is the limit of each worker, however many there are. */
  ck_assert_int_eq(dusk_worker_memory_limit("512MiB", 4, &v, &err), 0);
  ck_assert_uint_eq(v, 512ull << 20);
  ck_assert_int_eq(dusk_worker_memory_limit("lots", 1, &v, &err),
                   DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "--memory-limit: 'lots'"));
}
END_TEST

START_TEST(test_help_and_version_are_requests) {
  cfg c;
  dusk_error err = {0};
  char *pos[2];
  int npos;
  char *help[] = {"prog", "tcp://x:1", "--port", "1", "--help"};
  char *shorth[] = {"prog", "-h"};
  char *version[] = {"prog", "--version", "--prot"};
  char *bad_first[] = {"prog", "--prot", "--help"};
  ck_assert_int_eq(parse(&c, 5, help, pos, &npos, &err), DUSK_CONFIG_HELP);
  ck_assert_int_eq(parse(&c, 2, shorth, pos, &npos, &err), DUSK_CONFIG_HELP);
  /* The first request wins: what follows is not looked at. */
  ck_assert_int_eq(parse(&c, 3, version, pos, &npos, &err),
                   DUSK_CONFIG_VERSION);
  ck_assert_int_eq(parse(&c, 3, bad_first, pos, &npos, &err), DUSK_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err.message, "'--prot'"));
}
END_TEST

static char *usage_of(const dusk_cfg_entry *t, size_t n) {
  char *text = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(m);
  dusk_config_usage(m, "usage: prog [options]\n", t, n);
  ck_assert_int_eq(fclose(m), 0);
  return text;
}

/* Every line of text fits 79 columns and the text ends with a newline. */
static void assert_layout(const char *text) {
  size_t len = strlen(text);
  ck_assert_uint_gt(len, 0);
  ck_assert_int_eq(text[len - 1], '\n');
  for (const char *line = text; *line != '\0';) {
    size_t w = strcspn(line, "\n");
    ck_assert_msg(w <= 79, "line of %zu columns: %.*s", w, (int)w, line);
    line += w + (line[w] == '\n');
  }
}

/* The usage is written to a stream, never through a bounded buffer: a help
 * far longer than a dusk_error comes out whole, wrapped, word by word. */
START_TEST(test_usage_is_whole_and_wrapped) {
  char *help = malloc(4 * DUSK_ERROR_MESSAGE_MAX);
  char *text, *at;
  size_t used = 0;
  int words = 0;
  ck_assert_ptr_nonnull(help);
  while (used + 16 < 4 * DUSK_ERROR_MESSAGE_MAX)
    used += (size_t)sprintf(help + used, "%sw%d", used ? " " : "", words++);
  {
    const dusk_cfg_entry t[] = {
        {"host", DUSK_CFG_STR, "127.0.0.1", 0, 0, offsetof(cfg, host),
         "address"},
        {"a-very-long-option-name-here", DUSK_CFG_INT, "8786", 0, 65535,
         offsetof(cfg, port), "port"},
        {"verbose", DUSK_CFG_FLAG, NULL, 0, 0, offsetof(cfg, verbose), help},
        {"unset", DUSK_CFG_STR, NULL, 0, 0, offsetof(cfg, host), "name"},
        {"empty", DUSK_CFG_STR, "", 0, 0, offsetof(cfg, host), "text"},
    };
    text = usage_of(t, sizeof t / sizeof t[0]);
  }
  assert_layout(text);
  ck_assert(strncmp(text, "usage: prog [options]\n", 22) == 0);
  ck_assert_ptr_nonnull(strstr(text, "  --host VALUE "));
  ck_assert_ptr_nonnull(strstr(text, "address (default 127.0.0.1)\n"));
  /* A flag too wide for the first column gets a line of its own. */
  ck_assert_ptr_nonnull(strstr(text, "  --a-very-long-option-name-here N\n"));
  ck_assert_ptr_nonnull(strstr(text, "port (default 8786; allowed 0..65535)"));
  ck_assert_ptr_nonnull(strstr(text, "name (not set by default)\n"));
  ck_assert_ptr_nonnull(strstr(text, "text (default \"\")\n"));
  ck_assert_ptr_nonnull(strstr(text, "(off unless given)\n"));
  at = text;
  for (int i = 0; i < words; i++) {
    char word[16];
    snprintf(word, sizeof word, "w%d", i);
    at = strstr(at, word);
    ck_assert_msg(at != NULL, "word %s of the long help is missing", word);
    at += strlen(word);
  }
  ck_assert_ptr_nonnull(strstr(text, "  --help "));
  ck_assert_ptr_nonnull(strstr(text, "  --version "));
  free(text);
  free(help);
}
END_TEST

/* The scheduler's real table: every entry is listed. */
START_TEST(test_usage_lists_every_scheduler_entry) {
  char *text = usage_of(dusk_scheduler_config_table,
                        dusk_scheduler_config_count);
  assert_layout(text);
  for (size_t i = 0; i < dusk_scheduler_config_count; i++) {
    char flag[128];
    snprintf(flag, sizeof flag, "  --%s ", dusk_scheduler_config_table[i].name);
    ck_assert_msg(strstr(text, flag) != NULL, "%s is not in the usage", flag);
  }
  free(text);
}
END_TEST

START_TEST(test_version_line) {
  char *text = NULL, want[128];
  size_t len = 0;
  FILE *m = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(m);
  dusk_config_version(m, "prog");
  ck_assert_int_eq(fclose(m), 0);
  snprintf(want, sizeof want, "prog %s (protocol %d)\n", DUSK_VERSION_STRING,
           DUSK_PROTO_VERSION);
  ck_assert_str_eq(text, want);
  ck_assert_int_eq(DUSK_VERSION_GEN_MAJOR >= 0, 1);
  free(text);
}
END_TEST

int main(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_defaults_and_values);
  tcase_add_test(tc, test_refusals_name_the_problem);
  tcase_add_test(tc, test_range_values_and_refusals);
  tcase_add_test(tc, test_seconds_values_and_refusals);
  tcase_add_test(tc, test_format_lists_every_entry);
  tcase_add_test(tc, test_daemon_tables_are_well_formed);
  tcase_add_test(tc, test_scheduler_limits_are_entries);
  tcase_add_test(tc, test_worker_limits_are_entries);
  tcase_add_test(tc, test_size_parse);
  tcase_add_test(tc, test_memory_available_from_files);
  tcase_add_test(tc, test_worker_memory_limit);
  tcase_add_test(tc, test_own_figures);
  tcase_add_test(tc, test_help_and_version_are_requests);
  tcase_add_test(tc, test_usage_is_whole_and_wrapped);
  tcase_add_test(tc, test_usage_lists_every_scheduler_entry);
  tcase_add_test(tc, test_version_line);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
