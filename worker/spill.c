/* spill.c - see spill.h. */
#include "spill.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void dusk_spill_init(dusk_spill *s, const char *parent) {
  const char *tmp = getenv("TMPDIR");
  memset(s, 0, sizeof *s);
  if (parent == NULL || parent[0] == '\0')
    parent = tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp";
  snprintf(s->parent, sizeof s->parent, "%s", parent);
}

/* Makes the private directory on first use. */
static int ensure_dir(dusk_spill *s, dusk_error *err) {
  if (s->dir[0] != '\0')
    return 0;
  snprintf(s->dir, sizeof s->dir, "%s/dusk-spill-%ld-XXXXXX", s->parent,
           (long)getpid());
  if (mkdtemp(s->dir) == NULL) {
    int e = errno;
    char tried[sizeof s->dir];
    memcpy(tried, s->dir, sizeof tried);
    s->dir[0] = '\0';
    return dusk_error_set(err, -e, "spill directory %s: %s", tried,
                          strerror(e));
  }
  return 0;
}

static void file_of(const dusk_spill *s, uint64_t id, char *path,
                    size_t len) {
  snprintf(path, len, "%s/%" PRIu64, s->dir, id);
}

int dusk_spill_write(dusk_spill *s, uint64_t id, const char *data, size_t len,
                     dusk_error *err) {
  char path[3300];
  size_t off = 0;
  int fd, rc;
  if ((rc = ensure_dir(s, err)) != 0)
    return rc;
  file_of(s, id, path, sizeof path);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return dusk_error_set(err, -errno, "spilling to %s: %s", path,
                          strerror(errno));
  while (off < len) {
    ssize_t n = write(fd, data + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = n < 0 ? errno : ENOSPC;
      close(fd);
      unlink(path);
      return dusk_error_set(err, -e, "spilling %zu bytes to %s: %s", len,
                            path, strerror(e));
    }
    off += (size_t)n;
  }
  if (close(fd) != 0) { /* a delayed write error shows here */
    int e = errno;
    unlink(path);
    return dusk_error_set(err, -e, "spilling to %s: %s", path, strerror(e));
  }
  s->files++;
  s->bytes += len;
  return 0;
}

int dusk_spill_take(dusk_spill *s, uint64_t id, size_t len, char **out,
                    dusk_error *err) {
  char path[3300];
  char *buf;
  size_t off = 0;
  struct stat st;
  int fd;
  *out = NULL;
  file_of(s, id, path, sizeof path);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return dusk_error_set(err, -errno, "reading spilled %s: %s", path,
                          strerror(errno));
  if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != (uint64_t)len) {
    close(fd);
    return dusk_error_set(err, DUSK_EPROTO,
                          "reading spilled %s: %lld bytes, %zu written", path,
                          (long long)st.st_size, len);
  }
  if ((buf = malloc(len ? len : 1)) == NULL) {
    close(fd);
    return dusk_error_set(err, DUSK_ENOMEM, "reading spilled %s: out of "
                          "memory", path);
  }
  while (off < len) {
    ssize_t n = read(fd, buf + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      free(buf);
      close(fd);
      return dusk_error_set(err, -e, "reading spilled %s: %s", path,
                            strerror(e));
    }
    off += (size_t)n;
  }
  close(fd);
  dusk_spill_drop(s, id, len);
  *out = buf;
  return 0;
}

void dusk_spill_drop(dusk_spill *s, uint64_t id, size_t len) {
  char path[3300];
  file_of(s, id, path, sizeof path);
  if (unlink(path) == 0) {
    s->files--;
    s->bytes -= len;
  }
}

void dusk_spill_destroy(dusk_spill *s) {
  DIR *d;
  struct dirent *e;
  if (s->dir[0] == '\0')
    return;
  /* Only files this worker wrote are in its private directory. */
  if ((d = opendir(s->dir)) != NULL) {
    int fd = dirfd(d);
    while ((e = readdir(d)) != NULL)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        unlinkat(fd, e->d_name, 0);
    closedir(d);
  }
  rmdir(s->dir);
  s->dir[0] = '\0';
  s->files = s->bytes = 0;
}
