/* procstat.c - see procstat.h. */
#include "procstat.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int dusk_proc_rss(uint64_t *bytes) {
  unsigned long long size = 0, resident = 0;
  long page = sysconf(_SC_PAGESIZE);
  FILE *f = fopen("/proc/self/statm", "r");
  int n;
  *bytes = 0;
  if (f == NULL)
    return -errno;
  n = fscanf(f, "%llu %llu", &size, &resident);
  fclose(f);
  if (n != 2 || page <= 0)
    return -EINVAL;
  *bytes = (uint64_t)resident * (uint64_t)page;
  return 0;
}

uint64_t dusk_proc_cpu_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
    return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* MemTotal of a meminfo file, bytes. */
static int mem_total(const char *path, uint64_t *bytes) {
  char line[256];
  FILE *f = fopen(path, "r");
  int rc = -ENOENT;
  if (f == NULL)
    return -errno;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long long kb;
    if (sscanf(line, "MemTotal: %llu kB", &kb) == 1 && kb > 0 &&
        kb <= UINT64_MAX / 1024) {
      *bytes = (uint64_t)kb * 1024;
      rc = 0;
      break;
    }
  }
  fclose(f);
  return rc;
}

/* The cgroup v2 path of this process ("0::/a/b" in cgroup_path), without
 * its leading "/"; "" for the root.  0 or -ENOENT (no v2 line: a v1-only
 * host, or none). */
static int own_cgroup(const char *cgroup_path, char *out, size_t len) {
  char line[PATH_MAX + 8];
  FILE *f = fopen(cgroup_path, "r");
  int rc = -ENOENT;
  if (f == NULL)
    return -errno;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "0::/", 4) == 0) {
      size_t n = strcspn(line + 4, "\n");
      if (n < len) {
        memcpy(out, line + 4, n);
        out[n] = '\0';
        rc = 0;
      }
      break;
    }
  }
  fclose(f);
  return rc;
}

/* Lowers *limit to the memory.max of dir if it holds a number. */
static void apply_memory_max(const char *root, const char *dir,
                             uint64_t *limit) {
  char path[PATH_MAX * 2 + 32];
  unsigned long long v;
  FILE *f;
  snprintf(path, sizeof path, "%s/%s%smemory.max", root, dir,
           dir[0] ? "/" : "");
  if ((f = fopen(path, "r")) == NULL)
    return;
  if (fscanf(f, "%llu", &v) == 1 && v > 0 && v < *limit)
    *limit = (uint64_t)v; /* "max" does not scan: no limit */
  fclose(f);
}

int dusk_memory_available_from(const char *meminfo_path,
                               const char *cgroup_path,
                               const char *cgroup_root, uint64_t *bytes) {
  char dir[PATH_MAX];
  uint64_t limit = 0; /* mem_total sets it when it returns 0 */
  int rc = mem_total(meminfo_path, &limit);
  if (rc != 0)
    return rc;
  /* Every ancestor's limit applies too: walk up to the root (whose own
   * memory.max does not exist). */
  if (own_cgroup(cgroup_path, dir, sizeof dir) == 0 &&
      strstr(dir, "..") == NULL) {
    for (;;) {
      char *slash;
      if (dir[0] == '\0')
        break;
      apply_memory_max(cgroup_root, dir, &limit);
      slash = strrchr(dir, '/');
      if (slash == NULL)
        dir[0] = '\0';
      else
        *slash = '\0';
    }
  }
  *bytes = limit;
  return 0;
}

int dusk_memory_available(uint64_t *bytes) {
  return dusk_memory_available_from("/proc/meminfo", "/proc/self/cgroup",
                                    "/sys/fs/cgroup", bytes);
}
