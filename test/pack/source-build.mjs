#!/usr/bin/env node
// The fallback of a user for whom no prebuilt binary matches: the packed tarball installed
// into an empty project, its prebuilds/ removed, then `npm rebuild netstack-websocket` runs
// the package's install script, which must build the addon from the sources in the tarball
// (plain cmake: a user has no cmake-js; node-addon-api is a dependency) and an echo round
// trip must work through that build. Needs cmake and a compiler (scripts/ensure-build-tools.sh).
// Usage: node test/pack/source-build.mjs   (after npm run prebuildify and npm run build:ts)
//        node test/pack/source-build.mjs --tarball T [--no-tools-path P]
//   --tarball T: no packing; `npm install T` (a tarball without prebuilds/), whose install
//     script must build from source (scripts/test-offline-source-build.sh runs this inside a
//     network namespace with no network and apt-get not on PATH); --no-tools-path P: first
//     the same install with PATH=P (no cmake, no compiler) must fail saying what it needs.
// Ends with "source-build: N passed, M failed".
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-source-build-'));
let passed = 0;
let failed = 0;
const check = (ok, what, detail = '') => {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `\n${detail}` : ''}`);
};
const env = { ...process.env };
// (--tarball: the npm cache and offline mode the caller set are kept.)
const keptNpm = process.argv.includes('--tarball') ? ['npm_config_cache', 'npm_config_offline'] : [];
for (const k of Object.keys(env)) if (/^npm_/i.test(k) && !keptNpm.includes(k)) delete env[k];

const argValue = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const givenTarball = argValue('--tarball');
const noToolsPath = argValue('--no-tools-path');

/** Runs npm with args in cwd; { ok, log }. */
function npm(args, cwd, extraEnv = {}) {
  try {
    const out = execFileSync('npm', args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900000 });
    return { ok: true, log: out };
  } catch (e) {
    return { ok: false, log: `${e.stdout}${e.stderr}` };
  }
}
function emptyProject(name) {
  const project = path.join(tmp, name);
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), '{"name":"source-build-consumer","version":"1.0.0","private":true}');
  return project;
}

try {
  let project;
  let pkg;
  let built;
  const started = Date.now();
  if (givenTarball) {
    const install = ['install', '--no-audit', '--no-fund', '--offline', '--foreground-scripts', givenTarball];
    if (noToolsPath) {
      // What a user without cmake or a compiler is told (and that npm install fails).
      const bare = npm(install, emptyProject('no-tools'), { PATH: noToolsPath });
      const said = /needs cmake >= 3\.16 and a C\/C\+\+ compiler: cmake was not found, no C compiler \(cc, gcc or clang\) was found, no C\+\+ compiler \(c\+\+, g\+\+ or clang\+\+\) was found/.test(bare.log);
      check(!bare.ok && said, 'without cmake and a compiler, npm install fails saying it needs cmake >= 3.16 and a C/C++ compiler', bare.log.split('\n').slice(-15).join('\n'));
    }
    project = emptyProject('project');
    pkg = path.join(project, 'node_modules', 'netstack-websocket');
    built = npm(install, project);
    check(!fs.existsSync(path.join(pkg, 'prebuilds')) && fs.existsSync(path.join(pkg, 'deps', 'libwebsockets', 'NETSTACK_TREE')),
      'the tarball has no prebuilds/ and carries the patched libwebsockets source (deps/libwebsockets)');
  } else {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8', env });
    const tarball = path.join(tmp, JSON.parse(out.slice(out.indexOf('[')))[0].filename);
    project = emptyProject('project');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball],
      { cwd: project, env, stdio: ['ignore', 'ignore', 'inherit'] });
    pkg = path.join(project, 'node_modules', 'netstack-websocket');
    fs.rmSync(path.join(pkg, 'prebuilds'), { recursive: true, force: true });
    built = npm(['rebuild', '--foreground-scripts', 'netstack-websocket'], project);
  }
  const node = path.join(pkg, 'build', 'Release', 'netstack_websocket.node');
  const fromVendored = /libwebsockets source .*deps\/libwebsockets/.test(built.log);
  check(built.ok && fs.existsSync(node) && fromVendored,
    `npm ${givenTarball ? 'install' : 'rebuild'} built the addon from the tarball's sources (libwebsockets from deps/libwebsockets) in ${Math.round((Date.now() - started) / 1000)} s`,
    built.log.split('\n').slice(-40).join('\n'));

  if (fs.existsSync(node)) {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve, reject) => { wss.once('listening', resolve); wss.once('error', reject); });
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    const client = path.join(project, 'smoke-client.js');
    fs.copyFileSync(path.join(here, 'smoke-client.js'), client);
    const { stdout, stderr } = await new Promise((resolve) => {
      execFile(process.execPath, [client, JSON.stringify({ ws: `ws://127.0.0.1:${wss.address().port}`, worker: true })],
        { cwd: project, env, encoding: 'utf8', timeout: 60000 }, (_e, stdout, stderr) => resolve({ stdout, stderr }));
    });
    for (const c of wss.clients) c.terminate();
    await new Promise((resolve) => wss.close(resolve));
    const line = stdout.split('\n').find((l) => l.startsWith('SMOKE '));
    const r = line ? JSON.parse(line.slice(6)) : null;
    check(r && r.binary.file === path.join('build', 'Release', 'netstack_websocket.node') && r.failed.length === 0,
      'echo (ws and from a worker) through the source build', `${stdout}${stderr}`);
  }
} catch (e) {
  check(false, 'source build from the tarball', e && e.stack ? e.stack : String(e));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`source-build: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
