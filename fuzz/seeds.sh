#!/usr/bin/env bash
# fuzz/seeds.sh OUTDIR GEN_SEEDS_BIN — assembles the seed corpora in OUTDIR/<target>/:
# the committed seeds (fuzz/seeds/<target>/), copies of fixtures, and the generated ones
# (gen_seeds: genuine quotes, collateral, event logs, ABI encodings). Run from the
# repository root.
set -euo pipefail
out=$1 gen=$2
rm -rf "$out"
mkdir -p "$out"
for d in fuzz/seeds/*/; do
  t=$(basename "$d")
  mkdir -p "$out/$t"
  cp "$d"* "$out/$t/"
done
mkdir -p "$out/config" "$out/eventlog" "$out/json" "$out/hex"
cp appkeys.json "$out/config/appkeys.json"
cp fixtures/upstream/simulator-appkeys-v0.5.11.json fixtures/upstream/simulator-appkeys-v0.5.5.json "$out/config/"
# The repository's appkeys.json with its compose path pointing into the fuzzer's directory.
sed 's/"app_compose": *"[^"]*"/"app_compose": "compose.json"/' appkeys.json > "$out/config/appkeys-compose-file.json"
cp fixtures/upstream/simulator-v0.5.11-getquote-event_log.json "$out/eventlog/upstream-v0.5.11.json"
cp fixtures/harness/vector-c-getkey-test-signing.json fixtures/upstream/simulator-app-compose-v0.5.11.json "$out/json/"
head -c 200 fixtures/upstream/simulator-quote-v0.5.11.hex > "$out/hex/upstream-quote-prefix.txt"
"$gen" "$out"
