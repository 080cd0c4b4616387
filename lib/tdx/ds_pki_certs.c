/* ds_pki_certs.c — the simulated PKI's X.509 certificates and CRLs, deterministically.
 *
 * OpenSSL builds each TBSCertificate / TBSCertList (names, validity, keys, extensions —
 * extension values are DER written here, so nothing depends on OpenSSL's config parser).
 * OpenSSL 3.0 only signs with random nonces, so the object is first signed by OpenSSL
 * (which fixes the signature AlgorithmIdentifier inside the TBS), the TBS is re-encoded
 * with i2d_re_X509_tbs / i2d_re_X509_CRL_tbs, signed with RFC 6979 ECDSA, and the final
 * DER SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING sig } is assembled by hand and
 * re-parsed with d2i to check it.
 */
#include "ds_pki_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ds_der.h"
#include "ds_p256det.h"

/* AlgorithmIdentifier { ecdsa-with-SHA256 } */
static const uint8_t ALG_ECDSA_SHA256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
/* OID 1.2.840.113741.1.13.1 (Intel SGX PCK certificate extension), content bytes. */
static const uint8_t SGX_OID[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

static const struct {
    const char *cn;
    int issuer;       /* ds_pki_cert of the issuer */
    int ca;           /* basicConstraints cA */
    int pathlen;      /* pathLenConstraint, -1 for none */
} SPEC[DS_PKI_CERT_COUNT] = {
    [DS_PKI_ROOT] = {"Intel SGX Root CA", DS_PKI_ROOT, 1, 1},
    [DS_PKI_PCK_CA] = {"Intel SGX PCK Platform CA", DS_PKI_ROOT, 1, 0},
    [DS_PKI_PCK] = {"Intel SGX PCK Certificate", DS_PKI_PCK_CA, 0, -1},
    [DS_PKI_TCB_SIGNER] = {"Intel SGX TCB Signing", DS_PKI_ROOT, 0, -1},
};

/* CN=<cn>, O=dstack-simulator fake Intel, L=Santa Clara, ST=CA, C=US (Intel's RDN order). */
static X509_NAME *make_name(const char *cn) {
    static const char *const KEYS[] = {"CN", "O", "L", "ST", "C"};
    const char *vals[] = {cn, "dstack-simulator fake Intel", "Santa Clara", "CA", "US"};
    X509_NAME *n = X509_NAME_new();
    for (int i = 0; n && i < 5; i++) {
        if (!X509_NAME_add_entry_by_txt(n, KEYS[i], MBSTRING_UTF8, (const unsigned char *)vals[i],
                                        -1, -1, 0)) {
            X509_NAME_free(n);
            n = NULL;
        }
    }
    return n;
}

/* SubjectKeyIdentifier value: SHA-1 of the uncompressed public point (RFC 5280 method 1). */
static void key_id(const uint8_t xy[64], uint8_t out[20]) {
    uint8_t pt[65];
    unsigned int n = 0;
    pt[0] = 0x04;
    memcpy(pt + 1, xy, 64);
    if (!EVP_Digest(pt, sizeof pt, out, &n, EVP_sha1(), NULL) || n != 20) memset(out, 0, 20);
}

/* An extension whose value is the given DER. Returns NULL on failure. */
static X509_EXTENSION *make_ext(int nid, const uint8_t *oid_der, size_t oid_len, int critical,
                                const uint8_t *der, size_t len) {
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *e = NULL;
    if (os && ASN1_OCTET_STRING_set(os, der, (int)len)) {
        if (oid_der) {
            const unsigned char *p = oid_der;
            ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &p, (long)oid_len);
            if (obj) e = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, os);
            ASN1_OBJECT_free(obj);
        } else {
            e = X509_EXTENSION_create_by_NID(NULL, nid, critical, os);
        }
    }
    ASN1_OCTET_STRING_free(os);
    return e;
}

static int add_ext_buf(X509 *x, X509_CRL *crl, int nid, int critical, const ds_buf *b) {
    if (b->oom) return 0;
    X509_EXTENSION *e = make_ext(nid, NULL, 0, critical, (const uint8_t *)b->data, b->len);
    int ok = e && (x ? X509_add_ext(x, e, -1) : X509_CRL_add_ext(crl, e, -1));
    X509_EXTENSION_free(e);
    return ok;
}

/* AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier } */
static void aki_der(const uint8_t issuer_xy[64], ds_buf *out) {
    uint8_t id[20];
    ds_buf seq;
    ds_buf_init(&seq);
    key_id(issuer_xy, id);
    ds_der_put(&seq, DS_DER_CTX0, id, 20);
    ds_der_wrap(out, DS_DER_SEQUENCE, &seq);
    ds_buf_free(&seq);
}

/* SEQUENCE { OID <SGX_OID>.<arcs>, value } appended to out. */
static void sgx_item(ds_buf *out, const uint8_t *arcs, size_t n, const ds_buf *value) {
    uint8_t oid[sizeof SGX_OID + 4];
    ds_buf seq;
    ds_buf_init(&seq);
    memcpy(oid, SGX_OID, sizeof SGX_OID);
    memcpy(oid + sizeof SGX_OID, arcs, n);
    ds_der_put(&seq, DS_DER_OID, oid, sizeof SGX_OID + n);
    ds_buf_append(&seq, value->data, value->len);
    if (value->oom) seq.oom = 1;
    ds_der_wrap(out, DS_DER_SEQUENCE, &seq);
    ds_buf_free(&seq);
}

static void sgx_item_prim(ds_buf *out, const uint8_t *arcs, size_t n, uint8_t tag,
                          const uint8_t *content, size_t len) {
    ds_buf v;
    ds_buf_init(&v);
    ds_der_put(&v, tag, content, len);
    sgx_item(out, arcs, n, &v);
    ds_buf_free(&v);
}

static void sgx_item_uint(ds_buf *out, const uint8_t *arcs, size_t n, uint64_t val) {
    ds_buf v;
    ds_buf_init(&v);
    ds_der_put_uint(&v, val);
    sgx_item(out, arcs, n, &v);
    ds_buf_free(&v);
}

/* The SGX PCK certificate extension value (SEQUENCE of SEQUENCE { OID, value }). */
static void sgx_extension(const ds_pki *p, ds_buf *out) {
    const ds_pki_config *c = &p->cfg;
    ds_buf all, tcb, tcbseq, conf, confseq;
    ds_buf_init(&all);
    ds_buf_init(&tcb);
    ds_buf_init(&tcbseq);
    ds_buf_init(&conf);
    ds_buf_init(&confseq);
    sgx_item_prim(&all, (const uint8_t[]){1}, 1, DS_DER_OCTET_STRING, p->ppid, 16);
    for (uint8_t i = 1; i <= 16; i++)
        sgx_item_uint(&tcb, (const uint8_t[]){2, i}, 2, c->cpu_svn[i - 1]);
    sgx_item_uint(&tcb, (const uint8_t[]){2, 17}, 2, c->pce_svn);
    sgx_item_prim(&tcb, (const uint8_t[]){2, 18}, 2, DS_DER_OCTET_STRING, c->cpu_svn, 16);
    ds_der_wrap(&tcbseq, DS_DER_SEQUENCE, &tcb);
    sgx_item(&all, (const uint8_t[]){2}, 1, &tcbseq);
    sgx_item_prim(&all, (const uint8_t[]){3}, 1, DS_DER_OCTET_STRING, c->pce_id, 2);
    sgx_item_prim(&all, (const uint8_t[]){4}, 1, DS_DER_OCTET_STRING, c->fmspc, 6);
    /* SGX type 1 = Scalable (a Platform CA issued PCK certificate). */
    sgx_item_prim(&all, (const uint8_t[]){5}, 1, DS_DER_ENUMERATED, (const uint8_t[]){1}, 1);
    sgx_item_prim(&all, (const uint8_t[]){6}, 1, DS_DER_OCTET_STRING, p->platform_instance_id,
                  16);
    /* Configuration: dynamicPlatform FALSE, cachedKeys TRUE, smtEnabled TRUE. */
    static const uint8_t CONF[3] = {0x00, 0xff, 0xff};
    for (uint8_t i = 0; i < 3; i++)
        sgx_item_prim(&conf, (const uint8_t[]){7, (uint8_t)(i + 1)}, 2, DS_DER_BOOLEAN, &CONF[i],
                      1);
    ds_der_wrap(&confseq, DS_DER_SEQUENCE, &conf);
    sgx_item(&all, (const uint8_t[]){7}, 1, &confseq);
    ds_der_wrap(out, DS_DER_SEQUENCE, &all);
    ds_buf_free(&all);
    ds_buf_free(&tcb);
    ds_buf_free(&tcbseq);
    ds_buf_free(&conf);
    ds_buf_free(&confseq);
}

static int add_extensions(const ds_pki *p, X509 *x, int which) {
    const uint8_t *issuer_pub = p->pub[SPEC[which].issuer];
    uint8_t ski[20];
    int ok = 1;
    ds_buf b;
    ds_buf_init(&b);
    aki_der(issuer_pub, &b);
    ok = ok && add_ext_buf(x, NULL, NID_authority_key_identifier, 0, &b);
    ds_buf_reset(&b);
    key_id(p->pub[which], ski);
    ds_der_put(&b, DS_DER_OCTET_STRING, ski, 20);
    ok = ok && add_ext_buf(x, NULL, NID_subject_key_identifier, 0, &b);
    ds_buf_reset(&b);
    /* keyUsage: CAs keyCertSign | cRLSign; leaves digitalSignature | nonRepudiation. */
    static const uint8_t KU_CA[] = {0x03, 0x02, 0x01, 0x06}, KU_LEAF[] = {0x03, 0x02, 0x06, 0xc0};
    ds_buf_append(&b, SPEC[which].ca ? KU_CA : KU_LEAF, 4);
    ok = ok && add_ext_buf(x, NULL, NID_key_usage, 1, &b);
    ds_buf_reset(&b);
    ds_buf bc;
    ds_buf_init(&bc);
    if (SPEC[which].ca) {
        static const uint8_t TRUE_[] = {0xff};
        ds_der_put(&bc, DS_DER_BOOLEAN, TRUE_, 1);
        if (SPEC[which].pathlen >= 0) ds_der_put_uint(&bc, (uint64_t)SPEC[which].pathlen);
    }
    ds_der_wrap(&b, DS_DER_SEQUENCE, &bc);
    ds_buf_free(&bc);
    ok = ok && add_ext_buf(x, NULL, NID_basic_constraints, 1, &b);
    if (ok && which == DS_PKI_PCK) {
        ds_buf_reset(&b);
        sgx_extension(p, &b);
        uint8_t oid_der[2 + sizeof SGX_OID] = {DS_DER_OID, sizeof SGX_OID};
        memcpy(oid_der + 2, SGX_OID, sizeof SGX_OID);
        X509_EXTENSION *e = b.oom ? NULL
                                  : make_ext(0, oid_der, sizeof oid_der, 0,
                                             (const uint8_t *)b.data, b.len);
        ok = e && X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    ds_buf_free(&b);
    return ok;
}

/* SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING (0 unused bits) DER(sig) } signed by priv.
 * Returns a malloc'd DER in *der. */
static ds_err assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t priv[32], uint8_t **der,
                       size_t *der_len) {
    uint8_t sig[64];
    if (ds_p256det_sign(priv, tbs, tbs_len, sig) != DS_OK) return DS_ERR_CRYPTO;
    ds_buf body, bits, out;
    ds_buf_init(&body);
    ds_buf_init(&bits);
    ds_buf_init(&out);
    ds_buf_append(&body, tbs, tbs_len);
    ds_buf_append(&body, ALG_ECDSA_SHA256, sizeof ALG_ECDSA_SHA256);
    ds_buf_putc(&bits, 0);
    ds_p256_sig_der(sig, &bits);
    ds_der_wrap(&body, DS_DER_BIT_STRING, &bits);
    ds_der_wrap(&out, DS_DER_SEQUENCE, &body);
    ds_buf_free(&body);
    ds_buf_free(&bits);
    if (out.oom) {
        ds_buf_free(&out);
        return DS_ERR_NOMEM;
    }
    *der = (uint8_t *)ds_buf_take(&out, der_len);
    return *der ? DS_OK : DS_ERR_NOMEM;
}

/* PEM of exactly these DER bytes (64-column base64, as OpenSSL writes it). */
static char *to_pem(const uint8_t *der, size_t len) {
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL, *data = NULL;
    if (bio && PEM_write_bio(bio, "CERTIFICATE", "", der, (long)len) > 0) {
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0 && (out = malloc((size_t)n + 1))) {
            memcpy(out, data, (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(bio);
    return out;
}

static ASN1_INTEGER *serial_int(const uint8_t *be, size_t n) {
    BIGNUM *bn = BN_bin2bn(be, (int)n, NULL);
    ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    BN_free(bn);
    return ai;
}

static ds_err build_cert(ds_pki *p, int which) {
    const ds_pki_config *c = &p->cfg;
    int iss = SPEC[which].issuer;
    ds_err rc = DS_ERR_CRYPTO;
    X509 *x = X509_new(), *back = NULL;
    X509_NAME *subj = make_name(SPEC[which].cn), *issn = make_name(SPEC[iss].cn);
    ASN1_INTEGER *serial = serial_int(p->serial[which], 16);
    ASN1_TIME *nb = ASN1_TIME_set(NULL, (time_t)c->not_before);
    ASN1_TIME *na = ASN1_TIME_set(NULL, (time_t)c->not_after);
    unsigned char *tbs = NULL;
    if (!x || !subj || !issn || !serial || !nb || !na) goto out;
    if (!X509_set_version(x, 2) || !X509_set_serialNumber(x, serial) ||
        !X509_set_subject_name(x, subj) || !X509_set_issuer_name(x, issn) ||
        !X509_set1_notBefore(x, nb) || !X509_set1_notAfter(x, na) ||
        !X509_set_pubkey(x, p->pkey[which]) || !add_extensions(p, x, which))
        goto out;
    /* OpenSSL's (random) signature only fixes the TBS signature algorithm field. */
    if (X509_sign(x, p->pkey[iss], EVP_sha256()) <= 0) goto out;
    int tbs_len = i2d_re_X509_tbs(x, &tbs);
    if (tbs_len <= 0) goto out;
    rc = assemble(tbs, (size_t)tbs_len, p->key[iss], &p->der[which], &p->der_len[which]);
    if (rc != DS_OK) goto out;
    rc = DS_ERR_CRYPTO;
    const unsigned char *dp = p->der[which];
    back = d2i_X509(NULL, &dp, (long)p->der_len[which]);
    if (!back || dp != p->der[which] + p->der_len[which]) goto out;
    rc = (p->pem[which] = to_pem(p->der[which], p->der_len[which])) ? DS_OK : DS_ERR_NOMEM;
out:
    OPENSSL_free(tbs);
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    ASN1_INTEGER_free(serial);
    X509_NAME_free(subj);
    X509_NAME_free(issn);
    X509_free(back);
    X509_free(x);
    return rc;
}

ds_err ds_pki_build_certs(ds_pki *p) {
    for (int i = 0; i < DS_PKI_CERT_COUNT; i++) {
        ds_err rc = build_cert(p, i);
        if (rc != DS_OK) return rc;
    }
    ds_buf chain;
    ds_buf_init(&chain);
    ds_buf_puts(&chain, p->pem[DS_PKI_PCK]);
    ds_buf_puts(&chain, p->pem[DS_PKI_PCK_CA]);
    ds_buf_puts(&chain, p->pem[DS_PKI_ROOT]);
    if (chain.oom) {
        ds_buf_free(&chain);
        return DS_ERR_NOMEM;
    }
    p->pck_chain_pem = ds_buf_take(&chain, NULL);
    return p->pck_chain_pem ? DS_OK : DS_ERR_NOMEM;
}

/* A v2 CRL by `issuer` listing the given serials (revoked at crl_this_update), with CRL
 * number 1 and the issuer's key identifier. */
static ds_err build_crl(ds_pki *p, int issuer, const uint8_t *const *serials,
                        const size_t *lens, size_t n, uint8_t **der, size_t *der_len) {
    const ds_pki_config *c = &p->cfg;
    ds_err rc = DS_ERR_CRYPTO;
    X509_CRL *crl = X509_CRL_new(), *back = NULL;
    X509_NAME *name = make_name(SPEC[issuer].cn);
    ASN1_TIME *nb = ASN1_TIME_set(NULL, (time_t)c->crl_this_update);
    ASN1_TIME *na = ASN1_TIME_set(NULL, (time_t)c->crl_next_update);
    unsigned char *tbs = NULL;
    ds_buf b;
    ds_buf_init(&b);
    if (!crl || !name || !nb || !na || !X509_CRL_set_version(crl, 1) ||
        !X509_CRL_set_issuer_name(crl, name) || !X509_CRL_set1_lastUpdate(crl, nb) ||
        !X509_CRL_set1_nextUpdate(crl, na))
        goto out;
    for (size_t i = 0; i < n; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *ai = serial_int(serials[i], lens[i]);
        int ok = r && ai && X509_REVOKED_set_serialNumber(r, ai) &&
                 X509_REVOKED_set_revocationDate(r, nb) && X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(ai);
        if (!ok) {
            X509_REVOKED_free(r);
            goto out;
        }
    }
    if (!X509_CRL_sort(crl)) goto out;
    ds_der_put_uint(&b, 1);
    if (!add_ext_buf(NULL, crl, NID_crl_number, 0, &b)) goto out;
    ds_buf_reset(&b);
    aki_der(p->pub[issuer], &b);
    if (!add_ext_buf(NULL, crl, NID_authority_key_identifier, 0, &b)) goto out;
    if (X509_CRL_sign(crl, p->pkey[issuer], EVP_sha256()) <= 0) goto out;
    int tbs_len = i2d_re_X509_CRL_tbs(crl, &tbs);
    if (tbs_len <= 0) goto out;
    rc = assemble(tbs, (size_t)tbs_len, p->key[issuer], der, der_len);
    if (rc != DS_OK) goto out;
    const unsigned char *dp = *der;
    back = d2i_X509_CRL(NULL, &dp, (long)*der_len);
    rc = back && dp == *der + *der_len ? DS_OK : DS_ERR_CRYPTO;
out:
    ds_buf_free(&b);
    OPENSSL_free(tbs);
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    X509_NAME_free(name);
    X509_CRL_free(back);
    X509_CRL_free(crl);
    return rc;
}

ds_err ds_pki_build_crls(ds_pki *p) {
    const ds_pki_config *c = &p->cfg;
    const uint8_t *s[DS_PKI_MAX_REVOKED + 2];
    size_t l[DS_PKI_MAX_REVOKED + 2], n = 0;
    if (c->revoke & DS_PKI_REVOKE_PCK_CA) s[n] = p->serial[DS_PKI_PCK_CA], l[n++] = 16;
    if (c->revoke & DS_PKI_REVOKE_TCB_SIGNER) s[n] = p->serial[DS_PKI_TCB_SIGNER], l[n++] = 16;
    ds_err rc = build_crl(p, DS_PKI_ROOT, s, l, n, &p->col.root_ca_crl, &p->col.root_ca_crl_len);
    if (rc != DS_OK) return rc;
    n = 0;
    if (c->revoke & DS_PKI_REVOKE_PCK) s[n] = p->serial[DS_PKI_PCK], l[n++] = 16;
    for (size_t i = 0; i < c->n_extra_revoked; i++)
        s[n] = c->extra_revoked[i], l[n++] = c->extra_revoked_len[i];
    return build_crl(p, DS_PKI_PCK_CA, s, l, n, &p->col.pck_crl, &p->col.pck_crl_len);
}
