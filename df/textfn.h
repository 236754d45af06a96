/* textfn.h - pandas' string-valued .str methods over UTF-8 values, with
 * Python's str semantics: lower(), upper(), strip() / lstrip() / rstrip()
 * (Unicode whitespace, or the given characters), slice(start, stop, step)
 * over characters.
 *
 * Case mapping: each character maps as Python's str.upper/lower do.  The
 * simple (one character) mappings are glibc's towupper/towlower in the
 * C.UTF-8 locale, which equal CPython 3.11's for all of Unicode 14; the
 * mappings to several characters ("ß".upper() == "SS") come from
 * textcase_table.h, generated from Python.  The one context-dependent
 * rule, Greek capital sigma's final form in lower(), is refused rather
 * than guessed.
 *
 * A byte that does not start a valid UTF-8 sequence counts as one
 * character and is kept as it is (what .str.len() counts, too). */
#ifndef DUSK_TEXTFN_H
#define DUSK_TEXTFN_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Appends s (n bytes) upper- or lower-cased to out.  0, DUSK_ENOMEM, or
 * DUSK_ETYPE when lower() meets a capital sigma (see above) or the
 * locale tables are missing for a non-ASCII character. */
int dusk_text_upper(const char *s, size_t n, dusk_buf *out);
int dusk_text_lower(const char *s, size_t n, dusk_buf *out);

/* Which ends strip() takes from. */
enum { DUSK_STRIP_LEFT = 1, DUSK_STRIP_RIGHT = 2, DUSK_STRIP_BOTH = 3 };

/* The part of s (n bytes) that strip() keeps: whitespace as Python's
 * str.isspace() (chars NULL), else the characters of chars (nchars
 * bytes, UTF-8), taken from the ends `sides` says.  A sub-slice of s. */
void dusk_text_strip(const char *s, size_t n, const char *chars,
                     size_t nchars, int sides, size_t *from, size_t *len);

/* A Python slice [start:stop:step]: a bound that is absent is `none`. */
typedef struct dusk_text_slice {
  int64_t start, stop, step;
  bool has_start, has_stop, has_step;
} dusk_text_slice;

/* Parses the slice literal of a .str.slice call ("start:stop:step", each
 * part an optional int, e.g. "1:", ":-2", "::2").  0, or -1 when it is
 * malformed or its step is 0 (Python raises "slice step cannot be zero"). */
int dusk_text_slice_parse(const char *text, size_t len, dusk_text_slice *sl);

/* Appends s[start:stop:step] (characters) to out.  0 or DUSK_ENOMEM. */
int dusk_text_slice_apply(const char *s, size_t n, const dusk_text_slice *sl,
                          dusk_buf *out);

#endif
