/* ds_qverify.c — the quote verifier's result (reasons, advisories, JSON) and the one-shot
 * ds_qverify, a fresh context per call (the flow itself is in ds_qverify_ctx.c). */
#include "ds_qverify_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int push_str(char ***arr, size_t *n, const char *s) {
    char **na = realloc(*arr, (*n + 1) * sizeof **arr);
    if (!na) return 0;
    *arr = na;
    if (!(na[*n] = strdup(s))) return 0;
    (*n)++;
    return 1;
}

void qv_fail(ds_qverify_result *r, const char *step, const char *fmt, ...) {
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s: ", step);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof msg) vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    r->ok = 0;
    if (!push_str(&r->reasons, &r->n_reasons, msg)) r->oom = 1;
}

void qv_add_advisory(ds_qverify_result *r, const char *id) {
    for (size_t i = 0; i < r->n_advisory_ids; i++)
        if (strcmp(r->advisory_ids[i], id) == 0) return;
    if (!push_str(&r->advisory_ids, &r->n_advisory_ids, id)) r->oom = 1;
}

void ds_qverify_result_free(ds_qverify_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_reasons; i++) free(r->reasons[i]);
    for (size_t i = 0; i < r->n_advisory_ids; i++) free(r->advisory_ids[i]);
    free(r->reasons);
    free(r->advisory_ids);
    memset(r, 0, sizeof(*r));
}

int ds_tcb_status_severity(const char *s) {
    static const char *const ORDER[] = {"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
                                        "ConfigurationAndSWHardeningNeeded", "OutOfDate",
                                        "OutOfDateConfigurationNeeded", "Revoked"};
    for (int i = 0; s && i < 7; i++)
        if (strcmp(s, ORDER[i]) == 0) return i;
    return 100;
}

ds_err ds_qverify(const uint8_t *quote, size_t quote_len, const uint8_t *root_der,
                  size_t root_der_len, const ds_collateral *col, int64_t now,
                  ds_qverify_result *res) {
    if (!res) return DS_ERR_ARG;
    memset(res, 0, sizeof(*res));
    if (!quote || !root_der || !col) return DS_ERR_ARG;
    ds_qverify_ctx *ctx = ds_qverify_ctx_new();
    if (!ctx) return DS_ERR_NOMEM;
    ds_err e = ds_qverify_ctx_verify(ctx, quote, quote_len, root_der, root_der_len, col, now, res);
    ds_qverify_ctx_free(ctx);
    return e;
}

static void jhex(ds_buf *b, const char *k, const uint8_t *p, size_t n, int comma) {
    ds_buf_printf(b, "%s\"%s\":", comma ? "," : "", k);
    ds_buf_json_hex(b, p, n);
}

static void jstr_array(ds_buf *b, const char *k, char *const *a, size_t n) {
    ds_buf_printf(b, ",\"%s\":[", k);
    for (size_t i = 0; i < n; i++) {
        if (i) ds_buf_putc(b, ',');
        ds_buf_json_str(b, a[i], strlen(a[i]));
    }
    ds_buf_putc(b, ']');
}

ds_err ds_qverify_result_json(const ds_qverify_result *r, ds_buf *out) {
    if (!r || !out) return DS_ERR_ARG;
    ds_buf_printf(out, "{\"ok\":%s,\"status\":", r->ok ? "true" : "false");
    ds_buf_json_str(out, r->status, strlen(r->status));
    ds_buf_puts(out, ",\"platform_status\":");
    ds_buf_json_str(out, r->platform_status, strlen(r->platform_status));
    ds_buf_puts(out, ",\"qe_status\":");
    ds_buf_json_str(out, r->qe_status, strlen(r->qe_status));
    jstr_array(out, "advisory_ids", r->advisory_ids, r->n_advisory_ids);
    jstr_array(out, "reasons", r->reasons, r->n_reasons);
    if (r->have_quote) {
        ds_buf_puts(out, ",\"header\":{");
        ds_quote_header_json(out, &r->header);
        ds_buf_puts(out, "},\"report\":{");
        ds_td_report_json(out, &r->report);
        jhex(out, "report_data", r->report.report_data, 64, 1);
        ds_buf_putc(out, '}');
    }
    if (r->have_pck) {
        ds_buf_puts(out, ",\"pck\":{");
        jhex(out, "ppid", r->ppid, 16, 0);
        jhex(out, "fmspc", r->fmspc, 6, 1);
        jhex(out, "pce_id", r->pce_id, 2, 1);
        jhex(out, "cpu_svn", r->cpu_svn, 16, 1);
        ds_buf_printf(out, ",\"pce_svn\":%u}", r->pce_svn);
    }
    ds_buf_putc(out, '}');
    return out->oom ? DS_ERR_NOMEM : DS_OK;
}
