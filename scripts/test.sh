#!/usr/bin/env bash
# The project's test command (npm test):
#  1. typecheck (lib and tests) and compile lib/ to dist/;
#  2. the vitest suites against real peers on 127.0.0.1 (the addon must be built: npm install);
#     (among them test/pack: npm pack + install into an empty project without build tools);
#  3. build libnet_websocket.so and its C test program (installs the Debian -dev packages
#     it needs) and run the C tests against a real ws server; install the library into a
#     prefix and build and run examples/c/*.c with pkg-config;
#  3b. the tarball without its prebuild: npm rebuild must build the addon from source;
#  3c. the adversarial suites: the fuzz suite on a fixed seed list, every face
#      (NETSTACK_FUZZ_CASES per face, default 2000), and the soak (NETSTACK_SOAK_CYCLES per
#      face, default 600); cases that fail only with known defects (test/fuzz/known-defects.ts)
#      are listed apart and do not count;
#  4. the Node matrix (scripts/node-matrix.sh): the prebuilt binaries on Node 20/22/24/26,
#     linux-x64 natively and linux-arm64 (cross-built) under qemu-user
#     (NETSTACK_SKIP_MATRIX=1 skips it, e.g. offline: it fetches node-linux-* once;
#     NETSTACK_SKIP_ARM64=1 skips the arm64 cross build and its runs).
# Ends with one line "tests: N passed, M failed" over all of them.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p build
failed_steps=0

echo "== typecheck and compile TypeScript"
node node_modules/typescript/bin/tsc -p tsconfig.json || failed_steps=$((failed_steps + 1))
node node_modules/typescript/bin/tsc -p tsconfig.build.json || failed_steps=$((failed_steps + 1))

echo "== prebuilt binaries (prebuildify, for test/pack and the matrix)"
bash scripts/prebuild.sh >/dev/null || failed_steps=$((failed_steps + 1))
matrix_args=(--no-prebuild)
if [ "${NETSTACK_SKIP_ARM64:-0}" != 1 ]; then
  # Cross-built for linux-arm64 (installs g++-aarch64-linux-gnu and qemu-user if missing).
  if bash scripts/ensure-cross-tools.sh && bash scripts/prebuild.sh --arch arm64 >/dev/null 2>build/prebuild-arm64.log; then
    matrix_args+=(--arm64)
  else
    tail -n 30 build/prebuild-arm64.log
    echo "linux-arm64 prebuild failed"
    failed_steps=$((failed_steps + 1))
  fi
else
  rm -rf prebuilds/linux-arm64
fi

echo "== vitest"
rm -f build/vitest-results.json
node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json \
  --outputFile.json=build/vitest-results.json "$@"
vitest_rc=$?

echo "== C library and C API tests"
c_log=build/c-tests.log
if bash scripts/build-clib.sh; then
  node test/native/run-c-tests.mjs build-clib/c_api_test 2>&1 | tee "$c_log"
  c_rc=${PIPESTATUS[0]}
else
  echo "building libnet_websocket.so failed" | tee "$c_log"
  c_rc=1
fi
echo "== C examples through an installed prefix and pkg-config"
examples_log=build/c-examples.log
node test/native/run-c-examples.mjs 2>&1 | tee "$examples_log"
examples_rc=${PIPESTATUS[0]}

echo "== the tarball with no matching prebuild: npm rebuild builds from its sources"
source_log=build/source-build.log
node test/pack/source-build.mjs 2>&1 | tee "$source_log"
source_rc=${PIPESTATUS[0]}

echo "== fuzz (a fixed seed list, every face) and soak"
fuzz_log=build/fuzz.log
bash test/fuzz/run.sh --seed 1 --n "${NETSTACK_FUZZ_CASES:-2000}" --report build/fuzz-failures.json 2>&1 | tee "$fuzz_log"
fuzz_rc=${PIPESTATUS[0]}
soak_log=build/soak.log
bash test/soak/run.sh --cycles "${NETSTACK_SOAK_CYCLES:-600}" 2>&1 | tee "$soak_log"
soak_rc=${PIPESTATUS[0]}

matrix_log=build/node-matrix.log
if [ "${NETSTACK_SKIP_MATRIX:-0}" = 1 ]; then
  echo "== Node matrix skipped (NETSTACK_SKIP_MATRIX=1)"
  echo "matrix: 0 passed, 0 failed" >"$matrix_log"
  matrix_rc=0
else
  echo "== Node matrix (one prebuilt binary per arch on Node 20, 22, 24, 26)"
  bash scripts/node-matrix.sh "${matrix_args[@]}" 2>&1 | tee "$matrix_log"
  matrix_rc=${PIPESTATUS[0]}
fi

# One summary line over everything.
FAILED_STEPS="$failed_steps" node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  try {
    const r = JSON.parse(fs.readFileSync("build/vitest-results.json", "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests;
    if (!r.numTotalTests) failed += 1;           // a run with no test is a failure
  } catch { failed += 1; }                       // vitest did not report at all
  // Each log ends with a "[word: ]N passed, M failed" line; a log without one is a failure.
  for (const log of process.argv.slice(1)) {        // node -e: argv[1] is the first argument
    let text = "";
    try { text = fs.readFileSync(log, "utf8"); } catch {}
    const m = /^(?:[\w-]+: )?(\d+) passed, (\d+) failed$/m.exec(text);
    if (m) { passed += +m[1]; failed += +m[2]; } else { failed += 1; }
  }
  failed += +process.env.FAILED_STEPS;
  console.log(`tests: ${passed} passed, ${failed} failed`);
' "$c_log" "$examples_log" "$source_log" "$fuzz_log" "$soak_log" "$matrix_log"

[ "$vitest_rc" -eq 0 ] && [ "$c_rc" -eq 0 ] && [ "$examples_rc" -eq 0 ] && [ "$source_rc" -eq 0 ] && [ "$fuzz_rc" -eq 0 ] \
  && [ "$soak_rc" -eq 0 ] && [ "$matrix_rc" -eq 0 ] && [ "$failed_steps" -eq 0 ]
