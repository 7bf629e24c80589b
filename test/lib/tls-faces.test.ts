// TLS options of the three faces against a real `ws` server over https with test
// certificates: ca, rejectUnauthorized, servername, client certificates (plain and
// encrypted keys) and OpenHarmony's caPath / clientCert / skipServerCertVerification.
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import path from 'node:path';
import type net from 'node:net';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { WebSocket } from '../../lib/websocket';
import { connect } from '../../lib/promises';
import { createWebSocket } from '../../lib/ohos';
import { ConnectError } from '../../lib/errors';
import { generateTestCerts, hasOpenssl, removeTestCerts, type TestCerts } from '../helpers/certs';
import { EventLog } from '../helpers/faces';
import { waitUntil } from '../helpers/ws-server';

interface TlsServer {
  url: string;
  /** CN of the client certificate of each accepted connection ('' if none). */
  clientNames: string[];
  close(): Promise<void>;
}

async function startTlsServer(options: https.ServerOptions): Promise<TlsServer> {
  const httpsServer = https.createServer(options);
  const wss = new WebSocketServer({ server: httpsServer });
  const clientNames: string[] = [];
  wss.on('connection', (socket, request) => {
    const peer = (request.socket as tls.TLSSocket).getPeerCertificate();
    clientNames.push(peer && peer.subject ? String(peer.subject.CN) : '');
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpsServer.address() as net.AddressInfo;
  return {
    url: `wss://127.0.0.1:${port}`,
    clientNames,
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      httpsServer.closeAllConnections();
      httpsServer.close(() => resolve());
    }),
  };
}

const describeTls = hasOpenssl() ? describe : describe.skip;

describeTls('TLS options of the three faces', () => {
  let certs: TestCerts;
  let plain: TlsServer;
  let wrongHost: TlsServer;
  let mutual: TlsServer;
  let selfSigned: TlsServer;

  beforeAll(async () => {
    certs = generateTestCerts();
    plain = await startTlsServer({ cert: certs.server.cert, key: certs.server.key });
    wrongHost = await startTlsServer({ cert: certs.wrongHost.cert, key: certs.wrongHost.key });
    selfSigned = await startTlsServer({ cert: certs.selfSigned.cert, key: certs.selfSigned.key });
    mutual = await startTlsServer({
      cert: certs.server.cert, key: certs.server.key, ca: certs.clientCa.cert, requestCert: true, rejectUnauthorized: true,
    });
  }, 60000);

  afterAll(async () => {
    await Promise.all([plain, wrongHost, mutual, selfSigned].filter(Boolean).map((s) => s.close()));
    removeTestCerts(certs);
  });

  async function whatwgOutcome(url: string, options: ConstructorParameters<typeof WebSocket>[2]): Promise<{ types: string[]; error: unknown }> {
    const ws = new WebSocket(url, [], options);
    const log = new EventLog(ws);
    await waitUntil(() => log.events.length > 0, 10000, 'open or error');
    const types = log.types().slice(0, 1);
    const error = log.of('error')[0]?.error;
    if (ws.readyState === WebSocket.OPEN) {
      ws.close();
      await log.waitFor('close');
    } else {
      await log.waitFor('close');
    }
    return { types, error };
  }

  describe('WHATWG face', () => {
    test('large messages over TLS (written a piece at a time, received in one piece) and small ones between them arrive whole and in order', async () => {
      const ws = new WebSocket(plain.url, [], { ca: certs.ca.cert, perMessageDeflate: false });
      ws.binaryType = 'nodebuffer';
      const echoes: Buffer[] = [];
      ws.onmessage = (event) => echoes.push(event.data as Buffer);
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = (event) => reject(event.error);
      });
      const sizes = [5 * 1024 * 1024 + 3, 7, 256 * 1024 + 1, 1024 * 1024, 3];
      const messages = sizes.map((size) => randomBytes(size));
      for (const message of messages) ws.send(message);
      await waitUntil(() => echoes.length === sizes.length, 20000, 'the echoes');
      echoes.forEach((echo, i) => expect(echo.equals(messages[i])).toBe(true));
      ws.close();
      await new Promise<void>((resolve) => { ws.onclose = () => resolve(); });
    });

    test('ca: the test CA is trusted', async () => {
      expect((await whatwgOutcome(plain.url, { ca: certs.ca.cert })).types).toEqual(['open']);
    });

    test('ca as a list of Buffers (the right CA not first)', async () => {
      const outcome = await whatwgOutcome(plain.url, { ca: [Buffer.from(certs.otherCa.cert), Buffer.from(certs.ca.cert)] });
      expect(outcome.types).toEqual(['open']);
    });

    test("without ca, Node's trust store does not know the test CA: ConnectError", async () => {
      const fresh = await startTlsServer({ cert: certs.server.cert, key: certs.server.key });
      try {
        const outcome = await whatwgOutcome(fresh.url, {});
        expect(outcome.types).toEqual(['error']);
        expect(outcome.error).toBeInstanceOf(ConnectError);
        expect((outcome.error as Error).message).not.toMatch(/\n/);
      } finally {
        await fresh.close();
      }
    });

    test('a connection without ca after one with ca to the same server is still refused (no TLS state shared across settings)', async () => {
      const fresh = await startTlsServer({ cert: certs.server.cert, key: certs.server.key });
      try {
        expect((await whatwgOutcome(fresh.url, { ca: certs.ca.cert })).types).toEqual(['open']);
        expect((await whatwgOutcome(fresh.url, {})).types).toEqual(['error']);
      } finally {
        await fresh.close();
      }
    });

    test('rejectUnauthorized: false accepts a self-signed certificate', async () => {
      expect((await whatwgOutcome(selfSigned.url, { rejectUnauthorized: false })).types).toEqual(['open']);
    });

    test('servername: the certificate is checked against it', async () => {
      const fresh = await startTlsServer({ cert: certs.wrongHost.cert, key: certs.wrongHost.key });
      try {
        expect((await whatwgOutcome(fresh.url, { ca: certs.ca.cert })).types).toEqual(['error']);
      } finally {
        await fresh.close();
      }
      expect((await whatwgOutcome(wrongHost.url, { ca: certs.ca.cert, servername: 'wrong.example' })).types).toEqual(['open']);
    });

    test('cert and key: the server sees the client certificate; without them it refuses', async () => {
      const before = mutual.clientNames.length;
      expect((await whatwgOutcome(mutual.url, { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key })).types)
        .toEqual(['open']);
      expect(mutual.clientNames.slice(before)).toEqual(['test-client']);
    });

    test('without a client certificate, a server that requires one refuses (also after one with it)', async () => {
      expect((await whatwgOutcome(mutual.url, { ca: certs.ca.cert })).types).toEqual(['error']);
    });

    test('an encrypted key with its passphrase', async () => {
      const outcome = await whatwgOutcome(mutual.url, {
        ca: certs.ca.cert, cert: certs.client.cert, key: certs.clientEncryptedKey, passphrase: certs.clientPassphrase,
      });
      expect(outcome.types).toEqual(['open']);
    });
  });

  describe('promise face', () => {
    test('ca and client certificate', async () => {
      const socket = await connect(mutual.url, { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key });
      await socket.send('over tls');
      for await (const message of socket) {
        expect(message).toBe('over tls');
        break;
      }
      await socket.closed;
    });

    test('an untrusted certificate rejects with ConnectError', async () => {
      await expect(connect(selfSigned.url)).rejects.toBeInstanceOf(ConnectError);
    });
  });

  describe('OpenHarmony face', () => {
    async function ohosOutcome(url: string, options: Parameters<ReturnType<typeof createWebSocket>['connect']>[1]): Promise<string[]> {
      const ws = createWebSocket();
      const events: string[] = [];
      ws.on('open', () => { events.push('open'); void ws.close(); });
      ws.on('error', () => events.push('error'));
      ws.on('close', () => events.push('close'));
      await ws.connect(url, { pingInterval: 0, ...options });
      await waitUntil(() => events.includes('close'), 10000, 'close');
      return events;
    }

    test('caPath', async () => {
      const fresh = await startTlsServer({ cert: certs.server.cert, key: certs.server.key });
      try {
        expect(await ohosOutcome(fresh.url, {})).toEqual(['error', 'close']);
        expect(await ohosOutcome(fresh.url, { caPath: path.join(certs.dir, 'ca.crt') })).toEqual(['open', 'close']);
      } finally {
        await fresh.close();
      }
    });

    test('skipServerCertVerification', async () => {
      expect(await ohosOutcome(selfSigned.url, { skipServerCertVerification: true })).toEqual(['open', 'close']);
      expect(await ohosOutcome(selfSigned.url, { skipServerCertVerification: false })).toEqual(['error', 'close']);
    });

    test('clientCert with a plain key and with an encrypted key and keyPassword', async () => {
      const caPath = path.join(certs.dir, 'ca.crt');
      const certPath = path.join(certs.dir, 'client.crt');
      expect(await ohosOutcome(mutual.url, { caPath, clientCert: { certPath, keyPath: path.join(certs.dir, 'client.key') } }))
        .toEqual(['open', 'close']);
      expect(await ohosOutcome(mutual.url, {
        caPath, clientCert: { certPath, keyPath: path.join(certs.dir, 'client-enc.key'), keyPassword: certs.clientPassphrase },
      })).toEqual(['open', 'close']);
    });
  });
});
