/* main.c — dstack-simulator: a local dstack guest agent on Unix sockets.
 *
 * Start-up: flags + config → state (identity, keys, CA, event log) → worker threads →
 * listening sockets → banner (printed only once every socket listens, so "banner seen"
 * means ready) → event loop. The main thread accepts and serves as worker 0; --workers N
 * adds N-1 threads that take connections round-robin (sim_workers.h). SIGINT/SIGTERM stop
 * the loop and the workers; the per-method request summary goes to stderr (--no-stats:
 * not); every socket file we created is removed.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_secp.h"
#include "sim_config.h"
#include "sim_drain.h"
#include "sim_http.h"
#include "sim_journal.h"
#include "sim_kmsauth.h"
#include "sim_keymemo.h"
#include "sim_limits.h"
#include "sim_methods.h"
#include "sim_metrics.h"
#include "sim_pcs.h"
#include "sim_recent.h"
#include "sim_socket.h"
#include "sim_state.h"
#include "sim_workers.h"

typedef struct {
    sim_config cfg;
    sim_state st;
    struct event_base *base;
    sim_metrics metrics;
    sim_workers workers;
    sim_server *srv;                /* worker 0's: owns the listeners */
    sim_sockfile dstack_file, tappd_file, external_file;
    int tcp_port;
    struct event *sigint, *sigterm;
    sim_connlimit connlimit;        /* --max-connections, across all workers */
    sim_drain drain;                /* SIGTERM/SIGINT: finish in-flight requests first */
    sim_journal *journal;           /* --journal, or NULL */
    sim_journal_report journal_rep;
} sim_app;

static void on_signal(evutil_socket_t sig, short what, void *arg) {
    sim_app *app = arg;
    (void)what;
    sim_drain_signal(&app->drain, sig == SIGINT ? "SIGINT" : "SIGTERM");
}

/* Absolute form of a path for the export line. */
static void abs_path(const char *p, char *out, size_t cap) {
    char cwd[PATH_MAX];
    if (p[0] == '/' || !getcwd(cwd, sizeof cwd)) snprintf(out, cap, "%s", p);
    else snprintf(out, cap, "%s/%s", cwd, p[0] == '.' && p[1] == '/' ? p + 2 : p);
}

static void banner(const sim_app *app) {
    const sim_state *st = &app->st;
    const sim_config *c = &app->cfg;
    char dpath[PATH_MAX + 64], tpath[PATH_MAX + 64], xpath[PATH_MAX + 64], hex[131], addr[43];
    uint8_t a[20];
    abs_path(c->dstack_sock, dpath, sizeof dpath);
    printf("dstack-simulator %s (dstack guest agent %s): listening\n", SIM_VERSION, c->version);
    printf("  PUBLIC TEST KEYS: for local development only, never for anything of value\n");
    if (c->agent == SIM_AGENT_0_6_0)
        printf("  agent version    0.6.0: frozen API at / and /v0, v1 API at /v1 (EmitEvent removed)\n");
    else
        printf("  agent version    0.5.11 (EmitEvent %s)\n",
               c->emit_refuse ? "refused, as upstream's 0.5.9+ simulator" : "extends RTMR3");
    printf("  dstack socket    %s\n", dpath);
    if (c->tappd_sock[0]) {
        abs_path(c->tappd_sock, tpath, sizeof tpath);
        printf("  tappd socket     %s\n", tpath);
    }
    if (c->external_sock && c->external_sock[0]) {
        abs_path(c->external_sock, xpath, sizeof xpath);
        printf("  external socket  %s (Worker API)\n", xpath);
    }
    if (app->tcp_port) {
        printf("  dstack TCP       http://%s (port %d)\n", c->listen_addr, app->tcp_port);
        const char *colon = strrchr(c->listen_addr, ':');
        printf("  metrics          http://%.*s:%d/metrics (Prometheus text)\n",
               (int)(colon ? colon - c->listen_addr : 0), c->listen_addr, app->tcp_port);
        printf("  dashboard        http://%.*s:%d/\n",
               (int)(colon ? colon - c->listen_addr : 0), c->listen_addr, app->tcp_port);
    }
    printf("  workers          %d\n", app->workers.n);
    size_t memo_entries;
    sim_keymemo_stats(st->keymemo, NULL, NULL, &memo_entries);
    if (memo_entries) printf("  GetKey memo      %zu derivations per worker\n", memo_entries);
    else printf("  GetKey memo      off (--key-cache 0)\n");
    if (app->journal)
        printf("  journal          %s (%zu events replayed%s)\n", sim_journal_path(app->journal),
               app->journal_rep.replayed, app->journal_rep.torn_bytes ? ", torn tail dropped" : "");
    printf("  config           %s (%s mode)\n", c->config_path ? c->config_path : "(none)",
           st->mode_root ? "KMS root key" : "static k256_signature");
    printf("  app id           %s (%s)\n", ds_hex_encode(st->app_id, 20, hex), st->app_id_source);
    printf("  instance id      %s\n",
           st->has_instance_id ? ds_hex_encode(st->instance_id, 20, hex) : "(none: no_instance_id)");
    printf("  compose hash     %s (%s)\n", ds_hex_encode(st->compose_hash, 32, hex), c->compose_source);
    ds_secp_address(st->app_pub, 33, a);
    printf("  app public key   %s (%s)\n", ds_hex_encode(st->app_pub, 33, hex), ds_eth_checksum(a, addr));
    if (st->have_root_pub) {
        printf("  KMS root pubkey  %s\n", ds_hex_encode(st->root_pub, 33, hex));
        printf("  KMS root address %s\n", ds_eth_checksum(st->root_addr, addr));
    } else {
        printf("  KMS root         (unknown: the static k256_signature does not recover for this app id)\n");
    }
    char kms_auth[1400];
    sim_kmsauth_describe(st->kmsauth, kms_auth, sizeof kms_auth);
    printf("  kms auth         %s\n", kms_auth);
    if (c->quote_upstream) {
        printf("  quotes           upstream v0.5.11 canned quote (--quote-mode upstream: unverifiable)\n");
    } else {
        size_t der_len;
        const uint8_t *der = ds_pki_root_der(st->pki, &der_len);
        uint8_t fp[32];
        ds_sha256(der, der_len, fp);
        printf("  quote PKI root   sha256 %s, TCB %s (GET /sim/pki/root.pem)\n",
               ds_hex_encode(fp, 32, hex), ds_tcb_status_name(c->tcb_status));
    }
    if (st->mismatch != DS_VARIANT_CANONICAL)
        printf("  MISMATCH MODE    %s: %s\n", ds_variant_name(st->mismatch),
               ds_variant_describe(st->mismatch));
    printf("\n  export DSTACK_SIMULATOR_ENDPOINT=%s\n", dpath);
    if (c->tappd_sock[0]) printf("  export TAPPD_SIMULATOR_ENDPOINT=%s\n", tpath);
    printf("\n");
    fflush(stdout);
}

static int open_listeners(sim_app *app) {
    char err[512];
    const sim_config *c = &app->cfg;
    /* The dstack socket last: once it accepts, every listener does (tests wait on it). */
    int fd = -1;
    if (c->listen_addr) {
        fd = sim_tcp_listen(c->listen_addr, c->allow_non_loopback, &app->tcp_port, err, sizeof err);
        if (fd < 0 || sim_server_add_listener(app->srv, fd, sim_route_tcp, &app->st) != 0) goto fail;
    }
    if (c->tappd_sock[0]) {
        fd = sim_unix_listen(c->tappd_sock, c->sock_mode, &app->tappd_file, err, sizeof err);
        if (fd < 0 || sim_server_add_listener(app->srv, fd, sim_route_tappd, &app->st) != 0) goto fail;
    }
    if (c->external_sock && c->external_sock[0]) {
        fd = sim_unix_listen(c->external_sock, c->sock_mode, &app->external_file, err, sizeof err);
        if (fd < 0 || sim_server_add_listener(app->srv, fd, sim_route_external, &app->st) != 0)
            goto fail;
    }
    fd = sim_unix_listen(c->dstack_sock, c->sock_mode, &app->dstack_file, err, sizeof err);
    if (fd < 0 || sim_server_add_listener(app->srv, fd, sim_route_dstack, &app->st) != 0) goto fail;
    return 0;
fail:
    if (fd >= 0) snprintf(err, sizeof err, "cannot start serving (libevent)");
    fprintf(stderr, "dstack-simulator: %s\n", err);
    return -1;
}

int main(int argc, char **argv) {
    sim_app app;
    memset(&app, 0, sizeof app);
    signal(SIGPIPE, SIG_IGN);
    sim_config_init(&app.cfg);
    int rc = sim_config_from_args(&app.cfg, argc, argv);
    if (rc != 0) {
        sim_config_free(&app.cfg);
        return rc > 0 ? 0 : 2;
    }
    char err[512];
    if (app.cfg.config_path && !app.cfg.config_builtin && !app.cfg.config_public &&
        (app.cfg.have_root || app.cfg.have_k256 || app.cfg.ca_key_pem))
        sim_warn_key_file(app.cfg.config_path, "private keys");
    if (app.cfg.journal_recover && !app.cfg.journal_path) {
        fprintf(stderr, "dstack-simulator: --journal-recover needs --journal FILE\n");
        sim_config_free(&app.cfg);
        return 2;
    }
    if (sim_state_init(&app.st, &app.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "dstack-simulator: %s\n", err);
        sim_state_free(&app.st);
        sim_config_free(&app.cfg);
        return 2;
    }
    if (app.cfg.write_pki_dir) {
        int wrc = sim_pcs_write_dir(&app.st, app.cfg.write_pki_dir, err, sizeof err);
        if (wrc == 0)
            printf("wrote root_ca.pem, root_ca.der, collateral.json, pcs_tcb_info.json, "
                   "pcs_qe_identity.json and the image cache (images/, measurements/) to %s\n",
                   app.cfg.write_pki_dir);
        else
            fprintf(stderr, "dstack-simulator: --write-pki: %s\n", err);
        sim_state_free(&app.st);
        sim_config_free(&app.cfg);
        return wrc == 0 ? 0 : 1;
    }
    /* the BootInfo is of the boot: before the journal's runtime events are replayed */
    if (!(app.st.kmsauth = sim_kmsauth_new(&app.st, &app.cfg, err, sizeof err))) {
        fprintf(stderr, "dstack-simulator: --kms-auth: %s\n", err);
        sim_state_free(&app.st);
        sim_config_free(&app.cfg);
        return 2;
    }
    if (app.cfg.journal_path) { /* replay before serving: RTMR3 as it was */
        if (sim_journal_open(app.cfg.journal_path, &app.st, app.cfg.journal_recover, &app.journal,
                             &app.journal_rep, err, sizeof err) != 0) {
            fprintf(stderr, "dstack-simulator: %s\n", err);
            sim_kmsauth_free(app.st.kmsauth);
            sim_state_free(&app.st);
            sim_config_free(&app.cfg);
            return 2;
        }
        app.st.journal = app.journal;
    }
    int exit_code = 1;
    app.base = event_base_new();
    sim_http_limits lim = {.max_body = app.cfg.max_body, .max_header = 64 * 1024,
                           .idle_timeout_sec = app.cfg.idle_timeout_sec,
                           .request_timeout_sec = app.cfg.request_timeout_sec};
    sim_connlimit_init(&app.connlimit, app.cfg.max_conns);
    long fds = sim_raise_nofile((long)app.cfg.max_conns + app.connlimit.max_refusing + 64);
    if (fds < (long)app.cfg.max_conns + app.connlimit.max_refusing + 64) {
        int fit = (int)((fds - 80) * 4 / 5 > 1 ? (fds - 80) * 4 / 5 : 1);
        fprintf(stderr, "dstack-simulator: warning: only %ld file descriptors (ulimit -n): "
                        "--max-connections lowered from %d to %d\n", fds, app.cfg.max_conns, fit);
        sim_connlimit_init(&app.connlimit, fit);
    }
    int nworkers = app.cfg.workers ? app.cfg.workers : sim_workers_default();
    if (!app.base || sim_metrics_init(&app.metrics, nworkers) != 0) goto out;
    app.st.metrics = &app.metrics;
    app.st.keymemo = sim_keymemo_new(nworkers, (size_t)app.cfg.key_cache);
    if (app.cfg.key_cache && !app.st.keymemo) {
        fprintf(stderr, "dstack-simulator: out of memory for --key-cache %d (try a smaller N)\n",
                app.cfg.key_cache);
        goto out;
    }
    if (app.cfg.listen_addr && !(app.st.recent = sim_recent_new(nworkers))) goto out;
    if (sim_workers_start(&app.workers, nworkers, app.base, &lim, &app.metrics, err,
                          sizeof err) != 0) {
        fprintf(stderr, "dstack-simulator: %s\n", err);
        goto out;
    }
    sim_workers_set_conn_limit(&app.workers, &app.connlimit);
    app.srv = sim_workers_acceptor(&app.workers);
    /* SIGINT/SIGTERM are caught before any socket listens: a client that sees the socket
     * accept and signals at once gets a clean stop, not the default action (killed, sockets
     * left behind). The callback runs in the event loop, after the listeners are open. */
    sim_sockfile *const files[SIM_DRAIN_FILES] = {&app.dstack_file, &app.tappd_file,
                                                   &app.external_file};
    sim_drain_init(&app.drain, app.base, &app.workers, &app.connlimit, files,
                   app.cfg.drain_timeout_sec);
    app.sigint = evsignal_new(app.base, SIGINT, on_signal, &app);
    app.sigterm = evsignal_new(app.base, SIGTERM, on_signal, &app);
    if (!app.sigint || !app.sigterm || event_add(app.sigint, NULL) || event_add(app.sigterm, NULL))
        goto out;
    sim_kmsauth_start(app.st.kmsauth); /* the KMS asks before the app's keys exist */
    if (open_listeners(&app) != 0) goto out;
    if (!app.cfg.quiet) banner(&app);
    event_base_dispatch(app.base);
    exit_code = 0;
out:
    if (app.sigint) event_free(app.sigint);
    if (app.sigterm) event_free(app.sigterm);
    signal(SIGINT, SIG_IGN); /* already stopping: a repeated signal must not cut the cleanup */
    signal(SIGTERM, SIG_IGN);
    sim_drain_free(&app.drain);
    sim_workers_stop(&app.workers);
    if (exit_code == 0 && !app.cfg.no_stats) {
        sim_metrics_summary(&app.metrics, stderr);
        sim_keymemo_summary(app.st.keymemo, stderr);
    }
    sim_recent_free(app.st.recent);
    app.st.recent = NULL;
    sim_keymemo_free(app.st.keymemo);
    app.st.keymemo = NULL;
    sim_kmsauth_free(app.st.kmsauth);
    app.st.kmsauth = NULL;
    sim_metrics_free(&app.metrics);
    sim_sockfile_remove(&app.dstack_file);
    sim_sockfile_remove(&app.tappd_file);
    sim_sockfile_remove(&app.external_file);
    if (app.base) event_base_free(app.base);
    app.st.journal = NULL;
    sim_journal_close(app.journal);
    sim_state_free(&app.st);
    sim_config_free(&app.cfg);
    libevent_global_shutdown();
    return exit_code;
}
