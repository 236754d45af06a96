/* csvscan_simd.c - the CSV fast path's structural indexer: finds the
 * separators and line ends of a quote-free span 64 bytes at a time, with
 * AVX2 where the CPU has it (checked at run time), SSE2, or portable
 * eight-bytes-at-a-time code.  csvscan.c reads records from the index. */
#include "csvscan_simd.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && !defined(DUSK_CSVSCAN_NO_SIMD)
#include <emmintrin.h>
#define HAVE_SSE2 1
#endif
/* AVX2 code is compiled for any x86-64 target with a target attribute and
 * run only where the CPU has it (dusk_csv_pick_indexer). */
#if defined(HAVE_SSE2) && defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2 1
#endif

/* Structural bitmasks of one 64-byte block, three ways (SIMD_SWAR,
 * SIMD_SSE2, SIMD_AVX2; dusk_csv_pick_indexer picks one per scan): bit k of *any is
 * set when p[k] is the separator, '\r' or '\n', and bit k of *eol when it
 * is '\r' or '\n', for k < min(avail, 64); *high gets a nonzero value ORed
 * in when one of those bytes is not ASCII.  A short tail is copied into
 * zeroed storage first: NUL is none of them (the separator cannot be NUL),
 * and nothing past avail is read.  All three give the same bits
 * (check_csvscan reads its random and large files each way). */
enum simd_level { SIMD_SWAR, SIMD_SSE2, SIMD_AVX2 };

#define TAIL_COPY(p, avail, tail)                                              \
  do {                                                                         \
    if ((avail) < 64) {                                                        \
      memset((tail), 0, sizeof(tail));                                         \
      memcpy((tail), (p), (avail));                                            \
      (p) = (tail);                                                            \
    }                                                                          \
  } while (0)

static inline void struct_bits_swar(const unsigned char *p, size_t avail,
                                    unsigned char sep, uint64_t *any,
                                    uint64_t *eol, uint64_t *high) {
  unsigned char tail[64];
  uint64_t ma = 0, me = 0, hi = 0;
  TAIL_COPY(p, avail, tail);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  {
    /* Eight bytes at a time: a byte of w ^ pattern is zero where w holds
     * the pattern's byte; the exact zero-byte test (no false positives)
     * leaves 0x80 there, and one multiplication gathers those eight bits
     * into the top byte. */
    const uint64_t lo7 = UINT64_C(0x7F7F7F7F7F7F7F7F);
    const uint64_t ones = UINT64_C(0x0101010101010101);
    const uint64_t gather = UINT64_C(0x0102040810204080);
    const uint64_t ps = ones * sep, pr = ones * '\r', pn = ones * '\n';
    for (int k = 0; k < 8; k++) {
      uint64_t w, a, r, n, hs, he;
      memcpy(&w, p + 8 * k, 8);
      hi |= w & ~lo7;
      a = w ^ ps;
      r = w ^ pr;
      n = w ^ pn;
      a = ((a & lo7) + lo7) | a;
      r = ((r & lo7) + lo7) | r;
      n = ((n & lo7) + lo7) | n;
      he = ~(r & n) & ~lo7;
      hs = he | (~a & ~lo7);
      ma |= (((hs >> 7) * gather) >> 56) << (8 * k);
      me |= (((he >> 7) * gather) >> 56) << (8 * k);
    }
  }
#else
  for (int k = 0; k < 64; k++) {
    uint64_t e = p[k] == '\r' || p[k] == '\n';
    me |= e << k;
    ma |= (e | (p[k] == sep)) << k;
    hi |= p[k] & 0x80u;
  }
#endif
  *any = ma;
  *eol = me;
  *high |= hi;
}

#if defined(HAVE_SSE2)
static inline void struct_bits_sse2(const unsigned char *p, size_t avail,
                                    unsigned char sep, uint64_t *any,
                                    uint64_t *eol, uint64_t *high) {
  unsigned char tail[64];
  uint64_t ma = 0, me = 0;
  const __m128i vs = _mm_set1_epi8((char)sep);
  const __m128i vr = _mm_set1_epi8('\r');
  const __m128i vn = _mm_set1_epi8('\n');
  __m128i h = _mm_setzero_si128();
  TAIL_COPY(p, avail, tail);
  for (int k = 0; k < 4; k++) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
    __m128i e = _mm_or_si128(_mm_cmpeq_epi8(x, vr), _mm_cmpeq_epi8(x, vn));
    __m128i a = _mm_or_si128(e, _mm_cmpeq_epi8(x, vs));
    h = _mm_or_si128(h, x);
    ma |= (uint64_t)(unsigned)_mm_movemask_epi8(a) << (16 * k);
    me |= (uint64_t)(unsigned)_mm_movemask_epi8(e) << (16 * k);
  }
  *any = ma;
  *eol = me;
  *high |= (uint64_t)(unsigned)_mm_movemask_epi8(h);
}
#endif

#if defined(HAVE_AVX2)
#define AVX2_TARGET __attribute__((target("avx2,bmi,bmi2,popcnt")))
static inline AVX2_TARGET void struct_bits_avx2(const unsigned char *p,
                                                size_t avail, unsigned char sep,
                                                uint64_t *any, uint64_t *eol,
                                                uint64_t *high) {
  unsigned char tail[64];
  const __m256i vs = _mm256_set1_epi8((char)sep);
  const __m256i vr = _mm256_set1_epi8('\r');
  const __m256i vn = _mm256_set1_epi8('\n');
  __m256i x0, x1, e0, e1, a0, a1;
  TAIL_COPY(p, avail, tail);
  x0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
  x1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
  e0 = _mm256_or_si256(_mm256_cmpeq_epi8(x0, vr), _mm256_cmpeq_epi8(x0, vn));
  e1 = _mm256_or_si256(_mm256_cmpeq_epi8(x1, vr), _mm256_cmpeq_epi8(x1, vn));
  a0 = _mm256_or_si256(e0, _mm256_cmpeq_epi8(x0, vs));
  a1 = _mm256_or_si256(e1, _mm256_cmpeq_epi8(x1, vs));
  *any = (uint64_t)(uint32_t)_mm256_movemask_epi8(a0) |
         (uint64_t)(uint32_t)_mm256_movemask_epi8(a1) << 32;
  *eol = (uint64_t)(uint32_t)_mm256_movemask_epi8(e0) |
         (uint64_t)(uint32_t)_mm256_movemask_epi8(e1) << 32;
  *high |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(x0, x1));
}
#endif

/* Appends the structural bytes of u[*cur, len) to the index, 64 bytes at a
 * time, until `want` entries are held or the span is indexed: idx[] their
 * offsets in order, eolj[] which of those entries are line ends.  *cur
 * advances by whole blocks (the last may be short).  The index has room
 * for 64 entries past `want` (a block's worth), which the writes below
 * may use as scratch.
 *
 * Two ways to turn a block's bits into entries.  One bit at a time
 * (index_bits): eolj[] is written for every entry and kept only for line
 * ends, so there is no branch on the byte, but the loop's exit is a
 * branch on the count of set bits, which a CPU cannot predict.  Eight at a
 * time (index_bits_wide, with a population count instruction): eight
 * entries are written whatever the count (the extra ones are scratch,
 * overwritten by the next block), then eight more while any are left,
 * and a line end's entry number is the count of set bits below it; a
 * record of under 64 bytes and 8 fields takes one round. */
#define INDEX_MORE(name, bits_fn, flatten_fn, attr)                            \
  static attr void name(uint32_t *idx, uint32_t *eolj, size_t *cnt,            \
                        size_t *ne, const unsigned char *u, size_t len,        \
                        size_t *cur, unsigned char sep, size_t want,           \
                        uint64_t *high) {                                      \
    size_t c = *cnt, e = *ne, at = *cur;                                       \
    while (at < len && c < want) {                                             \
      uint64_t any, eol;                                                       \
      bits_fn(u + at, len - at, sep, &any, &eol, high);                        \
      flatten_fn(idx, eolj, &c, &e, (uint32_t)at, any, eol);                   \
      at += 64;                                                                \
    }                                                                          \
    *cnt = c;                                                                  \
    *ne = e;                                                                   \
    *cur = at < len ? at : len;                                                \
  }

static inline void index_bits(uint32_t *idx, uint32_t *eolj, size_t *cnt,
                              size_t *ne, uint32_t at, uint64_t any,
                              uint64_t eol) {
  size_t c = *cnt, e = *ne;
  while (any != 0) {
    unsigned bit = (unsigned)__builtin_ctzll(any);
    idx[c] = at + bit;
    eolj[e] = (uint32_t)c;
    e += (size_t)((eol >> bit) & 1u);
    c++;
    any &= any - 1;
  }
  *cnt = c;
  *ne = e;
}

#if defined(HAVE_AVX2)
/* The lowest set bit's index of x, or 63 for 0 (a scratch entry). */
#define LOW_BIT(x) ((unsigned)__builtin_ctzll((x) | (UINT64_C(1) << 63)))

static inline AVX2_TARGET void index_bits_wide(uint32_t *idx, uint32_t *eolj,
                                               size_t *cnt, size_t *ne,
                                               uint32_t at, uint64_t any,
                                               uint64_t eol) {
  size_t c = *cnt, e = *ne;
  size_t n = (size_t)__builtin_popcountll(any);
  size_t m = (size_t)__builtin_popcountll(eol);
  uint64_t a = any, l = eol;
  uint32_t *o = idx + c;
  for (;;) {
    for (int k = 0; k < 8; k++) {
      o[k] = at + LOW_BIT(a);
      a &= a - 1;
    }
    if (a == 0)
      break;
    o += 8;
  }
  for (;;) {
    for (int k = 0; k < 2; k++) {
      unsigned bit = LOW_BIT(l);
      eolj[e + (size_t)k] =
          (uint32_t)(c + (size_t)__builtin_popcountll(
                             any & ((UINT64_C(1) << bit) - 1)));
      l &= l - 1;
    }
    if (l == 0)
      break;
    e += 2;
  }
  *cnt = c + n;
  *ne = *ne + m;
}
#endif

INDEX_MORE(index_more_swar, struct_bits_swar, index_bits, )
#if defined(HAVE_SSE2)
INDEX_MORE(index_more_sse2, struct_bits_sse2, index_bits, )
#endif
#if defined(HAVE_AVX2)
INDEX_MORE(index_more_avx2, struct_bits_avx2, index_bits_wide, AVX2_TARGET)
#endif

/* The best structural indexer this CPU runs, no better than DUSK_CSV_SIMD
 * allows (swar, sse2 or avx2; read at the start of each scan like
 * DUSK_CSV_FASTPATH, for tests). */
dusk_csv_index_fn dusk_csv_pick_indexer(void) {
  const char *env = getenv("DUSK_CSV_SIMD");
  enum simd_level cap = SIMD_AVX2;
  if (env != NULL && strcmp(env, "swar") == 0)
    cap = SIMD_SWAR;
  else if (env != NULL && strcmp(env, "sse2") == 0)
    cap = SIMD_SSE2;
#if defined(HAVE_AVX2)
  if (cap >= SIMD_AVX2 && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt"))
    return index_more_avx2;
#endif
#if defined(HAVE_SSE2)
  if (cap >= SIMD_SSE2)
    return index_more_sse2;
#endif
  (void)cap;
  return index_more_swar;
}

