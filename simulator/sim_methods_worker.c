/* sim_methods_worker.c — the guest agent's external API, service Worker, as served on
 * external.sock and the TCP listener (guest-agent-external.md §2, §3, §5):
 *
 *   Info                      the internal Info, minus tcb_info and vm_config unless
 *                             app-compose's public_tcbinfo (default true)
 *   GetAttestationForAppKey   a quote whose report_data names the app's signing key (DIP-1)
 *   v1 Info                   the v1 InfoResponse, minus app_compose, vm_config and
 *                             key_provider_info unless public_tcbinfo
 *   v1 Health                 app-compose's health opt-in; a status file if it names one
 * Version is the shared sim_m_version.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ds_chain.h"
#include "sim_methods.h"

int sim_m_worker_info(sim_call *c) {
    if (c->st->public_tcbinfo) return sim_m_info(c); /* identical: share the cached copy */
    if (sim_info_json(c->st, 1, c->out)) {
        snprintf(c->err, sizeof c->err, "out of memory");
        return -1;
    }
    return 0;
}

/* base64url without padding (RFC 4648 §5). out must hold 4*ceil(n/3)+1 bytes. */
static size_t b64url(const uint8_t *in, size_t n, char *out) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = A[v >> 18 & 63];
        out[o++] = A[v >> 12 & 63];
        if (i + 1 < n) out[o++] = A[v >> 6 & 63];
        if (i + 2 < n) out[o++] = A[v & 63];
    }
    out[o] = '\0';
    return o;
}

/* The key is v0 GetKey("vms", "signing"); report_data is "dip1::<alg>-pk:" + base64url of
 * its public key, NUL-padded to 64 bytes (secp256k1: exactly 64, ed25519: 60 + 4). */
int sim_m_worker_attest_app_key(sim_call *c) {
    const char *alg_s;
    if (ds_json_get_str(c->args, "algorithm", &alg_s, c->err, sizeof c->err)) return -1;
    ds_key_alg alg;
    if (!*alg_s || ds_key_alg_parse(alg_s, &alg) != DS_OK) { /* "" passes GetKey, not this */
        snprintf(c->err, sizeof c->err, "Unsupported algorithm");
        return -1;
    }
    ds_derived_key dk;
    if (sim_derive_key(c, "vms", 3, "signing", 7, alg, &dk)) return -1;
    char text[80], b64[48]; /* prefix (≤ 20) + base64url of ≤ 33 bytes (44) */
    b64url(dk.pub, dk.pub_len, b64);
    int n = snprintf(text, sizeof text, "%s%s",
                     alg == DS_KEY_ED25519 ? "dip1::ed25519-pk:" : "dip1::secp256k1c-pk:", b64);
    uint8_t rd[64] = {0}; /* NUL-padded; the secp256k1 string fills it exactly */
    memcpy(rd, text, n < 64 ? (size_t)n : 64);
    memset(&dk, 0, sizeof dk);
    ds_buf_putc(c->out, '{');
    if (sim_quote_members(c, rd)) return -1;
    ds_buf_puts(c->out, ",\"report_data\":");
    ds_buf_json_hex(c->out, rd, 64);
    ds_buf_puts(c->out, ",\"vm_config\":"); /* not hidden by public_tcbinfo, as upstream */
    ds_buf_json_str(c->out, c->st->vm_config, strlen(c->st->vm_config));
    ds_buf_putc(c->out, '}');
    return 0;
}

int sim_m_worker_v1_info(sim_call *c) {
    if (sim_v1_info_json(c->st, 1, c->out)) {
        snprintf(c->err, sizeof c->err, "out of memory");
        return -1;
    }
    return 0;
}

#define HEALTH_MAX_AGE 60     /* seconds a status file's verdict stays fresh */
#define HEALTH_MAX_BYTES 4096 /* read at most this much of it */

/* The status file's verdict: 1 healthy, 0 not (why says so). Line 1 is "healthy" or
 * "unhealthy" (any case), line 2 the Unix time it was written; a regular file only. */
static int health_from_file(const char *path, char *why, size_t cap) {
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        snprintf(why, cap, fd < 0 ? "cannot open the health file" : "not a regular file");
        if (fd >= 0) close(fd);
        return 0;
    }
    char buf[HEALTH_MAX_BYTES + 1];
    ssize_t n = read(fd, buf, HEALTH_MAX_BYTES);
    close(fd);
    if (n < 0) n = 0;
    buf[n] = '\0';
    char *nl = strchr(buf, '\n');
    if (!nl) {
        snprintf(why, cap, "expected two lines: healthy|unhealthy, then a Unix time");
        return 0;
    }
    *nl = '\0';
    char *l1 = buf, *l2 = nl + 1, *end;
    l1[strcspn(l1, "\r")] = '\0';
    long long t = strtoll(l2, &end, 10);
    long long now = (long long)time(NULL);
    if (end == l2 || (*end && *end != '\n' && *end != '\r')) {
        snprintf(why, cap, "line 2 is not a Unix time");
        return 0;
    }
    if (now - t > HEALTH_MAX_AGE) {
        snprintf(why, cap, "stale: written %lld s ago (at most %d)", now - t, HEALTH_MAX_AGE);
        return 0;
    }
    if (!strcasecmp(l1, "healthy")) return 1;
    snprintf(why, cap,
             !strcasecmp(l1, "unhealthy") ? "unhealthy"
                                          : "line 1 is neither healthy "
                                            "nor unhealthy");
    return 0;
}

/* Not opted in: always healthy. Opted in with a status file: its verdict, read now (the
 * agent caches it every 5 s; a simulator answers fresh). A simulator runs no containers,
 * so container mode has nothing to be unhealthy about. */
int sim_m_worker_v1_health(sim_call *c) {
    sim_state *st = c->st;
    char why[160] = "";
    int ok =
        !st->health_check || !st->health_file || health_from_file(st->health_file, why, sizeof why);
    ds_buf *o = c->out;
    if (ok) {
        ds_buf_puts(o, "{\"healthy\":true,\"unhealthy\":[],\"error\":\"\"}");
        return 0;
    }
    ds_buf_puts(o, "{\"healthy\":false,\"unhealthy\":[{\"name\":");
    ds_buf_json_str(o, st->health_file, strlen(st->health_file));
    ds_buf_puts(o, ",\"status\":");
    ds_buf_json_str(o, why, strlen(why));
    ds_buf_puts(o, "}],\"error\":\"\"}");
    return 0;
}
