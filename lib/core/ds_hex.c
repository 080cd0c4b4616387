/* ds_hex.c — strict hex codec (see ds_hex.h). */
#include "ds_hex.h"

/* Digit value + 1 by byte (so that the zero default means "not a hex digit"): a table,
 * since quotes of a few KiB arrive as hex on every verification request. */
static const signed char HEX_VALUE[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

static int hex_digit(char c) { return HEX_VALUE[(unsigned char)c] - 1; }

/* Skips an optional 0x/0X prefix; returns the digits and their count. */
static const char *strip_prefix(const char *hex, size_t *len) {
    if (*len >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
        *len -= 2;
        return hex + 2;
    }
    return hex;
}

long ds_hex_decoded_len(const char *hex, size_t len) {
    if (hex == NULL && len != 0) return -1;
    if (hex == NULL) return 0;
    const char *p = strip_prefix(hex, &len);
    if (len % 2 != 0) return -1;
    for (size_t i = 0; i < len; i++)
        if (hex_digit(p[i]) < 0) return -1;
    return (long)(len / 2);
}

ds_err ds_hex_decode(const char *hex, size_t len, uint8_t *out, size_t cap, size_t *out_len) {
    if (out_len == NULL || (hex == NULL && len != 0)) return DS_ERR_ARG;
    *out_len = 0;
    if (len == 0) return DS_OK;
    const char *p = strip_prefix(hex, &len);
    if (len % 2 != 0) return DS_ERR_HEX;
    size_t n = len / 2;
    if (n > cap || (n > 0 && out == NULL)) {
        /* Still report malformed input before a size problem. */
        return ds_hex_decoded_len(hex, len + (size_t)(p - hex)) < 0 ? DS_ERR_HEX : DS_ERR_LEN;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(p[2 * i]), lo = hex_digit(p[2 * i + 1]);
        if (hi < 0 || lo < 0) return DS_ERR_HEX;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = n;
    return DS_OK;
}

ds_err ds_hex_decode_exact(const char *hex, size_t len, uint8_t *out, size_t n) {
    long got = ds_hex_decoded_len(hex, len);
    if (got < 0) return DS_ERR_HEX;
    if ((size_t)got != n) return DS_ERR_LEN;
    size_t out_len;
    return ds_hex_decode(hex, len, out, n, &out_len);
}

char *ds_hex_encode(const uint8_t *in, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}
