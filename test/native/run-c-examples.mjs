#!/usr/bin/env node
// The C examples as a C developer uses the library: `npm run install:clib -- <prefix>`
// into a fresh prefix, then each of examples/c/*.c built with
//   cc x.c $(pkg-config --cflags --libs net_websocket)
// (PKG_CONFIG_PATH=<prefix>/lib/pkgconfig) and run against a local `ws` echo server, with
// the URL on its command line. draft_names is linked with an rpath; released_names without one
// and run with LD_LIBRARY_PATH (the two ways the README gives). The server checks the
// extra header each example sends. test/native/doc_style.c is built as C11 and as C++17 and
// run too. Ends with "N passed, M failed".
// Usage: node test/native/run-c-examples.mjs   (after scripts/build-clib.sh; it is incremental)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-c-examples-'));
const prefix = path.join(tmp, 'prefix');
let passed = 0;
let failed = 0;
const check = (ok, what, detail = '') => {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `\n${detail}` : ''}`);
};

try {
  // Install (prints the pkgconfig dir on stdout).
  const pcdir = execFileSync('bash', [path.join(root, 'scripts', 'install-clib.sh'), prefix], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  }).trim().split('\n').pop();
  for (const f of ['include/net_websocket.h', 'include/net_websocket_type.h',
    'include/network/netstack/net_websocket.h', 'include/network/netstack/net_websocket_type.h']) {
    check(fs.existsSync(path.join(prefix, f)), `installed ${f}`);
  }
  const env = { ...process.env, PKG_CONFIG_PATH: pcdir };
  const libdir = execFileSync('pkg-config', ['--variable=libdir', 'net_websocket'], { env, encoding: 'utf8' }).trim();
  check(fs.existsSync(path.join(libdir, 'libnet_websocket.so')), `installed ${path.relative(prefix, libdir)}/libnet_websocket.so`);

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve, reject) => { wss.once('listening', resolve); wss.once('error', reject); });
  const seenHeaders = [];
  wss.on('connection', (ws, req) => {
    seenHeaders.push(req.headers['x-example']);
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const url = `ws://127.0.0.1:${wss.address().port}/echo`;

  const examples = [
    { name: 'draft_names', rpath: true },
    { name: 'released_names', rpath: false },
  ];
  for (const { name, rpath } of examples) {
    const src = path.join(root, 'examples', 'c', `${name}.c`);
    const exe = path.join(tmp, name);
    // Exactly what the README says, plus warnings as errors and (for one) an rpath.
    const cmd = `cc -Wall -Wextra -Werror "${src}" -o "${exe}" $(pkg-config --cflags --libs net_websocket)` +
      (rpath ? ' -Wl,-rpath,"$(pkg-config --variable=libdir net_websocket)"' : '');
    let built = true;
    try {
      execFileSync('sh', ['-c', cmd], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      built = false;
      check(false, `${name}: ${cmd}`, `${e.stdout}${e.stderr}`);
    }
    if (!built) continue;
    check(true, `${name}: built with pkg-config${rpath ? ' (rpath)' : ''}`);

    const runEnv = { ...process.env };
    if (!rpath) runEnv.LD_LIBRARY_PATH = libdir;
    const message = `echo through ${name}`;
    const headersBefore = seenHeaders.length;
    const { code, out } = await new Promise((resolve) => {
      const child = spawn(exe, [url, message], { env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
      child.on('close', (c, s) => { clearTimeout(timer); resolve({ code: s ? s : c, out }); });
    });
    check(code === 0 && out.includes(`onMessage: ${Buffer.byteLength(message)} bytes: ${message}`) &&
      out.includes('onClose: code=1000') && out.includes('Destroy: 0') && out.includes('echo ok'),
      `${name}: ${rpath ? '' : 'LD_LIBRARY_PATH '}${name} ${url}: open, send, echo, close 1000, destroy`,
      `exit ${code}\n${out}`);
    check(seenHeaders.length === headersBefore + 1 && seenHeaders[headersBefore] === name,
      `${name}: the server saw X-Example: ${name}`, `headers seen: ${JSON.stringify(seenHeaders)}`);
  }
  // test/native/doc-style/doc_style.c (its own folder: test/native/*.c is c_api_test): callbacks declared with the bare type names, as OpenHarmony's
  // documentation and unit tests write them, for both generations of names: the same file
  // must build as C11 and as C++17 against the installed headers, and echo with each.
  const docStyle = path.join(root, 'test', 'native', 'doc-style', 'doc_style.c');
  for (const [lang, compiler] of [['C11', 'cc -std=c11 -x c'], ['C++17', 'c++ -std=c++17 -x c++']]) {
    const exe = path.join(tmp, lang === 'C11' ? 'doc_style_c' : 'doc_style_cpp');
    const cmd = `${compiler} -Wall -Wextra -Werror "${docStyle}" -x none -o "${exe}" $(pkg-config --cflags --libs net_websocket)`;
    let built = true;
    try {
      execFileSync('sh', ['-c', cmd], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      built = false;
      check(false, `doc_style.c as ${lang}: ${cmd}`, `${e.stdout}${e.stderr}`);
    }
    if (!built) continue;
    check(true, `doc_style.c builds as ${lang} (bare OH_NetStack_* and WebSocket_* type names)`);
    const { code, out } = await new Promise((resolve) => {
      const child = spawn(exe, [url], { env: { ...process.env, LD_LIBRARY_PATH: libdir }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
      child.on('close', (c, s) => { clearTimeout(timer); resolve({ code: s ? s : c, out }); });
    });
    check(code === 0 && out.includes('draft: message draft names') && out.includes('released: message released names') &&
      out.includes('doc_style: ok'), `doc_style (${lang}): echo and close with both generations of names`, `exit ${code}\n${out}`);
  }
  for (const c of wss.clients) c.terminate();
  await new Promise((resolve) => wss.close(resolve));
} catch (e) {
  check(false, 'C examples', e && e.stack ? e.stack : String(e));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
