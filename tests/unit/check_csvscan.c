/* check_csvscan.c - the CSV range scanner and the header reader.
 *
 * Every test file is scanned whole, then split in two at every byte with
 * the true tokenizer state at the split, then in three at random points:
 * the rows, concatenated in range order, must equal the whole-file rows,
 * and each range must report the state transfer of the bytes it covers,
 * as a byte-at-a-time model of pandas' tokenizer (ref_run) computes it.  One
 * case per kind of malformed input.  Rows are rendered to a canonical text
 * ("i<int>;", "f<%.17g>;", "b<0|1>;", "s<len>:<bytes>;", "N;" for null)
 * so whole results compare with memcmp.
 *
 * The scanner has two record parsers, a fast path for quote-free records
 * and libcsv (csvscan.h).  Every case runs twice, with DUSK_CSV_FASTPATH
 * set to 1 and to 0 by its fixture; the "fastpath" cases scan each input
 * both ways themselves and require the very same bytes in every batch
 * (arrays and arena), the same errors, messages and statistics.
 *
 * DUSK_CSVSCAN_BENCH=<file.csv> turns the program into a benchmark (see
 * run_bench at the end). */
#include "csvscan.h"
#include "testutil.h"

#include "buf.h"
#include "fieldparse.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
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

/* The same cases with the fast path allowed, and with libcsv only. */
static void setup_fast(void) {
  setup();
  ck_assert_int_eq(setenv("DUSK_CSV_FASTPATH", "1", 1), 0);
}

static void setup_libcsv(void) {
  setup();
  ck_assert_int_eq(setenv("DUSK_CSV_FASTPATH", "0", 1), 0);
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
  dusk_buf out;         /* rendered rows */
  dusk_buf raw;         /* every batch's bytes: counts, arrays, arena */
  volatile int *cancel; /* set to 1 after cancel_after batches */
  size_t cancel_after;
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
  dusk_buf_init(&c->raw);
}

static void collect_destroy(collect *c) {
  dusk_buf_destroy(&c->out);
  dusk_buf_destroy(&c->raw);
}

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

/* The bytes of a batch that a consumer may read: its rows of every
 * array (null rows included: both parsers store zeroes there) and its
 * arena up to arena_len. */
static void dump_batch(dusk_buf *o, const dusk_batch *b) {
  size_t n = b->nrows;
  append(o, &b->nrows, sizeof b->nrows);
  append(o, &b->first_row, sizeof b->first_row);
  for (size_t c = 0; c < b->ncols; c++) {
    const dusk_column *col = &b->cols[c];
    append(o, &col->type, sizeof col->type);
    append(o, col->valid, n);
    switch (col->type) {
    case DUSK_TYPE_BOOL:
      append(o, col->b, n);
      break;
    case DUSK_TYPE_INT64:
      append(o, col->i64, n * sizeof *col->i64);
      break;
    case DUSK_TYPE_FLOAT64:
      append(o, col->f64, n * sizeof *col->f64);
      break;
    case DUSK_TYPE_STRING:
      append(o, col->str_off, n * sizeof *col->str_off);
      append(o, col->str_len, n * sizeof *col->str_len);
      break;
    default:
      break;
    }
  }
  append(o, &b->arena_len, sizeof b->arena_len);
  if (b->arena_len > 0)
    append(o, b->arena, b->arena_len);
}

static int collect_fn(void *arg, dusk_batch *b) {
  collect *c = arg;
  if (b->nrows == 0 || b->nrows > b->cap)
    ck_abort_msg("batch of %zu rows (cap %zu)", b->nrows, b->cap);
  if (b->first_row != c->rows)
    c->bad_first_row = 1;
  for (size_t r = 0; r < b->nrows; r++)
    render_row(&c->out, b, r);
  dump_batch(&c->raw, b);
  c->rows += b->nrows;
  c->batches++;
  if (c->cancel != NULL && c->batches >= c->cancel_after)
    *c->cancel = 1;
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
    /* quotes inside unquoted fields are data (pandas' C parser), next to
     * quoted fields holding newlines: a '"' opens quotes only at a field's
     * start, including right after such a field (x",",") and not after
     * leading spaces; the rows are pandas' (read_csv, dtype=str) */
    {"literal.csv",
     "lat,text,n\n"
     "37.8\"N,12\" pizza,1\n"
     "\"quoted\nline\",x\"y\"z,2\n"
     "a\"\"b,\"\",3\n"
     " \"x\",\"p,\"\"q\"\"\n\",4\n"
     "5'10\",\"\n\",5\n"
     "\"\"\"\",ab\",6\n"
     "x\",\",\",7\n"
     "y\",\"z\"\"\",8\r\n",
     0,
     3,
     {S, S, I},
     "s6:37.8\"N;s9:12\" pizza;i1;\n"
     "s11:quoted\nline;s5:x\"y\"z;i2;\n"
     "s4:a\"\"b;N;i3;\n"
     "s4: \"x\";s6:p,\"q\"\n;i4;\n"
     "s5:5'10\";s1:\n;i5;\n"
     "s1:\";s3:ab\";i6;\n"
     "s2:x\";s1:,;i7;\n"
     "s2:y\";s2:z\";i8;\n"},
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

/* ---- the reference tokenizer ------------------------------------------------
 * pandas 1.5's tokenizer.c states (csvscan.h), one byte at a time: a '"'
 * opens quotes only at the start of a field, is data inside an unquoted
 * field, and in a quoted field is a quote when doubled, else it closes. */
static int ref_step(int st, unsigned char c, char sep) {
  int quote = c == '"', end = c == (unsigned char)sep || c == '\r' || c == '\n';
  switch (st) {
  case DUSK_CSV_FIELD_START:
    return quote ? DUSK_CSV_IN_QUOTES
           : end ? DUSK_CSV_FIELD_START
                 : DUSK_CSV_IN_FIELD;
  case DUSK_CSV_IN_FIELD:
    return end ? DUSK_CSV_FIELD_START : DUSK_CSV_IN_FIELD;
  case DUSK_CSV_IN_QUOTES:
    return quote ? DUSK_CSV_QUOTE_IN_QUOTES : DUSK_CSV_IN_QUOTES;
  default:
    return quote ? DUSK_CSV_IN_QUOTES
           : end ? DUSK_CSV_FIELD_START
                 : DUSK_CSV_IN_FIELD;
  }
}

/* The state after p[from, to) from state st. */
static int ref_run(const char *p, uint64_t from, uint64_t to, int st,
                   char sep) {
  for (uint64_t i = from; i < to; i++)
    st = ref_step(st, (unsigned char)p[i], sep);
  return st;
}

/* The true state at pos of a file whose first record starts at ds. */
static int ref_state(const char *p, uint64_t ds, uint64_t pos, char sep) {
  return pos <= ds ? DUSK_CSV_FIELD_START
                   : ref_run(p, ds, pos, DUSK_CSV_FIELD_START, sep);
}

/* The transfer a scan of [start, end) reports (end within the file). */
static int ref_transfer(const char *p, uint64_t ds, uint64_t start,
                        uint64_t end, char sep) {
  int m = 0;
  for (int st = DUSK_CSV_FIELD_START; st <= DUSK_CSV_QUOTE_IN_QUOTES; st++) {
    int e = start <= ds
                ? (end > ds ? ref_run(p, ds, end, DUSK_CSV_FIELD_START, sep)
                            : DUSK_CSV_FIELD_START)
                : ref_run(p, start, end > start ? end : start, st, sep);
    m |= (e - 1) << (2 * (st - 1));
  }
  return m;
}

/* The transfer of a range that ends in st whatever its start state. */
static int const_transfer(int st) { return (st - 1) * 0x55; }

/* A state the scan at pos is not in: a wrong guess. */
static int wrong_state(int truth) {
  return truth == DUSK_CSV_IN_QUOTES ? DUSK_CSV_FIELD_START
                                     : DUSK_CSV_IN_QUOTES;
}

static int state_at(const loaded *l, uint64_t pos) {
  return ref_state(l->data, l->data_start, pos, ',');
}

static dusk_csvscan_options options(const loaded *l, uint64_t start,
                                    uint64_t end, int state,
                                    size_t batch_rows) {
  dusk_csvscan_options o;
  memset(&o, 0, sizeof o);
  o.path = l->path;
  o.sep = ',';
  o.start = start;
  o.end = end;
  o.start_state = state;
  o.data_start = l->data_start;
  o.ncols_file = l->f->ncols;
  o.col_map = l->col_map;
  o.types = l->f->types;
  o.nout = l->f->ncols;
  o.batch_rows = batch_rows;
  o.max_field = 1 << 20;
  return o;
}

/* Scans [start, end) into c (appending); checks the range's transfer and
 * batch ordinals, returns the scan's code. */
static int scan_range(const loaded *l, uint64_t start, uint64_t end, int state,
                      size_t batch_rows, collect *c, dusk_error *err) {
  dusk_csvscan_options o = options(l, start, end, state, batch_rows);
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
  if (rc == 0 && st.quote_transfer !=
                     ref_transfer(l->data, l->data_start, start, pend, ','))
    ck_abort_msg("%s [%" PRIu64 ",%" PRIu64 ") transfer %d, want %d",
                 l->f->name, start, end, st.quote_transfer,
                 ref_transfer(l->data, l->data_start, start, pend, ','));
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
    rc = scan_range(&l, p, p % 2 ? l.size : l.size + 7, state_at(&l, p), 3, &c,
                    &err);
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
    ck_assert_msg(scan_range(&l, a, b, state_at(&l, a), 2, &c, &err) == 0, "%s",
                  err.message);
    ck_assert_msg(scan_range(&l, b, l.size, state_at(&l, b), 2, &c, &err) == 0,
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
 * it reports its transfer so the scheduler can check each guess against
 * the state the earlier ranges lead to and rerun the ranges it got
 * wrong. */
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
    int truth = state_at(&l, p);
    collect_init(&c);
    ck_assert_int_eq(scan_range(&l, 0, p, false, 3, &c, &err), 0);
    rc = scan_range(&l, p, l.size, wrong_state(truth), 3, &c, &err);
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

  /* Right after the quoted newline in "line1\nline2": the guess (outside
   * quotes, at a record start after the '\n') takes `line2",3` as a
   * record, whose first field is no int. */
  ck_assert_int_eq(state_at(&l, p2), DUSK_CSV_IN_QUOTES);
  collect_init(&c);
  rc = scan_range(&l, p2, l.size, DUSK_CSV_GUESS, 3, &c, &err);
  ck_assert_int_eq(rc, DUSK_EWIDEN);
  ck_assert_ptr_nonnull(strstr(err.message, "line2"));
  collect_destroy(&c);
  /* The right guess reads from record 4 on. */
  collect_init(&c);
  ck_assert_int_eq(scan_range(&l, p2, l.size, DUSK_CSV_IN_QUOTES, 3, &c, &err),
                   0);
  ck_assert_int_eq(memcmp(c.out.data, "i4;", 3), 0);
  collect_destroy(&c);
}
END_TEST

START_TEST(test_wrong_guess_transfer_still_exact) {
  /* Even a scan that fails on a wrong guess reports the transfer of its
   * range and the state it guessed, so the scheduler can find the right
   * state without rerunning. */
  loaded l = load(&files[1]);
  const char *line2 = strstr(l.data, "line2");
  uint64_t p2 = (uint64_t)(line2 - l.data);
  dusk_csvscan_options o = options(&l, p2, l.size, false, 3);
  dusk_csvscan_stats st;
  dusk_error err;
  collect c;
  collect_init(&c);
  ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err),
                   DUSK_EWIDEN);
  ck_assert_int_eq(st.quote_transfer,
                   ref_transfer(l.data, l.data_start, p2, l.size, ','));
  ck_assert_int_eq(st.start_state, DUSK_CSV_FIELD_START);
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

  /* text: plain, quoted with separators, empty (null), long, or with
   * quotes that are data (inside an unquoted field) */
  switch ((r >> 6) % 7) {
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
  case 5:
    put(csv, (r >> 9) & 1 ? "12\" pizza" : "37.8\"N\"\"");
    put(expect, (r >> 9) & 1 ? "s9:12\" pizza;" : "s8:37.8\"N\"\";");
    break;
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
      ck_assert_msg(scan_range(&l, p, l.size, state_at(&l, p), 777, &c, &err) ==
                        0,
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
      ck_assert_int_eq(scan_range(&l, a, b, state_at(&l, a), 16384, &c, &err),
                       0);
      ck_assert_int_eq(
          scan_range(&l, b, l.size, state_at(&l, b), 16384, &c, &err), 0);
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
    ck_assert_int_eq(st.quote_transfer, -1);
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
  ck_assert(!st.io_failed); /* the data's fault, not reading's */
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
  /* the transfer is still reported (the scheduler reruns with float64) */
  ck_assert_int_eq(st.quote_transfer, const_transfer(DUSK_CSV_FIELD_START));
  collect_destroy(&c);

  /* "abc" in an int column: only string holds both */
  collect_init(&c);
  rc = scan_whole("late_str.csv", "a,b\n1,x\n\"abc\",y\n", 0, 2, t_is, 100, &c,
                  &st, &err);
  ck_assert_int_eq(rc, DUSK_EWIDEN);
  ck_assert_int_eq(st.conflict.widened, DUSK_TYPE_STRING);
  ck_assert_uint_eq(st.conflict.offset, 8);
  ck_assert_str_eq(st.conflict.value, "abc");
  ck_assert_int_eq(st.quote_transfer, const_transfer(DUSK_CSV_FIELD_START));
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
  ck_assert_int_eq(st.quote_transfer,
                   ref_transfer(l.data, l.data_start, 0, l.size, ','));
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
  ck_assert_int_eq(st.quote_transfer, const_transfer(DUSK_CSV_IN_QUOTES));
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
  /* a quote inside an unquoted field is data, as pandas reads it */
  collect_init(&c);
  rc = scan_whole("stray.csv", "a,b\n1,5'10\"\n2,x\n", 0, 2, t_is, 100, &c, &st,
                  &err);
  ck_assert_msg(rc == 0, "%s", err.message);
  ck_assert_uint_eq(c.out.len, strlen("i1;s5:5'10\";\ni2;s1:x;\n"));
  ck_assert_int_eq(memcmp(c.out.data, "i1;s5:5'10\";\ni2;s1:x;\n", c.out.len),
                   0);
  collect_destroy(&c);
  /* text after a closing quote (pandas joins it to the field; libcsv
   * would read on inside the quotes): refused, naming the byte */
  collect_init(&c);
  rc = scan_whole("after.csv", "a,b\n1,\"x\"y\n", 0, 2, t_is, 100, &c, &st,
                  &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "offset 9"));
  ck_assert_ptr_nonnull(strstr(err.message, "after the closing quote"));
  collect_destroy(&c);
  /* a space after the closing quote is text too */
  collect_init(&c);
  rc = scan_whole("after2.csv", "a,b\n1,x\n2,\"y\" \n", 0, 2, t_is, 100, &c,
                  &st, &err);
  ck_assert_int_eq(rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "offset 13"));
  ck_assert_uint_eq(st.error_offset, 8);
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
  ck_assert(st.io_failed); /* the worker names itself in such errors */
  o.path = tmpdir;
  ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err), -EISDIR);
  ck_assert(st.io_failed);
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
  ck_assert_ptr_nonnull(strstr(h.err.message, "after the closing quote"));

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

  /* a quote inside an unquoted name is data (pandas); one at a name's
   * start quotes it, across the line end */
  h = read_header_of("hlit.csv", "in\"ch,\"x\ny\",z\"\n1,2,3\n", 21);
  ck_assert_int_eq(h.rc, 0);
  ck_assert_uint_eq(h.n, 3);
  ck_assert_str_eq(h.names[0], "in\"ch");
  ck_assert_str_eq(h.names[1], "x\ny");
  ck_assert_str_eq(h.names[2], "z\"");
  ck_assert_uint_eq(h.ds, 15);
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

/* ---- the fast path against libcsv ---------------------------------------- */

/* One scan's outcome. */
typedef struct outcome {
  int rc;
  dusk_error err;
  dusk_csvscan_stats st;
  collect c;
} outcome;

static void outcome_destroy(outcome *r) { collect_destroy(&r->c); }

/* Scans with the fast path allowed (fast) or not; stop_after and
 * cancel_after as in collect. */
static void scan_mode(const dusk_csvscan_options *o, int fast,
                      size_t stop_after, size_t cancel_after, outcome *r) {
  static volatile int canceled;
  dusk_csvscan_options oc = *o;
  if (setenv("DUSK_CSV_FASTPATH", fast ? "1" : "0", 1) != 0)
    ck_abort_msg("setenv");
  memset(r, 0, sizeof *r);
  collect_init(&r->c);
  r->c.stop_after = stop_after;
  if (cancel_after > 0) {
    canceled = 0;
    r->c.cancel = &canceled;
    r->c.cancel_after = cancel_after;
    oc.canceled = &canceled;
  }
  r->rc = dusk_csvscan_run(&oc, collect_fn, &r->c, &r->st, &r->err);
  if (r->c.bad_first_row || r->st.rows != r->c.rows)
    ck_abort_msg("%s: rows %" PRIu64 " vs %" PRIu64 " or bad first_row",
                 o->path, r->st.rows, r->c.rows);
}

static void same_bytes(const dusk_buf *a, const dusk_buf *b, const char *what,
                       const char *ctx) {
  size_t d = 0;
  if (a->len == b->len &&
      (a->len == 0 || memcmp(a->data, b->data, a->len) == 0))
    return;
  while (d < a->len && d < b->len && a->data[d] == b->data[d])
    d++;
  ck_abort_msg("%s: %s differ: %zu vs %zu bytes, first difference at %zu", ctx,
               what, a->len, b->len, d);
}

/* The fast path's outcome must be libcsv's: code, message, statistics
 * (but fast_rows), rows, and every byte of every batch. */
static void assert_same(const outcome *f, const outcome *l, const char *ctx) {
  if (f->rc != l->rc)
    ck_abort_msg("%s: fast path %d (%s), libcsv %d (%s)", ctx, f->rc,
                 f->rc ? f->err.message : "", l->rc,
                 l->rc ? l->err.message : "");
  if (f->rc != 0 && strcmp(f->err.message, l->err.message) != 0)
    ck_abort_msg("%s: messages differ:\n  fast:   %s\n  libcsv: %s", ctx,
                 f->err.message, l->err.message);
  if (f->st.rows != l->st.rows || f->st.bytes != l->st.bytes ||
      f->st.quote_transfer != l->st.quote_transfer ||
      f->st.start_state != l->st.start_state ||
      f->st.error_offset != l->st.error_offset)
    ck_abort_msg("%s: stats differ: rows %" PRIu64 "/%" PRIu64 " bytes %" PRIu64
                 "/%" PRIu64 " parity %d/%d"
                 " error_offset %" PRIu64 "/%" PRIu64,
                 ctx, f->st.rows, l->st.rows, f->st.bytes, l->st.bytes,
                 f->st.quote_transfer, l->st.quote_transfer, f->st.error_offset,
                 l->st.error_offset);
  if (f->rc == DUSK_EWIDEN) {
    const dusk_csvscan_conflict *a = &f->st.conflict, *b = &l->st.conflict;
    if (a->column != b->column || a->widened != b->widened ||
        a->offset != b->offset || strcmp(a->value, b->value) != 0)
      ck_abort_msg("%s: conflicts differ: column %zu/%zu widened %d/%d "
                   "offset %" PRIu64 "/%" PRIu64 " value '%s'/'%s'",
                   ctx, a->column, b->column, (int)a->widened, (int)b->widened,
                   a->offset, b->offset, a->value, b->value);
  }
  if (l->st.fast_rows != 0)
    ck_abort_msg("%s: DUSK_CSV_FASTPATH=0 still used the fast path", ctx);
  if (f->c.batches != l->c.batches)
    ck_abort_msg("%s: %zu batches vs %zu", ctx, f->c.batches, l->c.batches);
  same_bytes(&f->c.out, &l->c.out, "rows", ctx);
  same_bytes(&f->c.raw, &l->c.raw, "batch bytes", ctx);
}

/* Scans o both ways, checks they agree, and keeps the fast path's outcome
 * in *f (the caller destroys it). */
static void scan_both(const dusk_csvscan_options *o, size_t stop_after,
                      size_t cancel_after, const char *ctx, outcome *f) {
  outcome l;
  scan_mode(o, 1, stop_after, cancel_after, f);
  scan_mode(o, 0, stop_after, cancel_after, &l);
  assert_same(f, &l, ctx);
  outcome_destroy(&l);
}

/* Writes a file the test reuses under one name (not registered again). */
static const char *rewrite_file(const char *name, const void *data,
                                size_t len) {
  static char path[PATH_MAX + 64];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  if (len > 0 && fwrite(data, 1, len, f) != len)
    ck_abort_msg("short write");
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

/* A scan of path with every file column mapped to these types. */
static dusk_csvscan_options whole_options(const char *path, uint64_t size,
                                          char sep, size_t ncols,
                                          const int *map,
                                          const dusk_type *types, size_t nout,
                                          size_t batch_rows) {
  dusk_csvscan_options o;
  char **names;
  size_t n;
  uint64_t ds;
  dusk_error err;
  int rc = dusk_csv_read_header(path, sep, &names, &n, &ds, &err);
  ck_assert_msg(rc == 0, "%s", err.message);
  ck_assert_uint_eq(n, ncols);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  memset(&o, 0, sizeof o);
  o.path = path;
  o.sep = sep;
  o.end = size;
  o.data_start = ds;
  o.ncols_file = ncols;
  o.col_map = map;
  o.types = types;
  o.nout = nout;
  o.batch_rows = batch_rows;
  o.max_field = 1 << 20;
  return o;
}

/* Quote-free rows for the buffer-edge tests: an int (sometimes at the
 * int64 limits, with a sign, or NA), an unmapped text of any length, a
 * string (sometimes NA, empty, non-ASCII or 32/33 bytes), a float and a
 * bool, with LF or CRLF, now and then a blank or whitespace-only line or
 * a record with leading spaces. */
static const char *const int_texts[] = {
    "0",
    "7",
    "-7",
    "+7",
    "-0",
    "12345678",
    "123456789",
    "9223372036854775807",
    "-9223372036854775808",
    "1234567890123456",
    "12345678901234567",
    "-123456789012345678",
    "007",
    "NA",
    "",
    "nan",
    "#N/A",
};
static const char *const str_texts[] = {
    "a",
    "",
    "NA",
    "None",
    "n/a",
    "\xC3\xA9t\xC3\xA9",
    "0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdefX",
    "x y",
    "\t",
    "null",
};

static void plain_row(dusk_buf *csv, dusk_buf *expect, uint64_t id) {
  char tmp[160];
  uint64_t r = rng();
  const char *it = NULL;
  int64_t iv = (int64_t)id;

  if ((r & 15) == 0)
    put(csv, (r >> 4) & 1 ? "\n" : "  \t\r\n");
  if (((r >> 5) & 31) == 0) {
    put(csv, "  "); /* then a plain number: "  NA" is not NA */
    r |= 3u << 10;
  }
  if (((r >> 10) & 3) == 0) {
    it = int_texts[(r >> 12) % (sizeof int_texts / sizeof int_texts[0])];
    put(csv, it);
    if (*it == '\0' || strcmp(it, "NA") == 0 || strcmp(it, "nan") == 0 ||
        strcmp(it, "#N/A") == 0) {
      put(expect, "N;");
    } else {
      snprintf(tmp, sizeof tmp, "i%" PRId64 ";",
               (int64_t)strtoll(it, NULL, 10));
      put(expect, tmp);
    }
  } else {
    snprintf(tmp, sizeof tmp, "%" PRId64, iv);
    put(csv, tmp);
    snprintf(tmp, sizeof tmp, "i%" PRId64 ";", iv);
    put(expect, tmp);
  }
  put(csv, ",");
  {
    /* unmapped: 0 to 3000 bytes, mostly short */
    size_t n = ((r >> 20) & 7) == 0 ? (r >> 23) % 3000 : (r >> 23) % 12;
    for (size_t k = 0; k < n; k++)
      append(csv, &"abcdefgh \t'#"[(k + id) % 12], 1);
  }
  put(csv, ",");
  {
    const char *sv =
        str_texts[(r >> 35) % (sizeof str_texts / sizeof str_texts[0])];
    put(csv, sv);
    if (*sv == '\0' || strcmp(sv, "NA") == 0 || strcmp(sv, "n/a") == 0 ||
        strcmp(sv, "null") == 0) {
      put(expect, "N;");
    } else {
      snprintf(tmp, sizeof tmp, "s%zu:%s;", strlen(sv), sv);
      put(expect, tmp);
    }
  }
  put(csv, ",");
  switch ((r >> 40) % 4) {
  case 0:
    put(csv, "2.5");
    put(expect, "f2.5;");
    break;
  case 1:
    put(csv, "-1e3");
    put(expect, "f-1000;");
    break;
  case 2:
    put(csv, "NaN");
    put(expect, "N;");
    break;
  default:
    snprintf(tmp, sizeof tmp, "%" PRIu64, id % 1000);
    put(csv, tmp);
    snprintf(tmp, sizeof tmp, "f%" PRIu64 ";", id % 1000);
    put(expect, tmp);
    break;
  }
  put(csv, ",");
  put(csv, (r >> 44) & 1 ? "True" : "false");
  put(expect, (r >> 44) & 1 ? "b1;" : "b0;");
  put(csv, ((r >> 45) & 3) == 0 ? "\r\n" : "\n");
  put(expect, "\n");
}

static const dusk_type plain_types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                        DUSK_TYPE_FLOAT64, DUSK_TYPE_BOOL};
/* id, (text unmapped), s, x, flag */
static const int plain_map[] = {0, -1, 1, 2, 3};

/* Builds a quote-free file of at least min_size bytes. */
static void plain_file(dusk_buf *csv, dusk_buf *expect, size_t min_size,
                       uint64_t seed) {
  uint64_t id = 0;
  rng_state = seed;
  dusk_buf_init(csv);
  dusk_buf_init(expect);
  put(csv, "id,text,s,x,flag\n");
  while (csv->len < min_size)
    plain_row(csv, expect, id++);
  append(expect, "", 1); /* NUL-terminate for assert_rows */
}

START_TEST(test_fast_plain_large) {
  /* 2.5 MiB without a quote: records, fields, CRLFs and blank lines cross
   * both read-buffer edges; every range must give the same bytes both
   * ways, and the whole file its expected rows. */
  const uint64_t chunk = 1u << 20;
  dusk_buf csv, expect;
  const char *path;
  outcome f;
  dusk_csvscan_options o;
  uint64_t points[24];
  size_t np = 0;

  plain_file(&csv, &expect, 5 * chunk / 2, 777);
  path = write_file("plain_large.csv", csv.data, csv.len);
  o = whole_options(path, csv.len, ',', 5, plain_map, plain_types, 4, 16384);
  scan_both(&o, 0, 0, "plain whole", &f);
  ck_assert_msg(f.rc == 0, "%s", f.err.message);
  ck_assert_uint_eq(f.c.out.len, expect.len - 1);
  ck_assert_int_eq(memcmp(f.c.out.data, expect.data, f.c.out.len), 0);
  /* all but the few records across the buffer edges took the fast path */
  ck_assert_uint_gt(f.st.fast_rows + 10, f.st.rows);
  outcome_destroy(&f);

  for (int d = -3; d <= 3; d++) {
    points[np++] = chunk + (uint64_t)(int64_t)d;
    points[np++] = 2 * chunk + (uint64_t)(int64_t)d;
  }
  while (np < sizeof points / sizeof points[0])
    points[np++] = 1 + rng() % (csv.len - 1);
  for (size_t k = 0; k < np; k++) {
    collect all;
    char ctx[64];
    outcome a, b;
    dusk_csvscan_options oa = o, ob = o;
    oa.end = points[k];
    ob.start = points[k];
    oa.batch_rows = 1000;
    ob.batch_rows = 777;
    snprintf(ctx, sizeof ctx, "plain split at %" PRIu64, points[k]);
    scan_both(&oa, 0, 0, ctx, &a);
    scan_both(&ob, 0, 0, ctx, &b);
    ck_assert_msg(a.rc == 0 && b.rc == 0, "%s: %s %s", ctx, a.err.message,
                  b.err.message);
    collect_init(&all);
    append(&all.out, a.c.out.data, a.c.out.len);
    append(&all.out, b.c.out.data, b.c.out.len);
    assert_rows(&all, expect.data, "plain split", path, points[k], points[k]);
    collect_destroy(&all);
    outcome_destroy(&a);
    outcome_destroy(&b);
  }
  dusk_buf_destroy(&csv);
  dusk_buf_destroy(&expect);
}
END_TEST

START_TEST(test_fast_buffer_edge_sweep) {
  /* The same short records shifted by 0..31 bytes against the 1 MiB read
   * buffer's edge, so that every byte of a record (separator, '\r', '\n',
   * digit, a field's first byte) lands on the edge in some file. */
  const size_t chunk = 1u << 20;
  static const int map[] = {0, 1, 2};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                    DUSK_TYPE_INT64};
  size_t cap = chunk + 4096, n;
  char *content = malloc(cap);
  ck_assert_ptr_nonnull(content);
  for (size_t shift = 0; shift < 32; shift++) {
    char ctx[64];
    const char *path;
    outcome f;
    dusk_csvscan_options o;
    size_t fill;
    n = (size_t)sprintf(content, "a,b,c\n1,");
    /* one long string so the short rows start just before the edge */
    fill = chunk - 200 - n + shift;
    memset(content + n, 'w', fill);
    n += fill;
    n += (size_t)sprintf(content + n, ",2\n");
    for (int row = 0; row < 60; row++)
      n += (size_t)sprintf(content + n, "%d,%s,%d%s", row, row % 3 ? "xy" : "",
                           -row * 1000, row % 2 ? "\r\n" : "\n");
    path = rewrite_file("edge.csv", content, n);
    o = whole_options(path, n, ',', 3, map, types, 3, 7);
    snprintf(ctx, sizeof ctx, "edge shift %zu", shift);
    scan_both(&o, 0, 0, ctx, &f);
    ck_assert_msg(f.rc == 0, "%s: %s", ctx, f.err.message);
    ck_assert_uint_eq(f.st.rows, 61);
    ck_assert_ptr_nonnull(
        memmem(f.c.out.data, f.c.out.len, "\ni59;s2:xy;i-59000;\n", 20));
    outcome_destroy(&f);
    /* and a range starting in the short rows (its buffer starts there) */
    o.start = chunk - 150 + shift;
    scan_both(&o, 0, 0, ctx, &f);
    ck_assert_msg(f.rc == 0, "%s: %s", ctx, f.err.message);
    outcome_destroy(&f);
  }
  free(content);
}
END_TEST

START_TEST(test_fast_mixed_quotes) {
  /* The large generated file of test_large_file_splits: quoted fields
   * (with separators, CRLFs and doubled quotes) between plain records. */
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                    DUSK_TYPE_FLOAT64};
  static const int map[] = {0, 1, 2};
  static const int map_one[] = {-1, -1, 0};
  static const dusk_type t_one[] = {DUSK_TYPE_FLOAT64};
  dusk_buf csv, expect;
  uint64_t id = 0;
  const char *path;
  outcome f;
  dusk_csvscan_options o;

  rng_state = 4242;
  dusk_buf_init(&csv);
  dusk_buf_init(&expect);
  put(&csv, "id,text,x\n");
  while (csv.len < (3u << 20) / 2)
    gen_row(&csv, &expect, id++);
  path = write_file("mixed.csv", csv.data, csv.len);
  o = whole_options(path, csv.len, ',', 3, map, types, 3, 1000);
  scan_both(&o, 0, 0, "mixed whole", &f);
  ck_assert_msg(f.rc == 0, "%s", f.err.message);
  ck_assert_uint_eq(f.c.out.len, expect.len);
  ck_assert_int_eq(memcmp(f.c.out.data, expect.data, expect.len), 0);
  ck_assert_uint_gt(f.st.fast_rows, 0);
  ck_assert_uint_lt(f.st.fast_rows, f.st.rows);
  outcome_destroy(&f);
  /* one column, the others skipped */
  o.col_map = map_one;
  o.types = t_one;
  o.nout = 1;
  scan_both(&o, 0, 0, "mixed one column", &f);
  ck_assert_msg(f.rc == 0, "%s", f.err.message);
  outcome_destroy(&f);
  o.col_map = map;
  o.types = types;
  o.nout = 3;
  for (int t = 0; t < 12; t++) {
    dusk_csvscan_options oa = o;
    char ctx[64];
    oa.start = 1 + rng() % (csv.len - 1);
    oa.end = oa.start + rng() % (csv.len - oa.start + 100);
    oa.start_state = ref_state(csv.data, o.data_start, oa.start, ',');
    /* now and then the wrong guess: both must fail or read alike */
    if (t % 4 == 3)
      oa.start_state = wrong_state(oa.start_state);
    oa.batch_rows = 1 + rng() % 50;
    snprintf(ctx, sizeof ctx, "mixed [%" PRIu64 ",%" PRIu64 ") q%d", oa.start,
             oa.end, oa.start_state);
    scan_both(&oa, 0, 0, ctx, &f);
    outcome_destroy(&f);
  }
  dusk_buf_destroy(&csv);
  dusk_buf_destroy(&expect);
}
END_TEST

START_TEST(test_fast_literal_quotes) {
  /* Quotes inside unquoted fields (12" pizza, 37.8"N, a""b) on every
   * record, and now and then a quoted field holding separators and line
   * ends, one right after such a field (x",","): the fast path reads the
   * records whose quotes are all data, libcsv the others, with the same
   * batches; every range started in its true state (or guessing from the
   * byte before it, as the scheduler first lets it) reads its share. */
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                    DUSK_TYPE_STRING};
  static const int map[] = {0, 1, 2};
  dusk_buf csv;
  const char *path;
  outcome whole;
  dusk_csvscan_options o;
  uint64_t quoted = 0;

  rng_state = 777;
  dusk_buf_init(&csv);
  put(&csv, "id,size,lat\n");
  for (int row = 0; row < 40000; row++) {
    char tmp[96];
    uint64_t r = rng();
    if (r % 50 == 0) {
      snprintf(tmp, sizeof tmp, "%d,x\",\"a,\n\"\"b\"\r\n", row);
      quoted++;
    } else {
      snprintf(tmp, sizeof tmp, "%d,%d\" pizza,%d.%d\"N%s\n", row,
               (int)(r >> 8) % 30, (int)(r >> 16) % 90, (int)(r >> 24) % 10,
               (r >> 32) % 7 == 0 ? "\"\"" : "");
    }
    put(&csv, tmp);
  }
  path = write_file("literal_big.csv", csv.data, csv.len);
  o = whole_options(path, csv.len, ',', 3, map, types, 3, 1000);
  scan_both(&o, 0, 0, "literal whole", &whole);
  ck_assert_msg(whole.rc == 0, "%s", whole.err.message);
  ck_assert_uint_eq(whole.st.rows, 40000);
  /* only the records with a quoted field (and one whose quote starts a
   * read buffer) go to libcsv */
  ck_assert_uint_ge(whole.st.fast_rows, 40000 - quoted - 2);
  ck_assert_uint_lt(whole.st.fast_rows, 40000);
  ck_assert_ptr_nonnull(
      memmem(whole.c.out.data, whole.c.out.len, ";s2:x\";s5:a,\n\"b;\n", 17));
  ck_assert_int_eq(whole.st.quote_transfer,
                   ref_transfer(csv.data, o.data_start, 0, csv.len, ','));
  /* cut in 2 to 9 ranges at random bytes: each starts as the scheduler
   * first starts it (guessing), then in the state the transfers before
   * it give; the latter must read the whole file's rows */
  for (int t = 0; t < 8; t++) {
    uint64_t cuts[10];
    size_t nc = 2 + rng() % 8;
    int state = DUSK_CSV_FIELD_START;
    dusk_buf rows;
    dusk_buf_init(&rows);
    cuts[0] = 0;
    for (size_t k = 1; k < nc; k++)
      cuts[k] = 1 + rng() % (csv.len - 1);
    cuts[nc] = csv.len;
    for (size_t k = 1; k < nc; k++) /* insertion sort */
      for (size_t j = k; j > 1 && cuts[j - 1] > cuts[j]; j--) {
        uint64_t x = cuts[j];
        cuts[j] = cuts[j - 1];
        cuts[j - 1] = x;
      }
    for (size_t k = 0; k < nc; k++) {
      dusk_csvscan_options oa = o;
      outcome g;
      char ctx[96];
      oa.start = cuts[k];
      oa.end = cuts[k + 1];
      oa.start_state = DUSK_CSV_GUESS;
      snprintf(ctx, sizeof ctx, "literal [%" PRIu64 ",%" PRIu64 ") guess",
               oa.start, oa.end);
      scan_both(&oa, 0, 0, ctx, &g);
      if (g.rc == 0 || g.rc == DUSK_EPARSE || g.rc == DUSK_EWIDEN)
        ck_assert_int_eq(
            g.st.quote_transfer,
            ref_transfer(csv.data, o.data_start, oa.start, oa.end, ','));
      outcome_destroy(&g);
      oa.start_state = state;
      snprintf(ctx, sizeof ctx, "literal [%" PRIu64 ",%" PRIu64 ") s%d",
               oa.start, oa.end, state);
      scan_both(&oa, 0, 0, ctx, &g);
      ck_assert_msg(g.rc == 0, "%s: %s", ctx, g.err.message);
      ck_assert_int_eq(g.st.start_state, state);
      ck_assert_int_eq(state, ref_state(csv.data, o.data_start, oa.start, ','));
      append(&rows, g.c.out.data, g.c.out.len);
      state = dusk_csvscan_state_after(g.st.quote_transfer, state);
      outcome_destroy(&g);
    }
    same_bytes(&rows, &whole.c.out, "rows of the ranges", "literal splits");
    dusk_buf_destroy(&rows);
  }
  outcome_destroy(&whole);
  dusk_buf_destroy(&csv);
}
END_TEST

START_TEST(test_transfer_of_file_range) {
  /* dusk_csvscan_transfer (what a worker computes for a range it did not
   * scan to its end) gives the scan's transfer, and state_after reads
   * it; a range holding the first record maps every state to one. */
  loaded l = load(&files[NFILES - 1]); /* literal.csv */
  dusk_error err;
  int m;
  for (uint64_t a = 0; a < l.size; a += 3)
    for (uint64_t b = a; b <= l.size + 2; b += 5) {
      ck_assert_int_eq(
          dusk_csvscan_transfer(l.path, NULL, ',', a, b, l.data_start, &m, &err), 0);
      ck_assert_int_eq(m, ref_transfer(l.data, l.data_start, a,
                                       b < l.size ? b : l.size, ','));
      for (int st = DUSK_CSV_FIELD_START; st <= DUSK_CSV_QUOTE_IN_QUOTES; st++)
        ck_assert_int_eq(
            dusk_csvscan_state_after(m, st),
            a <= l.data_start
                ? ref_state(l.data, l.data_start, b < l.size ? b : l.size, ',')
                : ref_run(l.data, a, b < l.size ? b : l.size, st, ','));
    }
  ck_assert_int_eq(dusk_csvscan_state_after(-1, DUSK_CSV_FIELD_START), 0);
  ck_assert_int_eq(dusk_csvscan_state_after(0xE4, DUSK_CSV_GUESS), 0);
  ck_assert_int_eq(dusk_csvscan_state_after(0xE4, DUSK_CSV_IN_QUOTES),
                   DUSK_CSV_IN_QUOTES);
  ck_assert_int_lt(
      dusk_csvscan_transfer("/nonexistent/x.csv", NULL, ',', 0, 9, 0, &m, &err), 0);
  ck_assert_int_eq(m, -1);
}
END_TEST

/* A plain 1.5 MiB file with `bad` as record number 40000 (well past the
 * first read buffer), then more plain records; no_na as the options'. */
static void scan_with_bad_row_na(const char *name, const char *bad,
                                 const int *map, const dusk_type *types,
                                 size_t nout, const dusk_type *no_na,
                                 size_t max_field, int want_rc,
                                 const char *want_msg) {
  dusk_buf csv;
  outcome f;
  dusk_csvscan_options o;
  const char *path;
  uint64_t bad_at = 0;
  char ctx[128];
  dusk_buf_init(&csv);
  put(&csv, "a,b,c\n");
  for (int row = 0; row < 60000; row++) {
    char tmp[64];
    if (row == 40000) {
      bad_at = csv.len;
      put(&csv, bad);
      continue;
    }
    snprintf(tmp, sizeof tmp, "%d,text %d,%d.5\n", row, row % 97, row % 13);
    put(&csv, tmp);
  }
  path = rewrite_file(name, csv.data, csv.len);
  o = whole_options(path, csv.len, ',', 3, map, types, nout, 1000);
  o.max_field = max_field;
  o.no_na = no_na;
  snprintf(ctx, sizeof ctx, "%s", name);
  scan_both(&o, 0, 0, ctx, &f);
  ck_assert_msg(f.rc == want_rc, "%s: %d %s", name, f.rc,
                f.rc ? f.err.message : "");
  if (want_rc != 0) {
    ck_assert_uint_eq(f.st.error_offset, bad_at);
    ck_assert_msg(strstr(f.err.message, want_msg) != NULL, "%s: %s", name,
                  f.err.message);
  }
  ck_assert_int_eq(f.st.quote_transfer,
                   ref_transfer(csv.data, o.data_start, 0, csv.len, ','));
  ck_assert_uint_gt(f.st.fast_rows, 30000);
  outcome_destroy(&f);
  /* the same from a range that starts near the bad record */
  o.start = bad_at - 100;
  scan_both(&o, 0, 0, ctx, &f);
  ck_assert_int_eq(f.rc, want_rc);
  outcome_destroy(&f);
  dusk_buf_destroy(&csv);
}

static void scan_with_bad_row(const char *name, const char *bad, const int *map,
                              const dusk_type *types, size_t nout,
                              size_t max_field, int want_rc,
                              const char *want_msg) {
  scan_with_bad_row_na(name, bad, map, types, nout, NULL, max_field, want_rc,
                       want_msg);
}

/* A missing value in a column read_csv typed numpy's int64 or bool
 * (no_na) is DUSK_EPARSE naming the record and column, as pandas raises,
 * on every path: the fast path row by row, column by column (int columns
 * alone), an NA string through convert(), a bool; other columns' missing
 * values and the nullable types' stay nulls. */
START_TEST(test_no_na_columns) {
  static const int map[] = {0, 1, 2};
  static const int map_a[] = {0, -1, -1};
  static const int map_ab[] = {0, 1, -1};
  static const dusk_type t_isf[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                    DUSK_TYPE_FLOAT64};
  static const dusk_type t_i[] = {DUSK_TYPE_INT64};
  static const dusk_type t_ib[] = {DUSK_TYPE_INT64, DUSK_TYPE_BOOL};
  static const dusk_type na_i[] = {DUSK_TYPE_INT64, DUSK_TYPE_NULL,
                                   DUSK_TYPE_NULL};
  static const dusk_type na_b[] = {DUSK_TYPE_NULL, DUSK_TYPE_BOOL};
  static const dusk_type na_none[] = {DUSK_TYPE_NULL, DUSK_TYPE_NULL,
                                      DUSK_TYPE_NULL};
  const char *msg = "file column 0: Integer column has NA values";
  scan_with_bad_row_na("na_rows.csv", ",x,1\n", map, t_isf, 3, na_i, 100,
                       DUSK_EPARSE, msg);
  scan_with_bad_row_na("na_columnar.csv", ",x,1\n", map_a, t_i, 1, na_i, 100,
                       DUSK_EPARSE, msg);
  scan_with_bad_row_na("na_string.csv", "NA,x,1\n", map_a, t_i, 1, na_i, 100,
                       DUSK_EPARSE, msg);
  scan_with_bad_row_na("na_crlf.csv", ",x,1\r\n", map, t_isf, 3, na_i, 100,
                       DUSK_EPARSE, msg);
  /* the float column's missing value is no int64's */
  scan_with_bad_row_na("na_other.csv", "5,x,\n", map, t_isf, 3, na_i, 100, 0,
                       "");
  scan_with_bad_row_na("na_nullable.csv", ",x,1\n", map, t_isf, 3, na_none,
                       100, 0, "");
  {
    /* numpy's bool: its own words */
    const char *csv = "a,b,c\n1,True,x\n2,,y\n";
    const char *path = rewrite_file("na_bool.csv", csv, strlen(csv));
    dusk_csvscan_options o =
        whole_options(path, strlen(csv), ',', 3, map_ab, t_ib, 2, 4);
    outcome f;
    o.no_na = na_b;
    scan_both(&o, 0, 0, "na_bool", &f);
    ck_assert_int_eq(f.rc, DUSK_EPARSE);
    ck_assert_uint_eq(f.st.error_offset, 15);
    ck_assert_int_eq(f.st.error_column, 1);
    ck_assert_ptr_nonnull(strstr(f.err.message, "Bool column has NA values"));
    outcome_destroy(&f);
  }
}
END_TEST

/* A datetime column (parse_dates) meeting a value it does not read: one
 * pandas certainly reads as a date-time in another form (fieldparse.h,
 * dusk_field_pandas_datetime) is DUSK_EPARSE naming its record and
 * column, on both parsers; any other widens the column to text
 * (DUSK_EWIDEN), pandas leaving it text too. */
START_TEST(test_datetime_column_misfits) {
  static const int map[] = {0, 1};
  static const dusk_type t_ds[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  static const uint8_t dt[] = {1, 0};
  static const struct {
    const char *value, *msg;
    int rc;
  } v[] = {
      {"2021/01/05", "pandas reads '2021/01/05' as a date-time "
                     "(datetime64[ns])", DUSK_EPARSE},
      {"2021-01-05 10:00:00Z", "no tz-aware columns yet",
       DUSK_EPARSE},
      {"\"2021-01-05 10:00:00+00:00\"", "with a time zone", DUSK_EPARSE},
      {"NaT", "as a missing date-time (NaT)", DUSK_EPARSE},
      {"soon", "needs string", DUSK_EWIDEN},
      {"2021-02-30", "needs string", DUSK_EWIDEN},
  };
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
    char csv[128];
    int n = snprintf(csv, sizeof csv, "t,x\n2021-01-04,a\n%s,b\n",
                     v[i].value);
    const char *path = rewrite_file("dt_misfit.csv", csv, (size_t)n);
    dusk_csvscan_options o =
        whole_options(path, (uint64_t)n, ',', 2, map, t_ds, 2, 4);
    outcome f;
    o.datetime = dt;
    scan_both(&o, 0, 0, v[i].value, &f);
    ck_assert_msg(f.rc == v[i].rc, "%s: %d %s", v[i].value, f.rc,
                  f.err.message);
    ck_assert_uint_eq(f.st.error_offset, 17);
    ck_assert_int_eq(f.st.error_column, 0);
    ck_assert_msg(strstr(f.err.message, v[i].msg) != NULL, "%s: %s",
                  v[i].value, f.err.message);
    if (f.rc == DUSK_EPARSE)
      ck_assert_msg(strstr(f.err.message, "dusk's datetime columns read ISO "
                                          "YYYY-MM-DD[ HH:MM[:SS[.f]]] only") !=
                        NULL,
                    "%s", f.err.message);
    else
      ck_assert_int_eq(f.st.conflict.widened, DUSK_TYPE_STRING);
    outcome_destroy(&f);
  }
}
END_TEST

START_TEST(test_fast_errors) {
  static const int map[] = {0, 1, 2};
  static const int map_skip[] = {0, -1, 1};
  static const dusk_type t_isf[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                    DUSK_TYPE_FLOAT64};
  static const dusk_type t_if[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64};
  scan_with_bad_row("short.csv", "5,x\n", map, t_isf, 3, 100, DUSK_EPARSE,
                    "has 2 fields, expected 3");
  scan_with_bad_row("long.csv", "5,x,1,2\n", map, t_isf, 3, 100, DUSK_EPARSE,
                    "has 4 fields, expected 3");
  scan_with_bad_row("long_skip.csv", "5,x,1,2,,,\r\n", map_skip, t_if, 2, 100,
                    DUSK_EPARSE, "has 7 fields, expected 3");
  scan_with_bad_row("one.csv", "5\n", map_skip, t_if, 2, 100, DUSK_EPARSE,
                    "has 1 fields, expected 3");
  /* a conversion error comes before the width error, as with libcsv */
  scan_with_bad_row("short_conflict.csv", "x5\n", map, t_isf, 3, 100,
                    DUSK_EWIDEN, "\"x5\" is not int64");
  scan_with_bad_row("int_float.csv", "3.5,x,1\n", map, t_isf, 3, 100,
                    DUSK_EWIDEN, "needs float64");
  scan_with_bad_row("int_over.csv", "9223372036854775808,x,1\n", map, t_isf, 3,
                    100, DUSK_EWIDEN, "needs float64");
  scan_with_bad_row("int_under.csv", "-9223372036854775809,x,1\n", map, t_isf,
                    3, 100, DUSK_EWIDEN, "needs float64");
  scan_with_bad_row("int_word.csv", "12a,x,1\n", map, t_isf, 3, 100,
                    DUSK_EWIDEN, "needs string");
  scan_with_bad_row("float_word.csv", "1,x,abc\n", map, t_isf, 3, 100,
                    DUSK_EWIDEN, "file column 2 (output column 2)");
  scan_with_bad_row("skip_conflict.csv", "1,x,abc\n", map_skip, t_if, 2, 100,
                    DUSK_EWIDEN, "file column 2 (output column 1)");
  scan_with_bad_row("utf8.csv", "1,a\xff,2\n", map, t_isf, 3, 100, DUSK_EPARSE,
                    "invalid UTF-8 at byte 1");
  /* an unmapped field is not converted, but its length still counts */
  scan_with_bad_row("skip_long.csv",
                    "1,0123456789012345678901234567890123456789,2\n", map_skip,
                    t_if, 2, 39, DUSK_EPARSE, "max_field (39)");
  scan_with_bad_row("long_first.csv",
                    "12345678901234567890123456789012345678901,x,2\n", map,
                    t_isf, 3, 40, DUSK_EPARSE, "max_field (40)");
  /* leading spaces count toward the first field */
  scan_with_bad_row("ws_long.csv",
                    "                                        "
                    "  1,x,2\n",
                    map, t_isf, 3, 40, DUSK_EPARSE, "max_field (40)");
  /* bad quoting in a record between plain ones (libcsv's) */
  scan_with_bad_row("after_quote.csv", "1,\"x\"y,2\n", map, t_isf, 3, 100,
                    DUSK_EPARSE, "after the closing quote");
  /* a quote in an unquoted field is data: the record is fine, the error
   * is the int column's */
  scan_with_bad_row("stray.csv", "1x\",5'10\",2\n", map, t_isf, 3, 100,
                    DUSK_EWIDEN, "needs string");
}
END_TEST

START_TEST(test_fast_max_field_exact) {
  /* Records longer than max_field whose fields all fit, fields of exactly
   * max_field bytes, and one byte over, in and out of mapped columns. */
  static const int map[] = {0, -1, 1};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_STRING};
  static const char *const files_ok[] = {
      "a,b,c\nabcde,fghij,klmno\n\n12345,,\n",
      "a,b,c\r\n,abcde,\r\nabcde,abcde,abcde",
  };
  static const char *const files_bad[] = {
      "a,b,c\nabcde,fghij,klmnop\n",
      "a,b,c\nabcde,fghijk,\n",
      "a,b,c\nabcdef,x,y\n",
      "a,b,c\n1,2,3,abcdef\n",
  };
  for (size_t i = 0; i < 2; i++) {
    const char *path = rewrite_file("mf.csv", files_ok[i], strlen(files_ok[i]));
    dusk_csvscan_options o =
        whole_options(path, strlen(files_ok[i]), ',', 3, map, types, 2, 4);
    outcome f;
    o.max_field = 5;
    scan_both(&o, 0, 0, "max_field ok", &f);
    ck_assert_msg(f.rc == 0, "case %zu: %s", i, f.err.message);
    ck_assert_uint_eq(f.st.rows, 2);
    outcome_destroy(&f);
  }
  for (size_t i = 0; i < 4; i++) {
    const char *path =
        rewrite_file("mf.csv", files_bad[i], strlen(files_bad[i]));
    dusk_csvscan_options o =
        whole_options(path, strlen(files_bad[i]), ',', 3, map, types, 2, 4);
    outcome f;
    o.max_field = 5;
    scan_both(&o, 0, 0, "max_field bad", &f);
    ck_assert_msg(f.rc == DUSK_EPARSE, "case %zu: %d", i, f.rc);
    ck_assert_ptr_nonnull(strstr(f.err.message, "max_field (5)"));
    outcome_destroy(&f);
  }
}
END_TEST

START_TEST(test_fast_na_and_ints) {
  /* Every NA string and the int64 edges in int, float, bool and string
   * columns, through the fast path's shortcuts and convert() alike. */
  static const char *const values[] = {
      "",
      "#N/A",
      "#N/A N/A",
      "#NA",
      "-1.#IND",
      "-1.#QNAN",
      "-NaN",
      "-nan",
      "1.#IND",
      "1.#QNAN",
      "<NA>",
      "N/A",
      "NA",
      "NULL",
      "NaN",
      "None",
      "n/a",
      "nan",
      "null",
      " NA",
      "NA ",
      "na",
      "0",
      "-0",
      "+0",
      "00000000",
      "9223372036854775807",
      "-9223372036854775808",
      "9223372036854775808",
      "-9223372036854775809",
      "99999999",
      "100000000",
      "9999999999999999",
      "10000000000000000",
      "123456789012345678",
      "1234567890123456789",
      "12345678901234567890",
      "+",
      "-",
      "--1",
      "+-1",
      "1-",
      " 42",
      "42 ",
      "\t42",
      "4 2",
      "0x1F",
      "1e3",
      "1.0",
      ".",
      "1.",
      "True",
      "false",
      "tRUE",
      "inf",
      "-Infinity",
      "1e500",
      "\xC3\xA9",
      "12\xC3\xA9",
      "0123456789",
      "/0",
      ":0",
      "0/",
      "0:",
      "1\x01",
      "A",
      "0123456789abcdef0123456789abcdef",
  };
  static const dusk_type kinds[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                    DUSK_TYPE_BOOL, DUSK_TYPE_STRING};
  static const int map[] = {-1, 0};
  char content[512];
  size_t nvals = sizeof values / sizeof values[0];
  size_t ok = 0;
  for (size_t k = 0; k < 4; k++) {
    for (size_t v = 0; v < nvals; v++) {
      /* the value between two plain records, and last without a line end
       * (libcsv's) */
      int n = snprintf(content, sizeof content, "a,b\n1,\nx,%s\n2,%s",
                       values[v], values[v]);
      const char *path = rewrite_file("na.csv", content, (size_t)n);
      dusk_csvscan_options o =
          whole_options(path, (uint64_t)n, ',', 2, map, &kinds[k], 1, 2);
      char ctx[96];
      outcome f;
      snprintf(ctx, sizeof ctx, "type %d value '%s'", (int)kinds[k], values[v]);
      scan_both(&o, 0, 0, ctx, &f);
      if (f.rc == 0) {
        ok++;
        ck_assert_uint_eq(f.st.fast_rows, 2);
      }
      outcome_destroy(&f);
    }
  }
  ck_assert_uint_gt(ok, nvals);
}
END_TEST

START_TEST(test_fast_separators_and_blanks) {
  /* Other separators, including space and tab (then a line of them is a
   * record, not a blank line), CR-only line ends, blank lines of every
   * kind, a record of empty fields. */
  static const struct {
    char sep;
    const char *content;
  } cases[] = {
      {';', "a;b\n1;x y\n\n \t \n2;;\r\n\r\n3;z"},
      {'\t', "a\tb\n1\tx y\n \t\n\t\n  \n2\t \n"},
      {' ', "a b\n1 x\n \n  \n\t\n2 y\n"},
      {'|', "a|b\r1|x\r\r2|\r\t\r3|y\r"},
      {',', "a,b\n,\n,\n  ,  \n\n"},
      {',', "a,b\n1,2\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"
            "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"
            "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n3,4\n"},
  };
  static const int map[] = {0, 1};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_STRING};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len = strlen(cases[i].content);
    const char *path = rewrite_file("sep.csv", cases[i].content, len);
    dusk_csvscan_options o =
        whole_options(path, len, cases[i].sep, 2, map, types, 2, 3);
    char ctx[32];
    outcome f;
    snprintf(ctx, sizeof ctx, "separator case %zu", i);
    scan_both(&o, 0, 0, ctx, &f);
    outcome_destroy(&f);
    for (uint64_t p = 1; p < len; p++) {
      dusk_csvscan_options oa = o, ob = o;
      outcome a, b;
      oa.end = p;
      ob.start = p;
      scan_both(&oa, 0, 0, ctx, &a);
      scan_both(&ob, 0, 0, ctx, &b);
      outcome_destroy(&a);
      outcome_destroy(&b);
    }
  }
}
END_TEST

START_TEST(test_fast_wide_records) {
  /* A file of more columns than the fast path indexes at a time (the
   * scan leaves it to libcsv), and a ragged record of that many fields
   * among narrow ones (the fast path hands it over). */
  const size_t ncols = 20000;
  dusk_buf csv;
  int *map = malloc(ncols * sizeof *map);
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  const char *path;
  dusk_csvscan_options o;
  outcome f;
  ck_assert_ptr_nonnull(map);
  dusk_buf_init(&csv);
  for (size_t k = 0; k < ncols; k++) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, k ? ",c%zu" : "c%zu", k);
    put(&csv, tmp);
    map[k] = -1;
  }
  map[0] = 0;
  map[ncols - 1] = 1;
  put(&csv, "\n");
  for (int row = 0; row < 5; row++) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%d", row);
    put(&csv, tmp);
    for (size_t k = 1; k < ncols; k++)
      put(&csv, k % 7 ? ",x" : ",");
    put(&csv, "\n");
  }
  path = write_file("wide.csv", csv.data, csv.len);
  o = whole_options(path, csv.len, ',', ncols, map, types, 2, 2);
  scan_both(&o, 0, 0, "wide", &f);
  ck_assert_msg(f.rc == 0, "%s", f.err.message);
  ck_assert_uint_eq(f.st.rows, 5);
  ck_assert_uint_eq(f.st.fast_rows, 0);
  /* the last column is empty in every row (19999 % 7 == 0) */
  ck_assert_int_eq(memcmp(f.c.out.data, "i0;N;\ni1;N;\n", 12), 0);
  outcome_destroy(&f);

  /* 2 columns, and a record of 20000 fields among narrow ones */
  dusk_buf_destroy(&csv);
  dusk_buf_init(&csv);
  put(&csv, "a,b\n1,x\n2");
  for (size_t k = 1; k < ncols; k++)
    put(&csv, ",y");
  put(&csv, "\n3,z\n");
  path = write_file("wide_ragged.csv", csv.data, csv.len);
  {
    static const int map2[] = {-1, 0};
    o = whole_options(path, csv.len, ',', 2, map2, types + 1, 1, 2);
  }
  scan_both(&o, 0, 0, "wide ragged", &f);
  ck_assert_int_eq(f.rc, DUSK_EPARSE);
  ck_assert_ptr_nonnull(strstr(f.err.message, "has 20000 fields"));
  ck_assert_uint_eq(f.st.error_offset, 8);
  outcome_destroy(&f);
  dusk_buf_destroy(&csv);
  free(map);
}
END_TEST

START_TEST(test_fast_stop_and_cancel) {
  /* Early stop and cancellation in the middle of quote-free data. */
  dusk_buf csv, expect;
  const char *path;
  dusk_csvscan_options o;
  outcome f;
  plain_file(&csv, &expect, 3u << 20, 99);
  path = write_file("stop.csv", csv.data, csv.len);
  o = whole_options(path, csv.len, ',', 5, plain_map, plain_types, 4, 1000);
  /* stop after 3 batches: 3000 rows, parity unknown (-1) both ways */
  scan_both(&o, 3, 0, "stop", &f);
  ck_assert_int_eq(f.rc, 0);
  ck_assert_uint_eq(f.st.rows, 3000);
  ck_assert_int_eq(f.st.quote_transfer, -1);
  outcome_destroy(&f);
  /* canceled during the second batch's delivery */
  scan_both(&o, 0, 2, "cancel", &f);
  ck_assert_int_eq(f.rc, DUSK_ECANCELED);
  ck_assert_uint_eq(f.c.batches, 2);
  outcome_destroy(&f);
  dusk_buf_destroy(&csv);
  dusk_buf_destroy(&expect);
}
END_TEST

START_TEST(test_fast_env) {
  /* DUSK_CSV_FASTPATH: 0 turns the fast path off, anything else (or
   * nothing) leaves it on. */
  static const char content[] = "a,b\n1,x\n2,y\n3,\"z\"\n4,w\n";
  static const int map[] = {0, 1};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  const char *path = write_file("env.csv", content, sizeof content - 1);
  dusk_csvscan_options o =
      whole_options(path, sizeof content - 1, ',', 2, map, types, 2, 10);
  static const char *const values[] = {NULL, "1", "yes", "", "00", "0"};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    dusk_csvscan_stats st;
    dusk_error err;
    collect c;
    if (values[i] == NULL)
      unsetenv("DUSK_CSV_FASTPATH");
    else
      setenv("DUSK_CSV_FASTPATH", values[i], 1);
    collect_init(&c);
    ck_assert_int_eq(dusk_csvscan_run(&o, collect_fn, &c, &st, &err), 0);
    ck_assert_uint_eq(st.rows, 4);
    /* records 1, 2 and 4 have no quote */
    ck_assert_uint_eq(st.fast_rows,
                      i + 1 < sizeof values / sizeof values[0] ? 3 : 0);
    collect_destroy(&c);
  }
}
END_TEST

/* ---- random files, both ways --------------------------------------------- */

static const char *const fuzz_words[] = {
    "",
    "NA",
    "nan",
    "None",
    " NA",
    "#N/A",
    "True",
    "false",
    "TRUE",
    "abc",
    "x y",
    "\xC3\xA9",
    "\xff",
    "1.5",
    "-2e3",
    ".5",
    "inf",
    "1e500",
    "0",
    "-0",
    "+7",
    "007",
    " 7",
    "7 ",
    "\t7",
    "12a",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "123456789012345678",
};

/* One field of the random files, biased toward its column's type. */
static void fuzz_field(dusk_buf *o, dusk_type t, int quote_rate, char sep) {
  uint64_t r = rng();
  char tmp[64];
  if ((int)(r % 100) < quote_rate) {
    switch ((r >> 8) % 7) {
    case 0:
      put(o, "\"a");
      append(o, &sep, 1);
      put(o, "b\"\"c\nd\"");
      return;
    case 1:
      put(o, "\"12\"");
      return;
    case 2:
      put(o, "\"\"");
      return;
    case 3:
      put(o, "5'10\""); /* a quote that is data */
      return;
    case 4:
      put(o, "1\" \"x\"\""); /* quotes that are data, one after a space */
      return;
    case 5:
      put(o, "\"x\"y"); /* text after a closing quote: refused */
      return;
    default:
      put(o, "\"x\r\ny\"");
      return;
    }
  }
  if ((r >> 16) % 48 == 0) {
    put(o, fuzz_words[(r >> 20) % (sizeof fuzz_words / sizeof fuzz_words[0])]);
    return;
  }
  switch (t) {
  case DUSK_TYPE_INT64:
    /* any magnitude up to 2^64 - 1: past int64 is a conflict */
    snprintf(tmp, sizeof tmp, "%s%" PRIu64, (r >> 30) & 1 ? "-" : "",
             rng() >> ((r >> 24) % 64));
    put(o, tmp);
    break;
  case DUSK_TYPE_FLOAT64:
    snprintf(tmp, sizeof tmp, "%.*g", (int)((r >> 24) % 17) + 1,
             (double)(int64_t)(rng() % 2000001 - 1000000) / 64.0);
    put(o, tmp);
    break;
  case DUSK_TYPE_BOOL:
    put(o, (r >> 24) & 1 ? "True" : "false");
    break;
  default: {
    size_t n = (r >> 24) % 12;
    for (size_t k = 0; k < n; k++)
      append(o, &"ab c\t-1"[(r >> (30 + k)) % 7], 1);
    break;
  }
  }
}

typedef struct fuzz_case {
  char sep;
  size_t ncols, nout;
  int map[4];
  dusk_type types[4];  /* per output column */
  dusk_type ftypes[4]; /* per file column (what the generator writes) */
  size_t max_field;
} fuzz_case;

static void fuzz_file(dusk_buf *csv, fuzz_case *fc) {
  static const char seps[] = {',', ',', ',', ';', '\t', ' ', '|'};
  static const dusk_type all[] = {DUSK_TYPE_INT64, DUSK_TYPE_FLOAT64,
                                  DUSK_TYPE_BOOL, DUSK_TYPE_STRING};
  uint64_t r = rng();
  int quote_rate = (r >> 8) % 3 != 0 ? 0 : (int)((r >> 10) % 4);
  size_t rows = (r >> 16) % 25;
  fc->sep = seps[(r >> 24) % sizeof seps];
  fc->ncols = 1 + (r >> 28) % 4;
  fc->nout = 0;
  fc->max_field = (r >> 32) % 8 == 0 ? 6 + (r >> 35) % 12 : 1 << 20;
  for (size_t k = 0; k < fc->ncols; k++) {
    fc->ftypes[k] = all[rng() % 4];
    fc->map[k] = -1;
  }
  /* map a random subset, outputs in reverse file order */
  for (size_t k = fc->ncols; k-- > 0;) {
    if (rng() % 4 != 0) {
      fc->map[k] = (int)fc->nout;
      fc->types[fc->nout++] = fc->ftypes[k];
    }
  }
  dusk_buf_init(csv);
  for (size_t k = 0; k < fc->ncols; k++) {
    if (k > 0)
      append(csv, &fc->sep, 1);
    append(csv, &"abcd"[k], 1);
  }
  put(csv, "\n");
  for (size_t row = 0; row < rows; row++) {
    uint64_t q = rng();
    size_t nf = fc->ncols;
    if (q % 150 == 0)
      nf = nf > 1 ? nf - 1 : 2;
    else if (q % 150 == 1)
      nf++;
    if ((q >> 8) % 10 == 0)
      put(csv, (q >> 12) & 1 ? "\n" : ((q >> 13) & 1 ? " \t\r\n" : "\r"));
    if ((q >> 16) % 12 == 0)
      put(csv, " ");
    for (size_t k = 0; k < nf; k++) {
      if (k > 0)
        append(csv, &fc->sep, 1);
      fuzz_field(csv, k < fc->ncols ? fc->ftypes[k] : DUSK_TYPE_STRING,
                 quote_rate, fc->sep);
    }
    if (row + 1 < rows || (q >> 20) % 4 != 0)
      put(csv,
          (q >> 24) % 4 == 0 ? "\r\n" : ((q >> 24) % 8 == 1 ? "\r" : "\n"));
  }
}

/* The valid flags of every batch, column by column. */
static int flags_fn(void *arg, dusk_batch *b) {
  dusk_buf *o = arg;
  for (size_t c = 0; c < b->ncols; c++)
    append(o, b->cols[c].valid, b->nrows);
  return 0;
}

/* A nulls_only scan must give a full read's rows, null flags and errors
 * (fast path or not, as set), and leave its string columns empty. */
static void assert_nulls_only_like_full(const dusk_csvscan_options *o,
                                        const char *ctx) {
  dusk_csvscan_options full = *o;
  dusk_buf fa, fb;
  dusk_error ea, eb;
  dusk_csvscan_stats sa, sb;
  int ra, rb;
  full.nulls_only = NULL;
  dusk_buf_init(&fa);
  dusk_buf_init(&fb);
  ra = dusk_csvscan_run(o, flags_fn, &fa, &sa, &ea);
  rb = dusk_csvscan_run(&full, flags_fn, &fb, &sb, &eb);
  if (ra != rb || (ra != 0 && strcmp(ea.message, eb.message) != 0))
    ck_abort_msg("%s: nulls_only %d (%s), full read %d (%s)", ctx, ra,
                 ra ? ea.message : "", rb, rb ? eb.message : "");
  if (sa.rows != sb.rows || sa.error_offset != sb.error_offset ||
      sa.quote_transfer != sb.quote_transfer)
    ck_abort_msg("%s: nulls_only stats differ from a full read's", ctx);
  same_bytes(&fa, &fb, "null flags (nulls_only vs full read)", ctx);
  dusk_buf_destroy(&fa);
  dusk_buf_destroy(&fb);
}

/* Checks that the string columns marked in arg (a nulls_only array) hold
 * no strings, and that the arena is empty when every string column is
 * marked. */
static int empty_strings_fn(void *arg, dusk_batch *b) {
  const bool *only = arg;
  size_t unmarked = 0;
  for (size_t c = 0; c < b->ncols; c++)
    unmarked += b->cols[c].type == DUSK_TYPE_STRING && !only[c];
  if (unmarked == 0 && b->arena_len != 0)
    ck_abort_msg("nulls_only: %zu arena bytes", b->arena_len);
  for (size_t c = 0; c < b->ncols; c++)
    if (b->cols[c].type == DUSK_TYPE_STRING && only[c])
      for (size_t r = 0; r < b->nrows; r++)
        if (b->cols[c].str_off[r] != 0 || b->cols[c].str_len[r] != 0)
          ck_abort_msg("nulls_only: column %zu row %zu has a string", c, r);
  return 0;
}

/* Random small files (plain, a few quotes, many quotes; good and bad
 * rows; any separator; small max_field) scanned whole and in two and
 * three ranges, with right and wrong quote guesses: both ways must give
 * the same bytes and errors.  nulls: mark random string columns
 * nulls_only, and make some files all ints and strings (fast_chunk's
 * column-at-a-time path); each such scan is also held to a full read. */
static void random_files(int seed, int nulls) {
  rng_state = 0xC0FFEEull + (uint64_t)seed + (nulls ? 0x5EEDull << 20 : 0);
  for (int file = 0; file < 150; file++) {
    dusk_buf csv;
    fuzz_case fc;
    const char *path;
    char **names;
    size_t n;
    uint64_t ds;
    dusk_error err;
    dusk_csvscan_options o;
    outcome f;
    char ctx[96];
    bool only[4] = {false, false, false, false};
    int rc;

    fuzz_file(&csv, &fc);
    if (nulls && file % 2 == 0) {
      /* all ints and strings: the types the columnar path takes */
      for (size_t k = 0; k < fc.nout; k++)
        if (fc.types[k] != DUSK_TYPE_STRING)
          fc.types[k] = DUSK_TYPE_INT64;
    }
    for (size_t k = 0; nulls && k < fc.nout; k++)
      only[k] = rng() % 4 != 0;
    path = rewrite_file("fuzz.csv", csv.data, csv.len);
    rc = dusk_csv_read_header(path, fc.sep, &names, &n, &ds, &err);
    ck_assert_msg(rc == 0, "%s", err.message);
    ck_assert_uint_eq(n, fc.ncols);
    for (size_t k = 0; k < n; k++)
      free(names[k]);
    free(names);
    memset(&o, 0, sizeof o);
    o.path = path;
    o.sep = fc.sep;
    o.end = csv.len;
    o.data_start = ds;
    o.ncols_file = fc.ncols;
    o.col_map = fc.map;
    o.types = fc.types;
    o.nout = fc.nout;
    o.batch_rows = 1 + rng() % 4;
    o.max_field = fc.max_field;
    o.nulls_only = nulls ? only : NULL;
    snprintf(ctx, sizeof ctx, "random file %d.%d whole", seed, file);
    scan_both(&o, 0, 0, ctx, &f);
    outcome_destroy(&f);
    if (nulls) {
      dusk_error e2;
      assert_nulls_only_like_full(&o, ctx);
      dusk_csvscan_run(&o, empty_strings_fn, only, NULL, &e2);
    }
    /* every split of a short file, 40 of a longer one */
    for (uint64_t t = 1; t < csv.len && t <= 40; t++) {
      dusk_csvscan_options oa = o, ob = o;
      outcome a, b;
      uint64_t p = csv.len <= 41 ? t : 1 + rng() % (csv.len - 1);
      int truth = ref_state(csv.data, ds, p, fc.sep);
      oa.end = p;
      ob.start = p;
      ob.start_state = rng() % 8 == 0 ? wrong_state(truth) : truth;
      snprintf(ctx, sizeof ctx, "random file %d.%d split %" PRIu64 " q%d", seed,
               file, p, ob.start_state);
      scan_both(&oa, 0, 0, ctx, &a);
      scan_both(&ob, 0, 0, ctx, &b);
      outcome_destroy(&a);
      outcome_destroy(&b);
      if (nulls && t % 8 == 0) {
        assert_nulls_only_like_full(&oa, ctx);
        assert_nulls_only_like_full(&ob, ctx);
      }
    }
    dusk_buf_destroy(&csv);
  }
}

START_TEST(test_fast_random_files) { random_files(_i, 0); }
END_TEST

/* The same with nulls_only columns and all-int files. */
START_TEST(test_nulls_only_random_files) { random_files(_i, 1); }
END_TEST

/* Every structural indexer (DUSK_CSV_SIMD=swar, sse2, avx2; each runs
 * where the CPU has it, else the best below) on the random files, with
 * and without nulls_only: each must match libcsv byte for byte. */
START_TEST(test_simd_levels_random_files) {
  static const char *const levels[] = {"swar", "sse2", "avx2"};
  for (size_t l = 0; l < 3; l++) {
    ck_assert_int_eq(setenv("DUSK_CSV_SIMD", levels[l], 1), 0);
    random_files(100 + _i, _i & 1);
  }
  unsetenv("DUSK_CSV_SIMD");
}
END_TEST

/* ---- nulls_only, the column-at-a-time path, SIMD levels ------------------ */

/* dusk_field_may_be_na is a prefilter: never false for an NA string. */
START_TEST(test_na_prefilter) {
  static const char *const na[] = {
      "#N/A", "#N/A N/A", "#NA",     "-1.#IND", "-1.#QNAN", "-NaN",
      "-nan", "1.#IND",   "1.#QNAN", "<NA>",    "N/A",      "NA",
      "NULL", "NaN",      "n/a",     "nan",     "null"};
  char buf[DUSK_FIELD_NA_MAX + 2];
  for (size_t i = 0; i < sizeof na / sizeof na[0]; i++) {
    ck_assert(dusk_field_is_na(na[i], strlen(na[i])));
    ck_assert(dusk_field_may_be_na(na[i], strlen(na[i])));
  }
  /* every first byte and length: is_na implies may_be_na */
  for (int c = 0; c < 256; c++)
    for (size_t len = 1; len <= DUSK_FIELD_NA_MAX + 1; len++) {
      memset(buf, 'A', sizeof buf);
      buf[0] = (char)c;
      if (dusk_field_is_na(buf, len))
        ck_assert(dusk_field_may_be_na(buf, len));
      if (!dusk_field_may_be_na(buf, len))
        ck_assert(!dusk_field_is_na(buf, len));
    }
  ck_assert(!dusk_field_may_be_na("NA", 0)); /* the caller tests len 0 */
  ck_assert(!dusk_field_may_be_na("NAAAAAAAA", 9));
}
END_TEST

/* Scans o with the fast path on or off, keeping the null flags. */
static int flags_of(const dusk_csvscan_options *o, int fast, dusk_buf *flags,
                    dusk_error *err) {
  ck_assert_int_eq(setenv("DUSK_CSV_FASTPATH", fast ? "1" : "0", 1), 0);
  dusk_buf_init(flags);
  return dusk_csvscan_run(o, flags_fn, flags, NULL, err);
}

/* nulls_only string columns: every NA string (quoted or not), empty
 * fields, quoted separators and newlines, CRLF, blank lines, non-ASCII;
 * then invalid UTF-8 and a widening in an int column beside them. */
START_TEST(test_nulls_only_values) {
  static const char content[] = "a,b,c\n"
                                "NA,1,x\n"
                                "\"\",2,\"NA\"\n"
                                ",3,\xC3\xA9\n"
                                "#N/A N/A,,nan\n"
                                " NA,5,None\n"
                                "\"q,uoted\",6,\"line\nbreak\"\n"
                                "-1.#IND,7,<NA>\r\n"
                                "\r\n"
                                "n/a,8,abc\n"
                                "NULL,9,-nan\r\n"
                                "null,10,\"\"\n"
                                "1.#QNAN,11,#NA\n"
                                "NaN,12,n/a";
  /* per row: a, b, c */
  static const uint8_t want_a[] = {0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0};
  static const uint8_t want_b[] = {1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  static const uint8_t want_c[] = {1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0};
  static const int map[] = {0, 1, 2};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                    DUSK_TYPE_STRING};
  static const bool only[] = {true, true, true};
  const char *path = write_file("nulls.csv", content, sizeof content - 1);
  dusk_csvscan_options o;
  dusk_error err;
  memset(&o, 0, sizeof o);
  o.path = path;
  o.sep = ',';
  o.end = sizeof content - 1;
  o.data_start = 6;
  o.ncols_file = 3;
  o.col_map = map;
  o.types = types;
  o.nout = 3;
  o.max_field = 1 << 20;
  o.nulls_only = only;
  for (size_t rows = 1; rows <= 13; rows += 4) {
    o.batch_rows = rows;
    for (int fast = 0; fast < 2; fast++) {
      dusk_buf flags;
      size_t at = 0, nrows = sizeof want_a;
      ck_assert_int_eq(flags_of(&o, fast, &flags, &err), 0);
      ck_assert_uint_eq(flags.len, 3 * nrows);
      /* batches of `rows` rows, column by column within each */
      for (size_t r0 = 0; r0 < nrows; r0 += rows) {
        size_t n = nrows - r0 < rows ? nrows - r0 : rows;
        ck_assert(memcmp(flags.data + at, want_a + r0, n) == 0);
        ck_assert(memcmp(flags.data + at + n, want_b + r0, n) == 0);
        ck_assert(memcmp(flags.data + at + 2 * n, want_c + r0, n) == 0);
        at += 3 * n;
      }
      dusk_buf_destroy(&flags);
    }
    {
      outcome f;
      scan_both(&o, 0, 0, "nulls_only values", &f);
      outcome_destroy(&f);
    }
    ck_assert_int_eq(setenv("DUSK_CSV_FASTPATH", "1", 1), 0);
    assert_nulls_only_like_full(&o, "nulls_only values (fast)");
    ck_assert_int_eq(
        dusk_csvscan_run(&o, empty_strings_fn, (void *)only, NULL, &err), 0);
    ck_assert_int_eq(setenv("DUSK_CSV_FASTPATH", "0", 1), 0);
    assert_nulls_only_like_full(&o, "nulls_only values (libcsv)");
  }

  /* Invalid UTF-8 in a nulls_only column is still an error, and a value
   * needing a wider type in an int column still asks for it. */
  {
    static const char *const bad[] = {"a,b,c\nx,1,y\nz,2,\xff\n",
                                      "a,b,c\nx,1,y\n\xC3(,2,y\n",
                                      "a,b,c\nx,1,y\nz,2.5,y\nw,x,\xff\n"};
    static const int want[] = {DUSK_EPARSE, DUSK_EPARSE, DUSK_EWIDEN};
    for (size_t i = 0; i < 3; i++) {
      const char *bp = rewrite_file("nulls_bad.csv", bad[i], strlen(bad[i]));
      outcome f;
      o.path = bp;
      o.end = strlen(bad[i]);
      o.batch_rows = 16384;
      scan_both(&o, 0, 0, "nulls_only errors", &f);
      ck_assert_int_eq(f.rc, want[i]);
      outcome_destroy(&f);
      ck_assert_int_eq(setenv("DUSK_CSV_FASTPATH", "1", 1), 0);
      assert_nulls_only_like_full(&o, "nulls_only errors");
    }
  }
}
END_TEST

/* A file of ints and strings for the column-at-a-time path: mostly short
 * ints and words, with NA strings, empty fields, values the shortcuts
 * leave to convert() (" 7", "+7", "007", 17+ digits, "NA"), blank lines
 * and CRLF; bad: a value needing float64 at row bad_row (column 3), and
 * one needing string at the next row (column 0), which must not win. */
static void columnar_file(dusk_buf *csv, size_t rows, size_t bad_row,
                          int ragged_row) {
  static const char *const odd[] = {"NA",  " 7",
                                    "+7",  "007",
                                    "-0",  "12345678901234567",
                                    "",    "1234567890123456",
                                    "nan", "-5"};
  static const char *const texts[] = {"HV0003",
                                      "B02764",
                                      "NA",
                                      "",
                                      "2021-02-01 14:53:37",
                                      "n/a",
                                      "\xC3\xA9t\xC3\xA9",
                                      "None",
                                      "x"};
  char tmp[64];
  dusk_buf_init(csv);
  put(csv, "i0,s1,i2,i3,s4\n");
  for (size_t r = 0; r < rows; r++) {
    uint64_t q = rng();
    if (q % 97 == 0)
      put(csv, q & 256 ? "\n" : "\r\n");
    for (int k = 0; k < 5; k++) {
      uint64_t v = rng();
      if (k > 0)
        put(csv, ",");
      if (r == bad_row && k == 3) {
        put(csv, "2.5");
      } else if (r == bad_row + 1 && k == 0) {
        put(csv, "abc");
      } else if ((int)r == ragged_row && k == 4) {
        put(csv, "x,y");
      } else if (k == 1 || k == 4) {
        put(csv, v % 50 == 0 ? texts[(v >> 8) % 9] : texts[(v >> 8) % 2]);
      } else if (v % 40 == 0) {
        put(csv, odd[(v >> 8) % 10]);
      } else {
        snprintf(tmp, sizeof tmp, "%" PRIu64, (v >> 8) % (k == 2 ? 10 : 300));
        put(csv, tmp);
      }
    }
    put(csv, (q >> 20) % 5 == 0 ? "\r\n" : "\n");
  }
}

START_TEST(test_columnar_large) {
  static const int map[] = {0, 1, 2, 3, 4};
  static const dusk_type types[] = {DUSK_TYPE_INT64, DUSK_TYPE_STRING,
                                    DUSK_TYPE_INT64, DUSK_TYPE_INT64,
                                    DUSK_TYPE_STRING};
  static const bool only[] = {false, true, false, false, true};
  static const int rmap[] = {-1, 0, 1, -1, 2}; /* a subset, reordered */
  static const dusk_type rtypes[] = {DUSK_TYPE_STRING, DUSK_TYPE_INT64,
                                     DUSK_TYPE_STRING};
  static const bool ronly[] = {true, false, true};
  rng_state = 0xC01F00Dull;
  for (int variant = 0; variant < 3; variant++) {
    dusk_buf csv;
    const char *path;
    size_t bad = variant == 1 ? 4321 : (size_t)-2;
    outcome f;
    columnar_file(&csv, 9000, bad, variant == 2 ? 7000 : -1);
    path = rewrite_file("columnar.csv", csv.data, csv.len);
    for (int cfg = 0; cfg < 4; cfg++) {
      static const size_t batch[] = {16384, 1000, 7, 16384};
      dusk_csvscan_options o;
      char ctx[96];
      memset(&o, 0, sizeof o);
      o.path = path;
      o.sep = ',';
      o.end = csv.len;
      o.data_start = 15;
      o.ncols_file = 5;
      o.col_map = cfg == 3 ? rmap : map;
      o.types = cfg == 3 ? rtypes : types;
      o.nout = cfg == 3 ? 3 : 5;
      o.batch_rows = batch[cfg];
      o.max_field = 1 << 20;
      o.nulls_only = cfg == 3 ? ronly : (cfg == 1 ? NULL : only);
      snprintf(ctx, sizeof ctx, "columnar variant %d cfg %d", variant, cfg);
      scan_both(&o, 0, 0, ctx, &f);
      if (variant == 1 && cfg != 3) {
        ck_assert_int_eq(f.rc, DUSK_EWIDEN);
        ck_assert_uint_eq(f.st.conflict.column, 3);
      }
      if (variant == 2)
        ck_assert_int_eq(f.rc, DUSK_EPARSE);
      outcome_destroy(&f);
      if (o.nulls_only != NULL) {
        ck_assert_int_eq(setenv("DUSK_CSV_FASTPATH", "1", 1), 0);
        assert_nulls_only_like_full(&o, ctx);
      }
      /* two ranges */
      {
        dusk_csvscan_options oa = o, ob = o;
        outcome a, b;
        oa.end = csv.len / 3;
        ob.start = csv.len / 3;
        scan_both(&oa, 0, 0, ctx, &a);
        scan_both(&ob, 0, 0, ctx, &b);
        outcome_destroy(&a);
        outcome_destroy(&b);
      }
    }
    dusk_buf_destroy(&csv);
  }
}
END_TEST

/* A larger file (fields longer than a 64-byte block, quotes now and then,
 * non-ASCII, CRLF, blank lines) read by every indexer, in full, as the
 * count path reads it, and with one int column, whole and in ranges. */
START_TEST(test_simd_levels_large) {
  static const char *const levels[] = {"swar", "sse2", "avx2"};
  static const int map_all[] = {0, 1, 2, 3};
  static const int map_one[] = {-1, -1, 0, -1};
  static const dusk_type types[] = {DUSK_TYPE_STRING, DUSK_TYPE_STRING,
                                    DUSK_TYPE_INT64, DUSK_TYPE_STRING};
  static const dusk_type one_type[] = {DUSK_TYPE_INT64};
  static const bool only[] = {true, true, false, true};
  dusk_buf csv;
  const char *path;
  char tmp[160];
  rng_state = 0x51DDull;
  dusk_buf_init(&csv);
  put(&csv, "a,b,c,d\n");
  for (size_t r = 0; r < 6000; r++) {
    uint64_t v = rng();
    size_t long_len = (v >> 8) % 150;
    memset(tmp, 'a' + (int)(v % 26), long_len);
    tmp[long_len] = '\0';
    if (v % 500 == 0)
      put(&csv, "\"q,\"\"x\"\"\",");
    else
      put(&csv, (v >> 20) % 9 == 0 ? "NA," : "w,");
    put(&csv, tmp);
    if ((v >> 30) % 300 == 0)
      put(&csv, "\xC3\xA9");
    snprintf(tmp, sizeof tmp, ",%u,%s", (unsigned)((v >> 40) % 1000),
             (v >> 50) % 7 == 0 ? "" : "d");
    put(&csv, tmp);
    put(&csv, (v >> 60) == 0 ? "\r\n\r\n" : ((v >> 58) & 1 ? "\r\n" : "\n"));
  }
  path = write_file("simd.csv", csv.data, csv.len);
  for (size_t l = 0; l < 3; l++) {
    ck_assert_int_eq(setenv("DUSK_CSV_SIMD", levels[l], 1), 0);
    for (int cfg = 0; cfg < 3; cfg++) {
      dusk_csvscan_options o;
      outcome f;
      char ctx[64];
      memset(&o, 0, sizeof o);
      o.path = path;
      o.sep = ',';
      o.end = csv.len;
      o.data_start = 8;
      o.ncols_file = 4;
      o.col_map = cfg == 2 ? map_one : map_all;
      o.types = cfg == 2 ? one_type : types;
      o.nout = cfg == 2 ? 1 : 4;
      o.nulls_only = cfg == 1 ? only : NULL;
      o.batch_rows = 1000;
      o.max_field = 1 << 20;
      snprintf(ctx, sizeof ctx, "simd %s cfg %d", levels[l], cfg);
      scan_both(&o, 0, 0, ctx, &f);
      ck_assert_int_eq(f.rc, 0);
      ck_assert_uint_eq(f.st.rows, 6000);
      ck_assert_uint_gt(f.st.fast_rows, 5000);
      outcome_destroy(&f);
      for (uint64_t cut = 1000; cut < csv.len; cut += csv.len / 5) {
        dusk_csvscan_options oa = o, ob = o;
        outcome a, b;
        oa.end = cut;
        ob.start = cut;
        ob.start_state = ref_state(csv.data, o.data_start, cut, ',');
        scan_both(&oa, 0, 0, ctx, &a);
        scan_both(&ob, 0, 0, ctx, &b);
        outcome_destroy(&a);
        outcome_destroy(&b);
      }
    }
  }
  unsetenv("DUSK_CSV_SIMD");
  dusk_buf_destroy(&csv);
}
END_TEST

/* ---- benchmark (not a test) --------------------------------------------- */

/* DUSK_CSVSCAN_BENCH=<file.csv> check_csvscan runs no tests: it scans the
 * whole file on this thread, first with one int column mapped
 * (PULocationID, else the file's fifth column), then with every column
 * mapped (PULocationID, DOLocationID and SR_Flag as int64, the rest as
 * strings), then as groupby(...).count() reads it (the same, with the
 * string columns nulls_only), each with the fast path on and off,
 * DUSK_CSVSCAN_BENCH_RUNS times (default 2, so the second run finds the
 * file in the page cache), and prints wall and CPU seconds and MB/s (10^6
 * bytes of file per second).  DUSK_CSVSCAN_BENCH_PATHS=fast (or libcsv)
 * runs one parser only, DUSK_CSVSCAN_BENCH_CFG=0, 1 or 2 one of the three
 * column sets. */

typedef struct bench_sink {
  uint64_t rows;
  int64_t sum;        /* of the int values, so the work cannot be skipped */
  uint64_t str_bytes; /* of the arenas */
} bench_sink;

static int bench_fn(void *arg, dusk_batch *b) {
  bench_sink *k = arg;
  k->rows += b->nrows;
  for (size_t c = 0; c < b->ncols; c++) {
    const dusk_column *col = &b->cols[c];
    if (col->type != DUSK_TYPE_INT64)
      continue;
    for (size_t r = 0; r < b->nrows; r++)
      if (col->valid[r])
        k->sum += col->i64[r];
  }
  k->str_bytes += b->arena_len;
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process, user and system (on a busy machine a
 * steadier measure than the wall clock). */
static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int is_int_column(const char *name) {
  return strcmp(name, "PULocationID") == 0 ||
         strcmp(name, "DOLocationID") == 0 || strcmp(name, "SR_Flag") == 0;
}

static int run_bench(const char *path) {
  static const char *const modes[] = {"1", "0"};
  static const char *const cfg_names[] = {NULL, "all columns", "count path"};
  const char *runs_env = getenv("DUSK_CSVSCAN_BENCH_RUNS");
  const char *which = getenv("DUSK_CSVSCAN_BENCH_PATHS");
  const char *cfg_env = getenv("DUSK_CSVSCAN_BENCH_CFG");
  int runs = runs_env != NULL ? atoi(runs_env) : 2;
  size_t m0 = which != NULL && strcmp(which, "libcsv") == 0 ? 1 : 0;
  size_t m1 = which != NULL && strcmp(which, "fast") == 0 ? 1 : 2;
  bool *nulls;
  char **names;
  size_t ncols, one = 4;
  uint64_t ds;
  struct stat sb;
  dusk_error err;
  int *map;
  dusk_type *types;
  int rc = EXIT_SUCCESS;

  if (dusk_csv_read_header(path, ',', &names, &ncols, &ds, &err) != 0) {
    fprintf(stderr, "%s\n", err.message);
    return EXIT_FAILURE;
  }
  if (stat(path, &sb) != 0) {
    perror(path);
    return EXIT_FAILURE;
  }
  map = calloc(ncols, sizeof *map);
  types = calloc(ncols, sizeof *types);
  nulls = calloc(ncols, sizeof *nulls);
  if (map == NULL || types == NULL || nulls == NULL) {
    fprintf(stderr, "out of memory\n");
    return EXIT_FAILURE;
  }
  for (size_t k = 0; k < ncols; k++)
    if (strcmp(names[k], "PULocationID") == 0)
      one = k;
  if (one >= ncols)
    one = 0;
  printf("%s: %.1f MB, %zu columns\n", path, (double)sb.st_size / 1e6, ncols);
  for (int cfg = 0; cfg < 3; cfg++) {
    size_t nout = 0;
    if (cfg_env != NULL && atoi(cfg_env) != cfg)
      continue;
    for (size_t k = 0; k < ncols; k++) {
      if (cfg == 0) {
        map[k] = k == one ? 0 : -1;
        if (k == one)
          types[nout++] = DUSK_TYPE_INT64;
      } else {
        map[k] = (int)k;
        nulls[nout] = cfg == 2;
        types[nout++] =
            is_int_column(names[k]) ? DUSK_TYPE_INT64 : DUSK_TYPE_STRING;
      }
    }
    for (size_t m = m0; m < m1; m++) {
      setenv("DUSK_CSV_FASTPATH", modes[m], 1);
      for (int run = 0; run < runs; run++) {
        dusk_csvscan_options o;
        dusk_csvscan_stats st;
        bench_sink sink;
        double t0, c0, t, c;
        memset(&o, 0, sizeof o);
        memset(&sink, 0, sizeof sink);
        o.path = path;
        o.sep = ',';
        o.end = (uint64_t)sb.st_size;
        o.data_start = ds;
        o.ncols_file = ncols;
        o.col_map = map;
        o.types = types;
        o.nout = nout;
        o.batch_rows = 16384;
        o.max_field = 1 << 20;
        o.nulls_only = cfg == 2 ? nulls : NULL;
        t0 = now_s();
        c0 = cpu_s();
        if (dusk_csvscan_run(&o, bench_fn, &sink, &st, &err) != 0) {
          fprintf(stderr, "%s\n", err.message);
          rc = EXIT_FAILURE;
          goto out;
        }
        t = now_s() - t0;
        c = cpu_s() - c0;
        printf("%-12s fastpath=%s run %d: %6.3f s %5.0f MB/s, cpu %6.3f s "
               "%5.0f MB/s; rows %" PRIu64 " int sum %" PRId64
               " string bytes %" PRIu64 "\n",
               cfg == 0 ? names[one] : cfg_names[cfg], modes[m], run + 1, t,
               (double)sb.st_size / 1e6 / t, c, (double)sb.st_size / 1e6 / c,
               sink.rows, sink.sum, sink.str_bytes);
        fflush(stdout);
      }
    }
  }
out:
  unsetenv("DUSK_CSV_FASTPATH");
  for (size_t k = 0; k < ncols; k++)
    free(names[k]);
  free(names);
  free(map);
  free(types);
  free(nulls);
  return rc;
}

/* The cases that scan files, with the fast path allowed or not (mode:
 * "fast path" or "libcsv", which names the test cases). */
static void add_scan_cases(Suite *s, int fast) {
  void (*fixture)(void) = fast ? setup_fast : setup_libcsv;
  TCase *tc;

  tc = tcase_create(fast ? "splits (fast path)" : "splits (libcsv)");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, fixture, teardown);
  tcase_add_loop_test(tc, test_whole_file, 0, (int)NFILES);
  tcase_add_loop_test(tc, test_every_split, 0, (int)NFILES);
  tcase_add_loop_test(tc, test_three_way_splits, 0, (int)NFILES);
  tcase_add_test(tc, test_wrong_guess_differs);
  tcase_add_test(tc, test_wrong_guess_transfer_still_exact);
  tcase_add_test(tc, test_transfer_of_file_range);
  tcase_add_test(tc, test_large_file_splits);
  suite_add_tcase(s, tc);

  tc = tcase_create(fast ? "scan (fast path)" : "scan (libcsv)");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, fixture, teardown);
  tcase_add_test(tc, test_batches_and_early_stop);
  tcase_add_test(tc, test_cancel);
  tcase_add_test(tc, test_column_skipping);
  tcase_add_test(tc, test_other_separator);
  tcase_add_test(tc, test_empty_ranges);
  suite_add_tcase(s, tc);

  tc = tcase_create(fast ? "malformed (fast path)" : "malformed (libcsv)");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, fixture, teardown);
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
}

int main(void) {
  Suite *s = suite_create("csvscan");
  TCase *tc;
  const char *bench = getenv("DUSK_CSVSCAN_BENCH");

  if (bench != NULL && *bench != '\0')
    return run_bench(bench);

  add_scan_cases(s, 1);
  add_scan_cases(s, 0);

  tc = tcase_create("fastpath");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_fast_plain_large);
  tcase_add_test(tc, test_fast_buffer_edge_sweep);
  tcase_add_test(tc, test_fast_mixed_quotes);
  tcase_add_test(tc, test_fast_literal_quotes);
  tcase_add_test(tc, test_fast_errors);
  tcase_add_test(tc, test_no_na_columns);
  tcase_add_test(tc, test_datetime_column_misfits);
  tcase_add_test(tc, test_fast_max_field_exact);
  tcase_add_test(tc, test_fast_na_and_ints);
  tcase_add_test(tc, test_fast_separators_and_blanks);
  tcase_add_test(tc, test_fast_wide_records);
  tcase_add_test(tc, test_fast_stop_and_cancel);
  tcase_add_test(tc, test_fast_env);
  tcase_add_loop_test(tc, test_fast_random_files, 0, 6);
  suite_add_tcase(s, tc);

  tc = tcase_create("nulls_only and SIMD levels");
  tcase_set_timeout(tc, 180);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_na_prefilter);
  tcase_add_test(tc, test_nulls_only_values);
  tcase_add_test(tc, test_columnar_large);
  tcase_add_test(tc, test_simd_levels_large);
  tcase_add_loop_test(tc, test_nulls_only_random_files, 0, 4);
  tcase_add_loop_test(tc, test_simd_levels_random_files, 0, 2);
  suite_add_tcase(s, tc);

  tc = tcase_create("header");
  tcase_set_timeout(tc, 30);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_header_errors);
  tcase_add_test(tc, test_header_ok);
  tcase_add_test(tc, test_header_pandas_names);
  suite_add_tcase(s, tc);

  return tu_run_suite(s);
}
