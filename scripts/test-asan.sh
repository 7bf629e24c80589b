#!/usr/bin/env bash
# Runs the vitest suites against an AddressSanitizer + UBSan build of the addon
# (npm run test:asan). The ASan build goes to build-asan/ and is tested from a scratch
# copy of the package (so build/Release stays as it is for anyone else).
# Leak detection is off: Node itself does not free everything at exit.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
lws_src="$(bash scripts/fetch-lws.sh | tail -n 1)"
node_modules/.bin/cmake-js configure --config Release --out build-asan --log-level warn \
  --CDNETSTACK_SANITIZE=address,undefined --CDLWS_SOURCE_DIR="$lws_src" >/dev/null || exit 1
node_modules/.bin/cmake-js build --config Release --out build-asan --log-level warn >/dev/null || exit 1
node node_modules/typescript/bin/tsc -p tsconfig.build.json >/dev/null || echo "test-asan: tsc reported errors; testing what it emitted" >&2

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Everything the tests use (entry points, CLI, examples, scripts), minus the builds.
git ls-files -z | grep -zv '^native/\(core\|capi\|addon\|standalone\)/\|^bench/' | xargs -0 cp --parents -t "$scratch/"
cp -a dist "$scratch/"
ln -s "$root/node_modules" "$scratch/node_modules"
mkdir -p "$scratch/build/Release"
cp build-asan/Release/netstack_websocket.node "$scratch/build/Release/"
[ -d build-clib ] && ln -s "$root/build-clib" "$scratch/build-clib"

cd "$scratch"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The sanitized addon runs several times slower: peers that act after a delay stretch it.
export NETSTACK_TEST_SLOWDOWN=5
node node_modules/vitest/vitest.mjs run "${@:-test/lib}"
