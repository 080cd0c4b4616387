/* main.c — dstack-verify: verify a dstack CVM (or the simulator) the way the seed
 * verifier does, in six steps, against a local chain; or (`dstack-verify quote …`) verify
 * quotes that carry an app's own payload.
 *
 *   dstack-verify [--endpoint PATH|http://HOST:PORT] [--rpc URL] [--app ADDRESS] …
 *   dstack-verify quote --quote FILE (--expected-text T | --expected-payload HEX) …
 *
 * Exit status: 0 verified, 1 a step failed, 2 bad usage / input / unreachable endpoint,
 * 3 steps 1-5 verified but step 6 skipped for want of --app (see docs/verifier.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds_pki.h"
#include "vf.h"
#include "vf_cli.h"
#include "vf_serve.h"

static const char *USAGE =
    "usage: dstack-verify [options]                 verify a dstack endpoint (six steps)\n"
    "       dstack-verify quote [options]           verify a quote + expected payload\n"
    "                                               (dstack-verify quote --help)\n"
    "       dstack-verify serve [options]           upstream dstack-verifier's HTTP API\n"
    "                                               (dstack-verify serve --help)\n"
    "\n"
    "  --endpoint PATH|URL   dstack agent socket or http://127.0.0.1:PORT\n"
    "                        (default $DSTACK_SIMULATOR_ENDPOINT)\n"
    "  --rpc URL             chain JSON-RPC (default $ETH_RPC_URL, else http://127.0.0.1:8545)\n"
    "  --app ADDRESS         the app's DstackApp contract; without it step 6 is skipped\n"
    "                        and the exit status is 3\n"
    "  --no-chain            skip step 6 on purpose (exit 0 when steps 1-5 hold)\n"
    "  --strict-app-id       step 6 also fails when the attested app id is not --app\n"
    "  --root FILE           trusted quote root CA (DER or PEM). Default: the root the\n"
    "                        endpoint publishes at /sim/pki/root.der, i.e. trusting the\n"
    "                        simulator itself (fine for local development only)\n"
    "  --collateral FILE     dcap-qvl collateral JSON (default: /sim/pki/collateral.json)\n"
    "  --accept-tcb LIST     acceptable TCB statuses, comma-separated (default UpToDate;\n"
    "                        e.g. UpToDate,SWHardeningNeeded,ConfigurationNeeded,OutOfDate;\n"
    "                        \"any\" = all but Revoked)\n"
    "  --legacy-tdxquote     step 3 via Tappd.TdxQuote: report_data = sha512(\"app-data:\" ‖ "
    "nonce);\n"
    "                        quote and Info come from --tappd\n"
    "  --tappd PATH|URL      tappd socket (default $TAPPD_SIMULATOR_ENDPOINT)\n"
    "  --json                one JSON object on stdout (for CI)\n"
    "  --now UNIX            verification time for collateral validity (default: now)\n"
    "  --timeout SECONDS     per request (default 30)\n"
    "  --help, --version\n"
    "\n"
    "Steps: 1 compose-hash, 2 quote signature + TCB policy, 3 report_data (fresh nonce),\n"
    "4 RTMR replay, 5 image pinning, 6 on-chain governance (allowedComposeHashes,\n"
    "isAppAllowed). Exit: 0 verified, 1 a step failed, 2 bad usage or input, 3 step 6\n"
    "skipped (no --app).\n";

static int parse_args(int argc, char **argv, vf_opts *o, char *err, size_t errcap) {
    const char *v = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int m = vf_common_opt(argc, argv, &i, o, err, errcap);
        if (m < 0) return -1;
        if (m > 0) continue;
        if (vf_flag(a, "--no-chain")) {
            o->no_chain = 1;
        } else if (vf_flag(a, "--strict-app-id")) {
            o->strict_app_id = 1;
        } else if (vf_flag(a, "--legacy-tdxquote")) {
            o->legacy = 1;
        } else if ((m = vf_arg(argc, argv, &i, "--rpc", &v, err, errcap)) != 0) {
            if (m < 0) return -1;
            if (strncmp(v, "http://", 7) != 0) {
                snprintf(err, errcap, "--rpc: not an http:// URL: %s", v);
                return -1;
            }
            o->rpc = v;
        } else if ((m = vf_arg(argc, argv, &i, "--app", &v, err, errcap)) != 0) {
            if (m < 0) return -1;
            if (vf_parse_address(v, o->app) != 0) {
                snprintf(err, errcap, "--app: not a 20-byte hex address: %s", v);
                return -1;
            }
            o->app_text = v;
            o->have_app = 1;
        } else if ((m = vf_arg(argc, argv, &i, "--tappd", &v, err, errcap)) != 0) {
            if (m < 0) return -1;
            o->tappd = v;
        } else {
            snprintf(err, errcap, "unknown option %s (see --help)", a);
            return -1;
        }
    }
    if (o->no_chain && o->have_app) {
        snprintf(err, errcap, "--no-chain and --app contradict each other");
        return -1;
    }
    return 0;
}

static void run_free(vf_run *r) {
    for (int i = 0; i < 6; i++)
        vf_step_free(&r->step[i]);
    vf_trust_free(&r->trust);
    free(r->quote);
    free(r->event_log_json);
    cJSON_Delete(r->info);
    cJSON_Delete(r->tcb_info);
}

static int verify_endpoint(vf_run *r) {
    vf_opts *o = &r->opt;
    char err[1024] = "";
    vf_http dh, th;
    int have_dh = 0, have_th = 0, code = VF_EXIT_USAGE;
    ds_qverify_result qres;
    memset(&qres, 0, sizeof qres);
    memset(&dh, 0, sizeof dh);
    memset(&th, 0, sizeof th);

    if (o->endpoint && *o->endpoint) {
        if (vf_http_open(&dh, o->endpoint) != DS_OK) {
            code = vf_report_error(o->json, VF_EXIT_USAGE, "%s", dh.err);
            goto out;
        }
        have_dh = 1;
        dh.timeout_ms = o->timeout_ms;
    } else if (!o->legacy) {
        code = vf_report_error(o->json, VF_EXIT_USAGE,
                               "no endpoint: give --endpoint "
                               "PATH|http://HOST:PORT or set DSTACK_SIMULATOR_ENDPOINT");
        goto out;
    }
    if (o->legacy) {
        if (!o->tappd || !*o->tappd) {
            code =
                vf_report_error(o->json, VF_EXIT_USAGE,
                                "--legacy-tdxquote needs a tappd "
                                "endpoint: give --tappd PATH|URL or set TAPPD_SIMULATOR_ENDPOINT");
            goto out;
        }
        if (vf_http_open(&th, o->tappd) != DS_OK) {
            code = vf_report_error(o->json, VF_EXIT_USAGE, "%s", th.err);
            goto out;
        }
        have_th = 1;
        th.timeout_ms = o->timeout_ms;
    }
    if (vf_trust_load(&r->trust, have_dh ? &dh : NULL, o->root_file, o->collateral_file, err,
                      sizeof err) != DS_OK) {
        code = vf_report_error(o->json, VF_EXIT_USAGE, "%s", err);
        goto out;
    }
    if (vf_fetch_evidence(r, have_dh ? &dh : NULL, have_th ? &th : NULL, err, sizeof err) !=
        DS_OK) {
        code = vf_report_error(o->json, VF_EXIT_USAGE, "%s", err);
        goto out;
    }

    vf_step_compose(r, &r->step[0]);
    if (!r->quote) {
        vf_step_fail(&r->step[1], "%s", r->quote_err);
        vf_step_fail(&r->step[2], "%s", r->quote_err);
        vf_step_fail(&r->step[3], "%s", r->quote_err);
    } else {
        vf_step_quote(r->quote, r->quote_len, &r->trust, o->accept_tcb, o->now, &r->step[1], &qres);
        vf_step_report_data(r->quote, r->quote_len, r->expected_rd,
                            o->legacy ? "sha512(\"app-data:\" ‖ nonce)" : "nonce", &r->step[2]);
        vf_step_replay(r->quote, r->quote_len, r->event_log_json, &r->step[3]);
    }
    const cJSON *ac =
        r->tcb_info ? cJSON_GetObjectItemCaseSensitive(r->tcb_info, "app_compose") : NULL;
    if (!r->tcb_info)
        vf_step_fail(&r->step[4], "%s", r->info_err);
    else
        vf_step_images(cJSON_IsString(ac) ? ac->valuestring : NULL, &r->step[4]);
    vf_step_chain(r, &qres, &r->step[5]);
    code = vf_report_run(r, &qres);
out:
    ds_qverify_result_free(&qres);
    if (have_dh) vf_http_close(&dh);
    if (have_th) vf_http_close(&th);
    return code;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "quote")) return vf_quote_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "serve")) return vf_serve_main(argc - 1, argv + 1);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("dstack-verify %s\n", VF_VERSION);
            return 0;
        }
    }
    vf_run *r = calloc(1, sizeof *r);
    if (!r) return vf_report_error(0, VF_EXIT_USAGE, "out of memory");
    static const char *names[6] = {"compose-hash", "quote",         "report_data",
                                   "rtmr-replay",  "image-pinning", "governance"};
    for (int i = 0; i < 6; i++)
        vf_step_init(&r->step[i], i + 1, names[i]);
    vf_opts *o = &r->opt;
    o->endpoint = getenv("DSTACK_SIMULATOR_ENDPOINT");
    o->tappd = getenv("TAPPD_SIMULATOR_ENDPOINT");
    o->rpc = getenv("ETH_RPC_URL");
    if (!o->rpc || !*o->rpc) o->rpc = "http://127.0.0.1:8545";
    o->accept_tcb = 1u << DS_TCB_UP_TO_DATE;
    o->now = (int64_t)time(NULL);
    o->timeout_ms = 30000;
    char err[1024] = "";
    int json = 0;
    for (int i = 1; i < argc; i++)
        json |= !strcmp(argv[i], "--json");
    int code;
    if (parse_args(argc, argv, o, err, sizeof err) != 0)
        code = vf_report_error(json, VF_EXIT_USAGE, "%s", err);
    else
        code = verify_endpoint(r);
    run_free(r);
    free(r);
    return code;
}
