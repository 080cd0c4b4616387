/* fuzz_eventlog.c — libFuzzer target: the event-log parser (lib/dstack/ds_eventlog.c), as
 * verifiers use it on the event_log string of GetQuote / Info.
 *
 * Invariants: a parsed log serialises (full and stripped) to JSON that parses again into
 * the same number of entries; serialise → parse → serialise is a fixed point after the
 * first round (invalid UTF-8 in names is replaced once, then stable); replay and digest
 * filling never fail on anything the parser accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_eventlog.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_eventlog log;
    char err[256];
    ds_err e = ds_eventlog_parse_json((const char *)data, size, &log, err, sizeof err);
    FZ_CHECK(e == DS_OK || e == DS_ERR_PARSE);
    if (e != DS_OK) {
        FZ_CHECK(log.n == 0 && log.ev == NULL);
        return 0;
    }
    uint8_t rtmr[DS_RTMR_COUNT][DS_RTMR_LEN];
    ds_eventlog_replay(&log, rtmr);
    const ds_event *f = ds_eventlog_find_boot_runtime(&log, "app-id");
    if (f) FZ_CHECK(f >= log.ev && f < log.ev + log.n);

    for (int style = DS_EVENTLOG_FULL; style <= DS_EVENTLOG_STRIPPED; style++) {
        ds_buf j1, j2;
        ds_buf_init(&j1);
        ds_buf_init(&j2);
        ds_eventlog_to_json(&log, (ds_eventlog_style)style, &j1);
        FZ_CHECK(!j1.oom && j1.data);
        ds_eventlog l2, l3;
        FZ_CHECK(ds_eventlog_parse_json(j1.data, j1.len, &l2, err, sizeof err) == DS_OK);
        FZ_CHECK(l2.n == log.n);
        ds_eventlog_to_json(&l2, (ds_eventlog_style)style, &j2);
        FZ_CHECK(!j2.oom && j2.data);
        FZ_CHECK(ds_eventlog_parse_json(j2.data, j2.len, &l3, err, sizeof err) == DS_OK);
        ds_buf j3;
        ds_buf_init(&j3);
        ds_eventlog_to_json(&l3, (ds_eventlog_style)style, &j3);
        FZ_CHECK(j3.len == j2.len && !memcmp(j3.data, j2.data, j2.len));
        if (style == DS_EVENTLOG_STRIPPED) {
            size_t filled = ds_eventlog_fill_digests(&l2);
            FZ_CHECK(filled <= l2.n);
            uint8_t r2[DS_RTMR_COUNT][DS_RTMR_LEN];
            ds_eventlog_replay(&l2, r2);
        }
        ds_buf_free(&j1);
        ds_buf_free(&j2);
        ds_buf_free(&j3);
        ds_eventlog_free(&l2);
        ds_eventlog_free(&l3);
    }
    ds_eventlog copy;
    FZ_CHECK(ds_eventlog_copy(&copy, &log) == DS_OK && copy.n == log.n);
    ds_eventlog_free(&copy);
    ds_eventlog_free(&log);
    return 0;
}
