// The `ws` client options the WHATWG class takes besides the engine's own (lib/options.ts):
// every option of `ws`'s ClientOptions is accepted at its default or a harmless value,
// honoured where the engine can (followRedirects, maxRedirects, autoPong and the engine's
// own options), and refused, naming the alternative, only for a value it cannot honour.
// engine.io-client (socket.io) passes { agent: false, perMessageDeflate: { threshold },
// rejectUnauthorized } and works.
import type { ErrorFactory } from './validate';
import type { WebSocketOptions } from './options';

/** `ws`'s client options, beyond WebSocketOptions. */
export interface WsClientOptions {
  /** Follow 3xx answers to the handshake (default false, as `ws`): never from wss: to ws:,
   * credentials and cookies dropped when the host changes; each hop emits 'redirect'. */
  followRedirects?: boolean;
  /** At most this many redirects (default 10, as `ws`). */
  maxRedirects?: number;
  /** Answer pings with pongs (default true). */
  autoPong?: boolean;
  /** Accepted: undefined or false (the engine's own connection); an Agent cannot be used:
   * give `proxy` for an HTTP proxy. */
  agent?: unknown;
  /** Accepted and ignored, as `ws` overrides them from the URL. */
  host?: string;
  protocol?: string;
  /** 13 (the only version; `ws`'s default). */
  protocolVersion?: number;
  /** Accepted (events are always dispatched one at a time, as `ws`'s default). */
  allowSynchronousEvents?: boolean;
  /** false (default): UTF-8 is always checked, natively. */
  skipUTF8Validation?: boolean;
  /** Accepted (the engine's limit is maxPayload). */
  maxBufferedChunks?: number;
  maxFragments?: number;
  /** Only undefined: name resolution is the engine's (give an IP address to choose a family). */
  family?: number;
  localAddress?: string;
  lookup?: unknown;
  generateMask?: unknown;
  checkServerIdentity?: unknown;
  createConnection?: unknown;
  finishRequest?: unknown;
}

/** `ws`'s permessage-deflate tuning (zlib runs inside the engine). */
export interface WsDeflateTuning {
  zlibDeflateOptions?: object;
  zlibInflateOptions?: object;
  concurrencyLimit?: number;
}

/** What the WHATWG class does itself with `ws`'s options. */
export interface WsSettings {
  followRedirects: boolean;
  maxRedirects: number;
  autoPong: boolean;
}

const DEFAULT_MAX_REDIRECTS = 10;

// Options refused unless undefined (or the listed harmless value), with the alternative.
const REFUSED: Readonly<Record<string, string>> = {
  family: 'name resolution is the engine\'s own; connect to an IP address literal to choose IPv4 or IPv6',
  localAddress: 'the engine does not bind a local address',
  lookup: 'name resolution is the engine\'s own (libuv\'s getaddrinfo)',
  generateMask: 'masks come from the engine\'s own random pool',
  checkServerIdentity: 'the certificate and host name are checked natively: use `ca` and `servername`',
  createConnection: 'the engine makes its own connection: use `proxy` for an HTTP proxy or a ws+unix: URL for a unix socket',
  finishRequest: 'the engine writes the request: use `headers` for extra headers',
};

const ACCEPTED = new Set([
  'followRedirects', 'maxRedirects', 'autoPong', 'agent', 'host', 'protocol', 'protocolVersion',
  'allowSynchronousEvents', 'skipUTF8Validation', 'maxBufferedChunks', 'maxFragments', ...Object.keys(REFUSED),
]);

// `ws`'s permessage-deflate options the engine has no use for (zlib runs inside lws).
const DEFLATE_TUNING = ['zlibDeflateOptions', 'zlibInflateOptions', 'concurrencyLimit'];

/**
 * Splits `ws`'s options from the engine's: returns the engine's options (to lib/options.ts)
 * and what the class does itself. Throws (with `fail`) for a value that cannot be honoured.
 */
export function splitWsOptions(options: object | undefined, fail: ErrorFactory):
  { engineOptions: WebSocketOptions | undefined; settings: WsSettings } {
  const settings: WsSettings = { followRedirects: false, maxRedirects: DEFAULT_MAX_REDIRECTS, autoPong: true };
  if (options === undefined) return { engineOptions: undefined, settings };
  const engineOptions: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (!ACCEPTED.has(name)) {
      engineOptions[name] = value;
      continue;
    }
    if (value === undefined) continue;
    const why = REFUSED[name];
    if (why !== undefined) throw fail(`The option "${name}" cannot be honoured: ${why}.`, 'type');
    switch (name) {
      case 'followRedirects':
      case 'autoPong':
      case 'allowSynchronousEvents':
        if (typeof value !== 'boolean') throw fail(`${name} must be true or false.`, 'type');
        if (name === 'followRedirects') settings.followRedirects = value;
        if (name === 'autoPong') settings.autoPong = value;
        break;
      case 'maxRedirects':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
          throw fail(`maxRedirects must be an integer of 0 or more; got ${String(value)}.`, 'range');
        }
        settings.maxRedirects = value;
        break;
      case 'agent':
        if (value !== false && value !== null) {
          throw fail('The option "agent" cannot be honoured: the engine makes its own connections. ' +
            'For an HTTP proxy use `proxy` (e.g. proxy: "http://proxy.example:3128").', 'type');
        }
        break;
      case 'protocolVersion':
        if (value !== 13) throw fail(`protocolVersion ${String(value)} is not supported: only 13 (RFC 6455).`, 'range');
        break;
      case 'skipUTF8Validation':
        if (value !== false) {
          throw fail('skipUTF8Validation: true cannot be honoured: received text is always checked for UTF-8, natively ' +
            '(at close to memory speed); leave it false.', 'type');
        }
        break;
      default:
        break;  // host, protocol (overridden by the URL, as in `ws`), maxBufferedChunks, maxFragments
    }
  }
  const deflate = engineOptions.perMessageDeflate;
  if (typeof deflate === 'object' && deflate !== null) {
    const rest: Record<string, unknown> = { ...(deflate as Record<string, unknown>) };
    for (const name of DEFLATE_TUNING) {
      const tuning = rest[name];
      if (tuning !== undefined && !(typeof tuning === 'object' && tuning !== null && Object.keys(tuning).length === 0) &&
        name !== 'concurrencyLimit') {
        throw fail(`perMessageDeflate.${name} cannot be honoured: compression runs inside the engine with its own zlib ` +
          'settings; leave it out (threshold, window bits and context takeover are supported).', 'type');
      }
      delete rest[name];
    }
    engineOptions.perMessageDeflate = rest;
  }
  return { engineOptions: engineOptions as WebSocketOptions, settings };
}
