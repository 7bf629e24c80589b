// Features of issue 4 against the raw server: subprotocols, the response status and headers
// (also of a failed handshake), the message size limit, the handshake timeout, IPv6 literals,
// and the request headers the user adds.
import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { WAIT_MS, binary, details, payload, text, useHarness, verdictCleanClose, verdictHandshakeFail, verdictTooBig } from './harness';
import { RawServer, frame } from './raw-server';

const h = useHarness();

describe('F1 subprotocols', () => {
  h.test('F1.1 offers its list; the one the server picks is exposed', async () => {
    const { conn, client } = await h.open({ echo: true, protocols: ['chat.v1', 'chat.v2'] }, { protocol: 'chat.v2' });
    const offered = (conn.request!.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    expect({ offered, chosen: client.first('open')?.protocol }).toEqual({ offered: ['chat.v1', 'chat.v2'], chosen: 'chat.v2' });
    await verdictCleanClose(conn, client);
  });

  h.test('F1.2 the server picks none of the offered ones: fail (as ws, undici and browsers do)', async () => {
    // RFC 6455 lets the server omit the header; WHATWG (browsers, undici) and ws then fail the
    // connection, since the application asked for one of its subprotocols. We do the same.
    const { connection, client } = h.start({ echo: true, protocols: ['chat.v1'] });
    await verdictHandshakeFail(await connection, client);
  });

  h.test('F1.3 the server picks one that was not offered: fail', async () => {
    const { connection, client } = h.start({ echo: true, protocols: ['chat.v1', 'chat.v2'] }, { protocol: 'chat.v3' });
    await verdictHandshakeFail(await connection, client);
  });

  h.test('F1.4 the server answers with two subprotocols: fail', async () => {
    const { connection, client } = h.start({ echo: true, protocols: ['chat.v1', 'chat.v2'] }, { protocol: 'chat.v1, chat.v2' });
    await verdictHandshakeFail(await connection, client);
  });

  h.test('F1.5 subprotocol names are matched exactly (case-sensitive): CHAT.V1 for chat.v1 fails', async () => {
    const { connection, client } = h.start({ echo: true, protocols: ['chat.v1'] }, { protocol: 'CHAT.V1' });
    await verdictHandshakeFail(await connection, client);
  });
});

describe('F2 response status and headers', () => {
  h.test('F2.1 a 101: status and response headers are given with open', async () => {
    const { conn, client } = await h.open({ echo: true }, { headers: [['X-Server', 'raw-test'], ['Set-Cookie', 'a=1']] });
    const open = client.first('open');
    expect({ status: open?.status, xServer: open?.headers['x-server'] }).toEqual({ status: 101, xServer: 'raw-test' });
    await verdictCleanClose(conn, client);
  });

  h.test('F2.2 a 401 with WWW-Authenticate: the error carries the status and the headers', async () => {
    const { connection, client } = h.start({ echo: true }, {
      status: 401,
      headers: [['WWW-Authenticate', 'Bearer realm="netstack"'], ['X-Request-Id', 'abc-123']],
      body: 'authentication required',
    });
    const conn = await connection;
    await verdictHandshakeFail(conn, client);
    const error = client.first('error');
    expect({
      status: error?.status,
      wwwAuthenticate: error?.headers['www-authenticate'],
      requestId: error?.headers['x-request-id'],
    }, details(conn, client)).toEqual({ status: 401, wwwAuthenticate: 'Bearer realm="netstack"', requestId: 'abc-123' });
  });

  h.test('F2.3 custom request headers and Origin are sent', async () => {
    const { conn, client } = await h.open({ echo: true, headers: { Authorization: 'Bearer token-1', 'X-Trace': 't1' }, origin: 'https://app.example' });
    const hd = conn.request!.headers;
    expect({ auth: hd.authorization, trace: hd['x-trace'], origin: hd.origin }).toEqual({ auth: 'Bearer token-1', trace: 't1', origin: 'https://app.example' });
    await verdictCleanClose(conn, client);
  });
});

describe('F3 maximum message size', () => {
  h.test('F3.1 a message of exactly maxPayload bytes is accepted', async () => {
    const { conn, client } = await h.open({ echo: true, maxPayload: 1024 });
    await conn.write(frame.binary(payload(1024)));
    await verdictCleanClose(conn, client, { echoes: [binary(payload(1024))] });
  });

  const overLimit = async (name: string, bytes: Buffer) => {
    const { conn, client } = await h.open({ echo: true, maxPayload: 1024 });
    await conn.write(bytes);
    await verdictTooBig(conn, client, name);
  };

  h.test('F3.2 one byte over maxPayload: close 1009 and an error with OH code 1012', async () => {
    await overLimit('1025-byte binary, maxPayload 1024', frame.binary(payload(1025)));
  });

  h.test('F3.3 a fragmented message whose fragments add up to more than maxPayload: 1009 + 1012', async () => {
    await overLimit('600 + 600 bytes, maxPayload 1024', Buffer.concat([frame.text(payload(600, true), { fin: false }), frame.cont(payload(600, true))]));
  });

});

describe('F4 handshake timeout', () => {
  h.test('F4.1 a server that accepts TCP and never answers: error + close after handshakeTimeoutMs, TCP closed by the client', async () => {
    const started = Date.now();
    const { connection, client } = h.start({ echo: true, handshakeTimeoutMs: 700 }, { silent: true });
    const conn = await connection;
    await verdictHandshakeFail(conn, client, 5000);
    const elapsed = Date.now() - started;
    expect(elapsed, `closed after ${elapsed} ms`).toBeGreaterThanOrEqual(600);
    expect(elapsed, `closed after ${elapsed} ms\n${details(conn, client)}`).toBeLessThan(3000);
  }, 15000);
});

describe('F5 IPv6', () => {
  const hasIpv6Loopback = async (): Promise<boolean> => new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });

  test('F5.1 ws://[::1]:port: connects, echoes, Host is [::1]:port', async (ctx) => {
    if (!h.factory.available) ctx.skip(h.factory.unavailableReason);
    if (!(await hasIpv6Loopback())) ctx.skip('this host has no ::1');
    const server = await RawServer.start({ host: '::1' });
    try {
      const connection = server.expect('/v6');
      const client = h.factory.connect(`${server.url}/v6`, { echo: true });
      const first = await client.openOrError(WAIT_MS * 2);
      expect(first?.type, client.summary().join(' | ')).toBe('open');
      const conn = await connection;
      expect(conn.request!.headers.host).toBe(`[::1]:${server.port}`);
      await conn.write(frame.text('over IPv6'));
      await verdictCleanClose(conn, client, { echoes: [text('over IPv6')] });
    } finally {
      await server.close();
    }
  });
});
