// Shared scaffolding of the conformance suites: one raw server per test file, the client
// under test connected as an echo client (one connection per case, each on its own request
// path so cases can run concurrently), and the verdicts, which compare an OBSERVATION (what
// the client sent back, who closed the TCP connection) with what RFC 6455 requires, so a
// failing case prints exactly what happened.
import crypto from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { IMPL, loadClientUnderTest, type ClientFactory, type ClientOptions, type ClientUnderTest } from './client-under-test';
import { RawServer, frame, type HandshakePolicy, type RawConnection, type RawServerOptions } from './raw-server';

/** How long a case waits for the client to react (close frame, TCP close, echo). */
export const WAIT_MS = Number(process.env.CONFORMANCE_WAIT_MS ?? 2000);

export interface Msg {
  data: Buffer | string;
  isBinary: boolean;
}

export const text = (data: Buffer | string): Msg => ({ data, isBinary: false });
export const binary = (data: Buffer | string): Msg => ({ data, isBinary: true });

/** A short, comparable description of a message or payload. */
export function describePayload(data: Buffer | string): string {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (buf.length <= 48) return `${buf.length}B hex:${buf.toString('hex')}`;
  return `${buf.length}B sha256:${crypto.createHash('sha256').update(buf).digest('hex').slice(0, 16)}`;
}

export function describeMsg(m: Msg): string {
  return `${m.isBinary ? 'binary' : 'text'} ${describePayload(m.data)}`;
}

export function details(conn: RawConnection | null, client: ClientUnderTest): string {
  const lines: string[] = [];
  if (conn) {
    lines.push(`client frames: ${conn.describeFrames().join(' | ') || '(none)'}`);
    lines.push(`tcp: ${conn.tcp}${conn.tcpClosedAt !== null ? ` @${conn.tcpClosedAt}ms` : ''}`);
    if (conn.violations.length) lines.push(`client violations: ${conn.violations.join('; ')}`);
  }
  lines.push(`client events: ${client.summary().join(' | ') || '(none)'}`);
  return lines.join('\n');
}

function normalizedTcp(conn: RawConnection): string {
  return conn.tcp === 'reset by client' ? 'closed by client' : conn.tcp;
}

export interface Expectation {
  /** Messages the client must echo, in order (before any close). */
  echoes?: Msg[];
  /** Pongs the client must send, in order (their payloads): one for every ping, strictly
   *  (RFC 6455 5.5.3 would allow answering only the most recent of several). */
  pongs?: Array<Buffer | string>;
  /** An expected message that reached the application (message event) but whose echo did
   *  not go out, because the connection was already closing, counts as handled. Always on
   *  for verdictFail: the client may fail the connection on a later frame of the same read
   *  before the application had the chance to echo. */
  deliveredSuffices?: boolean;
}

/**
 * The messages of a case: what the client echoed and what it delivered to the application.
 * Returns the expected list when they agree with it (each expected message echoed, or with
 * `deliveredSuffices` at least delivered, and nothing else delivered), else both lists.
 */
function messageObservation(conn: RawConnection, client: ClientUnderTest, exp: Expectation, deliveredSuffices: boolean): unknown {
  const expected = (exp.echoes ?? []).map(describeMsg);
  const echoed = conn.messages.map((m) => describeMsg(m));
  const delivered = client.of('message').map((m) => describeMsg(m));
  const prefixOf = (list: string[]) => list.length <= expected.length && list.every((d, i) => d === expected[i]);
  const ok = prefixOf(echoed) && prefixOf(delivered)
    && (echoed.length === expected.length || (deliveredSuffices && delivered.length === expected.length));
  return ok ? expected : { echoed, deliveredToApp: delivered };
}

/** Waits until the expected echoes and pongs arrived, or the client closed, or WAIT_MS. */
async function settle(conn: RawConnection, exp: Expectation, waitMs = WAIT_MS): Promise<void> {
  const echoes = exp.echoes?.length ?? 0;
  const pongs = exp.pongs?.length ?? 0;
  await conn.until(() => conn.closeFrame !== null || !conn.tcpOpen || (conn.messages.length >= echoes && conn.pongs.length >= pongs), waitMs);
}

function pongObservation(conn: RawConnection): string[] {
  return conn.pongs.map((p) => describePayload(p.payload));
}

function expectedPongs(exp: Expectation): string[] {
  return (exp.pongs ?? []).map(describePayload);
}

/**
 * The case passes cleanly: the client echoed `exp`, then the server starts the closing
 * handshake with `closeCode` (null: a close frame without payload) and the client answers
 * it (echoing the code, or 1000; nothing or 1000 for an empty close), the server closes the
 * TCP connection, and the client reports a clean close with that code (1005 for none) and
 * reason.
 */
export async function verdictCleanClose(
  conn: RawConnection, client: ClientUnderTest, exp: Expectation = {}, closeCode: number | null = 1000, reason = '',
  options: { closeAlreadySent?: boolean } = {},
): Promise<void> {
  await settle(conn, exp);
  if (conn.closeFrame === null && conn.tcpOpen) {
    if (!options.closeAlreadySent) await conn.write(closeCode === null ? frame.close() : frame.close(closeCode, reason));
    await conn.until(() => conn.closeFrame !== null || !conn.tcpOpen, WAIT_MS);
  }
  const replied = conn.closeFrame;
  if (conn.tcpOpen) conn.end();
  await client.until(() => client.closed, WAIT_MS);
  const closeEvent = client.first('close');
  const acceptable = closeCode === null ? [null, 1000] : [closeCode, 1000];
  const observed = {
    echoes: messageObservation(conn, client, exp, exp.deliveredSuffices ?? false),
    pongs: pongObservation(conn),
    closeReply: replied === null ? 'no close frame' : acceptable.includes(replied.code) ? 'close echoed' : `close frame with code ${replied.code}`,
    clientClose: closeEvent ? { code: closeEvent.code, reason: closeEvent.reason, wasClean: closeEvent.wasClean } : 'no close event',
    violations: conn.violations,
  };
  expect(observed, details(conn, client)).toEqual({
    echoes: (exp.echoes ?? []).map(describeMsg),
    pongs: expectedPongs(exp),
    closeReply: 'close echoed',
    clientClose: { code: closeCode ?? 1005, reason: closeCode === null ? '' : reason, wasClean: true },
    violations: [],
  });
}

/**
 * The client must FAIL the connection: after echoing `exp` (if any) it sends a close frame
 * with `code` and closes the TCP connection itself (the server never closes it), and reports
 * the close to the user.
 */
export async function verdictFail(conn: RawConnection, client: ClientUnderTest, code: number | number[], exp: Expectation = {}): Promise<void> {
  const codes = Array.isArray(code) ? code : [code];
  await settle(conn, exp);
  await conn.until(() => conn.closeFrame !== null && !conn.tcpOpen, WAIT_MS);
  await client.until(() => client.closed, conn.tcpOpen ? 10 : 500);
  const observed = {
    echoes: messageObservation(conn, client, exp, true),
    pongs: pongObservation(conn),
    closeCode: conn.closeFrame === null ? 'no close frame'
      : conn.closeFrame.code === null ? 'close frame without a code'
      : codes.includes(conn.closeFrame.code) ? codes.join(' or ') : conn.closeFrame.code,
    tcp: normalizedTcp(conn),
    clientCloseEvent: client.closed,
    violations: conn.violations,
  };
  expect(observed, details(conn, client)).toEqual({
    echoes: (exp.echoes ?? []).map(describeMsg),
    pongs: expectedPongs(exp),
    closeCode: codes.join(' or '),
    tcp: 'closed by client',
    clientCloseEvent: true,
    violations: [],
  });
}

/** OpenHarmony's error code for a message over the size limit (WEBSOCKET_DATA_LENGTH_EXCEEDED). */
export const OH_DATA_LENGTH_EXCEEDS = 1012;

/** A message over maxPayload (whose bytes the caller has written): none echoed, close 1009
 *  from the client, which closes TCP, and one error with the OH code 1012. */
export async function verdictTooBig(conn: RawConnection, client: ClientUnderTest, what: string): Promise<void> {
  await conn.until(() => conn.closeFrame !== null && !conn.tcpOpen, WAIT_MS);
  await client.until(() => client.closed, 500);
  const observed = {
    echoes: conn.messages.length,
    closeCode: conn.closeFrame?.code ?? 'no close frame',
    tcp: normalizedTcp(conn),
    errorCodes: client.of('error').map((e) => e.code),
    closeEvent: client.closed,
  };
  expect(observed, `${what}\n${details(conn, client)}`).toEqual({
    echoes: 0, closeCode: 1009, tcp: 'closed by client', errorCodes: [OH_DATA_LENGTH_EXCEEDS], closeEvent: true,
  });
}

/** The handshake must fail: no open event, an error and a close event, no frame sent, and
 *  the client closes the TCP connection itself (`conn` null: the server saw no request). */
export async function verdictHandshakeFail(conn: RawConnection | null, client: ClientUnderTest, waitMs = WAIT_MS): Promise<void> {
  await client.until(() => client.closed && (conn === null || !conn.tcpOpen), waitMs);
  const observed = {
    opened: client.of('open').length > 0,
    errorEvent: client.of('error').length > 0,
    closeEvent: client.closed,
    framesSent: conn?.frames.length ?? 0,
    tcp: conn ? normalizedTcp(conn) : 'closed by client',
  };
  expect(observed, details(conn, client)).toEqual({
    opened: false,
    errorEvent: true,
    closeEvent: true,
    framesSent: 0,
    tcp: 'closed by client',
  });
}

// ---------------------------------------------------------------------------------------

export interface Harness {
  readonly server: RawServer;
  readonly factory: ClientFactory;
  /** Connects the client under test (an echo client by default) to a fresh path and waits
   *  for the server's connection and the client's open event. */
  open(options?: ClientOptions, policy?: HandshakePolicy): Promise<{ conn: RawConnection; client: ClientUnderTest; path: string }>;
  /** Connects without waiting for open (for handshake cases). */
  start(options?: ClientOptions, policy?: HandshakePolicy): { connection: Promise<RawConnection>; client: ClientUnderTest; path: string };
  /** Declares a case: skipped when the client under test is not available. */
  test(name: string, fn: (ctx: { skip: (note?: string) => void }) => Promise<void>, timeoutMs?: number): void;
  /** Declares a case the native client is known to fail because of `bug` (named in the test
   *  name): there it runs as test.fails, so it turns red once the bug is fixed and the mark
   *  has to go. With another client under test it is an ordinary case. */
  knownBug(bug: string, name: string, fn: (ctx: { skip: (note?: string) => void }) => Promise<void>, timeoutMs?: number): void;
}

let pathCounter = 0;

/**
 * One raw server for the file (started in beforeAll) and the client selected by
 * CLIENT_UNDER_TEST. Cases run concurrently unless `sequential`.
 */
export function useHarness(options: { server?: RawServerOptions; sequential?: boolean } = {}): Harness {
  let server: RawServer | null = null;
  let factory: ClientFactory | null = null;
  const clients: ClientUnderTest[] = [];

  beforeAll(async () => {
    factory = await loadClientUnderTest();
    server = await RawServer.start(options.server);
  });
  afterAll(async () => {
    for (const client of clients) {
      if (!client.closed) {
        try { client.terminate(); } catch { /* already gone */ }
      }
    }
    await server?.close();
  });

  test('the client under test is available', async () => {
    const f = await loadClientUnderTest();
    expect(f.available, f.unavailableReason).toBe(true);
  });

  type CaseBody = (ctx: { skip: (note?: string) => void }) => Promise<void>;
  const whenAvailable = (fn: CaseBody): CaseBody => async (ctx) => {
    if (!factory?.available) ctx.skip(factory?.unavailableReason);
    await fn(ctx);
  };

  const start: Harness['start'] = (clientOptions = { echo: true }, policy = {}) => {
    const path = `/case-${++pathCounter}`;
    const connection = server!.expect(path, policy);
    const client = factory!.connect(server!.url + path, clientOptions);
    clients.push(client);
    return { connection, client, path };
  };

  const harness: Harness = {
    get server() { return server!; },
    get factory() { return factory!; },
    start,
    async open(clientOptions = { echo: true }, policy = {}) {
      const { connection, client, path } = start(clientOptions, policy);
      const first = await client.openOrError(WAIT_MS * 2);
      if (first?.type !== 'open') {
        throw new Error(`the client did not open: ${client.summary().join(' | ') || 'no event'}`);
      }
      const conn = await connection;
      return { conn, client, path };
    },
    test(name, fn, timeoutMs) {
      if (options.sequential) test(name, whenAvailable(fn), timeoutMs);
      else test.concurrent(name, whenAvailable(fn), timeoutMs);
    },
    knownBug(bug, name, fn, timeoutMs) {
      if (IMPL !== 'native') {
        harness.test(name, fn, timeoutMs);
        return;
      }
      const declare = options.sequential ? test.fails : test.concurrent.fails;
      declare(`${name} [known bug: ${bug}]`, whenAvailable(fn), timeoutMs);
    },
  };
  return harness;
}

/** Bytes helpers. */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** A deterministic payload of `n` bytes (printable ASCII when `ascii`). */
export function payload(n: number, ascii = false): Buffer {
  const buf = Buffer.alloc(n);
  if (ascii) for (let i = 0; i < n; i++) buf[i] = 0x20 + ((i * 7) % 95);
  else for (let i = 0; i < n; i++) buf[i] = (i * 31 + (i >> 8)) & 0xff;
  return buf;
}
