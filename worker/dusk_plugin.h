/* dusk_plugin.h - the ABI for ops loaded into dusk-worker with --plugin.
 *
 * The C counterpart of shipping a Python function to Dask: a shared library
 * exports
 *
 *     int dusk_plugin_init(const dusk_op_api *api, void *registry);
 *
 * which calls api->register_op(registry, "name", fn) for each op it offers
 * and returns 0 (or a negative value to refuse loading), and, once in one
 * of its files,
 *
 *     DUSK_PLUGIN_DEFINE_ABI();
 *
 * which exports the DUSK_PLUGIN_ABI_VERSION it was built with.  The worker
 * reads that before calling anything and refuses a plugin of another ABI
 * (or one exporting none) with an error naming the plugin and both
 * versions.  api->abi_version is the worker's, for plugins that check too.
 *
 * An op runs on the worker's work thread, one at a time, and must not block
 * indefinitely: long ops poll api->canceled(call) and return early when it
 * is true.  Values are msgpack bytes: the task's args as the client sent
 * them, and each input as the op that produced it set it.  An op sets its
 * result with set_result (or result_int) and returns 0, or calls fail (the
 * message reaches the client with the task's key) and returns its value.
 * Everything passed to an op is valid only during the call.  This header
 * needs only the C standard library; plugins link against nothing of dusk. */
#ifndef DUSK_PLUGIN_H
#define DUSK_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: plugins export dusk_plugin_abi_version (DUSK_PLUGIN_DEFINE_ABI). */
#define DUSK_PLUGIN_ABI_VERSION 2

typedef struct dusk_op_bytes {
  const char *ptr;
  size_t len;
} dusk_op_bytes;

typedef struct dusk_op_call dusk_op_call; /* opaque */
typedef struct dusk_op_api dusk_op_api;

/* Returns 0 on success or the value returned by api->fail. */
typedef int (*dusk_op_fn)(const dusk_op_api *api, dusk_op_call *call);

struct dusk_op_api {
  uint32_t abi_version;
  /* The task's args (msgpack; empty when the client gave none). */
  dusk_op_bytes (*args)(const dusk_op_call *call);
  size_t (*ninputs)(const dusk_op_call *call);
  /* Input i's result bytes (msgpack), i < ninputs. */
  dusk_op_bytes (*input)(const dusk_op_call *call, size_t i);
  /* Nonzero once the task was canceled or released. */
  int (*canceled)(const dusk_op_call *call);
  /* Sets the result to a copy of len msgpack bytes; 0 or negative. */
  int (*set_result)(dusk_op_call *call, const void *msgpack, size_t len);
  /* Records a failure message (printf-style) and returns a negative value
   * for the op to return. */
  int (*fail)(dusk_op_call *call, const char *fmt, ...)
      __attribute__((format(printf, 2, 3)));
  /* Decodes one msgpack integer value; 0 or negative. */
  int (*read_int)(dusk_op_bytes value, int64_t *out);
  /* Sets the result to one msgpack integer. */
  int (*result_int)(dusk_op_call *call, int64_t v);
  /* Adds op `name` (copied) to the registry; 0 or negative (duplicate). */
  int (*register_op)(void *registry, const char *name, dusk_op_fn fn);
};

typedef int (*dusk_plugin_init_fn)(const dusk_op_api *api, void *registry);

#define DUSK_PLUGIN_INIT_SYMBOL "dusk_plugin_init"
#define DUSK_PLUGIN_ABI_SYMBOL "dusk_plugin_abi_version"

/* What a plugin exports, visible even when it is compiled with
 * -fvisibility=hidden. */
#if defined(__GNUC__)
#define DUSK_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define DUSK_PLUGIN_EXPORT
#endif

DUSK_PLUGIN_EXPORT int dusk_plugin_init(const dusk_op_api *api,
                                        void *registry);
DUSK_PLUGIN_EXPORT extern const uint32_t dusk_plugin_abi_version;

/* The definition takes its visibility and C linkage from the declaration
 * above. */
#define DUSK_PLUGIN_DEFINE_ABI()                                             \
  const uint32_t dusk_plugin_abi_version = DUSK_PLUGIN_ABI_VERSION

#ifdef __cplusplus
}
#endif

#endif
