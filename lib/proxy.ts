// Which HTTP proxy (if any) a connection goes through: OpenHarmony's ProxyConfiguration
// ('system' | 'no-proxy' | { host, port, exclusionList }). 'system' on Node means the usual
// environment variables: HTTPS_PROXY (wss:) or HTTP_PROXY (ws:), and NO_PROXY, in upper or
// lower case. The engine tunnels with CONNECT through plain-HTTP proxies, without
// authentication.
import type { ErrorFactory } from './validate';

export interface ProxyAddress {
  host: string;
  port: number;
}

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

/** host:port of a proxy URL such as "http://proxy.example:3128" (or "proxy.example:3128"). */
export function parseProxyUrl(text: string, what: string, fail: ErrorFactory): ProxyAddress {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw fail(`${what} "${text}" is not a proxy URL (http://host:port).`, 'syntax');
  }
  if (url.protocol !== 'http:') throw fail(`${what} "${text}": only plain-HTTP proxies (http://) are supported.`, 'syntax');
  if (url.username || url.password) throw fail(`${what} "${text}": proxy authentication is not supported.`, 'syntax');
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 80 };
}

/** The proxy for a connection to `target`, or undefined to connect directly. */
export function resolveProxy(target: URL, setting: unknown, fail: ErrorFactory, env: NodeJS.ProcessEnv = process.env): ProxyAddress | undefined {
  if (setting === undefined || setting === 'no-proxy') return undefined;
  if (setting === 'system') {
    const variable = target.protocol === 'wss:' ? 'HTTPS_PROXY' : 'HTTP_PROXY';
    const value = env[variable] ?? env[variable.toLowerCase()];
    if (!value) return undefined;
    const noProxy = env.NO_PROXY ?? env.no_proxy ?? '';
    if (isExcluded(target.hostname, noProxy.split(','))) return undefined;
    return parseProxyUrl(value, variable, fail);
  }
  if (typeof setting !== 'object' || setting === null) {
    throw fail(`proxy must be 'system', 'no-proxy' or { host, port, exclusionList }; got ${JSON.stringify(setting)}.`, 'type');
  }
  const { host, port, exclusionList } = setting as { host?: unknown; port?: unknown; exclusionList?: unknown };
  if (typeof host !== 'string' || host === '') throw fail('proxy.host must be a host name or address.', 'type');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw fail(`proxy.port must be a port number (1-65535); got ${String(port)}.`, 'range');
  }
  if (exclusionList !== undefined && (!Array.isArray(exclusionList) || exclusionList.some((e) => typeof e !== 'string'))) {
    throw fail('proxy.exclusionList must be an array of host names.', 'type');
  }
  if (isExcluded(target.hostname, (exclusionList as string[] | undefined) ?? [])) return undefined;
  return { host, port };
}
