/* check_sched_profile.c - the scheduler's records of a profiled query
 * (scheduler/profile.c): the PROFILE parts it would send decode (so every
 * time is in the order msg.h promises) for workers whose clocks are
 * anywhere relative to the scheduler's, or drift; runs land where the
 * worker measured them; parts hold at most DUSK_PROFILE_PART_MAX records
 * and only the last says so; unfinished tasks are left out; slots stop at
 * DUSK_PROFILE_TASKS_MAX. */
#include "internal.h"
#include "testutil.h"
#include "wire.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ull /* ns */
#define T0 (1000 * MS) /* the query's arrival on the scheduler's clock */

/* Collected parts: every one decoded, its records copied out. */
typedef struct collected {
  size_t nparts, nlast;
  dusk_task_profile recs[512];
  size_t n;
  uint64_t wall_us, planned_us, ntasks;
  uint32_t attempts;
} collected;

static void collect(void *ctx, const dusk_msg *m) {
  collected *c = ctx;
  dusk_buf enc;
  dusk_msg_decoder dec;
  dusk_msg out;
  dusk_error err = {0};
  dusk_slice body;
  dusk_buf_init(&enc);
  ck_assert_int_eq(dusk_msg_encode(m, &enc), 0);
  body.ptr = enc.data + DUSK_WIRE_HEADER_SIZE;
  body.len = enc.len - DUSK_WIRE_HEADER_SIZE;
  ck_assert_int_eq(dusk_msg_decoder_init(&dec), 0);
  ck_assert_msg(dusk_msg_decode(&dec, DUSK_MSG_PROFILE, body, &out, &err) == 0,
                "part %zu: %s", c->nparts, err.message);
  ck_assert_uint_le(out.u.profile.n, DUSK_PROFILE_PART_MAX);
  ck_assert_int_eq(c->nlast, 0); /* nothing after the last part */
  c->nlast += out.u.profile.last;
  for (uint32_t i = 0; i < out.u.profile.n; i++) {
    ck_assert_uint_lt(c->n, 512);
    c->recs[c->n] = out.u.profile.tasks[i];
    c->recs[c->n].key.ptr = NULL; /* borrowed from the body */
    c->recs[c->n].op.ptr = NULL;
    c->recs[c->n].addr.ptr = NULL;
    c->n++;
  }
  c->wall_us = out.u.profile.wall_us;
  c->planned_us = out.u.profile.planned_us;
  c->ntasks = out.u.profile.ntasks;
  c->attempts = out.u.profile.attempts;
  c->nparts++;
  dusk_msg_decoder_destroy(&dec);
  dusk_buf_destroy(&enc);
}

static sched_worker worker(uint64_t id, const char *addr) {
  sched_worker w;
  memset(&w, 0, sizeof w);
  w.id = id;
  snprintf(w.addr, sizeof w.addr, "%s", addr);
  return w;
}

/* Task i of n on worker w: sent at 10 + i ms, the COMPUTE arriving 30 us
 * later on a clock `skew` ns from ours (plus `drift` ns per task), held
 * 2 ms (fetch 100 us, wait 200 us, run 1.5 ms), the result back 40 us
 * later. */
static void run_task(sched_profile *p, uint32_t slot, const sched_worker *w,
                     int i, int64_t skew, int64_t drift) {
  uint64_t sent = T0 + (10 + (uint64_t)i) * MS;
  dusk_msg_task_done m;
  memset(&m, 0, sizeof m);
  m.nbytes = 64;
  m.fetch_us = 100;
  m.wait_us = 200;
  m.run_us = 1500;
  m.held_us = 2000;
  m.recv_ns = (uint64_t)((int64_t)(sent + 30000) + skew + drift * i);
  dusk__profile_ready(p, slot, sent - 5000);
  dusk__profile_done(p, slot, w, sent, &m, sent + 30000 + 2000000 + 40000);
}

static void check_skew(int64_t skew) {
  sched_profile *p = dusk__profile_new(T0);
  sched_worker a = worker(1, "10.0.0.1:7001"), b = worker(2, "10.0.0.2:7001");
  collected c;
  memset(&c, 0, sizeof c);
  dusk__profile_attempt(p, T0 + 3 * MS);
  for (int i = 0; i < 6; i++) {
    char key[32];
    uint32_t slot;
    snprintf(key, sizeof key, "scan-%d", i);
    slot = dusk__profile_slot(p, key, "df_scan", 1000, T0 + 3 * MS);
    ck_assert_uint_eq(slot, (uint32_t)i + 1);
    run_task(p, slot, i % 2 ? &b : &a, i, i % 2 ? -skew : skew, 0);
  }
  dusk__profile_parts(p, "query-1", T0 + 50 * MS, collect, &c);
  ck_assert_uint_eq(c.nparts, 1);
  ck_assert_uint_eq(c.n, 6);
  ck_assert_uint_eq(c.wall_us, 50000);
  ck_assert_uint_eq(c.planned_us, 3000);
  ck_assert_uint_eq(c.ntasks, 6);
  ck_assert_uint_eq(c.attempts, 1);
  for (int i = 0; i < 6; i++) {
    const dusk_task_profile *t = &c.recs[i];
    uint64_t sent_us = (10 + (uint64_t)i) * 1000;
    ck_assert_uint_eq(t->worker, i % 2 ? 2 : 1);
    ck_assert_uint_eq(t->ready_at, sent_us - 5);
    ck_assert_uint_eq(t->sent_at, sent_us);
    ck_assert_uint_eq(t->done_at, sent_us + 30 + 2000 + 40);
    /* Every COMPUTE took as long, so the fastest trip counts as none:
     * the run starts fetch + wait after the send, and lasts its run. */
    ck_assert_uint_eq(t->start_at, sent_us + 300);
    ck_assert_uint_eq(t->end_at, sent_us + 300 + 1500);
    ck_assert_uint_eq(t->held_us, 2000);
    ck_assert_uint_eq(t->scan_bytes, 1000);
    ck_assert_uint_eq(t->result_bytes, 64);
  }
  dusk__profile_free(p);
}

START_TEST(test_any_clock_offset) {
  /* The same records whatever the workers' clocks read. */
  check_skew(0);
  check_skew(123456789012345ll);
  check_skew(-999 * (int64_t)MS);
}
END_TEST

START_TEST(test_drift_and_overlong_hold) {
  /* A worker clock drifting 50 us per task against ours, and a worker
   * reporting it held a task longer than the round trip: still in order
   * (the decoder in collect checks), runs never past their results. */
  sched_profile *p = dusk__profile_new(T0);
  sched_worker a = worker(1, "10.0.0.1:7001");
  collected c;
  memset(&c, 0, sizeof c);
  dusk__profile_attempt(p, T0);
  for (int i = 0; i < 8; i++) {
    uint32_t slot = dusk__profile_slot(p, "t", "df_combine", 0, T0);
    run_task(p, slot, &a, i, 777, i % 2 ? 50000 : -50000);
  }
  {
    dusk_msg_task_done m;
    uint32_t slot = dusk__profile_slot(p, "long", "df_final", 0, T0);
    memset(&m, 0, sizeof m);
    m.run_us = 9000;
    m.held_us = 9000; /* the round trip below is 1 ms */
    m.recv_ns = 5;
    dusk__profile_done(p, slot, &a, T0 + 30 * MS, &m, T0 + 31 * MS);
  }
  dusk__profile_parts(p, "q", T0 + 40 * MS, collect, &c);
  ck_assert_uint_eq(c.n, 9);
  ck_assert_uint_eq(c.recs[8].held_us, 1000);
  ck_assert_uint_le(c.recs[8].end_at, c.recs[8].done_at);
  ck_assert_uint_eq(c.recs[8].ready_at, 0); /* ready when submitted */
  dusk__profile_free(p);
}
END_TEST

START_TEST(test_parts_and_unfinished) {
  /* 200 slots, every third never finished: 133 records, packed into 3
   * parts. */
  sched_profile *p = dusk__profile_new(T0);
  sched_worker a = worker(1, "10.0.0.1:7001");
  collected c;
  size_t done = 0;
  memset(&c, 0, sizeof c);
  dusk__profile_attempt(p, T0);
  dusk__profile_attempt(p, T0 + MS); /* a second attempt */
  for (int i = 0; i < 200; i++) {
    uint32_t slot = dusk__profile_slot(p, "t", "df_scan", 10, T0 + MS);
    if (i % 3 != 0) {
      run_task(p, slot, &a, i % 20, 0, 0);
      done++;
    }
  }
  dusk__profile_parts(p, "q", T0 + 60 * MS, collect, &c);
  ck_assert_uint_eq(c.n, done);
  ck_assert_uint_eq(c.nlast, 1);
  ck_assert_uint_eq(done, 133);
  ck_assert_uint_eq(c.nparts, (done + DUSK_PROFILE_PART_MAX - 1) /
                                  DUSK_PROFILE_PART_MAX);
  ck_assert_uint_eq(c.ntasks, 200);
  ck_assert_uint_eq(c.attempts, 2);
  ck_assert_uint_eq(c.recs[0].attempt, 2);
  dusk__profile_free(p);

  /* A query without a finished task: one empty last part. */
  p = dusk__profile_new(T0);
  memset(&c, 0, sizeof c);
  dusk__profile_parts(p, "q", T0 + MS, collect, &c);
  ck_assert_uint_eq(c.nparts, 1);
  ck_assert_uint_eq(c.nlast, 1);
  ck_assert_uint_eq(c.n, 0);
  ck_assert_uint_eq(c.planned_us, c.wall_us);
  dusk__profile_free(p);
}
END_TEST

START_TEST(test_slot_cap) {
  sched_profile *p = dusk__profile_new(T0);
  dusk__profile_attempt(p, T0);
  for (uint32_t i = 0; i < DUSK_PROFILE_TASKS_MAX; i++)
    ck_assert_uint_eq(dusk__profile_slot(p, "t", "df_scan", 0, T0), i + 1);
  ck_assert_uint_eq(dusk__profile_slot(p, "t", "df_scan", 0, T0), 0);
  /* Slot 0 and slots past the end are ignored. */
  dusk__profile_ready(p, 0, T0);
  dusk__profile_ready(p, DUSK_PROFILE_TASKS_MAX + 5, T0);
  dusk__profile_free(p);
}
END_TEST

static Suite *sched_profile_suite(void) {
  Suite *s = suite_create("sched_profile");
  TCase *tc = tcase_create("records");
  tcase_add_test(tc, test_any_clock_offset);
  tcase_add_test(tc, test_drift_and_overlong_hold);
  tcase_add_test(tc, test_parts_and_unfinished);
  tcase_add_test(tc, test_slot_cap);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(sched_profile_suite()); }
