/* vf_payload.h — expected-payload checks for apps that attest their own payloads (seed
 * 003's tracker: verify_attestation(quote, expected_payload)).
 *
 * report_data modes:
 *   raw      the payload itself, zero-padded to 64 bytes (dstack GetQuote; ≤ 64 bytes)
 *   app-data ALG("app-data:" ‖ payload), ALG sha512 by default: legacy Tappd.TdxQuote
 *            with its default prefix (and hash_algorithm ALG)
 *   hash     ALG(payload) zero-padded (ds_hash_named: sha256, sha384, sha512, keccak256…)
 *
 * Freshness conventions (docs/verifier.md): a payload is *timestamped* when it carries
 *   - text fields separated by "||" (the tracker's separator), among them ts=<unix
 *     seconds> and/or nonce=<token>:   register||alice||ts=1767225600||nonce=9f1c2b
 *   - or a JSON object with "ts" (or "timestamp": number or digit string) and/or "nonce".
 * A timestamped payload must be at most max_age seconds old and at most VF_MAX_SKEW
 * seconds in the future. Replay keys: "nonce:<token>" when the payload has a nonce, else
 * "rd:<hex report_data>" (the same attested payload twice is a replay).
 */
#ifndef VF_PAYLOAD_H
#define VF_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"

#define VF_MAX_SKEW 60         /* seconds a timestamp may lie in the future */
#define VF_DEFAULT_MAX_AGE 300 /* seconds: the seed's "< 5 minutes" */
#define VF_NONCE_MAX 128       /* longest nonce token */

typedef enum { VF_RD_RAW = 0, VF_RD_APP_DATA, VF_RD_HASH } vf_rd_mode;

/* The expected report_data for payload. alg: required by VF_RD_HASH, NULL = sha512 for
 * VF_RD_APP_DATA, unused by VF_RD_RAW.
 * Returns DS_OK, DS_ERR_LEN (raw payload over 64 bytes), DS_ERR_ALG (unknown alg). */
ds_err vf_expected_report_data(const uint8_t *payload, size_t len, vf_rd_mode mode, const char *alg,
                               uint8_t out[64]);

typedef struct {
    int has_ts;
    int64_t ts;
    int has_nonce;
    char nonce[VF_NONCE_MAX + 1];
    char err[160]; /* set when a ts/nonce field is present but malformed */
} vf_payload_fields;

/* Finds ts / nonce in a payload. Returns 0, or -1 when a field is malformed (f->err):
 * a ts that is not a non-negative integer, two ts or nonce fields, a nonce that is
 * empty, longer than VF_NONCE_MAX or has whitespace / control characters. */
int vf_payload_fields_parse(const uint8_t *p, size_t n, vf_payload_fields *f);

/* Freshness. max_age < 0: the default (VF_DEFAULT_MAX_AGE) applies to timestamped
 * payloads only; max_age ≥ 0 (given explicitly): a payload without ts fails.
 * Returns 0 (fresh or not timestamped), -1 with a one-line message in msg. */
int vf_check_freshness(const vf_payload_fields *f, int64_t now, int64_t max_age, char *msg,
                       size_t cap);

/* The replay key of an accepted payload (see above) into out (≥ 140 bytes). */
void vf_replay_key(const vf_payload_fields *f, const uint8_t report_data[64], char *out,
                   size_t cap);

/* A set of seen replay keys, optionally backed by a file (one key per line). */
typedef struct {
    char **keys;
    size_t n, cap;
    char *path; /* NULL: in memory only */
} vf_nonce_set;

void vf_nonce_set_init(vf_nonce_set *s);
void vf_nonce_set_free(vf_nonce_set *s);
/* Loads path (a missing file is an empty set) and remembers it for vf_nonce_set_add.
 * Returns DS_OK, DS_ERR_IO (unreadable) or DS_ERR_NOMEM; message in err. */
ds_err vf_nonce_set_open(vf_nonce_set *s, const char *path, char *err, size_t errcap);
int vf_nonce_set_has(const vf_nonce_set *s, const char *key);
/* Adds key (and appends it to the file when there is one). DS_OK, DS_ERR_IO, DS_ERR_NOMEM. */
ds_err vf_nonce_set_add(vf_nonce_set *s, const char *key, char *err, size_t errcap);

#endif
