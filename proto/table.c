/* table.c - being written. */
