#!/usr/bin/env bash
# tests/pyverifier/run.sh VERIFY_BIN... — the seed "dstack CVM Python Verifier" end to end:
# `dstack-harness up` (Anvil + a simulator + the contracts), the quote sidecar
# (quote_sidecar.py) in front of the simulator, `dstack-verify serve` as the Phala Cloud
# attestation API, and verifier.py doing the six steps against them by base URL.
#
#   green, for each VERIFY_BIN: six [OK] lines, exit 0, step 6 at 0x<app_id> (up's simulator
#   runs as its DstackApp, as on real dstack)
#   negative (first VERIFY_BIN): a tampered quote fails step 2 with the service's 400
#   "Quote verification failed"; a replayed quote fails step 3; a changed app_compose fails
#   step 1; an injected event fails step 4; an image not pinned by digest fails step 5; an
#   app id with no contract, and one whose contract is not a DstackApp, fail step 6
# Each service must then stop cleanly (exit 0, no sanitizer report).
# Everything runs on temp sockets and free loopback ports and is stopped by its own PID.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
HARNESS=${DSTACK_HARNESS_BIN:-build/bin/dstack-harness}
SIM=${DSTACK_SIMULATOR_BIN:-build/bin/dstack-simulator}
T=$(mktemp -d /tmp/dstack-pyverifier.XXXXXX)
. tests/lib/procs.sh
fails=0

cleanup() {
  procs_stop
  "$HARNESS" --state "$T/dep.json" --quiet down >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT

# start NAME CMD... — runs CMD in the background, waits for "listening on http://…" in its
# output, sets URL.
start() {
  local name=$1; shift
  "$@" >"$T/$name.log" 2>&1 &
  PIDS+=($!)
  URL=""
  for _ in $(seq 1 600); do
    URL=$(grep -o 'listening on http://[0-9.:]*' "$T/$name.log" | head -1 | sed 's/listening on //')
    [[ -n $URL ]] && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL: $name did not start:"; cat "$T/$name.log"; exit 1
}

# check DESC WANT_RC WANT_TEXT ARGS... — runs verifier.py, checks exit status and output.
check() {
  local desc=$1 want_rc=$2 want=$3; shift 3
  local out rc
  out=$("$PY" tests/pyverifier/verifier.py "$@" 2>&1); rc=$?
  if [[ $rc -eq $want_rc && $out == *"$want"* ]]; then
    echo "  ok    $desc"
  else
    echo "  FAIL  $desc (exit $rc, wanted $want_rc and \"$want\"):"; echo "$out" | sed 's/^/        /'
    fails=$((fails + 1))
  fi
  LAST=$out
}

"$HARNESS" --state "$T/dep.json" --quiet up >"$T/up.log" 2>&1 || { echo "FAIL: dstack-harness up:"; cat "$T/up.log"; exit 1; }
read -r RPC SOCK APP < <("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["rpc_url"], d["simulator"]["socket"], d["contracts"]["DstackApp"])' "$T/dep.json")
NFT=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["contracts"]["DstackMembershipNFT"])' "$T/dep.json")
start sidecar "$PY" tests/pyverifier/quote_sidecar.py --socket "$SOCK"; CVM=$URL
# More simulators for the negative cases: two whose app id is not a DstackApp (the
# default, compose_hash[:20], with no code there; the membership NFT's address, a contract
# but not a DstackApp), and one as up's app whose compose runs an image not pinned by digest.
# sim_side NAME [--compose FILE] [--app-id HEX] — starts one and its sidecar; sets URL to the
# sidecar.
sim_side() {
  local name=$1; shift
  mkdir -p "$T/$name"
  "$SIM" --config appkeys.json --compose app-compose.json "$@" \
    --dstack-sock "$T/$name/d.sock" --tappd-sock "" --external-sock "" --no-stats --workers 1 \
    >"$T/$name.log" 2>&1 &
  PIDS+=($!)
  wait_sock "$T/$name/d.sock" || { echo "FAIL: simulator $name did not start:"; cat "$T/$name.log"; exit 1; }
  start "sidecar-$name" "$PY" tests/pyverifier/quote_sidecar.py --socket "$T/$name/d.sock"
}
sim_side nocode; CVM_NOCODE=$URL
sim_side nft --app-id "${NFT#0x}"; CVM_NFT=$URL
"$PY" -c 'import json,sys; c=json.load(open("app-compose.json")); c["docker_compose_file"]="services:\n  app:\n    image: nginx:latest\n"; json.dump(c,open(sys.argv[1],"w"))' "$T/unpinned.json"
sim_side unpinned --compose "$T/unpinned.json" --app-id "${APP#0x}"; CVM_UNPINNED=$URL

first=""
SERVES=()
for bin in "$@"; do
  echo "--- the seed's Python verifier against $bin serve"
  start "serve-$(basename "$(dirname "$(dirname "$bin")")")" "$bin" serve --endpoint "$SOCK" --listen 127.0.0.1:0
  API=$URL
  SERVES+=("${PIDS[-1]}:$T/serve-$(basename "$(dirname "$(dirname "$bin")")").log")
  check "six steps, step 6 at 0x<app_id> = up's DstackApp" 0 "[OK] Step 6: on-chain governance verified (compose-hash whitelisted in 0x<app_id> $(tr 'A-F' 'a-f' <<<"$APP"))" \
    --cvm "$CVM" --verifier "$API" --rpc "$RPC"
  n=$(grep -c '^\[OK\] Step [1-6]:' <<<"$LAST"); [[ $n -eq 6 ]] || { echo "  FAIL  $n [OK] lines"; fails=$((fails + 1)); }
  [[ -n $first ]] && continue
  first=$API
  start sidecar-quote "$PY" tests/pyverifier/quote_sidecar.py --socket "$SOCK" --tamper quote
  check "tampered quote: step 2, the service's 400" 1 "[FAIL] Step 2: verification service answered 400: Quote verification failed" \
    --cvm "$URL" --verifier "$API" --rpc "$RPC"
  start sidecar-nonce "$PY" tests/pyverifier/quote_sidecar.py --socket "$SOCK" --tamper nonce
  check "replay: the first nonce passes" 0 "[OK] Step 3" --cvm "$URL" --verifier "$API" --rpc "$RPC"
  check "replay: a second nonce fails step 3" 1 "[FAIL] Step 3: report_data" --cvm "$URL" --verifier "$API" --rpc "$RPC"
  start sidecar-compose "$PY" tests/pyverifier/quote_sidecar.py --socket "$SOCK" --tamper compose
  check "changed app_compose: step 1" 1 "[FAIL] Step 1: SHA-256(app_compose)" --cvm "$URL" --verifier "$API" --rpc "$RPC"
  start sidecar-event "$PY" tests/pyverifier/quote_sidecar.py --socket "$SOCK" --tamper event
  check "injected event: step 4" 1 "[FAIL] Step 4: replayed" --cvm "$URL" --verifier "$API" --rpc "$RPC"
  check "app id with no contract: step 6" 1 "[FAIL] Step 6: no contract at the app id" --cvm "$CVM_NOCODE" --verifier "$API" --rpc "$RPC"
  check "app id whose contract is not a DstackApp: step 6" 1 "[FAIL] Step 6: eth_call" --cvm "$CVM_NFT" --verifier "$API" --rpc "$RPC"
  check "an image not pinned by digest: step 5" 1 "[FAIL] Step 5: images not pinned by digest: ['nginx:latest']" --cvm "$CVM_UNPINNED" --verifier "$API" --rpc "$RPC"
done
# Each service stops cleanly on SIGTERM (under ASan: no leak or error report).
for s in "${SERVES[@]}"; do
  pid=${s%%:*} log=${s#*:}
  kill -TERM "$pid"; wait "$pid"; rc=$?
  if ((rc != 0)) || grep -q 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$log"; then
    echo "  FAIL  serve (pid $pid) exit $rc:"; tail -20 "$log"; fails=$((fails + 1))
  fi
done
if ((fails)); then echo "pyverifier: $fails failure(s)"; exit 1; fi
echo "pyverifier: all cases passed"
