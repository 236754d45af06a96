/* procstat.h - this process's own figures and the memory it may use, read
 * cheaply enough for every heartbeat (Linux /proc and cgroup v2 files). */
#ifndef DUSK_PROCSTAT_H
#define DUSK_PROCSTAT_H

#include <stdint.h>

/* Resident memory of this process now (/proc/self/statm: resident pages
 * times the page size; not the high-water mark).  0 or a negative errno. */
int dusk_proc_rss(uint64_t *bytes);

/* CPU time this process used so far, all threads, user + system,
 * nanoseconds (CLOCK_PROCESS_CPUTIME_ID: no file to read). */
uint64_t dusk_proc_cpu_ns(void);

/* The memory this process may use: MemTotal of meminfo_path, or less
 * when a memory limit of its cgroup or of an ancestor is lower: cgroup v2's
 * memory.max (the cgroup named by the "0::" line of cgroup_path, under the
 * v2 mount cgroup_root) and cgroup v1's memory.limit_in_bytes (the
 * memory controller's line, under cgroup_root/memory), whichever the host
 * has.  A cgroup file that is missing, says "max" or holds v1's "no
 * limit" (a number past MemTotal) sets no limit.  0, or a negative errno
 * when meminfo_path cannot be read or has no MemTotal.  The paths are
 * parameters for the tests. */
int dusk_memory_available_from(const char *meminfo_path,
                               const char *cgroup_path,
                               const char *cgroup_root, uint64_t *bytes);

/* dusk_memory_available_from("/proc/meminfo", "/proc/self/cgroup",
 * "/sys/fs/cgroup"). */
int dusk_memory_available(uint64_t *bytes);

#endif
