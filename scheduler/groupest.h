/* groupest.h - how much state a groupby's tree reduction would hold,
 * estimated from the scheduler's sample of its files, and the split_out
 * that keeps every task's share of it inside a worker's memory limit.
 *
 * A groupby with keys is a tree: each scan's partial holds the groups it
 * met and the combines merge them, so the final holds every group's
 * partial state at once.  With millions of groups that is the task that
 * runs out of memory.  split_out (plan.h) hash-partitions the groups so
 * that no task holds more than its part; the scheduler chooses it
 * itself when the estimate says the tree would not fit (query.c).
 *
 * The estimate: the sample's distinct keys (a k-minimum-values sketch
 * of their hashes per column) over its rows.  Keys that repeat within
 * the sample (fewer distinct than half its rows) are taken to be about
 * all the groups there are; keys that rarely repeat are taken to grow
 * with the rows, ratio times the rows the files hold.  It errs on the
 * side of the tree: several keys count as their most distinct one. */
#ifndef DUSK_GROUPEST_H
#define DUSK_GROUPEST_H

#include <stddef.h>
#include <stdint.h>

/* The K smallest distinct 64-bit hashes seen, ascending (n of them). */
#define DUSK_KMV_K 256
typedef struct dusk_kmv {
  uint64_t h[DUSK_KMV_K];
  uint32_t n;
} dusk_kmv;

/* Adds one value's hash (a repeat changes nothing). */
void dusk_kmv_add(dusk_kmv *s, uint64_t hash);
/* The distinct values added: exact below K of them, else the sketch's
 * estimate (K - 1) / (the K-th smallest hash as a fraction of 2^64). */
double dusk_kmv_distinct(const dusk_kmv *s);

/* Groups to expect over total_rows rows, from distinct keys among the
 * sample's sample_rows rows (see above); 0 for an empty sample. */
double dusk_groups_estimate(double distinct, uint64_t sample_rows,
                            double total_rows);

/* Below this share of a worker's memory limit, a groupby's state stays
 * a tree; above it, it is split into parts of at most half of it. */
#define DUSK_TREE_SHARE 0.25
/* The most parts chosen automatically (a user's split_out= may ask for
 * up to DUSK_PLAN_MAX_SPLIT_OUT). */
#define DUSK_AUTO_SPLIT_MAX 32

/* The split_out for a groupby whose state is estimated at state_bytes,
 * on workers whose smallest memory limit is memory_limit (0: unknown),
 * over nscans scans: 0 for the tree, else 2 to DUSK_AUTO_SPLIT_MAX parts
 * (and no more than the scans: a part per scan at most). */
uint32_t dusk_auto_split_out(double state_bytes, uint64_t memory_limit,
                             size_t nscans);

#endif
