/* heapkeep.c - see heapkeep.h. */
#include "heapkeep.h"

uint64_t dusk_heap_keep_bytes(uint64_t memory_limit) {
  uint64_t keep = memory_limit ? memory_limit / 16 : (uint64_t)64 << 20;
  return keep > ((uint64_t)256 << 20) ? (uint64_t)256 << 20 : keep;
}

bool dusk_heap_trim_now(uint64_t rss, uint64_t memory_limit, uint64_t keep,
                        uint64_t *trimmed_rss) {
  if (memory_limit == 0)
    return false;
  if (rss < memory_limit / 100 * DUSK_HEAP_PRESSURE_PERCENT) {
    *trimmed_rss = 0;
    return false;
  }
  return *trimmed_rss == 0 || rss >= *trimmed_rss + keep / 2;
}
