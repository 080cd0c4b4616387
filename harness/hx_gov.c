/* hx_gov.c — the BootInfo from a simulator, and the on-chain KMS deployed in dstack's
 * production shape (see hx_gov.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_client.h"
#include "hx_gov.h"
#include "hx_out.h"
#include "hx_sim.h"

/* ERC-1967 implementation slot: keccak256("eip1967.proxy.implementation") - 1. */
static const char IMPL_SLOT[] =
    "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

static void str_member(const cJSON *o, const char *k, char *out, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    hx_setf(out, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int hx_bootinfo_read(const char *sock, hx_bootinfo *bi, char *err, size_t errcap) {
    memset(bi, 0, sizeof *bi);
    ds_client *cl = hx_sim_client(sock);
    cJSON *meta = NULL;
    if (cl == NULL || ds_client_call(cl, "GetMeta", NULL, &meta) != DS_OK) {
        hx_setf(err, errcap, "GetMeta on %s: %s", sock,
                cl ? ds_client_last_error(cl) : "out of memory");
        ds_client_free(cl);
        return -1;
    }
    ds_client_free(cl);
    const cJSON *ka = cJSON_GetObjectItemCaseSensitive(meta, "kms_auth");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(ka, "boot_info");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(ka, "info");
    if (cJSON_IsObject(ka) && cJSON_IsNull(b)) { /* dev mode, and its BootInfo could not be built */
        hx_setf(err, errcap, "the simulator on %s could not build the BootInfo its KMS would send: %s", sock,
                cJSON_IsString(why) ? why->valuestring : "no reason given");
        cJSON_Delete(meta);
        return -1;
    }
    if (!cJSON_IsObject(b)) {
        hx_setf(err, errcap,
                "the simulator on %s publishes no BootInfo in GetMeta (kms_auth.boot_info): it "
                "predates --kms-auth; rebuild it with `make`",
                sock);
        cJSON_Delete(meta);
        return -1;
    }
    char why_not[160];
    if (ds_bootinfo_from_json(b, &bi->boot, why_not, sizeof why_not) != DS_OK) {
        hx_setf(err, errcap, "the simulator on %s publishes a BootInfo that does not read: %s",
                sock, why_not);
        cJSON_Delete(meta);
        return -1;
    }
    str_member(ka, "mode", bi->mode, sizeof bi->mode);
    str_member(ka, "decision", bi->decision, sizeof bi->decision);
    str_member(ka, "reason", bi->reason, sizeof bi->reason);
    str_member(ka, "target", bi->target, sizeof bi->target);
    cJSON_Delete(meta);
    return 0;
}

int hx_gov_is_app_allowed(hx_chain *c, const uint8_t kms[20], const ds_bootinfo *bi, int *allowed,
                          char *reason, size_t cap) {
    ds_bootinfo_abi a;
    ds_abi_value pool[8];
    ds_bootinfo_abi_init(bi, &a);
    int r =
        hx_call(c, NULL, kms, DS_BOOTINFO_IS_APP_ALLOWED, &a.tuple, 1, "(bool,string)", pool, 8);
    if (r != 0) return -1;
    *allowed = pool[0].items[0].word[31] != 0;
    hx_setf(reason, cap, "%.*s", (int)pool[0].items[1].len, (const char *)pool[0].items[1].ptr);
    return 0;
}

int hx_gov_deploy_kms(hx_chain *c, hx_state *s, const uint8_t root_pub[33],
                      const uint8_t os_image[32]) {
    char a1[43], a2[43];
    hx_progress("deploying the DstackApp and DstackKms implementations");
    if (hx_deploy(c, HX_APP, s->owner, NULL, 0, s->app_impl, NULL) != 0 ||
        hx_deploy(c, HX_KMS, s->owner, NULL, 0, s->kms_impl, NULL) != 0) {
        hx_fail("%s", c->err);
        return -1;
    }
    ds_abi_value init_args[2] = {ds_abi_address(s->owner), ds_abi_address(s->app_impl)};
    uint8_t init[4 + 64];
    size_t init_len = 0;
    if (ds_abi_encode_call("initialize(address,address)", init_args, 2, init, sizeof init,
                           &init_len) != DS_OK) {
        hx_fail("encoding DstackKms.initialize failed");
        return -1;
    }
    ds_abi_value proxy_args[2] = {ds_abi_address(s->kms_impl), ds_abi_bytes(init, init_len)};
    hx_progress("deploying DstackKms behind an ERC1967Proxy: initialize(owner = %s, "
                "appImplementation = %s)",
                hx_addr(s->owner, a1), hx_addr(s->app_impl, a2));
    if (hx_deploy(c, HX_PROXY, s->owner, proxy_args, 2, s->kms, NULL) != 0) {
        hx_fail("%s", c->err);
        return -1;
    }
    ds_abi_value info4[4] = {ds_abi_bytes(root_pub, 33), ds_abi_bytes(NULL, 0),
                             ds_abi_bytes(NULL, 0), ds_abi_bytes(NULL, 0)};
    ds_abi_value kmsinfo = ds_abi_tuple(info4, 4);
    hx_progress("DstackKms.setKmsInfo(k256Pubkey = %s)", hx_hex(root_pub, 33));
    if (hx_send_or_fail(c, s->owner, s->kms, "setKmsInfo", "setKmsInfo((bytes,bytes,bytes,bytes))",
                        &kmsinfo, 1, NULL))
        return -1;
    ds_abi_value os = ds_abi_fbytes(os_image, 32);
    hx_progress("DstackKms.addOsImageHash(%s) (the simulator's OS image)", hx_hex(os_image, 32));
    if (hx_send_or_fail(c, s->owner, s->kms, "addOsImageHash", "addOsImageHash(bytes32)", &os, 1,
                        NULL))
        return -1;
    return 0;
}

/* anvil_* call with JSON params; 0 or -1 (printed). */
static int anvil_rpc(hx_chain *c, const char *method, const char *params) {
    cJSON *res = NULL;
    if (ds_rpc_call_text(&c->rpc, method, params, &res) != DS_OK) {
        hx_fail("%s: %s (the chain must be Anvil to place an app at a chosen id)", method,
                ds_rpc_error(&c->rpc));
        return -1;
    }
    cJSON_Delete(res);
    return 0;
}

/* The app proxy placed at `at` (Anvil only), initialised with DstackApp.initialize(init[0..5])
 * and registered. 0 or -1 (printed). */
static int place_app(hx_chain *c, hx_state *s, const ds_abi_value init[6], const uint8_t at[20]) {
    char a1[43], a2[43], params[256];
    size_t code = 0;
    if (ds_rpc_code_size(&c->rpc, at, &code) != DS_OK) {
        hx_fail("%s", ds_rpc_error(&c->rpc));
        return -1;
    }
    if (code != 0) {
        hx_fail("%s already holds a contract on this chain: choose another --app-id (or reproduce "
                "an existing "
                "deployment with --fork)",
                hx_addr(at, a1));
        return -1;
    }
    /* the proxy's runtime code: the same as the KMS proxy's (ERC1967Proxy has no immutables) */
    cJSON *res = NULL;
    HX_SET(params, "[\"%s\",\"latest\"]", hx_addr(s->kms, a1));
    if (ds_rpc_call_text(&c->rpc, "eth_getCode", params, &res) != DS_OK || !cJSON_IsString(res)) {
        hx_fail("eth_getCode %s: %s", a1, ds_rpc_error(&c->rpc));
        cJSON_Delete(res);
        return -1;
    }
    size_t plen = strlen(res->valuestring) + 128;
    char *p = malloc(plen);
    if (p == NULL) {
        cJSON_Delete(res);
        return -1;
    }
    snprintf(p, plen, "[\"%s\",\"%s\"]", hx_addr(at, a1), res->valuestring);
    cJSON_Delete(res);
    hx_progress("anvil_setCode(%s, ERC1967Proxy runtime) and its implementation slot = %s", a1,
                hx_addr(s->app_impl, a2));
    int r = anvil_rpc(c, "anvil_setCode", p);
    free(p);
    if (r != 0) return -1;
    uint8_t word[32] = {0};
    memcpy(word + 12, s->app_impl, 20);
    HX_SET(params, "[\"%s\",\"%s\",\"%s\"]", a1, IMPL_SLOT, hx_hex(word, 32));
    if (anvil_rpc(c, "anvil_setStorageAt", params) != 0) return -1;
    if (hx_send_or_fail(c, s->owner, at, "DstackApp.initialize",
                        "initialize(address,bool,bool,bool,bytes32,bytes32)", init, 6, NULL))
        return -1;
    ds_abi_value app = ds_abi_address(at);
    if (hx_send_or_fail(c, s->owner, s->kms, "DstackKms.registerApp", "registerApp(address)", &app,
                        1, NULL))
        return -1;
    memcpy(s->app, at, 20);
    return 0;
}

int hx_gov_create_app(hx_chain *c, hx_state *s, const ds_bootinfo *bi, const uint8_t *at) {
    char a1[43];
    /* DstackApp.initialize / deployAndRegisterApp: owner, disableUpgrades, requireTcbUpToDate,
     * allowAnyDevice, initialDeviceId, initialComposeHash */
    ds_abi_value args[6] = {ds_abi_address(s->owner),
                            ds_abi_bool(0),
                            ds_abi_bool(0),
                            ds_abi_bool(1),
                            ds_abi_fbytes(bi->device_id, 32),
                            ds_abi_fbytes(bi->compose_hash, 32)};
    if (at != NULL) {
        hx_progress("placing the app at %s: a DstackApp proxy allowing compose hash %s, any device "
                    "(listed: %s)",
                    hx_addr(at, a1), hx_hex(bi->compose_hash, 32), hx_hex(bi->device_id, 32));
        return place_app(c, s, args, at);
    }
    hx_progress("DstackKms.deployAndRegisterApp(owner %s, compose hash %s, any device; listed: %s)",
                hx_addr(s->owner, a1), hx_hex(bi->compose_hash, 32), hx_hex(bi->device_id, 32));
    ds_rpc_receipt rc;
    if (hx_send_or_fail(c, s->owner, s->kms, "deployAndRegisterApp",
                        "deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)", args, 6,
                        &rc))
        return -1;
    uint8_t topic[32];
    int found = 0;
    ds_abi_topic("AppDeployedViaFactory(address,address)", topic);
    for (size_t k = 0; k < rc.logs.n; k++) {
        const ds_rpc_log *l = &rc.logs.v[k];
        if (l->ntopics == 3 && memcmp(l->topics[0], topic, 32) == 0 &&
            memcmp(l->address, s->kms, 20) == 0) {
            memcpy(s->app, l->topics[1] + 12, 20);
            found = 1;
        }
    }
    ds_rpc_receipt_free(&rc);
    if (!found) {
        hx_fail("deployAndRegisterApp: no AppDeployedViaFactory event in the receipt");
        return -1;
    }
    hx_progress("the app id is the new DstackApp proxy %s", hx_addr(s->app, a1));
    return 0;
}

int hx_gov_sim_start(hx_sim *sim, const char *dir, const hx_state *s, char *err, size_t errcap) {
    char appid[48];
    const char *extra[12];
    int n = 0;
    if (s->sim_app_id) {
        HX_SET(appid, "%s", hx_hex(s->app_id, 20));
        extra[n++] = "--app-id";
        extra[n++] = appid;
    }
    if (s->sim_kms_auth[0]) {
        extra[n++] = "--kms-auth";
        extra[n++] = s->sim_kms_auth;
        if (strncmp(s->sim_kms_auth, "contract:", 9) == 0) {
            extra[n++] = "--rpc";
            extra[n++] = s->rpc_url;
        }
    }
    if (s->sim_compose[0]) {
        extra[n++] = "--compose";
        extra[n++] = s->sim_compose;
    }
    extra[n] = NULL;
    return hx_sim_start(sim, dir, s->sim_config, extra, err, errcap);
}

int hx_gov_sim_restart(hx_sim *sim, hx_state *s, hx_bootinfo *bi, char *err, size_t errcap) {
    char dir[PATH_MAX];
    hx_sim_dir(s->sim_sock, dir, sizeof dir);
    s->sim_pid = 0;
    if (hx_gov_sim_start(sim, dir, s, err, errcap) != 0) return -1;
    s->sim_pid = sim->pid;
    HX_SET(s->sim_log, "%s", sim->log);
    return hx_bootinfo_read(s->sim_sock, bi, err, errcap) == 0 ? 0 : -2;
}
