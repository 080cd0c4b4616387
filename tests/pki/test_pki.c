/* test_pki.c — the simulated Intel PKI: determinism from the seed, certificate and CRL
 * structure (checked with OpenSSL), collateral JSON, configuration, the quote signer and
 * the PCS endpoint shapes. */
#include <cjson/cJSON.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki_test_util.h"

#include "ds_hash.h"
#include "ds_p256.h"

static X509 *cert_of(const ds_pki *p, ds_pki_cert w) {
    size_t n;
    const uint8_t *der = ds_pki_cert_der(p, w, &n);
    assert_non_null(der);
    const unsigned char *q = der;
    X509 *x = d2i_X509(NULL, &q, (long)n);
    assert_non_null(x);
    assert_ptr_equal(q, der + n);
    return x;
}

static void same_seed_same_bytes(void **state) {
    (void)state;
    ds_pki *a = test_pki(0x11, NULL), *b = test_pki(0x11, NULL), *c = test_pki(0x22, NULL);
    for (int w = 0; w < DS_PKI_CERT_COUNT; w++) {
        size_t la, lb, lc;
        const uint8_t *da = ds_pki_cert_der(a, w, &la), *db = ds_pki_cert_der(b, w, &lb);
        const uint8_t *dc = ds_pki_cert_der(c, w, &lc);
        assert_int_equal(la, lb);
        assert_memory_equal(da, db, la);
        assert_true(la != lc || memcmp(da, dc, la) != 0);
        assert_string_equal(ds_pki_cert_pem(a, w), ds_pki_cert_pem(b, w));
        assert_memory_not_equal(ds_pki_cert_serial(a, w), ds_pki_cert_serial(c, w), 16);
    }
    assert_string_equal(ds_pki_pck_chain_pem(a), ds_pki_pck_chain_pem(b));
    ds_buf ja, jb, jc, qa, qb, qc;
    ds_buf_init(&ja);
    ds_buf_init(&jb);
    ds_buf_init(&jc);
    assert_int_equal(ds_pki_collateral_json(a, &ja), DS_OK);
    assert_int_equal(ds_pki_collateral_json(b, &jb), DS_OK);
    assert_int_equal(ds_pki_collateral_json(c, &jc), DS_OK);
    assert_string_equal(ja.data, jb.data);
    assert_string_not_equal(ja.data, jc.data);
    test_quote(a, &qa);
    test_quote(b, &qb);
    test_quote(c, &qc);
    assert_int_equal(qa.len, qb.len);
    assert_memory_equal(qa.data, qb.data, qa.len);
    assert_memory_not_equal(qa.data + 632, qc.data + 632, 128); /* signature, att key */
    uint8_t pa[64], pc[64];
    ds_pki_att_pub(a, pa);
    ds_pki_att_pub(c, pc);
    assert_memory_not_equal(pa, pc, 64);
    /* The TCB info and QE identity do not depend on the seed; their signatures do. */
    const ds_collateral *ca = ds_pki_collateral(a), *cc = ds_pki_collateral(c);
    assert_string_equal(ca->tcb_info, cc->tcb_info);
    assert_memory_not_equal(ca->tcb_info_signature, cc->tcb_info_signature, 64);
    ds_buf *bufs[] = {&ja, &jb, &jc, &qa, &qb, &qc};
    for (int i = 0; i < 6; i++) ds_buf_free(bufs[i]);
    ds_pki_free(a);
    ds_pki_free(b);
    ds_pki_free(c);
}

static void name_field(X509_NAME *n, int nid, char *out, size_t cap) {
    assert_true(X509_NAME_get_text_by_NID(n, nid, out, (int)cap) > 0);
}

static void certificate_structure(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x11, NULL);
    X509 *x[DS_PKI_CERT_COUNT];
    for (int w = 0; w < DS_PKI_CERT_COUNT; w++) x[w] = cert_of(p, w);
    static const char *CN[] = {"Intel SGX Root CA", "Intel SGX PCK Platform CA",
                               "Intel SGX PCK Certificate", "Intel SGX TCB Signing"};
    static const int ISSUER[] = {DS_PKI_ROOT, DS_PKI_ROOT, DS_PKI_PCK_CA, DS_PKI_ROOT};
    char buf[128];
    for (int w = 0; w < DS_PKI_CERT_COUNT; w++) {
        name_field(X509_get_subject_name(x[w]), NID_commonName, buf, sizeof buf);
        assert_string_equal(buf, CN[w]);
        name_field(X509_get_subject_name(x[w]), NID_organizationName, buf, sizeof buf);
        assert_string_equal(buf, "dstack-simulator fake Intel");
        assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x[w]),
                                       X509_get_subject_name(x[ISSUER[w]])), 0);
        /* Signed by the issuer's key, and not by another certificate's. */
        assert_int_equal(X509_verify(x[w], X509_get0_pubkey(x[ISSUER[w]])), 1);
        assert_int_not_equal(X509_verify(x[w], X509_get0_pubkey(x[DS_PKI_TCB_SIGNER])), 1);
        assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x[w]), DS_PKI_NOT_BEFORE), 0);
        assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x[w]), DS_PKI_NOT_AFTER), 0);
        BIGNUM *sn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x[w]), NULL);
        uint8_t s[16];
        assert_int_equal(BN_bn2binpad(sn, s, 16), 16);
        assert_memory_equal(s, ds_pki_cert_serial(p, w), 16);
        BN_free(sn);
        assert_int_equal(X509_check_ca(x[w]) != 0, w == DS_PKI_ROOT || w == DS_PKI_PCK_CA);
    }
    /* The SGX extension is on the PCK leaf only, non-critical. */
    ASN1_OBJECT *sgx = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    for (int w = 0; w < DS_PKI_CERT_COUNT; w++) {
        int idx = X509_get_ext_by_OBJ(x[w], sgx, -1);
        assert_int_equal(idx >= 0, w == DS_PKI_PCK);
        if (idx >= 0) assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x[w], idx)), 0);
    }
    ASN1_OBJECT_free(sgx);
    /* The quote's chain is leaf, intermediate, root, in PEM. */
    ds_buf chain;
    ds_buf_init(&chain);
    ds_buf_puts(&chain, ds_pki_cert_pem(p, DS_PKI_PCK));
    ds_buf_puts(&chain, ds_pki_cert_pem(p, DS_PKI_PCK_CA));
    ds_buf_puts(&chain, ds_pki_root_pem(p));
    assert_string_equal(ds_pki_pck_chain_pem(p), chain.data);
    ds_buf_free(&chain);
    for (int w = 0; w < DS_PKI_CERT_COUNT; w++) X509_free(x[w]);
    ds_pki_free(p);
}

static X509_CRL *crl_of(const uint8_t *der, size_t n) {
    const unsigned char *q = der;
    X509_CRL *c = d2i_X509_CRL(NULL, &q, (long)n);
    assert_non_null(c);
    return c;
}

/* Number of entries (OpenSSL keeps no stack for an empty CRL). */
static int n_revoked(X509_CRL *c) {
    STACK_OF(X509_REVOKED) *r = X509_CRL_get_REVOKED(c);
    return r ? sk_X509_REVOKED_num(r) : 0;
}

static int crl_lists(X509_CRL *c, const uint8_t serial[16]) {
    ASN1_INTEGER *ai = ASN1_INTEGER_new();
    BIGNUM *bn = BN_bin2bn(serial, 16, NULL);
    BN_to_ASN1_INTEGER(bn, ai);
    X509_REVOKED *r = NULL;
    int found = X509_CRL_get0_by_serial(c, &r, ai) == 1;
    BN_free(bn);
    ASN1_INTEGER_free(ai);
    return found;
}

static void crls(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x11, NULL);
    X509 *root = cert_of(p, DS_PKI_ROOT), *ca = cert_of(p, DS_PKI_PCK_CA);
    const ds_collateral *col = ds_pki_collateral(p);
    X509_CRL *rc = crl_of(col->root_ca_crl, col->root_ca_crl_len);
    X509_CRL *pc = crl_of(col->pck_crl, col->pck_crl_len);
    assert_int_equal(X509_CRL_verify(rc, X509_get0_pubkey(root)), 1);
    assert_int_equal(X509_CRL_verify(pc, X509_get0_pubkey(ca)), 1);
    assert_int_not_equal(X509_CRL_verify(pc, X509_get0_pubkey(root)), 1);
    assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(pc), X509_get_subject_name(ca)), 0);
    assert_int_equal(n_revoked(rc), 0);
    assert_int_equal(n_revoked(pc), 0);
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(pc), DS_PKI_NOT_AFTER), 0);
    X509_CRL_free(rc);
    X509_CRL_free(pc);
    /* Revocations land in the CRL of the revoked certificate's issuer. */
    ds_pki_config cfg;
    uint8_t seed[32];
    test_seed(seed, 0x11);
    ds_pki_config_default(&cfg, seed);
    cfg.revoke = DS_PKI_REVOKE_PCK | DS_PKI_REVOKE_TCB_SIGNER;
    cfg.extra_revoked[0][0] = 0x05;
    cfg.extra_revoked_len[0] = 1;
    cfg.n_extra_revoked = 1;
    ds_pki *r = test_pki(0x11, &cfg);
    col = ds_pki_collateral(r);
    rc = crl_of(col->root_ca_crl, col->root_ca_crl_len);
    pc = crl_of(col->pck_crl, col->pck_crl_len);
    assert_int_equal(n_revoked(rc), 1);
    assert_true(crl_lists(rc, ds_pki_cert_serial(r, DS_PKI_TCB_SIGNER)));
    assert_int_equal(n_revoked(pc), 2);
    assert_true(crl_lists(pc, ds_pki_cert_serial(r, DS_PKI_PCK)));
    assert_false(crl_lists(pc, ds_pki_cert_serial(r, DS_PKI_PCK_CA)));
    /* Revoking changes only the CRLs, never the certificates. */
    size_t l1, l2;
    const uint8_t *d1 = ds_pki_cert_der(p, DS_PKI_PCK, &l1), *d2 = ds_pki_cert_der(r, DS_PKI_PCK, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(d1, d2, l1);
    X509_CRL_free(rc);
    X509_CRL_free(pc);
    X509_free(root);
    X509_free(ca);
    ds_pki_free(r);
    ds_pki_free(p);
}

/* The exact collateral JSON of the default configuration (independent of the seed). */
static const char *TCB_INFO_DEFAULT =
    "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"2025-01-01T00:00:00Z\","
    "\"nextUpdate\":\"2049-12-31T23:59:59Z\",\"fmspc\":\"00806F050000\",\"pceId\":\"0000\","
    "\"tcbType\":0,\"tcbEvaluationDataNumber\":17,\"tdxModule\":{\"mrsigner\":\""
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},"
    "\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":[{\"svn\":2},{\"svn\":2},{\"svn\":2},"
    "{\"svn\":2},{\"svn\":3},{\"svn\":1},{\"svn\":0},{\"svn\":3},{\"svn\":0},{\"svn\":0},"
    "{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}],\"pcesvn\":13,"
    "\"tdxtcbcomponents\":[{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
    "{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
    "{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}]},\"tcbDate\":\"2024-11-13T00:00:00Z\","
    "\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"sgxtcbcomponents\":[{\"svn\":2},{\"svn\":2},"
    "{\"svn\":2},{\"svn\":2},{\"svn\":3},{\"svn\":1},{\"svn\":0},{\"svn\":3},{\"svn\":0},"
    "{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}],"
    "\"pcesvn\":12,\"tdxtcbcomponents\":[{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
    "{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
    "{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}]},"
    "\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
    "\"advisoryIDs\":[\"DSTACK-SIM-SA-00001\"]}]}";
static const char *QE_IDENTITY_DEFAULT =
    "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"2025-01-01T00:00:00Z\","
    "\"nextUpdate\":\"2049-12-31T23:59:59Z\",\"tcbEvaluationDataNumber\":17,"
    "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
    "\"attributes\":\"11000000000000000000000000000000\","
    "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
    "\"mrsigner\":\"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5\","
    "\"isvprodid\":2,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":4},\"tcbDate\":\"2024-11-13T00:00:00Z\","
    "\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":3},\"tcbDate\":\"2024-03-13T00:00:00Z\","
    "\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"DSTACK-SIM-SA-00001\"]}]}";

static void collateral_json(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x33, NULL);
    const ds_collateral *col = ds_pki_collateral(p);
    assert_string_equal(col->tcb_info, TCB_INFO_DEFAULT);
    assert_string_equal(col->qe_identity, QE_IDENTITY_DEFAULT);
    /* Signed by the TCB signer over the exact bytes. */
    X509 *tcb = cert_of(p, DS_PKI_TCB_SIGNER);
    uint8_t xy[64];
    assert_int_equal(ds_p256_pub_xy(X509_get0_pubkey(tcb), xy), DS_OK);
    assert_int_equal(ds_p256_verify(xy, (const uint8_t *)col->tcb_info, strlen(col->tcb_info),
                                    col->tcb_info_signature), DS_OK);
    assert_int_equal(ds_p256_verify(xy, (const uint8_t *)col->qe_identity,
                                    strlen(col->qe_identity), col->qe_identity_signature), DS_OK);
    uint8_t sig[64];
    assert_int_equal(ds_pki_sign_tcb(p, (const uint8_t *)"x", 1, sig), DS_OK);
    assert_int_equal(ds_p256_verify(xy, (const uint8_t *)"x", 1, sig), DS_OK);
    X509_free(tcb);
    /* Issuer chains: TCB signer + root; PCK CA + root. */
    char want[8192];
    snprintf(want, sizeof want, "%s%s", ds_pki_cert_pem(p, DS_PKI_TCB_SIGNER), ds_pki_root_pem(p));
    assert_string_equal(col->tcb_info_issuer_chain, want);
    assert_string_equal(col->qe_identity_issuer_chain, want);
    snprintf(want, sizeof want, "%s%s", ds_pki_cert_pem(p, DS_PKI_PCK_CA), ds_pki_root_pem(p));
    assert_string_equal(col->pck_crl_issuer_chain, want);
    ds_pki_free(p);

    /* A non-UpToDate status: an UpToDate level above the platform, then the configured one. */
    ds_pki_config cfg;
    uint8_t seed[32];
    test_seed(seed, 0x33);
    ds_pki_config_default(&cfg, seed);
    cfg.tcb_status = DS_TCB_SW_HARDENING_NEEDED;
    cfg.qe_tcb_status = DS_TCB_OUT_OF_DATE;
    p = test_pki(0x33, &cfg);
    col = ds_pki_collateral(p);
    cJSON *t = cJSON_Parse(col->tcb_info), *q = cJSON_Parse(col->qe_identity);
    cJSON *l0 = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "tcbLevels"), 0);
    cJSON *l1 = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "tcbLevels"), 1);
    assert_string_equal(cJSON_GetObjectItem(l0, "tcbStatus")->valuestring, "UpToDate");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(l0, "tcb"), "pcesvn")->valueint, 14);
    assert_string_equal(cJSON_GetObjectItem(l1, "tcbStatus")->valuestring, "SWHardeningNeeded");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(l1, "tcb"), "pcesvn")->valueint, 13);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(l1, "advisoryIDs"), 0)->valuestring,
                        "DSTACK-SIM-SA-00001");
    cJSON *q1 = cJSON_GetArrayItem(cJSON_GetObjectItem(q, "tcbLevels"), 1);
    assert_string_equal(cJSON_GetObjectItem(q1, "tcbStatus")->valuestring, "OutOfDate");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(q1, "tcb"), "isvsvn")->valueint, 4);
    cJSON_Delete(t);
    cJSON_Delete(q);
    ds_pki_free(p);
}

static void config_and_status_names(void **state) {
    (void)state;
    ds_tcb_status s;
    assert_int_equal(ds_tcb_status_parse("OutOfDate", &s), DS_OK);
    assert_int_equal(s, DS_TCB_OUT_OF_DATE);
    assert_int_equal(ds_tcb_status_parse("sw_hardening_needed", &s), DS_OK);
    assert_int_equal(s, DS_TCB_SW_HARDENING_NEEDED);
    assert_int_equal(ds_tcb_status_parse("CONFIGURATION_AND_SW_HARDENING_NEEDED", &s), DS_OK);
    assert_int_equal(s, DS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED);
    assert_int_equal(ds_tcb_status_parse("revoked", &s), DS_OK);
    assert_int_equal(s, DS_TCB_REVOKED);
    assert_int_equal(ds_tcb_status_parse("Fine", &s), DS_ERR_ARG);
    assert_string_equal(ds_tcb_status_name(DS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED),
                        "OutOfDateConfigurationNeeded");
    assert_null(ds_tcb_status_name(DS_TCB_STATUS_COUNT));

    ds_pki_config base, c;
    uint8_t seed[32];
    test_seed(seed, 1);
    ds_pki_config_default(&base, seed);
    ds_pki *p = (ds_pki *)1;
    c = base;
    c.not_after = c.not_before;
    assert_int_equal(ds_pki_new(&c, &p), DS_ERR_ARG);
    assert_null(p);
    c = base;
    c.next_update = c.issue_date - 1;
    assert_int_equal(ds_pki_new(&c, &p), DS_ERR_ARG);
    c = base;
    c.crl_next_update = 253402300800LL; /* year 10000 */
    assert_int_equal(ds_pki_new(&c, &p), DS_ERR_ARG);
    c = base;
    c.tcb_status = DS_TCB_STATUS_COUNT;
    assert_int_equal(ds_pki_new(&c, &p), DS_ERR_ARG);
    c = base;
    c.n_extra_revoked = 1;
    c.extra_revoked_len[0] = 0;
    assert_int_equal(ds_pki_new(&c, &p), DS_ERR_ARG);
    c = base;
    c.revoke = 1u << 7;
    assert_int_equal(ds_pki_new(&c, &p), DS_ERR_ARG);
    assert_int_equal(ds_pki_new(NULL, &p), DS_ERR_ARG);
    assert_int_equal(ds_pki_new(&base, NULL), DS_ERR_ARG);
    ds_pki_free(NULL);
}

/* The quote signer: attestation key signature, QE report bound to it, PCK chain inside. */
static void quote_signer(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x44, NULL);
    ds_buf q;
    test_quote(p, &q);
    const uint8_t *b = (const uint8_t *)q.data;
    ds_quote pq;
    assert_int_equal(ds_quote_parse(b, q.len, &pq), DS_OK);
    assert_int_equal(ds_quote_verify_att_sig(b, q.len), DS_OK);
    uint8_t att[64], h[32], hd[96];
    ds_pki_att_pub(p, att);
    assert_memory_equal(pq.att_pub, att, 64);
    assert_int_equal(pq.header.qe_svn, 4);
    assert_int_equal(pq.header.pce_svn, 13);
    assert_int_equal(pq.cert_type, DS_CERT_TYPE_QE_REPORT);
    assert_int_equal(pq.inner_cert_type, DS_CERT_TYPE_PCK_CHAIN);
    assert_int_equal(pq.inner_cert_len, strlen(ds_pki_pck_chain_pem(p)));
    assert_memory_equal(pq.inner_cert, ds_pki_pck_chain_pem(p), pq.inner_cert_len);
    assert_int_equal(pq.qe_auth_len, 32);
    memcpy(hd, att, 64);
    memcpy(hd + 64, pq.qe_auth_data, 32);
    ds_sha256(hd, 96, h);
    assert_memory_equal(pq.qe_report + 320, h, 32);
    assert_int_equal(pq.qe_report[48], 0x11);
    X509 *pck = cert_of(p, DS_PKI_PCK);
    uint8_t xy[64];
    assert_int_equal(ds_p256_pub_xy(X509_get0_pubkey(pck), xy), DS_OK);
    assert_int_equal(ds_p256_verify(xy, pq.qe_report, DS_QE_REPORT_LEN, pq.qe_report_sig), DS_OK);
    X509_free(pck);
    ds_buf_free(&q);
    ds_pki_free(p);
}

/* How the simulator uses it: its own header/report defaults, ds_quote_build, the signer. */
static void simulator_style_quote(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x44, NULL);
    ds_quote_header h;
    ds_td_report r;
    ds_quote_signer s;
    ds_quote_header_default(&h);
    ds_td_report_default(&r);
    memset(r.report_data, 0xab, 64);
    memset(r.rt_mr[3], 0x33, 48);
    ds_pki_quote_signer(p, &s);
    ds_buf q;
    ds_buf_init(&q);
    assert_int_equal(ds_quote_build(&h, &r, &s, &q), DS_OK);
    ds_qverify_result res;
    assert_int_equal(test_verify(&q, p, ds_pki_collateral(p), TEST_NOW, &res), DS_OK);
    assert_string_equal(res.status, "UpToDate");
    assert_memory_equal(res.report.rt_mr[3], r.rt_mr[3], 48);
    assert_memory_equal(res.report.report_data, r.report_data, 64);
    ds_qverify_result_free(&res);
    ds_buf_free(&q);
    ds_pki_free(p);
}

static size_t pct_decode(const char *s, char *out) {
    size_t n = 0;
    for (; *s; s++) {
        unsigned v;
        if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
            out[n++] = (char)v;
            s += 2;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    return n;
}

static void pcs_endpoints(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x55, NULL);
    const ds_collateral *col = ds_pki_collateral(p);
    ds_pki_http r;
    char dec[8192], want[8192];

    assert_int_equal(ds_pki_pcs_handle(p, "/tdx/certification/v4/tcb?fmspc=00806f050000", &r), DS_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.header_name, "TCB-Info-Issuer-Chain");
    assert_null(strchr(r.header_value, '\n'));
    pct_decode(r.header_value, dec);
    assert_string_equal(dec, col->tcb_info_issuer_chain);
    char sig[129];
    snprintf(want, sizeof want, "{\"tcbInfo\":%s,\"signature\":\"%s\"}", col->tcb_info,
             ds_hex_encode(col->tcb_info_signature, 64, sig));
    assert_string_equal(r.body, want);
    assert_int_equal(r.body_len, strlen(want));
    ds_pki_http_free(&r);

    assert_int_equal(ds_pki_pcs_handle(p, "/tdx/certification/v4/qe/identity?update=standard", &r),
                     DS_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.header_name, "SGX-Enclave-Identity-Issuer-Chain");
    snprintf(want, sizeof want, "{\"enclaveIdentity\":%s,\"signature\":\"%s\"}", col->qe_identity,
             ds_hex_encode(col->qe_identity_signature, 64, sig));
    assert_string_equal(r.body, want);
    ds_pki_http_free(&r);

    assert_int_equal(ds_pki_pcs_handle(p, "/sgx/certification/v4/pckcrl?ca=platform&encoding=der",
                                       &r), DS_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.header_name, "SGX-PCK-CRL-Issuer-Chain");
    assert_int_equal(r.body_len, col->pck_crl_len);
    assert_memory_equal(r.body, col->pck_crl, col->pck_crl_len);
    pct_decode(r.header_value, dec);
    assert_string_equal(dec, col->pck_crl_issuer_chain);
    ds_pki_http_free(&r);
    assert_int_equal(ds_pki_pcs_handle(p, "/sgx/certification/v4/pckcrl?ca=platform", &r), DS_OK);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.body, "-----BEGIN X509 CRL-----\n", 25);
    ds_pki_http_free(&r);
    /* One PCK CA: ca=processor (what dcap-qvl's getCollateral asks for) gets the same CRL. */
    assert_int_equal(ds_pki_pcs_handle(p, "/sgx/certification/v4/pckcrl?encoding=der&ca=processor",
                                       &r), DS_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, col->pck_crl_len);
    assert_memory_equal(r.body, col->pck_crl, col->pck_crl_len);
    ds_pki_http_free(&r);

    assert_int_equal(ds_pki_pcs_handle(p, "/sgx/certification/v4/rootcacrl", &r), DS_OK);
    assert_int_equal(r.status, 200);
    assert_null(r.header_name);
    assert_int_equal(r.body_len, 2 * col->root_ca_crl_len);
    assert_string_equal(r.body, ds_hex_encode(col->root_ca_crl, col->root_ca_crl_len, want));
    ds_pki_http_free(&r);

    static const struct {
        const char *target;
        int status;
    } ERR[] = {
        {"/tdx/certification/v4/tcb?fmspc=00906ED50000", 404},
        {"/tdx/certification/v4/tcb", 400},
        {"/tdx/certification/v4/tcb?fmspc=zz", 400},
        {"/sgx/certification/v4/tcb?fmspc=00806F050000", 404},
        {"/sgx/certification/v4/pckcrl?ca=intel", 400},
        {"/sgx/certification/v4/pckcrl", 400},
        {"/sgx/certification/v4/pckcrl?ca=platform&encoding=xml", 400},
        {"/sgx/certification/v4/qe/identity", 404},
        {"/", 404},
    };
    for (size_t i = 0; i < sizeof ERR / sizeof *ERR; i++) {
        assert_int_equal(ds_pki_pcs_handle(p, ERR[i].target, &r), DS_OK);
        assert_int_equal(r.status, ERR[i].status);
        assert_null(r.header_value);
        ds_pki_http_free(&r);
    }
    assert_int_equal(ds_pki_pcs_handle(p, NULL, &r), DS_ERR_ARG);

    ds_buf e;
    ds_buf_init(&e);
    ds_pki_percent_encode("-----BEGIN A+b/c=\n(x)*!~'_.", &e);
    assert_string_equal(e.data, "-----BEGIN%20A%2Bb%2Fc%3D%0A(x)*!~'_.");
    ds_buf_free(&e);
    ds_pki_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_bytes),  cmocka_unit_test(certificate_structure),
        cmocka_unit_test(crls),                  cmocka_unit_test(collateral_json),
        cmocka_unit_test(config_and_status_names), cmocka_unit_test(quote_signer),
        cmocka_unit_test(simulator_style_quote), cmocka_unit_test(pcs_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
