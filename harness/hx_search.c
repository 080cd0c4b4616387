/* hx_search.c — the combination search, the soundness probes and the verdict for
 * `matrix --target` (see hx_search.h).
 *
 * A format is a set of deviations from dstack's format, at most one per axis, for one
 * claim version (the "table": what the contract's call speaks). Formats are tried
 * smallest first: dstack's own (the empty set), each single deviation, then — only when
 * neither passes — every combination of 2, 3, … deviations up to max_changes, stopping at
 * the first size where anything passes: those sets are the format the contract
 * implements. Every format is tried under each argument encoding the call allows. The
 * combination search stops early when the time budget runs out (checked before each
 * JSON-RPC batch); the verdict then says how deep it got.
 */
#include "hx_search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_keccak.h"
#include "ds_secp.h"
#include "hx_out.h"
#include "hx_proc.h"

static const char *const AXES[] = {"digest",       "v byte",    "app id",  "app key",
                                   "claim",        "separator", "version", "v1 lengths",
                                   "v1 algorithm", "v1 domain"};
enum { AX_CLAIM = 4, AX_VERSION = 6, AX_V1_FIRST = 7, NAXES = 10 };

/* What the contract does where dstack does something else, per deviation. */
static const struct {
    const char *name, *contract, *dstack;
} WORDS[] = {
    {"eip191-app", "hashes the app claim as an EIP-191 personal message", "signs keccak256(claim)"},
    {"eip191-kms", "hashes the KMS message as an EIP-191 personal message",
     "signs keccak256(message)"},
    {"eip191", "hashes both messages as EIP-191 personal messages", "signs their plain keccak256"},
    {"sha3-app", "hashes the app claim with FIPS SHA3-256", "signs its Keccak-256"},
    {"sha3-kms", "hashes the KMS message with FIPS SHA3-256", "signs its Keccak-256"},
    {"sha3", "hashes both messages with FIPS SHA3-256", "signs their Keccak-256"},
    {"v27-app", "expects v = 27/28 in the app signature (no +27 before ecrecover)",
     "'s blobs carry v = 0/1"},
    {"v27-kms", "expects v = 27/28 in the KMS signature (no +27 before ecrecover)",
     "'s blobs carry v = 0/1"},
    {"v27", "expects v = 27/28 in both signatures (no +27 before ecrecover)",
     "'s blobs carry v = 0/1"},
    {"appid32-right", "puts the app id right-padded to 32 bytes in the KMS message",
     "signs its 20 raw bytes"},
    {"appid32-left", "puts the app id left-padded to 32 bytes in the KMS message",
     "signs its 20 raw bytes"},
    {"appid-hex", "puts the app id as hex text in the KMS message", "signs its 20 raw bytes"},
    {"appid-0xhex", "puts the app id as 0x-hex text in the KMS message", "signs its 20 raw bytes"},
    {"appkey-uncompressed", "puts the 65-byte uncompressed app key in the KMS message",
     "signs the 33-byte compressed key"},
    {"appkey-xy64", "puts the 64-byte x||y app key in the KMS message",
     "signs the 33-byte compressed key"},
    {"appkey-address", "puts the app key's address in the KMS message",
     "signs the 33-byte compressed key"},
    {"claim-0x", "writes the derived key as 0x-prefixed hex in the claim",
     "writes bare lowercase hex"},
    {"claim-upper", "writes the derived key as uppercase hex in the claim", "writes lowercase hex"},
    {"claim-uncompressed", "puts the 65-byte uncompressed derived key in the claim",
     "uses the 33-byte compressed key"},
    {"claim-address", "puts the derived key's address in the claim",
     "uses the 33-byte compressed key"},
    {"separator-colon", "puts \":\" between app id and app key in the KMS message",
     "'s message has no separator there"},
    {"v1-claim", "verifies the v1 claim LP(tag) || LP(alg) || LP(domain) || LP(pub)",
     "'s v0 GetKey signs purpose:hex(pub)"},
    {"v0-claim", "verifies the v0 claim purpose:hex(pub)",
     "'s v1 GetKey signs LP(tag) || LP(alg) || LP(domain) || LP(pub)"},
    {"v1-no-lengths", "concatenates the v1 claim fields without length prefixes",
     "prefixes each with its u32 big-endian length"},
    {"v1-le-lengths", "writes the v1 claim's lengths little-endian", "writes them big-endian"},
    {"v1-k256", "names the algorithm \"k256\" in the v1 claim", "writes \"secp256k1\""},
    {"v1-domain-path", "puts the path where the v1 claim's domain belongs", "signs the domain"},
    {"v1-domain-purpose", "puts the purpose where the v1 claim's domain belongs",
     "signs the domain"},
};

static const struct {
    const char *name, *what;
} PROBES[] = {
    {"other-root", "a chain issued under another KMS root"},
    {"any-app-signature", "an app signature made by a key the KMS never certified"},
    {"unbound-derived-key", "a valid proof presented for another derived key"},
    {"unbound-app-id", "a valid proof presented for another app id"},
    {"unbound-purpose", "a valid proof presented with another purpose (or domain)"},
};
enum { P_ROOT, P_APPSIG, P_DERIVED, P_APPID, P_PURPOSE, NPROBES };

static int axis_of(const hx_variant *v) {
    for (int i = 0; i < NAXES; i++)
        if (strcmp(v->axis, AXES[i]) == 0) return i;
    return -1;
}

const char *hx_dev_name(const hx_variant *v, int version, char *out, size_t cap) {
    int generic = v->verifier == 0 && v->ax.version == 0;
    hx_setf(out, cap, "%s%s", version == 1 && generic ? "v1:" : "", v->name);
    return out;
}

const char *hx_set_name(const hx_set *st, char *out, size_t cap) {
    char one[64];
    size_t n = 0;
    if (st->n == 0) return hx_setf(out, cap, "%s", st->version ? "v1-canonical" : "canonical"), out;
    out[0] = '\0';
    for (int i = 0; i < st->n; i++)
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", i ? "+" : "",
                              hx_dev_name(st->dev[i], st->version, one, sizeof one));
    return out;
}

static hx_row *add_row(hx_search *s) {
    if (s->nrows == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        hx_row *r = realloc(s->rows, (size_t)s->cap * sizeof *r);
        if (r == NULL) abort();
        s->rows = r;
    }
    hx_row *r = &s->rows[s->nrows++];
    memset(r, 0, sizeof *r);
    return r;
}

/* A deviation the table of `version` may use. */
static int dev_usable(const hx_search *s, const hx_variant *v, int version) {
    int ax = axis_of(v);
    if (ax < 0 || v->ax.root != DS_VROOT_TRUE) return 0;
    if (ax == AX_VERSION) return v->verifier == version && !s->t->spec.speaks[1 - version];
    /* a v1 claim naming the path or purpose is the canonical chain when they equal the domain */
    if (v->ax.domain_src == DS_VDOM_PATH && strcmp(s->s.path, s->s.domain) == 0) return 0;
    if (v->ax.domain_src == DS_VDOM_PURPOSE && strcmp(s->s.purpose, s->s.domain) == 0) return 0;
    return 1;
}

/* The chain's claim version under a set, or -1 when the set mixes the versions' axes. */
static int set_version(const hx_set *st) {
    int cv = st->version, seen[NAXES] = {0};
    for (int i = 0; i < st->n; i++)
        if (axis_of(st->dev[i]) == AX_VERSION) cv = 1 - cv;
    for (int i = 0; i < st->n; i++) {
        int a = axis_of(st->dev[i]);
        if (seen[a]++ || (a == AX_CLAIM && cv != 0) || (a >= AX_V1_FIRST && cv != 1)) return -1;
    }
    return cv;
}

static void compose(const hx_set *st, int cv, ds_variant_axes *ax) {
    memset(ax, 0, sizeof *ax);
    for (int i = 0; i < st->n; i++) {
        const ds_variant_axes *d = &st->dev[i]->ax;
#define MAXF(f) ax->f = d->f > ax->f ? d->f : ax->f
        MAXF(app_dg), MAXF(kms_dg), MAXF(app_v27), MAXF(kms_v27), MAXF(appid), MAXF(appkey);
        MAXF(claim), MAXF(sep), MAXF(lp), MAXF(alg_name), MAXF(domain_src);
#undef MAXF
    }
    ax->version = (uint8_t)cv;
}

/* What a chain of claim version cv is asked for in the table of `version`: a chain of the
 * other version takes the call's string in place of its own (purpose <-> domain). */
static ds_variant_req request(const hx_search *s, int version, int cv) {
    ds_variant_req rq = {s->s.path, s->s.purpose, s->s.domain, DS_KEY_SECP256K1};
    if (version == 0 && cv == 1) rq.domain = s->s.purpose;
    if (version == 1 && cv == 0) rq.purpose = s->s.domain;
    return rq;
}

typedef struct {
    int accepted, shape;
    char detail[600];
} answer;

/* The encodings to try, the preferred one first. */
static int shape_order(const hx_search *s, int shape, int order[]) {
    int n = shape >= 0 ? 1 : s->t->spec.nshapes, first = shape >= 0 ? shape : s->pref_shape;
    for (int i = 0; i < n; i++)
        order[i] = i == 0 ? first : i <= first ? i - 1 : i;
    return n;
}

/* Folds the answers of one chain under its encodings (in order[]) into one. */
static void fold(const hx_answer *as, const int *order, int n, answer *ans) {
    ans->accepted = 0;
    ans->shape = order[0];
    HX_SET(ans->detail, "%s", as[0].detail);
    for (int i = 0; i < n; i++)
        if (as[i].accepted) {
            ans->accepted = 1;
            ans->shape = order[i];
            HX_SET(ans->detail, "%s", as[i].detail);
            return;
        }
}

/* Runs a chain through the contract under every encoding (or only `shape` >= 0). */
static int run(hx_search *s, const ds_variant_chain *ch, const hx_trial *base, int shape,
               answer *ans) {
    char err[1024];
    hx_trial tr[HX_MAX_SHAPES];
    hx_answer as[HX_MAX_SHAPES];
    int order[HX_MAX_SHAPES], n = shape_order(s, shape, order);
    for (int i = 0; i < n; i++) {
        tr[i] = *base;
        tr[i].link0 = ch->link0, tr[i].link1 = ch->link1;
        if (!tr[i].app_pub) tr[i].app_pub = ch->app_pub;
        if (!tr[i].derived) tr[i].derived = ch->derived_pub;
        tr[i].shape = order[i];
    }
    if (hx_target_try_many(s->t, tr, (size_t)n, as, err, sizeof err) != 0) {
        hx_fail("%s", err);
        return -1;
    }
    fold(as, order, n, ans);
    return 0;
}

static hx_trial trial_for(const hx_search *s, int cv) {
    hx_trial tr;
    memset(&tr, 0, sizeof tr);
    tr.app_id = s->app_id;
    tr.s = s->s;
    tr.version = cv;
    return tr;
}

/* Builds the chain of format st; its claim version, or -1 when st is not a format. */
static int build(const hx_search *s, const hx_set *st, ds_variant_chain *ch) {
    int cv = set_version(st);
    ds_variant_axes ax;
    if (cv < 0) return -1;
    compose(st, cv, &ax);
    ds_variant_req rq = request(s, st->version, cv);
    return ds_variant_axes_build(&ax, s->root_key, s->app_id, &rq, ch) == DS_OK ? cv : -1;
}

#define HX_BATCH 96 /* formats per JSON-RPC batch */

/* Runs formats sets[0..n) under every encoding (or only `shape` >= 0), HX_BATCH formats per
 * JSON-RPC batch. ok[i] is 0 for a set that is not a format or was not run. With `timed`,
 * no batch starts after s->deadline_ms. Returns 0, 1 when the budget ran out before every
 * set ran, or -1 (message printed). */
static int run_sets(hx_search *s, const hx_set *sets, size_t n, int shape, int timed, answer *ans,
                    int *ok) {
    char err[1024];
    int order[HX_MAX_SHAPES], ns = shape_order(s, shape, order);
    ds_variant_chain *ch = malloc(HX_BATCH * sizeof *ch);
    hx_trial *tr = malloc(HX_BATCH * (size_t)ns * sizeof *tr);
    hx_answer *as = malloc(HX_BATCH * (size_t)ns * sizeof *as);
    int rc = ch && tr && as ? 0 : -1;
    for (size_t i = 0; i < n; i++)
        ok[i] = 0;
    for (size_t base = 0; rc == 0 && base < n; base += HX_BATCH) {
        size_t m = n - base < HX_BATCH ? n - base : HX_BATCH, nt = 0;
        if (timed && hx_now_ms() >= s->deadline_ms) {
            rc = 1;
            break;
        }
        for (size_t i = 0; i < m; i++) {
            int cv = build(s, &sets[base + i], &ch[i]);
            ok[base + i] = cv >= 0;
            if (cv < 0) continue;
            s->formats++;
            for (int k = 0; k < ns; k++, nt++) {
                tr[nt] = trial_for(s, cv);
                tr[nt].link0 = ch[i].link0, tr[nt].link1 = ch[i].link1;
                tr[nt].app_pub = ch[i].app_pub, tr[nt].derived = ch[i].derived_pub;
                tr[nt].shape = order[k];
            }
        }
        if (hx_target_try_many(s->t, tr, nt, as, err, sizeof err) != 0) {
            hx_fail("%s", err);
            rc = -1;
            break;
        }
        for (size_t i = 0, t = 0; i < m; i++)
            if (ok[base + i]) fold(&as[t], order, ns, &ans[base + i]), t += (size_t)ns;
    }
    if (!(ch && tr && as)) hx_fail("out of memory");
    free(ch);
    free(tr);
    free(as);
    return rc;
}

static void remember(hx_search *s, const hx_set *st) {
    if (s->nsets < HX_MAX_SETS) s->sets[s->nsets++] = *st;
}

static void fill_row(hx_search *s, hx_row *r, const hx_set *st, const answer *a) {
    r->version = st->version;
    r->set = *st;
    r->detail_shape = a->shape;
    hx_set_name(st, r->name, sizeof r->name);
    r->accepted = a->accepted;
    HX_SET(r->detail, "%s", a->detail);
    if (a->accepted) hx_shape_str(&s->t->spec, a->shape, r->shape, sizeof r->shape);
}

typedef struct {
    hx_set *v;
    size_t n, cap;
} set_list;

/* Collects every format of exactly `want` deviations from devs[from…] (one per axis). */
static int collect(const hx_variant **devs, int ndev, int from, hx_set *st, int want,
                   set_list *out) {
    if (st->n == want) {
        if (set_version(st) < 0) return 0;
        if (out->n == out->cap) {
            size_t cap = out->cap ? 2 * out->cap : 256;
            hx_set *v = realloc(out->v, cap * sizeof *v);
            if (v == NULL) return -1;
            out->v = v, out->cap = cap;
        }
        out->v[out->n++] = *st;
        return 0;
    }
    for (int i = from; i < ndev; i++) {
        int clash = 0;
        for (int k = 0; k < st->n; k++)
            clash |= axis_of(st->dev[k]) == axis_of(devs[i]);
        if (clash) continue;
        st->dev[st->n++] = devs[i];
        int rc = collect(devs, ndev, i + 1, st, want, out);
        st->n--;
        if (rc < 0) return -1;
    }
    return 0;
}

/* Every format of exactly k deviations; the accepted ones become rows and remembered sets.
 * *found counts them, *shape gets the first one's encoding. Returns 0, 1 when the time
 * budget ran out before every format was tried (those tried are counted), or -1. */
static int combos(hx_search *s, const hx_variant **devs, int ndev, int version, int k, int *found,
                  int *shape) {
    set_list l = {NULL, 0, 0};
    hx_set st = {version, 0, {0}};
    int rc = collect(devs, ndev, 0, &st, k, &l);
    answer *ans = rc == 0 ? calloc(l.n ? l.n : 1, sizeof *ans) : NULL;
    int *ok = rc == 0 ? calloc(l.n ? l.n : 1, sizeof *ok) : NULL;
    if (ans == NULL || ok == NULL) rc = -1;
    if (rc == 0) rc = run_sets(s, l.v, l.n, -1, 1, ans, ok);
    for (size_t i = 0; rc >= 0 && i < l.n; i++) {
        if (!ok[i] || !ans[i].accepted) continue;
        if ((*found)++ == 0) *shape = ans[i].shape;
        remember(s, &l.v[i]);
        hx_row *r = add_row(s);
        r->kind = HX_ROW_COMBO;
        HX_SET(r->axis, "combination");
        HX_SET(r->what, "%d changes together", k);
        fill_row(s, r, &l.v[i], &ans[i]);
    }
    free(l.v);
    free(ans);
    free(ok);
    return rc;
}

/* The soundness probes, in the format the contract accepts (fmt, at encoding shape). */
static int probes(hx_search *s, const hx_set *fmt, int shape) {
    static const char other_seed[] = "dstack-harness probe: a key nobody certified";
    uint8_t other[32], other_root[32], msg[512], dg[32], other_id[20];
    ds_variant_chain ch, och;
    ds_variant_axes ax;
    answer a;
    int cv = set_version(fmt);
    const hx_call_spec *c = &s->t->spec;
    compose(fmt, cv, &ax);
    ds_variant_req rq = request(s, fmt->version, cv);
    ds_keccak256((const uint8_t *)other_seed, sizeof other_seed - 1, other);
    ds_variant_wrong_root_key(s->root_key, other_root);
    if (ds_variant_axes_build(&ax, s->root_key, s->app_id, &rq, &ch) != DS_OK) return 0;
    for (int p = 0; p < NPROBES; p++) {
        hx_trial tr = trial_for(s, cv);
        ds_variant_chain use = ch;
        uint8_t other_pub[33];
        char purpose[160], domain[160];
        if (p == P_ROOT) {
            if (ds_variant_axes_build(&ax, other_root, s->app_id, &rq, &och) != DS_OK) continue;
            use = och;
        } else if (p == P_APPSIG) {
            size_t n = ds_variant_axes_app_msg(&ax, &rq, ch.derived_pub, 33, msg, sizeof msg);
            ds_variant_axes_digest(ax.app_dg, msg, n, dg);
            if (n == 0 || ds_secp_sign_recoverable(other, dg, use.link0) != DS_OK) continue;
            if (ax.app_v27) use.link0[64] = (uint8_t)(use.link0[64] + 27);
        } else if (p == P_DERIVED) {
            if (!c->has[HX_ROLE_DERIVED_PUB] || ds_secp_pubkey(other, other_pub, 33) != DS_OK)
                continue;
            tr.derived = other_pub;
        } else if (p == P_APPID) {
            if (!c->has[HX_ROLE_APP_ID]) continue;
            for (int i = 0; i < 20; i++)
                other_id[i] = (uint8_t)(s->app_id[i] ^ 0x5a);
            tr.app_id = other_id;
        } else {
            int flip = cv != fmt->version;
            if (flip || !(cv == 0 ? c->has[HX_ROLE_PURPOSE] : c->has[HX_ROLE_DOMAIN]) ||
                ax.domain_src)
                continue;
            HX_SET(purpose, "%s-replayed", s->s.purpose);
            HX_SET(domain, "%s-replayed", s->s.domain);
            if (cv == 0)
                tr.s.purpose = purpose;
            else
                tr.s.domain = domain;
        }
        if (run(s, &use, &tr, shape, &a) != 0) return -1;
        hx_row *r = add_row(s);
        r->kind = HX_ROW_PROBE;
        r->version = fmt->version;
        r->set = *fmt;
        HX_SET(r->name, "%s", PROBES[p].name);
        HX_SET(r->axis, "soundness");
        char fname[160];
        HX_SET(r->what, "%s (in format %s)", PROBES[p].what, hx_set_name(fmt, fname, sizeof fname));
        r->accepted = a.accepted;
        HX_SET(r->detail, "%s", a.detail);
        if (a.accepted && s->nunsound < HX_MAX_UNSOUND) {
            int dup = 0;
            for (int k = 0; k < s->nunsound; k++)
                dup |= strcmp(s->unsound[k], PROBES[p].name) == 0;
            if (!dup) s->unsound[s->nunsound++] = PROBES[p].name;
        }
    }
    return 0;
}

static int search_version(hx_search *s, int version) {
    const hx_variant *devs[64];
    hx_set sets[65];
    answer ans[65];
    int ok[65], ndev = 0, nsingle = 0, first_set = s->nsets, first_row = s->nrows, shape = -1;
    for (size_t i = 0; i < HX_NVARIANTS && ndev < 64; i++)
        if (dev_usable(s, &HX_VARIANTS[i], version)) devs[ndev++] = &HX_VARIANTS[i];
    /* dstack's own format (tried first: its encoding becomes the preferred one), then every
     * single deviation, in one batch */
    sets[0] = (hx_set){version, 0, {0}};
    if (run_sets(s, sets, 1, -1, 0, ans, ok) < 0) return -1;
    if (ans[0].accepted) s->pref_shape = shape = ans[0].shape;
    for (int i = 0; i < ndev; i++)
        sets[1 + i] = (hx_set){version, 1, {devs[i]}};
    if (run_sets(s, sets + 1, (size_t)ndev, -1, 0, ans + 1, ok + 1) < 0) return -1;
    for (int i = 0; i <= ndev; i++) {
        if (!ok[i]) continue;
        hx_row *r = add_row(s);
        r->kind = i ? HX_ROW_SINGLE : HX_ROW_CANONICAL;
        r->expect = i == 0;
        HX_SET(r->axis, "%s", i ? devs[i - 1]->axis : "sound");
        if (i)
            HX_SET(r->what, "%s", devs[i - 1]->what);
        else
            HX_SET(r->what, "dstack's own %s chain",
                   version ? "v1 (0.6 /v1/GetKey)" : "v0 (GetKey)");
        fill_row(s, r, &sets[i], &ans[i]);
        if (!ans[i].accepted) continue;
        nsingle += i > 0;
        remember(s, &sets[i]);
        if (shape < 0) shape = ans[i].shape;
    }
    s->canonical[version] = ok[0] && ans[0].accepted;
    /* combinations, smallest first, only when nothing simpler passes, deepening until
     * something passes, max_changes is reached or the time budget runs out */
    for (int k = 2; !s->canonical[version] && nsingle == 0 && k <= s->max_changes; k++) {
        int found = 0, rc = 1;
        if (hx_now_ms() < s->deadline_ms) {
            hx_progress("searching combinations of %d changes (%s table)", k,
                        version ? "v1" : "v0");
            rc = combos(s, devs, ndev, version, k, &found, &shape);
            if (rc < 0) return -1;
        }
        if (rc == 1) {
            s->budget_out[version] = k;
            hx_progress(
                "the time budget of %g s ran out while searching combinations of %d changes",
                s->time_budget, k);
            break;
        }
        s->searched_to[version] = k;
        if (found) break;
    }
    /* soundness, in the format the contract accepts (or dstack's when it accepts none) */
    hx_set fmt = {version, 0, {0}};
    if (s->nsets > first_set) {
        fmt = s->sets[first_set];
        /* the rejections read best in the encoding the contract takes: ask again in it */
        int n = 0, idx[65];
        for (int i = first_row; i < s->nrows && n < 65; i++) {
            const hx_row *q = &s->rows[i];
            if (q->kind <= HX_ROW_SINGLE && !q->accepted && q->detail_shape != shape)
                sets[n] = q->set, idx[n++] = i;
        }
        if (run_sets(s, sets, (size_t)n, shape, 0, ans, ok) < 0) return -1;
        for (int i = 0; i < n; i++) {
            HX_SET(s->rows[idx[i]].detail, "%s", ans[i].detail);
            s->rows[idx[i]].detail_shape = shape;
        }
        s->pref_shape = shape;
    }
    return probes(s, &fmt, s->nsets > first_set ? shape : -1);
}

const char *hx_dev_words(const hx_variant *v, char *out, size_t cap) {
    const char *c = v->what, *d = "";
    for (size_t k = 0; k < sizeof WORDS / sizeof WORDS[0]; k++)
        if (strcmp(WORDS[k].name, v->name) == 0) c = WORDS[k].contract, d = WORDS[k].dstack;
    if (d[0] == '\0')
        hx_setf(out, cap, "%s", c);
    else
        hx_setf(out, cap, "it %s where dstack%s%s", c, d[0] == '\'' ? "" : " ", d);
    return out;
}

/* "it hashes … where dstack signs …" for one set. */
static void explain_set(const hx_set *st, char *out, size_t cap) {
    size_t n = 0;
    char w[400];
    for (int i = 0; i < st->n; i++)
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", i ? "; " : "",
                              hx_dev_words(st->dev[i], w, sizeof w));
}

static void verdict(hx_search *s) {
    char *v = s->verdict, names[400], why[1600];
    size_t cap = sizeof s->verdict, n = 0;
#define SAY(...) n += (size_t)snprintf(v + n, n < cap ? cap - n : 0, __VA_ARGS__)
    for (int version = 0; version < 2; version++) {
        if (s->canonical[version] < 0) continue;
        const char *vn = version ? "v1" : "v0";
        int best = -1, nbest = 0;
        for (int i = 0; i < s->nsets; i++)
            if (s->sets[i].version == version && s->sets[i].n > 0 &&
                (best < 0 || s->sets[i].n < s->sets[best].n))
                best = i;
        for (int i = 0; i < s->nsets; i++)
            nbest += best >= 0 && s->sets[i].version == version && s->sets[i].n == s->sets[best].n;
        if (n) SAY(" ");
        if (s->canonical[version]) {
            SAY("Your contract accepts dstack's %s chains.", vn);
            if (best >= 0) {
                SAY(" It also accepts %d non-dstack format%s (lenient):", nbest,
                    nbest > 1 ? "s" : "");
                for (int i = 0, k = 0; i < s->nsets; i++)
                    if (s->sets[i].version == version && s->sets[i].n > 0 && k++ < 4)
                        SAY("%s %s", k > 1 ? "," : "",
                            hx_set_name(&s->sets[i], names, sizeof names));
                SAY("%s.", nbest > 4 ? ", …" : "");
            }
        } else if (best >= 0) {
            int k = s->sets[best].n;
            if (k == 1)
                SAY("Your contract rejects dstack's %s chains; it accepts them only with this "
                    "change: ",
                    vn);
            else
                SAY("Your contract rejects dstack's %s chains; it accepts them only with these %d "
                    "changes: ",
                    vn, k);
            for (int i = 0, m = 0; i < s->nsets && m < 4; i++) {
                if (s->sets[i].version != version || s->sets[i].n != k) continue;
                hx_set_name(&s->sets[i], names, sizeof names);
                if (m++ == 0) {
                    explain_set(&s->sets[i], why, sizeof why);
                    SAY("%s — %s", names, why);
                } else {
                    SAY("%s%s", m == 2 ? ". It accepts as well: " : ", ", names);
                }
            }
            SAY(".");
            if (s->budget_out[version] == k)
                SAY(" (The time budget of %g s ran out before every combination of %d changes was "
                    "tried: other sets of %d may pass too.)",
                    s->time_budget, k, k);
        } else if (s->budget_out[version] == 0 && s->searched_to[version] >= HX_MAX_DEVS) {
            SAY("Nothing in the catalogue passes: your contract rejects dstack's %s chains, every "
                "variant and every combination of up to %d changes (the whole catalogue, %lu "
                "formats tried). It checks something the catalogue does not vary — its trusted "
                "KMS root (the chains here are signed under %s",
                vn, s->searched_to[version], s->formats, hx_addr(s->root_addr, names));
            SAY("), the app id, or an argument the harness cannot fill.");
        } else {
            int to = s->searched_to[version], out = s->budget_out[version];
            SAY("Your contract rejects dstack's %s chains, every variant in the catalogue", vn);
            if (to > 1) SAY(" and every combination of up to %d changes", to);
            SAY(" (%lu formats tried)", s->formats);
            if (out)
                SAY(", but the time budget of %g s ran out while combinations of %d changes were "
                    "being tried, so combinations of %d to %d changes were not all searched: give "
                    "--time-budget SECONDS to search deeper.",
                    s->time_budget, out, out, s->max_changes);
            if (!out && s->max_changes < HX_MAX_DEVS)
                SAY("; combinations of %d to %d changes were not searched (--max-changes %d): give "
                    "--max-changes %d to search the whole catalogue.",
                    to > 1 ? to + 1 : 2, HX_MAX_DEVS, s->max_changes, HX_MAX_DEVS);
        }
    }
    /* dstack's chains of a version the call does not speak */
    for (int i = 0; i < s->nrows; i++) {
        const hx_row *r = &s->rows[i];
        if (r->kind == HX_ROW_SINGLE && strcmp(r->axis, "version") == 0)
            SAY(" dstack's %s chains %s.", r->version ? "v0" : "v1",
                r->accepted ? "pass too" : "do not pass (the call speaks only one claim version)");
    }
    for (int i = 0; i < s->nunsound; i++) {
        const char *what = "";
        for (int p = 0; p < NPROBES; p++)
            if (strcmp(PROBES[p].name, s->unsound[i]) == 0) what = PROBES[p].what;
        SAY("%s%s", i ? "; " : " UNSOUND: it also accepts ", what);
    }
    if (s->nunsound) SAY(" — anyone can pass it.");
#undef SAY
}

int hx_search_run(hx_search *s) {
    s->canonical[0] = s->canonical[1] = -1;
    s->deadline_ms = hx_now_ms() + (long)(s->time_budget * 1000.0);
    for (int version = 0; version < 2; version++)
        if (s->t->spec.speaks[version] && search_version(s, version) != 0) return -1;
    verdict(s);
    return 0;
}

void hx_search_free(hx_search *s) {
    free(s->rows);
    s->rows = NULL;
    s->nrows = s->cap = 0;
}
