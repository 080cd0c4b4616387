/* sim_bootinfo.h — the BootInfo dstack's KMS builds from a CVM's verified attestation
 * before it asks its auth api whether the CVM may boot (kms-governance.md §2), built here
 * from the simulator's own attested values: its boot event log, a quote of it signed
 * under the simulated Intel PKI and that quote verified as the KMS verifies it.
 *
 *   app id, compose hash, instance id, key provider info: the first `app-id`,
 *     `compose-hash`, `instance-id`, `key-provider` events before `system-ready`;
 *   mr_system, mr_aggregated: ds_bootinfo_mrs over the simulator's TD report and the boot
 *     log's RTMRs (mr_aggregated is the one Info reports, attestation.md §4);
 *   os image hash: vm_config's; device id = SHA-256(PPID of the quote's PCK certificate);
 *   TCB status and advisory ids: the quote's verification under the simulated PKI.
 * The BootInfo itself, its JSON and its calldata are lib/eth/ds_bootinfo.h's.
 */
#ifndef SIM_BOOTINFO_H
#define SIM_BOOTINFO_H

#include <stddef.h>

#include "ds_bootinfo.h"
#include "sim_state.h"

/* Builds the BootInfo of the simulator's boot from st (its event log as it is now: call
 * it before any runtime event is emitted or replayed). Returns 0, or -1 with a message in
 * err (out of memory, the key-provider event is over DS_BOOTINFO_MAX_KP bytes, or the
 * simulator's own quote does not verify). */
int sim_bootinfo_build(sim_state *st, ds_bootinfo *bi, char *err, size_t errcap);

#endif
