#!/usr/bin/env bash
# scripts/setup.sh — install everything the project needs on a fresh Debian machine.
#
# Idempotent and fast when all is present:
#   * Debian packages: installed only when one is missing (apt-get update runs only then).
#   * npm tools: `npm ci` from the committed package-lock.json, skipped when
#     node_modules already matches the lock (a stamp holds the lock's checksum).
# Nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS=(libsecp256k1-dev libssl-dev libcurl4-openssl-dev libcjson-dev libyaml-dev
          libcmocka-dev libevent-dev pkg-config curl nodejs npm
          clang libclang-rt-14-dev valgrind    # fuzz smoke (libFuzzer), memcheck suite
          chromium                             # the dashboard's browser test (tests/browser)
          man-db groff-base                    # man page checks (make test-man)
          python3-requests python3-yaml)       # the seed verifier client (tests/pyverifier)

missing=()
for p in "${APT_PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # node/npm may come from outside Debian (e.g. a preinstalled toolchain): accept those.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

lock_sum=$(sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)
stamp=node_modules/.setup-stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ]; then
  :
else
  echo "setup: npm ci (pinned tools from package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > "$stamp"
fi

if [ ! -f node_modules/playwright-core/package.json ]; then
  echo "setup: node_modules/playwright-core is missing after npm ci; remove node_modules and rerun scripts/setup.sh" >&2
  exit 1
fi
if [ ! -f node_modules/phala/dist/index.js ]; then
  echo "setup: node_modules/phala (Phala's CLI, for make test-phala) is missing after npm ci; remove node_modules and rerun scripts/setup.sh" >&2
  exit 1
fi
for t in anvil forge cast; do
  b="node_modules/@foundry-rs/$t-linux-amd64/bin/$t"
  if [ ! -x "$b" ]; then
    echo "setup: $b is missing or not executable after npm ci; remove node_modules and rerun scripts/setup.sh" >&2
    exit 1
  fi
done
