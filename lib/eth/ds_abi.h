/* ds_abi.h — Ethereum contract ABI: types, selectors, encoding, strict decoding, readable
 * rendering, revert and log decoding against compiled Foundry artifacts.
 *
 * No hidden allocation in the codec. A type string is parsed into a caller-owned
 * ds_abi_types (a small fixed array of nodes). Values are ds_abi_value trees that point
 * at caller memory (encoding) or into the decoded input buffer and a caller-supplied pool
 * of value slots (decoding). Every size is obtainable first:
 *
 *     size_t n = ds_abi_encoded_size(&args_tuple);            // size pass
 *     uint8_t *buf = malloc(n);                               // caller's buffer
 *     ds_abi_encode(&args_tuple, buf, n, &n);                 // write pass
 *
 *     ds_abi_decode(&types, data, len, NULL, 0, &need);       // how many value slots
 *     ds_abi_decode(&types, data, len, pool, need, &used);    // decode into the pool
 *
 * Decoding never reads outside [data, data+len) whatever the input: every offset, length
 * and count is checked against the bytes that remain before it is used, scalar words must
 * be clean (no dirty high bits in uintN/address, sign-extended intN, bool 0/1, zero tail
 * in bytesN), and the number of values is capped at DS_ABI_MAX_VALUES so that hostile
 * offset aliasing cannot blow up the work.
 *
 * Rendering (ds_abi_format) is snprintf-like: it returns the full length and writes what
 * fits. The text form matches Foundry's `cast abi-decode` (checksummed addresses, quoted
 * strings, "(a, b)" tuples, "[a, b]" arrays); the JSON form gives integers as decimal
 * strings (they exceed JSON's 2^53) and everything else as strings, booleans and arrays.
 *
 * The artifact helpers (ds_abi_json.c) read the "abi" array of a Foundry artifact
 * (contracts/out/<File>.sol/<Contract>.json) with cJSON, whose internal allocations are
 * freed before they return: they give canonical signatures of functions, errors and
 * events, fill a caller-owned error table, and decode reverts and logs to text.
 *
 * Error convention: functions return DS_OK, or DS_ERR_ARG (NULL/invalid argument or a
 * value that does not fit its type), DS_ERR_PARSE (malformed type string or encoded data),
 * DS_ERR_LEN (output buffer or pool too small).
 */
#ifndef DS_ABI_H
#define DS_ABI_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ds_err.h"

#define DS_ABI_MAX_TYPES 96     /* nodes in one parsed type list */
#define DS_ABI_MAX_DEPTH 16     /* nesting of tuples and arrays */
#define DS_ABI_MAX_VALUES 65536 /* values one decode may produce */
#define DS_ABI_SIG_MAX 512      /* longest canonical signature the helpers build */

typedef enum {
    DS_ABI_UINT = 1, /* uint8 … uint256 (size = bits) */
    DS_ABI_INT,      /* int8 … int256 (size = bits), two's complement */
    DS_ABI_ADDRESS,
    DS_ABI_BOOL,
    DS_ABI_FBYTES,   /* bytes1 … bytes32 (size = N) */
    DS_ABI_BYTES,    /* dynamic bytes */
    DS_ABI_STRING,
    DS_ABI_ARRAY,    /* T[] */
    DS_ABI_FARRAY,   /* T[k] */
    DS_ABI_TUPLE,    /* (T1,…,Tn) */
} ds_abi_kind;

/* ---- type strings -------------------------------------------------------------------- */

typedef struct {
    uint8_t kind;   /* ds_abi_kind */
    uint16_t size;  /* UINT/INT: bits; FBYTES: byte count */
    uint32_t count; /* FARRAY: k */
    int16_t child;  /* ARRAY/FARRAY: element node; TUPLE: first component (-1: none) */
    int16_t next;   /* next component of the enclosing tuple (-1: last) */
    uint16_t ncomp; /* TUPLE: number of components */
} ds_abi_type;

typedef struct {
    ds_abi_type node[DS_ABI_MAX_TYPES];
    int n;    /* nodes used */
    int root; /* the root node: always a TUPLE */
} ds_abi_types;

/* Parses a parenthesised type list "(T1,T2,…)", optionally preceded by a name
 * ("transfer(address,uint256)": the name is skipped). Accepts the aliases uint/int
 * (= 256 bits) and "tuple(...)"; spaces around types are ignored. If consumed is NULL the
 * whole string must be used; otherwise *consumed is the number of characters read (so
 * "f(uint256)(bool)" can be parsed in two steps).
 * Returns DS_OK, DS_ERR_ARG, or DS_ERR_PARSE (bad syntax, unknown type, uint7, bytes33,
 * more than DS_ABI_MAX_TYPES nodes or DS_ABI_MAX_DEPTH nesting). */
ds_err ds_abi_parse(const char *s, size_t len, ds_abi_types *t, size_t *consumed);

/* Writes the canonical form of node `idx` of t ("uint256", "(bytes32,string)[]") into
 * out (snprintf-like). Returns the full length. */
size_t ds_abi_type_str(const ds_abi_types *t, int idx, char *out, size_t cap);

/* Canonicalises a signature "name(T…)" (aliases expanded, spaces dropped) into out.
 * Returns DS_OK, DS_ERR_PARSE, or DS_ERR_LEN (out too small). */
ds_err ds_abi_canonical(const char *sig, char *out, size_t cap);

/* The 4-byte selector keccak256(canonical(sig))[0:4], e.g. "transfer(address,uint256)"
 * → a9059cbb. Returns DS_OK or DS_ERR_PARSE. */
ds_err ds_abi_selector(const char *sig, uint8_t sel[4]);

/* keccak256(canonical(sig)): an event's topic 0. Returns DS_OK or DS_ERR_PARSE. */
ds_err ds_abi_topic(const char *sig, uint8_t topic[32]);

/* ---- values -------------------------------------------------------------------------- */

typedef struct ds_abi_value {
    uint8_t kind;                       /* ds_abi_kind */
    uint16_t size;                      /* UINT/INT: bits; FBYTES: N */
    uint8_t word[32];                   /* scalars: the encoded 32-byte word */
    const uint8_t *ptr;                 /* BYTES/STRING: contents (not NUL-terminated) */
    size_t len;                         /* BYTES/STRING: length */
    const struct ds_abi_value *items;   /* ARRAY/FARRAY/TUPLE: elements */
    size_t n;                           /* number of elements */
} ds_abi_value;

/* Constructors (pure, no allocation; pointers are kept, not copied). */
ds_abi_value ds_abi_u64(uint64_t v);                        /* uint256 */
ds_abi_value ds_abi_uint(unsigned bits, uint64_t v);        /* uintN (v must fit: ds_abi_encode checks) */
ds_abi_value ds_abi_uint_be(const uint8_t *be, size_t n);   /* uint256 from ≤32 big-endian bytes */
ds_abi_value ds_abi_i64(int64_t v);                         /* int256 */
ds_abi_value ds_abi_int(unsigned bits, int64_t v);          /* intN */
ds_abi_value ds_abi_address(const uint8_t addr[20]);
ds_abi_value ds_abi_bool(int b);
ds_abi_value ds_abi_fbytes(const uint8_t *p, size_t n);     /* bytesN, n in 1..32 */
ds_abi_value ds_abi_bytes(const uint8_t *p, size_t n);
ds_abi_value ds_abi_string(const char *s);                  /* NUL-terminated */
ds_abi_value ds_abi_string_n(const char *s, size_t n);
ds_abi_value ds_abi_array(const ds_abi_value *items, size_t n);  /* T[] */
ds_abi_value ds_abi_farray(const ds_abi_value *items, size_t n); /* T[n] */
ds_abi_value ds_abi_tuple(const ds_abi_value *items, size_t n);

/* ---- encoding ------------------------------------------------------------------------ */

/* Whether v's encoding is dynamic (has a tail). */
int ds_abi_is_dynamic(const ds_abi_value *v);

/* Bytes ds_abi_encode writes for v (a tuple of arguments encodes as abi.encode(args…)).
 * Returns 0 only for an empty tuple. */
size_t ds_abi_encoded_size(const ds_abi_value *v);

/* abi.encode of v into out. Writes *out_len bytes (= ds_abi_encoded_size(v)).
 * Returns DS_OK, DS_ERR_ARG (malformed value: bad kind, bytesN size, array elements of
 * mixed kinds, nesting deeper than DS_ABI_MAX_DEPTH), DS_ERR_LEN (cap too small). */
ds_err ds_abi_encode(const ds_abi_value *v, uint8_t *out, size_t cap, size_t *out_len);

/* Checks that value v has exactly the shape of node idx of t (kinds, bit sizes, bytesN
 * widths, fixed array lengths, tuple arities) and that every scalar word is clean for
 * its type (e.g. a uint8 holding 256 is rejected). Returns DS_OK or DS_ERR_ARG. */
ds_err ds_abi_check(const ds_abi_types *t, int idx, const ds_abi_value *v);

/* Calldata for a call: selector(sig) ‖ abi.encode(args…), with args checked against the
 * signature's parameter types. With out == NULL only *out_len is set (size pass).
 * Returns DS_OK, DS_ERR_PARSE (bad signature), DS_ERR_ARG (args do not match the
 * signature), DS_ERR_LEN (cap too small). */
ds_err ds_abi_encode_call(const char *sig, const ds_abi_value *args, size_t nargs,
                          uint8_t *out, size_t cap, size_t *out_len);

/* ---- decoding ------------------------------------------------------------------------ */

/* Decodes data (abi.encode of the tuple t->root) into pool: pool[0] is the root tuple,
 * the rest are its descendants; BYTES/STRING values point into data. With pool == NULL
 * only counts: *used is set to the number of slots needed. Trailing bytes after the
 * encoding are allowed (as Solidity allows them).
 * Returns DS_OK, DS_ERR_ARG, DS_ERR_PARSE (data too short, offset or length out of
 * range, dirty scalar word, more than DS_ABI_MAX_VALUES values), DS_ERR_LEN (pool_cap
 * too small; *used then holds the slots needed). */
ds_err ds_abi_decode(const ds_abi_types *t, const uint8_t *data, size_t len, ds_abi_value *pool,
                     size_t pool_cap, size_t *used);

/* Value accessors for decoded scalars. ds_abi_get_u64 returns DS_ERR_LEN if the value
 * does not fit in 64 bits, DS_ERR_ARG if v is not a UINT. */
ds_err ds_abi_get_u64(const ds_abi_value *v, uint64_t *out);
/* The 20 address bytes of an ADDRESS value (pointer into v->word). NULL otherwise. */
const uint8_t *ds_abi_get_address(const ds_abi_value *v);

/* ---- rendering ----------------------------------------------------------------------- */

#define DS_ABI_FMT_JSON 1 /* JSON instead of cast-style text */

/* Renders v (snprintf-like: returns the full length, writes at most cap-1 chars and a
 * NUL when cap > 0). Text: 1000, -5, 0xAbC…(EIP-55), true, 0x0102, "str", [1, 2], (1, "a").
 * JSON: "1000", "-5", "0xAbC…", true, "0x0102", "str", ["1","2"], ["1","a"]. */
size_t ds_abi_format(const ds_abi_value *v, int flags, char *out, size_t cap);

/* One call from a type string to text: decodes data as the type list `types`
 * ("(uint256,string)" or "f(uint256,string)") and renders the tuple (snprintf-like into
 * out). Uses a fixed pool of 256 values on the stack (no heap). *out_len (may be NULL)
 * gets the full rendered length. Returns DS_OK, DS_ERR_PARSE (bad type string or data),
 * DS_ERR_LEN (more than 256 values; out is then empty). */
ds_err ds_abi_decode_to_text(const char *types, const uint8_t *data, size_t len, int flags,
                             char *out, size_t cap, size_t *out_len);

/* Decimal text of a 256-bit big-endian word, unsigned or two's-complement signed (at most
 * 79 chars + NUL; out must hold 80). Returns out. */
char *ds_abi_word_dec(const uint8_t word[32], int is_signed, char out[80]);

/* What a Solidity panic code means ("arithmetic overflow or underflow" for 0x11, …);
 * "unknown panic code" otherwise. */
const char *ds_abi_panic_str(uint64_t code);

/* ---- artifacts: errors, functions, events -------------------------------------------- */

typedef struct {
    uint8_t selector[4];
    char sig[DS_ABI_SIG_MAX];   /* canonical "Name(T1,T2)" */
    char names[DS_ABI_SIG_MAX]; /* parameter names, comma-separated ("" when unnamed) */
    char source[64];            /* which artifact it came from (informational) */
} ds_abi_error_def;

/* A caller-owned table of custom errors: point defs at cap entries, set n = 0. */
typedef struct {
    ds_abi_error_def *defs;
    size_t n, cap;
} ds_abi_errors;

/* Adds one error by signature (and optional comma-separated parameter names). Adding a
 * selector already present is a no-op. Returns DS_OK, DS_ERR_PARSE, DS_ERR_LEN (full). */
ds_err ds_abi_errors_add(ds_abi_errors *e, const char *sig, const char *names,
                         const char *source);

/* Adds every "error" entry of an ABI: `abi` is a cJSON array (the artifact's "abi").
 * Returns DS_OK, DS_ERR_PARSE (not an ABI), DS_ERR_LEN (table full). */
ds_err ds_abi_errors_add_abi(ds_abi_errors *e, const cJSON *abi, const char *source);

/* Canonical signature "name(T1,…)" of an ABI item (function, error, event, constructor:
 * name "constructor") into sig; tuple components are expanded. If outputs is non-NULL
 * the output type list "(T…)" goes there; if names is non-NULL the comma-separated
 * input names. Returns DS_OK, DS_ERR_PARSE, DS_ERR_LEN. */
ds_err ds_abi_item_sig(const cJSON *item, char *sig, size_t cap, char *outputs, size_t ocap,
                       char *names, size_t ncap);

/* Finds the item of the given type ("function", "event", "error", "constructor") named
 * name in abi (first match). Returns it or NULL. */
const cJSON *ds_abi_find(const cJSON *abi, const char *type, const char *name);

/* Describes revert data in one line (snprintf-like), text or JSON by flags:
 *   empty           → "reverted without a reason (no revert data)"
 *   Error(string)   → Error("message")
 *   Panic(uint256)  → Panic(0x11: arithmetic overflow or underflow)
 *   custom in errs  → Name(param: value, …)
 *   anything else   → unknown error 0x12345678 (+N bytes of arguments)
 * JSON: {"kind":"empty|error|panic|custom|unknown","name":…,"signature":…,"args":{…},
 *        "text":…,"data":"0x…"}. errs may be NULL. */
size_t ds_abi_revert_describe(const uint8_t *data, size_t len, const ds_abi_errors *errs,
                              int flags, char *out, size_t cap);

/* Describes one log against an ABI's events (snprintf-like): "Name(param: value, …)"
 * with indexed dynamic values shown as their topic hash; "unknown event 0x…" when no
 * event matches topics[0]. */
size_t ds_abi_log_describe(const cJSON *abi, const uint8_t (*topics)[32], size_t ntopics,
                           const uint8_t *data, size_t len, int flags, char *out, size_t cap);

#endif
