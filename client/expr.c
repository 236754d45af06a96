/* expr.c - being written. */
