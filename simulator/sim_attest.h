/* sim_attest.h — dstack's versioned attestation (the Attest method, the RA-TLS
 * certificate extension 1.3.6.1.4.1.62397.1.8), SCALE-encoded:
 *
 *   0x00                                   VersionedAttestation::V0
 *   u8 0                                   AttestationQuote::DstackTdx
 *     Vec<u8> quote
 *     Vec<TdxEvent> event_log              {u32 imr, u32 event_type, Vec<u8> digest,
 *                                           String event, Vec<u8> event_payload}
 *   Vec<RuntimeEvent> runtime_events       {String event, Vec<u8> payload} (imr 3 events)
 *   [u8; 64] report_data
 *   String config                          the sys-config JSON (with vm_config inside)
 *
 * Vec/String lengths are SCALE compact integers; u32 little-endian. This matches the
 * upstream v0.5.11 simulator's canned attestation.bin byte for byte in structure.
 */
#ifndef SIM_ATTEST_H
#define SIM_ATTEST_H

#include <stdint.h>

#include "ds_json.h"
#include "sim_state.h"

/* Appends a SCALE compact integer. */
void sim_scale_compact(ds_buf *out, uint64_t n);

/* Builds, from one consistent snapshot of the event log, the attestation bytes and
 * optionally the quote bytes and the full event-log JSON it contains (quote and log may
 * be NULL). Returns 0 or -1. */
int sim_attestation_parts(sim_state *st, const uint8_t report_data[64], ds_buf *attestation,
                          ds_buf *quote, ds_buf *log_json);

#endif
