/* sim_journal.c — the runtime-event journal: durable appends, checked replay, torn-tail
 * and corruption detection (see sim_journal.h).
 */
#include "sim_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ds_eventlog.h"
#include "ds_hex.h"
#include "sim_limits.h"

#define JOURNAL_MAX_BYTES (512u << 20)

struct sim_journal {
    int fd;
    char *path;
    off_t size;                  /* bytes of whole, acknowledged records */
    off_t prev_size;             /* size before the last append (for undo) */
};

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(ds_buf *b, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        char q[4] = {B64[v >> 18], B64[(v >> 12) & 63], i + 1 < n ? B64[(v >> 6) & 63] : '=',
                     i + 2 < n ? B64[v & 63] : '='};
        ds_buf_append(b, q, 4);
    }
}

static int b64_val(char c) {
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

/* Strict, canonical base64 (padding required, zero pad bits). Returns the decoded length
 * (out holds len / 4 * 3 bytes) or -1. */
static long b64_decode(const char *s, size_t len, uint8_t *out) {
    if (len % 4) return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = b64_val(s[i + k])) < 0) {
                return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff))) return -1;
        out[o++] = (uint8_t)(w >> 16);
        if (pad < 2) out[o++] = (uint8_t)(w >> 8);
        if (pad < 1) out[o++] = (uint8_t)w;
    }
    return (long)o;
}

static void header_line(const sim_state *st, ds_buf *b) {
    ds_buf_puts(b, "{\"dstack_simulator_journal\":1,\"app_id\":");
    ds_buf_json_hex(b, st->app_id, 20);
    ds_buf_puts(b, ",\"instance_id\":");
    ds_buf_json_hex(b, st->instance_id, st->has_instance_id ? 20 : 0);
    ds_buf_puts(b, ",\"compose_hash\":");
    ds_buf_json_hex(b, st->compose_hash, 32);
    ds_buf_puts(b, "}\n");
}

static void cut_back(sim_journal *j) {
    if (ftruncate(j->fd, j->size) != 0) return;
}

/* Writes all of p at the end of the file; on failure cuts the file back to j->size. */
static int write_all(sim_journal *j, const char *p, size_t n, char *err, size_t errcap) {
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(j->fd, p + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, errcap, "cannot write the journal %s: %s", j->path,
                     w < 0 ? strerror(errno) : "short write");
            cut_back(j); /* if even that fails, the next start reports a torn tail */
            return -1;
        }
        done += (size_t)w;
    }
    if (fdatasync(j->fd) != 0) {
        snprintf(err, errcap, "cannot sync the journal %s: %s", j->path, strerror(errno));
        cut_back(j);
        return -1;
    }
    j->prev_size = j->size;
    j->size += (off_t)n;
    return 0;
}

/* Checks one event record (line without its '\n'); on success fills name/payload (payload
 * malloc'd). Returns NULL, or why it is damaged. */
static const char *check_record(const char *line, size_t len, cJSON **json, const char **name,
                                uint8_t **payload, size_t *plen) {
    *payload = NULL;
    *plen = 0;
    *json = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(*json)) return "not a JSON object";
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(*json, "event");
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(*json, "payload");
    const cJSON *dg = cJSON_GetObjectItemCaseSensitive(*json, "digest");
    if (!cJSON_IsString(ev) || !cJSON_IsString(pl) || !cJSON_IsString(dg))
        return "\"event\", \"payload\" or \"digest\" missing or not a string";
    *name = ev->valuestring;
    size_t bl = strlen(pl->valuestring);
    *payload = malloc(bl / 4 * 3 + 1);
    if (!*payload) return "out of memory";
    long n = b64_decode(pl->valuestring, bl, *payload);
    if (n < 0) return "payload is not canonical base64";
    *plen = (size_t)n;
    uint8_t want[DS_RTMR_LEN], got[DS_RTMR_LEN];
    if (ds_hex_decode_exact(dg->valuestring, strlen(dg->valuestring), want, sizeof want) != DS_OK)
        return "digest is not 48 bytes of hex";
    ds_event_runtime_digest(*name, strlen(*name), *payload, *plen, got);
    if (memcmp(want, got, sizeof want)) return "digest does not match the event and payload";
    return NULL;
}

static int check_header(const sim_state *st, const char *line, size_t len, const char **why) {
    ds_buf want;
    ds_buf_init(&want);
    header_line(st, &want);
    int ok = !want.oom && want.len == len + 1 && !memcmp(want.data, line, len);
    ds_buf_free(&want);
    if (ok) return 0;
    cJSON *j = cJSON_ParseWithLength(line, len);
    int ours = cJSON_IsObject(j) && cJSON_GetObjectItemCaseSensitive(j, "dstack_simulator_journal");
    cJSON_Delete(j);
    *why = ours ? "its header names another app (app id, instance id or compose hash differ)"
                : "its first line is not a dstack-simulator journal header";
    return ours ? 1 : -1; /* 1: another app's journal; -1: damaged */
}

static char *read_whole(int fd, size_t *len, char *err, size_t errcap, const char *path) {
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errcap, "journal %s is not a regular file", path);
        return NULL;
    }
    if ((size_t)sb.st_size > JOURNAL_MAX_BYTES) {
        snprintf(err, errcap, "journal %s is larger than %u MiB", path, JOURNAL_MAX_BYTES >> 20);
        return NULL;
    }
    char *buf = malloc((size_t)sb.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)sb.st_size) {
        ssize_t r = pread(fd, buf + got, (size_t)sb.st_size - got, (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    if (!buf || got != (size_t)sb.st_size) {
        snprintf(err, errcap, "cannot read the journal %s: %s", path, buf ? strerror(errno) : "out of memory");
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

static void sync_dir(const char *path) {
    char *tmp = strdup(path);
    if (!tmp) return;
    int d = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) {
        fsync(d);
        close(d);
    }
    free(tmp);
}

/* Replays buf into st. Returns 0 (keep = bytes of good records, *bad_at = -1 or the
 * offset of the first damaged record), or -1 on a fatal error (message in err). */
static int replay(sim_state *st, const char *path, const char *buf, size_t len, size_t *keep,
                  long *bad_at, size_t *records, const char **why, char *err, size_t errcap) {
    size_t pos = 0, rec = 0;
    *bad_at = -1;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl) break; /* torn tail */
        size_t ll = (size_t)(nl - (buf + pos));
        if (rec == 0) {
            int h = check_header(st, buf + pos, ll, why);
            if (h > 0) {
                snprintf(err, errcap, "journal %s: %s; refusing to replay it here (use another "
                                      "--journal file for this app)", path, *why);
                return -1;
            }
            if (h < 0) {
                *bad_at = (long)pos;
                break;
            }
        } else {
            cJSON *j = NULL;
            const char *name = NULL;
            uint8_t *payload = NULL;
            size_t plen = 0;
            *why = check_record(buf + pos, ll, &j, &name, &payload, &plen);
            char eerr[256];
            int rc = *why ? 0 : sim_emit_event(st, name, strlen(name), payload, plen, eerr, sizeof eerr);
            free(payload);
            cJSON_Delete(j);
            if (*why) {
                *bad_at = (long)pos;
                break;
            }
            if (rc != 0) {
                snprintf(err, errcap, "journal %s: record %zu cannot be replayed: %s", path, rec, eerr);
                return -1;
            }
        }
        rec++;
        pos += ll + 1;
    }
    *keep = pos;
    *records = rec;
    return 0;
}

int sim_journal_open(const char *path, sim_state *st, int recover, sim_journal **out,
                     sim_journal_report *rep, char *err, size_t errcap) {
    memset(rep, 0, sizeof(*rep));
    *out = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(err, errcap, errno == ELOOP ? "journal %s is a symbolic link; refusing to follow it"
                                             : "cannot open the journal %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errcap, "journal %s is in use by another simulator", path);
        close(fd);
        return -1;
    }
    size_t len = 0;
    char *buf = read_whole(fd, &len, err, errcap, path);
    if (!buf) {
        close(fd);
        return -1;
    }
    sim_journal *j = calloc(1, sizeof(*j));
    if (!j || !(j->path = strdup(path))) {
        free(j);
        free(buf);
        close(fd);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    j->fd = fd;
    size_t keep = 0, records = 0;
    long bad_at;
    const char *why = NULL;
    if (replay(st, path, buf, len, &keep, &bad_at, &records, &why, err, errcap) != 0) goto fail;
    if (bad_at >= 0) {
        size_t later = 0;
        for (size_t i = (size_t)bad_at; i < len; i++) later += buf[i] == '\n';
        if (!recover) {
            snprintf(err, errcap,
                     "journal %s: line %zu (byte offset %ld) is damaged: %s. The %zu events "
                     "before it are intact; %zu lines from it on would be lost. Move the file "
                     "away, or start with --journal-recover to keep the intact events",
                     path, records + 1, bad_at, why, records ? records - 1 : 0, later);
            goto fail;
        }
        rep->dropped_records = later + (len && buf[len - 1] != '\n');
        fprintf(stderr, "dstack-simulator: warning: journal %s: line %zu (byte offset %ld) is "
                        "damaged (%s); --journal-recover: kept %zu events, dropped the rest "
                        "(%zu bytes)\n", path, records + 1, bad_at, why, records ? records - 1 : 0,
                len - keep);
    } else if (keep < len) {
        rep->torn_bytes = len - keep;
        fprintf(stderr, "dstack-simulator: warning: journal %s: dropped a torn final record "
                        "(%zu bytes at offset %zu): a write cut short by a crash, never "
                        "acknowledged\n", path, len - keep, keep);
    }
    if (keep < len && (ftruncate(fd, (off_t)keep) != 0 || fdatasync(fd) != 0)) {
        snprintf(err, errcap, "cannot truncate the journal %s: %s", path, strerror(errno));
        goto fail;
    }
    j->size = j->prev_size = (off_t)keep;
    rep->replayed = records ? records - 1 : 0;
    if (keep == 0) { /* new, empty, or nothing intact: start with the header */
        ds_buf h;
        ds_buf_init(&h);
        header_line(st, &h);
        int rc = h.oom ? -1 : write_all(j, h.data, h.len, err, errcap);
        ds_buf_free(&h);
        if (rc) goto fail;
        sync_dir(path);
        rep->created = 1;
    }
    free(buf);
    *out = j;
    return 0;
fail:
    free(buf);
    sim_journal_close(j);
    return -1;
}

int sim_journal_append(sim_journal *j, const char *name, size_t name_len,
                       const uint8_t *payload, size_t payload_len, char *err, size_t errcap) {
    if (sim_utf8_check((const uint8_t *)name, name_len, 1) >= 0) {
        snprintf(err, errcap, "event name must be valid UTF-8 without NUL characters");
        return -1;
    }
    uint8_t d[DS_RTMR_LEN];
    ds_event_runtime_digest(name, name_len, payload, payload_len, d);
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_reserve(&b, name_len + payload_len / 3 * 4 + 160);
    ds_buf_puts(&b, "{\"event\":");
    ds_buf_json_str(&b, name, name_len);
    ds_buf_puts(&b, ",\"payload\":\"");
    b64_encode(&b, payload, payload_len);
    ds_buf_puts(&b, "\",\"digest\":");
    ds_buf_json_hex(&b, d, sizeof d);
    ds_buf_puts(&b, "}\n");
    int rc = -1;
    if (b.oom) snprintf(err, errcap, "out of memory");
    else rc = write_all(j, b.data, b.len, err, errcap);
    ds_buf_free(&b);
    return rc;
}

void sim_journal_undo_last(sim_journal *j) {
    if (j->size == j->prev_size) return;
    if (ftruncate(j->fd, j->prev_size) == 0) {
        fdatasync(j->fd);
        j->size = j->prev_size;
    }
}

const char *sim_journal_path(const sim_journal *j) {
    return j->path;
}

void sim_journal_close(sim_journal *j) {
    if (!j) return;
    if (j->fd >= 0) close(j->fd);
    free(j->path);
    free(j);
}
