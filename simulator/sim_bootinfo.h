/* sim_bootinfo.h — the BootInfo dstack's KMS builds from a CVM's verified attestation
 * before it asks its auth api whether the CVM may boot (kms-governance.md §2), built here
 * from the simulator's own attested values: its boot event log, a quote of it signed
 * under the simulated Intel PKI and that quote verified as the KMS verifies it.
 *
 *   app id, compose hash, instance id, key provider info: the first `app-id`,
 *     `compose-hash`, `instance-id`, `key-provider` events before `system-ready`;
 *   mr_system = SHA-256(mr_td ‖ rt_mr0 ‖ rt_mr1 ‖ rt_mr2 ‖ K), K = SHA-256(key provider
 *     info), or 32 zero bytes without one (dstack-attest's decode_mr_tdx_from_quote);
 *   mr_aggregated: as Info reports it (attestation.md §4), over the boot log's RTMRs;
 *   os image hash: vm_config's; device id = SHA-256(PPID of the quote's PCK certificate);
 *   TCB status and advisory ids: the quote's verification under the simulated PKI.
 */
#ifndef SIM_BOOTINFO_H
#define SIM_BOOTINFO_H

#include <stddef.h>
#include <stdint.h>

#include "ds_json.h"
#include "sim_state.h"

#define SIM_BOOTINFO_MAX_ADVISORIES 16
#define SIM_BOOTINFO_MAX_KP 1024 /* bytes of key provider info kept */

typedef struct {
    uint8_t app_id[20];
    uint8_t compose_hash[32];
    uint8_t instance_id[20];
    size_t instance_id_len; /* 20, or 0 (no_instance_id) */
    uint8_t device_id[32];
    uint8_t mr_aggregated[32];
    uint8_t mr_system[32];
    uint8_t os_image_hash[32];
    uint8_t key_provider_info[SIM_BOOTINFO_MAX_KP];
    size_t key_provider_info_len;
    char tcb_status[48];
    char advisory_ids[SIM_BOOTINFO_MAX_ADVISORIES][40];
    size_t n_advisory_ids;
} sim_bootinfo;

/* Builds the BootInfo of the simulator's boot from st (its event log as it is now: call
 * it before any runtime event is emitted or replayed). Returns 0, or -1 with a message in
 * err (out of memory, or the simulator's own quote does not verify). */
int sim_bootinfo_build(sim_state *st, sim_bootinfo *bi, char *err, size_t errcap);

/* Appends the BootInfo as the KMS sends it: camelCase members in upstream's order
 * (attestationMode "dstack-tdx" first), bytes as lowercase hex without 0x. */
void sim_bootinfo_json(const sim_bootinfo *bi, ds_buf *out);

/* ABI-encodes DstackKms.isAppAllowed(AppBootInfo) calldata (kms-governance.md §3) into a
 * malloc'd buffer. Returns 0, or -1 (out of memory). */
int sim_bootinfo_calldata(const sim_bootinfo *bi, uint8_t **data, size_t *len);

#endif
