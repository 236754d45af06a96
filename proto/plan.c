/* plan.c - being written. */
