/* sim_http_parse.h — the pure parsing half of sim_http.c: a request head, and a body sent
 * with Transfer-Encoding: chunked. No I/O and no libevent here, so both are fuzzed and
 * unit-tested directly.
 */
#ifndef SIM_HTTP_PARSE_H
#define SIM_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "ds_json.h"

typedef struct {
    const char *method;       /* points into the parsed head */
    const char *target;       /* origin form (an absolute-form target loses scheme + host) */
    const char *content_type; /* or NULL */
    int http10;
    int keep_alive;      /* after Connection: close / keep-alive */
    int expect_continue; /* Expect: 100-continue */
    int chunked;         /* Transfer-Encoding: chunked (body_len is then 0) */
    size_t body_len;     /* Content-Length (0 when absent) */
} sim_http_head;

/* Parses head (request line + headers + the empty line, NUL-terminated, no NUL inside) in
 * place. Returns 0, or the HTTP status to answer (400, 501) with *why set to a message
 * that says what to send instead. */
int sim_http_head_parse(char *head, sim_http_head *h, const char **why);

/* A chunked body decoder (RFC 9112 §7.1): fed the bytes as they arrive, it appends the
 * decoded data to body. Chunk extensions are ignored; trailer fields are read and
 * dropped. */
typedef struct {
    int state;            /* internal */
    size_t remaining;     /* data bytes left in the current chunk */
    size_t trailer_bytes; /* trailer section read so far */
    ds_buf body;          /* the decoded body (owned: sim_chunked_free) */
} sim_chunked;

enum { SIM_CHUNKED_MORE = 0, SIM_CHUNKED_DONE = 1 };

void sim_chunked_init(sim_chunked *d);
void sim_chunked_free(sim_chunked *d);
/* Consumes a prefix of in[0..n): *used is how many bytes were consumed (the rest belongs
 * to a later call — an incomplete line — or, once DONE, to the next request).
 * max_body caps the decoded size, max_trailer the trailer section. Returns
 * SIM_CHUNKED_MORE, SIM_CHUNKED_DONE, or an HTTP status (400 malformed, 413 too large,
 * 500 out of memory) with *why set. */
int sim_chunked_feed(sim_chunked *d, const uint8_t *in, size_t n, size_t max_body,
                     size_t max_trailer, size_t *used, const char **why);

#endif
