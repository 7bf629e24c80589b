// Collectability, per face: a socket that closed and that the application no longer
// references is garbage-collected; an open one that nobody references is not (it still
// delivers its messages and its close). Checked with a FinalizationRegistry and global.gc()
// (vitest.config.ts runs the tests with --expose-gc). Faces where a known defect keeps closed
// sockets alive (test/fuzz/known-defects.ts) run as test.fails, so the fix turns them red
// until the entry is removed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect } from '../../lib/promises';
import { createWebSocket } from '../../lib/ohos';
import { WebSocket } from '../../lib/websocket';
import * as native from '../../lib/native';
import { isKnownDefect } from '../fuzz/known-defects';
import type { Face } from '../fuzz/faces';
import { startEchoServer, waitUntil, type EchoServer } from '../helpers/ws-server';

/** One connection on a face: the object the application holds, and how it ends. */
interface Opened {
  handle: object;
  /** Closes from the client and resolves once the face reported the close. */
  close(): Promise<void>;
  /** Messages delivered so far and whether the close was reported (kept off the handle). */
  seen: { messages: number; closed: boolean };
}

type Opener = (url: string) => Promise<Opened>;

const OPENERS: Record<Exclude<Face, 'clib'>, Opener> = {
  whatwg: async (url) => {
    const ws = new WebSocket(url);
    const seen = { messages: 0, closed: false };
    ws.addEventListener('message', () => { seen.messages += 1; });
    ws.addEventListener('close', () => { seen.closed = true; });
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve);
      ws.addEventListener('error', reject);
    });
    return { handle: ws, seen, close: async () => { ws.close(); await waitUntil(() => seen.closed, 5000, 'close'); } };
  },
  connect: async (url) => {
    const socket = await connect(url);
    const seen = { messages: 0, closed: false };
    void (async () => {
      for await (const _ of socket) seen.messages += 1;
    })().catch(() => undefined).finally(() => { seen.closed = true; });
    return { handle: socket, seen, close: async () => { await socket.close(); await waitUntil(() => seen.closed, 5000, 'close'); } };
  },
  arkts: async (url) => {
    const ws = createWebSocket();
    const seen = { messages: 0, closed: false };
    ws.on('message', () => { seen.messages += 1; });
    ws.on('close', () => { seen.closed = true; });
    const opened = new Promise((resolve) => ws.on('open', resolve));
    await ws.connect(url);
    await opened;
    return { handle: ws, seen, close: async () => { await ws.close(); await waitUntil(() => seen.closed, 5000, 'close'); } };
  },
  mirror: async (url) => {
    const seen = { messages: 0, closed: false };
    let opened = false;
    const client = native.OH_NetStack_WebsocketClient_Construct(
      () => { opened = true; },
      () => { seen.messages += 1; },
      null,
      (c) => {
        seen.closed = true;
        native.OH_NetStack_WebsocketClient_Destroy(c);
      },
    )!;
    native.OH_NetStack_WebSocketClient_Connect(client, url, client.RequestOptions);
    await waitUntil(() => opened, 5000, 'onOpen');
    return {
      handle: client,
      seen,
      close: async () => {
        native.OH_NetStack_WebSocketClient_Close(client, { code: 1000, reason: '' });
        await waitUntil(() => seen.closed, 5000, 'onClose');
      },
    };
  },
};

const gc = (globalThis as { gc?: () => void }).gc;

/** Runs the GC until `done()` or about `ms` have passed (finalizers run between GCs). */
async function collectUntil(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let server: EchoServer;
beforeAll(async () => {
  server = await startEchoServer();
});
afterAll(async () => {
  await server.close();
});

const CLOSED = 20;
const OPEN = 5;

for (const [face, open] of Object.entries(OPENERS) as Array<[Exclude<Face, 'clib'>, Opener]>) {
  describe(`${face}: collectability`, () => {
    const leaks = isKnownDefect('closed-socket-never-collected', face);
    const whenFixed = leaks ? test.fails : test;
    const note = leaks ? ' [known defect 2: closed-socket-never-collected]' : '';

    whenFixed(`${CLOSED} closed sockets nobody references are collected${note}`, async () => {
      expect(gc, 'run with --expose-gc').toBeTypeOf('function');
      let collected = 0;
      const registry = new FinalizationRegistry(() => { collected += 1; });
      // In a function of its own, so no frame of this test still holds the last socket.
      const openAndClose = async (i: number) => {
        const opened = await open(server.url);
        registry.register(opened.handle, i);
        await opened.close();
      };
      for (let i = 0; i < CLOSED; i++) await openAndClose(i);
      await collectUntil(() => collected === CLOSED, 3000);
      expect(collected, `${collected} of ${CLOSED} collected`).toBe(CLOSED);
    });

    // The open sockets of the next two tests: only their `seen` records are kept.
    const open_: Array<Opened['seen']> = [];
    let collectedOpen = 0;
    const registry = new FinalizationRegistry(() => { collectedOpen += 1; });

    test(`${OPEN} open sockets nobody references are not collected: they deliver, then report the server's close`, async () => {
      const first = server.connections.length;
      const openAndDrop = async (i: number) => {
        const opened = await open(server.url);
        registry.register(opened.handle, i);
        open_.push(opened.seen);
      };
      for (let i = 0; i < OPEN; i++) await openAndDrop(i);
      await collectUntil(() => false, 300);
      expect(collectedOpen).toBe(0);
      const conns = server.connections.slice(first);
      for (const conn of conns) conn.ws.send('still there?');
      await waitUntil(() => open_.every((seen) => seen.messages === 1), 5000, 'a message on every dropped socket');
      for (const conn of conns) conn.close(1000, 'bye');
      await waitUntil(() => open_.every((seen) => seen.closed), 5000, 'the close on every dropped socket');
      expect(collectedOpen).toBe(0);
    });

    whenFixed(`...and once closed they are collected${note}`, async () => {
      await collectUntil(() => collectedOpen === OPEN, 3000);
      expect(collectedOpen, `${collectedOpen} of ${OPEN} collected`).toBe(OPEN);
    });
  });
}
