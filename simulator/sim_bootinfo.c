/* sim_bootinfo.c — the KMS's BootInfo from the simulator's attested values (see
 * sim_bootinfo.h), its JSON (the auth-api webhook's body) and its ABI encoding (the
 * argument of DstackKms.isAppAllowed). */
#include "sim_bootinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds_abi.h"
#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_pki.h"
#include "ds_qverify.h"

#define IS_APP_ALLOWED_SIG                                                                         \
    "isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))"

/* Copies the payload of the first `name` event before system-ready into out (exactly n
 * bytes); 0 when there is no such event or it has another size. */
static int boot_event(const ds_eventlog *log, const char *name, uint8_t *out, size_t n) {
    const ds_event *e = ds_eventlog_find_boot_runtime(log, name);
    if (!e || e->payload_len != n) return 0;
    memcpy(out, e->payload, n);
    return 1;
}

/* Verifies a quote of the boot RTMRs under the simulator's own PKI, as the KMS verifies
 * the CVM's: PPID, TCB status, advisory ids. */
static int verify_own_quote(sim_state *st, const uint8_t rtmr[4][48], sim_bootinfo *bi, char *err,
                            size_t errcap) {
    ds_td_report r = st->report;
    memcpy(r.rt_mr, rtmr, sizeof r.rt_mr);
    memset(r.report_data, 0, sizeof r.report_data);
    ds_buf q;
    ds_buf_init(&q);
    if (ds_quote_build(&st->qhdr, &r, &st->signer, &q) != DS_OK || q.oom) {
        ds_buf_free(&q);
        snprintf(err, errcap, "BootInfo: cannot sign a quote (out of memory)");
        return -1;
    }
    size_t root_len = 0;
    const uint8_t *root = ds_pki_root_der(st->pki, &root_len);
    ds_qverify_result res;
    ds_err e = ds_qverify((const uint8_t *)q.data, q.len, root, root_len,
                          ds_pki_collateral(st->pki), (int64_t)time(NULL), &res);
    ds_buf_free(&q);
    int rc = -1;
    if (!res.have_pck || e == DS_ERR_NOMEM || e == DS_ERR_ARG) {
        snprintf(err, errcap, "BootInfo: the simulator's own quote does not verify: %s",
                 res.n_reasons ? res.reasons[0] : "no PCK certificate");
    } else { /* a TCB status other than UpToDate fails ds_qverify but is still a status */
        ds_sha256(res.ppid, sizeof res.ppid, bi->device_id);
        snprintf(bi->tcb_status, sizeof bi->tcb_status, "%s", res.status);
        for (size_t i = 0; i < res.n_advisory_ids && i < SIM_BOOTINFO_MAX_ADVISORIES; i++)
            snprintf(bi->advisory_ids[bi->n_advisory_ids++], sizeof bi->advisory_ids[0], "%s",
                     res.advisory_ids[i]);
        rc = 0;
    }
    ds_qverify_result_free(&res);
    return rc;
}

int sim_bootinfo_build(sim_state *st, sim_bootinfo *bi, char *err, size_t errcap) {
    memset(bi, 0, sizeof *bi);
    uint8_t rtmr[4][48];
    pthread_mutex_lock(&st->lock);
    ds_eventlog_replay(&st->log, rtmr);
    const ds_eventlog *log = &st->log;
    boot_event(log, "app-id", bi->app_id, 20);
    boot_event(log, "compose-hash", bi->compose_hash, 32);
    if (boot_event(log, "instance-id", bi->instance_id, 20)) bi->instance_id_len = 20;
    const ds_event *kp = ds_eventlog_find_boot_runtime(log, "key-provider");
    if (kp && kp->payload_len <= SIM_BOOTINFO_MAX_KP) {
        memcpy(bi->key_provider_info, kp->payload, kp->payload_len);
        bi->key_provider_info_len = kp->payload_len;
    }
    pthread_mutex_unlock(&st->lock);
    if (kp && !bi->key_provider_info_len && kp->payload_len) {
        snprintf(err, errcap, "BootInfo: the key-provider event is over %d bytes",
                 SIM_BOOTINFO_MAX_KP);
        return -1;
    }
    memcpy(bi->os_image_hash, st->cfg->os_image_hash, 32);
    sim_mr_aggregated(st, rtmr, bi->mr_aggregated);
    uint8_t buf[48 * 4 + 32];
    memcpy(buf, st->report.mr_td, 48);
    memcpy(buf + 48, rtmr, 3 * 48);
    if (bi->key_provider_info_len)
        ds_sha256(bi->key_provider_info, bi->key_provider_info_len, buf + 4 * 48);
    else
        memset(buf + 4 * 48, 0, 32);
    ds_sha256(buf, sizeof buf, bi->mr_system);
    return verify_own_quote(st, rtmr, bi, err, errcap);
}

static void kv_hex(ds_buf *b, const char *k, const uint8_t *p, size_t n) {
    char hex[2 * SIM_BOOTINFO_MAX_KP + 1];
    ds_buf_printf(b, ",\"%s\":\"%s\"", k, ds_hex_encode(p, n, hex));
}

void sim_bootinfo_json(const sim_bootinfo *bi, ds_buf *out) {
    ds_buf_puts(out, "{\"attestationMode\":\"dstack-tdx\"");
    kv_hex(out, "mrAggregated", bi->mr_aggregated, 32);
    kv_hex(out, "osImageHash", bi->os_image_hash, 32);
    kv_hex(out, "mrSystem", bi->mr_system, 32);
    kv_hex(out, "appId", bi->app_id, 20);
    kv_hex(out, "composeHash", bi->compose_hash, 32);
    kv_hex(out, "instanceId", bi->instance_id, bi->instance_id_len);
    kv_hex(out, "deviceId", bi->device_id, 32);
    kv_hex(out, "keyProviderInfo", bi->key_provider_info, bi->key_provider_info_len);
    ds_buf_puts(out, ",\"tcbStatus\":");
    ds_buf_json_str(out, bi->tcb_status, strlen(bi->tcb_status));
    ds_buf_puts(out, ",\"advisoryIds\":[");
    for (size_t i = 0; i < bi->n_advisory_ids; i++) {
        if (i) ds_buf_putc(out, ',');
        ds_buf_json_str(out, bi->advisory_ids[i], strlen(bi->advisory_ids[i]));
    }
    ds_buf_puts(out, "]}");
}

int sim_bootinfo_calldata(const sim_bootinfo *bi, uint8_t **data, size_t *len) {
    ds_abi_value adv[SIM_BOOTINFO_MAX_ADVISORIES];
    for (size_t i = 0; i < bi->n_advisory_ids; i++)
        adv[i] = ds_abi_string(bi->advisory_ids[i]);
    uint8_t instance[20] = {0}; /* an empty instance id is the zero address, as auth-eth pads */
    memcpy(instance, bi->instance_id, bi->instance_id_len);
    ds_abi_value f[9] = {ds_abi_address(bi->app_id),
                         ds_abi_fbytes(bi->compose_hash, 32),
                         ds_abi_address(instance),
                         ds_abi_fbytes(bi->device_id, 32),
                         ds_abi_fbytes(bi->mr_aggregated, 32),
                         ds_abi_fbytes(bi->mr_system, 32),
                         ds_abi_fbytes(bi->os_image_hash, 32),
                         ds_abi_string(bi->tcb_status),
                         ds_abi_array(adv, bi->n_advisory_ids)};
    ds_abi_value tuple = ds_abi_tuple(f, 9);
    size_t n = 0;
    *data = NULL;
    if (ds_abi_encode_call(IS_APP_ALLOWED_SIG, &tuple, 1, NULL, 0, &n) != DS_OK) return -1;
    uint8_t *p = malloc(n);
    if (!p || ds_abi_encode_call(IS_APP_ALLOWED_SIG, &tuple, 1, p, n, &n) != DS_OK) {
        free(p);
        return -1;
    }
    *data = p;
    *len = n;
    return 0;
}
