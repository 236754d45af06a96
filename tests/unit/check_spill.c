/* check_spill.c - a worker's spill files (worker/spill.h): written whole
 * and read back exactly, gone once read or dropped, the private directory
 * removed with everything in it, and a write the disk refuses (a file
 * size limit's EFBIG, as a full disk's ENOSPC) leaving nothing behind and
 * naming the file. */
#include "spill.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char parent[256];

static void make_parent(void) {
  snprintf(parent, sizeof parent, "/tmp/check_spill-%ld-XXXXXX",
           (long)getpid());
  ck_assert_ptr_nonnull(mkdtemp(parent));
}

static size_t entries(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t n = 0;
  if (d == NULL)
    return 0;
  while ((e = readdir(d)) != NULL)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

START_TEST(test_write_take_drop) {
  dusk_spill s;
  dusk_error err = {0};
  char *big = malloc(3 << 20), *back = NULL;
  for (size_t i = 0; i < (3u << 20); i++)
    big[i] = (char)(i * 31 + 7);
  make_parent();
  dusk_spill_init(&s, parent);
  ck_assert_int_eq(entries(parent), 0); /* nothing until the first spill */
  ck_assert_int_eq(dusk_spill_write(&s, 7, big, 3 << 20, &err), 0);
  ck_assert_int_eq(dusk_spill_write(&s, 8, "", 0, &err), 0);
  ck_assert_int_eq(dusk_spill_write(&s, 9, "abc", 3, &err), 0);
  ck_assert_uint_eq(s.files, 3);
  ck_assert_uint_eq(s.bytes, (3u << 20) + 3);
  ck_assert_int_eq(entries(s.dir), 3);
  ck_assert_int_eq(dusk_spill_take(&s, 7, 3 << 20, &back, &err), 0);
  ck_assert_int_eq(memcmp(back, big, 3 << 20), 0);
  free(back);
  ck_assert_int_eq(entries(s.dir), 2); /* read means gone */
  /* a length other than the one written is refused */
  ck_assert_int_ne(dusk_spill_take(&s, 9, 4, &back, &err), 0);
  ck_assert_ptr_null(back);
  ck_assert_ptr_nonnull(strstr(err.message, "3 bytes"));
  ck_assert_int_ne(dusk_spill_take(&s, 7, 3 << 20, &back, &err), 0);
  dusk_spill_drop(&s, 8, 0);
  ck_assert_uint_eq(s.files, 1);
  dusk_spill_destroy(&s); /* 9 is still there: removed with the dir */
  ck_assert_int_eq(entries(parent), 0);
  ck_assert_int_eq(rmdir(parent), 0);
  free(big);
}
END_TEST

START_TEST(test_refused_write_leaves_nothing) {
  dusk_spill s;
  dusk_error err = {0};
  struct rlimit lim = {4096, 4096};
  char buf[65536];
  memset(buf, 'x', sizeof buf);
  make_parent();
  dusk_spill_init(&s, parent);
  signal(SIGXFSZ, SIG_IGN); /* the worker's main does the same */
  ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0); /* this fork only */
  ck_assert_int_eq(dusk_spill_write(&s, 1, buf, 1000, &err), 0);
  ck_assert_int_eq(dusk_spill_write(&s, 2, buf, sizeof buf, &err), -EFBIG);
  ck_assert_ptr_nonnull(strstr(err.message, "File too large"));
  ck_assert_ptr_nonnull(strstr(err.message, s.dir));
  ck_assert_int_eq(entries(s.dir), 1);
  ck_assert_uint_eq(s.files, 1);
  dusk_spill_destroy(&s);
  ck_assert_int_eq(rmdir(parent), 0);
}
END_TEST

START_TEST(test_unusable_parent_is_named) {
  dusk_spill s;
  dusk_error err = {0};
  dusk_spill_init(&s, "/proc/no-such-dir");
  ck_assert_int_ne(dusk_spill_write(&s, 1, "a", 1, &err), 0);
  ck_assert_ptr_nonnull(strstr(err.message, "/proc/no-such-dir"));
  ck_assert_str_eq(s.dir, "");
  dusk_spill_destroy(&s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("spill");
  TCase *tc = tcase_create("spill");
  tcase_add_test(tc, test_write_take_drop);
  tcase_add_test(tc, test_refused_write_leaves_nothing);
  tcase_add_test(tc, test_unusable_parent_is_named);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
