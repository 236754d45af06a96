/* check_regex.c - dusk_regex: Python's re semantics through PCRE2 for
 * pandas' .str.contains / match / fullmatch. */
#include "regex.h"
#include "testutil.h"

#include <check.h>
#include <string.h>

static int matches(const char *pat, dusk_regex_mode mode, const char *s,
                   size_t n) {
  dusk_error err = {0};
  dusk_regex *re = dusk_regex_compile(pat, strlen(pat), mode, &err);
  int m;
  ck_assert_msg(re != NULL, "%s: %s", pat, err.message);
  m = dusk_regex_match(re, s, n);
  dusk_regex_free(re);
  return m;
}

#define M(pat, mode, s) matches(pat, mode, s, strlen(s))

START_TEST(test_modes_as_python) {
  /* re.search / re.match / re.fullmatch */
  ck_assert(M("b0", DUSK_RE_SEARCH, "B02 b02"));
  ck_assert(!M("b0", DUSK_RE_MATCH, "B02 b02"));
  ck_assert(M("B0", DUSK_RE_MATCH, "B02 b02"));
  ck_assert(!M("B0", DUSK_RE_FULLMATCH, "B02"));
  ck_assert(M("B0\\d", DUSK_RE_FULLMATCH, "B02"));
  /* fullmatch of an alternation: the whole value, not its first branch */
  ck_assert(M("a|ab", DUSK_RE_FULLMATCH, "ab"));
  ck_assert(!M("a|ab", DUSK_RE_FULLMATCH, "abc"));
  ck_assert(M("(?i)hv", DUSK_RE_MATCH, "HV0003"));
  ck_assert(M("", DUSK_RE_SEARCH, ""));
  ck_assert(M("^$", DUSK_RE_FULLMATCH, ""));
}
END_TEST

START_TEST(test_python_dialect) {
  /* Python's \Z is the end of text; a "\\Z" (backslash, then Z) stays. */
  ck_assert(M("b\\Z", DUSK_RE_SEARCH, "ab"));
  ck_assert(!M("b\\Z", DUSK_RE_SEARCH, "ab\n"));
  ck_assert(M("b$", DUSK_RE_SEARCH, "ab\n")); /* $ before a final \n */
  ck_assert(M("\\\\Z", DUSK_RE_SEARCH, "a\\Z"));
  /* str patterns are Unicode: \w, \d and case folding beyond ASCII */
  ck_assert(M("^\\w+$", DUSK_RE_SEARCH, "\xc3\xbcn\xc3\xaf"));
  ck_assert(M("\\d", DUSK_RE_SEARCH, "\xd9\xa3")); /* ARABIC-INDIC THREE */
  ck_assert(M("(?i)\xc3\x9c", DUSK_RE_SEARCH, "\xc3\xbc"));
  ck_assert(M("(?P<x>e)(?P=x)", DUSK_RE_SEARCH, "green"));
  ck_assert(M("(?<=t)w", DUSK_RE_SEARCH, "two"));
  ck_assert(M("e.*?e", DUSK_RE_SEARCH, "eXe"));
  /* . does not cross a newline, as in Python without DOTALL */
  ck_assert(!M("^two.lines$", DUSK_RE_SEARCH, "two\nlines"));
  /* Python's {,n} is {0,n}; in a class or escaped it is text */
  ck_assert_int_eq(M("^ab{,2}c$", DUSK_RE_SEARCH, "ac"), 1);
  ck_assert_int_eq(M("^ab{,2}c$", DUSK_RE_SEARCH, "abbc"), 1);
  ck_assert_int_eq(M("^ab{,2}c$", DUSK_RE_SEARCH, "abbbc"), 0);
  ck_assert_int_eq(M("^a[{,2}]$", DUSK_RE_SEARCH, "a,"), 1);
  ck_assert_int_eq(M("^a[]{,2}]$", DUSK_RE_SEARCH, "a]"), 1);
  ck_assert_int_eq(M("^a\\{,2}$", DUSK_RE_SEARCH, "a{,2}"), 1);
  ck_assert_int_eq(M("^a{,x}$", DUSK_RE_SEARCH, "a{,x}"), 1);
  ck_assert_int_eq(M("^a{,}$", DUSK_RE_SEARCH, "aaa"), 1);
  ck_assert_int_eq(M("^a{,}$", DUSK_RE_SEARCH, "a{,}"), 0);
  /* in a class, "[" is a character: no POSIX classes in Python */
  ck_assert_int_eq(M("^[[:alpha:]]$", DUSK_RE_SEARCH, "a"), 0);
  ck_assert_int_eq(M("^[[:alpha:]]$", DUSK_RE_SEARCH, ":]"), 1);
  /* verbose: a comment's "[" opens no class */
  ck_assert_int_eq(M("(?x)a #[\n{,2}$", DUSK_RE_FULLMATCH, "aa"), 1);
  ck_assert_int_eq(M("(?x)a #[\n{,2}$", DUSK_RE_FULLMATCH, "a{,2}"), 0);
  ck_assert_int_eq(M("(?x) a b \\Z", DUSK_RE_SEARCH, "ab\n"), 0);
}
END_TEST

START_TEST(test_bad_input) {
  dusk_error err = {0};
  static const char bad[] = {'a', (char)0xff, 'b'};
  ck_assert_ptr_null(dusk_regex_compile("a(", 2, DUSK_RE_SEARCH, &err));
  ck_assert_int_eq(err.code, DUSK_EPARSE);
  ck_assert_msg(strstr(err.message, "regular expression 'a('") &&
                    strstr(err.message, "offset 2"),
                "%s", err.message);
  /* Text that is not UTF-8 is searched where it is valid. */
  ck_assert(matches("b", DUSK_RE_SEARCH, bad, sizeof bad));
  ck_assert(!matches("x", DUSK_RE_SEARCH, bad, sizeof bad));
  /* A NUL inside a pattern or a value is a character like any other. */
  ck_assert(matches("a", DUSK_RE_SEARCH, "\0a", 2));
  /* Catastrophic backtracking stops at PCRE2's limits and says so (-1):
   * never a silent "no match", never a hang. */
  {
    char s[64];
    memset(s, 'a', 40);
    s[40] = '!';
    ck_assert_int_eq(matches("^(\\w+\\s?)*$", DUSK_RE_SEARCH, s, 41), -1);
    ck_assert_int_eq(matches("^(\\w+\\s?)*$", DUSK_RE_SEARCH, s, 40), 1);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("regex");
  TCase *tc = tcase_create("regex");
  tcase_add_test(tc, test_modes_as_python);
  tcase_add_test(tc, test_python_dialect);
  tcase_add_test(tc, test_bad_input);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
