/* regex.c - see regex.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

struct dusk_regex {
  pcre2_code *code;
  pcre2_match_data *md;
  uint32_t options; /* match options: the mode's anchoring */
};

/* Python's \Z (end of text) is PCRE2's \z; everything else is spelled
 * alike.  Escapes are skipped in pairs so "\\Z" (a backslash, then Z)
 * stays.  out holds len bytes. */
static void python_to_pcre2(const char *p, size_t len, char *out) {
  memcpy(out, p, len);
  for (size_t i = 0; i + 1 < len; i++)
    if (out[i] == '\\') {
      if (out[i + 1] == 'Z')
        out[i + 1] = 'z';
      i++;
    }
}

dusk_regex *dusk_regex_compile(const char *pattern, size_t len,
                               dusk_regex_mode mode, dusk_error *err) {
  dusk_regex *re = calloc(1, sizeof *re);
  char *pat = malloc(len ? len : 1);
  int code;
  PCRE2_SIZE at;
  uint32_t copts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  if (re == NULL || pat == NULL) {
    free(re);
    free(pat);
    dusk_error_set(err, DUSK_ENOMEM, "out of memory compiling a regex");
    return NULL;
  }
  python_to_pcre2(pattern, len, pat);
  if (mode == DUSK_RE_FULLMATCH)
    copts |= PCRE2_ENDANCHORED;
  re->options = mode == DUSK_RE_SEARCH ? 0 : PCRE2_ANCHORED;
  re->code = pcre2_compile((PCRE2_SPTR)pat, len, copts, &code, &at, NULL);
  free(pat);
  if (re->code == NULL) {
    PCRE2_UCHAR why[160];
    if (pcre2_get_error_message(code, why, sizeof why) < 0)
      strcpy((char *)why, "invalid");
    dusk_error_set(err, DUSK_EPARSE,
                   "regular expression '%.*s': %s at offset %zu",
                   (int)(len < 80 ? len : 80), pattern, (const char *)why,
                   (size_t)at);
    free(re);
    return NULL;
  }
  (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* else interpreted */
  re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
  if (re->md == NULL) {
    dusk_regex_free(re);
    dusk_error_set(err, DUSK_ENOMEM, "out of memory compiling a regex");
    return NULL;
  }
  return re;
}

void dusk_regex_free(dusk_regex *re) {
  if (re == NULL)
    return;
  pcre2_match_data_free(re->md);
  pcre2_code_free(re->code);
  free(re);
}

int dusk_regex_match(dusk_regex *re, const char *subject, size_t len) {
  static const char empty[1] = "";
  int rc = pcre2_match(re->code, (PCRE2_SPTR)(len ? subject : empty), len, 0,
                       re->options, re->md, NULL);
  return rc >= 0;
}
