/* vf_form.h — the quote input of Phala Cloud's POST /api/v1/attestations/verify
 * (attestations.mdx, "Supported Input Formats"): a multipart/form-data upload `file`, a
 * JSON body {"hex": …}, or a form field hex=… (urlencoded or multipart); exactly one.
 *
 *   vf_multipart_parse  RFC 7578 multipart/form-data: each part's name, filename, bytes
 *   vf_urlencoded_get   one field of an application/x-www-form-urlencoded body
 *   vf_hex_quote        hex as the reference page allows it: optional 0x, any case,
 *                       surrounding whitespace trimmed
 *   vf_pc_input         the three together: content type → the quote bytes, or 400
 */
#ifndef VF_FORM_H
#define VF_FORM_H

#include <stddef.h>
#include <stdint.h>

#define VF_MULTIPART_MAX_PARTS 64     /* more parts than this: refused */
#define VF_MULTIPART_MAX_HEADERS 8192 /* bytes of one part's header block */
#define VF_MULTIPART_MAX_BOUNDARY 70  /* RFC 2046 §5.1.1 */

typedef struct {
    char name[128];      /* the Content-Disposition name (truncated names are refused) */
    int has_filename;    /* a filename parameter was given */
    const uint8_t *data; /* the part's bytes, pointing into the body */
    size_t len;
} vf_part;

/* Parses body as multipart/form-data with the given boundary (without the leading "--").
 * Calls on_part for each part in order; a non-zero return from on_part stops the parse and
 * is returned. Returns 0, or -1 with a one-line reason in why: bad or missing boundary,
 * no opening delimiter, no closing delimiter, a part without a blank line after its
 * headers, headers over VF_MULTIPART_MAX_HEADERS, a part without Content-Disposition
 * form-data and a name, or more than VF_MULTIPART_MAX_PARTS parts. */
int vf_multipart_parse(const char *boundary, const uint8_t *body, size_t len,
                       int (*on_part)(const vf_part *p, void *arg), void *arg, char *why,
                       size_t whycap);

/* The boundary parameter of a multipart Content-Type (quoted or token), copied into out.
 * Returns 0, or -1 when absent, empty, longer than VF_MULTIPART_MAX_BOUNDARY or not
 * printable ASCII. */
int vf_multipart_boundary(const char *content_type, char *out, size_t cap);

/* The first value of field `name` in an urlencoded body, %-decoded and '+' → ' ', as a
 * malloc'd NUL-terminated string in *out; *count gets how many times the field occurs.
 * Returns 0 (also when absent: *out NULL), or -1 when out of memory or a value holds a
 * bad %-escape or a NUL byte. */
int vf_urlencoded_get(const uint8_t *body, size_t len, const char *name, char **out, int *count);

/* Decodes a hex quote: surrounding whitespace trimmed, an optional 0x / 0X prefix, upper
 * or lower case. Returns 0 with a malloc'd *out of *out_len bytes, or -1 with a reason in
 * why (empty, odd number of digits, a non-hex character, out of memory). */
int vf_hex_quote(const char *s, size_t len, uint8_t **out, size_t *out_len, char *why,
                 size_t whycap);

/* The quote of one POST /api/v1/attestations/verify request. content_type may be NULL.
 * Returns 0 with a malloc'd *quote (caller frees), or the HTTP status 400 with the
 * message for {"detail": …} in detail: no input, both file and hex, a malformed body of
 * the declared type, bad hex, or an unsupported content type. */
int vf_pc_input(const char *content_type, const uint8_t *body, size_t len, uint8_t **quote,
                size_t *quote_len, char *detail, size_t cap);

#endif
