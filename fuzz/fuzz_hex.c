/* fuzz_hex.c — libFuzzer target: the strict hex codec (lib/core/ds_hex.c).
 *
 * Invariants checked on every input (any violation aborts, i.e. is a finding):
 *   - ds_hex_decoded_len, ds_hex_decode and ds_hex_decode_exact agree on validity and
 *     length, and never write past the capacity they are given;
 *   - a successful decode re-encodes to the input digits, lowercased, without "0x".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hex.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *hex = (const char *)data;
    long n = ds_hex_decoded_len(hex, size);
    size_t cap = size / 2 + 1;
    uint8_t *out = malloc(cap);
    FZ_CHECK(out != NULL);
    size_t got = 12345;
    ds_err e = ds_hex_decode(hex, size, out, cap, &got);
    FZ_CHECK((n < 0) == (e == DS_ERR_HEX));
    if (n >= 0) {
        FZ_CHECK(e == DS_OK && got == (size_t)n);
        /* Re-encoding gives the digits back, lowercased. */
        char *enc = malloc(2 * got + 1);
        FZ_CHECK(enc != NULL);
        ds_hex_encode(out, got, enc);
        size_t skip = size >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X') ? 2 : 0;
        FZ_CHECK(size - skip == 2 * got);
        for (size_t i = 0; i < 2 * got; i++) {
            char c = hex[skip + i];
            if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
            FZ_CHECK(enc[i] == c);
        }
        free(enc);
        /* Exact decoding: right length OK, one byte short of capacity is DS_ERR_LEN. */
        FZ_CHECK(ds_hex_decode_exact(hex, size, out, (size_t)n) == DS_OK);
        FZ_CHECK(ds_hex_decode_exact(hex, size, out, (size_t)n + 1) == DS_ERR_LEN);
        if (n > 0) {
            /* A too-small buffer (on the heap, exactly sized: ASan sees any overrun). */
            uint8_t *small = malloc((size_t)n - 1 ? (size_t)n - 1 : 1);
            FZ_CHECK(small != NULL);
            FZ_CHECK(ds_hex_decode(hex, size, small, (size_t)n - 1, &got) == DS_ERR_LEN);
            free(small);
        }
    } else {
        FZ_CHECK(ds_hex_decode_exact(hex, size, out, cap) == DS_ERR_HEX);
    }
    free(out);
    return 0;
}
