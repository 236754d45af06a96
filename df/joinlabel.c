/* joinlabel.c - see joinlabel.h. */
#include "joinlabel.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void dusk_join_groups_init(dusk_join_groups *g) { memset(g, 0, sizeof *g); }

void dusk_join_groups_destroy(dusk_join_groups *g) {
  free(g->group);
  free(g->count);
  memset(g, 0, sizeof *g);
}

int dusk_join_groups_add(dusk_join_groups *g, uint64_t group, uint64_t count) {
  if (g->n == g->cap) {
    size_t cap = g->cap ? 2 * g->cap : 1024;
    uint64_t *ng, *nc;
    if (cap > SIZE_MAX / sizeof *ng)
      return DUSK_ENOMEM;
    if ((ng = realloc(g->group, cap * sizeof *ng)) == NULL)
      return DUSK_ENOMEM;
    g->group = ng;
    if ((nc = realloc(g->count, cap * sizeof *nc)) == NULL)
      return DUSK_ENOMEM;
    g->count = nc;
    g->cap = cap;
  }
  g->group[g->n] = group;
  g->count[g->n++] = count;
  return 0;
}

typedef struct pair {
  uint64_t group, count;
} pair;

static int cmp_pair(const void *x, const void *y) {
  const pair *a = x, *b = y;
  return (a->group > b->group) - (a->group < b->group);
}

static void put_varint(unsigned char *out, size_t *at, uint64_t v) {
  while (v >= 0x80) {
    out[(*at)++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  out[(*at)++] = (unsigned char)v;
}

int dusk_join_groups_pack(dusk_join_groups *g, dusk_buf *out) {
  bool sorted = true;
  size_t at;
  pair *ps = NULL;
  uint64_t prev = 0;
  int rc;
  for (size_t i = 1; i < g->n && sorted; i++)
    sorted = g->group[i - 1] < g->group[i];
  if (!sorted) { /* the groups of inner / outer / right come unordered */
    if ((ps = malloc((g->n ? g->n : 1) * sizeof *ps)) == NULL)
      return DUSK_ENOMEM;
    for (size_t i = 0; i < g->n; i++) {
      ps[i].group = g->group[i];
      ps[i].count = g->count[i];
    }
    qsort(ps, g->n, sizeof *ps, cmp_pair);
    for (size_t i = 0; i < g->n; i++) {
      g->group[i] = ps[i].group;
      g->count[i] = ps[i].count;
    }
    free(ps);
  }
  for (size_t i = 0; i < g->n; i++)
    if (g->count[i] == 0 || (i > 0 && g->group[i - 1] == g->group[i]))
      return DUSK_EINVAL;
  /* at most 10 bytes a varint, two a group */
  if (g->n > (SIZE_MAX - out->len) / 20)
    return DUSK_ENOMEM;
  if ((rc = dusk_buf_reserve(out, 20 * g->n)) != 0)
    return rc;
  at = out->len;
  for (size_t i = 0; i < g->n; i++) {
    put_varint((unsigned char *)out->data, &at, g->group[i] - prev);
    put_varint((unsigned char *)out->data, &at, g->count[i]);
    prev = g->group[i];
  }
  out->len = at;
  return 0;
}

/* One part's list, read a group at a time. */
typedef struct cursor {
  const unsigned char *start, *at, *end;
  size_t list;
  uint64_t group, count; /* the group read last */
  uint64_t sum, rows;    /* its counts so far; what they must reach */
  bool first;
} cursor;

static int bad_list(const cursor *c, dusk_error *err, const char *why) {
  return dusk_error_set(err, DUSK_EPARSE,
                        "shuffle join part %zu's group list, byte %zu: %s",
                        c->list, (size_t)(c->at - c->start), why);
}

static int get_varint(cursor *c, uint64_t *v, dusk_error *err) {
  uint64_t x = 0;
  for (unsigned shift = 0;; shift += 7) {
    unsigned char b;
    if (c->at == c->end)
      return bad_list(c, err, "a number cut short");
    b = *c->at++;
    if (shift == 63 && b > 1)
      return bad_list(c, err, "a number past 64 bits");
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      break;
    if (shift == 63)
      return bad_list(c, err, "a number past 64 bits");
  }
  *v = x;
  return 0;
}

/* Reads c's next group: 1 when there is one, 0 at the end (its counts
 * checked against its rows), or a negative error. */
static int cursor_next(cursor *c, dusk_error *err) {
  uint64_t delta = 0, count = 0;
  int rc;
  if (c->at == c->end) {
    if (c->sum != c->rows)
      return dusk_error_set(err, DUSK_EPARSE,
                            "shuffle join part %zu's group list counts %llu "
                            "rows, its range %llu",
                            c->list, (unsigned long long)c->sum,
                            (unsigned long long)c->rows);
    return 0;
  }
  if ((rc = get_varint(c, &delta, err)) != 0 ||
      (rc = get_varint(c, &count, err)) != 0)
    return rc;
  if (!c->first && delta == 0)
    return bad_list(c, err, "a group repeated");
  if (delta > UINT64_MAX - c->group)
    return bad_list(c, err, "a group past 64 bits");
  if (count == 0 || count > c->rows - c->sum)
    return bad_list(c, err, count == 0 ? "a group of no rows"
                                       : "more rows than its range made");
  c->group = c->first ? delta : c->group + delta;
  c->first = false;
  c->count = count;
  c->sum += count;
  return 1;
}

static bool heap_less(const cursor *cs, size_t a, size_t b) {
  return cs[a].group < cs[b].group;
}

static void sift_down(const cursor *cs, size_t *heap, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i, t;
    if (l < n && heap_less(cs, heap[l], heap[m]))
      m = l;
    if (r < n && heap_less(cs, heap[r], heap[m]))
      m = r;
    if (m == i)
      return;
    t = heap[i];
    heap[i] = heap[m];
    heap[m] = t;
    i = m;
  }
}

/* Moves the least group on: the heap's top reads its next group or
 * leaves.  0 or a negative error. */
static int heap_advance(cursor *cs, size_t *heap, size_t *n, dusk_error *err) {
  int rc = cursor_next(&cs[heap[0]], err);
  if (rc < 0)
    return rc;
  if (rc == 0)
    heap[0] = heap[--*n];
  sift_down(cs, heap, *n, 0);
  return 0;
}

/* The heap over every list's cursor (cs[k] reads lists[k]), *n lists
 * that still have groups.  0 or a negative error. */
static int walk_start(const unsigned char *const *lists, const size_t *len,
                      const uint64_t *rows, size_t nlists, cursor *cs,
                      size_t *heap, size_t *n, dusk_error *err) {
  int rc;
  *n = 0;
  for (size_t k = 0; k < nlists; k++) {
    cs[k].start = cs[k].at = lists[k];
    cs[k].end = lists[k] + len[k];
    cs[k].list = k;
    cs[k].rows = rows[k];
    cs[k].first = true;
    if ((rc = cursor_next(&cs[k], err)) < 0)
      return rc;
    if (rc == 1)
      heap[(*n)++] = k;
  }
  for (size_t i = *n; i-- > 0;)
    sift_down(cs, heap, *n, i);
  return 0;
}

/* Passes the least group left (the heap's top, *n > 0): its rows added
 * to *below, checked to lie in no other list (*last, *passed: the group
 * passed before).  0 or a negative error. */
static int walk_pass(cursor *cs, size_t *heap, size_t *n, uint64_t *below,
                     uint64_t *last, bool *passed, dusk_error *err) {
  const cursor *top = &cs[heap[0]];
  if (*passed && top->group <= *last)
    return dusk_error_set(err, DUSK_EPARSE,
                          "shuffle join parts %zu and another both hold "
                          "order group %llu",
                          top->list, (unsigned long long)top->group);
  if (top->count > (uint64_t)INT64_MAX - *below)
    return dusk_error_set(err, DUSK_EPARSE, "shuffle join labels past "
                                            "2^63 rows");
  *below += top->count;
  *last = top->group;
  *passed = true;
  return heap_advance(cs, heap, n, err);
}

int dusk_join_labels(const unsigned char *const *lists, const size_t *len,
                     const uint64_t *rows, size_t nlists,
                     const int64_t *group, const int64_t *place, size_t nrows,
                     int64_t *labels, dusk_error *err) {
  cursor *cs = calloc(nlists ? nlists : 1, sizeof *cs);
  size_t *heap = calloc(nlists ? nlists : 1, sizeof *heap), n = 0;
  uint64_t below = 0, last = 0; /* rows of the groups passed; the last one */
  bool passed = false;
  int rc = 0;
  if (cs == NULL || heap == NULL) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "shuffle join labels: out of "
                                          "memory");
    goto out;
  }
  if ((rc = walk_start(lists, len, rows, nlists, cs, heap, &n, err)) != 0)
    goto out;
  for (size_t r = 0; r <= nrows; r++) {
    uint64_t g = r < nrows ? (uint64_t)group[r] : 0;
    if (r < nrows &&
        (group[r] < 0 || place[r] < 0 ||
         (r > 0 && (group[r] < group[r - 1] ||
                    (group[r] == group[r - 1] && place[r] <= place[r - 1]))))) {
      rc = dusk_error_set(err, DUSK_EINVAL,
                          "shuffle join labels: row %zu (group %lld, place "
                          "%lld) out of order",
                          r, (long long)group[r], (long long)place[r]);
      goto out;
    }
    /* pass every group below the row's (after the last row: all) */
    while (n > 0 && (r == nrows || cs[heap[0]].group < g))
      if ((rc = walk_pass(cs, heap, &n, &below, &last, &passed, err)) != 0)
        goto out;
    if (r == nrows)
      break;
    if (n == 0 || cs[heap[0]].group != g) {
      rc = dusk_error_set(err, DUSK_EINVAL,
                          "shuffle join labels: row %zu's order group %llu "
                          "is in no part's list",
                          r, (unsigned long long)g);
      goto out;
    }
    if ((uint64_t)place[r] >= cs[heap[0]].count) {
      rc = dusk_error_set(err, DUSK_EINVAL,
                          "shuffle join labels: row %zu's place %lld is past "
                          "its group's %llu rows",
                          r, (long long)place[r],
                          (unsigned long long)cs[heap[0]].count);
      goto out;
    }
    labels[r] = (int64_t)(below + (uint64_t)place[r]);
  }
out:
  free(cs);
  free(heap);
  return rc;
}

int dusk_join_cuts(const unsigned char *const *lists, const size_t *len,
                   const uint64_t *rows, size_t nlists, uint32_t nparts,
                   uint64_t *cut_group, uint64_t *cut_place,
                   dusk_error *err) {
  cursor *cs = calloc(nlists ? nlists : 1, sizeof *cs);
  size_t *heap = calloc(nlists ? nlists : 1, sizeof *heap), n = 0;
  uint64_t below = 0, last = 0, total = 0;
  bool passed = false;
  uint32_t k = 0; /* the next cut */
  int rc = 0;
  if (cs == NULL || heap == NULL || nparts == 0) {
    rc = dusk_error_set(err, nparts ? DUSK_ENOMEM : DUSK_EINVAL,
                        "shuffle join cuts: %s",
                        nparts ? "out of memory" : "no parts");
    goto out;
  }
  for (size_t i = 0; i < nlists; i++) {
    if (rows[i] > (uint64_t)INT64_MAX - total) {
      rc = dusk_error_set(err, DUSK_EPARSE, "shuffle join cuts past 2^63 "
                                            "rows");
      goto out;
    }
    total += rows[i];
  }
  if ((rc = walk_start(lists, len, rows, nlists, cs, heap, &n, err)) != 0)
    goto out;
  while (n > 0) {
    uint64_t g = cs[heap[0]].group, c = cs[heap[0]].count;
    /* cut k at row (k + 1) * total / nparts, in this group when below
     * its end: as (k + 1) * (total / nparts) + (k + 1) * (total % nparts)
     * / nparts, neither product past 64 bits */
    while (k + 1 < nparts) {
      uint64_t at = (uint64_t)(k + 1) * (total / nparts) +
                    (uint64_t)(k + 1) * (total % nparts) / nparts;
      if (at >= below + c)
        break;
      cut_group[k] = g;
      cut_place[k] = at - below;
      k++;
    }
    if ((rc = walk_pass(cs, heap, &n, &below, &last, &passed, err)) != 0)
      goto out;
  }
  for (; k + 1 < nparts; k++) { /* past the last row (no rows at all) */
    cut_group[k] = UINT64_MAX;
    cut_place[k] = 0;
  }
out:
  free(cs);
  free(heap);
  return rc;
}

uint32_t dusk_join_cut_part(const uint64_t *cut_group,
                            const uint64_t *cut_place, uint32_t ncuts,
                            uint64_t group, uint64_t place) {
  uint32_t lo = 0, hi = ncuts;
  while (lo < hi) { /* the cuts at or before (group, place) */
    uint32_t mid = lo + (hi - lo) / 2;
    if (cut_group[mid] < group ||
        (cut_group[mid] == group && cut_place[mid] <= place))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}
