#!/usr/bin/env bash
# The project's test command (npm test): the full local suite. Changes nothing on the machine:
# no root, no apt-get, no download beyond what `npm install` brought (NETSTACK_NO_INSTALL=1
# makes every project script refuse to install). What cannot run here is skipped, each
# with one line saying why and what would run it (npm run test:release does the rest).
#  1. typecheck (lib and tests) and compile lib/ to dist/;
#  1b. scripts/check-lws-patches.mjs: the pinned libwebsockets, Debian's patches and ours (in
#     the order applied) and the upstream commits they carry, checked against patches/lws/README.md;
#  2. the linux-x64 prebuilt binary (prebuildify, our own build: for test/pack);
#  3. the vitest suites against real peers on 127.0.0.1 (the addon must be built: npm install);
#     (among them test/pack: npm pack + install into an empty project without build tools);
#  3b. WPT's websockets/ tests in Node (test/wpt/run.mjs), ours checked against
#     test/wpt/expectations.json, undici's run alongside for comparison;
#  4. libnet_websocket.so and its C test program against a real ws server, the unit tests of
#     the small native units (build-clib/native_unit_test), then the library
#     installed into a prefix and examples/c/*.c built with pkg-config and run (needs the
#     libuv, OpenSSL and zlib development files and pkg-config, else skipped);
#  5. the tarball with no matching prebuild: npm rebuild builds the addon from its sources
#     (NETSTACK_SKIP_SOURCE_BUILD=1 skips it: test:release runs it offline).
#  6. the adversarial suites: the fuzz suite on a fixed seed list, every face
#     (NETSTACK_FUZZ_CASES per face, default 2000), and the soak (NETSTACK_SOAK_CYCLES per
#     face, default 600); cases that fail only with known defects (test/fuzz/known-defects.ts)
#     are listed apart and do not count.
# Ends with one line "tests: N passed, M failed" over all of them.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p build
export NETSTACK_NO_INSTALL=1
failed_steps=0
skipped=()

echo "== typecheck and compile TypeScript"
node node_modules/typescript/bin/tsc -p tsconfig.json || failed_steps=$((failed_steps + 1))
node node_modules/typescript/bin/tsc -p tsconfig.build.json || failed_steps=$((failed_steps + 1))

# Every step below leaves a log ending in "[word: ]N passed, M failed" and its exit code:
# `counted LOG RC` adds both to the summary.
logs=()
step_failures=0
counted() { logs+=("$1"); [ "$2" -eq 0 ] || step_failures=$((step_failures + 1)); }

echo "== prebuilt binary for this machine (prebuildify, for test/pack)"
bash scripts/prebuild.sh >/dev/null || failed_steps=$((failed_steps + 1))

echo "== libwebsockets: pinned version, patches applied, upstream commits covered"
node scripts/check-lws-patches.mjs 2>&1 | tee build/lws-patches.log
counted build/lws-patches.log "${PIPESTATUS[0]}"

echo "== vitest"
rm -f build/vitest-results.json
node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json \
  --outputFile.json=build/vitest-results.json "$@"
counted build/vitest-results.json $?

echo "== WPT websockets/ in Node: ours, and undici's for comparison (test/wpt)"
node test/wpt/run.mjs 2>&1 | tee build/wpt.log
counted build/wpt.log "${PIPESTATUS[0]}"

have_clib=0
if command -v pkg-config >/dev/null && pkg-config --exists libuv openssl zlib; then
  have_clib=1
  echo "== C library, C API tests and native unit tests"
  if bash scripts/build-clib.sh; then
    node test/native/run-c-tests.mjs build-clib/c_api_test 2>&1 | tee build/c-tests.log
    counted build/c-tests.log "${PIPESTATUS[0]}"
    build-clib/native_unit_test 2>&1 | tee build/unit-tests.log
    counted build/unit-tests.log "${PIPESTATUS[0]}"
  else
    echo "building libnet_websocket.so failed" | tee build/c-tests.log
    counted build/c-tests.log 1
  fi
  echo "== C examples through an installed prefix and pkg-config"
  node test/native/run-c-examples.mjs 2>&1 | tee build/c-examples.log
  counted build/c-examples.log "${PIPESTATUS[0]}"
else
  skipped+=("the C library tests, native unit tests and C examples (no pkg-config with libuv, openssl and zlib: apt-get install libuv1-dev libssl-dev zlib1g-dev pkg-config, or npm run test:release)")
fi

if [ "${NETSTACK_SKIP_SOURCE_BUILD:-0}" = 1 ]; then
  skipped+=("the source build from the tarball (NETSTACK_SKIP_SOURCE_BUILD=1; npm run test:release runs it offline)")
else
  echo "== the tarball with no matching prebuild: npm rebuild builds from its sources"
  node test/pack/source-build.mjs 2>&1 | tee build/source-build.log
  counted build/source-build.log "${PIPESTATUS[0]}"
fi

echo "== fuzz (a fixed seed list, every face) and soak"
fuzz_faces=()   # every face; libnet_websocket.so's only where the C library builds (above)
[ "$have_clib" = 1 ] || fuzz_faces=(--face whatwg,connect,arkts,mirror)
bash test/fuzz/run.sh --seed 1 --n "${NETSTACK_FUZZ_CASES:-2000}" "${fuzz_faces[@]}" --report build/fuzz-failures.json 2>&1 | tee build/fuzz.log
counted build/fuzz.log "${PIPESTATUS[0]}"
bash test/soak/run.sh --cycles "${NETSTACK_SOAK_CYCLES:-600}" "${fuzz_faces[@]}" 2>&1 | tee build/soak.log
counted build/soak.log "${PIPESTATUS[0]}"

skipped+=("the Node matrices, linux-arm64 and win32-x64 under Wine, the offline source build (they download and install: npm run test:release)")
summary="$(printf '%s; ' "${skipped[@]}")"
echo "skipped: ${summary%; }"

# One summary line over everything.
FAILED_STEPS="$failed_steps" node scripts/sum-test-logs.js tests "${logs[@]}"

[ "$step_failures" -eq 0 ] && [ "$failed_steps" -eq 0 ]
