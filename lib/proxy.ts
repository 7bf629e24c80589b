// Which HTTP proxy (if any) a connection goes through. OpenHarmony's ProxyConfiguration
// ('system' | 'no-proxy' | { host, port, exclusionList, username?, password? }), and the
// `proxy` option of the WHATWG class and connect() (a URL or { host, port, username?,
// password? }). 'system' on Node means the usual environment variables: HTTPS_PROXY (wss:)
// or HTTP_PROXY (ws:), and NO_PROXY, in upper or lower case. The engine tunnels with CONNECT
// through plain-HTTP proxies, with Basic authentication when credentials are given.
// Credentials never appear in an error message.
import { isUnixSocketUrl, type ErrorFactory } from './validate';

export interface ProxyAddress {
  host: string;
  port: number;
  /** Proxy-Authorization: Basic, when given. */
  username?: string;
  password?: string;
}

/** The `proxy` option of the WHATWG class and connect(): an http:// URL (credentials
 * percent-encoded, as in `http://user:p%40ss@proxy.example:3128`) or its parts. */
export type ProxyOption = string | ProxyAddress;

/** lws keeps "user:password" in a 96-byte buffer (lws_set_proxy). */
const MAX_CREDENTIAL_BYTES = 95;

/** Does `host` match an exclusion entry ("example.org", ".example.org", "*.example.org", "*")? */
export function isExcluded(host: string, exclusions: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return exclusions.some((raw) => {
    const entry = raw.trim().toLowerCase().replace(/:\d+$/, '');
    if (entry === '') return false;
    if (entry === '*') return true;
    const suffix = entry.startsWith('*.') ? entry.slice(1) : entry.startsWith('.') ? entry : null;
    if (suffix) return name.endsWith(suffix) || name === suffix.slice(1);
    return name === entry;
  });
}

/** A proxy URL fit for a message: any user:password replaced by "***". */
export function redactProxyUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^]*@/i, '$1***@');
}

/** Throws if the credentials cannot go in a Basic Proxy-Authorization (never quoting them). */
function checkCredentials(username: string, password: string, what: string, fail: ErrorFactory): void {
  if (username.includes(':')) throw fail(`${what}: the proxy user name cannot contain ":" (HTTP Basic authentication).`, 'syntax');
  if (username.includes('\0') || password.includes('\0')) throw fail(`${what}: the proxy user name and password cannot contain NUL.`, 'syntax');
  if (Buffer.byteLength(`${username}:${password}`) > MAX_CREDENTIAL_BYTES) {
    throw fail(`${what}: the proxy user name and password are too long (at most ${MAX_CREDENTIAL_BYTES} bytes of UTF-8 for user:password).`, 'range');
  }
}

/** host, port and credentials of a proxy URL such as "http://user:pw@proxy.example:3128"
 * (or "proxy.example:3128"). */
export function parseProxyUrl(text: string, what: string, fail: ErrorFactory): ProxyAddress {
  const shown = redactProxyUrl(text);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw fail(`${what} "${shown}" is not a proxy URL (http://[user:password@]host:port).`, 'syntax');
  }
  if (url.protocol === 'https:') {
    throw fail(`${what} "${shown}": https:// proxies are not supported: the engine (libwebsockets) speaks only plain HTTP ` +
      'to a proxy and cannot run TLS to the proxy itself (for wss:// that would be TLS inside TLS). Use the proxy\'s ' +
      'http:// address: the CONNECT tunnel still carries wss:// end-to-end encrypted.', 'syntax');
  }
  if (url.protocol !== 'http:') throw fail(`${what} "${shown}": only plain-HTTP proxies (http://) are supported.`, 'syntax');
  if (url.hostname === '') throw fail(`${what} "${shown}" has no host.`, 'syntax');
  const proxy: ProxyAddress = { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 80 };
  if (url.username || url.password) {
    let username: string;
    let password: string;
    try {
      username = decodeURIComponent(url.username);
      password = decodeURIComponent(url.password);
    } catch {
      throw fail(`${what} "${shown}": the user name or password is not valid percent-encoded UTF-8.`, 'syntax');
    }
    checkCredentials(username, password, `${what} "${shown}"`, fail);
    proxy.username = username;
    proxy.password = password;
  }
  return proxy;
}

/** { host, port, username?, password? } (plus exclusionList for the OpenHarmony face), checked. */
function proxyFromObject(setting: object, what: string, fail: ErrorFactory, allowed: readonly string[]): ProxyAddress {
  for (const name of Object.keys(setting)) {
    if (!allowed.includes(name)) throw fail(`${what}.${name} is not supported; the fields are: ${allowed.join(', ')}.`, 'type');
  }
  const { host, port, username, password } = setting as { host?: unknown; port?: unknown; username?: unknown; password?: unknown };
  if (typeof host !== 'string' || host === '') throw fail(`${what}.host must be a host name or address.`, 'type');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw fail(`${what}.port must be a port number (1-65535); got ${String(port)}.`, 'range');
  }
  if (username !== undefined && typeof username !== 'string') throw fail(`${what}.username must be a string.`, 'type');
  if (password !== undefined && typeof password !== 'string') throw fail(`${what}.password must be a string.`, 'type');
  const proxy: ProxyAddress = { host: host.replace(/^\[|\]$/g, ''), port };
  if (username || password) {
    checkCredentials(username ?? '', password ?? '', what, fail);
    proxy.username = username ?? '';
    proxy.password = password ?? '';
  }
  return proxy;
}

/** The OpenHarmony face: the proxy for a connection to `target`, or undefined to connect directly. */
export function resolveProxy(target: URL, setting: unknown, fail: ErrorFactory, env: NodeJS.ProcessEnv = process.env): ProxyAddress | undefined {
  if (setting === undefined || setting === 'no-proxy') return undefined;
  if (setting === 'system') {
    if (isUnixSocketUrl(target)) return undefined;  // a local socket: no proxy can reach it
    const variable = target.protocol === 'wss:' ? 'HTTPS_PROXY' : 'HTTP_PROXY';
    const value = env[variable] ?? env[variable.toLowerCase()];
    if (!value) return undefined;
    const noProxy = env.NO_PROXY ?? env.no_proxy ?? '';
    if (isExcluded(target.hostname, noProxy.split(','))) return undefined;
    return parseProxyUrl(value, variable, fail);
  }
  if (typeof setting !== 'object' || setting === null) {
    throw fail(`proxy must be 'system', 'no-proxy' or { host, port, exclusionList, username?, password? }; got ${JSON.stringify(setting)}.`, 'type');
  }
  const { exclusionList } = setting as { exclusionList?: unknown };
  if (exclusionList !== undefined && (!Array.isArray(exclusionList) || exclusionList.some((e) => typeof e !== 'string'))) {
    throw fail('proxy.exclusionList must be an array of host names.', 'type');
  }
  const proxy = proxyFromObject(setting, 'proxy', fail, ['host', 'port', 'exclusionList', 'username', 'password']);
  if (isUnixSocketUrl(target) || isExcluded(target.hostname, (exclusionList as string[] | undefined) ?? [])) return undefined;
  return proxy;
}

/** The WHATWG class and connect(): the `proxy` option (a URL or { host, port, username?,
 * password? }), or undefined to connect directly. unix socket URLs never use a proxy. */
export function proxyOption(target: URL, setting: unknown, fail: ErrorFactory): ProxyAddress | undefined {
  if (setting === undefined) return undefined;
  let proxy: ProxyAddress;
  if (typeof setting === 'string') proxy = parseProxyUrl(setting, 'proxy', fail);
  else if (typeof setting === 'object' && setting !== null) proxy = proxyFromObject(setting, 'proxy', fail, ['host', 'port', 'username', 'password']);
  else throw fail('proxy must be an http:// URL or { host, port, username?, password? }.', 'type');
  return isUnixSocketUrl(target) ? undefined : proxy;
}
