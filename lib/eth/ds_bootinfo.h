/* ds_bootinfo.h — the BootInfo dstack's KMS builds from a CVM's verified attestation and
 * sends to its auth api (kms-governance.md §2), and the same values as the contracts'
 * AppBootInfo, the argument of DstackKms.isAppAllowed (§3).
 *
 * One fixed-size struct, no hidden allocation (only ds_bootinfo_calldata mallocs, and says
 * so). The module takes raw bytes: callers pass the measurements they read from their
 * quote and event log.
 *
 *   mr_system     = SHA-256(mr_td ‖ rtmr0 ‖ rtmr1 ‖ rtmr2 ‖ K), K = SHA-256(key-provider
 *                   info), or 32 zero bytes when there is none or it is empty;
 *   mr_aggregated = SHA-256(mr_td ‖ rtmr0 ‖ rtmr1 ‖ rtmr2 ‖ rtmr3
 *                   [‖ mr_config_id ‖ mr_owner ‖ mr_owner_config]), the last three only
 *                   when any of them is non-zero
 * as dstack-attest computes them (Dstack-TEE/dstack 40eaf35e, dstack-attest/src/
 * attestation.rs: decode_app_info_ex, decode_mr_tdx_from_quote).
 *
 * JSON (the webhook body): camelCase members in the KMS's order, byte fields as lowercase
 * hex without 0x (serde_human_bytes). The reader accepts what auth-eth accepts
 * (kms/auth-eth/src/ethereum.ts decodeHex): an optional "0x", and fixed-size fields
 * shorter than their size left-padded with zeros.
 */
#ifndef DS_BOOTINFO_H
#define DS_BOOTINFO_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ds_abi.h"
#include "ds_err.h"
#include "ds_json.h"

#define DS_BOOTINFO_MAX_KP 1024       /* bytes of key-provider info */
#define DS_BOOTINFO_MAX_ADVISORIES 64 /* advisory ids */
#define DS_BOOTINFO_ADVISORY_CAP 32   /* chars of one advisory id, NUL included */
#define DS_BOOTINFO_TCB_CAP 48        /* chars of the TCB status, NUL included */
#define DS_BOOTINFO_MODE_CAP 32       /* chars of the attestation mode, NUL included */

/* DstackKms.isAppAllowed(AppBootInfo) (kms-governance.md §3). */
#define DS_BOOTINFO_IS_APP_ALLOWED                                                                 \
    "isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))"

typedef struct {
    char attestation_mode[DS_BOOTINFO_MODE_CAP]; /* e.g. "dstack-tdx" */
    uint8_t mr_aggregated[32];
    uint8_t os_image_hash[32];
    uint8_t mr_system[32];
    uint8_t app_id[20];
    uint8_t compose_hash[32];
    uint8_t instance_id[20];
    size_t instance_id_len; /* 20, or 0: none (JSON "", the zero address on chain) */
    uint8_t device_id[32];
    uint8_t key_provider_info[DS_BOOTINFO_MAX_KP];
    size_t key_provider_info_len;
    char tcb_status[DS_BOOTINFO_TCB_CAP]; /* "UpToDate", ...; "" when not TDX */
    char advisory_ids[DS_BOOTINFO_MAX_ADVISORIES][DS_BOOTINFO_ADVISORY_CAP];
    size_t n_advisory_ids;
} ds_bootinfo;

/* The TD measurements mr_system and mr_aggregated are computed from. rtmr[3] is the one
 * replayed from the event log (dstack-attest replays it; a verified quote's equals it). */
typedef struct {
    uint8_t mr_td[48];
    uint8_t rtmr[4][48];
    uint8_t mr_config_id[48];
    uint8_t mr_owner[48];
    uint8_t mr_owner_config[48];
} ds_bootinfo_tdmrs;

/* Computes mr_system and mr_aggregated (either output may be NULL) from m and the
 * key-provider info kp (kp_len bytes; NULL or 0: none). Cannot fail. */
void ds_bootinfo_mrs(const ds_bootinfo_tdmrs *m, const uint8_t *kp, size_t kp_len,
                     uint8_t mr_system[32], uint8_t mr_aggregated[32]);

/* Copies the key-provider info into bi. Returns DS_OK, or DS_ERR_LEN (more than
 * DS_BOOTINFO_MAX_KP bytes; bi unchanged). */
ds_err ds_bootinfo_set_key_provider(ds_bootinfo *bi, const uint8_t *kp, size_t len);

/* Sets the TCB status. Returns DS_OK, or DS_ERR_LEN (longer than DS_BOOTINFO_TCB_CAP - 1
 * chars; bi unchanged). */
ds_err ds_bootinfo_set_tcb_status(ds_bootinfo *bi, const char *status);

/* Appends one advisory id. Returns DS_OK, or DS_ERR_LEN (the list is full, or the id is
 * longer than DS_BOOTINFO_ADVISORY_CAP - 1 chars; bi unchanged). */
ds_err ds_bootinfo_add_advisory(ds_bootinfo *bi, const char *id);

/* Appends bi as the KMS sends it: {"attestationMode","mrAggregated","osImageHash",
 * "mrSystem","appId","composeHash","instanceId","deviceId","keyProviderInfo","tcbStatus",
 * "advisoryIds"}. On allocation failure out->oom is set (ds_buf's rule). */
void ds_bootinfo_json(const ds_bootinfo *bi, ds_buf *out);

/* Reads a BootInfo object (the webhook body, or GetMeta's kms_auth.boot_info) into bi.
 * Required: appId, composeHash, instanceId, deviceId, mrAggregated, mrSystem, osImageHash
 * (hex strings; instanceId may be ""), tcbStatus (string), advisoryIds (array of strings);
 * optional: attestationMode (string), keyProviderInfo (hex, exact bytes). Returns DS_OK,
 * or DS_ERR_PARSE with "<member>: <why>" in err (errcap bytes; err may be NULL): not an
 * object, a member missing or of the wrong JSON type, not hex, longer than its size, a
 * string or list over its cap. On error bi holds no meaningful value. */
ds_err ds_bootinfo_from_json(const cJSON *obj, ds_bootinfo *bi, char *err, size_t errcap);

/* The AppBootInfo tuple as ds_abi values. The strings point into the ds_bootinfo, the
 * tuple into this struct: keep both alive and in place while the values are used. */
typedef struct {
    ds_abi_value field[9];
    ds_abi_value adv[DS_BOOTINFO_MAX_ADVISORIES];
    ds_abi_value tuple; /* (appId, composeHash, instanceId, deviceId, mrAggregated,
                           mrSystem, osImageHash, tcbStatus, advisoryIds) */
} ds_bootinfo_abi;

/* Fills a from bi (an absent instance id is the zero address, as auth-eth pads it).
 * Cannot fail. */
void ds_bootinfo_abi_init(const ds_bootinfo *bi, ds_bootinfo_abi *a);

/* The calldata of DstackKms.isAppAllowed(bi), in a malloc'd buffer the caller frees.
 * Returns DS_OK, or DS_ERR_NOMEM / DS_ERR_ARG (*data NULL, *len 0). */
ds_err ds_bootinfo_calldata(const ds_bootinfo *bi, uint8_t **data, size_t *len);

#endif
