/* cmd_diagnose.c — `dstack-harness diagnose`: given a chain someone could not verify (or an
 * upstream appkeys.json), recover it under every variant of the mismatch catalogue, say
 * which KMS root each variant yields and which one matches what the user expected, and
 * explain the expected roots that cannot match.
 *
 * Inputs (see USAGE): a full chain with the derived key; an appkeys.json (app key +
 * static KMS link); or only digests and public keys (when the signatures are not at hand),
 * in which case the format is identified from the digests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hex.h"
#include "ds_secp.h"
#include "hx_anvil.h"
#include "hx_cmd.h"
#include "hx_diagnose.h"
#include "hx_keys.h"
#include "hx_out.h"
#include "hx_variant.h"

static const char USAGE[] =
    "usage: dstack-harness diagnose [inputs] [--expected-root ADDR[=LABEL]]... [options]\n"
    "\n"
    "Recovers a signature chain under every variant of the mismatch catalogue and says\n"
    "which KMS root each yields and which, if any, matches the root you expected.\n"
    "\n"
    "inputs, one of:\n"
    "  a chain:    --app-sig HEX --kms-sig HEX (or --chain HEX,HEX, or --getkey FILE with\n"
    "              a GetKey response) --app-id HEX --purpose S and --derived-pub HEX or\n"
    "              --key HEX (the derived private key, as GetKey returns it)\n"
    "  appkeys:    --appkeys FILE --app-id HEX   (an upstream simulator appkeys.json: its\n"
    "              k256_key is the app key, its k256_signature the KMS link)\n"
    "  digests:    --app-id HEX --app-pub HEX --purpose S --derived-pub HEX\n"
    "              [--app-digest HEX] [--kms-digest HEX] [--root-pub HEX]\n"
    "options:\n"
    "  --app-pub HEX          the app public key, when known (checked against the chain)\n"
    "  --expected-root ADDR   a root you expected (repeatable; \"=label\" names it)\n"
    "  --contract ADDR        also expect the roots a deployed contract trusts (needs the\n"
    "                         chain: --rpc URL, or the deployment of `up`)\n"
    "  --rpc URL              chain for --contract, --target and \"is this a contract?\"\n"
    "                         checks (default: the running `up`, else http://127.0.0.1:8545)\n"
    "  --domain S             the v1 GetKey domain: adds the v1 rows (v1-canonical and the\n"
    "                         v1 claim mistakes); with no --purpose the chain is read as v1\n"
    "  --path P               the GetKey path (for the v1-domain-path row)\n"
    "  --target ADDRESS --call 'name(type arg, ...)'\n"
    "                         also run the chain through that contract (eth_call) and explain\n"
    "                         its answer; the call is read as for `matrix --target`\n"
    "  --from ADDRESS         msg.sender of that call (default: the chain's first account)\n"
    "  --state FILE, --json, --quiet\n"
    "\n"
    "Exit 0 when the chain recovers in dstack's canonical format to an expected root (or,\n"
    "with no expected root, recovers at all); 1 otherwise; 2 for bad usage.\n";

#define MAX_EXPECT 16

typedef struct {
    uint8_t addr[20];
    char label[96];
    int matched;         /* canonical root equals it */
    char why[600];
} expect;

typedef struct {
    const hx_variant *v;
    int app_ok, root_ok;
    uint8_t app_pub[33], root_pub[33], root[20];
    int match;           /* index into expected, or -1 */
    int app_digest_match, kms_digest_match;
} result;

static int parse_hex(const char *name, const char *s, uint8_t *out, size_t min, size_t max, size_t *len) {
    size_t n = 0;
    if (ds_hex_decode(s, strlen(s), out, max, &n) != DS_OK || n < min) {
        if (min == max)
            hx_fail("diagnose: %s must be %zu bytes of hex", name, min);
        else
            hx_fail("diagnose: %s must be hex (%zu..%zu bytes)", name, min, max);
        return -1;
    }
    if (len) *len = n;
    return 0;
}

/* The roots a deployed contract trusts (getKmsRoots, else kmsRootAddress). */
static int contract_roots(const char *url, const uint8_t addr[20], expect *e, int *ne, int quiet) {
    hx_chain c;
    ds_abi_value pool[40];
    char a[43];
    if (hx_chain_open(&c, url) != 0) {
        hx_fail("%s", c.err);
        return -1;
    }
    int rv = hx_call(&c, NULL, addr, "getKmsRoots()", NULL, 0, "(address[])", pool, 40);
    if (rv == 0) {
        for (size_t i = 0; i < pool[0].items[0].n && *ne < MAX_EXPECT; i++) {
            memcpy(e[*ne].addr, ds_abi_get_address(&pool[0].items[0].items[i]), 20);
            HX_SET(e[*ne].label, "trusted by contract %s", hx_addr(addr, a));
            (*ne)++;
        }
    } else if ((rv = hx_call(&c, NULL, addr, "kmsRootAddress()", NULL, 0, "(address)", pool, 40)) == 0 && *ne < MAX_EXPECT) {
        memcpy(e[*ne].addr, ds_abi_get_address(&pool[0].items[0]), 20);
        HX_SET(e[*ne].label, "kmsRootAddress() of contract %s", hx_addr(addr, a));
        (*ne)++;
    }
    if (rv != 0 && !quiet)
        hx_fail("reading the roots of %s: %s", hx_addr(addr, a), rv == 1 ? c.revert : c.err);
    hx_chain_close(&c);
    return rv == 0 ? 0 : -1;
}

static int has_code(const char *url, const uint8_t addr[20]) {
    ds_rpc r;
    size_t n = 0;
    if (url == NULL || ds_rpc_open(&r, url) != DS_OK) return 0;
    r.timeout_ms = 2000;
    int yes = ds_rpc_code_size(&r, addr, &n) == DS_OK && n > 0;
    ds_rpc_close(&r);
    return yes;
}

typedef struct {
    uint8_t link0[65], link1[65], app_id[20], derived[33], app_pub[33], app_dg[32], kms_dg[32],
        root_pub[33], contract[20];
    int have_l0, have_l1, have_id, have_derived, have_app, have_adg, have_kdg, have_rootpub,
        have_contract;
    const char *purpose, *appkeys, *rpc, *domain, *path, *target, *call, *from;
    expect exp[MAX_EXPECT];
    int ne;
    hx_appkeys keys;
} diag_in;

/* Why expected root e is not the canonical root of this chain. */
static void explain(expect *e, const result *res, size_t nres, const diag_in *in, const char *url) {
    char a[43];
    uint8_t app_addr[20];
    const result *canon = &res[0];
    const uint8_t *app = in->have_app ? in->app_pub : canon->app_ok ? canon->app_pub : NULL;
    if (app != NULL && ds_secp_address(app, 33, app_addr) == DS_OK && !memcmp(app_addr, e->addr, 20)) {
        HX_SET(e->why, "this is the app key's address (the signer of chain[0]), not the KMS root; the KMS root "
                       "is the signer of chain[1]");
        return;
    }
    if (in->keys.have_p256 && (!memcmp(in->keys.p256_keccak, e->addr, 20) || !memcmp(in->keys.p256_as_k256, e->addr, 20))) {
        HX_SET(e->why, "computed from the key_provider key, which is a %s (P-256) key: it signs TLS certificates, "
                       "not chains, and is not a secp256k1 key",
               in->keys.p256_curve);
        return;
    }
    if (canon->root_ok && !memcmp(canon->root_pub + 13, e->addr, 20)) {
        HX_SET(e->why, "these are the last 20 bytes of the compressed root key; an address is keccak256(x||y)[12:] "
                       "of the uncompressed key");
        return;
    }
    for (size_t i = 1; i < nres; i++)
        if (res[i].root_ok && !memcmp(res[i].root, e->addr, 20)) {
            HX_SET(e->why, "this is what the chain recovers to when the message is built as \"%s\" (%s): the "
                           "verifier that expects it uses a wrong format",
                   res[i].v->name, res[i].v->what);
            return;
        }
    if (hx_known_root(e->addr) != NULL && canon->root_ok) {
        HX_SET(e->why, "that is %s: another KMS than the one that signed this chain (whose root is %s)",
               hx_known_root(e->addr), hx_addr(canon->root, a));
        return;
    }
    if (has_code(url, e->addr)) {
        HX_SET(e->why, "this address holds a contract on the chain; a KMS root is the address of a secp256k1 key");
        return;
    }
    if (canon->root_ok)
        HX_SET(e->why, "no variant of this chain recovers to it, so it is not derived from the chain at all: a "
                       "deployed contract's configured root is whatever its deployer set (a stale deployment, or "
                       "an address computed from the wrong key). The chain's root is %s.%s",
               hx_addr(canon->root, a),
               in->keys.have_p256 ? " If it was computed from the key_provider PEM key: that is a P-256 key, not "
                                    "secp256k1 (see the note), so nothing computed from it can be the chain's root."
                                  : "");
    else
        HX_SET(e->why, "no variant of this chain recovers to it");
}

static const char *yesno(int b) { return b ? "yes" : "no"; }

static int run(diag_in *in) {
    char err[1024], a[43], url[256] = "";
    hx_state st;
    if (in->rpc)
        HX_SET(url, "%s", in->rpc);
    else {
        if (hx_state_path[0] == '\0') hx_state_default_path(hx_state_path, sizeof hx_state_path);
        if (hx_state_load(hx_state_path, &st, err, sizeof err) == 0 && hx_chain_ping(st.rpc_url, NULL, err, sizeof err) == 0)
            HX_SET(url, "%s", st.rpc_url);
    }
    if (in->appkeys) {
        if (hx_appkeys_load(in->appkeys, &in->keys, err, sizeof err) != 0) {
            hx_fail("%s", err);
            return 1;
        }
        if (in->keys.have_app_key && !in->have_app) {
            memcpy(in->app_pub, in->keys.app_pub, 33);
            in->have_app = 1;
        }
        if (in->keys.have_link1 && !in->have_l1) {
            memcpy(in->link1, in->keys.link1, 65);
            in->have_l1 = 1;
        }
        hx_progress("%s: app key %s, KMS link %s, key_provider %s", in->appkeys, in->keys.have_app_key ? "present" : "absent",
                    in->keys.have_link1 ? "present" : "absent", in->keys.have_p256 ? in->keys.p256_curve : "absent");
    }
    int chain_mode = in->have_l0 && in->have_l1;
    int kms_mode = !chain_mode && in->have_l1 && in->have_app;
    int digest_mode = !in->have_l1 && (in->have_adg || in->have_kdg);
    if (!in->have_id) return hx_usage_error("diagnose", "--app-id is required (the 20-byte app id the KMS signed)");
    if (chain_mode && (!in->have_derived || (in->purpose == NULL && in->domain == NULL)))
        return hx_usage_error("diagnose", "a chain needs --purpose (v0) or --domain (v1) and the "
                                          "derived key (--derived-pub or --key)");
    if (in->target && (!chain_mode || in->call == NULL))
        return hx_usage_error("diagnose",
                              "--target needs a chain and --call 'name(type arg, ...)'");
    if (digest_mode && in->have_adg && (!in->have_derived || in->purpose == NULL))
        return hx_usage_error("diagnose", "--app-digest needs --purpose and --derived-pub");
    if (digest_mode && in->have_kdg && !in->have_app) return hx_usage_error("diagnose", "--kms-digest needs --app-pub");
    if (!chain_mode && !kms_mode && !digest_mode)
        return hx_usage_error("diagnose", "give a chain (--app-sig/--kms-sig), an --appkeys file, or digests");
    if (in->have_contract) {
        if (!url[0]) {
            hx_fail("--contract needs a chain: --rpc URL, or a running deployment (`dstack-harness up`)");
            return 1;
        }
        if (contract_roots(url, in->contract, in->exp, &in->ne, 0) != 0) return 1;
    }
    uint8_t taddr[20];
    if (in->target && !url[0]) HX_SET(url, "http://127.0.0.1:8545");
    if (in->target && !in->have_contract && hx_url_is_loopback(url) &&
        ds_hex_decode_exact(in->target, strlen(in->target), taddr, 20) == DS_OK)
        contract_roots(url, taddr, in->exp, &in->ne, 1); /* the roots it trusts, if it says */
    if (in->have_rootpub && in->ne == 0) hx_progress("--root-pub given without --expected-root: its address is reported");

    result res[64];
    size_t nres = 0;
    /* v0 rows (with a purpose, or without a chain), v1 rows (a chain and a domain); the
     * first row is the canonical format the chain is judged by */
    int v1_first = in->purpose == NULL && in->domain != NULL;
    for (size_t j = 0; j < 2 * HX_NVARIANTS && nres < 64; j++) {
        const hx_variant *v = &HX_VARIANTS[j % HX_NVARIANTS];
        int want_v1 = (j < HX_NVARIANTS) == v1_first;
        if (v->ax.root != DS_VROOT_TRUE || v->ax.version != v->verifier || v->verifier != want_v1)
            continue;
        if (want_v1 ? !chain_mode || in->domain == NULL : chain_mode && in->purpose == NULL)
            continue;
        if ((v->ax.domain_src == DS_VDOM_PATH && !in->path) ||
            (v->ax.domain_src == DS_VDOM_PURPOSE && !in->purpose))
            continue;
        int app_side = v->ax.app_dg || v->ax.app_v27 || v->ax.claim;
        if (kms_mode && app_side) continue; /* no app link to recover: those variants cannot differ */
        result *r = &res[nres++];
        memset(r, 0, sizeof *r);
        r->v = v;
        r->match = -1;
        if (chain_mode) {
            ds_variant_req rq = {in->path, in->purpose, in->domain, DS_KEY_SECP256K1};
            r->app_ok = hx_variant_recover_app(v, &rq, in->derived, in->link0, r->app_pub) == DS_OK;
        } else if (in->have_app) {
            memcpy(r->app_pub, in->app_pub, 33);
            r->app_ok = 1;
        }
        if (r->app_ok && in->have_l1)
            r->root_ok = hx_variant_recover_root(v, in->app_id, r->app_pub, in->link1, r->root_pub, r->root) == DS_OK;
        if (digest_mode) {
            uint8_t msg[512], d[32];
            size_t mlen;
            r->app_digest_match = -1;
            r->kms_digest_match = -1;
            if (in->have_adg && (mlen = hx_variant_claim(v, in->purpose, in->derived, msg, sizeof msg)) > 0) {
                ds_variant_axes_digest(v->ax.app_dg, msg, mlen, d);
                r->app_digest_match = !memcmp(d, in->app_dg, 32);
            }
            if (in->have_kdg && (mlen = hx_variant_kms_msg(v, in->app_id, in->app_pub, msg, sizeof msg)) > 0) {
                ds_variant_axes_digest(v->ax.kms_dg, msg, mlen, d);
                r->kms_digest_match = !memcmp(d, in->kms_dg, 32);
            }
        }
        for (int k = 0; k < in->ne && r->root_ok; k++)
            if (!memcmp(in->exp[k].addr, r->root, 20)) r->match = k;
    }
    const result *canon = &res[0];
    /* which format explains the chain */
    const result *format = NULL;
    const char *format_why = NULL;
    for (size_t i = 0; i < nres && !format; i++)
        if (res[i].match >= 0) {
            format = &res[i];
            format_why = in->exp[res[i].match].label;
        }
    for (size_t i = 0; i < nres && !format; i++)
        if (res[i].root_ok && hx_known_root(res[i].root)) {
            format = &res[i];
            format_why = hx_known_root(res[i].root);
        }
    int digest_ok = 0;
    if (digest_mode) {
        digest_ok = (!in->have_adg || canon->app_digest_match == 1) && (!in->have_kdg || canon->kms_digest_match == 1);
        for (size_t i = 0; i < nres && !format; i++)
            if ((!in->have_adg || res[i].app_digest_match == 1) && (!in->have_kdg || res[i].kms_digest_match == 1)) {
                format = &res[i];
                format_why = "the given digests";
            }
    }
    uint8_t root_in_addr[20];
    int rootpub_match = -1;
    if (in->have_rootpub) {
        ds_secp_address(in->root_pub, 33, root_in_addr);
        for (int k = 0; k < in->ne; k++)
            if (!memcmp(in->exp[k].addr, root_in_addr, 20)) rootpub_match = k;
    }
    for (int k = 0; k < in->ne; k++) {
        if (canon->root_ok && !memcmp(in->exp[k].addr, canon->root, 20)) {
            in->exp[k].matched = 1;
            HX_SET(in->exp[k].why, "the chain's KMS root in dstack's canonical format");
        } else if (k == rootpub_match) {
            in->exp[k].matched = 1;
            HX_SET(in->exp[k].why, "the address of the given --root-pub");
        } else {
            explain(&in->exp[k], res, nres, in, url[0] ? url : NULL);
        }
    }
    int any_match = 0;
    for (int k = 0; k < in->ne; k++) any_match |= in->exp[k].matched;
    int ok;
    if (digest_mode)
        ok = digest_ok && (!in->have_rootpub || in->ne == 0 || rootpub_match >= 0);
    else
        ok = canon->root_ok && (in->ne == 0 || any_match);

    /* notes */
    char notes[8][700];
    int nn = 0;
    if (in->keys.have_p256)
        HX_SET(notes[nn++], "key_provider.None.key is a %s key (P-256), the KMS CA's TLS key: not a secp256k1 key, "
                            "it never signs a chain. Addresses computed from it (%s as a secp256k1 scalar, %s as "
                            "keccak of its point) are not what any variant of the chain recovers to.",
               in->keys.p256_curve, hx_addr(in->keys.p256_as_k256, a), hx_addr(in->keys.p256_keccak, err));
    if (chain_mode && in->have_app && canon->app_ok && memcmp(canon->app_pub, in->app_pub, 33))
        HX_SET(notes[nn++], "chain[0] (canonical) was not signed by the --app-pub you gave: it recovers %s",
               hx_hex(canon->app_pub, 33));
    if (canon->root_ok && hx_known_root(canon->root))
        HX_SET(notes[nn++], "%s is %s", hx_addr(canon->root, a), hx_known_root(canon->root));
    if (!digest_mode && in->ne == 0 && canon->root_ok && !hx_known_root(canon->root))
        HX_SET(notes[nn++], "no expected root given: every variant recovers *some* address, so only a root you trust "
                            "(GetMeta's k256_address, DstackKms.kmsInfo) tells the formats apart; dstack's own format "
                            "is canonical, which recovers %s",
               hx_addr(canon->root, a));
    if (in->have_rootpub)
        HX_SET(notes[nn++], "--root-pub %s has address %s%s", hx_hex(in->root_pub, 33), hx_addr(root_in_addr, a),
               rootpub_match >= 0 ? " (an expected root)" : "");
    if (kms_mode)
        HX_SET(notes[nn++], "no app link (chain[0]) given: only the KMS-message variants can be told apart");
    if (digest_mode)
        HX_SET(notes[nn++], "digests say nothing about the v byte (it lives in the signature), so the v27 rows match "
                            "whenever canonical does; with no signatures nothing is recovered");
    if (digest_mode && in->have_rootpub && hx_known_root(root_in_addr))
        HX_SET(notes[nn++], "%s is %s", hx_addr(root_in_addr, a), hx_known_root(root_in_addr));

    char verdict[512];
    if (digest_mode)
        HX_SET(verdict, "%s",
               format ? (hx_variant_is_canonical(format->v)
                             ? "format: canonical (dstack's) — the digests are dstack's canonical "
                               "messages"
                             : "format: a non-canonical variant produced these digests")
                      : "no variant produces the given digests");
    else if (format != NULL)
        HX_SET(verdict, "format: %s%s; KMS root %s (%s)", format->v->name,
               hx_variant_is_canonical(format->v) ? " (dstack's own)" : " — NOT dstack's format",
               hx_addr(format->root, a), format_why);
    else if (canon->root_ok)
        HX_SET(verdict, "canonical recovery gives KMS root %s%s", hx_addr(canon->root, a),
               in->ne ? ", which is none of the expected roots" : "");
    else
        HX_SET(verdict, "the chain does not recover in the canonical format (malformed signature or v byte)");
    hx_diag_answer ans;
    if (in->target) {
        const result *f = format ? format : canon;
        hx_diag_target dt = {in->target,
                             in->call,
                             url,
                             in->from,
                             in->app_id,
                             in->have_app ? in->app_pub
                             : f->app_ok  ? f->app_pub
                                          : canon->app_pub,
                             in->derived,
                             in->link0,
                             in->link1,
                             {in->purpose, in->path, in->domain, "secp256k1"},
                             v1_first,
                             format ? format->v : NULL,
                             f->root_ok ? f->root : NULL};
        int rc = hx_diagnose_target(&dt, &ans);
        if (rc != 0) return rc;
        ok = ok && ans.accepted;
    }

    if (hx_ui_g.json) {
        cJSON *doc = cJSON_CreateObject(), *rows = cJSON_CreateArray(), *ex = cJSON_CreateArray(), *no = cJSON_CreateArray();
        cJSON_AddBoolToObject(doc, "ok", ok);
        cJSON_AddStringToObject(doc, "input", chain_mode ? "chain" : kms_mode ? "kms-link" : "digests");
        cJSON_AddStringToObject(doc, "verdict", verdict);
        if (format) cJSON_AddStringToObject(doc, "format", format->v->name);
        if (format && format->root_ok) cJSON_AddStringToObject(doc, "root", hx_addr(format->root, a));
        if (canon->root_ok) cJSON_AddStringToObject(doc, "canonical_root", hx_addr(canon->root, a));
        for (size_t i = 0; i < nres; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "variant", res[i].v->name);
            cJSON_AddStringToObject(o, "axis", res[i].v->axis);
            if (res[i].app_ok) cJSON_AddStringToObject(o, "app_key", hx_hex(res[i].app_pub, 33));
            if (res[i].root_ok) cJSON_AddStringToObject(o, "root", hx_addr(res[i].root, a));
            if (res[i].match >= 0) cJSON_AddStringToObject(o, "matches", in->exp[res[i].match].label);
            if (digest_mode && res[i].app_digest_match >= 0) cJSON_AddBoolToObject(o, "app_digest_matches", res[i].app_digest_match);
            if (digest_mode && res[i].kms_digest_match >= 0) cJSON_AddBoolToObject(o, "kms_digest_matches", res[i].kms_digest_match);
            cJSON_AddItemToArray(rows, o);
        }
        for (int k = 0; k < in->ne; k++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "address", hx_addr(in->exp[k].addr, a));
            cJSON_AddStringToObject(o, "label", in->exp[k].label);
            cJSON_AddBoolToObject(o, "matches", in->exp[k].matched);
            cJSON_AddStringToObject(o, "why", in->exp[k].why);
            cJSON_AddItemToArray(ex, o);
        }
        for (int k = 0; k < nn; k++) cJSON_AddItemToArray(no, cJSON_CreateString(notes[k]));
        cJSON_AddItemToObject(doc, "variants", rows);
        cJSON_AddItemToObject(doc, "expected_roots", ex);
        cJSON_AddItemToObject(doc, "notes", no);
        if (in->target) {
            cJSON *k = cJSON_AddObjectToObject(doc, "contract");
            cJSON_AddStringToObject(k, "address", in->target);
            cJSON_AddStringToObject(k, "call", ans.call);
            cJSON_AddBoolToObject(k, "accepted", ans.accepted);
            cJSON_AddStringToObject(k, "detail", ans.detail);
            if (ans.accepted) cJSON_AddStringToObject(k, "encoding", ans.shape);
            cJSON_AddStringToObject(k, "verdict", ans.verdict);
        }
        hx_json_emit(doc);
        return ok ? 0 : 1;
    }
    hx_table t;
    if (digest_mode) {
        static const char *const head[] = {"variant", "axis", "app digest", "KMS digest"};
        hx_table_init(&t, 4, head);
        for (size_t i = 0; i < nres; i++) {
            const char *cells[4] = {res[i].v->name, res[i].v->axis,
                                    res[i].app_digest_match < 0 ? "-" : yesno(res[i].app_digest_match),
                                    res[i].kms_digest_match < 0 ? "-" : yesno(res[i].kms_digest_match)};
            hx_table_row(&t, cells);
        }
    } else {
        static const char *const head[] = {"variant", "axis", "app key (chain[0] signer)", "KMS root (chain[1] signer)", "matches"};
        hx_table_init(&t, 5, head);
        for (size_t i = 0; i < nres; i++) {
            char appk[80], root[48];
            HX_SET(appk, "%s", res[i].app_ok ? hx_hex(res[i].app_pub, 33) : "does not recover");
            HX_SET(root, "%s", res[i].root_ok ? hx_addr(res[i].root, a) : "does not recover");
            const char *cells[5] = {res[i].v->name, res[i].v->axis, appk, root,
                                    res[i].match >= 0 ? in->exp[res[i].match].label
                                    : res[i].root_ok && hx_known_root(res[i].root) ? hx_known_root(res[i].root) : ""};
            hx_table_row(&t, cells);
        }
    }
    printf("dstack-harness diagnose (%s, app id %s%s%s)\n\n", chain_mode ? "chain" : kms_mode ? "app key + KMS link" : "digests",
           hx_hex(in->app_id, 20), in->purpose ? ", purpose " : "", in->purpose ? in->purpose : "");
    hx_table_print(&t, stdout);
    hx_table_free(&t);
    printf("\n%s\n", verdict);
    for (int k = 0; k < in->ne; k++)
        printf("\nexpected %s (%s): %s\n  %s\n", hx_addr(in->exp[k].addr, a), in->exp[k].label,
               in->exp[k].matched ? "MATCHES" : "does not match", in->exp[k].why);
    for (int k = 0; k < nn; k++) printf("\nnote: %s\n", notes[k]);
    if (in->target)
        printf("\ncontract %s, %s: %s%s%s\n%s\n", in->target, ans.call,
               ans.accepted ? "ACCEPTS" : "rejects", ans.detail[0] ? " — " : "", ans.detail,
               ans.verdict);
    return ok ? 0 : 1;
}

int hx_cmd_diagnose(int argc, char **argv) {
    static const struct option opts[] = {{"app-sig", required_argument, 0, '0'},
                                         {"kms-sig", required_argument, 0, '1'},
                                         {"chain", required_argument, 0, 'c'},
                                         {"getkey", required_argument, 0, 'g'},
                                         {"app-id", required_argument, 0, 'i'},
                                         {"purpose", required_argument, 0, 'p'},
                                         {"derived-pub", required_argument, 0, 'd'},
                                         {"key", required_argument, 0, 'k'},
                                         {"app-pub", required_argument, 0, 'a'},
                                         {"appkeys", required_argument, 0, 'K'},
                                         {"app-digest", required_argument, 0, 'x'},
                                         {"kms-digest", required_argument, 0, 'y'},
                                         {"root-pub", required_argument, 0, 'r'},
                                         {"expected-root", required_argument, 0, 'e'},
                                         {"contract", required_argument, 0, 'C'},
                                         {"rpc", required_argument, 0, 'R'},
                                         {"domain", required_argument, 0, 'D'},
                                         {"path", required_argument, 0, 'P'},
                                         {"target", required_argument, 0, 'T'},
                                         {"call", required_argument, 0, 'L'},
                                         {"from", required_argument, 0, 'F'},
                                         HX_COMMON_LONGOPTS,
                                         {0, 0, 0, 0}};
    static diag_in in;
    uint8_t tmp[65], key[32];
    size_t n;
    int ch;
    memset(&in, 0, sizeof in);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (hx_common_opt(ch, optarg)) continue;
        switch (ch) {
        case 'h': fputs(USAGE, stdout); return 0;
        case '0': if (parse_hex("--app-sig", optarg, in.link0, 65, 65, NULL)) return 2; in.have_l0 = 1; break;
        case '1': if (parse_hex("--kms-sig", optarg, in.link1, 65, 65, NULL)) return 2; in.have_l1 = 1; break;
        case 'c': {
            char *comma = strchr(optarg, ',');
            if (comma == NULL) return hx_usage_error("diagnose", "--chain takes APPSIG,KMSSIG");
            *comma = '\0';
            if (parse_hex("--chain[0]", optarg, in.link0, 65, 65, NULL) ||
                parse_hex("--chain[1]", comma + 1, in.link1, 65, 65, NULL))
                return 2;
            in.have_l0 = in.have_l1 = 1;
            break;
        }
        case 'g':
            if (hx_getkey_load(optarg, key, in.link0, in.link1) != 0 || ds_secp_pubkey(key, in.derived, 33) != DS_OK) return 2;
            in.have_l0 = in.have_l1 = in.have_derived = 1;
            break;
        case 'i': if (parse_hex("--app-id", optarg, in.app_id, 20, 20, NULL)) return 2; in.have_id = 1; break;
        case 'p': in.purpose = optarg; break;
        case 'd':
            if (parse_hex("--derived-pub", optarg, tmp, 33, 65, &n)) return 2;
            if (ds_secp_pub_convert(tmp, n, in.derived, 33) != DS_OK)
                return hx_usage_error("diagnose", "--derived-pub is not a secp256k1 public key (33, 64 or 65 bytes)");
            in.have_derived = 1;
            break;
        case 'k':
            if (parse_hex("--key", optarg, key, 32, 32, NULL)) return 2;
            if (ds_secp_pubkey(key, in.derived, 33) != DS_OK) return hx_usage_error("diagnose", "--key is not a valid secp256k1 key");
            in.have_derived = 1;
            break;
        case 'a':
            if (parse_hex("--app-pub", optarg, tmp, 33, 65, &n)) return 2;
            if (ds_secp_pub_convert(tmp, n, in.app_pub, 33) != DS_OK)
                return hx_usage_error("diagnose", "--app-pub is not a secp256k1 public key");
            in.have_app = 1;
            break;
        case 'K': in.appkeys = optarg; break;
        case 'x': if (parse_hex("--app-digest", optarg, in.app_dg, 32, 32, NULL)) return 2; in.have_adg = 1; break;
        case 'y': if (parse_hex("--kms-digest", optarg, in.kms_dg, 32, 32, NULL)) return 2; in.have_kdg = 1; break;
        case 'r':
            if (parse_hex("--root-pub", optarg, tmp, 33, 65, &n)) return 2;
            if (ds_secp_pub_convert(tmp, n, in.root_pub, 33) != DS_OK) return hx_usage_error("diagnose", "--root-pub is not a secp256k1 public key");
            in.have_rootpub = 1;
            break;
        case 'e': {
            if (in.ne >= MAX_EXPECT) return hx_usage_error("diagnose", "too many --expected-root");
            char *eq = strchr(optarg, '=');
            if (eq) *eq = '\0';
            if (parse_hex("--expected-root", optarg, in.exp[in.ne].addr, 20, 20, NULL)) return 2;
            HX_SET(in.exp[in.ne].label, "%s", eq ? eq + 1 : "expected");
            in.ne++;
            break;
        }
        case 'C': if (parse_hex("--contract", optarg, in.contract, 20, 20, NULL)) return 2; in.have_contract = 1; break;
        case 'R': in.rpc = optarg; break;
        case 'D': in.domain = optarg; break;
        case 'P': in.path = optarg; break;
        case 'T': in.target = optarg; break;
        case 'L': in.call = optarg; break;
        case 'F': in.from = optarg; break;
        default: return hx_usage_error("diagnose", "unknown option");
        }
    }
    if (optind < argc) return hx_usage_error("diagnose", "unexpected argument");
    return run(&in);
}
