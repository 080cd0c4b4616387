/* ds_client.c — libcurl + cJSON client for the dstack socket.
 *
 * One CURL easy handle per client keeps its connection alive between calls. Replies are
 * parsed strictly: every field a typed call returns must be present with the right type
 * and length, otherwise DS_ERR_PARSE.
 */
#include "ds_client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ds_hex.h"
#include "ds_json.h"

struct ds_client {
    CURL *curl;
    char *socket_path; /* NULL for TCP */
    char *base_url;    /* "http://localhost" or the endpoint URL without a trailing '/' */
    long timeout_ms;
    char err[512];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

ds_client *ds_client_new(const char *endpoint) {
    pthread_once(&curl_once, curl_init_once);
    if (!endpoint) endpoint = getenv("DSTACK_SIMULATOR_ENDPOINT");
    if (!endpoint || !*endpoint) endpoint = "/var/run/dstack.sock";
    ds_client *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->timeout_ms = 30000;
    if (!strncmp(endpoint, "http://", 7) || !strncmp(endpoint, "https://", 8)) {
        c->base_url = strdup(endpoint);
        if (c->base_url) {
            size_t n = strlen(c->base_url);
            while (n > 8 && c->base_url[n - 1] == '/')
                c->base_url[--n] = '\0';
        }
    } else {
        c->socket_path = strdup(endpoint);
        c->base_url = strdup("http://localhost");
        if (!c->socket_path) {
            ds_client_free(c);
            return NULL;
        }
    }
    c->curl = curl_easy_init();
    if (!c->base_url || !c->curl) {
        ds_client_free(c);
        return NULL;
    }
    return c;
}

void ds_client_free(ds_client *c) {
    if (!c) return;
    if (c->curl) curl_easy_cleanup(c->curl);
    free(c->socket_path);
    free(c->base_url);
    free(c);
}

void ds_client_set_timeout_ms(ds_client *c, long ms) { c->timeout_ms = ms; }

const char *ds_client_last_error(const ds_client *c) { return c->err; }

ds_err ds_client_post(ds_client *c, const char *path, const char *json_body, long *status,
                      char **resp, size_t *resp_len) {
    c->err[0] = '\0';
    *resp = NULL;
    if (resp_len) *resp_len = 0;
    if (!json_body) json_body = "{}";
    size_t ul = strlen(c->base_url) + strlen(path) + 2;
    char *url = malloc(ul);
    if (!url) return DS_ERR_NOMEM;
    snprintf(url, ul, "%s%s%s", c->base_url, path[0] == '/' ? "" : "/", path);
    ds_buf_sink body = {.max = SIZE_MAX}; /* the simulator is trusted: no cap */
    ds_buf_init(&body.buf);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    CURL *h = c->curl;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (c->socket_path) curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json_body));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ds_buf_sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    free(url);
    if (rc != CURLE_OK) {
        snprintf(c->err, sizeof c->err, "%s: %s", path, curl_easy_strerror(rc));
        ds_buf_free(&body.buf);
        return DS_ERR_IO;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    *resp = ds_buf_take(&body.buf, resp_len);
    return *resp ? DS_OK : DS_ERR_NOMEM;
}

ds_err ds_client_call(ds_client *c, const char *method, const cJSON *args, cJSON **result) {
    *result = NULL;
    char *req = args ? cJSON_PrintUnformatted(args) : NULL;
    if (args && !req) return DS_ERR_NOMEM;
    char path[256];
    snprintf(path, sizeof path, "/%s", method);
    long status = 0;
    char *resp;
    size_t rlen;
    ds_err e = ds_client_post(c, path, req, &status, &resp, &rlen);
    free(req);
    if (e) return e;
    cJSON *j = cJSON_ParseWithLength(resp, rlen);
    if (!j) {
        snprintf(c->err, sizeof c->err, "%s: HTTP %ld, reply is not JSON", method, status);
        free(resp);
        return DS_ERR_PARSE;
    }
    free(resp);
    const cJSON *er = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (cJSON_IsString(er) || status != 200) {
        snprintf(c->err, sizeof c->err, "%s", cJSON_IsString(er) ? er->valuestring : "HTTP error");
        cJSON_Delete(j);
        return DS_ERR_VERIFY;
    }
    *result = j;
    return DS_OK;
}

/* Decodes a hex string member of exactly n bytes. */
static int get_hex_exact(const cJSON *o, const char *name, uint8_t *out, size_t n) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(it) &&
           ds_hex_decode_exact(it->valuestring, strlen(it->valuestring), out, n) == DS_OK;
}

static int get_hex_item(const cJSON *it, uint8_t *out, size_t n) {
    return cJSON_IsString(it) &&
           ds_hex_decode_exact(it->valuestring, strlen(it->valuestring), out, n) == DS_OK;
}

static ds_err bad_reply(ds_client *c, const char *method, const char *what) {
    snprintf(c->err, sizeof c->err, "%s: malformed reply (%s)", method, what);
    return DS_ERR_PARSE;
}

ds_err ds_client_get_key(ds_client *c, const char *path, const char *purpose, const char *algorithm,
                         ds_getkey_result *out) {
    cJSON *args = cJSON_CreateObject(), *r = NULL;
    cJSON_AddStringToObject(args, "path", path ? path : "");
    cJSON_AddStringToObject(args, "purpose", purpose ? purpose : "");
    cJSON_AddStringToObject(args, "algorithm", algorithm ? algorithm : "secp256k1");
    ds_err e = ds_client_call(c, "GetKey", args, &r);
    cJSON_Delete(args);
    if (e) return e;
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(r, "signature_chain");
    if (!get_hex_exact(r, "key", out->key, 32) || cJSON_GetArraySize(ch) != 2 ||
        !get_hex_item(cJSON_GetArrayItem(ch, 0), out->chain[0], 65) ||
        !get_hex_item(cJSON_GetArrayItem(ch, 1), out->chain[1], 65))
        e = bad_reply(c, "GetKey", "key / signature_chain");
    cJSON_Delete(r);
    return e;
}

/* The hex member name decoded into a fresh buffer (*out malloc'd, *len its size).
 * Returns 1, or 0 when it is missing, empty or not hex, or memory ran out. */
static int dup_hex_member(const cJSON *o, const char *name, uint8_t **out, size_t *len) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    size_t sl = cJSON_IsString(it) ? strlen(it->valuestring) : 0;
    long n = sl ? ds_hex_decoded_len(it->valuestring, sl) : -1;
    *out = n > 0 ? malloc((size_t)n) : NULL;
    if (!*out || ds_hex_decode(it->valuestring, sl, *out, (size_t)n, len) != DS_OK) {
        free(*out);
        *out = NULL;
        return 0;
    }
    return 1;
}

/* Calls method with {"report_data": hex} (at most 64 bytes). */
static ds_err call_report_data(ds_client *c, const char *method, const uint8_t *report_data,
                               size_t len, cJSON **r) {
    if (len > 64 || (len && !report_data)) return DS_ERR_ARG;
    char hex[129];
    ds_hex_encode(report_data ? report_data : (const uint8_t *)"", len, hex);
    cJSON *args = cJSON_CreateObject();
    if (!args) return DS_ERR_NOMEM;
    cJSON_AddStringToObject(args, "report_data", hex);
    ds_err e = ds_client_call(c, method, args, r);
    cJSON_Delete(args);
    return e;
}

static char *dup_str_member(const cJSON *o, const char *name) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(it) ? strdup(it->valuestring) : NULL;
}

ds_err ds_client_get_quote(ds_client *c, const uint8_t *report_data, size_t len,
                           ds_quote_result *out) {
    memset(out, 0, sizeof(*out));
    cJSON *r = NULL;
    ds_err e = call_report_data(c, "GetQuote", report_data, len, &r);
    if (e) return e;
    out->event_log = dup_str_member(r, "event_log");
    out->vm_config = dup_str_member(r, "vm_config");
    if (!dup_hex_member(r, "quote", &out->quote, &out->quote_len) || !out->event_log ||
        !out->vm_config || !get_hex_exact(r, "report_data", out->report_data, 64)) {
        ds_quote_result_free(out);
        e = bad_reply(c, "GetQuote", "quote / event_log / report_data / vm_config");
    }
    cJSON_Delete(r);
    return e;
}

void ds_quote_result_free(ds_quote_result *r) {
    free(r->quote);
    free(r->event_log);
    free(r->vm_config);
    memset(r, 0, sizeof(*r));
}

ds_err ds_client_info(ds_client *c, ds_info_result *out) {
    memset(out, 0, sizeof(*out));
    cJSON *r = NULL;
    ds_err e = ds_client_call(c, "Info", NULL, &r);
    if (e) return e;
    out->raw = r;
    const cJSON *iid = cJSON_GetObjectItemCaseSensitive(r, "instance_id");
    const cJSON *tcb = cJSON_GetObjectItemCaseSensitive(r, "tcb_info");
    out->app_name = dup_str_member(r, "app_name");
    if (cJSON_IsString(tcb)) out->tcb_info = cJSON_Parse(tcb->valuestring);
    out->has_instance_id = cJSON_IsString(iid) && iid->valuestring[0];
    if (!get_hex_exact(r, "app_id", out->app_id, 20) ||
        !get_hex_exact(r, "compose_hash", out->compose_hash, 32) || !cJSON_IsString(iid) ||
        (out->has_instance_id && !get_hex_item(iid, out->instance_id, 20)) || !out->app_name ||
        !cJSON_IsObject(out->tcb_info)) {
        ds_info_result_free(out);
        return bad_reply(c, "Info", "app_id / instance_id / compose_hash / app_name / tcb_info");
    }
    return DS_OK;
}

void ds_info_result_free(ds_info_result *r) {
    free(r->app_name);
    cJSON_Delete(r->tcb_info);
    cJSON_Delete(r->raw);
    memset(r, 0, sizeof(*r));
}

ds_err ds_client_emit_event(ds_client *c, const char *event, const uint8_t *payload, size_t len) {
    if (!event || (len && !payload)) return DS_ERR_ARG;
    ds_buf hex;
    ds_buf_init(&hex);
    ds_buf_hex(&hex, payload ? payload : (const uint8_t *)"", len);
    cJSON *args = cJSON_CreateObject(), *r = NULL;
    cJSON_AddStringToObject(args, "event", event);
    cJSON_AddStringToObject(args, "payload", hex.data ? hex.data : "");
    ds_buf_free(&hex);
    ds_err e = ds_client_call(c, "EmitEvent", args, &r);
    cJSON_Delete(args);
    cJSON_Delete(r);
    return e;
}

ds_err ds_client_sign(ds_client *c, const char *algorithm, const uint8_t *data, size_t len,
                      ds_sign_result *out) {
    memset(out, 0, sizeof(*out));
    if (len && !data) return DS_ERR_ARG;
    ds_buf hex;
    ds_buf_init(&hex);
    ds_buf_hex(&hex, data ? data : (const uint8_t *)"", len);
    cJSON *args = cJSON_CreateObject(), *r = NULL;
    cJSON_AddStringToObject(args, "algorithm", algorithm ? algorithm : "secp256k1");
    cJSON_AddStringToObject(args, "data", hex.data ? hex.data : "");
    ds_buf_free(&hex);
    ds_err e = ds_client_call(c, "Sign", args, &r);
    cJSON_Delete(args);
    if (e) return e;
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(r, "signature_chain");
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(r, "public_key");
    size_t pl = cJSON_IsString(pk) ? strlen(pk->valuestring) / 2 : 0;
    if (!get_hex_exact(r, "signature", out->signature, 64) || cJSON_GetArraySize(ch) != 3 ||
        !get_hex_item(cJSON_GetArrayItem(ch, 1), out->chain_app, 65) ||
        !get_hex_item(cJSON_GetArrayItem(ch, 2), out->chain_kms, 65) || (pl != 32 && pl != 33) ||
        !get_hex_item(pk, out->public_key, pl))
        e = bad_reply(c, "Sign", "signature / signature_chain / public_key");
    else
        out->public_key_len = pl;
    cJSON_Delete(r);
    return e;
}

static void copy_member(const cJSON *o, const char *name, char *dst, size_t cap) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    snprintf(dst, cap, "%s", cJSON_IsString(it) ? it->valuestring : "");
}

ds_err ds_client_get_meta(ds_client *c, ds_meta_result *out) {
    memset(out, 0, sizeof(*out));
    cJSON *r = NULL;
    ds_err e = ds_client_call(c, "GetMeta", NULL, &r);
    if (e) return e;
    copy_member(r, "mode", out->mode, sizeof out->mode);
    copy_member(r, "mismatch", out->mismatch, sizeof out->mismatch);
    copy_member(r, "k256_address", out->k256_address_text, sizeof out->k256_address_text);
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(r, "k256_pubkey");
    out->have_root = cJSON_IsString(pk) && pk->valuestring[0];
    if (!get_hex_exact(r, "app_id", out->app_id, 20) ||
        !get_hex_exact(r, "app_pubkey", out->app_pubkey, 33) ||
        (out->have_root &&
         (!get_hex_item(pk, out->k256_pubkey, 33) ||
          ds_hex_decode_exact(out->k256_address_text, strlen(out->k256_address_text),
                              out->k256_address, 20) != DS_OK)))
        e = bad_reply(c, "GetMeta", "k256_pubkey / k256_address / app_id / app_pubkey");
    cJSON_Delete(r);
    return e;
}

ds_err ds_client_v1_get_key(ds_client *c, const char *domain, const char *algorithm,
                            ds_v1_getkey_result *out) {
    memset(out, 0, sizeof(*out));
    cJSON *args = cJSON_CreateObject(), *r = NULL;
    cJSON_AddStringToObject(args, "domain", domain ? domain : "");
    cJSON_AddStringToObject(args, "algorithm", algorithm ? algorithm : "");
    ds_err e = ds_client_call(c, "v1/GetKey", args, &r);
    cJSON_Delete(args);
    if (e) return e;
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(r, "signature_chain");
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(r, "public_key");
    size_t pl = cJSON_IsString(pk) ? strlen(pk->valuestring) / 2 : 0;
    if (!get_hex_exact(r, "key", out->key, 32) || (pl != 32 && pl != 33) ||
        !get_hex_exact(r, "public_key", out->public_key, pl) || cJSON_GetArraySize(ch) != 2 ||
        !get_hex_item(cJSON_GetArrayItem(ch, 0), out->chain[0], 65) ||
        !get_hex_item(cJSON_GetArrayItem(ch, 1), out->chain[1], 65))
        e = bad_reply(c, "v1/GetKey", "key / public_key / signature_chain");
    else
        out->public_key_len = pl;
    cJSON_Delete(r);
    return e;
}

ds_err ds_client_v1_attest(ds_client *c, const uint8_t *report_data, size_t len,
                           uint8_t **attestation, size_t *att_len) {
    *attestation = NULL;
    *att_len = 0;
    cJSON *r = NULL;
    ds_err e = call_report_data(c, "v1/Attest", report_data, len, &r);
    if (e) return e;
    if (!dup_hex_member(r, "attestation", attestation, att_len))
        e = bad_reply(c, "v1/Attest", "attestation");
    cJSON_Delete(r);
    return e;
}

ds_err ds_client_v1_version(ds_client *c, char *version, size_t cap) {
    cJSON *r = NULL;
    ds_err e = ds_client_call(c, "v1/Version", NULL, &r);
    if (e) return e;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "version");
    if (!cJSON_IsString(v))
        e = bad_reply(c, "v1/Version", "version");
    else if (strlen(v->valuestring) >= cap)
        e = DS_ERR_LEN;
    else
        memcpy(version, v->valuestring, strlen(v->valuestring) + 1);
    cJSON_Delete(r);
    return e;
}
