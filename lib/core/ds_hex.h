/* ds_hex.h — strict hex decoding and lowercase hex encoding.
 *
 * Decoding accepts an optional "0x"/"0X" prefix, upper- or lowercase digits, and nothing
 * else: an odd number of digits or any non-hex character is DS_ERR_HEX. The empty string
 * (or a bare "0x") decodes to zero bytes. Encoding is always lowercase, never prefixed.
 */
#ifndef DS_HEX_H
#define DS_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"

/* Number of bytes `hex` (len chars) decodes to, or -1 when it is not valid hex.
 * Validates every digit; does not write anything. */
long ds_hex_decoded_len(const char *hex, size_t len);

/* Decodes `len` chars of `hex` into `out` (capacity `cap`), storing the byte count in
 * *out_len. Returns DS_OK, DS_ERR_ARG (NULL hex/out_len), DS_ERR_HEX (odd length or bad
 * digit), or DS_ERR_LEN (cap too small). On error nothing meaningful is in out. */
ds_err ds_hex_decode(const char *hex, size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* Decodes exactly `n` bytes: like ds_hex_decode but any other decoded length is
 * DS_ERR_LEN. */
ds_err ds_hex_decode_exact(const char *hex, size_t len, uint8_t *out, size_t n);

/* Writes 2*n lowercase hex digits and a NUL into out, which must hold 2*n+1 chars.
 * Returns out. */
char *ds_hex_encode(const uint8_t *in, size_t n, char *out);

#endif
