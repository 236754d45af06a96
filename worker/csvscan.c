/* csvscan.c - being written. */
