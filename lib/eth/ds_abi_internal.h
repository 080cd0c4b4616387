/* ds_abi_internal.h — helpers shared by ds_abi*.c only (not part of the public API).
 *
 * ds_abi_sb is an snprintf-style writer: it counts every byte it is asked to write and
 * stores those that fit, always leaving room for a terminating NUL.
 */
#ifndef DS_ABI_INTERNAL_H
#define DS_ABI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ds_abi.h"

typedef struct {
    char *out;
    size_t cap;
    size_t len; /* bytes that would have been written */
} ds_abi_sb;

static inline void ds_abi_sb_init(ds_abi_sb *b, char *out, size_t cap) {
    b->out = out;
    b->cap = cap;
    b->len = 0;
    if (out != NULL && cap > 0) out[0] = '\0';
}

static inline void ds_abi_sb_put(ds_abi_sb *b, const char *s, size_t n) {
    if (b->out != NULL && b->cap > 0 && b->len < b->cap - 1) {
        size_t room = b->cap - 1 - b->len;
        size_t k = n < room ? n : room;
        memcpy(b->out + b->len, s, k);
        b->out[b->len + k] = '\0';
    }
    b->len += n;
}

static inline void ds_abi_sb_puts(ds_abi_sb *b, const char *s) { ds_abi_sb_put(b, s, strlen(s)); }

static inline void ds_abi_sb_hex(ds_abi_sb *b, const uint8_t *p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    char two[2];
    for (size_t i = 0; i < n; i++) {
        two[0] = digits[p[i] >> 4];
        two[1] = digits[p[i] & 15];
        ds_abi_sb_put(b, two, 2);
    }
}

struct ds_abi_value;

/* Whether w is a clean 32-byte word for scalar type node n (no dirty high bits in
 * uintN/address, proper sign extension for intN, bool 0/1, zero tail in bytesN)
 * (ds_abi.c). */
int ds_abi_word_clean(const ds_abi_type *n, const uint8_t w[32]);

/* Renders v into b (ds_abi_text.c); flags as for ds_abi_format. */
void ds_abi_fmt_value(ds_abi_sb *b, const struct ds_abi_value *v, int flags);

/* Appends n bytes of s as a JSON string literal (quotes included); invalid UTF-8 bytes
 * become U+FFFD (ds_abi_text.c). */
void ds_abi_sb_json_str(ds_abi_sb *b, const uint8_t *s, size_t n);

/* Renders a decoded tuple as "(name: value, …)" or a JSON object keyed by the
 * comma-separated names (argN when unnamed). Returns the bytes added (ds_abi_text.c). */
size_t ds_abi_fmt_args_internal(ds_abi_sb *b, const struct ds_abi_value *tuple,
                                const char *names, int flags);

#endif
