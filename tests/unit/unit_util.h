/* unit_util.h — small helpers shared by the cmocka unit suites. */
#ifndef UNIT_UTIL_H
#define UNIT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ds_hex.h"

/* Decodes hex that the test itself supplies; fails the test on malformed input. */
static inline size_t unhex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = 0;
    assert_int_equal(ds_hex_decode(hex, strlen(hex), out, cap, &n), DS_OK);
    return n;
}

/* Asserts that the n bytes at got hex-encode to exactly want (lowercase, no 0x). */
#define assert_hex_equal(got, n, want)                                                             \
    do {                                                                                           \
        char hex_buf_[2 * 512 + 1];                                                                \
        assert_true((n) <= 512);                                                                   \
        assert_string_equal(ds_hex_encode((got), (n), hex_buf_), (want));                          \
    } while (0)

/* out = n - s for a 32-byte big-endian s below the secp256k1 group order n: the high-S
 * twin of a low-S signature's s (and back). */
static inline void secp_negate_s(const uint8_t s[32], uint8_t out[32]) {
    static const uint8_t n[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                  0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = n[i] - s[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

#endif
