// A connection that stops reading must not outlive what holds it: a process (or worker)
// whose only connection is paused exits by itself, on every face that pauses (WebSocket
// pause(), the connect() iterator and WebSocketStream at their highWaterMark,
// createWebSocketStream with a full buffer); a worker terminated while paused goes away,
// its TCP connection closed, and the main thread keeps working.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect } from '../../lib/index';
import { RawServer, frame } from '../conformance/raw-server';
import { startFloodServer, type FloodServer } from '../helpers/flood-server';
import { startEchoServer, waitUntil, withTimeout, type EchoServer } from '../helpers/ws-server';
import { runFixture } from '../helpers/run-fixture';

const root = path.resolve(__dirname, '../..');

describe('a process whose only connection is paused exits by itself', () => {
  let flood: FloodServer;
  // A flood that never ends: only the client's pause can let its process go.
  beforeAll(async () => { flood = await startFloodServer('flood', { total: 2 ** 40 }); });
  afterAll(() => flood.stop());

  test.each(['whatwg', 'connect', 'stream', 'duplex'])('%s', async (face) => {
    const r = await runFixture('paused-exit.js', [face, flood.url]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout.trim()).toBe('open');
  }, 40_000);

  test('control: the same process with a connection that reads on is still alive until killed', async () => {
    const r = await runFixture('paused-exit.js', ['reading', flood.url], 2000);
    expect(r.code).toBeNull();  // killed by the guard
    expect(r.stdout.trim()).toBe('open');
  });
});

describe('worker threads', () => {
  let server: RawServer;
  let echo: EchoServer;
  let route = 0;
  beforeAll(async () => {
    server = await RawServer.start();
    echo = await startEchoServer();
  });
  afterAll(async () => {
    await server.close();
    await echo.close();
  });

  async function pausedWorker(keepAlive: boolean): Promise<{ worker: Worker; exit: Promise<number>; conn: Awaited<ReturnType<RawServer['expect']>>; posts: string[] }> {
    route += 1;
    const connection = server.expect(`/w${route}`);
    const worker = new Worker(path.join(root, 'test', 'fixtures', 'worker-pause.js'), {
      workerData: { url: `${server.url}/w${route}`, keepAlive },
    });
    const posts: string[] = [];
    worker.on('message', (m: string) => posts.push(m));
    const exit = new Promise<number>((resolve) => worker.once('exit', resolve));
    const conn = await connection;
    await waitUntil(() => posts.includes('paused'), 10_000, 'the worker to pause');
    await conn.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => frame.text(`m${i}`))));
    return { worker, exit, conn, posts };
  }

  test('terminated while paused: the worker exits, its TCP connection is closed, the main thread goes on', async () => {
    const { worker, exit, conn, posts } = await pausedWorker(true);
    await worker.terminate();
    expect(await withTimeout(exit, 10_000, 'the worker to exit')).toBe(1);
    await waitUntil(() => !conn.tcpOpen, 10_000, 'the server to see the TCP connection end');
    expect(posts).toEqual(['paused']);
    const socket = await connect(echo.url);
    await socket.send('still here');
    const [reply] = await (async () => { for await (const m of socket) return [m]; return []; })();
    expect(reply).toBe('still here');
  });

  test('a worker whose only connection is paused exits by itself', async () => {
    const { exit, conn, posts } = await pausedWorker(false);
    expect(await withTimeout(exit, 20_000, 'the worker to exit by itself')).toBe(0);
    await waitUntil(() => !conn.tcpOpen, 10_000, 'the server to see the TCP connection end');
    expect(posts).toEqual(['paused']);
  });
});
