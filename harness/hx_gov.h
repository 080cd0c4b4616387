/* hx_gov.h — dstack's on-chain KMS governance as the harness drives it: the BootInfo a
 * simulated CVM's KMS would send (read from the simulator's GetMeta), the production
 * deployment (DstackKms behind an ERC-1967 proxy, each app a DstackApp proxy created by
 * the KMS's factory or placed at a given app id), kms-governance.md §1–§4.
 */
#ifndef HX_GOV_H
#define HX_GOV_H

#include <stddef.h>
#include <stdint.h>

#include "ds_bootinfo.h"
#include "hx_chain.h"
#include "hx_sim.h"
#include "hx_state.h"

/* The simulator's view of its boot: the BootInfo its KMS would send and its decision. */
typedef struct {
    ds_bootinfo boot;  /* GetMeta's kms_auth.boot_info */
    char mode[16];     /* the simulator's --kms-auth mode: "dev", "webhook", "contract" */
    char decision[32]; /* its current decision ("allowed", "denied", ...) */
    char reason[512];  /* its reason ("" when allowed) */
    char target[128];  /* what it asks (auth api URL or contract), "" in dev mode */
} hx_bootinfo;

/* Reads GetMeta on the simulator socket and takes its kms_auth.boot_info
 * (ds_bootinfo_from_json). Returns 0, or -1 with a message in err (no simulator, one
 * without --kms-auth support, or a BootInfo that does not read). */
int hx_bootinfo_read(const char *sock, hx_bootinfo *bi, char *err, size_t errcap);

/* Deploys the KMS as upstream does: DstackApp and DstackKms implementations, then an
 * ERC1967Proxy of DstackKms initialised with (s->owner, app implementation); sets kmsInfo
 * to root_pub (33 bytes) and allows os_image. Fills s->kms, s->kms_impl, s->app_impl.
 * Returns 0, or -1 after printing the reason. */
int hx_gov_deploy_kms(hx_chain *c, hx_state *s, const uint8_t root_pub[33],
                      const uint8_t os_image[32]);

/* Creates the app, owner s->owner, allowing bi's compose hash on any device (bi's device
 * listed in allowedDeviceIds, for when allowAnyDevice is turned off):
 * at == NULL: through DstackKms.deployAndRegisterApp (the app id is the new proxy);
 * else at that address (a production id reproduced): Anvil's anvil_setCode puts the
 * proxy's code there, anvil_setStorageAt its implementation, then the proxy is
 * initialised and registered as the factory would. Fills s->app. Returns 0 or -1 (printed). */
int hx_gov_create_app(hx_chain *c, hx_state *s, const ds_bootinfo *bi, const uint8_t *at);

/* The chain's answer to DstackKms.isAppAllowed(bi) at kms: 0 with *allowed and reason,
 * or -1 with the failure in c->err / c->revert. */
int hx_gov_is_app_allowed(hx_chain *c, const uint8_t kms[20], const ds_bootinfo *bi, int *allowed,
                          char *reason, size_t cap);

/* Starts the simulator as s records it: its config, plus --app-id <s->app_id> when
 * s->sim_app_id, --kms-auth s->sim_kms_auth (with --rpc s->rpc_url for contract mode)
 * and --compose s->sim_compose when set; socket in dir. Returns hx_sim_start's result. */
int hx_gov_sim_start(hx_sim *sim, const char *dir, const hx_state *s, char *err, size_t errcap);

/* Starts the simulator again as s records it (hx_gov_sim_start), in the directory of
 * s->sim_sock; the old one must have been stopped. Records the new pid and log in s and
 * reads the BootInfo it publishes into bi. Returns 0; -1 when it did not start
 * (s->sim_pid = 0); -2 when it runs (sim->pid, s->sim_pid) but its BootInfo could not be
 * read. On failure the reason is in err. */
int hx_gov_sim_restart(hx_sim *sim, hx_state *s, hx_bootinfo *bi, char *err, size_t errcap);

#endif
