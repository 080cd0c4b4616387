/* sim_pcs.h — publishing the simulated Intel PKI: its root CA and collateral over HTTP
 * (Intel PCS/PCCS v4 paths and /sim/pki/…) and as files (--write-pki). */
#ifndef SIM_PCS_H
#define SIM_PCS_H

#include <stddef.h>

#include "ds_imgcache.h"
#include "ds_json.h"
#include "sim_http.h"
#include "sim_state.h"

/* Answers a PKI publication path:
 *   /sgx/certification/v4/rootcacrl, /sgx/certification/v4/pckcrl?ca=…,
 *   /tdx/certification/v4/tcb?fmspc=…, /tdx/certification/v4/qe/identity  (PCS v4 shapes)
 *   /sim/pki/root.pem, /sim/pki/root.der, /sim/pki/collateral.json      (dcap-qvl inputs)
 *   /sim/image-cache, /sim/images/<hash>/metadata.json, /sim/measurements/<key>.json
 * Returns 1 when req->path is one of these prefixes (status, body and reply metadata
 * filled, any HTTP status), 0 when it is not a PKI path (nothing touched). */
int sim_pcs_route(sim_state *st, const sim_http_request *req, int *status, ds_buf *body);

/* The MRTD and RTMR0-2 this simulator's quotes carry (they do not change while it runs).
 * Returns 0, or -1 when out of memory. */
int sim_pcs_measurements(sim_state *st, ds_measurements *m);

/* Writes root_ca.pem, root_ca.der, collateral.json (dcap-qvl shape), pcs_tcb_info.json and
 * pcs_qe_identity.json (PCS v4 bodies) into dir, creating it if needed, and the image
 * cache of this simulator's os_image_hash: images/<hash>/metadata.json and
 * measurements/<vm_config key>.json (lib/dstack/ds_imgcache.h).
 * Returns 0, or -1 with a message in err. */
int sim_pcs_write_dir(const sim_state *st, const char *dir, char *err, size_t errcap);

#endif
