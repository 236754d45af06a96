/* gen_fhv.c - writes a deterministic FHVHV-shaped CSV file (the NYC
 * for-hire-vehicle trip records dusk's north-star workload reads):
 *
 *   hvfhs_license_num,dispatching_base_num,pickup_datetime,
 *   dropoff_datetime,PULocationID,DOLocationID,SR_Flag
 *
 * ~64 bytes a row, so 21.5M rows is about 1.34 GB like one month of the real
 * data.  SR_Flag is mostly empty and sometimes 1; PULocationID is null in
 * about 1 row in 2000 after the first 100,000 rows (which is what makes
 * Dask's type inference fail on the real files).  With --quoted, some
 * dispatching_base_num values are quoted and hold a comma, a doubled quote
 * or a newline, to exercise RFC 4180 handling across partitions.
 *
 *   dusk-gen-fhv OUT.csv ROWS [--seed N] [--quoted] [--month M]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static uint64_t next(void) { /* xorshift64* */
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 2685821657736338717ull;
}

static unsigned below(unsigned n) { return (unsigned)(next() % n); }

int main(int argc, char **argv) {
  static const char *const licenses[] = {"HV0002", "HV0003", "HV0004",
                                         "HV0005"};
  static const char *const bases[] = {"B02764", "B02765", "B02870",
                                      "B02872", "B02875", "B03136",
                                      "B02510", "B02800"};
  const char *out_path;
  long long rows;
  int quoted = 0, month = 2;
  uint64_t seed = 42;
  FILE *f;
  char *buf;
  if (argc < 3) {
    fprintf(stderr, "usage: dusk-gen-fhv OUT.csv ROWS [--seed N] [--quoted] "
                    "[--month M]\n");
    return 2;
  }
  out_path = argv[1];
  rows = atoll(argv[2]);
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
      seed = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--quoted") == 0)
      quoted = 1;
    else if (strcmp(argv[i], "--month") == 0 && i + 1 < argc)
      month = atoi(argv[++i]);
    else {
      fprintf(stderr, "dusk-gen-fhv: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (rows < 0 || month < 1 || month > 12) {
    fprintf(stderr, "dusk-gen-fhv: bad rows or month\n");
    return 2;
  }
  state = seed * 0x9E3779B97F4A7C15ull + 1;
  f = fopen(out_path, "w");
  if (f == NULL) {
    perror(out_path);
    return 1;
  }
  buf = malloc(1 << 20);
  if (buf != NULL)
    setvbuf(f, buf, _IOFBF, 1 << 20);
  fputs("hvfhs_license_num,dispatching_base_num,pickup_datetime,"
        "dropoff_datetime,PULocationID,DOLocationID,SR_Flag\n",
        f);
  for (long long r = 0; r < rows; r++) {
    /* Days 1..27 start trips, so one crossing midnight ends by the 28th:
     * every date exists in every month. */
    unsigned day = 1 + (unsigned)(r * 27 / (rows ? rows : 1));
    unsigned secs = below(86400), dur = 120 + below(3600);
    unsigned end = secs + dur;
    unsigned eday = day + end / 86400;
    unsigned pu = 1 + below(265), du = 1 + below(265);
    const char *base = bases[below(8)];
    fputs(licenses[below(4)], f);
    fputc(',', f);
    if (quoted && below(50) == 0) {
      switch (below(3)) {
      case 0: fprintf(f, "\"%s, x\"", base); break;
      case 1: fprintf(f, "\"%s \"\"q\"\"\"", base); break;
      default: fprintf(f, "\"%s\nline\"", base);
      }
    } else {
      fputs(base, f);
    }
    end %= 86400;
    fprintf(f, ",2021-%02d-%02u %02u:%02u:%02u,2021-%02d-%02u %02u:%02u:%02u,",
            month, day, secs / 3600, secs / 60 % 60, secs % 60, month, eday,
            end / 3600, end / 60 % 60, end % 60);
    if (!(r >= 100000 && below(2000) == 0))
      fprintf(f, "%u", pu);
    fprintf(f, ",%u,%s\n", du, below(10) == 0 ? "1" : "");
  }
  if (fclose(f) != 0) {
    perror(out_path);
    return 1;
  }
  free(buf);
  return 0;
}
