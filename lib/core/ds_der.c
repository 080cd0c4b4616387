/* ds_der.c — minimal DER writer and TLV reader (see ds_der.h). */
#include "ds_der.h"

#include <string.h>

void ds_der_put_len(ds_buf *b, size_t len) {
    uint8_t tmp[9];
    size_t n = 0;
    if (len < 0x80) {
        tmp[0] = (uint8_t)len;
        ds_buf_append(b, tmp, 1);
        return;
    }
    for (size_t v = len; v; v >>= 8) n++;
    tmp[0] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++) tmp[1 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
    ds_buf_append(b, tmp, 1 + n);
}

void ds_der_put(ds_buf *b, uint8_t tag, const void *content, size_t len) {
    ds_buf_append(b, &tag, 1);
    ds_der_put_len(b, len);
    if (len) ds_buf_append(b, content, len);
}

void ds_der_wrap(ds_buf *b, uint8_t tag, const ds_buf *inner) {
    if (inner->oom) {
        b->oom = 1;
        return;
    }
    ds_der_put(b, tag, inner->data, inner->len);
}

void ds_der_put_uint_bytes(ds_buf *b, const uint8_t *be, size_t n) {
    while (n > 0 && be[0] == 0) {
        be++;
        n--;
    }
    uint8_t tag = DS_DER_INTEGER, zero = 0;
    ds_buf_append(b, &tag, 1);
    if (n == 0) {
        ds_der_put_len(b, 1);
        ds_buf_append(b, &zero, 1);
        return;
    }
    int pad = (be[0] & 0x80) != 0;
    ds_der_put_len(b, n + (size_t)pad);
    if (pad) ds_buf_append(b, &zero, 1);
    ds_buf_append(b, be, n);
}

void ds_der_put_uint(ds_buf *b, uint64_t v) {
    uint8_t be[8];
    for (int i = 0; i < 8; i++) be[i] = (uint8_t)(v >> (8 * (7 - i)));
    ds_der_put_uint_bytes(b, be, 8);
}

ds_err ds_der_next(const uint8_t **pos, const uint8_t *end, ds_der_tlv *out) {
    const uint8_t *p = *pos;
    if (!p || p >= end || end - p < 2) return DS_ERR_PARSE;
    const uint8_t *start = p;
    uint8_t tag = *p++;
    if ((tag & 0x1f) == 0x1f) return DS_ERR_PARSE; /* multi-byte tag */
    size_t len = *p++;
    if (len & 0x80) {
        size_t n = len & 0x7f;
        if (n == 0 || n > 4 || (size_t)(end - p) < n) return DS_ERR_PARSE;
        len = 0;
        for (size_t i = 0; i < n; i++) len = (len << 8) | *p++;
    }
    if (len > (size_t)(end - p)) return DS_ERR_PARSE;
    out->tag = tag;
    out->p = p;
    out->len = len;
    out->raw = start;
    out->raw_len = (size_t)(p - start) + len;
    *pos = p + len;
    return DS_OK;
}

ds_err ds_der_single(const uint8_t *buf, size_t len, uint8_t tag, ds_der_tlv *out) {
    const uint8_t *p = buf;
    if (ds_der_next(&p, buf + len, out) != DS_OK || out->tag != tag || p != buf + len)
        return DS_ERR_PARSE;
    return DS_OK;
}

ds_err ds_der_get_uint(const ds_der_tlv *t, uint64_t *v) {
    const uint8_t *p = t->p;
    size_t n = t->len;
    if (n == 0 || (p[0] & 0x80)) return DS_ERR_PARSE;
    while (n > 1 && p[0] == 0) {
        p++;
        n--;
    }
    if (n > 8) return DS_ERR_PARSE;
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++) r = (r << 8) | p[i];
    *v = r;
    return DS_OK;
}
