// The HTTP objects `ws`'s 'upgrade', 'unexpected-response' and 'redirect' events hand to the
// application: a real http.IncomingMessage for the handshake response (status, headers, and
// the body for an unexpected response, readable as a stream), and a small stand-in for the
// ClientRequest (the engine writes the request itself, so there is no Node request object;
// this one has what applications read from it, and abort()).
import { IncomingMessage, STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';

/** A finished handshake response as Node's IncomingMessage (the body, if any, is readable). */
export function incomingMessage(status: number, headers: Record<string, string>, body?: Uint8Array): IncomingMessage {
  const message = new IncomingMessage(new Socket());
  message.statusCode = status;
  message.statusMessage = STATUS_CODES[status] ?? '';
  message.httpVersion = '1.1';
  message.httpVersionMajor = 1;
  message.httpVersionMinor = 1;
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    message.headers[name] = value;
    raw.push(name, value);
  }
  message.rawHeaders = raw;
  if (body && body.byteLength > 0) message.push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  message.push(null);
  message.complete = true;
  return message;
}

/**
 * What `ws` passes as the ClientRequest: method, path, host, protocol and the request
 * headers, and abort()/destroy(), which end the connection attempt as in `ws`.
 */
export class HandshakeRequest {
  readonly method = 'GET';
  readonly path: string;
  readonly host: string;
  readonly protocol: string;
  #headers: Record<string, string>;
  #onAbort: () => void;
  destroyed = false;

  constructor(url: URL, headers: ReadonlyArray<readonly [string, string]>, onAbort: () => void) {
    this.path = `${url.pathname}${url.search}`;
    this.host = url.hostname;
    this.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    this.#headers = Object.fromEntries(headers.map(([name, value]) => [name.toLowerCase(), value]));
    this.#onAbort = onAbort;
  }

  getHeader(name: string): string | undefined {
    return this.#headers[name.toLowerCase()];
  }

  getHeaders(): Record<string, string> {
    return { ...this.#headers };
  }

  /** Ends the connection attempt (as `ws` does when the request is aborted). */
  abort(): void {
    this.destroy();
  }

  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.#onAbort();
    }
    return this;
  }
}
