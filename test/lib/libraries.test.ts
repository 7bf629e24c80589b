// Known users of the WebSocket and `ws` client APIs, unchanged, with our class injected where
// each one takes a WebSocket implementation, each against its own real server on 127.0.0.1:
// graphql-ws (webSocketImpl), socket.io-client with both of engine.io's WebSocket
// transports (the one on the global WebSocket, and the one that calls `ws` with its Node
// arguments: { agent: false, perMessageDeflate: { threshold: 1024 }, ... }), and mqtt.js over
// ws (createWebsocket) against an aedes broker.
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { WebSocket } from '../../lib/websocket';

const requireHere = createRequire(__filename);

// engine.io-client's browser transport reads the global WebSocket when it is loaded.
(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('graphql-ws', () => {
  let httpServer: http.Server;
  let port: number;

  beforeAll(async () => {
    // Both from CommonJS, so that the schema and graphql-ws's server share one graphql.
    const { buildSchema } = requireHere('graphql') as typeof import('graphql');
    // (the subpath export needs node16 resolution in TypeScript: typed by hand here)
    const { useServer } = requireHere('graphql-ws/use/ws') as {
      useServer(options: { schema: unknown; roots: unknown }, server: WebSocketServer): unknown;
    };
    const schema = buildSchema('type Query { hello(name: String): String } type Subscription { count(to: Int): Int }');
    const roots = {
      query: { hello: ({ name }: { name: string }) => `hello ${name}` },
      subscription: {
        count: async function* count({ to }: { to: number }) {
          for (let i = 1; i <= to; i += 1) yield { count: i };
        },
      },
    };
    httpServer = http.createServer();
    const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
    useServer({ schema, roots }, wss);
    port = await listen(httpServer);
  });

  afterAll(async () => {
    httpServer.closeAllConnections();
    await new Promise((resolve) => httpServer.close(resolve));
  });

  test('a query and a subscription with webSocketImpl: our WebSocket', async () => {
    const { createClient } = await import('graphql-ws');
    const client = createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const query = client.iterate({ query: '{ hello(name: "graphql-ws") }' });
      const { value } = await query.next();
      expect(value).toEqual({ data: { hello: 'hello graphql-ws' } });
      await query.return?.();
      const counts: unknown[] = [];
      for await (const result of client.iterate({ query: 'subscription { count(to: 3) }' })) counts.push(result.data);
      expect(counts).toEqual([{ count: 1 }, { count: 2 }, { count: 3 }]);
    } finally {
      await client.dispose();
    }
  });
});

describe('socket.io-client', () => {
  let httpServer: http.Server;
  let port: number;

  beforeAll(async () => {
    const { Server } = await import('socket.io');
    httpServer = http.createServer();
    const io = new Server(httpServer);
    io.on('connection', (socket) => {
      socket.on('echo', (payload: unknown, ack: (reply: unknown) => void) => ack(payload));
    });
    port = await listen(httpServer);
  });

  afterAll(async () => {
    httpServer.closeAllConnections();
    await new Promise((resolve) => httpServer.close(resolve));
  });

  async function echoThrough(transport: unknown): Promise<unknown> {
    const { io } = await import('socket.io-client');
    const socket = io(`http://127.0.0.1:${port}`, { transports: [transport as never], forceNew: true, reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const payload = { text: 'héllo', bytes: Buffer.from([1, 2, 3]), big: 'x'.repeat(5000) };
      const reply = await socket.timeout(10000).emitWithAck('echo', payload);
      return reply;
    } finally {
      socket.disconnect();
    }
  }

  test('the WebSocket transport on the global WebSocket', async () => {
    const { WebSocket: GlobalWebSocketTransport } = await import('engine.io-client');
    const reply = await echoThrough(GlobalWebSocketTransport) as { text: string; bytes: Buffer; big: string };
    expect(reply.text).toBe('héllo');
    expect(Buffer.from(reply.bytes)).toEqual(Buffer.from([1, 2, 3]));
    expect(reply.big).toHaveLength(5000);
  });

  test("the Node transport, which calls `ws` with its arguments ({ agent: false, perMessageDeflate: { threshold }, ... })", async () => {
    const { NodeWebSocket } = await import('engine.io-client');
    const seen: unknown[] = [];
    class OurNodeTransport extends NodeWebSocket {
      override createSocket(uri: string, protocols: string | string[] | undefined, opts: Record<string, unknown>): never {
        seen.push(opts);
        return new WebSocket(uri, protocols ?? [], opts) as never;
      }
    }
    const reply = await echoThrough(OurNodeTransport) as { text: string };
    expect(reply.text).toBe('héllo');
    expect(seen[0]).toMatchObject({ agent: false, perMessageDeflate: { threshold: 1024 }, rejectUnauthorized: true });
  });
});

describe('mqtt.js over ws', () => {
  let httpServer: http.Server;
  let port: number;
  let broker: { close(callback: () => void): void };

  beforeAll(async () => {
    const { Aedes } = await import('aedes');
    const aedes = await Aedes.createBroker();
    broker = aedes;
    httpServer = http.createServer();
    const wss = new WebSocketServer({ server: httpServer, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) });
    wss.on('connection', (ws) => aedes.handle(createWebSocketStream(ws) as never));
    port = await listen(httpServer);
  });

  afterAll(async () => {
    httpServer.closeAllConnections();
    await new Promise((resolve) => httpServer.close(resolve));
    await new Promise<void>((resolve) => broker.close(resolve));
  });

  test('connect, subscribe, publish and receive with createWebsocket: our WebSocket', async () => {
    const mqtt = await import('mqtt');
    const client = await mqtt.connectAsync(`ws://127.0.0.1:${port}`, {
      reconnectPeriod: 0,
      createWebsocket: (url: string, protocols: string[], options: unknown) => {
        void options;
        return new WebSocket(url, protocols);
      },
    } as never);
    try {
      await client.subscribeAsync('netstack/test');
      const received = new Promise<string>((resolve) => client.on('message', (_topic, payload) => resolve(String(payload))));
      await client.publishAsync('netstack/test', 'over our WebSocket');
      expect(await received).toBe('over our WebSocket');
    } finally {
      await client.endAsync();
    }
  });
});
