/* heap.c - binary min-heap with intrusive positions. */
#include "heap.h"

#include "xalloc.h"

#include <stdlib.h>

void dusk_heap_init(dusk_heap *h) {
  h->items = NULL;
  h->len = h->cap = 0;
}

void dusk_heap_destroy(dusk_heap *h) {
  free(h->items);
  dusk_heap_init(h);
}

static void place(dusk_heap *h, size_t i, dusk_heap_item *it) {
  h->items[i] = it;
  it->index = (int64_t)i;
}

static void sift_up(dusk_heap *h, size_t i) {
  dusk_heap_item *it = h->items[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (h->items[parent]->priority <= it->priority)
      break;
    place(h, i, h->items[parent]);
    i = parent;
  }
  place(h, i, it);
}

static void sift_down(dusk_heap *h, size_t i) {
  dusk_heap_item *it = h->items[i];
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    uint64_t best = it->priority;
    if (l < h->len && h->items[l]->priority < best)
      m = l, best = h->items[l]->priority;
    if (r < h->len && h->items[r]->priority < best)
      m = r;
    if (m == i)
      break;
    place(h, i, h->items[m]);
    i = m;
  }
  place(h, i, it);
}

void dusk_heap_push(dusk_heap *h, dusk_heap_item *it) {
  if (h->len == h->cap) {
    h->cap = h->cap ? h->cap * 2 : 64;
    h->items = dusk_xrealloc(h->items, h->cap * sizeof *h->items);
  }
  h->items[h->len] = it;
  sift_up(h, h->len++);
}

dusk_heap_item *dusk_heap_peek(const dusk_heap *h) {
  return h->len ? h->items[0] : NULL;
}

dusk_heap_item *dusk_heap_pop(dusk_heap *h) {
  dusk_heap_item *top;
  if (h->len == 0)
    return NULL;
  top = h->items[0];
  top->index = -1;
  if (--h->len > 0) {
    h->items[0] = h->items[h->len];
    sift_down(h, 0);
  }
  return top;
}

void dusk_heap_remove(dusk_heap *h, dusk_heap_item *it) {
  size_t i;
  if (it->index < 0)
    return;
  i = (size_t)it->index;
  it->index = -1;
  if (i == --h->len)
    return;
  h->items[i] = h->items[h->len];
  h->items[i]->index = (int64_t)i;
  if (i > 0 && h->items[(i - 1) / 2]->priority > h->items[i]->priority)
    sift_up(h, i);
  else
    sift_down(h, i);
}
