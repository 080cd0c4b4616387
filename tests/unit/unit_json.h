/* unit_json.h — loading fixtures/vectors/ JSON files in the cmocka unit suites. */
#ifndef UNIT_JSON_H
#define UNIT_JSON_H

#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "unit_util.h"

/* Parses fixtures/vectors/<name> (the fixtures directory is $DS_FIXTURES, else "fixtures"
 * under the current directory); fails the test when it is missing or malformed. The caller
 * frees the result with cJSON_Delete. */
static inline cJSON *load_fixture_json(const char *name) {
    const char *dir = getenv("DS_FIXTURES");
    char path[512];
    snprintf(path, sizeof path, "%s/vectors/%s", dir ? dir : "fixtures", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s (run from the repo root or set DS_FIXTURES)", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *j = cJSON_Parse(buf);
    if (j == NULL) fail_msg("%s is not valid JSON", path);
    return j;
}

/* The string member name of o; fails the test when it is missing. */
static inline const char *jstr(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v)) fail_msg("fixture field %s missing", name);
    return v->valuestring;
}

/* The member name of o; fails the test when it is missing. */
static inline const cJSON *jget(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (v == NULL) fail_msg("fixture field %s missing", name);
    return v;
}

#endif
