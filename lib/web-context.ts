// What the WHATWG class takes from the web platform around it, as browsers and undici do:
// the page's base URL and origin (when this process has one: a `location` global, or the
// global origin set with undici's setGlobalOrigin()), the Fetch standard's blocked ports,
// and credentials in the URL, which become an Authorization: Basic header.

/** Where undici keeps its global origin (setGlobalOrigin), shared by Node's own copy. */
const UNDICI_GLOBAL_ORIGIN = Symbol.for('undici.globalOrigin.1');

/** The base URL of the "page": `globalThis.location`, else undici's global origin, else none. */
export function pageBaseUrl(): URL | undefined {
  const scope = globalThis as { location?: unknown; [UNDICI_GLOBAL_ORIGIN]?: unknown };
  const location = scope.location as { href?: unknown } | undefined;
  if (location !== null && typeof location === 'object' && typeof location.href === 'string') {
    try {
      return new URL(location.href);
    } catch {
      // not a URL: no base
    }
  }
  const origin = scope[UNDICI_GLOBAL_ORIGIN];
  return origin instanceof URL ? origin : undefined;
}

/** The page's origin for the Origin header ('' when there is no page or it is opaque). */
export function pageOrigin(base: URL | undefined): string {
  if (!base || (base.protocol !== 'http:' && base.protocol !== 'https:')) return '';
  return base.origin;
}

// https://fetch.spec.whatwg.org/#port-blocking
const BAD_PORTS: ReadonlySet<number> = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102,
  103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512,
  513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719,
  1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679,
  6697, 10080,
]);

/** A port Fetch refuses to connect to (and port 0), for a ws: or wss: URL. */
export function isBlockedPort(url: URL): boolean {
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return false;
  return url.port !== '' && BAD_PORTS.has(Number(url.port));
}

/**
 * `Basic <base64>` for the credentials of `user:password@` in the URL (as they appear in the
 * URL, as undici and `ws` send them), or undefined when it has none.
 */
export function basicAuthorization(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  return `Basic ${Buffer.from(`${url.username}:${url.password}`).toString('base64')}`;
}

/** The URL without credentials, as the request goes out. */
export function withoutCredentials(url: URL): URL {
  if (url.username === '' && url.password === '') return url;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy;
}
