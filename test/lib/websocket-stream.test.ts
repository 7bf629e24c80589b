// WebSocketStream against real peers: the behaviour WPT's websockets/stream/tentative tests
// check (constructor, close, abort and cancel, remote close, the signal, WebSocketError),
// each written here against our own servers, plus what our Node options add. Receive and
// send backpressure under a flood: backpressure-flood.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConnectError, WebSocketStream, WebSocketStreamError } from '../../lib/index';
import { frame, RawServer } from '../conformance/raw-server';
import {
  getRefusedPort, startEchoServer, startSilentServer, waitUntil, type EchoServer, type SilentServer,
} from '../helpers/ws-server';

let echo: EchoServer;
let silent: SilentServer;
let raw: RawServer;
let route = 0;
beforeAll(async () => {
  echo = await startEchoServer();
  silent = await startSilentServer();
  raw = await RawServer.start();
});
afterAll(async () => {
  await echo.close();
  await silent.close();
  await raw.close();
});

// lws cannot send a close frame without a status code: "no code" goes out as 1000, which
// the echo server reflects (README: differences). WPT expects 1005 there.
const NO_CODE = [1000, 1005];

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('the promise did not reject');
}

describe('constructor', () => {
  test('bad arguments throw as the proposal says', () => {
    expect(() => new (WebSocketStream as unknown as new () => WebSocketStream)()).toThrow(TypeError);
    expect(() => new WebSocketStream('invalid:')).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(() => new WebSocketStream(`${echo.url}/#frag`)).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(() => new WebSocketStream(echo.url, true as never)).toThrow(TypeError);
    expect(() => new WebSocketStream(echo.url, { protocols: 'chat' as unknown as string[] })).toThrow(TypeError);  // a sequence, as the IDL says
    expect(() => new WebSocketStream(echo.url, { protocols: ['a', 'a'] })).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(() => new WebSocketStream(echo.url, { protocols: ['bad token'] })).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(() => new WebSocketStream(echo.url, { signal: {} as AbortSignal })).toThrow(TypeError);
    expect(() => new WebSocketStream(echo.url, { followRedirects: true } as never)).toThrow(TypeError);
    expect(() => new WebSocketStream(echo.url, { highWaterMark: 0 })).toThrow(RangeError);
  });

  test('url, opened (readable, writable, protocol, extensions) and toStringTag', async () => {
    const wss = new WebSocketStream(echo.url.replace('ws:', 'http:'), { protocols: ['chat'], perMessageDeflate: false });
    expect(wss.url).toBe(`${echo.url}/`);
    expect(Object.prototype.toString.call(wss)).toBe('[object WebSocketStream]');
    const info = await wss.opened;
    expect(info.readable).toBeInstanceOf(ReadableStream);
    expect(info.writable).toBeInstanceOf(WritableStream);
    expect(info.protocol).toBe('chat');
    expect(info.extensions).toBe('');
    wss.close();
    await wss.closed;
  });
});

describe('messages', () => {
  test('strings go as text and come back as strings; BufferSources go as binary and come back as Uint8Array', async () => {
    const wss = new WebSocketStream(echo.url);
    const { readable, writable } = await wss.opened;
    const writer = writable.getWriter();
    const reader = readable.getReader();
    const bytes = new Uint8Array([1, 2, 3, 250]);
    await writer.write('héllo');
    await writer.write(bytes);
    await writer.write(bytes.buffer);
    await writer.write(new DataView(bytes.buffer, 1, 2));
    await writer.write(42 as never);  // anything else: its string
    const got = [];
    for (let i = 0; i < 5; i += 1) got.push((await reader.read()).value);
    expect(got[0]).toBe('héllo');
    for (const binary of got.slice(1, 4)) expect(binary).toBeInstanceOf(Uint8Array);
    expect([...(got[1] as Uint8Array)]).toEqual([1, 2, 3, 250]);
    expect([...(got[2] as Uint8Array)]).toEqual([1, 2, 3, 250]);
    expect([...(got[3] as Uint8Array)]).toEqual([2, 3]);
    expect(got[4]).toBe('42');
    await writer.close();
  });

  test('a shared or resizable buffer (or a view of one) is not a BufferSource: write() rejects with a TypeError', async () => {
    // Resizable ArrayBuffers are ES2024 (Node 20 has them; the project's lib setting does not).
    const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer;
    const chunks: unknown[] = [
      new Resizable(8, { maxByteLength: 64 }),
      new Uint8Array(new Resizable(8, { maxByteLength: 64 })),
      new SharedArrayBuffer(8),
      new Uint8Array(new SharedArrayBuffer(8)),
    ];
    for (const chunk of chunks) {
      const wss = new WebSocketStream(echo.url);
      const { writable } = await wss.opened;
      expect(await rejection(writable.getWriter().write(chunk as Uint8Array))).toBeInstanceOf(TypeError);
      wss.close();
      await wss.closed.catch(() => undefined);
    }
  });

  test('messages that arrived before a clean close can still be read, then the readable is done', async () => {
    route += 1;
    const connection = raw.expect(`/m${route}`);
    const wss = new WebSocketStream(`${raw.url}/m${route}`, { perMessageDeflate: false });
    const { readable } = await wss.opened;
    const conn = await connection;
    await conn.write(Buffer.concat([...Array.from({ length: 10 }, (_, i) => frame.text(`m${i}`)), frame.close(4000, 'bye')]));
    await waitUntil(() => conn.closeFrame !== null, 10_000, 'the close reply');
    conn.end();
    expect(await wss.closed).toEqual({ closeCode: 4000, reason: 'bye' });
    const got: unknown[] = [];
    for await (const chunk of readable) got.push(chunk);
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
  });
});

describe('close()', () => {
  test('a code and a reason are sent and come back in closed', async () => {
    const wss = new WebSocketStream(echo.url);
    await wss.opened;
    wss.close({ closeCode: 3456, reason: 'pizza' });
    expect(await wss.closed).toEqual({ closeCode: 3456, reason: 'pizza' });
    const server = echo.connections.at(-1)!;
    expect(await server.closed).toEqual({ code: 3456, reason: 'pizza' });
  });

  test.each([[undefined], [{}], [{ reason: '' }]])('close(%j): no code', async (info) => {
    const wss = new WebSocketStream(echo.url);
    await wss.opened;
    wss.close(info);
    const { closeCode, reason } = await wss.closed;
    expect(NO_CODE).toContain(closeCode);
    expect(reason).toBe('');
  });

  test('a reason without a code sends 1000', async () => {
    const wss = new WebSocketStream(echo.url);
    await wss.opened;
    wss.close({ reason: 'non-empty' });
    expect(await wss.closed).toEqual({ closeCode: 1000, reason: 'non-empty' });
  });

  test('bad arguments throw', async () => {
    const wss = new WebSocketStream(echo.url);
    await wss.opened;
    expect(() => wss.close(true as never)).toThrow(TypeError);
    expect(() => wss.close({ reason: '.'.repeat(124) })).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    for (const closeCode of [999, 1001, 2999, 5000]) {
      expect(() => wss.close({ closeCode })).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
    }
    expect(() => wss.close({ closeCode: 70000 })).toThrow(TypeError);  // [EnforceRange]
    wss.close();
    await wss.closed;
  });

  test('close() during the handshake: opened and closed reject with a WebSocketError', async () => {
    const wss = new WebSocketStream(silent.url);
    wss.close();
    const opened = await rejection(wss.opened);
    const closed = await rejection(wss.closed);
    expect(opened).toBeInstanceOf(WebSocketStreamError);
    expect(opened).toBeInstanceOf(DOMException);
    expect((opened as DOMException).name).toBe('WebSocketError');
    expect(closed).toBeInstanceOf(WebSocketStreamError);
  });

  test('closing the writable closes cleanly; writer.close() settles only once the closing handshake is over', async () => {
    route += 1;
    const connection = raw.expect(`/c${route}`);
    const wss = new WebSocketStream(`${raw.url}/c${route}`, { perMessageDeflate: false });
    const { writable } = await wss.opened;
    const conn = await connection;
    let writerClosed = false;
    const closing = writable.getWriter().close().then(() => { writerClosed = true; });
    await waitUntil(() => conn.closeFrame !== null, 10_000, 'the client close frame');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(writerClosed).toBe(false);  // the server has not answered yet
    await conn.write(frame.close(conn.closeFrame?.code ?? undefined));
    conn.end();
    await closing;
    expect(NO_CODE).toContain((await wss.closed).closeCode);
  });

  for (const [method, side] of [['abort', 'writable'], ['cancel', 'readable']] as const) {
    test(`${method} on the ${side}: a clean close without a code; a code and reason in a plain object are ignored`, async () => {
      for (const reason of [undefined, { code: 3456, reason: 'set' }]) {
        const wss = new WebSocketStream(echo.url);
        const info = await wss.opened;
        if (side === 'writable') await info.writable.abort(reason);
        else await info.readable.cancel(reason);
        const closed = await wss.closed;
        expect(NO_CODE).toContain(closed.closeCode);
        expect(closed.reason).toBe('');
      }
    });

    test(`${method} on the ${side} with a WebSocketStreamError: its code and reason are sent`, async () => {
      const wss = new WebSocketStream(echo.url);
      const info = await wss.opened;
      const reason = new WebSocketStreamError('enough', { closeCode: 4321, reason: 'enough' });
      if (side === 'writable') await info.writable.abort(reason);
      else await info.readable.cancel(reason);
      expect(await wss.closed).toEqual({ closeCode: 4321, reason: 'enough' });
    });
  }
});

describe('the end coming from the server', () => {
  test('a clean close: closed resolves, the readable is done, writing fails with InvalidStateError', async () => {
    const wss = new WebSocketStream(echo.url);
    const { readable, writable } = await wss.opened;
    const server = await echo.waitForConnection(echo.connections.length - 1);
    server.close(4000, 'going');
    expect(await wss.closed).toEqual({ closeCode: 4000, reason: 'going' });
    expect(await readable.getReader().read()).toEqual({ done: true, value: undefined });
    expect(await rejection(writable.getWriter().write('late'))).toMatchObject({ name: 'InvalidStateError' });
  });

  test('an abrupt end: closed rejects with a WebSocketError (1006) and both streams error with it', async () => {
    route += 1;
    const connection = raw.expect(`/a${route}`);
    const wss = new WebSocketStream(`${raw.url}/a${route}`, { perMessageDeflate: false });
    const { readable, writable } = await wss.opened;
    (await connection).destroy();
    const error = await rejection(wss.closed);
    expect(error).toBeInstanceOf(WebSocketStreamError);
    expect((error as WebSocketStreamError).closeCode).toBe(1006);
    expect(await rejection(readable.getReader().read())).toBe(error);
    expect(await rejection(writable.getWriter().write('x'))).toBe(error);
  });

  test('a close while a written message has not left: that write rejects with InvalidStateError, the writable errors with it, closed rejects', async () => {
    route += 1;
    const connection = raw.expect(`/u${route}`);
    const wss = new WebSocketStream(`${raw.url}/u${route}`, { perMessageDeflate: false });
    const { writable } = await wss.opened;
    const conn = await connection;
    conn.socket.pause();  // the server reads nothing: the big message cannot leave
    const writer = writable.getWriter();
    const big = writer.write(new Uint8Array(20 * 1024 * 1024));
    big.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await conn.write(frame.close(4567, ''));
    await new Promise((resolve) => setTimeout(resolve, 200));
    conn.destroy();
    expect(await rejection(wss.closed)).toBeInstanceOf(WebSocketStreamError);
    const unsent = await rejection(big);
    expect(unsent).toMatchObject({ name: 'InvalidStateError' });
    expect(await rejection(writer.write('word'))).toBe(unsent);
  });

  test('a refused connection: opened rejects with a WebSocketError whose cause is the typed ConnectError', async () => {
    const port = await getRefusedPort();
    const wss = new WebSocketStream(`ws://127.0.0.1:${port}`);
    const error = await rejection(wss.opened);
    expect(error).toBeInstanceOf(WebSocketStreamError);
    expect((error as WebSocketStreamError).closeCode).toBe(1006);
    expect((error as Error).cause).toBeInstanceOf(ConnectError);
    expect(await rejection(wss.closed)).toBe(error);
  });
});

describe('signal', () => {
  test('already aborted: opened and closed reject with its reason and nothing connects', async () => {
    const accepted = silent.accepted();
    const controller = new AbortController();
    controller.abort(new Error('no thanks'));
    const wss = new WebSocketStream(silent.url, { signal: controller.signal });
    expect(await rejection(wss.opened)).toBe(controller.signal.reason);
    expect(await rejection(wss.closed)).toBe(controller.signal.reason);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(silent.accepted()).toBe(accepted);
  });

  test('aborted during the handshake: both reject with its reason', async () => {
    const controller = new AbortController();
    const wss = new WebSocketStream(silent.url, { signal: controller.signal });
    await waitUntil(() => silent.accepted() > 0, 10_000, 'the TCP connection');
    controller.abort();
    expect(await rejection(wss.opened)).toMatchObject({ name: 'AbortError' });
    expect(await rejection(wss.closed)).toMatchObject({ name: 'AbortError' });
  });

  test('aborted once open: nothing happens', async () => {
    const controller = new AbortController();
    const wss = new WebSocketStream(echo.url, { signal: controller.signal });
    const { readable, writable } = await wss.opened;
    controller.abort();
    const writer = writable.getWriter();
    await writer.write('still open');
    expect((await readable.getReader().read()).value).toBe('still open');
    wss.close({ closeCode: 1000 });
    expect(await wss.closed).toEqual({ closeCode: 1000, reason: '' });
  });
});

describe('WebSocketStreamError', () => {
  test('the proposal\'s WebSocketError: a DOMException named WebSocketError with closeCode and reason', () => {
    const plain = new WebSocketStreamError();
    expect(plain).toBeInstanceOf(DOMException);
    expect(plain.name).toBe('WebSocketError');
    expect(plain.closeCode).toBeNull();
    expect(plain.reason).toBe('');
    expect(new WebSocketStreamError('m', { reason: 'why' }).closeCode).toBe(1000);
    expect(new WebSocketStreamError('m', { closeCode: 3000 })).toMatchObject({ closeCode: 3000, reason: '', message: 'm' });
    expect(() => new WebSocketStreamError('m', { closeCode: 1005 })).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
    expect(() => new WebSocketStreamError('m', { reason: 'x'.repeat(124) })).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
  });
});
