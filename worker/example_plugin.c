/* example_plugin.c - an op plugin for dusk-worker (see dusk_plugin.h).
 *
 *   dusk-worker tcp://127.0.0.1:8786 --plugin ./dusk_example_plugin.so
 *
 * Ops: "mul" multiplies its integer inputs (args, if given, is a factor);
 * "crash" kills its worker with SIGSEGV, for testing the nanny and the
 * scheduler's retry limit. */
#include "dusk_plugin.h"

#include <signal.h>

DUSK_PLUGIN_DEFINE_ABI();

static int op_mul(const dusk_op_api *api, dusk_op_call *call) {
  int64_t product = 1, v;
  dusk_op_bytes a = api->args(call);
  if (a.len > 0) {
    if (api->read_int(a, &v) != 0)
      return api->fail(call, "mul: args must be an integer");
    product = v;
  }
  for (size_t i = 0; i < api->ninputs(call); i++) {
    if (api->read_int(api->input(call, i), &v) != 0)
      return api->fail(call, "mul: input %zu is not an integer", i);
    if (__builtin_mul_overflow(product, v, &product))
      return api->fail(call, "mul: integer overflow at input %zu", i);
  }
  return api->result_int(call, product);
}

static int op_crash(const dusk_op_api *api, dusk_op_call *call) {
  (void)api;
  (void)call;
  raise(SIGSEGV);
  return 0;
}

int dusk_plugin_init(const dusk_op_api *api, void *registry) {
  if (api->abi_version != DUSK_PLUGIN_ABI_VERSION)
    return -1;
  if (api->register_op(registry, "mul", op_mul) != 0 ||
      api->register_op(registry, "crash", op_crash) != 0)
    return -1;
  return 0;
}
