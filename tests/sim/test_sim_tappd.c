/* test_sim_tappd.c — the legacy tappd socket (hash vectors of vectors.md, every listed
 * algorithm, raw quotes, DeriveKey, DeriveK256Key) and the certificates of GetTlsKey /
 * DeriveKey (PKCS#8 key, chain to the app CA, SANs, EKUs, validity, RA-TLS extension).
 */
#include "sim_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_kdf.h"
#include "ds_p256.h"
#include "ds_quote.h"

static ds_testsim *sim;
static const char *D, *T; /* dstack and tappd sockets */
static uint8_t app_key[32];

static int setup(void **state) {
    (void)state;
    const char *args[] = {"--config", "appkeys.json", NULL};
    sim = tu_start(args);
    if (!sim) return -1;
    D = sim->dstack_sock;
    T = sim->tappd_sock;
    uint8_t root[32], compose_hash[32];
    size_t n;
    char *compose = tu_read("app-compose.json", &n);
    ds_sha256((uint8_t *)compose, n, compose_hash);
    free(compose);
    tu_repo_root_key(root);
    ds_kdf_app_key(root, compose_hash, app_key);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return tu_stop(sim);
}

/* report_data of a TdxQuote response, via the quote bytes. */
static void quote_rd(const cJSON *r, uint8_t rd[64]) {
    size_t qn;
    uint8_t *q = tu_hex_alloc(tu_str(r, "quote"), &qn);
    ds_quote p;
    assert_int_equal(ds_quote_parse(q, qn, &p), DS_OK);
    memcpy(rd, p.report.report_data, 64);
    free(q);
}

static void expect_rd(const char *path, const char *body, const char *hex_prefix) {
    cJSON *r = tu_ok(T, path, body);
    uint8_t rd[64], exp[64] = {0};
    size_t n = strlen(hex_prefix) / 2;
    tu_hex(hex_prefix, exp, n);
    quote_rd(r, rd);
    assert_memory_equal(rd, exp, 64);
    cJSON_Delete(r);
}

static void test_tdx_quote_vectors(void **state) {
    (void)state;
    /* vectors.md: sha512("app-data:test"), keccak256, sha256 with prefix custom-domain */
    expect_rd("/prpc/Tappd.TdxQuote", "{\"report_data\":\"74657374\"}",
              "1864e059be7e1ec12d9fe9da903d3711e0d72edab19f044cc9d6ac90c32b996b"
              "545a9979309bd19c36b803941e8e3485115e9b794001f2b9f367f6e03c52e532");
    expect_rd("/prpc/Tappd.TdxQuote", "{\"report_data\":\"74657374\",\"hash_algorithm\":\"keccak256\"}",
              "b877945563d5025eec520b6bb150efcf4c368c491ff1947529be3125d4e5ecb6");
    expect_rd("/prpc/TdxQuote",
              "{\"report_data\":\"74657374\",\"hash_algorithm\":\"sha256\",\"prefix\":\"custom-domain\"}",
              "9178424c8c39ac4f8a59b992837b7229a05a7f3a534250bfaa61da53e0dc2b2b");
    /* every listed algorithm equals ds_hash_named(prefix ":" data) */
    static const char *const algs[] = {"sha256", "sha384", "sha512", "sha3-256", "sha3-384",
                                       "sha3-512", "keccak256", "keccak384", "keccak512"};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        char body[200];
        snprintf(body, sizeof body, "{\"report_data\":\"abcd\",\"hash_algorithm\":\"%s\",\"prefix\":\"pfx\"}", algs[i]);
        cJSON *r = tu_ok(T, "/prpc/Tappd.TdxQuote", body);
        const char *const fields[] = {"quote", "event_log", "hash_algorithm", "prefix", NULL};
        tu_assert_fields(r, fields);
        assert_string_equal(tu_str(r, "hash_algorithm"), algs[i]);
        assert_string_equal(tu_str(r, "prefix"), "pfx");
        uint8_t h[DS_HASH_MAX], exp[64] = {0}, rd[64];
        size_t hl;
        assert_int_equal(ds_hash_named(algs[i], (const uint8_t *)"pfx:\xab\xcd", 6, h, &hl), DS_OK);
        memcpy(exp, h, hl);
        quote_rd(r, rd);
        assert_memory_equal(rd, exp, 64);
        cJSON_Delete(r);
    }
    /* raw: exactly 64 bytes, prefix ignored */
    char hex[129], body[300];
    for (int i = 0; i < 128; i++) hex[i] = "0123456789abcdef"[i % 16];
    hex[128] = '\0';
    snprintf(body, sizeof body, "{\"report_data\":\"%s\",\"hash_algorithm\":\"raw\",\"prefix\":\"x\"}", hex);
    expect_rd("/prpc/Tappd.TdxQuote", body, hex);
    cJSON *r = tu_ok(T, "/prpc/Tappd.TdxQuote", body);
    assert_string_equal(tu_str(r, "prefix"), "");
    cJSON_Delete(r);
    snprintf(body, sizeof body, "{\"report_data\":\"%s\"}", hex);
    r = tu_ok(T, "/prpc/Tappd.RawQuote", body);
    assert_string_equal(tu_str(r, "hash_algorithm"), "raw");
    uint8_t rd[64], exp[64];
    quote_rd(r, rd);
    tu_hex(hex, exp, 64);
    assert_memory_equal(rd, exp, 64);
    cJSON_Delete(r);
    tu_err(T, "/prpc/Tappd.TdxQuote", "{\"report_data\":\"00\",\"hash_algorithm\":\"raw\"}",
           "invalid content length");
    tu_err(T, "/prpc/Tappd.RawQuote", "{\"report_data\":\"00\"}", "invalid content length");
    tu_err(T, "/prpc/Tappd.TdxQuote", "{\"report_data\":\"00\",\"hash_algorithm\":\"md5\"}",
           "invalid hash algorithm");
    tu_err(T, "/prpc/Tappd.Nope", "{}", "Service not found: Nope");
    tu_err(D, "/TdxQuote", "{}", "Service not found: TdxQuote");
}

static void test_tappd_info_version_k256(void **state) {
    (void)state;
    cJSON *a = tu_ok(T, "/prpc/Tappd.Info", NULL), *b = tu_ok(D, "/Info", NULL);
    assert_string_equal(tu_str(a, "app_id"), tu_str(b, "app_id"));
    assert_string_equal(tu_str(a, "compose_hash"), tu_str(b, "compose_hash"));
    cJSON_Delete(a);
    cJSON_Delete(b);
    a = tu_ok(T, "/prpc/Info", NULL);
    cJSON_Delete(a);
    a = tu_ok(T, "/prpc/Tappd.Version", NULL);
    assert_string_equal(tu_str(a, "version"), "0.5.11");
    cJSON_Delete(a);
    a = tu_ok(T, "/prpc/Tappd.DeriveK256Key", "{\"path\":\"k\",\"purpose\":\"pp\"}");
    b = tu_ok(D, "/GetKey", "{\"path\":\"k\",\"purpose\":\"pp\"}");
    const char *const fields[] = {"k256_key", "k256_signature_chain", NULL};
    tu_assert_fields(a, fields);
    assert_string_equal(tu_str(a, "k256_key"), tu_str(b, "key"));
    char *x = cJSON_PrintUnformatted(cJSON_GetObjectItem(a, "k256_signature_chain"));
    char *y = cJSON_PrintUnformatted(cJSON_GetObjectItem(b, "signature_chain"));
    assert_string_equal(x, y);
    free(x);
    free(y);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* Parses a {"key","certificate_chain"} response and checks the common properties. */
static X509 *check_cert_response(const cJSON *r, EVP_PKEY **key_out) {
    const char *const fields[] = {"key", "certificate_chain", NULL};
    tu_assert_fields(r, fields);
    const char *kp = tu_str(r, "key");
    assert_memory_equal(kp, "-----BEGIN PRIVATE KEY-----", 27);
    const cJSON *ch = cJSON_GetObjectItem(r, "certificate_chain");
    assert_int_equal(cJSON_GetArraySize(ch), 2);
    BIO *b1 = BIO_new_mem_buf(kp, -1);
    BIO *b2 = BIO_new_mem_buf(cJSON_GetArrayItem(ch, 0)->valuestring, -1);
    BIO *b3 = BIO_new_mem_buf(cJSON_GetArrayItem(ch, 1)->valuestring, -1);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(b1, NULL, NULL, NULL);
    X509 *leaf = PEM_read_bio_X509(b2, NULL, NULL, NULL);
    X509 *ca = PEM_read_bio_X509(b3, NULL, NULL, NULL);
    BIO_free(b1);
    BIO_free(b2);
    BIO_free(b3);
    assert_true(key && leaf && ca);
    assert_int_equal(X509_check_private_key(leaf, key), 1);
    EVP_PKEY *capub = X509_get0_pubkey(ca);
    assert_int_equal(X509_verify(leaf, capub), 1);
    assert_int_equal(X509_check_issued(ca, leaf), X509_V_OK);
    /* the CA is the one in appkeys.json */
    size_t n;
    char *cfgtxt = tu_read("appkeys.json", &n);
    cJSON *cfg = cJSON_Parse(cfgtxt);
    free(cfgtxt);
    assert_string_equal(cJSON_GetArrayItem(ch, 1)->valuestring, tu_str(cfg, "ca_cert"));
    cJSON_Delete(cfg);
    /* app:custom usage extension */
    ASN1_OBJECT *o = OBJ_txt2obj("1.3.6.1.4.1.62397.1.4", 1);
    int idx = X509_get_ext_by_OBJ(leaf, o, -1);
    ASN1_OBJECT_free(o);
    assert_true(idx >= 0);
    X509_free(ca);
    *key_out = key;
    return leaf;
}

static int has_san(X509 *x, const char *name) {
    GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int found = 0;
    for (int i = 0; g && i < sk_GENERAL_NAME_num(g); i++) {
        GENERAL_NAME *n = sk_GENERAL_NAME_value(g, i);
        if (n->type == GEN_DNS && !strcmp((const char *)ASN1_STRING_get0_data(n->d.dNSName), name)) found = 1;
    }
    GENERAL_NAMES_free(g);
    return found;
}

static void test_get_tls_key(void **state) {
    (void)state;
    cJSON *r = tu_ok(D, "/GetTlsKey",
                     "{\"subject\":\"app.example\",\"alt_names\":[\"a.example\",\"b.example\"],"
                     "\"usage_server_auth\":true,\"usage_client_auth\":true,\"usage_ra_tls\":true,"
                     "\"not_before\":1700000000,\"not_after\":1800000000,\"with_app_info\":true}");
    EVP_PKEY *key;
    X509 *leaf = check_cert_response(r, &key);
    char cn[256];
    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof cn);
    assert_string_equal(cn, "app.example");
    assert_true(has_san(leaf, "a.example") && has_san(leaf, "b.example"));
    uint32_t eku = X509_get_extended_key_usage(leaf);
    assert_true((eku & XKU_SSL_SERVER) && (eku & XKU_SSL_CLIENT));
    ASN1_TIME *t = ASN1_TIME_new();
    ASN1_TIME_set(t, 1700000000);
    assert_int_equal(ASN1_TIME_compare(X509_get0_notBefore(leaf), t), 0);
    ASN1_TIME_set(t, 1800000000);
    assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(leaf), t), 0);
    ASN1_TIME_free(t);
    /* RA-TLS: extension 1.8 = attestation whose quote has report_data = sha512("ratls-cert:" ‖ SPKI) */
    ASN1_OBJECT *o = OBJ_txt2obj("1.3.6.1.4.1.62397.1.8", 1);
    int idx = X509_get_ext_by_OBJ(leaf, o, -1);
    ASN1_OBJECT_free(o);
    assert_true(idx >= 0);
    ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
    const unsigned char *p = ASN1_STRING_get0_data(v);
    ASN1_OCTET_STRING *inner = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(v));
    assert_non_null(inner);
    const uint8_t *att = ASN1_STRING_get0_data(inner);
    size_t alen = (size_t)ASN1_STRING_length(inner);
    assert_true(alen > 1300 && att[0] == 0 && att[1] == 0);
    size_t off = 2, ql;
    if ((att[off] & 3) == 1) { ql = (size_t)((att[off] | att[off + 1] << 8) >> 2); off += 2; }
    else { ql = (size_t)(((uint32_t)att[off] | (uint32_t)att[off + 1] << 8 | (uint32_t)att[off + 2] << 16) >> 2); off += 4; }
    ds_quote q;
    assert_int_equal(ds_quote_parse(att + off, ql, &q), DS_OK);
    uint8_t *spki = NULL;
    int sl = i2d_PUBKEY(X509_get0_pubkey(leaf), &spki);
    uint8_t *pre = malloc(11 + (size_t)sl), rd[64];
    memcpy(pre, "ratls-cert:", 11);
    memcpy(pre + 11, spki, (size_t)sl);
    ds_sha512(pre, 11 + (size_t)sl, rd);
    assert_memory_equal(q.report.report_data, rd, 64);
    free(pre);
    OPENSSL_free(spki);
    ASN1_OCTET_STRING_free(inner);
    X509_free(leaf);
    EVP_PKEY_free(key);
    cJSON_Delete(r);
    /* defaults: fresh random key each call, no EKU given → none */
    cJSON *a = tu_ok(D, "/GetTlsKey", "{\"subject\":\"x\"}"), *b = tu_ok(D, "/GetTlsKey", "{}");
    assert_string_not_equal(tu_str(a, "key"), tu_str(b, "key"));
    cJSON_Delete(a);
    cJSON_Delete(b);
    tu_err(D, "/GetTlsKey", "{\"not_before\":10,\"not_after\":10}", "not_before");
    tu_err(D, "/GetTlsKey", "{\"alt_names\":\"x\",\"usage_ra_tls\":\"maybe\"}", "usage_ra_tls");
    tu_err(D, "/GetTlsKey", "{\"not_after\":-1}", "not_after");
}

static void test_derive_key(void **state) {
    (void)state;
    cJSON *a = tu_ok(T, "/prpc/Tappd.DeriveKey", "{\"path\":\"/app/tls\",\"subject\":\"s\"}");
    cJSON *b = tu_ok(T, "/prpc/Tappd.DeriveKey", "{\"path\":\"/app/tls\",\"subject\":\"s\"}");
    assert_string_equal(tu_str(a, "key"), tu_str(b, "key"));
    EVP_PKEY *key;
    X509 *leaf = check_cert_response(a, &key);
    /* scalar = HKDF-SHA256(salt "RATLS", app key, path) */
    BIGNUM *d = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
    uint8_t got[32], exp[32];
    BN_bn2binpad(d, got, 32);
    ds_kdf_ratls(app_key, 32, (const uint8_t *)"/app/tls", 8, exp);
    assert_memory_equal(got, exp, 32);
    BN_free(d);
    X509_free(leaf);
    EVP_PKEY_free(key);
    cJSON_Delete(b);
    b = tu_ok(T, "/prpc/Tappd.DeriveKey", "{\"path\":\"/app/tls\",\"random_seed\":true}");
    assert_string_not_equal(tu_str(a, "key"), tu_str(b, "key"));
    cJSON_Delete(a);
    cJSON_Delete(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tdx_quote_vectors),
        cmocka_unit_test(test_tappd_info_version_k256),
        cmocka_unit_test(test_get_tls_key),
        cmocka_unit_test(test_derive_key),
    };
    return cmocka_run_group_tests_name("sim_tappd", tests, setup, teardown);
}
