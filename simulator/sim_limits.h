/* sim_limits.h — what keeps the simulator standing under bad input and bad clients, and
 * what keeps its secrets in: the connection limit, strict request text, key-file
 * permissions, the open-file limit, and wiping key material.
 *
 * Connection limit. At most `max` connections are served at once, across every worker
 * thread (one atomic count). The connection after that is answered, not dropped: it gets
 * a JSON 503 {"error":"Too many connections …"} with Connection: close, then a lingering
 * close, so its client reads a clear refusal. Refusals in flight are themselves capped
 * (max_refusing); beyond that a connection is closed at once. Served and refused
 * connections never take each other's slots, and the clients already connected keep
 * being served whatever the flood does.
 *
 * Request text. JSON bodies must be strict UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), with no raw NUL or other control character inside
 * strings (RFC 8259), no "\u0000" escape (C strings would silently cut such a string
 * short: refusing is honest, truncating would lie), and at most SIM_MAX_JSON_DEPTH
 * levels of nesting (serde_json's limit, as the real agent). The same goes for decoded
 * query-string values. Anything else is a 400 with a JSON message that says which byte.
 */
#ifndef SIM_LIMITS_H
#define SIM_LIMITS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define SIM_DEFAULT_MAX_CONNECTIONS 1024
#define SIM_MAX_JSON_DEPTH 128

typedef enum {
    SIM_CONN_SERVE = 1,          /* take a serving slot */
    SIM_CONN_REFUSE = 2,         /* answer 503 and close */
    SIM_CONN_DROP = 3,           /* close at once (refusals are saturated too) */
} sim_conn_verdict;

typedef struct {
    int max;                     /* connections served at once (--max-connections) */
    int max_refusing;            /* refusals in flight at once */
    atomic_int active;           /* served connections open now */
    atomic_int refusing;         /* refusals in flight now */
    atomic_uint_fast64_t refused; /* connections answered 503, in total */
    atomic_uint_fast64_t dropped; /* connections closed unanswered, in total */
} sim_connlimit;

void sim_connlimit_init(sim_connlimit *l, int max);
/* Decides for a new connection and reserves its slot (SERVE or REFUSE). */
sim_conn_verdict sim_connlimit_admit(sim_connlimit *l);
/* Gives back the slot of a connection admitted with verdict v. */
void sim_connlimit_release(sim_connlimit *l, sim_conn_verdict v);
/* Connections open now, served and being refused. */
int sim_connlimit_open(sim_connlimit *l);

/* Raises the soft RLIMIT_NOFILE so that `want` descriptors fit (up to the hard limit).
 * Returns the number of descriptors available (the soft limit after the change). */
long sim_raise_nofile(long want);

/* Strict UTF-8 check of n bytes (no NUL allowed when forbid_nul). Returns -1 when valid,
 * else the offset of the first bad byte. */
long sim_utf8_check(const uint8_t *s, size_t n, int forbid_nul);

/* Checks a JSON text before it is parsed (the rules above). Returns 0, or -1 with a
 * message in err. */
int sim_json_text_check(const uint8_t *s, size_t n, char *err, size_t errcap);

/* Warns on stderr when the file at path (which holds private keys: what says which) can
 * be read or written by group or others. Returns 1 when it warned, 0 otherwise. */
int sim_warn_key_file(const char *path, const char *what);

/* Overwrites n bytes at p with zeros in a way the compiler keeps. */
void sim_wipe(void *p, size_t n);
/* Wipes a NUL-terminated string and frees it (NULL is fine). */
void sim_wipe_free_str(char *s);
/* Wipes every string value and key in a cJSON tree, then deletes it (NULL is fine). */
void sim_cjson_wipe_delete(cJSON *j);

#endif
