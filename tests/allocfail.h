/* allocfail.h - out of memory on demand for the suites that test it.
 *
 * A suite linked with dusk_allocfail and GNU ld's --wrap=malloc,calloc,
 * realloc (see dusk_allocfail_suite in tests/CMakeLists.txt) sends every
 * malloc, calloc and realloc of the code linked into it - dusk's static
 * libraries and the suite, not shared libraries such as libuv - through
 * here.  strdup and other libc internals are not wrapped. */
#ifndef DUSK_ALLOCFAIL_H
#define DUSK_ALLOCFAIL_H

/* Lets n more allocations succeed, then makes every one fail until the
 * next call; n < 0: none fail (the default). */
void tu_alloc_fail_after(long n);

/* How many allocations will still succeed: -1 when none is set to fail,
 * 0 once they fail. */
long tu_alloc_left(void);

#endif
