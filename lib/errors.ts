// The error classes of the TypeScript API. Every error carries an OpenHarmony numeric code
// (`code`), that code's name (`codeName`) and, where there is one, the underlying `cause`.
//
// Two OpenHarmony code families are used, each where OpenHarmony itself uses it:
//  - the C API's `OH_Websocket_ErrCode` (1001-1018) for what happens on a connection
//    (connect failure 1003, protocol error 1009, message too big 1012, ...);
//  - the ArkTS `@ohos.net.webSocket` codes for a call made with a bad argument (401), a bad
//    URL (2302001), a certificate file that cannot be read (2302002) or a second connect
//    (2302003).

/** Every code an error of this package can carry, by its OpenHarmony name. */
export const ErrorCode = {
  // ArkTS (@ohos.net.webSocket) codes
  PARAMETER_ERROR: 401,
  WEBSOCKET_URL_ERROR: 2302001,
  WEBSOCKET_CERT_FILE_NOT_EXIST: 2302002,
  WEBSOCKET_CONNECTION_ALREADY_EXISTS: 2302003,
  WEBSOCKET_UNKNOWN_ERROR: 2302999,
  // C API (OH_Websocket_ErrCode, released names)
  WEBSOCKET_CLIENT_NULL: 1001,
  WEBSOCKET_CLIENT_NOT_CREATED: 1002,
  WEBSOCKET_CONNECTION_ERROR: 1003,
  WEBSOCKET_CONNECTION_PARSE_URL_ERROR: 1005,
  WEBSOCKET_CONNECTION_NO_MEMORY: 1006,
  WEBSOCKET_CONNECTION_CLOSED_BY_PEER: 1007,
  WEBSOCKET_DESTROYED: 1008,
  WEBSOCKET_PROTOCOL_ERROR: 1009,
  WEBSOCKET_SEND_NO_MEMORY: 1010,
  WEBSOCKET_SEND_DATA_NULL: 1011,
  WEBSOCKET_DATA_LENGTH_EXCEEDED: 1012,
  WEBSOCKET_QUEUE_LENGTH_EXCEEDED: 1013,
  WEBSOCKET_NO_CLIENT_CONTEXT: 1014,
  WEBSOCKET_NO_HEADER_CONTEXT: 1015,
  WEBSOCKET_HEADER_EXCEEDED: 1016,
  WEBSOCKET_NO_CONNECTION: 1017,
  WEBSOCKET_NO_CONNECTION_CONTEXT: 1018,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

const namesByCode = new Map<number, ErrorCodeName>(
  (Object.keys(ErrorCode) as ErrorCodeName[]).map((name) => [ErrorCode[name], name]),
);

/**
 * The name of an OpenHarmony code ('WEBSOCKET_UNKNOWN_ERROR' for a code it does not know).
 * @group Errors
 * @example
 * ```ts
 * import { errorCodeName } from 'netstack-websocket';
 *
 * console.log(errorCodeName(1003));  // 'WEBSOCKET_CONNECTION_ERROR'
 * ```
 */
export function errorCodeName(code: number): ErrorCodeName {
  return namesByCode.get(code) ?? 'WEBSOCKET_UNKNOWN_ERROR';
}

export interface WebSocketErrorOptions {
  /** The underlying error (a file-system error, the engine's own message, an abort reason, ...). */
  cause?: unknown;
}

/**
 * The base class of every error of this package. `code` is the OpenHarmony code, `codeName`
 * its name; `message` says what went wrong and what to do about it. It also has the shape of
 * an ArkTS `BusinessError` ({ code, message, name }), so OpenHarmony code can read it as one.
 * @group Errors
 * @example
 * ```ts
 * import { connect, WebSocketError } from 'netstack-websocket';
 *
 * try {
 *   await connect('ws://127.0.0.1:8080');
 * } catch (err) {
 *   if (err instanceof WebSocketError) console.error(err.code, err.codeName, err.message);
 * }
 * ```
 */
export class WebSocketError extends Error {
  /** The OpenHarmony numeric code. */
  readonly code: number;
  /** The OpenHarmony name of `code`. */
  readonly codeName: ErrorCodeName;

  constructor(code: number, message: string, options: WebSocketErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.codeName = errorCodeName(code);
    // The class's own name (ConnectError, ...), not enumerable, like Error's.
    Object.defineProperty(this, 'name', { value: new.target.name, configurable: true, writable: true });
  }

  /** JSON.stringify(err) shows the code, its name and the message (ArkTS apps log errors so). */
  toJSON(): { name: string; code: number; codeName: ErrorCodeName; message: string } {
    return { name: this.name, code: this.code, codeName: this.codeName, message: this.message };
  }
}

/**
 * A call was made with an argument or option that cannot work (ArkTS 401, "Parameter error").
 * @group Errors
 * @example
 * ```ts
 * import { connect, InvalidArgumentError } from 'netstack-websocket';
 *
 * try {
 *   await connect('ws://127.0.0.1:8080', { maxPayload: -1 });
 * } catch (err) {
 *   if (err instanceof InvalidArgumentError) console.error(err.message);  // says what to change
 * }
 * ```
 */
export class InvalidArgumentError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.PARAMETER_ERROR, message, options);
  }
}

/**
 * The URL is not a ws://, wss://, http:// or https:// URL without a fragment (ArkTS 2302001).
 * @group Errors
 * @example
 * ```ts
 * import { connect, InvalidUrlError } from 'netstack-websocket';
 *
 * try {
 *   await connect('localhost:8080');
 * } catch (err) {
 *   if (err instanceof InvalidUrlError) console.error(err.url, err.message);  // did you mean "ws://localhost:8080"?
 * }
 * ```
 */
export class InvalidUrlError extends WebSocketError {
  /** The URL as it was given. */
  readonly url: string;

  constructor(url: string, message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_URL_ERROR, message, options);
    this.url = url;
  }
}

/**
 * A certificate or key file (caPath, clientCert) cannot be read (ArkTS 2302002).
 * @group Errors
 * @example
 * ```ts
 * import { webSocket, CertificateFileError } from 'netstack-websocket';
 *
 * const ws = webSocket.createWebSocket();
 * try {
 *   await ws.connect('wss://127.0.0.1:8443', { caPath: '/etc/missing-ca.pem' });
 * } catch (err) {
 *   if (err instanceof CertificateFileError) console.error(err.path, err.message);
 * }
 * ```
 */
export class CertificateFileError extends WebSocketError {
  /** The path that could not be read. */
  readonly path: string;

  constructor(path: string, message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_CERT_FILE_NOT_EXIST, message, options);
    this.path = path;
  }
}

/**
 * connect() on a socket that is already connecting or connected (ArkTS 2302003).
 * @group Errors
 * @example
 * ```ts
 * import { webSocket, AlreadyConnectedError } from 'netstack-websocket';
 *
 * const ws = webSocket.createWebSocket();
 * void ws.connect('ws://127.0.0.1:8080');
 * ws.connect('ws://127.0.0.1:8080').catch((err: unknown) => {
 *   if (err instanceof AlreadyConnectedError) console.error(err.code);  // 2302003
 * });
 * ```
 */
export class AlreadyConnectedError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_CONNECTION_ALREADY_EXISTS, message, options);
  }
}

/** The HTTP answer of a refused handshake (e.g. 401, 404). */
export interface HandshakeResponse {
  /** The HTTP status code (of the server's handshake answer; or of the proxy's answer to
   * CONNECT when it refused the tunnel, e.g. 407). */
  status: number;
  /** The response headers, lower-case names. */
  headers: Record<string, string>;
  /** The start of the body of a refused handshake (what arrived with the headers, at most
   * 64 KiB), when it had one. */
  body?: Buffer;
}

/**
 * The connection could not be made: name resolution, TCP, TLS or the WebSocket handshake
 * failed (C API 1003, WEBSOCKET_CONNECTION_ERROR). When the server answered the handshake
 * with an HTTP status other than 101, `response` holds that answer.
 * @group Errors
 * @example
 * ```ts
 * import { connect, ConnectError } from 'netstack-websocket';
 *
 * try {
 *   await connect('ws://127.0.0.1:8080');
 * } catch (err) {
 *   if (err instanceof ConnectError) {
 *     const cause = err.cause as NodeJS.ErrnoException | undefined;  // Node's own codes
 *     if (cause?.code === 'ECONNREFUSED') console.error('nothing listens there');
 *     if (err.response) console.error('the server answered HTTP', err.response.status);
 *   }
 * }
 * ```
 */
export class ConnectError extends WebSocketError {
  /** The server's HTTP answer to the handshake, when it gave one (e.g. status 401). */
  readonly response: HandshakeResponse | undefined;

  constructor(message: string, options: WebSocketErrorOptions & { response?: HandshakeResponse } = {}) {
    super(ErrorCode.WEBSOCKET_CONNECTION_ERROR, message, options);
    this.response = options.response;
  }
}

/**
 * No completed handshake in time (C API 1003): connect()'s `timeout`, `handshakeTimeout`, or
 * the default limit of 20 s. `cause` (when the engine's limit ran out) is an ETIMEDOUT error.
 * @group Errors
 * @example
 * ```ts
 * import { connect, ConnectTimeoutError } from 'netstack-websocket';
 *
 * try {
 *   await connect('ws://127.0.0.1:8080', { timeout: 2000 });
 * } catch (err) {
 *   if (err instanceof ConnectTimeoutError) console.error(`no connection within ${err.timeout} ms`);
 * }
 * ```
 */
export class ConnectTimeoutError extends ConnectError {
  /** The timeout that ran out, in milliseconds. */
  readonly timeout: number;

  constructor(timeout: number, message: string, options: WebSocketErrorOptions = {}) {
    super(message, options);
    this.timeout = timeout;
  }
}

/**
 * An established connection was lost: no pong arrived in time, or the connection broke (C API 1003).
 * @group Errors
 * @example
 * ```ts
 * import { connect, ConnectionLostError } from 'netstack-websocket';
 *
 * const socket = await connect('ws://127.0.0.1:8080');
 * try {
 *   for await (const message of socket) console.log(message);
 * } catch (err) {
 *   if (err instanceof ConnectionLostError) console.error('lost:', err.message);
 * }
 * ```
 */
export class ConnectionLostError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_CONNECTION_ERROR, message, options);
  }
}

/**
 * The peer broke the WebSocket protocol (C API 1009, WEBSOCKET_PROTOCOL_ERROR).
 * @group Errors
 * @example
 * ```ts
 * import { connect, ProtocolError } from 'netstack-websocket';
 *
 * const socket = await connect('ws://127.0.0.1:8080');
 * try {
 *   for await (const message of socket) console.log(message);
 * } catch (err) {
 *   if (err instanceof ProtocolError) console.error('the server broke RFC 6455:', err.message);
 * }
 * ```
 */
export class ProtocolError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_PROTOCOL_ERROR, message, options);
  }
}

/**
 * A received message was larger than maxPayload (C API 1012, WEBSOCKET_DATA_LENGTH_EXCEEDED).
 * @group Errors
 * @example
 * ```ts
 * import { connect, MessageTooBigError } from 'netstack-websocket';
 *
 * const socket = await connect('ws://127.0.0.1:8080', { maxPayload: 1024 * 1024 });
 * try {
 *   for await (const message of socket) console.log(message.length);
 * } catch (err) {
 *   if (err instanceof MessageTooBigError) console.error(err.message);  // closed with 1009
 * }
 * ```
 */
export class MessageTooBigError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_DATA_LENGTH_EXCEEDED, message, options);
  }
}

/**
 * The socket no longer sends: send() or close() after the connection closed, or a send whose
 * data had not left the process when the connection closed (C API 1017, WEBSOCKET_NO_CONNECTION).
 * @group Errors
 * @example
 * ```ts
 * import { connect, ConnectionClosedError } from 'netstack-websocket';
 *
 * const socket = await connect('ws://127.0.0.1:8080');
 * await socket.close();
 * try {
 *   await socket.send('too late');
 * } catch (err) {
 *   if (err instanceof ConnectionClosedError) console.error(err.message);
 * }
 * ```
 */
export class ConnectionClosedError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_NO_CONNECTION, message, options);
  }
}

/**
 * Why the engine could not open a connection (native/core's ConnectFailure): the step it
 * reached and the underlying error in the terms Node uses.
 * @internal
 */
export interface EngineConnectFailure {
  step: 'setup' | 'resolve' | 'connect' | 'tls' | 'handshake';
  /** 'ECONNREFUSED', 'ENOTFOUND', 'DEPTH_ZERO_SELF_SIGNED_CERT', ...; '' if none. */
  code: string;
  /** libuv's negative number of a system error, else 0. */
  errno: number;
  syscall: string;
  address: string;
  port: number;
  /** ERR_TLS_CERT_ALTNAME_INVALID: the name the certificate was checked against. */
  host: string;
  /** What happened, in plain words, without the URL. */
  description: string;
  /** The cause's own words (the system's, OpenSSL's). */
  reason: string;
  /** Nonzero: the opening handshake ran out of this much time. */
  timeoutMs: number;
  abandoned: boolean;
}

// The underlying error of a failed connect, shaped as Node's own net, dns and tls errors.
type ConnectCause = Error & {
  code?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
  host?: string;
  reason?: string;
};

function connectCause(failure: EngineConnectFailure): ConnectCause | undefined {
  const { code, syscall } = failure;
  if (!code) return failure.reason ? new Error(failure.reason) : undefined;
  let message: string;
  if (syscall === 'getaddrinfo') message = `getaddrinfo ${code} ${failure.address}`;
  else if (syscall) message = `${syscall} ${code} ${failure.port ? `${failure.address}:${failure.port}` : failure.address}`;
  else if (code === 'ECONNRESET') {
    message = failure.step === 'tls' ? 'Client network socket disconnected before secure TLS connection was established' : 'socket hang up';
  } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') message = `Hostname/IP does not match certificate's altnames: ${failure.reason}`;
  else if (code === 'ETIMEDOUT') message = `the opening handshake timed out after ${failure.timeoutMs} ms`;
  else message = failure.reason || code;
  const cause: ConnectCause = new Error(message);
  cause.code = code;
  if (failure.errno) cause.errno = failure.errno;
  if (syscall) cause.syscall = syscall;
  if (syscall === 'getaddrinfo') {
    cause.hostname = failure.address;
  } else if (syscall) {
    cause.address = failure.address;
    if (failure.port) cause.port = failure.port;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    cause.reason = failure.reason;
    cause.host = failure.host;
  }
  return cause;
}

// Certificate verdicts that mean "not signed by anything trusted".
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT',
]);
// OpenSSL's words when the server answered the ClientHello with something that is not TLS.
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_RECORD_LAYER_FAILURE']);

/** What to do about a failed connect: only the advice that fits its cause ('' if none). */
function connectAdvice(failure: EngineConnectFailure, url: string): string {
  const secure = url.startsWith('wss:') || url.startsWith('wss+unix:');
  const { code, step } = failure;
  if (failure.abandoned) return '';
  if (failure.timeoutMs) {
    return 'Check that the server runs and answers, or allow more time (handshakeTimeout; connect() also takes a timeout).';
  }
  if (code === 'ECONNREFUSED') return 'Check that the server runs and listens there.';
  if (code === 'ENOTFOUND') return 'Check the host name.';
  if (code === 'EAI_AGAIN') return 'Check the network and the DNS settings, then try again.';
  if (code === 'ENOENT') return 'Check the socket path (the server creates the file when it listens).';
  if (code === 'ECONNRESET') {
    if (step === 'handshake' && !secure) return 'If that port serves TLS (https, wss), use a wss:// URL.';
    if (step === 'tls') return 'Check that the server serves TLS there and accepts this client (client certificate, TLS version).';
    return 'Check that the server accepts connections there.';
  }
  if (UNTRUSTED.has(code)) return 'To trust this server, pass its CA certificate as the ca option (or add it to NODE_EXTRA_CA_CERTS).';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return "The server's certificate must be renewed (or this machine's clock is wrong).";
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'Connect with a name the certificate was issued for, or set servername to one.';
  if (NOT_TLS.has(code)) return 'The server does not speak TLS there: if it is a plain WebSocket server, use a ws:// URL.';
  if (step === 'tls') return 'Check the TLS settings (ca, cert, key, servername) and that the server serves TLS there.';
  if (step === 'handshake' && !code) return 'Check that the server speaks WebSocket there and accepts what you offer (subprotocols, extensions).';
  if (step === 'setup') return '';  // the description names the setting
  return 'Check that the server runs and that the URL is right.';
}

/** The error for a connection that could not be opened. */
function connectErrorOf(
  url: string, engineMessage: string, response: HandshakeResponse | undefined, failure: EngineConnectFailure | undefined,
): ConnectError {
  if (!failure) {  // (every engine failure to connect carries one; a safe fallback)
    return new ConnectError(`Could not connect to ${url} (${engineMessage}).`, { cause: new Error(engineMessage), ...(response ? { response } : {}) });
  }
  const cause = connectCause(failure);
  const options = { ...(cause ? { cause } : {}), ...(response ? { response } : {}) };
  let advice: string;
  if (response && /^the proxy \S+ refused the tunnel/.test(failure.reason)) {
    // The HTTP proxy answered CONNECT with something other than 200 (`response.status`).
    advice = response.status === 407 ? 'Check the proxy credentials (username and password).' : 'Check the proxy settings.';
  } else if (response && response.status !== 0 && response.status !== 101) {
    advice = httpAdvice(response.status);
  } else {
    advice = connectAdvice(failure, url);
  }
  const message = `Could not connect to ${url}: ${failure.description}.${advice ? ` ${advice}` : ''}`;
  if (failure.timeoutMs) return new ConnectTimeoutError(failure.timeoutMs, message, options);
  return new ConnectError(message, options);
}

/** The error for a failure the engine reports through onError. */
export function errorFromEngine(
  code: number, engineMessage: string, url: string, response: HandshakeResponse | undefined,
  failure?: EngineConnectFailure,
): WebSocketError {
  engineMessage = engineMessage.trim();
  const cause = new Error(engineMessage || `engine error ${code}`);
  switch (code) {
    case ErrorCode.WEBSOCKET_CONNECTION_ERROR:
      return connectErrorOf(url, engineMessage, response, failure);
    case ErrorCode.WEBSOCKET_PROTOCOL_ERROR:
      return new ProtocolError(
        `${url}: the peer broke the WebSocket protocol (${engineMessage}); the connection is closed. ` +
          'Check that the server speaks RFC 6455.',
        { cause },
      );
    case ErrorCode.WEBSOCKET_DATA_LENGTH_EXCEEDED:
      return new MessageTooBigError(
        `${url}: a received message was larger than maxPayload (${engineMessage}); the connection ` +
          'was closed with 1009. Raise maxPayload if such messages are expected.',
        { cause },
      );
    default:
      return new WebSocketError(code, `${url}: ${engineMessage || `error ${code}`}`, { cause });
  }
}

function httpAdvice(status: number): string {
  if (status === 401 || status === 403) return 'Check the credentials you send (headers).';
  if (status === 404) return 'Check the path of the URL.';
  if (status >= 300 && status < 400) return 'Redirects are not followed: use the URL it points to.';
  if (status === 400 || status === 426) return 'Check the subprotocols and headers you send.';
  return 'Check the URL and the server.';
}
