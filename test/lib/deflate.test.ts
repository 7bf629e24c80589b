// permessage-deflate (RFC 7692) against a real `ws` server, both ways: many messages in
// flight whose sizes sit on the boundaries of lws's compression steps, messages large
// enough to be compressed over many POLLOUTs while the server pings, the threshold under
// which messages go uncompressed, and the limit on the DECOMPRESSED size.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from '../../lib/websocket';
import { MessageTooBigError } from '../../lib/errors';
import { waitUntil } from '../helpers/ws-server';

const KiB = 1024;
const clients: WebSocket[] = [];
const servers: WebSocketServer[] = [];

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  for (const wss of servers.splice(0)) {
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
});

/** A ws echo server with permessage-deflate on (threshold 0: every message compressed). */
async function deflateEchoServer(onConnection?: (socket: ServerSocket) => void): Promise<{ url: string; received: Buffer[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 }, maxPayload: 64 * 1024 * 1024 });
  servers.push(wss);
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const received: Buffer[] = [];
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      received.push(data as Buffer);
      socket.send(data, { binary: isBinary });
    });
    onConnection?.(socket);
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, received };
}

/** Opens a client, sends `messages` back to back and resolves with the echoes (as Buffers). */
async function echoAll(url: string, messages: Buffer[], options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<{ echoes: Buffer[]; ws: WebSocket }> {
  const ws = new WebSocket(url, [], options);
  clients.push(ws);
  ws.binaryType = 'nodebuffer';
  const echoes: Buffer[] = [];
  const errors: unknown[] = [];
  ws.onmessage = (event) => echoes.push(event.data as Buffer);
  ws.onerror = (event) => errors.push(event);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onclose = () => reject(new Error('closed before open'));
  });
  expect(ws.extensions).toMatch(/^permessage-deflate/);
  for (const message of messages) ws.send(message);
  await waitUntil(() => echoes.length >= messages.length || errors.length > 0, 30000, 'echoes');
  expect(errors).toEqual([]);
  return { echoes, ws };
}

/** Base64 of random bytes: compresses to about 3/4, so large messages need several steps. */
function randomText(length: number): Buffer {
  return Buffer.from(randomBytes(length).toString('base64').slice(0, length));
}

describe('permessage-deflate', () => {
  test('messages sized on the 1 KiB and 64 KiB step boundaries, all in flight at once, arrive whole and in order both ways', async () => {
    const { url, received } = await deflateEchoServer();
    const sizes = [0, 1, 1023, 1024, 1025, 2048, 100, 16 * KiB, 16 * KiB, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 5, 128 * KiB, 3 * KiB, 1];
    const messages = sizes.map((size, i) => (i % 2 ? randomBytes(size) : randomText(size)));
    const { echoes } = await echoAll(url, messages);
    expect(received.map((m) => m.length)).toEqual(sizes);
    expect(echoes.map((m) => m.length)).toEqual(sizes);
    echoes.forEach((echo, i) => expect(echo.equals(messages[i])).toBe(true));
  });

  test('large incompressible messages, compressed over many steps while the server pings, are not corrupted', async () => {
    let pings = 0;
    const { url } = await deflateEchoServer((socket) => {
      const timer = setInterval(() => {
        pings++;
        socket.ping('p');
      }, 1);
      socket.on('close', () => clearInterval(timer));
    });
    const messages = [randomBytes(4 * KiB * KiB), randomText(2 * KiB * KiB), randomBytes(10), randomBytes(3 * KiB * KiB)];
    const { echoes } = await echoAll(url, messages);
    expect(echoes.map((m) => m.length)).toEqual(messages.map((m) => m.length));
    echoes.forEach((echo, i) => expect(echo.equals(messages[i])).toBe(true));
    expect(pings).toBeGreaterThan(0);
  }, 60000);

  test('context takeover off on both sides and small windows still round-trip', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0, serverMaxWindowBits: 9, clientNoContextTakeover: true, serverNoContextTakeover: true } });
    servers.push(wss);
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const messages = [randomText(70 * KiB), Buffer.from('abc'.repeat(5000)), randomText(1024), Buffer.from('abc'.repeat(5000))];
    const { echoes, ws } = await echoAll(url, messages, { perMessageDeflate: { clientMaxWindowBits: 9, serverMaxWindowBits: 9, serverNoContextTakeover: true, clientNoContextTakeover: true } });
    expect(ws.extensions).toContain('server_no_context_takeover');
    echoes.forEach((echo, i) => expect(echo.equals(messages[i])).toBe(true));
  });

  test('maxPayload limits the DECOMPRESSED size: a small frame that inflates past it fails with 1009 / OH 1012', async () => {
    const { url } = await deflateEchoServer();
    const ws = new WebSocket(url, [], { maxPayload: 64 * KiB });
    clients.push(ws);
    const errors: unknown[] = [];
    let closeCode = 0;
    ws.onerror = (event) => errors.push(event.error);
    ws.onclose = (event) => {
      closeCode = event.code;
    };
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    // 1 MiB of zeros compresses to about 1 KiB: the server's echo is a decompression bomb
    // for a 64 KiB limit. Ours sends it compressed too (also ~1 KiB on the wire).
    ws.send(Buffer.alloc(1024 * KiB));
    await waitUntil(() => closeCode !== 0, 10000, 'close');
    expect(closeCode).toBe(1009);
    expect(errors[0]).toBeInstanceOf(MessageTooBigError);
    expect((errors[0] as MessageTooBigError).code).toBe(1012);
  });
});
