/* batch.c - column batches: arrays sized once, an arena grown geometrically,
 * both reused from batch to batch. */
#include "batch.h"

#include "errors.h"

#include <stdlib.h>
#include <string.h>

/* The first arena of a batch with string columns; it doubles from here. */
#define ARENA_INITIAL (64 * 1024)
/* Offsets are uint32: the arena never holds more. */
#define ARENA_MAX ((size_t)UINT32_MAX)

static void *alloc_array(size_t n, size_t size) {
  /* calloc checks n * size for overflow; 1 element for cap 0 so that a
   * successful allocation is never NULL. */
  return calloc(n ? n : 1, size);
}

int dusk_batch_init(dusk_batch *b, const dusk_type *types, size_t ncols,
                    size_t cap) {
  memset(b, 0, sizeof *b);
  b->cap = cap;
  b->ncols = ncols;
  b->cols = alloc_array(ncols, sizeof *b->cols);
  if (b->cols == NULL)
    goto nomem;
  for (size_t i = 0; i < ncols; i++) {
    dusk_column *c = &b->cols[i];
    c->type = types[i];
    c->valid = alloc_array(cap, sizeof *c->valid);
    if (c->valid == NULL)
      goto nomem;
    switch (c->type) {
    case DUSK_TYPE_BOOL:
      c->b = alloc_array(cap, sizeof *c->b);
      if (c->b == NULL)
        goto nomem;
      break;
    case DUSK_TYPE_INT64:
      c->i64 = alloc_array(cap, sizeof *c->i64);
      if (c->i64 == NULL)
        goto nomem;
      break;
    case DUSK_TYPE_FLOAT64:
      c->f64 = alloc_array(cap, sizeof *c->f64);
      if (c->f64 == NULL)
        goto nomem;
      break;
    case DUSK_TYPE_STRING:
      c->str_off = alloc_array(cap, sizeof *c->str_off);
      c->str_len = alloc_array(cap, sizeof *c->str_len);
      if (c->str_off == NULL || c->str_len == NULL)
        goto nomem;
      break;
    case DUSK_TYPE_NULL:
    default:
      break; /* validity only */
    }
  }
  return 0;

nomem:
  dusk_batch_destroy(b);
  return DUSK_ENOMEM;
}

void dusk_batch_destroy(dusk_batch *b) {
  if (b->cols != NULL) {
    for (size_t i = 0; i < b->ncols; i++) {
      dusk_column *c = &b->cols[i];
      free(c->valid);
      free(c->i64);
      free(c->f64);
      free(c->b);
      free(c->str_off);
      free(c->str_len);
    }
    free(b->cols);
  }
  free(b->arena);
  memset(b, 0, sizeof *b);
}

void dusk_batch_clear(dusk_batch *b) {
  b->nrows = 0;
  b->arena_len = 0;
}

int dusk_batch_arena_reserve(dusk_batch *b, size_t extra) {
  size_t need, cap;
  char *p;
  if (extra > ARENA_MAX - b->arena_len)
    return DUSK_ENOMEM;
  need = b->arena_len + extra;
  if (need <= b->arena_cap)
    return 0;
  cap = b->arena_cap ? b->arena_cap : ARENA_INITIAL;
  while (cap < need)
    cap = cap > ARENA_MAX / 2 ? ARENA_MAX : cap * 2;
  p = realloc(b->arena, cap);
  if (p == NULL)
    return DUSK_ENOMEM;
  b->arena = p;
  b->arena_cap = cap;
  return 0;
}

int dusk_batch_arena_add(dusk_batch *b, const char *s, size_t len,
                         uint32_t *off) {
  int rc = dusk_batch_arena_reserve(b, len);
  if (rc != 0)
    return rc;
  if (len > 0)
    memcpy(b->arena + b->arena_len, s, len);
  *off = (uint32_t)b->arena_len;
  b->arena_len += len;
  return 0;
}

void dusk_batch_get(const dusk_batch *b, size_t col, size_t row,
                    dusk_value *v) {
  const dusk_column *c = &b->cols[col];
  if (!c->valid[row]) {
    v->type = DUSK_TYPE_NULL;
    return;
  }
  v->type = c->type;
  switch (c->type) {
  case DUSK_TYPE_INT64:
    v->u.i = c->i64[row];
    break;
  case DUSK_TYPE_FLOAT64:
    v->u.f = c->f64[row];
    break;
  case DUSK_TYPE_BOOL:
    v->u.b = c->b[row] != 0;
    break;
  default:
    v->u.s.ptr = b->arena + c->str_off[row];
    v->u.s.len = c->str_len[row];
  }
}
