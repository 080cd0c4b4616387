/* abi_testutil.h — what the ds_abi suites share (test_abi.c, test_abi_hostile.c,
 * test_abi_errors.c, test_abi_cast.c): hex both ways, one big encoding captured from cast,
 * and 32-byte word literals.
 */
#ifndef ABI_TESTUTIL_H
#define ABI_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "unit_util.h"

/* Decodes hex the test supplies (0x optional) into *out (malloc'd; the caller frees it);
 * fails the test on malformed input. Returns the byte count. */
size_t unhex_alloc(const char *hex, uint8_t **out);

/* The n bytes at p as "0x" + lowercase hex (malloc'd; the caller frees it); asserted. */
char *hex0x_alloc(const uint8_t *p, size_t n);

/* A signature covering every kind, and its encoding by `cast abi-encode` (see the .c). */
extern const char *const BIG_SIG;
extern const char *const BIG_HEX;

/* A zero word, and a word whose last byte is the two hex digits x. */
#define W0 "0000000000000000000000000000000000000000000000000000000000000000"
#define W(x) "00000000000000000000000000000000000000000000000000000000000000" x

#endif
