#!/usr/bin/env bash
# contracts/script/deploy.sh — deploy the dstack contracts to an Ethereum JSON-RPC node
# (made for a local Anvil) and print their addresses as one JSON object on stdout.
#
# forge scripts need forge-std, which this offline tree does not have, so this uses
# `forge create` and `cast send` from the repository's npm Foundry.
#
# Environment (all optional):
#   RPC_URL          JSON-RPC endpoint                       (default http://127.0.0.1:8545)
#   PRIVATE_KEY      deployer key            (default: Anvil account 0, 0xac09…ff80)
#   FROM             deployer address to use with the node's unlocked accounts instead of
#                    a key (Anvil: any of its 10 default accounts); wins over PRIVATE_KEY
#   KMS_ROOT         trusted KMS root address for DstackMembershipNFT
#                    (default 0xA7F6043C29f9cc1d9D6aCF554c53E0c6792AaEAf, the root of the
#                    upstream dstack simulator v0.5.6+ appkeys.json)
#   KMS_ROOT_PUBKEY  33-byte compressed KMS root key (hex) stored in DstackKms.kmsInfo
#   CLUSTER_APP_ID   20-byte dstack app id (hex) nodes must run; stored right-padded
#   COMPOSE_HASH     bytes32 compose hash to allow in DstackApp (default none)
#   DEVICE_ID        bytes32 device id to allow in DstackApp (default: any device)
#   OS_IMAGE_HASH    bytes32 OS image hash to allow in DstackKms (default none)
#   MINT_TO          comma-separated addresses that each get one membership NFT
#   ONLY_NFT=1       deploy only DstackMembershipNFT
#
# Output (stdout): {"chainId":31337,"deployer":"0x…","kmsRoot":"0x…",
#   "DstackMembershipNFT":"0x…","DstackKms":"0x…" (the proxy),"DstackApp":"0x…" (the app id),
#   "DstackKmsImplementation":"0x…","DstackAppImplementation":"0x…","minted":[…]}
# Progress goes to stderr. Exit status is non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"          # contracts/
repo="$(cd "$here/.." && pwd)"
FOUNDRY_BIN="${FOUNDRY_BIN:-$repo/node_modules/@foundry-rs}"
FORGE="$FOUNDRY_BIN/forge-linux-amd64/bin/forge"
CAST="$FOUNDRY_BIN/cast-linux-amd64/bin/cast"
for t in "$FORGE" "$CAST"; do
  [ -x "$t" ] || { echo "deploy.sh: $t not found; run scripts/setup.sh first" >&2; exit 1; }
done

RPC_URL="${RPC_URL:-http://127.0.0.1:8545}"
ANVIL_KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
KMS_ROOT="${KMS_ROOT:-0xA7F6043C29f9cc1d9D6aCF554c53E0c6792AaEAf}"
ZERO32=0x0000000000000000000000000000000000000000000000000000000000000000

if [ -n "${FROM:-}" ]; then
  auth=(--unlocked --from "$FROM")
  deployer="$FROM"
else
  key="${PRIVATE_KEY:-$ANVIL_KEY0}"
  auth=(--private-key "$key")
  deployer="$("$CAST" wallet address --private-key "$key")"
fi

log() { echo "deploy.sh: $*" >&2; }

hex_body() { # strip 0x, lowercase
  local h="${1#0x}"; h="${h#0X}"; echo "${h,,}"
}

# Right-pad a 20-byte app id into the bytes32 the NFT expects.
app_id32() {
  local h; h="$(hex_body "$1")"
  [[ "$h" =~ ^[0-9a-f]{40}$ ]] || { echo "deploy.sh: CLUSTER_APP_ID must be 20 bytes of hex" >&2; exit 1; }
  echo "0x${h}000000000000000000000000"
}

create() { # create <src:Contract> [constructor args...] -> prints address
  local target="$1"; shift
  local out
  if [ $# -gt 0 ]; then
    out="$(cd "$here" && "$FORGE" create "$target" --rpc-url "$RPC_URL" "${auth[@]}" --broadcast --json \
             --constructor-args "$@")"
  else
    out="$(cd "$here" && "$FORGE" create "$target" --rpc-url "$RPC_URL" "${auth[@]}" --broadcast --json)"
  fi
  local addr
  addr="$(printf '%s' "$out" | grep -o '"deployedTo": *"0x[0-9a-fA-F]\{40\}"' | grep -o '0x[0-9a-fA-F]\{40\}' | tail -n 1)"
  [ -n "$addr" ] || { echo "deploy.sh: forge create $target failed: $out" >&2; exit 1; }
  echo "$addr"
}

send() { # send <to> <sig> [args...]
  "$CAST" send --rpc-url "$RPC_URL" "${auth[@]}" "$@" >/dev/null
}

appid32=""
if [ -n "${CLUSTER_APP_ID:-}" ]; then appid32="$(app_id32 "$CLUSTER_APP_ID")"; fi

log "building (offline, solc-js)"
(cd "$here" && "$FORGE" build >/dev/null)

chain_id="$("$CAST" chain-id --rpc-url "$RPC_URL")"
log "chain $chain_id at $RPC_URL, deployer $deployer"

nft="$(create src/DstackMembershipNFT.sol:DstackMembershipNFT "$KMS_ROOT")"
log "DstackMembershipNFT $nft (KMS root $KMS_ROOT)"
if [ -n "${CLUSTER_APP_ID:-}" ]; then
  send "$nft" "setClusterAppId(bytes32)" "$appid32"
  log "cluster app id $CLUSTER_APP_ID"
fi

minted=()
if [ -n "${MINT_TO:-}" ]; then
  IFS=',' read -r -a holders <<< "$MINT_TO"
  for a in "${holders[@]}"; do
    send "$nft" "mintNodeAccess(address,string)" "$a" "node"
    minted+=("$a")
    log "minted a membership NFT to $a"
  done
fi

kms="" app="" kms_impl="" app_impl=""
if [ "${ONLY_NFT:-0}" != 1 ]; then
  # Upstream's shape: implementations, the KMS behind an ERC-1967 (UUPS) proxy
  # initialised with (owner, app implementation), and the app created by the KMS's
  # factory, so the app id is the app proxy's address.
  app_impl="$(create src/DstackApp.sol:DstackApp)"
  kms_impl="$(create src/DstackKms.sol:DstackKms)"
  init="$("$CAST" calldata "initialize(address,address)" "$deployer" "$app_impl")"
  kms="$(create ../node_modules/@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol:ERC1967Proxy "$kms_impl" "$init")"
  log "DstackKms $kms (proxy of $kms_impl; DstackApp implementation $app_impl)"
  compose="${COMPOSE_HASH:-$ZERO32}"
  device="${DEVICE_ID:-$ZERO32}"
  any_device=true
  if [ -n "${DEVICE_ID:-}" ]; then any_device=false; fi
  factory="deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)"
  # owner, disableUpgrades = false, requireTcbUpToDate = false, allowAnyDevice, device, compose
  args=("$deployer" false false "$any_device" "$device" "$compose")
  app="$("$CAST" call --rpc-url "$RPC_URL" --from "$deployer" "$kms" "$factory(address)" "${args[@]}")"
  send "$kms" "$factory" "${args[@]}"
  [ "$("$CAST" call --rpc-url "$RPC_URL" "$kms" "registeredApps(address)(bool)" "$app")" = true ] \
    || { echo "deploy.sh: deployAndRegisterApp did not register $app" >&2; exit 1; }
  log "DstackApp $app (app id; created by deployAndRegisterApp)"
  if [ -n "${OS_IMAGE_HASH:-}" ]; then send "$kms" "addOsImageHash(bytes32)" "$OS_IMAGE_HASH"; fi
  if [ -n "${KMS_ROOT_PUBKEY:-}" ]; then
    send "$kms" "setKmsInfo((bytes,bytes,bytes,bytes))" "(0x$(hex_body "$KMS_ROOT_PUBKEY"),0x,0x,0x)"
    log "kmsInfo.k256Pubkey set"
  fi
fi

json_list() { local IFS=,; local q=(); for a in "$@"; do q+=("\"$a\""); done; echo "[${q[*]}]"; }
printf '{"chainId":%s,"rpcUrl":"%s","deployer":"%s","kmsRoot":"%s","DstackMembershipNFT":"%s","DstackKms":"%s","DstackApp":"%s","DstackKmsImplementation":"%s","DstackAppImplementation":"%s","minted":%s}\n' \
  "$chain_id" "$RPC_URL" "$deployer" "$KMS_ROOT" "$nft" "$kms" "$app" "$kms_impl" "$app_impl" "$(json_list ${minted[@]+"${minted[@]}"})"
