/* fuzz_multipart.c — libFuzzer target: the request bodies of Phala Cloud's attestation API
 * in `dstack-verify serve` (verifier/vf_form.c: multipart/form-data, urlencoded, JSON hex)
 * and the whole POST /api/v1/attestations/verify handler (verifier/vf_pcapi.c) against the
 * simulated PKI's real root and collateral, through one reused verification context and
 * one small quote store (so eviction runs too).
 *
 * Input: the Content-Type header value up to the first '\n', then the body.
 * Invariants: every part vf_multipart_parse reports lies inside the body, in order, with a
 * NUL-terminated non-empty name; vf_pc_input gives 0 with a quote or 400 with a detail;
 * the handler answers 200 (a VerificationResponse whose checksum is the SHA-256 of the
 * quote and whose quote.verified is true), 400 or 422, always one JSON object with a
 * "detail" on error; the store never holds more than its caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "fuzz_util.h"
#include "fuzz_verifier_common.h"
#include "vf_form.h"
#include "vf_pcapi.h"

static fz_pki F;
static vf_verifier V;
static vf_pc_api API;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fz_verifier_init(&F, &V);
    API.v = &V;
    vf_pc_store_init(&API.store, 4, 3 * F.quote.len);
    return 0;
}

typedef struct {
    const uint8_t *body, *end, *last;
} span_check;

static int on_part(const vf_part *p, void *arg) {
    span_check *c = arg;
    FZ_CHECK(p->data >= c->body && p->data + p->len <= c->end && p->data >= c->last);
    FZ_CHECK(p->name[0] && memchr(p->name, '\0', sizeof p->name));
    c->last = p->data + p->len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nl = memchr(data, '\n', size);
    size_t cl = nl ? (size_t)(nl - data) : 0;
    char *ctype = malloc(cl + 1);
    FZ_CHECK(ctype != NULL);
    memcpy(ctype, data, cl);
    ctype[cl] = '\0';
    if (strlen(ctype) != cl) { /* a NUL in a header line cannot reach the service */
        free(ctype);
        return 0;
    }
    const uint8_t *body = nl ? nl + 1 : data;
    size_t blen = nl ? size - cl - 1 : size;

    char b[VF_MULTIPART_MAX_BOUNDARY + 1], why[256];
    if (vf_multipart_boundary(ctype, b, sizeof b) == 0) {
        FZ_CHECK(b[0] && strlen(b) <= VF_MULTIPART_MAX_BOUNDARY);
        span_check c = {body, body + blen, body};
        int r = vf_multipart_parse(b, body, blen, on_part, &c, why, sizeof why);
        FZ_CHECK(r == 0 || (r == -1 && why[0]));
    }
    uint8_t *q = NULL;
    size_t qlen = 0;
    why[0] = '\0';
    int st = vf_pc_input(ctype, body, blen, &q, &qlen, why, sizeof why);
    FZ_CHECK((st == 0 && q) || (st == 400 && !q && why[0]));

    vf_pc_reply r;
    vf_pc_reply_init(&r);
    const char *path = "/api/v1/attestations/verify";
    vf_pc_handle(&API, VF_PC_POST, path, strlen(path), NULL, ctype, NULL, body, blen, &r);
    FZ_CHECK(r.status == 200 || r.status == 400 || r.status == 422);
    FZ_CHECK(st == 0 || r.status == 400);
    FZ_CHECK(!r.body.oom && r.body.len > 0);
    cJSON *j = cJSON_ParseWithLength(r.body.data, r.body.len);
    FZ_CHECK(cJSON_IsObject(j));
    if (r.status == 200) {
        uint8_t sum[32];
        char hex[65];
        ds_sha256(q, qlen, sum);
        ds_hex_encode(sum, 32, hex);
        const cJSON *cs = cJSON_GetObjectItemCaseSensitive(j, "checksum");
        const cJSON *qq = cJSON_GetObjectItemCaseSensitive(j, "quote");
        FZ_CHECK(cJSON_IsString(cs) && !strcmp(cs->valuestring, hex));
        FZ_CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(qq, "verified")));
        FZ_CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "proof_of_cloud")));
    } else {
        FZ_CHECK(cJSON_GetObjectItemCaseSensitive(j, "detail") != NULL);
    }
    FZ_CHECK(API.store.n <= 4 && API.store.bytes <= 3 * F.quote.len);
    cJSON_Delete(j);
    vf_pc_reply_free(&r);
    free(q);
    free(ctype);
    return 0;
}
