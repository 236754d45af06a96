/* dftask.c - dataframe task arguments and partial results on the wire.
 *
 *   scan args: [plan(bin), path(str), start, end, data_start,
 *               start_state(uint 0-4), index, [header names(str)...],
 *               file_size, max_field]
 *   tail args: [plan(bin), nulls(str)]
 *   partial:   [ranges(bin), payload(bin)]
 * Decoding checks every field; header names are bounded by the bytes
 * present (msgcheck) before the array for them is allocated. */
#include "dftask.h"

#include "quantile.h"

#include "msgcheck.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- op names ------------------------------------------------------------ */

static const char *const op_names[DUSK_DF_NOPS] = {
    [DUSK_DF_SCAN] = "df_scan",
    [DUSK_DF_COMBINE] = "df_combine",
    [DUSK_DF_FINAL] = "df_final",
    [DUSK_DF_OFFSETS] = "df_offsets",
    [DUSK_DF_BOUNDS] = "df_bounds",
    [DUSK_DF_SPLIT] = "df_split",
    [DUSK_DF_GATHER] = "df_gather",
    [DUSK_DF_SAMPLE] = "df_sample",
    [DUSK_DF_CUTS] = "df_cuts",
    [DUSK_DF_PICK] = "df_pick",
    [DUSK_DF_JOIN_SPLIT] = "df_join_split",
    [DUSK_DF_JOIN] = "df_join",
    [DUSK_DF_JOIN_CUTS] = "df_join_cuts",
    [DUSK_DF_PERSISTED] = "df_persisted",
};

const char *dusk_df_op_name(dusk_df_op op) {
  return (unsigned)op < DUSK_DF_NOPS ? op_names[op] : NULL;
}

dusk_df_op dusk_df_op_parse(dusk_slice name) {
  for (int i = 0; i < DUSK_DF_NOPS; i++)
    if (strlen(op_names[i]) == name.len &&
        memcmp(op_names[i], name.ptr, name.len) == 0)
      return (dusk_df_op)i;
  return DUSK_DF_NOPS;
}

/* ---- partial layouts ----------------------------------------------------- */

typedef struct layout {
  const char *what;
  size_t ncols;
  const char *const *names;
  const dusk_type *types;
} layout;

static const char *const ranges_names[DUSK_RANGES_NCOLS] = {
    [DUSK_RANGES_INDEX] = "index",
    [DUSK_RANGES_FILE] = "file",
    [DUSK_RANGES_ASSUMED] = "assumed",
    [DUSK_RANGES_TRANSFER] = "transfer",
    [DUSK_RANGES_ROWS] = "rows",
    [DUSK_RANGES_ERROR] = "error",
    [DUSK_RANGES_WIDEN_COLUMN] = "widen_column",
    [DUSK_RANGES_WIDEN_TYPE] = "widen_type",
    [DUSK_RANGES_MIXED] = "mixed",
    [DUSK_RANGES_NULLS] = "nulls",
    [DUSK_RANGES_GROUPS] = "groups",
};
static const dusk_type ranges_types[DUSK_RANGES_NCOLS] = {
    [DUSK_RANGES_INDEX] = DUSK_TYPE_INT64,
    [DUSK_RANGES_FILE] = DUSK_TYPE_INT64,
    [DUSK_RANGES_ASSUMED] = DUSK_TYPE_INT64,
    [DUSK_RANGES_TRANSFER] = DUSK_TYPE_INT64,
    [DUSK_RANGES_ROWS] = DUSK_TYPE_INT64,
    [DUSK_RANGES_ERROR] = DUSK_TYPE_STRING,
    [DUSK_RANGES_WIDEN_COLUMN] = DUSK_TYPE_STRING,
    [DUSK_RANGES_WIDEN_TYPE] = DUSK_TYPE_INT64,
    [DUSK_RANGES_MIXED] = DUSK_TYPE_STRING,
    [DUSK_RANGES_NULLS] = DUSK_TYPE_STRING,
    [DUSK_RANGES_GROUPS] = DUSK_TYPE_STRING,
};
static const layout ranges_layout = {"ranges table", DUSK_RANGES_NCOLS,
                                     ranges_names, ranges_types};

static const char *const qsum_names[DUSK_QSUM_NCOLS] = {
    [DUSK_QSUM_COL] = "col",     [DUSK_QSUM_RANGE] = "range",
    [DUSK_QSUM_RUN] = "run",     [DUSK_QSUM_N] = "n",
    [DUSK_QSUM_KEY] = "key",     [DUSK_QSUM_RLO] = "rlo",
    [DUSK_QSUM_RHI] = "rhi"};
static const dusk_type qsum_types[DUSK_QSUM_NCOLS] = {
    DUSK_TYPE_INT64, DUSK_TYPE_INT64, DUSK_TYPE_INT64, DUSK_TYPE_INT64,
    DUSK_TYPE_INT64, DUSK_TYPE_INT64, DUSK_TYPE_INT64};
static const layout qsum_layout = {"quantile summary", DUSK_QSUM_NCOLS,
                                   qsum_names, qsum_types};

static const char *const qbound_names[DUSK_QBOUND_NCOLS] = {
    [DUSK_QBOUND_COL] = "col", [DUSK_QBOUND_TARGET] = "target",
    [DUSK_QBOUND_LO] = "lo", [DUSK_QBOUND_HI] = "hi"};
static const dusk_type qbound_types[DUSK_QBOUND_NCOLS] = {
    DUSK_TYPE_INT64, DUSK_TYPE_INT64, DUSK_TYPE_INT64, DUSK_TYPE_INT64};
static const layout qbound_layout = {"quantile bounds", DUSK_QBOUND_NCOLS,
                                     qbound_names, qbound_types};

static const char *const qwin_names[DUSK_QWIN_NCOLS] = {
    [DUSK_QWIN_COL] = "col",   [DUSK_QWIN_TARGET] = "target",
    [DUSK_QWIN_KEY] = "key",   [DUSK_QWIN_COUNT] = "count",
    [DUSK_QWIN_TYPE] = "type", [DUSK_QWIN_SUM] = "sum",
    [DUSK_QWIN_MEAN] = "mean", [DUSK_QWIN_MEAN_LO] = "mean_lo",
    [DUSK_QWIN_M2] = "m2",     [DUSK_QWIN_MIN] = "min",
    [DUSK_QWIN_MAX] = "max",   [DUSK_QWIN_IMIN] = "imin",
    [DUSK_QWIN_IMAX] = "imax"};
static const dusk_type qwin_types[DUSK_QWIN_NCOLS] = {
    DUSK_TYPE_INT64,   DUSK_TYPE_INT64,   DUSK_TYPE_INT64,
    DUSK_TYPE_INT64,   DUSK_TYPE_INT64,   DUSK_TYPE_FLOAT64,
    DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64,
    DUSK_TYPE_FLOAT64, DUSK_TYPE_FLOAT64, DUSK_TYPE_INT64,
    DUSK_TYPE_INT64};
static const layout qwin_layout = {"quantile window", DUSK_QWIN_NCOLS,
                                   qwin_names, qwin_types};

static const char *const count_names[DUSK_COUNT_NCOLS] = {
    [DUSK_COUNT_ROWS] = "rows"};
static const dusk_type count_types[DUSK_COUNT_NCOLS] = {
    [DUSK_COUNT_ROWS] = DUSK_TYPE_INT64};
static const layout count_layout = {"len partial", DUSK_COUNT_NCOLS,
                                    count_names, count_types};

static const char *const written_names[DUSK_WRITTEN_NCOLS] = {
    [DUSK_WRITTEN_FILE] = "file", [DUSK_WRITTEN_ROWS] = "rows"};
static const dusk_type written_types[DUSK_WRITTEN_NCOLS] = {
    [DUSK_WRITTEN_FILE] = DUSK_TYPE_STRING,
    [DUSK_WRITTEN_ROWS] = DUSK_TYPE_INT64};
static const layout written_layout = {"to_csv partial", DUSK_WRITTEN_NCOLS,
                                      written_names, written_types};

static dusk_table *layout_new(const layout *l) {
  return dusk_table_new(l->names, l->types, l->ncols, 0);
}

static int layout_check(const layout *l, const dusk_table *t,
                        dusk_error *err) {
  if (t->ncols != l->ncols)
    return dusk_error_set(err, DUSK_ETYPE, "%s: %zu columns, expected %zu",
                          l->what, t->ncols, l->ncols);
  for (size_t c = 0; c < l->ncols; c++)
    if (t->cols[c].type != l->types[c])
      return dusk_error_set(err, DUSK_ETYPE,
                            "%s: column '%s' is %s, expected %s", l->what,
                            l->names[c], dusk_type_name(t->cols[c].type),
                            dusk_type_name(l->types[c]));
  return 0;
}

dusk_table *dusk_ranges_table_new(void) { return layout_new(&ranges_layout); }

dusk_table *dusk_qsummary_table_new(void) { return layout_new(&qsum_layout); }
dusk_table *dusk_qbounds_table_new(void) { return layout_new(&qbound_layout); }
dusk_table *dusk_qwindow_table_new(void) { return layout_new(&qwin_layout); }

dusk_table *dusk_written_table_new(void) {
  return layout_new(&written_layout);
}

dusk_table *dusk_count_table_new(int64_t n) {
  dusk_table *t = layout_new(&count_layout);
  dusk_value v;
  v.type = DUSK_TYPE_INT64;
  v.u.i = n;
  if (t != NULL && dusk_table_append_row(t, &v) != 0) {
    dusk_table_free(t);
    return NULL;
  }
  return t;
}

int dusk_ranges_table_check(const dusk_table *t, dusk_error *err) {
  return layout_check(&ranges_layout, t, err);
}

int dusk_qsummary_table_check(const dusk_table *t, dusk_error *err) {
  return layout_check(&qsum_layout, t, err);
}

int dusk_qbounds_table_check(const dusk_table *t, dusk_error *err) {
  return layout_check(&qbound_layout, t, err);
}

int dusk_qwindow_table_check(const dusk_table *t, dusk_error *err) {
  return layout_check(&qwin_layout, t, err);
}

int dusk_count_table_check(const dusk_table *t, dusk_error *err) {
  int rc = layout_check(&count_layout, t, err);
  if (rc == 0 && t->nrows != 1)
    rc = dusk_error_set(err, DUSK_ETYPE, "%s: %zu rows, expected 1",
                        count_layout.what, t->nrows);
  return rc;
}

int dusk_written_table_check(const dusk_table *t, dusk_error *err) {
  return layout_check(&written_layout, t, err);
}

int dusk_rows_table_check(const dusk_table *t, dusk_error *err) {
  if (t->ncols < DUSK_ROWS_NEXTRA ||
      t->cols[dusk_rows_range_col(t->ncols)].type != DUSK_TYPE_INT64 ||
      t->cols[dusk_rows_row_col(t->ncols)].type != DUSK_TYPE_INT64)
    return dusk_error_set(err, DUSK_ETYPE,
                          "rows partial: no int64 range and row columns at "
                          "its end");
  return 0;
}

/* ---- wire ---------------------------------------------------------------- */

static int buf_write(void *data, const char *bytes, size_t len) {
  return dusk_buf_append(data, bytes, len) == 0 ? 0 : -1;
}

int dusk_scan_args_encode(const dusk_scan_args *a, dusk_buf *out) {
  msgpack_packer pk;
  int rc = 0;
  msgpack_packer_init(&pk, out, buf_write);
  rc |= msgpack_pack_array(&pk, 12);
  rc |= msgpack_pack_bin_with_body(&pk, a->plan.ptr, a->plan.len);
  rc |= msgpack_pack_str_with_body(&pk, a->path.ptr, a->path.len);
  rc |= msgpack_pack_uint64(&pk, a->start);
  rc |= msgpack_pack_uint64(&pk, a->end);
  rc |= msgpack_pack_uint64(&pk, a->data_start);
  rc |= msgpack_pack_uint8(&pk, a->start_state);
  rc |= msgpack_pack_uint64(&pk, a->index);
  rc |= msgpack_pack_array(&pk, a->nheader);
  for (uint32_t i = 0; i < a->nheader; i++)
    rc |= msgpack_pack_str_with_body(&pk, a->header[i].ptr, a->header[i].len);
  rc |= msgpack_pack_uint64(&pk, a->file_size);
  rc |= msgpack_pack_uint64(&pk, a->max_field);
  rc |= msgpack_pack_str_with_body(&pk, a->version.ptr, a->version.len);
  rc |= a->persisted ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
  return rc == 0 ? 0 : DUSK_ENOMEM;
}

/* Unpacks one whole value after the bounded header walk. */
static int unpack(dusk_slice bytes, msgpack_zone *zone, msgpack_object *obj,
                  const char *what, dusk_error *err) {
  dusk_msgcheck_limits lim = {8, bytes.len + 1};
  size_t consumed = 0, off = 0;
  int rc = dusk_msgcheck(bytes.ptr, bytes.len, &lim, &consumed, err);
  if (rc != 0)
    return rc;
  if (consumed != bytes.len)
    return dusk_error_set(err, DUSK_ETRAILING, "%s: trailing bytes", what);
  if (msgpack_unpack(bytes.ptr, bytes.len, &off, zone, obj) !=
      MSGPACK_UNPACK_SUCCESS)
    return dusk_error_set(err, DUSK_EPROTO, "%s: undecodable", what);
  return 0;
}

static int get_u64(const msgpack_object *o, uint64_t *v) {
  if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return -1;
  *v = o->via.u64;
  return 0;
}

int dusk_scan_args_decode(dusk_slice bytes, dusk_scan_args *a,
                          dusk_error *err) {
  msgpack_zone zone;
  msgpack_object obj;
  const msgpack_object *f;
  uint64_t index, state;
  int rc;

  memset(a, 0, sizeof *a);
  if (!msgpack_zone_init(&zone, 1024))
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  if ((rc = unpack(bytes, &zone, &obj, "scan args", err)) != 0)
    goto out;
  rc = DUSK_ETYPE;
  if (obj.type != MSGPACK_OBJECT_ARRAY || obj.via.array.size != 12) {
    dusk_error_set(err, rc, "scan args: expected an array of 12 fields");
    goto out;
  }
  f = obj.via.array.ptr;
  if (f[0].type != MSGPACK_OBJECT_BIN || f[1].type != MSGPACK_OBJECT_STR ||
      get_u64(&f[2], &a->start) != 0 || get_u64(&f[3], &a->end) != 0 ||
      get_u64(&f[4], &a->data_start) != 0 || get_u64(&f[5], &state) != 0 ||
      state > 4 || get_u64(&f[6], &index) != 0 || index > (uint64_t)INT64_MAX ||
      f[7].type != MSGPACK_OBJECT_ARRAY || get_u64(&f[8], &a->file_size) != 0 ||
      a->start > a->end || get_u64(&f[9], &a->max_field) != 0 ||
      a->max_field == 0 || a->max_field > DUSK_SCAN_MAX_FIELD ||
      f[10].type != MSGPACK_OBJECT_STR ||
      f[10].via.str.size > DUSK_SCAN_MAX_VERSION ||
      f[11].type != MSGPACK_OBJECT_BOOLEAN) {
    dusk_error_set(err, rc, "scan args: a field has the wrong type");
    goto out;
  }
  /* Bytes and strings point into `bytes`, which msgpack-c references. */
  a->plan.ptr = f[0].via.bin.ptr;
  a->plan.len = f[0].via.bin.size;
  a->path.ptr = f[1].via.str.ptr;
  a->path.len = f[1].via.str.size;
  a->version.ptr = f[10].via.str.ptr;
  a->version.len = f[10].via.str.size;
  a->start_state = (uint8_t)state;
  a->persisted = f[11].via.boolean;
  a->index = index;
  a->nheader = f[7].via.array.size;
  a->header = calloc(a->nheader ? a->nheader : 1, sizeof *a->header);
  if (a->header == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "out of memory");
    goto out;
  }
  for (uint32_t i = 0; i < a->nheader; i++) {
    const msgpack_object *h = &f[7].via.array.ptr[i];
    if (h->type != MSGPACK_OBJECT_STR) {
      free(a->header);
      a->header = NULL;
      dusk_error_set(err, rc, "scan args: header name %u is not a string",
                     i);
      goto out;
    }
    a->header[i].ptr = h->via.str.ptr;
    a->header[i].len = h->via.str.size;
  }
  rc = 0;
out:
  msgpack_zone_destroy(&zone);
  return rc;
}

int dusk_tail_args_encode(const dusk_tail_args *a, dusk_buf *out) {
  msgpack_packer pk;
  int rc = 0;
  msgpack_packer_init(&pk, out, buf_write);
  unsigned flags = (a->positions ? 1u : 0u) | (a->stage_first ? 2u : 0u) |
                   (a->groups ? 4u : 0u) | (a->write_part ? 8u : 0u);
  rc |= msgpack_pack_array(&pk, flags ? 5 : a->nparts > 0 ? 4 : 2);
  rc |= msgpack_pack_bin_with_body(&pk, a->plan.ptr, a->plan.len);
  rc |= msgpack_pack_str_with_body(&pk, a->nulls.ptr, a->nulls.len);
  if (a->nparts > 0 || flags) {
    rc |= msgpack_pack_uint32(&pk, a->part);
    rc |= msgpack_pack_uint32(&pk, a->nparts);
  }
  if (flags)
    rc |= msgpack_pack_uint32(&pk, flags);
  return rc == 0 ? 0 : DUSK_ENOMEM;
}

int dusk_tail_args_decode(dusk_slice bytes, dusk_tail_args *a,
                          dusk_error *err) {
  msgpack_zone zone;
  msgpack_object obj;
  const msgpack_object *f;
  int rc;
  memset(a, 0, sizeof *a);
  if (!msgpack_zone_init(&zone, 256))
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  if ((rc = unpack(bytes, &zone, &obj, "tail args", err)) != 0)
    goto out;
  f = obj.via.array.ptr;
  if (obj.type != MSGPACK_OBJECT_ARRAY || obj.via.array.size < 2 ||
      obj.via.array.size == 3 || obj.via.array.size > 5 ||
      f[0].type != MSGPACK_OBJECT_BIN || f[1].type != MSGPACK_OBJECT_STR ||
      (obj.via.array.size >= 4 &&
       (f[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        f[3].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        f[3].via.u64 > DUSK_PLAN_MAX_SPLIT_OUT ||
        (f[2].via.u64 >= f[3].via.u64 &&
         (obj.via.array.size == 4 || f[2].via.u64 != 0)))) ||
      (obj.via.array.size == 5 &&
       (f[4].type != MSGPACK_OBJECT_POSITIVE_INTEGER || f[4].via.u64 < 1 ||
        f[4].via.u64 > 15))) {
    rc = dusk_error_set(err, DUSK_ETYPE,
                        "tail args: expected [plan (bin), nulls (str)], "
                        "[plan, nulls, part, nparts] (part < nparts <= %d) "
                        "or [plan, nulls, part, nparts, flags 1..15]",
                        DUSK_PLAN_MAX_SPLIT_OUT);
    goto out;
  }
  /* Both point into `bytes`, which msgpack-c references. */
  a->plan.ptr = f[0].via.bin.ptr;
  a->plan.len = f[0].via.bin.size;
  a->nulls.ptr = f[1].via.str.ptr;
  a->nulls.len = f[1].via.str.size;
  if (obj.via.array.size >= 4) {
    a->part = (uint32_t)f[2].via.u64;
    a->nparts = (uint32_t)f[3].via.u64;
  }
  if (obj.via.array.size == 5) {
    a->positions = (f[4].via.u64 & 1) != 0;
    a->stage_first = (f[4].via.u64 & 2) != 0;
    a->groups = (f[4].via.u64 & 4) != 0;
    a->write_part = (f[4].via.u64 & 8) != 0;
  }
out:
  msgpack_zone_destroy(&zone);
  return rc;
}

/* ---- nulls reports ------------------------------------------------------- */

bool dusk_nulls_count(const dusk_plan *frag, const char *name,
                      dusk_type type) {
  if (type == DUSK_TYPE_INT64 || type == DUSK_TYPE_STRING)
    return true;
  if (type != DUSK_TYPE_BOOL)
    return false;
  /* pandas' fillna on an object column of bools and NaN infers the
   * filled values' type again: a bool fill gives bool.  A fill fills every
   * null whatever filters stand around it, so where it sits in the chain
   * does not matter. */
  for (const dusk_plan *p = frag; p != NULL;
       p = p->ninputs > 0 ? p->inputs[0] : NULL) {
    if (p->kind != DUSK_PLAN_FILLNA)
      continue;
    for (size_t f = 0; f < p->nfills; f++)
      if (p->fills[f].value.type == DUSK_TYPE_BOOL &&
          (p->fills[f].column == NULL ||
           strcmp(p->fills[f].column, name) == 0))
        return false;
  }
  return true;
}

bool dusk_names_has(dusk_slice list, const char *name, size_t len) {
  const char *p = list.ptr, *end = list.ptr + list.len;
  if (list.len == 0)
    return false;
  for (;;) {
    const char *q = memchr(p, DUSK_NULLS_SEP, (size_t)(end - p));
    size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
    if (n == len && memcmp(p, name, len) == 0)
      return true;
    if (q == NULL)
      return false;
    p = q + 1;
  }
}

int dusk_names_add(dusk_buf *joined, const char *name, size_t len) {
  dusk_slice list = {joined->data, joined->len};
  char sep = DUSK_NULLS_SEP;
  if (dusk_names_has(list, name, len))
    return 0;
  if ((joined->len > 0 && dusk_buf_append(joined, &sep, 1) != 0) ||
      dusk_buf_append(joined, name, len) != 0)
    return DUSK_ENOMEM;
  return 0;
}

uint64_t dusk_line_of(const char *path, uint64_t offset) {
  char buf[65536];
  uint64_t line = 1, pos = 0;
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return 0;
  while (pos < offset) {
    size_t want = offset - pos < sizeof buf ? (size_t)(offset - pos)
                                            : sizeof buf;
    size_t got = fread(buf, 1, want, f);
    if (got == 0)
      break;
    for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p)));
         p++)
      line++;
    pos += got;
  }
  fclose(f);
  return line;
}

void dusk_error_at_line(char *out, size_t outlen, const char *path,
                        uint64_t offset, const char *column,
                        const char *message) {
  size_t plen = strlen(path);
  uint64_t line = dusk_line_of(path, offset);
  char where[300] = "";
  if (strncmp(message, path, plen) == 0 && strncmp(message + plen, ": ", 2) == 0)
    message += plen + 2;
  if (line > 0)
    snprintf(where, sizeof where, " line %llu", (unsigned long long)line);
  if (column != NULL)
    snprintf(where + strlen(where), sizeof where - strlen(where),
             "%s column '%.100s'", line > 0 ? "," : "", column);
  snprintf(out, outlen, "%.200s%s: %s", path, where, message);
}

int dusk_partial_encode(dusk_slice ranges, dusk_slice payload,
                        dusk_buf *out) {
  msgpack_packer pk;
  int rc = 0;
  msgpack_packer_init(&pk, out, buf_write);
  rc |= msgpack_pack_array(&pk, 2);
  rc |= msgpack_pack_bin_with_body(&pk, ranges.ptr, ranges.len);
  rc |= msgpack_pack_bin_with_body(&pk, payload.ptr, payload.len);
  return rc == 0 ? 0 : DUSK_ENOMEM;
}

int dusk_partial_decode(dusk_slice bytes, dusk_slice *ranges,
                        dusk_slice *payload, dusk_error *err) {
  msgpack_zone zone;
  msgpack_object obj;
  int rc;
  if (!msgpack_zone_init(&zone, 256))
    return dusk_error_set(err, DUSK_ENOMEM, "out of memory");
  if ((rc = unpack(bytes, &zone, &obj, "partial result", err)) == 0) {
    if (obj.type != MSGPACK_OBJECT_ARRAY || obj.via.array.size != 2 ||
        obj.via.array.ptr[0].type != MSGPACK_OBJECT_BIN ||
        obj.via.array.ptr[1].type != MSGPACK_OBJECT_BIN) {
      rc = dusk_error_set(err, DUSK_ETYPE,
                          "partial result: expected [bin, bin]");
    } else {
      ranges->ptr = obj.via.array.ptr[0].via.bin.ptr;
      ranges->len = obj.via.array.ptr[0].via.bin.size;
      payload->ptr = obj.via.array.ptr[1].via.bin.ptr;
      payload->len = obj.via.array.ptr[1].via.bin.size;
    }
  }
  msgpack_zone_destroy(&zone);
  return rc;
}
