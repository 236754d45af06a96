/* check_dftask.c - the contracts between the scheduler's lowering and the
 * worker's dataframe ops (df/dftask.c): the op names both sides use, the
 * partial-result tables by named column, the scan and tail arguments on
 * the wire, with one refusal per kind of malformed input, and the nulls
 * reports' name lists and which columns they count. */
#include "dftask.h"
#include "quantile.h"
#include "testutil.h"

#include <check.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

static dusk_slice cstr(const char *s) {
  dusk_slice x = {s, strlen(s)};
  return x;
}

/* ---- op names ------------------------------------------------------------ */

START_TEST(test_op_names) {
  static const char *const want[] = {"df_scan", "df_combine", "df_final",
                                     "df_offsets", "df_bounds", "df_split",
                                     "df_gather", "df_persisted",
                                     "df_sample", "df_cuts", "df_pick",
                                     "df_join_split", "df_join",
                                     "df_join_cuts"};
  for (int op = 0; op < DUSK_DF_NOPS; op++) {
    ck_assert_str_eq(dusk_df_op_name((dusk_df_op)op), want[op]);
    ck_assert_int_eq(dusk_df_op_parse(cstr(want[op])), op);
  }
  ck_assert_ptr_null(dusk_df_op_name(DUSK_DF_NOPS));
  ck_assert_ptr_null(dusk_df_op_name((dusk_df_op)-1));
  ck_assert_int_eq(dusk_df_op_parse(cstr("df_sca")), DUSK_DF_NOPS);
  ck_assert_int_eq(dusk_df_op_parse(cstr("df_scans")), DUSK_DF_NOPS);
  ck_assert_int_eq(dusk_df_op_parse(cstr("")), DUSK_DF_NOPS);
  {
    dusk_slice prefix = {"df_scanner", 7}; /* length, not NUL, decides */
    ck_assert_int_eq(dusk_df_op_parse(prefix), DUSK_DF_SCAN);
  }
}
END_TEST

/* ---- partial tables ------------------------------------------------------ */

START_TEST(test_layouts_built_and_checked) {
  dusk_error err = {0};
  dusk_table *r = dusk_ranges_table_new(), *m = dusk_qwindow_table_new();
  dusk_table *c = dusk_count_table_new(42), *w = dusk_written_table_new();
  ck_assert_ptr_nonnull(r);
  ck_assert_ptr_nonnull(m);
  ck_assert_ptr_nonnull(c);
  ck_assert_ptr_nonnull(w);
  ck_assert_uint_eq(r->ncols, DUSK_RANGES_NCOLS);
  ck_assert_uint_eq(m->ncols, DUSK_QWIN_NCOLS);
  ck_assert_uint_eq(w->ncols, DUSK_WRITTEN_NCOLS);
  ck_assert_int_eq(dusk_ranges_table_check(r, &err), 0);
  ck_assert_int_eq(dusk_qwindow_table_check(m, &err), 0);
  ck_assert_int_eq(dusk_count_table_check(c, &err), 0);
  ck_assert_int_eq(dusk_written_table_check(w, &err), 0);
  ck_assert_int_eq(c->cols[DUSK_COUNT_ROWS].i64[0], 42);
  ck_assert_int_eq(r->cols[DUSK_RANGES_ASSUMED].type, DUSK_TYPE_INT64);
  ck_assert_int_eq(r->cols[DUSK_RANGES_TRANSFER].type, DUSK_TYPE_INT64);
  ck_assert_int_eq(r->cols[DUSK_RANGES_MIXED].type, DUSK_TYPE_STRING);
  ck_assert_int_eq(r->cols[DUSK_RANGES_NULLS].type, DUSK_TYPE_STRING);
  ck_assert_int_eq(r->cols[DUSK_RANGES_WIDEN_COLUMN].type, DUSK_TYPE_STRING);
  ck_assert_int_eq(r->cols[DUSK_RANGES_WIDEN_TYPE].type, DUSK_TYPE_INT64);
  ck_assert_int_eq(m->cols[DUSK_QWIN_MEAN].type, DUSK_TYPE_FLOAT64);
  /* Each check refuses the others' layouts, naming what differs. */
  ck_assert_int_eq(dusk_ranges_table_check(m, &err), DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(err.message, "ranges table"));
  ck_assert_int_eq(dusk_qwindow_table_check(c, &err), DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(err.message, "quantile window"));
  ck_assert_int_eq(dusk_qsummary_table_check(m, &err), DUSK_ETYPE);
  ck_assert_int_eq(dusk_qbounds_table_check(m, &err), DUSK_ETYPE);
  ck_assert_int_eq(dusk_written_table_check(c, &err), DUSK_ETYPE);
  ck_assert_int_eq(dusk_count_table_check(w, &err), DUSK_ETYPE);
  ck_assert_int_eq(dusk_rows_table_check(c, &err), DUSK_ETYPE);
  dusk_table_free(r);
  dusk_table_free(m);
  dusk_table_free(c);
  dusk_table_free(w);
}
END_TEST

START_TEST(test_layout_check_names_the_column) {
  /* A ranges table whose "assumed" is a bool (the parity layout's): read
   * as int64 states it would be reinterpreted bits. */
  static const char *const names[] = {"index", "file", "assumed", "transfer",
                                      "rows",  "error", "widen_column",
                                      "widen_type", "mixed", "nulls", "groups"};
  dusk_type types[DUSK_RANGES_NCOLS] = {
      DUSK_TYPE_INT64,  DUSK_TYPE_INT64,  DUSK_TYPE_BOOL,
      DUSK_TYPE_INT64,  DUSK_TYPE_INT64,  DUSK_TYPE_STRING,
      DUSK_TYPE_STRING, DUSK_TYPE_INT64,  DUSK_TYPE_STRING,
      DUSK_TYPE_STRING, DUSK_TYPE_STRING};
  dusk_error err = {0};
  dusk_table *t = dusk_table_new(names, types, DUSK_RANGES_NCOLS, 0);
  dusk_table *count2;
  dusk_value v = tu_int(1);
  ck_assert_int_eq(dusk_ranges_table_check(t, &err), DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(err.message, "'assumed'"));
  ck_assert_ptr_nonnull(strstr(err.message, "expected int64"));
  dusk_table_free(t);
  /* One column short. */
  t = dusk_table_new(names, types, DUSK_RANGES_NCOLS - 1, 0);
  ck_assert_int_eq(dusk_ranges_table_check(t, &err), DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(err.message, "10 columns, expected 11"));
  dusk_table_free(t);
  /* A len partial holds exactly one row. */
  count2 = dusk_count_table_new(1);
  ck_assert_int_eq(dusk_table_append_row(count2, &v), 0);
  ck_assert_int_eq(dusk_count_table_check(count2, &err), DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(err.message, "2 rows"));
  dusk_table_free(count2);
}
END_TEST

START_TEST(test_rows_columns) {
  static const char *const names[] = {"a", "__range", "__row"};
  dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64, DUSK_TYPE_INT64};
  dusk_error err = {0};
  dusk_table *t = dusk_table_new(names, types, 3, 0);
  ck_assert_uint_eq(dusk_rows_range_col(3), 1);
  ck_assert_uint_eq(dusk_rows_row_col(3), 2);
  ck_assert_int_eq(dusk_rows_table_check(t, &err), 0);
  dusk_table_free(t);
  types[2] = DUSK_TYPE_FLOAT64;
  t = dusk_table_new(names, types, 3, 0);
  ck_assert_int_eq(dusk_rows_table_check(t, &err), DUSK_ETYPE);
  dusk_table_free(t);
  t = dusk_table_new(names + 2, types + 1, 1, 0); /* narrower than two */
  ck_assert_int_eq(dusk_rows_table_check(t, &err), DUSK_ETYPE);
  dusk_table_free(t);
}
END_TEST

/* ---- scan arguments ------------------------------------------------------ */

static void sample_args(dusk_scan_args *a, dusk_slice *header) {
  memset(a, 0, sizeof *a);
  a->plan = cstr("\x91\x01");
  a->path = cstr("/data/trips-2024.csv");
  a->start = 1 << 20;
  a->end = 2 << 20;
  a->data_start = 17;
  a->file_size = 5 << 20;
  a->start_state = 3; /* DUSK_CSV_IN_QUOTES */
  a->index = (3ull << 32) | 9;
  header[0] = cstr("PULocationID");
  header[1] = cstr("");
  a->nheader = 2;
  a->header = header;
  a->max_field = 1 << 20;
  a->version = cstr("\"9b2cf535f27731c974343645a3985328\"");
  a->persisted = true;
}

START_TEST(test_scan_args_roundtrip) {
  dusk_scan_args a, b;
  dusk_slice header[2];
  dusk_buf buf;
  dusk_error err = {0};
  char *copy;
  sample_args(&a, header);
  dusk_buf_init(&buf);
  ck_assert_int_eq(dusk_scan_args_encode(&a, &buf), 0);
  copy = malloc(buf.len); /* exact size: a read past it shows under ASan */
  memcpy(copy, buf.data, buf.len);
  {
    dusk_slice bytes = {copy, buf.len};
    ck_assert_int_eq(dusk_scan_args_decode(bytes, &b, &err), 0);
  }
  ck_assert_uint_eq(b.plan.len, 2);
  ck_assert_uint_eq(b.path.len, a.path.len);
  ck_assert_int_eq(memcmp(b.path.ptr, a.path.ptr, a.path.len), 0);
  ck_assert_uint_eq(b.start, a.start);
  ck_assert_uint_eq(b.end, a.end);
  ck_assert_uint_eq(b.data_start, a.data_start);
  ck_assert_uint_eq(b.file_size, a.file_size);
  ck_assert_uint_eq(b.start_state, 3);
  ck_assert_uint_eq(b.index, a.index);
  ck_assert_uint_eq(b.nheader, 2);
  ck_assert_uint_eq(b.header[0].len, 12);
  ck_assert_uint_eq(b.header[1].len, 0);
  ck_assert_uint_eq(b.max_field, 1 << 20);
  ck_assert_uint_eq(b.version.len, a.version.len);
  ck_assert_int_eq(memcmp(b.version.ptr, a.version.ptr, a.version.len), 0);
  ck_assert(b.persisted);
  free(b.header);
  /* Every proper prefix is refused, never read past. */
  for (size_t n = 0; n < buf.len; n++) {
    dusk_slice bytes = {copy, n};
    ck_assert_int_ne(dusk_scan_args_decode(bytes, &b, &err), 0);
    ck_assert_ptr_null(b.header);
  }
  free(copy);
  dusk_buf_destroy(&buf);
}
END_TEST

static int decode_with_max_field(uint64_t max_field, dusk_error *err) {
  dusk_scan_args a, b;
  dusk_slice header[2];
  dusk_buf buf;
  int rc;
  sample_args(&a, header);
  a.max_field = max_field;
  dusk_buf_init(&buf);
  ck_assert_int_eq(dusk_scan_args_encode(&a, &buf), 0);
  {
    dusk_slice bytes = {buf.data, buf.len};
    rc = dusk_scan_args_decode(bytes, &b, err);
  }
  if (rc == 0)
    free(b.header);
  dusk_buf_destroy(&buf);
  return rc;
}

START_TEST(test_scan_args_max_field_bounded) {
  dusk_error err = {0};
  ck_assert_int_eq(decode_with_max_field(1, &err), 0);
  ck_assert_int_eq(decode_with_max_field(DUSK_SCAN_MAX_FIELD, &err), 0);
  ck_assert_int_eq(decode_with_max_field(0, &err), DUSK_ETYPE);
  ck_assert_ptr_nonnull(strstr(err.message, "scan args"));
  ck_assert_int_eq(decode_with_max_field(DUSK_SCAN_MAX_FIELD + 1, &err),
                   DUSK_ETYPE);
}
END_TEST

START_TEST(test_scan_args_old_layout_refused) {
  /* Nine fields (no max_field): the layout before the limit travelled. */
  msgpack_sbuffer sb;
  msgpack_packer pk;
  dusk_scan_args b;
  dusk_error err = {0};
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 9);
  msgpack_pack_bin_with_body(&pk, "\x91\x01", 2);
  msgpack_pack_str_with_body(&pk, "p", 1);
  for (int i = 0; i < 3; i++)
    msgpack_pack_uint64(&pk, 0);
  msgpack_pack_false(&pk);
  msgpack_pack_uint64(&pk, 0);
  msgpack_pack_array(&pk, 0);
  msgpack_pack_uint64(&pk, 0);
  {
    dusk_slice bytes = {sb.data, sb.size};
    ck_assert_int_eq(dusk_scan_args_decode(bytes, &b, &err), DUSK_ETYPE);
  }
  ck_assert_ptr_nonnull(strstr(err.message, "12 fields"));
  msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* ---- tail arguments ------------------------------------------------------ */

START_TEST(test_tail_args_roundtrip) {
  static const char nulls[] = "PULocationID\x1fSR_Flag";
  dusk_tail_args a, b;
  dusk_buf buf;
  dusk_error err = {0};
  char *copy;
  memset(&a, 0, sizeof a);
  a.plan = cstr("\x91\x01");
  a.nulls = cstr(nulls);
  dusk_buf_init(&buf);
  ck_assert_int_eq(dusk_tail_args_encode(&a, &buf), 0);
  copy = malloc(buf.len);
  memcpy(copy, buf.data, buf.len);
  {
    dusk_slice bytes = {copy, buf.len};
    ck_assert_int_eq(dusk_tail_args_decode(bytes, &b, &err), 0);
  }
  ck_assert_uint_eq(b.plan.len, 2);
  ck_assert_int_eq(memcmp(b.plan.ptr, "\x91\x01", 2), 0);
  ck_assert_uint_eq(b.nulls.len, strlen(nulls));
  ck_assert_int_eq(memcmp(b.nulls.ptr, nulls, b.nulls.len), 0);
  ck_assert_uint_eq(b.nparts, 0);
  for (size_t n = 0; n < buf.len; n++) {
    dusk_slice bytes = {copy, n};
    ck_assert_int_ne(dusk_tail_args_decode(bytes, &b, &err), 0);
  }
  free(copy);
  /* No nulls: an empty string. */
  a.nulls = cstr("");
  buf.len = 0;
  ck_assert_int_eq(dusk_tail_args_encode(&a, &buf), 0);
  {
    dusk_slice bytes = {buf.data, buf.len};
    ck_assert_int_eq(dusk_tail_args_decode(bytes, &b, &err), 0);
  }
  ck_assert_uint_eq(b.nulls.len, 0);
  dusk_buf_destroy(&buf);
}
END_TEST

/* A bare plan (the tail args before the nulls travelled), nil or bin
 * nulls, a third field: each refused with the layout named. */
/* A split_out part's arguments: part and nparts travel, part < nparts. */
START_TEST(test_tail_args_parts) {
  dusk_tail_args a, b;
  dusk_buf buf;
  dusk_error err = {0};
  memset(&a, 0, sizeof a);
  a.plan = cstr("\x91\x01");
  a.nulls = cstr("");
  a.part = 3;
  a.nparts = 5;
  dusk_buf_init(&buf);
  ck_assert_int_eq(dusk_tail_args_encode(&a, &buf), 0);
  {
    dusk_slice bytes = {buf.data, buf.len};
    ck_assert_int_eq(dusk_tail_args_decode(bytes, &b, &err), 0);
  }
  ck_assert_uint_eq(b.part, 3);
  ck_assert_uint_eq(b.nparts, 5);
  a.part = 5; /* not below nparts */
  buf.len = 0;
  ck_assert_int_eq(dusk_tail_args_encode(&a, &buf), 0);
  {
    dusk_slice bytes = {buf.data, buf.len};
    ck_assert_int_ne(dusk_tail_args_decode(bytes, &b, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "nparts"));
  }
  /* positions travel with or without parts; without, part must be 0 */
  for (int k = 0; k < 3; k++) {
    a.part = k == 2 ? 1 : 0;
    a.nparts = k == 1 ? 4 : 0;
    a.positions = true;
    buf.len = 0;
    ck_assert_int_eq(dusk_tail_args_encode(&a, &buf), 0);
    {
      dusk_slice bytes = {buf.data, buf.len};
      int rc = dusk_tail_args_decode(bytes, &b, &err);
      if (k == 2) {
        ck_assert_int_eq(rc, DUSK_ETYPE);
        continue;
      }
      ck_assert_int_eq(rc, 0);
    }
    ck_assert(b.positions);
    ck_assert_uint_eq(b.nparts, a.nparts);
  }
  a.positions = false;
  a.part = 3;
  a.nparts = 5;
  buf.len = 0;
  ck_assert_int_eq(dusk_tail_args_encode(&a, &buf), 0);
  {
    dusk_slice bytes = {buf.data, buf.len};
    ck_assert_int_eq(dusk_tail_args_decode(bytes, &b, &err), 0);
    ck_assert(!b.positions);
    ck_assert(!b.stage_first);
  }
  /* stage_first alone and with positions; the flags word past 3 refused */
  for (int k = 0; k < 2; k++) {
    a.part = 2;
    a.nparts = 4;
    a.positions = k == 1;
    a.stage_first = true;
    buf.len = 0;
    ck_assert_int_eq(dusk_tail_args_encode(&a, &buf), 0);
    {
      dusk_slice bytes = {buf.data, buf.len};
      ck_assert_int_eq(dusk_tail_args_decode(bytes, &b, &err), 0);
    }
    ck_assert(b.stage_first);
    ck_assert(b.positions == (k == 1));
    ck_assert_uint_eq(b.part, 2);
    ck_assert_uint_eq(b.nparts, 4);
  }
  ck_assert_uint_eq((unsigned char)buf.data[buf.len - 1], 3);
  a.positions = a.stage_first = false;
  for (int k = 0; k < 3; k++) { /* groups, write_part, both */
    a.groups = k != 1;
    a.write_part = k != 0;
    buf.len = 0;
    ck_assert_int_eq(dusk_tail_args_encode(&a, &buf), 0);
    {
      dusk_slice bytes = {buf.data, buf.len};
      ck_assert_int_eq(dusk_tail_args_decode(bytes, &b, &err), 0);
    }
    ck_assert(b.groups == a.groups && b.write_part == a.write_part);
    ck_assert(!b.positions && !b.stage_first);
  }
  ck_assert_uint_eq((unsigned char)buf.data[buf.len - 1], 12);
  buf.data[buf.len - 1] = 16; /* (a positive fixint: the flags word) */
  {
    dusk_slice bytes = {buf.data, buf.len};
    ck_assert_int_eq(dusk_tail_args_decode(bytes, &b, &err), DUSK_ETYPE);
    ck_assert_ptr_nonnull(strstr(err.message, "flags"));
  }
  dusk_buf_destroy(&buf);
}
END_TEST

START_TEST(test_tail_args_refused) {
  msgpack_sbuffer sb;
  msgpack_packer pk;
  dusk_tail_args b;
  dusk_error err = {0};
  for (int k = 0; k < 4; k++) {
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (k == 0) {
      msgpack_pack_array(&pk, 1);
      msgpack_pack_uint8(&pk, 1);
    } else {
      msgpack_pack_array(&pk, k == 3 ? 3 : 2);
      msgpack_pack_bin_with_body(&pk, "\x91\x01", 2);
      if (k == 1)
        msgpack_pack_nil(&pk);
      else
        msgpack_pack_bin_with_body(&pk, "a", 1);
      if (k == 3)
        msgpack_pack_str_with_body(&pk, "a", 1);
    }
    {
      dusk_slice bytes = {sb.data, sb.size};
      ck_assert_int_eq(dusk_tail_args_decode(bytes, &b, &err), DUSK_ETYPE);
    }
    ck_assert_ptr_nonnull(strstr(err.message, "tail args"));
    msgpack_sbuffer_destroy(&sb);
  }
}
END_TEST

/* ---- nulls reports ------------------------------------------------------- */

START_TEST(test_names_lists) {
  dusk_buf b;
  dusk_slice l;
  dusk_buf_init(&b);
  ck_assert(!dusk_names_has(cstr(""), "a", 1));
  ck_assert_int_eq(dusk_names_add(&b, "ab", 2), 0);
  ck_assert_int_eq(dusk_names_add(&b, "a", 1), 0);
  ck_assert_int_eq(dusk_names_add(&b, "ab", 2), 0); /* once */
  ck_assert_int_eq(dusk_names_add(&b, "b c", 3), 0);
  ck_assert_uint_eq(b.len, 8);
  ck_assert_int_eq(memcmp(b.data, "ab\x1f" "a\x1f" "b c", 8), 0);
  l.ptr = b.data;
  l.len = b.len;
  ck_assert(dusk_names_has(l, "ab", 2));
  ck_assert(dusk_names_has(l, "a", 1));
  ck_assert(dusk_names_has(l, "b c", 3));
  ck_assert(!dusk_names_has(l, "b", 1)); /* whole names only */
  ck_assert(!dusk_names_has(l, "abc", 3));
  ck_assert(!dusk_names_has(l, "", 0));
  dusk_buf_destroy(&b);
}
END_TEST

/* int64 and text columns always count (an int derived from text with a
 * NaN is float64 in pandas); bool ones unless a fillna of the fragment
 * fills them with a bool (pandas infers bool again); float64 never. */
START_TEST(test_nulls_count) {
  static const char *const paths[] = {"x.csv"};
  char bname[] = "b";
  dusk_fill fills[2];
  dusk_plan *p = dusk_plan_read_csv(paths, 1, NULL);
  ck_assert_ptr_nonnull(p);
  ck_assert(dusk_nulls_count(p, "i", DUSK_TYPE_INT64));
  ck_assert(dusk_nulls_count(p, "b", DUSK_TYPE_BOOL));
  ck_assert(!dusk_nulls_count(p, "f", DUSK_TYPE_FLOAT64));
  ck_assert(dusk_nulls_count(p, "s", DUSK_TYPE_STRING));
  /* fillna({"b": True}) then fillna(0), below a head. */
  memset(fills, 0, sizeof fills);
  fills[0].column = bname;
  fills[0].value = tu_bool(true);
  p = dusk_plan_fillna(p, fills, 1);
  fills[1].value = tu_int(0);
  p = dusk_plan_head(dusk_plan_fillna(p, &fills[1], 1), 5);
  ck_assert_ptr_nonnull(p);
  ck_assert(dusk_nulls_count(p, "i", DUSK_TYPE_INT64));
  ck_assert(!dusk_nulls_count(p, "b", DUSK_TYPE_BOOL));
  ck_assert(dusk_nulls_count(p, "c", DUSK_TYPE_BOOL));
  dusk_plan_free(p);
  /* fillna(False) over every column. */
  fills[0].column = NULL;
  fills[0].value = tu_bool(false);
  p = dusk_plan_fillna(dusk_plan_read_csv(paths, 1, NULL), fills, 1);
  ck_assert_ptr_nonnull(p);
  ck_assert(!dusk_nulls_count(p, "c", DUSK_TYPE_BOOL));
  ck_assert(dusk_nulls_count(p, "i", DUSK_TYPE_INT64));
  dusk_plan_free(p);
}
END_TEST

/* ---- partials ------------------------------------------------------------ */

START_TEST(test_partial_roundtrip) {
  dusk_buf buf;
  dusk_slice r, p;
  dusk_error err = {0};
  dusk_buf_init(&buf);
  ck_assert_int_eq(dusk_partial_encode(cstr("ranges"), cstr("payload!"), &buf),
                   0);
  {
    dusk_slice bytes = {buf.data, buf.len};
    ck_assert_int_eq(dusk_partial_decode(bytes, &r, &p, &err), 0);
  }
  ck_assert_uint_eq(r.len, 6);
  ck_assert_uint_eq(p.len, 8);
  ck_assert_int_eq(memcmp(p.ptr, "payload!", 8), 0);
  for (size_t n = 0; n < buf.len; n++) {
    dusk_slice bytes = {buf.data, n};
    ck_assert_int_ne(dusk_partial_decode(bytes, &r, &p, &err), 0);
  }
  dusk_buf_destroy(&buf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dftask");
  TCase *tc = tcase_create("dftask");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_op_names);
  tcase_add_test(tc, test_layouts_built_and_checked);
  tcase_add_test(tc, test_layout_check_names_the_column);
  tcase_add_test(tc, test_rows_columns);
  tcase_add_test(tc, test_scan_args_roundtrip);
  tcase_add_test(tc, test_scan_args_max_field_bounded);
  tcase_add_test(tc, test_scan_args_old_layout_refused);
  tcase_add_test(tc, test_tail_args_roundtrip);
  tcase_add_test(tc, test_tail_args_refused);
  tcase_add_test(tc, test_tail_args_parts);
  tcase_add_test(tc, test_names_lists);
  tcase_add_test(tc, test_nulls_count);
  tcase_add_test(tc, test_partial_roundtrip);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
