/* registry.c - the op registry, the generic built-in ops and plugin loading.
 *
 * The built-ins exist for tests and benchmarks of the cluster itself: they
 * move small integers and byte blobs so that a graph's answer can be checked
 * exactly. */
#include "registry.h"

#include "dfops.h"
#include "msg.h"
#include "xalloc.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct op_entry {
  char *name;
  dusk_op_fn fn;
} op_entry;

/* ---- the API handed to ops ----------------------------------------------- */

static dusk_op_bytes api_args(const dusk_op_call *c) {
  dusk_op_bytes b = {c->args.ptr, c->args.len};
  return b;
}

static size_t api_ninputs(const dusk_op_call *c) { return c->ninputs; }

static dusk_op_bytes api_input(const dusk_op_call *c, size_t i) {
  dusk_op_bytes b = {NULL, 0};
  if (i < c->ninputs) {
    b.ptr = c->inputs[i].ptr;
    b.len = c->inputs[i].len;
  }
  return b;
}

static int api_canceled(const dusk_op_call *c) {
  return c->canceled != NULL && __atomic_load_n(c->canceled, __ATOMIC_RELAXED);
}

static int api_set_result(dusk_op_call *c, const void *bytes, size_t len) {
  c->result.len = 0;
  return dusk_xcheck(dusk_buf_append(&c->result, bytes, len));
}

static int api_fail(dusk_op_call *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->error, sizeof c->error, fmt, ap);
  va_end(ap);
  c->failed = 1;
  return DUSK_ETASK;
}

static int api_read_int(dusk_op_bytes v, int64_t *out) {
  dusk_slice s = {v.ptr, v.len};
  return dusk_mp_read_int(s, out);
}

static int api_result_int(dusk_op_call *c, int64_t v) {
  c->result.len = 0;
  return dusk_xcheck(dusk_mp_write_int(&c->result, v));
}

static int api_register(void *registry, const char *name, dusk_op_fn fn) {
  return dusk_registry_add(registry, name, fn);
}

const dusk_op_api dusk_registry_api = {
    DUSK_PLUGIN_ABI_VERSION, api_args,    api_ninputs,    api_input,
    api_canceled,            api_set_result, api_fail,    api_read_int,
    api_result_int,          api_register};

/* ---- built-in ops -------------------------------------------------------- */

/* Sums the integer inputs (and args, when with_args and present). */
static int sum_ints(const dusk_op_api *api, dusk_op_call *call,
                    int with_args) {
  int64_t total = 0, v;
  dusk_op_bytes a = api->args(call);
  if (with_args && a.len > 0 && !(a.len == 1 && (unsigned char)a.ptr[0] == 0xc0)) {
    if (api->read_int(a, &v) != 0)
      return api->fail(call, "args must be one integer");
    total = v;
  }
  for (size_t i = 0; i < api->ninputs(call); i++) {
    if (api->read_int(api->input(call, i), &v) != 0)
      return api->fail(call, "input %zu is not an integer", i);
    if (__builtin_add_overflow(total, v, &total))
      return api->fail(call, "integer overflow adding input %zu", i);
  }
  return api->result_int(call, total);
}

/* constant: the result is the args value itself. */
static int op_constant(const dusk_op_api *api, dusk_op_call *call) {
  dusk_op_bytes a = api->args(call);
  if (a.len == 0)
    return api->fail(call, "constant needs args");
  return api->set_result(call, a.ptr, a.len);
}

/* add: args (an integer, optional) plus every input. */
static int op_add(const dusk_op_api *api, dusk_op_call *call) {
  return sum_ints(api, call, 1);
}

/* sum: the sum of the integer inputs. */
static int op_sum(const dusk_op_api *api, dusk_op_call *call) {
  return sum_ints(api, call, 0);
}

/* identity: the first input unchanged. */
static int op_identity(const dusk_op_api *api, dusk_op_call *call) {
  dusk_op_bytes in;
  if (api->ninputs(call) != 1)
    return api->fail(call, "identity takes exactly one input");
  in = api->input(call, 0);
  return api->set_result(call, in.ptr, in.len);
}

/* sleep_ms: sleeps args milliseconds in short slices, returning early when
 * canceled; the result is the sum of the inputs. */
static int op_sleep_ms(const dusk_op_api *api, dusk_op_call *call) {
  int64_t ms;
  if (api->read_int(api->args(call), &ms) != 0 || ms < 0 ||
      ms > 24 * 3600 * 1000)
    return api->fail(call, "sleep_ms needs args 0..86400000");
  while (ms > 0 && !api->canceled(call)) {
    int64_t slice = ms < 5 ? ms : 5;
    struct timespec ts = {0, (long)slice * 1000000L};
    nanosleep(&ts, NULL);
    ms -= slice;
  }
  if (api->canceled(call))
    return api->fail(call, "canceled");
  return sum_ints(api, call, 0);
}

/* fail: fails with the args string as its message. */
static int op_fail(const dusk_op_api *api, dusk_op_call *call) {
  dusk_op_bytes a = api->args(call);
  dusk_slice in = {a.ptr, a.len}, msg;
  if (dusk_mp_read_str(in, &msg) != 0)
    return api->fail(call, "fail needs a string args");
  return api->fail(call, "%.*s", (int)msg.len, msg.ptr);
}

/* bytes: a msgpack bin of args bytes (a repeating pattern), for data
 * transfer tests and benchmarks. */
static int op_bytes(const dusk_op_api *api, dusk_op_call *call) {
  int64_t n;
  if (api->read_int(api->args(call), &n) != 0 || n < 0 ||
      n > ((int64_t)1 << 32))
    return api->fail(call, "bytes needs args 0..4294967296");
  call->result.len = 0;
  dusk_xcheck(dusk_mp_write_bin_header(&call->result, (size_t)n));
  dusk_xcheck(dusk_buf_reserve(&call->result, (size_t)n));
  for (int64_t i = 0; i < n; i++)
    call->result.data[call->result.len + (size_t)i] = (char)(i * 31 + 7);
  call->result.len += (size_t)n;
  return 0;
}

/* ---- registry ------------------------------------------------------------ */

int dusk_registry_add(dusk_registry *r, const char *name, dusk_op_fn fn) {
  op_entry *e;
  size_t len = strlen(name);
  if (len == 0 || len > 255 || fn == NULL)
    return DUSK_EINVAL;
  if (dusk_strmap_get(&r->ops, name, len) != NULL)
    return DUSK_EDUP;
  e = dusk_xmalloc(sizeof *e);
  e->name = dusk_xstrdup(name);
  e->fn = fn;
  dusk_xcheck(dusk_strmap_put(&r->ops, e->name, len, e));
  return 0;
}

int dusk_registry_is_trivial(dusk_op_fn fn) {
  return fn == op_constant || fn == op_add || fn == op_sum;
}

int dusk_registry_init(dusk_registry *r) {
  static const struct {
    const char *name;
    dusk_op_fn fn;
  } builtins[] = {{"constant", op_constant}, {"add", op_add},
                  {"sum", op_sum},           {"identity", op_identity},
                  {"sleep_ms", op_sleep_ms}, {"fail", op_fail},
                  {"bytes", op_bytes}};
  int rc;
  memset(r, 0, sizeof *r);
  dusk_strmap_init(&r->ops);
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if ((rc = dusk_registry_add(r, builtins[i].name, builtins[i].fn)) != 0)
      return rc;
  return dusk_dfops_register(r);
}

void dusk_registry_destroy(dusk_registry *r) {
  for (size_t i = 0; i < r->ops.cap; i++) {
    op_entry *e = r->ops.slots[i].value;
    if (e != NULL) {
      free(e->name);
      free(e);
    }
  }
  dusk_strmap_destroy(&r->ops);
  for (size_t i = 0; i < r->nhandles; i++)
    dlclose(r->handles[i]);
  free(r->handles);
}

dusk_op_fn dusk_registry_find(const dusk_registry *r, const char *name,
                              size_t len) {
  op_entry *e = dusk_strmap_get(&r->ops, name, len);
  return e ? e->fn : NULL;
}

int dusk_registry_load_plugin(dusk_registry *r, const char *path,
                              dusk_error *err) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  const uint32_t *abi;
  dusk_plugin_init_fn init;
  void **nh;
  int rc;
  if (h == NULL)
    return dusk_error_set(err, DUSK_ECONFIG, "plugin %s: %s", path,
                          dlerror());
  /* The ABI first: nothing of a plugin built for another one may run. */
  abi = dlsym(h, DUSK_PLUGIN_ABI_SYMBOL);
  if (abi == NULL) {
    dlclose(h);
    return dusk_error_set(err, DUSK_ECONFIG,
                          "plugin %s exports no %s: it was built for plugin "
                          "ABI 1 or does not use DUSK_PLUGIN_DEFINE_ABI(); "
                          "this worker has plugin ABI %u: rebuild the plugin "
                          "against this dusk's dusk_plugin.h",
                          path, DUSK_PLUGIN_ABI_SYMBOL,
                          (unsigned)DUSK_PLUGIN_ABI_VERSION);
  }
  if (*abi != DUSK_PLUGIN_ABI_VERSION) {
    uint32_t theirs = *abi;
    dlclose(h);
    return dusk_error_set(err, DUSK_ECONFIG,
                          "plugin %s was built for plugin ABI %" PRIu32
                          ", this worker has plugin ABI %u: rebuild the "
                          "plugin against this dusk's dusk_plugin.h",
                          path, theirs, (unsigned)DUSK_PLUGIN_ABI_VERSION);
  }
  *(void **)(&init) = dlsym(h, DUSK_PLUGIN_INIT_SYMBOL);
  if (init == NULL) {
    dlclose(h);
    return dusk_error_set(err, DUSK_ECONFIG, "plugin %s: no %s symbol", path,
                          DUSK_PLUGIN_INIT_SYMBOL);
  }
  rc = init(&dusk_registry_api, r);
  if (rc != 0) {
    dlclose(h);
    return dusk_error_set(err, DUSK_ECONFIG,
                          "plugin %s: initialisation failed (%d: %s)", path,
                          rc, dusk_strerror(rc));
  }
  nh = dusk_xrealloc(r->handles, (r->nhandles + 1) * sizeof *nh);
  r->handles = nh;
  r->handles[r->nhandles++] = h;
  return 0;
}

int dusk_registry_fail_text(dusk_op_call *call, const char *text,
                            size_t len) {
  snprintf(call->error, sizeof call->error, "%.*s", (int)len, text);
  call->long_error.len = 0;
  if (len >= sizeof call->error) {
    dusk_xcheck(dusk_buf_append(&call->long_error, text, len));
    dusk_xcheck(dusk_buf_append(&call->long_error, "", 1));
  }
  call->failed = 1;
  return DUSK_ETASK;
}

int dusk_registry_fail_widen(dusk_op_call *call, const char *column,
                             size_t len, uint8_t type, const char *text) {
  int rc = dusk_registry_fail_text(call, text, strlen(text));
  call->fail_column.len = 0;
  if (len == 0 || len > DUSK_FAIL_COLUMN_MAX || type == 0 ||
      dusk_buf_append(&call->fail_column, column, len) != 0)
    return rc;
  call->fail_reason = DUSK_FAIL_WIDEN;
  call->fail_type = type;
  return rc;
}

int dusk_registry_fail_quotes(dusk_op_call *call, const dusk_quote_run *runs,
                              size_t n, const char *text) {
  int rc = dusk_registry_fail_text(call, text, strlen(text));
  call->fail_quotes.len = 0;
  if (n == 0 || n > UINT32_MAX ||
      dusk_buf_append(&call->fail_quotes, runs, n * sizeof *runs) != 0)
    return rc;
  call->fail_reason = DUSK_FAIL_QUOTES;
  return rc;
}

/* Splits joined into call's fail_mixed_cols; 0, or -1 (the list left
 * empty) when it is empty, too long or out of memory. */
static int set_mixed_cols(dusk_op_call *call, const char *joined, size_t len,
                          char sep) {
  size_t n = 0, from = 0;
  call->fail_mixed.len = 0;
  call->fail_mixed_cols.len = 0;
  if (len == 0 || dusk_buf_append(&call->fail_mixed, joined, len) != 0)
    return -1;
  for (size_t i = 0; i <= len; i++) {
    dusk_slice c;
    if (i < len && joined[i] != sep)
      continue;
    c.ptr = call->fail_mixed.data + from;
    c.len = i - from;
    from = i + 1;
    if (c.len == 0 || c.len > DUSK_FAIL_COLUMN_MAX ||
        ++n > DUSK_FAIL_MIXED_MAX ||
        dusk_buf_append(&call->fail_mixed_cols, &c, sizeof c) != 0) {
      call->fail_mixed_cols.len = 0;
      return -1;
    }
  }
  return 0;
}

int dusk_registry_fail_widen_many(dusk_op_call *call, const char *column,
                                  size_t clen, uint8_t type,
                                  const char *joined, size_t len, char sep,
                                  const char *text) {
  int rc = dusk_registry_fail_widen(call, column, clen, type, text);
  if (call->fail_reason == DUSK_FAIL_WIDEN && len > 0)
    (void)set_mixed_cols(call, joined, len, sep); /* the first, at least */
  return rc;
}

int dusk_registry_fail_mixed(dusk_op_call *call, const char *joined,
                             size_t len, char sep, const char *text) {
  int rc = dusk_registry_fail_text(call, text, strlen(text));
  if (set_mixed_cols(call, joined, len, sep) == 0)
    call->fail_reason = DUSK_FAIL_MIXED;
  return rc;
}

const char *dusk_registry_error(const dusk_op_call *call) {
  return call->long_error.len > 0 ? call->long_error.data : call->error;
}

void dusk_registry_failure(const dusk_op_call *call,
                           dusk_msg_task_failed *m) {
  const char *msg = dusk_registry_error(call);
  m->reason = DUSK_FAIL_OP;
  m->message.ptr = msg;
  m->message.len = strlen(msg);
  m->column.ptr = "";
  m->column.len = 0;
  m->type = 0;
  m->nquotes = 0;
  m->quotes = NULL;
  m->nmixed = 0;
  m->mixed = NULL;
  if (call->fail_reason == DUSK_FAIL_WIDEN) {
    m->reason = DUSK_FAIL_WIDEN;
    m->column.ptr = call->fail_column.data;
    m->column.len = call->fail_column.len;
    m->type = call->fail_type;
    m->mixed = (dusk_slice *)(void *)call->fail_mixed_cols.data;
    m->nmixed = (uint32_t)(call->fail_mixed_cols.len / sizeof *m->mixed);
  } else if (call->fail_reason == DUSK_FAIL_QUOTES) {
    m->reason = DUSK_FAIL_QUOTES;
    m->quotes = (dusk_quote_run *)(void *)call->fail_quotes.data;
    m->nquotes = (uint32_t)(call->fail_quotes.len / sizeof *m->quotes);
  } else if (call->fail_reason == DUSK_FAIL_MIXED) {
    m->reason = DUSK_FAIL_MIXED;
    m->mixed = (dusk_slice *)(void *)call->fail_mixed_cols.data;
    m->nmixed = (uint32_t)(call->fail_mixed_cols.len / sizeof *m->mixed);
  }
}

void dusk_registry_call_destroy(dusk_op_call *call) {
  dusk_buf_destroy(&call->result);
  dusk_buf_destroy(&call->long_error);
  dusk_buf_destroy(&call->fail_column);
  dusk_buf_destroy(&call->fail_quotes);
  dusk_buf_destroy(&call->fail_mixed);
  dusk_buf_destroy(&call->fail_mixed_cols);
}

int dusk_registry_result_view(dusk_op_call *call, size_t i, size_t off,
                              size_t len) {
  if (i >= call->ninputs || len == 0 || off > call->inputs[i].len ||
      len > call->inputs[i].len - off)
    return DUSK_EINVAL;
  call->result_view = 1;
  call->view_input = i;
  call->view_off = off;
  call->view_len = len;
  call->result.len = 0;
  return 0;
}

int dusk_registry_run(dusk_op_fn fn, dusk_op_call *call) {
  int rc;
  call->result_view = 0;
  call->failed = 0;
  call->error[0] = '\0';
  call->long_error.len = 0;
  call->fail_reason = DUSK_FAIL_OP;
  call->fail_column.len = 0;
  call->fail_type = 0;
  call->fail_quotes.len = 0;
  call->fail_mixed.len = 0;
  call->fail_mixed_cols.len = 0;
  rc = fn(&dusk_registry_api, call);
  if (rc != 0 && !call->failed)
    snprintf(call->error, sizeof call->error, "op returned %d (%s)", rc,
             dusk_strerror(rc));
  if (rc == 0 && call->failed)
    rc = DUSK_ETASK;
  if (rc != 0 || call->failed)
    call->result_view = 0;
  if (rc == 0 && call->result.len == 0 && !call->result_view)
    /* Every result is a msgpack value: an op that set nothing gave nil. */
    rc = dusk_xcheck(dusk_mp_write_nil(&call->result));
  return rc;
}
