#!/usr/bin/env node
// npm "install" script of netstack-websocket.
//  1. If a loadable native addon already exists (prebuilds/ or build/Release, as found by
//     node-gyp-build), do nothing native.
//  2. Otherwise build it from source with scripts/build-native.sh (cmake-js; compiles
//     libwebsockets into the addon). On failure print one line saying what is needed.
//  3. If dist/ is missing and TypeScript is installed (a git checkout), compile lib/ to dist/.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const NEEDS =
  'netstack-websocket: could not build the native addon from source; it needs cmake (>= 3.16), ' +
  'a C and C++ compiler (gcc/g++ or clang), bash, and (once; cached in ~/.cache/netstack-websocket) ' +
  "network access to Debian's source archive (deb.debian.org) to fetch libwebsockets 4.3.5";

function addonLoads() {
  let ngb;
  try {
    ngb = require.resolve('node-gyp-build', { paths: [root] });
  } catch {
    return false;
  }
  // In a child process: a failed dlopen must not leave anything behind in this one.
  const r = spawnSync(process.execPath, ['-e', 'require(process.argv[1])(process.argv[2])', ngb, root], {
    stdio: 'ignore',
    cwd: root,
  });
  return r.status === 0;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.error) console.error(`netstack-websocket: cannot run ${cmd}: ${r.error.message}`);
  return r.status === 0;
}

if (!addonLoads()) {
  const ok = run('bash', [path.join(root, 'scripts', 'build-native.sh')]) && addonLoads();
  if (!ok) {
    console.error(NEEDS);
    process.exit(1);
  }
}

const typescript = path.join(root, 'node_modules', 'typescript');
if (!fs.existsSync(path.join(root, 'dist')) && fs.existsSync(typescript)) {
  const tscJs = path.join(typescript, 'bin', 'tsc');
  const ok = fs.existsSync(tscJs)
    ? run(process.execPath, [tscJs, '-p', path.join(root, 'tsconfig.build.json')])
    : run(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(root, 'tsconfig.build.json')]);
  if (!ok) {
    console.error('netstack-websocket: compiling the TypeScript sources (tsc -p tsconfig.build.json) failed');
    process.exit(1);
  }
}
