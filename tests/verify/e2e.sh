#!/usr/bin/env bash
# tests/verify/e2e.sh — end-to-end tests of dstack-verify against real simulators, a real
# Anvil and the compiled DstackApp. Usage: e2e.sh PATH/TO/dstack-verify [MORE BUILDS…]
#
# Set up once: Anvil on a free loopback port; simulators on temp sockets (default, TCP,
# stripped log, a compose with a `:latest` image, TCB OutOfDate); node test doubles
# (tests/verify/fake-endpoint.mjs) that tamper the compose, replay an old quote, or forge
# an event; DstackApp contracts: one allowing the simulators' compose hashes, one allowing
# nothing, one requiring TCB UpToDate. Then, for every build given:
#
#   green     six [OK] over the socket, over http://, with a stripped log, via the legacy
#             TdxQuote, text and --json (parsed and checked)
#   one failing case per step, each reporting exactly that step:
#             1 tampered compose, 2 quote under another root, 3 stale (replayed) quote,
#             4 forged event (full and stripped logs), 5 `:latest` image,
#             6 compose hash not allowed (second DstackApp, removeComposeHash) and the
#             isAppAllowed reason (requireTcbUpToDate with an OutOfDate TCB); the
#             AppBootInfo step 6 sends (read through a recording JSON-RPC pass-through,
#             tests/verify/rpc-record.mjs) is the simulator's KMS BootInfo field by field
#   policy    TCB OutOfDate refused by default, accepted with --accept-tcb
#   exits     no --app → [SKIP] and 3, --no-chain → 0, bad inputs → one line and 2,
#             unreachable chain → step 6 fails
#   quote     payload mode: text/hex/legacy payloads, wrong payload, freshness window,
#             replay refusal within a run (batch) and across runs (--nonce-store)
#
# Everything started is stopped on exit (trap), also when a check fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: e2e.sh PATH/TO/dstack-verify [MORE…]" >&2; exit 2; }
BUILDS=("$@")
SIM=${DSTACK_SIMULATOR_BIN:-build/bin/dstack-simulator}
CHECK_NAME=e2e
WORK=$(mktemp -d /tmp/dstack-verify-e2e.XXXXXX)
. tests/lib/check.sh
. tests/lib/procs.sh
. tests/lib/anvil.sh
trap 'procs_stop; rm -rf "$WORK"' EXIT
ART=contracts/out/DstackApp.sol/DstackApp.json
need_built "${BUILDS[@]}" "$SIM"
need_tool "$ANVIL" "$CAST"
need_contracts "$ART"

# A sanitizer report (ASan/UBSan/LSan builds) fails the case whatever the exit status.
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
clean_err() { if grep -q 'Sanitizer' "$WORK/err"; then bad "$1: sanitizer report" "$(cat "$WORK/err")"; fi; }

# ---- set-up -------------------------------------------------------------------------------------
anvil_start

# start_sim NAME ARGS… : a simulator on $WORK/NAME/{d,t}.sock
start_sim() {
  local n=$1; shift
  mkdir -p "$WORK/$n"
  "$SIM" --config appkeys.json --dstack-sock "$WORK/$n/d.sock" --tappd-sock "$WORK/$n/t.sock" "$@" \
    >"$WORK/$n/log" 2>&1 &
  PIDS+=($!)
  wait_sock "$WORK/$n/d.sock" || die "simulator $n did not start: $(cat "$WORK/$n/log")"
}
# start_fake NAME UPSTREAM MODE : a lying endpoint on $WORK/NAME.sock
start_fake() {
  node tests/verify/fake-endpoint.mjs --upstream "$2" --listen "$WORK/$1.sock" --mode "$3" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 400); do grep -q ready "$WORK/$1.log" && return 0; sleep 0.05; done
  die "fake endpoint $1 did not start: $(cat "$WORK/$1.log")"
}

node -e '
const c = JSON.parse(require("fs").readFileSync("app-compose.json", "utf8"));
c.docker_compose_file = "services:\n  app:\n    image: nginx:latest\n  db:\n    image: postgres@sha256:" + "ab".repeat(32) + "\n";
process.stdout.write(JSON.stringify(c));' >"$WORK/latest-compose.json"
node -e '
const c = JSON.parse(require("fs").readFileSync("app-compose.json", "utf8"));
c.docker_compose_file = "services:\n  app:\n    image: \"evil:1\\n[OK] Step 5: all 1 image pinned by sha256 digest\"\n";
process.stdout.write(JSON.stringify(c));' >"$WORK/inject-compose.json"

start_sim main --listen 127.0.0.1:0
start_sim stripped --event-log stripped
start_sim latest --compose "$WORK/latest-compose.json"
start_sim ood --tcb-status OutOfDate
start_sim inject --compose "$WORK/inject-compose.json"
HTTP_PORT=$(grep -o '(port [0-9]*)' "$WORK/main/log" | grep -o '[0-9]*')
[ -n "$HTTP_PORT" ] || die "no TCP port in the simulator's start-up block"
start_fake passthru "$WORK/main/d.sock" pass
start_fake tamper "$WORK/main/d.sock" tamper-compose
start_fake replay "$WORK/main/d.sock" replay-quote
start_fake forge "$WORK/main/d.sock" forge-event
start_fake forge-stripped "$WORK/stripped/d.sock" forge-event
"$SIM" --write-pki "$WORK/otherpki" --quote-key-seed "$(printf '42%.0s' $(seq 32))" >/dev/null || die "--write-pki failed"
"$SIM" --write-pki "$WORK/mainpki" --config appkeys.json >/dev/null || die "--write-pki failed"

H_MAIN=0x$(sha256sum app-compose.json | cut -d' ' -f1)
H_LATEST=0x$(sha256sum "$WORK/latest-compose.json" | cut -d' ' -f1)
meta=$(curl -s --unix-socket "$WORK/main/d.sock" -X POST -d '{}' http://localhost/GetMeta)
has "simulator's compose hash is sha256(app-compose.json)" "\"compose_hash\":\"${H_MAIN#0x}\"" "$meta"
printf '%s' "$meta" >"$WORK/meta.json"
curl -s --unix-socket "$WORK/main/d.sock" -X POST -d '{}' http://localhost/Info >"$WORK/info.json"

APP_IMPL=$(chain_create "$(artifact_code "$ART")") || die "deploying the DstackApp implementation failed"
deploy_app() { # deploy_app ALLOW_ANY_DEVICE REQUIRE_TCB_UP_TO_DATE COMPOSE_HASH → address (a UUPS proxy, as upstream)
  chain_proxy "$APP_IMPL" "initialize(address,bool,bool,bool,bytes32,bytes32)" "$OWNER" false "$2" "$1" "$ZERO32" "$3"
}
send() { "$CAST" send --rpc-url "$RPC" --private-key "$KEY0" "$@" >/dev/null; }
APP=$(deploy_app true false "$H_MAIN") || die "deploying DstackApp failed"
send "$APP" "addComposeHash(bytes32)" "$H_LATEST" || die "addComposeHash failed"
APP_NONE=$(deploy_app true false "$ZERO32") || die "deploying DstackApp failed"
APP_TCB=$(deploy_app true true "$H_MAIN") || die "deploying DstackApp failed"
APP_RM=$(deploy_app true false "$H_MAIN") || die "deploying DstackApp failed"
got=$("$CAST" call "$APP" "allowedComposeHashes(bytes32)(bool)" "$H_MAIN" --rpc-url "$RPC")
[ "$got" = true ] && ok "set-up: anvil $RPC, DstackApp $APP allows $H_MAIN (cast)" || die "set-up: allowedComposeHashes = $got"
start_sim appid --app-id "${APP#0x}"   # a simulator whose app id is the contract, as on real dstack
DEAD=$(free_port)
# A JSON-RPC pass-through to Anvil that records every request (tests/verify/rpc-record.mjs).
node tests/verify/rpc-record.mjs --upstream "$RPC" --log "$WORK/rpc.log" >"$WORK/rpc-record.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 400); do grep -q ready "$WORK/rpc-record.out" && break; sleep 0.05; done
REC=http://127.0.0.1:$(sed -n 's/^ready //p' "$WORK/rpc-record.out")
[ "$REC" != http://127.0.0.1: ] || die "rpc-record did not start: $(cat "$WORK/rpc-record.out")"
APP_BOOT_INFO="isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))"

# vcase NAME WANT_EXIT WANT_FAILED WANT_TEXT ARGS… : run $V in text mode, then in --json mode.
# WANT_FAILED is the comma-separated list of failed steps ("" for none); every other step
# must be [OK] (or [SKIP] for 6 when no --app); WANT_TEXT must be on a [FAIL] line (or in
# the output when nothing fails).
vcase() {
  local name=$1 want=$2 wantf=$3 text=$4; shift 4
  "$V" "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?
  OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
  local failed; failed=$(grep -o '^\[FAIL\] Step [0-9]' "$WORK/out" | awk '{print $3}' | paste -sd, -)
  local nok; nok=$(grep -c '^\[OK\] Step [0-9]' "$WORK/out")
  local nskip; nskip=$(grep -c '^\[SKIP\] Step [0-9]' "$WORK/out")
  local nfail=0; [ -n "$wantf" ] && nfail=$(tr ',' '\n' <<<"$wantf" | wc -l)
  clean_err "$name"
  if [ "$rc" -eq "$want" ] && [ "$failed" = "$wantf" ] && [ $((nok + nskip + nfail)) -eq 6 ]; then
    ok "$name: exit $rc, failed [${failed}], $nok OK"
  else
    bad "$name: exit $rc (want $want), failed [$failed] (want [$wantf]), $nok OK, $nskip SKIP" "$OUT"$'\n'"$ERR"
  fi
  if [ -n "$text" ]; then
    local where="$OUT"; [ -n "$wantf" ] && where=$(grep '^\[FAIL\]' "$WORK/out")
    has "  says: $text" "$text" "$where"
  fi
  "$V" --json "$@" >"$WORK/out" 2>"$WORK/err"; rc=$?
  OUT=$(cat "$WORK/out"); clean_err "$name (--json)"
  check "  --json: exit $want, failed_steps [$wantf], the rest ok/skip" \
    "$rc === $want && d.exit === $want && d.failed_steps.join() === '$wantf' && d.steps.length === 6 && d.steps.every(s => d.failed_steps.includes(s.step) ? s.status === 'fail' : (s.status === 'ok' || (s.status === 'skip' && s.step === 6)))"
}
# ecase NAME WANT_EXIT WANT_STDERR ARGS… : bad input: one line on stderr, exit code
ecase() {
  local name=$1 want=$2 text=$3; shift 3
  "$V" "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?
  local lines; lines=$(wc -l <"$WORK/err"); clean_err "$name"
  if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ]; then ok "$name: exit $rc, one line"; else bad "$name: exit $rc (want $want), $lines lines" "$(cat "$WORK/err")"; fi
  has "  says: $text" "$text" "$(cat "$WORK/err")"
}

MAIN=$WORK/main/d.sock
for V in "${BUILDS[@]}"; do
  echo "e2e: $V (chain $RPC)"
  # ---- green ------------------------------------------------------------------------------------
  vcase "green over the socket" 0 "" "[OK] Step 6: on-chain governance verified" --endpoint "$MAIN" --rpc "$RPC" --app "$APP"
  check "  JSON: pass, TCB UpToDate, trusting the endpoint's root, step 1 names the hash" \
    "d.ok === true && d.result === 'pass' && d.tcb_status === 'UpToDate' && d.root.trusts_endpoint === true && d.steps[0].detail.includes('${H_MAIN#0x}') && /^[0-9a-f]{64}\$/.test(d.nonce)"
  vcase "green over http://127.0.0.1:$HTTP_PORT" 0 "" "[OK] Step 3: report_data verified" --endpoint "http://127.0.0.1:$HTTP_PORT" --rpc "$RPC" --app "$APP"
  vcase "green with a stripped event log" 0 "" "stripped log" --endpoint "$WORK/stripped/d.sock" --rpc "$RPC" --app "$APP"
  vcase "green via the legacy Tappd.TdxQuote" 0 "" 'sha512("app-data:" ‖ nonce) bound to quote' --legacy-tdxquote --tappd "$WORK/main/t.sock" --endpoint "$MAIN" --rpc "$RPC" --app "$APP"
  vcase "green with --root/--collateral files (no endpoint trust)" 0 "" "root $WORK/mainpki/root_ca.der" --endpoint "$MAIN" --root "$WORK/mainpki/root_ca.der" --collateral "$WORK/mainpki/collateral.json" --rpc "$RPC" --app "$APP"
  check "  JSON: root from the file, not trusting the endpoint" "d.root.trusts_endpoint === false && !d.root.warning"
  DSTACK_SIMULATOR_ENDPOINT=$MAIN ETH_RPC_URL=$RPC vcase "green from the environment" 0 "" "" --app "$APP"
  vcase "through a pass-through double (sanity)" 0 "" "" --endpoint "$WORK/passthru.sock" --rpc "$RPC" --app "$APP"

  # ---- one failing case per step ------------------------------------------------------------------
  vcase "step 1: tampered compose" 1 1 "[FAIL] Step 1: compose-hash mismatch" --endpoint "$WORK/tamper.sock" --rpc "$RPC" --app "$APP"
  has "  expected the attested hash" "expected ${H_MAIN#0x} got " "$("$V" --endpoint "$WORK/tamper.sock" --rpc "$RPC" --app "$APP" | grep '^\[FAIL\]')"
  vcase "step 2: quote under another root" 1 2 "[FAIL] Step 2: quote signature not verified against root $WORK/otherpki/root_ca.der" --endpoint "$MAIN" --root "$WORK/otherpki/root_ca.der" --rpc "$RPC" --app "$APP"
  vcase "step 2: another root and its collateral" 1 2 "pck_chain" --endpoint "$MAIN" --root "$WORK/otherpki/root_ca.der" --collateral "$WORK/otherpki/collateral.json" --rpc "$RPC" --app "$APP"
  vcase "step 3: stale nonce (replayed quote)" 1 3 "[FAIL] Step 3: report_data does not carry nonce" --endpoint "$WORK/replay.sock" --rpc "$RPC" --app "$APP"
  has "  got the old nonce" "got $(printf '11%.0s' $(seq 32))$(printf '00%.0s' $(seq 32))" "$("$V" --endpoint "$WORK/replay.sock" --rpc "$RPC" --app "$APP" | grep '^\[FAIL\]')"
  vcase "step 4: forged event (full log)" 1 4 "[FAIL] Step 4: RTMR3 mismatch" --endpoint "$WORK/forge.sock" --rpc "$RPC" --app "$APP"
  line=$("$V" --endpoint "$WORK/forge.sock" --rpc "$RPC" --app "$APP" | grep '^\[FAIL\]')
  grep -qE 'expected [0-9a-f]{96} got [0-9a-f]{96}$' <<<"$line" && ok "  expected <quote rtmr3> got <replay>" || bad "  no expected/got" "$line"
  vcase "step 4: forged event (stripped log)" 1 4 "[FAIL] Step 4: RTMR3 mismatch" --endpoint "$WORK/forge-stripped.sock" --rpc "$RPC" --app "$APP"
  vcase "step 5: :latest image" 1 5 "[FAIL] Step 5: 1 of 2 images not pinned by digest: app=nginx:latest" --endpoint "$WORK/latest/d.sock" --rpc "$RPC" --app "$APP"
  check "  JSON lists the offender" "d.steps[4].items.length === 1 && d.steps[4].items[0].startsWith('app: nginx:latest (mutable tag :latest')"
  vcase "step 5: an image name carrying a newline forges no [OK] line" 1 5 "evil:1?[OK] Step 5" --endpoint "$WORK/inject/d.sock" --no-chain
  vcase "step 6: compose hash not allowed (second DstackApp)" 1 6 "[FAIL] Step 6: compose-hash ${H_MAIN#0x} is not allowed by DstackApp" --endpoint "$MAIN" --rpc "$RPC" --app "$APP_NONE"
  has "  with isAppAllowed's reason" 'isAppAllowed = false "Compose hash not allowed"' "$("$V" --endpoint "$MAIN" --rpc "$RPC" --app "$APP_NONE")"
  vcase "step 6: allowed before removeComposeHash" 0 "" "" --endpoint "$MAIN" --rpc "$RPC" --app "$APP_RM"
  send "$APP_RM" "removeComposeHash(bytes32)" "$H_MAIN" || bad "removeComposeHash failed"
  vcase "step 6: refused after removeComposeHash" 1 6 "allowedComposeHashes = false" --endpoint "$MAIN" --rpc "$RPC" --app "$APP_RM"
  send "$APP_RM" "addComposeHash(bytes32)" "$H_MAIN" || bad "addComposeHash failed"

  # ---- step 6's AppBootInfo is the BootInfo the KMS builds ------------------------------------
  : >"$WORK/rpc.log"
  vcase "step 6 through a recording JSON-RPC pass-through" 0 "" "" --endpoint "$MAIN" --rpc "$REC" --app "$APP"
  cd6=$(node -e '
    for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean))
      for (const r of [].concat(JSON.parse(l)))
        if (r.method === "eth_call" && /^0x1e079198/.test(r.params[0].data || r.params[0].input || "")) {
          process.stdout.write(r.params[0].data || r.params[0].input); process.exit(0); }' "$WORK/rpc.log")
  OUT=$("$CAST" decode-calldata --json "$APP_BOOT_INFO" "$cd6" 2>&1)
  check "  its isAppAllowed AppBootInfo = the simulator's KMS BootInfo (GetMeta), field by field" "(() => {
    const t = d[0], m = JSON.parse(require('fs').readFileSync('$WORK/meta.json', 'utf8')).kms_auth.boot_info;
    const h = (s) => s.toLowerCase().replace(/^0x/, '');
    return h(t[0]) === m.appId && h(t[1]) === m.composeHash && h(t[2]) === (m.instanceId || '0'.repeat(40)) &&
      h(t[3]) === m.deviceId && h(t[4]) === m.mrAggregated && h(t[5]) === m.mrSystem &&
      h(t[6]) === m.osImageHash && t[7] === m.tcbStatus && JSON.stringify(t[8]) === JSON.stringify(m.advisoryIds) })()"
  check "  mrSystem = sha256(mrtd ‖ rtmr0 ‖ rtmr1 ‖ rtmr2 ‖ sha256(key-provider info)) from Info" "(() => {
    const c = require('crypto'), sha = (b) => c.createHash('sha256').update(b).digest();
    const info = JSON.parse(require('fs').readFileSync('$WORK/info.json', 'utf8')), tcb = JSON.parse(info.tcb_info);
    const mrs = Buffer.concat([...[tcb.mrtd, tcb.rtmr0, tcb.rtmr1, tcb.rtmr2].map((x) => Buffer.from(x, 'hex')),
      sha(Buffer.from(info.key_provider_info))]);
    return info.key_provider_info.length > 0 && d[0][5] === '0x' + sha(mrs).toString('hex') })()"

  # ---- TCB policy and isAppAllowed's other reason ---------------------------------------------
  vcase "TCB OutOfDate refused by default" 1 2 "TCB status OutOfDate is not accepted (accepted: UpToDate" --endpoint "$WORK/ood/d.sock" --rpc "$RPC" --app "$APP"
  vcase "TCB OutOfDate accepted by policy" 0 "" "TCB OutOfDate" --endpoint "$WORK/ood/d.sock" --accept-tcb UpToDate,SW_HARDENING_NEEDED,ConfigurationNeeded,OUT_OF_DATE --rpc "$RPC" --app "$APP"
  vcase "whitelisted, but isAppAllowed refuses (requireTcbUpToDate)" 1 6 'isAppAllowed refuses: "TCB status is not up to date"' --endpoint "$WORK/ood/d.sock" --accept-tcb any --rpc "$RPC" --app "$APP_TCB"
  vcase "requireTcbUpToDate with an UpToDate TCB" 0 "" "" --endpoint "$MAIN" --rpc "$RPC" --app "$APP_TCB"

  # ---- exit statuses and bad input -----------------------------------------------------------------
  vcase "no --app: step 6 skipped, exit 3" 3 "" "[SKIP] Step 6" --endpoint "$MAIN"
  vcase "--no-chain: exit 0" 0 "" "[SKIP] Step 6: on-chain governance not checked (--no-chain)" --endpoint "$MAIN" --no-chain
  vcase "--strict-app-id: the simulator's app id is not the contract" 1 6 "--strict-app-id" --endpoint "$MAIN" --rpc "$RPC" --app "$APP" --strict-app-id
  vcase "--strict-app-id: app id = contract address" 0 "" "isAppAllowed true)" --endpoint "$WORK/appid/d.sock" --rpc "$RPC" --app "$APP" --strict-app-id
  vcase "unreachable chain: step 6 fails" 1 6 "cannot reach the chain at http://127.0.0.1:$DEAD" --endpoint "$MAIN" --rpc "http://127.0.0.1:$DEAD" --app "$APP"
  vcase "no contract at the address" 1 6 "no contract at 0x" --endpoint "$MAIN" --rpc "$RPC" --app 0x000000000000000000000000000000000000dead
  ecase "unknown option" 2 "unknown option --frobnicate" --endpoint "$MAIN" --frobnicate
  ecase "bad --app" 2 "--app: not a 20-byte hex address: 0x1234" --endpoint "$MAIN" --app 0x1234
  ecase "bad --accept-tcb" 2 'unknown TCB status "Sometimes"' --endpoint "$MAIN" --accept-tcb UpToDate,Sometimes
  ecase "missing --root file" 2 "cannot read $WORK/nope.der" --endpoint "$MAIN" --root "$WORK/nope.der"
  ecase "unreachable endpoint" 2 "cannot reach the dstack endpoint at $WORK/nope.sock" --endpoint "$WORK/nope.sock" --no-chain
  ecase "no endpoint" 2 "no endpoint" --no-chain
  ecase "legacy without tappd" 2 "--legacy-tdxquote needs a tappd endpoint" --endpoint "$MAIN" --legacy-tdxquote
  ecase "--rpc not http" 2 "--rpc: not an http:// URL" --endpoint "$MAIN" --rpc ftp://x
  "$V" --json --endpoint "$WORK/nope.sock" --no-chain >"$WORK/out" 2>/dev/null; OUT=$(cat "$WORK/out")
  check "  --json error object" "d.ok === false && d.result === 'error' && d.exit === 2 && d.error.includes('cannot reach')"
  "$V" --help >"$WORK/out" && grep -q -- "--accept-tcb" "$WORK/out" && ok "--help" || bad "--help"

  # ---- quote mode (tracker pattern) ------------------------------------------------------------
  NOW=$(date +%s)
  hexof() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
  getquote() { curl -s --unix-socket "$MAIN" -X POST -H 'content-type: application/json' -d "{\"report_data\":\"$1\"}" http://localhost/GetQuote; }
  N1=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n'); N2=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  P1="register||alice||ts=$NOW||nonce=$N1"
  P2="register||bob||ts=$NOW||nonce=$N2"
  POLD="register||carol||ts=$((NOW - 400))||nonce=$N1"
  getquote "$(hexof "$P1")" >"$WORK/q1.json"; getquote "$(hexof "$P2")" >"$WORK/q2.json"
  getquote "$(hexof "$POLD")" >"$WORK/qold.json"
  RAW=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n'); getquote "$RAW" >"$WORK/qraw.json"
  qcase() { # qcase NAME WANT_EXIT TEXT ARGS…
    local name=$1 want=$2 text=$3; shift 3
    "$V" quote "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?
    OUT=$(cat "$WORK/out"); clean_err "quote: $name"
    if [ "$rc" -eq "$want" ]; then ok "quote: $name (exit $rc)"; else bad "quote: $name: exit $rc, want $want" "$OUT$(cat "$WORK/err")"; fi
    [ -n "$text" ] && has "  says: $text" "$text" "$OUT$(cat "$WORK/err")"
  }
  qcase "timestamped text payload accepted" 0 "[OK] freshness: payload timestamp $NOW" --endpoint "$MAIN" --quote "$WORK/q1.json" --expected-text "$P1"
  has "  event log of the reply replayed" "[OK] event-log: RTMR3 replay verified" "$OUT"
  qcase "wrong expected payload" 1 "[FAIL] payload: report_data does not carry the expected payload" --endpoint "$MAIN" --quote "$WORK/q1.json" --expected-text "register||mallory||ts=$NOW||nonce=$N1"
  qcase "stale timestamp (window 300 s)" 1 "[FAIL] freshness: payload timestamp $((NOW - 400)) is stale" --endpoint "$MAIN" --quote "$WORK/qold.json" --expected-text "$POLD"
  qcase "stale timestamp within --max-age 1000" 0 "" --endpoint "$MAIN" --quote "$WORK/qold.json" --expected-text "$POLD" --max-age 1000
  qcase "hex payload, raw quote hex file" 0 "ACCEPTED" --endpoint "$MAIN" --quote <(node -e "process.stdout.write(require('$WORK/qraw.json').quote)") --expected-payload "$RAW"
  qcase "--max-age on an untimestamped payload" 1 "carries no timestamp" --endpoint "$MAIN" --quote "$WORK/qraw.json" --expected-payload "$RAW" --max-age 60
  qcase "another root" 1 "[FAIL] quote: quote signature not verified" --root "$WORK/otherpki/root_ca.der" --collateral "$WORK/otherpki/collateral.json" --quote "$WORK/q1.json" --expected-text "$P1"
  RT3=$(node -e "process.stdout.write(require('$WORK/q1.json').quote.slice(1040, 1136))")
  qcase "--rtmr expectation holds" 0 "[OK] rtmr: 1 RTMR expectation holds" --endpoint "$MAIN" --quote "$WORK/q1.json" --expected-text "$P1" --rtmr "3=$RT3"
  qcase "--rtmr expectation fails" 1 "[FAIL] rtmr: RTMR2 mismatch" --endpoint "$MAIN" --quote "$WORK/q1.json" --expected-text "$P1" --rtmr "2=$RT3"
  node -e "
    const f = require('fs'), q1 = require('$WORK/q1.json'), q2 = require('$WORK/q2.json');
    const e = (q, p) => JSON.stringify({ quote: q.quote, payload: p });
    f.writeFileSync('$WORK/batch.jsonl', [e(q1, '$P1'), e(q2, '$P2'), e(q1, '$P1')].join('\n') + '\n');"
  qcase "batch: a nonce replayed within the run is refused" 1 "#3 [FAIL] replay: replayed: nonce:$N1 was already accepted earlier in this run" --endpoint "$MAIN" --batch "$WORK/batch.jsonl"
  has "  first two accepted" "2 accepted, 1 refused" "$OUT"
  "$V" quote --json --endpoint "$MAIN" --batch "$WORK/batch.jsonl" >"$WORK/out" 2>/dev/null; OUT=$(cat "$WORK/out")
  check "  --json: accepted 2, refused 1, #3 fails on replay only" \
    "d.ok === false && d.accepted === 2 && d.refused === 1 && d.results[2].checks.filter(c => c.status === 'fail').map(c => c.name).join() === 'replay'"
  rm -f "$WORK/nonces"
  qcase "nonce store: first use" 0 "recorded in the store" --endpoint "$MAIN" --quote "$WORK/q2.json" --expected-text "$P2" --nonce-store "$WORK/nonces"
  qcase "nonce store: replay in a later run refused" 1 "replayed: nonce:$N2 was already accepted (nonce store)" --endpoint "$MAIN" --quote "$WORK/q2.json" --expected-text "$P2" --nonce-store "$WORK/nonces"
  curl -s --unix-socket "$WORK/main/t.sock" -X POST -d "{\"report_data\":\"$(hexof "$P1")\"}" http://localhost/prpc/Tappd.TdxQuote >"$WORK/qleg.json"
  qcase "legacy TdxQuote payload" 0 'sha512("app-data:" ‖ payload) bound to quote' --endpoint "$MAIN" --quote "$WORK/qleg.json" --expected-text "$P1" --legacy-tdxquote
  curl -s --unix-socket "$WORK/main/t.sock" -X POST -d "{\"report_data\":\"$(hexof "$P1")\",\"hash_algorithm\":\"keccak256\"}" http://localhost/prpc/Tappd.TdxQuote >"$WORK/qkec.json"
  qcase "legacy TdxQuote with keccak256" 0 'keccak256("app-data:" ‖ payload) bound to quote' --endpoint "$MAIN" --quote "$WORK/qkec.json" --expected-text "$P1" --legacy-tdxquote --payload-hash keccak256
  qcase "raw payload hashed (--payload-hash sha256)" 0 'sha256(payload) bound to quote' --endpoint "$MAIN" --quote <(getquote "$(printf '%s' "$P1" | sha256sum | cut -d' ' -f1)") --expected-text "$P1" --payload-hash sha256
  qcase "unknown --payload-hash" 2 "--payload-hash: unknown algorithm md5" --endpoint "$MAIN" --quote "$WORK/q1.json" --expected-text "$P1" --payload-hash md5
  qcase "legacy quote checked as raw" 1 "[FAIL] payload" --endpoint "$MAIN" --quote "$WORK/qleg.json" --expected-text "$P1"
  qcase "missing expected payload" 2 "give --expected-text TEXT or --expected-payload HEX" --endpoint "$MAIN" --quote "$WORK/q1.json"
  qcase "--quote and --batch together" 2 "give exactly one of --quote FILE and --batch FILE" --endpoint "$MAIN" --quote "$WORK/q1.json" --batch "$WORK/batch.jsonl" --expected-text x
  qcase "--batch with an expected payload" 2 "--batch entries carry their own payloads" --endpoint "$MAIN" --batch "$WORK/batch.jsonl" --expected-text x
  qcase "bad --rtmr" 2 "--rtmr: want N=<96 hex>" --endpoint "$MAIN" --quote "$WORK/q1.json" --expected-text x --rtmr 4=00
  qcase "missing quote file" 2 "cannot read $WORK/none.json" --endpoint "$MAIN" --quote "$WORK/none.json" --expected-text x
done

check_summary e2e
