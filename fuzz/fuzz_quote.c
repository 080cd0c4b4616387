/* fuzz_quote.c — libFuzzer target: the TDX v4 quote parser (lib/tdx/ds_quote.c).
 *
 * Invariants: every pointer the parser returns lies inside the input with its length;
 * the attestation-signature check runs on anything (and fails cleanly on garbage).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_quote.h"
#include "fuzz_util.h"

static void in_buf(const uint8_t *buf, size_t len, const uint8_t *p, size_t n) {
    if (!p) {
        FZ_CHECK(n == 0);
        return;
    }
    FZ_CHECK(p >= buf && n <= len && (size_t)(p - buf) <= len - n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* An exact-size heap copy, so ASan sees a read one byte past the end. */
    uint8_t *buf = malloc(size ? size : 1);
    FZ_CHECK(buf != NULL);
    if (size) memcpy(buf, data, size);
    ds_quote q;
    ds_err e = ds_quote_parse(buf, size, &q);
    FZ_CHECK(e == DS_OK || e == DS_ERR_PARSE);
    if (e == DS_OK) {
        FZ_CHECK(size >= DS_QUOTE_SIGNED_LEN);
        in_buf(buf, size, q.cert_data, q.cert_data_len);
        if (q.cert_type == DS_CERT_TYPE_QE_REPORT) {
            in_buf(buf, size, q.qe_report, DS_QE_REPORT_LEN);
            in_buf(buf, size, q.qe_report_sig, 64);
            in_buf(buf, size, q.qe_auth_data, q.qe_auth_len);
            in_buf(buf, size, q.inner_cert, q.inner_cert_len);
        }
    }
    e = ds_quote_verify_att_sig(buf, size);
    FZ_CHECK(e == DS_OK || e == DS_ERR_PARSE || e == DS_ERR_VERIFY);
    free(buf);
    return 0;
}
