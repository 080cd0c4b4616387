/* test_qverify.c — the C quote verifier, one positive and at least one negative case per
 * step, with the exact reasons it reports. Quotes and collateral come from the simulated
 * PKI (ds_pki); negative cases change one thing: a flipped byte, another seed, a time past
 * a window, a revoked serial, a configured TCB status, or collateral re-signed by the TCB
 * signer so that only the policy under test differs. */
#include <time.h>

#include "pki_test_util.h"

#include "ds_p256det.h"

/* Every verification below also runs through a reused context (pki_test_util.h). */
#define ds_qverify test_qverify_checked

#define T2030 1893456000LL /* 2030-01-01T00:00:00Z */
#define T2031 1924992000LL /* 2031-01-01T00:00:00Z */

static ds_pki_config cfg_for(uint8_t b) {
    ds_pki_config c;
    uint8_t seed[32];
    test_seed(seed, b);
    ds_pki_config_default(&c, seed);
    return c;
}

/* Verifies quote q against p's root and p's collateral. */
static ds_err verify_with(const ds_buf *q, const ds_pki *p, int64_t now, ds_qverify_result *res) {
    return test_verify(q, p, ds_pki_collateral(p), now, res);
}

static void accepts_own_quote(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x11, NULL);
    ds_buf q;
    test_quote(p, &q);
    ds_qverify_result res;
    assert_int_equal(verify_with(&q, p, TEST_NOW, &res), DS_OK);
    assert_true(res.ok);
    assert_int_equal(res.n_reasons, 0);
    assert_string_equal(res.status, "UpToDate");
    assert_string_equal(res.platform_status, "UpToDate");
    assert_string_equal(res.qe_status, "UpToDate");
    assert_int_equal(res.n_advisory_ids, 0);
    assert_true(res.have_quote);
    assert_memory_equal(res.report.report_data, "rd!", 3);
    assert_int_equal(res.report.td_attributes[3], 0x10);
    assert_true(res.have_pck);
    assert_hex_equal(res.fmspc, 6, "00806f050000");
    assert_hex_equal(res.pce_id, 2, "0000");
    assert_hex_equal(res.cpu_svn, 16, "02020202030100030000000000000000");
    assert_memory_equal(res.sgx_components, res.cpu_svn, 16);
    assert_int_equal(res.pce_svn, 13);
    ds_buf j;
    ds_buf_init(&j);
    assert_int_equal(ds_qverify_result_json(&res, &j), DS_OK);
    assert_non_null(strstr(j.data, "{\"ok\":true,\"status\":\"UpToDate\",\"platform_status\":"
                                   "\"UpToDate\",\"qe_status\":\"UpToDate\",\"advisory_ids\":[],"
                                   "\"reasons\":[],\"header\":{\"version\":4,"));
    assert_non_null(strstr(j.data, "\"report_data\":\"72642100"));
    assert_non_null(strstr(j.data, "\"pck\":{\"ppid\":\""));
    assert_non_null(strstr(j.data, "\"fmspc\":\"00806f050000\",\"pce_id\":\"0000\""));
    ds_buf_free(&j);
    ds_qverify_result_free(&res);
    /* The default windows also hold today (until 2049). */
    assert_int_equal(verify_with(&q, p, (int64_t)time(NULL), &res), DS_OK);
    ds_qverify_result_free(&res);
    ds_buf_free(&q);
    ds_pki_free(p);
}

static void wrong_root(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x11, NULL), *other = test_pki(0x22, NULL);
    ds_buf q;
    test_quote(p, &q);
    ds_qverify_result res;
    /* The other seed's root, with this PKI's collateral and quote. */
    assert_int_equal(test_verify(&q, other, ds_pki_collateral(p), TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "tcb_info_chain: self-signed certificate in certificate chain (depth 1)",
                   "qe_identity_chain: self-signed certificate in certificate chain (depth 1)",
                   "pck_crl_chain: self-signed certificate in certificate chain (depth 1)",
                   "pck_chain: self-signed certificate in certificate chain (depth 2)");
    assert_string_equal(res.status, "");
    ds_qverify_result_free(&res);
    /* The other seed's root and collateral: only the quote's PCK chain is foreign. */
    assert_int_equal(verify_with(&q, other, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "pck_chain: self-signed certificate in certificate chain (depth 2)");
    ds_qverify_result_free(&res);
    ds_buf_free(&q);
    ds_pki_free(p);
    ds_pki_free(other);
}

/* Flips one byte of the quote at off and expects exactly the given reasons. */
static void flip_expect(size_t off, const char *reason1, const char *reason2) {
    ds_pki *p = test_pki(0x11, NULL);
    ds_buf q;
    test_quote(p, &q);
    q.data[off] ^= 0x01;
    ds_qverify_result res;
    assert_int_equal(verify_with(&q, p, TEST_NOW, &res), DS_ERR_VERIFY);
    if (reason2) assert_reasons(&res, reason1, reason2);
    else assert_reasons(&res, reason1);
    ds_qverify_result_free(&res);
    ds_buf_free(&q);
    ds_pki_free(p);
}

#define QE_REPORT_OFF (632 + 4 + 128 + 6)

static void flipped_report_data(void **state) {
    (void)state;
    flip_expect(DS_QUOTE_REPORT_DATA_OFF + 5, "quote_signature: quote is not signed by its attestation key",
                NULL);
}

static void flipped_quote_signature(void **state) {
    (void)state;
    flip_expect(632 + 4 + 10, "quote_signature: quote is not signed by its attestation key", NULL);
}

static void flipped_qe_report_signature(void **state) {
    (void)state;
    flip_expect(QE_REPORT_OFF + DS_QE_REPORT_LEN + 40,
                "qe_report_signature: QE report is not signed by the PCK key", NULL);
}

static void tampered_qe_report(void **state) {
    (void)state;
    /* mrsigner byte: the PCK signature breaks and the QE identity no longer matches. */
    flip_expect(QE_REPORT_OFF + 128, "qe_report_signature: QE report is not signed by the PCK key",
                "qe_identity_policy: QE MRSIGNER does not match the QE identity");
}

/* A signer that signs with its own key but lets the PKI's QE report bind the PKI's key. */
typedef struct {
    ds_quote_signer inner;
    uint8_t priv[32];
} rogue_signer;

static ds_err rogue_sign(const ds_quote_signer *s, const uint8_t *msg, size_t len, uint8_t sig[64],
                         uint8_t att_pub[64]) {
    const rogue_signer *r = s->ctx;
    if (ds_p256det_pub(r->priv, att_pub) != DS_OK) return DS_ERR_CRYPTO;
    return ds_p256det_sign(r->priv, msg, len, sig);
}

static ds_err rogue_cert_data(const ds_quote_signer *s, const uint8_t att_pub[64], ds_buf *out) {
    (void)att_pub;
    const rogue_signer *r = s->ctx;
    uint8_t pki_att[64];
    ds_pki_att_pub(r->inner.ctx, pki_att);
    return r->inner.cert_data(&r->inner, pki_att, out);
}

static void mismatched_attestation_key(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x11, NULL);
    rogue_signer rs;
    ds_pki_quote_signer(p, &rs.inner);
    memset(rs.priv, 0x42, 32);
    ds_quote_signer s = {rogue_sign, rogue_cert_data, &rs};
    ds_quote_header h;
    ds_td_report r;
    ds_pki_quote_header(p, &h);
    ds_pki_td_report(p, &r);
    ds_buf q;
    ds_buf_init(&q);
    assert_int_equal(ds_quote_build(&h, &r, &s, &q), DS_OK);
    /* The quote signature itself is fine (by the rogue key it carries). */
    assert_int_equal(ds_quote_verify_att_sig((const uint8_t *)q.data, q.len), DS_OK);
    ds_qverify_result res;
    assert_int_equal(verify_with(&q, p, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "qe_report_binding: QE report does not bind the attestation key");
    ds_qverify_result_free(&res);
    ds_buf_free(&q);
    ds_pki_free(p);
}

/* Builds a PKI from cfg, a quote from it, and verifies at now. */
static ds_err cfg_verify(const ds_pki_config *cfg, int64_t now, ds_qverify_result *res) {
    ds_pki *p = test_pki(0, cfg);
    ds_buf q;
    test_quote(p, &q);
    ds_err rc = verify_with(&q, p, now, res);
    ds_buf_free(&q);
    ds_pki_free(p);
    return rc;
}

static void certificate_validity(void **state) {
    (void)state;
    ds_pki_config c = cfg_for(0x11);
    c.not_after = T2030;
    ds_qverify_result res;
    assert_int_equal(cfg_verify(&c, T2030 - 1, &res), DS_OK);
    ds_qverify_result_free(&res);
    assert_int_equal(cfg_verify(&c, T2031, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "tcb_info_chain: certificate has expired (depth 1)",
                   "qe_identity_chain: certificate has expired (depth 1)",
                   "pck_crl_chain: certificate has expired (depth 1)",
                   "pck_chain: certificate has expired (depth 2)");
    ds_qverify_result_free(&res);
    c = cfg_for(0x11);
    c.not_before = TEST_NOW + 1;
    assert_int_equal(cfg_verify(&c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_true(has_reason(&res, "pck_chain: certificate is not yet valid (depth 2)"));
    assert_int_equal(res.n_reasons, 4);
    ds_qverify_result_free(&res);
}

static void crl_and_collateral_validity(void **state) {
    (void)state;
    ds_pki_config c = cfg_for(0x11);
    c.crl_next_update = T2030;
    ds_qverify_result res;
    assert_int_equal(cfg_verify(&c, T2031, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "tcb_info_chain: CRL has expired (depth 0)",
                   "qe_identity_chain: CRL has expired (depth 0)",
                   "pck_crl_chain: CRL has expired (depth 0)", "pck_chain: CRL has expired (depth 0)");
    ds_qverify_result_free(&res);
    c = cfg_for(0x11);
    c.next_update = T2030;
    assert_int_equal(cfg_verify(&c, T2031, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "tcb_info: expired (nextUpdate 2030-01-01T00:00:00Z)",
                   "qe_identity: expired (nextUpdate 2030-01-01T00:00:00Z)");
    assert_string_equal(res.status, ""); /* no TCB info, no status */
    ds_qverify_result_free(&res);
    c = cfg_for(0x11);
    c.issue_date = TEST_NOW + 60;
    assert_int_equal(cfg_verify(&c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "tcb_info: issue date 2026-01-01T00:01:00Z is in the future",
                   "qe_identity: issue date 2026-01-01T00:01:00Z is in the future");
    ds_qverify_result_free(&res);
}

static void revocation(void **state) {
    (void)state;
    ds_pki_config c = cfg_for(0x11);
    ds_qverify_result res;
    c.revoke = DS_PKI_REVOKE_PCK;
    assert_int_equal(cfg_verify(&c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "pck_chain: certificate revoked (depth 0)");
    ds_qverify_result_free(&res);
    c.revoke = DS_PKI_REVOKE_PCK_CA;
    assert_int_equal(cfg_verify(&c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "pck_crl_chain: certificate revoked (depth 0)",
                   "pck_chain: certificate revoked (depth 1)");
    ds_qverify_result_free(&res);
    c.revoke = DS_PKI_REVOKE_TCB_SIGNER;
    assert_int_equal(cfg_verify(&c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "tcb_info_chain: certificate revoked (depth 0)",
                   "qe_identity_chain: certificate revoked (depth 0)");
    ds_qverify_result_free(&res);
    /* The configurable serial list: the PCK serial revokes it, another serial does not. */
    ds_pki *p = test_pki(0x11, NULL);
    c = cfg_for(0x11);
    memcpy(c.extra_revoked[0], ds_pki_cert_serial(p, DS_PKI_PCK), 16);
    c.extra_revoked_len[0] = 16;
    c.extra_revoked[1][0] = 0x07;
    c.extra_revoked_len[1] = 1;
    c.n_extra_revoked = 2;
    ds_pki_free(p);
    assert_int_equal(cfg_verify(&c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "pck_chain: certificate revoked (depth 0)");
    ds_qverify_result_free(&res);
    c.n_extra_revoked = 1;
    memcpy(c.extra_revoked[0], c.extra_revoked[1], 1);
    c.extra_revoked_len[0] = 1;
    assert_int_equal(cfg_verify(&c, TEST_NOW, &res), DS_OK);
    ds_qverify_result_free(&res);
}

static void tcb_statuses(void **state) {
    (void)state;
    for (int s = 0; s < DS_TCB_STATUS_COUNT; s++) {
        ds_pki_config c = cfg_for(0x11);
        c.tcb_status = (ds_tcb_status)s;
        ds_qverify_result res;
        ds_err rc = cfg_verify(&c, TEST_NOW, &res);
        const char *name = ds_tcb_status_name((ds_tcb_status)s);
        assert_string_equal(res.status, name);
        assert_string_equal(res.platform_status, name);
        assert_string_equal(res.qe_status, "UpToDate");
        if (s == DS_TCB_REVOKED) {
            assert_int_equal(rc, DS_ERR_VERIFY);
            assert_reasons(&res, "tcb_status: TCB status Revoked is not acceptable");
        } else {
            assert_int_equal(rc, DS_OK);
            assert_true(res.ok);
        }
        assert_int_equal(res.n_advisory_ids, s == DS_TCB_UP_TO_DATE ? 0 : 1);
        if (s != DS_TCB_UP_TO_DATE) assert_string_equal(res.advisory_ids[0], "DSTACK-SIM-SA-00001");
        ds_qverify_result_free(&res);
    }
    /* The merged status is the worse of platform and QE. */
    ds_pki_config c = cfg_for(0x11);
    c.tcb_status = DS_TCB_SW_HARDENING_NEEDED;
    c.qe_tcb_status = DS_TCB_OUT_OF_DATE;
    ds_qverify_result res;
    assert_int_equal(cfg_verify(&c, TEST_NOW, &res), DS_OK);
    assert_string_equal(res.status, "OutOfDate");
    assert_string_equal(res.platform_status, "SWHardeningNeeded");
    assert_string_equal(res.qe_status, "OutOfDate");
    assert_int_equal(res.n_advisory_ids, 1); /* deduplicated */
    ds_qverify_result_free(&res);
    c.qe_tcb_status = DS_TCB_REVOKED;
    assert_int_equal(cfg_verify(&c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_string_equal(res.status, "Revoked");
    ds_qverify_result_free(&res);
    assert_int_equal(ds_tcb_status_severity("OutOfDateConfigurationNeeded"), 5);
    assert_int_equal(ds_tcb_status_severity("Unknown"), 100);
}

/* A quote with a modified TD report. */
static void report_expect(void (*edit)(ds_td_report *), const char *reason) {
    ds_pki *p = test_pki(0x11, NULL);
    ds_td_report r;
    ds_pki_td_report(p, &r);
    edit(&r);
    ds_buf q;
    ds_buf_init(&q);
    assert_int_equal(ds_pki_quote(p, &r, &q), DS_OK);
    ds_qverify_result res;
    assert_int_equal(verify_with(&q, p, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, reason);
    ds_qverify_result_free(&res);
    ds_buf_free(&q);
    ds_pki_free(p);
}

static void edit_debug(ds_td_report *r) { r->td_attributes[0] = 0x01; }
static void edit_sept(ds_td_report *r) { r->td_attributes[3] = 0x00; }
static void edit_reserved(ds_td_report *r) { r->td_attributes[5] = 0x01; }
static void edit_seam(ds_td_report *r) { r->mr_signer_seam[0] = 0x01; }
static void edit_tee_tcb(ds_td_report *r) { memset(r->tee_tcb_svn, 0, 16); }

static void td_attributes(void **state) {
    (void)state;
    report_expect(edit_debug, "td_attributes: debug TD (TUD byte 0 = 0x01)");
    report_expect(edit_sept, "td_attributes: SEPT_VE_DISABLE is not set");
    report_expect(edit_reserved, "td_attributes: reserved bits are set");
    report_expect(edit_seam, "tdx_module: mr_signer_seam does not match tdxModule");
}

/* Collateral of p with one JSON document replaced (and re-signed when resign). */
static void collateral_edit(ds_pki *p, ds_collateral *c, int qe, const char *from, const char *to,
                            int resign) {
    assert_int_equal(ds_collateral_copy(c, ds_pki_collateral(p)), DS_OK);
    char **doc = qe ? &c->qe_identity : &c->tcb_info;
    char *at = strstr(*doc, from);
    assert_non_null(at);
    assert_int_equal(strlen(from), strlen(to));
    memcpy(at, to, strlen(to));
    if (resign)
        assert_int_equal(ds_pki_sign_tcb(p, (const uint8_t *)*doc, strlen(*doc),
                                         qe ? c->qe_identity_signature : c->tcb_info_signature),
                         DS_OK);
}

static void collateral_expect(int qe, const char *from, const char *to, int resign,
                              const char *reason) {
    ds_pki *p = test_pki(0x11, NULL);
    ds_buf q;
    test_quote(p, &q);
    ds_collateral c;
    collateral_edit(p, &c, qe, from, to, resign);
    ds_qverify_result res;
    assert_int_equal(test_verify(&q, p, &c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, reason);
    ds_qverify_result_free(&res);
    ds_collateral_free(&c);
    ds_buf_free(&q);
    ds_pki_free(p);
}

static void collateral_signatures(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x11, NULL);
    ds_buf q;
    test_quote(p, &q);
    ds_collateral c;
    ds_qverify_result res;
    assert_int_equal(ds_collateral_copy(&c, ds_pki_collateral(p)), DS_OK);
    c.tcb_info_signature[7] ^= 1;
    assert_int_equal(test_verify(&q, p, &c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "tcb_info_signature: signature does not verify");
    ds_qverify_result_free(&res);
    c.tcb_info_signature[7] ^= 1;
    c.qe_identity_signature[60] ^= 1;
    assert_int_equal(test_verify(&q, p, &c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "qe_identity_signature: signature does not verify");
    ds_qverify_result_free(&res);
    ds_collateral_free(&c);
    ds_buf_free(&q);
    ds_pki_free(p);
    /* Edited without re-signing: the signature no longer covers the text. */
    collateral_expect(0, "\"pcesvn\":13", "\"pcesvn\":10", 0,
                      "tcb_info_signature: signature does not verify");
}

static void qe_identity_policy(void **state) {
    (void)state;
    collateral_expect(1, "\"mrsigner\":\"DC9E", "\"mrsigner\":\"DC9F", 1,
                      "qe_identity_policy: QE MRSIGNER does not match the QE identity");
    collateral_expect(1, "\"isvprodid\":2", "\"isvprodid\":3", 1,
                      "qe_identity_policy: QE ISVPRODID 2 does not match");
    /* 0x15 & 0xFB == 0x11: a masked-out bit does not matter... */
    ds_pki *p = test_pki(0x11, NULL);
    ds_buf q;
    test_quote(p, &q);
    ds_collateral c;
    collateral_edit(p, &c, 1, "\"attributes\":\"11", "\"attributes\":\"15", 1);
    ds_qverify_result res;
    assert_int_equal(test_verify(&q, p, &c, TEST_NOW, &res), DS_OK);
    ds_qverify_result_free(&res);
    ds_collateral_free(&c);
    ds_buf_free(&q);
    ds_pki_free(p);
    /* ...a masked-in one does. */
    collateral_expect(1, "\"attributes\":\"11", "\"attributes\":\"13", 1,
                      "qe_identity_policy: QE ATTRIBUTES do not match under the mask");
    collateral_expect(1, "\"miscselect\":\"00", "\"miscselect\":\"01", 1,
                      "qe_identity_policy: QE MISCSELECT does not match under the mask");
    /* Every QE level above the QE's isvsvn 4 (levels 9 and 8 instead of 4 and 3). */
    ds_pki *p2 = test_pki(0x11, NULL);
    test_quote(p2, &q);
    collateral_edit(p2, &c, 1, "\"isvsvn\":4},", "\"isvsvn\":9},", 0);
    char *at = strstr(c.qe_identity, "\"isvsvn\":3}");
    assert_non_null(at);
    at[9] = '8';
    assert_int_equal(ds_pki_sign_tcb(p2, (const uint8_t *)c.qe_identity, strlen(c.qe_identity),
                                     c.qe_identity_signature), DS_OK);
    assert_int_equal(test_verify(&q, p2, &c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "qe_identity_policy: QE ISVSVN 4 is below every QE identity TCB level");
    ds_qverify_result_free(&res);
    ds_collateral_free(&c);
    ds_buf_free(&q);
    ds_pki_free(p2);
    collateral_expect(1, "\"id\":\"TD_QE\"", "\"id\":\"QE_TD\"", 1,
                      "qe_identity: id is not \"TD_QE\"");
}

static void tcb_info_matching(void **state) {
    (void)state;
    collateral_expect(0, "\"fmspc\":\"00806F", "\"fmspc\":\"00906F", 1,
                      "fmspc: PCK certificate FMSPC does not match the TCB info");
    collateral_expect(0, "\"pceId\":\"0000\"", "\"pceId\":\"0100\"", 1,
                      "pce_id: PCK certificate PCE-ID does not match the TCB info");
    collateral_expect(0, "\"id\":\"TDX\",\"version\":3", "\"id\":\"TDX\",\"version\":2", 1,
                      "tcb_info: unsupported version");
    /* A TCB info that requires TDX module SVN 5: the TD report's 0 matches no level. */
    ds_pki_config c = cfg_for(0x11);
    c.tee_tcb_svn[0] = 5;
    ds_pki *p = test_pki(0, &c);
    ds_td_report r;
    ds_pki_td_report(p, &r);
    assert_int_equal(r.tee_tcb_svn[0], 5);
    edit_tee_tcb(&r);
    ds_buf q;
    ds_buf_init(&q);
    assert_int_equal(ds_pki_quote(p, &r, &q), DS_OK);
    ds_qverify_result res;
    assert_int_equal(verify_with(&q, p, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_reasons(&res, "tcb_level: no TCB level matches the platform");
    ds_qverify_result_free(&res);
    ds_buf_free(&q);
    ds_pki_free(p);
}

static void malformed_inputs(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x11, NULL);
    ds_buf q;
    test_quote(p, &q);
    ds_qverify_result res;
    size_t rl;
    const uint8_t *root = ds_pki_root_der(p, &rl);
    const ds_collateral *col = ds_pki_collateral(p);
    assert_int_equal(ds_qverify((const uint8_t *)q.data, 700, root, rl, col, TEST_NOW, &res),
                     DS_ERR_VERIFY);
    assert_reasons(&res, "quote: not a well-formed v4 TDX quote");
    assert_false(res.have_quote);
    ds_qverify_result_free(&res);
    assert_int_equal(ds_qverify((const uint8_t *)q.data, q.len, root, rl - 1, col, TEST_NOW, &res),
                     DS_ERR_VERIFY);
    assert_true(has_reason(&res, "root: trusted root is not a DER certificate"));
    assert_true(has_reason(&res, "pck_chain: no usable trusted root"));
    ds_qverify_result_free(&res);
    ds_collateral c;
    assert_int_equal(ds_collateral_copy(&c, col), DS_OK);
    c.pck_crl[0] = 0x31;
    assert_int_equal(test_verify(&q, p, &c, TEST_NOW, &res), DS_ERR_VERIFY);
    assert_true(has_reason(&res, "crl: pck_crl is not a DER CRL"));
    /* Without the PCK CRL the PCK certificate's revocation cannot be checked. */
    assert_true(has_reason(&res, "pck_chain: unable to get certificate CRL (depth 0)"));
    ds_qverify_result_free(&res);
    ds_collateral_free(&c);
    assert_int_equal(ds_qverify(NULL, 0, root, rl, col, TEST_NOW, &res), DS_ERR_ARG);
    assert_int_equal(ds_qverify((const uint8_t *)q.data, q.len, root, rl, col, TEST_NOW, NULL),
                     DS_ERR_ARG);
    ds_buf_free(&q);
    ds_pki_free(p);
}

static void collateral_json_io(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x11, NULL);
    const ds_collateral *col = ds_pki_collateral(p);
    ds_buf j;
    ds_buf_init(&j);
    assert_int_equal(ds_collateral_to_json(col, &j), DS_OK);
    ds_collateral back;
    char err[128];
    assert_int_equal(ds_collateral_from_json(j.data, j.len, &back, err, sizeof err), DS_OK);
    assert_string_equal(back.tcb_info, col->tcb_info);
    assert_string_equal(back.qe_identity, col->qe_identity);
    assert_string_equal(back.tcb_info_issuer_chain, col->tcb_info_issuer_chain);
    assert_string_equal(back.pck_crl_issuer_chain, col->pck_crl_issuer_chain);
    assert_int_equal(back.pck_crl_len, col->pck_crl_len);
    assert_memory_equal(back.pck_crl, col->pck_crl, col->pck_crl_len);
    assert_memory_equal(back.root_ca_crl, col->root_ca_crl, col->root_ca_crl_len);
    assert_memory_equal(back.tcb_info_signature, col->tcb_info_signature, 64);
    assert_memory_equal(back.qe_identity_signature, col->qe_identity_signature, 64);
    ds_collateral_free(&back);
    /* Byte arrays (JSON.stringify of dcap-qvl's getCollateral) are accepted too. */
    ds_buf a;
    ds_buf_init(&a);
    ds_buf_puts(&a, "{\"root_ca_crl\":[");
    for (size_t i = 0; i < col->root_ca_crl_len; i++)
        ds_buf_printf(&a, "%s%u", i ? "," : "", col->root_ca_crl[i]);
    ds_buf_puts(&a, "]");
    ds_buf_append(&a, strstr(j.data, ",\"pck_crl\""), strlen(strstr(j.data, ",\"pck_crl\"")));
    assert_int_equal(ds_collateral_from_json(a.data, a.len, &back, err, sizeof err), DS_OK);
    assert_memory_equal(back.root_ca_crl, col->root_ca_crl, col->root_ca_crl_len);
    assert_string_equal(back.pck_crl_issuer_chain, ""); /* optional, absent */
    ds_collateral_free(&back);
    ds_buf_free(&a);
    static const struct {
        const char *json, *err;
    } BAD[] = {
        {"[]", "collateral: not a JSON object"},
        {"{}", "collateral root_ca_crl: missing"},
        {"{\"root_ca_crl\":\"zz\"}", "collateral root_ca_crl: not hex"},
        {"{\"root_ca_crl\":[1,256]}", "collateral root_ca_crl: array items must be bytes (0..255)"},
        {"{\"root_ca_crl\":\"01\",\"pck_crl\":\"01\",\"tcb_info_issuer_chain\":1}",
         "collateral tcb_info_issuer_chain: must be a string"},
        {"{\"root_ca_crl\":\"01\",\"pck_crl\":\"01\",\"tcb_info_issuer_chain\":\"\","
         "\"tcb_info\":\"{}\",\"tcb_info_signature\":\"00\"}",
         "collateral tcb_info_signature: must be 64 bytes (r || s)"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        assert_int_equal(ds_collateral_from_json(BAD[i].json, strlen(BAD[i].json), &back, err,
                                                 sizeof err), DS_ERR_PARSE);
        assert_string_equal(err, BAD[i].err);
        assert_null(back.tcb_info);
    }
    /* Root as PEM or DER; anything else is rejected. */
    uint8_t *der;
    size_t dl, rl;
    const uint8_t *root = ds_pki_root_der(p, &rl);
    const char *pem = ds_pki_root_pem(p);
    assert_int_equal(ds_qverify_root_der((const uint8_t *)pem, strlen(pem), &der, &dl), DS_OK);
    assert_int_equal(dl, rl);
    assert_memory_equal(der, root, rl);
    free(der);
    assert_int_equal(ds_qverify_root_der(root, rl, &der, &dl), DS_OK);
    assert_memory_equal(der, root, rl);
    free(der);
    assert_int_equal(ds_qverify_root_der(root, rl - 3, &der, &dl), DS_ERR_PARSE);
    assert_int_equal(ds_qverify_root_der((const uint8_t *)"hello", 5, &der, &dl), DS_ERR_PARSE);
    ds_buf_free(&j);
    ds_pki_free(p);
}

/* The context checks a collateral once, reuses it for later quotes and PCK chains, and
 * checks again when the bytes change or `now` leaves the interval where it held. */
static void context_reuse(void **state) {
    (void)state;
    ds_pki *p = test_pki(0x31, NULL), *o = test_pki(0x32, NULL);
    ds_buf q, q2;
    test_quote(p, &q);
    test_quote(o, &q2);
    size_t rl, ol;
    const uint8_t *root = ds_pki_root_der(p, &rl), *oroot = ds_pki_root_der(o, &ol);
    ds_qverify_ctx *ctx = ds_qverify_ctx_new();
    ds_qverify_ctx_stats st;
    ds_qverify_result res;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ds_qverify_ctx_verify(ctx, (const uint8_t *)q.data, q.len, root, rl,
                                               ds_pki_collateral(p), TEST_NOW + i, &res), DS_OK);
        ds_qverify_result_free(&res);
    }
    ds_qverify_ctx_get_stats(ctx, &st);
    assert_int_equal(st.collateral_checks, 1);
    assert_int_equal(st.chain_checks, 1);
    assert_true(st.prepared);
    assert_true(st.valid_from < TEST_NOW && TEST_NOW < st.valid_until);
    /* past the end of the interval: checked again, and the verdict is the one-shot's */
    int64_t late = st.valid_until + 1;
    ds_qverify_ctx_verify(ctx, (const uint8_t *)q.data, q.len, root, rl, ds_pki_collateral(p),
                          late, &res);
    assert_false(res.ok);
    ds_qverify_result_free(&res);
    ds_qverify_ctx_get_stats(ctx, &st);
    assert_int_equal(st.collateral_checks, 2);
    assert_false(st.prepared);
    /* other bytes (another PKI): checked again */
    assert_int_equal(ds_qverify_ctx_verify(ctx, (const uint8_t *)q2.data, q2.len, oroot, ol,
                                           ds_pki_collateral(o), TEST_NOW, &res), DS_OK);
    ds_qverify_result_free(&res);
    ds_qverify_ctx_get_stats(ctx, &st);
    assert_int_equal(st.collateral_checks, 3);
    /* a quote of the first PKI under the second's trust fails like the one-shot */
    assert_int_equal(ds_qverify((const uint8_t *)q.data, q.len, oroot, ol, ds_pki_collateral(o),
                                TEST_NOW, &res), DS_ERR_VERIFY);
    ds_qverify_result_free(&res);
    ds_qverify_ctx_free(ctx);
    ds_buf_free(&q);
    ds_buf_free(&q2);
    ds_pki_free(p);
    ds_pki_free(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_own_quote),
        cmocka_unit_test(context_reuse),
        cmocka_unit_test(wrong_root),
        cmocka_unit_test(flipped_report_data),
        cmocka_unit_test(flipped_quote_signature),
        cmocka_unit_test(flipped_qe_report_signature),
        cmocka_unit_test(tampered_qe_report),
        cmocka_unit_test(mismatched_attestation_key),
        cmocka_unit_test(certificate_validity),
        cmocka_unit_test(crl_and_collateral_validity),
        cmocka_unit_test(revocation),
        cmocka_unit_test(tcb_statuses),
        cmocka_unit_test(td_attributes),
        cmocka_unit_test(collateral_signatures),
        cmocka_unit_test(qe_identity_policy),
        cmocka_unit_test(tcb_info_matching),
        cmocka_unit_test(malformed_inputs),
        cmocka_unit_test(collateral_json_io),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
