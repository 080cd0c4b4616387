/* bench_inproc.c — the in-process bound of each method: the work it cannot avoid, run in
 * a loop on one thread with the same simulator state the server builds, after a warm-up.
 *
 *   GetKey    HKDF path key + secp256k1 public key + keccak claim digest + recoverable
 *             sign (ds_variant_getkey, exactly what the method calls on a memo miss), on
 *             a new path every time, like the GetKey/new load ("bench/" + 16 hex digits)
 *   GetQuote  TD report assembly (template + RTMRs + report_data) + quote signing
 *             (sim_quote_build: P-256 RFC 6979 over the 632 signed bytes, certification
 *             data)
 *   Sign      SHA-256 + secp256k1 sign; its key, GetKey("vms", "signing"), is derived
 *             once and then memoized, as the server does
 *   Info      the Info document the method returns, from its cache (sim_m_info)
 *   Version   the Version document (sim_m_version)
 * Cost is thread CPU time, so other load on the machine does not inflate it.
 */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ds_hash.h"
#include "ds_secp.h"
#include "ds_variant.h"
#include "sim_config.h"
#include "sim_methods.h"
#include "sim_state.h"

typedef struct {
    sim_state *st;
    uint8_t rtmr[4][48];
    ds_buf out;
    uint64_t counter;
    cJSON *args;
    ds_derived_key sign_key; /* Sign's key, derived on first use (as the server's memo does) */
    int have_sign_key;
} inproc_ctx;

typedef int (*op_fn)(inproc_ctx *c);

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int op_getkey(inproc_ctx *c) {
    char path[32];
    ds_derived_key dk;
    int n = snprintf(path, sizeof path, "bench/%016llx", (unsigned long long)c->counter++);
    return ds_variant_getkey(c->st->mismatch, c->st->app_key, path, (size_t)n, "signing", 7,
                             DS_KEY_SECP256K1, &dk) == DS_OK
               ? 0
               : -1;
}

static int op_getquote(inproc_ctx *c) {
    uint8_t rd[64];
    memset(rd, 0, sizeof rd);
    c->counter++;
    memcpy(rd, &c->counter, sizeof c->counter);
    ds_buf_reset(&c->out);
    return sim_quote_build(c->st, c->rtmr, rd, &c->out);
}

/* Sign's key is GetKey("vms", "signing"): the server derives it once per worker and then
 * takes it from its memo (sim_keymemo.h), so the per-request work is the digest and the
 * signature. The first call (in the warm-up) derives it here too. */
static int op_sign(inproc_ctx *c) {
    uint8_t digest[32], sig[64], data[8];
    if (!c->have_sign_key) {
        if (ds_variant_getkey(c->st->mismatch, c->st->app_key, "vms", 3, "signing", 7,
                              DS_KEY_SECP256K1, &c->sign_key) != DS_OK)
            return -1;
        c->have_sign_key = 1;
    }
    c->counter++;
    memcpy(data, &c->counter, 8);
    ds_sha256(data, sizeof data, digest);
    return ds_secp_sign(c->sign_key.key, digest, sig) == DS_OK ? 0 : -1;
}

static int op_method(inproc_ctx *c, sim_method_fn fn) {
    sim_call call;
    memset(&call, 0, sizeof call);
    ds_buf_reset(&c->out);
    call.st = c->st;
    call.args = c->args;
    call.out = &c->out;
    return fn(&call);
}

static int op_info(inproc_ctx *c) { return op_method(c, sim_m_info); }
static int op_version(inproc_ctx *c) { return op_method(c, sim_m_version); }

/* Runs fn for `seconds` of thread CPU after a warm-up of a fifth of that. */
static int measure(inproc_ctx *c, op_fn fn, double seconds, bench_bound *b) {
    double warm_end = thread_cpu() + seconds / 5;
    while (thread_cpu() < warm_end)
        for (int i = 0; i < 8; i++)
            if (fn(c)) return -1;
    uint64_t n = 0;
    double t0 = thread_cpu(), t1 = t0;
    while (t1 - t0 < seconds) {
        for (int i = 0; i < 16; i++)
            if (fn(c)) return -1;
        n += 16;
        t1 = thread_cpu();
    }
    b->iters = n;
    b->ns_per_op = (t1 - t0) * 1e9 / (double)n;
    b->ops_per_sec = 1e9 / b->ns_per_op;
    return 0;
}

int bench_inproc_run(const char *config, double seconds, bench_bound *out, char *err,
                     size_t errcap) {
    static const struct {
        const char *method, *work;
        op_fn fn;
    } OPS[] = {
        {"GetKey", "new path: HKDF + secp256k1 pubkey + keccak + recoverable sign", op_getkey},
        {"GetQuote", "TD report assembly + P-256 RFC 6979 quote signature + cert data",
         op_getquote},
        {"Sign", "SHA-256 + secp256k1 sign (its key is derived once, then memoized)", op_sign},
        {"Info", "the cached Info document", op_info},
        {"Version", "the Version document", op_version},
    };
    sim_config cfg;
    sim_state st;
    inproc_ctx c;
    int rc = -1, nb = 0;
    memset(&c, 0, sizeof c);
    sim_config_init(&cfg);
    char *argv[] = {"dstack-bench", "--config", (char *)config, "--quiet", NULL};
    if (sim_config_from_args(&cfg, 4, argv) != 0) {
        snprintf(err, errcap, "cannot load %s", config);
        sim_config_free(&cfg);
        return -1;
    }
    if (sim_state_init(&st, &cfg, err, errcap) != 0) goto out;
    c.st = &st;
    c.args = cJSON_CreateObject();
    ds_buf_init(&c.out);
    sim_snapshot snap;
    if (!c.args || sim_snapshot_take(&st, DS_EVENTLOG_FULL, &snap) != 0) {
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    memcpy(c.rtmr, snap.rtmr, sizeof c.rtmr);
    sim_snapshot_free(&snap);
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0] && nb < BENCH_MAX_BOUNDS; i++) {
        bench_bound *b = &out[nb];
        memset(b, 0, sizeof *b);
        b->method = OPS[i].method;
        b->work = OPS[i].work;
        if (measure(&c, OPS[i].fn, seconds, b) != 0) {
            snprintf(err, errcap, "%s: the operation failed", OPS[i].method);
            goto out;
        }
        nb++;
    }
    rc = nb;
out:
    memset(&c.sign_key, 0, sizeof c.sign_key);
    ds_buf_free(&c.out);
    cJSON_Delete(c.args);
    sim_state_free(&st);
    sim_config_free(&cfg);
    return rc;
}
