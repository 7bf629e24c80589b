// worker_threads: clients in several workers at once, and workers terminated while a
// connection is open or still connecting. Worker scripts: test/fixtures/worker-*.js
// (they load dist/native.js).
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { liveNativeCounts } from '../../lib/native';
import { waitForNoLiveNatives } from '../helpers/recorder';
import {
  startEchoServer,
  startSilentServer,
  waitUntil,
  withTimeout,
  type EchoServer,
  type SilentServer,
} from '../helpers/ws-server';

const root = path.resolve(__dirname, '../..');
const fixtures = path.join(root, 'test', 'fixtures');

interface EchoResult {
  open: { code: number; reason: string } | null;
  echo: string | null;
  error: { errorCode: number; errorMessage: string } | null;
  close: { code: number; reason: string } | null;
  destroy: number | null;
  connect?: number;
}

interface StreamReport {
  type: 'connecting' | 'open' | 'messages' | 'error' | 'close';
  rc?: number;
  count?: number;
  errorCode?: number;
  code?: number;
}

let server: EchoServer;
let silent: SilentServer;
const workers = new Set<Worker>();

function startWorker(script: string, workerData: unknown): Worker {
  const worker = new Worker(path.join(fixtures, script), { workerData });
  workers.add(worker);
  worker.once('exit', () => workers.delete(worker));
  return worker;
}

/** Runs worker-echo.js to the end: its posted result and its exit code. */
async function runEchoWorker(message: string): Promise<{ result: EchoResult; exitCode: number }> {
  const worker = startWorker('worker-echo.js', { url: server.url, message });
  const result = new Promise<EchoResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const exit = new Promise<number>((resolve) => worker.once('exit', resolve));
  const r = await withTimeout(result, 15000, `the result of the worker sending ${JSON.stringify(message)}`);
  // The worker must end by itself once its client is closed and destroyed.
  const exitCode = await withTimeout(exit, 10000, `the worker sending ${JSON.stringify(message)} to exit by itself`);
  return { result: r, exitCode };
}

function expectEchoed(run: { result: EchoResult; exitCode: number }, message: string): void {
  expect(run.result.error, JSON.stringify(run.result)).toBeNull();
  expect(run.result.open).toEqual({ code: 101, reason: 'Switching Protocols' });
  expect(run.result.echo).toBe(message);
  expect(run.result.close?.code).toBe(4000);
  expect(run.result.destroy).toBe(0);
  expect(run.exitCode).toBe(0);
}

/** Collects a stream worker's reports; resolves `waitFor(pred)` when a matching one arrives. */
function reports(worker: Worker) {
  const seen: StreamReport[] = [];
  worker.on('message', (m: StreamReport) => seen.push(m));
  return {
    seen,
    waitFor: (pred: (r: StreamReport) => boolean, what: string, timeoutMs = 10000) =>
      waitUntil(() => seen.some(pred), timeoutMs, `${what}; worker reported ${JSON.stringify(seen.slice(-5))}`),
  };
}

beforeAll(async () => {
  expect(fs.existsSync(path.join(root, 'dist', 'native.js')), 'dist/native.js is missing: run `npm run build:ts`').toBe(true);
  server = await startEchoServer();
  silent = await startSilentServer();
});

afterEach(async () => {
  for (const worker of workers) await worker.terminate();
  // If the addon counts natives process-wide, the workers' clients must be gone too.
  await waitForNoLiveNatives(5000);
});

afterAll(async () => {
  await server?.close();
  await silent?.close();
});

describe('worker_threads', () => {
  test('two workers at once each connect, echo, close and exit by themselves', async () => {
    const [a, b] = await Promise.all([runEchoWorker('from worker A'), runEchoWorker('from worker B ✓')]);
    expectEchoed(a, 'from worker A');
    expectEchoed(b, 'from worker B ✓');
    const closes = await Promise.all(server.connections.map((c) => c.closed));
    expect(closes).toEqual([{ code: 4000, reason: 'worker-bye' }, { code: 4000, reason: 'worker-bye' }]);
    expect(server.connections.map((c) => c.received[0].data.toString()).sort()).toEqual(['from worker A', 'from worker B ✓']);
  });

  test('terminate() of a worker while messages stream in: it resolves, the parent survives, a new worker works', async () => {
    const before = server.connections.length;
    const worker = startWorker('worker-stream.js', { url: server.url });
    const r = reports(worker);
    await r.waitFor((m) => m.type === 'open', 'onOpen in the worker');
    const conn = await server.waitForConnection(before);
    const chunk = Buffer.alloc(4096, 0x5a);
    chunk[0] = 0;
    const stream = setInterval(() => {
      for (let i = 0; i < 8 && conn.ws.readyState === conn.ws.OPEN; i++) conn.ws.send(chunk);
    }, 1);
    try {
      await r.waitFor((m) => m.type === 'messages', 'messages in the worker');
      const exitCode = await withTimeout(worker.terminate(), 10000, 'worker.terminate()');
      expect(typeof exitCode).toBe('number');
    } finally {
      clearInterval(stream);
    }
    expect(r.seen.filter((m) => m.type === 'error')).toEqual([]);
    // The connection of the terminated worker goes away.
    await withTimeout(conn.closed, 10000, 'the server to see the terminated worker\'s connection close');
    // The parent is alive and its own addon instance still answers.
    expect(liveNativeCounts()).toBeTypeOf('object');
    expectEchoed(await runEchoWorker('after terminate'), 'after terminate');
  });

  test('terminate() of a worker whose handshake is never answered: it resolves, a new worker works', async () => {
    const acceptedBefore = silent.accepted();
    const worker = startWorker('worker-stream.js', { url: silent.url });
    const r = reports(worker);
    await r.waitFor((m) => m.type === 'connecting', 'Connect to return in the worker');
    expect(r.seen.find((m) => m.type === 'connecting')?.rc).toBe(0);
    await waitUntil(() => silent.accepted() > acceptedBefore, 10000, 'the TCP connection at the silent server');
    await withTimeout(worker.terminate(), 10000, 'worker.terminate()');
    expect(r.seen.filter((m) => m.type === 'open')).toEqual([]);
    expectEchoed(await runEchoWorker('after terminate while connecting'), 'after terminate while connecting');
  });

  // Regression (issue 11): the engine's shutdown left the handshake timer running; when it
  // fired it found nothing to do and kept its hold, so the connection was never freed and
  // terminate() never finished (the loop spun in the shutdown's idle handle).
  test('terminate() of a worker still handshaking with a handshakeTimeout (60 s): it resolves at once', async () => {
    const handshakeTimeout = 60000;
    const acceptedBefore = silent.accepted();
    const worker = startWorker('worker-handshake-timeout.js', { url: silent.url, handshakeTimeout });
    const r = reports(worker);
    await r.waitFor((m) => m.type === 'connecting', 'the WebSocket to be made in the worker');
    await waitUntil(() => silent.accepted() > acceptedBefore, 10000, 'the TCP connection at the silent server');
    const exitCode = await withTimeout(worker.terminate(), 10000, 'worker.terminate()');
    expect(typeof exitCode).toBe('number');
    expect(r.seen.filter((m) => m.type === 'open')).toEqual([]);
    expectEchoed(await runEchoWorker('after terminate with a handshake timer'), 'after terminate with a handshake timer');
  });

  test('terminate() right after the worker starts connecting (no wait at all)', async () => {
    const worker = startWorker('worker-stream.js', { url: server.url });
    const r = reports(worker);
    await r.waitFor((m) => m.type === 'connecting', 'Connect to return in the worker');
    await withTimeout(worker.terminate(), 10000, 'worker.terminate()');
    expectEchoed(await runEchoWorker('still fine'), 'still fine');
  });

  // Regression: terminating a worker while messages arrive once aborted the process
  // (a napi call failed inside an lws callback and threw into C). 30 rounds hit the window.
  test('30 workers terminated one after another while messages stream in: no crash', async () => {
    const streams: NodeJS.Timeout[] = [];
    const onConnection = (ws: import('ws').WebSocket) => {
      const t = setInterval(() => {
        if (ws.readyState === ws.OPEN) ws.send('x'.repeat(100));
      }, 1);
      streams.push(t);
      ws.once('close', () => clearInterval(t));
    };
    server.wss.on('connection', onConnection);
    try {
      for (let i = 0; i < 30; i++) {
        const worker = startWorker('worker-stream.js', { url: server.url });
        const r = reports(worker);
        // Every third round terminates while still connecting, the others mid-stream.
        if (i % 3 === 0) await r.waitFor((m) => m.type === 'connecting', 'Connect in the worker');
        else await r.waitFor((m) => m.type === 'messages', 'messages in the worker');
        await withTimeout(worker.terminate(), 10000, 'worker.terminate()');
      }
    } finally {
      server.wss.off('connection', onConnection);
      for (const t of streams) clearInterval(t);
    }
    expectEchoed(await runEchoWorker('after 30 terminations'), 'after 30 terminations');
  });
});
