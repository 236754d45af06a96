/* check_joinlabel.c - a shuffle join's group lists and the labels of the
 * rows a filter kept.
 *
 * Random parts of random groups and counts, a random subset of their rows
 * kept: every kept row's label is its place in the rows of all groups in
 * group order, whatever the parts' order; lists packed from unordered
 * groups.  Then every refusal: a list cut short, a number past 64 bits, a
 * repeated group, one of no rows, counts that do not add up to the part's
 * rows, a group in two parts, rows out of order, a row whose group no list
 * holds or whose place is past its group's rows - and pack refusing a
 * repeated or empty group.  The cuts that part the rows into runs of equal
 * size for a to_csv, checked against each row's plain position. */
#include "joinlabel.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static uint64_t rng(void) { return tu_splitmix(&rng_state); }

typedef struct grp {
  uint64_t group, count;
  size_t part;
} grp;

/* Packs parts of groups gs[0..n) (each part's added in a shuffled order),
 * into bufs[0..nparts) with rows[] their totals. */
static void pack_parts(grp *gs, size_t n, size_t nparts, dusk_buf *bufs,
                       uint64_t *rows) {
  for (size_t p = 0; p < nparts; p++) {
    dusk_join_groups g;
    dusk_join_groups_init(&g);
    dusk_buf_init(&bufs[p]);
    rows[p] = 0;
    for (size_t i = 0; i < n; i++) {
      size_t j = (i * 7919 + p) % n; /* an order other than the groups' */
      if (gs[j].part != p)
        continue;
      ck_assert_int_eq(dusk_join_groups_add(&g, gs[j].group, gs[j].count), 0);
      rows[p] += gs[j].count;
    }
    ck_assert_int_eq(dusk_join_groups_pack(&g, &bufs[p]), 0);
    dusk_join_groups_destroy(&g);
  }
}

/* n random groups, ascending (some far apart), of 1 to maxcount rows
 * (most of one), in random parts of nparts, packed into bufs and seen
 * through lists / len; their rows in all. */
static uint64_t random_parts(grp *gs, size_t n, size_t nparts,
                             uint64_t maxcount, dusk_buf *bufs,
                             uint64_t *rows, const unsigned char **lists,
                             size_t *len) {
  uint64_t at = rng() % 1000, total = 0;
  for (size_t i = 0; i < n; i++) {
    at += 1 + (rng() % 4 == 0 ? rng() % ((uint64_t)1 << 40) : rng() % 3);
    gs[i].group = at;
    gs[i].count = 1 + (rng() % 3 == 0 ? rng() % maxcount : 0);
    gs[i].part = rng() % nparts;
    total += gs[i].count;
  }
  pack_parts(gs, n, nparts, bufs, rows);
  for (size_t p = 0; p < nparts; p++) {
    lists[p] = (const unsigned char *)bufs[p].data;
    len[p] = bufs[p].len;
  }
  return total;
}

START_TEST(test_labels_random) {
  rng_state = 0x5eed + (uint64_t)_i;
  for (int round = 0; round < 50; round++) {
    size_t nparts = 1 + rng() % 9, n = rng() % 400, nkept = 0, total = 0;
    grp *gs = calloc(n + 1, sizeof *gs);
    dusk_buf bufs[9];
    uint64_t rows[9];
    const unsigned char *lists[9];
    size_t len[9];
    int64_t *group, *place, *label, *want;
    dusk_error err = {0};
    total = random_parts(gs, n, nparts, 20, bufs, rows, lists, len);
    group = calloc(total + 1, sizeof *group);
    place = calloc(total + 1, sizeof *place);
    label = calloc(total + 1, sizeof *label);
    want = calloc(total + 1, sizeof *want);
    for (size_t i = 0, pos = 0; i < n; i++)
      for (uint64_t k = 0; k < gs[i].count; k++, pos++)
        if (rng() % 3 == 0) {
          group[nkept] = (int64_t)gs[i].group;
          place[nkept] = (int64_t)k;
          want[nkept++] = (int64_t)pos;
        }
    ck_assert_int_eq(dusk_join_labels(lists, len, rows, nparts, group, place,
                                      nkept, label, &err),
                     0);
    for (size_t r = 0; r < nkept; r++)
      ck_assert_int_eq(label[r], want[r]);
    for (size_t p = 0; p < nparts; p++)
      dusk_buf_destroy(&bufs[p]);
    free(gs);
    free(group);
    free(place);
    free(label);
    free(want);
  }
}
END_TEST

/* Cuts into 1..12 runs over random parts (also none at all, and fewer
 * rows than runs): every row's run, by dusk_join_cut_part, is the one its
 * place among all rows gives - floor(pos * nruns / total) rounded as
 * the cuts round - so runs ascend and differ by at most one row. */
START_TEST(test_cuts_random) {
  rng_state = 0xc075 + (uint64_t)_i;
  for (int round = 0; round < 60; round++) {
    size_t nparts = 1 + rng() % 9, n = round % 10 == 0 ? rng() % 3
                                                         : rng() % 300;
    uint32_t nruns = 1 + (uint32_t)(rng() % 12);
    grp *gs = calloc(n + 1, sizeof *gs);
    dusk_buf bufs[9];
    uint64_t rows[9], cg[12], cp[12], total = 0, pos = 0;
    const unsigned char *lists[9];
    size_t len[9], *per = calloc(nruns, sizeof *per);
    dusk_error err = {0};
    uint32_t last = 0;
    total = random_parts(gs, n, nparts, 40, bufs, rows, lists, len);
    ck_assert_int_eq(dusk_join_cuts(lists, len, rows, nparts, nruns, cg, cp,
                                    &err),
                     0);
    for (size_t i = 0; i < n; i++)
      for (uint64_t k = 0; k < gs[i].count; k++, pos++) {
        uint32_t run =
            dusk_join_cut_part(cg, cp, nruns - 1, gs[i].group, k);
        /* run j holds rows [j * total / nruns, (j + 1) * total / nruns) */
        ck_assert_uint_lt(run, nruns);
        ck_assert_uint_ge(pos, (uint64_t)run * total / nruns);
        ck_assert_uint_lt(pos, (uint64_t)(run + 1) * total / nruns);
        ck_assert_uint_ge(run, last);
        last = run;
        per[run]++;
      }
    for (uint32_t j = 0; j < nruns; j++)
      ck_assert_uint_le(per[j], total / nruns + 1);
    for (size_t p = 0; p < nparts; p++)
      dusk_buf_destroy(&bufs[p]);
    free(gs);
    free(per);
  }
  { /* no parts at all, and a group in two lists */
    dusk_error err = {0};
    uint64_t cg[2], cp[2], rows[2] = {1, 1};
    const unsigned char l0[] = {5, 1}, l1[] = {5, 1};
    const unsigned char *lists[2] = {l0, l1};
    size_t len[2] = {2, 2};
    ck_assert_int_eq(dusk_join_cuts(lists, len, rows, 0, 3, cg, cp, &err), 0);
    ck_assert(cg[0] == UINT64_MAX && cg[1] == UINT64_MAX);
    ck_assert_int_eq(dusk_join_cuts(lists, len, rows, 2, 3, cg, cp, &err),
                     DUSK_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "both hold order group 5"));
    ck_assert_int_eq(dusk_join_cuts(lists, len, rows, 2, 0, cg, cp, &err),
                     DUSK_EINVAL);
  }
}
END_TEST

/* Labels of one row (group g, place pl) over the given raw lists. */
static int label_one(const char *const *raw, const size_t *rawlen,
                     const uint64_t *rows, size_t nlists, int64_t g,
                     int64_t pl, dusk_error *err) {
  int64_t label;
  const unsigned char *lists[4];
  for (size_t k = 0; k < nlists; k++)
    lists[k] = (const unsigned char *)raw[k];
  memset(err, 0, sizeof *err);
  return dusk_join_labels(lists, rawlen, rows, nlists, &g, &pl, 1, &label,
                          err);
}

START_TEST(test_refusals) {
  dusk_error err;
  /* list 0: groups 5 (2 rows), 9 (1 row); list 1: group 7 (3 rows) */
  const char *good[2] = {"\x05\x02\x04\x01", "\x07\x03"};
  size_t goodlen[2] = {4, 2};
  uint64_t rows[2] = {3, 3};
  int64_t g[3] = {5, 7, 9}, pl[3] = {1, 2, 0}, label[3];
  const unsigned char *lists[2] = {(const unsigned char *)good[0],
                                   (const unsigned char *)good[1]};
  ck_assert_int_eq(dusk_join_labels(lists, goodlen, rows, 2, g, pl, 3, label,
                                    &err),
                   0);
  ck_assert_int_eq(label[0], 1);
  ck_assert_int_eq(label[1], 4);
  ck_assert_int_eq(label[2], 5);
  { /* cut short */
    const char *raw[1] = {"\x05\x82"};
    size_t l[1] = {2};
    uint64_t r[1] = {2};
    ck_assert_int_eq(label_one(raw, l, r, 1, 5, 0, &err), DUSK_EPARSE);
    ck_assert_str_eq(err.message, "shuffle join part 0's group list, byte "
                                  "2: a number cut short");
  }
  { /* past 64 bits */
    const char *raw[1] = {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\x01"};
    size_t l[1] = {11};
    uint64_t r[1] = {1};
    ck_assert_int_eq(label_one(raw, l, r, 1, 5, 0, &err), DUSK_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "past 64 bits"));
  }
  { /* a repeated group, a group of no rows */
    const char *raw[1] = {"\x05\x01\x00\x01"}, *zero[1] = {"\x05\x00"};
    size_t l[1] = {4}, lz[1] = {2};
    uint64_t r[1] = {2}, rz[1] = {0};
    ck_assert_int_eq(label_one(raw, l, r, 1, 5, 0, &err), DUSK_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "a group repeated"));
    ck_assert_int_eq(label_one(zero, lz, rz, 1, 5, 0, &err), DUSK_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "a group of no rows"));
  }
  { /* counts against the part's rows: more, then fewer */
    uint64_t more[2] = {2, 3}, fewer[2] = {4, 3};
    ck_assert_int_eq(label_one(good, goodlen, more, 2, 5, 0, &err),
                     DUSK_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "more rows than its range"));
    ck_assert_int_eq(label_one(good, goodlen, fewer, 2, 5, 0, &err),
                     DUSK_EPARSE);
    ck_assert_str_eq(err.message, "shuffle join part 0's group list counts "
                                  "3 rows, its range 4");
  }
  { /* group 7 in both parts */
    const char *raw[2] = {"\x07\x01", "\x07\x01"};
    size_t l[2] = {2, 2};
    uint64_t r[2] = {1, 1};
    ck_assert_int_eq(label_one(raw, l, r, 2, 7, 0, &err), DUSK_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "both hold order group 7"));
  }
  /* rows: no such group, a place past the group, out of order */
  ck_assert_int_eq(label_one(good, goodlen, rows, 2, 6, 0, &err),
                   DUSK_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "group 6 is in no part's list"));
  ck_assert_int_eq(label_one(good, goodlen, rows, 2, 7, 3, &err),
                   DUSK_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "past its group's 3 rows"));
  ck_assert_int_eq(label_one(good, goodlen, rows, 2, -1, 0, &err),
                   DUSK_EINVAL);
  g[1] = 5; /* a row repeated: (5, 1) twice */
  pl[1] = 1;
  ck_assert_int_eq(dusk_join_labels(lists, goodlen, rows, 2, g, pl, 3, label,
                                    &err),
                   DUSK_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "out of order"));
  { /* pack: a repeated group, an empty one */
    dusk_join_groups jg;
    dusk_buf out;
    dusk_buf_init(&out);
    dusk_join_groups_init(&jg);
    ck_assert_int_eq(dusk_join_groups_add(&jg, 9, 1), 0);
    ck_assert_int_eq(dusk_join_groups_add(&jg, 3, 1), 0);
    ck_assert_int_eq(dusk_join_groups_add(&jg, 9, 2), 0);
    ck_assert_int_eq(dusk_join_groups_pack(&jg, &out), DUSK_EINVAL);
    dusk_join_groups_destroy(&jg);
    dusk_join_groups_init(&jg);
    ck_assert_int_eq(dusk_join_groups_add(&jg, 3, 0), 0);
    ck_assert_int_eq(dusk_join_groups_pack(&jg, &out), DUSK_EINVAL);
    dusk_join_groups_destroy(&jg);
    /* and a good one: deltas from 0, big groups in several bytes */
    dusk_join_groups_init(&jg);
    ck_assert_int_eq(dusk_join_groups_add(&jg, (uint64_t)1 << 62, 300), 0);
    ck_assert_int_eq(dusk_join_groups_add(&jg, 2, 1), 0);
    ck_assert_int_eq(dusk_join_groups_pack(&jg, &out), 0);
    ck_assert_uint_eq(out.len, 2 + 9 + 2);
    ck_assert_mem_eq(out.data, "\x02\x01", 2);
    dusk_join_groups_destroy(&jg);
    dusk_buf_destroy(&out);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("joinlabel");
  TCase *tc = tcase_create("joinlabel");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_labels_random, 0, 4);
  tcase_add_test(tc, test_refusals);
  tcase_add_loop_test(tc, test_cuts_random, 0, 3);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
