/* ds_rpc.c — Ethereum JSON-RPC over HTTP with libcurl and cJSON (see ds_rpc.h).
 *
 * Transport: one curl easy handle per client (keep-alive), POST of a JSON body, no proxy
 * (a local chain must never be reached through http_proxy), http only. Replies larger than
 * 64 MiB are refused. Every failure leaves a one-line message in r->err.
 */
#include "ds_rpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ds_hex.h"
#include "ds_json.h"
#include "ds_rpc_internal.h"

#define MAX_REPLY (64u << 20)

static void set_err(ds_rpc *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(ds_rpc *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
}

static void clear_state(ds_rpc *r) {
    r->err[0] = '\0';
    r->rpc_code = 0;
    free(r->revert);
    r->revert = NULL;
    r->revert_len = 0;
    r->have_revert = 0;
}

ds_err ds_rpc_open(ds_rpc *r, const char *url) {
    if (r == NULL) return DS_ERR_ARG;
    memset(r, 0, sizeof *r);
    if (url == NULL || strlen(url) >= sizeof r->url || strncmp(url, "http://", 7) != 0) {
        snprintf(r->err, sizeof r->err, "chain URL must be http://host:port (got %s)",
                 url ? url : "nothing");
        return DS_ERR_ARG;
    }
    snprintf(r->url, sizeof r->url, "%s", url);
    r->timeout_ms = 30000;
    r->next_id = 1;
    r->curl = curl_easy_init();
    if (r->curl == NULL) {
        snprintf(r->err, sizeof r->err, "out of memory (curl)");
        return DS_ERR_NOMEM;
    }
    return DS_OK;
}

void ds_rpc_close(ds_rpc *r) {
    if (r == NULL) return;
    if (r->curl) curl_easy_cleanup(r->curl);
    r->curl = NULL;
    free(r->revert);
    r->revert = NULL;
}

const char *ds_rpc_error(const ds_rpc *r) { return r ? r->err : "no client"; }

char *ds_rpc_post(ds_rpc *r, const char *text, ds_err *rc) {
    ds_buf_sink b = {.max = MAX_REPLY - 1};
    ds_buf_init(&b.buf);
    long status = 0;
    CURL *c = r->curl;
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ds_buf_sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms < 5000 ? r->timeout_ms : 5000L);
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    if (cc != CURLE_OK) {
        *rc = DS_ERR_IO;
        if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
            set_err(r, "cannot reach the chain at %s: is Anvil running? `dstack-harness up` starts one",
                    r->url);
        else if (cc == CURLE_OPERATION_TIMEDOUT)
            set_err(r, "the chain at %s did not answer within %ld ms", r->url, r->timeout_ms);
        else if (b.too_big)
            set_err(r, "the chain at %s sent a reply larger than %u MiB", r->url, MAX_REPLY >> 20);
        else
            set_err(r, "request to the chain at %s failed: %s", r->url, curl_easy_strerror(cc));
        ds_buf_free(&b.buf);
        return NULL;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    char *reply = ds_buf_take(&b.buf, NULL);
    if (reply == NULL) {
        *rc = DS_ERR_NOMEM;
        set_err(r, "out of memory");
        return NULL;
    }
    if (status != 200) {
        *rc = DS_ERR_IO;
        set_err(r, "the chain at %s answered HTTP %ld: %.200s", r->url, status, reply);
        free(reply);
        return NULL;
    }
    return reply;
}

int ds_rpc_revert_of(const cJSON *err, uint8_t **data_out, size_t *len) {
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(err, "data");
    if (cJSON_IsObject(data)) data = cJSON_GetObjectItemCaseSensitive(data, "data");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
    int is_revert = (cJSON_IsNumber(code) && code->valuedouble == 3) ||
                    (cJSON_IsString(msg) && strstr(msg->valuestring, "revert") != NULL);
    *data_out = NULL;
    *len = 0;
    if (!is_revert) return 0;
    if (cJSON_IsString(data) && ds_rpc_data_alloc(data, data_out, len) != DS_OK)
        *data_out = NULL, *len = 0;
    return 1;
}

/* Takes error.data (string or {"data": string}) as revert data when it is hex. */
static void keep_revert(ds_rpc *r, const cJSON *err) {
    uint8_t *p;
    size_t n;
    if (!ds_rpc_revert_of(err, &p, &n)) return;
    r->have_revert = 1;
    r->revert = p;
    r->revert_len = n;
}

ds_err ds_rpc_call(ds_rpc *r, const char *method, const cJSON *params, cJSON **result) {
    ds_err rc = DS_OK;
    if (r == NULL || r->curl == NULL || method == NULL || result == NULL) return DS_ERR_ARG;
    *result = NULL;
    clear_state(r);
    cJSON *req = cJSON_CreateObject();
    cJSON *p = params ? cJSON_Duplicate(params, 1) : cJSON_CreateArray();
    unsigned long id = r->next_id++;
    if (req == NULL || p == NULL || !cJSON_AddStringToObject(req, "jsonrpc", "2.0") ||
        !cJSON_AddNumberToObject(req, "id", (double)id) ||
        !cJSON_AddStringToObject(req, "method", method)) {
        cJSON_Delete(req);
        cJSON_Delete(p);
        set_err(r, "out of memory");
        return DS_ERR_NOMEM;
    }
    cJSON_AddItemToObject(req, "params", p);
    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (text == NULL) {
        set_err(r, "out of memory");
        return DS_ERR_NOMEM;
    }
    char *reply = ds_rpc_post(r, text, &rc);
    free(text);
    if (reply == NULL) return rc;
    cJSON *resp = cJSON_Parse(reply);
    if (!cJSON_IsObject(resp)) {
        set_err(r, "the chain at %s sent a reply that is not JSON-RPC: %.200s", r->url, reply);
        free(reply);
        cJSON_Delete(resp);
        return DS_ERR_PARSE;
    }
    free(reply);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(resp, "error");
    if (err != NULL && !cJSON_IsNull(err)) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
        r->rpc_code = cJSON_IsNumber(code) ? (long)code->valuedouble : 0;
        set_err(r, "%s: JSON-RPC error %ld: %s", method, r->rpc_code,
                cJSON_IsString(msg) ? msg->valuestring : "(no message)");
        keep_revert(r, err);
        cJSON_Delete(resp);
        return DS_ERR_VERIFY;
    }
    if (!cJSON_HasObjectItem(resp, "result")) {
        set_err(r, "%s: the reply has neither result nor error", method);
        cJSON_Delete(resp);
        return DS_ERR_PARSE;
    }
    *result = cJSON_DetachItemFromObjectCaseSensitive(resp, "result");
    cJSON_Delete(resp);
    return DS_OK;
}

ds_err ds_rpc_call_text(ds_rpc *r, const char *method, const char *params_json,
                        cJSON **result) {
    if (r == NULL) return DS_ERR_ARG;
    cJSON *p = params_json ? cJSON_Parse(params_json) : NULL;
    if (params_json != NULL && !cJSON_IsArray(p)) {
        cJSON_Delete(p);
        set_err(r, "%s: params must be a JSON array", method ? method : "call");
        return DS_ERR_ARG;
    }
    ds_err rc = ds_rpc_call(r, method, p, result);
    cJSON_Delete(p);
    return rc;
}

/* ---- value helpers --------------------------------------------------------------------- */

ds_err ds_rpc_quantity(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsString(v) || out == NULL) return DS_ERR_PARSE;
    const char *s = v->valuestring;
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s[2] == '\0') return DS_ERR_PARSE;
    uint64_t x = 0;
    for (s += 2; *s; s++) {
        int d = (*s >= '0' && *s <= '9') ? *s - '0'
                : (*s >= 'a' && *s <= 'f') ? *s - 'a' + 10
                : (*s >= 'A' && *s <= 'F') ? *s - 'A' + 10 : -1;
        if (d < 0 || (x >> 60) != 0) return DS_ERR_PARSE;
        x = (x << 4) | (uint64_t)d;
    }
    *out = x;
    return DS_OK;
}

ds_err ds_rpc_data_exact(const cJSON *v, uint8_t *out, size_t n) {
    if (!cJSON_IsString(v)) return DS_ERR_PARSE;
    return ds_hex_decode_exact(v->valuestring, strlen(v->valuestring), out, n) == DS_OK
               ? DS_OK : DS_ERR_PARSE;
}

ds_err ds_rpc_data_alloc(const cJSON *v, uint8_t **out, size_t *len) {
    if (!cJSON_IsString(v) || out == NULL || len == NULL) return DS_ERR_PARSE;
    *out = NULL;
    *len = 0;
    size_t sl = strlen(v->valuestring);
    long n = ds_hex_decoded_len(v->valuestring, sl);
    if (n < 0) return DS_ERR_PARSE;
    if (n == 0) return DS_OK;
    uint8_t *p = malloc((size_t)n);
    if (p == NULL) return DS_ERR_NOMEM;
    size_t got = 0;
    if (ds_hex_decode(v->valuestring, sl, p, (size_t)n, &got) != DS_OK) {
        free(p);
        return DS_ERR_PARSE;
    }
    *out = p;
    *len = got;
    return DS_OK;
}

/* "0x" + hex of p, as a new cJSON string. */
static cJSON *hex_item(const uint8_t *p, size_t n) {
    char *s = malloc(2 * n + 3);
    if (s == NULL) return NULL;
    s[0] = '0';
    s[1] = 'x';
    ds_hex_encode(p, n, s + 2);
    cJSON *item = cJSON_CreateString(s);
    free(s);
    return item;
}

static cJSON *qty_item(uint64_t x) {
    char s[24];
    snprintf(s, sizeof s, "0x%llx", (unsigned long long)x);
    return cJSON_CreateString(s);
}

/* Calls a method without parameters whose result is a quantity. */
static ds_err call_qty(ds_rpc *r, const char *method, uint64_t *out) {
    cJSON *res = NULL;
    if (out == NULL) return DS_ERR_ARG;
    ds_err rc = ds_rpc_call(r, method, NULL, &res);
    if (rc == DS_OK && ds_rpc_quantity(res, out) != DS_OK) {
        set_err(r, "%s: result is not a quantity", method);
        rc = DS_ERR_PARSE;
    }
    cJSON_Delete(res);
    return rc;
}

ds_err ds_rpc_chain_id(ds_rpc *r, uint64_t *id) { return call_qty(r, "eth_chainId", id); }
ds_err ds_rpc_block_number(ds_rpc *r, uint64_t *n) { return call_qty(r, "eth_blockNumber", n); }

ds_err ds_rpc_accounts(ds_rpc *r, uint8_t (*accts)[20], size_t cap, size_t *n) {
    cJSON *res = NULL, *a;
    if (accts == NULL || n == NULL) return DS_ERR_ARG;
    *n = 0;
    ds_err rc = ds_rpc_call(r, "eth_accounts", NULL, &res);
    if (rc != DS_OK) return rc;
    cJSON_ArrayForEach(a, res) {
        if (*n >= cap) break;
        if (ds_rpc_data_exact(a, accts[*n], 20) != DS_OK) {
            set_err(r, "eth_accounts: not an address list");
            cJSON_Delete(res);
            return DS_ERR_PARSE;
        }
        (*n)++;
    }
    cJSON_Delete(res);
    return DS_OK;
}

ds_err ds_rpc_code_size(ds_rpc *r, const uint8_t addr[20], size_t *len) {
    cJSON *res = NULL, *p = cJSON_CreateArray();
    uint8_t *code = NULL;
    if (p == NULL) return DS_ERR_NOMEM;
    cJSON_AddItemToArray(p, hex_item(addr, 20));
    cJSON_AddItemToArray(p, cJSON_CreateString("latest"));
    ds_err rc = ds_rpc_call(r, "eth_getCode", p, &res);
    cJSON_Delete(p);
    if (rc == DS_OK && ds_rpc_data_alloc(res, &code, len) != DS_OK) {
        set_err(r, "eth_getCode: result is not data");
        rc = DS_ERR_PARSE;
    }
    free(code);
    cJSON_Delete(res);
    return rc;
}

/* ---- calls and transactions ---------------------------------------------------------------- */

cJSON *ds_rpc_tx_object(const uint8_t *from, const uint8_t *to, const uint8_t *data, size_t len,
                        uint64_t value, uint64_t gas) {
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) return NULL;
    if (from) cJSON_AddItemToObject(o, "from", hex_item(from, 20));
    if (to) cJSON_AddItemToObject(o, "to", hex_item(to, 20));
    cJSON_AddItemToObject(o, "data", hex_item(data, len));
    if (value) cJSON_AddItemToObject(o, "value", qty_item(value));
    if (gas) cJSON_AddItemToObject(o, "gas", qty_item(gas));
    return o;
}

ds_err ds_rpc_eth_call(ds_rpc *r, const uint8_t *from, const uint8_t to[20],
                       const uint8_t *data, size_t len, ds_rpc_call_result *out) {
    cJSON *res = NULL, *p = cJSON_CreateArray();
    if (r == NULL || to == NULL || out == NULL || (data == NULL && len)) {
        cJSON_Delete(p);
        return DS_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if (p == NULL) return DS_ERR_NOMEM;
    cJSON_AddItemToArray(p, ds_rpc_tx_object(from, to, data, len, 0, 0));
    cJSON_AddItemToArray(p, cJSON_CreateString("latest"));
    ds_err rc = ds_rpc_call(r, "eth_call", p, &res);
    cJSON_Delete(p);
    if (rc == DS_ERR_VERIFY && r->have_revert) {
        out->reverted = 1;
        out->data = r->revert;
        out->len = r->revert_len;
        r->revert = NULL; /* ownership moves to out; the message stays in r->err */
        r->revert_len = 0;
        return DS_OK;
    }
    if (rc == DS_OK && ds_rpc_data_alloc(res, &out->data, &out->len) != DS_OK) {
        set_err(r, "eth_call: result is not data");
        rc = DS_ERR_PARSE;
    }
    cJSON_Delete(res);
    return rc;
}

void ds_rpc_call_result_free(ds_rpc_call_result *c) {
    if (c == NULL) return;
    free(c->data);
    c->data = NULL;
    c->len = 0;
}

ds_err ds_rpc_send(ds_rpc *r, const ds_rpc_tx *tx, uint8_t hash[32]) {
    cJSON *res = NULL, *p;
    if (r == NULL || tx == NULL || tx->from == NULL || hash == NULL ||
        (tx->data == NULL && tx->len))
        return DS_ERR_ARG;
    p = cJSON_CreateArray();
    if (p == NULL) return DS_ERR_NOMEM;
    cJSON_AddItemToArray(p,
                         ds_rpc_tx_object(tx->from, tx->to, tx->data, tx->len, tx->value, tx->gas));
    ds_err rc = ds_rpc_call(r, "eth_sendTransaction", p, &res);
    cJSON_Delete(p);
    if (rc == DS_OK && ds_rpc_data_exact(res, hash, 32) != DS_OK) {
        set_err(r, "eth_sendTransaction: result is not a transaction hash");
        rc = DS_ERR_PARSE;
    }
    cJSON_Delete(res);
    return rc;
}

void ds_rpc_logs_free(ds_rpc_logs *l) {
    if (l == NULL) return;
    for (size_t i = 0; i < l->n; i++) free(l->v[i].data);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

void ds_rpc_receipt_free(ds_rpc_receipt *rc) {
    if (rc != NULL) ds_rpc_logs_free(&rc->logs);
}

static ds_err parse_logs(const cJSON *arr, ds_rpc_logs *out) {
    const cJSON *l;
    out->v = NULL;
    out->n = 0;
    if (!cJSON_IsArray(arr)) return DS_ERR_PARSE;
    int n = cJSON_GetArraySize(arr);
    if (n == 0) return DS_OK;
    out->v = calloc((size_t)n, sizeof *out->v);
    if (out->v == NULL) return DS_ERR_NOMEM;
    cJSON_ArrayForEach(l, arr) {
        ds_rpc_log *g = &out->v[out->n];
        const cJSON *topics = cJSON_GetObjectItemCaseSensitive(l, "topics"), *t;
        out->n++;
        if (ds_rpc_data_exact(cJSON_GetObjectItemCaseSensitive(l, "address"), g->address, 20) ||
            ds_rpc_data_alloc(cJSON_GetObjectItemCaseSensitive(l, "data"), &g->data, &g->len) ||
            !cJSON_IsArray(topics) || cJSON_GetArraySize(topics) > 4)
            return DS_ERR_PARSE;
        cJSON_ArrayForEach(t, topics) {
            if (ds_rpc_data_exact(t, g->topics[g->ntopics++], 32) != DS_OK) return DS_ERR_PARSE;
        }
        ds_rpc_quantity(cJSON_GetObjectItemCaseSensitive(l, "blockNumber"), &g->block);
        ds_rpc_data_exact(cJSON_GetObjectItemCaseSensitive(l, "transactionHash"), g->tx_hash, 32);
    }
    return DS_OK;
}

static ds_err parse_receipt(const cJSON *res, ds_rpc_receipt *rc) {
    uint64_t status = 0;
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(res, "contractAddress");
    if (ds_rpc_quantity(cJSON_GetObjectItemCaseSensitive(res, "status"), &status) != DS_OK ||
        ds_rpc_quantity(cJSON_GetObjectItemCaseSensitive(res, "blockNumber"), &rc->block) != DS_OK ||
        ds_rpc_quantity(cJSON_GetObjectItemCaseSensitive(res, "gasUsed"), &rc->gas_used) != DS_OK)
        return DS_ERR_PARSE;
    rc->status = status == 1;
    if (cJSON_IsString(ca)) {
        if (ds_rpc_data_exact(ca, rc->contract, 20) != DS_OK) return DS_ERR_PARSE;
        rc->has_contract = 1;
    }
    return parse_logs(cJSON_GetObjectItemCaseSensitive(res, "logs"), &rc->logs);
}

ds_err ds_rpc_wait_receipt(ds_rpc *r, const uint8_t hash[32], long timeout_ms,
                           ds_rpc_receipt *rc) {
    struct timespec nap = {0, 20 * 1000 * 1000};
    long waited = 0;
    if (r == NULL || hash == NULL || rc == NULL) return DS_ERR_ARG;
    memset(rc, 0, sizeof *rc);
    memcpy(rc->tx_hash, hash, 32);
    for (;;) {
        cJSON *res = NULL, *p = cJSON_CreateArray();
        if (p == NULL) return DS_ERR_NOMEM;
        cJSON_AddItemToArray(p, hex_item(hash, 32));
        ds_err e = ds_rpc_call(r, "eth_getTransactionReceipt", p, &res);
        cJSON_Delete(p);
        if (e != DS_OK) return e;
        if (cJSON_IsObject(res)) {
            e = parse_receipt(res, rc);
            cJSON_Delete(res);
            if (e != DS_OK) {
                ds_rpc_receipt_free(rc);
                set_err(r, "eth_getTransactionReceipt: malformed receipt");
            }
            return e;
        }
        cJSON_Delete(res);
        if (waited >= timeout_ms) {
            char hx[65];
            set_err(r, "no receipt for transaction 0x%s after %ld ms (is the chain mining?)",
                    ds_hex_encode(hash, 32, hx), timeout_ms);
            return DS_ERR_IO;
        }
        nanosleep(&nap, NULL);
        waited += 20;
    }
}

ds_err ds_rpc_transact(ds_rpc *r, const ds_rpc_tx *tx, ds_rpc_receipt *rc) {
    uint8_t hash[32];
    ds_rpc_call_result pre;
    if (r == NULL || tx == NULL || rc == NULL || tx->from == NULL) return DS_ERR_ARG;
    if (tx->to != NULL) { /* preflight: a revert is reported with its data, nothing mined */
        ds_err e = ds_rpc_eth_call(r, tx->from, tx->to, tx->data, tx->len, &pre);
        if (e != DS_OK) return e;
        if (pre.reverted) {
            r->revert = pre.data;
            r->revert_len = pre.len;
            r->have_revert = 1;
            return DS_ERR_VERIFY;
        }
        ds_rpc_call_result_free(&pre);
    }
    ds_err e = ds_rpc_send(r, tx, hash);
    if (e == DS_OK) e = ds_rpc_wait_receipt(r, hash, 30000, rc);
    if (e == DS_OK && !rc->status) {
        char hx[65];
        set_err(r, "transaction 0x%s reverted (status 0, gas used %llu)", ds_hex_encode(hash, 32, hx),
                (unsigned long long)rc->gas_used);
        r->have_revert = 1;
        return DS_ERR_VERIFY;
    }
    return e;
}

ds_err ds_rpc_get_logs(ds_rpc *r, const uint8_t address[20], uint64_t from_block,
                       uint64_t to_block, const uint8_t *topic0, ds_rpc_logs *out) {
    cJSON *res = NULL, *p = cJSON_CreateArray(), *f = cJSON_CreateObject();
    if (r == NULL || address == NULL || out == NULL || p == NULL || f == NULL) {
        cJSON_Delete(p);
        cJSON_Delete(f);
        return DS_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    cJSON_AddItemToObject(f, "address", hex_item(address, 20));
    cJSON_AddItemToObject(f, "fromBlock", qty_item(from_block));
    cJSON_AddItemToObject(f, "toBlock", to_block == UINT64_MAX ? cJSON_CreateString("latest")
                                                               : qty_item(to_block));
    if (topic0 != NULL) {
        cJSON *t = cJSON_CreateArray();
        cJSON_AddItemToArray(t, hex_item(topic0, 32));
        cJSON_AddItemToObject(f, "topics", t);
    }
    cJSON_AddItemToArray(p, f);
    ds_err rc = ds_rpc_call(r, "eth_getLogs", p, &res);
    cJSON_Delete(p);
    if (rc == DS_OK && (rc = parse_logs(res, out)) != DS_OK) {
        ds_rpc_logs_free(out);
        set_err(r, "eth_getLogs: malformed log list");
    }
    cJSON_Delete(res);
    return rc;
}

ds_err ds_rpc_snapshot(ds_rpc *r, uint64_t *id) { return call_qty(r, "evm_snapshot", id); }

ds_err ds_rpc_revert_to(ds_rpc *r, uint64_t id) {
    cJSON *res = NULL, *p = cJSON_CreateArray();
    if (p == NULL) return DS_ERR_NOMEM;
    cJSON_AddItemToArray(p, qty_item(id));
    ds_err rc = ds_rpc_call(r, "evm_revert", p, &res);
    cJSON_Delete(p);
    if (rc == DS_OK && !cJSON_IsTrue(res)) {
        set_err(r, "evm_revert: snapshot 0x%llx is unknown to the chain", (unsigned long long)id);
        rc = DS_ERR_VERIFY;
    }
    cJSON_Delete(res);
    return rc;
}
