/* moments.c - settling, merging and finishing std / var states
 * (moments.h says what they hold and why). */
#include "moments.h"

/* s + e == a + b exactly, s the rounded sum (Knuth's TwoSum: no
 * assumption on the operands' magnitudes). */
static void two_sum(double a, double b, double *s, double *e) {
  double x = a + b, bv = x - a, av = x - bv;
  *s = x;
  *e = (a - av) + (b - bv);
}

void dusk_moments_settle(const dusk_moments_sums *s, dusk_moments *out) {
  double n = (double)s->n, d, p, m2;
  out->n = s->n + s->ninf;
  out->hi = out->lo = out->m2 = 0;
  if (s->ninf > 0) { /* pandas' mean is the infinity, its deviations NaN */
    out->hi = s->inf;
    out->m2 = NAN;
    return;
  }
  if (s->n == 0)
    return;
  /* the sums are s1 + c1 and s2 + c2; m2 = s2 - s1 d, the product's
   * rounding taken back by fma (where m2 cancels most of s2, every bit
   * of s1 d counts) */
  d = (s->s1 + s->c1) / n;
  p = s->s1 * d;
  m2 = (s->s2 - p) + ((s->c2 - fma(s->s1, d, -p)) - s->c1 * d);
  if (!isfinite(s->s1) || !isfinite(s->s2) || !isfinite(m2)) {
    /* finite values whose sums overflowed: pandas' sum of squares is
     * +inf there too */
    out->hi = s->k + d;
    out->m2 = INFINITY;
    return;
  }
  /* mean = k + d + (what dividing s1 lost: fma's residual is exact) */
  two_sum(s->k, d, &out->hi, &out->lo);
  two_sum(out->hi, out->lo + (fma(-d, n, s->s1) + s->c1) / n, &out->hi,
          &out->lo);
  out->m2 = m2 > 0 ? m2 : 0; /* below 0 only by rounding */
}

/* merge's answer once a side holds an infinite value or overflowed. */
static void merge_nonfinite(dusk_moments *a, const dusk_moments *b) {
  if (isnan(a->m2) || isnan(b->m2)) {
    /* the infinities' sum is the mean (+inf + -inf: NaN) */
    a->hi = (isnan(a->m2) ? a->hi : 0) + (isnan(b->m2) ? b->hi : 0);
    a->m2 = NAN;
  } else {
    a->hi = a->hi + b->hi;
    a->m2 = INFINITY;
  }
  a->lo = 0;
  a->n += b->n;
}

void dusk_moments_merge(dusk_moments *a, const dusk_moments *b) {
  double s, e, delta, w, m2;
  int64_t t;
  if (b->n == 0)
    return;
  if (a->n == 0) {
    *a = *b;
    return;
  }
  if (!isfinite(a->m2) || !isfinite(b->m2) || !isfinite(a->hi) ||
      !isfinite(b->hi)) {
    merge_nonfinite(a, b);
    return;
  }
  /* Chan et al.: delta is the means' difference, exact to the last bit
   * of the smaller of delta and lo (hi's difference by TwoSum). */
  t = a->n + b->n;
  two_sum(b->hi, -a->hi, &s, &e);
  delta = s + (e + (b->lo - a->lo));
  w = (double)b->n / (double)t;
  m2 = a->m2 + b->m2 + delta * delta * (double)a->n * w;
  two_sum(a->hi, a->lo + delta * w, &a->hi, &a->lo);
  a->m2 = isfinite(m2) ? m2 : INFINITY;
  a->n = t;
}

double dusk_moments_var(const dusk_moments *m) {
  if (m->n < 2)
    return NAN;
  return m->m2 / (double)(m->n - 1);
}

double dusk_moments_var_two_pass(const dusk_moments *m) {
  if (m->n < 2)
    return NAN;
  return (m->m2 + (double)m->n * m->lo * m->lo) / (double)(m->n - 1);
}
