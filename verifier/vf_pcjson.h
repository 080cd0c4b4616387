/* vf_pcjson.h — the JSON documents of Phala Cloud's attestation API (attestations.mdx and
 * attestations-openapi.json, copies in fixtures/upstream/phala-cloud/) as
 * `dstack-verify serve` writes them.
 *
 * Where the OpenAPI schema and the reference page's examples differ, the examples win,
 * because they are what clients read: header ak_type / tee_type as names ("ECDSA_P256",
 * "TEE_TDX"; a value without a name stays a number), byte fields as 0x-prefixed lowercase
 * hex, tee_tcb_svn as bare hex. */
#ifndef VF_PCJSON_H
#define VF_PCJSON_H

#include <stdint.h>

#include "ds_json.h"
#include "ds_qverify.h"
#include "ds_quote.h"
#include "vf_pcstore.h"

/* ISO 8601 UTC with an explicit offset, as the API writes it: 2025-08-15T16:01:28+00:00
 * (out holds 26 bytes). */
void vf_pc_iso8601(int64_t unix_s, char out[32]);

/* The Quote object {"header","body","cert_data","verified"} of a parsed quote, without the
 * closing brace when `open` is set (so callers may add members), appended to out. */
void vf_pc_quote_json(ds_buf *out, const ds_quote *q, int verified, int open);

/* The VerificationResponse of a stored entry (q = its parsed quote, col_json = the
 * collateral the service verified it with, as QuoteCollateralV3 JSON, or NULL for null),
 * keys: id, success, proof_of_cloud, quote, checksum, can_download, uploaded_at,
 * verified_at, quote_collateral, node_provider. can_download is 0 when the quote could not
 * be kept (larger than the store's byte cap). */
void vf_pc_verification_json(ds_buf *out, const vf_pc_entry *e, const ds_quote *q,
                             const ds_buf *col_json, int can_download);

/* GET view/{checksum}: the Quote object plus uploaded_at, verified_at, checksum,
 * can_download. */
void vf_pc_view_json(ds_buf *out, const vf_pc_entry *e, const ds_quote *q);

/* GET recent: [{"checksum","verified":1|0,"created_at"}, …], newest first. */
void vf_pc_recent_json(ds_buf *out, const vf_pc_store *s, size_t skip, size_t limit);

/* {"detail": msg} (FastAPI's HTTPException shape). */
void vf_pc_detail_json(ds_buf *out, const char *msg);

#endif
