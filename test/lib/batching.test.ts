// The engine batches small messages per turn of the event loop: the ones sent in one turn
// leave in one write (framed by us), the ones received in one turn reach JS in one
// onMessages call. Ordering, accounting (bufferedAmount, onSent) and the mix with frames
// lws writes itself (large messages, pings, close) must be as without batching.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { addon, forEachBatchedMessage, type NativeSocket, type NativeSocketHandlers } from '../../lib/binding';
import { WebSocket } from '../../lib/websocket';
import { startEchoServer, waitUntil, type EchoServer } from '../helpers/ws-server';
import { RawServer, frame } from '../conformance/raw-server';

let server: EchoServer;
const sockets: NativeSocket[] = [];

beforeAll(async () => {
  server = await startEchoServer();
});

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});

afterAll(async () => {
  await server.close();
});

interface Recorded {
  messages: Array<{ data: Buffer; isBinary: boolean }>;
  batches: number[];  // sizes of the onMessages calls
  sent: number[];
  closed: Array<{ code: number; wasClean: boolean }>;
  events: string[];
}

function openSocket(url: string, batched = true): Promise<{ socket: NativeSocket; log: Recorded }> {
  const log: Recorded = { messages: [], batches: [], sent: [], closed: [], events: [] };
  return new Promise((resolve, reject) => {
    const handlers: NativeSocketHandlers = {
      onOpen: () => resolve({ socket, log }),
      onMessage: (data, isBinary) => {
        log.events.push('message');
        log.messages.push({ data: Buffer.from(data), isBinary });
      },
      onSent: (upTo) => log.sent.push(upTo),
      onError: (code, message) => reject(new Error(`${code} ${message}`)),
      onClose: (code, _reason, wasClean) => {
        log.events.push('close');
        log.closed.push({ code, wasClean });
      },
      onPong: () => log.events.push('pong'),
    };
    if (batched) {
      handlers.onMessages = (bytes, layout) => {
        log.batches.push(layout.length);
        forEachBatchedMessage(bytes, layout, (data, isBinary) => {
          log.events.push('message');
          log.messages.push({ data: Buffer.from(data), isBinary });
        });
      };
    }
    const socket = new addon.NativeSocket(
      { url, headers: [], protocols: [], origin: '', tls: { rejectUnauthorized: true }, maxPayload: 0, handshakeTimeoutMs: 0 },
      handlers,
    );
    sockets.push(socket);
  });
}

describe('sends of one loop turn', () => {
  test('many small messages, with large ones and pings between them, arrive whole and in order', async () => {
    const { socket } = await openSocket(server.url);
    const conn = server.connections.at(-1)!;
    const sizes = [0, 1, 125, 126, 127, 65535 % 16384, 16384, 16385, 3, 100000, 7, 1 << 20, 64, 64, 64];
    const payloads = sizes.map((size) => randomBytes(size));
    payloads.forEach((payload, i) => {
      socket.send(i % 3 === 0 ? payload.toString('latin1').replace(/[^\x20-\x7e]/g, 'x') : payload, i % 3 !== 0, false);
      if (i % 4 === 0) socket.ping(Buffer.from(`p${i}`));
    });
    const received = await conn.waitForMessages(sizes.length, 20000);
    expect(received.map((m) => m.data.length)).toEqual(sizes);
    received.forEach((message, i) => {
      expect(message.isBinary).toBe(i % 3 !== 0);
      if (i % 3 !== 0) expect(message.data.equals(payloads[i])).toBe(true);
    });
  });

  test('bufferedAmount counts batched bytes until they are written; onSent reports the last id', async () => {
    const { socket, log } = await openSocket(server.url);
    let lastId = 0;
    for (let i = 0; i < 100; i += 1) lastId = socket.send(Buffer.alloc(50, i), true, true);
    expect(socket.bufferedAmount).toBe(5000); // still in this turn: not written yet
    await waitUntil(() => log.sent.includes(lastId), 5000, 'onSent');
    expect(socket.bufferedAmount).toBe(0);
    expect(log.sent.every((id, i) => i === 0 || id > log.sent[i - 1])).toBe(true);
  });

  test('close() right after sends: every message goes before the close frame', async () => {
    const { socket, log } = await openSocket(server.url);
    const conn = server.connections.at(-1)!;
    for (let i = 0; i < 500; i += 1) socket.send(`m${i}`, false, false);
    socket.close(1000, 'done');
    const info = await conn.closed;
    expect(info.code).toBe(1000);
    expect(conn.received.map((m) => m.data.toString())).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    await waitUntil(() => log.closed.length === 1, 5000, 'close');
  });

  test('terminate() right after sends drops the batch: nothing reaches the server, no crash', async () => {
    const { socket, log } = await openSocket(server.url);
    const conn = server.connections.at(-1)!;
    for (let i = 0; i < 100; i += 1) socket.send(`m${i}`, false, false);
    socket.terminate();
    await waitUntil(() => log.closed.length === 1, 5000, 'close');
    expect(log.closed[0].code).toBe(1006);
    await conn.closed;
    expect(conn.received).toEqual([]);
  });
});

describe('messages received in one loop turn', () => {
  let raw: RawServer;
  beforeAll(async () => {
    raw = await RawServer.start();
  });
  afterAll(async () => {
    await raw.close();
  });

  test('arrive in one onMessages call, in order, text and binary, with a large one and a close after them', async () => {
    const connection = raw.expect('/batch');
    const { log } = await openSocket(`${raw.url}/batch`);
    const conn = await connection;
    const small = Array.from({ length: 50 }, (_, i) => (i % 2 ? Buffer.from(`text ${i}`) : randomBytes(i * 10)));
    const large = randomBytes(64 * 1024);
    const frames = [
      ...small.slice(0, 25).map((payload, i) => (i % 2 ? frame.text(payload) : frame.binary(payload))),
      frame.binary(large),
      ...small.slice(25).map((payload, i) => ((i + 25) % 2 ? frame.text(payload) : frame.binary(payload))),
      frame.close(1000),
    ];
    await conn.write(Buffer.concat(frames)); // one TCP write: one read on our side
    await waitUntil(() => log.closed.length === 1, 5000, 'close');
    const expected = [...small.slice(0, 25), large, ...small.slice(25)];
    expect(log.messages.map((m) => m.data.length)).toEqual(expected.map((p) => p.length));
    log.messages.forEach((message, i) => {
      expect(message.data.equals(expected[i])).toBe(true);
      expect(message.isBinary).toBe(expected[i] === large || (i < 25 ? i % 2 === 0 : (i - 1) % 2 === 0));
    });
    expect(log.batches.length).toBeGreaterThan(0);
    expect(Math.max(...log.batches)).toBeGreaterThan(1);
    expect(log.events.at(-1)).toBe('close');
    expect(log.closed[0].code).toBe(1000);
  });

  test('without an onMessages handler every message comes through onMessage', async () => {
    const connection = raw.expect('/unbatched');
    const { log } = await openSocket(`${raw.url}/unbatched`, false);
    const conn = await connection;
    await conn.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => frame.text(`n${i}`))));
    await waitUntil(() => log.messages.length === 20, 5000, 'messages');
    expect(log.batches).toEqual([]);
    expect(log.messages.map((m) => m.data.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
  });

  test('WHATWG face: a listener that throws does not lose the messages after it in the batch', async () => {
    const connection = raw.expect('/throwing');
    const ws = new WebSocket(`${raw.url}/throwing`, [], { perMessageDeflate: false });
    await new Promise<void>((resolve) => { ws.onopen = () => resolve(); });
    const conn = await connection;
    const seen: string[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => { uncaught.push(err); };
    process.prependListener('uncaughtException', onUncaught);
    try {
      ws.onmessage = (event) => {
        seen.push(String(event.data));
        if (event.data === 'b') throw new Error('listener failed');
      };
      await conn.write(Buffer.concat(['a', 'b', 'c', 'd'].map((t) => frame.text(t))));
      await waitUntil(() => seen.length === 4 && uncaught.length === 1, 5000, 'messages');
      expect(seen).toEqual(['a', 'b', 'c', 'd']);
      expect((uncaught[0] as Error).message).toBe('listener failed');
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      ws.terminate();
    }
  });
});

test('the engine survives a peer that vanishes while a batch waits', async () => {
  const { socket, log } = await openSocket(server.url);
  const conn = server.connections.at(-1)!;
  conn.ws.terminate(); // the server side goes away
  for (let i = 0; i < 1000; i += 1) socket.send(Buffer.alloc(100), true, false);
  await waitUntil(() => log.closed.length === 1, 5000, 'close');
  expect(log.closed[0].code).toBe(1006);
  await waitUntil(() => addon.liveCounts().connections === 0, 5000, 'the connection to be freed');
});
