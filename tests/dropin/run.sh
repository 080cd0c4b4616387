#!/usr/bin/env bash
# tests/dropin/run.sh — dstack-simulator as one file that runs anywhere (docs/simulator.md,
# "Where the identity comes from"):
#   * a copy of the binary outside the tree, run with no arguments from an empty directory,
#     serves the built-in identity: banner "config built-in", the published KMS root, and a
#     GetMeta identical byte for byte to the one served from the repository's appkeys.json
#     (compose hash = sha256 of app-compose.json, app id = its first 20 bytes); its GetKey
#     chain recovers to that root (dstack-harness diagnose);
#   * the search order: --config beats ./appkeys.json beats the installed copy
#     (<prefix>/share/dstack-devkit/appkeys.json) beats the built-in, each told apart by
#     its KMS root; a broken ./appkeys.json is an error, never a silent fall-back;
#   * the release tarball (make dist): one folder with the binary, appkeys.json,
#     app-compose.json and README; unpacked as `phala simulator` does (--strip-components=1)
#     it runs with no arguments and passes dstack-verify's steps 1-5; the README lists
#     exactly the shared libraries ldd shows; the checksum file matches.
#
#   tests/dropin/run.sh TARBALL BINARY...   (from the repository root; each BINARY is a
#                                            normal or sanitized build of dstack-simulator)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: tests/dropin/run.sh TARBALL BINARY..." >&2; exit 2; }
repo=$(pwd)
tarball=$(realpath "$1"); shift
bins=()
for b in "$@"; do bins+=("$(realpath "$b")"); done
harness=$repo/build/bin/dstack-harness
verify=$repo/build/bin/dstack-verify
work=$(mktemp -d /tmp/dsdrop.XXXXXX)
. tests/lib/sim.sh
trap 'sim_kill; rm -rf "$work"' EXIT
unset DSTACK_SIMULATOR_ENDPOINT TAPPD_SIMULATOR_ENDPOINT
passed=0; failed=0
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@" >"$work/check.out" 2>&1; then passed=$((passed + 1)); echo "ok   $what"
  else failed=$((failed + 1)); echo "FAIL $what"; sed 's/^/     /' "$work/check.out" | head -40; fi
}

# Expected values, computed here and not by the simulator.
PUBLISHED_ROOT=0xe33bD2EF806E9af81C6C3Adaa227dB54f780dEA0  # README.md, appkeys.json's key
ROOT_KEY1=0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf        # address of private key 1
ROOT_KEY2=0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF        # address of private key 2
compose_sha=$(sha256sum app-compose.json | cut -d' ' -f1)
app_id=${compose_sha:0:40}
keyfile() { # keyfile PATH N: an appkeys.json whose KMS root key is the private key N
  printf '{"kms_root_key":"%064x"}\n' "$2" > "$1"
}

# run_sim DIR BINARY [ARGS...]: starts BINARY in DIR (default sockets there), waits for its
# start-up block, stores GetMeta in DIR/meta.json, stops it and checks a clean exit with
# its sockets removed. The log is DIR/sim.log.
run_sim() {
  local dir=$1 bin=$2; shift 2
  rm -f "$dir/sim.log" "$dir/meta.json"
  sim_start "$dir/sim.log" env -C "$dir" "$bin" --no-stats "$@" || return 1
  curl -sf --max-time 10 --unix-socket "$dir/dstack.sock" http://localhost/GetMeta >"$dir/meta.json" || true
  # the boot decision's time (kms_auth.decided_at) is the one member that differs by run
  sed -i -E 's/"decided_at": ?"[0-9T:.Z-]+"/"decided_at":"(the start time)"/' "$dir/meta.json"
  if [ -n "${GETKEY_OUT:-}" ]; then
    curl -sf --max-time 10 --unix-socket "$dir/dstack.sock" -H 'Content-Type: application/json' \
      -d '{"path":"dropin/test","purpose":"signing"}' http://localhost/GetKey >"$GETKEY_OUT" || true
  fi
  if [ -n "${VERIFY_OUT:-}" ]; then
    "$verify" --endpoint "$dir/dstack.sock" --no-chain >"$VERIFY_OUT" 2>&1 && echo ok >>"$VERIFY_OUT" || true
  fi
  sim_stop
  cat "$dir/sim.log"
  [ "$SIM_STATUS" -eq 0 ] || { echo "exit status $SIM_STATUS"; return 1; }
  [ -s "$dir/meta.json" ] || { echo "no GetMeta answer"; return 1; }
  for s in dstack.sock tappd.sock external.sock; do
    [ ! -e "$dir/$s" ] || { echo "$dir/$s left behind"; return 1; }
  done
}
banner_has() { grep -q -- "$2" "$1/sim.log" || { echo "banner lacks: $2"; return 1; }; }
meta_field() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1/meta.json"; }
root_is() { # root_is DIR ADDRESS
  banner_has "$1" "^  KMS root address $2\$" &&
    [ "$(meta_field "$1" k256_address)" = "$2" ] || { echo "GetMeta k256_address: $(meta_field "$1" k256_address)"; return 1; }
}

reference=$work/reference
mkdir -p "$reference"
check "reference: the repository's appkeys.json served by --config" \
  run_sim "$reference" "${bins[0]}" --config "$repo/appkeys.json"

for bin in "${bins[@]}"; do
  flavour=$(basename "$(dirname "$(dirname "$bin")")")  # build or asan
  t=$work/$flavour
  mkdir -p "$t/loose" "$t/empty" "$t/cwd1" "$t/prefix/bin" "$t/prefix/share/dstack-devkit" "$t/bad"
  cp "$bin" "$t/loose/dstack-simulator"
  cp "$bin" "$t/prefix/bin/dstack-simulator"
  keyfile "$t/cwd1/appkeys.json" 1
  keyfile "$t/prefix/share/dstack-devkit/appkeys.json" 2
  echo 'not json' > "$t/bad/appkeys.json"

  builtin() {
    GETKEY_OUT=$t/getkey.json run_sim "$t/empty" "$t/loose/dstack-simulator" &&
      banner_has "$t/empty" '^  config  *built-in (KMS root key mode)$' &&
      banner_has "$t/empty" '^  PUBLIC TEST KEYS: ' &&
      banner_has "$t/empty" "^  compose hash  *$compose_sha (built-in app-compose.json)\$" &&
      banner_has "$t/empty" "^  app id  *$app_id " &&
      root_is "$t/empty" "$PUBLISHED_ROOT" &&
      [ "$(meta_field "$t/empty" compose_hash)" = "$compose_sha" ] &&
      [ "$(meta_field "$t/empty" app_id)" = "$app_id" ] &&
      { ! grep -qi warning "$t/empty/sim.log" || { echo "a warning for the built-in identity"; return 1; }; } &&
      { cmp "$reference/meta.json" "$t/empty/meta.json" || { echo "GetMeta differs from the file's:";
        cat "$reference/meta.json" "$t/empty/meta.json"; return 1; }; }
  }
  check "$flavour: a copy outside the tree, no arguments, empty directory: the built-in identity, GetMeta identical to appkeys.json's" builtin
  check "$flavour: its GetKey chain recovers to the published root (dstack-harness diagnose)" \
    "$harness" diagnose --getkey "$t/getkey.json" --app-id "$app_id" --purpose signing \
    --expected-root "$PUBLISHED_ROOT" --quiet

  cwd_beats_builtin() {
    run_sim "$t/cwd1" "$t/loose/dstack-simulator" &&
      banner_has "$t/cwd1" '^  config  *appkeys.json (KMS root key mode)$' && root_is "$t/cwd1" "$ROOT_KEY1"
  }
  check "$flavour: ./appkeys.json beats the built-in identity" cwd_beats_builtin
  installed_beats_builtin() {
    run_sim "$t/empty" "$t/prefix/bin/dstack-simulator" &&
      banner_has "$t/empty" "^  config  *$t/prefix/share/dstack-devkit/appkeys.json (KMS root key mode)\$" &&
      root_is "$t/empty" "$ROOT_KEY2"
  }
  check "$flavour: the installed copy (<prefix>/share/dstack-devkit) beats the built-in identity" installed_beats_builtin
  cwd_beats_installed() {
    run_sim "$t/cwd1" "$t/prefix/bin/dstack-simulator" && root_is "$t/cwd1" "$ROOT_KEY1"
  }
  check "$flavour: ./appkeys.json beats the installed copy" cwd_beats_installed
  flag_beats_all() {
    run_sim "$t/cwd1" "$t/prefix/bin/dstack-simulator" --config "$repo/appkeys.json" &&
      banner_has "$t/cwd1" "^  config  *$repo/appkeys.json (KMS root key mode)\$" &&
      root_is "$t/cwd1" "$PUBLISHED_ROOT"
  }
  check "$flavour: --config beats ./appkeys.json and the installed copy" flag_beats_all

  fails_with() { # fails_with DIR MESSAGE BINARY ARGS...: exit 2 or 1, one line naming the cause
    local dir=$1 msg=$2 rc=0; shift 2
    (cd "$dir" && "$@") >"$dir/err.log" 2>&1 || rc=$?
    cat "$dir/err.log"
    [ "$rc" -ne 0 ] || { echo "exit status 0"; return 1; }
    [ "$(wc -l <"$dir/err.log")" -eq 1 ] || { echo "not one line"; return 1; }
    grep -q -- "$msg" "$dir/err.log"
  }
  check "$flavour: a broken ./appkeys.json is an error naming it, not a fall-back to the built-in" \
    fails_with "$t/bad" '^dstack-simulator: config appkeys.json: not a JSON object$' "$t/loose/dstack-simulator"
  check "$flavour: --config naming a missing file is an error naming it" \
    fails_with "$t/empty" "^dstack-simulator: cannot read config $t/none.json: No such file or directory\$" \
    "$t/loose/dstack-simulator" --config "$t/none.json"
  echo '{}' > "$t/nokeys.json"
  check "$flavour: a config without keys says so and names the file" \
    fails_with "$t/empty" "^dstack-simulator: no keys: $t/nokeys.json needs \"kms_root_key\"" \
    "$t/loose/dstack-simulator" --config "$t/nokeys.json"
done

# --- the release tarball
rel=$work/release
mkdir -p "$rel/phala-folder" "$rel/elsewhere"
name=$(basename "$tarball" .tgz)
layout() {
  local want got
  want=$(printf '%s\n' "$name/" "$name/README" "$name/app-compose.json" "$name/appkeys.json" "$name/dstack-simulator")
  got=$(tar -tzf "$tarball" | sort)
  [ "$got" = "$want" ] || { echo "contents:"; echo "$got"; return 1; }
  (cd "$(dirname "$tarball")" && sha256sum -c "$name.tgz.sha256")
}
check "tarball: one folder $name/ with dstack-simulator, appkeys.json, app-compose.json, README; checksum matches" layout
tar -xzf "$tarball" -C "$rel/phala-folder" --strip-components=1
unpacked() {
  cmp "$rel/phala-folder/appkeys.json" appkeys.json && cmp "$rel/phala-folder/app-compose.json" app-compose.json &&
    VERIFY_OUT=$rel/verify.out run_sim "$rel/phala-folder" "$rel/phala-folder/dstack-simulator" &&
    banner_has "$rel/phala-folder" '^  config  *appkeys.json (KMS root key mode)$' &&
    root_is "$rel/phala-folder" "$PUBLISHED_ROOT" &&
    { cat "$rel/verify.out"; [ "$(tail -1 "$rel/verify.out")" = ok ]; } &&
    cmp "$reference/meta.json" "$rel/phala-folder/meta.json"
}
check "tarball: unpacked like phala does, ./dstack-simulator with no arguments serves the packed identity; dstack-verify steps 1-5 pass" unpacked
alone() {
  run_sim "$rel/elsewhere" "$rel/phala-folder/dstack-simulator" &&
    banner_has "$rel/elsewhere" '^  config  *built-in (KMS root key mode)$' &&
    cmp "$reference/meta.json" "$rel/elsewhere/meta.json"
}
check "tarball: its binary run from another directory serves the built-in identity" alone
libs_listed() {
  local b=$rel/phala-folder/dstack-simulator listed actual
  listed=$(sed -n '/^Shared libraries/,$p' "$rel/phala-folder/README" | sed -n 's/^  \([^ ]*\) .*/\1/p' | sort)
  actual=$(ldd "$b" | grep -v linux-vdso | sed 's/^[[:space:]]*//; s/ .*//' | sort)
  echo "README: $listed"; echo "ldd:    $actual"
  [ -n "$listed" ] && [ "$listed" = "$actual" ] || return 1
  if readelf -d "$b" | grep -E 'NEEDED.*(libsecp256k1|libevent)'; then
    echo "a library with a static archive is linked shared"; return 1
  fi
  # one OpenSSL per process: libcurl's shared libcrypto, never a static copy beside it
  if nm -D "$b" 2>/dev/null | grep -qE ' T (EVP_|OPENSSL_)'; then
    echo "a static libcrypto is linked in beside libcurl's shared one"; return 1
  fi
  readelf -d "$b" | grep -q 'NEEDED.*libcrypto' || { echo "libcrypto not shared"; return 1; }
  grep -q '^Linked in statically: .*libevent.*libsecp256k1' "$rel/phala-folder/README"
}
check "tarball: the README lists exactly the shared libraries ldd shows; libsecp256k1 and libevent are linked in, OpenSSL is libcurl's shared one" libs_listed

echo "dropin: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
