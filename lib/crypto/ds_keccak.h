/* ds_keccak.h — Keccak-f[1600] sponge with the original Keccak padding (0x01), as used by
 * Ethereum ("keccak256") and by dstack's Tappd hash list (keccak384, keccak512).
 * Not FIPS SHA-3 (padding 0x06); for SHA-3 see ds_hash.h. No allocation.
 */
#ifndef DS_KECCAK_H
#define DS_KECCAK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t st[25];
    size_t rate;   /* bytes absorbed per permutation: 200 - 2*digest_len */
    size_t pos;    /* bytes absorbed into the current block */
    size_t outlen; /* digest length in bytes */
} ds_keccak_ctx;

/* Starts a Keccak hash with a 32, 48 or 64-byte digest. Returns 0, or -1 for another
 * digest length (ctx is then unusable). */
int ds_keccak_init(ds_keccak_ctx *ctx, size_t digest_len);
void ds_keccak_update(ds_keccak_ctx *ctx, const uint8_t *data, size_t len);
/* Writes ctx->outlen bytes to out. The context must be re-initialised before reuse. */
void ds_keccak_final(ds_keccak_ctx *ctx, uint8_t *out);

/* One-shot helpers. */
void ds_keccak256(const uint8_t *data, size_t len, uint8_t out[32]);
void ds_keccak384(const uint8_t *data, size_t len, uint8_t out[48]);
void ds_keccak512(const uint8_t *data, size_t len, uint8_t out[64]);

#endif
