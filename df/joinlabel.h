/* joinlabel.h - the labels of a shuffle merge's rows that survive a filter.
 *
 * pandas numbers a merge's rows 0, 1, ... in its order, and a filter after
 * the merge keeps each surviving row's number.  A shuffle join (worker/
 * dfops.c op_df_join) makes its rows in hash parts: part j holds whole
 * *order groups* (a key's rows for how inner / outer, a left row's for
 * left, a right row's for right; each group is a uint64 that orders the
 * groups as pandas orders the rows), and each row carries its group and
 * its place within it.  Without a filter the final numbers the rows it
 * gets in (group, place) order.  With one, the rows a part dropped still
 * count: so each part also sends its *group list* - every order group it
 * made with the number of rows the merge gave it, before any filter -
 * and a surviving row's label is
 *
 *     (rows of every group below its own, in all parts) + its place.
 *
 * A group list is packed for the wire as varints: the groups ascending,
 * each as the difference from the one before (the first from 0), each
 * followed by its row count (at least 1).  A list's counts add up to the
 * rows the part made, which the reader checks (the part's ranges row
 * says how many).  Lists of different parts hold different groups. */
#ifndef DUSK_JOINLABEL_H
#define DUSK_JOINLABEL_H

#include "buf.h"
#include "errors.h"

#include <stddef.h>
#include <stdint.h>

/* One part's groups as they are made, in any order. */
typedef struct dusk_join_groups {
  uint64_t *group, *count;
  size_t n, cap;
} dusk_join_groups;

void dusk_join_groups_init(dusk_join_groups *g);
void dusk_join_groups_destroy(dusk_join_groups *g);

/* Adds group with count rows (count >= 1; a group is added once).
 * 0 or DUSK_ENOMEM (g as it was). */
int dusk_join_groups_add(dusk_join_groups *g, uint64_t group, uint64_t count);

/* Sorts g's groups and appends them, packed, to out.  DUSK_EINVAL when a
 * group is there twice or has no rows (a caller's bug), DUSK_ENOMEM. */
int dusk_join_groups_pack(dusk_join_groups *g, dusk_buf *out);

/* labels[r] for rows 0..nrows-1 given in (group, place) order, each the
 * row's group and place within it, from the nlists packed lists of the
 * parts (lists[k] of len[k] bytes, whose counts must add up to rows[k]).
 * DUSK_EPARSE naming the list and byte offset for a list that does not
 * unpack, whose groups do not ascend or whose counts do not add up;
 * DUSK_EINVAL for a row whose group no list holds, whose place is past
 * its group's rows, or that is out of order. */
int dusk_join_labels(const unsigned char *const *lists, const size_t *len,
                     const uint64_t *rows, size_t nlists,
                     const int64_t *group, const int64_t *place, size_t nrows,
                     int64_t *labels, dusk_error *err);

/* The nparts - 1 cuts that part the merge's rows - every list's groups
 * in order, read as dusk_join_labels reads them - into nparts runs of
 * rows as equal as can be (a to_csv of a shuffle merge writes a file
 * per run): cut k (cut_group[k], cut_place[k]) is the (group, place) of
 * row floor((k + 1) * total / nparts), where run k + 1 starts, or
 * (UINT64_MAX, 0) past the last row.  Errors as dusk_join_labels'. */
int dusk_join_cuts(const unsigned char *const *lists, const size_t *len,
                   const uint64_t *rows, size_t nlists, uint32_t nparts,
                   uint64_t *cut_group, uint64_t *cut_place,
                   dusk_error *err);
/* The run (0..ncuts) of the row at (group, place): the number of cuts at
 * or before it.  Cuts must not descend. */
uint32_t dusk_join_cut_part(const uint64_t *cut_group,
                            const uint64_t *cut_place, uint32_t ncuts,
                            uint64_t group, uint64_t place);
#endif
