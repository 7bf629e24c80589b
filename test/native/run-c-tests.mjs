#!/usr/bin/env node
// Runs the C API test program against a real `ws` echo server on 127.0.0.1.
// Usage: node test/native/run-c-tests.mjs [path/to/c_api_test]   (default: build-clib/c_api_test)
// The server echoes every message with its text/binary type; besides, it answers the text
// "__headers__" with the upgrade request's headers as JSON and closes with 4001 "server-bye"
// on "__close__". A second URL, on a port that refuses connections, is passed as argv[2].
import { spawn } from 'node:child_process';
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

const child = spawn(program, [url, refusedUrl], { stdio: ['ignore', 'inherit', 'inherit'] });
// A hung program must not hang CI: every wait inside it is bounded, so 120 s is generous.
const watchdog = setTimeout(() => {
  console.error('run-c-tests: c_api_test did not finish within 120 s; killing it');
  child.kill('SIGKILL');
}, 120000);
const [code, signal] = await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])));
clearTimeout(watchdog);
for (const client of wss.clients) client.terminate();
await new Promise((resolve) => wss.close(resolve));
if (signal) console.error(`run-c-tests: c_api_test was killed by ${signal}`);
process.exit(code ?? 1);
