/* replay.c - runs a libFuzzer target over corpus files without libFuzzer:
 * `replay FILE_OR_DIR...` feeds each file to LLVMFuzzerTestOneInput once.
 * Built as a ctest for every target, so the committed corpora are replayed
 * on every CI run (under ASan + UBSan in the sanitizer pass). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  long n;
  if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    if (f)
      fclose(f);
    return 1;
  }
  buf = malloc((size_t)n + 1);
  if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fclose(f);
    free(buf);
    return 1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, (size_t)n);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  int files = 0, bad = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: %s missing\n", argv[i]);
      return 1;
    }
    if (S_ISDIR(st.st_mode)) {
      DIR *d = opendir(argv[i]);
      struct dirent *e;
      while (d != NULL && (e = readdir(d)) != NULL) {
        char p[4096];
        if (e->d_name[0] == '.')
          continue;
        snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
        bad += run_file(p);
        files++;
      }
      if (d)
        closedir(d);
    } else {
      bad += run_file(argv[i]);
      files++;
    }
  }
  printf("replayed %d inputs\n", files);
  return bad != 0 || files == 0;
}
