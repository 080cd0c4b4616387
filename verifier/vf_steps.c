/* vf_steps.c — steps 1 to 4: compose hash, quote signature and TCB policy, report_data,
 * event log replay.
 *
 * Step 1 takes the compose-hash from the quote's own event log (first occurrence before
 * system-ready, as dstack readers do); step 4 is what makes that log trustworthy: every
 * runtime event's digest is recomputed from its name and payload (a digest that does not
 * match its payload fails, so a swapped payload cannot ride on a genuine digest), then
 * the log is replayed and compared with the quote's RTMRs.
 */
#include "vf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_hex.h"

static int parse_log(const char *json, ds_eventlog *log, vf_step *s) {
    char perr[256] = "";
    if (!json) {
        vf_step_fail(s, "the quote reply carries no event_log");
        return -1;
    }
    if (ds_eventlog_parse_json(json, strlen(json), log, perr, sizeof perr) != DS_OK) {
        vf_step_fail(s, "the quote's event log does not parse: %s", perr);
        return -1;
    }
    return 0;
}

void vf_step_compose(vf_run *r, vf_step *s) {
    if (!r->tcb_info) {
        vf_step_fail(s, "%s", r->info_err[0] ? r->info_err : "no Info");
        return;
    }
    const cJSON *ac = cJSON_GetObjectItemCaseSensitive(r->tcb_info, "app_compose");
    if (!cJSON_IsString(ac)) {
        vf_step_fail(s, "Info's tcb_info has no app_compose string");
        return;
    }
    ds_eventlog log;
    if (parse_log(r->event_log_json, &log, s) != 0) return;
    const ds_event *ev = ds_eventlog_find_boot_runtime(&log, "compose-hash");
    char want[65], got[65];
    uint8_t h[32];
    ds_sha256((const uint8_t *)ac->valuestring, strlen(ac->valuestring), h);
    ds_hex_encode(h, 32, got);
    if (!ev) {
        vf_step_fail(s, "no compose-hash event before system-ready in the quote's event log");
    } else if (ev->payload_len != 32) {
        vf_step_fail(s, "the compose-hash event's payload is %zu bytes, not 32", ev->payload_len);
    } else {
        ds_hex_encode(ev->payload, 32, want);
        if (memcmp(ev->payload, h, 32) == 0) {
            vf_step_ok(s, "compose-hash verified (%s)", got);
        } else {
            vf_step_fail(s,
                         "compose-hash mismatch: sha256 of Info's app_compose is not the "
                         "attested compose-hash: expected %s got %s",
                         want, got);
            vf_step_cmp(s, want, got);
        }
    }
    ds_eventlog_free(&log);
}

void vf_step_quote(const uint8_t *quote, size_t len, const vf_trust *t, unsigned accept,
                   int64_t now, vf_step *s, ds_qverify_result *qres) {
    memset(qres, 0, sizeof *qres);
    if (!quote) {
        vf_step_fail(s, "no quote to verify");
        return;
    }
    ds_err e = t->qctx ? ds_qverify_ctx_verify(t->qctx, quote, len, t->root_der, t->root_len,
                                               &t->col, now, qres)
                       : ds_qverify(quote, len, t->root_der, t->root_len, &t->col, now, qres);
    char acc[200];
    vf_tcb_list(accept, acc, sizeof acc);
    if (e == DS_ERR_NOMEM || qres->oom) {
        vf_step_fail(s, "out of memory while verifying the quote");
        return;
    }
    if (e != DS_OK || !qres->ok) {
        for (size_t i = 0; i < qres->n_reasons; i++)
            vf_step_item(s, "%s", qres->reasons[i]);
        vf_step_fail(s, "quote signature not verified against %s: %s%s%s", t->root_label,
                     qres->n_reasons ? qres->reasons[0] : "verification failed",
                     qres->n_reasons > 1 ? "; " : "", qres->n_reasons > 1 ? qres->reasons[1] : "");
        if (qres->n_reasons > 2) {
            size_t l = strlen(s->detail);
            snprintf(s->detail + l, sizeof s->detail - l, " (+%zu more)", qres->n_reasons - 2);
        }
        return;
    }
    for (size_t i = 0; i < qres->n_advisory_ids; i++)
        vf_step_item(s, "%s", qres->advisory_ids[i]);
    if (!vf_tcb_accepted(accept, qres->status)) {
        vf_step_fail(s,
                     "quote signature verified against %s, but TCB status %s is not accepted "
                     "(accepted: %s; change with --accept-tcb)",
                     t->root_label, qres->status, acc);
        vf_step_cmp(s, acc, qres->status);
        return;
    }
    vf_step_ok(s, "quote signature verified against %s; TCB %s%s%s", t->root_label, qres->status,
               qres->n_advisory_ids ? ", advisories " : "",
               qres->n_advisory_ids ? qres->advisory_ids[0] : "");
}

/* Parses the quote a step checks; 0, or -1 with the step failed and the reason set. */
static int parse_quote_or_fail(const uint8_t *quote, size_t len, ds_quote *q, vf_step *s) {
    if (!quote) {
        vf_step_fail(s, "no quote");
        return -1;
    }
    if (ds_quote_parse(quote, len, q) != DS_OK) {
        vf_step_fail(s, "the quote does not parse as a TDX v4 quote");
        return -1;
    }
    return 0;
}

void vf_step_report_data(const uint8_t *quote, size_t len, const uint8_t want[64], const char *what,
                         vf_step *s) {
    ds_quote q;
    if (parse_quote_or_fail(quote, len, &q, s) != 0) return;
    char w[129], g[129];
    ds_hex_encode(want, 64, w);
    ds_hex_encode(q.report.report_data, 64, g);
    if (memcmp(q.report.report_data, want, 64) == 0) {
        vf_step_ok(s, "report_data verified (%s bound to quote)", what);
    } else {
        vf_step_fail(s,
                     "report_data does not carry %s (stale or replayed quote): expected %s got %s",
                     what, w, g);
        vf_step_cmp(s, w, g);
    }
}

static int is_runtime(const ds_event *e) {
    return e->imr == 3 && e->event_type == DS_EVENT_RUNTIME_TYPE;
}

/* Recomputes runtime digests; a given digest that differs from its payload's fails. */
static int check_runtime_digests(ds_eventlog *log, vf_step *s, int *stripped) {
    *stripped = 0;
    for (size_t i = 0; i < log->n; i++) {
        ds_event *e = &log->ev[i];
        if (!is_runtime(e)) continue;
        uint8_t d[DS_RTMR_LEN];
        ds_event_runtime_digest(e->event, e->event_len, e->payload, e->payload_len, d);
        if (e->digest_len == 0) {
            *stripped = 1;
            memcpy(e->digest, d, DS_RTMR_LEN);
            e->digest_len = DS_RTMR_LEN;
        } else if (e->digest_len != DS_RTMR_LEN || memcmp(e->digest, d, DS_RTMR_LEN) != 0) {
            char w[97], g[97];
            ds_hex_encode(d, DS_RTMR_LEN, w);
            ds_hex_encode(e->digest, e->digest_len, g);
            vf_step_fail(s,
                         "event #%zu \"%.64s\": its digest does not match its payload: "
                         "expected %s got %s",
                         i, e->event, w, g);
            vf_step_cmp(s, w, g);
            return -1;
        }
    }
    return 0;
}

void vf_step_replay(const uint8_t *quote, size_t len, const char *event_log_json, vf_step *s) {
    ds_quote q;
    if (parse_quote_or_fail(quote, len, &q, s) != 0) return;
    ds_eventlog log;
    if (parse_log(event_log_json, &log, s) != 0) return;
    int stripped = 0;
    if (check_runtime_digests(&log, s, &stripped) != 0) {
        ds_eventlog_free(&log);
        return;
    }
    /* Which RTMRs can be replayed: every event of that register must have a digest. */
    int complete[DS_RTMR_COUNT] = {1, 1, 1, 1};
    size_t counts[DS_RTMR_COUNT] = {0};
    for (size_t i = 0; i < log.n; i++) {
        if (log.ev[i].imr >= DS_RTMR_COUNT) continue;
        counts[log.ev[i].imr]++;
        if (log.ev[i].digest_len == 0) complete[log.ev[i].imr] = 0;
    }
    uint8_t rt[DS_RTMR_COUNT][DS_RTMR_LEN];
    ds_eventlog_replay(&log, rt);
    char w[97], g[97];
    if (!complete[3]) {
        vf_step_fail(s, "RTMR3 cannot be replayed: an imr 3 event that is not a runtime event "
                        "has no digest");
    } else if (memcmp(rt[3], q.report.rt_mr[3], DS_RTMR_LEN) != 0) {
        ds_hex_encode(q.report.rt_mr[3], DS_RTMR_LEN, w);
        ds_hex_encode(rt[3], DS_RTMR_LEN, g);
        vf_step_fail(s,
                     "RTMR3 mismatch: the event log (%zu imr 3 events) does not replay to the "
                     "quote's rt_mr3: expected %s got %s",
                     counts[3], w, g);
        vf_step_cmp(s, w, g);
    } else {
        int checked = 0;
        for (int i = 0; i < 3; i++) {
            if (!complete[i] || counts[i] == 0) continue;
            if (memcmp(rt[i], q.report.rt_mr[i], DS_RTMR_LEN) != 0) {
                ds_hex_encode(q.report.rt_mr[i], DS_RTMR_LEN, w);
                ds_hex_encode(rt[i], DS_RTMR_LEN, g);
                vf_step_fail(s, "RTMR3 replays, but RTMR%d mismatch: expected %s got %s", i, w, g);
                vf_step_cmp(s, w, g);
                ds_eventlog_free(&log);
                return;
            }
            checked++;
        }
        ds_hex_encode(rt[3], DS_RTMR_LEN, g);
        vf_step_ok(s, "RTMR3 replay verified (%.40s...; %zu imr 3 events, %s log; %s)", g,
                   counts[3], stripped ? "stripped" : "full",
                   checked == 3 ? "RTMR0-2 also replay"
                                : "RTMR0-2 not all checked: boot events or digests absent");
    }
    ds_eventlog_free(&log);
}
