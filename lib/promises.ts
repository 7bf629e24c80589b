// The promise face: `await connect(url)` resolves once the connection is open (or rejects
// with a typed WebSocketError); the connection is an async iterable of its messages, read
// with backpressure (highWaterMark); send() resolves when the data has left the process;
// AbortSignal and a connect timeout.
import { EngineSocket, type CloseInfo, type EngineEvents, type OpenInfo } from './engine';
import {
  ConnectError, ConnectionClosedError, ConnectTimeoutError, InvalidArgumentError, InvalidUrlError,
  type WebSocketError,
} from './errors';
import { engineConfig, type WebSocketOptions } from './options';
import { toPayload, type SendData } from './payload';
import { highWaterMark, ReceiveQueue, type HighWaterMark, type HighWaterMarkOption } from './receive-queue';
import { checkCloseCode, checkCloseReason, checkControlPayload, checkProtocols, parseWebSocketUrl, type ErrorFactory } from './validate';

/** A received message: a string for a text message, a Buffer for a binary one. */
export type Message = string | Buffer;

/** How a connection ended. */
export interface CloseResult {
  /** The close code (1005: the close frame had none; 1006: no close frame). */
  code: number;
  reason: string;
  /** Whether the closing handshake completed. */
  wasClean: boolean;
}

/** Options of connect(): the Node options plus subprotocols, an AbortSignal and a timeout. */
export interface ConnectOptions extends WebSocketOptions {
  /** Subprotocols to offer (tokens, no duplicates). */
  protocols?: string | readonly string[];
  /** Aborting it before open abandons the connection (connect() rejects with the signal's
   * reason); after open it closes the connection (1000) and ends iteration with that reason. */
  signal?: AbortSignal;
  /** Milliseconds allowed from connect() to the open connection; then connect() rejects with
   * a ConnectTimeoutError. Default: no limit beyond `handshakeTimeout`. */
  timeout?: number;
  /** Receive backpressure: how much may wait unread (a number of bytes, or { bytes, messages })
   * before the connection stops reading from the network; it reads again once half of that
   * was read. Default { bytes: 1 MiB, messages: 1024 }; Infinity turns it off. */
  highWaterMark?: HighWaterMarkOption;
}

export type ConnectionState = 'open' | 'closing' | 'closed';

const fail: ErrorFactory = (message) => new InvalidArgumentError(message);

/**
 * Connects and resolves with the open connection.
 * @throws InvalidUrlError (synchronously) for a URL that is not ws:, wss:, http:, https:, ws+unix: or wss+unix:, or
 *   has a fragment; InvalidArgumentError for a bad subprotocol, header or option.
 * @returns a promise that rejects with a ConnectError (HTTP refusal: `response` holds the status
 *   and headers), a ConnectTimeoutError, or the AbortSignal's reason.
 * @group Faces
 * @example
 * ```ts
 * import { connect, ConnectError } from 'netstack-websocket';
 *
 * try {
 *   const socket = await connect('ws://127.0.0.1:8080', { protocols: 'chat', timeout: 5000 });
 *   await socket.send('hello');
 *   for await (const message of socket) {
 *     console.log(message);
 *     if (message === 'bye') break;  // leaving the loop closes with 1000
 *   }
 * } catch (err) {
 *   if (err instanceof ConnectError) console.error(err.message, err.cause);
 * }
 * ```
 */
export function connect(url: string | URL, options: ConnectOptions = {}): Promise<WebSocketConnection> {
  let parsed: URL;
  try {
    parsed = parseWebSocketUrl(url, (message) => new Error(message));
  } catch (err) {
    throw new InvalidUrlError(String(url), (err as Error).message);
  }
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('connect(): options must be an object.');
  const { protocols, signal, timeout, highWaterMark: mark, ...nodeOptions } = options;
  const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
  const checked = checkProtocols(list, fail);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError('connect(): signal must be an AbortSignal.');
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || timeout > 2 ** 31 - 1)) {
    throw new InvalidArgumentError(`connect(): timeout must be a positive number of milliseconds; got ${String(timeout)}.`);
  }
  const config = engineConfig(parsed, checked, nodeOptions, fail);
  const receiveMark = highWaterMark(mark, fail);
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<WebSocketConnection>((resolve, reject) => {
    // The connection object exists from the start, so no message is lost between open and
    // the moment the caller gets it.
    const connection = new WebSocketConnection(config.url, (engineEvents) => new EngineSocket(config, engineEvents), {
      opened: () => settle(() => resolve(connection)),
      failed: (error) => settle(() => reject(error)),
    }, receiveMark);
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (!settled) {
        settle(() => reject(signal?.reason));
        connection.terminate();
      }
    };
    function settle(fn: () => void): void {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      fn();
    }
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        const cause = Object.assign(new Error(`the connection did not open within ${timeout} ms`), { code: 'ETIMEDOUT' });
        settle(() => reject(new ConnectTimeoutError(timeout,
          `Could not connect to ${config.url}: timed out after ${timeout} ms (the timeout option; ETIMEDOUT). ` +
            'Check that the server runs and answers, or allow more time.', { cause })));
        connection.terminate();
      }, timeout);
    }
    if (signal) {
      signal.addEventListener('abort', onAbort, { once: true });
      connection.closed.then(() => signal.removeEventListener('abort', onAbort), () => undefined);
      connection.attachSignal(signal);
    }
  });
}

interface Lifecycle {
  opened(): void;
  failed(error: WebSocketError): void;
}

interface Waiter {
  resolve(result: IteratorResult<Message, undefined>): void;
  reject(error: unknown): void;
}

/**
 * An open WebSocket connection (made by connect()).
 * @group Faces
 * @example
 * ```ts
 * import { connect } from 'netstack-websocket';
 *
 * const socket = await connect('ws://127.0.0.1:8080');
 * console.log(socket.protocol, socket.response.status);
 * socket.ping('are you there?');
 * const { code, reason, wasClean } = await socket.close(1000, 'done');
 * console.log(code, reason, wasClean);
 * ```
 */
export class WebSocketConnection implements AsyncIterable<Message> {
  /** The URL (http: and https: shown as ws: and wss:). */
  readonly url: string;
  /** Resolves when the connection has closed (never rejects). */
  readonly closed: Promise<CloseResult>;
  #engine: EngineSocket;
  #lifecycle: Lifecycle;
  #state: ConnectionState | 'connecting' = 'connecting';
  #open: OpenInfo = { protocol: '', extensions: '', status: 0, headers: {} };
  #inbox: ReceiveQueue<Message>;
  #waiters: Waiter[] = [];
  #error: unknown;
  #hasError = false;
  #terminated = false;
  #left = false;  // the iteration was left (return()): nobody reads any more
  #resolveClosed!: (result: CloseResult) => void;

  /** @internal Use connect(). */
  constructor(
    url: string, makeEngine: (events: EngineEvents) => EngineSocket, lifecycle: Lifecycle, mark: Required<HighWaterMark>,
  ) {
    this.url = url;
    this.#lifecycle = lifecycle;
    this.#inbox = new ReceiveQueue<Message>(mark, {
      pauseReading: () => this.#engine.pauseReading(),
      resumeReading: () => this.#engine.resumeReading(),
    });
    this.closed = new Promise<CloseResult>((resolve) => { this.#resolveClosed = resolve; });
    this.#engine = makeEngine({
      open: (info) => {
        this.#open = info;
        this.#state = 'open';
        this.#lifecycle.opened();
      },
      message: (data, isBinary) => this.#push(isBinary ? data : data.toString('utf8'), data.length),
      error: (error) => this.#fail(error),
      close: (info) => this.#onClose(info),
      pong: () => undefined,
    });
  }

  /** The subprotocol the server chose ('' if none). */
  get protocol(): string {
    return this.#open.protocol;
  }

  /** The extensions the server accepted ('' if none). */
  get extensions(): string {
    return this.#open.extensions;
  }

  /** The handshake response: its HTTP status (101) and headers (lower-case names). */
  get response(): { status: number; headers: Readonly<Record<string, string>> } {
    return { status: this.#open.status, headers: this.#open.headers };
  }

  get state(): ConnectionState {
    return this.#state === 'connecting' ? 'closing' : this.#state;
  }

  /** Bytes given to send() and not yet handed to the network. */
  get bufferedAmount(): number {
    return this.#engine.bufferedAmount;
  }

  /**
   * Sends a message (string: text; ArrayBuffer, view or Blob: binary). The promise resolves
   * when the data has left the process: await it to apply backpressure.
   * @throws ConnectionClosedError (synchronously) once the connection is closing or closed.
   */
  send(data: SendData): Promise<void> {
    if (this.#state !== 'open') {
      throw new ConnectionClosedError(`${this.url}: send() on a ${this.#state} connection; nothing is sent. Connect again to send.`);
    }
    const payload = toPayload(data);
    return new Promise<void>((resolve, reject) => {
      this.#engine.send(payload.data, payload.isBinary, payload.size, (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * Starts the closing handshake after the queued messages; resolves with how it ended.
   * @param code 1000 (default), 1001-1003, 1007-1014 or 3000-4999.
   * @param reason at most 123 bytes of UTF-8.
   * @throws InvalidArgumentError (synchronously) for another code or a longer reason.
   */
  close(code = 1000, reason = ''): Promise<CloseResult> {
    checkCloseCode(code, `close(${String(code)}): the code must be 1000-1003, 1007-1014 or 3000-4999.`, fail);
    const text = checkCloseReason(reason, fail);
    if (this.#state === 'open') {
      this.#state = 'closing';
      this.#engine.close(code, text);
    }
    return this.closed;
  }

  /** Sends a ping (at most 125 bytes). */
  ping(data: Uint8Array | string = ''): void {
    const bytes = checkControlPayload('ping', data, fail);
    if (this.#state === 'open') this.#engine.ping(bytes);
  }

  /** Drops the connection at once, without a closing handshake. */
  terminate(): void {
    this.#terminated = true;
    if (this.#state !== 'closed') this.#state = 'closing';
    this.#engine.terminate();
  }

  /**
   * The incoming messages, in order. Ends when the connection closes; throws the error if the
   * connection failed, or the abort reason if its signal was aborted. Leaving the loop early
   * (break, return, throw) closes the connection with 1000. Messages are kept from the moment
   * the connection opens until they are read; while more than the highWaterMark waits unread,
   * the connection stops reading from the network (the server's writes stall) until the reader
   * catches up. A connection nobody reads therefore stops at the highWaterMark, and a close
   * frame behind unread messages is only seen once they are read.
   */
  [Symbol.asyncIterator](): AsyncIterator<Message, undefined> {
    return {
      next: () => this.#next(),
      return: () => {
        if (this.#state === 'open') this.close(1000).catch(() => undefined);
        this.#left = true;
        this.#inbox.clear();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  /** The same as iterating the connection itself. */
  messages(): AsyncIterable<Message> {
    return { [Symbol.asyncIterator]: () => this[Symbol.asyncIterator]() };
  }

  /** @internal */
  attachSignal(signal: AbortSignal): void {
    const onAbort = (): void => {
      if (this.#state === 'open' || this.#state === 'closing') {
        this.#fail(signal.reason, false);
        if (this.#state === 'open') {
          this.#state = 'closing';
          this.#engine.close(1000, '');
        }
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.closed.then(() => signal.removeEventListener('abort', onAbort), () => undefined);
  }

  #next(): Promise<IteratorResult<Message, undefined>> {
    const message = this.#inbox.shift();
    if (message !== undefined) return Promise.resolve({ done: false, value: message });
    if (this.#hasError) return Promise.reject(this.#error);
    if (this.#state === 'closed') return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #push(message: Message, bytes: number): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve({ done: false, value: message });
    else if (!this.#left) this.#inbox.push(message, bytes);
  }

  // Records the first failure: connect() rejects with it before open; iteration throws it
  // once the messages before it have been read.
  #fail(error: unknown, fromEngine = true): void {
    if (this.#hasError) return;
    this.#hasError = true;
    this.#error = error;
    if (this.#state === 'connecting' && fromEngine) this.#lifecycle.failed(error as WebSocketError);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  #onClose(info: CloseInfo): void {
    const wasConnecting = this.#state === 'connecting';
    this.#state = 'closed';
    if (info.abnormal && !this.#hasError && !(this.#terminated && !wasConnecting)) this.#fail(info.abnormal);
    if (wasConnecting && !this.#hasError) this.#lifecycle.failed(new ConnectError(`${this.url}: the connection closed (${info.code}) before it opened.`));
    for (const waiter of this.#waiters.splice(0)) waiter.resolve({ done: true, value: undefined });
    this.#resolveClosed({ code: info.code, reason: info.reason, wasClean: info.wasClean });
  }
}
