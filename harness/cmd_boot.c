/* cmd_boot.c — `dstack-harness reboot` and `dstack-harness boot-check`.
 *
 * reboot:     stop the simulator `up` started and start it again exactly as recorded
 *             (config, --app-id, --kms-auth, --rpc; --compose FILE replaces the
 *             app-compose from now on): the same CVM identity booting its current
 *             app-compose.json, so its KMS asks the auth api again — the local twin of
 *             upgrading or restarting a CVM.
 * boot-check: "would this CVM boot, and if not, why": the BootInfo the KMS would send
 *             (the simulator's GetMeta), each check of DstackKms.isAppAllowed and
 *             DstackApp.isAppAllowed in the contracts' order with the chain's answer, the
 *             chain's own verdict, and the fix as a `cast send` line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds_hex.h"
#include "hx_cmd.h"
#include "hx_gov.h"
#include "hx_out.h"
#include "hx_proc.h"

static const char REBOOT_USAGE[] =
    "usage: dstack-harness reboot [--compose FILE] [--state FILE] [--json] [--quiet]\n"
    "\n"
    "Restarts the simulated CVM that `up` started with its current app-compose.json (or\n"
    "FILE, kept for later reboots) and the same identity otherwise (config, app id, KMS\n"
    "auth). Its KMS asks the chain again: a compose hash that is not allowed now gives\n"
    "`Boot denied: Compose hash not allowed` on every key request, until it is allowed.\n";

static const char CHECK_USAGE[] =
    "usage: dstack-harness boot-check [--socket PATH] [--rpc URL] [--kms-contract ADDR]\n"
    "                                 [--state FILE] [--json] [--quiet]\n"
    "\n"
    "Would this CVM boot, and if not, why? Prints the BootInfo the KMS would send (from the\n"
    "simulator's GetMeta), each check of DstackKms.isAppAllowed and DstackApp.isAppAllowed in\n"
    "the contracts' order with the chain's answer, the chain's verdict, and the fix as a\n"
    "`cast send` line. Defaults come from the deployment file (`up`, also with --fork).\n"
    "Exit status: 0 allowed, 1 denied, 2 usage, 3 the chain or simulator could not be asked.\n";

/* ------------------------------------------------------------------ reboot */

int hx_cmd_reboot(int argc, char **argv) {
    static const struct option opts[] = {
        {"compose", required_argument, 0, 'c'}, HX_COMMON_LONGOPTS, {0, 0, 0, 0}};
    char compose[PATH_MAX] = "", err[1024];
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (hx_common_opt(ch, optarg)) continue;
        if (ch == 'h') {
            fputs(REBOOT_USAGE, stdout);
            return 0;
        }
        if (ch != 'c') return hx_usage_error("reboot", "unknown option");
        if (realpath(optarg, compose) == NULL || access(compose, R_OK) != 0) {
            hx_fail("reboot: --compose %s: cannot read it", optarg);
            return 2;
        }
    }
    if (optind < argc) return hx_usage_error("reboot", "unexpected argument");
    if (hx_state_path[0] == '\0') hx_state_default_path(hx_state_path, sizeof hx_state_path);
    hx_state s;
    if (hx_state_load(hx_state_path, &s, err, sizeof err) != 0) {
        hx_fail("%s", err);
        return 1;
    }
    if (s.sim_pid == 0 || s.sim_config[0] == '\0') {
        hx_fail(
            "reboot: the simulator on %s was not started by `up` (--socket): restart it yourself",
            s.sim_sock);
        return 1;
    }
    if (compose[0]) HX_SET(s.sim_compose, "%s", compose);
    uint8_t old_compose[32];
    memcpy(old_compose, s.compose_hash, 32);
    hx_progress("stopping the simulator (pid %d)", (int)s.sim_pid);
    if (hx_sim_stop_recorded(s.sim_pid, s.sim_sock) != 0) {
        hx_fail("reboot: the simulator pid %d on %s could not be stopped", (int)s.sim_pid,
                s.sim_sock);
        return 1;
    }
    hx_sim sim;
    hx_progress("starting it again: config %s%s%s%s%s", s.sim_config,
                s.sim_compose[0] ? ", --compose " : "", s.sim_compose,
                s.sim_kms_auth[0] ? ", --kms-auth " : "", s.sim_kms_auth);
    hx_bootinfo bi;
    int r = hx_gov_sim_restart(&sim, &s, &bi, err, sizeof err);
    if (r != -1) hx_proc_forget(sim.pid); /* it runs on after us: `down` stops it */
    if (r != 0) { /* the deployment file records what runs now (or that nothing does) */
        hx_state_save(&s, err + 512, 512);
        hx_fail("reboot: %s", err);
        return 1;
    }
    memcpy(s.compose_hash, bi.boot.compose_hash, 32);
    if (hx_state_save(&s, err, sizeof err) != 0) {
        hx_fail("%s", err);
        return 1;
    }
    int changed = memcmp(old_compose, bi.boot.compose_hash, 32) != 0;
    int allowed = strcmp(bi.decision, "allowed") == 0;
    if (hx_ui_g.json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddBoolToObject(doc, "ok", 1);
        cJSON_AddNumberToObject(doc, "pid", (double)sim.pid);
        cJSON_AddStringToObject(doc, "compose_hash", hx_hex(bi.boot.compose_hash, 32));
        cJSON_AddBoolToObject(doc, "compose_changed", changed);
        cJSON_AddStringToObject(doc, "kms_auth", bi.mode);
        cJSON_AddBoolToObject(doc, "allowed", allowed);
        cJSON_AddStringToObject(doc, "decision", bi.decision);
        cJSON_AddStringToObject(doc, "reason", bi.reason);
        hx_json_emit(doc);
        return 0;
    }
    printf("dstack-harness reboot: simulator pid %d, app %s\n", (int)sim.pid,
           hx_hex(bi.boot.app_id, 20));
    printf("  compose hash  %s%s\n", hx_hex(bi.boot.compose_hash, 32),
           changed ? " (changed)" : " (unchanged)");
    printf("  KMS auth      %s: %s%s%s\n", bi.mode, bi.decision, bi.reason[0] ? " — " : "",
           bi.reason);
    if (!allowed)
        printf("  keys are refused until the chain allows this boot: run `dstack-harness "
               "boot-check`\n");
    return 0;
}

/* ------------------------------------------------------------------ boot-check */

typedef struct {
    int n;
    char check[160];    /* what was asked */
    char answer[200];   /* the chain's answer */
    int ok;             /* 1 passes, 0 fails, -1 not asked */
    const char *reason; /* the contract's refusal text when it fails */
} bc_row;

typedef struct {
    hx_chain c;
    hx_bootinfo bi;
    uint8_t kms[20], kms_owner[20], app_owner[20];
    int have_app_owner, is_anvil;
    uint8_t accts[16][20];
    size_t nacct;
    char rpc[128];
    bc_row rows[6];
    int nrows;
    char fixes[6][900];
    int nfix;
} bc_ctx;

/* bool view `sig(arg)` on `to`; 0/1 into *out. Returns 0 or -1 (c->err / revert). */
static int call_bool(bc_ctx *x, const uint8_t to[20], const char *sig, const ds_abi_value *arg,
                     int *out) {
    ds_abi_value pool[4];
    if (hx_call(&x->c, NULL, to, sig, arg, arg ? 1 : 0, "(bool)", pool, 4) != 0) return -1;
    *out = pool[0].items[0].word[31] != 0;
    return 0;
}

static bc_row *row(bc_ctx *x, int ok, const char *reason, const char *check, const char *answer) {
    bc_row *r = &x->rows[x->nrows];
    r->n = ++x->nrows;
    r->ok = ok;
    r->reason = reason;
    HX_SET(r->check, "%s", check);
    HX_SET(r->answer, "%s", answer);
    return r;
}

/* Who can send a fix, and how to send it on this chain. */
static void fix(bc_ctx *x, const uint8_t to[20], const char *sig, const char *args,
                const uint8_t *owner, const char *whose) {
    char a1[43], a2[43], how[256], note[300] = "";
    if (x->nfix >= 6) return;
    int unlocked = 0;
    for (size_t i = 0; owner && i < x->nacct; i++)
        unlocked |= memcmp(x->accts[i], owner, 20) == 0;
    if (owner == NULL) {
        HX_SET(how, "--private-key <any funded key>");
        HX_SET(note, "anyone may send it");
    } else if (unlocked) {
        HX_SET(how, "--unlocked --from %s", hx_addr(owner, a1));
        HX_SET(note, "only the %s owner %s can send it; it is unlocked on this chain", whose, a1);
    } else if (x->is_anvil) {
        HX_SET(how, "--unlocked --from %s", hx_addr(owner, a1));
        HX_SET(note,
               "only the %s owner %s can send it; on this Anvil, first: cast rpc --rpc-url %s "
               "anvil_impersonateAccount %s",
               whose, a1, x->rpc, a1);
    } else {
        HX_SET(how, "--private-key <key of %s>", hx_addr(owner, a1));
        HX_SET(note, "only the %s owner %s can send it", whose, a1);
    }
    HX_SET(x->fixes[x->nfix], "cast send --rpc-url %s %s %s \"%s\" %s\n    # %s", x->rpc, how,
           hx_addr(to, a2), sig, args, note);
    x->nfix++;
}

static int owner_of(bc_ctx *x, const uint8_t to[20], uint8_t out[20]) {
    ds_abi_value pool[4];
    if (hx_call(&x->c, NULL, to, "owner()", NULL, 0, "(address)", pool, 4) != 0) return -1;
    memcpy(out, ds_abi_get_address(&pool[0].items[0]), 20);
    return 0;
}

/* Runs the checks in the contracts' order. 0, or -1 when the chain could not be asked. */
static int run_checks(bc_ctx *x) {
    const hx_bootinfo *b = &x->bi;
    char ans[200], args[200], a1[43];
    const uint8_t *app = b->boot.app_id;
    ds_abi_value v_app = ds_abi_address(app), v_os = ds_abi_fbytes(b->boot.os_image_hash, 32);
    ds_abi_value v_compose = ds_abi_fbytes(b->boot.compose_hash, 32),
                 v_dev = ds_abi_fbytes(b->boot.device_id, 32);
    int reg, os, req_tcb = 0, compose, any, dev;
    size_t code = 0;
    if (call_bool(x, x->kms, "registeredApps(address)", &v_app, &reg) != 0 ||
        call_bool(x, x->kms, "allowedOsImages(bytes32)", &v_os, &os) != 0 ||
        ds_rpc_code_size(&x->c.rpc, app, &code) != DS_OK)
        return -1;
    if (owner_of(x, x->kms, x->kms_owner) != 0) return -1;
    HX_SET(ans, "%s", reg ? "true" : "false");
    row(x, reg, "App not registered", "DstackKms.registeredApps(appId)", ans);
    if (!reg) fix(x, x->kms, "registerApp(address)", hx_addr(app, a1), NULL, "DstackKms");
    HX_SET(ans, "%s", os ? "true" : "false");
    row(x, os, "OS image is not allowed", "DstackKms.allowedOsImages(osImageHash)", ans);
    if (!os)
        fix(x, x->kms, "addOsImageHash(bytes32)", hx_hex(b->boot.os_image_hash, 32), x->kms_owner,
            "DstackKms");
    HX_SET(ans, code ? "%zu bytes" : "none", code);
    row(x, code != 0, "App not deployed or invalid address", "code at appId", ans);
    if (code == 0) {
        char devhex[80];
        HX_SET(devhex, "%s", hx_hex(b->boot.device_id, 32));
        HX_SET(args, "%s false false true %s %s", hx_addr(x->kms_owner, a1), devhex,
               hx_hex(b->boot.compose_hash, 32));
        fix(x, x->kms, "deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)", args, NULL,
            "DstackKms (the new contract's address becomes the app id: boot the CVM with it)");
        return 0;
    }
    x->have_app_owner = owner_of(x, app, x->app_owner) == 0;
    if (call_bool(x, app, "requireTcbUpToDate()", NULL, &req_tcb) != 0 ||
        call_bool(x, app, "allowedComposeHashes(bytes32)", &v_compose, &compose) != 0 ||
        call_bool(x, app, "allowAnyDevice()", NULL, &any) != 0 ||
        call_bool(x, app, "allowedDeviceIds(bytes32)", &v_dev, &dev) != 0) {
        HX_SET(ans, "not a DstackApp (%s): its own isAppAllowed decides",
               x->c.revert[0] ? x->c.revert : x->c.err);
        row(x, -1, NULL, "DstackApp checks at appId", ans);
        return 0;
    }
    const uint8_t *owner = x->have_app_owner ? x->app_owner : NULL;
    int tcb_ok = !req_tcb || strcmp(b->boot.tcb_status, "UpToDate") == 0;
    HX_SET(ans, "requireTcbUpToDate() = %s, tcbStatus \"%s\"", req_tcb ? "true" : "false",
           b->boot.tcb_status);
    row(x, tcb_ok, "TCB status is not up to date", "DstackApp TCB status", ans);
    if (!tcb_ok) fix(x, app, "setRequireTcbUpToDate(bool)", "false", owner, "DstackApp");
    HX_SET(ans, "%s", compose ? "true" : "false");
    row(x, compose, "Compose hash not allowed", "DstackApp.allowedComposeHashes(composeHash)", ans);
    if (!compose)
        fix(x, app, "addComposeHash(bytes32)", hx_hex(b->boot.compose_hash, 32), owner,
            "DstackApp");
    HX_SET(ans, "allowAnyDevice() = %s, allowedDeviceIds(deviceId) = %s", any ? "true" : "false",
           dev ? "true" : "false");
    row(x, any || dev, "Device not allowed", "DstackApp device", ans);
    if (!any && !dev)
        fix(x, app, "addDevice(bytes32)", hx_hex(b->boot.device_id, 32), owner, "DstackApp");
    return 0;
}

static void print_bootinfo(const hx_bootinfo *b, const char *sock) {
    printf("BootInfo the KMS would send (the simulator on %s):\n", sock);
    printf("  appId          %s\n", hx_hex(b->boot.app_id, 20));
    printf("  composeHash    %s\n", hx_hex(b->boot.compose_hash, 32));
    printf("  instanceId     %s\n", hx_hex(b->boot.instance_id, 20));
    printf("  deviceId       %s\n", hx_hex(b->boot.device_id, 32));
    printf("  mrAggregated   %s\n", hx_hex(b->boot.mr_aggregated, 32));
    printf("  mrSystem       %s\n", hx_hex(b->boot.mr_system, 32));
    printf("  osImageHash    %s\n", hx_hex(b->boot.os_image_hash, 32));
    printf("  tcbStatus      %s\n", b->boot.tcb_status);
    printf("  advisoryIds    [");
    for (size_t i = 0; i < b->boot.n_advisory_ids; i++)
        printf("%s\"%s\"", i ? ", " : "", b->boot.advisory_ids[i]);
    printf("]\n");
}

static void emit_json(const bc_ctx *x, int allowed, const char *reason, const char *sock) {
    char a[43];
    cJSON *doc = cJSON_CreateObject(), *bi, *rows, *fx;
    cJSON_AddBoolToObject(doc, "allowed", allowed);
    cJSON_AddStringToObject(doc, "reason", reason);
    cJSON_AddStringToObject(doc, "rpc", x->rpc);
    cJSON_AddStringToObject(doc, "kms_contract", hx_addr(x->kms, a));
    cJSON_AddStringToObject(doc, "socket", sock);
    cJSON_AddItemToObject(doc, "boot_info", bi = cJSON_CreateObject());
    cJSON_AddStringToObject(bi, "appId", hx_hex(x->bi.boot.app_id, 20));
    cJSON_AddStringToObject(bi, "composeHash", hx_hex(x->bi.boot.compose_hash, 32));
    cJSON_AddStringToObject(bi, "instanceId", hx_hex(x->bi.boot.instance_id, 20));
    cJSON_AddStringToObject(bi, "deviceId", hx_hex(x->bi.boot.device_id, 32));
    cJSON_AddStringToObject(bi, "mrAggregated", hx_hex(x->bi.boot.mr_aggregated, 32));
    cJSON_AddStringToObject(bi, "mrSystem", hx_hex(x->bi.boot.mr_system, 32));
    cJSON_AddStringToObject(bi, "osImageHash", hx_hex(x->bi.boot.os_image_hash, 32));
    cJSON_AddStringToObject(bi, "tcbStatus", x->bi.boot.tcb_status);
    cJSON *adv = cJSON_AddArrayToObject(bi, "advisoryIds");
    for (size_t i = 0; i < x->bi.boot.n_advisory_ids; i++)
        cJSON_AddItemToArray(adv, cJSON_CreateString(x->bi.boot.advisory_ids[i]));
    cJSON_AddItemToObject(doc, "checks", rows = cJSON_CreateArray());
    for (int i = 0; i < x->nrows; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "n", x->rows[i].n);
        cJSON_AddStringToObject(r, "check", x->rows[i].check);
        cJSON_AddStringToObject(r, "answer", x->rows[i].answer);
        if (x->rows[i].ok < 0)
            cJSON_AddNullToObject(r, "ok");
        else
            cJSON_AddBoolToObject(r, "ok", x->rows[i].ok);
        if (x->rows[i].ok == 0) cJSON_AddStringToObject(r, "reason", x->rows[i].reason);
        cJSON_AddItemToArray(rows, r);
    }
    cJSON *sim = cJSON_AddObjectToObject(doc, "simulator");
    cJSON_AddStringToObject(sim, "kms_auth", x->bi.mode);
    cJSON_AddStringToObject(sim, "decision", x->bi.decision);
    cJSON_AddStringToObject(sim, "reason", x->bi.reason);
    cJSON_AddItemToObject(doc, "fixes", fx = cJSON_CreateArray());
    for (int i = 0; i < x->nfix; i++)
        cJSON_AddItemToArray(fx, cJSON_CreateString(x->fixes[i]));
    hx_json_emit(doc);
}

int hx_cmd_boot_check(int argc, char **argv) {
    static const struct option opts[] = {{"socket", required_argument, 0, 's'},
                                         {"rpc", required_argument, 0, 'r'},
                                         {"kms-contract", required_argument, 0, 'k'},
                                         HX_COMMON_LONGOPTS,
                                         {0, 0, 0, 0}};
    static bc_ctx x; /* large: not on the stack */
    char sock[PATH_MAX] = "", err[1024], a1[43];
    int ch, have_kms = 0;
    memset(&x, 0, sizeof x);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (hx_common_opt(ch, optarg)) continue;
        switch (ch) {
        case 'h': fputs(CHECK_USAGE, stdout); return 0;
        case 's': HX_SET(sock, "%s", optarg); break;
        case 'r': HX_SET(x.rpc, "%s", optarg); break;
        case 'k':
            if (ds_hex_decode_exact(optarg, strlen(optarg), x.kms, 20) != DS_OK)
                return hx_usage_error("boot-check", "--kms-contract wants an address");
            have_kms = 1;
            break;
        default: return hx_usage_error("boot-check", "unknown option");
        }
    }
    if (optind < argc) return hx_usage_error("boot-check", "unexpected argument");
    if (!sock[0] || !x.rpc[0] || !have_kms) {
        hx_state s;
        if (hx_state_path[0] == '\0') hx_state_default_path(hx_state_path, sizeof hx_state_path);
        if (hx_state_load(hx_state_path, &s, err, sizeof err) != 0) {
            hx_fail("boot-check: %s (or give --socket, --rpc and --kms-contract)", err);
            return 2;
        }
        if (!sock[0]) HX_SET(sock, "%s", s.sim_sock);
        if (!x.rpc[0]) HX_SET(x.rpc, "%s", s.rpc_url);
        if (!have_kms) memcpy(x.kms, s.kms, 20);
    }
    if (hx_bootinfo_read(sock, &x.bi, err, sizeof err) != 0) {
        hx_fail("boot-check: %s", err);
        return 3;
    }
    if (hx_chain_open(&x.c, x.rpc) != 0) {
        hx_fail("boot-check: %s", x.c.err);
        return 3;
    }
    int rc = 3, allowed = 0;
    char reason[512] = "";
    cJSON *ver = NULL;
    x.is_anvil = ds_rpc_call_text(&x.c.rpc, "web3_clientVersion", "[]", &ver) == DS_OK &&
                 cJSON_IsString(ver) && strstr(ver->valuestring, "anvil") != NULL;
    cJSON_Delete(ver);
    ds_rpc_accounts(&x.c.rpc, x.accts, 16, &x.nacct);
    size_t code = 0;
    if (ds_rpc_code_size(&x.c.rpc, x.kms, &code) != DS_OK) {
        hx_fail("boot-check: the chain at %s: %s", x.rpc, ds_rpc_error(&x.c.rpc));
        goto out;
    }
    if (code == 0) {
        hx_fail("boot-check: no contract at %s on %s: give the DstackKms with --kms-contract",
                hx_addr(x.kms, a1), x.rpc);
        goto out;
    }
    if (run_checks(&x) != 0 ||
        hx_gov_is_app_allowed(&x.c, x.kms, &x.bi.boot, &allowed, reason, sizeof reason) != 0) {
        hx_fail("boot-check: asking %s at %s: %s", hx_addr(x.kms, a1), x.rpc,
                x.c.revert[0] ? x.c.revert : x.c.err);
        goto out;
    }
    rc = allowed ? 0 : 1;
    if (hx_ui_g.json) {
        emit_json(&x, allowed, reason, sock);
        goto out;
    }
    print_bootinfo(&x.bi, sock);
    printf("\nChecks in the contracts' order (DstackKms %s on %s):\n", hx_addr(x.kms, a1), x.rpc);
    for (int i = 0; i < x.nrows; i++) {
        const bc_row *r = &x.rows[i];
        printf("  %-6s %d %-45s %s%s%s%s\n",
               r->ok > 0    ? "[ok]"
               : r->ok == 0 ? "[FAIL]"
                            : "[--]",
               r->n, r->check, r->answer, r->ok == 0 ? "  → \"" : "", r->ok == 0 ? r->reason : "",
               r->ok == 0 ? "\"" : "");
    }
    printf("\nverdict: %s — DstackKms.isAppAllowed returns (%s, \"%s\")\n",
           allowed ? "ALLOWED" : "DENIED", allowed ? "true" : "false", reason);
    printf("the simulator (--kms-auth %s): %s%s%s\n", x.bi.mode, x.bi.decision,
           x.bi.reason[0] ? " — " : "", x.bi.reason);
    if (!allowed && x.nfix > 0) {
        printf("\nfix:\n");
        for (int i = 0; i < x.nfix; i++)
            printf("  %s\n", x.fixes[i]);
    }
out:
    hx_chain_close(&x.c);
    return rc;
}
