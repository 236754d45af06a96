/* csvscan.c - one byte range of a CSV file as column batches.
 *
 * Two layers read every byte.  A record splitter of our own finds where each
 * record starts and ends by running pandas' tokenizer states (csvscan.h,
 * dusk_csv_state; next_state below): a '"' opens quotes only at the start
 * of a field, so 37.8"N and 12" pizza are plain fields, and '\r' or '\n'
 * outside a quoted field ends a record.  libcsv then parses each record
 * into fields, fed exactly the bytes of that record (across read buffers
 * when a record spans them), so we always know the byte offset of the
 * record we are in, we never parse a record the range does not own, and we
 * can check that libcsv ended exactly one row where the splitter ended the
 * record.
 *
 * libcsv runs without CSV_STRICT, where it reads quotes as pandas does
 * (one at a field's start opens quoting, "" inside is a quote, one inside
 * an unquoted field is data) with one exception: text after a closing
 * quote ("ab"cd) makes pandas end the quoted part and go on unquoted
 * (abcd), while libcsv goes on inside the quotes.  The splitter sees that
 * case (a data byte in QUOTE_IN_QUOTES) and stops with DUSK_EPARSE naming
 * the byte, before libcsv could read it differently.
 *
 * Quote states across ranges.  A range cannot know the state at its start
 * (it might begin inside a quoted field), and with literal quotes the
 * state is not the parity of the quotes before it.  It is a function of
 * the bytes, though, and outside a quoted field it is mostly decided by
 * the byte just before (a separator or line end: FIELD_START; other
 * data: IN_FIELD).  So a range starts from the state the scheduler gives
 * it or guesses from that byte, and while reading its bytes it also runs
 * all four states side by side (qtrack: a transfer map, cheap because
 * only '"' bytes and the byte before them change a state that is not in
 * quotes), which the scheduler composes to check every range's start.
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
 * a thread-local set around every libcsv call.
 *
 * The fast path.  libcsv calls back once per field, which caps a core at a
 * few hundred MB/s.  Most files hold long runs of records without a
 * quoted field, and in such a record the rules (no trimming; a '"' after
 * the first byte of a field is data) are simple: a field is every byte up
 * to the separator, '\r' or '\n', and the line end ends the record.  So
 * between records we look for the next quote that may open a quoted field
 * (memchr, skipping quotes that follow a data byte; cached until we pass
 * it); every record that ends before it, inside the read buffer, is split
 * here.  64-byte blocks become
 * bitmasks of the separator and line-end bytes (SSE2, or eight bytes at a
 * time where there is none), and the set bits become an index of offsets;
 * each one ends a field.  A record whose line end is its ncols_file-th
 * entry and which is no longer than max_field is well formed, so only its
 * mapped fields are looked at, converted straight from the read buffer:
 * plain decimal ints and ASCII strings by shortcuts, the rest by the same
 * convert() as libcsv's fields.  Any other record is walked field by field
 * with on_field's checks in on_field's order (length, then conversion;
 * the field count at the line end), which find its error.  The record
 * holding that quote, a record crossing the buffer's end and a last record
 * without a line end go to libcsv as before; the fast path converts a
 * record only once it has found its end, so it never hands over one it
 * has begun.  Blank and whitespace-only lines are skipped and ownership
 * goes by a record's first byte, as below.  So both paths give the same
 * batches, byte for byte, and the same errors at the same offsets.
 * DUSK_CSV_FASTPATH=0 turns the fast path off (csvscan.h).
 *
 * Where the fast path's time goes, and what it does about it.  Indexing
 * uses 32-byte AVX2 compares where the CPU has them (checked at run time;
 * SSE2 and eight-bytes-at-a-time code otherwise, DUSK_CSV_SIMD=swar|sse2
 * forces one for tests), and writes a block's entries eight at a time
 * without a branch per entry.  The same pass notes whether any byte of
 * the span is not ASCII, so string fields of an ASCII span skip their
 * UTF-8 check.  When every mapped column is an int or a nulls_only
 * string (count()'s columns: csvscan.h), runs of well-formed records are
 * read a column at a time (fast_chunk): each column's loop is short and
 * keeps its pointers in registers, fields the shortcuts cannot decide are
 * converted afterwards in row order, so errors and batches are the
 * row-by-row ones.  A nulls_only string field costs a length and, for
 * one of up to 8 bytes, a first-byte table lookup (fieldparse.h). */
#include "csvscan.h"

#include "csvscan_simd.h"
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
/* A remote scan's reads past its range's end (the record crossing it). */
#define REMOTE_TAIL_READ ((size_t)16 << 10)
/* Zeroed bytes after the data in the read buffer, so the fast path may
 * load a few words past a field's end without reading past the buffer or
 * reading bytes no read wrote. */
#define READ_PAD ((size_t)64)
/* A batch is delivered early (before batch_rows) once its strings take
 * this much arena, so wide string rows do not hold cap * row-size bytes. */
#define ARENA_SOFT_LIMIT ((size_t)64 << 20)
/* What read_header reads first: most headers end well inside it. */
#define HEADER_FIRST_READ ((size_t)16 << 10)
/* Longest header (including blank lines before it) read_header accepts. */
#define HEADER_MAX ((size_t)1 << 20)
/* Internal: fn asked to stop. */
#define SCAN_STOP 1
/* Internal: the fast path reached the first record the range does not
 * own. */
#define SCAN_END 2
/* The fast path indexes up to this many separators and line ends of a
 * quote-free span at a time, FAST_IDX_STEP more per round.  A record of
 * more fields than the index holds is left to libcsv. */
#define FAST_IDX_CAP ((size_t)16384)
#define FAST_IDX_STEP ((size_t)8192)

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
  /* Not CSV_STRICT: a quote inside an unquoted field is data, as in
   * pandas (the top of the file says where libcsv still differs). */
  if (csv_init(p, 0) != 0)
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

/* ---- tokenizer states (csvscan.h) ---------------------------------------- */

/* Byte classes: what a byte does to the tokenizer state. */
enum { CL_DATA = 0, CL_QUOTE = 1, CL_SEP = 2, CL_EOL = 3 };

enum {
  FS = DUSK_CSV_FIELD_START,
  IF = DUSK_CSV_IN_FIELD,
  IQ = DUSK_CSV_IN_QUOTES,
  QQ = DUSK_CSV_QUOTE_IN_QUOTES
};

/* pandas 1.5 tokenizer.c, per state and byte class.  Line ends leave
 * every state but IN_QUOTES at a field (and record) start; text after a
 * closing quote goes on as an unquoted field (IN_FIELD), which the
 * splitter refuses (see the top of the file). */
static const unsigned char next_state[5][4] = {
    [FS] = {[CL_DATA] = IF, [CL_QUOTE] = IQ, [CL_SEP] = FS, [CL_EOL] = FS},
    [IF] = {[CL_DATA] = IF, [CL_QUOTE] = IF, [CL_SEP] = FS, [CL_EOL] = FS},
    [IQ] = {[CL_DATA] = IQ, [CL_QUOTE] = QQ, [CL_SEP] = IQ, [CL_EOL] = IQ},
    [QQ] = {[CL_DATA] = IF, [CL_QUOTE] = IQ, [CL_SEP] = FS, [CL_EOL] = FS},
};

static void init_classes(unsigned char cls[256], char sep) {
  memset(cls, CL_DATA, 256);
  cls['"'] = CL_QUOTE;
  cls['\r'] = CL_EOL;
  cls['\n'] = CL_EOL;
  cls[(unsigned char)sep] = CL_SEP; /* never '"' or a line end */
}

/* The state outside quotes that the byte before a range's start implies
 * (DUSK_CSV_GUESS).  After a '"' it is QUOTE_IN_QUOTES (a closing quote,
 * by far the most common) or IN_FIELD (a literal one); the scheduler's
 * check catches the rare wrong guess. */
static int guess_state(const unsigned char *cls, unsigned char before) {
  switch (cls[before]) {
  case CL_SEP:
  case CL_EOL:
    return FS;
  case CL_QUOTE:
    return QQ;
  default:
    return IF;
  }
}

/* The transfer of a run of bytes: lane[s - 1] is the state after them
 * when the state before was s.  Only a '"' can enter or leave IN_QUOTES,
 * and after any other byte a state outside quotes depends on that byte
 * alone, so a run is processed one '"' at a time: the bytes between two
 * quotes act through their last byte. */
typedef struct qtrack {
  unsigned char lane[4];
} qtrack;

static void qtrack_init(qtrack *t, int from_data_start) {
  for (int k = 0; k < 4; k++)
    t->lane[k] = from_data_start ? FS : (unsigned char)(k + 1);
}

/* A run of bytes without '"' ending with a byte of class k. */
static void qtrack_stretch(qtrack *t, unsigned k) {
  unsigned char out = k == CL_DATA ? IF : FS;
  for (int l = 0; l < 4; l++)
    if (t->lane[l] != IQ)
      t->lane[l] = out;
}

static void qtrack_bytes(qtrack *t, const unsigned char *cls, const char *p,
                         size_t n) {
  const char *q = p, *last = p, *e = p + n;
  while (q < e && (q = memchr(q, '"', (size_t)(e - q))) != NULL) {
    if (q > last)
      qtrack_stretch(t, cls[(unsigned char)q[-1]]);
    for (int l = 0; l < 4; l++)
      t->lane[l] = next_state[t->lane[l]][CL_QUOTE];
    last = ++q;
  }
  if (e > last)
    qtrack_stretch(t, cls[(unsigned char)e[-1]]);
}

/* Two bits per start state: the end state less one. */
static int qtrack_transfer(const qtrack *t) {
  int m = 0;
  for (int l = 0; l < 4; l++)
    m |= (t->lane[l] - 1) << (2 * l);
  return m;
}

int dusk_csvscan_state_after(int transfer, int state) {
  if (transfer < 0 || transfer > 0xFF || state < FS || state > QQ)
    return 0;
  return ((transfer >> (2 * (state - 1))) & 3) + 1;
}

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

/* What the fast path does with a file column. */
enum fast_kind {
  FK_SKIP,  /* unmapped: only its end is found */
  FK_INT,   /* INT64: decimal shortcut, else convert() */
  FK_STR,   /* STRING: ASCII shortcut, else convert() */
  FK_NULLS, /* STRING, nulls_only: NA and UTF-8 checks, no copy */
  FK_OTHER  /* BOOL, FLOAT64: convert() */
};

typedef struct col_plan {
  enum fast_kind kind;
  size_t out; /* output column, unless FK_SKIP */
  size_t col; /* file column */
} col_plan;

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
  dusk_source *src;
  uint64_t size;       /* file size */
  uint64_t pend;       /* min(end, size): end of the transfer's range */
  char *buf;           /* buf_cap + READ_PAD bytes */
  size_t buf_cap;      /* min(READ_CHUNK, size): no read is longer */
  size_t buf_len;      /* valid bytes in buf */
  uint64_t buf_off;    /* file offset of buf[0] */
  uint64_t parity_pos; /* next offset the transfer has to take in */
  qtrack track;        /* the transfer of [max(start, data_start),
                          parity_pos) */
  unsigned char cls[256]; /* byte classes for sep */

  struct csv_parser csv;
  int csv_live;
  csv_alloc alloc;
  dusk_batch batch;
  int batch_live;
  int *out_src;     /* per output column: its file column */
  bool *nulls_only; /* per output column: a STRING column marked in
                       o->nulls_only; NULL when there is none */

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

  /* The fast path (see the top of the file). */
  int fast;         /* enabled for this scan */
  col_plan *plan;   /* per file column: what the fast path does */
  col_plan *mapped; /* the mapped ones, in file order */
  size_t nmapped;
  uint32_t *idx;       /* idx_cap structural offsets, then as many
                          indexes of line ends among them */
  size_t idx_cap;      /* FAST_IDX_CAP, less for a small file */
  dusk_csv_index_fn index_more; /* fills idx (dusk_csv_pick_indexer) */
  /* Column at a time (fast_chunk), when every mapped column is FK_INT or
   * FK_NULLS: per batch row of a chunk, its first index entry and its
   * offset in the span; per mapped column, a bitmap of the rows whose
   * field the shortcuts left to convert(). */
  int columnar;
  uint32_t *chunk_j, *chunk_rs;
  uint64_t *deferred;
  size_t dwords;      /* bitmap capacity per mapped column, in words */
  uint64_t fast_from; /* the fast path may start at this offset or
                         later (the record before it is libcsv's) */
  unsigned fill_gen;  /* bumped by every fill() */
  unsigned quote_gen; /* fill_gen when quote_at was found */
  uint64_t quote_at;  /* offset of the next '"' at or after the
                         offset it was searched from, or the buffer's
                         end offset when there is none */
} scan;

/* Takes the bytes of buf[0..n) (at file offset off) that lie in
 * [parity_pos, pend) into the transfer. */
static void track_quotes(scan *s, const char *p, size_t n, uint64_t off) {
  uint64_t lo = s->parity_pos > off ? s->parity_pos : off;
  uint64_t hi = off + n < s->pend ? off + n : s->pend;
  if (lo >= hi || lo != s->parity_pos)
    return; /* nothing new, or not contiguous (a later read fills in) */
  qtrack_bytes(&s->track, s->cls, p + (lo - off), (size_t)(hi - lo));
  s->parity_pos = hi;
}

/* Reads the buffer at file offset off; buf_len 0 means end of file. */
static int fill(scan *s, uint64_t off) {
  size_t want, n;
  int rc;
  s->buf_off = off;
  s->buf_len = 0;
  if (off >= s->size)
    return 0;
  /* Never past the size seen at open: a file growing under the scan does
   * not change what a range owns. */
  want = s->size - off < s->buf_cap ? (size_t)(s->size - off) : s->buf_cap;
  /* A remote object streams the range; past its end only the record that
   * crosses it is wanted, read a little at a time (the scan consumes any
   * buffer length: a fill never has to hold a whole record). */
  if (dusk_source_remote(s->src)) {
    if (off < s->pend && want > s->pend - off)
      want = (size_t)(s->pend - off);
    else if (off >= s->pend && want > REMOTE_TAIL_READ)
      want = REMOTE_TAIL_READ;
  }
  if ((rc = dusk_source_pread(s->src, s->buf, want, off, &n, s->err)) != 0) {
    s->stats->io_failed = true;
    return rc;
  }
  s->buf_len = n;
  memset(s->buf + s->buf_len, 0, READ_PAD);
  s->fill_gen++;
  s->stats->bytes += (uint64_t)n;
  track_quotes(s, s->buf, s->buf_len, off);
  return 0;
}

/* The scheduler wants this range's transfer even after an error (to check
 * the neighbours' guesses without rerunning it): read the rest of the
 * range just to track quotes.  -1 when that fails too. */
static void finish_transfer(scan *s) {
  while (s->parity_pos < s->pend) {
    uint64_t before = s->parity_pos;
    if (fill(s, s->parity_pos) != 0 || s->buf_len == 0 ||
        s->parity_pos == before) {
      s->stats->quote_transfer = -1;
      return;
    }
  }
  s->stats->quote_transfer = qtrack_transfer(&s->track);
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

/* A value of a datetime column (parse_dates) that pandas certainly reads
 * as a date-time where dusk's columns read ISO only (kind: fieldparse.h's
 * DUSK_PANDAS_DATE_*): the text column dusk would widen to is not
 * pandas' answer, so it is an error naming the record and column. */
static int pandas_datetime(scan *s, size_t fcol, int kind, const char *p,
                           size_t len) {
  char value[64];
  dusk_sanitize(value, sizeof value, p, len);
  s->stats->error_column = (int64_t)fcol;
  return dusk_error_set(
      s->err, DUSK_EPARSE,
      "%s: record at offset %" PRIu64 ", file column %zu: parse_dates: "
      "pandas reads '%s' as %s; dusk's datetime columns read ISO "
      "YYYY-MM-DD[ HH:MM[:SS[.f]]] only (years 1678-2261%s): read the "
      "column without parse_dates, as text%s",
      s->o->path, s->rec_start, fcol, value,
      kind == DUSK_PANDAS_DATE_TZ ? "a date-time with a time zone "
                                    "(datetime64[ns, tz])"
      : kind == DUSK_PANDAS_DATE_NAT ? "a missing date-time (NaT)"
                                     : "a date-time (datetime64[ns])",
      kind == DUSK_PANDAS_DATE_TZ ? "; no tz-aware columns yet" : "",
      kind == DUSK_PANDAS_DATE_TZ    ? ""
      : kind == DUSK_PANDAS_DATE_NAT ? ", or leave such fields empty"
                                     : ", or write its dates in ISO form");
}

/* A value that does not fit its column: fill the conflict for the
 * scheduler, which widens the column and reruns - but a datetime column
 * widens to text only for a value pandas may not read as a date-time
 * either (parse_dates then leaves the column text). */
static int conflict(scan *s, size_t out, size_t fcol, const char *p,
                    size_t len) {
  dusk_csvscan_conflict *c = &s->stats->conflict;
  dusk_type have = s->o->types[out];
  size_t n = len < sizeof c->value - 1 ? len : sizeof c->value - 1;
  char sample[64];
  int kind;

  if (s->o->datetime != NULL && s->o->datetime[out] &&
      (kind = dusk_field_pandas_datetime(p, len)) != DUSK_PANDAS_DATE_NONE)
    return pandas_datetime(s, fcol, kind, p, len);
  /* Cut at a character boundary so the sample stays valid UTF-8. */
  if (n < len)
    while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
      n--;
  c->column = out;
  s->stats->error_column = (int64_t)fcol;
  c->widened = s->o->datetime != NULL && s->o->datetime[out]
                   ? DUSK_TYPE_STRING /* not a date-time: pandas keeps text */
                   : widen(have, dusk_field_infer(p, len));
  c->offset = s->rec_start;
  memcpy(c->value, p, n);
  c->value[n] = '\0';
  dusk_sanitize(sample, sizeof sample, p, len);
  return dusk_error_set(s->err, DUSK_EWIDEN,
                        "%s: record at offset %" PRIu64
                        ", file column %zu (output column %zu): \"%s\" is "
                        "not %s; the column needs %s",
                        s->o->path, s->rec_start, fcol, out, sample,
                        s->o->datetime != NULL && s->o->datetime[out]
                            ? "an ISO date-time (YYYY-MM-DD[ HH:MM[:SS[.f]]])"
                            : type_name(have),
                        type_name(c->widened));
}

/* Whether output column out refuses a missing value (options' no_na).
 * The fast paths ask only of an empty field, so it costs nothing per
 * value. */
static inline bool na_refused(const scan *s, size_t out) {
  return s->o->no_na != NULL && s->o->no_na[out] != DUSK_TYPE_NULL;
}

/* A missing value in a no_na column: pandas' read_csv raises there. */
static int na_in_no_na(scan *s, size_t fcol, size_t out) {
  bool b = s->o->no_na[out] == DUSK_TYPE_BOOL;
  s->stats->error_column = (int64_t)fcol;
  return dusk_error_set(
      s->err, DUSK_EPARSE,
      "%s: record at offset %" PRIu64 ", file column %zu: %s column has NA "
      "values, which read_csv's dtype %s does not hold, as in pandas (dtype "
      "%s keeps them)",
      s->o->path, s->rec_start, fcol, b ? "Bool" : "Integer",
      b ? "bool" : "int64", b ? "boolean" : "Int64 or float64");
}

/* Converts field fcol (output column out) into row r of the batch. */
static int convert_at(scan *s, size_t fcol, size_t out, const char *p,
                      size_t len, size_t r) {
  dusk_column *col = &s->batch.cols[out];
  int rc;

  if (dusk_field_is_na(p, len)) {
    if (na_refused(s, out))
      return na_in_no_na(s, fcol, out);
    col->valid[r] = 0;
    if (s->nulls_only != NULL && s->nulls_only[out])
      return 0; /* only valid[] is kept (csvscan.h) */
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
    if (s->o->datetime != NULL && s->o->datetime[out]) {
      if (dusk_field_parse_datetime(p, len, &col->i64[r]) != 0)
        return conflict(s, out, fcol, p, len);
      return 0;
    }
    if (dusk_field_parse_int64(p, len, &col->i64[r]) != 0)
      return conflict(s, out, fcol, p, len);
    return 0;
  case DUSK_TYPE_FLOAT64:
    if (dusk_field_parse_float64(p, len, &col->f64[r]) != 0)
      return conflict(s, out, fcol, p, len);
    return 0;
  case DUSK_TYPE_STRING: {
    size_t bad = utf8_check((const unsigned char *)p, len);
    if (bad != len) {
      s->stats->error_column = (int64_t)fcol;
      return dusk_error_set(s->err, DUSK_EPARSE,
                            "%s: record at offset %" PRIu64
                            ", file column %zu (output column %zu): invalid "
                            "UTF-8 at byte %zu of the value",
                            s->o->path, s->rec_start, fcol, out, bad);
    }
    if (s->nulls_only != NULL && s->nulls_only[out])
      return 0;
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

/* Converts a field of the record being read (row batch.nrows). */
static int convert(scan *s, size_t fcol, size_t out, const char *p,
                   size_t len) {
  return convert_at(s, fcol, out, p, len, s->batch.nrows);
}

static int field_too_long(scan *s) {
  return dusk_error_set(s->err, DUSK_EPARSE,
                        "%s: field longer than max_field (%zu) bytes in "
                        "the record at offset %" PRIu64,
                        s->o->path, s->o->max_field, s->rec_start);
}

/* A record of the wrong width (both paths report it alike). */
static int ragged(scan *s, size_t fields) {
  return dusk_error_set(s->err, DUSK_EPARSE,
                        "%s: record at offset %" PRIu64
                        " has %zu fields, expected %zu",
                        s->o->path, s->rec_start, fields, s->o->ncols_file);
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
    s->rc = ragged(s, s->field);
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
  case CSV_EPARSE: /* not raised without CSV_STRICT; kept for safety */
    return dusk_error_set(s->err, DUSK_EPARSE,
                          "%s: bad quoting at offset %" PRIu64
                          " (record at offset %" PRIu64 ")",
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
  if (rc < 0 && s->err != NULL && s->err->code == rc &&
      s->err->message[0] != '\0') {
    /* The consumer said why (into the err it was given): keep it. */
    char why[DUSK_ERROR_MESSAGE_MAX];
    memcpy(why, s->err->message, sizeof why);
    return dusk_error_set(s->err, rc, "%s: %s", s->o->path, why);
  }
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

/* ---- the fast path ------------------------------------------------------ */

/* The fast path's loop stays out of run_records, whose locals would crowd
 * it out of registers. */
#if defined(__GNUC__)
#define FAST_NOINLINE __attribute__((noinline))
#define FAST_INLINE inline __attribute__((always_inline))
#else
#define FAST_NOINLINE
#define FAST_INLINE inline
#endif

/* The value of 8 ASCII digits loaded little-endian (the first digit in
 * the low byte), or -1 when a byte is not a digit.  Three multiplications
 * combine neighbouring digits, then pairs, then quads. */
static inline int64_t eight_digits(uint64_t w) {
  if (((w & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
       (((w + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0)) >>
        4)) != UINT64_C(0x3333333333333333))
    return -1;
  w = ((w & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561) >> 8;
  w = ((w & UINT64_C(0x00FF00FF00FF00FF)) * 6553601) >> 16;
  return (int64_t)(((w & UINT64_C(0x0000FFFF0000FFFF)) *
                    UINT64_C(42949672960001)) >>
                   32);
}

/* The first n (1 to 8) digits at p as a number, or -1.  Reads 8 bytes:
 * the read buffer has spare bytes after its end (READ_PAD).  The bytes
 * past n are shifted out and '0's shifted in before the digits. */
static inline int64_t short_digits(const unsigned char *p, size_t n) {
  uint64_t w;
  memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  w = (w << (8 * (8 - n))) |
      ((UINT64_C(0x3030303030303030) >> (8 * n - 8)) >> 8);
  return eight_digits(w);
}

/* An int64 field: empty (NA, 1 and *out 0), or an optional sign and 1 to
 * 16 digits (never NA, always in range, read as dusk_field_parse_int64
 * reads them: 0 and the value) here; anything else (other NA strings,
 * spaces, longer numbers, junk) is -1, for convert(). */
static FAST_INLINE int int_shortcut(const unsigned char *p, size_t len,
                                    int64_t *out) {
  size_t nd = len;
  const unsigned char *d = p;
  int64_t v;
  int neg = 0;
  if (len == 0) { /* NA (fieldparse.h), stored as convert() stores it */
    *out = 0;
    return 1;
  }
  if (p[0] == '-' || p[0] == '+') {
    neg = p[0] == '-';
    d++;
    nd--;
  }
  if (nd - 1 < 8) { /* 1 to 8 digits */
    v = short_digits(d, nd);
  } else if (nd - 1 < 16) { /* 9 to 16 */
    int64_t hi = short_digits(d, nd - 8), lo;
    uint64_t w;
    memcpy(&w, d + nd - 8, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    lo = eight_digits(w);
    v = hi < 0 || lo < 0 ? -1 : hi * 100000000 + lo;
  } else {
    v = -1;
  }
  if (v < 0)
    return -1;
  *out = neg ? -v : v;
  return 0;
}

static FAST_INLINE int fast_int(scan *s, size_t fcol, size_t out,
                                const unsigned char *p, size_t len,
                                dusk_column *col, size_t r) {
  int64_t v;
  int k = int_shortcut(p, len, &v);
  if (k < 0 || (k > 0 && na_refused(s, out)))
    return convert(s, fcol, out, (const char *)p, len);
  col->valid[r] = k == 0;
  col->i64[r] = v;
  return 0;
}

/* Whether p[0, len) is ASCII, eight bytes at a time.  The last word is
 * loaded whole and masked: the read buffer has spare bytes after its end
 * (READ_PAD). */
static inline int is_ascii(const unsigned char *p, size_t len) {
  uint64_t acc = 0, w;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    memcpy(&w, p + i, 8);
    acc |= w;
  }
  if (i < len) {
    memcpy(&w, p + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    acc |= w & ((UINT64_C(1) << (8 * (len - i))) - 1);
  }
  return (acc & UINT64_C(0x8080808080808080)) == 0;
}

/* A string field: empty (NA), or a non-NA ASCII value goes straight into
 * the arena (the bytes and offset dusk_batch_arena_add would give); the
 * rest (NA strings, non-ASCII to be checked, arena growth) through
 * convert().  A value of up to 32 bytes is moved as 32 (the read buffer's
 * pad covers the source, and the arena must have 32 bytes free; what lands
 * past the value is overwritten by the next one or never looked at). */
static FAST_INLINE int fast_str(scan *s, size_t fcol, size_t out,
                                const unsigned char *p, size_t len, int ascii,
                                dusk_column *col, size_t r) {
  dusk_batch *b = &s->batch;
  size_t room = b->arena_cap - b->arena_len;
  char *d;
  if (len == 0) { /* NA, stored as convert() stores it */
    col->valid[r] = 0;
    col->str_off[r] = 0;
    col->str_len[r] = 0;
    return 0;
  }
  if (room < len || dusk_field_may_be_na((const char *)p, len) ||
      (!ascii && !is_ascii(p, len)))
    return convert(s, fcol, out, (const char *)p, len);
  d = b->arena + b->arena_len;
  if (len <= 32 && room >= 32) {
    memcpy(d, p, 16);
    memcpy(d + 16, p + 16, 16);
  } else {
    memcpy(d, p, len);
  }
  col->valid[r] = 1;
  col->str_off[r] = (uint32_t)b->arena_len;
  col->str_len[r] = (uint32_t)len;
  b->arena_len += len;
  return 0;
}

/* A nulls_only string field: only whether it is NA.  A field that may be
 * NA, or may not be ASCII, goes through convert(), which makes the NA and
 * UTF-8 checks of a full read. */
static FAST_INLINE int fast_nulls(scan *s, size_t fcol, size_t out,
                                  const unsigned char *p, size_t len, int ascii,
                                  dusk_column *col, size_t r) {
  if (dusk_field_may_be_na((const char *)p, len) ||
      (!ascii && !is_ascii(p, len)))
    return convert(s, fcol, out, (const char *)p, len);
  col->valid[r] = len != 0;
  return 0;
}

/* One field of the fast path: the checks on_field makes, in its order.
 * ascii: every byte of the record is known to be ASCII; r is
 * s->batch.nrows and cols s->batch.cols, passed in so that they stay in
 * registers (a store to a flag byte could alias them). */
static FAST_INLINE int fast_field(scan *s, const col_plan *pl, size_t k,
                                  const unsigned char *p, size_t len, int ascii,
                                  dusk_column *cols, size_t r) {
  switch (pl->kind) {
  case FK_SKIP:
    return 0;
  case FK_INT:
    return fast_int(s, k, pl->out, p, len, &cols[pl->out], r);
  case FK_STR:
    return fast_str(s, k, pl->out, p, len, ascii, &cols[pl->out], r);
  case FK_NULLS:
    return fast_nulls(s, k, pl->out, p, len, ascii, &cols[pl->out], r);
  default:
    return convert(s, k, pl->out, (const char *)p, len);
  }
}

/* Reads, column by column, the run of well-formed records starting at
 * *rs (index entry *j, line-end search from *ej) that the index holds, up
 * to a full batch.  A column at a time keeps each column's loop short
 * and free of the per-field switch; it is used when every mapped column
 * is an int (FK_INT) or a string read for its nulls (FK_NULLS), whose
 * shortcuts write no arena.  The rules and results are fast_records':
 *  - the run stops before the first record that is not plainly one row
 *    (blank lines between are skipped as fast_records skips them): one of
 *    the wrong width or too long, one starting with a space or tab, one
 *    the range does not own, one whose line end is not indexed yet; the
 *    caller reads that one row by row;
 *  - a field the shortcuts cannot decide is marked and, once every
 *    column is done, converted with convert_at in row order, then column
 *    order: its errors, and which comes first, are those of a row-by-row
 *    read (no field of an earlier row can fail, and no batch is handed
 *    over inside the run);
 *  - the batch is delivered when full, as after any record.
 * Returns 0, SCAN_STOP or an error. */
static FAST_NOINLINE int fast_chunk(scan *s, const unsigned char *u,
                                    uint64_t base, const uint32_t *idx,
                                    const uint32_t *eolj, size_t ne,
                                    size_t *rs_io, size_t *j_io, size_t *ej_io,
                                    int ascii, dusk_csvscan_fn fn, void *arg) {
  const dusk_csvscan_options *o = s->o;
  const unsigned char sep = (unsigned char)o->sep;
  const size_t ncols = o->ncols_file, max_field = o->max_field;
  const size_t room = s->batch.cap - s->batch.nrows, r0 = s->batch.nrows;
  uint32_t *cj = s->chunk_j, *crs = s->chunk_rs;
  size_t rs = *rs_io, j = *j_io, ej = *ej_io, q = 0, nw;
  int rc;

  while (q < room) {
    size_t t, e0, end;
    while (ej < ne && eolj[ej] < j)
      ej++;
    if (ej == ne)
      break;
    t = eolj[ej];
    e0 = idx[j];
    if (e0 == rs && j == t) {
      rs = e0 + 1; /* a blank line, or the LF of CRLF */
      j++;
      continue;
    }
    if (base + rs >= o->end ||
        ((u[rs] == ' ' || u[rs] == '\t') && u[rs] != sep))
      break;
    end = idx[t];
    if (t - j + 1 != ncols || end - rs > max_field)
      break;
    cj[q] = (uint32_t)j;
    crs[q] = (uint32_t)rs;
    q++;
    rs = end + 1;
    j = t + 1;
  }
  *rs_io = rs;
  *j_io = j;
  *ej_io = ej;
  if (q == 0)
    return 0;

  /* The bitmaps of this run: nw words per column. */
  nw = (q + 63) / 64;
  memset(s->deferred, 0, s->nmapped * nw * sizeof *s->deferred);
  for (size_t m = 0; m < s->nmapped; m++) {
    const size_t k = s->mapped[m].col;
    dusk_column *col = &s->batch.cols[s->mapped[m].out];
    uint8_t *valid = col->valid + r0;
    uint64_t *dfr = s->deferred + m * nw;
    if (s->mapped[m].kind == FK_INT) {
      int64_t *vals = col->i64 + r0;
      for (size_t x = 0; x < q; x++) {
        size_t f = k == 0 ? crs[x] : (size_t)idx[cj[x] + k - 1] + 1;
        int64_t v;
        int c = int_shortcut(u + f, idx[cj[x] + k] - f, &v);
        if (c < 0 || (c > 0 && na_refused(s, s->mapped[m].out))) {
          dfr[x / 64] |= UINT64_C(1) << (x % 64);
          continue;
        }
        valid[x] = c == 0;
        vals[x] = v;
      }
    } else { /* FK_NULLS */
      for (size_t x = 0; x < q; x++) {
        size_t f = k == 0 ? crs[x] : (size_t)idx[cj[x] + k - 1] + 1;
        size_t len = idx[cj[x] + k] - f;
        if (dusk_field_may_be_na((const char *)u + f, len) ||
            (!ascii && !is_ascii(u + f, len))) {
          dfr[x / 64] |= UINT64_C(1) << (x % 64);
          continue;
        }
        valid[x] = len != 0;
      }
    }
  }
  for (size_t w = 0; w < nw; w++) {
    uint64_t rows = 0;
    for (size_t m = 0; m < s->nmapped; m++)
      rows |= s->deferred[m * nw + w];
    while (rows != 0) {
      size_t x = w * 64 + (size_t)__builtin_ctzll(rows);
      rows &= rows - 1;
      s->rec_start = base + crs[x];
      for (size_t m = 0; m < s->nmapped; m++) {
        size_t k = s->mapped[m].col, f;
        if (!((s->deferred[m * nw + w] >> (x % 64)) & 1u))
          continue;
        f = k == 0 ? crs[x] : (size_t)idx[cj[x] + k - 1] + 1;
        rc = convert_at(s, k, s->mapped[m].out, (const char *)u + f,
                        idx[cj[x] + k] - f, r0 + x);
        if (rc != 0)
          return rc;
      }
    }
  }
  s->rec_start = base + crs[q - 1];
  s->batch.nrows += q;
  s->stats->fast_rows += q;
  if (s->batch.nrows == s->batch.cap)
    return deliver(s, fn, arg);
  return 0;
}

/* Reads the records of b[*at, n) (b is at file offset pos; *at follows a
 * line end) that end before the next quote in the buffer.  Returns 0 with
 * *at at the first record libcsv must read (one holding a quote or
 * crossing the buffer's end, or one of more than about FAST_IDX_CAP
 * fields), or at n; SCAN_END when a record the range does not own begins;
 * SCAN_STOP; or an error.
 *
 * The span is indexed first (index_more), then read record by record: a
 * record whose line end is its ncols_file-th structural byte and which is
 * no longer than max_field has the right width and no field too long, so
 * only its mapped fields are looked at; any other record is walked field
 * by field with on_field's checks, which find its error. */
static FAST_NOINLINE int fast_records(scan *s, const char *b, size_t n,
                                      size_t *at, uint64_t pos,
                                      dusk_csvscan_fn fn, void *arg) {
  const dusk_csvscan_options *o = s->o;
  const unsigned char sep = (unsigned char)o->sep;
  const size_t ncols = o->ncols_file, max_field = o->max_field;
  const col_plan *plan = s->plan, *mapped = s->mapped;
  const size_t nmapped = s->nmapped;
  const size_t cap = s->idx_cap;
  uint32_t *idx = s->idx, *eolj = s->idx + cap;
  const size_t i = *at;
  const unsigned char *u = (const unsigned char *)b + i;
  const uint64_t base = pos + i; /* file offset of u[0] */
  size_t len, rs = 0, cur = 0, cnt = 0, ne = 0, j = 0, ej = 0;
  /* Nonzero once a byte of the span indexed so far is not ASCII: until
   * then a record (all of it indexed) needs no UTF-8 check. */
  uint64_t high = 0;
  dusk_column *const cols = s->batch.cols;
  size_t r;
  int rc;

  if (s->quote_gen != s->fill_gen || base > s->quote_at) {
    /* The next '"' that may open a quoted field: one at the start of a
     * field.  Others are data in an unquoted field (the records before
     * the first opening quote hold no quoted field, so a '"' after a
     * data byte, or after such a '"', is in one), and the fast path reads
     * them as such.  At the buffer's first byte the byte before is
     * unknown: libcsv's. */
    const char *q = memchr(u, '"', n - i), *e = b + n;
    while (q != NULL && q > b &&
           (s->cls[(unsigned char)q[-1]] == CL_DATA ||
            s->cls[(unsigned char)q[-1]] == CL_QUOTE))
      q = q + 1 < e ? memchr(q + 1, '"', (size_t)(e - q - 1)) : NULL;
    s->quote_at = pos + (q != NULL ? (uint64_t)(q - b) : (uint64_t)n);
    s->quote_gen = s->fill_gen;
  }
  len = (size_t)(s->quote_at - base);
  /* No line end before the quote: the quote is in this record. */
  if (i + len < n && memchr(u, '\n', len) == NULL &&
      memchr(u, '\r', len) == NULL)
    return 0;

  for (;;) {
    size_t t, e0, end, nf;
    if (s->columnar) {
      rc = fast_chunk(s, u, base, idx, eolj, ne, &rs, &j, &ej, high == 0, fn,
                      arg);
      if (rc != 0)
        return rc;
    }
    /* The record at rs begins with structural byte j; t is its line end. */
    while (ej < ne && eolj[ej] < j)
      ej++;
    if (ej == ne) {
      /* No line end indexed: keep the record's entries, index more. */
      if (cur == len)
        break; /* it ends past the quote or the buffer: libcsv's */
      memmove(idx, idx + j, (cnt - j) * sizeof *idx);
      cnt -= j;
      j = ne = ej = 0;
      if (cnt >= cap - 64)
        break; /* more fields than the index holds: libcsv's */
      s->index_more(idx, eolj, &cnt, &ne, u, len, &cur, sep,
                    cnt + FAST_IDX_STEP < cap - 64 ? cnt + FAST_IDX_STEP
                                                   : cap - 64,
                    &high);
      continue;
    }
    t = eolj[ej];
    e0 = idx[j];
    if (e0 == rs && j == t) {
      rs = e0 + 1; /* a blank line, or the LF of CRLF */
      j++;
      continue;
    }
    if (base + rs >= o->end) {
      *at = i + rs;
      return SCAN_END; /* the next range's record */
    }
    if ((u[rs] == ' ' || u[rs] == '\t') && u[rs] != sep) {
      /* Only spaces and tabs up to the line end: a blank line too.  No
       * separator lies before e0, so none can be among them. */
      size_t q = rs + 1;
      while (q < e0 && (u[q] == ' ' || u[q] == '\t'))
        q++;
      if (q == e0 && j == t) {
        rs = e0 + 1;
        j++;
        continue;
      }
    }

    s->rec_start = base + rs;
    r = s->batch.nrows;
    nf = t - j + 1;
    end = idx[t];
    if (nf == ncols && end - rs <= max_field) {
      for (size_t m = 0; m < nmapped; m++) {
        size_t k = mapped[m].col;
        size_t f = k == 0 ? rs : (size_t)idx[j + k - 1] + 1;
        rc = fast_field(s, &mapped[m], k, u + f, idx[j + k] - f, high == 0,
                        cols, r);
        if (rc != 0)
          return rc;
      }
    } else {
      size_t f = rs;
      for (size_t k = 0; k < nf; k++) {
        size_t e = idx[j + k];
        if (e - f > max_field)
          return field_too_long(s);
        if (k < ncols) {
          rc = fast_field(s, &plan[k], k, u + f, e - f, high == 0, cols, r);
          if (rc != 0)
            return rc;
        }
        f = e + 1;
      }
      if (nf != ncols)
        return ragged(s, nf);
    }
    s->batch.nrows++;
    s->stats->fast_rows++;
    rs = end + 1;
    j = t + 1;
    if (s->batch.nrows == s->batch.cap ||
        s->batch.arena_len >= ARENA_SOFT_LIMIT) {
      rc = deliver(s, fn, arg);
      if (rc != 0)
        return rc;
    }
  }
  *at = i + rs;
  return 0;
}

static int check_options(const dusk_csvscan_options *o, dusk_error *err) {
  const char *path = o->path ? o->path : "(null)";
  if (o->path == NULL || o->ncols_file == 0 || o->batch_rows == 0 ||
      o->max_field == 0 || o->col_map == NULL ||
      (o->nout > 0 && o->types == NULL) || o->nderived > o->nout)
    return dusk_error_set(err, DUSK_EINVAL, "%s: invalid scan options", path);
  if (o->sep == '"' || o->sep == '\r' || o->sep == '\n' || o->sep == '\0')
    return dusk_error_set(err, DUSK_EINVAL,
                          "%s: the separator cannot be a quote, a line end "
                          "or NUL",
                          path);
  if (o->max_field > (size_t)UINT32_MAX)
    return dusk_error_set(err, DUSK_EINVAL, "%s: max_field over 4 GiB", path);
  if (o->start_state < DUSK_CSV_GUESS ||
      o->start_state > DUSK_CSV_QUOTE_IN_QUOTES)
    return dusk_error_set(err, DUSK_EINVAL, "%s: invalid start state %d", path,
                          o->start_state);
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
  for (size_t i = 0; i + o->nderived < o->nout; i++)
    if (s->out_src[i] < 0)
      return dusk_error_set(s->err, DUSK_EINVAL,
                            "%s: column map: output column %zu has no "
                            "file column",
                            o->path, i);
  for (size_t i = 0; o->nulls_only != NULL && i < o->nout; i++) {
    if (!o->nulls_only[i] || o->types[i] != DUSK_TYPE_STRING)
      continue;
    if (s->nulls_only == NULL &&
        (s->nulls_only = calloc(o->nout, sizeof *s->nulls_only)) == NULL)
      return dusk_error_set(s->err, DUSK_ENOMEM, "%s: out of memory", o->path);
    s->nulls_only[i] = true;
  }
  s->plan = calloc(o->ncols_file, sizeof *s->plan);
  s->mapped = calloc(o->nout ? o->nout : 1, sizeof *s->mapped);
  if (s->plan == NULL || s->mapped == NULL)
    return dusk_error_set(s->err, DUSK_ENOMEM, "%s: out of memory", o->path);
  for (size_t k = 0; k < o->ncols_file; k++) {
    int out = o->col_map[k];
    s->plan[k].out = out < 0 ? 0 : (size_t)out;
    s->plan[k].col = k;
    if (out < 0)
      s->plan[k].kind = FK_SKIP;
    else if (o->types[out] == DUSK_TYPE_INT64 &&
             !(o->datetime != NULL && o->datetime[out]))
      s->plan[k].kind = FK_INT;
    else if (o->types[out] == DUSK_TYPE_STRING)
      s->plan[k].kind = s->nulls_only && s->nulls_only[out] ? FK_NULLS : FK_STR;
    else
      s->plan[k].kind = FK_OTHER;
    if (out >= 0)
      s->mapped[s->nmapped++] = s->plan[k];
  }
  return 0;
}

/* The record loop.  0 at the end of the range, SCAN_STOP, or an error. */
static int run_records(scan *s, dusk_csvscan_fn fn, void *arg) {
  const dusk_csvscan_options *o = s->o;
  enum scan_state st;
  uint64_t pos;
  int qs, rc; /* qs: the tokenizer state (dusk_csv_state) at pos + i */
  const unsigned char sep = (unsigned char)o->sep;
  const unsigned char *cls = s->cls;

  if (o->canceled != NULL && *o->canceled)
    return dusk_error_set(s->err, DUSK_ECANCELED, "%s: scan canceled", o->path);

  if (o->start <= o->data_start) {
    /* Parsing starts at data_start, at a record start whatever came
     * before, and so does the transfer. */
    pos = o->data_start;
    st = ST_BETWEEN;
    qs = FS;
  } else {
    /* Byte start-1 decides whether start itself begins a record. */
    if (o->start - 1 >= s->size)
      return 0;
    rc = fill(s, o->start - 1);
    if (rc != 0)
      return rc;
    qs = o->start_state != DUSK_CSV_GUESS
             ? o->start_state
             : guess_state(cls, (unsigned char)s->buf[0]);
    s->stats->start_state = qs;
    st = (qs == FS && is_term((unsigned char)s->buf[0])) ? ST_BETWEEN : ST_SKIP;
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
          unsigned k;
          if (pos + i >= o->end)
            return 0;
          k = cls[(unsigned char)b[i]];
          if (k == CL_EOL && qs != IQ) {
            i++;
            st = ST_BETWEEN;
            break;
          }
          qs = next_state[qs][k];
        }
        break;

      case ST_BETWEEN:
        if (s->fast && pos + i >= s->fast_from) {
          rc = fast_records(s, b, n, &i, pos, fn, arg);
          if (rc == SCAN_END)
            return 0;
          if (rc != 0)
            return rc;
          if (i == n)
            break;
          /* libcsv reads the record at i; the fast path may resume after
           * it. */
          s->fast_from = pos + i + 1;
        }
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
        qs = FS;
        st = ((c == ' ' || c == '\t') && c != sep) ? ST_WS : ST_RECORD;
        break;

      case ST_WS:
        c = (unsigned char)b[i];
        if ((c == ' ' || c == '\t') && c != sep) {
          rc = ws_push(s, (char)c);
          if (rc != 0)
            return rc;
          qs = IF; /* a '"' after them is data (pandas backtracks the
                      whitespace into an unquoted field) */
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
        int after_quote = 0;
        for (; j < n; j++) {
          unsigned k = cls[(unsigned char)b[j]];
          if (k == CL_EOL && qs != IQ) {
            found = 1;
            j++;
            break;
          }
          if (qs == QQ && k == CL_DATA) {
            after_quote = 1;
            break;
          }
          qs = next_state[qs][k];
        }
        rc = feed(s, b + i, j - i, pos + i);
        if (rc != 0)
          return rc;
        if (after_quote)
          return dusk_error_set(
              s->err, DUSK_EPARSE,
              "%s: bad quoting at offset %" PRIu64 " (record at offset %" PRIu64
              "): text after the closing quote of a quoted field (pandas "
              "would join it to the field; quote the whole field instead)",
              o->path, pos + j, s->rec_start);
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
    if (qs == IQ)
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
  int rc;

  if (stats == NULL)
    stats = &local_stats;
  memset(stats, 0, sizeof *stats);
  stats->quote_transfer = -1;
  stats->error_column = -1;
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
  {
    const char *fp = getenv("DUSK_CSV_FASTPATH");
    s.fast = !(fp != NULL && strcmp(fp, "0") == 0);
  }
  s.index_more = dusk_csv_pick_indexer();
  if ((rc = dusk_source_open(o->path, o->version,
                             o->object_size ? o->object_size : UINT64_MAX,
                             o->store, &s.src, err)) != 0) {
    stats->io_failed = true;
    return rc;
  }
  s.size = dusk_source_size(s.src);
  s.pend = o->end < s.size ? o->end : s.size;
  /* A scan reads from the byte before its range to the end of the record
   * that crosses its end: a remote object streams that span at once,
   * with a margin that holds the crossing record of most files (another
   * GET for it would cost a round trip per range). */
  dusk_source_plan(s.src, o->start > 0 ? o->start - 1 : 0,
                   dusk_source_plan_end(s.pend, s.size));
  init_classes(s.cls, o->sep);
  /* A range holding the first data record starts there, in FIELD_START
   * whatever state it is given: its transfer is a constant. */
  qtrack_init(&s.track, o->start <= o->data_start);
  s.parity_pos = o->start <= o->data_start ? o->data_start : o->start;
  if (s.parity_pos > s.pend)
    s.parity_pos = s.pend;
  stats->start_state = o->start <= o->data_start          ? FS
                       : o->start_state != DUSK_CSV_GUESS ? o->start_state
                                                          : FS;

  rc = map_columns(&s);
  if (rc != 0)
    goto out;
  /* A small file gets a small buffer and index (the scheduler samples
   * many): a span never holds more structural bytes than the buffer. */
  s.buf_cap = s.size < READ_CHUNK ? (size_t)s.size : READ_CHUNK;
  s.buf = malloc(s.buf_cap + READ_PAD);
  s.idx_cap = s.buf_cap + 128 < FAST_IDX_CAP ? s.buf_cap + 128 : FAST_IDX_CAP;
  /* Records wider than the index would all go to libcsv after indexing. */
  if (o->ncols_file >= s.idx_cap - 64)
    s.fast = 0;
  if (s.fast)
    s.idx = malloc(2 * s.idx_cap * sizeof *s.idx);
  if (s.buf == NULL || (s.fast && s.idx == NULL)) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", o->path);
    goto out;
  }
  if (s.fast && s.nmapped > 0) {
    s.columnar = 1;
    for (size_t m = 0; m < s.nmapped; m++)
      if (s.mapped[m].kind != FK_INT && s.mapped[m].kind != FK_NULLS)
        s.columnar = 0;
  }
  if (s.columnar) {
    s.dwords = (o->batch_rows + 63) / 64;
    s.chunk_j = malloc(o->batch_rows * sizeof *s.chunk_j);
    s.chunk_rs = malloc(o->batch_rows * sizeof *s.chunk_rs);
    s.deferred = malloc(s.nmapped * s.dwords * sizeof *s.deferred);
    if (s.chunk_j == NULL || s.chunk_rs == NULL || s.deferred == NULL) {
      rc = dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", o->path);
      goto out;
    }
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
    finish_transfer(&s);
  } else if (rc == SCAN_STOP) {
    /* Stopped early (head has its rows): reading the rest of the range
     * only to track quotes would undo the point of stopping, so the
     * transfer is known only if the range was read already. */
    rc = 0;
    if (s.parity_pos >= s.pend)
      stats->quote_transfer = qtrack_transfer(&s.track);
  } else if (rc == DUSK_EPARSE || rc == DUSK_EWIDEN) {
    /* The scheduler may rerun this range (wider type, other quote guess)
     * and still needs its transfer to check the next ranges' guesses. */
    dusk_error saved;
    stats->error_offset = s.rec_start;
    if (err != NULL)
      saved = *err;
    finish_transfer(&s);
    if (err != NULL)
      *err = saved;
  }

out:
  if (s.csv_live)
    csv_free(&s.csv);
  if (s.batch_live)
    dusk_batch_destroy(&s.batch);
  free(s.out_src);
  free(s.nulls_only);
  free(s.plan);
  free(s.mapped);
  free(s.idx);
  free(s.chunk_j);
  free(s.chunk_rs);
  free(s.deferred);
  free(s.ws);
  free(s.buf);
  dusk_source_close(s.src);
  return rc;
}

int dusk_csvscan_transfer(const char *path, const dusk_store_options *store,
                          char sep, uint64_t start, uint64_t end,
                          uint64_t data_start, int *transfer,
                          dusk_error *err) {
  unsigned char cls[256];
  char *buf;
  qtrack t;
  dusk_source *src;
  int rc = 0;
  uint64_t pos = start <= data_start ? data_start : start;
  size_t cap =
      end > pos && end - pos < READ_CHUNK ? (size_t)(end - pos) : READ_CHUNK;

  *transfer = -1;
  init_classes(cls, sep);
  qtrack_init(&t, start <= data_start);
  if ((rc = dusk_source_open(path, NULL, UINT64_MAX, store, &src, err)) != 0)
    return rc;
  buf = malloc(cap);
  if (buf == NULL) {
    dusk_source_close(src);
    return dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", path);
  }
  dusk_source_plan(src, pos, end);
  while (pos < end) {
    size_t want = end - pos < cap ? (size_t)(end - pos) : cap, got;
    if ((rc = dusk_source_pread(src, buf, want, pos, &got, err)) != 0)
      break;
    if (got == 0)
      break; /* past the end of the file, as a scan's range may be */
    qtrack_bytes(&t, cls, buf, got);
    pos += got;
  }
  if (rc == 0)
    *transfer = qtrack_transfer(&t);
  free(buf);
  dusk_source_close(src);
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

int dusk_csv_read_header(const char *path, char sep, char ***names,
                         size_t *ncols, uint64_t *data_start, dusk_error *err) {
  return dusk_csv_read_header_at(path, NULL, UINT64_MAX, NULL, sep, names,
                                 ncols, data_start, err);
}

int dusk_csv_read_header_at(const char *path, const char *version,
                            uint64_t size, const dusk_store_options *store,
                            char sep, char ***names, size_t *ncols,
                            uint64_t *data_start, dusk_error *err) {
  dusk_source *src = NULL;
  header_parse h = {NULL, 0, 0, 0};
  struct csv_parser csv;
  csv_alloc alloc;
  csv_alloc *prev;
  char *buf = NULL;
  size_t n = 0, p = 0, t, len, got, want;
  uint64_t obj_size, ds;
  int rc = 0, qs = FS, csv_live = 0;
  unsigned char cls[256];

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
  if ((rc = dusk_source_open(path, version, size, store, &src, err)) != 0)
    return rc;
  obj_size = dusk_source_size(src);
  len = obj_size < HEADER_MAX + 1 ? (size_t)obj_size : HEADER_MAX + 1;
  /* The header is near the start: read a little first, and the rest of
   * HEADER_MAX only for a header that does not end in it (a remote
   * object would otherwise stream a megabyte for every file). */
  want = len < HEADER_FIRST_READ ? len : HEADER_FIRST_READ;
  dusk_source_plan(src, 0, want);
  buf = malloc(len ? len : 1);
  if (buf == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "%s: out of memory", path);
    goto out;
  }
read_more:
  if ((rc = dusk_source_pread(src, buf + n, want - n, n, &got, err)) != 0)
    goto out;
  n += got;
  p = 0;
  qs = FS;
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
      if (n < obj_size && n < len) {
        want = len;
        goto read_more;
      }
      if (n < obj_size)
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
  init_classes(cls, sep);
  for (t = p; t < n; t++) {
    unsigned k = cls[(unsigned char)buf[t]];
    if (k == CL_EOL && qs != IQ)
      break;
    if (qs == QQ && k == CL_DATA) {
      rc = dusk_error_set(err, DUSK_EPARSE,
                          "%s: bad quoting in the header at offset %zu: "
                          "text after the closing quote of a quoted field",
                          path, t);
      goto out;
    }
    qs = next_state[qs][k];
  }
  if (t == n) {
    if (n < obj_size && n < len) {
      want = len;
      goto read_more;
    }
    if (n < obj_size) {
      rc = dusk_error_set(err, DUSK_EPARSE, "%s: header longer than %zu bytes",
                          path, HEADER_MAX);
      goto out;
    }
    if (qs == IQ) {
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
      } else if (t + 1 < obj_size) {
        if ((rc = dusk_source_pread(src, &next, 1, t + 1, &got, err)) != 0)
          goto out;
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
  if (got != t - p) { /* libcsv out of memory (bounded by HEADER_MAX) */
    rc = dusk_error_set(err, DUSK_EPARSE,
                        "%s: cannot parse the header at offset %zu", path,
                        p + got);
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
  dusk_source_close(src);
  return rc;
}
