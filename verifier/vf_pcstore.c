/* vf_pcstore.c — the bounded in-memory quote store behind Phala Cloud's attestation API
 * in `dstack-verify serve` (see vf_pcstore.h). A plain array in upload order: at the
 * default cap of 1024 entries a linear lookup is a few microseconds, below the cost of
 * parsing the request. */
#include "vf_pcstore.h"

#include <stdlib.h>
#include <string.h>

#include "ds_hex.h"

static size_t max_q(const vf_pc_store *s) {
    return s->max_quotes ? s->max_quotes : VF_PC_STORE_MAX_QUOTES;
}
static size_t max_b(const vf_pc_store *s) {
    return s->max_bytes ? s->max_bytes : VF_PC_STORE_MAX_BYTES;
}

void vf_pc_store_init(vf_pc_store *s, size_t max_quotes, size_t max_bytes) {
    memset(s, 0, sizeof *s);
    s->max_quotes = max_quotes;
    s->max_bytes = max_bytes;
}

static void entry_free(vf_pc_entry *e) {
    if (!e) return;
    free(e->quote);
    free(e);
}

void vf_pc_store_free(vf_pc_store *s) {
    for (size_t i = 0; i < s->n; i++)
        entry_free(s->e[i]);
    free(s->e);
    memset(s, 0, sizeof *s);
}

vf_pc_entry *vf_pc_store_get(const vf_pc_store *s, const uint8_t checksum[32]) {
    for (size_t i = s->n; i-- > 0;)
        if (!memcmp(s->e[i]->checksum, checksum, 32)) return s->e[i];
    return NULL;
}

vf_pc_entry *vf_pc_store_get_hex(const vf_pc_store *s, const char *hex) {
    uint8_t c[32];
    if (!hex || strlen(hex) != 64 || ds_hex_decode_exact(hex, 64, c, 32) != DS_OK) return NULL;
    return vf_pc_store_get(s, c);
}

static void evict_oldest(vf_pc_store *s) {
    s->bytes -= s->e[0]->quote_len;
    entry_free(s->e[0]);
    memmove(s->e, s->e + 1, (s->n - 1) * sizeof *s->e);
    s->n--;
    s->evicted++;
}

vf_pc_entry *vf_pc_store_put(vf_pc_store *s, const uint8_t *quote, size_t len,
                             const uint8_t checksum[32], int verified, const uint8_t *ppid,
                             int64_t now) {
    vf_pc_entry *e = vf_pc_store_get(s, checksum);
    if (!e) {
        if (len > max_b(s)) return NULL;
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 16;
            vf_pc_entry **ne = realloc(s->e, nc * sizeof *ne);
            if (!ne) return NULL;
            s->e = ne;
            s->cap = nc;
        }
        e = calloc(1, sizeof *e);
        if (!e || !(e->quote = malloc(len ? len : 1))) {
            free(e);
            return NULL;
        }
        if (len) memcpy(e->quote, quote, len);
        e->quote_len = len;
        memcpy(e->checksum, checksum, 32);
        ds_hex_encode(checksum, 32, e->checksum_hex);
        e->uploaded_at = now;
        while (s->n > 0 && (s->n + 1 > max_q(s) || s->bytes + len > max_b(s)))
            evict_oldest(s);
        s->e[s->n++] = e;
        s->bytes += len;
    }
    e->verified = verified;
    e->verified_at = now;
    e->have_ppid = ppid != NULL;
    if (ppid) memcpy(e->ppid, ppid, 16);
    return e;
}

const vf_pc_entry *vf_pc_store_recent(const vf_pc_store *s, size_t i) {
    return i < s->n ? s->e[s->n - 1 - i] : NULL;
}
