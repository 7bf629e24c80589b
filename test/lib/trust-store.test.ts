// The trust store (Node's root certificates + NODE_EXTRA_CA_CERTS) is read only for wss://,
// once per process however many connections wait for it at first, and parsed off the loop
// thread (bench/first-connect-stall.mjs measures the loop's delay; no timing here).
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateTestCerts, hasOpenssl, removeTestCerts, type TestCerts } from '../helpers/certs';
import { startEchoServer, type EchoServer } from '../helpers/ws-server';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

describe.skipIf(!hasOpenssl())('the trust store', () => {
  let certs: TestCerts;
  let plain: EchoServer;
  let secure: https.Server;
  let secureUrl = '';
  beforeAll(async () => {
    certs = generateTestCerts();
    plain = await startEchoServer();
    secure = https.createServer({ cert: certs.server.cert, key: certs.server.key });
    new WebSocketServer({ server: secure }).on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    secureUrl = `wss://localhost:${(secure.address() as net.AddressInfo).port}/`;
  });
  afterAll(async () => {
    await plain.close();
    secure.closeAllConnections();
    await new Promise((resolve) => secure.close(resolve));
    removeTestCerts(certs);
  });

  test('ws:// never reads it; the first wss:// connections read it once between them; later ones not again', async () => {
    const caFile = path.join(certs.dir, 'extra-ca.pem');
    fs.writeFileSync(caFile, certs.ca.cert);
    const { stdout } = await run(process.execPath, [path.join(root, 'test', 'fixtures', 'trust-store-loads.js'), plain.url, secureUrl], {
      cwd: root, env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile }, timeout: 30000,
    });
    expect(JSON.parse(stdout)).toEqual({ afterWs: 0, afterWss: 1, afterMoreWss: 1 });
  });
});
