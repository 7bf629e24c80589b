// The WHATWG class as a drop-in for `ws` and for Node's global WebSocket: the default
// export, `ws`'s client options and events (upgrade, unexpected-response with its body,
// redirect with followRedirects, ping with autoPong), and the WHATWG behaviours WPT checks
// that need a real server (close() without a code, bufferedAmount, error after CLOSED,
// credentials in the URL, the page's base URL and Origin, blocked ports).
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from '../../lib/websocket';
import type { CloseEvent } from '../../lib/events';
import { ConnectError } from '../../lib/errors';
import { startEchoServer, waitUntil, type EchoServer } from '../helpers/ws-server';

let server: EchoServer;
const made: WebSocket[] = [];
const servers: net.Server[] = [];

function make(...args: ConstructorParameters<typeof WebSocket>): WebSocket {
  const ws = new WebSocket(...args);
  made.push(ws);
  return ws;
}

/** Records ws-style events in order: [type, ...args]. */
function record(ws: WebSocket, types: string[]): unknown[][] {
  const log: unknown[][] = [];
  for (const type of types) ws.on(type as 'open', (...args: unknown[]) => { log.push([type, ...args]); });
  return log;
}

/** A server that answers every upgrade request with `response` (raw HTTP) and ends. */
async function answeringServer(response: (req: http.IncomingMessage) => string): Promise<{ url: string; requests: http.IncomingMessage[] }> {
  const requests: http.IncomingMessage[] = [];
  const httpServer = http.createServer();
  httpServer.on('upgrade', (req, socket) => {
    requests.push(req);
    socket.end(response(req));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  servers.push(httpServer);
  return { url: `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, requests };
}

beforeAll(async () => {
  server = await startEchoServer();
});

afterEach(() => {
  for (const ws of made.splice(0)) ws.terminate();
  delete (globalThis as { location?: unknown }).location;
});

afterAll(async () => {
  await server.close();
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
});

describe('entry points as ws has them', () => {
  test("require('netstack-websocket') is the class, with the named exports on it", () => {
    const requireFromRoot = createRequire(path.resolve(__dirname, '../../package.json'));
    const pkg = requireFromRoot('netstack-websocket') as typeof WebSocket & Record<string, unknown>;
    expect(typeof pkg).toBe('function');
    expect(pkg.WebSocket).toBe(pkg);
    expect(pkg.default).toBe(pkg);
    expect(typeof pkg.connect).toBe('function');
    expect(typeof (pkg.webSocket as { createWebSocket: unknown }).createWebSocket).toBe('function');
    expect(pkg.OPEN).toBe(1);
  });
});

describe('ws client options', () => {
  test("engine.io-client's options work: { agent: false, perMessageDeflate: { threshold: 1024 }, rejectUnauthorized: true }", async () => {
    const ws = make(server.url, undefined, { agent: false, perMessageDeflate: { threshold: 1024 }, rejectUnauthorized: true });
    await new Promise((resolve) => { ws.onopen = resolve; });
    expect(server.connections.at(-1)!.headers['sec-websocket-extensions']).toContain('permessage-deflate');
  });

  test('every ws option at its default value is accepted', async () => {
    const ws = make(server.url, [], {
      followRedirects: false, maxRedirects: 10, autoPong: true, agent: undefined, protocolVersion: 13,
      allowSynchronousEvents: true, skipUTF8Validation: false, maxPayload: 1024, handshakeTimeout: 5000,
      perMessageDeflate: { zlibDeflateOptions: {}, concurrencyLimit: 10 }, family: undefined, host: 'ignored',
    });
    await new Promise((resolve) => { ws.onopen = resolve; });
  });

  test.each([
    [{ agent: new http.Agent() }, /agent.*use .proxy./s],
    [{ skipUTF8Validation: true }, /always checked for UTF-8/],
    [{ family: 4 }, /IP address literal/],
    [{ createConnection: () => undefined }, /proxy/],
    [{ perMessageDeflate: { zlibDeflateOptions: { level: 1 } } }, /zlibDeflateOptions cannot be honoured/],
    [{ protocolVersion: 8 }, /only 13/],
    [{ noSuchOption: 1 }, /"noSuchOption" is not supported/],
  ])('%o is refused with the alternative', (options, message) => {
    expect(() => new WebSocket(server.url, [], options as never)).toThrow(message);
  });

  test('a non-object third argument is ignored, as browsers ignore extra arguments', async () => {
    const ws = make(server.url, 'chat', 'stray' as never);
    await new Promise((resolve) => { ws.onopen = resolve; });
  });
});

describe('ws events', () => {
  test("'upgrade' gives the 101 response before 'open'", async () => {
    const ws = make(server.url);
    const log = record(ws, ['upgrade', 'open']);
    await waitUntil(() => log.length === 2, 10000, 'open');
    const response = log[0][1] as http.IncomingMessage;
    expect(log.map((entry) => entry[0])).toEqual(['upgrade', 'open']);
    expect(response.statusCode).toBe(101);
    expect(response.headers.upgrade?.toLowerCase()).toBe('websocket');
  });

  test("'unexpected-response' (listened to): status, headers and body; no error until the app terminates", async () => {
    const refuser = await answeringServer(() =>
      'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nX-Why: token\r\n\r\nbad token\r\n');
    const ws = make(`${refuser.url}/x`);
    const log = record(ws, ['unexpected-response', 'error', 'close']);
    await waitUntil(() => log.length === 1, 10000, 'unexpected-response');
    const response = log[0][2] as http.IncomingMessage;
    expect(response.statusCode).toBe(403);
    expect(response.headers['x-why']).toBe('token');
    let body = '';
    for await (const chunk of response) body += String(chunk);
    expect(body).toBe('bad token\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(log).toHaveLength(1);
    ws.terminate();
    await waitUntil(() => log.length === 3, 10000, 'error and close');
    expect(log.map((entry) => entry[0])).toEqual(['unexpected-response', 'error', 'close']);
    expect(log[2][1]).toBe(1006);
  });

  test('without a listener, a refused handshake is an error whose response carries the body', async () => {
    const refuser = await answeringServer(() => 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope');
    const ws = make(refuser.url);
    const error = await new Promise<unknown>((resolve) => ws.on('error', resolve));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).response?.status).toBe(401);
    expect(String((error as ConnectError).response?.body)).toBe('nope');
  });

  test("followRedirects: 'redirect', then the connection to the Location; credentials dropped across hosts", async () => {
    const target = server.url.replace('127.0.0.1', 'localhost');
    const redirector = await answeringServer(() => `HTTP/1.1 302 Found\r\nLocation: ${target}/next\r\nContent-Length: 0\r\n\r\n`);
    const ws = make(`${redirector.url.replace('ws://', 'ws://u:p@')}/start`, [], {
      followRedirects: true, headers: { Authorization: 'Bearer secret', 'X-Keep': 'yes' },
    });
    const log = record(ws, ['redirect', 'open']);
    await waitUntil(() => log.length === 2, 10000, 'redirect and open');
    expect(log[0][1]).toBe(`${target}/next`);
    expect(ws.url).toBe(`${target}/next`);
    const seen = server.connections.at(-1)!.headers;
    expect(redirector.requests[0].headers.authorization).toBe('Bearer secret');
    expect(seen.authorization).toBeUndefined();
    expect(seen['x-keep']).toBe('yes');
    // Message events carry the origin of the URL redirected to.
    const message = new Promise<MessageEvent>((resolve) => ws.addEventListener('message', (event) => resolve(event as MessageEvent), { once: true }));
    ws.send('after the redirect');
    expect((await message).origin).toBe(new URL(target).origin);
  });

  test('redirects are off by default, never go from wss: to ws:, and stop at maxRedirects', async () => {
    const loop = await answeringServer((req) => `HTTP/1.1 301 Moved\r\nLocation: ${req.url}x\r\nContent-Length: 0\r\n\r\n`);
    const plain = make(loop.url);
    const error = await new Promise<Error>((resolve) => plain.on('error', resolve));
    expect((error as ConnectError).response?.status).toBe(301);
    const limited = make(loop.url, [], { followRedirects: true, maxRedirects: 2 });
    const redirects: unknown[] = [];
    limited.on('redirect', (url) => redirects.push(url));
    const limitError = await new Promise<Error>((resolve) => limited.on('error', resolve));
    expect(limitError.message).toMatch(/more than 2 redirects/);
    expect(redirects).toHaveLength(2);
  });

  test("'ping' with autoPong (default): answered; with autoPong false: answered by pong()", async () => {
    for (const autoPong of [true, false]) {
      const ws = make(server.url, [], { autoPong });
      await new Promise((resolve) => { ws.onopen = resolve; });
      const conn = server.connections.at(-1)!;
      const pongs: string[] = [];
      conn.ws.on('pong', (data) => pongs.push(String(data)));
      const pings: string[] = [];
      ws.on('ping', (data) => {
        pings.push(String(data));
        if (!autoPong) ws.pong('manual');
      });
      conn.ws.ping('hello');
      await waitUntil(() => pongs.length === 1, 10000, 'pong');
      expect(pings).toEqual(['hello']);
      expect(pongs).toEqual([autoPong ? 'hello' : 'manual']);
    }
  });
});

describe('WHATWG behaviours against a real server', () => {
  test('close() without a code sends a close frame without a status code: the server sees 1005', async () => {
    const ws = make(server.url);
    await new Promise((resolve) => { ws.onopen = resolve; });
    ws.close();
    const event = await new Promise<CloseEvent>((resolve) => { ws.onclose = resolve as never; });
    expect(event.code).toBe(1005);
    expect((await server.connections.at(-1)!.closed).code).toBe(1005);
  });

  test('bufferedAmount counts what send() queued at once and falls in a later task', async () => {
    const ws = make(server.url);
    await new Promise((resolve) => { ws.onopen = resolve; });
    ws.send('x'.repeat(65000));
    ws.send(new Uint8Array(1000));
    expect(ws.bufferedAmount).toBe(66000);
    await waitUntil(() => ws.bufferedAmount === 0, 10000, 'bufferedAmount 0');
  });

  test('the error event fires with readyState CLOSED, then close', async () => {
    const ws = make('ws://127.0.0.1:1/');  // a blocked port: error event, not a throw
    const states: unknown[] = [];
    ws.onerror = () => states.push(['error', ws.readyState]);
    ws.onclose = (event) => states.push(['close', ws.readyState, event.code]);
    await waitUntil(() => states.length === 2, 10000, 'close');
    expect(states).toEqual([['error', WebSocket.CLOSED], ['close', WebSocket.CLOSED, 1006]]);
  });

  test('user:pass@ in the URL becomes Authorization: Basic; url keeps it', async () => {
    const url = server.url.replace('ws://', 'ws://al%40ice:s3cret@');
    const ws = make(url);
    await new Promise((resolve) => { ws.onopen = resolve; });
    expect(server.connections.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('al%40ice:s3cret').toString('base64')}`);
    expect(ws.url).toBe(new URL(url).href);
  });

  test('a relative URL resolves against the page (globalThis.location), whose origin is sent', async () => {
    const page = new URL(server.url.replace('ws://', 'http://'));
    page.pathname = '/app/index.html';
    (globalThis as { location?: unknown }).location = page;
    const ws = make('socket?x=1');
    expect(ws.url).toBe(`${server.url.replace(/\/$/, '')}/app/socket?x=1`);
    await new Promise((resolve) => { ws.onopen = resolve; });
    expect(server.connections.at(-1)!.headers.origin).toBe(page.origin);
  });

  test('WebIDL: argument counts, handler objects, repeated subprotocols in any case', () => {
    expect(() => new (WebSocket as unknown as new () => WebSocket)()).toThrow(TypeError);
    const ws = make(server.url);
    expect(() => (ws.send as () => void)()).toThrow(TypeError);
    const handler = { handleEvent: () => undefined };
    ws.onmessage = handler as never;
    expect(ws.onmessage).toBe(handler);
    ws.onmessage = 5 as never;
    expect(ws.onmessage).toBeNull();
    expect(() => new WebSocket(server.url, ['chat', 'Chat'])).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(Object.prototype.toString.call(ws)).toBe('[object WebSocket]');
    expect(WebSocket.length).toBe(1);
    expect(Object.getOwnPropertyDescriptor(WebSocket, 'OPEN')).toMatchObject({ writable: false, configurable: false, enumerable: true });
  });
});
