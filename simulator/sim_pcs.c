/* sim_pcs.c — the simulated Intel PKI, published: PCS v4-shaped collateral endpoints, the
 * root CA and dcap-qvl collateral over HTTP, and the same as files for --write-pki.
 * The PKI itself (deterministic from the config's quote_key_seed) lives in lib/tdx/ds_pki.
 *
 * Also published: the measurements this simulator's quotes carry for its os_image_hash and
 * vm_config, in upstream dstack-verifier's image-cache layout (lib/dstack/ds_imgcache.h), so a
 * verifier's OS-image stage can check them without downloading anything:
 *   GET /sim/image-cache                         {"os_image_hash","vm_config","vm_config_key",
 *                                                 "metadata","measurements"} (paths)
 *   GET /sim/images/<os_image_hash>/metadata.json, GET /sim/measurements/<key>.json
 * and, for --write-pki DIR, DIR/images/… and DIR/measurements/… as files. */
#include "sim_pcs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ds_hex.h"
#include "ds_imgcache.h"
#include "ds_quote.h"

static int has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static void error_reply(int code, const char *msg, int *status, ds_buf *body) {
    *status = code;
    sim_http_error_json(body, msg);
}

static int route_pcs(sim_state *st, const sim_http_request *req, int *status, ds_buf *body) {
    ds_buf target;
    ds_buf_init(&target);
    ds_buf_puts(&target, req->path);
    if (req->query) {
        ds_buf_putc(&target, '?');
        ds_buf_puts(&target, req->query);
    }
    ds_pki_http r;
    if (target.oom || ds_pki_pcs_handle(st->pki, target.data, &r) != DS_OK) {
        ds_buf_free(&target);
        error_reply(500, "out of memory", status, body);
        return 1;
    }
    ds_buf_free(&target);
    *status = r.status;
    if (r.status == 200) {
        ds_buf_append(body, r.body, r.body_len);
        *req->reply_content_type = r.content_type;
        if (r.header_name && r.header_value)
            ds_buf_printf(req->reply_headers, "%s: %s\r\n", r.header_name, r.header_value);
    } else {
        char msg[300];
        snprintf(msg, sizeof msg, "%s: %s", req->path,
                 r.body && r.body_len ? r.body : "not served by the simulated PCS");
        error_reply(r.status, msg, status, body);
    }
    ds_pki_http_free(&r);
    return 1;
}

int sim_pcs_measurements(sim_state *st, ds_measurements *m) {
    static const uint8_t ZERO_RD[64] = {0};
    sim_snapshot snap;
    ds_quote q;
    ds_buf qb;
    ds_buf_init(&qb);
    if (sim_snapshot_take(st, DS_EVENTLOG_STRIPPED, &snap) != 0) return -1;
    int rc = sim_quote_build(st, (const uint8_t(*)[48])snap.rtmr, ZERO_RD, &qb) != 0 ||
                     ds_quote_parse((const uint8_t *)qb.data, qb.len, &q) != DS_OK
                 ? -1
                 : 0;
    if (rc == 0) {
        memcpy(m->mrtd, q.report.mr_td, 48);
        memcpy(m->rtmr0, q.report.rt_mr[0], 48);
        memcpy(m->rtmr1, q.report.rt_mr[1], 48);
        memcpy(m->rtmr2, q.report.rt_mr[2], 48);
    }
    sim_snapshot_free(&snap);
    ds_buf_free(&qb);
    return rc;
}

/* The image-cache names of this simulator: os_image_hash hex and the vm_config key. */
static int image_names(const sim_state *st, char hash[65], char key[65]) {
    ds_vmconfig c;
    if (ds_vmconfig_parse(st->vm_config, strlen(st->vm_config), &c, NULL, 0) != DS_OK) return -1;
    int rc = c.os_image_hash_len == 32 && ds_vmconfig_cache_key(&c, key) == DS_OK ? 0 : -1;
    if (rc == 0) ds_hex_encode(c.os_image_hash, 32, hash);
    ds_vmconfig_free(&c);
    return rc;
}

static void route_images(sim_state *st, const char *p, const sim_http_request *req, int *status,
                         ds_buf *body) {
    char hash[65], key[65], want_meta[200], want_meas[200];
    ds_measurements m;
    if (image_names(st, hash, key) != 0) {
        error_reply(404, "this simulator's vm_config has no 32-byte os_image_hash: no image "
                         "measurements are published", status, body);
        return;
    }
    snprintf(want_meta, sizeof want_meta, "/sim/images/%s/metadata.json", hash);
    snprintf(want_meas, sizeof want_meas, "/sim/measurements/%s.json", key);
    *status = 200;
    if (!strcmp(p, "/sim/image-cache")) {
        ds_buf_puts(body, "{\"os_image_hash\":\"");
        ds_buf_puts(body, hash);
        ds_buf_puts(body, "\",\"vm_config\":");
        ds_buf_json_str(body, st->vm_config, strlen(st->vm_config));
        ds_buf_printf(body, ",\"vm_config_key\":\"%s\",\"metadata\":\"%s\",\"measurements\":\"%s\"}",
                      key, want_meta, want_meas);
    } else if (!strcmp(p, want_meta)) {
        ds_image_metadata_json("dstack-simulator", body);
    } else if (!strcmp(p, want_meas)) {
        if (sim_pcs_measurements(st, &m) != 0) error_reply(500, "out of memory", status, body);
        else ds_measurements_to_json(&m, body);
    } else {
        char msg[600];
        snprintf(msg, sizeof msg, "no such image-cache entry: this simulator publishes %s and %s "
                                  "(index: /sim/image-cache)", want_meta, want_meas);
        error_reply(404, msg, status, body);
    }
    (void)req;
}

int sim_pcs_route(sim_state *st, const sim_http_request *req, int *status, ds_buf *body) {
    const char *p = req->path;
    if (has_prefix(p, "/sgx/certification/") || has_prefix(p, "/tdx/certification/")) {
        if (strcmp(req->method, "GET")) {
            error_reply(405, "PCS endpoints answer GET only", status, body);
            return 1;
        }
        return route_pcs(st, req, status, body);
    }
    if (!strcmp(p, "/sim/image-cache") || has_prefix(p, "/sim/images/") ||
        has_prefix(p, "/sim/measurements/")) {
        if (strcmp(req->method, "GET")) error_reply(405, "image-cache paths answer GET only", status, body);
        else route_images(st, p, req, status, body);
        return 1;
    }
    if (!has_prefix(p, "/sim/pki/")) return 0;
    *status = 200;
    if (!strcmp(p, "/sim/pki/root.pem")) {
        ds_buf_puts(body, ds_pki_root_pem(st->pki));
        *req->reply_content_type = "application/x-pem-file";
    } else if (!strcmp(p, "/sim/pki/root.der")) {
        size_t n;
        const uint8_t *der = ds_pki_root_der(st->pki, &n);
        ds_buf_append(body, der, n);
        *req->reply_content_type = "application/pkix-cert";
    } else if (!strcmp(p, "/sim/pki/collateral.json")) {
        if (ds_pki_collateral_json(st->pki, body) != DS_OK) error_reply(500, "out of memory", status, body);
    } else {
        error_reply(404, "unknown PKI path: try /sim/pki/root.pem, /sim/pki/root.der or "
                         "/sim/pki/collateral.json", status, body);
    }
    return 1;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len, char *err,
                      size_t errcap) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        snprintf(err, errcap, "cannot write %s: %s", path, strerror(errno));
        if (f) fclose(f);
        return -1;
    }
    return 0;
}

int sim_pcs_write_dir(const sim_state *st, const char *dir, char *err, size_t errcap) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    size_t der_len;
    const uint8_t *der = ds_pki_root_der(st->pki, &der_len);
    const char *pem = ds_pki_root_pem(st->pki);
    ds_buf col, tcb, qe;
    ds_buf_init(&col);
    ds_buf_init(&tcb);
    ds_buf_init(&qe);
    int rc = -1;
    if (ds_pki_collateral_json(st->pki, &col) != DS_OK || ds_pki_pcs_tcb(st->pki, &tcb, NULL) != DS_OK ||
        ds_pki_pcs_qe_identity(st->pki, &qe, NULL) != DS_OK) {
        snprintf(err, errcap, "out of memory");
    } else if (!write_file(dir, "root_ca.pem", pem, strlen(pem), err, errcap) &&
               !write_file(dir, "root_ca.der", der, der_len, err, errcap) &&
               !write_file(dir, "collateral.json", col.data, col.len, err, errcap) &&
               !write_file(dir, "pcs_tcb_info.json", tcb.data, tcb.len, err, errcap) &&
               !write_file(dir, "pcs_qe_identity.json", qe.data, qe.len, err, errcap)) {
        rc = 0;
    }
    ds_measurements m;
    char hash[65], key[65];
    if (rc == 0 && image_names(st, hash, key) == 0) { /* no 32-byte os_image_hash: nothing to publish */
        if (sim_pcs_measurements((sim_state *)st, &m) != 0 ||
            ds_imgcache_write(dir, st->vm_config, &m, "dstack-simulator", err, errcap) != DS_OK)
            rc = -1;
    }
    ds_buf_free(&col);
    ds_buf_free(&tcb);
    ds_buf_free(&qe);
    return rc;
}
