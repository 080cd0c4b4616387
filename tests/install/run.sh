#!/usr/bin/env bash
# tests/install/run.sh — make install as a user does, into temporary prefixes, and use it
# from outside the source tree:
#   * every file is where the layout says (tools, libdstack.a, libdstack.so with its soname,
#     headers, pkg-config file, man pages, default identity, contracts, example);
#   * tests/install/test_devkit.c, copied to a temp directory and built with nothing but
#     pkg-config against the install (libdstack.so, and libdstack.a), starts a simulator
#     (ds_testsim, the installed dstack-simulator from PATH) and verifies a GetKey chain to
#     the root it printed;
#   * the installed dstack-simulator runs from a directory with no appkeys.json: it uses the
#     installed identity, prints its start-up block first and no file-mode warning;
#   * a DESTDIR install stages under DESTDIR with paths naming PREFIX;
#   * make uninstall leaves no file behind.
#
#   tests/install/run.sh     (from the repository root, after make)
set -euo pipefail
. tests/lib/sim.sh
repo=$(pwd)
work=$(mktemp -d /tmp/dsinst.XXXXXX)
trap 'sim_kill; rm -rf "$work"' EXIT
unset DSTACK_SIMULATOR_BIN DSTACK_SIMULATOR_ENDPOINT TAPPD_SIMULATOR_ENDPOINT
passed=0; failed=0
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@" >"$work/check.out" 2>&1; then passed=$((passed + 1)); echo "ok   $what"
  else failed=$((failed + 1)); echo "FAIL $what"; sed 's/^/     /' "$work/check.out" | head -40; fi
}

prefix=$work/prefix
version=$(sed -n 's/^#define SIM_VERSION "\(.*\)"/\1/p' simulator/sim_config.h)
soversion=${version%%.*}
check "make install PREFIX=$prefix" make --no-print-directory install PREFIX="$prefix"

# --- the layout
files=(bin/dstack-simulator bin/dstack-harness bin/dstack-verify bin/dstack-pki bin/dstack-bench
       lib/libdstack.a "lib/libdstack.so.$version" lib/pkgconfig/dstack-devkit.pc
       include/dstack/ds_client.h include/dstack/ds_testsim.h include/dstack/ds_chain.h
       include/dstack/ds_err.h share/man/man1/dstack-simulator.1 share/man/man1/dstack-harness.1
       share/man/man1/dstack-verify.1 share/man/man1/dstack-pki.1 share/man/man1/dstack-bench.1
       share/man/man3/libdstack.3 share/dstack-devkit/appkeys.json
       share/dstack-devkit/app-compose.json share/dstack-devkit/contracts/DstackMembershipNFT.sol
       share/dstack-devkit/examples/test_devkit.c)
layout() {
  for f in "${files[@]}"; do [ -f "$prefix/$f" ] || { echo "missing $f"; return 1; }; done
  for t in dstack-simulator dstack-harness dstack-verify dstack-pki dstack-bench; do
    [ -x "$prefix/bin/$t" ] || { echo "$t not executable"; return 1; }
  done
  [ "$(readlink "$prefix/lib/libdstack.so")" = "libdstack.so.$soversion" ] || { echo "libdstack.so link"; return 1; }
  [ "$(readlink "$prefix/lib/libdstack.so.$soversion")" = "libdstack.so.$version" ] || { echo "soname link"; return 1; }
  readelf -d "$prefix/lib/libdstack.so.$version" | grep -q "SONAME.*\[libdstack.so.$soversion\]" || { echo "no soname"; return 1; }
  if ls "$prefix"/include/dstack/*_internal.h 2>/dev/null; then echo "internal headers installed"; return 1; fi
  cmp appkeys.json "$prefix/share/dstack-devkit/appkeys.json"
  for p in man/*.1; do cmp "$p" "$prefix/share/man/man1/$(basename "$p")"; done
}
check "layout: tools, libdstack.a and .so.$version (soname libdstack.so.$soversion), headers, .pc, man pages, share" layout
check "man -l renders the installed dstack-simulator(1)" \
  bash -c "MANWIDTH=80 man -l '$prefix/share/man/man1/dstack-simulator.1' | tr -s ' ' | grep -q 'dstack-simulator - a local dstack guest agent'"

# --- pkg-config, as a user's build sees it
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
check "pkg-config: dstack-devkit $version, -I$prefix/include/dstack, -L$prefix/lib -ldstack" bash -c "
  [ \"\$(pkg-config --modversion dstack-devkit)\" = '$version' ] &&
  pkg-config --cflags dstack-devkit | grep -q -- '-I$prefix/include/dstack' &&
  pkg-config --libs dstack-devkit | grep -q -- '-L$prefix/lib -ldstack' &&
  [ \"\$(pkg-config --variable=simulator dstack-devkit)\" = '$prefix/bin/dstack-simulator' ]"

# --- every installed header stands alone, in both include forms a user writes:
# <ds_x.h> with pkg-config's Cflags, and <dstack/ds_x.h> with only the prefix's include/.
headers_alone() {
  local h n
  for h in "$prefix"/include/dstack/ds_*.h; do
    n=$(basename "$h")
    # shellcheck disable=SC2046
    printf '#include <%s>\nint main(void) { return 0; }\n' "$n" |
      cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -x c - $(pkg-config --cflags dstack-devkit) ||
      { echo "<$n> does not compile alone"; return 1; }
    # shellcheck disable=SC2046
    printf '#include <dstack/%s>\nint main(void) { return 0; }\n' "$n" |
      cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -x c - -I"$prefix/include" \
        $(pkg-config --cflags libcjson libcrypto) ||
      { echo "<dstack/$n> does not compile alone"; return 1; }
  done
  [ "$(ls "$prefix"/include/dstack/ds_*.h | wc -l)" -ge 20 ] || { echo "too few headers installed"; return 1; }
  if ls -d "$prefix"/include/dstack/*/ 2>/dev/null; then echo "lib/'s folders leaked into include/dstack/"; return 1; fi
}
check "each installed header compiles alone as <ds_x.h> (pkg-config) and as <dstack/ds_x.h>" headers_alone

# --- the user's suite, outside the tree
user=$work/user
mkdir -p "$user"
cp tests/install/test_devkit.c "$user/"
cd "$user"
build_suite() {
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Wextra -Werror -o test_devkit test_devkit.c \
    $(pkg-config --cflags --libs dstack-devkit) $(pkg-config --cflags --libs cmocka)
  readelf -d test_devkit | grep -q "NEEDED.*\[libdstack.so.$soversion\]"
}
check "out-of-tree cmocka suite builds with pkg-config only and links libdstack.so.$soversion" build_suite
run_suite() {
  [ ! -e appkeys.json ]
  PATH="$prefix/bin:$PATH" LD_LIBRARY_PATH="$prefix/lib" ./test_devkit 2>&1 | tee suite.log
  grep -q '^\[  PASSED  \] 3 test(s)' suite.log
}
check "out-of-tree suite: ds_testsim starts the installed simulator, GetKey chain verifies to the printed root" run_suite

# the same suite linked with the static libdstack.a; its dependencies (the .pc's Requires and
# Requires.private) stay shared, as Debian ships no static libcurl dependency chain
run_static() {
  local libs
  libs=$(pkg-config --libs dstack-devkit libsecp256k1 libcurl cmocka)
  # shellcheck disable=SC2046,SC2086
  cc -std=c11 -Wall -Wextra -Werror -o test_devkit_static test_devkit.c \
    $(pkg-config --cflags dstack-devkit cmocka) ${libs/-ldstack/-l:libdstack.a}
  if readelf -d test_devkit_static | grep -q 'NEEDED.*libdstack'; then echo "links libdstack.so"; return 1; fi
  PATH="$prefix/bin:$PATH" ./test_devkit_static 2>&1 | tee suite-static.log
  grep -q '^\[  PASSED  \] 3 test(s)' suite-static.log
}
check "out-of-tree suite linked with the static libdstack.a: passes" run_static

# --- the installed simulator from a directory without appkeys.json
run_installed() {
  sim_start sim.log "$prefix/bin/dstack-simulator" --dstack-sock "$user/d.sock" --tappd-sock "" || return 1
  sim_stop || true
  cat sim.log
  [ "$SIM_STATUS" -eq 0 ] || { echo "exit status $SIM_STATUS"; return 1; }
  head -1 sim.log | grep -q "^dstack-simulator $version .*: listening$" || { echo "first line is not the start-up block"; return 1; }
  grep -q "^  config  *$prefix/share/dstack-devkit/appkeys.json (KMS root key mode)" sim.log || { echo "not the installed identity"; return 1; }
  if grep -qi 'warning' sim.log; then echo "a warning for the public test identity"; return 1; fi
  [ "$(stat -c %a "$prefix/share/dstack-devkit/appkeys.json")" = 644 ]
}
check "installed simulator runs from any directory: installed identity, start-up block first, no file-mode warning" run_installed
cd "$repo"

# --- DESTDIR staging
stage=$work/stage
check "make install DESTDIR=$stage PREFIX=/usr/local" make --no-print-directory install DESTDIR="$stage" PREFIX=/usr/local
check "staged: files under DESTDIR, the .pc names PREFIX" bash -c "
  [ -x '$stage/usr/local/bin/dstack-simulator' ] && [ -f '$stage/usr/local/include/dstack/ds_client.h' ] &&
  grep -qx 'prefix=/usr/local' '$stage/usr/local/lib/pkgconfig/dstack-devkit.pc' &&
  grep -qx 'libdir=/usr/local/lib' '$stage/usr/local/lib/pkgconfig/dstack-devkit.pc'"

# --- uninstall
check "make uninstall PREFIX=$prefix leaves no file" bash -c "
  make --no-print-directory uninstall PREFIX='$prefix' >/dev/null &&
  [ -z \"\$(find '$prefix' ! -type d)\" ] && [ ! -e '$prefix/share/dstack-devkit' ] && [ ! -e '$prefix/include/dstack' ]"
check "make uninstall DESTDIR=$stage leaves no file" bash -c "
  make --no-print-directory uninstall DESTDIR='$stage' PREFIX=/usr/local >/dev/null &&
  [ -z \"\$(find '$stage' ! -type d)\" ]"

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
