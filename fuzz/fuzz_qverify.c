/* fuzz_qverify.c — libFuzzer target: the C quote verifier (lib/tdx/ds_qverify*.c) on hostile
 * quotes, with genuine collateral and root.
 *
 * The input is a quote. Everything the verifier reads from it — header, TD report,
 * signature, attestation key, QE report, QE auth data, the PEM PCK chain and its SGX
 * extension — is attacker-controlled. Invariants: the result is consistent (ok ⇔ DS_OK ⇔
 * no reasons), it serialises to valid JSON, and a quote that differs from the genuine one
 * anywhere in its first 632 bytes never verifies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ds_qverify.h"
#include "fuzz_pki_common.h"
#include "fuzz_util.h"

static fz_pki F;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fz_pki_init(&F);
    /* Sanity: the genuine quote verifies. */
    ds_qverify_result r;
    if (ds_qverify((const uint8_t *)F.quote.data, F.quote.len, F.root, F.root_len,
                   ds_pki_collateral(F.pki), FZ_PKI_NOW, &r) != DS_OK)
        abort();
    ds_qverify_result_free(&r);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *buf = malloc(size ? size : 1);
    FZ_CHECK(buf != NULL);
    if (size) memcpy(buf, data, size);
    ds_qverify_result r;
    ds_err e = ds_qverify(buf, size, F.root, F.root_len, ds_pki_collateral(F.pki), FZ_PKI_NOW, &r);
    FZ_CHECK(e == DS_OK || e == DS_ERR_VERIFY || (e == DS_ERR_NOMEM && r.oom));
    FZ_CHECK((e == DS_OK) == (r.ok == 1));
    if (e == DS_OK) FZ_CHECK(r.n_reasons == 0);
    if (e == DS_ERR_VERIFY) FZ_CHECK(r.n_reasons > 0);
    if (e == DS_OK)
        FZ_CHECK(size >= DS_QUOTE_SIGNED_LEN && F.quote.len >= DS_QUOTE_SIGNED_LEN &&
                 !memcmp(buf, F.quote.data, DS_QUOTE_SIGNED_LEN));
    ds_buf j;
    ds_buf_init(&j);
    FZ_CHECK(ds_qverify_result_json(&r, &j) == DS_OK);
    cJSON *p = cJSON_ParseWithLength(j.data, j.len);
    FZ_CHECK(cJSON_IsObject(p));
    cJSON_Delete(p);
    ds_buf_free(&j);
    ds_qverify_result_free(&r);
    free(buf);
    return 0;
}
