/* ds_qverify_x509.c — certificate chains for the quote verifier: OpenSSL path validation
 * against one trusted root, at a given time, with CRL checks on every certificate of the
 * chain (X509_V_FLAG_CRL_CHECK_ALL). The PEM chains are parsed in ds_qverify_ctx.c. */
#include "ds_qverify_internal.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ds_p256.h"

int qv_verify_chain(ds_qverify_result *r, const char *step, STACK_OF(X509) *certs, X509 *root,
                    X509_CRL *const crls[2], int64_t now, int leaf_must_be_ee) {
    if (!certs || sk_X509_num(certs) < 1) {
        qv_fail(r, step, "no certificate");
        return 0;
    }
    if (!root) {
        qv_fail(r, step, "no usable trusted root");
        return 0;
    }
    X509 *leaf = sk_X509_value(certs, 0);
    if (leaf_must_be_ee && X509_check_ca(leaf) != 0) {
        qv_fail(r, step, "leaf certificate is a CA (CaUsedAsEndEntity)");
        return 0;
    }
    int ok = 0;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    for (int i = 1; untrusted && i < sk_X509_num(certs); i++)
        if (!sk_X509_push(untrusted, sk_X509_value(certs, i))) goto out;
    if (!store || !ctx || !untrusted || !X509_STORE_add_cert(store, root)) goto out;
    for (int i = 0; i < 2; i++)
        if (crls[i] && !X509_STORE_add_crl(store, crls[i])) goto out;
    if (!X509_STORE_CTX_init(ctx, store, leaf, untrusted)) goto out;
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    X509_VERIFY_PARAM_set_time(param, (time_t)now);
    if (X509_verify_cert(ctx) == 1) {
        ok = 1;
    } else {
        int e = X509_STORE_CTX_get_error(ctx);
        qv_fail(r, step, "%s (depth %d)", X509_verify_cert_error_string(e),
                X509_STORE_CTX_get_error_depth(ctx));
    }
    ERR_clear_error();
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
out:
    ERR_clear_error();
    qv_fail(r, step, "could not set up certificate verification");
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return 0;
}

int qv_cert_pub(X509 *cert, uint8_t xy[64]) {
    EVP_PKEY *k = cert ? X509_get0_pubkey(cert) : NULL;
    char group[32];
    size_t gl = 0;
    if (!k || !EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group, &gl) ||
        strcmp(group, "prime256v1") != 0) {
        ERR_clear_error();
        return 0;
    }
    return ds_p256_pub_xy(k, xy) == DS_OK;
}
