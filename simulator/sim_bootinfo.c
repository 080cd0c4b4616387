/* sim_bootinfo.c — the KMS's BootInfo from the simulator's attested values (see
 * sim_bootinfo.h). */
#include "sim_bootinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds_hash.h"
#include "ds_pki.h"
#include "ds_qverify.h"

/* Verifies a quote of the boot RTMRs under the simulator's own PKI, as the KMS verifies
 * the CVM's: PPID, TCB status, advisory ids. */
static int verify_own_quote(sim_state *st, const uint8_t rtmr[4][48], ds_bootinfo *bi, char *err,
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
        rc = ds_bootinfo_set_tcb_status(bi, res.status) == DS_OK ? 0 : -1;
        for (size_t i = 0; rc == 0 && i < res.n_advisory_ids; i++)
            if (ds_bootinfo_add_advisory(bi, res.advisory_ids[i]) != DS_OK) rc = -1;
        if (rc != 0)
            snprintf(err, errcap,
                     "BootInfo: the quote's TCB status or advisory ids do not fit (at most %d ids "
                     "of %d chars)",
                     DS_BOOTINFO_MAX_ADVISORIES, DS_BOOTINFO_ADVISORY_CAP - 1);
    }
    ds_qverify_result_free(&res);
    return rc;
}

int sim_bootinfo_build(sim_state *st, ds_bootinfo *bi, char *err, size_t errcap) {
    memset(bi, 0, sizeof *bi);
    snprintf(bi->attestation_mode, sizeof bi->attestation_mode, "dstack-tdx");
    uint8_t rtmr[4][48];
    pthread_mutex_lock(&st->lock);
    ds_eventlog_replay(&st->log, rtmr);
    const ds_eventlog *log = &st->log;
    ds_eventlog_boot_payload(log, "app-id", bi->app_id, 20);
    ds_eventlog_boot_payload(log, "compose-hash", bi->compose_hash, 32);
    if (ds_eventlog_boot_payload(log, "instance-id", bi->instance_id, 20)) bi->instance_id_len = 20;
    const ds_event *kp = ds_eventlog_find_boot_runtime(log, "key-provider");
    ds_err kp_ok = kp ? ds_bootinfo_set_key_provider(bi, kp->payload, kp->payload_len) : DS_OK;
    pthread_mutex_unlock(&st->lock);
    if (kp_ok != DS_OK) {
        snprintf(err, errcap, "BootInfo: the key-provider event is over %d bytes",
                 DS_BOOTINFO_MAX_KP);
        return -1;
    }
    memcpy(bi->os_image_hash, st->cfg->os_image_hash, 32);
    ds_bootinfo_tdmrs m;
    sim_tdmrs(st, rtmr, &m);
    ds_bootinfo_mrs(&m, bi->key_provider_info, bi->key_provider_info_len, bi->mr_system,
                    bi->mr_aggregated);
    return verify_own_quote(st, rtmr, bi, err, errcap);
}
