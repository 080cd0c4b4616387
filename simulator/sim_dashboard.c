/* sim_dashboard.c — the dashboard page and its JSON document (see sim_dashboard.h).
 *
 * The JSON is built from public values only: the identity the banner prints, event-log
 * entries (names and payloads cut for display), the RTMRs replayed from the log, the
 * last quote (sim_recent.h) parsed field by field, and the recorded key requests with
 * what their chains recover to. The work done under the state lock is bounded: at most
 * SIM_DASH_EVENTS_MAX entries are copied, cut to a few hundred bytes each.
 */
#include "sim_dashboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_quote.h"
#include "ds_secp.h"
#include "sim_kmsauth.h"
#include "sim_methods.h"
#include "sim_metrics.h"
#include "sim_recent.h"

#define NAME_KEEP 160   /* bytes of an event name shown */
#define PAYLOAD_KEEP 64 /* bytes of an event payload shown */

static const char PAGE_HEADERS[] =
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'\r\n";

static void error_reply(int code, const char *msg, int *status, ds_buf *body) {
    *status = code;
    ds_buf_reset(body);
    ds_buf_puts(body, "{\"error\":");
    ds_buf_json_str(body, msg, strlen(msg));
    ds_buf_putc(body, '}');
}

static void kv_hex(ds_buf *b, const char *k, const uint8_t *p, size_t n) {
    ds_buf_printf(b, ",\"%s\":", k);
    ds_buf_json_hex(b, p, n);
}

static void kv_str(ds_buf *b, const char *k, const char *s) {
    ds_buf_printf(b, ",\"%s\":", k);
    ds_buf_json_str(b, s, strlen(s));
}

static void identity_json(sim_state *st, ds_buf *o) {
    const sim_config *c = st->cfg;
    char addr[43];
    uint8_t a[20];
    ds_buf_puts(o, "{\"agent\":");
    sim_version_json(st, o); /* what /Version answers: follows --agent-version */
    ds_buf_puts(o, ",\"simulator\":\"dstack-simulator " SIM_VERSION "\"");
    kv_str(o, "app_name", st->app_name);
    kv_hex(o, "app_id", st->app_id, 20);
    kv_str(o, "app_id_source", st->app_id_source);
    kv_hex(o, "instance_id", st->instance_id, st->has_instance_id ? 20 : 0);
    kv_hex(o, "compose_hash", st->compose_hash, 32);
    kv_hex(o, "os_image_hash", c->os_image_hash, 32);
    kv_str(o, "mode", st->mode_root ? "root" : "static");
    kv_str(o, "mismatch",
           st->mismatch == DS_VARIANT_CANONICAL ? "none" : ds_variant_name(st->mismatch));
    kv_str(o, "mismatch_description",
           st->mismatch == DS_VARIANT_CANONICAL ? "" : ds_variant_describe(st->mismatch));
    kv_hex(o, "app_pubkey", st->app_pub, 33);
    ds_secp_address(st->app_pub, 33, a);
    kv_str(o, "app_address", ds_eth_checksum(a, addr));
    kv_hex(o, "kms_root_pubkey", st->root_pub, st->have_root_pub ? 33 : 0);
    kv_str(o, "kms_root_address", st->have_root_pub ? ds_eth_checksum(st->root_addr, addr) : "");
    kv_str(o, "quote_mode", c->quote_upstream ? "upstream" : "simulated");
    kv_str(o, "tcb_status", ds_tcb_status_name(c->tcb_status));
    size_t der_len;
    const uint8_t *der = ds_pki_root_der(st->pki, &der_len);
    uint8_t fp[32];
    ds_sha256(der, der_len, fp);
    kv_hex(o, "pki_root_sha256", fp, 32);
    ds_buf_puts(o, ",\"links\":{\"pki_root_pem\":\"/sim/pki/root.pem\",\"pki_root_der\":"
                   "\"/sim/pki/root.der\",\"collateral\":\"/sim/pki/collateral.json\","
                   "\"metrics\":\"/metrics\"}}");
}

/* An event-log entry, cut for display, copied out under the state lock. */
typedef struct {
    uint32_t imr, type;
    uint8_t digest[48];
    size_t digest_len;
    char name[NAME_KEEP];
    size_t name_len, name_keep;
    uint8_t payload[PAYLOAD_KEEP];
    size_t payload_len, payload_keep;
} shown_event;

/* Cuts n bytes of s back to a UTF-8 character boundary at most max bytes long. */
static size_t utf8_cut(const char *s, size_t n, size_t max) {
    if (n <= max) return n;
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    return max;
}

static void event_json(ds_buf *o, size_t index, const shown_event *e) {
    ds_buf_printf(o, "{\"index\":%zu,\"imr\":%u,\"event_type\":%u,\"digest\":", index, e->imr,
                  e->type);
    ds_buf_json_hex(o, e->digest, e->digest_len);
    ds_buf_puts(o, ",\"event\":");
    ds_buf_json_str(o, e->name, e->name_keep);
    ds_buf_printf(o, ",\"event_len\":%zu,\"payload\":", e->name_len);
    ds_buf_json_hex(o, e->payload, e->payload_keep);
    ds_buf_printf(o, ",\"payload_len\":%zu}", e->payload_len);
}

/* "events_total", "events_from", "events" and "rtmr_replay" members. */
static int events_json(sim_state *st, size_t from, ds_buf *o) {
    shown_event *ev = malloc(SIM_DASH_EVENTS_MAX * sizeof(*ev));
    if (!ev) return -1;
    uint8_t rtmr[4][48];
    size_t total, n = 0;
    sim_cached *lg = st->cfg->quote_upstream ? NULL : sim_log_literal(st, st->cfg->log_style);
    pthread_mutex_lock(&st->lock);
    total = st->log.n;
    if (lg && lg->events == total)
        memcpy(rtmr, lg->rtmr, sizeof rtmr);
    else
        ds_eventlog_replay(&st->log, rtmr); /* upstream mode, or an event just landed */
    for (size_t i = from; i < total && n < SIM_DASH_EVENTS_MAX; i++, n++) {
        const ds_event *src = &st->log.ev[i];
        shown_event *e = &ev[n];
        e->imr = src->imr;
        e->type = src->event_type;
        e->digest_len = src->digest_len;
        memcpy(e->digest, src->digest, src->digest_len);
        e->name_len = src->event_len;
        e->name_keep = utf8_cut(src->event, src->event_len, NAME_KEEP);
        memcpy(e->name, src->event, e->name_keep);
        e->payload_len = src->payload_len;
        e->payload_keep = src->payload_len < PAYLOAD_KEEP ? src->payload_len : PAYLOAD_KEEP;
        if (e->payload_keep) memcpy(e->payload, src->payload, e->payload_keep);
    }
    pthread_mutex_unlock(&st->lock);
    sim_cache_release(lg);
    if (from > total) from = total;
    ds_buf_printf(o, ",\"events_total\":%zu,\"events_from\":%zu,\"events\":[", total, from);
    for (size_t i = 0; i < n; i++) {
        if (i) ds_buf_putc(o, ',');
        event_json(o, from + i, &ev[i]);
    }
    ds_buf_puts(o, "],\"rtmr_replay\":[");
    for (int i = 0; i < 4; i++) {
        if (i) ds_buf_putc(o, ',');
        ds_buf_json_hex(o, rtmr[i], 48);
    }
    ds_buf_putc(o, ']');
    free(ev);
    return 0;
}

/* The "quote" member: null before the first quote, else the last one decoded. */
static int quote_json(sim_state *st, ds_buf *o) {
    ds_buf q;
    ds_buf_init(&q);
    int64_t ms = 0;
    size_t events = 0;
    uint64_t seq = sim_recent_quote_get(st->recent, &q, &ms, &events);
    ds_buf_puts(o, ",\"quote\":");
    if (!seq) {
        ds_buf_puts(o, "null");
        return 0;
    }
    if (q.oom) {
        ds_buf_free(&q);
        return -1;
    }
    ds_buf_printf(o, "{\"seq\":%llu,\"unix_ms\":%lld,\"events\":%zu,\"bytes\":%zu",
                  (unsigned long long)seq, (long long)ms, events, q.len);
    ds_quote p;
    const uint8_t *b = (const uint8_t *)q.data;
    if (ds_quote_parse(b, q.len, &p) != DS_OK) {
        ds_buf_puts(o, ",\"error\":\"the quote does not parse as a TDX v4 quote\"}");
        ds_buf_free(&q);
        return 0;
    }
    ds_buf_puts(o, ",\"header\":{");
    ds_quote_header_json(o, &p.header);
    ds_buf_puts(o, "},\"td_report\":{");
    ds_td_report_json(o, &p.report);
    ds_buf_putc(o, '}');
    kv_hex(o, "report_data", p.report.report_data, 64);
    ds_buf_puts(o, ",\"signature\":{\"ecdsa\":");
    ds_buf_json_hex(o, p.signature, 64);
    kv_hex(o, "attestation_key", p.att_pub, 64);
    ds_buf_printf(o, ",\"valid\":%s,\"cert_type\":%u,\"cert_bytes\":%zu,\"qe_report\":",
                  ds_quote_verify_att_sig(b, q.len) == DS_OK ? "true" : "false", p.cert_type,
                  p.cert_data_len);
    ds_buf_json_hex(o, p.qe_report, p.qe_report ? DS_QE_REPORT_LEN : 0);
    ds_buf_printf(o, ",\"pck_chain_type\":%u,\"pck_chain_bytes\":%zu}}", p.inner_cert_type,
                  p.inner_cert_len);
    ds_buf_free(&q);
    return 0;
}

static void key_json(sim_state *st, ds_buf *o, const sim_recent_key *k) {
    sim_recent_chain ch;
    sim_recent_key_recover(k, st->app_id, &ch);
    char addr[43];
    ds_buf_printf(o, "{\"seq\":%llu,\"unix_ms\":%lld,\"method\":\"%s\",\"claim\":\"%s\",\"path\":",
                  (unsigned long long)k->seq, (long long)k->unix_ms, k->method,
                  k->v1 ? "v1" : "v0");
    ds_buf_json_str(o, k->path, strlen(k->path));
    ds_buf_printf(o, ",\"path_len\":%zu,\"purpose\":", k->path_len);
    ds_buf_json_str(o, k->purpose, strlen(k->purpose));
    ds_buf_printf(o, ",\"purpose_len\":%zu", k->purpose_len);
    kv_str(o, "algorithm", k->algorithm);
    kv_hex(o, "public_key", k->pub, k->pub_len);
    kv_hex(o, "chain_app_pubkey", ch.app_pub, ch.have_app ? 33 : 0);
    ds_buf_printf(o, ",\"app_matches\":%s",
                  ch.have_app && !memcmp(ch.app_pub, st->app_pub, 33) ? "true" : "false");
    kv_hex(o, "chain_root_pubkey", ch.root_pub, ch.have_root ? 33 : 0);
    kv_str(o, "chain_root_address", ch.have_root ? ds_eth_checksum(ch.root_addr, addr) : "");
    ds_buf_printf(o, ",\"root_matches\":%s}",
                  ch.have_root && st->have_root_pub && !memcmp(ch.root_addr, st->root_addr, 20)
                      ? "true"
                      : "false");
}

static int keys_json(sim_state *st, uint64_t after, ds_buf *o) {
    sim_recent_key *keys = malloc(SIM_DASH_KEYS_MAX * sizeof(*keys));
    if (!keys) return -1;
    uint64_t total = 0;
    size_t n = sim_recent_keys(st->recent, after, keys, SIM_DASH_KEYS_MAX, &total);
    ds_buf_printf(o, ",\"keys_total\":%llu,\"keys\":[", (unsigned long long)total);
    for (size_t i = 0; i < n; i++) {
        if (i) ds_buf_putc(o, ',');
        key_json(st, o, &keys[i]);
    }
    ds_buf_putc(o, ']');
    free(keys);
    return 0;
}

int sim_dashboard_json(sim_state *st, size_t events_from, uint64_t keys_after, ds_buf *out) {
    ds_buf_puts(out, "{\"identity\":");
    identity_json(st, out);
    if (events_json(st, events_from, out) || quote_json(st, out) || keys_json(st, keys_after, out))
        return -1;
    if (st->kmsauth) { /* the boot decision (--kms-auth) */
        ds_buf_puts(out, ",\"kms_auth\":");
        sim_kmsauth_json(st->kmsauth, out);
    }
    ds_buf_putc(out, '}');
    return out->oom ? -1 : 0;
}

/* Reads the query's numeric parameters. Returns 0, or -1 with a message in err. */
static int parse_query(const char *q, size_t *events_from, uint64_t *keys_after, char *err,
                       size_t errcap) {
    *events_from = 0;
    *keys_after = 0;
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', n);
        size_t kl = eq ? (size_t)(eq - q) : n;
        int which = kl == 11 && !strncmp(q, "events_from", 11)  ? 1
                    : kl == 10 && !strncmp(q, "keys_after", 10) ? 2
                                                                : 0;
        if (which) {
            const char *v = eq ? eq + 1 : q + n;
            size_t vl = (size_t)(q + n - v);
            uint64_t x = 0;
            int ok = vl > 0 && vl <= 19;
            for (size_t i = 0; ok && i < vl; i++) {
                ok = v[i] >= '0' && v[i] <= '9';
                x = x * 10 + (uint64_t)(v[i] - '0');
            }
            if (!ok) {
                snprintf(err, errcap, "%s: expected a decimal integer from 0 to 10^19-1",
                         which == 1 ? "events_from" : "keys_after");
                return -1;
            }
            if (which == 1)
                *events_from = (size_t)x;
            else
                *keys_after = x;
        }
        q += n;
        if (*q == '&') q++;
    }
    return 0;
}

int sim_dashboard_route(sim_state *st, const sim_http_request *req, int *status, ds_buf *body) {
    int page = !strcmp(req->path, "/");
    if (!page && strcmp(req->path, "/sim/dashboard.json")) return 0;
    *req->reply_method = SIM_MX_DASHBOARD;
    if (strcmp(req->method, "GET")) {
        error_reply(405, "The dashboard answers GET only", status, body);
        return 1;
    }
    ds_buf_puts(req->reply_headers, PAGE_HEADERS);
    if (page) {
        ds_buf_append(body, SIM_DASHBOARD_HTML, SIM_DASHBOARD_HTML_LEN);
        *req->reply_content_type = "text/html; charset=utf-8";
        *status = 200;
        return 1;
    }
    char err[160];
    size_t events_from;
    uint64_t keys_after;
    if (parse_query(req->query, &events_from, &keys_after, err, sizeof err)) {
        error_reply(400, err, status, body);
        return 1;
    }
    if (sim_dashboard_json(st, events_from, keys_after, body)) {
        error_reply(500, "out of memory", status, body);
        return 1;
    }
    *status = 200;
    return 1;
}
