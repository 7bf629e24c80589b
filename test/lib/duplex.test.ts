// createWebSocketStream(ws, options): a Duplex over our WebSocket, as `ws`'s function of the
// same name: data both ways, end() closes the connection, destroy() terminates it, the
// server's close ends the readable side, an error of the socket errors the stream.
// Backpressure under a flood: backpressure-flood.test.ts.
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createWebSocketStream, ProtocolError, WebSocket } from '../../lib/index';
import { frame, RawServer } from '../conformance/raw-server';
import { startEchoServer, waitUntil, type EchoServer } from '../helpers/ws-server';

let echo: EchoServer;
let raw: RawServer;
let route = 0;
beforeAll(async () => {
  echo = await startEchoServer();
  raw = await RawServer.start();
});
afterAll(async () => {
  await echo.close();
  await raw.close();
});

describe('createWebSocketStream', () => {
  test('writes go out as binary messages (also those made while connecting), messages come back as Buffers', async () => {
    const ws = new WebSocket(echo.url);
    const duplex = createWebSocketStream(ws);
    duplex.write('hello');  // still CONNECTING: sent once open
    const [chunk] = await once(duplex, 'data') as [Buffer];
    expect(Buffer.isBuffer(chunk)).toBe(true);
    expect(chunk.toString()).toBe('hello');
    const server = echo.connections.at(-1)!;
    expect(server.received[0].isBinary).toBe(true);
    duplex.end();
    await once(duplex, 'close');
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });

  test('readableObjectMode: one chunk per message, text as strings', async () => {
    route += 1;
    const connection = raw.expect(`/d${route}`);
    const ws = new WebSocket(`${raw.url}/d${route}`, { perMessageDeflate: false });
    const duplex = createWebSocketStream(ws, { readableObjectMode: true });
    const conn = await connection;
    await conn.write(Buffer.concat([frame.text('one'), frame.binary(Buffer.from([1, 2])), frame.text('three'), frame.close(1000)]));
    const chunks: unknown[] = [];
    for await (const chunk of duplex) chunks.push(chunk);
    expect(chunks).toEqual(['one', Buffer.from([1, 2]), 'three']);
  });

  test('end(): a clean closing handshake, then finish, end and close', async () => {
    const ws = new WebSocket(echo.url);
    const duplex = createWebSocketStream(ws);
    const events: string[] = [];
    for (const name of ['finish', 'end', 'close']) duplex.on(name, () => events.push(name));
    duplex.resume();
    await once(ws, 'open');
    const server = echo.connections.at(-1)!;
    duplex.end();
    await once(duplex, 'close');
    expect(events).toEqual(['finish', 'end', 'close']);
    expect((await server.closed).code).toBe(1005);  // like ws: end() calls close() with no code, so the frame carries none
  });

  test('the server closes: the readable side ends; close follows once the writable side is ended too', async () => {
    const ws = new WebSocket(echo.url);
    const duplex = createWebSocketStream(ws);
    duplex.resume();
    await once(ws, 'open');
    echo.connections.at(-1)!.close(4000, 'bye');
    await once(duplex, 'end');
    expect(duplex.destroyed).toBe(false);
    duplex.end();
    await once(duplex, 'close');
  });

  test('destroy(): the connection is terminated (no close frame), then close', async () => {
    route += 1;
    const connection = raw.expect(`/d${route}`);
    const ws = new WebSocket(`${raw.url}/d${route}`, { perMessageDeflate: false });
    const duplex = createWebSocketStream(ws);
    const conn = await connection;
    await once(ws, 'open');
    duplex.destroy();
    await once(duplex, 'close');
    await waitUntil(() => !conn.tcpOpen, 10_000, 'the TCP close');
    expect(conn.closeFrame).toBeNull();
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });

  test("an error of the socket destroys the stream with it: 'error', then 'close'", async () => {
    route += 1;
    const connection = raw.expect(`/d${route}`);
    const ws = new WebSocket(`${raw.url}/d${route}`, { perMessageDeflate: false });
    const duplex = createWebSocketStream(ws);
    const events: string[] = [];
    let error: unknown;
    duplex.on('error', (err) => { error = err; events.push('error'); });
    duplex.on('close', () => events.push('close'));
    const conn = await connection;
    await conn.write(frame.raw({ opcode: 0x3, payload: 'reserved opcode' }));
    await waitUntil(() => events.includes('close'), 10_000, 'the close');
    expect(events).toEqual(['error', 'close']);
    expect(error).toBeInstanceOf(ProtocolError);
    await waitUntil(() => conn.closeFrame !== null, 10_000, "the client's close frame");
    expect(conn.closeFrame?.code).toBe(1002);  // the socket's own close frame went out, not cut off
  });

  test('pipeline() through it: a slow writable downstream keeps everything in order', async () => {
    route += 1;
    const connection = raw.expect(`/d${route}`);
    const ws = new WebSocket(`${raw.url}/d${route}`, { perMessageDeflate: false });
    const duplex = createWebSocketStream(ws, { readableObjectMode: true, readableHighWaterMark: 2 });
    const conn = await connection;
    const frames = Array.from({ length: 200 }, (_, i) => frame.text(`m${i}`));
    await conn.write(Buffer.concat([...frames, frame.close(1000)]));
    const got: string[] = [];
    const slow = new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(chunk: string, _encoding, callback) {
        got.push(chunk);
        setTimeout(callback, 1);
      },
    });
    await pipeline(duplex, slow);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
  });
});
