# tests/lib/check.sh — the checks of a test script: a pass/fail tally, the usual assertions
# over a command's exit status and output, and the closing summary. Source it (bash) after
# setting CHECK_NAME (the script's short name, the prefix of its set-up errors) and WORK (a
# scratch directory: expect keeps a command's output there):
#
#   CHECK_NAME=e2e
#   WORK=$(mktemp -d /tmp/dstack-e2e.XXXXXX)
#   . tests/lib/check.sh
#   need_built "$BIN"; need_tool "$CAST"
#   expect "status" 0 "$BIN" --json status     # stdout in $OUT, stderr in $ERR
#   check "  it answers" 'd.ok === true'        # a JS expression over the JSON in $OUT
#   check_summary "e2e $BIN"                   # last line: the script's exit status
#
# A failed check does not stop the script (bad counts it and prints its detail); die is for
# a set-up that cannot go on. The counters are `pass` and `fail`.

pass=0
fail=0

# ok NAME — a check passed.
ok() { pass=$((pass + 1)); echo "  ok    $1"; }

# bad NAME [DETAIL] — a check failed; the first 40 lines of DETAIL are printed, indented.
bad() {
  fail=$((fail + 1))
  echo "  FAIL  $1"
  [ -n "${2:-}" ] && echo "$2" | sed 's/^/        /' | head -40
}

# die MESSAGE… — the set-up failed: "CHECK_NAME: MESSAGE" on stderr, then exit 1.
die() { echo "$CHECK_NAME: $*" >&2; exit 1; }

# need_built FILE… — dies unless every FILE is an executable (a build product).
need_built() {
  local f
  for f in "$@"; do [ -x "$f" ] || die "$f not built (run make)"; done
}

# need_tool FILE… — dies unless every FILE is an executable (a tool scripts/setup.sh installs).
need_tool() {
  local f
  for f in "$@"; do [ -x "$f" ] || die "$f missing (run scripts/setup.sh)"; done
}

# has NAME TEXT HAYSTACK — passes when the fixed string TEXT is in HAYSTACK.
has() { if grep -qF -- "$2" <<<"$3"; then ok "$1"; else bad "$1: \"$2\" not found" "$3"; fi; }

# eq NAME GOT WANT — passes when GOT and WANT are the same string.
eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: \"$2\" != \"$3\""; fi; }

# js EXPR — prints String(EXPR), evaluated by node with `d` = the JSON in $OUT (node's error
# on stderr when $OUT is not JSON or EXPR throws).
js() {
  node -e "const d=JSON.parse(require('fs').readFileSync(0,'utf8')); const r=($1); process.stdout.write(String(r))" <<<"$OUT"
}

# check NAME EXPR — passes when js EXPR prints `true`; otherwise shows what it gave and $OUT.
check() {
  local v
  v=$(js "$2" 2>&1)
  if [ "$v" = true ]; then ok "$1"; else bad "$1" "got: $v"$'\n'"$OUT"; fi
}

# expect NAME WANT_STATUS CMD… — runs CMD with its stdout in $OUT and its stderr in $ERR;
# passes when it exits with WANT_STATUS.
expect() {
  local name=$1 want=$2 rc
  shift 2
  "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
  if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, wanted $want" "$OUT$ERR"; fi
}

# check_summary LABEL — prints "LABEL: N passed, M failed"; returns 0 when nothing failed.
check_summary() {
  echo "$1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
