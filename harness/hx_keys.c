/* hx_keys.c — appkeys.json, PEM keys and app-compose app ids (see hx_keys.h). */
#include "hx_keys.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_keccak.h"
#include "ds_secp.h"
#include "hx_out.h"

/* Key and chain files are small: refuse anything of 16 MiB or more. */
#define HX_KEYFILE_MAX ((16u << 20) - 1)

int hx_pem_key_info(const char *pem, hx_appkeys *k) {
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (key == NULL) return -1;
    size_t n = 0;
    int rc = -1;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, k->p256_curve, sizeof k->p256_curve, &n);
    uint8_t pt[65];
    BIGNUM *d = NULL;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &n) == 1 && n == 65 &&
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1) {
        uint8_t scalar[32];
        memcpy(k->p256_xy, pt + 1, 64);
        ds_keccak256(k->p256_xy, 64, pt);
        memcpy(k->p256_keccak, pt + 12, 20);
        if (BN_bn2binpad(d, scalar, 32) == 32 && ds_secp_priv_address(scalar, k->p256_as_k256) == DS_OK) rc = 0;
        memset(scalar, 0, sizeof scalar);
        k->have_p256 = rc == 0;
    }
    BN_clear_free(d);
    EVP_PKEY_free(key);
    return rc;
}

static int hex_field(const cJSON *o, const char *name, uint8_t *out, size_t n) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && ds_hex_decode_exact(v->valuestring, strlen(v->valuestring), out, n) == DS_OK;
}

int hx_appkeys_load(const char *path, hx_appkeys *k, char *err, size_t errcap) {
    size_t len = 0;
    memset(k, 0, sizeof *k);
    char *text = hx_read_file(path, HX_KEYFILE_MAX, &len);
    if (text == NULL) {
        hx_setf(err, errcap, "cannot read %s", path);
        return -1;
    }
    cJSON *o = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(o)) {
        hx_setf(err, errcap, "%s is not a JSON object", path);
        cJSON_Delete(o);
        return -1;
    }
    k->have_app_key = hex_field(o, "k256_key", k->app_key, 32) &&
                      ds_secp_pubkey(k->app_key, k->app_pub, 33) == DS_OK;
    k->have_link1 = hex_field(o, "k256_signature", k->link1, 65);
    k->have_root_key = hex_field(o, "kms_root_key", k->root_key, 32);
    const cJSON *kp = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "key_provider"), "None"), "key");
    if (cJSON_IsString(kp)) hx_pem_key_info(kp->valuestring, k);
    cJSON_Delete(o);
    if (!k->have_app_key && !k->have_root_key) {
        hx_setf(err, errcap, "%s has neither k256_key nor kms_root_key: not an appkeys.json", path);
        return -1;
    }
    return 0;
}

int hx_compose_app_id(const char *path, uint8_t app_id[20], uint8_t compose_hash[32], char *err,
                      size_t errcap) {
    size_t len = 0;
    char *text = hx_read_file(path, HX_KEYFILE_MAX, &len);
    if (text == NULL) {
        hx_setf(err, errcap, "cannot read %s", path);
        return -1;
    }
    ds_sha256((const uint8_t *)text, len, compose_hash);
    memcpy(app_id, compose_hash, 20);
    free(text);
    return 0;
}

int hx_config_app_id(const char *config, uint8_t app_id[20], char *err, size_t errcap) {
    uint8_t hash[32];
    char *text = hx_read_file(config, HX_KEYFILE_MAX, NULL), *own = NULL;
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    int rc = -1;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "app_id");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "app_compose");
    if (text == NULL || !cJSON_IsObject(o)) {
        hx_setf(err, errcap,
                "cannot read the simulator config %s (give --config FILE or --app-id HEX)", config);
    } else if (cJSON_IsString(id)) {
        rc = ds_hex_decode_exact(id->valuestring, strlen(id->valuestring), app_id, 20) == DS_OK
                 ? 0
                 : -1;
        if (rc) hx_setf(err, errcap, "%s: app_id is not 20 bytes of hex", config);
    } else if (cJSON_IsObject(c) ||
               (cJSON_IsString(c) && c->valuestring[strspn(c->valuestring, " \t\r\n")] == '{')) {
        const char *t = cJSON_IsObject(c) ? (own = cJSON_PrintUnformatted(c)) : c->valuestring;
        if (t) ds_sha256((const uint8_t *)t, strlen(t), hash), memcpy(app_id, hash, 20), rc = 0;
    } else if (cJSON_IsString(c)) {
        char path[PATH_MAX * 2], dir[PATH_MAX];
        const char *slash = strrchr(config, '/');
        hx_setf(dir, sizeof dir, "%.*s", slash ? (int)(slash - config) : 1, slash ? config : ".");
        if (c->valuestring[0] == '/')
            hx_setf(path, sizeof path, "%s", c->valuestring);
        else
            hx_setf(path, sizeof path, "%s/%s", dir, c->valuestring);
        rc = hx_compose_app_id(path, app_id, hash, err, errcap);
    } else {
        hx_setf(err, errcap, "%s has neither app_id nor app_compose: give --app-id HEX", config);
    }
    free(own);
    cJSON_Delete(o);
    free(text);
    return rc;
}

/* Roots anyone may recognise (public values, vectors.md). */
static const struct {
    const char *hex;
    const char *what;
} KNOWN[] = {
    {"8f2cf602c9695b23130367ed78d8f557554de7c5", "the upstream dstack simulator's KMS root, v0.4 - v0.5.5"},
    {"a7f6043c29f9cc1d9d6acf554c53e0c6792aaeaf", "the upstream dstack simulator's KMS root, v0.5.6 and later"},
    {"52d3cf51c8a37a2ccfc79bbb98c7810d7dd4ce51", "Phala's Base KMS root (production)"},
};

const char *hx_known_root(const uint8_t a[20]) {
    char hex[41];
    ds_hex_encode(a, 20, hex);
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (strcmp(hex, KNOWN[i].hex) == 0) return KNOWN[i].what;
    return NULL;
}

int hx_getkey_load(const char *path, uint8_t key[32], uint8_t l0[65], uint8_t l1[65]) {
    FILE *f = fopen(path, "r");
    char buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    cJSON *o = cJSON_Parse(buf);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "key");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "signature_chain");
    int ok = cJSON_IsString(k) && cJSON_GetArraySize(ch) >= 2 &&
             ds_hex_decode_exact(k->valuestring, strlen(k->valuestring), key, 32) == DS_OK &&
             cJSON_IsString(cJSON_GetArrayItem(ch, 0)) && cJSON_IsString(cJSON_GetArrayItem(ch, 1)) &&
             ds_hex_decode_exact(cJSON_GetArrayItem(ch, 0)->valuestring, strlen(cJSON_GetArrayItem(ch, 0)->valuestring), l0, 65) == DS_OK &&
             ds_hex_decode_exact(cJSON_GetArrayItem(ch, 1)->valuestring, strlen(cJSON_GetArrayItem(ch, 1)->valuestring), l1, 65) == DS_OK;
    cJSON_Delete(o);
    if (!ok) hx_fail("diagnose: %s is not a GetKey response ({\"key\": hex, \"signature_chain\": [hex, hex]})", path);
    return ok ? 0 : -1;
}

