/* vf_chain.c — step 6: on-chain governance through the app's DstackApp contract.
 *
 *   allowedComposeHashes(bytes32 attested_compose_hash) → bool        (the seed's check)
 *   isAppAllowed(AppBootInfo) → (bool, string reason)                 (dstack KMS's check)
 *
 * AppBootInfo is built from attested values: app id, instance id, compose hash and
 * key-provider from the quote's event log (first occurrence before system-ready),
 * mr_aggregated = sha256(mr_td ‖ rt_mr0..3 [‖ mr_config_id ‖ mr_owner ‖ mr_owner_config])
 * and mr_system = sha256(mr_td ‖ rt_mr0..2 ‖ key-provider payload) from the quote, the
 * os-image-hash event (else Info's), Info's device_id (else sha256("")), the TCB status
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
#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_rpc.h"

#define IS_APP_ALLOWED_SIG                                                                         \
    "isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))"

typedef struct {
    uint8_t app_id[20], instance_id[20];
    uint8_t compose_hash[32], device_id[32], mr_aggregated[32], mr_system[32], os_image_hash[32];
    int have_compose, have_app_id;
} vf_boot_info;

static int take_event(const ds_eventlog *log, const char *name, uint8_t *out, size_t n) {
    const ds_event *e = ds_eventlog_find_boot_runtime(log, name);
    if (!e || e->payload_len != n) return 0;
    memcpy(out, e->payload, n);
    return 1;
}

static int nonzero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 1;
    return 0;
}

static void put(uint8_t *buf, size_t *n, const uint8_t *p, size_t len) {
    if (len) memcpy(buf + *n, p, len);
    *n += len;
}

static void hex32_field(const cJSON *obj, const char *name, uint8_t out[32]) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsString(v)) ds_hex_decode_exact(v->valuestring, strlen(v->valuestring), out, 32);
}

static void build_boot_info(const vf_run *r, vf_boot_info *b) {
    memset(b, 0, sizeof *b);
    ds_sha256((const uint8_t *)"", 0, b->device_id);
    if (r->info) hex32_field(r->info, "device_id", b->device_id);
    if (r->info) hex32_field(r->info, "os_image_hash", b->os_image_hash);
    ds_eventlog log;
    const ds_event *kp = NULL;
    if (r->event_log_json && ds_eventlog_parse_json(r->event_log_json, strlen(r->event_log_json),
                                                    &log, NULL, 0) == DS_OK) {
        b->have_compose = take_event(&log, "compose-hash", b->compose_hash, 32);
        b->have_app_id = take_event(&log, "app-id", b->app_id, 20);
        take_event(&log, "instance-id", b->instance_id, 20);
        take_event(&log, "os-image-hash", b->os_image_hash, 32);
        kp = ds_eventlog_find_boot_runtime(&log, "key-provider");
        ds_quote q;
        if (r->quote && ds_quote_parse(r->quote, r->quote_len, &q) == DS_OK) {
            const ds_td_report *t = &q.report;
            uint8_t buf[48 * 8 + 4096];
            size_t n = 0;
            put(buf, &n, t->mr_td, 48);
            for (int i = 0; i < 4; i++)
                put(buf, &n, t->rt_mr[i], 48);
            if (nonzero(t->mr_config_id, 48) || nonzero(t->mr_owner, 48) ||
                nonzero(t->mr_owner_config, 48)) {
                put(buf, &n, t->mr_config_id, 48);
                put(buf, &n, t->mr_owner, 48);
                put(buf, &n, t->mr_owner_config, 48);
            }
            ds_sha256(buf, n, b->mr_aggregated);
            n = 48; /* mr_td stays in place */
            for (int i = 0; i < 3; i++)
                put(buf, &n, t->rt_mr[i], 48);
            if (kp && kp->payload_len <= 4096) put(buf, &n, kp->payload, kp->payload_len);
            ds_sha256(buf, n, b->mr_system);
        }
        ds_eventlog_free(&log);
    }
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
    build_boot_info(r, &b);
    char ch[65], app[41];
    ds_hex_encode(r->opt.app, 20, app);
    if (!b.have_compose) {
        vf_step_fail(s, "no attested compose-hash (32 bytes) in the quote's event log to look up");
        return;
    }
    ds_hex_encode(b.compose_hash, 32, ch);
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
    ds_abi_value hv = ds_abi_fbytes(b.compose_hash, 32);
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
    const char *tcb = qres && qres->status[0] ? qres->status : "";
    size_t nadv = qres ? qres->n_advisory_ids : 0;
    ds_abi_value *adv = calloc(nadv ? nadv : 1, sizeof *adv);
    if (!adv) {
        vf_step_fail(s, "out of memory");
        ds_rpc_close(&rpc);
        return;
    }
    for (size_t i = 0; i < nadv; i++)
        adv[i] = ds_abi_string(qres->advisory_ids[i]);
    ds_abi_value f[9] = {ds_abi_address(b.app_id),
                         ds_abi_fbytes(b.compose_hash, 32),
                         ds_abi_address(b.instance_id),
                         ds_abi_fbytes(b.device_id, 32),
                         ds_abi_fbytes(b.mr_aggregated, 32),
                         ds_abi_fbytes(b.mr_system, 32),
                         ds_abi_fbytes(b.os_image_hash, 32),
                         ds_abi_string(tcb),
                         ds_abi_array(adv, nadv)};
    ds_abi_value tuple = ds_abi_tuple(f, 9);
    int rc = call_app(&rpc, r->opt.app, IS_APP_ALLOWED_SIG, &tuple, 1, &ret, s);
    free(adv);
    ds_rpc_close(&rpc);
    if (rc != 0) return;
    bad = decode_ret(&ret, "(bool,string)", &is_allowed, reason, sizeof reason);
    ds_rpc_call_result_free(&ret);
    if (bad) {
        vf_step_fail(s, "isAppAllowed returned something that is not (bool, string)");
        return;
    }
    int app_match = b.have_app_id && !memcmp(b.app_id, r->opt.app, 20);
    char appnote[160] = "";
    if (!app_match) {
        char aid[41];
        snprintf(appnote, sizeof appnote, "; note: the attested app id %s is not this contract",
                 b.have_app_id ? ds_hex_encode(b.app_id, 20, aid) : "(none)");
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
