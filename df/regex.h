/* regex.h - pandas' regular expressions (.str.contains / match /
 * fullmatch, which run Python's re) over UTF-8 text, with PCRE2.
 *
 * Why PCRE2 (Debian's libpcre2-8): its syntax is the Perl family Python's
 * re belongs to - classes, \d \w \s (Unicode-aware with UCP, as Python's
 * str patterns are), lazy and possessive quantifiers, look-arounds, named
 * groups written (?P<name>...), inline flags - and its JIT makes a
 * per-value match cheap.  POSIX regcomp speaks another dialect (no \d,
 * no lazy quantifiers) and is far slower.  The one spelling that differs,
 * Python's \Z (end of text), {,n} (at most n) and "[" inside a class
 * (a character, where PCRE2 would open a POSIX class), are rewritten.
 *
 * A compiled regex holds its match data: one per evaluating thread (a
 * worker's scan is single-threaded). */
#ifndef DUSK_REGEX_H
#define DUSK_REGEX_H

#include "errors.h"

#include <stddef.h>

typedef struct dusk_regex dusk_regex;

typedef enum dusk_regex_mode {
  DUSK_RE_SEARCH,   /* re.search: anywhere (str.contains) */
  DUSK_RE_MATCH,    /* re.match: at the start (str.match) */
  DUSK_RE_FULLMATCH /* re.fullmatch: the whole value (str.fullmatch) */
} dusk_regex_mode;

/* Compiles pattern (len bytes, UTF-8).  NULL with err naming the pattern,
 * the offset and PCRE2's reason when it is not a valid expression (or
 * out of memory). */
dusk_regex *dusk_regex_compile(const char *pattern, size_t len,
                               dusk_regex_mode mode, dusk_error *err);
void dusk_regex_free(dusk_regex *re);

/* 1 when subject (len bytes) matches, 0 when not; text that is not valid
 * UTF-8 matches where its valid parts do (PCRE2_MATCH_INVALID_UTF).  -1
 * when PCRE2 gave up (its backtracking or JIT stack limit, on a
 * catastrophically backtracking pattern): the caller refuses the value,
 * as an answer of "no match" would be silently wrong. */
int dusk_regex_match(dusk_regex *re, const char *subject, size_t len);

#endif
