/* vf_report.c — vf_step helpers, the TCB acceptance policy, and the output: the seed's
 * text lines ("[OK] Step 1: …", "[FAIL] Step 4: … expected … got …") or one JSON object
 * for CI (--json), plus the exit status of a run.
 */
#include "vf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ds_hex.h"
#include "ds_pki.h"

/* ---- steps --------------------------------------------------------------------------------- */

void vf_step_init(vf_step *s, int num, const char *name) {
    memset(s, 0, sizeof *s);
    s->num = num;
    s->name = name;
}

void vf_step_free(vf_step *s) {
    for (size_t i = 0; i < s->n_items; i++)
        free(s->items[i]);
    free(s->items);
    s->items = NULL;
    s->n_items = 0;
}

static void set_detail(vf_step *s, vf_status st, const char *fmt, va_list ap) {
    s->status = st;
    vsnprintf(s->detail, sizeof s->detail, fmt, ap);
}

void vf_step_ok(vf_step *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_detail(s, VF_OK, fmt, ap);
    va_end(ap);
}

void vf_step_fail(vf_step *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_detail(s, VF_FAIL, fmt, ap);
    va_end(ap);
}

void vf_step_skip(vf_step *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_detail(s, VF_SKIP, fmt, ap);
    va_end(ap);
}

void vf_step_cmp(vf_step *s, const char *expected, const char *got) {
    snprintf(s->expected, sizeof s->expected, "%s", expected);
    snprintf(s->got, sizeof s->got, "%s", got);
}

int vf_step_item(vf_step *s, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **ni = realloc(s->items, (s->n_items + 1) * sizeof *ni);
    if (!ni) return -1;
    s->items = ni;
    if (!(s->items[s->n_items] = strdup(buf))) return -1;
    s->n_items++;
    return 0;
}

/* ---- TCB policy ------------------------------------------------------------------------------ */

int vf_tcb_accepted(unsigned mask, const char *status) {
    ds_tcb_status st;
    if (!status || ds_tcb_status_parse(status, &st) != DS_OK) return 0;
    if (st == DS_TCB_REVOKED) return 0;
    return (mask >> st) & 1u;
}

ds_err vf_tcb_parse_list(const char *list, unsigned *mask, char *err, size_t errcap) {
    *mask = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        ds_tcb_status st;
        if (!strcasecmp(tok, "any")) {
            for (int i = 0; i < DS_TCB_STATUS_COUNT; i++)
                if (i != DS_TCB_REVOKED) *mask |= 1u << i;
            continue;
        }
        if (ds_tcb_status_parse(tok, &st) != DS_OK) {
            snprintf(err, errcap,
                     "--accept-tcb: unknown TCB status \"%s\" (UpToDate, "
                     "SWHardeningNeeded, ConfigurationNeeded, "
                     "ConfigurationAndSWHardeningNeeded, OutOfDate, "
                     "OutOfDateConfigurationNeeded, or any)",
                     tok);
            return DS_ERR_ARG;
        }
        if (st == DS_TCB_REVOKED) {
            snprintf(err, errcap, "--accept-tcb: Revoked can never be accepted");
            return DS_ERR_ARG;
        }
        *mask |= 1u << st;
    }
    if (!*mask) {
        snprintf(err, errcap, "--accept-tcb: empty list");
        return DS_ERR_ARG;
    }
    return DS_OK;
}

void vf_tcb_list(unsigned mask, char *out, size_t cap) {
    size_t l = 0;
    out[0] = '\0';
    for (int i = 0; i < DS_TCB_STATUS_COUNT && l < cap; i++)
        if ((mask >> i) & 1u)
            l += (size_t)snprintf(out + l, cap - l, "%s%s", l ? "," : "",
                                  ds_tcb_status_name((ds_tcb_status)i));
}

/* ---- output --------------------------------------------------------------------------------- */

static const char *status_tag(vf_status st) {
    switch (st) {
    case VF_OK: return "OK";
    case VF_FAIL: return "FAIL";
    case VF_SKIP: return "SKIP";
    default: return "????";
    }
}

static const char *status_word(vf_status st) {
    switch (st) {
    case VF_OK: return "ok";
    case VF_FAIL: return "fail";
    case VF_SKIP: return "skip";
    default: return "pending";
    }
}

/* Writes s with control characters shown as '?': details quote endpoint-, chain- and
 * YAML-supplied text, which must not be able to forge extra "[OK]" lines. */
static void put_clean(const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        putchar(c < 0x20 || c == 0x7f ? '?' : c);
    }
}

void vf_print_step(const vf_step *s, const char *prefix) {
    const char *p = prefix ? prefix : "";
    if (s->num)
        printf("%s[%s] Step %d: ", p, status_tag(s->status), s->num);
    else
        printf("%s[%s] %s: ", p, status_tag(s->status), s->name);
    put_clean(s->detail);
    putchar('\n');
    if (s->status == VF_FAIL && s->n_items > 1)
        for (size_t i = 0; i < s->n_items; i++) {
            printf("%s       - ", p);
            put_clean(s->items[i]);
            putchar('\n');
        }
}

void vf_step_json(const vf_step *s, ds_buf *b) {
    ds_buf_printf(b, "{\"step\":%d,\"name\":", s->num);
    ds_buf_json_str(b, s->name, strlen(s->name));
    ds_buf_printf(b, ",\"status\":\"%s\",\"detail\":", status_word(s->status));
    ds_buf_json_str(b, s->detail, strlen(s->detail));
    if (s->expected[0] || s->got[0]) {
        ds_buf_puts(b, ",\"expected\":");
        ds_buf_json_str(b, s->expected, strlen(s->expected));
        ds_buf_puts(b, ",\"got\":");
        ds_buf_json_str(b, s->got, strlen(s->got));
    }
    ds_buf_puts(b, ",\"items\":[");
    for (size_t i = 0; i < s->n_items; i++) {
        if (i) ds_buf_putc(b, ',');
        ds_buf_json_str(b, s->items[i], strlen(s->items[i]));
    }
    ds_buf_puts(b, "]}");
}

static int run_exit(const vf_run *r) {
    int fail = 0;
    for (int i = 0; i < 6; i++)
        if (r->step[i].status != VF_OK && r->step[i].status != VF_SKIP) fail = 1;
    if (fail) return VF_EXIT_FAIL;
    if (r->step[5].status == VF_SKIP && !r->opt.no_chain) return VF_EXIT_PARTIAL;
    return VF_EXIT_OK;
}

static const char *TRUST_WARNING =
    "trusting the quote-signing root CA published by the endpoint itself (no --root): this "
    "shows the quote came from whoever holds that root (here, the simulator), not from Intel "
    "hardware";

int vf_report_run(const vf_run *r, const ds_qverify_result *qres) {
    int code = run_exit(r);
    char nhex[65];
    ds_hex_encode(r->nonce, sizeof r->nonce, nhex);
    if (!r->opt.json) {
        printf("Nonce (hex): %s\n", nhex);
        if (r->trust.root_from_endpoint) printf("[WARN] %s\n", TRUST_WARNING);
        for (int i = 0; i < 6; i++)
            vf_print_step(&r->step[i], NULL);
        if (code == VF_EXIT_OK) {
            printf("PASS: %s\n", r->opt.no_chain
                                     ? "steps 1-5 verified (step 6 skipped by --no-chain)"
                                     : "all 6 steps verified");
        } else if (code == VF_EXIT_PARTIAL) {
            printf("PARTIAL: steps 1-5 verified, on-chain governance not checked (exit 3)\n");
        } else {
            int n = 0;
            for (int i = 0; i < 6; i++)
                n += r->step[i].status == VF_FAIL;
            printf("FAIL: step%s", n > 1 ? "s" : "");
            n = 0;
            for (int i = 0; i < 6; i++)
                if (r->step[i].status == VF_FAIL) printf("%s %d", n++ ? "," : "", r->step[i].num);
            printf(" failed\n");
        }
        return code;
    }
    ds_buf b;
    ds_buf_init(&b);
    char acc[200];
    vf_tcb_list(r->opt.accept_tcb, acc, sizeof acc);
    ds_buf_printf(&b, "{\"ok\":%s,\"result\":\"%s\",\"exit\":%d,\"nonce\":\"%s\",\"endpoint\":",
                  code == VF_EXIT_OK ? "true" : "false",
                  code == VF_EXIT_OK        ? "pass"
                  : code == VF_EXIT_PARTIAL ? "partial"
                                            : "fail",
                  code, nhex);
    const char *ep = r->opt.legacy ? r->opt.tappd : r->opt.endpoint;
    ds_buf_json_str(&b, ep ? ep : "", ep ? strlen(ep) : 0);
    ds_buf_printf(&b, ",\"quote_api\":\"%s\",\"root\":{\"source\":",
                  r->opt.legacy ? "Tappd.TdxQuote" : "GetQuote");
    const char *src = r->trust.root_from_endpoint ? "endpoint" : r->opt.root_file;
    ds_buf_json_str(&b, src, strlen(src));
    ds_buf_printf(&b, ",\"sha256\":\"%s\",\"trusts_endpoint\":%s", r->trust.root_sha256,
                  r->trust.root_from_endpoint ? "true" : "false");
    if (r->trust.root_from_endpoint) {
        ds_buf_puts(&b, ",\"warning\":");
        ds_buf_json_str(&b, TRUST_WARNING, strlen(TRUST_WARNING));
    }
    ds_buf_puts(&b, "},\"tcb_status\":");
    const char *st = qres && qres->status[0] ? qres->status : "";
    ds_buf_json_str(&b, st, strlen(st));
    ds_buf_puts(&b, ",\"accepted_tcb\":");
    ds_buf_json_str(&b, acc, strlen(acc));
    ds_buf_puts(&b, ",\"app\":");
    if (r->opt.have_app) {
        char a[41];
        ds_buf_printf(&b, "\"0x%s\"", ds_hex_encode(r->opt.app, 20, a));
    } else {
        ds_buf_puts(&b, "null");
    }
    ds_buf_puts(&b, ",\"steps\":[");
    for (int i = 0; i < 6; i++) {
        if (i) ds_buf_putc(&b, ',');
        vf_step_json(&r->step[i], &b);
    }
    ds_buf_puts(&b, "],\"failed_steps\":[");
    int n = 0;
    for (int i = 0; i < 6; i++)
        if (r->step[i].status == VF_FAIL) ds_buf_printf(&b, "%s%d", n++ ? "," : "", r->step[i].num);
    ds_buf_puts(&b, "],\"skipped_steps\":[");
    n = 0;
    for (int i = 0; i < 6; i++)
        if (r->step[i].status == VF_SKIP) ds_buf_printf(&b, "%s%d", n++ ? "," : "", r->step[i].num);
    ds_buf_puts(&b, "]}\n");
    if (b.oom) {
        ds_buf_free(&b);
        return vf_report_error(0, VF_EXIT_USAGE, "out of memory writing the report");
    }
    fputs(b.data, stdout);
    ds_buf_free(&b);
    return code;
}

int vf_report_error(int json, int code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "dstack-verify: %s\n", msg);
    if (json) {
        ds_buf b;
        ds_buf_init(&b);
        ds_buf_printf(&b, "{\"ok\":false,\"result\":\"error\",\"exit\":%d,\"error\":", code);
        ds_buf_json_str(&b, msg, strlen(msg));
        ds_buf_puts(&b, "}\n");
        if (!b.oom) fputs(b.data, stdout);
        ds_buf_free(&b);
    }
    return code;
}
