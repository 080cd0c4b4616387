/* cmd_diagnose_target.c — `diagnose --target ADDRESS --call …`: one given chain (or GetKey
 * reply) through a deployed contract, and the answer explained with the words of
 * `matrix --target`: which format the chain is in (from diagnose's offline recovery) and
 * what that means for a contract that accepts or rejects it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hex.h"
#include "hx_cmd.h"
#include "hx_diagnose.h"
#include "hx_out.h"
#include "hx_search.h"

int hx_diagnose_target(const hx_diag_target *in, hx_diag_answer *out) {
    char err[1024], words[400], a[43], b[43];
    hx_target *t;
    memset(out, 0, sizeof *out);
    int prc = hx_target_prepare("diagnose", in->target, in->call, in->from, in->rpc, &t);
    if (prc != 0) return prc;
    uint8_t to[20];
    memcpy(to, t->to, 20);
    hx_setf(out->call, sizeof out->call, "%s", t->spec.sig);
    hx_trial tr = {in->app_id, in->app_pub, in->derived, in->link0,
                   in->link1,  in->s,       in->version, 0};
    int rc = 0, speaks = in->format ? t->spec.speaks[in->format->ax.version] : 1;
    char d[600], sh[160];
    size_t n = 0;
    for (int k = 0; k < t->spec.nshapes; k++) {
        int acc = 0;
        tr.shape = k;
        if (hx_target_try(t, &tr, &acc, d, sizeof d, err, sizeof err) != 0) {
            hx_fail("%s", err);
            rc = 1;
            break;
        }
        /* every encoding's answer when they differ (one of them is the contract's real check) */
        if (acc) n = 0;
        if (acc || k == 0 || !strstr(out->detail, d))
            n += (size_t)snprintf(
                out->detail + n, n < sizeof out->detail ? sizeof out->detail - n : 0, "%s%s%s%s",
                n ? "; " : "", t->spec.nshapes > 1 ? hx_shape_str(&t->spec, k, sh, sizeof sh) : "",
                t->spec.nshapes > 1 ? ": " : "", d);
        if (acc) {
            out->accepted = 1;
            hx_shape_str(&t->spec, k, out->shape, sizeof out->shape);
            break;
        }
    }
    hx_target_free(t);
    if (rc) return rc;
    const hx_variant *f = in->format;
    const char *root = in->root ? hx_addr(in->root, a) : NULL;
    if (out->accepted && f && hx_variant_is_canonical(f))
        HX_SET(out->verdict,
               "The contract accepts this chain, which is in dstack's own %s format (KMS root %s).",
               f->ax.version ? "v1" : "v0", root ? root : "?");
    else if (out->accepted && f)
        HX_SET(out->verdict,
               "The contract accepts this chain, which is NOT dstack's format but %s: %s. It will "
               "reject "
               "dstack's real chains; `dstack-harness matrix --target %s --call …` shows every "
               "format it takes.",
               f->name, hx_dev_words(f, words, sizeof words), hx_addr(to, b));
    else if (out->accepted)
        HX_SET(out->verdict,
               "The contract accepts this chain, whose format the catalogue does not recognise.");
    else if (f && !speaks)
        HX_SET(out->verdict,
               "The contract rejects this chain: it is a %s chain (%s), and the call takes the %s "
               "claim's "
               "arguments (%s) — ask dstack for a %s chain (%s) to test this function.",
               f->ax.version ? "v1" : "v0", f->name, f->ax.version ? "v0" : "v1",
               f->ax.version ? "purpose" : "domain, algorithm", f->ax.version ? "v0" : "v1",
               f->ax.version ? "GetKey" : "/v1/GetKey");
    else if (f && hx_variant_is_canonical(f))
        HX_SET(out->verdict,
               "The contract rejects this chain although it is in dstack's own %s format (KMS root "
               "%s): %s. "
               "Does the contract trust that root? `dstack-harness matrix --target %s --call …` "
               "finds the "
               "format the contract implements.",
               f->ax.version ? "v1" : "v0", root ? root : "?", out->detail, hx_addr(to, b));
    else if (f)
        HX_SET(out->verdict,
               "The contract rejects this chain, which is not in dstack's format but %s (%s): a "
               "chain from "
               "dstack itself is what to test it with.",
               f->name, hx_dev_words(f, words, sizeof words));
    else
        HX_SET(out->verdict,
               "The contract rejects this chain (%s), and the chain recovers in no catalogue "
               "format to a root "
               "you named: give --expected-root, or test the contract with `matrix --target`.",
               out->detail);
    return 0;
}
