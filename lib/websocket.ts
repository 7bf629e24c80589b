// A WHATWG-compatible WebSocket (https://websockets.spec.whatwg.org/) on the native engine,
// with the Node options of `ws` in a third argument and the common `ws` client methods
// (on/once/off, send callbacks, ping, terminate).
import { EngineSocket, type CloseInfo, type EngineEvents, type OpenInfo } from './engine';
import { ConnectionClosedError, type WebSocketError } from './errors';
import { CloseEvent, ErrorEvent, MessageEvent, type AddEventListenerOptions } from './events';
import { engineConfig, type WebSocketOptions } from './options';
import { toArrayBuffer, toPayload, type SendData } from './payload';
import {
  checkCloseReason, checkPingPayload, checkProtocols, checkWhatwgCloseCode, parseWebSocketUrl, type ErrorFactory,
} from './validate';

/** How received binary messages are given: Buffer (default, as `ws`), ArrayBuffer or Blob. */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'blob';

/** The data of a message event: a string for text, binary data per binaryType. */
export type MessageData = string | Buffer | ArrayBuffer | Blob;

export type ReadyState = 0 | 1 | 2 | 3;

export interface WebSocketEventMap {
  open: Event;
  message: MessageEvent<MessageData>;
  error: ErrorEvent;
  close: CloseEvent;
  /** A pong arrived (answer to ping()); `data` is its payload as a Buffer. */
  pong: MessageEvent<Buffer>;
}

/** `ws`-style listeners of on()/once()/off(). */
export interface WebSocketEmitterListeners {
  open: () => void;
  /** data: a Buffer for text and binary (ArrayBuffer or Blob for binary when binaryType says so). */
  message: (data: Buffer | ArrayBuffer | Blob, isBinary: boolean) => void;
  error: (error: Error) => void;
  close: (code: number, reason: Buffer) => void;
  pong: (data: Buffer) => void;
}

/** Options of send()'s `ws`-style second argument. */
export interface SendOptions {
  /** Send a string as a binary message (true) or binary data as text (false). */
  binary?: boolean;
}

/** A listener of one event type (also the type of the on* handler attributes). */
export type WebSocketListener<K extends keyof WebSocketEventMap> = (this: WebSocket, event: WebSocketEventMap[K]) => unknown;
/** A listener function or object, of any event type. */
export type EventListenerLike = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };
type NodeListener = Parameters<EventTarget['addEventListener']>[1];
type EmitterListener = (...args: never[]) => void;

interface EmitterEntry {
  type: string;
  listener: EmitterListener;
  wrapper: (event: Event) => void;
}

const domFail: ErrorFactory = (message, kind) => {
  if (kind === 'syntax') return new DOMException(message, 'SyntaxError');
  if (kind === 'access') return new DOMException(message, 'InvalidAccessError');
  return kind === 'range' ? new RangeError(message) : new TypeError(message);
};

function isOptionsObject(value: unknown): value is WebSocketOptions {
  return typeof value === 'object' && value !== null && !Array.isArray(value) &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function';
}

export class WebSocket extends EventTarget {
  static readonly CONNECTING: 0 = 0;
  static readonly OPEN: 1 = 1;
  static readonly CLOSING: 2 = 2;
  static readonly CLOSED: 3 = 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  #url: URL;
  #engine: EngineSocket;
  #readyState: ReadyState = WebSocket.CONNECTING;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'nodebuffer';
  #bufferedAfterClose = 0;
  #errorFired = false;
  #terminated = false;
  // Made when first needed: most connections use one or the other, or neither, and
  // thousands of idle connections each pay for what they hold.
  #handlers: Map<string, { fn: ((event: Event) => unknown) | null; listener: (event: Event) => void }> | undefined;
  #emitterEntries: EmitterEntry[] | undefined;

  /**
   * Opens a connection to `url` (ws:, wss:, http: or https:, no fragment; or a unix socket:
   * ws+unix:///path/to/socket.sock:/request/path, wss+unix: for TLS).
   * @param protocols subprotocols to offer (tokens, no duplicates); or the options, as `ws` allows.
   * @param options Node options: headers, origin, TLS (ca, cert, key, passphrase, servername,
   *   rejectUnauthorized), maxPayload, handshakeTimeout, perMessageDeflate, proxy.
   * @throws DOMException SyntaxError for a bad URL, subprotocol or header; TypeError or
   *   RangeError for a bad option.
   */
  constructor(url: string | URL, protocols?: string | readonly string[] | WebSocketOptions, options?: WebSocketOptions) {
    super();
    if (isOptionsObject(protocols)) {
      options = protocols;
      protocols = undefined;
    }
    this.#url = parseWebSocketUrl(url, domFail);
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols].map(String);
    const checked = checkProtocols(list, domFail);
    const config = engineConfig(this.#url, checked, options, domFail);
    this.#engine = new EngineSocket(config, new WebSocket.#EngineEvents(this));
  }

  // The engine's events for one WebSocket: one small object instead of five closures (an
  // idle connection pays for every object it holds). Inside the class to reach its privates.
  static readonly #EngineEvents = class implements EngineEvents {
    constructor(private readonly ws: WebSocket) {}
    open(info: OpenInfo): void { this.ws.#onOpen(info); }
    message(data: Buffer, isBinary: boolean): void { this.ws.#onMessage(data, isBinary); }
    error(error: WebSocketError): void { this.ws.#fireError(error); }
    close(info: CloseInfo): void { this.ws.#onClose(info); }
    pong(data: Buffer): void {
      this.ws.dispatchEvent(new MessageEvent<Buffer>('pong', { data, origin: this.ws.#url.origin }));
    }
  };

  /** The URL, after parsing (http: and https: shown as ws: and wss:). */
  get url(): string {
    return this.#url.href;
  }

  get readyState(): ReadyState {
    return this.#readyState;
  }

  /** The subprotocol the server chose ('' until open, or if none). */
  get protocol(): string {
    return this.#protocol;
  }

  /** The extensions the server accepted ('' until open, or if none). */
  get extensions(): string {
    return this.#extensions;
  }

  /** Bytes given to send() and not yet handed to the network. */
  get bufferedAmount(): number {
    return this.#engine.bufferedAmount + this.#bufferedAfterClose;
  }

  /** 'nodebuffer' (default), 'arraybuffer' or 'blob'. Other values are ignored (WebIDL enum). */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    if (value === 'nodebuffer' || value === 'arraybuffer' || value === 'blob') this.#binaryType = value;
  }

  get onopen(): WebSocketListener<'open'> | null { return this.#getHandler('open') as WebSocketListener<'open'> | null; }
  set onopen(fn: WebSocketListener<'open'> | null) { this.#setHandler('open', fn); }
  get onmessage(): WebSocketListener<'message'> | null { return this.#getHandler('message') as WebSocketListener<'message'> | null; }
  set onmessage(fn: WebSocketListener<'message'> | null) { this.#setHandler('message', fn); }
  get onerror(): WebSocketListener<'error'> | null { return this.#getHandler('error') as WebSocketListener<'error'> | null; }
  set onerror(fn: WebSocketListener<'error'> | null) { this.#setHandler('error', fn); }
  get onclose(): WebSocketListener<'close'> | null { return this.#getHandler('close') as WebSocketListener<'close'> | null; }
  set onclose(fn: WebSocketListener<'close'> | null) { this.#setHandler('close', fn); }

  override addEventListener<K extends keyof WebSocketEventMap>(
    type: K, listener: WebSocketListener<K> | { handleEvent(event: WebSocketEventMap[K]): unknown } | null,
    options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerLike | null, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerLike | null, options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener as NodeListener, options);
  }

  override removeEventListener<K extends keyof WebSocketEventMap>(
    type: K, listener: WebSocketListener<K> | { handleEvent(event: WebSocketEventMap[K]): unknown } | null,
    options?: boolean | { capture?: boolean }): void;
  override removeEventListener(type: string, listener: EventListenerLike | null, options?: boolean | { capture?: boolean }): void;
  override removeEventListener(type: string, listener: EventListenerLike | null, options?: boolean | { capture?: boolean }): void {
    super.removeEventListener(type, listener as NodeListener, options);
  }

  /**
   * Sends a message: a string as text, an ArrayBuffer, a view of one or a Blob as binary.
   * `ws`-style extras: `options.binary` forces the frame type; `callback` runs once the data
   * has left the process (or with the error if it never will).
   * @throws DOMException InvalidStateError while CONNECTING. After close() nothing is sent,
   *   bufferedAmount grows and the callback (if any) gets a ConnectionClosedError, as the spec says.
   */
  send(data: SendData, callback?: (error?: Error) => void): void;
  send(data: SendData, options: SendOptions, callback?: (error?: Error) => void): void;
  send(data: SendData, optionsOrCallback?: SendOptions | ((error?: Error) => void), maybeCallback?: (error?: Error) => void): void {
    if (this.#readyState === WebSocket.CONNECTING) {
      throw new DOMException('send() was called before the connection opened: wait for the open event.', 'InvalidStateError');
    }
    const options = typeof optionsOrCallback === 'object' && optionsOrCallback !== null ? optionsOrCallback : {};
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
    const payload = toPayload(data, options.binary);
    const done = callback ? (error?: WebSocketError) => { callback.call(this, error); } : undefined;
    if (this.#readyState !== WebSocket.OPEN) {
      this.#bufferedAfterClose += payload.size;
      if (done) {
        const error = new ConnectionClosedError(`${this.url}: send() after close(): the message was not sent.`);
        process.nextTick(() => done(error));
      }
      return;
    }
    if (!this.#engine.send(payload.data, payload.isBinary, payload.size, done)) this.#bufferedAfterClose += payload.size;
  }

  /**
   * Starts the closing handshake (or, while CONNECTING, abandons the connection).
   * @param code 1000 or 3000-4999; absent: no status code (1000 if a reason is given).
   * @param reason at most 123 bytes of UTF-8.
   * @throws DOMException InvalidAccessError for another code, SyntaxError for a longer reason.
   */
  close(code?: number, reason?: string): void {
    const closeCode = code === undefined ? undefined : checkWhatwgCloseCode(code, domFail);
    const closeReason = reason === undefined ? '' : checkCloseReason(reason, domFail);
    if (this.#readyState === WebSocket.CLOSING || this.#readyState === WebSocket.CLOSED) return;
    if (this.#readyState === WebSocket.CONNECTING) {
      this.#readyState = WebSocket.CLOSING;
      this.#engine.terminate();
      return;
    }
    this.#readyState = WebSocket.CLOSING;
    this.#engine.close(closeCode ?? (closeReason !== '' ? 1000 : 0), closeReason);
  }

  /** `ws` extra: drops the connection at once, without a closing handshake (close 1006 follows). */
  terminate(): void {
    if (this.#readyState === WebSocket.CLOSED) return;
    this.#terminated = true;
    this.#readyState = WebSocket.CLOSING;
    this.#engine.terminate();
  }

  /**
   * `ws` extra: sends a ping (at most 125 bytes of payload); the answer comes as a 'pong' event.
   * @throws DOMException InvalidStateError while CONNECTING; RangeError for a longer payload.
   */
  ping(data?: SendData): void {
    if (this.#readyState === WebSocket.CONNECTING) {
      throw new DOMException('ping() was called before the connection opened: wait for the open event.', 'InvalidStateError');
    }
    const payload = data === undefined ? new Uint8Array(0) : toPayload(data).data;
    if (payload instanceof Promise) throw new TypeError('ping() takes a string or binary data, not a Blob.');
    const bytes = checkPingPayload(payload, domFail);
    if (this.#readyState === WebSocket.OPEN) this.#engine.ping(bytes);
  }

  /** `ws`-style listener: open(), message(data, isBinary), error(err), close(code, reason), pong(data). */
  on<K extends keyof WebSocketEmitterListeners>(type: K, listener: WebSocketEmitterListeners[K]): this {
    return this.#addEmitterListener(type, listener, false);
  }

  /** Like on(), for one event only. */
  once<K extends keyof WebSocketEmitterListeners>(type: K, listener: WebSocketEmitterListeners[K]): this {
    return this.#addEmitterListener(type, listener, true);
  }

  /** Removes a listener added with on() or once(). */
  off<K extends keyof WebSocketEmitterListeners>(type: K, listener: WebSocketEmitterListeners[K]): this {
    const index = this.#emitterEntries?.findIndex((entry) => entry.type === type && entry.listener === listener) ?? -1;
    if (index >= 0) {
      const [entry] = this.#emitterEntries!.splice(index, 1);
      super.removeEventListener(type, entry.wrapper);
    }
    return this;
  }

  /** Alias of on(). */
  addListener<K extends keyof WebSocketEmitterListeners>(type: K, listener: WebSocketEmitterListeners[K]): this {
    return this.on(type, listener);
  }

  /** Alias of off(). */
  removeListener<K extends keyof WebSocketEmitterListeners>(type: K, listener: WebSocketEmitterListeners[K]): this {
    return this.off(type, listener);
  }

  #addEmitterListener(type: keyof WebSocketEmitterListeners, listener: EmitterListener, once: boolean): this {
    if (typeof listener !== 'function') throw new TypeError(`The ${type} listener must be a function.`);
    const call = (...args: unknown[]): void => { (listener as (...a: unknown[]) => void).apply(this, args); };
    const wrapper = (event: Event): void => {
      if (once) this.off(type, listener as WebSocketEmitterListeners[typeof type]);
      switch (type) {
        case 'message': {
          const { data } = event as MessageEvent<MessageData>;
          const isBinary = typeof data !== 'string';
          call(isBinary ? data : Buffer.from(data, 'utf8'), isBinary);
          break;
        }
        case 'error':
          call((event as ErrorEvent).error);
          break;
        case 'close': {
          const { code, reason } = event as CloseEvent;
          call(code, Buffer.from(reason, 'utf8'));
          break;
        }
        case 'pong':
          call((event as MessageEvent<Buffer>).data);
          break;
        default:
          call();
      }
    };
    (this.#emitterEntries ??= []).push({ type, listener, wrapper });
    super.addEventListener(type, wrapper);
    return this;
  }

  #getHandler(type: string): ((event: Event) => unknown) | null {
    return this.#handlers?.get(type)?.fn ?? null;
  }

  // WHATWG event handler attributes: one listener per type, added when first set (so it runs
  // in that position among the listeners), removed when set to null.
  #setHandler(type: string, fn: unknown): void {
    const handler = typeof fn === 'function' ? (fn as (event: Event) => unknown) : null;
    const slot = this.#handlers?.get(type);
    if (handler === null) {
      if (slot) {
        super.removeEventListener(type, slot.listener);
        this.#handlers!.delete(type);
      }
      return;
    }
    if (slot) {
      slot.fn = handler;
      return;
    }
    const created = {
      fn: handler,
      listener: (event: Event): void => { created.fn?.call(this, event); },
    };
    (this.#handlers ??= new Map()).set(type, created);
    super.addEventListener(type, created.listener);
  }

  #onOpen(info: OpenInfo): void {
    if (this.#readyState !== WebSocket.CONNECTING) return;
    this.#readyState = WebSocket.OPEN;
    this.#protocol = info.protocol;
    this.#extensions = info.extensions;
    this.dispatchEvent(new Event('open'));
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#readyState !== WebSocket.OPEN) return;
    let value: MessageData;
    if (!isBinary) value = data.toString('utf8');
    else if (this.#binaryType === 'arraybuffer') value = toArrayBuffer(data);
    else if (this.#binaryType === 'blob') value = new Blob([data]);
    else value = data;
    this.dispatchEvent(new MessageEvent<MessageData>('message', { data: value, origin: this.#url.origin }));
  }

  #fireError(error: WebSocketError): void {
    if (this.#errorFired) return;
    this.#errorFired = true;
    this.dispatchEvent(new ErrorEvent('error', { error, message: error.message }));
  }

  #onClose(info: CloseInfo): void {
    if (this.#readyState === WebSocket.CLOSED) return;
    this.#readyState = WebSocket.CLOSED;
    // As the spec: a connection that ends without a close frame also fires error first
    // (not after terminate(), as `ws`).
    if (info.abnormal && !this.#errorFired && !this.#terminated) this.#fireError(info.abnormal);
    this.dispatchEvent(new CloseEvent('close', { code: info.code, reason: info.reason, wasClean: info.wasClean }));
  }
}

Object.defineProperties(WebSocket.prototype, {
  CONNECTING: { value: 0, enumerable: true },
  OPEN: { value: 1, enumerable: true },
  CLOSING: { value: 2, enumerable: true },
  CLOSED: { value: 3, enumerable: true },
});
