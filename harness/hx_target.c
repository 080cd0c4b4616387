/* hx_target.c — parsing a --call signature, filling it from a chain and running it with
 * eth_call against a deployed contract (see hx_target.h).
 */
#include "hx_target.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hex.h"
#include "ds_secp.h"
#include "hx_cmd.h"
#include "hx_out.h"

static const struct {
    const char *name; /* lowercase, no "_" */
    hx_role role;
} NAMES[] = {
    {"appid", HX_ROLE_APP_ID},
    {"derivedpub", HX_ROLE_DERIVED_PUB},
    {"derivedpublickey", HX_ROLE_DERIVED_PUB},
    {"derivedkey", HX_ROLE_DERIVED_PUB},
    {"pubkey", HX_ROLE_DERIVED_PUB},
    {"publickey", HX_ROLE_DERIVED_PUB},
    {"appsig", HX_ROLE_APP_SIG},
    {"appsignature", HX_ROLE_APP_SIG},
    {"kmssig", HX_ROLE_KMS_SIG},
    {"kmssignature", HX_ROLE_KMS_SIG},
    {"apppub", HX_ROLE_APP_PUB},
    {"apppublickey", HX_ROLE_APP_PUB},
    {"appkey", HX_ROLE_APP_PUB},
    {"purpose", HX_ROLE_PURPOSE},
    {"path", HX_ROLE_PATH},
    {"domain", HX_ROLE_DOMAIN},
    {"algorithm", HX_ROLE_ALGORITHM},
    {"alg", HX_ROLE_ALGORITHM},
    {"version", HX_ROLE_VERSION},
};

static const char *const ROLE_NAMES[HX_NROLES] = {"app_id",    "derived_pub", "app_sig", "kms_sig",
                                                  "app_pub",   "purpose",     "path",    "domain",
                                                  "algorithm", "version"};

/* Which types a role takes (ds_abi_kind; for FBYTES the sizes). */
static int type_ok(hx_role r, int kind, int size) {
    switch (r) {
    case HX_ROLE_APP_ID:
        return (kind == DS_ABI_FBYTES && (size == 32 || size == 20)) || kind == DS_ABI_ADDRESS ||
               kind == DS_ABI_BYTES;
    case HX_ROLE_DERIVED_PUB:
    case HX_ROLE_APP_PUB: return kind == DS_ABI_BYTES || kind == DS_ABI_ADDRESS;
    case HX_ROLE_APP_SIG:
    case HX_ROLE_KMS_SIG: return kind == DS_ABI_BYTES;
    case HX_ROLE_VERSION: return kind == DS_ABI_UINT;
    default: return kind == DS_ABI_STRING || kind == DS_ABI_BYTES;
    }
}

static const char *const ROLE_TYPES[HX_NROLES] = {"bytes32, bytes20, address or bytes",
                                                  "bytes or address",
                                                  "bytes",
                                                  "bytes",
                                                  "bytes or address",
                                                  "string or bytes",
                                                  "string or bytes",
                                                  "string or bytes",
                                                  "string or bytes",
                                                  "uint8 … uint256"};

static char *trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int role_of(const char *name, hx_role *r) {
    char norm[64];
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < sizeof norm; p++)
        if (*p != '_') norm[n++] = (char)tolower((unsigned char)*p);
    norm[n] = '\0';
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (strcmp(norm, NAMES[i].name) == 0) {
            *r = NAMES[i].role;
            return 0;
        }
    return -1;
}

static int parse_param(char *text, hx_param *p, char *canon, size_t ccap, char *err,
                       size_t errcap) {
    char *tok[4];
    int nt = 0;
    for (char *t = strtok(text, " \t\n"); t && nt < 4; t = strtok(NULL, " \t\n"))
        tok[nt++] = t;
    if (nt < 2) {
        hx_setf(err, errcap,
                "--call: argument \"%s\" has no name (the names say what goes where: %s, …)",
                nt ? tok[0] : "", "app_id, derived_pub, app_sig, kms_sig");
        return -1;
    }
    if (nt > 3 || (nt == 3 && strcmp(tok[1], "memory") && strcmp(tok[1], "calldata"))) {
        hx_setf(err, errcap, "--call: cannot read argument \"%s %s\"", tok[0], tok[1]);
        return -1;
    }
    char one[96];
    ds_abi_types t;
    hx_setf(one, sizeof one, "(%s)", tok[0]);
    if (ds_abi_parse(one, strlen(one), &t, NULL) != DS_OK || t.node[t.root].ncomp != 1) {
        hx_setf(err, errcap, "--call: \"%s\" is not a Solidity type", tok[0]);
        return -1;
    }
    const ds_abi_type *ty = &t.node[t.node[t.root].child];
    ds_abi_type_str(&t, t.node[t.root].child, canon, ccap);
    hx_setf(p->name, sizeof p->name, "%s", tok[nt - 1]);
    if (role_of(p->name, &p->role) != 0) {
        hx_setf(err, errcap,
                "--call: argument \"%s\" has no known role; name each argument one of app_id, "
                "derived_pub, app_sig, kms_sig, app_pub, purpose, path, domain, algorithm, version",
                p->name);
        return -1;
    }
    p->kind = ty->kind;
    p->size = ty->size;
    if (!type_ok(p->role, ty->kind, ty->size)) {
        hx_setf(err, errcap, "--call: %s is a %s here; the harness can fill it as %s", p->name,
                canon, ROLE_TYPES[p->role]);
        return -1;
    }
    return 0;
}

/* The return list after ')': "", "returns (bool)", "(bool)", with modifiers skipped. */
static int parse_returns(char *rest, hx_call_spec *c, char *err, size_t errcap) {
    static const char *const skip[] = {"external", "public", "view", "pure", "payable", "returns"};
    rest = trim(rest);
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++) {
            size_t n = strlen(skip[i]);
            if (strncmp(rest, skip[i], n) == 0 &&
                (rest[n] == '\0' || rest[n] == ' ' || rest[n] == '(')) {
                rest = trim(rest + n);
                again = 1;
            }
        }
    }
    c->returns = -1;
    if (*rest == '\0') return 0;
    size_t n = strlen(rest);
    if (rest[0] != '(' || rest[n - 1] != ')') {
        hx_setf(err, errcap,
                "--call: cannot read \"%s\" after the arguments (write returns (bool))", rest);
        return -1;
    }
    rest[n - 1] = '\0';
    char *in = trim(rest + 1);
    if (*in == '\0') {
        c->returns = 0;
        return 0;
    }
    if (strncmp(in, "bool", 4) == 0 && (in[4] == '\0' || in[4] == ' ') && !strchr(in, ',')) {
        c->returns = 1;
        return 0;
    }
    hx_setf(err, errcap, "--call: returns (%s): the harness reads a bool or nothing", in);
    return -1;
}

int hx_call_parse(const char *text, hx_call_spec *c, char *err, size_t errcap) {
    char buf[1024], types[DS_ABI_SIG_MAX] = "";
    memset(c, 0, sizeof *c);
    if (text == NULL || strlen(text) >= sizeof buf) {
        hx_setf(err, errcap, "--call: missing or too long");
        return -1;
    }
    strcpy(buf, text);
    char *open = strchr(buf, '('), *close = open ? strchr(open, ')') : NULL;
    if (!open || !close) {
        hx_setf(err, errcap,
                "--call: write it as name(type arg, …), e.g. "
                "'verify(bytes32 app_id, bytes derived_pub, bytes app_sig, bytes kms_sig, "
                "string purpose)'");
        return -1;
    }
    *open = *close = '\0';
    char *fname = trim(buf);
    if (strchr(open + 1, '(') || strchr(open + 1, '[')) {
        hx_setf(err, errcap, "--call: tuple and array arguments are not supported");
        return -1;
    }
    if (*fname == '\0' || strchr(fname, ' ')) {
        hx_setf(err, errcap, "--call: \"%s\" is not a function name", fname);
        return -1;
    }
    if (parse_returns(close + 1, c, err, errcap) != 0) return -1;
    char *args = trim(open + 1), *save = NULL;
    for (char *a = *args ? strtok_r(args, ",", &save) : NULL; a; a = strtok_r(NULL, ",", &save)) {
        char canon[64];
        if (c->np == HX_CALL_MAXP) {
            hx_setf(err, errcap, "--call: more than %d arguments", HX_CALL_MAXP);
            return -1;
        }
        hx_param *p = &c->p[c->np];
        if (parse_param(a, p, canon, sizeof canon, err, errcap) != 0) return -1;
        if (c->has[p->role]) {
            hx_setf(err, errcap, "--call: two arguments are %s", ROLE_NAMES[p->role]);
            return -1;
        }
        c->has[p->role] = 1;
        size_t tl = strlen(types);
        hx_setf(types + tl, sizeof types - tl, "%s%s", c->np ? "," : "", canon);
        c->np++;
    }
    if (!c->has[HX_ROLE_APP_SIG] || !c->has[HX_ROLE_KMS_SIG]) {
        hx_setf(err, errcap,
                "--call: the function must take the chain: an app_sig and a kms_sig argument");
        return -1;
    }
    hx_setf(c->sig, sizeof c->sig, "%s(%s)", fname, types);
    int v1 = c->has[HX_ROLE_DOMAIN] || c->has[HX_ROLE_ALGORITHM];
    int v0 = c->has[HX_ROLE_PURPOSE] || c->has[HX_ROLE_PATH];
    c->speaks[1] = v1 || c->has[HX_ROLE_VERSION];
    c->speaks[0] = v0 || c->has[HX_ROLE_VERSION] || !v1;
    c->nshapes = 1;
    for (int i = 0; i < c->np; i++) {
        if (c->p[i].role == HX_ROLE_APP_ID && c->p[i].kind == DS_ABI_FBYTES && c->p[i].size == 32)
            c->nshapes *= 2;
        if (c->p[i].role == HX_ROLE_APP_PUB && c->p[i].kind == DS_ABI_BYTES) c->nshapes *= 3;
    }
    return 0;
}

/* Shape = id padding (0 right, 1 left; only for bytes32) + key form (0: 33, 1: 64, 2: 65). */
static void shape_of(const hx_call_spec *c, int shape, int *idpad, int *keyform) {
    int nid = 1;
    for (int i = 0; i < c->np; i++)
        if (c->p[i].role == HX_ROLE_APP_ID && c->p[i].kind == DS_ABI_FBYTES && c->p[i].size == 32)
            nid = 2;
    *idpad = shape % nid;
    *keyform = shape / nid;
}

const char *hx_shape_str(const hx_call_spec *c, int shape, char *out, size_t cap) {
    int idpad, keyform;
    static const char *const forms[3] = {"33-byte compressed", "64-byte x||y",
                                         "65-byte uncompressed"};
    shape_of(c, shape, &idpad, &keyform);
    out[0] = '\0';
    size_t n = 0;
    for (int i = 0; i < c->np; i++) {
        const char *w = NULL;
        char tmp[96];
        if (c->p[i].role == HX_ROLE_APP_ID && c->p[i].kind == DS_ABI_FBYTES && c->p[i].size == 32)
            w = idpad ? "app id left-padded in bytes32" : "app id right-padded in bytes32";
        if (c->p[i].role == HX_ROLE_APP_PUB && c->p[i].kind == DS_ABI_BYTES) {
            hx_setf(tmp, sizeof tmp, "app key as %s bytes", forms[keyform]);
            w = tmp;
        }
        if (w) n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? ", " : "", w);
    }
    if (n == 0) hx_setf(out, cap, "the only encoding");
    return out;
}

int hx_url_is_loopback(const char *url) {
    const char *h = url;
    char host[128];
    size_t n = 0;
    if (strncmp(h, "http://", 7) == 0)
        h += 7;
    else if (strncmp(h, "https://", 8) == 0)
        h += 8;
    else
        return 0;
    if (*h == '[') {
        for (h++; *h && *h != ']' && n + 1 < sizeof host; h++)
            host[n++] = *h;
        host[n] = '\0';
        return strcmp(host, "::1") == 0;
    }
    for (; *h && *h != ':' && *h != '/' && n + 1 < sizeof host; h++)
        host[n++] = *h;
    host[n] = '\0';
    if (strcmp(host, "localhost") == 0) return 1;
    unsigned a, b, c2, d;
    char extra;
    return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c2, &d, &extra) == 4 && a == 127 && b < 256 &&
           c2 < 256 && d < 256;
}

int hx_target_open(hx_target *t, const char *url, const uint8_t to[20], const uint8_t *from,
                   char *err, size_t errcap) {
    size_t code = 0;
    uint64_t id;
    char a[43];
    hx_call_spec spec = t->spec;
    memset(t, 0, sizeof *t);
    t->spec = spec;
    if (!hx_url_is_loopback(url)) {
        hx_setf(err, errcap,
                "--rpc %s: the harness only talks to a local chain (127.0.0.1, localhost, [::1]); "
                "run Anvil locally, or fork the remote chain with `anvil --fork-url`",
                url);
        return -1;
    }
    if (hx_chain_open(&t->ch, url) != 0) {
        hx_setf(err, errcap, "%s", t->ch.err);
        return -1;
    }
    memcpy(t->to, to, 20);
    if (ds_rpc_chain_id(&t->ch.rpc, &id) != DS_OK ||
        ds_rpc_code_size(&t->ch.rpc, to, &code) != DS_OK) {
        hx_setf(err, errcap, "%s", ds_rpc_error(&t->ch.rpc));
        return -1;
    }
    if (code == 0) {
        hx_setf(err, errcap, "no contract at %s on %s (wrong address, or was the chain restarted?)",
                hx_addr(to, a), url);
        return -1;
    }
    if (from) {
        memcpy(t->from, from, 20);
    } else {
        uint8_t accts[1][20];
        size_t n = 0;
        if (ds_rpc_accounts(&t->ch.rpc, accts, 1, &n) != DS_OK || n == 0) {
            hx_setf(err, errcap, "the chain at %s lists no accounts: give --from ADDRESS", url);
            return -1;
        }
        memcpy(t->from, accts[0], 20);
    }
    /* our own contracts' custom errors, so that their reverts read as names (optional) */
    if (hx_chain_load_artifacts(&t->ch, 0) != 0) t->ch.err[0] = '\0';
    return 0;
}

void hx_target_close(hx_target *t) { hx_chain_close(&t->ch); }

int hx_target_prepare(const char *cmd, const char *target, const char *call, const char *from_hex,
                      const char *url, hx_target **out) {
    char err[1024];
    uint8_t to[20], from[20];
    *out = NULL;
    if (target == NULL || ds_hex_decode_exact(target, strlen(target), to, 20) != DS_OK)
        return hx_usage_error(cmd, "--target must be a 20-byte contract address");
    if (from_hex && ds_hex_decode_exact(from_hex, strlen(from_hex), from, 20) != DS_OK)
        return hx_usage_error(cmd, "--from must be a 20-byte address");
    if (call == NULL) return hx_usage_error(cmd, "--target needs --call 'name(type arg, ...)'");
    hx_target *t = calloc(1, sizeof *t);
    if (t == NULL) {
        hx_fail("out of memory");
        return 1;
    }
    if (hx_call_parse(call, &t->spec, err, sizeof err) != 0) {
        free(t);
        return hx_usage_error(cmd, err);
    }
    if (hx_target_open(t, url, to, from_hex ? from : NULL, err, sizeof err) != 0) {
        hx_fail("%s", err);
        hx_target_free(t);
        return 1;
    }
    *out = t;
    return 0;
}

void hx_target_free(hx_target *t) {
    if (t == NULL) return;
    hx_target_close(t);
    free(t);
}

/* Calldata of one trial (malloc'd into *cd). Returns 0 or -1 (err). */
static int calldata(const hx_target *t, const hx_trial *tr, uint8_t **cd, size_t *cdlen, char *err,
                    size_t errcap) {
    const hx_call_spec *c = &t->spec;
    ds_abi_value args[HX_CALL_MAXP];
    uint8_t id32[32], keybuf[65], addr[2][20];
    int idpad, keyform;
    shape_of(c, tr->shape, &idpad, &keyform);
    for (int i = 0; i < c->np; i++) {
        const hx_param *p = &c->p[i];
        const char *s = NULL;
        switch (p->role) {
        case HX_ROLE_APP_ID:
            memset(id32, 0, 32);
            memcpy(id32 + (idpad ? 12 : 0), tr->app_id, 20);
            args[i] = p->kind == DS_ABI_ADDRESS ? ds_abi_address(tr->app_id)
                      : p->kind == DS_ABI_BYTES ? ds_abi_bytes(tr->app_id, 20)
                      : p->size == 32           ? ds_abi_fbytes(id32, 32)
                                                : ds_abi_fbytes(tr->app_id, 20);
            break;
        case HX_ROLE_DERIVED_PUB:
        case HX_ROLE_APP_PUB: {
            const uint8_t *k = p->role == HX_ROLE_APP_PUB ? tr->app_pub : tr->derived;
            uint8_t *a = addr[p->role == HX_ROLE_APP_PUB];
            if (p->kind == DS_ABI_ADDRESS) {
                ds_secp_address(k, 33, a);
                args[i] = ds_abi_address(a);
            } else if (p->role == HX_ROLE_APP_PUB && keyform > 0) {
                ds_secp_pub_convert(k, 33, keybuf, 65);
                args[i] = keyform == 1 ? ds_abi_bytes(keybuf + 1, 64) : ds_abi_bytes(keybuf, 65);
            } else {
                args[i] = ds_abi_bytes(k, 33);
            }
            break;
        }
        case HX_ROLE_APP_SIG: args[i] = ds_abi_bytes(tr->link0, 65); break;
        case HX_ROLE_KMS_SIG: args[i] = ds_abi_bytes(tr->link1, 65); break;
        case HX_ROLE_VERSION: args[i] = ds_abi_uint(p->size, (uint64_t)tr->version); break;
        case HX_ROLE_PURPOSE: s = tr->s.purpose; break;
        case HX_ROLE_PATH: s = tr->s.path; break;
        case HX_ROLE_DOMAIN: s = tr->s.domain; break;
        default: s = tr->s.algorithm; break;
        }
        if (s == NULL && p->role >= HX_ROLE_PURPOSE && p->role <= HX_ROLE_ALGORITHM) s = "";
        if (s != NULL)
            args[i] = p->kind == DS_ABI_STRING ? ds_abi_string(s)
                                               : ds_abi_bytes((const uint8_t *)s, strlen(s));
    }
    size_t n = 0;
    *cd = NULL;
    if (ds_abi_encode_call(c->sig, args, (size_t)c->np, NULL, 0, &n) != DS_OK ||
        (*cd = malloc(n)) == NULL ||
        ds_abi_encode_call(c->sig, args, (size_t)c->np, *cd, n, cdlen) != DS_OK) {
        free(*cd);
        *cd = NULL;
        hx_setf(err, errcap, "%s: cannot encode the arguments", c->sig);
        return -1;
    }
    return 0;
}

/* The answer in words from what eth_call returned. Returns 0 or -1 (err). */
static int judge(const hx_target *t, const ds_rpc_call_result *r, hx_answer *a, char *err,
                 size_t errcap) {
    const hx_call_spec *c = &t->spec;
    char why[sizeof a->detail - 16];
    if (r->reverted) {
        a->accepted = 0;
        ds_abi_revert_describe(r->data, r->len, &t->ch.errs, 0, why, sizeof why);
        hx_setf(a->detail, sizeof a->detail, "reverted: %s", why);
        return 0;
    }
    int is_bool = r->len == 32 && r->data[31] <= 1;
    for (size_t i = 0; is_bool && i < 31; i++)
        is_bool = r->data[i] == 0;
    if (c->returns == 1 && !is_bool) {
        hx_setf(err, errcap,
                "%s returned %zu bytes that are not a bool: is `returns (bool)` right?", c->sig,
                r->len);
        return -1;
    }
    if (c->returns != 0 && is_bool) {
        a->accepted = r->data[31] == 1;
        hx_setf(a->detail, sizeof a->detail, "returned %s", a->accepted ? "true" : "false");
    } else {
        a->accepted = 1;
        hx_setf(a->detail, sizeof a->detail, "did not revert");
    }
    return 0;
}

int hx_target_try_many(hx_target *t, const hx_trial *trs, size_t n, hx_answer *ans, char *err,
                       size_t errcap) {
    ds_rpc_call_data *cd = calloc(n ? n : 1, sizeof *cd);
    ds_rpc_call_result *res = calloc(n ? n : 1, sizeof *res);
    int rc = cd && res ? 0 : -1;
    if (rc) hx_setf(err, errcap, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint8_t *p = NULL;
        rc = calldata(t, &trs[i], &p, &cd[i].len, err, errcap);
        cd[i].data = p;
    }
    if (rc == 0) {
        t->calls += n;
        if (ds_rpc_eth_call_batch(&t->ch.rpc, t->from, t->to, cd, n, res) != DS_OK) {
            hx_setf(err, errcap, "%s: %s", t->spec.sig, ds_rpc_error(&t->ch.rpc));
            rc = -1;
        }
    }
    for (size_t i = 0; i < n && cd; i++) {
        if (rc == 0) rc = judge(t, &res[i], &ans[i], err, errcap);
        if (res) ds_rpc_call_result_free(&res[i]);
        free((void *)cd[i].data);
    }
    free(cd);
    free(res);
    return rc;
}

int hx_target_try(hx_target *t, const hx_trial *tr, int *accepted, char *detail, size_t dcap,
                  char *err, size_t errcap) {
    hx_answer a;
    if (hx_target_try_many(t, tr, 1, &a, err, errcap) != 0) return -1;
    *accepted = a.accepted;
    if (detail) hx_setf(detail, dcap, "%s", a.detail);
    return 0;
}
