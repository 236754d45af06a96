/* batch.h - a column batch: up to `cap` rows of the columns a query needs,
 * the unit the worker's operators process.  Memory is reused from batch to
 * batch: operators never allocate per row or per field.
 *
 * A batch owns its arrays.  String values live in the batch's arena as
 * (offset, length) pairs, valid until the batch is cleared. */
#ifndef DUSK_BATCH_H
#define DUSK_BATCH_H

#include "value.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dusk_column {
  dusk_type type;
  uint8_t *valid;    /* cap bytes: 1 present, 0 null */
  int64_t *i64;      /* INT64 */
  double *f64;       /* FLOAT64 */
  uint8_t *b;        /* BOOL */
  uint32_t *str_off; /* STRING: offset into the batch arena */
  uint32_t *str_len; /* STRING: length */
} dusk_column;

typedef struct dusk_batch {
  size_t nrows, cap, ncols;
  dusk_column *cols;
  char *arena; /* string bytes of this batch */
  size_t arena_len, arena_cap;
  uint64_t first_row; /* ordinal of row 0 within its partition */
} dusk_batch;

/* Allocates a batch of cap rows with these column types.  0 or
 * DUSK_ENOMEM. */
int dusk_batch_init(dusk_batch *b, const dusk_type *types, size_t ncols,
                    size_t cap);
void dusk_batch_destroy(dusk_batch *b);
/* Empties the batch (rows and arena), keeping its memory. */
void dusk_batch_clear(dusk_batch *b);
/* The value at (col, row) of b: a DUSK_TYPE_NULL value for a null;
 * strings borrow from the batch arena. */
void dusk_batch_get(const dusk_batch *b, size_t col, size_t row,
                    dusk_value *v);

/* Copies len bytes into the arena; *off receives their offset.  0 or
 * DUSK_ENOMEM (the arena grows; it is bounded by the caller's field cap
 * times the batch size). */
int dusk_batch_arena_add(dusk_batch *b, const char *s, size_t len,
                         uint32_t *off);
/* Makes room for extra more arena bytes (geometric growth, so that a
 * caller copying many strings at once grows the arena once).  0 or
 * DUSK_ENOMEM (past the uint32 offsets' limit, or no memory). */
int dusk_batch_arena_reserve(dusk_batch *b, size_t extra);

#endif
