/* fuzz_compose.c — libFuzzer target: the verifier's docker compose YAML parser
 * (verifier/vf_images.c on libyaml: services → image, anchors, aliases, merge keys,
 * duplicate-key and multi-document refusal), which reads app-compose.json's
 * docker_compose_file from a CVM under verification — hostile by assumption.
 *
 * Invariants: the scan either succeeds or fails with a message; on success every entry
 * names its service, the pinned count matches the entries, and an entry counts as pinned
 * exactly when vf_image_pinned says its reference is (a digest-pinned image is never
 * misreported, and a mutable one is never passed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "vf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* An exact-size copy, so ASan sees any read past the end. */
    char *buf = malloc(size ? size : 1);
    FZ_CHECK(buf != NULL);
    if (size) memcpy(buf, data, size);
    vf_images im;
    vf_images_init(&im);
    int rc = vf_images_scan(buf, size, &im);
    FZ_CHECK(rc == 0 || rc == -1);
    if (rc == -1) {
        FZ_CHECK(im.err[0] != '\0');
    } else {
        size_t pinned = 0;
        for (size_t i = 0; i < im.n; i++) {
            const vf_image *e = &im.v[i];
            FZ_CHECK(e->service != NULL);
            char why[96];
            int p = e->image && vf_image_pinned(e->image, why, sizeof why);
            FZ_CHECK(p == (e->pinned != 0));
            pinned += e->pinned != 0;
        }
        FZ_CHECK(pinned == im.n_pinned);
    }
    vf_images_free(&im);
    /* the reference check alone, on the raw bytes as one string */
    char *ref = malloc(size + 1);
    FZ_CHECK(ref != NULL);
    if (size) memcpy(ref, data, size);
    ref[size] = '\0';
    char why[96] = "";
    if (!vf_image_pinned(ref, why, sizeof why)) FZ_CHECK(why[0] != '\0');
    free(ref);
    free(buf);
    return 0;
}
