/* sim_kmsauth_ask.c — the webhook client and the contract call behind --kms-auth (see
 * sim_kmsauth_ask.h). Every transfer has a total timeout, a connect timeout and a body cap;
 * nothing here holds a lock. */
#include "sim_kmsauth_ask.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "ds_abi.h"
#include "ds_hex.h"
#include "ds_http.h"
#include "ds_rpc.h"
#include "sim_config.h"

#define USER_AGENT "dstack-simulator/" SIM_VERSION " (dstack-kms auth client)"

/* The status as the KMS prints it (Rust's http::StatusCode: code and canonical reason). */
static const char *reason_phrase(long code) {
    const char *r = code >= 0 && code < 1000 ? ds_http_reason((int)code) : NULL;
    return r ? r : "<unknown status code>";
}

/* The first SIM_KMSAUTH_SHORT_BODY bytes of a body, control characters shown as '?'. */
static void short_body(const char *body, size_t len, char *out) {
    size_t n = len < SIM_KMSAUTH_SHORT_BODY ? len : SIM_KMSAUTH_SHORT_BODY;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)body[i] < 0x20 || body[i] == 0x7f ? '?' : body[i];
    out[n] = '\0';
}

static void url_join(const char *base, const char *path, char *out, size_t cap) {
    size_t n = strlen(base);
    snprintf(out, cap, "%s%s%s", base, n && base[n - 1] == '/' ? "" : "/", path);
}

/* One HTTP exchange (POST when body is non-NULL). On success *status and the sink hold the
 * answer; else err says why, naming the url. */
static int http_call(const char *url, const char *body, long timeout_ms, long *status,
                     ds_buf_sink *sink, char *err, size_t errcap) {
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errcap, "auth api %s: out of memory (curl)", url);
        return -1;
    }
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ds_buf_sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    if (body) {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (cc == CURLE_OK && !sink->buf.oom) return 0;
    if (sink->too_big)
        snprintf(err, errcap, "auth api %s: the answer is larger than %u KiB", url,
                 SIM_KMSAUTH_MAX_BODY / 1024);
    else if (sink->buf.oom)
        snprintf(err, errcap, "auth api %s: out of memory", url);
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        snprintf(err, errcap, "auth api %s: no answer within %ld ms", url, timeout_ms);
    else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
        snprintf(err, errcap, "auth api %s: cannot connect (%s): is the auth api running?", url,
                 curl_easy_strerror(cc));
    else
        snprintf(err, errcap, "auth api %s: %s", url, curl_easy_strerror(cc));
    return -1;
}

/* Fetches url; on success *json is the parsed 2xx body. */
static int fetch_json(const char *url, const char *body, long timeout_ms, cJSON **json, char *err,
                      size_t errcap) {
    ds_buf_sink sink = {.max = SIM_KMSAUTH_MAX_BODY};
    ds_buf_init(&sink.buf);
    long status = 0;
    *json = NULL;
    if (http_call(url, body, timeout_ms, &status, &sink, err, errcap)) {
        ds_buf_free(&sink.buf);
        return -1;
    }
    const char *text = sink.buf.data ? sink.buf.data : "";
    char shortb[SIM_KMSAUTH_SHORT_BODY + 1];
    short_body(text, sink.buf.len, shortb);
    if (status < 200 || status > 299) {
        snprintf(err, errcap, "auth api %s returned %ld %s: %s", url, status, reason_phrase(status),
                 shortb);
    } else if (!(*json = cJSON_ParseWithLength(text, sink.buf.len))) {
        snprintf(err, errcap, "failed to decode response from %s, status=%ld %s, body=%s", url,
                 status, reason_phrase(status), shortb);
    }
    ds_buf_free(&sink.buf);
    return *json ? 0 : -1;
}

void sim_kmsauth_ask_webhook(const char *base, const char *boot_json, long timeout_ms,
                             sim_kmsauth_answer *ans) {
    memset(ans, 0, sizeof *ans);
    ans->failed = 1;
    char url[512];
    url_join(base, "bootAuth/app", url, sizeof url);
    cJSON *j;
    if (fetch_json(url, boot_json, timeout_ms, &j, ans->reason, sizeof ans->reason)) return;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "isAllowed");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(j, "reason");
    const cJSON *gw = cJSON_GetObjectItemCaseSensitive(j, "gatewayAppId");
    if (!cJSON_IsBool(ok) || !cJSON_IsString(why) || !cJSON_IsString(gw)) {
        char *text = cJSON_PrintUnformatted(j);
        snprintf(ans->reason, sizeof ans->reason,
                 "failed to decode response from %s: expected {\"isAllowed\": bool, \"reason\": "
                 "string, \"gatewayAppId\": string}, got %.300s",
                 url, text ? text : "(out of memory)");
        cJSON_free(text);
    } else {
        ans->failed = 0;
        ans->allowed = cJSON_IsTrue(ok);
        snprintf(ans->reason, sizeof ans->reason, "%s", why->valuestring);
        snprintf(ans->gateway_app_id, sizeof ans->gateway_app_id, "%s", gw->valuestring);
    }
    cJSON_Delete(j);
}

int sim_kmsauth_get_info(const char *base, long timeout_ms, ds_buf *out, char *err, size_t errcap) {
    cJSON *j;
    if (fetch_json(base, NULL, timeout_ms, &j, err, errcap)) return -1;
    int rc = -1;
    char *text = cJSON_IsObject(j) ? cJSON_PrintUnformatted(j) : NULL;
    if (text) {
        ds_buf_puts(out, text);
        rc = 0;
    } else {
        snprintf(err, errcap, "auth api %s: the info is not a JSON object", base);
    }
    cJSON_free(text);
    cJSON_Delete(j);
    return rc;
}

void sim_kmsauth_ask_contract(const char *rpc, const uint8_t kms[20], const uint8_t *calldata,
                              size_t len, long timeout_ms, sim_kmsauth_answer *ans) {
    memset(ans, 0, sizeof *ans);
    ans->failed = 1;
    char addr[41];
    ds_hex_encode(kms, 20, addr);
    ds_rpc r;
    if (ds_rpc_open(&r, rpc) != DS_OK) {
        snprintf(ans->reason, sizeof ans->reason, "chain %s: %s", rpc, ds_rpc_error(&r));
        ds_rpc_close(&r);
        return;
    }
    r.timeout_ms = timeout_ms;
    ds_rpc_call_result ret = {0};
    if (ds_rpc_eth_call(&r, NULL, kms, calldata, len, &ret) != DS_OK) {
        snprintf(ans->reason, sizeof ans->reason, "DstackKms.isAppAllowed at 0x%s: %s", addr,
                 ds_rpc_error(&r));
        ds_rpc_close(&r);
        return;
    }
    ds_rpc_close(&r);
    ds_abi_types t;
    ds_abi_value pool[4];
    size_t used;
    if (ret.reverted) {
        char why[300];
        ds_abi_revert_describe(ret.data, ret.len, NULL, 0, why, sizeof why);
        snprintf(ans->reason, sizeof ans->reason,
                 "DstackKms.isAppAllowed at 0x%s on %s reverted: %s", addr, rpc, why);
    } else if (ds_abi_parse("(bool,string)", 13, &t, NULL) != DS_OK ||
               ds_abi_decode(&t, ret.data, ret.len, pool, 4, &used) != DS_OK) {
        snprintf(ans->reason, sizeof ans->reason,
                 "DstackKms.isAppAllowed at 0x%s on %s returned %zu bytes that are not (bool, "
                 "string): is a DstackKms deployed there?",
                 addr, rpc, ret.len);
    } else {
        const ds_abi_value *why = &pool[0].items[1];
        ans->failed = 0;
        ans->allowed = pool[0].items[0].word[31] != 0;
        snprintf(ans->reason, sizeof ans->reason, "%.*s", (int)(why->len < 512 ? why->len : 512),
                 (const char *)why->ptr);
    }
    ds_rpc_call_result_free(&ret);
}
