// Regression cases for the libwebsockets fixes we carry from upstream (patches/lws/README.md,
// "Upstream fixes after 4.3.5"), for those a peer or the embedding process can reach.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addon } from '../../lib/binding';
import { WebSocket } from '../../lib/websocket';
import { generateTestCerts, hasOpenssl, removeTestCerts, type TestCerts } from '../helpers/certs';
import { waitUntil } from '../helpers/ws-server';

let certs: TestCerts | null = null;
beforeAll(() => {
  if (hasOpenssl()) certs = generateTestCerts();
});
afterAll(() => removeTestCerts(certs));

interface Outcome {
  opened: boolean;
  errors: string[];
  close: { code: number; wasClean: boolean } | null;
}

/** Connects to `url` and collects what the application sees until the close event. */
async function outcomeOf(url: string, options: ConstructorParameters<typeof WebSocket>[2]): Promise<Outcome> {
  const outcome: Outcome = { opened: false, errors: [], close: null };
  const ws = new WebSocket(url, [], options);
  ws.onopen = () => { outcome.opened = true; };
  ws.onerror = (event) => { outcome.errors.push(String((event as { message?: string }).message ?? event.type)); };
  await new Promise<void>((resolve) => {
    ws.onclose = (event) => {
      outcome.close = { code: event.code, wasClean: event.wasClean };
      resolve();
    };
  });
  return outcome;
}

describe('hostile server during the handshake', () => {
  // Around 0040 (upstream 155726adf + ec1cd5c4f): lws writes the upgrade request right after
  // the TLS handshake; when that write failed it closed the connection and still told its
  // caller the connection lived on. A TLS 1.2 server that resets TCP as soon as its handshake
  // is done comes closest: here the RST arrives right behind the server's Finished, and the
  // client sees the hang-up (POLLHUP) before it writes, so this guards the outcome, not
  // that exact path (our single-threaded client reads and writes in one turn).
  test('a TLS 1.2 server resets TCP right after its handshake: one error, close 1006, nothing leaked', async (ctx) => {
    if (!certs) return ctx.skip('openssl is not installed');
    const pair = certs.selfSigned;
    let handshakes = 0;
    const context = tls.createSecureContext({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    const server = net.createServer((tcp) => {
      const secure = new tls.TLSSocket(tcp, { isServer: true, secureContext: context });
      secure.on('error', () => {});
      secure.on('secure', () => {
        handshakes++;
        // After this turn's writes (the Finished) went out; before the client's next turn.
        setImmediate(() => tcp.resetAndDestroy());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      for (let round = 0; round < 5; round++) {
        const outcome = await outcomeOf(`wss://127.0.0.1:${port}/reset-${round}`, { ca: pair.cert, perMessageDeflate: false });
        expect(outcome.opened).toBe(false);
        expect(outcome.errors).toHaveLength(1);
        expect(outcome.errors[0]).toMatch(new RegExp(`^Could not connect to wss://127\\.0\\.0\\.1:${port}/reset-${round} \\(`));
        expect(outcome.close).toEqual({ code: 1006, wasClean: false });
      }
      expect(handshakes).toBe(5);
      await waitUntil(() => addon.liveCounts().connections === 0, 5000, 'the connections to be freed');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('the embedding process', () => {
  // 0047 (upstream b9c3ed4cd, placed as main's 4ee6da537): each lws context has a cancel
  // eventfd, which was never closed when the context went. The addon has one context per
  // Node environment, so every worker thread that used it leaked one fd. Counted in a child
  // process, away from vitest's own descriptors.
  test.runIf(fs.existsSync('/proc/self/fd'))('0047: worker threads that each ran a client leave no file descriptor behind', () => {
    const script = path.resolve(__dirname, '../fixtures/worker-fd-count.js');
    const run = spawnSync(process.execPath, [script, '12'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const counts = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { before: number; after: number; workers: number };
    expect(counts.workers).toBe(12);
    // Without the fix: after = before + 12.
    expect(counts.after - counts.before).toBeLessThanOrEqual(1);
  });
});
