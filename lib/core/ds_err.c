/* ds_err.c — descriptions of the shared error codes. */
#include "ds_err.h"

const char *ds_err_str(ds_err err) {
    switch (err) {
    case DS_OK: return "ok";
    case DS_ERR_ARG: return "invalid argument";
    case DS_ERR_HEX: return "invalid hex (odd length or non-hex digit)";
    case DS_ERR_LEN: return "wrong length";
    case DS_ERR_KEY: return "invalid key";
    case DS_ERR_SIG: return "invalid signature";
    case DS_ERR_CRYPTO: return "crypto library failure";
    case DS_ERR_ALG: return "unsupported algorithm";
    case DS_ERR_NOMEM: return "out of memory";
    case DS_ERR_IO: return "I/O error";
    case DS_ERR_PARSE: return "malformed input";
    case DS_ERR_VERIFY: return "verification failed";
    }
    return "unknown error";
}
