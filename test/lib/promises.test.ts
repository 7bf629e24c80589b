// The promise face against real servers: connect() and its typed errors, the async
// iterator, send() backpressure, close(), AbortSignal and the connect timeout.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { connect, type WebSocketConnection } from '../../lib/promises';
import {
  ConnectError, ConnectionClosedError, ConnectionLostError, ConnectTimeoutError, InvalidArgumentError, InvalidUrlError,
  MessageTooBigError,
} from '../../lib/errors';
import {
  getRefusedPort, startEchoServer, startSilentServer, waitUntil, type EchoServer, type SilentServer,
} from '../helpers/ws-server';
import { RawServer, frame } from '../conformance/raw-server';

let server: EchoServer;
let silent: SilentServer;
let raw: RawServer;
const sockets: WebSocketConnection[] = [];

async function open(url = server.url, options: Parameters<typeof connect>[1] = {}): Promise<WebSocketConnection> {
  const socket = await connect(url, options);
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  server = await startEchoServer();
  silent = await startSilentServer();
  raw = await RawServer.start();
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});
afterAll(async () => {
  await server.close();
  await silent.close();
  await raw.close();
});

describe('connect()', () => {
  test('resolves with the open connection: url, protocol, extensions, handshake response', async () => {
    const socket = await open(`${server.url}/p`, { protocols: ['chat'], headers: { 'X-Hello': 'there' } });
    expect(socket.url).toBe(`${server.url}/p`);
    expect(socket.protocol).toBe('chat');
    expect(socket.extensions).toBe('');
    expect(socket.state).toBe('open');
    expect(socket.response.status).toBe(101);
    expect(socket.response.headers['sec-websocket-protocol']).toBe('chat');
    expect(server.connections.at(-1)!.headers['x-hello']).toBe('there');
  });

  test('refused: rejects with ConnectError 1003', async () => {
    const error = await connect(`ws://127.0.0.1:${await getRefusedPort()}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: 1003, codeName: 'WEBSOCKET_CONNECTION_ERROR', name: 'ConnectError' });
  });

  test('HTTP 403: rejects with ConnectError whose response holds the status and headers', async () => {
    void raw.expect('/forbidden', { status: 403, headers: [['X-Why', 'no']], endAfterResponse: true });
    const error = await connect(`${raw.url}/forbidden`).catch((e: unknown) => e) as ConnectError;
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.response).toEqual({ status: 403, headers: expect.objectContaining({ 'x-why': 'no' }) });
  });

  test('timeout: rejects with ConnectTimeoutError and abandons the connection', async () => {
    const before = silent.accepted();
    const error = await connect(silent.url, { timeout: 200 }).catch((e: unknown) => e) as ConnectTimeoutError;
    expect(error).toBeInstanceOf(ConnectTimeoutError);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.timeout).toBe(200);
    expect(silent.accepted()).toBe(before + 1);
  });

  test('bad arguments throw synchronously, one by one', () => {
    expect(() => connect('ftp://127.0.0.1/')).toThrow(InvalidUrlError);
    expect(() => connect('ws://127.0.0.1/#x')).toThrow(InvalidUrlError);
    expect(() => connect('nonsense')).toThrow(expect.objectContaining({ code: 2302001, codeName: 'WEBSOCKET_URL_ERROR' }));
    expect(() => connect(server.url, { protocols: ['a', 'a'] })).toThrow(InvalidArgumentError);
    expect(() => connect(server.url, { headers: { 'X-A': 'a\r\nb' } })).toThrow(InvalidArgumentError);
    expect(() => connect(server.url, { headers: { 'X-A': 'a\r\nb' } })).toThrow(expect.objectContaining({ code: 401 }));
    expect(() => connect(server.url, { timeout: 0 })).toThrow(InvalidArgumentError);
    expect(() => connect(server.url, { signal: {} as AbortSignal })).toThrow(InvalidArgumentError);
    expect(() => connect(server.url, { bogus: 1 } as never)).toThrow(/bogus.*not supported/);
  });
});

describe('AbortSignal', () => {
  test('already aborted: rejects with its reason, nothing is connected', async () => {
    const before = server.connections.length;
    const reason = new Error('not today');
    await expect(connect(server.url, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(server.connections.length).toBe(before);
  });

  test('aborted while connecting: rejects with its reason', async () => {
    const controller = new AbortController();
    const promise = connect(silent.url, { signal: controller.signal });
    await waitUntil(() => silent.accepted() > 0, 5000, 'TCP accept');
    controller.abort();
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('AbortError');
  });

  test('aborted while open under traffic: the connection closes (1000), iteration throws the reason', async () => {
    const controller = new AbortController();
    const socket = await open(server.url, { signal: controller.signal });
    const conn = server.connections.at(-1)!;
    const got: unknown[] = [];
    const loop = (async () => {
      for await (const message of socket) {
        got.push(message);
        if (got.length === 50) controller.abort(new Error('enough'));
        else if (got.length < 50) void socket.send(`m${got.length}`).catch(() => undefined);
      }
    })();
    void socket.send('m0');
    await expect(loop).rejects.toThrow('enough');
    expect(got.slice(0, 3)).toEqual(['m0', 'm1', 'm2']);
    expect(await socket.closed).toMatchObject({ code: 1000 });
    expect((await conn.closed).code).toBe(1000);
  });
});

describe('async iteration', () => {
  test('yields text as strings and binary as Buffers, in order; ends when the server closes', async () => {
    const connP = raw.expect('/stream');
    const socket = await open(`${raw.url}/stream`);
    const conn = await connP;
    const frames = [];
    for (let i = 0; i < 200; i += 1) frames.push(i % 2 ? frame.binary(Buffer.from([i & 0xff])) : frame.text(`t${i}`));
    await conn.write(Buffer.concat([...frames, frame.close(4001, 'end of stream')]));
    const got: Array<string | Buffer> = [];
    for await (const message of socket) got.push(message);
    expect(got).toHaveLength(200);
    expect(got[0]).toBe('t0');
    expect(got[1]).toEqual(Buffer.from([1]));
    expect(got[199]).toEqual(Buffer.from([199]));
    expect(await socket.closed).toEqual({ code: 4001, reason: 'end of stream', wasClean: true });
  });

  test('messages that arrive before iteration starts are kept', async () => {
    const connP = raw.expect('/early');
    const socket = await open(`${raw.url}/early`);
    const conn = await connP;
    await conn.write(Buffer.concat([frame.text('a'), frame.text('b'), frame.close(1000)]));
    await socket.closed;
    const got: unknown[] = [];
    for await (const message of socket.messages()) got.push(message);
    expect(got).toEqual(['a', 'b']);
  });

  test('breaking out of the loop closes the connection with 1000', async () => {
    const socket = await open();
    const conn = server.connections.at(-1)!;
    await socket.send('one');
    for await (const message of socket) {
      expect(message).toBe('one');
      break;
    }
    expect(socket.state).not.toBe('open');
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });
    expect((await socket.closed).wasClean).toBe(true);
  });

  test('a failure ends iteration with the typed error, after the messages before it', async () => {
    const connP = raw.expect('/toobig');
    const socket = await open(`${raw.url}/toobig`, { maxPayload: 10 });
    const conn = await connP;
    await conn.write(Buffer.concat([frame.text('ok'), frame.text('x'.repeat(11))]));
    const got: unknown[] = [];
    const iteration = (async () => { for await (const message of socket) got.push(message); })().catch((e: unknown) => e);
    await conn.until(() => conn.closeFrame !== null, 10000);
    await conn.write(frame.close(1009));
    conn.end();
    const error = await iteration;
    expect(got).toEqual(['ok']);
    expect(error).toBeInstanceOf(MessageTooBigError);
    expect((await socket.closed).code).toBe(1009);
  });

  test('a lost connection ends iteration with ConnectionLostError', async () => {
    const connP = raw.expect('/lost');
    const socket = await open(`${raw.url}/lost`);
    (await connP).destroy();
    await expect((async () => { for await (const _ of socket) { /* none */ } })()).rejects.toBeInstanceOf(ConnectionLostError);
    expect(await socket.closed).toMatchObject({ code: 1006, wasClean: false });
  });
});

describe('send() and close()', () => {
  test('send() resolves once the data has left the process; awaiting it bounds bufferedAmount', async () => {
    const socket = await open();
    const conn = server.connections.at(-1)!;
    const chunk = Buffer.alloc(1024 * 1024, 3);
    for (let i = 0; i < 16; i += 1) {
      await socket.send(chunk);
      expect(socket.bufferedAmount).toBeLessThanOrEqual(chunk.length);
    }
    await conn.waitForMessages(16, 20000);
    expect(conn.received.every((m) => m.isBinary && m.data.length === chunk.length)).toBe(true);
  });

  test('bufferedAmount counts what has not left the process: 64 MiB to a server that does not read', async () => {
    const connP = raw.expect('/paused');
    const socket = await open(`${raw.url}/paused`);
    const conn = await connP;
    conn.socket.pause();
    let sent = false;
    const sending = socket.send(Buffer.alloc(64 * 1024 * 1024, 1)).then(() => { sent = true; });
    // However long the loop runs, the kernel cannot hold 64 MiB for a peer that does not read.
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(socket.bufferedAmount).toBeGreaterThan(0);
    expect(sent).toBe(false);
    conn.socket.resume();
    await sending;
    await conn.until(() => conn.messages.length === 1, 20000);
    expect(conn.messages[0].data.length).toBe(64 * 1024 * 1024);
  });

  test('a send pending when the connection drops rejects with ConnectionClosedError', async () => {
    const socket = await open();
    const pending = socket.send(Buffer.alloc(32 * 1024 * 1024));
    socket.terminate();
    await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  test('send() after close() throws ConnectionClosedError synchronously', async () => {
    const socket = await open();
    const closing = socket.close();
    expect(() => socket.send('late')).toThrow(ConnectionClosedError);
    await closing;
    expect(() => socket.send('late')).toThrow(expect.objectContaining({ code: 1017, codeName: 'WEBSOCKET_NO_CONNECTION' }));
  });

  test('close(code, reason) resolves with how it ended; the server sees the code and reason', async () => {
    const socket = await open();
    const conn = server.connections.at(-1)!;
    expect(await socket.close(4100, 'bye')).toEqual({ code: 4100, reason: 'bye', wasClean: true });
    expect(await conn.closed).toEqual({ code: 4100, reason: 'bye' });
    expect(await socket.close()).toEqual({ code: 4100, reason: 'bye', wasClean: true });
  });

  test('close() with a bad code or a long reason throws InvalidArgumentError synchronously', async () => {
    const socket = await open();
    for (const code of [999, 1004, 1005, 1006, 1015, 2000, 5000, 1000.5]) {
      expect(() => socket.close(code)).toThrow(InvalidArgumentError);
    }
    expect(() => socket.close(1000, 'x'.repeat(124))).toThrow(InvalidArgumentError);
    expect(socket.state).toBe('open');
    await socket.close(1001);
  });

  test('ping(): payload over 125 bytes throws; a ping is answered (the connection stays open)', async () => {
    const socket = await open();
    expect(() => socket.ping(Buffer.alloc(126))).toThrow(InvalidArgumentError);
    socket.ping('hi');
    await socket.send('after ping');
    for await (const message of socket) {
      expect(message).toBe('after ping');
      break;
    }
  });
});
