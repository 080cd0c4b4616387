/* test_vf_pcapi.c — Phala Cloud's attestation API of `dstack-verify serve`
 * (verifier/vf_pcapi.c, vf_form.c, vf_pcstore.c, vf_pcjson.c), called as the service calls
 * it, against a real simulator's quotes and the trust the service loads from it:
 *
 *   a simulator quote → 200: checksum = SHA-256 of the quote bytes, quote.verified true,
 *   reportdata = the report_data asked for, rtmr3 / mrtd = the simulator's Info, every
 *   property of the OpenAPI's VerificationResponse / Quote / QuoteBody / QuoteCollateralV3
 *   / NodeProvider (fixtures/upstream/phala-cloud/) and no other, the collateral used
 *   the three input forms (multipart file, multipart hex, urlencoded hex, JSON hex with
 *   and without 0x, upper case, whitespace) give the same checksum, kept once
 *   a tampered quote → 400 "Quote verification failed"; unparsable → 422; both / neither /
 *   bad hex → 400; unknown checksum → 404; wrong method → 405
 *   view, raw (GET and HEAD), collateral (Cache-Control, ETag, 304), recent paging and
 *   its 422s, store eviction by count and by bytes
 *   dcap-qvl's TCB rule: an OutOfDate platform verifies, a Revoked one does not
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "ds_client.h"
#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_pki.h"
#include "ds_testsim.h"
#include "unit_util.h"
#include "vf.h"
#include "vf_pcapi.h"

#define NOW 1767225600LL /* 2026-01-01T00:00:00Z, inside the simulated PKI's windows */
#define NOW_ISO "2026-01-01T00:00:00+00:00"
#define P "/api/v1/attestations/"

static ds_testsim SIM;
static ds_client *CLI;
static vf_trust TRUST;
static vf_verifier V;
static cJSON *OPENAPI;

static int setup(void **state) {
    (void)state;
    const char *args[] = {"--config", "appkeys.json", "--compose", "app-compose.json", NULL};
    assert_int_equal(ds_testsim_start(&SIM, NULL, args), DS_OK);
    assert_non_null(CLI = ds_client_new(SIM.dstack_sock));
    vf_http h;
    char err[512];
    assert_int_equal(vf_http_open(&h, SIM.dstack_sock), DS_OK);
    assert_int_equal(vf_trust_load(&TRUST, &h, NULL, NULL, err, sizeof err), DS_OK);
    vf_http_close(&h);
    memset(&V, 0, sizeof V);
    V.root_der = TRUST.root_der;
    V.root_len = TRUST.root_len;
    V.col = TRUST.col;
    V.qctx = TRUST.qctx;
    V.now = NOW;
    uint8_t *txt;
    size_t n;
    assert_int_equal(vf_read_file("fixtures/upstream/phala-cloud/attestations-openapi.json", &txt,
                                  &n, err, sizeof err),
                     DS_OK);
    assert_non_null(OPENAPI = cJSON_ParseWithLength((const char *)txt, n));
    free(txt);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    vf_trust_free(&TRUST);
    ds_client_free(CLI);
    cJSON_Delete(OPENAPI);
    assert_int_equal(ds_testsim_stop(&SIM), 0);
    return 0;
}

/* A simulator quote with report_data = 64 bytes of `fill` (caller frees r). */
static void sim_quote(uint8_t fill, ds_quote_result *r) {
    uint8_t rd[64];
    memset(rd, fill, sizeof rd);
    rd[0] = 0xd5;
    assert_int_equal(ds_client_get_quote(CLI, rd, sizeof rd, r), DS_OK);
}

/* One request: path may carry "?query". */
static void call(vf_pc_api *api, vf_pc_method m, const char *path, const char *ctype,
                 const char *inm, const void *body, size_t len, vf_pc_reply *r) {
    vf_pc_reply_init(r);
    const char *q = strchr(path, '?');
    size_t pl = q ? (size_t)(q - path) : strlen(path);
    vf_pc_handle(api, m, path, pl, q ? q + 1 : NULL, ctype, inm, body, len, r);
}

static void post_json_hex(vf_pc_api *api, const uint8_t *quote, size_t len, vf_pc_reply *r) {
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_puts(&b, "{\"hex\":\"0x");
    ds_buf_hex(&b, quote, len);
    ds_buf_puts(&b, "\"}");
    call(api, VF_PC_POST, P "verify", "application/json", NULL, b.data, b.len, r);
    ds_buf_free(&b);
}

static cJSON *body_json(const vf_pc_reply *r) {
    cJSON *j = cJSON_ParseWithLength(r->body.data, r->body.len);
    assert_non_null(j);
    return j;
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static void expect_detail(const vf_pc_reply *r, int status, const char *exact_or_prefix) {
    if (r->status != status)
        fprintf(stderr, "got %d: %.*s\n", r->status, (int)r->body.len, r->body.data);
    assert_int_equal(r->status, status);
    cJSON *j = body_json(r);
    const char *d = str(j, "detail");
    assert_int_equal(strncmp(d, exact_or_prefix, strlen(exact_or_prefix)), 0);
    cJSON_Delete(j);
}

static void checksum_hex(const uint8_t *q, size_t n, char out[65]) {
    uint8_t s[32];
    ds_sha256(q, n, s);
    ds_hex_encode(s, 32, out);
}

/* The object's keys are exactly the schema's properties (every one present). */
static void keys_are_schema(const cJSON *obj, const char *schema) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(OPENAPI, "components"),
                                         "schemas"),
        schema);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
    assert_true(cJSON_IsObject(obj) && cJSON_IsObject(props));
    for (const cJSON *p = props->child; p; p = p->next) {
        if (!cJSON_HasObjectItem(obj, p->string)) fprintf(stderr, "%s: no %s\n", schema, p->string);
        assert_true(cJSON_HasObjectItem(obj, p->string));
    }
    for (const cJSON *k = obj->child; k; k = k->next)
        assert_true(cJSON_HasObjectItem(props, k->string));
}

static void verify_simulator_quote(void **state) {
    (void)state;
    vf_pc_api api = {.v = &V};
    vf_pc_store_init(&api.store, 0, 0);
    ds_quote_result q;
    sim_quote(0x11, &q);
    ds_info_result info;
    assert_int_equal(ds_client_info(CLI, &info), DS_OK);
    vf_pc_reply r;
    post_json_hex(&api, q.quote, q.quote_len, &r);
    assert_int_equal(r.status, 200);
    cJSON *j = body_json(&r);
    char sum[65], want[200];
    checksum_hex(q.quote, q.quote_len, sum);
    assert_string_equal(str(j, "checksum"), sum);
    assert_string_equal(str(j, "id"), sum);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "success")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "proof_of_cloud")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "can_download")));
    assert_string_equal(str(j, "uploaded_at"), NOW_ISO);
    assert_string_equal(str(j, "verified_at"), NOW_ISO);
    const cJSON *quote = cJSON_GetObjectItemCaseSensitive(j, "quote");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(quote, "verified")));
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(quote, "body");
    const cJSON *hdr = cJSON_GetObjectItemCaseSensitive(quote, "header");
    strcpy(want, "0xd5");
    for (int i = 1; i < 64; i++)
        strcat(want, "11");
    assert_string_equal(str(body, "reportdata"), want);
    snprintf(want, sizeof want, "0x%s", str(info.tcb_info, "rtmr3"));
    assert_string_equal(str(body, "rtmr3"), want);
    snprintf(want, sizeof want, "0x%s", str(info.tcb_info, "mrtd"));
    assert_string_equal(str(body, "mrtd"), want);
    assert_string_equal(str(body, "tee_tcb_svn"), "00000000000000000000000000000000");
    assert_string_equal(str(body, "tdattributes"), "0x0000001000000000");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(hdr, "version")->valueint, 4);
    assert_string_equal(str(hdr, "ak_type"), "ECDSA_P256");
    assert_string_equal(str(hdr, "tee_type"), "TEE_TDX");
    assert_string_equal(str(hdr, "qe_vendor"), "0x939a7233f79c4ca9940a0db3957f0607");
    assert_int_equal(strncmp(str(quote, "cert_data"), "-----BEGIN CERTIFICATE-----\n", 28), 0);
    const cJSON *np = cJSON_GetObjectItemCaseSensitive(j, "node_provider");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(np, "proof_of_cloud")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(np, "provider")));
    assert_int_equal(strlen(str(np, "ppid")), 32);
    /* the collateral used, field for field */
    ds_buf cj;
    ds_buf_init(&cj);
    assert_int_equal(ds_collateral_to_json(&V.col, &cj), DS_OK);
    cJSON *want_col = cJSON_ParseWithLength(cj.data, cj.len);
    assert_true(
        cJSON_Compare(cJSON_GetObjectItemCaseSensitive(j, "quote_collateral"), want_col, 1));
    cJSON_Delete(want_col);
    ds_buf_free(&cj);
    /* the OpenAPI's schemas, key for key */
    keys_are_schema(j, "VerificationResponse");
    keys_are_schema(quote, "Quote");
    keys_are_schema(hdr, "QuoteHeader");
    keys_are_schema(body, "QuoteBody");
    keys_are_schema(cJSON_GetObjectItemCaseSensitive(j, "quote_collateral"), "QuoteCollateralV3");
    keys_are_schema(np, "NodeProvider");
    cJSON_Delete(j);
    vf_pc_reply_free(&r);
    ds_info_result_free(&info);
    ds_quote_result_free(&q);
    vf_pc_api_free(&api);
}

static void input_forms(void **state) {
    (void)state;
    vf_pc_api api = {.v = &V};
    vf_pc_store_init(&api.store, 0, 0);
    ds_quote_result q;
    sim_quote(0x22, &q);
    char sum[65];
    checksum_hex(q.quote, q.quote_len, sum);
    char *hex = malloc(2 * q.quote_len + 1);
    ds_hex_encode(q.quote, q.quote_len, hex);
    ds_buf b[5];
    const char *ct[5];
    for (int i = 0; i < 5; i++)
        ds_buf_init(&b[i]);
    ct[0] = "multipart/form-data; boundary=\"----x y\"";
    ds_buf_puts(&b[0], "preamble\r\n------x y\r\nContent-Disposition: form-data; name=\"file\"; "
                       "filename=\"quote.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    ds_buf_append(&b[0], q.quote, q.quote_len);
    ds_buf_puts(&b[0], "\r\n------x y\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
                       "ignored\r\n------x y--\r\nepilogue");
    ct[1] = "Multipart/Form-Data;boundary=b";
    ds_buf_printf(&b[1], "--b\r\ncontent-disposition: form-data; name=hex\r\n\r\n0x%s\r\n--b--",
                  hex);
    ct[2] = "application/x-www-form-urlencoded";
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
    ds_buf_printf(&b[2], "a=1&hex=%%20+0X%s%%0A&b=2", hex);
    ct[3] = "application/json; charset=utf-8";
    ds_buf_printf(&b[3], "{\"hex\":\"\\t%s \\n\"}", hex);
    ct[4] = "application/json";
    ds_buf_printf(&b[4], "{\"other\":1,\"hex\":\"0x%s\"}", hex);
    for (int i = 0; i < 5; i++) {
        vf_pc_reply r;
        call(&api, VF_PC_POST, P "verify", ct[i], NULL, b[i].data, b[i].len, &r);
        if (r.status != 200) fprintf(stderr, "form %d: %.*s\n", i, (int)r.body.len, r.body.data);
        assert_int_equal(r.status, 200);
        cJSON *j = body_json(&r);
        assert_string_equal(str(j, "checksum"), sum);
        cJSON_Delete(j);
        vf_pc_reply_free(&r);
        ds_buf_free(&b[i]);
    }
    assert_int_equal(api.store.n, 1);
    free(hex);
    ds_quote_result_free(&q);
    vf_pc_api_free(&api);
}

static void errors(void **state) {
    (void)state;
    vf_pc_api api = {.v = &V};
    vf_pc_store_init(&api.store, 0, 0);
    ds_quote_result q;
    sim_quote(0x33, &q);
    vf_pc_reply r;
    q.quote[600] ^= 1; /* a report_data byte: the quote signature no longer holds */
    post_json_hex(&api, q.quote, q.quote_len, &r);
    expect_detail(&r, 400, "Quote verification failed");
    assert_string_equal(r.body.data, "{\"detail\":\"Quote verification failed\"}");
    assert_int_equal(r.n_hdr, 1);
    assert_string_equal(r.hdr[0][0], "X-Verification-Reason");
    assert_int_equal(strncmp(r.hdr[0][1], "quote_signature:", 16), 0);
    vf_pc_reply_free(&r);
    /* kept, as not verified */
    char sum[65], path[200];
    checksum_hex(q.quote, q.quote_len, sum);
    snprintf(path, sizeof path, P "view/%s", sum);
    call(&api, VF_PC_GET, path, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    cJSON *j = body_json(&r);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "verified")));
    cJSON_Delete(j);
    vf_pc_reply_free(&r);
    /* does not parse: 422 */
    static const uint8_t JUNK[] = "not a quote at all";
    post_json_hex(&api, JUNK, sizeof JUNK - 1, &r);
    expect_detail(&r, 422, "Invalid quote: 18 bytes");
    vf_pc_reply_free(&r);
    post_json_hex(&api, q.quote, 1000, &r); /* truncated */
    expect_detail(&r, 422, "Invalid quote: 1000 bytes");
    vf_pc_reply_free(&r);
    /* input errors: 400 */
    static const struct {
        const char *ct, *body, *detail;
    } BAD[] = {
        {"application/json", "{}", "No quote provided"},
        {"application/json", "{\"hex\":null}", "No quote provided"},
        {"application/json", "{\"hex\":12}", "hex must be a string"},
        {"application/json", "{\"hex\":\"0x\"}", "Invalid hex format: empty"},
        {"application/json", "{\"hex\":\"  \"}", "Invalid hex format: empty"},
        {"application/json", "{\"hex\":\"abc\"}", "Invalid hex format: odd number of digits (3)"},
        {"application/json", "{\"hex\":\"0xzz\"}",
         "Invalid hex format: non-hex character at offset 0"},
        {"application/json", "[1", "body is not valid JSON"},
        {"application/json", "{\"hex\":\"04\\u000000\"}", "JSON string with a \\u0000 escape"},
        /* an escaped backslash before u0000 is text: the hex check reads it */
        {"application/json", "{\"hex\":\"\\\\u0000\"}",
         "Invalid hex format: non-hex character at offset 0"},
        {"application/x-www-form-urlencoded", "file=00", "No quote provided"},
        {"multipart/form-data; boundary=q",
         "--q\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\x04\r\n--q\r\n"
         "Content-Disposition: form-data; name=\"hex\"\r\n\r\n04\r\n--q--",
         "Provide either file or hex, not both"},
        {"multipart/form-data", "--q--", "multipart/form-data without a valid boundary"},
        {NULL, "", "No quote provided"},
        {"text/plain", "00", "Unsupported content type text/plain"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        call(&api, VF_PC_POST, P "verify", BAD[i].ct, NULL, BAD[i].body, strlen(BAD[i].body), &r);
        expect_detail(&r, 400, BAD[i].detail);
        vf_pc_reply_free(&r);
    }
    /* nesting: 128 levels are read, 129 refused (serde_json's limit, as POST /verify) */
    for (size_t k = 127; k <= 128; k++) {
        char deep[300];
        memcpy(deep, "{\"a\":", 5);
        memset(deep + 5, '[', k);
        memset(deep + 5 + k, ']', k);
        memcpy(deep + 5 + 2 * k, "}", 2);
        call(&api, VF_PC_POST, P "verify", "application/json", NULL, deep, strlen(deep), &r);
        expect_detail(&r, 400,
                      k == 127 ? "No quote provided" : "JSON nested deeper than 128 levels");
        vf_pc_reply_free(&r);
    }
    /* unknown checksum, path, method */
    static const char *const NF[] = {
        P "view/00",       P "raw/0000000000000000000000000000000000000000000000000000000000000000",
        P "collateral/zz", P "view/",
        P "nothing",       "/api/v1/attestations",
    };
    for (size_t i = 0; i < sizeof NF / sizeof NF[0]; i++) {
        call(&api, VF_PC_GET, NF[i], NULL, NULL, NULL, 0, &r);
        expect_detail(&r, 404, i < 3 ? "Quote not found" : "Not Found");
        vf_pc_reply_free(&r);
    }
    call(&api, VF_PC_GET, P "verify", NULL, NULL, NULL, 0, &r);
    expect_detail(&r, 405, "Method Not Allowed");
    assert_string_equal(r.hdr[0][1], "POST");
    vf_pc_reply_free(&r);
    call(&api, VF_PC_POST, P "recent", NULL, NULL, NULL, 0, &r);
    expect_detail(&r, 405, "Method Not Allowed");
    vf_pc_reply_free(&r);
    ds_quote_result_free(&q);
    vf_pc_api_free(&api);
}

/* The value of header name in r, or NULL. */
static const char *hdr(const vf_pc_reply *r, const char *name) {
    for (size_t i = 0; i < r->n_hdr; i++)
        if (!strcmp(r->hdr[i][0], name)) return r->hdr[i][1];
    return NULL;
}

static void get_routes(void **state) {
    (void)state;
    vf_pc_api api = {.v = &V};
    vf_pc_store_init(&api.store, 0, 0);
    ds_quote_result q;
    sim_quote(0x44, &q);
    vf_pc_reply r;
    post_json_hex(&api, q.quote, q.quote_len, &r);
    assert_int_equal(r.status, 200);
    vf_pc_reply_free(&r);
    char sum[65], path[200], etag[70];
    checksum_hex(q.quote, q.quote_len, sum);
    /* view, also by an upper-case checksum */
    for (char *p = sum; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
    snprintf(path, sizeof path, P "view/%s", sum);
    checksum_hex(q.quote, q.quote_len, sum);
    call(&api, VF_PC_GET, path, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    cJSON *j = body_json(&r);
    assert_string_equal(str(j, "checksum"), sum);
    assert_string_equal(str(j, "uploaded_at"), NOW_ISO);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "verified")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "can_download")));
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(j, "header"), "tee_type"), "TEE_TDX");
    assert_int_equal(strlen(str(cJSON_GetObjectItemCaseSensitive(j, "body"), "reportdata")), 130);
    cJSON_Delete(j);
    vf_pc_reply_free(&r);
    /* raw: GET gives the bytes, HEAD the length only */
    snprintf(path, sizeof path, P "raw/%s", sum);
    call(&api, VF_PC_GET, path, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/octet-stream");
    assert_int_equal(r.content_length, -1);
    assert_int_equal(r.body.len, q.quote_len);
    assert_memory_equal(r.body.data, q.quote, q.quote_len);
    char cd[120];
    snprintf(cd, sizeof cd, "attachment; filename=%s.bin", sum);
    assert_string_equal(hdr(&r, "Content-Disposition"), cd);
    vf_pc_reply_free(&r);
    call(&api, VF_PC_HEAD, path, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/octet-stream");
    assert_int_equal(r.content_length, (long)q.quote_len);
    assert_int_equal(r.body.len, 0);
    vf_pc_reply_free(&r);
    call(&api, VF_PC_GET, P "raw/00", NULL, NULL, NULL, 0, &r);
    long not_found_len = (long)r.body.len;
    vf_pc_reply_free(&r);
    call(&api, VF_PC_HEAD, P "raw/00", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 404); /* an error's length is announced too, with no body */
    assert_int_equal(r.content_length, not_found_len);
    assert_int_equal(r.body.len, 0);
    vf_pc_reply_free(&r);
    /* collateral with its cache headers; If-None-Match → 304 */
    snprintf(path, sizeof path, P "collateral/%s", sum);
    snprintf(etag, sizeof etag, "\"%s\"", sum);
    call(&api, VF_PC_GET, path, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Cache-Control"), "public, max-age=86400");
    assert_string_equal(hdr(&r, "CDN-Cache-Control"), "public, max-age=86400");
    assert_string_equal(hdr(&r, "Vary"), "Accept-Encoding");
    assert_string_equal(hdr(&r, "ETag"), etag);
    j = body_json(&r);
    assert_string_equal(str(j, "tcb_info"), V.col.tcb_info);
    assert_string_equal(str(j, "qe_identity"), V.col.qe_identity);
    keys_are_schema(j, "QuoteCollateralV3");
    cJSON_Delete(j);
    vf_pc_reply_free(&r);
    char inm[200];
    snprintf(inm, sizeof inm, "\"other\", W/%s", etag);
    call(&api, VF_PC_GET, path, NULL, inm, NULL, 0, &r);
    assert_int_equal(r.status, 304);
    assert_null(r.content_type);
    assert_int_equal(r.body.len, 0);
    assert_string_equal(hdr(&r, "ETag"), etag);
    vf_pc_reply_free(&r);
    call(&api, VF_PC_GET, path, NULL, "\"other\"", NULL, 0, &r);
    assert_int_equal(r.status, 200);
    vf_pc_reply_free(&r);
    ds_quote_result_free(&q);
    vf_pc_api_free(&api);
}

/* Five distinct quotes into api; sums[i] = checksum of the i-th (0 = first). */
static void five_quotes(vf_pc_api *api, char sums[5][65], size_t *qlen) {
    for (int i = 0; i < 5; i++) {
        ds_quote_result q;
        sim_quote((uint8_t)(0x50 + i), &q);
        vf_pc_reply r;
        post_json_hex(api, q.quote, q.quote_len, &r);
        assert_int_equal(r.status, 200);
        vf_pc_reply_free(&r);
        checksum_hex(q.quote, q.quote_len, sums[i]);
        *qlen = q.quote_len;
        ds_quote_result_free(&q);
    }
}

static void recent_is(vf_pc_api *api, const char *query, const char *const *want, size_t n) {
    vf_pc_reply r;
    char path[200];
    snprintf(path, sizeof path, P "recent%s", query);
    call(api, VF_PC_GET, path, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    cJSON *j = body_json(&r);
    assert_true(cJSON_IsArray(j));
    assert_int_equal(cJSON_GetArraySize(j), n);
    for (size_t i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(j, (int)i);
        assert_string_equal(str(e, "checksum"), want[i]);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(e, "verified")->valueint, 1);
        assert_string_equal(str(e, "created_at"), NOW_ISO);
        assert_int_equal(cJSON_GetArraySize(e), 3);
    }
    cJSON_Delete(j);
    vf_pc_reply_free(&r);
}

static void recent_and_eviction(void **state) {
    (void)state;
    char s[5][65];
    size_t qlen = 0;
    vf_pc_api api = {.v = &V};
    vf_pc_store_init(&api.store, 0, 0);
    five_quotes(&api, s, &qlen);
    const char *const all[5] = {s[4], s[3], s[2], s[1], s[0]};
    recent_is(&api, "", all, 5);
    recent_is(&api, "?skip=1&limit=2", all + 1, 2);
    recent_is(&api, "?limit=1", all, 1);
    recent_is(&api, "?skip=4", all + 4, 1);
    recent_is(&api, "?skip=5", all, 0);
    recent_is(&api, "?skip=999999999", all, 0);
    static const char *const BAD[] = {"?limit=0",  "?limit=101", "?skip=-1",
                                      "?skip=abc", "?limit=",    "?limit=1e3"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        vf_pc_reply r;
        char path[100];
        snprintf(path, sizeof path, P "recent%s", BAD[i]);
        call(&api, VF_PC_GET, path, NULL, NULL, NULL, 0, &r);
        assert_int_equal(r.status, 422);
        cJSON *j = body_json(&r);
        const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "detail"), 0);
        assert_string_equal(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "loc"), 0)->valuestring,
            "query");
        cJSON_Delete(j);
        vf_pc_reply_free(&r);
    }
    vf_pc_api_free(&api);

    /* count cap 3: the two oldest leave */
    vf_pc_store_init(&api.store, 3, 0);
    five_quotes(&api, s, &qlen);
    recent_is(&api, "", all, 3);
    assert_int_equal(api.store.evicted, 2);
    assert_int_equal(api.store.bytes, 3 * qlen);
    vf_pc_reply r;
    char path[200];
    snprintf(path, sizeof path, P "raw/%s", s[1]);
    call(&api, VF_PC_GET, path, NULL, NULL, NULL, 0, &r);
    expect_detail(&r, 404, "Quote not found");
    vf_pc_reply_free(&r);
    snprintf(path, sizeof path, P "raw/%s", s[2]);
    call(&api, VF_PC_GET, path, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    vf_pc_reply_free(&r);
    vf_pc_api_free(&api);

    /* byte cap of two quotes and a half: two kept */
    vf_pc_store_init(&api.store, 0, 2 * qlen + qlen / 2);
    five_quotes(&api, s, &qlen);
    recent_is(&api, "", all, 2);
    assert_int_equal(api.store.evicted, 3);
    vf_pc_api_free(&api);

    /* a byte cap below one quote: answered, not kept */
    vf_pc_store_init(&api.store, 0, 100);
    ds_quote_result q;
    sim_quote(0x66, &q);
    post_json_hex(&api, q.quote, q.quote_len, &r);
    assert_int_equal(r.status, 200);
    cJSON *j = body_json(&r);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "can_download")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "success")));
    cJSON_Delete(j);
    vf_pc_reply_free(&r);
    assert_int_equal(api.store.n, 0);
    ds_quote_result_free(&q);
    vf_pc_api_free(&api);
}

/* The same quote posted twice keeps its first upload time and its place. */
static void repost_keeps_place(void **state) {
    (void)state;
    vf_pc_api api = {.v = &V};
    vf_pc_store_init(&api.store, 0, 0);
    char s[5][65];
    size_t qlen;
    five_quotes(&api, s, &qlen);
    int64_t saved = V.now;
    V.now = NOW + 3600;
    ds_quote_result q;
    sim_quote(0x50, &q); /* the first of five_quotes */
    vf_pc_reply r;
    post_json_hex(&api, q.quote, q.quote_len, &r);
    assert_int_equal(r.status, 200);
    cJSON *j = body_json(&r);
    assert_string_equal(str(j, "checksum"), s[0]);
    assert_string_equal(str(j, "uploaded_at"), NOW_ISO);
    assert_string_equal(str(j, "verified_at"), "2026-01-01T01:00:00+00:00");
    cJSON_Delete(j);
    vf_pc_reply_free(&r);
    assert_int_equal(api.store.n, 5);
    assert_string_equal(vf_pc_store_recent(&api.store, 4)->checksum_hex, s[0]);
    V.now = saved;
    ds_quote_result_free(&q);
    vf_pc_api_free(&api);
}

/* dcap-qvl's rule through the API: OutOfDate verifies, Revoked does not. */
static void tcb_rule(void **state) {
    (void)state;
    static const struct {
        ds_tcb_status st;
        int status;
    } CASES[] = {{DS_TCB_OUT_OF_DATE, 200}, {DS_TCB_REVOKED, 400}, {DS_TCB_UP_TO_DATE, 200}};
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        uint8_t seed[32];
        memset(seed, 0x77, sizeof seed);
        ds_pki_config cfg;
        ds_pki_config_default(&cfg, seed);
        cfg.tcb_status = CASES[i].st;
        ds_pki *pki;
        assert_int_equal(ds_pki_new(&cfg, &pki), DS_OK);
        vf_verifier v;
        memset(&v, 0, sizeof v);
        v.root_der = (uint8_t *)ds_pki_root_der(pki, &v.root_len);
        v.col = *ds_pki_collateral(pki);
        assert_non_null(v.qctx = ds_qverify_ctx_new());
        v.now = NOW;
        ds_td_report rep;
        ds_pki_td_report(pki, &rep);
        ds_buf quote;
        ds_buf_init(&quote);
        assert_int_equal(ds_pki_quote(pki, &rep, &quote), DS_OK);
        vf_pc_api api = {.v = &v};
        vf_pc_store_init(&api.store, 0, 0);
        vf_pc_reply r;
        post_json_hex(&api, (const uint8_t *)quote.data, quote.len, &r);
        assert_int_equal(r.status, CASES[i].status);
        if (CASES[i].status == 400)
            assert_string_equal(r.hdr[0][1], "tcb_status: TCB status Revoked is not acceptable");
        vf_pc_reply_free(&r);
        vf_pc_api_free(&api);
        ds_buf_free(&quote);
        ds_qverify_ctx_free(v.qctx);
        ds_pki_free(pki);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verify_simulator_quote),
        cmocka_unit_test(input_forms),
        cmocka_unit_test(errors),
        cmocka_unit_test(get_routes),
        cmocka_unit_test(recent_and_eviction),
        cmocka_unit_test(repost_keeps_place),
        cmocka_unit_test(tcb_rule),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
