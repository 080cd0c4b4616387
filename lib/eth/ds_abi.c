/* ds_abi.c — ABI type strings, selectors, encoding and strict decoding (see ds_abi.h).
 *
 * Layout reminder (Solidity ABI spec): a tuple is encoded as its heads followed by the
 * tails of its dynamic components. A static component's head is its encoding; a dynamic
 * component's head is the offset of its tail, counted from the start of the tuple.
 * T[] is a length word followed by the tuple of its elements; T[k] and (…) are tuples;
 * bytes and string are a length word and the contents padded to 32 bytes.
 */
#include "ds_abi.h"

#include <stdio.h>
#include <string.h>

#include "ds_abi_internal.h"
#include "ds_keccak.h"

/* ---- type strings -------------------------------------------------------------------- */

typedef struct {
    const char *s;
    size_t len, pos;
    ds_abi_types *t;
} parser;

static int new_node(ds_abi_types *t, ds_abi_kind kind) {
    if (t->n >= DS_ABI_MAX_TYPES) return -1;
    ds_abi_type *n = &t->node[t->n];
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->child = -1;
    n->next = -1;
    return t->n++;
}

static void skip_sp(parser *p) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t')) p->pos++;
}

static int is_ident(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$';
}

/* Parses an optional decimal suffix starting at s[*i] (no leading zero). -1: bad. */
static long parse_num(const char *s, size_t n, size_t *i) {
    long v = 0;
    size_t start = *i;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        if (*i > start && s[start] == '0') return -1;
        v = v * 10 + (s[*i] - '0');
        if (v > 0xffffffffL) return -1;
        (*i)++;
    }
    return *i == start ? -2 : v; /* -2: no digits */
}

static int parse_base(const char *w, size_t n, ds_abi_types *t) {
    size_t i;
    long bits;
    int idx;
#define IS(lit) (n == sizeof lit - 1 && memcmp(w, lit, n) == 0)
    if (IS("address")) return new_node(t, DS_ABI_ADDRESS);
    if (IS("bool")) return new_node(t, DS_ABI_BOOL);
    if (IS("string")) return new_node(t, DS_ABI_STRING);
    if (IS("bytes")) return new_node(t, DS_ABI_BYTES);
    if (IS("function")) {
        if ((idx = new_node(t, DS_ABI_FBYTES)) >= 0) t->node[idx].size = 24;
        return idx;
    }
#undef IS
    if (n > 5 && memcmp(w, "bytes", 5) == 0) {
        i = 5;
        bits = parse_num(w, n, &i);
        if (i != n || bits < 1 || bits > 32) return -2;
        if ((idx = new_node(t, DS_ABI_FBYTES)) >= 0) t->node[idx].size = (uint16_t)bits;
        return idx;
    }
    ds_abi_kind k;
    if (n >= 4 && memcmp(w, "uint", 4) == 0) {
        k = DS_ABI_UINT;
        i = 4;
    } else if (n >= 3 && memcmp(w, "int", 3) == 0) {
        k = DS_ABI_INT;
        i = 3;
    } else {
        return -2;
    }
    bits = parse_num(w, n, &i);
    if (bits == -2) bits = 256;
    if (i != n || bits < 8 || bits > 256 || bits % 8 != 0) return -2;
    if ((idx = new_node(t, k)) >= 0) t->node[idx].size = (uint16_t)bits;
    return idx;
}

static int parse_type(parser *p, int depth);

static int parse_tuple(parser *p, int depth) {
    if (depth > DS_ABI_MAX_DEPTH) return -1;
    int idx = new_node(p->t, DS_ABI_TUPLE);
    if (idx < 0) return -1;
    p->pos++; /* '(' */
    skip_sp(p);
    if (p->pos < p->len && p->s[p->pos] == ')') {
        p->pos++;
        return idx;
    }
    int prev = -1;
    for (;;) {
        int c = parse_type(p, depth + 1);
        if (c < 0) return -1;
        if (prev < 0)
            p->t->node[idx].child = (int16_t)c;
        else
            p->t->node[prev].next = (int16_t)c;
        prev = c;
        p->t->node[idx].ncomp++;
        skip_sp(p);
        if (p->pos >= p->len) return -1;
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] == ')') {
            p->pos++;
            return idx;
        }
        return -1;
    }
}

static int parse_type(parser *p, int depth) {
    int cur;
    skip_sp(p);
    if (depth > DS_ABI_MAX_DEPTH || p->pos >= p->len) return -1;
    if (p->len - p->pos >= 6 && memcmp(p->s + p->pos, "tuple(", 6) == 0) p->pos += 5;
    if (p->s[p->pos] == '(') {
        cur = parse_tuple(p, depth);
    } else {
        size_t start = p->pos;
        while (p->pos < p->len && is_ident(p->s[p->pos])) p->pos++;
        cur = parse_base(p->s + start, p->pos - start, p->t);
    }
    if (cur < 0) return -1;
    while (p->pos < p->len && p->s[p->pos] == '[') {
        size_t i = p->pos + 1;
        long k = parse_num(p->s, p->len, &i);
        if (k == -1 || k == 0 || i >= p->len || p->s[i] != ']') return -1;
        if (++depth > DS_ABI_MAX_DEPTH) return -1;
        int arr = new_node(p->t, k == -2 ? DS_ABI_ARRAY : DS_ABI_FARRAY);
        if (arr < 0) return -1;
        p->t->node[arr].child = (int16_t)cur;
        if (k > 0) p->t->node[arr].count = (uint32_t)k;
        cur = arr;
        p->pos = i + 1;
    }
    return cur;
}

ds_err ds_abi_parse(const char *s, size_t len, ds_abi_types *t, size_t *consumed) {
    if (s == NULL || t == NULL) return DS_ERR_ARG;
    memset(t, 0, sizeof *t);
    parser p = {s, len, 0, t};
    while (p.pos < len && is_ident(s[p.pos])) p.pos++; /* optional name */
    skip_sp(&p);
    if (p.pos >= len || (s[p.pos] != '(' && !(len - p.pos >= 6 && !memcmp(s + p.pos, "tuple(", 6))))
        return DS_ERR_PARSE;
    if (s[p.pos] != '(') p.pos += 5;
    int root = parse_tuple(&p, 0);
    if (root < 0) return DS_ERR_PARSE;
    skip_sp(&p);
    if (consumed != NULL)
        *consumed = p.pos;
    else if (p.pos != len)
        return DS_ERR_PARSE;
    t->root = root;
    return DS_OK;
}

static void type_str(const ds_abi_types *t, int idx, ds_abi_sb *b) {
    const ds_abi_type *n = &t->node[idx];
    char num[16];
    switch (n->kind) {
    case DS_ABI_UINT:
    case DS_ABI_INT:
        ds_abi_sb_puts(b, n->kind == DS_ABI_UINT ? "uint" : "int");
        snprintf(num, sizeof num, "%u", (unsigned)n->size);
        ds_abi_sb_puts(b, num);
        break;
    case DS_ABI_ADDRESS: ds_abi_sb_puts(b, "address"); break;
    case DS_ABI_BOOL: ds_abi_sb_puts(b, "bool"); break;
    case DS_ABI_FBYTES:
        snprintf(num, sizeof num, "bytes%u", (unsigned)n->size);
        ds_abi_sb_puts(b, num);
        break;
    case DS_ABI_BYTES: ds_abi_sb_puts(b, "bytes"); break;
    case DS_ABI_STRING: ds_abi_sb_puts(b, "string"); break;
    case DS_ABI_ARRAY:
    case DS_ABI_FARRAY:
        type_str(t, n->child, b);
        if (n->kind == DS_ABI_ARRAY) {
            ds_abi_sb_puts(b, "[]");
        } else {
            snprintf(num, sizeof num, "[%u]", (unsigned)n->count);
            ds_abi_sb_puts(b, num);
        }
        break;
    case DS_ABI_TUPLE:
        ds_abi_sb_puts(b, "(");
        for (int c = n->child; c >= 0; c = t->node[c].next) {
            if (c != n->child) ds_abi_sb_puts(b, ",");
            type_str(t, c, b);
        }
        ds_abi_sb_puts(b, ")");
        break;
    }
}

size_t ds_abi_type_str(const ds_abi_types *t, int idx, char *out, size_t cap) {
    ds_abi_sb b;
    ds_abi_sb_init(&b, out, cap);
    if (t != NULL && idx >= 0 && idx < t->n) type_str(t, idx, &b);
    return b.len;
}

ds_err ds_abi_canonical(const char *sig, char *out, size_t cap) {
    ds_abi_types t;
    size_t name_len = 0;
    if (sig == NULL || out == NULL) return DS_ERR_ARG;
    ds_err rc = ds_abi_parse(sig, strlen(sig), &t, NULL);
    if (rc != DS_OK) return rc;
    while (is_ident(sig[name_len])) name_len++;
    ds_abi_sb b;
    ds_abi_sb_init(&b, out, cap);
    ds_abi_sb_put(&b, sig, name_len);
    type_str(&t, t.root, &b);
    return b.len < cap ? DS_OK : DS_ERR_LEN;
}

ds_err ds_abi_topic(const char *sig, uint8_t topic[32]) {
    char canon[DS_ABI_SIG_MAX * 2];
    if (topic == NULL) return DS_ERR_ARG;
    ds_err rc = ds_abi_canonical(sig, canon, sizeof canon);
    if (rc != DS_OK) return rc == DS_ERR_LEN ? DS_ERR_PARSE : rc;
    ds_keccak256((const uint8_t *)canon, strlen(canon), topic);
    return DS_OK;
}

ds_err ds_abi_selector(const char *sig, uint8_t sel[4]) {
    uint8_t h[32];
    if (sel == NULL) return DS_ERR_ARG;
    ds_err rc = ds_abi_topic(sig, h);
    if (rc == DS_OK) memcpy(sel, h, 4);
    return rc;
}

/* ---- value constructors -------------------------------------------------------------- */

static ds_abi_value scalar(ds_abi_kind k, unsigned size) {
    ds_abi_value v;
    memset(&v, 0, sizeof v);
    v.kind = (uint8_t)k;
    v.size = (uint16_t)size;
    return v;
}

static void put_u64(uint8_t word[32], uint64_t x) {
    for (int i = 0; i < 8; i++) word[31 - i] = (uint8_t)(x >> (8 * i));
}

ds_abi_value ds_abi_uint(unsigned bits, uint64_t x) {
    ds_abi_value v = scalar(DS_ABI_UINT, bits);
    if (bits < 8 || bits > 256 || bits % 8 || (bits < 64 && (x >> bits) != 0)) v.kind = 0;
    put_u64(v.word, x);
    return v;
}

ds_abi_value ds_abi_u64(uint64_t x) { return ds_abi_uint(256, x); }

ds_abi_value ds_abi_uint_be(const uint8_t *be, size_t n) {
    ds_abi_value v = scalar(DS_ABI_UINT, 256);
    if (be == NULL || n > 32)
        v.kind = 0;
    else
        memcpy(v.word + 32 - n, be, n);
    return v;
}

ds_abi_value ds_abi_int(unsigned bits, int64_t x) {
    ds_abi_value v = scalar(DS_ABI_INT, bits);
    if (bits < 8 || bits > 256 || bits % 8) v.kind = 0;
    if (bits < 64) {
        int64_t lim = (int64_t)1 << (bits - 1);
        if (x < -lim || x >= lim) v.kind = 0;
    }
    memset(v.word, x < 0 ? 0xff : 0, 32);
    put_u64(v.word, (uint64_t)x);
    return v;
}

ds_abi_value ds_abi_i64(int64_t x) { return ds_abi_int(256, x); }

ds_abi_value ds_abi_address(const uint8_t addr[20]) {
    ds_abi_value v = scalar(DS_ABI_ADDRESS, 160);
    if (addr == NULL)
        v.kind = 0;
    else
        memcpy(v.word + 12, addr, 20);
    return v;
}

ds_abi_value ds_abi_bool(int b) {
    ds_abi_value v = scalar(DS_ABI_BOOL, 8);
    v.word[31] = b ? 1 : 0;
    return v;
}

ds_abi_value ds_abi_fbytes(const uint8_t *p, size_t n) {
    ds_abi_value v = scalar(DS_ABI_FBYTES, (unsigned)n);
    if (p == NULL || n < 1 || n > 32)
        v.kind = 0;
    else
        memcpy(v.word, p, n);
    return v;
}

ds_abi_value ds_abi_bytes(const uint8_t *p, size_t n) {
    ds_abi_value v = scalar(DS_ABI_BYTES, 0);
    if (p == NULL && n) v.kind = 0;
    v.ptr = p;
    v.len = n;
    return v;
}

ds_abi_value ds_abi_string_n(const char *s, size_t n) {
    ds_abi_value v = ds_abi_bytes((const uint8_t *)s, n);
    if (v.kind) v.kind = DS_ABI_STRING;
    return v;
}

ds_abi_value ds_abi_string(const char *s) { return ds_abi_string_n(s, s ? strlen(s) : 0); }

static ds_abi_value composite(ds_abi_kind k, const ds_abi_value *items, size_t n) {
    ds_abi_value v = scalar(k, 0);
    if (items == NULL && n) v.kind = 0;
    v.items = items;
    v.n = n;
    return v;
}

ds_abi_value ds_abi_array(const ds_abi_value *items, size_t n) { return composite(DS_ABI_ARRAY, items, n); }
ds_abi_value ds_abi_farray(const ds_abi_value *items, size_t n) { return composite(DS_ABI_FARRAY, items, n); }
ds_abi_value ds_abi_tuple(const ds_abi_value *items, size_t n) { return composite(DS_ABI_TUPLE, items, n); }

/* ---- encoding ------------------------------------------------------------------------ */

int ds_abi_is_dynamic(const ds_abi_value *v) {
    switch (v->kind) {
    case DS_ABI_BYTES:
    case DS_ABI_STRING:
    case DS_ABI_ARRAY: return 1;
    case DS_ABI_FARRAY: return v->n > 0 && ds_abi_is_dynamic(&v->items[0]);
    case DS_ABI_TUPLE:
        for (size_t i = 0; i < v->n; i++)
            if (ds_abi_is_dynamic(&v->items[i])) return 1;
        return 0;
    default: return 0;
    }
}

static size_t pad32(size_t n) { return (n + 31) / 32 * 32; }

static size_t seq_size(const ds_abi_value *items, size_t n);

size_t ds_abi_encoded_size(const ds_abi_value *v) {
    switch (v->kind) {
    case DS_ABI_BYTES:
    case DS_ABI_STRING: return 32 + pad32(v->len);
    case DS_ABI_ARRAY: return 32 + seq_size(v->items, v->n);
    case DS_ABI_FARRAY:
    case DS_ABI_TUPLE: return seq_size(v->items, v->n);
    default: return 32;
    }
}

static size_t seq_size(const ds_abi_value *items, size_t n) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ds_abi_is_dynamic(&items[i]) ? 32 + ds_abi_encoded_size(&items[i])
                                               : ds_abi_encoded_size(&items[i]);
    return total;
}

/* Structural validity: known kinds, sizes in range, homogeneous arrays, bounded depth. */
static int same_shape(const ds_abi_value *a, const ds_abi_value *b) {
    if (a->kind != b->kind) return 0;
    if (a->kind == DS_ABI_FBYTES && a->size != b->size) return 0;
    if ((a->kind == DS_ABI_TUPLE || a->kind == DS_ABI_FARRAY) && a->n != b->n) return 0;
    return 1;
}

static int value_ok(const ds_abi_value *v, int depth) {
    if (depth > DS_ABI_MAX_DEPTH) return 0;
    switch (v->kind) {
    case DS_ABI_UINT:
    case DS_ABI_INT:
    case DS_ABI_ADDRESS:
    case DS_ABI_BOOL: return 1;
    case DS_ABI_FBYTES: return v->size >= 1 && v->size <= 32;
    case DS_ABI_BYTES:
    case DS_ABI_STRING: return v->ptr != NULL || v->len == 0;
    case DS_ABI_ARRAY:
    case DS_ABI_FARRAY:
    case DS_ABI_TUPLE:
        if (v->items == NULL && v->n) return 0;
        if (v->kind == DS_ABI_FARRAY && v->n == 0) return 0;
        for (size_t i = 0; i < v->n; i++) {
            if (!value_ok(&v->items[i], depth + 1)) return 0;
            if (v->kind != DS_ABI_TUPLE && !same_shape(&v->items[0], &v->items[i])) return 0;
        }
        return 1;
    default: return 0;
    }
}

static size_t encode_val(const ds_abi_value *v, uint8_t *out, size_t pos);

static size_t encode_seq(const ds_abi_value *items, size_t n, uint8_t *out, size_t pos) {
    size_t head = pos, tail = pos;
    for (size_t i = 0; i < n; i++)
        tail += ds_abi_is_dynamic(&items[i]) ? 32 : ds_abi_encoded_size(&items[i]);
    for (size_t i = 0; i < n; i++) {
        if (ds_abi_is_dynamic(&items[i])) {
            memset(out + head, 0, 32);
            put_u64(out + head, (uint64_t)(tail - pos));
            head += 32;
            tail = encode_val(&items[i], out, tail);
        } else {
            head = encode_val(&items[i], out, head);
        }
    }
    return tail;
}

/* Writes v at out+pos and returns the position after it. */
static size_t encode_val(const ds_abi_value *v, uint8_t *out, size_t pos) {
    switch (v->kind) {
    case DS_ABI_BYTES:
    case DS_ABI_STRING:
        memset(out + pos, 0, 32 + pad32(v->len));
        put_u64(out + pos, (uint64_t)v->len);
        if (v->len) memcpy(out + pos + 32, v->ptr, v->len);
        return pos + 32 + pad32(v->len);
    case DS_ABI_ARRAY:
        memset(out + pos, 0, 32);
        put_u64(out + pos, (uint64_t)v->n);
        return encode_seq(v->items, v->n, out, pos + 32);
    case DS_ABI_FARRAY:
    case DS_ABI_TUPLE: return encode_seq(v->items, v->n, out, pos);
    default: memcpy(out + pos, v->word, 32); return pos + 32;
    }
}

ds_err ds_abi_encode(const ds_abi_value *v, uint8_t *out, size_t cap, size_t *out_len) {
    if (v == NULL || out_len == NULL || (out == NULL && cap)) return DS_ERR_ARG;
    if (!value_ok(v, 0)) return DS_ERR_ARG;
    size_t n = ds_abi_encoded_size(v);
    *out_len = n;
    if (n > cap) return DS_ERR_LEN;
    if (n) encode_val(v, out, 0);
    return DS_OK;
}

int ds_abi_word_clean(const ds_abi_type *n, const uint8_t w[32]) {
    size_t i;
    switch (n->kind) {
    case DS_ABI_UINT:
        for (i = 0; i < 32 - n->size / 8u; i++)
            if (w[i]) return 0;
        return 1;
    case DS_ABI_INT: {
        size_t top = 32 - n->size / 8u; /* bytes that must equal the sign extension */
        uint8_t ext = (w[top] & 0x80) ? 0xff : 0;
        for (i = 0; i < top; i++)
            if (w[i] != ext) return 0;
        return 1;
    }
    case DS_ABI_ADDRESS:
        for (i = 0; i < 12; i++)
            if (w[i]) return 0;
        return 1;
    case DS_ABI_BOOL:
        for (i = 0; i < 31; i++)
            if (w[i]) return 0;
        return w[31] <= 1;
    case DS_ABI_FBYTES:
        for (i = n->size; i < 32; i++)
            if (w[i]) return 0;
        return 1;
    default: return 0;
    }
}

ds_err ds_abi_check(const ds_abi_types *t, int idx, const ds_abi_value *v) {
    if (t == NULL || v == NULL || idx < 0 || idx >= t->n) return DS_ERR_ARG;
    const ds_abi_type *n = &t->node[idx];
    if (n->kind != v->kind) return DS_ERR_ARG;
    switch (n->kind) {
    case DS_ABI_FBYTES:
        if (v->size != n->size) return DS_ERR_ARG;
        /* fall through */
    case DS_ABI_UINT:
    case DS_ABI_INT:
    case DS_ABI_ADDRESS:
    case DS_ABI_BOOL: return ds_abi_word_clean(n, v->word) ? DS_OK : DS_ERR_ARG;
    case DS_ABI_BYTES:
    case DS_ABI_STRING: return (v->ptr != NULL || v->len == 0) ? DS_OK : DS_ERR_ARG;
    case DS_ABI_ARRAY:
    case DS_ABI_FARRAY:
        if (n->kind == DS_ABI_FARRAY && v->n != n->count) return DS_ERR_ARG;
        if (v->items == NULL && v->n) return DS_ERR_ARG;
        for (size_t i = 0; i < v->n; i++)
            if (ds_abi_check(t, n->child, &v->items[i]) != DS_OK) return DS_ERR_ARG;
        return DS_OK;
    case DS_ABI_TUPLE: {
        if (v->n != n->ncomp || (v->items == NULL && v->n)) return DS_ERR_ARG;
        size_t i = 0;
        for (int c = n->child; c >= 0; c = t->node[c].next, i++)
            if (ds_abi_check(t, c, &v->items[i]) != DS_OK) return DS_ERR_ARG;
        return DS_OK;
    }
    }
    return DS_ERR_ARG;
}

ds_err ds_abi_encode_call(const char *sig, const ds_abi_value *args, size_t nargs,
                          uint8_t *out, size_t cap, size_t *out_len) {
    ds_abi_types t;
    uint8_t sel[4];
    size_t n;
    if (sig == NULL || out_len == NULL || (args == NULL && nargs)) return DS_ERR_ARG;
    ds_err rc = ds_abi_parse(sig, strlen(sig), &t, NULL);
    if (rc == DS_OK) rc = ds_abi_selector(sig, sel);
    if (rc != DS_OK) return DS_ERR_PARSE;
    ds_abi_value tuple = ds_abi_tuple(args, nargs);
    if (ds_abi_check(&t, t.root, &tuple) != DS_OK || !value_ok(&tuple, 0)) return DS_ERR_ARG;
    *out_len = 4 + ds_abi_encoded_size(&tuple);
    if (out == NULL) return DS_OK;
    if (*out_len > cap) return DS_ERR_LEN;
    memcpy(out, sel, 4);
    return ds_abi_encode(&tuple, out + 4, cap - 4, &n);
}

