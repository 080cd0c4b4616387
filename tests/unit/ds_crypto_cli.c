/* ds_crypto_cli.c — a tiny command-line face of lib/ for cross-checking it against an
 * independent implementation (Foundry's cast) in tests/unit/cast_crosscheck.sh.
 *
 *   ds-crypto-cli keccak HEX          -> 0x<keccak256 of the bytes>
 *   ds-crypto-cli address PRIVHEX     -> EIP-55 address of the key
 *   ds-crypto-cli sign PRIVHEX DIGEST -> 0x<r‖s‖v> with v = 27/28 (cast's convention)
 *   ds-crypto-cli pubkey PRIVHEX      -> 0x<x‖y> (64 bytes, cast's convention)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hex.h"
#include "ds_keccak.h"
#include "ds_secp.h"

static int die(const char *msg) {
    fprintf(stderr, "ds-crypto-cli: %s\n", msg);
    return 2;
}

int main(int argc, char **argv) {
    static uint8_t buf[1 << 16];
    char hex[2 * 65 + 1];
    if (argc < 3) return die("usage: ds-crypto-cli keccak|address|pubkey|sign HEX [DIGEST]");
    const char *cmd = argv[1];
    if (strcmp(cmd, "keccak") == 0) {
        size_t n;
        uint8_t d[32];
        if (ds_hex_decode(argv[2], strlen(argv[2]), buf, sizeof buf, &n) != DS_OK)
            return die("keccak: argument is not hex");
        ds_keccak256(buf, n, d);
        printf("0x%s\n", ds_hex_encode(d, 32, hex));
        return 0;
    }
    uint8_t priv[32];
    if (ds_hex_decode_exact(argv[2], strlen(argv[2]), priv, 32) != DS_OK || !ds_secp_priv_valid(priv))
        return die("private key must be 32 bytes of hex and a valid secp256k1 key");
    if (strcmp(cmd, "address") == 0) {
        uint8_t addr[20];
        char out[43];
        ds_secp_priv_address(priv, addr);
        printf("%s\n", ds_eth_checksum(addr, out));
        return 0;
    }
    if (strcmp(cmd, "pubkey") == 0) {
        uint8_t pub[65];
        ds_secp_pubkey(priv, pub, 65);
        printf("0x%s\n", ds_hex_encode(pub + 1, 64, hex));
        return 0;
    }
    if (strcmp(cmd, "sign") == 0 && argc == 4) {
        uint8_t digest[32], sig[65];
        if (ds_hex_decode_exact(argv[3], strlen(argv[3]), digest, 32) != DS_OK)
            return die("sign: digest must be 32 bytes of hex");
        ds_secp_sign_recoverable(priv, digest, sig);
        sig[64] += 27;
        printf("0x%s\n", ds_hex_encode(sig, 65, hex));
        return 0;
    }
    return die("unknown command (keccak, address, pubkey, sign)");
}
