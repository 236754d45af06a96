/* procstat.c - see procstat.h. */
#include "procstat.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
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

/* This process's cgroup path in cgroup_path's file, without its leading
 * "/"; "" for the root.  v2: the "0::/a/b" line; v1: the line of the
 * memory controller ("4:memory:/a/b", or "4:cpu,memory:/a/b").  0 or
 * -ENOENT (no such line). */
static int own_cgroup(const char *cgroup_path, bool v1, char *out,
                      size_t len) {
  char line[PATH_MAX + 64];
  FILE *f = fopen(cgroup_path, "r");
  int rc = -ENOENT;
  if (f == NULL)
    return -errno;
  while (fgets(line, sizeof line, f) != NULL) {
    const char *path = NULL;
    if (!v1 && strncmp(line, "0::/", 4) == 0) {
      path = line + 4;
    } else if (v1) { /* ID:CONTROLLERS:/PATH */
      char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
      if (c1 != NULL && c2 != NULL && c2[1] == '/') {
        char *save = NULL;
        *c2 = '\0';
        for (char *tok = strtok_r(c1 + 1, ",", &save); tok && !path;
             tok = strtok_r(NULL, ",", &save))
          if (strcmp(tok, "memory") == 0)
            path = c2 + 2;
      }
    }
    if (path != NULL) {
      size_t n = strcspn(path, "\n");
      if (n < len) {
        memcpy(out, path, n);
        out[n] = '\0';
        rc = 0;
      }
      break;
    }
  }
  fclose(f);
  return rc;
}

/* Lowers *limit to the number in root/dir/file, if it holds one. */
static void apply_limit_file(const char *root, const char *dir,
                             const char *file, uint64_t *limit) {
  char path[PATH_MAX * 2 + 64];
  unsigned long long v;
  FILE *f;
  snprintf(path, sizeof path, "%s/%s%s%s", root, dir, dir[0] ? "/" : "",
           file);
  if ((f = fopen(path, "r")) == NULL)
    return;
  if (fscanf(f, "%llu", &v) == 1 && v > 0 && v < *limit)
    *limit = (uint64_t)v; /* "max" does not scan: no limit */
  fclose(f);
}

/* Lowers *limit to the limit of cgroup dir (under root, in file) and of
 * each of its ancestors: every one applies.  The root's own file is read
 * too: v2 has none, a v1 host's says no limit (a huge number), and in a
 * container the v1 hierarchy mounted there is the container's own. */
static void apply_cgroup_limits(const char *root, char *dir,
                                const char *file, uint64_t *limit) {
  if (strstr(dir, "..") != NULL)
    return;
  for (;;) {
    char *slash;
    apply_limit_file(root, dir, file, limit);
    if (dir[0] == '\0')
      break;
    slash = strrchr(dir, '/');
    if (slash == NULL)
      dir[0] = '\0';
    else
      *slash = '\0';
  }
}

int dusk_memory_available_from(const char *meminfo_path,
                               const char *cgroup_path,
                               const char *cgroup_root, uint64_t *bytes) {
  char dir[PATH_MAX], v1_root[PATH_MAX + 16];
  uint64_t limit = 0; /* mem_total sets it when it returns 0 */
  int rc = mem_total(meminfo_path, &limit);
  if (rc != 0)
    return rc;
  if (own_cgroup(cgroup_path, false, dir, sizeof dir) == 0)
    apply_cgroup_limits(cgroup_root, dir, "memory.max", &limit);
  snprintf(v1_root, sizeof v1_root, "%s/memory", cgroup_root);
  if (own_cgroup(cgroup_path, true, dir, sizeof dir) == 0)
    apply_cgroup_limits(v1_root, dir, "memory.limit_in_bytes", &limit);
  *bytes = limit;
  return 0;
}

int dusk_memory_available(uint64_t *bytes) {
  return dusk_memory_available_from("/proc/meminfo", "/proc/self/cgroup",
                                    "/sys/fs/cgroup", bytes);
}
