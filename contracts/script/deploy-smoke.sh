#!/usr/bin/env bash
# contracts/script/deploy-smoke.sh — end-to-end check of script/deploy.sh against a real
# Anvil: start Anvil on a free 127.0.0.1 port, deploy, then drive the deployed contracts
# with `cast` exactly as a client (or the C harness) would:
#   - the seeds' verifySignatureChain on the upstream v0.5.11 simulator chain → true;
#   - verifySignatureChainV1 on the same key set's dstack 0.6 /v1/GetKey chains (secp256k1
#     and ed25519) → true; the v0 chain through the v1 view and `k256` → false;
#   - DstackKms.kmsRootAddress() derived from the anchored k256 key → the same root;
#   - registerInstanceWithProof (seed ABI) by a token holder;
#   - registerInstanceWithBoundProof with a binding signed by the derived key
#     (`cast wallet sign` = EIP-191 over the 32-byte message hash);
#   - the same bound proof replayed by another account → NotTokenOwner / refused.
# Anvil is stopped on exit. Exit status non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$here/.." && pwd)"
FOUNDRY_BIN="${FOUNDRY_BIN:-$repo/node_modules/@foundry-rs}"
ANVIL="$FOUNDRY_BIN/anvil-linux-amd64/bin/anvil"
CAST="$FOUNDRY_BIN/cast-linux-amd64/bin/cast"

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
rpc="http://127.0.0.1:$port"
"$ANVIL" --host 127.0.0.1 --port "$port" --silent &
anvil_pid=$!
trap 'kill "$anvil_pid" 2>/dev/null; wait "$anvil_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  "$CAST" chain-id --rpc-url "$rpc" >/dev/null 2>&1 && break
  sleep 0.2
done

fail() { echo "deploy-smoke: FAIL: $*" >&2; exit 1; }

# Upstream dstack simulator v0.5.11 keys (the project's vectors.md, group C).
ROOT=0xA7F6043C29f9cc1d9D6aCF554c53E0c6792AaEAf
ROOT_PUB=0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6
APP_ID=5bb4ff9a3837357f19dc176407a5709c62eb6c56
APP_ID32=0x${APP_ID}000000000000000000000000
APP_PUB=0x02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c
KMS_SIG=0x9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e594d2a283f843f34e8f39e4cc49a612496ce67223a12ac923f8efe330346dfc6c500
# GetKey{path "test", purpose "signing"}: derived key, its compressed public key, chain[0].
DERIVED_KEY=0x133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8
DERIVED_PUB=0x02c53a10a891f3c5d599539056edcfa080555ac975cae78e59b5d519dcdaf03389
APP_SIG=0xc2ac442934a10d730c14b553e6b93e4db61aa7afa48b7aa51e649841115d6f4160a29b24a87e0ef4c02e37c10b176913f1449ebb41466fccdc44a6ef5d9b247300
# Anvil default accounts 1 and 2.
K1=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
A1=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
K2=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
A2=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC

COMPOSE=0x$(printf 'compose' | sha256sum | cut -c1-64)
OS_IMAGE=0x$(printf 'os-image' | sha256sum | cut -c1-64)
out="$(RPC_URL="$rpc" KMS_ROOT="$ROOT" KMS_ROOT_PUBKEY="$ROOT_PUB" CLUSTER_APP_ID="$APP_ID" \
        COMPOSE_HASH="$COMPOSE" OS_IMAGE_HASH="$OS_IMAGE" MINT_TO="$A1,$A2" "$here/script/deploy.sh")"
echo "deploy-smoke: deploy.sh printed $out"
field() { printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }
nft="$(field DstackMembershipNFT)"
kms="$(field DstackKms)"
[[ "$nft" =~ ^0x[0-9a-fA-F]{40}$ && "$kms" =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "bad addresses in $out"

call() { "$CAST" call --rpc-url "$rpc" "$@"; }
send() { "$CAST" send --rpc-url "$rpc" "$@" >/dev/null; }

[ "$(call "$kms" 'kmsRootAddress()(address)')" = "$ROOT" ] || fail "DstackKms.kmsRootAddress"

# Governance in upstream's shape: the app id is the factory's proxy, and the KMS proxy
# answers the boot question as auth-eth asks it.
app="$(field DstackApp)"
[ "$(call "$kms" 'registeredApps(address)(bool)' "$app")" = true ] || fail "app $app not registered"
[ "$(call "$kms" 'appImplementation()(address)')" = "$(field DstackAppImplementation)" ] || fail "appImplementation"
impl_slot=0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc
impl="$("$CAST" storage --rpc-url "$rpc" "$app" "$impl_slot")"
[ "0x${impl: -40}" = "$(field DstackAppImplementation | tr 'A-F' 'a-f')" ] || fail "app proxy implementation $impl"
boot='isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))(bool,string)'
Z=0x0000000000000000000000000000000000000000000000000000000000000000
bi() { echo "($1,$2,0x0000000000000000000000000000000000000000,$Z,$Z,$Z,$3,UpToDate,[])"; }
[ "$(call "$kms" "$boot" "$(bi "$app" "$COMPOSE" "$OS_IMAGE")" | tr '\n' ' ')" = 'true "" ' ] || fail "boot allowed"
[ "$(call "$kms" "$boot" "$(bi "$app" "$Z" "$OS_IMAGE")" | tail -n 1)" = '"Compose hash not allowed"' ] \
  || fail "compose refusal"
[ "$(call "$kms" "$boot" "$(bi "$app" "$COMPOSE" "$Z")" | tail -n 1)" = '"OS image is not allowed"' ] \
  || fail "OS image refusal"
[ "$(call "$nft" 'verifySignatureChain(bytes32,bytes,bytes,bytes,string)(bool)' \
      "$APP_ID32" "$DERIVED_PUB" "$APP_SIG" "$KMS_SIG" signing)" = true ] || fail "verifySignatureChain(C)"
[ "$(call "$nft" 'verifySignatureChain(bytes32,bytes,bytes,bytes,string)(bool)' \
      "$APP_ID32" "$DERIVED_PUB" "$APP_SIG" "$KMS_SIG" mainnet)" = false ] || fail "wrong purpose accepted"

# The same key set under dstack 0.6's /v1/GetKey{domain "test"} (fixtures/vectors/
# guest-api-0.6-vectors.json, v1_simulator_fixture): link0 over the v1 claim, link1 unchanged.
V1_K1_PUB=0x02bc3a78e1c1f5d94c2580dd06678ec48ae362aeed00906dbea5aa4d34713c240c
V1_K1_LINK0=0xb81526a4b5a1a211d3bfedb9780fe38de5288f30e6ec2466f22b3874ba60f50f356751f1781027516b5372a67afd65c70a5d8a7e7f2ff8a85398df736a4e035f00
V1_ED_PUB=0x51cf9f2ede324bebdb827807091a2649cd30230abd3550d6f1303edceda42776
V1_ED_LINK0=0xaa56540d89c24afc2fa3f37fb41f950e9d0496eb9d7fa6f20c398ae674d9138e3b9154a3222b6abd8704f7a95be85cf6daa99ec5faccc404cffbdff8d253b98b01
v1='verifySignatureChainV1(bytes32,string,string,bytes,bytes,bytes)(bool)'
[ "$(call "$nft" "$v1" "$APP_ID32" secp256k1 test "$V1_K1_PUB" "$V1_K1_LINK0" "$KMS_SIG")" = true ] \
  || fail "verifySignatureChainV1(secp256k1)"
[ "$(call "$nft" "$v1" "$APP_ID32" ed25519 test "$V1_ED_PUB" "$V1_ED_LINK0" "$KMS_SIG")" = true ] \
  || fail "verifySignatureChainV1(ed25519)"
[ "$(call "$nft" "$v1" "$APP_ID32" k256 test "$V1_K1_PUB" "$V1_K1_LINK0" "$KMS_SIG")" = false ] \
  || fail "v1 chain with algorithm k256 accepted"
[ "$(call "$nft" "$v1" "$APP_ID32" secp256k1 signing "$DERIVED_PUB" "$APP_SIG" "$KMS_SIG")" = false ] \
  || fail "v0 chain accepted by the v1 view"
[ "$(call "$nft" 'explainSignatureChainV1WithAppKey(bytes32,string,string,bytes,bytes,bytes,bytes)(address,address,address)' \
      "$APP_ID32" secp256k1 test "$V1_K1_PUB" "$APP_PUB" "$V1_K1_LINK0" "$KMS_SIG" | tail -n 1)" = "$ROOT" ] \
  || fail "explainSignatureChainV1WithAppKey"

id1="$("$CAST" keccak node-1)"
send "$nft" 'registerInstanceWithProof(bytes32,uint256,bytes,bytes,bytes,string)' \
  "$id1" 1 "$DERIVED_PUB" "$APP_SIG" "$KMS_SIG" signing --private-key "$K1"
[ "$(call "$nft" 'getInstanceInfo(bytes32)(uint256,bool,address)' "$id1" | tr '\n' ' ')" = "1 true $A1 " ] \
  || fail "getInstanceInfo(node-1)"

id2="$("$CAST" keccak node-2)"
url=http://127.0.0.1:9002
deadline=$(( $(date +%s) + 3600 ))
msg="$(call "$nft" 'bindingDigest(uint8,bytes32,uint256,address,string,uint256,uint256)(bytes32,bytes32)' \
         1 "$id2" 2 "$A2" "$url" 5 "$deadline" | head -n 1)"
bsig="$("$CAST" wallet sign --private-key "$DERIVED_KEY" "$msg")"
sig='registerInstanceWithBoundProof(bytes32,uint256,string,(bytes32,string,bytes,bytes,bytes,bytes),(uint256,uint256,bytes))'
proof="($APP_ID32,signing,$DERIVED_PUB,$APP_PUB,$APP_SIG,$KMS_SIG)"
send "$nft" "$sig" "$id2" 2 "$url" "$proof" "(5,$deadline,$bsig)" --private-key "$K2"
[ "$(call "$nft" 'getPeerEndpoints()(string[])')" = "[\"$url\"]" ] || fail "getPeerEndpoints"
[ "$(call "$nft" 'getInstanceProof(bytes32)(uint8,address,address)' "$id2" | head -n 1)" = 2 ] || fail "proof kind"

if "$CAST" send --rpc-url "$rpc" "$nft" "$sig" "$id2" 2 "$url" "$proof" "(5,$deadline,$bsig)" \
     --private-key "$K1" >/dev/null 2>&1; then
  fail "bound proof replayed by another account was accepted"
fi
echo "deploy-smoke: ok (anvil on $rpc, NFT $nft, KMS $kms)"
