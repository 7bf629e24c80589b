// The JS mirror of the OpenHarmony NetStack WebSocket C API (lib/native.ts), against a real
// `ws` server on 127.0.0.1. Contract: /work/shared/spec/oh-websocket-c-api.md and the headers
// in native/include/.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  NetStack_WebSocket_SetClientLimit,
  OH_NetStack_WebSocketClient_AddHeader as AddHeader,
  OH_NetStack_WebSocketClient_Close as Close,
  OH_NetStack_WebSocketClient_Connect as Connect,
  OH_NetStack_WebSocketClient_Send as Send,
  OH_NetStack_WebsocketClient_Construct as Construct,
  OH_NetStack_WebsocketClient_Destroy as Destroy,
  OH_WebSocketClient_AddHeader,
  OH_WebSocketClient_Close,
  OH_WebSocketClient_Connect,
  OH_WebSocketClient_Constructor,
  OH_WebSocketClient_Destroy,
  OH_WebSocketClient_Send,
  OH_Websocket_ErrCode,
  WebSocket_ErrCode,
  liveNativeCounts,
  type OH_NetStack_WebsocketClient as Client,
} from '../../lib/native';
import { Recorder, quiesce, waitForNoLiveNatives } from '../helpers/recorder';
import {
  getRefusedPort,
  startEchoServer,
  startSilentServer,
  waitUntil,
  type EchoServer,
  type SilentServer,
} from '../helpers/ws-server';
import { RawServer, frame, sleep, type RawConnection } from '../conformance/raw-server';

const OK = 0;
const CLIENT_IS_NULL = 1001;
const CLIENT_IS_NOT_CREAT = 1002;
const CONNECTION_ERROR = 1003;
const PARSEURL_ERROR = 1005;
const SEND_DATA_NULL = 1011;
const DATA_LENGTH_EXCEEDS = 1012;
const HAVE_NO_CONNECT = 1017;
const HAVE_NO_CONNECT_CONTEXT = 1018;
const MiB = 1024 * 1024;

let server: EchoServer;
let extraServers: Array<{ close(): Promise<void> }> = [];
/** Every client made in a test; afterEach destroys what is left (a second Destroy is harmless). */
let made: Client[] = [];

function make(rec: Recorder | null, use: Partial<Record<'open' | 'message' | 'error' | 'close', boolean>> = {}): Client {
  const on = (k: keyof typeof use) => rec !== null && use[k] !== false;
  const client = Construct(
    on('open') ? rec!.onOpen : null,
    on('message') ? rec!.onMessage : null,
    on('error') ? rec!.onError : null,
    on('close') ? rec!.onClose : null,
  );
  expect(client).not.toBeNull();
  made.push(client!);
  return client!;
}

async function openClient(rec: Recorder, url = server.url): Promise<Client> {
  const client = make(rec);
  expect(Connect(client, url, client.RequestOptions)).toBe(OK);
  const first = await rec.waitForOpenOrError();
  expect(first.type, JSON.stringify(rec.summary())).toBe('open');
  return client;
}

function foreign(value: object): Client {
  return value as unknown as Client;
}

beforeEach(async () => {
  made = [];
  extraServers = [];
  server = await startEchoServer();
});

afterEach(async () => {
  for (const client of made) Destroy(client);
  made = [];
  await server.close();
  for (const s of extraServers) await s.close();
  // Every test must leave no native client or connection behind.
  await waitForNoLiveNatives(2500);
});

describe('error codes', () => {
  test('OH_Websocket_ErrCode maps every name of both generations to the header value', () => {
    const draft = {
      Websocket_OK: 0,
      E_BASE: 1000,
      WEBSOCKET_CLIENT_IS_NULL: 1001,
      WEBSOCKET_CLIENT_IS_NOT_CREAT: 1002,
      WEBSOCKET_CONNECTION_ERROR: 1003,
      WEBSOCKET_CONNECTION_PARSEURL_ERROR: 1005,
      WEBSOCKET_CONNECTION_NO_MEMOERY: 1006,
      WEBSOCKET_PEER_INITIATED_CLOSE: 1007,
      WEBSOCKET_DESTROY: 1008,
      WEBSOCKET_PROTOCOL_ERROR: 1009,
      WEBSOCKET_SEND_NO_MEMOERY_ERROR: 1010,
      WEBSOCKET_SEND_DATA_NULL: 1011,
      WEBSOCKET_DATA_LENGTH_EXCEEDS: 1012,
      WEBSOCKET_QUEUE_LENGTH_EXCEEDS: 1013,
      WEBSOCKET_ERROR_NO_CLIENTCONTEX: 1014,
      WEBSOCKET_ERROR_NO_HEADR_CONTEXT: 1015,
      WEBSOCKET_ERROR_NO_HEADR_EXCEEDS: 1016,
      WEBSOCKET_ERROR_HAVE_NO_CONNECT: 1017,
      WEBSOCKET_ERROR_HAVE_NO_CONNECT_CONTEXT: 1018,
    };
    const released = {
      WEBSOCKET_OK: 0,
      WEBSOCKET_CLIENT_NULL: 1001,
      WEBSOCKET_CLIENT_NOT_CREATED: 1002,
      WEBSOCKET_CONNECTION_PARSE_URL_ERROR: 1005,
      WEBSOCKET_CONNECTION_NO_MEMORY: 1006,
      WEBSOCKET_CONNECTION_CLOSED_BY_PEER: 1007,
      WEBSOCKET_DESTROYED: 1008,
      WEBSOCKET_SEND_NO_MEMORY: 1010,
      WEBSOCKET_DATA_LENGTH_EXCEEDED: 1012,
      WEBSOCKET_QUEUE_LENGTH_EXCEEDED: 1013,
      WEBSOCKET_NO_CLIENT_CONTEXT: 1014,
      WEBSOCKET_NO_HEADER_CONTEXT: 1015,
      WEBSOCKET_HEADER_EXCEEDED: 1016,
      WEBSOCKET_NO_CONNECTION: 1017,
      WEBSOCKET_NO_CONNECTION_CONTEXT: 1018,
    };
    expect(Object.keys(draft)).toHaveLength(19);
    expect({ ...OH_Websocket_ErrCode }).toEqual({ ...draft, ...released });
    expect({ ...WebSocket_ErrCode }).toEqual({ ...draft, ...released });
    expect(Object.isFrozen(OH_Websocket_ErrCode)).toBe(true);
  });
});

describe('Construct and AddHeader', () => {
  test('Construct returns a client holding its callbacks and an empty header list', () => {
    const rec = new Recorder();
    const client = make(rec, { message: false });
    expect(client.onOpen).toBe(rec.onOpen);
    expect(client.onMessage).toBeNull();
    expect(client.onError).toBe(rec.onError);
    expect(client.onClose).toBe(rec.onClose);
    expect(client.RequestOptions).toEqual({ headers: null });
    expect(liveNativeCounts().clients).toBe(1);
    expect([OK, HAVE_NO_CONNECT_CONTEXT]).toContain(Destroy(client));
  });

  test('AddHeader appends copies ({FieldName, FieldValue, next: null}) to the end of RequestOptions.headers', () => {
    const client = make(null);
    const stray = { FieldName: 'X-Stray', FieldValue: 'never-linked', next: null };
    const first = { FieldName: 'X-First', FieldValue: 'one', next: stray };
    expect(AddHeader(client, first)).toBe(OK);
    expect(AddHeader(client, { FieldName: 'X-Second', FieldValue: 'two', next: null })).toBe(OK);
    // The header is taken by value: changing the caller's object afterwards changes nothing.
    first.FieldValue = 'changed';
    expect(client.RequestOptions.headers).toEqual({
      FieldName: 'X-First',
      FieldValue: 'one',
      next: { FieldName: 'X-Second', FieldValue: 'two', next: null },
    });
  });
});

describe('a connection to a real ws server', () => {
  test('onOpen reports 101 "Switching Protocols" and passes the client itself', async () => {
    const rec = new Recorder();
    const client = await openClient(rec);
    const [open] = await rec.waitFor('open');
    expect(open.result).toEqual({ code: 101, reason: 'Switching Protocols' });
    expect(open.client).toBe(client);
    const conn = await server.waitForConnection();
    // Host carries the port because it is not the default port.
    expect(conn.headers.host).toBe(`127.0.0.1:${server.port}`);
    expect(rec.of('error')).toEqual([]);
    expect(liveNativeCounts().connections).toBe(1);
    expect(Destroy(client)).toBe(OK);
    await conn.closed;
  });

  test('a string without NUL goes as a TEXT frame and echoes back byte for byte', async () => {
    const rec = new Recorder();
    const client = await openClient(rec);
    const text = 'hello, wörld ✓';
    const bytes = Buffer.from(text, 'utf8');
    expect(Send(client, text, bytes.length)).toBe(OK);
    const conn = await server.waitForConnection();
    const [got] = await conn.waitForMessages(1);
    expect(got.isBinary).toBe(false);
    expect(got.data.toString('utf8')).toBe(text);
    const [msg] = await rec.waitFor('message');
    expect(msg.client).toBe(client);
    expect(Buffer.isBuffer(msg.data)).toBe(true);
    expect(msg.length).toBe(bytes.length);
    expect(msg.data.equals(bytes)).toBe(true);
  });

  test('only the first `length` bytes are sent', async () => {
    const rec = new Recorder();
    const client = await openClient(rec);
    expect(Send(client, 'hello world', 5)).toBe(OK);
    const conn = await server.waitForConnection();
    const [got] = await conn.waitForMessages(1);
    expect(got.data.toString()).toBe('hello');
    const [msg] = await rec.waitFor('message');
    expect(msg.data.toString()).toBe('hello');
    expect(msg.length).toBe(5);
  });

  test('a Buffer with a NUL byte goes as BINARY; a Buffer without NUL as TEXT; a string with NUL as BINARY', async () => {
    const rec = new Recorder();
    const client = await openClient(rec);
    const binary = Buffer.from([0x01, 0x00, 0x02, 0xff, 0x00, 0x7f, 0x80, 0x41, 0x42, 0x00]);
    const plain = Buffer.from('no nul here', 'utf8');
    const withNul = 'a\u0000b';
    expect(Send(client, binary, binary.length)).toBe(OK);
    expect(Send(client, plain, plain.length)).toBe(OK);
    expect(Send(client, withNul, 3)).toBe(OK);
    const conn = await server.waitForConnection();
    const got = await conn.waitForMessages(3);
    expect(got[0].isBinary).toBe(true);
    expect(got[0].data.equals(binary)).toBe(true);
    expect(got[1].isBinary).toBe(false);
    expect(got[1].data.equals(plain)).toBe(true);
    expect(got[2].isBinary).toBe(true);
    expect(got[2].data.equals(Buffer.from(withNul))).toBe(true);
    const msgs = await rec.waitFor('message', 3);
    expect(msgs[0].data.equals(binary)).toBe(true);
    expect(msgs[0].length).toBe(binary.length);
    expect(msgs[1].data.equals(plain)).toBe(true);
    expect(msgs[2].data.equals(Buffer.from(withNul))).toBe(true);
  });

  test('a 1 MiB binary message echoes back whole, in one onMessage', async () => {
    const rec = new Recorder();
    const client = await openClient(rec);
    const big = Buffer.alloc(MiB);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff; // contains NUL bytes
    expect(Send(client, big, big.length)).toBe(OK);
    const conn = await server.waitForConnection();
    const [got] = await conn.waitForMessages(1, 15000);
    expect(got.isBinary).toBe(true);
    expect(got.data.equals(big)).toBe(true);
    const [msg] = await rec.waitFor('message', 1, 15000);
    expect(msg.length).toBe(MiB);
    expect(msg.data.equals(big)).toBe(true);
    expect(rec.of('message')).toHaveLength(1);
  });

  test('data sent right after Connect, before the handshake completes, is queued and sent once open', async () => {
    const rec = new Recorder();
    const client = make(rec);
    expect(Connect(client, server.url, client.RequestOptions)).toBe(OK);
    expect(Send(client, 'early bird', 10)).toBe(OK);
    const conn = await server.waitForConnection();
    const [got] = await conn.waitForMessages(1);
    expect(got.data.toString()).toBe('early bird');
    const [msg] = await rec.waitFor('message');
    expect(msg.data.toString()).toBe('early bird');
    expect(rec.events[0].type).toBe('open');
  });

  test('headers added with AddHeader reach the server', async () => {
    const rec = new Recorder();
    const client = make(rec);
    expect(AddHeader(client, { FieldName: 'X-Test-One', FieldValue: 'value-1', next: null })).toBe(OK);
    expect(AddHeader(client, { FieldName: 'X-Test-Two', FieldValue: 'value two', next: null })).toBe(OK);
    expect(Connect(client, server.url, client.RequestOptions)).toBe(OK);
    await rec.waitFor('open');
    const conn = await server.waitForConnection();
    expect(conn.headers['x-test-one']).toBe('value-1');
    expect(conn.headers['x-test-two']).toBe('value two');
  });

  test('Connect uses the headers of the options it is given', async () => {
    const rec = new Recorder();
    const client = make(rec);
    const options = { headers: { FieldName: 'X-From-Options', FieldValue: 'yes', next: { FieldName: 'X-Second', FieldValue: '2', next: null } } };
    expect(Connect(client, server.url, options)).toBe(OK);
    await rec.waitFor('open');
    const conn = await server.waitForConnection();
    expect(conn.headers['x-from-options']).toBe('yes');
    expect(conn.headers['x-second']).toBe('2');
  });

  test('Close {4000, "bye"} reaches the server and onClose reports it', async () => {
    const rec = new Recorder();
    const client = await openClient(rec);
    const conn = await server.waitForConnection();
    expect(Close(client, { code: 4000, reason: 'bye' })).toBe(OK);
    expect(await conn.closed).toEqual({ code: 4000, reason: 'bye' });
    const [close] = await rec.waitFor('close');
    expect(close.client).toBe(client);
    expect(close.result.code).toBe(4000);
    expect(close.result.reason).toBe('bye');
    expect(rec.of('error')).toEqual([]);
    expect(Destroy(client)).toBe(OK);
  });

  test('Close with code 0 / reason null sends 1000 with an empty reason', async () => {
    const rec = new Recorder();
    const client = await openClient(rec);
    const conn = await server.waitForConnection();
    expect(Close(client, { code: 0, reason: null })).toBe(OK);
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });
    const [close] = await rec.waitFor('close');
    expect(close.result.code).toBe(1000);
  });

  test('a close from the server (4001 "server-bye") is reported by onClose', async () => {
    const rec = new Recorder();
    await openClient(rec);
    const conn = await server.waitForConnection();
    conn.close(4001, 'server-bye');
    const [close] = await rec.waitFor('close');
    expect(close.result).toEqual({ code: 4001, reason: 'server-bye' });
    expect(await conn.closed).toEqual({ code: 4001, reason: 'server-bye' });
  });

  test('a refused port is reported by onError 1003 with a readable message', async () => {
    const port = await getRefusedPort();
    const rec = new Recorder();
    const client = make(rec);
    expect(Connect(client, `ws://127.0.0.1:${port}`, client.RequestOptions)).toBe(OK);
    const [error] = await rec.waitFor('error');
    expect(error.client).toBe(client);
    expect(error.result.errorCode).toBe(CONNECTION_ERROR);
    expect(typeof error.result.errorMessage).toBe('string');
    expect(error.result.errorMessage.trim().length).toBeGreaterThan(0);
    expect(rec.of('open')).toEqual([]);
  });

  test('a NULL onMessage callback is simply not called', async () => {
    const rec = new Recorder();
    const client = make(rec, { message: false });
    expect(client.onMessage).toBeNull();
    expect(Connect(client, server.url, client.RequestOptions)).toBe(OK);
    await rec.waitFor('open');
    expect(Send(client, 'echo me', 7)).toBe(OK);
    const conn = await server.waitForConnection();
    await conn.waitForMessages(1);
    // The echo comes back; then close, so the echo has certainly been handled before onClose.
    expect(Close(client, { code: 1000, reason: 'done' })).toBe(OK);
    await rec.waitFor('close');
    expect(rec.of('message')).toEqual([]);
    expect(rec.of('error')).toEqual([]);
  });

  test('all four callbacks NULL: a full connect / send / close cycle does not crash', async () => {
    const client = make(null);
    expect(Connect(client, server.url, client.RequestOptions)).toBe(OK);
    const conn = await server.waitForConnection();
    expect(Send(client, 'quiet', 5)).toBe(OK);
    await conn.waitForMessages(1);
    expect(Close(client, { code: 4002, reason: 'silent' })).toBe(OK);
    expect(await conn.closed).toEqual({ code: 4002, reason: 'silent' });
    expect(Destroy(client)).toBe(OK);
  });
});

describe('the small messages of one loop turn (one call into JS, one onMessage each)', () => {
  let raw: RawServer;
  beforeEach(async () => {
    raw = await RawServer.start();
    extraServers.push(raw);
  });

  async function rawClient(rec: Recorder, path: string): Promise<{ client: Client; conn: RawConnection }> {
    const accepted = raw.expect(path);
    const client = await openClient(rec, `${raw.url}${path}`);
    return { client, conn: await accepted };
  }

  test('many messages in one read: each its own onMessage, in order, with its bytes and length; a large one and the close after them', async () => {
    const rec = new Recorder();
    const { client, conn } = await rawClient(rec, '/mirror-burst');
    const small = Array.from({ length: 300 }, (_, i) => (i % 2 ? `text ${i} ✓` : Buffer.from([i & 0xff, 0, i >> 8])));
    const large = Buffer.alloc(100 * 1024, 7);
    conn.socket.write(Buffer.concat([
      ...small.map((m) => (typeof m === 'string' ? frame.text(m) : frame.binary(m))),
      frame.binary(large),
      frame.close(4000, 'end'),
    ]));
    await rec.waitFor('close');
    const messages = rec.of('message');
    expect(messages).toHaveLength(301);
    small.forEach((m, i) => {
      const bytes = typeof m === 'string' ? Buffer.from(m, 'utf8') : m;
      expect(messages[i].client).toBe(client);
      expect(messages[i].length).toBe(bytes.length);
      expect(messages[i].data.equals(bytes)).toBe(true);
    });
    expect(messages[300].data.equals(large)).toBe(true);
    expect(rec.events.at(-1)).toMatchObject({ type: 'close', result: { code: 4000, reason: 'end' } });
  });

  test('Destroy in onMessage: no callback for the rest of the batch, nothing leaked', async () => {
    let client: Client | null = null;
    const rec = new Recorder({
      onMessage: (c, data) => { if (data.toString() === 'm9') expect(Destroy(c)).toBe(OK); },
    });
    const opened = await rawClient(rec, '/mirror-destroy');
    client = opened.client;
    opened.conn.socket.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => frame.text(`m${i}`))));
    await rec.waitFor('message', 10);
    await quiesce();
    expect(rec.of('message').map((m) => m.data.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(rec.of('close')).toEqual([]);
    expect(Destroy(client)).toBe(CLIENT_IS_NOT_CREAT);
    // Destroy closed the connection (1001); the server answers and it is gone.
    await opened.conn.until(() => opened.conn.closeFrame !== null, 5000);
    expect(opened.conn.closeFrame?.code).toBe(1001);
    opened.conn.socket.write(frame.close(1001));
    await waitForNoLiveNatives();
  });

  test('an onMessage that throws does not lose the messages after it; the error reaches uncaughtException', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => { uncaught.push(err); };
    process.prependListener('uncaughtException', onUncaught);
    try {
      const seen: string[] = [];
      const onMessage = (_c: Client, data: Buffer): void => {
        seen.push(data.toString());
        if (data.toString() === 'b') throw new Error('callback failed');
      };
      const client = Construct(null, onMessage, null, null)!;
      made.push(client);
      const accepted = raw.expect('/mirror-throw');
      expect(Connect(client, `${raw.url}/mirror-throw`, client.RequestOptions)).toBe(OK);
      const conn = await accepted;
      await sleep(50);  // the client has read the handshake answer
      conn.socket.write(Buffer.concat(['a', 'b', 'c', 'd'].map((t) => frame.text(t))));
      await waitUntil(() => seen.length === 4 && uncaught.length === 1, 5000, 'messages');
      expect(seen).toEqual(['a', 'b', 'c', 'd']);
      expect((uncaught[0] as Error).message).toBe('callback failed');
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });
});

describe('early returns with their exact codes', () => {
  test('a null client → 1001 from AddHeader, Connect, Send, Close and Destroy (both generations)', () => {
    const header = { FieldName: 'a', FieldValue: 'b', next: null };
    expect(AddHeader(null, header)).toBe(CLIENT_IS_NULL);
    expect(Connect(null, server.url, { headers: null })).toBe(CLIENT_IS_NULL);
    expect(Send(null, 'x', 1)).toBe(CLIENT_IS_NULL);
    expect(Close(null, { code: 1000, reason: '' })).toBe(CLIENT_IS_NULL);
    expect(Destroy(null)).toBe(CLIENT_IS_NULL);
    expect(OH_WebSocketClient_AddHeader(null, header)).toBe(CLIENT_IS_NULL);
    expect(OH_WebSocketClient_Connect(null, server.url, { headers: null })).toBe(CLIENT_IS_NULL);
    expect(OH_WebSocketClient_Send(null, 'x', 1)).toBe(CLIENT_IS_NULL);
    expect(OH_WebSocketClient_Close(null, { code: 1000, reason: '' })).toBe(CLIENT_IS_NULL);
    expect(OH_WebSocketClient_Destroy(null)).toBe(CLIENT_IS_NULL);
  });

  test('objects not made by Construct → 1002 from Connect, Send, Close and Destroy', () => {
    const rec = new Recorder();
    const lookalike = {
      onOpen: rec.onOpen, onMessage: rec.onMessage, onError: rec.onError, onClose: rec.onClose,
      RequestOptions: { headers: null },
    };
    for (const obj of [{}, lookalike]) {
      const c = foreign(obj);
      expect(Connect(c, server.url, { headers: null })).toBe(CLIENT_IS_NOT_CREAT);
      expect(Send(c, 'x', 1)).toBe(CLIENT_IS_NOT_CREAT);
      expect(Close(c, { code: 1000, reason: '' })).toBe(CLIENT_IS_NOT_CREAT);
      expect(Destroy(c)).toBe(CLIENT_IS_NOT_CREAT);
      expect(OH_WebSocketClient_Connect(c, server.url, { headers: null })).toBe(CLIENT_IS_NOT_CREAT);
      expect(OH_WebSocketClient_Destroy(c)).toBe(CLIENT_IS_NOT_CREAT);
    }
    expect(rec.events).toEqual([]);
    expect(server.connections).toEqual([]);
  });

  test('AddHeader on an object not made by Construct does not crash (OpenHarmony checks only for NULL here)', () => {
    const result = AddHeader(foreign({ RequestOptions: { headers: null } }), { FieldName: 'a', FieldValue: 'b', next: null });
    expect([OK, CLIENT_IS_NOT_CREAT]).toContain(result);
    expect([OK, CLIENT_IS_NOT_CREAT]).toContain(AddHeader(foreign({}), { FieldName: 'a', FieldValue: 'b', next: null }));
  });

  test('a destroyed client → 1002 from AddHeader, Connect, Send, Close and Destroy', async () => {
    const rec = new Recorder();
    const client = make(rec);
    expect([OK, HAVE_NO_CONNECT_CONTEXT]).toContain(Destroy(client));
    expect(AddHeader(client, { FieldName: 'a', FieldValue: 'b', next: null })).toBe(CLIENT_IS_NOT_CREAT);
    expect(Connect(client, server.url, client.RequestOptions)).toBe(CLIENT_IS_NOT_CREAT);
    expect(Send(client, 'x', 1)).toBe(CLIENT_IS_NOT_CREAT);
    expect(Close(client, { code: 1000, reason: '' })).toBe(CLIENT_IS_NOT_CREAT);
    expect(Destroy(client)).toBe(CLIENT_IS_NOT_CREAT);
    await quiesce();
    expect(rec.events).toEqual([]);
    expect(server.connections).toEqual([]);
  });

  test.each(['not a url', 'wss:/x', 'ws://', 'ws://user@host/', 'ws://[::1/', 'ws://a b/', 'ftp://example.com', 'ws://127.0.0.1:99999', ''])('Connect(%j) → 1005 synchronously, with no callback and no connection', async (url) => {
    const rec = new Recorder();
    const client = make(rec);
    expect(Connect(client, url, client.RequestOptions)).toBe(PARSEURL_ERROR);
    expect(liveNativeCounts().connections).toBe(0);
    await quiesce();
    expect(rec.events).toEqual([]);
    expect([OK, HAVE_NO_CONNECT_CONTEXT]).toContain(Destroy(client));
  });

  test('a host name is resolved off the loop thread: localhost connects', async () => {
    const rec = new Recorder();
    const client = make(rec);
    // The ws server listens on 127.0.0.1 only: if localhost resolves to ::1 first, the
    // client must fall back to the next address.
    expect(Connect(client, server.url.replace('127.0.0.1', 'localhost'), client.RequestOptions)).toBe(OK);
    await rec.waitFor('open');
    expect(Destroy(client)).toBe(OK);
  });

  test('a name that does not resolve gives onError 1003 saying so, and the loop kept turning', async () => {
    const rec = new Recorder();
    const client = make(rec);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    expect(Connect(client, 'ws://no-such-host.invalid/', client.RequestOptions)).toBe(OK);
    const [error] = await rec.waitFor('error');
    clearInterval(ticker);
    expect(error).toMatchObject({ type: 'error', result: { errorCode: 1003 } });
    expect(error.result.errorMessage).toContain('the host name no-such-host.invalid was not found (ENOTFOUND)');
    expect(ticks).toBeGreaterThan(0);
    expect(Destroy(client)).toBe(OK);
  });

  test('http:// URLs are taken as ws:// (as OpenHarmony and WHATWG do)', async () => {
    const rec = new Recorder();
    const client = make(rec);
    expect(Connect(client, server.url.replace('ws://', 'http://'), client.RequestOptions)).toBe(OK);
    await rec.waitFor('open');
    expect(Destroy(client)).toBe(OK);
  });

  test('Send(client, null, 0) and Send(client, null, 5) → 1011', async () => {
    const client = await openClient(new Recorder());
    expect(Send(client, null, 0)).toBe(SEND_DATA_NULL);
    expect(Send(client, null, 5)).toBe(SEND_DATA_NULL);
  });

  test('Send(text, 0) → 0 and sends nothing', async () => {
    const rec = new Recorder();
    const client = await openClient(rec);
    expect(Send(client, 'not sent', 0)).toBe(OK);
    expect(Send(client, Buffer.from('not sent either'), 0)).toBe(OK);
    expect(Send(client, 'marker', 6)).toBe(OK);
    const conn = await server.waitForConnection();
    await rec.waitFor('message');
    expect(conn.received.map((m) => m.data.toString())).toEqual(['marker']);
  });

  test('Send longer than 4 MiB → 1012; exactly 4 MiB → 0 and reaches the server', async () => {
    const rec = new Recorder();
    const client = await openClient(rec);
    const tooBig = Buffer.alloc(4 * MiB + 1, 0x61);
    expect(Send(client, tooBig, tooBig.length)).toBe(DATA_LENGTH_EXCEEDS);
    const limit = Buffer.alloc(4 * MiB, 0x62);
    limit[0] = 0; // binary
    expect(Send(client, limit, limit.length)).toBe(OK);
    const conn = await server.waitForConnection();
    const [got] = await conn.waitForMessages(1, 15000);
    expect(got.data.length).toBe(4 * MiB);
    expect(got.isBinary).toBe(true);
    expect(conn.received).toHaveLength(1);
  });

  test('Close on a client that never connected → 1017', () => {
    const client = make(new Recorder());
    expect(Close(client, { code: 1000, reason: 'x' })).toBe(HAVE_NO_CONNECT);
    expect(Close(client, { code: 0, reason: null })).toBe(HAVE_NO_CONNECT);
  });

  test('Destroy twice: before connecting (0 or 1018, then 1002) and while open (0, then 1002)', async () => {
    const idle = make(null);
    expect([OK, HAVE_NO_CONNECT_CONTEXT]).toContain(Destroy(idle));
    expect(Destroy(idle)).toBe(CLIENT_IS_NOT_CREAT);

    const rec = new Recorder();
    const open = await openClient(rec);
    const conn = await server.waitForConnection();
    expect(Destroy(open)).toBe(OK);
    expect(Destroy(open)).toBe(CLIENT_IS_NOT_CREAT);
    await conn.closed;
    await quiesce();
    expect(rec.events.map((e) => e.type)).toEqual(['open']);
  });
});

describe('Destroy at any moment', () => {
  test('Destroy while open: the server sees the connection go, no callback follows', async () => {
    const rec = new Recorder();
    const client = await openClient(rec);
    const conn = await server.waitForConnection();
    expect(Send(client, 'in flight', 9)).toBe(OK);
    expect(Destroy(client)).toBe(OK);
    await conn.closed;
    await quiesce();
    expect(rec.events.map((e) => e.type)).toEqual(['open']);
    await waitForNoLiveNatives();
  });

  test('Destroy inside onOpen', async () => {
    let result: number | undefined;
    const rec = new Recorder({ onOpen: (c) => { result = Destroy(c); } });
    const client = make(rec);
    expect(Connect(client, server.url, client.RequestOptions)).toBe(OK);
    await rec.waitFor('open');
    expect(result).toBe(OK);
    const conn = await server.waitForConnection();
    await conn.closed;
    await quiesce();
    expect(rec.events.map((e) => e.type)).toEqual(['open']);
    expect(rec.hookErrors).toEqual([]);
    expect(Destroy(client)).toBe(CLIENT_IS_NOT_CREAT);
    await waitForNoLiveNatives();
  });

  test('Destroy inside onMessage', async () => {
    let result: number | undefined;
    const rec = new Recorder({ onMessage: (c) => { result = Destroy(c); } });
    const client = await openClient(rec);
    const conn = await server.waitForConnection();
    // Two messages from the server: the second must never be delivered.
    conn.ws.send('first');
    conn.ws.send('second');
    await rec.waitFor('message');
    expect(result).toBe(OK);
    await conn.closed;
    await quiesce();
    expect(rec.events.map((e) => e.type)).toEqual(['open', 'message']);
    expect(rec.hookErrors).toEqual([]);
    expect(Destroy(client)).toBe(CLIENT_IS_NOT_CREAT);
    await waitForNoLiveNatives();
  });

  test('Destroy inside onError', async () => {
    const port = await getRefusedPort();
    let result: number | undefined;
    const rec = new Recorder({ onError: (c) => { result = Destroy(c); } });
    const client = make(rec);
    expect(Connect(client, `ws://127.0.0.1:${port}`, client.RequestOptions)).toBe(OK);
    await rec.waitFor('error');
    expect(result).toBe(OK);
    await quiesce();
    expect(rec.events.map((e) => e.type)).toEqual(['error']);
    expect(rec.hookErrors).toEqual([]);
    expect(Destroy(client)).toBe(CLIENT_IS_NOT_CREAT);
    await waitForNoLiveNatives();
  });

  test('Destroy inside onClose', async () => {
    let result: number | undefined;
    const rec = new Recorder({ onClose: (c) => { result = Destroy(c); } });
    const client = await openClient(rec);
    const conn = await server.waitForConnection();
    expect(Close(client, { code: 4000, reason: 'bye' })).toBe(OK);
    await rec.waitFor('close');
    expect(result).toBe(OK);
    expect(await conn.closed).toEqual({ code: 4000, reason: 'bye' });
    await quiesce();
    expect(rec.events.map((e) => e.type)).toEqual(['open', 'close']);
    expect(rec.hookErrors).toEqual([]);
    expect(Destroy(client)).toBe(CLIENT_IS_NOT_CREAT);
    await waitForNoLiveNatives();
  });

  test('Destroy during the handshake (right after Connect returns)', async () => {
    const rec = new Recorder();
    const client = make(rec);
    expect(Connect(client, server.url, client.RequestOptions)).toBe(OK);
    expect(Destroy(client)).toBe(OK);
    // The server may or may not have accepted the connection; if it did, it must go away.
    await quiesce();
    for (const conn of server.connections) await conn.closed;
    await quiesce();
    expect(rec.events).toEqual([]);
    await waitForNoLiveNatives();
  });

  test('Destroy during a handshake the server never answers', async () => {
    const silent: SilentServer = await startSilentServer();
    extraServers.push(silent);
    const rec = new Recorder();
    const client = make(rec);
    expect(Connect(client, silent.url, client.RequestOptions)).toBe(OK);
    await waitUntil(() => silent.accepted() === 1, 10000, 'the TCP connection at the silent server');
    expect(Destroy(client)).toBe(OK);
    await quiesce();
    expect(rec.events).toEqual([]);
    await waitForNoLiveNatives();
  });
});

describe('limits and lifetime', () => {
  test('client limit: 100 clients, the 101st is null, after one Destroy one more works', () => {
    NetStack_WebSocket_SetClientLimit(100); // the default; only to be sure no other test changed it
    const clients: Client[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        const c = Construct(null, null, null, null);
        expect(c, `client #${i + 1}`).not.toBeNull();
        clients.push(c!);
      }
      expect(liveNativeCounts().clients).toBe(100);
      expect(Construct(null, null, null, null)).toBeNull();
      expect(OH_WebSocketClient_Constructor(null, null, null, null)).toBeNull();
      expect([OK, HAVE_NO_CONNECT_CONTEXT]).toContain(Destroy(clients.pop()!));
      const again = Construct(null, null, null, null);
      expect(again).not.toBeNull();
      clients.push(again!);
      expect(Construct(null, null, null, null)).toBeNull();
    } finally {
      for (const c of clients) Destroy(c);
      NetStack_WebSocket_SetClientLimit(100);
    }
    expect(liveNativeCounts().clients).toBe(0);
  });

  test('a client garbage-collected while open does not crash the process', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'run with --expose-gc (vitest.config.ts sets execArgv)').toBeTypeOf('function');
    const rec = new Recorder();
    // Everything that references the client lives inside this function; the recorder's
    // events hold the client too, so they are cleared below.
    await (async () => {
      const client = Construct(rec.onOpen, rec.onMessage, rec.onError, rec.onClose);
      expect(client).not.toBeNull();
      expect(Connect(client!, server.url, client!.RequestOptions)).toBe(OK);
      await rec.waitFor('open');
    })();
    rec.events.length = 0;
    for (let i = 0; i < 5; i++) {
      gc!();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const conn = await server.waitForConnection();
    if (conn.ws.readyState === conn.ws.OPEN) {
      conn.ws.send('after gc');
      conn.close(4001, 'server-bye');
    }
    await conn.closed;
    for (let i = 0; i < 5; i++) {
      gc!();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(rec.hookErrors).toEqual([]);
    // The process is alive and the addon still works.
    const rec2 = new Recorder();
    const client2 = await openClient(rec2);
    expect(Send(client2, 'still alive', 11)).toBe(OK);
    const [msg] = await rec2.waitFor('message');
    expect(msg.data.toString()).toBe('still alive');
    expect(Destroy(client2)).toBe(OK);
  });
});

describe('the released OpenHarmony names (API 11)', () => {
  test('OH_WebSocketClient_Constructor / AddHeader / Connect / Send / Close / Destroy work end to end', async () => {
    const rec = new Recorder();
    const client = OH_WebSocketClient_Constructor(rec.onOpen, rec.onMessage, rec.onError, rec.onClose);
    expect(client).not.toBeNull();
    made.push(client!);
    expect(OH_WebSocketClient_AddHeader(client!, { FieldName: 'X-Later', FieldValue: 'names', next: null })).toBe(OK);
    expect(OH_WebSocketClient_Close(client!, { code: 1000, reason: '' })).toBe(HAVE_NO_CONNECT);
    expect(OH_WebSocketClient_Connect(client!, server.url, client!.RequestOptions)).toBe(OK);
    const [open] = await rec.waitFor('open');
    expect(open.result).toEqual({ code: 101, reason: 'Switching Protocols' });
    const conn = await server.waitForConnection();
    expect(conn.headers['x-later']).toBe('names');
    expect(OH_WebSocketClient_Send(client!, 'later', 5)).toBe(OK);
    expect(OH_WebSocketClient_Send(client!, null, 0)).toBe(SEND_DATA_NULL);
    const [msg] = await rec.waitFor('message');
    expect(msg.data.toString()).toBe('later');
    expect(OH_WebSocketClient_Close(client!, { code: 4000, reason: 'bye' })).toBe(OK);
    const [close] = await rec.waitFor('close');
    expect(close.result.code).toBe(4000);
    expect(OH_WebSocketClient_Destroy(client!)).toBe(OK);
    expect(OH_WebSocketClient_Destroy(client!)).toBe(CLIENT_IS_NOT_CREAT);
  });
});

describe("OpenHarmony's own unit tests", () => {
  test('the facts of the OpenHarmony unit tests hold', async () => {
    const header = { FieldName: 'Content-Type', FieldValue: 'application/json', next: null };
    // AddHeader / Send / Close with a NULL client → 1001.
    expect(AddHeader(null, header)).toBe(CLIENT_IS_NULL);
    expect(Send(null, 'hello', 5)).toBe(CLIENT_IS_NULL);
    expect(Close(null, { code: 1000, reason: 'x' })).toBe(CLIENT_IS_NULL);
    // Connect / Destroy with a client struct not made by Construct → 1002.
    const fake = foreign({ onOpen: null, onMessage: null, onError: null, onClose: null, RequestOptions: { headers: null } });
    expect(Connect(fake, server.url, { headers: null })).toBe(CLIENT_IS_NOT_CREAT);
    expect(Destroy(fake)).toBe(CLIENT_IS_NOT_CREAT);
    // Construct + AddHeader + Connect, then the Send cases, then Destroy.
    const rec = new Recorder();
    const client = make(rec);
    expect(AddHeader(client, header)).toBe(OK);
    expect(Connect(client, server.url, client.RequestOptions)).toBe(OK);
    expect(Send(client, null, 0)).toBe(SEND_DATA_NULL);
    expect(Send(client, 'hello', 0)).toBe(OK);
    expect(Send(client, 'hello', 5)).toBe(OK);
    const withNul = Buffer.from([0x68, 0x65, 0x00, 0x6c, 0x6c, 0x6f, 0x00, 0x77, 0x6f, 0x72]);
    expect(withNul.length).toBe(10);
    expect(Send(client, withNul, 10)).toBe(OK);
    expect([OK, HAVE_NO_CONNECT_CONTEXT]).toContain(Destroy(client));
  });
});
