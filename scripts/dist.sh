#!/usr/bin/env bash
# scripts/dist.sh — packs the release tarball of dstack-simulator (called by `make dist`,
# mk/dist.mk): one folder NAME/ holding the binary, the repository's appkeys.json and
# app-compose.json, and a README that lists the shared libraries the binary still needs,
# read from `ldd` here and now, and those linked in statically (the ones the normal,
# dynamically linked DYNAMIC_BINARY needs and BINARY does not). Also writes
# NAME.tgz.sha256. Reproducible: fixed owner, order and timestamps (the last commit's time).
#
#   scripts/dist.sh BINARY VERSION NAME OUTDIR DYNAMIC_BINARY
set -euo pipefail

if [ $# -ne 5 ]; then
  echo "usage: scripts/dist.sh BINARY VERSION NAME OUTDIR DYNAMIC_BINARY" >&2
  exit 2
fi
bin=$1 version=$2 name=$3 out=$4 dynamic=$5
cd "$(dirname "$0")/.."

stage=$out/stage/$name
rm -rf "$out/stage"
mkdir -p "$stage"
install -m 755 "$bin" "$stage/dstack-simulator"
install -m 644 appkeys.json app-compose.json "$stage/"

# The binary must run as packed (it needs nothing beside it: sim_identity.h).
got=$("$stage/dstack-simulator" --version) || { echo "dist: $bin --version failed" >&2; exit 1; }
case $got in
  "dstack-simulator $version "*) ;;
  *) echo "dist: $bin --version says \"$got\", expected version $version" >&2; exit 1 ;;
esac

# Debian package that ships a library path (tries the /usr-merged spelling too).
package_of() {
  local p=$1 alt
  case $p in /usr/*) alt=${p#/usr} ;; *) alt=/usr$p ;; esac
  { dpkg -S "$p" 2>/dev/null || dpkg -S "$alt" 2>/dev/null; } | head -1 | cut -d: -f1
}

libs=""
while read -r line; do
  case $line in
    linux-vdso*) continue ;;                       # the kernel's, not a file
    *"=> not found"*) echo "dist: $line" >&2; exit 1 ;;
    *"=>"*) soname=${line%% =>*} path=${line#*=> } ;;
    /*) soname=${line%% *} path=$soname ;;
    *) continue ;;
  esac
  path=${path%% (*}
  pkg=$(package_of "$path")
  libs+=$(printf '  %-28s %s' "$soname" "${pkg:+(Debian/Ubuntu package $pkg)}")$'\n'
done < <(ldd "$stage/dstack-simulator")
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort; }
static=$(comm -23 <(needed "$dynamic") <(needed "$stage/dstack-simulator") |
         sed 's/\.so.*//' | paste -sd, - | sed 's/,/, /g')
glibc=$(objdump -T "$stage/dstack-simulator" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' |
        sort -Vu | tail -1)

cat > "$stage/README" <<EOF
dstack-simulator $version (${name##*-simulator-$version-})

A local dstack guest agent for development: the dstack and tappd APIs on Unix sockets,
with quotes, keys and signature chains that verify like a real CVM's. PUBLIC TEST KEYS:
everything it signs is for local development only, never for anything of value.

Run it from this folder, with no arguments:

  ./dstack-simulator
  export DSTACK_SIMULATOR_ENDPOINT=\$PWD/dstack.sock   # as its start-up block prints

It serves ./dstack.sock, ./tappd.sock and ./external.sock and finds its identity in this
order: --config FILE; ./appkeys.json; <prefix>/share/dstack-devkit/appkeys.json beside an
installed binary; else the same identity built into the binary (config "built-in"). The
appkeys.json and app-compose.json here are that identity, to read or to edit.

With Phala's CLI: copy dstack-simulator into ~/.phala-cloud/simulator/0.5.3/ and run
\`phala simulator start\`; it runs the file there instead of downloading its own.
./dstack-simulator --help lists every option.

Linked in statically: ${static:-nothing}.
Shared libraries it needs (ldd when this tarball was made; glibc $glibc or newer):

$libs
EOF

mtime=$(git log -1 --format=%ct 2>/dev/null || echo 0)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
    -C "$out/stage" -cf - "$name" | gzip -9n > "$out/$name.tgz.tmp"
mv "$out/$name.tgz.tmp" "$out/$name.tgz"
(cd "$out" && sha256sum "$name.tgz" > "$name.tgz.sha256")
rm -rf "$out/stage"
