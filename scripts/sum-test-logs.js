#!/usr/bin/env node
// sum-test-logs.js LABEL [VITEST_JSON|LOG]...: prints one line "LABEL: N passed, M failed"
// over a vitest JSON report (a .json file) and logs that each end with a
// "[word: ]N passed, M failed" line. A missing report or a log without that line counts as
// one failure, a vitest run with no test too; FAILED_STEPS (env) adds failed build steps.
'use strict';
const fs = require('fs');
const [label, ...files] = process.argv.slice(2);
let passed = 0;
let failed = Number(process.env.FAILED_STEPS || 0);
for (const file of files) {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch {}
  if (file.endsWith('.json')) {
    try {
      const r = JSON.parse(text);
      passed += r.numPassedTests;
      failed += r.numFailedTests + (r.numTotalTests ? 0 : 1);
    } catch { failed += 1; }
    continue;
  }
  const all = [...text.matchAll(/^(?:[\w-]+: )?(\d+) passed, (\d+) failed$/gm)];
  const m = all[all.length - 1];
  if (m) { passed += +m[1]; failed += +m[2]; } else { failed += 1; }
}
console.log(`${label}: ${passed} passed, ${failed} failed`);
