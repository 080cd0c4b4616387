/* ds_abi_dec.c — strict ABI decoding (see ds_abi.h): every offset, length and count is
 * checked against the bytes that remain before it is used, scalar words must be clean
 * for their type, and the number of values is capped at DS_ABI_MAX_VALUES so that
 * hostile offset aliasing cannot multiply the work.
 */
#include <string.h>

#include "ds_abi.h"
#include "ds_abi_internal.h"

/* ---- decoding ------------------------------------------------------------------------ */

typedef struct {
    const ds_abi_types *t;
    const uint8_t *data;
    size_t len;
    ds_abi_value *pool;
    size_t cap;
    size_t used;
} decoder;

/* Reserves n consecutive slots; returns the first, or NULL when only counting (or the
 * pool is too small). Fails with -1 past DS_ABI_MAX_VALUES. */
static int take_slots(decoder *d, size_t n, ds_abi_value **first) {
    if (n > DS_ABI_MAX_VALUES || d->used + n > DS_ABI_MAX_VALUES) return -1;
    *first = (d->pool != NULL && d->used + n <= d->cap) ? &d->pool[d->used] : NULL;
    d->used += n;
    return 0;
}

static int t_dynamic(const ds_abi_types *t, int idx) {
    const ds_abi_type *n = &t->node[idx];
    switch (n->kind) {
    case DS_ABI_BYTES:
    case DS_ABI_STRING:
    case DS_ABI_ARRAY: return 1;
    case DS_ABI_FARRAY: return t_dynamic(t, n->child);
    case DS_ABI_TUPLE:
        for (int c = n->child; c >= 0; c = t->node[c].next)
            if (t_dynamic(t, c)) return 1;
        return 0;
    default: return 0;
    }
}

/* Head size of a component of type idx in its tuple (32 for dynamic types). Saturates
 * at SIZE_MAX/2 so that a huge T[k] never wraps. */
static size_t t_head(const ds_abi_types *t, int idx) {
    const ds_abi_type *n = &t->node[idx];
    if (t_dynamic(t, idx)) return 32;
    if (n->kind == DS_ABI_FARRAY) {
        size_t e = t_head(t, n->child);
        return e > (SIZE_MAX / 2) / (n->count ? n->count : 1) ? SIZE_MAX / 2 : e * n->count;
    }
    if (n->kind == DS_ABI_TUPLE) {
        size_t s = 0;
        for (int c = n->child; c >= 0; c = t->node[c].next) {
            s += t_head(t, c);
            if (s > SIZE_MAX / 2) return SIZE_MAX / 2;
        }
        return s;
    }
    return 32;
}

/* Reads a word at off as a size: fails unless it is below 2^63 and off+32 <= len. */
static int read_size(const decoder *d, size_t off, size_t *out) {
    if (off > d->len || d->len - off < 32) return -1;
    const uint8_t *w = d->data + off;
    for (int i = 0; i < 24; i++)
        if (w[i]) return -1;
    uint64_t x = 0;
    for (int i = 24; i < 32; i++) x = (x << 8) | w[i];
    if (x > (uint64_t)(SIZE_MAX / 2)) return -1;
    *out = (size_t)x;
    return 0;
}

static int decode_at(decoder *d, int idx, size_t off, ds_abi_value *slot);

/* Decodes n components at start: either the components of a tuple (types linked by
 * next, from `first`), or n elements all of type `first` when `same` is set. */
static int decode_seq(decoder *d, int first, size_t n, int same, size_t start,
                      ds_abi_value *slots) {
    size_t head = start;
    int ty = first;
    for (size_t i = 0; i < n; i++) {
        ds_abi_value *slot = slots ? &slots[i] : NULL;
        if (t_dynamic(d->t, ty)) {
            size_t rel;
            if (read_size(d, head, &rel) != 0 || rel > d->len - start) return -1;
            if (decode_at(d, ty, start + rel, slot) != 0) return -1;
            head += 32;
        } else {
            size_t h = t_head(d->t, ty);
            if (h > d->len - head) return -1;
            if (decode_at(d, ty, head, slot) != 0) return -1;
            head += h;
        }
        if (!same) ty = d->t->node[ty].next;
    }
    return 0;
}

static int decode_at(decoder *d, int idx, size_t off, ds_abi_value *slot) {
    const ds_abi_type *n = &d->t->node[idx];
    ds_abi_value *items = NULL;
    size_t count, avail;
    if (off > d->len) return -1;
    if (slot != NULL) {
        memset(slot, 0, sizeof *slot);
        slot->kind = n->kind;
        slot->size = n->size;
    }
    switch (n->kind) {
    case DS_ABI_BYTES:
    case DS_ABI_STRING:
        if (read_size(d, off, &count) != 0 || count > d->len - off - 32) return -1;
        if (slot != NULL) {
            slot->ptr = d->data + off + 32;
            slot->len = count;
        }
        return 0;
    case DS_ABI_ARRAY:
    case DS_ABI_FARRAY:
    case DS_ABI_TUPLE: {
        size_t start = off;
        if (n->kind == DS_ABI_ARRAY) {
            if (read_size(d, off, &count) != 0) return -1;
            start = off + 32;
        } else {
            count = n->kind == DS_ABI_FARRAY ? n->count : n->ncomp;
        }
        avail = d->len - start;
        if (n->kind != DS_ABI_TUPLE) {
            size_t eh = t_head(d->t, n->child);
            /* every element occupies at least its head; zero-size elements are capped by
             * DS_ABI_MAX_VALUES in take_slots */
            if (eh > 0 && count > avail / eh) return -1;
        }
        if (take_slots(d, count, &items) != 0) return -1;
        if (slot != NULL) {
            slot->items = items;
            slot->n = count;
        }
        return decode_seq(d, n->child, count, n->kind != DS_ABI_TUPLE, start, items);
    }
    default:
        if (d->len - off < 32 || !ds_abi_word_clean(n, d->data + off)) return -1;
        if (slot != NULL) memcpy(slot->word, d->data + off, 32);
        return 0;
    }
}

ds_err ds_abi_decode(const ds_abi_types *t, const uint8_t *data, size_t len, ds_abi_value *pool,
                     size_t pool_cap, size_t *used) {
    ds_abi_value *root;
    if (t == NULL || used == NULL || (data == NULL && len) || t->n <= 0 || t->root < 0 ||
        t->root >= t->n || t->node[t->root].kind != DS_ABI_TUPLE)
        return DS_ERR_ARG;
    decoder d = {t, data, len, pool, pool_cap, 0};
    *used = 0;
    if (take_slots(&d, 1, &root) != 0 || decode_at(&d, t->root, 0, root) != 0) return DS_ERR_PARSE;
    *used = d.used;
    if (pool != NULL && d.used > pool_cap) return DS_ERR_LEN;
    return DS_OK;
}

ds_err ds_abi_get_u64(const ds_abi_value *v, uint64_t *out) {
    if (v == NULL || out == NULL || v->kind != DS_ABI_UINT) return DS_ERR_ARG;
    for (int i = 0; i < 24; i++)
        if (v->word[i]) return DS_ERR_LEN;
    uint64_t x = 0;
    for (int i = 24; i < 32; i++) x = (x << 8) | v->word[i];
    *out = x;
    return DS_OK;
}

const uint8_t *ds_abi_get_address(const ds_abi_value *v) {
    return (v != NULL && v->kind == DS_ABI_ADDRESS) ? v->word + 12 : NULL;
}
