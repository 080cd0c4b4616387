/* ds_http.h — the reason phrases of HTTP status codes, for a status line or a message that
 * names a status (the simulator's auth api client, dstack-verify serve).
 */
#ifndef DS_HTTP_H
#define DS_HTTP_H

/* The canonical reason phrase of status (RFC 9110 §15, the wording Rust's
 * http::StatusCode::canonical_reason prints), e.g. "Unprocessable Entity" for 422. Returns
 * a static string, or NULL for a code outside the table (1xx and the rarely used ones): the
 * caller picks its own fallback. */
const char *ds_http_reason(int status);

#endif
