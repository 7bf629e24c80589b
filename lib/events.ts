// The event classes of the WHATWG WebSocket: MessageEvent, CloseEvent and ErrorEvent.
// Node's own classes are used where the running Node has them as globals (MessageEvent
// since Node 15; CloseEvent and ErrorEvent in newer versions), so `instanceof` against the
// globals holds; otherwise these small classes stand in.

/** The options of `new Event()` (declared here: Node's types keep theirs private). */
export interface EventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

/** The options of addEventListener(). */
export interface AddEventListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

export interface MessageEventInit<T = unknown> extends EventInit {
  data?: T;
  origin?: string;
  lastEventId?: string;
}

/** A message event: `data` is a string for text messages, binary data per `binaryType` otherwise. */
export interface MessageEvent<T = unknown> extends Event {
  readonly data: T;
  /** The origin of the WebSocket URL (e.g. "ws://example.org:8080"). */
  readonly origin: string;
  readonly lastEventId: string;
  readonly source: null;
  readonly ports: readonly unknown[];
}

export interface CloseEventInit extends EventInit {
  code?: number;
  reason?: string;
  wasClean?: boolean;
}

/** The close event: the close code and reason, and whether the closing handshake completed. */
export interface CloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

export interface ErrorEventInit extends EventInit {
  message?: string;
  error?: unknown;
}

/** The error event. Browsers fire a plain Event; ours also carries the typed `error`. */
export interface ErrorEvent extends Event {
  readonly message: string;
  /** The WebSocketError that failed the connection. */
  readonly error: unknown;
}

class MessageEventPolyfill<T> extends Event implements MessageEvent<T> {
  readonly data: T;
  readonly origin: string;
  readonly lastEventId: string;
  readonly source = null;
  readonly ports: readonly unknown[] = [];

  constructor(type: string, init: MessageEventInit<T> = {}) {
    super(type, init);
    this.data = init.data as T;
    this.origin = init.origin ?? '';
    this.lastEventId = init.lastEventId ?? '';
  }
}

class CloseEventPolyfill extends Event implements CloseEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;

  constructor(type: string, init: CloseEventInit = {}) {
    super(type, init);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

class ErrorEventPolyfill extends Event implements ErrorEvent {
  readonly message: string;
  readonly error: unknown;

  constructor(type: string, init: ErrorEventInit = {}) {
    super(type, init);
    this.message = init.message ?? '';
    this.error = init.error;
  }
}

interface EventGlobals {
  MessageEvent?: new <T>(type: string, init?: MessageEventInit<T>) => MessageEvent<T>;
  CloseEvent?: new (type: string, init?: CloseEventInit) => CloseEvent;
  ErrorEvent?: new (type: string, init?: ErrorEventInit) => ErrorEvent;
}

const globals = globalThis as EventGlobals;

/** MessageEvent: Node's global class, or a stand-in where there is none. */
export const MessageEvent: new <T = unknown>(type: string, init?: MessageEventInit<T>) => MessageEvent<T> =
  globals.MessageEvent ?? MessageEventPolyfill;

/** CloseEvent: Node's global class where it has one (Node 22+), a stand-in otherwise. */
export const CloseEvent: new (type: string, init?: CloseEventInit) => CloseEvent =
  globals.CloseEvent ?? CloseEventPolyfill;

/** ErrorEvent: Node's global class where it has one, a stand-in otherwise. */
export const ErrorEvent: new (type: string, init?: ErrorEventInit) => ErrorEvent =
  globals.ErrorEvent ?? ErrorEventPolyfill;
