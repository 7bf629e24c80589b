#!/usr/bin/env bash
# Installs, when missing, the Debian packages that cross-build the win32-x64 prebuilt binary
# (scripts/prebuild.sh --platform win32: mingw-w64 with the POSIX thread model, gendef) and
# run it under Wine (scripts/node-matrix.sh --win32), then makes the Wine prefix the tests
# use (~/.cache/netstack-websocket/wine-prefix, Windows version 10: Node 22+ needs it).
set -euo pipefail
bash "$(dirname "${BASH_SOURCE[0]}")/ensure-debian-packages.sh" ensure-win32-tools \
  g++-mingw-w64-x86-64-posix mingw-w64-tools binutils-mingw-w64-x86-64 wine wine64
prefix="$(bash "$(dirname "${BASH_SOURCE[0]}")/wine-prefix.sh")"
echo "ensure-win32-tools: Wine prefix $prefix" >&2
