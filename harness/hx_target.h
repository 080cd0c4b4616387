/* hx_target.h — a contract nobody here wrote, driven by its call signature: parsing
 * `--call 'name(type arg, …)'` (the argument names say what goes where, their Solidity
 * types say how), filling the arguments from a chain, and running the call with eth_call
 * to learn whether the contract accepts it.
 *
 *   role         accepted names (case and "_" ignored)           types
 *   app_id       app_id, appId                                    bytes32 (tried right- and
 *                                                                 left-padded), bytes20,
 *                                                                 address, bytes (20)
 *   derived_pub  derived_pub, derivedPublicKey, derived_key,      bytes (33 compressed),
 *                pubkey, public_key                               address
 *   app_sig      app_sig, appSignature                            bytes (65)
 *   kms_sig      kms_sig, kmsSignature                            bytes (65)
 *   app_pub      app_pub, appPublicKey, app_key                   bytes (tried 33, 64, 65
 *                                                                 bytes), address
 *   purpose, path, domain, algorithm (alg)                        string, bytes
 *   version      version                                          uintN (0 or 1)
 *
 * A function that returns bool accepts when it returns true; one that returns nothing
 * accepts when it does not revert. Without "returns (…)" in --call the answer decides: a
 * 32-byte 0 or 1 is read as a bool, anything else that does not revert is acceptance.
 */
#ifndef HX_TARGET_H
#define HX_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "ds_abi.h"
#include "ds_variant.h"
#include "hx_chain.h"

typedef enum {
    HX_ROLE_APP_ID = 0,
    HX_ROLE_DERIVED_PUB,
    HX_ROLE_APP_SIG,
    HX_ROLE_KMS_SIG,
    HX_ROLE_APP_PUB,
    HX_ROLE_PURPOSE,
    HX_ROLE_PATH,
    HX_ROLE_DOMAIN,
    HX_ROLE_ALGORITHM,
    HX_ROLE_VERSION,
    HX_NROLES
} hx_role;

#define HX_CALL_MAXP 16
#define HX_MAX_SHAPES 6 /* app id padding (2) × app key form (3) */

typedef struct {
    char name[64];
    hx_role role;
    uint8_t kind;  /* ds_abi_kind */
    uint16_t size; /* UINT: bits; FBYTES: N */
} hx_param;

typedef struct {
    char sig[DS_ABI_SIG_MAX]; /* canonical "name(T1,…)" */
    hx_param p[HX_CALL_MAXP];
    int np;
    int returns;        /* -1: not said (inferred), 0: nothing, 1: bool */
    int has[HX_NROLES]; /* which roles the call takes */
    int speaks[2];      /* the claim versions it can be given: v0 (purpose), v1 (domain) */
    int nshapes;        /* argument encodings to try (app id padding × app key form) */
} hx_call_spec;

/* Parses --call text, e.g. "verify(bytes32 app_id, bytes derived_pub, bytes app_sig,
 * bytes kms_sig, string purpose) returns (bool)". Returns 0, or -1 with a one-line
 * message in err (unknown role, unsupported type for a role, missing name, bad syntax,
 * a signature without both signatures). */
int hx_call_parse(const char *text, hx_call_spec *c, char *err, size_t errcap);

/* The strings a call is filled with. */
typedef struct {
    const char *purpose, *path, *domain, *algorithm;
} hx_strings;

/* One call: a chain, the app id, the strings, which claim version the version argument
 * names, and the argument encoding (0 … nshapes-1). */
typedef struct {
    const uint8_t *app_id;  /* 20 */
    const uint8_t *app_pub; /* 33, the app key given as app_pub */
    const uint8_t *derived; /* 33, the key given as derived_pub */
    const uint8_t *link0, *link1;
    hx_strings s;
    int version;
    int shape;
} hx_trial;

/* A shape's words: "app id right-padded in bytes32, app key as 64-byte x||y". */
const char *hx_shape_str(const hx_call_spec *c, int shape, char *out, size_t cap);

typedef struct {
    hx_chain ch; /* RPC + our artifacts' errors for decoding reverts */
    uint8_t to[20], from[20];
    hx_call_spec spec;
    unsigned long calls; /* eth_calls made */
} hx_target;

/* Whether url is http(s)://127.x.y.z, localhost or [::1] (the harness never talks to
 * another host). */
int hx_url_is_loopback(const char *url);

/* Opens the chain at url for contract `to` (t->spec is kept): checks that url is loopback, that it
 * answers, that `to` holds code; from NULL means Anvil's first account. Returns 0 or -1 (err). */
int hx_target_open(hx_target *t, const char *url, const uint8_t to[20], const uint8_t *from,
                   char *err, size_t errcap);
void hx_target_close(hx_target *t);

/* What `matrix --target` and `diagnose --target` share: checks the addresses, parses the
 * call, allocates and opens the target at url. On success *out is the open target (free
 * it with hx_target_free). Returns 0, 2 for bad usage, 1 when the chain or the contract
 * is not there (the reason printed either way). */
int hx_target_prepare(const char *cmd, const char *target, const char *call, const char *from_hex,
                      const char *url, hx_target **out);
void hx_target_free(hx_target *t);

typedef struct {
    int accepted;
    char detail[600]; /* "returned true", "reverted: Error(\"KMS root untrusted\")" */
} hx_answer;

/* Runs n trials in one JSON-RPC batch. Returns 0, or -1 on an RPC failure (err). */
int hx_target_try_many(hx_target *t, const hx_trial *trs, size_t n, hx_answer *ans, char *err,
                       size_t errcap);

/* Runs one trial. *accepted gets the answer; detail (may be NULL) a short description
 * ("returned true", "reverted: Error(\"KMS root untrusted\")"). Returns 0, or -1 on an RPC
 * failure (err). */
int hx_target_try(hx_target *t, const hx_trial *tr, int *accepted, char *detail, size_t dcap,
                  char *err, size_t errcap);

#endif
