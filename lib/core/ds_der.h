/* ds_der.h — the small subset of ASN.1 DER that the fake Intel PKI and the quote verifier
 * write and read by hand: single-byte tags, definite lengths, unsigned INTEGERs, and a
 * TLV reader for walking SEQUENCEs (the SGX PCK certificate extension, CRLs, signatures).
 *
 * Writers append to a ds_buf and, like ds_buf itself, never fail individually: on
 * allocation failure the buffer is marked oom and the caller checks buf.oom once.
 */
#ifndef DS_DER_H
#define DS_DER_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"
#include "ds_json.h"

#define DS_DER_BOOLEAN 0x01
#define DS_DER_INTEGER 0x02
#define DS_DER_BIT_STRING 0x03
#define DS_DER_OCTET_STRING 0x04
#define DS_DER_OID 0x06
#define DS_DER_ENUMERATED 0x0a
#define DS_DER_SEQUENCE 0x30
#define DS_DER_CTX0 0x80 /* [0] IMPLICIT, primitive */

/* Appends a DER length (short or long form). */
void ds_der_put_len(ds_buf *b, size_t len);
/* Appends tag, length and len bytes of content. */
void ds_der_put(ds_buf *b, uint8_t tag, const void *content, size_t len);
/* Appends tag, length and the contents of inner (e.g. a SEQUENCE built in another buffer).
 * If inner is oom, b is marked oom too. */
void ds_der_wrap(ds_buf *b, uint8_t tag, const ds_buf *inner);
/* Appends a non-negative INTEGER from n big-endian bytes: leading zeros stripped, a 0x00
 * prepended when the top bit is set, zero encoded as 02 01 00. */
void ds_der_put_uint_bytes(ds_buf *b, const uint8_t *be, size_t n);
void ds_der_put_uint(ds_buf *b, uint64_t v);

/* One TLV read from a buffer: content is p[0..len), the whole element raw[0..raw_len). */
typedef struct {
    uint8_t tag;
    const uint8_t *p;
    size_t len;
    const uint8_t *raw;
    size_t raw_len;
} ds_der_tlv;

/* Reads the TLV at *pos (which must be < end) and advances *pos past it. Accepts
 * single-byte tags and definite lengths of at most 4 length bytes. Returns DS_OK, or
 * DS_ERR_PARSE when the element is truncated or uses a form outside that subset. */
ds_err ds_der_next(const uint8_t **pos, const uint8_t *end, ds_der_tlv *out);

/* Reads the TLV at buf[0..len) and requires it to fill the buffer exactly and carry tag.
 * Returns DS_OK or DS_ERR_PARSE. */
ds_err ds_der_single(const uint8_t *buf, size_t len, uint8_t tag, ds_der_tlv *out);

/* The value of a non-negative INTEGER or ENUMERATED element of at most 8 significant
 * bytes. Returns DS_OK, or DS_ERR_PARSE (empty, negative, or too large). */
ds_err ds_der_get_uint(const ds_der_tlv *t, uint64_t *v);

#endif
