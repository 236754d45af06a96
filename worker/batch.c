/* batch.c - being written. */
