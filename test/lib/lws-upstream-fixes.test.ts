// Regression cases for the libwebsockets fixes we carry from upstream (patches/lws/README.md,
// "Upstream fixes after 4.3.5"), for those a peer or the embedding process can reach.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
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
        expect(outcome.errors[0]).toMatch(new RegExp(`^Could not connect to wss://127\\.0\\.0\\.1:${port}/reset-${round}: `));
        expect(outcome.close).toEqual({ code: 1006, wasClean: false });
      }
      expect(handshakes).toBe(5);
      await waitUntil(() => addon.liveCounts().connections === 0, 5000, 'the connections to be freed');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  // Around 0050 (upstream 9a2052759): lws keeps the answer's unknown headers in a list inside
  // its 4 KiB header buffer (an 8-byte head, then the name), and we walk that list to hand the
  // headers to the application, also when the handshake failed. An answer whose last header
  // starts at every offset across the end of that buffer: each connection opens or fails with
  // "problems parsing header" (the 401s with their status), the headers handed over are a
  // prefix of those sent, and nothing is left behind.
  test('unknown headers of the answer ending at every offset across the 4 KiB header buffer: open or one clean failure', async () => {
    let pad = 0;
    let status = 101;
    const server = net.createServer((socket) => {
      let request = '';
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        request += chunk.toString('latin1');
        if (!request.includes('\r\n\r\n')) return;
        const key = /sec-websocket-key: *(\S+)/i.exec(request)?.[1] ?? '';
        const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        const head = status === 101
          ? `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n`
          : `HTTP/1.1 ${status} Nope\r\n`;
        socket.end(`${head}X-Pad: ${'p'.repeat(pad)}\r\nX-Last: v\r\n\r\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const seen = new Set<string>();
    try {
      // The 101's fixed headers are longer than the 401's, so its window starts earlier.
      for (const [code, from, to] of [[101, 3920, 3980], [401, 3990, 4040]] as const) {
        status = code;
        for (pad = from; pad <= to; pad++) {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/`, [], { perMessageDeflate: false });
          const errors: Array<{ message: string; headers: string[] }> = [];
          let opened = false;
          ws.onopen = () => { opened = true; ws.close(); };
          ws.onerror = (event) => {
            const response = (event as { error?: { response?: { headers?: Record<string, string> } } }).error?.response;
            errors.push({ message: (event as { message: string }).message, headers: Object.keys(response?.headers ?? {}) });
          };
          await new Promise<void>((resolve) => { ws.onclose = () => resolve(); });
          const where = `HTTP ${code}, X-Pad of ${pad} bytes`;
          if (opened) {
            expect(code, where).toBe(101);
            // The server ends TCP without answering the close: a lost connection at most.
            expect(errors.filter((e) => !e.message.includes('the connection was lost')), where).toEqual([]);
            seen.add(`${code} open`);
            continue;
          }
          expect(errors, where).toHaveLength(1);
          const [{ message, headers }] = errors;
          const parseFailed = message.includes('could not be parsed');
          if (code === 101) expect(parseFailed, `${where}: ${message}`).toBe(true);
          else expect(message, where).toMatch(/: the server answered the handshake with HTTP 401 instead of 101 Switching Protocols[. ]/);
          if (code === 401) expect(['x-pad', 'x-last'].slice(0, headers.length), where).toEqual(headers);
          seen.add(`${code} ${parseFailed ? 'too long' : 'refused'}`);
        }
      }
      // Both sides of the buffer's end were crossed.
      expect([...seen].sort()).toEqual(['101 open', '101 too long', '401 refused', '401 too long']);
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
