// Helper for the TypeScript-face tests: records the events of a WHATWG WebSocket (with the
// readyState seen inside each listener) so tests assert outside the listeners; an HTTP
// CONNECT proxy.
import http from 'node:http';
import net from 'node:net';
import type { WebSocket } from '../../lib/websocket';
import { waitUntil } from './ws-server';

export interface RecordedEvent {
  type: string;
  readyState: number;
  data?: unknown;
  code?: number;
  reason?: string;
  wasClean?: boolean;
  error?: unknown;
  event: Event;
}

export class EventLog {
  readonly events: RecordedEvent[] = [];

  constructor(ws: WebSocket, types: string[] = ['open', 'message', 'error', 'close']) {
    for (const type of types) {
      ws.addEventListener(type, (event: Event) => {
        const e = event as Event & { data?: unknown; code?: number; reason?: string; wasClean?: boolean; error?: unknown };
        this.events.push({
          type, readyState: ws.readyState, data: e.data, code: e.code, reason: e.reason, wasClean: e.wasClean, error: e.error, event,
        });
      });
    }
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  of(type: string): RecordedEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  async waitFor(type: string, count = 1, timeoutMs = 10000): Promise<RecordedEvent[]> {
    await waitUntil(() => this.of(type).length >= count, timeoutMs, `${count} '${type}' event(s); got ${this.types().join(',')}`);
    return this.of(type);
  }
}

export interface ConnectProxy {
  host: string;
  port: number;
  /** "http://host:port" (IPv6 hosts in brackets). */
  url: string;
  /** The "host:port" of every CONNECT request, in order. */
  targets: string[];
  /** The Proxy-Authorization header of every CONNECT request ('' when absent), in order. */
  authorizations: string[];
  close(): Promise<void>;
}

export interface ConnectProxyOptions {
  /** Where to listen (default 127.0.0.1). */
  host?: string;
  /** Require these credentials (Proxy-Authorization: Basic); others get 407. */
  username?: string;
  password?: string;
  /** After a 407, keep the connection open instead of closing it (a client must not wait). */
  holdOpenAfter407?: boolean;
}

/** A plain-HTTP proxy (node:http) that serves CONNECT tunnels, with Basic authentication
 * when asked (407 without the right credentials), and answers 405 to anything else. */
export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const targets: string[] = [];
  const authorizations: string[] = [];
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const expected = options.username !== undefined || options.password !== undefined
    ? Buffer.from(`${options.username ?? ''}:${options.password ?? ''}`, 'utf8').toString('base64')
    : undefined;
  const server = http.createServer((_req, res) => {
    res.writeHead(405, { 'content-length': '0' }).end();
  });
  server.on('connection', track);
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const authorization = req.headers['proxy-authorization'] ?? '';
    authorizations.push(authorization);
    targets.push(req.url ?? '');
    if (expected !== undefined) {
      const match = /^basic\s+(\S+)$/i.exec(authorization);
      if (!match || match[1] !== expected) {
        client.write('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n' +
          'Content-Length: 0\r\n\r\n');
        if (!options.holdOpenAfter407) client.end();
        return;
      }
    }
    const target = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (!target) {
      client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(target[2]), target[1].replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    track(upstream);
    upstream.on('error', () => client.destroy());
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    targets,
    authorizations,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
