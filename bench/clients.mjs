// Client adapters: one small, uniform face over each WebSocket client under test, so the
// workloads in client.mjs are the same code for all of them. An adapter is loaded in its
// own child process only (nothing of another client is loaded there).
//
//   const a = await loadClient(name)          // throws if unavailable
//   const conn = await a.open(url, { text, deflate, onMessage })   // resolves on open
//   conn.send(payload)                        // payload from preparePayload()
//   await conn.close()                        // clean close; resolves when closed
//
// onMessage gets what the client hands the application: a Buffer / ArrayBuffer for binary
// messages, a string for text messages (for clients that give bytes for text - ws, the C
// mirror - the adapter makes the string, as an application would). The raw client hands
// only the message's length (it is the physical limit: no copy, no decode).
//
// `bun` and `deno` are the WebSocket built into those runtimes: their child process is this
// same client.mjs run by that runtime's binary (childCommand() below; the binaries come from
// bench/prepare-runtimes.sh), so the workload and measurement code is the same for all.
// This file and client.mjs must therefore stay loadable in Bun and Deno (node: modules only).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (name) => path.join(root, 'dist', name);

/** name -> { about, deflate (permessage-deflate supported), maxSend (largest message it
 * may send, if limited), env (for its child process), runtime (bun, deno: the runtime its
 * child process runs in; default node), load() }. Order = table order. */
export const CLIENTS = {
  'ours-whatwg': {
    about: 'our WHATWG WebSocket (lib/websocket.ts)',
    deflate: true,
    load: loadWhatwg,
  },
  'ours-whatwg-ab': {
    about: "our WHATWG WebSocket with binaryType 'arraybuffer' (what undici, Deno and browsers hand out)",
    deflate: true,
    load: loadWhatwgArrayBuffer,
  },
  'ours-stream': {
    about: 'our WebSocketStream (lib/websocket-stream.ts): the readable read in a loop, writes not awaited',
    deflate: true,
    load: loadStream,
  },
  'ours-paused': {
    about: 'our WHATWG WebSocket read through pause()/resume(): paused after every 64th message, resumed from a microtask',
    deflate: true,
    load: loadPaused,
  },
  'ours-engine': {
    about: 'our engine, addon.NativeSocket (lib/binding.ts)',
    deflate: true,
    load: loadEngine,
  },
  'ours-mirror': {
    about: 'our OpenHarmony C-API mirror (lib/native.ts)',
    deflate: false,
    maxSend: 4 * 1024 * 1024, // OpenHarmony's limit: a larger Send returns 1012
    load: loadMirror,
  },
  ws: {
    about: 'ws with bufferutil',
    deflate: true,
    load: () => loadWs(true),
  },
  'ws-nobu': {
    about: 'ws without bufferutil (WS_NO_BUFFER_UTIL=1)',
    deflate: true,
    env: { WS_NO_BUFFER_UTIL: '1' },
    load: () => loadWs(false),
  },
  undici: {
    about: "undici 7's WebSocket (permessage-deflate: receive only)",
    deflate: true,
    load: loadUndici,
  },
  raw: {
    about: 'node:net/tls, pre-built masked frames, echoes parsed not decoded: the physical limit',
    deflate: false,
    load: loadRaw,
  },
  bun: {
    about: "Bun's built-in WebSocket (its default binaryType, 'nodebuffer')",
    deflate: true, // Bun's client offers permessage-deflate (no context takeover, as negotiated by the Go server)
    runtime: 'bun',
    load: loadBun,
  },
  deno: {
    about: "Deno's built-in WebSocket (binaryType 'arraybuffer'; its default is 'blob')",
    deflate: false, // Deno's client offers no permessage-deflate
    runtime: 'deno',
    load: loadDeno,
  },
};

// ---- the runtime a client's child process runs in ------------------------------------------
/** Where bench/prepare-runtimes.sh caches Bun and Deno (npm packages, the binary inside). */
export const runtimesDir = process.env.BENCH_RUNTIMES_DIR ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'netstack-websocket', 'bench-runtimes');

const RUNTIMES = {
  bun: { envVar: 'BENCH_BUN', bin: 'node_modules/@oven/bun-linux-x64/bin/bun' },
  deno: { envVar: 'BENCH_DENO', bin: 'node_modules/@deno/linux-x64-glibc/deno' },
};

/** The runtime's binary: BENCH_BUN / BENCH_DENO when set (by prepare-runtimes.sh; empty: not
 * available), else the cache's if it is there (run.mjs or profile.sh started without it). */
function runtimeBinary(runtime) {
  const { envVar, bin } = RUNTIMES[runtime];
  const given = process.env[envVar];
  const file = given !== undefined ? given : path.join(runtimesDir, bin);
  if (!file) return null;
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    return null;
  }
}

/**
 * How to start a child process for this client: { cmd, args (before the script), env (to
 * add) }, or { error } when its runtime is not there. baseEnv: the environment it inherits
 * (for NODE_EXTRA_CA_CERTS, which Deno does not read: it reads DENO_CERT).
 */
export function childCommand(name, baseEnv = process.env) {
  const entry = CLIENTS[name];
  const env = { ...(entry?.env ?? {}) };
  const runtime = entry?.runtime;
  if (!runtime) return { cmd: process.execPath, args: ['--expose-gc'], env };
  const cmd = runtimeBinary(runtime);
  if (!cmd) {
    return { error: `${runtime} is not installed (bench/prepare-runtimes.sh installs it into ${runtimesDir}; not in --tiny mode)` };
  }
  if (runtime === 'bun') return { cmd, args: [], env }; // Bun.gc() needs no flag
  // Deno: everything allowed (net, /proc, the perf FIFO), no config or package.json of this
  // repository, no lock file, no update check, its cache beside the binary's.
  Object.assign(env, {
    DENO_NO_UPDATE_CHECK: '1', DENO_NO_PACKAGE_JSON: '1', DENO_DIR: path.join(runtimesDir, 'deno-dir'),
  });
  if (baseEnv.NODE_EXTRA_CA_CERTS) env.DENO_CERT = baseEnv.NODE_EXTRA_CA_CERTS;
  return { cmd, args: ['run', '--allow-all', '--no-config', '--no-lock', '--quiet', '--v8-flags=--expose-gc'], env };
}

export async function loadClient(name) {
  const entry = CLIENTS[name];
  if (!entry) throw new Error(`unknown client ${name} (known: ${Object.keys(CLIENTS).join(', ')})`);
  return entry.load();
}

/** A payload ready to send: { data, length (bytes), binary } (+ a cached raw frame). */
export function preparePayload(data) {
  const binary = typeof data !== 'string';
  return { data, length: binary ? data.length : Buffer.byteLength(data), binary, frame: null };
}

/** An open connection closed without close() being called: the measurement is void. */
function lostConnection(label) {
  process.stderr.write(`client ${label}: the connection closed unexpectedly\n`);
  process.exit(1);
}

function version(pkg) {
  try {
    return require(`${pkg}/package.json`).version;
  } catch {
    return '?';
  }
}

function requireDist(file) {
  const full = dist(file);
  if (!fs.existsSync(full)) throw new Error(`${path.relative(root, full)} not built`);
  return require(full);
}

// ---------------------------------------------------------------------------------------
function loadMirror() {
  const native = requireDist('native.js');
  native.NetStack_WebSocket_SetClientLimit(1 << 30);
  const OK = 0;
  return {
    version: version(root),
    open(url, { text, onMessage }) {
      return new Promise((resolve, reject) => {
        let onClosed = null;
        let opened = false;
        const client = native.OH_NetStack_WebsocketClient_Construct(
          () => {
            opened = true;
            resolve(conn);
          },
          text ? (c, data, length) => onMessage(data.toString('utf8', 0, length)) : (c, data) => onMessage(data),
          (c, err) => {
            if (!opened) reject(new Error(`mirror: error ${err.errorCode} ${err.errorMessage}`));
          },
          (c) => {
            native.OH_NetStack_WebsocketClient_Destroy(c);
            if (onClosed) onClosed();
            else if (!opened) reject(new Error('mirror: closed before open'));
            else lostConnection('mirror');
          },
        );
        if (!client) {
          reject(new Error('mirror: Construct returned null'));
          return;
        }
        const conn = {
          send(p) {
            const rc = native.OH_NetStack_WebSocketClient_Send(client, p.data, p.length);
            if (rc !== OK) throw new Error(`mirror: Send returned ${rc}`);
          },
          close() {
            return new Promise((res) => {
              onClosed = res;
              native.OH_NetStack_WebSocketClient_Close(client, { code: 1000, reason: '' });
            });
          },
        };
        const rc = native.OH_NetStack_WebSocketClient_Connect(client, url, client.RequestOptions);
        if (rc !== OK) reject(new Error(`mirror: Connect returned ${rc}`));
      });
    },
  };
}

// ---------------------------------------------------------------------------------------
function loadEngine() {
  const { addon, forEachBatchedMessage, forEachAreaMessage } = requireDist('binding.js');
  if (typeof addon.NativeSocket !== 'function') throw new Error('addon.NativeSocket is not implemented yet');
  return {
    version: version(root),
    open(url, { text, deflate, onMessage }) {
      return new Promise((resolve, reject) => {
        let opened = false;
        let onClosed = null;
        const socket = new addon.NativeSocket(
          {
            url, headers: [], protocols: [], origin: '', tls: { rejectUnauthorized: true },
            maxPayload: 0, handshakeTimeoutMs: 0,
            perMessageDeflate: deflate ? 'permessage-deflate; client_max_window_bits' : '',
          },
          {
            onOpen() {
              opened = true;
              resolve(conn);
            },
            onMessage: text ? (data, isBinary) => onMessage(isBinary ? data : data.toString('utf8')) : (data) => onMessage(data),
            // small messages of one loop turn in one call (as lib/engine.ts takes them)
            onMessages(bytes, layout) {
              forEachBatchedMessage(bytes, layout, (data, isBinary) => onMessage(text && !isBinary ? data.toString('utf8') : data));
            },
            // (a few small messages, in the addon's receive area: as lib/engine.ts takes them)
            onMessagesInArea(count) {
              forEachAreaMessage(count, (data, isBinary) => onMessage(text && !isBinary ? data.toString('utf8') : data));
            },
            onSent() {},
            onError(code, message) {
              if (!opened) reject(new Error(`engine: error ${code} ${message}`));
            },
            onClose() {
              if (onClosed) onClosed();
              else if (!opened) reject(new Error('engine: closed before open'));
              else lostConnection('engine');
            },
            onPong() {},
          },
        );
        const conn = {
          send(p) {
            // notifySent false: nothing here waits for onSent (as with ws's send without a callback)
            if (!socket.send(p.data, p.binary, false)) throw new Error('engine: send refused');
          },
          close() {
            return new Promise((res) => {
              onClosed = res;
              socket.close(1000, '');
            });
          },
        };
      });
    },
  };
}

// ---------------------------------------------------------------------------------------
/** A WHATWG-style WebSocket class (ours or undici's) behind the adapter face. pausing: after
 * every 64th message the application pauses the socket and resumes it from a microtask
 * (as one that hands batches to asynchronous work would): our receive backpressure path
 * (events held, then released in order; reading paused and resumed) all the time. */
function whatwgAdapter(WebSocketClass, label, binaryType, extra = {}, { pausing = false } = {}) {
  return {
    ...extra,
    open(url, { deflate, onMessage }) {
      return new Promise((resolve, reject) => {
        let opened = false;
        let onClosed = null;
        // Ours takes Node options in a third argument (it offers permessage-deflate unless
        // told not to); undici's constructor does not.
        const socket = label === 'whatwg'
          ? new WebSocketClass(url, [], { perMessageDeflate: !!deflate })
          : new WebSocketClass(url);
        if (binaryType) socket.binaryType = binaryType;
        socket.onopen = () => {
          opened = true;
          resolve(conn);
        };
        if (pausing) {
          let count = 0;
          const resume = () => socket.resume();
          socket.onmessage = (event) => {
            onMessage(event.data);
            if (++count % 64 === 0) {
              socket.pause();
              queueMicrotask(resume);
            }
          };
        } else {
          socket.onmessage = (event) => onMessage(event.data);
        }
        socket.onerror = (event) => {
          if (!opened) reject(new Error(`${label}: error ${event?.error?.message ?? event?.message ?? event?.type ?? ''}`));
        };
        socket.onclose = () => {
          if (onClosed) onClosed();
          else if (!opened) reject(new Error(`${label}: closed before open`));
          else lostConnection(label);
        };
        const conn = {
          send(p) {
            socket.send(p.data);
          },
          close() {
            return new Promise((res) => {
              onClosed = res;
              socket.close(1000);
            });
          },
        };
      });
    },
  };
}

function loadWhatwg() {
  const mod = requireDist('websocket.js');
  const WebSocketClass = mod.WebSocket ?? mod.default;
  if (typeof WebSocketClass !== 'function') throw new Error('dist/websocket.js exports no WebSocket class');
  // Its default binaryType, 'nodebuffer', hands Buffers to the application, as ws does.
  return whatwgAdapter(WebSocketClass, 'whatwg', null, { version: version(root) });
}

function loadWhatwgArrayBuffer() {
  const mod = requireDist('websocket.js');
  return whatwgAdapter(mod.WebSocket ?? mod.default, 'whatwg', 'arraybuffer', { version: version(root) });
}

function loadPaused() {
  const { WebSocket } = requireDist('index.js');
  return whatwgAdapter(WebSocket, 'whatwg', null, { version: version(root) }, { pausing: true });
}

function loadStream() {
  const { WebSocketStream } = requireDist('index.js');
  return {
    version: version(root),
    async open(url, { deflate, onMessage }) {
      const wss = new WebSocketStream(url, { perMessageDeflate: !!deflate });
      const { readable, writable } = await wss.opened;
      const writer = writable.getWriter();
      const reader = readable.getReader();
      let onClosed = null;
      const ended = () => (onClosed ? onClosed() : lostConnection('stream'));
      wss.closed.then(ended, ended);
      (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          onMessage(value);  // a Uint8Array for binary, a string for text
        }
      })().catch(() => undefined);
      return {
        send(p) {
          writer.write(p.data).catch(() => undefined);
        },
        close() {
          return new Promise((res) => {
            onClosed = res;
            wss.close({ closeCode: 1000 });
          });
        },
      };
    },
  };
}

function loadUndici() {
  const { WebSocket } = require('undici');
  // undici has no 'nodebuffer'; 'arraybuffer' is its cheapest ('blob' is the default).
  return whatwgAdapter(WebSocket, 'undici', 'arraybuffer', { version: version('undici') });
}

// ---------------------------------------------------------------------------------------
// The runtimes' own WebSocket (globalThis.WebSocket), in a child process of that runtime.
function loadBun() {
  if (!globalThis.Bun) throw new Error('bun: runs in Bun only (run.mjs starts it there)');
  // Bun's default binaryType is 'nodebuffer' (Buffers, as ours and ws hand out).
  return whatwgAdapter(globalThis.WebSocket, 'bun', null, { version: `Bun ${globalThis.Bun.version}` });
}

function loadDeno() {
  const { Deno } = globalThis;
  if (!Deno) throw new Error('deno: runs in Deno only (run.mjs starts it there)');
  // Deno's default binaryType is 'blob' (a Blob to read asynchronously): 'arraybuffer' is
  // its cheapest.
  return whatwgAdapter(globalThis.WebSocket, 'deno', 'arraybuffer', { version: `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})` });
}

// ---------------------------------------------------------------------------------------
function loadWs(withBufferutil) {
  if (!withBufferutil && !process.env.WS_NO_BUFFER_UTIL) throw new Error('ws-nobu needs WS_NO_BUFFER_UTIL=1');
  const WebSocket = require('ws');
  let bufferutil = false;
  try {
    require.resolve('bufferutil');
    bufferutil = withBufferutil;
  } catch {
    // not installed
  }
  if (withBufferutil && !bufferutil) throw new Error('bufferutil is not installed (npm install)');
  return {
    version: `${version('ws')}${bufferutil ? ` + bufferutil ${version('bufferutil')}` : ''}`,
    open(url, { text, deflate, onMessage }) {
      return new Promise((resolve, reject) => {
        let opened = false;
        let onClosed = null;
        const socket = new WebSocket(url, { perMessageDeflate: !!deflate });
        socket.on('open', () => {
          opened = true;
          resolve(conn);
        });
        socket.on('message', text ? (data, isBinary) => onMessage(isBinary ? data : data.toString()) : (data) => onMessage(data));
        socket.on('error', (err) => {
          if (!opened) reject(err);
        });
        socket.on('close', () => {
          if (onClosed) onClosed();
          else if (!opened) reject(new Error('ws: closed before open'));
          else lostConnection('ws');
        });
        const conn = {
          send(p) {
            socket.send(p.data);
          },
          close() {
            return new Promise((res) => {
              onClosed = res;
              socket.close(1000);
            });
          },
        };
      });
    },
  };
}

// ---------------------------------------------------------------------------------------
// The physical limit: the same bytes on the wire with no WebSocket library. The handshake
// is a fixed request; each payload's masked frame is built once and re-sent; echoes are
// parsed (frame headers) and their payload skipped, never copied or decoded. Writes made
// in one turn are corked into one writev.
const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

function buildFrame(opcode, payload) {
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + extra + 4 + length);
  frame[0] = 0x80 | opcode;
  if (extra === 0) {
    frame[1] = 0x80 | length;
  } else if (extra === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const offset = 2 + extra + 4;
  MASK.copy(frame, offset - 4);
  for (let i = 0; i < length; i++) frame[offset + i] = payload[i] ^ MASK[i & 3];
  return frame;
}

function loadRaw() {
  return {
    version: `node ${process.versions.node}`,
    open(url, { onMessage }) {
      const u = new URL(url);
      const port = Number(u.port);
      return new Promise((resolve, reject) => {
        const secure = u.protocol === 'wss:';
        const socket = secure
          ? tls.connect({ host: u.hostname, port, ALPNProtocols: ['http/1.1'] })
          : net.connect({ host: u.hostname, port });
        socket.setNoDelay(true);
        let opened = false;
        let onClosed = null;
        let handshake = Buffer.alloc(0);
        // frame parser state
        const header = Buffer.alloc(14);
        let headerLength = 0;
        let remaining = 0;
        let opcode = 0;
        let fin = false;
        let messageLength = 0;
        let corked = false;
        const uncork = () => {
          corked = false;
          socket.uncork();
        };

        const frameDone = () => {
          if (opcode === 0x8) {
            socket.end();
            return;
          }
          if (opcode >= 0x8) return; // ping/pong: none expected from the echo servers
          if (fin) {
            const n = messageLength;
            messageLength = 0;
            onMessage(n);
          }
        };
        const parse = (chunk, start) => {
          let i = start;
          const end = chunk.length;
          while (i < end) {
            if (remaining > 0) {
              const n = Math.min(remaining, end - i);
              remaining -= n;
              messageLength += n;
              i += n;
              if (remaining === 0) frameDone();
              continue;
            }
            header[headerLength++] = chunk[i++];
            if (headerLength < 2) continue;
            const len7 = header[1] & 0x7f;
            const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (header[1] & 0x80 ? 4 : 0);
            if (headerLength < need) continue;
            fin = (header[0] & 0x80) !== 0;
            const op = header[0] & 0x0f;
            if (op !== 0) opcode = op;
            remaining = len7 === 126 ? header.readUInt16BE(2) : len7 === 127 ? Number(header.readBigUInt64BE(2)) : len7;
            headerLength = 0;
            if (remaining === 0) frameDone();
          }
        };

        socket.on(secure ? 'secureConnect' : 'connect', () => {
          socket.write(
            `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          );
        });
        socket.on('data', (chunk) => {
          if (!opened) {
            handshake = Buffer.concat([handshake, chunk]);
            const end = handshake.indexOf('\r\n\r\n');
            if (end < 0) return;
            if (!/^HTTP\/1\.1 101/.test(handshake.toString('latin1', 0, 12))) {
              reject(new Error(`raw: handshake refused: ${handshake.toString('latin1', 0, end)}`));
              socket.destroy();
              return;
            }
            opened = true;
            resolve(conn);
            if (handshake.length > end + 4) parse(handshake, end + 4);
            handshake = null;
            return;
          }
          parse(chunk, 0);
        });
        socket.on('error', (err) => {
          if (!opened) reject(err);
        });
        socket.on('close', () => {
          if (onClosed) onClosed();
          else if (!opened) reject(new Error('raw: closed before open'));
          else lostConnection('raw');
        });
        const conn = {
          send(p) {
            if (!p.frame) p.frame = buildFrame(p.binary ? 0x2 : 0x1, p.binary ? p.data : Buffer.from(p.data));
            if (!corked) {
              corked = true;
              socket.cork();
              process.nextTick(uncork);
            }
            socket.write(p.frame);
          },
          close() {
            return new Promise((res) => {
              onClosed = res;
              socket.write(buildFrame(0x8, Buffer.from([0x03, 0xe8])));
            });
          },
        };
      });
    },
  };
}
