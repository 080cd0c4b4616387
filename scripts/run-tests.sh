#!/usr/bin/env bash
# scripts/run-tests.sh — run each named make test target, keep going past failures,
# print one summary line per suite and a final "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0; failed=0; failed_names=()
for t in "$@"; do
  echo "=== suite: $t"
  if make --no-print-directory "$t"; then
    passed=$((passed + 1)); echo "=== suite $t: PASS"
  else
    failed=$((failed + 1)); failed_names+=("$t"); echo "=== suite $t: FAIL"
  fi
done
echo
echo "suites: $passed passed, $failed failed"
if ((failed)); then
  echo "failed suites: ${failed_names[*]} (rerun one with: make <suite>)"
  exit 1
fi
