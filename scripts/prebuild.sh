#!/usr/bin/env bash
# Builds the prebuilt binary shipped in the npm package (npm run prebuildify):
#   prebuilds/linux-x64/node.napi.glibc.node
# with prebuildify (--napi --strip --tag-libc), which node-gyp-build loads at run time.
#
# prebuildify normally runs `node-gyp rebuild --target=<node> --devdir=...`, which would
# download Node headers. We give it this script as its "node-gyp" (--node-gyp), so the
# build goes through our own build (scripts/build-native.sh: cmake-js, Node-API headers
# from node-api-headers, libwebsockets against the OpenSSL/libuv/zlib headers of the
# installed Node) and nothing is downloaded. Called that way it gets
# `rebuild --target=... --devdir=... --arch=... --release` and ignores all but --arch.
#
# prebuildify runs in a stage directory (build/prebuild-stage) and copies the stripped
# binary from there into prebuilds/, so build/Release/netstack_websocket.node (the
# development build, which node-gyp-build prefers) is left in place, unstripped.
#
# The binary is a Node-API 8 build: one file for every Node >= 20.17 on linux-x64 with
# glibc >= 2.33 (it references fstat@GLIBC_2.33); the check at the end prints what it needs.
#
#   scripts/prebuild.sh [--arch arm64]
#     --arch arm64  cross-build prebuilds/linux-arm64/node.napi.glibc.node on an x64 host
#                   (apt-get install g++-aarch64-linux-gnu; build dir build-arm64/, toolchain
#                   scripts/linux-arm64.toolchain.cmake). Tested by scripts/node-matrix.sh
#                   --arm64 under qemu-user.
#     --platform win32  cross-build prebuilds/win32-x64/node.napi.node with mingw-w64
#                   (scripts/prebuild-win32.sh). Tested by scripts/node-matrix.sh --win32
#                   under Wine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "prebuild: $*" >&2; }

host_arch="$(node -p process.arch)"

# ---- backend mode: called by prebuildify in place of node-gyp ---------------------------
if [ "${1:-}" = rebuild ]; then
  arch="$host_arch"
  for a in "$@"; do
    case "$a" in --arch=*) arch="${a#--arch=}" ;; esac
  done
  if [ "$arch" = "$host_arch" ]; then
    node_file="$(bash "$root/scripts/build-native.sh" | tail -n 1)"
  elif [ "$host_arch-$arch" = x64-arm64 ]; then
    command -v aarch64-linux-gnu-g++ >/dev/null ||
      { log "error: aarch64-linux-gnu-g++ not found (apt-get install g++-aarch64-linux-gnu)"; exit 1; }
    cmake_js="$root/node_modules/.bin/cmake-js"
    (cd "$root" &&
      "$cmake_js" configure --config Release --out build-arm64 --log-level warn \
        --CDCMAKE_TOOLCHAIN_FILE="$root/scripts/linux-arm64.toolchain.cmake" >&2 &&
      "$cmake_js" build --config Release --out build-arm64 --log-level warn \
        --parallel "$( (nproc || echo 2) 2>/dev/null)" >&2)
    node_file="$root/build-arm64/Release/netstack_websocket.node"
  else
    log "error: cross-building for $arch on $host_arch is not supported (only x64 -> arm64)"
    exit 1
  fi
  # prebuildify looks for the .node in <its cwd>/build/Release, strips it there and moves it.
  mkdir -p build/Release
  rm -f build/Release/*.node
  cp "$node_file" build/Release/netstack_websocket.node
  exit 0
fi

# ---- main mode ---------------------------------------------------------------------------
cd "$root"
arch="$host_arch"
case "${1:-}" in
  --platform) [ "${2:-}" = win32 ] || { log "usage: $0 [--arch arm64 | --platform win32]"; exit 2; }
    exec bash "$root/scripts/prebuild-win32.sh" ;;
  --arch) arch="${2:?--arch needs a value}" ;;
  --arch=*) arch="${1#--arch=}" ;;
  "") ;;
  *) log "usage: $0 [--arch arm64 | --platform win32]"; exit 2 ;;
esac
strip_bin=strip
[ "$arch" = arm64 ] && [ "$host_arch" != arm64 ] && strip_bin=aarch64-linux-gnu-strip
platform="$(node -p process.platform)"
# netstack (issue 14): macOS builds its own (the GitHub Actions workflow); no libc tag there.
libc_tag=(--tag-libc)
case "$platform" in
  linux) ;;
  darwin) libc_tag=() ;;
  *) log "error: prebuilds are made on Linux and macOS only (this is $platform; win32: --platform win32 on Linux)"; exit 1 ;;
esac
file_size() { wc -c <"$1" | tr -d ' '; }
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
prebuildify="$root/node_modules/prebuildify/bin.js"
[ -f "$prebuildify" ] || { log "error: prebuildify is not installed (npm install)"; exit 1; }
command -v "$strip_bin" >/dev/null || { log "error: $strip_bin (binutils) not found"; exit 1; }

stage="$root/build/prebuild-stage"
out_dir="$root/prebuilds/$platform-$arch"
rm -rf "$stage" "$out_dir"
mkdir -p "$stage"
start=$SECONDS
# prebuildify 6 names a Node-API build <name>.<tags>.node without a "napi" tag; --name
# node.napi gives node-gyp-build's conventional node.napi.glibc.node (runtime node, Node-API,
# glibc), which it treats as ABI-independent.
node "$prebuildify" --napi --strip --strip-bin "$strip_bin" "${libc_tag[@]}" --name node.napi --arch "$arch" \
  --cwd "$stage" --out "$root" --node-gyp "$root/scripts/prebuild.sh"
rm -rf "$stage"

shopt -s nullglob
files=("$out_dir"/*.node)
[ "${#files[@]}" -eq 1 ] || { log "error: expected one .node in $out_dir, found ${#files[@]}"; exit 1; }
bin="${files[0]}"

# What the binary needs from the system: the highest GLIBC symbol version it references.
glibc_need="$("${strip_bin%strip}objdump" -T "$bin" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -n 1 || true)"
if [ "$arch" != "$host_arch" ]; then
  log "built $bin: $(file_size "$bin") bytes, $(file -b "$bin" 2>/dev/null | cut -d, -f1-2), needs ${glibc_need:-?} (not loaded here: another arch)"
  echo "$bin"
  exit 0
fi
# It must load in this Node through node-gyp-build's own lookup of prebuilds/ (a child
# process, from a directory that has only the prebuild: build/Release must not win).
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
mkdir -p "$probe/prebuilds"
cp -r "$out_dir" "$probe/prebuilds/"
NODE_PATH="$root/node_modules" node -e '
  const ngb = require("node-gyp-build");
  const file = ngb.resolve(process.argv[1]);
  const addon = require(file);
  if (typeof addon.construct !== "function") throw new Error("the addon has no construct()");
  console.error("prebuild: loads in node " + process.version + ": " + require("path").basename(file));
' "$probe"
log "built $bin in $((SECONDS - start)) s: $(file_size "$bin") bytes, sha256 $(sha256 "$bin" | cut -c1-16)..., needs ${glibc_need:-?}"
echo "$bin"
