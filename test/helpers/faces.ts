// Helper for the TypeScript-face tests: records the events of a WHATWG WebSocket (with the
// readyState seen inside each listener) so tests assert outside the listeners; an HTTP
// CONNECT proxy.
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
  /** The "host:port" of every CONNECT request, in order. */
  targets: string[];
  close(): Promise<void>;
}

/** A plain-HTTP proxy that serves CONNECT tunnels (and answers 405 to anything else). */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const targets: string[] = [];
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    track(client);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const match = /^CONNECT (\S+):(\d+) HTTP\/1\.[01]\r\n/.exec(head.toString('latin1'));
      if (!match) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      targets.push(`${match[1]}:${match[2]}`);
      const upstream = net.connect(Number(match[2]), match[1].replace(/^\[|\]$/g, ''), () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      track(upstream);
      upstream.on('error', () => client.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    targets,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
