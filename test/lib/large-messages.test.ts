// Messages too large to batch. Sending: we frame them and hand them to lws a piece at a
// time (native/core/frame_stream.cc, FrameStream), and lws holds its own pongs, pings and
// closes until the frame is complete (patches/lws/0017). Receiving: a message that comes
// as one frame is written straight into the Buffer JS gets (ReserveMessage).
//
// The raw server pauses reading so that the client's frame is stuck half written, then
// sends a ping, a close or garbage: what it reads afterwards shows whether anything went
// inside the frame.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { addon } from '../../lib/binding';
import { ProtocolError } from '../../lib/errors';
import { WebSocket } from '../../lib/websocket';
import { startEchoServer, waitUntil, type EchoServer } from '../helpers/ws-server';
import { Op, RawServer, encodeFrame, frame, sleep, type RawConnection } from '../conformance/raw-server';

const KiB = 1024;
const MiB = 1024 * KiB;
// More than the loopback socket buffers of both ends hold: the frame cannot leave at once.
const STUCK_SIZE = 32 * MiB;

let echo: EchoServer;
let raw: RawServer;
const clients: WebSocket[] = [];
let nextPath = 0;

beforeAll(async () => {
  echo = await startEchoServer();
  raw = await RawServer.start();
});

afterEach(() => {
  for (const ws of clients.splice(0)) ws.terminate();
});

afterAll(async () => {
  await echo.close();
  await raw.close();
});

interface Client {
  ws: WebSocket;
  messages: Buffer[];
  texts: string[];
  errors: unknown[];
  closes: Array<{ code: number; reason: string; wasClean: boolean }>;
}

async function open(url: string): Promise<Client> {
  const ws = new WebSocket(url, [], { perMessageDeflate: false, maxPayload: 64 * MiB });
  clients.push(ws);
  ws.binaryType = 'nodebuffer';
  const client: Client = { ws, messages: [], texts: [], errors: [], closes: [] };
  ws.onmessage = (event) => {
    if (typeof event.data === 'string') client.texts.push(event.data);
    else client.messages.push(event.data as Buffer);
  };
  ws.onerror = (event) => client.errors.push(event.error);
  ws.onclose = (event) => client.closes.push({ code: event.code, reason: event.reason, wasClean: event.wasClean });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    setTimeout(() => reject(new Error('no open')), 5000);
  });
  return client;
}

/** A client on the raw server whose frame of STUCK_SIZE bytes is stuck half written. */
async function stuckHalfway(): Promise<{ client: Client; conn: RawConnection; payload: Buffer }> {
  const path = `/large-${nextPath++}`;
  const accepted = raw.expect(path);
  const client = await open(`${raw.url}${path}`);
  const conn = await accepted;
  conn.socket.pause();
  const payload = randomBytes(STUCK_SIZE);
  client.ws.send(payload);
  await sleep(150);
  expect(client.ws.bufferedAmount).toBeGreaterThan(0);
  return { client, conn, payload };
}

/** Frames the server read, as opcodes, in order. */
const opcodes = (conn: RawConnection) => conn.frames.map((f) => f.opcode);

describe('sending large messages', () => {
  test('sizes around the batching and piece boundaries, pipelined with small ones, arrive whole and in order both ways', async () => {
    const client = await open(echo.url);
    const sizes = [16 * KiB, 16 * KiB + 1, 5, 256 * KiB - 1, 256 * KiB, 256 * KiB + 1, 0, 1 * MiB, 4 * MiB + 3, 100, 16 * MiB + 5, 64 * KiB];
    const messages = sizes.map((size) => randomBytes(size));
    for (const message of messages) client.ws.send(message);
    expect(client.ws.bufferedAmount).toBeGreaterThan(0);
    await waitUntil(() => client.messages.length === sizes.length, 30000, 'all echoes');
    expect(client.messages.map((m) => m.length)).toEqual(sizes);
    client.messages.forEach((echoed, i) => expect(echoed.equals(messages[i])).toBe(true));
    await waitUntil(() => client.ws.bufferedAmount === 0, 5000, 'bufferedAmount back to 0');
    expect(client.errors).toEqual([]);
  });

  test('a large text message with multi-byte characters on the piece boundaries round-trips', async () => {
    const client = await open(echo.url);
    // 3-byte characters: with 256 KiB pieces (not a multiple of 3) they straddle boundaries.
    const text = '€'.repeat(Math.ceil((1 * MiB + 7) / 3)) + 'end';
    client.ws.send(text);
    await waitUntil(() => client.texts.length === 1, 10000, 'the echo');
    expect(client.texts[0]).toBe(text);
  });

  test("a ping that arrives while a frame is half written is answered after the frame, not inside it", async () => {
    const { client, conn, payload } = await stuckHalfway();
    conn.socket.write(frame.ping('mid-frame'));
    await sleep(100);  // the client has read the ping and holds its pong
    conn.socket.resume();
    await conn.until(() => conn.messages.length === 1 && conn.pongs.length === 1, 15000);
    expect(conn.violations).toEqual([]);
    expect(conn.messages[0].data.equals(payload)).toBe(true);
    expect(conn.pongs[0].payload.toString()).toBe('mid-frame');
    expect(opcodes(conn)).toEqual([Op.BINARY, Op.PONG]);
    // And the connection goes on: a message after it is echoed by nobody but arrives.
    client.ws.send('after');
    await conn.until(() => conn.messages.length === 2, 5000);
    expect(conn.messages[1].data.toString()).toBe('after');
    expect(client.errors).toEqual([]);
  });

  test("the server's close while a frame is half written: the frame is completed, then the close is answered", async () => {
    const { client, conn, payload } = await stuckHalfway();
    conn.socket.write(frame.close(4001, 'bye'));
    await sleep(100);
    conn.socket.resume();
    await waitUntil(() => client.closes.length === 1, 15000, 'the close event');
    await conn.until(() => conn.closeFrame !== null, 5000);
    expect(conn.violations).toEqual([]);
    expect(opcodes(conn)).toEqual([Op.BINARY, Op.CLOSE]);
    expect(conn.messages[0].data.equals(payload)).toBe(true);
    expect(conn.closeFrame?.code).toBe(4001);
    expect(client.closes).toEqual([{ code: 4001, reason: 'bye', wasClean: true }]);
    expect(client.errors).toEqual([]);
  });

  test('close() while a frame is half written goes after the frame', async () => {
    const { client, conn, payload } = await stuckHalfway();
    client.ws.close(4002, 'done');
    conn.socket.resume();
    await conn.until(() => conn.closeFrame !== null, 15000);
    expect(opcodes(conn)).toEqual([Op.BINARY, Op.CLOSE]);
    expect(conn.messages[0].data.equals(payload)).toBe(true);
    expect(conn.closeFrame?.code).toBe(4002);
    conn.socket.write(frame.close(4002, 'done'));
    await waitUntil(() => client.closes.length === 1, 5000, 'the close event');
    expect(client.closes[0]).toMatchObject({ code: 4002, wasClean: true });
  });

  test('a protocol error from the server while a frame is half written fails the connection without a close frame inside it (1002, OH 1009), and the process goes on', async () => {
    const { client, conn } = await stuckHalfway();
    conn.socket.write(encodeFrame({ opcode: 0x3, payload: 'reserved opcode' }));
    await sleep(100);
    conn.socket.resume();
    await waitUntil(() => client.closes.length === 1, 15000, 'the close event');
    await conn.until(() => !conn.tcpOpen, 5000);
    // What the server read is the start of the data frame and nothing else.
    expect(conn.frames).toEqual([]);
    expect(conn.closeFrame).toBeNull();
    expect(client.errors).toHaveLength(1);
    expect(client.errors[0]).toBeInstanceOf(ProtocolError);
    expect((client.errors[0] as ProtocolError).code).toBe(1009);
    expect(client.closes[0]).toMatchObject({ code: 1002, wasClean: false });
    await waitUntil(() => addon.liveCounts().connections === 0, 5000, 'the connection to be freed');
  });

  test('terminate() while a frame is half written frees everything; the server sees the TCP close', async () => {
    const { client, conn } = await stuckHalfway();
    client.ws.terminate();
    conn.socket.resume();
    await conn.until(() => !conn.tcpOpen, 5000);
    await waitUntil(() => client.closes.length === 1, 5000, 'the close event');
    expect(client.closes[0]).toMatchObject({ code: 1006, wasClean: false });
    await waitUntil(() => addon.liveCounts().connections === 0, 5000, 'the connection to be freed');
  });
});

describe('receiving large messages', () => {
  async function rawClient(): Promise<{ client: Client; conn: RawConnection }> {
    const path = `/large-rx-${nextPath++}`;
    const accepted = raw.expect(path);
    const client = await open(`${raw.url}${path}`);
    return { client, conn: await accepted };
  }

  test('one frame, fragmented messages, and sizes on the read-buffer boundaries arrive whole', async () => {
    const { client, conn } = await rawClient();
    const sizes = [64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 3 * MiB + 1];
    const payloads = sizes.map((size) => randomBytes(size));
    for (const payload of payloads) conn.socket.write(frame.binary(payload));
    // Fragmented: the size is not known from the first frame.
    const fragmented = randomBytes(700 * KiB);
    conn.socket.write(frame.binary(fragmented.subarray(0, 300 * KiB), { fin: false }));
    conn.socket.write(frame.cont(fragmented.subarray(300 * KiB, 600 * KiB), { fin: false }));
    conn.socket.write(frame.cont(fragmented.subarray(600 * KiB), { fin: true }));
    await waitUntil(() => client.messages.length === sizes.length + 1, 10000, 'the messages');
    client.messages.slice(0, sizes.length).forEach((m, i) => expect(m.equals(payloads[i])).toBe(true));
    expect(client.messages[sizes.length].equals(fragmented)).toBe(true);
    // Each message is its own Buffer (not a view into a shared one).
    expect(client.messages[3].byteOffset).toBe(0);
    expect(client.messages[3].buffer.byteLength).toBe(3 * MiB + 1);
  });

  test('a large message cut off by the server closing TCP: no message, close 1006, nothing leaked', async () => {
    const { client, conn } = await rawClient();
    const whole = frame.binary(randomBytes(2 * MiB));
    conn.socket.write(whole.subarray(0, 700 * KiB));
    await sleep(100);
    conn.socket.destroy();
    await waitUntil(() => client.closes.length === 1, 5000, 'the close event');
    expect(client.messages).toEqual([]);
    expect(client.closes[0]).toMatchObject({ code: 1006, wasClean: false });
    await waitUntil(() => addon.liveCounts().connections === 0, 5000, 'the connection to be freed');
  });

  test('terminate() halfway through receiving a large message, then the rest arrives: no message, no crash', async () => {
    const { client, conn } = await rawClient();
    const whole = frame.binary(randomBytes(2 * MiB));
    conn.socket.write(whole.subarray(0, 700 * KiB));
    await sleep(100);
    client.ws.terminate();
    conn.socket.write(whole.subarray(700 * KiB));
    await waitUntil(() => client.closes.length === 1, 5000, 'the close event');
    expect(client.messages).toEqual([]);
    await waitUntil(() => addon.liveCounts().connections === 0, 5000, 'the connection to be freed');
  });

  test('a single frame over maxPayload fails with 1009 / OH 1012 before any of it is stored', async () => {
    const path = `/large-rx-${nextPath++}`;
    const accepted = raw.expect(path);
    const ws = new WebSocket(`${raw.url}${path}`, [], { perMessageDeflate: false, maxPayload: 1 * MiB });
    clients.push(ws);
    const errors: unknown[] = [];
    const closes: number[] = [];
    ws.onerror = (event) => errors.push(event.error);
    ws.onclose = (event) => closes.push(event.code);
    await new Promise<void>((resolve) => { ws.onopen = () => resolve(); });
    const conn = await accepted;
    conn.socket.write(frame.binary(randomBytes(1 * MiB + 1)));
    await waitUntil(() => closes.length === 1, 5000, 'the close event');
    expect((errors[0] as { code: number }).code).toBe(1012);
    expect(closes[0]).toBe(1009);
    await conn.until(() => conn.closeFrame !== null, 5000);
    expect(conn.closeFrame?.code).toBe(1009);
  });
});
