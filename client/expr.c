/* expr.c - the query language of the dusk CLI.
 *
 * One lexer serves two recursive-descent parsers: the outer language (a
 * pandas / dask call chain that builds a plan) and pandas' query-string
 * language (the argument of .query(), which builds an expression).
 *
 * Outer language:
 *   top      := frame | "len" "(" frame ")"
 *   frame    := source postfix*
 *   source   := ("pd." | "dd.")? "read_csv" "(" paths ("," kwarg)* ","? ")"
 *             | ("pd." | "dd.")? "concat" "(" "[" frame ("," frame)* "]"
 *                   ("," "ignore_index" "=" bool)* ")"
 *             | "(" frame ")"
 *   paths    := string | "[" string ("," string)* "]"
 *   kwarg    := "blocksize" "=" (int | size string)   "16MB", "64MiB", "1.5 GB"
 *             | "usecols" "=" "[" string, ... "]"
 *             | "dtype" "=" "{" string ":" (string | name), ... "}"
 *             | "sep" "=" one-character string
 *             | "parse_dates" "=" "[" string, ... "]"   datetime64[ns] columns
 *             | "anon" "=" bool       S3 without credentials (public buckets)
 *   postfix  := ".fillna(" (scalar | "{" string ":" scalar, ... "}") ")"
 *             | ".query(" string ")"
 *             | ".assign(" name "=" string ("," name "=" string)* ")"
 *             | ".eval(" string ")"          "name = expression"
 *             | "[[" string, ... "]]"
 *             | "[" string "]" ".value_counts()"                 terminal
 *             | ("[" string "]")? "." reduction "()"              terminal
 *   reduction := count | sum | mean | min | max | std | var | nunique
 *             | median | quantile "(" (number | "[" number, ... "]")? ")"
 *                   exact quantiles (q in [0, 1], default 0.5)
 *             | ".groupby(" (string | "[" string, ... "]") ")" selection?
 *                   ("." aggname "()" | ".agg(" (string | dict) ")")  terminal
 *             | ".head(" int? ")" | ".describe()" | ".to_csv(" string ")"
 *                                                                 terminal
 *             | ".compute()"                     accepted and ignored
 *             | ".merge(" frame ("," mergearg)* ")"
 *   mergearg := ("on" | "left_on" | "right_on") "=" (string | "[" string,
 *                   ... "]") | "how" "=" string | "broadcast" "=" ("True" |
 *                   "False" | "None") | "suffixes" "=" ("(" |
 *                   "[") string "," string (")" | "]")
 *   post     := ".sort_values(" (string | "[" string, ... "]")?
 *                   ("," "ascending" "=" (bool | "[" bool, ... "]"))? ")"
 *             | ".head(" int? ")" | ".tail(" int? ")"
 *             | (".nlargest(" | ".nsmallest(") int ("," string | list)? ")"
 *   After groupby, value_counts or head, post steps may follow (they run
 *   on the computed result).
 *   selection := "[" string "]" | "[[" string, ... "]]"
 *   scalar   := ["-"] int | ["-"] float | string | True | False
 * After a terminal (and after len(...)) only .compute() may follow, and a
 * terminal may not appear inside concat([...]) or len(...): the plan is a
 * chain of row-wise steps with at most one terminal at its root.
 * Lists, dicts and argument lists accept a trailing comma, like Python.
 *
 * Query strings (pandas DataFrame.query):
 *   or    := and (("or" | "|") and)*
 *   and   := not (("and" | "&") not)*
 *   not   := ("not" | "~") not | cmp
 *   cmp   := arith (cmpop arith)?            a < b < c is refused
 *          | arith ("in" | "not" "in") "[" arith, ... "]"   (or "(...)")
 *   arith := term (("+" | "-") term)*
 *   term  := unary (("*" | "/" | "//" | "%") unary)*
 *   unary := "-" unary | power               -200 folds into a literal
 *   power := primary ("**" unary)?           -2 ** 2 is -4, as in Python
 *   primary := number | string | True | False | identifier | `any name`
 *            | "abs(" or ")" | primary ".dt." field ("()")?
 *            | "(" or ")" | primary "." ("isnull" | "notnull" | "isna" |
 *                                        "notna") "()"
 * As in pandas, & and | have the precedence of and and or.  A chain of ors
 * (or ands) becomes a balanced tree, so `x == 1 or x == 2 or ...` with
 * hundreds of terms stays within the depth limit of the plan codec.
 *
 * Strings take '...' or "..." with the escapes \" \' \\ \n \t \r; any other
 * backslash is kept as written (Python does the same).  Numbers are Python
 * decimal literals without underscores.
 *
 * Every error names what was expected and points a caret at the outer
 * text, through an offset map when the error lies inside a query string. */
#include "expr.h"
#include "textfn.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define MAX_DEPTH DUSK_EXPR_MAX_DEPTH
#define DEPTH_MSG "too deeply nested (more than %d levels)"
/* Bytes of a name quoted in a message, before "..." cuts it. */
#define CLIP_MAX 40
/* Bytes of the first line of a message, so the text line keeps room. */
#define HEAD_MAX 200
/* blocksize bounds: a partition of a byte up to one of a TiB. */
#define BLOCKSIZE_MAX ((int64_t)1 << 40)

/* ---- tokens -------------------------------------------------------------- */

typedef enum tok_kind {
  T_EOF,
  T_IDENT,
  T_INT,
  T_FLOAT,
  T_STRING,
  T_BACKTICK,
  T_LPAREN,
  T_RPAREN,
  T_LBRACKET,
  T_RBRACKET,
  T_LBRACE,
  T_RBRACE,
  T_COMMA,
  T_COLON,
  T_DOT,
  T_ASSIGN,
  T_EQ,
  T_NE,
  T_LT,
  T_LE,
  T_GT,
  T_GE,
  T_PLUS,
  T_MINUS,
  T_STAR,
  T_SLASH,
  T_PERCENT,
  T_DSLASH, /* // */
  T_DSTAR,  /* ** */
  T_AMP,
  T_PIPE,
  T_TILDE
} tok_kind;

typedef struct token {
  tok_kind kind;
  size_t start, end; /* byte offsets into the parser's src */
  uint64_t u;        /* T_INT: the magnitude (a sign is a separate token) */
  double f;          /* T_FLOAT */
} token;

/* One parse over src.  The outer parser reads the user's text; a query
 * string gets its own parser over the decoded string, whose map gives the
 * outer offset of each decoded byte (len + 1 entries: the last one is the
 * closing quote), so errors point into the text the user typed. */
typedef struct parser {
  const char *src;
  size_t len;
  const size_t *map; /* NULL: src is the outer text */
  const char *outer;
  size_t outer_len;
  bool query;      /* parsing a query string */
  size_t pos;      /* lexer position in src */
  size_t prev_end; /* end of the token consumed last */
  token tok;       /* the lookahead */
  int depth;       /* current nesting */
  dusk_error *err;
} parser;

/* ---- characters and error messages --------------------------------------- */

static bool is_space(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static bool is_cont(char c) { return ((unsigned char)c & 0xc0) == 0x80; }

/* The byte at i, or -1 past the end. */
static int at(const parser *p, size_t i) {
  return i < p->len ? (unsigned char)p->src[i] : -1;
}

/* The length of the valid UTF-8 sequence starting s[0..n), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  size_t len;
  uint32_t cp;
  if (n == 0)
    return 0;
  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) {
    len = 2;
    cp = s[0] & 0x1f;
  } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
    len = 3;
    cp = s[0] & 0x0f;
  } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
    len = 4;
    cp = s[0] & 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

/* A bounded string builder: always NUL-terminated, drops what does not
 * fit. */
typedef struct outbuf {
  char *p;
  size_t cap; /* including the NUL */
  size_t len;
} outbuf;

static void ob_bytes(outbuf *o, const char *s, size_t n) {
  if (o->len + n >= o->cap)
    n = o->cap - 1 - o->len;
  memcpy(o->p + o->len, s, n);
  o->len += n;
  o->p[o->len] = '\0';
}

static void ob_char(outbuf *o, char c) { ob_bytes(o, &c, 1); }

/* Appends s[0..n) for a person to read, one column per character: valid
 * UTF-8 as it is, a tab as a space, other control bytes and invalid
 * sequences as '?'.  Stops at a whole character when o is full.  Returns
 * the columns written. */
static size_t ob_clean(outbuf *o, const char *s, size_t n) {
  size_t cols = 0, i = 0;
  while (i < n) {
    const unsigned char *u = (const unsigned char *)s + i;
    size_t k = utf8_len(u, n - i);
    if (o->len + (k ? k : 1) >= o->cap)
      break;
    if (k == 0) {
      ob_char(o, '?');
      k = 1;
    } else if (k == 1 && (u[0] < 0x20 || u[0] == 0x7f)) {
      ob_char(o, u[0] == '\t' ? ' ' : '?');
    } else {
      ob_bytes(o, (const char *)u, k);
    }
    i += k;
    cols++;
  }
  return cols;
}

/* A short printable form of s[0..n) for quoting in a message: at most
 * CLIP_MAX bytes of it, then "...".  out needs CLIP_MAX + 4 bytes. */
#define CLIP_BUF (CLIP_MAX + 8)
static void clip(char *out, const char *s, size_t n) {
  outbuf o = {out, CLIP_BUF, 0};
  size_t keep = n;
  out[0] = '\0';
  if (n > CLIP_MAX) {
    keep = CLIP_MAX;
    for (int k = 0; k < 3 && keep > 0 && is_cont(s[keep]); k++)
      keep--;
  }
  ob_clean(&o, s, keep);
  if (keep < n)
    ob_bytes(&o, "...", 3);
}

/* Writes the three-line message: what, the line of text holding off
 * (clipped around it so everything fits), and a caret under off. */
static void render(dusk_error *err, const char *what, const char *text,
                   size_t len, size_t off) {
  outbuf o;
  size_t ls, le, line = 1, start, end, room, cols;
  bool multi, lead = false, trail = false;
  char suffix[40];

  if (err == NULL)
    return;
  err->code = DUSK_EPARSE;
  if (off > len)
    off = len;
  for (size_t i = 0; i < off; i++)
    if (text[i] == '\n')
      line++;
  for (ls = off; ls > 0 && text[ls - 1] != '\n'; ls--)
    ;
  for (le = off; le < len && text[le] != '\n'; le++)
    ;
  multi = ls > 0;
  for (size_t i = le; i < len && !multi; i++)
    if (!is_space((unsigned char)text[i]))
      multi = true;

  o.p = err->message;
  o.cap = HEAD_MAX + 1;
  o.len = 0;
  o.p[0] = '\0';
  ob_clean(&o, what, strlen(what));
  o.cap = DUSK_ERROR_MESSAGE_MAX;
  if (multi) {
    snprintf(suffix, sizeof suffix, " (line %zu)", line);
    ob_bytes(&o, suffix, strlen(suffix));
  }
  ob_char(&o, '\n');

  /* The text line and the caret line must fit in what is left.  A column
   * is never wider than its bytes, so counting bytes is safe. */
  room = DUSK_ERROR_MESSAGE_MAX - 1 - o.len;
  start = ls;
  end = le;
  if ((le - ls) * 2 + 2 > room) {
    size_t before = room / 4, used, after;
    if (off - ls > before) {
      start = off - before;
      while (start < off && is_cont(text[start]))
        start++;
      lead = true;
    }
    used = (lead ? 3 : 0) + (off - start);
    after = room - 2 - 2 * used - 3;
    if (le - off > after) {
      end = off + after;
      while (end > off && is_cont(text[end]))
        end--;
      trail = true;
    }
  }
  if (lead)
    ob_bytes(&o, "...", 3);
  cols = (lead ? 3 : 0) + ob_clean(&o, text + start, off - start);
  ob_clean(&o, text + off, end - off);
  if (trail)
    ob_bytes(&o, "...", 3);
  ob_char(&o, '\n');
  for (size_t i = 0; i < cols; i++)
    ob_char(&o, ' ');
  ob_char(&o, '^');
}

/* Reports a parse error at src offset `where`.  Returns DUSK_EPARSE. */
static int vfail(parser *p, size_t where, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static int vfail(parser *p, size_t where, const char *fmt, va_list ap) {
  char what[HEAD_MAX + 64];
  vsnprintf(what, sizeof what, fmt, ap);
  if (where > p->len)
    where = p->len;
  render(p->err, what, p->outer, p->outer_len, p->map ? p->map[where] : where);
  return DUSK_EPARSE;
}

static int fail(parser *p, size_t where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(parser *p, size_t where, const char *fmt, ...) {
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = vfail(p, where, fmt, ap);
  va_end(ap);
  return rc;
}

static int nomem(parser *p) {
  return dusk_error_set(p->err, DUSK_ENOMEM,
                        "out of memory while parsing the query");
}

/* Where an "expected ..." error points: at the lookahead, or just after
 * the last token when the text ended. */
static size_t here(const parser *p) {
  return p->tok.kind == T_EOF ? p->prev_end : p->tok.start;
}

static void tok_clip(const parser *p, const token *t, char *out) {
  clip(out, p->src + t->start, t->end - t->start);
}

/* Names the lookahead for "unexpected ..." messages. */
static void tok_desc(const parser *p, char *out, size_t cap) {
  char name[CLIP_BUF];
  const token *t = &p->tok;
  tok_clip(p, t, name);
  switch (t->kind) {
  case T_EOF:
    snprintf(out, cap, "%s",
             p->query ? "the end of the query string" : "the end of the query");
    break;
  case T_STRING:
    snprintf(out, cap, "string %s", name);
    break;
  case T_INT:
  case T_FLOAT:
    snprintf(out, cap, "number %s", name);
    break;
  case T_IDENT:
    snprintf(out, cap, "name '%s'", name);
    break;
  default:
    snprintf(out, cap, "'%s'", name);
    break;
  }
}

static int out_of_range(parser *p, size_t from, size_t to) {
  char text[CLIP_BUF];
  clip(text, p->src + from, to - from);
  return fail(p, from, "integer '%s' is out of range", text);
}

/* ---- lexer --------------------------------------------------------------- */

static int lex_number(parser *p) {
  token *t = &p->tok;
  size_t s = p->pos, i = s;
  bool isf = false;

  while (is_digit(at(p, i)))
    i++;
  if (at(p, i) == '.') {
    isf = true;
    i++;
    while (is_digit(at(p, i)))
      i++;
  }
  if ((at(p, i) == 'e' || at(p, i) == 'E') &&
      (is_digit(at(p, i + 1)) ||
       ((at(p, i + 1) == '+' || at(p, i + 1) == '-') &&
        is_digit(at(p, i + 2))))) {
    isf = true;
    i += 2;
    while (is_digit(at(p, i)))
      i++;
  }
  if (is_alnum(at(p, i)) || at(p, i) == '.') {
    char text[CLIP_BUF];
    size_t e = i;
    while (is_alnum(at(p, e)) || at(p, e) == '.')
      e++;
    clip(text, p->src + s, e - s);
    return fail(p, s, "bad number '%s'", text);
  }
  t->start = s;
  t->end = p->pos = i;
  if (isf) {
    char small[64], *buf = small;
    if (i - s >= sizeof small && (buf = malloc(i - s + 1)) == NULL)
      return nomem(p);
    memcpy(buf, p->src + s, i - s);
    buf[i - s] = '\0';
    t->kind = T_FLOAT;
    t->f = strtod(buf, NULL);
    if (buf != small)
      free(buf);
  } else {
    uint64_t u = 0;
    for (size_t k = s; k < i; k++) {
      unsigned d = (unsigned)(p->src[k] - '0');
      if (u > (UINT64_MAX - d) / 10)
        return out_of_range(p, s, i);
      u = u * 10 + d;
    }
    t->kind = T_INT;
    t->u = u;
  }
  return 0;
}

/* Finds the end of a quoted string; decoding waits for take_string. */
static int lex_string(parser *p) {
  size_t s = p->pos, i = s + 1;
  char q = p->src[s];
  for (;;) {
    if (i >= p->len || p->src[i] == '\n')
      return fail(p, s, "unterminated string");
    if (p->src[i] == '\\') {
      if (i + 1 >= p->len || p->src[i + 1] == '\n')
        return fail(p, s, "unterminated string");
      i += 2;
      continue;
    }
    if (p->src[i] == q)
      break;
    i++;
  }
  if (i - s - 1 > DUSK_EXPR_MAX_NAME)
    return fail(p, s, "string longer than %d bytes", DUSK_EXPR_MAX_NAME);
  p->tok.kind = T_STRING;
  p->tok.start = s;
  p->tok.end = p->pos = i + 1;
  return 0;
}

static int lex_backtick(parser *p) {
  size_t s = p->pos, i = s + 1;
  while (i < p->len && p->src[i] != '`' && p->src[i] != '\n')
    i++;
  if (i >= p->len || p->src[i] != '`')
    return fail(p, s, "unterminated backtick name");
  if (i == s + 1)
    return fail(p, s, "empty backtick name");
  if (i - s - 1 > DUSK_EXPR_MAX_NAME)
    return fail(p, s, "name longer than %d bytes", DUSK_EXPR_MAX_NAME);
  p->tok.kind = T_BACKTICK;
  p->tok.start = s;
  p->tok.end = p->pos = i + 1;
  return 0;
}

/* Consumes the lookahead and reads the next token into p->tok. */
static int lex(parser *p) {
  static const struct {
    char text[3];
    tok_kind kind;
  } ops[] = {
      {"//", T_DSLASH}, {"**", T_DSTAR},
      {"==", T_EQ},     {"!=", T_NE},    {"<=", T_LE},      {">=", T_GE},
      {"(", T_LPAREN},  {")", T_RPAREN}, {"[", T_LBRACKET}, {"]", T_RBRACKET},
      {"{", T_LBRACE},  {"}", T_RBRACE}, {",", T_COMMA},    {":", T_COLON},
      {".", T_DOT},     {"=", T_ASSIGN}, {"<", T_LT},       {">", T_GT},
      {"+", T_PLUS},    {"-", T_MINUS},  {"*", T_STAR},     {"/", T_SLASH},
      {"%", T_PERCENT}, {"&", T_AMP},    {"|", T_PIPE},     {"~", T_TILDE},
  };
  token *t = &p->tok;
  int c;

  p->prev_end = t->end;
  while (p->pos < p->len && is_space((unsigned char)p->src[p->pos]))
    p->pos++;
  memset(t, 0, sizeof *t);
  t->start = t->end = p->pos;
  if (p->pos >= p->len) {
    t->kind = T_EOF;
    return 0;
  }
  c = (unsigned char)p->src[p->pos];
  if (is_alpha(c)) {
    size_t i = p->pos;
    while (is_alnum(at(p, i)))
      i++;
    if (i - p->pos > DUSK_EXPR_MAX_NAME)
      return fail(p, p->pos, "name longer than %d bytes", DUSK_EXPR_MAX_NAME);
    t->kind = T_IDENT;
    t->end = p->pos = i;
    return 0;
  }
  if (is_digit(c) || (c == '.' && is_digit(at(p, p->pos + 1))))
    return lex_number(p);
  if (c == '"' || c == '\'')
    return lex_string(p);
  if (c == '`')
    return lex_backtick(p);
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    size_t n = strlen(ops[k].text);
    if (p->pos + n <= p->len && memcmp(p->src + p->pos, ops[k].text, n) == 0) {
      t->kind = ops[k].kind;
      t->end = p->pos = p->pos + n;
      return 0;
    }
  }
  {
    char text[CLIP_BUF];
    size_t n =
        utf8_len((const unsigned char *)p->src + p->pos, p->len - p->pos);
    clip(text, p->src + p->pos, n ? n : 1);
    return fail(p, p->pos, "unexpected character '%s'", text);
  }
}

/* Decodes the string token t into a NUL-terminated heap copy.  With map,
 * also (*map)[i] = the src offset of decoded byte i, and (*map)[len] = the
 * closing quote.  0 or DUSK_ENOMEM. */
static int take_string(parser *p, const token *t, char **out, size_t *outlen,
                       size_t **map) {
  size_t n = t->end - t->start - 2, k = 0, i = t->start + 1, stop = t->end - 1;
  char *s = malloc(n + 1);
  size_t *m = map ? malloc((n + 1) * sizeof *m) : NULL;

  if (s == NULL || (map && m == NULL)) {
    free(s);
    free(m);
    return nomem(p);
  }
  while (i < stop) {
    char c = p->src[i], d = 0;
    if (c == '\\') {
      switch (p->src[i + 1]) {
      case 'n':
        d = '\n';
        break;
      case 't':
        d = '\t';
        break;
      case 'r':
        d = '\r';
        break;
      case '\\':
      case '\'':
      case '"':
        d = p->src[i + 1];
        break;
      default:
        break; /* kept as written: the backslash, then the character */
      }
    }
    if (m)
      m[k] = i;
    if (d != 0) {
      s[k++] = d;
      i += 2;
    } else {
      s[k++] = c;
      i++;
    }
  }
  if (m)
    m[k] = stop;
  s[k] = '\0';
  *out = s;
  if (outlen)
    *outlen = k;
  if (map)
    *map = m;
  return 0;
}

/* ---- small helpers for the parsers --------------------------------------- */

static bool token_is(const parser *p, const token *t, const char *w) {
  size_t n = strlen(w);
  return t->kind == T_IDENT && t->end - t->start == n &&
         memcmp(p->src + t->start, w, n) == 0;
}

/* Whether the lookahead is the identifier w. */
static bool is_word(const parser *p, const char *w) {
  return token_is(p, &p->tok, w);
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

/* Edit distance between a[0..la) and b (insert, delete, substitute, swap
 * two neighbours), ignoring case; names are short, longer ones never
 * match. */
#define SUGGEST_MAX 64
static size_t distance(const char *a, size_t la, const char *b) {
  size_t lb = strlen(b), d[3][SUGGEST_MAX + 1];
  if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
    return SIZE_MAX;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t *cur = d[i % 3], *prev = d[(i - 1) % 3], *prev2 = d[(i + 1) % 3];
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t cost =
          lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
      size_t v = prev[j - 1] + cost;
      if (prev[j] + 1 < v)
        v = prev[j] + 1;
      if (cur[j - 1] + 1 < v)
        v = cur[j - 1] + 1;
      if (i > 1 && j > 1 &&
          lower((unsigned char)a[i - 1]) == lower((unsigned char)b[j - 2]) &&
          lower((unsigned char)a[i - 2]) == lower((unsigned char)b[j - 1]) &&
          prev2[j - 2] + 1 < v)
        v = prev2[j - 2] + 1;
      cur[j] = v;
    }
  }
  return d[la % 3][lb];
}

/* The candidate closest to s[0..n), or NULL when none is within a third of
 * its length (at least 1): "gropby" finds "groupby", "df" finds nothing. */
static const char *closest(const char *s, size_t n, const char *const *cands,
                           size_t ncands) {
  size_t best = SIZE_MAX, limit = n / 3 > 1 ? n / 3 : 1;
  const char *near = NULL;
  for (size_t i = 0; i < ncands; i++) {
    size_t d = distance(s, n, cands[i]);
    if (d < best) {
      best = d;
      near = cands[i];
    }
  }
  return best <= limit ? near : NULL;
}

/* Fails with "<what> '<name>'; did you mean '<near>'?" or, when nothing is
 * close, "<what> '<name>'; <otherwise>". */
static int fail_unknown(parser *p, const token *t, const char *what,
                        const char *const *cands, size_t n,
                        const char *otherwise) {
  char name[CLIP_BUF];
  const char *near = closest(p->src + t->start, t->end - t->start, cands, n);
  tok_clip(p, t, name);
  if (near)
    return fail(p, t->start, "%s '%s'; did you mean '%s'?", what, name, near);
  return fail(p, t->start, "%s '%s'; %s", what, name, otherwise);
}

/* Consumes the lookahead if it is `kind`, else fails with the message. */
static int expect(parser *p, tok_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int expect(parser *p, tok_kind kind, const char *fmt, ...) {
  va_list ap;
  int rc;
  if (p->tok.kind == kind)
    return lex(p);
  va_start(ap, fmt);
  rc = vfail(p, here(p), fmt, ap);
  va_end(ap);
  return rc;
}

/* At a method name: consumes "name ( )". */
static int parse_noargs(parser *p, const char *name) {
  int rc = lex(p);
  if (rc == 0)
    rc = expect(p, T_LPAREN, "expected '(' after %s", name);
  if (rc == 0)
    rc = expect(p, T_RPAREN, "%s() takes no arguments", name);
  return rc;
}

/* At "describe": describe(), refusing pandas' keyword arguments with
 * what the CLI offers instead. */
static int parse_describe_args(parser *p) {
  int rc = lex(p);
  if (rc == 0)
    rc = expect(p, T_LPAREN, "expected '(' after %s", "describe");
  if (rc == 0 && p->tok.kind == T_IDENT)
    return fail(p, here(p),
                "describe(include=, exclude=, percentiles=) is Python's "
                "(dusk.dataframe); here describe() gives the number "
                "columns, df[\"col\"].describe() a text column's count, "
                "unique, top, freq");
  if (rc == 0)
    rc = expect(p, T_RPAREN, "%s() takes no arguments", "describe");
  return rc;
}

typedef struct strlist {
  char **v;
  size_t *at; /* src offset of each entry's token */
  size_t n, cap;
} strlist;

static void strlist_free(strlist *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  free(l->at);
  memset(l, 0, sizeof *l);
}

/* Appends s (taking ownership of it, freed on failure). */
static int strlist_push(parser *p, strlist *l, char *s, size_t where) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 4;
    char **v = realloc(l->v, cap * sizeof *v);
    size_t *a;
    if (v != NULL)
      l->v = v;
    a = v ? realloc(l->at, cap * sizeof *a) : NULL;
    if (a == NULL) {
      free(s);
      return nomem(p);
    }
    l->at = a;
    l->cap = cap;
  }
  l->v[l->n] = s;
  l->at[l->n++] = where;
  return 0;
}

static bool strlist_has(const strlist *l, const char *s) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], s) == 0)
      return true;
  return false;
}

/* Takes the string lookahead into l and consumes it. */
static int push_string(parser *p, strlist *l) {
  char *s = NULL;
  size_t where = p->tok.start;
  int rc = take_string(p, &p->tok, &s, NULL, NULL);
  if (rc == 0)
    rc = strlist_push(p, l, s, where);
  if (rc == 0)
    rc = lex(p);
  return rc;
}

/* At '[': a list of strings into l, up to and including ']'.  `what` names
 * an entry ("a path"), `plural` the list ("paths"). */
static int parse_strlist(parser *p, strlist *l, const char *what,
                         const char *plural) {
  int rc = lex(p);
  while (rc == 0 && p->tok.kind != T_RBRACKET) {
    if (p->tok.kind != T_STRING)
      return fail(p, here(p), "expected %s string", what);
    if ((rc = push_string(p, l)) != 0)
      return rc;
    if (p->tok.kind == T_COMMA)
      rc = lex(p);
    else if (p->tok.kind != T_RBRACKET)
      return fail(p, here(p), "expected ',' or ']' in the list of %s", plural);
  }
  return rc ? rc : lex(p);
}

/* Fails unless the list got at least one entry. */
static int need_one(parser *p, size_t n, size_t where, const char *owner,
                    const char *entry) {
  if (n == 0)
    return fail(p, where, "%s needs at least one %s", owner, entry);
  return 0;
}

/* At '{': "{ string : value, ... }" with keys collected into keys (no
 * duplicates) and each value parsed by fn, which consumes it. */
typedef int (*dict_value_fn)(parser *p, void *state, const char *key);
static int parse_dict(parser *p, const char *owner, strlist *keys,
                      dict_value_fn fn, void *state) {
  size_t open = p->tok.start;
  int rc = lex(p);
  while (rc == 0 && p->tok.kind != T_RBRACE) {
    char *key;
    size_t where = p->tok.start;
    if (p->tok.kind != T_STRING)
      return fail(p, here(p), "expected %s string", "a column name");
    if ((rc = take_string(p, &p->tok, &key, NULL, NULL)) != 0)
      return rc;
    if (strlist_has(keys, key)) {
      char name[CLIP_BUF];
      clip(name, key, strlen(key));
      free(key);
      return fail(p, where, "column '%s' appears twice in the dict of %s", name,
                  owner);
    }
    if ((rc = strlist_push(p, keys, key, where)) != 0 || (rc = lex(p)) != 0 ||
        (rc = expect(p, T_COLON, "expected ':' after the column name")) != 0 ||
        (rc = fn(p, state, key)) != 0)
      return rc;
    if (p->tok.kind == T_COMMA)
      rc = lex(p);
    else if (p->tok.kind != T_RBRACE)
      return fail(p, here(p), "expected ',' or '}' in the dict of %s", owner);
  }
  if (rc != 0)
    return rc;
  if (keys->n == 0) {
    char whose[64];
    snprintf(whose, sizeof whose, "the dict of %s", owner);
    return need_one(p, 0, open, whose, "column");
  }
  return lex(p);
}

/* ---- query strings ------------------------------------------------------- */

static int q_or(parser *p, dusk_expr **out, int *depth);

static int too_deep(parser *p, size_t where) {
  return fail(p, where, DEPTH_MSG, MAX_DEPTH);
}

static int ceil_log2(size_t n) {
  int k = 0;
  while (((size_t)1 << k) < n)
    k++;
  return k;
}

/* Builds a balanced tree of kind over v[lo..hi), consuming every entry
 * (freed on failure).  NULL when out of memory. */
static dusk_expr *build_balanced(dusk_expr_kind kind, dusk_expr **v, size_t lo,
                                 size_t hi) {
  size_t mid;
  dusk_expr *a, *b;
  if (hi - lo == 1) {
    a = v[lo];
    v[lo] = NULL;
    return a;
  }
  mid = lo + (hi - lo + 1) / 2;
  a = build_balanced(kind, v, lo, mid);
  b = build_balanced(kind, v, mid, hi);
  if (a == NULL || b == NULL) {
    dusk_expr_free(a);
    dusk_expr_free(b);
    return NULL;
  }
  return dusk_expr_node(kind, 0, a, b);
}

/* Makes a node, checking the depth of the tree it tops. */
static int make_node(parser *p, size_t where, dusk_expr_kind kind, int op,
                     dusk_expr *a, int da, dusk_expr *b, int db,
                     dusk_expr **out, int *depth) {
  int d = (da > db ? da : db) + 1;
  *out = NULL;
  if (d > MAX_DEPTH) {
    dusk_expr_free(a);
    dusk_expr_free(b);
    return too_deep(p, where);
  }
  if ((*out = dusk_expr_node(kind, op, a, b)) == NULL)
    return nomem(p);
  *depth = d;
  return 0;
}

static int q_not(parser *p, dusk_expr **out, int *depth);

/* or := and (("or" | "|") and)* ; and := not (("and" | "&") not)* */
static int q_chain(parser *p, bool is_or, dusk_expr **out, int *depth) {
  dusk_expr **v = NULL, *e = NULL;
  size_t n = 0, cap = 0;
  int d = 0, maxd = 0, rc;

  *out = NULL;
  for (;;) {
    size_t opat = p->tok.start;
    if (n > 0 && (rc = lex(p)) != 0)
      break;
    rc = is_or ? q_chain(p, false, &e, &d) : q_not(p, &e, &d);
    if (rc != 0)
      break;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 4;
      dusk_expr **nv = realloc(v, ncap * sizeof *nv);
      if (nv == NULL) {
        dusk_expr_free(e);
        rc = nomem(p);
        break;
      }
      v = nv;
      cap = ncap;
    }
    v[n++] = e;
    if (d > maxd)
      maxd = d;
    if (maxd + ceil_log2(n) > MAX_DEPTH) {
      rc = too_deep(p, opat);
      break;
    }
    if (!(is_or ? (is_word(p, "or") || p->tok.kind == T_PIPE)
                : (is_word(p, "and") || p->tok.kind == T_AMP)))
      break;
  }
  if (rc == 0) {
    *out = build_balanced(is_or ? DUSK_EXPR_OR : DUSK_EXPR_AND, v, 0, n);
    *depth = maxd + ceil_log2(n);
    if (*out == NULL)
      rc = nomem(p);
  } else {
    for (size_t i = 0; i < n; i++)
      dusk_expr_free(v[i]);
  }
  free(v);
  return rc;
}

static int q_arith(parser *p, dusk_expr **out, int *depth);

/* cmp := arith (cmpop arith)? */
/* At "in" / "not in" after the operand a (taken): a in [v, ...] is
 * (a == v) or ..., and not in is (a != v) and ... (pandas' isin; a null a
 * is in nothing), balanced; an empty list is False / True. */
static int q_in(parser *p, dusk_expr *a, int da, dusk_expr **out,
                int *depth) {
  bool negate = is_word(p, "not"), isin = is_word(p, "isin");
  dusk_expr **v = NULL;
  size_t n = 0, cap = 0, at = p->tok.start;
  tok_kind close;
  int rc, maxd = 0;
  *out = NULL;
  if (negate && ((rc = lex(p)) != 0 || !is_word(p, "in"))) {
    dusk_expr_free(a);
    return rc ? rc : fail(p, here(p), "expected 'in' after 'not'");
  }
  /* x.isin([...]) is x in [...] (at "isin", before its '('). */
  if (isin && ((rc = lex(p)) != 0 ||
               (rc = expect(p, T_LPAREN, "expected '(' after %s", "isin")) !=
                   0 ||
               (p->tok.kind != T_LBRACKET &&
                (rc = fail(p, here(p), "isin takes a list [...]")) != 0))) {
    dusk_expr_free(a);
    return rc;
  }
  if (!isin && (rc = lex(p)) != 0) {
    dusk_expr_free(a);
    return rc;
  }
  if (p->tok.kind != T_LBRACKET && p->tok.kind != T_LPAREN) {
    dusk_expr_free(a);
    return fail(p, here(p), "expected a list [...] after %s",
                negate ? "not in" : "in");
  }
  close = p->tok.kind == T_LBRACKET ? T_RBRACKET : T_RPAREN;
  rc = lex(p);
  while (rc == 0 && p->tok.kind != close) {
    dusk_expr *x = NULL, *c = NULL, *cmp;
    int dx = 0, dc = 0;
    if ((rc = q_arith(p, &x, &dx)) != 0)
      break;
    if ((c = dusk_expr_clone(a)) == NULL) {
      dusk_expr_free(x);
      rc = nomem(p);
      break;
    }
    if ((rc = make_node(p, at, DUSK_EXPR_COMPARE,
                        negate ? DUSK_CMP_NE : DUSK_CMP_EQ, c, da, x, dx,
                        &cmp, &dc)) != 0)
      break;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      dusk_expr **nv = realloc(v, ncap * sizeof *nv);
      if (nv == NULL) {
        dusk_expr_free(cmp);
        rc = nomem(p);
        break;
      }
      v = nv;
      cap = ncap;
    }
    v[n++] = cmp;
    if (dc > maxd)
      maxd = dc;
    if (maxd + ceil_log2(n) > MAX_DEPTH) {
      rc = too_deep(p, at);
      break;
    }
    if (p->tok.kind == T_COMMA)
      rc = lex(p);
    else if (p->tok.kind != close)
      rc = fail(p, here(p), "expected ',' or '%c' in the list after %s",
                close == T_RBRACKET ? ']' : ')', negate ? "not in" : "in");
  }
  if (rc == 0)
    rc = lex(p);
  if (rc == 0 && n == 0) {
    dusk_value none;
    none.type = DUSK_TYPE_BOOL;
    none.u.b = negate;
    *out = dusk_expr_literal(none);
    *depth = 1;
    if (*out == NULL)
      rc = nomem(p);
  } else if (rc == 0) {
    *out = build_balanced(negate ? DUSK_EXPR_AND : DUSK_EXPR_OR, v, 0, n);
    *depth = maxd + ceil_log2(n);
    if (*out == NULL)
      rc = nomem(p);
  }
  if (rc != 0)
    for (size_t i = 0; i < n; i++)
      dusk_expr_free(v[i]);
  free(v);
  dusk_expr_free(a);
  return rc;
}

static int q_cmp(parser *p, dusk_expr **out, int *depth) {
  static const struct {
    tok_kind tok;
    dusk_cmp op;
  } cmps[] = {{T_EQ, DUSK_CMP_EQ}, {T_NE, DUSK_CMP_NE}, {T_LT, DUSK_CMP_LT},
              {T_LE, DUSK_CMP_LE}, {T_GT, DUSK_CMP_GT}, {T_GE, DUSK_CMP_GE}};
  dusk_expr *a, *b;
  int da, db, rc, op = 0;
  size_t opat;

  if ((rc = q_arith(p, &a, &da)) != 0)
    return rc;
  if (is_word(p, "in") || is_word(p, "not"))
    return q_in(p, a, da, out, depth);
  if (is_word(p, "is")) {
    char name[CLIP_BUF];
    dusk_expr_free(a);
    tok_clip(p, &p->tok, name);
    return fail(p, p->tok.start, "'%s' is not supported in query strings",
                name);
  }
  for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++)
    if (p->tok.kind == cmps[i].tok)
      op = (int)cmps[i].op;
  if (op == 0) {
    *out = a;
    *depth = da;
    return 0;
  }
  opat = p->tok.start;
  if ((rc = lex(p)) != 0 || (rc = q_arith(p, &b, &db)) != 0) {
    dusk_expr_free(a);
    return rc;
  }
  for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++) {
    if (p->tok.kind == cmps[i].tok) {
      dusk_expr_free(a);
      dusk_expr_free(b);
      return fail(p, p->tok.start,
                  "chained comparisons are not supported; write a < b and "
                  "b < c");
    }
  }
  return make_node(p, opat, DUSK_EXPR_COMPARE, op, a, da, b, db, out, depth);
}

/* not := ("not" | "~") not | cmp */
static int q_not(parser *p, dusk_expr **out, int *depth) {
  dusk_expr *a;
  int da, rc;
  size_t where = p->tok.start;

  if (!is_word(p, "not") && p->tok.kind != T_TILDE)
    return q_cmp(p, out, depth);
  if (++p->depth > MAX_DEPTH)
    return too_deep(p, where);
  if ((rc = lex(p)) != 0 || (rc = q_not(p, &a, &da)) != 0)
    return rc;
  p->depth--;
  return make_node(p, where, DUSK_EXPR_NOT, 0, a, da, NULL, 0, out, depth);
}

static int q_unary(parser *p, dusk_expr **out, int *depth);

/* term := unary (("*" | "/" | "//" | "%") unary)*, and with want_sum set
 * arith := term (("+" | "-") term)* */
static int q_binary(parser *p, bool want_sum, dusk_expr **out, int *depth) {
  dusk_expr *a, *b;
  int da, db, rc;

  rc = want_sum ? q_binary(p, false, &a, &da) : q_unary(p, &a, &da);
  if (rc != 0)
    return rc;
  for (;;) {
    int op;
    size_t opat = p->tok.start;
    tok_kind k = p->tok.kind;
    if (want_sum && k == T_PLUS)
      op = DUSK_ARITH_ADD;
    else if (want_sum && k == T_MINUS)
      op = DUSK_ARITH_SUB;
    else if (!want_sum && k == T_STAR)
      op = DUSK_ARITH_MUL;
    else if (!want_sum && k == T_SLASH)
      op = DUSK_ARITH_DIV;
    else if (!want_sum && k == T_PERCENT)
      op = DUSK_ARITH_MOD;
    else if (!want_sum && k == T_DSLASH)
      op = DUSK_ARITH_FLOORDIV;
    else
      break;
    if ((rc = lex(p)) != 0 || (rc = want_sum ? q_binary(p, false, &b, &db)
                                             : q_unary(p, &b, &db)) != 0) {
      dusk_expr_free(a);
      return rc;
    }
    if ((rc = make_node(p, opat, DUSK_EXPR_ARITH, op, a, da, b, db, &a, &da)) !=
        0)
      return rc;
  }
  *out = a;
  *depth = da;
  return 0;
}

static int q_arith(parser *p, dusk_expr **out, int *depth) {
  return q_binary(p, true, out, depth);
}

static int q_primary(parser *p, dusk_expr **out, int *depth);

static int q_unary(parser *p, dusk_expr **out, int *depth);

/* power := primary ("**" unary)?  As in Python, ** binds tighter than a
 * minus on its left (-2 ** 2 is -4) and takes one on its right
 * (2 ** -1), and chains to the right. */
static int q_power(parser *p, dusk_expr **out, int *depth) {
  dusk_expr *a, *b;
  int da, db, rc;
  size_t opat;
  if ((rc = q_primary(p, &a, &da)) != 0)
    return rc;
  if (p->tok.kind != T_DSTAR) {
    *out = a;
    *depth = da;
    return 0;
  }
  opat = p->tok.start;
  if ((rc = lex(p)) != 0 || (rc = q_unary(p, &b, &db)) != 0) {
    dusk_expr_free(a);
    return rc;
  }
  return make_node(p, opat, DUSK_EXPR_ARITH, DUSK_ARITH_POW, a, da, b, db, out,
                   depth);
}

/* unary := "-" unary | power.  A minus before a number folds into the
 * literal (so -9223372036854775808 is an int64); before anything else it
 * becomes 0 - x, since the plan has no negation node. */
static int q_unary(parser *p, dusk_expr **out, int *depth) {
  dusk_expr *a, *zero;
  dusk_value v;
  int da, rc;
  size_t where = p->tok.start;

  if (p->tok.kind != T_MINUS)
    return q_power(p, out, depth);
  if (++p->depth > MAX_DEPTH)
    return too_deep(p, where);
  if ((rc = lex(p)) != 0)
    return rc;
  if (p->tok.kind == T_INT && p->tok.u == (uint64_t)INT64_MAX + 1) {
    memset(&v, 0, sizeof v);
    v.type = DUSK_TYPE_INT64;
    v.u.i = INT64_MIN;
    if ((*out = dusk_expr_literal(v)) == NULL)
      return nomem(p);
    *depth = 1;
    p->depth--;
    if ((rc = lex(p)) != 0) {
      dusk_expr_free(*out);
      *out = NULL;
    }
    return rc;
  }
  if ((rc = q_unary(p, &a, &da)) != 0)
    return rc;
  p->depth--;
  if (a->kind == DUSK_EXPR_LITERAL && a->value.type == DUSK_TYPE_INT64) {
    if (a->value.u.i == INT64_MIN) {
      dusk_expr_free(a);
      return out_of_range(p, where, p->prev_end);
    }
    a->value.u.i = -a->value.u.i;
    *out = a;
    *depth = da;
    return 0;
  }
  if (a->kind == DUSK_EXPR_LITERAL && a->value.type == DUSK_TYPE_FLOAT64) {
    a->value.u.f = -a->value.u.f;
    *out = a;
    *depth = da;
    return 0;
  }
  memset(&v, 0, sizeof v);
  v.type = DUSK_TYPE_INT64;
  if ((zero = dusk_expr_literal(v)) == NULL) {
    dusk_expr_free(a);
    return nomem(p);
  }
  return make_node(p, where, DUSK_EXPR_ARITH, DUSK_ARITH_SUB, zero, 1, a, da,
                   out, depth);
}

static int column_expr(parser *p, const char *s, size_t n, dusk_expr **out) {
  char *name = malloc(n + 1);
  if (name == NULL)
    return nomem(p);
  memcpy(name, s, n);
  name[n] = '\0';
  *out = dusk_expr_column(name);
  free(name);
  return *out ? 0 : nomem(p);
}

/* The leaf of a primary: a literal, a column or a parenthesised or. */
/* At a function's name t (abs, round, to_datetime) inside an
 * expression: with no "(" after it the name is a column (*out, and 1);
 * else its first argument is parsed into *arg (0), or an error.  The
 * caller reads the rest of the call. */
static int call_first_arg(parser *p, const token *t, dusk_expr **out,
                          dusk_expr **arg, int *da) {
  int rc;
  if ((rc = lex(p)) != 0)
    return rc;
  if (p->tok.kind != T_LPAREN) {
    rc = column_expr(p, p->src + t->start, t->end - t->start, out);
    return rc != 0 ? rc : 1;
  }
  if (++p->depth > MAX_DEPTH)
    return too_deep(p, t->start);
  if ((rc = lex(p)) != 0 || (rc = q_or(p, arg, da)) != 0)
    return rc;
  p->depth--;
  return 0;
}

static int q_atom(parser *p, dusk_expr **out, int *depth) {
  dusk_value v;
  token t = p->tok;
  int rc;

  memset(&v, 0, sizeof v);
  *out = NULL;
  *depth = 1;
  switch (t.kind) {
  case T_INT:
    if (t.u > (uint64_t)INT64_MAX)
      return out_of_range(p, t.start, t.end);
    v.type = DUSK_TYPE_INT64;
    v.u.i = (int64_t)t.u;
    break;
  case T_FLOAT:
    v.type = DUSK_TYPE_FLOAT64;
    v.u.f = t.f;
    break;
  case T_STRING: {
    char *s;
    size_t n;
    if ((rc = take_string(p, &t, &s, &n, NULL)) != 0)
      return rc;
    v.type = DUSK_TYPE_STRING;
    v.u.s.ptr = s;
    v.u.s.len = n;
    *out = dusk_expr_literal(v);
    free(s);
    if (*out == NULL)
      return nomem(p);
    return lex(p);
  }
  case T_BACKTICK:
    if ((rc = column_expr(p, p->src + t.start + 1, t.end - t.start - 2, out)) !=
        0)
      return rc;
    return lex(p);
  case T_LPAREN:
    if (++p->depth > MAX_DEPTH)
      return too_deep(p, t.start);
    if ((rc = lex(p)) != 0 || (rc = q_or(p, out, depth)) != 0)
      return rc;
    p->depth--;
    if ((rc = expect(p, T_RPAREN, "expected ')' after the expression in %s",
                     "parentheses")) != 0) {
      dusk_expr_free(*out);
      *out = NULL;
    }
    return rc;
  case T_IDENT:
    if (is_word(p, "True") || is_word(p, "False")) {
      v.type = DUSK_TYPE_BOOL;
      v.u.b = is_word(p, "True");
      break;
    }
    if (is_word(p, "None"))
      return fail(p, t.start,
                  "None is not supported in query strings; use "
                  "x.isnull() or x.notnull()");
    if (is_word(p, "in") || is_word(p, "is")) {
      char name[CLIP_BUF];
      tok_clip(p, &t, name);
      return fail(p, t.start, "'%s' is not supported in query strings", name);
    }
    if (is_word(p, "to_datetime")) {
      /* to_datetime(x[, errors="raise" | "coerce"]); a column of that
       * name otherwise */
      dusk_expr *arg = NULL;
      bool coerce = false;
      int da;
      if ((rc = call_first_arg(p, &t, out, &arg, &da)) != 0)
        return rc > 0 ? 0 : rc;
      if (p->tok.kind == T_COMMA) {
        char *how = NULL;
        size_t nhow = 0;
        token h;
        if ((rc = lex(p)) != 0)
          goto dt_fail;
        if (!is_word(p, "errors")) {
          rc = fail(p, here(p), "expected errors=\"raise\" or "
                                "errors=\"coerce\"");
          goto dt_fail;
        }
        if ((rc = lex(p)) != 0 ||
            (rc = expect(p, T_ASSIGN, "expected '=' after %s", "errors")) !=
                0)
          goto dt_fail;
        h = p->tok;
        if (h.kind != T_STRING ||
            (rc = take_string(p, &h, &how, &nhow, NULL)) != 0 ||
            !((nhow == 5 && memcmp(how, "raise", 5) == 0) ||
              (nhow == 6 && memcmp(how, "coerce", 6) == 0))) {
          free(how);
          rc = rc ? rc
                  : fail(p, h.start, "errors is \"raise\" or \"coerce\" "
                                     "(\"ignore\" would leave a text "
                                     "column: not supported)");
          goto dt_fail;
        }
        coerce = nhow == 6;
        free(how);
        if ((rc = lex(p)) != 0)
          goto dt_fail;
      }
      if ((rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                       "to_datetime")) != 0)
        goto dt_fail;
      return make_node(p, t.start, DUSK_EXPR_FUNC,
                       coerce ? DUSK_FN_TO_DATETIME_COERCE
                              : DUSK_FN_TO_DATETIME,
                       arg, da, NULL, 0, out, depth);
    dt_fail:
      dusk_expr_free(arg);
      return rc;
    }
    if (is_word(p, "to_timedelta")) {
      /* to_timedelta(x): pandas' Timedelta of text ("5min", "00:05:00")
       * or of an int's nanoseconds; a column of that name otherwise */
      dusk_expr *arg = NULL;
      int da;
      if ((rc = call_first_arg(p, &t, out, &arg, &da)) != 0)
        return rc > 0 ? 0 : rc;
      if ((rc = expect(p, T_RPAREN, "expected ')' after the argument of %s",
                       "to_timedelta")) != 0) {
        dusk_expr_free(arg);
        return rc;
      }
      return make_node(p, t.start, DUSK_EXPR_FUNC, DUSK_FN_TO_TIMEDELTA, arg,
                       da, NULL, 0, out, depth);
    }
    if (is_word(p, "abs") || is_word(p, "round")) {
      /* abs(x), round(x[, decimals]); a column of that name otherwise */
      bool is_round = is_word(p, "round");
      const char *what = is_round ? "round" : "abs";
      dusk_expr *arg = NULL, *dec = NULL;
      int da;
      if ((rc = call_first_arg(p, &t, out, &arg, &da)) != 0)
        return rc > 0 ? 0 : rc;
      if (is_round) {
        dusk_value d;
        bool neg = false;
        memset(&d, 0, sizeof d);
        d.type = DUSK_TYPE_INT64;
        if (p->tok.kind == T_COMMA) {
          if ((rc = lex(p)) != 0)
            goto round_fail;
          if (p->tok.kind == T_MINUS) {
            neg = true;
            if ((rc = lex(p)) != 0)
              goto round_fail;
          }
          if (p->tok.kind != T_INT || p->tok.u > 18) {
            rc = fail(p, here(p), "round's decimals are a whole number from "
                                  "-18 to 18");
            goto round_fail;
          }
          d.u.i = neg ? -(int64_t)p->tok.u : (int64_t)p->tok.u;
          if ((rc = lex(p)) != 0)
            goto round_fail;
        }
        if ((dec = dusk_expr_literal(d)) == NULL) {
          rc = nomem(p);
          goto round_fail;
        }
      }
      if ((rc = expect(p, T_RPAREN, "expected ')' after the argument%s of %s",
                       is_round ? "s" : "", what)) != 0)
        goto round_fail;
      return make_node(p, t.start, DUSK_EXPR_FUNC,
                       is_round ? DUSK_FN_ROUND : DUSK_FN_ABS, arg, da, dec,
                       dec ? 1 : 0, out, depth);
    round_fail:
      dusk_expr_free(arg);
      dusk_expr_free(dec);
      return rc;
    }
    if (!is_word(p, "and") && !is_word(p, "or") && !is_word(p, "not")) {
      if ((rc = column_expr(p, p->src + t.start, t.end - t.start, out)) != 0)
        return rc;
      return lex(p);
    }
    /* A keyword where a value belongs. */
    /* fall through */
  default:
    return fail(p, here(p),
                "expected a value (a column, a number, a string, True, False "
                "or '(')");
  }
  if ((*out = dusk_expr_literal(v)) == NULL)
    return nomem(p);
  return lex(p);
}

/* Whether a pattern means the same as a regular expression as literally:
 * no character a regex gives a meaning to. */
static bool regex_literal(dusk_slice s) {
  for (size_t i = 0; i < s.len; i++)
    if (strchr(".^$*+?{}[]\\|()", s.ptr[i]) != NULL)
      return false;
  return true;
}

/* A fixed pandas frequency ("H", "15min", "2D", "500ms") in
 * nanoseconds: 0 and a message in why when s is none (a calendar
 * frequency such as "M" or "W" is not fixed, as pandas says). */
static int64_t freq_ns(const char *s, size_t n, const char **why) {
  static const struct { const char *alias; int64_t ns; } units[] = {
      {"D", 86400000000000}, {"d", 86400000000000}, {"H", 3600000000000},
      {"h", 3600000000000},  {"T", 60000000000},    {"min", 60000000000},
      {"S", 1000000000},     {"s", 1000000000},     {"L", 1000000},
      {"ms", 1000000},       {"U", 1000},           {"us", 1000},
      {"N", 1},              {"ns", 1}};
  static const char *const calendar[] = {"W", "M", "MS", "Q", "QS", "A",
                                         "Y", "AS", "YS", "B", "BM", "SM"};
  size_t i = 0;
  int64_t k = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9') {
    if (k > (INT64_MAX - 9) / 10) {
      *why = "has a multiple too large for int64 nanoseconds";
      return 0;
    }
    k = k * 10 + (s[i++] - '0');
  }
  if (i == 0)
    k = 1;
  for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
    if (strlen(units[u].alias) == n - i &&
        memcmp(units[u].alias, s + i, n - i) == 0) {
      if (k <= 0 || k > INT64_MAX / units[u].ns) {
        *why = "has a multiple below 1 or too large for int64 nanoseconds";
        return 0;
      }
      return k * units[u].ns;
    }
  for (size_t c = 0; c < sizeof calendar / sizeof calendar[0]; c++)
    if (strlen(calendar[c]) <= n - i &&
        memcmp(calendar[c], s + i, strlen(calendar[c])) == 0) {
      *why = "is a calendar (non-fixed) frequency, which pandas refuses "
             "here too";
      return 0;
    }
  *why = "is not a frequency: expected D, H, T or min, S, L or ms, U or "
         "us, N or ns, with an optional multiple (\"15min\")";
  return 0;
}

/* At "floor" / "ceil" / "round" / "normalize" after ".dt.": pandas'
 * rounding of datetimes and timedeltas to a fixed frequency,
 * "floor" "(" string ")" and "normalize()" (floor("D")).  *out (the value)
 * becomes the call. */
static int parse_dt_round(parser *p, dusk_expr **out, int *depth) {
  dusk_func fn = is_word(p, "floor")  ? DUSK_FN_DT_FLOOR
                 : is_word(p, "ceil") ? DUSK_FN_DT_CEIL
                 : is_word(p, "round") ? DUSK_FN_DT_ROUND
                                       : DUSK_FN_DT_FLOOR;
  bool normalize = is_word(p, "normalize");
  const char *word = normalize ? "normalize"
                     : fn == DUSK_FN_DT_ROUND ? "round"
                                              : dusk_func_name(fn);
  token name = p->tok;
  dusk_value v;
  dusk_expr *unit;
  int64_t ns = 86400000000000;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", word)) != 0)
    return rc;
  if (!normalize) {
    token t = p->tok;
    const char *why = NULL;
    char *s;
    size_t n;
    if (t.kind != T_STRING)
      return fail(p, here(p), "expected a frequency such as \"H\" or "
                              "\"15min\"");
    if ((rc = take_string(p, &t, &s, &n, NULL)) != 0)
      return rc;
    ns = freq_ns(s, n, &why);
    if (ns == 0) {
      rc = fail(p, t.start, "frequency \"%.*s\" %s", (int)(n < 40 ? n : 40),
                s, why);
      free(s);
      return rc;
    }
    free(s);
    if ((rc = lex(p)) != 0)
      return rc;
  }
  if ((rc = expect(p, T_RPAREN, "expected ')' to close %s(", word)) != 0)
    return rc;
  memset(&v, 0, sizeof v);
  v.type = DUSK_TYPE_INT64;
  v.u.i = ns;
  if ((unit = dusk_expr_literal(v)) == NULL)
    return nomem(p);
  return make_node(p, name.start, DUSK_EXPR_FUNC, fn, *out, *depth, unit, 1,
                   out, depth);
}

/* At "str" after a value: ".str." ("len()" | ("startswith" | "endswith" |
 * "contains") "(" string ("," "regex" "=" bool)? ")"), pandas' string
 * accessor with a literal pattern.  *out (the value) becomes the call. */
/* A new string literal: "(?i)" when caseless, then pat - escaped into
 * a regex matching it literally (Python's re.escape) when it is not one. */
static dusk_expr *pattern_literal(const char *pat, size_t n, bool is_regex,
                                  bool caseless) {
  dusk_buf b;
  dusk_value v;
  dusk_expr *e = NULL;
  dusk_buf_init(&b);
  if (caseless && dusk_buf_append(&b, "(?i)", 4) != 0)
    goto out;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)pat[i];
    bool word = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' &&
                                           (c | 0x20) <= 'z') || c == '_';
    if (!is_regex && c < 0x80 && !word &&
        dusk_buf_append(&b, "\\", 1) != 0)
      goto out;
    if (dusk_buf_append(&b, &pat[i], 1) != 0)
      goto out;
  }
  memset(&v, 0, sizeof v);
  v.type = DUSK_TYPE_STRING;
  v.u.s.ptr = b.data ? b.data : "";
  v.u.s.len = b.len;
  e = dusk_expr_literal(v);
out:
  dusk_buf_destroy(&b);
  return e;
}

/* At "str" after a value: ".str." ("len()" | ("startswith" | "endswith")
 * "(" string ")" | ("contains" | "match" | "fullmatch") "(" string
 * ("," ("regex" | "case") "=" bool)* ")"), pandas' string accessor.
 * contains is literal with regex=False or a pattern without regex
 * characters (same meaning, a plain search), else a regular expression
 * (regex.h), as match and fullmatch always are; case=False makes either
 * caseless.  *out (the value) becomes the call. */
/* One optional int of .str.slice: None, or an int (maybe negative),
 * appended to text ("" for None). */
static int slice_bound(parser *p, dusk_buf *text) {
  char num[32];
  bool neg = false;
  int rc;
  if (is_word(p, "None"))
    return lex(p);
  if (p->tok.kind == T_MINUS) {
    neg = true;
    if ((rc = lex(p)) != 0)
      return rc;
  }
  if (p->tok.kind != T_INT ||
      p->tok.u > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
    return fail(p, here(p), "slice: start, stop and step are ints or None");
  snprintf(num, sizeof num, "%s%llu", neg ? "-" : "",
           (unsigned long long)p->tok.u);
  if (dusk_buf_append(text, num, strlen(num)) != 0)
    return nomem(p);
  return lex(p);
}

/* After "slice(": [start [, stop [, step]]] or start= / stop= / step=,
 * each an int or None, then ")".  *out: the "start:stop:step" literal
 * (plan.h STR_SLICE). */
static int parse_slice_args(parser *p, dusk_expr **out) {
  static const char *const kw[] = {"start", "stop", "step"};
  dusk_buf part[3];
  dusk_buf joined;
  dusk_value v;
  int rc = 0, next = 0;
  for (int k = 0; k < 3; k++)
    dusk_buf_init(&part[k]);
  dusk_buf_init(&joined);
  bool seen[3] = {false, false, false}, keyword = false;
  while (rc == 0 && p->tok.kind != T_RPAREN) {
    int which = -1;
    size_t at = p->tok.start;
    for (int k = 0; k < 3 && which < 0; k++)
      if (is_word(p, kw[k])) {
        which = k;
        keyword = true;
        if ((rc = lex(p)) != 0 ||
            (rc = expect(p, T_ASSIGN, "expected '=' after %s", kw[k])) != 0)
          goto out;
      }
    if (which < 0) { /* positional, as Python: never after a keyword */
      if (keyword) {
        rc = fail(p, at, "slice: a positional argument after a keyword one");
        goto out;
      }
      which = next;
    }
    if (which > 2 || seen[which]) {
      rc = fail(p, at, which > 2 ? "slice takes start, stop and step"
                                 : "slice: %s given twice", kw[which > 2 ? 0 : which]);
      goto out;
    }
    seen[which] = true;
    if ((rc = slice_bound(p, &part[which])) != 0)
      goto out;
    next = which + 1;
    if (p->tok.kind == T_COMMA) {
      if ((rc = lex(p)) != 0)
        goto out;
    } else if (p->tok.kind != T_RPAREN) {
      rc = fail(p, here(p), "expected ',' or ')' in the arguments of slice");
      goto out;
    }
  }
  for (int k = 0; k < 3 && rc == 0; k++)
    if ((k > 0 && dusk_buf_append(&joined, ":", 1) != 0) ||
        dusk_buf_append(&joined, part[k].data ? part[k].data : "",
                        part[k].len) != 0)
      rc = nomem(p);
  {
    dusk_text_slice sl;
    if (rc == 0 && dusk_text_slice_parse(joined.data ? joined.data : "",
                                         joined.len, &sl) != 0)
      rc = fail(p, here(p), "slice: the step cannot be zero (as in Python)");
  }
  if (rc == 0) {
    memset(&v, 0, sizeof v);
    v.type = DUSK_TYPE_STRING;
    v.u.s.ptr = joined.data;
    v.u.s.len = joined.len;
    if ((*out = dusk_expr_literal(v)) == NULL)
      rc = nomem(p);
  }
out:
  for (int k = 0; k < 3; k++)
    dusk_buf_destroy(&part[k]);
  dusk_buf_destroy(&joined);
  return rc;
}

/* After "strip(" (or lstrip / rstrip): [to_strip=] (a string | None),
 * optional, then ")".  *out: a string literal, or a null literal for
 * whitespace. */
static int parse_strip_args(parser *p, dusk_expr **out) {
  dusk_value v;
  char *text = NULL;
  size_t ntext = 0;
  int rc;
  bool keyword = is_word(p, "to_strip");
  memset(&v, 0, sizeof v);
  v.type = DUSK_TYPE_NULL;
  if (keyword &&
      ((rc = lex(p)) != 0 ||
       (rc = expect(p, T_ASSIGN, "expected '=' after to_strip")) != 0))
    return rc;
  if (keyword && p->tok.kind == T_RPAREN)
    return fail(p, here(p), "strip: to_strip is a string or None");
  if (is_word(p, "None")) {
    if ((rc = lex(p)) != 0)
      return rc;
  } else if (p->tok.kind == T_STRING) {
    token t = p->tok;
    if ((rc = take_string(p, &t, &text, &ntext, NULL)) != 0)
      return rc;
    v.type = DUSK_TYPE_STRING;
    v.u.s.ptr = text ? text : "";
    v.u.s.len = ntext;
    if ((rc = lex(p)) != 0) {
      free(text);
      return rc;
    }
  } else if (p->tok.kind != T_RPAREN) {
    return fail(p, here(p), "strip: to_strip is a string or None");
  }
  if (p->tok.kind == T_COMMA && (rc = lex(p)) != 0) { /* strip("a",) */
    free(text);
    return rc;
  }
  *out = dusk_expr_literal(v);
  free(text);
  return *out == NULL ? nomem(p) : 0;
}

static int parse_str_method(parser *p, dusk_expr **out, int *depth) {
  static const char *const names[] = {
      "len",  "startswith", "endswith", "contains", "match",  "fullmatch",
      "lower", "upper",     "strip",    "lstrip",   "rstrip", "slice"};
  dusk_expr *pat = NULL;
  dusk_func fn;
  token f;
  int rc, dp = 0;
  bool regex = true, caseless = false;
  char *text = NULL;
  size_t ntext = 0;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_DOT, "expected '.' after %s", "str")) != 0)
    return rc;
  f = p->tok;
  fn = f.kind == T_IDENT ? dusk_func_parse(p->src + f.start, f.end - f.start)
                         : (dusk_func)0;
  if ((fn < DUSK_FN_STR_LEN || fn > DUSK_FN_CONTAINS) &&
      fn != DUSK_FN_RE_MATCH && fn != DUSK_FN_RE_FULLMATCH &&
      (fn < DUSK_FN_STR_LOWER || fn > DUSK_FN_STR_SLICE))
    return f.kind == T_IDENT
               ? fail_unknown(p, &f, "unknown .str method", names, 12,
                              "expected len(), startswith(), endswith(), "
                              "contains(), match(), fullmatch(), lower(), "
                              "upper(), strip(), lstrip(), rstrip() or "
                              "slice()")
               : fail(p, here(p), "expected a .str method name");
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s",
                   dusk_func_name(fn))) != 0)
    return rc;
  if (fn >= DUSK_FN_STR_STRIP && fn <= DUSK_FN_STR_SLICE) {
    rc = fn == DUSK_FN_STR_SLICE ? parse_slice_args(p, &pat)
                                 : parse_strip_args(p, &pat);
    if (rc != 0)
      return rc;
    dp = 1;
  } else if (dusk_func_takes_arg(fn)) {
    token t = p->tok;
    bool kw = fn == DUSK_FN_CONTAINS || fn == DUSK_FN_RE_MATCH ||
              fn == DUSK_FN_RE_FULLMATCH;
    if (t.kind != T_STRING)
      return fail(p, here(p), "%s needs a string pattern",
                  dusk_func_name(fn));
    if ((rc = take_string(p, &t, &text, &ntext, NULL)) != 0)
      return rc;
    if ((rc = lex(p)) != 0)
      goto fail;
    while (p->tok.kind == T_COMMA && kw) {
      bool *flag;
      if ((rc = lex(p)) != 0)
        goto fail;
      if (is_word(p, "regex") && fn == DUSK_FN_CONTAINS) {
        flag = &regex;
      } else if (is_word(p, "case")) {
        flag = &caseless;
      } else {
        rc = fail(p, here(p), fn == DUSK_FN_CONTAINS
                                  ? "expected regex= or case="
                                  : "expected case=");
        goto fail;
      }
      if ((rc = lex(p)) != 0 ||
          (rc = expect(p, T_ASSIGN, "expected '=' after the name")) != 0)
        goto fail;
      if (!is_word(p, "True") && !is_word(p, "False")) {
        rc = fail(p, here(p), "expected True or False");
        goto fail;
      }
      *flag = is_word(p, flag == &caseless ? "False" : "True");
      if ((rc = lex(p)) != 0)
        goto fail;
    }
    {
      dusk_slice lit = {text, ntext};
      bool re_needed = fn != DUSK_FN_CONTAINS || caseless ||
                       (regex && !regex_literal(lit));
      if (re_needed && fn == DUSK_FN_CONTAINS)
        fn = DUSK_FN_RE_SEARCH;
      pat = pattern_literal(text, ntext, regex || fn != DUSK_FN_RE_SEARCH,
                            caseless);
      if (pat == NULL) {
        rc = nomem(p);
        goto fail;
      }
      dp = 1;
    }
  }
  if ((rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                   dusk_func_name(fn))) != 0)
    goto fail;
  free(text);
  return make_node(p, f.start, DUSK_EXPR_FUNC, fn, *out, *depth, pat, dp, out,
                   depth);
fail:
  free(text);
  dusk_expr_free(pat);
  return rc;
}

/* At "astype": "(" ("float" | "float64" | "int" | "int64") ")", as a
 * string or a bare name. */
static int parse_astype(parser *p, dusk_expr **out, int *depth) {
  size_t at;
  char name[CLIP_BUF];
  dusk_func fn;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after astype")) != 0)
    return rc;
  at = p->tok.start;
  if (p->tok.kind == T_STRING) {
    char *s;
    size_t n;
    if ((rc = take_string(p, &p->tok, &s, &n, NULL)) != 0)
      return rc;
    snprintf(name, sizeof name, "%.*s", (int)(n < 60 ? n : 60), s);
    free(s);
  } else if (p->tok.kind == T_IDENT) {
    tok_clip(p, &p->tok, name);
  } else {
    name[0] = '\0';
  }
  fn = strcmp(name, "float") == 0 || strcmp(name, "float64") == 0
           ? DUSK_FN_TO_FLOAT
       : strcmp(name, "int") == 0 || strcmp(name, "int64") == 0
           ? DUSK_FN_TO_INT
           : (dusk_func)0;
  if (fn == 0)
    return fail(p, at, "astype: float64 or int64 (float, int) are "
                       "supported");
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_RPAREN, "expected ')' after the dtype of astype")) !=
          0)
    return rc;
  return make_node(p, at, DUSK_EXPR_FUNC, fn, *out, *depth, NULL, 0, out,
                   depth);
}

/* One bound of clip: a number (maybe negative) into a new literal. */
static int clip_bound(parser *p, dusk_expr **out) {
  dusk_value v;
  bool neg = false;
  int rc;
  memset(&v, 0, sizeof v);
  if (p->tok.kind == T_MINUS) {
    neg = true;
    if ((rc = lex(p)) != 0)
      return rc;
  }
  if (p->tok.kind == T_INT && p->tok.u <= (uint64_t)INT64_MAX) {
    v.type = DUSK_TYPE_INT64;
    v.u.i = neg ? -(int64_t)p->tok.u : (int64_t)p->tok.u;
  } else if (p->tok.kind == T_FLOAT) {
    v.type = DUSK_TYPE_FLOAT64;
    v.u.f = neg ? -p->tok.f : p->tok.f;
  } else {
    return fail(p, here(p), "clip: a bound is a number");
  }
  if ((*out = dusk_expr_literal(v)) == NULL)
    return nomem(p);
  return lex(p);
}

/* At "clip": "(" lower? ("," upper)? ")" or lower= / upper=; None skips
 * a bound. */
static int parse_clip(parser *p, dusk_expr **out, int *depth) {
  dusk_expr *b[2] = {NULL, NULL};
  int rc;
  size_t at;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after clip")) != 0)
    return rc;
  at = p->tok.start;
  for (int k = 0; k < 2 && p->tok.kind != T_RPAREN; k++) {
    int which = k;
    if (is_word(p, "lower") || is_word(p, "upper")) {
      which = is_word(p, "upper");
      if ((rc = lex(p)) != 0 ||
          (rc = expect(p, T_ASSIGN, "expected '=' after the bound's name")) !=
              0)
        goto fail;
    }
    if (is_word(p, "None")) {
      if ((rc = lex(p)) != 0)
        goto fail;
    } else {
      if (b[which] != NULL) {
        rc = fail(p, here(p), "clip: that bound is given twice");
        goto fail;
      }
      if ((rc = clip_bound(p, &b[which])) != 0)
        goto fail;
    }
    if (p->tok.kind == T_COMMA && (rc = lex(p)) != 0)
      goto fail;
  }
  if ((rc = expect(p, T_RPAREN, "expected ')' after the bounds of clip")) != 0)
    goto fail;
  for (int k = 0; k < 2; k++) {
    dusk_expr *bound = b[k];
    b[k] = NULL;
    if (bound != NULL &&
        (rc = make_node(p, at, DUSK_EXPR_FUNC,
                        k ? DUSK_FN_CLIP_UPPER : DUSK_FN_CLIP_LOWER, *out,
                        *depth, bound, 1, out, depth)) != 0)
      goto fail;
  }
  return 0;
fail:
  dusk_expr_free(b[0]);
  dusk_expr_free(b[1]);
  return rc;
}

/* At "where" / "mask" after a value: "(" cond ("," other)? ")", pandas'
 * x.where(cond, other=NaN) and x.mask(cond, other) = x.where(not cond,
 * other).  *out (x) becomes the call (plan.h DUSK_FN_WHERE). */
static int parse_where(parser *p, dusk_expr **out, int *depth) {
  bool mask = is_word(p, "mask");
  const char *what = mask ? "mask" : "where";
  size_t at = p->tok.start;
  dusk_expr *cond = NULL, *other = NULL, *ow = NULL;
  bool has_other = false;
  int dc = 0, dother = 0, dow = 0, rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", what)) != 0)
    return rc;
  if (p->tok.kind == T_RPAREN)
    return fail(p, here(p), "%s needs a condition", what);
  if ((rc = q_or(p, &cond, &dc)) != 0)
    goto fail;
  if (mask && (rc = make_node(p, at, DUSK_EXPR_NOT, 0, cond, dc, NULL, 0,
                              &cond, &dc)) != 0)
    goto fail;
  if (p->tok.kind == T_COMMA) {
    if ((rc = lex(p)) != 0)
      goto fail;
    if (is_word(p, "other")) {
      if ((rc = lex(p)) != 0 ||
          (rc = expect(p, T_ASSIGN, "expected '=' after %s", "other")) != 0)
        goto fail;
    }
    has_other = true;
  }
  /* None, NaN or NaT as other is the default, a missing value. */
  if (has_other && (is_word(p, "None") || is_word(p, "NaN") ||
                    is_word(p, "nan") || is_word(p, "NaT"))) {
    has_other = false;
    if ((rc = lex(p)) != 0)
      goto fail;
  }
  if (has_other) {
    if ((rc = q_or(p, &other, &dother)) != 0)
      goto fail;
  } else {
    dusk_value na;
    memset(&na, 0, sizeof na);
    na.type = DUSK_TYPE_NULL; /* NaN (NaT): pandas' default other */
    if ((other = dusk_expr_literal(na)) == NULL) {
      rc = nomem(p);
      goto fail;
    }
  }
  if ((rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                   what)) != 0)
    goto fail;
  rc = make_node(p, at, DUSK_EXPR_FUNC, DUSK_FN_OTHERWISE, cond, dc, other,
                 dother, &ow, &dow);
  cond = other = NULL;
  if (rc != 0)
    goto fail;
  return make_node(p, at, DUSK_EXPR_FUNC, DUSK_FN_WHERE, *out, *depth, ow, dow,
                   out, depth);
fail:
  dusk_expr_free(cond);
  dusk_expr_free(other);
  return rc;
}

/* primary := atom ("." ("isnull" | "notnull" | "isna" | "notna") "()")* */
static int q_primary(parser *p, dusk_expr **out, int *depth) {
  static const char *const methods[] = {"isnull", "notnull", "isna", "notna",
                                        "isin"};
  int rc = q_atom(p, out, depth);
  while (rc == 0 && p->tok.kind == T_DOT) {
    dusk_expr_kind kind;
    token name;
    if ((rc = lex(p)) != 0)
      break;
    name = p->tok;
    if (name.kind != T_IDENT) {
      rc = fail(p, here(p), "expected a method name after '.'");
      break;
    }
    if (is_word(p, "dt")) {
      /* .dt.<field> (pandas' datetime accessor; total_seconds() too) */
      dusk_func fn;
      token f;
      if ((rc = lex(p)) != 0 ||
          (rc = expect(p, T_DOT, "expected '.' after %s", "dt")) != 0)
        break;
      f = p->tok;
      if (is_word(p, "floor") || is_word(p, "ceil") || is_word(p, "round") ||
          is_word(p, "normalize")) {
        if ((rc = parse_dt_round(p, out, depth)) != 0)
          break;
        continue;
      }
      fn = f.kind == T_IDENT ? dusk_func_parse(p->src + f.start, f.end - f.start)
                             : (dusk_func)0;
      if (fn == 0 || (fn > DUSK_FN_TOTAL_SECONDS && fn != DUSK_FN_DT_DATE)) {
        static const char *const fields[] = {
            "year",   "month",     "day",       "hour",          "minute",
            "second", "dayofweek", "dayofyear", "total_seconds", "date"};
        rc = f.kind == T_IDENT
                 ? fail_unknown(p, &f, "unknown .dt field", fields, 10,
                                "expected year, month, day, hour, minute, "
                                "second, dayofweek, dayofyear, date or "
                                "total_seconds()")
                 : fail(p, here(p), "expected a .dt field name");
        break;
      }
      if ((rc = lex(p)) != 0)
        break;
      if (p->tok.kind == T_LPAREN &&
          ((rc = lex(p)) != 0 ||
           (rc = expect(p, T_RPAREN, "%s() takes no arguments",
                        dusk_func_name(fn))) != 0))
        break;
      rc = make_node(p, f.start, DUSK_EXPR_FUNC, fn, *out, *depth, NULL, 0,
                     out, depth);
      continue;
    }
    if (is_word(p, "str")) {
      if ((rc = parse_str_method(p, out, depth)) != 0)
        break;
      continue;
    }
    if (is_word(p, "astype")) {
      if ((rc = parse_astype(p, out, depth)) != 0)
        break;
      continue;
    }
    if (is_word(p, "clip")) {
      if ((rc = parse_clip(p, out, depth)) != 0)
        break;
      continue;
    }
    if (is_word(p, "where") || is_word(p, "mask")) {
      if ((rc = parse_where(p, out, depth)) != 0)
        break;
      continue;
    }
    if (is_word(p, "abs") || is_word(p, "round")) {
      /* x.abs(), x.round(decimals=0): as abs(x) and round(x, decimals) */
      bool is_round = is_word(p, "round");
      dusk_value d;
      dusk_expr *dec = NULL;
      bool neg = false;
      memset(&d, 0, sizeof d);
      d.type = DUSK_TYPE_INT64;
      if ((rc = lex(p)) != 0 ||
          (rc = expect(p, T_LPAREN, "expected '(' after %s",
                       is_round ? "round" : "abs")) != 0)
        break;
      if (is_round && p->tok.kind != T_RPAREN) {
        if (is_word(p, "decimals") &&
            ((rc = lex(p)) != 0 ||
             (rc = expect(p, T_ASSIGN, "expected '=' after %s",
                          "decimals")) != 0))
          break;
        if (p->tok.kind == T_MINUS) {
          neg = true;
          if ((rc = lex(p)) != 0)
            break;
        }
        if (p->tok.kind != T_INT || p->tok.u > 18) {
          rc = fail(p, here(p), "round's decimals are a whole number from "
                                "-18 to 18");
          break;
        }
        d.u.i = neg ? -(int64_t)p->tok.u : (int64_t)p->tok.u;
        if ((rc = lex(p)) != 0)
          break;
      }
      if ((rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                       is_round ? "round" : "abs")) != 0)
        break;
      if (is_round && (dec = dusk_expr_literal(d)) == NULL) {
        rc = nomem(p);
        break;
      }
      rc = make_node(p, name.start, DUSK_EXPR_FUNC,
                     is_round ? DUSK_FN_ROUND : DUSK_FN_ABS, *out, *depth, dec,
                     dec ? 1 : 0, out, depth);
      continue;
    }
    if (is_word(p, "isin")) {
      if ((rc = q_in(p, *out, *depth, out, depth)) != 0 ||
          (rc = expect(p, T_RPAREN, "expected ')' after the list of %s",
                       "isin")) != 0)
        break;
      continue;
    }
    if (is_word(p, "isnull") || is_word(p, "isna")) {
      kind = DUSK_EXPR_ISNULL;
    } else if (is_word(p, "notnull") || is_word(p, "notna")) {
      kind = DUSK_EXPR_NOTNULL;
    } else {
      rc = fail_unknown(p, &name, "unknown method", methods, 5,
                        "expected isnull(), notnull(), isna(), notna(), "
                        "isin([...]), abs(), round(n), astype(...), "
                        "clip(...), where(...), mask(...), .dt or .str");
      break;
    }
    {
      char mname[CLIP_BUF];
      tok_clip(p, &name, mname);
      if ((rc = parse_noargs(p, mname)) != 0)
        break;
    }
    rc = make_node(p, name.start, kind, 0, *out, *depth, NULL, 0, out, depth);
  }
  if (rc != 0) {
    dusk_expr_free(*out);
    *out = NULL;
  }
  return rc;
}

static int q_or(parser *p, dusk_expr **out, int *depth) {
  return q_chain(p, true, out, depth);
}

/* A whole query string: p is set up over it, nothing lexed yet. */
static int parse_query_text(parser *p, dusk_expr **out) {
  int depth, rc;
  *out = NULL;
  if ((rc = lex(p)) != 0)
    return rc;
  if (p->tok.kind == T_EOF)
    return fail(p, p->tok.start, "empty query string");
  if ((rc = q_or(p, out, &depth)) != 0)
    return rc;
  if (p->tok.kind != T_EOF) {
    char desc[CLIP_BUF + 16];
    dusk_expr_free(*out);
    *out = NULL;
    if (p->tok.kind == T_ASSIGN)
      return fail(p, p->tok.start, "'=' assigns; use '==' to compare");
    tok_desc(p, desc, sizeof desc);
    return fail(p, p->tok.start,
                "unexpected %s after the end of the "
                "expression",
                desc);
  }
  return 0;
}

int dusk_expr_parse(const char *text, dusk_expr **out, dusk_error *err) {
  parser p;
  if (out != NULL)
    *out = NULL;
  if (text == NULL || out == NULL)
    return dusk_error_set(err, DUSK_EINVAL,
                          "dusk_expr_parse: text and out must not be NULL");
  dusk_error_clear(err);
  memset(&p, 0, sizeof p);
  p.src = p.outer = text;
  p.len = p.outer_len = strlen(text);
  p.query = true;
  p.err = err;
  return parse_query_text(&p, out);
}

/* ---- the outer language -------------------------------------------------- */

struct plan_chain {
  dusk_plan *plan;
  int depth;         /* of the plan tree */
  char terminal[72]; /* what ended the chain, for messages: "head()" */
  /* the result is a pandas Series (value_counts, size(), groupby(k)["x"]
   * aggregates), where [[...]] looks up index labels, not columns */
  bool series;
  bool unnamed; /* that Series' name is None (groupby(k).size()) */
  bool nullable; /* its values are pandas' Int64 / Float64 (plan.h masked) */
  /* what pandas returns when the query ends at plan node `shaped`: a
   * DUSK_RESULT_* (expr.h) other than a Series' (a reduction's scalar or
   * row); a step after that node makes the result a frame again */
  int shape;
  const dusk_plan *shaped;
};
typedef struct plan_chain plan_chain;

static int parse_chain(parser *p, const char *inside, plan_chain *f);

/* The result is of this DUSK_RESULT_* when the query ends at f's current
 * plan node. */
static void set_shape(plan_chain *f, int shape) {
  f->series = false;
  f->shape = shape;
  f->shaped = f->plan;
}

/* Puts np (made from f->plan, which it owns) into f. */
static int wrap(parser *p, plan_chain *f, dusk_plan *np, size_t where) {
  f->plan = np;
  if (np == NULL)
    return nomem(p);
  if (++f->depth > MAX_DEPTH)
    return too_deep(p, where);
  return 0;
}

/* Whether f ended its rows: its last step is terminal (plan.h), or a step
 * on its result, so only .compute() and post steps may follow. */
static bool chain_ended(const plan_chain *f) {
  return f->plan != NULL && (dusk_plan_is_terminal(f->plan->kind) ||
                             dusk_plan_takes_post(f->plan));
}

/* A step of this kind about to be parsed: a terminal one may only end the
 * whole query, never a frame inside concat(...) or len(...). */
static int check_terminal(parser *p, const char *inside, const token *name,
                          dusk_plan_kind kind, const char *what) {
  if (inside != NULL && dusk_plan_is_terminal(kind))
    return fail(p, name->start, "%s cannot be used inside %s(...)", what,
                inside);
  return 0;
}

/* fillna's value: a scalar, consumed.  A string value is a heap copy
 * owned by the caller. */
static int parse_fill_value(parser *p, dusk_value *v, bool in_dict) {
  size_t start = p->tok.start;
  bool neg = false;
  int rc;

  memset(v, 0, sizeof *v);
  if (p->tok.kind == T_MINUS) {
    neg = true;
    if ((rc = lex(p)) != 0)
      return rc;
  }
  switch (p->tok.kind) {
  case T_INT:
    if (p->tok.u > (uint64_t)INT64_MAX + (neg ? 1 : 0))
      return out_of_range(p, start, p->tok.end);
    v->type = DUSK_TYPE_INT64;
    v->u.i = neg ? (int64_t)(0 - p->tok.u) : (int64_t)p->tok.u;
    return lex(p);
  case T_FLOAT:
    v->type = DUSK_TYPE_FLOAT64;
    v->u.f = neg ? -p->tok.f : p->tok.f;
    return lex(p);
  case T_STRING:
    if (neg)
      break;
    {
      char *s;
      size_t n;
      if ((rc = take_string(p, &p->tok, &s, &n, NULL)) != 0)
        return rc;
      v->type = DUSK_TYPE_STRING;
      v->u.s.ptr = s;
      v->u.s.len = n;
      if ((rc = lex(p)) != 0) {
        free(s);
        memset(v, 0, sizeof *v);
      }
      return rc;
    }
  case T_IDENT:
    if (neg)
      break;
    if (is_word(p, "True") || is_word(p, "False")) {
      v->type = DUSK_TYPE_BOOL;
      v->u.b = is_word(p, "True");
      return lex(p);
    }
    if (is_word(p, "None"))
      return fail(p, p->tok.start, "fillna needs a value, not None");
    break;
  default:
    break;
  }
  return fail(p, here(p),
              "expected a fill value (a number, a string, True or False)%s",
              in_dict ? "" : " or a {column: value} dict");
}

typedef struct fills {
  dusk_fill *v; /* columns borrow the dict's keys; string values are owned */
  size_t n, cap;
} fills;

static void fills_free(fills *fl) {
  for (size_t i = 0; i < fl->n; i++)
    if (fl->v[i].value.type == DUSK_TYPE_STRING)
      free((char *)fl->v[i].value.u.s.ptr);
  free(fl->v);
}

static int fills_push(parser *p, fills *fl, const char *column, dusk_value v) {
  if (fl->n == fl->cap) {
    size_t cap = fl->cap ? fl->cap * 2 : 4;
    dusk_fill *nv = realloc(fl->v, cap * sizeof *nv);
    if (nv == NULL) {
      if (v.type == DUSK_TYPE_STRING)
        free((char *)v.u.s.ptr);
      return nomem(p);
    }
    fl->v = nv;
    fl->cap = cap;
  }
  fl->v[fl->n].column = (char *)column;
  fl->v[fl->n++].value = v;
  return 0;
}

static int fill_entry(parser *p, void *state, const char *key) {
  dusk_value v;
  int rc = parse_fill_value(p, &v, true);
  return rc ? rc : fills_push(p, state, key, v);
}

/* At "fillna": fillna(value) or fillna({column: value, ...}). */
static int parse_fillna(parser *p, plan_chain *f, size_t where) {
  strlist keys = {0};
  fills fl = {0};
  dusk_value v;
  int rc;

  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "fillna")) != 0)
    return rc;
  if (p->tok.kind == T_LBRACE) {
    rc = parse_dict(p, "fillna", &keys, fill_entry, &fl);
  } else if ((rc = parse_fill_value(p, &v, false)) == 0) {
    rc = fills_push(p, &fl, NULL, v);
  }
  if (rc == 0)
    rc =
        expect(p, T_RPAREN, "expected ')' after the arguments of %s", "fillna");
  if (rc == 0)
    rc = wrap(p, f, dusk_plan_fillna(f->plan, fl.v, fl.n), where);
  fills_free(&fl);
  strlist_free(&keys);
  return rc;
}

/* At "query": query("..."), the string parsed as a query string. */
static int parse_query_call(parser *p, plan_chain *f, size_t where) {
  parser q;
  char *s = NULL;
  size_t n, *m = NULL;
  dusk_expr *e = NULL;
  int rc;

  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "query")) != 0)
    return rc;
  if (p->tok.kind != T_STRING)
    return fail(p, here(p), "expected a query string, e.g. .query(\"x > 5\")");
  if ((rc = take_string(p, &p->tok, &s, &n, &m)) != 0)
    return rc;
  if (p->map != NULL)
    for (size_t i = 0; i <= n; i++)
      m[i] = p->map[m[i]];
  memset(&q, 0, sizeof q);
  q.src = s;
  q.len = n;
  q.map = m;
  q.outer = p->outer;
  q.outer_len = p->outer_len;
  q.query = true;
  q.err = p->err;
  rc = parse_query_text(&q, &e);
  free(m);
  if (rc == 0 && (rc = lex(p)) == 0)
    rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s", "query");
  if (rc == 0) {
    rc = wrap(p, f, dusk_plan_query(f->plan, e, s), where);
    e = NULL;
  }
  dusk_expr_free(e);
  free(s);
  return rc;
}

/* The string token at p->tok as a query-language expression, from its
 * decoded byte `from` on (errors point into the outer text): *e and the
 * decoded string *text (heap).  Leaves p at the token. */
static int expr_of_string(parser *p, size_t from, dusk_expr **e, char **text) {
  parser q;
  char *s = NULL;
  size_t n, *m = NULL;
  int rc;
  *e = NULL;
  *text = NULL;
  if ((rc = take_string(p, &p->tok, &s, &n, &m)) != 0)
    return rc;
  if (p->map != NULL)
    for (size_t i = 0; i <= n; i++)
      m[i] = p->map[m[i]];
  if (from > n)
    from = n;
  memset(&q, 0, sizeof q);
  q.src = s + from;
  q.len = n - from;
  q.map = m + from;
  q.outer = p->outer;
  q.outer_len = p->outer_len;
  q.query = true;
  q.err = p->err;
  rc = parse_query_text(&q, e);
  free(m);
  if (rc != 0) {
    free(s);
    return rc;
  }
  if (from > 0)
    memmove(s, s + from, n - from + 1);
  *text = s;
  return 0;
}

/* At "assign": assign(name="expr", ...), each a derived column (plan.h),
 * later ones seeing the earlier ones, as pandas' assign does. */
static int parse_assign(parser *p, plan_chain *f, size_t where) {
  int rc, any = 0;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "assign")) != 0)
    return rc;
  while (p->tok.kind != T_RPAREN) {
    char name[CLIP_BUF], *text = NULL;
    size_t at = p->tok.start;
    dusk_expr *e = NULL;
    if (p->tok.kind != T_IDENT)
      return fail(p, here(p),
                  "expected name=\"expression\" in assign, e.g. "
                  "assign(trip=\"DOLocationID - PULocationID\")");
    if (p->tok.end - p->tok.start >= sizeof name)
      return fail(p, at, "column name too long");
    memcpy(name, p->src + p->tok.start, p->tok.end - p->tok.start);
    name[p->tok.end - p->tok.start] = '\0';
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_ASSIGN, "expected '=' after %s", name)) != 0)
      return rc;
    if (p->tok.kind != T_STRING)
      return fail(p, here(p),
                  "expected the expression as a string, e.g. %s=\"x * 2\"",
                  name);
    if ((rc = expr_of_string(p, 0, &e, &text)) != 0)
      return rc;
    rc = wrap(p, f, dusk_plan_assign(f->plan, name, e, text), at);
    free(text);
    if (rc != 0 || (rc = lex(p)) != 0)
      return rc;
    any = 1;
    if (p->tok.kind == T_COMMA && (rc = lex(p)) != 0)
      return rc;
  }
  if (!any)
    return fail(p, where, "assign needs at least one name=\"expression\"");
  return expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                "assign");
}

/* At "eval": eval("name = expression"), a derived column. */
static int parse_eval(parser *p, plan_chain *f, size_t where) {
  char *raw = NULL, *text = NULL, name[CLIP_BUF];
  size_t n, i = 0, j;
  dusk_expr *e = NULL;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "eval")) != 0)
    return rc;
  if (p->tok.kind != T_STRING)
    return fail(p, here(p), "expected \"name = expression\" for eval");
  if ((rc = take_string(p, &p->tok, &raw, &n, NULL)) != 0)
    return rc;
  while (i < n && raw[i] == ' ')
    i++;
  j = i;
  while (j < n && (raw[j] == '_' || (raw[j] >= 'a' && raw[j] <= 'z') ||
                   (raw[j] >= 'A' && raw[j] <= 'Z') ||
                   (j > i && raw[j] >= '0' && raw[j] <= '9')))
    j++;
  if (j == i || j - i >= sizeof name) {
    free(raw);
    return fail(p, p->tok.start + 1 + i,
                "eval needs \"name = expression\" (a new column); dusk does "
                "not evaluate a bare expression");
  }
  memcpy(name, raw + i, j - i);
  name[j - i] = '\0';
  while (j < n && raw[j] == ' ')
    j++;
  if (j >= n || raw[j] != '=' || (j + 1 < n && raw[j + 1] == '=')) {
    free(raw);
    return fail(p, p->tok.start + 1 + j,
                "eval needs \"name = expression\" (a new column); dusk does "
                "not evaluate a bare expression");
  }
  free(raw);
  if ((rc = expr_of_string(p, j + 1, &e, &text)) != 0)
    return rc;
  rc = wrap(p, f, dusk_plan_assign(f->plan, name, e, text), where);
  free(text);
  if (rc == 0 && (rc = lex(p)) == 0)
    rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s", "eval");
  return rc;
}

/* The aggregation named s[0..n) at src offset where, or a failure. */
static int agg_lookup(parser *p, const char *s, size_t n, size_t where,
                      dusk_agg_fn *fn) {
  const char *names[DUSK_AGG_QUANTILE];
  char name[CLIP_BUF];
  const char *near;

  if ((*fn = dusk_agg_parse(s, n)) != 0)
    return 0;
  for (int i = 0; i < DUSK_AGG_QUANTILE; i++)
    names[i] = dusk_agg_name((dusk_agg_fn)(i + 1));
  near = closest(s, n, names, DUSK_AGG_QUANTILE);
  clip(name, s, n);
  if (near)
    return fail(p, where, "unknown aggregation '%s'; did you mean '%s'?", name,
                near);
  return fail(p, where,
              "unknown aggregation '%s'; use count, size, sum, mean, min, "
              "max, std, var, nunique, first, last, median or quantile",
              name);
}

typedef struct aggs {
  dusk_agg *v; /* columns borrow a strlist's strings */
  size_t n, cap;
} aggs;

static int aggs_push(parser *p, aggs *a, const char *column, dusk_agg_fn fn) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 4;
    dusk_agg *nv = realloc(a->v, cap * sizeof *nv);
    if (nv == NULL)
      return nomem(p);
    a->v = nv;
    a->cap = cap;
  }
  a->v[a->n].column = (char *)column;
  a->v[a->n].label = NULL;
  a->v[a->n].q = 0.5; /* quantile's default, as pandas' */
  a->v[a->n++].fn = fn;
  return 0;
}

/* At "(" after a groupby's quantile: ([q=] number)? ")", q in [0, 1]
 * (0.5 without one, as pandas); a list of q is refused. */
static int parse_group_q(parser *p, double *q) {
  int rc;
  *q = 0.5;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "quantile")) != 0)
    return rc;
  if (is_word(p, "q") &&
      ((rc = lex(p)) != 0 ||
       (rc = expect(p, T_ASSIGN, "expected '=' after %s", "q")) != 0))
    return rc;
  if (p->tok.kind == T_LBRACKET)
    return fail(p, here(p), "groupby quantile: one q at a time (a list "
                            "of q is not supported); .agg with several "
                            "quantile(q) steps is neither");
  if (p->tok.kind == T_FLOAT || p->tok.kind == T_INT) {
    *q = p->tok.kind == T_FLOAT ? p->tok.f : (double)p->tok.u;
    if (!(*q >= 0.0 && *q <= 1.0))
      return fail(p, here(p), "quantile: q must be between 0 and 1");
    if ((rc = lex(p)) != 0)
      return rc;
  } else if (p->tok.kind != T_RPAREN) {
    return fail(p, here(p), "quantile: q is a number between 0 and 1");
  }
  return expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                "quantile");
}

/* One aggregation for each selected column, or one for all of them. */
static int aggs_for(parser *p, aggs *a, const strlist *sel, bool has_sel,
                    dusk_agg_fn fn) {
  int rc = 0;
  if (!has_sel)
    return aggs_push(p, a, NULL, fn);
  for (size_t i = 0; i < sel->n && rc == 0; i++)
    rc = aggs_push(p, a, sel->v[i], fn);
  return rc;
}

/* An aggregation name string, consumed. */
static int agg_string(parser *p, dusk_agg_fn *fn) {
  char *s;
  size_t n;
  int rc = take_string(p, &p->tok, &s, &n, NULL);
  if (rc != 0)
    return rc;
  rc = agg_lookup(p, s, n, p->tok.start, fn);
  free(s);
  return rc ? rc : lex(p);
}

/* At '[' of agg([...]): the functions, consumed up to ']'. */
static int agg_fn_list(parser *p, dusk_agg_fn *fns, size_t max, size_t *n) {
  size_t open = p->tok.start;
  int rc = lex(p);
  *n = 0;
  while (rc == 0 && p->tok.kind != T_RBRACKET) {
    if (p->tok.kind != T_STRING)
      return fail(p, here(p), "expected an aggregation name string for %s",
                  "agg");
    if (*n == max)
      return fail(p, here(p), "at most %zu functions in agg([...])", max);
    if ((rc = agg_string(p, &fns[(*n)++])) != 0)
      return rc;
    if (p->tok.kind == T_COMMA)
      rc = lex(p);
    else if (p->tok.kind != T_RBRACKET)
      return fail(p, here(p), "expected ',' or ']' in the list of %s",
                  "aggregations");
  }
  if (rc == 0 && *n == 0)
    return need_one(p, 0, open, "agg([...])", "function");
  return rc ? rc : lex(p);
}

/* agg's state: the aggregates, and whether a dict value was a list
 * (pandas then labels every column (column, function)). */
typedef struct agg_dict {
  aggs *a;
  bool lists;
} agg_dict;

/* A dict value of agg: a function name, or a list of them. */
static int agg_entry(parser *p, void *state, const char *key) {
  agg_dict *d = state;
  dusk_agg_fn fn;
  int rc;
  if (p->tok.kind == T_LBRACKET) {
    dusk_agg_fn fns[64];
    size_t nf = 0;
    d->lists = true;
    if ((rc = agg_fn_list(p, fns, 64, &nf)) != 0)
      return rc;
    for (size_t i = 0; i < nf && rc == 0; i++)
      rc = aggs_push(p, d->a, key, fns[i]);
    return rc;
  }
  if (p->tok.kind != T_STRING)
    return fail(p, here(p),
                "expected an aggregation name string or a list of them "
                "for %s",
                "agg");
  rc = agg_string(p, &fn);
  return rc ? rc : aggs_push(p, d->a, key, fn);
}

/* Labels ag's aggregates (from `from` on): with the function's name
 * (level 0 empty), or column DUSK_LEVEL_SEP function (two_level), each a
 * string owned by labels. */
static int label_aggs(parser *p, aggs *ag, size_t from, bool two_level,
                      strlist *labels) {
  for (size_t i = from; i < ag->n; i++) {
    const char *fn = dusk_agg_name(ag->v[i].fn);
    const char *col = ag->v[i].column ? ag->v[i].column : "";
    size_t len = strlen(col) + strlen(fn) + 2;
    char *l = malloc(len);
    int rc;
    if (l == NULL)
      return nomem(p);
    if (two_level)
      snprintf(l, len, "%s%c%s", col, DUSK_LEVEL_SEP, fn);
    else
      snprintf(l, len, "%s", fn);
    if ((rc = strlist_push(p, labels, l, 0)) != 0)
      return rc;
  }
  /* strlist_push may move nothing it holds: pointers stay valid. */
  for (size_t i = from, k = labels->n - (ag->n - from); i < ag->n; i++, k++)
    ag->v[i].label = labels->v[k];
  return 0;
}

/* At a name of agg(name=...): named aggregation, name=("column", "fn"), or
 * of a Series (column given), name="fn"; each labelled name. */
static int agg_named(parser *p, aggs *ag, const char *column,
                     strlist *labels, strlist *cols) {
  int rc = 0;
  while (rc == 0 && p->tok.kind == T_IDENT) {
    char *label, *col = NULL;
    size_t at = p->tok.start, len = p->tok.end - p->tok.start;
    dusk_agg_fn fn;
    if ((label = malloc(len + 1)) == NULL)
      return nomem(p);
    memcpy(label, p->src + at, len);
    label[len] = '\0';
    if (strlist_has(labels, label)) {
      free(label);
      return fail(p, at, "agg: the name '%.*s' is given twice", (int)len,
                  p->src + at);
    }
    if ((rc = strlist_push(p, labels, label, at)) != 0 || (rc = lex(p)) != 0 ||
        (rc = expect(p, T_ASSIGN, "expected '=' after %s", label)) != 0)
      return rc;
    if (column == NULL) {
      if ((rc = expect(p, T_LPAREN,
                       "expected (\"column\", \"function\") after %s=",
                       label)) != 0)
        return rc;
      if (p->tok.kind != T_STRING)
        return fail(p, here(p), "expected the column name string");
      if ((rc = push_string(p, cols)) != 0)
        return rc;
      col = cols->v[cols->n - 1];
      if ((rc = expect(p, T_COMMA, "expected ',' after the column of %s",
                       label)) != 0)
        return rc;
    }
    if (p->tok.kind != T_STRING)
      return fail(p, here(p), "expected an aggregation name string");
    if ((rc = agg_string(p, &fn)) != 0)
      return rc;
    if (column == NULL &&
        (rc = expect(p, T_RPAREN, "expected ')' after (\"column\", "
                                  "\"function\")")) != 0)
      return rc;
    if ((rc = aggs_push(p, ag, column ? column : col, fn)) != 0)
      return rc;
    if (p->tok.kind == T_COMMA)
      rc = lex(p);
  }
  return rc;
}

/* At '[' after groupby(...) or a frame: ["col"] or [["a", "b"]] into sel,
 * up to and including the closing ']'.  *is_list tells which. */
static int parse_selection(parser *p, strlist *sel, bool *is_list,
                           const char *otherwise) {
  size_t open = p->tok.start;
  int rc = lex(p);
  if (rc != 0)
    return rc;
  *is_list = p->tok.kind == T_LBRACKET;
  if (*is_list) {
    if ((rc = parse_strlist(p, sel, "a column name", "columns")) != 0 ||
        (rc = need_one(p, sel->n, open, "a column selection [[...]]",
                       "column")) != 0)
      return rc;
    return expect(p, T_RBRACKET, "expected ']' after the column %s", "list");
  }
  if (p->tok.kind == T_STRING) {
    if ((rc = push_string(p, sel)) != 0)
      return rc;
    return expect(p, T_RBRACKET, "expected ']' after the column %s", "name");
  }
  return fail(p, here(p),
              "expected a column name string or a [list] of column names "
              "inside [...]%s",
              otherwise);
}

/* At "groupby": groupby(keys) selection? .agg...; a terminal. */
/* At a keyword argument of groupby or value_counts: "dropna" "=" bool
 * (pandas': False keeps rows with a missing key as a group). */
static int parse_dropna(parser *p, const char *what, bool *dropna) {
  int rc;
  if (!is_word(p, "dropna"))
    return fail(p, here(p), "expected dropna=True or dropna=False%s in %s",
                strcmp(what, "groupby") == 0 ? " or as_index=False"
                                             : " or normalize=True",
                what);
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_ASSIGN, "expected '=' after %s", "dropna")) != 0)
    return rc;
  if (!is_word(p, "True") && !is_word(p, "False"))
    return fail(p, here(p), "expected True or False for dropna");
  *dropna = is_word(p, "True");
  return lex(p);
}

static int parse_bool_kwarg(parser *p, const char *word, bool *out);

/* value_counts' arguments, from its '(' (the current token after the
 * method name is lexed past) to its ')': normalize= and dropna=. */
static int parse_value_counts_args(parser *p, bool *normalize, bool *dropna) {
  int rc;
  if ((rc = expect(p, T_LPAREN, "expected '(' after %s", "value_counts")) != 0)
    return rc;
  while (p->tok.kind == T_IDENT) {
    if (is_word(p, "normalize"))
      rc = parse_bool_kwarg(p, "normalize", normalize);
    else
      rc = parse_dropna(p, "value_counts", dropna);
    if (rc == 0 && p->tok.kind == T_COMMA)
      rc = lex(p);
    if (rc != 0)
      return rc;
  }
  return expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                "value_counts");
}

/* groupby(keys)["col"].value_counts(normalize=, dropna=), the method's
 * name the current token: pandas' SeriesGroupBy.value_counts (as_index=
 * False: pandas' DataFrameGroupBy.value_counts, the counts a column named
 * "count", or "proportion" when normalized). */
static int parse_group_value_counts(parser *p, plan_chain *f,
                                    const strlist *keys, const strlist *sel,
                                    bool has_sel, bool group_dropna,
                                    bool as_index, size_t where) {
  bool normalize = false, dropna = true;
  int rc;
  if (!has_sel || !f->series)
    return fail(p, here(p),
                "value_counts() after groupby needs one column: "
                "groupby(...)[\"col\"].value_counts()");
  if (keys->n > DUSK_VC_MAX_KEYS)
    return fail(p, here(p),
                "groupby(...)[\"col\"].value_counts(): at most %d keys",
                DUSK_VC_MAX_KEYS);
  if ((rc = lex(p)) != 0 ||
      (rc = parse_value_counts_args(p, &normalize, &dropna)) != 0)
    return rc;
  snprintf(f->terminal, sizeof f->terminal, "groupby(...).value_counts()");
  rc = wrap(p, f,
            dusk_plan_group_value_counts(f->plan, sel->v[0],
                                         (const char *const *)keys->v,
                                         keys->n),
            where);
  if (rc != 0)
    return rc;
  f->plan->keep_na = !dropna;
  f->plan->group_keep_na = !group_dropna;
  f->plan->normalize = normalize;
  f->plan->flat = !as_index;
  if (!as_index) {
    f->series = false;
    rc = wrap(p, f,
              dusk_plan_reset_index(f->plan,
                                    normalize ? "proportion" : "count", false),
              where);
  }
  return rc;
}

static int parse_groupby(parser *p, plan_chain *f, size_t where) {
  strlist keys = {0}, sel = {0}, aggkeys = {0}, labels = {0};
  aggs ag = {0};
  bool has_sel = false, dropna = true, as_index = true, size_method = false;
  dusk_agg_fn fn;
  token name;
  char mname[CLIP_BUF];
  int rc;

  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "groupby")) != 0)
    goto done;
  if (p->tok.kind == T_STRING) {
    rc = push_string(p, &keys);
  } else if (p->tok.kind == T_LBRACKET) {
    size_t open = p->tok.start;
    if ((rc = parse_strlist(p, &keys, "a column name", "keys")) == 0)
      rc = need_one(p, keys.n, open, "groupby", "key");
  } else {
    rc = fail(p, here(p),
              "expected a column name or a list of column names "
              "as the key of groupby");
  }
  while (rc == 0 && p->tok.kind == T_COMMA) {
    if ((rc = lex(p)) != 0)
      goto done;
    if (p->tok.kind == T_RPAREN)
      break;
    if (is_word(p, "sort")) {
      size_t at = here(p);
      bool sort = true;
      if ((rc = parse_bool_kwarg(p, "sort", &sort)) == 0 && !sort)
        rc = fail(p, at,
                  "groupby(sort=False): dusk gives the groups sorted by key "
                  "(pandas' default); sort_values() on the result orders "
                  "them otherwise");
      continue;
    }
    rc = is_word(p, "as_index") ? parse_bool_kwarg(p, "as_index", &as_index)
                                : parse_dropna(p, "groupby", &dropna);
  }
  if (rc != 0 ||
      (rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                   "groupby")) != 0)
    goto done;
  if (p->tok.kind == T_LBRACKET) {
    bool is_list;
    if ((rc = parse_selection(p, &sel, &is_list, "")) != 0)
      goto done;
    has_sel = true;
    f->series = !is_list;
  }
  if (p->tok.kind != T_DOT) {
    rc = fail(p, here(p),
              "expected an aggregation after groupby(...): .count(), "
              ".size(), .sum(), .mean(), .min(), .max(), .nunique(), "
              ".median(), .quantile(q) or .agg(...)");
    goto done;
  }
  if ((rc = lex(p)) != 0)
    goto done;
  name = p->tok;
  if (name.kind != T_IDENT) {
    rc = fail(p, here(p), "expected a method name after '.'");
    goto done;
  }
  if (is_word(p, "value_counts")) {
    rc = parse_group_value_counts(p, f, &keys, &sel, has_sel, dropna,
                                  as_index, where);
    goto done;
  }
  if (is_word(p, "agg") || is_word(p, "aggregate")) {
    bool series = f->series;
    tok_clip(p, &name, mname);
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_LPAREN, "expected '(' after %s", mname)) != 0)
      goto done;
    if (p->tok.kind == T_STRING) {
      /* agg("size") is size(): one unnamed count unless of a Series */
      if ((rc = agg_string(p, &fn)) == 0) {
        size_method = fn == DUSK_AGG_SIZE;
        rc = aggs_for(p, &ag, &sel, has_sel && (!size_method || series),
                      fn);
      }
    } else if (p->tok.kind == T_LBRACKET) {
      /* pandas: of a Series, a column per function named by it; of
       * columns, (column, function) pairs column by column. */
      dusk_agg_fn fns[64];
      size_t nf = 0;
      f->series = false;
      if ((rc = agg_fn_list(p, fns, 64, &nf)) != 0)
        goto done;
      for (size_t c = 0; c < (has_sel ? sel.n : 1) && rc == 0; c++)
        for (size_t i = 0; i < nf && rc == 0; i++)
          rc = aggs_push(p, &ag, has_sel ? sel.v[c] : NULL, fns[i]);
      if (rc == 0 && has_sel)
        rc = label_aggs(p, &ag, 0, !series, &labels);
      /* every column: the scheduler lists them, pandas' order */
      for (size_t i = 0; rc == 0 && !has_sel && i < ag.n; i++)
        ag.v[i].label = DUSK_LEVEL_SEP_STR;
    } else if (p->tok.kind == T_LBRACE && !has_sel) {
      agg_dict d = {&ag, false};
      rc = parse_dict(p, mname, &aggkeys, agg_entry, &d);
      if (rc == 0 && d.lists)
        rc = label_aggs(p, &ag, 0, true, &labels);
    } else if (p->tok.kind == T_IDENT) {
      f->series = false;
      if (has_sel && !series) {
        rc = fail(p, here(p),
                  "named aggregation of several selected columns: write "
                  "name=(\"column\", \"function\") on the groupby");
        goto done;
      }
      rc = agg_named(p, &ag, series ? sel.v[0] : NULL, &labels, &aggkeys);
      for (size_t i = 0; rc == 0 && i < ag.n; i++)
        ag.v[i].label = labels.v[i];
    } else if (has_sel) {
      rc = fail(p, here(p),
                "expected an aggregation name string or a list of them "
                "for %s",
                mname);
    } else {
      rc = fail(p, here(p),
                "expected an aggregation name, a list of them, a {column: "
                "aggregation} dict or name=(\"column\", \"function\") "
                "for %s",
                mname);
    }
    if (rc != 0 ||
        (rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                     mname)) != 0)
      goto done;
  } else {
    double q = 0.5;
    if ((rc = agg_lookup(p, p->src + name.start, name.end - name.start,
                         name.start, &fn)) != 0)
      goto done;
    tok_clip(p, &name, mname);
    size_method = fn == DUSK_AGG_SIZE;
    /* size() counts rows: named by the column of a Series selection
     * (g["x"].size()), unnamed otherwise (g[["x", "y"]].size() too). */
    if ((rc = fn == DUSK_AGG_QUANTILE ? parse_group_q(p, &q)
                                      : parse_noargs(p, mname)) != 0 ||
        (rc = aggs_for(p, &ag, &sel,
                       has_sel && (!size_method || f->series), fn)) != 0)
      goto done;
    for (size_t i = 0; i < ag.n; i++)
      ag.v[i].q = q;
  }
  snprintf(f->terminal, sizeof f->terminal, "groupby(...).%s()", mname);
  rc = wrap(p, f,
            dusk_plan_groupby(f->plan, (const char *const *)keys.v, keys.n,
                              ag.v, ag.n),
            where);
  if (rc == 0)
    f->plan->keep_na = !dropna;
  /* as_index=False: the keys as leading columns, as reset_index() gives
   * them; size()'s column is then "size", as pandas names it. */
  if (size_method) {
    f->unnamed = !(has_sel && f->series); /* as aggs_for named it */
    f->series = true;
  }
  if (rc == 0 && !as_index) {
    f->series = false;
    rc = wrap(p, f,
              dusk_plan_reset_index(
                  f->plan,
                  size_method ? "size" : NULL,
                  false),
              where);
  }
done:
  free(ag.v);
  strlist_free(&keys);
  strlist_free(&sel);
  strlist_free(&aggkeys);
  strlist_free(&labels);
  return rc;
}

/* At "head": head() or head(n). */
static int parse_head(parser *p, plan_chain *f, size_t where) {
  int64_t n = 5;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "head")) != 0)
    return rc;
  if (p->tok.kind == T_INT) {
    if (p->tok.u > (uint64_t)INT64_MAX)
      return out_of_range(p, p->tok.start, p->tok.end);
    n = (int64_t)p->tok.u;
    if ((rc = lex(p)) != 0)
      return rc;
  } else if (p->tok.kind != T_RPAREN) {
    return fail(p, here(p), "head needs a whole number of rows (>= 0)");
  }
  if ((rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                   "head")) != 0)
    return rc;
  snprintf(f->terminal, sizeof f->terminal, "head()");
  return wrap(p, f, dusk_plan_head(f->plan, n), where);
}

/* At "sample": sample(frac=F (, random_state=N)?), pandas' keyword
 * arguments; without random_state the seed is random, so each run draws
 * anew as pandas does. */
static int parse_sample(parser *p, plan_chain *f, size_t where) {
  double frac = -1;
  uint64_t seed;
  bool seeded = false;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "sample")) != 0)
    return rc;
  while (p->tok.kind == T_IDENT) {
    bool is_frac = is_word(p, "frac");
    size_t at = p->tok.start;
    if (!is_frac && !is_word(p, "random_state"))
      return fail(p, at, is_word(p, "n")
                             ? "sample(n=) needs the frame's length first; "
                               "use frac="
                             : "expected frac= or random_state=");
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_ASSIGN, "expected '=' after the name")) != 0)
      return rc;
    if (is_frac && p->tok.kind == T_FLOAT)
      frac = p->tok.f;
    else if (p->tok.kind == T_INT)
      (is_frac ? (void)(frac = (double)p->tok.u) : (void)(seed = p->tok.u));
    else
      return fail(p, here(p), is_frac ? "frac is a number from 0 to 1"
                                      : "random_state is a whole number");
    seeded |= !is_frac;
    if ((rc = lex(p)) != 0)
      return rc;
    if (p->tok.kind == T_COMMA && (rc = lex(p)) != 0)
      return rc;
  }
  if ((rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                   "sample")) != 0)
    return rc;
  if (!(frac >= 0 && frac <= 1))
    return fail(p, where,
                "sample needs frac= from 0 to 1 (sampling with replacement "
                "is not supported)");
  if (!seeded && getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
    return fail(p, where, "sample: no random seed (getrandom failed)");
  return wrap(p, f, dusk_plan_sample(f->plan, frac, seed), where);
}

/* At "to_csv": to_csv("dir"), also after a whole frame's sort_values. */
static int parse_to_csv(parser *p, plan_chain *f, size_t where) {
  char *dir;
  size_t n;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "to_csv")) != 0)
    return rc;
  if (p->tok.kind != T_STRING || p->tok.end - p->tok.start == 2)
    return fail(p, here(p),
                "expected a directory name (a non-empty string) for to_csv");
  if ((rc = take_string(p, &p->tok, &dir, &n, NULL)) != 0)
    return rc;
  if ((rc = lex(p)) == 0 &&
      (rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                   "to_csv")) == 0) {
    snprintf(f->terminal, sizeof f->terminal, "to_csv()");
    dusk_plan *sort = (dusk_plan *)dusk_plan_sort_node(f->plan);
    if (dusk_plan_sorts_rows(sort)) { /* written range-partitioned (plan.h) */
      sort->dir = dir;
      dir = NULL;
    } else {
      rc = wrap(p, f, dusk_plan_to_csv(f->plan, dir), where);
    }
  }
  free(dir);
  return rc;
}

/* ---- steps on a computed result (plan.h: post steps) ------------------- */

/* At a bool (True / False) or a [list] of them, into flags (up to max). */
static int parse_bools(parser *p, uint8_t *flags, size_t max, size_t *n,
                       bool *is_list) {
  int rc = 0;
  *n = 0;
  *is_list = p->tok.kind == T_LBRACKET;
  if (*is_list && (rc = lex(p)) != 0)
    return rc;
  do {
    if (*is_list && p->tok.kind == T_RBRACKET)
      break;
    if (!is_word(p, "True") && !is_word(p, "False"))
      return fail(p, here(p), "expected True or False for ascending");
    if (*n == max)
      return fail(p, here(p), "more than %zu ascending flags", max);
    flags[(*n)++] = is_word(p, "True");
    if ((rc = lex(p)) != 0)
      return rc;
    if (!*is_list || p->tok.kind != T_COMMA)
      break;
  } while ((rc = lex(p)) == 0);
  if (rc == 0 && *is_list)
    rc = expect(p, T_RBRACKET, "expected ']' after the %s", "ascending flags");
  return rc;
}

#define POST_MAX_KEYS 64

/* At "sort_values": sort_values(by?, ascending=...), by a string or a
 * [list]; no by sorts a one-column result (a Series) by its values. */
static int parse_sort_values(parser *p, plan_chain *f, size_t where) {
  strlist by = {0};
  uint8_t asc[POST_MAX_KEYS];
  size_t nasc = 0;
  bool asc_list = false, stable = false;
  dusk_plan *sorted;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "sort_values")) != 0)
    goto done;
  if (is_word(p, "by")) {
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_ASSIGN, "expected '=' after %s", "by")) != 0)
      goto done;
    if (p->tok.kind != T_STRING && p->tok.kind != T_LBRACKET) {
      rc = fail(p, here(p), "expected a column name or a [list] of them");
      goto done;
    }
  }
  if (p->tok.kind == T_STRING) {
    rc = push_string(p, &by);
  } else if (p->tok.kind == T_LBRACKET) {
    size_t open = p->tok.start;
    if ((rc = parse_strlist(p, &by, "a column name", "columns")) == 0)
      rc = need_one(p, by.n, open, "sort_values", "column");
  }
  if (rc != 0)
    goto done;
  if (by.n > POST_MAX_KEYS) {
    rc = fail(p, where, "sort_values takes at most %d columns",
              POST_MAX_KEYS);
    goto done;
  }
  if (by.n > 0 && p->tok.kind == T_COMMA && (rc = lex(p)) != 0)
    goto done;
  if (is_word(p, "ascending")) {
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_ASSIGN, "expected '=' after %s", "ascending")) != 0 ||
        (rc = parse_bools(p, asc, POST_MAX_KEYS, &nasc, &asc_list)) != 0)
      goto done;
    if (p->tok.kind == T_COMMA && (rc = lex(p)) != 0)
      goto done;
  }
  if (is_word(p, "kind")) { /* pandas' kind: quicksort (default), stable */
    size_t at;
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_ASSIGN, "expected '=' after %s", "kind")) != 0)
      goto done;
    at = here(p);
    if (p->tok.kind != T_STRING) {
      rc = fail(p, at, "kind: expected \"quicksort\", \"stable\" or "
                       "\"mergesort\"");
      goto done;
    }
    {
      char *kind = NULL;
      if ((rc = take_string(p, &p->tok, &kind, NULL, NULL)) != 0)
        goto done;
      if (strcmp(kind, "stable") == 0 || strcmp(kind, "mergesort") == 0)
        stable = true;
      else if (strcmp(kind, "quicksort") != 0)
        rc = fail(p, at, "kind '%.64s' is not supported (quicksort, "
                         "pandas' default; stable or mergesort)", kind);
      free(kind);
      if (rc != 0 || (rc = lex(p)) != 0)
        goto done;
    }
    if (p->tok.kind == T_COMMA && (rc = lex(p)) != 0)
      goto done;
  }
  if ((rc = expect(p, T_RPAREN,
                   "expected ')' after the arguments of %s (by, "
                   "ascending=, kind=)",
                   "sort_values")) != 0)
    goto done;
  {
    size_t want = by.n ? by.n : 1;
    if (nasc == 0)
      nasc = 1, asc[0] = 1;
    if (!asc_list || nasc == 1)
      for (size_t i = 1; i < want; i++)
        asc[i] = asc[0];
    else if (nasc != want) {
      rc = fail(p, where, "sort_values: %zu ascending flags for %zu columns",
                nasc, want);
      goto done;
    }
    snprintf(f->terminal, sizeof f->terminal, "sort_values()");
    sorted = dusk_plan_sort_values(f->plan, (const char *const *)by.v, by.n,
                                   asc, want);
    if (sorted != NULL && sorted->kind == DUSK_PLAN_SORT_VALUES)
      sorted->quicksort = !stable;
    rc = wrap(p, f, sorted, where);
  }
done:
  strlist_free(&by);
  return rc;
}

/* At "head" / "tail" / "nlargest" / "nsmallest" after a result:
 * head(n=5), tail(n=5), nlargest(n, by?), nsmallest(n, by?).  nlargest is
 * a stable descending sort then head, which is pandas' keep="first". */
static int parse_post_rows(parser *p, plan_chain *f, const char *what,
                           size_t where) {
  bool largest = strcmp(what, "nlargest") == 0;
  bool ranked = largest || strcmp(what, "nsmallest") == 0;
  strlist by = {0};
  int64_t n = 5;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", what)) != 0)
    goto done;
  if (p->tok.kind == T_INT) {
    if (p->tok.u > (uint64_t)INT64_MAX) {
      rc = out_of_range(p, p->tok.start, p->tok.end);
      goto done;
    }
    n = (int64_t)p->tok.u;
    if ((rc = lex(p)) != 0)
      goto done;
  } else if (ranked || p->tok.kind != T_RPAREN) {
    rc = fail(p, here(p), "%s needs a whole number of rows (>= 0)", what);
    goto done;
  }
  if (ranked && p->tok.kind == T_COMMA) {
    if ((rc = lex(p)) != 0)
      goto done;
    if (p->tok.kind == T_STRING)
      rc = push_string(p, &by);
    else if (p->tok.kind == T_LBRACKET)
      rc = parse_strlist(p, &by, "a column name", "columns");
    if (rc != 0)
      goto done;
  }
  if ((rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                   what)) != 0)
    goto done;
  snprintf(f->terminal, sizeof f->terminal, "%s()", what);
  if (ranked) {
    uint8_t asc[POST_MAX_KEYS];
    size_t want = by.n ? by.n : 1;
    if (want > POST_MAX_KEYS) {
      rc = fail(p, where, "%s takes at most %d columns", what, POST_MAX_KEYS);
      goto done;
    }
    memset(asc, largest ? 0 : 1, sizeof asc);
    if (!dusk_plan_takes_post(f->plan)) { /* a whole frame: a top-k */
      if (by.n == 0) {
        rc = fail(p, where, "%s of a frame needs the columns: %s(n, \"col\")",
                  what, what);
        goto done;
      }
      rc = wrap(p, f,
                dusk_plan_topk(f->plan, (const char *const *)by.v, by.n, asc,
                               n),
                where);
      goto done;
    }
    if ((rc = wrap(p, f,
                   dusk_plan_sort_values(f->plan, (const char *const *)by.v,
                                         by.n, asc, want),
                   where)) != 0)
      goto done;
  }
  rc = wrap(p, f,
            strcmp(what, "tail") == 0 ? dusk_plan_tail(f->plan, n)
                                      : dusk_plan_head(f->plan, n),
            where);
done:
  strlist_free(&by);
  return rc;
}

/* A keyword argument `word=True|False` at p (at the word). */
static int parse_bool_kwarg(parser *p, const char *word, bool *out) {
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_ASSIGN, "expected '=' after %s", word)) != 0)
    return rc;
  if (!is_word(p, "True") && !is_word(p, "False"))
    return fail(p, here(p), "expected True or False for %s", word);
  *out = is_word(p, "True");
  return lex(p);
}

static int rename_entry(parser *p, void *state, const char *key) {
  if (p->tok.kind != T_STRING)
    return fail(p, here(p), "expected the new name of '%s' as a string",
                key);
  return push_string(p, state);
}

/* At "rename": rename(columns={"old": "new", ...}), of a frame's columns
 * or a result's value columns. */
static int parse_rename(parser *p, plan_chain *f, size_t where) {
  strlist old = {0}, renamed = {0};
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "rename")) != 0)
    goto done;
  if (!is_word(p, "columns")) {
    rc = fail(p, here(p),
              "rename takes columns={\"old\": \"new\", ...} (a dict "
              "without columns= would rename the index, as in pandas)");
    goto done;
  }
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_ASSIGN, "expected '=' after %s", "columns")) != 0)
    goto done;
  if (p->tok.kind != T_LBRACE) {
    rc = fail(p, here(p), "expected a dict {\"old\": \"new\", ...}");
    goto done;
  }
  if ((rc = parse_dict(p, "rename", &old, rename_entry, &renamed)) != 0 ||
      (rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                   "rename")) != 0)
    goto done;
  for (size_t i = 0; i < renamed.n; i++)
    if (renamed.v[i][0] == '\0') {
      rc = fail(p, renamed.at[i], "rename: a new name may not be empty");
      goto done;
    }
  rc = wrap(p, f,
            dusk_plan_rename(f->plan, (const char *const *)old.v,
                             (const char *const *)renamed.v, old.n),
            where);
done:
  strlist_free(&old);
  strlist_free(&renamed);
  return rc;
}

/* At "reset_index" after a result: reset_index(drop=False?, name="n"?). */
static int parse_reset_index(parser *p, plan_chain *f, size_t where) {
  bool drop = false;
  char *name = NULL;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "reset_index")) != 0)
    return rc;
  while (rc == 0 && p->tok.kind == T_IDENT) {
    if (is_word(p, "drop")) {
      rc = parse_bool_kwarg(p, "drop", &drop);
    } else if (is_word(p, "name") && name == NULL) {
      if ((rc = lex(p)) != 0 ||
          (rc = expect(p, T_ASSIGN, "expected '=' after %s", "name")) != 0)
        break;
      if (p->tok.kind != T_STRING) {
        rc = fail(p, here(p), "reset_index: name is a string");
        break;
      }
      if ((rc = take_string(p, &p->tok, &name, NULL, NULL)) == 0)
        rc = lex(p);
    } else {
      rc = fail(p, here(p), "reset_index takes drop= and name=");
    }
    if (rc == 0 && p->tok.kind == T_COMMA)
      rc = lex(p);
  }
  if (rc == 0)
    rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                "reset_index");
  if (rc == 0)
    rc = wrap(p, f, dusk_plan_reset_index(f->plan, name, drop), where);
  f->series = f->series && drop; /* a Series keeps its shape with drop */
  free(name);
  return rc;
}

/* At "divisions" after "set_index(": divisions=[value, ...] (1 to
 * DUSK_PLAN_MAX_PARTS + 1 scalars), into v / *n (string values owned). */
static int parse_divisions(parser *p, dusk_value *v, size_t *n) {
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_ASSIGN, "expected '=' after %s", "divisions")) != 0)
    return rc;
  if (p->tok.kind != T_LBRACKET)
    return fail(p, here(p), "divisions takes a list [...]");
  if ((rc = lex(p)) != 0)
    return rc;
  while (p->tok.kind != T_RBRACKET) {
    if (*n == DUSK_PLAN_MAX_PARTS + 1)
      return fail(p, here(p), "divisions: at most %d values",
                  DUSK_PLAN_MAX_PARTS + 1);
    if (p->tok.kind != T_MINUS && p->tok.kind != T_INT &&
        p->tok.kind != T_FLOAT && p->tok.kind != T_STRING &&
        !is_word(p, "True") && !is_word(p, "False"))
      return fail(p, here(p), "divisions: expected a number, a string, "
                              "True or False");
    if ((rc = parse_fill_value(p, &v[*n], true)) != 0)
      return rc;
    (*n)++;
    if (p->tok.kind == T_COMMA) {
      if ((rc = lex(p)) != 0)
        return rc;
    } else if (p->tok.kind != T_RBRACKET) {
      return fail(p, here(p), "expected ',' or ']' in divisions");
    }
  }
  return lex(p);
}

/* At "set_index": set_index(keys, drop=True?, npartitions=n?,
 * divisions=[...]?), keys a column name or a [list] (keys= too).  Of a
 * whole frame's rows, Dask's: sorted by the keys first (stable), then
 * indexed (dusk_set_index), its range partitions as given
 * (dusk_npartitions, dusk_divisions_*). */
static int parse_set_index(parser *p, plan_chain *f, size_t where) {
  strlist keys = {0};
  bool drop = true;
  dusk_plan *plan, *sort;
  dusk_value divs[DUSK_PLAN_MAX_PARTS + 1];
  size_t ndivs = 0;
  int64_t nparts = 0;
  bool seen_divs = false;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "set_index")) != 0)
    goto done;
  if (is_word(p, "keys") &&
      ((rc = lex(p)) != 0 ||
       (rc = expect(p, T_ASSIGN, "expected '=' after %s", "keys")) != 0))
    goto done;
  if (p->tok.kind == T_STRING) {
    rc = push_string(p, &keys);
  } else if (p->tok.kind == T_LBRACKET) {
    size_t open = p->tok.start;
    if ((rc = parse_strlist(p, &keys, "a column name", "columns")) == 0)
      rc = need_one(p, keys.n, open, "set_index", "column");
  } else {
    rc = fail(p, here(p), "set_index: expected a column name or a [list] "
                          "of them");
  }
  if (rc != 0)
    goto done;
  if (keys.n > POST_MAX_KEYS) {
    rc = fail(p, where, "set_index takes at most %d columns", POST_MAX_KEYS);
    goto done;
  }
  while (rc == 0 && p->tok.kind == T_COMMA) {
    if ((rc = lex(p)) != 0)
      break;
    if (is_word(p, "drop")) {
      rc = parse_bool_kwarg(p, "drop", &drop);
    } else if (is_word(p, "npartitions")) {
      size_t at = p->tok.start;
      if (nparts > 0) {
        rc = fail(p, at, "set_index: npartitions= given twice");
        break;
      }
      if ((rc = lex(p)) != 0 ||
          (rc = expect(p, T_ASSIGN, "expected '=' after %s",
                       "npartitions")) != 0)
        break;
      if (p->tok.kind != T_INT || p->tok.u < 1 ||
          p->tok.u > DUSK_PLAN_MAX_PARTS) {
        rc = fail(p, at, "npartitions: an int, 1 to %d",
                  DUSK_PLAN_MAX_PARTS);
        break;
      }
      nparts = (int64_t)p->tok.u;
      rc = lex(p);
    } else if (is_word(p, "divisions")) {
      size_t at = p->tok.start;
      if (seen_divs) {
        rc = fail(p, at, "set_index: divisions= given twice");
        break;
      }
      seen_divs = true;
      if ((rc = parse_divisions(p, divs, &ndivs)) == 0 && ndivs < 2)
        rc = fail(p, at, "set_index: divisions= of one column, 2 or more "
                         "values, one more than npartitions=");
    } else if (p->tok.kind != T_RPAREN) {
      rc = fail(p, here(p), "set_index takes keys, drop=, npartitions= "
                            "and divisions=");
    }
  }
  if (rc != 0 ||
      (rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                   "set_index")) != 0)
    goto done;
  /* (of a whole frame's rows, sorted by the new index first) */
  plan = dusk_plan_set_index(f->plan, (const char *const *)keys.v, keys.n,
                             drop);
  f->plan = NULL;
  sort = (dusk_plan *)dusk_plan_sort_node(plan);
  if ((nparts > 0 || ndivs > 0) && plan != NULL) {
    if (sort == NULL || !dusk_plan_sorts_rows(sort)) {
      rc = fail(p, where, "set_index: npartitions= and divisions= cut a "
                          "whole frame's rows, not a computed result");
    } else if (ndivs > 0 &&
               (ndivs < 2 || keys.n != 1 ||
                (nparts > 0 && (size_t)nparts != ndivs - 1))) {
      rc = fail(p, where, "set_index: divisions= of one column, 2 or more "
                          "values, one more than npartitions=");
    } else if (dusk_plan_set_parts(sort, (uint32_t)nparts, divs, ndivs) !=
               0) {
      rc = nomem(p);
    }
    if (rc != 0) {
      dusk_plan_free(plan);
      goto done;
    }
  }
  snprintf(f->terminal, sizeof f->terminal, "set_index()");
  f->series = false;
  rc = wrap(p, f, plan, where);
done:
  for (size_t i = 0; i < ndivs; i++)
    if (divs[i].type == DUSK_TYPE_STRING)
      free((char *)divs[i].u.s.ptr);
  strlist_free(&keys);
  return rc;
}

/* At '.' + name after a chain that ended in a result a post step may
 * follow: 1 when name is none of them (the caller goes on). */
static int parse_post(parser *p, plan_chain *f, const token *name) {
  static const char *const rows[] = {"head", "tail", "nlargest", "nsmallest"};
  if (is_word(p, "sort_values"))
    return parse_sort_values(p, f, name->start);
  if (is_word(p, "query"))
    return parse_query_call(p, f, name->start);
  if (is_word(p, "assign"))
    return parse_assign(p, f, name->start);
  if (is_word(p, "eval"))
    return parse_eval(p, f, name->start);
  if (is_word(p, "rename"))
    return parse_rename(p, f, name->start);
  if (is_word(p, "reset_index"))
    return parse_reset_index(p, f, name->start);
  if (is_word(p, "set_index"))
    return parse_set_index(p, f, name->start);
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    if (is_word(p, rows[i]))
      return parse_post_rows(p, f, rows[i], name->start);
  if (is_word(p, "to_csv") && dusk_plan_sorts_rows(dusk_plan_sort_node(f->plan)))
    return parse_to_csv(p, f, name->start);
  if (is_word(p, "divisions") &&
      dusk_plan_sorts_rows(dusk_plan_sort_node(f->plan))) {
    /* .divisions of a whole frame's set_index (dusk_divisions) */
    const dusk_plan *sort = dusk_plan_sort_node(f->plan);
    dusk_plan *q;
    int rc;
    if (sort->ncolumns != 1 || !sort->ascending[0])
      return fail(p, name->start, "divisions: of a set_index of one column");
    if ((rc = lex(p)) != 0)
      return rc;
    q = dusk_plan_divisions(f->plan);
    f->plan = NULL;
    snprintf(f->terminal, sizeof f->terminal, "divisions");
    return wrap(p, f, q, name->start);
  }
  return 1;
}

/* At an aggregate's name (not size) after a frame or ["col"]: fn() over
 * column (NULL: every column it applies to), a whole-frame reduction. */
static int parse_reduction(parser *p, plan_chain *f, const char *column,
                           dusk_agg_fn fn, size_t where) {
  dusk_agg agg = {0};
  char name[CLIP_BUF];
  int rc;
  clip(name, dusk_agg_name(fn), strlen(dusk_agg_name(fn)));
  if ((rc = parse_noargs(p, name)) != 0)
    return rc;
  agg.column = (char *)column;
  agg.fn = fn;
  snprintf(f->terminal, sizeof f->terminal, "%s()", name);
  if ((rc = wrap(p, f, dusk_plan_groupby(f->plan, NULL, 0, &agg, 1),
                 where)) == 0)
    set_shape(f, column ? DUSK_RESULT_SCALAR : DUSK_RESULT_ROW);
  return rc;
}

/* One quantile, a number in [0, 1], into *q. */
static int parse_q(parser *p, double *q) {
  size_t at = p->tok.start;
  if (p->tok.kind == T_INT)
    *q = (double)p->tok.u;
  else if (p->tok.kind == T_FLOAT)
    *q = p->tok.f;
  else
    return fail(p, at, "expected a quantile, a number between 0 and 1");
  if (!(*q >= 0.0 && *q <= 1.0))
    return fail(p, at, "a quantile is between 0 and 1");
  return lex(p);
}

/* At "median" or "quantile" after a frame or ["col"] (column NULL: every
 * number column): median(), quantile(q = 0.5), quantile([q, ...]). */
static int parse_quantile(parser *p, plan_chain *f, const char *column,
                          size_t where) {
  bool median = is_word(p, "median");
  const char *what = median ? "median" : "quantile";
  double qs[DUSK_PLAN_MAX_QUANTILES];
  size_t nq = 0;
  bool listed = false;
  int rc;
  if (median) {
    if ((rc = parse_noargs(p, what)) != 0)
      return rc;
    qs[nq++] = 0.5;
  } else {
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_LPAREN, "expected '(' after quantile")) != 0)
      return rc;
    if (p->tok.kind == T_IDENT && is_word(p, "q")) {
      if ((rc = lex(p)) != 0 ||
          (rc = expect(p, T_ASSIGN, "expected '=' after q")) != 0)
        return rc;
    }
    if (p->tok.kind == T_LBRACKET) {
      listed = true;
      if ((rc = lex(p)) != 0)
        return rc;
      while (p->tok.kind != T_RBRACKET) { /* a trailing comma is fine */
        if (nq == DUSK_PLAN_MAX_QUANTILES)
          return fail(p, here(p), "at most %d quantiles",
                      DUSK_PLAN_MAX_QUANTILES);
        if ((rc = parse_q(p, &qs[nq++])) != 0)
          return rc;
        if (p->tok.kind == T_COMMA) {
          if ((rc = lex(p)) != 0)
            return rc;
        } else if (p->tok.kind != T_RBRACKET) {
          return fail(p, here(p), "expected ',' or ']' in the quantiles");
        }
      }
      if (nq == 0)
        return fail(p, here(p), "quantile([]) needs at least one quantile");
      if ((rc = lex(p)) != 0)
        return rc;
    } else if (p->tok.kind != T_RPAREN) {
      if ((rc = parse_q(p, &qs[nq++])) != 0)
        return rc;
    } else {
      qs[nq++] = 0.5;
    }
    if ((rc = expect(p, T_RPAREN, "expected ')' after the quantiles")) != 0)
      return rc;
  }
  snprintf(f->terminal, sizeof f->terminal, "%s()", what);
  if ((rc = wrap(p, f,
                 median ? dusk_plan_median(f->plan, column ? &column : NULL,
                                           column ? 1 : 0)
                        : dusk_plan_quantile(f->plan, column ? &column : NULL,
                                             column ? 1 : 0, qs, nq),
                 where)) != 0)
    return rc;
  /* pandas: of a column a scalar, or a Series over the q's; of a frame a
   * row named by its q (none for median), or a frame over the q's */
  if (column != NULL && listed)
    f->series = true, f->unnamed = false;
  else if (column != NULL)
    set_shape(f, DUSK_RESULT_SCALAR);
  else if (!listed)
    set_shape(f, median ? DUSK_RESULT_ROW : DUSK_RESULT_ROW_NAMED);
  return 0;
}

/* At "drop_duplicates": (subset=)? (string | [strings])?, keep="first". */
static int parse_drop_duplicates(parser *p, plan_chain *f, size_t where) {
  strlist cols = {0};
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after drop_duplicates")) != 0)
    goto done;
  if (is_word(p, "subset") &&
      ((rc = lex(p)) != 0 ||
       (rc = expect(p, T_ASSIGN, "expected '=' after subset")) != 0))
    goto done;
  if (p->tok.kind == T_STRING)
    rc = push_string(p, &cols);
  else if (p->tok.kind == T_LBRACKET)
    rc = parse_strlist(p, &cols, "a column name", "columns");
  if (rc != 0)
    goto done;
  if (p->tok.kind == T_COMMA && (rc = lex(p)) != 0)
    goto done;
  if (is_word(p, "keep")) {
    char *s = NULL;
    size_t n = 0;
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_ASSIGN, "expected '=' after keep")) != 0)
      goto done;
    if (p->tok.kind != T_STRING) {
      rc = fail(p, here(p), "keep: only \"first\" is supported");
      goto done;
    }
    if ((rc = take_string(p, &p->tok, &s, &n, NULL)) != 0)
      goto done;
    if (n != 5 || memcmp(s, "first", 5) != 0) {
      free(s);
      rc = fail(p, here(p), "keep: only \"first\" is supported");
      goto done;
    }
    free(s);
    if ((rc = lex(p)) != 0)
      goto done;
  }
  if ((rc = expect(p, T_RPAREN,
                   "expected ')' after the arguments of drop_duplicates "
                   "(subset, keep=\"first\")")) != 0)
    goto done;
  snprintf(f->terminal, sizeof f->terminal, "drop_duplicates()");
  rc = wrap(p, f,
            dusk_plan_drop_duplicates(f->plan, (const char *const *)cols.v,
                                      cols.n),
            where);
done:
  strlist_free(&cols);
  return rc;
}

/* At "dropna" after a frame: dropna(subset=str | [str...]?,
 * how="any" | "all"?). */
static int parse_dropna_rows(parser *p, plan_chain *f, size_t where) {
  strlist cols = {0};
  bool how_all = false;
  int rc;
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "dropna")) != 0)
    goto done;
  while (rc == 0 && p->tok.kind == T_IDENT) {
    if (is_word(p, "subset") && cols.n == 0) {
      size_t open;
      if ((rc = lex(p)) != 0 ||
          (rc = expect(p, T_ASSIGN, "expected '=' after %s", "subset")) != 0)
        break;
      open = p->tok.start;
      if (p->tok.kind == T_STRING)
        rc = push_string(p, &cols);
      else if (p->tok.kind == T_LBRACKET &&
               (rc = parse_strlist(p, &cols, "a column name", "columns")) ==
                   0)
        rc = need_one(p, cols.n, open, "dropna subset", "column");
      else if (rc == 0)
        rc = fail(p, here(p), "subset is a column name or a list of them");
    } else if (is_word(p, "how")) {
      char *how = NULL;
      size_t n = 0;
      if ((rc = lex(p)) != 0 ||
          (rc = expect(p, T_ASSIGN, "expected '=' after %s", "how")) != 0)
        break;
      if (p->tok.kind != T_STRING) {
        rc = fail(p, here(p), "how is \"any\" or \"all\"");
        break;
      }
      if ((rc = take_string(p, &p->tok, &how, &n, NULL)) != 0)
        break;
      if (strcmp(how, "any") != 0 && strcmp(how, "all") != 0) {
        free(how);
        rc = fail(p, here(p), "invalid how option: how is \"any\" or "
                              "\"all\"");
        break;
      }
      how_all = strcmp(how, "all") == 0;
      free(how);
      rc = lex(p);
    } else {
      rc = fail(p, here(p), "dropna takes subset= and how= (thresh and "
                            "axis=1 are not supported)");
    }
    if (rc == 0 && p->tok.kind == T_COMMA)
      rc = lex(p);
  }
  if (rc == 0)
    rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                "dropna");
  if (rc == 0)
    rc = wrap(p, f,
              dusk_plan_dropna(f->plan, (const char *const *)cols.v, cols.n,
                               how_all),
              where);
done:
  strlist_free(&cols);
  return rc;
}

/* One key argument of merge: a column name or a list of them. */
static int parse_merge_keys(parser *p, strlist *keys, const char *arg) {
  size_t open = p->tok.start;
  int rc;
  if (keys->n > 0)
    return fail(p, open, "merge: %s given twice", arg);
  if (p->tok.kind == T_STRING)
    return push_string(p, keys);
  if (p->tok.kind != T_LBRACKET)
    return fail(p, open, "merge: %s is a column name or a list of them", arg);
  if ((rc = parse_strlist(p, keys, "a column name", "columns")) != 0)
    return rc;
  return need_one(p, keys->n, open, "merge", "key");
}

/* merge's suffixes=("_x", "_y"): two strings in parentheses or brackets. */
static int parse_merge_suffixes(parser *p, strlist *sfx) {
  int close = p->tok.kind == T_LPAREN ? T_RPAREN : T_RBRACKET;
  int rc;
  if (p->tok.kind != T_LPAREN && p->tok.kind != T_LBRACKET)
    return fail(p, here(p), "merge: suffixes is a pair of strings");
  if ((rc = lex(p)) != 0)
    return rc;
  while (rc == 0 && (int)p->tok.kind != close) {
    if (p->tok.kind != T_STRING || sfx->n == 2)
      return fail(p, here(p), "merge: suffixes is a pair of strings");
    if ((rc = push_string(p, sfx)) == 0 && p->tok.kind == T_COMMA)
      rc = lex(p);
  }
  if (rc == 0 && sfx->n != 2)
    return fail(p, here(p), "merge: suffixes is a pair of strings");
  return rc ? rc : lex(p);
}

/* At "merge" after a frame: merge(right, how=, on= | left_on= and
 * right_on=, suffixes=, broadcast=True | False | None). */
static int parse_merge(parser *p, plan_chain *f, size_t where) {
  static const char *const kwargs[] = {"on", "left_on", "right_on", "how",
                                       "suffixes", "broadcast"};
  strlist on = {0}, lon = {0}, ron = {0}, sfx = {0};
  plan_chain right;
  char *how = NULL;
  int rc, strategy = -1; /* -1: not given */
  memset(&right, 0, sizeof right);
  if ((rc = lex(p)) != 0 ||
      (rc = expect(p, T_LPAREN, "expected '(' after %s", "merge")) != 0)
    goto done;
  if ((rc = parse_chain(p, "merge", &right)) != 0)
    goto done;
  while (rc == 0 && p->tok.kind == T_COMMA) {
    token name;
    size_t k;
    if ((rc = lex(p)) != 0 || p->tok.kind == T_RPAREN)
      break;
    name = p->tok;
    for (k = 0; k < 6 && !is_word(p, kwargs[k]); k++)
      ;
    if (name.kind != T_IDENT || k == 6) {
      rc = name.kind == T_IDENT
               ? fail_unknown(p, &name, "unknown argument", kwargs, 6,
                              "merge takes on, left_on, right_on, how, "
                              "suffixes and broadcast")
               : fail(p, here(p), "expected a keyword argument of merge");
      break;
    }
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_ASSIGN, "expected '=' after %s", kwargs[k])) != 0)
      break;
    if (k <= 2)
      rc = parse_merge_keys(p, k == 0 ? &on : k == 1 ? &lon : &ron,
                            kwargs[k]);
    else if (k == 4)
      rc = sfx.n ? fail(p, name.start, "merge: suffixes given twice")
                 : parse_merge_suffixes(p, &sfx);
    else if (k == 5) {
      if (strategy >= 0)
        rc = fail(p, name.start, "merge: broadcast given twice");
      else if (!is_word(p, "True") && !is_word(p, "False") &&
               !is_word(p, "None"))
        rc = fail(p, here(p), "merge: broadcast is True (the right side "
                              "sent to every partition), False (a shuffle "
                              "join) or None (dusk chooses)");
      else {
        strategy = is_word(p, "True")    ? DUSK_MERGE_BROADCAST
                   : is_word(p, "False") ? DUSK_MERGE_SHUFFLE
                                         : DUSK_MERGE_AUTO;
        rc = lex(p);
      }
    }
    else if (how != NULL || p->tok.kind != T_STRING)
      rc = fail(p, here(p), how ? "merge: how given twice"
                                : "merge: how is \"inner\", \"left\", "
                                  "\"right\" or \"outer\"");
    else if ((rc = take_string(p, &p->tok, &how, NULL, NULL)) == 0) {
      if (dusk_merge_how_parse(how) == 0)
        rc = fail(p, here(p), "merge: how is \"inner\", \"left\", "
                              "\"right\" or \"outer\", not \"%.40s\"",
                  how);
      else
        rc = lex(p);
    }
  }
  if (rc == 0)
    rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                "merge");
  if (rc == 0 && on.n > 0 && (lon.n > 0 || ron.n > 0))
    rc = fail(p, where, "merge: give on= or left_on= and right_on=, not both");
  else if (rc == 0 && on.n == 0 && (lon.n == 0 || ron.n == 0))
    rc = fail(p, where, lon.n + ron.n == 0
                            ? "merge needs keys: on= or left_on= and "
                              "right_on= (dusk does not guess common "
                              "columns)"
                            : "merge: left_on= and right_on= go together");
  else if (rc == 0 && lon.n != ron.n)
    rc = fail(p, where, "merge: len(right_on) must equal len(left_on) "
                        "(%zu and %zu)", ron.n, lon.n);
  if (rc == 0) {
    strlist *l = on.n ? &on : &lon, *r = on.n ? &on : &ron;
    dusk_plan *np = dusk_plan_merge(
        f->plan, right.plan, dusk_merge_how_parse(how ? how : "inner"),
        (const char *const *)l->v, (const char *const *)r->v, l->n,
        sfx.n ? (const char *const *)sfx.v : NULL);
    right.plan = NULL;
    if (np != NULL && strategy > 0)
      np->strategy = strategy;
    if (right.depth > f->depth)
      f->depth = right.depth;
    rc = wrap(p, f, np, where);
  }
done:
  dusk_plan_free(right.plan);
  free(how);
  strlist_free(&on);
  strlist_free(&lon);
  strlist_free(&ron);
  strlist_free(&sfx);
  return rc;
}

/* At '.' after a frame. */
static int parse_method(parser *p, const char *inside, plan_chain *f) {
  static const char *const methods[] = {
      "fillna", "query",  "assign",  "eval",        "groupby", "head",
      "tail",   "describe", "to_csv", "sort_values", "nlargest", "compute",
      "median", "quantile", "drop_duplicates", "sample", "rename", "dropna",
      "merge", "set_index"};
  token name;
  char mname[CLIP_BUF];
  dusk_agg_fn fn;
  int rc;

  if ((rc = lex(p)) != 0)
    return rc;
  name = p->tok;
  if (name.kind != T_IDENT)
    return fail(p, here(p), "expected a method name after '.'");
  tok_clip(p, &name, mname);
  if (is_word(p, "compute"))
    return parse_noargs(p, "compute");
  if (chain_ended(f) && dusk_plan_takes_post(f->plan) && inside == NULL &&
      (rc = parse_post(p, f, &name)) != 1)
    return rc;
  if (chain_ended(f))
    return fail(p, name.start,
                "nothing may follow %s except .compute()%s", f->terminal,
                dusk_plan_takes_post(f->plan)
                    ? " and a result's steps: sort_values, head, tail, "
                      "nlargest, nsmallest, query, assign, eval, rename, "
                      "reset_index, set_index, [[columns]]"
                    : "");
  if (is_word(p, "sort_values") || is_word(p, "tail") ||
      is_word(p, "nlargest") || is_word(p, "nsmallest")) {
    /* On a whole frame: a top-k (sort_values must be followed by head). */
    if ((rc = check_terminal(p, inside, &name, DUSK_PLAN_TOPK, mname)) != 0)
      return rc;
    return parse_post(p, f, &name);
  }
  if (is_word(p, "set_index")) { /* a whole frame's: sorted, then indexed */
    if ((rc = check_terminal(p, inside, &name, DUSK_PLAN_TOPK, mname)) != 0)
      return rc;
    return parse_set_index(p, f, name.start);
  }
  if (is_word(p, "fillna"))
    return parse_fillna(p, f, name.start);
  if (is_word(p, "rename"))
    return parse_rename(p, f, name.start);
  if (is_word(p, "dropna"))
    return parse_dropna_rows(p, f, name.start);
  if (is_word(p, "merge"))
    return parse_merge(p, f, name.start);
  if (is_word(p, "query"))
    return parse_query_call(p, f, name.start);
  if (is_word(p, "sample"))
    return parse_sample(p, f, name.start);
  if (is_word(p, "assign"))
    return parse_assign(p, f, name.start);
  if (is_word(p, "eval"))
    return parse_eval(p, f, name.start);
  if (is_word(p, "groupby")) {
    if ((rc = check_terminal(p, inside, &name, DUSK_PLAN_GROUPBY,
                             "groupby()")) != 0)
      return rc;
    return parse_groupby(p, f, name.start);
  }
  if (is_word(p, "head")) {
    if ((rc = check_terminal(p, inside, &name, DUSK_PLAN_HEAD, "head()")) !=
        0)
      return rc;
    return parse_head(p, f, name.start);
  }
  if (is_word(p, "describe")) {
    if ((rc = check_terminal(p, inside, &name, DUSK_PLAN_DESCRIBE,
                             "describe()")) != 0 ||
        (rc = parse_describe_args(p)) != 0)
      return rc;
    snprintf(f->terminal, sizeof f->terminal, "describe()");
    return wrap(p, f, dusk_plan_describe(f->plan), name.start);
  }
  if (is_word(p, "median") || is_word(p, "quantile")) {
    if ((rc = check_terminal(p, inside, &name, DUSK_PLAN_QUANTILE, mname)) !=
        0)
      return rc;
    return parse_quantile(p, f, NULL, name.start);
  }
  if (is_word(p, "drop_duplicates")) {
    if ((rc = check_terminal(p, inside, &name, DUSK_PLAN_DROP_DUPLICATES,
                             mname)) != 0)
      return rc;
    return parse_drop_duplicates(p, f, name.start);
  }
  if (is_word(p, "to_csv")) {
    if ((rc = check_terminal(p, inside, &name, DUSK_PLAN_TO_CSV,
                             "to_csv()")) != 0)
      return rc;
    return parse_to_csv(p, f, name.start);
  }
  if (is_word(p, "value_counts"))
    return fail(p, name.start,
                "value_counts() needs one column: write "
                "[\"col\"].value_counts()");
  fn = dusk_agg_parse(p->src + name.start, name.end - name.start);
  if (fn != 0 && fn != DUSK_AGG_SIZE) {
    if ((rc = check_terminal(p, inside, &name, DUSK_PLAN_GROUPBY, mname)) !=
        0)
      return rc;
    return parse_reduction(p, f, NULL, fn, name.start);
  }
  if (is_word(p, "agg") || is_word(p, "aggregate") || fn == DUSK_AGG_SIZE)
    return fail(p, name.start,
                "%s() on a whole frame is not supported; use "
                ".groupby(...).%s(), .sum(), .mean(), ... or .describe()",
                mname, mname);
  return fail_unknown(p, &name, "unknown method", methods,
                      sizeof methods / sizeof methods[0],
                      "expected fillna, dropna, query, assign, eval, rename, "
                      "groupby, head, describe, to_csv, a reduction (sum, "
                      "mean, ...) or compute");
}

/* At '[' after a frame: [["a", "b"]] selects, ["a"].value_counts(). */
static int parse_subscript(parser *p, const char *inside, plan_chain *f) {
  strlist sel = {0};
  size_t open = p->tok.start;
  bool is_list, dropna = true, normalize = false;
  char name[CLIP_BUF];
  token m;
  int rc;

  if (chain_ended(f) && !(dusk_plan_takes_post(f->plan) && inside == NULL))
    return fail(p, open, "nothing may follow %s except .compute()",
                f->terminal);
  if ((rc = parse_selection(p, &sel, &is_list,
                            "; to filter rows use .query(\"...\")")) != 0)
    goto done;
  if (chain_ended(f)) { /* a result's value columns (a post step) */
    if (f->series) {
      rc = fail(p, open,
                "%s gives a Series: [...] of it looks up index labels in "
                "pandas; filter them with .query(\"key in [...]\") or "
                ".reset_index() first",
                f->terminal);
      goto done;
    }
    rc =
        wrap(p, f, dusk_plan_select(f->plan, (const char *const *)sel.v, sel.n),
             open);
    goto done;
  }
  if (is_list) {
    rc =
        wrap(p, f, dusk_plan_select(f->plan, (const char *const *)sel.v, sel.n),
             open);
    goto done;
  }
  clip(name, sel.v[0], strlen(sel.v[0]));
  if (p->tok.kind == T_DOT && (rc = lex(p)) != 0)
    goto done;
  m = p->tok;
  if (m.kind == T_IDENT && p->src[m.start - 1] == '.') {
    dusk_agg_fn fn = dusk_agg_parse(p->src + m.start, m.end - m.start);
    if (fn != 0 && fn != DUSK_AGG_SIZE && fn != DUSK_AGG_MEDIAN &&
        fn != DUSK_AGG_QUANTILE) {
      char what[CLIP_BUF];
      tok_clip(p, &m, what);
      if ((rc = check_terminal(p, inside, &m, DUSK_PLAN_GROUPBY, what)) == 0)
        rc = parse_reduction(p, f, sel.v[0], fn, m.start);
      goto done;
    }
    if (is_word(p, "median") || is_word(p, "quantile")) {
      char what[CLIP_BUF];
      tok_clip(p, &m, what);
      if ((rc = check_terminal(p, inside, &m, DUSK_PLAN_QUANTILE, what)) == 0)
        rc = parse_quantile(p, f, sel.v[0], m.start);
      goto done;
    }
  }
  if (is_word(p, "describe") && p->src[m.start - 1] == '.') {
    /* pandas' Series.describe(): of numbers the moments and exact
     * percentiles, of text or bools count / unique / top / freq (the
     * scheduler picks by the column's type). */
    if ((rc = check_terminal(p, inside, &m, DUSK_PLAN_DESCRIBE,
                             "describe()")) != 0 ||
        (rc = parse_describe_args(p)) != 0)
      goto done;
    snprintf(f->terminal, sizeof f->terminal, "describe()");
    rc = wrap(p, f,
              dusk_plan_describe_columns(f->plan, (const char *const *)sel.v,
                                         1),
              m.start);
    f->series = true, f->unnamed = false;
    goto done;
  }
  if (is_word(p, "unique") && p->src[m.start - 1] == '.') {
    /* pandas' Series.unique(): the distinct values in order of
     * appearance, a column under a 0..n-1 index that print() shows as
     * the array pandas returns (numpy's, or a nullable column's
     * IntegerArray / BooleanArray). */
    bool masked = dusk_plan_column_masked(f->plan, sel.v[0]);
    if ((rc = check_terminal(p, inside, &m, DUSK_PLAN_DROP_DUPLICATES,
                             "unique()")) != 0 ||
        (rc = parse_noargs(p, "unique")) != 0 ||
        (rc = wrap(p, f,
                   dusk_plan_select(f->plan, (const char *const *)sel.v, 1),
                   m.start)) != 0 ||
        (rc = wrap(p, f, dusk_plan_drop_duplicates(f->plan, NULL, 0),
                   m.start)) != 0)
      goto done;
    snprintf(f->terminal, sizeof f->terminal, "unique()");
    rc = wrap(p, f, dusk_plan_reset_index(f->plan, NULL, true), m.start);
    if (rc == 0)
      set_shape(f, DUSK_RESULT_ARRAY | (masked ? DUSK_RESULT_NULLABLE : 0));
    goto done;
  }
  if (!is_word(p, "value_counts") || p->src[m.start - 1] != '.') {
    /* A lone name must be followed by .value_counts(): pandas' Series
     * methods are not part of the language. */
    rc = fail(p, here(p),
              "after [\"%s\"]: expected .value_counts(), .unique(), "
              ".describe(), .quantile() or a reduction (.sum(), .mean(), "
              "...); its largest rows: .nlargest(n, \"%s\") of the frame; "
              "[[\"%s\"]] selects columns",
              name, name, name);
    goto done;
  }
  if ((rc = check_terminal(p, inside, &m, DUSK_PLAN_VALUE_COUNTS,
                           "value_counts()")) != 0 ||
      (rc = lex(p)) != 0 ||
      (rc = parse_value_counts_args(p, &normalize, &dropna)) != 0)
    goto done;
  snprintf(f->terminal, sizeof f->terminal, "value_counts()");
  f->series = true, f->unnamed = false;
  rc = wrap(p, f, dusk_plan_value_counts(f->plan, sel.v[0]), m.start);
  if (rc == 0) {
    f->plan->keep_na = !dropna;
    f->plan->normalize = normalize;
    f->nullable = f->plan->masked;
  }
done:
  strlist_free(&sel);
  return rc;
}

/* "blocksize" as a string: a number, optional spaces, a unit (dask's
 * parse_bytes: decimal kB/MB/GB/TB, binary KiB/MiB/GiB/TiB, case-
 * insensitive, the B optional).  m maps s back to src offsets. */
static int parse_size(parser *p, const char *s, size_t n, const size_t *m,
                      int64_t *out) {
  static const struct {
    const char *unit;
    double mult;
  } units[] = {
      {"", 1},
      {"b", 1},
      {"k", 1e3},
      {"kb", 1e3},
      {"m", 1e6},
      {"mb", 1e6},
      {"g", 1e9},
      {"gb", 1e9},
      {"t", 1e12},
      {"tb", 1e12},
      {"p", 1e15},
      {"pb", 1e15},
      {"ki", 1024.0},
      {"kib", 1024.0},
      {"mi", 1048576.0},
      {"mib", 1048576.0},
      {"gi", 1073741824.0},
      {"gib", 1073741824.0},
      {"ti", 1099511627776.0},
      {"tib", 1099511627776.0},
      {"pi", 1125899906842624.0},
      {"pib", 1125899906842624.0},
  };
  size_t i = 0, num, digits = 0, ustart, uend;
  char buf[64], text[CLIP_BUF];
  double val, mult = -1;

  while (i < n && s[i] == ' ')
    i++;
  num = i;
  while (i < n && is_digit((unsigned char)s[i])) {
    i++;
    digits++;
  }
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && is_digit((unsigned char)s[i])) {
      i++;
      digits++;
    }
  }
  clip(text, s, n);
  if (digits == 0 || i - num >= sizeof buf)
    return fail(p, m[num],
                "bad blocksize '%s': expected a number and a unit, e.g. "
                "\"64MB\"",
                text);
  memcpy(buf, s + num, i - num);
  buf[i - num] = '\0';
  val = strtod(buf, NULL);
  while (i < n && s[i] == ' ')
    i++;
  ustart = i;
  uend = n;
  while (uend > ustart && s[uend - 1] == ' ')
    uend--;
  for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
    size_t ul = strlen(units[k].unit), j;
    if (ul != uend - ustart)
      continue;
    for (j = 0; j < ul; j++) {
      char c = s[ustart + j];
      if (c >= 'A' && c <= 'Z')
        c = (char)(c - 'A' + 'a');
      if (c != units[k].unit[j])
        break;
    }
    if (j == ul) {
      mult = units[k].mult;
      break;
    }
  }
  if (mult < 0) {
    clip(text, s + ustart, uend - ustart);
    return fail(p, m[ustart],
                "bad blocksize unit '%s'; use B, kB, MB, GB, TB, KiB, MiB, "
                "GiB or TiB",
                text);
  }
  val *= mult;
  if (!(val >= 1 && val <= (double)BLOCKSIZE_MAX))
    return fail(p, m[num], "blocksize must be between 1 B and 1 TiB");
  *out = (int64_t)val;
  return 0;
}

static int parse_blocksize(parser *p, int64_t *out) {
  size_t start = p->tok.start;
  int rc;
  if (p->tok.kind == T_MINUS) {
    if ((rc = lex(p)) != 0)
      return rc;
    if (p->tok.kind == T_INT)
      return fail(p, start, "blocksize must be between 1 B and 1 TiB");
  } else if (p->tok.kind == T_INT) {
    if (p->tok.u < 1 || p->tok.u > (uint64_t)BLOCKSIZE_MAX)
      return fail(p, start, "blocksize must be between 1 B and 1 TiB");
    *out = (int64_t)p->tok.u;
    return lex(p);
  } else if (p->tok.kind == T_STRING) {
    char *s;
    size_t n, *m;
    if ((rc = take_string(p, &p->tok, &s, &n, &m)) != 0)
      return rc;
    rc = parse_size(p, s, n, m, out);
    free(s);
    free(m);
    return rc ? rc : lex(p);
  }
  return fail(p, here(p),
              "expected a byte count (e.g. 64000000) or a size string (e.g. "
              "\"64MB\") for blocksize");
}

typedef struct dtypes {
  dusk_dtype *v; /* columns borrow the dict's keys */
  size_t n, cap;
} dtypes;

static int dtype_entry(parser *p, void *state, const char *key) {
  dtypes *d = state;
  char name[CLIP_BUF], *s = NULL;
  size_t n, where = p->tok.start;
  dusk_type t;
  bool no_na;
  int rc;

  clip(name, key, strlen(key));
  if (p->tok.kind == T_STRING) {
    if ((rc = take_string(p, &p->tok, &s, &n, NULL)) != 0)
      return rc;
    t = dusk_type_parse_na(s, n, &no_na);
  } else if (p->tok.kind == T_IDENT) {
    n = p->tok.end - p->tok.start;
    t = dusk_type_parse_na(p->src + p->tok.start, n, &no_na);
  } else {
    return fail(p, here(p),
                "expected a type name (e.g. \"int64\") for column '%s'", name);
  }
  if (t == DUSK_TYPE_NULL) {
    char tname[CLIP_BUF];
    if (s != NULL)
      clip(tname, s, n);
    else
      tok_clip(p, &p->tok, tname);
    free(s);
    return fail(p, where,
                "unknown dtype '%s' for column '%s'; use bool, int64, "
                "float64 or string",
                tname, name);
  }
  free(s);
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 4;
    dusk_dtype *nv = realloc(d->v, cap * sizeof *nv);
    if (nv == NULL)
      return nomem(p);
    d->v = nv;
    d->cap = cap;
  }
  d->v[d->n].column = (char *)key;
  d->v[d->n].no_na = no_na;
  d->v[d->n++].type = t;
  return lex(p);
}

/* After "read_csv" (the lookahead is the token after the name). */
static int parse_read_csv(parser *p, plan_chain *f, size_t where) {
  static const char *const kwargs[] = {"blocksize", "usecols", "dtype", "sep",
                                       "parse_dates", "anon"};
  enum { NKW = sizeof kwargs / sizeof kwargs[0] };
  strlist paths = {0}, usecols = {0}, dkeys = {0}, dates = {0};
  dtypes dt = {0};
  dusk_csv_options opts;
  bool seen[NKW] = {false};
  int rc;

  memset(&opts, 0, sizeof opts);
  opts.sep = ',';
  if ((rc = expect(p, T_LPAREN, "expected '(' after %s", "read_csv")) != 0)
    goto done;
  if (p->tok.kind == T_STRING) {
    rc = push_string(p, &paths);
  } else if (p->tok.kind == T_LBRACKET) {
    size_t open = p->tok.start;
    if ((rc = parse_strlist(p, &paths, "a path", "paths")) == 0)
      rc = need_one(p, paths.n, open, "read_csv", "path");
  } else {
    rc = fail(p, here(p),
              "expected a path string or a list of path strings "
              "as the first argument of read_csv");
  }
  for (size_t i = 0; rc == 0 && i < paths.n; i++)
    if (paths.v[i][0] == '\0')
      rc = fail(p, paths.at[i], "empty path");
  while (rc == 0 && p->tok.kind == T_COMMA) {
    token name;
    size_t k;
    char aname[CLIP_BUF];
    if ((rc = lex(p)) != 0 || p->tok.kind == T_RPAREN)
      break;
    name = p->tok;
    if (name.kind != T_IDENT) {
      rc = fail(p, here(p),
                "expected a keyword argument of read_csv "
                "(blocksize=, usecols=, dtype=, sep=, parse_dates= or "
                "anon=)");
      break;
    }
    for (k = 0; k < NKW && !is_word(p, kwargs[k]); k++)
      ;
    if (k == NKW) {
      rc = fail_unknown(p, &name, "unknown argument", kwargs, NKW,
                        "read_csv takes blocksize, usecols, dtype, sep, "
                        "parse_dates and anon");
      break;
    }
    if (seen[k]) {
      rc = fail(p, name.start, "argument '%s' given twice", kwargs[k]);
      break;
    }
    seen[k] = true;
    tok_clip(p, &name, aname);
    if (k == 5) {
      rc = parse_bool_kwarg(p, "anon", &opts.anon);
      continue;
    }
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_ASSIGN, "expected '=' after %s", aname)) != 0)
      break;
    if (k == 0) {
      rc = parse_blocksize(p, &opts.blocksize);
    } else if (k == 1) {
      size_t open = p->tok.start;
      if (p->tok.kind != T_LBRACKET)
        rc = fail(p, here(p), "expected a list of column names for usecols");
      else if ((rc = parse_strlist(p, &usecols, "a column name", "columns")) ==
               0)
        rc = need_one(p, usecols.n, open, "usecols", "column");
    } else if (k == 4) {
      size_t open = p->tok.start;
      if (p->tok.kind != T_LBRACKET)
        rc = fail(p, here(p),
                  "expected a list of column names for parse_dates");
      else if ((rc = parse_strlist(p, &dates, "a column name", "columns")) ==
               0)
        rc = need_one(p, dates.n, open, "parse_dates", "column");
    } else if (k == 2) {
      if (p->tok.kind != T_LBRACE)
        rc = fail(p, here(p), "expected a {column: type} dict for dtype");
      else
        rc = parse_dict(p, "dtype", &dkeys, dtype_entry, &dt);
    } else {
      char *s = NULL;
      size_t n = 0;
      if (p->tok.kind == T_STRING &&
          (rc = take_string(p, &p->tok, &s, &n, NULL)) != 0)
        break;
      if (n != 1 || s[0] == '"' || s[0] == '\n' || s[0] == '\r' ||
          (unsigned char)s[0] >= 0x80) {
        free(s);
        rc = fail(p, here(p),
                  "sep must be a one-character string other "
                  "than a quote or a newline");
        break;
      }
      opts.sep = s[0];
      free(s);
      rc = lex(p);
    }
  }
  if (rc == 0)
    rc = expect(p, T_RPAREN, "expected ')' after the arguments of %s",
                "read_csv");
  /* parse_dates=[cols] is a datetime64[ns] dtype for each (plan.h). */
  for (size_t i = 0; rc == 0 && i < dates.n; i++) {
    size_t j = 0;
    while (j < dt.n && strcmp(dt.v[j].column, dates.v[i]) != 0)
      j++;
    if (j == dt.n) {
      if (dt.n == dt.cap) {
        size_t cap = dt.cap ? dt.cap * 2 : 8;
        dusk_dtype *v = realloc(dt.v, cap * sizeof *v);
        if (v == NULL) {
          rc = nomem(p);
          break;
        }
        dt.v = v;
        dt.cap = cap;
      }
      dt.v[dt.n++].column = dates.v[i];
    }
    dt.v[j].type = DUSK_TYPE_DATETIME;
    dt.v[j].no_na = false; /* NaT is missing */
  }
  if (rc == 0) {
    opts.usecols = usecols.v;
    opts.nusecols = usecols.n;
    opts.dtypes = dt.v;
    opts.ndtypes = dt.n;
    f->plan = dusk_plan_read_csv((const char *const *)paths.v, paths.n, &opts);
    f->depth = 0;
    rc = wrap(p, f, f->plan, where);
  }
done:
  strlist_free(&paths);
  strlist_free(&usecols);
  strlist_free(&dkeys);
  strlist_free(&dates);
  free(dt.v);
  return rc;
}

/* After "concat" (the lookahead is the token after the name). */
static int parse_concat(parser *p, plan_chain *f, size_t where) {
  dusk_plan **v = NULL;
  size_t n = 0, cap = 0, open;
  int maxd = 0, rc;
  bool seen = false;

  if ((rc = expect(p, T_LPAREN, "expected '(' after %s", "concat")) != 0)
    return rc;
  if (p->tok.kind != T_LBRACKET)
    return fail(p, here(p),
                "expected a list [...] of frames as the argument of concat");
  open = p->tok.start;
  if (++p->depth > MAX_DEPTH)
    return too_deep(p, open);
  rc = lex(p);
  while (rc == 0 && p->tok.kind != T_RBRACKET) {
    plan_chain sub;
    if ((rc = parse_chain(p, "concat", &sub)) != 0)
      break;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 4;
      dusk_plan **nv = realloc(v, ncap * sizeof *nv);
      if (nv == NULL) {
        dusk_plan_free(sub.plan);
        rc = nomem(p);
        break;
      }
      v = nv;
      cap = ncap;
    }
    v[n++] = sub.plan;
    if (sub.depth > maxd)
      maxd = sub.depth;
    if (p->tok.kind == T_COMMA)
      rc = lex(p);
    else if (p->tok.kind != T_RBRACKET)
      rc = fail(p, here(p), "expected ',' or ']' in the list of frames");
  }
  if (rc == 0)
    rc = lex(p);
  p->depth--;
  if (rc == 0)
    rc = need_one(p, n, open, "concat", "frame");
  while (rc == 0 && p->tok.kind == T_COMMA) {
    static const char *const kwargs[] = {"ignore_index"};
    token name;
    if ((rc = lex(p)) != 0 || p->tok.kind == T_RPAREN)
      break;
    name = p->tok;
    if (name.kind != T_IDENT) {
      rc = fail(p, here(p),
                "expected a keyword argument of concat (ignore_index=)");
    } else if (!is_word(p, "ignore_index")) {
      rc = fail_unknown(p, &name, "unknown argument", kwargs, 1,
                        "concat takes ignore_index");
    } else if (seen) {
      rc = fail(p, name.start, "argument '%s' given twice", "ignore_index");
    } else if ((rc = lex(p)) == 0 &&
               (rc = expect(p, T_ASSIGN, "expected '=' after %s",
                            "ignore_index")) == 0) {
      seen = true;
      if (!is_word(p, "True") && !is_word(p, "False"))
        rc = fail(p, here(p), "expected True or False for ignore_index");
      else
        rc = lex(p);
    }
  }
  if (rc == 0)
    rc =
        expect(p, T_RPAREN, "expected ')' after the arguments of %s", "concat");
  if (rc == 0) {
    dusk_plan *np = dusk_plan_concat(v, n);
    n = 0; /* the plans now belong to np, or were freed with it */
    f->depth = maxd;
    rc = wrap(p, f, np, where);
  }
  for (size_t i = 0; i < n; i++)
    dusk_plan_free(v[i]);
  free(v);
  return rc;
}

/* A frame's start: read_csv(...), concat([...]) or (frame). */
static int parse_source(parser *p, const char *inside, plan_chain *f) {
  static const char *const funcs[] = {"read_csv", "concat", "len"};
  token name;
  int rc;

  if (p->tok.kind == T_LPAREN) {
    size_t open = p->tok.start;
    if (++p->depth > MAX_DEPTH)
      return too_deep(p, open);
    if ((rc = lex(p)) != 0 || (rc = parse_chain(p, inside, f)) != 0)
      return rc;
    p->depth--;
    return expect(p, T_RPAREN, "expected ')' after the frame in %s",
                  "parentheses");
  }
  if (p->tok.kind != T_IDENT)
    return fail(p, here(p),
                p->depth == 0 && inside == NULL
                    ? "expected read_csv(...), concat([...]) or "
                      "len(...)"
                    : "expected a frame: read_csv(...), "
                      "concat([...]) or (...)");
  name = p->tok;
  if ((rc = lex(p)) != 0)
    return rc;
  if (p->tok.kind == T_DOT) {
    if (!token_is(p, &name, "pd") && !token_is(p, &name, "dd")) {
      char text[CLIP_BUF];
      tok_clip(p, &name, text);
      return fail(p, name.start,
                  "unknown name '%s'; a query starts with read_csv(...), "
                  "concat([...]) or len(...)",
                  text);
    }
    if ((rc = lex(p)) != 0)
      return rc;
    if (p->tok.kind != T_IDENT)
      return fail(p, here(p), "expected read_csv or concat after '.'");
    name = p->tok;
    if ((rc = lex(p)) != 0)
      return rc;
  }
  if (token_is(p, &name, "read_csv"))
    return parse_read_csv(p, f, name.start);
  if (token_is(p, &name, "concat"))
    return parse_concat(p, f, name.start);
  if (token_is(p, &name, "len"))
    return fail(p, name.start, "len(...) must enclose the whole query");
  return fail_unknown(
      p, &name, p->tok.kind == T_LPAREN ? "unknown function" : "unknown name",
      funcs, 3,
      "a query starts with read_csv(...), concat([...]) or "
      "len(...)");
}

/* The steps after a frame's source. */
static int parse_postfix(parser *p, const char *inside, plan_chain *f) {
  int rc = 0;
  while (rc == 0) {
    if (p->tok.kind == T_DOT)
      rc = parse_method(p, inside, f);
    else if (p->tok.kind == T_LBRACKET)
      rc = parse_subscript(p, inside, f);
    else
      break;
  }
  return rc;
}

/* frame := source postfix*.  inside names the call the frame is an
 * argument of ("concat", "len"), or is NULL at the top.  On failure f->plan
 * is freed. */
static int parse_chain(parser *p, const char *inside, plan_chain *f) {
  int rc;
  memset(f, 0, sizeof *f);
  rc = parse_source(p, inside, f);
  if (rc == 0)
    rc = parse_postfix(p, inside, f);
  if (rc != 0) {
    dusk_plan_free(f->plan);
    f->plan = NULL;
  }
  return rc;
}

static int parse_top(parser *p, plan_chain *f) {
  int rc;
  memset(f, 0, sizeof *f);
  if ((rc = lex(p)) != 0)
    return rc;
  if (p->tok.kind == T_EOF)
    return fail(p, p->tok.start,
                "empty query: expected read_csv(...), "
                "concat([...]) or len(...)");
  if (is_word(p, "len")) {
    size_t where = p->tok.start;
    plan_chain sub;
    if ((rc = lex(p)) != 0 ||
        (rc = expect(p, T_LPAREN, "expected '(' after %s", "len")) != 0)
      return rc;
    if (++p->depth > MAX_DEPTH)
      return too_deep(p, where);
    if ((rc = parse_chain(p, "len", &sub)) != 0)
      return rc;
    p->depth--;
    f->plan = sub.plan;
    f->depth = sub.depth;
    if ((rc = expect(p, T_RPAREN, "expected ')' after the frame in %s",
                     "len(...)")) == 0 &&
        (rc = wrap(p, f, dusk_plan_len(f->plan), where)) == 0) {
      snprintf(f->terminal, sizeof f->terminal, "len()");
      set_shape(f, DUSK_RESULT_SCALAR);
      rc = parse_postfix(p, NULL, f);
    }
  } else {
    rc = parse_chain(p, NULL, f);
  }
  if (rc == 0 && p->tok.kind != T_EOF) {
    char desc[CLIP_BUF + 16];
    tok_desc(p, desc, sizeof desc);
    rc =
        fail(p, p->tok.start, "unexpected %s after the end of the query", desc);
  }
  if (rc != 0) {
    dusk_plan_free(f->plan);
    f->plan = NULL;
  }
  return rc;
}

/* What pandas returns for the parsed chain f. */
static int chain_result(const plan_chain *f) {
  if (f->series)
    return (f->unnamed ? DUSK_RESULT_SERIES_UNNAMED : DUSK_RESULT_SERIES) |
           (f->nullable ? DUSK_RESULT_NULLABLE : 0);
  return f->plan == f->shaped ? f->shape : DUSK_RESULT_FRAME;
}

int dusk_query_parse(const char *text, dusk_plan **out, dusk_error *err) {
  return dusk_query_parse_result(text, out, NULL, err);
}

int dusk_query_parse_result(const char *text, dusk_plan **out, int *result,
                            dusk_error *err) {
  parser p;
  plan_chain f;
  int rc;

  if (out != NULL)
    *out = NULL;
  if (text == NULL || out == NULL)
    return dusk_error_set(err, DUSK_EINVAL,
                          "dusk_query_parse: text and out must not be NULL");
  dusk_error_clear(err);
  memset(&p, 0, sizeof p);
  p.src = p.outer = text;
  p.len = p.outer_len = strlen(text);
  p.err = err;
  rc = parse_top(&p, &f);
  if (rc == 0)
    *out = f.plan;
  if (rc == 0 && result != NULL)
    *result = chain_result(&f);
  return rc;
}
