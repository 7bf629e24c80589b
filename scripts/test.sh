#!/usr/bin/env bash
# The project's test command (npm test):
#  1. typecheck (lib and tests) and compile lib/ to dist/;
#  2. the vitest suites against real peers on 127.0.0.1 (the addon must be built: npm install);
#  3. build libnet_websocket.so and its C test program (installs the Debian -dev packages
#     it needs) and run the C tests against a real ws server.
# Ends with one line "tests: N passed, M failed" over all of them.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p build
failed_steps=0

echo "== typecheck and compile TypeScript"
node node_modules/typescript/bin/tsc -p tsconfig.json || failed_steps=$((failed_steps + 1))
node node_modules/typescript/bin/tsc -p tsconfig.build.json || failed_steps=$((failed_steps + 1))

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

# One summary line over everything.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  try {
    const r = JSON.parse(fs.readFileSync("build/vitest-results.json", "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests;
    if (!r.numTotalTests) failed += 1;           // a run with no test is a failure
  } catch { failed += 1; }                       // vitest did not report at all
  const m = /^(\d+) passed, (\d+) failed$/m.exec(fs.readFileSync(process.argv[1], "utf8"));
  if (m) { passed += +m[1]; failed += +m[2]; } else { failed += 1; }
  failed += +process.argv[2];
  console.log(`tests: ${passed} passed, ${failed} failed`);
' "$c_log" "$failed_steps"

[ "$vitest_rc" -eq 0 ] && [ "$c_rc" -eq 0 ] && [ "$failed_steps" -eq 0 ]
