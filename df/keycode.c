/* keycode.c - see keycode.h. */
#include "keycode.h"

#include "errors.h"
#include "hashmap.h"

#include <stdlib.h>
#include <string.h>

void dusk_keycoder_init(dusk_keycoder *c, size_t ncols) {
  memset(c, 0, sizeof *c);
  if (ncols >= 1 && ncols <= DUSK_KEYCODE_MAX_COLS) {
    c->ncols = ncols;
    c->bits = (unsigned)(63 / ncols);
  }
  for (size_t i = 0; i < DUSK_KEYCODE_MAX_COLS; i++)
    dusk_keyset_init(&c->dict[i]);
}

void dusk_keycoder_destroy(dusk_keycoder *c) {
  for (size_t i = 0; i < DUSK_KEYCODE_MAX_COLS; i++) {
    dusk_keyset_destroy(&c->dict[i]);
    free(c->memo[i]);
  }
  memset(c, 0, sizeof *c);
}

/* The number of string p (len bytes) in dictionary d, numbering it when
 * there is room below lim; -1 when it has none; -2 out of memory. */
static int64_t string_number(dusk_keyset *d, const char *p, size_t len,
                             uint64_t lim) {
  size_t e;
  int added;
  if (d->n >= lim) {
    e = dusk_keyset_find(d, p, len);
    return e == SIZE_MAX ? -1 : (int64_t)e;
  }
  if (dusk_keyset_find_or_add(d, p, len, &e, &added) != 0)
    return -2;
  return (int64_t)e;
}

_Static_assert(DUSK_KEYCODE_MEMO == 1 << 10,
               "memo_number indexes the memo by a hash's top 10 bits");

/* string_number through column k's memo: a string of up to 16 bytes met
 * before is found there by its padded bytes; one numbered now is
 * remembered (a number never changes, so the memo never disagrees with
 * the dictionary). */
static int64_t memo_number(dusk_keycoder *c, size_t k, const char *p,
                           size_t len, uint64_t lim) {
  dusk_keycode_memo *slot;
  uint64_t w[2] = {0, 0};
  int64_t id;
  if (len > sizeof w)
    return string_number(&c->dict[k], p, len, lim);
  if (c->memo[k] == NULL &&
      (c->memo[k] = calloc(DUSK_KEYCODE_MEMO, sizeof *c->memo[k])) == NULL)
    return -2;
  memcpy(w, p, len);
  slot = &c->memo[k][((w[0] * 0x9e3779b97f4a7c15ull) ^
                      (w[1] * 0xc2b2ae3d27d4eb4full) ^
                      (len * 0x165667b19e3779f9ull)) >>
                     54]; /* 64 - log2(DUSK_KEYCODE_MEMO) */
  if (slot->number != 0 && slot->len == len && slot->w[0] == w[0] &&
      slot->w[1] == w[1])
    return (int64_t)slot->number - 1;
  id = string_number(&c->dict[k], p, len, lim);
  if (id >= 0) {
    slot->w[0] = w[0];
    slot->w[1] = w[1];
    slot->len = (uint32_t)len;
    slot->number = (uint32_t)id + 1;
  }
  return id;
}

/* The field limit of a coder: values (and string numbers) below it. */
static uint64_t field_limit(const dusk_keycoder *c) {
  return (uint64_t)1 << c->bits;
}

/* The most strings a dictionary numbers: 1 + a number must fit a field. */
static uint64_t dict_limit(const dusk_keycoder *c) {
  uint64_t lim = field_limit(c) - 1;
  return lim < DUSK_KEYCODE_DICT ? lim : DUSK_KEYCODE_DICT;
}

/* A key column as the coder reads it, a batch's or a table's (their
 * strings are held differently). */
typedef struct key_view {
  dusk_type type;
  const uint8_t *valid;
  const int64_t *i64;
  const uint8_t *b;
  const char *text;              /* the batch arena, or the table's bytes */
  const uint32_t *off32, *len32; /* a batch's strings */
  const uint64_t *off64;         /* a table's: nrows + 1 offsets */
} key_view;

/* The codes of rows [from, to) over the views v[0..c->ncols) into
 * codes[r - from], rows whose skip[r] is set left alone.  The fixed
 * fields first: a string is numbered only for a key whose other fields
 * fit (keys that never code leave the dictionary to those that do). */
static int code_rows(dusk_keycoder *c, const key_view *v, size_t from,
                     size_t to, const uint8_t *skip, uint64_t *codes) {
  uint64_t lim = field_limit(c), dlim = dict_limit(c);
  for (size_t r = from; r < to; r++) {
    int64_t f[DUSK_KEYCODE_MAX_COLS];
    uint64_t code = 0;
    bool ok = c->ncols > 0;
    if (skip != NULL && skip[r])
      continue;
    for (size_t k = 0; ok && k < c->ncols; k++) {
      f[k] = dusk_keycode_field(v[k].type, v[k].valid, v[k].i64, v[k].b, r,
                                lim);
      ok = f[k] != DUSK_KEYCODE_NO_FIELD;
    }
    for (size_t k = 0; ok && k < c->ncols; k++) {
      if (f[k] == DUSK_KEYCODE_TEXT_FIELD) {
        int64_t id =
            v[k].off64 != NULL
                ? memo_number(c, k, v[k].text + v[k].off64[r],
                              v[k].off64[r + 1] - v[k].off64[r], dlim)
                : memo_number(c, k, v[k].text + v[k].off32[r], v[k].len32[r],
                              dlim);
        if (id == -2)
          return DUSK_ENOMEM;
        ok = id >= 0;
        f[k] = id + 1;
      }
      code = code << c->bits | (uint64_t)f[k];
    }
    codes[r - from] = ok ? code : DUSK_KEYCODE_NONE;
  }
  return 0;
}

int dusk_keycoder_code_batch(dusk_keycoder *c, const dusk_batch *b,
                             const int *cols, const uint8_t *skip,
                             uint64_t *codes) {
  key_view v[DUSK_KEYCODE_MAX_COLS];
  for (size_t k = 0; k < c->ncols; k++) {
    const dusk_column *col = &b->cols[cols[k]];
    v[k] = (key_view){col->type, col->valid, col->i64, col->b,
                      b->arena,  col->str_off, col->str_len, NULL};
  }
  return code_rows(c, v, 0, b->nrows, skip, codes);
}

int dusk_keycoder_code_table(dusk_keycoder *c, const dusk_table *t,
                             size_t from, size_t to, uint64_t *codes) {
  key_view v[DUSK_KEYCODE_MAX_COLS];
  if (c->ncols > t->ncols) { /* not this layout: nothing codes */
    for (size_t r = from; r < to; r++)
      codes[r - from] = DUSK_KEYCODE_NONE;
    return 0;
  }
  for (size_t k = 0; k < c->ncols; k++) {
    const dusk_table_column *col = &t->cols[k];
    v[k] = (key_view){col->type, col->valid, col->i64, col->b,
                      col->str_data != NULL ? col->str_data : "",
                      NULL, NULL, col->str_off};
  }
  return code_rows(c, v, from, to, NULL, codes);
}

/* ---- the code set -------------------------------------------------------- */

void dusk_codeset_init(dusk_codeset *s) { memset(s, 0, sizeof *s); }

void dusk_codeset_release_scratch(dusk_codeset *s) {
  free(s->homes);
  s->homes = NULL;
  s->nhomes = 0;
}

void dusk_codeset_destroy(dusk_codeset *s) {
  free(s->slots);
  free(s->homes);
  memset(s, 0, sizeof *s);
}

/* A slot's home is the low bits of its code's hash (codes of small
 * fields differ in few bits: dusk_hash_u64 spreads them). */
static inline uint64_t code_hash(uint64_t x) { return dusk_hash_u64(x); }

/* Rehashes into twice the slots (64 at first).  Walking the old slots in
 * order writes the new ones in two nearly sequential streams. */
static int grow(dusk_codeset *s) {
  size_t n = s->nslots ? s->nslots * 2 : 64, mask = n - 1;
  dusk_codeset_slot *slots;
  if (n > ((size_t)1 << 33) || (slots = calloc(n, sizeof *slots)) == NULL)
    return DUSK_ENOMEM;
  for (size_t j = 0; j < s->nslots; j++) {
    size_t i;
    if (s->slots[j].entry == 0)
      continue;
    for (i = code_hash(s->slots[j].code) & mask; slots[i].entry != 0;
         i = (i + 1) & mask)
      ;
    slots[i] = s->slots[j];
  }
  free(s->slots);
  s->slots = slots;
  s->nslots = n;
  return 0;
}

/* How many codes ahead of its probe a code's slot is fetched. */
#define CODE_PREFETCH_AHEAD 16

int dusk_codeset_find_or_add_batch(dusk_codeset *s, const uint64_t *codes,
                                   size_t n, uint32_t *entries,
                                   uint8_t *added) {
  if (n > s->nhomes) {
    uint64_t *h = realloc(s->homes, n * sizeof *h);
    if (h == NULL)
      return DUSK_ENOMEM;
    s->homes = h;
    s->nhomes = n;
  }
  for (size_t i = 0; i < n; i++)
    s->homes[i] = code_hash(codes[i]);
  for (size_t i = 0; i < n; i++) {
    size_t mask, j;
    if ((s->n + 1) * 10 > s->nslots * 7) {
      if (s->n >= UINT32_MAX - 1 || grow(s) != 0)
        return DUSK_ENOMEM;
    }
    mask = s->nslots - 1;
    if (i + CODE_PREFETCH_AHEAD < n)
      __builtin_prefetch(&s->slots[s->homes[i + CODE_PREFETCH_AHEAD] & mask]);
    for (j = s->homes[i] & mask;; j = (j + 1) & mask) {
      dusk_codeset_slot *sl = &s->slots[j];
      if (sl->entry == 0) {
        sl->code = codes[i];
        sl->entry = (uint32_t)++s->n;
        entries[i] = sl->entry - 1;
        added[i] = 1;
        break;
      }
      if (sl->code == codes[i]) {
        entries[i] = sl->entry - 1;
        added[i] = 0;
        break;
      }
    }
  }
  return 0;
}

/* Codes hashed ahead of their probes by dusk_codeset_find_batch. */
#define CODE_FIND_BLOCK 256

void dusk_codeset_find_batch(const dusk_codeset *s, const uint64_t *codes,
                             size_t n, uint32_t *entries) {
  uint64_t homes[CODE_FIND_BLOCK];
  size_t mask = s->nslots - 1;
  if (s->nslots == 0) {
    for (size_t i = 0; i < n; i++)
      entries[i] = UINT32_MAX;
    return;
  }
  for (size_t from = 0; from < n; from += CODE_FIND_BLOCK) {
    size_t m = n - from < CODE_FIND_BLOCK ? n - from : CODE_FIND_BLOCK;
    for (size_t i = 0; i < m; i++)
      homes[i] = code_hash(codes[from + i]);
    for (size_t i = 0; i < m; i++) {
      size_t j;
      if (i + CODE_PREFETCH_AHEAD < m)
        __builtin_prefetch(&s->slots[homes[i + CODE_PREFETCH_AHEAD] & mask]);
      entries[from + i] = UINT32_MAX;
      for (j = homes[i] & mask; s->slots[j].entry != 0; j = (j + 1) & mask)
        if (s->slots[j].code == codes[from + i]) {
          entries[from + i] = s->slots[j].entry - 1;
          break;
        }
    }
  }
}
