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
#define assert_hex_equal(got, n, want)                                                    \
    do {                                                                                  \
        char hex_buf_[2 * 512 + 1];                                                       \
        assert_true((n) <= 512);                                                          \
        assert_string_equal(ds_hex_encode((got), (n), hex_buf_), (want));                 \
    } while (0)

#endif
