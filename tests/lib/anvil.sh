# tests/lib/anvil.sh — a real Anvil for a test script, and the compiled contracts deployed on
# it as upstream deploys them (implementations behind ERC1967 UUPS proxies). Source it (bash)
# after tests/lib/check.sh (die) and tests/lib/procs.sh (PIDS), with WORK set:
#
#   need_tool "$ANVIL" "$CAST"; need_contracts "$APP_ART"
#   anvil_start                                # sets RPC; stopped by procs_stop
#   IMPL=$(chain_create "$(artifact_code "$APP_ART")") || die …
#   APP=$(chain_proxy "$IMPL" "initialize(address,bool)" "$OWNER" true) || die …
#
# Transactions are sent from Anvil's first default account (KEY0, OWNER).

# shellcheck disable=SC2034 # the constants are for the scripts that source this file
ANVIL=node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
CAST=node_modules/@foundry-rs/cast-linux-amd64/bin/cast
PROXY_ART=contracts/out/ERC1967Proxy.sol/ERC1967Proxy.json
KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
OWNER=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
ZERO32=0x0000000000000000000000000000000000000000000000000000000000000000

# need_contracts ARTIFACT… — runs `make contracts` when one of the artifacts (or the proxy's)
# is missing; dies when that fails.
need_contracts() {
  local a
  for a in "$@" "$PROXY_ART"; do
    if [ ! -f "$a" ]; then
      make --no-print-directory contracts >/dev/null || die "make contracts failed"
      return 0
    fi
  done
}

# anvil_start — Anvil on a free loopback port (log: $WORK/anvil.log, PID in PIDS); sets RPC
# once the chain answers. Dies when it does not start.
anvil_start() {
  local port=""
  "$ANVIL" --host 127.0.0.1 --port 0 >"$WORK/anvil.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 400); do
    port=$(grep -o 'Listening on 127\.0\.0\.1:[0-9]*' "$WORK/anvil.log" | head -1 | cut -d: -f2)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || die "anvil did not start: $(tail -5 "$WORK/anvil.log")"
  RPC=http://127.0.0.1:$port
  for _ in $(seq 200); do "$CAST" chain-id --rpc-url "$RPC" >/dev/null 2>&1 && break; sleep 0.05; done
}

# artifact_code ARTIFACT — prints the creation bytecode (0x…) of a Foundry artifact.
artifact_code() { node -e "process.stdout.write(require('./$1').bytecode.object)"; }

# chain_create CODE — creates a contract from CODE (bytecode, constructor arguments appended)
# and prints its address. Returns 1 when the transaction failed.
chain_create() {
  "$CAST" send --rpc-url "$RPC" --private-key "$KEY0" --json --create "$1" |
    node -e "const r=JSON.parse(require('fs').readFileSync(0,'utf8')); if (r.status !== '0x1') process.exit(1); process.stdout.write(r.contractAddress)"
}

# chain_proxy IMPLEMENTATION INIT_SIGNATURE ARGS… — creates an ERC1967 (UUPS) proxy of
# IMPLEMENTATION initialised by INIT_SIGNATURE(ARGS…) and prints its address; 1 on failure.
chain_proxy() {
  local impl=$1 init args
  shift
  init=$("$CAST" calldata "$@") || return 1
  args=$("$CAST" abi-encode "constructor(address,bytes)" "$impl" "$init") || return 1
  chain_create "$(artifact_code "$PROXY_ART")${args#0x}"
}
