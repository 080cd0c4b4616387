/* sim_journal.h — the runtime-event journal (--journal FILE): EmitEvent survives a
 * restart, as it does on a real CVM, where the guest agent keeps its runtime event log in
 * a file (/run/log/dstack/runtime_events.log) and RTMR3 keeps its value.
 *
 * Format: JSON Lines, '\n'-terminated, append-only.
 *   line 1    {"dstack_simulator_journal":1,"app_id":"<hex>","instance_id":"<hex>",
 *              "compose_hash":"<hex>"}   — whose event log this is
 *   line 2…   {"event":"<name>","payload":"<base64>","digest":"<hex SHA-384>"}
 * Event lines are the agent's runtime_events.log records ({"event","payload" base64})
 * plus the runtime digest, SHA-384(u32_le(0x08000001) ‖ ":" ‖ event ‖ ":" ‖ payload),
 * which doubles as the record's checksum.
 *
 * Durability: an EmitEvent is acknowledged only after its line is written (one write())
 * and fdatasync'ed, under the state lock, so the journal order is the event-log order.
 * If the write fails the file is cut back and the request fails; nothing is half-applied.
 *
 * Replay (start-up): every record is checked (JSON, base64, digest) and re-emitted in
 * order, so the event log and RTMR3 are exactly what they were. Damage is reported, never
 * silently skipped:
 *   - torn tail: a last line without its '\n' is a write cut short by a crash; it was
 *     never acknowledged, so it is dropped (the file is truncated) with a warning;
 *   - a complete record that fails its checks, or a header for another app: start-up
 *     fails (exit 2) naming the record, its byte offset and how many records before it
 *     are good. --journal-recover keeps those and truncates the rest, with a warning.
 * The file is created 0600, never through a symlink, and locked (flock) so that two
 * simulators cannot share it.
 */
#ifndef SIM_JOURNAL_H
#define SIM_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sim_state.h"

typedef struct sim_journal sim_journal;

typedef struct {
    size_t replayed;             /* events re-emitted */
    size_t torn_bytes;           /* bytes of a torn final record dropped (0: none) */
    size_t dropped_records;      /* records dropped by --journal-recover */
    int created;                 /* the file was new (or empty) */
} sim_journal_report;

/* Opens or creates the journal at path and replays it into st (before st->journal is
 * set). recover: truncate at the first damaged record instead of failing. Warnings go to
 * stderr. Returns 0 with *out set, or -1 with a message in err. */
int sim_journal_open(const char *path, sim_state *st, int recover, sim_journal **out,
                     sim_journal_report *rep, char *err, size_t errcap);

/* Appends one event durably (write + fdatasync). Returns 0, or -1 with a message in err
 * (the file is then unchanged). */
int sim_journal_append(sim_journal *j, const char *name, size_t name_len,
                       const uint8_t *payload, size_t payload_len, char *err, size_t errcap);

/* Takes back the last append (after it, the in-memory log could not take the event). */
void sim_journal_undo_last(sim_journal *j);

const char *sim_journal_path(const sim_journal *j);
void sim_journal_close(sim_journal *j);

#endif
