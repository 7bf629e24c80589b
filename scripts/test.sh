#!/usr/bin/env bash
# The project's test command (npm test): the full local suite. Changes nothing on the machine:
# no root, no apt-get, no download beyond what `npm install` brought (NETSTACK_NO_INSTALL=1
# makes every project script refuse to install). What cannot run here is skipped, each
# with one line saying why and what would run it (npm run test:release does the rest).
#  1. typecheck (lib and tests) and compile lib/ to dist/;
#  2. the linux-x64 prebuilt binary (prebuildify, our own build: for test/pack);
#  3. the vitest suites against real peers on 127.0.0.1 (the addon must be built: npm install);
#     (among them test/pack: npm pack + install into an empty project without build tools);
#  4. libnet_websocket.so and its C test program against a real ws server, then the library
#     installed into a prefix and examples/c/*.c built with pkg-config and run (needs the
#     libuv, OpenSSL and zlib development files and pkg-config, else skipped);
#  5. the tarball with no matching prebuild: npm rebuild builds the addon from its sources
#     (NETSTACK_SKIP_SOURCE_BUILD=1 skips it: test:release runs it offline).
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

echo "== prebuilt binary for this machine (prebuildify, for test/pack)"
bash scripts/prebuild.sh >/dev/null || failed_steps=$((failed_steps + 1))

echo "== vitest"
rm -f build/vitest-results.json
node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json \
  --outputFile.json=build/vitest-results.json "$@"
vitest_rc=$?

c_log=build/c-tests.log
examples_log=build/c-examples.log
if command -v pkg-config >/dev/null && pkg-config --exists libuv openssl zlib; then
  echo "== C library and C API tests"
  if bash scripts/build-clib.sh; then
    node test/native/run-c-tests.mjs build-clib/c_api_test 2>&1 | tee "$c_log"
    c_rc=${PIPESTATUS[0]}
  else
    echo "building libnet_websocket.so failed" | tee "$c_log"
    c_rc=1
  fi
  echo "== C examples through an installed prefix and pkg-config"
  node test/native/run-c-examples.mjs 2>&1 | tee "$examples_log"
  examples_rc=${PIPESTATUS[0]}
else
  skipped+=("the C library tests and C examples (no pkg-config with libuv, openssl and zlib: apt-get install libuv1-dev libssl-dev zlib1g-dev pkg-config, or npm run test:release)")
  echo "c: 0 passed, 0 failed" >"$c_log"; c_rc=0
  echo "c-examples: 0 passed, 0 failed" >"$examples_log"; examples_rc=0
fi

source_log=build/source-build.log
if [ "${NETSTACK_SKIP_SOURCE_BUILD:-0}" = 1 ]; then
  skipped+=("the source build from the tarball (NETSTACK_SKIP_SOURCE_BUILD=1; npm run test:release runs it offline)")
  echo "source-build: 0 passed, 0 failed" >"$source_log"; source_rc=0
else
  echo "== the tarball with no matching prebuild: npm rebuild builds from its sources"
  node test/pack/source-build.mjs 2>&1 | tee "$source_log"
  source_rc=${PIPESTATUS[0]}
fi

skipped+=("the Node matrices, linux-arm64 and win32-x64 under Wine, the offline source build (they download and install: npm run test:release)")
summary="$(printf '%s; ' "${skipped[@]}")"
echo "skipped: ${summary%; }"

# One summary line over everything.
FAILED_STEPS="$failed_steps" node scripts/sum-test-logs.js tests build/vitest-results.json "$c_log" "$examples_log" "$source_log"

[ "$vitest_rc" -eq 0 ] && [ "$c_rc" -eq 0 ] && [ "$examples_rc" -eq 0 ] && [ "$source_rc" -eq 0 ] && [ "$failed_steps" -eq 0 ]
