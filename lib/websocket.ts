// A WHATWG-compatible WebSocket (https://websockets.spec.whatwg.org/) on the native engine,
// with the Node options of `ws` in a third argument and the common `ws` client methods
// (on/once/off, send callbacks, ping, terminate).
import type { IncomingMessage } from 'node:http';
import { EngineSocket, loopTurn, type CloseInfo, type EngineConfig, type EngineEvents, type OpenInfo } from './engine';
import { ConnectError, ConnectionClosedError, type HandshakeResponse, type WebSocketError } from './errors';
import { CloseEvent, ErrorEvent, messageEvent, type AddEventListenerOptions, type MessageEvent } from './events';
import { engineConfig, type PerMessageDeflateOptions, type WebSocketOptions } from './options';
import { toArrayBuffer, toPayload, type SendData } from './payload';
import {
  checkCloseReason, checkControlPayload, checkProtocols, checkWhatwgCloseCode, domFail, parseWebSocketUrl,
} from './validate';
import { basicAuthorization, isBlockedPort, pageBaseUrl, pageOrigin, withoutCredentials } from './web-context';
import { HandshakeRequest, incomingMessage } from './ws-http';
import { splitWsOptions, type WsClientOptions, type WsDeflateTuning, type WsSettings } from './ws-options';

/** The third constructor argument: the engine's Node options and `ws`'s client options. */
export type ClientOptions = Omit<WebSocketOptions, 'perMessageDeflate'> & WsClientOptions & {
  /** As WebSocketOptions.perMessageDeflate; `ws`'s zlib tuning is accepted only empty
   * (compression runs inside the engine), concurrencyLimit is accepted and ignored. */
  perMessageDeflate?: boolean | (PerMessageDeflateOptions & WsDeflateTuning);
};

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
  /** A ping arrived (answered with a pong unless the option autoPong is false). */
  ping: MessageEvent<Buffer>;
}

/** `ws`-style listeners of on()/once()/off(). */
export interface WebSocketEmitterListeners {
  open: () => void;
  /** data: a Buffer for text and binary (ArrayBuffer or Blob for binary when binaryType says so). */
  message: (data: Buffer | ArrayBuffer | Blob, isBinary: boolean) => void;
  error: (error: Error) => void;
  close: (code: number, reason: Buffer) => void;
  pong: (data: Buffer) => void;
  /** A ping arrived; it is answered with a pong unless the option autoPong is false (then
   * call pong() yourself). */
  ping: (data: Buffer) => void;
  /** The handshake response (101), before 'open'. */
  upgrade: (response: IncomingMessage) => void;
  /** The server answered the handshake with another status. When listened to, no 'error'
   * follows: the application decides (read `response`, its body included; then
   * `terminate()` or `request.abort()`, which end with 'error' and 'close' as in `ws`). */
  'unexpected-response': (request: HandshakeRequest, response: IncomingMessage) => void;
  /** followRedirects: the handshake is sent again to `url`. */
  redirect: (url: string, request: HandshakeRequest) => void;
}

/** An event of `ws`'s that has no WHATWG counterpart: its listener arguments. */
class EmitterEvent extends Event {
  constructor(type: string, readonly args: readonly unknown[]) {
    super(type);
  }
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

function isOptionsObject(value: unknown): value is WebSocketOptions {
  return typeof value === 'object' && value !== null && !Array.isArray(value) &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function';
}

type HandlerType = 'open' | 'message' | 'error' | 'close';

/**
 * The WHATWG WebSocket, as in browsers and Node's global `WebSocket`, with the client API of
 * the `ws` package as well (`on()`, `ping()`, send callbacks, the Node options of the third
 * argument).
 * @group Faces
 * @example
 * ```ts
 * import { WebSocket } from 'netstack-websocket';
 *
 * const ws = new WebSocket('ws://127.0.0.1:8080/chat', ['chat'], { handshakeTimeout: 5000 });
 * ws.onopen = () => ws.send('hello');
 * ws.onmessage = (event) => console.log('received', event.data);
 * ws.onerror = (event) => console.error(event.message);
 * ws.onclose = (event) => console.log('closed', event.code, event.reason);
 * ```
 */
export class WebSocket extends EventTarget {
  // Defined below as WebIDL constants (read-only, non-configurable) on the class and the prototype.
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  // The parsed URL kept as strings: a URL object costs an idle connection about 160 bytes,
  // and its origin getter about 0.1 µs per message event. #location() parses it again.
  #href: string;
  #origin: string;
  // null when the connection failed before it was attempted (a blocked port).
  #engine: EngineSocket | null;
  #readyState: ReadyState = CONNECTING;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'nodebuffer';
  #bufferedAfterClose = 0;
  // bufferedAmount as seen during the task that sent (-1: none): what send() queued counts
  // at once, and what left only shows in a later task. #turn: the engine's loop turn then.
  #turnBuffered = -1;
  #turn = 0;
  #pendingError: WebSocketError | undefined;
  #errorFired = false;
  // `ws`'s settings, and what following a redirect needs (made only when it is asked for).
  #settings: WsSettings | undefined;
  #redirect: { config: EngineConfig; count: number; generation: number } | undefined;
  // An 'unexpected-response' listener decides how the attempt ends: its close waits here.
  #heldClose: CloseInfo | undefined;
  #closedBeforeOpen = false;
  #terminated = false;
  // Made when first needed: most connections use one or the other, or neither, and
  // thousands of idle connections each pay for what they hold (a plain object for the
  // on<event> listeners: a Map costs about 180 bytes more).
  #handlers: Partial<Record<HandlerType, object>> | undefined;
  #emitterEntries: EmitterEntry[] | undefined;

  /**
   * Opens a connection to `url` (ws:, wss:, http: or https:, no fragment; or a unix socket:
   * ws+unix:///path/to/socket.sock:/request/path, wss+unix: for TLS). A relative URL is
   * resolved against the page's URL when there is one (`globalThis.location`, or undici's
   * global origin), and then that page's origin is sent as Origin. Credentials in the URL
   * (`user:pass@`) are sent as Authorization: Basic.
   * @param protocols subprotocols to offer (tokens, no duplicates); or the options, as `ws` allows.
   * @param options Node options: headers, origin, TLS (ca, cert, key, passphrase, servername,
   *   rejectUnauthorized), maxPayload, handshakeTimeout, perMessageDeflate, proxy. Ignored
   *   when it is not an object (as a browser ignores an extra argument).
   * @throws DOMException SyntaxError for a bad URL, subprotocol or header; TypeError or
   *   RangeError for a bad option or no URL. A blocked port (Fetch's list) fails with an
   *   error event instead, as in browsers.
   */
  constructor(url: string | URL, protocols: string | readonly string[] | ClientOptions | undefined = undefined,
    options: ClientOptions | undefined = undefined) {
    super();
    if (arguments.length === 0) {
      throw new TypeError("Failed to construct 'WebSocket': 1 argument required, but only 0 present.");
    }
    if (isOptionsObject(protocols)) {
      options = protocols;
      protocols = undefined;
    } else if (!isOptionsObject(options)) {
      options = undefined;
    }
    const base = pageBaseUrl();
    const parsed = parseWebSocketUrl(url, domFail, base);
    this.#href = parsed.href;
    this.#origin = parsed.origin;
    const checked = checkProtocols(protocolList(protocols), domFail);
    const { engineOptions, settings } = splitWsOptions(options, domFail);
    if (settings.followRedirects || !settings.autoPong) this.#settings = settings;
    const config = engineConfig(withoutCredentials(parsed), checked, engineOptions, domFail);
    if (!settings.autoPong) config.autoPong = false;
    const authorization = basicAuthorization(parsed);
    if (authorization && !config.headers.some(([name]) => name.toLowerCase() === 'authorization')) {
      config.headers.push(['Authorization', authorization]);
    }
    if (config.origin === '') config.origin = pageOrigin(base);
    if (isBlockedPort(parsed)) {
      this.#engine = null;
      setImmediate(() => this.#onClose({ code: 1006, reason: '', wasClean: false, abnormal: undefined },
        new ConnectError(`${this.url}: port ${parsed.port} is blocked (the Fetch standard's bad ports); use another port.`)));
      return;
    }
    if (settings.followRedirects) this.#redirect = { config, count: 0, generation: 0 };
    this.#engine = new EngineSocket(config, new WebSocket.#EngineEvents(this, 0));
  }

  // The engine's events for one WebSocket: one small object instead of five closures (an
  // idle connection pays for every object it holds). Inside the class to reach its privates.
  // `generation` tells the engine of a followed redirect from the ones before it.
  static readonly #EngineEvents = class implements EngineEvents {
    constructor(private readonly ws: WebSocket, private readonly generation: number) {}
    #current(): boolean { return (this.ws.#redirect?.generation ?? 0) === this.generation; }
    open(info: OpenInfo): void { if (this.#current()) this.ws.#onOpen(info); }
    message(data: Buffer, isBinary: boolean): void { this.ws.#onMessage(data, isBinary); }
    error(error: WebSocketError, response: HandshakeResponse | undefined): void {
      if (this.#current()) this.ws.#onEngineError(error, response);
    }
    close(info: CloseInfo): void { if (this.#current()) this.ws.#onClose(info); }
    pong(data: Buffer): void {
      this.ws.dispatchEvent(messageEvent('pong', data, this.ws.#origin));
    }
    ping(data: Buffer): void {
      this.ws.dispatchEvent(messageEvent('ping', data, this.ws.#origin));
    }
  };

  /** The URL, after parsing (http: and https: shown as ws: and wss:). */
  get url(): string {
    return this.#href;
  }

  #location(): URL {
    return new URL(this.#href);
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

  /**
   * Bytes given to send() and not yet handed to the network. As the spec says, what send()
   * queues counts at once, and what has left shows only from the next task on.
   */
  get bufferedAmount(): number {
    const current = this.#turnBuffered >= 0 && this.#turn === loopTurn()
      ? this.#turnBuffered
      : this.#engine?.bufferedAmount ?? 0;
    return current + this.#bufferedAfterClose;
  }

  /** 'nodebuffer' (default, as `ws`; browsers default to 'blob'), 'arraybuffer' or 'blob'.
   * Other values are ignored (WebIDL enum). */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    void this.#binaryType;  // WebIDL: a setter called on another object throws TypeError
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
  send(data: SendData, optionsOrCallback: SendOptions | ((error?: Error) => void) | undefined = undefined,
    maybeCallback: ((error?: Error) => void) | undefined = undefined): void {
    const state = this.#readyState;  // WebIDL: called on another object, TypeError comes first
    if (arguments.length === 0) {
      throw new TypeError("Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present.");
    }
    if (state === CONNECTING) {
      throw new DOMException('send() was called before the connection opened: wait for the open event.', 'InvalidStateError');
    }
    const options = typeof optionsOrCallback === 'object' && optionsOrCallback !== null ? optionsOrCallback : {};
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
    const payload = toPayload(data, options.binary);
    const done = callback ? (error?: WebSocketError) => { callback.call(this, error); } : undefined;
    if (this.#readyState !== OPEN || !this.#engine) {
      this.#bufferedAfterClose += payload.size;
      if (done) {
        const error = new ConnectionClosedError(`${this.url}: send() after close(): the message was not sent.`);
        process.nextTick(() => done(error));
      }
      return;
    }
    if (this.#turnBuffered < 0 || this.#turn !== loopTurn()) this.#holdBufferedForTask(this.#engine);
    if (this.#engine.send(payload.data, payload.isBinary, payload.size, done)) this.#turnBuffered += payload.size;
    else this.#bufferedAfterClose += payload.size;
  }

  // The first send() of a task: bufferedAmount from now until the task ends. The engine's
  // loop turn tells when it has ended (no setImmediate per task: that is a call into JS).
  #holdBufferedForTask(engine: EngineSocket): void {
    this.#turn = loopTurn();
    const held = engine.bufferedAmountForTask();
    if (held >= 0) {
      this.#turnBuffered = held;
      return;
    }
    this.#turnBuffered = engine.bufferedAmount;  // the turn may not change: end it ourselves
    setImmediate(() => { this.#turnBuffered = -1; });
  }

  /**
   * Starts the closing handshake (or, while CONNECTING, abandons the connection).
   * @param code 1000 or 3000-4999; absent: no status code (1000 if a reason is given).
   * @param reason at most 123 bytes of UTF-8.
   * @throws DOMException InvalidAccessError for another code, SyntaxError for a longer reason.
   */
  close(code: number | undefined = undefined, reason: string | undefined = undefined): void {
    void this.#readyState;  // WebIDL: called on another object, TypeError comes first
    const closeCode = code === undefined ? undefined : checkWhatwgCloseCode(code, domFail);
    const closeReason = reason === undefined ? '' : checkCloseReason(reason, domFail);
    if (this.#readyState === CLOSING || this.#readyState === CLOSED) return;
    if (this.#readyState === CONNECTING) {
      this.#closedBeforeOpen = true;
      if (this.#releaseHeldClose()) return;
      this.#readyState = CLOSING;
      this.#engine?.terminate();
      return;
    }
    this.#readyState = CLOSING;
    // No code: a close frame without a status code (the server sees 1005), as the spec says.
    this.#engine?.close(closeCode ?? (closeReason !== '' ? 1000 : 0), closeReason);
  }

  /** `ws` extra: drops the connection at once, without a closing handshake (close 1006 follows). */
  terminate(): void {
    if (this.#readyState === CLOSED || this.#releaseHeldClose()) return;
    this.#terminated = true;
    this.#readyState = CLOSING;
    this.#engine?.terminate();
  }

  /**
   * `ws` extra: sends a ping (at most 125 bytes of payload); the answer comes as a 'pong' event.
   * @throws DOMException InvalidStateError while CONNECTING; RangeError for a longer payload.
   */
  ping(data?: SendData): void {
    if (this.#readyState === CONNECTING) {
      throw new DOMException('ping() was called before the connection opened: wait for the open event.', 'InvalidStateError');
    }
    const payload = data === undefined ? new Uint8Array(0) : toPayload(data).data;
    if (payload instanceof Promise) throw new TypeError('ping() takes a string or binary data, not a Blob.');
    const bytes = checkControlPayload('ping', payload, domFail);
    if (this.#readyState === OPEN) this.#engine?.ping(bytes);
  }

  /**
   * `ws` extra: sends a pong (at most 125 bytes), e.g. to answer a 'ping' when the option
   * autoPong is false (an unsolicited pong is a heartbeat, RFC 6455 5.5.3).
   * @throws DOMException InvalidStateError while CONNECTING; RangeError for a longer payload.
   */
  pong(data?: SendData): void {
    if (this.#readyState === CONNECTING) {
      throw new DOMException('pong() was called before the connection opened: wait for the open event.', 'InvalidStateError');
    }
    const payload = data === undefined ? new Uint8Array(0) : toPayload(data).data;
    if (payload instanceof Promise) throw new TypeError('pong() takes a string or binary data, not a Blob.');
    const bytes = checkControlPayload('pong', payload, domFail);
    if (this.#readyState === OPEN) this.#engine?.pong(bytes);
  }

  // ---- Receive backpressure: `ws`'s pause(), resume() and isPaused ----
  #paused = false;

  /**
   * `ws` extra: stops dispatching events and stops reading from the network, so a fast
   * server's writes stall (TCP backpressure) instead of filling this process's memory.
   * Messages already read stay queued and are dispatched by resume(), in order, as are
   * the pong, error and close events behind them. close() and terminate() end the pause
   * (the queued messages are then dropped, as any message arriving after close()).
   * No-op while CONNECTING or CLOSED. A paused socket does not keep the process alive.
   */
  pause(): void {
    if (this.#readyState === WebSocket.CONNECTING || this.#readyState === WebSocket.CLOSED) return;
    this.#paused = true;
    this.#engine?.holdEvents();
  }

  /** `ws` extra: dispatches the queued events in order, then reads from the network again. */
  resume(): void {
    if (this.#readyState === WebSocket.CONNECTING || this.#readyState === WebSocket.CLOSED) return;
    this.#paused = false;
    this.#engine?.releaseEvents();
  }

  /** `ws` extra: whether pause() was called without resume() since. */
  get isPaused(): boolean {
    return this.#paused;
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
        case 'ping':
          call((event as MessageEvent<Buffer>).data);
          break;
        default:
          if (event instanceof EmitterEvent) call(...event.args);
          else call();
      }
    };
    (this.#emitterEntries ??= []).push({ type, listener, wrapper });
    super.addEventListener(type, wrapper);
    return this;
  }

  /** `ws`'s listenerCount(): listeners added with on()/once(). */
  listenerCount(type: keyof WebSocketEmitterListeners): number {
    return this.#emitterEntries?.reduce((count, entry) => count + (entry.type === type ? 1 : 0), 0) ?? 0;
  }

  /** `ws`'s removeAllListeners(): the on()/once() listeners of one type, or of all. */
  removeAllListeners(type?: keyof WebSocketEmitterListeners): this {
    for (const entry of [...(this.#emitterEntries ?? [])]) {
      if (type === undefined || entry.type === type) this.off(entry.type as keyof WebSocketEmitterListeners, entry.listener as never);
    }
    return this;
  }

  #emit(type: keyof WebSocketEmitterListeners, ...args: unknown[]): void {
    this.dispatchEvent(new EmitterEvent(type, args));
  }

  #getHandler(type: HandlerType): object | null {
    return this.#handlers?.[type] ?? null;
  }

  // The one listener behind the event handler attributes of every WebSocket: EventTarget
  // calls it with the socket as `this`, and it calls that socket's handler for the event's
  // type. (A listener function of its own per handler and socket held about 160 bytes more
  // per handler: 2.9 KiB of JS heap for an open socket with four handlers, 2.3 with four
  // addEventListener listeners.)
  static readonly #callHandler = function callHandler(this: WebSocket, event: Event): void {
    const fn = this.#handlers?.[event.type as HandlerType];
    if (typeof fn === 'function') (fn as (event: Event) => unknown).call(this, event);
  };

  // WHATWG event handler attributes ([LegacyTreatNonObjectAsNull]): any object is kept and
  // read back, anything else is null; the listener is added when a handler is first set (so
  // it runs in that position among the listeners), removed when set to null. Only a
  // function is called (an object's handleEvent is not, as in browsers).
  #setHandler(type: HandlerType, fn: unknown): void {
    const handler = (typeof fn === 'object' && fn !== null) || typeof fn === 'function' ? fn : null;
    const present = this.#handlers?.[type] !== undefined;
    if (handler === null) {
      if (present) {
        super.removeEventListener(type, WebSocket.#callHandler as NodeListener);
        this.#handlers![type] = undefined;
      }
      return;
    }
    (this.#handlers ??= {})[type] = handler;
    if (!present) super.addEventListener(type, WebSocket.#callHandler as NodeListener);
  }

  #onOpen(info: OpenInfo): void {
    if (this.#readyState !== CONNECTING) return;
    this.#readyState = OPEN;
    this.#protocol = info.protocol;
    this.#extensions = info.extensions;
    this.#redirect = undefined;
    if (this.listenerCount('upgrade') > 0) this.#emit('upgrade', incomingMessage(info.status, info.headers));
    this.dispatchEvent(new Event('open'));
  }

  #onEngineError(error: WebSocketError, response: HandshakeResponse | undefined): void {
    if (response && this.#readyState === CONNECTING && !this.#closedBeforeOpen) {
      if (this.#redirect && response.status >= 300 && response.status < 400 && response.headers.location) {
        const refused = this.#followRedirect(response);
        if (refused === undefined) return;
        error = refused;
      } else if (this.listenerCount('unexpected-response') > 0) {
        this.#heldClose = { code: 1006, reason: '', wasClean: false, abnormal: undefined };
        const request = new HandshakeRequest(this.#location(), [], () => this.terminate());
        this.#emit('unexpected-response', request, incomingMessage(response.status, response.headers, response.body));
        return;
      }
    }
    this.#pendingError ??= error;
  }

  // followRedirects: the same handshake to the Location, on a new engine; its events replace
  // the old one's. Returns the error that ends the attempt instead, if the redirect is refused.
  #followRedirect(response: HandshakeResponse): WebSocketError | undefined {
    const redirect = this.#redirect!;
    const fail = (why: string): WebSocketError => new ConnectError(`${this.url}: ${why}`, { response });
    if (redirect.count >= (this.#settings?.maxRedirects ?? 10)) return fail(`more than ${redirect.count} redirects (maxRedirects).`);
    const current = this.#location();
    let next: URL;
    try {
      next = parseWebSocketUrl(new URL(response.headers.location, current).href, domFail);
    } catch {
      return fail(`the redirect to "${response.headers.location}" is not a WebSocket URL.`);
    }
    if (current.protocol === 'wss:' && next.protocol !== 'wss:') return fail(`a redirect from wss: to ${next.protocol} is refused.`);
    const sameHost = next.host === current.host && next.protocol === current.protocol;
    const headers = redirect.config.headers.filter(([name]) => {
      const lower = name.toLowerCase();
      return sameHost || (lower !== 'authorization' && lower !== 'cookie');
    });
    const authorization = basicAuthorization(next);
    if (authorization && !headers.some(([name]) => name.toLowerCase() === 'authorization')) headers.push(['Authorization', authorization]);
    const config: EngineConfig = { ...redirect.config, url: withoutCredentials(next).href, headers };
    redirect.count += 1;
    redirect.generation += 1;
    redirect.config = config;
    this.#href = next.href;
    this.#origin = next.origin;
    this.#emit('redirect', next.href, new HandshakeRequest(next, headers, () => this.terminate()));
    if (this.#readyState !== CONNECTING) return undefined;  // a listener ended it
    this.#engine = new EngineSocket(config, new WebSocket.#EngineEvents(this, redirect.generation));
    return undefined;
  }

  // close()/terminate() while an 'unexpected-response' listener holds the attempt: it ends
  // now, with error and close as in `ws`.
  #releaseHeldClose(): boolean {
    const held = this.#heldClose;
    if (!held || this.#readyState === CLOSED) return false;
    this.#heldClose = undefined;
    this.#onClose(held, new ConnectError(`${this.url}: the WebSocket was closed before the connection was established.`));
    return true;
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#readyState !== OPEN) return;
    let value: MessageData;
    if (!isBinary) value = data.toString('utf8');
    else if (this.#binaryType === 'arraybuffer') value = toArrayBuffer(data);
    else if (this.#binaryType === 'blob') value = new Blob([data]);
    else value = data;
    this.dispatchEvent(messageEvent('message', value, this.#origin));
  }

  #fireError(error: WebSocketError): void {
    if (this.#errorFired) return;
    this.#errorFired = true;
    this.dispatchEvent(new ErrorEvent('error', { error, message: error.message }));
  }

  // The connection ended: readyState becomes CLOSED, then the error event (if it failed),
  // then the close event, as the spec orders them.
  #onClose(info: CloseInfo, failure?: WebSocketError): void {
    if (this.#readyState === CLOSED) return;
    if (this.#heldClose && failure === undefined) return;  // the application decides (unexpected-response)
    this.#readyState = CLOSED;
    let error = failure ?? this.#pendingError;
    // A connection that ends without a close frame also fires error (not after
    // terminate(), as `ws`); engine.ts decides what that error is.
    if (error === undefined && !this.#terminated) error = info.abnormal;
    if (error !== undefined) this.#fireError(error);
    this.dispatchEvent(new CloseEvent('close', { code: info.code, reason: info.reason, wasClean: info.wasClean }));
  }
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** WebIDL `(DOMString or sequence<DOMString>)`, absent: none. */
function protocolList(protocols: unknown): string[] {
  if (protocols === undefined) return [];
  if ((typeof protocols === 'object' && protocols !== null) || typeof protocols === 'function') {
    const iterable = protocols as { [Symbol.iterator]?: unknown };
    if (typeof iterable[Symbol.iterator] === 'function') return [...(protocols as Iterable<unknown>)].map(String);
  }
  return [String(protocols)];
}

// The WebIDL shape: constants read-only and non-configurable on the class and the prototype;
// attributes and operations enumerable on the prototype; length 1; the interface's tag.
for (const [name, value] of [['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSING', CLOSING], ['CLOSED', CLOSED]] as const) {
  const constant = { value, enumerable: true, writable: false, configurable: false };
  Object.defineProperty(WebSocket, name, constant);
  Object.defineProperty(WebSocket.prototype, name, constant);
}
for (const member of ['url', 'readyState', 'bufferedAmount', 'onopen', 'onerror', 'onclose', 'extensions', 'protocol',
  'close', 'onmessage', 'binaryType', 'send']) {
  const descriptor = Object.getOwnPropertyDescriptor(WebSocket.prototype, member)!;
  Object.defineProperty(WebSocket.prototype, member, { ...descriptor, enumerable: true });
}
Object.defineProperty(WebSocket, 'length', { value: 1, configurable: true });
Object.defineProperty(WebSocket.prototype, Symbol.toStringTag, { value: 'WebSocket', configurable: true });
