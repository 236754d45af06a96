/* dfops.h - the dataframe ops a query is lowered into (see df/dftask.h):
 *
 *   df_scan     args: dusk_scan_args.  Scans one byte range with the plan's
 *               steps (fillna, query, select) and its terminal (groupby,
 *               value_counts, len, head, describe, or collect), returning a
 *               partial result.
 *   df_combine  args: the encoded plan.  Merges its inputs' partials.
 *   df_final    args: the encoded plan.  Checks every range's quote-state
 *               guess, then turns the merged partial into the result table.
 *
 * Failures the scheduler acts on start with a tag (see dftask.h). */
#ifndef DUSK_DFOPS_H
#define DUSK_DFOPS_H

#include "dftask.h"
#include "registry.h"

/* Registers df_scan, df_combine and df_final. */
int dusk_dfops_register(dusk_registry *r);

/* This worker's name and host, for the errors of a scan that cannot open
 * its file or object (a path one host lacks names the host).  Copied;
 * call before tasks run. */
void dusk_dfops_set_identity(const char *name, const char *host);

/* A task has arrived that will wait for the one running: when it is a
 * scan of a remote object, its byte range starts streaming now
 * (dusk_source_prefetch), so its first bytes are there when it runs.
 * Call on the loop thread; it never blocks (the stream opens on a thread
 * of its own) and ignores what it cannot decode. */
void dusk_dfops_prefetch(const char *op, size_t op_len, dusk_slice args);

#endif
