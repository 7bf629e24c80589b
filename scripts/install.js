#!/usr/bin/env node
// npm "install" script of netstack-websocket.
//  1. If a loadable native addon already exists (prebuilds/ or build/Release, as found by
//     node-gyp-build), do nothing native.
//  2. Otherwise build it from source. From the npm tarball: plain cmake, run from here, with
//     the patched libwebsockets tree the tarball carries (deps/libwebsockets): no network,
//     no apt-get, no bash; it needs cmake >= 3.16 and a C/C++ compiler, checked first and
//     named exactly when missing. In a git checkout (cmake-js installed):
//     scripts/build-native.sh. On failure print one line saying what is needed.
//  3. If dist/ is missing and TypeScript is installed (a git checkout), compile lib/ to dist/.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const target = `${process.platform}-${process.arch}`;
const NEEDS =
  `netstack-websocket: no prebuilt binary for ${target}, and the build from source failed; it needs ` +
  'cmake (>= 3.16) and a C and C++ compiler (gcc/g++ or clang/clang++; Visual Studio on Windows). ' +
  'The npm package carries the libwebsockets source: nothing is downloaded. (A git checkout also ' +
  "needs bash and, once, Debian's source archive for libwebsockets 4.3.5: scripts/fetch-lws.sh.)";

/** What is missing for a source build: [] when cmake >= 3.16 and a C/C++ compiler are there. */
function missingBuildTools() {
  const missing = [];
  const cmake = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
  const v = cmake.status === 0 ? /cmake version (\d+)\.(\d+)/.exec(cmake.stdout) : null;
  if (!v) missing.push('cmake was not found');
  else if (+v[1] < 3 || (+v[1] === 3 && +v[2] < 16)) missing.push(`cmake is ${v[1]}.${v[2]}, older than 3.16`);
  if (process.platform !== 'win32') {  // on Windows cmake finds Visual Studio itself
    const runs = (names) => names.some((n) => spawnSync(n, ['--version'], { stdio: 'ignore' }).status === 0);
    if (!runs(process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'])) missing.push('no C compiler (cc, gcc or clang) was found');
    if (!runs(process.env.CXX ? [process.env.CXX] : ['c++', 'g++', 'clang++'])) missing.push('no C++ compiler (c++, g++ or clang++) was found');
  }
  return missing;
}

/** The build of a user: plain cmake with the tarball's sources, no bash. */
function cmakeBuild() {
  const build = path.join(root, 'build');
  const configure = ['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release', `-DNODE_EXECUTABLE=${process.execPath}`];
  if (!fs.existsSync(path.join(build, 'CMakeCache.txt')) && spawnSync('ninja', ['--version'], { stdio: 'ignore' }).status === 0) {
    configure.push('-G', 'Ninja');
  }
  const jobs = String(Math.max(1, require('os').availableParallelism ? require('os').availableParallelism() : require('os').cpus().length));
  return run('cmake', configure) && run('cmake', ['--build', build, '--config', 'Release', '--parallel', jobs]);
}

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
  const missing = missingBuildTools();
  if (missing.length) {
    console.error(`netstack-websocket: no prebuilt binary for ${target}; building from source needs cmake >= 3.16 ` +
      `and a C/C++ compiler: ${missing.join(', ')}`);
    process.exit(1);
  }
  const checkout = fs.existsSync(path.join(root, 'node_modules', '.bin', 'cmake-js'));
  const ok = (checkout ? run('bash', [path.join(root, 'scripts', 'build-native.sh')]) : cmakeBuild()) && addonLoads();
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
