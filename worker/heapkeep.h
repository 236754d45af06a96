/* heapkeep.h - how much freed memory a worker keeps for its next tasks,
 * and when it gives it back early (worker.c keep_freed_memory,
 * trim_under_pressure; docs/architecture.md, Memory).  Pure decisions:
 * the caller reads the resident size and runs malloc_trim. */
#ifndef DUSK_HEAPKEEP_H
#define DUSK_HEAPKEEP_H

#include <stdbool.h>
#include <stdint.h>

/* Freed memory kept for the next task: a sixteenth of the memory limit,
 * at most 256 MiB (about what a scan's state takes); 64 MiB without a
 * limit (0). */
uint64_t dusk_heap_keep_bytes(uint64_t memory_limit);

/* The share of the limit (percent) past which kept memory goes back at
 * once: near its limit a worker (in a memory cgroup, say) must not hold
 * freed blocks the kernel cannot reclaim. */
#define DUSK_HEAP_PRESSURE_PERCENT 75

/* Whether to give the kept memory back now, with resident size rss, the
 * memory limit and keep (dusk_heap_keep_bytes): above the pressure share
 * of the limit, and then once more only after rss grew by half of keep
 * past *trimmed_rss - a trim costs the task thread its working set's
 * page-table entries, so it is not repeated for nothing.  *trimmed_rss
 * is the caller's state (0 at first): reset to 0 below the share; the
 * caller sets it to the resident size after each trim it makes.  No
 * limit (0): never. */
bool dusk_heap_trim_now(uint64_t rss, uint64_t memory_limit, uint64_t keep,
                        uint64_t *trimmed_rss);

#endif
