#!/usr/bin/env bash
# Installs the C library for C programs (npm run install:clib -- <prefix>):
#   <prefix>/lib/libnet_websocket.so{,.1,.1.0.0}
#   <prefix>/include/net_websocket.h, net_websocket_type.h
#   <prefix>/include/network/netstack/net_websocket.h, net_websocket_type.h  (OpenHarmony NDK path)
#   <prefix>/lib/pkgconfig/net_websocket.pc
# Builds it first with scripts/build-clib.sh (incremental; installs libuv1-dev libssl-dev
# zlib1g-dev pkg-config if missing). The same as: npm run build:clib && cmake --install build-clib --prefix <prefix>
# (on Debian/Ubuntu a prefix of /usr puts the library in lib/<multiarch>; pkg-config knows.)
#
# A program then builds with
#   export PKG_CONFIG_PATH=<prefix>/lib/pkgconfig     (not needed for /usr or /usr/local)
#   cc app.c $(pkg-config --cflags --libs net_websocket)
# and finds the library at run time when <prefix>/lib is a system library directory, or with
#   LD_LIBRARY_PATH=<prefix>/lib ./app
# or, with no environment, when linked with an rpath:
#   cc app.c $(pkg-config --cflags --libs net_websocket) -Wl,-rpath,$(pkg-config --variable=libdir net_websocket)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "install-clib: $*" >&2; }

if [ "$#" -lt 1 ] || [ -z "${1:-}" ] || [ "${1#-}" != "$1" ]; then
  echo "usage: npm run install:clib -- <prefix>      (e.g. /usr/local, or \$HOME/.local)" >&2
  exit 2
fi
mkdir -p "$1"
prefix="$(cd "$1" && pwd)"

bash "$root/scripts/build-clib.sh" >/dev/null
cmake --install "$root/build-clib" --prefix "$prefix" >&2

pc="$(find "$prefix" -path '*/pkgconfig/net_websocket.pc' -print -quit)"
[ -n "$pc" ] || { log "error: net_websocket.pc was not installed under $prefix"; exit 1; }
pcdir="$(dirname "$pc")"
libdir="$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=libdir net_websocket)"
log "installed into $prefix"
log "build:  PKG_CONFIG_PATH=$pcdir cc app.c \$(pkg-config --cflags --libs net_websocket)"
log "run:    LD_LIBRARY_PATH=$libdir ./a.out   (or link with -Wl,-rpath,$libdir)"
echo "$pcdir"
