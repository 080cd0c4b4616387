/* ds_err.h — error codes shared by every lib/ module.
 *
 * Every fallible function in lib/ returns a ds_err: DS_OK (0) on success, a negative
 * code otherwise. ds_err_str() gives a short, human-readable description.
 */
#ifndef DS_ERR_H
#define DS_ERR_H

typedef enum {
    DS_OK = 0,
    DS_ERR_ARG = -1,        /* a NULL pointer or an out-of-range argument */
    DS_ERR_HEX = -2,        /* not hex: odd length or a non-hex digit */
    DS_ERR_LEN = -3,        /* wrong input length, or the output buffer is too small */
    DS_ERR_KEY = -4,        /* invalid private or public key */
    DS_ERR_SIG = -5,        /* malformed signature, or recovery failed */
    DS_ERR_CRYPTO = -6,     /* the crypto library failed (OpenSSL, libsecp256k1) */
    DS_ERR_ALG = -7,        /* unsupported algorithm */
    DS_ERR_NOMEM = -8,      /* allocation failed */
    DS_ERR_IO = -9,         /* file, socket or network I/O failed */
    DS_ERR_PARSE = -10,     /* malformed structured input (JSON, quote, event log) */
    DS_ERR_VERIFY = -11,    /* a verification step did not hold */
} ds_err;

/* Returns a static string describing err; never NULL. */
const char *ds_err_str(ds_err err);

#endif
