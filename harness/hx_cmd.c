/* hx_cmd.c — common options and opening a deployment (see hx_cmd.h). */
#include "hx_cmd.h"

#include <stdio.h>
#include <string.h>

#include "hx_anvil.h"
#include "hx_out.h"

char hx_state_path[PATH_MAX];

int hx_common_opt(int c, const char *arg) {
    switch (c) {
    case 'S': HX_SET(hx_state_path, "%s", arg); return 1;
    case 'J': hx_ui_g.json = 1; return 1;
    case 'Q': hx_ui_g.quiet = 1; return 1;
    default: return 0;
    }
}

int hx_usage_error(const char *cmd, const char *what) {
    hx_fail("%s: %s (see `dstack-harness %s --help`)", cmd, what, cmd);
    return 2;
}

int hx_common_opts_only(const char *cmd, const char *usage, int argc, char **argv) {
    static const struct option opts[] = {HX_COMMON_LONGOPTS, {0, 0, 0, 0}};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (hx_common_opt(ch, optarg)) continue;
        if (ch == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        return hx_usage_error(cmd, "unknown option");
    }
    return -1;
}

void hx_pad32(const uint8_t in20[20], uint8_t out[32]) {
    memset(out, 0, 32);
    memcpy(out, in20, 20);
}

int hx_ctx_open(hx_ctx *x) {
    char err[1024];
    size_t code = 0;
    memset(x, 0, sizeof *x);
    if (hx_state_path[0] == '\0') hx_state_default_path(hx_state_path, sizeof hx_state_path);
    if (hx_state_load(hx_state_path, &x->st, err, sizeof err) != 0) {
        hx_fail("%s", err);
        return -1;
    }
    if (hx_chain_ping(x->st.rpc_url, NULL, err, sizeof err) != 0) {
        hx_fail("%s", err);
        return -1;
    }
    if (hx_chain_open(&x->ch, x->st.rpc_url) != 0) {
        hx_fail("%s", x->ch.err);
        return -1;
    }
    x->chain_open = 1;
    if (ds_rpc_code_size(&x->ch.rpc, x->st.nft, &code) != DS_OK) {
        hx_fail("%s", ds_rpc_error(&x->ch.rpc));
        return -1;
    }
    if (code == 0) {
        char a[43];
        hx_fail("the chain at %s has no contract at %s (was Anvil restarted?): run "
                "`dstack-harness down`, then `dstack-harness up`",
                x->st.rpc_url, hx_addr(x->st.nft, a));
        return -1;
    }
    if (hx_chain_load_artifacts(&x->ch, 1) != 0) {
        hx_fail("%s", x->ch.err);
        return -1;
    }
    return 0;
}

void hx_ctx_close(hx_ctx *x) {
    if (x->chain_open) hx_chain_close(&x->ch);
    x->chain_open = 0;
}
