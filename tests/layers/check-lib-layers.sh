#!/usr/bin/env bash
# tests/layers/check-lib-layers.sh — lib/'s folders stay what lib/lib.mk says they are.
#
#   check-lib-layers.sh [LIBDIR]     (default: lib)
#
# Every `#include "…"` in LIBDIR/<group>/*.{c,h} must name a header that exists in exactly
# one group folder, by its bare file name (the one include rule: folders are on the include
# path), and the groups may only include downwards:
#   core    → core
#   crypto  → core, crypto
#   dstack, tdx, eth → core, crypto and their own folder (never each other)
# Nothing in lib/ may include a header from outside lib/ (the simulator's, the harness's).
# Also: no source file sits in LIBDIR itself, and no header name is used by two folders.
# Prints one line per violation (file:line: what, and what is allowed) and exits 1 if any.
set -uo pipefail
LIB=${1:-lib}
GROUPS_ALL="core crypto dstack tdx eth"
allowed() { # group → groups it may include
  case $1 in
    core) echo "core" ;;
    crypto) echo "core crypto" ;;
    dstack | tdx | eth) echo "core crypto $1" ;;
  esac
}
bad=0
declare -A owner
for g in $GROUPS_ALL; do
  [ -d "$LIB/$g" ] || { echo "$LIB/$g: missing group folder"; bad=1; continue; }
  for h in "$LIB/$g"/*.h; do
    [ -e "$h" ] || continue
    n=$(basename "$h")
    if [ -n "${owner[$n]:-}" ]; then
      echo "$h: header name also used in $LIB/${owner[$n]}/ (names must be unique across folders)"
      bad=1
    fi
    owner[$n]=$g
  done
done
for f in "$LIB"/*.c "$LIB"/*.h; do
  [ -e "$f" ] && { echo "$f: a source file directly in $LIB/ (put it in the folder of its concern)"; bad=1; }
done
for d in "$LIB"/*/; do
  g=$(basename "$d")
  case " $GROUPS_ALL " in *" $g "*) ;; *) echo "$d: unknown group folder (known: $GROUPS_ALL)"; bad=1 ;; esac
done
for g in $GROUPS_ALL; do
  ok=" $(allowed "$g") "
  for f in "$LIB/$g"/*.c "$LIB/$g"/*.h; do
    [ -e "$f" ] || continue
    while IFS=: read -r line inc; do
      name=${inc#*\"}; name=${name%\"*}
      case $name in
        */*) echo "$f:$line: \"$name\" — include lib headers by file name only (\"$(basename "$name")\")"; bad=1; continue ;;
      esac
      tg=${owner[$name]:-}
      if [ -z "$tg" ]; then
        echo "$f:$line: \"$name\" is not a lib/ header (lib/ includes nothing from the tools)"
        bad=1
      elif [[ $ok != *" $tg "* ]]; then
        echo "$f:$line: $g/ includes $tg/$name — $g/ may include only:$(allowed "$g" | sed 's/\([a-z]*\)/ \1\//g')"
        bad=1
      fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | sed 's/^\([0-9]*\):.*\(".*"\).*/\1:\2/')
  done
done
exit $bad
