/* cmd_up.c — `dstack-harness up`, `down` and `status`.
 *
 * up:   start Anvil (detached) and a dstack-simulator (detached), read the KMS root the
 *       simulator publishes (GetMeta over its socket: a public key and its address, never
 *       a private key), deploy DstackMembershipNFT(root), DstackKms (with the root public
 *       key as kmsInfo) and DstackApp (with the simulator's compose hash), register the
 *       app, set the NFT's cluster app id, mint one membership token per node, check on
 *       chain that both contracts report the simulator's root, and write the deployment
 *       file. If any step fails, everything started so far is stopped.
 * down: stop what `up` started (checking each pid is still that process), remove the
 *       socket and the deployment file, and check that no process, port or socket is left.
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
#include "hx_out.h"
#include "hx_proc.h"
#include "hx_sim.h"

static const char UP_USAGE[] =
    "usage: dstack-harness up [options]\n"
    "\n"
    "Starts a local chain (Anvil) and a dstack-simulator, deploys the contracts with the\n"
    "simulator's published KMS root as the trusted root, mints membership NFTs, and writes\n"
    "the deployment file that the other subcommands read. Both processes keep running\n"
    "after `up` returns; `dstack-harness down` stops them.\n"
    "\n"
    "  --nodes N        membership tokens to mint, one per Anvil account 1..N (default 3)\n"
    "  --port N         Anvil port on 127.0.0.1 (default: a free port)\n"
    "  --rpc URL        use this running chain instead of starting Anvil (not stopped by down)\n"
    "  --socket PATH    use this running simulator instead of starting one\n"
    "  --config FILE    simulator config (default: <repo>/appkeys.json)\n"
    "  --state FILE     deployment file (default build/harness/deployment.json)\n"
    "  --json           print the deployment as JSON\n"
    "  --quiet          no progress lines\n";

static const char DOWN_USAGE[] =
    "usage: dstack-harness down [--state FILE] [--json] [--quiet]\n"
    "\n"
    "Stops the Anvil and the simulator that `up` started, removes the simulator socket and\n"
    "the deployment file, and checks that no process, port or socket is left behind.\n";

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

static int send_or_fail(hx_chain *c, const uint8_t from[20], const uint8_t to[20], const char *what,
                        const char *sig, const ds_abi_value *args, size_t n, ds_rpc_receipt *rc) {
    int r = hx_send(c, from, to, sig, args, n, rc);
    if (r != 0) hx_fail("%s: %s", what, r == 1 ? c->revert : c->err);
    return r;
}

/* Deploys the contracts and mints tokens; fills s. 0 or -1 (reason printed). */
static int deploy(hx_chain *c, hx_state *s, int nodes, const ds_meta_result *meta,
                  const ds_info_result *info) {
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
    ds_abi_value owner = ds_abi_address(s->owner);
    hx_progress("deploying DstackKms(owner = %s)", hx_addr(s->owner, a1));
    if (hx_deploy(c, HX_KMS, s->owner, &owner, 1, s->kms, NULL) != 0) goto fail;
    ds_abi_value info4[4] = {ds_abi_bytes(meta->k256_pubkey, 33), ds_abi_bytes(NULL, 0),
                             ds_abi_bytes(NULL, 0), ds_abi_bytes(NULL, 0)};
    ds_abi_value kmsinfo = ds_abi_tuple(info4, 4);
    hx_progress("DstackKms.setKmsInfo(k256Pubkey = %s)", hx_hex(meta->k256_pubkey, 33));
    if (send_or_fail(c, s->owner, s->kms, "setKmsInfo", "setKmsInfo((bytes,bytes,bytes,bytes))", &kmsinfo, 1, NULL))
        return -1;
    uint8_t zero[32] = {0};
    ds_abi_value app_args[5] = {owner, ds_abi_bool(1), ds_abi_bool(0), ds_abi_fbytes(zero, 32),
                                ds_abi_fbytes(info->compose_hash, 32)};
    hx_progress("deploying DstackApp(compose hash %s allowed, any device)", hx_hex(info->compose_hash, 32));
    if (hx_deploy(c, HX_APP, s->owner, app_args, 5, s->app, NULL) != 0) goto fail;
    ds_abi_value app = ds_abi_address(s->app);
    if (send_or_fail(c, s->owner, s->kms, "registerApp", "registerApp(address)", &app, 1, NULL)) return -1;
    uint8_t app32[32];
    hx_pad32(meta->app_id, app32);
    ds_abi_value appid = ds_abi_fbytes(app32, 32);
    hx_progress("DstackMembershipNFT.setClusterAppId(%s)", hx_hex(app32, 32));
    if (send_or_fail(c, s->owner, s->nft, "setClusterAppId", "setClusterAppId(bytes32)", &appid, 1, NULL))
        return -1;
    uint8_t minted_topic[32];
    ds_abi_topic("NodeAccessMinted(address,uint256,string)", minted_topic);
    for (int i = 1; i <= nodes; i++) {
        char name[32];
        ds_rpc_receipt rc;
        HX_SET(name, "node-%d", i);
        ds_abi_value margs[2] = {ds_abi_address(accts[i]), ds_abi_string(name)};
        if (send_or_fail(c, s->owner, s->nft, "mintNodeAccess", "mintNodeAccess(address,string)", margs, 2, &rc))
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

static void print_state(const hx_state *s, const char *title) {
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
    ROW("DstackMembershipNFT", hx_addr(s->nft, a));
    ROW("DstackKms", hx_addr(s->kms, a));
    ROW("DstackApp", hx_addr(s->app, a));
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

static void emit_state_json(const hx_state *s, int ok) {
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

int hx_cmd_up(int argc, char **argv) {
    static const struct option opts[] = {{"nodes", required_argument, 0, 'n'},
                                         {"port", required_argument, 0, 'p'},
                                         {"rpc", required_argument, 0, 'r'},
                                         {"socket", required_argument, 0, 's'},
                                         {"config", required_argument, 0, 'c'},
                                         HX_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int nodes = 3, port = 0, ch;
    char rpc[128] = "", sock[PATH_MAX] = "", config[PATH_MAX] = "", err[1024], dir[PATH_MAX];
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (hx_common_opt(ch, optarg)) continue;
        switch (ch) {
        case 'h': fputs(UP_USAGE, stdout); return 0;
        case 'n':
            nodes = atoi(optarg);
            if (nodes < 1 || nodes > HX_MAX_NODES) return hx_usage_error("up", "--nodes must be 1..100");
            break;
        case 'p':
            port = atoi(optarg);
            if (port < 1 || port > 65535) return hx_usage_error("up", "--port must be 1..65535");
            break;
        case 'r': HX_SET(rpc, "%s", optarg); break;
        case 's': HX_SET(sock, "%s", optarg); break;
        case 'c': HX_SET(config, "%s", optarg); break;
        default: return hx_usage_error("up", "unknown option");
        }
    }
    if (optind < argc) return hx_usage_error("up", "unexpected argument");
    if (hx_state_path[0] == '\0') hx_state_default_path(hx_state_path, sizeof hx_state_path);
    if (config[0] == '\0') hx_sim_default_config(config, sizeof config);

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
    ds_info_result info;
    memset(&info, 0, sizeof info);
    int ok = 0;
    hx_chain c;
    int chain_open = 0;
    if (rpc[0]) {
        if (hx_chain_ping(rpc, &s.chain_id, err, sizeof err) != 0) {
            hx_fail("%s", err);
            return 1;
        }
        HX_SET(s.rpc_url, "%s", rpc);
        hx_progress("using the chain at %s (chain id %llu)", rpc, (unsigned long long)s.chain_id);
    } else {
        HX_SET(s.anvil_log, "%s/anvil.log", dir);
        unlink(s.anvil_log);
        if (port)
            hx_progress("starting anvil on 127.0.0.1:%d", port);
        else
            hx_progress("starting anvil on a free port of 127.0.0.1");
        if (hx_anvil_start(&anvil, port, s.anvil_log, err, sizeof err) != 0) {
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
    ds_client *cl = NULL;
    ds_meta_result meta;
    if (sock[0]) {
        HX_SET(s.sim_sock, "%s", sock);
    } else {
        char simdir[PATH_MAX + 8];
        HX_SET(simdir, "%s/sim", dir);
        mkdir(simdir, 0755);
        hx_progress("starting dstack-simulator (config %s)", config);
        if (hx_sim_start(&sim, simdir, config, NULL, err, sizeof err) != 0) {
            hx_fail("%s", err);
            goto out;
        }
        s.sim_pid = sim.pid;
        HX_SET(s.sim_sock, "%s", sim.sock);
        HX_SET(s.sim_log, "%s", sim.log);
        HX_SET(s.sim_config, "%s", config);
        hx_progress("simulator pid %d listens on %s", (int)sim.pid, sim.sock);
    }
    cl = hx_sim_client(s.sim_sock);
    if (cl == NULL || ds_client_get_meta(cl, &meta) != DS_OK || ds_client_info(cl, &info) != DS_OK) {
        hx_fail("GetMeta/Info on %s: %s", s.sim_sock, cl ? ds_client_last_error(cl) : "out of memory");
        goto out;
    }
    if (!meta.have_root) {
        hx_fail("the simulator publishes no KMS root (it runs on a static k256_signature): give it a config with "
                "kms_root_key (like the repository's appkeys.json)");
        goto out;
    }
    char a1[43];
    hx_progress("GetMeta: KMS root %s (public key %s), app id %s", hx_addr(meta.k256_address, a1),
                hx_hex(meta.k256_pubkey, 33), hx_hex(meta.app_id, 20));
    /* the published address must belong to the published key: check it ourselves */
    uint8_t derived[20];
    if (ds_secp_address(meta.k256_pubkey, 33, derived) != DS_OK || memcmp(derived, meta.k256_address, 20) != 0) {
        hx_fail("GetMeta's k256_address is not the address of its k256_pubkey");
        goto out;
    }
    memcpy(s.kms_root, meta.k256_address, 20);
    memcpy(s.kms_root_pub, meta.k256_pubkey, 33);
    memcpy(s.app_id, meta.app_id, 20);
    memcpy(s.compose_hash, info.compose_hash, 32);

    if (hx_chain_open(&c, s.rpc_url) != 0) {
        hx_fail("%s", c.err);
        goto out;
    }
    chain_open = 1;
    if (hx_chain_load_artifacts(&c, 1) != 0) {
        hx_fail("%s", c.err);
        goto out;
    }
    if (deploy(&c, &s, nodes, &meta, &info) != 0) goto out;
    if (hx_state_save(&s, err, sizeof err) != 0) {
        hx_fail("%s", err);
        goto out;
    }
    ok = 1;
out:
    if (cl) ds_client_free(cl);
    ds_info_result_free(&info);
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
        emit_state_json(&s, 1);
    else
        print_state(&s, "dstack-harness up: deployment ready");
    return 0;
}

int hx_cmd_down(int argc, char **argv) {
    static const struct option opts[] = {HX_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int ch;
    char err[1024];
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (hx_common_opt(ch, optarg)) continue;
        if (ch == 'h') {
            fputs(DOWN_USAGE, stdout);
            return 0;
        }
        return hx_usage_error("down", "unknown option");
    }
    if (optind < argc) return hx_usage_error("down", "unexpected argument");
    if (hx_state_path[0] == '\0') hx_state_default_path(hx_state_path, sizeof hx_state_path);
    hx_state s;
    int r = hx_state_load(hx_state_path, &s, err, sizeof err);
    if (r == 1) {
        if (hx_ui_g.json) {
            cJSON *doc = cJSON_CreateObject();
            cJSON_AddBoolToObject(doc, "ok", 1);
            cJSON_AddStringToObject(doc, "note", "nothing to stop");
            hx_json_emit(doc);
        } else {
            printf("dstack-harness down: nothing to stop (no deployment at %s)\n", hx_state_path);
        }
        return 0;
    }
    if (r < 0) {
        hx_fail("%s", err);
        return 1;
    }
    int problems = 0;
    if (s.sim_pid) {
        hx_progress("stopping dstack-simulator pid %d", (int)s.sim_pid);
        if (hx_sim_stop_recorded(s.sim_pid, s.sim_sock) != 0) problems++;
        char simdir[PATH_MAX];
        HX_SET(simdir, "%s", s.sim_sock);
        char *slash = strrchr(simdir, '/');
        if (slash) {
            *slash = '\0';
            char logp[PATH_MAX + 16];
            HX_SET(logp, "%s/simulator.log", simdir);
            unlink(logp);
            rmdir(simdir);
        }
    }
    if (s.anvil_pid) {
        hx_anvil a;
        memset(&a, 0, sizeof a);
        a.pid = s.anvil_pid;
        a.port = s.anvil_port;
        hx_progress("stopping anvil pid %d (port %d)", (int)s.anvil_pid, s.anvil_port);
        if (hx_anvil_stop(&a) != 0) problems++;
        unlink(s.anvil_log);
    }
    /* check: nothing left */
    int sim_left = s.sim_pid && hx_proc_alive(s.sim_pid) && hx_proc_matches(s.sim_pid, "dstack-simulator", NULL);
    int anvil_left = s.anvil_pid && hx_proc_alive(s.anvil_pid) && hx_proc_matches(s.anvil_pid, "anvil", NULL);
    int port_left = s.anvil_pid && hx_port_open_after(s.anvil_port, 2000);
    int sock_left = s.sim_pid && access(s.sim_sock, F_OK) == 0;
    if (sim_left || anvil_left || port_left || sock_left) problems++;
    if (problems == 0) unlink(s.path);
    if (hx_ui_g.json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddBoolToObject(doc, "ok", problems == 0);
        cJSON_AddBoolToObject(doc, "anvil_running", anvil_left);
        cJSON_AddBoolToObject(doc, "port_open", port_left);
        cJSON_AddBoolToObject(doc, "simulator_running", sim_left);
        cJSON_AddBoolToObject(doc, "socket_left", sock_left);
        hx_json_emit(doc);
    } else if (problems == 0) {
        printf("dstack-harness down: stopped anvil%s and the simulator%s; no process, port or socket left\n",
               s.anvil_pid ? "" : " (not ours: left running)", s.sim_pid ? "" : " (not ours: left running)");
    } else {
        hx_fail("down: something is still running (anvil %s, port %s, simulator %s, socket %s)",
                anvil_left ? "running" : "stopped", port_left ? "open" : "closed",
                sim_left ? "running" : "stopped", sock_left ? "present" : "removed");
    }
    return problems == 0 ? 0 : 1;
}

int hx_cmd_status(int argc, char **argv) {
    static const struct option opts[] = {HX_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int ch;
    char err[1024];
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (hx_common_opt(ch, optarg)) continue;
        if (ch == 'h') {
            fputs("usage: dstack-harness status [--state FILE] [--json]\n\nShows the deployment and "
                  "whether its chain and simulator are running (exit 0 when both are).\n",
                  stdout);
            return 0;
        }
        return hx_usage_error("status", "unknown option");
    }
    if (hx_state_path[0] == '\0') hx_state_default_path(hx_state_path, sizeof hx_state_path);
    hx_state s;
    if (hx_state_load(hx_state_path, &s, err, sizeof err) != 0) {
        hx_fail("%s", err);
        return 1;
    }
    int chain_ok = hx_chain_ping(s.rpc_url, NULL, err, sizeof err) == 0;
    ds_client *cl = hx_sim_client(s.sim_sock);
    ds_meta_result m;
    int sim_ok = cl != NULL && ds_client_get_meta(cl, &m) == DS_OK;
    ds_client_free(cl);
    if (hx_ui_g.json) {
        emit_state_json(&s, chain_ok && sim_ok);
    } else {
        print_state(&s, "dstack-harness status");
        printf("\nchain: %s\nsimulator: %s\n", chain_ok ? "answering" : err,
               sim_ok ? "answering" : "not answering");
    }
    return chain_ok && sim_ok ? 0 : 1;
}
