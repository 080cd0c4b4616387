/* hx_keys.h — reading the key material users hand to the harness: upstream-style
 * appkeys.json files (k256_key, k256_signature, key_provider PEM) and P-256 keys, and the
 * "addresses" people mistakenly compute from a P-256 key.
 */
#ifndef HX_KEYS_H
#define HX_KEYS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int have_app_key;
    uint8_t app_key[32];       /* k256_key: the app key (private, public test value) */
    uint8_t app_pub[33];
    int have_link1;
    uint8_t link1[65];         /* k256_signature: the KMS link */
    int have_root_key;
    uint8_t root_key[32];      /* kms_root_key (this project's simulator configs) */
    int have_p256;
    uint8_t p256_xy[64];       /* key_provider.None.key: public point */
    uint8_t p256_as_k256[20];  /* its scalar taken as a secp256k1 key → address */
    uint8_t p256_keccak[20];   /* keccak256(x‖y)[12:] of the P-256 point */
    char p256_curve[32];       /* the PEM's curve name, e.g. "prime256v1" */
} hx_appkeys;

/* Reads an appkeys.json (upstream simulator format or this project's). Returns 0, or -1
 * with a message in err. */
int hx_appkeys_load(const char *path, hx_appkeys *k, char *err, size_t errcap);

/* Parses a PEM private key; fills the P-256 fields of k (curve name even when it is not
 * P-256). Returns 0 or -1. */
int hx_pem_key_info(const char *pem, hx_appkeys *k);

/* App id = sha256(file bytes)[:20] of an app-compose.json (dstack without KMS
 * governance). Returns 0 or -1. */
int hx_compose_app_id(const char *path, uint8_t app_id[20], uint8_t compose_hash[32], char *err,
                      size_t errcap);

/* The app id a simulator started with this config has: its "app_id", else
 * sha256(app_compose)[:20] (a path relative to the config's directory, JSON text, or an
 * object printed compactly). Returns 0, or -1 with a message in err. */
int hx_config_app_id(const char *config, uint8_t app_id[20], char *err, size_t errcap);

/* What a known KMS root address is ("the upstream dstack simulator's KMS root, v0.5.6 and
 * later", Phala's Base KMS root), or NULL. */
const char *hx_known_root(const uint8_t addr[20]);

/* Reads a GetKey or /v1/GetKey response ({"key": hex, "signature_chain": [hex, hex]}):
 * the derived key and both links. Returns 0, or -1 after printing why. */
int hx_getkey_load(const char *path, uint8_t key[32], uint8_t l0[65], uint8_t l1[65]);

#endif
