/* hashagg.c - groupby state: an open-addressing table of encoded key
 * tuples, and per group one state slot per aggregate.
 *
 * Keys are encoded into bytes (int64/float64: 8 bytes, bool: 1, string:
 * 4-byte length + bytes; -0.0 folded into 0.0) and numbered in a
 * dusk_keyset (keyset.h).  nunique keeps a second table of
 * encoded (group id, value) pairs.  The partial table carries every state
 * column, named "<agg>:<part>", after the key columns. */
#include "hashagg.h"

#include "moments.h"
#include "quantile.h"

#include "buf.h"
#include "keyset.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One aggregate's state for one group. */
typedef struct slot {
  int64_t n;   /* values counted (COUNT, SIZE, MEAN, NUNIQUE) */
  int64_t i;   /* int sum, or int/bool min/max */
  double f;    /* float sum, or float min/max, or std/var's mean (hi) */
  double m2;   /* std/var: sum of squared deviations from the mean */
  /* std/var: the mean's low part (lo), as moments.h settles them; while
   * rows are added (has set), n, k, f, m2 and i are instead a
   * dusk_moments_sums' n, k, s1, s2 and ninf (slot_sums) */
  double k;
  char *s;     /* string min/max/first/last */
  uint32_t slen;
  uint8_t has; /* min/max/first/last: a value is set; float sum/mean:
                  the infinities seen (inf_code) */
  union {
    struct {
      int64_t range, row; /* first/last: where the value was, in file
                             order; float sum/mean: range, the last
                             value's range */
    };
    struct {
      double c1, c2; /* std/var while rows are added: the sums'
                        compensations (dusk_moments_sums) */
    };
  };
} slot;

/* pandas 1.5's groupby sum and mean add a group's values in file order
 * with Kahan compensation, whose compensation turns NaN once an infinity
 * is added (inf - inf), and the next value then turns the sum NaN.  So a
 * group's sum is NaN when it holds two infinities (of either sign), or
 * one followed by any value; one infinity that is the group's last value
 * gives that infinity.  A float sum/mean slot keeps, besides the plain
 * sum, how many infinities it saw (capped at 2) and whether the last
 * value it saw was the only one, packed as inf_code; partials merge them
 * by which holds the later last value (ranges are disjoint, so the
 * range of each one's last value orders them).  The whole frame's sum is
 * numpy's (no compensation): plain inf and NaN there. */
#define INF_COUNT(code) ((code) >> 1)
#define INF_IS_LAST(code) ((code)&1)
static uint8_t inf_code(int ninf, bool last) {
  ninf = ninf > 2 ? 2 : ninf;
  return (uint8_t)(ninf * 2 + (ninf == 1 && last));
}

struct dusk_hashagg {
  size_t nkeys, naggs;
  char **key_names;
  dusk_type *key_types;
  dusk_aggspec *aggs;
  dusk_keyset groups;
  slot *slots; /* ngroups * naggs */
  size_t slots_cap; /* groups */
  dusk_keyset uniques; /* nunique: encoded (agg, group, value); median,
                          quantile: (agg, group, ordered key) */
  int64_t *ucount;     /* per uniques entry: median/quantile's count */
  size_t ucount_cap;
  dusk_buf scratch;
  /* Per dusk_dense_codes code: its group + 1 (0 = none yet); keys
   * without a code use the keyset alone. */
  uint32_t *dense;
  uint32_t *row_group; /* per batch row: group + 1, 0 = dropped */
  size_t row_group_cap;
  /* Multi-column keys of a batch, looked up together (assign_groups):
   * key i is keybuf bytes [key_off[i], key_off[i + 1]) and belongs to
   * batch row key_row[i]; key_group and key_added are the lookup's
   * answers. */
  dusk_buf keybuf;
  size_t *key_off, *key_row;
  int64_t *key_code; /* per batch row: dusk_dense_codes */
  uint32_t *key_group;
  uint8_t *key_added;
  size_t keys_cap;
  /* Per group + 1 (0 = dropped): the batch's rows in it, when counts are
   * added by group (count_by_group). */
  uint32_t *group_rows;
  size_t group_rows_cap;
  /* Where the rows being added are (dusk_hashagg_at): their range and
   * ordinals, or without ordinals the rows added so far (seq). */
  int64_t at_range;
  const uint64_t *at_rows;
  const uint64_t *at_ranges; /* per row, when they differ (at_each) */
  int64_t seq;
  /* dropna=False: a null (or NaN) key value is a key like any other; each
   * key value is then encoded after a byte saying whether it is one. */
  bool keep_na;
  /* Some aggregate is FIRST_ROW: only then is a batch's order checked
   * (batch_after_all), a pass over its rows no other aggregate needs. */
  bool has_first_row;
  uint64_t text_cap; /* a text sum's bytes at most (hashagg.h) */
  /* The latest position any first/last state was given (update_at, or
   * a batch_after_all batch), INT64_MIN when none: a batch wholly after
   * it holds no group's first row but its new groups'. */
  int64_t hi_range, hi_row;
};


size_t dusk_hashagg_ngroups(const dusk_hashagg *h) { return h->groups.n; }

size_t dusk_hashagg_value_len(dusk_type t, const char *p, size_t avail) {
  size_t need = t == DUSK_TYPE_STRING ? 4 : t == DUSK_TYPE_BOOL ? 1 : 8;
  if (avail < need)
    return 0;
  if (t == DUSK_TYPE_STRING) {
    uint32_t len;
    memcpy(&len, p, 4);
    if (avail - 4 < len)
      return 0;
    need += len;
  }
  return need;
}

static int ensure_slots(dusk_hashagg *h);

static int agg_supported(dusk_agg_fn fn, dusk_type t) {
  switch (fn) {
  case DUSK_AGG_COUNT:
  case DUSK_AGG_SIZE:
  case DUSK_AGG_NUNIQUE:
  case DUSK_AGG_MIN:
  case DUSK_AGG_MAX:
  case DUSK_AGG_FIRST:
  case DUSK_AGG_LAST:
  case DUSK_AGG_FIRST_ROW:
    return 1;
  case DUSK_AGG_SUM: /* of text: the strings concatenated (text_sum_add) */
    return t == DUSK_TYPE_INT64 || t == DUSK_TYPE_FLOAT64 ||
           t == DUSK_TYPE_BOOL || t == DUSK_TYPE_STRING;
  case DUSK_AGG_MEAN:
  case DUSK_AGG_STD:
  case DUSK_AGG_VAR:
    return t == DUSK_TYPE_INT64 || t == DUSK_TYPE_FLOAT64 ||
           t == DUSK_TYPE_BOOL;
  case DUSK_AGG_MEDIAN:
  case DUSK_AGG_QUANTILE: /* a bool's as 0 / 1, pandas' float answer */
    return t == DUSK_TYPE_INT64 || t == DUSK_TYPE_FLOAT64 ||
           t == DUSK_TYPE_BOOL;
  }
  return 0;
}

static int ucount_reserve(dusk_hashagg *h, size_t n) {
  size_t cap = h->ucount_cap ? h->ucount_cap : 256;
  int64_t *c;
  if (n <= h->ucount_cap)
    return 0;
  while (cap < n)
    cap *= 2;
  if ((c = realloc(h->ucount, cap * sizeof *c)) == NULL)
    return DUSK_ENOMEM;
  memset(c + h->ucount_cap, 0, (cap - h->ucount_cap) * sizeof *c);
  h->ucount = c;
  h->ucount_cap = cap;
  return 0;
}

/* median / quantile over a batch: each row's (agg, group, ordered key)
 * looked up in one batch (the key set's prefetching pays there), then
 * counted.  Nulls, NaN and rows without a group are skipped.  Uses the
 * key scratch assign_groups sized to the batch. */
static int add_qvalues(dusk_hashagg *h, const dusk_batch *b, size_t a,
                       int col) {
  const dusk_column *c = &b->cols[col];
  const uint32_t *rg = h->row_group;
  size_t n = 0;
  int rc;
  h->keybuf.len = 0;
  if ((rc = dusk_buf_reserve(&h->keybuf, 16 * b->nrows)) != 0)
    return rc;
  for (size_t r = 0; r < b->nrows; r++) {
    uint32_t ids[2];
    uint64_t key;
    if (!rg[r] || !c->valid[r])
      continue;
    if (c->type == DUSK_TYPE_FLOAT64) {
      if (isnan(c->f64[r]))
        continue; /* skipped, as pandas skips NaN */
      key = dusk_qkey_from_f64(c->f64[r]);
    } else if (c->type == DUSK_TYPE_BOOL) {
      key = dusk_qkey_from_i64(c->b[r] != 0);
    } else {
      key = dusk_qkey_from_i64(c->i64[r]);
    }
    ids[0] = (uint32_t)a;
    ids[1] = rg[r] - 1;
    h->key_off[n] = h->keybuf.len;
    h->key_row[n++] = r;
    memcpy(h->keybuf.data + h->keybuf.len, ids, 8);
    memcpy(h->keybuf.data + h->keybuf.len + 8, &key, 8);
    h->keybuf.len += 16;
  }
  h->key_off[n] = h->keybuf.len;
  if ((rc = dusk_keyset_find_or_add_batch(&h->uniques, h->keybuf.data,
                                          h->key_off, n, h->key_group,
                                          h->key_added)) != 0 ||
      (rc = ucount_reserve(h, h->uniques.n)) != 0)
    return rc;
  for (size_t i = 0; i < n; i++) {
    h->ucount[h->key_group[i]]++;
    h->slots[(rg[h->key_row[i]] - 1) * h->naggs + a].n++;
  }
  return 0;
}

/* median / quantile: count copies of the value whose ordered key
 * (quantile.h) is key into aggregate a of group g. */
static int qvalue_add(dusk_hashagg *h, size_t g, size_t a, uint64_t key,
                      int64_t count) {
  uint32_t ids[2] = {(uint32_t)a, (uint32_t)g};
  char k[16];
  size_t entry;
  int added, rc;
  memcpy(k, ids, 8);
  memcpy(k + 8, &key, 8);
  if ((rc = dusk_keyset_find_or_add(&h->uniques, k, sizeof k, &entry,
                                    &added)) != 0 ||
      (rc = ucount_reserve(h, entry + 1)) != 0)
    return rc; /* an entry left counted 0 is never read: the task failed */
  if (__builtin_add_overflow(h->ucount[entry], count, &h->ucount[entry]) ||
      __builtin_add_overflow(h->slots[g * h->naggs + a].n, count,
                             &h->slots[g * h->naggs + a].n))
    return DUSK_ETYPE; /* counts past int64: no partial of real rows */
  return 0;
}

/* std / var slots (moments.h).  While rows are added the slot holds
 * shifted sums; a partial and a merge hold the settled moments.  Rows are
 * added only to slots that have merged nothing (a scan's), so the two
 * never meet.  The infinities' sum is not kept: their mean is no std's. */
static void slot_sums(const slot *s, dusk_moments_sums *m) {
  m->n = s->has ? s->n : 0;
  m->k = s->has ? s->k : 0;
  m->s1 = s->has ? s->f : 0;
  m->s2 = s->has ? s->m2 : 0;
  m->c1 = s->has ? s->c1 : 0;
  m->c2 = s->has ? s->c2 : 0;
  m->ninf = s->has ? s->i : 0;
  m->inf = m->ninf ? NAN : 0;
}

static void slot_set_sums(slot *s, const dusk_moments_sums *m) {
  s->n = m->n;
  s->k = m->k;
  s->f = m->s1;
  s->m2 = m->s2;
  s->c1 = m->c1;
  s->c2 = m->c2;
  s->i = m->ninf;
  s->has = 1;
}

static void slot_moments(const slot *s, dusk_moments *m) {
  if (s->has) {
    dusk_moments_sums sums;
    slot_sums(s, &sums);
    dusk_moments_settle(&sums, m);
    return;
  }
  m->n = s->n;
  m->hi = s->f;
  m->lo = s->k;
  m->m2 = s->m2;
}

static void slot_set_moments(slot *s, const dusk_moments *m) {
  s->n = m->n;
  s->f = m->hi;
  s->k = m->lo;
  s->m2 = m->m2;
  s->i = 0;
  s->has = 0;
}

dusk_hashagg *dusk_hashagg_new(const char *const *key_names,
                               const dusk_type *key_types, size_t nkeys,
                               const dusk_aggspec *aggs, size_t naggs) {
  dusk_hashagg *h = calloc(1, sizeof *h);
  if (h == NULL)
    return NULL;
  h->nkeys = nkeys;
  h->naggs = naggs;
  h->text_cap = DUSK_TEXT_SUM_MAX;
  h->hi_range = h->hi_row = INT64_MIN;
  h->key_names = calloc(nkeys ? nkeys : 1, sizeof *h->key_names);
  h->key_types = calloc(nkeys ? nkeys : 1, sizeof *h->key_types);
  h->aggs = calloc(naggs ? naggs : 1, sizeof *h->aggs);
  dusk_keyset_init(&h->groups);
  dusk_keyset_init(&h->uniques);
  dusk_buf_init(&h->scratch);
  dusk_buf_init(&h->keybuf);
  if (h->key_names == NULL || h->key_types == NULL || h->aggs == NULL)
    goto fail;
  for (size_t k = 0; k < nkeys; k++) {
    if ((h->key_names[k] = strdup(key_names[k])) == NULL)
      goto fail;
    h->key_types[k] = key_types[k];
  }
  for (size_t a = 0; a < naggs; a++) {
    if (!agg_supported(aggs[a].fn, aggs[a].input))
      goto fail;
    h->aggs[a] = aggs[a];
    h->has_first_row |= aggs[a].fn == DUSK_AGG_FIRST_ROW;
    if ((h->aggs[a].name = strdup(aggs[a].name)) == NULL)
      goto fail;
  }
  /* No keys: a whole-frame reduction, one group that exists even when no
   * row does (pandas' sum of nothing is 0, its count 0, its mean NaN). */
  if (nkeys == 0) {
    size_t g;
    int added;
    if (dusk_keyset_find_or_add(&h->groups, "", 0, &g, &added) != 0 ||
        ensure_slots(h) != 0)
      goto fail;
  }
  return h;
fail:
  dusk_hashagg_free(h);
  return NULL;
}

void dusk_hashagg_free(dusk_hashagg *h) {
  if (h == NULL)
    return;
  for (size_t k = 0; k < h->nkeys && h->key_names; k++)
    free(h->key_names[k]);
  for (size_t a = 0; a < h->naggs && h->aggs; a++)
    free((char *)h->aggs[a].name);
  /* Up to slots_cap, not groups.n: an ENOMEM growing the slots leaves
   * groups the key set added without slots (those beyond are zeroed). */
  if (h->slots != NULL)
    for (size_t i = 0; i < h->slots_cap * h->naggs; i++)
      free(h->slots[i].s);
  free(h->key_names);
  free(h->key_types);
  free(h->aggs);
  free(h->slots);
  free(h->group_rows);
  dusk_keyset_destroy(&h->groups);
  dusk_keyset_destroy(&h->uniques);
  free(h->ucount);
  dusk_buf_destroy(&h->scratch);
  free(h->dense);
  free(h->row_group);
  dusk_buf_destroy(&h->keybuf);
  free(h->key_off);
  free(h->key_code);
  free(h->key_row);
  free(h->key_group);
  free(h->key_added);
  free(h);
}

/* ---- encoding values ----------------------------------------------------- */

static int put_value(dusk_buf *b, dusk_type t, const dusk_value *v) {
  switch (t) {
  case DUSK_TYPE_INT64:
    return dusk_buf_append(b, &v->u.i, 8);
  case DUSK_TYPE_FLOAT64: {
    double f = v->u.f == 0 ? 0.0 : v->u.f; /* -0.0 and 0.0 are one key */
    return dusk_buf_append(b, &f, 8);
  }
  case DUSK_TYPE_BOOL: {
    uint8_t x = v->u.b ? 1 : 0;
    return dusk_buf_append(b, &x, 1);
  }
  case DUSK_TYPE_STRING: {
    uint32_t len = (uint32_t)v->u.s.len;
    int rc = dusk_buf_append(b, &len, 4);
    return rc ? rc : dusk_buf_append(b, v->u.s.ptr, v->u.s.len);
  }
  default:
    return DUSK_ETYPE;
  }
}

/* Reads one encoded value of type t at *pos; strings borrow. */
static void get_value(const char *p, size_t *pos, dusk_type t, dusk_value *v) {
  v->type = t;
  switch (t) {
  case DUSK_TYPE_INT64:
    memcpy(&v->u.i, p + *pos, 8);
    *pos += 8;
    break;
  case DUSK_TYPE_FLOAT64:
    memcpy(&v->u.f, p + *pos, 8);
    *pos += 8;
    break;
  case DUSK_TYPE_BOOL:
    v->u.b = p[*pos] != 0;
    *pos += 1;
    break;
  default: {
    uint32_t len;
    memcpy(&len, p + *pos, 4);
    v->u.s.ptr = p + *pos + 4;
    v->u.s.len = len;
    *pos += 4 + (size_t)len;
  }
  }
}


/* ---- updating states ----------------------------------------------------- */

/* Room for the state of n groups. */
static int reserve_slots(dusk_hashagg *h, size_t n) {
  if (n <= h->slots_cap)
    return 0;
  size_t cap = h->slots_cap ? h->slots_cap * 2 : 64;
  while (cap < n)
    cap *= 2;
  slot *s = realloc(h->slots, cap * (h->naggs ? h->naggs : 1) * sizeof *s);
  if (s == NULL)
    return DUSK_ENOMEM;
  memset(s + h->slots_cap * h->naggs, 0,
         (cap - h->slots_cap) * h->naggs * sizeof *s);
  h->slots = s;
  h->slots_cap = cap;
  return 0;
}

static int ensure_slots(dusk_hashagg *h) {
  return reserve_slots(h, h->groups.n);
}

/* Whether a key value is missing: a null, or a float NaN (pandas' NaN key
 * is the missing one). */
static bool key_is_na(const dusk_value *v) {
  return v->type == DUSK_TYPE_NULL ||
         (v->type == DUSK_TYPE_FLOAT64 && isnan(v->u.f));
}

/* Appends key value v of key k to b: put_value's bytes, after a presence
 * byte when missing values are keys (keep_na). */
static int put_key(const dusk_hashagg *h, dusk_buf *b, size_t k,
                   const dusk_value *v) {
  if (h->keep_na) {
    uint8_t present = !key_is_na(v);
    int rc = dusk_buf_append(b, &present, 1);
    if (rc != 0 || !present)
      return rc;
  }
  return put_value(b, h->key_types[k], v);
}

/* Reads key value k at *pos of an encoded key (a NULL value for a
 * missing one). */
static void get_key(const dusk_hashagg *h, const char *p, size_t *pos,
                    size_t k, dusk_value *v) {
  if (h->keep_na && p[(*pos)++] == 0) {
    v->type = DUSK_TYPE_NULL;
    return;
  }
  get_value(p, pos, h->key_types[k], v);
}

static int group_of(dusk_hashagg *h, const dusk_value *keys, size_t *gid) {
  int added, rc;
  h->scratch.len = 0;
  for (size_t k = 0; k < h->nkeys; k++)
    if ((rc = put_key(h, &h->scratch, k, &keys[k])) != 0)
      return rc;
  if ((rc = dusk_keyset_find_or_add(&h->groups, h->scratch.data, h->scratch.len,
                                gid, &added)) != 0)
    return rc;
  return added ? ensure_slots(h) : 0;
}

static int cmp_values(dusk_type t, const dusk_value *a, const dusk_value *b) {
  switch (t) {
  case DUSK_TYPE_INT64:
    return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
  case DUSK_TYPE_FLOAT64:
    return a->u.f < b->u.f ? -1 : a->u.f > b->u.f;
  case DUSK_TYPE_BOOL:
    return (int)a->u.b - (int)b->u.b;
  default: {
    size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int c = memcmp(a->u.s.ptr, b->u.s.ptr, n);
    if (c != 0)
      return c < 0 ? -1 : 1;
    return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
  }
  }
}

static void slot_value(const slot *s, dusk_type t, dusk_value *v) {
  v->type = t;
  if (t == DUSK_TYPE_FLOAT64)
    v->u.f = s->f;
  else if (t == DUSK_TYPE_STRING) {
    v->u.s.ptr = s->s ? s->s : "";
    v->u.s.len = s->slen;
  } else if (t == DUSK_TYPE_BOOL)
    v->u.b = s->i != 0;
  else
    v->u.i = s->i;
}

static int slot_set(slot *s, dusk_type t, const dusk_value *v) {
  if (t == DUSK_TYPE_STRING) {
    if (v->u.s.len > s->slen || s->s == NULL) {
      char *p = realloc(s->s, v->u.s.len + 1);
      if (p == NULL)
        return DUSK_ENOMEM;
      s->s = p;
    }
    memcpy(s->s, v->u.s.ptr, v->u.s.len);
    s->slen = (uint32_t)v->u.s.len;
  } else if (t == DUSK_TYPE_FLOAT64) {
    s->f = v->u.f;
  } else if (t == DUSK_TYPE_BOOL) {
    s->i = v->u.b;
  } else {
    s->i = v->u.i;
  }
  s->has = 1;
  return 0;
}

/* first / last: takes v (not null) at position (range, row) when it comes
 * before (first) or after (last) the value held.  Rows can share a
 * position - a left row met by several right rows of a join keeps its
 * label, and they arrive in pandas' order - so at a tie first keeps the
 * row held and last takes the newer one. */
static int update_at(dusk_hashagg *h, size_t g, size_t a, const dusk_value *v,
                     int64_t range, int64_t row) {
  slot *s = &h->slots[g * h->naggs + a];
  int rc;
  if (range > h->hi_range || (range == h->hi_range && row > h->hi_row)) {
    h->hi_range = range;
    h->hi_row = row;
  }
  if (s->has) {
    int c = range != s->range ? (range < s->range ? -1 : 1)
            : row != s->row   ? (row < s->row ? -1 : 1)
                              : 0;
    if (h->aggs[a].fn != DUSK_AGG_LAST ? c >= 0 : c < 0)
      return 0;
  }
  if ((rc = slot_set(s, h->aggs[a].input, v)) != 0)
    return rc;
  s->range = range;
  s->row = row;
  return 0;
}

/* A text sum (SUM of a STRING column, pandas' object sum): the group's
 * strings concatenated in file order.  The slot holds the bytes (s,
 * slen), the strings counted (n), where its first one lies (range: the
 * partials of disjoint ranges merge in range order) and, in `has`,
 * TEXT_TOO_BIG once the bytes would pass text_cap: then they are dropped
 * (the final answers null, which the query turns into an error naming
 * the column) and only the count goes on.  Nulls are not its business:
 * the scheduler's hidden count and size of the column say whether pandas
 * would fail on one. */
#define TEXT_TOO_BIG 2

/* The room a text sum's buffer of len bytes (and a NUL) has: a power of
 * two from 64, so appends grow it geometrically, not by each string's
 * length (a realloc per row copies the whole sum each time where the
 * allocator cannot grow it in place - quadratic, as under ASan). */
static size_t text_room(size_t len) {
  size_t room = 64;
  while (room < len + 1)
    room *= 2;
  return room;
}

/* Appends bytes [p, p + len) to text sum slot s: after its bytes, or
 * before them (a partial of earlier ranges). */
static int text_sum_append(const dusk_hashagg *h, slot *s, const char *p,
                           size_t len, bool before) {
  char *b = s->s;
  if (s->has & TEXT_TOO_BIG)
    return 0;
  if ((uint64_t)s->slen + len > h->text_cap) {
    free(s->s);
    s->s = NULL;
    s->slen = 0;
    s->has |= TEXT_TOO_BIG;
    return 0;
  }
  if (len == 0)
    return 0;
  if ((b == NULL || text_room(s->slen) < (size_t)s->slen + len + 1) &&
      (b = realloc(s->s, text_room((size_t)s->slen + len))) == NULL)
    return DUSK_ENOMEM;
  if (before) {
    memmove(b + len, b, s->slen);
    memcpy(b, p, len);
  } else {
    memcpy(b + s->slen, p, len);
  }
  s->s = b;
  s->slen += (uint32_t)len;
  return 0;
}

/* Looks up the n (aggregate, group, value) keys in keybuf (key_off[0..n)
 * set; key_off[n] is set here): key_group[i] their entries, key_added[i]
 * whether key i is new to its group. */
static int lookup_uniques(dusk_hashagg *h, size_t n) {
  h->key_off[n] = h->keybuf.len;
  return dusk_keyset_find_or_add_batch(&h->uniques, h->keybuf.data,
                                       h->key_off, n, h->key_group,
                                       h->key_added);
}

/* nunique over a batch: each row's (agg, group, value) - the key update
 * builds for one row - looked up in one batch, then each value new to
 * its group counted.  Nulls and rows without a group are skipped. */
static int add_uniques(dusk_hashagg *h, const dusk_batch *b, size_t a,
                       int col) {
  const dusk_type input = h->aggs[a].input;
  const uint32_t *rg = h->row_group;
  size_t n = 0;
  int rc;
  h->keybuf.len = 0;
  for (size_t r = 0; r < b->nrows; r++) {
    dusk_value v;
    uint32_t ids[2];
    if (!rg[r])
      continue;
    dusk_batch_get(b, (size_t)col, r, &v);
    if (v.type == DUSK_TYPE_NULL)
      continue;
    ids[0] = (uint32_t)a;
    ids[1] = rg[r] - 1;
    h->key_off[n] = h->keybuf.len;
    h->key_row[n++] = r;
    if ((rc = dusk_buf_append(&h->keybuf, ids, sizeof ids)) != 0 ||
        (rc = put_value(&h->keybuf, input, &v)) != 0)
      return rc;
  }
  if ((rc = lookup_uniques(h, n)) != 0)
    return rc;
  for (size_t i = 0; i < n; i++)
    h->slots[(rg[h->key_row[i]] - 1) * h->naggs + a].n += h->key_added[i];
  return 0;
}

/* Folds one value (possibly null) into aggregate a of group g. */
static int update(dusk_hashagg *h, size_t g, size_t a, const dusk_value *v) {
  slot *s = &h->slots[g * h->naggs + a];
  const dusk_aggspec *spec = &h->aggs[a];
  if (spec->fn == DUSK_AGG_SIZE) {
    s->n++;
    return 0;
  }
  if (v->type == DUSK_TYPE_NULL)
    return 0;
  switch (spec->fn) {
  case DUSK_AGG_COUNT:
    s->n++;
    return 0;
  case DUSK_AGG_SUM:
  case DUSK_AGG_MEAN:
    if (spec->input == DUSK_TYPE_STRING) {
      if (s->n++ == 0)
        s->range = h->at_range;
      return text_sum_append(h, s, v->u.s.ptr, v->u.s.len, false);
    }
    s->n++;
    if (spec->input == DUSK_TYPE_FLOAT64) {
      bool inf = isinf(v->u.f);
      s->f += v->u.f;
      s->has = inf_code(INF_COUNT(s->has) + inf, inf);
      s->range = h->at_range;
    }
    else if (spec->fn == DUSK_AGG_MEAN)
      s->f += (double)(spec->input == DUSK_TYPE_BOOL ? v->u.b : v->u.i);
    else /* wraps like numpy's int64 instead of overflowing */
      s->i = (int64_t)((uint64_t)s->i +
                       (uint64_t)(spec->input == DUSK_TYPE_BOOL ? v->u.b
                                                                : v->u.i));
    return 0;
  case DUSK_AGG_STD:
  case DUSK_AGG_VAR: {
    double x = spec->input == DUSK_TYPE_FLOAT64 ? v->u.f
               : spec->input == DUSK_TYPE_BOOL  ? (double)v->u.b
                                                : (double)v->u.i;
    dusk_moments_sums sums;
    if (isnan(x))
      return 0; /* pandas skips NaN as it skips nulls */
    slot_sums(s, &sums);
    dusk_moments_sums_add(&sums, x);
    slot_set_sums(s, &sums);
    return 0;
  }
  case DUSK_AGG_MIN:
  case DUSK_AGG_MAX: {
    dusk_value cur = {0};
    int c;
    if (!s->has)
      return slot_set(s, spec->input, v);
    slot_value(s, spec->input, &cur);
    c = cmp_values(spec->input, v, &cur);
    if ((spec->fn == DUSK_AGG_MIN && c < 0) ||
        (spec->fn == DUSK_AGG_MAX && c > 0))
      return slot_set(s, spec->input, v);
    return 0;
  }
  case DUSK_AGG_MEDIAN:
  case DUSK_AGG_QUANTILE:
    if (v->type == DUSK_TYPE_FLOAT64)
      return isnan(v->u.f) ? 0 /* skipped, as pandas skips NaN */
                           : qvalue_add(h, g, a, dusk_qkey_from_f64(v->u.f), 1);
    if (v->type == DUSK_TYPE_BOOL)
      return qvalue_add(h, g, a, dusk_qkey_from_i64(v->u.b), 1);
    return qvalue_add(h, g, a, dusk_qkey_from_i64(v->u.i), 1);
  case DUSK_AGG_NUNIQUE: {
    size_t entry;
    int added, rc;
    uint32_t ids[2] = {(uint32_t)a, (uint32_t)g};
    h->scratch.len = 0;
    if ((rc = dusk_buf_append(&h->scratch, ids, sizeof ids)) != 0 ||
        (rc = put_value(&h->scratch, spec->input, v)) != 0 ||
        (rc = dusk_keyset_find_or_add(&h->uniques, h->scratch.data,
                                  h->scratch.len, &entry, &added)) != 0)
      return rc;
    s->n += added;
    return 0;
  }
  default:
    return 0;
  }
}

/* Sizes the batch lookup scratch (key_code, key_off, key_row, key_group,
 * key_added) to n rows: the group keys' lookups use it, then each batched
 * aggregate's (add_qvalues, add_uniques) in turn. */
static int key_scratch_reserve(dusk_hashagg *h, size_t n) {
  if (n == 0)
    n = 1; /* key_off[0] is written even for a batch of no rows */
  if (n > h->keys_cap) {
    size_t cap = n;
    int64_t *code = realloc(h->key_code, cap * sizeof *code);
    if (code == NULL)
      return DUSK_ENOMEM;
    h->key_code = code;
    size_t *off = realloc(h->key_off, (cap + 1) * sizeof *off);
    if (off == NULL)
      return DUSK_ENOMEM;
    h->key_off = off;
    size_t *row = realloc(h->key_row, cap * sizeof *row);
    if (row == NULL)
      return DUSK_ENOMEM;
    h->key_row = row;
    uint32_t *grp = realloc(h->key_group, cap * sizeof *grp);
    if (grp == NULL)
      return DUSK_ENOMEM;
    h->key_group = grp;
    uint8_t *add = realloc(h->key_added, cap);
    if (add == NULL)
      return DUSK_ENOMEM;
    h->key_added = add;
    h->keys_cap = cap;
  }
  return 0;
}

/* Finds the group of every row of b (row_group[r] = group + 1, or 0 for a
 * null key), so the aggregates can then run column by column. */
static int assign_groups(dusk_hashagg *h, const dusk_batch *b,
                         const int *key_cols) {
  dusk_value keys[16];
  int rc;
  if (b->nrows > h->row_group_cap) {
    uint32_t *rg = realloc(h->row_group, b->nrows * sizeof *rg);
    if (rg == NULL)
      return DUSK_ENOMEM;
    h->row_group = rg;
    h->row_group_cap = b->nrows;
  }
  if ((rc = key_scratch_reserve(h, b->nrows)) != 0)
    return rc;
  if (h->nkeys == 0) { /* one group, made in dusk_hashagg_new */
    for (size_t r = 0; r < b->nrows; r++)
      h->row_group[r] = 1;
    return 0;
  }
  /* Keys of one or two small ints (keyset.h's perfect hashing) find
   * their group in h->dense; the others are encoded and looked up in one
   * batch. */
  dusk_dense_codes(b, key_cols, h->nkeys, h->key_code);
  size_t nk = 0;
  h->keybuf.len = 0;
  for (size_t r = 0; r < b->nrows; r++) {
    size_t k;
    int64_t code = h->key_code[r];
    if (code >= 0) {
      if (h->dense == NULL &&
          (h->dense = calloc(DUSK_DENSE_CODES, sizeof *h->dense)) == NULL)
        return DUSK_ENOMEM;
      if (h->dense[code] == 0) {
        size_t g;
        for (k = 0; k < h->nkeys; k++)
          dusk_batch_get(b, (size_t)key_cols[k], r, &keys[k]);
        if ((rc = group_of(h, keys, &g)) != 0)
          return rc;
        h->dense[code] = (uint32_t)g + 1;
      }
      h->row_group[r] = h->dense[code];
      continue;
    }
    for (k = 0; k < h->nkeys; k++) {
      dusk_batch_get(b, (size_t)key_cols[k], r, &keys[k]);
      if (!h->keep_na && key_is_na(&keys[k]))
        break;
    }
    h->row_group[r] = 0; /* a missing key: pandas drops the row */
    if (k < h->nkeys)
      continue;
    h->key_off[nk] = h->keybuf.len;
    h->key_row[nk++] = r;
    for (k = 0; k < h->nkeys; k++)
      if ((rc = put_key(h, &h->keybuf, k, &keys[k])) != 0)
        return rc;
  }
  if (h->keys_cap > 0)
    h->key_off[nk] = h->keybuf.len;
  if (nk > 0 &&
      (rc = dusk_keyset_find_or_add_batch(&h->groups, h->keybuf.data,
                                          h->key_off, nk, h->key_group,
                                          h->key_added)) != 0)
    return rc;
  if ((rc = ensure_slots(h)) != 0)
    return rc;
  for (size_t i = 0; i < nk; i++)
    h->row_group[h->key_row[i]] = h->key_group[i] + 1;
  return 0;
}

/* Whether to add this batch's counts by group: with a few groups (no more
 * than rows, so the pass over the groups costs no more than one over the
 * rows) and more than one count or size, the batch's rows per group are
 * counted once (h->group_rows), each count adds them to its groups and
 * then takes back its column's nulls, found eight flags at a time.  Rows
 * are mostly valid, so that replaces one scattered update per row and
 * count by one per group and count.  0, 1 (by group), or DUSK_ENOMEM. */
static int count_by_group(dusk_hashagg *h, const dusk_batch *b) {
  size_t ngroups = h->groups.n, counts = 0;
  const uint32_t *rg = h->row_group;
  for (size_t a = 0; a < h->naggs; a++)
    counts += h->aggs[a].fn == DUSK_AGG_COUNT || h->aggs[a].fn == DUSK_AGG_SIZE;
  if (counts < 2 || ngroups > b->nrows)
    return 0;
  if (ngroups + 1 > h->group_rows_cap) {
    size_t cap = (ngroups + 1) * 2;
    uint32_t *p = realloc(h->group_rows, cap * sizeof *p);
    if (p == NULL)
      return DUSK_ENOMEM;
    h->group_rows = p;
    h->group_rows_cap = cap;
  }
  memset(h->group_rows, 0, (ngroups + 1) * sizeof *h->group_rows);
  for (size_t r = 0; r < b->nrows; r++)
    h->group_rows[rg[r]]++;
  return 1;
}

/* The rows r + k (k < 8) whose byte of x (loaded from valid + r) is not
 * zero, as bits 8k + 7: the exact zero-byte test. */
static uint64_t nonzero_bytes(uint64_t x) {
  const uint64_t lo7 = UINT64_C(0x7F7F7F7F7F7F7F7F);
  return (((x & lo7) + lo7) | x) & ~lo7;
}

/* Adds valid[r] - bias to aggregate a of row r's group, for the rows
 * whose valid byte is not `bias` (0 or 1), found eight at a time. */
static void add_flags(dusk_hashagg *h, const dusk_batch *b, size_t a,
                      const uint8_t *valid, int bias) {
  const uint32_t *rg = h->row_group;
  slot *slots = h->slots;
  size_t stride = h->naggs, r = 0;
  const uint64_t pat = bias ? UINT64_C(0x0101010101010101) : 0;
  for (; r + 8 <= b->nrows; r += 8) {
    uint64_t w, m;
    memcpy(&w, valid + r, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    for (m = nonzero_bytes(w ^ pat); m != 0; m &= m - 1) {
      size_t k = r + ((size_t)__builtin_ctzll(m) >> 3);
      if (rg[k] != 0)
        slots[(rg[k] - 1) * stride + a].n += (int64_t)valid[k] - bias;
    }
  }
  for (; r < b->nrows; r++)
    if (rg[r] != 0)
      slots[(rg[r] - 1) * stride + a].n += (int64_t)valid[r] - bias;
}

/* Adds the batch's rows (valid == NULL: size) or valid flags (count) to
 * aggregate a by group (count_by_group): each group's rows, less the null
 * rows.  A column mostly null is counted from its valid rows instead. */
static void add_counts_by_group(dusk_hashagg *h, const dusk_batch *b, size_t a,
                                const uint8_t *valid) {
  const uint32_t *per = h->group_rows;
  slot *slots = h->slots;
  size_t stride = h->naggs, nvalid = 0;
  if (valid != NULL) {
    for (size_t k = 0; k < b->nrows; k++)
      nvalid += valid[k] != 0;
    if (nvalid * 2 < b->nrows) {
      add_flags(h, b, a, valid, 0);
      return;
    }
  }
  for (size_t g = 1; g <= h->groups.n; g++)
    if (per[g] != 0)
      slots[(g - 1) * stride + a].n += per[g];
  if (valid != NULL)
    add_flags(h, b, a, valid, 1); /* each row added 1, not valid[r] */
}

void dusk_hashagg_keep_na(dusk_hashagg *h) { h->keep_na = true; }

void dusk_hashagg_set_text_cap(dusk_hashagg *h, uint64_t bytes) {
  h->text_cap = bytes;
}

/* Row r's position in the files (dusk_hashagg_at): its range and its
 * row within it. */
static int64_t row_at(const dusk_hashagg *h, size_t r) {
  return h->at_rows ? (int64_t)h->at_rows[r] : h->seq + (int64_t)r;
}

static int64_t range_at(const dusk_hashagg *h, size_t r) {
  return h->at_ranges ? (int64_t)h->at_ranges[r] : h->at_range;
}

/* Whether the batch's rows lie in file order, each after any position a
 * first/last state was given before (a scan's batches, one after the
 * other, do).  Then a group seen before already holds an earlier first
 * row, and a group the batch added first appears at its first row here
 * (first_rows_of_new_groups). */
static bool batch_after_all(const dusk_hashagg *h, const dusk_batch *b) {
  if (h->nkeys == 0 || h->at_ranges != NULL)
    return false; /* its one group is made before any row: no row set it;
                     rows of ranges of their own come in any order */
  if (b->nrows == 0)
    return true;
  if (h->at_range < h->hi_range ||
      (h->at_range == h->hi_range && row_at(h, 0) <= h->hi_row))
    return false;
  if (h->at_rows != NULL)
    for (size_t r = 1; r < b->nrows; r++)
      if (h->at_rows[r] <= h->at_rows[r - 1])
        return false;
  return true;
}

/* FIRST_ROW aggregate a over a batch_after_all batch: only the groups it
 * added (ids from `before` on) are touched, once each, where update_at
 * would visit every row's slot. */
static void first_rows_of_new_groups(dusk_hashagg *h, const dusk_batch *b,
                                     size_t a, size_t before) {
  const uint32_t *rg = h->row_group;
  for (size_t r = 0; r < b->nrows; r++) {
    slot *s;
    if (!rg[r] || rg[r] - 1 < before)
      continue;
    s = &h->slots[(rg[r] - 1) * h->naggs + a];
    if (!s->has) {
      s->has = 1;
      s->i = 0;
      s->range = h->at_range;
      s->row = row_at(h, r);
    }
  }
}

void dusk_hashagg_at(dusk_hashagg *h, uint64_t range,
                     const uint64_t *row_ordinals) {
  h->at_range = (int64_t)range;
  h->at_rows = row_ordinals;
  h->at_ranges = NULL;
}

void dusk_hashagg_at_each(dusk_hashagg *h, const uint64_t *ranges,
                          const uint64_t *row_ordinals) {
  h->at_ranges = ranges;
  h->at_rows = row_ordinals;
}

int dusk_hashagg_add(dusk_hashagg *h, const dusk_batch *b,
                     const int *key_cols, const int *agg_cols) {
  dusk_value v;
  int rc, by_group;
  size_t before = h->groups.n;
  bool after_all = h->has_first_row && batch_after_all(h, b);
  if (h->nkeys > 16)
    return DUSK_EINVAL;
  if ((rc = assign_groups(h, b, key_cols)) != 0)
    return rc;
  if ((by_group = count_by_group(h, b)) < 0)
    return by_group;
  for (size_t a = 0; a < h->naggs; a++) {
    const dusk_aggspec *spec = &h->aggs[a];
    const uint32_t *rg = h->row_group;
    slot *slots = h->slots;
    size_t stride = h->naggs;
    if (by_group && (spec->fn == DUSK_AGG_SIZE || spec->fn == DUSK_AGG_COUNT)) {
      add_counts_by_group(
          h, b, a,
          spec->fn == DUSK_AGG_SIZE ? NULL : b->cols[agg_cols[a]].valid);
      continue;
    }
    /* The common counts run as plain loops over the column. */
    if (spec->fn == DUSK_AGG_SIZE) {
      for (size_t r = 0; r < b->nrows; r++)
        if (rg[r])
          slots[(rg[r] - 1) * stride + a].n++;
      continue;
    }
    if (spec->fn == DUSK_AGG_COUNT) {
      const uint8_t *valid = b->cols[agg_cols[a]].valid;
      for (size_t r = 0; r < b->nrows; r++)
        if (rg[r])
          slots[(rg[r] - 1) * stride + a].n += valid[r];
      continue;
    }
    if (spec->fn == DUSK_AGG_MEDIAN || spec->fn == DUSK_AGG_QUANTILE) {
      if ((rc = add_qvalues(h, b, a, agg_cols[a])) != 0)
        return rc;
      continue;
    }
    if (spec->fn == DUSK_AGG_NUNIQUE) {
      if ((rc = add_uniques(h, b, a, agg_cols[a])) != 0)
        return rc;
      continue;
    }
    if (spec->fn == DUSK_AGG_FIRST_ROW) {
      dusk_value zero;
      zero.type = DUSK_TYPE_INT64;
      zero.u.i = 0;
      if (after_all) {
        first_rows_of_new_groups(h, b, a, before);
        continue;
      }
      for (size_t r = 0; r < b->nrows; r++)
        if (rg[r] &&
            (rc = update_at(h, rg[r] - 1, a, &zero, range_at(h, r),
                            row_at(h, r))) != 0)
          return rc;
      continue;
    }
    if (spec->fn == DUSK_AGG_FIRST || spec->fn == DUSK_AGG_LAST) {
      for (size_t r = 0; r < b->nrows; r++) {
        if (!rg[r])
          continue;
        dusk_batch_get(b, (size_t)agg_cols[a], r, &v);
        if (v.type == DUSK_TYPE_NULL ||
            (v.type == DUSK_TYPE_FLOAT64 && isnan(v.u.f)))
          continue; /* pandas skips NaN as it skips nulls */
        if ((rc = update_at(h, rg[r] - 1, a, &v, range_at(h, r),
                            row_at(h, r))) != 0)
          return rc;
      }
      continue;
    }
    for (size_t r = 0; r < b->nrows; r++) {
      if (!rg[r])
        continue;
      dusk_batch_get(b, (size_t)agg_cols[a], r, &v);
      if ((rc = update(h, rg[r] - 1, a, &v)) != 0)
        return rc;
    }
  }
  if (after_all && b->nrows > 0) { /* update_at's, for the rows above */
    h->hi_range = h->at_range;
    h->hi_row = row_at(h, b->nrows - 1);
  }
  h->seq += (int64_t)b->nrows;
  h->at_rows = NULL;
  h->at_ranges = NULL;
  return 0;
}

/* ---- partial tables ------------------------------------------------------ */

/* The state columns of aggregate a (at most STATE_MAX): names
 * "<a>:<part>" and types. */
#define STATE_MAX 4
static size_t state_columns(const dusk_aggspec *spec, size_t a,
                            char names[STATE_MAX][32],
                            dusk_type types[STATE_MAX]) {
  switch (spec->fn) {
  case DUSK_AGG_COUNT:
  case DUSK_AGG_SIZE:
    snprintf(names[0], 32, "%zu:n", a);
    types[0] = DUSK_TYPE_INT64;
    return 1;
  case DUSK_AGG_SUM:
  case DUSK_AGG_MEAN:
    snprintf(names[0], 32, "%zu:n", a);
    types[0] = DUSK_TYPE_INT64;
    snprintf(names[1], 32, "%zu:sum", a);
    types[1] = spec->input == DUSK_TYPE_STRING && spec->fn == DUSK_AGG_SUM
                   ? DUSK_TYPE_STRING
               : spec->input == DUSK_TYPE_FLOAT64 || spec->fn == DUSK_AGG_MEAN
                   ? DUSK_TYPE_FLOAT64
                   : DUSK_TYPE_INT64;
    /* a float sum's infinities and its last value's range (inf_code);
     * every sum has them, so the width does not depend on the input (a
     * text sum's: TEXT_TOO_BIG, and its first value's range) */
    snprintf(names[2], 32, "%zu:infs", a);
    types[2] = DUSK_TYPE_INT64;
    snprintf(names[3], 32, "%zu:last", a);
    types[3] = DUSK_TYPE_INT64;
    return 4;
  case DUSK_AGG_MIN:
  case DUSK_AGG_MAX:
    snprintf(names[0], 32, "%zu:v", a);
    types[0] = spec->input;
    return 1;
  case DUSK_AGG_NUNIQUE:
    snprintf(names[0], 32, "%zu:set", a);
    types[0] = DUSK_TYPE_STRING;
    return 1;
  case DUSK_AGG_MEDIAN:
  case DUSK_AGG_QUANTILE:
    /* (ordered key, count) pairs of 8 + 8 bytes; the name carries the
     * input's logical type, which the keys alone do not show */
    snprintf(names[0], 32, "%zu:qset%d", a, (int)spec->input);
    types[0] = DUSK_TYPE_STRING;
    return 1;
  case DUSK_AGG_STD:
  case DUSK_AGG_VAR:
    snprintf(names[0], 32, "%zu:n", a);
    types[0] = DUSK_TYPE_INT64;
    snprintf(names[1], 32, "%zu:mean", a);
    types[1] = DUSK_TYPE_FLOAT64;
    snprintf(names[2], 32, "%zu:mean_lo", a);
    types[2] = DUSK_TYPE_FLOAT64;
    snprintf(names[3], 32, "%zu:m2", a);
    types[3] = DUSK_TYPE_FLOAT64;
    return 4;
  case DUSK_AGG_FIRST:
  case DUSK_AGG_LAST:
  case DUSK_AGG_FIRST_ROW:
    snprintf(names[0], 32, "%zu:v", a);
    types[0] = spec->input;
    snprintf(names[1], 32, "%zu:range", a);
    types[1] = DUSK_TYPE_INT64;
    snprintf(names[2], 32, "%zu:row", a);
    types[2] = DUSK_TYPE_INT64;
    return 3;
  }
  return 0;
}

/* Buckets the distinct values of aggregate a by group, each value as its
 * encoding: one pass over the uniques, so partials stay linear. */
static int unique_sets(const dusk_hashagg *h, size_t a, dusk_buf *sets) {
  bool counted = h->aggs[a].fn == DUSK_AGG_MEDIAN ||
                 h->aggs[a].fn == DUSK_AGG_QUANTILE;
  for (size_t e = 0; e < h->uniques.n; e++) {
    uint32_t ids[2];
    const char *p = dusk_keyset_key(&h->uniques, e);
    memcpy(ids, p, sizeof ids);
    if (ids[0] != a)
      continue;
    if (dusk_buf_append(&sets[ids[1]], p + 8,
                        dusk_keyset_keylen(&h->uniques, e) - 8) != 0 ||
        (counted && dusk_buf_append(&sets[ids[1]], &h->ucount[e],
                                    sizeof h->ucount[e]) != 0))
      return DUSK_ENOMEM;
  }
  return 0;
}

int dusk_hashagg_partial(const dusk_hashagg *h, dusk_table **out) {
  size_t ncols = h->nkeys, c = 0;
  char (*names)[32];
  const char **name_ptrs;
  dusk_type *types;
  dusk_value *row;
  dusk_table *t = NULL;
  dusk_buf *sets = NULL; /* per (nunique agg, group): distinct values */
  size_t ngroups = h->groups.n;
  int rc = DUSK_ENOMEM;

  for (size_t a = 0; a < h->naggs; a++) {
    char n2[STATE_MAX][32];
    dusk_type t2[STATE_MAX];
    ncols += state_columns(&h->aggs[a], a, n2, t2);
  }
  names = calloc(ncols, sizeof *names);
  name_ptrs = calloc(ncols, sizeof *name_ptrs);
  types = calloc(ncols, sizeof *types);
  row = calloc(ncols, sizeof *row);
  sets = calloc((ngroups ? ngroups : 1) * (h->naggs ? h->naggs : 1),
                sizeof *sets);
  if (names == NULL || name_ptrs == NULL || types == NULL || row == NULL ||
      sets == NULL)
    goto out;
  for (size_t a = 0; a < h->naggs; a++)
    if ((h->aggs[a].fn == DUSK_AGG_NUNIQUE ||
         h->aggs[a].fn == DUSK_AGG_MEDIAN ||
         h->aggs[a].fn == DUSK_AGG_QUANTILE) &&
        unique_sets(h, a, sets + a * ngroups) != 0)
      goto out;
  for (size_t k = 0; k < h->nkeys; k++, c++) {
    snprintf(names[c], 32, "k%zu", k);
    types[c] = h->key_types[k];
  }
  for (size_t a = 0; a < h->naggs; a++) {
    char n2[STATE_MAX][32];
    dusk_type t2[STATE_MAX];
    size_t m = state_columns(&h->aggs[a], a, n2, t2);
    for (size_t j = 0; j < m; j++, c++) {
      memcpy(names[c], n2[j], 32);
      types[c] = t2[j];
    }
  }
  for (size_t i = 0; i < ncols; i++)
    name_ptrs[i] = names[i];
  if ((t = dusk_table_new(name_ptrs, types, ncols, h->nkeys)) == NULL)
    goto out;
  for (size_t g = 0; g < h->groups.n; g++) {
    size_t pos = 0;
    const char *kp = dusk_keyset_key(&h->groups, g);
    c = 0;
    for (size_t k = 0; k < h->nkeys; k++, c++)
      get_key(h, kp, &pos, k, &row[c]);
    for (size_t a = 0; a < h->naggs; a++) {
      const slot *s = &h->slots[g * h->naggs + a];
      const dusk_aggspec *spec = &h->aggs[a];
      switch (spec->fn) {
      case DUSK_AGG_COUNT:
      case DUSK_AGG_SIZE:
        row[c].type = DUSK_TYPE_INT64;
        row[c++].u.i = s->n;
        break;
      case DUSK_AGG_SUM:
      case DUSK_AGG_MEAN:
        row[c].type = DUSK_TYPE_INT64;
        row[c++].u.i = s->n;
        if (types[c] == DUSK_TYPE_STRING) { /* a text sum's bytes */
          row[c].type = DUSK_TYPE_STRING;
          row[c].u.s.ptr = s->s ? s->s : "";
          row[c++].u.s.len = s->slen;
        } else if (types[c] == DUSK_TYPE_FLOAT64) {
          row[c].type = DUSK_TYPE_FLOAT64;
          row[c++].u.f = s->f;
        } else {
          row[c].type = DUSK_TYPE_INT64;
          row[c++].u.i = s->i;
        }
        row[c].type = DUSK_TYPE_INT64;
        row[c++].u.i = s->has;
        row[c].type = DUSK_TYPE_INT64;
        row[c++].u.i = s->range;
        break;
      case DUSK_AGG_MIN:
      case DUSK_AGG_MAX:
        if (s->has)
          slot_value(s, spec->input, &row[c]);
        else
          row[c].type = DUSK_TYPE_NULL;
        c++;
        break;
      case DUSK_AGG_STD:
      case DUSK_AGG_VAR: {
        dusk_moments m;
        slot_moments(s, &m);
        row[c].type = DUSK_TYPE_INT64;
        row[c++].u.i = m.n;
        row[c].type = DUSK_TYPE_FLOAT64;
        row[c++].u.f = m.hi;
        row[c].type = DUSK_TYPE_FLOAT64;
        row[c++].u.f = m.lo;
        row[c].type = DUSK_TYPE_FLOAT64;
        row[c++].u.f = m.m2;
        break;
      }
      case DUSK_AGG_FIRST:
      case DUSK_AGG_LAST:
      case DUSK_AGG_FIRST_ROW:
        if (s->has)
          slot_value(s, spec->input, &row[c]);
        else
          row[c].type = DUSK_TYPE_NULL;
        c++;
        row[c].type = DUSK_TYPE_INT64;
        row[c++].u.i = s->range;
        row[c].type = DUSK_TYPE_INT64;
        row[c++].u.i = s->row;
        break;
      case DUSK_AGG_NUNIQUE:
      case DUSK_AGG_MEDIAN:
      case DUSK_AGG_QUANTILE: {
        const dusk_buf *set = &sets[a * ngroups + g];
        row[c].type = DUSK_TYPE_STRING;
        row[c].u.s.ptr = set->data ? set->data : "";
        row[c++].u.s.len = set->len;
        break;
      }
      }
    }
    if ((rc = dusk_table_append_row(t, row)) != 0)
      goto out;
  }
  *out = t;
  t = NULL;
  rc = 0;
out:
  dusk_table_free(t);
  free(names);
  free(name_ptrs);
  free(types);
  free(row);
  if (sets != NULL)
    for (size_t i = 0; i < ngroups * h->naggs; i++)
      dusk_buf_destroy(&sets[i]);
  free(sets);
  return rc;
}

int dusk_hashagg_partial_types(const dusk_table *partial, size_t nkeys,
                               dusk_type *key_types, dusk_aggspec *specs,
                               size_t naggs, dusk_error *err) {
  size_t c = nkeys;
  if (partial->ncols < nkeys)
    return dusk_error_set(err, DUSK_ETYPE,
                          "partial aggregate has %zu columns for %zu keys",
                          partial->ncols, nkeys);
  for (size_t k = 0; k < nkeys; k++)
    key_types[k] = partial->cols[k].type;
  for (size_t a = 0; a < naggs; a++) {
    char n2[STATE_MAX][32];
    dusk_type t2[STATE_MAX];
    /* The layout's width does not depend on the input type. */
    size_t m = state_columns(&specs[a], a, n2, t2);
    if (m == 0 || partial->ncols - c < m)
      return dusk_error_set(err, DUSK_ETYPE,
                            "partial aggregate too narrow for aggregate %zu",
                            a);
    switch (specs[a].fn) {
    case DUSK_AGG_MIN:
    case DUSK_AGG_MAX:
    case DUSK_AGG_FIRST:
    case DUSK_AGG_LAST:
    case DUSK_AGG_FIRST_ROW:
      specs[a].input = partial->cols[c].type;
      break;
    case DUSK_AGG_SUM: /* [n, sum]: the sum's type */
      specs[a].input = partial->cols[c + 1].type;
      break;
    case DUSK_AGG_MEAN:
    case DUSK_AGG_STD:
    case DUSK_AGG_VAR:
      specs[a].input = DUSK_TYPE_FLOAT64;
      break;
    case DUSK_AGG_COUNT:
    case DUSK_AGG_SIZE:
      specs[a].input = DUSK_TYPE_INT64;
      break;
    case DUSK_AGG_NUNIQUE:
      break;
    case DUSK_AGG_MEDIAN:
    case DUSK_AGG_QUANTILE: { /* "<a>:qset<type>" */
      const char *name = partial->cols[c].name;
      const char *at = name ? strstr(name, ":qset") : NULL;
      int t = at ? atoi(at + 5) : 0;
      if (!agg_supported(specs[a].fn, (dusk_type)t))
        return dusk_error_set(err, DUSK_ETYPE,
                              "partial aggregate %zu: no value type", a);
      specs[a].input = (dusk_type)t;
      break;
    }
    }
    c += m;
  }
  return 0;
}

/* Partial rows looked up a batch at a time (dusk_hashagg_merge). */
#define MERGE_CHUNK 1024

static int merge_row(dusk_hashagg *h, const dusk_table *p, size_t r,
                     size_t g, dusk_error *err);

int dusk_hashagg_merge(dusk_hashagg *h, const dusk_table *p,
                       dusk_error *err) {
  dusk_value keys[16];
  int rc;
  size_t want = h->nkeys;
  for (size_t a = 0; a < h->naggs; a++) {
    char n2[STATE_MAX][32];
    dusk_type t2[STATE_MAX];
    want += state_columns(&h->aggs[a], a, n2, t2);
  }
  if (p->ncols != want || h->nkeys > 16)
    return dusk_error_set(err, DUSK_ETYPE,
                          "partial aggregate has %zu columns, expected %zu",
                          p->ncols, want);
  /* Every column must have the type this aggregate's state has: a partial
   * from another layout would otherwise merge as reinterpreted bits. */
  {
    size_t c = 0;
    for (size_t k = 0; k < h->nkeys; k++, c++)
      if (p->cols[c].type != h->key_types[k])
        return dusk_error_set(err, DUSK_ETYPE,
                              "partial aggregate key %zu is %s, expected %s",
                              k, dusk_type_name(p->cols[c].type),
                              dusk_type_name(h->key_types[k]));
    for (size_t a = 0; a < h->naggs; a++) {
      char n2[STATE_MAX][32];
      dusk_type t2[STATE_MAX];
      size_t m = state_columns(&h->aggs[a], a, n2, t2);
      for (size_t j = 0; j < m; j++, c++) {
        if (p->cols[c].type != t2[j])
          return dusk_error_set(err, DUSK_ETYPE,
                                "partial aggregate column %s is %s, "
                                "expected %s",
                                n2[j], dusk_type_name(p->cols[c].type),
                                dusk_type_name(t2[j]));
        /* median / quantile: the name carries the value type, which every
         * partial must share (keys of another type would merge as
         * reinterpreted bits) */
        if ((h->aggs[a].fn == DUSK_AGG_MEDIAN ||
             h->aggs[a].fn == DUSK_AGG_QUANTILE) &&
            (p->cols[c].name == NULL || strcmp(p->cols[c].name, n2[j]) != 0))
          return dusk_error_set(err, DUSK_ETYPE,
                                "partial aggregate column %s, expected %s",
                                p->cols[c].name ? p->cols[c].name : "?",
                                n2[j]);
      }
    }
  }
  /* The merged groups number at least the partial's: room for them made
   * at once, where growing as they come would rehash the groups and copy
   * their state at every doubling. */
  if ((rc = dusk_keyset_reserve(&h->groups, p->nrows)) != 0 ||
      (rc = reserve_slots(h, p->nrows)) != 0)
    return dusk_error_set(err, rc, "out of memory merging partials");
  /* The groups of MERGE_CHUNK rows at a time, looked up as a batch (the
   * key set prefetches each slot ahead: a partial of a million groups
   * costs about one memory wait a row, not one per probe step). */
  for (size_t r0 = 0; r0 < p->nrows; r0 += MERGE_CHUNK) {
    size_t nr = p->nrows - r0 < MERGE_CHUNK ? p->nrows - r0 : MERGE_CHUNK;
    size_t offs[MERGE_CHUNK + 1];
    uint32_t ents[MERGE_CHUNK];
    uint8_t added[MERGE_CHUNK], any = 0;
    h->scratch.len = 0;
    for (size_t i = 0; i < nr; i++) {
      offs[i] = h->scratch.len;
      for (size_t k = 0; k < h->nkeys; k++) {
        dusk_table_get(p, k, r0 + i, &keys[k]);
        if ((rc = put_key(h, &h->scratch, k, &keys[k])) != 0)
          return dusk_error_set(err, rc, "out of memory merging partials");
      }
    }
    offs[nr] = h->scratch.len;
    if ((rc = dusk_keyset_find_or_add_batch(&h->groups, h->scratch.data, offs,
                                            nr, ents, added)) != 0)
      return dusk_error_set(err, rc, "out of memory merging partials");
    for (size_t i = 0; i < nr; i++)
      any |= added[i];
    if (any && (rc = ensure_slots(h)) != 0)
      return dusk_error_set(err, rc, "out of memory merging partials");
    for (size_t i = 0; i < nr; i++)
      if ((rc = merge_row(h, p, r0 + i, ents[i], err)) != 0)
        return rc;
  }
  return 0;
}

/* Values of a nunique run merged a chunk at a time (the key set's
 * prefetching batch lookup, as add_uniques): value_len-checked. */
#define UNIQUE_MERGE_CHUNK 4096

/* Merges a partial's run of distinct values (put_value's encodings, back
 * to back) into aggregate a of group g: each value new to the group
 * counted.  0, DUSK_ETYPE for a run that does not parse, or
 * DUSK_ENOMEM. */
static int merge_uniques(dusk_hashagg *h, size_t g, size_t a, const char *run,
                         size_t len) {
  const dusk_type input = h->aggs[a].input;
  const uint32_t ids[2] = {(uint32_t)a, (uint32_t)g};
  size_t pos = 0, count = 0;
  int rc;
  if ((rc = key_scratch_reserve(h, UNIQUE_MERGE_CHUNK)) != 0)
    return rc;
  /* The set will hold at least the run's values: room for them at once
   * (one rehash, not one per doubling), never more than the union needs. */
  while (pos < len) {
    size_t vl = dusk_hashagg_value_len(input, run + pos, len - pos);
    if (vl == 0)
      return DUSK_ETYPE;
    pos += vl;
    count++;
  }
  if (input != DUSK_TYPE_BOOL && count > h->uniques.n)
    (void)dusk_keyset_reserve(&h->uniques, count); /* only a speed-up: a
      set that cannot grow so far at once grows as it goes (and fails
      there, if it must) */
  pos = 0;
  while (pos < len) {
    size_t n = 0;
    h->keybuf.len = 0;
    for (; pos < len && n < UNIQUE_MERGE_CHUNK; n++) {
      size_t vl = dusk_hashagg_value_len(input, run + pos, len - pos);
      if (vl == 0)
        return DUSK_ETYPE;
      h->key_off[n] = h->keybuf.len;
      if ((rc = dusk_buf_append(&h->keybuf, ids, sizeof ids)) != 0)
        return rc;
      if (input == DUSK_TYPE_FLOAT64 || input == DUSK_TYPE_BOOL) {
        /* re-encoded as put_value does: -0.0 is 0.0's key, a bool 0 or 1
         * whatever byte the partial sent */
        dusk_value x;
        size_t at = pos;
        get_value(run, &at, input, &x);
        rc = put_value(&h->keybuf, input, &x);
      } else {
        rc = dusk_buf_append(&h->keybuf, run + pos, vl);
      }
      if (rc != 0)
        return rc;
      pos += vl;
    }
    if ((rc = lookup_uniques(h, n)) != 0)
      return rc;
    for (size_t i = 0; i < n; i++)
      h->slots[g * h->naggs + a].n += h->key_added[i];
  }
  return 0;
}

/* Merges row r of partial p (its state columns after the keys) into
 * group g.  0 or a negative code with err. */
static int merge_row(dusk_hashagg *h, const dusk_table *p, size_t r,
                     size_t g, dusk_error *err) {
  dusk_value v;
  int rc;
  size_t c = h->nkeys;
  {
    for (size_t a = 0; a < h->naggs; a++) {
      slot *s = &h->slots[g * h->naggs + a];
      const dusk_aggspec *spec = &h->aggs[a];
      switch (spec->fn) {
      case DUSK_AGG_COUNT:
      case DUSK_AGG_SIZE:
        dusk_table_get(p, c++, r, &v);
        s->n += v.u.i;
        break;
      case DUSK_AGG_SUM:
      case DUSK_AGG_MEAN:
      {
        int64_t n0 = s->n, code, last;
        dusk_value bytes;
        dusk_table_get(p, c++, r, &v);
        s->n += v.u.i;
        dusk_table_get(p, c++, r, &v);
        if (spec->input == DUSK_TYPE_STRING) { /* a text sum */
          int64_t n1 = v.type == DUSK_TYPE_STRING ? s->n - n0 : -1;
          bytes = v;
          dusk_table_get(p, c++, r, &v);
          code = v.u.i;
          dusk_table_get(p, c++, r, &v);
          last = v.u.i;
          if (n1 < 0)
            return dusk_error_set(err, DUSK_ETYPE, "bad text sum state");
          if (n1 == 0)
            break;
          if (code & TEXT_TOO_BIG) {
            free(s->s);
            s->s = NULL;
            s->slen = 0;
            s->has |= TEXT_TOO_BIG;
          }
          /* the partial's strings go before the held ones when its
           * first value lies in an earlier range */
          if ((rc = text_sum_append(h, s, bytes.u.s.ptr, bytes.u.s.len,
                                    n0 > 0 && last < s->range)) != 0)
            return dusk_error_set(err, rc, "out of memory merging partials");
          if (n0 == 0 || last < s->range)
            s->range = last;
          break;
        }
        if (v.type == DUSK_TYPE_FLOAT64)
          s->f += v.u.f;
        else
          s->i = (int64_t)((uint64_t)s->i + (uint64_t)v.u.i);
        dusk_table_get(p, c++, r, &v);
        code = v.u.i;
        dusk_table_get(p, c++, r, &v);
        last = v.u.i;
        if (s->n > n0) { /* the partial holds values: inf_code's merge */
          bool later = n0 == 0 || last > s->range;
          s->has = inf_code((int)(INF_COUNT(s->has) + INF_COUNT(code)),
                            later ? INF_IS_LAST(code) : INF_IS_LAST(s->has));
          if (later)
            s->range = last;
        }
        break;
      }
      case DUSK_AGG_MIN:
      case DUSK_AGG_MAX:
        dusk_table_get(p, c++, r, &v);
        if ((rc = update(h, g, a, &v)) != 0)
          return dusk_error_set(err, rc, "out of memory merging partials");
        break;
      case DUSK_AGG_STD:
      case DUSK_AGG_VAR: {
        dusk_value n, hi, lo, m2;
        dusk_moments mine, theirs;
        dusk_table_get(p, c++, r, &n);
        dusk_table_get(p, c++, r, &hi);
        dusk_table_get(p, c++, r, &lo);
        dusk_table_get(p, c++, r, &m2);
        if (n.type != DUSK_TYPE_INT64 || n.u.i < 0 ||
            hi.type != DUSK_TYPE_FLOAT64 || lo.type != DUSK_TYPE_FLOAT64 ||
            m2.type != DUSK_TYPE_FLOAT64)
          return dusk_error_set(err, DUSK_ETYPE, "bad std/var state");
        theirs.n = n.u.i;
        theirs.hi = hi.u.f;
        theirs.lo = lo.u.f;
        theirs.m2 = m2.u.f;
        slot_moments(s, &mine);
        dusk_moments_merge(&mine, &theirs);
        slot_set_moments(s, &mine);
        break;
      }
      case DUSK_AGG_FIRST:
      case DUSK_AGG_LAST:
      case DUSK_AGG_FIRST_ROW: {
        dusk_value range, row;
        dusk_table_get(p, c++, r, &v);
        dusk_table_get(p, c++, r, &range);
        dusk_table_get(p, c++, r, &row);
        if (range.type != DUSK_TYPE_INT64 || row.type != DUSK_TYPE_INT64)
          return dusk_error_set(err, DUSK_ETYPE, "bad first/last state");
        /* every keyed group has its first row (first_rows_of_new_groups
         * counts on it) */
        if (spec->fn == DUSK_AGG_FIRST_ROW && h->nkeys > 0 &&
            v.type == DUSK_TYPE_NULL)
          return dusk_error_set(err, DUSK_ETYPE, "bad first_row state");
        if (v.type != DUSK_TYPE_NULL &&
            (rc = update_at(h, g, a, &v, range.u.i, row.u.i)) != 0)
          return dusk_error_set(err, rc, "out of memory merging partials");
        break;
      }
      case DUSK_AGG_MEDIAN:
      case DUSK_AGG_QUANTILE:
        dusk_table_get(p, c++, r, &v);
        if (v.u.s.len % 16 != 0)
          return dusk_error_set(err, DUSK_ETYPE, "bad %s state",
                                dusk_agg_name(spec->fn));
        for (size_t pos = 0; pos < v.u.s.len; pos += 16) {
          uint64_t key;
          int64_t count;
          memcpy(&key, v.u.s.ptr + pos, 8);
          memcpy(&count, v.u.s.ptr + pos + 8, 8);
          if (count <= 0)
            return dusk_error_set(err, DUSK_ETYPE, "bad %s state",
                                  dusk_agg_name(spec->fn));
          if ((rc = qvalue_add(h, g, a, key, count)) != 0)
            return dusk_error_set(err, rc,
                                  rc == DUSK_ETYPE
                                      ? "bad %s state (counts past int64)"
                                      : "out of memory merging partials (%s)",
                                  dusk_agg_name(spec->fn));
        }
        break;
      case DUSK_AGG_NUNIQUE:
        dusk_table_get(p, c++, r, &v);
        if ((rc = merge_uniques(h, g, a, v.u.s.ptr, v.u.s.len)) != 0)
          return dusk_error_set(err, rc,
                                rc == DUSK_ETYPE
                                    ? "bad nunique state"
                                    : "out of memory merging partials");
        break;
      }
    }
  }
  return 0;
}

/* ---- the answer ---------------------------------------------------------- */

/* Aggregate a's std or var of slot s as pandas gives it: a groupby's the
 * exact variance (its running mean approximates it), a whole frame's or
 * column's (no keys) pandas' two-pass nanvar (moments.h). */
static double std_var_answer(const dusk_hashagg *h, size_t a, const slot *s) {
  dusk_moments m;
  double var;
  slot_moments(s, &m);
  var = h->nkeys == 0 ? dusk_moments_var_two_pass(&m) : dusk_moments_var(&m);
  return h->aggs[a].fn == DUSK_AGG_STD ? sqrt(var) : var;
}

static int cmp_groups(const void *x, const void *y, void *arg) {
  const dusk_hashagg *h = arg;
  size_t ga = *(const size_t *)x, gb = *(const size_t *)y;
  size_t pa = 0, pb = 0;
  const char *ka = dusk_keyset_key(&h->groups, ga);
  const char *kb = dusk_keyset_key(&h->groups, gb);
  for (size_t k = 0; k < h->nkeys; k++) {
    dusk_value va = {0}, vb = {0};
    int c;
    get_key(h, ka, &pa, k, &va);
    get_key(h, kb, &pb, k, &vb);
    if (va.type == DUSK_TYPE_NULL || vb.type == DUSK_TYPE_NULL) {
      if ((c = (va.type == DUSK_TYPE_NULL) - (vb.type == DUSK_TYPE_NULL)))
        return c; /* missing keys last, as pandas sorts NaN */
      continue;
    }
    if ((c = cmp_values(h->key_types[k], &va, &vb)) != 0)
      return c;
  }
  return 0;
}

/* Whether a group's float sum or mean is NaN in pandas' groupby though
 * not in a plain sum: its infinities (inf_code) are two or more, or one
 * with a value after it.  Not of a whole frame's reduction (no keys),
 * which pandas sums as numpy does. */
static bool kahan_nan(const dusk_hashagg *h, const slot *s) {
  return h->nkeys > 0 && INF_COUNT(s->has) > 0 &&
         !(INF_COUNT(s->has) == 1 && INF_IS_LAST(s->has));
}

static dusk_type output_type(const dusk_aggspec *spec) {
  switch (spec->fn) {
  case DUSK_AGG_MEAN:
  case DUSK_AGG_STD:
  case DUSK_AGG_VAR:
    return DUSK_TYPE_FLOAT64;
  case DUSK_AGG_SUM:
    return spec->input == DUSK_TYPE_FLOAT64  ? DUSK_TYPE_FLOAT64
           : spec->input == DUSK_TYPE_STRING ? DUSK_TYPE_STRING
                                             : DUSK_TYPE_INT64;
  case DUSK_AGG_MIN:
  case DUSK_AGG_MAX:
  case DUSK_AGG_FIRST:
  case DUSK_AGG_LAST:
    return spec->input;
  case DUSK_AGG_MEDIAN:
  case DUSK_AGG_QUANTILE:
    return DUSK_TYPE_FLOAT64;
  default:
    return DUSK_TYPE_INT64;
  }
}

/* The ordered key of rank `rank` (0-based) among sorted (key, count)
 * pairs. */
static uint64_t key_at_rank(const uint64_t *pairs, size_t npairs,
                            int64_t rank) {
  int64_t seen = 0;
  for (size_t i = 0; i < npairs; i++) {
    seen += (int64_t)pairs[2 * i + 1];
    if (rank < seen)
      return pairs[2 * i];
  }
  return npairs ? pairs[2 * (npairs - 1)] : 0;
}

static int cmp_pairs(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

static double key_value(dusk_type t, uint64_t k) {
  return t == DUSK_TYPE_FLOAT64 ? dusk_qkey_to_f64(k)
                                : (double)dusk_qkey_to_i64(k);
}

/* A group's median or quantile from its (key, count) pairs (set: sorted
 * here in place), n values in all (n > 0), as pandas' groupby computes
 * it:
 *   median    the middle value, or (a + b) / 2 of the middle pair, in
 *             float64 (group_median_float64);
 *   quantile  i = floor(q (n - 1)), frac = q (n - 1) mod 1; the value of
 *             rank i, plus (next - it) * frac when frac is not 0
 *             (group_quantile's linear interpolation, over float64 values:
 *             ints are converted first). */
static void rank_value(const dusk_aggspec *spec, dusk_buf *set, int64_t n,
                       dusk_value *v) {
  uint64_t *pairs = (uint64_t *)(void *)set->data;
  size_t npairs = set->len / 16;
  dusk_type t = spec->input;
  double f;
  qsort(pairs, npairs, 16, cmp_pairs);
  if (spec->fn == DUSK_AGG_MEDIAN) {
    uint64_t lo = key_at_rank(pairs, npairs, (n - 1) / 2);
    uint64_t hi = key_at_rank(pairs, npairs, n / 2);
    f = n % 2 ? key_value(t, lo) : (key_value(t, lo) + key_value(t, hi)) / 2;
  } else {
    double qi = spec->q * (double)(n - 1);
    int64_t i = (int64_t)qi;
    double frac = fmod(qi, 1.0);
    uint64_t lo = key_at_rank(pairs, npairs, i);
    f = key_value(t, lo);
    if (frac != 0.0) /* float64 val and next_val, ints converted first */
      f = f + (key_value(t, key_at_rank(pairs, npairs, i + 1)) - f) * frac;
  }
  v->type = DUSK_TYPE_FLOAT64;
  v->u.f = f;
}

/* Orders group ids by the (range, row) where FIRST_ROW aggregate a saw
 * each group first. */
static int cmp_first_rows(const void *x, const void *y, void *arg) {
  const dusk_hashagg *h = ((const void **)arg)[0];
  size_t a = *(const size_t *)((const void **)arg)[1];
  const slot *sa = &h->slots[*(const size_t *)x * h->naggs + a];
  const slot *sb = &h->slots[*(const size_t *)y * h->naggs + a];
  if (sa->range != sb->range)
    return sa->range < sb->range ? -1 : 1;
  return sa->row < sb->row ? -1 : sa->row > sb->row;
}

#define SWAP(type, x, y)                                                       \
  do {                                                                         \
    type swap_tmp_ = (x);                                                      \
    (x) = (y);                                                                 \
    (y) = swap_tmp_;                                                           \
  } while (0)

/* Sorts order[0..n) by key[0..n) (key[i] belongs to order[i]) ascending,
 * stably: an LSD radix sort a byte at a time that skips the bytes every
 * key shares.  key2 and order2 are scratch of n entries; key is left
 * scrambled. */
static void radix_argsort(uint64_t *key, uint64_t *key2, size_t *order,
                          size_t *order2, size_t n) {
  uint64_t *k = key, *k2 = key2;
  size_t *o = order, *o2 = order2;
  if (n < 2)
    return;
  for (unsigned shift = 0; shift < 64; shift += 8) {
    size_t count[256] = {0}, pos = 0;
    for (size_t i = 0; i < n; i++)
      count[(k[i] >> shift) & 0xff]++;
    if (count[(k[0] >> shift) & 0xff] == n)
      continue; /* every key shares this byte */
    for (size_t d = 0; d < 256; d++) {
      size_t c = count[d];
      count[d] = pos;
      pos += c;
    }
    for (size_t i = 0; i < n; i++) {
      size_t to = count[(k[i] >> shift) & 0xff]++;
      k2[to] = k[i];
      o2[to] = o[i];
    }
    SWAP(uint64_t *, k, k2);
    SWAP(size_t *, o, o2);
  }
  if (o != order)
    memcpy(order, o, n * sizeof *order);
}

/* order[0..ngroups): the groups sorted by key, as cmp_groups sorts them.
 * One int or float key without missing values (they are dropped unless
 * keep_na) is turned into ordered 64-bit keys and radix sorted; other
 * keys, or no memory for that, go through qsort. */
static void key_order(const dusk_hashagg *h, size_t *order) {
  size_t n = h->groups.n;
  uint64_t *key = NULL, *key2 = NULL;
  size_t *idx2 = NULL;
  for (size_t g = 0; g < n; g++)
    order[g] = g;
  if (h->nkeys == 1 && !h->keep_na && n > 1 &&
      (h->key_types[0] == DUSK_TYPE_INT64 ||
       h->key_types[0] == DUSK_TYPE_FLOAT64)) {
    key = malloc(n * sizeof *key);
    key2 = malloc(n * sizeof *key2);
    idx2 = malloc(n * sizeof *idx2);
  }
  if (key != NULL && key2 != NULL && idx2 != NULL) {
    for (size_t g = 0; g < n; g++) {
      const char *p = dusk_keyset_key(&h->groups, g);
      if (h->key_types[0] == DUSK_TYPE_INT64) {
        int64_t i;
        memcpy(&i, p, 8);
        key[g] = dusk_qkey_from_i64(i);
      } else {
        double f;
        memcpy(&f, p, 8);
        key[g] = dusk_qkey_from_f64(f);
      }
    }
    radix_argsort(key, key2, order, idx2, n);
  } else {
    qsort_r(order, n, sizeof *order, cmp_groups, (void *)h);
  }
  free(key);
  free(key2);
  free(idx2);
}

static unsigned bits_for(uint64_t max) {
  unsigned n = 0;
  while (n < 64 && (max >> n) != 0)
    n++;
  return n;
}

/* order[0..ngroups): the group ids in the order of their FIRST_ROW
 * aggregate a's rows (positions are distinct: no ties).  Where a range and
 * a row fit in 64 bits together (ranges and rows are small), an LSD radix
 * sort of the packed positions, skipping the bytes every one shares;
 * otherwise a comparison sort. */
static void first_row_order(const dusk_hashagg *h, size_t a, size_t *order) {
  size_t n = h->groups.n;
  uint64_t max_range = 0, max_row = 0;
  uint64_t *key = NULL, *key2 = NULL;
  size_t *idx2 = NULL;
  unsigned row_bits;
  bool packable = true;
  for (size_t g = 0; g < n && packable; g++) {
    const slot *s = &h->slots[g * h->naggs + a];
    if (s->range < 0 || s->row < 0)
      packable = false;
    else {
      max_range = (uint64_t)s->range > max_range ? (uint64_t)s->range
                                                 : max_range;
      max_row = (uint64_t)s->row > max_row ? (uint64_t)s->row : max_row;
    }
  }
  row_bits = bits_for(max_row);
  if (packable && bits_for(max_range) + row_bits <= 64 && n > 1) {
    key = malloc(n * sizeof *key);
    key2 = malloc(n * sizeof *key2);
    idx2 = malloc(n * sizeof *idx2);
  }
  if (key == NULL || key2 == NULL || idx2 == NULL) {
    /* not packable, too few to matter, or no memory: qsort needs none */
    const void *arg[2] = {h, &a};
    free(key);
    free(key2);
    free(idx2);
    for (size_t g = 0; g < n; g++)
      order[g] = g;
    qsort_r(order, n, sizeof *order, cmp_first_rows, (void *)arg);
    return;
  }
  for (size_t g = 0; g < n; g++) {
    const slot *s = &h->slots[g * h->naggs + a];
    key[g] = row_bits == 64 ? (uint64_t)s->row
                            : (uint64_t)s->range << row_bits | (uint64_t)s->row;
    order[g] = g;
  }
  radix_argsort(key, key2, order, idx2, n);
  free(key);
  free(key2);
  free(idx2);
}

/* ranks[g]: group g's place in the order of first appearance (the
 * FIRST_ROW aggregate a); order is scratch of one entry per group. */
static void first_row_ranks(const dusk_hashagg *h, size_t a, size_t *order,
                            int64_t *ranks) {
  first_row_order(h, a, order);
  for (size_t i = 0; i < h->groups.n; i++)
    ranks[order[i]] = (int64_t)i;
}

/* The answer, its groups sorted by key, or with by_first_row in the
 * order of that FIRST_ROW aggregate's rows (hashagg.h). */
static int final_in_order(const dusk_hashagg *h, bool by_first_row,
                          dusk_table **out) {
  size_t ncols = h->nkeys + h->naggs, ngroups = h->groups.n;
  const char **names = calloc(ncols, sizeof *names);
  dusk_type *types = calloc(ncols, sizeof *types);
  dusk_value *row = calloc(ncols, sizeof *row);
  size_t *order = calloc(ngroups ? ngroups : 1, sizeof *order);
  dusk_buf *sets = NULL; /* per (median/quantile agg, group): its pairs */
  int64_t *ranks = NULL;  /* per group: its first row's rank (FIRST_ROW) */
  dusk_table *t = NULL;
  int rc = DUSK_ENOMEM;

  if (names == NULL || types == NULL || row == NULL || order == NULL)
    goto out;
  for (size_t a = 0; a < h->naggs; a++) {
    if (h->aggs[a].fn != DUSK_AGG_MEDIAN && h->aggs[a].fn != DUSK_AGG_QUANTILE)
      continue;
    if (sets == NULL &&
        (sets = calloc((ngroups ? ngroups : 1) * h->naggs, sizeof *sets)) ==
            NULL)
      goto out;
    if (unique_sets(h, a, sets + a * ngroups) != 0)
      goto out;
  }
  for (size_t k = 0; k < h->nkeys; k++) {
    names[k] = h->key_names[k];
    types[k] = h->key_types[k];
  }
  for (size_t a = 0; a < h->naggs; a++) {
    names[h->nkeys + a] = h->aggs[a].name;
    types[h->nkeys + a] = output_type(&h->aggs[a]);
  }
  if ((t = dusk_table_new(names, types, ncols, h->nkeys)) == NULL)
    goto out;
  for (size_t a = 0; a < h->naggs; a++)
    if (h->aggs[a].fn == DUSK_AGG_FIRST_ROW && ranks == NULL) {
      ranks = calloc(ngroups ? ngroups : 1, sizeof *ranks);
      if (ranks == NULL)
        goto out;
      first_row_ranks(h, a, order, ranks); /* order: by first row */
    }
  if (by_first_row && ranks == NULL) {
    rc = DUSK_EINVAL;
    goto out;
  }
  if (!by_first_row)
    key_order(h, order);
  for (size_t i = 0; i < h->groups.n; i++) {
    size_t g = order[i], pos = 0;
    const char *kp = dusk_keyset_key(&h->groups, g);
    for (size_t k = 0; k < h->nkeys; k++)
      get_key(h, kp, &pos, k, &row[k]);
    for (size_t a = 0; a < h->naggs; a++) {
      const slot *s = &h->slots[g * h->naggs + a];
      dusk_value *v = &row[h->nkeys + a];
      switch (h->aggs[a].fn) {
      case DUSK_AGG_MEAN:
        if (s->n == 0) {
          v->type = DUSK_TYPE_NULL;
        } else {
          v->type = DUSK_TYPE_FLOAT64;
          v->u.f = kahan_nan(h, s) ? NAN : s->f / (double)s->n;
        }
        break;
      case DUSK_AGG_STD:
      case DUSK_AGG_VAR:
        v->u.f = std_var_answer(h, a, s);
        /* NaN: fewer than two values (ddof=1), or an infinite one */
        v->type = isnan(v->u.f) ? DUSK_TYPE_NULL : DUSK_TYPE_FLOAT64;
        break;
      case DUSK_AGG_SUM:
        v->type = types[h->nkeys + a];
        if (v->type == DUSK_TYPE_STRING) {
          /* null: no string, or more than text_cap bytes of them */
          if (s->n == 0 || (s->has & TEXT_TOO_BIG))
            v->type = DUSK_TYPE_NULL;
          else
            slot_value(s, DUSK_TYPE_STRING, v);
        } else if (v->type == DUSK_TYPE_FLOAT64)
          v->u.f = kahan_nan(h, s) ? NAN : s->f;
        else
          v->u.i = s->i;
        break;
      case DUSK_AGG_MIN:
      case DUSK_AGG_MAX:
      case DUSK_AGG_FIRST:
      case DUSK_AGG_LAST:
        if (s->has)
          slot_value(s, h->aggs[a].input, v);
        else
          v->type = DUSK_TYPE_NULL;
        break;
      case DUSK_AGG_FIRST_ROW:
        v->type = DUSK_TYPE_INT64;
        v->u.i = ranks[g];
        break;
      case DUSK_AGG_MEDIAN:
      case DUSK_AGG_QUANTILE:
        if (s->n == 0)
          v->type = DUSK_TYPE_NULL;
        else
          rank_value(&h->aggs[a], &sets[a * ngroups + g], s->n, v);
        break;
      default:
        v->type = DUSK_TYPE_INT64;
        v->u.i = s->n;
      }
    }
    if ((rc = dusk_table_append_row(t, row)) != 0)
      goto out;
  }
  *out = t;
  t = NULL;
  rc = 0;
out:
  dusk_table_free(t);
  free(names);
  free(types);
  free(row);
  free(order);
  free(ranks);
  if (sets != NULL)
    for (size_t i = 0; i < ngroups * h->naggs; i++)
      dusk_buf_destroy(&sets[i]);
  free(sets);
  return rc;
}

int dusk_hashagg_final(const dusk_hashagg *h, dusk_table **out) {
  return final_in_order(h, false, out);
}

int dusk_hashagg_final_by_first_row(const dusk_hashagg *h, dusk_table **out) {
  return final_in_order(h, true, out);
}
