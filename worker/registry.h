/* registry.h - ops by name: the built-in ones and those from plugins.
 * Built once at start-up, read-only afterwards (safe from the work thread). */
#ifndef DUSK_REGISTRY_H
#define DUSK_REGISTRY_H

#include "buf.h"
#include "dusk_plugin.h"
#include "errors.h"
#include "hashmap.h"

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
  const volatile int *canceled; /* set by the loop thread */
  dusk_buf result;
  char error[512];
  dusk_buf long_error; /* a failure text longer than `error` holds */
  int failed;
};

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

/* The failure message of call (long_error if set, else error). */
const char *dusk_registry_error(const dusk_op_call *call);

/* True for the built-in ops whose cost is bounded by their (small) inputs
 * alone: constant, add, sum.  The worker may run these on its loop thread
 * when its work thread is idle, saving two thread wake-ups per task. */
int dusk_registry_is_trivial(dusk_op_fn fn);

/* Runs fn on call; on failure dusk_registry_error(call) is the message. */
int dusk_registry_run(dusk_op_fn fn, dusk_op_call *call);

#endif
