/* fuzz_pki_common.h — the simulated Intel PKI that the verifier targets check against:
 * built once per fuzzer process from a fixed seed (as the simulator builds its own), with
 * one valid quote signed under it.
 */
#ifndef FUZZ_PKI_COMMON_H
#define FUZZ_PKI_COMMON_H

#include "ds_json.h"
#include "ds_pki.h"

/* Verification time: inside every validity window of the default PKI. */
#define FZ_PKI_NOW (DS_PKI_NOT_BEFORE + 365LL * 86400)

typedef struct {
    ds_pki *pki;
    const uint8_t *root;
    size_t root_len;
    ds_buf quote;        /* a valid quote */
} fz_pki;

/* Builds it (aborts on failure). */
static inline void fz_pki_init(fz_pki *f) {
    uint8_t seed[32];
    for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(0x5a ^ i);
    ds_pki_config cfg;
    ds_pki_config_default(&cfg, seed);
    if (ds_pki_new(&cfg, &f->pki) != DS_OK) abort();
    f->root = ds_pki_root_der(f->pki, &f->root_len);
    ds_td_report r;
    ds_pki_td_report(f->pki, &r);
    memset(r.report_data, 0x42, sizeof r.report_data);
    ds_buf_init(&f->quote);
    if (ds_pki_quote(f->pki, &r, &f->quote) != DS_OK) abort();
}

#endif
