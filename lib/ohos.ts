// The OpenHarmony ArkTS face: `createWebSocket()` shaped like `@ohos.net.webSocket`, so that
// an OpenHarmony app's WebSocket code runs on Node with only its imports changed:
//
//   import { webSocket } from '@kit.NetworkKit';              // OpenHarmony
//   import { webSocket } from 'netstack-websocket';           // here
//
// OpenHarmony's signatures, kept here (AsyncCallback<T> = (err: BusinessError, data: T) => void,
// err undefined on success; ErrorCallback = (err: BusinessError) => void; Callback<T> = (data: T) => void):
//   connect(url, callback: AsyncCallback<boolean>) / connect(url, options, callback) / connect(url, options?): Promise<boolean>
//   send(data: string | ArrayBuffer, callback: AsyncCallback<boolean>) / send(data): Promise<boolean>
//   close(callback) / close(options: {code?, reason?}, callback) / close(options?): Promise<boolean>
//   on/off('open', AsyncCallback<Object>)                value: { status: 101, message: 'Switching Protocols' }
//   on/off('message', AsyncCallback<string | ArrayBuffer>)  string for text, ArrayBuffer for binary
//   on/off('close', AsyncCallback<CloseResult>)          value: { code, reason }
//   on/off('error', ErrorCallback)
//   on/off('dataEnd', Callback<void>)                   after each complete message
//   on/off('headerReceive', Callback<ResponseHeaders>)   the handshake response's headers, before 'open'
//   on/off('openInfo', AsyncCallback<WebSocketOpenInfo>) API 26: { status, message, protocol? }, after 'open'
import fs from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { EngineSocket, isolate, type EngineConfig } from './engine';
import {
  AlreadyConnectedError, CertificateFileError, ConnectionClosedError, InvalidArgumentError, InvalidUrlError, WebSocketError,
} from './errors';
import { resolveProxy } from './proxy';
import { arkTsEngineConfig } from './options';
import { toArrayBuffer } from './payload';
import {
  checkCaPem, checkCloseCode, checkCloseReason, checkHeaders, checkProtocols, headerEntries, parseWebSocketUrl, toUSVString, utf8Length,
  type ErrorFactory,
} from './validate';

/** OpenHarmony's BusinessError shape; the errors given here are WebSocketError instances. */
export interface BusinessError<T = void> extends Error {
  code: number;
  data?: T;
}

/**
 * BusinessError at run time, so that `import { webSocket, BusinessError } from
 * 'netstack-websocket'` works in plain JavaScript too (in ArkTS it is a type only): the
 * class of every error given here, so `err instanceof BusinessError` holds for them.
 * @group Errors
 * @example
 * ```ts
 * import { webSocket, BusinessError } from 'netstack-websocket';
 *
 * const ws = webSocket.createWebSocket();
 * ws.connect('ws://127.0.0.1:8080').catch((err: unknown) => {
 *   if (err instanceof BusinessError) console.error(err.code, err.message);
 * });
 * ```
 */
export const BusinessError: typeof WebSocketError = WebSocketError;

// Callbacks are declared method-style so that OpenHarmony code that types `err` as
// BusinessError (never undefined) still type-checks, while the truth (undefined on success)
// is in the type.
/** `(err, data)`: err is undefined on success. */
export type AsyncCallback<T> = { bivarianceHack(err: BusinessError | undefined, data: T): void }['bivarianceHack'];
export type ErrorCallback = { bivarianceHack(err: BusinessError): void }['bivarianceHack'];
export type Callback<T> = { bivarianceHack(data: T): void }['bivarianceHack'];

/** An HTTP proxy (OpenHarmony's connection.HttpProxy): plain HTTP, tunnelled with CONNECT. */
export interface HttpProxy {
  host: string;
  port: number;
  /** Hosts reached directly: "example.org", "*.example.org" or ".example.org", "*". */
  exclusionList: string[];
  /** Credentials for the proxy (Proxy-Authorization: Basic); no ':' in the user name. */
  username?: string;
  password?: string;
}

/** 'system': HTTPS_PROXY / HTTP_PROXY (http://[user:password@]host:port, credentials
 * percent-encoded) and NO_PROXY from the environment; 'no-proxy': direct;
 * or a given proxy. Absent: direct (see the README). */
export type ProxyConfiguration = 'system' | 'no-proxy' | HttpProxy;

export interface ClientCert {
  /** Path of the client certificate (PEM). */
  certPath: string;
  /** Path of its private key (PEM). */
  keyPath: string;
  /** Password of the key, if it is encrypted. */
  keyPassword?: string;
}

export interface WebSocketRequestOptions {
  /** Extra handshake headers: name to value. */
  header?: object;
  /** Path of a PEM file of trusted CAs (instead of Node's trust store). */
  caPath?: string;
  /** Client certificate and key files. */
  clientCert?: ClientCert;
  /** The HTTP proxy to tunnel through (CONNECT). Absent or 'no-proxy': none. */
  proxy?: ProxyConfiguration;
  /** The Sec-WebSocket-Protocol to offer (several: comma-separated). */
  protocol?: string;
  /** true: accept any server certificate (testing only). */
  skipServerCertVerification?: boolean;
  /** Seconds between keep-alive pings, 0-30000 (0: none). Default 30, as OpenHarmony. */
  pingInterval?: number;
  /** Seconds without any sign of life (pong or data) after a ping was due before the
   * connection is dropped (at most pingInterval; 0: never). Default 30, as OpenHarmony. */
  pongTimeout?: number;
  /** API 26: the oldest TLS version accepted for wss:. TLS_V_1_3 refuses TLS 1.2 and older;
   * TLS_V_1_0 to TLS_V_1_2 leave the engine's own minimum (OpenSSL 3 at its default
   * security level refuses TLS 1.0 and 1.1). */
  minSupportTlsProtocol?: TlsProtocol;
  /** API 26: true sends Origin: http://host:port (the port when it is not the scheme's
   * default), OpenHarmony's form with the port. Absent or false: no Origin header (see the
   * README: OpenHarmony sends http://host). An Origin in `header` wins. */
  supportOriginPort?: boolean;
}

/** API 26: TLS versions (OpenHarmony's numbering). */
export enum TlsProtocol {
  TLS_V_1_0 = 0,
  TLS_V_1_1 = 1,
  TLS_V_1_2 = 2,
  TLS_V_1_3 = 3,
}

/** API 26: the value of 'openInfo'. */
export interface WebSocketOpenInfo {
  /** The HTTP status of the handshake response (101). */
  status: number;
  /** Its status text ("Switching Protocols"). */
  message: string;
  /** The subprotocol the server chose; absent if none. */
  protocol?: string;
}

export interface WebSocketCloseOptions {
  /** Default 1000. 1000-1003, 1007-1014 or 3000-4999. */
  code?: number;
  /** Default ''. At most 123 bytes of UTF-8. */
  reason?: string;
}

export interface CloseResult {
  code: number;
  reason: string;
}

/** The value of 'open' (OpenHarmony types it as Object). */
export interface OpenResult {
  /** The HTTP status of the handshake response (101). */
  status: number;
  /** Its status text ("Switching Protocols"). */
  message: string;
}

export type ResponseHeaders = { [k: string]: string | string[] | undefined };

export interface WebSocket {
  connect(url: string, callback: AsyncCallback<boolean>): void;
  connect(url: string, options: WebSocketRequestOptions, callback: AsyncCallback<boolean>): void;
  connect(url: string, options?: WebSocketRequestOptions): Promise<boolean>;
  send(data: string | ArrayBuffer | ArrayBufferView, callback: AsyncCallback<boolean>): void;
  send(data: string | ArrayBuffer | ArrayBufferView): Promise<boolean>;
  close(callback: AsyncCallback<boolean>): void;
  close(options: WebSocketCloseOptions, callback: AsyncCallback<boolean>): void;
  close(options?: WebSocketCloseOptions): Promise<boolean>;
  on(type: 'open', callback: AsyncCallback<OpenResult>): void;
  off(type: 'open', callback?: AsyncCallback<OpenResult>): void;
  on(type: 'message', callback: AsyncCallback<string | ArrayBuffer>): void;
  off(type: 'message', callback?: AsyncCallback<string | ArrayBuffer>): void;
  on(type: 'close', callback: AsyncCallback<CloseResult>): void;
  off(type: 'close', callback?: AsyncCallback<CloseResult>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'error', callback?: ErrorCallback): void;
  on(type: 'dataEnd', callback: Callback<void>): void;
  off(type: 'dataEnd', callback?: Callback<void>): void;
  on(type: 'headerReceive', callback: Callback<ResponseHeaders>): void;
  off(type: 'headerReceive', callback?: Callback<ResponseHeaders>): void;
  on(type: 'openInfo', callback: AsyncCallback<WebSocketOpenInfo>): void;
  off(type: 'openInfo', callback?: AsyncCallback<WebSocketOpenInfo>): void;
}

type EventType = 'open' | 'message' | 'close' | 'error' | 'dataEnd' | 'headerReceive' | 'openInfo';
const EVENT_TYPES: ReadonlySet<string> = new Set<EventType>(['open', 'message', 'close', 'error', 'dataEnd', 'headerReceive', 'openInfo']);
type AnyListener = (...args: never[]) => void;

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'header', 'caPath', 'clientCert', 'proxy', 'protocol', 'skipServerCertVerification', 'pingInterval', 'pongTimeout',
  'minSupportTlsProtocol', 'supportOriginPort',
]);

const DEFAULT_PING_SECONDS = 30;
const MAX_PING_SECONDS = 30000;

const paramFail: ErrorFactory = (message) => new InvalidArgumentError(message);

/**
 * Creates an OpenHarmony-style WebSocket object.
 * @example
 * ```ts
 * import { webSocket, type BusinessError } from 'netstack-websocket';
 *
 * const ws = webSocket.createWebSocket();
 * ws.on('open', (err, value) => console.log('open', value));
 * ws.on('message', (err, data) => console.log('message', data));
 * ws.on('close', (err, value) => console.log('closed', value.code, value.reason));
 * ws.on('error', (err: BusinessError) => console.error(err.code, err.message));
 * await ws.connect('ws://127.0.0.1:8080', { header: { 'X-Token': 'abc' } });
 * await ws.send('hello');
 * ```
 */
export function createWebSocket(): WebSocket {
  return new OhosWebSocket();
}

type CallbackOrPromise = { callback: AsyncCallback<boolean> } | { resolve(value: boolean): void; reject(error: unknown): void };

class OhosWebSocket implements WebSocket {
  #listeners = new Map<EventType, AnyListener[]>();
  #engine: EngineSocket | undefined;
  #closing = false;
  #errorEmitted = false;

  connect(url: string, callback: AsyncCallback<boolean>): void;
  connect(url: string, options: WebSocketRequestOptions, callback: AsyncCallback<boolean>): void;
  connect(url: string, options?: WebSocketRequestOptions): Promise<boolean>;
  connect(url: string, optionsOrCallback?: WebSocketRequestOptions | AsyncCallback<boolean>, maybeCallback?: AsyncCallback<boolean>): Promise<boolean> | void {
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
    const options = typeof optionsOrCallback === 'function' ? undefined : optionsOrCallback;
    return this.#run(callback, () => {
      if (typeof url !== 'string') throw new InvalidArgumentError('connect(): url must be a string.');
      if (this.#engine) {
        throw new AlreadyConnectedError('connect(): this WebSocket already has a connection; close it (and wait for the close event) first, or create another.');
      }
      this.#startConnection(url, options ?? {});
      return true;
    });
  }

  send(data: string | ArrayBuffer | ArrayBufferView, callback: AsyncCallback<boolean>): void;
  send(data: string | ArrayBuffer | ArrayBufferView): Promise<boolean>;
  send(data: string | ArrayBuffer | ArrayBufferView, callback?: AsyncCallback<boolean>): Promise<boolean> | void {
    let bytes: string | Uint8Array;
    let isBinary: boolean;
    if (typeof data === 'string') {
      bytes = toUSVString(data);
      isBinary = false;
    } else if (data instanceof ArrayBuffer) {
      bytes = new Uint8Array(data);
      isBinary = true;
    } else if (ArrayBuffer.isView(data)) {
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      isBinary = true;
    } else {
      return this.#run(callback, () => { throw new InvalidArgumentError('send(): data must be a string or an ArrayBuffer.'); });
    }
    const target = this.#target(callback);
    const engine = this.#engine;
    if (!engine) {
      this.#settle(target, new ConnectionClosedError('send(): there is no connection: call connect() first.'));
    } else {
      const size = typeof bytes === 'string' ? utf8Length(bytes) : bytes.byteLength;
      engine.send(bytes, isBinary, size, (error) => this.#settle(target, error, true));
    }
    return 'callback' in target ? undefined : target.promise;
  }

  close(callback: AsyncCallback<boolean>): void;
  close(options: WebSocketCloseOptions, callback: AsyncCallback<boolean>): void;
  close(options?: WebSocketCloseOptions): Promise<boolean>;
  close(optionsOrCallback?: WebSocketCloseOptions | AsyncCallback<boolean>, maybeCallback?: AsyncCallback<boolean>): Promise<boolean> | void {
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
    const options = typeof optionsOrCallback === 'function' ? undefined : optionsOrCallback;
    return this.#run(callback, () => {
      const code = options?.code ?? 1000;
      const reason = options?.reason ?? '';
      checkCloseCode(code, `close(): code ${String(code)} cannot be sent; use 1000 (default), 1001-1003, 1007-1014 or 3000-4999.`, paramFail);
      if (typeof reason !== 'string') throw new InvalidArgumentError('close(): reason must be a string.');
      const text = checkCloseReason(reason, paramFail);
      if (!this.#engine || this.#engine.state === 'closed') {
        throw new ConnectionClosedError('close(): there is no connection to close: call connect() first.');
      }
      this.#closing = true;
      this.#engine.close(code, text);
      return true;
    });
  }

  on(type: EventType, callback: AnyListener): void {
    if (!EVENT_TYPES.has(type)) throw new InvalidArgumentError(`on(): unknown event "${String(type)}"; the events are ${[...EVENT_TYPES].join(', ')}.`);
    if (typeof callback !== 'function') throw new InvalidArgumentError(`on('${type}'): the callback must be a function.`);
    const list = this.#listeners.get(type) ?? [];
    if (!list.includes(callback)) list.push(callback);
    this.#listeners.set(type, list);
  }

  off(type: EventType, callback?: AnyListener): void {
    if (!EVENT_TYPES.has(type)) throw new InvalidArgumentError(`off(): unknown event "${String(type)}"; the events are ${[...EVENT_TYPES].join(', ')}.`);
    if (callback === undefined) {
      this.#listeners.delete(type);
      return;
    }
    const list = this.#listeners.get(type);
    if (list) this.#listeners.set(type, list.filter((listener) => listener !== callback));
  }

  #emit(type: EventType, ...args: unknown[]): void {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      isolate(() => (listener as (...a: unknown[]) => void)(...args));
    }
  }

  #emitError(error: WebSocketError): void {
    if (this.#errorEmitted) return;
    this.#errorEmitted = true;
    this.#emit('error', error);
  }

  #startConnection(url: string, options: WebSocketRequestOptions): void {
    let parsed: URL;
    try {
      parsed = parseWebSocketUrl(url, (message) => new Error(message));
    } catch (err) {
      throw new InvalidUrlError(url, (err as Error).message);
    }
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('connect(): options must be an object.');
    for (const name of Object.keys(options)) {
      if (!OPTION_NAMES.has(name)) throw new InvalidArgumentError(`connect(): the option "${name}" is not supported; the options are ${[...OPTION_NAMES].join(', ')}.`);
    }
    const proxy = resolveProxy(parsed, options.proxy, (message) => new InvalidArgumentError(`connect(): ${message}`));
    const { headers, origin } = checkHeaders(headerEntries(options.header, paramFail), paramFail);
    if (options.protocol !== undefined && typeof options.protocol !== 'string') throw new InvalidArgumentError('connect(): protocol must be a string.');
    const protocols = options.protocol ? checkProtocols(options.protocol.split(',').map((p) => p.trim()), paramFail) : [];
    if (options.skipServerCertVerification !== undefined && typeof options.skipServerCertVerification !== 'boolean') {
      throw new InvalidArgumentError('connect(): skipServerCertVerification must be true or false.');
    }
    const pingSeconds = seconds('pingInterval', options.pingInterval, DEFAULT_PING_SECONDS);
    const pongSeconds = seconds('pongTimeout', options.pongTimeout, DEFAULT_PING_SECONDS);
    if (options.pongTimeout !== undefined && pingSeconds > 0 && pongSeconds > pingSeconds) {
      throw new InvalidArgumentError(`connect(): pongTimeout (${pongSeconds} s) cannot be longer than pingInterval (${pingSeconds} s).`);
    }
    const tls: EngineConfig['tls'] = { rejectUnauthorized: options.skipServerCertVerification !== true };
    const minTls = options.minSupportTlsProtocol;
    if (minTls !== undefined && (typeof minTls !== 'number' || !(minTls in TlsProtocol) || !Number.isInteger(minTls))) {
      throw new InvalidArgumentError('connect(): minSupportTlsProtocol must be a webSocket.TlsProtocol (TLS_V_1_0 to TLS_V_1_3).');
    }
    if (minTls === TlsProtocol.TLS_V_1_3) tls.minVersion = 'TLSv1.3';
    if (options.supportOriginPort !== undefined && typeof options.supportOriginPort !== 'boolean') {
      throw new InvalidArgumentError('connect(): supportOriginPort must be true or false.');
    }
    // OpenHarmony's Origin (lws's form "http://" + host) with the port: only when asked.
    const portOrigin = options.supportOriginPort === true && (parsed.protocol === 'ws:' || parsed.protocol === 'wss:')
      ? `http://${parsed.host}` : '';
    if (options.caPath) {
      tls.ca = checkCaPem(`connect(): caPath "${options.caPath}"`, readPem('caPath', options.caPath), (m) => new CertificateFileError(options.caPath as string, m));
    }
    if (options.clientCert !== undefined) {
      const { certPath, keyPath, keyPassword } = options.clientCert;
      if (typeof certPath !== 'string' || typeof keyPath !== 'string') {
        throw new InvalidArgumentError('connect(): clientCert needs certPath and keyPath (strings).');
      }
      tls.cert = readPem('clientCert.certPath', certPath);
      tls.key = readPem('clientCert.keyPath', keyPath);
      if (keyPassword !== undefined) tls.passphrase = String(keyPassword);
    }
    this.#closing = false;
    this.#errorEmitted = false;
    let opened = false;
    const engine = new EngineSocket(arkTsEngineConfig(parsed, {
      protocols, headers, origin: origin ?? portOrigin, tls, proxy, pingIntervalSeconds: pingSeconds, pongTimeoutSeconds: pongSeconds,
    }), {
      open: (info) => {
        opened = true;
        this.#emit('headerReceive', { ...info.headers });
        this.#emit('open', undefined, { status: info.status, message: STATUS_CODES[info.status] ?? '' });
        const openInfo: WebSocketOpenInfo = { status: info.status, message: STATUS_CODES[info.status] ?? '' };
        if (info.protocol !== '') openInfo.protocol = info.protocol;
        this.#emit('openInfo', undefined, openInfo);
      },
      message: (data, isBinary) => {
        if (this.#closing) return;  // after close() nothing more is delivered, as on OpenHarmony
        this.#emit('message', undefined, isBinary ? toArrayBuffer(data) : data.toString('utf8'));
        this.#emit('dataEnd');
      },
      error: (error, response) => {
        if (response && !opened) this.#emit('headerReceive', { ...response.headers });
        this.#emitError(error);
      },
      close: (info) => {
        if (this.#engine === engine) this.#engine = undefined;
        if (info.abnormal && !this.#closing) this.#emitError(info.abnormal);
        this.#emit('close', undefined, { code: info.code, reason: info.reason });
      },
      pong: () => undefined,
    });
    this.#engine = engine;
  }

  // Runs a call whose outcome goes to `callback` (err, data) or, without one, to the
  // returned promise; both always asynchronously, as in OpenHarmony.
  #run(callback: AsyncCallback<boolean> | undefined, body: () => boolean): Promise<boolean> | void {
    const target = this.#target(callback);
    try {
      body();
      this.#settle(target, undefined);
    } catch (err) {
      if (!(err instanceof WebSocketError)) throw err;
      this.#settle(target, err);
    }
    return 'callback' in target ? undefined : target.promise;
  }

  #target(callback: AsyncCallback<boolean> | undefined): CallbackOrPromise & { promise?: Promise<boolean> } {
    if (callback !== undefined) {
      if (typeof callback !== 'function') throw new InvalidArgumentError('The callback must be a function.');
      return { callback };
    }
    let resolve!: (value: boolean) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<boolean>((res, rej) => { resolve = res; reject = rej; });
    return { resolve, reject, promise };
  }

  #settle(target: CallbackOrPromise, error: WebSocketError | undefined, alreadyAsync = false): void {
    const deliver = (): void => {
      if ('callback' in target) {
        const { callback } = target;
        isolate(() => (error ? callback(error, false) : callback(undefined, true)));
      } else if (error) target.reject(error);
      else target.resolve(true);
    };
    if (alreadyAsync) deliver();
    else process.nextTick(deliver);
  }
}

function seconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_PING_SECONDS) {
    throw new InvalidArgumentError(`connect(): ${name} must be a whole number of seconds from 0 to ${MAX_PING_SECONDS}; got ${String(value)}.`);
  }
  return value;
}

function readPem(option: string, path: string): string {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new CertificateFileError(path, `connect(): ${option} "${path}" cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): give the path of a PEM file.`, { cause: err });
  }
  if (!text.includes('-----BEGIN ')) {
    throw new CertificateFileError(path, `connect(): ${option} "${path}" is not a PEM file ("-----BEGIN" missing); only PEM is supported.`);
  }
  return text;
}
