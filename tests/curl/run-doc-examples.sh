#!/usr/bin/env bash
# tests/curl/run-doc-examples.sh — runs the curl examples of the documentation (every block
# between <!-- curl-examples:begin --> and <!-- curl-examples:end --> in README.md and
# docs/*.md; today the one in docs/simulator.md) against a simulator started here on temp
# sockets (tests/lib/sim.sh), and always stops it.
#
#   tests/curl/run-doc-examples.sh [path/to/dstack-simulator]
#
# Each example (a line starting with "curl", with "\" continuations) must exit 0 and print
# JSON. A trailing comment "# expect: TEXT" requires TEXT in the output; without one the
# output must not be an error. Run from the repository root.
set -euo pipefail
. tests/lib/sim.sh
BIN=${1:-build/bin/dstack-simulator}
DOCS=(README.md docs/*.md)
dir=$(mktemp -d /tmp/dscurl.XXXXXX)
trap 'sim_kill; rm -rf "$dir"' EXIT

sim_start "$dir/sim.log" "$BIN" --config appkeys.json --dstack-sock "$dir/dstack.sock" \
  --tappd-sock "$dir/tappd.sock" || exit 1
export DSTACK_SIMULATOR_ENDPOINT="$dir/dstack.sock" TAPPD_SIMULATOR_ENDPOINT="$dir/tappd.sock"

# Extract the examples: the marked block, code lines only, continuations joined.
mapfile -t examples < <(awk '
  /<!-- curl-examples:begin -->/ { on = 1; next }
  /<!-- curl-examples:end -->/ { on = 0 }
  on && !/^```/ { print }' "${DOCS[@]}" | sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' | grep -E '^curl ')
if [ "${#examples[@]}" -lt 5 ]; then echo "found only ${#examples[@]} curl examples in ${DOCS[*]}"; exit 1; fi

passed=0; failed=0
for ex in "${examples[@]}"; do
  expect=""
  if [[ "$ex" == *"# expect: "* ]]; then expect=${ex##*# expect: }; fi
  out=$(bash -c "$ex" 2>&1) && rc=0 || rc=$?
  ok=1
  [ "$rc" -eq 0 ] || ok=0
  printf '%s' "$out" | node -e 'JSON.parse(require("fs").readFileSync(0, "utf8"))' 2>/dev/null || ok=0
  if [ -n "$expect" ]; then [[ "$out" == *"$expect"* ]] || ok=0
  else [[ "$out" != *'"error"'* ]] || ok=0; fi
  if [ "$ok" -eq 1 ]; then passed=$((passed + 1)); echo "ok   ${ex:0:110}"
  else failed=$((failed + 1)); echo "FAIL ${ex}"; echo "     exit $rc, output: ${out:0:300}"; fi
done

sim_stop || true
if [ "$SIM_STATUS" -ne 0 ] || [ -e "$dir/dstack.sock" ] || [ -e "$dir/tappd.sock" ]; then
  cat "$dir/sim.log"; echo "simulator exit status $SIM_STATUS or sockets left behind"; failed=$((failed + 1))
fi
echo "curl examples against $BIN"
echo "curl-examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
