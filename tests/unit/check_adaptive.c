/* check_adaptive.c - the autoscaler's policy (scheduler/adaptive.h), driven
 * by hand: the target from the load, launches counted while pending, the
 * clamp to [min, max], and shrinking only after consecutive idle ticks
 * outside the cooldown. */
#include "adaptive.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static dusk_adaptive_params params(uint32_t min, uint32_t max) {
  dusk_adaptive_params p;
  memset(&p, 0, sizeof p);
  p.min_hosts = min;
  p.max_hosts = max;
  p.target_duration_ms = 5000;
  p.unknown_task_ms = 500;
  p.wait_count = 3;
  p.cooldown_ms = 10000;
  p.boot_timeout_ms = 60000;
  return p;
}

static dusk_adaptive_load load(uint64_t ntasks, uint64_t task_us) {
  dusk_adaptive_load l = {ntasks, task_us, 0};
  return l;
}

static dusk_adaptive_host *add(dusk_adaptive *a, const char *id, int state,
                               uint32_t nworkers, uint64_t now) {
  dusk_adaptive_host *h = dusk_adaptive_add(a, id, strlen(id), state, now);
  h->nworkers = nworkers;
  return h;
}

START_TEST(test_target_follows_the_work) {
  dusk_adaptive_params p = params(0, 100);
  dusk_adaptive a;
  dusk_adaptive_load l;
  uint64_t work;
  dusk_adaptive_init(&a, &p);
  /* Nothing queued: the minimum. */
  l = load(0, 0);
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, &work), 0);
  ck_assert_uint_eq(work, 0);
  /* One waiting task wants a slot, however short. */
  l = load(1, 1000);
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, NULL), 1);
  /* 40 tasks of 1 s: 40 s of work over 5 s per slot = 8 hosts. */
  l = load(40, 1000000);
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, &work), 8);
  ck_assert_uint_eq(work, 40000);
  /* Unknown durations count 500 ms: 100 tasks = 50 s = 10 hosts. */
  l = load(100, 0);
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, NULL), 10);
  /* Three 60 s tasks cannot use more than three slots. */
  l = load(3, 60000000);
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, NULL), 3);
  /* Workers no provider started take slots first. */
  l = load(40, 1000000);
  l.unmanaged_workers = 6;
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, NULL), 2);
  l.unmanaged_workers = 50;
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, NULL), 0);
  /* Once a host has run 2 workers, a host counts as 2 slots: 8 slots =
   * 4 hosts. */
  a.workers_per_host = 2;
  l = load(40, 1000000);
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, NULL), 4);
  /* Clamped to [min, max]. */
  a.p.max_hosts = 3;
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, NULL), 3);
  a.p.min_hosts = 2;
  l = load(0, 0);
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, NULL), 2);
  /* A huge backlog does not overflow. */
  l = load(UINT64_MAX, UINT64_MAX);
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, NULL), 3);
  dusk_adaptive_destroy(&a);
}
END_TEST

START_TEST(test_pending_hosts_are_not_launched_twice) {
  dusk_adaptive_params p = params(1, 4);
  dusk_adaptive a;
  dusk_adaptive_decision d;
  dusk_adaptive_load l = load(40, 1000000); /* wants 8, max 4 */
  uint64_t now = 1000;
  dusk_adaptive_init(&a, &p);
  dusk_adaptive_tick(&a, &l, now, &d);
  ck_assert_uint_eq(d.target, 4);
  ck_assert_uint_eq(d.up, 4);
  ck_assert_uint_eq(d.ndown, 0);
  dusk_adaptive_decision_free(&d);
  /* The provider started 3 of them (one failed): only the missing one is
   * asked for again, however many ticks pass while they boot. */
  add(&a, "a", DUSK_HOST_PENDING, 0, now);
  add(&a, "b", DUSK_HOST_PENDING, 0, now);
  add(&a, "c", DUSK_HOST_PENDING, 0, now);
  for (int i = 0; i < 20; i++) {
    now += 1000;
    dusk_adaptive_tick(&a, &l, now, &d);
    ck_assert_uint_eq(d.up, i == 0 ? 1 : 0);
    ck_assert_uint_eq(d.ndown, 0);
    dusk_adaptive_decision_free(&d);
    if (i == 0)
      add(&a, "d", DUSK_HOST_PENDING, 0, now);
  }
  ck_assert_uint_eq(dusk_adaptive_count(&a, DUSK_HOST_PENDING), 4);
  /* Workers register: the hosts run. */
  for (size_t i = 0; i < a.nhosts; i++)
    a.hosts[i].nworkers = 1;
  now += 1000;
  dusk_adaptive_tick(&a, &l, now, &d);
  ck_assert_uint_eq(dusk_adaptive_count(&a, DUSK_HOST_RUNNING), 4);
  ck_assert_uint_eq(d.up + d.ndown, 0);
  dusk_adaptive_decision_free(&d);
  dusk_adaptive_destroy(&a);
}
END_TEST

START_TEST(test_shrinks_slowly_and_only_idle_hosts) {
  dusk_adaptive_params p = params(1, 4);
  dusk_adaptive a;
  dusk_adaptive_decision d;
  dusk_adaptive_load busy = load(40, 1000000), idle = load(0, 0);
  uint64_t now = 0;
  dusk_adaptive_init(&a, &p);
  dusk_adaptive_tick(&a, &busy, now, &d); /* the launch */
  ck_assert_uint_eq(d.up, 4);
  dusk_adaptive_note_launch(&a, now);
  dusk_adaptive_decision_free(&d);
  add(&a, "a", DUSK_HOST_RUNNING, 1, now);
  add(&a, "b", DUSK_HOST_RUNNING, 1, now);
  add(&a, "c", DUSK_HOST_RUNNING, 1, now);
  add(&a, "d", DUSK_HOST_RUNNING, 1, now)->nkeys = 5;
  a.hosts[0].nbusy = 1; /* "a" still runs a task */
  /* Within the cooldown nothing goes, however idle. */
  for (now = 1000; now < 10000; now += 1000) {
    dusk_adaptive_tick(&a, &idle, now, &d);
    ck_assert_uint_eq(d.target, 1);
    ck_assert_uint_eq(d.ndown, 0);
    dusk_adaptive_decision_free(&d);
  }
  /* After it, three idle hosts are recommended tick after tick; the third
   * recommendation stops them: never "a" (busy), "d" (holding results)
   * last.  The target of 1 keeps one host. */
  dusk_adaptive_tick(&a, &idle, now, &d);
  ck_assert_uint_eq(d.ndown, 0);
  dusk_adaptive_decision_free(&d);
  now += 1000;
  dusk_adaptive_tick(&a, &idle, now, &d);
  ck_assert_uint_eq(d.ndown, 0);
  dusk_adaptive_decision_free(&d);
  now += 1000;
  dusk_adaptive_tick(&a, &idle, now, &d);
  ck_assert_uint_eq(d.ndown, 3);
  for (size_t i = 0; i < d.ndown; i++)
    ck_assert_str_ne(a.hosts[d.down[i]].id, "a");
  ck_assert_uint_eq(dusk_adaptive_count(&a, DUSK_HOST_CLOSING), 3);
  ck_assert_uint_eq(dusk_adaptive_count(&a, DUSK_HOST_RUNNING), 1);
  dusk_adaptive_decision_free(&d);
  dusk_adaptive_destroy(&a);
}
END_TEST

START_TEST(test_results_are_not_stopped_with_the_last_host) {
  dusk_adaptive_params p = params(0, 4);
  dusk_adaptive a;
  dusk_adaptive_decision d;
  dusk_adaptive_load idle = load(0, 0);
  uint64_t now = 0;
  p.cooldown_ms = 0;
  p.wait_count = 1;
  dusk_adaptive_init(&a, &p);
  add(&a, "a", DUSK_HOST_RUNNING, 1, now)->nkeys = 3;
  add(&a, "b", DUSK_HOST_RUNNING, 1, now)->nkeys = 1;
  add(&a, "c", DUSK_HOST_RUNNING, 1, now);
  /* Target 0: "c" (no results) and "b" go - "b" hands its result to "a" -
   * but "a", the last host, keeps its results. */
  dusk_adaptive_tick(&a, &idle, ++now, &d);
  ck_assert_uint_eq(d.target, 0);
  ck_assert_uint_eq(d.ndown, 2);
  ck_assert_str_eq(a.hosts[d.down[0]].id, "b");
  ck_assert_str_eq(a.hosts[d.down[1]].id, "c");
  dusk_adaptive_decision_free(&d);
  for (int i = 0; i < 10; i++) {
    dusk_adaptive_tick(&a, &idle, ++now, &d);
    ck_assert_uint_eq(d.ndown, 0);
    dusk_adaptive_decision_free(&d);
  }
  /* Its results gathered and released: it goes too. */
  a.hosts[0].nkeys = 0;
  dusk_adaptive_tick(&a, &idle, ++now, &d);
  ck_assert_uint_eq(d.ndown, 1);
  ck_assert_str_eq(a.hosts[d.down[0]].id, "a");
  dusk_adaptive_decision_free(&d);
  dusk_adaptive_destroy(&a);
}
END_TEST

START_TEST(test_oscillating_load_does_not_flap) {
  dusk_adaptive_params p = params(0, 4);
  dusk_adaptive a;
  dusk_adaptive_decision d;
  dusk_adaptive_load busy = load(40, 1000000), idle = load(0, 0);
  uint64_t now = 0;
  int ups = 0, downs = 0;
  p.cooldown_ms = 0; /* the votes alone must hold it */
  dusk_adaptive_init(&a, &p);
  dusk_adaptive_tick(&a, &busy, now, &d);
  ck_assert_uint_eq(d.up, 4);
  dusk_adaptive_decision_free(&d);
  for (int i = 0; i < 4; i++) {
    char id[8];
    id[0] = (char)('a' + i);
    id[1] = '\0';
    add(&a, id, DUSK_HOST_RUNNING, 1, now);
  }
  /* Busy for two ticks, idle for two: an idle spell is never the three
   * consecutive recommendations a stop needs. */
  for (int t = 1; t <= 200; t++) {
    now += 1000;
    dusk_adaptive_tick(&a, (t / 2) % 2 ? &idle : &busy, now, &d);
    ups += d.up > 0;
    downs += (int)d.ndown;
    dusk_adaptive_decision_free(&d);
  }
  ck_assert_int_eq(ups, 0);
  ck_assert_int_eq(downs, 0);
  ck_assert_uint_eq(dusk_adaptive_count(&a, DUSK_HOST_RUNNING), 4);
  dusk_adaptive_destroy(&a);
}
END_TEST

START_TEST(test_host_that_never_arrives_is_stopped) {
  dusk_adaptive_params p = params(2, 4);
  dusk_adaptive a;
  dusk_adaptive_decision d;
  dusk_adaptive_load idle = load(0, 0);
  dusk_adaptive_init(&a, &p);
  add(&a, "ok", DUSK_HOST_PENDING, 1, 0);
  add(&a, "stuck", DUSK_HOST_PENDING, 0, 0);
  dusk_adaptive_tick(&a, &idle, 59999, &d);
  ck_assert_uint_eq(d.ndown, 0);
  ck_assert_uint_eq(dusk_adaptive_count(&a, DUSK_HOST_RUNNING), 1);
  dusk_adaptive_decision_free(&d);
  dusk_adaptive_tick(&a, &idle, 60000, &d);
  ck_assert_uint_eq(d.ndown, 1);
  ck_assert_uint_eq(d.timed_out, 1);
  ck_assert_str_eq(a.hosts[d.down[0]].id, "stuck");
  /* ... and replaced, to keep the minimum. */
  ck_assert_uint_eq(d.up, 1);
  dusk_adaptive_decision_free(&d);
  /* A running host whose workers all left waits for them again. */
  a.hosts[0].nworkers = 0;
  dusk_adaptive_tick(&a, &idle, 61000, &d);
  ck_assert_int_eq(a.hosts[0].state, DUSK_HOST_PENDING);
  dusk_adaptive_decision_free(&d);
  dusk_adaptive_remove(&a, 1);
  ck_assert_uint_eq(a.nhosts, 1);
  ck_assert_ptr_nonnull(dusk_adaptive_find(&a, "ok", 2));
  ck_assert_ptr_null(dusk_adaptive_find(&a, "stuck", 5));
  dusk_adaptive_destroy(&a);
}
END_TEST

START_TEST(test_hosts_of_several_workers) {
  dusk_adaptive_params p = params(0, 10);
  dusk_adaptive a;
  dusk_adaptive_decision d;
  dusk_adaptive_load l = load(80, 500000); /* 40 s: 8 slots */
  dusk_adaptive_init(&a, &p);
  /* Cold: one slot a host. */
  dusk_adaptive_tick(&a, &l, 0, &d);
  ck_assert_uint_eq(d.up, 8);
  dusk_adaptive_decision_free(&d);
  /* The first host shows 4 workers, another only 1 so far (its nanny is
   * still starting them): hosts are 4 slots, so 2 are wanted - not 7. */
  add(&a, "a", DUSK_HOST_PENDING, 4, 0);
  add(&a, "b", DUSK_HOST_PENDING, 1, 0);
  dusk_adaptive_tick(&a, &l, 1, &d);
  ck_assert_uint_eq(d.arrived, 2);
  ck_assert_uint_eq(a.workers_per_host, 4);
  ck_assert_uint_eq(d.target, 2);
  ck_assert_uint_eq(d.up, 0);
  dusk_adaptive_decision_free(&d);
  /* Remembered when every host is gone. */
  dusk_adaptive_remove(&a, 1);
  dusk_adaptive_remove(&a, 0);
  ck_assert_uint_eq(dusk_adaptive_target(&a, &l, NULL), 2);
  dusk_adaptive_destroy(&a);
}
END_TEST

START_TEST(test_closing_hosts_count_against_the_maximum) {
  dusk_adaptive_params p = params(0, 2);
  dusk_adaptive a;
  dusk_adaptive_decision d;
  dusk_adaptive_load busy = load(40, 1000000);
  dusk_adaptive_init(&a, &p);
  /* Two hosts being stopped (their `down` keeps failing): nothing more
   * may start, whatever the load wants. */
  add(&a, "x", DUSK_HOST_CLOSING, 0, 0);
  add(&a, "y", DUSK_HOST_CLOSING, 0, 0);
  dusk_adaptive_tick(&a, &busy, 1, &d);
  ck_assert_uint_eq(d.target, 2);
  ck_assert_uint_eq(d.up, 0);
  dusk_adaptive_decision_free(&d);
  dusk_adaptive_remove(&a, 1); /* one is gone at last */
  dusk_adaptive_tick(&a, &busy, 2, &d);
  ck_assert_uint_eq(d.up, 1);
  dusk_adaptive_decision_free(&d);
  dusk_adaptive_destroy(&a);
}
END_TEST

START_TEST(test_host_ids) {
  char longest[DUSK_HOST_ID_MAX + 2];
  memset(longest, 'a', sizeof longest);
  ck_assert(dusk_host_id_valid("i-0123456789abcdef0", 19));
  ck_assert(dusk_host_id_valid("local-1.x_y:z", 13));
  ck_assert(dusk_host_id_valid(longest, DUSK_HOST_ID_MAX));
  ck_assert(!dusk_host_id_valid(longest, DUSK_HOST_ID_MAX + 1));
  ck_assert(!dusk_host_id_valid("", 0));
  ck_assert(!dusk_host_id_valid("a b", 3));
  ck_assert(!dusk_host_id_valid("a;rm", 4));
  ck_assert(!dusk_host_id_valid("a\nb", 3));
  ck_assert(!dusk_host_id_valid("$(x)", 4));
}
END_TEST

int main(void) {
  Suite *s = suite_create("adaptive");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_target_follows_the_work);
  tcase_add_test(tc, test_pending_hosts_are_not_launched_twice);
  tcase_add_test(tc, test_shrinks_slowly_and_only_idle_hosts);
  tcase_add_test(tc, test_results_are_not_stopped_with_the_last_host);
  tcase_add_test(tc, test_oscillating_load_does_not_flap);
  tcase_add_test(tc, test_host_that_never_arrives_is_stopped);
  tcase_add_test(tc, test_hosts_of_several_workers);
  tcase_add_test(tc, test_closing_hosts_count_against_the_maximum);
  tcase_add_test(tc, test_host_ids);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
