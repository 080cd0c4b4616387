/* vf_http.c — the verifier's transport: HTTP/1.1 GET or POST to a dstack endpoint that is
 * either a Unix socket path (CURLOPT_UNIX_SOCKET_PATH) or an http:// URL, with raw
 * binary bodies (the published root is DER) and a JSON convenience call.
 *
 * ds_client (lib/) speaks POST-with-JSON only; the simulator's /sim/pki/ paths and a
 * verifier's need for the exact reply bytes are why this small module exists.
 */
#include "vf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ds_json.h"

#define VF_HTTP_MAX (64u << 20) /* largest reply accepted */

ds_err vf_http_open(vf_http *h, const char *endpoint) {
    memset(h, 0, sizeof *h);
    h->timeout_ms = 30000;
    if (!endpoint || !*endpoint) {
        snprintf(h->err, sizeof h->err,
                 "no endpoint: give --endpoint PATH|http://HOST:PORT "
                 "or set DSTACK_SIMULATOR_ENDPOINT");
        return DS_ERR_ARG;
    }
    if (strlen(endpoint) >= sizeof h->base) {
        snprintf(h->err, sizeof h->err, "endpoint too long");
        return DS_ERR_ARG;
    }
    snprintf(h->endpoint, sizeof h->endpoint, "%s", endpoint);
    if (!strncmp(endpoint, "https://", 8)) {
        snprintf(h->err, sizeof h->err,
                 "endpoint %.200s: https is not supported (a dstack agent "
                 "speaks plain HTTP on a socket or loopback port)",
                 endpoint);
        return DS_ERR_ARG;
    }
    if (!strncmp(endpoint, "http://", 7)) {
        snprintf(h->base, sizeof h->base, "%s", endpoint);
        size_t n = strlen(h->base);
        while (n > 7 && h->base[n - 1] == '/')
            h->base[--n] = '\0';
        if (n <= 7) {
            snprintf(h->err, sizeof h->err, "endpoint %.200s has no host", endpoint);
            return DS_ERR_ARG;
        }
    } else if (strstr(endpoint, "://")) {
        snprintf(h->err, sizeof h->err, "endpoint %.200s: not a socket path or http:// URL",
                 endpoint);
        return DS_ERR_ARG;
    } else {
        h->socket_path = strdup(endpoint);
        if (!h->socket_path) return DS_ERR_NOMEM;
        snprintf(h->base, sizeof h->base, "http://localhost");
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h->curl = curl_easy_init();
    if (!h->curl) {
        free(h->socket_path);
        h->socket_path = NULL;
        snprintf(h->err, sizeof h->err, "cannot initialise libcurl");
        return DS_ERR_NOMEM;
    }
    return DS_OK;
}

void vf_http_close(vf_http *h) {
    if (h->curl) {
        curl_easy_cleanup(h->curl);
        curl_global_cleanup();
    }
    free(h->socket_path);
    h->curl = NULL;
    h->socket_path = NULL;
}

ds_err vf_http_request(vf_http *h, const char *method, const char *path, const char *body,
                       long *status, uint8_t **resp, size_t *len) {
    *resp = NULL;
    *len = 0;
    *status = 0;
    if (!h->curl) return DS_ERR_ARG;
    CURL *c = h->curl;
    char url[1024];
    snprintf(url, sizeof url, "%s%s", h->base, path);
    ds_buf_sink b = {.max = VF_HTTP_MAX};
    ds_buf_init(&b.buf);
    struct curl_slist *hdrs = NULL;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (h->socket_path) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->socket_path);
    if (!strcmp(method, "POST")) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ds_buf_sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    if (cc != CURLE_OK) {
        if (b.too_big)
            snprintf(h->err, sizeof h->err, "%s %.100s: reply larger than 64 MiB", method, path);
        else
            snprintf(h->err, sizeof h->err,
                     "cannot reach the dstack endpoint at %.200s (%s %.60s): %.150s", h->endpoint,
                     method, path, curl_easy_strerror(cc));
        int oom = b.buf.oom;
        ds_buf_free(&b.buf);
        return oom ? DS_ERR_NOMEM : DS_ERR_IO;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    char *text = ds_buf_take(&b.buf, len);
    if (!text) return DS_ERR_NOMEM;
    *resp = (uint8_t *)text;
    h->err[0] = '\0';
    return DS_OK;
}

ds_err vf_http_json(vf_http *h, const char *path, const char *body, cJSON **out) {
    *out = NULL;
    long st;
    uint8_t *resp;
    size_t len;
    ds_err e = vf_http_request(h, "POST", path, body ? body : "{}", &st, &resp, &len);
    if (e != DS_OK) return e;
    cJSON *j = cJSON_ParseWithLength((const char *)resp, len);
    const cJSON *em = j ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
    if (st != 200 || cJSON_IsString(em)) {
        if (cJSON_IsString(em))
            snprintf(h->err, sizeof h->err, "%.200s refused %.60s: %.200s", h->endpoint, path,
                     em->valuestring);
        else
            snprintf(h->err, sizeof h->err, "%.200s answered %.60s with HTTP %ld: %.120s",
                     h->endpoint, path, st, (const char *)resp);
        cJSON_Delete(j);
        free(resp);
        return DS_ERR_VERIFY;
    }
    if (!j || !cJSON_IsObject(j)) {
        snprintf(h->err, sizeof h->err,
                 "%.200s answered %.60s with something that is not a JSON "
                 "object: %.120s",
                 h->endpoint, path, (const char *)resp);
        cJSON_Delete(j);
        free(resp);
        return DS_ERR_PARSE;
    }
    free(resp);
    *out = j;
    return DS_OK;
}
