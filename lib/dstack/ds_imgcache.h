/* ds_imgcache.h — dstack's OS-image measurement cache, in the layout upstream's
 * dstack-verifier keeps under its image_cache_dir (dstack-verifier-api.md §7):
 *
 *   images/<os_image_hash hex>/metadata.json   {"cmdline","kernel","initrd","bios",...}
 *   measurements/<key>.json                      {"version":2,"measurements":
 *                                                  {"mrtd","rtmr0","rtmr1","rtmr2"}}
 *
 * where <key> is the lowercase hex SHA-256 of the VmConfig re-serialized the way upstream
 * serialises its VmConfig struct (serde_json, compact, fields in declaration order:
 * os_image_hash, cpu_count, memory_size, [qemu_single_pass_add_pages], [pic],
 * [qemu_version], pci_hole64_size, hugepages, num_gpus, num_nvswitches, hotplug_off,
 * [image], host_share_mode, [ovmf_variant]; bracketed ones only when given). Unknown keys
 * of the input (spec_version, …) are dropped, absent ones take their defaults, exactly as
 * a serde round trip does. The simulator writes this layout; dstack-verify reads it.
 */
#ifndef DS_IMGCACHE_H
#define DS_IMGCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"
#include "ds_json.h"

#define DS_MEASUREMENT_CACHE_VERSION 2

typedef struct {
    uint8_t *os_image_hash; /* malloc'd (NULL when empty) */
    size_t os_image_hash_len;
    uint32_t cpu_count;
    uint64_t memory_size;
    int single_pass;    /* -1 absent, else 0/1: qemu_single_pass_add_pages */
    int pic;            /* -1 absent, else 0/1 */
    char *qemu_version; /* NULL when absent */
    uint64_t pci_hole64_size;
    int hugepages;
    uint32_t num_gpus, num_nvswitches;
    int hotplug_off;
    char *image;           /* NULL when absent */
    char *host_share_mode; /* "" by default */
    char *ovmf_variant;    /* NULL, "pre202505" or "stable202505" */
} ds_vmconfig;

/* Parses a VmConfig JSON object. Returns DS_OK, DS_ERR_NOMEM, or DS_ERR_PARSE with a
 * one-line message in err (capacity errcap, may be NULL); out is empty on error. */
ds_err ds_vmconfig_parse(const char *json, size_t len, ds_vmconfig *out, char *err, size_t errcap);
void ds_vmconfig_free(ds_vmconfig *c);
/* Appends the re-serialised form (see above). Returns DS_OK or DS_ERR_NOMEM. */
ds_err ds_vmconfig_serialize(const ds_vmconfig *c, ds_buf *out);
/* The cache key: hex SHA-256 of the re-serialised form. Returns DS_OK or DS_ERR_NOMEM. */
ds_err ds_vmconfig_cache_key(const ds_vmconfig *c, char key[65]);

/* The four measurements an OS image and VM shape determine. */
typedef struct {
    uint8_t mrtd[48], rtmr0[48], rtmr1[48], rtmr2[48];
} ds_measurements;

/* Appends a measurements/<key>.json document. Returns DS_OK or DS_ERR_NOMEM. */
ds_err ds_measurements_to_json(const ds_measurements *m, ds_buf *out);
/* Parses one. Returns DS_OK, or DS_ERR_PARSE with a message (not JSON, version is not
 * DS_MEASUREMENT_CACHE_VERSION, a value is not 48 bytes of hex). */
ds_err ds_measurements_parse(const char *json, size_t len, ds_measurements *out, char *err,
                             size_t errcap);

/* Appends the images/<hash>/metadata.json document of a simulated image: cmdline, kernel,
 * initrd, bios, version (the files it names are not shipped: only the measurements are
 * real). Returns DS_OK or DS_ERR_NOMEM. */
ds_err ds_image_metadata_json(const char *version, ds_buf *out);
/* Checks a metadata.json text as upstream reads it: an object with string cmdline, kernel,
 * initrd and bios. Returns DS_OK or DS_ERR_PARSE with a message. */
ds_err ds_image_metadata_check(const char *json, size_t len, char *err, size_t errcap);

/* Writes images/<hash>/metadata.json and measurements/<key>.json under dir (created as
 * needed) for vm_config_json and m. Returns DS_OK, or DS_ERR_PARSE / DS_ERR_IO /
 * DS_ERR_NOMEM with a message. */
ds_err ds_imgcache_write(const char *dir, const char *vm_config_json, const ds_measurements *m,
                         const char *version, char *err, size_t errcap);

#endif
