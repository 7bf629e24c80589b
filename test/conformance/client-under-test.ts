// The client the conformance, TLS and feature suites drive, behind one small interface:
// connect(url, options) -> events open / message / close / error (+ pong); send; close.
//
// CLIENT_UNDER_TEST=native (default): our engine, addon.NativeSocket from lib/binding.ts.
// CLIENT_UNDER_TEST=undici: undici 7's WebSocket, for comparison and to validate the suite.
//
// Events are recorded (with a time stamp) so tests assert outside the callbacks.

import { Waiters } from './waiters';

export type Impl = 'native' | 'undici';

export const IMPL: Impl = (() => {
  const value = (process.env.CLIENT_UNDER_TEST ?? 'native').toLowerCase();
  if (value !== 'native' && value !== 'undici') throw new Error(`CLIENT_UNDER_TEST must be native or undici, not ${value}`);
  return value;
})();

export interface ClientTlsOptions {
  /** Trusted CAs: one PEM (may hold several certificates) or a list. Absent: Node's trust store. */
  ca?: string | string[];
  cert?: string;
  key?: string;
  passphrase?: string;
  servername?: string;
  /** Default true. */
  rejectUnauthorized?: boolean;
}

export interface ClientOptions {
  protocols?: string[];
  headers?: Record<string, string>;
  origin?: string;
  tls?: ClientTlsOptions;
  /** Largest message accepted (default: the library's default, 100 MiB). */
  maxPayload?: number;
  /** Time allowed for the handshake, ms (default: the library's default). */
  handshakeTimeoutMs?: number;
  /** Echo every message back with the same type as soon as it arrives. */
  echo?: boolean;
  /** The permessage-deflate offer, e.g. 'permessage-deflate; client_max_window_bits' (absent
   *  or '': none). native only: undici always offers its own and never compresses what it sends. */
  perMessageDeflate?: string;
  /** permessage-deflate: messages smaller than this are sent uncompressed (absent/0: all
   *  compressed). native only. */
  perMessageDeflateThreshold?: number;
}

export type ClientEvent =
  | { type: 'open'; at: number; protocol: string; extensions: string; status: number; headers: Record<string, string> }
  | { type: 'message'; at: number; data: Buffer; isBinary: boolean }
  | { type: 'error'; at: number; code: number | null; message: string; status: number; headers: Record<string, string> }
  | { type: 'close'; at: number; code: number; reason: string; wasClean: boolean }
  | { type: 'pong'; at: number; data: Buffer };

export type ClientEventType = ClientEvent['type'];

export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

export abstract class ClientUnderTest {
  abstract readonly impl: Impl;
  readonly events: ClientEvent[] = [];
  readonly startedAt = Date.now();
  /** Exceptions thrown while echoing (kept out of the engine's callbacks). */
  readonly echoErrors: unknown[] = [];
  private readonly waiters = new Waiters();

  abstract send(data: string | Buffer, isBinary?: boolean): void;
  abstract close(code?: number, reason?: string): void;
  abstract terminate(): void;

  protected record(event: ClientEvent): void {
    this.events.push(event);
    this.waiters.notify();
  }

  protected now(): number {
    return Date.now() - this.startedAt;
  }

  of<T extends ClientEventType>(type: T): Extract<ClientEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type);
  }

  first<T extends ClientEventType>(type: T): Extract<ClientEvent, { type: T }> | undefined {
    return this.of(type)[0];
  }

  get closed(): boolean {
    return this.events.some((e) => e.type === 'close');
  }

  /** Resolves true as soon as `predicate` holds, false after timeoutMs. */
  until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.waiters.until(predicate, timeoutMs);
  }

  /** Resolves with the first open or error event, or null after timeoutMs. */
  async openOrError(timeoutMs: number): Promise<ClientEvent | null> {
    await this.until(() => this.events.some((e) => e.type === 'open' || e.type === 'error' || e.type === 'close'), timeoutMs);
    return this.events.find((e) => e.type === 'open' || e.type === 'error' || e.type === 'close') ?? null;
  }

  /** A compact list of the events, for failure messages. */
  summary(): string[] {
    return this.events.map((e) => {
      switch (e.type) {
        case 'open': return `open(protocol=${JSON.stringify(e.protocol)}, ext=${JSON.stringify(e.extensions)}) @${e.at}ms`;
        case 'message': return `message(${e.isBinary ? 'binary' : 'text'} ${e.data.length}B) @${e.at}ms`;
        case 'error': return `error(code=${e.code}, ${JSON.stringify(e.message)}, status=${e.status}) @${e.at}ms`;
        case 'close': return `close(${e.code}, ${JSON.stringify(e.reason)}, wasClean=${e.wasClean}) @${e.at}ms`;
        case 'pong': return `pong(${e.data.length}B) @${e.at}ms`;
      }
    });
  }

  protected echo(data: Buffer, isBinary: boolean): void {
    try {
      this.send(data, isBinary);
    } catch (err) {
      this.echoErrors.push(err);
    }
  }
}

export interface ClientFactory {
  impl: Impl;
  /** False when the selected client cannot run here (e.g. NativeSocket not built yet). */
  available: boolean;
  unavailableReason: string;
  connect(url: string, options?: ClientOptions): ClientUnderTest;
}

// ---------------------------------------------------------------------------------------
// native: addon.NativeSocket
// ---------------------------------------------------------------------------------------

type BindingModule = typeof import('../../lib/binding');

class NativeClient extends ClientUnderTest {
  readonly impl = 'native' as const;
  private readonly socket: import('../../lib/binding').NativeSocket;

  constructor(binding: BindingModule, url: string, options: ClientOptions) {
    super();
    const t = options.tls ?? {};
    const tlsOptions: import('../../lib/binding').NativeTlsOptions = { rejectUnauthorized: t.rejectUnauthorized ?? true };
    if (t.ca !== undefined) tlsOptions.ca = Array.isArray(t.ca) ? t.ca.join('\n') : t.ca;
    if (t.cert !== undefined) tlsOptions.cert = t.cert;
    if (t.key !== undefined) tlsOptions.key = t.key;
    if (t.passphrase !== undefined) tlsOptions.passphrase = t.passphrase;
    if (t.servername !== undefined) tlsOptions.servername = t.servername;
    const echo = options.echo ?? false;
    this.socket = new binding.addon.NativeSocket(
      {
        url,
        headers: Object.entries(options.headers ?? {}),
        protocols: options.protocols ?? [],
        origin: options.origin ?? '',
        tls: tlsOptions,
        maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
        handshakeTimeoutMs: options.handshakeTimeoutMs ?? 0,
        perMessageDeflate: options.perMessageDeflate ?? '',
        perMessageDeflateThreshold: options.perMessageDeflateThreshold ?? 0,
      },
      {
        onOpen: (protocol, extensions, status, headers) =>
          this.record({ type: 'open', at: this.now(), protocol, extensions, status, headers: { ...headers } }),
        onMessage: (data, isBinary) => {
          this.record({ type: 'message', at: this.now(), data, isBinary });
          if (echo) this.echo(data, isBinary);
        },
        onSent: () => { /* not observed here */ },
        onError: (code, message, status, headers) =>
          this.record({ type: 'error', at: this.now(), code, message, status, headers: { ...(headers ?? {}) } }),
        onClose: (code, reason, wasClean) => this.record({ type: 'close', at: this.now(), code, reason, wasClean }),
        onPong: (data) => this.record({ type: 'pong', at: this.now(), data: Buffer.from(data) }),
      },
    );
  }

  send(data: string | Buffer, isBinary = typeof data !== 'string'): void {
    // Text goes as the exact bytes received (a Buffer), so echoes are byte-exact.
    this.socket.send(data, isBinary);
  }

  close(code = 1000, reason = ''): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }
}

// ---------------------------------------------------------------------------------------
// undici 7: WebSocket
// ---------------------------------------------------------------------------------------

type UndiciModule = typeof import('undici');

class UndiciClient extends ClientUnderTest {
  readonly impl = 'undici' as const;
  private readonly ws: InstanceType<UndiciModule['WebSocket']>;
  private readonly agent: InstanceType<UndiciModule['Agent']>;

  constructor(undici: UndiciModule, url: string, options: ClientOptions) {
    super();
    const t = options.tls ?? {};
    const connect: Record<string, unknown> = { rejectUnauthorized: t.rejectUnauthorized ?? true };
    if (t.ca !== undefined) connect.ca = t.ca;
    if (t.cert !== undefined) connect.cert = t.cert;
    if (t.key !== undefined) connect.key = t.key;
    if (t.passphrase !== undefined) connect.passphrase = t.passphrase;
    if (t.servername !== undefined) connect.servername = t.servername;
    if (options.handshakeTimeoutMs) connect.timeout = options.handshakeTimeoutMs;
    this.agent = new undici.Agent({
      connect,
      ...(options.handshakeTimeoutMs ? { headersTimeout: options.handshakeTimeoutMs } : {}),
      webSocket: { maxPayloadSize: options.maxPayload ?? DEFAULT_MAX_PAYLOAD },
    } as ConstructorParameters<UndiciModule['Agent']>[0]);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.origin) headers.origin = options.origin;
    this.ws = new undici.WebSocket(url, { protocols: options.protocols ?? [], dispatcher: this.agent, headers });
    this.ws.binaryType = 'arraybuffer';
    const echo = options.echo ?? false;
    this.ws.addEventListener('open', () =>
      this.record({ type: 'open', at: this.now(), protocol: this.ws.protocol, extensions: this.ws.extensions, status: 101, headers: {} }));
    this.ws.addEventListener('message', (event) => {
      const isBinary = typeof event.data !== 'string';
      const data = isBinary ? Buffer.from(event.data as ArrayBuffer) : Buffer.from(event.data as string, 'utf8');
      this.record({ type: 'message', at: this.now(), data, isBinary });
      if (echo) this.echo(data, isBinary);
    });
    this.ws.addEventListener('error', (event) => {
      const e = event as unknown as { message?: string; error?: { message?: string; cause?: { message?: string } } };
      const message = [e.message, e.error?.message, e.error?.cause?.message].filter(Boolean).join(': ');
      this.record({ type: 'error', at: this.now(), code: null, message, status: 0, headers: {} });
    });
    this.ws.addEventListener('close', (event) => {
      this.record({ type: 'close', at: this.now(), code: event.code, reason: event.reason, wasClean: event.wasClean });
      void this.agent.close().catch(() => undefined);
    });
  }

  send(data: string | Buffer, isBinary = typeof data !== 'string'): void {
    if (this.ws.readyState !== 1) return;
    if (isBinary) this.ws.send(typeof data === 'string' ? Buffer.from(data) : data);
    else this.ws.send(typeof data === 'string' ? data : data.toString('utf8'));
  }

  close(code = 1000, reason = ''): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    void this.agent.destroy().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------

let factory: Promise<ClientFactory> | null = null;

/** Loads the client selected by CLIENT_UNDER_TEST (once per test file). */
export function loadClientUnderTest(): Promise<ClientFactory> {
  factory ??= (async (): Promise<ClientFactory> => {
    if (IMPL === 'undici') {
      const undici = await import('undici');
      return { impl: 'undici', available: true, unavailableReason: '', connect: (url, options = {}) => new UndiciClient(undici, url, options) };
    }
    let binding: BindingModule;
    try {
      binding = await import('../../lib/binding');
    } catch (err) {
      return { impl: 'native', available: false, unavailableReason: `the addon did not load: ${String(err)}`, connect: unavailable };
    }
    if (typeof binding.addon.NativeSocket !== 'function') {
      return { impl: 'native', available: false, unavailableReason: 'addon.NativeSocket is not built yet (typeof addon.NativeSocket !== "function")', connect: unavailable };
    }
    return { impl: 'native', available: true, unavailableReason: '', connect: (url, options = {}) => new NativeClient(binding, url, options) };
  })();
  return factory;
}

function unavailable(): never {
  throw new Error('the client under test is not available');
}
