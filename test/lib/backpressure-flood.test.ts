// Receive and send backpressure against a real peer in another process
// (test/fixtures/flood-server.js), on every face that can express it.
//
// Receiving: the server floods NETSTACK_FLOOD_BYTES (default 128 MiB; the report's run used
// 1 GiB) of 64 KiB binary messages, generated on the fly. The client first reads nothing
// until the server reports that a write has waited for 'drain' for 300 ms, then reads
// everything slowly (a timer per message). Shown for pause(), the default connect()
// iterator, WebSocketStream and createWebSocketStream: the server's writes stall well
// before the end of the flood, the client's RSS stays within baseline + 2 x highWaterMark +
// 64 MiB, and every message arrives, in order.
//
// Sending: the client sends the same amount to a server that reads slowly, awaiting each
// send (send()'s promise, the writable's write(), ws.send's callback, the Duplex's
// write()/'drain'); its RSS stays within baseline + 64 MiB and the server gets every
// message in order.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { connect, createWebSocketStream, WebSocket, WebSocketStream } from '../../lib/index';
import { startFloodServer, type FloodServer, type ServerReport } from '../helpers/flood-server';
import { withTimeout } from '../helpers/ws-server';

const MiB = 1024 * 1024;
const FLOOD = Number(process.env.NETSTACK_FLOOD_BYTES ?? 128 * MiB);
const SIZE = 64 * 1024;
const MESSAGES = Math.floor(FLOOD / SIZE);
const HIGH_WATER_MARK = 1 * MiB;  // connect()'s and WebSocketStream's default; the Duplex gets 16 x 64 KiB
const BOUND = 2 * HIGH_WATER_MARK + 64 * MiB;
// Under AddressSanitizer (npm run test:asan) freed memory waits in ASan's quarantine (256
// MiB) instead of being reused: RSS says nothing about what is kept, only the stalls count.
const RSS_MEANINGFUL = !/libasan/.test(process.env.LD_PRELOAD ?? '');
// A hang guard only: how long the whole flood may take on a loaded 2-core machine.
const GUARD_MS = Math.max(60_000, (FLOOD / MiB) * 400);

const servers: FloodServer[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.stop();
});

async function startServer(mode: 'flood' | 'sink', options: Record<string, number>): Promise<FloodServer> {
  const server = await startFloodServer(mode, options);
  servers.push(server);
  return server;
}

/** Checks message n of the flood: 4 bytes of n, then bytes (n + i) & 0xff. */
function checkMessage(data: Uint8Array, n: number): void {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (view.length !== SIZE || view.readUInt32BE(0) !== n || view[SIZE - 1] !== ((n + SIZE - 1) & 0xff) ||
      view[SIZE >> 1] !== ((n + (SIZE >> 1)) & 0xff)) {
    throw new Error(`message ${n} is not the one sent (length ${view.length}, first word ${view.readUInt32BE(0)})`);
  }
}

class RssWatch {
  readonly baseline: number;
  peak = 0;
  #timer: NodeJS.Timeout;

  constructor() {
    (globalThis as { gc?: () => void }).gc?.();
    this.baseline = process.memoryUsage.rss();
    this.#timer = setInterval(() => this.sample(), 10);
  }

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }

  stop(): number {
    clearInterval(this.#timer);
    this.sample();
    return this.peak - this.baseline;
  }
}

/** What every receive case must show, once the client read everything. */
interface FloodOutcome {
  stalled: ServerReport;
  done: ServerReport;
  received: number;
  growth: number;
}

function expectBackpressure(face: string, outcome: FloodOutcome): void {
  const detail = `${face}: ${JSON.stringify({ ...outcome, growthMiB: outcome.growth / MiB })}`;
  // The server's writes stalled long before the end of the flood (without backpressure the
  // client would have read it all into memory and the server would never have waited).
  expect(outcome.stalled.bytesWritten as number, detail).toBeLessThan(Math.min(FLOOD / 2, 64 * MiB));
  expect(outcome.done.stalls as number, detail).toBeGreaterThan(0);
  expect(outcome.received, detail).toBe(MESSAGES);
  if (RSS_MEANINGFUL) expect(outcome.growth, detail).toBeLessThan(BOUND);
  console.log(`${face}: ${FLOOD / MiB} MiB flood, server stalled at ${((outcome.stalled.bytesWritten as number) / MiB).toFixed(1)} MiB ` +
    `written, ${String(outcome.done.stalls)} stalls; client RSS peak ${(outcome.growth / MiB).toFixed(1)} MiB over baseline ` +
    `(bound ${BOUND / MiB} MiB)`);
}

describe(`a server flooding ${FLOOD / MiB} MiB to a slow reader`, () => {
  test('WebSocket pause()/resume()', async () => {
    const server = await startServer('flood', { total: FLOOD, size: SIZE });
    const rss = new RssWatch();
    const ws = new WebSocket(server.url, { perMessageDeflate: false });
    let received = 0;
    let failure: unknown;
    const closed = new Promise<{ code: number; wasClean: boolean }>((resolve) => {
      ws.onclose = (event) => resolve({ code: event.code, wasClean: event.wasClean });
    });
    ws.onopen = () => ws.pause();
    ws.onmessage = (event) => {
      try {
        checkMessage(event.data as Buffer, received);
      } catch (err) {
        failure ??= err;
      }
      received += 1;
      rss.sample();
      ws.pause();  // a slow consumer: one message per timer
      setTimeout(() => ws.resume(), 1);
    };
    const stalled = await withTimeout(server.next('stalled'), GUARD_MS, 'the server to stall');
    rss.sample();
    expect(received).toBe(0);
    expect(ws.isPaused).toBe(true);
    ws.resume();
    const done = await withTimeout(server.next('done'), GUARD_MS, 'the server to send everything');
    const close = await withTimeout(closed, GUARD_MS, 'the close');
    expect(failure).toBeUndefined();
    expect(close).toEqual({ code: 1000, wasClean: true });
    expectBackpressure('pause()', { stalled, done, received, growth: rss.stop() });
  }, GUARD_MS * 3);

  test('the default connect() iterator', async () => {
    const server = await startServer('flood', { total: FLOOD, size: SIZE });
    const rss = new RssWatch();
    const socket = await connect(server.url, { perMessageDeflate: false });
    const stalled = await withTimeout(server.next('stalled'), GUARD_MS, 'the server to stall');
    rss.sample();
    let received = 0;
    for await (const message of socket) {
      checkMessage(message as Buffer, received);
      received += 1;
      rss.sample();
      await sleep(1);
    }
    const done = await server.next('done');
    expect(await socket.closed).toEqual({ code: 1000, reason: '', wasClean: true });
    expectBackpressure('connect()', { stalled, done, received, growth: rss.stop() });
  }, GUARD_MS * 3);

  test('WebSocketStream', async () => {
    const server = await startServer('flood', { total: FLOOD, size: SIZE });
    const rss = new RssWatch();
    const wss = new WebSocketStream(server.url, { perMessageDeflate: false });
    const { readable } = await wss.opened;
    const stalled = await withTimeout(server.next('stalled'), GUARD_MS, 'the server to stall');
    rss.sample();
    let received = 0;
    const reader = readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      checkMessage(value as Uint8Array, received);
      received += 1;
      rss.sample();
      await sleep(1);
    }
    const done = await server.next('done');
    expect(await wss.closed).toEqual({ closeCode: 1000, reason: '' });
    expectBackpressure('WebSocketStream', { stalled, done, received, growth: rss.stop() });
  }, GUARD_MS * 3);

  test('createWebSocketStream', async () => {
    const server = await startServer('flood', { total: FLOOD, size: SIZE });
    const rss = new RssWatch();
    const ws = new WebSocket(server.url, { perMessageDeflate: false });
    const duplex = createWebSocketStream(ws, { readableObjectMode: true, readableHighWaterMark: 16 });
    const stalled = await withTimeout(server.next('stalled'), GUARD_MS, 'the server to stall');
    rss.sample();
    let received = 0;
    for await (const chunk of duplex) {
      checkMessage(chunk as Buffer, received);
      received += 1;
      rss.sample();
      await sleep(1);
    }
    const done = await server.next('done');
    expectBackpressure('createWebSocketStream', { stalled, done, received, growth: rss.stop() });
  }, GUARD_MS * 3);
});

describe(`a client sending ${FLOOD / MiB} MiB to a slow reader, awaiting each send`, () => {
  const payload = (n: number): Buffer => {
    const data = Buffer.alloc(SIZE, n & 0xff);
    data.writeUInt32BE(n >>> 0, 0);
    return data;
  };

  async function expectSunk(server: FloodServer, rss: RssWatch, face: string): Promise<void> {
    const sunk = await withTimeout(server.next('sunk'), GUARD_MS, 'the server to read everything');
    const growth = rss.stop();
    expect(sunk, face).toMatchObject({ messages: MESSAGES, ordered: true });
    if (RSS_MEANINGFUL) expect(growth, `${face}: ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(64 * MiB);
    console.log(`${face}: sent ${FLOOD / MiB} MiB to a slow reader, client RSS peak ${(growth / MiB).toFixed(1)} MiB over baseline`);
  }

  test('connect(): await send()', async () => {
    const server = await startServer('sink', {});
    const rss = new RssWatch();
    const socket = await connect(server.url, { perMessageDeflate: false });
    for (let n = 0; n < MESSAGES; n += 1) {
      await socket.send(payload(n));
      rss.sample();
    }
    await socket.close();
    await expectSunk(server, rss, 'connect() send()');
  }, GUARD_MS * 3);

  test('WebSocketStream: await writer.write()', async () => {
    const server = await startServer('sink', {});
    const rss = new RssWatch();
    const wss = new WebSocketStream(server.url, { perMessageDeflate: false });
    const { writable } = await wss.opened;
    const writer = writable.getWriter();
    for (let n = 0; n < MESSAGES; n += 1) {
      await writer.write(payload(n));
      rss.sample();
    }
    await writer.close();
    await expectSunk(server, rss, 'WebSocketStream write()');
  }, GUARD_MS * 3);

  test('WebSocket: send() callback', async () => {
    const server = await startServer('sink', {});
    const rss = new RssWatch();
    const ws = new WebSocket(server.url, { perMessageDeflate: false });
    await new Promise((resolve) => { ws.onopen = resolve; });
    for (let n = 0; n < MESSAGES; n += 1) {
      await new Promise<void>((resolve, reject) => ws.send(payload(n), (err) => (err ? reject(err) : resolve())));
      rss.sample();
    }
    ws.close();
    await expectSunk(server, rss, 'WebSocket send(cb)');
  }, GUARD_MS * 3);

  test('createWebSocketStream: write() and drain', async () => {
    const server = await startServer('sink', {});
    const rss = new RssWatch();
    const ws = new WebSocket(server.url, { perMessageDeflate: false });
    const duplex = createWebSocketStream(ws);
    duplex.resume();  // nothing to read; let its end come
    for (let n = 0; n < MESSAGES; n += 1) {
      if (!duplex.write(payload(n))) await new Promise((resolve) => duplex.once('drain', resolve));
      rss.sample();
    }
    duplex.end();
    await expectSunk(server, rss, 'createWebSocketStream write()');
  }, GUARD_MS * 3);
});
