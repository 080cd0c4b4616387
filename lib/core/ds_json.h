/* ds_json.h — a growable byte buffer, a compact JSON writer, and typed field access on
 * cJSON objects with dstack's rules for request arguments.
 *
 * ds_buf is the one output buffer used by the simulator and the client: append bytes,
 * strings, hex and JSON-escaped strings; it keeps a trailing NUL so buf.data is always a
 * C string. On allocation failure the buffer is marked failed (buf.oom) and further
 * appends are ignored, so callers check once at the end.
 *
 * Field access follows the guest-agent API (guest-agent-api.md §1): a missing or null
 * field takes its default ("", false, 0, []); a present field of the wrong JSON type is
 * an error; hex fields accept an optional 0x prefix and reject odd length or non-hex.
 */
#ifndef DS_JSON_H
#define DS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ds_err.h"

typedef struct {
    char *data;   /* NUL-terminated contents (NULL until the first append) */
    size_t len;   /* bytes used, not counting the NUL */
    size_t cap;   /* bytes allocated */
    int oom;      /* set when an allocation failed; the contents are then incomplete */
} ds_buf;

void ds_buf_init(ds_buf *b);
void ds_buf_free(ds_buf *b);
/* Empties the buffer but keeps its allocation. */
void ds_buf_reset(ds_buf *b);
/* Ensures room for n more bytes. Returns DS_OK or DS_ERR_NOMEM (and sets oom). */
ds_err ds_buf_reserve(ds_buf *b, size_t n);
void ds_buf_append(ds_buf *b, const void *p, size_t n);
void ds_buf_puts(ds_buf *b, const char *s);
void ds_buf_putc(ds_buf *b, char c);
void ds_buf_printf(ds_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends 2n lowercase hex digits. */
void ds_buf_hex(ds_buf *b, const uint8_t *p, size_t n);
/* Appends a JSON string literal (quotes included) of n bytes of s, escaping '"', '\\',
 * control characters (as \uXXXX or the short forms) and nothing else: UTF-8 passes
 * through; invalid UTF-8 bytes are replaced by U+FFFD so the output is always valid
 * JSON. */
void ds_buf_json_str(ds_buf *b, const char *s, size_t n);
/* Appends "<hex>" as a JSON string. */
void ds_buf_json_hex(ds_buf *b, const uint8_t *p, size_t n);
/* Hands the contents to the caller (malloc'd, NUL-terminated; NULL after oom or when
 * empty-and-unallocated gives ""), leaving b empty. *len_out may be NULL. */
char *ds_buf_take(ds_buf *b, size_t *len_out);

/* A ds_buf that refuses to grow past max bytes: the write target of the libcurl clients
 * (CURLOPT_WRITEFUNCTION = ds_buf_sink_write, CURLOPT_WRITEDATA = the sink). */
typedef struct {
    ds_buf buf;
    size_t max;   /* largest body accepted, in bytes */
    int too_big;  /* set when a write would have passed max */
} ds_buf_sink;

/* Appends size*n bytes of p to the sink (a ds_buf_sink *). Returns size*n, or 0 — which
 * makes libcurl abort the transfer — when the body would pass max (too_big set) or
 * memory ran out (buf.oom set). */
size_t ds_buf_sink_write(char *p, size_t size, size_t n, void *sink);

/* ---- typed field access (obj may be NULL: every field is then missing) ----
 * Each returns DS_OK, or DS_ERR_PARSE with a message "<field>: <why>" written into
 * err (capacity errcap, may be NULL). */

/* String field: *out points into the cJSON tree (valid while obj lives), "" when missing. */
ds_err ds_json_get_str(const cJSON *obj, const char *name, const char **out, char *err,
                       size_t errcap);
ds_err ds_json_get_bool(const cJSON *obj, const char *name, int *out, char *err, size_t errcap);
/* Unsigned integer field (a JSON number that is a non-negative integer < 2^53).
 * *present is set to whether the field was given (non-null); may be NULL. */
ds_err ds_json_get_u64(const cJSON *obj, const char *name, uint64_t *out, int *present,
                       char *err, size_t errcap);
/* Hex field decoded into a fresh malloc'd buffer (*out NULL and *out_len 0 when missing or
 * empty). */
ds_err ds_json_get_hex(const cJSON *obj, const char *name, uint8_t **out, size_t *out_len,
                       char *err, size_t errcap);
/* Array of strings: *out is a malloc'd array of pointers into the tree (free only the
 * array), *n its length; missing → NULL, 0. */
ds_err ds_json_get_str_array(const cJSON *obj, const char *name, const char ***out, size_t *n,
                             char *err, size_t errcap);

#endif
