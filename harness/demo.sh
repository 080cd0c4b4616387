#!/usr/bin/env bash
# harness/demo.sh — `make demo`: the whole story in one command, then a short summary.
#   1 up        Anvil + dstack-simulator, dstack's on-chain KMS deployed as production runs it
#               (the app id is the app's DstackApp), contracts trusting the simulator's root
#   2 upgrade   a new app-compose → reboot → "Boot denied: Compose hash not allowed" →
#               boot-check → addComposeHash → keys, with no second reboot
#   3 cluster   3 nodes prove their keys on chain; one mismatched node falls back
#   4 matrix    every mismatch variant through the C verifier and the contract
#   5 diagnose  the upstream v0.5.5 simulator keys that the seed investigation got stuck on
#   6 verify    the seed's six remote-attestation steps against the simulator and the chain
#   7 down      everything stopped
# Uses its own deployment file (build/harness/demo/deployment.json), so it never touches
# a deployment you started with `dstack-harness up`. Stops everything even on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
H=${1:-build/bin/dstack-harness}
STATE=build/harness/demo/deployment.json
trap '"$H" --quiet --state "$STATE" down >/dev/null 2>&1' EXIT
step() { printf '\n=== %s\n\n' "$*"; }
result=()
record() { # record NAME RC
  if [ "$2" -eq 0 ]; then result+=("  ok    $1"); else result+=("  FAIL  $1 (exit $2)"); fi
}

field() { node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
  console.log(process.argv[2].split(".").reduce((o,k)=>o[k],d))' "$STATE" "$1"; }

step "1/7  dstack-harness up: Anvil, simulator, dstack's on-chain KMS, membership NFTs"
"$H" --state "$STATE" up --nodes 3; rc=$?; record "up: chain + simulator + contracts (app id = its DstackApp)" $rc
if [ $rc -ne 0 ]; then printf '\nsummary:\n%s\n' "${result[@]}"; exit 1; fi

step "2/7  an upgrade: new app-compose → reboot → Boot denied → addComposeHash → keys"
upgrade() {
  local sock compose2 out fix
  sock=$(field simulator.socket)
  compose2=$(dirname "$STATE")/app-compose-v2.json
  node -e 'const c=require("./app-compose.json"); c.name="demo-app-v2"; require("fs").writeFileSync(process.argv[1], JSON.stringify(c))' "$compose2"
  getkey() { curl -s --unix-socket "$sock" -X POST -H 'content-type: application/json' -d '{"path":"demo"}' http://dstack/GetKey; }
  echo "\$ dstack-harness reboot --compose $compose2"
  "$H" --quiet --state "$STATE" reboot --compose "$compose2" || return 1
  echo; echo "\$ GetKey"; out=$(getkey); echo "$out"
  grep -q '"Boot denied: Compose hash not allowed"' <<<"$out" || { echo "demo: expected the boot to be denied"; return 1; }
  echo; echo "\$ dstack-harness boot-check"
  out=$("$H" --quiet --state "$STATE" boot-check); echo "$out"
  fix=$(grep -m1 '^  cast send ' <<<"$out") || { echo "demo: boot-check printed no fix"; return 1; }
  echo; echo "\$${fix#  }"
  eval "${fix/cast/node_modules/@foundry-rs/cast-linux-amd64/bin/cast}" >/dev/null || return 1
  sleep 1.1 # the simulator asks the chain again at most once a second
  echo; echo "\$ GetKey (no second reboot)"; out=$(getkey); echo "${out:0:120}…"
  grep -q '"key"' <<<"$out" || { echo "demo: keys still refused"; return 1; }
  "$H" --quiet --state "$STATE" boot-check >/dev/null
}
upgrade; record "upgrade: reboot → Boot denied: Compose hash not allowed → boot-check's fix → keys, no second reboot" $?

step "3/7  dstack-harness cluster 3: node 3 runs the simulator in eip191 mode"
"$H" --state "$STATE" cluster 3 --mismatch eip191; record "cluster: 2 bound proofs, 1 decoded refusal + basic fallback" $?

step "4/7  dstack-harness matrix: the mismatch catalogue, C verifier vs contract"
"$H" --state "$STATE" matrix; record "matrix: only the canonical chain verifies, C and contract agree" $?

step "5/7  dstack-harness diagnose: the upstream v0.5.5 simulator keys and the seed's expected roots"
"$H" diagnose --appkeys fixtures/upstream/simulator-appkeys-v0.5.5.json \
  --app-id ea549f02e1a25fabd1cb788380e033ec5461b2ff \
  --expected-root "0xa2eB90b26A1274fa10905da7A62ff15542f2EbFf=the seed's previous deployment" \
  --expected-root "0xf6F3Bb63C4238E5d25c64eBAB48F44a42FC03df4=the seed's root from the simulator PEM key" \
  --expected-root "0x8f2cF602C9695b23130367ed78d8F557554de7C5=dstack's on-chain tutorial root"
record "diagnose: canonical format, root 0x8f2c…e7C5; the seed's roots explained" $?

step "6/7  dstack-verify: compose hash, quote, nonce, RTMR replay, image pinning, on-chain governance"
V=${H%/dstack-harness}/dstack-verify
"$V" --endpoint "$(field simulator.socket)" --rpc "$(field rpc_url)" --app "$(field contracts.DstackApp)"
record "verify: all six steps hold (root and collateral published by the simulator)" $?

step "7/7  dstack-harness down"
"$H" --state "$STATE" down; record "down: nothing left running" $?
trap - EXIT

printf '\nsummary:\n'
printf '%s\n' "${result[@]}"
for r in "${result[@]}"; do case $r in *FAIL*) exit 1 ;; esac; done
exit 0
