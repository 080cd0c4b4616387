/* sim_attest.c — SCALE encoding of the versioned attestation (see sim_attest.h).
 */
#include "sim_attest.h"

#include <string.h>

void sim_scale_compact(ds_buf *out, uint64_t n) {
    uint8_t b[9];
    if (n < (1u << 6)) {
        b[0] = (uint8_t)(n << 2);
        ds_buf_append(out, b, 1);
    } else if (n < (1u << 14)) {
        uint16_t v = (uint16_t)((n << 2) | 1);
        b[0] = (uint8_t)v;
        b[1] = (uint8_t)(v >> 8);
        ds_buf_append(out, b, 2);
    } else if (n < (1u << 30)) {
        uint32_t v = (uint32_t)((n << 2) | 2);
        for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
        ds_buf_append(out, b, 4);
    } else {
        int len = 0;
        for (uint64_t t = n; t; t >>= 8) len++;
        if (len < 4) len = 4;
        b[0] = (uint8_t)(((len - 4) << 2) | 3);
        for (int i = 0; i < len; i++) b[1 + i] = (uint8_t)(n >> (8 * i));
        ds_buf_append(out, b, (size_t)len + 1);
    }
}

static void scale_bytes(ds_buf *out, const void *p, size_t n) {
    sim_scale_compact(out, n);
    ds_buf_append(out, p, n);
}

static void scale_u32(ds_buf *out, uint32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
    ds_buf_append(out, b, 4);
}

int sim_attestation_parts(sim_state *st, const uint8_t report_data[64], ds_buf *attestation,
                          ds_buf *quote, ds_buf *log_json) {
    ds_eventlog log;
    uint8_t rtmr[4][48];
    pthread_mutex_lock(&st->lock);
    ds_err e = ds_eventlog_copy(&log, &st->log);
    pthread_mutex_unlock(&st->lock);
    if (e) return -1;
    ds_eventlog_replay(&log, rtmr);

    ds_buf q;
    ds_buf_init(&q);
    int rc = sim_quote_build(st, rtmr, report_data, &q);
    if (rc == 0) {
        ds_buf *a = attestation;
        ds_buf_putc(a, 0x00); /* VersionedAttestation::V0 */
        ds_buf_putc(a, 0x00); /* AttestationQuote::DstackTdx */
        scale_bytes(a, q.data, q.len);
        sim_scale_compact(a, log.n);
        size_t nrt = 0;
        for (size_t i = 0; i < log.n; i++) {
            const ds_event *ev = &log.ev[i];
            scale_u32(a, ev->imr);
            scale_u32(a, ev->event_type);
            scale_bytes(a, ev->digest, ev->digest_len);
            scale_bytes(a, ev->event, ev->event_len);
            scale_bytes(a, ev->payload, ev->payload_len);
            if (ev->imr == 3 && ev->event_type == DS_EVENT_RUNTIME_TYPE) nrt++;
        }
        sim_scale_compact(a, nrt);
        for (size_t i = 0; i < log.n; i++) {
            const ds_event *ev = &log.ev[i];
            if (ev->imr != 3 || ev->event_type != DS_EVENT_RUNTIME_TYPE) continue;
            scale_bytes(a, ev->event, ev->event_len);
            scale_bytes(a, ev->payload, ev->payload_len);
        }
        ds_buf_append(a, report_data, 64);
        scale_bytes(a, st->sys_config, strlen(st->sys_config));
        if (quote) ds_buf_append(quote, q.data, q.len);
        if (log_json) ds_eventlog_to_json(&log, DS_EVENTLOG_FULL, log_json);
        if (a->oom || (quote && quote->oom) || (log_json && log_json->oom)) rc = -1;
    }
    ds_buf_free(&q);
    ds_eventlog_free(&log);
    return rc;
}
