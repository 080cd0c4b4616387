/* vf_pcjson.c — writers of Phala Cloud's attestation API documents (see vf_pcjson.h). */
#include "vf_pcjson.h"

#include <string.h>
#include <time.h>

void vf_pc_iso8601(int64_t unix_s, char out[32]) {
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%S+00:00", &tm))
        strcpy(out, "1970-01-01T00:00:00+00:00");
}

static void hex0x(ds_buf *b, const char *key, const uint8_t *p, size_t n, int comma) {
    ds_buf_printf(b, "%s\"%s\":\"0x", comma ? "," : "", key);
    ds_buf_hex(b, p, n);
    ds_buf_putc(b, '"');
}

static void header_json(ds_buf *b, const ds_quote_header *h) {
    ds_buf_printf(b, "{\"version\":%u,\"ak_type\":", h->version);
    if (h->att_key_type == 2)
        ds_buf_puts(b, "\"ECDSA_P256\"");
    else if (h->att_key_type == 3)
        ds_buf_puts(b, "\"ECDSA_P384\"");
    else
        ds_buf_printf(b, "%u", h->att_key_type);
    ds_buf_puts(b, ",\"tee_type\":");
    if (h->tee_type == 0x81)
        ds_buf_puts(b, "\"TEE_TDX\"");
    else if (h->tee_type == 0)
        ds_buf_puts(b, "\"TEE_SGX\"");
    else
        ds_buf_printf(b, "%u", h->tee_type);
    hex0x(b, "qe_vendor", h->qe_vendor_id, 16, 1);
    hex0x(b, "user_data", h->user_data, 20, 1);
    ds_buf_putc(b, '}');
}

static void body_json(ds_buf *b, const ds_td_report *r) {
    ds_buf_puts(b, "{\"tee_tcb_svn\":\"");
    ds_buf_hex(b, r->tee_tcb_svn, 16);
    ds_buf_putc(b, '"');
    hex0x(b, "mrseam", r->mr_seam, 48, 1);
    hex0x(b, "mrsignerseam", r->mr_signer_seam, 48, 1);
    hex0x(b, "seamattributes", r->seam_attributes, 8, 1);
    hex0x(b, "tdattributes", r->td_attributes, 8, 1);
    hex0x(b, "xfam", r->xfam, 8, 1);
    hex0x(b, "mrtd", r->mr_td, 48, 1);
    hex0x(b, "mrconfig", r->mr_config_id, 48, 1);
    hex0x(b, "mrowner", r->mr_owner, 48, 1);
    hex0x(b, "mrownerconfig", r->mr_owner_config, 48, 1);
    static const char *const RT[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    for (int i = 0; i < 4; i++)
        hex0x(b, RT[i], r->rt_mr[i], 48, 1);
    hex0x(b, "reportdata", r->report_data, 64, 1);
    ds_buf_putc(b, '}');
}

void vf_pc_quote_json(ds_buf *out, const ds_quote *q, int verified, int open) {
    ds_buf_puts(out, "{\"header\":");
    header_json(out, &q->header);
    ds_buf_puts(out, ",\"body\":");
    body_json(out, &q->report);
    ds_buf_puts(out, ",\"cert_data\":");
    if (q->cert_type == DS_CERT_TYPE_QE_REPORT && q->inner_cert_type == DS_CERT_TYPE_PCK_CHAIN)
        ds_buf_json_str(out, (const char *)q->inner_cert, q->inner_cert_len);
    else
        ds_buf_puts(out, "null");
    ds_buf_printf(out, ",\"verified\":%s", verified ? "true" : "false");
    if (!open) ds_buf_putc(out, '}');
}

void vf_pc_verification_json(ds_buf *out, const vf_pc_entry *e, const ds_quote *q,
                             const ds_buf *col_json, int can_download) {
    char up[32], ver[32];
    vf_pc_iso8601(e->uploaded_at, up);
    vf_pc_iso8601(e->verified_at, ver);
    ds_buf_printf(out, "{\"id\":\"%s\",\"success\":%s,\"proof_of_cloud\":false,\"quote\":",
                  e->checksum_hex, e->verified ? "true" : "false");
    vf_pc_quote_json(out, q, e->verified, 0);
    ds_buf_printf(out,
                  ",\"checksum\":\"%s\",\"can_download\":%s,\"uploaded_at\":\"%s\","
                  "\"verified_at\":\"%s\",\"quote_collateral\":",
                  e->checksum_hex, can_download ? "true" : "false", up, ver);
    if (col_json && !col_json->oom)
        ds_buf_append(out, col_json->data, col_json->len);
    else
        ds_buf_puts(out, "null");
    ds_buf_puts(out, ",\"node_provider\":{\"proof_of_cloud\":false,\"provider\":null,\"ppid\":");
    if (e->have_ppid) {
        ds_buf_putc(out, '"');
        ds_buf_hex(out, e->ppid, 16);
        ds_buf_putc(out, '"');
    } else {
        ds_buf_puts(out, "\"\"");
    }
    ds_buf_puts(out, "}}");
}

void vf_pc_view_json(ds_buf *out, const vf_pc_entry *e, const ds_quote *q) {
    char up[32], ver[32];
    vf_pc_iso8601(e->uploaded_at, up);
    vf_pc_iso8601(e->verified_at, ver);
    vf_pc_quote_json(out, q, e->verified, 1);
    ds_buf_printf(out,
                  ",\"uploaded_at\":\"%s\",\"verified_at\":\"%s\",\"checksum\":\"%s\","
                  "\"can_download\":true}",
                  up, ver, e->checksum_hex);
}

void vf_pc_recent_json(ds_buf *out, const vf_pc_store *s, size_t skip, size_t limit) {
    ds_buf_putc(out, '[');
    for (size_t i = 0; i < limit; i++) {
        const vf_pc_entry *e = vf_pc_store_recent(s, skip + i);
        if (!e) break;
        char up[32];
        vf_pc_iso8601(e->uploaded_at, up);
        ds_buf_printf(out, "%s{\"checksum\":\"%s\",\"verified\":%d,\"created_at\":\"%s\"}",
                      i ? "," : "", e->checksum_hex, e->verified ? 1 : 0, up);
    }
    ds_buf_putc(out, ']');
}

void vf_pc_detail_json(ds_buf *out, const char *msg) {
    ds_buf_puts(out, "{\"detail\":");
    ds_buf_json_str(out, msg, strlen(msg));
    ds_buf_putc(out, '}');
}
