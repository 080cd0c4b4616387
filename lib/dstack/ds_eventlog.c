/* ds_eventlog.c — event log entries, runtime digests, RTMR replay, JSON in and out.
 *
 * Serialisation is hand-written (not cJSON) for two reasons: the field order is part of
 * the wire format, and GetQuote/Info serialise the log on every call.
 */
#include "ds_eventlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ds_hash.h"
#include "ds_hex.h"

void ds_eventlog_init(ds_eventlog *log) {
    memset(log, 0, sizeof(*log));
}

static void event_free(ds_event *e) {
    free(e->event);
    free(e->payload);
}

void ds_eventlog_free(ds_eventlog *log) {
    for (size_t i = 0; i < log->n; i++) event_free(&log->ev[i]);
    free(log->ev);
    memset(log, 0, sizeof(*log));
}

ds_err ds_eventlog_copy(ds_eventlog *dst, const ds_eventlog *src) {
    ds_eventlog_init(dst);
    for (size_t i = 0; i < src->n; i++) {
        const ds_event *e = &src->ev[i];
        ds_err err = ds_eventlog_add(dst, e->imr, e->event_type, e->digest, e->digest_len,
                                     e->event, e->event_len, e->payload, e->payload_len);
        if (err) {
            ds_eventlog_free(dst);
            return err;
        }
    }
    return DS_OK;
}

void ds_event_runtime_digest(const char *name, size_t name_len, const uint8_t *payload,
                             size_t payload_len, uint8_t out[DS_RTMR_LEN]) {
    static const uint8_t type_le[4] = {0x01, 0x00, 0x00, 0x08};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int olen = 0;
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha384(), NULL)) {
        memset(out, 0, DS_RTMR_LEN);
        EVP_MD_CTX_free(ctx);
        return;
    }
    EVP_DigestUpdate(ctx, type_le, 4);
    EVP_DigestUpdate(ctx, ":", 1);
    if (name_len) EVP_DigestUpdate(ctx, name, name_len);
    EVP_DigestUpdate(ctx, ":", 1);
    if (payload_len) EVP_DigestUpdate(ctx, payload, payload_len);
    EVP_DigestFinal_ex(ctx, out, &olen);
    EVP_MD_CTX_free(ctx);
}

ds_err ds_eventlog_add(ds_eventlog *log, uint32_t imr, uint32_t event_type,
                       const uint8_t *digest, size_t digest_len, const char *name,
                       size_t name_len, const uint8_t *payload, size_t payload_len) {
    if (!log || imr > 3 || digest_len > DS_RTMR_LEN || (digest_len && !digest) ||
        (name_len && !name) || (payload_len && !payload))
        return DS_ERR_ARG;
    if (log->n == log->cap) {
        size_t ncap = log->cap ? log->cap * 2 : 32;
        ds_event *p = realloc(log->ev, ncap * sizeof(*p));
        if (!p) return DS_ERR_NOMEM;
        log->ev = p;
        log->cap = ncap;
    }
    ds_event *e = &log->ev[log->n];
    memset(e, 0, sizeof(*e));
    e->imr = imr;
    e->event_type = event_type;
    if (digest_len) memcpy(e->digest, digest, digest_len);
    e->digest_len = digest_len;
    e->event = malloc(name_len + 1);
    if (!e->event) return DS_ERR_NOMEM;
    if (name_len) memcpy(e->event, name, name_len);
    e->event[name_len] = '\0';
    e->event_len = name_len;
    if (payload_len) {
        e->payload = malloc(payload_len);
        if (!e->payload) {
            free(e->event);
            return DS_ERR_NOMEM;
        }
        memcpy(e->payload, payload, payload_len);
    }
    e->payload_len = payload_len;
    log->n++;
    return DS_OK;
}

ds_err ds_eventlog_add_runtime(ds_eventlog *log, const char *name, size_t name_len,
                               const uint8_t *payload, size_t payload_len) {
    uint8_t d[DS_RTMR_LEN];
    ds_event_runtime_digest(name, name_len, payload, payload_len, d);
    return ds_eventlog_add(log, 3, DS_EVENT_RUNTIME_TYPE, d, sizeof d, name, name_len, payload,
                           payload_len);
}

void ds_rtmr_extend(uint8_t rtmr[DS_RTMR_LEN], const uint8_t *digest, size_t digest_len) {
    uint8_t buf[2 * DS_RTMR_LEN];
    memcpy(buf, rtmr, DS_RTMR_LEN);
    memset(buf + DS_RTMR_LEN, 0, DS_RTMR_LEN);
    if (digest_len > DS_RTMR_LEN) digest_len = DS_RTMR_LEN;
    if (digest_len) memcpy(buf + DS_RTMR_LEN, digest, digest_len);
    ds_sha384(buf, sizeof buf, rtmr);
}

void ds_eventlog_replay(const ds_eventlog *log, uint8_t rtmr[DS_RTMR_COUNT][DS_RTMR_LEN]) {
    memset(rtmr, 0, DS_RTMR_COUNT * DS_RTMR_LEN);
    for (size_t i = 0; i < log->n; i++) {
        const ds_event *e = &log->ev[i];
        if (e->imr < DS_RTMR_COUNT) ds_rtmr_extend(rtmr[e->imr], e->digest, e->digest_len);
    }
}

static int is_runtime(const ds_event *e) {
    return e->imr == 3 && e->event_type == DS_EVENT_RUNTIME_TYPE;
}

size_t ds_eventlog_fill_digests(ds_eventlog *log) {
    size_t filled = 0;
    for (size_t i = 0; i < log->n; i++) {
        ds_event *e = &log->ev[i];
        if (is_runtime(e) && e->digest_len == 0) {
            ds_event_runtime_digest(e->event, e->event_len, e->payload, e->payload_len, e->digest);
            e->digest_len = DS_RTMR_LEN;
            filled++;
        }
    }
    return filled;
}

void ds_event_to_json(const ds_event *e, ds_eventlog_style style, ds_buf *out) {
    int strip_digest = style == DS_EVENTLOG_STRIPPED && is_runtime(e);
    int strip_payload = style == DS_EVENTLOG_STRIPPED && e->imr < 3;
    ds_buf_printf(out, "{\"imr\":%u,\"event_type\":%u,\"digest\":", e->imr, e->event_type);
    if (strip_digest) ds_buf_puts(out, "\"\"");
    else ds_buf_json_hex(out, e->digest, e->digest_len);
    ds_buf_puts(out, ",\"event\":");
    ds_buf_json_str(out, e->event, e->event_len);
    ds_buf_puts(out, ",\"event_payload\":");
    if (strip_payload) ds_buf_puts(out, "\"\"");
    else ds_buf_json_hex(out, e->payload, e->payload_len);
    ds_buf_putc(out, '}');
}

void ds_eventlog_to_json(const ds_eventlog *log, ds_eventlog_style style, ds_buf *out) {
    /* ~ 200 bytes of framing plus hex per entry: reserve once. */
    size_t est = 2;
    for (size_t i = 0; i < log->n; i++)
        est += 120 + 2 * log->ev[i].digest_len + 2 * log->ev[i].payload_len +
               log->ev[i].event_len;
    ds_buf_reserve(out, est);
    ds_buf_putc(out, '[');
    for (size_t i = 0; i < log->n; i++) {
        if (i) ds_buf_putc(out, ',');
        ds_event_to_json(&log->ev[i], style, out);
    }
    ds_buf_putc(out, ']');
}

static ds_err perr(char *err, size_t errcap, size_t idx, const char *why) {
    if (err && errcap) snprintf(err, errcap, "event %zu: %s", idx, why);
    return DS_ERR_PARSE;
}

static int get_u32(const cJSON *o, const char *name, uint32_t *out) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(it)) return -1;
    double d = it->valuedouble;
    if (!(d >= 0) || d > 4294967295.0 || d != (double)(uint32_t)d) return -1;
    *out = (uint32_t)d;
    return 0;
}

static const char *get_str_or_empty(const cJSON *o, const char *name, int *bad) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!it || cJSON_IsNull(it)) return "";
    if (!cJSON_IsString(it) || !it->valuestring) {
        *bad = 1;
        return "";
    }
    return it->valuestring;
}

ds_err ds_eventlog_from_cjson(const cJSON *arr, ds_eventlog *log, char *err, size_t errcap) {
    ds_eventlog_init(log);
    if (!cJSON_IsArray(arr)) {
        if (err && errcap) snprintf(err, errcap, "event log is not a JSON array");
        return DS_ERR_PARSE;
    }
    size_t idx = 0;
    const cJSON *el;
    ds_err rc = DS_OK;
    uint8_t *payload = NULL;
    cJSON_ArrayForEach(el, arr) {
        uint32_t imr, type;
        int bad = 0;
        if (!cJSON_IsObject(el)) { rc = perr(err, errcap, idx, "not an object"); break; }
        if (get_u32(el, "imr", &imr) || imr > 3) { rc = perr(err, errcap, idx, "bad imr"); break; }
        if (get_u32(el, "event_type", &type)) { rc = perr(err, errcap, idx, "bad event_type"); break; }
        const char *dg = get_str_or_empty(el, "digest", &bad);
        const char *name = get_str_or_empty(el, "event", &bad);
        const char *pl = get_str_or_empty(el, "event_payload", &bad);
        if (bad) { rc = perr(err, errcap, idx, "a field is not a string"); break; }
        uint8_t digest[DS_RTMR_LEN];
        size_t dlen = 0;
        if (ds_hex_decode(dg, strlen(dg), digest, sizeof digest, &dlen) != DS_OK) {
            rc = perr(err, errcap, idx, "bad digest hex (or longer than 48 bytes)");
            break;
        }
        size_t plhex = strlen(pl);
        long pln = ds_hex_decoded_len(pl, plhex);
        if (pln < 0) { rc = perr(err, errcap, idx, "bad event_payload hex"); break; }
        size_t plen = 0;
        if (pln > 0) {
            payload = malloc((size_t)pln);
            if (!payload) { rc = DS_ERR_NOMEM; break; }
            ds_hex_decode(pl, plhex, payload, (size_t)pln, &plen);
        }
        rc = ds_eventlog_add(log, imr, type, digest, dlen, name, strlen(name), payload, plen);
        free(payload);
        payload = NULL;
        if (rc) break;
        idx++;
    }
    if (rc) ds_eventlog_free(log);
    return rc;
}

ds_err ds_eventlog_parse_json(const char *json, size_t len, ds_eventlog *log, char *err,
                              size_t errcap) {
    ds_eventlog_init(log);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        if (err && errcap) snprintf(err, errcap, "event log is not valid JSON");
        return DS_ERR_PARSE;
    }
    ds_err rc = ds_eventlog_from_cjson(root, log, err, errcap);
    cJSON_Delete(root);
    return rc;
}

const ds_event *ds_eventlog_find_boot_runtime(const ds_eventlog *log, const char *name) {
    size_t nl = strlen(name);
    for (size_t i = 0; i < log->n; i++) {
        const ds_event *e = &log->ev[i];
        if (!is_runtime(e)) continue;
        if (e->event_len == 12 && !memcmp(e->event, "system-ready", 12)) return NULL;
        if (e->event_len == nl && !memcmp(e->event, name, nl)) return e;
    }
    return NULL;
}

int ds_eventlog_boot_payload(const ds_eventlog *log, const char *name, uint8_t *out, size_t n) {
    const ds_event *e = ds_eventlog_find_boot_runtime(log, name);
    if (!e || e->payload_len != n) return 0;
    memcpy(out, e->payload, n);
    return 1;
}
