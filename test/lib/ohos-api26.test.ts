// What OpenHarmony added to @ohos.net.webSocket after API 21, against real servers: the
// 'openInfo' event, supportOriginPort (the Origin header with the port) and
// minSupportTlsProtocol (TLS_V_1_3 refuses a server that stops at TLS 1.2).
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { createWebSocket, TlsProtocol, type WebSocketOpenInfo } from '../../lib/ohos';
import type { WebSocketError } from '../../lib/errors';
import { generateTestCerts, hasOpenssl, removeTestCerts, type TestCerts } from '../helpers/certs';
import { startEchoServer, waitUntil, type EchoServer } from '../helpers/ws-server';

let server: EchoServer;

beforeAll(async () => {
  server = await startEchoServer();
  server.wss.options.handleProtocols = (protocols: Set<string>) => (protocols.has('chat') ? 'chat' : false);
});

afterAll(async () => {
  await server.close();
});

describe('API 26 additions', () => {
  test("'openInfo' comes after 'open' with status, message and the negotiated protocol", async () => {
    const ws = createWebSocket();
    const events: unknown[] = [];
    ws.on('open', () => events.push('open'));
    ws.on('openInfo', (err, info: WebSocketOpenInfo) => events.push(['openInfo', err, info]));
    await ws.connect(server.url, { protocol: 'chat' });
    await waitUntil(() => events.length === 2, 10000, 'openInfo');
    expect(events).toEqual(['open', ['openInfo', undefined, { status: 101, message: 'Switching Protocols', protocol: 'chat' }]]);
    await ws.close();
  });

  test('supportOriginPort: true sends Origin: http://host:port; absent: no Origin', async () => {
    for (const supportOriginPort of [true, undefined]) {
      const ws = createWebSocket();
      const opened = new Promise((resolve) => ws.on('open', resolve));
      await ws.connect(server.url, supportOriginPort ? { supportOriginPort } : {});
      await opened;
      const { origin } = server.connections.at(-1)!.headers;
      expect(origin).toBe(supportOriginPort ? `http://127.0.0.1:${server.port}` : undefined);
      await ws.close();
    }
  });

  test('bad minSupportTlsProtocol and supportOriginPort values fail with 401', async () => {
    const ws = createWebSocket();
    await expect(ws.connect(server.url, { minSupportTlsProtocol: 7 as TlsProtocol })).rejects.toMatchObject({ code: 401 });
    await expect(ws.connect(server.url, { supportOriginPort: 'yes' as never })).rejects.toMatchObject({ code: 401 });
  });
});

(hasOpenssl() ? describe : describe.skip)('minSupportTlsProtocol', () => {
  let certs: TestCerts;
  let tls12: https.Server;
  let url: string;
  let caPath: string;

  beforeAll(async () => {
    certs = generateTestCerts();
    caPath = path.join(certs.dir, 'api26-ca.pem');
    fs.writeFileSync(caPath, certs.ca.cert);
    tls12 = https.createServer({ cert: certs.server.cert, key: certs.server.key, maxVersion: 'TLSv1.2' });
    new WebSocketServer({ server: tls12 });
    await new Promise<void>((resolve) => tls12.listen(0, '127.0.0.1', resolve));
    url = `wss://127.0.0.1:${(tls12.address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    tls12.closeAllConnections();
    await new Promise((resolve) => tls12.close(resolve));
    removeTestCerts(certs);
  });

  test.each([
    [TlsProtocol.TLS_V_1_2, 'open'],
    [TlsProtocol.TLS_V_1_3, 'error'],
  ])('a TLS 1.2 server with minSupportTlsProtocol %i: %s', async (minSupportTlsProtocol, outcome) => {
    const ws = createWebSocket();
    const result = new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('error', (err: WebSocketError) => resolve(err.code === 1003 ? 'error' : `error ${err.code}`));
    });
    await ws.connect(url, { caPath, minSupportTlsProtocol });
    expect(await result).toBe(outcome);
    if (outcome === 'open') await ws.close();
  });
});
