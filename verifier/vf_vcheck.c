/* vf_vcheck.c — the three stages of upstream's dstack-verifier (dstack-verifier-api.md
 * §4-§7) over decoded evidence, and the response document, keys in upstream's order:
 *
 *   quote     ds_qverify through the service's reusable context, then upstream's own
 *             checks: mr_signer_seam zero, RTMR3 = replay of the runtime events, the
 *             attestation's report_data = the quote's
 *   OS image  MRTD, RTMR0-2 against the image cache (never downloaded)
 *   app info  app_id, compose_hash, instance_id, device_id, mr_system, mr_aggregated,
 *             os_image_hash, key_provider_info
 *
 * A failed stage stops the later ones and leaves what upstream leaves set (§4 table).
 */
#include "vf_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_quote.h"
#include "vf.h"

/* dcap-qvl's message for a failed step of ours (its wording, so upstream's reason
 * prefixes hold); anything without a counterpart keeps our "step: why" text. */
static const char *dcap_text(const char *reason) {
    static const struct {
        const char *prefix, *text;
    } MAP[] = {
        {"quote: ", "Failed to decode quote"},
        {"tcb_info: expired", "TCBInfo expired"},
        {"tcb_info: issue date", "TCBInfo issue date is in the future"},
        {"tcb_info: ", "Failed to decode TcbInfo"},
        {"tcb_info_signature: ", "Signature is invalid for tcb_info"},
        {"qe_identity: expired", "QE Identity expired"},
        {"qe_identity: issue date", "QE Identity issue date is in the future"},
        {"qe_identity: ", "Failed to decode QeIdentity"},
        {"qe_identity_signature: ", "Signature is invalid for qe_identity"},
        {"qe_report_signature: ", "Signature is invalid for qe_report in quote"},
        {"qe_report_binding: ", "QE report hash mismatch"},
        {"quote_signature: ", "ISV enclave report signature is invalid"},
        {"fmspc: ", "Fmspc mismatch"},
        {"tcb_level: ", "No matching TCB level found"},
        {"td_attributes: debug", "Debug mode is enabled"},
        {"td_attributes: reserved", "Reserved bits in TD attributes are set"},
        {"td_attributes: SEPT", "SEPT_VE_DISABLE is not enabled"},
    };
    for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++)
        if (!strncmp(reason, MAP[i].prefix, strlen(MAP[i].prefix))) return MAP[i].text;
    return reason;
}

/* ---- the image cache --------------------------------------------------------------------- */

static char *read_small(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(65536 + 1);
    size_t n = buf ? fread(buf, 1, 65536, f) : 0;
    int more = buf && fgetc(f) != EOF;
    fclose(f);
    if (!buf || more) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Expected measurements for (os_image_hash hex, vm_config key), or -1 with why. */
static int expected_mrs(const vf_images_store *s, const char *hash, const char *key,
                        ds_measurements *m, char *why, size_t cap) {
    for (size_t i = 0; i < s->n_mem; i++)
        if (!strcmp(s->mem[i].hash_hex, hash) && !strcmp(s->mem[i].key, key)) {
            *m = s->mem[i].m;
            return 0;
        }
    int image_known = 0;
    for (size_t i = 0; i < s->n_mem; i++)
        image_known |= !strcmp(s->mem[i].hash_hex, hash);
    char path[4200], err[256];
    size_t len;
    char *doc = NULL;
    if (s->dir && !image_known) {
        snprintf(path, sizeof path, "%s/images/%s/metadata.json", s->dir, hash);
        if (!(doc = read_small(path, &len))) {
            snprintf(why, cap,
                     "Failed to download image %s: not in the image cache (%s) and "
                     "dstack-verify never downloads",
                     hash, s->dir);
            return -1;
        }
        ds_err e = ds_image_metadata_check(doc, len, err, sizeof err);
        free(doc);
        if (e) {
            snprintf(why, cap, "Failed to parse image metadata: %s", err);
            return -1;
        }
        image_known = 1;
    }
    if (!image_known) {
        snprintf(why, cap,
                 "Failed to download image %s: not in the image cache (%s) and "
                 "dstack-verify never downloads",
                 hash, s->dir ? s->dir : "none given: --image-cache DIR or --endpoint");
        return -1;
    }
    doc = NULL;
    if (s->dir) {
        snprintf(path, sizeof path, "%s/measurements/%s.json", s->dir, key);
        doc = read_small(path, &len);
    }
    if (!doc || ds_measurements_parse(doc, len, m, err, sizeof err) != DS_OK) {
        snprintf(why, cap,
                 "no cached measurements for this VM config (measurements/%s.json%s%s) "
                 "and dstack-verify does not compute them",
                 key, doc ? ": " : "", doc ? err : "");
        free(doc);
        return -1;
    }
    free(doc);
    return 0;
}

/* ---- stages ------------------------------------------------------------------------------ */

static void hex48(const uint8_t *p, char out[97]) { ds_hex_encode(p, 48, out); }

static int os_image_stage(vf_verifier *v, const vf_vreq *req, const vf_evidence *ev,
                          const ds_td_report *rep, ds_vmconfig *vc, char *why, size_t cap) {
    const char *text = req->vm_config && req->vm_config[0] ? req->vm_config
                       : ev->vm_config                     ? ev->vm_config
                                                           : "{}";
    char err[256], hash[129] = "", key[65];
    if (ds_vmconfig_parse(text, strlen(text), vc, err, sizeof err) != DS_OK) {
        snprintf(why, cap, "Failed to decode VM config: %s", err);
        return -1;
    }
    if (vc->os_image_hash_len > 64 || ds_vmconfig_cache_key(vc, key) != DS_OK) {
        snprintf(why, cap, "Failed to decode VM config: os_image_hash longer than 64 bytes");
        return -1;
    }
    ds_hex_encode(vc->os_image_hash, vc->os_image_hash_len, hash);
    ds_measurements m;
    char sub[900];
    if (expected_mrs(&v->images, hash, key, &m, sub, sizeof sub) != 0) {
        snprintf(why, cap, "Failed to compute expected measurements: %s", sub);
        return -1;
    }
    static const char *const NAMES[4] = {"MRTD", "RTMR0", "RTMR1", "RTMR2"};
    const uint8_t *want[4] = {m.mrtd, m.rtmr0, m.rtmr1, m.rtmr2};
    const uint8_t *got[4] = {rep->mr_td, rep->rt_mr[0], rep->rt_mr[1], rep->rt_mr[2]};
    for (int i = 0; i < 4; i++) {
        if (!memcmp(want[i], got[i], 48)) continue;
        char w[97], g[97];
        hex48(want[i], w);
        hex48(got[i], g);
        snprintf(why, cap, "MRs do not match: %s mismatch: expected=%s, actual=%s", NAMES[i], w, g);
        return -1;
    }
    return 0;
}

/* upstream's checks after dcap-qvl; reason text into why. */
static int quote_extra(const vf_evidence *ev, const ds_td_report *rep, char *why, size_t cap) {
    static const uint8_t ZERO48[48] = {0};
    if (memcmp(rep->mr_signer_seam, ZERO48, 48)) {
        snprintf(why, cap, "Invalid mr signer seam");
        return -1;
    }
    uint8_t rt3[48] = {0}, d[48];
    for (size_t i = 0; i < ev->log.n; i++) {
        const ds_event *e = &ev->log.ev[i];
        if (e->event_type != DS_EVENT_RUNTIME_TYPE) continue;
        ds_event_runtime_digest(e->event, e->event_len, e->payload, e->payload_len, d);
        ds_rtmr_extend(rt3, d, 48);
    }
    if (memcmp(rt3, rep->rt_mr[3], 48)) {
        char q[97], r[97];
        hex48(rep->rt_mr[3], q);
        hex48(rt3, r);
        snprintf(why, cap, "RTMR3 mismatch, quoted: %s, replayed: %s", q, r);
        return -1;
    }
    if (ev->have_report_data && memcmp(ev->report_data, rep->report_data, 64)) {
        snprintf(why, cap, "tdx report_data mismatch");
        return -1;
    }
    return 0;
}

static void put_event_hex(ds_buf *b, const char *key, const ds_eventlog *log, const char *name) {
    const ds_event *e = ds_eventlog_find_boot_runtime(log, name);
    ds_buf_printf(b, "\"%s\":", key);
    ds_buf_json_hex(b, e ? e->payload : NULL, e ? e->payload_len : 0);
}

static void app_info(ds_buf *b, const vf_evidence *ev, const ds_qverify_result *q,
                     const ds_vmconfig *vc) {
    const ds_td_report *r = &q->report;
    const ds_event *kp = ds_eventlog_find_boot_runtime(&ev->log, "key-provider");
    uint8_t dev[32], sys[32], agg[32];
    ds_sha256(q->ppid, 16, dev);
    vf_report_mrs(r, kp, sys, agg);
    ds_buf_putc(b, '{');
    put_event_hex(b, "app_id", &ev->log, "app-id");
    ds_buf_putc(b, ',');
    put_event_hex(b, "compose_hash", &ev->log, "compose-hash");
    ds_buf_putc(b, ',');
    put_event_hex(b, "instance_id", &ev->log, "instance-id");
    ds_buf_puts(b, ",\"device_id\":");
    ds_buf_json_hex(b, dev, 32);
    ds_buf_puts(b, ",\"mr_system\":");
    ds_buf_json_hex(b, sys, 32);
    ds_buf_puts(b, ",\"mr_aggregated\":");
    ds_buf_json_hex(b, agg, 32);
    ds_buf_puts(b, ",\"os_image_hash\":");
    ds_buf_json_hex(b, vc->os_image_hash, vc->os_image_hash_len);
    ds_buf_puts(b, ",\"key_provider_info\":");
    ds_buf_json_hex(b, kp ? kp->payload : NULL, kp ? kp->payload_len : 0);
    ds_buf_putc(b, '}');
}

/* ---- the response ------------------------------------------------------------------------ */

typedef struct {
    int quote_ok, image_ok, log_ok;
    const ds_qverify_result *q; /* details when quote_ok */
    const vf_evidence *ev;
    const ds_vmconfig *vc;
    const char *reason; /* NULL: is_valid */
} vf_verdict;

static void response(ds_buf *b, const vf_verdict *v) {
    ds_buf_printf(b,
                  "{\"is_valid\":%s,\"details\":{\"quote_verified\":%s,\"event_log_verified\":%s,"
                  "\"os_image_hash_verified\":%s,\"report_data\":",
                  v->reason ? "false" : "true", v->quote_ok ? "true" : "false",
                  v->log_ok ? "true" : "false", v->image_ok ? "true" : "false");
    if (v->quote_ok)
        ds_buf_json_hex(b, v->q->report.report_data, 64);
    else
        ds_buf_puts(b, "null");
    ds_buf_puts(b, ",\"tcb_status\":");
    if (v->quote_ok)
        ds_buf_json_str(b, v->q->status, strlen(v->q->status));
    else
        ds_buf_puts(b, "null");
    ds_buf_puts(b, ",\"advisory_ids\":[");
    for (size_t i = 0; v->quote_ok && i < v->q->n_advisory_ids; i++) {
        if (i) ds_buf_putc(b, ',');
        ds_buf_json_str(b, v->q->advisory_ids[i], strlen(v->q->advisory_ids[i]));
    }
    ds_buf_puts(b, "],\"app_info\":");
    if (v->log_ok)
        app_info(b, v->ev, v->q, v->vc);
    else
        ds_buf_puts(b, "null");
    ds_buf_puts(b, "},\"reason\":");
    if (v->reason)
        ds_buf_json_str(b, v->reason, strlen(v->reason));
    else
        ds_buf_puts(b, "null");
    ds_buf_putc(b, '}');
}

int vf_verify_request(vf_verifier *v, const vf_vreq *req, ds_buf *out) {
    char why[1400], reason[1600];
    vf_evidence ev;
    ds_qverify_result q;
    ds_vmconfig vc;
    memset(&q, 0, sizeof q);
    memset(&vc, 0, sizeof vc);
    vf_verdict d = {0, 0, 0, &q, &ev, &vc, reason};
    if (vf_evidence_from(req, &ev, why, sizeof why) != 0) {
        snprintf(reason, sizeof reason, "%s", why);
        response(out, &d);
        return out->oom ? -1 : 0;
    }
    int64_t now = v->now ? v->now : (int64_t)time(NULL);
    ds_err e = ds_qverify_ctx_verify(v->qctx, ev.quote, ev.quote_len, v->root_der, v->root_len,
                                     &v->col, now, &q);
    if (e == DS_ERR_NOMEM) {
        snprintf(reason, sizeof reason, "Internal error: out of memory");
    } else if (e != DS_OK) {
        snprintf(reason, sizeof reason, "Quote verification failed: Failed to get collateral: %s",
                 q.n_reasons ? dcap_text(q.reasons[0]) : "verification failed");
    } else if (quote_extra(&ev, &q.report, why, sizeof why) != 0) {
        snprintf(reason, sizeof reason, "Quote verification failed: %s", why);
    } else {
        d.quote_ok = 1;
        if (os_image_stage(v, req, &ev, &q.report, &vc, why, sizeof why) != 0) {
            snprintf(reason, sizeof reason, "OS image hash verification failed: %s", why);
        } else {
            d.image_ok = d.log_ok = 1;
            d.reason = NULL;
        }
    }
    response(out, &d);
    ds_vmconfig_free(&vc);
    ds_qverify_result_free(&q);
    vf_evidence_free(&ev);
    return out->oom ? -1 : 0;
}

void vf_catcher_json(int status, const char *message, ds_buf *out) {
    static const struct {
        int code;
        const char *reason, *desc;
    } C[] = {
        {400, "Bad Request",
         "The request could not be understood by the server due to malformed syntax."},
        {404, "Not Found", "The requested resource could not be found."},
        {405, "Method Not Allowed",
         "The request method is not supported for the requested resource."},
        {413, "Payload Too Large",
         "The request is larger than the server is willing or able to process."},
        {422, "Unprocessable Entity",
         "The request was well-formed but was unable to be followed due to semantic errors."},
        {500, "Internal Server Error",
         "The server encountered an internal error while processing this request."},
        {503, "Service Unavailable", "The server is temporarily unable to service your request."},
    };
    size_t i = 0;
    while (i + 1 < sizeof C / sizeof C[0] && C[i].code != status)
        i++;
    ds_buf_printf(out,
                  "{\"error\":{\"code\":%d,\"reason\":\"%s\",\"description\":\"%s\",\"message\":",
                  status, C[i].reason, C[i].desc);
    ds_buf_json_str(out, message, strlen(message));
    ds_buf_puts(out, "}}");
}

void vf_verify_body(vf_verifier *v, const uint8_t *body, size_t len, int *status, ds_buf *out) {
    vf_vreq req;
    char err[300];
    int st = vf_vreq_decode(body, len, &req, err, sizeof err);
    if (st) {
        *status = st;
        vf_catcher_json(st, err, out);
        return;
    }
    *status = 200;
    if (vf_verify_request(v, &req, out) != 0) {
        ds_buf_reset(out);
        *status = 500;
        vf_catcher_json(500, "out of memory", out);
    }
    vf_vreq_free(&req);
}
