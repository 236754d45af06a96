/* partition.c - persisted partitions: a builder that keeps batches' rows
 * as they come and lays them out once in one buffer of the partition's
 * size, and a reader that checks such a buffer completely before it hands
 * out views of it.
 *
 * The layout is partition.h's, made canonical: every section starts at the
 * first multiple of 8 after the previous one (padding bytes 0), and the
 * buffer ends at the multiple of 8 after the last column's block.  The
 * reader insists on exactly that, so a buffer either opens or is refused
 * with a reason - a truncated or padded buffer never opens.
 *
 * Numbers are little-endian: the arrays are copied in host order, and the
 * hosts dusk runs on are little-endian (checked below).  Reads of the
 * buffer's uint64s go through memcpy, so the buffer itself need not be
 * 8-aligned in memory (a peer's bytes may sit anywhere in a message). */
#include "partition.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "partition.c writes host-order arrays as little-endian"
#endif

static const char MAGIC[8] = {'D', 'K', 'P', 'A', 'R', 'T', '1', '\0'};
/* magic, ncols, reserved, nrows, meta_len */
#define HEADER_FIXED 32u
/* type, reserved, name length, reserved, block offset, block length */
#define ENTRY_FIXED 24u

/* ---- shared ---------------------------------------------------------------- */

/* n rounded up to a multiple of 8 (n is a size within a buffer, far below
 * UINT64_MAX). */
static uint64_t pad8(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

static uint64_t ld64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static void st64(unsigned char *p, uint64_t v) { memcpy(p, &v, sizeof v); }

static int type_known(int t) {
  return t >= DUSK_TYPE_BOOL && t <= DUSK_TYPE_DATE;
}

/* Bytes per value of a fixed-width physical type (STRING: its offsets). */
static uint64_t value_size(dusk_type phys) {
  return phys == DUSK_TYPE_BOOL ? 1 : 8;
}

/* A column block's length: valid bytes, padding, then the values (for
 * STRING, nrows + 1 offsets and text_len text bytes). */
static uint64_t block_len(dusk_type phys, uint64_t nrows, uint64_t text_len) {
  if (phys == DUSK_TYPE_STRING)
    return pad8(nrows) + 8 * (nrows + 1) + text_len;
  return pad8(nrows) + value_size(phys) * nrows;
}

static int cmp_slice(const void *a, const void *b) {
  const dusk_slice *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = n ? memcmp(x->ptr, y->ptr, n) : 0;
  if (c != 0)
    return c;
  return (x->len > y->len) - (x->len < y->len);
}

/* Whether two of names[0..n) are equal (1, with *dup one of them), 0, or
 * DUSK_ENOMEM.  Sorted, so a header of many columns costs n log n. */
static int find_duplicate(const dusk_slice *names, size_t n,
                          dusk_slice *dup) {
  dusk_slice *s;
  int found = 0;
  if (n < 2)
    return 0;
  if ((s = malloc(n * sizeof *s)) == NULL)
    return DUSK_ENOMEM;
  memcpy(s, names, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_slice);
  for (size_t i = 1; i < n && !found; i++)
    if (cmp_slice(&s[i - 1], &s[i]) == 0) {
      *dup = s[i];
      found = 1;
    }
  free(s);
  return found;
}

/* ---- writing --------------------------------------------------------------- */

/* How far a string copy may run past a value: a value of 1..TEXT_SLACK
 * bytes whose arena has TEXT_SLACK bytes from its start is copied with one
 * fixed-size memcpy (two 16-byte moves, no call), and a chunk's text has
 * TEXT_SLACK spare bytes at its end for the last one.  The parser's arena
 * holds a row's fields side by side, so a column's values are never
 * adjacent there and each is a copy of its own. */
#define TEXT_SLACK 32u

/* The smallest chunk given a mapping of its own (chunk_alloc). */
#define CHUNK_MAP_MIN ((size_t)256 << 10)

/* One column's rows within a chunk. */
typedef struct chunk_col {
  const uint8_t *valid;      /* nrows bytes, 0 or 1 */
  const unsigned char *data; /* nrows values; STRING: nrows uint64s, where
                                each row's bytes end within text */
  const char *text;          /* STRING: the rows' bytes */
  uint64_t text_len;
} chunk_col;

/* One appended batch's rows, every column, in one allocation sized to
 * them.  The builder keeps its batches as chunks and lays them out once,
 * in dusk_part_builder_finish, in a buffer of exactly the partition's
 * size: arrays grown by doubling instead copy the rows again at each
 * doubling and hold up to twice them, and then the finished partition
 * is a copy of all of that. */
typedef struct part_chunk {
  struct part_chunk *next;
  size_t nrows;
  size_t mapped; /* its mapping's bytes (chunk_alloc), or 0: malloc's */
  chunk_col cols[]; /* the builder's ncols, then their arrays */
} part_chunk;

typedef struct part_col {
  char *name;
  size_t name_len;
  dusk_type type, phys;
  uint64_t text_len; /* STRING: its text bytes in all chunks */
} part_col;

struct dusk_part_builder {
  size_t ncols;
  part_col *cols;
  uint64_t nrows;
  part_chunk *first, **last; /* the chunks in row order; *last is NULL */
  bool finished;             /* finish wrote (and freed) the chunks */
};

/* A chunk of size bytes, or NULL.  A large one is a mapping of its own,
 * so that freeing it returns its memory at once: malloc would keep the
 * first chunks freed (below later ones in its heap) until all are, and a
 * builder's chunks are freed one by one as finish writes them.  Small
 * ones (a short range's) come from malloc. */
static part_chunk *chunk_alloc(size_t size) {
  part_chunk *ck;
  void *p;
  if (size < CHUNK_MAP_MIN) {
    if ((ck = malloc(size)) != NULL)
      ck->mapped = 0;
    return ck;
  }
  p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
           -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  ck = p;
  ck->mapped = size;
  return ck;
}

static void chunk_free(part_chunk *ck) {
  if (ck->mapped > 0)
    munmap(ck, ck->mapped);
  else
    free(ck);
}

void dusk_part_builder_free(dusk_part_builder *pb) {
  if (pb == NULL)
    return;
  for (size_t c = 0; c < pb->ncols; c++)
    free(pb->cols[c].name);
  while (pb->first != NULL) {
    part_chunk *next = pb->first->next;
    chunk_free(pb->first);
    pb->first = next;
  }
  free(pb->cols);
  free(pb);
}

/* Checks the builder's columns: known types, names within bounds, none
 * twice.  0, DUSK_EINVAL or DUSK_ENOMEM. */
static int check_columns(const char *const *names, const dusk_type *types,
                         size_t ncols) {
  dusk_slice *s, dup;
  int rc = 0;
  if (ncols == 0 || ncols > DUSK_PART_MAX_COLS || names == NULL ||
      types == NULL)
    return DUSK_EINVAL;
  if ((s = malloc(ncols * sizeof *s)) == NULL)
    return DUSK_ENOMEM;
  for (size_t c = 0; c < ncols && rc == 0; c++) {
    if (names[c] == NULL || !type_known((int)types[c]))
      rc = DUSK_EINVAL;
    else if ((s[c].len = strlen(names[c])) > DUSK_PART_MAX_NAME)
      rc = DUSK_EINVAL;
    s[c].ptr = names[c];
  }
  if (rc == 0 && (rc = find_duplicate(s, ncols, &dup)) == 1)
    rc = DUSK_EINVAL; /* the partition would not open */
  free(s);
  return rc;
}

int dusk_part_builder_new(const char *const *names, const dusk_type *types,
                          size_t ncols, dusk_part_builder **out) {
  dusk_part_builder *pb;
  int rc;
  *out = NULL;
  if ((rc = check_columns(names, types, ncols)) != 0)
    return rc;
  if ((pb = calloc(1, sizeof *pb)) == NULL ||
      (pb->cols = calloc(ncols, sizeof *pb->cols)) == NULL) {
    free(pb);
    return DUSK_ENOMEM;
  }
  pb->ncols = ncols;
  pb->last = &pb->first;
  for (size_t c = 0; c < ncols; c++) {
    part_col *pc = &pb->cols[c];
    pc->name_len = strlen(names[c]);
    pc->type = types[c];
    pc->phys = dusk_type_physical(types[c]);
    if ((pc->name = malloc(pc->name_len + 1)) == NULL) {
      dusk_part_builder_free(pb);
      return DUSK_ENOMEM;
    }
    memcpy(pc->name, names[c], pc->name_len + 1);
  }
  *out = pb;
  return 0;
}

/* The text bytes of rows [0, n) of batch column bc (nulls have none). */
static uint64_t batch_text(const dusk_column *bc, size_t n) {
  uint64_t total = 0;
  for (size_t r = 0; r < n; r++)
    total += bc->valid[r] ? bc->str_len[r] : 0;
  return total;
}

/* Bytes of a chunk of n rows of pb's columns with text bytes of text in
 * all (its header, then each column's valid bytes and values, each
 * padded to 8, then the text and TEXT_SLACK). */
static uint64_t chunk_size(const dusk_part_builder *pb, size_t n,
                           uint64_t text) {
  uint64_t size = sizeof(part_chunk) + pb->ncols * sizeof(chunk_col);
  for (size_t c = 0; c < pb->ncols; c++)
    size += pad8(n) + pad8(n * value_size(pb->cols[c].phys));
  return size + text + TEXT_SLACK;
}

/* Copies the n rows of batch column bc's text to text (room for all of
 * them and TEXT_SLACK), and where each ends within it to ends; returns
 * their bytes. */
static uint64_t copy_text(const dusk_batch *b, const dusk_column *bc,
                          size_t n, unsigned char *ends, char *text) {
  uint64_t end = 0;
  for (size_t r = 0; r < n; r++) {
    size_t len = bc->valid[r] ? bc->str_len[r] : 0;
    size_t off = bc->str_off[r];
    if (len - 1 < TEXT_SLACK && off + TEXT_SLACK <= b->arena_cap)
      memcpy(text + end, b->arena + off, TEXT_SLACK); /* the rest is
                                                         overwritten */
    else if (len > 0)
      memcpy(text + end, b->arena + off, len);
    end += len;
    st64(ends + 8 * r, end);
  }
  return end;
}

/* dst[r] = src[r] != 0 for r < n: valid and bool bytes are 0 or 1 in a
 * partition (the reader checks). */
static void copy_01(uint8_t *dst, const uint8_t *src, size_t n) {
  for (size_t r = 0; r < n; r++)
    dst[r] = src[r] != 0;
}

/* Copies batch column bc's n rows into chunk column cc, whose arrays
 * start at *at (advanced past them); a STRING column's text goes to
 * *text (advanced past it). */
static void fill_column(const dusk_batch *b, const dusk_column *bc,
                        dusk_type phys, size_t n, chunk_col *cc,
                        unsigned char **at, char **text) {
  unsigned char *valid = *at, *data = *at + pad8(n);
  copy_01(valid, bc->valid, n);
  cc->valid = valid;
  cc->data = data;
  switch (phys) {
  case DUSK_TYPE_INT64:
    memcpy(data, bc->i64, 8 * n);
    break;
  case DUSK_TYPE_FLOAT64:
    memcpy(data, bc->f64, 8 * n);
    break;
  case DUSK_TYPE_BOOL:
    copy_01(data, bc->b, n);
    break;
  default:
    cc->text = *text;
    cc->text_len = copy_text(b, bc, n, data, *text);
    *text += cc->text_len;
  }
  *at = data + pad8(n * value_size(phys));
}

int dusk_part_builder_add(dusk_part_builder *pb, const dusk_batch *b) {
  size_t n = b->nrows;
  uint64_t text = 0, size;
  part_chunk *ck;
  unsigned char *at;
  char *tp;
  if (b->ncols < pb->ncols || pb->finished)
    return DUSK_EINVAL;
  for (size_t c = 0; c < pb->ncols; c++)
    if (b->cols[c].type != pb->cols[c].phys)
      return DUSK_EINVAL;
  if (n == 0)
    return 0;
  for (size_t c = 0; c < pb->ncols; c++)
    if (pb->cols[c].phys == DUSK_TYPE_STRING)
      text += batch_text(&b->cols[c], n);
  size = chunk_size(pb, n, text);
  if (size > SIZE_MAX || (ck = chunk_alloc((size_t)size)) == NULL)
    return DUSK_ENOMEM;
  ck->next = NULL;
  ck->nrows = n;
  at = (unsigned char *)&ck->cols[pb->ncols];
  tp = (char *)ck + (size - text - TEXT_SLACK);
  for (size_t c = 0; c < pb->ncols; c++) {
    memset(&ck->cols[c], 0, sizeof ck->cols[c]);
    fill_column(b, &b->cols[c], pb->cols[c].phys, n, &ck->cols[c], &at,
                &tp);
    pb->cols[c].text_len += ck->cols[c].text_len;
  }
  *pb->last = ck;
  pb->last = &ck->next;
  pb->nrows += n;
  return 0;
}

uint64_t dusk_part_builder_rows(const dusk_part_builder *pb) {
  return pb->nrows;
}

/* Where the columns' blocks start: after the header and the meta bytes. */
static uint64_t blocks_start(const dusk_part_builder *pb, size_t meta_len) {
  uint64_t at = HEADER_FIXED;
  for (size_t c = 0; c < pb->ncols; c++)
    at += pad8(ENTRY_FIXED + pb->cols[c].name_len);
  return pad8(at + meta_len);
}

static uint64_t col_block_len(const dusk_part_builder *pb, size_t c) {
  return block_len(pb->cols[c].phys, pb->nrows, pb->cols[c].text_len);
}

uint64_t dusk_part_builder_size(const dusk_part_builder *pb, size_t meta_len) {
  uint64_t at = blocks_start(pb, meta_len);
  for (size_t c = 0; c < pb->ncols; c++)
    at = pad8(at + col_block_len(pb, c));
  return at;
}

/* A cursor writing a partition: p is its start, at the next byte. */
typedef struct writer {
  unsigned char *p;
  uint64_t at;
} writer;

static void w_bytes(writer *w, const void *src, uint64_t n) {
  if (n > 0)
    memcpy(w->p + w->at, src, n);
  w->at += n;
}

static void w_u64(writer *w, uint64_t v) {
  st64(w->p + w->at, v);
  w->at += 8;
}

/* Zeroes the bytes up to the next multiple of 8. */
static void w_pad(writer *w) {
  uint64_t to = pad8(w->at);
  memset(w->p + w->at, 0, to - w->at);
  w->at = to;
}

/* Where finish writes a column's next rows, as offsets into the
 * partition: its valid bytes, its values (STRING: its offsets after
 * offsets[0]) and its text, and the text bytes written before them. */
typedef struct col_cursor {
  uint64_t valid, data, text, base;
} col_cursor;

/* Writes chunk ck's rows of every column at the cursors, advancing them.
 * A STRING column's chunk-relative ends become partition offsets (base +
 * each: each row on its own, so the loop vectorises). */
static void w_chunk(unsigned char *p, const dusk_part_builder *pb,
                    const part_chunk *ck, col_cursor *cur) {
  size_t n = ck->nrows;
  for (size_t c = 0; c < pb->ncols; c++) {
    const chunk_col *cc = &ck->cols[c];
    dusk_type phys = pb->cols[c].phys;
    col_cursor *k = &cur[c];
    memcpy(p + k->valid, cc->valid, n);
    k->valid += n;
    if (phys != DUSK_TYPE_STRING) {
      memcpy(p + k->data, cc->data, value_size(phys) * n);
      k->data += value_size(phys) * n;
      continue;
    }
    for (size_t r = 0; r < n; r++)
      st64(p + k->data + 8 * r, k->base + ld64(cc->data + 8 * r));
    k->data += 8 * (uint64_t)n;
    if (cc->text_len > 0)
      memcpy(p + k->text, cc->text, cc->text_len);
    k->text += cc->text_len;
    k->base += cc->text_len;
  }
}

/* Points column c's cursor at its block, which starts at `block`, and
 * zeroes the block's padding (after the valid bytes, and after the block
 * up to the next multiple of 8) and a STRING column's offsets[0]. */
static void w_block_start(unsigned char *p, const dusk_part_builder *pb,
                          size_t c, uint64_t block, col_cursor *k) {
  uint64_t n = pb->nrows, end = block + col_block_len(pb, c);
  memset(p + block + n, 0, pad8(n) - n);
  memset(p + end, 0, pad8(end) - end);
  k->valid = block;
  k->data = block + pad8(n);
  k->base = 0;
  if (pb->cols[c].phys == DUSK_TYPE_STRING) {
    st64(p + k->data, 0);
    k->data += 8;
    k->text = k->data + 8 * n;
  }
}

/* Makes room for extra more bytes in out, growing it to exactly that: a
 * persisted partition's buffer is kept as long as the partition, and
 * dusk_buf_reserve's doubling could leave it twice the partition. */
static int reserve_exact(dusk_buf *out, size_t extra) {
  char *p;
  if (out->cap - out->len >= extra)
    return 0;
  if (extra > SIZE_MAX - out->len ||
      (p = realloc(out->data, out->len + extra)) == NULL)
    return DUSK_ENOMEM;
  out->data = p;
  out->cap = out->len + extra;
  return 0;
}

/* Writes the header, the column table and the meta; the columns' cursors
 * are pointed at their blocks. */
static void w_head(writer *w, const dusk_part_builder *pb, dusk_slice meta,
                   col_cursor *cur) {
  uint64_t block = blocks_start(pb, meta.len);
  uint32_t ncols = (uint32_t)pb->ncols;
  unsigned char counts[8] = {0};
  w_bytes(w, MAGIC, sizeof MAGIC);
  memcpy(counts, &ncols, 4); /* then the reserved u32, 0 */
  w_bytes(w, counts, sizeof counts);
  w_u64(w, pb->nrows);
  w_u64(w, meta.len);
  for (size_t c = 0; c < pb->ncols; c++) {
    const part_col *pc = &pb->cols[c];
    uint64_t len = col_block_len(pb, c);
    uint16_t name_len = (uint16_t)pc->name_len;
    unsigned char fixed[8] = {0}; /* type, 0, name length, 0 */
    fixed[0] = (unsigned char)pc->type;
    memcpy(fixed + 2, &name_len, 2);
    w_bytes(w, fixed, sizeof fixed);
    w_u64(w, block);
    w_u64(w, len);
    w_bytes(w, pc->name, pc->name_len);
    w_pad(w);
    w_block_start(w->p, pb, c, block, &cur[c]);
    block = pad8(block + len);
  }
  w_bytes(w, meta.ptr, meta.len);
  w_pad(w);
}

int dusk_part_builder_finish(dusk_part_builder *pb, dusk_slice meta,
                             dusk_buf *out) {
  uint64_t size = dusk_part_builder_size(pb, meta.len);
  col_cursor *cur;
  writer w;
  if (pb->finished)
    return DUSK_EINVAL;
  if (size > SIZE_MAX || (cur = malloc(pb->ncols * sizeof *cur)) == NULL)
    return DUSK_ENOMEM;
  if (reserve_exact(out, (size_t)size) != 0) {
    free(cur);
    return DUSK_ENOMEM;
  }
  w.p = (unsigned char *)out->data + out->len;
  w.at = 0;
  w_head(&w, pb, meta, cur);
  /* Chunk by chunk, each freed once written: the rows are held about
   * once, not in the chunks and the partition both. */
  while (pb->first != NULL) {
    part_chunk *ck = pb->first;
    w_chunk(w.p, pb, ck, cur);
    pb->first = ck->next;
    chunk_free(ck);
  }
  pb->last = &pb->first;
  pb->finished = true;
  free(cur);
  out->len += (size_t)size;
  return 0;
}

/* ---- reading --------------------------------------------------------------- */

void dusk_part_close(dusk_part *p) {
  free(p->cols);
  memset(p, 0, sizeof *p);
}

/* Whether every byte of p[0..n) is 0 or 1: one pass, eight bytes at a
 * time, no branches. */
static int all_01(const unsigned char *p, uint64_t n) {
  uint64_t acc = 0, i = 0;
  for (; i + 8 <= n; i += 8)
    acc |= ld64(p + i);
  for (; i < n; i++)
    acc |= p[i];
  return (acc & ~UINT64_C(0x0101010101010101)) == 0;
}

/* Whether rows [row, row + n) of a STRING column have offsets that never
 * decrease and give a null no bytes (their ends within the text are
 * checked by the caller). */
static int offsets_ok(const dusk_part_column *pc, uint64_t row, uint64_t n) {
  const unsigned char *o = pc->data + 8 * row;
  const uint8_t *valid = pc->valid + row;
  uint64_t bad = 0;
  /* Each row on its own (no carried state), so the loop vectorises. */
  for (uint64_t r = 0; r < n; r++) {
    uint64_t a = ld64(o + 8 * r), z = ld64(o + 8 * (r + 1));
    bad |= (uint64_t)(z < a) | ((uint64_t)(valid[r] == 0) & (z != a));
  }
  return !bad;
}

/* Reads the column table after the header of the len bytes at s into
 * p->cols (names, types) and offs/lens (each column's block); *end
 * receives where the table ends.  0 or DUSK_EPROTO. */
static int open_entries(const unsigned char *s, uint64_t len, dusk_part *p,
                        uint64_t *end, uint64_t *offs, uint64_t *lens,
                        dusk_error *err) {
  uint64_t at = HEADER_FIXED;
  for (size_t c = 0; c < p->ncols; c++) {
    dusk_part_column *pc = &p->cols[c];
    uint16_t name_len;
    uint32_t res32;
    if (len - at < ENTRY_FIXED)
      return dusk_error_set(err, DUSK_EPROTO,
                            "partition: column %zu's entry truncated", c);
    memcpy(&name_len, s + at + 2, 2);
    memcpy(&res32, s + at + 4, 4);
    if (!type_known(s[at]))
      return dusk_error_set(err, DUSK_EPROTO,
                            "partition: column %zu has unknown type %u", c,
                            (unsigned)s[at]);
    if (s[at + 1] != 0 || res32 != 0)
      return dusk_error_set(err, DUSK_EPROTO,
                            "partition: column %zu's reserved bytes not 0",
                            c);
    pc->type = (dusk_type)s[at];
    offs[c] = ld64(s + at + 8);
    lens[c] = ld64(s + at + 16);
    at += ENTRY_FIXED;
    if (len - at < name_len)
      return dusk_error_set(err, DUSK_EPROTO,
                            "partition: column %zu's name truncated", c);
    pc->name.ptr = (const char *)s + at;
    pc->name.len = name_len;
    at = pad8(at + name_len);
    if (at > len)
      return dusk_error_set(err, DUSK_EPROTO,
                            "partition: column table truncated");
  }
  *end = at;
  return 0;
}

/* Checks column c's block [off, off + blen) against the buffer and its
 * expected place, and points the column at it.  0 or DUSK_EPROTO. */
static int open_block(const unsigned char *s, uint64_t len, dusk_part *p,
                      size_t c, uint64_t off, uint64_t blen, uint64_t expect,
                      dusk_error *err) {
  dusk_part_column *pc = &p->cols[c];
  dusk_type phys = dusk_type_physical(pc->type);
  uint64_t n = p->nrows, fixed = block_len(phys, n, 0);
  if (off % 8 != 0)
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: column %zu's block misaligned", c);
  if (off > len || blen > len - off)
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: column %zu's block out of range", c);
  if (off != expect)
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: column %zu's block not where the "
                          "previous section ends", c);
  if (phys == DUSK_TYPE_STRING ? blen < fixed : blen != fixed)
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: column %zu's block of %llu bytes "
                          "does not hold %llu rows", c,
                          (unsigned long long)blen, (unsigned long long)n);
  pc->valid = s + off;
  pc->data = s + off + pad8(n);
  if (phys == DUSK_TYPE_STRING) {
    pc->text = (const char *)pc->data + 8 * (n + 1);
    pc->text_len = blen - fixed;
  }
  /* The rows' flags and offsets are checked as they are loaded
   * (dusk_part_load): a query reads a few columns of a partition, and
   * checking all of them on every open would cost a pass over it all. */
  if (phys == DUSK_TYPE_STRING &&
      (ld64(pc->data) != 0 || ld64(pc->data + 8 * n) != pc->text_len))
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: column %zu's string offsets are not "
                          "ascending within its text", c);
  return 0;
}

/* Refuses two columns of one name.  0, DUSK_EPROTO or DUSK_ENOMEM. */
static int open_names(const dusk_part *p, dusk_error *err) {
  dusk_slice *s = malloc(p->ncols * sizeof *s), dup;
  char shown[64];
  int rc;
  if (s == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "partition: out of memory");
  for (size_t c = 0; c < p->ncols; c++)
    s[c] = p->cols[c].name;
  rc = find_duplicate(s, p->ncols, &dup);
  free(s);
  if (rc == DUSK_ENOMEM)
    return dusk_error_set(err, DUSK_ENOMEM, "partition: out of memory");
  if (rc == 1) {
    dusk_sanitize(shown, sizeof shown, dup.ptr, dup.len);
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: two columns named '%s'", shown);
  }
  return 0;
}

/* The body of dusk_part_open, which frees p->cols on failure. */
static int open_part(const unsigned char *s, uint64_t len, dusk_part *p,
                     dusk_error *err) {
  uint32_t ncols, res32;
  uint64_t meta_len, at = 0, *offs;
  int rc;
  if (len < HEADER_FIXED || memcmp(s, MAGIC, sizeof MAGIC) != 0)
    return dusk_error_set(err, DUSK_EPROTO, "partition: bad magic");
  memcpy(&ncols, s + 8, 4);
  memcpy(&res32, s + 12, 4);
  p->nrows = ld64(s + 16);
  meta_len = ld64(s + 24);
  if (res32 != 0)
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: reserved header bytes not 0");
  /* Every column holds nrows valid bytes, so nrows <= len; the column
   * table is at least ENTRY_FIXED a column. */
  if (ncols == 0 || ncols > DUSK_PART_MAX_COLS ||
      (uint64_t)ncols * ENTRY_FIXED > len - HEADER_FIXED)
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: %u columns in %llu bytes", ncols,
                          (unsigned long long)len);
  if (p->nrows > len)
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: %llu rows in %llu bytes",
                          (unsigned long long)p->nrows,
                          (unsigned long long)len);
  p->ncols = ncols;
  /* One allocation: the columns, then their block offsets and lengths. */
  p->cols = calloc(ncols, sizeof *p->cols + 16);
  if (p->cols == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "partition: out of memory");
  offs = (uint64_t *)(p->cols + ncols);
  if ((rc = open_entries(s, len, p, &at, offs, offs + ncols, err)) != 0)
    return rc;
  if (meta_len > len - at)
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: meta of %llu bytes out of range",
                          (unsigned long long)meta_len);
  p->meta.ptr = (const char *)s + at;
  p->meta.len = (size_t)meta_len;
  at = pad8(at + meta_len);
  for (size_t c = 0; c < ncols; c++) {
    if ((rc = open_block(s, len, p, c, offs[c], offs[ncols + c], at,
                         err)) != 0)
      return rc;
    at = pad8(offs[c] + offs[ncols + c]);
  }
  if (at != len)
    return dusk_error_set(err, DUSK_EPROTO,
                          "partition: %llu bytes where %llu are laid out",
                          (unsigned long long)len, (unsigned long long)at);
  return open_names(p, err);
}

int dusk_part_open(dusk_slice bytes, dusk_part *p, dusk_error *err) {
  int rc;
  memset(p, 0, sizeof *p);
  rc = open_part((const unsigned char *)bytes.ptr, bytes.len, p, err);
  if (rc != 0)
    dusk_part_close(p);
  return rc;
}

int dusk_part_find(const dusk_part *p, const char *name, size_t len) {
  for (size_t c = 0; c < p->ncols; c++)
    if (p->cols[c].name.len == len &&
        (len == 0 || memcmp(p->cols[c].name.ptr, name, len) == 0))
      return (int)c;
  return -1;
}

/* Rows [row, row + n) of STRING column pc into batch column bc: their text
 * with one copy into the arena, offsets rebased onto it.  0, DUSK_EPROTO
 * (offsets that decrease, leave the text or give a null bytes),
 * DUSK_EINVAL (the batch's text past its uint32 offsets) or DUSK_ENOMEM. */
static int load_text(const dusk_part_column *pc, uint64_t row, size_t n,
                     bool trusted, dusk_column *bc, dusk_batch *b) {
  const unsigned char *o = pc->data + 8 * row;
  uint64_t first = ld64(o), last = ld64(o + 8 * n), total;
  uint32_t base;
  if (first > last || last > pc->text_len ||
      (!trusted && !offsets_ok(pc, row, n)))
    return DUSK_EPROTO;
  total = last - first;
  if (total > UINT32_MAX - b->arena_len)
    return DUSK_EINVAL;
  if (dusk_batch_arena_reserve(b, (size_t)total) != 0)
    return DUSK_ENOMEM;
  if (total > 0)
    memcpy(b->arena + b->arena_len, pc->text + first, (size_t)total);
  /* Row i's text at base + (offsets[i] - first) in the arena: uint32
   * arithmetic is exact, as the batch's text is below UINT32_MAX.  Each
   * row on its own (no carried state), so the loop vectorises. */
  base = (uint32_t)b->arena_len - (uint32_t)first;
  for (size_t i = 0; i < n; i++) {
    uint32_t a = (uint32_t)ld64(o + 8 * i), z = (uint32_t)ld64(o + 8 * i + 8);
    bc->str_off[i] = base + a;
    bc->str_len[i] = z - a;
  }
  b->arena_len += (size_t)total;
  return 0;
}

/* Whether p may be read as an array of 8-byte values in place. */
static int aligned8(const void *p) { return ((uintptr_t)p & 7) == 0; }

/* Points batch column bc at rows [row, ...) of pc's flags and, unless
 * flags_only, its fixed-width values; an unaligned array is copied into
 * bc's own instead.  (STRING: flags only, the caller loads the text.) */
static void borrow_column(const dusk_part_column *pc, uint64_t row, size_t n,
                          bool flags_only, dusk_column *bc) {
  const unsigned char *v = pc->data + 8 * row;
  bc->valid = (uint8_t *)(uintptr_t)(pc->valid + row);
  if (flags_only || bc->type == DUSK_TYPE_STRING)
    return;
  if (bc->type == DUSK_TYPE_BOOL)
    bc->b = (uint8_t *)(uintptr_t)(pc->data + row);
  else if (!aligned8(v))
    memcpy(bc->type == DUSK_TYPE_INT64 ? (void *)bc->i64 : (void *)bc->f64, v,
           8 * n);
  else if (bc->type == DUSK_TYPE_INT64)
    bc->i64 = (int64_t *)(uintptr_t)v;
  else
    bc->f64 = (double *)(uintptr_t)v;
}

static int load(const dusk_part *p, uint64_t row, size_t n, const int *src,
                const int *dst, const bool *nulls_only, size_t nmap,
                dusk_batch *b, bool borrow, dusk_error *err) {
  if (row > p->nrows || n > p->nrows - row || n > b->cap)
    return dusk_error_set(err, DUSK_EINVAL,
                          "partition: rows %llu..+%zu of %llu, batch of %zu",
                          (unsigned long long)row, n,
                          (unsigned long long)p->nrows, b->cap);
  for (size_t k = 0; k < nmap; k++)
    if (src[k] < 0 || (size_t)src[k] >= p->ncols || dst[k] < 0 ||
        (size_t)dst[k] >= b->ncols ||
        b->cols[dst[k]].type != dusk_type_physical(p->cols[src[k]].type))
      return dusk_error_set(err, DUSK_EINVAL,
                            "partition: column %d into batch column %d: "
                            "no such column or another type", src[k],
                            dst[k]);
  dusk_batch_clear(b);
  for (size_t k = 0; k < nmap; k++) {
    const dusk_part_column *pc = &p->cols[src[k]];
    dusk_column *bc = &b->cols[dst[k]];
    int rc;
    /* flags other than 0/1 would count wrong (hashagg adds valid bytes) */
    if (!p->trusted && (!all_01(pc->valid + row, n) ||
        (bc->type == DUSK_TYPE_BOOL && !all_01(pc->data + row, n))))
      return dusk_error_set(err, DUSK_EPROTO,
                            "partition: column %d has flags other than 0/1",
                            src[k]);
    if (borrow) {
      borrow_column(pc, row, n, nulls_only != NULL && nulls_only[k], bc);
      if (bc->type != DUSK_TYPE_STRING ||
          (nulls_only != NULL && nulls_only[k]))
        continue;
    } else {
      memcpy(bc->valid, pc->valid + row, n);
    }
    if (nulls_only != NULL && nulls_only[k])
      continue; /* its reader looks at the flags alone */
    switch (bc->type) {
    case DUSK_TYPE_INT64:
      memcpy(bc->i64, pc->data + 8 * row, 8 * n);
      break;
    case DUSK_TYPE_FLOAT64:
      memcpy(bc->f64, pc->data + 8 * row, 8 * n);
      break;
    case DUSK_TYPE_BOOL:
      memcpy(bc->b, pc->data + row, n);
      break;
    default:
      if ((rc = load_text(pc, row, n, p->trusted, bc, b)) != 0) {
        return rc == DUSK_EPROTO
                   ? dusk_error_set(err, rc,
                                    "partition: column %d's string offsets "
                                    "are not ascending within its text",
                                    src[k])
                   : dusk_error_set(err, rc, "partition: column %d: %s",
                                    src[k], dusk_strerror(rc));
      }
    }
  }
  b->nrows = n;
  b->first_row = row;
  return 0;
}


int dusk_part_load(const dusk_part *p, uint64_t row, size_t n,
                   const int *src, const int *dst, const bool *nulls_only,
                   size_t nmap, dusk_batch *b, dusk_error *err) {
  return load(p, row, n, src, dst, nulls_only, nmap, b, false, err);
}

int dusk_part_borrow(const dusk_part *p, uint64_t row, size_t n,
                     const int *src, const int *dst, const bool *nulls_only,
                     size_t nmap, dusk_batch *b, const dusk_column *own,
                     dusk_error *err) {
  dusk_part_restore(b, own);
  return load(p, row, n, src, dst, nulls_only, nmap, b, true, err);
}

void dusk_part_restore(dusk_batch *b, const dusk_column *own) {
  for (size_t c = 0; c < b->ncols; c++) {
    b->cols[c].valid = own[c].valid;
    b->cols[c].i64 = own[c].i64;
    b->cols[c].f64 = own[c].f64;
    b->cols[c].b = own[c].b;
  }
}
