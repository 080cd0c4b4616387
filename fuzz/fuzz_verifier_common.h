/* fuzz_verifier_common.h — the `dstack-verify serve` verifier that the service-level
 * targets (fuzz_verifyreq, fuzz_multipart) run inputs through: the fuzzers' simulated PKI
 * (fuzz_pki_common.h) as its root and collateral, one reused verification context, and a
 * fixed time inside every validity window — as the service runs it.
 */
#ifndef FUZZ_VERIFIER_COMMON_H
#define FUZZ_VERIFIER_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "fuzz_pki_common.h"
#include "vf_serve.h"

/* Builds the PKI into *f and the verifier over it into *v (aborts on failure). */
static inline void fz_verifier_init(fz_pki *f, vf_verifier *v) {
    fz_pki_init(f);
    memset(v, 0, sizeof *v);
    v->root_der = (uint8_t *)f->root;
    v->root_len = f->root_len;
    if (ds_collateral_copy(&v->col, ds_pki_collateral(f->pki)) != DS_OK) abort();
    if (!(v->qctx = ds_qverify_ctx_new())) abort();
    v->now = FZ_PKI_NOW;
}

#endif
