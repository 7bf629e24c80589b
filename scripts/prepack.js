#!/usr/bin/env node
// npm "prepack" script: puts the patched libwebsockets source into deps/libwebsockets
// (scripts/vendor-lws.sh: pinned, checksum-verified, Debian's and our patches applied), so
// that a source build from the tarball needs no network; then refuses to pack a tarball
// that would lack the prebuilt binary of this machine (linux-x64 for a release) or the compiled JS, and says which prebuilt
// binaries it ships. `npm pack` / `npm publish` need, first:
//   npm run prebuild:all   (every prebuilt binary this machine can build; at least
//                           npm run prebuildify: prebuilds/linux-x64/node.napi.glibc.node)
//   npm run build:ts       (dist/*.js and dist/*.d.ts)
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const problems = [];

const vendored = spawnSync('bash', [path.join(root, 'scripts', 'vendor-lws.sh')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (vendored.status !== 0) problems.push('scripts/vendor-lws.sh could not prepare deps/libwebsockets');

const prebuildsDir = path.join(root, 'prebuilds');
const shipped = fs.existsSync(prebuildsDir)
  ? fs.readdirSync(prebuildsDir).flatMap((d) => fs.readdirSync(path.join(prebuildsDir, d)).filter((f) => f.endsWith('.node')).map((f) => `${d}/${f}`))
  : [];
const host = `${process.platform}-${process.arch}`;  // linux-x64 for a release
if (!shipped.some((f) => f.startsWith(`${host}/`))) problems.push(`no prebuilt binary in prebuilds/${host} (run: npm run prebuildify)`);

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
const missing = ['linux-x64', 'linux-arm64', 'win32-x64'].filter((t) => !shipped.some((f) => f.startsWith(`${t}/`)));
console.error(`netstack-websocket prepack: prebuilt binaries: ${shipped.join(', ')}` +
  (missing.length ? ` (none for ${missing.join(', ')}: npm run prebuild:all builds them)` : ''));
