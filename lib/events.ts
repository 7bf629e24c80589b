// The event classes of the WHATWG WebSocket: MessageEvent, CloseEvent and ErrorEvent.
// Node's own MessageEvent and CloseEvent are used where the running Node has them as
// globals with their WebIDL shape (not Node 20's MessageEvent; CloseEvent since Node 22), so
// `instanceof` against the globals holds; otherwise small classes of the same shape stand
// in. The error event is always ours: the spec fires a plain Event there.

import { toUSVString } from './validate';

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

// The stand-ins have the WebIDL shape of the real classes: attributes are getters on the
// prototype (enumerable), the class name and Symbol.toStringTag are the interface's.

/** WebIDL `unsigned short` (modulo 2^16). */
function toUnsignedShort(value: unknown): number {
  const number = Number(value);
  if (!Number.isFinite(number)) return 0;
  const integer = Math.trunc(number);
  return ((integer % 65536) + 65536) % 65536;
}


class MessageEventPolyfill<T> extends Event implements MessageEvent<T> {
  readonly #data: T;
  readonly #origin: string;
  readonly #lastEventId: string;
  readonly #ports: readonly unknown[] = Object.freeze([]);

  constructor(type: string, init: MessageEventInit<T> = {}) {
    super(type, init);
    this.#data = (init.data ?? null) as T;
    this.#origin = init.origin === undefined ? '' : String(init.origin);
    this.#lastEventId = init.lastEventId === undefined ? '' : String(init.lastEventId);
  }

  get data(): T { return this.#data; }
  get origin(): string { return this.#origin; }
  get lastEventId(): string { return this.#lastEventId; }
  get source(): null { return null; }
  get ports(): readonly unknown[] { return this.#ports; }
}

class CloseEventPolyfill extends Event implements CloseEvent {
  readonly #code: number;
  readonly #reason: string;
  readonly #wasClean: boolean;

  constructor(type: string, init: CloseEventInit = {}) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'CloseEvent': 1 argument required, but only 0 present.");
    super(type, init);
    this.#code = init.code === undefined ? 0 : toUnsignedShort(init.code);
    this.#reason = init.reason === undefined ? '' : toUSVString(init.reason);
    this.#wasClean = Boolean(init.wasClean);
  }

  get wasClean(): boolean { return this.#wasClean; }
  get code(): number { return this.#code; }
  get reason(): string { return this.#reason; }
}

// The error event: a plain Event for the spec (toString() gives "[object Event]", as
// browsers fire), carrying the typed error and its message as `ws` and undici do.
class ErrorEventPolyfill extends Event implements ErrorEvent {
  readonly #message: string;
  readonly #error: unknown;

  constructor(type: string, init: ErrorEventInit = {}) {
    super(type, init);
    this.#message = init.message === undefined ? '' : String(init.message);
    this.#error = init.error;
  }

  get message(): string { return this.#message; }
  get error(): unknown { return this.#error; }
}

function webIdlShape(cls: { prototype: object }, name: string, members: readonly string[]): void {
  Object.defineProperty(cls, 'name', { value: name, configurable: true });
  Object.defineProperty(cls, 'length', { value: 1, configurable: true });
  Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });
  for (const member of members) {
    const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, member);
    if (descriptor) Object.defineProperty(cls.prototype, member, { ...descriptor, enumerable: true });
  }
}

webIdlShape(MessageEventPolyfill, 'MessageEvent', ['data', 'origin', 'lastEventId', 'source', 'ports']);
webIdlShape(CloseEventPolyfill, 'CloseEvent', ['wasClean', 'code', 'reason']);
Object.defineProperty(ErrorEventPolyfill, 'name', { value: 'ErrorEvent', configurable: true });
for (const member of ['message', 'error']) {
  const descriptor = Object.getOwnPropertyDescriptor(ErrorEventPolyfill.prototype, member)!;
  Object.defineProperty(ErrorEventPolyfill.prototype, member, { ...descriptor, enumerable: true });
}

interface EventGlobals {
  MessageEvent?: new <T>(type: string, init?: MessageEventInit<T>) => MessageEvent<T>;
  CloseEvent?: new (type: string, init?: CloseEventInit) => CloseEvent;
}

const globals = globalThis as EventGlobals;

/** A global event class whose instances say what they are (Node 20's MessageEvent says "Event"). */
function hasOwnTag(cls: { prototype: object } | undefined, name: string): boolean {
  return cls !== undefined && Object.prototype.toString.call(cls.prototype) === `[object ${name}]`;
}

/** Node 20's global MessageEvent with the interface's tag: `instanceof` the global holds. */
function taggedGlobalMessageEvent(): new <T>(type: string, init?: MessageEventInit<T>) => MessageEvent<T> {
  const Base = globals.MessageEvent as unknown as new (type: string, init?: object) => Event;
  const Tagged = class MessageEvent extends Base {};
  Object.defineProperty(Tagged.prototype, Symbol.toStringTag, { value: 'MessageEvent', configurable: true });
  return Tagged as new <T>(type: string, init?: MessageEventInit<T>) => MessageEvent<T>;
}

/** MessageEvent: Node's global class (tagged "MessageEvent" where Node 20's is not), or a
 * stand-in where there is none.
 * @group Events
 * @example
 * ```ts
 * import { MessageEvent } from 'netstack-websocket';
 *
 * const event = new MessageEvent<string>('message', { data: 'hello' });
 * console.log(event.type, event.data);
 * ```
 */
export const MessageEvent: new <T = unknown>(type: string, init?: MessageEventInit<T>) => MessageEvent<T> =
  hasOwnTag(globals.MessageEvent, 'MessageEvent') ? globals.MessageEvent!
    : globals.MessageEvent ? taggedGlobalMessageEvent() : MessageEventPolyfill;

/**
 * CloseEvent: Node's global class where it has one (Node 22+), a stand-in otherwise.
 * @group Events
 * @example
 * ```ts
 * import { CloseEvent } from 'netstack-websocket';
 *
 * const event = new CloseEvent('close', { code: 1000, reason: 'done', wasClean: true });
 * console.log(event.code, event.reason, event.wasClean);
 * ```
 */
export const CloseEvent: new (type: string, init?: CloseEventInit) => CloseEvent =
  hasOwnTag(globals.CloseEvent, 'CloseEvent') ? globals.CloseEvent! : CloseEventPolyfill;

/** The error event's class: an Event (toString() "[object Event]", as the spec's plain
 * error event) with the typed `error` and its `message`.
 * @group Events
 * @example
 * ```ts
 * import { ErrorEvent, WebSocket } from 'netstack-websocket';
 *
 * const ws = new WebSocket('ws://127.0.0.1:8080');
 * ws.addEventListener('error', (event) => {
 *   if (event instanceof ErrorEvent) console.error(event.message, event.error);
 * });
 * ```
 */
export const ErrorEvent: new (type: string, init?: ErrorEventInit) => ErrorEvent = ErrorEventPolyfill;

// ---------------------------------------------------------------------------------------
// The message events our WebSocket dispatches, one per message. Node 22+'s global
// MessageEvent (from its bundled undici) converts its init dictionary by WebIDL rules on
// every construction: 0.8-1.6 µs on Node 22-26, against 0.08 µs for an Event (Node 20's own
// MessageEvent: 0.16 µs), which halved small-message throughput on Node 24. So they are made
// by Event's constructor and inherit from the exported class's prototype: `instanceof`,
// `constructor` and the tag are the real class's, and the attributes are getters of our own
// in between (the inherited ones check a private slot our instances do not have). The one
// difference: deleting a getter from MessageEvent.prototype does not hide it on our events.
// The close event (one per connection) keeps the real constructor: WPT deletes
// CloseEvent.prototype.wasClean and expects the attribute gone.

/** Makes the instances of `cls` instances of `Interface` too, without running its constructor. */
function inheritFrom(cls: { prototype: object }, Interface: { prototype: object }): void {
  Object.setPrototypeOf(cls.prototype, Interface.prototype);
  Object.defineProperty(cls.prototype, 'constructor', { value: Interface, writable: true, configurable: true });
}

const noPorts: readonly unknown[] = Object.freeze([]);

class DispatchedMessageEvent<T> extends Event {
  readonly #data: T;
  readonly #origin: string;

  constructor(type: string, data: T, origin: string) {
    super(type);
    this.#data = data;
    this.#origin = origin;
  }

  get data(): T { return this.#data; }
  get origin(): string { return this.#origin; }
  get lastEventId(): string { return ''; }
  get source(): null { return null; }
  get ports(): readonly unknown[] { return noPorts; }
}
inheritFrom(DispatchedMessageEvent, MessageEvent);

/** A message (or ping/pong) event as our WebSocket fires it: an `instanceof MessageEvent`. */
export function messageEvent<T>(type: string, data: T, origin: string): MessageEvent<T> {
  return new DispatchedMessageEvent(type, data, origin) as unknown as MessageEvent<T>;
}
