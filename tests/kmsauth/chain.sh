#!/usr/bin/env bash
# tests/kmsauth/chain.sh — `dstack-simulator --kms-auth contract:ADDRESS --rpc URL` against a
# real Anvil and the compiled DstackKms and DstackApp, deployed as upstream deploys them
# (implementations behind UUPS proxies): every denial reason of both contracts
# in the contracts' order (kms-governance.md §3), each answered by GetKey as
# `Boot denied: <reason>`, each fixed on chain with `cast send` and picked up by the next
# key request after a second without a restart; an allowed boot that stays allowed when the
# chain changes; the TCB status and advisories the BootInfo carries; an app created by anyone
# through deployAndRegisterApp, allowed at once; a KMS address without a contract and a
# chain that is down. Usage: chain.sh [SIMULATOR…] (default: both builds).
#
# Everything started is stopped on exit (trap), also when a check fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
SIMS=("$@")
[ ${#SIMS[@]} -gt 0 ] || SIMS=(build/bin/dstack-simulator build/asan/bin/dstack-simulator)
CHECK_NAME=chain.sh
WORK=$(mktemp -d /tmp/dstack-kmsauth-chain.XXXXXX)
. tests/lib/check.sh
. tests/lib/procs.sh
. tests/lib/anvil.sh
trap 'procs_stop; rm -rf "$WORK"' EXIT
KMS_ART=contracts/out/DstackKms.sol/DstackKms.json
APP_ART=contracts/out/DstackApp.sol/DstackApp.json
need_built "${SIMS[@]}"
need_tool "$ANVIL" "$CAST"
need_contracts "$KMS_ART" "$APP_ART"

# ---- the chain ----------------------------------------------------------------------------------
anvil_start

send() { "$CAST" send --rpc-url "$RPC" --private-key "$KEY0" "$@" >/dev/null || die "cast send $*"; }
# The deployment, as upstream's: implementations behind UUPS proxies. The DstackKms knows
# the DstackApp implementation; the app is a proxy created directly (not by the factory,
# so that it starts unregistered), allowing nothing yet, wanting an up-to-date TCB and a
# listed device.
APP_IMPL=$(chain_create "$(artifact_code "$APP_ART")") || die "deploying the DstackApp implementation failed"
KMS_IMPL=$(chain_create "$(artifact_code "$KMS_ART")") || die "deploying the DstackKms implementation failed"
KMS=$(chain_proxy "$KMS_IMPL" "initialize(address,address)" "$OWNER" "$APP_IMPL") || die "deploying DstackKms failed"
APP=$(chain_proxy "$APP_IMPL" "initialize(address,bool,bool,bool,bytes32,bytes32)" "$OWNER" false true false "$ZERO32" "$ZERO32") ||
  die "deploying DstackApp failed"
register() { send "$KMS" "registerApp(address)" "$1"; }

# ---- helpers ------------------------------------------------------------------------------------
# start NAME SIM ARGS… : a simulator on $WORK/NAME/d.sock asking the chain
start() {
  local n=$1 sim=$2; shift 2
  mkdir -p "$WORK/$n"
  "$sim" --config appkeys.json --dstack-sock "$WORK/$n/d.sock" --tappd-sock "" --external-sock "" \
    --kms-auth-timeout 2 "$@" >"$WORK/$n/log" 2>&1 &
  PIDS+=($!)
  wait_sock "$WORK/$n/d.sock" || die "simulator $n did not start: $(cat "$WORK/$n/log")"
}
post() { curl -s --unix-socket "$WORK/$1/d.sock" -X POST -d "${3:-{\}}" "http://localhost/$2"; }
# getkey_is NAME WANT_ERROR|"" LABEL : GetKey answers that error ("" = a key)
getkey_is() {
  local out got
  out=$(post "$1" GetKey '{"path":"a"}')
  got=$(node -e "const d=JSON.parse(require('fs').readFileSync(0,'utf8')); process.stdout.write(d.error === undefined ? 'KEY:' + d.key.length : 'ERROR:' + d.error)" <<<"$out")
  if [ -z "$2" ]; then
    if [ "$got" = "KEY:64" ]; then ok "$3"; else bad "$3: no key" "$out"; fi
  elif [ "$got" = "ERROR:$2" ]; then ok "$3"
  else bad "$3" "got:  $got"$'\n'"want: ERROR:$2"; fi
}
meta() { post "$1" GetMeta | node -e "const d=JSON.parse(require('fs').readFileSync(0,'utf8')); process.stdout.write(String($2))"; }

for SIM in "${SIMS[@]}"; do
  echo "--- $SIM"
  tag=$(basename "$(dirname "$(dirname "$SIM")")")
  # each build starts from the same chain state
  SNAP=$("$CAST" rpc --rpc-url "$RPC" evm_snapshot | tr -d '"')
  A=main-$tag
  start "$A" "$SIM" --kms-auth "contract:$KMS" --rpc "$RPC" --app-id "${APP#0x}"
  if grep -q "Boot denied: App not registered" "$WORK/$A/log"; then ok "stderr at start says the boot is denied"
  else bad "stderr at start" "$(cat "$WORK/$A/log")"; fi
  getkey_is "$A" "Boot denied: App not registered" "DstackKms 1: App not registered"
  OS=0x$(meta "$A" "d.kms_auth.boot_info.osImageHash")
  DEV=0x$(meta "$A" "d.kms_auth.boot_info.deviceId")
  H=0x$(sha256sum app-compose.json | cut -d' ' -f1)
  [ "$(meta "$A" "d.kms_auth.boot_info.composeHash")" = "${H#0x}" ] && ok "BootInfo compose hash = sha256(app-compose.json)" ||
    bad "BootInfo compose hash"
  [ "$(meta "$A" "d.kms_auth.boot_info.appId")" = "$(tr 'A-F' 'a-f' <<<"${APP#0x}")" ] && ok "BootInfo app id = the DstackApp" ||
    bad "BootInfo app id"

  register "$APP"; sleep 1.1
  getkey_is "$A" "Boot denied: OS image is not allowed" "DstackKms 2: OS image is not allowed (after registerApp, no restart)"
  send "$KMS" "addOsImageHash(bytes32)" "$OS"; sleep 1.1
  getkey_is "$A" "Boot denied: Compose hash not allowed" "DstackApp 2: Compose hash not allowed (after addOsImageHash)"
  send "$APP" "addComposeHash(bytes32)" "$H"; sleep 1.1
  getkey_is "$A" "Boot denied: Device not allowed" "DstackApp 3: Device not allowed (after addComposeHash)"
  send "$APP" "addDevice(bytes32)" "$DEV"; sleep 1.1
  getkey_is "$A" "" "allowed after addDevice: keys without a restart"
  [ "$(meta "$A" "d.kms_auth.decision + ' ' + d.kms_auth.checks")" = "allowed 5" ] && ok "GetMeta: allowed after 5 checks" ||
    bad "GetMeta decision" "$(post "$A" GetMeta)"
  send "$APP" "removeComposeHash(bytes32)" "$H"; sleep 1.1
  getkey_is "$A" "" "removeComposeHash does not take the keys of a running boot"
  [ "$(meta "$A" "d.kms_auth.checks")" = 5 ] && ok "an allowed boot is not asked again" || bad "checks after allowed"

  # a fresh boot now meets the removed hash; the TCB check comes first
  T=tcb-$tag
  start "$T" "$SIM" --kms-auth "contract:$KMS" --rpc "$RPC" --app-id "${APP#0x}" --tcb-status OutOfDate
  getkey_is "$T" "Boot denied: TCB status is not up to date" "DstackApp 1: TCB status is not up to date (OutOfDate)"
  [ "$(meta "$T" "d.kms_auth.boot_info.tcbStatus + ' ' + JSON.stringify(d.kms_auth.boot_info.advisoryIds)")" = \
    'OutOfDate ["DSTACK-SIM-SA-00001"]' ] && ok "BootInfo carries the TCB status and advisories" ||
    bad "BootInfo TCB" "$(post "$T" GetMeta)"
  send "$APP" "setRequireTcbUpToDate(bool)" false; sleep 1.1
  getkey_is "$T" "Boot denied: Compose hash not allowed" "a new boot after removeComposeHash: Compose hash not allowed"

  # DstackKms 3: a registered app id without a contract
  NOAPP=0x00000000000000000000000000000000000a11ce
  register "$NOAPP"
  N=nocode-$tag
  start "$N" "$SIM" --kms-auth "contract:$KMS" --rpc "$RPC" --app-id "${NOAPP#0x}"
  getkey_is "$N" "Boot denied: App not deployed or invalid address" "DstackKms 3: App not deployed or invalid address"

  # the production path: anyone creates an app through the factory; its address is the app id
  KEY1=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
  USER1=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
  FSIG="deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)"
  FAPP=$("$CAST" call --rpc-url "$RPC" --from "$USER1" "$KMS" "$FSIG(address)" "$USER1" false false true "$ZERO32" "$H")
  "$CAST" send --rpc-url "$RPC" --private-key "$KEY1" "$KMS" "$FSIG" "$USER1" false false true "$ZERO32" "$H" >/dev/null ||
    die "deployAndRegisterApp failed"
  F=factory-$tag
  start "$F" "$SIM" --kms-auth "contract:$KMS" --rpc "$RPC" --app-id "${FAPP#0x}"
  getkey_is "$F" "" "an app made by deployAndRegisterApp (app id = its address): allowed at start"

  # a KMS address with no contract, and a chain that is down
  X=nokms-$tag
  start "$X" "$SIM" --kms-auth "contract:0x000000000000000000000000000000000000beef" --rpc "$RPC"
  getkey_is "$X" "App not allowed: DstackKms.isAppAllowed at 0x000000000000000000000000000000000000beef on $RPC returned 0 bytes that are not (bool, string): is a DstackKms deployed there?" \
    "no DstackKms at the address: the error says so"
  DEAD=$(free_port)
  D=down-$tag
  start "$D" "$SIM" --kms-auth "contract:$KMS" --rpc "http://127.0.0.1:$DEAD"
  getkey_is "$D" "App not allowed: DstackKms.isAppAllowed at $(tr 'A-F' 'a-f' <<<"$KMS"): cannot reach the chain at http://127.0.0.1:$DEAD: is Anvil running? \`dstack-harness up\` starts one" \
    "chain down: the error names the chain"
  post "$D" Info | grep -q '"app_id"' && ok "Info answers while keys are withheld" || bad "Info while denied"
  for n in "$A" "$T" "$N" "$F" "$X" "$D"; do
    if grep -q "Sanitizer\|runtime error" "$WORK/$n/log"; then bad "$n: sanitizer report" "$(cat "$WORK/$n/log")"; fi
  done
  "$CAST" rpc --rpc-url "$RPC" evm_revert "$SNAP" >/dev/null
done

check_summary "kms-auth chain"
