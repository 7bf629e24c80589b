// The soak's servers: a `ws` echo server for the exchanges, and a raw peer whose request path
// says how it treats the connection: answer nothing (abandon-handshake), send the start of a
// large message and stall (abandon-mid-message), stop reading (abandon-mid-send: the client's
// sends pile up), or play a full exchange for the C driver (clib-exchange: three messages, a
// close request, then the closing handshake). The abandon-* connections are dropped after a
// while in any case, so a client waiting for a closing handshake does not wait long.
import net from 'node:net';
import { WebSocketServer } from 'ws';
import { acceptKeyFor, closePayload, encodeFrame, Op } from '../conformance/raw-server';
import { triggerMessage } from '../fuzz/validator';

export const CLIB_MESSAGES = [Buffer.from('hello soak'), Buffer.alloc(64 * 1024, 0x61), Buffer.from('y'.repeat(1000))];

/** How long the raw peer keeps an abandon-* connection before dropping it. */
const DROP_AFTER_MS = 100;

export interface SoakServers {
  echoUrl: string;
  rawUrl: string;
  close(): Promise<void>;
}

function upgradeResponse(head: string): Buffer {
  const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
  return Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(key)}\r\n\r\n`);
}

/** Calls `onClose` once the client's bytes contain a close frame (headers read, payloads skipped). */
function watchForClose(socket: net.Socket, onClose: () => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const len7 = buffered[1] & 0x7f;
      const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      const header = 2 + ext + ((buffered[1] & 0x80) ? 4 : 0);
      if (buffered.length < header) return;
      const length = len7 === 126 ? buffered.readUInt16BE(2) : len7 === 127 ? Number(buffered.readBigUInt64BE(2)) : len7;
      if (buffered.length < header + length) return;
      const opcode = buffered[0] & 0x0f;
      buffered = buffered.subarray(header + length);
      if (opcode === Op.CLOSE) {
        onClose();
        return;
      }
    }
  });
}

function onRawConnection(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  let head = '';
  const onHead = (chunk: Buffer) => {
    head += chunk.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    socket.off('data', onHead);
    const path = /^GET (\S+)/.exec(head)?.[1] ?? '';
    if (path.endsWith('/clib-exchange')) {
      const trigger = encodeFrame({ opcode: Op.TEXT, payload: triggerMessage({ code: 1000, reason: '' }) });
      socket.write(Buffer.concat([upgradeResponse(head), ...CLIB_MESSAGES.map((m, i) => encodeFrame({ opcode: i === 1 ? Op.BINARY : Op.TEXT, payload: m })), trigger]));
      watchForClose(socket, () => socket.end(encodeFrame({ opcode: Op.CLOSE, payload: closePayload(1000) })));
      return;
    }
    if (path.endsWith('/no-read')) {
      socket.write(upgradeResponse(head));
      socket.pause();
      return;
    }
    if (path.endsWith('/abandon-mid-message')) {
      const header = encodeFrame({ opcode: Op.BINARY, payload: Buffer.alloc(0), declaredLength64: 1n << 20n });
      socket.write(Buffer.concat([upgradeResponse(head), header, Buffer.alloc(100 * 1024, 0x62)]));
    } else if (path.endsWith('/abandon-mid-send')) {
      socket.write(upgradeResponse(head));
      socket.pause();
    }
    // abandon-handshake: no answer at all.
    setTimeout(() => socket.destroy(), DROP_AFTER_MS).unref();
  };
  socket.on('data', onHead);
}

export async function startSoakServers(): Promise<SoakServers> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve, reject) => { wss.once('listening', resolve); wss.once('error', reject); });
  const sockets = new Set<net.Socket>();
  const raw = net.createServer({ allowHalfOpen: false }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onRawConnection(socket);
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  return {
    echoUrl: `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`,
    rawUrl: `ws://127.0.0.1:${(raw.address() as net.AddressInfo).port}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    },
  };
}
