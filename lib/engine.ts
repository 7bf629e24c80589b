// The one engine under the three faces: a NativeSocket (lib/binding.ts) with ordered
// sending (a Blob's bytes are read before the messages sent after it go out), per-message
// "left the process" notifications, and user code kept away from the native callbacks.
import { addon, forEachAreaMessage, forEachBatchedMessage, loopTurns, type NativeSocket, type NativeSocketHandlers, type NativeSocketOptions } from './binding';
import {
  ConnectError, ConnectionClosedError, ConnectionLostError, errorFromEngine, InvalidArgumentError, type EngineConnectFailure, type HandshakeResponse,
  type WebSocketError,
} from './errors';

/** What a face has already validated and hands to the engine. */
/** What one connection needs: exactly the native engine's options. */
export type EngineConfig = NativeSocketOptions;

/** The engine's loop turn: it changes between tasks after EngineSocket.bufferedAmountForTask(). */
export function loopTurn(): number {
  return loopTurns[0];
}

/** The completed opening handshake. */
export interface OpenInfo {
  /** The subprotocol the server chose ('' if none). */
  protocol: string;
  /** The negotiated extensions ('' if none). */
  extensions: string;
  /** The HTTP status of the handshake response (101). */
  status: number;
  /** The response headers, lower-case names. */
  headers: Record<string, string>;
}

/** How the connection ended. */
export interface CloseInfo {
  /** The close frame's code; 1005 if it had none; 1006 if no close frame was exchanged. */
  code: number;
  reason: string;
  /** A closing handshake took place. */
  wasClean: boolean;
  /** What a close without a close frame (1006) means when the engine reported no error
   * for it: a ConnectError before open, a ConnectionLostError once open (undefined for any
   * other close). The one place that decides it; a face only chooses whether to surface it
   * (e.g. not after its user's own terminate()). */
  abnormal: WebSocketError | undefined;
}

/** The events of one engine socket, in order, each at most once per occurrence. */
export interface EngineEvents {
  open(info: OpenInfo): void;
  message(data: Buffer, isBinary: boolean): void;
  /** A failure; `response` is the HTTP answer of a refused handshake. close follows. */
  error(error: WebSocketError, response: HandshakeResponse | undefined): void;
  /** Last event. */
  close(info: CloseInfo): void;
  pong(data: Buffer): void;
  /** A ping arrived (answered already unless the config's autoPong is false). */
  ping?(data: Buffer): void;
}

/** Called once when a message has left the process, or with an error if it never will. */
export type SentCallback = (error?: WebSocketError) => void;

type Payload = string | Uint8Array;

interface OutgoingItem {
  payload: Payload | Promise<Uint8Array>;
  isBinary: boolean;
  size: number;
  done: SentCallback | undefined;
  reading: boolean;
}

interface PendingAck {
  id: number;
  done: SentCallback;
}

/** Runs user-facing code; an exception it throws is rethrown on the next tick, where it
 * reaches process 'uncaughtException', and never unwinds through the native callback. */
export function isolate(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    process.nextTick(() => { throw err; });
  }
}

export type EngineState = 'connecting' | 'open' | 'closing' | 'closed';

export class EngineSocket implements NativeSocketHandlers {
  readonly url: string;
  #native: NativeSocket;
  #events: EngineEvents;
  #state: EngineState = 'connecting';
  /** Messages not yet handed to the native socket (behind a Blob being read). */
  #outbox: OutgoingItem[] = [];
  #outboxBytes = 0;
  #acks: PendingAck[] = [];
  #closeAfterOutbox: { code: number; reason: string } | undefined;
  #lastBuffered = 0;
  #opened = false;
  #abandoned = false;  // terminate() or close() before open
  #errorReported = false;
  readonly #keepalive: boolean;
  // Receive flow control (see pauseReading, holdEvents).
  #readingPaused = false;
  #holding = false;
  /** Events received while held, in order, two slots each: (data, isBinary) for a message,
   * (run, undefined) for any other event (no closure per message: a held batch can be
   * thousands long), made at the first pause and kept; #heldNext: the next one to deliver;
   * #queueing: events go there (holding, or some still wait). */
  #held: Array<Buffer | boolean | (() => void) | undefined> | undefined;
  #heldNext = 0;
  #queueing = false;

  constructor(config: EngineConfig, events: EngineEvents) {
    this.url = config.url;
    this.#events = events;
    this.#keepalive = Boolean(config.pingIntervalSeconds && config.pongTimeoutSeconds);
    const options: NativeSocketOptions = {
      url: config.url,
      headers: config.headers,
      protocols: config.protocols,
      origin: config.origin,
      tls: config.tls,
      maxPayload: config.maxPayload,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
    };
    if (config.perMessageDeflate) {
      options.perMessageDeflate = config.perMessageDeflate;
      if (config.perMessageDeflateThreshold) options.perMessageDeflateThreshold = config.perMessageDeflateThreshold;
    }
    if (config.proxy) options.proxy = config.proxy;
    if (config.pingIntervalSeconds) options.pingIntervalSeconds = config.pingIntervalSeconds;
    if (config.pongTimeoutSeconds) options.pongTimeoutSeconds = config.pongTimeoutSeconds;
    if (config.autoPong === false) options.autoPong = false;
    try {
      // This object is the handlers (its NativeSocketHandlers methods): no closures per
      // connection.
      this.#native = new addon.NativeSocket(options, this);
    } catch (err) {
      throw new InvalidArgumentError(
        `The engine refused the connection settings for ${config.url}: ${err instanceof Error ? err.message : String(err)}.`,
        { cause: err },
      );
    }
  }

  get state(): EngineState {
    return this.#state;
  }

  /** Bytes queued and not yet handed to the kernel (including Blobs still being read). */
  get bufferedAmount(): number {
    if (this.#state !== 'closed') this.#lastBuffered = this.#native.bufferedAmount;
    return this.#lastBuffered + this.#outboxBytes;
  }

  /**
   * bufferedAmount, to hold for the rest of the current task: `loopTurns[0]` changes once
   * it is over. -1 when that cannot be promised (closed, or the engine shutting down).
   */
  bufferedAmountForTask(): number {
    if (this.#state === 'closed') return -1;
    const native = this.#native.bufferedAmountForTurn();
    if (native < 0) return -1;
    this.#lastBuffered = native;
    return native + this.#outboxBytes;
  }

  /**
   * Queues a message after those queued before it. Returns false (and calls `done` with a
   * ConnectionClosedError) when the socket no longer sends.
   */
  send(payload: Payload | Promise<Uint8Array>, isBinary: boolean, size: number, done?: SentCallback): boolean {
    if (this.#state === 'closing' || this.#state === 'closed' || this.#closeAfterOutbox) {
      done?.(this.#closedError());
      return false;
    }
    if (this.#outbox.length === 0 && !(payload instanceof Promise)) return this.#sendNow(payload, isBinary, done);
    this.#outbox.push({ payload, isBinary, size, done, reading: false });
    this.#outboxBytes += size;
    this.#flush();
    return true;
  }

  /** Starts the closing handshake after the queued messages (code 0: no status code).
   * Held events are then let through (on the next tick): the end must come. */
  close(code: number, reason: string): void {
    this.#stopHolding();
    if (this.#state === 'closing' || this.#state === 'closed') return;
    if (this.#outbox.length > 0) {
      this.#closeAfterOutbox ??= { code, reason };
      return;
    }
    if (this.#state === 'connecting') this.#abandoned = true;
    this.#state = 'closing';
    this.#native.close(code, reason);
  }

  /** Drops the connection at once (close 1006 follows). */
  terminate(): void {
    this.#stopHolding();  // also when the end already came and waits behind held events
    if (this.#state === 'closed') return;
    if (this.#state === 'connecting') this.#abandoned = true;
    this.#state = 'closing';
    this.#dropOutbox();
    this.#native.terminate();
  }

  ping(data: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.#native.ping(data);
  }

  /** Sends a pong (when pings are not answered automatically). */
  pong(data: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.#native.pong(data);
  }

  // ---- Receive flow control ----

  /** Whether reading from the network is paused (pauseReading or holdEvents). */
  get readingPaused(): boolean {
    return this.#readingPaused;
  }

  /**
   * Stops reading from the network: once the kernel's buffers fill, the peer's writes
   * stall. Messages already read (at most the rest of one read) still arrive. A closing
   * connection reads on regardless (its closing handshake needs the peer's close frame).
   */
  pauseReading(): void {
    if (this.#readingPaused || this.#state === 'closing' || this.#state === 'closed') return;
    this.#readingPaused = true;
    this.#native.pauseReceiving(true);
  }

  /** Reads from the network again, exactly where it stopped. */
  resumeReading(): void {
    if (!this.#readingPaused) return;
    this.#readingPaused = false;
    if (this.#state !== 'closed') this.#native.pauseReceiving(false);
  }

  /**
   * `ws`'s pause(): holds every received event (messages, pongs, and the error and close
   * after them) until releaseEvents(), and stops reading meanwhile. Not once closing.
   */
  holdEvents(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;  // the end must come
    this.#holding = true;
    this.#queueing = true;
    this.#held ??= [];
    this.pauseReading();
  }

  /** Delivers the held events in order (until a handler holds again), then reads again. */
  releaseEvents(): void {
    this.#holding = false;
    this.#deliverHeld();
    if (!this.#holding) this.resumeReading();
  }

  #deliverHeld(): void {
    const held = this.#held;
    if (!held) return;
    let next = this.#heldNext;
    while (next < held.length && !this.#holding) {
      const first = held[next];
      const second = held[next + 1];
      held[next] = undefined;
      held[next + 1] = undefined;
      next += 2;
      this.#heldNext = next;
      if (typeof first === 'function') isolate(first);
      else this.#deliverMessage(first as Buffer, second as boolean);
    }
    if (next < held.length) return;  // held again before the end
    this.#heldNext = 0;
    held.length = 0;
    this.#queueing = this.#holding;
  }

  #deliverMessage(data: Buffer, isBinary: boolean): void {
    try {
      this.#events.message(data, isBinary);
    } catch (err) {
      process.nextTick(() => { throw err; });  // as isolate()
    }
  }

  /** Runs a received event now, or keeps it behind those held. */
  #emit(event: () => void): void {
    if (this.#queueing) this.#held!.push(event, undefined);
    else isolate(event);
  }

  #emitMessage(data: Buffer, isBinary: boolean): void {
    if (this.#queueing) this.#held!.push(data, isBinary);
    else this.#deliverMessage(data, isBinary);  // no closure per message
  }

  #sendNow(payload: Payload, isBinary: boolean, done: SentCallback | undefined): boolean {
    // Ask for an onSent report only when someone waits for this message.
    const id = this.#native.send(payload, isBinary, done !== undefined);
    if (id === 0) {
      done?.(this.#closedError());
      return false;
    }
    if (done) this.#acks.push({ id, done });
    return true;
  }

  #flush(): void {
    while (this.#outbox.length > 0) {
      const head = this.#outbox[0];
      if (head.payload instanceof Promise) {
        if (!head.reading) {
          head.reading = true;
          head.payload.then(
            (bytes) => { head.payload = bytes; this.#flush(); },
            (err: unknown) => {
              // The Blob could not be read: that message is dropped, the others go on.
              this.#outbox.shift();
              this.#outboxBytes -= head.size;
              const error = new InvalidArgumentError(`A Blob given to send() could not be read: ${String(err)}.`, { cause: err });
              if (head.done) isolate(() => head.done?.(error));
              this.#flush();
            },
          );
        }
        return;
      }
      this.#outbox.shift();
      this.#outboxBytes -= head.size;
      if (this.#state === 'closed') {
        if (head.done) isolate(() => head.done?.(this.#closedError()));
        continue;
      }
      this.#sendNow(head.payload, head.isBinary, head.done);
    }
    const pendingClose = this.#closeAfterOutbox;
    if (pendingClose && this.#state !== 'closed' && this.#state !== 'closing') {
      this.#closeAfterOutbox = undefined;
      if (this.#state === 'connecting') this.#abandoned = true;
      this.#state = 'closing';
      this.#native.close(pendingClose.code, pendingClose.reason);
    }
  }

  #stopHolding(): void {
    this.#readingPaused = false;  // the native socket reads on once closing
    if (!this.#holding) return;
    this.#holding = false;
    process.nextTick(() => this.#deliverHeld());
  }

  #dropOutbox(): void {
    const dropped = this.#outbox;
    this.#outbox = [];
    this.#outboxBytes = 0;
    for (const item of dropped) if (item.done) isolate(() => item.done?.(this.#closedError()));
  }

  #abnormalClosure(): WebSocketError {
    if (this.#opened) {
      return new ConnectionLostError(
        `${this.url}: the connection was lost (no close frame${this.#keepalive ? '; or no sign of life within the pong timeout after a ping' : ''}). ` +
          'Connect again if you need it.',
      );
    }
    if (this.#abandoned) return new ConnectError(`${this.url}: the connection was abandoned before it opened (closed by the caller).`);
    return new ConnectError(`${this.url}: the connection failed before it opened. Check the URL and that the server runs.`);
  }

  #closedError(): ConnectionClosedError {
    return new ConnectionClosedError(
      `${this.url}: the connection is closing or closed, so nothing more can be sent. ` +
        'Open a new connection to send again.',
    );
  }

  // NativeSocketHandlers: called by the native socket only (not part of the faces' API).

  /** @internal */
  onOpen(protocol: string, extensions: string, status: number, headers: Record<string, string>): void {
    if (this.#state === 'connecting') this.#state = 'open';
    this.#opened = true;
    const info: OpenInfo = { protocol, extensions, status, headers };
    isolate(() => this.#events.open(info));
  }

  /** @internal */
  onMessage(data: Buffer, isBinary: boolean): void {
    this.#emitMessage(data, isBinary);
  }

  /** @internal Messages the engine handed over together. */
  onMessages(bytes: Buffer, layout: Uint32Array): void {
    forEachBatchedMessage(bytes, layout, (data, isBinary) => this.#emitMessage(data, isBinary));
  }

  /** @internal A few small messages, in the receive area. */
  onMessagesInArea(count: number): void {
    forEachAreaMessage(count, (data, isBinary) => this.#emitMessage(data, isBinary));
  }

  /** @internal */
  onPong(data: Buffer): void {
    this.#emit(() => this.#events.pong(data));
  }

  /** @internal */
  onPing(data: Buffer): void {
    if (this.#events.ping) this.#emit(() => this.#events.ping?.(data));
  }

  /** @internal */
  onSent(upToId: number): void {
    let count = 0;
    while (count < this.#acks.length && this.#acks[count].id <= upToId) count += 1;
    const acked = this.#acks.splice(0, count);
    for (const ack of acked) isolate(() => ack.done());
  }

  /** @internal */
  onError(code: number, message: string, status: number, headers: Record<string, string>, body?: Buffer, failure?: EngineConnectFailure): void {
    this.#errorReported = true;
    const response: HandshakeResponse | undefined = status !== 0 ? { status, headers } : undefined;
    if (response && body) response.body = body;
    const error = errorFromEngine(code, message, this.url, response, failure);
    this.#emit(() => this.#events.error(error, response));
  }

  /** @internal */
  onClose(code: number, reason: string, wasClean: boolean): void {
    if (this.#state === 'closed') return;
    const abnormal = code === 1006 && !this.#errorReported ? this.#abnormalClosure() : undefined;
    const info: CloseInfo = { code, reason, wasClean, abnormal };
    this.#lastBuffered = this.#native.bufferedAmount;
    this.#state = 'closed';
    this.#dropOutbox();
    const unacked = this.#acks;
    this.#acks = [];
    for (const ack of unacked) {
      isolate(() => ack.done(new ConnectionClosedError(
        `${this.url}: the connection closed (${info.code}) before this message left the process; it was not sent.`,
      )));
    }
    this.#emit(() => this.#events.close(info));
  }
}
