#!/usr/bin/env bash
# tests/harness/e2e.sh — end-to-end test of dstack-harness against a real Anvil, the real
# simulator and the compiled contracts. Usage: e2e.sh PATH/TO/dstack-harness
#
#   up                 deployment file written; Anvil, simulator, socket, port all live
#   error paths        no deployment, chain unreachable, anvil not installed, bad usage,
#                      `up` twice
#   cluster 3          2 nodes bound-proof registered, the eip191 node refused with a
#                      decoded AppKeyMismatch and registered basic; peers and events
#   matrix             every row as expected (v1 rows by the C and contract v1 checks), a 0.6.0
#                      simulator's v0 and v1 chains byte-identical to the harness's; chain
#                      state (trusted roots) unchanged after
#   matrix --target    tests/harness/contracts/ChainFormats.sol deployed with known
#                      deviations (one per axis, three and four at once — the default search
#                      deepens to find four —, v0 only, v1 only, any app signature, accepting
#                      anything) and our own contract: exactly those deviations named, unsound
#                      ones flagged; the depth searched said under --max-changes, a time budget
#                      that runs out and (plain build) the whole catalogue; bad usage and
#                      non-loopback RPC
#   diagnose --target  the v1 vector through a v1 verifier; a v0 chain to a v1 call
#   diagnose           vectors C and D (chains), the v0.5.5 appkeys.json with the seed's
#                      roots, vector E (digests only), a simulator chain in eip191 mode
#   down               no live process, open port, socket or state file left
#
# Everything it starts is stopped on exit (trap), also when a check fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
H=${1:?usage: e2e.sh PATH/TO/dstack-harness}
CAST=node_modules/@foundry-rs/cast-linux-amd64/bin/cast
CHECK_NAME=e2e
WORK=$(mktemp -d /tmp/dstack-harness-e2e.XXXXXX)
. tests/lib/check.sh
STATE=$WORK/deployment.json
SIMPID=""
cleanup() {
  [ -n "$SIMPID" ] && kill "$SIMPID" 2>/dev/null && wait "$SIMPID" 2>/dev/null
  "$H" --quiet --state "$STATE" down >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
need_built "$H"
need_tool "$CAST"

alive() { # live (non-zombie) process?
  local s; s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
stjs() { node -e "const d=require('$STATE'); process.stdout.write(String($1))"; }

echo "e2e: $H"

# ---- error paths before anything runs ------------------------------------------------------
expect "matrix without a deployment" 1 "$H" --state "$STATE" matrix
has "  says to run up" "run \`dstack-harness up\` first" "$ERR"
expect "up without anvil" 1 env ANVIL=/nonexistent/anvil "$H" --state "$STATE" up
has "  says how to install it" "anvil not installed: run scripts/setup.sh" "$ERR"
[ ! -e "$STATE" ] && ok "  no deployment file left" || bad "  deployment file left after a failed up"
expect "cluster 0 is bad usage" 2 "$H" --state "$STATE" cluster 0
expect "diagnose with a bad app id is bad usage" 2 "$H" diagnose --app-id zz
expect "unknown command" 2 "$H" frobnicate
for c in up down status cluster matrix diagnose; do
  expect "$c --help" 0 "$H" "$c" --help
done

# ---- up -------------------------------------------------------------------------------------
expect "up --nodes 3" 0 "$H" --state "$STATE" --json up --nodes 3
check "  ok in JSON" 'd.ok === true'
check "  3 tokens minted to 3 accounts" 'd.tokens.length === 3 && new Set(d.tokens.map(t => t.owner)).size === 3'
ANVIL_PID=$(stjs d.anvil.pid); PORT=$(stjs d.anvil.port); SIM_PID=$(stjs d.simulator.pid)
SOCK=$(stjs d.simulator.socket); RPC=$(stjs d.rpc_url); NFT=$(stjs d.contracts.DstackMembershipNFT)
KMS=$(stjs d.contracts.DstackKms); ROOT=$(stjs d.kms_root.address)
alive "$ANVIL_PID" && ok "  anvil pid $ANVIL_PID alive" || bad "  anvil not running"
alive "$SIM_PID" && ok "  simulator pid $SIM_PID alive" || bad "  simulator not running"
port_open "$PORT" && ok "  port $PORT open" || bad "  port $PORT closed"
[ -S "$SOCK" ] && ok "  socket $SOCK exists" || bad "  no socket"
# independent check with cast: both contracts trust the simulator's root
got=$("$CAST" call "$NFT" "kmsRootAddress()(address)" --rpc-url "$RPC" 2>&1)
[ "$got" = "$ROOT" ] && ok "  cast: NFT.kmsRootAddress() = $ROOT" || bad "  NFT root $got != $ROOT"
got=$("$CAST" call "$KMS" "kmsRootAddress()(address)" --rpc-url "$RPC" 2>&1)
[ "$got" = "$ROOT" ] && ok "  cast: DstackKms derives the same root from kmsInfo" || bad "  KMS root $got != $ROOT"
got=$(curl -s --unix-socket "$SOCK" -X POST -H 'content-type: application/json' -d '{}' http://dstack/GetMeta)
has "  GetMeta on the socket publishes that root" "\"k256_address\":\"$ROOT\"" "$got"
expect "up twice is refused" 1 "$H" --state "$STATE" up
has "  says it is already up" "already up" "$ERR"
expect "status" 0 "$H" --state "$STATE" status

# chain unreachable: a copy of the deployment pointing at a closed port
DEAD=$(node -e "const n=require('net').createServer(); n.listen(0,'127.0.0.1',()=>{console.log(n.address().port); n.close()})")
sed "s#$RPC#http://127.0.0.1:$DEAD#" "$STATE" >"$WORK/dead.json"
expect "matrix against a dead chain" 1 "$H" --state "$WORK/dead.json" matrix
has "  plain message" "cannot reach the chain at http://127.0.0.1:$DEAD: is Anvil running? \`dstack-harness up\` starts one" "$ERR"

# ---- cluster ----------------------------------------------------------------------------------
expect "cluster 3 (node 3 in eip191 mode)" 0 "$H" --state "$STATE" --json cluster 3 --mismatch eip191
check "  ok" 'd.ok === true'
check "  nodes 1,2 bound proof, node 3 basic" 'd.nodes.map(n => n.registration).join("|") === "bound proof|bound proof|basic (no proof)"'
check "  node 3's proof refused with a decoded custom error" '/^AppKeyMismatch\(recovered: 0x[0-9a-fA-F]{40}, expected: 0x[0-9a-fA-F]{40}\)$/.test(d.nodes[2].proof_rejected)'
check "  bound nodes carry the simulator's root" "d.nodes[0].kms_root === '$ROOT' && d.nodes[1].kms_root === '$ROOT'"
check "  3 distinct instance ids" 'new Set(d.nodes.map(n => n.instance_id)).size === 3'
check "  2 peers listed by the contract" 'd.peers.length === 2 && d.peers.every(p => p.startsWith("http://127.0.0.1:"))'
check "  events: 3 InstanceRegistered (2 withProof), 2 PeerRegistered" \
  'd.events.filter(e => e.event === "InstanceRegistered").length === 3 && d.events.filter(e => e.event === "InstanceRegistered" && e.args.withProof).length === 2 && d.events.filter(e => e.event === "PeerRegistered").length === 2'
ps -eo pid=,stat=,args= >"$WORK/ps"
left=$(awk '$2 !~ /^Z/' "$WORK/ps" | grep -c "dstack-harness-[A-Za-z0-9]\{6\}/dstack.sock")
[ "$left" -eq 0 ] && ok "  no cluster simulator left running" || bad "  $left cluster simulators still running"
ls -d /tmp/dstack-harness-?????? 2>/dev/null | while read -r d; do [ -S "$d/dstack.sock" ] && echo "$d"; done >"$WORK/socks"
[ ! -s "$WORK/socks" ] && ok "  no cluster socket left" || bad "  sockets left" "$(cat "$WORK/socks")"
expect "cluster 3 again (instances from the last run are replaced)" 0 "$H" --state "$STATE" --quiet cluster 3 --mismatch v27 --mismatch-node 1
has "  v27 node refused with RecoveryIdInvalid" "RecoveryIdInvalid(v: 2" "$OUT"
has "  text output explains the fallback" "fell back to basic registration" "$OUT"

# ---- matrix -----------------------------------------------------------------------------------
roots_before=$("$CAST" call "$NFT" "getKmsRoots()(address[])" --rpc-url "$RPC" 2>&1)
expect "matrix" 0 "$H" --state "$STATE" --json matrix
check "  ok, no failed rows" 'd.ok === true && d.rows_failed === 0'
check "  34 catalogue rows (7 for a v1 verifier) + 7 --mismatch simulator rows + 2 from a 0.6.0 simulator" 'd.rows_total === 43 && d.rows.filter(r => r.source === "simulator").length === 9 && d.rows.filter(r => r.verifier === "v1").length === 8'
check "  only canonical and sim:canonical verify, in C and on chain" \
  'd.rows.filter(r => r.verifier === "v0").every(r => (r.c_verifier.valid === r.contract.valid) && (r.contract.valid === r.contract.verifySignatureChain) && (r.c_verifier.valid === ["canonical", "sim:canonical", "sim06:canonical"].includes(r.variant)))'
check "  v1 rows: only v1-canonical and the 0.6.0 simulator's /v1/GetKey verify, in C and through the contract's V1 functions" \
  'd.rows.filter(r => r.verifier === "v1").every(r => r.contract.valid === r.c_verifier.valid && r.contract.valid === r.contract.verifySignatureChain && r.c_verifier.valid === ["v1-canonical", "sim06:v1-canonical"].includes(r.variant))'
check "  a v1 claim given to the v0 contract is rejected" 'd.rows.some(r => r.variant === "v1-claim" && r.contract.valid === false && r.c_verifier.valid === false)'
check "  every axis of the catalogue is covered" \
  '["digest","v byte","app id","app key","claim","separator","trusted root","version","v1 lengths","v1 algorithm","v1 domain"].every(a => d.rows.some(r => r.axis === a))'
check "  v27 rows name the contract error" 'd.rows.filter(r => r.variant.startsWith("v27")).every(r => r.contract.detail.includes("RecoveryIdInvalid"))'
check "  the simulator's canonical, eip191, v27, appid32, uncompressed chains are byte-identical to the harness's" \
  'd.rows.filter(r => r.source === "simulator" && (r.note || "").includes("byte-identical")).length === 7'
check "  and so are a 0.6.0 simulator's v0 and v1 GetKey chains" \
  '["sim06:canonical", "sim06:v1-canonical"].every(v => d.rows.some(r => r.variant === v && r.ok && r.note.includes("byte-identical")))'
roots_after=$("$CAST" call "$NFT" "getKmsRoots()(address[])" --rpc-url "$RPC" 2>&1)
[ "$roots_before" = "$roots_after" ] && ok "  trusted roots unchanged after the matrix ($roots_after)" || bad "  roots changed: $roots_before -> $roots_after"
expect "matrix --only claim-upper (text)" 0 "$H" --state "$STATE" --quiet matrix --only claim-upper --no-simulator
has "  one row, decoded revert" "KmsRootUntrusted(recovered: 0x" "$OUT"

# ---- matrix --target: contracts nobody here wrote, with known deviations -------------------
node tests/harness/contracts/compile.js tests/harness/contracts/ChainFormats.sol >"$WORK/formats.json" 2>"$WORK/err" &&
  ok "compiled tests/harness/contracts/ChainFormats.sol (solc-js)" || bad "compile ChainFormats.sol" "$(cat "$WORK/err")"
FBC=$(node -e "process.stdout.write(require('$WORK/formats.json').ChainFormats.bytecode)")
ACCT=$("$CAST" rpc eth_accounts --rpc-url "$RPC" | node -e "process.stdout.write(JSON.parse(require('fs').readFileSync(0,'utf8'))[0])")
CROOT=$("$CAST" wallet address --private-key "0x$(node -e "process.stdout.write(require('./appkeys.json').kms_root_key)")")
deploy_formats() { # deploy_formats ROOT FLAGS -> address
  "$CAST" send --rpc-url "$RPC" --unlocked --from "$ACCT" --json --create "$FBC" "constructor(address,uint256)" "$1" "$2" |
    node -e "process.stdout.write(JSON.parse(require('fs').readFileSync(0,'utf8')).contractAddress || '')"
}
V0CALL='verify(bytes32 app_id, bytes derived_pub, bytes app_sig, bytes kms_sig, string purpose, bytes app_pub) returns (bool)'
V1CALL='verifyV1(bytes32 app_id, bytes derived_pub, bytes app_sig, bytes kms_sig, string domain, string algorithm, bytes app_pub) returns (bool)'
VOIDCALL='check(bytes32 app_id, bytes derived_pub, bytes app_sig, bytes kms_sig, string purpose, bytes app_pub)'
ANYCALL='anything(bytes32 app_id, bytes derived_pub, bytes app_sig, bytes kms_sig, string purpose)'
target() { # target NAME WANT_RC ADDRESS CALL
  expect "$1" "$2" "$H" --state "$STATE" --json --quiet matrix --target "$3" --call "$4" --config appkeys.json --rpc "$RPC"
}
SOUND=$(deploy_formats "$CROOT" 0)
[ -n "$SOUND" ] && ok "deployed ChainFormats (dstack's format) at $SOUND" || bad "deploy ChainFormats"
target "matrix --target: dstack's format, v0 call" 0 "$SOUND" "$V0CALL"
check "  canonical accepted, nothing else, nothing unsound" \
  'd.canonical_accepted === true && JSON.stringify(d.accepted) === JSON.stringify([["canonical"]]) && d.unsound.length === 0'
check "  verdict: accepts v0, v1 chains do not pass" 'd.verdict.includes("accepts dstack'"'"'s v0 chains") && d.verdict.includes("v1 chains do not pass")'
check "  rows: canonical, every single variant, the v1 claim, five probes" \
  'd.rows.length === 28 && d.rows.filter(r => r.kind === "probe").length === 5 && d.rows.some(r => r.variant === "v1-claim" && !r.accepted)'
target "matrix --target: dstack's format, v1 call (v1 only)" 0 "$SOUND" "$V1CALL"
check "  v1-canonical accepted; v0 chains do not pass" \
  'JSON.stringify(d.accepted) === JSON.stringify([["v1-canonical"]]) && d.canonical.v1 === true && d.verdict.includes("v0 chains do not pass") && d.rows.some(r => r.variant === "v0-claim" && !r.accepted)'
target "matrix --target: a function returning nothing" 0 "$SOUND" "$VOIDCALL"
check "  accepts by not reverting" 'd.canonical_accepted && d.rows[0].detail === "did not revert"'
expect "matrix --target: our DstackMembershipNFT (default RPC: the running up)" 0 "$H" --state "$STATE" --json --quiet \
  matrix --target "$NFT" --config appkeys.json \
  --call 'verifySignatureChain(bytes32 appId, bytes derivedPublicKey, bytes appSignature, bytes kmsSignature, string purpose) returns (bool)'
check "  canonical only, sound" 'd.canonical_accepted && d.accepted.length === 1 && d.unsound.length === 0'
expect "matrix --target: our DstackMembershipNFT's v1 entry point" 0 "$H" --state "$STATE" --json --quiet \
  matrix --target "$NFT" --config appkeys.json \
  --call 'verifySignatureChainV1(bytes32 appId, string algorithm, string domain, bytes publicKey, bytes appSignature, bytes kmsSignature) returns (bool)'
check "  v1-canonical only, sound" 'JSON.stringify(d.accepted) === JSON.stringify([["v1-canonical"]]) && d.unsound.length === 0'
for case in "1 eip191" "2 v27" "4 appid32-right,appid32-left" "8 appkey-uncompressed" "16 claim-0x" "32 separator-colon"; do
  set -- $case
  A=$(deploy_formats "$CROOT" "$1")
  target "matrix --target: one deviation ($2)" 1 "$A" "$V0CALL"
  check "  names exactly $2" "!d.canonical_accepted && d.accepted.map(s => s.join('+')).join() === '$2' && d.unsound.length === 0 && d.verdict.includes('only with this change')"
done
A=$(deploy_formats "$CROOT" 22)
target "matrix --target: three deviations at once (v27, app id as bytes32, 0x claim)" 1 "$A" "$V0CALL"
check "  the combination search names exactly those three" \
  "!d.canonical_accepted && d.accepted.map(s => s.join('+')).join() === 'v27+appid32-right+claim-0x,v27+appid32-left+claim-0x' && d.verdict.includes('only with these 3 changes')"
check "  and says what the contract does differently" 'd.verdict.includes("expects v = 27/28") && d.verdict.includes("0x-prefixed hex")'
echo "        (combination search: $(js 'd.formats_tried') formats, $(js 'd.calls') calls in $(js 'd.seconds.toFixed(2)') s)"
A=$(deploy_formats "$CROOT" 23)
target "matrix --target: four deviations at once (eip191, v27, app id as bytes32, 0x claim), default depth" 1 "$A" "$V0CALL"
check "  the default search deepens to 4 and names exactly those four" \
  "d.accepted.map(s => s.join('+')).join() === 'eip191+v27+appid32-right+claim-0x,eip191+v27+appid32-left+claim-0x' && d.verdict.includes('only with these 4 changes') && d.searched_to.v0 === 4 && d.max_changes === 6 && d.time_budget === 30 && d.budget_ran_out === false"
echo "        (four changes: $(js 'd.formats_tried') formats, $(js 'd.calls') calls in $(js 'd.seconds.toFixed(2)') s)"
expect "matrix --target: four deviations, --max-changes 3 (text)" 1 "$H" --state "$STATE" --quiet matrix --target "$A" --call "$V0CALL" --config appkeys.json --rpc "$RPC" --max-changes 3
has "  says how deep it searched" "combinations searched in full to 3 of 3 changes (v0 table) within a time budget of 30 s" "$OUT"
has "  and not that nothing passes" "combinations of 4 to 6 changes were not searched (--max-changes 3): give --max-changes 6 to search the whole catalogue." "$OUT"
DEAF=$(deploy_formats 0x000000000000000000000000000000000000dEaD 0)
target2() { expect "$1" "$2" "$H" --state "$STATE" --json --quiet matrix --target "$3" --call "$V0CALL" --config appkeys.json --rpc "$RPC" "${@:4}"; }
target2 "matrix --target: a verifier trusting another root, --time-budget 1" 1 "$DEAF" --time-budget 1
# how deep it gets in 1 s depends on the machine (usually 3 of 6); what it says must match it
check "  the budget ran out: says at which depth, not that nothing passes" \
  "(k => d.accepted.length === 0 && d.budget_ran_out === true && d.time_budget === 1 && k < 6 && (k < 2 || d.verdict.includes('every combination of up to ' + k + ' changes (')) && d.verdict.includes('time budget of 1 s ran out while combinations of ' + Math.max(k + 1, 2) + ' changes') && !d.verdict.includes('Nothing in the catalogue'))(d.searched_to.v0)"
case "$H" in
*/asan/*) echo "        (the whole-catalogue search, ~8 s plain, runs in the plain build only)" ;;
*)
  target2 "matrix --target: a verifier trusting another root, the whole catalogue" 1 "$DEAF"
  check "  searched all 6 changes, then: nothing in the catalogue passes" \
    "d.accepted.length === 0 && d.searched_to.v0 === 6 && d.budget_ran_out === false && d.verdict.startsWith('Nothing in the catalogue passes: ') && d.verdict.includes('every combination of up to 6 changes (the whole catalogue, ' + d.formats_tried + ' formats tried)')"
  echo "        (whole catalogue: $(js 'd.formats_tried') formats, $(js 'd.calls') calls in $(js 'd.seconds.toFixed(2)') s)" ;;
esac
expect "matrix --time-budget without --target is bad usage" 2 "$H" matrix --time-budget 5
expect "matrix --target --time-budget 0 is bad usage" 2 "$H" matrix --target "$SOUND" --call "$V0CALL" --time-budget 0
has "  says what it takes" "--time-budget takes a number of seconds" "$ERR"
A=$(deploy_formats "$CROOT" 128)
target "matrix --target: a v1 verifier that writes k256" 1 "$A" "$V1CALL"
check "  names v1-k256" "d.accepted.map(s => s.join('+')).join() === 'v1-k256' && d.verdict.includes('k256')"
A=$(deploy_formats "$CROOT" 64)
target "matrix --target: a verifier that accepts any app signature" 1 "$A" "$V0CALL"
check "  flagged unsound" 'd.canonical_accepted && d.unsound.includes("any-app-signature") && !d.unsound.includes("other-root") && d.verdict.includes("UNSOUND")'
target "matrix --target: a function that accepts anything" 1 "$SOUND" "$ANYCALL"
check "  every probe unsound" \
  'JSON.stringify(d.unsound) === JSON.stringify(["other-root","any-app-signature","unbound-derived-key","unbound-app-id","unbound-purpose"])'
expect "matrix --target without --call is bad usage" 2 "$H" matrix --target "$SOUND"
expect "matrix --target with an unknown argument role is bad usage" 2 "$H" matrix --target "$SOUND" --call 'f(bytes32 app_id, bytes sig, bytes kms_sig)'
has "  names the argument and the known roles" 'argument "sig" has no known role' "$ERR"
expect "matrix --target with a non-loopback RPC" 1 "$H" matrix --target "$SOUND" --call "$V0CALL" --config appkeys.json --rpc http://192.0.2.1:8545
has "  refused with a plain message" "only talks to a local chain" "$ERR"
expect "matrix --target at an address without code" 1 "$H" matrix --target 0x000000000000000000000000000000000000dEaD --call "$V0CALL" --config appkeys.json --rpc "$RPC"
has "  says so" "no contract at 0x000000000000000000000000000000000000dEaD" "$ERR"

# ---- diagnose: v1 chains, and one chain through a contract ------------------------------------
expect "diagnose the v1 vector (simulator keys, domain test)" 0 "$H" --json diagnose \
  --getkey fixtures/harness/vector-c-v1-getkey-test.json --app-id 5bb4ff9a3837357f19dc176407a5709c62eb6c56 \
  --domain test --expected-root 0xA7F6043C29f9cc1d9D6aCF554c53E0c6792AaEAf
check "  v1-canonical, root of vector C" "d.ok && d.format === 'v1-canonical' && d.root === '0xA7F6043C29f9cc1d9D6aCF554c53E0c6792AaEAf' && d.variants.some(v => v.variant === 'v1-k256')"
CV=$(deploy_formats 0xA7F6043C29f9cc1d9D6aCF554c53E0c6792AaEAf 0)
expect "diagnose --target: the v1 vector through a v1 verifier trusting its root" 0 "$H" --json diagnose \
  --getkey fixtures/harness/vector-c-v1-getkey-test.json --app-id 5bb4ff9a3837357f19dc176407a5709c62eb6c56 \
  --domain test --target "$CV" --call "$V1CALL" --rpc "$RPC"
check "  accepted, in dstack's own v1 format" 'd.contract.accepted && d.contract.verdict.includes("dstack'"'"'s own v1 format")'
expect "diagnose --target: the v0 vector given to the v1 call" 1 "$H" --json diagnose \
  --getkey fixtures/harness/vector-c-getkey-test-signing.json --app-id 5bb4ff9a3837357f19dc176407a5709c62eb6c56 \
  --purpose signing --target "$CV" --call "$V1CALL" --rpc "$RPC"
check "  rejected, and the reason is the claim version" '!d.contract.accepted && d.contract.verdict.includes("it is a v0 chain")'

# ---- diagnose ---------------------------------------------------------------------------------
C_ROOT=0xA7F6043C29f9cc1d9D6aCF554c53E0c6792AaEAf
D_ROOT=0x8f2cF602C9695b23130367ed78d8F557554de7C5
expect "diagnose vector C (v0.5.6+ simulator GetKey test/signing)" 0 "$H" --json diagnose \
  --getkey fixtures/harness/vector-c-getkey-test-signing.json --app-id 5bb4ff9a3837357f19dc176407a5709c62eb6c56 \
  --purpose signing --expected-root "$C_ROOT"
check "  canonical, root $C_ROOT" "d.ok && d.format === 'canonical' && d.root === '$C_ROOT'"
expect "diagnose vector D (v0.5.5 simulator GetKey test/signing)" 0 "$H" --json diagnose \
  --getkey fixtures/harness/vector-d-getkey-test-signing.json --app-id ea549f02e1a25fabd1cb788380e033ec5461b2ff \
  --purpose signing
check "  canonical, recognised root $D_ROOT" "d.ok && d.format === 'canonical' && d.root === '$D_ROOT'"
expect "diagnose vector D against the v0.5.6+ root fails" 1 "$H" --json diagnose \
  --getkey fixtures/harness/vector-d-getkey-test-signing.json --app-id ea549f02e1a25fabd1cb788380e033ec5461b2ff \
  --purpose signing --expected-root "$C_ROOT"
check "  says the canonical root, and that the expected one is another KMS (the v0.5.6+ root)" \
  "d.canonical_root === '$D_ROOT' && d.expected_roots[0].matches === false && d.expected_roots[0].why.includes('another KMS')"
expect "diagnose the v0.5.5 appkeys.json with the seed's roots" 0 "$H" --json diagnose \
  --appkeys fixtures/upstream/simulator-appkeys-v0.5.5.json --app-id ea549f02e1a25fabd1cb788380e033ec5461b2ff \
  --expected-root "0xa2eB90b26A1274fa10905da7A62ff15542f2EbFf=previous deployment" \
  --expected-root "0xf6F3Bb63C4238E5d25c64eBAB48F44a42FC03df4=derived from the PEM key" \
  --expected-root "0x5e5132F15a9aa4AA91A6bCaE35Adf34e27A13516=seed README root" \
  --expected-root "$D_ROOT=dstack tutorial root"
check "  canonical format, root $D_ROOT" "d.format === 'canonical' && d.root === '$D_ROOT'"
check "  the stale deployment is explained" 'd.expected_roots[0].matches === false && d.expected_roots[0].why.includes("whatever its deployer set")'
check "  the PEM-derived root is explained as P-256" 'd.expected_roots[1].matches === false && d.expected_roots[1].why.includes("P-256")'
check "  the seed README root is the app key" 'd.expected_roots[2].why.includes("app key")'
check "  the P-256 note names the curve" 'd.notes.some(n => n.includes("prime256v1") && n.includes("not a secp256k1 key"))'
expect "diagnose vector E (digests and public keys only)" 0 "$H" --json diagnose \
  --app-id 25e9a28b7c0cdad98c25c0ea226b1a94809e55c7 \
  --app-pub 02605c9587ae3c9c622a3f8478d773ea150256aa1d2888a8d395a3a2553f8f48e2 \
  --derived-pub 036d4d81a04af9c85a6be7b4756eed6746a558a64fb5b7946c678c493fcc0e55af --purpose mainnet \
  --app-digest 8d1df4b1d999e7091fa39f6af7b608c3f3f8e9ad3b007f11f897dff5e3c6a325 \
  --kms-digest 37839b932a5e79c692edb864689591ee4a91da320e5ca3d114cbe8a6d702baf5 \
  --root-pub 02a335aea3df11d46ae0a373d3f26fbd1d208572ecc87e630e618dac693b7af721 \
  --expected-root 0x52d3CF51c8A37A2CCfC79bBb98c7810d7Dd4CE51
check "  canonical digests; the root key's address is the expected root" \
  "d.ok && d.format === 'canonical' && d.expected_roots[0].matches && d.variants.filter(v => v.app_digest_matches && v.kms_digest_matches).map(v => v.variant).join() === 'canonical,v27-app,v27-kms,v27'"
# a foreign chain in a wrong format: a simulator in eip191 mode under a throwaway root
KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
KADDR=$("$CAST" wallet address --private-key "0x$KEY")
SIMBIN=$(dirname "$H")/dstack-simulator
mkdir -p "$WORK/eip"
"$SIMBIN" --config appkeys.json --dstack-sock "$WORK/eip/d.sock" --tappd-sock "" --quiet \
  --kms-root-key "$KEY" --mismatch eip191 >"$WORK/eip/log" 2>&1 &
SIMPID=$!
for _ in $(seq 200); do [ -S "$WORK/eip/d.sock" ] && break; sleep 0.05; done
curl -s --unix-socket "$WORK/eip/d.sock" -X POST -H 'content-type: application/json' \
  -d '{"path":"wallet","purpose":"signing"}' http://dstack/GetKey >"$WORK/eip/getkey.json"
APPID=$(curl -s --unix-socket "$WORK/eip/d.sock" -X POST -H 'content-type: application/json' -d '{}' http://dstack/GetMeta |
  node -e "process.stdout.write(JSON.parse(require('fs').readFileSync(0,'utf8')).app_id)")
kill "$SIMPID"; wait "$SIMPID" 2>/dev/null; SIMPID=""
expect "diagnose a simulator chain made in eip191 mode" 1 "$H" --json diagnose --getkey "$WORK/eip/getkey.json" \
  --app-id "$APPID" --purpose signing --expected-root "$KADDR"
check "  identified as eip191 (both links), not dstack's format" "d.format === 'eip191' && d.root === '$KADDR' && d.verdict.includes('NOT dstack')"

# ---- down -------------------------------------------------------------------------------------
expect "down" 0 "$H" --state "$STATE" --json down
check "  reports nothing left" 'd.ok && !d.anvil_running && !d.port_open && !d.simulator_running && !d.socket_left'
alive "$ANVIL_PID" && bad "  anvil pid $ANVIL_PID still alive" || ok "  anvil gone"
alive "$SIM_PID" && bad "  simulator pid $SIM_PID still alive" || ok "  simulator gone"
port_open "$PORT" && bad "  port $PORT still open" || ok "  port $PORT closed"
[ -e "$SOCK" ] && bad "  socket still there" || ok "  socket removed"
[ -e "$STATE" ] && bad "  deployment file still there" || ok "  deployment file removed"
ps -eo pid=,stat=,args= >"$WORK/ps"
n=$(awk '$2 !~ /^Z/' "$WORK/ps" | grep -F "$WORK" | grep -cv "grep")
[ "$n" -eq 0 ] && ok "  no live process mentions $WORK" || bad "  $n processes left" "$(grep -F "$WORK" "$WORK/ps")"
expect "down again: nothing to stop" 0 "$H" --state "$STATE" down

check_summary "e2e $H"
