// Conformance, section 8: the opening handshake. The client's request is well-formed; a
// response that is not a valid 101 for THIS request (wrong or missing accept key, missing
// Upgrade/Connection, an extension or subprotocol the client did not ask for, a non-101
// status, garbage) fails the connection: no open event, no frame sent, the client closes
// the TCP connection itself.
import { describe, expect } from 'vitest';
import { WAIT_MS, details, text, useHarness, verdictCleanClose, verdictHandshakeFail } from './harness';
import { acceptKeyFor, frame, type HandshakeReply, type UpgradeRequest } from './raw-server';

const h = useHarness();

describe('8.1 the request', () => {
  h.test('8.1.1 a well-formed upgrade request (RFC 6455 4.1)', async () => {
    const { conn, client, path } = await h.open();
    const req = conn.request!;
    const key = req.headers['sec-websocket-key'] ?? '';
    const observed = {
      requestLine: `${req.method} ${req.path} HTTP/${req.httpVersion}`,
      host: req.headers.host,
      upgrade: req.headers.upgrade?.toLowerCase(),
      connectionHasUpgrade: /(^|,)\s*upgrade\s*(,|$)/i.test(req.headers.connection ?? ''),
      keyIs16BytesBase64: /^[A-Za-z0-9+/]{22}==$/.test(key) && Buffer.from(key, 'base64').length === 16,
      version: req.headers['sec-websocket-version'],
      protocolHeader: req.headers['sec-websocket-protocol'] ?? 'absent',
    };
    expect(observed, req.raw).toEqual({
      requestLine: `GET ${path} HTTP/1.1`,
      host: `127.0.0.1:${h.server.port}`,
      upgrade: 'websocket',
      connectionHasUpgrade: true,
      keyIs16BytesBase64: true,
      version: '13',
      protocolHeader: 'absent',
    });
    await verdictCleanClose(conn, client);
  });

  h.test('8.1.2 every connection uses a fresh Sec-WebSocket-Key', async () => {
    const a = await h.open();
    const b = await h.open();
    expect(a.conn.request!.headers['sec-websocket-key']).not.toBe(b.conn.request!.headers['sec-websocket-key']);
    await Promise.all([verdictCleanClose(a.conn, a.client), verdictCleanClose(b.conn, b.client)]);
  });

  h.test('8.1.3 the query string is sent', async () => {
    const path = '/with-query?a=1&b=two%20words';
    const connection = h.server.expect(path);
    const client = h.factory.connect(h.server.url + path, { echo: true });
    const first = await client.openOrError(WAIT_MS * 2);
    expect(first?.type, client.summary().join(' | ')).toBe('open');
    await verdictCleanClose(await connection, client);
  });
});

describe('8.2 invalid 101 responses: fail', () => {
  const cases: Array<[string, HandshakeReply]> = [
    ['a wrong Sec-WebSocket-Accept', { accept: 'dGhlIHNhbXBsZSBub25jZQ==' }],
    ['no Sec-WebSocket-Accept', { accept: 'missing' }],
    ['the accept key of a different Sec-WebSocket-Key', { accept: acceptKeyFor('AAAAAAAAAAAAAAAAAAAAAA==') }],
    ['no Upgrade header', { upgrade: null }],
    ['Upgrade: h2c', { upgrade: 'h2c' }],
    ['no Connection header', { connection: null }],
    ['Connection: keep-alive (no upgrade token)', { connection: 'keep-alive' }],
    ['an unrequested extension (x-unknown-extension)', { extensions: 'x-unknown-extension' }],
    ['permessage-deflate with an unknown parameter', { extensions: 'permessage-deflate; unknown_parameter=1' }],
    ['an unrequested subprotocol (none was offered)', { protocol: 'chat' }],
    ['a response that is not HTTP', { raw: 'SSH-2.0-OpenSSH_9.2\r\n\r\n' }],
    ['HTTP/1.1 101 with a truncated header block, then the server stops', { raw: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n' }],
  ];
  cases.forEach(([name, reply], i) => {
    h.test(`8.2.${i + 1} ${name}`, async () => {
      // The truncated response can only end by the handshake timeout: make it short.
      const truncated = name.includes('truncated');
      const { connection, client } = h.start(truncated ? { echo: true, handshakeTimeoutMs: 1000 } : { echo: true }, reply);
      const conn = await connection;
      await verdictHandshakeFail(conn, client, truncated ? WAIT_MS + 1000 : WAIT_MS);
    }, 20000);
  });

  h.test(`8.2.${cases.length + 1} permessage-deflate although the client did not offer it`, async (ctx) => {
    const { connection, client } = h.start({ echo: true }, (req) =>
      ((req.headers['sec-websocket-extensions'] ?? '').includes('permessage-deflate') ? {} : { extensions: 'permessage-deflate' }));
    const conn = await connection;
    if ((conn.request!.headers['sec-websocket-extensions'] ?? '').includes('permessage-deflate')) {
      client.close();
      ctx.skip('the client offers permessage-deflate');
    }
    await verdictHandshakeFail(conn, client);
  });

  // RFC 6455 4.1: the answer must be an HTTP/1.1 response (lws took HTTP/1.0, and with
  // permessage-deflate accepted after it compressed messages then failed as "too big").
  const http10 = (extensions?: string) => (req: UpgradeRequest): HandshakeReply => ({
    raw: `HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Accept: ${acceptKeyFor(req.headers['sec-websocket-key'] ?? '')}\r\n`
      + `${extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : ''}\r\n`,
  });
  h.test(`8.2.${cases.length + 2} an otherwise valid 101 in HTTP/1.0`, async () => {
    const { connection, client } = h.start({ echo: true }, http10());
    await verdictHandshakeFail(await connection, client);
  });

  h.test(`8.2.${cases.length + 3} an otherwise valid 101 in HTTP/1.0 accepting permessage-deflate`, async () => {
    const { connection, client } = h.start({ echo: true, perMessageDeflate: 'permessage-deflate; client_max_window_bits' }, http10('permessage-deflate'));
    await verdictHandshakeFail(await connection, client);
  });

  // RFC 9110 5.5: no control characters (but HTAB) in a field value. lws read on through
  // them, so a head cut short and followed by frames opened at the first blank line the
  // frame bytes happened to hold (fuzz seed 745668; lws 0107).
  const withControl = (value: string) => (req: UpgradeRequest): HandshakeReply => ({
    raw: `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Accept: ${acceptKeyFor(req.headers['sec-websocket-key'] ?? '')}\r\nX-Fuzz: ${value}\r\n\r\n`,
  });
  ['\x00', '\x0f', '\x7f'].forEach((control, i) => {
    h.test(`8.2.${cases.length + 4 + i} an otherwise valid 101 with the control character ${JSON.stringify(control)} in a header value`, async () => {
      const { connection, client } = h.start({ echo: true }, withControl(`ab${control}cd`));
      await verdictHandshakeFail(await connection, client);
    });
  });

  h.test(`8.2.${cases.length + 7} a tab and bytes 0x80-0xff in a header value are allowed (obs-text)`, async () => {
    const { connection, client } = h.start({ echo: true }, withControl('a\tb \u00e9\u00ff'));
    const conn = await connection;
    const first = await client.openOrError(WAIT_MS);
    expect(first?.type, client.summary().join(' | ')).toBe('open');
    await verdictCleanClose(conn, client);
  });
});

describe('8.3 non-101 status: fail', () => {
  const statuses: Array<[number, HandshakeReply]> = [
    [200, { status: 200, body: 'hello, this is not a websocket' }],
    [400, { status: 400, body: 'bad request' }],
    [403, { status: 403 }],
    [404, { status: 404, body: 'not found' }],
    [426, { status: 426, headers: [['Sec-WebSocket-Version', '13']] }],
    [500, { status: 500, body: 'oops' }],
    [503, { status: 503, headers: [['Retry-After', '1']] }],
  ];
  statuses.forEach(([status, reply], i) => {
    h.test(`8.3.${i + 1} HTTP ${status}`, async () => {
      const { connection, client } = h.start({ echo: true }, reply);
      await verdictHandshakeFail(await connection, client);
    });
  });

  h.test(`8.3.${statuses.length + 1} HTTP 302 to another ws:// path is not followed`, async () => {
    const target = `/redirect-target-${Date.now()}`;
    const { connection, client } = h.start({ echo: true }, { status: 302, headers: [['Location', `${h.server.url}${target}`]] });
    const conn = await connection;
    // As in verdictHandshakeFail: the TCP close may follow the close event by a moment.
    await client.until(() => client.closed && !conn.tcpOpen, WAIT_MS);
    const observed = {
      opened: client.of('open').length > 0,
      errorEvent: client.of('error').length > 0,
      closeEvent: client.closed,
      requestsToRedirectTarget: h.server.requestsFor(target).length,
      tcp: conn.tcp === 'reset by client' ? 'closed by client' : conn.tcp,
    };
    expect(observed, details(conn, client)).toEqual({ opened: false, errorEvent: true, closeEvent: true, requestsToRedirectTarget: 0, tcp: 'closed by client' });
  });
});

describe('8.4 valid variations of the 101: accepted', () => {
  const accept = (req: { headers: Record<string, string> }) => acceptKeyFor(req.headers['sec-websocket-key'] ?? '');
  h.test('8.4.1 header names in odd case, Upgrade: WebSocket (values compared case-insensitively)', async () => {
    const { conn, client } = await h.open({ echo: true }, (req) => ({
      raw: 'HTTP/1.1 101 Switching Protocols\r\n'
        + 'uPgRaDe: WebSocket\r\n'
        + 'CONNECTION: UPGRADE\r\n'
        + `sec-websocket-ACCEPT: ${accept(req)}\r\n\r\n`,
    }));
    await conn.write(frame.text('ok'));
    await verdictCleanClose(conn, client, { echoes: [text('ok')] });
  });

  h.test('8.4.2 optional whitespace around header values (RFC 7230 3.2.4) is ignored', async () => {
    const { conn, client } = await h.open({ echo: true }, (req) => ({
      raw: 'HTTP/1.1 101 Switching Protocols\r\n'
        + 'Upgrade:    websocket   \r\n'
        + 'Connection:\tUpgrade \r\n'
        + `Sec-WebSocket-Accept:   ${accept(req)}  \r\n\r\n`,
    }));
    await conn.write(frame.text('ok'));
    await verdictCleanClose(conn, client, { echoes: [text('ok')] });
  });

  h.test('8.4.3 Connection: keep-alive, Upgrade (a token list containing upgrade, RFC 6455 4.1)', async () => {
    const { conn, client } = await h.open({ echo: true }, { connection: 'keep-alive, Upgrade' });
    await conn.write(frame.text('ok'));
    await verdictCleanClose(conn, client, { echoes: [text('ok')] });
  });

  h.test('8.4.4 a 101 with a long reason phrase and many headers', async () => {
    const headers: Array<[string, string]> = Array.from({ length: 40 }, (_, i) => [`X-Header-${i}`, 'v'.repeat(50)]);
    const { conn, client } = await h.open({ echo: true }, { statusText: 'Switching Protocols Because We Like To', headers });
    await conn.write(frame.text('ok'));
    await verdictCleanClose(conn, client, { echoes: [text('ok')] });
  });
});
