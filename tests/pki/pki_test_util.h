/* pki_test_util.h — helpers shared by the PKI / quote verifier suites. */
#ifndef PKI_TEST_UTIL_H
#define PKI_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "unit_util.h"

#include "ds_pki.h"
#include "ds_qverify.h"
#include "ds_quote.h"

/* The tests' fixed "now": 2026-01-01T00:00:00Z. */
#define TEST_NOW 1767225600LL

static inline void test_seed(uint8_t seed[32], uint8_t b) {
    memset(seed, b, 32);
}

/* A PKI from seed byte b with the default configuration, or cfg when given. */
static inline ds_pki *test_pki(uint8_t b, const ds_pki_config *cfg) {
    ds_pki_config c;
    uint8_t seed[32];
    test_seed(seed, b);
    if (cfg) c = *cfg;
    else ds_pki_config_default(&c, seed);
    ds_pki *p = NULL;
    assert_int_equal(ds_pki_new(&c, &p), DS_OK);
    assert_non_null(p);
    return p;
}

/* A signed quote with the PKI's default TD report and report_data[0..3] = "rd!" + b. */
static inline void test_quote(ds_pki *p, ds_buf *out) {
    ds_td_report r;
    ds_pki_td_report(p, &r);
    memcpy(r.report_data, "rd!", 3);
    ds_buf_init(out);
    assert_int_equal(ds_pki_quote(p, &r, out), DS_OK);
    assert_false(out->oom);
}

/* ds_qverify, checked against a context: the same inputs through one long-lived context
 * (kept across calls, so the collateral and PCK chain checks are reused whenever they
 * can be), twice, must give a result whose JSON is byte-identical to the one-shot's. */
static inline ds_err test_qverify_checked(const uint8_t *quote, size_t quote_len,
                                          const uint8_t *root, size_t root_len,
                                          const ds_collateral *col, int64_t now,
                                          ds_qverify_result *res) {
    static ds_qverify_ctx *ctx;
    ds_err e = ds_qverify(quote, quote_len, root, root_len, col, now, res);
    if (!res || !quote || !root || !col) return e;
    if (!ctx) ctx = ds_qverify_ctx_new();
    ds_buf want;
    ds_buf_init(&want);
    ds_qverify_result_json(res, &want);
    for (int pass = 0; pass < 2; pass++) {
        ds_qverify_result r2;
        ds_buf got;
        ds_buf_init(&got);
        assert_int_equal(ds_qverify_ctx_verify(ctx, quote, quote_len, root, root_len, col, now, &r2), e);
        ds_qverify_result_json(&r2, &got);
        assert_string_equal(got.data, want.data);
        ds_buf_free(&got);
        ds_qverify_result_free(&r2);
    }
    ds_buf_free(&want);
    return e;
}

/* Verifies with p's root and the given collateral at `now`. */
static inline ds_err test_verify(const ds_buf *q, const ds_pki *root_of, const ds_collateral *col,
                                 int64_t now, ds_qverify_result *res) {
    size_t rl;
    const uint8_t *root = ds_pki_root_der(root_of, &rl);
    return test_qverify_checked((const uint8_t *)q->data, q->len, root, rl, col, now, res);
}

/* 1 when some reason equals `want` exactly. */
static inline int has_reason(const ds_qverify_result *r, const char *want) {
    for (size_t i = 0; i < r->n_reasons; i++)
        if (strcmp(r->reasons[i], want) == 0) return 1;
    return 0;
}

/* Asserts the result failed with exactly the given reasons (in order). */
#define assert_reasons(res, ...)                                                           \
    do {                                                                                   \
        const char *want_[] = {__VA_ARGS__};                                               \
        size_t nw_ = sizeof want_ / sizeof *want_;                                         \
        if ((res)->n_reasons != nw_) {                                                     \
            for (size_t i_ = 0; i_ < (res)->n_reasons; i_++)                               \
                fprintf(stderr, "  reason: %s\n", (res)->reasons[i_]);                     \
        }                                                                                  \
        assert_int_equal((res)->n_reasons, nw_);                                           \
        for (size_t i_ = 0; i_ < nw_; i_++) assert_string_equal((res)->reasons[i_], want_[i_]); \
        assert_false((res)->ok);                                                           \
    } while (0)

#endif
