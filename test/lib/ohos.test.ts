// The OpenHarmony face (`webSocket.createWebSocket()`) against real servers: every event,
// every option, every error, in OpenHarmony's callback and Promise forms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  createWebSocket, type BusinessError, type CloseResult, type OpenResult, type WebSocket, type WebSocketRequestOptions,
} from '../../lib/ohos';
import {
  AlreadyConnectedError, CertificateFileError, ConnectError, ConnectionClosedError, ConnectionLostError,
  InvalidArgumentError, InvalidUrlError, WebSocketError,
} from '../../lib/errors';
import { getRefusedPort, startEchoServer, waitUntil, type EchoServer } from '../helpers/ws-server';
import { startConnectProxy } from '../helpers/faces';
import { RawServer, frame } from '../conformance/raw-server';

let server: EchoServer;
let raw: RawServer;
const created: WebSocket[] = [];

type Recorded =
  | { type: 'open'; err: unknown; value: OpenResult }
  | { type: 'message'; err: unknown; value: string | ArrayBuffer }
  | { type: 'close'; err: unknown; value: CloseResult }
  | { type: 'error'; err: BusinessError }
  | { type: 'dataEnd' }
  | { type: 'headerReceive'; headers: Record<string, unknown> };

/** A socket whose events are all recorded, in order. */
function recorded(): { ws: WebSocket; events: Recorded[]; types(): string[]; waitFor(type: string, count?: number): Promise<Recorded[]> } {
  const ws = createWebSocket();
  created.push(ws);
  const events: Recorded[] = [];
  ws.on('open', (err, value) => events.push({ type: 'open', err, value }));
  ws.on('message', (err, value) => events.push({ type: 'message', err, value }));
  ws.on('close', (err, value) => events.push({ type: 'close', err, value }));
  ws.on('error', (err) => events.push({ type: 'error', err }));
  ws.on('dataEnd', () => events.push({ type: 'dataEnd' }));
  ws.on('headerReceive', (headers) => events.push({ type: 'headerReceive', headers }));
  const of = (type: string) => events.filter((e) => e.type === type);
  return {
    ws,
    events,
    types: () => events.map((e) => e.type),
    waitFor: async (type, count = 1) => {
      await waitUntil(() => of(type).length >= count, 10000, `${count} '${type}'; got ${events.map((e) => e.type).join(',')}`);
      return of(type);
    },
  };
}

/** The callback form as a promise of [err, data]. */
function viaCallback<T>(call: (cb: (err: BusinessError | undefined, data: T) => void) => void): Promise<[BusinessError | undefined, T]> {
  return new Promise((resolve) => call((err, data) => resolve([err, data])));
}

beforeAll(async () => {
  server = await startEchoServer();
  raw = await RawServer.start();
});
afterEach(async () => {
  for (const ws of created.splice(0)) await ws.close().catch(() => undefined);
});
afterAll(async () => {
  await server.close();
  await raw.close();
});

describe('events', () => {
  test('headerReceive, open, message (string / ArrayBuffer) each followed by dataEnd, close', async () => {
    const r = recorded();
    expect(await r.ws.connect(server.url, { pingInterval: 0 })).toBe(true);
    await r.waitFor('open');
    expect(await r.ws.send('hello')).toBe(true);
    expect(await r.ws.send(new Uint8Array([1, 2, 3]).buffer)).toBe(true);
    await r.waitFor('dataEnd', 2);
    expect(await r.ws.close({ code: 4000, reason: 'bye' })).toBe(true);
    await r.waitFor('close');
    expect(r.types()).toEqual(['headerReceive', 'open', 'message', 'dataEnd', 'message', 'dataEnd', 'close']);
    const [headers, open, text, , binary, , close] = r.events as [
      Extract<Recorded, { type: 'headerReceive' }>, Extract<Recorded, { type: 'open' }>, Extract<Recorded, { type: 'message' }>,
      Recorded, Extract<Recorded, { type: 'message' }>, Recorded, Extract<Recorded, { type: 'close' }>,
    ];
    expect(headers.headers).toMatchObject({ upgrade: 'websocket', 'sec-websocket-accept': expect.any(String) });
    expect(open).toEqual({ type: 'open', err: undefined, value: { status: 101, message: 'Switching Protocols' } });
    expect(text).toEqual({ type: 'message', err: undefined, value: 'hello' });
    expect(binary.value).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(binary.value as ArrayBuffer)]).toEqual([1, 2, 3]);
    expect(close).toEqual({ type: 'close', err: undefined, value: { code: 4000, reason: 'bye' } });
    expect(await server.connections.at(-1)!.closed).toEqual({ code: 4000, reason: 'bye' });
  });

  test('the callback forms of connect, send and close give (undefined, true)', async () => {
    const r = recorded();
    expect(await viaCallback<boolean>((cb) => r.ws.connect(server.url, cb))).toEqual([undefined, true]);
    await r.waitFor('open');
    expect(await viaCallback<boolean>((cb) => r.ws.send('x', cb))).toEqual([undefined, true]);
    expect(await viaCallback<boolean>((cb) => r.ws.close(cb))).toEqual([undefined, true]);
    await r.waitFor('close');
    expect((await server.connections.at(-1)!.closed).code).toBe(1000);
  });

  test('close with options in callback form', async () => {
    const r = recorded();
    await r.ws.connect(server.url);
    await r.waitFor('open');
    expect(await viaCallback<boolean>((cb) => r.ws.close({ code: 3001, reason: 'cb' }, cb))).toEqual([undefined, true]);
    expect((await r.waitFor('close'))[0]).toMatchObject({ value: { code: 3001, reason: 'cb' } });
  });

  test('a close from the server: close event with its code and reason', async () => {
    const r = recorded();
    await r.ws.connect(server.url);
    await r.waitFor('open');
    server.connections.at(-1)!.close(4444, 'server');
    expect((await r.waitFor('close'))[0]).toMatchObject({ value: { code: 4444, reason: 'server' } });
    expect(r.types()).not.toContain('error');
  });

  test('off(type, callback) removes that one; off(type) removes all; the same callback is added once', async () => {
    const ws = createWebSocket();
    created.push(ws);
    const calls: string[] = [];
    const a = (): void => { calls.push('a'); };
    const b = (): void => { calls.push('b'); };
    ws.on('open', a);
    ws.on('open', a);
    ws.on('open', b);
    ws.off('open', b);
    const messages: string[] = [];
    ws.on('message', () => messages.push('m1'));
    ws.on('message', () => messages.push('m2'));
    ws.off('message');
    ws.on('dataEnd', () => messages.push('end'));
    await ws.connect(server.url);
    await waitUntil(() => calls.length > 0, 10000, 'open');
    await ws.send('x');
    await waitUntil(() => messages.length > 0, 10000, 'dataEnd');
    expect(calls).toEqual(['a']);
    expect(messages).toEqual(['end']);
    expect(() => ws.on('bogus' as 'open', a)).toThrow(InvalidArgumentError);
  });

  test('connect() again after the close event opens a new connection', async () => {
    const r = recorded();
    await r.ws.connect(server.url);
    await r.waitFor('open');
    await r.ws.close();
    await r.waitFor('close');
    await r.ws.connect(server.url);
    await r.waitFor('open', 2);
    await r.ws.send('again');
    expect((await r.waitFor('message'))[0]).toMatchObject({ value: 'again' });
  });
});

describe('errors of the calls', () => {
  test.each([
    ['a non-ws URL', 'ftp://127.0.0.1/', InvalidUrlError, 2302001],
    ['a URL with a fragment', 'ws://127.0.0.1/#f', InvalidUrlError, 2302001],
    ['not a URL', 'nothing', InvalidUrlError, 2302001],
  ])('connect() with %s: 2302001, in both forms, nothing connected', async (_what, url, type, code) => {
    const ws = createWebSocket();
    const [err, data] = await viaCallback<boolean>((cb) => ws.connect(url, cb));
    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ code });
    expect(data).toBe(false);
    await expect(ws.connect(url)).rejects.toBeInstanceOf(type);
  });

  test('connect() with bad options: 401 (InvalidArgumentError), one by one', async () => {
    const cases: Array<[string, object]> = [
      ['proxy of another kind', { proxy: 'automatic' }],
      ['proxy without a host', { proxy: { host: '', port: 8080, exclusionList: [] } }],
      ['proxy with port 0', { proxy: { host: '127.0.0.1', port: 0, exclusionList: [] } }],
      ['proxy with a bad exclusionList', { proxy: { host: '127.0.0.1', port: 8080, exclusionList: 'a' } }],
      ['header with CR/LF', { header: { 'X-A': 'a\r\nb' } }],
      ['header name with a space', { header: { 'X A': 'a' } }],
      ['bad protocol', { protocol: 'a b' }],
      ['duplicate protocol', { protocol: 'a, a' }],
      ['pingInterval negative', { pingInterval: -1 }],
      ['pingInterval too large', { pingInterval: 30001 }],
      ['pingInterval fraction', { pingInterval: 1.5 }],
      ['pongTimeout over pingInterval', { pingInterval: 5, pongTimeout: 6 }],
      ['skipServerCertVerification not boolean', { skipServerCertVerification: 'yes' }],
      ['clientCert without keyPath', { clientCert: { certPath: '/x' } }],
      ['unknown option', { timeout: 5 }],
    ];
    for (const [what, options] of cases) {
      const ws = createWebSocket();
      const error = await ws.connect(server.url, options as WebSocketRequestOptions).catch((e: unknown) => e);
      expect(error, what).toBeInstanceOf(InvalidArgumentError);
      expect(error, what).toMatchObject({ code: 401, codeName: 'PARAMETER_ERROR' });
    }
    expect(server.connections.every((c) => c.headers['x-a'] === undefined)).toBe(true);
  });

  test("proxy 'no-proxy' is accepted", async () => {
    const r = recorded();
    await r.ws.connect(server.url, { proxy: 'no-proxy' });
    await r.waitFor('open');
  });

  test("proxy 'system' with an https:// or socks proxy in the environment: 401, credentials not shown", async () => {
    const saved = process.env.HTTP_PROXY;
    try {
      for (const value of ['https://proxy.example:3128', 'https://user:s3cret@proxy.example:3128', 'socks5://proxy.example:1080']) {
        process.env.HTTP_PROXY = value;
        const error = await createWebSocket().connect(server.url, { proxy: 'system' }).then(() => undefined, (err: unknown) => err);
        expect(error).toMatchObject({ code: 401 });
        expect((error as Error).message).toMatch(value.startsWith('https') ? /https:\/\/ proxies are not supported.*TLS/ : /only plain-HTTP/);
        expect((error as Error).message).not.toContain('s3cret');
      }
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
  });

  test('caPath or clientCert files that do not exist: 2302002 (CertificateFileError)', async () => {
    const missing = path.join(os.tmpdir(), 'netstack-ws-no-such-file.pem');
    const notPem = path.join(os.tmpdir(), `netstack-ws-not-pem-${process.pid}.txt`);
    fs.writeFileSync(notPem, 'not a certificate');
    try {
      for (const options of [
        { caPath: missing },
        { caPath: notPem },
        { clientCert: { certPath: missing, keyPath: missing } },
      ]) {
        const ws = createWebSocket();
        const error = await ws.connect('wss://127.0.0.1:1/', options).catch((e: unknown) => e) as CertificateFileError;
        expect(error).toBeInstanceOf(CertificateFileError);
        expect(error.code).toBe(2302002);
      }
    } finally {
      fs.rmSync(notPem, { force: true });
    }
  });

  test('connect() while connected: 2302003 (AlreadyConnectedError)', async () => {
    const r = recorded();
    await r.ws.connect(server.url);
    const [err] = await viaCallback<boolean>((cb) => r.ws.connect(server.url, cb));
    expect(err).toBeInstanceOf(AlreadyConnectedError);
    expect(err).toMatchObject({ code: 2302003 });
  });

  test('send() and close() with no connection: 1017 (ConnectionClosedError)', async () => {
    const ws = createWebSocket();
    await expect(ws.send('x')).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(ws.close()).rejects.toMatchObject({ code: 1017 });
    const [err, data] = await viaCallback<boolean>((cb) => ws.send('x', cb));
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(data).toBe(false);
  });

  test('send() after the close: 1017', async () => {
    const r = recorded();
    await r.ws.connect(server.url);
    await r.waitFor('open');
    await r.ws.close();
    await expect(r.ws.send('late')).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  test('send() with data that is neither a string nor an ArrayBuffer: 401', async () => {
    const r = recorded();
    await r.ws.connect(server.url);
    await expect(r.ws.send(42 as unknown as string)).rejects.toMatchObject({ code: 401 });
  });

  test('close() with a code that cannot be sent or a reason over 123 bytes: 401, connection left open', async () => {
    const r = recorded();
    await r.ws.connect(server.url);
    await r.waitFor('open');
    for (const options of [{ code: 999 }, { code: 1005 }, { code: 1006 }, { code: 1015 }, { code: 5000 }, { reason: 'x'.repeat(124) }]) {
      await expect(r.ws.close(options)).rejects.toMatchObject({ code: 401 });
    }
    await r.ws.send('still open');
    await r.waitFor('message');
  });
});

describe('error events', () => {
  test('refused: error (1003) then close 1006, no open', async () => {
    const r = recorded();
    expect(await r.ws.connect(`ws://127.0.0.1:${await getRefusedPort()}`)).toBe(true);
    await r.waitFor('close');
    expect(r.types()).toEqual(['error', 'close']);
    const { err } = r.events[0] as Extract<Recorded, { type: 'error' }>;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err).toMatchObject({ code: 1003 });
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ code: 1003, codeName: 'WEBSOCKET_CONNECTION_ERROR' });
  });

  test('HTTP 401: headerReceive with the response headers, then error, then close', async () => {
    void raw.expect('/ohos401', { status: 401, headers: [['WWW-Authenticate', 'Basic']], endAfterResponse: true });
    const r = recorded();
    await r.ws.connect(`${raw.url}/ohos401`);
    await r.waitFor('close');
    expect(r.types()).toEqual(['headerReceive', 'error', 'close']);
    expect((r.events[0] as Extract<Recorded, { type: 'headerReceive' }>).headers['www-authenticate']).toBe('Basic');
    expect((r.events[1] as Extract<Recorded, { type: 'error' }>).err).toMatchObject({ code: 1003, response: { status: 401 } });
  });

  test('connection lost: error (ConnectionLostError) then close 1006', async () => {
    const connP = raw.expect('/ohoslost');
    const r = recorded();
    await r.ws.connect(`${raw.url}/ohoslost`, { pingInterval: 0 });
    await r.waitFor('open');
    (await connP).destroy();
    await r.waitFor('close');
    expect(r.types()).toEqual(['headerReceive', 'open', 'error', 'close']);
    expect((r.events[2] as Extract<Recorded, { type: 'error' }>).err).toBeInstanceOf(ConnectionLostError);
    expect((r.events[3] as Extract<Recorded, { type: 'close' }>).value.code).toBe(1006);
  });
});

describe('options', () => {
  test('header and protocol reach the server; several protocols comma-separated', async () => {
    const r = recorded();
    await r.ws.connect(server.url, { header: { name1: 'value1', Origin: 'https://app.example' }, protocol: 'my-protocol, other' });
    await r.waitFor('open');
    const { headers } = server.connections.at(-1)!;
    expect(headers).toMatchObject({ name1: 'value1', origin: 'https://app.example', 'sec-websocket-protocol': 'my-protocol, other' });
  });

  test('proxy { host, port }: the connection is tunnelled through it with CONNECT', async () => {
    const proxy = await startConnectProxy();
    try {
      const r = recorded();
      await r.ws.connect(server.url, { proxy: { host: proxy.host, port: proxy.port, exclusionList: [] } });
      await r.waitFor('open');
      await r.ws.send('via proxy');
      expect((await r.waitFor('message'))[0]).toMatchObject({ value: 'via proxy' });
      expect(proxy.targets).toEqual([new URL(server.url).host]);
    } finally {
      await proxy.close();
    }
  });

  test('proxy exclusionList: a listed host is reached directly', async () => {
    const proxy = await startConnectProxy();
    try {
      const r = recorded();
      await r.ws.connect(server.url, { proxy: { host: proxy.host, port: proxy.port, exclusionList: ['example.org', '127.0.0.1'] } });
      await r.waitFor('open');
      expect(proxy.targets).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  test("proxy 'system': HTTP_PROXY from the environment, NO_PROXY honoured", async () => {
    const proxy = await startConnectProxy();
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      process.env.HTTP_PROXY = `http://${proxy.host}:${proxy.port}`;
      delete process.env.NO_PROXY;
      const r = recorded();
      await r.ws.connect(server.url, { proxy: 'system' });
      await r.waitFor('open');
      expect(proxy.targets).toHaveLength(1);
      process.env.NO_PROXY = 'localhost,127.0.0.1';
      const direct = recorded();
      await direct.ws.connect(server.url, { proxy: 'system' });
      await direct.waitFor('open');
      expect(proxy.targets).toHaveLength(1);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await proxy.close();
    }
  });

  test('pingInterval: pings go out every interval, answered pongs keep the connection', async () => {
    const connP = raw.expect('/ping');
    const r = recorded();
    await r.ws.connect(`${raw.url}/ping`, { pingInterval: 1, pongTimeout: 1 });
    const conn = await connP;
    await conn.until(() => conn.pings.length >= 2, 10000);
    expect(conn.pings.length).toBeGreaterThanOrEqual(2);
    expect(r.types()).toEqual(['headerReceive', 'open']);
  });

  test('pongTimeout: no sign of life after a ping, the connection is dropped (error ConnectionLostError, close 1006)', async () => {
    const connP = raw.expect('/nopong');
    const r = recorded();
    await r.ws.connect(`${raw.url}/nopong`, { pingInterval: 1, pongTimeout: 1 });
    const conn = await connP;
    conn.autoPong = false;
    await r.waitFor('close');
    expect(conn.pings.length).toBeGreaterThanOrEqual(1);
    expect(r.types()).toEqual(['headerReceive', 'open', 'error', 'close']);
    const { err } = r.events[2] as Extract<Recorded, { type: 'error' }>;
    expect(err).toBeInstanceOf(WebSocketError);
    expect(err.code).toBe(1003);
    expect((r.events[3] as Extract<Recorded, { type: 'close' }>).value.code).toBe(1006);
  });

  test('messages count as signs of life; pingInterval 0 sends no pings', async () => {
    const connP = raw.expect('/noping');
    const r = recorded();
    await r.ws.connect(`${raw.url}/noping`, { pingInterval: 0 });
    const conn = await connP;
    await r.waitFor('open');
    await conn.write(frame.text('a'));
    await r.waitFor('message');
    expect(conn.pings).toHaveLength(0);
  });

  test('errors are WebSocketErrors with the BusinessError shape', async () => {
    const error = await createWebSocket().connect('bad').catch((e: unknown) => e) as BusinessError;
    expect(error).toBeInstanceOf(WebSocketError);
    expect(typeof error.code).toBe('number');
    expect(typeof error.message).toBe('string');
    expect(error.name).toBe('InvalidUrlError');
  });
});
