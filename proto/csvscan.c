/* csvscan.c - one byte range of a CSV file as column batches.
 *
 * Two layers read every byte.  A record splitter of our own finds where each
 * record starts and ends: the quote state is the parity of '"' bytes (the
 * RFC 4180 invariant the scheduler relies on to cut files into ranges), and
 * '\r' or '\n' outside quotes ends a record.  libcsv then parses each record
 * into fields, fed exactly the bytes of that record (across read buffers
 * when a record spans them), so we always know the byte offset of the
 * record we are in, we never parse a record the range does not own, and we
 * can check that libcsv ended exactly one row where the splitter ended the
 * record.
 *
 * The two agree only if quoting follows RFC 4180: a quote opens a field,
 * "" inside a quoted field is a quote, and a closing quote is followed by
 * the separator or the line end.  libcsv runs in strict mode, so anything
 * else (a quote inside an unquoted field like 5'10", text after a closing
 * quote) is DUSK_EPARSE naming the byte.  pandas would read those as
 * literal quotes, but then quote parity no longer tells whether a newline
 * ends a record, and no range but the first could be read on its own.
 *
 * pandas compatibility beyond RFC 4180: blank lines and lines of only
 * spaces and tabs are skipped (skip_blank_lines); a lone '\r' ends a line
 * like '\n' and "\r\n"; spaces inside fields are kept (libcsv would trim
 * them by default).
 *
 * libcsv grows its field buffer without limit; ours is capped through
 * csv_set_realloc_func at max_field + 2 (libcsv keeps a quoted field's
 * closing quote until the field ends, and wants a free byte before every
 * input byte, even a separator), so a runaway quoted field costs max_field
 * bytes and becomes DUSK_EPARSE; the field callback checks the exact
 * length.  The realloc hook has no user pointer, so the cap travels in
 * a thread-local set around every libcsv call. */
#include "csvscan.h"

#include "fieldparse.h"
#include "hashmap.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes read per pread. */
#define READ_CHUNK ((size_t)1 << 20)
/* A batch is delivered early (before batch_rows) once its strings take
 * this much arena, so wide string rows do not hold cap * row-size bytes. */
#define ARENA_SOFT_LIMIT ((size_t)64 << 20)
/* Longest header (including blank lines before it) read_header accepts. */
#define HEADER_MAX ((size_t)1 << 20)
/* Internal: fn asked to stop. */
#define SCAN_STOP 1

/* ---- libcsv allocation cap --------------------------------------------- */

typedef struct csv_alloc {
  size_t limit; /* largest entry buffer libcsv may have */
  size_t cap;   /* bytes actually allocated (we grow geometrically) */
  int refused;  /* the last request was over the limit */
} csv_alloc;

static _Thread_local csv_alloc *tl_alloc;

/* libcsv asks for its buffer plus blk_size bytes at a time and halves the
 * increment on failure down to one byte; we hand out geometric growth and
 * refuse anything past the limit, so the buffer ends exactly at it. */
static void *capped_realloc(void *p, size_t n) {
  csv_alloc *a = tl_alloc;
  size_t want;
  void *q;
  if (a == NULL)
    return realloc(p, n);
  if (n > a->limit) {
    a->refused = 1;
    return NULL;
  }
  a->refused = 0;
  if (p != NULL && n <= a->cap)
    return p;
  want = a->cap > a->limit / 2 ? a->limit : a->cap * 2;
  if (want < n)
    want = n;
  q = realloc(p, want);
  if (q != NULL)
    a->cap = want;
  return q;
}

static int no_space(unsigned char c) {
  (void)c;
  return 0;
}

static int is_term(unsigned char c) { return c == '\r' || c == '\n'; }

static int csv_setup(struct csv_parser *p, char sep, csv_alloc *a,
                     size_t max_field) {
  if (csv_init(p, CSV_STRICT | CSV_STRICT_FINI) != 0)
    return DUSK_ENOMEM;
  csv_set_delim(p, (unsigned char)sep);
  csv_set_quote(p, '"');
  /* No trimming: pandas keeps spaces inside fields.  The default line-end
   * test (CR or LF) is already ours, and cheaper than a callback. */
  csv_set_space_func(p, no_space);
  csv_set_realloc_func(p, capped_realloc);
  a->limit = max_field + 2;
  a->cap = 0;
  a->refused = 0;
  return 0;
}

/* Byte classes for the record splitter: 1 for '"', 2 for '\r' and '\n'. */
static const unsigned char byte_class[256] = {
    ['"'] = 1, ['\r'] = 2, ['\n'] = 2};

/* ---- UTF-8 -------------------------------------------------------------- */

/* Returns len when p[0..len) is valid UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF), else the index of the first bad byte. */
static size_t utf8_check(const unsigned char *p, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned c;
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (i + 8 <= len) {
      uint64_t w;
      memcpy(&w, p + i, 8);
      if ((w & UINT64_C(0x8080808080808080)) == 0) {
        i += 8;
        continue;
      }
    }
    c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0)
        lo = 0xA0;
      else if (c == 0xED)
        hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0)
        lo = 0x90;
      else if (c == 0xF4)
        hi = 0x8F;
    } else {
      return i;
    }
    if (len - i - 1 < need)
      return i;
    if (p[i + 1] < lo || p[i + 1] > hi)
      return i;
    for (size_t k = 2; k <= need; k++)
      if ((p[i + k] & 0xC0) != 0x80)
        return i;
    i += need + 1;
  }
  return len;
}

/* ---- the scan ----------------------------------------------------------- */

enum scan_state {
  ST_SKIP,    /* looking for the separator before the first owned record */
  ST_BETWEEN, /* after a record separator */
  ST_WS,      /* a record that so far holds only spaces/tabs */
  ST_RECORD   /* inside a record */
};

typedef struct scan {
  const dusk_csvscan_options *o;
  dusk_error *err;
  dusk_csvscan_stats *stats;
  int fd;
  uint64_t size;       /* file size */
  uint64_t pend;       /* min(end, size): end of the parity range */
  char *buf;           /* READ_CHUNK bytes */
  size_t buf_len;      /* valid bytes in buf */
  uint64_t buf_off;    /* file offset of buf[0] */
  uint64_t parity_pos; /* next offset to count quotes from */
  unsigned quotes;     /* quote count (mod 2 is what matters) so far */

  struct csv_parser csv;
  int csv_live;
  csv_alloc alloc;
  dusk_batch batch;
  int batch_live;
  int *out_src; /* per output column: its file column */

  /* The record being parsed. */
  uint64_t rec_start; /* its byte offset */
  size_t field;       /* fields libcsv has ended in it */
  size_t rows;        /* rows libcsv has ended in it */
  int rc;             /* first error raised inside a libcsv callback */

  /* Leading spaces/tabs of a record, held back until we know the line is
   * not blank (pandas skips lines of only whitespace). */
  char *ws;
  size_t ws_len, ws_cap;
  int ws_over; /* more than max_field + 1 of them */

  uint64_t delivered; /* rows handed to fn */
} scan;

static int io_error(scan *s, int e, const char *what) {
  return dusk_error_set(s->err, -e, "%s: %s: %s", s->o->path, what,
                        strerror(e));
}

/* Counts the quotes of buf[0..n) (at file offset off) that lie in
 * [parity_pos, pend). */
static void count_quotes(scan *s, const char *p, size_t n, uint64_t off) {
  uint64_t lo = s->parity_pos > off ? s->parity_pos : off;
  uint64_t hi = off + n < s->pend ? off + n : s->pend;
  const char *q, *e;
  if (lo >= hi)
    return;
  q = p + (lo - off);
  e = p + (hi - off);
  while ((q = memchr(q, '"', (size_t)(e - q))) != NULL) {
    s->quotes++;
    q++;
  }
  s->parity_pos = hi;
}

/* Reads the buffer at file offset off; buf_len 0 means end of file. */
static int fill(scan *s, uint64_t off) {
  size_t want;
  ssize_t n;
  s->buf_off = off;
  s->buf_len = 0;
  if (off >= s->size)
    return 0;
  /* Never past the size seen at open: a file growing under the scan does
   * not change what a range owns. */
  want = s->size - off < READ_CHUNK ? (size_t)(s->size - off) : READ_CHUNK;
  do
    n = pread(s->fd, s->buf, want, (off_t)off);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return io_error(s, errno, "read");
  s->buf_len = (size_t)n;
  s->stats->bytes += (uint64_t)n;
  count_quotes(s, s->buf, s->buf_len, off);
  return 0;
}

/* After an error the scheduler still wants this range's parity (to check
 * the neighbours' guesses without rerunning it): read the rest of the range
 * just to count quotes.  -1 when that fails too. */
static void finish_parity(scan *s) {
  while (s->parity_pos < s->pend) {
    uint64_t before = s->parity_pos;
    if (fill(s, s->parity_pos) != 0 || s->buf_len == 0 ||
        s->parity_pos == before) {
      s->stats->quote_parity = -1;
      return;
    }
  }
  s->stats->quote_parity = (int)(s->quotes & 1u);
}

static dusk_type widen(dusk_type a, dusk_type b) {
  if (a == b)
    return a;
  if ((a == DUSK_TYPE_INT64 && b == DUSK_TYPE_FLOAT64) ||
      (a == DUSK_TYPE_FLOAT64 && b == DUSK_TYPE_INT64))
    return DUSK_TYPE_FLOAT64;
  return DUSK_TYPE_STRING;
}

static const char *type_name(dusk_type t) {
  switch (t) {
  case DUSK_TYPE_BOOL:
    return "bool";
  case DUSK_TYPE_INT64:
    return "int64";
  case DUSK_TYPE_FLOAT64:
    return "float64";
  case DUSK_TYPE_STRING:
    return "string";
  default:
    return "null";
  }
}

/* A value that does not fit its column: fill the conflict for the
 * scheduler, which widens the column and reruns. */
static int conflict(scan *s, size_t out, size_t fcol, const char *p,
                    size_t len) {
  dusk_csvscan_conflict *c = &s->stats->conflict;
  dusk_type have = s->o->types[out];
  size_t n = len < sizeof c->value - 1 ? len : sizeof c->value - 1;
  char sample[64];

  /* Cut at a character boundary so the sample stays valid UTF-8. */
  if (n < len)
    while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
      n--;
  c->column = out;
  c->widened = widen(have, dusk_field_infer(p, len));
  c->offset = s->rec_start;
  memcpy(c->value, p, n);
  c->value[n] = '\0';
  dusk_sanitize(sample, sizeof sample, p, len);
  return dusk_error_set(s->err, DUSK_EWIDEN,
                        "%s: record at offset %" PRIu64
                        ", file column %zu (output column %zu): \"%s\" is "
                        "not %s; the column needs %s",
                        s->o->path, s->rec_start, fcol, out, sample,
                        type_name(have), type_name(c->widened));
}

static int convert(scan *s, size_t fcol, size_t out, const char *p,
                   size_t len) {
  dusk_column *col = &s->batch.cols[out];
  size_t r = s->batch.nrows;
  int rc;

  if (dusk_field_is_na(p, len)) {
    col->valid[r] = 0;
    switch (col->type) {
    case DUSK_TYPE_BOOL:
      col->b[r] = 0;
      break;
    case DUSK_TYPE_INT64:
      col->i64[r] = 0;
      break;
    case DUSK_TYPE_FLOAT64:
      col->f64[r] = 0;
      break;
    case DUSK_TYPE_STRING:
      col->str_off[r] = 0;
      col->str_len[r] = 0;
      break;
    default:
      break;
    }
    return 0;
  }
  col->valid[r] = 1;
  switch (col->type) {
  case DUSK_TYPE_BOOL: {
    bool v;
    if (dusk_field_parse_bool(p, len, &v) != 0)
      return conflict(s, out, fcol, p, len);
    col->b[r] = v;
    return 0;
  }
  case DUSK_TYPE_INT64:
    if (dusk_field_parse_int64(p, len, &col->i64[r]) != 0)
      return conflict(s, out, fcol, p, len);
    return 0;
  case DUSK_TYPE_FLOAT64:
    if (dusk_field_parse_float64(p, len, &col->f64[r]) != 0)
      return conflict(s, out, fcol, p, len);
    return 0;
  case DUSK_TYPE_STRING: {
    size_t bad = utf8_check((const unsigned char *)p, len);
    if (bad != len)
      return dusk_error_set(s->err, DUSK_EPARSE,
                            "%s: record at offset %" PRIu64
                            ", file column %zu (output column %zu): invalid "
                            "UTF-8 at byte %zu of the value",
                            s->o->path, s->rec_start, fcol, out, bad);
    rc = dusk_batch_arena_add(&s->batch, p, len, &col->str_off[r]);
    if (rc != 0)
      return dusk_error_set(s->err, rc,
                            "%s: record at offset %" PRIu64
                            ": string data of one batch over 4 GiB",
                            s->o->path, s->rec_start);
    col->str_len[r] = (uint32_t)len;
    return 0;
  }
  default:
    return 0;
  }
}

static int field_too_long(scan *s) {
  return dusk_error_set(s->err, DUSK_EPARSE,
                        "%s: field longer than max_field (%zu) bytes in "
                        "the record at offset %" PRIu64,
                        s->o->path, s->o->max_field, s->rec_start);
}

/* libcsv: a field ended. */
static void on_field(void *data, size_t len, void *arg) {
  scan *s = arg;
  size_t k = s->field++;
  int out;
  if (s->rc != 0)
    return;
  if (len > s->o->max_field) {
    s->rc = field_too_long(s);
    return;
  }
  if (k >= s->o->ncols_file)
    return; /* ragged: counted, reported at the row's end */
  out = s->o->col_map[k];
  if (out < 0)
    return;
  s->rc = convert(s, k, (size_t)out, data, len);
}

/* libcsv: a row ended. */
static void on_row(int c, void *arg) {
  scan *s = arg;
  (void)c;
  s->rows++;
  if (s->rc != 0)
    return;
  if (s->rows > 1) {
    s->rc = dusk_error_set(s->err, DUSK_EPARSE,
                           "%s: record at offset %" PRIu64
                           " split into two rows by the parser",
                           s->o->path, s->rec_start);
    return;
  }
  if (s->field != s->o->ncols_file) {
    s->rc = dusk_error_set(
        s->err, DUSK_EPARSE,
        "%s: record at offset %" PRIu64 " has %zu fields, expected %zu",
        s->o->path, s->rec_start, s->field, s->o->ncols_file);
    return;
  }
  s->batch.nrows++;
}

/* Feeds p[0..n) (file offset off) of the current record to libcsv. */
static int feed(scan *s, const char *p, size_t n, uint64_t off) {
  csv_alloc *prev = tl_alloc;
  size_t got;
  tl_alloc = &s->alloc;
  got = csv_parse(&s->csv, p, n, on_field, on_row, s);
  tl_alloc = prev;
  if (s->rc != 0)
    return s->rc;
  if (got == n)
    return 0;
  switch (csv_error(&s->csv)) {
  case CSV_EPARSE:
    return dusk_error_set(
        s->err, DUSK_EPARSE,
        "%s: bad quoting at offset %" PRIu64 " (record at offset %" PRIu64
        "): a quote inside an unquoted field or text after a closing "
        "quote; quoting must follow RFC 4180",
        s->o->path, off + got, s->rec_start);
  case CSV_ENOMEM:
    if (s->alloc.refused)
      return field_too_long(s);
    return dusk_error_set(s->err, DUSK_ENOMEM, "%s: out of memory", s->o->path);
  default:
    return dusk_error_set(
        s->err, DUSK_EPARSE, "%s: parser stopped at offset %" PRIu64 ": %s",
        s->o->path, off + got, csv_strerror(csv_error(&s->csv)));
  }
}

/* The last record has no line end: end it with csv_fini. */
static int fini(scan *s) {
  csv_alloc *prev = tl_alloc;
  int r;
  tl_alloc = &s->alloc;
  r = csv_fini(&s->csv, on_field, on_row, s);
  tl_alloc = prev;
  if (s->rc != 0)
    return s->rc;
  if (r != 0)
    return dusk_error_set(s->err, DUSK_EPARSE,
                          "%s: quoted field not terminated at end of file "
                          "(record at offset %" PRIu64 ")",
                          s->o->path, s->rec_start);
  return 0;
}

/* Hands the batch to fn.  0, SCAN_STOP, or a negative code. */
static int deliver(scan *s, dusk_csvscan_fn fn, void *arg) {
  int rc;
  if (s->batch.nrows == 0)
    return 0;
  s->batch.first_row = s->delivered;
  s->delivered += s->batch.nrows;
  s->stats->rows = s->delivered;
  rc = fn(arg, &s->batch);
  dusk_batch_clear(&s->batch);
  if (rc > 0)
    return SCAN_STOP;
  if (rc < 0)
    return dusk_error_set(s->err, rc, "%s: batch consumer failed: %s",
                          s->o->path, dusk_strerror(rc));
  if (s->o->canceled != NULL && *s->o->canceled)
    return dusk_error_set(s->err, DUSK_ECANCELED, "%s: scan canceled",
                          s->o->path);
  return 0;
}

/* A record ended (line end seen and fed, or csv_fini). */
static int end_record(scan *s, dusk_csvscan_fn fn, void *arg) {
  if (s->rows != 1)
    return dusk_error_set(s->err, DUSK_EPARSE,
                          "%s: record at offset %" PRIu64
                          " did not end where its line ends",
                          s->o->path, s->rec_start);
  if (s->batch.nrows == s->batch.cap || s->batch.arena_len >= ARENA_SOFT_LIMIT)
    return deliver(s, fn, arg);
  return 0;
}

static int ws_push(scan *s, char c) {
  if (s->ws_over)
    return 0;
  if (s->ws_len == s->ws_cap) {
    size_t cap = s->ws_cap ? s->ws_cap * 2 : 64;
    char *p;
    if (s->ws_len >= s->o->max_field + 1) {
      s->ws_over = 1; /* any field holding these is too long anyway */
      return 0;
    }
    if (cap > s->o->max_field + 1)
      cap = s->o->max_field + 1;
    p = realloc(s->ws, cap);
    if (p == NULL)
      return dusk_error_set(s->err, DUSK_ENOMEM, "%s: out of memory",
                            s->o->path);
    s->ws = p;
    s->ws_cap = cap;
  }
  s->ws[s->ws_len++] = c;
  return 0;
}

static int check_options(const dusk_csvscan_options *o, dusk_error *err) {
  const char *path = o->path ? o->path : "(null)";
  if (o->path == NULL || o->ncols_file == 0 || o->batch_rows == 0 ||
      o->max_field == 0 || o->col_map == NULL ||
      (o->nout > 0 && o->types == NULL))
    return dusk_error_set(err, DUSK_EINVAL, "%s: invalid scan options", path);
  if (o->sep == '"' || o->sep == '\r' || o->sep == '\n' || o->sep == '\0')
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: the separator cannot be a quote, a line end "
                          "or NUL",
                          path);
  if (o->max_field > (size_t)UINT32_MAX)
    return dusk_error_set(err, DUSK_EINVAL, "%s: max_field over 4 GiB", path);
  for (size_t i = 0; i < o->nout; i++)
    if (o->types[i] < DUSK_TYPE_BOOL || o->types[i] > DUSK_TYPE_STRING)
      return dusk_error_set(err, DUSK_EINVAL,
                            "%s: output column %zu has no type", path, i);
  return 0;
}

/* Maps every output column to exactly one file column. */
static int map_columns(scan *s) {
  const dusk_csvscan_options *o = s->o;
  s->out_src = malloc((o->nout ? o->nout : 1) * sizeof *s->out_src);
  if (s->out_src == NULL)
    return dusk_error_set(s->err, DUSK_ENOMEM, "%s: out of memory", o->path);
  for (size_t i = 0; i < o->nout; i++)
    s->out_src[i] = -1;
  for (size_t k = 0; k < o->ncols_file; k++) {
    int out = o->col_map[k];
    if (out < 0)
      continue;
    if ((size_t)out >= o->nout || s->out_src[out] >= 0)
      return dusk_error_set(s->err, DUSK_EINVAL,
                            "%s: column map: file column %zu maps to "
                            "output column %d (%zu outputs, each mapped "
                            "once)",
                            o->path, k, out, o->nout);
    s->out_src[out] = (int)k;
  }
  for (size_t i = 0; i < o->nout; i++)
    if (s->out_src[i] < 0)
      return dusk_error_set(s->err, DUSK_EINVAL,
                            "%s: column map: output column %zu has no "
                            "file column",
                            o->path, i);
  return 0;
}

/* The record loop.  0 at the end of the range, SCAN_STOP, or an error. */
static int run_records(scan *s, dusk_csvscan_fn fn, void *arg) {
  const dusk_csvscan_options *o = s->o;
  enum scan_state st;
  uint64_t pos;
  int inq, rc;
  const unsigned char sep = (unsigned char)o->sep;

  if (o->canceled != NULL && *o->canceled)
    return dusk_error_set(s->err, DUSK_ECANCELED, "%s: scan canceled", o->path);

  if (o->start <= o->data_start) {
    /* Parsing starts at data_start, but the parity covers [start, end):
     * count the header bytes too. */
    uint64_t upto = o->data_start < s->pend ? o->data_start : s->pend;
    while (s->parity_pos < upto) {
      rc = fill(s, s->parity_pos);
      if (rc != 0)
        return rc;
      if (s->buf_len == 0)
        break;
    }
    pos = o->data_start;
    st = ST_BETWEEN;
    inq = 0;
  } else {
    /* Byte start-1 decides whether start itself begins a record. */
    if (o->start - 1 >= s->size)
      return 0;
    rc = fill(s, o->start - 1);
    if (rc != 0)
      return rc;
    inq = o->start_in_quotes;
    st = (!inq && is_term((unsigned char)s->buf[0])) ? ST_BETWEEN : ST_SKIP;
    pos = o->start;
  }

  for (;;) {
    const char *b;
    size_t n, i = 0;

    if (pos >= s->buf_off + s->buf_len || pos < s->buf_off) {
      if (o->canceled != NULL && *o->canceled)
        return dusk_error_set(s->err, DUSK_ECANCELED, "%s: scan canceled",
                              o->path);
      rc = fill(s, pos);
      if (rc != 0)
        return rc;
      if (s->buf_len == 0)
        break; /* end of file */
    }
    b = s->buf + (pos - s->buf_off);
    n = (size_t)(s->buf_off + s->buf_len - pos);

    while (i < n) {
      unsigned char c;
      switch (st) {
      case ST_SKIP:
        for (; i < n; i++) {
          /* No separator before `end`: the first record would start at
           * or after it, so this range owns nothing. */
          if (pos + i >= o->end)
            return 0;
          c = (unsigned char)b[i];
          if (byte_class[c] == 1) {
            inq = !inq;
          } else if (byte_class[c] == 2 && !inq) {
            i++;
            st = ST_BETWEEN;
            break;
          }
        }
        break;

      case ST_BETWEEN:
        c = (unsigned char)b[i];
        if (is_term(c)) {
          i++;
          break;
        }
        if (pos + i >= o->end)
          return 0; /* the next range's record */
        s->rec_start = pos + i;
        s->field = 0;
        s->rows = 0;
        s->ws_len = 0;
        s->ws_over = 0;
        st = ((c == ' ' || c == '\t') && c != sep) ? ST_WS : ST_RECORD;
        break;

      case ST_WS:
        c = (unsigned char)b[i];
        if ((c == ' ' || c == '\t') && c != sep) {
          rc = ws_push(s, (char)c);
          if (rc != 0)
            return rc;
          i++;
        } else if (is_term(c)) {
          st = ST_BETWEEN; /* a blank line */
        } else {
          if (s->ws_over)
            return field_too_long(s);
          rc = feed(s, s->ws, s->ws_len, s->rec_start);
          if (rc != 0)
            return rc;
          st = ST_RECORD;
        }
        break;

      case ST_RECORD: {
        size_t j = i;
        int found = 0;
        for (; j < n; j++) {
          unsigned cls = byte_class[(unsigned char)b[j]];
          if (cls == 1) {
            inq = !inq;
          } else if (cls == 2 && !inq) {
            found = 1;
            j++;
            break;
          }
        }
        rc = feed(s, b + i, j - i, pos + i);
        if (rc != 0)
          return rc;
        i = j;
        if (found) {
          st = ST_BETWEEN;
          rc = end_record(s, fn, arg);
          if (rc != 0)
            return rc;
        }
        break;
      }
      }
    }
    pos += n;
  }

  /* End of file. */
  if (st == ST_RECORD) {
    if (inq)
      return dusk_error_set(s->err, DUSK_EPARSE,
                            "%s: quoted field not terminated at end of file "
                            "(record at offset %" PRIu64 ")",
                            o->path, s->rec_start);
    rc = fini(s);
    if (rc != 0)
      return rc;
    rc = end_record(s, fn, arg);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int dusk_csvscan_run(const dusk_csvscan_options *o, dusk_csvscan_fn fn,
                     void *arg, dusk_csvscan_stats *stats, dusk_error *err) {
  dusk_csvscan_stats local_stats;
  scan s;
  struct stat sb;
  int rc;

  if (stats == NULL)
    stats = &local_stats;
  memset(stats, 0, sizeof *stats);
  stats->quote_parity = -1;
  dusk_error_clear(err);
  if (fn == NULL)
    return dusk_error_set(err, DUSK_EINVAL, "csvscan: no batch function");
  rc = check_options(o, err);
  if (rc != 0)
    return rc;

  memset(&s, 0, sizeof s);
  s.o = o;
  s.err = err;
  s.stats = stats;
  s.fd = open(o->path, O_RDONLY | O_CLOEXEC);
  if (s.fd < 0)
    return dusk_error_set(err, -errno, "%s: %s", o->path, strerror(errno));
  if (fstat(s.fd, &sb) != 0) {
    rc = io_error(&s, errno, "stat");
    goto out;
  }
  if (S_ISDIR(sb.st_mode)) {
    rc = dusk_error_set(err, -EISDIR, "%s: is a directory", o->path);
    goto out;
  }
  s.size = (uint64_t)sb.st_size;
  s.pend = o->end < s.size ? o->end : s.size;
  s.parity_pos = o->start;

  rc = map_columns(&s);
  if (rc != 0)
    goto out;
  s.buf = malloc(READ_CHUNK);
  if (s.buf == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", o->path);
    goto out;
  }
  rc = dusk_batch_init(&s.batch, o->types, o->nout, o->batch_rows);
  if (rc != 0) {
    rc = dusk_error_set(err, rc, "%s: out of memory for a batch of %zu rows",
                        o->path, o->batch_rows);
    goto out;
  }
  s.batch_live = 1;
  rc = csv_setup(&s.csv, o->sep, &s.alloc, o->max_field);
  if (rc != 0) {
    rc = dusk_error_set(err, rc, "%s: out of memory", o->path);
    goto out;
  }
  s.csv_live = 1;

  if (o->end > o->start && o->start < s.size)
    rc = run_records(&s, fn, arg);
  if (rc == 0)
    rc = deliver(&s, fn, arg); /* the last, partial batch */

  if (rc == 0) {
    finish_parity(&s);
  } else if (rc == SCAN_STOP) {
    /* Stopped early (head has its rows): reading the rest of the range
     * only to count quotes would undo the point of stopping, so the
     * parity is known only if the range was read already. */
    rc = 0;
    if (s.parity_pos >= s.pend)
      stats->quote_parity = (int)(s.quotes & 1u);
  } else if (rc == DUSK_EPARSE || rc == DUSK_EWIDEN) {
    /* The scheduler may rerun this range (wider type, other quote guess)
     * and still needs its parity to check the next ranges' guesses. */
    dusk_error saved;
    stats->error_offset = s.rec_start;
    if (err != NULL)
      saved = *err;
    finish_parity(&s);
    if (err != NULL)
      *err = saved;
  }

out:
  if (s.csv_live)
    csv_free(&s.csv);
  if (s.batch_live)
    dusk_batch_destroy(&s.batch);
  free(s.out_src);
  free(s.ws);
  free(s.buf);
  if (s.fd >= 0)
    close(s.fd);
  return rc;
}

/* ---- header -------------------------------------------------------------- */

typedef struct header_parse {
  char **names;
  size_t n, cap;
  int rc;
} header_parse;

static void on_header_field(void *data, size_t len, void *arg) {
  header_parse *h = arg;
  char *name;
  if (h->rc != 0)
    return;
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 16;
    char **p = realloc(h->names, cap * sizeof *p);
    if (p == NULL) {
      h->rc = DUSK_ENOMEM;
      return;
    }
    h->names = p;
    h->cap = cap;
  }
  name = malloc(len + 1);
  if (name == NULL) {
    h->rc = DUSK_ENOMEM;
    return;
  }
  memcpy(name, data, len);
  name[len] = '\0';
  h->names[h->n++] = name;
}

static void on_header_row(int c, void *arg) {
  (void)c;
  (void)arg;
}

static void free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* Header names as pandas 1.5's C parser makes them (TextReader._get_header):
 * an empty name becomes "Unnamed: <i>"; then, visiting named columns
 * before unnamed ones, a repeat of an earlier name becomes "<name>.<k>"
 * with the smallest k not yet used and not a name in the header.  The
 * table tracks, per name, how many header entries hold it now (`present`)
 * and pandas' `counts` value; it owns copies of its keys. */
typedef struct name_slot {
  char *key; /* NULL: empty slot */
  size_t len;
  uint64_t hash;
  size_t present;
  size_t count;
} name_slot;

typedef struct name_table {
  name_slot *slots;
  size_t cap, len; /* cap: a power of two */
} name_table;

static void nt_destroy(name_table *t) {
  for (size_t i = 0; i < t->cap; i++)
    free(t->slots[i].key);
  free(t->slots);
}

static name_slot *nt_probe(name_slot *slots, size_t cap, uint64_t h,
                           const char *k, size_t len) {
  size_t i = (size_t)h & (cap - 1);
  for (;; i = (i + 1) & (cap - 1)) {
    name_slot *s = &slots[i];
    if (s->key == NULL ||
        (s->hash == h && s->len == len && memcmp(s->key, k, len) == 0))
      return s;
  }
}

/* The slot of k; with create, adds it (zero counts).  NULL when absent
 * (create == 0) or out of memory. */
static name_slot *nt_get(name_table *t, const char *k, int create) {
  size_t len = strlen(k);
  uint64_t h = dusk_hash_bytes(k, len);
  name_slot *s;
  if (t->cap > 0) {
    s = nt_probe(t->slots, t->cap, h, k, len);
    if (s->key != NULL || !create)
      return s->key != NULL ? s : NULL;
  } else if (!create) {
    return NULL;
  }
  if ((t->len + 1) * 10 > t->cap * 7) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    name_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
      return NULL;
    for (size_t i = 0; i < t->cap; i++)
      if (t->slots[i].key != NULL)
        *nt_probe(slots, cap, t->slots[i].hash, t->slots[i].key,
                  t->slots[i].len) = t->slots[i];
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
  }
  s = nt_probe(t->slots, t->cap, h, k, len);
  s->key = malloc(len + 1);
  if (s->key == NULL)
    return NULL;
  memcpy(s->key, k, len + 1);
  s->len = len;
  s->hash = h;
  s->present = 0;
  s->count = 0;
  t->len++;
  return s;
}

static int pandas_names(char **names, size_t n) {
  name_table t = {NULL, 0, 0};
  size_t *order = NULL, no = 0;
  char *cand = NULL;
  int rc = DUSK_ENOMEM;

  order = malloc((n ? n : 1) * sizeof *order);
  if (order == NULL)
    goto out;
  for (size_t i = 0; i < n; i++)
    if (names[i][0] != '\0')
      order[no++] = i;
  for (size_t i = 0; i < n; i++) {
    if (names[i][0] == '\0') {
      char *p = malloc(32);
      if (p == NULL)
        goto out;
      snprintf(p, 32, "Unnamed: %zu", i);
      free(names[i]);
      names[i] = p;
      order[no++] = i;
    }
  }
  for (size_t i = 0; i < n; i++) {
    name_slot *s = nt_get(&t, names[i], 1);
    if (s == NULL)
      goto out;
    s->present++;
  }
  for (size_t o = 0; o < n; o++) {
    size_t i = order[o];
    const char *old = names[i];
    name_slot *s = nt_get(&t, old, 0);
    size_t cur = s ? s->count : 0;
    if (cur > 0) {
      while (cur > 0) {
        size_t clen = strlen(old) + 24;
        name_slot *c;
        s = nt_get(&t, old, 1);
        if (s == NULL)
          goto out;
        s->count = cur + 1;
        free(cand);
        cand = malloc(clen);
        if (cand == NULL)
          goto out;
        snprintf(cand, clen, "%s.%zu", old, cur);
        c = nt_get(&t, cand, 0);
        if (c != NULL && c->present > 0)
          cur++;
        else
          cur = c ? c->count : 0;
      }
      s = nt_get(&t, old, 0);
      s->present--;
      s = nt_get(&t, cand, 1);
      if (s == NULL)
        goto out;
      s->present++;
      free(names[i]);
      names[i] = cand;
      cand = NULL;
    }
    s = nt_get(&t, names[i], 1);
    if (s == NULL)
      goto out;
    s->count = cur + 1;
  }
  rc = 0;
out:
  free(cand);
  free(order);
  nt_destroy(&t);
  return rc;
}

static int read_full(int fd, char *buf, size_t want, uint64_t off,
                     size_t *got) {
  size_t n = 0;
  while (n < want) {
    ssize_t r = pread(fd, buf + n, want - n, (off_t)(off + n));
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -errno;
    if (r == 0)
      break;
    n += (size_t)r;
  }
  *got = n;
  return 0;
}

int dusk_csv_read_header(const char *path, char sep, char ***names,
                         size_t *ncols, uint64_t *data_start, dusk_error *err) {
  struct stat sb;
  header_parse h = {NULL, 0, 0, 0};
  struct csv_parser csv;
  csv_alloc alloc;
  csv_alloc *prev;
  char *buf = NULL;
  size_t n = 0, p = 0, t, len, got;
  uint64_t size, ds;
  int fd, rc = 0, inq = 0, csv_live = 0;

  *names = NULL;
  *ncols = 0;
  *data_start = 0;
  dusk_error_clear(err);
  if (path == NULL)
    return dusk_error_set(err, DUSK_EINVAL, "csv header: no path");
  if (sep == '"' || sep == '\r' || sep == '\n' || sep == '\0')
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: the separator cannot be a quote, a line end "
                          "or NUL",
                          path);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return dusk_error_set(err, -errno, "%s: %s", path, strerror(errno));
  if (fstat(fd, &sb) != 0) {
    rc = dusk_error_set(err, -errno, "%s: stat: %s", path, strerror(errno));
    goto out;
  }
  if (S_ISDIR(sb.st_mode)) {
    rc = dusk_error_set(err, -EISDIR, "%s: is a directory", path);
    goto out;
  }
  size = (uint64_t)sb.st_size;
  len = size < HEADER_MAX + 1 ? (size_t)size : HEADER_MAX + 1;
  buf = malloc(len ? len : 1);
  if (buf == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", path);
    goto out;
  }
  rc = read_full(fd, buf, len, 0, &n);
  if (rc != 0) {
    rc = dusk_error_set(err, rc, "%s: read: %s", path, strerror(-rc));
    goto out;
  }
  if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
    p = 3;
  if (p == n) {
    rc = dusk_error_set(err, DUSK_EPARSE, "%s: file is empty", path);
    goto out;
  }
  /* pandas skips blank lines and lines of only spaces/tabs before the
   * header too. */
  for (;;) {
    size_t q = p;
    while (q < n && (buf[q] == ' ' || buf[q] == '\t') && buf[q] != sep)
      q++;
    if (q < n && is_term((unsigned char)buf[q])) {
      p = q + 1;
      continue;
    }
    if (q == n) {
      if (n < size)
        rc = dusk_error_set(err, DUSK_EPARSE,
                            "%s: no header in the first %zu bytes", path,
                            HEADER_MAX);
      else
        rc = dusk_error_set(err, DUSK_EPARSE,
                            "%s: no header: the file holds only blank "
                            "lines",
                            path);
      goto out;
    }
    break;
  }
  for (t = p; t < n; t++) {
    unsigned cls = byte_class[(unsigned char)buf[t]];
    if (cls == 1)
      inq = !inq;
    else if (cls == 2 && !inq)
      break;
  }
  if (t == n) {
    if (n < size) {
      rc = dusk_error_set(err, DUSK_EPARSE, "%s: header longer than %zu bytes",
                          path, HEADER_MAX);
      goto out;
    }
    if (inq) {
      rc = dusk_error_set(err, DUSK_EPARSE,
                          "%s: quoted header field not terminated at end "
                          "of file",
                          path);
      goto out;
    }
    ds = n;
  } else {
    ds = t + 1;
    if (buf[t] == '\r') {
      char next = 0;
      if (t + 1 < n) {
        next = buf[t + 1];
      } else if (t + 1 < size) {
        rc = read_full(fd, &next, 1, t + 1, &got);
        if (rc != 0) {
          rc = dusk_error_set(err, rc, "%s: read: %s", path, strerror(-rc));
          goto out;
        }
      }
      if (next == '\n')
        ds++;
    }
    t++; /* feed the line end too */
  }

  rc = csv_setup(&csv, sep, &alloc, HEADER_MAX);
  if (rc != 0) {
    rc = dusk_error_set(err, rc, "%s: out of memory", path);
    goto out;
  }
  csv_live = 1;
  prev = tl_alloc;
  tl_alloc = &alloc;
  got = csv_parse(&csv, buf + p, t - p, on_header_field, on_header_row, &h);
  if (got == t - p && h.rc == 0 &&
      csv_fini(&csv, on_header_field, on_header_row, &h) != 0)
    got = 0;
  tl_alloc = prev;
  if (h.rc != 0) {
    rc = dusk_error_set(err, h.rc, "%s: out of memory", path);
    goto out;
  }
  if (got != t - p) {
    rc = dusk_error_set(err, DUSK_EPARSE,
                        "%s: bad quoting in the header at offset %zu: "
                        "quoting must follow RFC 4180",
                        path, p + got);
    goto out;
  }
  for (size_t i = 0; i < h.n; i++) {
    size_t l = strlen(h.names[i]);
    size_t bad = utf8_check((const unsigned char *)h.names[i], l);
    if (bad != l) {
      rc = dusk_error_set(err, DUSK_EPARSE,
                          "%s: header field %zu is not valid UTF-8", path,
                          i + 1);
      goto out;
    }
  }
  rc = pandas_names(h.names, h.n);
  if (rc != 0) {
    rc = dusk_error_set(err, rc, "%s: out of memory", path);
    goto out;
  }
  *names = h.names;
  *ncols = h.n;
  *data_start = ds;
  h.names = NULL;
  h.n = 0;

out:
  if (csv_live)
    csv_free(&csv);
  free_names(h.names, h.n);
  free(buf);
  close(fd);
  return rc;
}
