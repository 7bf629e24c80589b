#!/usr/bin/env node
// Runs the C API test program against a real `ws` echo server on 127.0.0.1.
// Usage: node test/native/run-c-tests.mjs [path/to/c_api_test]   (default: build-clib/c_api_test)
// The server echoes every message with its text/binary type; besides, it answers the text
// "__headers__" with the upgrade request's headers as JSON and closes with 4001 "server-bye"
// on "__close__". A second URL, on a port that refuses connections, is passed as argv[2];
// a third, a server that breaks the protocol and resets TCP right after the upgrade, as argv[3].
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const program = path.resolve(repoRoot, process.argv[2] ?? path.join('build-clib', 'c_api_test'));
if (!fs.existsSync(program)) {
  console.error(`run-c-tests: ${program} does not exist (build it with: npm run build:clib)`);
  process.exit(2);
}

async function refusedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 * 1024 });
await new Promise((resolve, reject) => { wss.once('listening', resolve); wss.once('error', reject); });
wss.on('connection', (ws, req) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString();
      if (text === '__headers__') return ws.send(JSON.stringify(req.headers));
      if (text === '__close__') return ws.close(4001, 'server-bye');
    }
    ws.send(data, { binary: isBinary });
  });
});
const url = `ws://127.0.0.1:${wss.address().port}`;
const refusedUrl = `ws://127.0.0.1:${await refusedPort()}`;

// A server that answers the upgrade, breaks the protocol in the same write (a ping of 126
// bytes, a text that is not UTF-8, a 1-byte close payload; bytes after it on odd attempts)
// and resets TCP 0-3 ms later (test/lib/hostile-reset.test.ts does the same for the Node faces).
const VIOLATIONS = [
  Buffer.concat([Buffer.from([0x89, 126, 0, 126]), Buffer.alloc(126, 0x70)]),
  Buffer.from([0x81, 6, 0x61, 0x62, 0x63, 0xff, 0xfe, 0x64]),
  Buffer.from([0x88, 1, 0x03]),
];
const AFTER = Buffer.concat([Buffer.from([0x81, 5]), Buffer.from('after'), Buffer.from([0x89, 1, 0x70])]);
const hostile = net.createServer((socket) => {
  let head = '';
  socket.on('error', () => {});
  socket.on('data', (data) => {
    if (head === null) return;
    head += data.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
    const i = Number(/^GET \/(\d+)/.exec(head)?.[1] ?? 0);
    head = null;
    const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const violation = VIOLATIONS[i % VIOLATIONS.length];
    socket.write(Buffer.concat([
      Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`),
      i % 2 ? Buffer.concat([violation, AFTER]) : violation,
    ]));
    setTimeout(() => socket.resetAndDestroy(), Math.floor(i / 6) % 4);
  });
});
await new Promise((resolve) => hostile.listen(0, '127.0.0.1', resolve));
const hostileUrl = `ws://127.0.0.1:${hostile.address().port}`;

const child = spawn(program, [url, refusedUrl, hostileUrl], { stdio: ['ignore', 'inherit', 'inherit'] });
// A hung program must not hang CI: every wait inside it is bounded, so 120 s is generous.
const watchdog = setTimeout(() => {
  console.error('run-c-tests: c_api_test did not finish within 120 s; killing it');
  child.kill('SIGKILL');
}, 120000);
const [code, signal] = await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])));
clearTimeout(watchdog);
for (const client of wss.clients) client.terminate();
await new Promise((resolve) => wss.close(resolve));
await new Promise((resolve) => hostile.close(resolve));
if (signal) console.error(`run-c-tests: c_api_test was killed by ${signal}`);
process.exit(code ?? 1);
