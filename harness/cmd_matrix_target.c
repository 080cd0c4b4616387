/* cmd_matrix_target.c — `dstack-harness matrix --target ADDRESS --call 'name(type arg, …)'`:
 * the whole catalogue through a contract nobody here wrote. Chains are signed under the
 * KMS root of the simulator's config (the root a developer deploys a contract with when
 * testing against the simulator); the answers come from eth_call on a local chain; the
 * combination search, the soundness probes and the verdict are hx_search's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds_hex.h"
#include "ds_secp.h"
#include "hx_anvil.h"
#include "hx_cmd.h"
#include "hx_keys.h"
#include "hx_matrix.h"
#include "hx_out.h"
#include "hx_search.h"

/* The chain to use: --rpc, else the running `up`, else Anvil's default port. */
static void default_rpc(char *url, size_t cap) {
    hx_state st;
    char err[512];
    if (hx_state_path[0] == '\0') hx_state_default_path(hx_state_path, sizeof hx_state_path);
    if (hx_state_load(hx_state_path, &st, err, sizeof err) == 0 &&
        hx_chain_ping(st.rpc_url, NULL, err, sizeof err) == 0)
        hx_setf(url, cap, "%s", st.rpc_url);
    else
        hx_setf(url, cap, "http://127.0.0.1:8545");
}

/* The KMS root key and the app id the chains are made for. */
static int keys(const hx_target_opts *o, uint8_t root[32], uint8_t app_id[20]) {
    char err[1024];
    hx_appkeys k;
    const char *config = o->config ? o->config : "appkeys.json";
    if (o->root_hex) {
        if (ds_hex_decode_exact(o->root_hex, strlen(o->root_hex), root, 32) != DS_OK ||
            !ds_secp_priv_valid(root)) {
            hx_fail("--kms-root-key must be a 32-byte secp256k1 private key in hex");
            return -1;
        }
    } else {
        memset(&k, 0, sizeof k);
        if (hx_appkeys_load(config, &k, err, sizeof err) != 0) {
            hx_fail("%s (the chains are signed under the config's KMS root: give --config FILE or "
                    "--kms-root-key HEX)",
                    err);
            return -1;
        }
        if (!k.have_root_key) {
            hx_fail(
                "%s has no kms_root_key (an upstream appkeys.json holds only the app key): give "
                "--kms-root-key HEX, the key whose address your contract trusts",
                config);
            return -1;
        }
        memcpy(root, k.root_key, 32);
    }
    if (o->app_id_hex) {
        if (ds_hex_decode_exact(o->app_id_hex, strlen(o->app_id_hex), app_id, 20) != DS_OK) {
            hx_fail("--app-id must be 20 bytes of hex");
            return -1;
        }
    } else if (hx_config_app_id(config, app_id, err, sizeof err) != 0) {
        hx_fail("%s", err);
        return -1;
    }
    return 0;
}

static cJSON *row_json(const hx_row *r) {
    static const char *const kinds[] = {"canonical", "single", "combination", "probe"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "variant", r->name);
    cJSON_AddStringToObject(o, "kind", kinds[r->kind]);
    cJSON_AddStringToObject(o, "version", r->version ? "v1" : "v0");
    cJSON_AddStringToObject(o, "axis", r->axis);
    cJSON_AddStringToObject(o, "what", r->what);
    cJSON_AddBoolToObject(o, "dstack_format", r->expect);
    cJSON_AddBoolToObject(o, "accepted", r->accepted);
    cJSON_AddStringToObject(o, "detail", r->detail);
    if (r->accepted && r->shape[0]) cJSON_AddStringToObject(o, "encoding", r->shape);
    return o;
}

static void print_json(const hx_search *s, const hx_target_opts *o, const char *url, int ok,
                       double secs) {
    char a[43], names[400];
    cJSON *doc = cJSON_CreateObject(), *acc = cJSON_CreateArray(), *uns = cJSON_CreateArray(),
          *rows = cJSON_CreateArray(), *canon = cJSON_CreateObject();
    int all = 1;
    cJSON_AddBoolToObject(doc, "ok", ok);
    cJSON_AddStringToObject(doc, "target", hx_addr(s->t->to, a));
    cJSON_AddStringToObject(doc, "call", s->t->spec.sig);
    cJSON_AddStringToObject(doc, "rpc", url);
    cJSON_AddStringToObject(doc, "kms_root", hx_addr(s->root_addr, a));
    cJSON_AddStringToObject(doc, "app_id", hx_hex(s->app_id, 20));
    for (int v = 0; v < 2; v++) {
        if (s->canonical[v] < 0) continue;
        cJSON_AddBoolToObject(canon, v ? "v1" : "v0", s->canonical[v]);
        all &= s->canonical[v];
    }
    cJSON_AddBoolToObject(doc, "canonical_accepted", all);
    cJSON_AddItemToObject(doc, "canonical", canon);
    for (int i = 0; i < s->nsets; i++) {
        cJSON *set = cJSON_CreateArray();
        char one[64];
        if (s->sets[i].n == 0)
            cJSON_AddItemToArray(set,
                                 cJSON_CreateString(hx_set_name(&s->sets[i], names, sizeof names)));
        for (int k = 0; k < s->sets[i].n; k++)
            cJSON_AddItemToArray(set, cJSON_CreateString(hx_dev_name(
                                          s->sets[i].dev[k], s->sets[i].version, one, sizeof one)));
        cJSON_AddItemToArray(acc, set);
    }
    cJSON_AddItemToObject(doc, "accepted", acc);
    for (int i = 0; i < s->nunsound; i++)
        cJSON_AddItemToArray(uns, cJSON_CreateString(s->unsound[i]));
    cJSON_AddItemToObject(doc, "unsound", uns);
    cJSON_AddStringToObject(doc, "verdict", s->verdict);
    cJSON_AddNumberToObject(doc, "max_changes", o->max_changes);
    cJSON_AddNumberToObject(doc, "time_budget", o->time_budget);
    cJSON *depth = cJSON_CreateObject();
    int out = 0;
    for (int v = 0; v < 2; v++) {
        if (s->canonical[v] < 0) continue;
        cJSON_AddNumberToObject(depth, v ? "v1" : "v0", s->searched_to[v]);
        out |= s->budget_out[v] != 0;
    }
    cJSON_AddItemToObject(doc, "searched_to", depth);
    cJSON_AddBoolToObject(doc, "budget_ran_out", out);
    cJSON_AddNumberToObject(doc, "formats_tried", (double)s->formats);
    cJSON_AddNumberToObject(doc, "calls", (double)s->t->calls);
    cJSON_AddNumberToObject(doc, "seconds", secs);
    for (int i = 0; i < s->nrows; i++)
        cJSON_AddItemToArray(rows, row_json(&s->rows[i]));
    cJSON_AddItemToObject(doc, "rows", rows);
    hx_json_emit(doc);
}

/* "combinations searched to 6 of 6 changes (v0 table) within a time budget of 30 s". */
static void print_depth(const hx_search *s) {
    for (int v = 0; v < 2; v++) {
        if (s->canonical[v] < 0 || (s->searched_to[v] == 0 && s->budget_out[v] == 0)) continue;
        printf("combinations searched in full to %d of %d changes (%s table)", s->searched_to[v],
               s->max_changes, v ? "v1" : "v0");
        if (s->budget_out[v])
            printf("; the time budget of %g s ran out during %d changes\n", s->time_budget,
                   s->budget_out[v]);
        else
            printf(" within a time budget of %g s\n", s->time_budget);
    }
}

static void print_table(const hx_search *s, const char *url, double secs) {
    static const char *const head[] = {"variant",         "claim",    "axis",
                                       "dstack's format", "contract", "encoding"};
    char a[43], b[43];
    hx_table t;
    hx_table_init(&t, 6, head);
    for (int i = 0; i < s->nrows; i++) {
        const hx_row *r = &s->rows[i];
        char ans[700];
        HX_SET(ans, "%s%s%s", r->accepted ? "ACCEPTS" : "rejects", r->detail[0] ? ": " : "",
               r->detail);
        const char *cells[6] = {r->name, r->version ? "v1" : "v0",
                                r->axis, r->expect ? "yes" : "no",
                                ans,     r->accepted ? r->shape : ""};
        hx_table_row(&t, cells);
    }
    printf("dstack-harness matrix --target %s: %s on %s\n", hx_addr(s->t->to, a), s->t->spec.sig,
           url);
    printf("chains signed under KMS root %s for app id %s\n\n", hx_addr(s->root_addr, b),
           hx_hex(s->app_id, 20));
    hx_table_print(&t, stdout);
    hx_table_free(&t);
    printf("\n%lu formats, %lu calls in %.2f s\n", s->formats, s->t->calls, secs);
    print_depth(s);
    printf("\n%s\n", s->verdict);
}

int hx_matrix_target(const hx_target_opts *o) {
    char url[256];
    hx_search s;
    struct timespec t0, t1;
    memset(&s, 0, sizeof s);
    if (o->call == NULL)
        return hx_usage_error("matrix", "--target needs --call 'name(type arg, ...)'");
    if (o->max_changes < 1 || o->max_changes > HX_MAX_DEVS)
        return hx_usage_error("matrix", "--max-changes must be 1 ... 6");
    hx_call_spec spec; /* bad usage is reported before anything is read */
    char err[1024];
    if (hx_call_parse(o->call, &spec, err, sizeof err) != 0) return hx_usage_error("matrix", err);
    if (keys(o, s.root_key, s.app_id) != 0) return 1;
    if (o->rpc)
        hx_setf(url, sizeof url, "%s", o->rpc);
    else
        default_rpc(url, sizeof url);
    hx_target *t;
    int prc = hx_target_prepare("matrix", o->target, o->call, o->from, url, &t);
    if (prc != 0) return prc;
    uint8_t pub[33];
    ds_secp_pubkey(s.root_key, pub, 33);
    ds_secp_address(pub, 33, s.root_addr);
    s.t = t;
    s.s = (hx_strings){o->purpose, o->path, o->domain, "secp256k1"};
    s.max_changes = o->max_changes;
    s.time_budget = o->time_budget;
    char a[43];
    hx_progress("%s on %s, chains under KMS root %s, app id %s", t->spec.sig, url,
                hx_addr(s.root_addr, a), hx_hex(s.app_id, 20));
    hx_progress("searching up to %d changes within a time budget of %g s", s.max_changes,
                s.time_budget);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = hx_search_run(&s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int ok = rc == 0 && s.nunsound == 0;
    for (int v = 0; v < 2; v++)
        ok &= s.canonical[v] != 0;
    if (rc == 0) {
        hx_progress("%lu formats, %lu calls in %.2f s", s.formats, t->calls, secs);
        if (hx_ui_g.json)
            print_json(&s, o, url, ok, secs);
        else
            print_table(&s, url, secs);
    }
    hx_search_free(&s);
    hx_target_free(t);
    return ok ? 0 : 1;
}
