/* no_abi_plugin.c - a plugin as plugin ABI 1 built them, exporting only
 * dusk_plugin_init and no dusk_plugin_abi_version, for check_plugin: the
 * worker must refuse it without running any of it, so its init aborts. */
#include "dusk_plugin.h"

#include <stdlib.h>

int dusk_plugin_init(const dusk_op_api *api, void *registry) {
  (void)api;
  (void)registry;
  abort(); /* called without its ABI being checked */
}
