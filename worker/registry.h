/* registry.h - ops by name: the built-in ones and those from plugins.
 * Built once at start-up, read-only afterwards (safe from the work thread). */
#ifndef DUSK_REGISTRY_H
#define DUSK_REGISTRY_H

#include "buf.h"
#include "dusk_plugin.h"
#include "errors.h"
#include "hashmap.h"
#include "msg.h"

typedef struct dusk_registry {
  dusk_strmap ops; /* name -> registry entry */
  void **handles;  /* dlopen handles */
  size_t nhandles;
} dusk_registry;

/* The concrete call an op sees through dusk_op_api (worker-internal). */
struct dusk_op_call {
  dusk_slice args;
  size_t ninputs;
  const dusk_slice *inputs;
  /* Per input: 1 when this worker's own op made it and it never left the
   * worker's memory (no peer or disk carried it), so its bytes are as an
   * op wrote them and a reader may skip the checks that guard against
   * damaged ones (a persisted partition's row checks); else 0. */
  const uint8_t *inputs_own;
  const volatile int *canceled; /* set by the loop thread */
  dusk_buf result;
  char error[512];
  dusk_buf long_error; /* a failure text longer than `error` holds */
  int failed;
  /* The failure's TASK_FAILED reason: DUSK_FAIL_OP, or a typed reason the
   * scheduler acts on, with its fields (see dusk_registry_fail_widen and
   * dusk_registry_fail_quotes). */
  uint32_t fail_reason;
  dusk_buf fail_column; /* WIDEN: the column's name, its bytes */
  uint8_t fail_type;    /* WIDEN: the dusk_type it needs */
  dusk_buf fail_quotes; /* QUOTES: dusk_quote_run[] */
  dusk_buf fail_mixed;  /* MIXED: the columns' names, back to back */
  dusk_buf fail_mixed_cols; /* MIXED: dusk_slice[] into fail_mixed */
  /* Set by an op that reads CSV (df_scan): the bytes of its range it read,
   * whatever its outcome; the worker adds them up for its heartbeats. */
  uint64_t bytes_scanned;
  /* Set by an op whose result is a range of one of its inputs (df_pick:
   * one part of a split), with dusk_registry_result_view: bytes
   * [view_off, view_off + view_len) of input view_input.  The worker keeps
   * that range of the input as the task's result without copying it
   * (worker.c, result views); call->result is then unused. */
  int result_view;
  size_t view_input, view_off, view_len;
};

/* Makes call's result bytes [off, off + len) of its input i (len > 0,
 * within the input): 0, or DUSK_EINVAL, the result left as it was. */
int dusk_registry_result_view(dusk_op_call *call, size_t i, size_t off,
                              size_t len);

extern const dusk_op_api dusk_registry_api;

/* Registers the built-in ops: constant, add, sum, sleep_ms, fail, bytes,
 * identity. */
int dusk_registry_init(dusk_registry *r);
void dusk_registry_destroy(dusk_registry *r);
int dusk_registry_add(dusk_registry *r, const char *name, dusk_op_fn fn);
dusk_op_fn dusk_registry_find(const dusk_registry *r, const char *name,
                              size_t len);
/* dlopens path, refuses it unless its exported dusk_plugin_abi_version is
 * our DUSK_PLUGIN_ABI_VERSION (DUSK_ECONFIG, err naming the path and both
 * versions; nothing of the plugin runs), then calls its dusk_plugin_init;
 * err names the path. */
int dusk_registry_load_plugin(dusk_registry *r, const char *path,
                              dusk_error *err);

/* Fails call with text of any length (for built-in ops whose failure
 * carries data for the scheduler); returns DUSK_ETASK. */
int dusk_registry_fail_text(dusk_op_call *call, const char *text,
                            size_t len);

/* Fails call with reason DUSK_FAIL_WIDEN: a value of column (len bytes,
 * at most DUSK_FAIL_COLUMN_MAX) needs type (a dusk_type); text is the
 * message for a person.  Returns DUSK_ETASK.  Out of memory leaves a plain
 * failure with the text. */
int dusk_registry_fail_widen(dusk_op_call *call, const char *column,
                             size_t len, uint8_t type, const char *text);

/* dusk_registry_fail_widen for column and, as well, the columns listed
 * in joined (len bytes, names separated by sep, as for fail_mixed), which
 * need the same type. */
int dusk_registry_fail_widen_many(dusk_op_call *call, const char *column,
                                  size_t clen, uint8_t type,
                                  const char *joined, size_t len, char sep,
                                  const char *text);

/* Fails call with reason DUSK_FAIL_QUOTES: the n (>= 1) runs of ranges
 * whose starting quote state was guessed wrong, with the right states;
 * text is the message for a person.  Returns DUSK_ETASK, like above. */
int dusk_registry_fail_quotes(dusk_op_call *call, const dusk_quote_run *runs,
                              size_t n, const char *text);

/* Fails call with reason DUSK_FAIL_MIXED: a fillna met nulls in the
 * columns listed in joined (len bytes, names separated by sep, each
 * 1..DUSK_FAIL_COLUMN_MAX bytes, at most DUSK_FAIL_MIXED_MAX of them) that
 * it fills with another kind of value; text is the message for a person.
 * Returns DUSK_ETASK, like above. */
int dusk_registry_fail_mixed(dusk_op_call *call, const char *joined,
                             size_t len, char sep, const char *text);

/* The failure message of call (long_error if set, else error). */
const char *dusk_registry_error(const dusk_op_call *call);

/* Fills m's reason, message and typed fields from call's failure; they
 * borrow from call. */
void dusk_registry_failure(const dusk_op_call *call,
                           dusk_msg_task_failed *m);

/* Frees the buffers of call (its result, failure text and fields). */
void dusk_registry_call_destroy(dusk_op_call *call);

/* True for the built-in ops whose cost is bounded by their (small) inputs
 * alone: constant, add, sum.  The worker may run these on its loop thread
 * when its work thread is idle, saving two thread wake-ups per task. */
int dusk_registry_is_trivial(dusk_op_fn fn);

/* Runs fn on call; on failure dusk_registry_error(call) is the message. */
int dusk_registry_run(dusk_op_fn fn, dusk_op_call *call);

#endif
