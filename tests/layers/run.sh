#!/usr/bin/env bash
# tests/layers/run.sh — make test-layers: lib/ keeps its layering, and the check would see
# a wrong include. Runs check-lib-layers.sh on the real lib/ (must pass), then on copies of
# lib/ with one violation planted each (must fail, naming the file and the rule).
set -uo pipefail
cd "$(dirname "$0")/../.."
CHECK=tests/layers/check-lib-layers.sh
fail=0; n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }

if out=$($CHECK lib); then ok "lib/ as committed follows the layering"; else
  notok "lib/ as committed follows the layering"; echo "$out" | sed 's/^/#   /'; fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# plant FILE LINE EXPECT DESCRIPTION: a fresh copy of lib/, LINE appended to FILE, the
# check must exit 1 and print EXPECT.
plant() {
  rm -rf "$tmp/lib"; cp -r lib "$tmp/lib"
  printf '%s\n' "$2" >> "$tmp/lib/$1"
  if out=$($CHECK "$tmp/lib" 2>&1); then notok "$4 (check passed)"; return; fi
  if grep -qF -- "$3" <<<"$out"; then ok "$4"; else
    notok "$4 (message)"; echo "$out" | sed 's/^/#   /'; fi
}
plant core/ds_hex.c '#include "ds_secp.h"' "core/ includes crypto/ds_secp.h" "core/ reaching into crypto/ fails"
plant core/ds_json.h '#include "ds_quote.h"' "core/ includes tdx/ds_quote.h" "core/ reaching into a domain fails"
plant crypto/ds_secp.c '#include "ds_kdf.h"' "crypto/ includes dstack/ds_kdf.h" "crypto/ reaching into dstack/ fails"
plant dstack/ds_chain.c '#include "ds_quote.h"' "dstack/ includes tdx/ds_quote.h" "dstack/ including tdx/ fails"
plant tdx/ds_pki.c '#include "ds_abi.h"' "tdx/ includes eth/ds_abi.h" "tdx/ including eth/ fails"
plant eth/ds_rpc.c '#include "ds_eventlog.h"' "eth/ includes dstack/ds_eventlog.h" "eth/ including dstack/ fails"
plant eth/ds_abi.h '#include "ds_qverify_internal.h"' "eth/ includes tdx/ds_qverify_internal.h" "an internal header of another domain fails"
plant dstack/ds_client.c '#include "sim_http.h"' "is not a lib/ header" "a tool's header fails"
plant tdx/ds_quote.c '#include "core/ds_hex.h"' "by file name only" "a folder-qualified include fails"
rm -rf "$tmp/lib"; cp -r lib "$tmp/lib"; cp lib/core/ds_hex.h "$tmp/lib/eth/ds_hex.h"
if out=$($CHECK "$tmp/lib" 2>&1); then notok "a header name in two folders fails"; else
  grep -qF "also used in" <<<"$out" && ok "a header name in two folders fails" || notok "a header name in two folders fails (message)"; fi
rm -rf "$tmp/lib"; cp -r lib "$tmp/lib"; echo 'int x;' > "$tmp/lib/ds_stray.c"
if $CHECK "$tmp/lib" >/dev/null 2>&1; then notok "a file directly in lib/ fails"; else ok "a file directly in lib/ fails"; fi
# Including within the allowed directions passes.
rm -rf "$tmp/lib"; cp -r lib "$tmp/lib"; echo '#include "ds_keccak.h"' >> "$tmp/lib/tdx/ds_quote.c"
if $CHECK "$tmp/lib" >/dev/null 2>&1; then ok "tdx/ including crypto/ passes"; else notok "tdx/ including crypto/ passes"; fi
echo "1..$n"
exit $fail
