/* check_profile.c - a query's profile on the client side (client/profile.c):
 * PROFILE parts become task records (the run placed as the scheduler
 * sent it, the client's cap of DUSK_PROFILE_TASKS_MAX records), the plan
 * outline, and the HTML report: everything from data escaped, no script
 * or external reference, an empty profile written too, and an unwritable
 * path an error naming it. */
#include "dusk.h"
#include "testutil.h"

#include "client_internal.h"
#include "msg.h"
#include "plan.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static dusk_slice cs(const char *s) {
  dusk_slice x;
  x.ptr = s;
  x.len = strlen(s);
  return x;
}

/* A part of n tasks (keys "k<first + i>"), on workers 1 and 2. */
static void fill_part(dusk_msg_profile *m, dusk_task_profile *t, uint32_t n,
                      uint32_t first, char (*keys)[32]) {
  memset(m, 0, sizeof *m);
  m->key = cs("query-1");
  m->attempts = 1;
  m->ntasks = 100000;
  m->planned_us = 500;
  m->wall_us = 90000;
  m->n = n;
  m->tasks = t;
  for (uint32_t i = 0; i < n; i++) {
    snprintf(keys[i], sizeof keys[i], "k%u", first + i);
    memset(&t[i], 0, sizeof t[i]);
    t[i].key = cs(keys[i]);
    t[i].op = cs(i % 2 ? "df_scan" : "df_final");
    t[i].worker = 1 + i % 2;
    t[i].addr = cs(i % 2 ? "127.0.0.1:7001" : "127.0.0.1:7002");
    t[i].attempt = 1;
    t[i].ready_at = 600;
    t[i].sent_at = 700;
    t[i].start_at = 800;
    t[i].end_at = 5800;
    t[i].done_at = 6000;
    t[i].fetch_us = 40;
    t[i].wait_us = 50;
    t[i].held_us = 5200;
    t[i].scan_bytes = 1000 + i;
    t[i].result_bytes = 10;
  }
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  char *buf;
  long n;
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  rewind(f);
  buf = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

START_TEST(test_parts_become_records) {
  static dusk_task_profile t[DUSK_PROFILE_PART_MAX];
  static char keys[DUSK_PROFILE_PART_MAX][32];
  dusk_msg_profile m;
  dusk_profile *p = dusk__profile_new("query-1");
  ck_assert_ptr_nonnull(p);
  fill_part(&m, t, 3, 0, keys);
  ck_assert_int_eq(dusk__profile_add_part(p, &m), 0);
  fill_part(&m, t, 2, 3, keys);
  m.last = true;
  ck_assert_int_eq(dusk__profile_add_part(p, &m), 0);
  ck_assert_uint_eq(p->ntask_records, 5);
  ck_assert_str_eq(p->tasks[4].key, "k4");
  ck_assert_str_eq(p->tasks[1].op, "df_scan");
  ck_assert_str_eq(p->tasks[1].worker_addr, "127.0.0.1:7001");
  ck_assert_uint_eq(p->tasks[0].start_us, 800);
  ck_assert_uint_eq(p->tasks[0].end_us, 5800);
  ck_assert_uint_eq(p->tasks[0].run_us, 5000);
  ck_assert_uint_eq(p->tasks[0].held_us, 5200);
  ck_assert_uint_eq(p->wall_us, 90000);
  ck_assert_uint_eq(p->planned_us, 500);
  ck_assert_uint_eq(p->ntasks, 100000);
  dusk_profile_free(p);
}
END_TEST

START_TEST(test_client_cap) {
  /* Parts past DUSK_PROFILE_TASKS_MAX records add nothing more. */
  static dusk_task_profile t[DUSK_PROFILE_PART_MAX];
  static char keys[DUSK_PROFILE_PART_MAX][32];
  dusk_msg_profile m;
  dusk_profile *p = dusk__profile_new("query-1");
  ck_assert_ptr_nonnull(p);
  for (uint32_t i = 0; i <= DUSK_PROFILE_TASKS_MAX / DUSK_PROFILE_PART_MAX;
       i++) {
    fill_part(&m, t, DUSK_PROFILE_PART_MAX, i * DUSK_PROFILE_PART_MAX, keys);
    ck_assert_int_eq(dusk__profile_add_part(p, &m), 0);
  }
  ck_assert_uint_eq(p->ntask_records, DUSK_PROFILE_TASKS_MAX);
  ck_assert_str_eq(p->tasks[DUSK_PROFILE_TASKS_MAX - 1].key, "k65535");
  dusk_profile_free(p);
}
END_TEST

START_TEST(test_report_escapes_and_stands_alone) {
  static dusk_task_profile t[4];
  static char keys[4][32];
  const char *paths[] = {"/data/<script>alert(1)</script>&\"'.csv"};
  dusk_msg_profile m;
  dusk_profile *p = dusk__profile_new("query-<b>");
  dusk_plan *plan = dusk_plan_read_csv(paths, 1, NULL);
  const dusk_profile *ps[1];
  char path[] = "/tmp/dusk-check-profile-XXXXXX";
  char file[64];
  dusk_error err = {0};
  char *html;
  ck_assert_ptr_nonnull(p);
  ck_assert_ptr_nonnull(plan);
  ck_assert_ptr_nonnull(mkdtemp(path));
  fill_part(&m, t, 4, 0, keys);
  t[1].key = cs("k<img src=x onerror=alert(2)>");
  t[2].addr = cs("evil\"><script>3</script>:1");
  m.last = true;
  ck_assert_int_eq(dusk__profile_add_part(p, &m), 0);
  ck_assert_int_eq(dusk__profile_describe_plan(p, plan), 0);
  ck_assert_int_eq(dusk_profile_set_query(p, "len(read_csv(\"</pre>\"))"), 0);
  snprintf(file, sizeof file, "%s/r.html", path);
  ps[0] = p;
  ck_assert_int_eq(dusk_profile_write_html(ps, 1, file, &err), 0);
  html = slurp(file);
  ck_assert_ptr_null(strstr(html, "<script"));
  ck_assert_ptr_null(strstr(html, "<img"));
  ck_assert_ptr_null(strstr(html, "<b>"));
  ck_assert_ptr_null(strstr(html, "<link"));
  ck_assert_ptr_null(strstr(html, " href="));
  ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"
                                     "&amp;&quot;&#39;.csv"));
  ck_assert_ptr_nonnull(strstr(html, "k&lt;img src=x"));
  ck_assert_ptr_nonnull(strstr(html, "len(read_csv(&quot;&lt;/pre&gt;"));
  /* One bar per task, both workers' rows. */
  {
    size_t bars = 0;
    for (const char *q = html; (q = strstr(q, "class=\"task\"")); q++)
      bars++;
    ck_assert_uint_eq(bars, 4);
  }
  ck_assert_ptr_nonnull(strstr(html, "<summary>Every task (4)</summary>"));
  ck_assert_ptr_nonnull(strstr(html, "<tr data-worker=\"1\">"));
  ck_assert_ptr_nonnull(strstr(html, "<tr data-worker=\"2\">"));
  free(html);
  unlink(file);

  /* No query at all, and an empty profile: still a report. */
  ck_assert_int_eq(dusk_profile_write_html(NULL, 0, file, &err), 0);
  unlink(file);
  {
    dusk_profile *empty = dusk__profile_new("query-2");
    ps[0] = empty;
    ck_assert_int_eq(dusk_profile_write_html(ps, 1, file, &err), 0);
    html = slurp(file);
    ck_assert_ptr_nonnull(strstr(html, "0 recorded of 0 submitted"));
    free(html);
    unlink(file);
    dusk_profile_free(empty);
  }

  /* A folder, or one that does not exist: an error naming the path. */
  ps[0] = p;
  ck_assert_int_eq(dusk_profile_write_html(ps, 1, path, &err), -EISDIR);
  ck_assert_ptr_nonnull(strstr(err.message, path));
  snprintf(file, sizeof file, "%s/no/r.html", path);
  ck_assert_int_eq(dusk_profile_write_html(ps, 1, file, &err), -ENOENT);
  ck_assert_ptr_nonnull(strstr(err.message, "cannot write the report to"));
  ck_assert_ptr_nonnull(strstr(err.message, file));
  rmdir(path);
  dusk_plan_free(plan);
  dusk_profile_free(p);
}
END_TEST

static Suite *profile_suite(void) {
  Suite *s = suite_create("profile");
  TCase *tc = tcase_create("client");
  tcase_add_test(tc, test_parts_become_records);
  tcase_add_test(tc, test_client_cap);
  tcase_add_test(tc, test_report_escapes_and_stands_alone);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(profile_suite()); }
