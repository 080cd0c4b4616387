#!/usr/bin/python3
"""verifier.py — the seed "dstack CVM Python Verifier", written as such verifiers are: the
quote is verified by Phala Cloud's attestation API, here `dstack-verify serve` reached by
its base URL only. Six steps:

  1 compose-hash   SHA-256 of Info's tcb_info.app_compose = the "compose-hash" event
  2 quote          POST {base}/api/v1/attestations/verify {"hex": quote} → quote.verified
  3 report_data    the random nonce sent with GET /quote?data= is in quote.body.reportdata
  4 RTMR3 replay   the runtime events of the event log replay to quote.body.rtmr3
  5 image digests  every image of the compose's docker_compose_file is pinned @sha256:
  6 governance     allowedComposeHashes(compose_hash) is true at the app's DstackApp

Step 6 asks the chain at 0x<Info.app_id>: with dstack's on-chain KMS the app id is its
DstackApp's address (`dstack-harness up` deploys it so). No contract there, or one that is
not a DstackApp, fails the step.

Usage: verifier.py --cvm URL --verifier URL --rpc URL
Exit 0 when all six hold, 1 when a step fails, 2 on a usage or connection error.
Debian python3-requests and python3-yaml only.
"""
import argparse
import hashlib
import json
import os
import sys

import requests
import yaml

RUNTIME_EVENT = 0x08000001
# allowedComposeHashes(bytes32): the first 4 bytes of keccak256 of the signature, as solc
# lists it in contracts/out/DstackApp.sol/DstackApp.json methodIdentifiers.
SEL_ALLOWED_COMPOSE_HASHES = "2f6622e5"
TIMEOUT = 10


class StepFailed(Exception):
    pass


def ok(n, msg):
    print(f"[OK] Step {n}: {msg}", flush=True)


def rpc(url, method, params):
    r = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                      timeout=TIMEOUT)
    r.raise_for_status()
    j = r.json()
    if "error" in j:
        raise StepFailed(f"{method}: {j['error']}")
    return j["result"]


def event_digest(ev):
    payload = bytes.fromhex(ev.get("event_payload", ""))
    return hashlib.sha384(RUNTIME_EVENT.to_bytes(4, "little") + b":" +
                          ev["event"].encode() + b":" + payload).digest()


def step1(info, events):
    tcb = json.loads(info["tcb_info"])
    app_compose = tcb["app_compose"]
    h = hashlib.sha256(app_compose.encode()).hexdigest()
    attested = [e for e in events if e.get("imr") == 3 and e.get("event") == "compose-hash"]
    if not attested:
        raise StepFailed("no compose-hash event in the event log")
    if attested[-1]["event_payload"].lower() != h:
        raise StepFailed(f"SHA-256(app_compose) {h} != attested {attested[-1]['event_payload']}")
    ok(1, f"compose-hash verified ({h})")
    return h, app_compose


def step2(base, quote_hex):
    r = requests.post(f"{base}/api/v1/attestations/verify", json={"hex": quote_hex},
                      timeout=TIMEOUT)
    if r.status_code != 200:
        detail = r.json().get("detail") if r.headers.get("content-type", "").startswith(
            "application/json") else r.text[:200]
        raise StepFailed(f"verification service answered {r.status_code}: {detail}")
    result = r.json()
    if not result["quote"]["verified"]:
        raise StepFailed("quote.verified is false")
    ok(2, f"quote signature verified by {base} (checksum {result['checksum']})")
    return result


def step3(result, nonce):
    rd = result["quote"]["body"]["reportdata"]
    rd = rd[2:] if rd.startswith("0x") else rd
    if not rd.startswith(nonce):
        raise StepFailed(f"report_data {rd[:64]}... does not start with the nonce {nonce}")
    ok(3, "report_data verified (nonce bound to quote)")


def step4(result, events):
    mr = bytes(48)
    for e in events:
        if e.get("imr") != 3:
            continue
        d = event_digest(e) if e.get("event_type") == RUNTIME_EVENT else bytes.fromhex(e["digest"])
        if e.get("digest") and bytes.fromhex(e["digest"]) != d:
            raise StepFailed(f"event {e.get('event')!r}: digest does not match its payload")
        mr = hashlib.sha384(mr + d).digest()
    quoted = result["quote"]["body"]["rtmr3"]
    quoted = quoted[2:] if quoted.startswith("0x") else quoted
    if mr.hex() != quoted.lower():
        raise StepFailed(f"replayed {mr.hex()} != quoted {quoted}")
    ok(4, f"RTMR3 replay verified ({quoted[:40]}...)")


def step5(app_compose):
    compose = json.loads(app_compose).get("docker_compose_file", "")
    doc = yaml.safe_load(compose) or {}
    images = [s.get("image", "") for s in (doc.get("services") or {}).values()]
    unpinned = [i for i in images if "@sha256:" not in i]
    if not images or unpinned:
        raise StepFailed(f"images not pinned by digest: {unpinned or 'no images'}")
    ok(5, f"docker image digests pinned ({len(images)} image(s))")


def step6(rpc_url, info, compose_hash):
    app = "0x" + info["app_id"].lower().removeprefix("0x")
    if rpc(rpc_url, "eth_getCode", [app, "latest"]) in ("0x", "0x0", ""):
        raise StepFailed(f"no contract at the app id {app}: the app id is not a DstackApp")
    data = "0x" + SEL_ALLOWED_COMPOSE_HASHES + compose_hash
    res = rpc(rpc_url, "eth_call", [{"to": app, "data": data}, "latest"])
    if res in ("0x", "") or int(res, 16) != 1:
        raise StepFailed(f"compose-hash {compose_hash} is not allowed at 0x<app_id> {app}")
    ok(6, f"on-chain governance verified (compose-hash whitelisted in 0x<app_id> {app})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cvm", required=True, help="the CVM: GET /quote, GET /prpc/Info")
    ap.add_argument("--verifier", required=True,
                    help="attestation API base URL (Phala Cloud: https://cloud-api.phala.network)")
    ap.add_argument("--rpc", required=True, help="chain JSON-RPC URL")
    a = ap.parse_args()
    nonce = os.urandom(32).hex()
    print(f"Nonce (hex): {nonce}", flush=True)
    try:
        q = requests.get(f"{a.cvm}/quote", params={"data": nonce}, timeout=TIMEOUT)
        q.raise_for_status()
        evidence = q.json()
        info_r = requests.get(f"{a.cvm}/prpc/Info", timeout=TIMEOUT)
        info_r.raise_for_status()
        info = info_r.json()
    except (requests.RequestException, ValueError) as e:
        print(f"[ERROR] the CVM at {a.cvm}: {e}", file=sys.stderr)
        return 2
    events = json.loads(evidence["event_log"])
    step = 0
    try:
        step = 1
        compose_hash, app_compose = step1(info, events)
        step = 2
        result = step2(a.verifier, evidence["quote"])
        step = 3
        step3(result, nonce)
        step = 4
        step4(result, events)
        step = 5
        step5(app_compose)
        step = 6
        step6(a.rpc, info, compose_hash)
    except StepFailed as e:
        print(f"[FAIL] Step {step}: {e}", flush=True)
        return 1
    except requests.RequestException as e:
        print(f"[ERROR] Step {step}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
