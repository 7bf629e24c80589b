// The WHATWG WebSocket face against real servers: readyState transitions, event order,
// close validation, binaryType conversions, send() types, every Node option and every error.
import { Blob } from 'node:buffer';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from '../../lib/websocket';
import { CloseEvent, MessageEvent } from '../../lib/events';
import {
  ConnectError, ConnectionClosedError, ConnectionLostError, MessageTooBigError, WebSocketError,
} from '../../lib/errors';
import { startEchoServer, getRefusedPort, startSilentServer, waitUntil, type EchoServer, type SilentServer } from '../helpers/ws-server';
import { EventLog } from '../helpers/faces';
import { RawServer, frame } from '../conformance/raw-server';

let server: EchoServer;
let silent: SilentServer;
let raw: RawServer;
const open: WebSocket[] = [];

function make(...args: ConstructorParameters<typeof WebSocket>): WebSocket {
  const ws = new WebSocket(...args);
  open.push(ws);
  return ws;
}

async function opened(ws: WebSocket): Promise<EventLog> {
  const log = new EventLog(ws);
  await waitUntil(() => log.events.length > 0, 10000, 'open');
  expect(log.types()).toEqual(['open']);
  return log;
}

beforeAll(async () => {
  server = await startEchoServer();
  silent = await startSilentServer();
  raw = await RawServer.start();
});

afterEach(() => {
  for (const ws of open.splice(0)) ws.terminate();
});

afterAll(async () => {
  await server.close();
  await silent.close();
  await raw.close();
});

describe('constants and attributes', () => {
  test('CONNECTING/OPEN/CLOSING/CLOSED on the class, the prototype and the instance', () => {
    expect([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]).toEqual([0, 1, 2, 3]);
    const ws = make(server.url);
    expect([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(Object.getOwnPropertyNames(ws)).not.toContain('OPEN');
    expect(WebSocket.prototype.OPEN).toBe(1);
  });

  test('initial state: CONNECTING, empty protocol and extensions, binaryType nodebuffer, bufferedAmount 0', () => {
    const ws = make(server.url);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(ws.protocol).toBe('');
    expect(ws.extensions).toBe('');
    expect(ws.binaryType).toBe('nodebuffer');
    expect(ws.bufferedAmount).toBe(0);
    expect(ws).toBeInstanceOf(EventTarget);
  });

  test('url: serialized, http: becomes ws:, https: becomes wss:, URL objects accepted', () => {
    expect(make(`${server.url}/a?b=1`).url).toBe(`${server.url}/a?b=1`);
    expect(make(server.url).url).toBe(`${server.url}/`);
    expect(make(server.url.replace('ws:', 'http:')).url).toBe(`${server.url}/`);
    const wss = new WebSocket('https://127.0.0.1:1/x');
    expect(wss.url).toBe('wss://127.0.0.1:1/x');
    wss.terminate();
    expect(make(new URL(`${server.url}/u`)).url).toBe(`${server.url}/u`);
  });
});

describe('constructor validation (synchronous DOMException SyntaxError)', () => {
  const bad = [
    ['not a URL', 'not a url'],
    ['a relative URL', '/path'],
    ['another scheme', 'ftp://127.0.0.1/'],
    ['a fragment', 'ws://127.0.0.1/#frag'],
    ['an empty fragment', 'ws://127.0.0.1/#'],
  ];
  test.each(bad)('%s', (_what, url) => {
    let error: unknown;
    try { new WebSocket(url); } catch (err) { error = err; }
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('SyntaxError');
  });

  test.each([
    ['a duplicate subprotocol', ['chat', 'chat']],
    ['an empty subprotocol', ['']],
    ['a subprotocol with a space', ['a b']],
    ['a subprotocol with a comma', ['a,b']],
  ])('%s', (_what, protocols) => {
    expect(() => new WebSocket(server.url, protocols)).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
  });

  test.each([
    ['CR/LF in a header value', { 'X-A': 'a\r\nInjected: 1' }],
    ['LF in a header value', { 'X-A': 'a\nb' }],
    ['a header name with a space', { 'X A': 'v' }],
    ['a header name with CR/LF', { 'X-A\r\n': 'v' }],
    ['a header the engine sets (Sec-WebSocket-Key)', { 'Sec-WebSocket-Key': 'x' }],
    ['Sec-WebSocket-Protocol as a header', { 'Sec-WebSocket-Protocol': 'chat' }],
  ])('%s', (_what, headers) => {
    expect(() => new WebSocket(server.url, [], { headers })).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
  });

  test('bad options: TypeError or RangeError, and unknown options are refused', () => {
    expect(() => new WebSocket(server.url, [], { maxPayload: -1 })).toThrow(RangeError);
    expect(() => new WebSocket(server.url, [], { handshakeTimeout: 1.5 })).toThrow(RangeError);
    expect(() => new WebSocket(server.url, [], { rejectUnauthorized: 'no' as unknown as boolean })).toThrow(TypeError);
    expect(() => new WebSocket(server.url, [], { followRedirects: 'yes' } as never)).toThrow(/followRedirects must be true or false/);
    expect(() => new WebSocket(server.url, [], { noSuchOption: true } as never)).toThrow(/noSuchOption.*not supported/);
    expect(() => new WebSocket(server.url, [], { perMessageDeflate: { serverMaxWindowBits: 16 } })).toThrow(RangeError);
    expect(() => new WebSocket(server.url, [], { perMessageDeflate: { level: 9 } as never })).toThrow(/level.*not supported/);
    expect(() => new WebSocket(server.url, [], { ca: 'not pem' })).toThrow(/PEM/);
    expect(() => new WebSocket(server.url, [], { cert: '-----BEGIN CERTIFICATE-----' })).toThrow(/cert and key/);
  });
});

describe('lifecycle and event order', () => {
  test('CONNECTING -> OPEN -> CLOSING -> CLOSED; open, message, close in order, each once', async () => {
    const ws = make(server.url);
    const log = new EventLog(ws);
    await log.waitFor('open');
    ws.send('one');
    ws.send('two');
    await log.waitFor('message', 2);
    ws.close(1000, 'done');
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    await log.waitFor('close');
    expect(log.types()).toEqual(['open', 'message', 'message', 'close']);
    expect(log.events.map((e) => e.readyState)).toEqual([1, 1, 1, 3]);
    expect(log.of('message').map((e) => e.data)).toEqual(['one', 'two']);
    const close = log.of('close')[0];
    expect(close.event).toBeInstanceOf(CloseEvent);
    expect([close.code, close.reason, close.wasClean]).toEqual([1000, 'done', true]);
    expect((await server.connections.at(-1)!.closed)).toEqual({ code: 1000, reason: 'done' });
  });

  test('message events are MessageEvents with the origin of the URL', async () => {
    const ws = make(`${server.url}/path?q=1`);
    const log = await opened(ws);
    ws.send('x');
    const [message] = await log.waitFor('message');
    expect(message.event).toBeInstanceOf(MessageEvent);
    expect((message.event as MessageEvent).origin).toBe(server.url);
  });

  // Message events are made without the global class's (slow, WebIDL-converting)
  // constructor, yet must look like its instances to code written for the global WebSocket.
  test('message and close events are instances of the global classes, with their constructor, tag and attributes', async () => {
    const ws = make(server.url);
    ws.binaryType = 'arraybuffer';
    const log = await opened(ws);
    ws.send(new Uint8Array([1, 2, 3]));
    const [message] = await log.waitFor('message');
    const event = message.event as MessageEvent<ArrayBuffer>;
    const globals = globalThis as { MessageEvent?: unknown; CloseEvent?: unknown };
    for (const cls of [MessageEvent, globals.MessageEvent].filter((c) => typeof c === 'function')) {
      expect(event).toBeInstanceOf(cls as typeof MessageEvent);
    }
    expect(event.constructor).toBe(MessageEvent);
    expect(event).toBeInstanceOf(Event);
    expect(Object.prototype.toString.call(event)).toBe('[object MessageEvent]');
    expect([event.type, event.origin, event.lastEventId, event.source, event.target]).toEqual(['message', server.url, '', null, ws]);
    expect(event.ports).toEqual([]);
    expect(Object.isFrozen(event.ports)).toBe(true);
    expect([...new Uint8Array(event.data)]).toEqual([1, 2, 3]);
    expect([event.bubbles, event.cancelable, event.defaultPrevented]).toEqual([false, false, false]);
    ws.close(4000, 'über');
    const [close] = await log.waitFor('close');
    const closeEvent = close.event as CloseEvent;
    for (const cls of [CloseEvent, globals.CloseEvent].filter((c) => typeof c === 'function')) {
      expect(closeEvent).toBeInstanceOf(cls as typeof CloseEvent);
    }
    expect(closeEvent.constructor).toBe(CloseEvent);
    expect(Object.prototype.toString.call(closeEvent)).toBe('[object CloseEvent]');
    expect([closeEvent.type, closeEvent.code, closeEvent.reason, closeEvent.wasClean]).toEqual(['close', 4000, 'über', true]);
  });

  test('a close from the server: close event with its code and reason, clean', async () => {
    const ws = make(server.url);
    const log = await opened(ws);
    const conn = await server.waitForConnection(server.connections.length - 1);
    conn.close(4321, 'server says bye');
    const [close] = await log.waitFor('close');
    expect(log.types()).toEqual(['open', 'close']);
    expect([close.code, close.reason, close.wasClean]).toEqual([4321, 'server says bye', true]);
  });

  test('close() without arguments: a close frame without a status code; the server sees 1005', async () => {
    const ws = make(server.url);
    const log = await opened(ws);
    const conn = server.connections.at(-1)!;
    ws.close();
    await log.waitFor('close');
    expect(await conn.closed).toEqual({ code: 1005, reason: '' });
    expect(log.of('close')[0]).toMatchObject({ code: 1005, wasClean: true });
  });

  test('close(undefined, reason) closes with 1000 and the reason', async () => {
    const ws = make(server.url);
    const log = await opened(ws);
    const conn = server.connections.at(-1)!;
    ws.close(undefined, 'why');
    await log.waitFor('close');
    expect(await conn.closed).toEqual({ code: 1000, reason: 'why' });
  });

  test('close() while CONNECTING: readyState CLOSING at once, then error and close 1006, never open', async () => {
    const ws = make(silent.url);
    const log = new EventLog(ws);
    ws.close();
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    await log.waitFor('close');
    expect(log.types()).toEqual(['error', 'close']);
    expect(log.of('error')[0].error).toBeInstanceOf(ConnectError);
    expect(log.of('close')[0]).toMatchObject({ code: 1006, wasClean: false, readyState: 3 });
  });

  test('close() twice and close() after CLOSED do nothing', async () => {
    const ws = make(server.url);
    const log = await opened(ws);
    ws.close(1000);
    ws.close(4000);
    await log.waitFor('close');
    ws.close();
    expect(log.types()).toEqual(['open', 'close']);
    expect(log.of('close')[0].code).toBe(1000);
  });
});

describe('close() validation', () => {
  test.each([0, 999, 1001, 1005, 1006, 1015, 2999, 5000, 65535, Number.NaN])('close(%s) throws InvalidAccessError', async (code) => {
    const ws = make(server.url);
    await opened(ws);
    expect(() => ws.close(code)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  test('codes 1000, 3000 and 4999 are accepted; a fraction is clamped (WebIDL [Clamp])', async () => {
    for (const [code, expected] of [[1000, 1000], [3000, 3000], [4999, 4999], [1000.4, 1000], [3000.5, 3000]]) {
      const ws = make(server.url);
      const log = await opened(ws);
      const conn = server.connections.at(-1)!;
      ws.close(code);
      await log.waitFor('close');
      expect((await conn.closed).code).toBe(expected);
    }
  });

  test('a reason over 123 bytes of UTF-8 throws SyntaxError; 123 bytes are accepted', async () => {
    const ws = make(server.url);
    const log = await opened(ws);
    expect(() => ws.close(1000, 'x'.repeat(124))).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(() => ws.close(1000, 'é'.repeat(62))).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const conn = server.connections.at(-1)!;
    ws.close(1000, 'é'.repeat(61) + 'x');
    await log.waitFor('close');
    expect((await conn.closed).reason).toBe('é'.repeat(61) + 'x');
  });

  test('the arguments are checked even when the socket is already closed', async () => {
    const ws = make(server.url);
    const log = await opened(ws);
    ws.close();
    await log.waitFor('close');
    expect(() => ws.close(1)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
  });
});

describe('send()', () => {
  test('throws InvalidStateError while CONNECTING', () => {
    const ws = make(silent.url);
    expect(() => ws.send('x')).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
  });

  test('strings go as text, every binary type as binary, in order (a Blob does not overtake)', async () => {
    const ws = make(server.url, { });
    await opened(ws);
    const conn = server.connections.at(-1)!;
    const bytes = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    ws.send('text');
    ws.send(Buffer.from('buffer'));
    ws.send(bytes.buffer);
    ws.send(new Uint8Array(bytes.buffer, 2, 3));
    ws.send(new DataView(bytes.buffer, 4, 2));
    ws.send(new Uint16Array([0x0102]));
    ws.send(new Blob(['blob ', Buffer.from('bytes')]) as unknown as globalThis.Blob);
    ws.send('after the blob');
    ws.send(123 as unknown as string);
    ws.send('\uD800 lone');
    const got = await conn.waitForMessages(10);
    expect(got.map((m) => m.isBinary)).toEqual([false, true, true, true, true, true, true, false, false, false]);
    expect(got.map((m) => m.data.toString('hex'))).toEqual([
      Buffer.from('text').toString('hex'), Buffer.from('buffer').toString('hex'), '0001020304050607', '020304', '0405',
      Buffer.from(new Uint16Array([0x0102]).buffer).toString('hex'), Buffer.from('blob bytes').toString('hex'),
      Buffer.from('after the blob').toString('hex'), Buffer.from('123').toString('hex'), Buffer.from('\uFFFD lone').toString('hex'),
    ]);
  });

  test('ws-style options.binary forces the frame type', async () => {
    const ws = make(server.url);
    await opened(ws);
    const conn = server.connections.at(-1)!;
    ws.send('as binary', { binary: true });
    ws.send(Buffer.from('as text'), { binary: false });
    const got = await conn.waitForMessages(2);
    expect(got.map((m) => [m.isBinary, m.data.toString()])).toEqual([[true, 'as binary'], [false, 'as text']]);
  });

  test('the callback runs once the data has left the process; bufferedAmount is back to 0 then', async () => {
    const ws = make(server.url);
    await opened(ws);
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const results: Array<Error | undefined> = [];
    ws.send(big, (err) => results.push(err));
    ws.send('small', (err) => results.push(err));
    await waitUntil(() => results.length === 2, 15000, 'send callbacks');
    expect(results).toEqual([undefined, undefined]);
    await waitUntil(() => ws.bufferedAmount === 0, 5000, 'bufferedAmount 0');
  });

  test('bufferedAmount holds what send() queued for the rest of the task, and shows what left from the next task on', async () => {
    const ws = make(server.url);
    await opened(ws);
    // 256 KiB is written at once (not batched): the engine's count drops inside send().
    for (const size of [10, 256 * 1024]) {
      ws.send(Buffer.alloc(size));
      expect(ws.bufferedAmount).toBe(size);
      ws.send(Buffer.alloc(size));
      expect(ws.bufferedAmount).toBe(2 * size);
      await Promise.resolve();
      expect(ws.bufferedAmount).toBe(2 * size);  // a microtask is still this task
      // A later task sees what left: a timer, an immediate, whichever comes first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await waitUntil(() => ws.bufferedAmount === 0, 5000, 'bufferedAmount 0');
    }
    // A quiet connection: the value is not held past the task in which it was taken.
    ws.send('x');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ws.bufferedAmount).toBe(0);
  });

  test('two copies of the module in one thread (dist/ beside lib/) share the turn count and the receive area', async () => {
    const load = createRequire(__filename);
    const { WebSocket: OtherCopy } = load('../../dist/websocket.js') as { WebSocket: typeof WebSocket };
    expect(OtherCopy).not.toBe(WebSocket);
    const sockets = [make(server.url), new OtherCopy(server.url)];
    open.push(sockets[1]);
    await Promise.all(sockets.map((ws) => opened(ws)));
    const received: string[][] = [[], []];
    sockets.forEach((ws, i) => { ws.onmessage = (event: MessageEvent) => received[i].push(String(event.data)); });
    for (let round = 0; round < 50; round += 1) {
      sockets.forEach((ws, i) => { ws.send(`${i}:${round}`); ws.send(`${i}:${round}b`); });
      expect(sockets.map((ws) => ws.bufferedAmount)).toEqual(sockets.map((_, i) => 2 * `${i}:${round}`.length + 1));
      await waitUntil(() => received[0].length === 2 * (round + 1) && received[1].length === 2 * (round + 1), 5000, 'echoes');
      expect(sockets.map((ws) => ws.bufferedAmount)).toEqual([0, 0]);
    }
    expect(received).toEqual([0, 1].map((i) => Array.from({ length: 50 }, (_, r) => [`${i}:${r}`, `${i}:${r}b`]).flat()));
  });

  test('bufferedAmount: data for a peer that does not read stays counted; the callback waits for it', async () => {
    const connP = raw.expect('/whatwg-paused');
    const ws = make(`${raw.url}/whatwg-paused`);
    await opened(ws);
    const conn = await connP;
    conn.socket.pause();
    let done = false;
    ws.send(Buffer.alloc(64 * 1024 * 1024, 2), () => { done = true; });
    expect(ws.bufferedAmount).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(ws.bufferedAmount).toBeGreaterThan(0);
    expect(done).toBe(false);
    conn.socket.resume();
    await waitUntil(() => done, 20000, 'send callback');
    await waitUntil(() => ws.bufferedAmount === 0, 5000, 'bufferedAmount 0');
  });

  test('after close(): no exception, nothing sent, bufferedAmount grows, the callback gets ConnectionClosedError', async () => {
    const ws = make(server.url);
    const log = await opened(ws);
    ws.close();
    const before = ws.bufferedAmount;
    let callbackError: unknown;
    ws.send('12345', (err) => { callbackError = err; });
    ws.send(new Uint8Array(10));
    expect(ws.bufferedAmount).toBe(before + 15);
    await log.waitFor('close');
    ws.send('x');
    expect(ws.bufferedAmount).toBe(before + 16);
    await waitUntil(() => callbackError !== undefined, 5000, 'send callback');
    expect(callbackError).toBeInstanceOf(ConnectionClosedError);
    expect((callbackError as WebSocketError).code).toBe(1017);
  });
});

describe('binaryType', () => {
  test.each([
    ['nodebuffer', (d: unknown) => Buffer.isBuffer(d) && d.toString('hex')],
    ['arraybuffer', (d: unknown) => d instanceof ArrayBuffer && Buffer.from(d).toString('hex')],
    ['blob', async (d: unknown) => d instanceof Blob && Buffer.from(await d.arrayBuffer()).toString('hex')],
  ] as const)('%s', async (type, check) => {
    const ws = make(server.url);
    const log = await opened(ws);
    ws.binaryType = type;
    ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    ws.send('text stays a string');
    const [binary, text] = await log.waitFor('message', 2);
    expect(await check(binary.data)).toBe('deadbeef');
    expect(text.data).toBe('text stays a string');
  });

  test('an unknown value is ignored (WebIDL enum)', () => {
    const ws = make(server.url);
    ws.binaryType = 'arraybuffer';
    ws.binaryType = 'fragments' as never;
    expect(ws.binaryType).toBe('arraybuffer');
  });

  test('an ArrayBuffer holds exactly the message (no pooled extra bytes)', async () => {
    const ws = make(server.url);
    const log = await opened(ws);
    ws.binaryType = 'arraybuffer';
    ws.send(Buffer.from([1, 2, 3]));
    const [message] = await log.waitFor('message');
    expect((message.data as ArrayBuffer).byteLength).toBe(3);
  });
});

describe('event handler attributes', () => {
  test('on* handlers: get/set, replaced in place, removed by null, non-functions become null', async () => {
    const ws = make(server.url);
    const calls: string[] = [];
    const a = (): void => { calls.push('a'); };
    const b = (): void => { calls.push('b'); };
    ws.onopen = a;
    ws.addEventListener('open', () => calls.push('listener'));
    ws.onopen = b; // keeps the first position
    expect(ws.onopen).toBe(b);
    ws.onmessage = () => calls.push('message');
    ws.onmessage = null;
    expect(ws.onmessage).toBeNull();
    ws.onclose = 'not a function' as never;
    expect(ws.onclose).toBeNull();
    await waitUntil(() => calls.length >= 2, 10000, 'open');
    expect(calls).toEqual(['b', 'listener']);
    ws.send('x');
    const log = new EventLog(ws);
    await log.waitFor('message');
    expect(calls).toEqual(['b', 'listener']);
  });

  test('handlers run with `this` = the socket; handleEvent objects work', async () => {
    const ws = make(server.url);
    let self: unknown;
    let objectCalled = false;
    ws.onopen = function (this: WebSocket) { self = this; };
    ws.addEventListener('open', { handleEvent: () => { objectCalled = true; } });
    await waitUntil(() => objectCalled, 10000, 'open');
    expect(self).toBe(ws);
  });

  test('one listener serves every handler: null then set again moves it last; each socket calls its own; a function that is also a listener runs twice', async () => {
    const calls: string[] = [];
    const shared = function (this: WebSocket, event: Event): void { calls.push(`${this === first ? 'first' : 'second'} ${event.type}`); };
    const first = make(server.url);
    const second = make(server.url);
    first.onopen = () => calls.push('first handler, set first');
    first.addEventListener('open', () => calls.push('first listener'));
    first.onopen = null;
    first.onopen = shared;  // now after the listener
    second.onopen = shared;
    second.addEventListener('open', shared);  // the same function as a listener too
    await waitUntil(() => calls.length >= 4, 10000, 'both open');
    expect(calls.filter((c) => c.startsWith('first'))).toEqual(['first listener', 'first open']);
    expect(calls.filter((c) => c.startsWith('second'))).toEqual(['second open', 'second open']);
    expect([first.onopen, second.onopen, second.onmessage]).toEqual([shared, shared, null]);
  });
});

describe('errors', () => {
  test('connection refused: error (ConnectError 1003) then close 1006, never open', async () => {
    const ws = make(`ws://127.0.0.1:${await getRefusedPort()}`);
    const log = new EventLog(ws);
    await log.waitFor('close');
    expect(log.types()).toEqual(['error', 'close']);
    const error = log.of('error')[0].error as ConnectError;
    expect(error).toBeInstanceOf(ConnectError);
    expect([error.code, error.codeName]).toEqual([1003, 'WEBSOCKET_CONNECTION_ERROR']);
    expect(error.cause).toBeInstanceOf(Error);
    expect(log.of('close')[0]).toMatchObject({ code: 1006, wasClean: false });
  });

  test('HTTP 401 to the handshake: the error carries the status and the response headers', async () => {
    const conn = raw.expect('/auth', { status: 401, headers: [['WWW-Authenticate', 'Bearer realm="x"']], endAfterResponse: true });
    const ws = make(`${raw.url}/auth`);
    const log = new EventLog(ws);
    await conn;
    await log.waitFor('close');
    expect(log.types()).toEqual(['error', 'close']);
    const error = log.of('error')[0].error as ConnectError;
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.response?.status).toBe(401);
    expect(error.response?.headers['www-authenticate']).toBe('Bearer realm="x"');
    expect(error.message).toMatch(/HTTP 401.*credentials/);
  });

  test('the server drops the TCP connection: error (ConnectionLostError) then close 1006', async () => {
    const connP = raw.expect('/drop');
    const ws = make(`${raw.url}/drop`);
    const log = await opened(ws);
    (await connP).destroy();
    await log.waitFor('close');
    expect(log.types()).toEqual(['open', 'error', 'close']);
    expect(log.of('error')[0].error).toBeInstanceOf(ConnectionLostError);
    expect(log.of('close')[0]).toMatchObject({ code: 1006, wasClean: false });
  });

  test('maxPayload: a larger message fails the connection (MessageTooBigError 1012, close 1009)', async () => {
    const connP = raw.expect('/big');
    const ws = make(`${raw.url}/big`, { maxPayload: 1000 });
    const log = await opened(ws);
    const conn = await connP;
    await conn.write(frame.binary(Buffer.alloc(1000, 1)));
    await conn.write(frame.binary(Buffer.alloc(1001, 2)));
    await log.waitFor('close');
    expect(log.types()).toEqual(['open', 'message', 'error', 'close']);
    const error = log.of('error')[0].error as MessageTooBigError;
    expect(error).toBeInstanceOf(MessageTooBigError);
    expect(error.code).toBe(1012);
    expect(log.of('close')[0].code).toBe(1009);
  });

  test('handshakeTimeout: no answer in time gives error then close 1006', async () => {
    const ws = make(silent.url, { handshakeTimeout: 300 });
    const log = new EventLog(ws);
    await log.waitFor('close');
    expect(log.types()).toEqual(['error', 'close']);
    expect(log.of('error')[0].error).toBeInstanceOf(ConnectError);
    expect(log.of('close')[0].code).toBe(1006);
  });

  test('terminate(): close 1006 without an error event (as ws)', async () => {
    const ws = make(server.url);
    const log = await opened(ws);
    ws.terminate();
    await log.waitFor('close');
    expect(log.types()).toEqual(['open', 'close']);
    expect(log.of('close')[0]).toMatchObject({ code: 1006, wasClean: false });
  });
});

describe('Node options', () => {
  test('headers (object, Map, pairs) and origin reach the server; the chosen subprotocol is reported', async () => {
    const cases: Array<[ConstructorParameters<typeof WebSocket>[2], Record<string, string>]> = [
      [{ headers: { 'X-One': '1', 'X-Num': 2 as unknown as string }, origin: 'https://app.example' }, { 'x-one': '1', 'x-num': '2', origin: 'https://app.example' }],
      [{ headers: new Map([['X-Map', 'm']]) }, { 'x-map': 'm' }],
      [{ headers: [['X-Pair', 'p'], ['Origin', 'https://o.example']] }, { 'x-pair': 'p', origin: 'https://o.example' }],
    ];
    for (const [options, expected] of cases) {
      const ws = make(server.url, ['chat', 'superchat'], options);
      await opened(ws);
      const conn = server.connections.at(-1)!;
      expect(conn.headers).toMatchObject(expected);
      expect(conn.headers['sec-websocket-protocol']).toBe('chat, superchat');
      expect(ws.protocol).toBe('chat');
    }
  });

  test('perMessageDeflate: offered by default (as ws and browsers) and negotiated; false offers nothing; parameters are sent', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const offers: Array<string | undefined> = [];
    wss.on('connection', (socket, request) => {
      offers.push(request.headers['sec-websocket-extensions']);
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    try {
      const deflated = make(url);
      const log = await opened(deflated);
      expect(deflated.extensions).toMatch(/^permessage-deflate/);
      const text = 'compressible '.repeat(10000);
      deflated.send(text);
      expect((await log.waitFor('message'))[0].data).toBe(text);
      expect((await opened(make(url, { perMessageDeflate: false }))) && offers[1]).toBeUndefined();
      const tuned = make(url, { perMessageDeflate: { clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 } });
      await opened(tuned);
      expect(offers).toEqual([
        'permessage-deflate; client_max_window_bits',
        undefined,
        'permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
      ]);
      expect(tuned.extensions).toContain('server_max_window_bits=10');
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });

  test('the second argument may be the options, as in ws', async () => {
    const ws = make(server.url, { headers: { 'X-Second': 'yes' } });
    await opened(ws);
    expect(server.connections.at(-1)!.headers['x-second']).toBe('yes');
  });

  test('a single subprotocol string', async () => {
    const ws = make(server.url, 'only');
    await opened(ws);
    expect(ws.protocol).toBe('only');
  });
});

describe('ws-style API', () => {
  test('on/once/off with ws signatures: message(data: Buffer, isBinary), close(code, reason: Buffer), pong(data)', async () => {
    const ws = make(server.url);
    const seen: unknown[][] = [];
    ws.on('open', () => {
      seen.push(['open']);
      ws.send('txt');
      ws.send(Buffer.from([9]));
      ws.ping('pp');
    });
    const onceListener = (data: unknown): void => { seen.push(['once', data]); };
    ws.once('message', onceListener);
    ws.on('message', (data, isBinary) => seen.push(['message', Buffer.isBuffer(data) ? data.toString('hex') : data, isBinary]));
    const removed = (): void => { seen.push(['removed']); };
    ws.on('message', removed);
    ws.off('message', removed);
    ws.on('pong', (data) => {
      seen.push(['pong', data.toString()]);
      ws.close(4000, 'bye');
    });
    ws.on('close', (code, reason) => seen.push(['close', code, Buffer.isBuffer(reason) && reason.toString()]));
    await waitUntil(() => seen.some((s) => s[0] === 'close'), 10000, 'close');
    expect(seen).toEqual([
      ['open'],
      ['once', Buffer.from('txt')],
      ['message', Buffer.from('txt').toString('hex'), false],
      ['message', '09', true],
      ['pong', 'pp'],
      ['close', 4000, 'bye'],
    ]);
  });

  test("on('error') gets the typed error", async () => {
    const ws = make(`ws://127.0.0.1:${await getRefusedPort()}`);
    let error: unknown;
    ws.on('error', (err) => { error = err; });
    await waitUntil(() => error !== undefined, 10000, 'error');
    expect(error).toBeInstanceOf(ConnectError);
  });

  test('ping(): InvalidStateError while CONNECTING, RangeError over 125 bytes', async () => {
    const ws = make(server.url);
    expect(() => ws.ping()).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
    await opened(ws);
    expect(() => ws.ping(Buffer.alloc(126))).toThrow(RangeError);
    ws.ping(Buffer.alloc(125));
  });
});
