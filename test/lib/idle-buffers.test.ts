// An open connection that went quiet gives back its receive buffers (lws's 64 KiB frame
// buffer, permessage-deflate's output buffers, the reassembly buffer: native/core/
// idle_sweep.h), and they are made again when the next message comes. The client runs in
// a child process (test/fixtures/idle-buffers.js) so that its RSS is its own; the server
// is a real ws server here.
import { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { runFixture } from '../helpers/run-fixture';

const KiB = 1024;
const SIZE = 64 * KiB;
const COUNT = 400;
// Under AddressSanitizer freed memory waits in its quarantine: RSS says nothing then.
const RSS_MEANINGFUL = !/libasan/.test(process.env.LD_PRELOAD ?? '');

let server: WebSocketServer | undefined;
afterEach(() => server?.close());

function payload(round: number): Buffer {
  const bytes = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i++) bytes[i] = (i + round) & 0xff;
  return bytes;
}

async function startServer(deflate: boolean): Promise<string> {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate ? { threshold: 0 } : false });
  server.on('connection', (socket) => {
    socket.send(payload(0));
    // The second message in two fragments: the reassembly buffer is needed again too.
    socket.on('message', () => {
      const second = payload(1);
      socket.send(second.subarray(0, SIZE / 2), { fin: false });
      socket.send(second.subarray(SIZE / 2), { fin: true });
    });
  });
  await new Promise((resolve) => server!.once('listening', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

interface Report { count: number; before: number; afterMessages: number; settled: number; secondRound: boolean; error?: string }

async function run(deflate: boolean): Promise<Report> {
  const url = await startServer(deflate);
  const r = await runFixture('idle-buffers.js', [url, String(COUNT), '11000', deflate ? '1' : '0'], 90_000);
  const report = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Report;
  expect(report.error, r.stderr).toBeUndefined();
  expect(r.code).toBe(0);
  expect(report.secondRound).toBe(true);
  return report;
}

const perConnection = (bytes: number) => bytes / COUNT / KiB;

test('quiet connections free their receive buffers; the next message still arrives intact', async () => {
  const report = await run(false);
  if (!RSS_MEANINGFUL) return;
  const held = perConnection(report.afterMessages - report.before);
  const settled = perConnection(report.settled - report.before);
  // Measured (2026-12-06, 2,000 connections): 83.8 KiB per connection kept before this
  // change, 10.1 after it; ws keeps 17.9.
  expect(settled, `per connection: ${held.toFixed(1)} KiB after the message, ${settled.toFixed(1)} settled`).toBeLessThan(32);
  expect(held - settled).toBeGreaterThan(32);
}, 120_000);

test('with permessage-deflate: the inflate buffer goes too, and compressed fragments inflate afterwards', async () => {
  const report = await run(true);
  if (!RSS_MEANINGFUL) return;
  const held = perConnection(report.afterMessages - report.before);
  const settled = perConnection(report.settled - report.before);
  // zlib's inflate state (its 32 KiB window) must stay: context takeover needs it.
  expect(held - settled, `per connection: ${held.toFixed(1)} KiB after the message, ${settled.toFixed(1)} settled`).toBeGreaterThan(64);
}, 120_000);
