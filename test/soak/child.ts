// The client side of the soak, in a child process run with --expose-gc: cycles of connect ->
// exchange -> close on one face, with connections abandoned mid-handshake, mid-message and
// mid-send (terminate, close, AbortSignal, Destroy; right away, on the next tick or from a
// timer) in between. Every `sampleEvery` cycles it runs the GC and reports its RSS, heap,
// open file descriptors and live native objects as a JSON line. It must exit by itself.
//
// Usage: node --expose-gc child.js <package root> <JSON of SoakChildConfig>
import fs from 'node:fs';
import path from 'node:path';
import type * as Lib from '../../lib/index';
import type * as Native from '../../lib/native';
import { Rng } from '../fuzz/rng';
import type { Face } from '../fuzz/faces';

export interface SoakChildConfig {
  face: Exclude<Face, 'clib'>;
  cycles: number;
  sampleEvery: number;
  seed: number;
  /** An echo server (ws), and the raw peer (its paths: see peer.ts). */
  echoUrl: string;
  rawUrl: string;
}

export type SoakReport =
  | { ev: 'sample'; cycle: number; rss: number; heap: number; fds: number; clients: number; connections: number }
  | { ev: 'cycle-failed'; cycle: number; scenario: string; detail: string }
  | { ev: 'flood'; sends: number; firstRefusal: number; rc: number; rssGrowth: number }
  | { ev: 'done'; cycles: number };

const root = path.resolve(process.argv[2] ?? '.');
const config = JSON.parse(process.argv[3] ?? '{}') as SoakChildConfig;
const lib = require(path.join(root, 'dist', 'index.js')) as typeof Lib;
const native = require(path.join(root, 'dist', 'native.js')) as typeof Native;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('the soak child needs --expose-gc');

function report(r: SoakReport): void {
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

const CYCLE_DEADLINE_MS = 15000;
const SCENARIOS = ['exchange', 'abandon-handshake', 'abandon-mid-message', 'abandon-mid-send'] as const;
type Scenario = (typeof SCENARIOS)[number];
/** When the application gives up: right away, on the next tick, or from a timer. */
type When = 'sync' | 'tick' | 'timer';

function later(when: When, rng: Rng, fn: () => void): void {
  if (when === 'sync') fn();
  else if (when === 'tick') process.nextTick(fn);
  else setTimeout(fn, rng.int(0, 5));
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

const MESSAGES = [Buffer.from('hello soak'), Buffer.alloc(64 * 1024, 7), Buffer.from('x'.repeat(1000))];
const BIG = Buffer.alloc(4 * 1024 * 1024, 1);

/** The URL of a scenario: the echo server, or the raw peer's path for it. */
function urlFor(scenario: Scenario): string {
  return scenario === 'exchange' ? config.echoUrl : `${config.rawUrl}/${scenario}`;
}

// ---- one cycle per face -------------------------------------------------------------

type Cycle = (scenario: Scenario, when: When, rng: Rng) => Promise<void>;

const whatwg: Cycle = (scenario, when, rng) => {
  const done = deferred();
  const ws = new lib.WebSocket(urlFor(scenario));
  const echoes: Buffer[] = [];
  const abandon = () => (rng.chance(0.5) ? ws.terminate() : ws.close());
  ws.addEventListener('close', () => done.resolve());
  if (scenario === 'exchange') {
    ws.addEventListener('open', () => MESSAGES.forEach((m, i) => ws.send(i === 1 ? m : m.toString())));
    ws.addEventListener('message', (event) => {
      const data = (event as Lib.MessageEvent<string | Buffer>).data;
      echoes.push(typeof data === 'string' ? Buffer.from(data) : data);
      if (echoes.length === MESSAGES.length) {
        if (!echoes.every((e, i) => e.equals(MESSAGES[i]))) done.reject(new Error('an echo differs'));
        ws.close(1000);
      }
    });
  } else if (scenario === 'abandon-handshake') later(when, rng, abandon);
  else {
    ws.addEventListener('open', () => {
      if (scenario === 'abandon-mid-send') ws.send(BIG);
      later(when, rng, abandon);
    });
  }
  return done.promise;
};

const connectFace: Cycle = async (scenario, when, rng) => {
  const controller = new AbortController();
  const how = rng.pick(['abort', 'close', 'terminate'] as const);
  if (scenario === 'abandon-handshake') {
    const pending = lib.connect(urlFor(scenario), { signal: controller.signal });
    later(when, rng, () => controller.abort());
    await pending.then((socket) => socket.closed, () => undefined);
    return;
  }
  const socket = await lib.connect(urlFor(scenario), { signal: controller.signal });
  if (scenario === 'exchange') {
    await Promise.all(MESSAGES.map((m, i) => socket.send(i === 1 ? m : m.toString())));
    const echoes: Buffer[] = [];
    for await (const m of socket) {
      echoes.push(typeof m === 'string' ? Buffer.from(m) : m);
      if (echoes.length === MESSAGES.length) break;  // leaving the loop closes with 1000
    }
    if (!echoes.every((e, i) => e.equals(MESSAGES[i]))) throw new Error('an echo differs');
    await socket.closed;
    return;
  }
  if (scenario === 'abandon-mid-send') socket.send(BIG).catch(() => undefined);
  later(when, rng, () => {
    if (how === 'abort') controller.abort();
    else if (how === 'close') socket.close().catch(() => undefined);
    else socket.terminate();
  });
  await socket.closed;
};

const arkts: Cycle = (scenario, when, rng) => {
  const done = deferred();
  const ws = lib.webSocket.createWebSocket();
  const echoes: Buffer[] = [];
  const abandon = () => { ws.close().catch(() => undefined); };
  ws.on('close', () => done.resolve());
  if (scenario === 'exchange') {
    ws.on('open', () => MESSAGES.forEach((m, i) => ws.send(i === 1 ? new Uint8Array(m) : m.toString()).catch(() => undefined)));
    ws.on('message', (_err, data) => {
      echoes.push(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data));
      if (echoes.length === MESSAGES.length) {
        if (!echoes.every((e, i) => e.equals(MESSAGES[i]))) done.reject(new Error('an echo differs'));
        abandon();
      }
    });
  } else {
    ws.on('open', () => {
      if (scenario === 'abandon-mid-send') ws.send(new Uint8Array(BIG)).catch(() => undefined);
      if (scenario !== 'abandon-handshake') later(when, rng, abandon);
    });
  }
  ws.connect(urlFor(scenario)).catch((e: Error) => done.reject(e));
  if (scenario === 'abandon-handshake') later(when, rng, abandon);
  return done.promise;
};

/** The C mirror: Destroy is the usual way to abandon (callbacks stop at once); or Close. */
const mirror: Cycle = (scenario, when, rng) => {
  const done = deferred();
  let echoes = 0;
  let destroyed = false;
  const destroy = (c: Native.OH_NetStack_WebsocketClient) => {
    if (destroyed) return;
    destroyed = true;
    native.OH_NetStack_WebsocketClient_Destroy(c);
    done.resolve();
  };
  const abandon = (c: Native.OH_NetStack_WebsocketClient) => {
    if (rng.chance(0.6)) destroy(c);
    else native.OH_NetStack_WebSocketClient_Close(c, { code: 1000, reason: '' });
  };
  const client = native.OH_NetStack_WebsocketClient_Construct(
    (c) => {
      if (scenario === 'exchange') MESSAGES.forEach((m) => native.OH_NetStack_WebSocketClient_Send(c, m, m.length));
      else if (scenario !== 'abandon-handshake') {
        if (scenario === 'abandon-mid-send') {
          native.OH_NetStack_WebSocketClient_Send(c, BIG, BIG.length);
        }
        later(when, rng, () => abandon(c));
      }
    },
    (c) => {
      echoes += 1;
      if (echoes === MESSAGES.length) native.OH_NetStack_WebSocketClient_Close(c, { code: 1000, reason: '' });
    },
    (c) => destroy(c),
    (c) => destroy(c),
  );
  if (!client) return Promise.reject(new Error('Construct returned null'));
  native.OH_NetStack_WebSocketClient_Connect(client, urlFor(scenario), client.RequestOptions);
  if (scenario === 'abandon-handshake') later(when, rng, () => abandon(client));
  return done.promise;
};

const CYCLES: Record<SoakChildConfig['face'], Cycle> = { whatwg, connect: connectFace, arkts, mirror };

// ---- sampling -----------------------------------------------------------------------

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    gc!();
  }
}

async function sample(cycle: number): Promise<void> {
  // Abandoned connections finish a little after their cycle: let them (at most 2 s).
  for (let waited = 0; native.liveNativeCounts().connections > 0 && waited < 2000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await settle();
  const live = native.liveNativeCounts();
  report({
    ev: 'sample', cycle, rss: process.memoryUsage.rss(), heap: process.memoryUsage().heapUsed,
    fds: fs.readdirSync('/proc/self/fd').length, clients: live.clients, connections: live.connections,
  });
}

/** The C mirror's Send to a peer that reads nothing must refuse (1013) before memory runs away. */
async function flood(): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 3);
  const opened = deferred();
  const client = native.OH_NetStack_WebsocketClient_Construct(() => opened.resolve(), null, null, null)!;
  native.OH_NetStack_WebSocketClient_Connect(client, `${config.rawUrl}/no-read`, client.RequestOptions);
  await opened.promise;
  const before = process.memoryUsage.rss();
  let sends = 0;
  let rc = 0;
  while (sends < 2048 && rc === 0) {
    rc = native.OH_NetStack_WebSocketClient_Send(client, chunk, chunk.length);
    sends += 1;
  }
  report({ ev: 'flood', sends, firstRefusal: rc === 0 ? -1 : sends, rc, rssGrowth: process.memoryUsage.rss() - before });
  native.OH_NetStack_WebsocketClient_Destroy(client);
}

async function main(): Promise<void> {
  const rng = new Rng(config.seed);
  const cycle = CYCLES[config.face];
  await sample(0);
  for (let i = 1; i <= config.cycles; i++) {
    const scenario = SCENARIOS[i % SCENARIOS.length];
    const when = rng.pick(['sync', 'tick', 'timer'] as const);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((_, reject) => { timer = setTimeout(() => reject(new Error(`no end within ${CYCLE_DEADLINE_MS} ms`)), CYCLE_DEADLINE_MS); });
    try {
      await Promise.race([cycle(scenario, when, rng), deadline]);
    } catch (error) {
      report({ ev: 'cycle-failed', cycle: i, scenario: `${scenario} (${when})`, detail: String((error as Error)?.message ?? error) });
    } finally {
      clearTimeout(timer);
    }
    if (i % config.sampleEvery === 0 || i === config.cycles) await sample(i);
  }
  if (config.face === 'mirror') await flood();
  report({ ev: 'done', cycles: config.cycles });
}

main().catch((error: unknown) => {
  report({ ev: 'cycle-failed', cycle: -1, scenario: 'setup', detail: String(error) });
  process.exitCode = 1;
});
