/* cmd_cluster.c — `dstack-harness cluster N`: N simulated dstack nodes join the
 * NFT-gated cluster on chain.
 *
 * Every node is its own dstack-simulator (same config, hence the same KMS root and app
 * id as the deployment; its own --instance-seed, hence its own instance id) on a
 * temporary socket. Each node, over its socket: Info (instance id), GetKey (derived key
 * and signature chain). Its wallet (Anvil account k, holder of membership token k) then
 * calls registerInstanceWithBoundProof: the chain plus the derived key's signature over
 * the contract's binding digest (chain id, contract, action, instance, token, caller,
 * URL, nonce, deadline) — the digest is computed here too and must equal the contract's.
 *
 * One node runs with --mismatch (default eip191): its proof is refused with a decoded
 * revert, and it falls back to basic registerInstance. The peer list, the per-instance
 * proof kind and the contract's events then show the difference. The simulators are
 * stopped and reaped, their sockets and directories removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_client.h"
#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_keccak.h"
#include "ds_secp.h"
#include "ds_variant.h"
#include "hx_cmd.h"
#include "hx_out.h"
#include "hx_sim.h"

static const char USAGE[] =
    "usage: dstack-harness cluster N [options]\n"
    "\n"
    "Starts N simulators (one KMS root, N instance ids), takes each node's key and proof\n"
    "over its socket, and registers the nodes on chain with bound proofs. One node runs in\n"
    "a mismatch mode: its proof fails with a decoded revert and it falls back to basic\n"
    "registration. Lists the peers and the registration events. Needs `dstack-harness up`.\n"
    "\n"
    "  N                   nodes, 1..100 (default 3)\n"
    "  --mismatch NAME     mode of the mismatched node: eip191 (default), v27, appid32,\n"
    "                      uncompressed, wrong-root, legacy-v055, or none\n"
    "  --mismatch-node K   which node (1..N) is mismatched (default N)\n"
    "  --path P            GetKey path (default \"dstack-harness/cluster\")\n"
    "  --purpose S         GetKey purpose (default \"cluster\")\n"
    "  --state FILE, --json, --quiet\n";

enum { REG_NONE = 0, REG_BASIC, REG_UNBOUND, REG_BOUND };
static const char *const REG_NAMES[] = {"none", "basic (no proof)", "unbound proof", "bound proof"};

typedef struct {
    int index;
    ds_variant mode;
    hx_sim sim;
    int running;
    uint8_t instance[20], instance32[32];
    ds_getkey_result key;
    uint8_t derived_pub[33], app_pub[33];
    uint64_t token;
    uint8_t wallet[20];
    char url[64];
    char proof_error[1024];
    int reg;            /* what the contract recorded */
    uint8_t root[20];
} node;

typedef struct {
    hx_ctx *x;
    const char *path, *purpose;
    node *nodes;        /* n of them */
    int n;
} cluster;

static uint8_t ZERO20[20];

/* Makes sure node i's token exists, is held by its wallet, and carries no instance. */
static int prepare_token(cluster *cl, node *nd, const uint8_t (*accts)[20]) {
    hx_ctx *x = cl->x;
    ds_abi_value pool[8];
    char a[43];
    memcpy(nd->wallet, accts[nd->index], 20);
    nd->token = 0;
    for (int t = 0; t < x->st.ntokens; t++)
        if (memcmp(x->st.tokens[t].owner, nd->wallet, 20) == 0) nd->token = x->st.tokens[t].id;
    if (nd->token == 0) { /* more nodes than `up` minted tokens for: mint one */
        ds_abi_value args[2] = {ds_abi_address(nd->wallet), ds_abi_string("cluster node")};
        ds_rpc_receipt rc;
        if (hx_send(&x->ch, x->st.owner, x->st.nft, "mintNodeAccess(address,string)", args, 2, &rc) != 0) {
            hx_fail("mintNodeAccess: %s%s", x->ch.revert, x->ch.err);
            return -1;
        }
        for (size_t k = 0; k < rc.logs.n; k++)
            if (rc.logs.v[k].ntopics == 4) { /* Transfer(from, to, tokenId) */
                ds_abi_value tok = ds_abi_uint_be(rc.logs.v[k].topics[3], 32);
                ds_abi_get_u64(&tok, &nd->token);
            }
        ds_rpc_receipt_free(&rc);
        if (x->st.ntokens < HX_MAX_TOKENS) {
            x->st.tokens[x->st.ntokens].id = nd->token;
            memcpy(x->st.tokens[x->st.ntokens++].owner, nd->wallet, 20);
        }
        hx_progress("minted token #%llu to %s for node %d", (unsigned long long)nd->token, hx_addr(nd->wallet, a),
                    nd->index);
    }
    /* free the token and the instance id from an earlier run (owner may deactivate) */
    ds_abi_value tok = ds_abi_u64(nd->token);
    if (hx_call(&x->ch, NULL, x->st.nft, "tokenToInstance(uint256)", &tok, 1, "(bytes32)", pool, 8) != 0) {
        hx_fail("tokenToInstance: %s%s", x->ch.revert, x->ch.err);
        return -1;
    }
    uint8_t prev[32];
    memcpy(prev, pool[0].items[0].word, 32);
    uint8_t ids[2][32];
    memcpy(ids[0], prev, 32);
    memcpy(ids[1], nd->instance32, 32);
    for (int k = 0; k < 2; k++) {
        if (!memcmp(ids[k], ZERO20, 20) && !memcmp(ids[k] + 20, ZERO20, 12)) continue;
        ds_abi_value id = ds_abi_fbytes(ids[k], 32);
        if (hx_call(&x->ch, NULL, x->st.nft, "activeInstances(bytes32)", &id, 1, "(bool)", pool, 8) != 0) return -1;
        if (!pool[0].items[0].word[31]) continue;
        hx_progress("deactivating instance %s left by an earlier run", hx_hex(ids[k], 20));
        if (hx_send(&x->ch, x->st.owner, x->st.nft, "deactivateInstance(bytes32)", &id, 1, NULL) != 0) {
            hx_fail("deactivateInstance: %s%s", x->ch.revert, x->ch.err);
            return -1;
        }
    }
    return 0;
}

/* keccak256(abi.encode(TAG, action, chainid, nft, instance, token, caller, keccak(url), nonce, deadline))
 * and its EIP-191 digest, as DstackMembershipNFT.bindingDigest computes them. */
static void local_binding_digest(const cluster *cl, const node *nd, uint64_t nonce, uint64_t deadline,
                                 uint8_t digest[32]) {
    uint8_t tag[32], urlh[32], buf[10 * 32], mh[32];
    size_t n;
    static const char T[] = "DstackMembershipNFT.binding.v1";
    ds_keccak256((const uint8_t *)T, sizeof T - 1, tag);
    ds_keccak256((const uint8_t *)nd->url, strlen(nd->url), urlh);
    ds_abi_value v[10] = {ds_abi_fbytes(tag, 32),        ds_abi_u64(1),
                          ds_abi_u64(cl->x->st.chain_id), ds_abi_address(cl->x->st.nft),
                          ds_abi_fbytes(nd->instance32, 32), ds_abi_u64(nd->token),
                          ds_abi_address(nd->wallet),      ds_abi_fbytes(urlh, 32),
                          ds_abi_u64(nonce),               ds_abi_u64(deadline)};
    ds_abi_value t = ds_abi_tuple(v, 10);
    ds_abi_encode(&t, buf, sizeof buf, &n);
    ds_keccak256(buf, n, mh);
    uint8_t pre[28 + 32];
    memcpy(pre, "\x19" "Ethereum Signed Message:\n32", 28);
    memcpy(pre + 28, mh, 32);
    ds_keccak256(pre, sizeof pre, digest);
}

static int latest_timestamp(hx_chain *c, uint64_t *ts) {
    cJSON *res = NULL;
    if (ds_rpc_call_text(&c->rpc, "eth_getBlockByNumber", "[\"latest\", false]", &res) != DS_OK) return -1;
    int rc = ds_rpc_quantity(cJSON_GetObjectItemCaseSensitive(res, "timestamp"), ts) == DS_OK ? 0 : -1;
    cJSON_Delete(res);
    return rc;
}

/* Registers one node: bound proof, or basic registration when the proof is refused. */
static int register_node(cluster *cl, node *nd) {
    hx_ctx *x = cl->x;
    ds_abi_value pool[8];
    uint8_t rnd[8], digest[32], bsig[65], app32[32];
    uint64_t nonce = 0, deadline = 0;
    ds_random(rnd, sizeof rnd);
    for (int i = 0; i < 7; i++) nonce = (nonce << 8) | rnd[i];
    if (latest_timestamp(&x->ch, &deadline) != 0) {
        hx_fail("eth_getBlockByNumber: %s", ds_rpc_error(&x->ch.rpc));
        return -1;
    }
    deadline += 3600;
    ds_abi_value bargs[7] = {ds_abi_uint(8, 1),      ds_abi_fbytes(nd->instance32, 32), ds_abi_u64(nd->token),
                             ds_abi_address(nd->wallet), ds_abi_string(nd->url), ds_abi_u64(nonce),
                             ds_abi_u64(deadline)};
    if (hx_call(&x->ch, NULL, x->st.nft, "bindingDigest(uint8,bytes32,uint256,address,string,uint256,uint256)", bargs,
                7, "(bytes32,bytes32)", pool, 8) != 0) {
        hx_fail("bindingDigest: %s%s", x->ch.revert, x->ch.err);
        return -1;
    }
    local_binding_digest(cl, nd, nonce, deadline, digest);
    if (memcmp(digest, pool[0].items[1].word, 32) != 0) {
        hx_fail("the contract's binding digest %s differs from the harness's %s", hx_hex(pool[0].items[1].word, 32),
                hx_hex(digest, 32));
        return -1;
    }
    if (ds_secp_sign_recoverable(nd->key.key, digest, bsig) != DS_OK) return -1;
    hx_pad32(x->st.app_id, app32);
    ds_abi_value proof[6] = {ds_abi_fbytes(app32, 32),       ds_abi_string(cl->purpose),
                             ds_abi_bytes(nd->derived_pub, 33), ds_abi_bytes(nd->app_pub, 33),
                             ds_abi_bytes(nd->key.chain[0], 65), ds_abi_bytes(nd->key.chain[1], 65)};
    ds_abi_value binding[3] = {ds_abi_u64(nonce), ds_abi_u64(deadline), ds_abi_bytes(bsig, 65)};
    ds_abi_value args[5] = {ds_abi_fbytes(nd->instance32, 32), ds_abi_u64(nd->token), ds_abi_string(nd->url),
                            ds_abi_tuple(proof, 6), ds_abi_tuple(binding, 3)};
    int rv = hx_send(&x->ch, nd->wallet, x->st.nft,
                     "registerInstanceWithBoundProof(bytes32,uint256,string,(bytes32,string,bytes,bytes,bytes,bytes),"
                     "(uint256,uint256,bytes))",
                     args, 5, NULL);
    if (rv < 0) {
        hx_fail("registerInstanceWithBoundProof: %s", x->ch.err);
        return -1;
    }
    if (rv == 0) {
        hx_progress("node %d: registered with a bound proof (token #%llu)", nd->index, (unsigned long long)nd->token);
        return 0;
    }
    HX_SET(nd->proof_error, "%s", x->ch.revert);
    hx_progress("node %d: proof refused: %s", nd->index, nd->proof_error);
    hx_progress("node %d: falling back to basic registerInstance", nd->index);
    ds_abi_value basic[2] = {ds_abi_fbytes(nd->instance32, 32), ds_abi_u64(nd->token)};
    rv = hx_send(&x->ch, nd->wallet, x->st.nft, "registerInstance(bytes32,uint256)", basic, 2, NULL);
    if (rv != 0) {
        hx_fail("registerInstance: %s", rv == 1 ? x->ch.revert : x->ch.err);
        return -1;
    }
    return 0;
}

static void stop_all(cluster *cl) {
    for (int i = 0; i < cl->n; i++)
        if (cl->nodes[i].running) {
            if (hx_sim_stop(&cl->nodes[i].sim) != 0)
                hx_progress("note: node %d's simulator needed cleaning up after", cl->nodes[i].index);
            cl->nodes[i].running = 0;
        }
}

static int start_node(cluster *cl, node *nd, const char *config) {
    char seed_hex[41], err[1024], a[43];
    uint8_t h[32];
    char label[48];
    HX_SET(label, "dstack-harness node %d", nd->index);
    ds_keccak256((const uint8_t *)label, strlen(label), h);
    ds_hex_encode(h, 20, seed_hex);
    /* every node runs as the cluster's app: the app id `up` deployed (its DstackApp) */
    char appid[41];
    ds_hex_encode(cl->x->st.app_id, 20, appid);
    const char *extra[] = {"--instance-seed", seed_hex, "--mismatch", ds_variant_name(nd->mode), "--app-id", appid,
                           NULL};
    if (hx_sim_start(&nd->sim, NULL, config, extra, err, sizeof err) != 0) {
        hx_fail("node %d: %s", nd->index, err);
        return -1;
    }
    nd->running = 1;
    if (memcmp(nd->sim.meta.k256_address, cl->x->st.kms_root, 20) != 0) {
        hx_fail("node %d's simulator publishes KMS root %s, the deployment trusts %s (different config?)", nd->index,
                hx_addr(nd->sim.meta.k256_address, a), hx_addr(cl->x->st.kms_root, err));
        return -1;
    }
    ds_client *c = hx_sim_client(nd->sim.sock);
    ds_info_result info;
    memset(&info, 0, sizeof info);
    int ok = c != NULL && ds_client_info(c, &info) == DS_OK && info.has_instance_id &&
             ds_client_get_key(c, cl->path, cl->purpose, "secp256k1", &nd->key) == DS_OK;
    if (!ok) hx_fail("node %d: Info/GetKey: %s", nd->index, c ? ds_client_last_error(c) : "no client");
    if (ok) {
        memcpy(nd->instance, info.instance_id, 20);
        hx_pad32(nd->instance, nd->instance32);
        ds_secp_pubkey(nd->key.key, nd->derived_pub, 33);
        memcpy(nd->app_pub, nd->sim.meta.app_pubkey, 33);
        HX_SET(nd->url, "http://127.0.0.1:%d/node-%d", 18080 + nd->index, nd->index);
        hx_progress("node %d: simulator pid %d (%s), instance %s", nd->index, (int)nd->sim.pid,
                    nd->mode == DS_VARIANT_CANONICAL ? "canonical" : ds_variant_name(nd->mode), hx_hex(nd->instance, 20));
    }
    ds_info_result_free(&info);
    ds_client_free(c);
    return ok ? 0 : -1;
}

/* Reads back peers, per-instance proof kinds and the events since from_block. */
static int report(cluster *cl, uint64_t from_block, int expect_mismatch) {
    hx_ctx *x = cl->x;
    ds_abi_value pool[64];
    char a[43], b[43];
    int failures = 0;
    for (int i = 0; i < cl->n; i++) {
        node *nd = &cl->nodes[i];
        ds_abi_value id = ds_abi_fbytes(nd->instance32, 32);
        if (hx_call(&x->ch, NULL, x->st.nft, "getInstanceProof(bytes32)", &id, 1, "(uint8,address,address)", pool, 64) != 0)
            return -1;
        nd->reg = pool[0].items[0].word[31] == 0 ? REG_BASIC : pool[0].items[0].word[31] == 1 ? REG_UNBOUND : REG_BOUND;
        memcpy(nd->root, ds_abi_get_address(&pool[0].items[1]), 20);
        if (hx_call(&x->ch, NULL, x->st.nft, "activeInstances(bytes32)", &id, 1, "(bool)", pool, 64) != 0) return -1;
        if (!pool[0].items[0].word[31]) nd->reg = REG_NONE;
        int want = nd->mode == DS_VARIANT_CANONICAL ? REG_BOUND : REG_BASIC;
        if (nd->reg != want || (want == REG_BASIC && nd->proof_error[0] == '\0')) failures++;
    }
    /* One value for the tuple, one for the array, one per peer URL (plus slack). */
    size_t peer_cap = (size_t)cl->n + 8;
    ds_abi_value *peer_pool = calloc(peer_cap, sizeof *peer_pool);
    if (!peer_pool) {
        hx_fail("out of memory reading %d peers", cl->n);
        return -1;
    }
    if (hx_call(&x->ch, NULL, x->st.nft, "getPeerEndpoints()", NULL, 0, "(string[])", peer_pool, peer_cap) != 0) {
        hx_fail("getPeerEndpoints(): %s%s", x->ch.revert, x->ch.err);
        free(peer_pool);
        return -1;
    }
    int npeers = (int)peer_pool[0].items[0].n;
    char (*peers)[128] = calloc((size_t)npeers + 1, sizeof *peers); /* copies: ch.ret is reused */
    for (int i = 0; peers && i < npeers; i++)
        HX_SET(peers[i], "%.*s", (int)peer_pool[0].items[0].items[i].len, (const char *)peer_pool[0].items[0].items[i].ptr);
    free(peer_pool);
    if (!peers) {
        hx_fail("out of memory reading %d peers", npeers);
        return -1;
    }
    int expect_peers = cl->n - expect_mismatch;
    if (npeers != expect_peers) failures++;

    ds_rpc_logs logs;
    if (ds_rpc_get_logs(&x->ch.rpc, x->st.nft, from_block + 1, UINT64_MAX, NULL, &logs) != DS_OK) {
        hx_fail("eth_getLogs: %s", ds_rpc_error(&x->ch.rpc));
        free(peers);
        return -1;
    }
    uint8_t t_reg[32], t_peer[32];
    ds_abi_topic("InstanceRegistered(bytes32,uint256,address,bool,bool,address)", t_reg);
    ds_abi_topic("PeerRegistered(bytes32,string,bool,address)", t_peer);
    int n_reg = 0, n_proof = 0, n_peer = 0;
    for (size_t k = 0; k < logs.n; k++) {
        const ds_rpc_log *l = &logs.v[k];
        if (l->ntopics >= 1 && !memcmp(l->topics[0], t_reg, 32)) {
            n_reg++;
            /* data: withProof, bound, kmsRoot */
            if (l->len >= 32 && l->data[31]) n_proof++;
        }
        if (l->ntopics >= 1 && !memcmp(l->topics[0], t_peer, 32)) n_peer++;
    }
    if (n_reg != cl->n || n_proof != expect_peers || n_peer != expect_peers) failures++;

    if (hx_ui_g.json) {
        cJSON *doc = cJSON_CreateObject(), *arr = cJSON_CreateArray(), *ev = cJSON_CreateArray(),
              *pa = cJSON_CreateArray();
        cJSON_AddBoolToObject(doc, "ok", failures == 0);
        cJSON_AddStringToObject(doc, "contract", hx_addr(x->st.nft, a));
        cJSON_AddStringToObject(doc, "kms_root", hx_addr(x->st.kms_root, a));
        for (int i = 0; i < cl->n; i++) {
            node *nd = &cl->nodes[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "node", nd->index);
            cJSON_AddStringToObject(o, "mode", ds_variant_name(nd->mode));
            cJSON_AddStringToObject(o, "instance_id", hx_hex(nd->instance, 20));
            cJSON_AddNumberToObject(o, "token", (double)nd->token);
            cJSON_AddStringToObject(o, "wallet", hx_addr(nd->wallet, a));
            cJSON_AddStringToObject(o, "registration", REG_NAMES[nd->reg]);
            cJSON_AddStringToObject(o, "kms_root", hx_addr(nd->root, a));
            if (nd->proof_error[0]) cJSON_AddStringToObject(o, "proof_rejected", nd->proof_error);
            cJSON_AddItemToArray(arr, o);
        }
        for (int i = 0; i < npeers; i++) cJSON_AddItemToArray(pa, cJSON_CreateString(peers[i]));
        for (size_t k = 0; k < logs.n; k++) {
            char text[2048];
            hx_describe_log(&x->ch, &logs.v[k], DS_ABI_FMT_JSON, text, sizeof text);
            cJSON *e = cJSON_Parse(text);
            cJSON_AddItemToArray(ev, e ? e : cJSON_CreateString(text));
        }
        cJSON_AddItemToObject(doc, "nodes", arr);
        cJSON_AddItemToObject(doc, "peers", pa);
        cJSON_AddItemToObject(doc, "events", ev);
        hx_json_emit(doc);
    } else {
        static const char *const head[] = {"node", "simulator", "instance id", "token", "registration", "KMS root", "why"};
        hx_table t;
        hx_table_init(&t, 7, head);
        for (int i = 0; i < cl->n; i++) {
            node *nd = &cl->nodes[i];
            char idx[8], tok[16], inst[48];
            HX_SET(idx, "%d", nd->index);
            HX_SET(tok, "#%llu", (unsigned long long)nd->token);
            HX_SET(inst, "%s", hx_hex(nd->instance, 20));
            const char *cells[7] = {idx, ds_variant_name(nd->mode), inst, tok, REG_NAMES[nd->reg],
                                    memcmp(nd->root, ZERO20, 20) ? hx_addr(nd->root, a) : "-",
                                    nd->proof_error[0] ? nd->proof_error : "chain verified, binding signed"};
            hx_table_row(&t, cells);
        }
        printf("dstack-harness cluster: %d nodes on %s (trusted KMS root %s)\n\n", cl->n, hx_addr(x->st.nft, a),
               hx_addr(x->st.kms_root, b));
        hx_table_print(&t, stdout);
        hx_table_free(&t);
        printf("\npeers (getPeerEndpoints): %d\n", npeers);
        for (int i = 0; i < npeers && i < 9; i++) printf("  %s\n", peers[i]);
        if (npeers > 9) printf("  … and %d more (all of them with --json)\n", npeers - 9);
        printf("\nevents since block %llu:\n", (unsigned long long)from_block + 1);
        for (size_t k = 0; k < logs.n; k++) {
            char text[2048];
            hx_describe_log(&x->ch, &logs.v[k], 0, text, sizeof text);
            printf("  block %llu  %s\n", (unsigned long long)logs.v[k].block, text);
        }
        printf("\n%s\n", failures == 0 ? (expect_mismatch
                                              ? "ok: every canonical node proved its key; the mismatched node was refused "
                                                "with a decoded reason and fell back to basic registration"
                                              : "ok: every node proved its key on chain")
                                       : "FAIL: the cluster does not look as expected (see above)");
    }
    ds_rpc_logs_free(&logs);
    free(peers);
    return failures == 0 ? 0 : 1;
}

int hx_cmd_cluster(int argc, char **argv) {
    static const struct option opts[] = {{"mismatch", required_argument, 0, 'm'}, {"mismatch-node", required_argument, 0, 'k'},
                                         {"path", required_argument, 0, 'p'},     {"purpose", required_argument, 0, 'P'},
                                         HX_COMMON_LONGOPTS,                      {0, 0, 0, 0}};
    cluster cl;
    int n = 3, mk = 0, ch;
    ds_variant mode = DS_VARIANT_EIP191;
    memset(&cl, 0, sizeof cl);
    cl.path = "dstack-harness/cluster";
    cl.purpose = "cluster";
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (hx_common_opt(ch, optarg)) continue;
        switch (ch) {
        case 'h': fputs(USAGE, stdout); return 0;
        case 'm':
            if (ds_variant_parse(optarg, &mode) != DS_OK) return hx_usage_error("cluster", "--mismatch: unknown mode");
            break;
        case 'k': mk = atoi(optarg); break;
        case 'p': cl.path = optarg; break;
        case 'P': cl.purpose = optarg; break;
        default: return hx_usage_error("cluster", "unknown option");
        }
    }
    if (optind < argc) {
        char *end;
        long v = strtol(argv[optind], &end, 10);
        if (*end || v < 1 || v > HX_MAX_NODES) return hx_usage_error("cluster", "N must be a number 1..100");
        n = (int)v;
        if (++optind < argc) return hx_usage_error("cluster", "unexpected argument");
    }
    if (mk == 0) mk = n;
    if (mk < 1 || mk > n) return hx_usage_error("cluster", "--mismatch-node must be 1..N");
    hx_ctx x;
    if (hx_ctx_open(&x) != 0) {
        hx_ctx_close(&x);
        return 1;
    }
    cl.x = &x;
    cl.nodes = calloc((size_t)n, sizeof *cl.nodes);
    if (!cl.nodes) {
        hx_fail("out of memory for %d nodes", n);
        hx_ctx_close(&x);
        return 1;
    }
    cl.n = n;
    char config[PATH_MAX];
    if (x.st.sim_config[0])
        HX_SET(config, "%s", x.st.sim_config);
    else
        hx_sim_default_config(config, sizeof config);
    uint8_t accts[HX_ANVIL_ACCOUNTS][20];
    size_t nacct = 0;
    uint64_t from_block = 0;
    int rc = 1;
    if (hx_accounts(&x.ch, accts, HX_ANVIL_ACCOUNTS, &nacct) != 0 || nacct < (size_t)n + 1) {
        hx_fail("the chain has %zu unlocked accounts; %d are needed (start Anvil with "
                "--accounts %d or more)", nacct, n + 1, n + 1);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        node *nd = &cl.nodes[i];
        nd->index = i + 1;
        nd->mode = (i + 1 == mk) ? mode : DS_VARIANT_CANONICAL;
        if (start_node(&cl, nd, config) != 0) goto out;
    }
    if (ds_rpc_block_number(&x.ch.rpc, &from_block) != DS_OK) {
        hx_fail("%s", ds_rpc_error(&x.ch.rpc));
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (prepare_token(&cl, &cl.nodes[i], (const uint8_t(*)[20])accts) != 0) goto out;
    if (ds_rpc_block_number(&x.ch.rpc, &from_block) != DS_OK) goto out;
    for (int i = 0; i < n; i++)
        if (register_node(&cl, &cl.nodes[i]) != 0) goto out;
    stop_all(&cl);
    rc = report(&cl, from_block, mode != DS_VARIANT_CANONICAL);
out:
    stop_all(&cl);
    free(cl.nodes);
    hx_ctx_close(&x);
    return rc;
}
