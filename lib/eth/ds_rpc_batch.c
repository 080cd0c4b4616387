/* ds_rpc_batch.c — many eth_calls in one JSON-RPC batch (one HTTP round trip), for
 * callers that ask a contract hundreds of questions in a row (see ds_rpc.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_rpc.h"
#include "ds_rpc_internal.h"

static void free_results(ds_rpc_call_result *out, size_t n) {
    for (size_t i = 0; i < n; i++)
        ds_rpc_call_result_free(&out[i]);
}

/* Fills out[i] from one reply object; returns DS_OK or an error with r->err set. */
static ds_err take_one(ds_rpc *r, const cJSON *o, ds_rpc_call_result *out) {
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (err != NULL && !cJSON_IsNull(err)) {
        if (ds_rpc_revert_of(err, &out->data, &out->len)) {
            out->reverted = 1;
            return DS_OK;
        }
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
        r->rpc_code = cJSON_IsNumber(code) ? (long)code->valuedouble : 0;
        snprintf(r->err, sizeof r->err, "eth_call: JSON-RPC error %ld: %s", r->rpc_code,
                 cJSON_IsString(msg) ? msg->valuestring : "(no message)");
        return DS_ERR_VERIFY;
    }
    if (ds_rpc_data_alloc(cJSON_GetObjectItemCaseSensitive(o, "result"), &out->data, &out->len) !=
        DS_OK) {
        snprintf(r->err, sizeof r->err, "eth_call: result is not data");
        return DS_ERR_PARSE;
    }
    return DS_OK;
}

ds_err ds_rpc_eth_call_batch(ds_rpc *r, const uint8_t *from, const uint8_t to[20],
                             const ds_rpc_call_data *calls, size_t n, ds_rpc_call_result *out) {
    ds_err rc = DS_OK;
    if (r == NULL || r->curl == NULL || to == NULL || (n && (calls == NULL || out == NULL)))
        return DS_ERR_ARG;
    memset(out, 0, n * sizeof *out);
    r->err[0] = '\0';
    r->rpc_code = 0;
    if (n == 0) return DS_OK;
    cJSON *req = cJSON_CreateArray();
    unsigned long base = r->next_id;
    r->next_id += n;
    for (size_t i = 0; req != NULL && i < n; i++) {
        cJSON *o = cJSON_CreateObject(), *p = cJSON_CreateArray();
        if (o == NULL || p == NULL) {
            cJSON_Delete(o);
            cJSON_Delete(p);
            cJSON_Delete(req);
            req = NULL;
            break;
        }
        cJSON_AddStringToObject(o, "jsonrpc", "2.0");
        cJSON_AddNumberToObject(o, "id", (double)(base + i));
        cJSON_AddStringToObject(o, "method", "eth_call");
        cJSON_AddItemToArray(p, ds_rpc_tx_object(from, to, calls[i].data, calls[i].len, 0, 0));
        cJSON_AddItemToArray(p, cJSON_CreateString("latest"));
        cJSON_AddItemToObject(o, "params", p);
        cJSON_AddItemToArray(req, o);
    }
    char *text = req ? cJSON_PrintUnformatted(req) : NULL;
    cJSON_Delete(req);
    if (text == NULL) {
        snprintf(r->err, sizeof r->err, "out of memory");
        return DS_ERR_NOMEM;
    }
    char *reply = ds_rpc_post(r, text, &rc);
    free(text);
    if (reply == NULL) return rc;
    cJSON *resp = cJSON_Parse(reply);
    if (!cJSON_IsArray(resp)) {
        snprintf(r->err, sizeof r->err,
                 "the chain at %s answered a batch with something else: %.200s", r->url, reply);
        free(reply);
        cJSON_Delete(resp);
        return DS_ERR_PARSE;
    }
    free(reply);
    size_t got = 0;
    const cJSON *o;
    unsigned char *seen = calloc(n, 1);
    if (seen == NULL) {
        cJSON_Delete(resp);
        snprintf(r->err, sizeof r->err, "out of memory");
        return DS_ERR_NOMEM;
    }
    cJSON_ArrayForEach(o, resp) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        double k = cJSON_IsNumber(id) ? id->valuedouble - (double)base : -1;
        if (k < 0 || k >= (double)n || seen[(size_t)k]++) {
            snprintf(r->err, sizeof r->err,
                     "the chain at %s answered a batch with an unknown or repeated id", r->url);
            rc = DS_ERR_PARSE;
            break;
        }
        if ((rc = take_one(r, o, &out[(size_t)k])) != DS_OK) break;
        got++;
    }
    cJSON_Delete(resp);
    free(seen);
    if (rc == DS_OK && got != n) {
        snprintf(r->err, sizeof r->err, "the chain at %s answered %zu of %zu calls in a batch",
                 r->url, got, n);
        rc = DS_ERR_PARSE;
    }
    if (rc != DS_OK) free_results(out, n);
    return rc;
}
