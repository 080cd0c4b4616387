/* cmd_up.c — `dstack-harness up`.
 *
 * up:   start Anvil (detached) and a dstack-simulator, read the KMS root and the BootInfo
 *       the simulator publishes (GetMeta: public values only), deploy production's shape —
 *       DstackMembershipNFT(root), DstackKms behind an ERC-1967 proxy with the DstackApp
 *       implementation, kmsInfo = the root, the simulator's OS image allowed, the app
 *       created by deployAndRegisterApp with the simulator's compose hash and device (or
 *       placed at --app-id) — set the NFT's cluster app id to the app id, mint one
 *       membership token per node, check both contracts report the simulator's root, then
 *       start the simulator again as the app: --app-id <app> --kms-auth contract:<kms>.
 *       With --fork, Anvil forks a chain and nothing is deployed: the chain's contracts
 *       decide. The deployment file records how to start the simulator again (`reboot`).
 *       If any step fails, everything started so far is stopped.
 * (`down` and `status` are in cmd_down.c.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds_client.h"
#include "ds_hex.h"
#include "ds_keccak.h"
#include "ds_secp.h"
#include "hx_anvil.h"
#include "hx_cmd.h"
#include "hx_gov.h"
#include "hx_out.h"
#include "hx_proc.h"
#include "hx_sim.h"

static const char UP_USAGE[] =
    "usage: dstack-harness up [options]\n"
    "\n"
    "Starts a local chain (Anvil) and a dstack-simulator and deploys dstack's on-chain KMS as\n"
    "production runs it: DstackKms behind a UUPS proxy (kmsInfo = the simulator's KMS root,\n"
    "its OS image allowed), the app created by deployAndRegisterApp with the simulator's\n"
    "compose hash and device, so the app id is the DstackApp's address; then the simulator\n"
    "runs as that app and asks DstackKms.isAppAllowed before it releases keys\n"
    "(--kms-auth contract:). Also mints membership NFTs and writes the deployment file the\n"
    "other subcommands read. Both processes keep running; `dstack-harness down` stops them.\n"
    "\n"
    "  --app-id HEX     put the app at this address (a production app id reproduced)\n"
    "  --fork URL       fork this chain (Anvil --fork-url) and deploy nothing: the chain's\n"
    "                   DstackKms (--kms-contract) and the app at --app-id decide\n"
    "  --fork-block N   fork at block N (default: latest)\n"
    "  --kms-contract ADDR  the forked chain's DstackKms (with --fork)\n"
    "  --nodes N        membership tokens to mint, one per Anvil account 1..N (default 3)\n"
    "  --port N         Anvil port on 127.0.0.1 (default: a free port)\n"
    "  --rpc URL        use this running chain instead of starting Anvil (not stopped by down)\n"
    "  --socket PATH    use this running simulator instead of starting one\n"
    "  --config FILE    simulator config (default: <repo>/appkeys.json)\n"
    "  --state FILE     deployment file (default build/harness/deployment.json)\n"
    "  --json           print the deployment as JSON\n"
    "  --quiet          no progress lines\n";

static void state_dir(const char *state, char *out, size_t cap) {
    hx_setf(out, cap, "%s", state);
    char *slash = strrchr(out, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        hx_setf(out, cap, ".");
}

static int mkdir_p(const char *dir) {
    char tmp[PATH_MAX];
    HX_SET(tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    return (mkdir(tmp, 0755) == 0 || errno == EEXIST) ? 0 : -1;
}

/* A running deployment already recorded in the state file? */
static int already_up(const hx_state *s) {
    return (s->anvil_pid > 0 && hx_proc_alive(s->anvil_pid)) ||
           (s->sim_pid > 0 && hx_proc_alive(s->sim_pid));
}

/* Deploys the contracts and mints tokens; fills s. 0 or -1 (reason printed). */
static int deploy(hx_chain *c, hx_state *s, int nodes, const ds_meta_result *meta, const hx_bootinfo *bi,
                  const uint8_t *app_at) {
    uint8_t accts[HX_ANVIL_ACCOUNTS][20];
    size_t nacct = 0;
    char a1[43];
    ds_abi_value pool[16];
    if (hx_accounts(c, accts, HX_ANVIL_ACCOUNTS, &nacct) != 0 || nacct < (size_t)nodes + 1) {
        hx_fail("the chain has %zu unlocked accounts; %d are needed (Anvil's defaults give 10)%s%s", nacct,
                nodes + 1, c->err[0] ? ": " : "", c->err);
        return -1;
    }
    memcpy(s->owner, accts[0], 20);
    ds_abi_value a = ds_abi_address(meta->k256_address);
    hx_progress("deploying DstackMembershipNFT(initialKmsRoot = %s)", hx_addr(meta->k256_address, a1));
    if (hx_deploy(c, HX_NFT, s->owner, &a, 1, s->nft, &s->deploy_block) != 0) goto fail;
    if (hx_gov_deploy_kms(c, s, meta->k256_pubkey, bi->boot.os_image_hash) != 0) return -1;
    if (hx_gov_create_app(c, s, &bi->boot, app_at) != 0) return -1;
    memcpy(s->app_id, s->app, 20);
    uint8_t app32[32];
    hx_pad32(s->app_id, app32);
    ds_abi_value appid = ds_abi_fbytes(app32, 32);
    hx_progress("DstackMembershipNFT.setClusterAppId(%s)", hx_hex(app32, 32));
    if (hx_send_or_fail(c, s->owner, s->nft, "setClusterAppId", "setClusterAppId(bytes32)", &appid,
                        1, NULL))
        return -1;
    uint8_t minted_topic[32];
    ds_abi_topic("NodeAccessMinted(address,uint256,string)", minted_topic);
    for (int i = 1; i <= nodes; i++) {
        char name[32];
        ds_rpc_receipt rc;
        HX_SET(name, "node-%d", i);
        ds_abi_value margs[2] = {ds_abi_address(accts[i]), ds_abi_string(name)};
        if (hx_send_or_fail(c, s->owner, s->nft, "mintNodeAccess", "mintNodeAccess(address,string)",
                            margs, 2, &rc))
            return -1;
        for (size_t k = 0; k < rc.logs.n; k++) {
            const ds_rpc_log *l = &rc.logs.v[k];
            if (l->ntopics == 3 && memcmp(l->topics[0], minted_topic, 32) == 0 && s->ntokens < HX_MAX_TOKENS) {
                ds_abi_value tok = ds_abi_uint_be(l->topics[2], 32);
                ds_abi_get_u64(&tok, &s->tokens[s->ntokens].id);
                memcpy(s->tokens[s->ntokens].owner, accts[i], 20);
                s->ntokens++;
            }
        }
        ds_rpc_receipt_free(&rc);
        hx_progress("minted membership token #%llu to %s", (unsigned long long)s->tokens[s->ntokens - 1].id,
                    hx_addr(accts[i], a1));
    }
    /* on-chain checks: both contracts name the simulator's root */
    const struct { const uint8_t *addr; const char *name; } roots[2] = {{s->nft, "DstackMembershipNFT"},
                                                                       {s->kms, "DstackKms"}};
    for (int i = 0; i < 2; i++) {
        int r = hx_call(c, NULL, roots[i].addr, "kmsRootAddress()", NULL, 0, "(address)", pool, 16);
        if (r != 0 || memcmp(ds_abi_get_address(&pool[0].items[0]), meta->k256_address, 20) != 0) {
            hx_fail("%s.kmsRootAddress() does not return the simulator's root %s%s%s", roots[i].name,
                    hx_addr(meta->k256_address, a1), r ? ": " : "", r == 1 ? c->revert : c->err);
            return -1;
        }
    }
    return 0;
fail:
    hx_fail("%s", c->err);
    return -1;
}

void hx_state_print(const hx_state *s, const char *title) {
    char a[43];
    char buf[2][512];
    hx_table t;
    static const char *const head[] = {"component", "value"};
    hx_table_init(&t, 2, head);
#define ROW(k, v)                                 \
    do {                                          \
        const char *cells_[2] = {(k), (v)};       \
        hx_table_row(&t, cells_);                 \
    } while (0)
    HX_SET(buf[0], "%s (chain id %llu)", s->rpc_url, (unsigned long long)s->chain_id);
    ROW("chain", buf[0]);
    if (s->anvil_pid) {
        HX_SET(buf[1], "pid %d, log %s", (int)s->anvil_pid, s->anvil_log);
        ROW("anvil", buf[1]);
    }
    ROW("simulator socket", s->sim_sock);
    if (s->sim_pid) {
        HX_SET(buf[1], "pid %d, log %s", (int)s->sim_pid, s->sim_log);
        ROW("simulator", buf[1]);
    }
    ROW("KMS root (GetMeta)", hx_addr(s->kms_root, a));
    ROW("app id", hx_hex(s->app_id, 20));
    if (s->fork_url[0]) {
        if (s->fork_block >= 0)
            HX_SET(buf[0], "%s at block %lld", s->fork_url, (long long)s->fork_block);
        else
            HX_SET(buf[0], "%s at the latest block", s->fork_url);
        ROW("fork of", buf[0]);
    }
    if (s->sim_kms_auth[0]) ROW("simulator --kms-auth", s->sim_kms_auth);
    if (s->sim_compose[0]) ROW("simulator --compose", s->sim_compose);
    ROW("DstackMembershipNFT", hx_addr(s->nft, a));
    HX_SET(buf[0], "%s (proxy)", hx_addr(s->kms, a));
    ROW("DstackKms", buf[0]);
    HX_SET(buf[0], "%s (proxy = the app id)", hx_addr(s->app, a));
    ROW("DstackApp", buf[0]);
    for (int i = 0; i < s->ntokens; i++) {
        HX_SET(buf[0], "token #%llu", (unsigned long long)s->tokens[i].id);
        ROW(buf[0], hx_addr(s->tokens[i].owner, a));
    }
    ROW("deployment file", s->path);
#undef ROW
    printf("%s\n\n", title);
    hx_table_print(&t, stdout);
    hx_table_free(&t);
}

void hx_state_emit_json(const hx_state *s, int ok) {
    char err[256];
    FILE *f = fopen(s->path, "r");
    cJSON *doc = NULL;
    if (f != NULL) {
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        doc = cJSON_Parse(buf);
    }
    if (doc == NULL) doc = cJSON_CreateObject();
    cJSON_AddBoolToObject(doc, "ok", ok);
    cJSON_AddStringToObject(doc, "state_file", s->path);
    (void)err;
    hx_json_emit(doc);
}

typedef struct {
    int nodes, port;
    char rpc[128], sock[PATH_MAX], config[PATH_MAX];
    int have_app_id, have_kms;
    uint8_t app_id[20], kms[20];
    char fork[256];
    long long fork_block; /* -1: latest */
} up_opts;

static int parse_up(int argc, char **argv, up_opts *o) {
    static const struct option opts[] = {{"nodes", required_argument, 0, 'n'},
                                         {"port", required_argument, 0, 'p'},
                                         {"rpc", required_argument, 0, 'r'},
                                         {"socket", required_argument, 0, 's'},
                                         {"config", required_argument, 0, 'c'},
                                         {"app-id", required_argument, 0, 'i'},
                                         {"fork", required_argument, 0, 'f'},
                                         {"fork-block", required_argument, 0, 'b'},
                                         {"kms-contract", required_argument, 0, 'k'},
                                         HX_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int ch;
    char *end;
    memset(o, 0, sizeof *o);
    o->nodes = 3;
    o->fork_block = -1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (hx_common_opt(ch, optarg)) continue;
        switch (ch) {
        case 'h': fputs(UP_USAGE, stdout); return 1;
        case 'n':
            o->nodes = atoi(optarg);
            if (o->nodes < 1 || o->nodes > HX_MAX_NODES) return hx_usage_error("up", "--nodes must be 1..100");
            break;
        case 'p':
            o->port = atoi(optarg);
            if (o->port < 1 || o->port > 65535) return hx_usage_error("up", "--port must be 1..65535");
            break;
        case 'r': HX_SET(o->rpc, "%s", optarg); break;
        case 's': HX_SET(o->sock, "%s", optarg); break;
        case 'c': HX_SET(o->config, "%s", optarg); break;
        case 'i':
            if (ds_hex_decode_exact(optarg, strlen(optarg), o->app_id, 20) != DS_OK)
                return hx_usage_error("up", "--app-id wants 20 bytes of hex");
            o->have_app_id = 1;
            break;
        case 'k':
            if (ds_hex_decode_exact(optarg, strlen(optarg), o->kms, 20) != DS_OK)
                return hx_usage_error("up", "--kms-contract wants a 20-byte address");
            o->have_kms = 1;
            break;
        case 'f':
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return hx_usage_error("up", "--fork wants an http:// or https:// JSON-RPC URL");
            HX_SET(o->fork, "%s", optarg);
            break;
        case 'b':
            o->fork_block = strtoll(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || o->fork_block < 0)
                return hx_usage_error("up", "--fork-block wants a block number");
            break;
        default: return hx_usage_error("up", "unknown option");
        }
    }
    if (optind < argc) return hx_usage_error("up", "unexpected argument");
    if (o->fork[0] && (!o->have_kms || !o->have_app_id))
        return hx_usage_error("up", "--fork needs --kms-contract ADDR and --app-id HEX (the chain's KMS and app)");
    if (!o->fork[0] && (o->have_kms || o->fork_block >= 0))
        return hx_usage_error("up", "--kms-contract and --fork-block go with --fork");
    if (o->fork[0] && (o->rpc[0] || o->sock[0]))
        return hx_usage_error("up", "--fork starts its own Anvil and simulator: drop --rpc / --socket");
    return 0;
}

/* The forked chain's KMS: code there, its owner into s->owner. 0 or -1 (printed). */
static int attach_fork(hx_chain *c, hx_state *s) {
    char a1[43], a2[43];
    ds_abi_value pool[4];
    size_t code = 0;
    hx_addr(s->kms, a1);
    if (ds_rpc_code_size(&c->rpc, s->kms, &code) != DS_OK || code == 0) {
        hx_fail("no contract at --kms-contract %s on the fork of %s (wrong chain or block?)%s%s", a1,
                s->fork_url, ds_rpc_error(&c->rpc)[0] ? ": " : "", ds_rpc_error(&c->rpc));
        return -1;
    }
    int r = hx_call(c, NULL, s->kms, "owner()", NULL, 0, "(address)", pool, 4);
    if (r != 0) {
        hx_fail("%s.owner(): %s (is it a DstackKms?)", a1, r == 1 ? c->revert : c->err);
        return -1;
    }
    memcpy(s->owner, ds_abi_get_address(&pool[0].items[0]), 20);
    hx_progress("fork: DstackKms %s (owner %s), app id %s; nothing deployed", a1, hx_addr(s->owner, a2),
                hx_hex(s->app_id, 20));
    return 0;
}

int hx_cmd_up(int argc, char **argv) {
    up_opts o;
    char err[1024], dir[PATH_MAX];
    int pr = parse_up(argc, argv, &o);
    if (pr != 0) return pr == 1 ? 0 : pr;
    if (hx_state_path[0] == '\0') hx_state_default_path(hx_state_path, sizeof hx_state_path);
    if (o.config[0] == '\0') hx_sim_default_config(o.config, sizeof o.config);

    hx_state s, old;
    if (hx_state_load(hx_state_path, &old, err, sizeof err) == 0) {
        if (already_up(&old)) {
            hx_fail("a deployment is already up (%s, chain %s): run `dstack-harness down` first", hx_state_path,
                    old.rpc_url);
            return 1;
        }
        hx_progress("removing a stale deployment file (its processes are gone): %s", hx_state_path);
        unlink(hx_state_path);
    }
    memset(&s, 0, sizeof s);
    HX_SET(s.path, "%s", hx_state_path);
    state_dir(hx_state_path, dir, sizeof dir);
    if (mkdir_p(dir) != 0) {
        hx_fail("cannot create %s: %s", dir, strerror(errno));
        return 1;
    }

    hx_anvil anvil;
    hx_sim sim;
    memset(&anvil, 0, sizeof anvil);
    memset(&sim, 0, sizeof sim);
    int ok = 0;
    hx_chain c;
    int chain_open = 0;
    hx_bootinfo bi;
    char simdir[PATH_MAX + 8];
    HX_SET(simdir, "%s/sim", dir);
    if (o.rpc[0]) {
        if (hx_chain_ping(o.rpc, &s.chain_id, err, sizeof err) != 0) {
            hx_fail("%s", err);
            return 1;
        }
        HX_SET(s.rpc_url, "%s", o.rpc);
        hx_progress("using the chain at %s (chain id %llu)", o.rpc, (unsigned long long)s.chain_id);
    } else {
        char blk[32];
        const char *extra[5] = {NULL};
        if (o.fork[0]) {
            extra[0] = "--fork-url";
            extra[1] = o.fork;
            if (o.fork_block >= 0) {
                HX_SET(blk, "%lld", o.fork_block);
                extra[2] = "--fork-block-number";
                extra[3] = blk;
            }
            HX_SET(s.fork_url, "%s", o.fork);
            s.fork_block = o.fork_block; /* -1: the latest block */
        }
        HX_SET(s.anvil_log, "%s/anvil.log", dir);
        unlink(s.anvil_log);
        if (o.fork[0])
            hx_progress("starting anvil forking %s at %s", o.fork, o.fork_block >= 0 ? blk : "the latest block");
        else if (o.port)
            hx_progress("starting anvil on 127.0.0.1:%d", o.port);
        else
            hx_progress("starting anvil on a free port of 127.0.0.1");
        if (hx_anvil_start_args(&anvil, o.port, s.anvil_log, extra, err, sizeof err) != 0) {
            hx_fail("%s", err);
            return 1;
        }
        s.anvil_pid = anvil.pid;
        s.anvil_port = anvil.port;
        s.chain_id = anvil.chain_id;
        HX_SET(s.rpc_url, "%s", anvil.url);
        hx_progress("anvil pid %d answers on %s (chain id %llu)", (int)anvil.pid, anvil.url,
                    (unsigned long long)anvil.chain_id);
    }
    if (hx_chain_open(&c, s.rpc_url) != 0) {
        hx_fail("%s", c.err);
        goto out;
    }
    chain_open = 1;
    if (hx_chain_load_artifacts(&c, 1) != 0) {
        hx_fail("%s", c.err);
        goto out;
    }
    HX_SET(s.sim_config, "%s", o.config);
    if (o.fork[0]) {
        memcpy(s.kms, o.kms, 20);
        memcpy(s.app, o.app_id, 20);
        memcpy(s.app_id, o.app_id, 20);
        if (attach_fork(&c, &s) != 0) goto out;
    }
    if (o.sock[0]) {
        HX_SET(s.sim_sock, "%s", o.sock);
        s.sim_config[0] = '\0';
    } else {
        mkdir(simdir, 0755);
        if (o.fork[0]) { /* the app id and KMS are known: start it as the app at once */
            s.sim_app_id = 1;
            HX_SET(s.sim_kms_auth, "contract:%s", hx_hex(s.kms, 20));
        }
        hx_progress("starting dstack-simulator (config %s)", o.config);
        if (hx_gov_sim_start(&sim, simdir, &s, err, sizeof err) != 0) {
            hx_fail("%s", err);
            goto out;
        }
        s.sim_pid = sim.pid;
        HX_SET(s.sim_sock, "%s", sim.sock);
        HX_SET(s.sim_log, "%s", sim.log);
        hx_progress("simulator pid %d listens on %s", (int)sim.pid, sim.sock);
    }
    ds_meta_result meta;
    if (sim.pid) { /* started above: hx_sim_start read GetMeta as it came up */
        meta = sim.meta;
    } else {
        ds_client *cl = hx_sim_client(s.sim_sock);
        if (cl == NULL || ds_client_get_meta(cl, &meta) != DS_OK) {
            hx_fail("GetMeta on %s: %s", s.sim_sock,
                    cl ? ds_client_last_error(cl) : "out of memory");
            ds_client_free(cl);
            goto out;
        }
        ds_client_free(cl);
    }
    if (hx_bootinfo_read(s.sim_sock, &bi, err, sizeof err) != 0) {
        hx_fail("%s", err);
        goto out;
    }
    if (!meta.have_root) {
        hx_fail("the simulator publishes no KMS root (it runs on a static k256_signature): give it a config with "
                "kms_root_key (like the repository's appkeys.json)");
        goto out;
    }
    char a1[43];
    hx_progress(
        "GetMeta: KMS root %s (public key %s); BootInfo: compose hash %s, device %s, OS image %s",
        hx_addr(meta.k256_address, a1), hx_hex(meta.k256_pubkey, 33),
        hx_hex(bi.boot.compose_hash, 32), hx_hex(bi.boot.device_id, 32),
        hx_hex(bi.boot.os_image_hash, 32));
    /* the published address must belong to the published key: check it ourselves */
    uint8_t derived[20];
    if (ds_secp_address(meta.k256_pubkey, 33, derived) != DS_OK || memcmp(derived, meta.k256_address, 20) != 0) {
        hx_fail("GetMeta's k256_address is not the address of its k256_pubkey");
        goto out;
    }
    memcpy(s.kms_root, meta.k256_address, 20);
    memcpy(s.kms_root_pub, meta.k256_pubkey, 33);
    memcpy(s.compose_hash, bi.boot.compose_hash, 32);
    if (!o.fork[0]) {
        const uint8_t *at = o.have_app_id ? o.app_id : NULL;
        if (o.sock[0]) { /* a simulator we cannot restart: the app goes where its app id is */
            if (o.have_app_id && memcmp(o.app_id, bi.boot.app_id, 20) != 0) {
                hx_fail("--app-id %s, but the simulator on %s runs as app %s", hx_hex(o.app_id, 20),
                        o.sock, hx_hex(bi.boot.app_id, 20));
                goto out;
            }
            at = bi.boot.app_id;
        }
        if (deploy(&c, &s, o.nodes, &meta, &bi, at) != 0) goto out;
    }
    if (sim.pid && !o.fork[0]) { /* boot again as the app, asking the chain */
        s.sim_app_id = 1;
        HX_SET(s.sim_kms_auth, "contract:%s", hx_hex(s.kms, 20));
        hx_progress("restarting the simulator as app %s with --kms-auth %s --rpc %s", hx_hex(s.app_id, 20),
                    s.sim_kms_auth, s.rpc_url);
        hx_sim_stop(&sim);
        if (hx_gov_sim_restart(&sim, &s, &bi, err, sizeof err) != 0) {
            hx_fail("%s", err);
            goto out;
        }
    }
    if (memcmp(bi.boot.app_id, s.app_id, 20) != 0) {
        hx_fail("the simulator runs as app %s, not %s", hx_hex(bi.boot.app_id, 20),
                hx_hex(s.app_id, 20));
        goto out;
    }
    if (bi.reason[0])
        hx_progress("the simulator's KMS auth (%s): %s — %s; `dstack-harness boot-check` explains it", bi.mode,
                    bi.decision, bi.reason);
    else
        hx_progress("the simulator's KMS auth (%s): %s", bi.mode, bi.decision);
    if (!o.fork[0] && strcmp(bi.decision, "allowed") != 0) {
        hx_fail("the freshly deployed KMS refused the simulator: %s", bi.reason);
        goto out;
    }
    if (hx_state_save(&s, err, sizeof err) != 0) {
        hx_fail("%s", err);
        goto out;
    }
    ok = 1;
out:
    if (chain_open) hx_chain_close(&c);
    if (!ok) {
        hx_progress("stopping what was started");
        if (sim.pid) hx_sim_stop(&sim);
        if (anvil.pid) hx_anvil_stop(&anvil);
        return 1;
    }
    hx_proc_forget(anvil.pid); /* both keep running after we exit */
    hx_proc_forget(sim.pid);
    if (hx_ui_g.json)
        hx_state_emit_json(&s, 1);
    else
        hx_state_print(&s, "dstack-harness up: deployment ready");
    return 0;
}
