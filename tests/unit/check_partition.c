/* check_partition.c - persisted partitions: batches in, the same rows out.
 *
 * A builder's partition reopens with every type's values, nulls (an empty
 * string is not a null) and logical types intact, loads any slice of rows
 * across the batches it was built from into any batch columns, and gives
 * nulls_only columns their flags alone.  A partition is a task result that
 * may come from a peer, so dusk_part_open is tried on every truncation of
 * a small one, on every single-bit change of it (each either refused or
 * loading within its bounds - ASan in CI), and on corrupted counts,
 * offsets, alignments, string offsets and names. */
#include "partition.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rows of a test partition ------------------------------------------ */

/* Columns of every logical type; global row g's values and nulls follow
 * from g alone, so any slice can be checked. */
enum { C_I, C_F, C_B, C_S, C_T, C_D, C_DATE, NCOLS };
static const char *const NAMES[NCOLS] = {"i", "f", "b", "s",
                                         "t", "td", "day"};
static const dusk_type TYPES[NCOLS] = {
    DUSK_TYPE_INT64,  DUSK_TYPE_FLOAT64,  DUSK_TYPE_BOOL, DUSK_TYPE_STRING,
    DUSK_TYPE_DATETIME, DUSK_TYPE_TIMEDELTA, DUSK_TYPE_DATE};
static const dusk_type PHYS[NCOLS] = {
    DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64, DUSK_TYPE_BOOL, DUSK_TYPE_STRING,
    DUSK_TYPE_INT64, DUSK_TYPE_INT64,   DUSK_TYPE_INT64};

static int is_null(int c, uint64_t g) { return (g + (uint64_t)c) % 5 == 1; }

/* Row g's string: "" every 4th row, else "v<g>" and some x's. */
static void str_of(uint64_t g, char *out) {
  if (g % 4 == 0)
    out[0] = '\0';
  else
    snprintf(out, 32, "v%llu%.*s", (unsigned long long)g, (int)(g % 3),
             "xxx");
}

static int64_t int_of(int c, uint64_t g) {
  return (int64_t)g * 1000003 * (c + 1) - 5;
}

/* The expected value of column c at global row g. */
static dusk_value expected(int c, uint64_t g, char *buf) {
  if (is_null(c, g))
    return tu_null();
  switch (c) {
  case C_F:
    return tu_float((double)g * 0.25 - 3);
  case C_B:
    return tu_bool(g % 3 == 0);
  case C_S:
    str_of(g, buf);
    return tu_str(buf);
  default:
    return tu_int(int_of(c, g));
  }
}

/* Fills batch b (of PHYS columns, cap >= n) with rows first..first+n-1.
 * Strings go to the arena in reverse row order, with junk between, so the
 * builder cannot count on adjacent text; nulls' values are junk. */
static void fill(dusk_batch *b, uint64_t first, size_t n) {
  char buf[32];
  dusk_batch_clear(b);
  for (size_t rr = n; rr-- > 0;) {
    uint64_t g = first + rr;
    for (int c = 0; c < NCOLS; c++) {
      dusk_column *col = &b->cols[c];
      dusk_value v = expected(c, g, buf);
      col->valid[rr] = v.type != DUSK_TYPE_NULL;
      switch (PHYS[c]) {
      case DUSK_TYPE_INT64:
        col->i64[rr] = col->valid[rr] ? v.u.i : -777;
        break;
      case DUSK_TYPE_FLOAT64:
        col->f64[rr] = col->valid[rr] ? v.u.f : 1e300;
        break;
      case DUSK_TYPE_BOOL:
        col->b[rr] = col->valid[rr] ? v.u.b : 1;
        break;
      default: {
        uint32_t off;
        ck_assert_int_eq(dusk_batch_arena_add(b, "#", g % 2, &off), 0);
        if (col->valid[rr]) {
          ck_assert_int_eq(
              dusk_batch_arena_add(b, v.u.s.ptr, v.u.s.len, &off), 0);
          col->str_off[rr] = off;
          col->str_len[rr] = (uint32_t)v.u.s.len;
        } else {
          /* A null's text is ignored, whatever it says. */
          ck_assert_int_eq(dusk_batch_arena_add(b, "null", 4, &off), 0);
          col->str_off[rr] = off;
          col->str_len[rr] = 4;
        }
      }
      }
    }
  }
  b->nrows = n;
}

/* A builder of the test columns with the given batch sizes appended. */
static dusk_part_builder *build(const size_t *sizes, size_t nbatches) {
  dusk_part_builder *pb;
  dusk_batch b;
  uint64_t g = 0;
  size_t cap = 1;
  for (size_t i = 0; i < nbatches; i++)
    cap = sizes[i] > cap ? sizes[i] : cap;
  ck_assert_int_eq(dusk_part_builder_new(NAMES, TYPES, NCOLS, &pb), 0);
  ck_assert_int_eq(dusk_batch_init(&b, PHYS, NCOLS, cap), 0);
  for (size_t i = 0; i < nbatches; i++) {
    fill(&b, g, sizes[i]);
    ck_assert_int_eq(dusk_part_builder_add(pb, &b), 0);
    g += sizes[i];
  }
  ck_assert_uint_eq(dusk_part_builder_rows(pb), g);
  dusk_batch_destroy(&b);
  return pb;
}

/* The finished partition of pb with meta, in its own buffer. */
static dusk_buf finish(dusk_part_builder *pb, const char *meta) {
  dusk_buf out;
  dusk_slice m = {meta, strlen(meta)};
  dusk_buf_init(&out);
  ck_assert_int_eq(dusk_part_builder_finish(pb, m, &out), 0);
  ck_assert_uint_eq(out.len, dusk_part_builder_size(pb, m.len));
  /* The buffer is kept as long as the partition: no spare capacity. */
  ck_assert_uint_eq(out.cap, out.len);
  return out;
}

static dusk_slice slice_of(const dusk_buf *b) {
  dusk_slice s = {b->data, b->len};
  return s;
}

/* Whether batch column bc at row r holds v. */
static void check_value(const dusk_batch *b, size_t bcol, size_t r,
                        dusk_value want, const char *what) {
  dusk_value got;
  dusk_batch_get(b, bcol, r, &got);
  REQUIRE(got.type == want.type, "%s row %zu: type %d, want %d", what, r,
          (int)got.type, (int)want.type);
  switch (want.type) {
  case DUSK_TYPE_NULL:
    break;
  case DUSK_TYPE_INT64:
    REQUIRE(got.u.i == want.u.i, "%s row %zu: %lld", what, r,
            (long long)got.u.i);
    break;
  case DUSK_TYPE_FLOAT64:
    REQUIRE(got.u.f == want.u.f, "%s row %zu: %g", what, r, got.u.f);
    break;
  case DUSK_TYPE_BOOL:
    REQUIRE(got.u.b == want.u.b, "%s row %zu: bool", what, r);
    break;
  default:
    REQUIRE(got.u.s.len == want.u.s.len &&
                (want.u.s.len == 0 ||
                 memcmp(got.u.s.ptr, want.u.s.ptr, want.u.s.len) == 0),
            "%s row %zu: '%.*s'", what, r, (int)got.u.s.len, got.u.s.ptr);
  }
}

/* Loads every column of p's rows [row, row + n) into b (PHYS columns, in
 * order) and checks them. */
static void load_and_check(const dusk_part *p, dusk_batch *b, uint64_t row,
                           size_t n) {
  int src[NCOLS], dst[NCOLS];
  char buf[32];
  for (int c = 0; c < NCOLS; c++)
    src[c] = dst[c] = c;
  REQUIRE(dusk_part_load(p, row, n, src, dst, NULL, NCOLS, b, NULL) == 0,
          "load %llu+%zu", (unsigned long long)row, n);
  REQUIRE(b->nrows == n && b->first_row == row, "load %llu+%zu: shape",
          (unsigned long long)row, n);
  for (size_t r = 0; r < n; r++)
    for (int c = 0; c < NCOLS; c++)
      check_value(b, (size_t)c, r, expected(c, row + r, buf), NAMES[c]);
  /* The same rows borrowed (pointing into the partition where aligned),
   * then the batch's own arrays back. */
  {
    dusk_column own[NCOLS];
    memcpy(own, b->cols, sizeof own);
    REQUIRE(dusk_part_borrow(p, row, n, src, dst, NULL, NCOLS, b, own,
                             NULL) == 0,
            "borrow %llu+%zu", (unsigned long long)row, n);
    for (size_t r = 0; r < n; r++)
      for (int c = 0; c < NCOLS; c++)
        check_value(b, (size_t)c, r, expected(c, row + r, buf), NAMES[c]);
    dusk_part_restore(b, own);
    for (int c = 0; c < NCOLS; c++)
      REQUIRE(b->cols[c].valid == own[c].valid && b->cols[c].i64 == own[c].i64
                  && b->cols[c].f64 == own[c].f64 && b->cols[c].b == own[c].b,
              "restore: column %d", c);
  }
}

/* ---- round trips ------------------------------------------------------------ */

START_TEST(test_round_trip_every_type) {
  static const size_t sizes[] = {23};
  dusk_part_builder *pb = build(sizes, 1);
  dusk_buf out = finish(pb, "the meta");
  dusk_part p;
  dusk_error err;
  dusk_batch b;
  dusk_part_builder_free(pb);
  ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, &err), 0);
  ck_assert_uint_eq(p.nrows, 23);
  ck_assert_uint_eq(p.ncols, NCOLS);
  ck_assert_uint_eq(p.meta.len, 8);
  ck_assert_int_eq(memcmp(p.meta.ptr, "the meta", 8), 0);
  for (int c = 0; c < NCOLS; c++) {
    ck_assert_int_eq(p.cols[c].type, TYPES[c]); /* logical kept */
    ck_assert_int_eq(dusk_part_find(&p, NAMES[c], strlen(NAMES[c])), c);
  }
  ck_assert_int_eq(dusk_part_find(&p, "tx", 2), -1);
  ck_assert_int_eq(dusk_part_find(&p, "t", 0), -1);
  ck_assert_int_eq(dusk_batch_init(&b, PHYS, NCOLS, 32), 0);
  load_and_check(&p, &b, 0, 23);
  /* Row 4 (g % 4 == 0) is an empty string, present; row 3 is null. */
  ck_assert_int_eq(b.cols[C_S].valid[4], 1);
  ck_assert_uint_eq(b.cols[C_S].str_len[4], 0);
  ck_assert_int_eq(b.cols[C_S].valid[3], 0);
  dusk_batch_destroy(&b);
  dusk_part_close(&p);
  dusk_buf_destroy(&out);
}
END_TEST

START_TEST(test_zero_rows) {
  static const size_t sizes[] = {0, 0};
  dusk_part_builder *pb = build(sizes, 2);
  dusk_buf out = finish(pb, "");
  dusk_part p;
  dusk_batch b;
  int src = C_S, dst = C_S;
  dusk_part_builder_free(pb);
  ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
  ck_assert_uint_eq(p.nrows, 0);
  ck_assert_uint_eq(p.meta.len, 0);
  ck_assert_int_eq(dusk_batch_init(&b, PHYS, NCOLS, 4), 0);
  load_and_check(&p, &b, 0, 0);
  ck_assert_int_eq(dusk_part_load(&p, 0, 1, &src, &dst, NULL, 1, &b, NULL),
                   DUSK_EINVAL);
  ck_assert_int_eq(dusk_part_load(&p, 1, 0, &src, &dst, NULL, 1, &b, NULL),
                   DUSK_EINVAL);
  dusk_batch_destroy(&b);
  dusk_part_close(&p);
  dusk_buf_destroy(&out);
}
END_TEST

/* Batches of several sizes (an empty one among them) make one set of
 * arrays: every slice that fits a batch loads, across their boundaries,
 * into one reused batch. */
START_TEST(test_batches_and_slices) {
  static const size_t sizes[] = {5, 0, 7, 1, 4, 9};
  dusk_part_builder *pb = build(sizes, 6);
  dusk_buf out = finish(pb, "m");
  dusk_part p;
  dusk_batch b;
  int src = 0, dst = 0;
  dusk_part_builder_free(pb);
  ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
  ck_assert_uint_eq(p.nrows, 26);
  ck_assert_int_eq(dusk_batch_init(&b, PHYS, NCOLS, 8), 0);
  for (uint64_t row = 0; row <= 26; row++)
    for (size_t n = 0; n <= 8 && row + n <= 26; n++)
      load_and_check(&p, &b, row, n);
  /* Past the rows, or past the batch's capacity. */
  ck_assert_int_eq(dusk_part_load(&p, 20, 7, &src, &dst, NULL, 1, &b, NULL),
                   DUSK_EINVAL);
  ck_assert_int_eq(dusk_part_load(&p, 0, 9, &src, &dst, NULL, 1, &b, NULL),
                   DUSK_EINVAL);
  ck_assert_int_eq(dusk_part_load(&p, UINT64_MAX, 2, &src, &dst, NULL, 1,
                                  &b, NULL), DUSK_EINVAL);
  dusk_batch_destroy(&b);
  dusk_part_close(&p);
  dusk_buf_destroy(&out);
}
END_TEST

/* Many rows in many batches, small ones (malloc's chunks) and large ones
 * (mapped chunks) mixed: every batch's rows land in one set of arrays, in
 * order.  A finished builder keeps its counts but takes no more rows and
 * finishes once; an unfinished one frees its chunks of both kinds. */
START_TEST(test_growth) {
  size_t sizes[40];
  dusk_part_builder *pb, *unfinished;
  dusk_buf out, again;
  dusk_part p;
  dusk_batch b;
  uint64_t size;
  for (size_t i = 0; i < 40; i++)
    sizes[i] = i % 13 == 5 ? 9000 : 1000 + i * 37;
  pb = build(sizes, 40);
  unfinished = build(sizes, 40);
  out = finish(pb, "");
  size = dusk_part_builder_size(pb, 0);
  ck_assert_uint_eq(dusk_part_builder_rows(pb), 90862);
  dusk_buf_init(&again);
  ck_assert_int_eq(dusk_part_builder_finish(pb, (dusk_slice){"", 0}, &again),
                   DUSK_EINVAL);
  ck_assert_uint_eq(again.len, 0);
  ck_assert_int_eq(dusk_batch_init(&b, PHYS, NCOLS, 4), 0);
  fill(&b, 0, 4);
  ck_assert_int_eq(dusk_part_builder_add(pb, &b), DUSK_EINVAL);
  dusk_batch_destroy(&b);
  ck_assert_uint_eq(dusk_part_builder_size(pb, 0), size);
  dusk_part_builder_free(pb);
  dusk_part_builder_free(unfinished);
  ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
  ck_assert_int_eq(dusk_batch_init(&b, PHYS, NCOLS, 4096), 0);
  for (uint64_t row = 0; row < p.nrows; row += 4096)
    load_and_check(&p, &b, row,
                   p.nrows - row < 4096 ? (size_t)(p.nrows - row) : 4096);
  dusk_batch_destroy(&b);
  dusk_part_close(&p);
  dusk_buf_destroy(&out);
}
END_TEST

START_TEST(test_nulls_only) {
  static const size_t sizes[] = {12};
  dusk_part_builder *pb = build(sizes, 1);
  dusk_buf out = finish(pb, "");
  dusk_part p;
  dusk_batch b;
  static const dusk_type bt[] = {DUSK_TYPE_STRING, DUSK_TYPE_STRING};
  int src[] = {C_S, C_S}, dst[] = {0, 1};
  bool only[] = {true, false};
  char buf[32];
  dusk_part_builder_free(pb);
  ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
  ck_assert_int_eq(dusk_batch_init(&b, bt, 2, 16), 0);
  /* the values of a flags-only column are left as they were */
  for (size_t r = 0; r < 16; r++)
    b.cols[0].str_off[r] = b.cols[0].str_len[r] = 77;
  ck_assert_int_eq(dusk_part_load(&p, 1, 10, src, dst, only, 1, &b, NULL), 0);
  ck_assert_uint_eq(b.arena_len, 0);
  for (size_t r = 0; r < 10; r++) {
    ck_assert_int_eq(b.cols[0].valid[r], !is_null(C_S, 1 + r));
    ck_assert_uint_eq(b.cols[0].str_off[r], 77);
    ck_assert_uint_eq(b.cols[0].str_len[r], 77);
  }
  /* Beside a full read of the same column. */
  ck_assert_int_eq(dusk_part_load(&p, 1, 10, src, dst, only, 2, &b, NULL), 0);
  for (size_t r = 0; r < 10; r++) {
    ck_assert_uint_eq(b.cols[0].str_len[r], 77);
    check_value(&b, 1, r, expected(C_S, 1 + r, buf), "s");
  }
  dusk_batch_destroy(&b);
  dusk_part_close(&p);
  dusk_buf_destroy(&out);
}
END_TEST

/* Partition columns go to any batch columns; unlisted ones are left. */
START_TEST(test_column_mapping) {
  static const size_t sizes[] = {6, 6};
  dusk_part_builder *pb = build(sizes, 2);
  dusk_buf out = finish(pb, "");
  dusk_part p;
  dusk_batch b;
  static const dusk_type bt[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                 DUSK_TYPE_FLOAT64, DUSK_TYPE_INT64};
  int src[] = {C_S, C_T, C_I}, dst[] = {1, 3, 0};
  char buf[32];
  dusk_part_builder_free(pb);
  ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
  ck_assert_int_eq(dusk_batch_init(&b, bt, 4, 8), 0);
  b.cols[2].f64[0] = 42.5;
  ck_assert_int_eq(dusk_part_load(&p, 4, 5, src, dst, NULL, 3, &b, NULL), 0);
  for (size_t r = 0; r < 5; r++) {
    check_value(&b, 1, r, expected(C_S, 4 + r, buf), "s->1");
    check_value(&b, 3, r, expected(C_T, 4 + r, buf), "t->3");
    check_value(&b, 0, r, expected(C_I, 4 + r, buf), "i->0");
  }
  ck_assert(b.cols[2].f64[0] == 42.5);
  /* The same partition column twice. */
  src[0] = C_I;
  dst[0] = 3;
  ck_assert_int_eq(dusk_part_load(&p, 0, 8, src, dst, NULL, 1, &b, NULL), 0);
  for (size_t r = 0; r < 8; r++)
    check_value(&b, 3, r, expected(C_I, r, buf), "i->3");
  dusk_batch_destroy(&b);
  dusk_part_close(&p);
  dusk_buf_destroy(&out);
}
END_TEST

START_TEST(test_type_mismatch) {
  static const size_t sizes[] = {4};
  dusk_part_builder *pb = build(sizes, 1);
  dusk_buf out = finish(pb, "");
  dusk_part p;
  dusk_batch b, wrong;
  static const dusk_type bt[] = {DUSK_TYPE_FLOAT64, DUSK_TYPE_STRING};
  int src[] = {C_I, C_F, C_DATE, C_B}, dst[] = {0, 1, 1, 0}, bad = -1,
      big = NCOLS;
  dusk_part_builder_free(pb);
  ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
  ck_assert_int_eq(dusk_batch_init(&b, bt, 2, 8), 0);
  for (int k = 0; k < 4; k++)
    ck_assert_int_eq(dusk_part_load(&p, 0, 4, &src[k], &dst[k], NULL, 1,
                                    &b, NULL), DUSK_EINVAL);
  ck_assert_int_eq(dusk_part_load(&p, 0, 4, &bad, &dst[0], NULL, 1, &b, NULL),
                   DUSK_EINVAL);
  ck_assert_int_eq(dusk_part_load(&p, 0, 4, &big, &dst[0], NULL, 1, &b, NULL),
                   DUSK_EINVAL);
  ck_assert_int_eq(dusk_part_load(&p, 0, 4, &src[1], &bad, NULL, 1, &b, NULL),
                   DUSK_EINVAL);
  big = 2;
  ck_assert_int_eq(dusk_part_load(&p, 0, 4, &src[1], &big, NULL, 1, &b, NULL),
                   DUSK_EINVAL);
  /* The builder refuses batches of other types or fewer columns. */
  ck_assert_int_eq(dusk_part_builder_new(NAMES, TYPES, NCOLS, &pb), 0);
  ck_assert_int_eq(dusk_part_builder_add(pb, &b), DUSK_EINVAL);
  ck_assert_int_eq(dusk_batch_init(&wrong, TYPES, NCOLS, 8), 0);
  ck_assert_int_eq(dusk_part_builder_add(pb, &wrong), DUSK_EINVAL);
  ck_assert_uint_eq(dusk_part_builder_rows(pb), 0);
  dusk_part_builder_free(pb);
  dusk_batch_destroy(&wrong);
  dusk_batch_destroy(&b);
  dusk_part_close(&p);
  dusk_buf_destroy(&out);
}
END_TEST

START_TEST(test_builder_refuses) {
  static const char *const dup[] = {"a", "b", "a"};
  static const dusk_type t3[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64,
                                 DUSK_TYPE_INT64};
  dusk_type bad[] = {DUSK_TYPE_NULL};
  const char *one[1] = {"x"};
  char *longname = malloc(DUSK_PART_MAX_NAME + 2);
  dusk_part_builder *pb = NULL;
  ck_assert_int_eq(dusk_part_builder_new(one, t3, 0, &pb), DUSK_EINVAL);
  ck_assert_int_eq(dusk_part_builder_new(dup, t3, 3, &pb), DUSK_EINVAL);
  ck_assert_int_eq(dusk_part_builder_new(one, bad, 1, &pb), DUSK_EINVAL);
  bad[0] = (dusk_type)8;
  ck_assert_int_eq(dusk_part_builder_new(one, bad, 1, &pb), DUSK_EINVAL);
  ck_assert_ptr_null(pb);
  memset(longname, 'n', DUSK_PART_MAX_NAME + 1);
  longname[DUSK_PART_MAX_NAME + 1] = '\0';
  one[0] = longname;
  ck_assert_int_eq(dusk_part_builder_new(one, t3, 1, &pb), DUSK_EINVAL);
  /* The longest name is fine, and reopens. */
  longname[DUSK_PART_MAX_NAME] = '\0';
  ck_assert_int_eq(dusk_part_builder_new(one, t3, 1, &pb), 0);
  {
    dusk_buf out = finish(pb, "");
    dusk_part p;
    ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
    ck_assert_uint_eq(p.cols[0].name.len, DUSK_PART_MAX_NAME);
    ck_assert_int_eq(dusk_part_find(&p, longname, DUSK_PART_MAX_NAME), 0);
    dusk_part_close(&p);
    dusk_buf_destroy(&out);
  }
  dusk_part_builder_free(pb);
  dusk_part_builder_free(NULL);
  free(longname);
}
END_TEST

/* finish appends: a partition after other bytes opens from its start, and
 * one at an odd address in memory opens and loads too. */
START_TEST(test_appended_and_unaligned) {
  static const size_t sizes[] = {9};
  dusk_part_builder *pb = build(sizes, 1);
  dusk_buf out;
  dusk_slice m = {"xyz", 3}, s;
  dusk_part p;
  dusk_batch b;
  char *odd;
  dusk_buf_init(&out);
  ck_assert_int_eq(dusk_buf_append(&out, "12345678", 8), 0);
  ck_assert_int_eq(dusk_part_builder_finish(pb, m, &out), 0);
  ck_assert_uint_eq(out.len, 8 + dusk_part_builder_size(pb, 3));
  ck_assert_uint_eq(out.cap, out.len); /* grown to exactly its length */
  s.ptr = out.data + 8;
  s.len = out.len - 8;
  ck_assert_int_eq(dusk_part_open(s, &p, NULL), 0);
  dusk_part_close(&p);
  odd = malloc(s.len + 1);
  memcpy(odd + 1, s.ptr, s.len);
  s.ptr = odd + 1;
  ck_assert_int_eq(dusk_part_open(s, &p, NULL), 0);
  ck_assert_int_eq(dusk_batch_init(&b, PHYS, NCOLS, 9), 0);
  load_and_check(&p, &b, 0, 9);
  dusk_batch_destroy(&b);
  dusk_part_close(&p);
  free(odd);
  dusk_part_builder_free(pb);
  dusk_buf_destroy(&out);
}
END_TEST

/* Strings of every length around the builder's short-copy size (32),
 * from an arena with no spare byte: values at its very end, where a copy
 * of more than the value would read past it (ASan in CI), and values
 * long enough to be copied by length.  Nulls point anywhere. */
START_TEST(test_text_lengths) {
  enum { N = 80 };
  static const char *const name[] = {"s"};
  static const dusk_type st[] = {DUSK_TYPE_STRING};
  char text[N * (N - 1) / 2];
  size_t used = 0;
  dusk_part_builder *pb;
  dusk_buf out;
  dusk_part p;
  dusk_batch b;
  int src = 0, dst = 0;
  ck_assert_int_eq(dusk_part_builder_new(name, st, 1, &pb), 0);
  ck_assert_int_eq(dusk_batch_init(&b, st, 1, N), 0);
  /* Row r holds r bytes ('a' + r % 26), the longest first in the arena
   * so that the shortest end it; row 7 is a null pointing past it. */
  for (size_t r = N; r-- > 0;) {
    memset(text + used, 'a' + (int)(r % 26), r);
    b.cols[0].valid[r] = r != 7;
    b.cols[0].str_off[r] = r == 7 ? UINT32_MAX - 3 : (uint32_t)used;
    b.cols[0].str_len[r] = (uint32_t)r;
    used += r;
  }
  free(b.arena);
  ck_assert_ptr_nonnull(b.arena = malloc(used));
  memcpy(b.arena, text, used);
  b.arena_len = b.arena_cap = used;
  b.nrows = N;
  ck_assert_int_eq(dusk_part_builder_add(pb, &b), 0);
  ck_assert_int_eq(dusk_part_builder_add(pb, &b), 0); /* a second chunk */
  out = finish(pb, "");
  dusk_part_builder_free(pb);
  ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
  ck_assert_uint_eq(p.nrows, 2 * N);
  for (uint64_t row = 0; row < 2 * N; row += N) {
    ck_assert_int_eq(dusk_part_load(&p, row, N, &src, &dst, NULL, 1, &b,
                                    NULL), 0);
    for (size_t r = 0; r < N; r++) {
      char want[N];
      memset(want, 'a' + (int)(r % 26), r);
      want[r] = '\0';
      check_value(&b, 0, r, r == 7 ? tu_null() : tu_str(want), "s");
    }
  }
  dusk_batch_destroy(&b);
  dusk_part_close(&p);
  dusk_buf_destroy(&out);
}
END_TEST

/* A batch's text past its uint32 offsets is refused before any copy (a
 * hand-made view: its text is never read). */
START_TEST(test_load_text_too_long) {
  static const char text[1] = {'x'};
  uint64_t offs[3] = {0, UINT64_C(1) << 31, (UINT64_C(1) << 32) + 1};
  uint8_t valid[2] = {1, 1};
  dusk_part_column col;
  dusk_part p;
  dusk_batch b;
  dusk_type t = DUSK_TYPE_STRING;
  int src = 0, dst = 0;
  memset(&col, 0, sizeof col);
  memset(&p, 0, sizeof p); /* untrusted: its rows are checked */
  col.name.ptr = "s";
  col.name.len = 1;
  col.type = DUSK_TYPE_STRING;
  col.valid = valid;
  col.data = (const unsigned char *)offs;
  col.text = text;
  col.text_len = offs[2];
  p.nrows = 2;
  p.ncols = 1;
  p.cols = &col;
  p.meta.ptr = "";
  p.meta.len = 0;
  ck_assert_int_eq(dusk_batch_init(&b, &t, 1, 2), 0);
  ck_assert_int_eq(dusk_part_load(&p, 0, 2, &src, &dst, NULL, 1, &b, NULL),
                   DUSK_EINVAL);
  ck_assert_uint_eq(b.arena_len, 0);
  dusk_batch_destroy(&b);
}
END_TEST

/* ---- untrusted bytes -------------------------------------------------------- */

/* A small partition of two columns, "s" (STRING: "ab", null, "") and "n"
 * (INT64: 1, 2, 3), meta "mm".  Each name takes a 32-byte entry, so the
 * entries are at 32 and 64. */
static dusk_buf small_partition(void) {
  static const char *const names[] = {"s", "n"};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64};
  dusk_part_builder *pb;
  dusk_batch b;
  dusk_buf out;
  uint32_t off;
  ck_assert_int_eq(dusk_part_builder_new(names, types, 2, &pb), 0);
  ck_assert_int_eq(dusk_batch_init(&b, types, 2, 3), 0);
  ck_assert_int_eq(dusk_batch_arena_add(&b, "ab", 2, &off), 0);
  b.cols[0].valid[0] = 1;
  b.cols[0].str_off[0] = off;
  b.cols[0].str_len[0] = 2;
  b.cols[0].valid[2] = 1; /* "" */
  for (int r = 0; r < 3; r++) {
    b.cols[1].valid[r] = 1;
    b.cols[1].i64[r] = r + 1;
  }
  b.nrows = 3;
  ck_assert_int_eq(dusk_part_builder_add(pb, &b), 0);
  out = finish(pb, "mm");
  dusk_batch_destroy(&b);
  dusk_part_builder_free(pb);
  return out;
}

static uint64_t get64(const dusk_buf *b, size_t at) {
  uint64_t v;
  memcpy(&v, b->data + at, 8);
  return v;
}

static void put64(dusk_buf *b, size_t at, uint64_t v) {
  memcpy(b->data + at, &v, 8);
}

static void put32(dusk_buf *b, size_t at, uint32_t v) {
  memcpy(b->data + at, &v, 4);
}

/* Opens len bytes of data copied into a buffer of exactly that size (so
 * that ASan sees any read past it); when it opens, loads every row of
 * every column.  Returns dusk_part_open's code, or the first load's that
 * refused damaged rows. */
static int open_exact(const char *data, size_t len, dusk_error *err) {
  char *copy = malloc(len ? len : 1);
  dusk_slice s = {copy, len};
  dusk_part p;
  int rc;
  if (len > 0)
    memcpy(copy, data, len);
  rc = dusk_part_open(s, &p, err);
  if (rc == 0) {
    /* rows are checked as they load: a damaged row refuses the load */
    for (size_t c = 0; c < p.ncols && rc == 0; c++) {
      dusk_type t = dusk_type_physical(p.cols[c].type);
      dusk_batch b;
      int src = (int)c, dst = 0;
      ck_assert_int_eq(dusk_batch_init(&b, &t, 1, (size_t)p.nrows), 0);
      rc = dusk_part_load(&p, 0, (size_t)p.nrows, &src, &dst, NULL, 1, &b,
                          err);
      REQUIRE(rc == 0 || rc == DUSK_EPROTO, "load: %d", rc);
      dusk_batch_destroy(&b);
    }
    dusk_part_close(&p);
  } else {
    REQUIRE(p.cols == NULL, "a refused partition leaves no columns");
  }
  free(copy);
  return rc;
}

/* Expects the patched partition refused with a message containing want. */
static void expect_refused(const dusk_buf *b, const char *want) {
  dusk_error err;
  int rc = open_exact(b->data, b->len, &err);
  ck_assert_msg(rc == DUSK_EPROTO, "opened; want refusal with '%s'", want);
  ck_assert_msg(strstr(err.message, want) != NULL, "'%s' lacks '%s'",
                err.message, want);
}

START_TEST(test_small_partition_layout) {
  dusk_buf out = small_partition();
  dusk_part p;
  char buf[8];
  ck_assert_int_eq(open_exact(out.data, out.len, NULL), 0);
  ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
  /* Entries at 32 and 64; meta at 96; blocks from 104. */
  ck_assert_uint_eq(get64(&out, 32 + 8), 104);
  ck_assert_int_eq(memcmp(out.data + 96, "mm", 2), 0);
  ck_assert_uint_eq(p.cols[0].text_len, 2);
  memcpy(buf, p.cols[0].text, 2);
  ck_assert_int_eq(memcmp(buf, "ab", 2), 0);
  ck_assert_uint_eq(out.len % 8, 0);
  dusk_part_close(&p);
  dusk_buf_destroy(&out);
}
END_TEST

START_TEST(test_open_truncated) {
  dusk_buf out = small_partition();
  for (size_t len = 0; len < out.len; len++)
    REQUIRE(open_exact(out.data, len, NULL) == DUSK_EPROTO,
            "truncated to %zu of %zu bytes: not refused", len, out.len);
  /* Trailing bytes too. */
  ck_assert_int_eq(dusk_buf_append(&out, "\0\0\0\0\0\0\0\0", 8), 0);
  expect_refused(&out, "laid out");
  dusk_buf_destroy(&out);
}
END_TEST

/* Every single-bit change is either refused or opens a partition whose
 * every row loads within its bounds. */
START_TEST(test_open_bit_flips) {
  dusk_buf out = small_partition();
  size_t opened = 0;
  for (size_t at = 0; at < out.len; at++)
    for (int bit = 0; bit < 8; bit++) {
      int rc;
      out.data[at] ^= (char)(1 << bit);
      rc = open_exact(out.data, out.len, NULL);
      REQUIRE(rc == 0 || rc == DUSK_EPROTO, "byte %zu bit %d: %d", at, bit,
              rc);
      opened += rc == 0;
      out.data[at] ^= (char)(1 << bit);
    }
  /* Values and text may change; structure may not. */
  ck_assert_uint_gt(opened, 0);
  dusk_buf_destroy(&out);
}
END_TEST

START_TEST(test_open_bad_header) {
  dusk_buf out = small_partition();
  dusk_buf b;
  dusk_buf_init(&b);
#define PATCHED(stmt, want)                                                    \
  do {                                                                         \
    b.len = 0;                                                                 \
    ck_assert_int_eq(dusk_buf_append(&b, out.data, out.len), 0);               \
    stmt;                                                                      \
    expect_refused(&b, want);                                                  \
  } while (0)
  PATCHED(b.data[0] = 'X', "bad magic");
  PATCHED(b.data[7] = '2', "bad magic");
  PATCHED(put32(&b, 8, 0), "0 columns");
  PATCHED(put32(&b, 8, UINT32_MAX), "columns in");
  PATCHED(put32(&b, 8, DUSK_PART_MAX_COLS + 1), "columns in");
  PATCHED(put32(&b, 8, 3), "unknown type"); /* meta as an entry */
  PATCHED(put32(&b, 8, 1), "not where");
  PATCHED(put32(&b, 12, 1), "reserved");
  PATCHED(put64(&b, 16, UINT64_MAX), "rows in");
  PATCHED(put64(&b, 16, UINT64_C(1) << 61), "rows in");
  PATCHED(put64(&b, 16, 4), "does not hold");
  PATCHED(put64(&b, 16, 2), "ascending"); /* text left over */
  PATCHED(put64(&b, 24, UINT64_MAX), "meta");
  PATCHED(put64(&b, 24, UINT64_MAX - 5), "meta");
  PATCHED(put64(&b, 24, out.len), "meta");
  PATCHED(put64(&b, 24, 9), "not where");
  /* Column entries: type, reserved, name length. */
  PATCHED(b.data[32] = 0, "unknown type");
  PATCHED(b.data[32] = 9, "unknown type");
  PATCHED(b.data[64] = (char)DUSK_TYPE_STRING, "does not hold");
  PATCHED(b.data[33] = 1, "reserved");
  PATCHED(b.data[36] = 1, "reserved");
  PATCHED(b.data[34] = (char)0xff, "truncated");
  PATCHED(b.data[66] = 9, "not where");
  PATCHED(b.data[88] = 's', "two columns named 's'");
#undef PATCHED
  dusk_buf_destroy(&b);
  dusk_buf_destroy(&out);
}
END_TEST

START_TEST(test_open_bad_blocks) {
  dusk_buf out = small_partition();
  dusk_buf b;
  uint64_t s_off = get64(&out, 40), s_len = get64(&out, 48);
  uint64_t n_off = get64(&out, 72);
  dusk_buf_init(&b);
#define PATCHED(stmt, want)                                                    \
  do {                                                                         \
    b.len = 0;                                                                 \
    ck_assert_int_eq(dusk_buf_append(&b, out.data, out.len), 0);               \
    stmt;                                                                      \
    expect_refused(&b, want);                                                  \
  } while (0)
  ck_assert_uint_eq(s_off, 104);
  /* Block offsets and lengths. */
  PATCHED(put64(&b, 40, s_off + 1), "misaligned");
  PATCHED(put64(&b, 72, n_off + 4), "misaligned");
  PATCHED(put64(&b, 40, UINT64_MAX - 7), "out of range");
  PATCHED(put64(&b, 40, out.len + 8), "out of range");
  PATCHED(put64(&b, 48, UINT64_MAX), "out of range");
  PATCHED(put64(&b, 48, UINT64_MAX - 100), "out of range");
  PATCHED(put64(&b, 80, out.len), "out of range");
  PATCHED(put64(&b, 40, s_off + 8), "not where");
  PATCHED(put64(&b, 72, s_off), "not where");
  PATCHED(put64(&b, 72, 0), "not where");
  PATCHED(put64(&b, 48, 7), "does not hold");
  PATCHED(put64(&b, 80, 8), "does not hold");
  PATCHED(put64(&b, 48, s_len - 1), "ascending");
  PATCHED(put64(&b, 48, s_len + 1), "ascending");
  /* Flags: valid bytes and string offsets (valid 1 0 1, offsets at
   * s_off + 8: 0 2 2 2, text "ab"). */
  PATCHED(b.data[s_off + 1] = 2, "0/1");
  PATCHED(b.data[n_off + 2] = (char)0xff, "0/1");
  PATCHED(put64(&b, s_off + 8, 1), "ascending");
  PATCHED(put64(&b, s_off + 16, 3), "ascending");
  PATCHED(put64(&b, s_off + 24, 1), "ascending");  /* decreasing */
  PATCHED(put64(&b, s_off + 16, 1), "ascending");  /* null with text */
  PATCHED(put64(&b, s_off + 32, 1), "ascending");  /* decreasing */
  PATCHED(put64(&b, s_off + 32, UINT64_MAX), "ascending");
#undef PATCHED
  dusk_buf_destroy(&b);
  dusk_buf_destroy(&out);
}
END_TEST

/* A bool column's values must be 0 or 1. */
START_TEST(test_open_bad_bool) {
  static const char *const names[] = {"b"};
  static const dusk_type types[] = {DUSK_TYPE_BOOL};
  dusk_part_builder *pb;
  dusk_batch b;
  dusk_buf out;
  ck_assert_int_eq(dusk_part_builder_new(names, types, 1, &pb), 0);
  ck_assert_int_eq(dusk_batch_init(&b, types, 1, 2), 0);
  b.cols[0].valid[0] = 7; /* any nonzero is present */
  b.cols[0].b[0] = 5;     /* any nonzero is true */
  b.nrows = 2;
  ck_assert_int_eq(dusk_part_builder_add(pb, &b), 0);
  out = finish(pb, "");
  ck_assert_int_eq(open_exact(out.data, out.len, NULL), 0);
  {
    dusk_part p;
    ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
    ck_assert_int_eq(p.cols[0].valid[0], 1);
    ck_assert_int_eq(p.cols[0].data[0], 1);
    dusk_part_close(&p);
  }
  /* valid at 64 (entry of 32 + name "b"), values at 72. */
  ck_assert_uint_eq(get64(&out, 40), 64);
  out.data[72 + 1] = 2;
  expect_refused(&out, "0/1");
  /* A trusted partition (made in this process, never carried) is loaded
   * without the row checks: the caller vouches for its bytes. */
  {
    dusk_part p;
    int src = 0, dst = 0;
    dusk_error err = {0};
    ck_assert_int_eq(dusk_part_open(slice_of(&out), &p, NULL), 0);
    ck_assert_int_eq(dusk_part_load(&p, 0, 2, &src, &dst, NULL, 1, &b, &err),
                     DUSK_EPROTO);
    p.trusted = true;
    ck_assert_int_eq(dusk_part_load(&p, 0, 2, &src, &dst, NULL, 1, &b, &err),
                     0);
    dusk_part_close(&p);
  }
  dusk_batch_destroy(&b);
  dusk_part_builder_free(pb);
  dusk_buf_destroy(&out);
}
END_TEST

int main(void) {
  Suite *s = suite_create("partition");
  TCase *tc = tcase_create("partition");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_round_trip_every_type);
  tcase_add_test(tc, test_zero_rows);
  tcase_add_test(tc, test_batches_and_slices);
  tcase_add_test(tc, test_growth);
  tcase_add_test(tc, test_nulls_only);
  tcase_add_test(tc, test_column_mapping);
  tcase_add_test(tc, test_type_mismatch);
  tcase_add_test(tc, test_builder_refuses);
  tcase_add_test(tc, test_appended_and_unaligned);
  tcase_add_test(tc, test_text_lengths);
  tcase_add_test(tc, test_load_text_too_long);
  tcase_add_test(tc, test_small_partition_layout);
  tcase_add_test(tc, test_open_truncated);
  tcase_add_test(tc, test_open_bit_flips);
  tcase_add_test(tc, test_open_bad_header);
  tcase_add_test(tc, test_open_bad_blocks);
  tcase_add_test(tc, test_open_bad_bool);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
