#!/usr/bin/env node
// npm "prepack" script: refuses to pack a tarball that would lack the prebuilt binary or the
// compiled JS. `npm pack` / `npm publish` need, first:
//   npm run prebuildify    (prebuilds/linux-x64/node.napi.glibc.node)
//   npm run build:ts       (dist/*.js and dist/*.d.ts)
'use strict';

const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const problems = [];

const prebuildDir = path.join(root, 'prebuilds', 'linux-x64');
const prebuilds = fs.existsSync(prebuildDir) ? fs.readdirSync(prebuildDir).filter((f) => f.endsWith('.node')) : [];
if (prebuilds.length === 0) problems.push('no prebuilt binary in prebuilds/linux-x64 (run: npm run prebuildify)');

for (const f of ['dist/native.js', 'dist/native.d.ts', 'dist/binding.js']) {
  if (!fs.existsSync(path.join(root, f))) problems.push(`${f} is missing (run: npm run build:ts)`);
}
for (const f of ['LICENSE', 'THIRD-PARTY-NOTICES.md', 'README.md']) {
  if (!fs.existsSync(path.join(root, f))) problems.push(`${f} is missing`);
}

if (problems.length) {
  console.error(`netstack-websocket prepack: not packing:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
