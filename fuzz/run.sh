#!/usr/bin/env bash
# fuzz/run.sh SECONDS TARGET... — runs each libFuzzer target for SECONDS, after replaying
# its regression inputs (fuzz/regress/<target>/: inputs that once crashed, kept so the fix
# stays fixed). Run from the repository root after `make fuzz-build`.
#
#   corpus   build/fuzz/corpus/<target>/  grows across runs (new coverage is kept)
#   seeds    build/fuzz/seeds/<target>/   (fuzz/seeds.sh: committed seeds, fixtures,
#                                          generated quotes/collateral/event logs)
#   crashes  build/fuzz/crashes/<target>-* (libFuzzer artifacts: reproduce with
#            build/fuzz/bin/fuzz_<target> <file>)
# Prints one line per target (executions, exec/s, corpus size, new crashes) and a total;
# appends the same to build/fuzz/history.tsv. Exits 1 if any target crashed.
set -uo pipefail
secs=$1; shift
B=build/fuzz
mkdir -p "$B/corpus" "$B/crashes" "$B/logs"
total_execs=0 total_crashes=0 failed=()
printf '%-11s %12s %9s %7s %8s  %s\n' target executions exec/s corpus crashes result
for t in "$@"; do
  bin=$B/bin/fuzz_$t
  mkdir -p "$B/corpus/$t" "$B/seeds/$t"
  log=$B/logs/$t.log
  : > "$log"
  res=ok
  # 1. Regression inputs: each must run clean.
  if compgen -G "fuzz/regress/$t/*" >/dev/null; then
    if ! "$bin" -runs=1 fuzz/regress/$t/* >>"$log" 2>&1; then
      res="REGRESSION"; failed+=("$t")
    fi
  fi
  # 2. Fuzzing. Dictionaries: http for the HTTP path, json for JSON-shaped inputs.
  dict=()
  case $t in
    http) dict=(-dict=fuzz/dict/http.dict) ;;
    json|config|eventlog|collateral|bootinfo) dict=(-dict=fuzz/dict/json.dict) ;;
    compose) dict=(-dict=fuzz/dict/yaml.dict) ;;
  esac
  before=$(ls "$B/crashes" | grep -c "^$t-" || true)
  "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=20 -rss_limit_mb=2560 \
         -malloc_limit_mb=1024 -close_fd_mask=3 -artifact_prefix="$B/crashes/$t-" "${dict[@]}" \
         "$B/corpus/$t" "$B/seeds/$t" >>"$log" 2>&1
  rc=$?
  after=$(ls "$B/crashes" | grep -c "^$t-" || true)
  crashes=$((after - before))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(ls "$B/corpus/$t" | wc -l)
  execs=${execs:-0}
  if ((rc != 0)); then
    res="CRASH (see $log)"; ((crashes == 0)) && crashes=1
    [[ " ${failed[*]} " == *" $t "* ]] || failed+=("$t")
  fi
  total_execs=$((total_execs + execs)); total_crashes=$((total_crashes + crashes))
  printf '%-11s %12s %9s %7s %8s  %s\n' "$t" "$execs" "${rate:-0}" "$corpus" "$crashes" "$res"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$secs" "$execs" "$crashes" "$res" >> "$B/history.tsv"
done
printf '%-11s %12s %9s %7s %8s\n' TOTAL "$total_execs" "" "" "$total_crashes"
if ((${#failed[@]})); then
  echo "fuzz: failures in: ${failed[*]} (logs in $B/logs/, inputs in $B/crashes/)"
  exit 1
fi
