/* hx_anvil.c — Anvil lifecycle (see hx_anvil.h). Anvil is started with
 * --host 127.0.0.1 (loopback only, always) and --silent; readiness is "answers
 * eth_chainId", not "printed something".
 */
#include "hx_anvil.h"

#include <stdio.h>
#include <string.h>

#include "ds_rpc.h"
#include "hx_out.h"
#include "hx_proc.h"
#include "hx_state.h"

int hx_chain_ping(const char *url, uint64_t *id, char *err, size_t errcap) {
    ds_rpc r;
    uint64_t cid = 0;
    if (ds_rpc_open(&r, url) != DS_OK) {
        hx_setf(err, errcap, "%s", ds_rpc_error(&r));
        ds_rpc_close(&r);
        return -1;
    }
    r.timeout_ms = 2000;
    int rc = ds_rpc_chain_id(&r, &cid) == DS_OK ? 0 : -1;
    if (rc != 0) hx_setf(err, errcap, "%s", ds_rpc_error(&r));
    if (rc == 0 && id) *id = cid;
    ds_rpc_close(&r);
    return rc;
}

static int start_once(hx_anvil *a, int port, const char *const *extra, char *err, size_t errcap) {
    char portstr[16], tail[1024], perr[512];
    HX_SET(portstr, "%d", port);
    char accounts[16];
    snprintf(accounts, sizeof accounts, "%d", HX_ANVIL_ACCOUNTS); /* owner + one per node */
    char *argv[18] = {a->bin, "--host", "127.0.0.1", "--port", portstr, "--accounts", accounts, "--silent"};
    int ac = 8;
    for (int i = 0; extra != NULL && extra[i] != NULL && ac < 16; i++) argv[ac++] = (char *)extra[i];
    argv[ac] = NULL;
    a->port = port;
    HX_SET(a->url, "http://127.0.0.1:%d", port);
    a->pid = hx_spawn(argv, a->log[0] ? a->log : NULL, err, errcap);
    if (a->pid < 0) return -1;
    long end = hx_now_ms() + 20000;
    while (hx_now_ms() < end) {
        if (!hx_proc_alive(a->pid)) {
            hx_setf(err, errcap, "anvil exited during start-up (port %d)%s%s", port,
                     a->log[0] ? ": " : "", a->log[0] ? hx_log_tail(a->log, tail, 400) : "");
            a->pid = 0;
            return 1; /* maybe the port was taken: the caller may retry */
        }
        if (hx_chain_ping(a->url, &a->chain_id, perr, sizeof perr) == 0) return 0;
        hx_sleep_ms(50);
    }
    hx_setf(err, errcap, "anvil did not answer on %s within 20 s", a->url);
    hx_proc_stop(a->pid, 3000, NULL);
    a->pid = 0;
    return -1;
}

int hx_anvil_start(hx_anvil *a, int port, const char *log_path, char *err, size_t errcap) {
    return hx_anvil_start_args(a, port, log_path, NULL, err, errcap);
}

int hx_anvil_start_args(hx_anvil *a, int port, const char *log_path, const char *const *extra, char *err,
                        size_t errcap) {
    memset(a, 0, sizeof *a);
    if (hx_find_tool("anvil", "ANVIL", a->bin, sizeof a->bin) != 0) {
        hx_setf(err, errcap, HX_ANVIL_MISSING);
        return -1;
    }
    if (log_path) HX_SET(a->log, "%s", log_path);
    for (int attempt = 0; attempt < 3; attempt++) {
        int p = port ? port : hx_free_port();
        if (p <= 0) {
            hx_setf(err, errcap, "no free TCP port on 127.0.0.1");
            return -1;
        }
        if (port && hx_port_open(p)) {
            hx_setf(err, errcap, "port %d on 127.0.0.1 is already in use", p);
            return -1;
        }
        int rc = start_once(a, p, extra, err, errcap);
        if (rc <= 0 || port) return rc == 0 ? 0 : -1;
    }
    return -1;
}

int hx_anvil_stop(hx_anvil *a) {
    char portarg[16];
    if (a->pid <= 0) return 0;
    HX_SET(portarg, "%d", a->port);
    if (!hx_proc_alive(a->pid)) {
        a->pid = 0;
        return 0;
    }
    if (!hx_proc_matches(a->pid, "anvil", portarg)) { /* the pid now belongs to someone else */
        a->pid = 0;
        return 0;
    }
    int rc = hx_proc_stop(a->pid, 5000, NULL);
    if (rc == 0) a->pid = 0;
    return rc;
}
