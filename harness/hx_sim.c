/* hx_sim.c — starting and stopping dstack-simulator for the harness (see hx_sim.h). */
#include "hx_sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hx_out.h"
#include "hx_proc.h"

void hx_sim_default_config(char *out, size_t cap) {
    char root[PATH_MAX];
    if (hx_repo_root(root, sizeof root) == 0)
        hx_setf(out, cap, "%s/appkeys.json", root);
    else
        hx_setf(out, cap, "appkeys.json");
}

int hx_sim_dir(const char *sock, char *out, size_t cap) {
    hx_setf(out, cap, "%s", sock);
    char *slash = strrchr(out, '/');
    if (slash == NULL) return -1;
    *slash = '\0';
    return 0;
}

ds_client *hx_sim_client(const char *sock) {
    ds_client *c = ds_client_new(sock);
    if (c != NULL) ds_client_set_timeout_ms(c, 10000);
    return c;
}

int hx_sim_start(hx_sim *s, const char *dir, const char *config, const char *const *extra,
                 char *err, size_t errcap) {
    char tail[800], abs_config[PATH_MAX];
    memset(s, 0, sizeof *s);
    if (hx_find_tool("dstack-simulator", "DSTACK_SIMULATOR_BIN", s->bin, sizeof s->bin) != 0) {
        hx_setf(err, errcap, HX_SIM_MISSING);
        return -1;
    }
    if (realpath(config, abs_config) == NULL) {
        hx_setf(err, errcap, "simulator config %s: %s", config, strerror(errno));
        return -1;
    }
    if (dir == NULL) {
        HX_SET(s->dir, "/tmp/dstack-harness-XXXXXX");
        if (mkdtemp(s->dir) == NULL) {
            hx_setf(err, errcap, "mkdtemp: %s", strerror(errno));
            return -1;
        }
        s->own_dir = 1;
    } else {
        HX_SET(s->dir, "%s", dir);
    }
    HX_SET(s->sock, "%s/dstack.sock", s->dir);
    HX_SET(s->log, "%s/simulator.log", s->dir);
    unlink(s->log);
    char *argv[32];
    int ac = 0;
    argv[ac++] = s->bin;
    argv[ac++] = "--config";
    argv[ac++] = abs_config;
    argv[ac++] = "--dstack-sock";
    argv[ac++] = s->sock;
    argv[ac++] = "--tappd-sock";
    argv[ac++] = "";
    argv[ac++] = "--quiet";
    for (int i = 0; extra != NULL && extra[i] != NULL && ac < 31; i++) argv[ac++] = (char *)extra[i];
    argv[ac] = NULL;
    s->pid = hx_spawn(argv, s->log, err, errcap);
    if (s->pid < 0) {
        s->pid = 0;
        if (s->own_dir) rmdir(s->dir);
        return -1;
    }
    long end = hx_now_ms() + 20000;
    while (hx_now_ms() < end) {
        if (!hx_proc_alive(s->pid)) {
            hx_setf(err, errcap, "dstack-simulator exited during start-up: %s",
                     hx_log_tail(s->log, tail, sizeof tail));
            s->pid = 0;
            hx_sim_stop(s);
            return -1;
        }
        if (access(s->sock, F_OK) == 0) {
            ds_client *c = hx_sim_client(s->sock);
            int ok = c != NULL && ds_client_get_meta(c, &s->meta) == DS_OK;
            ds_client_free(c);
            if (ok) return 0;
        }
        hx_sleep_ms(30);
    }
    hx_setf(err, errcap, "dstack-simulator did not answer GetMeta on %s within 20 s: %s", s->sock,
             hx_log_tail(s->log, tail, sizeof tail));
    hx_sim_stop(s);
    return -1;
}

int hx_sim_stop(hx_sim *s) {
    int status = -1, result = 0;
    if (s->pid > 0) {
        if (hx_proc_stop(s->pid, 5000, &status) != 0) return -1;
        if (status != 0) result = 1;
        s->pid = 0;
    }
    if (s->sock[0] && access(s->sock, F_OK) == 0) { /* it should have removed its socket */
        unlink(s->sock);
        result = 1;
    }
    if (s->own_dir) {
        unlink(s->log);
        if (rmdir(s->dir) != 0 && errno != ENOENT) result = 1;
        s->own_dir = 0;
    }
    return result;
}

int hx_sim_stop_recorded(pid_t pid, const char *sock) {
    int rc = 0;
    if (pid > 0 && hx_proc_alive(pid) && hx_proc_matches(pid, "dstack-simulator", sock))
        rc = hx_proc_stop(pid, 5000, NULL);
    if (sock != NULL && sock[0] && access(sock, F_OK) == 0) {
        /* left behind (or the simulator was killed): remove it only if nothing listens */
        ds_client *c = hx_sim_client(sock);
        ds_meta_result m;
        if (c != NULL) ds_client_set_timeout_ms(c, 500);
        int alive = c != NULL && ds_client_get_meta(c, &m) == DS_OK;
        ds_client_free(c);
        if (!alive) unlink(sock);
        else rc = -1;
    }
    return rc;
}
