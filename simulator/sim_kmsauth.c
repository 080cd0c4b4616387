/* sim_kmsauth.c — the boot decision of --kms-auth: its state, the gate in front of every
 * key method, and how GetMeta, /metrics and the dashboard show it (see sim_kmsauth.h). */
#include "sim_kmsauth.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ds_hex.h"
#include "sim_bootinfo.h"
#include "sim_kmsauth_ask.h"

#define RECHECK_MS 1000 /* a denied boot is asked again at most this often */

struct sim_kmsauth {
    int mode;         /* sim_kms_auth_mode */
    char target[512]; /* webhook URL, or 0x + DstackKms address */
    char rpc[256];    /* contract mode's chain */
    uint8_t kms[20];  /* contract mode's DstackKms */
    long timeout_ms;
    ds_bootinfo boot;
    char *boot_json;   /* the webhook's body */
    uint8_t *calldata; /* isAppAllowed(AppBootInfo) */
    size_t calldata_len;
    char *info_json; /* webhook: GET URL/ at start, or NULL */
    char info_err[600];

    atomic_int allowed_fast; /* 1 once allowed: the gate's lock-free path */
    pthread_mutex_t mu;      /* guards everything below */
    pthread_cond_t done;     /* signalled when a check finishes */
    int allowed, failed, in_flight;
    char reason[1024]; /* the denial's reason or the failure's message */
    char gateway_app_id[128];
    int64_t decided_at_ms; /* wall clock, Unix ms */
    int64_t last_done_ms;  /* monotonic ms of the last finished check */
    uint64_t generation;   /* finished checks */
    uint64_t n_allowed, n_denied, n_failed;
};

static int64_t now_ms(clockid_t clk) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *sim_kmsauth_mode_name(int mode) {
    return mode == SIM_KMS_AUTH_WEBHOOK    ? "webhook"
           : mode == SIM_KMS_AUTH_CONTRACT ? "contract"
                                           : "dev";
}

sim_kmsauth *sim_kmsauth_new(sim_state *st, const sim_config *cfg, char *err, size_t errcap) {
    sim_kmsauth *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    a->mode = cfg->kms_auth;
    a->timeout_ms = (long)cfg->kms_auth_timeout_sec * 1000;
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->done, &ca);
    pthread_condattr_destroy(&ca);
    ds_buf b;
    ds_buf_init(&b);
    if (sim_bootinfo_build(st, &a->boot, err, errcap) == 0) {
        ds_bootinfo_json(&a->boot, &b);
    } else if (a->mode == SIM_KMS_AUTH_DEV) { /* nothing is sent: dev mode serves anyway */
        snprintf(a->info_err, sizeof a->info_err, "%.590s", err);
        ds_buf_puts(&b, "null");
    } else {
        sim_kmsauth_free(a);
        return NULL;
    }
    a->boot_json = ds_buf_take(&b, NULL);
    if (!a->boot_json || ds_bootinfo_calldata(&a->boot, &a->calldata, &a->calldata_len) != DS_OK) {
        snprintf(err, errcap, "out of memory");
        sim_kmsauth_free(a);
        return NULL;
    }
    if (a->mode == SIM_KMS_AUTH_WEBHOOK) {
        snprintf(a->target, sizeof a->target, "%s", cfg->kms_auth_url);
    } else if (a->mode == SIM_KMS_AUTH_CONTRACT) {
        char hex[41];
        snprintf(a->target, sizeof a->target, "0x%s", ds_hex_encode(cfg->kms_contract, 20, hex));
        snprintf(a->rpc, sizeof a->rpc, "%s", cfg->rpc_url);
        memcpy(a->kms, cfg->kms_contract, 20);
    } else { /* dev: allowed from the start, as the KMS's dev auth api */
        a->allowed = 1;
        atomic_store(&a->allowed_fast, 1);
        a->decided_at_ms = now_ms(CLOCK_REALTIME);
    }
    if (a->mode != SIM_KMS_AUTH_DEV) curl_global_init(CURL_GLOBAL_DEFAULT);
    return a;
}

void sim_kmsauth_free(sim_kmsauth *a) {
    if (!a) return;
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->done);
    free(a->boot_json);
    free(a->calldata);
    free(a->info_json);
    free(a);
}

/* One question to the auth api or the chain; no lock held. */
static void ask(const sim_kmsauth *a, sim_kmsauth_answer *ans) {
    if (a->mode == SIM_KMS_AUTH_WEBHOOK)
        sim_kmsauth_ask_webhook(a->target, a->boot_json, a->timeout_ms, ans);
    else
        sim_kmsauth_ask_contract(a->rpc, a->kms, a->calldata, a->calldata_len, a->timeout_ms, ans);
}

/* Records an answer (lock held) and wakes the waiters. */
static void record(sim_kmsauth *a, const sim_kmsauth_answer *ans) {
    a->failed = ans->failed;
    a->allowed = !ans->failed && ans->allowed;
    snprintf(a->reason, sizeof a->reason, "%s", a->allowed ? "" : ans->reason);
    snprintf(a->gateway_app_id, sizeof a->gateway_app_id, "%s", ans->gateway_app_id);
    a->decided_at_ms = now_ms(CLOCK_REALTIME);
    a->last_done_ms = now_ms(CLOCK_MONOTONIC);
    a->generation++;
    if (ans->failed)
        a->n_failed++;
    else if (a->allowed)
        a->n_allowed++;
    else
        a->n_denied++;
    if (a->allowed) atomic_store(&a->allowed_fast, 1);
    pthread_cond_broadcast(&a->done);
}

/* The answer a key method gives while the boot is not allowed (lock held). */
static void refusal(const sim_kmsauth *a, char *err, size_t errcap) {
    snprintf(err, errcap, "%s: %s", a->failed ? "App not allowed" : "Boot denied", a->reason);
}

void sim_kmsauth_start(sim_kmsauth *a) {
    if (a->mode == SIM_KMS_AUTH_DEV) return;
    if (a->mode == SIM_KMS_AUTH_WEBHOOK) {
        ds_buf info;
        ds_buf_init(&info);
        if (sim_kmsauth_get_info(a->target, a->timeout_ms, &info, a->info_err,
                                 sizeof a->info_err) == 0)
            a->info_json = ds_buf_take(&info, NULL);
        ds_buf_free(&info);
    }
    sim_kmsauth_answer ans;
    ask(a, &ans);
    pthread_mutex_lock(&a->mu);
    record(a, &ans);
    if (!a->allowed) {
        char why[1100];
        refusal(a, why, sizeof why);
        fprintf(stderr,
                "dstack-simulator: kms auth (%s %s%s%s): %s\n"
                "dstack-simulator: the app's keys are withheld: GetKey, GetTlsKey, Sign, v1 GetKey "
                "and IssueCert, Tappd DeriveKey and DeriveK256Key and the Worker's "
                "GetAttestationForAppKey answer 400 until this boot is allowed (asked again at "
                "most once a second when a key is requested); Info, GetQuote, Attest and the "
                "dashboard still answer\n",
                sim_kmsauth_mode_name(a->mode), a->target, a->rpc[0] ? " on " : "", a->rpc, why);
    }
    pthread_mutex_unlock(&a->mu);
}

int sim_kmsauth_gate(sim_kmsauth *a, char *err, size_t errcap) {
    if (!a || atomic_load(&a->allowed_fast)) return 0;
    pthread_mutex_lock(&a->mu);
    if (!a->allowed && a->in_flight) { /* share the check in flight, within its timeout */
        uint64_t gen = a->generation;
        int64_t deadline = now_ms(CLOCK_MONOTONIC) + a->timeout_ms + 1000;
        struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
        while (a->in_flight && a->generation == gen)
            if (pthread_cond_timedwait(&a->done, &a->mu, &ts)) break;
    } else if (!a->allowed && now_ms(CLOCK_MONOTONIC) - a->last_done_ms >= RECHECK_MS) {
        a->in_flight = 1;
        pthread_mutex_unlock(&a->mu);
        sim_kmsauth_answer ans;
        ask(a, &ans);
        pthread_mutex_lock(&a->mu);
        a->in_flight = 0;
        record(a, &ans);
    }
    int rc = a->allowed ? 0 : -1;
    if (rc) refusal(a, err, errcap);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static void iso_time(int64_t ms, char out[32]) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

static const char *decision(const sim_kmsauth *a) {
    return a->allowed ? "allowed" : a->failed ? "error" : "denied";
}

void sim_kmsauth_json(sim_kmsauth *a, ds_buf *out) {
    char when[32];
    pthread_mutex_lock(&a->mu);
    iso_time(a->decided_at_ms, when);
    ds_buf_printf(out, "{\"mode\":\"%s\",\"target\":", sim_kmsauth_mode_name(a->mode));
    ds_buf_json_str(out, a->target, strlen(a->target));
    ds_buf_puts(out, ",\"rpc\":");
    ds_buf_json_str(out, a->rpc, strlen(a->rpc));
    ds_buf_printf(out, ",\"decision\":\"%s\",\"allowed\":%s,\"reason\":", decision(a),
                  a->allowed ? "true" : "false");
    ds_buf_json_str(out, a->reason, strlen(a->reason));
    ds_buf_printf(out, ",\"decided_at\":\"%s\",\"checks\":%llu,\"gateway_app_id\":", when,
                  (unsigned long long)a->generation);
    ds_buf_json_str(out, a->gateway_app_id, strlen(a->gateway_app_id));
    pthread_mutex_unlock(&a->mu);
    ds_buf_puts(out, ",\"info\":");
    if (a->info_json)
        ds_buf_puts(out, a->info_json);
    else if (a->info_err[0])
        ds_buf_json_str(out, a->info_err, strlen(a->info_err));
    else
        ds_buf_puts(out, "null");
    ds_buf_puts(out, ",\"boot_info\":");
    ds_buf_puts(out, a->boot_json);
    ds_buf_putc(out, '}');
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void label(ds_buf *out, const char *s) {
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') ds_buf_putc(out, '\\');
        if (*s == '\n')
            ds_buf_puts(out, "\\n");
        else
            ds_buf_putc(out, *s);
    }
}

void sim_kmsauth_prometheus(sim_kmsauth *a, ds_buf *out) {
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    ds_buf_printf(out,
                  "# HELP dstack_sim_kms_auth_decision The boot decision of --kms-auth: its mode, "
                  "outcome (allowed, denied, error) and reason.\n"
                  "# TYPE dstack_sim_kms_auth_decision gauge\n"
                  "dstack_sim_kms_auth_decision{mode=\"%s\",decision=\"%s\",reason=\"",
                  sim_kmsauth_mode_name(a->mode), decision(a));
    label(out, a->reason);
    ds_buf_printf(out,
                  "\"} 1\n# HELP dstack_sim_kms_auth_decision_timestamp_seconds When the "
                  "decision was taken (Unix time).\n"
                  "# TYPE dstack_sim_kms_auth_decision_timestamp_seconds gauge\n"
                  "dstack_sim_kms_auth_decision_timestamp_seconds %.3f\n"
                  "# HELP dstack_sim_kms_auth_checks_total Boot checks asked of the auth api or "
                  "chain, by outcome.\n# TYPE dstack_sim_kms_auth_checks_total counter\n"
                  "dstack_sim_kms_auth_checks_total{result=\"allowed\"} %llu\n"
                  "dstack_sim_kms_auth_checks_total{result=\"denied\"} %llu\n"
                  "dstack_sim_kms_auth_checks_total{result=\"error\"} %llu\n",
                  (double)a->decided_at_ms / 1000.0, (unsigned long long)a->n_allowed,
                  (unsigned long long)a->n_denied, (unsigned long long)a->n_failed);
    pthread_mutex_unlock(&a->mu);
}

void sim_kmsauth_describe(sim_kmsauth *a, char *out, size_t cap) {
    if (!a || a->mode == SIM_KMS_AUTH_DEV) {
        snprintf(out, cap,
                 "dev (every boot allowed; --kms-auth webhook:URL or contract:ADDRESS "
                 "asks first)");
        return;
    }
    char why[1100] = "allowed";
    pthread_mutex_lock(&a->mu);
    if (!a->allowed) refusal(a, why, sizeof why);
    pthread_mutex_unlock(&a->mu);
    snprintf(out, cap, "%s %s%s%s: %s", sim_kmsauth_mode_name(a->mode), a->target,
             a->rpc[0] ? " on " : "", a->rpc, why);
}
