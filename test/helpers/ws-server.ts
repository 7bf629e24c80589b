// Real peers for the tests: a `ws` echo server on 127.0.0.1, a port that refuses
// connections, and a TCP server that accepts and never answers the handshake.
import net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';

export interface ReceivedMessage {
  data: Buffer;
  isBinary: boolean;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

/** One accepted WebSocket connection, as the server saw it. */
export interface ServerConnection {
  ws: WebSocket;
  /** Headers of the upgrade request (names in lower case, as Node gives them). */
  headers: IncomingHttpHeaders;
  received: ReceivedMessage[];
  /** Set when the connection has closed (code 1006 when no close frame came). */
  closeInfo: CloseInfo | null;
  /** Resolves when the connection has closed. */
  closed: Promise<CloseInfo>;
  /** Resolves once `count` messages have arrived. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /** Starts the closing handshake from the server with this code and reason. */
  close(code: number, reason?: string): void;
}

export interface EchoServer {
  url: string;
  port: number;
  connections: ServerConnection[];
  /** The underlying ws server, for tests that need more than echo. */
  wss: WebSocketServer;
  /** Resolves with connection number `index` (0-based) once it has been accepted. */
  waitForConnection(index?: number, timeoutMs?: number): Promise<ServerConnection>;
  /** Terminates all connections and stops the server. */
  close(): Promise<void>;
}

export interface EchoServerOptions {
  /** Echo every message back with the same text/binary type (default true). */
  echo?: boolean;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Polls `predicate` every few milliseconds until it is true; rejects after timeoutMs. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Rejects with a clear message if `promise` does not settle within timeoutMs. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const echo = options.echo ?? true;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const port = (wss.address() as net.AddressInfo).port;
  const connections: ServerConnection[] = [];

  wss.on('connection', (ws, req) => {
    let resolveClosed!: (info: CloseInfo) => void;
    const conn: ServerConnection = {
      ws,
      headers: req.headers,
      received: [],
      closeInfo: null,
      closed: new Promise<CloseInfo>((resolve) => { resolveClosed = resolve; }),
      waitForMessages: async (count, timeoutMs = 10000) => {
        await waitUntil(() => conn.received.length >= count, timeoutMs, `${count} message(s) at the server`);
        return conn.received;
      },
      close: (code, reason) => ws.close(code, reason),
    };
    ws.on('message', (data, isBinary) => {
      const buf = toBuffer(data);
      conn.received.push({ data: buf, isBinary });
      if (echo && ws.readyState === ws.OPEN) ws.send(buf, { binary: isBinary });
    });
    ws.on('close', (code, reason) => {
      conn.closeInfo = { code, reason: reason.toString('utf8') };
      resolveClosed(conn.closeInfo);
    });
    ws.on('error', () => { /* a client that vanishes mid-frame is expected in some tests */ });
    connections.push(conn);
  });

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    connections,
    wss,
    waitForConnection: async (index = 0, timeoutMs = 10000) => {
      await waitUntil(() => connections.length > index, timeoutMs, `server connection #${index}`);
      return connections[index];
    },
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }),
  };
}

/** A port on 127.0.0.1 where nothing listens (a server is bound to it, then closed). */
export async function getRefusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface SilentServer {
  url: string;
  port: number;
  /** How many TCP connections have been accepted. */
  accepted(): number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never answers: a WebSocket handshake to it never completes. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => { /* client went away */ });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    accepted: () => accepted,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
