/* dstack-pki — the simulated Intel PKI and the C quote verifier from the command line.
 *
 *   dstack-pki write  --seed HEX --out DIR [PKI options]
 *   dstack-pki quote  --seed HEX [--report-data HEX] [--td-attributes HEX] [PKI options]
 *   dstack-pki verify --root FILE --collateral FILE [--now UNIX|ISO] [--json] QUOTE|-
 *   dstack-pki pcs    --seed HEX [PKI options] TARGET   (PCS/PCCS v4 response, HTTP-style)
 *
 * PKI options: --tcb-status S, --qe-tcb-status S, --revoke pck|pck-ca|tcb-signer,
 * --revoke-serial HEX, --not-before T, --not-after T, --issue-date T, --next-update T,
 * --crl-this-update T, --crl-next-update T (T = Unix seconds or YYYY-MM-DDTHH:MM:SSZ).
 *
 * Exit status: 0 success / verified, 1 not verified (pcs: not 200), 2 bad input (one-line
 * message).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ds_hex.h"
#include "ds_json.h"
#include "ds_pki.h"
#include "ds_qverify.h"
#include "ds_quote.h"

#define PKI_MAX_INPUT (16u << 20)

static const char USAGE[] =
    "usage: dstack-pki write  --seed HEX --out DIR [PKI options]\n"
    "       dstack-pki quote  --seed HEX [--report-data HEX] [--td-attributes HEX] [PKI options]\n"
    "       dstack-pki verify --root FILE --collateral FILE [--now T] [--json] QUOTEFILE|-\n"
    "       dstack-pki pcs    --seed HEX [PKI options] TARGET  (e.g. /tdx/certification/v4/tcb?fmspc=00806F050000)\n"
    "PKI options: --tcb-status S  --qe-tcb-status S  (UpToDate, SWHardeningNeeded,\n"
    "             ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate,\n"
    "             OutOfDateConfigurationNeeded, Revoked)\n"
    "             --revoke pck|pck-ca|tcb-signer  --revoke-serial HEX\n"
    "             --not-before T --not-after T (certificates)\n"
    "             --crl-this-update T --crl-next-update T (CRLs)\n"
    "             --issue-date T --next-update T (TCB info, QE identity)\n"
    "T is Unix seconds or YYYY-MM-DDTHH:MM:SSZ.\n"
    "Exit: 0 ok, 1 not verified (pcs: status not 200), 2 bad input.\n";

static int die(const char *fmt, const char *arg) {
    fprintf(stderr, "dstack-pki: ");
    fprintf(stderr, fmt, arg ? arg : "");
    fputc('\n', stderr);
    return 2;
}

/* Whole file (or stdin for "-") into a NUL-terminated malloc'd buffer. */
static int read_all(const char *path, uint8_t **out, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        if (n + 1 >= cap) {
            if (cap >= PKI_MAX_INPUT) break;
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) break;
            b = nb;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) break;
            if (f != stdin) fclose(f);
            b[n] = 0;
            *out = b;
            *len = n;
            return 0;
        }
    }
    free(b);
    if (f != stdin) fclose(f);
    return -1;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) return -1;
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(data, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int parse_time(const char *s, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s && *end == '\0' && errno == 0 && v >= 0) {
        *out = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6 || s[n] != '\0')
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

typedef struct {
    ds_pki_config cfg;
    int have_seed;
    const char *out_dir;
    const char *report_data, *td_attributes;
    const char *root, *collateral, *quote;
    int64_t now;
    int have_now, json;
} opts;

/* Parses one option at argv[*i]; returns 0, or 2 after printing a message. */
static int parse_opt(opts *o, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    if (strcmp(a, "--json") == 0) {
        o->json = 1;
        return 0;
    }
    if (a[0] != '-' || strcmp(a, "-") == 0) {
        if (o->quote) return die("unexpected argument: %s", a);
        o->quote = a;
        return 0;
    }
    if (*i + 1 >= argc) return die("%s needs a value", a);
    const char *v = argv[++*i];
    ds_pki_config *c = &o->cfg;
    if (strcmp(a, "--seed") == 0) {
        if (ds_hex_decode_exact(v, strlen(v), c->seed, 32) != DS_OK)
            return die("--seed must be 32 bytes of hex (64 digits)", NULL);
        o->have_seed = 1;
    } else if (strcmp(a, "--tcb-status") == 0 || strcmp(a, "--qe-tcb-status") == 0) {
        ds_tcb_status s;
        if (ds_tcb_status_parse(v, &s) != DS_OK) return die("unknown TCB status: %s", v);
        if (a[2] == 'q') c->qe_tcb_status = s;
        else c->tcb_status = s;
    } else if (strcmp(a, "--revoke") == 0) {
        if (strcmp(v, "pck") == 0) c->revoke |= DS_PKI_REVOKE_PCK;
        else if (strcmp(v, "pck-ca") == 0) c->revoke |= DS_PKI_REVOKE_PCK_CA;
        else if (strcmp(v, "tcb-signer") == 0) c->revoke |= DS_PKI_REVOKE_TCB_SIGNER;
        else return die("--revoke takes pck, pck-ca or tcb-signer, not %s", v);
    } else if (strcmp(a, "--revoke-serial") == 0) {
        size_t k = c->n_extra_revoked, n = 0;
        if (k >= DS_PKI_MAX_REVOKED) return die("too many --revoke-serial", NULL);
        if (ds_hex_decode(v, strlen(v), c->extra_revoked[k], 20, &n) != DS_OK || n == 0)
            return die("--revoke-serial must be 1..20 bytes of hex: %s", v);
        c->extra_revoked_len[k] = n;
        c->n_extra_revoked++;
    } else if (strcmp(a, "--not-before") == 0 || strcmp(a, "--not-after") == 0 ||
               strcmp(a, "--issue-date") == 0 || strcmp(a, "--next-update") == 0 ||
               strcmp(a, "--crl-this-update") == 0 || strcmp(a, "--crl-next-update") == 0 ||
               strcmp(a, "--now") == 0) {
        int64_t t;
        if (parse_time(v, &t) != 0) return die("bad time (Unix seconds or ISO 8601 Z): %s", v);
        if (strcmp(a, "--not-before") == 0) c->not_before = t;
        else if (strcmp(a, "--not-after") == 0) c->not_after = t;
        else if (strcmp(a, "--issue-date") == 0) c->issue_date = t;
        else if (strcmp(a, "--next-update") == 0) c->next_update = t;
        else if (strcmp(a, "--crl-this-update") == 0) c->crl_this_update = t;
        else if (strcmp(a, "--crl-next-update") == 0) c->crl_next_update = t;
        else o->now = t, o->have_now = 1;
    } else if (strcmp(a, "--out") == 0) {
        o->out_dir = v;
    } else if (strcmp(a, "--report-data") == 0) {
        o->report_data = v;
    } else if (strcmp(a, "--td-attributes") == 0) {
        o->td_attributes = v;
    } else if (strcmp(a, "--root") == 0) {
        o->root = v;
    } else if (strcmp(a, "--collateral") == 0) {
        o->collateral = v;
    } else {
        return die("unknown option: %s", a);
    }
    return 0;
}

static int make_pki(opts *o, ds_pki **pki) {
    if (!o->have_seed) return die("--seed is required", NULL);
    ds_err rc = ds_pki_new(&o->cfg, pki);
    if (rc == DS_ERR_ARG) return die("invalid PKI options (check the time windows)", NULL);
    if (rc != DS_OK) return die("could not build the PKI: %s", ds_err_str(rc));
    return 0;
}

static int cmd_write(opts *o) {
    if (!o->out_dir) return die("write needs --out DIR", NULL);
    if (o->quote) return die("write takes no positional argument", NULL);
    ds_pki *pki = NULL;
    int rc = make_pki(o, &pki);
    if (rc) return rc;
    char pcs[4096];
    snprintf(pcs, sizeof pcs, "%s/pcs", o->out_dir);
    if ((mkdir(o->out_dir, 0755) != 0 && errno != EEXIST) || (mkdir(pcs, 0755) != 0 && errno != EEXIST)) {
        ds_pki_free(pki);
        return die("cannot create %s", o->out_dir);
    }
    size_t root_len;
    const uint8_t *root = ds_pki_root_der(pki, &root_len);
    const char *root_pem = ds_pki_root_pem(pki);
    const ds_collateral *col = ds_pki_collateral(pki);
    ds_buf cj, tcb, tcb_chain, qe, qe_chain, crl_pem, crl_der, crl_chain, root_crl;
    ds_buf *bufs[] = {&cj, &tcb, &tcb_chain, &qe, &qe_chain, &crl_pem, &crl_der, &crl_chain, &root_crl};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) ds_buf_init(bufs[i]);
    int err = ds_pki_collateral_json(pki, &cj) || ds_pki_pcs_tcb(pki, &tcb, &tcb_chain) ||
              ds_pki_pcs_qe_identity(pki, &qe, &qe_chain) ||
              ds_pki_pcs_pckcrl(pki, 0, &crl_pem, &crl_chain) ||
              ds_pki_pcs_pckcrl(pki, 1, &crl_der, NULL) || ds_pki_pcs_rootcacrl(pki, &root_crl);
    struct { const char *name; const void *data; size_t len; } files[] = {
        {"root_ca.der", root, root_len},
        {"root_ca.pem", root_pem, strlen(root_pem)},
        {"pck_chain.pem", ds_pki_pck_chain_pem(pki), strlen(ds_pki_pck_chain_pem(pki))},
        {"collateral.json", cj.data, cj.len},
        {"root_ca_crl.der", col->root_ca_crl, col->root_ca_crl_len},
        {"pck_crl.der", col->pck_crl, col->pck_crl_len},
        {"pcs/rootcacrl", root_crl.data, root_crl.len},
        {"pcs/pckcrl.pem", crl_pem.data, crl_pem.len},
        {"pcs/pckcrl.der", crl_der.data, crl_der.len},
        {"pcs/pckcrl.issuer-chain.pem", crl_chain.data, crl_chain.len},
        {"pcs/tcb.json", tcb.data, tcb.len},
        {"pcs/tcb.issuer-chain.pem", tcb_chain.data, tcb_chain.len},
        {"pcs/qe_identity.json", qe.data, qe.len},
        {"pcs/qe_identity.issuer-chain.pem", qe_chain.data, qe_chain.len},
    };
    size_t nf = sizeof files / sizeof *files;
    for (size_t i = 0; !err && i < nf; i++)
        if (write_file(o->out_dir, files[i].name, files[i].data, files[i].len) != 0) {
            rc = die("cannot write %s", files[i].name);
            break;
        }
    if (err) rc = die("out of memory", NULL);
    if (!rc) printf("wrote %zu files to %s\n", nf, o->out_dir);
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) ds_buf_free(bufs[i]);
    ds_pki_free(pki);
    return rc;
}

static int cmd_quote(opts *o) {
    if (o->quote) return die("quote takes no positional argument", NULL);
    ds_pki *pki = NULL;
    int rc = make_pki(o, &pki);
    if (rc) return rc;
    ds_td_report r;
    ds_pki_td_report(pki, &r);
    size_t n = 0;
    if (o->report_data && ds_hex_decode(o->report_data, strlen(o->report_data), r.report_data, 64,
                                        &n) != DS_OK)
        rc = die("--report-data must be at most 64 bytes of hex", NULL);
    if (!rc && o->td_attributes &&
        ds_hex_decode_exact(o->td_attributes, strlen(o->td_attributes), r.td_attributes, 8) != DS_OK)
        rc = die("--td-attributes must be 8 bytes of hex", NULL);
    ds_buf q;
    ds_buf_init(&q);
    if (!rc && ds_pki_quote(pki, &r, &q) != DS_OK) rc = die("could not sign the quote", NULL);
    if (!rc) {
        ds_buf hex;
        ds_buf_init(&hex);
        ds_buf_hex(&hex, (const uint8_t *)q.data, q.len);
        if (hex.oom) rc = die("out of memory", NULL);
        else printf("%s\n", hex.data);
        ds_buf_free(&hex);
    }
    ds_buf_free(&q);
    ds_pki_free(pki);
    return rc;
}

/* Quote file contents: hex text (optional 0x, surrounding whitespace) or raw bytes. */
static int quote_bytes(uint8_t *data, size_t len, size_t *out_len) {
    size_t s = 0, e = len;
    while (s < e && strchr(" \t\r\n", data[s])) s++;
    while (e > s && strchr(" \t\r\n", data[e - 1])) e--;
    long dl = ds_hex_decoded_len((const char *)data + s, e - s);
    if (dl > 0 && ds_hex_decode((const char *)data + s, e - s, data, len, out_len) == DS_OK)
        return 0;
    *out_len = len;
    return 0;
}

static int cmd_verify(opts *o) {
    if (!o->root || !o->collateral || !o->quote)
        return die("verify needs --root FILE, --collateral FILE and a quote file (or -)", NULL);
    uint8_t *root_in = NULL, *col_in = NULL, *quote = NULL, *root = NULL;
    size_t root_in_len, col_len, quote_len, root_len;
    ds_collateral col;
    char err[256];
    int rc = 0;
    memset(&col, 0, sizeof col);
    if (read_all(o->root, &root_in, &root_in_len) != 0) rc = die("cannot read %s", o->root);
    else if (ds_qverify_root_der(root_in, root_in_len, &root, &root_len) != DS_OK)
        rc = die("%s is not a DER or PEM certificate", o->root);
    else if (read_all(o->collateral, &col_in, &col_len) != 0)
        rc = die("cannot read %s", o->collateral);
    else if (ds_collateral_from_json((const char *)col_in, col_len, &col, err, sizeof err) != DS_OK)
        rc = die("%s", err);
    else if (read_all(o->quote, &quote, &quote_len) != 0)
        rc = die("cannot read %s", o->quote);
    if (!rc) {
        quote_bytes(quote, quote_len, &quote_len);
        ds_qverify_result res;
        int64_t now = o->have_now ? o->now : (int64_t)time(NULL);
        ds_err v = ds_qverify(quote, quote_len, root, root_len, &col, now, &res);
        if (v == DS_ERR_NOMEM) {
            rc = die("out of memory", NULL);
        } else if (o->json) {
            ds_buf j;
            ds_buf_init(&j);
            ds_qverify_result_json(&res, &j);
            printf("%s\n", j.oom ? "{}" : j.data);
            ds_buf_free(&j);
        } else {
            printf("%s: %s\n", res.ok ? "verified" : "NOT verified",
                   res.status[0] ? res.status : "(no TCB status)");
            for (size_t i = 0; i < res.n_reasons; i++) printf("  %s\n", res.reasons[i]);
        }
        if (!rc) rc = res.ok ? 0 : 1;
        ds_qverify_result_free(&res);
    }
    ds_collateral_free(&col);
    free(root_in);
    free(root);
    free(col_in);
    free(quote);
    return rc;
}

/* Prints the PCS response for TARGET as "HTTP/1.1 <status>", Content-Type, the issuer-chain
 * header when there is one, a blank line and the body (CRLF line ends in the head). */
static int cmd_pcs(opts *o) {
    if (!o->quote || o->quote[0] != '/') return die("pcs needs a TARGET path such as /sgx/certification/v4/rootcacrl", NULL);
    ds_pki *pki = NULL;
    int rc = make_pki(o, &pki);
    if (rc) return rc;
    ds_pki_http r;
    if (ds_pki_pcs_handle(pki, o->quote, &r) != DS_OK) {
        ds_pki_free(pki);
        return die("out of memory", NULL);
    }
    printf("HTTP/1.1 %d\r\nContent-Type: %s\r\n", r.status, r.content_type);
    if (r.header_name) printf("%s: %s\r\n", r.header_name, r.header_value);
    printf("Content-Length: %zu\r\n\r\n", r.body_len);
    fwrite(r.body, 1, r.body_len, stdout);
    rc = r.status == 200 ? 0 : 1;
    ds_pki_http_free(&r);
    ds_pki_free(pki);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) return die("missing command: write, quote or verify (try dstack-pki help)", NULL);
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    opts o;
    memset(&o, 0, sizeof o);
    static const uint8_t ZERO[32] = {0};
    ds_pki_config_default(&o.cfg, ZERO);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            return 0;
        }
        int rc = parse_opt(&o, argc, argv, &i);
        if (rc) return rc;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "write") == 0) return cmd_write(&o);
    if (strcmp(cmd, "quote") == 0) return cmd_quote(&o);
    if (strcmp(cmd, "verify") == 0) return cmd_verify(&o);
    if (strcmp(cmd, "pcs") == 0) return cmd_pcs(&o);
    return die("unknown command: %s (try dstack-pki help)", cmd);
}
