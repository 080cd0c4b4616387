#!/usr/bin/env bash
# tests/harness/gov.sh — dstack-harness and on-chain KMS governance, end to end against a
# real Anvil, the real simulator and the compiled contracts. Usage: gov.sh PATH/TO/dstack-harness
#
#   up            production's shape: the app id is the DstackApp proxy created by
#                 DstackKms.deployAndRegisterApp; Info, GetMeta, the NFT's cluster app id
#                 and the chain agree; the simulator asks the chain (--kms-auth contract:)
#   upgrade story removeComposeHash → reboot → GetKey "Boot denied: Compose hash not
#                 allowed" → boot-check names check 5 and prints the fix → the fix, run as
#                 printed → the same key again, without another reboot
#   reboot --compose  a new app-compose → denied until its hash is added
#   OS image / device  the other refusals, each named by boot-check with who may fix it;
#                 an unregistered app id without a contract (registerApp, deployAndRegisterApp);
#                 an out-of-date TCB on an app requiring UpToDate
#   up --app-id   the app placed at a chosen id: Info.app_id, code and registration there
#   up --fork     a fork of that chain (a local Anvil holding the stack): nothing deployed,
#                 its contracts decide; --fork-block before a change, and 0 (block 0, not
#                 the latest); boot-check against the fork and against the origin with
#                 --rpc/--kms-contract/--socket
#   error paths   bad usage (exit 2), nothing at --kms-contract, no deployment, dead socket
set -uo pipefail
cd "$(dirname "$0")/../.."
H=${1:?usage: gov.sh PATH/TO/dstack-harness}
CHECK_NAME=gov
WORK=$(mktemp -d /tmp/dstack-harness-gov.XXXXXX)
. tests/lib/check.sh
. tests/lib/procs.sh
. tests/lib/anvil.sh # CAST, OWNER (Anvil's first account)
A="$WORK/a/deployment.json" B="$WORK/b/deployment.json"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
cleanup() {
  procs_stop # the plain simulators started below
  "$H" --quiet --state "$B" down >/dev/null 2>&1
  "$H" --quiet --state "$A" down >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
need_built "$H"
need_tool "$CAST"
st() { node -e "const d=require('$1'); process.stdout.write(String($2))"; }
sim() { # sim SOCK METHOD [BODY] → reply body in $BODY, HTTP status in $CODE
  local r; r=$(curl -s -w '\n%{http_code}' --unix-socket "$1" -X POST -H 'content-type: application/json' -d "${3:-{\}}" "http://dstack/$2")
  CODE=${r##*$'\n'}; BODY=${r%$'\n'*}
}
lc() { tr 'A-F' 'a-f' <<<"$1"; }
send() { "$CAST" send --rpc-url "$RPC" --unlocked --from "$OWNER" "$@" >/dev/null 2>"$WORK/cast.err" || bad "cast send $*" "$(cat "$WORK/cast.err")"; }
# run the first `cast send` line of boot-check's fix exactly as printed
run_fix() { local line; line=$(grep -m1 '^  cast send ' <<<"$1"); eval "${line/cast/\"\$CAST\"}" >/dev/null 2>"$WORK/cast.err" || bad "fix failed: $line" "$(cat "$WORK/cast.err")"; }

echo "gov: $H"
for c in reboot boot-check; do expect "$c --help" 0 "$H" "$c" --help; done
expect "up --fork without --kms-contract is bad usage" 2 "$H" --state "$A" up --fork http://127.0.0.1:1 --app-id 0x1111111111111111111111111111111111111111
expect "up --kms-contract without --fork is bad usage" 2 "$H" --state "$A" up --kms-contract 0x1111111111111111111111111111111111111111
expect "up --app-id that is not 20 bytes is bad usage" 2 "$H" --state "$A" up --app-id 0x1234
expect "boot-check without a deployment" 2 "$H" --state "$A" boot-check
has "  says what to give" "give --socket, --rpc and --kms-contract" "$ERR"
expect "reboot without a deployment" 1 "$H" --state "$A" reboot

# ---- up: production's shape ----------------------------------------------------------------
expect "up" 0 "$H" --state "$A" --json up --nodes 1
RPC=$(st "$A" d.rpc_url); KMS=$(st "$A" d.contracts.DstackKms); APP=$(st "$A" d.contracts.DstackApp)
SOCK=$(st "$A" d.simulator.socket); APPIMPL=$(st "$A" d.contracts.DstackAppImplementation)
NFT=$(st "$A" d.contracts.DstackMembershipNFT); COMPOSE=$(st "$A" d.compose_hash)
eq "  app_id in the deployment file is the DstackApp" "$(st "$A" d.app_id)" "$(lc "$APP")"
sim "$SOCK" Info; OUT=$BODY; check "  Info.app_id is the DstackApp's address" "d.app_id === '$(lc "${APP#0x}")'"
sim "$SOCK" GetMeta; OUT=$BODY
check "  GetMeta: --kms-auth contract at the KMS, allowed" "d.kms_auth.mode === 'contract' && d.kms_auth.allowed === true && d.kms_auth.target.toLowerCase().includes('$(lc "${KMS#0x}")')"
check "  GetMeta: the BootInfo's app id and compose hash" "d.kms_auth.boot_info.appId === '$(lc "${APP#0x}")' && '0x'+d.kms_auth.boot_info.composeHash === '$COMPOSE'"
eq "  cast: DstackKms.registeredApps(app)" "$("$CAST" call --rpc-url "$RPC" "$KMS" 'registeredApps(address)(bool)' "$APP")" true
eq "  cast: DstackApp.allowedComposeHashes(compose)" "$("$CAST" call --rpc-url "$RPC" "$APP" 'allowedComposeHashes(bytes32)(bool)' "$COMPOSE")" true
eq "  cast: DstackKms.appImplementation()" "$("$CAST" call --rpc-url "$RPC" "$KMS" 'appImplementation()(address)')" "$APPIMPL"
slot=$("$CAST" storage --rpc-url "$RPC" "$APP" 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc)
eq "  the app is an ERC-1967 proxy of that implementation" "0x${slot: -40}" "$(lc "$APPIMPL")"
eq "  cast: the NFT's cluster app id is the app" "$("$CAST" call --rpc-url "$RPC" "$NFT" 'clusterAppId()(bytes32)')" "$(lc "$APP")000000000000000000000000"
sim "$SOCK" GetKey '{"path":"gov"}'; K1=$BODY; eq "  GetKey answers 200" "$CODE" 200
expect "boot-check: allowed" 0 "$H" --state "$A" --json boot-check
check "  six checks, all ok; verdict from the chain" "d.allowed && d.reason === '' && d.checks.length === 6 && d.checks.every(c => c.ok)"

# ---- the upgrade story -----------------------------------------------------------------------
send "$APP" 'removeComposeHash(bytes32)' "$COMPOSE"
sim "$SOCK" GetKey '{"path":"gov"}'; OUT=$BODY
eq "  removing the hash does not take keys from the running CVM" "$CODE" 200
expect "reboot" 0 "$H" --state "$A" reboot
has "  says the boot is denied" "contract: denied — Compose hash not allowed" "$OUT"
sim "$SOCK" GetKey '{"path":"gov"}'; OUT=$BODY
eq "  GetKey after the reboot: 400" "$CODE" 400
check "  … with the KMS's words" "d.error === 'Boot denied: Compose hash not allowed'"
sim "$SOCK" Info; OUT=$BODY; eq "  Info still answers" "$CODE" 200
expect "boot-check: denied" 1 "$H" --state "$A" boot-check
has "  check 5 fails with the contract's reason" '[FAIL] 5 DstackApp.allowedComposeHashes(composeHash)   false  → "Compose hash not allowed"' "$OUT"
has "  the chain's verdict" 'verdict: DENIED — DstackKms.isAppAllowed returns (false, "Compose hash not allowed")' "$OUT"
has "  the fix, owner only" "\"addComposeHash(bytes32)\" $COMPOSE" "$OUT"
has "  says who may send it" "only the DstackApp owner $OWNER can send it" "$OUT"
run_fix "$OUT"
sleep 1.1
sim "$SOCK" GetKey '{"path":"gov"}'; K2=$BODY
eq "  after the printed fix: GetKey 200 without another reboot" "$CODE" 200
eq "  the same key as before (same identity)" "$K2" "$K1"
expect "boot-check: allowed again" 0 "$H" --state "$A" boot-check

# ---- a new app-compose ----------------------------------------------------------------------
node -e "const c=require('./app-compose.json'); c.name = 'gov-upgrade'; require('fs').writeFileSync(process.argv[1], JSON.stringify(c))" "$WORK/compose2.json"
expect "reboot --compose (an upgrade)" 0 "$H" --state "$A" --json reboot --compose "$WORK/compose2.json"
check "  compose hash changed, boot denied" "d.compose_changed && !d.allowed && d.reason === 'Compose hash not allowed'"
NEW=0x$(js d.compose_hash | sed 's/^0x//')
eq "  the new hash is sha256 of the new file" "$NEW" "0x$(sha256sum "$WORK/compose2.json" | cut -c1-64)"
expect "boot-check --json names the new hash" 1 "$H" --state "$A" --json boot-check
check "  fix adds the new hash" "d.fixes.length === 1 && d.fixes[0].includes('addComposeHash(bytes32)\" $NEW')"
send "$APP" 'addComposeHash(bytes32)' "$NEW"
sleep 1.1
sim "$SOCK" GetKey '{"path":"gov"}'; eq "  keys after addComposeHash" "$CODE" 200
expect "reboot keeps the recorded compose" 0 "$H" --state "$A" --json reboot
check "  same hash, allowed" "!d.compose_changed && d.allowed && d.compose_hash === '$NEW'"

# ---- OS image and device ------------------------------------------------------------------
sim "$SOCK" GetMeta; OUT=$BODY
OS=0x$(js d.kms_auth.boot_info.osImageHash); DEV=0x$(js d.kms_auth.boot_info.deviceId)
send "$KMS" 'removeOsImageHash(bytes32)' "$OS"
"$H" --state "$A" --quiet reboot >/dev/null
expect "boot-check after removeOsImageHash" 1 "$H" --state "$A" boot-check
has "  check 2 fails" '[FAIL] 2 DstackKms.allowedOsImages(osImageHash)' "$OUT"
has "  the fix is the KMS owner's" "\"addOsImageHash(bytes32)\" $OS" "$OUT"
has "  … and says so" "only the DstackKms owner $OWNER can send it" "$OUT"
sim "$SOCK" GetKey '{}'; OUT=$BODY; check "  GetKey: Boot denied: OS image is not allowed" "d.error === 'Boot denied: OS image is not allowed'"
send "$KMS" 'addOsImageHash(bytes32)' "$OS"
eq "  up allowed any device, the simulator's listed" "$("$CAST" call --rpc-url "$RPC" "$APP" 'allowAnyDevice()(bool)') $("$CAST" call --rpc-url "$RPC" "$APP" 'allowedDeviceIds(bytes32)(bool)' "$DEV")" "true true"
send "$APP" 'setAllowAnyDevice(bool)' false
send "$APP" 'removeDevice(bytes32)' "$DEV"
"$H" --state "$A" --quiet reboot >/dev/null
expect "boot-check after removeDevice" 1 "$H" --state "$A" --json boot-check
check "  check 6 fails with Device not allowed, fix addDevice" "d.reason === 'Device not allowed' && d.checks[5].ok === false && d.fixes[0].includes('addDevice(bytes32)\" ${DEV}')"
send "$APP" 'addDevice(bytes32)' "$DEV"
# a CVM of another app (a plain simulator: app id = compose hash, no contract there)
SIMBIN=$(dirname "$H")/dstack-simulator
mkdir -p "$WORK/plain"
"$SIMBIN" --config appkeys.json --dstack-sock "$WORK/plain/d.sock" --tappd-sock "" --quiet >"$WORK/plain/log" 2>&1 &
PIDS+=($!)
wait_sock "$WORK/plain/d.sock" || die "the plain simulator did not start: $(tail -5 "$WORK/plain/log")"
expect "boot-check of an unregistered app without a contract (--socket)" 1 "$H" --state "$A" --json boot-check --socket "$WORK/plain/d.sock"
check "  checks 1 and 3 fail, app checks not asked" "d.reason === 'App not registered' && d.checks.length === 3 && !d.checks[0].ok && d.checks[1].ok && !d.checks[2].ok && d.checks[2].answer === 'none'"
check "  fixes: registerApp (anyone) and deployAndRegisterApp" "d.fixes.length === 2 && d.fixes[0].includes('registerApp(address)') && d.fixes[0].includes('anyone may send it') && d.fixes[1].includes('deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)')"
expect "down" 0 "$H" --state "$A" down

# ---- up --app-id, then a fork of that chain ----------------------------------------------
ID=0x00000000000000000000000000000000d57ac0de
expect "up --app-id" 0 "$H" --state "$A" --json up --nodes 1 --app-id "$ID"
RPC=$(st "$A" d.rpc_url); KMS=$(st "$A" d.contracts.DstackKms); SOCK=$(st "$A" d.simulator.socket)
eq "  the app is at the id" "$(st "$A" d.contracts.DstackApp | tr 'A-F' 'a-f')" "$ID"
sim "$SOCK" Info; OUT=$BODY; check "  Info.app_id is the id" "d.app_id === '${ID#0x}'"
eq "  cast: registered" "$("$CAST" call --rpc-url "$RPC" "$KMS" 'registeredApps(address)(bool)' "$ID")" true
eq "  cast: version() through the proxy" "$("$CAST" call --rpc-url "$RPC" "$ID" 'version()(uint256)')" 2
sim "$SOCK" GetKey '{}'; eq "  GetKey 200" "$CODE" 200
# the same app on a platform whose TCB is out of date, with the app requiring UpToDate
"$SIMBIN" --config appkeys.json --dstack-sock "$WORK/plain/t.sock" --tappd-sock "" --quiet --tcb-status OutOfDate \
  --app-id "$ID" >"$WORK/plain/tlog" 2>&1 &
PIDS+=($!)
wait_sock "$WORK/plain/t.sock" || die "the out-of-date simulator did not start: $(tail -5 "$WORK/plain/tlog")"
send "$ID" 'setRequireTcbUpToDate(bool)' true
expect "boot-check of an out-of-date TCB" 1 "$H" --state "$A" --json boot-check --socket "$WORK/plain/t.sock"
check "  check 4 fails first, with the advisories in the BootInfo; fix setRequireTcbUpToDate(false)" "d.reason === 'TCB status is not up to date' && d.checks[3].ok === false && d.checks.slice(0, 3).every(c => c.ok) && d.boot_info.tcbStatus === 'OutOfDate' && d.boot_info.advisoryIds.length > 0 && d.fixes[0].includes('setRequireTcbUpToDate(bool)\" false')"
send "$ID" 'setRequireTcbUpToDate(bool)' false
expect "boot-check once the app no longer requires UpToDate" 0 "$H" --state "$A" boot-check --socket "$WORK/plain/t.sock"
BEFORE=$("$CAST" block-number --rpc-url "$RPC")
COMPOSE=$(st "$A" d.compose_hash)
send "$ID" 'removeComposeHash(bytes32)' "$COMPOSE"
expect "up --fork of that chain (after the removal)" 0 "$H" --state "$B" --json up --fork "$RPC" --kms-contract "$KMS" --app-id "$ID"
check "  nothing deployed: the fork's contracts" "d.contracts.DstackKms.toLowerCase() === '$(lc "$KMS")' && d.contracts.DstackMembershipNFT === '0x0000000000000000000000000000000000000000' && d.fork.url === '$RPC'"
check "  no --fork-block: the latest block (fork.block null)" "d.fork.block === null"
FRPC=$(st "$B" d.rpc_url); FSOCK=$(st "$B" d.simulator.socket)
sim "$FSOCK" GetKey '{}'; OUT=$BODY; check "  the forked chain refuses: Boot denied: Compose hash not allowed" "d.error === 'Boot denied: Compose hash not allowed'"
expect "boot-check on the fork" 1 "$H" --state "$B" boot-check
has "  explains it" '[FAIL] 5 DstackApp.allowedComposeHashes(composeHash)' "$OUT"
has "  the fix goes to the fork" "cast send --rpc-url $FRPC" "$OUT"
run_fix "$OUT"
sleep 1.1
sim "$FSOCK" GetKey '{}'; eq "  fixed on the fork: GetKey 200" "$CODE" 200
expect "boot-check of the fork's CVM against the origin chain (--rpc/--kms-contract/--socket)" 1 \
  "$H" --state "$WORK/none.json" boot-check --rpc "$RPC" --kms-contract "$KMS" --socket "$FSOCK"
has "  the origin still refuses" 'verdict: DENIED' "$OUT"
expect "down the fork" 0 "$H" --state "$B" down
expect "up --fork --fork-block before the removal" 0 "$H" --state "$B" --json up --fork "$RPC" --fork-block "$BEFORE" --kms-contract "$KMS" --app-id "$ID"
check "  the deployment file records block $BEFORE" "d.fork.block === $BEFORE"
FSOCK=$(st "$B" d.simulator.socket)
sim "$FSOCK" GetKey '{}'; eq "  at block $BEFORE the hash was allowed: GetKey 200" "$CODE" 200
expect "status of that fork" 0 "$H" --state "$B" status
has "  names the block" "$RPC at block $BEFORE" "$OUT"
expect "down the fork" 0 "$H" --state "$B" down
expect "up --fork --fork-block 0 (before anything was deployed)" 1 "$H" --state "$B" up --fork "$RPC" --fork-block 0 --kms-contract "$KMS" --app-id "$ID"
has "  Anvil forks block 0, not the latest" "starting anvil forking $RPC at 0" "$ERR"
has "  … where there is no DstackKms" "no contract at --kms-contract $KMS" "$ERR"
expect "up --fork with no contract at --kms-contract" 1 "$H" --state "$B" up --fork "$RPC" --kms-contract 0x000000000000000000000000000000000000dead --app-id "$ID"
has "  says so" "no contract at --kms-contract 0x000000000000000000000000000000000000dEaD" "$ERR"
[ ! -e "$B" ] && ok "  no deployment file left" || bad "  deployment file left"
expect "boot-check with a dead socket" 3 "$H" --state "$A" boot-check --socket "$WORK/none.sock"
expect "down" 0 "$H" --state "$A" down

check_summary "gov $H"
