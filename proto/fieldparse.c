/* fieldparse.c - being written. */
