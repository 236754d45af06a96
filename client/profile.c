/* profile.c - a profiled query's records (dusk.h's dusk_profile), built
 * from the scheduler's PROFILE parts, and the HTML performance report.
 *
 * The report is one file with inline CSS and SVG and no script: it opens
 * offline, anywhere, and everything that comes from data (keys, paths,
 * addresses, the query's text) is HTML-escaped. */
#include "dusk.h"

#include "buf.h"
#include "client_internal.h"
#include "msg.h"
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- building ------------------------------------------------------------ */

dusk_profile *dusk__profile_new(const char *key) {
  dusk_profile *p = calloc(1, sizeof *p);
  if (p == NULL || (p->key = strdup(key)) == NULL) {
    free(p);
    return NULL;
  }
  return p;
}

static char *slice_str(dusk_slice s) {
  char *p = malloc(s.len + 1);
  if (p != NULL) {
    if (s.len > 0)
      memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
  }
  return p;
}

/* The records' array holds room_for(ntask_records) entries: a power of two
 * from 64 to DUSK_PROFILE_TASKS_MAX, so parts append in amortised O(1). */
static size_t room_for(size_t n) {
  size_t room = 64;
  while (room < n)
    room *= 2;
  return room < DUSK_PROFILE_TASKS_MAX ? room : DUSK_PROFILE_TASKS_MAX;
}

int dusk__profile_add_part(dusk_profile *p, const dusk_msg_profile *m) {
  size_t want = p->ntask_records + m->n;
  p->attempts = m->attempts;
  p->ntasks = m->ntasks;
  p->planned_us = m->planned_us;
  p->wall_us = m->wall_us;
  if (want > DUSK_PROFILE_TASKS_MAX)
    want = DUSK_PROFILE_TASKS_MAX;
  if (want > p->ntask_records &&
      (p->tasks == NULL || room_for(want) > room_for(p->ntask_records))) {
    dusk_profile_task *t = realloc(p->tasks, room_for(want) * sizeof *t);
    if (t == NULL)
      return DUSK_ENOMEM;
    p->tasks = t;
  }
  for (uint32_t i = 0; i < m->n && p->ntask_records < want; i++) {
    /* The decoder checked the order of every time (msg.h). */
    const dusk_task_profile *w = &m->tasks[i];
    dusk_profile_task *t = &p->tasks[p->ntask_records];
    memset(t, 0, sizeof *t);
    t->key = slice_str(w->key);
    t->op = slice_str(w->op);
    t->worker_addr = slice_str(w->addr);
    if (t->key == NULL || t->op == NULL || t->worker_addr == NULL) {
      free((char *)t->key);
      free((char *)t->op);
      free((char *)t->worker_addr);
      return DUSK_ENOMEM;
    }
    t->worker = w->worker;
    t->attempt = w->attempt;
    t->ready_us = w->ready_at;
    t->sent_us = w->sent_at;
    t->done_us = w->done_at;
    t->fetch_us = w->fetch_us;
    t->wait_us = w->wait_us;
    t->held_us = w->held_us;
    t->start_us = w->start_at;
    t->end_us = w->end_at;
    t->run_us = w->end_at - w->start_at;
    t->scan_bytes = w->scan_bytes;
    t->result_bytes = w->result_bytes;
    p->ntask_records++;
  }
  return 0;
}

/* One line per plan step, the result's step first, its input indented. */
static void describe_step(const dusk_plan *p, int depth, dusk_buf *out,
                          int *rc) {
  char line[512];
  int n;
  if (*rc != 0)
    return;
  /* Indented by depth, up to a limit (a plan may nest deeply). */
  n = snprintf(line, sizeof line, "%*s%s", (depth < 40 ? depth : 40) * 2, "",
               dusk_plan_kind_name(p->kind));
  *rc = dusk_buf_append(out, line, (size_t)n < sizeof line ? (size_t)n
                                                           : sizeof line - 1);
  for (size_t i = 0; i < p->npaths && *rc == 0; i++) {
    *rc = dusk_buf_append(out, i ? ", " : " ", 1 + (i > 0));
    if (*rc == 0)
      *rc = dusk_buf_append(out, p->paths[i], strlen(p->paths[i]));
  }
  if (p->expr_text != NULL && *rc == 0) {
    *rc = dusk_buf_append(out, " ", 1);
    if (*rc == 0)
      *rc = dusk_buf_append(out, p->expr_text, strlen(p->expr_text));
  }
  if (p->ncolumns > 0 && *rc == 0) {
    *rc = dusk_buf_append(out, " [", 2);
    for (size_t i = 0; i < p->ncolumns && *rc == 0; i++) {
      if (i > 0)
        *rc = dusk_buf_append(out, ", ", 2);
      if (*rc == 0)
        *rc = dusk_buf_append(out, p->columns[i], strlen(p->columns[i]));
    }
    if (*rc == 0)
      *rc = dusk_buf_append(out, "]", 1);
  }
  for (size_t i = 0; i < p->naggs && *rc == 0; i++) {
    const dusk_agg *a = &p->aggs[i];
    n = snprintf(line, sizeof line, " %s(%s)", dusk_agg_name(a->fn),
                 a->column ? a->column : "*");
    *rc = dusk_buf_append(out, line, (size_t)n < sizeof line
                                         ? (size_t)n : sizeof line - 1);
  }
  if ((p->kind == DUSK_PLAN_HEAD || p->kind == DUSK_PLAN_TAIL ||
       p->kind == DUSK_PLAN_TOPK) && *rc == 0) {
    n = snprintf(line, sizeof line, " n=%lld", (long long)p->n);
    *rc = dusk_buf_append(out, line, (size_t)n); /* < 32 bytes */
  }
  if (p->dir != NULL && *rc == 0) {
    *rc = dusk_buf_append(out, " ", 1);
    if (*rc == 0)
      *rc = dusk_buf_append(out, p->dir, strlen(p->dir));
  }
  if (*rc == 0)
    *rc = dusk_buf_append(out, "\n", 1);
  for (size_t i = 0; i < p->ninputs; i++)
    describe_step(p->inputs[i], depth + 1, out, rc);
}

int dusk__profile_describe_plan(dusk_profile *p, const dusk_plan *plan) {
  dusk_buf b;
  int rc = 0;
  size_t len;
  dusk_buf_init(&b);
  describe_step(plan, 0, &b, &rc);
  if (rc == 0)
    rc = dusk_buf_append(&b, "", 1);
  if (rc != 0) {
    dusk_buf_destroy(&b);
    return DUSK_ENOMEM;
  }
  free(p->plan);
  p->plan = dusk_buf_steal(&b, &len);
  return 0;
}

int dusk_profile_set_query(dusk_profile *p, const char *text) {
  char *q = strdup(text);
  if (q == NULL)
    return DUSK_ENOMEM;
  free(p->query);
  p->query = q;
  return 0;
}

void dusk_profile_free(dusk_profile *p) {
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->ntask_records; i++) {
    free((char *)p->tasks[i].key);
    free((char *)p->tasks[i].op);
    free((char *)p->tasks[i].worker_addr);
  }
  free(p->tasks);
  free(p->key);
  free(p->query);
  free(p->plan);
  free(p);
}

/* ---- the HTML report ------------------------------------------------------ */

/* Text from data, safe in an element or a quoted attribute. */
static void put_esc(FILE *f, const char *s) {
  for (; s != NULL && *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default:
      /* Control characters other than newline and tab are not text. */
      if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
        fputc('?', f);
      else
        fputc(*s, f);
    }
  }
}

/* A duration for people: "850 us", "12.3 ms", "4.56 s". */
static const char *fmt_us(uint64_t us, char *buf, size_t len) {
  if (us < 1000)
    snprintf(buf, len, "%llu us", (unsigned long long)us);
  else if (us < 1000000)
    snprintf(buf, len, "%.1f ms", (double)us / 1e3);
  else
    snprintf(buf, len, "%.2f s", (double)us / 1e6);
  return buf;
}

static const char *fmt_bytes(uint64_t b, char *buf, size_t len) {
  if (b < 1024)
    snprintf(buf, len, "%llu B", (unsigned long long)b);
  else if (b < (1u << 20))
    snprintf(buf, len, "%.1f KiB", (double)b / 1024);
  else if (b < (1u << 30))
    snprintf(buf, len, "%.1f MiB", (double)b / (1 << 20));
  else
    snprintf(buf, len, "%.2f GiB", (double)b / (1 << 30));
  return buf;
}

/* The colour of an op in the timeline: the query's ops by name (as the
 * legend lists them), any other grey. */
static const struct { const char *op, *colour, *what; } op_colours[] = {
    {"df_scan", "#4c78a8", "scanning a byte range"},
    {"df_combine", "#f58518", "combining partial results"},
    {"df_final", "#54a24b", "the final step"},
    {"df_offsets", "#b279a2", "row offsets (to_csv)"},
    {"df_bounds", "#9d755d", "quantile windows / kept rows"},
};
#define TRANSFER_COLOUR "#e45756"

static const char *op_colour(const char *op) {
  for (size_t i = 0; i < sizeof op_colours / sizeof op_colours[0]; i++)
    if (strcmp(op, op_colours[i].op) == 0)
      return op_colours[i].colour;
  return "#999999";
}

typedef struct worker_sum {
  uint64_t id;
  const char *addr;
  size_t ntasks;
  uint64_t run_us, fetch_us, scan_bytes, result_bytes;
} worker_sum;

static int cmp_worker(const void *a, const void *b) {
  uint64_t x = ((const worker_sum *)a)->id, y = ((const worker_sum *)b)->id;
  return x < y ? -1 : x > y;
}

/* The workers of p's records, sorted by id, with their sums. */
static worker_sum *sum_workers(const dusk_profile *p, size_t *n) {
  worker_sum *w = calloc(p->ntask_records + 1, sizeof *w);
  *n = 0;
  if (w == NULL)
    return NULL;
  for (size_t i = 0; i < p->ntask_records; i++) {
    const dusk_profile_task *t = &p->tasks[i];
    size_t j;
    for (j = 0; j < *n && w[j].id != t->worker; j++)
      ;
    if (j == *n) {
      w[j].id = t->worker;
      w[j].addr = t->worker_addr;
      (*n)++;
    }
    w[j].ntasks++;
    w[j].run_us += t->run_us;
    w[j].fetch_us += t->fetch_us;
    w[j].scan_bytes += t->scan_bytes;
    w[j].result_bytes += t->result_bytes;
  }
  qsort(w, *n, sizeof *w, cmp_worker);
  return w;
}

static size_t worker_row(const worker_sum *w, size_t n, uint64_t id) {
  for (size_t i = 0; i < n; i++)
    if (w[i].id == id)
      return i;
  return 0;
}

#define SVG_W 1000
#define SVG_LEFT 190
#define SVG_ROW 26
#define SVG_TOP 24

static double x_of(uint64_t us, uint64_t wall) {
  return SVG_LEFT + (double)us * (SVG_W - SVG_LEFT - 10) /
                        (double)(wall ? wall : 1);
}

/* The timeline: one row per worker, a bar per task's run coloured by op,
 * its input transfer (if any) in red before it; hover for the times. */
static void put_timeline(FILE *f, const dusk_profile *p,
                         const worker_sum *w, size_t nw) {
  char a[32], b[32], c[32], d[32];
  int height = SVG_TOP + (int)(nw ? nw : 1) * SVG_ROW + 6;
  fprintf(f, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
             "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
          SVG_W, height, SVG_W, height);
  for (int k = 0; k <= 5; k++) {
    uint64_t us = p->wall_us * (uint64_t)k / 5;
    double x = x_of(us, p->wall_us);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
               "class=\"grid\"/><text x=\"%.1f\" y=\"14\" class=\"tick\" "
               "text-anchor=\"%s\">%s</text>\n",
            x, SVG_TOP - 4, x, height, x,
            k == 0 ? "start" : k == 5 ? "end" : "middle",
            fmt_us(us, a, sizeof a));
  }
  for (size_t i = 0; i < nw; i++) {
    fprintf(f, "<text x=\"4\" y=\"%d\" class=\"wlabel\">worker %llu ",
            SVG_TOP + (int)i * SVG_ROW + 17, (unsigned long long)w[i].id);
    put_esc(f, w[i].addr);
    fputs("</text>\n", f);
  }
  for (size_t i = 0; i < p->ntask_records; i++) {
    const dusk_profile_task *t = &p->tasks[i];
    int y = SVG_TOP + (int)worker_row(w, nw, t->worker) * SVG_ROW + 3;
    double x0 = x_of(t->start_us, p->wall_us);
    double x1 = x_of(t->end_us, p->wall_us);
    double f0 = 0, f1 = 0;
    if (t->fetch_us > 0) {
      uint64_t fs = t->start_us - t->wait_us - t->fetch_us;
      f0 = x_of(fs, p->wall_us);
      f1 = x_of(fs + t->fetch_us, p->wall_us);
    }
    /* A transfer shorter than half a pixel would only be noise. */
    if (f1 - f0 >= 0.5) {
      fprintf(f, "<rect class=\"transfer\" x=\"%.2f\" y=\"%d\" "
                 "width=\"%.2f\" height=\"%d\" fill=\"%s\"><title>",
              f0, y + 6, f1 - f0 < 1 ? 1 : f1 - f0, SVG_ROW - 12,
              TRANSFER_COLOUR);
      put_esc(f, t->key);
      fprintf(f, ": fetching inputs %s</title></rect>\n",
              fmt_us(t->fetch_us, a, sizeof a));
    }
    fprintf(f, "<rect class=\"task\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
               "height=\"%d\" fill=\"%s\" data-key=\"",
            x0, y, x1 - x0 < 1 ? 1 : x1 - x0, SVG_ROW - 6, op_colour(t->op));
    put_esc(f, t->key);
    fputs("\" data-op=\"", f);
    put_esc(f, t->op);
    fprintf(f, "\" data-worker=\"%llu\" data-attempt=\"%u\" "
               "data-ready-us=\"%llu\" data-sent-us=\"%llu\" "
               "data-start-us=\"%llu\" data-end-us=\"%llu\" "
               "data-done-us=\"%llu\" data-scan-bytes=\"%llu\" "
               "data-result-bytes=\"%llu\"><title>",
            (unsigned long long)t->worker, t->attempt,
            (unsigned long long)t->ready_us, (unsigned long long)t->sent_us,
            (unsigned long long)t->start_us, (unsigned long long)t->end_us,
            (unsigned long long)t->done_us,
            (unsigned long long)t->scan_bytes,
            (unsigned long long)t->result_bytes);
    put_esc(f, t->key);
    fputs("\n", f);
    put_esc(f, t->op);
    fprintf(f, " on worker %llu (", (unsigned long long)t->worker);
    put_esc(f, t->worker_addr);
    fprintf(f, ")\nran %s, from %s to %s\n",
            fmt_us(t->run_us, a, sizeof a), fmt_us(t->start_us, b, sizeof b),
            fmt_us(t->end_us, c, sizeof c));
    fprintf(f, "ready %s, sent %s, result at the scheduler %s\n",
            fmt_us(t->ready_us, a, sizeof a), fmt_us(t->sent_us, b, sizeof b),
            fmt_us(t->done_us, c, sizeof c));
    fprintf(f, "fetching inputs %s, waiting on the worker %s\n",
            fmt_us(t->fetch_us, a, sizeof a), fmt_us(t->wait_us, b, sizeof b));
    fprintf(f, "scanned %s, result %s</title></rect>\n",
            fmt_bytes(t->scan_bytes, c, sizeof c),
            fmt_bytes(t->result_bytes, d, sizeof d));
  }
  fputs("</svg>\n<p class=\"legend\">", f);
  for (size_t i = 0; i < sizeof op_colours / sizeof op_colours[0]; i++)
    fprintf(f, "<span><i style=\"background:%s\"></i>%s: %s</span> ",
            op_colours[i].colour, op_colours[i].op, op_colours[i].what);
  fprintf(f, "<span><i style=\"background:%s\"></i>fetching inputs from "
             "another worker</span></p>\n", TRANSFER_COLOUR);
}

static void activity_row(FILE *f, const char *what, const char *how,
                         uint64_t us, uint64_t total) {
  char a[32];
  fprintf(f, "<tr><td>%s</td><td class=\"num\">%s</td><td class=\"num\">"
             "%.1f%%</td><td>%s</td></tr>\n",
          what, fmt_us(us, a, sizeof a),
          total ? 100.0 * (double)us / (double)total : 0.0, how);
}

/* Where the time went: task time summed over tasks, then the scheduler's
 * own wall time before the first task and after the last. */
static void put_activity(FILE *f, const dusk_profile *p) {
  uint64_t scan = 0, combine = 0, fetch = 0, wait = 0, net = 0, queue = 0;
  uint64_t last_done = 0, total, after;
  for (size_t i = 0; i < p->ntask_records; i++) {
    const dusk_profile_task *t = &p->tasks[i];
    if (strcmp(t->op, "df_scan") == 0)
      scan += t->run_us;
    else
      combine += t->run_us;
    fetch += t->fetch_us;
    wait += t->wait_us;
    net += (t->done_us - t->sent_us) - t->held_us;
    queue += t->sent_us - t->ready_us;
    if (t->done_us > last_done)
      last_done = t->done_us;
  }
  after = p->wall_us - (last_done > p->planned_us ? last_done : p->planned_us);
  total = scan + combine + fetch + wait + net + queue + p->planned_us + after;
  fputs("<table class=\"activity\"><tr><th>activity</th><th>time</th>"
        "<th>share</th><th>what it is</th></tr>\n", f);
  activity_row(f, "scanning", "df_scan runs: reading and parsing CSV "
               "ranges, filtering, partial aggregates (summed over tasks)",
               scan, total);
  activity_row(f, "aggregating / combining", "runs of every other op: "
               "combining partial results, the final step", combine, total);
  activity_row(f, "transfer", "workers fetching inputs from other workers",
               fetch, total);
  activity_row(f, "queued on a worker", "inputs at hand, waiting for the "
               "worker's thread", wait, total);
  activity_row(f, "queued on the scheduler", "ready, waiting for a free "
               "worker slot", queue, total);
  activity_row(f, "messages", "scheduler to worker and back (round trip "
               "less the worker's time)", net, total);
  activity_row(f, "scheduler: planning", "wall time from the query's "
               "arrival to its first tasks: file listing, headers, type "
               "sampling, checking, lowering", p->planned_us, total);
  activity_row(f, "scheduler: finishing", "wall time from the last task's "
               "result to the query's outcome", after, total);
  fputs("</table>\n", f);
}

static void put_workers(FILE *f, const worker_sum *w, size_t nw) {
  char a[32], b[32], c[32], d[32];
  fputs("<table class=\"workers\"><tr><th>worker</th><th>address</th>"
        "<th>tasks</th><th>running</th><th>fetching inputs</th>"
        "<th>bytes scanned</th><th>result bytes</th></tr>\n", f);
  for (size_t i = 0; i < nw; i++) {
    fprintf(f, "<tr data-worker=\"%llu\"><td>%llu</td><td>",
            (unsigned long long)w[i].id, (unsigned long long)w[i].id);
    put_esc(f, w[i].addr);
    fprintf(f, "</td><td class=\"num\">%zu</td><td class=\"num\">%s</td>"
               "<td class=\"num\">%s</td><td class=\"num\" "
               "data-bytes=\"%llu\">%s</td><td class=\"num\">%s</td></tr>\n",
            w[i].ntasks, fmt_us(w[i].run_us, a, sizeof a),
            fmt_us(w[i].fetch_us, b, sizeof b),
            (unsigned long long)w[i].scan_bytes,
            fmt_bytes(w[i].scan_bytes, c, sizeof c),
            fmt_bytes(w[i].result_bytes, d, sizeof d));
  }
  fputs("</table>\n", f);
}

/* The slowest runs, longest first (a bounded selection: at most 15). */
static void put_slowest(FILE *f, const dusk_profile *p) {
  enum { TOP = 15 };
  size_t top[TOP], n = 0;
  char a[32], b[32], c[32];
  for (size_t i = 0; i < p->ntask_records; i++) {
    size_t j = n < TOP ? n++ : TOP;
    if (j == TOP) {
      if (p->tasks[i].run_us <= p->tasks[top[TOP - 1]].run_us)
        continue;
      j = TOP - 1;
    }
    for (; j > 0 && p->tasks[top[j - 1]].run_us < p->tasks[i].run_us; j--)
      top[j] = top[j - 1];
    top[j] = i;
  }
  fputs("<table class=\"slowest\"><tr><th>task</th><th>op</th>"
        "<th>worker</th><th>running</th><th>fetching inputs</th>"
        "<th>start</th><th>bytes scanned</th></tr>\n", f);
  for (size_t k = 0; k < n; k++) {
    const dusk_profile_task *t = &p->tasks[top[k]];
    fputs("<tr><td>", f);
    put_esc(f, t->key);
    fputs("</td><td>", f);
    put_esc(f, t->op);
    fprintf(f, "</td><td>%llu</td><td class=\"num\">%s</td>"
               "<td class=\"num\">%s</td><td class=\"num\">%s</td>"
               "<td class=\"num\">%llu</td></tr>\n",
            (unsigned long long)t->worker, fmt_us(t->run_us, a, sizeof a),
            fmt_us(t->fetch_us, b, sizeof b),
            fmt_us(t->start_us, c, sizeof c),
            (unsigned long long)t->scan_bytes);
  }
  fputs("</table>\n", f);
}

/* Every task's times in a table, folded away (the first ALL_TASKS_MAX: a
 * table of tens of thousands of rows helps nobody; the timeline has all). */
#define ALL_TASKS_MAX 5000

static void put_all_tasks(FILE *f, const dusk_profile *p) {
  size_t n = p->ntask_records < ALL_TASKS_MAX ? p->ntask_records
                                               : ALL_TASKS_MAX;
  fprintf(f, "<details><summary>Every task (%zu%s)</summary>\n"
             "<table class=\"tasks\"><tr><th>task</th><th>op</th>"
             "<th>worker</th><th>attempt</th><th>ready</th><th>sent</th>"
             "<th>start</th><th>end</th><th>result in</th>"
             "<th>fetching inputs</th><th>queued on the worker</th>"
             "<th>bytes scanned</th><th>result bytes</th></tr>\n",
          n, n < p->ntask_records ? " first of many" : "");
  for (size_t i = 0; i < n; i++) {
    const dusk_profile_task *t = &p->tasks[i];
    fputs("<tr><td>", f);
    put_esc(f, t->key);
    fputs("</td><td>", f);
    put_esc(f, t->op);
    fprintf(f, "</td><td>%llu</td><td>%u</td>", (unsigned long long)t->worker,
            t->attempt);
    fprintf(f, "<td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
               "<td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
               "<td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
               "<td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
               "<td class=\"num\">%llu</td></tr>\n",
            (unsigned long long)t->ready_us, (unsigned long long)t->sent_us,
            (unsigned long long)t->start_us, (unsigned long long)t->end_us,
            (unsigned long long)t->done_us, (unsigned long long)t->fetch_us,
            (unsigned long long)t->wait_us,
            (unsigned long long)t->scan_bytes,
            (unsigned long long)t->result_bytes);
  }
  fputs("</table><p>Times in microseconds since the query reached the "
        "scheduler.</p></details>\n", f);
}

static void put_query(FILE *f, const dusk_profile *p, size_t index) {
  char a[32], b[32];
  uint64_t scanned = 0;
  size_t nw = 0;
  worker_sum *w = sum_workers(p, &nw);
  for (size_t i = 0; i < p->ntask_records; i++)
    scanned += p->tasks[i].scan_bytes;
  fprintf(f, "<section class=\"query\" data-key=\"");
  put_esc(f, p->key);
  fprintf(f, "\" data-wall-us=\"%llu\" data-tasks=\"%zu\">\n<h2>Query %zu",
          (unsigned long long)p->wall_us, p->ntask_records, index + 1);
  fputs("</h2>\n", f);
  if (p->query != NULL) {
    fputs("<pre class=\"query-text\">", f);
    put_esc(f, p->query);
    fputs("</pre>\n", f);
  }
  fputs("<h3>Plan</h3>\n<pre class=\"plan\">", f);
  put_esc(f, p->plan ? p->plan : "");
  fputs("</pre>\n<h3>Totals</h3>\n<table class=\"totals\">\n", f);
  fprintf(f, "<tr><th>wall time</th><td data-us=\"%llu\">%s</td></tr>\n",
          (unsigned long long)p->wall_us, fmt_us(p->wall_us, a, sizeof a));
  fprintf(f, "<tr><th>planning</th><td>%s</td></tr>\n",
          fmt_us(p->planned_us, a, sizeof a));
  fprintf(f, "<tr><th>tasks</th><td data-n=\"%zu\">%zu recorded of %llu "
             "submitted</td></tr>\n",
          p->ntask_records, p->ntask_records,
          (unsigned long long)p->ntasks);
  fprintf(f, "<tr><th>attempts</th><td>%u</td></tr>\n", p->attempts);
  fprintf(f, "<tr><th>bytes scanned</th><td data-bytes=\"%llu\">%s</td>"
             "</tr>\n",
          (unsigned long long)scanned, fmt_bytes(scanned, b, sizeof b));
  fprintf(f, "<tr><th>result rows</th><td data-n=\"%llu\">%llu</td></tr>\n",
          (unsigned long long)p->rows, (unsigned long long)p->rows);
  fprintf(f, "<tr><th>workers</th><td data-n=\"%zu\">%zu</td></tr>\n", nw,
          nw);
  fputs("</table>\n<h3>Task stream</h3>\n", f);
  put_timeline(f, p, w, nw);
  fputs("<h3>Time by activity</h3>\n", f);
  put_activity(f, p);
  fputs("<h3>Workers</h3>\n", f);
  put_workers(f, w, nw);
  fputs("<h3>Slowest tasks</h3>\n", f);
  put_slowest(f, p);
  put_all_tasks(f, p);
  fputs("</section>\n", f);
  free(w);
}

static const char report_style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}"
    "h1{font-size:22px}h2{font-size:18px;border-top:1px solid #ccc;"
    "padding-top:12px}h3{font-size:15px;margin-bottom:4px}"
    "pre{background:#f5f5f5;padding:8px;overflow-x:auto}"
    "table{border-collapse:collapse;margin:4px 0}"
    "td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}"
    "td.num{text-align:right}"
    "svg.timeline{border:1px solid #ddd;background:#fff}"
    "svg .grid{stroke:#eee}svg .tick,svg .wlabel{font-size:11px;fill:#555}"
    "svg rect.task:hover{stroke:#000}"
    ".legend span{margin-right:12px;white-space:nowrap}"
    ".legend i{display:inline-block;width:10px;height:10px;"
    "margin-right:4px}";

int dusk_profile_write_html(const dusk_profile *const *profiles, size_t n,
                            const char *path, dusk_error *err) {
  FILE *f;
  char when[64] = "";
  time_t now = time(NULL);
  struct tm tm;
  if (path == NULL || path[0] == '\0')
    return dusk_error_set(err, DUSK_EINVAL, "no path for the report");
  f = fopen(path, "w");
  if (f == NULL)
    return dusk_error_set(err, errno ? -errno : DUSK_EINVAL,
                          "cannot write the report to %s: %s", path,
                          strerror(errno));
  if (gmtime_r(&now, &tm) != NULL)
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
             "charset=\"utf-8\"><title>dusk performance report</title>"
             "<style>%s</style></head><body>\n<h1>dusk performance report"
             "</h1>\n<p>%zu %s, written %s. Times on the scheduler's clock "
             "from each query's arrival; hover a bar for its task.</p>\n",
          report_style, n, n == 1 ? "query" : "queries", when);
  for (size_t i = 0; i < n; i++)
    put_query(f, profiles[i], i);
  fputs("</body></html>\n", f);
  /* Errors are negative errnos, as the worker's to_csv reports them. */
  if (ferror(f)) {
    int e = errno ? errno : EIO;
    fclose(f);
    return dusk_error_set(err, -e, "cannot write the report to %s: %s",
                          path, strerror(e));
  }
  if (fclose(f) != 0)
    return dusk_error_set(err, -errno, "cannot write the report to %s: %s",
                          path, strerror(errno));
  return 0;
}
