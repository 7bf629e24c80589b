// Argument checks shared by the three faces. Each check throws the error its caller makes
// (a DOMException for the WHATWG class, a WebSocketError for the others), so every face
// rejects bad input synchronously with its own standard error.

/** Makes the error a check throws; `kind` says what kind of mistake it is ('access': a
 * value the API never accepts in that place, WHATWG's InvalidAccessError). */
export type ErrorFactory = (message: string, kind: 'syntax' | 'range' | 'type' | 'access') => Error;

/** The errors of the WHATWG faces (WebSocket, WebSocketStream): DOMExceptions where the
 * standards say so, else TypeError or RangeError. */
export const domFail: ErrorFactory = (message, kind) => {
  if (kind === 'syntax') return new DOMException(message, 'SyntaxError');
  if (kind === 'access') return new DOMException(message, 'InvalidAccessError');
  return kind === 'range' ? new RangeError(message) : new TypeError(message);
};

/** ws+unix: or wss+unix: (the `ws` package's unix domain socket URLs). */
export function isUnixSocketUrl(url: URL): boolean {
  return url.protocol === 'ws+unix:' || url.protocol === 'wss+unix:';
}

/** sockaddr_un's sun_path holds 108 bytes, the last one a NUL. */
const MAX_UNIX_SOCKET_PATH = 107;

/**
 * ws:// or wss:// URL, http(s) mapped to ws(s), no fragment; or a unix domain socket URL as
 * the `ws` package takes it: ws+unix:///path/to/socket.sock:/request/path (wss+unix: for TLS;
 * the socket path ends at the first ':', the request path follows, "/" if none).
 * A relative URL is resolved against `base` when there is one (the WHATWG class's page).
 */
export function parseWebSocketUrl(input: string | URL, fail: ErrorFactory, base?: URL): URL {
  const text = typeof input === 'string' ? input : input instanceof URL ? input.href : String(input);
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw fail(`"${text}" is not a valid URL: ${urlRepair(text)}`, 'syntax');
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  const unix = isUnixSocketUrl(url);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:' && !unix) {
    if (!text.includes('://') && /^[^:/?#]+:\d+(?:[/?]|$)/.test(text)) {
      // "localhost:8080" parses as the scheme "localhost:".
      throw fail(`"${text}" has no scheme: did you mean "ws://${text}"?`, 'syntax');
    }
    throw fail(`"${text}" has the scheme "${url.protocol}"; a WebSocket URL must use ws:, wss:, http:, https:, ws+unix: or wss+unix:.`, 'syntax');
  }
  if (url.hash !== '' || text.includes('#')) {
    throw fail(`"${text}" has a fragment (#...); WebSocket URLs cannot have one: remove it.`, 'syntax');
  }
  if (unix) {
    if (url.host !== '' || url.username !== '' || url.password !== '') {
      throw fail(`"${text}": a ${url.protocol} URL has no host: write ${url.protocol}///path/to/socket.sock:/request/path.`, 'syntax');
    }
    const socketPath = url.pathname.split(':')[0];
    let decoded: string;
    try {
      decoded = decodeURIComponent(socketPath);
    } catch {
      throw fail(`"${text}": the socket path is not valid percent-encoded UTF-8.`, 'syntax');
    }
    if (decoded.length <= 1 || !decoded.startsWith('/') || decoded.includes('\0')) {
      throw fail(`"${text}" names no socket file: write ${url.protocol}///path/to/socket.sock:/request/path.`, 'syntax');
    }
    if (Buffer.byteLength(decoded) > MAX_UNIX_SOCKET_PATH) {
      throw fail(`"${text}": the socket path is longer than ${MAX_UNIX_SOCKET_PATH} bytes, the limit of a unix socket address.`, 'syntax');
    }
    return url;
  }
  if (url.hostname === '') throw fail(`"${text}" has no host.`, 'syntax');
  return url;
}

// What to change in a string that is no URL at all: the port, or the missing scheme.
function urlRepair(text: string): string {
  const port = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/i.exec(text);
  if (port && Number(port[1]) > 65535) return `the port ${port[1]} is out of range (0-65535).`;
  if (!text.includes('://') && /^[^\s/:?#]+(?::\d+)?(?:[/?].*)?$/.test(text)) return `did you mean "ws://${text}"?`;
  return 'give an absolute ws:// or wss:// URL.';
}

// RFC 7230 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/** Subprotocols: tokens, no duplicates, compared ASCII case-insensitively (WHATWG:
 * SyntaxError otherwise). */
export function checkProtocols(protocols: readonly string[], fail: ErrorFactory): string[] {
  const seen = new Set<string>();
  for (const protocol of protocols) {
    if (typeof protocol !== 'string' || !isToken(protocol)) {
      throw fail(`The subprotocol ${JSON.stringify(protocol)} is not a valid token (letters, digits and !#$%&'*+-.^_\`|~ only).`, 'syntax');
    }
    const folded = protocol.toLowerCase();
    if (seen.has(folded)) throw fail(`The subprotocol "${protocol}" is given twice (names are case-insensitive): list each one once.`, 'syntax');
    seen.add(folded);
  }
  return [...protocols];
}

// Headers the engine writes itself; setting them would break the handshake.
const RESERVED_HEADERS = new Map<string, string>([
  ['host', 'the engine sends Host from the URL'],
  ['connection', 'the engine sends Connection: Upgrade'],
  ['upgrade', 'the engine sends Upgrade: websocket'],
  ['sec-websocket-key', 'the engine makes the key'],
  ['sec-websocket-version', 'the engine sends version 13'],
  ['sec-websocket-extensions', 'the engine negotiates extensions'],
  ['sec-websocket-protocol', 'give subprotocols as the protocols argument instead'],
]);

/**
 * Handshake headers: token names, values without CR, LF or NUL, none the engine sets itself.
 * An Origin header is taken out and returned as `origin`.
 */
export function checkHeaders(
  headers: Iterable<readonly [string, unknown]>, fail: ErrorFactory,
): { headers: Array<[string, string]>; origin: string | undefined } {
  const result: Array<[string, string]> = [];
  let origin: string | undefined;
  for (const [name, rawValue] of headers) {
    if (typeof name !== 'string' || !isToken(name)) {
      throw fail(`The header name ${JSON.stringify(name)} is not a valid token: header names cannot hold spaces, colons, CR or LF.`, 'syntax');
    }
    const value = Array.isArray(rawValue) ? rawValue.map(String).join(', ') : String(rawValue);
    if (/[\r\n\0]/.test(value)) {
      throw fail(`The value of the header "${name}" holds CR, LF or NUL: remove them (they would split the request).`, 'syntax');
    }
    const lower = name.toLowerCase();
    const why = RESERVED_HEADERS.get(lower);
    if (why !== undefined) throw fail(`The header "${name}" cannot be set: ${why}.`, 'syntax');
    if (lower === 'origin') {
      origin = value;
      continue;
    }
    result.push([name, value.trim()]);
  }
  return { headers: result, origin };
}

/** Header entries from a plain object, a Map, a Headers-like iterable or an array of pairs. */
export function headerEntries(headers: unknown, fail: ErrorFactory): Array<readonly [string, unknown]> {
  if (headers === undefined || headers === null) return [];
  if (typeof headers !== 'object') throw fail('headers must be an object of name: value pairs.', 'type');
  const iterable = headers as { [Symbol.iterator]?: unknown };
  if (typeof iterable[Symbol.iterator] === 'function') {
    return [...(headers as Iterable<unknown>)].map((entry) => {
      if (!Array.isArray(entry) || entry.length !== 2) throw fail('header entries must be [name, value] pairs.', 'type');
      return [String(entry[0]), entry[1]] as const;
    });
  }
  return Object.entries(headers as Record<string, unknown>).filter(([, value]) => value !== undefined);
}

/** A control frame (ping, pong, close) carries at most this many payload bytes (RFC 6455 5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** A close frame's reason gets what its 2-byte status code leaves. */
export const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2;

/** Close codes a client may send (RFC 6455 7.4): 1000-1003, 1007-1014, 3000-4999. */
export function isSendableCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** close()'s code for connect() and the ArkTS face: an integer a client may send. `refusal`
 * is the face's wording of the error. */
export function checkCloseCode(code: unknown, refusal: string, fail: ErrorFactory): number {
  if (typeof code !== 'number' || !Number.isInteger(code) || !isSendableCloseCode(code)) throw fail(refusal, 'range');
  return code;
}

/** WebIDL `[Clamp] unsigned short`. */
function clampUnsignedShort(value: unknown): number {
  const number = Number(value);
  if (Number.isNaN(number)) return 0;
  const clamped = Math.min(Math.max(number, 0), 65535);
  const floor = Math.floor(clamped);
  const fraction = clamped - floor;
  if (fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1)) return floor + 1;
  return floor;
}

/** close()'s code for the WHATWG class: clamped to an unsigned short, then 1000 or
 * 3000-4999 (the others are the protocol's own). */
export function checkWhatwgCloseCode(code: unknown, fail: ErrorFactory): number {
  const closeCode = clampUnsignedShort(code);
  if (closeCode !== 1000 && (closeCode < 3000 || closeCode > 4999)) {
    throw fail(`close(${closeCode}): the code must be 1000 or in 3000-4999 (the others are reserved for the protocol).`, 'access');
  }
  return closeCode;
}

/** close()'s reason as it is sent: a USVString of at most MAX_CLOSE_REASON_BYTES of UTF-8. */
export function checkCloseReason(reason: unknown, fail: ErrorFactory): string {
  const text = toUSVString(reason);
  const length = utf8Length(text);
  if (length > MAX_CLOSE_REASON_BYTES) {
    throw fail(`close(): the reason is ${length} bytes of UTF-8; at most ${MAX_CLOSE_REASON_BYTES} fit in a close frame.`, 'syntax');
  }
  return text;
}

/** A ping's or pong's payload (a string as its UTF-8 bytes), at most MAX_CONTROL_PAYLOAD bytes. */
export function checkControlPayload(kind: 'ping' | 'pong', data: Uint8Array | string, fail: ErrorFactory): Uint8Array {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.byteLength > MAX_CONTROL_PAYLOAD) {
    throw fail(`A ${kind} payload is at most ${MAX_CONTROL_PAYLOAD} bytes; this one is ${bytes.byteLength}.`, 'range');
  }
  return bytes;
}

/** The UTF-8 length of a string taken as a USVString (lone surrogates count as U+FFFD). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** A string made well-formed (lone surrogates replaced by U+FFFD), as WebIDL's USVString. */
export function toUSVString(value: unknown): string {
  const text = String(value);
  // Only strings with surrogates can be ill-formed; the round trip replaces the lone ones.
  return /[\uD800-\uDFFF]/.test(text) ? Buffer.from(text, 'utf8').toString('utf8') : text;
}

/** A non-negative integer option (ms, bytes); `undefined` gives `fallback`. */
export function nonNegativeInteger(name: string, value: unknown, fallback: number, fail: ErrorFactory, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw fail(`${name} must be an integer from 0 to ${max}; got ${String(value)}.`, 'range');
  }
  return value;
}

/** PEM text from a string, a Buffer or an array of them (several certificates). */
export function pemText(name: string, value: unknown, fail: ErrorFactory): string | undefined {
  if (value === undefined || value === null) return undefined;
  const parts = Array.isArray(value) ? value : [value];
  const texts = parts.map((part) => {
    if (typeof part === 'string') return part;
    if (part instanceof Uint8Array) return Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('latin1');
    throw fail(`${name} must be PEM text: a string, a Buffer or an array of them.`, 'type');
  });
  const text = texts.join('\n');
  if (!text.includes('-----BEGIN ')) {
    throw fail(`${name} is not PEM ("-----BEGIN ..." missing): only PEM is supported; convert DER with \`openssl x509 -inform der\`.`, 'type');
  }
  return text;
}

/**
 * The trusted certificates (`ca`, `caPath`): PEM certificates only. A private key given
 * there by mistake is refused rather than silently trusting nothing (and never kept).
 */
export function checkCaPem(name: string, text: string, fail: ErrorFactory): string {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    throw fail(`${name} holds a private key: it takes the CA certificates to trust ("-----BEGIN CERTIFICATE-----"). ` +
      'A client key goes in key (with cert).', 'type');
  }
  if (!/-----BEGIN (?:TRUSTED |X509 )?CERTIFICATE-----/.test(text)) {
    throw fail(`${name} holds no certificate ("-----BEGIN CERTIFICATE-----"): it takes the CA certificates to trust.`, 'type');
  }
  return text;
}
