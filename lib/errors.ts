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

/** The name of an OpenHarmony code ('WEBSOCKET_UNKNOWN_ERROR' for a code it does not know). */
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

/** A call was made with an argument or option that cannot work (ArkTS 401, "Parameter error"). */
export class InvalidArgumentError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.PARAMETER_ERROR, message, options);
  }
}

/** The URL is not a ws://, wss://, http:// or https:// URL without a fragment (ArkTS 2302001). */
export class InvalidUrlError extends WebSocketError {
  /** The URL as it was given. */
  readonly url: string;

  constructor(url: string, message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_URL_ERROR, message, options);
    this.url = url;
  }
}

/** A certificate or key file (caPath, clientCert) cannot be read (ArkTS 2302002). */
export class CertificateFileError extends WebSocketError {
  /** The path that could not be read. */
  readonly path: string;

  constructor(path: string, message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_CERT_FILE_NOT_EXIST, message, options);
    this.path = path;
  }
}

/** connect() on a socket that is already connecting or connected (ArkTS 2302003). */
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
 */
export class ConnectError extends WebSocketError {
  /** The server's HTTP answer to the handshake, when it gave one (e.g. status 401). */
  readonly response: HandshakeResponse | undefined;

  constructor(message: string, options: WebSocketErrorOptions & { response?: HandshakeResponse } = {}) {
    super(ErrorCode.WEBSOCKET_CONNECTION_ERROR, message, options);
    this.response = options.response;
  }
}

/** No completed handshake within the connect timeout (C API 1003). */
export class ConnectTimeoutError extends ConnectError {
  /** The timeout that ran out, in milliseconds. */
  readonly timeout: number;

  constructor(timeout: number, message: string, options: WebSocketErrorOptions = {}) {
    super(message, options);
    this.timeout = timeout;
  }
}

/** An established connection was lost: no pong arrived in time, or the connection broke (C API 1003). */
export class ConnectionLostError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_CONNECTION_ERROR, message, options);
  }
}

/** The peer broke the WebSocket protocol (C API 1009, WEBSOCKET_PROTOCOL_ERROR). */
export class ProtocolError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_PROTOCOL_ERROR, message, options);
  }
}

/** A received message was larger than maxPayload (C API 1012, WEBSOCKET_DATA_LENGTH_EXCEEDED). */
export class MessageTooBigError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_DATA_LENGTH_EXCEEDED, message, options);
  }
}

/**
 * The socket no longer sends: send() or close() after the connection closed, or a send whose
 * data had not left the process when the connection closed (C API 1017, WEBSOCKET_NO_CONNECTION).
 */
export class ConnectionClosedError extends WebSocketError {
  constructor(message: string, options: WebSocketErrorOptions = {}) {
    super(ErrorCode.WEBSOCKET_NO_CONNECTION, message, options);
  }
}

/** The error for a failure the engine reports through onError. */
export function errorFromEngine(
  code: number, engineMessage: string, url: string, response: HandshakeResponse | undefined,
): WebSocketError {
  engineMessage = engineMessage.trim();
  const cause = new Error(engineMessage || `engine error ${code}`);
  switch (code) {
    case ErrorCode.WEBSOCKET_CONNECTION_ERROR:
      if (response && / the proxy \S+ refused the tunnel/.test(engineMessage)) {
        // The HTTP proxy answered CONNECT with something other than 200 (`response.status`).
        return new ConnectError(
          `Could not connect to ${url} through the proxy (${engineMessage}). ` +
            (response.status === 407 ? 'Check the proxy credentials (username and password).' : 'Check the proxy settings.'),
          { cause, response },
        );
      }
      if (response && response.status !== 0 && response.status !== 101) {
        return new ConnectError(
          `${url}: the server answered the handshake with HTTP ${response.status} instead of 101 ` +
            `(${engineMessage}). ${advice(response.status)}`,
          { cause, response },
        );
      }
      return new ConnectError(
        `Could not connect to ${url} (${engineMessage}). Check that the server runs and that the URL, ` +
          'port, subprotocols and TLS settings (ca, rejectUnauthorized) are right.',
        { cause },
      );
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

function advice(status: number): string {
  if (status === 401 || status === 403) return 'Check the credentials you send (headers).';
  if (status === 404) return 'Check the path of the URL.';
  if (status >= 300 && status < 400) return 'Redirects are not followed: use the URL it points to.';
  if (status === 400 || status === 426) return 'Check the subprotocols and headers you send.';
  return 'Check the URL and the server.';
}
