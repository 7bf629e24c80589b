// What every face tells the application when a connection ends badly (issue 11):
// - the server sends a close frame with a code it may not send: the client fails the
//   connection (close 1002 on the wire), and the application hears it as every other
//   failure: an error (ProtocolError, 1009) and a close that is not clean (1002). lws took
//   it for a close 1002 from the server and it was reported clean, without an error;
// - the server drops TCP instead of answering the client's close: 1006, not clean (it was
//   reported as a clean 1000);
// - C mirror: Close and Send called from onError or onClose find nothing to close or send
//   (1017; Close returned 0), and Send to a peer that reads nothing stops at its bounds (1013);
// - the client fails the connection while the server still writes: the server reads the
//   close frame 1002 and then a FIN (the socket lingers, native/core/socket_linger); it got a
//   TCP reset, its next write failed, and it lost the close frame in about a third of cases.
// Against a raw node:net peer; every case ends with no native object left.
import crypto from 'node:crypto';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { connect } from '../../lib/promises';
import { createWebSocket } from '../../lib/ohos';
import { WebSocket } from '../../lib/websocket';
import * as native from '../../lib/native';
import { RawServer, frame, type RawConnection } from '../conformance/raw-server';
import { waitForNoLiveNatives } from '../helpers/recorder';
import { waitUntil } from '../helpers/ws-server';

const PROTOCOL_ERROR = 1009;
const NO_CONNECTION = 1017;
const QUEUE_FULL = 1013;

/** What the application was told. */
interface Told {
  errors: number[];
  close: { code: number; wasClean?: boolean } | null;
}

/** One connection on a face: what it was told, and the client's close. */
interface FaceClient {
  told: Told;
  close(): void;
}

type Face = 'whatwg' | 'connect' | 'arkts' | 'mirror';
const FACES: Face[] = ['whatwg', 'connect', 'arkts', 'mirror'];

function errorCode(error: unknown): number {
  return typeof (error as { code?: unknown })?.code === 'number' ? (error as { code: number }).code : -1;
}

async function open(face: Face, url: string): Promise<FaceClient> {
  const told: Told = { errors: [], close: null };
  switch (face) {
    case 'whatwg': {
      const ws = new WebSocket(url);
      ws.addEventListener('error', (event) => told.errors.push(errorCode((event as Event & { error?: unknown }).error)));
      ws.addEventListener('close', (event) => { told.close = { code: event.code, wasClean: event.wasClean }; });
      await new Promise((resolve) => ws.addEventListener('open', resolve));
      return { told, close: () => ws.close(1000) };
    }
    case 'connect': {
      const socket = await connect(url);
      void (async () => {
        try {
          for await (const _ of socket) { /* drain */ }
        } catch (error) {
          told.errors.push(errorCode(error));
        }
      })();
      void socket.closed.then((result) => { told.close = { code: result.code, wasClean: result.wasClean }; });
      return { told, close: () => { void socket.close(1000); } };
    }
    case 'arkts': {
      const ws = createWebSocket();
      ws.on('error', (error) => told.errors.push(errorCode(error)));
      ws.on('close', (_err, result) => { told.close = { code: result.code }; });
      const opened = new Promise((resolve) => ws.on('open', resolve));
      await ws.connect(url);
      await opened;
      return { told, close: () => { void ws.close({ code: 1000 }); } };
    }
    case 'mirror': {
      let opened = false;
      const client = native.OH_NetStack_WebsocketClient_Construct(
        () => { opened = true; },
        null,
        (_c, error) => told.errors.push(error.errorCode),
        (c, result) => {
          told.close = { code: result.code };
          native.OH_NetStack_WebsocketClient_Destroy(c);
        },
      )!;
      native.OH_NetStack_WebSocketClient_Connect(client, url, client.RequestOptions);
      await waitUntil(() => opened, 10000, 'onOpen');
      return { told, close: () => { native.OH_NetStack_WebSocketClient_Close(client, { code: 1000, reason: '' }); } };
    }
  }
}

let server: RawServer;
let path = 0;
/** A fresh request path, and the server's side of the connection made to it. */
function route(): { url: string; conn: Promise<RawConnection> } {
  const p = `/c${++path}`;
  return { url: server.url + p, conn: server.expect(p) };
}

beforeAll(async () => {
  server = await RawServer.start();
});
afterEach(async () => {
  await waitForNoLiveNatives(5000);
});
afterAll(async () => {
  await server.close();
});

describe.each(FACES)('%s', (face) => {
  test.each([0, 999, 1006, 1016, 5000, 65535])('an invalid close code (%i) from the server: one error, close 1002, not clean', async (code) => {
    const { url, conn: connPromise } = route();
    const client = await open(face, url);
    const conn = await connPromise;
    await conn.write(frame.close(code));
    await waitUntil(() => client.told.close !== null, 10000, 'the close');
    await conn.until(() => conn.closeFrame !== null && !conn.tcpOpen, 5000);
    expect({ sent: conn.closeFrame?.code, told: client.told }).toEqual({
      sent: 1002,
      told: { errors: [PROTOCOL_ERROR], close: face === 'whatwg' || face === 'connect' ? { code: 1002, wasClean: false } : { code: 1002 } },
    });
  });

  test('the server drops TCP instead of answering the close: 1006, not clean', async () => {
    const { url, conn: connPromise } = route();
    const client = await open(face, url);
    const conn = await connPromise;
    client.close();
    await conn.until(() => conn.closeFrame !== null, 5000);
    expect(conn.closeFrame?.code).toBe(1000);
    conn.destroy();
    await waitUntil(() => client.told.close !== null, 10000, 'the close');
    // The C API reports "no code" as 1001 (OpenHarmony's convention).
    const expected = face === 'mirror' ? { code: 1001 } : face === 'arkts' ? { code: 1006 } : { code: 1006, wasClean: false };
    expect(client.told.close).toEqual(expected);
  });
});

describe('mirror: calls from inside onError and onClose, and Send bounds', () => {
  test('Close and Send from onError and onClose of a failed connection return 1017', async () => {
    const { url, conn: connPromise } = route();
    const rcs: Record<string, number> = {};
    let opened = false;
    let closed = false;
    const client = native.OH_NetStack_WebsocketClient_Construct(
      () => { opened = true; },
      null,
      (c) => { rcs.closeInError = native.OH_NetStack_WebSocketClient_Close(c, { code: 1000, reason: '' }); },
      (c) => {
        rcs.closeInClose = native.OH_NetStack_WebSocketClient_Close(c, { code: 1000, reason: '' });
        rcs.sendInClose = native.OH_NetStack_WebSocketClient_Send(c, 'late', 4);
        closed = true;
      },
    )!;
    native.OH_NetStack_WebSocketClient_Connect(client, url, client.RequestOptions);
    await waitUntil(() => opened, 10000, 'onOpen');
    const conn = await connPromise;
    await conn.write(frame.close(999));
    await waitUntil(() => closed, 10000, 'onClose');
    expect(rcs).toEqual({ closeInError: NO_CONNECTION, closeInClose: NO_CONNECTION, sendInClose: NO_CONNECTION });
    expect(native.OH_NetStack_WebsocketClient_Destroy(client)).toBe(0);
  });

  test('Send to a peer that reads nothing is refused with 1013 at the byte bound, and at the message bound', async () => {
    const flood = async (size: number, attempts: number) => {
      const { url, conn: connPromise } = route();
      let opened = false;
      const client = native.OH_NetStack_WebsocketClient_Construct(() => { opened = true; }, null, null, null)!;
      native.OH_NetStack_WebSocketClient_Connect(client, url, client.RequestOptions);
      (await connPromise).socket.pause();  // reads nothing from now on
      await waitUntil(() => opened, 10000, 'onOpen');
      const chunk = Buffer.alloc(size, 0x78);
      let taken = 0;
      let rc = 0;
      while (taken < attempts && (rc = native.OH_NetStack_WebSocketClient_Send(client, chunk, chunk.length)) === 0) taken += 1;
      expect(native.OH_NetStack_WebsocketClient_Destroy(client)).toBe(0);
      return { rc, taken };
    };
    // The defaults: 64 MiB waiting (1,024 messages of 64 KiB, plus what the kernel took).
    const bytes = await flood(64 * 1024, 16384);
    expect(bytes.rc).toBe(QUEUE_FULL);
    expect(bytes.taken).toBeGreaterThanOrEqual(1024);
    expect(bytes.taken).toBeLessThan(16384);
    // At most 8 messages waiting.
    native.NetStack_WebSocket_SetSendQueueLimits(1024 * 1024 * 1024, 8);
    try {
      const messages = await flood(1024, 100000);
      expect(messages.rc).toBe(QUEUE_FULL);
      expect(messages.taken).toBeLessThan(100000);
    } finally {
      native.NetStack_WebSocket_SetSendQueueLimits(64 * 1024 * 1024, 65536);
    }
  });
});

describe('a failure while the server still writes', () => {
  // The server answers the upgrade, sends a text frame with RSV1 set (the client fails the
  // connection: 1002) and from then on writes a ping every ms, in two writes, until the
  // client's FIN or a write error. It records what it read and how the TCP connection ended.
  async function trickleServer(): Promise<{ url: string; outcomes: string[]; close(): Promise<void> }> {
    const outcomes: string[] = [];
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      let head: string | null = '';
      let read = Buffer.alloc(0);
      let ending = 'open';
      let writer: NodeJS.Timeout | undefined;
      socket.on('error', (error: NodeJS.ErrnoException) => { if (ending === 'open') ending = `write/read error ${error.code}`; });
      socket.on('end', () => { if (ending === 'open') ending = 'FIN'; socket.end(); });
      socket.on('close', () => {
        clearInterval(writer);
        sockets.delete(socket);
        // The client's first frame: a masked close (mask at bytes 2-5, its code at 6-7).
        const isClose = read.length >= 8 && (read[0] & 0x0f) === 0x8 && (read[1] & 0x80) !== 0;
        outcomes.push(`${isClose ? `close ${read.readUInt16BE(6) ^ read.readUInt16BE(2)}` : 'no close frame'}, ${ending}`);
      });
      socket.on('data', (data: Buffer) => {
        if (head === null) {
          read = Buffer.concat([read, data]);
          return;
        }
        head += data.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
        head = null;
        const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        socket.write(Buffer.from([0x81 | 0x40, 1, 0x78]));
        const ping = frame.ping('p');
        writer = setInterval(() => {
          if (socket.destroyed || socket.writableEnded) return;
          socket.write(ping.subarray(0, 1));
          socket.write(ping.subarray(1));
        }, 1);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      outcomes,
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  test.each(FACES)('%s: the server reads close 1002, then a FIN (40 attempts)', async (face) => {
    const peer = await trickleServer();
    try {
      for (let attempt = 0; attempt < 40; attempt++) {
        let ended = false;
        if (face === 'mirror') {
          const client = native.OH_NetStack_WebsocketClient_Construct(null, null, null, (c) => {
            ended = true;
            native.OH_NetStack_WebsocketClient_Destroy(c);
          })!;
          native.OH_NetStack_WebSocketClient_Connect(client, peer.url, client.RequestOptions);
        } else if (face === 'arkts') {
          const ws = createWebSocket();
          ws.on('error', () => undefined);
          ws.on('close', () => { ended = true; });
          void ws.connect(peer.url);
        } else if (face === 'connect') {
          void connect(peer.url).then(async (socket) => {
            try { for await (const _ of socket) { /* drain */ } } catch { /* the failure */ }
            await socket.closed;
            ended = true;
          }, () => { ended = true; });
        } else {
          const ws = new WebSocket(peer.url);
          ws.onerror = () => undefined;
          ws.onclose = () => { ended = true; };
        }
        await waitUntil(() => ended && peer.outcomes.length === attempt + 1, 10000, `attempt ${attempt} to end`);
      }
      expect(peer.outcomes.filter((o) => o !== 'close 1002, FIN')).toEqual([]);
    } finally {
      await peer.close();
    }
  }, 60000);
});
