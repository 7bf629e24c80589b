#!/usr/bin/env bash
# Prints the Wine prefix the win32 tests run in, making it once (wineboot, then Windows 10:
# Node 22 and later refuse older Windows versions). Kept in ~/.cache/netstack-websocket.
set -euo pipefail
prefix="${NETSTACK_WINEPREFIX:-${NETSTACK_WS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netstack-websocket}/wine-prefix}"
if [ ! -f "$prefix/.netstack-win10" ]; then
  command -v wine >/dev/null || { echo "wine-prefix: error: wine not found (bash scripts/ensure-win32-tools.sh)" >&2; exit 1; }
  mkdir -p "$prefix"
  # No Mono/Gecko install prompts; no display needed.
  export WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  wineboot -i >/dev/null 2>&1 </dev/null
  winecfg -v win10 >/dev/null 2>&1 </dev/null
  wineserver -w 2>/dev/null || true
  touch "$prefix/.netstack-win10"
fi
echo "$prefix"
