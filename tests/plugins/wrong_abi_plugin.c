/* wrong_abi_plugin.c - a plugin claiming the plugin ABI after ours, for
 * check_plugin: the worker must refuse it without running any of it, so its
 * init aborts. */
#include "dusk_plugin.h"

#include <stdlib.h>

const uint32_t dusk_plugin_abi_version = DUSK_PLUGIN_ABI_VERSION + 1;

int dusk_plugin_init(const dusk_op_api *api, void *registry) {
  (void)api;
  (void)registry;
  abort(); /* a worker of another ABI called into us */
}
