/* ds_abi_text.c — rendering decoded ABI values as text or JSON, and describing revert
 * data: Error(string), Panic(uint256) with the meaning of its code, custom errors from a
 * caller-owned table (see ds_abi.h).
 *
 * The text form follows Foundry's `cast abi-decode` so that a user can compare the
 * harness output with cast output by eye: decimal integers, EIP-55 addresses, 0x hex
 * bytes, strings quoted with Rust-style escapes, "[a, b]" arrays and "(a, b)" tuples.
 */
#include <stdio.h>
#include <string.h>

#include "ds_abi.h"
#include "ds_abi_internal.h"
#include "ds_secp.h"

char *ds_abi_word_dec(const uint8_t word[32], int is_signed, char out[80]) {
    uint8_t w[32];
    char rev[80];
    size_t n = 0;
    int neg = is_signed && (word[0] & 0x80);
    memcpy(w, word, 32);
    if (neg) { /* two's complement magnitude */
        int carry = 1;
        for (int i = 31; i >= 0; i--) {
            int x = (uint8_t)~w[i] + carry;
            w[i] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    for (;;) {
        int zero = 1;
        unsigned rem = 0;
        for (int i = 0; i < 32; i++) {
            unsigned cur = (rem << 8) | w[i];
            w[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
            if (w[i]) zero = 0;
        }
        rev[n++] = (char)('0' + rem);
        if (zero) break;
    }
    size_t k = 0;
    if (neg) out[k++] = '-';
    while (n) out[k++] = rev[--n];
    out[k] = '\0';
    return out;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const uint8_t *s, size_t n) {
    uint8_t c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) { need = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { need = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 4; cp = c & 0x07; }
    else return 0;
    if (n < need) return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return need;
}

static const char REPLACEMENT[] = "\xef\xbf\xbd";

void ds_abi_sb_json_str(ds_abi_sb *b, const uint8_t *s, size_t n) {
    char esc[8];
    ds_abi_sb_put(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k = utf8_len(s + i, n - i);
        if (k == 0) {
            ds_abi_sb_puts(b, REPLACEMENT);
            i++;
            continue;
        }
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            ds_abi_sb_put(b, esc, 2);
        } else if (c == '\n') {
            ds_abi_sb_puts(b, "\\n");
        } else if (c == '\r') {
            ds_abi_sb_puts(b, "\\r");
        } else if (c == '\t') {
            ds_abi_sb_puts(b, "\\t");
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            ds_abi_sb_puts(b, esc);
        } else {
            ds_abi_sb_put(b, (const char *)s + i, k);
        }
        i += k;
    }
    ds_abi_sb_put(b, "\"", 1);
}

/* Rust Debug-style quoting, as cast prints strings. */
static void text_str(ds_abi_sb *b, const uint8_t *s, size_t n) {
    char esc[16];
    ds_abi_sb_put(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k = utf8_len(s + i, n - i);
        if (k == 0) {
            ds_abi_sb_puts(b, REPLACEMENT);
            i++;
            continue;
        }
        switch (c) {
        case '"': ds_abi_sb_puts(b, "\\\""); break;
        case '\\': ds_abi_sb_puts(b, "\\\\"); break;
        case '\n': ds_abi_sb_puts(b, "\\n"); break;
        case '\r': ds_abi_sb_puts(b, "\\r"); break;
        case '\t': ds_abi_sb_puts(b, "\\t"); break;
        case '\0': ds_abi_sb_puts(b, "\\0"); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(esc, sizeof esc, "\\u{%x}", c);
                ds_abi_sb_puts(b, esc);
            } else {
                ds_abi_sb_put(b, (const char *)s + i, k);
            }
        }
        i += k;
    }
    ds_abi_sb_put(b, "\"", 1);
}

void ds_abi_fmt_value(ds_abi_sb *b, const ds_abi_value *v, int flags) {
    int json = flags & DS_ABI_FMT_JSON;
    char dec[80], addr[43];
    switch (v->kind) {
    case DS_ABI_UINT:
    case DS_ABI_INT:
        ds_abi_word_dec(v->word, v->kind == DS_ABI_INT, dec);
        if (json) ds_abi_sb_puts(b, "\"");
        ds_abi_sb_puts(b, dec);
        if (json) ds_abi_sb_puts(b, "\"");
        return;
    case DS_ABI_ADDRESS:
        ds_eth_checksum(v->word + 12, addr);
        if (json) ds_abi_sb_puts(b, "\"");
        ds_abi_sb_puts(b, addr);
        if (json) ds_abi_sb_puts(b, "\"");
        return;
    case DS_ABI_BOOL: ds_abi_sb_puts(b, v->word[31] ? "true" : "false"); return;
    case DS_ABI_FBYTES:
    case DS_ABI_BYTES:
        if (json) ds_abi_sb_puts(b, "\"");
        ds_abi_sb_puts(b, "0x");
        if (v->kind == DS_ABI_FBYTES)
            ds_abi_sb_hex(b, v->word, v->size);
        else
            ds_abi_sb_hex(b, v->ptr, v->len);
        if (json) ds_abi_sb_puts(b, "\"");
        return;
    case DS_ABI_STRING:
        if (json)
            ds_abi_sb_json_str(b, v->ptr, v->len);
        else
            text_str(b, v->ptr, v->len);
        return;
    case DS_ABI_ARRAY:
    case DS_ABI_FARRAY:
    case DS_ABI_TUPLE:
        ds_abi_sb_puts(b, (json || v->kind != DS_ABI_TUPLE) ? "[" : "(");
        for (size_t i = 0; i < v->n; i++) {
            if (i) ds_abi_sb_puts(b, json ? "," : ", ");
            ds_abi_fmt_value(b, &v->items[i], flags);
        }
        ds_abi_sb_puts(b, (json || v->kind != DS_ABI_TUPLE) ? "]" : ")");
        return;
    default: ds_abi_sb_puts(b, json ? "null" : "?"); return;
    }
}

size_t ds_abi_format(const ds_abi_value *v, int flags, char *out, size_t cap) {
    ds_abi_sb b;
    ds_abi_sb_init(&b, out, cap);
    if (v != NULL) ds_abi_fmt_value(&b, v, flags);
    return b.len;
}

ds_err ds_abi_decode_to_text(const char *types, const uint8_t *data, size_t len, int flags,
                             char *out, size_t cap, size_t *out_len) {
    ds_abi_types t;
    ds_abi_value pool[256];
    size_t used = 0;
    if (out != NULL && cap > 0) out[0] = '\0';
    if (types == NULL || (data == NULL && len)) return DS_ERR_ARG;
    if (ds_abi_parse(types, strlen(types), &t, NULL) != DS_OK) return DS_ERR_PARSE;
    ds_err rc = ds_abi_decode(&t, data, len, pool, 256, &used);
    if (rc != DS_OK) return rc;
    size_t n = ds_abi_format(&pool[0], flags, out, cap);
    if (out_len != NULL) *out_len = n;
    return DS_OK;
}

const char *ds_abi_panic_str(uint64_t code) {
    switch (code) {
    case 0x00: return "generic compiler-inserted panic";
    case 0x01: return "assertion failed (assert)";
    case 0x11: return "arithmetic overflow or underflow";
    case 0x12: return "division or modulo by zero";
    case 0x21: return "conversion to an invalid enum value";
    case 0x22: return "incorrectly encoded storage byte array";
    case 0x31: return "pop() on an empty array";
    case 0x32: return "array index out of bounds";
    case 0x41: return "too much memory allocated, or an array too large";
    case 0x51: return "call to a zero-initialised internal function variable";
    default: return "unknown panic code";
    }
}

#define POOL 256

/* Writes "name: value, …" (text) or {"name":value,…} (JSON) for a decoded tuple. */
static void fmt_args(ds_abi_sb *b, const ds_abi_value *tuple, const char *names, int flags) {
    int json = flags & DS_ABI_FMT_JSON;
    const char *nm = names ? names : "";
    ds_abi_sb_puts(b, json ? "{" : "(");
    for (size_t i = 0; i < tuple->n; i++) {
        const char *end = strchr(nm, ',');
        size_t nlen = end ? (size_t)(end - nm) : strlen(nm);
        char fallback[24];
        if (i) ds_abi_sb_puts(b, json ? "," : ", ");
        if (json) {
            if (nlen == 0) {
                snprintf(fallback, sizeof fallback, "arg%zu", i);
                ds_abi_sb_json_str(b, (const uint8_t *)fallback, strlen(fallback));
            } else {
                ds_abi_sb_json_str(b, (const uint8_t *)nm, nlen);
            }
            ds_abi_sb_puts(b, ":");
        } else if (nlen) {
            ds_abi_sb_put(b, nm, nlen);
            ds_abi_sb_puts(b, ": ");
        }
        ds_abi_fmt_value(b, &tuple->items[i], flags);
        nm = end ? end + 1 : nm + nlen;
    }
    ds_abi_sb_puts(b, json ? "}" : ")");
}

/* Decodes args against the parameter list of sig; 0 on success. */
static int decode_sig_args(const char *sig, const uint8_t *data, size_t len, ds_abi_types *t,
                           ds_abi_value *pool, size_t *used) {
    if (ds_abi_parse(sig, strlen(sig), t, NULL) != DS_OK) return -1;
    return ds_abi_decode(t, data, len, pool, POOL, used) == DS_OK ? 0 : -1;
}

static void json_field(ds_abi_sb *b, const char *key, const char *val, int comma) {
    if (comma) ds_abi_sb_puts(b, ",");
    ds_abi_sb_json_str(b, (const uint8_t *)key, strlen(key));
    ds_abi_sb_puts(b, ":");
    ds_abi_sb_json_str(b, (const uint8_t *)val, strlen(val));
}

/* The one-line text description (also embedded in the JSON form). */
static void describe_text(ds_abi_sb *b, const uint8_t *data, size_t len,
                          const ds_abi_errors *errs, const char **kind,
                          const ds_abi_error_def **def) {
    ds_abi_types t;
    ds_abi_value pool[POOL];
    size_t used;
    char code[80];
    *def = NULL;
    if (len == 0) {
        *kind = "empty";
        ds_abi_sb_puts(b, "reverted without a reason (no revert data)");
        return;
    }
    if (len < 4) {
        *kind = "unknown";
        ds_abi_sb_puts(b, "malformed revert data shorter than a selector: 0x");
        ds_abi_sb_hex(b, data, len);
        return;
    }
    static const uint8_t ERROR_SEL[4] = {0x08, 0xc3, 0x79, 0xa0};
    static const uint8_t PANIC_SEL[4] = {0x4e, 0x48, 0x7b, 0x71};
    if (memcmp(data, ERROR_SEL, 4) == 0 &&
        decode_sig_args("Error(string)", data + 4, len - 4, &t, pool, &used) == 0) {
        *kind = "error";
        ds_abi_sb_puts(b, "Error(");
        ds_abi_fmt_value(b, &pool[1], 0);
        ds_abi_sb_puts(b, ")");
        return;
    }
    if (memcmp(data, PANIC_SEL, 4) == 0 &&
        decode_sig_args("Panic(uint256)", data + 4, len - 4, &t, pool, &used) == 0) {
        uint64_t c = 0;
        *kind = "panic";
        int small = ds_abi_get_u64(&pool[1], &c) == DS_OK;
        ds_abi_sb_puts(b, "Panic(0x");
        if (small) {
            snprintf(code, sizeof code, "%02llx", (unsigned long long)c);
            ds_abi_sb_puts(b, code);
        } else {
            ds_abi_sb_hex(b, pool[1].word, 32);
        }
        ds_abi_sb_puts(b, ": ");
        ds_abi_sb_puts(b, small ? ds_abi_panic_str(c) : "unknown panic code");
        ds_abi_sb_puts(b, ")");
        return;
    }
    for (size_t i = 0; errs != NULL && i < errs->n; i++) {
        const ds_abi_error_def *d = &errs->defs[i];
        if (memcmp(d->selector, data, 4) != 0) continue;
        *kind = "custom";
        *def = d;
        const char *paren = strchr(d->sig, '(');
        ds_abi_sb_put(b, d->sig, paren ? (size_t)(paren - d->sig) : strlen(d->sig));
        if (decode_sig_args(d->sig, data + 4, len - 4, &t, pool, &used) == 0) {
            fmt_args(b, &pool[0], d->names, 0);
        } else {
            ds_abi_sb_puts(b, " (arguments do not decode as ");
            ds_abi_sb_puts(b, d->sig);
            ds_abi_sb_puts(b, ")");
        }
        return;
    }
    *kind = "unknown";
    snprintf(code, sizeof code, " (+%zu bytes of arguments; not an error in the loaded ABIs)",
             len - 4);
    ds_abi_sb_puts(b, "unknown error 0x");
    ds_abi_sb_hex(b, data, 4);
    ds_abi_sb_puts(b, code);
}

size_t ds_abi_revert_describe(const uint8_t *data, size_t len, const ds_abi_errors *errs,
                              int flags, char *out, size_t cap) {
    ds_abi_sb b;
    const char *kind = "unknown";
    const ds_abi_error_def *def = NULL;
    ds_abi_sb_init(&b, out, cap);
    if (data == NULL && len) return 0;
    if (!(flags & DS_ABI_FMT_JSON)) {
        describe_text(&b, data, len, errs, &kind, &def);
        return b.len;
    }
    char text[2048];
    ds_abi_sb tb;
    ds_abi_sb_init(&tb, text, sizeof text);
    describe_text(&tb, data, len, errs, &kind, &def);
    ds_abi_sb_puts(&b, "{");
    json_field(&b, "kind", kind, 0);
    if (def != NULL) {
        ds_abi_types t;
        ds_abi_value pool[POOL];
        size_t used;
        json_field(&b, "signature", def->sig, 1);
        if (decode_sig_args(def->sig, data + 4, len - 4, &t, pool, &used) == 0) {
            ds_abi_sb_puts(&b, ",\"args\":");
            fmt_args(&b, &pool[0], def->names, DS_ABI_FMT_JSON);
        }
    }
    json_field(&b, "text", text, 1);
    ds_abi_sb_puts(&b, ",\"data\":\"0x");
    ds_abi_sb_hex(&b, data, len);
    ds_abi_sb_puts(&b, "\"}");
    return b.len;
}

size_t ds_abi_fmt_args_internal(ds_abi_sb *b, const ds_abi_value *tuple, const char *names,
                                int flags) {
    size_t before = b->len;
    fmt_args(b, tuple, names, flags);
    return b->len - before;
}
