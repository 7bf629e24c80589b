// Loads the compiled addon (a prebuilt binary from prebuilds/ or build/Release).
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import nodeGypBuild from 'node-gyp-build';
import type { EngineConnectFailure } from './errors';

/** One node of the JS mirror of the C header list. */
export interface NativeSlist {
  FieldName: string;
  FieldValue: string;
  next: NativeSlist | null;
}

/** TLS settings of one connection (wss only). PEM strings. */
export interface NativeTlsOptions {
  /** false: accept any certificate and host name (explicit opt-out). */
  rejectUnauthorized: boolean;
  /** Trusted CAs (PEM, any number of certificates); absent: Node's trust store. */
  ca?: string;
  /** Client certificate chain and key (PEM) and the key's passphrase. */
  cert?: string;
  key?: string;
  passphrase?: string;
  /** Name to send in SNI and to verify the certificate against; default: the URL's host. */
  servername?: string;
  /** 'TLSv1.3': refuse older versions; absent: the engine's (OpenSSL's) own minimum. */
  minVersion?: 'TLSv1.3';
}

export interface NativeSocketOptions {
  /** ws://, wss://, ws+unix:// or wss+unix:// URL, already validated. */
  url: string;
  /** Extra handshake headers, validated (no CR/LF, token names). */
  headers: Array<[string, string]>;
  /** Subprotocols to offer (Sec-WebSocket-Protocol), may be empty. */
  protocols: string[];
  /** Origin header value, or '' for none. */
  origin: string;
  tls: NativeTlsOptions;
  /** Largest message accepted, in bytes (0: no limit). Over it: error 1012, close 1009. */
  maxPayload: number;
  /** Time allowed from connect() to the 101 response, in ms (0: lws default, 20 s). */
  handshakeTimeoutMs: number;
  /** permessage-deflate (RFC 7692) offer with its parameters, e.g.
   * 'permessage-deflate; client_max_window_bits' or
   * 'permessage-deflate; client_no_context_takeover; server_max_window_bits=10';
   * absent or '': not offered. maxPayload limits the DECOMPRESSED message size. */
  perMessageDeflate?: string;
  /** permessage-deflate: messages smaller than this many bytes are sent uncompressed
   * (absent/0: every message is compressed). */
  perMessageDeflateThreshold?: number;
  /** Tunnel through this HTTP proxy with CONNECT (the proxy resolves the target's name).
   * Plain-HTTP proxies only. username/password (decoded; no ':' in the user name; at most
   * 95 bytes of user:password): sent as Proxy-Authorization: Basic. Ignored for unix sockets. */
  proxy?: { host: string; port: number; username?: string; password?: string };
  /** Keepalive: after this many idle seconds lws sends a ping (absent/0: never). */
  pingIntervalSeconds?: number;
  /** Keepalive: drop the connection when nothing (no pong, no data) arrived for this many
   * seconds after the ping was due (absent/0: never). Whole seconds (lws's granularity). */
  pongTimeoutSeconds?: number;
  /** false: received pings are not answered (send pongs with pong()); default true. */
  autoPong?: boolean;
}

/** Events of one NativeSocket, always on the thread that made it, in order. */
export interface NativeSocketHandlers {
  /** The handshake completed: the chosen subprotocol ('' if none), the negotiated
   * extensions ('' if none), the HTTP status (101) and the response headers (lower-case names). */
  onOpen(protocol: string, extensions: string, status: number, headers: Record<string, string>): void;
  /** One complete message. A Buffer the handler may keep. */
  onMessage(data: Buffer, isBinary: boolean): void;
  /** Optional. Several small messages that arrived in one turn of the event loop, in one
   * call (each would otherwise cost a call of onMessage): message i is
   * bytes[end(i - 1), end(i)), end(i) = layout[i] & 0x7fffffff, binary when
   * layout[i] >>> 31 is 1 (end(-1) = 0). Views of `bytes` share its memory. Without it,
   * every message comes through onMessage. */
  onMessages?(bytes: Buffer, layout: Uint32Array): void;
  /** Optional (with onMessages). A few small messages (a batch of at most 8) copied into
   * this thread's receive area instead: read them with forEachAreaMessage() before
   * anything else runs (the next batch reuses the area). Saves a new ArrayBuffer per
   * batch, about a microsecond in Node 20. */
  onMessagesInArea?(count: number): void;
  /** Every message whose id is <= upToId has been handed to the kernel (left the process).
   * Reported (never from inside send()) when a message sent with notifySent has left. */
  onSent(upToId: number): void;
  /** A failure: code is an OH_Websocket_ErrCode (1003 connect/handshake failure, 1009
   * protocol error, 1012 message too big, ...). For a failed handshake with an HTTP
   * response, status and headers are given (e.g. 401), and `body`: the start of its body,
   * what arrived with the headers (at most 64 KiB), when there was one; for a connection that
   * could not be opened (1003), `failure` says why. onClose always follows. */
  onError(code: number, message: string, status: number, headers: Record<string, string>, body?: Buffer, failure?: EngineConnectFailure): void;
  /** The connection is gone. code: the close frame's code; 1005 if it had none; 1006 if no
   * close frame was exchanged. wasClean: a closing handshake took place. Last event. */
  onClose(code: number, reason: string, wasClean: boolean): void;
  /** A pong arrived (answer to ping()). */
  onPong(data: Buffer): void;
  /** Optional. A ping arrived (answered already unless autoPong is false). */
  onPing?(data: Buffer): void;
}

/** Calls visit(data, isBinary) for each message of an onMessages batch, in order; `data`
 * is a view of `bytes` (no copy). */
export function forEachBatchedMessage(
  bytes: Buffer, layout: Uint32Array, visit: (data: Buffer, isBinary: boolean) => void,
): void {
  let start = 0;
  for (let i = 0; i < layout.length; i += 1) {
    const word = layout[i];
    const end = word & 0x7fffffff;
    visit(bytes.subarray(start, end), word >>> 31 === 1);
    start = end;
  }
}

/** One connection of the engine: what the TypeScript faces are built on. */
export interface NativeSocket {
  /** Sends a message (copied): written to the socket at once when nothing is queued
   * before it, else queued. Returns its id (> 0), or 0 if the socket no longer sends
   * (closing or closed). Allowed before open: sent once open. notifySent (default true):
   * report its departure through onSent; pass false when nobody waits for it (each
   * report is one more call into JS). */
  send(data: string | Uint8Array, isBinary: boolean, notifySent?: boolean): number;
  /** Starts the closing handshake after the queued messages. code 0: a close frame
   * without a status code (patches/lws/0080; the server sees 1005). */
  close(code: number, reason: string): void;
  /** Drops the connection at once, no closing handshake (onClose 1006 follows). */
  terminate(): void;
  /** Sends a ping with up to 125 bytes of payload. */
  ping(data: Uint8Array): void;
  /** Sends a pong with up to 125 bytes of payload (for autoPong: false). */
  pong(data: Uint8Array): void;
  /** Bytes queued and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** bufferedAmount, and `loopTurns[0]` changes once the current task is over; -1 (and no
   * such promise) while the engine shuts down. */
  bufferedAmountForTurn(): number;
  /** Receive flow control: true stops reading the socket (once the kernel's buffers fill,
   * the peer's writes stall) from the end of this loop turn on (the rest of a read in
   * progress, at most 64 KiB on the wire, still arrives; a pause undone in the same turn
   * costs nothing); false reads again at once, where it stopped. Ignored once closing:
   * close() reads on until the peer's close frame. */
  pauseReceiving(paused: boolean): void;
}

export interface NativeSocketConstructor {
  new (options: NativeSocketOptions, handlers: NativeSocketHandlers): NativeSocket;
}

/** The raw addon surface; lib/native.ts gives it its public types. */
export interface NativeAddon {
  /** The engine's connection class (the C mirror above is separate and OH-exact). */
  NativeSocket: NativeSocketConstructor;
  errorCodes: Record<string, number>;
  construct(
    onOpen: unknown, onMessage: unknown, onError: unknown, onClose: unknown,
  ): object | null;
  addHeader(client: unknown, header: unknown): number;
  connect(client: unknown, url: unknown, options: unknown): number;
  send(client: unknown, data: unknown, length: unknown): number;
  close(client: unknown, options: unknown): number;
  destroy(client: unknown): number;
  setClientLimit(limit: number): number;
  setSendQueueLimits(maxBytes: number, maxMessages: number): void;
  /** Gives the addon the PEM certificates wss:// trusts; called once per thread, lazily. */
  setTrustStoreProvider(provider: () => string): void;
  /** Gives the C mirror the function that hands the small messages of one loop turn to
   * a client's onMessage, one call each (bytes and layout as for onMessages, no flags). */
  setMirrorBatchDelivery(deliver: (client: object, bytes: Buffer, layout: Uint32Array) => void): void;
  /** Memory the addon shares with JS, one of each per thread (every copy of this module
   * loaded in it reads the same): the engine's count of loop turns (see loopTurns), and
   * the receive area (see onMessagesInArea). */
  readonly shared: { loopTurns: Int32Array; receiveBytes: Uint8Array; receiveLayout: Uint32Array };
  /** Counters of live native objects, for leak checks in tests. */
  liveCounts(): { clients: number; connections: number; engines: number; lingeringSockets: number };
}

// lib/ and dist/ both sit one level below the package root.
const packageRoot = path.resolve(__dirname, '..');

export const addon: NativeAddon = loadAddon();

/** node-gyp-build's lookup, with one clear error naming this runtime when nothing loads. */
function loadAddon(): NativeAddon {
  try {
    return nodeGypBuild(packageRoot) as NativeAddon;
  } catch (cause) {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    const libc = header?.glibcVersionRuntime ? `glibc ${header.glibcVersionRuntime}` : 'no glibc';
    const first = String((cause as Error)?.message ?? cause).split('\n')[0];
    throw new Error(
      `netstack-websocket: no usable native addon for ${process.platform}-${process.arch}, libc ${libc}, ` +
        `Node ${process.version} (Node-API ${process.versions.napi ?? 'none'}). The package ships a prebuilt ` +
        'binary for linux-x64 with glibc >= 2.33 and Node-API >= 8 (Node >= 20.17); elsewhere `npm install` ' +
        'builds it from source, which needs cmake, a C/C++ compiler and network access once. ' +
        `Cause: ${first}`,
      { cause },
    );
  }
}

/** The certificates Node's own tls trusts: its bundled roots plus NODE_EXTRA_CA_CERTS. */
export function nodeTrustStorePem(): string {
  const certificates = [...tls.rootCertificates];
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      certificates.push(fs.readFileSync(extra, 'utf8'));
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; so do we (by ignoring it).
    }
  }
  return certificates.join('\n');
}

addon.setTrustStoreProvider(nodeTrustStorePem);

/**
 * The engine's count of loop turns (this thread's), read without a call into the addon:
 * after NativeSocket.bufferedAmountForTurn() it changes before any later task runs, so a
 * value taken in a task can be held for exactly that task (the WHATWG bufferedAmount).
 */
export const loopTurns = addon.shared.loopTurns;

// The receive area (NativeSocketHandlers.onMessagesInArea).
const { receiveBytes, receiveLayout: areaLayout } = addon.shared;
const areaBytes = Buffer.from(receiveBytes.buffer, receiveBytes.byteOffset, receiveBytes.byteLength);

/** Calls visit(data, isBinary) for each of the `count` messages of an onMessagesInArea
 * call, in order. Each is copied out into a Buffer of its own (from Node's pool) first,
 * all of them before the first visit: a visit may run code that receives into the area. */
export function forEachAreaMessage(count: number, visit: (data: Buffer, isBinary: boolean) => void): void {
  if (count === 1) {
    const word = areaLayout[0];
    visit(copyFromArea(0, word & 0x7fffffff), word >>> 31 === 1);
    return;
  }
  const messages: Buffer[] = [];
  const binary: boolean[] = [];
  let start = 0;
  for (let i = 0; i < count; i += 1) {
    const word = areaLayout[i];
    const end = word & 0x7fffffff;
    messages.push(copyFromArea(start, end));
    binary.push(word >>> 31 === 1);
    start = end;
  }
  for (let i = 0; i < count; i += 1) visit(messages[i], binary[i]);
}

function copyFromArea(start: number, end: number): Buffer {
  const data = Buffer.allocUnsafe(end - start);
  areaBytes.copy(data, 0, start, end);
  return data;
}
