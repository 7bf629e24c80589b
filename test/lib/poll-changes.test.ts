// Sockets stop being polled for what they no longer want (patches/lws/0110): lws gives up
// POLLOUT once its output has drained and POLLIN while the application pauses, and that
// removal now waits for the loop's next prepare phase (it is often asked back within the
// same turn). Epoll is level-triggered, so a removal that never happened would wake the loop
// for ever: a writable socket, or a paused one with unread input, would spin at 100% CPU.
// Each case drives the socket into that state, then watches an otherwise idle process.
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer, type WebSocket as PeerSocket } from 'ws';
import { WebSocket } from '../../lib/index';
import { liveNativeCounts } from '../../lib/native';
import { waitUntil } from '../helpers/ws-server';

// How long the idle process is watched. Not a timing assertion: a spinning loop uses all of
// it, an idle one next to none.
const QUIET_MS = 400;

let server: WebSocketServer;
let url = '';
const peers: PeerSocket[] = [];

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 0 });
  server.on('connection', (peer) => { peers.push(peer); });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  for (const peer of peers) peer.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function openClient(): Promise<{ ws: WebSocket; peer: PeerSocket }> {
  const before = peers.length;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = (event) => reject(event.error);
  });
  await waitUntil(() => peers.length > before, 5_000, 'the server side');
  return { ws, peer: peers[peers.length - 1] };
}

/** CPU time (ms) the process used while nothing happened for QUIET_MS. */
async function idleCpuMs(): Promise<number> {
  const before = process.cpuUsage();
  await sleep(QUIET_MS);
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / 1000;
}

async function closeBoth(ws: WebSocket): Promise<void> {
  await new Promise<void>((resolve) => {
    ws.onclose = () => resolve();
    ws.close(1000);
  });
  await waitUntil(() => liveNativeCounts().connections === 0, 5_000, 'no live connection');
}

describe('a socket is no longer polled for what it gave up', () => {
  test('after large sends that needed POLLOUT have drained, the idle loop does not spin', async () => {
    const { ws, peer } = await openClient();
    let received = 0;
    peer.on('message', (data: Buffer) => { received += data.length; });
    // 8 x 4 MiB: far more than the kernel takes at once, so lws polls for POLLOUT, then
    // gives it up when the last write has gone.
    const chunk = Buffer.alloc(4 * 1024 * 1024, 0x61);
    for (let i = 0; i < 8; i += 1) ws.send(chunk);
    await waitUntil(() => received === 8 * chunk.length, 30_000, 'the server to receive everything');
    await waitUntil(() => ws.bufferedAmount === 0, 5_000, 'bufferedAmount 0');
    expect(await idleCpuMs()).toBeLessThan(QUIET_MS / 2);
    await closeBoth(ws);
  }, 60_000);

  test('paused with input waiting unread, the idle loop does not spin; on resume it all arrives', async () => {
    const { ws, peer } = await openClient();
    const messages: string[] = [];
    ws.onmessage = (event) => { messages.push(String(event.data)); };
    ws.pause();
    // Far more than one read, so input stays in the kernel while the socket is paused.
    const texts = Array.from({ length: 64 }, (_, i) => `${i}:${'x'.repeat(16 * 1024)}`);
    for (const text of texts) peer.send(text);
    await sleep(50);
    expect(await idleCpuMs()).toBeLessThan(QUIET_MS / 2);
    expect(messages).toEqual([]);
    ws.resume();
    await waitUntil(() => messages.length === texts.length, 10_000, 'every message');
    expect(messages).toEqual(texts);
    await closeBoth(ws);
  }, 60_000);

  test('many connections opened and closed at once, then idle: no socket is left polled, the loop does not spin', async () => {
    const sockets = await Promise.all(Array.from({ length: 64 }, () => openClient()));
    await Promise.all(sockets.map(({ ws }, i) => new Promise<void>((resolve) => {
      ws.onclose = () => resolve();
      if (i % 2 === 0) ws.close(1000);
      else sockets[i].peer.close(4000);
    })));
    await waitUntil(() => liveNativeCounts().connections === 0 && liveNativeCounts().lingeringSockets === 0, 5_000, 'nothing left');
    expect(await idleCpuMs()).toBeLessThan(QUIET_MS / 2);
  }, 60_000);
});
