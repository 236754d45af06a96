/* spill.h - a worker's results on local disk, past its --memory-limit.
 *
 * One private directory per worker (made on first use inside the parent
 * directory given, removed by dusk_spill_destroy with everything in it),
 * one file per spilled result, named by its id.  Files are written whole
 * or not at all: a failed write (a full disk, a file size limit) removes
 * what it wrote and says why, naming the file.  Reads check the file still
 * holds exactly the bytes written.  Used from the worker's loop thread
 * only. */
#ifndef DUSK_SPILL_H
#define DUSK_SPILL_H

#include "errors.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dusk_spill {
  char parent[3072]; /* where the private directory goes */
  char dir[3200];    /* the private directory, "" until made */
  uint64_t files, bytes; /* on disk now */
} dusk_spill;

/* parent: a directory (NULL or "": $TMPDIR, else /tmp).  Makes nothing
 * yet. */
void dusk_spill_init(dusk_spill *s, const char *parent);
/* Writes len bytes as id's file.  0, or a negative code with err naming
 * the file (nothing of it is left behind). */
int dusk_spill_write(dusk_spill *s, uint64_t id, const char *data, size_t len,
                     dusk_error *err);
/* Reads id's file (len bytes, as written) into a new malloc'd buffer
 * *out and removes the file.  0, or a negative code with err. */
int dusk_spill_take(dusk_spill *s, uint64_t id, size_t len, char **out,
                    dusk_error *err);
/* Removes id's file (its result was let go while on disk). */
void dusk_spill_drop(dusk_spill *s, uint64_t id, size_t len);
/* Removes every file and the private directory. */
void dusk_spill_destroy(dusk_spill *s);

#endif
