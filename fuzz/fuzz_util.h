/* fuzz_util.h — what every fuzz target shares: a check that aborts with its location (so
 * libFuzzer records the input as a crash) and the libFuzzer entry points' prototypes
 * (the build uses -Wmissing-prototypes).
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FZ_CHECK(cond)                                                                    \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__,       \
                    __LINE__);                                                            \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
