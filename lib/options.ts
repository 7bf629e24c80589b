// The engine's settings of every face: the Node options of the WHATWG class and of
// connect() (the names `ws` and Node's `tls` use), checked and turned into them; and those
// of the ArkTS face from what lib/ohos.ts checked of its own options.
import type { EngineConfig } from './engine';
import { proxyOption, type ProxyOption } from './proxy';
import { checkCaPem, checkHeaders, headerEntries, nonNegativeInteger, pemText, type ErrorFactory } from './validate';

/** PEM text: a string, a Buffer, or several of them (e.g. a CA bundle). */
export type PemInput = string | Uint8Array | ReadonlyArray<string | Uint8Array>;

/** Handshake headers: a plain object, a Map, a `Headers` object or [name, value] pairs. */
export type HeadersInput =
  | Readonly<Record<string, string | number | readonly string[] | undefined>>
  | Iterable<readonly [string, string]>;

/** Node options (the third argument of `new WebSocket()`, and part of connect()'s options). */
export interface WebSocketOptions {
  /** Extra handshake headers. Names must be tokens; values cannot hold CR or LF. */
  headers?: HeadersInput;
  /** The Origin header to send (default: none). */
  origin?: string;
  /** Trusted CA certificates (PEM) instead of Node's trust store. */
  ca?: PemInput;
  /** Client certificate chain (PEM). */
  cert?: PemInput;
  /** Client private key (PEM). */
  key?: PemInput;
  /** Passphrase of an encrypted `key`. */
  passphrase?: string;
  /** TLS server name (SNI and certificate check); default: the URL's host. */
  servername?: string;
  /** false accepts any server certificate (testing only). Default true. */
  rejectUnauthorized?: boolean;
  /** Largest message accepted, in bytes (0: no limit). Default 100 MiB, as `ws`. A larger
   * message fails the connection (error 1012, close 1009). */
  maxPayload?: number;
  /** Time allowed for the opening handshake, in ms (0: the engine's default, 20 s). */
  handshakeTimeout?: number;
  /** Offer permessage-deflate (RFC 7692). Default true, as `ws` and browsers
   * ("permessage-deflate; client_max_window_bits"); false: not offered; or the parameters.
   * maxPayload limits the decompressed size. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Tunnel through this HTTP proxy with CONNECT: an http:// URL, with percent-encoded
   * credentials if it needs them ("http://user:p%40ss@proxy.example:3128"), or
   * { host, port, username?, password? }. Credentials go as Proxy-Authorization: Basic.
   * https:// proxies are not supported. Default: none (connect directly). Ignored for
   * ws+unix: URLs. */
  proxy?: ProxyOption;
}

/** Parameters of the permessage-deflate offer (the names `ws` uses). */
export interface PerMessageDeflateOptions {
  /** Ask the server not to keep its compression context between messages. */
  serverNoContextTakeover?: boolean;
  /** Do not keep ours between messages. */
  clientNoContextTakeover?: boolean;
  /** Ask the server to use at most this LZ77 window (8-15 bits). */
  serverMaxWindowBits?: number;
  /** true: let the server choose our window size; a number (8-15): offer at most that. */
  clientMaxWindowBits?: boolean | number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024, as `ws`. */
  threshold?: number;
}

/** The default of PerMessageDeflateOptions.threshold (the same as `ws`). */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'headers', 'origin', 'ca', 'cert', 'key', 'passphrase', 'servername', 'rejectUnauthorized',
  'maxPayload', 'handshakeTimeout', 'perMessageDeflate', 'proxy',
]);

const DEFAULT_DEFLATE_OFFER = 'permessage-deflate; client_max_window_bits';

/** The permessage-deflate offer for the option ('' for none). */
export function deflateOffer(value: unknown, fail: ErrorFactory): string {
  if (value === undefined || value === true) return DEFAULT_DEFLATE_OFFER;
  if (value === false) return '';
  if (typeof value !== 'object' || value === null) throw fail('perMessageDeflate must be true, false or an object of parameters.', 'type');
  const o = value as PerMessageDeflateOptions;
  const known = new Set(['serverNoContextTakeover', 'clientNoContextTakeover', 'serverMaxWindowBits', 'clientMaxWindowBits', 'threshold']);
  for (const name of Object.keys(o)) {
    if (!known.has(name)) throw fail(`perMessageDeflate.${name} is not supported; the parameters are: ${[...known].join(', ')}.`, 'type');
  }
  const bits = (name: string, bitsValue: unknown): number => {
    if (typeof bitsValue !== 'number' || !Number.isInteger(bitsValue) || bitsValue < 8 || bitsValue > 15) {
      throw fail(`perMessageDeflate.${name} must be an integer from 8 to 15; got ${String(bitsValue)}.`, 'range');
    }
    return bitsValue;
  };
  const parts = ['permessage-deflate'];
  if (o.clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (o.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (o.serverMaxWindowBits !== undefined) parts.push(`server_max_window_bits=${bits('serverMaxWindowBits', o.serverMaxWindowBits)}`);
  if (o.clientMaxWindowBits === true || o.clientMaxWindowBits === undefined) parts.push('client_max_window_bits');
  else if (o.clientMaxWindowBits !== false) parts.push(`client_max_window_bits=${bits('clientMaxWindowBits', o.clientMaxWindowBits)}`);
  return parts.join('; ');
}

/** The size below which messages are sent uncompressed, for the perMessageDeflate option. */
export function deflateThreshold(value: unknown, fail: ErrorFactory): number {
  if (typeof value !== 'object' || value === null) return DEFAULT_DEFLATE_THRESHOLD;
  const threshold = (value as PerMessageDeflateOptions).threshold;
  return nonNegativeInteger('perMessageDeflate.threshold', threshold, DEFAULT_DEFLATE_THRESHOLD, fail);
}

/**
 * The engine settings for `url`, `protocols` and `options`. Unknown option names are refused
 * (an option this package does not implement must not be ignored silently); `extraNames` are
 * the names the calling face handles itself.
 */
export function engineConfig(
  url: URL, protocols: string[], options: WebSocketOptions | undefined, fail: ErrorFactory,
  extraNames: readonly string[] = [],
): EngineConfig {
  const opts: WebSocketOptions = options ?? {};
  if (typeof opts !== 'object') throw fail('options must be an object.', 'type');
  for (const name of Object.keys(opts)) {
    if (!OPTION_NAMES.has(name) && !extraNames.includes(name)) {
      const known = [...OPTION_NAMES, ...extraNames].join(', ');
      throw fail(`The option "${name}" is not supported; the supported options are: ${known}.`, 'type');
    }
  }
  const { headers, origin: headerOrigin } = checkHeaders(headerEntries(opts.headers, fail), fail);
  if (opts.origin !== undefined && headerOrigin !== undefined) {
    throw fail('Origin is given twice (the origin option and an Origin header): give it once.', 'syntax');
  }
  const origin = opts.origin ?? headerOrigin ?? '';
  if (typeof origin !== 'string' || /[\r\n\0]/.test(origin)) throw fail('origin must be a string without CR, LF or NUL.', 'syntax');
  if (opts.rejectUnauthorized !== undefined && typeof opts.rejectUnauthorized !== 'boolean') {
    throw fail('rejectUnauthorized must be true or false.', 'type');
  }
  for (const name of ['passphrase', 'servername'] as const) {
    if (opts[name] !== undefined && typeof opts[name] !== 'string') throw fail(`${name} must be a string.`, 'type');
  }
  const tls: EngineConfig['tls'] = { rejectUnauthorized: opts.rejectUnauthorized ?? true };
  const caText = pemText('ca', opts.ca, fail);
  const ca = caText === undefined ? undefined : checkCaPem('ca', caText, fail);
  const cert = pemText('cert', opts.cert, fail);
  const key = pemText('key', opts.key, fail);
  if ((cert === undefined) !== (key === undefined)) throw fail('cert and key go together: give both or neither.', 'type');
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  if (opts.passphrase !== undefined) tls.passphrase = opts.passphrase;
  if (opts.servername !== undefined) tls.servername = opts.servername;
  const proxy = proxyOption(url, opts.proxy, fail);
  return {
    url: url.href,
    protocols,
    headers,
    origin,
    tls,
    maxPayload: nonNegativeInteger('maxPayload', opts.maxPayload, DEFAULT_MAX_PAYLOAD, fail),
    handshakeTimeoutMs: nonNegativeInteger('handshakeTimeout', opts.handshakeTimeout, 0, fail, 2 ** 31 - 1),
    perMessageDeflate: deflateOffer(opts.perMessageDeflate, fail),
    perMessageDeflateThreshold: deflateThreshold(opts.perMessageDeflate, fail),
    ...(proxy ? { proxy } : {}),
  };
}

/** What the ArkTS face (lib/ohos.ts) checked of its connect() options. */
export interface ArkTsSettings {
  protocols: string[];
  headers: Array<[string, string]>;
  origin: string | undefined;
  tls: EngineConfig['tls'];
  proxy: EngineConfig['proxy'];
  /** 0: no keepalive pings. */
  pingIntervalSeconds: number;
  /** Only used with pings. */
  pongTimeoutSeconds: number;
}

/**
 * The engine settings of an ArkTS connection. What its options do not cover is as for the
 * Node faces' defaults (maxPayload, lws's own handshake timeout), except that nothing is
 * offered for permessage-deflate, as on OpenHarmony.
 */
export function arkTsEngineConfig(url: URL, settings: ArkTsSettings): EngineConfig {
  return {
    url: url.href,
    protocols: settings.protocols,
    headers: settings.headers,
    origin: settings.origin ?? '',
    tls: settings.tls,
    maxPayload: DEFAULT_MAX_PAYLOAD,
    handshakeTimeoutMs: 0,
    proxy: settings.proxy,
    pingIntervalSeconds: settings.pingIntervalSeconds,
    pongTimeoutSeconds: settings.pingIntervalSeconds > 0 ? settings.pongTimeoutSeconds : 0,
  };
}
