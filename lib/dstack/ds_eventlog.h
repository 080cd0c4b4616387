/* ds_eventlog.h — TDX event logs as dstack serves them: entries, runtime-event digests,
 * RTMR replay, JSON serialisation (full or stripped) and parsing.
 *
 *   runtime digest = SHA-384( u32_le(0x08000001) ‖ ":" ‖ name ‖ ":" ‖ payload )
 *   replay:  rtmr[i] = 48 zero bytes; for each event with imr i:
 *            rtmr[i] = SHA-384(rtmr[i] ‖ digest, zero-padded to 48 bytes)
 *
 * Entry JSON, field order fixed (attestation.md §3):
 *   {"imr":3,"event_type":134217729,"digest":"<hex>","event":"app-id","event_payload":"<hex>"}
 * A stripped log (real agents ≥ 0.5.6) has event_payload "" for boot events (imr 0–2) and
 * digest "" for runtime events (imr 3, event_type 0x08000001); readers recompute the
 * runtime digests (ds_eventlog_fill_digests).
 */
#ifndef DS_EVENTLOG_H
#define DS_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"
#include "ds_json.h"

#define DS_EVENT_RUNTIME_TYPE 0x08000001u /* 134217729 */
#define DS_RTMR_LEN 48
#define DS_RTMR_COUNT 4

typedef struct {
    uint32_t imr;            /* 0..3 */
    uint32_t event_type;
    uint8_t digest[DS_RTMR_LEN];
    size_t digest_len;       /* 0 (unknown, e.g. stripped), or 1..48 */
    char *event;             /* NUL-terminated name, "" for boot events */
    size_t event_len;        /* bytes of name (may contain anything but is usually UTF-8) */
    uint8_t *payload;        /* may be NULL when payload_len is 0 */
    size_t payload_len;
} ds_event;

typedef struct {
    ds_event *ev;
    size_t n, cap;
} ds_eventlog;

typedef enum {
    DS_EVENTLOG_FULL = 0,     /* every digest and payload */
    DS_EVENTLOG_STRIPPED = 1, /* boot payloads and runtime digests emptied */
} ds_eventlog_style;

void ds_eventlog_init(ds_eventlog *log);
void ds_eventlog_free(ds_eventlog *log);
/* Deep copy of src into dst (dst is initialised first). DS_OK or DS_ERR_NOMEM. */
ds_err ds_eventlog_copy(ds_eventlog *dst, const ds_eventlog *src);

/* The runtime digest of (name, payload). */
void ds_event_runtime_digest(const char *name, size_t name_len, const uint8_t *payload,
                             size_t payload_len, uint8_t out[DS_RTMR_LEN]);

/* Appends an event with an explicit digest (digest_len ≤ 48; 0 allowed). imr must be
 * 0..3. Returns DS_OK, DS_ERR_ARG or DS_ERR_NOMEM. */
ds_err ds_eventlog_add(ds_eventlog *log, uint32_t imr, uint32_t event_type,
                       const uint8_t *digest, size_t digest_len, const char *name,
                       size_t name_len, const uint8_t *payload, size_t payload_len);

/* Appends a runtime event (imr 3, type 0x08000001) with its digest computed. */
ds_err ds_eventlog_add_runtime(ds_eventlog *log, const char *name, size_t name_len,
                               const uint8_t *payload, size_t payload_len);

/* Extends rtmr (48 bytes) with one digest as TDX does (short digests zero-padded). */
void ds_rtmr_extend(uint8_t rtmr[DS_RTMR_LEN], const uint8_t *digest, size_t digest_len);

/* Replays the whole log into rtmr[0..3]. */
void ds_eventlog_replay(const ds_eventlog *log, uint8_t rtmr[DS_RTMR_COUNT][DS_RTMR_LEN]);

/* Recomputes the digest of every runtime event (imr 3, type 0x08000001) that has none.
 * Returns the number of digests filled. */
size_t ds_eventlog_fill_digests(ds_eventlog *log);

/* Appends one entry / the whole log (a JSON array) to out in the exact field order. */
void ds_event_to_json(const ds_event *e, ds_eventlog_style style, ds_buf *out);
void ds_eventlog_to_json(const ds_eventlog *log, ds_eventlog_style style, ds_buf *out);

/* Parses a JSON array of entries (either style) into log (initialised here). Missing
 * digest/payload fields count as empty. Returns DS_OK, DS_ERR_PARSE (with a message in
 * err when err is non-NULL) or DS_ERR_NOMEM. */
ds_err ds_eventlog_parse_json(const char *json, size_t len, ds_eventlog *log, char *err,
                              size_t errcap);
/* The same from an already parsed cJSON array. */
ds_err ds_eventlog_from_cjson(const cJSON *arr, ds_eventlog *log, char *err, size_t errcap);

/* The first runtime event called name that precedes "system-ready" (how dstack readers
 * take app-id, compose-hash, instance-id, key-provider: later events cannot override
 * them). NULL when there is none. */
const ds_event *ds_eventlog_find_boot_runtime(const ds_eventlog *log, const char *name);

/* Copies the payload of that event (ds_eventlog_find_boot_runtime) into out when it is
 * exactly n bytes. Returns 1 when copied; 0 when there is no such event or its payload has
 * another length (out is then left unchanged). */
int ds_eventlog_boot_payload(const ds_eventlog *log, const char *name, uint8_t *out, size_t n);

#endif
