/* fuzz_csv.c - libFuzzer target: any bytes as a CSV file, read the way a
 * query does (header, then the data split in two ranges at a point taken
 * from the input), with the first columns as int64 / float64 / string.
 * Errors are fine; crashes, hangs, leaks and unbounded memory are not. */
#include "csvscan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *arg, dusk_batch *b) {
  (void)arg;
  (void)b;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[] = "/tmp/dusk-fuzz-csv-XXXXXX";
  int fd = mkstemp(path);
  char **names = NULL;
  size_t ncols = 0;
  uint64_t data_start = 0;
  dusk_error err;
  if (fd < 0)
    return 0;
  if (size > 0 && write(fd, data, size) != (ssize_t)size) {
    close(fd);
    unlink(path);
    return 0;
  }
  close(fd);
  if (dusk_csv_read_header(path, ',', &names, &ncols, &data_start, &err) ==
          0 &&
      ncols > 0 && ncols <= 64) {
    int map[64];
    dusk_type types[64];
    uint64_t split = size ? data_start + (data[0] * size) / 256 : 0;
    for (size_t c = 0; c < ncols; c++) {
      map[c] = (int)c;
      types[c] = c % 3 == 0   ? DUSK_TYPE_INT64
                 : c % 3 == 1 ? DUSK_TYPE_FLOAT64
                              : DUSK_TYPE_STRING;
    }
    for (int half = 0; half < 2; half++) {
      dusk_csvscan_options o;
      dusk_csvscan_stats st;
      memset(&o, 0, sizeof o);
      o.path = path;
      o.sep = ',';
      o.start = half ? split : data_start;
      o.end = half ? (uint64_t)size : split;
      o.start_state = half && size > 0 ? data[size - 1] % 5 : 0;
      o.data_start = data_start;
      o.ncols_file = ncols;
      o.col_map = map;
      o.types = types;
      o.nout = ncols;
      o.batch_rows = 7;
      o.max_field = 4096;
      (void)dusk_csvscan_run(&o, sink, NULL, &st, &err);
    }
  }
  for (size_t c = 0; c < ncols; c++)
    free(names[c]);
  free(names);
  unlink(path);
  return 0;
}
