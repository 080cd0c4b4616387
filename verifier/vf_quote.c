/* vf_quote.c — `dstack-verify quote`: seed 003's verify_attestation(quote,
 * expected_payload) for apps that attest their own payloads.
 *
 * For each quote (one --quote, or every entry of a --batch):
 *   quote      signature chain to the trusted root, TCB status in the accepted set
 *   payload    report_data = the expected payload (raw / app-data / hash, vf_payload.h)
 *   rtmr       --rtmr N=HEX expectations, and event-log replay when the quote file is a
 *              GetQuote reply that carries its event_log
 *   freshness  a timestamped payload (ts=…) is within the window
 *   replay     its nonce (else its report_data) was not accepted before in this run or
 *              in the --nonce-store file; accepted ones are recorded
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds_hex.h"
#include "ds_pki.h"
#include "vf.h"
#include "vf_cli.h"
#include "vf_payload.h"

#define VF_MAX_RTMR_EXPECT 8

static const char *QUSAGE =
    "usage: dstack-verify quote (--quote FILE | --batch FILE)\n"
    "                           [--expected-text TEXT | --expected-payload HEX] [options]\n"
    "\n"
    "  --quote FILE            the quote: raw bytes, hex text, or a GetQuote/TdxQuote JSON reply\n"
    "                          (its event_log is then replayed too); - = stdin\n"
    "  --expected-text TEXT    the payload the app attested, as text\n"
    "  --expected-payload HEX  the payload as hex bytes\n"
    "  --batch FILE            many: a JSON array or JSON lines of {\"quote\":HEX,\n"
    "                          \"payload\":TEXT | \"payload_hex\":HEX[, \"event_log\":…]}\n"
    "  --legacy-tdxquote       report_data = sha512(\"app-data:\" ‖ payload) (Tappd.TdxQuote)\n"
    "  --payload-hash ALG      report_data = ALG(payload), zero-padded (sha256, sha384,\n"
    "                          sha512, sha3-256, keccak256, …); default: the raw payload.\n"
    "                          With --legacy-tdxquote: ALG(\"app-data:\" ‖ payload), i.e.\n"
    "                          TdxQuote's hash_algorithm\n"
    "  --max-age SECONDS       freshness window of timestamped payloads (default 300 when\n"
    "                          the payload has ts=; when given, a payload without ts fails)\n"
    "  --nonce-store FILE      remember accepted nonces across runs (one per line); within\n"
    "                          a run a nonce is always accepted once only\n"
    "  --rtmr N=HEX            expect rt_mrN (0..3) to be HEX (repeatable)\n"
    "  --endpoint, --root, --collateral, --accept-tcb, --now, --timeout, --json\n"
    "                          as for the endpoint mode (root/collateral default: published\n"
    "                          by the endpoint, i.e. trusting the simulator)\n"
    "\n"
    "Timestamped payloads: \"||\"-separated fields with ts=<unix seconds> and nonce=<token>\n"
    "(register||alice||ts=1767225600||nonce=9f1c), or JSON {\"ts\":…,\"nonce\":…}.\n"
    "Exit: 0 every quote accepted, 1 one refused, 2 bad usage or input.\n";

typedef struct {
    vf_opts opt;
    const char *quote_file, *batch_file, *nonce_store, *hash_alg;
    uint8_t *payload;
    size_t payload_len;
    int have_payload;
    vf_rd_mode mode;
    int64_t max_age;
    int n_rtmr;
    int rtmr_idx[VF_MAX_RTMR_EXPECT];
    uint8_t rtmr_val[VF_MAX_RTMR_EXPECT][48];
    vf_trust trust;
    vf_nonce_set seen;
    size_t n_loaded; /* keys that came from the nonce store */
    ds_buf json;     /* results array (--json) */
    size_t n_ok, n_bad;
} vf_qctx;

/* Writes a one-line message into err and returns -1. */
static int qerr(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int qerr(char *err, size_t errcap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_rtmr(const char *v, vf_qctx *c, char *err, size_t errcap) {
    if (c->n_rtmr >= VF_MAX_RTMR_EXPECT || v[0] < '0' || v[0] > '3' || v[1] != '=' ||
        ds_hex_decode_exact(v + 2, strlen(v + 2), c->rtmr_val[c->n_rtmr], 48) != DS_OK) {
        snprintf(err, errcap, "--rtmr: want N=<96 hex> with N in 0..3 (at most 8): %s", v);
        return -1;
    }
    c->rtmr_idx[c->n_rtmr++] = v[0] - '0';
    return 0;
}

static int parse_qargs(int argc, char **argv, vf_qctx *c, char *err, size_t errcap) {
    const char *v = NULL;
    int m;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((m = vf_common_opt(argc, argv, &i, &c->opt, err, errcap)) != 0) {
            if (m < 0) return -1;
        } else if (vf_flag(a, "--legacy-tdxquote")) {
            c->mode = VF_RD_APP_DATA;
        } else if ((m = vf_arg(argc, argv, &i, "--quote", &v, err, errcap)) != 0) {
            if (m < 0) return -1;
            c->quote_file = v;
        } else if ((m = vf_arg(argc, argv, &i, "--batch", &v, err, errcap)) != 0) {
            if (m < 0) return -1;
            c->batch_file = v;
        } else if ((m = vf_arg(argc, argv, &i, "--expected-text", &v, err, errcap)) != 0) {
            if (m < 0) return -1;
            if (c->have_payload) return qerr(err, errcap, "give one expected payload");
            c->payload = (uint8_t *)strdup(v);
            if (!c->payload) return qerr(err, errcap, "out of memory");
            c->payload_len = strlen(v);
            c->have_payload = 1;
        } else if ((m = vf_arg(argc, argv, &i, "--expected-payload", &v, err, errcap)) != 0) {
            if (m < 0) return -1;
            if (c->have_payload) return qerr(err, errcap, "give one expected payload");
            if (vf_quote_from_hex(v, &c->payload, &c->payload_len) != DS_OK)
                return qerr(err, errcap, "--expected-payload: not hex: %.60s", v);
            c->have_payload = 1;
        } else if ((m = vf_arg(argc, argv, &i, "--payload-hash", &v, err, errcap)) != 0) {
            if (m < 0) return -1;
            c->hash_alg = v;
        } else if ((m = vf_arg(argc, argv, &i, "--max-age", &v, err, errcap)) != 0) {
            if (m < 0) return -1;
            if (vf_parse_i64(v, 0, &c->max_age) != 0)
                return qerr(err, errcap, "--max-age: not a number of seconds: %s", v);
        } else if ((m = vf_arg(argc, argv, &i, "--nonce-store", &v, err, errcap)) != 0) {
            if (m < 0) return -1;
            c->nonce_store = v;
        } else if ((m = vf_arg(argc, argv, &i, "--rtmr", &v, err, errcap)) != 0) {
            if (m < 0 || parse_rtmr(v, c, err, errcap) != 0) return -1;
        } else {
            return qerr(err, errcap, "quote: unknown option %s (see quote --help)", a);
        }
    }
    if (!!c->quote_file == !!c->batch_file)
        return qerr(err, errcap, "quote: give exactly one of --quote FILE and --batch FILE");
    if (c->quote_file && !c->have_payload)
        return qerr(err, errcap, "quote: give --expected-text TEXT or --expected-payload HEX");
    if (c->batch_file && c->have_payload)
        return qerr(err, errcap, "quote: --batch entries carry their own payloads");
    if (c->hash_alg && c->mode != VF_RD_APP_DATA) c->mode = VF_RD_HASH;
    if (c->hash_alg) {
        uint8_t t[64];
        if (vf_expected_report_data((const uint8_t *)"", 0, VF_RD_HASH, c->hash_alg, t) != DS_OK)
            return qerr(err, errcap, "--payload-hash: unknown algorithm %s", c->hash_alg);
    }
    return 0;
}

/* Verifies one quote against one payload; prints or records the result. */
static void verify_one(vf_qctx *c, size_t idx, const uint8_t *quote, size_t qlen, const char *qerr,
                       const uint8_t *payload, size_t plen, const char *event_log) {
    enum { NQ = 6 };
    vf_step st[NQ];
    const char *names[NQ] = {"quote", "payload", "rtmr", "event-log", "freshness", "replay"};
    for (int i = 0; i < NQ; i++)
        vf_step_init(&st[i], 0, names[i]);
    ds_qverify_result qres;
    memset(&qres, 0, sizeof qres);
    uint8_t want[64];
    if (!quote) {
        vf_step_fail(&st[0], "%s", qerr);
        vf_step_fail(&st[1], "%s", qerr);
    } else {
        vf_step_quote(quote, qlen, &c->trust, c->opt.accept_tcb, c->opt.now, &st[0], &qres);
        ds_err e = vf_expected_report_data(payload, plen, c->mode, c->hash_alg, want);
        if (e == DS_ERR_LEN)
            vf_step_fail(&st[1],
                         "the payload is %zu bytes: a raw report_data holds at most 64 "
                         "(use --payload-hash or --legacy-tdxquote)",
                         plen);
        else if (e != DS_OK)
            vf_step_fail(&st[1], "cannot compute the expected report_data");
        else {
            char what[80];
            if (c->mode == VF_RD_RAW)
                snprintf(what, sizeof what, "the expected payload");
            else if (c->mode == VF_RD_APP_DATA)
                snprintf(what, sizeof what, "%.20s(\"app-data:\" ‖ payload)",
                         c->hash_alg ? c->hash_alg : "sha512");
            else
                snprintf(what, sizeof what, "%.20s(payload)", c->hash_alg);
            vf_step_report_data(quote, qlen, want, what, &st[1]);
        }
    }
    ds_quote q;
    int parsed = quote && ds_quote_parse(quote, qlen, &q) == DS_OK;
    if (c->n_rtmr == 0) {
        vf_step_skip(&st[2], "no --rtmr expectations");
    } else if (!parsed) {
        vf_step_fail(&st[2], "the quote does not parse");
    } else {
        vf_step_ok(&st[2], "%d RTMR expectation%s", c->n_rtmr,
                   c->n_rtmr == 1 ? " holds" : "s hold");
        for (int k = 0; k < c->n_rtmr; k++) {
            if (memcmp(q.report.rt_mr[c->rtmr_idx[k]], c->rtmr_val[k], 48) == 0) continue;
            char w[97], g[97];
            ds_hex_encode(c->rtmr_val[k], 48, w);
            ds_hex_encode(q.report.rt_mr[c->rtmr_idx[k]], 48, g);
            vf_step_fail(&st[2], "RTMR%d mismatch: expected %s got %s", c->rtmr_idx[k], w, g);
            vf_step_cmp(&st[2], w, g);
            break;
        }
    }
    if (event_log && quote)
        vf_step_replay(quote, qlen, event_log, &st[3]);
    else
        vf_step_skip(&st[3], "no event log given with the quote");
    vf_payload_fields f;
    char msg[300];
    if (vf_payload_fields_parse(payload, plen, &f) != 0)
        vf_step_fail(&st[4], "%s", f.err);
    else if (vf_check_freshness(&f, c->opt.now, c->max_age, msg, sizeof msg) != 0)
        vf_step_fail(&st[4], "%s", msg);
    else if (!f.has_ts)
        vf_step_skip(&st[4], "%s", msg);
    else
        vf_step_ok(&st[4], "%s", msg);
    int others_ok = 1;
    for (int i = 0; i < 5; i++)
        others_ok &= st[i].status != VF_FAIL;
    char key[200];
    if (!parsed) {
        vf_step_fail(&st[5], "no report_data to key the replay check on");
    } else {
        vf_replay_key(&f, q.report.report_data, key, sizeof key);
        size_t at = 0;
        for (at = 0; at < c->seen.n && strcmp(c->seen.keys[at], key); at++) {
        }
        if (at < c->seen.n) {
            vf_step_fail(&st[5], "replayed: %s was already accepted %s", key,
                         at < c->n_loaded ? "(nonce store)" : "earlier in this run");
            vf_step_cmp(&st[5], "an unseen nonce", key);
        } else if (!others_ok) {
            vf_step_skip(&st[5], "not recorded: the quote was refused");
        } else {
            char err[300];
            if (vf_nonce_set_add(&c->seen, key, err, sizeof err) != DS_OK)
                vf_step_fail(&st[5], "%s", err);
            else
                vf_step_ok(&st[5], "%s not seen before (recorded%s)", key,
                           c->nonce_store ? " in the store" : "");
        }
    }
    int ok = others_ok && st[5].status != VF_FAIL;
    if (ok)
        c->n_ok++;
    else
        c->n_bad++;
    char prefix[32] = "";
    if (c->batch_file) snprintf(prefix, sizeof prefix, "#%zu ", idx);
    if (c->opt.json) {
        ds_buf_printf(&c->json, "%s{\"index\":%zu,\"ok\":%s,\"tcb_status\":", idx > 1 ? "," : "",
                      idx, ok ? "true" : "false");
        ds_buf_json_str(&c->json, qres.status, strlen(qres.status));
        ds_buf_puts(&c->json, ",\"checks\":[");
        for (int i = 0; i < NQ; i++) {
            if (i) ds_buf_putc(&c->json, ',');
            vf_step_json(&st[i], &c->json);
        }
        ds_buf_puts(&c->json, "]}");
    } else {
        for (int i = 0; i < NQ; i++)
            vf_print_step(&st[i], prefix);
        printf("%s%s\n", prefix, ok ? "ACCEPTED" : "REFUSED");
    }
    for (int i = 0; i < NQ; i++)
        vf_step_free(&st[i]);
    ds_qverify_result_free(&qres);
}

/* A quote file: raw bytes, hex text, or a JSON object with "quote" (+ "event_log"). */
static void verify_quote_file(vf_qctx *c, const uint8_t *data, size_t len) {
    uint8_t *q = NULL;
    size_t ql = 0;
    char *el = NULL;
    const char *qerr = "";
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
        i++;
    if (len >= 2 && data[0] == 0x04 && data[1] == 0x00) {
        q = malloc(len);
        if (q) {
            memcpy(q, data, len);
            ql = len;
        }
    } else if (i < len && data[i] == '{') {
        cJSON *j = cJSON_ParseWithLength((const char *)data, len);
        const cJSON *qq = cJSON_GetObjectItemCaseSensitive(j, "quote");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "event_log");
        if (!cJSON_IsString(qq) || vf_quote_from_hex(qq->valuestring, &q, &ql) != DS_OK)
            qerr = "the quote file's JSON has no hex \"quote\"";
        if (cJSON_IsString(e))
            el = strdup(e->valuestring);
        else if (cJSON_IsArray(e))
            el = cJSON_PrintUnformatted(e);
        cJSON_Delete(j);
    } else {
        char *t = strndup((const char *)data + i, len - i);
        if (t) {
            size_t n = strlen(t);
            while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
                t[--n] = '\0';
            if (vf_quote_from_hex(t, &q, &ql) != DS_OK)
                qerr = "the quote file is neither a quote, hex nor JSON";
            free(t);
        }
    }
    verify_one(c, 1, q, ql, qerr, c->payload, c->payload_len, el);
    free(q);
    free(el);
}

static void verify_entry(vf_qctx *c, size_t idx, const cJSON *e) {
    uint8_t *q = NULL, *p = NULL;
    size_t ql = 0, pl = 0;
    const char *qerr = "entry has no hex \"quote\"";
    const cJSON *qq = cJSON_GetObjectItemCaseSensitive(e, "quote");
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(e, "payload");
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(e, "payload_hex");
    const cJSON *el = cJSON_GetObjectItemCaseSensitive(e, "event_log");
    if (cJSON_IsString(qq)) vf_quote_from_hex(qq->valuestring, &q, &ql);
    if (cJSON_IsString(pt)) {
        p = (uint8_t *)strdup(pt->valuestring);
        pl = p ? strlen(pt->valuestring) : 0;
    } else if (cJSON_IsString(ph)) {
        vf_quote_from_hex(ph->valuestring, &p, &pl);
    }
    char *elt = cJSON_IsString(el)  ? strdup(el->valuestring)
                : cJSON_IsArray(el) ? cJSON_PrintUnformatted(el)
                                    : NULL;
    verify_one(c, idx, q, ql, qerr, p, pl, elt);
    free(q);
    free(p);
    free(elt);
}

/* A batch: a JSON array, or one JSON object per line. Returns -1 on a malformed file. */
static int verify_batch(vf_qctx *c, const uint8_t *data, size_t len, char *err, size_t errcap) {
    cJSON *all = cJSON_ParseWithLength((const char *)data, len);
    size_t idx = 0;
    if (cJSON_IsArray(all)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, all) verify_entry(c, ++idx, e);
        cJSON_Delete(all);
        return idx ? 0 : qerr(err, errcap, "--batch: empty array");
    }
    cJSON_Delete(all);
    const char *s = (const char *)data, *end = s + len;
    size_t line = 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        line++;
        size_t n = (size_t)(le - s);
        while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
            n--;
        if (n) {
            cJSON *e = cJSON_ParseWithLength(s, n);
            if (!cJSON_IsObject(e)) {
                cJSON_Delete(e);
                snprintf(err, errcap, "--batch: line %zu is not a JSON object", line);
                return -1;
            }
            verify_entry(c, ++idx, e);
            cJSON_Delete(e);
        }
        s = le + 1;
    }
    return idx ? 0 : qerr(err, errcap, "--batch: no entries");
}

int vf_quote_main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(QUSAGE, stdout);
            return 0;
        }
    vf_qctx *c = calloc(1, sizeof *c);
    if (!c) return vf_report_error(0, VF_EXIT_USAGE, "out of memory");
    c->opt.endpoint = getenv("DSTACK_SIMULATOR_ENDPOINT");
    c->opt.accept_tcb = 1u << DS_TCB_UP_TO_DATE;
    c->opt.now = (int64_t)time(NULL);
    c->opt.timeout_ms = 30000;
    c->max_age = -1;
    vf_nonce_set_init(&c->seen);
    ds_buf_init(&c->json);
    int json = 0, code = VF_EXIT_USAGE;
    for (int i = 1; i < argc; i++)
        json |= !strcmp(argv[i], "--json");
    char err[1024] = "";
    uint8_t *data = NULL;
    size_t len = 0;
    vf_http h;
    int have_h = 0;
    if (parse_qargs(argc, argv, c, err, sizeof err) != 0) {
        code = vf_report_error(json, VF_EXIT_USAGE, "%s", err);
        goto out;
    }
    if ((!c->opt.root_file || !c->opt.collateral_file) && c->opt.endpoint && *c->opt.endpoint) {
        if (vf_http_open(&h, c->opt.endpoint) != DS_OK) {
            code = vf_report_error(json, VF_EXIT_USAGE, "%s", h.err);
            goto out;
        }
        h.timeout_ms = c->opt.timeout_ms;
        have_h = 1;
    }
    if (vf_trust_load(&c->trust, have_h ? &h : NULL, c->opt.root_file, c->opt.collateral_file, err,
                      sizeof err) != DS_OK ||
        (c->nonce_store && vf_nonce_set_open(&c->seen, c->nonce_store, err, sizeof err) != DS_OK) ||
        vf_read_file(c->quote_file ? c->quote_file : c->batch_file, &data, &len, err, sizeof err) !=
            DS_OK) {
        code = vf_report_error(json, VF_EXIT_USAGE, "%s", err);
        goto out;
    }
    c->n_loaded = c->seen.n;
    if (!json && c->trust.root_from_endpoint)
        printf(
            "[WARN] trusting the quote root published by the endpoint itself (simulator mode)\n");
    if (c->quote_file) {
        verify_quote_file(c, data, len);
    } else if (verify_batch(c, data, len, err, sizeof err) != 0) {
        code = vf_report_error(json, VF_EXIT_USAGE, "%s", err);
        goto out;
    }
    code = c->n_bad ? VF_EXIT_FAIL : VF_EXIT_OK;
    if (json) {
        printf("{\"ok\":%s,\"accepted\":%zu,\"refused\":%zu,\"root\":{\"sha256\":\"%s\","
               "\"trusts_endpoint\":%s},\"results\":[%s]}\n",
               code ? "false" : "true", c->n_ok, c->n_bad, c->trust.root_sha256,
               c->trust.root_from_endpoint ? "true" : "false", c->json.data ? c->json.data : "");
    } else if (c->batch_file) {
        printf("%zu accepted, %zu refused\n", c->n_ok, c->n_bad);
    }
out:
    if (have_h) vf_http_close(&h);
    free(data);
    free(c->payload);
    vf_trust_free(&c->trust);
    vf_nonce_set_free(&c->seen);
    ds_buf_free(&c->json);
    free(c);
    return code;
}
