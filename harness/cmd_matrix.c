/* cmd_matrix.c — `dstack-harness matrix`: every variant of the mismatch catalogue
 * (hx_variant.h), built in C under a harness-only KMS root, checked by
 *   (a) the C verifier, ds_chain_verify (dstack's canonical rules; the rows for a v1
 *       verifier: ds_chain_v1_verify), and
 *   (b) the deployed contract: verifySignatureChain (bool) and explainSignatureChain
 *       (the revert naming the failing link), or their …V1 forms, via eth_call;
 * plus the chains the simulator itself serves in each of its --mismatch modes, and a
 * 0.6.0 simulator's v0 and v1 GetKey chains.
 *
 * Trust on chain: inside an evm_snapshot the harness root is added with addKmsRoot (the
 * "trusted root" rows instead make the wrong address the only trusted root); the
 * snapshot is reverted at the end, so the matrix leaves the deployment as it found it.
 *
 * A row holds when the C verifier and the contract agree and match the expectation:
 * only the canonical chain is valid. Any disagreement, or any accepted non-canonical
 * variant, fails the command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_chain.h"
#include "ds_client.h"
#include "ds_hex.h"
#include "ds_keccak.h"
#include "ds_p256.h"
#include "ds_secp.h"
#include "ds_variant.h"
#include "hx_cmd.h"
#include "hx_keys.h"
#include "hx_matrix.h"
#include "hx_out.h"
#include "hx_search.h"
#include "hx_sim.h"
#include "hx_variant.h"

static const char USAGE[] =
    "usage: dstack-harness matrix [options]\n"
    "\n"
    "Builds a chain in every variant of the mismatch catalogue (digest, v byte, app id\n"
    "width and padding, key encodings, hex form, separator, trusted root) and runs each\n"
    "through the C verifier and the deployed contract (eth_call). One row per variant:\n"
    "expected, what C says, what the contract says. Exit 0 only when every row agrees\n"
    "and only the canonical chain is accepted. Needs `dstack-harness up`.\n"
    "\n"
    "  --purpose S      GetKey purpose signed in the claims (default \"matrix\")\n"
    "  --path P         GetKey path of the derived key (default \"dstack-harness/matrix\")\n"
    "  --only NAME      run one variant (see the table for names)\n"
    "  --no-simulator   skip the rows served by dstack-simulator --mismatch\n"
    "  --state FILE, --json, --quiet\n"
    "\n"
    "usage: dstack-harness matrix --target ADDRESS --call 'name(type arg, ...)' [options]\n"
    "\n"
    "Runs the catalogue through any deployed contract and finds the format it implements:\n"
    "dstack's own chains, every single variant, then (when neither passes) combinations\n"
    "across the axes, smallest first; then probes for unsound acceptance (a chain under\n"
    "another root, any app signature, a proof replayed for another key, app id or\n"
    "purpose); then a verdict. The argument NAMES say what goes where (app_id, derived_pub,\n"
    "app_sig, kms_sig, app_pub, purpose, path, domain, algorithm, version), their Solidity\n"
    "types how (a bytes32 app id is tried right- and left-padded, a bytes app key as 33,\n"
    "64 and 65 bytes). A call with domain/algorithm speaks the v1 claim, one with purpose\n"
    "the v0 claim. Returning bool: accepts on true; returning nothing: accepts unless it\n"
    "reverts. Exit 0 when dstack's chains pass and nothing unsound does.\n"
    "\n"
    "  --target ADDRESS     the contract (eth_call only: nothing is sent)\n"
    "  --call SIGNATURE     e.g. 'verify(bytes32 app_id, bytes derived_pub, bytes app_sig,\n"
    "                       bytes kms_sig, string purpose) returns (bool)'\n"
    "  --rpc URL            local chain (default: the running `up`, else\n"
    "                       http://127.0.0.1:8545; loopback addresses only)\n"
    "  --from ADDRESS       msg.sender of the calls (default: the chain's first account)\n"
    "  --config FILE        simulator config whose kms_root_key signs the chains and whose\n"
    "                       app id they are for (default ./appkeys.json)\n"
    "  --kms-root-key HEX   sign under this KMS root key instead\n"
    "  --app-id HEX         the 20-byte app id (default: the config's)\n"
    "  --domain S           v1 GetKey domain (default \"dstack-harness/matrix-domain\")\n"
    "  --max-changes N      deepest combination searched (default and at most 6)\n"
    "  --time-budget SECONDS  stop deepening the combination search after this long\n"
    "                       (default 30; the verdict says how deep it got)\n"
    "  --purpose S, --path P, --json, --quiet as above\n";

/* The harness's own KMS root (a public test key; the contract trusts it only inside the
 * matrix's snapshot): keccak256("dstack-harness matrix KMS root (public test key)"). */
static void matrix_root(uint8_t key[32]) {
    static const char seed[] = "dstack-harness matrix KMS root (public test key)";
    ds_keccak256((const uint8_t *)seed, sizeof seed - 1, key);
}

typedef struct {
    char name[40], axis[16], source[12], what[120];
    int expect_valid;
    int c_valid;
    char c_detail[256];
    int k_valid, k_bool;
    int verifier; /* the claim version the row is for: which C verifier and entry points */
    char k_detail[512];
    char note[160];
    int ok;
} row;

typedef struct {
    hx_ctx *x;
    uint8_t root_key[32], root_addr[20], root_pub[33];
    uint8_t wrong[5][20]; /* per DS_VROOT_* */
    const char *purpose, *path;
    ds_variant_req rq;
    row *rows;
    int nrows, cap;
    hx_sample samples[64]; /* the harness's chain per catalogue entry (index as HX_VARIANTS) */
    int have_sample[64];
} matrix;

static row *add_row(matrix *m) {
    if (m->nrows == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 32;
        m->rows = realloc(m->rows, (size_t)m->cap * sizeof *m->rows);
    }
    row *r = &m->rows[m->nrows++];
    memset(r, 0, sizeof *r);
    return r;
}

/* (a) the C verifier. */
static void run_c(const matrix *m, row *r, const uint8_t pub[33], const uint8_t link0[65],
                  const uint8_t link1[65], const uint8_t trusted[20], const char *trusted_what) {
    ds_chain_result res;
    char a[43];
    const char *dom = m->rq.domain;
    ds_err e = r->verifier ? ds_chain_v1_verify(pub, 33, DS_KEY_SECP256K1, dom, strlen(dom), link0,
                                                link1, m->x->st.app_id, trusted, &res)
                           : ds_chain_verify(pub, 33, m->purpose, strlen(m->purpose), link0, link1,
                                             m->x->st.app_id, trusted, &res);
    r->c_valid = e == DS_OK && res.status == DS_CHAIN_VALID;
    switch (res.status) {
    case DS_CHAIN_VALID: HX_SET(r->c_detail, "valid: root %s", hx_addr(res.kms_addr, a)); break;
    case DS_CHAIN_ROOT_MISMATCH:
        if (trusted_what != NULL)
            HX_SET(r->c_detail, "rejected: recovers root %s, trusted is %s", hx_addr(res.kms_addr, a), trusted_what);
        else
            HX_SET(r->c_detail, "rejected: recovers root %s, not the trusted one", hx_addr(res.kms_addr, a));
        break;
    case DS_CHAIN_APP_LINK: HX_SET(r->c_detail, "rejected: app link does not recover (v=%u)", link0[64]); break;
    case DS_CHAIN_KMS_LINK: HX_SET(r->c_detail, "rejected: KMS link does not recover (v=%u)", link1[64]); break;
    default: HX_SET(r->c_detail, "rejected: %s", ds_chain_status_str(res.status)); break;
    }
}

/* (b) the contract. Returns -1 on an RPC failure. */
static int run_contract(matrix *m, row *r, const uint8_t pub[33], const uint8_t link0[65],
                        const uint8_t link1[65]) {
    hx_chain *c = &m->x->ch;
    uint8_t app32[32];
    ds_abi_value pool[8];
    char a[43];
    hx_pad32(m->x->st.app_id, app32);
    /* v0: (appId, derivedPublicKey, appSignature, kmsSignature, purpose);
     * v1: (appId, algorithm, domain, publicKey, appSignature, kmsSignature) */
    ds_abi_value v0[5] = {ds_abi_fbytes(app32, 32), ds_abi_bytes(pub, 33), ds_abi_bytes(link0, 65),
                          ds_abi_bytes(link1, 65), ds_abi_string(m->purpose)};
    ds_abi_value v1[6] = {ds_abi_fbytes(app32, 32), ds_abi_string("secp256k1"), ds_abi_string(m->rq.domain),
                          ds_abi_bytes(pub, 33), ds_abi_bytes(link0, 65), ds_abi_bytes(link1, 65)};
    const ds_abi_value *args = r->verifier ? v1 : v0;
    size_t n = r->verifier ? 6 : 5;
    const char *vsig = r->verifier ? "verifySignatureChainV1(bytes32,string,string,bytes,bytes,bytes)"
                                   : "verifySignatureChain(bytes32,bytes,bytes,bytes,string)";
    const char *esig = r->verifier ? "explainSignatureChainV1(bytes32,string,string,bytes,bytes,bytes)"
                                   : "explainSignatureChain(bytes32,bytes,bytes,bytes,string)";
    int rv = hx_call(c, m->x->st.owner, m->x->st.nft, vsig, args, n, "(bool)", pool, 8);
    if (rv != 0) {
        hx_fail("%s: %s", vsig, rv == 1 ? c->revert : c->err);
        return -1;
    }
    r->k_bool = pool[0].items[0].word[31] != 0;
    rv = hx_call(c, m->x->st.owner, m->x->st.nft, esig, args, n, "(bytes,address)", pool, 8);
    if (rv < 0) {
        hx_fail("%s: %s", esig, c->err);
        return -1;
    }
    r->k_valid = rv == 0;
    if (rv == 0)
        HX_SET(r->k_detail, "valid: root %s", hx_addr(ds_abi_get_address(&pool[0].items[1]), a));
    else
        HX_SET(r->k_detail, "rejected: %s", c->revert);
    if (r->k_bool != r->k_valid) { /* the two entry points must agree */
        HX_SET(r->note, "%s says %s but %s %s", vsig, r->k_bool ? "true" : "false", esig,
               r->k_valid ? "returns" : "reverts");
    }
    return 0;
}

static void judge(row *r) {
    r->ok = r->c_valid == r->k_valid && r->k_bool == r->k_valid && r->c_valid == r->expect_valid;
    if (r->ok || r->note[0]) return;
    if (r->c_valid != r->k_valid)
        HX_SET(r->note, "C verifier and contract disagree");
    else if (r->c_valid)
        HX_SET(r->note, "a non-canonical variant is accepted");
    else
        HX_SET(r->note, "the canonical chain is rejected");
}

static int owner_send(matrix *m, const char *sig, const uint8_t addr[20]) {
    ds_abi_value a = ds_abi_address(addr);
    int rv = hx_send(&m->x->ch, m->x->st.owner, m->x->st.nft, sig, &a, 1, NULL);
    if (rv != 0) hx_fail("%s: %s", sig, rv == 1 ? m->x->ch.revert : m->x->ch.err);
    return rv;
}

static int run_catalogue(matrix *m, const char *only, int root_phase) {
    for (size_t i = 0; i < HX_NVARIANTS; i++) {
        const hx_variant *v = &HX_VARIANTS[i];
        int is_root = v->ax.root != DS_VROOT_TRUE;
        if (is_root != root_phase || (only && strcmp(only, v->name) != 0)) continue;
        hx_sample s;
        if (hx_variant_build(v, m->root_key, m->x->st.app_id, &m->rq, &s) != DS_OK) {
            hx_fail("cannot build variant %s", v->name);
            return -1;
        }
        if (i < 64) {
            m->samples[i] = s;
            m->have_sample[i] = 1;
        }
        row *r = add_row(m);
        HX_SET(r->name, "%s", v->name);
        HX_SET(r->axis, "%s", v->axis);
        HX_SET(r->source, "harness");
        HX_SET(r->what, "%s", v->what);
        r->expect_valid = hx_variant_is_canonical(v);
        r->verifier = v->verifier;
        const uint8_t *trusted = is_root ? m->wrong[v->ax.root] : m->root_addr;
        static const char *const what[5] = {NULL, "the P-256 key's", "the app key's", "the contract's",
                                            "the root key's last 20 bytes"};
        char tw[96];
        HX_SET(tw, "%s %s", what[v->ax.root] ? what[v->ax.root] : "", hx_hex(trusted, 20));
        run_c(m, r, s.derived_pub, s.link0, s.link1, trusted, is_root ? tw : NULL);
        uint64_t snap = 0;
        if (is_root) { /* the verifier's trusted root is the wrong address, and only it */
            if (ds_rpc_snapshot(&m->x->ch.rpc, &snap) != DS_OK ||
                owner_send(m, "setKmsRootAddress(address)", m->wrong[v->ax.root]) != 0) {
                hx_fail("%s", ds_rpc_error(&m->x->ch.rpc));
                return -1;
            }
        }
        int rc = run_contract(m, r, s.derived_pub, s.link0, s.link1);
        if (is_root && ds_rpc_revert_to(&m->x->ch.rpc, snap) != DS_OK) rc = -1;
        if (rc != 0) return -1;
        judge(r);
        hx_progress("%-20s C %s, contract %s", v->name, r->c_valid ? "accepts" : "rejects",
                    r->k_valid ? "accepts" : "rejects");
    }
    return 0;
}

/* The chains dstack-simulator serves in each --mismatch mode, under the matrix root. */
/* Where the harness builds the same chain, the simulator's must be byte-identical. */
static void compare_twin(matrix *m, row *r, const char *twin, const uint8_t pub[33], const uint8_t l0[65],
                         const uint8_t l1[65]) {
    const hx_variant *tv = twin ? hx_variant_find(twin) : NULL;
    size_t ti = tv ? (size_t)(tv - HX_VARIANTS) : 0;
    if (tv == NULL || ti >= 64 || !m->have_sample[ti]) return;
    const hx_sample *h = &m->samples[ti];
    if (memcmp(pub, h->derived_pub, 33) != 0 || memcmp(l0, h->link0, 65) != 0 || memcmp(l1, h->link1, 65) != 0) {
        r->ok = 0;
        HX_SET(r->note, "the simulator's chain differs from the harness's %s chain", twin);
    } else if (r->ok) {
        HX_SET(r->note, "byte-identical to the harness's %s chain", twin);
    }
}

static row *sim_row(matrix *m, const char *name, const char *what, int expect, int verifier) {
    row *r = add_row(m);
    HX_SET(r->name, "%s", name);
    HX_SET(r->axis, "simulator");
    HX_SET(r->source, "simulator");
    HX_SET(r->what, "%s", what);
    r->expect_valid = expect;
    r->verifier = verifier;
    return r;
}

/* Runs a simulator's chain through C and the contract, judges it, and compares it with the
 * harness's own chain of the same variant (twin; NULL: none). Returns 0, or -1 when the
 * contract could not be asked. */
static int check_sim_chain(matrix *m, row *r, const uint8_t *pub, const uint8_t link0[65],
                           const uint8_t link1[65], const char *twin) {
    run_c(m, r, pub, link0, link1, m->root_addr, NULL);
    if (run_contract(m, r, pub, link0, link1) != 0) return -1;
    judge(r);
    compare_twin(m, r, twin, pub, link0, link1);
    return 0;
}

/* A simulator at --agent-version 0.6.0: its frozen v0 GetKey (sim06:canonical, through C
 * and the contract) and its /v1/GetKey (sim06:v1-canonical, through the C v1 verifier);
 * both must be the harness's own canonical chains. */
static int run_simulator_v06(matrix *m, const char *only, const char *config, const char *rootkey,
                             const char *appid) {
    char err[1024];
    if (only && strcmp(only, "sim06:canonical") != 0 && strcmp(only, "sim06:v1-canonical") != 0) return 0;
    const char *extra[] = {"--kms-root-key", rootkey, "--app-id", appid, "--agent-version", "0.6.0", NULL};
    hx_sim sim;
    if (hx_sim_start(&sim, NULL, config, extra, err, sizeof err) != 0) {
        hx_fail("%s", err);
        return -1;
    }
    ds_client *cl = hx_sim_client(sim.sock);
    ds_getkey_result k;
    ds_v1_getkey_result k1;
    int got = cl != NULL && ds_client_get_key(cl, m->path, m->purpose, "secp256k1", &k) == DS_OK &&
              ds_client_v1_get_key(cl, m->rq.domain, "secp256k1", &k1) == DS_OK;
    if (!got) hx_fail("GetKey on the 0.6.0 simulator: %s", cl ? ds_client_last_error(cl) : "no client");
    ds_client_free(cl);
    if (hx_sim_stop(&sim) != 0) hx_progress("note: the 0.6.0 simulator had to be forced to stop");
    if (!got) return -1;
    uint8_t pub[33];
    ds_secp_pubkey(k.key, pub, 33);
    if (!only || strcmp(only, "sim06:canonical") == 0) {
        row *r = sim_row(m, "sim06:canonical", "dstack-simulator --agent-version 0.6.0: GetKey on the frozen v0 surface",
                         1, 0);
        if (check_sim_chain(m, r, pub, k.chain[0], k.chain[1], "canonical") != 0) return -1;
    }
    if ((!only || strcmp(only, "sim06:v1-canonical") == 0) && k1.public_key_len == 33) {
        row *r = sim_row(m, "sim06:v1-canonical", "dstack-simulator --agent-version 0.6.0: /v1/GetKey", 1, 1);
        if (check_sim_chain(m, r, k1.public_key, k1.chain[0], k1.chain[1], "v1-canonical") != 0)
            return -1;
    }
    return 0;
}

static int run_simulator(matrix *m, const char *only) {
    char rootkey[65], appid[41], config[PATH_MAX], err[1024];
    ds_hex_encode(m->root_key, 32, rootkey);
    ds_hex_encode(m->x->st.app_id, 20, appid);
    if (m->x->st.sim_config[0])
        HX_SET(config, "%s", m->x->st.sim_config);
    else
        hx_sim_default_config(config, sizeof config);
    for (int v = 0; v < DS_VARIANT_COUNT; v++) {
        const char *name = ds_variant_name((ds_variant)v);
        char rname[48];
        HX_SET(rname, "sim:%s", name);
        if (only && strcmp(only, rname) != 0) continue;
        const char *extra[] = {"--kms-root-key", rootkey, "--app-id", appid, "--mismatch", name, NULL};
        hx_sim sim;
        if (hx_sim_start(&sim, NULL, config, extra, err, sizeof err) != 0) {
            hx_fail("%s", err);
            return -1;
        }
        ds_client *cl = hx_sim_client(sim.sock);
        ds_getkey_result k;
        int got = cl != NULL && ds_client_get_key(cl, m->path, m->purpose, "secp256k1", &k) == DS_OK;
        if (!got) hx_fail("GetKey on the %s simulator: %s", name, cl ? ds_client_last_error(cl) : "no client");
        ds_client_free(cl);
        if (hx_sim_stop(&sim) != 0) hx_progress("note: the %s simulator had to be forced to stop", name);
        if (!got) return -1;
        uint8_t pub[33];
        char what[160];
        ds_secp_pubkey(k.key, pub, 33);
        HX_SET(what, "dstack-simulator --mismatch %s: %s", name, ds_variant_describe((ds_variant)v));
        row *r = sim_row(m, rname, what, v == DS_VARIANT_CANONICAL, 0);
        static const char *const twin[DS_VARIANT_COUNT] = {"canonical", "eip191", "v27", "appid32-right",
                                                            "appkey-uncompressed", NULL, NULL};
        if (check_sim_chain(m, r, pub, k.chain[0], k.chain[1], twin[v]) != 0) return -1;
        hx_progress("%-20s C %s, contract %s", rname, r->c_valid ? "accepts" : "rejects",
                    r->k_valid ? "accepts" : "rejects");
    }
    return run_simulator_v06(m, only, config, rootkey, appid);
}

/* Replaces each 0x + 40 hex digits by 0xabcd…wxyz (table display only). */
static void shorten(const char *in, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; in[i] && o + 16 < cap;) {
        size_t k = 0;
        if (in[i] == '0' && in[i + 1] == 'x') {
            while (k < 64 && ((in[i + 2 + k] >= '0' && in[i + 2 + k] <= '9') || ((in[i + 2 + k] | 32) >= 'a' && (in[i + 2 + k] | 32) <= 'f'))) k++;
        }
        if (k == 40) {
            o += (size_t)snprintf(out + o, cap - o, "%.6s…%.4s", in + i, in + i + 38);
            i += 42;
        } else {
            out[o++] = in[i++];
        }
    }
    out[o] = '\0';
}

static cJSON *row_json(const row *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "variant", r->name);
    cJSON_AddStringToObject(o, "axis", r->axis);
    cJSON_AddStringToObject(o, "source", r->source);
    cJSON_AddStringToObject(o, "what", r->what);
    cJSON_AddStringToObject(o, "expected", r->expect_valid ? "valid" : "rejected");
    cJSON *c = cJSON_AddObjectToObject(o, "c_verifier");
    cJSON_AddBoolToObject(c, "valid", r->c_valid);
    cJSON_AddStringToObject(c, "detail", r->c_detail);
    cJSON_AddStringToObject(o, "verifier", r->verifier ? "v1" : "v0");
    cJSON *k = cJSON_AddObjectToObject(o, "contract");
    cJSON_AddBoolToObject(k, "valid", r->k_valid);
    cJSON_AddBoolToObject(k, "verifySignatureChain", r->k_bool);
    cJSON_AddStringToObject(k, "detail", r->k_detail);
    cJSON_AddBoolToObject(o, "ok", r->ok);
    if (r->note[0]) cJSON_AddStringToObject(o, "note", r->note);
    return o;
}

int hx_cmd_matrix(int argc, char **argv) {
    static const struct option opts[] = {{"purpose", required_argument, 0, 'p'},
                                         {"path", required_argument, 0, 'P'},
                                         {"only", required_argument, 0, 'o'},
                                         {"no-simulator", no_argument, 0, 'n'},
                                         {"target", required_argument, 0, 't'},
                                         {"call", required_argument, 0, 'c'},
                                         {"rpc", required_argument, 0, 'r'},
                                         {"from", required_argument, 0, 'f'},
                                         {"config", required_argument, 0, 'C'},
                                         {"kms-root-key", required_argument, 0, 'k'},
                                         {"app-id", required_argument, 0, 'i'},
                                         {"domain", required_argument, 0, 'd'},
                                         {"max-changes", required_argument, 0, 'm'},
                                         {"time-budget", required_argument, 0, 'B'},
                                         HX_COMMON_LONGOPTS,
                                         {0, 0, 0, 0}};
    hx_target_opts to = {.purpose = "matrix",
                         .path = "dstack-harness/matrix",
                         .domain = "dstack-harness/matrix-domain",
                         .max_changes = HX_MAX_DEVS,
                         .time_budget = HX_TIME_BUDGET};
    char *end;
    const char *purpose = "matrix", *path = "dstack-harness/matrix", *only = NULL;
    int with_sim = 1, ch, search_opt = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (hx_common_opt(ch, optarg)) continue;
        switch (ch) {
        case 'h': fputs(USAGE, stdout); return 0;
        case 'p': purpose = optarg; break;
        case 'P': path = optarg; break;
        case 'o': only = optarg; break;
        case 'n': with_sim = 0; break;
        case 't': to.target = optarg; break;
        case 'c': to.call = optarg; break;
        case 'r': to.rpc = optarg; break;
        case 'f': to.from = optarg; break;
        case 'C': to.config = optarg; break;
        case 'k': to.root_hex = optarg; break;
        case 'i': to.app_id_hex = optarg; break;
        case 'd': to.domain = optarg; break;
        case 'm':
            search_opt = 1;
            to.max_changes = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg)
                return hx_usage_error("matrix", "--max-changes takes a number");
            break;
        case 'B':
            search_opt = 1;
            to.time_budget = strtod(optarg, &end);
            if (*end || end == optarg || !(to.time_budget > 0 && to.time_budget <= 86400))
                return hx_usage_error("matrix",
                                      "--time-budget takes a number of seconds (0 … 86400]");
            break;
        default: return hx_usage_error("matrix", "unknown option");
        }
    }
    if (optind < argc) return hx_usage_error("matrix", "unexpected argument");
    if (to.target) {
        if (only)
            return hx_usage_error("matrix", "--only is for the matrix of the `up` deployment");
        to.purpose = purpose;
        to.path = path;
        return hx_matrix_target(&to);
    }
    if (to.call || to.rpc || to.from || to.config || to.root_hex || to.app_id_hex || search_opt)
        return hx_usage_error("matrix",
                              "--call, --rpc, --from, --config, --kms-root-key, --app-id, "
                              "--max-changes and --time-budget need --target");
    if (only && !hx_variant_find(only) && strncmp(only, "sim:", 4) != 0 && strncmp(only, "sim06:", 6) != 0)
        return hx_usage_error("matrix", "--only: no such variant");
    hx_ctx x;
    if (hx_ctx_open(&x) != 0) {
        hx_ctx_close(&x);
        return 1;
    }
    matrix m;
    memset(&m, 0, sizeof m);
    m.x = &x;
    m.purpose = purpose;
    m.path = path;
    m.rq = (ds_variant_req){path, purpose, to.domain, DS_KEY_SECP256K1};
    matrix_root(m.root_key);
    ds_secp_pubkey(m.root_key, m.root_pub, 33);
    ds_secp_address(m.root_pub, 33, m.root_addr);
    /* the wrong roots people trust */
    hx_appkeys keys;
    char err[512];
    memset(&keys, 0, sizeof keys);
    if (x.st.sim_config[0] == '\0' || hx_appkeys_load(x.st.sim_config, &keys, err, sizeof err) != 0 || !keys.have_p256) {
        uint8_t scalar[32], xy[64]; /* no key_provider key at hand: any P-256 key shows it */
        ds_keccak256((const uint8_t *)"dstack-harness p256", 19, scalar);
        EVP_PKEY *pk = ds_p256_from_scalar(scalar);
        if (pk != NULL && ds_p256_pub_xy(pk, xy) == DS_OK) memcpy(keys.p256_xy, xy, 64);
        EVP_PKEY_free(pk);
        ds_keccak256(keys.p256_xy, 64, scalar);
        memcpy(keys.p256_keccak, scalar + 12, 20);
    }
    memcpy(m.wrong[DS_VROOT_P256], keys.p256_keccak, 20);
    uint8_t app_key[32], app_pub[33];
    ds_chain_kms_issue(m.root_key, x.st.app_id, app_key, app_pub, NULL);
    ds_secp_address(app_pub, 33, m.wrong[DS_VROOT_APPKEY]);
    memcpy(m.wrong[DS_VROOT_CONTRACT], x.st.nft, 20);
    memcpy(m.wrong[DS_VROOT_LAST20], m.root_pub + 13, 20);
    char a[43];
    hx_progress("matrix root %s (harness test key), app id %s, purpose \"%s\"", hx_addr(m.root_addr, a),
                hx_hex(x.st.app_id, 20), purpose);

    int failed = 0, rc = 0;
    uint64_t snap0 = 0;
    if (ds_rpc_snapshot(&x.ch.rpc, &snap0) != DS_OK) {
        hx_fail("%s", ds_rpc_error(&x.ch.rpc));
        rc = 1;
        goto out;
    }
    if (run_catalogue(&m, only, 1) != 0 || owner_send(&m, "addKmsRoot(address)", m.root_addr) != 0 ||
        run_catalogue(&m, only, 0) != 0 || (with_sim && run_simulator(&m, only) != 0))
        rc = 1;
    if (ds_rpc_revert_to(&x.ch.rpc, snap0) != DS_OK) {
        hx_fail("could not revert the matrix's snapshot: %s", ds_rpc_error(&x.ch.rpc));
        rc = 1;
    }
    for (int i = 0; i < m.nrows; i++) failed += !m.rows[i].ok;
    if (m.nrows == 0 && rc == 0) {
        hx_fail("matrix: no rows ran");
        rc = 1;
    }
    if (hx_ui_g.json) {
        cJSON *doc = cJSON_CreateObject(), *rows = cJSON_CreateArray();
        cJSON_AddBoolToObject(doc, "ok", rc == 0 && failed == 0);
        cJSON_AddStringToObject(doc, "matrix_root", hx_addr(m.root_addr, a));
        cJSON_AddStringToObject(doc, "contract", hx_addr(x.st.nft, a));
        cJSON_AddStringToObject(doc, "purpose", purpose);
        cJSON_AddNumberToObject(doc, "rows_total", m.nrows);
        cJSON_AddNumberToObject(doc, "rows_failed", failed);
        for (int i = 0; i < m.nrows; i++) cJSON_AddItemToArray(rows, row_json(&m.rows[i]));
        cJSON_AddItemToObject(doc, "rows", rows);
        hx_json_emit(doc);
    } else if (m.nrows) {
        static const char *const head[] = {"variant", "axis", "expected", "C verifier", "contract", "result"};
        hx_table t;
        hx_table_init(&t, 6, head);
        for (int i = 0; i < m.nrows; i++) {
            const row *r = &m.rows[i];
            char cd[300], kd[600], res[200];
            shorten(r->c_detail, cd, sizeof cd);
            shorten(r->k_detail, kd, sizeof kd);
            HX_SET(res, "%s%s%s", r->ok ? "ok" : "FAIL", r->note[0] ? ": " : "", r->note);
            const char *cells[6] = {r->name, r->axis, r->expect_valid ? "valid" : "rejected", cd, kd, res};
            hx_table_row(&t, cells);
        }
        printf("dstack-harness matrix: %d variants, C verifier (ds_chain_verify, v1 rows "
               "ds_chain_v1_verify) vs "
               "%s.verifySignatureChain(V1)\n",
               m.nrows, hx_artifact_name(HX_NFT));
        printf("trusted root: %s (harness test key, trusted only inside a snapshot)\n\n", hx_addr(m.root_addr, a));
        hx_table_print(&t, stdout);
        hx_table_free(&t);
        printf("\n%d of %d rows as expected%s\n", m.nrows - failed, m.nrows,
               failed ? "" : ": only the canonical chain verifies, and C and the contract agree on every row");
    }
out:
    free(m.rows);
    hx_ctx_close(&x);
    return rc || failed ? 1 : 0;
}
