/* check_csvscan.c - the CSV range scanner and the header reader.
 *
 * Every test file is scanned whole, then split in two at every byte with
 * the true quote state at the split, then in three at random points: the
 * rows, concatenated in range order, must equal the whole-file rows, and
 * each range must report the parity of the quotes it covers.  One case per
 * kind of malformed input.  Rows are rendered to a canonical text
 * ("i<int>;", "f<%.17g>;", "b<0|1>;", "s<len>:<bytes>;", "N;" for null)
 * so whole results compare with memcmp. */
#include "csvscan.h"

#include "buf.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- temporary files ----------------------------------------------------- */

static char tmpdir[PATH_MAX];
static char paths[32][PATH_MAX + 64];
static size_t npaths;

static void setup(void) {
  const char *base = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/check_csvscan.XXXXXX",
           base && *base ? base : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
  npaths = 0;
}

static void teardown(void) {
  for (size_t i = 0; i < npaths; i++)
    unlink(paths[i]);
  rmdir(tmpdir);
}

/* Writes len bytes to <tmpdir>/<name>; the path lives until teardown. */
static const char *write_file(const char *name, const void *data, size_t len) {
  char *path;
  FILE *f;
  ck_assert_uint_lt(npaths, sizeof paths / sizeof paths[0]);
  path = paths[npaths++];
  snprintf(path, sizeof paths[0], "%s/%s", tmpdir, name);
  f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  if (len > 0)
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

/* ---- collecting batches -------------------------------------------------- */

typedef struct collect {
  dusk_buf out; /* rendered rows */
  uint64_t rows;
  size_t batches;
  size_t max_rows;   /* largest batch seen */
  size_t stop_after; /* return 1 after this many batches (0: never) */
  int fail_rc;       /* return this (negative) from the first batch */
  int bad_first_row; /* a batch's first_row was not the running count */
} collect;

static void collect_init(collect *c) {
  memset(c, 0, sizeof *c);
  dusk_buf_init(&c->out);
}

static void collect_destroy(collect *c) { dusk_buf_destroy(&c->out); }

/* The helpers below run per value: they test with `if` and abort only on
 * failure, because every ck_assert costs a write to Check's pipe. */
static void append(dusk_buf *o, const void *p, size_t n) {
  if (dusk_buf_append(o, p, n) != 0)
    ck_abort_msg("out of memory");
}

static void put(dusk_buf *o, const char *s) { append(o, s, strlen(s)); }

static void render_row(dusk_buf *o, const dusk_batch *b, size_t r) {
  char tmp[64];
  for (size_t c = 0; c < b->ncols; c++) {
    const dusk_column *col = &b->cols[c];
    if (!col->valid[r]) {
      put(o, "N;");
      continue;
    }
    switch (col->type) {
    case DUSK_TYPE_BOOL:
      snprintf(tmp, sizeof tmp, "b%d;", col->b[r] ? 1 : 0);
      put(o, tmp);
      break;
    case DUSK_TYPE_INT64:
      snprintf(tmp, sizeof tmp, "i%" PRId64 ";", col->i64[r]);
      put(o, tmp);
      break;
    case DUSK_TYPE_FLOAT64:
      snprintf(tmp, sizeof tmp, "f%.17g;", col->f64[r]);
      put(o, tmp);
      break;
    case DUSK_TYPE_STRING:
      if ((size_t)col->str_off[r] + col->str_len[r] > b->arena_len)
        ck_abort_msg("string outside the arena");
      snprintf(tmp, sizeof tmp, "s%" PRIu32 ":", col->str_len[r]);
      put(o, tmp);
      append(o, b->arena + col->str_off[r], col->str_len[r]);
      put(o, ";");
      break;
    default:
      ck_abort_msg("unexpected column type");
    }
  }
  put(o, "\n");
}

static int collect_fn(void *arg, dusk_batch *b) {
  collect *c = arg;
  if (b->nrows == 0 || b->nrows > b->cap)
    ck_abort_msg("batch of %zu rows (cap %zu)", b->nrows, b->cap);
  if (b->first_row != c->rows)
    c->bad_first_row = 1;
  for (size_t r = 0; r < b->nrows; r++)
    render_row(&c->out, b, r);
  c->rows += b->nrows;
  c->batches++;
  if (b->nrows > c->max_rows)
    c->max_rows = b->nrows;
  if (c->fail_rc < 0)
    return c->fail_rc;
  if (c->stop_after > 0 && c->batches >= c->stop_after)
    return 1;
  return 0;
}

/* ---- test files ------------------------------------------------------------
 */

/* A CSV file, its schema (every file column mapped in order) and the rows
 * the whole file must give. */
typedef struct csvfile {
  const char *name;
  const char *content;
  size_t len; /* 0: strlen(content) */
  size_t ncols;
  dusk_type types[4];
  const char *expect;
} csvfile;

#define I DUSK_TYPE_INT64
#define F DUSK_TYPE_FLOAT64
#define S DUSK_TYPE_STRING
#define B DUSK_TYPE_BOOL

static const csvfile files[] = {
    {"plain.csv",
     "id,name,score\n1,alice,2.5\n2,bob,-3\n3,carol,1e3\n   4,dave,.5\n",
     0,
     3,
     {I, S, F},
     "i1;s5:alice;f2.5;\ni2;s3:bob;f-3;\ni3;s5:carol;f1000;\ni4;s4:dave;f0.5;"
     "\n"},
    /* commas, doubled quotes and newlines inside quotes, a quoted newline
     * at the start, middle and end of a field, a quoted int */
    {"quoted.csv",
     "id,text,val\n"
     "1,\"hello, world\",1.5\n"
     "2,\"she said \"\"hi\"\"\",2\n"
     "3,\"line1\nline2\",3\n"
     "4,\"\n\",4\n"
     "5,\"\"\"\",5\n"
     "6,\"a\"\"\n\"\"b\",6\n"
     "7,\"\",7\n"
     "8,\"x\n\ny,\n\",8\n"
     "\"9\",\"\n,\"\"\n\",9\n",
     0,
     3,
     {I, S, F},
     "i1;s12:hello, world;f1.5;\n"
     "i2;s13:she said \"hi\";f2;\n"
     "i3;s11:line1\nline2;f3;\n"
     "i4;s1:\n;f4;\n"
     "i5;s1:\";f5;\n"
     "i6;s5:a\"\n\"b;f6;\n"
     "i7;N;f7;\n"
     "i8;s6:x\n\ny,\n;f8;\n"
     "i9;s4:\n,\"\n;f9;\n"},
    /* CRLF, a quoted CRLF, a blank CRLF line */
    {"crlf.csv",
     "a,b\r\n1,\"x\r\ny\"\r\n2,plain\r\n\r\n3,\"q\"\"\r\n\"\r\n",
     0,
     2,
     {I, S},
     "i1;s4:x\r\ny;\ni2;s5:plain;\ni3;s4:q\"\r\n;\n"},
    /* no newline after the last record, which is quoted */
    {"notrail.csv",
     "a,s\n1,x\n2,\"y\nz\"",
     0,
     2,
     {I, S},
     "i1;s1:x;\ni2;s3:y\nz;\n"},
    {"notrail2.csv", "a,b\n1,2\n3,4", 0, 2, {I, I}, "i1;i2;\ni3;i4;\n"},
    /* bare CR line ends (pandas reads them), one inside quotes */
    {"cr.csv",
     "a,b\r1,x\r2,\"y\rz\"\r",
     0,
     2,
     {I, S},
     "i1;s1:x;\ni2;s3:y\rz;\n"},
    /* a UTF-8 BOM and a quoted header name */
    {"bom.csv",
     "\xEF\xBB\xBF\"id\",v\n1,\"\xC3\xA9t\xC3\xA9\"\n2,x\n",
     0,
     2,
     {I, S},
     "i1;s5:\xC3\xA9t\xC3\xA9;\ni2;s1:x;\n"},
    /* empty fields, NA strings (pandas 1.5: "None" and " NA" are not NA),
     * blank lines and lines of only whitespace (skipped) */
    {"na.csv",
     "a,b,c\n,,\nNA,nan,NULL\n1,\"\",x\n\n   \n\t\n2,None,n/a\n3, NA,#N/A\n",
     0,
     3,
     {I, S, S},
     "N;N;N;\nN;N;N;\ni1;N;s1:x;\ni2;s4:None;N;\ni3;s3: NA;N;\n"},
    /* bools any case, nulls; spaces around ints; a leading-space record */
    {"bool.csv",
     "flag,n\nTrue,1\nfalse, 2\nTRUE,\n,3\nfAlSe,4\n",
     0,
     2,
     {B, I},
     "b1;i1;\nb0;i2;\nb1;N;\nN;i3;\nb0;i4;\n"},
};
#define NFILES (sizeof files / sizeof files[0])

#undef I
#undef F
#undef S
#undef B

typedef struct loaded {
  const csvfile *f;
  const char *path;
  const char *data;
  size_t size;
  uint64_t data_start;
  int col_map[4];
} loaded;

static loaded load(const csvfile *f) {
  loaded l;
  char **names;
  size_t n;
  dusk_error err;
  int rc;

  memset(&l, 0, sizeof l);
  l.f = f;
  l.data = f->content;
  l.size = f->len ? f->len : strlen(f->content);
  l.path = write_file(f->name, l.data, l.size);
  rc = dusk_csv_read_header(l.path, ',', &names, &n, &l.data_start, &err);
  ck_assert_msg(rc == 0, "%s: %s", f->name, err.message);
  ck_assert_uint_eq(n, f->ncols);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  for (size_t i = 0; i < f->ncols; i++)
    l.col_map[i] = (int)i;
  return l;
}

static int quotes_in(const char *p, uint64_t from, uint64_t to) {
  int q = 0;
  for (uint64_t i = from; i < to; i++)
    q ^= p[i] == '"';
  return q;
}

static dusk_csvscan_options options(const loaded *l, uint64_t start,
                                    uint64_t end, bool inq, size_t batch_rows) {
  dusk_csvscan_options o;
  memset(&o, 0, sizeof o);
  o.path = l->path;
  o.sep = ',';
  o.start = start;
  o.end = end;
  o.start_in_quotes = inq;
  o.data_start = l->data_start;
  o.ncols_file = l->f->ncols;
  o.col_map = l->col_map;
  o.types = l->f->types;
  o.nout = l->f->ncols;
  o.batch_rows = batch_rows;
  o.max_field = 1 << 20;
  return o;
}

/* Scans [start, end) into c (appending); checks the range's parity and
 * batch ordinals, returns the scan's code. */
static int scan_range(const loaded *l, uint64_t start, uint64_t end, bool inq,
                      size_t batch_rows, collect *c, dusk_error *err) {
  dusk_csvscan_options o = options(l, start, end, inq, batch_rows);
  dusk_csvscan_stats st;
  uint64_t before = c->rows;
  uint64_t pend = end < l->size ? end : l->size;
  int rc;

  c->rows = 0; /* first_row is per range */
  rc = dusk_csvscan_run(&o, collect_fn, c, &st, err);
  if (st.rows != c->rows || c->bad_first_row)
    ck_abort_msg("%s [%" PRIu64 ",%" PRIu64 "): rows %" PRIu64 " vs %" PRIu64
                 ", first_row %s",
                 l->f->name, start, end, st.rows, c->rows,
                 c->bad_first_row ? "wrong" : "ok");
  c->rows += before;
  if (rc == 0 &&
      st.quote_parity != (start < pend ? quotes_in(l->data, start, pend) : 0))
    ck_abort_msg("%s [%" PRIu64 ",%" PRIu64 ") parity %d", l->f->name, start,
                 end, st.quote_parity);
  return rc;
}

static void assert_rows(const collect *c, const char *expect, const char *what,
                        const char *name, uint64_t p, uint64_t q) {
  size_t n = strlen(expect), d = 0, from;
  if (c->out.len == n && memcmp(c->out.data, expect, n) == 0)
    return;
  while (d < n && d < c->out.len && c->out.data[d] == expect[d])
    d++;
  from = d > 40 ? d - 40 : 0;
  ck_abort_msg("%s: %s at %" PRIu64 ",%" PRIu64 ": %zu bytes, want %zu; "
               "first difference at %zu: got\n%.*s\nwant\n%.*s",
               name, what, p, q, c->out.len, n, d,
               (int)(c->out.len - from < 120 ? c->out.len - from : 120),
               c->out.data ? c->out.data + from : "",
               (int)(n - from < 120 ? n - from : 120), expect + from);
}

/* ---- whole files and every split --------------------------------------------
 */

START_TEST(test_whole_file) {
  const csvfile *f = &files[_i];
  loaded l = load(f);
  static const size_t batch_sizes[] = {1, 2, 3, 16384};
  for (size_t k = 0; k < sizeof batch_sizes / sizeof batch_sizes[0]; k++) {
    collect c;
    dusk_error err;
    int rc;
    collect_init(&c);
    rc = scan_range(&l, 0, l.size, false, batch_sizes[k], &c, &err);
    ck_assert_msg(rc == 0, "%s: %s", f->name, err.message);
    assert_rows(&c, f->expect, "whole", f->name, 0, l.size);
    ck_assert_uint_le(c.max_rows, batch_sizes[k]);
    if (batch_sizes[k] == 1)
      ck_assert_uint_eq(c.batches, c.rows);
    collect_destroy(&c);

    /* An end past the file size, and a start inside the header. */
    collect_init(&c);
    rc = scan_range(&l, l.data_start > 0 ? 1 : 0, l.size + 1000, false,
                    batch_sizes[k], &c, &err);
    ck_assert_msg(rc == 0, "%s: %s", f->name, err.message);
    assert_rows(&c, f->expect, "whole", f->name, 1, l.size + 1000);
    collect_destroy(&c);
  }
}
END_TEST

START_TEST(test_every_split) {
  const csvfile *f = &files[_i];
  loaded l = load(f);
  for (uint64_t p = 1; p < l.size; p++) {
    collect c;
    dusk_error err;
    int rc;
    collect_init(&c);
    rc = scan_range(&l, 0, p, false, 3, &c, &err);
    ck_assert_msg(rc == 0, "%s [0,%" PRIu64 "): %s", f->name, p, err.message);
    rc = scan_range(&l, p, p % 2 ? l.size : l.size + 7, quotes_in(l.data, 0, p),
                    3, &c, &err);
    ck_assert_msg(rc == 0, "%s [%" PRIu64 ",end): %s", f->name, p, err.message);
    assert_rows(&c, f->expect, "split", f->name, p, p);
    collect_destroy(&c);
  }
}
END_TEST

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

START_TEST(test_three_way_splits) {
  const csvfile *f = &files[_i];
  loaded l = load(f);
  rng_state = 0x9E3779B97F4A7C15ull + (uint64_t)_i;
  for (int t = 0; t < 300; t++) {
    uint64_t a = 1 + rng() % (l.size - 1), b = 1 + rng() % (l.size - 1);
    collect c;
    dusk_error err;
    if (a > b) {
      uint64_t x = a;
      a = b;
      b = x;
    }
    collect_init(&c);
    ck_assert_int_eq(scan_range(&l, 0, a, false, 2, &c, &err), 0);
    ck_assert_msg(scan_range(&l, a, b, quotes_in(l.data, 0, a), 2, &c, &err) ==
                      0,
                  "%s", err.message);
    ck_assert_msg(
        scan_range(&l, b, l.size, quotes_in(l.data, 0, b), 2, &c, &err) == 0,
        "%s", err.message);
    assert_rows(&c, f->expect, "3-way", f->name, a, b);
    collect_destroy(&c);
  }
}
END_TEST

/* ---- wrong quote guesses
 * ----------------------------------------------------- */

/* A range that starts inside a quoted field but is told it is not (or the
 * reverse) reads the wrong records: it sees a quoted newline as a record
 * end, or a real record end as quoted.  The scan cannot tell on its own;
 * it reports its parity so the scheduler can check each guess against the
 * XOR of the earlier ranges' parities and rerun the ranges it got wrong. */
START_TEST(test_wrong_guess_differs) {
  const csvfile *f = &files[1]; /* quoted.csv */
  loaded l = load(f);
  size_t differ = 0, errors = 0;
  const char *line2 = strstr(l.data, "line2");
  uint64_t p2 = (uint64_t)(line2 - l.data);
  collect c;
  dusk_error err;
  int rc;

  for (uint64_t p = 1; p < l.size; p++) {
    bool truth = quotes_in(l.data, 0, p);
    collect_init(&c);
    ck_assert_int_eq(scan_range(&l, 0, p, false, 3, &c, &err), 0);
    rc = scan_range(&l, p, l.size, !truth, 3, &c, &err);
    if (rc != 0) {
      ck_assert(rc == DUSK_EPARSE || rc == DUSK_EWIDEN);
      errors++;
    } else if (c.out.len != strlen(f->expect) ||
               memcmp(c.out.data, f->expect, c.out.len) != 0) {
      differ++;
    }
    collect_destroy(&c);
  }
  ck_assert_uint_gt(differ + errors, 0);

  /* Right after the quoted newline in "line1\nline2": the wrong guess
   * (outside quotes) takes `line2",3` as a record, whose quote libcsv
   * rejects. */
  ck_assert_int_eq(quotes_in(l.data, 0, p2), 1);
  collect_init(&c);
  rc = scan_range(&l, p2, l.size, false, 3, &c, &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "RFC 4180"));
  collect_destroy(&c);
  /* The right guess reads from record 4 on. */
  collect_init(&c);
  ck_assert_int_eq(scan_range(&l, p2, l.size, true, 3, &c, &err), 0);
  ck_assert_int_eq(memcmp(c.out.data, "i4;", 3), 0);
  collect_destroy(&c);
}
END_TEST

START_TEST(test_wrong_guess_parity_still_exact) {
  /* Even a scan that fails on a wrong guess reports the parity of its
   * range, so the scheduler can find the right guess without rerunning. */
  loaded l = load(&files[1]);
  const char *line2 = strstr(l.data, "line2");
  uint64_t p2 = (uint64_t)(line2 - l.data);
  dusk_csvscan_options o = options(&l, p2, l.size, false, 3);
  dusk_csvscan_stats st;
  dusk_error err;
  collect c;
  collect_init(&c);
  ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err),
                   DUSK_EPARSE);
  ck_assert_int_eq(st.quote_parity, quotes_in(l.data, p2, l.size));
  collect_destroy(&c);
}
END_TEST

/* ---- a file larger than the read buffer
 * --------------------------------------- */

static const char *const words[] = {"alpha", "b", "gamma delta",
                                    "\xC3\xA9t\xC3\xA9", "z"};

/* Appends one generated row to csv and its rendering to expect. */
static void gen_row(dusk_buf *csv, dusk_buf *expect, uint64_t id) {
  char tmp[128];
  uint64_t r = rng();
  const char *eol = (r & 7) == 0 ? "\r\n" : "\n";

  /* id, sometimes with spaces in front (a leading-whitespace record) */
  snprintf(tmp, sizeof tmp, "%s%" PRIu64 ",", (r >> 3) % 5 == 0 ? "   " : "",
           id);
  put(csv, tmp);
  snprintf(tmp, sizeof tmp, "i%" PRIu64 ";", id);
  put(expect, tmp);

  /* text: plain, quoted with separators, empty (null), or long */
  switch ((r >> 6) % 6) {
  case 0: {
    const char *w = words[(r >> 9) % 5];
    put(csv, w);
    snprintf(tmp, sizeof tmp, "s%zu:%s;", strlen(w), w);
    put(expect, tmp);
    break;
  }
  case 1:
    put(csv, "\"a,b\"\"c\nd\r\ne\"");
    put(expect, "s10:a,b\"c\nd\r\ne;");
    break;
  case 2:
    put(csv, "");
    put(expect, "N;");
    break;
  case 3:
    put(csv, "\"\"");
    put(expect, "N;");
    break;
  case 4: {
    size_t n = 1 + (r >> 12) % 3000;
    put(csv, "\"");
    snprintf(tmp, sizeof tmp, "s%zu:", n);
    put(expect, tmp);
    for (size_t i = 0; i < n; i++) {
      char ch = "xy\n,\""[(i * 7 + id) % 5];
      if (ch == '"')
        put(csv, "\"\"");
      else
        append(csv, &ch, 1);
      append(expect, &ch, 1);
    }
    put(csv, "\"");
    put(expect, ";");
    break;
  }
  default:
    put(csv, "NA");
    put(expect, "N;");
    break;
  }

  /* x: a float, an int, or null */
  put(csv, ",");
  switch ((r >> 20) % 3) {
  case 0: {
    double v = (double)(int64_t)(rng() % 2000001 - 1000000) / 64.0;
    snprintf(tmp, sizeof tmp, "%.17g", v);
    put(csv, tmp);
    snprintf(tmp, sizeof tmp, "f%.17g;", v);
    put(expect, tmp);
    break;
  }
  case 1:
    snprintf(tmp, sizeof tmp, "%d", (int)(r >> 24) % 1000);
    put(csv, tmp);
    snprintf(tmp, sizeof tmp, "f%d;", (int)(r >> 24) % 1000);
    put(expect, tmp);
    break;
  default:
    put(expect, "N;");
    break;
  }
  put(csv, eol);
  put(expect, "\n");
  /* now and then a blank or whitespace-only line */
  if ((r >> 40) % 17 == 0)
    put(csv, (r >> 45) % 2 ? "\n" : " \t \n");
}

START_TEST(test_large_file_splits) {
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                    DUSK_TYPE_FLOAT64};
  csvfile f;
  dusk_buf csv, expect;
  loaded l;
  uint64_t id = 0;
  const uint64_t chunk = 1u << 20;

  rng_state = 12345;
  dusk_buf_init(&csv);
  dusk_buf_init(&expect);
  put(&csv, "id,text,x\n");
  while (csv.len < chunk + chunk / 3)
    gen_row(&csv, &expect, id++);
  put(&expect, ""); /* NUL-free; compare by length */
  append(&expect, "", 1);

  memset(&f, 0, sizeof f);
  f.name = "large.csv";
  f.content = csv.data;
  f.len = csv.len;
  f.ncols = 3;
  memcpy(f.types, types, sizeof types);
  f.expect = expect.data;
  l = load(&f);

  {
    uint64_t points[40];
    size_t np = 0;
    /* around the read buffer's edge, where records, quoted fields and
     * leading whitespace cross it */
    for (int d = -3; d <= 3; d++)
      points[np++] = chunk + (uint64_t)(int64_t)d;
    points[np++] = chunk / 2;
    while (np < 20)
      points[np++] = 1 + rng() % (l.size - 1);
    for (size_t k = 0; k < np; k++) {
      collect c;
      dusk_error err;
      uint64_t p = points[k];
      collect_init(&c);
      ck_assert_int_eq(scan_range(&l, 0, p, false, 1000, &c, &err), 0);
      ck_assert_msg(scan_range(&l, p, l.size, quotes_in(l.data, 0, p), 777, &c,
                               &err) == 0,
                    "%s", err.message);
      assert_rows(&c, f.expect, "large split", f.name, p, p);
      collect_destroy(&c);
    }
    for (int t = 0; t < 5; t++) {
      collect c;
      dusk_error err;
      uint64_t a = 1 + rng() % (l.size - 1), b = 1 + rng() % (l.size - 1);
      if (a > b) {
        uint64_t x = a;
        a = b;
        b = x;
      }
      collect_init(&c);
      ck_assert_int_eq(scan_range(&l, 0, a, false, 16384, &c, &err), 0);
      ck_assert_int_eq(
          scan_range(&l, a, b, quotes_in(l.data, 0, a), 16384, &c, &err), 0);
      ck_assert_int_eq(
          scan_range(&l, b, l.size, quotes_in(l.data, 0, b), 16384, &c, &err),
          0);
      assert_rows(&c, f.expect, "large 3-way", f.name, a, b);
      collect_destroy(&c);
    }
  }
  {
    /* Stopping early in a range larger than the read buffer leaves its
     * parity unknown: -1, not a guess. */
    dusk_csvscan_options o = options(&l, 0, l.size, false, 10);
    dusk_csvscan_stats st;
    dusk_error err;
    collect c;
    collect_init(&c);
    c.stop_after = 1;
    ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err), 0);
    ck_assert_uint_eq(st.rows, 10);
    ck_assert_int_eq(st.quote_parity, -1);
    collect_destroy(&c);
  }
  dusk_buf_destroy(&csv);
  dusk_buf_destroy(&expect);
}
END_TEST

/* ---- single scans of special files
 * ------------------------------------------------ */

/* Scans a whole file with one type per column (all mapped). */
static int scan_whole(const char *name, const char *content, size_t len,
                      size_t ncols, const dusk_type *types, size_t max_field,
                      collect *c, dusk_csvscan_stats *st, dusk_error *err) {
  csvfile f;
  loaded l;
  dusk_csvscan_options o;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.content = content;
  f.len = len ? len : strlen(content);
  f.ncols = ncols;
  memcpy(f.types, types, ncols * sizeof *types);
  l = load(&f);
  o = options(&l, 0, l.size, false, 4);
  o.max_field = max_field;
  return dusk_csvscan_run(&o, collect_fn, c, st, err);
}

static const dusk_type t_is[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
static const dusk_type t_ii[] = {DUSK_TYPE_INT64, DUSK_TYPE_INT64};

START_TEST(test_ragged_rows) {
  collect c;
  dusk_csvscan_stats st;
  dusk_error err;
  int rc;

  collect_init(&c);
  rc = scan_whole("short.csv", "a,b\n1,2\n3\n4,5\n", 0, 2, t_ii, 100, &c, &st,
                  &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "short.csv"));
  ck_assert_ptr_nonnull(strstr(err.message, "offset 8"));
  ck_assert_ptr_nonnull(strstr(err.message, "1 fields, expected 2"));
  collect_destroy(&c);

  collect_init(&c);
  rc = scan_whole("long.csv", "a,b\n1,2\n3,4\n5,6,7\n", 0, 2, t_ii, 100, &c,
                  &st, &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "offset 12"));
  ck_assert_ptr_nonnull(strstr(err.message, "3 fields, expected 2"));
  collect_destroy(&c);

  /* a ragged last record without a newline */
  collect_init(&c);
  rc = scan_whole("lastshort.csv", "a,b\n1,2\n3", 0, 2, t_ii, 100, &c, &st,
                  &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "offset 8"));
  collect_destroy(&c);
}
END_TEST

START_TEST(test_type_conflicts) {
  collect c;
  dusk_csvscan_stats st;
  dusk_error err;
  int rc;
  static const dusk_type t_fs[] = {DUSK_TYPE_FLOAT64, DUSK_TYPE_STRING};
  static const dusk_type t_bs[] = {DUSK_TYPE_BOOL, DUSK_TYPE_STRING};

  /* an int column meets "3.5" late: float64 holds both */
  collect_init(&c);
  rc = scan_whole("late_float.csv", "a,b\n1,x\n2,y\n3.5,z\n4,w\n", 0, 2, t_is,
                  100, &c, &st, &err);
  ck_assert_int_eq(rc, DUSK_EWIDEN);
  ck_assert_uint_eq(st.conflict.column, 0);
  ck_assert_int_eq(st.conflict.widened, DUSK_TYPE_FLOAT64);
  ck_assert_uint_eq(st.conflict.offset, 12);
  ck_assert_str_eq(st.conflict.value, "3.5");
  ck_assert_ptr_nonnull(strstr(err.message, "late_float.csv"));
  ck_assert_ptr_nonnull(strstr(err.message, "offset 12"));
  /* the parity is still reported (the scheduler reruns with float64) */
  ck_assert_int_eq(st.quote_parity, 0);
  collect_destroy(&c);

  /* "abc" in an int column: only string holds both */
  collect_init(&c);
  rc = scan_whole("late_str.csv", "a,b\n1,x\n\"abc\",y\n", 0, 2, t_is, 100, &c,
                  &st, &err);
  ck_assert_int_eq(rc, DUSK_EWIDEN);
  ck_assert_int_eq(st.conflict.widened, DUSK_TYPE_STRING);
  ck_assert_uint_eq(st.conflict.offset, 8);
  ck_assert_str_eq(st.conflict.value, "abc");
  ck_assert_int_eq(st.quote_parity, 0);
  collect_destroy(&c);

  /* an int past int64 in an int column: float64 */
  collect_init(&c);
  rc = scan_whole("big.csv", "a,b\n9223372036854775808,x\n", 0, 2, t_is, 100,
                  &c, &st, &err);
  ck_assert_int_eq(rc, DUSK_EWIDEN);
  ck_assert_int_eq(st.conflict.widened, DUSK_TYPE_FLOAT64);
  collect_destroy(&c);

  /* float column with a word; bool column with 1 */
  collect_init(&c);
  rc = scan_whole("f_word.csv", "a,b\n1.5,x\nhello,y\n", 0, 2, t_fs, 100, &c,
                  &st, &err);
  ck_assert_int_eq(rc, DUSK_EWIDEN);
  ck_assert_int_eq(st.conflict.widened, DUSK_TYPE_STRING);
  ck_assert_str_eq(st.conflict.value, "hello");
  collect_destroy(&c);
  collect_init(&c);
  rc = scan_whole("b_int.csv", "a,b\nTrue,x\n1,y\n", 0, 2, t_bs, 100, &c, &st,
                  &err);
  ck_assert_int_eq(rc, DUSK_EWIDEN);
  ck_assert_int_eq(st.conflict.widened, DUSK_TYPE_STRING);
  collect_destroy(&c);

  /* a long value is truncated (at a character boundary) */
  {
    char content[600];
    size_t n = (size_t)snprintf(content, sizeof content, "a,b\n1,x\n");
    for (int i = 0; i < 200; i++)
      n += (size_t)snprintf(content + n, sizeof content - n, "\xC3\xA9");
    n += (size_t)snprintf(content + n, sizeof content - n, ",y\n");
    collect_init(&c);
    rc = scan_whole("long_value.csv", content, n, 2, t_is, 1000, &c, &st, &err);
    ck_assert_int_eq(rc, DUSK_EWIDEN);
    ck_assert_uint_eq(strlen(st.conflict.value), 126);
    collect_destroy(&c);
  }
}
END_TEST

START_TEST(test_batches_and_early_stop) {
  loaded l = load(&files[1]);
  dusk_csvscan_options o = options(&l, 0, l.size, false, 2);
  dusk_csvscan_stats st;
  dusk_error err;
  collect c;
  int rc;

  /* stop after the first batch: 0, two rows; the small file was read in
   * one buffer, so the parity is known (see the large file for -1) */
  collect_init(&c);
  c.stop_after = 1;
  rc = dusk_csvscan_run(&o, collect_fn, &c, &st, &err);
  ck_assert_int_eq(rc, 0);
  ck_assert_uint_eq(c.rows, 2);
  ck_assert_uint_eq(st.rows, 2);
  ck_assert_int_eq(st.quote_parity, quotes_in(l.data, 0, l.size));
  collect_destroy(&c);

  /* a failing consumer's code comes back */
  collect_init(&c);
  c.fail_rc = DUSK_ETASK;
  rc = dusk_csvscan_run(&o, collect_fn, &c, &st, &err);
  ck_assert_int_eq(rc, DUSK_ETASK);
  ck_assert_uint_eq(c.batches, 1);
  collect_destroy(&c);

  /* batch_rows 1 and 3: counts and ordinals */
  for (size_t br = 1; br <= 3; br += 2) {
    o.batch_rows = br;
    collect_init(&c);
    rc = dusk_csvscan_run(&o, collect_fn, &c, &st, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(c.rows, 9);
    ck_assert_uint_eq(c.batches, (9 + br - 1) / br);
    ck_assert_uint_gt(st.bytes, 0);
    collect_destroy(&c);
  }
}
END_TEST

START_TEST(test_cancel) {
  loaded l = load(&files[1]);
  dusk_csvscan_options o = options(&l, 0, l.size, false, 2);
  dusk_csvscan_stats st;
  dusk_error err;
  volatile int canceled = 1;
  collect c;
  collect_init(&c);
  o.canceled = &canceled;
  ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err),
                   DUSK_ECANCELED);
  ck_assert_uint_eq(c.rows, 0);
  collect_destroy(&c);
}
END_TEST

START_TEST(test_field_too_long) {
  collect c;
  dusk_csvscan_stats st;
  dusk_error err;
  int rc;

  /* unquoted: 5 bytes fit max_field 5, 6 do not */
  collect_init(&c);
  rc = scan_whole("five.csv", "a,b\n1,abcde\n", 0, 2, t_is, 5, &c, &st, &err);
  ck_assert_int_eq(rc, 0);
  collect_destroy(&c);
  collect_init(&c);
  rc = scan_whole("six.csv", "a,b\n1,abcdef\n", 0, 2, t_is, 5, &c, &st, &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "max_field"));
  ck_assert_ptr_nonnull(strstr(err.message, "offset 4"));
  collect_destroy(&c);
  /* quoted, with a doubled quote: 5 bytes once unquoted */
  collect_init(&c);
  rc = scan_whole("q5.csv", "a,b\n1,\"ab\"\"de\"\n", 0, 2, t_is, 5, &c, &st,
                  &err);
  ck_assert_int_eq(rc, 0);
  collect_destroy(&c);
  collect_init(&c);
  rc = scan_whole("q6.csv", "a,b\n1,\"ab\"\"def\"\n", 0, 2, t_is, 5, &c, &st,
                  &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  collect_destroy(&c);
  /* leading whitespace counts too */
  collect_init(&c);
  rc = scan_whole("ws.csv", "a,b\n      1,x\n", 0, 2, t_is, 5, &c, &st, &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "max_field"));
  collect_destroy(&c);
  /* a whitespace-only line longer than max_field is still a blank line */
  collect_init(&c);
  rc = scan_whole("wsline.csv", "a,b\n          \n1,x\n", 0, 2, t_is, 5, &c,
                  &st, &err);
  ck_assert_int_eq(rc, 0);
  ck_assert_uint_eq(c.rows, 1);
  collect_destroy(&c);
}
END_TEST

START_TEST(test_runaway_quote) {
  /* An unterminated quoted field of 4 MiB with max_field 64 KiB: an error
   * after max_field bytes, not a 4 MiB buffer. */
  size_t n = 4u << 20;
  char *content = malloc(n);
  collect c;
  dusk_csvscan_stats st;
  dusk_error err;
  int rc;
  ck_assert_ptr_nonnull(content);
  memcpy(content, "a,b\n1,\"", 7);
  for (size_t i = 7; i < n; i++)
    content[i] = (i % 80) ? 'x' : '\n';
  collect_init(&c);
  rc = scan_whole("runaway.csv", content, n, 2, t_is, 64 * 1024, &c, &st, &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "max_field"));
  ck_assert_ptr_nonnull(strstr(err.message, "offset 4"));
  ck_assert_int_eq(st.quote_parity, 1);
  collect_destroy(&c);
  free(content);
}
END_TEST

START_TEST(test_field_across_buffers) {
  /* A 1.5 MiB quoted field with newlines and doubled quotes crosses the
   * read buffer; with max_field 2 MiB it reads whole. */
  size_t flen = (3u << 20) / 2, n = 0;
  char *content = malloc(flen * 2 + 64);
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  collect c;
  dusk_csvscan_stats st;
  dusk_error err;
  size_t quotes = 0;
  int rc;
  ck_assert_ptr_nonnull(content);
  n += (size_t)sprintf(content, "a,b\n1,\"");
  for (size_t i = 0; i < flen; i++) {
    char ch = (i % 1000 == 999) ? '"' : (i % 100 == 99) ? '\n' : 'k';
    if (ch == '"') {
      content[n++] = '"';
      quotes++;
    }
    content[n++] = ch;
  }
  n += (size_t)sprintf(content + n, "\"\n2,x\n");
  collect_init(&c);
  rc =
      scan_whole("bigfield.csv", content, n, 2, types, 2u << 20, &c, &st, &err);
  ck_assert_msg(rc == 0, "%s", err.message);
  ck_assert_uint_eq(c.rows, 2);
  {
    char head[32];
    snprintf(head, sizeof head, "i1;s%zu:", flen);
    ck_assert_int_eq(memcmp(c.out.data, head, strlen(head)), 0);
  }
  collect_destroy(&c);
  (void)quotes;
  /* max_field 1 MiB: too long */
  collect_init(&c);
  rc = scan_whole("bigfield2.csv", content, n, 2, types, 1u << 20, &c, &st,
                  &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  collect_destroy(&c);
  free(content);
}
END_TEST

START_TEST(test_whitespace_across_buffers) {
  /* Leading spaces of a record, and a whitespace-only line, straddling the
   * 1 MiB read buffer's edge: held back, then fed (or dropped) intact. */
  const size_t chunk = 1u << 20;
  size_t cap = 2 * chunk + 64, n = 0, fill1, fill2;
  char *content = malloc(cap);
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  collect c;
  dusk_csvscan_stats st;
  dusk_error err;
  char head[64];
  int rc;
  ck_assert_ptr_nonnull(content);
  n += (size_t)sprintf(content, "a,b\n0,");
  fill1 = chunk - 2 - 1 - n; /* the record after it starts at chunk - 2 */
  memset(content + n, 'x', fill1);
  n += fill1;
  content[n++] = '\n';
  ck_assert_uint_eq(n, chunk - 2);
  n += (size_t)sprintf(content + n, "    7,y\n1,");
  fill2 = 2 * chunk - 3 - 1 - n; /* the blank line starts at 2 MiB - 3 */
  memset(content + n, 'w', fill2);
  n += fill2;
  content[n++] = '\n';
  n += (size_t)sprintf(content + n, " \t \t  \n8,z\n");
  collect_init(&c);
  rc = scan_whole("wsedge.csv", content, n, 2, types, 2u << 20, &c, &st, &err);
  ck_assert_msg(rc == 0, "%s", err.message);
  ck_assert_uint_eq(c.rows, 4);
  snprintf(head, sizeof head, "i0;s%zu:xxx", fill1);
  ck_assert_int_eq(memcmp(c.out.data, head, strlen(head)), 0);
  ck_assert_ptr_nonnull(memmem(c.out.data, c.out.len, "\ni7;s1:y;\ni1;", 13));
  ck_assert_int_eq(memcmp(c.out.data + c.out.len - 10, "\ni8;s1:z;\n", 10), 0);
  collect_destroy(&c);
  free(content);
}
END_TEST

START_TEST(test_unterminated_quote_at_eof) {
  collect c;
  dusk_csvscan_stats st;
  dusk_error err;
  int rc;
  collect_init(&c);
  rc = scan_whole("unterminated.csv", "a,b\n1,x\n2,\"abc\n3,y\n", 0, 2, t_is,
                  100, &c, &st, &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "not terminated"));
  ck_assert_ptr_nonnull(strstr(err.message, "offset 8"));
  collect_destroy(&c);
}
END_TEST

START_TEST(test_bad_quoting) {
  collect c;
  dusk_csvscan_stats st;
  dusk_error err;
  int rc;
  /* a quote inside an unquoted field (pandas reads it literally; parity
   * could not split such a file) */
  collect_init(&c);
  rc = scan_whole("stray.csv", "a,b\n1,5'10\"\n2,x\n", 0, 2, t_is, 100, &c, &st,
                  &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "offset 10"));
  ck_assert_ptr_nonnull(strstr(err.message, "RFC 4180"));
  collect_destroy(&c);
  /* text after a closing quote */
  collect_init(&c);
  rc = scan_whole("after.csv", "a,b\n1,\"x\"y\n", 0, 2, t_is, 100, &c, &st,
                  &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "offset 9"));
  collect_destroy(&c);
}
END_TEST

START_TEST(test_invalid_utf8) {
  static const char *const bad[] = {"\xff",
                                    "a\x80",
                                    "\xC0\x80" /* overlong */,
                                    "\xED\xA0\x80" /* surrogate */,
                                    "\xF4\x90\x80\x80" /* > 10FFFF */,
                                    "\xE2\x82" /* truncated */,
                                    "\xF0\x9F\x98"};
  static const char *const good[] = {"\xF0\x9F\x98\x80", "\xE2\x82\xAC",
                                     "\xC2\xA9",         "\xED\x9F\xBF",
                                     "\xF4\x8F\xBF\xBF", "plain ascii text"};
  collect c;
  dusk_csvscan_stats st;
  dusk_error err;
  char content[128];
  int rc;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t n = (size_t)snprintf(content, sizeof content,
                                "a,b\n1,ok\n2,\"%s\"\n", bad[i]);
    char name[32];
    snprintf(name, sizeof name, "bad%zu.csv", i);
    collect_init(&c);
    rc = scan_whole(name, content, n, 2, t_is, 100, &c, &st, &err);
    ck_assert_msg(rc == DUSK_EPARSE, "case %zu: %d", i, rc);
    ck_assert_ptr_nonnull(strstr(err.message, "UTF-8"));
    ck_assert_ptr_nonnull(strstr(err.message, "offset 9"));
    ck_assert_ptr_nonnull(strstr(err.message, "column 1"));
    collect_destroy(&c);
  }
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    size_t n =
        (size_t)snprintf(content, sizeof content, "a,b\n1,%s\n", good[i]);
    char name[32];
    snprintf(name, sizeof name, "good%zu.csv", i);
    collect_init(&c);
    rc = scan_whole(name, content, n, 2, t_is, 100, &c, &st, &err);
    ck_assert_msg(rc == 0, "case %zu: %s", i, err.message);
    collect_destroy(&c);
  }
}
END_TEST

START_TEST(test_column_skipping) {
  /* Only file column 2 (val) and 0 (id), in reverse order; column 1 holds
   * invalid UTF-8 and a ragged-free but unconvertible mess, never looked
   * at. */
  static const char content[] =
      "id,junk,val\n1,\xff\xfe,2.5\n2,\"a,\"\"b\",3\n3,,4\n";
  static const dusk_type types[] = {DUSK_TYPE_FLOAT64, DUSK_TYPE_INT64};
  static const int map[] = {1, -1, 0};
  const char *path = write_file("skip.csv", content, sizeof content - 1);
  char **names;
  size_t ncols;
  uint64_t ds;
  dusk_csvscan_options o;
  dusk_csvscan_stats st;
  dusk_error err;
  collect c;
  int rc;

  ck_assert_int_eq(dusk_csv_read_header(path, ',', &names, &ncols, &ds, &err),
                   0);
  for (size_t i = 0; i < ncols; i++)
    free(names[i]);
  free(names);
  memset(&o, 0, sizeof o);
  o.path = path;
  o.sep = ',';
  o.start = 0;
  o.end = sizeof content - 1;
  o.data_start = ds;
  o.ncols_file = 3;
  o.col_map = map;
  o.types = types;
  o.nout = 2;
  o.batch_rows = 2;
  o.max_field = 100;
  collect_init(&c);
  rc = dusk_csvscan_run(&o, collect_fn, &c, &st, &err);
  ck_assert_msg(rc == 0, "%s", err.message);
  ck_assert_int_eq(c.out.len, strlen("f2.5;i1;\nf3;i2;\nf4;i3;\n"));
  ck_assert_int_eq(memcmp(c.out.data, "f2.5;i1;\nf3;i2;\nf4;i3;\n", c.out.len),
                   0);
  collect_destroy(&c);

  /* a map naming an output twice, or leaving one out, is refused */
  {
    static const int twice[] = {0, -1, 0};
    static const int none[] = {0, -1, -1};
    o.col_map = twice;
    collect_init(&c);
    ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err),
                     DUSK_EINVAL);
    o.col_map = none;
    ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err),
                     DUSK_EINVAL);
    collect_destroy(&c);
  }
}
END_TEST

START_TEST(test_other_separator) {
  static const char content[] = "a;b\n1;\"x;y\"\n2;\"p,q\"\n";
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  static const int map[] = {0, 1};
  const char *path = write_file("semi.csv", content, sizeof content - 1);
  char **names;
  size_t ncols;
  uint64_t ds;
  dusk_csvscan_options o;
  dusk_csvscan_stats st;
  dusk_error err;
  collect c;

  ck_assert_int_eq(dusk_csv_read_header(path, ';', &names, &ncols, &ds, &err),
                   0);
  ck_assert_uint_eq(ncols, 2);
  ck_assert_str_eq(names[1], "b");
  for (size_t i = 0; i < ncols; i++)
    free(names[i]);
  free(names);
  memset(&o, 0, sizeof o);
  o.path = path;
  o.sep = ';';
  o.end = sizeof content - 1;
  o.data_start = ds;
  o.ncols_file = 2;
  o.col_map = map;
  o.types = types;
  o.nout = 2;
  o.batch_rows = 10;
  o.max_field = 100;
  collect_init(&c);
  ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err), 0);
  ck_assert_int_eq(memcmp(c.out.data, "i1;s3:x;y;\ni2;s3:p,q;\n", c.out.len),
                   0);
  collect_destroy(&c);
}
END_TEST

START_TEST(test_empty_ranges) {
  loaded l = load(&files[0]);
  collect c;
  dusk_error err;
  /* at or past the end of the file, empty, inside the header */
  collect_init(&c);
  ck_assert_int_eq(scan_range(&l, l.size, l.size + 10, false, 4, &c, &err), 0);
  ck_assert_int_eq(scan_range(&l, 5, 5, false, 4, &c, &err), 0);
  ck_assert_int_eq(scan_range(&l, 1, 5, false, 4, &c, &err), 0);
  ck_assert_int_eq(scan_range(&l, l.size - 1, l.size, false, 4, &c, &err), 0);
  ck_assert_uint_eq(c.rows, 0);
  collect_destroy(&c);
}
END_TEST

START_TEST(test_scan_missing_file) {
  static const dusk_type types[] = {DUSK_TYPE_INT64};
  static const int map[] = {0};
  dusk_csvscan_options o;
  dusk_csvscan_stats st;
  dusk_error err;
  collect c;
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/nope.csv", tmpdir);
  memset(&o, 0, sizeof o);
  o.path = path;
  o.sep = ',';
  o.end = 100;
  o.ncols_file = 1;
  o.col_map = map;
  o.types = types;
  o.nout = 1;
  o.batch_rows = 10;
  o.max_field = 100;
  collect_init(&c);
  ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err), -ENOENT);
  ck_assert_ptr_nonnull(strstr(err.message, "nope.csv"));
  o.path = tmpdir;
  ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err), -EISDIR);
  collect_destroy(&c);
}
END_TEST

/* ---- header
 * ------------------------------------------------------------------- */

typedef struct header {
  int rc;
  char **names;
  size_t n;
  uint64_t ds;
  dusk_error err;
} header;

static header read_header_of(const char *name, const char *content,
                             size_t len) {
  header h;
  const char *path = write_file(name, content, len);
  memset(&h, 0, sizeof h);
  h.rc = dusk_csv_read_header(path, ',', &h.names, &h.n, &h.ds, &h.err);
  return h;
}

static void header_free(header *h) {
  for (size_t i = 0; i < h->n; i++)
    free(h->names[i]);
  free(h->names);
}

START_TEST(test_header_errors) {
  header h;
  char path[PATH_MAX + 32];
  char **names = NULL;
  size_t n = 99;
  uint64_t ds = 99;
  dusk_error err;

  snprintf(path, sizeof path, "%s/missing.csv", tmpdir);
  ck_assert_int_eq(dusk_csv_read_header(path, ',', &names, &n, &ds, &err),
                   -ENOENT);
  ck_assert_ptr_nonnull(strstr(err.message, path));
  ck_assert_ptr_null(names);
  ck_assert_uint_eq(n, 0);

  ck_assert_int_eq(dusk_csv_read_header(tmpdir, ',', &names, &n, &ds, &err),
                   -EISDIR);
  ck_assert_ptr_nonnull(strstr(err.message, tmpdir));

  h = read_header_of("empty.csv", "", 0);
  ck_assert_int_eq(h.rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(h.err.message, "file is empty"));
  ck_assert_ptr_nonnull(strstr(h.err.message, "empty.csv"));

  h = read_header_of("bomonly.csv", "\xEF\xBB\xBF", 3);
  ck_assert_int_eq(h.rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(h.err.message, "file is empty"));

  h = read_header_of("blank.csv", "\n\n  \n", 5);
  ck_assert_int_eq(h.rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(h.err.message, "blank"));

  h = read_header_of("hq.csv", "\"a,b\n1,2\n", 9);
  ck_assert_int_eq(h.rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(h.err.message, "not terminated"));

  h = read_header_of("hstray.csv", "a,\"b\"c\n1,2\n", 11);
  ck_assert_int_eq(h.rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(h.err.message, "RFC 4180"));

  h = read_header_of("hutf8.csv", "a,\xff\n1,2\n", 7);
  ck_assert_int_eq(h.rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(h.err.message, "UTF-8"));
}
END_TEST

START_TEST(test_header_ok) {
  header h;

  /* header only, with and without a newline */
  h = read_header_of("ho1.csv", "a,b", 3);
  ck_assert_int_eq(h.rc, 0);
  ck_assert_uint_eq(h.n, 2);
  ck_assert_uint_eq(h.ds, 3);
  header_free(&h);
  h = read_header_of("ho2.csv", "a,b\n", 4);
  ck_assert_int_eq(h.rc, 0);
  ck_assert_uint_eq(h.ds, 4);
  header_free(&h);
  h = read_header_of("ho3.csv", "a,b\r\n", 5);
  ck_assert_int_eq(h.rc, 0);
  ck_assert_uint_eq(h.ds, 5);
  ck_assert_str_eq(h.names[1], "b");
  header_free(&h);

  /* BOM */
  h = read_header_of("hbom.csv", "\xEF\xBB\xBFid,v\n1,2\n", 11);
  ck_assert_int_eq(h.rc, 0);
  ck_assert_str_eq(h.names[0], "id");
  ck_assert_uint_eq(h.ds, 8);
  header_free(&h);

  /* quoted names with a separator, a doubled quote and a newline; CRLF */
  h = read_header_of("hquoted.csv", "\"a,b\",\"c\"\"d\",\"e\nf\"\r\n1,2,3\r\n",
                     27);
  ck_assert_int_eq(h.rc, 0);
  ck_assert_uint_eq(h.n, 3);
  ck_assert_str_eq(h.names[0], "a,b");
  ck_assert_str_eq(h.names[1], "c\"d");
  ck_assert_str_eq(h.names[2], "e\nf");
  ck_assert_uint_eq(h.ds, 20);
  header_free(&h);

  /* blank and whitespace lines before the header are skipped (pandas) */
  h = read_header_of("hblank.csv", "\n  \na,b\n1,2\n", 12);
  ck_assert_int_eq(h.rc, 0);
  ck_assert_str_eq(h.names[0], "a");
  ck_assert_uint_eq(h.ds, 8);
  header_free(&h);

  /* a bare CR ends the header */
  h = read_header_of("hcr.csv", "a,b\r1,2\r", 8);
  ck_assert_int_eq(h.rc, 0);
  ck_assert_uint_eq(h.ds, 4);
  header_free(&h);
}
END_TEST

START_TEST(test_header_pandas_names) {
  /* Expected names come from pandas 1.5.3 read_csv on the same bytes. */
  static const struct {
    const char *content;
    size_t n;
    const char *names[6];
  } cases[] = {
      {"a,,a,a.1,a\n", 5, {"a", "Unnamed: 1", "a.2", "a.1", "a.3"}},
      {"a,a,a\n", 3, {"a", "a.1", "a.2"}},
      {",,\n", 3, {"Unnamed: 0", "Unnamed: 1", "Unnamed: 2"}},
      {"x,Unnamed: 2,\n", 3, {"x", "Unnamed: 2", "Unnamed: 2.1"}},
      {"b,b.1,b,b.1\n", 4, {"b", "b.1", "b.2", "b.1.1"}},
      {"a,a.1,a,a.1,a.1.1,a\n",
       6,
       {"a", "a.1", "a.2", "a.1.2", "a.1.1", "a.3"}},
      {"a,a,a.1,a.2,a.1\n", 5, {"a", "a.3", "a.1", "a.2", "a.1.1"}},
      {",Unnamed: 0,,a,\n",
       5,
       {"Unnamed: 0.1", "Unnamed: 0", "Unnamed: 2", "a", "Unnamed: 4"}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char name[32];
    header h;
    snprintf(name, sizeof name, "names%zu.csv", i);
    h = read_header_of(name, cases[i].content, strlen(cases[i].content));
    ck_assert_int_eq(h.rc, 0);
    ck_assert_uint_eq(h.n, cases[i].n);
    for (size_t k = 0; k < h.n; k++)
      ck_assert_msg(strcmp(h.names[k], cases[i].names[k]) == 0,
                    "case %zu col %zu: %s", i, k, h.names[k]);
    header_free(&h);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("csvscan");
  TCase *tc;
  SRunner *sr;
  int failed;

  tc = tcase_create("splits");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_whole_file, 0, (int)NFILES);
  tcase_add_loop_test(tc, test_every_split, 0, (int)NFILES);
  tcase_add_loop_test(tc, test_three_way_splits, 0, (int)NFILES);
  tcase_add_test(tc, test_wrong_guess_differs);
  tcase_add_test(tc, test_wrong_guess_parity_still_exact);
  tcase_add_test(tc, test_large_file_splits);
  suite_add_tcase(s, tc);

  tc = tcase_create("scan");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_batches_and_early_stop);
  tcase_add_test(tc, test_cancel);
  tcase_add_test(tc, test_column_skipping);
  tcase_add_test(tc, test_other_separator);
  tcase_add_test(tc, test_empty_ranges);
  suite_add_tcase(s, tc);

  tc = tcase_create("malformed");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_ragged_rows);
  tcase_add_test(tc, test_type_conflicts);
  tcase_add_test(tc, test_field_too_long);
  tcase_add_test(tc, test_runaway_quote);
  tcase_add_test(tc, test_field_across_buffers);
  tcase_add_test(tc, test_whitespace_across_buffers);
  tcase_add_test(tc, test_unterminated_quote_at_eof);
  tcase_add_test(tc, test_bad_quoting);
  tcase_add_test(tc, test_invalid_utf8);
  tcase_add_test(tc, test_scan_missing_file);
  suite_add_tcase(s, tc);

  tc = tcase_create("header");
  tcase_set_timeout(tc, 30);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_header_errors);
  tcase_add_test(tc, test_header_ok);
  tcase_add_test(tc, test_header_pandas_names);
  suite_add_tcase(s, tc);

  sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
