/* bench_kmsauth.c — GetKey/new with `--kms-auth contract:` against dev mode: the boot
 * decision is taken once (then cached), so a key request should cost what it costs without
 * governance. A local Anvil gets the compiled DstackKms and DstackApp (contracts/out) behind
 * UUPS proxies as upstream deploys them, the app allowed for the simulator's compose hash
 * and OS image; then the same closed-loop load
 * (GetKey/new, 64 clients, keep-alive, all workers) alternates between a dev simulator and
 * a contract-mode one, three rounds each (the order swapped every round), and the best of
 * each is compared.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds_abi.h"
#include "ds_hex.h"
#include "hx_anvil.h"
#include "hx_chain.h"
#include "hx_gov.h"

/* An ERC1967 (UUPS) proxy of impl, initialised by init(args), as upstream deploys. */
static int proxy(hx_chain *c, const uint8_t from[20], const uint8_t impl[20], const char *init,
                 const ds_abi_value *args, size_t nargs, uint8_t addr[20]) {
    uint8_t call[512];
    size_t len = 0;
    if (ds_abi_encode_call(init, args, nargs, call, sizeof call, &len) != DS_OK) {
        snprintf(c->err, sizeof c->err, "encoding %s failed", init);
        return -1;
    }
    ds_abi_value pa[2] = {ds_abi_address(impl), ds_abi_bytes(call, len)};
    return hx_deploy(c, HX_PROXY, from, pa, 2, addr, NULL);
}

/* sig(arg) sent to `to`; 0, or -1 with the reason in note. */
static int send1(hx_chain *c, const uint8_t from[20], const uint8_t to[20], const char *sig,
                 ds_abi_value arg, char *note, size_t cap) {
    int r = hx_send(c, from, to, sig, &arg, 1, NULL);
    if (r != 0)
        snprintf(note, cap, "allowing the app on chain failed: %s: %.150s", sig,
                 r == 1 ? c->revert : c->err);
    return r != 0 ? -1 : 0;
}

/* One load; *rps = req/s, *per_core = requests per second of the simulator's own CPU time
 * (which holds up when other jobs share the machine). 0, or -1. */
static int load(const bench_sim *s, double seconds, double *rps, double *per_core) {
    bench_load_cfg lc = {.sock = s->sock,
                         .path = "/GetKey",
                         .body = "{\"path\":\"bench/%N\",\"purpose\":\"signing\","
                                 "\"algorithm\":\"secp256k1\"}",
                         .clients = 64,
                         .keepalive = 1,
                         .seconds = seconds,
                         .warm_seconds = 0.3,
                         .server_pid = s->pid};
    bench_load_result res;
    if (bench_load_run(&lc, &res) != 0 || res.failed || res.server_cpu_sec <= 0) return -1;
    *rps = res.req_per_sec;
    *per_core = (double)res.ok / res.server_cpu_sec;
    return 0;
}

static void keep_best(double rps, double per_core, double *best_rps, double *best_core) {
    if (rps > *best_rps) *best_rps = rps;
    if (per_core > *best_core) *best_core = per_core;
}

void bench_kmsauth_run(bench_kmsauth *k, const char *sim_bin, const char *config, int workers,
                       double seconds) {
    memset(k, 0, sizeof *k);
    if (mkdir("build", 0755) != 0 && errno != EEXIST) { /* the Anvil log's folder */
        snprintf(k->note, sizeof k->note, "mkdir build: %s", strerror(errno));
        return;
    }
    if (mkdir("build/bench", 0755) != 0 && errno != EEXIST) {
        snprintf(k->note, sizeof k->note, "mkdir build/bench: %s", strerror(errno));
        return;
    }
    hx_anvil anvil;
    char err[512];
    if (hx_anvil_start(&anvil, 0, "build/bench/anvil.log", err, sizeof err) != 0) {
        snprintf(k->note, sizeof k->note, "%.250s", err);
        return;
    }
    const char *url = anvil.url;
    char w[16], kms_arg[64], app_hex[41];
    snprintf(w, sizeof w, "%d", workers);
    hx_chain chain;
    uint8_t acct[1][20] = {{0}}, kms[20], app[20], zero[32] = {0};
    size_t n = 0;
    bench_sim dev, gov;
    memset(&dev, 0, sizeof dev);
    memset(&gov, 0, sizeof gov);
    int ok = hx_chain_open(&chain, url) == 0 && hx_chain_load_artifacts(&chain, 0) == 0 &&
             hx_accounts(&chain, acct, 1, &n) == 0 && n > 0;
    ds_abi_value owner = ds_abi_address(acct[0]);
    uint8_t kms_impl[20], app_impl[20];
    int deployed = ok && hx_deploy(&chain, HX_APP, acct[0], NULL, 0, app_impl, NULL) == 0 &&
                   hx_deploy(&chain, HX_KMS, acct[0], NULL, 0, kms_impl, NULL) == 0;
    if (deployed) { /* the proxies, once the implementations' addresses are known */
        ds_abi_value kms_init[2] = {owner, ds_abi_address(app_impl)};
        ds_abi_value app_init[6] = {
            owner,          ds_abi_bool(0),          ds_abi_bool(0),
            ds_abi_bool(1), ds_abi_fbytes(zero, 32), ds_abi_fbytes(zero, 32)};
        deployed =
            proxy(&chain, acct[0], kms_impl, "initialize(address,address)", kms_init, 2, kms) ==
                0 &&
            proxy(&chain, acct[0], app_impl, "initialize(address,bool,bool,bool,bytes32,bytes32)",
                  app_init, 6, app) == 0;
    }
    if (!deployed) {
        snprintf(k->note, sizeof k->note,
                 "deploying DstackKms and DstackApp failed (%.120s; are contracts/out built? make "
                 "contracts)",
                 chain.err[0] ? chain.err : "no unlocked account on the chain");
        goto out;
    }
    snprintf(kms_arg, sizeof kms_arg, "contract:0x%s", ds_hex_encode(kms, 20, app_hex));
    ds_hex_encode(app, 20, app_hex);
    const char *gov_args[] = {"--workers", w,          "--kms-auth", kms_arg, "--rpc",
                              url,         "--app-id", app_hex,      NULL};
    const char *dev_args[] = {"--workers", w, NULL};
    if (bench_sim_start(&gov, sim_bin, config, gov_args, err, sizeof err) != 0) {
        snprintf(k->note, sizeof k->note, "%.250s", err);
        goto out;
    }
    int st = 0;
    size_t bl;
    hx_bootinfo bi;
    if (hx_bootinfo_read(gov.sock, &bi, err, sizeof err) != 0) {
        snprintf(k->note, sizeof k->note, "%.250s", err);
        goto out;
    }
    if (send1(&chain, acct[0], kms, "registerApp(address)", ds_abi_address(app), k->note,
              sizeof k->note) ||
        send1(&chain, acct[0], kms, "addOsImageHash(bytes32)",
              ds_abi_fbytes(bi.boot.os_image_hash, 32), k->note, sizeof k->note) ||
        send1(&chain, acct[0], app, "addComposeHash(bytes32)",
              ds_abi_fbytes(bi.boot.compose_hash, 32), k->note, sizeof k->note))
        goto out;
    usleep(1100 * 1000); /* the denied boot is asked again after a second */
    char *key = bench_request(gov.sock, "POST", "/GetKey", "{\"path\":\"x\"}", &st, &bl);
    free(key);
    if (st != 200) {
        snprintf(k->note, sizeof k->note,
                 "the contract-mode simulator was not allowed (GetKey "
                 "HTTP %d)",
                 st);
        goto out;
    }
    if (bench_sim_start(&dev, sim_bin, config, dev_args, err, sizeof err) != 0) {
        snprintf(k->note, sizeof k->note, "%.250s", err);
        goto out;
    }
    int failed = 0;
    for (int round = 0; round < 3; round++) { /* alternate (order too), best of each */
        for (int turn = 0; turn < 2; turn++) {
            int contract = (round + turn) % 2;
            double rps = 0, core = 0;
            if (load(contract ? &gov : &dev, seconds, &rps, &core))
                failed = 1;
            else if (contract)
                keep_best(rps, core, &k->contract_rps, &k->contract_core);
            else
                keep_best(rps, core, &k->dev_rps, &k->dev_core);
        }
    }
    if (!failed && k->dev_core > 0 && k->contract_core > 0) {
        k->measured = 1;
        k->ratio = k->contract_core / k->dev_core;
        k->workers = workers;
        snprintf(k->note, sizeof k->note,
                 "GetKey/new, 64 clients, keep-alive, --workers %d; "
                 "Anvil at %s, the app allowed (decision cached after one check)",
                 workers, url);
    } else {
        snprintf(k->note, sizeof k->note, "a load run failed");
    }
out:
    if (dev.pid) bench_sim_stop(&dev);
    if (gov.pid) bench_sim_stop(&gov);
    free(dev.log);
    free(gov.log);
    hx_chain_close(&chain);
    hx_anvil_stop(&anvil);
}
