/* ds_abi_json.c — reading the "abi" array of a compiled Foundry artifact
 * (contracts/out/<File>.sol/<Contract>.json): canonical signatures of its items, the
 * custom-error table used to decode reverts, and decoding of event logs (see ds_abi.h).
 *
 * The caller parses the artifact with cJSON and passes the "abi" array; nothing here
 * allocates.
 */
#include <stdio.h>
#include <string.h>

#include "ds_abi.h"
#include "ds_abi_internal.h"

/* Appends the canonical type of one ABI parameter (tuples expanded). 0 on success. */
static int param_type(const cJSON *param, ds_abi_sb *b, int depth) {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(param, "type");
    if (!cJSON_IsString(type) || depth > DS_ABI_MAX_DEPTH) return -1;
    const char *ty = type->valuestring;
    if (strncmp(ty, "tuple", 5) == 0) {
        const cJSON *comps = cJSON_GetObjectItemCaseSensitive(param, "components");
        const cJSON *c;
        int first = 1;
        if (!cJSON_IsArray(comps)) return -1;
        ds_abi_sb_puts(b, "(");
        cJSON_ArrayForEach(c, comps) {
            if (!first) ds_abi_sb_puts(b, ",");
            first = 0;
            if (param_type(c, b, depth + 1) != 0) return -1;
        }
        ds_abi_sb_puts(b, ")");
        ds_abi_sb_puts(b, ty + 5); /* array suffixes, if any */
        return 0;
    }
    ds_abi_sb_puts(b, ty);
    return 0;
}

/* Appends "(T1,T2,…)" for a parameter list; names (if nb) comma-separated. */
static int param_list(const cJSON *params, ds_abi_sb *b, ds_abi_sb *nb) {
    const cJSON *p;
    int first = 1;
    ds_abi_sb_puts(b, "(");
    if (params != NULL && !cJSON_IsArray(params)) return -1;
    cJSON_ArrayForEach(p, params) {
        if (!first) {
            ds_abi_sb_puts(b, ",");
            if (nb) ds_abi_sb_puts(nb, ",");
        }
        first = 0;
        if (param_type(p, b, 0) != 0) return -1;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "name");
        if (nb && cJSON_IsString(name)) ds_abi_sb_puts(nb, name->valuestring);
    }
    ds_abi_sb_puts(b, ")");
    return 0;
}

ds_err ds_abi_item_sig(const cJSON *item, char *sig, size_t cap, char *outputs, size_t ocap,
                       char *names, size_t ncap) {
    ds_abi_sb b, ob, nb;
    if (!cJSON_IsObject(item) || sig == NULL) return DS_ERR_ARG;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(item, "type");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
    ds_abi_sb_init(&b, sig, cap);
    ds_abi_sb_init(&nb, names, names ? ncap : 0);
    if (cJSON_IsString(type) && strcmp(type->valuestring, "constructor") == 0)
        ds_abi_sb_puts(&b, "constructor");
    else if (cJSON_IsString(name))
        ds_abi_sb_puts(&b, name->valuestring);
    else
        return DS_ERR_PARSE;
    if (param_list(cJSON_GetObjectItemCaseSensitive(item, "inputs"), &b, &nb) != 0)
        return DS_ERR_PARSE;
    if (b.len >= cap || (names && nb.len >= ncap)) return DS_ERR_LEN;
    if (outputs != NULL) {
        ds_abi_sb_init(&ob, outputs, ocap);
        if (param_list(cJSON_GetObjectItemCaseSensitive(item, "outputs"), &ob, NULL) != 0)
            return DS_ERR_PARSE;
        if (ob.len >= ocap) return DS_ERR_LEN;
    }
    return DS_OK;
}

const cJSON *ds_abi_find(const cJSON *abi, const char *type, const char *name) {
    const cJSON *item;
    if (!cJSON_IsArray(abi) || type == NULL) return NULL;
    cJSON_ArrayForEach(item, abi) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(item, "type");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(item, "name");
        if (!cJSON_IsString(t) || strcmp(t->valuestring, type) != 0) continue;
        if (name == NULL || (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)) return item;
    }
    return NULL;
}

ds_err ds_abi_errors_add(ds_abi_errors *e, const char *sig, const char *names,
                         const char *source) {
    uint8_t sel[4];
    if (e == NULL || sig == NULL || (e->defs == NULL && e->cap)) return DS_ERR_ARG;
    if (ds_abi_selector(sig, sel) != DS_OK) return DS_ERR_PARSE;
    for (size_t i = 0; i < e->n; i++)
        if (memcmp(e->defs[i].selector, sel, 4) == 0) return DS_OK;
    if (e->n >= e->cap) return DS_ERR_LEN;
    ds_abi_error_def *d = &e->defs[e->n];
    memset(d, 0, sizeof *d);
    memcpy(d->selector, sel, 4);
    if (ds_abi_canonical(sig, d->sig, sizeof d->sig) != DS_OK) return DS_ERR_PARSE;
    snprintf(d->names, sizeof d->names, "%s", names ? names : "");
    snprintf(d->source, sizeof d->source, "%s", source ? source : "");
    e->n++;
    return DS_OK;
}

ds_err ds_abi_errors_add_abi(ds_abi_errors *e, const cJSON *abi, const char *source) {
    const cJSON *item;
    char sig[DS_ABI_SIG_MAX], names[DS_ABI_SIG_MAX];
    if (e == NULL) return DS_ERR_ARG;
    if (!cJSON_IsArray(abi)) return DS_ERR_PARSE;
    cJSON_ArrayForEach(item, abi) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(item, "type");
        if (!cJSON_IsString(t) || strcmp(t->valuestring, "error") != 0) continue;
        ds_err rc = ds_abi_item_sig(item, sig, sizeof sig, NULL, 0, names, sizeof names);
        if (rc == DS_OK) rc = ds_abi_errors_add(e, sig, names, source);
        if (rc != DS_OK) return rc;
    }
    return DS_OK;
}

#define MAX_EVENT_INPUTS 32
#define POOL 256

/* Describes a log whose topics[0] matched event `item` (signature sig). 0 on success. */
static int describe_event(ds_abi_sb *b, const cJSON *item, const char *sig,
                          const uint8_t (*topics)[32], size_t ntopics, const uint8_t *data,
                          size_t len, int flags) {
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(item, "inputs");
    const cJSON *in;
    ds_abi_value items[MAX_EVENT_INPUTS], pool[POOL];
    char names[DS_ABI_SIG_MAX], plain[DS_ABI_SIG_MAX], one[DS_ABI_SIG_MAX];
    ds_abi_sb nb, pb;
    ds_abi_types t, tone;
    size_t n = 0, used, topic_i = 1;
    int is_indexed[MAX_EVENT_INPUTS];
    ds_abi_sb_init(&nb, names, sizeof names);
    ds_abi_sb_init(&pb, plain, sizeof plain);
    ds_abi_sb_puts(&pb, "(");
    cJSON_ArrayForEach(in, inputs) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(in, "name");
        if (n >= MAX_EVENT_INPUTS) return -1;
        if (n) ds_abi_sb_puts(&nb, ",");
        if (cJSON_IsString(nm)) ds_abi_sb_puts(&nb, nm->valuestring);
        is_indexed[n] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "indexed"));
        if (!is_indexed[n]) {
            if (pb.len > 1) ds_abi_sb_puts(&pb, ",");
            if (param_type(in, &pb, 0) != 0) return -1;
        }
        n++;
    }
    ds_abi_sb_puts(&pb, ")");
    if (pb.len >= sizeof plain || nb.len >= sizeof names) return -1;
    if (ds_abi_parse(plain, strlen(plain), &t, NULL) != DS_OK ||
        ds_abi_decode(&t, data, len, pool, POOL, &used) != DS_OK)
        return -1;
    size_t plain_i = 0, i = 0;
    cJSON_ArrayForEach(in, inputs) {
        if (!is_indexed[i]) {
            items[i] = pool[0].items[plain_i++];
        } else {
            ds_abi_sb ob;
            if (topic_i >= ntopics) return -1;
            ds_abi_sb_init(&ob, one, sizeof one);
            ds_abi_sb_puts(&ob, "(");
            if (param_type(in, &ob, 0) != 0) return -1;
            ds_abi_sb_puts(&ob, ")");
            if (ob.len >= sizeof one || ds_abi_parse(one, strlen(one), &tone, NULL) != DS_OK)
                return -1;
            const ds_abi_type *ty = &tone.node[tone.node[tone.root].child];
            int scalar = ty->kind == DS_ABI_UINT || ty->kind == DS_ABI_INT ||
                         ty->kind == DS_ABI_ADDRESS || ty->kind == DS_ABI_BOOL ||
                         ty->kind == DS_ABI_FBYTES;
            ds_abi_value v = ds_abi_fbytes(topics[topic_i], 32); /* hash of a dynamic value */
            if (scalar) {
                memset(&v, 0, sizeof v);
                v.kind = ty->kind;
                v.size = ty->size;
                memcpy(v.word, topics[topic_i], 32);
                if (ds_abi_check(&tone, tone.node[tone.root].child, &v) != DS_OK) return -1;
            }
            items[i] = v;
            topic_i++;
        }
        i++;
    }
    ds_abi_value tuple = ds_abi_tuple(items, n);
    const char *paren = strchr(sig, '(');
    size_t name_len = paren ? (size_t)(paren - sig) : strlen(sig);
    if (flags & DS_ABI_FMT_JSON) {
        ds_abi_sb_puts(b, "{\"event\":");
        ds_abi_sb_json_str(b, (const uint8_t *)sig, name_len);
        ds_abi_sb_puts(b, ",\"signature\":");
        ds_abi_sb_json_str(b, (const uint8_t *)sig, strlen(sig));
        ds_abi_sb_puts(b, ",\"args\":");
        ds_abi_fmt_args_internal(b, &tuple, names, DS_ABI_FMT_JSON);
        ds_abi_sb_puts(b, "}");
    } else {
        ds_abi_sb_put(b, sig, name_len);
        ds_abi_fmt_args_internal(b, &tuple, names, 0);
    }
    return 0;
}

size_t ds_abi_log_describe(const cJSON *abi, const uint8_t (*topics)[32], size_t ntopics,
                           const uint8_t *data, size_t len, int flags, char *out, size_t cap) {
    ds_abi_sb b;
    const cJSON *item;
    char sig[DS_ABI_SIG_MAX];
    uint8_t topic[32];
    ds_abi_sb_init(&b, out, cap);
    if (ntopics > 0 && topics != NULL && (data != NULL || len == 0)) {
        cJSON_ArrayForEach(item, abi) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(item, "type");
            if (!cJSON_IsString(t) || strcmp(t->valuestring, "event") != 0) continue;
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "anonymous"))) continue;
            if (ds_abi_item_sig(item, sig, sizeof sig, NULL, 0, NULL, 0) != DS_OK) continue;
            if (ds_abi_topic(sig, topic) != DS_OK || memcmp(topic, topics[0], 32) != 0) continue;
            size_t mark = b.len;
            if (describe_event(&b, item, sig, topics, ntopics, data, len, flags) == 0) return b.len;
            /* a malformed log for a known event: fall through to the raw form */
            b.len = mark;
            if (out != NULL && mark < cap) out[mark] = '\0';
            break;
        }
    }
    if (flags & DS_ABI_FMT_JSON) {
        ds_abi_sb_puts(&b, "{\"event\":null,\"topic0\":\"0x");
        if (ntopics && topics) ds_abi_sb_hex(&b, topics[0], 32);
        ds_abi_sb_puts(&b, "\",\"data\":\"0x");
        ds_abi_sb_hex(&b, data, len);
        ds_abi_sb_puts(&b, "\"}");
    } else {
        ds_abi_sb_puts(&b, "unknown event ");
        if (ntopics && topics) {
            ds_abi_sb_puts(&b, "0x");
            ds_abi_sb_hex(&b, topics[0], 32);
        } else {
            ds_abi_sb_puts(&b, "(anonymous)");
        }
    }
    return b.len;
}
