// Proxies and unix domain sockets on all three faces, against real peers: a CONNECT proxy
// (node:http, with Basic authentication when asked) and `ws` servers on 127.0.0.1, ::1 and
// on unix sockets.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { WebSocket } from '../../lib/websocket';
import { connect } from '../../lib/promises';
import { createWebSocket } from '../../lib/ohos';
import { ConnectError, InvalidArgumentError, InvalidUrlError } from '../../lib/errors';
import { EventLog, startConnectProxy, type ConnectProxy } from '../helpers/faces';
import { getRefusedPort, startEchoServer, withTimeout, type EchoServer } from '../helpers/ws-server';
import { generateTestCerts, hasOpenssl, removeTestCerts, type TestCerts } from '../helpers/certs';

// lws's vhosts read $http_proxy when they are not given a proxy: set it (to a port where
// nothing listens) before this file's first connection, so every connection below also
// checks that an unrelated http_proxy never takes over a connection made without a proxy.
const savedHttpProxy = process.env.http_proxy;
process.env.http_proxy = 'http://127.0.0.1:9';

let server: EchoServer;
let dir: string;

beforeAll(async () => {
  server = await startEchoServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-ws-unix-'));
});

afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (savedHttpProxy === undefined) delete process.env.http_proxy;
  else process.env.http_proxy = savedHttpProxy;
});

/** Opens a connection with connect(), echoes one message through it, closes it. */
async function echoThrough(url: string, options: Parameters<typeof connect>[1] = {}): Promise<void> {
  const socket = await connect(url, { timeout: 5000, ...options });
  await socket.send('through');
  const iterator = socket[Symbol.asyncIterator]();
  expect((await iterator.next()).value).toBe('through');
  await socket.close();
}

/** The error a connect() ends with (it must end, within the test's own timeout). */
async function connectError(url: string, options: Parameters<typeof connect>[1]): Promise<Error> {
  return withTimeout(connect(url, options).then(
    (socket) => { socket.terminate(); throw new Error('connected, but it should not have'); },
    (err: unknown) => err as Error,
  ), 5000, 'the connect to fail');
}

function basic(username: string, password: string): string {
  return `basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

describe('without a proxy', () => {
  test('$http_proxy (lower case, read by libwebsockets itself) is ignored: the connection is direct', async () => {
    await echoThrough(server.url);
    await echoThrough(server.url, { perMessageDeflate: { serverMaxWindowBits: 9 } });  // a vhost of its own
  });
});

describe('proxy authentication (Basic)', () => {
  const username = 'alice';
  const password = 'p@ss:wörd/%';  // needs percent-encoding in a URL
  let proxy: ConnectProxy;

  beforeAll(async () => {
    proxy = await startConnectProxy({ username, password });
  });
  afterAll(async () => {
    await proxy.close();
  });

  test('WebSocket: proxy as a URL with percent-encoded credentials', async () => {
    const proxyUrl = `http://${username}:${encodeURIComponent(password)}@${proxy.host}:${proxy.port}`;
    const ws = new WebSocket(server.url, { proxy: proxyUrl });
    const log = new EventLog(ws);
    await log.waitFor('open');
    ws.send('hello');
    expect((await log.waitFor('message'))[0].data).toBe('hello');
    ws.close();
    await log.waitFor('close');
    expect(proxy.authorizations.at(-1)).toBe(basic(username, password));
    expect(proxy.targets.at(-1)).toBe(new URL(server.url).host);
  });

  test('connect(): proxy as { host, port, username, password }', async () => {
    await echoThrough(server.url, { proxy: { host: proxy.host, port: proxy.port, username, password } });
    expect(proxy.authorizations.at(-1)).toBe(basic(username, password));
  });

  test('a wrong password: ConnectError with the proxy\'s 407, no hang, the password never shown', async () => {
    const wrong = 'not-the-Secret-42';
    const error = await connectError(server.url, { proxy: { host: proxy.host, port: proxy.port, username, password: wrong } });
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).response?.status).toBe(407);
    expect(error.message).toMatch(/proxy .* refused the tunnel.*407.*did not accept the user name and password/);
    expect(error.message).not.toContain(wrong);
    expect(String((error as Error & { cause?: Error }).cause?.message)).not.toContain(wrong);
    // The process is fine and the right password still works afterwards.
    await echoThrough(server.url, { proxy: { host: proxy.host, port: proxy.port, username, password } });
  });

  test('no credentials: 407 even when the proxy keeps the connection open after it', async () => {
    const holding = await startConnectProxy({ username, password, holdOpenAfter407: true });
    try {
      const error = await connectError(server.url, { proxy: holding.url });
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).response?.status).toBe(407);
      expect(error.message).toMatch(/407 Proxy Authentication Required \(give the proxy's user name and password\)/);
      expect(holding.authorizations).toEqual(['']);
    } finally {
      await holding.close();
    }
  });

  test('WebSocket: a 407 is an error event then close 1006', async () => {
    const ws = new WebSocket(server.url, { proxy: `http://${username}:wrong@${proxy.host}:${proxy.port}` });
    const log = new EventLog(ws);
    await log.waitFor('close', 1, 5000);
    expect(log.types()).toEqual(['error', 'close']);
    expect(log.of('close')[0].code).toBe(1006);
    expect(String((log.of('error')[0].error as Error).message)).not.toContain('wrong@');
  });

  test("OpenHarmony face: proxy { host, port, exclusionList, username, password } and 'system' with HTTP_PROXY user:password", async () => {
    const ws = createWebSocket();
    const opened = new Promise<void>((resolve) => ws.on('open', () => resolve()));
    await ws.connect(server.url, { proxy: { host: proxy.host, port: proxy.port, exclusionList: [], username, password } });
    await withTimeout(opened, 5000, 'open');
    await ws.close();
    expect(proxy.authorizations.at(-1)).toBe(basic(username, password));

    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      delete process.env.NO_PROXY;
      process.env.HTTP_PROXY = `http://${username}:${encodeURIComponent(password)}@${proxy.host}:${proxy.port}`;
      const viaEnv = createWebSocket();
      const openedViaEnv = new Promise<void>((resolve) => viaEnv.on('open', () => resolve()));
      await viaEnv.connect(server.url, { proxy: 'system' });
      await withTimeout(openedViaEnv, 5000, 'open');
      await viaEnv.close();
      expect(proxy.authorizations.at(-1)).toBe(basic(username, password));

      process.env.HTTP_PROXY = `http://${username}:bad-Secret-7@${proxy.host}:${proxy.port}`;
      const refused = createWebSocket();
      const failed = new Promise<Error>((resolve) => refused.on('error', (err) => resolve(err as unknown as Error)));
      await refused.connect(server.url, { proxy: 'system' }).catch(() => undefined);
      const error = await withTimeout(failed, 5000, 'error');
      expect(error).toBeInstanceOf(ConnectError);
      expect(error.message).toContain('407');
      expect(error.message).not.toContain('bad-Secret-7');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  test('credentials that cannot be sent are refused up front, without quoting them', () => {
    expect(() => new WebSocket(server.url, { proxy: { host: proxy.host, port: proxy.port, username: 'a:b', password: 'Hidden1' } }))
      .toThrow(/user name cannot contain ":"/);
    const long = 'x'.repeat(100);
    let error: unknown;
    try {
      void connect(server.url, { proxy: `http://user:${long}@${proxy.host}:${proxy.port}` });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/too long/);
    expect((error as Error).message).not.toContain(long);
    expect(() => new WebSocket(server.url, { proxy: `http://user:bad%zz@${proxy.host}:${proxy.port}` })).toThrow(/percent-encoded/);
  });
});

describe('proxy failures', () => {
  test('a proxy that is not running: the error names the proxy', async () => {
    const port = await getRefusedPort();
    const error = await connectError(server.url, { proxy: { host: '127.0.0.1', port } });
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.message).toContain(`through the proxy 127.0.0.1:${port}`);
  });
});

describe('https:// proxies', () => {
  test('are refused with the reason (no TLS to the proxy, no TLS inside TLS), credentials not shown', () => {
    let thrown: unknown;
    try {
      new WebSocket('wss://example.org/', { proxy: 'https://user:Secret-99@proxy.example:3128' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DOMException);
    expect((thrown as DOMException).name).toBe('SyntaxError');
    expect((thrown as Error).message).toMatch(/https:\/\/ proxies are not supported: .*cannot run TLS to the proxy itself.*TLS inside TLS/);
    expect((thrown as Error).message).not.toContain('Secret-99');
    expect(() => connect('ws://example.org/', { proxy: 'https://proxy.example:3128' })).toThrow(InvalidArgumentError);
  });
});

describe('IPv6', () => {
  test('a proxy on [::1] tunnels to a server on [::1] (CONNECT [::1]:port)', async () => {
    const wss = new WebSocketServer({ host: '::1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    const proxy = await startConnectProxy({ host: '::1', username: 'u', password: 'p' });
    try {
      const target = `ws://[::1]:${(wss.address() as net.AddressInfo).port}/v6`;
      await echoThrough(target, { proxy: `http://u:p@[::1]:${proxy.port}` });
      expect(proxy.targets).toEqual([`[::1]:${(wss.address() as net.AddressInfo).port}`]);
    } finally {
      await proxy.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });

  test('a proxy given by name ("localhost") is reached at whichever address answers', async () => {
    const proxy = await startConnectProxy();
    try {
      await echoThrough(server.url, { proxy: { host: 'localhost', port: proxy.port } });
      expect(proxy.targets).toEqual([new URL(server.url).host]);
    } finally {
      await proxy.close();
    }
  });
});

describe('unix domain sockets (ws+unix:)', () => {
  let socketPath: string;
  let httpServer: http.Server;
  let wss: WebSocketServer;
  const seen: Array<{ url: string; host: string | undefined }> = [];

  beforeAll(async () => {
    socketPath = path.join(dir, 'echo server.sock');  // a space: percent-encoded in the URL
    httpServer = http.createServer();
    wss = new WebSocketServer({ server: httpServer });
    wss.on('connection', (ws, req) => {
      seen.push({ url: req.url ?? '', host: req.headers.host });
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    await new Promise<void>((resolve) => httpServer.listen(socketPath, resolve));
  });
  afterAll(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });

  test('WebSocket: ws+unix:///path/to/socket.sock:/request/path', async () => {
    const ws = new WebSocket(`ws+unix://${socketPath}:/chat?room=1`);
    expect(ws.url).toBe(`ws+unix://${socketPath.replace(' ', '%20')}:/chat?room=1`);
    const log = new EventLog(ws);
    await log.waitFor('open');
    ws.send('over unix');
    expect((await log.waitFor('message'))[0].data).toBe('over unix');
    ws.close();
    await log.waitFor('close');
    expect(seen.at(-1)).toEqual({ url: '/chat?room=1', host: 'localhost' });
  });

  test('connect(): no request path means "/"; a proxy (option or environment) is not used', async () => {
    const proxy = await startConnectProxy();
    try {
      await echoThrough(`ws+unix://${socketPath}`, { proxy: proxy.url });
      expect(seen.at(-1)).toEqual({ url: '/', host: 'localhost' });
      expect(proxy.targets).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  test("OpenHarmony face: connect('ws+unix://...')", async () => {
    const ws = createWebSocket();
    const messages: unknown[] = [];
    ws.on('message', (_err, data) => messages.push(data));
    const opened = new Promise<void>((resolve) => ws.on('open', () => resolve()));
    await ws.connect(`ws+unix://${socketPath}:/oh`, { proxy: 'system' });
    await withTimeout(opened, 5000, 'open');
    await ws.send('oh');
    await withTimeout(new Promise<void>((resolve) => { const t = setInterval(() => { if (messages.length) { clearInterval(t); resolve(); } }, 5); }), 5000, 'message');
    expect(messages).toEqual(['oh']);
    await ws.close();
    expect(seen.at(-1)?.url).toBe('/oh');
  });

  test('a socket file that does not exist, or is not a socket: ConnectError naming why', async () => {
    const missing = path.join(dir, 'missing.sock');
    const error = await connectError(`ws+unix://${missing}:/`, {});
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.message).toContain(`ws+unix://${missing}`);
    expect(error.message).toContain(`the socket ${missing} does not exist (ENOENT)`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    const plain = path.join(dir, 'plain.txt');
    fs.writeFileSync(plain, 'x');
    expect((await connectError(`ws+unix://${plain}`, {})).message).toMatch(/is not a socket/);
  });

  test('bad unix socket URLs are refused', () => {
    expect(() => new WebSocket('ws+unix://host/tmp/x.sock')).toThrow(/has no host/);
    expect(() => new WebSocket('ws+unix:')).toThrow(/names no socket file/);
    expect(() => connect(`ws+unix:///${'d/'.repeat(60)}x.sock`)).toThrow(InvalidUrlError);
    expect(() => connect(`ws+unix:///${'d/'.repeat(60)}x.sock`)).toThrow(/longer than 107 bytes/);
  });

  test.runIf(hasOpenssl())('wss+unix: TLS over a unix socket (certificate checked against "localhost")', async () => {
    let certs: TestCerts | null = null;
    const tlsPath = path.join(dir, 'tls.sock');
    const tlsServer = https.createServer({});
    try {
      certs = generateTestCerts();
      tlsServer.setSecureContext({ cert: certs.server.cert, key: certs.server.key });
      const tlsWss = new WebSocketServer({ server: tlsServer });
      tlsWss.on('connection', (ws) => ws.on('message', (data) => ws.send(data, { binary: false })));
      await new Promise<void>((resolve) => tlsServer.listen(tlsPath, resolve));
      await echoThrough(`wss+unix://${tlsPath}:/secure`, { ca: certs.ca.cert });
      const error = await connectError(`wss+unix://${tlsPath}:/secure`, {});  // Node's trust store: not our CA
      expect(error).toBeInstanceOf(ConnectError);
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
      removeTestCerts(certs);
    }
  });
});
