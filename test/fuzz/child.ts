// The client side of the fuzz suite, in a child process of its own (a native crash takes
// only this process down): reads jobs (one JSON line each; or {"abandon": id}: give up on
// that connection as an application would) from stdin, runs each on its face
// as an ordinary application would (echoing every message, closing when a trigger message
// asks), and reports every event as a JSON line on stdout. When stdin ends it starts
// nothing more and must then exit by itself: a connection that keeps the event loop alive
// is a defect the runner reports.
//
// Usage: node child.js <package root>   (loads <root>/dist, i.e. the built package)
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import type * as Lib from '../../lib/index';
import type * as Native from '../../lib/native';
import { TEST_SLOWDOWN } from '../helpers/slowdown';
import { echoes, type ClientJob, type ClientReport } from './faces';
import { parseTrigger } from './validator';

type Report = ClientReport extends infer R ? R extends ClientReport ? Omit<R, 'id' | 't'> : never : never;
type Emit = (report: Report) => void;

const root = path.resolve(process.argv[2] ?? '.');
const lib = require(path.join(root, 'dist', 'index.js')) as typeof Lib;
const native = require(path.join(root, 'dist', 'native.js')) as typeof Native;

function write(report: ClientReport): void {
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function messageReport(data: Buffer, binary: boolean | null): Report {
  return { ev: 'message', binary, len: data.length, crc: zlib.crc32(data), head: data.subarray(0, 16).toString('hex') };
}

function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

function errorFields(error: unknown): { code: number; name: string; message: string } {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  return { code: typeof e?.code === 'number' ? e.code : 0, name: String(e?.name ?? ''), message: String(e?.message ?? error) };
}

function runWhatwg(job: ClientJob, emit: Emit): Abandon {
  const { plan } = job;
  const options: Lib.WebSocketOptions = {};
  if (plan.perMessageDeflate !== undefined) options.perMessageDeflate = plan.perMessageDeflate;
  if (plan.maxPayload !== undefined) options.maxPayload = plan.maxPayload;
  if (plan.handshakeTimeoutMs !== undefined) options.handshakeTimeout = plan.handshakeTimeoutMs;
  const ws = new lib.WebSocket(job.url, plan.protocols, options);
  ws.addEventListener('open', () => emit({ ev: 'open', protocol: ws.protocol, extensions: ws.extensions }));
  ws.addEventListener('message', (event) => {
    const { data } = event as Lib.MessageEvent<string | Buffer>;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    emit(messageReport(bytes, typeof data !== 'string'));
    const trigger = typeof data === 'string' ? parseTrigger(bytes) : undefined;
    if (trigger) ws.close(trigger.code, trigger.reason);
    else ws.send(data);
  });
  ws.addEventListener('error', (event) => emit({ ev: 'error', ...errorFields((event as Lib.ErrorEvent).error) }));
  ws.addEventListener('close', (event) => {
    const e = event as Lib.CloseEvent;
    emit({ ev: 'close', code: e.code, reason: hex(e.reason), clean: e.wasClean });
  });
  return () => ws.terminate();
}

function runConnect(job: ClientJob, emit: Emit): Abandon {
  const { plan } = job;
  const options: Lib.ConnectOptions = { protocols: plan.protocols };
  if (plan.perMessageDeflate !== undefined) options.perMessageDeflate = plan.perMessageDeflate;
  if (plan.maxPayload !== undefined) options.maxPayload = plan.maxPayload;
  if (plan.handshakeTimeoutMs !== undefined) options.handshakeTimeout = plan.handshakeTimeoutMs;
  let opened: Lib.WebSocketConnection | undefined;
  lib.connect(job.url, options).then(async (socket) => {
    opened = socket;
    emit({ ev: 'open', protocol: socket.protocol, extensions: socket.extensions });
    void socket.closed.then((r) => emit({ ev: 'close', code: r.code, reason: hex(r.reason), clean: r.wasClean }));
    try {
      for await (const message of socket) {
        const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
        emit(messageReport(bytes, typeof message !== 'string'));
        const trigger = typeof message === 'string' ? parseTrigger(bytes) : undefined;
        try {
          if (trigger) void socket.close(trigger.code, trigger.reason);
          else socket.send(message).catch(() => undefined);
        } catch {
          // Closing already: the message is not echoed.
        }
      }
    } catch (error) {
      emit({ ev: 'error', ...errorFields(error) });
    }
  }, (error: unknown) => emit({ ev: 'rejected', ...errorFields(error) }));
  return () => opened?.terminate();
}

function runArkts(job: ClientJob, emit: Emit): Abandon {
  const { plan } = job;
  const ws = lib.webSocket.createWebSocket();
  ws.on('open', () => emit({ ev: 'open', protocol: null, extensions: null }));
  ws.on('message', (_err, data) => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    emit(messageReport(bytes, typeof data !== 'string'));
    const trigger = typeof data === 'string' ? parseTrigger(bytes) : undefined;
    if (trigger) ws.close({ code: trigger.code, reason: trigger.reason }).catch(() => undefined);
    else ws.send(data).catch(() => undefined);
  });
  ws.on('error', (error) => emit({ ev: 'error', ...errorFields(error) }));
  ws.on('close', (_err, result) => emit({ ev: 'close', code: result.code, reason: hex(result.reason), clean: null }));
  ws.connect(job.url, plan.protocols.length ? { protocol: plan.protocols.join(',') } : {})
    .catch((error: unknown) => emit({ ev: 'exception', message: `connect() rejected: ${errorFields(error).message}` }));
  return () => { ws.close().catch(() => undefined); };
}

function runMirror(job: ClientJob, emit: Emit): Abandon {
  const { plan } = job;
  let opened = false;
  const closeInCallback = (client: Native.OH_NetStack_WebsocketClient, where: 'error' | 'close') => {
    if (!plan.closeInCallbacks) return;
    emit({ ev: 'close-rc', where, rc: native.OH_NetStack_WebSocketClient_Close(client, { code: 1000, reason: '' }) });
  };
  const client = native.OH_NetStack_WebsocketClient_Construct(
    () => {
      opened = true;
      emit({ ev: 'open', protocol: null, extensions: null });
    },
    (c, data, length) => {
      const bytes = Buffer.from(data.subarray(0, length));
      emit(messageReport(bytes, null));
      const trigger = parseTrigger(bytes);
      if (trigger) {
        const rc = native.OH_NetStack_WebSocketClient_Close(c, { code: trigger.code, reason: trigger.reason });
        emit({ ev: 'closing', code: trigger.code, rc });
      } else if (echoes('mirror', bytes, false)) {
        native.OH_NetStack_WebSocketClient_Send(c, bytes, bytes.length);
      }
    },
    (c, error) => {
      emit({ ev: 'error', code: error.errorCode, name: '', message: error.errorMessage });
      closeInCallback(c, 'error');
      if (!opened) native.OH_NetStack_WebsocketClient_Destroy(c);
    },
    (c, result) => {
      emit({ ev: 'close', code: result.code, reason: hex(result.reason), clean: null });
      closeInCallback(c, 'close');
      native.OH_NetStack_WebsocketClient_Destroy(c);
    },
  );
  if (!client) throw new Error('OH_NetStack_WebsocketClient_Construct returned null (client limit?)');
  const rc = native.OH_NetStack_WebSocketClient_Connect(client, job.url, client.RequestOptions);
  if (rc !== 0) throw new Error(`OH_NetStack_WebSocketClient_Connect returned ${rc}`);
  return () => { native.OH_NetStack_WebsocketClient_Destroy(client); };
}

/** How the application gives up on a connection (the runner asks when one hangs). */
type Abandon = () => void;
const abandons = new Map<number, Abandon>();

const RUNNERS: Record<Exclude<ClientJob['plan']['face'], 'clib'>, (job: ClientJob, emit: Emit) => Abandon> = {
  whatwg: runWhatwg, connect: runConnect, arkts: runArkts, mirror: runMirror,
};

function start(job: ClientJob): void {
  const emit: Emit = (report) => write({ ...report, id: job.id, t: Date.now() } as ClientReport);
  try {
    const face = job.plan.face;
    if (face === 'clib') throw new Error('the clib face runs in the C driver');
    abandons.set(job.id, RUNNERS[face](job, emit));
  } catch (error) {
    emit({ ev: 'exception', message: `starting the case threw: ${errorFields(error).message}` });
  }
}

// The runner reads stdout; once it is gone (killed, crashed) nobody can read a report, and
// reporting the write's EPIPE as an exception would write again, in a loop: leave at once.
process.stdout.on('error', () => process.exit(0));

// A throw that escapes a face's listener (rethrown by the library on the next tick) is a
// finding, not a reason to stop the other cases of this process.
process.on('uncaughtException', (error) => write({ id: -1, t: Date.now(), ev: 'exception', message: `uncaught: ${errorFields(error).message}` }));

// Once stdin ends the process must exit by itself. If it is still here a while later, say what
// keeps it alive (to stderr, which the runner shows with a 'no-exit' failure): the timer is
// unref'd, so it never keeps the process alive itself.
const WHY_ALIVE_AFTER_MS = 3000 * TEST_SLOWDOWN;
process.stdin.on('end', () => {
  setTimeout(() => {
    const live = native.liveNativeCounts();
    process.stderr.write(`still alive ${WHY_ALIVE_AFTER_MS} ms after stdin ended: resources ${JSON.stringify(process.getActiveResourcesInfo())}, `
      + `native ${JSON.stringify(live)}\n`);
  }, WHY_ALIVE_AFTER_MS).unref();
});

const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (!line.trim()) return;
  const message = JSON.parse(line) as ClientJob | { abandon: number };
  if ('abandon' in message) abandons.get(message.abandon)?.();
  else start(message);
});
