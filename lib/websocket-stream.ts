// WebSocketStream: the WHATWG proposal (whatwg/websockets PR 48) as Chrome and Deno ship it,
// on the native engine. The readable is read with backpressure: while more than its
// highWaterMark waits unread, the connection stops reading from the network. A write
// resolves once there is room for it (less than 1 MiB waiting to be sent; else once its
// message has left the process), so awaiting writes (or writer.ready) bounds what a fast
// producer queues.
import { EngineSocket, type CloseInfo, type OpenInfo } from './engine';
import type { WebSocketError as EngineError } from './errors';
import { engineConfig, type WebSocketOptions } from './options';
import { toPayload } from './payload';
import { highWaterMark, type HighWaterMark, type HighWaterMarkOption } from './receive-queue';
import { checkCloseReason, checkProtocols, checkWhatwgCloseCode, domFail, parseWebSocketUrl, toUSVString } from './validate';

/** What `opened` resolves with. */
export interface WebSocketOpenInfo {
  /** Received messages: a string for text, a Uint8Array for binary. */
  readable: ReadableStream<string | Uint8Array>;
  /** Messages to send: a string goes as text, an ArrayBuffer or a view of one as binary. */
  writable: WritableStream<string | ArrayBuffer | ArrayBufferView>;
  /** The extensions the server accepted ('' if none). */
  extensions: string;
  /** The subprotocol the server chose ('' if none). */
  protocol: string;
}

/** A close code and reason: what `closed` resolves with, and what close() takes. */
export interface WebSocketCloseInfo {
  /** 1000 or 3000-4999 for close(); absent: no code (1000 when a reason is given). */
  closeCode?: number;
  /** At most 123 bytes of UTF-8. */
  reason?: string;
}

/** Options of `new WebSocketStream()`: the proposal's, plus our Node options. */
export interface WebSocketStreamOptions extends WebSocketOptions {
  /** Subprotocols to offer: a list, as the proposal's IDL says (a single string is a TypeError). */
  protocols?: readonly string[];
  /** Aborting it before the connection opens abandons it (`opened` and `closed` reject with
   * the signal's reason); it does nothing once open. */
  signal?: AbortSignal;
  /** How much may wait unread in the readable (a number of bytes, or { bytes, messages })
   * before the connection stops reading from the network. Default { bytes: 1 MiB, messages: 1024 }. */
  highWaterMark?: HighWaterMarkOption;
}

/**
 * The proposal's WebSocketError (its `name` is "WebSocketError"): how `opened` and `closed`
 * reject, and how the streams error, when the connection fails or does not close cleanly.
 * Named WebSocketStreamError here because this package's own error base class is
 * WebSocketError; `cause` is that typed error (with its OpenHarmony code) when there is one.
 *
 * @example
 * ```ts
 * import { WebSocketStream, WebSocketStreamError } from 'netstack-websocket';
 *
 * const wss = new WebSocketStream('ws://127.0.0.1:8080');
 * try {
 *   await wss.closed;
 * } catch (err) {
 *   if (err instanceof WebSocketStreamError) console.error(err.closeCode, err.reason, err.cause);
 * }
 * ```
 */
export class WebSocketStreamError extends DOMException {
  readonly #closeCode: number | null;
  readonly #reason: string;

  /** closeCode 1000 or 3000-4999 (absent: none; 1000 if only a reason is given), reason at
   * most 123 bytes; `cause`: the underlying error. */
  constructor(message = '', init: WebSocketCloseInfo & { cause?: unknown } = {}) {
    const { closeCode, reason = '', cause } = dictionary<WebSocketCloseInfo & { cause?: unknown }>(init, 'init');
    super(String(message), cause === undefined ? { name: 'WebSocketError' } : { name: 'WebSocketError', cause });
    if (closureUnchecked) {
      this.#closeCode = closeCode ?? null;
      this.#reason = reason;
      return;
    }
    const code = closeCode === undefined ? null : checkWhatwgCloseCode(enforceUnsignedShort(closeCode), domFail);
    this.#reason = checkCloseReason(toUSVString(reason), domFail);
    this.#closeCode = code === null && this.#reason !== '' ? 1000 : code;
  }

  /** @internal How a connection ended: any code it ended with (1006, 1002, ...), unchecked. */
  static ofClosure(message: string, closeCode: number, reason: string, cause: unknown): WebSocketStreamError {
    closureUnchecked = true;
    try {
      return new WebSocketStreamError(message, { closeCode, reason, cause });
    } finally {
      closureUnchecked = false;
    }
  }

  get closeCode(): number | null {
    return this.#closeCode;
  }

  get reason(): string {
    return this.#reason;
  }
}

let closureUnchecked = false;  // WebSocketStreamError.ofClosure is constructing

/** WebIDL [EnforceRange] unsigned short. */
function enforceUnsignedShort(value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`closeCode must be a finite number; got ${String(value)}.`);
  const integer = Math.trunc(n);
  if (integer < 0 || integer > 0xffff) throw new TypeError(`closeCode must be from 0 to 65535; got ${String(value)}.`);
  return integer;
}

/** WebIDL sequence<USVString>: any iterable object but a string (which is not an object). */
function sequenceOfStrings(value: unknown, what: string): string[] {
  if (typeof value !== 'object' || value === null || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`WebSocketStream: ${what} must be a sequence (e.g. an array) of strings.`);
  }
  return [...(value as Iterable<unknown>)].map(toUSVString);
}

function dictionary<T>(value: unknown, what: string): T {
  if (value === undefined || value === null) return {} as T;
  if (typeof value !== 'object' && typeof value !== 'function') throw new TypeError(`${what} must be an object.`);
  return value as T;
}

type Chunk = string | Uint8Array;

function isSharedArrayBuffer(value: unknown): value is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer;
}

/** WebIDL's BufferSource conversion: a shared or resizable buffer (or a view of one) is a TypeError. */
function checkBufferSource(chunk: ArrayBuffer | SharedArrayBuffer | ArrayBufferView): void {
  const buffer = ArrayBuffer.isView(chunk) ? chunk.buffer : chunk;
  if (isSharedArrayBuffer(buffer)) throw new TypeError('WebSocketStream: cannot write a SharedArrayBuffer or a view of one.');
  if ((buffer as { resizable?: boolean }).resizable === true) {
    throw new TypeError('WebSocketStream: cannot write a resizable ArrayBuffer or a view of one.');
  }
}

/** The readable's queuing strategy for a highWaterMark: a message counts its bytes (given
 * by `bytesOfChunk` while it is enqueued) and at least bytes/messages of the mark, so that
 * both limits hold with one queue size. */
function readableStrategy(mark: Required<HighWaterMark>, bytesOfChunk: () => number): { highWaterMark: number; size: () => number } {
  if (mark.bytes === Infinity) return { highWaterMark: mark.messages, size: () => 1 };
  const minimum = mark.messages === Infinity ? 0 : mark.bytes / mark.messages;
  return { highWaterMark: mark.bytes, size: () => Math.max(bytesOfChunk(), minimum) };
}

/** Up to this many bytes may wait to be sent before a write waits for its message to leave. */
const SEND_BUFFER_BYTES = 1024 * 1024;
type State = 'connecting' | 'open' | 'closing' | 'closed';

/**
 * The WHATWG WebSocketStream proposal (as Chrome and Deno ship it): a connection whose
 * messages are a ReadableStream and whose sends are a WritableStream, with backpressure
 * both ways: an unread readable past its highWaterMark stops reading from the network, and
 * a write resolves once its message has left the process.
 *
 * @example
 * ```ts
 * import { WebSocketStream } from 'netstack-websocket';
 *
 * const wss = new WebSocketStream('ws://127.0.0.1:8080', { highWaterMark: { bytes: 256 * 1024 } });
 * const { readable, writable } = await wss.opened;
 * const writer = writable.getWriter();
 * await writer.write('hello');
 * for await (const message of readable) {
 *   await new Promise((resolve) => setTimeout(resolve, 10));  // a slow consumer: the server is held back
 *   if (message === 'bye') break;
 * }
 * wss.close({ closeCode: 1000, reason: 'done' });
 * const { closeCode, reason } = await wss.closed;
 * console.log(closeCode, reason);
 * ```
 */
export class WebSocketStream {
  readonly #url: string;
  readonly #opened: Promise<WebSocketOpenInfo>;
  readonly #closed: Promise<WebSocketCloseInfo>;
  #resolveOpened!: (info: WebSocketOpenInfo) => void;
  #rejectOpened!: (error: unknown) => void;
  #resolveClosed!: (info: WebSocketCloseInfo) => void;
  #rejectClosed!: (error: unknown) => void;
  #engine: EngineSocket | undefined;
  #state: State = 'connecting';
  #handshakeAborted = false;
  #engineError: EngineError | undefined;
  readonly #mark: Required<HighWaterMark>;
  #chunkBytes = 0;  // the size of the chunk being enqueued, for the readable's strategy
  #readable: ReadableStreamDefaultController<Chunk> | undefined;
  #readableCancelled = false;
  // Settles the readable's pull() in progress. The stream calls pull() again only once the
  // last one has settled: it stays pending while the socket is read and settles when
  // reading pauses, so that pull() (which resumes it) runs once per pause, not once per read.
  #endPull: (() => void) | undefined;
  #writable: WritableStreamDefaultController | undefined;
  // A write waiting for its message to leave whose message the engine reported unsent (the
  // connection closed first): settled by #onClose, which then counts the close as unclean.
  #unsentWrites: ((error: unknown) => void)[] = [];
  // At least the engine's bufferedAmount (sends only add to it until asked again): asking
  // the addon for it on every write cost more than a small message's whole send.
  #bufferedBound = 0;

  /**
   * Opens a connection to `url` (ws:, wss:, http: or https:, no fragment; or ws+unix:).
   * @throws DOMException SyntaxError for a bad URL or subprotocol; TypeError for bad options.
   */
  constructor(url: string | URL, options?: WebSocketStreamOptions) {
    if (arguments.length < 1) throw new TypeError('WebSocketStream: a URL is required.');
    const { protocols, signal, highWaterMark: mark, ...nodeOptions } = dictionary<WebSocketStreamOptions>(options, 'options');
    const parsed = parseWebSocketUrl(typeof url === 'string' || url instanceof URL ? url : String(url), domFail);
    const list = protocols === undefined ? [] : sequenceOfStrings(protocols, 'protocols');
    const checked = checkProtocols(list, domFail);
    if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
      throw new TypeError('WebSocketStream: signal must be an AbortSignal.');
    }
    const config = engineConfig(parsed, checked, nodeOptions, domFail);
    this.#mark = highWaterMark(mark, domFail);
    this.#url = parsed.href;
    this.#opened = new Promise((resolve, reject) => { this.#resolveOpened = resolve; this.#rejectOpened = reject; });
    this.#closed = new Promise((resolve, reject) => { this.#resolveClosed = resolve; this.#rejectClosed = reject; });
    // Both may reject with nobody waiting on one of them: that must not end the process.
    this.#opened.catch(() => undefined);
    this.#closed.catch(() => undefined);
    if (signal?.aborted) {
      this.#state = 'closed';
      this.#rejectOpened(signal.reason);
      this.#rejectClosed(signal.reason);
      return;
    }
    this.#engine = new EngineSocket(config, {
      open: (info) => this.#onOpen(info),
      message: (data, isBinary) => this.#onMessage(data, isBinary),
      error: (error) => { this.#engineError ??= error; },
      close: (info) => this.#onClose(info),
      pong: () => undefined,
    });
    if (signal) {
      const onAbort = (): void => {
        if (this.#state !== 'connecting') return;  // nothing once open
        this.#handshakeAborted = true;
        this.#state = 'closing';
        this.#engine?.terminate();
        this.#rejectOpened(signal.reason);
        this.#rejectClosed(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#closed.then(() => signal.removeEventListener('abort', onAbort), () => signal.removeEventListener('abort', onAbort));
    }
  }

  /** The URL, after parsing (http: and https: shown as ws: and wss:). */
  get url(): string {
    return this.#url;
  }

  /** Resolves once open with the streams; rejects if the connection fails or is aborted. */
  get opened(): Promise<WebSocketOpenInfo> {
    return this.#opened;
  }

  /** Resolves with the close code and reason after a clean close; rejects with a
   * WebSocketStreamError otherwise. */
  get closed(): Promise<WebSocketCloseInfo> {
    return this.#closed;
  }

  /**
   * Starts the closing handshake (while connecting: abandons the connection).
   * @throws TypeError for a closeInfo that is not an object or a closeCode out of range;
   *   DOMException InvalidAccessError for a code other than 1000 or 3000-4999, SyntaxError
   *   for a reason over 123 bytes.
   */
  close(closeInfo?: WebSocketCloseInfo): void {
    const info = dictionary<WebSocketCloseInfo>(closeInfo, 'closeInfo');
    const code = info.closeCode === undefined ? null : checkWhatwgCloseCode(enforceUnsignedShort(info.closeCode), domFail);
    const reason = info.reason === undefined ? '' : checkCloseReason(toUSVString(info.reason), domFail);
    this.#closeWebSocket(code, reason);
  }

  #closeWebSocket(code: number | null, reason: string): void {
    if (!this.#engine || this.#state === 'closing' || this.#state === 'closed') return;
    if (this.#state === 'connecting') {
      this.#state = 'closing';
      this.#engine.terminate();  // fails the connection: opened and closed reject
      return;
    }
    this.#state = 'closing';
    this.#engine.close(code ?? (reason !== '' ? 1000 : 0), reason);
  }

  // The proposal's "close using reason": a WebSocketStreamError's code and reason, else none.
  #closeUsingReason(reason: unknown): void {
    if (reason instanceof WebSocketStreamError && reason.closeCode !== null) {
      try {
        this.#closeWebSocket(checkWhatwgCloseCode(reason.closeCode, domFail), checkCloseReason(reason.reason, domFail));
        return;
      } catch {
        // not a code a client may send: close without one
      }
    }
    this.#closeWebSocket(null, '');
  }

  #onOpen(info: OpenInfo): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'open';
    // The readable's own queue applies the backpressure: a message counts its bytes, and at
    // least bytes/messages of the highWaterMark (so both limits hold); once the queue is
    // over the mark reading stops, and pull() (called when it is under again) resumes it.
    const { highWaterMark: queueMark, size } = readableStrategy(this.#mark, () => this.#chunkBytes);
    const readable = new ReadableStream<Chunk>({
      start: (controller) => { this.#readable = controller; },
      pull: () => {
        this.#engine?.resumeReading();
        return new Promise<void>((resolve) => { this.#endPull = resolve; });
      },
      cancel: (reason) => {
        this.#readableCancelled = true;
        this.#engine?.resumeReading();
        this.#closeUsingReason(reason);
      },
    }, { highWaterMark: queueMark, size });
    const writable = new WritableStream<string | ArrayBuffer | ArrayBufferView>({
      start: (controller) => { this.#writable = controller; },
      write: (chunk) => this.#write(chunk),
      // writer.close() settles once the closing handshake is over.
      close: () => {
        this.#closeWebSocket(null, '');
        return this.#closed.then(() => undefined);
      },
      abort: (reason) => this.#closeUsingReason(reason),
    });
    this.#resolveOpened({ readable, writable, extensions: info.extensions, protocol: info.protocol });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#state !== 'open') return;
    const readable = this.#readable;
    if (this.#readableCancelled || !readable) return;
    this.#chunkBytes = data.byteLength;
    readable.enqueue(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8'));
    if (readable.desiredSize !== null && readable.desiredSize <= 0) {
      this.#engine?.pauseReading();
      const endPull = this.#endPull;
      this.#endPull = undefined;
      endPull?.();
    }
  }

  // The proposal's "wait until there is sufficient buffer space": a write resolves at once
  // while less than SEND_BUFFER_BYTES waits to leave the process, else once its message has
  // left. So awaiting writes (or writer.ready) bounds what a producer queues, and small
  // messages still go out many per loop turn.
  #write(chunk: unknown): Promise<void> | undefined {
    const binary = chunk instanceof ArrayBuffer || ArrayBuffer.isView(chunk) || isSharedArrayBuffer(chunk);
    // WebIDL's BufferSource (no [AllowShared], no [AllowResizable]), as Chrome does.
    if (binary) checkBufferSource(chunk);
    const payload = toPayload(binary ? chunk : toUSVString(chunk));
    if (this.#state !== 'open' || !this.#engine) return undefined;  // the closing handshake has started
    const engine = this.#engine;
    if (this.#bufferedBound + payload.size >= SEND_BUFFER_BYTES) this.#bufferedBound = engine.bufferedAmount;
    if (this.#bufferedBound + payload.size < SEND_BUFFER_BYTES) {
      engine.send(payload.data, payload.isBinary, payload.size);
      this.#bufferedBound += payload.size;
      return undefined;
    }
    // A message that never leaves (the connection closed first) makes the close unclean and
    // its write rejects (see #onClose).
    return new Promise<void>((resolve, reject) => {
      engine.send(payload.data, payload.isBinary, payload.size, (error) => {
        if (error === undefined) resolve();
        else this.#unsentWrites.push(reject);
      });
    });
  }

  #onClose(info: CloseInfo): void {
    this.#state = 'closed';
    if (this.#handshakeAborted) return;
    if (this.#readable === undefined) {  // it never opened
      const error = WebSocketStreamError.ofClosure(
        `${this.#url}: the connection could not be opened.`, info.code, info.reason, this.#engineError ?? info.abnormal);
      this.#rejectOpened(error);
      this.#rejectClosed(error);
      return;
    }
    const unsent = this.#unsentWrites.splice(0);
    if (info.wasClean && unsent.length === 0) {
      if (!this.#readableCancelled) this.#readable.close();  // what waits in it can still be read
      this.#writable?.error(new DOMException('A closed WebSocketStream cannot be written to.', 'InvalidStateError'));
      this.#resolveClosed({ closeCode: info.code, reason: info.reason });
    } else {
      // Not clean: no closing handshake, or one that left a written message unsent (as
      // Chrome: the peer closed while the message was still going out).
      const error = WebSocketStreamError.ofClosure(
        info.wasClean
          ? `${this.#url}: the connection closed (${info.code}) before a written message was sent.`
          : `${this.#url}: the connection closed without a clean closing handshake (${info.code}).`,
        info.code, info.reason, this.#engineError ?? info.abnormal);
      this.#readable.error(error);
      if (unsent.length === 0) {
        this.#writable?.error(error);
      } else {
        // The write in progress rejects, and the writable errors with that same error.
        const unsentError = new DOMException('The connection closed before this message was sent.', 'InvalidStateError');
        for (const reject of unsent) reject(unsentError);
      }
      this.#rejectClosed(error);
    }
  }
}

Object.defineProperty(WebSocketStream.prototype, Symbol.toStringTag, { value: 'WebSocketStream', configurable: true });
