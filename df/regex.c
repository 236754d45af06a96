/* regex.c - see regex.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The JIT's backtracking stack grows to this before a match fails with
 * PCRE2_ERROR_JIT_STACKLIMIT (which dusk_regex_match reports, never
 * reading it as "no match"). */
enum { JIT_STACK_START = 32 * 1024, JIT_STACK_MAX = 8 * 1024 * 1024 };

struct dusk_regex {
  pcre2_code *code;
  pcre2_match_data *md;
  pcre2_match_context *mctx;
  pcre2_jit_stack *stack;
};

/* Whether the pattern opens with inline flags that include x (verbose):
 * Python takes global flags only there. */
static bool leading_verbose(const char *p, size_t len) {
  size_t i = 0;
  while (i + 2 < len && p[i] == '(' && p[i + 1] == '?') {
    size_t j = i + 2;
    while (j < len && strchr("aiLmsux", p[j]) != NULL && p[j] != '\0') {
      if (p[j] == 'x')
        return true;
      j++;
    }
    if (j >= len || p[j] != ')')
      return false;
    i = j + 1;
  }
  return false;
}

/* Rewrites Python's spellings that PCRE2 reads otherwise, into out
 * (2 * len + 1 bytes; returns the new length):
 *   - \Z (end of text) is PCRE2's \z;
 *   - a quantifier {,n} or {,} is Python's {0,n} / {0,} (PCRE2 before
 *     10.43 reads "{," as literal text);
 *   - inside a class, "[" is a plain character to Python, where PCRE2
 *     would open a POSIX class ("[[:alpha:]]"): it is escaped.
 * Escapes are copied in pairs, so "\\Z" (a backslash, then Z) stays; in
 * verbose mode (a leading (?x)) a comment, from # to the end of its
 * line, is copied as it is. */
static size_t python_to_pcre2(const char *p, size_t len, char *out) {
  size_t k = 0;
  int in_class = 0;
  size_t first_member = 0;
  bool verbose = leading_verbose(p, len);
  for (size_t i = 0; i < len; i++) {
    char c = p[i];
    if (c == '\\' && i + 1 < len) {
      out[k++] = c;
      out[k++] = (!in_class && p[i + 1] == 'Z') ? 'z' : p[i + 1];
      i++;
      continue;
    }
    if (in_class) {
      /* "]" closes the class unless it is its first member */
      if (c == ']' && i != first_member)
        in_class = 0;
      else if (c == '[')
        out[k++] = '\\';
    } else if (verbose && c == '#') {
      while (i < len && p[i] != '\n')
        out[k++] = p[i++];
      if (i < len)
        out[k++] = p[i];
      continue;
    } else if (c == '[') {
      in_class = 1;
      first_member = i + 1 < len && p[i + 1] == '^' ? i + 2 : i + 1;
    } else if (c == '{' && i + 1 < len && p[i + 1] == ',') {
      size_t j = i + 2;
      while (j < len && p[j] >= '0' && p[j] <= '9')
        j++;
      if (j < len && p[j] == '}') {
        out[k++] = '{';
        out[k++] = '0';
        continue; /* the ",n}" follows as it is */
      }
    }
    out[k++] = c;
  }
  return k;
}

static dusk_regex *fail_memory(dusk_regex *re, dusk_error *err) {
  dusk_regex_free(re);
  dusk_error_set(err, DUSK_ENOMEM, "out of memory compiling a regex");
  return NULL;
}

dusk_regex *dusk_regex_compile(const char *pattern, size_t len,
                               dusk_regex_mode mode, dusk_error *err) {
  dusk_regex *re = calloc(1, sizeof *re);
  char *pat = malloc(2 * len + 1);
  int code;
  PCRE2_SIZE at;
  size_t plen;
  uint32_t copts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  if (re == NULL || pat == NULL) {
    free(pat);
    return fail_memory(re, err);
  }
  plen = python_to_pcre2(pattern, len, pat);
  /* Anchoring is a compile option, so the JIT code carries it (a match
   * time PCRE2_ANCHORED would bypass the JIT). */
  if (mode != DUSK_RE_SEARCH)
    copts |= PCRE2_ANCHORED;
  if (mode == DUSK_RE_FULLMATCH)
    copts |= PCRE2_ENDANCHORED;
  re->code = pcre2_compile((PCRE2_SPTR)pat, plen, copts, &code, &at, NULL);
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
  re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
  re->mctx = pcre2_match_context_create(NULL);
  if (re->md == NULL || re->mctx == NULL)
    return fail_memory(re, err);
  if (pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0) {
    re->stack = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
    if (re->stack == NULL)
      return fail_memory(re, err);
    pcre2_jit_stack_assign(re->mctx, NULL, re->stack);
  } /* else interpreted, under PCRE2's default match and depth limits */
  return re;
}

void dusk_regex_free(dusk_regex *re) {
  if (re == NULL)
    return;
  pcre2_jit_stack_free(re->stack);
  pcre2_match_context_free(re->mctx);
  pcre2_match_data_free(re->md);
  pcre2_code_free(re->code);
  free(re);
}

int dusk_regex_match(dusk_regex *re, const char *subject, size_t len) {
  static const char empty[1] = "";
  int rc = pcre2_match(re->code, (PCRE2_SPTR)(len ? subject : empty), len, 0,
                       0, re->md, re->mctx);
  if (rc >= 0)
    return 1;
  return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}
