/* heap.h - the scheduler's ready queue: a binary min-heap of tasks by
 * priority, with each task's position stored in the task so removal is
 * O(log n).  Element type is opaque; callers supply the index slot. */
#ifndef DUSK_HEAP_H
#define DUSK_HEAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct dusk_heap_item {
  uint64_t priority; /* smaller runs first */
  int64_t index;     /* position in the heap, -1 when absent */
} dusk_heap_item;

typedef struct dusk_heap {
  dusk_heap_item **items;
  size_t len, cap;
} dusk_heap;

void dusk_heap_init(dusk_heap *h);
void dusk_heap_destroy(dusk_heap *h);
/* Aborts on out-of-memory (scheduler daemon policy). */
void dusk_heap_push(dusk_heap *h, dusk_heap_item *it);
dusk_heap_item *dusk_heap_pop(dusk_heap *h);
dusk_heap_item *dusk_heap_peek(const dusk_heap *h);
void dusk_heap_remove(dusk_heap *h, dusk_heap_item *it);

#endif
