/* vf_chain.c — step 6: on-chain governance through the app's DstackApp contract.
 *
 *   allowedComposeHashes(bytes32 attested_compose_hash) → bool        (the seed's check)
 *   isAppAllowed(AppBootInfo) → (bool, string reason)                 (dstack KMS's check)
 *
 * AppBootInfo (lib/eth/ds_bootinfo.h) is built from attested values: app id, instance id,
 * compose hash and key-provider from the quote's event log (first occurrence before
 * system-ready), mr_system and mr_aggregated from the quote's TD report and that
 * key-provider payload (ds_bootinfo_mrs, as dstack-attest computes them), the
 * os-image-hash event (else Info's), device_id = sha256(PPID of step 2's PCK certificate)
 * as the KMS derives it (without one: Info's device_id, else sha256("")), the TCB status
 * and advisory ids from step 2. Both calls are eth_call at "latest" (nothing is sent).
 *
 * On chain the app id is the DstackApp address. The simulator's default app id is
 * compose_hash[:20], so a mismatch is only noted, unless --strict-app-id (then it fails).
 */
#include "vf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_abi.h"
#include "ds_bootinfo.h"
#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_rpc.h"

typedef struct {
    ds_bootinfo bi;
    int have_compose, have_app_id;
} vf_boot_info;

static void hex32_field(const cJSON *obj, const char *name, uint8_t out[32]) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsString(v)) ds_hex_decode_exact(v->valuestring, strlen(v->valuestring), out, 32);
}

void vf_report_mrs(const ds_td_report *t, const ds_event *kp, uint8_t mr_system[32],
                   uint8_t mr_aggregated[32]) {
    ds_bootinfo_tdmrs m;
    memcpy(m.mr_td, t->mr_td, 48);
    memcpy(m.rtmr, t->rt_mr, sizeof m.rtmr);
    memcpy(m.mr_config_id, t->mr_config_id, 48);
    memcpy(m.mr_owner, t->mr_owner, 48);
    memcpy(m.mr_owner_config, t->mr_owner_config, 48);
    ds_bootinfo_mrs(&m, kp ? kp->payload : NULL, kp ? kp->payload_len : 0, mr_system,
                    mr_aggregated);
}

/* The attested part of the BootInfo (everything but the TCB status and advisories). */
static void build_boot_info(const vf_run *r, const ds_qverify_result *qres, vf_boot_info *vb) {
    memset(vb, 0, sizeof *vb);
    ds_bootinfo *b = &vb->bi;
    if (qres && qres->have_pck) { /* as the KMS derives it from the verified quote */
        ds_sha256(qres->ppid, sizeof qres->ppid, b->device_id);
    } else {
        ds_sha256((const uint8_t *)"", 0, b->device_id);
        if (r->info) hex32_field(r->info, "device_id", b->device_id);
    }
    if (r->info) hex32_field(r->info, "os_image_hash", b->os_image_hash);
    ds_eventlog log;
    if (!r->event_log_json || ds_eventlog_parse_json(r->event_log_json, strlen(r->event_log_json),
                                                     &log, NULL, 0) != DS_OK)
        return;
    vb->have_compose = ds_eventlog_boot_payload(&log, "compose-hash", b->compose_hash, 32);
    vb->have_app_id = ds_eventlog_boot_payload(&log, "app-id", b->app_id, 20);
    if (ds_eventlog_boot_payload(&log, "instance-id", b->instance_id, 20)) b->instance_id_len = 20;
    ds_eventlog_boot_payload(&log, "os-image-hash", b->os_image_hash, 32);
    const ds_event *kp = ds_eventlog_find_boot_runtime(&log, "key-provider");
    ds_quote q; /* step 2 already parsed the report; parsed here only when it did not run */
    if (qres && qres->have_quote)
        vf_report_mrs(&qres->report, kp, b->mr_system, b->mr_aggregated);
    else if (r->quote && ds_quote_parse(r->quote, r->quote_len, &q) == DS_OK)
        vf_report_mrs(&q.report, kp, b->mr_system, b->mr_aggregated);
    ds_eventlog_free(&log);
}

/* eth_call to the app; on DS_OK *ret holds the return data. Failures fill s. */
static int call_app(ds_rpc *rpc, const uint8_t app[20], const char *sig, const ds_abi_value *args,
                    size_t nargs, ds_rpc_call_result *ret, vf_step *s) {
    size_t len = 0;
    if (ds_abi_encode_call(sig, args, nargs, NULL, 0, &len) != DS_OK) {
        vf_step_fail(s, "cannot encode %s", sig);
        return -1;
    }
    uint8_t *data = malloc(len);
    if (!data || ds_abi_encode_call(sig, args, nargs, data, len, &len) != DS_OK) {
        free(data);
        vf_step_fail(s, "cannot encode %s", sig);
        return -1;
    }
    ds_err e = ds_rpc_eth_call(rpc, NULL, app, data, len, ret);
    free(data);
    if (e != DS_OK) {
        vf_step_fail(s, "%s", ds_rpc_error(rpc));
        return -1;
    }
    if (ret->reverted) {
        char why[300];
        ds_abi_revert_describe(ret->data, ret->len, NULL, 0, why, sizeof why);
        char name[40];
        snprintf(name, sizeof name, "%.*s", (int)(strchr(sig, '(') - sig), sig);
        vf_step_fail(s, "%s reverted: %s (is the contract a DstackApp?)", name, why);
        ds_rpc_call_result_free(ret);
        return -1;
    }
    return 0;
}

/* Decodes (bool[,string]) return data. */
static int decode_ret(const ds_rpc_call_result *ret, const char *types, int *ok, char *reason,
                      size_t rcap) {
    ds_abi_types t;
    ds_abi_value pool[8];
    size_t used;
    if (ds_abi_parse(types, strlen(types), &t, NULL) != DS_OK ||
        ds_abi_decode(&t, ret->data, ret->len, pool, 8, &used) != DS_OK)
        return -1;
    *ok = pool[0].items[0].word[31] != 0;
    if (reason && rcap) {
        reason[0] = '\0';
        if (pool[0].n > 1)
            snprintf(reason, rcap, "%.*s",
                     (int)(pool[0].items[1].len > 200 ? 200 : pool[0].items[1].len),
                     (const char *)pool[0].items[1].ptr);
    }
    return 0;
}

void vf_step_chain(vf_run *r, const ds_qverify_result *qres, vf_step *s) {
    if (r->opt.no_chain) {
        vf_step_skip(s, "on-chain governance not checked (--no-chain)");
        return;
    }
    if (!r->opt.have_app) {
        vf_step_skip(s, "on-chain governance not checked: no --app ADDRESS (exit status 3)");
        return;
    }
    vf_boot_info b;
    build_boot_info(r, qres, &b);
    char ch[65], app[41];
    ds_hex_encode(r->opt.app, 20, app);
    if (!b.have_compose) {
        vf_step_fail(s, "no attested compose-hash (32 bytes) in the quote's event log to look up");
        return;
    }
    ds_hex_encode(b.bi.compose_hash, 32, ch);
    ds_rpc rpc;
    if (ds_rpc_open(&rpc, r->opt.rpc) != DS_OK) {
        vf_step_fail(s, "bad --rpc URL %s", r->opt.rpc);
        return;
    }
    rpc.timeout_ms = r->opt.timeout_ms;
    size_t code = 0;
    if (ds_rpc_code_size(&rpc, r->opt.app, &code) != DS_OK) {
        vf_step_fail(s, "%s", ds_rpc_error(&rpc));
        ds_rpc_close(&rpc);
        return;
    }
    if (code == 0) {
        vf_step_fail(s, "no contract at 0x%s on the chain at %s", app, r->opt.rpc);
        ds_rpc_close(&rpc);
        return;
    }
    ds_rpc_call_result ret;
    ds_abi_value hv = ds_abi_fbytes(b.bi.compose_hash, 32);
    int allowed = 0, is_allowed = 0;
    char reason[256] = "";
    if (call_app(&rpc, r->opt.app, "allowedComposeHashes(bytes32)", &hv, 1, &ret, s) != 0) {
        ds_rpc_close(&rpc);
        return;
    }
    int bad = decode_ret(&ret, "(bool)", &allowed, NULL, 0);
    ds_rpc_call_result_free(&ret);
    if (bad) {
        vf_step_fail(s, "allowedComposeHashes returned something that is not a bool");
        ds_rpc_close(&rpc);
        return;
    }
    int fits = ds_bootinfo_set_tcb_status(&b.bi, qres ? qres->status : "") == DS_OK;
    for (size_t i = 0; fits && qres && i < qres->n_advisory_ids; i++)
        fits = ds_bootinfo_add_advisory(&b.bi, qres->advisory_ids[i]) == DS_OK;
    if (!fits) {
        vf_step_fail(s,
                     "the quote's TCB status or advisory ids do not fit an AppBootInfo (at "
                     "most %d ids of %d chars)",
                     DS_BOOTINFO_MAX_ADVISORIES, DS_BOOTINFO_ADVISORY_CAP - 1);
        ds_rpc_close(&rpc);
        return;
    }
    ds_bootinfo_abi a;
    ds_bootinfo_abi_init(&b.bi, &a);
    int rc = call_app(&rpc, r->opt.app, DS_BOOTINFO_IS_APP_ALLOWED, &a.tuple, 1, &ret, s);
    ds_rpc_close(&rpc);
    if (rc != 0) return;
    bad = decode_ret(&ret, "(bool,string)", &is_allowed, reason, sizeof reason);
    ds_rpc_call_result_free(&ret);
    if (bad) {
        vf_step_fail(s, "isAppAllowed returned something that is not (bool, string)");
        return;
    }
    int app_match = b.have_app_id && !memcmp(b.bi.app_id, r->opt.app, 20);
    char appnote[160] = "";
    if (!app_match) {
        char aid[41];
        snprintf(appnote, sizeof appnote, "; note: the attested app id %s is not this contract",
                 b.have_app_id ? ds_hex_encode(b.bi.app_id, 20, aid) : "(none)");
        vf_step_item(s, "attested app id %s differs from the contract address 0x%s",
                     b.have_app_id ? aid : "(none)", app);
    }
    if (!allowed) {
        vf_step_fail(s,
                     "compose-hash %s is not allowed by DstackApp 0x%s: allowedComposeHashes = "
                     "false; isAppAllowed = %s \"%s\"",
                     ch, app, is_allowed ? "true" : "false", reason);
        vf_step_cmp(s, "allowedComposeHashes = true", "false");
    } else if (!is_allowed) {
        vf_step_fail(s,
                     "compose-hash %s is whitelisted in DstackApp 0x%s, but isAppAllowed refuses: "
                     "\"%s\"",
                     ch, app, reason);
        vf_step_cmp(s, "isAppAllowed = true", reason);
    } else if (!app_match && r->opt.strict_app_id) {
        vf_step_fail(s, "the attested app id is not the contract 0x%s (--strict-app-id)", app);
    } else {
        vf_step_ok(s,
                   "on-chain governance verified (compose-hash whitelisted in DstackApp 0x%s; "
                   "isAppAllowed true%s)",
                   app, appnote);
    }
}
