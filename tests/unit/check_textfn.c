/* check_textfn.c - the text-valued .str kernels (df/textfn.c) against
 * Python's str methods: case mappings (simple, to several characters,
 * the refused capital sigma), strip of Unicode whitespace and of given
 * characters, slices with every sign of bound and step, and bytes that
 * are not UTF-8 kept as one character each. */
#include "textfn.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static char got[256];

static const char *mapped(int (*fn)(const char *, size_t, dusk_buf *),
                          const char *s) {
  dusk_buf b;
  dusk_buf_init(&b);
  ck_assert_int_eq(fn(s, strlen(s), &b), 0);
  snprintf(got, sizeof got, "%.*s", (int)b.len, b.data ? b.data : "");
  dusk_buf_destroy(&b);
  return got;
}

static const char *upper(const char *s) { return mapped(dusk_text_upper, s); }
static const char *lower(const char *s) { return mapped(dusk_text_lower, s); }

static const char *strip(const char *s, const char *chars, int sides) {
  size_t from, len;
  dusk_text_strip(s, strlen(s), chars, chars ? strlen(chars) : 0, sides,
                  &from, &len);
  snprintf(got, sizeof got, "%.*s", (int)len, s + from);
  return got;
}

static const char *slice(const char *s, const char *spec) {
  dusk_text_slice sl;
  dusk_buf b;
  ck_assert_msg(dusk_text_slice_parse(spec, strlen(spec), &sl) == 0, "%s",
                spec);
  dusk_buf_init(&b);
  ck_assert_int_eq(dusk_text_slice_apply(s, strlen(s), &sl, &b), 0);
  snprintf(got, sizeof got, "%.*s", (int)b.len, b.data ? b.data : "");
  dusk_buf_destroy(&b);
  return got;
}

START_TEST(test_case_as_python) {
  ck_assert_str_eq(upper("abc XyZ 09"), "ABC XYZ 09");
  ck_assert_str_eq(lower("abc XyZ 09"), "abc xyz 09");
  ck_assert_str_eq(upper(""), "");
  /* simple mappings beyond ASCII: Latin-1, Cyrillic, Greek, Deseret */
  ck_assert_str_eq(upper("\xc3\xbc\xd0\xbf\xce\xb1\xf0\x90\x90\xa8"),
                   "\xc3\x9c\xd0\x9f\xce\x91\xf0\x90\x90\x80");
  ck_assert_str_eq(lower("\xc3\x9c\xd0\x9f\xce\x91\xf0\x90\x90\x80"),
                   "\xc3\xbc\xd0\xbf\xce\xb1\xf0\x90\x90\xa8");
  /* to several characters: "ß".upper() == "SS", "İ".lower() == "i̇",
   * "ﬃ".upper() == "FFI" */
  ck_assert_str_eq(upper("stra\xc3\x9f" "e"), "STRASSE");
  ck_assert_str_eq(lower("\xc4\xb0"), "i\xcc\x87");
  ck_assert_str_eq(upper("\xef\xac\x83"), "FFI");
  /* titlecase digraph ǅ: upper Ǆ, lower ǆ */
  ck_assert_str_eq(upper("\xc7\x85"), "\xc7\x84");
  ck_assert_str_eq(lower("\xc7\x85"), "\xc7\x86");
  /* the capital sigma's lower case depends on its place: refused */
  {
    dusk_buf b;
    dusk_buf_init(&b);
    ck_assert_int_eq(dusk_text_lower("\xce\xa3", 2, &b), DUSK_ETYPE);
    dusk_buf_destroy(&b);
  }
  ck_assert_str_eq(upper("\xcf\x82"), "\xce\xa3"); /* ς -> Σ */
  /* bytes that are not UTF-8 stay as they are */
  ck_assert_str_eq(upper("a\xff" "b\xc3"), "A\xff" "B\xc3");
}
END_TEST

START_TEST(test_strip_as_python) {
  ck_assert_str_eq(strip("  a b \t\n", NULL, DUSK_STRIP_BOTH), "a b");
  ck_assert_str_eq(strip("  a b ", NULL, DUSK_STRIP_LEFT), "a b ");
  ck_assert_str_eq(strip("  a b ", NULL, DUSK_STRIP_RIGHT), "  a b");
  /* Unicode whitespace (NBSP, em space, ideographic space) and the
   * separators \x1c..\x1f, which Python's isspace() takes */
  ck_assert_str_eq(strip("\xc2\xa0\xe2\x80\x83x\xe3\x80\x80\x1c\x1f", NULL,
                         DUSK_STRIP_BOTH),
                   "x");
  /* zero-width space is no whitespace to Python */
  ck_assert_str_eq(strip("\xe2\x80\x8bx", NULL, DUSK_STRIP_BOTH),
                   "\xe2\x80\x8bx");
  ck_assert_str_eq(strip("xxhixyx", "xy", DUSK_STRIP_BOTH), "hi");
  ck_assert_str_eq(strip("\xc3\xbc" "a\xc3\xbc", "\xc3\xbc", DUSK_STRIP_BOTH),
                   "a");
  /* a character of to_strip is a whole character, not its bytes */
  ck_assert_str_eq(strip("\xc3\xbc", "\xc3\xa4", DUSK_STRIP_BOTH),
                   "\xc3\xbc");
  ck_assert_str_eq(strip("aaa", "a", DUSK_STRIP_BOTH), "");
  ck_assert_str_eq(strip("abc", "", DUSK_STRIP_BOTH), "abc");
  ck_assert_str_eq(strip("", NULL, DUSK_STRIP_BOTH), "");
  /* a stray byte at the end is a character of its own */
  ck_assert_str_eq(strip("a \x80", NULL, DUSK_STRIP_RIGHT), "a \x80");
}
END_TEST

START_TEST(test_slice_as_python) {
  dusk_text_slice sl;
  const char *s = "abcdef";
  ck_assert_str_eq(slice(s, "1:-1:"), "bcde");
  ck_assert_str_eq(slice(s, "::-1"), "fedcba");
  ck_assert_str_eq(slice(s, "::2"), "ace");
  ck_assert_str_eq(slice(s, "-1:0:-2"), "fdb");
  ck_assert_str_eq(slice(s, "-100:100:"), "abcdef");
  ck_assert_str_eq(slice(s, "4:2:"), "");
  ck_assert_str_eq(slice(s, "100::-1"), "fedcba");
  ck_assert_str_eq(slice(s, ":-100:-1"), "fedcba");
  ck_assert_str_eq(slice("", "::-1"), "");
  /* characters, not bytes */
  ck_assert_str_eq(slice("\xc3\xbc" "b\xe2\x82\xac", "1::"), "b\xe2\x82\xac");
  ck_assert_str_eq(slice("\xc3\xbc" "b\xe2\x82\xac", "::-1"),
                   "\xe2\x82\xac" "b\xc3\xbc");
  ck_assert_str_eq(slice("a\xff" "b", "1:2:"), "\xff");
  ck_assert_str_eq(slice(s, "-9223372036854775808:9223372036854775807:"),
                   "abcdef");
  /* steps near int64's ends: one character, no overflow */
  ck_assert_str_eq(slice(s, "1::9223372036854775807"), "b");
  ck_assert_str_eq(slice(s, "2::9223372036854775807"), "c");
  ck_assert_str_eq(slice(s, "::-9223372036854775808"), "f");
  ck_assert_str_eq(slice(s, "-2::-9223372036854775807"), "e");
  /* malformed literals and a zero step */
  ck_assert_int_eq(dusk_text_slice_parse("1:2:0", 5, &sl), -1);
  ck_assert_int_eq(dusk_text_slice_parse("1:2", 3, &sl), -1);
  ck_assert_int_eq(dusk_text_slice_parse("1:2:3:", 6, &sl), -1);
  ck_assert_int_eq(dusk_text_slice_parse("a::", 3, &sl), -1);
  ck_assert_int_eq(dusk_text_slice_parse("-::", 3, &sl), -1);
  ck_assert_int_eq(dusk_text_slice_parse("99999999999999999999::", 22, &sl),
                   -1);
  ck_assert_int_eq(dusk_text_slice_parse("::", 2, &sl), 0);
  ck_assert(!sl.has_start && !sl.has_stop && !sl.has_step);
}
END_TEST

int main(void) {
  Suite *s = suite_create("textfn");
  TCase *tc = tcase_create("textfn");
  tcase_add_test(tc, test_case_as_python);
  tcase_add_test(tc, test_strip_as_python);
  tcase_add_test(tc, test_slice_as_python);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
