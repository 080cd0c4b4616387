#!/usr/bin/env bash
# tests/install/check-man.sh — the man pages (man/) render without a warning, and every
# option each tool's --help lists (and its subcommands' --help) appears in the tool's page.
#
#   tests/install/check-man.sh [bindir]     (default build/bin; run from the repository root)
set -euo pipefail
BIN=${1:-build/bin}
failed=0; checked=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# 1. Rendering: groff with every warning on, and man-db's own check, both silent.
for page in man/*.[0-9]; do
  out=$(groff -man -ww -z "$page" 2>&1) || fail "$page: groff exit status $?"
  [ -z "$out" ] || fail "$page: groff warnings: $out"
  out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "$page: man -l exit status $?"
  [ -z "$out" ] || fail "$page: man --warnings: $out"
  if ! grep -q '^\.SH NAME' "$page" || ! grep -q '^\.SH SEE ALSO' "$page"; then fail "$page: no NAME or SEE ALSO section"; fi
  if LC_ALL=C grep -n '[^[:print:][:space:]]' "$page" >/dev/null; then fail "$page: a non-ASCII byte (use groff escapes)"; fi
  echo "ok   $page renders without warnings"
done

# 2. Options: "tool [subcommand] --help" for every help text a tool has.
helps=(
  "dstack-simulator --help"
  "dstack-harness --help" "dstack-harness up --help" "dstack-harness down --help"
  "dstack-harness status --help" "dstack-harness cluster --help" "dstack-harness matrix --help"
  "dstack-harness diagnose --help" "dstack-harness reboot --help" "dstack-harness boot-check --help"
  "dstack-verify --help" "dstack-verify quote --help" "dstack-verify serve --help"
  "dstack-pki --help"
  "dstack-bench --help"
)
# Every tool has a page, and every page of section 1 is a tool's.
for page in man/*.1; do
  t=$(basename "$page" .1)
  [ -x "$BIN/$t" ] || fail "$page: no tool $BIN/$t"
done
for h in "${helps[@]}"; do
  read -r tool args <<<"$h"
  page=man/$tool.1
  [ -f "$page" ] || { fail "$tool: no man page $page"; continue; }
  # the page's text with groff's \- turned back into -
  text=$(sed -e 's/\\-/-/g' "$page")
  # shellcheck disable=SC2086
  help=$("$BIN/$tool" $args 2>&1) || fail "$h: exit status $?"
  mapfile -t opts < <(grep -oE -- '(^|[^[:alnum:]-])--[a-z][a-z0-9-]*' <<<"$help" | sed -E 's/^[^-]*//' | sort -u)
  [ "${#opts[@]}" -gt 0 ] || fail "$h: no options found in its output"
  missing=()
  for o in "${opts[@]}"; do
    checked=$((checked + 1))
    grep -qE -- "(^|[^[:alnum:]-])${o}([^[:alnum:]-]|\$)" <<<"$text" || missing+=("$o")
  done
  if [ "${#missing[@]}" -gt 0 ]; then fail "$h: not in $page: ${missing[*]}"
  else echo "ok   $h: ${#opts[@]} options, all in $page"; fi
done
echo "man pages: $checked option mentions checked, $failed problems"
[ "$failed" -eq 0 ]
