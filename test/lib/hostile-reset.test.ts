// A server that completes the upgrade, breaks the protocol (a 126-byte ping, invalid UTF-8,
// a bad close payload...) and resets TCP within 0-3 ms: every connection must still end with
// exactly one terminal event, leave no native object behind, and the process must exit by
// itself. (It hung at 100% CPU in 10-30% of such attempts: lws kept the bytes after the
// violation for a close frame that could no longer be sent, patches/lws/0022.) Each face runs
// a few hundred attempts, one connection at a time, in a child process
// (test/fixtures/hostile-reset-client.js); the plan of attempt i (violation, bytes after it,
// one write or two, delay before the reset) is fixed by i, so a failure can be replayed.
// Under the sanitizers the delays stretch (TEST_SLOWDOWN), else most attempts would be reset
// before the slower client opens, and the case would test little.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Op, acceptKeyFor, encodeFrame, frame } from '../conformance/raw-server';
import { generateTestCerts, hasOpenssl, removeTestCerts, type TestCerts } from '../helpers/certs';
import { TEST_SLOWDOWN } from '../helpers/slowdown';

const ATTEMPTS = Number(process.env.HOSTILE_RESET_ATTEMPTS ?? 300);
const root = path.resolve(__dirname, '../..');

const VIOLATIONS: Array<[string, Buffer]> = [
  ['126-byte ping', encodeFrame({ opcode: Op.PING, payload: Buffer.alloc(126, 0x70) })],
  ['invalid UTF-8', frame.text(Buffer.from([0x61, 0x62, 0x63, 0xff, 0xfe, 0x64]))],
  ['1-byte close payload', encodeFrame({ opcode: Op.CLOSE, payload: Buffer.from([0x03]) })],
  ['close reason not UTF-8', frame.close(1000, Buffer.from([0xc3, 0x28]))],
  ['reserved opcode', encodeFrame({ opcode: 0x3, payload: 'x' })],
];

/** What the server does on attempt i. */
function planFor(i: number): { violation: string; bytes: Buffer; after: boolean; split: boolean; delayMs: number } {
  const [violation, bytes] = VIOLATIONS[i % VIOLATIONS.length];
  const n = Math.floor(i / VIOLATIONS.length);
  return { violation, bytes, after: n % 2 === 1, split: (n >> 1) % 2 === 1, delayMs: (n >> 2) % 4 };
}

/** The hostile server: plain TCP, or TLS over a TCP socket it can reset. */
function startServer(tlsOptions?: tls.TlsOptions): Promise<{ server: net.Server; url: string }> {
  const server = net.createServer((raw) => {
    raw.on('error', () => undefined);
    // No Nagle: over TLS 1.3 the 101 follows the session tickets, which the client's kernel
    // acknowledges late (delayed ACK); Nagle then held the 101 back, and the reset threw it
    // away unsent, so most attempts never reached open (SIGSTOP-ing the client made it
    // certain). A real server's last words must have left it for the test to mean anything.
    raw.setNoDelay(true);
    const socket = tlsOptions ? new tls.TLSSocket(raw, { ...tlsOptions, isServer: true }) : raw;
    let head = '';
    let answered = false;
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      if (answered) return;
      head += data.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
      const attempt = Number(/^GET \/(\d+)/.exec(head)?.[1] ?? 0);
      answered = true;
      const plan = planFor(attempt);
      const response = Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Accept: ${acceptKeyFor(key)}\r\n\r\n`, 'latin1');
      const hostile = plan.after ? Buffer.concat([plan.bytes, frame.text('after the violation'), frame.ping('p')]) : plan.bytes;
      const reset = () => setTimeout(() => raw.resetAndDestroy(), plan.delayMs * TEST_SLOWDOWN);
      if (plan.split) {
        socket.write(response);
        setImmediate(() => { if (!socket.destroyed) socket.write(hostile); reset(); });
      } else {
        socket.write(Buffer.concat([response, hostile]));
        reset();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `${tlsOptions ? 'wss' : 'ws'}://127.0.0.1:${(server.address() as net.AddressInfo).port}` });
  }));
}

let plain: { server: net.Server; url: string };
let secure: { server: net.Server; url: string } | null = null;
let certs: TestCerts | null = null;
let caFile = '';

beforeAll(async () => {
  plain = await startServer();
  if (hasOpenssl()) {
    certs = generateTestCerts();
    caFile = path.join(certs.dir, 'hostile-reset-ca.pem');
    fs.writeFileSync(caFile, certs.ca.cert);
    secure = await startServer({ key: certs.server.key, cert: certs.server.cert });
  }
});

afterAll(async () => {
  for (const s of [plain, secure]) if (s) await new Promise<void>((resolve) => s.server.close(() => resolve()));
  removeTestCerts(certs);
});

interface Summary {
  attempts: number;
  hangs: number[];
  patterns: Record<string, number>;
  live: { clients: number; connections: number };
}

function runClient(face: string, mode: string, url: string, ca = ''): Promise<{ summary: Summary | null; exited: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const args = [path.join(root, 'test', 'fixtures', 'hostile-reset-client.js'), face, url, String(ATTEMPTS), mode, ...(ca ? [ca] : [])];
    const child = spawn(process.execPath, args, {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let exited = true;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    // A hang guard only (a few seconds are enough on an idle machine).
    const guard = setTimeout(() => { exited = false; child.kill('SIGKILL'); }, 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      const line = stdout.trim().split('\n').pop() ?? '';
      let summary: Summary | null = null;
      try { summary = JSON.parse(line) as Summary; } catch { /* reported below */ }
      resolve({ summary, exited: exited && code === 0, output: `exit ${code}\n${stdout}\n${stderr}` });
    });
  });
}

/** Event sequences a face may show for one attempt: exactly one terminal event each (the reset
 *  may win over the violation: then a close comes without an error). */
const ALLOWED: Record<string, Record<string, RegExp>> = {
  wait: {
    whatwg: /^(open,)?(error,)?close$/,
    connect: /^(open,(error,)?close|open,close,error|rejected)$/,
    ohos: /^(open,)?(error,)?close$/,
    mirror: /^(open,(error \d+,)?close|error \d+),destroy 0$/,
  },
  abort: {
    whatwg: /^(open,)?(error,)?close$/,
    connect: /^(open,(error,)?close|open,close,error|rejected)$/,
    ohos: /^(open,)?(error,)?close$/,
    mirror: /^(open,)?(error \d+,)?(close,)?destroy 0$/,
  },
};

// Most attempts must reach open, else the case tests little (a refused TLS, say). Over TLS
// only 8-150 of 300 did once (23-31 under the full suite's load): the server's Nagle held the
// 101 back behind the TLS 1.3 session tickets and the reset discarded it (see startServer).
// With no Nagle, 300 of 300 open, alone and beside two busy loops (HOSTILE_RESET_SHOW_OPENED=1
// prints the counts).
function expectEndsOnce(face: string, mode: string, r: { summary: Summary | null; exited: boolean; output: string }): void {
  expect(r.exited, r.output).toBe(true);
  expect(r.summary, r.output).not.toBeNull();
  const summary = r.summary!;
  const unexpected = Object.entries(summary.patterns).filter(([events]) => !ALLOWED[mode][face].test(events));
  const opened = Object.entries(summary.patterns).reduce((n, [events, count]) => n + (events.startsWith('open') ? count : 0), 0);
  if (process.env.HOSTILE_RESET_SHOW_OPENED) console.log(`${face} ${mode}: ${opened} of ${summary.attempts} opened`);
  expect({ attempts: summary.attempts, hangs: summary.hangs, unexpected, live: summary.live, mostOpened: opened > ATTEMPTS / 2 }, r.output).toEqual({
    attempts: ATTEMPTS, hangs: [], unexpected: [], live: { clients: 0, connections: 0 }, mostOpened: true,
  });
}

describe.each(['wait', 'abort'])('a server that breaks the protocol and resets TCP at once (%s)', (mode) => {
  test.each(['whatwg', 'connect', 'ohos', 'mirror'])('%s: every attempt ends once, nothing is left, the process exits', async (face) => {
    expectEndsOnce(face, mode, await runClient(face, mode, plain.url));
  }, 180_000);
});

describe('the same over TLS', () => {
  test.each(['whatwg', 'connect'])('%s: every attempt ends once, nothing is left, the process exits', async (face) => {
    if (!secure) return; // no openssl CLI to make certificates: the plain cases cover the rest
    expectEndsOnce(face, 'wait', await runClient(face, 'wait', secure.url, caFile));
  }, 180_000);
});
