/* cmd_down.c — `dstack-harness down` and `status`.
 *
 * down:   stop what `up` started (checking each pid is still that process), remove the
 *         socket and the deployment file, and check that no process, port or socket is left.
 * status: show the deployment and whether its chain and simulator answer.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ds_client.h"
#include "hx_anvil.h"
#include "hx_cmd.h"
#include "hx_out.h"
#include "hx_proc.h"
#include "hx_sim.h"

static const char DOWN_USAGE[] =
    "usage: dstack-harness down [--state FILE] [--json] [--quiet]\n"
    "\n"
    "Stops the Anvil and the simulator that `up` started, removes the simulator socket and\n"
    "the deployment file, and checks that no process, port or socket is left behind.\n";

static const char STATUS_USAGE[] =
    "usage: dstack-harness status [--state FILE] [--json]\n"
    "\n"
    "Shows the deployment and whether its chain and simulator are running (exit 0 "
    "when both are).\n";

int hx_cmd_down(int argc, char **argv) {
    char err[1024];
    int rc = hx_common_opts_only("down", DOWN_USAGE, argc, argv);
    if (rc >= 0) return rc;
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
        if (hx_sim_dir(s.sim_sock, simdir, sizeof simdir) == 0) {
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
    char err[1024];
    int rc = hx_common_opts_only("status", STATUS_USAGE, argc, argv);
    if (rc >= 0) return rc;
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
        hx_state_emit_json(&s, chain_ok && sim_ok);
    } else {
        hx_state_print(&s, "dstack-harness status");
        printf("\nchain: %s\nsimulator: %s\n", chain_ok ? "answering" : err,
               sim_ok ? "answering" : "not answering");
    }
    return chain_ok && sim_ok ? 0 : 1;
}
