#!/usr/bin/env bash
# tests/docs/run-tour.sh — runs the shell blocks of README.md's five-minute tour (between
# <!-- tour:begin --> and <!-- tour:end -->) as one script, against a simulator started here
# on temp sockets with the repository's appkeys.json, and always stops it. The tour's /tmp
# paths are moved into a private temp directory. Every command must succeed, the chain must
# be diagnosed as canonical to the expected root, and both quote checks must pass.
#
#   tests/docs/run-tour.sh [bindir]     (default build/bin; run from the repository root)
set -euo pipefail
BIN=${1:-build/bin}
dir=$(mktemp -d /tmp/dstour.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

awk '/<!-- tour:begin -->/ { on = 1; next }
     /<!-- tour:end -->/ { on = 0 }
     on && /^```/ { code = !code; next }
     on && code { print }' README.md | sed -e "s|/tmp/|$dir/|g" -e "s|build/bin/|$BIN/|g" >"$dir/tour.sh"
[ "$(grep -c . "$dir/tour.sh")" -ge 5 ] || { echo "no tour found in README.md"; exit 1; }

"$BIN/dstack-simulator" --config appkeys.json --dstack-sock "$dir/dstack.sock" --tappd-sock "" \
  >"$dir/sim.log" 2>&1 &
pid=$!
for _ in $(seq 1 2000); do
  grep -q '^  export DSTACK_SIMULATOR_ENDPOINT' "$dir/sim.log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/sim.log"; echo "simulator exited during start-up"; exit 1; }
  sleep 0.01
done
export DSTACK_SIMULATOR_ENDPOINT=$dir/dstack.sock

status=0
bash -euo pipefail "$dir/tour.sh" >"$dir/out" 2>&1 || status=$?
cat "$dir/out"
failed=0
expect() { grep -qF -- "$1" "$dir/out" || { echo "FAIL the tour's output lacks: $1"; failed=1; }; }
[ "$status" -eq 0 ] || { echo "FAIL the tour exited $status"; failed=1; }
expect " 2 links"
expect "format: canonical (dstack's own); KMS root 0xe33bD2EF806E9af81C6C3Adaa227dB54f780dEA0 (expected)"
expect "PASS: steps 1-5 verified"
expect "verified: UpToDate"

kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?; pid=
[ "$rc" -eq 0 ] || { cat "$dir/sim.log"; echo "FAIL simulator exit status $rc"; failed=1; }
if [ "$failed" -eq 0 ]; then echo "tour: every command of README.md's tour ran and verified"; fi
exit "$failed"
