#!/usr/bin/env bash
# npm run fuzz:asan -- [options of test/fuzz/main.ts]: the fuzz suite against AddressSanitizer
# + UBSan builds, libwebsockets instrumented too: the addon (build-asan/, as
# scripts/test-asan.sh, tested from a scratch copy of the package so build/Release stays as
# it is) and libnet_websocket.so with the C driver (build-clib-asan/). A sanitizer report
# aborts the client process: the runner reports it as a crash and names the seed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
sanitize=address,undefined
lws_src="$(bash scripts/fetch-lws.sh | tail -n 1)"
node_modules/.bin/cmake-js configure --config Release --out build-asan --log-level warn \
  --CDNETSTACK_SANITIZE=$sanitize --CDNETSTACK_SANITIZE_LWS=ON --CDLWS_SOURCE_DIR="$lws_src" >/dev/null
node_modules/.bin/cmake-js build --config Release --out build-asan --log-level warn >/dev/null
cmake -S "$root" -B build-clib-asan -DCMAKE_BUILD_TYPE=Release -DNETSTACK_BUILD_CLIB=ON \
  -DNETSTACK_SANITIZE=$sanitize -DNETSTACK_SANITIZE_LWS=ON -DLWS_SOURCE_DIR="$lws_src" >/dev/null
cmake --build build-clib-asan --target net_websocket fuzz_client >/dev/null
bash test/build-suites.sh "$@"
node node_modules/typescript/bin/tsc -p tsconfig.build.json >/dev/null

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp package.json "$scratch/"
cp -a dist "$scratch/"
ln -s "$root/node_modules" "$scratch/node_modules"
mkdir -p "$scratch/build/Release"
cp build-asan/Release/netstack_websocket.node "$scratch/build/Release/"

export FUZZ_PACKAGE_ROOT="$scratch"
export FUZZ_C_DRIVER="$root/build-clib-asan/fuzz_client"
export FUZZ_NODE_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$root/test/fuzz/ubsan.supp"
node build/suites/test/fuzz/main.js --slowdown 3 "$@"
