#!/usr/bin/env bash
# cast_crosscheck.sh — compare lib/ against Foundry's cast (an independent Rust
# implementation) on random inputs: keccak256, address, public key, recoverable signature.
# Usage: cast_crosscheck.sh PATH/TO/ds-crypto-cli [ROUNDS]
set -euo pipefail
cli=$1
rounds=${2:-16}
cast=node_modules/@foundry-rs/cast-linux-amd64/bin/cast
[ -x "$cast" ] || { echo "cast not found at $cast: run scripts/setup.sh" >&2; exit 1; }
[ -x "$cli" ] || { echo "$cli not built: run make" >&2; exit 1; }
rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
pass=0; fail=0
check() { # name ours theirs
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "MISMATCH $1: ours=$2 cast=$3"; fi
}
for i in $(seq "$rounds"); do
  len=$(( (RANDOM % 300) ))
  msg=$(rand_hex "$len")
  [ -n "$msg" ] || msg=""
  check "keccak(len=$len)" "$($cli keccak "$msg")" "$($cast keccak "0x$msg")"
  key=$(rand_hex 32)
  check "address" "$($cli address "$key")" "$($cast wallet address --private-key "0x$key")"
  check "pubkey" "$($cli pubkey "$key")" "$($cast wallet public-key --private-key "0x$key")"
  digest=$(rand_hex 32)
  check "sign" "$($cli sign "$key" "$digest")" "$($cast wallet sign --no-hash --private-key "0x$key" "0x$digest")"
done
echo "cast cross-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
