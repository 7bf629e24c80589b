#!/usr/bin/env node
// Driver of scripts/node-matrix.sh (runs on the machine's own Node): starts a ws:// and a
// wss:// echo server on 127.0.0.1 and runs test/pack/smoke-client.js (copied into the
// consumer project) once per Node binary given, all loading the SAME installed prebuilt
// binary. Prints each Node's OpenSSL/libuv and the results, then
//   matrix: N passed, M failed
// Usage: node node-matrix.mjs <project dir> <cert dir> <node binary>...
//   <cert dir> holds cert.pem/key.pem (trusted: given as NODE_EXTRA_CA_CERTS) and
//   untrusted-cert.pem/untrusted-key.pem (a second self-signed certificate nobody trusts).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { WebSocketServer } = require('ws');

const [project, certDir, ...nodes] = process.argv.slice(2);
if (!project || !nodes.length) {
  console.error('usage: node node-matrix.mjs <project dir> <cert dir> <node binary>...');
  process.exit(2);
}

function echoOn(wss) {
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
}

const plain = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise((resolve, reject) => { plain.once('listening', resolve); plain.once('error', reject); });
echoOn(plain);
const certFile = path.join(certDir, 'cert.pem');
async function secureServer(prefix) {
  const server = https.createServer({
    cert: fs.readFileSync(path.join(certDir, `${prefix}cert.pem`)),
    key: fs.readFileSync(path.join(certDir, `${prefix}key.pem`)),
  });
  const wss = new WebSocketServer({ server });
  echoOn(wss);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, wss };
}
// permessage-deflate accepted (ws compresses what it sends from 1 KiB on).
const deflating = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
await new Promise((resolve, reject) => { deflating.once('listening', resolve); deflating.once('error', reject); });
echoOn(deflating);
const { server: httpsServer, wss: secure } = await secureServer('');
const { server: untrustedServer, wss: untrusted } = await secureServer('untrusted-');

const opts = {
  ws: `ws://127.0.0.1:${plain.address().port}`,
  // The certificate is for "localhost"; it is verified (the CA comes in NODE_EXTRA_CA_CERTS).
  wss: `wss://localhost:${httpsServer.address().port}`,
  wssUntrusted: `wss://localhost:${untrustedServer.address().port}`,
  deflate: `ws://127.0.0.1:${deflating.address().port}`,
  worker: true,
};
const client = path.join(project, 'smoke-client.js');
fs.copyFileSync(path.join(here, 'smoke-client.js'), client);

const env = { ...process.env, NODE_EXTRA_CA_CERTS: certFile };
delete env.NODE_OPTIONS;
let passed = 0;
let failed = 0;
const rows = [];
const hashes = new Map(); // arch -> the sha256 of every binary loaded there
for (const node of nodes) {
  const started = Date.now();
  const { stdout, stderr, error } = await new Promise((resolve) => {
    execFile(node, [client, JSON.stringify(opts)], { cwd: project, env, encoding: 'utf8', timeout: 120000 },
      (err, stdout, stderr) => resolve({ stdout, stderr, error: err }));
  });
  const ms = Date.now() - started;
  const line = stdout.split('\n').find((l) => l.startsWith('SMOKE '));
  if (!line) {
    failed += 1;
    console.log(`FAIL ${node}: no result (${error ? error.message : 'no output'})\n${stdout}${stderr}`);
    continue;
  }
  const r = JSON.parse(line.slice(6));
  // A clean exit: status 0, on its own (no handle left open), within the time allowed.
  r.checks.exit = error ? { error: error.killed ? 'killed after 120 s' : `exit status ${error.code}` } : {};
  if (error) r.failed.push('exit');
  else r.passed += 1;
  const target = `${r.versions.platform || 'linux'}-${r.versions.arch}`;
  if (!hashes.has(target)) hashes.set(target, { file: r.binary.file, sums: new Set() });
  hashes.get(target).sums.add(r.binary.sha256);
  passed += r.passed;
  failed += r.failed.length;
  const checks = Object.entries(r.checks)
    .map(([k, v]) => `${k}:${r.failed.includes(k) ? `FAIL(${v.error || JSON.stringify(v)})` : 'ok'}`)
    .concat(r.checks.wss_untrusted && !r.failed.includes('wss_untrusted') ? [`(refused: ${String(r.checks.wss_untrusted.error).replace(/\s+/g, ' ').trim()})`] : [])
    .join(' ');
  rows.push([`${r.versions.node} ${target}`, r.versions.napi, r.versions.openssl, r.versions.uv, r.versions.zlib, checks, `${ms} ms`]);
  if (stderr.trim()) console.log(`stderr of ${r.versions.node}:\n${stderr.trim()}`);
}

const head = ['node (platform-arch)', 'napi', 'openssl', 'libuv', 'zlib', 'checks (one prebuilt binary)', 'time'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const fmt = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
console.log(fmt(head));
for (const r of rows) console.log(fmt(r));
for (const [target, { file, sums }] of hashes) {
  console.log(`binary: ${file.replace(/\\/g, '/')} sha256 ${[...sums].join(' ')}`);
  if (sums.size !== 1) {
    console.log(`FAIL: the ${target} runs loaded ${sums.size} different binaries`);
    failed += 1;
  }
}

for (const c of [...plain.clients, ...deflating.clients]) c.terminate();
await new Promise((resolve) => deflating.close(resolve));
for (const c of [...secure.clients, ...untrusted.clients]) c.terminate();
await new Promise((resolve) => plain.close(resolve));
await new Promise((resolve) => { secure.close(); httpsServer.close(resolve); });
await new Promise((resolve) => { untrusted.close(); untrustedServer.close(resolve); });
console.log(`matrix: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
