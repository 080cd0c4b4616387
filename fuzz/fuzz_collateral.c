/* fuzz_collateral.c — libFuzzer target: collateral JSON (ds_collateral_from_json, the
 * dcap-qvl shape) and the verifier's handling of hostile collateral: TCB info and QE
 * identity JSON, their signatures and issuer chains, both CRLs.
 *
 * The input is a collateral JSON document; when it parses, it must serialise and parse
 * back to the same JSON, and a genuine quote is verified against it. Invariant: the
 * verdict is consistent, and collateral whose tcb_info or qe_identity text differs from
 * the genuine bytes never verifies (their signatures cover exactly those bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_qverify.h"
#include "fuzz_pki_common.h"
#include "fuzz_util.h"

static fz_pki F;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fz_pki_init(&F);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_collateral c;
    char err[256];
    ds_err e = ds_collateral_from_json((const char *)data, size, &c, err, sizeof err);
    FZ_CHECK(e == DS_OK || e == DS_ERR_PARSE);
    if (e != DS_OK) return 0;
    ds_buf j1, j2;
    ds_buf_init(&j1);
    ds_buf_init(&j2);
    FZ_CHECK(ds_collateral_to_json(&c, &j1) == DS_OK);
    ds_collateral c2;
    FZ_CHECK(ds_collateral_from_json(j1.data, j1.len, &c2, err, sizeof err) == DS_OK);
    FZ_CHECK(ds_collateral_to_json(&c2, &j2) == DS_OK);
    FZ_CHECK(j1.len == j2.len && !memcmp(j1.data, j2.data, j1.len));
    ds_collateral_free(&c2);
    ds_buf_free(&j1);
    ds_buf_free(&j2);

    ds_qverify_result r;
    e = ds_qverify((const uint8_t *)F.quote.data, F.quote.len, F.root, F.root_len, &c,
                   FZ_PKI_NOW, &r);
    FZ_CHECK(e == DS_OK || e == DS_ERR_VERIFY || (e == DS_ERR_NOMEM && r.oom));
    FZ_CHECK((e == DS_OK) == (r.ok == 1));
    if (e == DS_OK) {
        const ds_collateral *g = ds_pki_collateral(F.pki);
        FZ_CHECK(!strcmp(c.tcb_info, g->tcb_info) && !strcmp(c.qe_identity, g->qe_identity));
    }
    ds_qverify_result_free(&r);
    ds_collateral_free(&c);
    return 0;
}
