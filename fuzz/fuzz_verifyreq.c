/* fuzz_verifyreq.c — libFuzzer target: the POST /verify request of `dstack-verify serve`
 * (verifier/vf_vreq.c decoding, the V0 attestation decoder, and the three stages in
 * vf_vcheck.c) against the simulated PKI's real root and collateral, through one reused
 * verification context as the service runs it.
 *
 * Invariants: the status is 200, 400 or 422; the body is one JSON object; a 200 carries
 * is_valid / details / reason in upstream's order, and is_valid is never true (no image
 * cache is configured, so no input can pass the OS-image stage); a 400/422 is Rocket's
 * catcher shape with the same code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz_util.h"
#include "fuzz_verifier_common.h"
#include "vf_serve.h"

static fz_pki F;
static vf_verifier V;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fz_verifier_init(&F, &V);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_buf out;
    ds_buf_init(&out);
    int status = 0;
    vf_verify_body(&V, data, size, &status, &out);
    FZ_CHECK(status == 200 || status == 400 || status == 422);
    FZ_CHECK(!out.oom && out.len > 0);
    cJSON *j = cJSON_ParseWithLength(out.data, out.len);
    FZ_CHECK(cJSON_IsObject(j));
    if (status == 200) {
        const cJSON *c = j->child;
        FZ_CHECK(c && !strcmp(c->string, "is_valid") && cJSON_IsFalse(c));
        FZ_CHECK(c->next && !strcmp(c->next->string, "details") && cJSON_IsObject(c->next));
        FZ_CHECK(c->next->next && !strcmp(c->next->next->string, "reason") &&
                 cJSON_IsString(c->next->next));
    } else {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
        FZ_CHECK(cJSON_IsNumber(code) && code->valueint == status);
    }
    cJSON_Delete(j);
    ds_buf_free(&out);
    return 0;
}
