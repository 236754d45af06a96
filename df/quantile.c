/* quantile.c - exact quantiles in two scans (see quantile.h). */
#include "quantile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGN ((uint64_t)1 << 63)

uint64_t dusk_qkey_from_i64(int64_t x) { return (uint64_t)x ^ SIGN; }
int64_t dusk_qkey_to_i64(uint64_t k) { return (int64_t)(k ^ SIGN); }

uint64_t dusk_qkey_from_f64(double x) {
  uint64_t b;
  if (x == 0.0)
    x = 0.0; /* -0.0 sorts with 0.0, as numpy's sort has it */
  memcpy(&b, &x, sizeof b);
  return (b & SIGN) ? ~b : b | SIGN;
}

double dusk_qkey_to_f64(uint64_t k) {
  uint64_t b = (k & SIGN) ? k & ~SIGN : ~k;
  double x;
  memcpy(&x, &b, sizeof x);
  return x;
}

void dusk_qkey_sort(uint64_t *keys, uint64_t *tmp, size_t n) {
  uint64_t *src = keys, *dst = tmp;
  size_t count[256];
  uint64_t all_or = 0, all_and = ~(uint64_t)0;
  if (n < 2)
    return;
  for (size_t i = 0; i < n; i++) {
    all_or |= keys[i];
    all_and &= keys[i];
  }
  for (int shift = 0; shift < 64; shift += 8) {
    size_t sum = 0;
    /* Every key has the same byte here: nothing to reorder. */
    if ((((all_or ^ all_and) >> shift) & 0xff) == 0)
      continue;
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
      count[(src[i] >> shift) & 0xff]++;
    for (int d = 0; d < 256; d++) {
      size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      dst[count[(src[i] >> shift) & 0xff]++] = src[i];
    uint64_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != keys)
    memcpy(keys, src, n * sizeof *keys);
}

/* ---- scan 1: run summaries ----------------------------------------------- */

/* First index of sorted[0..n) holding a key >= k (strict: > k). */
static size_t lower_bound(const uint64_t *sorted, size_t n, uint64_t k,
                          int strict) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strict ? sorted[mid] <= k : sorted[mid] < k)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int dusk_qsummary_add_run(dusk_table *t, int64_t col, int64_t range,
                          int64_t run, const uint64_t *sorted, size_t n) {
  size_t k = n < DUSK_QSUM_ENTRIES ? n : DUSK_QSUM_ENTRIES;
  dusk_value row[DUSK_QSUM_NCOLS];
  size_t next = 0; /* ranks below this one are covered by an entry */
  for (size_t c = 0; c < DUSK_QSUM_NCOLS; c++)
    row[c].type = DUSK_TYPE_INT64;
  row[DUSK_QSUM_COL].u.i = col;
  row[DUSK_QSUM_RANGE].u.i = range;
  row[DUSK_QSUM_RUN].u.i = run;
  row[DUSK_QSUM_N].u.i = (int64_t)n;
  for (size_t e = 0; e <= k; e++) {
    /* Evenly spaced ranks, and the last one (the run's largest value). */
    size_t rank = e < k ? (size_t)((unsigned __int128)e * n / k) : n - 1;
    uint64_t key;
    size_t hi;
    int rc;
    if (rank < next)
      continue; /* inside the previous entry's run of equal values */
    key = sorted[rank];
    hi = lower_bound(sorted, n, key, 1);
    row[DUSK_QSUM_KEY].u.i = (int64_t)key;
    row[DUSK_QSUM_RLO].u.i = (int64_t)lower_bound(sorted, rank + 1, key, 0);
    row[DUSK_QSUM_RHI].u.i = (int64_t)hi;
    if ((rc = dusk_table_append_row(t, row)) != 0)
      return rc;
    next = hi;
  }
  return 0;
}

/* ---- bounds -------------------------------------------------------------- */

void dusk_quantile_ranks(int64_t n, double q, int64_t *below, int64_t *above,
                         double *gamma) {
  /* pandas hands numpy percentiles (q * 100), which numpy divides by 100
   * again: the same double arithmetic gives the same ranks. */
  double qq = (q * 100.0) / 100.0;
  double h = (double)(n - 1) * qq;
  double f = floor(h);
  *gamma = h - f;
  if (h >= (double)(n - 1)) {
    *below = *above = n - 1;
    return;
  }
  *below = (int64_t)f;
  *above = *below + 1;
}

/* One run of a column's merged summary. */
typedef struct qrun {
  const uint64_t *key;
  const int64_t *rlo, *rhi;
  size_t n;      /* entries */
  int64_t count; /* values in the run */
} qrun;

/* An upper bound on the values below v, over every run. */
static int64_t ub_below(const qrun *runs, size_t nruns, uint64_t v) {
  int64_t s = 0;
  for (size_t r = 0; r < nruns; r++) {
    size_t i = lower_bound(runs[r].key, runs[r].n, v, 0);
    s += i < runs[r].n ? runs[r].rlo[i] : runs[r].count;
  }
  return s;
}

/* A lower bound on the values at or below v, over every run. */
static int64_t lb_at_or_below(const qrun *runs, size_t nruns, uint64_t v) {
  int64_t s = 0;
  for (size_t r = 0; r < nruns; r++) {
    size_t i = lower_bound(runs[r].key, runs[r].n, v, 1);
    s += i > 0 ? runs[r].rhi[i - 1] : 0;
  }
  return s;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The bounds of one column: rows idx[0..m) of the summary. */
static int column_bounds(const dusk_table *s, int64_t col, const size_t *idx,
                         size_t m, const double *qs, size_t nq,
                         dusk_table *out, dusk_error *err) {
  const dusk_table_column *c = s->cols;
  uint64_t *key = malloc((m + 1) * sizeof *key);
  uint64_t *cand = malloc((m + 1) * sizeof *cand);
  uint64_t *tmp = malloc((m + 1) * sizeof *tmp);
  int64_t *rlo = malloc((m + 1) * sizeof *rlo);
  int64_t *rhi = malloc((m + 1) * sizeof *rhi);
  int64_t *targets = malloc((2 * nq + 1) * sizeof *targets);
  qrun *runs = calloc(m + 1, sizeof *runs);
  size_t nruns = 0, ncand = 0, ntargets = 0;
  int64_t n = 0;
  int rc = 0;
  if (!key || !cand || !tmp || !rlo || !rhi || !targets || !runs) {
    rc = dusk_error_set(err, DUSK_ENOMEM, "quantile bounds: out of memory");
    goto out;
  }
  for (size_t j = 0; j < m; j++) {
    size_t row = idx[j];
    key[j] = (uint64_t)c[DUSK_QSUM_KEY].i64[row];
    rlo[j] = c[DUSK_QSUM_RLO].i64[row];
    rhi[j] = c[DUSK_QSUM_RHI].i64[row];
    if (j == 0 ||
        c[DUSK_QSUM_RANGE].i64[row] != c[DUSK_QSUM_RANGE].i64[idx[j - 1]] ||
        c[DUSK_QSUM_RUN].i64[row] != c[DUSK_QSUM_RUN].i64[idx[j - 1]]) {
      runs[nruns].key = &key[j];
      runs[nruns].rlo = &rlo[j];
      runs[nruns].rhi = &rhi[j];
      runs[nruns].count = c[DUSK_QSUM_N].i64[row];
      n += runs[nruns].count;
      nruns++;
    } else if (key[j] <= key[j - 1] || rlo[j] < rhi[j - 1]) {
      rc = dusk_error_set(err, DUSK_EINVAL,
                          "quantile summary of column %lld is out of order",
                          (long long)col);
      goto out;
    }
    runs[nruns - 1].n++;
    cand[ncand++] = key[j];
  }
  if (n <= 0)
    goto out;
  dusk_qkey_sort(cand, tmp, ncand);
  {
    size_t w = 0;
    for (size_t i = 0; i < ncand; i++)
      if (w == 0 || cand[i] != cand[w - 1])
        cand[w++] = cand[i];
    ncand = w;
  }
  for (size_t q = 0; q < nq; q++) {
    double gamma;
    dusk_quantile_ranks(n, qs[q], &targets[ntargets], &targets[ntargets + 1],
                        &gamma);
    ntargets += 2;
  }
  qsort(targets, ntargets, sizeof *targets, cmp_i64);
  for (size_t i = 0; i < ntargets; i++) {
    int64_t t = targets[i];
    size_t lo = 0, hi = ncand, first;
    dusk_value row[DUSK_QBOUND_NCOLS];
    if (i > 0 && t == targets[i - 1])
      continue;
    /* lo: the last candidate with at most t values below it (the
     * smallest value has none below it, so there is one). */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (ub_below(runs, nruns, cand[mid]) <= t)
        lo = mid + 1;
      else
        hi = mid;
    }
    first = lo;
    /* hi: the first candidate with at least t + 1 values at or below it
     * (the largest value has all n, so there is one). */
    lo = 0;
    hi = ncand;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (lb_at_or_below(runs, nruns, cand[mid]) >= t + 1)
        hi = mid;
      else
        lo = mid + 1;
    }
    if (first == 0 || lo == ncand || cand[first - 1] > cand[lo]) {
      rc = dusk_error_set(err, DUSK_EINVAL,
                          "quantile summary of column %lld does not bracket "
                          "rank %lld",
                          (long long)col, (long long)t);
      goto out;
    }
    for (size_t k = 0; k < DUSK_QBOUND_NCOLS; k++)
      row[k].type = DUSK_TYPE_INT64;
    row[DUSK_QBOUND_COL].u.i = col;
    row[DUSK_QBOUND_TARGET].u.i = t;
    row[DUSK_QBOUND_LO].u.i = (int64_t)cand[first - 1];
    row[DUSK_QBOUND_HI].u.i = (int64_t)cand[lo];
    if ((rc = dusk_table_append_row(out, row)) != 0) {
      dusk_error_set(err, rc, "quantile bounds: out of memory");
      goto out;
    }
  }
out:
  free(key);
  free(cand);
  free(tmp);
  free(rlo);
  free(rhi);
  free(targets);
  free(runs);
  return rc;
}

int dusk_qbounds(const dusk_table *summary, size_t ncols, const double *qs,
                 size_t nq, dusk_table **out, dusk_error *err) {
  size_t *idx = NULL;
  dusk_table *t;
  int rc;
  *out = NULL;
  if ((rc = dusk_qsummary_table_check(summary, err)) != 0)
    return rc;
  if ((t = dusk_qbounds_table_new()) == NULL ||
      (idx = malloc((summary->nrows + 1) * sizeof *idx)) == NULL) {
    dusk_table_free(t);
    return dusk_error_set(err, DUSK_ENOMEM, "quantile bounds: out of memory");
  }
  for (size_t col = 0; col < ncols; col++) {
    size_t m = 0;
    for (size_t r = 0; r < summary->nrows; r++)
      if (summary->cols[DUSK_QSUM_COL].i64[r] == (int64_t)col)
        idx[m++] = r;
    if ((rc = column_bounds(summary, (int64_t)col, idx, m, qs, nq, t, err)) !=
        0) {
      dusk_table_free(t);
      free(idx);
      return rc;
    }
  }
  free(idx);
  *out = t;
  return 0;
}

/* ---- scan 2: windows ------------------------------------------------------ */

#define RAW_FIRST 4096

int dusk_qwindow_add_keys(dusk_qwindow *w, const uint64_t *keys, size_t n) {
  const uint64_t lo = w->lo, span = w->hi - w->lo;
  int64_t below = 0;
  int rc = 0;
  if (w->hi < w->lo) { /* an empty window: only what lies below counts */
    for (size_t j = 0; j < n; j++)
      below += keys[j] < lo;
    w->below += below;
    return 0;
  }
  for (size_t j = 0; j < n; j++) {
    uint64_t k = keys[j];
    below += k < lo;
    if (k - lo <= span) { /* lo <= k <= hi, one predictable branch */
      if (w->nraw == w->capraw && (rc = dusk_qwindow_compact(w)) != 0)
        break;
      w->raw[w->nraw++] = k;
    }
  }
  w->below += below;
  return rc;
}

int dusk_qwindow_compact(dusk_qwindow *w) {
  uint64_t *tmp, *keys;
  int64_t *counts;
  size_t i = 0, j = 0, n = 0;
  if (w->raw == NULL) {
    if ((w->raw = malloc(RAW_FIRST * sizeof *w->raw)) == NULL)
      return DUSK_ENOMEM;
    w->capraw = RAW_FIRST;
    return 0;
  }
  if (w->nraw == 0)
    return 0;
  if ((tmp = malloc(w->nraw * sizeof *tmp)) == NULL)
    return DUSK_ENOMEM;
  dusk_qkey_sort(w->raw, tmp, w->nraw);
  free(tmp);
  /* Run-length the sorted raw keys in place (counts alongside). */
  keys = malloc((w->nkeys + w->nraw) * sizeof *keys);
  counts = malloc((w->nkeys + w->nraw) * sizeof *counts);
  if (keys == NULL || counts == NULL) {
    free(keys);
    free(counts);
    return DUSK_ENOMEM;
  }
  /* Merge the distinct keys so far with the sorted raw keys. */
  while (i < w->nkeys || j < w->nraw) {
    uint64_t k;
    int64_t c;
    if (j == w->nraw || (i < w->nkeys && w->keys[i] <= w->raw[j])) {
      k = w->keys[i];
      c = w->counts[i++];
    } else {
      k = w->raw[j++];
      c = 1;
    }
    if (n > 0 && keys[n - 1] == k)
      counts[n - 1] += c;
    else {
      keys[n] = k;
      counts[n++] = c;
    }
  }
  free(w->keys);
  free(w->counts);
  w->keys = keys;
  w->counts = counts;
  w->nkeys = n;
  w->capkeys = n;
  /* A window with many distinct values compacts rarely: grow the buffer
   * with them, so merging stays linear overall. */
  if (n > w->capraw / 2) {
    uint64_t *bigger = realloc(w->raw, 2 * w->capraw * sizeof *bigger);
    if (bigger == NULL)
      return DUSK_ENOMEM;
    w->raw = bigger;
    w->capraw *= 2;
  }
  w->nraw = 0;
  return 0;
}

int dusk_qwindow_emit(dusk_qwindow *w, dusk_table *t) {
  dusk_value row[DUSK_QWIN_NCOLS];
  int rc;
  if ((rc = dusk_qwindow_compact(w)) != 0)
    return rc;
  for (size_t c = 0; c < DUSK_QWIN_NCOLS; c++)
    row[c].type = DUSK_TYPE_NULL;
  row[DUSK_QWIN_COL].type = row[DUSK_QWIN_TARGET].type =
      row[DUSK_QWIN_COUNT].type = DUSK_TYPE_INT64;
  row[DUSK_QWIN_COL].u.i = w->col;
  row[DUSK_QWIN_TARGET].u.i = w->target;
  row[DUSK_QWIN_COUNT].u.i = w->below;
  if ((rc = dusk_table_append_row(t, row)) != 0)
    return rc;
  row[DUSK_QWIN_KEY].type = DUSK_TYPE_INT64;
  for (size_t i = 0; i < w->nkeys; i++) {
    row[DUSK_QWIN_KEY].u.i = (int64_t)w->keys[i];
    row[DUSK_QWIN_COUNT].u.i = w->counts[i];
    if ((rc = dusk_table_append_row(t, row)) != 0)
      return rc;
  }
  return 0;
}

void dusk_qwindow_destroy(dusk_qwindow *w) {
  free(w->raw);
  free(w->keys);
  free(w->counts);
  memset(w, 0, sizeof *w);
}

/* ---- final --------------------------------------------------------------- */

typedef struct kc {
  uint64_t key;
  int64_t count;
} kc;

static int cmp_kc(const void *a, const void *b) {
  uint64_t x = ((const kc *)a)->key, y = ((const kc *)b)->key;
  return (x > y) - (x < y);
}

int dusk_qwindow_select(const dusk_table *w, int64_t col, int64_t target,
                        uint64_t *key, dusk_error *err) {
  const dusk_table_column *c = w->cols;
  int64_t below = 0, pos;
  size_t n = 0;
  kc *v;
  for (size_t r = 0; r < w->nrows; r++)
    n += c[DUSK_QWIN_COL].i64[r] == col && c[DUSK_QWIN_TARGET].i64[r] == target;
  if ((v = malloc((n + 1) * sizeof *v)) == NULL)
    return dusk_error_set(err, DUSK_ENOMEM, "quantile: out of memory");
  n = 0;
  for (size_t r = 0; r < w->nrows; r++) {
    if (c[DUSK_QWIN_COL].i64[r] != col || c[DUSK_QWIN_TARGET].i64[r] != target)
      continue;
    if (!c[DUSK_QWIN_KEY].valid[r]) {
      below += c[DUSK_QWIN_COUNT].i64[r];
      continue;
    }
    v[n].key = (uint64_t)c[DUSK_QWIN_KEY].i64[r];
    v[n++].count = c[DUSK_QWIN_COUNT].i64[r];
  }
  qsort(v, n, sizeof *v, cmp_kc);
  pos = below;
  for (size_t i = 0; i < n; i++) {
    pos += v[i].count;
    if (target < pos && target >= below) {
      *key = v[i].key;
      free(v);
      return 0;
    }
  }
  free(v);
  return dusk_error_set(err, DUSK_EINVAL,
                        "quantile: the window of column %lld misses rank "
                        "%lld (%lld values below it)",
                        (long long)col, (long long)target, (long long)below);
}

void dusk_quantile_lerp(dusk_type type, uint64_t lo, uint64_t hi,
                        double gamma, double *f, int64_t *i) {
  *f = NAN;
  *i = 0;
  if (type == DUSK_TYPE_FLOAT64) {
    double a = dusk_qkey_to_f64(lo), b = dusk_qkey_to_f64(hi), d = b - a;
    *f = gamma >= 0.5 ? b - d * (1 - gamma) : a + d * gamma;
  } else {
    int64_t a = dusk_qkey_to_i64(lo), b = dusk_qkey_to_i64(hi);
    double d = (double)(int64_t)((uint64_t)b - (uint64_t)a);
    *f = gamma >= 0.5 ? (double)b - d * (1 - gamma) : (double)a + d * gamma;
    /* pandas takes datetimes' and timedeltas' quantiles on their int64
     * nanoseconds, then casts the float64 back, truncating. */
    if (dusk_type_is_time(type) && !isnan(*f))
      *i = (int64_t)*f;
  }
}

void dusk_quantile_midpoint(dusk_type type, uint64_t lo, uint64_t hi,
                            double *f, int64_t *i) {
  double a = type == DUSK_TYPE_FLOAT64 ? dusk_qkey_to_f64(lo)
                                       : (double)dusk_qkey_to_i64(lo);
  double b = type == DUSK_TYPE_FLOAT64 ? dusk_qkey_to_f64(hi)
                                       : (double)dusk_qkey_to_i64(hi);
  *f = lo == hi ? a : (a + b) / 2.0;
  *i = dusk_type_is_time(type) && !isnan(*f) ? (int64_t)*f : 0;
}

/* numpy's isclose(trunc(p), p): |a - b| <= 1e-8 + 1e-5 |b|, with astype(int)
 * truncating toward zero. */
static bool whole_percent(double p) {
  return fabs(trunc(p) - p) <= 1e-8 + 1e-5 * fabs(p);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int dusk_percentile_precision(const double *qs, size_t nq) {
  double *u, gap = INFINITY;
  size_t n = 0;
  bool whole = true;
  int prec;
  for (size_t i = 0; i < nq; i++)
    whole = whole && whole_percent(100 * qs[i]);
  if (whole || nq == 0)
    return -1;
  /* The least gap between the distinct percents, and from 0 and 100 for
   * the first and last unless they are 0 and 100: numpy's ediff1d with
   * to_begin and to_end, as pandas takes it. */
  if ((u = malloc(nq * sizeof *u)) == NULL)
    return 1; /* pandas' least precision; the labels stay readable */
  for (size_t i = 0; i < nq; i++)
    u[i] = 100 * qs[i];
  qsort(u, nq, sizeof *u, cmp_double);
  for (size_t i = 0; i < nq; i++)
    if (n == 0 || u[i] != u[n - 1])
      u[n++] = u[i];
  if (u[0] > 0)
    gap = u[0];
  if (u[n - 1] < 100 && 100 - u[n - 1] < gap)
    gap = 100 - u[n - 1];
  for (size_t i = 1; i < n; i++)
    if (u[i] - u[i - 1] < gap)
      gap = u[i] - u[i - 1];
  free(u);
  prec = gap > 0 && isfinite(gap) ? -(int)floor(log10(gap)) : 1;
  return prec < 1 ? 1 : prec > 15 ? 15 : prec;
}

void dusk_percentile_label(double q, int prec,
                           char label[DUSK_PERCENTILE_LABEL_MAX]) {
  double p = 100 * q, scale, r;
  if (prec < 0 || whole_percent(p)) {
    snprintf(label, DUSK_PERCENTILE_LABEL_MAX, "%lld%%", (long long)p);
    return;
  }
  /* numpy's round(p, prec), then Python's str of the float: the fewest
   * decimals that read back as it (at least one). */
  scale = pow(10.0, prec);
  r = rint(p * scale) / scale;
  for (int d = 1; d <= 17; d++) {
    snprintf(label, DUSK_PERCENTILE_LABEL_MAX, "%.*f%%", d, r);
    if (strtod(label, NULL) == r)
      return;
  }
}
